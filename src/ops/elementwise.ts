/**
 * Elementwise ops: broadcasting binary ops, unary math, comparisons, where, clamp.
 * Each follows one path: validate, compute the result dtype, run the kernel, wrap. Most are
 * the forwards of op registry entries (src/registry/ops/elementwise.ts), which record them;
 * add, sub, mul, div, tanh, sigmoid, relu and clamp record their own node.
 */
import { Tensor } from "../tensor.js";
import {
  DType,
  type TypedArray,
  bool,
  float32,
  float64,
  resultType,
  int64,
  uint8,
} from "../dtype.js";
import { broadcastShapes, broadcastStrides, numelOf, shapeEqual } from "../shape.js";
import {
  Binary,
  Unary,
  binary,
  clamp as clampKernel,
  nativeWorth,
  tryNativeBinaryStrided,
  tryNativeMaskedFill,
  tryNativeWhere,
  unary,
  where as whereKernel,
} from "../backend/elementwise.js";
import { stridedOffsets, tryNativeCopy } from "../backend/copy.js";
import {
  alloc,
  allocData,
  allocOutput,
  asDtype,
  castData,
  checkOperand,
  contiguousData,
  floatDtypeOf,
  scalarArray,
  scalarIn,
  wrap,
  scalarTypeName,
  pyTypeName,
} from "./core.js";
import {
  anyNeedsGrad,
  needsGrad,
  record,
  recordWith,
  derivativeSlots,
} from "../autograd/function.js";
import { runtimeError, typeError } from "../errors.js";

/** Note [derivative slots] */
const DEFS = derivativeSlots(["add", "sub", "rsub", "mul", "div", "relu", "clamp", "clampTensor"]);

/**
 * Run binary kernel `op` over a and b (tensor or number), computing in `computeDtype` and
 * writing an array of `outDtype`. Handles broadcasting with row loops over strided operands.
 */
export function binaryKernel(
  op: Binary,
  a: Tensor,
  b: Tensor | number,
  computeDtype: DType,
  outDtype: DType,
): Tensor {
  if (typeof b === "number") {
    const n = a.numel();
    const out = allocOutput(a.shape, outDtype); // Note [immutable shapes]: sharing is safe
    const bs = scalarArray(b, computeDtype);
    if (a.dtype === computeDtype && a.isContiguous()) {
      binary(op, a.typedArray, a.offset, 1, bs, 0, 0, out.typedArray, 0, n);
    } else if (a.dtype === computeDtype && n > 0 && (a.dtype === float32 || a.dtype === float64)) {
      // a strided float operand read in place (one strided pass, no contiguous copy first:
      // attention's scaled query is a view of the packed projection); the same values
      broadcastBinaryInto(
        op,
        a,
        { shape: [], strides: [], typedArray: bs, offset: 0 },
        a.shape,
        out.typedArray,
        0,
      );
    } else {
      const ad = asDtype(a, computeDtype);
      binary(op, ad.data, ad.offset, 1, bs, 0, 0, out.typedArray, 0, n);
    }
    return out;
  }
  const shape = shapeEqual(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape);
  const out = allocOutput(shape, outDtype);
  const n = out.numel();
  if (n === 0) return out;
  // Operands in the compute dtype (a cast copies; otherwise the storage is used as is).
  const A = a.dtype === computeDtype ? a : castTensor(a, computeDtype);
  const B = b.dtype === computeDtype ? b : castTensor(b, computeDtype);
  if (
    shapeEqual(A.shape, shape) &&
    shapeEqual(B.shape, shape) &&
    A.isContiguous() &&
    B.isContiguous()
  ) {
    binary(op, A.typedArray, A.offset, 1, B.typedArray, B.offset, 1, out.typedArray, 0, n);
    return out;
  }
  if ((B.numel() === 1 || allZero(B.strides)) && shapeEqual(A.shape, shape) && A.isContiguous()) {
    binary(op, A.typedArray, A.offset, 1, B.typedArray, B.offset, 0, out.typedArray, 0, n);
    return out;
  }
  if ((A.numel() === 1 || allZero(A.strides)) && shapeEqual(B.shape, shape) && B.isContiguous()) {
    binary(op, A.typedArray, A.offset, 0, B.typedArray, B.offset, 1, out.typedArray, 0, n);
    return out;
  }
  broadcastBinaryInto(op, A, B, shape, out.typedArray, 0);
  return out;
}

/** What `broadcastBinaryInto` reads of an operand. */
type StridedOperand = Pick<Tensor, "shape" | "strides" | "typedArray" | "offset">;

/**
 * The general case of `binaryKernel`: out[outOff + i] (row-major over `shape`) = op(A, B) with A
 * and B broadcast to `shape`, any strides, both already in the output's compute dtype. One
 * native call over the strided operands, else one kernel call per row of the last dimension.
 */
