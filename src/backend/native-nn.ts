/**
 * Native nn kernels (native/nn.cc): the addon functions' signatures and the dispatch
 * helpers the TypeScript kernels call (each returns false when the call stays on TypeScript:
 * no addon, a size below the measured crossover, or arrays that are not one float dtype).
 *
 * Thresholds were measured on the 2-core AVX2 machine this backend targets (µs per call,
 * TypeScript vs native, float32); each is stated next to its constant. An N-API call with
 * these argument lists costs about 1 µs, so nothing below a few hundred elements goes native.
 */
import type { TypedArray } from "../dtype.js";
import { type FloatArray, nativeAddon, sameFloat, type NativeAddon } from "./native.js";
import type { Window2d } from "./cpu-nn.js";

/** The family's addon functions (argument checks in native/nn.cc; bad arguments throw). */
export interface NnKernels {
  /** geometry: [h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow] */
  im2col(x: FloatArray, xOff: number, c: number, geo: number[], cols: FloatArray): void;
  col2im(cols: FloatArray, c: number, geo: number[], out: FloatArray, outOff: number): void;
  addChannelBias(
    out: FloatArray,
    planes: number,
    channels: number,
    size: number,
    bias: FloatArray,
    biasOff: number,
  ): void;
  /** A whole (grouped) convolution with bias, NCHW in and out; shape [N, C, O, G]. */
  conv2dDirect(
    x: FloatArray,
    xOff: number,
    shape: number[],
    w: FloatArray,
    wOff: number,
    bias: FloatArray | null,
    biasOff: number,
    geo: number[],
    out: FloatArray,
  ): void;
  /** dW [G][M][Cg*kh*kw] from lhs [N, lhsC, oh, ow] and rhs [N, rhsC, h, w]; [N, lhsC, rhsC, G]. */
  convWeightGrad(
    lhs: FloatArray,
    lhsOff: number,
    rhs: FloatArray,
    rhsOff: number,
    shape: number[],
    geo: number[],
    out: FloatArray,
  ): void;
  channelSum(g: FloatArray, gOff: number, n: number, c: number, l: number, out: FloatArray): void;
  maxPool2d(
    x: FloatArray,
    xOff: number,
    planes: number,
    geo: number[],
    out: FloatArray,
    indices: Float64Array,
  ): void;
  maxPool2dBackward(
    gOut: FloatArray,
    indices: Float64Array,
    planes: number,
    inSize: number,
    outSize: number,
    out: FloatArray,
  ): void;
  avgPool2d(
    src: FloatArray,
    srcOff: number,
    planes: number,
    geo: number[],
    countIncludePad: number,
    divisorOverride: number,
    dst: FloatArray,
    backward: number,
  ): void;
  adaptiveAvgPool2d(
    src: FloatArray,
    srcOff: number,
    planes: number,
    sizes: number[],
    dst: FloatArray,
    backward: number,
  ): void;
  sgdStep(
    p: FloatArray,
    pOff: number,
    g: FloatArray,
    gOff: number,
    n: number,
    buf: FloatArray | null,
    wd: number,
    mom: number,
    damp: number,
    negLr: number,
    flags: number,
  ): void;
  adamStep(
    p: FloatArray,
    pOff: number,
    g: FloatArray,
    gOff: number,
    n: number,
    m: FloatArray,
    v: FloatArray,
    vmax: FloatArray | null,
    b1: number,
    b2: number,
    omb1: number,
    omb2: number,
    eps: number,
    wd: number,
    decay: number,
    negStepSize: number,
    bc2Sqrt: number,
    flags: number,
  ): void;
  rmspropStep(
    p: FloatArray,
    pOff: number,
    g: FloatArray,
    gOff: number,
    n: number,
    sq: FloatArray,
    gavg: FloatArray | null,
    buf: FloatArray | null,
    alpha: number,
    oma: number,
    eps: number,
    wd: number,
    mom: number,
    negLr: number,
    flags: number,
  ): void;
  adagradStep(
    p: FloatArray,
    pOff: number,
    g: FloatArray,
    gOff: number,
    n: number,
    sum: FloatArray,
    wd: number,
    eps: number,
    negClr: number,
    flags: number,
  ): void;
}

/** Flag bits of the optimizer steps (native/nn.cc). */
export const OPT_FLAGS = {
  maximize: 1,
  weightDecay: 2,
  momentum: 4,
  init: 8,
  nesterov: 16,
  decoupled: 32,
  amsgrad: 64,
  centered: 128,
} as const;

let nn: NativeAddon | null = nativeAddon;

/**
 * Turn the native nn kernels off (false) or back on (true, when the addon is loaded): the
 * parity tests run the TypeScript twins this way.
 */
export function setNativeNn(on: boolean): void {
  nn = on ? nativeAddon : null;
}

