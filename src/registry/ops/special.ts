/**
 * torch.special: every function of PyTorch 1.13's torch.special namespace. One `defineOp` per
 * op (see ../define.ts), schemas verbatim from native_functions.yaml's `special_*` entries.
 *
 * - Aliases (special_erf is at::erf, special_expit is at::sigmoid, special_gammainc is
 *   at::igamma, ...) call the torch op, which records its own node as in PyTorch
 *   (torch.special.erf(x).grad_fn is ErfBackward0); special_ndtr is PyTorch's composite
 *   (1 + erf(x / sqrt 2)) / 2.
 * - New primitives (erfcx, ndtri, log_ndtr, i0e, i1, i1e, entr, xlog1py, zeta) with
 *   derivatives.yaml's formulas; zeta's gradient is not implemented in 1.13.
 * - The Bessel functions and orthogonal polynomials added in 1.13 have no derivative: their
 *   results do not require grad, as PyTorch's.
 * The scalar math is in src/backend/special-fns.ts (and special.ts).
 */
import { Tensor } from "../../tensor.js";
import * as E from "../../ops/elementwise.js";
import { alloc, contiguousData, floatDtypeOf, scalarTypeName } from "../../ops/core.js";
import { float32, resultType, type DType } from "../../dtype.js";
import * as F from "../../autograd/formula-ops.js";
import { notImplementedError, runtimeError } from "../../errors.js";
import { noForwardGrad } from "../../autograd/forward-ad.js";
import { needsGrad, record } from "../../autograd/function.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { defineOp, fn, type DerivativeDecl, type OverloadDecl } from "../define.js";
import { zetaScalar } from "../../backend/special.js";
import * as S from "../../backend/special-fns.js";
import { scalarArg } from "./elementwise.js";
import { i1 as i1Recorded } from "./special-fns.js";

/** PyTorch's message for an op without forward-mode AD. */
function noForwardAd(op: string): Error {
  return notImplementedError(
    `Trying to use forward AD with ${op} that does not support it because it has not been implemented yet.\nPlease file an issue to PyTorch at https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that we can prioritize its implementation.\nNote that forward AD support for some operators require PyTorch to be built with TorchScript and for JIT to be enabled. If the environment var PYTORCH_JIT=0 is set or if the library is not built with TorchScript, some operators may no longer be used with forward AD.`,
  );
}

/** A kernel in the precision R (float32 tensors: PyTorch's float arithmetic). */
type Kernel1 = (v: number, R?: S.Round) => number;
type Kernel2 = (x: number, y: number, R?: S.Round) => number;

/** The rounding of a dtype's kernel: float32 rounds every operation, float64 none. */
const roundOf = (dt: DType): S.Round | undefined => (dt === float32 ? S.f32 : undefined);

/** f applied to each element of x in its float dtype (integers and bools: the default), new. */
function mapFloat(x: Tensor, f: Kernel1): Tensor {
  const dt = floatDtypeOf(x.dtype);
  const R = roundOf(dt);
  const src = x.dtype === dt ? x : E.castTensor(x, dt);
  const { data, offset } = contiguousData(src);
  const out = alloc(x.shape.slice(), dt);
  const o = out.typedArray;
  for (let i = 0; i < o.length; i++) o[i] = f(data[offset + i], R);
  return out;
}

type Num = number | boolean | Tensor;

/** f(a, b) elementwise in the float dtype a and b promote to (numbers as wrapped scalars). */
function binaryFloat(a: Tensor | Num, b: Tensor | Num, f: Kernel2): Tensor {
  if (a instanceof Tensor && b instanceof Tensor) {
    const dt = floatDtypeOf(resultType([a, b]));
    const R = roundOf(dt);
    return E.elementwise2(a, b, dt, dt, (x, y) => f(x, y, R));
  }
  if (a instanceof Tensor) {
    const y = Number(scalarArg(b));
    const dt = floatDtypeOf(resultType([a, y]));
    const R = roundOf(dt);
    return E.elementwise2(a, y, dt, dt, (x, yv) => f(x, yv, R));
  }
  const t = b as Tensor;
  const x = Number(scalarArg(a));
  const dt = floatDtypeOf(resultType([t, x]));
  const R = roundOf(dt);
  return E.elementwise2(t, x, dt, dt, (y, xv) => f(xv, y, R));
}

