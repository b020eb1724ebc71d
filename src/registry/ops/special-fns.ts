/**
 * Special functions and floating-point decomposition: i0, mvlgamma, the regularized incomplete
 * gamma functions igamma and igammac, frexp, ldexp and nextafter. One `defineOp` per op (see
 * ../define.ts); the scalar math is in src/backend/special.ts (ports of PyTorch's Math.h);
 * formulas from PyTorch's tools/autograd/derivatives.yaml.
 */
import { namedTuple } from "../../named-tuple.js";
import { Tensor } from "../../tensor.js";
import * as E from "../../ops/elementwise.js";
import { alloc, contiguousData, floatDtypeOf, scalarTypeName } from "../../ops/core.js";
import { bool, float32, int32, resultType, type DType } from "../../dtype.js";
import * as F from "../../autograd/formula-ops.js";
import { needsGrad, record, registerDerivative } from "../../autograd/function.js";
import { registerJvp } from "../../autograd/forward-ad.js";
import { isGradEnabled } from "../../autograd/grad-mode.js";
import type { Op } from "../../autograd/derivatives.js";
import { notImplementedError, runtimeError } from "../../errors.js";
import { defineOp, fn, recordingOp, type DerivativeDecl } from "../define.js";
import {
  frexp as frexpKernel,
  i0Scalar,
  igammaScalar,
  igammacScalar,
  lgammaScalar,
  nextafterF32,
  nextafterF64,
} from "../../backend/special.js";
import { floatUnary } from "./elementwise.js";
import { f32, i1Scalar as i1Kernel } from "../../backend/special-fns.js";

/** PyTorch's message for an op without forward-mode AD (derivatives.yaml lists no `result:`). */
function noForwardAd(op: string): Error {
  return notImplementedError(
    `Trying to use forward AD with ${op} that does not support it because it has not been implemented yet.\nPlease file an issue to PyTorch at https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that we can prioritize its implementation.\nNote that forward AD support for some operators require PyTorch to be built with TorchScript and for JIT to be enabled. If the environment var PYTORCH_JIT=0 is set or if the library is not built with TorchScript, some operators may no longer be used with forward AD.`,
  );
}

/** derivatives.yaml's `not_implemented("what")`: raised when that gradient is needed. */
function notImplementedGrad(what: string): Error {
  return notImplementedError(`the derivative for '${what}' is not implemented.`);
}