const geoArray = (g: Window2d): number[] => [
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

/**
 * Elements of the cols matrix (im2col / col2im) or of the planes (bias, channel sums) from
 * which the kernels go native. Measured (float32, µs per call TS vs native): im2col 576
 * elements 1.9 vs 1.9, 784: 3.5 vs 1.9, 3600: 10.0 vs 2.5.
 */
const MIN_ELEMENTS = 640;

/**
 * Input elements from which pooling goes native. Measured (float32 2x2 max pooling, µs per
 * call TS vs native): 256 elements 0.96 vs 2.0, 1024: 3.6 vs 2.5; 32 x 16 x 26 x 26: 2400 vs 210.
 */
const MIN_POOL_ELEMENTS = 768;

export function tryNativeIm2col(
  x: TypedArray,
  xOff: number,
  c: number,
  g: Window2d,
  cols: TypedArray,
): boolean {
  if (nn === null || c * g.kh * g.kw * g.oh * g.ow < MIN_ELEMENTS || !sameFloat(x, cols))
    return false;
  nn.im2col(x as FloatArray, xOff, c, geoArray(g), cols as FloatArray);
  return true;
}

export function tryNativeCol2im(
  cols: TypedArray,
  c: number,
  g: Window2d,
  out: TypedArray,
  outOff: number,
): boolean {
  if (nn === null || c * g.kh * g.kw * g.oh * g.ow < MIN_ELEMENTS || !sameFloat(cols, out))
    return false;
  nn.col2im(cols as FloatArray, c, geoArray(g), out as FloatArray, outOff);
  return true;
}

export function tryNativeAddChannelBias(
  out: TypedArray,
  planes: number,
  channels: number,
  size: number,
  bias: TypedArray,
  biasOff: number,
): boolean {
  if (nn === null || planes * size < MIN_ELEMENTS || !sameFloat(out, bias)) return false;
  nn.addChannelBias(out as FloatArray, planes, channels, size, bias as FloatArray, biasOff);
  return true;
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
  if (
    nn === null ||
    taps > DIRECT_CONV_MAX_TAPS ||
    g.sw !== 1 ||
    g.ow < 8 ||
    N * O * taps * g.oh * g.ow < MIN_CONV_WORK ||
    !(x instanceof Float32Array) ||
    !sameFloat(x, w, bias) ||
    !(out instanceof Float32Array)
  )
    return false;
  nn.conv2dDirect(
    x as FloatArray,
    xOff,
    [N, C, O, G],
    w as FloatArray,
    wOff,
    bias as FloatArray | null,
    biasOff,
    geoArray(g),
    out as FloatArray,
  );
  return true;
}

/**
 * The convolution weight gradient dW[gi][m][c*kh*kw] = sum over n, y, x of lhs * shifted rhs
 * (see native/nn.cc), summed in double.
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
    nn === null ||
    taps > DIRECT_CONV_MAX_TAPS ||
    g.sw !== 1 ||
    N * lhsC * taps * g.oh * g.ow < MIN_CONV_WORK ||
    !(lhs instanceof Float32Array) ||
    !sameFloat(lhs, rhs, out)
  )
    return false;
  nn.convWeightGrad(
    lhs as FloatArray,
    lhsOff,
    rhs as FloatArray,
    rhsOff,
    [N, lhsC, rhsC, G],
    geoArray(g),
    out as FloatArray,
  );
  return true;
}

export function tryNativeChannelSum(
  g: TypedArray,
  gOff: number,
  n: number,
  c: number,
  l: number,
  out: TypedArray,
): boolean {
  if (nn === null || n * c * l < MIN_ELEMENTS || !sameFloat(g, out)) return false;
  nn.channelSum(g as FloatArray, gOff, n, c, l, out as FloatArray);
  return true;
}

export function tryNativeMaxPool2d(
  x: TypedArray,
  xOff: number,
  planes: number,
  g: Window2d,
  out: TypedArray,
  indices: TypedArray,
): boolean {
  if (
    nn === null ||
    planes * g.h * g.w < MIN_POOL_ELEMENTS ||
    !sameFloat(x, out) ||
    !(indices instanceof Float64Array)
  )
    return false;
  nn.maxPool2d(x as FloatArray, xOff, planes, geoArray(g), out as FloatArray, indices);
  return true;
}

export function tryNativeMaxPool2dBackward(
  gOut: TypedArray,
  indices: TypedArray,
  planes: number,
  inSize: number,
  outSize: number,
  out: TypedArray,
): boolean {
  if (
    nn === null ||
    planes * inSize < MIN_POOL_ELEMENTS ||
    !sameFloat(gOut, out) ||
    !(indices instanceof Float64Array)
  )
    return false;
  nn.maxPool2dBackward(gOut as FloatArray, indices, planes, inSize, outSize, out as FloatArray);
  return true;
}

export function tryNativeAvgPool2d(
  src: TypedArray,
  srcOff: number,
  planes: number,
  g: Window2d,
  countIncludePad: boolean,
  divisorOverride: number,
  dst: TypedArray,
  backward: boolean,
): boolean {
  if (nn === null || planes * g.h * g.w < MIN_POOL_ELEMENTS || !sameFloat(src, dst)) return false;
  nn.avgPool2d(
    src as FloatArray,
    srcOff,
    planes,
    geoArray(g),
    countIncludePad ? 1 : 0,
    divisorOverride,
    dst as FloatArray,
    backward ? 1 : 0,
  );
  return true;
}

export function tryNativeAdaptiveAvgPool2d(
  src: TypedArray,
  srcOff: number,
  planes: number,
  h: number,
  w: number,
  oh: number,
  ow: number,
  dst: TypedArray,
  backward: boolean,
): boolean {
  if (nn === null || planes * h * w < MIN_POOL_ELEMENTS || !sameFloat(src, dst)) return false;
  nn.adaptiveAvgPool2d(
    src as FloatArray,
    srcOff,
    planes,
    [h, w, oh, ow],
    dst as FloatArray,
    backward ? 1 : 0,
  );
  return true;
}

/**
 * Parameters from which an optimizer step goes native. Measured (float32 SGD with momentum,
 * µs per call TS vs native): 16 elements 0.52 vs 0.58, 32: 1.3 vs 0.8, 256: 4.0 vs 0.9.
 */
const MIN_OPT_ELEMENTS = 32;

/** The addon when an optimizer step of `n` elements over these arrays should go native. */
export function nativeOptimizer(n: number, p: TypedArray, g: TypedArray): NativeAddon | null {
  return nn !== null && n >= MIN_OPT_ELEMENTS && sameFloat(p, g) ? nn : null;
}