const call = (name: string, ...args: unknown[]): Tensor => fn(name)(...args) as Tensor;

// ---------------------------------------------------------------------------------------------
// aliases of torch ops (PyTorch's CompositeImplicitAutograd special_* functions call them)

/** special_<name>(Tensor self) -> Tensor calling torch.<target>. */
function unaryAlias(name: string, target: string, doc: string, example: string): void {
  defineOp({
    name,
    namespace: "special",
    variants: ["function"],
    out: true,
    doc,
    example,
    overloads: [
      {
        schema: `special_${name}(Tensor self) -> Tensor`,
        forward: (self: Tensor) => call(target, self),
      },
    ],
  });
}

unaryAlias(
  "erf",
  "erf",
  "The error function 2/sqrt(pi) * integral_0^x e^(-t^2) dt of each element (torch.erf).",
  "torch.special.erf(torch.tensor([0, 1])) // tensor([0.0000, 0.8427])",
);
unaryAlias(
  "erfc",
  "erfc",
  "The complementary error function 1 - erf(x) of each element (torch.erfc).",
  "torch.special.erfc(torch.tensor([0, 1])) // tensor([1.0000, 0.1573])",
);
unaryAlias(
  "erfinv",
  "erfinv",
  "The inverse error function of each element, on (-1, 1) (torch.erfinv).",
  "torch.special.erfinv(torch.tensor([0, 0.5])) // tensor([0.0000, 0.4769])",
);
unaryAlias(
  "expm1",
  "expm1",
  "e^x - 1 of each element, accurate near 0 (torch.expm1).",
  "torch.special.expm1(torch.tensor([0, 1])) // tensor([0.0000, 1.7183])",
);
unaryAlias(
  "exp2",
  "exp2",
  "2^x of each element (torch.exp2).",
  "torch.special.exp2(torch.tensor([0, 3])) // tensor([1., 8.])",
);
unaryAlias(
  "log1p",
  "log1p",
  "log(1 + x) of each element, accurate near 0 (torch.log1p).",
  "torch.special.log1p(torch.tensor([0, 1])) // tensor([0.0000, 0.6931])",
);
unaryAlias(
  "expit",
  "sigmoid",
  "The logistic sigmoid 1 / (1 + e^-x) of each element (torch.sigmoid).",
  "torch.special.expit(torch.tensor([0, 2])) // tensor([0.5000, 0.8808])",
);
unaryAlias(
  "sinc",
  "sinc",
  "The normalized sinc function sin(pi x) / (pi x) of each element, 1 at 0 (torch.sinc).",
  "torch.special.sinc(torch.tensor([0, 0.5])) // tensor([1.0000, 0.6366])",
);
unaryAlias(
  "digamma",
  "digamma",
  "The digamma function, the log-derivative of the gamma function, of each element (torch.digamma).",
  "torch.special.digamma(torch.tensor([1, 2])) // tensor([-0.5772,  0.4228])",
);
unaryAlias(
  "psi",
  "digamma",
  "The digamma function of each element (torch.special.digamma's other name).",
  "torch.special.psi(torch.tensor([1, 2])) // tensor([-0.5772,  0.4228])",
);
unaryAlias(
  "gammaln",
  "lgamma",
  "The log of the absolute value of the gamma function of each element (torch.lgamma).",
  "torch.special.gammaln(torch.tensor([0.5, 3])) // tensor([0.5724, 0.6931])",
);
unaryAlias(
  "i0",
  "i0",
  "The modified Bessel function of the first kind of order 0 of each element (torch.i0).",
  "torch.special.i0(torch.tensor([0, 1])) // tensor([1.0000, 1.2661])",
);

defineOp({
  name: "logit",
  namespace: "special",
  variants: ["function"],
  out: true,
  doc: "The log-odds log(x / (1 - x)) of each element, x clamped to [eps, 1 - eps] when `eps` is given (torch.logit).",
  example: "torch.special.logit(torch.tensor([0.25, 0.5])) // tensor([-1.0986,  0.0000])",
  overloads: [
    {
      schema: "special_logit(Tensor self, float? eps=None) -> Tensor",
      forward: (self: Tensor, eps: number | null) => call("logit", self, eps),
    },
  ],
});

