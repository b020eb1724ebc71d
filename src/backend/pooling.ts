/**
 * Pooling kernels (the twins of native/pooling.cc): max pooling with indices, average and
 * adaptive average pooling, forward and backward, over `planes` contiguous volumes of d*h*w
 * elements (PyTorch's cpu kernels' windows and divisors). One kernel serves 1-D, 2-D and 3-D
 * pooling: a 2-D window is one plane deep (window.ts), a 1-D one also one row high. Adaptive
 * max pooling, fractional max pooling and max unpooling have TypeScript kernels only.
 */
import type { TypedArray } from "../dtype.js";
import { nativeKernels } from "./native.js";
import { geoArray, window3d, type Window2d, type Window3d } from "./window.js";

export type { Window2d, Window3d };

const native = nativeKernels("pooling");

/**
 * Input elements from which pooling goes native. Measured (float32 2x2 max pooling, µs per
 * call TS vs native): 256 elements 0.96 vs 2.0, 1024: 3.6 vs 2.5; 32 x 16 x 26 x 26: 2400 vs 210.
 */
const MIN_POOL_ELEMENTS = 768;

/** The taps [t0, t1) (step dil) of output `o` along a dim of `size`, window from o*st - pad. */
function tapRange(o: number, st: number, pad: number, k: number, dil: number, size: number) {
  let a = o * st - pad;
  const t1 = Math.min(a + (k - 1) * dil + 1, size);
  while (a < 0) a += dil;
  return [a, t1] as const;
}

/**
 * Max pooling over `planes` contiguous volumes (PyTorch's cpu max_pool2d / max_pool3d
 * kernels): the window starts at -padding, taps in (depth, row, column) order, a tap wins when
 * greater than the best so far or NaN (the last NaN wins), `indices` get the flat position
 * (iz*h + iy)*w + ix in the volume.
 */
export function maxPool(
  x: TypedArray,
  xOff: number,
  planes: number,
  g0: Window2d,
  out: TypedArray,
  indices: TypedArray,
): void {
  const g = window3d(g0);
  if (planes * g.d * g.h * g.w >= MIN_POOL_ELEMENTS) {
    if (native.maxPool(x, xOff, planes, geoArray(g), out, indices)) return;
  }
  const { d, h, w, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw, od, oh, ow } = g;
  // each output column's window [x0, x1) (first tap inside the input), the same for every row
  const xs0 = new Int32Array(ow);
  const xs1 = new Int32Array(ow);
  for (let xx = 0; xx < ow; xx++) [xs0[xx], xs1[xx]] = tapRange(xx, sw, pw, kw, dw, w);
  for (let p = 0; p < planes; p++) {
    const vol = xOff + p * d * h * w;
    const obase = p * od * oh * ow;
    for (let z = 0; z < od; z++) {
      const [z0, z1] = tapRange(z, sd, pd, kd, dd, d);
      for (let y = 0; y < oh; y++) {
        const [y0, y1] = tapRange(y, sh, ph, kh, dh, h);
        const orow = obase + (z * oh + y) * ow;
        for (let xx = 0; xx < ow; xx++) {
          const x0 = xs0[xx];
          const x1 = xs1[xx];
          let best = -Infinity;
          let bestIdx = (z0 * h + y0) * w + x0;
          for (let iz = z0; iz < z1; iz += dd) {
            for (let iy = y0; iy < y1; iy += dh) {
              const at = (iz * h + iy) * w;
              for (let ix = x0; ix < x1; ix += dw) {
                const v = x[vol + at + ix];
                if (v > best || v !== v) {
                  best = v;
                  bestIdx = at + ix;
                }
              }
            }
          }
          out[orow + xx] = best;
          indices[orow + xx] = bestIdx;
        }
      }
    }
  }
}

/**
 * The adjoint of max pooling (and max unpooling's forward): each volume of `out` (inSize
 * elements) is zeroed, then g[o] added at indices[o] of its volume.
 */