export function broadcastBinaryInto(
  op: Binary,
  A: StridedOperand,
  B: StridedOperand,
  shape: readonly number[],
  out: Tensor["typedArray"],
  outOff: number,
): void {
  const nd = shape.length;
  const n = numelOf(shape);
  const as = broadcastStrides(A.shape, A.strides, shape);
  const bs = broadcastStrides(B.shape, B.strides, shape);
  const dst = outOff === 0 ? out : out.subarray(outOff, outOff + n);
  if (
    tryNativeBinaryStrided(
      op,
      A.typedArray,
      A.offset,
      as,
      B.typedArray,
      B.offset,
      bs,
      dst,
      shape,
      n,
    )
  )
    return;
  const rowLen = nd === 0 ? 1 : shape[nd - 1];
  const outer = shape.slice(0, Math.max(nd - 1, 0));
  const aRows = stridedOffsets(outer, as.slice(0, outer.length), A.offset);
  const bRows = stridedOffsets(outer, bs.slice(0, outer.length), B.offset);
  const aStep = nd === 0 ? 0 : as[nd - 1];
  const bStep = nd === 0 ? 0 : bs[nd - 1];
  for (let r = 0; r < aRows.length; r++) {
    binary(
      op,
      A.typedArray,
      aRows[r],
      aStep,
      B.typedArray,
      bRows[r],
      bStep,
      out,
      outOff + r * rowLen,
      rowLen,
    );
  }
}

/** Whether every stride is 0 (a single value broadcast by expand). */
function allZero(strides: readonly number[]): boolean {
  for (let i = 0; i < strides.length; i++) if (strides[i] !== 0) return false;
  return true;
}

