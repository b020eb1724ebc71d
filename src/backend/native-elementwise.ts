/**
 * Native elementwise kernels (native/elementwise.cc): the addon functions' signatures and the dispatch
 * helpers the TypeScript kernels call (each returns false when the call stays on TypeScript).
 *
 * Only float32/float64 data goes native, with one dtype for inputs and output (comparisons may
 * write a Uint8Array). Each helper checks the size first, so small tensors (the graph-overhead
 * path) pay one comparison. The op numbers are cpu.ts's `Unary`/`Binary` const enums.
 */
import type { TypedArray } from "../dtype.js";
import { type FloatArray, isFloat, nativeAddon, sameFloat } from "./native.js";

/** The family's addon functions (argument errors throw TypeError/RangeError). */
export interface ElementwiseKernels {
  /** out[i] = op(a[aOff + i]) for i < n (cpu.ts `unary`; not IsNan/IsFinite/LogicalNot). */
  ewUnary(op: number, a: FloatArray, aOff: number, out: FloatArray, n: number): void;
  /** out[outOff + i] = op(a[aOff + i*aStep], b[bOff + i*bStep]) (cpu.ts `binary`). */
  ewBinary(
    op: number,
    a: FloatArray,
    aOff: number,
    aStep: number,
    b: FloatArray,
    bOff: number,
    bStep: number,
    out: FloatArray | Uint8Array,
    outOff: number,
    n: number,
  ): void;
  /** The broadcasting binary op: out (contiguous, `shape`) = op(a, b) read through strides. */
  ewBinaryStrided(
    op: number,
    a: FloatArray,
    aOff: number,
    aStrides: readonly number[],
    b: FloatArray,
    bOff: number,
    bStrides: readonly number[],
    out: FloatArray | Uint8Array,
    shape: readonly number[],
  ): void;
  /** out[i] = g[gOff + i*gStep] * c * x[xOff + i]^(c-1), gStep 0 or 1 (cpu.ts `powBackward`). */
  ewPowBackward(
    g: FloatArray,
    gOff: number,
    gStep: number,
    x: FloatArray,
    xOff: number,
    c: number,
    out: FloatArray,
    n: number,
  ): void;
  /** kind 0: out = g*(1 - y*y) (tanh); 1: g*(y*(1 - y)) (sigmoid); 2: y <= 0 ? 0 : g (relu). */
  ewActivationBackward(
    kind: number,
    g: FloatArray,
    gOff: number,
    gStep: number,
    y: FloatArray,
    yOff: number,
    out: FloatArray,
    n: number,
  ): void;
  /** out[i] = min(max(a[aOff + i], lo), hi) (cpu.ts `clamp`). */
  ewClamp(a: FloatArray, aOff: number, out: FloatArray, n: number, lo: number, hi: number): void;
  /** dst[dst layout] = src[src layout] over `shape`, two typed arrays of one type. */
  ewCopy(
    src: TypedArray,
    srcOff: number,
    srcStrides: readonly number[],
    dst: TypedArray,
    dstOff: number,
    dstStrides: readonly number[],
    shape: readonly number[],
  ): void;
  /** out (contiguous, `shape`) = cond ? a : b, each read through its strides. */
  ewWhere(
    cond: Uint8Array,
    cOff: number,
    cStrides: readonly number[],
    a: FloatArray,
    aOff: number,
    aStrides: readonly number[],
    b: FloatArray,
    bOff: number,
    bStrides: readonly number[],
    out: FloatArray,
    shape: readonly number[],
  ): void;
  /** out (contiguous, `shape`) = mask ? value : a, a and mask read through their strides. */
  ewMaskedFill(
    a: FloatArray,
    aOff: number,
    aStrides: readonly number[],
    mask: Uint8Array,
    mOff: number,
    mStrides: readonly number[],
    value: number,
    out: FloatArray,
    shape: readonly number[],
  ): void;
}