export function maxPoolBackward(
  gOut: TypedArray,
  indices: TypedArray,
  planes: number,
  inSize: number,
  outSize: number,
  out: TypedArray,
): void {
  if (planes * inSize >= MIN_POOL_ELEMENTS) {
    if (native.maxPoolBackward(gOut, indices, planes, inSize, outSize, out)) return;
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
 * The clipped window [a, b) of output `o` along a dim of `size` (no dilation), and its length
 * clipped to the padded input only (count_include_pad's count).
 */
function avgRange(o: number, st: number, pad: number, k: number, size: number) {
  const lo = o * st - pad;
  const hi = Math.min(lo + k, size + pad);
  return [Math.max(lo, 0), Math.min(hi, size), hi - lo] as const;
}

/**
 * Average pooling (PyTorch's cpu avg_pool2d / avg_pool3d kernels): the divisor is the window
 * clipped to the padded input (count_include_pad), the window clipped to the input, or the
 * override; a window entirely in the padding gives 0. With `backward`, `src` is the output
 * gradient and each window's g/divisor is added to `dst` (the input gradient, zeroed).
 */
export function avgPool(
  src: TypedArray,
  srcOff: number,
  planes: number,
  g0: Window2d,
  o: AvgOptions,
  dst: TypedArray,
  backward: boolean,
): void {
  const g = window3d(g0);
  if (planes * g.d * g.h * g.w >= MIN_POOL_ELEMENTS) {
    const include = o.countIncludePad ? 1 : 0;
    const geo = geoArray(g);
    if (native.avgPool(src, srcOff, planes, geo, include, o.divisorOverride, dst, backward ? 1 : 0))
      return;
  }
  const { d, h, w, kd, kh, kw, sd, sh, sw, pd, ph, pw, od, oh, ow } = g;
  for (let p = 0; p < planes; p++) {
    const vol = p * d * h * w;
    const obase = p * od * oh * ow;
    for (let z = 0; z < od; z++) {
      const [z0, z1, poolD] = avgRange(z, sd, pd, kd, d);
      for (let y = 0; y < oh; y++) {
        const [y0, y1, poolH] = avgRange(y, sh, ph, kh, h);
        for (let xx = 0; xx < ow; xx++) {
          const [x0, x1, poolW] = avgRange(xx, sw, pw, kw, w);
          const oi = obase + (z * oh + y) * ow + xx;
          if (z0 >= z1 || y0 >= y1 || x0 >= x1) {
            if (!backward) dst[oi] = 0;
            continue;
          }
          const div =
            o.divisorOverride !== 0
              ? o.divisorOverride
              : o.countIncludePad
                ? poolD * poolH * poolW
                : (z1 - z0) * (y1 - y0) * (x1 - x0);
          if (backward) {
            const gv = src[srcOff + oi] / div;
            for (let iz = z0; iz < z1; iz++) {
              for (let iy = y0; iy < y1; iy++) {
                const r = vol + (iz * h + iy) * w;
                for (let ix = x0; ix < x1; ix++) dst[r + ix] += gv;
              }
            }
          } else {
            let s = 0;
            for (let iz = z0; iz < z1; iz++) {
              for (let iy = y0; iy < y1; iy++) {
                const r = srcOff + vol + (iz * h + iy) * w;
                for (let ix = x0; ix < x1; ix++) s += src[r + ix];
              }
            }
            dst[oi] = s / div;
          }
        }
      }
    }
  }
}

/** PyTorch's adaptive pooling window of output cell `a` out of `b` over an input of `c`. */
export const startIndex = (a: number, b: number, c: number): number => Math.floor((a * c) / b);
export const endIndex = (a: number, b: number, c: number): number => Math.ceil(((a + 1) * c) / b);

/** Input and output sizes of an adaptive pooling, [d, h, w] and [od, oh, ow]. */
export interface AdaptiveSizes {
  inSize: readonly number[];
  outSize: readonly number[];
}

/**
 * Adaptive average pooling of `planes` volumes d x h x w to od x oh x ow; with `backward`,
 * `src` holds the output gradient and each cell's g/count is added over its window into `dst`
 * (zeroed).
 */
export function adaptiveAvgPool(
  src: TypedArray,
  srcOff: number,
  planes: number,
  s: AdaptiveSizes,
  dst: TypedArray,
  backward: boolean,
): void {
  const [d, h, w] = s.inSize;
  const [od, oh, ow] = s.outSize;
  if (planes * d * h * w >= MIN_POOL_ELEMENTS) {
    if (native.adaptiveAvgPool(src, srcOff, planes, d, h, w, od, oh, ow, dst, backward ? 1 : 0))
      return;
  }
  for (let p = 0; p < planes; p++) {
    const vol = p * d * h * w;
    const obase = p * od * oh * ow;
    for (let z = 0; z < od; z++) {
      const z0 = startIndex(z, od, d);
      const z1 = endIndex(z, od, d);
      for (let y = 0; y < oh; y++) {
        const y0 = startIndex(y, oh, h);
        const y1 = endIndex(y, oh, h);
        for (let xx = 0; xx < ow; xx++) {
          const x0 = startIndex(xx, ow, w);
          const x1 = endIndex(xx, ow, w);
          const count = (z1 - z0) * (y1 - y0) * (x1 - x0);
          const oi = obase + (z * oh + y) * ow + xx;
          if (backward) {
            const gv = src[srcOff + oi] / count;
            for (let iz = z0; iz < z1; iz++) {
              for (let iy = y0; iy < y1; iy++) {
                const r = vol + (iz * h + iy) * w;
                for (let ix = x0; ix < x1; ix++) dst[r + ix] += gv;
              }
            }
          } else {
            let acc = 0;
            for (let iz = z0; iz < z1; iz++) {
              for (let iy = y0; iy < y1; iy++) {
                const r = srcOff + vol + (iz * h + iy) * w;
                for (let ix = x0; ix < x1; ix++) acc += src[r + ix];
              }
            }
            dst[oi] = acc / count;
          }
        }
      }
    }
  }
}

/**
 * Adaptive max pooling (PyTorch's cpu adaptive_max_pool2d / 3d): the maximum over each
 * adaptive window, a tap winning when greater or NaN, with its flat position in the volume.
 */
export function adaptiveMaxPool(
  x: TypedArray,
  xOff: number,
  planes: number,
  s: AdaptiveSizes,
  out: TypedArray,
  indices: TypedArray,
): void {
  const [d, h, w] = s.inSize;
  const [od, oh, ow] = s.outSize;
  for (let p = 0; p < planes; p++) {
    const vol = xOff + p * d * h * w;
    const obase = p * od * oh * ow;
    for (let z = 0; z < od; z++) {
      const z0 = startIndex(z, od, d);
      const z1 = endIndex(z, od, d);
      for (let y = 0; y < oh; y++) {
        const y0 = startIndex(y, oh, h);
        const y1 = endIndex(y, oh, h);
        for (let xx = 0; xx < ow; xx++) {
          const x0 = startIndex(xx, ow, w);
          const x1 = endIndex(xx, ow, w);
          let best = -Infinity;
          let bestIdx = (z0 * h + y0) * w + x0;
          for (let iz = z0; iz < z1; iz++) {
            for (let iy = y0; iy < y1; iy++) {
              const at = (iz * h + iy) * w;
              for (let ix = x0; ix < x1; ix++) {
                const v = x[vol + at + ix];
                if (v > best || v !== v) {
                  best = v;
                  bestIdx = at + ix;
                }
              }
            }
          }
          const oi = obase + (z * oh + y) * ow + xx;
          out[oi] = best;
          indices[oi] = bestIdx;
        }
      }
    }
  }
}

/**
 * PyTorch's generate_intervals of fractional max pooling: the start of each of `outSize`
 * windows of `poolSize` over `inSize`, from the sample u in [0, 1):
 * alpha = (in - pool) / (out - 1), start_i = floor((i + u) * alpha) - floor(u * alpha), the last
 * window at in - pool. Computed in the sample's precision (`round`: Math.fround for float32).
 */
export function fractionalIntervals(
  u: number,
  inSize: number,
  outSize: number,
  poolSize: number,
  round: (v: number) => number,
): number[] {
  const seq = new Array<number>(outSize).fill(0);
  if (outSize > 1) {
    const alpha = round((inSize - poolSize) / (outSize - 1));
    for (let i = 0; i < outSize - 1; i++) {
      seq[i] = Math.trunc(round(round(i + u) * alpha)) - Math.trunc(round(u * alpha));
    }
  }
  if (outSize > 0) seq[outSize - 1] = inSize - poolSize;
  return seq;
}

/**
 * Fractional max pooling of `planes` volumes d x h x w: output cell (z, y, x) is the maximum of
 * the pool window at the starts given per plane (`starts[p]`: [depth starts, row starts, column
 * starts]); a tap wins when greater or NaN; indices are flat positions in the volume.
 */
export function fractionalMaxPool(
  x: TypedArray,
  xOff: number,
  planes: number,
  inSize: readonly number[],
  outSize: readonly number[],
  pool: readonly number[],
  starts: readonly (readonly number[][])[],
  out: TypedArray,
  indices: TypedArray,
): void {
  const [d, h, w] = inSize;
  const [od, oh, ow] = outSize;
  const [kd, kh, kw] = pool;
  for (let p = 0; p < planes; p++) {
    const vol = xOff + p * d * h * w;
    const obase = p * od * oh * ow;
    const [zs, ys, xs] = starts[p];
    for (let z = 0; z < od; z++) {
      for (let y = 0; y < oh; y++) {
        for (let xx = 0; xx < ow; xx++) {
          let best = -Infinity;
          let bestIdx = (zs[z] * h + ys[y]) * w + xs[xx];
          for (let iz = zs[z]; iz < zs[z] + kd; iz++) {
            for (let iy = ys[y]; iy < ys[y] + kh; iy++) {
              const at = (iz * h + iy) * w;
              for (let ix = xs[xx]; ix < xs[xx] + kw; ix++) {
                const v = x[vol + at + ix];
                if (v > best || v !== v) {
                  best = v;
                  bestIdx = at + ix;
                }
              }
            }
          }
          const oi = obase + (z * oh + y) * ow + xx;
          out[oi] = best;
          indices[oi] = bestIdx;
        }
      }
    }
  }
}
