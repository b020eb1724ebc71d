/**
 * Elementwise ops: broadcasting binary ops, unary math, comparisons, where, clamp.
 * Each follows one path: validate, compute the result dtype, run the kernel, wrap, record.
 */
import { Tensor } from "../tensor.js";
import { DType, type TypedArray, bool, resultType, int64 } from "../dtype.js";
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
  allocData,
  allocOutput,
  asDtype,
  castData,
  checkOperand,
  checkTensor,
  floatDtypeOf,
  scalarArray,
  scalarIn,
  wrap,
  scalarTypeName,
  pyTypeName,
} from "./core.js";
import { anyNeedsGrad, needsGrad, record } from "../autograd/function.js";
import { runtimeError, typeError } from "../errors.js";

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

/**
 * The general case of `binaryKernel`: out[outOff + i] (row-major over `shape`) = op(A, B) with A
 * and B broadcast to `shape`, any strides, both already in the output's compute dtype. One
 * native call over the strided operands, else one kernel call per row of the last dimension.
 */
export function broadcastBinaryInto(
  op: Binary,
  A: Tensor,
  B: Tensor,
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
    record("add", out, [a, typeof b === "number" ? null : b], {}, { alpha });
  }
  return out;
}

/** torch.sub(input, other, alpha=1): input - alpha*other. */
export function sub(a: Tensor, b: Operand, alpha = 1): Tensor {
  b = checkOperand(b, "sub", "other", 1);
  const out = subValue(a, b, alpha);
  if (needsGrad(a, typeof b === "number" ? null : b)) {
    record("sub", out, [a, typeof b === "number" ? null : b], {}, { alpha });
  }
  return out;
}

/** a - alpha*b with sub's checks and type promotion, recording nothing. */
function subValue(a: Tensor, b: Operand, alpha: number): Tensor {
  if (a.dtype === bool && typeof b !== "number" && b.dtype === bool) {
    throw runtimeError(
      "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
    );
  }
  if (a.dtype === bool || (typeof b !== "number" && b.dtype === bool)) {
    throw runtimeError(
      "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
    );
  }
  const dt = arithDtype(a, b);
  if (alpha === 1) return binaryKernel(Binary.Sub, a, b, dt, dt);
  if (typeof b === "number") return binaryKernel(Binary.Sub, a, b * alpha, dt, dt);
  return binaryKernel(Binary.Sub, a, binaryKernel(Binary.Mul, b, alpha, dt, dt), dt, dt);
}

/**
 * torch.rsub(input, other, alpha=1) = other - alpha*input (Python's `other - input`), for a
 * tensor (RsubBackward0) or a number (RsubBackward1) `other`.
 * @example torch.rsub(torch.tensor([1, 2]), 5) // tensor([4, 3])
 */
export function rsub(a: Tensor, other: Operand, alpha = 1): Tensor {
  other = checkOperand(other, "rsub", "other", 1);
  if (typeof other !== "number") {
    const out = subValue(other, a, alpha);
    if (needsGrad(a, other)) record("rsub", out, [a, other], {}, { alpha, tensorOther: true });
    return out;
  }
  const dt = arithDtype(a, other);
  const scaled = alpha === 1 ? a : binaryKernel(Binary.Mul, a, alpha, dt, dt);
  const out = neg(binaryKernel(Binary.Sub, scaled, other, dt, dt), false);
  if (needsGrad(a)) record("rsub", out, [a], {}, { alpha, tensorOther: false });
  return out;
}

/** torch.mul(input, other). */
export function mul(a: Tensor, b: Operand): Tensor {
  b = checkOperand(b, "mul", "other", 1);
  const dt = arithDtype(a, b);
  const out = binaryKernel(Binary.Mul, a, b, dt, dt);
  if (typeof b === "number") {
    if (needsGrad(a)) record("mul", out, [a, null], {}, { scalar: b });
  } else if (needsGrad(a, b)) {
    record(
      "mul",
      out,
      [a, b],
      { self: b.requiresGrad ? a : null, other: a.requiresGrad ? b : null },
      { scalar: 0 },
    );
  }
  return out;
}

