/**
 * The activations of issue 11's activation family (h-nnact): threshold, glu, hardshrink,
 * softshrink, prelu, rrelu, the torch-level celu/selu, the in-place functions PyTorch has as
 * `torch.x_` / `F.x_` (relu_, celu_, selu_, elu_, leaky_relu_, hardtanh_, threshold_, rrelu_)
 * and gumbel_softmax.
 *
 * Forwards compute each element in double from the input's values (parameters rounded to the
 * input's dtype first, as ATen's kernels cast their Scalars to scalar_t) and round once; each
 * records one node named as PyTorch's (ThresholdBackward0, GluBackward0, PreluBackward0,
 * RreluWithNoiseBackward0, ...; the in-place ones *Backward1 where derivatives.yaml has a
 * separate in-place entry).
 */
import { Tensor } from "../../tensor.js";
import { float32, float64, type DType } from "../../dtype.js";
import * as NN from "../../ops/nn.js";
import { cat } from "../../ops/views.js";
import { where } from "../../autograd/formula-ops.js";
import { alloc, contiguousData, scalarTypeName } from "../../ops/core.js";
import { inplace } from "../../ops/inplace.js";
import { defaultGenerator } from "../../generator.js";
import type { CPUGeneratorImpl } from "../../random.js";
import { runtimeError } from "../../errors.js";
import { defineOp, recordingOp } from "../define.js";
import { num, warn } from "./nn.js";
import { cppDouble } from "./sorting.js";

type Scalar = number | boolean | Tensor;
type Tangents = { readonly [k: string]: Tensor | null };
type Primals = { readonly [k: string]: Tensor };

/** A Scalar as ATen's kernel sees it after casting to the input's dtype. */
function asDtype(v: number, d: DType): number {
  if (d === float64) return v;
  if (d === float32) return Math.fround(v);
  return Math.trunc(v);
}

/** `self` in place: f computed on self's shadow and written back (Note [in-place shadow]). */
function inPlace(self: Tensor, savesSelf: boolean, f: (t: Tensor) => Tensor): Tensor {
  inplace(self, savesSelf, f);
  return self;
}

/**
 * An elementwise map over a floating input: f(x) per element in double, rounded once to the
 * input's dtype; other dtypes get the kernel's "not implemented" error.
 */
