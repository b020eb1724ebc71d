/**
 * Elementwise ops: arithmetic, powers, unary math, rounding. One `defineOp` per op (see
 * ../define.ts); comparisons, logic and selection (where, masked_fill) are in comparison.ts.
 *
 * add, sub, mul and div record their own node in their forward (src/ops/elementwise.ts): they
 * save each operand only when the other needs its gradient, as PyTorch does, which a declared
 * saved set cannot express. tanh, sigmoid and relu too (their formulas live in
 * src/autograd/derivatives.ts).
 */
import { Tensor } from "../../tensor.js";
import * as E from "../../ops/elementwise.js";
import { erf as erfForward } from "../../ops/nn.js";
import { Binary, Unary } from "../../backend/elementwise.js";
import { floatDtypeOf } from "../../ops/core.js";
import { bool, resultType } from "../../dtype.js";
import * as F from "../../autograd/formula-ops.js";
import { notImplementedError, runtimeError } from "../../errors.js";
import { defineOp, deprecated, type DerivativeDecl, type OverloadDecl } from "../define.js";
import { linear } from "../linear-jvp.js";

/**
 * A Scalar argument's value: a number, a bool, or (PyTorch's parser accepts one) a 0-dim
 * tensor that does not require grad.
 */
export function scalarArg(v: number | boolean | Tensor): number | boolean {
  return v instanceof Tensor ? (v.item() as number | boolean) : v;
}

/** A zero gradient or tangent shaped like `t` (piecewise constant ops). */
const zero = (t: Tensor): Tensor => F.zerosLike(t);
/** a + b where null is a zero tangent */
const plus = (a: Tensor | null, b: Tensor | null): Tensor | null =>
  a === null ? b : b === null ? a : a.add(b);

defineOp({
  name: "add",
  variants: ["function", "method", "inplace"],
  numbersAsTensors: true,
  out: true,
  doc: "Adds `other`, scaled by `alpha`, to `input`: out = input + alpha * other (broadcasting).",
  example: "torch.tensor([1, 2]).add(torch.tensor([3, 4]), { alpha: 2 }) // tensor([ 7., 10.])",
  overloads: [
    {
      schema: "add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
      forward: (self: Tensor, other: Tensor | number, alpha: number | boolean) =>
        E.add(self, other, Number(alpha)),
    },
    {
      schema: "add(Tensor self, Scalar alpha, Tensor other) -> Tensor",
      hidden: true,
      forward: (self: Tensor, alpha: number | boolean, other: Tensor) => {
        deprecated(
          "add",
          "add(Tensor input, Number alpha, Tensor other, *, Tensor out)",
          "add(Tensor input, Tensor other, *, Number alpha, Tensor out)",
        );
        return E.add(self, other, Number(alpha));
      },
    },
  ],
});

defineOp({
  name: "sub",
  variants: ["function", "method", "inplace"],
  numbersAsTensors: true,
  out: true,
  doc: "Subtracts `other`, scaled by `alpha`, from `input`: out = input - alpha * other.",
  example: "torch.tensor([5, 6]).sub(1) // tensor([4., 5.])",
  overloads: [
    {
      schema: "sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
      forward: (self: Tensor, other: Tensor | number, alpha: number | boolean) =>
        E.sub(self, other, Number(alpha)),
    },
    {
      schema: "sub(Tensor self, Scalar alpha, Tensor other) -> Tensor",
      hidden: true,
      forward: (self: Tensor, alpha: number | boolean, other: Tensor) => {
        deprecated(
          "sub",
          "sub(Tensor input, Number alpha, Tensor other, *, Tensor out)",
          "sub(Tensor input, Tensor other, *, Number alpha, Tensor out)",
        );
        return E.sub(self, other, Number(alpha));
      },
    },
  ],
});

defineOp({
  name: "mul",
  variants: ["function", "method", "inplace"],
  numbersAsTensors: true,
  out: true,
  doc: "Multiplies `input` by `other` elementwise (broadcasting).",
  example: "torch.tensor([1, 2]).mul(3) // tensor([3., 6.])",
  overloads: [
    {
      schema: "mul.Tensor(Tensor self, Tensor other) -> Tensor",
      forward: (self: Tensor | number, other: Tensor | number) =>
        typeof self === "number" ? E.mul(other as Tensor, self) : E.mul(self, other),
    },
  ],
});