/**
 * Elements from which a kernel goes native. An addon call costs ~0.3-0.4 µs (argument checks
 * included). Measured here (float32, best of 7 x 3000 calls, µs per call, TypeScript vs
 * native): add 64: 0.31 vs 0.62, 128: 0.66 vs 0.55, 256: 1.1 vs 0.37, 1024: 2.9 vs 0.42; neg
 * 128: 0.37 vs 0.22, 256: 0.51 vs 0.23; a transposed copy 11x11: 0.86 vs 1.24, 16x16: 1.5 vs
 * 1.1; tanh 64: 1.6 vs 0.50; exp 64: 0.85 vs 0.41. Cheap ops (arithmetic, copies, selects)
 * therefore switch at 256 elements, libm-class math (tanh, exp, pow, ...) at 64.
 */
let cheapMin = 256;
let mathMin = 64;

/** Set the element thresholds (tests use 0 to send every float call native). */
export function setNativeElementwiseThresholds(cheap: number, math: number): void {
  cheapMin = cheap;
  mathMin = math;
}

export function getNativeElementwiseThresholds(): { cheap: number; math: number } {
  return { cheap: cheapMin, math: mathMin };
}

/**
 * Whether a cheap elementwise kernel of n elements would go native: ops-level callers check
 * this before preparing a strided call's arguments.
 */
export function nativeWorth(n: number): boolean {
  return nativeAddon !== null && n >= cheapMin;
}

// cpu.ts const enum values (imported as numbers: a const enum import from cpu.ts would be a
// cycle, since cpu.ts imports this module)
const UNARY_EXP = 3;
const UNARY_SQRT = 7;
const UNARY_RSQRT = 8;
const UNARY_SIN = 11;
const UNARY_SIGMOID = 15;
const UNARY_IS_NAN = 21;
const BINARY_POW = 4;
const BINARY_EQ = 7;
const BINARY_GE = 12;
const BINARY_ATAN2 = 13;
const BINARY_REMAINDER = 15;
const BINARY_LOGICAL_AND = 16;

/** Whether a unary op costs a libm call per element (exp..expm1, rsqrt, sin..sigmoid). */
function unaryIsMath(op: number): boolean {
  return (
    (op >= UNARY_EXP && op < UNARY_SQRT) ||
    op === UNARY_RSQRT ||
    (op >= UNARY_SIN && op <= UNARY_SIGMOID)
  );
}

/** cpu.ts `unary` on the addon: float input and output of one dtype, ops below IsNan. */
export function tryNativeUnary(
  op: number,
  a: TypedArray,
  aOff: number,
  out: TypedArray,
  n: number,
): boolean {
  if (nativeAddon === null || n < (unaryIsMath(op) ? mathMin : cheapMin)) return false;
  if (op >= UNARY_IS_NAN || !sameFloat(a, out)) return false;
  nativeAddon.ewUnary(op, a as FloatArray, aOff, out as FloatArray, n);
  return true;
}

function binaryIsMath(op: number): boolean {
  return op === BINARY_POW || (op >= BINARY_ATAN2 && op <= BINARY_REMAINDER);
}

/** Whether op writes a bool: comparisons and logical and/or. */
function isPredicate(op: number): boolean {
  return (op >= BINARY_EQ && op <= BINARY_GE) || op >= BINARY_LOGICAL_AND;
}

/** The output fits the op: a and out of one float dtype, or a Uint8Array for a predicate. */
function outFits(op: number, a: TypedArray, b: TypedArray, out: TypedArray): boolean {
  if (!sameFloat(a, b)) return false;
  return isPredicate(op) ? out instanceof Uint8Array : sameFloat(a, out);
}

/** cpu.ts `binary` on the addon. */
export function tryNativeBinary(
  op: number,
  a: TypedArray,
  aOff: number,
  aStep: number,
  b: TypedArray,
  bOff: number,
  bStep: number,
  out: TypedArray,
  outOff: number,
  n: number,
): boolean {
  if (nativeAddon === null || n < (binaryIsMath(op) ? mathMin : cheapMin)) return false;
  if (!outFits(op, a, b, out)) return false;
  nativeAddon.ewBinary(
    op,
    a as FloatArray,
    aOff,
    aStep,
    b as FloatArray,
    bOff,
    bStep,
    out as FloatArray,
    outOff,
    n,
  );
  return true;
}

