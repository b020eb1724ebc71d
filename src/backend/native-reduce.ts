/**
 * Native reduce kernels (native/reduce.cc): the addon functions' signatures and the dispatch
 * helpers the TypeScript kernels call (each returns false when the call stays on TypeScript).
 *
 * Every kernel views its contiguous input as [outer, n, inner] from an element offset: n is
 * the reduced (scanned, softmaxed) axis; inner > 1 means an axis that is not innermost, done
 * without a permuted copy.
 */
import type { TypedArray } from "../dtype.js";
import { type FloatArray, isFloat, nativeAddon } from "./native.js";

/** The family's addon functions. */
export interface ReduceKernels {
  /**
   * out[outOff + o*inner + i] = op over r < n of a[aOff + (o*n + r)*inner + i], op a cpu.ts
   * `Reduce` value. out is a's array type for Sum/Prod/Max/Min/LogSumExp, a Float64Array
   * (int64 storage) for ArgMax/ArgMin, a Uint8Array (bool) for Any/All.
   */
  reduce(
    op: number,
    a: FloatArray,
    aOff: number,
    outer: number,
    n: number,
    inner: number,
    out: TypedArray,
    outOff: number,
  ): void;
  /** Running sums along n of [outer, n, inner]; out has a's array type. */
  cumsum(
    a: FloatArray,
    aOff: number,
    outer: number,
    n: number,
    inner: number,
    out: FloatArray,
    outOff: number,
  ): void;
  /** softmax (log = 0) or log_softmax (log = 1) along n of [outer, n, inner]. */
  softmax(
    a: FloatArray,
    aOff: number,
    outer: number,
    n: number,
    inner: number,
    out: FloatArray,
    outOff: number,
    log: number,
  ): void;
  /** Their backward: y*(g - sum(g*y)), or g - exp(y)*sum(g) for log_softmax. */
  softmaxBackward(
    g: FloatArray,
    gOff: number,
    y: FloatArray,
    yOff: number,
    outer: number,
    n: number,
    inner: number,
    out: FloatArray,
    outOff: number,
    log: number,
  ): void;
  /** exp in place with the kernels' own exp (exposed so the tests can measure its error). */
  reduceExp(v: Float64Array): void;
}

/**
 * Elements (outer * n * inner) from which each kernel goes native, measured on the 2-core
 * AVX2 machine here (float32, µs per call, TypeScript twin vs native, best of 5 runs):
 * - reduce, a contiguous row sum: 160 elements 0.20 vs 0.29, 320: 0.34 vs 0.28, 1280: 1.33 vs
 *   0.36, 32768: 37 vs 3.0; column sums ([n, 256], sum over n) win from the smallest sizes
 *   (1280: 3.5 vs 0.43, 32768 = the MLP's [128, 256] bias gradient: 74 vs 4.1). Crossover ~300.
 * - cumsum along a row is one dependent chain of double adds in both (native only skips the
 *   JIT's bounds checks): 640: 0.89 vs 1.06, 1280: 1.77 vs 1.70, 32768: 41 vs 36.
 * - softmax / log_softmax forward, rows of 10 (a classifier's logits): 40: 0.44 vs 0.40,
 *   160: 2.0 vs 0.70, 1280 (the MLP's [128, 10]): 16-20 vs 3.8-4.4; the twin pays Math.exp.
 * - their backward, rows of 10: 160: 0.38 vs 0.47 (softmax), 1.44 vs 0.77 (log_softmax);
 *   320: 0.75 vs 0.62; 1280: 3.0 vs 1.5 (softmax), 11.2 vs 3.5 (log_softmax).
 */
export interface NativeReduceThresholds {
  reduce: number;
  cumsum: number;
  softmax: number;
  softmaxBackward: number;
}

const thresholds: NativeReduceThresholds = {
  reduce: 320,
  cumsum: 1280,
  softmax: 48,
  softmaxBackward: 256,
};

/** Change some of the native thresholds (elements); 0 sends every float call native. */
export function setNativeReduceThresholds(t: Partial<NativeReduceThresholds>): void {
  Object.assign(thresholds, t);
}

export function getNativeReduceThresholds(): NativeReduceThresholds {
  return { ...thresholds };
}

// cpu.ts Reduce values (a const enum there; the numbers are the native op codes)
const ARG_MAX = 4;
const ARG_MIN = 5;
const ANY = 7;
const ALL = 8;

/** cpu.ts `reduce` / `reduceAxis`: true when the addon ran it. */
export function tryNativeReduce(
  op: number,
  a: TypedArray,
  aOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
): boolean {
  if (nativeAddon === null || outer * n * inner < thresholds.reduce || !isFloat(a)) return false;
  const fits =
    op === ARG_MAX || op === ARG_MIN
      ? out instanceof Float64Array
      : op === ANY || op === ALL
        ? out instanceof Uint8Array
        : out.constructor === a.constructor;
  if (!fits) return false;
  nativeAddon.reduce(op, a, aOff, outer, n, inner, out, 0);
  return true;
}

/** cpu.ts `cumsum`. */
export function tryNativeCumsum(
  a: TypedArray,
  aOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
): boolean {
  if (nativeAddon === null || outer * n * inner < thresholds.cumsum || !isFloat(a)) return false;
  if (out.constructor !== a.constructor) return false;
  nativeAddon.cumsum(a, aOff, outer, n, inner, out as FloatArray, 0);
  return true;
}

/** cpu.ts `softmax`. */
export function tryNativeSoftmax(
  a: TypedArray,
  aOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
  log: boolean,
): boolean {
  if (nativeAddon === null || outer * n * inner < thresholds.softmax || !isFloat(a)) return false;
  if (out.constructor !== a.constructor) return false;
  nativeAddon.softmax(a, aOff, outer, n, inner, out as FloatArray, 0, log ? 1 : 0);
  return true;
}

/** cpu.ts `softmaxBackward`. */
export function tryNativeSoftmaxBackward(
  g: TypedArray,
  gOff: number,
  y: TypedArray,
  yOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
  log: boolean,
): boolean {
  if (nativeAddon === null || outer * n * inner < thresholds.softmaxBackward || !isFloat(y))
    return false;
  if (g.constructor !== y.constructor || out.constructor !== y.constructor) return false;
  nativeAddon.softmaxBackward(
    g as FloatArray,
    gOff,
    y,
    yOff,
    outer,
    n,
    inner,
    out as FloatArray,
    0,
    log ? 1 : 0,
  );
  return true;
}
