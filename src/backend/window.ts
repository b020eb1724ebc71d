/**
 * Sliding windows of up to three spatial dims, shared by convolution (conv.ts) and pooling
 * (pooling.ts); the twin of native/window.h, which receives a window as the `geo` argument kind
 * of abi.ts. A 2-D window is the depth-1 case of a 3-D one (one kernel serves 1-D, 2-D and 3-D:
 * 1-D is height 1), so the depth fields are optional and default to a single plane.
 */

/** Geometry of a sliding window (convolution or pooling): depth (optional), height, width. */
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
  /** depth: input, kernel, stride, padding, dilation, output (absent: 1, 1, 1, 0, 1, 1) */
  d?: number;
  kd?: number;
  sd?: number;
  pd?: number;
  dd?: number;
  od?: number;
}

/** A window with every depth field present. */
export type Window3d = Required<Window2d>;

/** The window with its depth fields filled in (a 2-D window is one plane deep). */
export const window3d = (g: Window2d): Window3d => ({
  ...g,
  d: g.d ?? 1,
  kd: g.kd ?? 1,
  sd: g.sd ?? 1,
  pd: g.pd ?? 0,
  dd: g.dd ?? 1,
  od: g.od ?? 1,
});

/** Whether the window is one plane deep (input, kernel and output depth 1). */
export const isPlanar = (g: Window2d): boolean =>
  (g.d ?? 1) === 1 && (g.kd ?? 1) === 1 && (g.od ?? 1) === 1 && (g.pd ?? 0) === 0;

/**
 * A window as the addon's `geo` argument:
 * [h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, d, kd, sd, pd, dd, od].
 */
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
  g.d ?? 1,
  g.kd ?? 1,
  g.sd ?? 1,
  g.pd ?? 0,
  g.dd ?? 1,
  g.od ?? 1,
];
