/**
 * Elementwise ops: arithmetic, unary math. One `defineOp` per op (see ../define.ts).
 */
import type { Tensor } from "../../tensor.js";
import * as E from "../../ops/elementwise.js";
import { Unary } from "../../backend/elementwise.js";
import { floatDtypeOf } from "../../ops/core.js";
import { defineOp, deprecated } from "../define.js";

defineOp({
  name: "add",
  variants: ["function", "method", "inplace"],
  numbersAsTensors: true,
  out: true,
  doc: "Adds `other`, scaled by `alpha`, to `input`: out = input + alpha * other (broadcasting).",
  example: "torch.tensor([1, 2]).add(torch.tensor([3, 4]), { alpha: 2 }) // tensor([7., 10.])",
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

// ---------------------------------------------------------------------------------------------
// Float-valued unary math: integer inputs compute in the default float dtype.

/** The derivative of a unary op: its formula as a function of the saved value and g. */
type UnaryRule = (g: Tensor, saved: Tensor) => Tensor;

/**
 * A float-valued unary op f with f'(x) expressed through x (`uses: "self"`) or through f(x)
 * (`uses: "result"`): the backward is g * f'(·) and the JVP the same rule applied to the
 * tangent (a unary op is its own linearisation at the point).
 */
function floatUnary(
  name: string,
  kernel: Unary,
  node: string,
  uses: "self" | "result",
  rule: UnaryRule,
  doc: string,
  example: string,
): void {
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc,
    example,
    overloads: [
      {
        schema: `${name}(Tensor self) -> Tensor`,
        forward: (self: Tensor) => E.unaryKernel(kernel, self, floatDtypeOf(self.dtype)),
        derivative: {
          name: node,
          save: [uses],
          grad: (g: Tensor, s: Record<string, Tensor>) => [rule(g, s[uses])],
          jvp: (t, p, result) => rule(t.self as Tensor, uses === "self" ? p.self : result),
        },
      },
    ],
  });
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
