/**
 * Bitwise and integer ops: bitwise_and/or/xor/not, bitwise_left_shift/right_shift, their Python
 * operator methods (`__and__`, `__iand__`, `__rand__`, `__lshift__`, `__invert__`, ...), gcd,
 * lcm and isin.
 * One `defineOp` per op (see ../define.ts); the kernels are in src/backend/bitwise.ts.
 *
 * None is differentiable: they take bool and integer tensors (isin any non-bool dtype) and give
 * integer or bool results. A floating result dtype is refused as PyTorch's CPU kernels refuse it
 * (`"bitwise_and_cpu" not implemented for 'Float'`), after the broadcast shape is known and, in
 * place, after the output checks, the order of PyTorch's TensorIterator.
 */
import { Tensor } from "../../tensor.js";
import { bool, int32, uint8, resultType, type DType } from "../../dtype.js";
import { broadcastShapes, shapeEqual } from "../../shape.js";
import { allocOutput, scalarArray, scalarIn, scalarTypeName } from "../../ops/core.js";
import { expandedData } from "../../ops/elementwise.js";
import {
  BitOp,
  IntKind,
  bitwiseBinary,
  bitwiseNot,
  isin as isinKernel,
} from "../../backend/bitwise.js";
import { runtimeError, typeError } from "../../errors.js";
import { defineOp, fn, type OverloadDecl } from "../define.js";
import { aliasOf, pyBinary, type Method, type Result } from "./dunder.js";
import { scalarArg } from "./elementwise.js";

type Scalar = number | boolean | Tensor;
type Operand = Tensor | number | boolean;

/** The kernel's storage kind of an integer or bool dtype. */
function kindOf(dt: DType): IntKind {
  if (dt === bool) return IntKind.Bool;
  if (dt === uint8) return IntKind.UInt8;
  if (dt === int32) return IntKind.Int32;
  return IntKind.Int64;
}

/** PyTorch's dispatch error of an integer-only CPU kernel for another dtype. */
function notImplemented(kernel: string, dt: DType): Error {
  return runtimeError(`"${kernel}" not implemented for '${scalarTypeName(dt)}'`);
}

/** The result dtype of a binary op; a number operand ranks as PyTorch's wrapped scalars. */
function binaryDtype(a: Operand, b: Operand): DType {
  return resultType([a, b]);
}

/**
 * op(a, b) broadcast, computed and written in `dt` (the operands cast to it): the kernel walks
 * contiguous operands directly and a number as a broadcast scalar, else broadcast copies.
 */
function compute(op: BitOp, a: Operand, b: Operand, shape: number[], dt: DType): Tensor {
  const out = allocOutput(shape, dt);
  const n = out.numel();
  if (n === 0) return out;
  const operand = (v: Operand): [Tensor["typedArray"], number, number] => {
    if (!(v instanceof Tensor)) return [scalarArray(scalarIn(Number(v), dt), dt).slice(), 0, 0];
    if (v.dtype === dt && v.isContiguous() && shapeEqual(v.shape, shape))
      return [v.typedArray, v.offset, 1];
    if (v.numel() === 1) {
      const one = new dt.ArrayType(1);
      one[0] = scalarIn(v.typedArray[v.offset], dt);
      return [one, 0, 0];
    }
    return [expandedData(v, shape, dt), 0, 1];
  };
  const [A, aOff, aStep] = operand(a);
  const [B, bOff, bStep] = operand(b);
  bitwiseBinary(op, kindOf(dt), A, aOff, aStep, B, bOff, bStep, out.typedArray, n);
  return out;
}

const shapeOf = (v: Operand): readonly number[] => (v instanceof Tensor ? v.shape : []);

/**
 * A binary integer op's forward: the broadcast shape (PyTorch's size mismatch error first),
 * the result dtype, the dtype check of its kernel (`kernel`, e.g. "bitwise_and_cpu"), the
 * kernel. `allowBool`: the kernel takes bools (and/or/xor do, shifts, gcd and lcm do not).
 */
function binaryForward(op: BitOp, kernel: string, allowBool: boolean) {
  return (a: Operand, b: Operand): Tensor => {
    const shape = broadcastShapes(shapeOf(a), shapeOf(b));
    const dt = binaryDtype(a, b);
    if (dt.isFloatingPoint || (dt === bool && !allowBool)) throw notImplemented(kernel, dt);
    return compute(op, a, b, shape, dt);
  };
}

