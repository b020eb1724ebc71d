/**
 * Elementwise kernels (the twins of native/elementwise.cc): unary and binary ops on contiguous
 * runs (operands may advance by a step of 0, a broadcast scalar), the pow and activation
 * gradients, where and clamp; and the native entry points of the broadcasting loops in
 * src/ops/elementwise.ts (strided binary ops, where, masked fill).
 *
 * Kernels work on typed arrays and layouts, never on a Tensor (the backend layer imports only
 * dtype.ts and shape.ts; eslint.config.js). Loops are plain `for` loops with the operation
 * chosen by a `switch` outside the loop, so there is no per-element closure call or
 * allocation. Large float arrays go to the addon (native.ts) when it is loaded.
 */
import type { TypedArray } from "../dtype.js";
import {
  Activation,
  BINARY_MATH,
  BINARY_PREDICATE,
  Binary,
  UNARY_MATH,
  UNARY_PREDICATE,
  Unary,
  opTable,
} from "./abi.js";
import { nativeAddon, nativeKernels, nativeStatus } from "./native.js";
import { digammaScalar, erfcScalar, erfinvScalar, lgammaScalar, sincScalar } from "./special.js";
import { hypot } from "./fma.js";

export { Activation, Binary, Unary };

const native = nativeKernels("elementwise");

/**
 * Elements from which a kernel goes native. An addon call costs ~0.3-0.4 µs (argument checks
 * included). Measured here (float32, best of 7 x 3000 calls, µs per call, TypeScript vs
 * native): add 64: 0.31 vs 0.62, 128: 0.66 vs 0.55, 256: 1.1 vs 0.37, 1024: 2.9 vs 0.42; neg
 * 128: 0.37 vs 0.22, 256: 0.51 vs 0.23; a transposed copy 11x11: 0.86 vs 1.24, 16x16: 1.5 vs
 * 1.1; tanh 64: 1.6 vs 0.50; exp 64: 0.85 vs 0.41. Cheap ops (arithmetic, copies, selects)
 * therefore switch at 256 elements, libm-class math (tanh, exp, pow, ...) at 64.
 *
 * The WebAssembly backend (wasm.ts) copies its arrays in and out (Note [wasm copies]); most of
 * its math is wasi-libc's scalar functions, about as fast as V8's Math: measured (µs, TypeScript
 * vs wasm, float32, a loaded machine), add 256: 0.7 vs 1.2, 1024: 2.5 vs 1.1, 4096: 22 vs 2.0;
 * tanh (libm) 256: 11 vs 22, 1024: 97 vs 64, 16384: 966 vs 1260. Both switch at 1024 there.
 * Its float32 exp, log, log1p, expm1, tanh and sigmoid are SIMD128 (Note [wasm vector math],
 * native/elementwise.cc): measured (µs of CPU, TypeScript vs wasm, load 18), tanh 64: 1.0 vs
 * 0.83, 128: 1.9 vs 0.93, 1024: 14 vs 3.1; exp 64: 0.51 vs 0.72, 128: 0.96 vs 0.78; sigmoid
 * 128: 1.2 vs 0.92. Those switch at 128 (`vectorMin`).
 */
const WASM = nativeStatus.backend === "wasm";
let cheapMin = WASM ? 1024 : 256;
let mathMin = WASM ? 1024 : 64;
let vectorMin = WASM ? 128 : mathMin;

/**
 * Set the element thresholds (tests use 0 to send every float call native); `vector`: the
 * WebAssembly backend's SIMD128 math (float32 exp, log, log1p, expm1, tanh, sigmoid), `math`
 * by default.
 */
export function setNativeElementwiseThresholds(cheap: number, math: number, vector = math): void {
  cheapMin = cheap;
  mathMin = math;
  vectorMin = vector;
}

export function getNativeElementwiseThresholds(): { cheap: number; math: number; vector: number } {
  return { cheap: cheapMin, math: mathMin, vector: vectorMin };
}

/**
 * Whether a cheap elementwise kernel of n elements would go native (copies too: copy.ts):
 * ops-level callers check this before preparing a strided call's arguments.
 */
export function nativeWorth(n: number): boolean {
  return nativeAddon !== null && n >= cheapMin;
}

const UNARY_IS_MATH = opTable(UNARY_MATH);
const UNARY_IS_PREDICATE = opTable(UNARY_PREDICATE);
const BINARY_IS_MATH = opTable(BINARY_MATH);
const BINARY_IS_PREDICATE = opTable(BINARY_PREDICATE);

/** Elements from which a binary op goes native. */
function binaryMin(op: Binary): number {
  return BINARY_IS_MATH[op] === 1 ? mathMin : cheapMin;
}