defineOp({
  name: "round",
  namespace: "special",
  variants: ["function"],
  out: true,
  doc: "Rounds each element to the nearest integer (half to even), or to `decimals` decimal places (torch.round).",
  example:
    "torch.special.round(torch.tensor([0.5, 1.5, 2.567]), { decimals: 1 }) // tensor([0.5000, 1.5000, 2.6000])",
  overloads: [
    {
      schema: "special_round(Tensor self, *, int decimals=0) -> Tensor",
      // round.decimals with decimals = 0 runs the plain round kernel, whose dtype dispatch
      // refuses integers naming round_vml_cpu (torch.round(i) without decimals returns them)
      forward: (self: Tensor, decimals: number) => {
        if (decimals === 0 && !self.dtype.isFloatingPoint)
          throw runtimeError(`"round_vml_cpu" not implemented for '${scalarTypeName(self.dtype)}'`);
        return call("round", self, { decimals });
      },
    },
  ],
});

defineOp({
  name: "polygamma",
  namespace: "special",
  variants: ["function"],
  out: true,
  doc: "The n-th derivative of the digamma function of each element (torch.polygamma).",
  example: "torch.special.polygamma(1, torch.tensor([1, 2])) // tensor([1.6449, 0.6449])",
  overloads: [
    {
      schema: "special_polygamma(int n, Tensor self) -> Tensor",
      forward: (n: number, self: Tensor) => call("polygamma", n, self),
    },
  ],
});

defineOp({
  name: "multigammaln",
  namespace: "special",
  variants: ["function"],
  out: true,
  doc: "The log of the multivariate gamma function of dimension `p` of each element (torch.mvlgamma).",
  example: "torch.special.multigammaln(torch.tensor([2.5, 3]), 2) // tensor([0.8570, 1.5502])",
  overloads: [
    {
      schema: "special_multigammaln(Tensor self, int p) -> Tensor",
      forward: (self: Tensor, p: number) => call("mvlgamma", self, p),
    },
  ],
});

for (const upper of [false, true]) {
  const name = upper ? "gammaincc" : "gammainc";
  defineOp({
    name,
    namespace: "special",
    variants: ["function"],
    out: true,
    doc: upper
      ? "The regularized upper incomplete gamma function Q(input, other) elementwise (torch.igammac)."
      : "The regularized lower incomplete gamma function P(input, other) elementwise (torch.igamma).",
    example: upper
      ? "torch.special.gammaincc(torch.tensor([1.0, 2]), torch.tensor([1.0, 1])) // tensor([0.3679, 0.7358])"
      : "torch.special.gammainc(torch.tensor([1.0, 2]), torch.tensor([1.0, 1])) // tensor([0.6321, 0.2642])",
    overloads: [
      {
        schema: `special_${name}(Tensor self, Tensor other) -> Tensor`,
        forward: (self: Tensor, other: Tensor) => call(upper ? "igammac" : "igamma", self, other),
      },
    ],
  });
}

defineOp({
  name: "xlogy",
  namespace: "special",
  variants: ["function"],
  out: true,
  doc: "input * log(other) elementwise, 0 where input is 0 (torch.xlogy).",
  example:
    "torch.special.xlogy(torch.tensor([0, 2]), torch.tensor([0, 4])) // tensor([0.0000, 2.7726])",
  overloads: [
    {
      schema: "special_xlogy(Tensor self, Tensor other) -> Tensor",
      forward: (self: Tensor, other: Tensor) => call("xlogy", self, other),
    },
    {
      schema: "special_xlogy.self_scalar(Scalar self, Tensor other) -> Tensor",
      forward: (self: Num, other: Tensor) => call("xlogy", scalarArg(self), other),
    },
    {
      schema: "special_xlogy.other_scalar(Tensor self, Scalar other) -> Tensor",
      forward: (self: Tensor, other: Num) => call("xlogy", self, scalarArg(other)),
    },
  ],
});

defineOp({
  name: "logsumexp",
  namespace: "special",
  variants: ["function"],
  out: true,
  doc: "log(sum(exp(x))) over `dim`, computed stably (torch.logsumexp).",
  example: "torch.special.logsumexp(torch.tensor([0, 0]), 0) // tensor(0.6931)",
  overloads: [
    {
      schema: "special_logsumexp(Tensor self, int[1] dim, bool keepdim=False) -> Tensor",
      forward: (self: Tensor, dim: number[], keepdim: boolean) =>
        call("logsumexp", self, dim, keepdim),
    },
  ],
});

