/**
 * Convolution kernels (the twins of native/conv.cc): im2col/col2im (convolution as a matrix
 * product, matmul.ts), the channel bias and its gradient, and the native direct convolution and
 * weight gradient that src/ops/conv.ts tries first for few input channels.
 *
 * Typed arrays and sizes only, never a Tensor; plain `for` loops, no per-element closures.
 * Images are contiguous planes: a batch of `planes` (N*C) planes of `h*w` elements each.
 */
import type { TypedArray } from "../dtype.js";
import { nativeKernels } from "./native.js";
import { geoArray, isPlanar, window3d, type Window2d } from "./window.js";

export type { Window2d };

const native = nativeKernels("conv");

/**
 * Elements of the cols matrix (im2col / col2im) or of the planes (bias, channel sums) from
 * which the kernels go native. Measured (float32, µs per call TS vs native): im2col 576
 * elements 1.9 vs 1.9, 784: 3.5 vs 1.9, 3600: 10.0 vs 2.5.
 */
const MIN_ELEMENTS = 640;

/**
 * im2col for `c` input volumes starting at `xOff`: writes `cols`, a [c*kd*kh*kw, od*oh*ow]
 * matrix whose row (ci, a, i, j) holds, for every output position, the input element under
 * kernel tap (a, i, j) (0 in the padding). A 2-D window is one plane deep (kd = od = 1).
 */
export function im2col(
  x: TypedArray,
  xOff: number,
  c: number,
  g0: Window2d,
  cols: TypedArray,
): void {
  const g = window3d(g0);
  const P = g.oh * g.ow;
  const L = g.od * P;
  if (c * g.kd * g.kh * g.kw * L >= MIN_ELEMENTS && native.im2col(x, xOff, c, geoArray(g), cols))
    return;
  const { d, h, w, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw, od, oh, ow } = g;
  let row = 0;
  for (let ci = 0; ci < c; ci++) {
    for (let a = 0; a < kd; a++) {
      const da = a * dd - pd;
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++, row++) {
          const di = i * dh - ph;
          const dj = j * dw - pw;
          for (let z = 0; z < od; z++) {
            const base = row * L + z * P;
            const iz = z * sd + da;
            if (iz < 0 || iz >= d) {
              cols.fill(0, base, base + P);
              continue;
            }
            const plane = xOff + (ci * d + iz) * h * w;
            for (let y = 0; y < oh; y++) {
              const iy = y * sh + di;
              const o = base + y * ow;
              if (iy < 0 || iy >= h) {
                for (let xx = 0; xx < ow; xx++) cols[o + xx] = 0;
                continue;
              }
              const rowOff = plane + iy * w;
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
}

/**
 * col2im, the adjoint of im2col: adds each entry of `cols` ([c*kd*kh*kw, od*oh*ow]) into the
 * input element it was read from. `out` (c volumes at `outOff`) must be initialised.
 */
export function col2im(
  cols: TypedArray,
  c: number,
  g0: Window2d,
  out: TypedArray,
  outOff: number,
): void {
  const g = window3d(g0);
  const P = g.oh * g.ow;
  const L = g.od * P;
  if (
    c * g.kd * g.kh * g.kw * L >= MIN_ELEMENTS &&
    native.col2im(cols, c, geoArray(g), out, outOff)
  )
    return;
  const { d, h, w, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw, od, oh, ow } = g;
  let row = 0;
  for (let ci = 0; ci < c; ci++) {
    for (let a = 0; a < kd; a++) {
      const da = a * dd - pd;
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++, row++) {
          const di = i * dh - ph;
          const dj = j * dw - pw;
          for (let z = 0; z < od; z++) {
            const iz = z * sd + da;
            if (iz < 0 || iz >= d) continue;
            const plane = outOff + (ci * d + iz) * h * w;
            for (let y = 0; y < oh; y++) {
              const iy = y * sh + di;
              if (iy < 0 || iy >= h) continue;
              const o = row * L + z * P + y * ow;
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
  if (planes * size >= MIN_ELEMENTS) {
    if (native.addChannelBias(out, planes, channels, size, bias, biasOff)) return;
  }
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
  if (n * c * l >= MIN_ELEMENTS && native.channelSum(g, gOff, n, c, l, out)) return;
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
 * Largest taps per output (C/groups * kh * kw) for which the direct convolution and its weight
 * gradient (float32, unit column stride: the AVX2 kernels) beat im2col + native GEMM.
 * Measured, batch 32 of 28x28 inputs, 16 output channels, 3x3 kernel, µs direct vs
 * im2col + GEMM: forward C=1 143 vs 220, C=4 313 vs 1205, C=8 653 vs 1318, C=16 1829 vs 2450;
 * weight gradient C=1 172 vs 465, C=4 439 vs 1613, C=8 1045 vs 2684, C=16 3466 vs 2985.
 * 100 taps keeps a margin below the weight gradient's crossover (C=11 at 3x3).
 */
export const DIRECT_CONV_MAX_TAPS = 100;

/**
 * Multiply-adds below which a convolution stays on im2col + GEMM (which itself stays on
 * TypeScript below 2048 multiply-adds): the direct kernels' call costs about 1.5 µs.
 */
const MIN_CONV_WORK = 1024;

/** The forward convolution with bias into NCHW `out` (non-transposed, 2-D or 1-D as h = 1). */
export function tryNativeConv2dDirect(
  x: TypedArray,
  xOff: number,
  N: number,
  C: number,
  O: number,
  G: number,
  w: TypedArray,
  wOff: number,
  bias: TypedArray | null,
  biasOff: number,
  g: Window2d,
  out: TypedArray,
): boolean {
  const taps = (C / G) * g.kh * g.kw;
  // float32 only: the AVX2 kernels are what beats im2col + GEMM; 2-D windows only
  if (
    !isPlanar(g) ||
    taps > DIRECT_CONV_MAX_TAPS ||
    g.sw !== 1 ||
    g.ow < 8 ||
    N * O * taps * g.oh * g.ow < MIN_CONV_WORK ||
    !(x instanceof Float32Array)
  )
    return false;
  return native.conv2dDirect(x, xOff, N, C, O, G, w, wOff, bias, biasOff, geoArray(g), out);
}

/**
 * The convolution weight gradient dW[gi][m][c*kh*kw] = sum over n, y, x of lhs * shifted rhs
 * (see native/conv.cc), summed in double.
 */
export function tryNativeConvWeightGrad(
  lhs: TypedArray,
  lhsOff: number,
  rhs: TypedArray,
  rhsOff: number,
  N: number,
  lhsC: number,
  rhsC: number,
  G: number,
  g: Window2d,
  out: TypedArray,
): boolean {
  const taps = (rhsC / G) * g.kh * g.kw;
  if (
    !isPlanar(g) ||
    taps > DIRECT_CONV_MAX_TAPS ||
    g.sw !== 1 ||
    N * lhsC * taps * g.oh * g.ow < MIN_CONV_WORK ||
    !(lhs instanceof Float32Array)
  )
    return false;
  return native.convWeightGrad(lhs, lhsOff, rhs, rhsOff, N, lhsC, rhsC, G, geoArray(g), out);
}