/** Whether a result of dtype `from` may be written into a tensor of dtype `to` (can_cast). */
function canCast(from: DType, to: DType): boolean {
  if (from.isFloatingPoint && !to.isFloatingPoint) return false;
  return !(from !== bool && to === bool);
}

/**
 * The in-place form: TensorIterator's checks in its order (broadcast shape, then that it is
 * self's shape, then that the result type casts to self's dtype), then the kernel's dtype check
 * on the computation dtype, the promoted one (`x.bitwise_and_(True)` on int32 computes in int32).
 */
function inplaceForward(op: BitOp, kernel: string, allowBool: boolean) {
  return (self: Tensor, other: Operand): Tensor => {
    const shape = broadcastShapes(self.shape, shapeOf(other));
    if (!shapeEqual(shape, self.shape))
      throw runtimeError(
        `output with shape [${self.shape.join(", ")}] doesn't match the broadcast shape [${shape.join(", ")}]`,
      );
    const dt = binaryDtype(self, other);
    if (!canCast(dt, self.dtype))
      throw runtimeError(
        `result type ${scalarTypeName(dt)} can't be cast to the desired output type ${scalarTypeName(self.dtype)}`,
      );
    if (dt.isFloatingPoint || (dt === bool && !allowBool)) throw notImplemented(kernel, dt);
    return compute(op, self, other, shape, dt);
  };
}

/**
 * An out= tensor's check before computing, as TensorIterator's: the broadcast shape, then that
 * the result dtype casts to out's (its kernel's dtype error comes later, from the forward).
 */
function checkBinaryOut(out: Tensor, a: Operand, b: Operand): void {
  broadcastShapes(shapeOf(a), shapeOf(b));
  const dt = binaryDtype(a, b);
  if (!canCast(dt, out.dtype))
    throw runtimeError(
      `result type ${scalarTypeName(dt)} can't be cast to the desired output type ${scalarTypeName(out.dtype)}`,
    );
}

/** The Tensor, Scalar-first and Scalar overloads of a binary op (the first and last have in-place and out= forms). */
interface BinaryOverloads {
  tensor: OverloadDecl;
  scalarTensor: OverloadDecl;
  tensorScalar: OverloadDecl;
}