/** The output fits the op natively: a's float type, or a Uint8Array for a predicate. */
function binaryOutFits(op: Binary, a: TypedArray, out: TypedArray): boolean {
  return BINARY_IS_PREDICATE[op] === 1
    ? out instanceof Uint8Array
    : out.constructor === a.constructor;
}

// ---------------------------------------------------------------------------------------------
// Elementwise unary ops on contiguous inputs.

/** Round half to even, as torch.round does. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * 2^x as C's exp2: exact powers of two for integral x (Math.pow(2, x) is exact there too) and
 * the correctly handled limits exp2(-inf) = 0, exp2(inf) = inf, exp2(nan) = nan.
 */
function exp2(x: number): number {
  return Math.pow(2, x);
}

/** The unary ops with float32 SIMD128 bodies in the WebAssembly module (`vectorMin`). */
const UNARY_IS_VECTOR = opTable([
  Unary.Exp,
  Unary.Log,
  Unary.Log1p,
  Unary.Expm1,
  Unary.Tanh,
  Unary.Sigmoid,
]);

/** Elements from which a unary op goes native. */
function unaryMin(op: Unary, a: TypedArray): number {
  if (UNARY_IS_MATH[op] === 0) return cheapMin;
  return UNARY_IS_VECTOR[op] === 1 && a instanceof Float32Array ? vectorMin : mathMin;
}

