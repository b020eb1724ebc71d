/**
 * CPU kernels of the neural-network primitives: im2col/col2im (convolution as a matrix
 * product with `matmul` of cpu.ts), max/average pooling and adaptive average pooling, forward
 * and backward.
 *
 * Same rules as cpu.ts (Note [layers]): typed arrays and sizes only, never a Tensor; plain
 * `for` loops, no per-element closures. Images are contiguous planes: a batch of `planes`
 * (N*C) planes of `h*w` elements each.
 */
import type { TypedArray } from "../dtype.js";
import { matmul } from "./cpu.js";
import {
  tryNativeAdaptiveAvgPool2d,
  tryNativeAddChannelBias,
  tryNativeAvgPool2d,
  tryNativeChannelSum,
  tryNativeCol2im,
  tryNativeIm2col,
  tryNativeMaxPool2d,
  tryNativeMaxPool2dBackward,
} from "./native-nn.js";

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

/**
 * im2col for `c` input planes starting at `xOff`: writes `cols`, a [c*kh*kw, oh*ow] matrix whose
 * row (ci, i, j) holds, for every output position, the input element under kernel tap (i, j)
 * (0 in the padding).
 */
export function im2col(
  x: TypedArray,
  xOff: number,
  c: number,
  g: Window2d,
  cols: TypedArray,
): void {
  if (tryNativeIm2col(x, xOff, c, g, cols)) return;
  const { h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = g;
  const L = oh * ow;
  let row = 0;
  for (let ci = 0; ci < c; ci++) {
    const plane = xOff + ci * h * w;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const base = row * L;
        const di = i * dh - ph;
        const dj = j * dw - pw;
        for (let y = 0; y < oh; y++) {
          const iy = y * sh + di;
          const o = base + y * ow;
          if (iy < 0 || iy >= h) {
            for (let xx = 0; xx < ow; xx++) cols[o + xx] = 0;
            continue;
          }
          const rowOff = plane + iy * w;
          if (sw === 1) {
            // contiguous run: only the edges can fall into the padding
            for (let xx = 0; xx < ow; xx++) {
              const ix = xx + dj;
              cols[o + xx] = ix >= 0 && ix < w ? x[rowOff + ix] : 0;
            }
          } else {
            for (let xx = 0; xx < ow; xx++) {
              const ix = xx * sw + dj;
              cols[o + xx] = ix >= 0 && ix < w ? x[rowOff + ix] : 0;
            }
          }
        }
      }
    }
  }
}

/**
 * col2im, the adjoint of im2col: adds each entry of `cols` ([c*kh*kw, oh*ow]) into the input
 * plane element it was read from. `out` (c planes at `outOff`) must be initialised.
 */
export function col2im(
  cols: TypedArray,
  c: number,
  g: Window2d,
  out: TypedArray,
  outOff: number,
): void {
  if (tryNativeCol2im(cols, c, g, out, outOff)) return;
  const { h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = g;
  const L = oh * ow;
  let row = 0;
  for (let ci = 0; ci < c; ci++) {
    const plane = outOff + ci * h * w;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const base = row * L;
        const di = i * dh - ph;
        const dj = j * dw - pw;
        for (let y = 0; y < oh; y++) {
          const iy = y * sh + di;
          if (iy < 0 || iy >= h) continue;
          const o = base + y * ow;
          const rowOff = plane + iy * w;
          for (let xx = 0; xx < ow; xx++) {
            const ix = xx * sw + dj;
            if (ix >= 0 && ix < w) out[rowOff + ix] += cols[o + xx];
          }
        }
      }
    }
  }
}

/** out[p, :] += bias[p % channels] for `planes` planes of `size` elements. */
export function addChannelBias(
  out: TypedArray,
  planes: number,
  channels: number,
  size: number,
  bias: TypedArray,
  biasOff: number,
): void {
  if (tryNativeAddChannelBias(out, planes, channels, size, bias, biasOff)) return;
  for (let p = 0; p < planes; p++) {
    const b = bias[biasOff + (p % channels)];
    const base = p * size;
    for (let i = 0; i < size; i++) out[base + i] += b;
  }
}

/**
 * The bias gradient of a convolution: out[c] = sum over n and l of g[gOff + (n*C + c)*L + l]
 * for g laid out [N, C, L], summed in double and rounded once.
 */
export function channelSum(
  g: TypedArray,
  gOff: number,
  n: number,
  c: number,
  l: number,
  out: TypedArray,
): void {
  if (tryNativeChannelSum(g, gOff, n, c, l, out)) return;
  for (let ci = 0; ci < c; ci++) {
    let s = 0;
    for (let ni = 0; ni < n; ni++) {
      const base = gOff + (ni * c + ci) * l;
      for (let i = 0; i < l; i++) s += g[base + i];
    }
    out[ci] = s;
  }
}

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
  if (tryNativeMaxPool2d(x, xOff, planes, g, out, indices)) return;
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
  if (tryNativeMaxPool2dBackward(gOut, indices, planes, inSize, outSize, out)) return;
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
  if (
    tryNativeAvgPool2d(src, srcOff, planes, g, o.countIncludePad, o.divisorOverride, dst, backward)
  )
    return;
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
  if (tryNativeAdaptiveAvgPool2d(src, srcOff, planes, h, w, oh, ow, dst, backward)) return;
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

// ---------------------------------------------------------------------------------------------
// Dense products on contiguous row-major blocks, for convolution: layouts of the one strided
// `matmul` kernel (cpu.ts), which also hands large float products to the native backend.

/** out (m x n) = A (m x k) @ B (k x n). */
export function gemmNN(
  a: TypedArray,
  aOff: number,
  b: TypedArray,
  bOff: number,
  out: TypedArray,
  outOff: number,
  m: number,
  k: number,
  n: number,
): void {
  matmul(a, aOff, 0, k, 1, b, bOff, 0, n, 1, outAt(out, outOff), 1, m, k, n);
}

/** out (m x n) = A^T @ B with A stored (k x m) and B (k x n): A^T[i, p] is at aOff + p*m + i. */
export function gemmTN(
  a: TypedArray,
  aOff: number,
  b: TypedArray,
  bOff: number,
  out: TypedArray,
  outOff: number,
  m: number,
  k: number,
  n: number,
): void {
  matmul(a, aOff, 0, 1, m, b, bOff, 0, n, 1, outAt(out, outOff), 1, m, k, n);
}

/**
 * acc (m x n, double) += A (m x k) @ B^T with B stored (n x k): B^T[p, j] is at bOff + j*k + p.
 * The product is formed in A's dtype (as PyTorch's float32 kernels do), then accumulated.
 */
export function gemmNTAccumulate(
  a: TypedArray,
  aOff: number,
  b: TypedArray,
  bOff: number,
  acc: Float64Array,
  m: number,
  k: number,
  n: number,
): void {
  const tmp = new (a.constructor as new (len: number) => TypedArray)(m * n);
  matmul(a, aOff, 0, k, 1, b, bOff, 0, 1, k, tmp, 1, m, k, n);
  for (let i = 0; i < m * n; i++) acc[i] += tmp[i];
}

/** `matmul` writes from index 0: a view of `out` starting at `off`. */
function outAt(out: TypedArray, off: number): TypedArray {
  return off === 0 ? out : out.subarray(off);
}
