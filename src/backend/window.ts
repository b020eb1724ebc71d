/**
 * 2-D sliding windows, shared by convolution (conv.ts) and pooling (pooling.ts); the twin of
 * native/window.h, which receives a window as the `geo` argument kind of abi.ts.
 */

/** Geometry of a 2-D sliding window (convolution or pooling). */
export interface Window2d {
  /** input plane size */
  h: number;
  w: number;
  /** kernel size */
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  /** output plane size */
  oh: number;
  ow: number;
}

/** A window as the addon's `geo` argument: [h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow]. */
export const geoArray = (g: Window2d): number[] => [
  g.h,
  g.w,
  g.kh,
  g.kw,
  g.sh,
  g.sw,
  g.ph,
  g.pw,
  g.dh,
  g.dw,
  g.oh,
  g.ow,
];