export function unary(op: Unary, a: TypedArray, aOff: number, out: TypedArray, n: number): void {
  if (n >= unaryMin(op, a) && UNARY_IS_PREDICATE[op] === 0) {
    if (native.ewUnary(op, a, aOff, out, n)) return;
  }
  switch (op) {
    case Unary.Neg:
      for (let i = 0; i < n; i++) out[i] = -a[aOff + i];
      break;
    case Unary.Abs:
      for (let i = 0; i < n; i++) out[i] = Math.abs(a[aOff + i]);
      break;
    case Unary.Sign:
      // sign(x) in {-1, 0, 1}; NaN gives 0, as PyTorch's (0 < x) - (x < 0)
      for (let i = 0; i < n; i++) {
        const x = a[aOff + i];
        out[i] = x > 0 ? 1 : x < 0 ? -1 : 0;
      }
      break;
    case Unary.Exp:
      for (let i = 0; i < n; i++) out[i] = Math.exp(a[aOff + i]);
      break;
    case Unary.Log:
      for (let i = 0; i < n; i++) out[i] = Math.log(a[aOff + i]);
      break;
    case Unary.Log1p:
      for (let i = 0; i < n; i++) out[i] = Math.log1p(a[aOff + i]);
      break;
    case Unary.Expm1:
      for (let i = 0; i < n; i++) out[i] = Math.expm1(a[aOff + i]);
      break;
    case Unary.Sqrt:
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(a[aOff + i]);
      break;
    case Unary.Rsqrt:
      for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(a[aOff + i]);
      break;
    case Unary.Reciprocal:
      for (let i = 0; i < n; i++) out[i] = 1 / a[aOff + i];
      break;
    case Unary.Square:
      for (let i = 0; i < n; i++) {
        const x = a[aOff + i];
        out[i] = x * x;
      }
      break;
    case Unary.Sin:
      for (let i = 0; i < n; i++) out[i] = Math.sin(a[aOff + i]);
      break;
    case Unary.Cos:
      for (let i = 0; i < n; i++) out[i] = Math.cos(a[aOff + i]);
      break;
    case Unary.Tan:
      for (let i = 0; i < n; i++) out[i] = Math.tan(a[aOff + i]);
      break;
    case Unary.Tanh:
      for (let i = 0; i < n; i++) out[i] = Math.tanh(a[aOff + i]);
      break;
    case Unary.Sigmoid:
      for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-a[aOff + i]));
      break;
    case Unary.Relu:
      // relu(nan) = nan, as PyTorch's clamp_min(0)
      for (let i = 0; i < n; i++) {
        const x = a[aOff + i];
        out[i] = x > 0 || x !== x ? x : 0;
      }
      break;
    case Unary.Floor:
      for (let i = 0; i < n; i++) out[i] = Math.floor(a[aOff + i]);
      break;
    case Unary.Ceil:
      for (let i = 0; i < n; i++) out[i] = Math.ceil(a[aOff + i]);
      break;
    case Unary.Round:
      for (let i = 0; i < n; i++) out[i] = roundHalfEven(a[aOff + i]);
      break;
    case Unary.Trunc:
      for (let i = 0; i < n; i++) out[i] = Math.trunc(a[aOff + i]);
      break;
    case Unary.IsNan:
      for (let i = 0; i < n; i++) out[i] = a[aOff + i] !== a[aOff + i] ? 1 : 0;
      break;
    case Unary.IsFinite:
      for (let i = 0; i < n; i++) out[i] = Number.isFinite(a[aOff + i]) ? 1 : 0;
      break;
    case Unary.LogicalNot:
      for (let i = 0; i < n; i++) out[i] = a[aOff + i] === 0 ? 1 : 0;
      break;
    case Unary.Asin:
      for (let i = 0; i < n; i++) out[i] = Math.asin(a[aOff + i]);
      break;
    case Unary.Acos:
      for (let i = 0; i < n; i++) out[i] = Math.acos(a[aOff + i]);
      break;
    case Unary.Atan:
      for (let i = 0; i < n; i++) out[i] = Math.atan(a[aOff + i]);
      break;
    case Unary.Sinh:
      for (let i = 0; i < n; i++) out[i] = Math.sinh(a[aOff + i]);
      break;
    case Unary.Cosh:
      for (let i = 0; i < n; i++) out[i] = Math.cosh(a[aOff + i]);
      break;
    case Unary.Asinh:
      for (let i = 0; i < n; i++) out[i] = Math.asinh(a[aOff + i]);
      break;
    case Unary.Acosh:
      for (let i = 0; i < n; i++) out[i] = Math.acosh(a[aOff + i]);
      break;
    case Unary.Atanh:
      for (let i = 0; i < n; i++) out[i] = Math.atanh(a[aOff + i]);
      break;
    case Unary.Log2:
      for (let i = 0; i < n; i++) out[i] = Math.log2(a[aOff + i]);
      break;
    case Unary.Log10:
      for (let i = 0; i < n; i++) out[i] = Math.log10(a[aOff + i]);
      break;
    case Unary.Exp2:
      for (let i = 0; i < n; i++) out[i] = exp2(a[aOff + i]);
      break;
    case Unary.Erfc:
      for (let i = 0; i < n; i++) out[i] = erfcScalar(a[aOff + i]);
      break;
    case Unary.Erfinv:
      for (let i = 0; i < n; i++) out[i] = erfinvScalar(a[aOff + i]);
      break;
    case Unary.Sinc:
      for (let i = 0; i < n; i++) out[i] = sincScalar(a[aOff + i]);
      break;
    case Unary.Lgamma:
      for (let i = 0; i < n; i++) out[i] = lgammaScalar(a[aOff + i]);
      break;
    case Unary.Digamma:
      for (let i = 0; i < n; i++) out[i] = digammaScalar(a[aOff + i]);
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Elementwise binary ops. Operands advance by aStep/bStep (1 for an array, 0 for a broadcast
// scalar), so one loop per op covers array-array, array-scalar and scalar-array.

/**
 * C's pow, which torch.pow follows: as Math.pow, except that 1 ** y is 1 for every y (NaN
 * included) and (-1) ** (+-Infinity) is 1, where Math.pow gives NaN.
 */
export function cPow(x: number, y: number): number {
  if (x === 1 || ((y === Infinity || y === -Infinity) && x === -1)) return 1;
  return Math.pow(x, y);
}

/**
 * log(e^x + e^y) as PyTorch's logaddexp kernel: equal infinities give that infinity (no
 * inf - inf = NaN); otherwise max + log1p(e^-|x - y|).
 */
export function logAddExp(x: number, y: number): number {
  if ((x === Infinity || x === -Infinity) && x === y) return x;
  const m = x > y || y !== y ? x : y;
  return m + Math.log1p(Math.exp(-Math.abs(x - y)));
}

const INV_LN2 = 1 / Math.LN2;
/** log2(2^x + 2^y) as PyTorch's logaddexp2 kernel: max + log1p(2^-|x - y|) / ln 2. */
export function logAddExp2(x: number, y: number): number {
  if ((x === Infinity || x === -Infinity) && x === y) return x;
  const m = x > y || y !== y ? x : y;
  return m + Math.log1p(Math.pow(2, -Math.abs(x - y))) * INV_LN2;
}

/** |x| with the sign bit of y (-0 and NaN signs included), as C's copysign. */
const sgnF64 = new Float64Array(1);
const sgnU8 = new Uint8Array(sgnF64.buffer);
const SIGN_BYTE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 7 : 0;
export function copysign(x: number, y: number): number {
  sgnF64[0] = y;
  const neg = (sgnU8[SIGN_BYTE] & 0x80) !== 0;
  sgnF64[0] = x;
  sgnU8[SIGN_BYTE] = neg ? sgnU8[SIGN_BYTE] | 0x80 : sgnU8[SIGN_BYTE] & 0x7f;
  return sgnF64[0];
}

export function binary(
  op: Binary,
  a: TypedArray,
  aOff: number,
  aStep: number,
  b: TypedArray,
  bOff: number,
  bStep: number,
  out: TypedArray,
  outOff: number,
  n: number,
): void {
  if (n >= binaryMin(op) && binaryOutFits(op, a, out)) {
    if (native.ewBinary(op, a, aOff, aStep, b, bOff, bStep, out, outOff, n)) return;
  }
  let i = outOff;
  let ia = aOff;
  let ib = bOff;
  n += outOff;
  switch (op) {
    case Binary.Add:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] + b[ib];
      break;
    case Binary.Sub:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] - b[ib];
      break;
    case Binary.Mul:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] * b[ib];
      break;
    case Binary.Div:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] / b[ib];
      break;
    case Binary.Pow:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = cPow(a[ia], b[ib]);
      break;
    case Binary.Maximum:
      // NaN propagates, as torch.maximum
      for (; i < n; i++, ia += aStep, ib += bStep) {
        const x = a[ia];
        const y = b[ib];
        out[i] = x !== x || y !== y ? NaN : x > y ? x : y;
      }
      break;
    case Binary.Minimum:
      for (; i < n; i++, ia += aStep, ib += bStep) {
        const x = a[ia];
        const y = b[ib];
        out[i] = x !== x || y !== y ? NaN : x < y ? x : y;
      }
      break;
    case Binary.Eq:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] === b[ib] ? 1 : 0;
      break;
    case Binary.Ne:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] !== b[ib] ? 1 : 0;
      break;
    case Binary.Lt:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] < b[ib] ? 1 : 0;
      break;
    case Binary.Le:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] <= b[ib] ? 1 : 0;
      break;
    case Binary.Gt:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] > b[ib] ? 1 : 0;
      break;
    case Binary.Ge:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] >= b[ib] ? 1 : 0;
      break;
    case Binary.Atan2:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = Math.atan2(a[ia], b[ib]);
      break;
    case Binary.FloorDiv:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = Math.floor(a[ia] / b[ib]);
      break;
    case Binary.Remainder:
      // Python-style modulo: the result has the sign of the divisor
      for (; i < n; i++, ia += aStep, ib += bStep) {
        const x = a[ia];
        const y = b[ib];
        const r = x % y;
        out[i] = r !== 0 && r < 0 !== y < 0 ? r + y : r;
      }
      break;
    case Binary.LogicalAnd:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] !== 0 && b[ib] !== 0 ? 1 : 0;
      break;
    case Binary.LogicalOr:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] !== 0 || b[ib] !== 0 ? 1 : 0;
      break;
    case Binary.Hypot:
      // sqrt(x^2 + y^2) without overflow; inf wins over NaN, as C's hypot; float64 results
      // correctly rounded as glibc's (float32 ones round the double result, exact enough)
      if (out instanceof Float64Array)
        for (; i < n; i++, ia += aStep, ib += bStep) out[i] = hypot(a[ia], b[ib]);
      else for (; i < n; i++, ia += aStep, ib += bStep) out[i] = Math.hypot(a[ia], b[ib]);
      break;
    case Binary.LogAddExp:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = logAddExp(a[ia], b[ib]);
      break;
    case Binary.LogAddExp2:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = logAddExp2(a[ia], b[ib]);
      break;
    case Binary.Copysign:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = copysign(a[ia], b[ib]);
      break;
    case Binary.Xlogy:
      // x * log(y), 0 where x == 0 (unless y is NaN), as PyTorch's xlogy kernel
      for (; i < n; i++, ia += aStep, ib += bStep) {
        const x = a[ia];
        const y = b[ib];
        out[i] = y !== y ? NaN : x === 0 ? 0 : x * Math.log(y);
      }
      break;
  }
}

