/**
 * Activation kernels (the twins of native/activation.cc): GELU forward and backward, exact
 * (erf) and tanh-approximated, on contiguous float32 / float64 runs.
 *
 * float32 exact GELU follows Note [float32 GELU] (native/activation.cc): PyTorch 1.13's own
 * float32 CPU GELU, oneDNN's gelu_erf (erf by Abramowitz & Stegun 7.1.26 with oneDNN's
 * degree-5 exp), every step one float32 rounding (`fmaf` for its FMAs), so both backends give
 * PyTorch's float32 results bit for bit (test/native-activation.test.ts, test/gelu.test.ts).
 *
 * Everything else is computed in double and rounded once to the output's dtype, as PyTorch's
 * scalar GeluKernelImpl / GeluBackwardKernelImpl formulas:
 *
 *   exact:  gelu(x) = x * 0.5 * (1 + erf(x / sqrt 2))
 *           gelu'(x) = 0.5 * (1 + erf(x / sqrt 2)) + x * exp(-x^2 / 2) / sqrt(2 pi)
 *   tanh:   gelu(x) = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
 *           gelu'(x) = 0.5 * (1 + t) + 0.5 * x * (1 - t^2) * sqrt(2/pi) * (1 + 3 * 0.044715 x^2)
 *
 * Large arrays go to the addon (native.ts) when it is loaded; its double-precision erf is the
 * same fdlibm algorithm as erfScalar, so the two agree to the last bit but for libm's exp and
 * tanh.
 */
import type { TypedArray } from "../dtype.js";
import { nativeKernels } from "./native.js";
import { erfScalar } from "./special.js";

const native = nativeKernels("activation");

/**
 * Elements from which GELU goes native: an erf per element costs ~10 ns in TypeScript, about
 * thirty times an addon call's overhead at 64 elements.
 */
let nativeMin = 64;

/** Set the element threshold (tests use 0 to send every float call native, Infinity for none). */
export function setNativeActivationThreshold(n: number): void {
  nativeMin = n;
}

export function getNativeActivationThreshold(): number {
  return nativeMin;
}

const SQRT1_2 = Math.SQRT1_2;
const M_2_SQRTPI = 2 / Math.sqrt(Math.PI);
/** 1/sqrt(2 pi): the standard normal density's constant */
const GELU_ALPHA = M_2_SQRTPI * SQRT1_2 * 0.5;
/** sqrt(2/pi) */
const GELU_BETA = Math.SQRT2 * M_2_SQRTPI * 0.5;
const GELU_KAPPA = 0.044715;

/** GELU forward on one value, in double. */
export function geluScalar(x: number, tanhApprox: boolean): number {
  if (tanhApprox) {
    const inner = GELU_BETA * (x + GELU_KAPPA * x * x * x);
    return 0.5 * x * (1 + Math.tanh(inner));
  }
  return x * 0.5 * (1 + erfScalar(x * SQRT1_2));
}

/** d gelu(x)/dx at one value, in double (PyTorch's GeluBackwardKernelImpl). */
export function geluDerivScalar(x: number, tanhApprox: boolean): number {
  if (tanhApprox) {
    const x2 = x * x;
    const inner = GELU_BETA * (x + GELU_KAPPA * x2 * x);
    const t = Math.tanh(inner);
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_BETA * (1 + 3 * GELU_KAPPA * x2);
  }
  const cdf = 0.5 * (1 + erfScalar(x * SQRT1_2));
  const pdf = Math.exp(-0.5 * x * x) * GELU_ALPHA;
  return cdf + x * pdf;
}

// ---------------------------------------------------------------------------------------------
// Note [float32 GELU] (native/activation.cc), step for step: each line is one float32 rounding.

const fround = Math.fround;
const bitsView = new Uint32Array(1);
const floatView = new Float32Array(bitsView.buffer);
/** The float32 whose bit pattern is `u` (oneDNN's constant tables are bit patterns). */
function f32(u: number): number {
  bitsView[0] = u;
  return floatView[0];
}
const F_LOG2E = f32(0x3fb8aa3b);
const F_LN_MAX = f32(0x42b17218);
const F_LN_MIN = f32(0xc2aeac50);
const F_LN2 = f32(0x3f317218);
const F_EXP = [f32(0x3f7ffffb), f32(0x3efffee3), f32(0x3e2aad40), f32(0x3d2b9d0d), f32(0x3c07cfce)];
const F_ERF_P = f32(0x3ea7ba05);
const F_ERF = [f32(0x3e827906), f32(0xbe91a98e), f32(0x3fb5f0e3), f32(0xbfba00e3), f32(0x3f87dc22)];
const F_RSQRT2 = f32(0x3f3504f3);
const F_RSQRTPI = f32(0x3f106eba);