defineOp({
  name: "subtract",
  variants: ["function", "method", "inplace"],
  numbersAsTensors: true,
  out: true,
  doc: "Alias of sub: `input - alpha * other` (broadcasting; a number other with `alpha` given positionally binds subtract.Scalar, SubBackward1).",
  example: "torch.subtract(torch.tensor([5, 6]), 1, 2) // tensor([3., 4.])",
  overloads: [
    {
      schema: "subtract.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
      forward: (self: Tensor, other: Tensor | number, alpha: number | boolean) =>
        E.sub(self, other, Number(alpha)),
    },
    {
      schema: "subtract.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
      out: false,
      forward: (self: Tensor, other: number | boolean | Tensor, alpha: number | boolean) => {
        E.checkSubBool(self.dtype === bool, typeof scalarArg(other) === "boolean");
        return F.subScalar(self, Number(scalarArg(other)), Number(alpha));
      },
    },
  ],
});

defineOp({
  name: "multiply",
  variants: ["function", "method", "inplace"],
  numbersAsTensors: true,
  out: true,
  doc: "Alias of mul: `input * other` elementwise (broadcasting).",
  example: "torch.multiply(torch.tensor([1, 2]), 3) // tensor([3., 6.])",
  overloads: [
    {
      schema: "multiply.Tensor(Tensor self, Tensor other) -> Tensor",
      forward: (self: Tensor | number, other: Tensor | number) =>
        typeof self === "number" ? E.mul(other as Tensor, self) : E.mul(self, other),
    },
    {
      schema: "multiply.Scalar(Tensor self, Scalar other) -> Tensor",
      out: false,
      forward: (self: Tensor, other: number | boolean | Tensor) =>
        E.mul(self, Number(scalarArg(other))),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// Division

const DIV_DOC =
  'Divides `input` by `other` elementwise (broadcasting): true division (integers give floats), or with `roundingMode` "trunc"/"floor" the quotient rounded toward zero/down in the promoted dtype.';
const DIV_EXAMPLE =
  'torch.div(torch.tensor([7, -7]), 2, { roundingMode: "floor" }) // tensor([ 3., -4.])';

/**
 * div and its alias divide: true division (DivBackward0), and with a rounding mode
 * (DivBackward2). PyTorch's parser has no binding for div.Scalar (a number binds to
 * div.Tensor, as the parser wraps numbers for div); divide keeps divide.Scalar.
 */
function divOverloads(name: "div" | "divide"): OverloadDecl[] {
  // E.div itself (div is hot): called with two arguments it is div.Tensor, with a rounding
  // mode (None included) div.Tensor_mode
  const tensor: OverloadDecl = {
    schema: `${name}.Tensor(Tensor self, Tensor other) -> Tensor`,
    out: true,
    forward: E.div,
  };
  const tensorMode: OverloadDecl = {
    schema: `${name}.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode) -> Tensor`,
    out: true,
    forward: E.div,
  };
  const scalarMode: OverloadDecl = {
    schema: `${name}.Scalar_mode(Tensor self, Scalar other, *, str? rounding_mode) -> Tensor`,
    forward: (self: Tensor, other: number | boolean | Tensor, mode: string | null) =>
      E.div(self, Number(scalarArg(other)), mode),
  };
  if (name === "div") return [tensor, tensorMode, scalarMode];
  const scalar: OverloadDecl = {
    schema: "divide.Scalar(Tensor self, Scalar other) -> Tensor",
    forward: (self: Tensor, other: number | boolean | Tensor) =>
      E.div(self, Number(scalarArg(other))),
  };
  return [tensor, tensorMode, scalar, scalarMode];
}

defineOp({
  name: "div",
  variants: ["function", "method", "inplace"],
  numbersAsTensors: true,
  doc: DIV_DOC,
  example: DIV_EXAMPLE,
  overloads: divOverloads("div"),
});

defineOp({
  name: "divide",
  variants: ["function", "method", "inplace"],
  numbersAsTensors: true,
  doc: `Alias of div. ${DIV_DOC}`,
  example: "torch.divide(torch.tensor([1, 2]), 4) // tensor([0.2500, 0.5000])",
  overloads: divOverloads("divide"),
});

defineOp({
  name: "true_divide",
  variants: ["function", "method", "inplace"],
  numbersAsTensors: true,
  doc: "Alias of div without rounding: `input / other`, integers giving floats.",
  example: "torch.trueDivide(torch.tensor([1, 3]), 2) // tensor([0.5000, 1.5000])",
  overloads: [
    {
      schema: "true_divide.Tensor(Tensor self, Tensor other) -> Tensor",
      out: true,
      forward: (self: Tensor | number, other: Tensor | number) => E.div(self, other),
    },
    {
      schema: "true_divide.Scalar(Tensor self, Scalar other) -> Tensor",
      forward: (self: Tensor, other: number | boolean | Tensor) =>
        E.div(self, Number(scalarArg(other))),
    },
  ],
});

/**
 * floor_divide has no derivative in PyTorch: its result is recorded with a node that raises
 * when differentiated (NotImplemented).
 */
const floorDivideNotImplemented: DerivativeDecl = {
  name: "torch::autograd::NotImplemented",
  save: [],
  grad: () => {
    throw runtimeError("derivative for aten::floor_divide is not implemented");
  },
  jvp: () => {
    throw notImplementedError(
      "Trying to use forward AD with aten::floor_divide that does not support it.",
    );
  },
};

defineOp({
  name: "floor_divide",
  variants: ["function", "method", "inplace"],
  numbersAsTensors: true,
  doc: '`input // other`: the quotient rounded down (div with roundingMode "floor").',
  example: "torch.floorDivide(torch.tensor([7, -7]), 2) // tensor([ 3., -4.])",
  overloads: [
    {
      schema: "floor_divide(Tensor self, Tensor other) -> Tensor",
      out: true,
      forward: (self: Tensor | number, other: Tensor | number) => E.floorDivide(self, other),
      derivative: floorDivideNotImplemented,
    },
    {
      schema: "floor_divide.Scalar(Tensor self, Scalar other) -> Tensor",
      forward: (self: Tensor, other: number | boolean | Tensor) =>
        E.floorDivide(self, Number(scalarArg(other))),
      derivative: floorDivideNotImplemented,
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// Powers

const powTensorTensor: OverloadDecl = {
  schema: "pow.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor",
  forward: E.powTensor,
  derivative: {
    name: "PowBackward1",
    save: ["self", "exponent", "result"],
    // d(x^y) = y*x^(y-1)*g, x^y*log(x)*g (with 0 where y == 0, and where x == 0 and y >= 0,
    // as PyTorch's pow_backward_self/_exponent)
    grad: (g, s, _a, n) => [
      n.needsInputGrad(0)
        ? F.where(s.exponent.eq(0), zero(g), g.mul(s.exponent).mul(s.self.pow(s.exponent.sub(1))))
        : null,
      n.needsInputGrad(1)
        ? F.where(
            s.self.eq(0).logicalAnd(s.exponent.ge(0)),
            zero(g),
            g.mul(s.result).mul(s.self.log()),
          )
        : null,
    ],
    // the same two terms applied to the tangents
    jvp: (t, p, result) => {
      const x = p.self;
      const y = p.exponent;
      const dBase =
        t.self === null
          ? null
          : t.self
              .mul(y)
              .mul(x.pow(y.sub(1)))
              .maskedFill(y.eq(0), 0);
      const dExp =
        t.exponent === null
          ? null
          : t.exponent
              .mul(result)
              .mul(x.log())
              .maskedFill(x.eq(0).logicalAnd(y.ge(0)), 0);
      return plus(dBase, dExp);
    },
  },
};

const powScalar: OverloadDecl = {
  schema: "pow.Scalar(Scalar self, Tensor exponent) -> Tensor",
  forward: (self: number | boolean | Tensor, exponent: Tensor) =>
    E.powScalarTensor(scalarArg(self), exponent),
  derivative: {
    name: "PowBackward2",
    save: ["exponent", "result"],
    attrs: ["self"],
    // d(b^y) = b^y*log(b)*g (0 where b == 0 and y >= 0)
    grad: (g, s: { exponent: Tensor; result: Tensor }, a: { self: number | boolean | Tensor }) => {
      const b = Number(scalarArg(a.self));
      const d = g.mul(s.result).mul(Math.log(b));
      return [b === 0 ? F.where(s.exponent.ge(0), zero(g), d) : d];
    },
    jvp: (t, p, result, a: { self: number | boolean | Tensor }) => {
      const b = Number(scalarArg(a.self));
      const d = (t.exponent as Tensor).mul(result).mul(Math.log(b));
      return b === 0 ? d.maskedFill(p.exponent.ge(0), 0) : d;
    },
  },
};

const powTensorScalar: OverloadDecl = {
  schema: "pow.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor",
  forward: (self: Tensor, exponent: number | boolean | Tensor) =>
    E.powTensorScalar(self, typeof exponent === "number" ? exponent : scalarArg(exponent)),
  derivative: {
    name: "PowBackward0",
    save: ["self"],
    attrs: ["exponent"],
    // d(x^c) = c*x^(c-1)*g (0 when c == 0)
    grad: (g, s: { self: Tensor }, a: { exponent: number | boolean | Tensor }) => {
      const c = Number(scalarArg(a.exponent));
      if (c === 0) return [zero(g)];
      // without createGraph, one fused kernel instead of three ops (same math)
      const fused = F.fusedPowBackward(g, s.self, c);
      if (fused !== null) return [fused];
      // as PyTorch's pow_backward (no x^1 shortcut): d^3(x^3) stays connected through x^0
      return [g.mul(s.self.pow(c - 1).mul(c))];
    },
    jvp: (t, p, result, a: { exponent: number | boolean | Tensor }) => {
      const c = Number(scalarArg(a.exponent));
      if (c === 0) return zero(result);
      return (t.self as Tensor).mul(p.self.pow(c - 1).mul(c));
    },
  },
};

defineOp({
  name: "pow",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "`input ** exponent` elementwise: tensor and tensor (broadcasting), number and tensor, or tensor and number; integers stay integers (C's integer pow).",
  example: "torch.tensor([1, 2, 3]).pow(2) // tensor([1., 4., 9.])",
  overloads: [powTensorTensor, powScalar, powTensorScalar],
  methodOverloads: [powTensorTensor, powTensorScalar],
});

defineOp({
  name: "square",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "`input ** 2` (recorded as pow, PowBackward0, as PyTorch).",
  example: "torch.square(torch.tensor([2, -3])) // tensor([4., 9.])",
  overloads: [{ schema: "square(Tensor self) -> Tensor", forward: (self: Tensor) => self.pow(2) }],
});

// ---------------------------------------------------------------------------------------------
// Sign and magnitude, rounding

/** neg and its alias negative: d(-x) = -g. */
for (const name of ["neg", "negative"]) {
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc: name === "neg" ? "`-input` elementwise." : "Alias of neg: `-input` elementwise.",
    example: `torch.tensor([1, -2]).${name}() // tensor([-1.,  2.])`,
    overloads: [
      {
        schema: `${name}(Tensor self) -> Tensor`,
        forward: E.neg,
        derivative: {
          name: "NegBackward0",
          save: [],
          grad: (g) => [g.neg()],
          jvp: linear((t) => t.neg()),
        },
      },
    ],
  });
}

/** abs and its alias absolute: d|x| = sign(x)*g. */
const absDerivative: DerivativeDecl = {
  name: "AbsBackward0",
  save: ["self"],
  grad: (g, s: { self: Tensor }) => [g.mul(s.self.sign())],
  jvp: (t, p) => (t.self as Tensor).mul(p.self.sign()),
};
for (const name of ["abs", "absolute"]) {
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc: name === "abs" ? "`|input|` elementwise." : "Alias of abs: `|input|` elementwise.",
    example: `torch.tensor([-1.5, 2]).${name}() // tensor([1.5000, 2.0000])`,
    overloads: [
      {
        schema: `${name}(Tensor self) -> Tensor`,
        forward: E.abs,
        derivative: absDerivative,
        // declared so that complex abs_ reaches complexCall as abs_, which refuses it with
        // PyTorch's words (Note [complex compute])
        inplace: { forward: E.abs, derivative: absDerivative },
      },
    ],
  });
}

/** A piecewise constant unary op: zero gradient and tangent. */
function constantDerivative(name: string): DerivativeDecl {
  return { name, save: [], grad: (g) => [zero(g)], jvp: (_t, _p, result) => zero(result) };
}

defineOp({
  name: "sign",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The sign of each element: -1, 0 or 1 (0 for NaN).",
  example: "torch.tensor([-2, 0, 3]).sign() // tensor([-1.,  0.,  1.])",
  overloads: [
    {
      schema: "sign(Tensor self) -> Tensor",
      forward: E.sign,
      derivative: constantDerivative("SignBackward0"),
    },
  ],
});

for (const [name, op, node, doc, example] of [
  [
    "floor",
    Unary.Floor,
    "FloorBackward0",
    "The largest integer not greater than each element (integers unchanged).",
    "torch.tensor([1.5, -1.5]).floor() // tensor([ 1., -2.])",
  ],
  [
    "ceil",
    Unary.Ceil,
    "CeilBackward0",
    "The smallest integer not less than each element (integers unchanged).",
    "torch.tensor([1.5, -1.5]).ceil() // tensor([ 2., -1.])",
  ],
] as const) {
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc,
    example,
    overloads: [
      {
        schema: `${name}(Tensor self) -> Tensor`,
        forward: (self: Tensor) => E.rounding(op, name, self),
        derivative: constantDerivative(node),
      },
    ],
  });
}

defineOp({
  name: "round",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "Rounds each element to the nearest integer (half to even), or to `decimals` decimal places (negative: to tens, hundreds, ...).",
  example:
    "torch.tensor([0.5, 1.5, 2.567]).round({ decimals: 1 }) // tensor([0.5000, 1.5000, 2.6000])",
  overloads: [
    {
      schema: "round(Tensor self) -> Tensor",
      forward: (self: Tensor) => E.rounding(Unary.Round, "round", self),
      derivative: constantDerivative("RoundBackward0"),
    },
    {
      schema: "round.decimals(Tensor self, *, int decimals) -> Tensor",
      forward: (self: Tensor, decimals: number) => E.roundDecimals(self, decimals),
      derivative: constantDerivative("RoundBackward1"),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// Two-tensor extremes

/**
 * maximum/minimum: g to the selected input, split evenly on ties; the tangent of the selected
 * input (the mean of both on ties).
 */
function extremeDerivative(isMax: boolean): DerivativeDecl {
  return {
    name: isMax ? "MaximumBackward0" : "MinimumBackward0",
    save: ["self", "other"],
    grad: (g, s: { self: Tensor; other: Tensor }) => {
      const half = F.where(s.self.eq(s.other), g.div(2), g);
      const selfLoses = isMax ? s.self.lt(s.other) : s.self.gt(s.other);
      const otherLoses = isMax ? s.self.gt(s.other) : s.self.lt(s.other);
      return [half.maskedFill(selfLoses, 0), half.maskedFill(otherLoses, 0)];
    },
    jvp: (t, p, result) => {
      const a = p.self;
      const b = p.other;
      const da = t.self ?? F.zeros(a.shape, result);
      const db = t.other ?? F.zeros(b.shape, result);
      // d max(a, b) = da where a > b, db where a < b, (da + db)/2 where a == b
      return F.where(a.eq(b), da.add(db).div(2), F.where(isMax ? a.gt(b) : a.lt(b), da, db));
    },
  };
}

for (const isMax of [true, false]) {
  const name = isMax ? "maximum" : "minimum";
  defineOp({
    name,
    variants: ["function", "method"],
    out: true,
    doc: `The elementwise ${isMax ? "maximum" : "minimum"} of two tensors (broadcasting; NaN propagates).`,
    example: `torch.${name}(torch.tensor([1, 5]), torch.tensor([3, 2])) // tensor([${isMax ? "3., 5." : "1., 2."}])`,
    overloads: [
      {
        schema: `${name}(Tensor self, Tensor other) -> Tensor`,
        forward: isMax ? E.maximum : E.minimum,
        derivative: extremeDerivative(isMax),
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// Float-valued unary math: integer inputs compute in the default float dtype.

/** The derivative of a unary op: its formula as a function of the saved value and g. */
type UnaryRule = (g: Tensor, saved: Tensor) => Tensor;

/**
 * A float-valued unary op f (a kernel, or its own forward) with f'(x) expressed through x
 * (`uses: "self"`) or through f(x)
 * (`uses: "result"`): the backward is g * f'(·) and the JVP the same rule applied to the
 * tangent (a unary op is its own linearisation at the point).
 */
export function floatUnary(
  name: string,
  kernel: Unary | ((self: Tensor) => Tensor),
  node: string,
  uses: "self" | "result",
  rule: UnaryRule,
  doc: string,
  example: string,
  inplaceNotImplemented?: { node: string; op: string },
): void {
  const forward =
    typeof kernel === "function"
      ? kernel
      : (self: Tensor) => E.unaryKernel(kernel, self, floatDtypeOf(self.dtype));
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc,
    example,
    overloads: [
      {
        schema: `${name}(Tensor self) -> Tensor`,
        forward,
        derivative: {
          name: node,
          save: [uses],
          grad: (g: Tensor, s: Record<string, Tensor>) => [rule(g, s[uses])],
          jvp: (t, p, result) => rule(t.self as Tensor, uses === "self" ? p.self : result),
        },
        inplace:
          inplaceNotImplemented === undefined
            ? undefined
            : { forward, derivative: notImplementedInplace(inplaceNotImplemented) },
      },
    ],
  });
}

/**
 * The node of an in-place op whose derivative PyTorch 1.13 does not implement
 * (derivatives.yaml's `asinh_: self: not_implemented("inplace version of asinh")`): recording
 * succeeds, backward and forward-mode AD raise NotImplementedError.
 */
function notImplementedInplace(o: { node: string; op: string }): DerivativeDecl {
  return {
    name: o.node,
    save: [],
    grad: () => {
      throw notImplementedError(
        `the derivative for 'inplace version of ${o.op}' is not implemented.`,
      );
    },
    jvp: () => {
      throw notImplementedError(
        `Trying to use forward AD with ${o.op}_ that does not support it because it has not been implemented yet.\nPlease file an issue to PyTorch at https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that we can prioritize its implementation.`,
      );
    },
  };
}

// d e^x = e^x
floatUnary(
  "exp",
  Unary.Exp,
  "ExpBackward0",
  "result",
  (g, r) => g.mul(r),
  "The exponential of each element.",
  "torch.tensor([0, 1]).exp() // tensor([1.0000, 2.7183])",
);
// d log x = 1/x
floatUnary(
  "log",
  Unary.Log,
  "LogBackward0",
  "self",
  (g, x) => g.div(x),
  "The natural logarithm of each element.",
  "torch.tensor([1, 2]).log() // tensor([0.0000, 0.6931])",
);
// d log(1+x) = 1/(1+x)
floatUnary(
  "log1p",
  Unary.Log1p,
  "Log1PBackward0",
  "self",
  (g, x) => g.div(x.add(1)),
  "log(1 + x), accurate for small x.",
  "torch.tensor([0, 1]).log1p() // tensor([0.0000, 0.6931])",
);
// d (e^x - 1) = e^x = result + 1
floatUnary(
  "expm1",
  Unary.Expm1,
  "Expm1Backward0",
  "result",
  (g, r) => g.mul(r.add(1)),
  "e^x - 1, accurate for small x.",
  "torch.tensor([0, 1]).expm1() // tensor([0.0000, 1.7183])",
);
// d sqrt(x) = 1/(2 sqrt(x))
floatUnary(
  "sqrt",
  Unary.Sqrt,
  "SqrtBackward0",
  "result",
  (g, r) => g.div(r.mul(2)),
  "The square root of each element.",
  "torch.tensor([4, 9]).sqrt() // tensor([2., 3.])",
);
// d x^(-1/2) = -1/2 x^(-3/2) = -0.5 result^3
floatUnary(
  "rsqrt",
  Unary.Rsqrt,
  "RsqrtBackward0",
  "result",
  (g, r) => g.mul(r.pow(3)).mul(-0.5),
  "The reciprocal of the square root of each element.",
  "torch.tensor([4, 16]).rsqrt() // tensor([0.5000, 0.2500])",
);
// d 1/x = -1/x^2 = -result^2
floatUnary(
  "reciprocal",
  Unary.Reciprocal,
  "ReciprocalBackward0",
  "result",
  (g, r) => g.neg().mul(r.mul(r)),
  "1/x for each element.",
  "torch.tensor([2, 4]).reciprocal() // tensor([0.5000, 0.2500])",
);
// d sin x = cos x
floatUnary(
  "sin",
  Unary.Sin,
  "SinBackward0",
  "self",
  (g, x) => g.mul(x.cos()),
  "The sine of each element (radians).",
  "torch.tensor([0]).sin() // tensor([0.])",
);
// d cos x = -sin x
floatUnary(
  "cos",
  Unary.Cos,
  "CosBackward0",
  "self",
  (g, x) => g.mul(x.sin().neg()),
  "The cosine of each element (radians).",
  "torch.tensor([0]).cos() // tensor([1.])",
);
// d tan x = 1 + tan^2 x
floatUnary(
  "tan",
  Unary.Tan,
  "TanBackward0",
  "result",
  (g, r) => g.mul(r.mul(r).add(1)),
  "The tangent of each element (radians).",
  "torch.tensor([0]).tan() // tensor([0.])",
);

// ---------------------------------------------------------------------------------------------
// One-sided clamps: their forwards (ops/elementwise.ts) record ClampMin/MaxBackward0 (number
// bound) or ...Backward1 (tensor bound, which gets the gradient where it is the result).

defineOp({
  name: "clamp_min",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "max(input, min) elementwise: `min` a number or a tensor broadcast with the input.",
  example: "torch.clampMin(torch.tensor([-1, 2]), 0) // tensor([0., 2.])",
  overloads: [
    {
      schema: "clamp_min.Tensor(Tensor self, Tensor min) -> Tensor",
      forward: (self: Tensor, min: Tensor) => E.clampMin(self, min),
    },
    {
      schema: "clamp_min(Tensor self, Scalar min) -> Tensor",
      forward: (self: Tensor, min: number | boolean) => E.clampMin(self, Number(min)),
    },
  ],
});

defineOp({
  name: "clamp_max",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "min(input, max) elementwise: `max` a number or a tensor broadcast with the input.",
  example: "torch.clampMax(torch.tensor([-1, 2]), 0) // tensor([-1., 0.])",
  overloads: [
    {
      schema: "clamp_max.Tensor(Tensor self, Tensor max) -> Tensor",
      forward: (self: Tensor, max: Tensor) => E.clampMax(self, max),
    },
    {
      schema: "clamp_max(Tensor self, Scalar max) -> Tensor",
      forward: (self: Tensor, max: number | boolean) => E.clampMax(self, Number(max)),
    },
  ],
});

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
// d erf(x) = 2/sqrt(pi) exp(-x^2)
floatUnary(
  "erf",
  erfForward,
  "ErfBackward0",
  "self",
  (g, x) => x.pow(2).neg().exp().mul(TWO_OVER_SQRT_PI).mul(g),
  "The error function of each element.",
  "torch.tensor([0, 1]).erf() // tensor([0.0000, 0.8427])",
);

// ---------------------------------------------------------------------------------------------
// Activations whose formulas live in src/autograd/derivatives.ts (their forwards record)

defineOp({
  name: "tanh",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The hyperbolic tangent of each element.",
  example: "torch.tensor([0, 1]).tanh() // tensor([0.0000, 0.7616])",
  overloads: [{ schema: "tanh(Tensor self) -> Tensor", forward: E.tanh }],
});

defineOp({
  name: "sigmoid",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The logistic sigmoid 1 / (1 + exp(-x)) of each element.",
  example: "torch.tensor([0, 2]).sigmoid() // tensor([0.5000, 0.8808])",
  overloads: [{ schema: "sigmoid(Tensor self) -> Tensor", forward: E.sigmoid }],
});

defineOp({
  name: "relu",
  variants: ["function", "method", "inplace"],
  doc: "max(x, 0) for each element.",
  example: "torch.tensor([-1, 2]).relu() // tensor([0., 2.])",
  overloads: [{ schema: "relu(Tensor self) -> Tensor", forward: E.relu }],
});

// ---------------------------------------------------------------------------------------------
// clamp and rsub: their forwards (ops/elementwise.ts) record ClampBackward0/1 and
// RsubBackward0/1 themselves (the formulas live in src/autograd/derivatives.ts).

defineOp({
  name: "clamp",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "Limits each element to [min, max]: bounds are numbers or tensors broadcast with the input.",
  example: "torch.tensor([-2, 0.5, 3]).clamp(-1, 1) // tensor([-1.0000,  0.5000,  1.0000])",
  overloads: [
    {
      schema: "clamp.Tensor(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor",
      forward: (self: Tensor, min: Tensor | null, max: Tensor | null) => E.clamp(self, min, max),
    },
    {
      schema: "clamp(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor",
      forward: (
        self: Tensor,
        min: number | boolean | Tensor | null,
        max: number | boolean | Tensor | null,
      ) =>
        E.clamp(
          self,
          min === null ? null : Number(scalarArg(min)),
          max === null ? null : Number(scalarArg(max)),
        ),
    },
  ],
});

defineOp({
  name: "rsub",
  // PyTorch has no Tensor.rsub; tensorgrad's method spells Python's `other - tensor`
  variants: ["function", "method"],
  doc: "other - alpha * input (Python's `number - tensor`).",
  example: "torch.rsub(torch.tensor([1, 2]), 5) // tensor([4., 3.])",
  overloads: [
    {
      schema: "rsub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
      forward: (self: Tensor, other: Tensor, alpha: number | boolean | Tensor) =>
        E.rsub(self, other, Number(scalarArg(alpha))),
    },
    {
      schema: "rsub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
      forward: (
        self: Tensor,
        other: number | boolean | Tensor,
        alpha: number | boolean | Tensor,
      ) => {
        const o = scalarArg(other);
        // other - alpha * self: sub's bool checks with other wrapped (a bool stays a bool)
        E.checkSubBool(typeof o === "boolean", self.dtype === bool);
        return E.rsub(self, Number(o), Number(scalarArg(alpha)));
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// atan2: the angle of the point (other, self), in the promoted float dtype.

/** atan2 and its alias arctan2: one forward and derivative (Atan2Backward0 for both). */
const ATAN2 = (name: "atan2" | "arctan2"): OverloadDecl => ({
  schema: `${name}(Tensor self, Tensor other) -> Tensor`,
  forward: (self: Tensor, other: Tensor) => {
    const dt = floatDtypeOf(resultType([self, other]));
    return E.binaryKernel(Binary.Atan2, self, other, dt, dt);
  },
  // d atan2(y, x) = (x dy - y dx) / (x² + y²)
  derivative: {
    name: "Atan2Backward0",
    save: ["self", "other"],
    grad: (g, s: { self: Tensor; other: Tensor }) => {
      const r = s.self.mul(s.self).add(s.other.mul(s.other)).reciprocal();
      return [g.mul(s.other).mul(r), g.mul(s.self.neg()).mul(r)];
    },
    jvp: (t, p) => {
      const num =
        t.self === null
          ? p.self.neg().mul(t.other!)
          : t.other === null
            ? p.other.mul(t.self)
            : p.other.mul(t.self).sub(p.self.mul(t.other));
      return num.div(p.self.pow(2).add(p.other.pow(2)));
    },
  } satisfies DerivativeDecl<"self" | "other">,
});

for (const name of ["atan2", "arctan2"] as const) {
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc:
      name === "atan2"
        ? "The elementwise angle, in radians, of the point (`other`, `input`): atan(input / other) in the correct quadrant (broadcasting; integers compute in the default float dtype)."
        : "Alias of atan2: the elementwise angle, in radians, of the point (`other`, `input`).",
    example: `torch.${name}(torch.tensor([1, -1]), torch.tensor([-1, -1])) // tensor([ 2.3562, -2.3562])`,
    overloads: [ATAN2(name)],
  });
}