/** The gradient of x^c: out[i] = g[i] * c * x[i]^(c-1) (g may be a broadcast scalar: gStep 0). */
export function powBackward(
  g: TypedArray,
  gOff: number,
  gStep: number,
  x: TypedArray,
  xOff: number,
  c: number,
  out: TypedArray,
  n: number,
): void {
  if (
    n >= (c === 2 ? cheapMin : mathMin) &&
    native.ewPowBackward(g, gOff, gStep, x, xOff, c, out, n)
  )
    return;
  let ig = gOff;
  if (c === 2) {
    for (let i = 0; i < n; i++, ig += gStep) out[i] = g[ig] * 2 * x[xOff + i];
  } else {
    const c1 = c - 1;
    for (let i = 0; i < n; i++, ig += gStep) out[i] = g[ig] * (cPow(x[xOff + i], c1) * c);
  }
}

/**
 * The gradient of an activation from its saved result y, in one pass with the roundings of
 * the composed tensor ops it replaces (derivatives.ts): TanhBackward: g * (1 - y*y);
 * SigmoidBackward: g * (y * (1 - y)); ReluBackward: y <= 0 ? 0 : g (g.maskedFill(y.le(0), 0)).
 * g may be a broadcast scalar (gStep 0).
 */
export function activationBackward(
  kind: Activation,
  g: TypedArray,
  gOff: number,
  gStep: number,
  y: TypedArray,
  yOff: number,
  out: TypedArray,
  n: number,
): void {
  if (n >= cheapMin && native.ewActivationBackward(kind, g, gOff, gStep, y, yOff, out, n)) return;
  // each intermediate is stored into `out` (rounded to its dtype) before the next step, as
  // the separate ops would round it
  let ig = gOff;
  if (kind === Activation.TanhBackward) {
    for (let i = 0; i < n; i++, ig += gStep) {
      const v = y[yOff + i];
      out[i] = v * v;
      out[i] = 1 - out[i];
      out[i] = g[ig] * out[i];
    }
  } else if (kind === Activation.SigmoidBackward) {
    for (let i = 0; i < n; i++, ig += gStep) {
      const v = y[yOff + i];
      out[i] = 1 - v;
      out[i] = v * out[i];
      out[i] = g[ig] * out[i];
    }
  } else {
    for (let i = 0; i < n; i++, ig += gStep) out[i] = y[yOff + i] <= 0 ? 0 : g[ig];
  }
}

