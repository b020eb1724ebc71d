/**
 * Comparisons, logic, tests and selection: eq/ne/lt/le/gt/ge, logical_and/or/xor/not,
 * isnan/isfinite/isinf, where, masked_fill, allclose, equal. One `defineOp` per op (see
 * ../define.ts).
 */
import type { Tensor } from "../../tensor.js";
import { bool, getDefaultDtype } from "../../dtype.js";
import * as E from "../../ops/elementwise.js";
import * as R from "../../ops/reduce.js";
import { scalarTypeName } from "../../ops/core.js";
import * as F from "../../autograd/formula-ops.js";
import { runtimeError } from "../../errors.js";
import { defineOp, type DerivativeDecl } from "../define.js";
import { scalarArg } from "./elementwise.js";

const zero = (t: Tensor): Tensor => F.zerosLike(t);

// ---------------------------------------------------------------------------------------------
// Comparisons: bool results, not differentiable. Their in-place forms are (derivatives.yaml's
// eq_.Scalar, eq_.Tensor, ...): the result in self's dtype (0/1), zero gradients for self and
// a tensor other, a zero tangent.

/** The in-place comparison's node: zero gradients, zero tangent. */
function comparisonInplace(node: string): DerivativeDecl {
  return {
    name: node,
    save: [],
    grad: (g, _s, _a, n) => Array.from({ length: n.edges.length }, () => zero(g)),
    jvp: (_t, _p, result) => zero(result),
  };
}

/** The comparisons: [name, kernel, what it computes, example, base op for an alias]. */
const COMPARISONS: readonly (readonly [
  string,
  (a: Tensor, b: Tensor | number | boolean) => Tensor,
  string,
  string,
  string | null,
])[] = [
  ["eq", E.eq, "input == other", "torch.tensor([1, 2]).eq(2) // tensor([False,  True])", null],
  ["ne", E.ne, "input != other", "torch.tensor([1, 2]).ne(2) // tensor([ True, False])", null],
  ["lt", E.lt, "input < other", "torch.tensor([1, 2]).lt(2) // tensor([ True, False])", null],
  ["le", E.le, "input <= other", "torch.tensor([1, 2]).le(1) // tensor([ True, False])", null],
  ["gt", E.gt, "input > other", "torch.tensor([1, 2]).gt(1) // tensor([False,  True])", null],
  ["ge", E.ge, "input >= other", "torch.tensor([1, 2]).ge(2) // tensor([False,  True])", null],
  // the aliases (PyTorch records their base op's nodes: `x.greater_(1)` is GtBackward0)
  [
    "not_equal",
    E.ne,
    "input != other",
    "torch.tensor([1, 2]).notEqual(2) // tensor([ True, False])",
    "ne",
  ],
  ["less", E.lt, "input < other", "torch.tensor([1, 2]).less(2) // tensor([ True, False])", "lt"],
  [
    "less_equal",
    E.le,
    "input <= other",
    "torch.tensor([1, 2]).lessEqual(1) // tensor([ True, False])",
    "le",
  ],
  [
    "greater",
    E.gt,
    "input > other",
    "torch.tensor([1, 2]).greater(1) // tensor([False,  True])",
    "gt",
  ],
  [
    "greater_equal",
    E.ge,
    "input >= other",
    "torch.tensor([1, 2]).greaterEqual(2) // tensor([False,  True])",
    "ge",
  ],
];