function binaryOverloads(
  name: string,
  op: BitOp,
  kernel: string,
  allowBool: boolean,
  scalarOverload: string,
): BinaryOverloads {
  const fwd = binaryForward(op, kernel, allowBool);
  const inp = inplaceForward(op, kernel, allowBool);
  return {
    tensor: {
      schema: `${name}.Tensor(Tensor self, Tensor other) -> Tensor`,
      forward: fwd,
      checkOut: checkBinaryOut,
      inplace: { forward: inp },
    },
    scalarTensor: {
      schema: `${name}.Scalar_Tensor(Scalar self, Tensor other) -> Tensor`,
      forward: (self: Scalar, other: Tensor) => fwd(scalarArg(self), other),
      out: false,
      inplace: false,
    },
    tensorScalar: {
      schema: `${name}.${scalarOverload}(Tensor self, Scalar other) -> Tensor`,
      forward: (self: Tensor, other: Scalar) => fwd(self, scalarArg(other)),
      checkOut: (out: Tensor, self: Tensor, other: Scalar) =>
        checkBinaryOut(out, self, scalarArg(other)),
      inplace: { forward: (self: Tensor, other: Scalar) => inp(self, scalarArg(other)) },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// bitwise_and, bitwise_or, bitwise_xor and their operators

for (const [name, op, sym, what, example] of [
  [
    "bitwise_and",
    BitOp.And,
    "&",
    "and",
    "torch.bitwiseAnd(torch.tensor([12, -3], { dtype: torch.int64 }), 10) // tensor([8, 8])",
  ],
  [
    "bitwise_or",
    BitOp.Or,
    "|",
    "or",
    "torch.bitwiseOr(torch.tensor([12, -3], { dtype: torch.int64 }), 10) // tensor([14, -1])",
  ],
  [
    "bitwise_xor",
    BitOp.Xor,
    "^",
    "exclusive or",
    "torch.bitwiseXor(torch.tensor([12, -3], { dtype: torch.int64 }), 10) // tensor([ 6, -9])",
  ],
] as const) {
  const kernel = `${name}_cpu`;
  const o = binaryOverloads(name, op, kernel, true, "Scalar");
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc: `The bitwise ${what} (\`${sym}\`) of integer or bool tensors (broadcasting), or of a tensor and a number; logical for bools.`,
    example,
    overloads: [o.tensor, o.scalarTensor, o.tensorScalar],
    methodOverloads: [o.tensor, o.tensorScalar],
  });
}

// ---------------------------------------------------------------------------------------------
// bitwise_not and ~

const notForward = (self: Tensor): Tensor => {
  if (self.dtype.isFloatingPoint) throw notImplemented("bitwise_not_cpu", self.dtype);
  const out = allocOutput(self.shape.slice(), self.dtype);
  const n = out.numel();
  if (n === 0) return out;
  const src = self.isContiguous()
    ? self.typedArray
    : expandedData(self, self.shape.slice(), self.dtype);
  bitwiseNot(kindOf(self.dtype), src, self.isContiguous() ? self.offset : 0, out.typedArray, n);
  return out;
};

defineOp({
  name: "bitwise_not",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The bitwise negation (`~`) of an integer or bool tensor: the one's complement, or logical not for bools.",
  example:
    "torch.bitwiseNot(torch.tensor([0, 5, -3], { dtype: torch.int64 })) // tensor([-1, -6,  2])",
  overloads: [
    {
      schema: "bitwise_not(Tensor self) -> Tensor",
      forward: notForward,
      // a unary TensorIterator op whose out must have the input's dtype
      checkOut: (out: Tensor, self: Tensor) => {
        if (out.dtype !== self.dtype)
          throw runtimeError(
            `Found dtype ${scalarTypeName(out.dtype)} but expected ${scalarTypeName(self.dtype)}`,
          );
      },
    },
  ],
});

defineOp({
  name: "__invert__",
  jsName: "__invert__",
  variants: ["method"],
  doc: "`~input`: bitwise_not, for integer and bool tensors only.",
  example: "torch.tensor([true, false]).__invert__() // tensor([False,  True])",
  overloads: [
    {
      schema: "__invert__(Tensor self) -> Tensor",
      // python_variable_methods.cpp's THPVariable_invert refuses the other dtypes with a TypeError
      forward: (self: Tensor) => {
        if (self.dtype.isFloatingPoint)
          throw typeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors",
          );
        return notForward(self);
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// Shifts

for (const [name, op, kernel, sym, what, example] of [
  [
    "bitwise_left_shift",
    BitOp.LeftShift,
    "lshift_cpu",
    "<<",
    "left shift",
    "torch.bitwiseLeftShift(torch.tensor([1, -3], { dtype: torch.int64 }), 2) // tensor([  4, -12])",
  ],
  [
    "bitwise_right_shift",
    BitOp.RightShift,
    "rshift_cpu",
    ">>",
    "arithmetic right shift",
    "torch.bitwiseRightShift(torch.tensor([16, -3], { dtype: torch.int64 }), 2) // tensor([ 4, -1])",
  ],
] as const) {
  const o = binaryOverloads(name, op, kernel, false, "Tensor_Scalar");
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc: `The ${what} (\`${sym}\`) of an integer tensor by \`other\` bits (broadcasting); counts past the width wrap as on x86-64, as PyTorch's CPU kernel.`,
    example,
    overloads: [o.tensor, o.scalarTensor, o.tensorScalar],
    methodOverloads: [o.tensor, o.tensorScalar],
  });
}

// ---------------------------------------------------------------------------------------------
// Python's operator methods (as src/registry/ops/dunder.ts's): `__and__`, `__rand__` (and's
// operands commute), `__iand__`, the or/xor/shift ones, their TypeErrors as NotImplemented.
// The C-level ones are the named op's binding (python_variable_methods.cpp binds `__rand__` to
// bitwise_and itself; `__and__.Scalar`/`.Tensor` and `__lshift__` are ATen twins of
// bitwise_and/bitwise_left_shift with the same overloads and kernels, whose TypeErrors never
// surface); `__rlshift__`/`__rrshift__` are torch/_tensor.py's `torch.bitwise_left_shift(other,
// self)`. `__invert__` (above) has no NotImplemented wrapper.

const leftShift = fn("bitwiseLeftShift");
const rightShift = fn("bitwiseRightShift");
const operatorMethods: Record<string, Method> = {
  __and__: aliasOf("bitwiseAnd"),
  __rand__: aliasOf("bitwiseAnd"),
  __iand__: aliasOf("bitwiseAnd_"),
  __or__: aliasOf("bitwiseOr"),
  __ror__: aliasOf("bitwiseOr"),
  __ior__: aliasOf("bitwiseOr_"),
  __xor__: aliasOf("bitwiseXor"),
  __rxor__: aliasOf("bitwiseXor"),
  __ixor__: aliasOf("bitwiseXor_"),
  __lshift__: aliasOf("bitwiseLeftShift"),
  __ilshift__: aliasOf("bitwiseLeftShift_"),
  __rlshift__: pyBinary((self, other) => leftShift(other, self)),
  __rshift__: aliasOf("bitwiseRightShift"),
  __irshift__: aliasOf("bitwiseRightShift_"),
  __rrshift__: pyBinary((self, other) => rightShift(other, self)),
};
for (const [name, m] of Object.entries(operatorMethods)) {
  Object.defineProperty(Tensor.prototype, name, {
    value: m,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

type Other = Tensor | number | boolean;
declare module "../../tensor.js" {
  interface Tensor {
    /** `self & other`: `bitwise_and`; NotImplemented for an operand it refuses. */
    __and__(other: Other): Result;
    /** `other & self`: `bitwise_and` (and commutes). */
    __rand__(other: Other): Result;
    /** `self &= other`: `bitwise_and_`. */
    __iand__(other: Other): Result;
    /** `self | other`: `bitwise_or`. */
    __or__(other: Other): Result;
    /** `other | self`: `bitwise_or` (or commutes). */
    __ror__(other: Other): Result;
    /** `self |= other`: `bitwise_or_`. */
    __ior__(other: Other): Result;
    /** `self ^ other`: `bitwise_xor`. */
    __xor__(other: Other): Result;
    /** `other ^ self`: `bitwise_xor` (xor commutes). */
    __rxor__(other: Other): Result;
    /** `self ^= other`: `bitwise_xor_`. */
    __ixor__(other: Other): Result;
    /** `self << other`: `bitwise_left_shift`. */
    __lshift__(other: Other): Result;
    /** `self <<= other`: `bitwise_left_shift_`. */
    __ilshift__(other: Other): Result;
    /** `other << self`: `torch.bitwise_left_shift(other, self)`. */
    __rlshift__(other: Other | { other: Other }): Result;
    /** `self >> other`: `bitwise_right_shift`. */
    __rshift__(other: Other): Result;
    /** `self >>= other`: `bitwise_right_shift_`. */
    __irshift__(other: Other): Result;
    /** `other >> self`: `torch.bitwise_right_shift(other, self)`. */
    __rrshift__(other: Other | { other: Other }): Result;
  }
}

// ---------------------------------------------------------------------------------------------
// gcd and lcm

for (const [name, op, example] of [
  [
    "gcd",
    BitOp.Gcd,
    "torch.gcd(torch.tensor([12, -9, 0], { dtype: torch.int64 }), torch.tensor([18, 6, 0], { dtype: torch.int64 })) // tensor([6, 3, 0])",
  ],
  [
    "lcm",
    BitOp.Lcm,
    "torch.lcm(torch.tensor([4, -6, 0], { dtype: torch.int64 }), torch.tensor([6, 4, 5], { dtype: torch.int64 })) // tensor([12, 12,  0])",
  ],
] as const) {
  const kernel = `${name}_cpu`;
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc:
      name === "gcd"
        ? "The greatest common divisor of |input| and |other| (broadcasting), integers only; gcd(0, 0) = 0."
        : "The least common multiple of |input| and |other| (broadcasting), integers only; 0 when either is 0.",
    example,
    overloads: [
      {
        schema: `${name}(Tensor self, Tensor other) -> Tensor`,
        forward: binaryForward(op, kernel, false),
        checkOut: checkBinaryOut,
        inplace: { forward: inplaceForward(op, kernel, false) },
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// isin

/**
 * Whether each element of `elements` is among `test` (or not, `invert`), compared in their
 * promoted dtype (so int64 16777217 is in float32 [16777216.]); NaN is in nothing. The kernel
 * looks each element up in a set of the test values: the result is the same whether or not
 * `assume_unique` holds, which only chooses PyTorch's algorithm.
 */
/** isin refuses bools (its meta function's check_for_unsupported_isin_dtype). */
function checkIsinInputs(elements: Operand, test: Operand): void {
  for (const v of [elements, test])
    if (v === true || v === false || (v instanceof Tensor && v.dtype === bool))
      throw runtimeError("Unsupported input type encountered for isin(): Bool");
}

/** C++'s TypeMeta name of a dtype, as structured kernels' out= messages give it. */
const CPP_TYPE_NAMES: Record<string, string> = {
  bool: "bool",
  uint8: "unsigned char",
  int32: "int",
  int64: "long int",
  float32: "float",
  float64: "double",
};

/** isin's out= (a structured kernel's output of fixed dtype): bool, after the input check. */
function checkIsinOut(out: Tensor, elements: Operand, test: Operand): void {
  checkIsinInputs(elements, test);
  if (out.dtype !== bool)
    throw runtimeError(
      `Expected out tensor to have dtype bool, but got ${CPP_TYPE_NAMES[out.dtype.name]} instead`,
    );
}

function isinForward(
  elements: Operand,
  test: Operand,
  _assumeUnique: boolean,
  invert: boolean,
): Tensor {
  checkIsinInputs(elements, test);
  const dt = resultType([elements, test]);
  // each operand's values in the promoted dtype: its storage when it already is contiguous
  const values = (v: Operand): [Tensor["typedArray"], number, number] => {
    if (!(v instanceof Tensor)) return [scalarArray(scalarIn(Number(v), dt), dt).slice(), 0, 1];
    if (v.dtype === dt && v.isContiguous()) return [v.typedArray, v.offset, v.numel()];
    return [expandedData(v, v.shape.slice(), dt), 0, v.numel()];
  };
  const shape = elements instanceof Tensor ? elements.shape.slice() : [];
  const out = allocOutput(shape, bool);
  const [e, eOff, n] = values(elements);
  const [t, tOff, m] = values(test);
  isinKernel(e, eOff, n, tOff === 0 ? t : t.subarray(tOff), m, out.typedArray, invert);
  return out;
}

defineOp({
  name: "isin",
  variants: ["function"],
  out: true,
  doc: "Whether each element of `elements` is in `test_elements` (`invert`: is not), as a bool tensor; bool inputs are refused.",
  example:
    "torch.isin(torch.tensor([1, 2, 3], { dtype: torch.int64 }), torch.tensor([2, 5], { dtype: torch.int64 })) // tensor([False,  True, False])",
  overloads: [
    {
      schema:
        "isin.Tensor_Tensor(Tensor elements, Tensor test_elements, *, bool assume_unique=False, bool invert=False) -> Tensor",
      forward: isinForward,
      checkOut: checkIsinOut,
    },
    {
      schema:
        "isin.Scalar_Tensor(Scalar element, Tensor test_elements, *, bool assume_unique=False, bool invert=False) -> Tensor",
      forward: (element: Scalar, test: Tensor, u: boolean, inv: boolean) =>
        isinForward(scalarArg(element), test, u, inv),
      checkOut: (out: Tensor, element: Scalar, test: Tensor) =>
        checkIsinOut(out, scalarArg(element), test),
    },
    {
      schema:
        "isin.Tensor_Scalar(Tensor elements, Scalar test_element, *, bool assume_unique=False, bool invert=False) -> Tensor",
      forward: (elements: Tensor, test: Scalar, u: boolean, inv: boolean) =>
        isinForward(elements, scalarArg(test), u, inv),
      checkOut: (out: Tensor, elements: Tensor, test: Scalar) =>
        checkIsinOut(out, elements, scalarArg(test)),
    },
  ],
});