/**
 * fma(a, b, c) rounded once to float32, for float32 a, b, c (fma.ts's `fmaf`, specialised: this
 * runs a dozen times per element). a*b is exact in a double; s = a*b + c is rounded once, and
 * its error e exactly (TwoSum). Rounding s to float32 gives the correctly rounded result unless
 * s is exactly halfway between two floats (then `other`, its mirror image across s, is a float)
 * with e != 0, where the exact sum lies on e's side of that midpoint.
 */
function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = fround(s);
  if (r === s) return r;
  const bb = s - p;
  const e = p - (s - bb) + (c - bb);
  if (e === 0 || r === Infinity || r === -Infinity || r !== r) return r;
  const other = 2 * s - r;
  if (fround(other) !== other) return r;
  return e > 0 === other > r ? other : r;
}

/**
 * oneDNN's exp: 2^t * p(r), t = floor(x log2 e + 1/2), r = x - t ln 2, p of degree 5; x clamped
 * to [ln FLT_MIN, ln FLT_MAX] with x86's min/max (a NaN becomes the bound), 0 below the range.
 */
function expF32(x: number): number {
  const under = x < F_LN_MIN;
  x = x < F_LN_MAX ? x : F_LN_MAX;
  x = x > F_LN_MIN ? x : F_LN_MIN;
  const t = Math.floor(fround(fround(x * F_LOG2E) + 0.5));
  const r = fmaf(-t, F_LN2, x);
  let p = fmaf(F_EXP[4], r, F_EXP[3]);
  p = fmaf(p, r, F_EXP[2]);
  p = fmaf(p, r, F_EXP[1]);
  p = fmaf(p, r, F_EXP[0]);
  p = fmaf(p, r, 1);
  // 2^t is a power of two (t <= 128 gives infinity, as the exponent field 255 does)
  return fround(p * (under ? 0 : 2 ** t));
}

/** sign(x) (1 - E w P(w)) from mE = -E and w = 1 / (1 + p |x|): A&S 7.1.26. */
function erfTailF32(x: number, mE: number, w: number): number {
  let r = fmaf(F_ERF[4], w, F_ERF[3]);
  r = fmaf(r, w, F_ERF[2]);
  r = fmaf(r, w, F_ERF[1]);
  r = fmaf(r, w, F_ERF[0]);
  const e = fmaf(fround(mE * w), r, 1);
  return x < 0 || Object.is(x, -0) ? -e : e;
}

/** float32 GELU of a float32 value: S + S erf(s / sqrt 2), S = s / 2. */
export function geluF32(s: number): number {
  const x = fround(s * F_RSQRT2);
  const mE = -expF32(-fround(x * x));
  const w = fround(1 / fmaf(F_ERF_P, Math.abs(x), 1));
  const erf = erfTailF32(x, mE, w);
  const S = fround(s * 0.5);
  return fmaf(erf, S, S);
}

/** float32 gelu'(s): (R / sqrt(pi) * exp(-R^2) + 1/2) + erf(R) / 2, R = s / sqrt 2. */
export function geluDerivF32(s: number): number {
  const R = fround(s * F_RSQRT2);
  const Q = expF32(-fround(R * R));
  const T = fround(fround(R * F_RSQRTPI) * Q);
  const w = fround(1 / fmaf(F_ERF_P, Math.abs(R), 1));
  const erf = erfTailF32(R, -Q, w);
  return fmaf(erf, 0.5, fround(T + 0.5));
}

/** out[i] = gelu(x[xOff + i]) for i < n (x and out of one float type, or any arrays in TS). */
export function gelu(
  x: TypedArray,
  xOff: number,
  out: TypedArray,
  n: number,
  tanhApprox: boolean,
): void {
  if (n >= nativeMin && native.geluForward(x, xOff, out, n, tanhApprox ? 1 : 0)) return;
  if (!tanhApprox && x instanceof Float32Array && out instanceof Float32Array) {
    for (let i = 0; i < n; i++) out[i] = geluF32(x[xOff + i]);
    return;
  }
  for (let i = 0; i < n; i++) out[i] = geluScalar(x[xOff + i], tanhApprox);
}

/**
 * out[i] = g[gOff + i] * gelu'(x[xOff + i]) for i < n, each element rounded once (float32 exact:
 * Note [float32 GELU], the product one more float32 rounding).
 */
export function geluBackward(
  g: TypedArray,
  gOff: number,
  x: TypedArray,
  xOff: number,
  out: TypedArray,
  n: number,
  tanhApprox: boolean,
): void {
  if (n >= nativeMin && native.geluBackward(g, gOff, x, xOff, out, n, tanhApprox ? 1 : 0)) return;
  if (
    !tanhApprox &&
    g instanceof Float32Array &&
    x instanceof Float32Array &&
    out instanceof Float32Array
  ) {
    for (let i = 0; i < n; i++) out[i] = g[gOff + i] * geluDerivF32(x[xOff + i]);
    return;
  }
  for (let i = 0; i < n; i++) out[i] = g[gOff + i] * geluDerivScalar(x[xOff + i], tanhApprox);
}