defineOp({
  name: "softmax",
  namespace: "special",
  variants: ["function"],
  doc: "exp(x) / sum(exp(x)) along `dim`, computed in `dtype` when given (torch.softmax).",
  example: "torch.special.softmax(torch.tensor([1., 2, 3]), 0) // tensor([0.0900, 0.2447, 0.6652])",
  overloads: [
    {
      schema: "special_softmax(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
      forward: (self: Tensor, dim: number, dtype: DType | null) =>
        call("softmax", self, dim, dtype),
    },
  ],
});

defineOp({
  name: "log_softmax",
  namespace: "special",
  variants: ["function"],
  doc: "x - logsumexp(x) along `dim`, computed in `dtype` when given (torch.logSoftmax).",
  example:
    "torch.special.logSoftmax(torch.tensor([1., 2, 3]), 0) // tensor([-2.4076, -1.4076, -0.4076])",
  overloads: [
    {
      schema: "special_log_softmax(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor",
      forward: (self: Tensor, dim: number, dtype: DType | null) =>
        call("logSoftmax", self, dim, dtype),
    },
  ],
});

/** t + s for a C++ Scalar s (add.Scalar: AddBackward1, where a Python number gives AddBackward0). */
function addScalar(t: Tensor, s: number): Tensor {
  const out = noForwardGrad(() => noGrad(() => t.add(s)));
  if (needsGrad(t)) record("add", out, [t, null], {}, { alpha: 1 }, "AddBackward1");
  return out;
}

