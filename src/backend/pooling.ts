/**
 * Pooling kernels (the twins of native/pooling.cc): max pooling with indices, average and
 * adaptive average pooling, forward and backward, over `planes` contiguous planes of `h*w`
 * elements (PyTorch's cpu kernels' windows and divisors).
 */
import type { TypedArray } from "../dtype.js";
import { nativeKernels } from "./native.js";
import { geoArray, type Window2d } from "./window.js";

export type { Window2d };

const native = nativeKernels("pooling");

/**
 * Input elements from which pooling goes native. Measured (float32 2x2 max pooling, µs per
 * call TS vs native): 256 elements 0.96 vs 2.0, 1024: 3.6 vs 2.5; 32 x 16 x 26 x 26: 2400 vs 210.
 */
const MIN_POOL_ELEMENTS = 768;

/**
 * Max pooling over `planes` contiguous planes (PyTorch's cpu max_pool2d kernel): the window
 * starts at -padding, a NaN wins (the last one), `indices` get the flat position (iy*w + ix) in
 * the plane.
 */
export function maxPool2d(
  x: TypedArray,
  xOff: number,
  planes: number,
  g: Window2d,
  out: TypedArray,
  indices: TypedArray,
): void {
  if (planes * g.h * g.w >= MIN_POOL_ELEMENTS) {
    if (native.maxPool2d(x, xOff, planes, geoArray(g), out, indices)) return;
  }
  const { h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = g;
  // each output column's window [x0, x1) (first tap inside the input), the same for every row
  const xs0 = new Int32Array(ow);
  const xs1 = new Int32Array(ow);
  for (let xx = 0; xx < ow; xx++) {
    let x0 = xx * sw - pw;
    xs1[xx] = Math.min(x0 + (kw - 1) * dw + 1, w);
    while (x0 < 0) x0 += dw;
    xs0[xx] = x0;
  }
  for (let p = 0; p < planes; p++) {
    const plane = xOff + p * h * w;
    const obase = p * oh * ow;
    for (let y = 0; y < oh; y++) {
      let y0 = y * sh - ph;
      const y1 = Math.min(y0 + (kh - 1) * dh + 1, h);
      while (y0 < 0) y0 += dh;
      const orow = obase + y * ow;
      for (let xx = 0; xx < ow; xx++) {
        const x0 = xs0[xx];
        const x1 = xs1[xx];
        let best = -Infinity;
        let bestIdx = y0 * w + x0;
        for (let iy = y0; iy < y1; iy += dh) {
          const r = plane + iy * w;
          for (let ix = x0; ix < x1; ix += dw) {
            const v = x[r + ix];
            if (v > best || v !== v) {
              best = v;
              bestIdx = iy * w + ix;
            }
          }
        }
        out[orow + xx] = best;
        indices[orow + xx] = bestIdx;
      }
    }
  }
}

/**
 * The adjoint of max pooling: each plane of `out` is zeroed, then g[o] added at indices[o] of
 * its plane.
 */
export function maxPool2dBackward(
  gOut: TypedArray,
  indices: TypedArray,
  planes: number,
  inSize: number,
  outSize: number,
  out: TypedArray,
): void {
  if (planes * inSize >= MIN_POOL_ELEMENTS) {
    if (native.maxPool2dBackward(gOut, indices, planes, inSize, outSize, out)) return;
  }
  for (let p = 0; p < planes; p++) {
    const ob = p * outSize;
    const ib = p * inSize;
    out.fill(0, ib, ib + inSize);
    for (let i = 0; i < outSize; i++) out[ib + indices[ob + i]] += gOut[ob + i];
  }
}

/** Options of average pooling beyond the window. */
export interface AvgOptions {
  countIncludePad: boolean;
  /** 0: none */
  divisorOverride: number;
}

/**
 * Average pooling (PyTorch's cpu avg_pool2d kernel): the divisor is the window clipped to the
 * padded input (count_include_pad), the window clipped to the input, or the override; a window
 * entirely in the padding gives 0. With `backward`, `src` is the output gradient and each
 * window's g/divisor is added to `dst` (the input gradient, zero-initialised).
 */
export function avgPool2d(
  src: TypedArray,
  srcOff: number,
  planes: number,
  g: Window2d,
  o: AvgOptions,
  dst: TypedArray,
  backward: boolean,
): void {
  if (planes * g.h * g.w >= MIN_POOL_ELEMENTS) {
    const include = o.countIncludePad ? 1 : 0;
    const geo = geoArray(g);
    if (
      native.avgPool2d(src, srcOff, planes, geo, include, o.divisorOverride, dst, backward ? 1 : 0)
    )
      return;
  }
  const { h, w, kh, kw, sh, sw, ph, pw, oh, ow } = g;
  for (let p = 0; p < planes; p++) {
    const plane = p * h * w;
    const obase = p * oh * ow;
    for (let y = 0; y < oh; y++) {
      let y0 = y * sh - ph;
      let y1 = Math.min(y0 + kh, h + ph);
      const poolH = y1 - y0;
      y0 = Math.max(y0, 0);
      y1 = Math.min(y1, h);
      for (let xx = 0; xx < ow; xx++) {
        let x0 = xx * sw - pw;
        let x1 = Math.min(x0 + kw, w + pw);
        const poolSize = poolH * (x1 - x0);
        x0 = Math.max(x0, 0);
        x1 = Math.min(x1, w);
        const oi = obase + y * ow + xx;
        if (y0 >= y1 || x0 >= x1) {
          if (!backward) dst[oi] = 0;
          continue;
        }
        const div =
          o.divisorOverride !== 0
            ? o.divisorOverride
            : o.countIncludePad
              ? poolSize
              : (y1 - y0) * (x1 - x0);
        if (backward) {
          const gv = src[srcOff + oi] / div;
          for (let iy = y0; iy < y1; iy++) {
            const r = plane + iy * w;
            for (let ix = x0; ix < x1; ix++) dst[r + ix] += gv;
          }
        } else {
          let s = 0;
          for (let iy = y0; iy < y1; iy++) {
            const r = srcOff + plane + iy * w;
            for (let ix = x0; ix < x1; ix++) s += src[r + ix];
          }
          dst[oi] = s / div;
        }
      }
    }
  }
}

/** PyTorch's adaptive pooling window of output cell `a` out of `b` over an input of `c`. */
const startIndex = (a: number, b: number, c: number): number => Math.floor((a * c) / b);
const endIndex = (a: number, b: number, c: number): number => Math.ceil(((a + 1) * c) / b);

/**
 * Adaptive average pooling of `planes` planes h x w to oh x ow; with `backward`, `src` holds
 * the output gradient and each cell's g/count is added over its window into `dst` (zeroed).
 */
export function adaptiveAvgPool2d(
  src: TypedArray,
  srcOff: number,
  planes: number,
  h: number,
  w: number,
  oh: number,
  ow: number,
  dst: TypedArray,
  backward: boolean,
): void {
  if (planes * h * w >= MIN_POOL_ELEMENTS) {
    if (native.adaptiveAvgPool2d(src, srcOff, planes, h, w, oh, ow, dst, backward ? 1 : 0)) return;
  }
  for (let p = 0; p < planes; p++) {
    const plane = p * h * w;
    const obase = p * oh * ow;
    for (let y = 0; y < oh; y++) {
      const y0 = startIndex(y, oh, h);
      const y1 = endIndex(y, oh, h);
      for (let xx = 0; xx < ow; xx++) {
        const x0 = startIndex(xx, ow, w);
        const x1 = endIndex(xx, ow, w);
        const count = (y1 - y0) * (x1 - x0);
        const oi = obase + y * ow + xx;
        if (backward) {
          const gv = src[srcOff + oi] / count;
          for (let iy = y0; iy < y1; iy++) {
            const r = plane + iy * w;
            for (let ix = x0; ix < x1; ix++) dst[r + ix] += gv;
          }
        } else {
          let s = 0;
          for (let iy = y0; iy < y1; iy++) {
            const r = srcOff + plane + iy * w;
            for (let ix = x0; ix < x1; ix++) s += src[r + ix];
          }
          dst[oi] = s / count;
        }
      }
    }
  }
}