/** torch.div(input, other): true division (integers give floats). */
export function div(a: Tensor, b: Operand): Tensor {
  b = checkOperand(b, "div", "other", 1);
  const dt = floatDtypeOf(arithDtype(a, b));
  const out = binaryKernel(Binary.Div, a, b, dt, dt);
  if (typeof b === "number") {
    if (needsGrad(a)) record("div", out, [a, null], {}, { scalar: b });
  } else if (needsGrad(a, b)) {
    record("div", out, [a, b], { self: b.requiresGrad ? a : null, other: b }, { scalar: 0 });
  }
  return out;
}

/** number / tensor, recorded as reciprocal(x) * number (as PyTorch: MulBackward0). */
export function rdiv(a: Tensor, other: number): Tensor {
  return mul(a.reciprocal(), other);
}

/**
 * torch.pow(input, exponent): tensor ** number, tensor ** tensor, or number ** tensor.
 * @example torch.tensor([2, 3]).pow(2) // tensor([4., 9.])
 */
export function pow(a: Tensor | number, b: Operand): Tensor {
  if (typeof a === "number") {
    const e = checkTensor(b, "pow", "exponent", 1);
    const dt = resultType([a, e]);
    const base = allocOutput(e.shape.slice(), dt);
    base.typedArray.fill(scalarIn(a, dt));
    const out = binaryKernel(Binary.Pow, base, e, dt, dt);
    if (needsGrad(e)) record("powBase", out, [e], { exponent: e, result: out }, { base: a });
    return out;
  }
  b = checkOperand(b, "pow", "exponent", 1);
  const dt = arithDtype(a, b);
  if (!dt.isFloatingPoint) checkIntPow(b);
  if (typeof b === "number") {
    const out = binaryKernel(Binary.Pow, a, b, dt, dt);
    if (needsGrad(a)) record("powScalar", out, [a], { self: a }, { exponent: b });
    return out;
  }
  const out = binaryKernel(Binary.Pow, a, b, dt, dt);
  if (needsGrad(a, b)) record("powTensor", out, [a, b], { self: a, exponent: b, result: out }, {});
  return out;
}

function checkIntPow(b: Operand): void {
  const neg =
    typeof b === "number"
      ? b < 0
      : b.numel() > 0 && Array.from(asDtype(b, int64).data).some((v) => v < 0);
  if (neg) throw runtimeError("Integers to negative integer powers are not allowed.");
}

/** torch.maximum(input, other): elementwise max (NaN propagates). */
export function maximum(a: Tensor, b: Tensor): Tensor {
  b = checkTensor(b, "maximum", "other", 1);
  const dt = resultType([a, b]);
  const out = binaryKernel(Binary.Maximum, a, b, dt, dt);
  if (needsGrad(a, b)) record("maximum", out, [a, b], { self: a, other: b }, {});
  return out;
}

/** torch.minimum(input, other): elementwise min (NaN propagates). */
export function minimum(a: Tensor, b: Tensor): Tensor {
  b = checkTensor(b, "minimum", "other", 1);
  const dt = resultType([a, b]);
  const out = binaryKernel(Binary.Minimum, a, b, dt, dt);
  if (needsGrad(a, b)) record("minimum", out, [a, b], { self: a, other: b }, {});
  return out;
}

// ---------------------------------------------------------------------------------------------
// Comparisons and logic: bool results, never differentiable.

function compare(op: Binary, name: string, a: Tensor, b: Operand): Tensor {
  b = checkOperand(b, name, "other", 1);
  return binaryKernel(op, a, b, arithDtype(a, b), bool);
}
export const eq = (a: Tensor, b: Operand): Tensor => compare(Binary.Eq, "eq", a, b);
export const ne = (a: Tensor, b: Operand): Tensor => compare(Binary.Ne, "ne", a, b);
export const lt = (a: Tensor, b: Operand): Tensor => compare(Binary.Lt, "lt", a, b);
export const le = (a: Tensor, b: Operand): Tensor => compare(Binary.Le, "le", a, b);
export const gt = (a: Tensor, b: Operand): Tensor => compare(Binary.Gt, "gt", a, b);
export const ge = (a: Tensor, b: Operand): Tensor => compare(Binary.Ge, "ge", a, b);
export const logicalAnd = (a: Tensor, b: Operand): Tensor =>
  compare(Binary.LogicalAnd, "logical_and", a, b);