/** The broadcasting binary op (src/ops/elementwise.ts `binaryKernel`'s general path). */
export function tryNativeBinaryStrided(
  op: number,
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
  if (nativeAddon === null || n < (binaryIsMath(op) ? mathMin : cheapMin)) return false;
  if (!outFits(op, a, b, out)) return false;
  nativeAddon.ewBinaryStrided(
    op,
    a as FloatArray,
    aOff,
    aStrides,
    b as FloatArray,
    bOff,
    bStrides,
    out as FloatArray,
    shape,
  );
  return true;
}

/** cpu.ts `powBackward` on the addon. */
export function tryNativePowBackward(
  g: TypedArray,
  gOff: number,
  gStep: number,
  x: TypedArray,
  xOff: number,
  c: number,
  out: TypedArray,
  n: number,
): boolean {
  if (nativeAddon === null || n < (c === 2 ? cheapMin : mathMin)) return false;
  if (!sameFloat(g, x) || !sameFloat(x, out)) return false;
  nativeAddon.ewPowBackward(
    g as FloatArray,
    gOff,
    gStep,
    x as FloatArray,
    xOff,
    c,
    out as FloatArray,
    n,
  );
  return true;
}

/** cpu.ts `activationBackward` on the addon. */
export function tryNativeActivationBackward(
  kind: number,
  g: TypedArray,
  gOff: number,
  gStep: number,
  y: TypedArray,
  yOff: number,
  out: TypedArray,
  n: number,
): boolean {
  if (nativeAddon === null || n < cheapMin) return false;
  if (!sameFloat(g, y) || !sameFloat(y, out)) return false;
  nativeAddon.ewActivationBackward(
    kind,
    g as FloatArray,
    gOff,
    gStep,
    y as FloatArray,
    yOff,
    out as FloatArray,
    n,
  );
  return true;
}

/** cpu.ts `clamp` on the addon. */
export function tryNativeClamp(
  a: TypedArray,
  aOff: number,
  out: TypedArray,
  n: number,
  lo: number,
  hi: number,
): boolean {
  if (nativeAddon === null || n < cheapMin || !sameFloat(a, out)) return false;
  nativeAddon.ewClamp(a as FloatArray, aOff, out as FloatArray, n, lo, hi);
  return true;
}

/** Row-major strides of a contiguous `shape`. */
function rowMajor(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

/**
 * A strided copy between two arrays of one type (gather, scatter, broadcast expansion): any
 * element type, since elements are moved unchanged. Strides `null`: contiguous (row-major).
 */
export function tryNativeCopy(
  src: TypedArray,
  srcOff: number,
  srcStrides: readonly number[] | null,
  dst: TypedArray,
  dstOff: number,
  dstStrides: readonly number[] | null,
  shape: readonly number[],
  n: number,
): boolean {
  if (nativeAddon === null || n < cheapMin || src.constructor !== dst.constructor) return false;
  nativeAddon.ewCopy(
    src,
    srcOff,
    srcStrides ?? rowMajor(shape),
    dst,
    dstOff,
    dstStrides ?? rowMajor(shape),
    shape,
  );
  return true;
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
  if (nativeAddon === null || n < cheapMin) return false;
  if (!(cond instanceof Uint8Array) || !sameFloat(a, b) || !sameFloat(a, out)) return false;
  nativeAddon.ewWhere(
    cond,
    cOff,
    cStrides,
    a as FloatArray,
    aOff,
    aStrides,
    b as FloatArray,
    bOff,
    bStrides,
    out as FloatArray,
    shape,
  );
  return true;
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
  if (nativeAddon === null || n < cheapMin) return false;
  if (!(mask instanceof Uint8Array) || !isFloat(a) || !sameFloat(a, out)) return false;
  nativeAddon.ewMaskedFill(
    a,
    aOff,
    aStrides,
    mask,
    mOff,
    mStrides,
    value,
    out as FloatArray,
    shape,
  );
  return true;
}