/** out[i] = cond[i] ? a[i] : b[i] over contiguous, equally sized inputs. */
export function where(
  cond: TypedArray,
  a: TypedArray,
  b: TypedArray,
  out: TypedArray,
  n: number,
): void {
  for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? a[i] : b[i];
}

/** clamp with optional bounds (NaN propagates, as torch.clamp). */
export function clamp(
  a: TypedArray,
  aOff: number,
  out: TypedArray,
  n: number,
  lo: number,
  hi: number,
): void {
  if (n >= cheapMin && native.ewClamp(a, aOff, out, n, lo, hi)) return;
  for (let i = 0; i < n; i++) {
    // min(max(x, lo), hi): hi wins when lo > hi; NaN propagates
    const y = a[aOff + i] < lo ? lo : a[aOff + i];
    out[i] = y > hi ? hi : y;
  }
}

// ---------------------------------------------------------------------------------------------
// Native entry points of the broadcasting loops in src/ops/elementwise.ts (which keep their
// own TypeScript loops): each runs the binding when n is worth it and the arrays fit.

/** The broadcasting binary op into a contiguous `out` of `shape` (binaryKernel's general path). */
export function tryNativeBinaryStrided(
  op: Binary,
  a: TypedArray,
  aOff: number,
  aStrides: readonly number[],
  b: TypedArray,
  bOff: number,
  bStrides: readonly number[],
  out: TypedArray,
  shape: readonly number[],
  n: number,
): boolean {
  if (n < binaryMin(op) || !binaryOutFits(op, a, out)) return false;
  return native.ewBinaryStrided(op, a, aOff, aStrides, b, bOff, bStrides, out, shape);
}

/** where(cond, a, b) over broadcast operands into a contiguous float output. */
export function tryNativeWhere(
  cond: TypedArray,
  cOff: number,
  cStrides: readonly number[],
  a: TypedArray,
  aOff: number,
  aStrides: readonly number[],
  b: TypedArray,
  bOff: number,
  bStrides: readonly number[],
  out: TypedArray,
  shape: readonly number[],
  n: number,
): boolean {
  if (n < cheapMin) return false;
  return native.ewWhere(cond, cOff, cStrides, a, aOff, aStrides, b, bOff, bStrides, out, shape);
}

/** maskedFill(a, mask, value) over broadcast operands into a contiguous float output. */
export function tryNativeMaskedFill(
  a: TypedArray,
  aOff: number,
  aStrides: readonly number[],
  mask: TypedArray,
  mOff: number,
  mStrides: readonly number[],
  value: number,
  out: TypedArray,
  shape: readonly number[],
  n: number,
): boolean {
  if (n < cheapMin) return false;
  return native.ewMaskedFill(a, aOff, aStrides, mask, mOff, mStrides, value, out, shape);
}