// ndtr(x) = (1 + erf(x / sqrt 2)) / 2: PyTorch's composite (records MulBackward1 and its pieces)
defineOp({
  name: "ndtr",
  namespace: "special",
  variants: ["function"],
  out: true,
  doc: "The standard normal cumulative distribution function (1 + erf(x / sqrt(2))) / 2 of each element.",
  example: "torch.special.ndtr(torch.tensor([0, 1])) // tensor([0.5000, 0.8413])",
  overloads: [
    {
      schema: "special_ndtr(Tensor self) -> Tensor",
      forward: (self: Tensor) =>
        F.mulScalar(addScalar(call("erf", F.mulScalar(self, Math.SQRT1_2)), 1), 0.5),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// new primitives with derivatives.yaml's formulas

/** A unary special function with a derivative; the JVP is the formula applied to the tangent. */
function unaryPrimitive(
  name: string,
  scalar: Kernel1,
  node: string,
  uses: "self" | "result" | "both",
  rule: (g: Tensor, x: Tensor, result: Tensor) => Tensor,
  doc: string,
  example: string,
): void {
  const save = uses === "both" ? ["self", "result"] : [uses];
  defineOp({
    name,
    namespace: "special",
    variants: ["function"],
    out: true,
    doc,
    example,
    overloads: [
      {
        schema: `special_${name}(Tensor self) -> Tensor`,
        forward: (self: Tensor) => mapFloat(self, scalar),
        derivative: {
          name: node,
          save,
          grad: (g: Tensor, s: Record<string, Tensor>) => [rule(g, s.self, s.result)],
          jvp: (t, p, result) => rule(t.self as Tensor, p.self, result),
        } as DerivativeDecl<string>,
      },
    ],
  });
}

// d erfcx(x) = 2 x erfcx(x) - 2/sqrt(pi)
unaryPrimitive(
  "erfcx",
  S.erfcxScalar,
  "SpecialErfcxBackward0",
  "both",
  (g, x, r) =>
    x
      .mul(2)
      .mul(r)
      .sub(2 / Math.sqrt(Math.PI))
      .mul(g),
  "The scaled complementary error function erfcx(x) = e^(x^2) erfc(x) of each element (no overflow for large x).",
  "torch.special.erfcx(torch.tensor([0, 1, 30])) // tensor([1.0000, 0.4276, 0.0188])",
);

// d ndtri(y) = sqrt(2 pi) e^(ndtri(y)^2 / 2)
unaryPrimitive(
  "ndtri",
  S.ndtriScalar,
  "SpecialNdtriBackward0",
  "result",
  (g, _x, r) => g.mul(Math.sqrt(2 * Math.PI)).mul(r.square().div(2).exp()),
  "The standard normal quantile function, the inverse of ndtr, of each element (-inf at 0, inf at 1).",
  "torch.special.ndtri(torch.tensor([0.5, 0.975])) // tensor([0.0000, 1.9600])",
);

// d log ndtr(x) = e^(-x^2/2) / (sqrt(2 pi) ndtr(x)) = e^-(result + x^2/2) / sqrt(2 pi)
unaryPrimitive(
  "log_ndtr",
  S.logNdtrScalar,
  "SpecialLogNdtrBackward0",
  "both",
  (g, x, r) => g.div(Math.sqrt(2 * Math.PI)).mul(r.add(x.pow(2).div(2)).neg().exp()),
  "The log of the standard normal cumulative distribution function of each element, accurate in the lower tail.",
  "torch.special.logNdtr(torch.tensor([0, -10])) // tensor([ -0.6931, -53.2313])",
);

// d i0e(x) = i1e(x) - sgn(x) i0e(x)
unaryPrimitive(
  "i0e",
  S.i0eScalar,
  "SpecialI0EBackward0",
  "both",
  (g, x, r) => g.mul(fn("i1e", "special")(x) as Tensor).sub(g.mul(x.sgn().mul(r))),
  "The exponentially scaled modified Bessel function of the first kind of order 0, e^-|x| I0(x), of each element.",
  "torch.special.i0e(torch.tensor([0, 1])) // tensor([1.0000, 0.4658])",
);

/**
 * PyTorch's i1e_backward: i1e'(x) = i0e(x) - i1e(x) (sgn(x) + 1/x), 1/2 where |x| <= eps
 * (0/0 otherwise).
 */
function i1eGrad(g: Tensor, x: Tensor, result: Tensor): Tensor {
  const eps = x.dtype === float32 ? 1.1920928955078125e-7 : Number.EPSILON;
  const notTiny = x.abs().gt(eps);
  const safe = F.where(notTiny, x, eps);
  const dx = (fn("i0e", "special")(safe) as Tensor).sub(
    result.mul(safe.sgn().add(safe.reciprocal())),
  );
  return g.mul(F.where(notTiny, dx, 0.5));
}

unaryPrimitive(
  "i1e",
  S.i1eScalar,
  "SpecialI1EBackward0",
  "both",
  i1eGrad,
  "The exponentially scaled modified Bessel function of the first kind of order 1, e^-|x| I1(x), of each element.",
  "torch.special.i1e(torch.tensor([0, 1])) // tensor([0.0000, 0.2079])",
);

// d entr(x) = -(1 + log x)
unaryPrimitive(
  "entr",
  S.entrScalar,
  "SpecialEntrBackward0",
  "self",
  (g, x) => g.mul(x.log().add(1).neg()),
  "The elementwise entropy -x log(x) (0 at 0, -inf for negative x).",
  "torch.special.entr(torch.tensor([0, 0.5, 1])) // tensor([0.0000, 0.3466, -0.0000])",
);

defineOp({
  name: "i1",
  namespace: "special",
  variants: ["function"],
  out: true,
  doc: "The modified Bessel function of the first kind of order 1 of each element.",
  example: "torch.special.i1(torch.tensor([0, 1])) // tensor([0.0000, 0.5652])",
  overloads: [
    {
      schema: "special_i1(Tensor self) -> Tensor",
      // the recording primitive torch.i0's gradient uses (SpecialI1Backward0)
      forward: (self: Tensor) => i1Recorded(self),
    },
  ],
});

// xlog1py(x, y) = x log1p(y): d/dx = log1p(y) (0 where x == 0 and y <= -1), d/dy = x / (1 + y)
const xlog1py = (a: Tensor | Num, b: Tensor | Num): Tensor => binaryFloat(a, b, S.xlog1pyScalar);

/** xlog1py(g, y), 0 where x == 0 and y <= -1 (derivatives.yaml's masked_fill). */
function xlog1pySelfGrad(g: Tensor, x: Tensor, y: Tensor | number): Tensor {
  const d = fn("xlog1py", "special")(g, y) as Tensor;
  if (typeof y === "number") return y > -1 ? d : d.maskedFill(x.eq(0), 0);
  return d.maskedFill(x.eq(0).logicalAnd(y.le(-1)), 0);
}

const plus = (a: Tensor | null, b: Tensor | null): Tensor | null =>
  a === null ? b : b === null ? a : a.add(b);

defineOp({
  name: "xlog1py",
  namespace: "special",
  variants: ["function"],
  out: true,
  doc: "input * log1p(other) elementwise, 0 where input is 0 (NaN where other is NaN).",
  example:
    "torch.special.xlog1py(torch.tensor([0, 2]), torch.tensor([-1, 1])) // tensor([0.0000, 1.3863])",
  overloads: [
    {
      schema: "special_xlog1py(Tensor self, Tensor other) -> Tensor",
      forward: (self: Tensor, other: Tensor) => xlog1py(self, other),
      derivative: {
        name: "SpecialXlog1PyBackward0",
        save: ["self", "other"],
        grad: (g, s: { self: Tensor; other: Tensor }, _a, n) => [
          n.needsInputGrad(0) ? xlog1pySelfGrad(g, s.self, s.other) : null,
          n.needsInputGrad(1) ? g.mul(s.self).div(s.other.add(1)) : null,
        ],
        jvp: (t, p) =>
          plus(
            t.self === null ? null : xlog1pySelfGrad(t.self, p.self, p.other),
            t.other === null ? null : t.other.mul(p.self).div(p.other.add(1)),
          ),
      } satisfies DerivativeDecl<"self" | "other">,
    },
    {
      schema: "special_xlog1py.self_scalar(Scalar self, Tensor other) -> Tensor",
      forward: (self: Num, other: Tensor) => xlog1py(self, other),
      derivative: {
        name: "SpecialXlog1PyBackward1",
        save: ["other"],
        attrs: ["self"],
        grad: (g, s: { other: Tensor }, a: { self: Num }) => [
          g.mul(Number(scalarArg(a.self))).div(s.other.add(1)),
        ],
        jvp: (t, p, _r, a: { self: Num }) =>
          t.other!.mul(Number(scalarArg(a.self))).div(p.other.add(1)),
      },
    },
    {
      schema: "special_xlog1py.other_scalar(Tensor self, Scalar other) -> Tensor",
      forward: (self: Tensor, other: Num) => xlog1py(self, other),
      derivative: {
        name: "SpecialXlog1PyBackward2",
        save: ["self"],
        attrs: ["other"],
        grad: (g, s: { self: Tensor }, a: { other: Num }) => [
          xlog1pySelfGrad(g, s.self, Number(scalarArg(a.other))),
        ],
        jvp: (t, p, _r, a: { other: Num }) =>
          xlog1pySelfGrad(t.self!, p.self, Number(scalarArg(a.other))),
      },
    },
  ],
});

/** zeta's derivative: not implemented in PyTorch 1.13 (either argument, either mode). */
function zetaDerivative(node: string): DerivativeDecl {
  return {
    name: node,
    save: [],
    grad: () => {
      throw notImplementedError("the derivative for 'zeta' is not implemented.");
    },
    jvp: () => {
      throw noForwardAd("special_zeta");
    },
  };
}

defineOp({
  name: "zeta",
  namespace: "special",
  variants: ["function"],
  out: true,
  doc: "The Hurwitz zeta function sum_k (k + other)^-input elementwise (the Riemann zeta function at other = 1).",
  example: "torch.special.zeta(torch.tensor([2, 4]), 1) // tensor([1.6449, 1.0823])",
  overloads: [
    {
      schema: "special_zeta(Tensor self, Tensor other) -> Tensor",
      forward: (self: Tensor, other: Tensor) => binaryFloat(self, other, zetaScalar),
      derivative: zetaDerivative("SpecialZetaBackward0"),
    },
    {
      schema: "special_zeta.self_scalar(Scalar self, Tensor other) -> Tensor",
      forward: (self: Num, other: Tensor) => binaryFloat(self, other, zetaScalar),
      derivative: zetaDerivative("SpecialZetaBackward1"),
    },
    {
      schema: "special_zeta.other_scalar(Tensor self, Scalar other) -> Tensor",
      forward: (self: Tensor, other: Num) => binaryFloat(self, other, zetaScalar),
      derivative: zetaDerivative("SpecialZetaBackward2"),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// Bessel functions without derivatives (PyTorch 1.13 defines none: results do not require grad)

function besselOp(
  name: string,
  arg: "self" | "x",
  scalar: Kernel1,
  doc: string,
  example: string,
): void {
  defineOp({
    name,
    namespace: "special",
    variants: ["function"],
    out: true,
    doc,
    example,
    overloads: [
      {
        schema: `special_${name}(Tensor ${arg}) -> Tensor`,
        forward: (x: Tensor) => mapFloat(x, scalar),
      },
    ],
  });
}

besselOp(
  "bessel_j0",
  "self",
  S.besselJ0Scalar,
  "The Bessel function of the first kind of order 0, J0, of each element.",
  "torch.special.besselJ0(torch.tensor([0, 1])) // tensor([1.0000, 0.7652])",
);
besselOp(
  "bessel_j1",
  "self",
  S.besselJ1Scalar,
  "The Bessel function of the first kind of order 1, J1, of each element.",
  "torch.special.besselJ1(torch.tensor([0, 1])) // tensor([0.0000, 0.4401])",
);
besselOp(
  "bessel_y0",
  "self",
  S.besselY0Scalar,
  "The Bessel function of the second kind of order 0, Y0, of each element (-inf at 0, NaN below).",
  "torch.special.besselY0(torch.tensor([1, 2])) // tensor([0.0883, 0.5104])",
);
besselOp(
  "bessel_y1",
  "self",
  S.besselY1Scalar,
  "The Bessel function of the second kind of order 1, Y1, of each element (-inf at 0, NaN below).",
  "torch.special.besselY1(torch.tensor([1, 2])) // tensor([-0.7812, -0.1070])",
);
besselOp(
  "modified_bessel_i0",
  "self",
  S.modifiedI0Scalar,
  "The modified Bessel function of the first kind of order 0, I0, of each element.",
  "torch.special.modifiedBesselI0(torch.tensor([0, 1])) // tensor([1.0000, 1.2661])",
);
besselOp(
  "modified_bessel_i1",
  "self",
  S.modifiedI1Scalar,
  "The modified Bessel function of the first kind of order 1, I1, of each element.",
  "torch.special.modifiedBesselI1(torch.tensor([0, 1])) // tensor([0.0000, 0.5652])",
);
besselOp(
  "modified_bessel_k0",
  "self",
  S.besselK0Scalar,
  "The modified Bessel function of the second kind of order 0, K0, of each element (inf at 0, NaN below).",
  "torch.special.modifiedBesselK0(torch.tensor([1, 2])) // tensor([0.4210, 0.1139])",
);
besselOp(
  "modified_bessel_k1",
  "self",
  S.besselK1Scalar,
  "The modified Bessel function of the second kind of order 1, K1, of each element (inf at 0, NaN below).",
  "torch.special.modifiedBesselK1(torch.tensor([1, 2])) // tensor([0.6019, 0.1399])",
);
besselOp(
  "scaled_modified_bessel_k0",
  "x",
  S.scaledK0Scalar,
  "The exponentially scaled modified Bessel function of the second kind of order 0, e^x K0(x), of each element.",
  "torch.special.scaledModifiedBesselK0(torch.tensor([1, 2])) // tensor([1.1445, 0.8416])",
);
besselOp(
  "scaled_modified_bessel_k1",
  "x",
  S.scaledK1Scalar,
  "The exponentially scaled modified Bessel function of the second kind of order 1, e^x K1(x), of each element.",
  "torch.special.scaledModifiedBesselK1(torch.tensor([1, 2])) // tensor([1.6362, 1.0335])",
);
besselOp(
  "airy_ai",
  "x",
  S.airyAiScalar,
  "The Airy function Ai(x) of each element, the solution of y'' = x y decaying for large x.",
  "torch.special.airyAi(torch.tensor([0, 1])) // tensor([0.3550, 0.1353])",
);
besselOp(
  "spherical_bessel_j0",
  "x",
  S.sphericalJ0Scalar,
  "The spherical Bessel function of the first kind of order 0, sin(x)/x, of each element.",
  "torch.special.sphericalBesselJ0(torch.tensor([0, 1])) // tensor([1.0000, 0.8415])",
);

// ---------------------------------------------------------------------------------------------
// orthogonal polynomials P_n(x): x and n broadcast, either may be a number; n is truncated to
// an integer; no derivatives

function polynomialOp(
  name: string,
  kernel: (dt: DType) => S.PolyKernel,
  doc: string,
  example: string,
): void {
  const forward = (x: Tensor | Num, n: Tensor | Num): Tensor => {
    const dt =
      x instanceof Tensor && n instanceof Tensor
        ? floatDtypeOf(resultType([x, n]))
        : x instanceof Tensor
          ? floatDtypeOf(resultType([x, Number(scalarArg(n))]))
          : floatDtypeOf(resultType([n as Tensor, Number(scalarArg(x))]));
    const k = kernel(dt);
    return binaryFloat(x, n, (a, b, R) => k(a, b, R ?? S.exact));
  };
  const overloads: OverloadDecl[] = [
    { schema: `special_${name}(Tensor x, Tensor n) -> Tensor`, forward },
    { schema: `special_${name}.x_scalar(Scalar x, Tensor n) -> Tensor`, forward },
    { schema: `special_${name}.n_scalar(Tensor x, Scalar n) -> Tensor`, forward },
  ];
  defineOp({
    name,
    namespace: "special",
    variants: ["function"],
    out: true,
    doc,
    example,
    overloads,
  });
}

const same = (f: S.PolyKernel) => (): S.PolyKernel => f;
// PyTorch's getHermitianLimit: NaN above degree 128 in float32, 512 in float64
const hermiteLimit = (dt: DType): number => (dt === float32 ? 128 : 512);

polynomialOp(
  "chebyshev_polynomial_t",
  same(S.chebyshevT),
  "The Chebyshev polynomial of the first kind T_n(x), elementwise over x and the degree n.",
  "torch.special.chebyshevPolynomialT(torch.tensor([0.5, 2]), 3) // tensor([-1., 26.])",
);
polynomialOp(
  "chebyshev_polynomial_u",
  same(S.chebyshevU),
  "The Chebyshev polynomial of the second kind U_n(x), elementwise over x and the degree n.",
  "torch.special.chebyshevPolynomialU(torch.tensor([0.5, 2]), 3) // tensor([-1., 56.])",
);
polynomialOp(
  "chebyshev_polynomial_v",
  same(S.chebyshevV),
  "The Chebyshev polynomial of the third kind V_n(x), elementwise over x and the degree n.",
  "torch.special.chebyshevPolynomialV(torch.tensor([0.5, 2]), 3) // tensor([-1., 41.])",
);
polynomialOp(
  "chebyshev_polynomial_w",
  same(S.chebyshevW),
  "The Chebyshev polynomial of the fourth kind W_n(x), elementwise over x and the degree n.",
  "torch.special.chebyshevPolynomialW(torch.tensor([0.5, 2]), 3) // tensor([-1., 71.])",
);
/** what each shifted polynomial's example prints */
const SHIFTED_EXAMPLE = {
  t: "tensor([-0.5000,  1.0000])",
  u: "tensor([0., 3.])",
  v: "tensor([1., 1.])",
  w: "tensor([-1.,  5.])",
};
for (const kind of ["t", "u", "v", "w"] as const) {
  polynomialOp(
    `shifted_chebyshev_polynomial_${kind}`,
    same(S.shiftedChebyshev(kind)),
    `The shifted Chebyshev polynomial of the ${{ t: "first", u: "second", v: "third", w: "fourth" }[kind]} kind, ${kind.toUpperCase()}_n(2x - 1), elementwise over x and the degree n.`,
    `torch.special.shiftedChebyshevPolynomial${kind.toUpperCase()}(torch.tensor([0.25, 1]), 2) // ${SHIFTED_EXAMPLE[kind]}`,
  );
}
polynomialOp(
  "hermite_polynomial_h",
  (dt) => S.hermiteH(hermiteLimit(dt)),
  "The physicists' Hermite polynomial H_n(x), elementwise over x and the degree n.",
  "torch.special.hermitePolynomialH(torch.tensor([0.5, 1]), 3) // tensor([-5., -4.])",
);
polynomialOp(
  "hermite_polynomial_he",
  (dt) => S.hermiteHe(hermiteLimit(dt)),
  "The probabilists' Hermite polynomial He_n(x), elementwise over x and the degree n.",
  "torch.special.hermitePolynomialHe(torch.tensor([0.5, 1]), 3) // tensor([-1.3750, -2.0000])",
);
polynomialOp(
  "laguerre_polynomial_l",
  same(S.laguerreL),
  "The Laguerre polynomial L_n(x), elementwise over x and the degree n.",
  "torch.special.laguerrePolynomialL(torch.tensor([1, 2]), 2) // tensor([-0.5000, -1.0000])",
);
polynomialOp(
  "legendre_polynomial_p",
  same(S.legendreP),
  "The Legendre polynomial P_n(x), elementwise over x and the degree n.",
  "torch.special.legendrePolynomialP(torch.tensor([0.5, 1]), 2) // tensor([-0.1250,  1.0000])",
);
