/**
 * Activation kernels (the twins of native/activation.cc): GELU forward and backward, exact
 * (erf) and tanh-approximated, on contiguous float32 / float64 runs. Each element is computed in
 * double and rounded once to the output's dtype, as PyTorch's scalar GeluKernelImpl /
 * GeluBackwardKernelImpl formulas:
 *
 *   exact:  gelu(x) = x * 0.5 * (1 + erf(x / sqrt 2))
 *           gelu'(x) = 0.5 * (1 + erf(x / sqrt 2)) + x * exp(-x^2 / 2) / sqrt(2 pi)
 *   tanh:   gelu(x) = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
 *           gelu'(x) = 0.5 * (1 + t) + 0.5 * x * (1 - t^2) * sqrt(2/pi) * (1 + 3 * 0.044715 x^2)
 *
 * Large arrays go to the addon (native.ts) when it is loaded; its erf is the same fdlibm
 * algorithm as erfScalar, so the two agree to the last bit but for libm's exp and tanh.
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

/** out[i] = gelu(x[xOff + i]) for i < n (x and out of one float type, or any arrays in TS). */
export function gelu(
  x: TypedArray,
  xOff: number,
  out: TypedArray,
  n: number,
  tanhApprox: boolean,
): void {
  if (n >= nativeMin && native.geluForward(x, xOff, out, n, tanhApprox ? 1 : 0)) return;
  for (let i = 0; i < n; i++) out[i] = geluScalar(x[xOff + i], tanhApprox);
}

/** out[i] = g[gOff + i] * gelu'(x[xOff + i]) for i < n, each element rounded once. */
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
  for (let i = 0; i < n; i++) out[i] = g[gOff + i] * geluDerivScalar(x[xOff + i], tanhApprox);
}