for (const [name, fn, what, example, alias] of COMPARISONS) {
  const base = alias ?? name;
  const node = `${base[0].toUpperCase()}${base.slice(1)}Backward`;
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc: `${alias === null ? "" : `Alias of ${alias}: `}\`${what}\` elementwise (broadcasting), as a bool tensor; in place, written as 0/1 in input's dtype.`,
    example,
    overloads: [
      {
        schema: `${name}.Tensor(Tensor self, Tensor other) -> Tensor`,
        forward: (self: Tensor, other: Tensor) => fn(self, other),
        inplace: {
          forward: (self: Tensor, other: Tensor) => E.castTensor(fn(self, other), self.dtype),
          derivative: comparisonInplace(`${node}1`),
        },
      },
      {
        schema: `${name}.Scalar(Tensor self, Scalar other) -> Tensor`,
        forward: (self: Tensor, other: number | boolean | Tensor) => fn(self, scalarArg(other)),
        inplace: {
          forward: (self: Tensor, other: number | boolean | Tensor) =>
            E.castTensor(fn(self, scalarArg(other)), self.dtype),
          derivative: comparisonInplace(`${node}0`),
        },
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// Logic (nonzero is true; NaN included)

const T = "torch.tensor([true, false]), torch.tensor([true, true])";
for (const [name, fn, what, example] of [
  ["logical_and", E.logicalAnd, "and", `torch.logicalAnd(${T}) // tensor([ True, False])`],
  ["logical_or", E.logicalOr, "or", `torch.logicalOr(${T}) // tensor([True, True])`],
  ["logical_xor", E.logicalXor, "exclusive or", `torch.logicalXor(${T}) // tensor([False,  True])`],
] as const) {
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc: `The logical ${what} of two tensors (non-zero is true), as a bool tensor.`,
    example,
    overloads: [{ schema: `${name}(Tensor self, Tensor other) -> Tensor`, forward: fn }],
  });
}

defineOp({
  name: "logical_not",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The logical negation of each element (zero is false), as a bool tensor.",
  example: "torch.logicalNot(torch.tensor([0, 2])) // tensor([ True, False])",
  overloads: [{ schema: "logical_not(Tensor self) -> Tensor", forward: E.logicalNot }],
});

for (const [name, fn, doc, example] of [
  [
    "isnan",
    E.isnan,
    "Whether each element is NaN.",
    "torch.tensor([1, NaN]).isnan() // tensor([False,  True])",
  ],
  [
    "isfinite",
    E.isfinite,
    "Whether each element is finite (not NaN, not infinite).",
    "torch.tensor([1, Infinity, NaN]).isfinite() // tensor([ True, False, False])",
  ],
  [
    "isinf",
    E.isinf,
    "Whether each element is +inf or -inf.",
    "torch.tensor([1, -Infinity, NaN]).isinf() // tensor([False,  True, False])",
  ],
] as const) {
  defineOp({
    name,
    variants: ["function", "method"],
    doc,
    example,
    overloads: [{ schema: `${name}(Tensor self) -> Tensor`, forward: fn }],
  });
}

// ---------------------------------------------------------------------------------------------
// Selection

/**
 * where: g flows to input where condition holds, to other elsewhere (one gradient per tensor
 * argument of the schema: condition, then the tensor operands); the tangent likewise.
 */
function whereDerivative(self: boolean, other: boolean): DerivativeDecl {
  return {
    name: "WhereBackward0",
    save: ["condition"],
    grad: (g, s: { condition: Tensor }, _a, n) => {
      const grads: (Tensor | null)[] = [null];
      let i = 1;
      if (self) grads.push(n.needsInputGrad(i++) ? F.where(s.condition, g, zero(g)) : null);
      if (other) grads.push(n.needsInputGrad(i) ? F.where(s.condition, zero(g), g) : null);
      return grads;
    },
    jvp: (t, p) => F.where(p.condition, t.self ?? 0, t.other ?? 0),
  };
}

type WhereScalar = number | boolean | Tensor;

const whereSelf = {
  schema: "where.self(Tensor condition, Tensor self, Tensor other) -> Tensor",
  out: true,
  forward: (condition: Tensor, self: Tensor, other: Tensor) =>
    E.whereForward(condition, self, other),
  derivative: whereDerivative(true, true),
};

defineOp({
  name: "where",
  variants: ["function", "method"],
  doc: "`input` where `condition` holds, else `other` (all three broadcast; either operand may be a number). With only a condition: the coordinates of its non-zero elements, one tensor per dimension.",
  example: "torch.where(torch.tensor([true, false]), 1, torch.tensor([5, 6])) // tensor([1., 6.])",
  overloads: [
    { schema: "where(Tensor condition) -> Tensor[]", forward: E.nonzeroTuple },
    whereSelf,
    {
      schema: "where.ScalarSelf(Tensor condition, Scalar self, Tensor other) -> Tensor",
      forward: (condition: Tensor, self: WhereScalar, other: Tensor) =>
        E.whereForward(condition, scalarArg(self), other),
      derivative: whereDerivative(false, true),
    },
    {
      schema: "where.ScalarOther(Tensor condition, Tensor self, Scalar other) -> Tensor",
      forward: (condition: Tensor, self: Tensor, other: WhereScalar) =>
        E.whereForward(condition, self, scalarArg(other)),
      derivative: whereDerivative(true, false),
    },
    {
      schema: "where.Scalar(Tensor condition, Scalar self, Scalar other) -> Tensor",
      forward: (condition: Tensor, self: WhereScalar, other: WhereScalar) =>
        E.whereForward(condition, scalarArg(self), scalarArg(other)),
    },
  ],
  methodOverloads: [whereSelf],
});

/**
 * masked_fill: g flows to input where the mask is false, and (a tensor value) the sum of g
 * where it is true to the value; the tangent likewise.
 */
function maskedFillDerivative(valueTensor: boolean): DerivativeDecl {
  return {
    name: valueTensor ? "MaskedFillBackward1" : "MaskedFillBackward0",
    save: ["mask"],
    grad: (g, s: { mask: Tensor }, _a, n) => [
      n.needsInputGrad(0) ? g.maskedFill(s.mask, 0) : null,
      null,
      ...(valueTensor ? [n.needsInputGrad(2) ? F.where(s.mask, g, zero(g)) : null] : []),
    ],
    jvp: (t, p) => {
      const a = t.self === null ? null : t.self.maskedFill(p.mask, 0);
      const b = !valueTensor || t.value === null ? null : F.where(p.mask, t.value, 0);
      return a === null ? b : b === null ? a : a.add(b);
    },
  };
}

defineOp({
  name: "masked_fill",
  variants: ["function", "method", "inplace"],
  doc: "`value` where `mask` is true, `input` elsewhere (mask broadcast; a tensor value must be 0-dim).",
  example:
    "torch.tensor([1, 2, 3]).maskedFill(torch.tensor([true, false, true]), 0) // tensor([0., 2., 0.])",
  overloads: [
    {
      schema: "masked_fill.Tensor(Tensor self, Tensor mask, Tensor value) -> Tensor",
      forward: E.maskedFillForward,
      derivative: maskedFillDerivative(true),
    },
    {
      schema: "masked_fill.Scalar(Tensor self, Tensor mask, Scalar value) -> Tensor",
      forward: (self: Tensor, mask: Tensor, value: WhereScalar) =>
        E.maskedFillForward(self, mask, scalarArg(value)),
      derivative: maskedFillDerivative(false),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// Whole-tensor tests (Python bools)

/**
 * isclose(input, other, rtol, atol, equal_nan) as PyTorch computes it: equal, or (equal_nan)
 * both NaN, or |input - other| finite and <= atol + |rtol * other|, in the inputs' dtype (bool
 * inputs as the default float dtype, integers' tolerance in it).
 */
export function isclose(
  self: Tensor,
  other: Tensor,
  rtol: number,
  atol: number,
  equalNan: boolean,
): Tensor {
  if (self.dtype !== other.dtype)
    throw runtimeError(
      `${scalarTypeName(self.dtype)} did not match ${scalarTypeName(other.dtype)}`,
    );
  if (!(rtol >= 0))
    throw runtimeError(`rtol must be greater than or equal to zero, but got ${rtol}`);
  if (!(atol >= 0))
    throw runtimeError(`atol must be greater than or equal to zero, but got ${atol}`);
  const a = self.detach();
  const b = other.detach();
  if (a.dtype.isComplex) return iscloseComplex(a, b, rtol, atol, equalNan);
  let close = E.eq(a, b);
  if (equalNan && a.dtype.isFloatingPoint)
    close = E.logicalOr(close, E.logicalAnd(E.isnan(a), E.isnan(b)));
  if (rtol === 0 && atol === 0) return close;
  const ca = a.dtype === bool ? a.to(getDefaultDtype()) : a;
  const cb = b.dtype === bool ? b.to(getDefaultDtype()) : b;
  // rtol is a double: rtol * other computes in a floating dtype even for integer tensors
  const cbf = cb.dtype.isFloatingPoint ? cb : cb.to(getDefaultDtype());
  const allowed = E.add(E.abs(E.mul(cbf, rtol)), atol);
  const actual = E.abs(E.sub(ca, cb));
  return E.logicalOr(close, E.logicalAnd(E.isfinite(actual), E.le(actual, allowed)));
}

/**
 * isclose of complex tensors: equal when both parts are; else |a - b| <= atol + |rtol * b|
 * with |z| the modulus (PyTorch's `(self - other).abs()` and `(rtol * other).abs()`), NaN in
 * either part making a value NaN.
 */
function iscloseComplex(
  a: Tensor,
  b: Tensor,
  rtol: number,
  atol: number,
  equalNan: boolean,
): Tensor {
  const [ar, ai, br, bi] = [a.real, a.imag, b.real, b.imag];
  let close = E.logicalAnd(E.eq(ar, br), E.eq(ai, bi));
  if (equalNan) {
    const nan = (re: Tensor, im: Tensor): Tensor => E.logicalOr(E.isnan(re), E.isnan(im));
    close = E.logicalOr(close, E.logicalAnd(nan(ar, ai), nan(br, bi)));
  }
  if (rtol === 0 && atol === 0) return close;
  const allowed = E.add(E.mul(br, rtol).hypot(E.mul(bi, rtol)), atol);
  const actual = E.sub(ar, br).hypot(E.sub(ai, bi));
  return E.logicalOr(close, E.logicalAnd(E.isfinite(actual), E.le(actual, allowed)));
}

defineOp({
  name: "allclose",
  variants: ["function", "method"],
  doc: "Whether every element satisfies |input - other| <= atol + rtol * |other| (same dtypes; NaNs equal with `equalNan`).",
  example: "torch.allclose(torch.tensor([1, 2]), torch.tensor([1, 2.000001])) // true",
  overloads: [
    {
      schema:
        "allclose(Tensor self, Tensor other, float rtol=1e-05, float atol=1e-08, bool equal_nan=False) -> bool",
      forward: (self: Tensor, other: Tensor, rtol: number, atol: number, equalNan: boolean) =>
        R.all(isclose(self, other, Number(rtol), Number(atol), equalNan)).item() as boolean,
    },
  ],
});

defineOp({
  name: "equal",
  variants: ["function", "method"],
  doc: "Whether the two tensors have the same shape and the same values.",
  example: "torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2])) // true",
  overloads: [
    {
      schema: "equal(Tensor self, Tensor other) -> bool",
      forward: (self: Tensor, other: Tensor): boolean => {
        if (self.dim() !== other.dim() || self.shape.some((s, i) => s !== other.shape[i]))
          return false;
        return R.all(E.eq(self, other)).item() as boolean;
      },
    },
  ],
});
