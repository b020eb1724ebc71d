/**
 * Elementwise math beyond elementwise.ts's core: the inverse trigonometric and hyperbolic
 * functions (with their NumPy-style arc* aliases), base-2 and base-10 logarithms and powers,
 * and the two-tensor functions hypot, logaddexp, logaddexp2, xlogy and copysign. One `defineOp`
 * per op (see ../define.ts); formulas from PyTorch's tools/autograd/derivatives.yaml.
 */
import { Tensor } from "../../tensor.js";
import * as E from "../../ops/elementwise.js";
import { Binary, Unary } from "../../backend/elementwise.js";
import { alloc, contiguousData, floatDtypeOf, scalarTypeName } from "../../ops/core.js";
import { full } from "../../ops/creation.js";
import { bool, float32, float64, resultType, type DType } from "../../dtype.js";
import * as F from "../../autograd/formula-ops.js";
import { notImplementedError, runtimeError } from "../../errors.js";
import { defineOp, deprecated, fn, type DerivativeDecl, type OverloadDecl } from "../define.js";
import { erfScalar, polygammaScalar, trigammaF32 } from "../../backend/special.js";
import { HALF_STEPWISE } from "../half-compute.js";
import { isclose } from "./comparison.js";
import { floatUnary, scalarArg } from "./elementwise.js";
import { linear } from "../linear-jvp.js";

const LN2 = Math.LN2; // PyTorch's M_LN2
const LN10 = Math.LN10;

// ---------------------------------------------------------------------------------------------
// Inverse trigonometric and hyperbolic functions. Each alias (arcsin = asin, ...) is its own
// entry sharing the kernel and the node (torch.arcsin records AsinBackward0).

/** [name, alias, kernel, node, f' in terms of x (derivatives.yaml), doc, example] */
const TRIG: [
  string,
  string | null,
  Unary,
  string,
  (g: Tensor, x: Tensor) => Tensor,
  string,
  string,
][] = [
  [
    "asin",
    "arcsin",
    Unary.Asin,
    "AsinBackward0",
    // d asin x = 1/sqrt(1 - x^2)
    (g, x) => g.mul(x.neg().mul(x).add(1).rsqrt()),
    "The arcsine of each element (radians; NaN outside [-1, 1]).",
    "torch.tensor([0, 1]).asin() // tensor([0.0000, 1.5708])",
  ],
  [
    "acos",
    "arccos",
    Unary.Acos,
    "AcosBackward0",
    // d acos x = -1/sqrt(1 - x^2)
    (g, x) => g.mul(x.neg().mul(x).add(1).rsqrt().neg()),
    "The arccosine of each element (radians; NaN outside [-1, 1]).",
    "torch.tensor([0, 1]).acos() // tensor([1.5708, 0.0000])",
  ],
  [
    "atan",
    "arctan",
    Unary.Atan,
    "AtanBackward0",
    // d atan x = 1/(1 + x^2)
    (g, x) => g.div(x.mul(x).add(1)),
    "The arctangent of each element (radians).",
    "torch.tensor([0, 1]).atan() // tensor([0.0000, 0.7854])",
  ],
  [
    "sinh",
    null,
    Unary.Sinh,
    "SinhBackward0",
    // d sinh x = cosh x
    (g, x) => g.mul(x.cosh()),
    "The hyperbolic sine of each element.",
    "torch.tensor([0, 1]).sinh() // tensor([0.0000, 1.1752])",
  ],
  [
    "cosh",
    null,
    Unary.Cosh,
    "CoshBackward0",
    // d cosh x = sinh x
    (g, x) => g.mul(x.sinh()),
    "The hyperbolic cosine of each element.",
    "torch.tensor([0, 1]).cosh() // tensor([1.0000, 1.5431])",
  ],
  [
    "asinh",
    "arcsinh",
    Unary.Asinh,
    "AsinhBackward0",
    // d asinh x = 1/sqrt(x^2 + 1)
    (g, x) => g.mul(x.pow(2).add(1).rsqrt()),
    "The inverse hyperbolic sine of each element.",
    "torch.tensor([0, 1]).asinh() // tensor([0.0000, 0.8814])",
  ],
  [
    "acosh",
    "arccosh",
    Unary.Acosh,
    "AcoshBackward0",
    // d acosh x = 1/sqrt(x^2 - 1)
    (g, x) => g.mul(x.pow(2).sub(1).rsqrt()),
    "The inverse hyperbolic cosine of each element (NaN below 1).",
    "torch.tensor([1, 2]).acosh() // tensor([0.0000, 1.3170])",
  ],
  [
    "atanh",
    "arctanh",
    Unary.Atanh,
    "AtanhBackward0",
    // d atanh x = 1/(1 - x^2)
    (g, x) => g.mul(x.pow(2).neg().add(1).reciprocal()),
    "The inverse hyperbolic tangent of each element (NaN outside [-1, 1], infinite at +-1).",
    "torch.tensor([0, 0.5]).atanh() // tensor([0.0000, 0.5493])",
  ],
];

for (const [name, alias, kernel, node, rule, doc, example] of TRIG) {
  // PyTorch 1.13 has no derivative for asinh_, acosh_, atanh_ (and their aliases' in-place forms)
  const inplaceNI =
    name.endsWith("h") && name.startsWith("a")
      ? { node: `${node.slice(0, -1)}1`, op: name }
      : undefined;
  floatUnary(name, kernel, node, "self", rule, doc, example, inplaceNI);
  if (alias !== null)
    floatUnary(
      alias,
      kernel,
      node,
      "self",
      rule,
      `Alias of ${name}. ${doc}`,
      example.replaceAll(name, alias),
      inplaceNI,
    );
}

// ---------------------------------------------------------------------------------------------
// Base-2 and base-10 logarithms, 2^x

// d log2 x = 1/(x ln 2)
floatUnary(
  "log2",
  Unary.Log2,
  "Log2Backward0",
  "self",
  (g, x) => g.div(x.mul(LN2)),
  "The base-2 logarithm of each element.",
  "torch.tensor([1, 8]).log2() // tensor([0., 3.])",
);
// d log10 x = 1/(x ln 10)
floatUnary(
  "log10",
  Unary.Log10,
  "Log10Backward0",
  "self",
  (g, x) => g.div(x.mul(LN10)),
  "The base-10 logarithm of each element.",
  "torch.tensor([1, 100]).log10() // tensor([0., 2.])",
);
// d 2^x = 2^x ln 2
floatUnary(
  "exp2",
  Unary.Exp2,
  "Exp2Backward0",
  "result",
  (g, r) => g.mul(r).mul(LN2),
  "2 raised to each element.",
  "torch.tensor([0, 3]).exp2() // tensor([1., 8.])",
);

// ---------------------------------------------------------------------------------------------
// Two-tensor functions

/** The promoted dtype of a binary op computed in floats: integers give the default float. */
function floatResult(self: Tensor, other: Tensor | number): DType {
  return floatDtypeOf(resultType([self, other]));
}