export const logicalOr = (a: Tensor, b: Operand): Tensor =>
  compare(Binary.LogicalOr, "logical_or", a, b);
export const logicalNot = (a: Tensor): Tensor => unaryKernel(Unary.LogicalNot, a, bool);
export const isnan = (a: Tensor): Tensor => unaryKernel(Unary.IsNan, a, bool);
export const isfinite = (a: Tensor): Tensor => unaryKernel(Unary.IsFinite, a, bool);

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

/** torch.neg(input) */
export function neg(a: Tensor, recordGrad = true): Tensor {
  if (a.dtype === bool) {
    throw runtimeError(
      "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
    );
  }
  const out = unaryKernel(Unary.Neg, a, a.dtype);
  if (recordGrad && needsGrad(a)) record("neg", out, [a], {}, {});
  return out;
}

/** torch.abs(input) */
export function abs(a: Tensor): Tensor {
  const out = unaryKernel(Unary.Abs, a, a.dtype);
  if (needsGrad(a)) record("abs", out, [a], { self: a }, {});
  return out;
}

/** torch.sign(input) */
export function sign(a: Tensor): Tensor {
  const out = unaryKernel(Unary.Sign, a, a.dtype);
  if (needsGrad(a)) record("sign", out, [a], {}, {});
  return out;
}

/** torch.square(input) = input ** 2 (recorded as PowBackward0, as PyTorch). */
export function square(a: Tensor): Tensor {
  return pow(a, 2);
}

/** torch.relu(input) = max(input, 0) */
export function relu(a: Tensor): Tensor {
  const out = unaryKernel(Unary.Relu, a, a.dtype);
  if (needsGrad(a)) record("relu", out, [a], { result: out }, {});
  return out;
}

function rounding(op: Unary, name: "floor" | "ceil" | "round", a: Tensor): Tensor {
  const out = a.dtype.isFloatingPoint
    ? unaryKernel(op, a, a.dtype)
    : unaryKernel(Unary.Trunc, a, a.dtype);
  if (needsGrad(a)) record(name, out, [a], {}, {});
  return out;
}
export const floor = (a: Tensor): Tensor => rounding(Unary.Floor, "floor", a);
export const ceil = (a: Tensor): Tensor => rounding(Unary.Ceil, "ceil", a);
export const round = (a: Tensor): Tensor => rounding(Unary.Round, "round", a);

type Bound = Tensor | number | null | undefined;

/**
 * torch.clamp(input, min?, max?): min(max(input, min), max), NaN where any operand is NaN.
 * Number bounds record ClampBackward1; tensor bounds broadcast with the input, take part in
 * type promotion and get gradients too (ClampBackward0). Bounds are both numbers or both
 * tensors (or null), as PyTorch's overloads.
 * @example torch.tensor([-2, 0.5, 3]).clamp(0, 1) // tensor([0.0000, 0.5000, 1.0000])
 * @example x.clamp(lo, hi) // elementwise tensor bounds
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
  if (needsGrad(a)) record("clamp", out, [a], { self: a }, { min: lo, max: hi });
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
    record("clampTensor", out, [a, lo, hi], { self: a, min: lo, max: hi }, {});
  return out;
}

/**
 * torch.clamp_min(input, min) = max(input, min): a number (ClampMinBackward0) or a tensor
 * broadcast with the input (ClampMinBackward1).
 * @example torch.clampMin(torch.tensor([-1, 2]), 0) // tensor([0, 2])
 */
export function clampMin(a: Tensor, min: Tensor | number): Tensor {
  return clampOneSide(a, checkOperand(min, "clamp_min", "min", 1), true);
}