function mapFloat(self: Tensor, kernel: string, f: (v: number) => number): Tensor {
  if (!self.dtype.isFloatingPoint)
    throw runtimeError(`"${kernel}" not implemented for '${scalarTypeName(self.dtype)}'`);
  const { data, offset } = contiguousData(self);
  const out = alloc(self.shape.slice(), self.dtype);
  const o = out.typedArray;
  for (let i = 0; i < o.length; i++) o[i] = f(data[offset + i]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// threshold: y = x > threshold ? x : value

function thresholdKernel(self: Tensor, threshold: Scalar, value: Scalar): Tensor {
  if (self.dtype.name === "bool") throw runtimeError(`"threshold_cpu" not implemented for 'Bool'`);
  const th = asDtype(num(threshold), self.dtype);
  const v = asDtype(num(value), self.dtype);
  const { data, offset } = contiguousData(self);
  const out = alloc(self.shape.slice(), self.dtype);
  const o = out.typedArray;
  for (let i = 0; i < o.length; i++) {
    const x = data[offset + i];
    o[i] = x <= th ? v : x;
  }
  return out;
}

/** threshold_backward: the gradient passes where self > threshold. */
function thresholdDerivative(name: string) {
  return {
    name,
    save: ["self"],
    attrs: ["threshold"],
    grad: (g: Tensor, s: { self: Tensor }, a: { threshold: Scalar }) => [
      where(s.self.le(num(a.threshold)), 0, g),
    ],
    jvp: (t: Tangents, p: Primals, _r: Tensor, a: { threshold: Scalar }) =>
      t.self === null ? null : where(p.self.le(num(a.threshold)), 0, t.self),
  };
}

const thresholdOp = recordingOp(
  "threshold(Tensor self, Scalar threshold, Scalar value) -> Tensor",
  thresholdKernel,
  thresholdDerivative("ThresholdBackward0"),
);
const thresholdInplaceNode = recordingOp(
  "threshold_(Tensor self, Scalar threshold, Scalar value) -> Tensor",
  thresholdKernel,
  thresholdDerivative("ThresholdBackward1"),
);
const threshold_ = (self: Tensor, threshold: Scalar, value: Scalar): Tensor =>
  inPlace(self, true, (t) => thresholdInplaceNode(t, threshold, value));

defineOp({
  name: "threshold",
  variants: ["function"],
  out: true,
  doc: "threshold(x, threshold, value) = x where x > threshold, else value.",
  example: "torch.threshold(torch.tensor([1, 2, 3]), 1, 5) // tensor([5., 2., 3.])",
  overloads: [
    {
      schema: "threshold(Tensor self, Scalar threshold, Scalar value) -> Tensor",
      forward: thresholdOp,
    },
  ],
});

defineOp({
  name: "threshold_",
  variants: ["function"],
  doc: "In place: threshold(x, threshold, value) written into x.",
  example:
    "torch.threshold_(torch.tensor([-1, 0.5, 2]), 0, -1) // tensor([-1.0000,  0.5000,  2.0000])",
  overloads: [
    {
      schema: "threshold_(Tensor(a!) self, Scalar threshold, Scalar value) -> Tensor(a!)",
      forward: threshold_,
    },
  ],
});

defineOp({
  name: "threshold",
  namespace: "nn.functional",
  python: "_threshold",
  variants: ["function"],
  doc: "threshold(x, threshold, value) = x where x > threshold, else value (in place with `inplace`).",
  example: "F.threshold(torch.tensor([-1, 0.5, 2]), 0.5, 9) // tensor([9., 9., 2.])",
  overloads: [
    {
      schema: "threshold(Tensor input, float threshold, float value, bool inplace=False) -> Tensor",
      forward: (input: Tensor, threshold: number, value: number, inp: boolean) =>
        inp ? threshold_(input, threshold, value) : thresholdOp(input, threshold, value),
    },
  ],
});

defineOp({
  name: "threshold_",
  namespace: "nn.functional",
  variants: ["function"],
  doc: "In place: threshold(x, threshold, value) written into x.",
  example: "F.threshold_(torch.tensor([-1, 0.5, 2]), 0, -1) // tensor([-1.0000,  0.5000,  2.0000])",
  overloads: [
    {
      schema: "threshold_(Tensor(a!) self, Scalar threshold, Scalar value) -> Tensor(a!)",
      forward: threshold_,
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// glu: the input halved along dim into a, b; y = a * sigmoid(b)

function gluKernel(self: Tensor, dim: number): Tensor {
  if (!self.dtype.isFloatingPoint)
    throw runtimeError(`"glu_cpu" not implemented for '${scalarTypeName(self.dtype)}'`);
  const nd = self.dim();
  if (dim < -nd || dim >= nd)
    throw runtimeError(
      `Dimension out of range (expected to be in range of [${-nd}, ${nd - 1}], but got ${dim})`,
    );
  const d = dim < 0 ? dim + nd : dim;
  const n = self.shape[d];
  if (n % 2 !== 0)
    throw runtimeError(`Halving dimension must be even, but dimension ${d} is size ${n}`);
  const h = n / 2;
  const shape = self.shape.slice();
  shape[d] = h;
  const out = alloc(shape, self.dtype);
  const { data, offset } = contiguousData(self);
  let inner = 1;
  for (let i = d + 1; i < nd; i++) inner *= self.shape[i];
  let outer = 1;
  for (let i = 0; i < d; i++) outer *= self.shape[i];
  const o = out.typedArray;
  for (let a = 0; a < outer; a++) {
    for (let j = 0; j < h * inner; j++) {
      const x = data[offset + a * n * inner + j];
      const y = data[offset + a * n * inner + h * inner + j];
      o[a * h * inner + j] = x / (1 + Math.exp(-y));
    }
  }
  return out;
}

// d/da = sigmoid(b), d/db = a sigmoid(b) (1 - sigmoid(b)); the two halves concatenated
const gluOp = recordingOp("glu(Tensor self, int dim=-1) -> Tensor", gluKernel, {
  name: "GluBackward0",
  save: ["self"],
  attrs: ["dim"],
  grad: (g: Tensor, s: { self: Tensor }, at: { dim: number }) => {
    const [a, b] = s.self.chunk(2, at.dim);
    const sb = b.sigmoid();
    return [cat([g.mul(sb), g.mul(a).mul(sb).mul(sb.rsub(1))], at.dim)];
  },
  jvp: (t: Tangents, p: Primals, _r: Tensor, at: { dim: number }) => {
    if (t.self === null) return null;
    const [a, b] = p.self.chunk(2, at.dim);
    const [ta, tb] = t.self.chunk(2, at.dim);
    const sb = b.sigmoid();
    return ta.mul(sb).add(a.mul(sb).mul(sb.rsub(1)).mul(tb));
  },
});

defineOp({
  name: "glu",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "glu(x, dim) = a * sigmoid(b), with a and b the two halves of x along dim.",
  example: "F.glu(torch.tensor([1, 0]), 0) // tensor([0.5000])",
  overloads: [
    {
      schema: "glu(Tensor input, int dim=-1) -> Tensor",
      forward: (input: Tensor, dim: number) => {
        if (input.dim() === 0)
          throw runtimeError("glu does not support scalars because halving size must be even");
        return gluOp(input, dim);
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// hardshrink and softshrink: zero inside [-lambd, lambd]; softshrink also moves the rest by lambd

/** The shrink functions' backward: the gradient passes outside [-lambd, lambd]. */
function shrinkDerivative(name: string) {
  const mask = (x: Tensor, l: number, g: Tensor) => where(x.ge(-l).logicalAnd(x.le(l)), 0, g);
  return {
    name,
    save: ["self"],
    attrs: ["lambd"],
    grad: (g: Tensor, s: { self: Tensor }, a: { lambd: Scalar }) => [mask(s.self, num(a.lambd), g)],
    jvp: (t: Tangents, p: Primals, _r: Tensor, a: { lambd: Scalar }) =>
      t.self === null ? null : mask(p.self, num(a.lambd), t.self),
  };
}

const hardshrinkForward = (self: Tensor, lambd: Scalar): Tensor => {
  const l = asDtype(num(lambd), self.dtype);
  return mapFloat(self, "hardshrink_cpu", (x) => (x >= -l && x <= l ? 0 : x));
};
const HARDSHRINK = "hardshrink(Tensor self, Scalar lambd=0.5) -> Tensor";
// torch.hardshrink and F.hardshrink are one builtin: one recording op for both entries
const hardshrinkOverload = {
  schema: HARDSHRINK,
  forward: recordingOp(HARDSHRINK, hardshrinkForward, shrinkDerivative("HardshrinkBackward0")),
};

defineOp({
  name: "hardshrink",
  variants: ["function", "method"],
  out: true,
  doc: "hardshrink(x, lambd) = x where |x| > lambd, else 0.",
  example: "torch.hardshrink(torch.tensor([-1, 0.2, 0.7])) // tensor([-1.0000,  0.0000,  0.7000])",
  overloads: [hardshrinkOverload],
});

defineOp({
  name: "hardshrink",
  namespace: "nn.functional",
  variants: ["function"],
  out: true,
  doc: "hardshrink(x, lambd) = x where |x| > lambd, else 0.",
  example: "F.hardshrink(torch.tensor([-1, 0.2, 0.7])) // tensor([-1.0000,  0.0000,  0.7000])",
  overloads: [hardshrinkOverload],
});

defineOp({
  name: "softshrink",
  namespace: "nn.functional",
  variants: ["function"],
  out: true,
  doc: "softshrink(x, lambd) = x - lambd above lambd, x + lambd below -lambd, else 0.",
  example: "F.softshrink(torch.tensor([-1, 0.2, 0.7])) // tensor([-0.5000,  0.0000,  0.2000])",
  overloads: [
    {
      schema: "softshrink(Tensor self, Scalar lambd=0.5) -> Tensor",
      forward: (self: Tensor, lambd: Scalar) => {
        const lv = num(lambd);
        if (!(lv >= 0))
          throw runtimeError(
            `lambda must be greater or equal to 0, but found to be ${cppDouble(lv)}.`,
          );
        const l = asDtype(lv, self.dtype);
        return mapFloat(self, "softshrink_cpu", (x) => (x > l ? x - l : x < -l ? x + l : 0));
      },
      derivative: shrinkDerivative("SoftshrinkBackward0"),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// prelu: x where x > 0, else w * x (one weight, or one per channel of dim 1)

function preluChecks(self: Tensor, weight: Tensor): void {
  const wn = weight.numel();
  if (wn !== 1) {
    if (self.dim() === 0) throw runtimeError("Not allow zero-dim input tensor.");
    const channels = self.dim() > 1 ? self.shape[1] : 1;
    if (channels !== wn)
      throw runtimeError(
        `Mismatch of parameter numbers and input channel size. Found parameter numbers = ${wn} and channel size = ${channels}.`,
      );
  }
  if (weight.dim() > 1)
    throw runtimeError(
      `prelu: Expected \`weight\` to be a scalar or 1D tensor, but got ndim = ${weight.dim()}`,
    );
}

/** The weight viewed to broadcast against self: [1, C, 1, ...] per channel, else one value. */
function preluWeightView(self: Tensor, weight: Tensor): Tensor {
  if (weight.numel() === 1) return weight.reshape([]);
  const shape = self.shape.map((_, i) => (i === 1 ? self.shape[1] : 1));
  return weight.reshape(shape);
}

function preluKernel(self: Tensor, weight: Tensor): Tensor {
  if (!self.dtype.isFloatingPoint)
    throw runtimeError(`"prelu_cpu" not implemented for '${scalarTypeName(self.dtype)}'`);
  preluChecks(self, weight);
  const { data, offset } = contiguousData(self);
  const w = contiguousData(weight);
  const out = alloc(self.shape.slice(), self.dtype);
  const o = out.typedArray;
  const shared = weight.numel() === 1;
  const C = self.dim() > 1 ? self.shape[1] : 1;
  let inner = 1;
  for (let i = 2; i < self.dim(); i++) inner *= self.shape[i];
  for (let i = 0; i < o.length; i++) {
    const x = data[offset + i];
    const wv = w.data[w.offset + (shared ? 0 : Math.floor(i / inner) % C)];
    o[i] = x > 0 ? x : wv * x;
  }
  return out;
}

/** Sum of t over every dim but the channel dim, in weight's shape (one value when shared). */
function reduceToWeight(t: Tensor, weight: Tensor): Tensor {
  if (weight.numel() === 1) return t.sum().reshape(weight.shape);
  const dims = t.shape.map((_, i) => i).filter((i) => i !== 1);
  return (dims.length === 0 ? t : t.sum(dims)).reshape(weight.shape);
}

// d/dx = 1 above 0, else w; d/dw = x below (or at) 0, summed over all but the channel dim
const preluOp = recordingOp("prelu(Tensor self, Tensor weight) -> Tensor", preluKernel, {
  name: "PreluBackward0",
  save: ["self", "weight"],
  grad: (g: Tensor, s: { self: Tensor; weight: Tensor }) => {
    const pos = s.self.gt(0);
    const wv = preluWeightView(s.self, s.weight);
    return [where(pos, g, g.mul(wv)), reduceToWeight(where(pos, 0, g.mul(s.self)), s.weight)];
  },
  jvp: (t: Tangents, p: Primals) => {
    const pos = p.self.gt(0);
    let r: Tensor | null = null;
    if (t.self !== null) r = where(pos, t.self, t.self.mul(preluWeightView(p.self, p.weight)));
    if (t.weight !== null) {
      const tw = where(pos, 0, p.self.mul(preluWeightView(p.self, t.weight)));
      r = r === null ? tw : r.add(tw);
    }
    return r;
  },
});

for (const ns of ["torch", "nn.functional"] as const) {
  defineOp({
    name: "prelu",
    namespace: ns,
    variants: ns === "torch" ? ["function", "method"] : ["function"],
    doc: "prelu(x, weight) = x where x > 0, else weight * x (one weight, or one per channel).",
    example: `${ns === "torch" ? "torch" : "F"}.prelu(torch.tensor([-2, 3]), torch.tensor([0.25])) // tensor([-0.5000,  3.0000])`,
    overloads: [{ schema: "prelu(Tensor self, Tensor weight) -> Tensor", forward: preluOp }],
  });
}

// ---------------------------------------------------------------------------------------------
// rrelu: in training, x * r below (or at) 0 with r ~ U(lower, upper) drawn per such element;
// in eval, leaky_relu with slope (lower + upper) / 2

/**
 * rrelu_with_noise's forward: fills `noise` (r where drawn, 1 elsewhere) in training. The draws
 * are PyTorch's CPU kernel's: for each element in order that is <= 0, one
 * uniform_real_distribution<double>(lower, upper) sample (random64's low 53 bits * 2^-53,
 * times (upper - lower) plus lower, in double; lower and upper first rounded to the input's
 * dtype), cast to the input's dtype.
 */
function rreluWithNoiseKernel(
  self: Tensor,
  noise: Tensor,
  lower: Scalar,
  upper: Scalar,
  training: boolean,
  gen: CPUGeneratorImpl | null,
): Tensor {
  const lo = num(lower);
  const hi = num(upper);
  if (!training) {
    const slope = (lo + hi) / 2;
    return mapFloat(self, "leaky_relu_cpu", (x) => (x > 0 ? x : x * asDtype(slope, self.dtype)));
  }
  if (!self.dtype.isFloatingPoint)
    throw runtimeError(
      `"rrelu_with_noise_out_cpu" not implemented for '${scalarTypeName(self.dtype)}'`,
    );
  const g = gen ?? defaultGenerator;
  const l = asDtype(lo, self.dtype);
  const range = asDtype(hi, self.dtype) - l;
  const { data, offset } = contiguousData(self);
  const out = alloc(self.shape.slice(), self.dtype);
  const o = out.typedArray;
  const nz = noise.typedArray;
  for (let i = 0; i < o.length; i++) {
    const x = data[offset + i];
    if (x <= 0) {
      const r = asDtype(g.uniform53() * range + l, self.dtype);
      o[i] = x * r;
      nz[i] = r;
    } else {
      o[i] = x;
      nz[i] = 1;
    }
  }
  return out;
}

/** rrelu_with_noise_backward: grad * noise in training (when upper - lower > 1e-6), else leaky. */
function rreluGradFactor(
  self: Tensor,
  noise: Tensor,
  a: { lower: Scalar; upper: Scalar; training: boolean },
): Tensor {
  const lo = num(a.lower);
  const hi = num(a.upper);
  if (a.training && hi - lo > 1e-6) return noise;
  return where(self.gt(0), 1, (lo + hi) / 2).to(self.dtype);
}

function rreluDerivative(name: string) {
  type A = { lower: Scalar; upper: Scalar; training: boolean };
  return {
    name,
    save: ["self", "noise"],
    attrs: ["lower", "upper", "training"],
    grad: (g: Tensor, s: { self: Tensor; noise: Tensor }, a: A) => [
      g.mul(rreluGradFactor(s.self, s.noise, a)),
      null,
    ],
    jvp: (t: Tangents, p: Primals, _r: Tensor, a: A) =>
      t.self === null ? null : t.self.mul(rreluGradFactor(p.self, p.noise, a)),
  };
}

const RRELU_SCHEMA =
  "(Tensor self, Tensor noise, Scalar lower, Scalar upper, bool training, Generator? generator) -> Tensor";
const rreluWithNoise = recordingOp(
  `rrelu_with_noise${RRELU_SCHEMA}`,
  rreluWithNoiseKernel,
  rreluDerivative("RreluWithNoiseBackward0"),
);
const rreluWithNoiseInplaceNode = recordingOp(
  `rrelu_with_noise_${RRELU_SCHEMA}`,
  rreluWithNoiseKernel,
  rreluDerivative("RreluWithNoiseBackward1"),
);

function rreluCheck(lower: Scalar, upper: Scalar): void {
  if (!(num(lower) <= num(upper)))
    throw runtimeError("Lower bound should be less than or equal to the upper bound");
}

function rrelu(
  self: Tensor,
  lower: Scalar,
  upper: Scalar,
  training: boolean,
  gen: CPUGeneratorImpl | null,
): Tensor {
  rreluCheck(lower, upper);
  const noise = alloc(self.shape.slice(), self.dtype);
  return rreluWithNoise(self, noise, lower, upper, training, gen);
}

function rrelu_(
  self: Tensor,
  lower: Scalar,
  upper: Scalar,
  training: boolean,
  gen: CPUGeneratorImpl | null,
): Tensor {
  rreluCheck(lower, upper);
  const noise = alloc(self.shape.slice(), self.dtype);
  return inPlace(self, true, (t) =>
    rreluWithNoiseInplaceNode(t, noise, lower, upper, training, gen),
  );
}

const RRELU_ARGS =
  "Scalar lower=0.125, Scalar upper=0.3333333333333333, bool training=False, Generator? generator=None";

defineOp({
  name: "rrelu",
  variants: ["function"],
  doc: "Randomized leaky ReLU: in training x * r below 0 with r ~ U(lower, upper) per element; in eval leaky_relu with slope (lower + upper) / 2.",
  example: "torch.rrelu(torch.tensor([-1, 2])) // tensor([-0.2292,  2.0000])",
  overloads: [{ schema: `rrelu(Tensor self, ${RRELU_ARGS}) -> Tensor`, forward: rrelu }],
});

defineOp({
  name: "rrelu_",
  variants: ["function"],
  doc: "In place: rrelu(x, lower, upper, training) written into x.",
  example: "torch.rrelu_(torch.tensor([-1, 2]), 0.1, 0.3, true)",
  overloads: [{ schema: `rrelu_(Tensor(a!) self, ${RRELU_ARGS}) -> Tensor(a!)`, forward: rrelu_ }],
});

defineOp({
  name: "rrelu",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "Randomized leaky ReLU: in training x * r below 0 with r ~ U(lower, upper) per element; in eval leaky_relu with slope (lower + upper) / 2.",
  example: "F.rrelu(torch.tensor([-1, 2])) // tensor([-0.2292,  2.0000])",
  overloads: [
    {
      schema:
        "rrelu(Tensor input, float lower=0.125, float upper=0.3333333333333333, bool training=False, bool inplace=False) -> Tensor",
      forward: (input: Tensor, lower: number, upper: number, training: boolean, inp: boolean) =>
        inp
          ? rrelu_(input, lower, upper, training, null)
          : rrelu(input, lower, upper, training, null),
    },
  ],
});

defineOp({
  name: "rrelu_",
  namespace: "nn.functional",
  variants: ["function"],
  doc: "In place: rrelu(x, lower, upper, training) written into x.",
  example: "F.rrelu_(torch.tensor([-1, 2]), 0.1, 0.3, true)",
  overloads: [{ schema: `rrelu_(Tensor(a!) self, ${RRELU_ARGS}) -> Tensor(a!)`, forward: rrelu_ }],
});

// ---------------------------------------------------------------------------------------------
// celu, selu (torch.*) and the in-place activations torch.x_ / F.x_

/** SELU's constants, as PyTorch's. */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

const celu_ = (self: Tensor, alpha: Scalar): Tensor =>
  inPlace(self, true, (t) => NN.celu(t, num(alpha), "CeluBackward1"));
const selu_ = (self: Tensor): Tensor =>
  inPlace(self, true, (t) => NN.elu(t, SELU_ALPHA, SELU_SCALE, 1, "EluBackward1"));
const relu_ = (self: Tensor): Tensor => self.relu_();

defineOp({
  name: "celu",
  variants: ["function"],
  doc: "celu(x, alpha) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).",
  example: "torch.celu(torch.tensor([-1, 2]), 0.5) // tensor([-0.4323,  2.0000])",
  overloads: [
    {
      schema: "celu(Tensor self, Scalar alpha=1.0) -> Tensor",
      forward: (self: Tensor, alpha: Scalar) => NN.celu(self, num(alpha)),
    },
  ],
});

defineOp({
  name: "selu",
  variants: ["function"],
  doc: "selu(x) = scale * elu(x, alpha) with the self-normalising constants.",
  example: "torch.selu(torch.tensor([-1, 2])) // tensor([-1.1113,  2.1014])",
  overloads: [
    {
      schema: "selu(Tensor self) -> Tensor",
      forward: (self: Tensor) => NN.elu(self, SELU_ALPHA, SELU_SCALE),
    },
  ],
});

/** The in-place functions: [name, schema, forward, doc], each in torch and/or F. */
const INPLACE_FNS: [string, string, (...a: never[]) => Tensor, ("torch" | "F")[]][] = [
  // torch.relu_ is the relu op's own in-place function form (inplace-functions.ts)
  ["relu_", "relu_(Tensor(a!) self) -> Tensor(a!)", relu_, ["F"]],
  ["celu_", "celu_(Tensor(a!) self, Scalar alpha=1.0) -> Tensor(a!)", celu_, ["torch", "F"]],
  ["selu_", "selu_(Tensor(a!) self) -> Tensor(a!)", selu_, ["torch", "F"]],
  [
    "elu_",
    "elu_(Tensor(a!) self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1) -> Tensor(a!)",
    (self: Tensor, alpha: Scalar, scale: Scalar, inputScale: Scalar) =>
      inPlace(self, true, (t) =>
        NN.elu(t, num(alpha), num(scale), num(inputScale), "EluBackward1"),
      ),
    ["F"],
  ],
  [
    "leaky_relu_",
    "leaky_relu_(Tensor(a!) self, Scalar negative_slope=0.01) -> Tensor(a!)",
    (self: Tensor, slope: Scalar) =>
      inPlace(self, true, (t) => NN.leakyRelu(t, num(slope), "LeakyReluBackward1")),
    ["F"],
  ],
  [
    "hardtanh_",
    "hardtanh_(Tensor(a!) self, Scalar min_val=-1, Scalar max_val=1) -> Tensor(a!)",
    (self: Tensor, lo: Scalar, hi: Scalar) =>
      inPlace(self, true, (t) => NN.hardtanh(t, num(lo), num(hi))),
    ["F"],
  ],
];

for (const [name, schema, forward, where_] of INPLACE_FNS) {
  const base = name.slice(0, -1);
  for (const ns of where_) {
    defineOp({
      name,
      namespace: ns === "F" ? "nn.functional" : "torch",
      variants: ["function"],
      doc: `In place: ${base}(x) written into x.`,
      example: `${ns === "F" ? "F" : "torch"}.${name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())}(torch.tensor([-1, 2]))`,
      overloads: [{ schema, forward }],
    });
  }
}

// ---------------------------------------------------------------------------------------------
// gumbel_softmax

defineOp({
  name: "gumbel_softmax",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "gumbel_softmax(logits, tau, hard, eps, dim): softmax((logits + g) / tau) with Gumbel(0, 1) noise g (drawn as -log of exponential_ samples); with `hard`, the one-hot of its argmax with the soft sample's gradient.",
  example: "F.gumbelSoftmax(torch.zeros(2, 3), { hard: true }).sum(1) // tensor([1., 1.])",
  overloads: [
    {
      schema:
        "gumbel_softmax(Tensor logits, float tau=1, bool hard=False, float eps=1e-10, int dim=-1) -> Tensor",
      forward: (logits: Tensor, tau: number, hard: boolean, eps: number, dim: number) => {
        if (eps !== 1e-10) warn("`eps` parameter is deprecated and has no effect.");
        // -empty_like(logits).exponential_().log() ~ Gumbel(0, 1)
        const gumbels = alloc(logits.shape.slice(), logits.dtype).exponential_().log().neg();
        const ySoft = logits.add(gumbels).div(tau).softmax(dim);
        if (!hard) return ySoft;
        // straight through: the one-hot of the argmax, with y_soft's gradient
        const index = ySoft.max(dim, true).indices;
        const yHard = alloc(logits.shape.slice(), logits.dtype).scatter_(dim, index, 1.0);
        return yHard.sub(ySoft.detach()).add(ySoft);
      },
    },
  ],
});