/**
 * The promoted dtype of a binary op whose CPU kernel dispatches on floating types only
 * (hypot, logaddexp): PyTorch refuses integer and bool results with the kernel's name.
 */
function floatOnlyResult(kernel: string, self: Tensor, other: Tensor): DType {
  const dt = resultType([self, other]);
  if (!dt.isFloatingPoint)
    throw runtimeError(`"${kernel}_cpu" not implemented for '${scalarTypeName(dt)}'`);
  return dt;
}

defineOp({
  name: "hypot",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "sqrt(input^2 + other^2) elementwise without intermediate overflow (broadcasting; floating dtypes only).",
  example: "torch.hypot(torch.tensor([3.0]), torch.tensor([4.0])) // tensor([5.])",
  overloads: [
    {
      schema: "hypot(Tensor self, Tensor other) -> Tensor",
      forward: (self: Tensor, other: Tensor) => {
        const dt = floatOnlyResult("hypot", self, other);
        return E.binaryKernel(Binary.Hypot, self, other, dt, dt);
      },
      // d hypot(x, y) = (x dx + y dy) / hypot(x, y)
      derivative: {
        name: "HypotBackward0",
        save: ["self", "other", "result"],
        grad: (g, s: { self: Tensor; other: Tensor; result: Tensor }) => [
          g.mul(s.self).div(s.result),
          g.mul(s.other).div(s.result),
        ],
        jvp: (t, p, result) => {
          const a = t.self === null ? null : t.self.mul(p.self);
          const b = t.other === null ? null : t.other.mul(p.other);
          return (a === null ? b! : b === null ? a : a.add(b)).div(result);
        },
      } satisfies DerivativeDecl<"self" | "other" | "result">,
    },
  ],
});

/**
 * logaddexp (base e) and logaddexp2 (base 2): log(b^x + b^y); the gradient of x is
 * 1 / (1 + b^(y - x)), of y symmetrically.
 */