/**
 * torch.clamp_max(input, max) = min(input, max): a number (ClampMaxBackward0) or a tensor
 * (ClampMaxBackward1).
 * @example torch.clampMax(torch.tensor([-1, 2]), 0) // tensor([-1, 0])
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
function expandedData(t: Tensor, shape: number[], dtype: DType): Tensor["typedArray"] {
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

/**
 * torch.where(condition, input, other): input where condition, else other.
 * @example torch.where(x.gt(0), x, 0)
 */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  cond = checkTensor(cond, "where", "condition", 0);
  if (cond.dtype !== bool) {
    throw runtimeError(
      `where expected condition to be a boolean tensor, but got a tensor with dtype ${scalarTypeName(cond.dtype)}`,
    );
  }
  a = checkOperand(a, "where", "input", 1);
  b = checkOperand(b, "where", "other", 2);
  const ta = typeof a === "number" ? null : a;
  const tb = typeof b === "number" ? null : b;
  let shape = cond.shape;
  if (ta) shape = broadcastShapes(shape, ta.shape);
  if (tb) shape = broadcastShapes(shape, tb.shape);
  const dt =
    ta && tb
      ? resultType([ta, tb])
      : ta
        ? resultType([ta, b as number])
        : tb
          ? resultType([tb, a as number])
          : resultType([a as number, b as number]);
  const n = numelOf(shape);
  const out = allocOutput(shape.slice(), dt);
  // the condition expanded to `shape`: made for the TypeScript kernel and for backward
  let c: TypedArray | null = null;
  if (nativeWorth(n) && whereNative(cond, ta, a as number, tb, b as number, dt, shape, out, n)) {
    // done: the addon read the operands through their broadcast strides
  } else {
    c = expandedData(cond, shape, bool);
    const A = ta
      ? expandedData(ta, shape, dt)
      : new dt.ArrayType(n).fill(scalarIn(a as number, dt));
    const B = tb
      ? expandedData(tb, shape, dt)
      : new dt.ArrayType(n).fill(scalarIn(b as number, dt));
    whereKernel(c, A, B, out.typedArray, n);
  }
  if (needsGrad(ta, tb)) {
    const condB = wrap(c ?? expandedData(cond, shape, bool), shape.slice(), bool);
    record("where", out, [ta, tb], { condition: condB }, {});
  }
  return out;
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

/** Tensor.masked_fill(mask, value): value where mask is true. */
export function maskedFill(a: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  mask = checkTensor(mask, "masked_fill", "mask", 1);
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
    v = value.item() as number;
  } else v = typeof value === "boolean" ? Number(value) : value;
  const shape = broadcastShapes(a.shape, mask.shape);
  if (!shapeEqual(shape, a.shape)) {
    throw runtimeError(
      `The expanded size of the tensor (${a.shape.join(", ")}) must match the existing size (${mask.shape.join(", ")}) of the mask`,
    );
  }
  const n = numelOf(shape);
  const out = allocOutput(shape.slice(), a.dtype);
  const fill = scalarIn(v, a.dtype);
  // the mask expanded to `shape`: made for the TypeScript loop and for backward
  let c: TypedArray | null = null;
  if (
    !nativeWorth(n) ||
    !tryNativeMaskedFill(
      a.typedArray,
      a.offset,
      a.strides,
      mask.typedArray,
      mask.offset,
      broadcastStrides(mask.shape, mask.strides, shape),
      fill,
      out.typedArray,
      shape,
      n,
    )
  ) {
    c = expandedData(mask, shape, bool);
    const A = expandedData(a, shape, a.dtype);
    const o = out.typedArray;
    for (let i = 0; i < n; i++) o[i] = c[i] !== 0 ? fill : A[i];
  }
  // a tensor value is an input too (MaskedFillBackward1): it gets the sum of g where masked
  const vt = value instanceof Tensor ? value : null;
  if (needsGrad(a, vt)) {
    const saved = { mask: wrap(c ?? expandedData(mask, shape, bool), shape.slice(), bool) };
    record("maskedFill", out, [a, vt], saved, {}, vt ? "MaskedFillBackward1" : undefined);
  }
  return out;
}