/** f applied to each element of x in float dtype dt (x cast first), as a new tensor. */
function mapFloat(x: Tensor, dt: DType, f: (v: number) => number): Tensor {
  const src = x.dtype === dt ? x : E.castTensor(x, dt);
  const { data, offset } = contiguousData(src);
  const out = alloc(x.shape.slice(), dt);
  const o = out.typedArray;
  for (let i = 0; i < o.length; i++) o[i] = f(data[offset + i]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// i0: the modified Bessel function of the first kind of order 0; i0' = i1

/** special_i1 without a call form: recorded, so i0's gradient differentiates again. */
export const i1 = recordingOp(
  "special_i1(Tensor self) -> Tensor",
  // float32 as PyTorch's float kernel: float arithmetic with the truncated tables
  (self: Tensor) => {
    const dt = floatDtypeOf(self.dtype);
    return mapFloat(self, dt, (v) => i1Kernel(v, dt === float32 ? f32 : undefined));
  },
  {
    name: "SpecialI1Backward0",
    save: ["self", "result"],
    // PyTorch's i1_backward: i1'(x) = i0(x) - i1(x)/x, 1/2 where |x| <= eps (0/0 otherwise)
    grad: (g, s: { self: Tensor; result: Tensor }) => [i1Backward(g, s.self, s.result)],
    jvp: (t, p, result) => i1Backward(t.self!, p.self, result),
  } satisfies DerivativeDecl<"self" | "result">,
);

function i1Backward(g: Tensor, x: Tensor, result: Tensor): Tensor {
  const eps = x.dtype === float32 ? 1.1920928955078125e-7 : Number.EPSILON;
  const notTiny = x.abs().gt(eps);
  const safe = F.where(notTiny, x, eps);
  const dx = safe.i0().sub(result.mul(safe.reciprocal()));
  return g.mul(F.where(notTiny, dx, 0.5));
}

// d i0 x = i1 x
floatUnary(
  "i0",
  (self: Tensor) => mapFloat(self, floatDtypeOf(self.dtype), i0Scalar),
  "I0Backward0",
  "self",
  (g, x) => g.mul(i1(x)),
  "The modified Bessel function of the first kind of order zero of each element; integers compute in the default float dtype.",
  "torch.i0(torch.tensor([0, 1, 2])) // tensor([1.0000, 1.2661, 2.2796])",
);

// ---------------------------------------------------------------------------------------------
// mvlgamma: the log of the multivariate gamma function of dimension p,
// sum_{j<p} lgamma(x - j/2) + p(p - 1)/4 log(pi)

/** PyTorch's mvlgamma_check. */
function mvlgammaCheck(self: Tensor, p: number): void {
  if (self.dtype === bool) throw runtimeError("The input tensor may not be a boolean tensor.");
  if (p < 1) throw runtimeError("p has to be greater than or equal to 1");
}

function mvlgammaKernel(self: Tensor, p: number): Tensor {
  mvlgammaCheck(self, p);
  const c = ((p * (p - 1)) / 4) * Math.log(Math.PI);
  return mapFloat(self, floatDtypeOf(self.dtype), (x) => {
    let s = 0;
    for (let j = p - 1; j >= 0; j--) s += lgammaScalar(x - j / 2);
    return s + c;
  });
}

/** mvlgamma_ computes its offsets with arange in self's dtype: an integer step 1/2 is 0. */
function mvlgammaInplace(self: Tensor, p: number): Tensor {
  mvlgammaCheck(self, p);
  if (!self.dtype.isFloatingPoint) throw runtimeError("step must be nonzero");
  return mvlgammaKernel(self, p);
}

/** d mvlgamma(x, p) = sum_{j<p} digamma(x - j/2) (PyTorch's mvlgamma_backward), recorded. */
function mvlgammaGrad(g: Tensor, x: Tensor, p: number): Tensor {
  let s = x.digamma();
  for (let j = 1; j < p; j++) s = s.add(x.sub(j / 2).digamma());
  return g.mul(s);
}

const mvlgammaDerivative: DerivativeDecl<"self", { p: number }> = {
  name: "MvlgammaBackward0",
  save: ["self"],
  attrs: ["p"],
  grad: (g, s: { self: Tensor }, a: { p: number }) => [mvlgammaGrad(g, s.self, a.p)],
  jvp: (t, p, _r, a: { p: number }) => mvlgammaGrad(t.self!, p.self, a.p),
};

defineOp({
  name: "mvlgamma",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The log of the multivariate gamma function of dimension `p` of each element, sum over j < p of lgamma(x - j/2) plus p(p-1)/4 log(pi); integers compute in the default float dtype.",
  example: "torch.mvlgamma(torch.tensor([2.5, 3]), 2) // tensor([0.8570, 1.5502])",
  overloads: [
    {
      schema: "mvlgamma(Tensor self, int p) -> Tensor",
      forward: mvlgammaKernel,
      derivative: mvlgammaDerivative,
      inplace: { forward: mvlgammaInplace, derivative: mvlgammaDerivative },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// igamma, igammac: the regularized lower and upper incomplete gamma functions P(a, x), Q(a, x)

/** The promoted dtype of a binary op whose CPU kernel dispatches on floating types only. */
function floatOnlyResult(kernel: string, self: Tensor, other: Tensor): DType {
  const dt = resultType([self, other]);
  if (!dt.isFloatingPoint)
    throw runtimeError(`"${kernel}_cpu" not implemented for '${scalarTypeName(dt)}'`);
  return dt;
}

for (const upper of [false, true]) {
  const name = upper ? "igammac" : "igamma";
  const scalar = upper ? igammacScalar : igammaScalar;
  // d P(a, x)/dx = x^(a-1) e^-x / Gamma(a) = -d Q(a, x)/dx; no formula for a
  const otherGrad = (g: Tensor, a: Tensor, x: Tensor): Tensor => {
    const d = a.sub(1).mul(x.log()).sub(x).sub(a.lgamma()).exp();
    return upper ? g.neg().mul(d) : g.mul(d);
  };
  const derivative: DerivativeDecl<"self" | "other"> = {
    name: upper ? "IgammacBackward0" : "IgammaBackward0",
    save: ["self", "other"],
    grad: (g, s: { self: Tensor; other: Tensor }, _a, n) => {
      if (n.needsInputGrad(0)) throw notImplementedGrad(`${name}: input`);
      return [null, n.needsInputGrad(1) ? otherGrad(g, s.self, s.other) : null];
    },
    jvp: () => {
      throw noForwardAd(name);
    },
  };
  defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc: upper
      ? "The regularized upper incomplete gamma function Q(input, other) = Gamma(input, other) / Gamma(input) elementwise (broadcasting; floating dtypes only)."
      : "The regularized lower incomplete gamma function P(input, other) = gamma(input, other) / Gamma(input) elementwise (broadcasting; floating dtypes only).",
    example: upper
      ? "torch.igammac(torch.tensor([1.0, 2]), torch.tensor([1.0, 1])) // tensor([0.3679, 0.7358])"
      : "torch.igamma(torch.tensor([1.0, 2]), torch.tensor([1.0, 1])) // tensor([0.6321, 0.2642])",
    overloads: [
      {
        schema: `${name}(Tensor self, Tensor other) -> Tensor`,
        forward: (self: Tensor, other: Tensor) => {
          const dt = floatOnlyResult(name, self, other);
          return E.elementwise2(self, other, dt, dt, scalar);
        },
        derivative,
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// nextafter: the next representable value after input toward other, in the result's dtype
// (float32 steps by float32 ulps)

defineOp({
  name: "nextafter",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The next floating-point value after `input` in the direction of `other`, elementwise in the promoted dtype (float32 steps one float32 ulp; floating dtypes only).",
  example:
    "torch.nextafter(torch.tensor([1.0]), torch.tensor([2.0])).sub(1) // tensor([1.1921e-07])",
  overloads: [
    {
      schema: "nextafter(Tensor self, Tensor other) -> Tensor",
      forward: (self: Tensor, other: Tensor) => {
        const dt = floatOnlyResult("nextafter", self, other);
        return E.elementwise2(self, other, dt, dt, dt === float32 ? nextafterF32 : nextafterF64);
      },
      derivative: {
        name: "NextafterBackward0",
        save: [],
        grad: () => {
          throw notImplementedGrad("nextafter");
        },
        jvp: () => {
          throw noForwardAd("nextafter");
        },
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// ldexp: input * 2^other, PyTorch's composite (at::mul(self, at::pow(2.0, other))): records
// MulBackward0 and PowBackward2 as PyTorch does

/**
 * 2^other as PyTorch's pow(2.0, other): a float base gives an integer exponent the default
 * float dtype (a JS 2.0 is the integer 2 to the binder, so the exponent is cast here; integer
 * tensors never require grad, so the graph is PyTorch's).
 */
const twoPow = (other: Tensor): Tensor =>
  fn("pow")(
    2,
    other.dtype.isFloatingPoint ? other : E.castTensor(other, floatDtypeOf(other.dtype)),
  ) as Tensor;

/** mul's out= form refuses operands that require grad (grad mode on). */
function refuseGrad(self: Tensor, other: Tensor): void {
  if (isGradEnabled() && (self.requiresGrad || other.requiresGrad))
    throw runtimeError(
      "mul(): functions with out=... arguments don't support automatic differentiation, but one of the arguments requires grad.",
    );
}

const ldexpForward = (self: Tensor, other: Tensor): Tensor =>
  fn("mul")(self, twoPow(other)) as Tensor;

defineOp({
  name: "ldexp",
  variants: ["function", "method"],
  out: true,
  doc: "input * 2^other elementwise (broadcasting; integers compute in the default float dtype).",
  example: "torch.ldexp(torch.tensor([1.0, 3]), torch.tensor([2, 1])) // tensor([4., 6.])",
  overloads: [
    {
      schema: "ldexp.Tensor(Tensor self, Tensor other) -> Tensor",
      forward: ldexpForward,
      // ldexp_out is mul_out: its autograd refusal names mul
      checkOut: (_out: Tensor | readonly Tensor[], self: Tensor, other: Tensor) =>
        refuseGrad(self, other),
    },
  ],
});

// ldexp_ is PyTorch's ldexp_out(self, self, other), mul's out= form: refused when an operand
// requires grad (before the leaf check), otherwise self.mul_(2^other)
defineOp({
  name: "ldexp_",
  variants: ["function", "method"],
  doc: "In place: self * 2^other (self keeps its dtype; operands requiring grad are refused, as mul's out= form refuses them).",
  example: "torch.tensor([1.0, 3]).ldexp_(torch.tensor([2, 1])) // tensor([4., 6.])",
  overloads: [
    {
      schema: "ldexp_(Tensor(a!) self, Tensor other) -> Tensor(a!)",
      forward: (self: Tensor, other: Tensor) => {
        refuseGrad(self, other);
        return self.mul_(twoPow(other));
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// frexp: (mantissa, exponent) with input = mantissa * 2^exponent, 0.5 <= |mantissa| < 1;
// the exponent is int32 and not differentiable

const FREXP = "frexp" as unknown as Op;
// d mantissa = d input / 2^exponent (the exponent is piecewise constant)
registerDerivative(FREXP, {
  name: "FrexpBackward0",
  save: ["exponent"],
  grad: (g: Tensor, s: { exponent: Tensor }) => [g.div(s.exponent.exp2())],
} as never);
registerJvp(FREXP, ((
  t: readonly (Tensor | null)[],
  _i: unknown,
  _o: Tensor,
  _a: unknown,
  s: { exponent: Tensor },
) => (t[0] as Tensor).div(s.exponent.exp2())) as never);

function frexpCheck(self: Tensor): void {
  if (!self.dtype.isFloatingPoint)
    throw runtimeError("torch.frexp() only supports floating-point dtypes");
}

/** caffe2's TypeMeta name of a dtype, as PyTorch's messages print it ("float", "long int"). */
function cTypeName(d: DType): string {
  const names: Record<string, string> = {
    float32: "float",
    float64: "double",
    int32: "int",
    int64: "long int",
    uint8: "unsigned char",
    bool: "bool",
  };
  return names[d.name];
}

defineOp({
  name: "frexp",
  variants: ["function", "method"],
  out: true,
  doc: "Decomposes each element into a mantissa in [0.5, 1) in magnitude and an int32 exponent, input = mantissa * 2^exponent (`{ mantissa, exponent }`; floating dtypes only).",
  example: "torch.frexp(torch.tensor([8.0, 0.3])).exponent // tensor([ 4, -1], dtype=torch.int32)",
  overloads: [
    {
      schema: "frexp.Tensor(Tensor self) -> (Tensor mantissa, Tensor exponent)",
      // PyTorch's frexp_out: the mantissa in the input's dtype, the exponent int32
      checkOut: (out: Tensor | readonly Tensor[], self: Tensor) => {
        const [mantissa, exponent] = out as readonly Tensor[];
        frexpCheck(self);
        if (mantissa.dtype !== self.dtype)
          throw runtimeError(
            `torch.frexp() expects mantissa to have dtype ${cTypeName(self.dtype)} but got ${cTypeName(mantissa.dtype)}`,
          );
        if (exponent.dtype !== int32)
          throw runtimeError(
            `torch.frexp() expects exponent to have int dtype but got ${cTypeName(exponent.dtype)}`,
          );
      },
      forward: (self: Tensor) => {
        frexpCheck(self);
        const mantissa = alloc(self.shape.slice(), self.dtype);
        const exponent = alloc(self.shape.slice(), int32);
        const { data, offset } = contiguousData(self);
        frexpKernel(
          data,
          offset,
          mantissa.numel(),
          mantissa.typedArray as Float32Array | Float64Array,
          exponent.typedArray as Int32Array,
        );
        if (needsGrad(self)) record(FREXP, mantissa, [self], { exponent } as never, {} as never);
        return namedTuple({ mantissa, exponent, 0: mantissa, 1: exponent });
      },
    },
  ],
});