for (const base2 of [false, true]) {
  const name = base2 ? "logaddexp2" : "logaddexp";
  // 2^d as e^(d ln 2): recorded, so second derivatives flow
  const pw = (d: Tensor): Tensor => (base2 ? d.mul(LN2).exp() : d.exp());
  const share = (x: Tensor, y: Tensor): Tensor => pw(y.sub(x)).add(1);
  defineOp({
    name,
    variants: ["function", "method"],
    out: true,
    doc: base2
      ? "log2(2^input + 2^other) elementwise, without overflow (broadcasting; floating dtypes only)."
      : "log(e^input + e^other) elementwise, without overflow (broadcasting; floating dtypes only).",
    example: base2
      ? "torch.logaddexp2(torch.tensor([1.0]), torch.tensor([1.0])) // tensor([2.])"
      : "torch.logaddexp(torch.tensor([0.0]), torch.tensor([0.0])) // tensor([0.6931])",
    overloads: [
      {
        schema: `${name}(Tensor self, Tensor other) -> Tensor`,
        forward: (self: Tensor, other: Tensor) => {
          const dt = floatOnlyResult(name, self, other);
          return E.binaryKernel(base2 ? Binary.LogAddExp2 : Binary.LogAddExp, self, other, dt, dt);
        },
        derivative: {
          name: base2 ? "Logaddexp2Backward0" : "LogaddexpBackward0",
          save: ["self", "other"],
          grad: (g, s: { self: Tensor; other: Tensor }) => [
            g.div(share(s.self, s.other)),
            g.div(share(s.other, s.self)),
          ],
          jvp: (t, p) => {
            const a = t.self === null ? null : t.self.div(share(p.self, p.other));
            const b = t.other === null ? null : t.other.div(share(p.other, p.self));
            return a === null ? b : b === null ? a : a.add(b);
          },
        } satisfies DerivativeDecl<"self" | "other">,
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// xlogy: x * log(y), 0 where x == 0 (NaN where y is NaN)

/** xlogy of two tensors in their promoted float dtype. */
function xlogyKernel(self: Tensor, other: Tensor | number): Tensor {
  const dt = floatResult(self, other);
  return E.binaryKernel(Binary.Xlogy, self, other, dt, dt);
}

/**
 * The gradient of x in xlogy(x, y): xlogy(g, y), 0 where x == 0 and y <= 0 (derivatives.yaml's
 * Note [Gradient formula for xlogy at x = 0, y <= 0]); through the recorded xlogy, so second
 * derivatives reach y.
 */
function xlogySelfGrad(g: Tensor, self: Tensor, other: Tensor | number): Tensor {
  const d = g.xlogy(other);
  if (typeof other === "number") return other > 0 ? d : d.maskedFill(self.eq(0), 0);
  return d.maskedFill(self.eq(0).logicalAnd(other.le(0)), 0);
}

const xlogyTensor: OverloadDecl = {
  schema: "xlogy.Tensor(Tensor self, Tensor other) -> Tensor",
  forward: xlogyKernel,
  // d xlogy(x, y) = log(y) dx + x/y dy
  derivative: {
    name: "XlogyBackward0",
    save: ["self", "other"],
    grad: (g, s: { self: Tensor; other: Tensor }, _a, n) => [
      n.needsInputGrad(0) ? xlogySelfGrad(g, s.self, s.other) : null,
      n.needsInputGrad(1) ? g.mul(s.self).div(s.other) : null,
    ],
    jvp: (t, p) => {
      const a = t.self === null ? null : xlogySelfGrad(t.self, p.self, p.other);
      const b = t.other === null ? null : t.other.mul(p.self).div(p.other);
      return a === null ? b : b === null ? a : a.add(b);
    },
  } satisfies DerivativeDecl<"self" | "other">,
};

const xlogyScalarSelf: OverloadDecl = {
  schema: "xlogy.Scalar_Self(Scalar self, Tensor other) -> Tensor",
  forward: (self: number | boolean | Tensor, other: Tensor) => {
    const x = Number(scalarArg(self));
    const dt = floatResult(other, x);
    return xlogyKernel(full([], x, { dtype: dt }), other);
  },
  // d xlogy(c, y) = c/y dy
  derivative: {
    name: "XlogyBackward1",
    save: ["other"],
    attrs: ["self"],
    grad: (g, s: { other: Tensor }, a: { self: number | boolean | Tensor }) => [
      g.mul(Number(scalarArg(a.self))).div(s.other),
    ],
    jvp: (t, p, _r, a: { self: number | boolean | Tensor }) =>
      t.other!.mul(Number(scalarArg(a.self))).div(p.other),
  },
};

const xlogyScalarOther: OverloadDecl = {
  schema: "xlogy.Scalar_Other(Tensor self, Scalar other) -> Tensor",
  forward: (self: Tensor, other: number | boolean | Tensor) =>
    xlogyKernel(self, Number(scalarArg(other))),
  // d xlogy(x, c) = log(c) dx (0 where x == 0 and c <= 0)
  derivative: {
    name: "XlogyBackward2",
    save: ["self"],
    attrs: ["other"],
    grad: (g, s: { self: Tensor }, a: { other: number | boolean | Tensor }) => [
      xlogySelfGrad(g, s.self, Number(scalarArg(a.other))),
    ],
    jvp: (t, p, _r, a: { other: number | boolean | Tensor }) =>
      xlogySelfGrad(t.self!, p.self, Number(scalarArg(a.other))),
  },
};

defineOp({
  name: "xlogy",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "input * log(other) elementwise, 0 where input is 0 (NaN where other is NaN); integers compute in the default float dtype.",
  example: "torch.xlogy(torch.tensor([0, 2]), torch.tensor([0, 4])) // tensor([0.0000, 2.7726])",
  overloads: [xlogyTensor, xlogyScalarSelf, xlogyScalarOther],
  methodOverloads: [xlogyTensor, xlogyScalarOther],
});

// ---------------------------------------------------------------------------------------------
// copysign: |input| with the sign of other

/** The gradient of x in copysign(x, y): g * copysign(x, y)/x, 0 where x == 0. */
function copysignSelfGrad(g: Tensor, self: Tensor, result: Tensor): Tensor {
  return g.mul(result.div(self).maskedFill(self.eq(0), 0));
}

defineOp({
  name: "copysign",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The magnitude of `input` with the sign of `other` (its sign bit: -0 counts as negative); integers compute in the default float dtype.",
  example: "torch.copysign(torch.tensor([1, 2]), -1) // tensor([-1., -2.])",
  overloads: [
    {
      schema: "copysign.Tensor(Tensor self, Tensor other) -> Tensor",
      forward: (self: Tensor, other: Tensor) => {
        const dt = floatResult(self, other);
        return E.binaryKernel(Binary.Copysign, self, other, dt, dt);
      },
      derivative: {
        name: "CopysignBackward0",
        save: ["self", "result"],
        grad: (g, s: { self: Tensor; result: Tensor }) => [
          copysignSelfGrad(g, s.self, s.result),
          F.zerosLike(g),
        ],
        jvp: (t, p, result) =>
          t.self === null ? F.zerosLike(result) : copysignSelfGrad(t.self, p.self, result),
      } satisfies DerivativeDecl<"self" | "result">,
    },
    {
      schema: "copysign.Scalar(Tensor self, Scalar other) -> Tensor",
      forward: (self: Tensor, other: number | boolean | Tensor) => {
        const y = Number(scalarArg(other));
        const dt = floatResult(self, y);
        return E.binaryKernel(Binary.Copysign, self, y, dt, dt);
      },
      derivative: {
        name: "CopysignBackward1",
        save: ["self", "result"],
        grad: (g, s: { self: Tensor; result: Tensor }) => [copysignSelfGrad(g, s.self, s.result)],
        jvp: (t, p, result) => copysignSelfGrad(t.self!, p.self, result),
      } satisfies DerivativeDecl<"self" | "result">,
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// Error functions, sinc

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const HALF_SQRT_PI = 0.5 * Math.sqrt(Math.PI);

// d erfc x = -2/sqrt(pi) e^(-x^2)
floatUnary(
  "erfc",
  Unary.Erfc,
  "ErfcBackward0",
  "self",
  (g, x) => x.pow(2).neg().exp().mul(-TWO_OVER_SQRT_PI).mul(g),
  "The complementary error function 1 - erf(x) of each element (accurate where erf(x) is near 1).",
  "torch.tensor([0, 1]).erfc() // tensor([1.0000, 0.1573])",
);
// d erfinv y = sqrt(pi)/2 e^(erfinv(y)^2)
floatUnary(
  "erfinv",
  Unary.Erfinv,
  "ErfinvBackward0",
  "self",
  (g, y) => y.erfinv().pow(2).exp().mul(HALF_SQRT_PI).mul(g),
  "The inverse error function of each element (NaN outside [-1, 1], infinite at +-1).",
  "torch.tensor([0, 0.5]).erfinv() // tensor([0.0000, 0.4769])",
);
// d sinc x = (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at x = 0 (PyTorch's sinc_backward)
floatUnary(
  "sinc",
  Unary.Sinc,
  "SincBackward0",
  "self",
  (g, x) => {
    const xPi = x.mul(Math.PI);
    const x2Pi = x.mul(x).mul(Math.PI);
    const out = g.mul(xPi.mul(xPi.cos()).sub(xPi.sin())).div(x2Pi);
    return F.where(x2Pi.eq(0), F.zerosLike(out), out);
  },
  "The normalized sinc sin(pi x) / (pi x) of each element (1 at 0).",
  "torch.tensor([0, 0.5]).sinc() // tensor([1.0000, 0.6366])",
);

// ---------------------------------------------------------------------------------------------
// Angle conversions: a multiplication by pi/180 or 180/pi in the float dtype, with their own
// nodes (Deg2RadBackward0 saves nothing: the gradient is g times the same constant).

for (const [name, factor, node] of [
  ["deg2rad", Math.PI / 180, "Deg2RadBackward0"],
  ["rad2deg", 180 / Math.PI, "Rad2DegBackward0"],
] as const) {
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc:
      name === "deg2rad"
        ? "Each element converted from degrees to radians (times pi/180); integers give the default float dtype."
        : "Each element converted from radians to degrees (times 180/pi); integers give the default float dtype.",
    example:
      name === "deg2rad"
        ? "torch.tensor([180, 90]).deg2rad() // tensor([3.1416, 1.5708])"
        : "torch.tensor([3.1416]).rad2deg() // tensor([180.0004])",
    overloads: [
      {
        schema: `${name}(Tensor self) -> Tensor`,
        forward: (self: Tensor) => {
          const dt = floatDtypeOf(self.dtype);
          return E.binaryKernel(Binary.Mul, self, factor, dt, dt);
        },
        derivative: {
          name: node,
          save: [],
          grad: (g) => [g.mul(factor)],
          jvp: (t) => t.self!.mul(factor),
        },
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// logit: log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given

/** PyTorch's logit kernel: with eps < 0 (None) 1 gives inf; otherwise clamp, then the log-odds. */
function logitForward(self: Tensor, eps: number | null): Tensor {
  const dt = floatDtypeOf(self.dtype);
  const x = self.dtype === dt ? self : E.castTensor(self, dt);
  const { data, offset } = contiguousData(x);
  const out = alloc(self.shape.slice(), dt);
  const o = out.typedArray;
  const n = o.length;
  // the bounds in the tensor's dtype, as the kernel's scalar_t lo and hi = 1 - lo
  const round = dt === float32 ? Math.fround : (v: number) => v;
  const e = eps ?? -1;
  const lo = round(e);
  const hi = round(1 - lo);
  for (let i = 0; i < n; i++) {
    let v = data[offset + i];
    if (e < 0) {
      o[i] = v === 1 ? Infinity : Math.log(v / (1 - v));
    } else {
      v = v < lo ? lo : v > hi ? hi : v;
      o[i] = Math.log(v / (1 - v));
    }
  }
  return out;
}

defineOp({
  name: "logit",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The log-odds log(x / (1 - x)) of each element; with `eps`, x is first clamped to [eps, 1 - eps] (the gradient is 0 outside).",
  example: "torch.tensor([0.25, 0.5]).logit() // tensor([-1.0986,  0.0000])",
  overloads: [
    {
      schema: "logit(Tensor self, float? eps=None) -> Tensor",
      forward: logitForward,
      // d logit x = 1/(x (1 - x)) inside [lo, hi]; outside 0 with eps, NaN without
      // (PyTorch's infinitely_differentiable_logit_backward)
      derivative: {
        name: "LogitBackward0",
        save: ["self"],
        attrs: ["eps"],
        grad: (g, s: { self: Tensor }, a: { eps: number | null }) => [logitGrad(g, s.self, a.eps)],
        jvp: (t, p, _r, a: { eps: number | null }) => logitGrad(t.self!, p.self, a.eps),
      } satisfies DerivativeDecl<"self", { eps: number | null }>,
    },
  ],
});

function logitGrad(g: Tensor, x: Tensor, eps: number | null): Tensor {
  const lo = eps ?? 0;
  const inside = x.ge(lo).logicalAnd(x.le(1 - lo));
  return F.where(inside, g.div(x.mul(x.neg().add(1))), eps === null ? NaN : 0);
}

// ---------------------------------------------------------------------------------------------
// Gamma-function family: lgamma' = digamma, digamma' = polygamma(1, .), polygamma(n)' =
// polygamma(n + 1) (src/backend/special.ts has the ports of PyTorch's Math.h algorithms)

// d lgamma x = digamma x
floatUnary(
  "lgamma",
  Unary.Lgamma,
  "LgammaBackward0",
  "self",
  (g, x) => g.mul(x.digamma()),
  "The natural logarithm of the absolute value of the gamma function of each element.",
  "torch.tensor([0.5, 3]).lgamma() // tensor([0.5724, 0.6931])",
);
// d digamma x = polygamma(1, x)
floatUnary(
  "digamma",
  Unary.Digamma,
  "DigammaBackward0",
  "self",
  (g, x) => g.mul(polygammaForward(1, x)),
  "The digamma function (the derivative of lgamma) of each element; -inf at 0, NaN at the negative integers.",
  "torch.tensor([1, 0.5]).digamma() // tensor([-0.5772, -1.9635])",
);

/** polygamma(n, x) in x's float dtype, without recording (the registry records). */
function polygammaKernel(n: number, self: Tensor): Tensor {
  if (n < 0) throw runtimeError("polygamma(n, x) does not support negative n.");
  const dt = floatDtypeOf(self.dtype);
  const x = self.dtype === dt ? self : E.castTensor(self, dt);
  const { data, offset } = contiguousData(x);
  const out = alloc(self.shape.slice(), dt);
  const o = out.typedArray;
  // float32 trigamma as PyTorch's float kernel computes it (Note in trigammaF32)
  const f = n === 1 && dt === float32 ? trigammaF32 : (v: number) => polygammaScalar(n, v);
  for (let i = 0; i < o.length; i++) o[i] = f(data[offset + i]);
  return out;
}

/** polygamma(n, x) through the registry (recorded: formulas differentiate it again). */
function polygammaForward(n: number, x: Tensor): Tensor {
  return polygammaOp.fn(n, x) as Tensor;
}

const polygammaDerivative = (name: string): DerivativeDecl<"self", { n: number }> => ({
  name,
  save: ["self"],
  attrs: ["n"],
  // d polygamma(n, x) = polygamma(n + 1, x)
  grad: (g, s: { self: Tensor }, a: { n: number }) => [g.mul(polygammaForward(a.n + 1, s.self))],
  jvp: (t, p, _r, a: { n: number }) => t.self!.mul(polygammaForward(a.n + 1, p.self)),
});

const polygammaOp = defineOp({
  name: "polygamma",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The n-th derivative of the digamma function at each element (n = 0 is digamma); integers compute in the default float dtype.",
  example: "torch.polygamma(1, torch.tensor([1, 2])) // tensor([1.6449, 0.6449])",
  overloads: [
    {
      schema: "polygamma(int n, Tensor self) -> Tensor",
      forward: polygammaKernel,
      derivative: polygammaDerivative("PolygammaBackward0"),
      inplace: { forward: polygammaKernel, derivative: polygammaDerivative("PolygammaBackward1") },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// Rounding toward zero and the fractional part; sgn (sign for real tensors)

/** A piecewise constant op: zero gradient and tangent. */
const constantDerivative = (name: string): DerivativeDecl => ({
  name,
  save: [],
  grad: (g) => [F.zerosLike(g)],
  jvp: (_t, _p, result) => F.zerosLike(result),
});

for (const name of ["trunc", "fix"]) {
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc:
      name === "trunc"
        ? "Each element rounded toward zero (integers unchanged)."
        : "Alias of trunc: each element rounded toward zero (integers unchanged).",
    example: `torch.tensor([1.5, -1.5]).${name}() // tensor([ 1., -1.])`,
    overloads: [
      {
        schema: `${name}(Tensor self) -> Tensor`,
        forward: (self: Tensor) => E.rounding(Unary.Trunc, "trunc", self),
        derivative: constantDerivative("TruncBackward0"),
      },
    ],
  });
}

defineOp({
  name: "frac",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The fractional part x - trunc(x) of each element (sign of x; floating dtypes only).",
  example: "torch.tensor([1.5, -1.25]).frac() // tensor([ 0.5000, -0.2500])",
  overloads: [
    {
      schema: "frac(Tensor self) -> Tensor",
      forward: (self: Tensor) => {
        if (!self.dtype.isFloatingPoint)
          throw runtimeError(`"frac_cpu" not implemented for '${scalarTypeName(self.dtype)}'`);
        // x - trunc(x) is exact in floating point
        const t = E.unaryKernel(Unary.Trunc, self, self.dtype);
        return E.binaryKernel(Binary.Sub, self, t, self.dtype, self.dtype);
      },
      // d frac x = 1
      derivative: {
        name: "FracBackward0",
        save: [],
        grad: (g) => [g],
        jvp: linear((t) => t.clone()),
      },
    },
  ],
});

defineOp({
  name: "sgn",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The sign of each element (sign for real tensors: -1, 0 or 1, 0 for NaN).",
  example: "torch.tensor([-2, 0, 3]).sgn() // tensor([-1.,  0.,  1.])",
  overloads: [
    {
      schema: "sgn(Tensor self) -> Tensor",
      forward: E.sign,
      derivative: constantDerivative("SgnBackward0"),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// addcmul, addcdiv: input + value * tensor1 * tensor2 (or / tensor2), in the promoted dtype of
// the three tensors; `value` is cast to that dtype first (an integer result truncates it).

/** The promoted dtype of addcmul/addcdiv and `value` cast to it (PyTorch's scalar_t(value)). */
function addcArgs(
  kernel: string,
  self: Tensor,
  t1: Tensor,
  t2: Tensor,
  value: number | boolean | Tensor,
): [DType, number] {
  const dt = resultType([self, t1, t2]);
  if (dt.name === "bool")
    throw runtimeError(`"${kernel}_cpu_out" not implemented for '${scalarTypeName(dt)}'`);
  const v = Number(scalarArg(value));
  return [dt, dt.isFloatingPoint ? v : Math.trunc(v)];
}

/** addcmul's tangent: self_t + value (tensor1_t tensor2 + tensor2_t tensor1). */
type AddcT = { self: Tensor | null; tensor1: Tensor | null; tensor2: Tensor | null };
type AddcP = { self: Tensor; tensor1: Tensor; tensor2: Tensor };
type AddcA = { value: number | boolean | Tensor };

/** The sum of the non-null terms (a zero tangent when all are null). */
function sumTerms(result: Tensor, terms: (Tensor | null)[]): Tensor {
  let acc: Tensor | null = null;
  for (const t of terms) if (t !== null) acc = acc === null ? t : acc.add(t);
  return acc ?? F.zerosLike(result);
}

/** addcmul's and addcdiv's forward: self + value * (tensor1 op tensor2) in the promoted dtype. */
function addcForward(
  name: "addcmul" | "addcdiv",
  self: Tensor,
  t1: Tensor,
  t2: Tensor,
  value: number | boolean | Tensor,
): Tensor {
  if (name === "addcdiv" && !t1.dtype.isFloatingPoint && !t2.dtype.isFloatingPoint)
    throw runtimeError(ADDCDIV_INT_MSG);
  const [dt, v] = addcArgs(name, self, t1, t2, value);
  const op = name === "addcmul" ? Binary.Mul : Binary.Div;
  const term = E.binaryKernel(Binary.Mul, E.binaryKernel(op, t1, t2, dt, dt), v, dt, dt);
  return E.binaryKernel(Binary.Add, self, term, dt, dt);
}

const ADDCDIV_INT_MSG =
  "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.";

const ADDC_DERIVATIVE: Record<
  "addcmul" | "addcdiv",
  DerivativeDecl<"self" | "tensor1" | "tensor2", AddcA>
> = {
  // d addcmul = dself + value (tensor2 dtensor1 + tensor1 dtensor2)
  addcmul: {
    name: "AddcmulBackward0",
    save: ["self", "tensor1", "tensor2"],
    attrs: ["value"],
    grad: (g, s: AddcP, a: AddcA, n) => {
      const v = Number(scalarArg(a.value));
      return [
        g,
        n.needsInputGrad(1) ? g.mul(s.tensor2.mul(v)) : null,
        n.needsInputGrad(2) ? g.mul(s.tensor1.mul(v)) : null,
      ];
    },
    jvp: (t: AddcT, p: AddcP, result, a: AddcA) => {
      const v = Number(scalarArg(a.value));
      return sumTerms(result, [
        t.self,
        t.tensor1 === null ? null : t.tensor1.mul(p.tensor2).mul(v),
        t.tensor2 === null ? null : t.tensor2.mul(p.tensor1).mul(v),
      ]);
    },
  },
  // d addcdiv = dself + value (dtensor1 / tensor2 - tensor1 dtensor2 / tensor2^2)
  addcdiv: {
    name: "AddcdivBackward0",
    save: ["self", "tensor1", "tensor2"],
    attrs: ["value"],
    grad: (g, s: AddcP, a: AddcA, n) => {
      const v = Number(scalarArg(a.value));
      return [
        g,
        n.needsInputGrad(1) ? g.mul(s.tensor2.reciprocal().mul(v)) : null,
        n.needsInputGrad(2) ? g.neg().mul(s.tensor1.mul(v).div(s.tensor2.mul(s.tensor2))) : null,
      ];
    },
    jvp: (t: AddcT, p: AddcP, result, a: AddcA) => {
      const v = Number(scalarArg(a.value));
      return sumTerms(result, [
        t.self,
        t.tensor1 === null ? null : t.tensor1.div(p.tensor2).mul(v),
        t.tensor2 === null ? null : t.tensor2.mul(p.tensor1).div(p.tensor2.mul(p.tensor2)).mul(-v),
      ]);
    },
  },
};

for (const name of ["addcmul", "addcdiv"] as const) {
  const mul = name === "addcmul";
  const entry = defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc: mul
      ? "input + value * tensor1 * tensor2 elementwise (broadcasting; `value` cast to the promoted dtype)."
      : "input + value * tensor1 / tensor2 elementwise (broadcasting; integer tensor1 and tensor2 are refused).",
    example: mul
      ? "torch.addcmul(torch.tensor([1.0]), torch.tensor([2.0]), torch.tensor([3.0]), { value: 0.5 }) // tensor([4.])"
      : "torch.addcdiv(torch.tensor([1.0]), torch.tensor([3.0]), torch.tensor([2.0]), { value: 2 }) // tensor([4.])",
    overloads: [
      {
        schema: `${name}(Tensor self, Tensor tensor1, Tensor tensor2, *, Scalar value=1) -> Tensor`,
        forward: (self: Tensor, t1: Tensor, t2: Tensor, value: number | boolean | Tensor) =>
          addcForward(name, self, t1, t2, value),
        derivative: ADDC_DERIVATIVE[name],
      },
      {
        // deprecated.yaml's positional value second: the same op, with PyTorch's warning
        schema: `${name}(Tensor self, Scalar value, Tensor tensor1, Tensor tensor2) -> Tensor`,
        hidden: true,
        forward: (self: Tensor, value: number | boolean | Tensor, t1: Tensor, t2: Tensor) => {
          deprecated(
            name,
            `${name}(Tensor input, Number value, Tensor tensor1, Tensor tensor2, *, Tensor out)`,
            `${name}(Tensor input, Tensor tensor1, Tensor tensor2, *, Number value, Tensor out)`,
          );
          return entry.vf(self, t1, t2, { value }) as Tensor;
        },
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// lerp: self + weight (end - self), all three tensors of one floating dtype

/** A dtype as C++'s TypeMeta names it in ATen's messages ("float", "long int"). */
function typeMetaName(d: DType): string {
  const names: Record<string, string> = {
    float32: "float",
    float64: "double",
    int64: "long int",
    int32: "int",
    uint8: "unsigned char",
    bool: "bool",
  };
  return names[d.name];
}

/**
 * ATen's lerp: self + w (end - self) where |w| < 0.5, else end - (end - self)(1 - w), each step
 * rounded in self's dtype (the second form is exact at w = 1).
 */
function lerpForward(self: Tensor, end: Tensor, weight: Tensor | number): Tensor {
  const dt = self.dtype;
  const tensorWeight = typeof weight !== "number";
  if (end.dtype !== dt)
    throw runtimeError(
      `expected dtype ${typeMetaName(dt)} for \`end\` but got dtype ${typeMetaName(end.dtype)}`,
    );
  if (tensorWeight && weight.dtype !== dt)
    throw runtimeError(
      `expected dtype ${typeMetaName(dt)} for \`weight\` but got dtype ${typeMetaName(weight.dtype)}`,
    );
  if (!dt.isFloatingPoint)
    throw runtimeError(
      `"lerp_kernel_${tensorWeight ? "tensor" : "scalar"}" not implemented for '${scalarTypeName(dt)}'`,
    );
  const diff = E.binaryKernel(Binary.Sub, end, self, dt, dt);
  if (!tensorWeight) {
    const w = dt === float32 ? Math.fround(weight) : weight;
    if (Math.abs(w) < 0.5)
      return E.binaryKernel(Binary.Add, self, E.binaryKernel(Binary.Mul, diff, w, dt, dt), dt, dt);
    const c = dt === float32 ? Math.fround(1 - w) : 1 - w;
    return E.binaryKernel(Binary.Sub, end, E.binaryKernel(Binary.Mul, diff, c, dt, dt), dt, dt);
  }
  const low = E.binaryKernel(Binary.Lt, E.abs(weight), 0.5, dt, bool);
  const near = E.binaryKernel(
    Binary.Add,
    self,
    E.binaryKernel(Binary.Mul, weight, diff, dt, dt),
    dt,
    dt,
  );
  const oneMinus = E.binaryKernel(Binary.Add, E.neg(weight), 1, dt, dt);
  const far = E.binaryKernel(
    Binary.Sub,
    end,
    E.binaryKernel(Binary.Mul, diff, oneMinus, dt, dt),
    dt,
    dt,
  );
  // the broadcast of all three: where() broadcasts the mask (weight's shape) with both forms
  return E.whereForward(low, near, far);
}

type LerpT = { self: Tensor | null; end: Tensor | null; weight?: Tensor | null };
type LerpP = { self: Tensor; end: Tensor; weight: Tensor };

defineOp({
  name: "lerp",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "Linear interpolation input + weight * (end - input) (broadcasting; input, end and a tensor weight share one floating dtype).",
  example:
    "torch.lerp(torch.tensor([0.0, 1.0]), torch.tensor([10.0, 3.0]), 0.5) // tensor([5., 2.])",
  overloads: [
    {
      schema: "lerp.Tensor(Tensor self, Tensor end, Tensor weight) -> Tensor",
      forward: (self: Tensor, end: Tensor, weight: Tensor) => lerpForward(self, end, weight),
      // d lerp = (1 - w) dself + w dend + (end - self) dw
      derivative: {
        name: "LerpBackward1",
        save: ["self", "end", "weight"],
        grad: (g, s: LerpP, _a, n) => [
          n.needsInputGrad(0) ? g.mul(s.weight.neg().add(1)) : null,
          n.needsInputGrad(1) ? g.mul(s.weight) : null,
          n.needsInputGrad(2) ? g.mul(s.end.sub(s.self)) : null,
        ],
        jvp: (t: LerpT, p: LerpP, result) =>
          sumTerms(result, [
            t.self === null ? null : t.self.mul(p.weight.neg().add(1)),
            t.end === null ? null : t.end.mul(p.weight),
            t.weight == null ? null : t.weight.mul(p.end.sub(p.self)),
          ]),
      } satisfies DerivativeDecl<"self" | "end" | "weight">,
    },
    {
      schema: "lerp.Scalar(Tensor self, Tensor end, Scalar weight) -> Tensor",
      forward: (self: Tensor, end: Tensor, weight: number | boolean | Tensor) =>
        lerpForward(self, end, Number(scalarArg(weight))),
      // d lerp = (1 - w) dself + w dend
      derivative: {
        name: "LerpBackward0",
        save: [],
        attrs: ["weight"],
        grad: (g, _s, a: { weight: number | boolean | Tensor }) => {
          const w = Number(scalarArg(a.weight));
          return [g.mul(1 - w), g.mul(w)];
        },
        jvp: (t: LerpT, _p, result, a: { weight: number | boolean | Tensor }) => {
          const w = Number(scalarArg(a.weight));
          return sumTerms(result, [
            t.self === null ? null : t.self.mul(1 - w),
            t.end === null ? null : t.end.mul(w),
          ]);
        },
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// fmod (C's fmod: the sign of the dividend) and remainder (Python's %: the sign of the divisor)

/** C's integer or floating fmod; an integer zero divisor raises as ATen's integer kernel. */
function fmodOf(isInt: boolean): (x: number, y: number) => number {
  return isInt
    ? (x, y) => {
        if (y === 0) throw runtimeError("ZeroDivisionError");
        return x % y;
      }
    : (x, y) => x % y;
}

/** Python's modulo: fmod, moved by the divisor when the signs differ. */
function remainderOf(isInt: boolean): (x: number, y: number) => number {
  return (x, y) => {
    if (isInt && y === 0) throw runtimeError("ZeroDivisionError");
    const r = x % y;
    return r !== 0 && r < 0 !== y < 0 ? r + y : r;
  };
}

/** fmod or remainder of x and y (a number: a wrapped scalar) in their promoted dtype. */
function modForward(name: "fmod" | "remainder", x: Tensor | number, y: Tensor | number): Tensor {
  const a = typeof x === "number" ? (y as Tensor) : x;
  const dt = resultType([x, y]);
  if (dt === bool) throw runtimeError(`"${name}_cpu" not implemented for '${scalarTypeName(dt)}'`);
  const isInt = !dt.isFloatingPoint;
  if (name === "remainder" && !isInt && typeof x !== "number")
    return E.binaryKernel(Binary.Remainder, x, y, dt, dt);
  const f = name === "fmod" ? fmodOf(isInt) : remainderOf(isInt);
  // a scalar dividend (remainder.Scalar_Tensor): the loop runs over the divisor
  return typeof x === "number"
    ? E.elementwise2(a, x, dt, dt, (yv, xv) => f(xv, yv))
    : E.elementwise2(a, y, dt, dt, f);
}

for (const name of ["fmod", "remainder"] as const) {
  const [mode, node] =
    name === "fmod" ? (["trunc", "Fmod"] as const) : (["floor", "Remainder"] as const);
  const tensorOverload: OverloadDecl = {
    schema: `${name}.Tensor(Tensor self, Tensor other) -> Tensor`,
    forward: (self: Tensor, other: Tensor) => modForward(name, self, other),
    // d (x - y q) with q = div(x, y, mode) piecewise constant: dx - q dy
    derivative: {
      name: `${node}Backward1`,
      save: ["self", "other"],
      grad: (g, s: { self: Tensor; other: Tensor }, _a, n) => [
        g,
        n.needsInputGrad(1) ? g.neg().mul(s.self.div(s.other, { roundingMode: mode })) : null,
      ],
      jvp: (t, p, result) =>
        sumTerms(result, [
          t.self,
          t.other === null ? null : t.other.mul(p.self.div(p.other, { roundingMode: mode })).neg(),
        ]),
    } satisfies DerivativeDecl<"self" | "other">,
  };
  const scalarOverload: OverloadDecl = {
    schema: `${name}.Scalar(Tensor self, Scalar other) -> Tensor`,
    forward: (self: Tensor, other: number | boolean | Tensor) =>
      modForward(name, self, Number(scalarArg(other))),
    derivative: {
      name: `${node}Backward0`,
      save: [],
      grad: (g) => [g],
      jvp: linear((t) => t.clone()),
    },
  };
  const scalarTensor: OverloadDecl = {
    schema: "remainder.Scalar_Tensor(Scalar self, Tensor other) -> Tensor",
    // no remainder.Scalar_Tensor_out, no in-place form
    out: false,
    inplace: false,
    forward: (self: number | boolean | Tensor, other: Tensor) =>
      modForward(name, Number(scalarArg(self)), other),
    // PyTorch 1.13 records no formula for this overload
    derivative: {
      name: "torch::autograd::NotImplemented",
      save: [],
      grad: () => {
        throw runtimeError("derivative for aten::remainder is not implemented");
      },
      jvp: () => {
        throw notImplementedError(
          "Trying to use forward AD with aten::remainder that does not support it.",
        );
      },
    },
  };
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc:
      name === "fmod"
        ? "C's fmod elementwise: input - trunc(input / other) * other, with the sign of input (broadcasting; an integer zero divisor raises)."
        : "Python's modulo elementwise: input - floor(input / other) * other, with the sign of other (broadcasting; an integer zero divisor raises).",
    example:
      name === "fmod"
        ? "torch.fmod(torch.tensor([-3, 3]), 2) // tensor([-1.,  1.])"
        : "torch.remainder(torch.tensor([-3, 3]), 2) // tensor([1., 1.])",
    overloads:
      name === "fmod"
        ? [tensorOverload, scalarOverload]
        : [tensorOverload, scalarTensor, scalarOverload],
    methodOverloads: [tensorOverload, scalarOverload],
  });
}

// ---------------------------------------------------------------------------------------------
// float_power: pow in float64 (PyTorch's composite: both operands cast to double, then pow,
// recording ToCopyBackward0 and PowBackward0/1/2 as PyTorch does)

/** A number or a tensor exponent in float64. */
function toDouble(v: Tensor | number | boolean): Tensor | number {
  return v instanceof Tensor ? v.to(float64) : Number(v);
}

/** float_power_: self must already be float64, the dtype of the result. */
function floatPowerInplace(self: Tensor, exponent: Tensor | number | boolean): Tensor {
  if (self.dtype !== float64)
    throw runtimeError(
      `the base given to float_power_ has dtype ${scalarTypeName(self.dtype)} but the operation's result requires dtype Double`,
    );
  return fn("pow")(self, toDouble(exponent)) as Tensor;
}

const floatPowerTT: OverloadDecl = {
  schema: "float_power.Tensor_Tensor(Tensor self, Tensor exponent) -> Tensor",
  forward: (self: Tensor, exponent: Tensor) => fn("pow")(self.to(float64), exponent.to(float64)),
  inplace: { forward: floatPowerInplace },
};
const floatPowerTS: OverloadDecl = {
  schema: "float_power.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor",
  forward: (self: Tensor, exponent: number | boolean | Tensor) =>
    fn("pow")(self.to(float64), Number(scalarArg(exponent))),
  inplace: { forward: floatPowerInplace },
};

defineOp({
  name: "float_power",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "input ** exponent computed in float64 (the result is float64 whatever the operands' dtypes).",
  example:
    "torch.floatPower(torch.tensor([2, 3]), -1) // tensor([0.5000, 0.3333], dtype=torch.float64)",
  overloads: [
    floatPowerTT,
    {
      schema: "float_power.Scalar(Scalar self, Tensor exponent) -> Tensor",
      forward: (self: number | boolean | Tensor, exponent: Tensor) =>
        fn("pow")(Number(scalarArg(self)), exponent.to(float64)),
      inplace: false,
    },
    floatPowerTS,
  ],
  methodOverloads: [floatPowerTT, floatPowerTS],
});

// ---------------------------------------------------------------------------------------------
// fmax, fmin: C's fmax/fmin elementwise (a NaN loses against a number; NaN only where both are)

for (const name of ["fmax", "fmin"] as const) {
  const isMax = name === "fmax";
  const pick = isMax ? Math.max : Math.min;
  /** Where self is chosen: self >= other (fmin: <=) or other is NaN (derivatives.yaml's mask). */
  const selfWins = (self: Tensor, other: Tensor): Tensor =>
    (isMax ? self.ge(other) : self.le(other)).logicalOr(other.isnan());
  defineOp({
    name,
    variants: ["function", "method"],
    out: true,
    doc: isMax
      ? "The elementwise maximum, ignoring NaN (NaN only where both are; broadcasting)."
      : "The elementwise minimum, ignoring NaN (NaN only where both are; broadcasting).",
    example: isMax
      ? "torch.fmax(torch.tensor([1, NaN]), torch.tensor([NaN, 2])) // tensor([1., 2.])"
      : "torch.fmin(torch.tensor([1, NaN]), torch.tensor([NaN, 2])) // tensor([1., 2.])",
    overloads: [
      {
        schema: `${name}(Tensor self, Tensor other) -> Tensor`,
        forward: (self: Tensor, other: Tensor) => {
          const dt = resultType([self, other]);
          return E.elementwise2(self, other, dt, dt, (x, y) =>
            x !== x ? y : y !== y ? x : pick(x, y),
          );
        },
        derivative: {
          name: isMax ? "FmaxBackward0" : "FminBackward0",
          save: ["self", "other"],
          grad: (g, s: { self: Tensor; other: Tensor }) => {
            const m = selfWins(s.self, s.other);
            return [g.maskedFill(m.logicalNot(), 0), g.maskedFill(m, 0)];
          },
          // other_t + mask (self_t - other_t)
          jvp: (t, p, result) => {
            const m = selfWins(p.self, p.other);
            const st = t.self ?? F.zerosLike(result);
            const ot = t.other ?? F.zerosLike(result);
            return F.where(m, st.expand(result.shape), ot.expand(result.shape));
          },
        } satisfies DerivativeDecl<"self" | "other">,
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// clip: PyTorch's alias of clamp (same forward, records ClampBackward0/1)

defineOp({
  name: "clip",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "Alias of clamp. Limits each element to [min, max]: bounds are numbers or tensors broadcast with the input.",
  example: "torch.tensor([-2, 0.5, 3]).clip(-1, 1) // tensor([-1.0000,  0.5000,  1.0000])",
  overloads: [
    {
      schema: "clip.Tensor(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor",
      forward: (self: Tensor, min: Tensor | null, max: Tensor | null) => E.clamp(self, min, max),
    },
    {
      schema: "clip(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor",
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

// ---------------------------------------------------------------------------------------------
// positive, and the bool predicates signbit, isposinf, isneginf, isreal (not differentiable)

defineOp({
  name: "positive",
  variants: ["function", "method"],
  doc: "The input itself (unary plus); bool tensors are refused.",
  example: "torch.positive(torch.tensor([-1, 2])) // tensor([-1.,  2.])",
  overloads: [
    {
      schema: "positive(Tensor(a) self) -> Tensor(a)",
      forward: (self: Tensor) => {
        if (self.dtype === bool)
          throw runtimeError("The `+` operator, on a bool tensor is not supported.");
        return self;
      },
    },
  ],
});

/** [name, predicate of one element (the sign bit of -0 counts: 1 / -0 is -inf), doc, example] */
const PREDICATES: [string, (x: number) => boolean, string, string][] = [
  [
    "signbit",
    (x) => x < 0 || (x === 0 && 1 / x < 0),
    "Whether each element's sign bit is set (true for -0; integers: x < 0).",
    "torch.signbit(torch.tensor([-1, 0, 2])) // tensor([ True, False, False])",
  ],
  [
    "isposinf",
    (x) => x === Infinity,
    "Whether each element is +inf.",
    "torch.isposinf(torch.tensor([-Infinity, 1, Infinity])) // tensor([False, False,  True])",
  ],
  [
    "isneginf",
    (x) => x === -Infinity,
    "Whether each element is -inf.",
    "torch.isneginf(torch.tensor([-Infinity, 1, Infinity])) // tensor([ True, False, False])",
  ],
];

for (const [name, pred, doc, example] of PREDICATES) {
  defineOp({
    name,
    variants: ["function", "method"],
    out: true,
    doc,
    example,
    overloads: [
      {
        schema: `${name}(Tensor self) -> Tensor`,
        forward: (self: Tensor) =>
          E.elementwise2(self, 0, self.dtype, bool, (x) => (pred(x) ? 1 : 0)),
      },
    ],
  });
}

defineOp({
  name: "isreal",
  variants: ["function", "method"],
  doc: "Whether each element is real: true everywhere for tensorgrad's real dtypes.",
  example: "torch.isreal(torch.tensor([1, 2])) // tensor([True, True])",
  overloads: [
    {
      schema: "isreal(Tensor self) -> Tensor",
      forward: (self: Tensor) => E.elementwise2(self, 0, self.dtype, bool, () => 1),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// nan_to_num: NaN, +inf, -inf replaced (defaults 0 and the dtype's largest finite values)

/** The largest finite value of a float dtype (torch.finfo(dtype).max). */
function finfoMax(dt: DType): number {
  return dt === float32 ? 3.4028234663852886e38 : Number.MAX_VALUE;
}

defineOp({
  name: "nan_to_num",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "NaN, +inf and -inf replaced by `nan` (default 0), `posinf` and `neginf` (default the dtype's largest and lowest finite values); integers are copied.",
  example:
    "torch.nanToNum(torch.tensor([NaN, Infinity, 1])) // tensor([0.0000e+00, 3.4028e+38, 1.0000e+00])",
  overloads: [
    {
      schema:
        "nan_to_num(Tensor self, float? nan=None, float? posinf=None, float? neginf=None) -> Tensor",
      forward: (self: Tensor, nan: number | null, posinf: number | null, neginf: number | null) => {
        const dt = self.dtype;
        if (!dt.isFloatingPoint) return E.elementwise2(self, 0, dt, dt, (x) => x);
        const n = nan ?? 0;
        const p = posinf ?? finfoMax(dt);
        const m = neginf ?? -finfoMax(dt);
        return E.elementwise2(self, 0, dt, dt, (x) =>
          x !== x ? n : x === Infinity ? p : x === -Infinity ? m : x,
        );
      },
      // d nan_to_num = dself where self is finite, else 0
      derivative: {
        name: "NanToNumBackward0",
        save: ["self"],
        grad: (g, s: { self: Tensor }) => [g.mul(s.self.isfinite())],
        jvp: (t, p) => t.self!.mul(p.self.isfinite()),
      } satisfies DerivativeDecl<"self">,
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// heaviside: 0 below zero, 1 above, `values` at zero (NaN gives 0: a > 0 is false)

defineOp({
  name: "heaviside",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The Heaviside step: 0 where input < 0, 1 where input > 0, `values` where input == 0 (input and values of one dtype).",
  example: "torch.heaviside(torch.tensor([-1, 0, 2]), torch.tensor(5)) // tensor([0., 5., 1.])",
  overloads: [
    {
      schema: "heaviside(Tensor self, Tensor values) -> Tensor",
      forward: (self: Tensor, values: Tensor) => {
        if (self.dtype !== values.dtype)
          throw runtimeError("heaviside is not yet implemented for tensors with different dtypes.");
        const dt = self.dtype;
        return E.elementwise2(self, values, dt, dt, (x, v) => (x === 0 ? v : x > 0 ? 1 : 0));
      },
      // PyTorch 1.13 has no formula for heaviside
      derivative: {
        name: "torch::autograd::NotImplemented",
        save: [],
        grad: () => {
          throw runtimeError("derivative for aten::heaviside is not implemented");
        },
        jvp: () => {
          throw notImplementedError(
            "Trying to use forward AD with aten::heaviside that does not support it.",
          );
        },
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// isclose: |input - other| <= atol + rtol |other| elementwise (comparison.ts's kernel, which
// allclose reduces)

defineOp({
  name: "isclose",
  variants: ["function", "method"],
  doc: "Whether each pair is close: equal, or |input - other| <= atol + rtol * |other| (NaNs equal with `equal_nan`; input and other of one dtype).",
  example:
    "torch.isclose(torch.tensor([1, 1.001]), torch.tensor([1, 1])) // tensor([ True, False])",
  overloads: [
    {
      schema:
        "isclose(Tensor self, Tensor other, float rtol=1e-05, float atol=1e-08, bool equal_nan=False) -> Tensor",
      forward: (self: Tensor, other: Tensor, rtol: number, atol: number, equalNan: boolean) =>
        isclose(self, other, rtol, atol, equalNan),
    },
  ],
});

// Note [half stepwise]: 1.13's bfloat16 kernels of these round every step to bfloat16:
// logit (eps None) log(x / (1 - x)); sinc sin(p) / p with p = pi x and pi itself in bfloat16;
// tanhshrink x - tanh x and special.ndtr 0.5 (1 + erf(x sqrt(1/2))), composites of
// bfloat16 ops
const BF16_STEPS: [string, (x: number, q: (v: number) => number) => number][] = [
  ["logit", (x, q) => (x === 1 ? Infinity : q(Math.log(q(x / q(1 - x)))))],
  [
    "sinc",
    (x, q) => {
      if (x === 0) return 1;
      const p = q(q(Math.PI) * x);
      return q(q(Math.sin(p)) / p);
    },
  ],
  ["tanhshrink", (x, q) => q(x - q(Math.tanh(x)))],
  ["special_ndtr", (x, q) => q(0.5 * q(1 + q(erfScalar(q(x * q(Math.SQRT1_2))))))],
];
for (const [name, f] of BF16_STEPS) {
  HALF_STEPWISE.set(name, f);
  HALF_STEPWISE.set(`${name}_`, f);
}