/** t's values as a contiguous tensor of `dtype` (no autograd). */
export function castTensor(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  return wrap(castData(t, dtype), t.shape.slice(), dtype);
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

type Operand = Tensor | number;

function arithDtype(a: Tensor, b: Operand): DType {
  // fast paths of Note [type promotion]: a float tensor with a number, equal dtypes
  if (typeof b === "number") {
    if (a.dtype.isFloatingPoint) return a.dtype;
  } else if (a.dtype === b.dtype) return a.dtype;
  return resultType([a, b]);
}

/**
 * torch.add(input, other, alpha=1): input + alpha*other.
 * @example torch.tensor([1, 2]).add(1) // tensor([2., 3.])
 */
export function add(a: Tensor, b: Operand, alpha = 1): Tensor {
  b = checkOperand(b, "add", "other", 1);
  const dt = arithDtype(a, b);
  let out: Tensor;
  if (alpha === 1) out = binaryKernel(dt === bool ? Binary.LogicalOr : Binary.Add, a, b, dt, dt);
  else if (typeof b === "number") out = binaryKernel(Binary.Add, a, b * alpha, dt, dt);
  else out = binaryKernel(Binary.Add, a, binaryKernel(Binary.Mul, b, alpha, dt, dt), dt, dt);
  if (needsGrad(a, typeof b === "number" ? null : b)) {
    recordWith(DEFS.add.def, "add", out, [a, typeof b === "number" ? null : b], {}, { alpha });
  }
  return out;
}

/** torch.sub(input, other, alpha=1): input - alpha*other. */
export function sub(a: Tensor, b: Operand, alpha = 1): Tensor {
  // a Python bool where a Tensor goes is a wrapped bool tensor (Note [wrapped numbers])
  if (typeof (b as unknown) === "boolean") checkSubBool(a.dtype === bool, true);
  b = checkOperand(b, "sub", "other", 1);
  const out = subValue(a, b, alpha);
  if (needsGrad(a, typeof b === "number" ? null : b)) {
    recordWith(DEFS.sub.def, "sub", out, [a, typeof b === "number" ? null : b], {}, { alpha });
  }
  return out;
}

/**
 * sub's refusal of bool operands (a bool Scalar counts as a bool tensor: PyTorch wraps it, so
 * `torch.rsub(boolTensor, True)` is two bools).
 */
export function checkSubBool(aIsBool: boolean, bIsBool: boolean): void {
  if (aIsBool && bIsBool) {
    throw runtimeError(
      "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
    );
  }
  if (aIsBool || bIsBool) {
    throw runtimeError(
      "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
    );
  }
}

/** a - alpha*b with sub's checks and type promotion, recording nothing. */
function subValue(a: Tensor, b: Operand, alpha: number): Tensor {
  checkSubBool(a.dtype === bool, typeof b !== "number" && b.dtype === bool);
  const dt = arithDtype(a, b);
  if (alpha === 1) return binaryKernel(Binary.Sub, a, b, dt, dt);
  if (typeof b === "number") return binaryKernel(Binary.Sub, a, b * alpha, dt, dt);
  return binaryKernel(Binary.Sub, a, binaryKernel(Binary.Mul, b, alpha, dt, dt), dt, dt);
}

/**
 * torch.rsub(input, other, alpha=1) = other - alpha*input (Python's `other - input`), for a
 * tensor (RsubBackward0) or a number (RsubBackward1) `other`.
 * @example torch.rsub(torch.tensor([1, 2]), 5) // tensor([4., 3.])
 */
export function rsub(a: Tensor, other: Operand, alpha = 1): Tensor {
  other = checkOperand(other, "rsub", "other", 1);
  if (typeof other !== "number") {
    const out = subValue(other, a, alpha);
    if (needsGrad(a, other))
      recordWith(DEFS.rsub.def, "rsub", out, [a, other], {}, { alpha, tensorOther: true });
    return out;
  }
  const dt = arithDtype(a, other);
  const scaled = alpha === 1 ? a : binaryKernel(Binary.Mul, a, alpha, dt, dt);
  const out = neg(binaryKernel(Binary.Sub, scaled, other, dt, dt));
  if (needsGrad(a)) recordWith(DEFS.rsub.def, "rsub", out, [a], {}, { alpha, tensorOther: false });
  return out;
}

/** torch.mul(input, other). */
export function mul(a: Tensor, b: Operand): Tensor {
  b = checkOperand(b, "mul", "other", 1);
  const dt = arithDtype(a, b);
  const out = binaryKernel(Binary.Mul, a, b, dt, dt);
  if (typeof b === "number") {
    if (needsGrad(a)) recordWith(DEFS.mul.def, "mul", out, [a, null], {}, { scalar: b });
  } else if (needsGrad(a, b)) {
    recordWith(
      DEFS.mul.def,
      "mul",
      out,
      [a, b],
      { self: b.requiresGrad ? a : null, other: a.requiresGrad ? b : null },
      { scalar: 0 },
    );
  }
  return out;
}

/** A number given for a Tensor argument (PyTorch's wrapped number): a 0-dim tensor of `dtype`. */
function wrappedNumber(v: number | boolean, dtype: DType): Tensor {
  const t = alloc([], dtype);
  t.typedArray[0] = scalarIn(Number(v), dtype);
  return t;
}

/** div's rounding_mode: null (true division), "trunc" or "floor". */
export type RoundingMode = "trunc" | "floor" | null;

function checkRoundingMode(mode: string | null): RoundingMode {
  if (mode === null || mode === "trunc" || mode === "floor") return mode;
  throw runtimeError(
    `div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '${mode}'`,
  );
}

/**
 * input / other without recording: true division in the promoted float dtype (mode null), or
 * the quotient rounded toward zero ("trunc") or down ("floor") in the promoted dtype itself
 * (integers stay integers). `a` is a tensor here (a number first operand arrives wrapped).
 */
function divCompute(a: Tensor, b: Tensor | number, dt: DType, mode: RoundingMode): Tensor {
  if (mode === null) {
    const ft = floatDtypeOf(dt);
    return binaryKernel(Binary.Div, a, b, ft, ft);
  }
  if (dt === bool) throw runtimeError(`"div_${mode}_cpu" not implemented for 'Bool'`);
  if (!dt.isFloatingPoint) {
    return elementwise2(a, b, dt, dt, mode === "trunc" ? intTruncDiv : intFloorDiv);
  }
  // float32 arithmetic: each operation rounds to float32, as the kernel's does
  const r = dt === float32 ? Math.fround : (v: number) => v;
  return elementwise2(
    a,
    b,
    dt,
    dt,
    mode === "trunc" ? (x, y) => Math.trunc(r(x / y)) : (x, y) => floorDivFloat(x, y, r),
  );
}

/** C's integer division (toward zero); a zero divisor raises, as PyTorch's integer kernels. */
function intTruncDiv(x: number, y: number): number {
  if (y === 0) throw runtimeError("ZeroDivisionError");
  let q = Math.trunc(x / y);
  // x / y rounds in double: near 2^53 it can round across an integer, which the remainder's
  // sign (opposite to x's) reveals
  const r = x - q * y;
  if (r !== 0 && r < 0 !== x < 0) q += x < 0 !== y < 0 ? 1 : -1;
  return q;
}

/** c10::div_floor_integer: the truncated quotient, one lower when the signs differ and it is inexact. */
function intFloorDiv(x: number, y: number): number {
  const q = intTruncDiv(x, y);
  return x % y !== 0 && x < 0 !== y < 0 ? q - 1 : q;
}

/**
 * c10::div_floor_floating, Python's float floor division: from fmod (exact), so that a // b
 * is consistent with a % b (7.0 // 0.1 is 69, not floor(70.0)). `r` rounds each intermediate
 * to the dtype.
 */
function floorDivFloat(a: number, b: number, r: (v: number) => number): number {
  if (b === 0) return r(a / b); // the IEEE quotient (inf, -inf or nan)
  const mod = a % b;
  let div = r(r(a - mod) / b);
  if (mod !== 0 && b < 0 !== mod < 0) div = r(div - 1);
  if (div !== 0) {
    let fd = Math.floor(div);
    if (r(div - fd) > 0.5) fd = r(fd + 1);
    return fd;
  }
  // copysign(0, a / b)
  const q = r(a / b);
  return q < 0 || Object.is(q, -0) ? -0 : 0;
}

/**
 * f over a and b broadcast against each other, computed in `dt` (operands cast to it), written
 * as `outDt`: the scalar loop of ops without a kernel of their own.
 */
export function elementwise2(
  a: Tensor,
  b: Tensor | number | boolean,
  dt: DType,
  outDt: DType,
  f: (x: number, y: number) => number,
): Tensor {
  const tb = b instanceof Tensor ? b : null;
  const shape = tb === null ? a.shape.slice() : broadcastShapes(a.shape, tb.shape);
  const n = numelOf(shape);
  const out = allocOutput(shape, outDt);
  if (n === 0) return out;
  const A = expandedData(a, shape, dt);
  const B = tb === null ? null : expandedData(tb, shape, dt);
  const bs = tb === null ? scalarIn(Number(b), dt) : 0;
  const o = out.typedArray;
  for (let i = 0; i < n; i++) o[i] = f(A[i], B === null ? bs : B[i]);
  return out;
}

/**
 * torch.div(input, other, *, rounding_mode): true division (integers give floats), or with
 * rounding_mode "trunc"/"floor" the quotient rounded toward zero/down, in the operands'
 * promoted dtype. Either operand may be a number (PyTorch's parser wraps numbers for div).
 * Records DivBackward0; given a rounding mode (None included) DivBackward2, the
 * div.Tensor_mode overload's node, whose gradient is zero unless the mode is None.
 * @example torch.div(torch.tensor([7, -7]), 2, { roundingMode: "floor" }) // tensor([ 3., -4.])
 */
export function div(a: Tensor | number, b: Operand, roundingMode?: string | null): Tensor {
  b = checkOperand(b, "div", "other", 1);
  const tb = typeof b === "number" ? null : b;
  let out: Tensor;
  let A: Tensor;
  if (roundingMode === undefined && typeof a !== "number") {
    // the common case: true division of a tensor
    A = a;
    const dt = floatDtypeOf(arithDtype(a, b));
    out = binaryKernel(Binary.Div, a, b, dt, dt);
  } else {
    const mode = roundingMode === undefined ? null : checkRoundingMode(roundingMode);
    let dt: DType;
    if (typeof a === "number") {
      dt = resultType([a, b]);
      A = wrappedNumber(a, dt);
    } else {
      A = a;
      dt = arithDtype(a, b);
    }
    out = divCompute(A, b, dt, mode);
  }
  const ta = typeof a === "number" ? null : a;
  if (!needsGrad(ta, tb)) return out;
  const name = roundingMode === undefined ? undefined : "DivBackward2";
  const mode = roundingMode ?? null;
  // as PyTorch, each operand is saved only for the other's gradient: self for d/dother; a
  // number divisor is kept as an attribute
  if (tb === null)
    recordWith(
      DEFS.div.def,
      "div",
      out,
      [ta, null],
      {},
      { scalar: b as number, roundingMode: mode },
      name,
    );
  else
    recordWith(
      DEFS.div.def,
      "div",
      out,
      [ta, tb],
      { self: tb.requiresGrad ? A : null, other: tb },
      { scalar: 0, roundingMode: mode },
      name,
    );
  return out;
}

/** input / other rounded down, without recording (torch.floor_divide's forward). */
export function floorDivide(a: Tensor | number, b: Operand): Tensor {
  const dt = resultType([a, b]);
  return divCompute(typeof a === "number" ? wrappedNumber(a, dt) : a, b, dt, "floor");
}

/** number / tensor, recorded as reciprocal(x) * number (as PyTorch: MulBackward0). */
export function rdiv(a: Tensor, other: number): Tensor {
  return mul(a.reciprocal(), other);
}

/** C++'s integral pow (c10 powi): negative exponents give 0 except for bases 1 and -1. */
function powi(a: number, b: number): number {
  if (b < 0) {
    if (a === 1) return 1;
    if (a === -1) return b % 2 === 0 ? 1 : -1;
    return 0;
  }
  // exponentiation by squaring, exact while the values stay below 2^53
  let r = 1;
  let base = a;
  let e = b;
  while (e > 0) {
    if (e % 2 === 1) r *= base;
    e = Math.floor(e / 2);
    if (e > 0) base *= base;
  }
  return r;
}

/** pow over two operands of result dtype `dt`: integral dtypes use C++'s integer pow. */
function powCompute(a: Tensor, b: Tensor | number, dt: DType): Tensor {
  if (dt === bool) throw runtimeError(`"pow" not implemented for 'Bool'`);
  if (!dt.isFloatingPoint) return elementwise2(a, b, dt, dt, powi);
  return binaryKernel(Binary.Pow, a, b, dt, dt);
}

/**
 * pow.Tensor_Tensor: input ** exponent elementwise (broadcasting), without recording.
 * @example torch.pow(torch.tensor([2, 3]), torch.tensor([3, 2])) // tensor([8., 9.])
 */
export function powTensor(self: Tensor, exponent: Tensor): Tensor {
  return powCompute(self, exponent, arithDtype(self, exponent));
}

/** pow.Tensor_Scalar: input ** a number, without recording. */
export function powTensorScalar(self: Tensor, exponent: number | boolean): Tensor {
  // the common case first: a float tensor to a number's power
  if (typeof exponent === "number" && self.dtype.isFloatingPoint)
    return binaryKernel(Binary.Pow, self, exponent, self.dtype, self.dtype);
  const dt =
    typeof exponent === "number" ? arithDtype(self, exponent) : resultType([self, exponent]);
  const e = Number(exponent);
  if (!dt.isFloatingPoint && dt !== bool && e < 0)
    throw runtimeError("Integers to negative integer powers are not allowed.");
  return powCompute(self, e, dt);
}

/** pow.Scalar: a number ** exponent, without recording (the base as a wrapped number). */
export function powScalarTensor(self: number | boolean, exponent: Tensor): Tensor {
  const dt = resultType([self, exponent]);
  const base = wrappedNumber(self, dt);
  if (dt === bool) throw runtimeError(`"pow" not implemented for 'Bool'`);
  if (!dt.isFloatingPoint) return elementwise2(base, exponent, dt, dt, powi);
  return binaryKernel(Binary.Pow, base, exponent, dt, dt);
}

/** torch.maximum(input, other): elementwise max (NaN propagates), without recording. */
export function maximum(a: Tensor, b: Tensor): Tensor {
  const dt = arithDtype(a, b);
  return binaryKernel(Binary.Maximum, a, b, dt, dt);
}

/** torch.minimum(input, other): elementwise min (NaN propagates), without recording. */
export function minimum(a: Tensor, b: Tensor): Tensor {
  const dt = arithDtype(a, b);
  return binaryKernel(Binary.Minimum, a, b, dt, dt);
}

// ---------------------------------------------------------------------------------------------
// Comparisons and logic: bool results, never differentiable.

function compare(op: Binary, name: string, a: Tensor, b: Operand | boolean): Tensor {
  b = checkOperand(b, name, "other", 1);
  return binaryKernel(op, a, b, arithDtype(a, b), bool);
}
export const eq = (a: Tensor, b: Operand | boolean): Tensor => compare(Binary.Eq, "eq", a, b);
export const ne = (a: Tensor, b: Operand | boolean): Tensor => compare(Binary.Ne, "ne", a, b);
export const lt = (a: Tensor, b: Operand | boolean): Tensor => compare(Binary.Lt, "lt", a, b);
export const le = (a: Tensor, b: Operand | boolean): Tensor => compare(Binary.Le, "le", a, b);
export const gt = (a: Tensor, b: Operand | boolean): Tensor => compare(Binary.Gt, "gt", a, b);
export const ge = (a: Tensor, b: Operand | boolean): Tensor => compare(Binary.Ge, "ge", a, b);
export const logicalAnd = (a: Tensor, b: Tensor): Tensor =>
  compare(Binary.LogicalAnd, "logical_and", a, b);
export const logicalOr = (a: Tensor, b: Tensor): Tensor =>
  compare(Binary.LogicalOr, "logical_or", a, b);
/** (a != 0) xor (b != 0); NaN counts as true, as C++'s bool conversion */
export const logicalXor = (a: Tensor, b: Tensor): Tensor =>
  elementwise2(a, b, resultType([a, b]), bool, (x, y) => ((x !== 0) !== (y !== 0) ? 1 : 0));
export const logicalNot = (a: Tensor): Tensor => unaryKernel(Unary.LogicalNot, a, bool);
export const isnan = (a: Tensor): Tensor => unaryKernel(Unary.IsNan, a, bool);
export const isfinite = (a: Tensor): Tensor => unaryKernel(Unary.IsFinite, a, bool);
/** x is +inf or -inf */
export function isinf(a: Tensor): Tensor {
  const n = a.numel();
  const out = allocOutput(a.shape.slice(), bool);
  const { data, offset } = contiguousData(a);
  const o = out.typedArray;
  for (let i = 0; i < n; i++) {
    const x = data[offset + i];
    o[i] = x === Infinity || x === -Infinity ? 1 : 0;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Unary math

export function unaryKernel(op: Unary, a: Tensor, outDtype: DType): Tensor {
  const n = a.numel();
  const out = allocOutput(a.shape, outDtype);
  if (n === 0) return out;
  if (a.isContiguous()) unary(op, a.typedArray, a.offset, out.typedArray, n);
  else {
    const { data, offset } = asDtype(a, a.dtype);
    unary(op, data, offset, out.typedArray, n);
  }
  return out;
}

/** Float-valued unary math (exp, sin, ...): integer inputs give the default float dtype. */
function floatUnary<
  K extends
    | "exp"
    | "log"
    | "log1p"
    | "expm1"
    | "sqrt"
    | "rsqrt"
    | "reciprocal"
    | "sin"
    | "cos"
    | "tan"
    | "tanh"
    | "sigmoid",
>(op: Unary, name: K, a: Tensor, saves: "self" | "result"): Tensor {
  const out = unaryKernel(op, a, floatDtypeOf(a.dtype));
  if (needsGrad(a)) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- `name` selects one of these ops, each saving exactly `saves`
    record(name as any, out, [a], (saves === "self" ? { self: a } : { result: out }) as any, {});
  }
  return out;
}

export const tanh = (a: Tensor): Tensor => floatUnary(Unary.Tanh, "tanh", a, "result");
export const sigmoid = (a: Tensor): Tensor => floatUnary(Unary.Sigmoid, "sigmoid", a, "result");

/** torch.neg(input), without recording; bool tensors refuse, as PyTorch. */
export function neg(a: Tensor): Tensor {
  if (a.dtype === bool) {
    throw runtimeError(
      "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
    );
  }
  return unaryKernel(Unary.Neg, a, a.dtype);
}

/** torch.abs(input), without recording. */
export function abs(a: Tensor): Tensor {
  if (a.dtype === bool) throw runtimeError(`"abs_cpu" not implemented for 'Bool'`);
  return unaryKernel(Unary.Abs, a, a.dtype);
}

/** torch.sign(input) in {-1, 0, 1} (NaN gives 0), without recording. */
export const sign = (a: Tensor): Tensor => unaryKernel(Unary.Sign, a, a.dtype);

/** torch.relu(input) = max(input, 0) */
export function relu(a: Tensor): Tensor {
  const out = unaryKernel(Unary.Relu, a, a.dtype);
  if (needsGrad(a)) recordWith(DEFS.relu.def, "relu", out, [a], { result: out }, {});
  return out;
}

/**
 * floor/ceil/round (kernel `op`, PyTorch name `name`) without recording: integers are their own
 * value, bool refuses.
 */
export function rounding(op: Unary, name: string, a: Tensor): Tensor {
  if (a.dtype === bool) throw runtimeError(`"${name}_vml_cpu" not implemented for 'Bool'`);
  return a.dtype.isFloatingPoint
    ? unaryKernel(op, a, a.dtype)
    : unaryKernel(Unary.Trunc, a, a.dtype);
}

/**
 * torch.round(input, decimals=d), without recording: nearbyint(x * 10^d) / 10^d (for d < 0:
 * nearbyint(x / 10^-d) * 10^-d), each step rounded to the dtype, as PyTorch's kernel; floats
 * only.
 */
export function roundDecimals(a: Tensor, decimals: number): Tensor {
  if (!a.dtype.isFloatingPoint)
    throw runtimeError(`"round_cpu" not implemented for '${scalarTypeName(a.dtype)}'`);
  const r = a.dtype === float32 ? Math.fround : (v: number) => v;
  const negative = decimals < 0;
  const p = r(Math.pow(10, Math.abs(decimals)));
  const n = a.numel();
  const out = allocOutput(a.shape.slice(), a.dtype);
  const { data, offset } = contiguousData(a);
  const o = out.typedArray;
  for (let i = 0; i < n; i++) {
    const x = data[offset + i];
    o[i] = negative ? r(roundHalfEven(r(x / p)) * p) : r(roundHalfEven(r(x * p)) / p);
  }
  return out;
}

/** nearbyint in the default rounding mode: half to even, keeping the sign of a zero result. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  const r = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
  return r === 0 && x < 0 ? -0 : r;
}

type Bound = Tensor | number | null | undefined;

/**
 * torch.clamp(input, min?, max?): min(max(input, min), max), NaN where any operand is NaN.
 * Number bounds record ClampBackward1; tensor bounds broadcast with the input, take part in
 * type promotion and get gradients too (ClampBackward0). Bounds are both numbers or both
 * tensors (or null), as PyTorch's overloads.
 * @example torch.tensor([-2, 0.5, 3]).clamp(0, 1) // tensor([0.0000, 0.5000, 1.0000])
 * @example torch.tensor([-2, 0.5, 3]).clamp(torch.tensor([0, 1, 0]), torch.tensor([1, 2, 2])) // tensor([0., 1., 2.])
 */
export function clamp(a: Tensor, min?: Bound, max?: Bound): Tensor {
  const lo = min ?? null;
  const hi = max ?? null;
  if (lo === null && hi === null) {
    throw runtimeError("torch.clamp: At least one of 'min' or 'max' must not be None");
  }
  if (lo instanceof Tensor || hi instanceof Tensor) {
    if (typeof lo === "number" || typeof hi === "number") throw clampOverloadError(lo, hi);
    return clampTensor(a, lo as Tensor | null, hi as Tensor | null);
  }
  const dt = resultType([a, ...(lo !== null ? [lo] : []), ...(hi !== null ? [hi] : [])]);
  const src = asDtype(a, dt);
  const out = allocOutput(a.shape.slice(), dt);
  clampKernel(
    src.data,
    src.offset,
    out.typedArray,
    out.numel(),
    lo === null ? -Infinity : scalarIn(lo, dt),
    hi === null ? Infinity : scalarIn(hi, dt),
  );
  if (needsGrad(a))
    recordWith(DEFS.clamp.def, "clamp", out, [a], { self: a }, { min: lo, max: hi });
  return out;
}

/**
 * PyTorch's argument error for Tensor.clamp with one tensor and one number bound (its parser
 * marks the non-tensors against the Tensor overload and both against the Number one).
 */
function clampOverloadError(lo: Bound, hi: Bound): Error {
  const t = (v: Bound): string => pyTypeName(v);
  const mark = (v: Bound, ok: boolean): string => (ok ? t(v) : `!${t(v)}!`);
  const asTensor = `(${mark(lo, lo instanceof Tensor)}, ${mark(hi, hi instanceof Tensor)})`;
  const asNumber = `(!${t(lo)}!, !${t(hi)}!)`;
  return typeError(
    `clamp() received an invalid combination of arguments - got (${t(lo)}, ${t(hi)}), but expected one of:\n * (Tensor min, Tensor max)\n      didn't match because some of the arguments have invalid types: ${asTensor}\n * (Number min, Number max)\n      didn't match because some of the arguments have invalid types: ${asNumber}\n`,
  );
}

/** clamp.Tensor: max(input, min) then min(., max), broadcast, in the promoted dtype. */
function clampTensor(a: Tensor, lo: Tensor | null, hi: Tensor | null): Tensor {
  const dt = resultType([a, ...(lo !== null ? [lo] : []), ...(hi !== null ? [hi] : [])]);
  let out = a;
  if (lo !== null) out = binaryKernel(Binary.Maximum, out, lo, dt, dt);
  if (hi !== null) out = binaryKernel(Binary.Minimum, out, hi, dt, dt);
  if (out === a) out = castTensor(a, dt);
  if (anyNeedsGrad([a, lo, hi]))
    recordWith(
      DEFS.clampTensor.def,
      "clampTensor",
      out,
      [a, lo, hi],
      { self: a, min: lo, max: hi },
      {},
    );
  return out;
}

/**
 * torch.clamp_min(input, min) = max(input, min): a number (ClampMinBackward0) or a tensor
 * broadcast with the input (ClampMinBackward1).
 * @example torch.clampMin(torch.tensor([-1, 2]), 0) // tensor([0., 2.])
 */
export function clampMin(a: Tensor, min: Tensor | number): Tensor {
  return clampOneSide(a, checkOperand(min, "clamp_min", "min", 1), true);
}

/**
 * torch.clamp_max(input, max) = min(input, max): a number (ClampMaxBackward0) or a tensor
 * (ClampMaxBackward1).
 * @example torch.clampMax(torch.tensor([-1, 2]), 0) // tensor([-1.,  0.])
 */
export function clampMax(a: Tensor, max: Tensor | number): Tensor {
  return clampOneSide(a, checkOperand(max, "clamp_max", "max", 1), false);
}

function clampOneSide(a: Tensor, bound: Tensor | number, isMin: boolean): Tensor {
  const dt = resultType([a, bound]);
  const out = binaryKernel(isMin ? Binary.Maximum : Binary.Minimum, a, bound, dt, dt);
  if (typeof bound === "number") {
    if (needsGrad(a))
      record(isMin ? "clampMin" : "clampMax", out, [a, null], { self: a }, { bound });
  } else if (needsGrad(a, bound)) {
    record(isMin ? "clampMin" : "clampMax", out, [a, bound], { self: a, bound }, { bound: null });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Selection

/** Broadcast `t` to `shape` and return its values contiguous in `dtype`. */
export function expandedData(t: Tensor, shape: number[], dtype: DType): Tensor["typedArray"] {
  const n = numelOf(shape);
  const src = t.dtype === dtype ? t : castTensor(t, dtype);
  const out = allocData(n, dtype);
  const strides = broadcastStrides(src.shape, src.strides, shape);
  if (tryNativeCopy(src.typedArray, src.offset, strides, out, 0, null, shape, n)) return out;
  const offs = stridedOffsets(shape, strides, src.offset);
  const d = src.typedArray;
  for (let i = 0; i < n; i++) out[i] = d[offs[i]];
  return out;
}

const warned = new Set<string>();
/** Python's warnings.warn(msg) with the default filter: shown once. */
function warnOnce(msg: string): void {
  if (warned.has(msg)) return;
  warned.add(msg);
  console.warn(`UserWarning: ${msg}`);
}

/** A where() operand: a tensor, or a number or bool (a wrapped scalar). */
export type WhereOperand = Tensor | number | boolean;

/**
 * torch.where(condition, input, other) without recording: input where condition, else other,
 * all three broadcast, in the promoted dtype of input and other.
 * @example const x = torch.tensor([-1, 2]); torch.where(x.gt(0), x, 0) // tensor([0., 2.])

 */
export function whereForward(cond: Tensor, a: WhereOperand, b: WhereOperand): Tensor {
  if (cond.dtype === uint8) {
    warnOnce(
      "where received a uint8 condition tensor. This behavior is deprecated and will be removed in a future version of PyTorch. Use a boolean condition instead.",
    );
    cond = castTensor(cond, bool);
  }
  if (cond.dtype !== bool) {
    throw runtimeError(
      `where expected condition to be a boolean tensor, but got a tensor with dtype ${scalarTypeName(cond.dtype)}`,
    );
  }
  const ta = a instanceof Tensor ? a : null;
  const tb = b instanceof Tensor ? b : null;
  let shape = cond.shape;
  if (ta) shape = broadcastShapes(shape, ta.shape);
  if (tb) shape = broadcastShapes(shape, tb.shape);
  const dt = resultType([a, b]);
  const n = numelOf(shape);
  const out = allocOutput(shape.slice(), dt);
  const av = ta === null ? Number(a) : 0;
  const bv = tb === null ? Number(b) : 0;
  if (nativeWorth(n) && whereNative(cond, ta, av, tb, bv, dt, shape, out, n)) return out;
  const c = expandedData(cond, shape, bool);
  const A = ta ? expandedData(ta, shape, dt) : new dt.ArrayType(n).fill(scalarIn(av, dt));
  const B = tb ? expandedData(tb, shape, dt) : new dt.ArrayType(n).fill(scalarIn(bv, dt));
  whereKernel(c, A, B, out.typedArray, n);
  return out;
}

/**
 * torch.where(condition): the coordinates of condition's non-zero elements, one int64 tensor
 * per dimension (a 0-dim condition counts as one element of a 1-dim one).
 */
export function nonzeroTuple(cond: Tensor): Tensor[] {
  const shape = cond.dim() === 0 ? [1] : cond.shape;
  const { data, offset } = contiguousData(cond);
  const n = cond.numel();
  const nd = shape.length;
  const coords: number[][] = Array.from({ length: nd }, () => []);
  const pos = new Array<number>(nd).fill(0);
  for (let i = 0; i < n; i++) {
    if (data[offset + i] !== 0) for (let d = 0; d < nd; d++) coords[d].push(pos[d]);
    for (let d = nd - 1; d >= 0; d--) {
      if (++pos[d] < shape[d]) break;
      pos[d] = 0;
    }
  }
  return coords.map((c) => wrap(Float64Array.from(c), [c.length], int64));
}

/** A where() operand as (data, offset, strides) broadcast to `shape`; a number is one element. */
function broadcastOperand(
  t: Tensor | null,
  v: number,
  dt: DType,
  shape: number[],
): { data: TypedArray; offset: number; strides: number[] } {
  if (t === null) {
    return {
      data: new dt.ArrayType(1).fill(scalarIn(v, dt)),
      offset: 0,
      strides: shape.map(() => 0),
    };
  }
  const s = t.dtype === dt ? t : castTensor(t, dt);
  return {
    data: s.typedArray,
    offset: s.offset,
    strides: broadcastStrides(s.shape, s.strides, shape),
  };
}

/** where() in one native pass over the broadcast operands; false when it stays on TypeScript. */
function whereNative(
  cond: Tensor,
  ta: Tensor | null,
  a: number,
  tb: Tensor | null,
  b: number,
  dt: DType,
  shape: number[],
  out: Tensor,
  n: number,
): boolean {
  if (!dt.isFloatingPoint) return false;
  const A = broadcastOperand(ta, a, dt, shape);
  const B = broadcastOperand(tb, b, dt, shape);
  const cs = broadcastStrides(cond.shape, cond.strides, shape);
  return tryNativeWhere(
    cond.typedArray,
    cond.offset,
    cs,
    A.data,
    A.offset,
    A.strides,
    B.data,
    B.offset,
    B.strides,
    out.typedArray,
    shape,
    n,
  );
}

/**
 * masked_fill(input, mask, value) without recording: value where mask is true, input
 * elsewhere, input and mask broadcast; a tensor value must be 0-dim.
 */
export function maskedFillForward(
  a: Tensor,
  mask: Tensor,
  value: number | boolean | Tensor,
): Tensor {
  if (mask.dtype === uint8) {
    warnOnce(
      "masked_fill_ received a mask with dtype torch.uint8, this behavior is now deprecated,please use a mask with dtype torch.bool instead.",
    );
    const { data, offset } = contiguousData(mask);
    for (let i = 0, n = mask.numel(); i < n; i++) {
      if (data[offset + i] > 1) throw runtimeError("Mask tensor can take 0 and 1 values only");
    }
    mask = castTensor(mask, bool);
  }
  if (mask.dtype !== bool) {
    throw runtimeError(
      `masked_fill_ only supports boolean masks, but got mask with dtype ${mask.dtype.name === "int64" ? "long int" : mask.dtype.name}`,
    );
  }
  let v: number;
  if (value instanceof Tensor) {
    if (value.dim() !== 0) {
      throw runtimeError(
        `masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ${value.dim()} dimension(s).`,
      );
    }
    v = Number(value.item());
  } else v = Number(value);
  const shape = broadcastShapes(a.shape, mask.shape);
  const n = numelOf(shape);
  const out = allocOutput(shape.slice(), a.dtype);
  const fill = scalarIn(v, a.dtype);
  if (
    nativeWorth(n) &&
    tryNativeMaskedFill(
      a.typedArray,
      a.offset,
      broadcastStrides(a.shape, a.strides, shape),
      mask.typedArray,
      mask.offset,
      broadcastStrides(mask.shape, mask.strides, shape),
      fill,
      out.typedArray,
      shape,
      n,
    )
  )
    return out;
  const c = expandedData(mask, shape, bool);
  const A = expandedData(a, shape, a.dtype);
  const o = out.typedArray;
  for (let i = 0; i < n; i++) o[i] = c[i] !== 0 ? fill : A[i];
  return out;
}
