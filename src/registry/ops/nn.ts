/**
 * torch.nn.functional (activations, softmax, distances, dropout, linear layers, embedding,
 * convolution, pooling, normalisation): one `defineOp` per function (see ../define.ts), in the
 * `nn.functional` namespace (`torch.nn.functional.<camelName>`, src/generated/nn-functional.ts).
 *
 * These are Python functions in PyTorch: a builtin's schema is native_functions.yaml's
 * (F.conv2d is torch.conv2d, F.softplus is torch._C._nn.softplus), a pure-Python function's
 * is written in the schema language from its Python signature and carries `python` (CPython's
 * argument errors, Note [Python functions] in binder.ts). Forwards are the recording ops of
 * src/ops (their derivatives live in autograd/nn-derivatives.ts and nn-formulas.ts) or
 * compositions of tensor ops, as PyTorch composes them (so grad_fn names match).
 */
import { Tensor, Size } from "../../tensor.js";
import { bool, float64, int32, int64, promoteTypes, type DType } from "../../dtype.js";
import * as E from "../../ops/elementwise.js";
import { where } from "../../autograd/formula-ops.js";
import * as R from "../../ops/reduce.js";
import * as NN from "../../ops/nn.js";
import { convolution, convolutionBackward, type ConvArgs } from "../../ops/conv.js";
import { rnnCellStep, rnnLinear } from "../../ops/rnn.js";
import {
  batchNorm as batchNormOp,
  groupNorm as groupNormOp,
  layerNorm as layerNormOp,
} from "../../ops/normalization.js";
import { zeros } from "../../ops/creation.js";
import { cat } from "../../ops/views.js";
import { alloc, onDevice, scalarTypeName } from "../../ops/core.js";
import { toDevice } from "../../ops/webgpu.js";
import { inplace } from "../../ops/inplace.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { fillBernoulli } from "../../random.js";
import { defaultGenerator } from "../../generator.js";
import { broadcastShapes } from "../../shape.js";
import { assertionError, runtimeError, valueError } from "../../errors.js";
import { defineOp, fn, recordingOp, writeOut } from "../define.js";
import { HALF_OWN } from "../half-compute.js";
import { formatPyFloat } from "../../print.js";

/** A `Scalar` argument's value (a number, a bool, or a 0-dim tensor). */
export const num = (v: number | boolean | Tensor): number =>
  v instanceof Tensor ? Number(v.item()) : Number(v);

/** Python's `warnings.warn(msg)` (UserWarning). */
export function warn(msg: string): void {
  console.warn(`UserWarning: ${msg}`);
}

/** `f(input)`, or with `inplace` written back into input (Note [in-place shadow]). */
function maybeInplace(
  x: Tensor,
  inplaceFlag: boolean,
  savesSelf: boolean,
  f: (t: Tensor) => Tensor,
): Tensor {
  if (!inplaceFlag) return f(x);
  inplace(x, savesSelf, f);
  return x;
}

// ---------------------------------------------------------------------------------------------
// activations

defineOp({
  name: "relu",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "relu(x) = max(x, 0), elementwise (in place with `inplace`).",
  example: "F.relu(torch.tensor([-1, 2])) // tensor([0., 2.])",
  overloads: [
    {
      schema: "relu(Tensor input, bool inplace=False) -> Tensor",
      forward: (input: Tensor, inp: boolean) => maybeInplace(input, inp, false, E.relu),
    },
  ],
});

defineOp({
  name: "relu6",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "relu6(x) = min(max(x, 0), 6) (hardtanh with bounds 0 and 6: HardtanhBackward0).",
  example: "F.relu6(torch.tensor([-1, 3, 8])) // tensor([0., 3., 6.])",
  overloads: [
    {
      schema: "relu6(Tensor input, bool inplace=False) -> Tensor",
      forward: (input: Tensor, inp: boolean) =>
        maybeInplace(input, inp, true, (t) => NN.hardtanh(t, 0, 6)),
    },
  ],
});

defineOp({
  name: "hardtanh",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "hardtanh(x) = clamp(x, min_val, max_val), with no gradient at and beyond the bounds.",
  example: "F.hardtanh(torch.tensor([-2, 0.5, 2])) // tensor([-1.0000, 0.5000, 1.0000])",
  overloads: [
    {
      schema:
        "hardtanh(Tensor input, Scalar min_val=-1., Scalar max_val=1., bool inplace=False) -> Tensor",
      forward: (input: Tensor, minVal: number | Tensor, maxVal: number | Tensor, inp: boolean) => {
        const lo = num(minVal);
        const hi = num(maxVal);
        return maybeInplace(input, inp, true, (t) => NN.hardtanh(t, lo, hi));
      },
    },
  ],
});

defineOp({
  name: "leaky_relu",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "leaky_relu(x) = x where x > 0, else negative_slope * x.",
  example: "F.leakyRelu(torch.tensor([-1, 2]), 0.1) // tensor([-0.1000, 2.0000])",
  overloads: [
    {
      schema: "leaky_relu(Tensor input, Scalar negative_slope=0.01, bool inplace=False) -> Tensor",
      forward: (input: Tensor, slope: number | Tensor, inp: boolean) => {
        const s = num(slope);
        return maybeInplace(input, inp, true, (t) =>
          NN.leakyRelu(t, s, inp ? "LeakyReluBackward1" : undefined),
        );
      },
    },
  ],
});

defineOp({
  name: "gelu",
  namespace: "nn.functional",
  variants: ["function"],
  out: true,
  doc: "gelu(x) = x * Phi(x), exact (erf) or with `approximate: 'tanh'`.",
  example: "F.gelu(torch.tensor([1]), { approximate: 'tanh' }) // tensor([0.8412])",
  overloads: [
    {
      schema: "gelu(Tensor self, *, str approximate='none') -> Tensor",
      forward: (self: Tensor, approximate: string) => NN.gelu(self, approximate as "none" | "tanh"),
    },
  ],
});

defineOp({
  name: "silu",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "silu(x) = x * sigmoid(x) (swish).",
  example: "F.silu(torch.tensor([1])) // tensor([0.7311])",
  overloads: [
    {
      schema: "silu(Tensor input, bool inplace=False) -> Tensor",
      forward: (input: Tensor, inp: boolean) => maybeInplace(input, inp, true, NN.silu),
    },
  ],
});

defineOp({
  name: "elu",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "elu(x) = x where x > 0, else alpha * (exp(x) - 1).",
  example: "F.elu(torch.tensor([-1, 2])) // tensor([-0.6321,  2.0000])",
  overloads: [
    {
      schema: "elu(Tensor input, Scalar alpha=1.0, bool inplace=False) -> Tensor",
      forward: (input: Tensor, alpha: number | Tensor, inp: boolean) => {
        const a = num(alpha);
        return maybeInplace(input, inp, true, (t) =>
          NN.elu(t, a, 1, 1, inp ? "EluBackward1" : undefined),
        );
      },
    },
  ],
});

/** SELU's self-normalising constants (Klambauer et al.), as PyTorch's. */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

defineOp({
  name: "selu",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "selu(x) = scale * elu(x, alpha) with the self-normalising constants.",
  example: "F.selu(torch.tensor([-1, 2])) // tensor([-1.1113,  2.1014])",
  overloads: [
    {
      schema: "selu(Tensor input, bool inplace=False) -> Tensor",
      forward: (input: Tensor, inp: boolean) =>
        maybeInplace(input, inp, true, (t) =>
          NN.elu(t, SELU_ALPHA, SELU_SCALE, 1, inp ? "EluBackward1" : undefined),
        ),
    },
  ],
});

defineOp({
  name: "celu",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "celu(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).",
  example: "F.celu(torch.tensor([-1, 2]), 0.5) // tensor([-0.4323,  2.0000])",
  overloads: [
    {
      schema: "celu(Tensor input, Scalar alpha=1.0, bool inplace=False) -> Tensor",
      forward: (input: Tensor, alpha: number | Tensor, inp: boolean) => {
        const a = num(alpha);
        return maybeInplace(input, inp, true, (t) =>
          NN.celu(t, a, inp ? "CeluBackward1" : undefined),
        );
      },
    },
  ],
});

defineOp({
  name: "softplus",
  namespace: "nn.functional",
  variants: ["function"],
  out: true,
  doc: "softplus(x) = log(1 + exp(beta * x)) / beta, and x where beta * x > threshold.",
  example: "F.softplus(torch.tensor([0]), 2) // tensor([0.3466])",
  overloads: [
    {
      schema: "softplus(Tensor self, Scalar beta=1, Scalar threshold=20) -> Tensor",
      forward: (self: Tensor, beta: number | Tensor, threshold: number | Tensor) =>
        NN.softplus(self, num(beta), num(threshold)),
    },
  ],
});

defineOp({
  name: "logsigmoid",
  namespace: "nn.functional",
  variants: ["function"],
  out: true,
  doc: "logsigmoid(x) = log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)).",
  example: "F.logsigmoid(torch.tensor([0])) // tensor([-0.6931])",
  overloads: [
    {
      schema: "log_sigmoid(Tensor self) -> Tensor",
      forward: (self: Tensor) => NN.logSigmoid(self),
    },
  ],
});

defineOp({
  name: "softsign",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "softsign(x) = x / (1 + |x|).",
  example: "F.softsign(torch.tensor([1, -3])) // tensor([ 0.5000, -0.7500])",
  overloads: [
    {
      schema: "softsign(Tensor input) -> Tensor",
      forward: (input: Tensor) => input.div(input.abs().add(1)),
    },
  ],
});

defineOp({
  name: "tanhshrink",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "tanhshrink(x) = x - tanh(x).",
  example: "F.tanhshrink(torch.tensor([1])) // tensor([0.2384])",
  overloads: [
    {
      schema: "tanhshrink(Tensor input) -> Tensor",
      forward: (input: Tensor) => input.sub(input.tanh()),
    },
  ],
});

/**
 * An elementwise float activation computed in double and rounded once to the input's dtype,
 * with PyTorch's "not implemented" error for other dtypes.
 */
function activation(kernel: string, f: (v: number) => number): (self: Tensor) => Tensor {
  return (self: Tensor) => {
    if (!self.dtype.isFloatingPoint)
      throw runtimeError(`"${kernel}" not implemented for '${scalarTypeName(self.dtype)}'`);
    const x = self.contiguous();
    const out = alloc(self.shape.slice(), self.dtype);
    const o = out.typedArray;
    const src = x.typedArray;
    for (let i = 0; i < o.length; i++) o[i] = f(src[x.offset + i]);
    return out;
  };
}

/** A unary derivative: the gradient g * f'(x) and the JVP t * f'(x). */
function unaryDerivative(name: string, df: (x: Tensor) => Tensor) {
  return {
    name,
    save: ["self"],
    grad: (g: Tensor, s: { self: Tensor }) => [g.mul(df(s.self))],
    jvp: (t: { readonly [k: string]: Tensor | null }, p: { readonly [k: string]: Tensor }) =>
      t.self === null ? null : t.self.mul(df(p.self)),
  };
}

// hardswish(x) = x * min(max(x + 3, 0), 6) / 6; d/dx = 0 below -3, x/3 + 1/2 up to 3, then 1
const hardswishOp = recordingOp(
  "hardswish(Tensor self) -> Tensor",
  activation("hardswish_cpu", (v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6),
  unaryDerivative("HardswishBackward0", (x) =>
    where(x.lt(-3), 0, where(x.le(3), x.div(3).add(0.5), 1)),
  ),
);

// hardsigmoid(x) = min(max(x + 3, 0), 6) / 6; d/dx = 1/6 strictly inside (-3, 3), else 0
const hardsigmoidOp = recordingOp(
  "hardsigmoid(Tensor self) -> Tensor",
  activation("hardsigmoid_cpu", (v) => Math.min(Math.max(v + 3, 0), 6) / 6),
  unaryDerivative("HardsigmoidBackward0", (x) =>
    where(x.gt(-3).logicalAnd(x.lt(3)), 1 / 6, 0).to(x.dtype),
  ),
);

// mish(x) = x tanh(softplus(x)); d/dx = tanh(sp) + x sigmoid(x) (1 - tanh(sp)^2)
const mishOp = recordingOp(
  "mish(Tensor self) -> Tensor",
  activation("mish_cpu", (v) => v * Math.tanh(Math.log1p(Math.exp(v)))),
  unaryDerivative("MishBackward0", (x) => {
    const t = NN.softplus(x).tanh();
    return t.add(x.mul(x.sigmoid()).mul(t.mul(t).rsub(1)));
  }),
);

defineOp({
  name: "mish",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "mish(x) = x * tanh(softplus(x)).",
  example: "F.mish(torch.tensor([1])) // tensor([0.8651])",
  overloads: [
    {
      schema: "mish(Tensor input, bool inplace=False) -> Tensor",
      forward: (input: Tensor, inp: boolean) => maybeInplace(input, inp, true, mishOp),
    },
  ],
});

defineOp({
  name: "hardsigmoid",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "hardsigmoid(x) = clamp(x / 6 + 1/2, 0, 1).",
  example: "F.hardsigmoid(torch.tensor([0, 6])) // tensor([0.5000, 1.0000])",
  overloads: [
    {
      schema: "hardsigmoid(Tensor input, bool inplace=False) -> Tensor",
      forward: (input: Tensor, inp: boolean) => maybeInplace(input, inp, true, hardsigmoidOp),
    },
  ],
});

defineOp({
  name: "hardswish",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "hardswish(x) = x * hardsigmoid(x).",
  example: "F.hardswish(torch.tensor([1, 4])) // tensor([0.6667, 4.0000])",
  overloads: [
    {
      schema: "hardswish(Tensor input, bool inplace=False) -> Tensor",
      forward: (input: Tensor, inp: boolean) => maybeInplace(input, inp, true, hardswishOp),
    },
  ],
});

defineOp({
  name: "sigmoid",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "sigmoid(x) = 1 / (1 + exp(-x)) (deprecated in PyTorch: use torch.sigmoid).",
  example: "F.sigmoid(torch.tensor([0])) // tensor([0.5000])",
  overloads: [
    {
      schema: "sigmoid(Tensor input) -> Tensor",
      forward: (input: Tensor) => {
        warn("nn.functional.sigmoid is deprecated. Use torch.sigmoid instead.");
        return input.sigmoid();
      },
    },
  ],
});

defineOp({
  name: "tanh",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "tanh(x) (deprecated in PyTorch: use torch.tanh).",
  example: "F.tanh(torch.tensor([0])) // tensor([0.])",
  overloads: [
    {
      schema: "tanh(Tensor input) -> Tensor",
      forward: (input: Tensor) => {
        warn("nn.functional.tanh is deprecated. Use torch.tanh instead.");
        return input.tanh();
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// softmax family

/** PyTorch's legacy implicit softmax dim (_get_softmax_dim), with its deprecation warning. */
function softmaxDim(name: string, ndim: number): number {
  warn(
    `Implicit dimension choice for ${name} has been deprecated. Change the call to include dim=X as an argument.`,
  );
  return ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1;
}

/** `dtype=`: the input is cast first (ToCopyBackward0 under the softmax node, as PyTorch). */
const castTo = (t: Tensor, dtype: DType | null): Tensor => (dtype === null ? t : t.to(dtype));

for (const [name, f, doc, example] of [
  [
    "softmax",
    (t: Tensor, d: number) => R.softmax(t, d),
    "softmax(x, dim) = exp(x) / sum(exp(x)) along dim (optionally computed in `dtype`).",
    "F.softmax(torch.tensor([1, 2, 3]), 0) // tensor([0.0900, 0.2447, 0.6652])",
  ],
  [
    "log_softmax",
    (t: Tensor, d: number) => R.logSoftmax(t, d),
    "log_softmax(x, dim) = x - logsumexp(x, dim).",
    "F.logSoftmax(torch.tensor([1, 2, 3]), 0) // tensor([-2.4076, -1.4076, -0.4076])",
  ],
  [
    "softmin",
    (t: Tensor, d: number) => R.softmax(t.neg(), d),
    "softmin(x, dim) = softmax(-x, dim).",
    "F.softmin(torch.tensor([1, 2, 3]), 0) // tensor([0.6652, 0.2447, 0.0900])",
  ],
] as const) {
  defineOp({
    name,
    namespace: "nn.functional",
    python: true,
    variants: ["function"],
    doc,
    example,
    overloads: [
      {
        schema: `${name}(Tensor input, int? dim=None, int _stacklevel=3, ScalarType? dtype=None) -> Tensor`,
        forward: (input: Tensor, dim: number | null, _stacklevel: number, dtype: DType | null) => {
          const d = dim ?? softmaxDim(name, input.dim());
          // softmin negates first, then casts (PyTorch: (-input).softmax(dim, dtype=dtype))
          return name === "softmin"
            ? R.softmax(castTo(input.neg(), dtype), d)
            : f(castTo(input, dtype), d);
        },
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// distances

defineOp({
  name: "normalize",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "normalize(x, p, dim) = x / max(||x||_p, eps) along dim.",
  example: "F.normalize(torch.tensor([[3, 4]])) // tensor([[0.6000, 0.8000]])",
  overloads: [
    {
      schema:
        "normalize(Tensor input, float p=2.0, int dim=1, float eps=1e-12, Tensor? out=None) -> Tensor",
      forward: (input: Tensor, p: number, dim: number, eps: number, out: Tensor | null) => {
        // input / input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
        const denom = R.norm(input, Number(p), dim, true).clamp(Number(eps)).expand(input.shape);
        // torch.div(input, denom, out=out)
        return out === null ? input.div(denom) : writeOut("div", input.div(denom), out, [input]);
      },
    },
  ],
});

defineOp({
  name: "cosine_similarity",
  namespace: "nn.functional",
  variants: ["function"],
  doc: "cosine_similarity(x1, x2, dim) = x1.x2 / (max(||x1||, eps) max(||x2||, eps)) along dim.",
  example: "F.cosineSimilarity(torch.tensor([[1, 0]]), torch.tensor([[1, 1]])) // tensor([0.7071])",
  overloads: [
    {
      schema: "cosine_similarity(Tensor x1, Tensor x2, int dim=1, float eps=1e-08) -> Tensor",
      forward: (x1: Tensor, x2: Tensor, dim: number, eps: number) => {
        // PyTorch 1.13: each input over its own norm, the squared norms clamped at eps^2 in
        // place without recording (so the clamp passes gradients through), then summed
        const dt = promoteTypes(x1.dtype, x2.dtype);
        if (!dt.isFloatingPoint)
          throw runtimeError(
            `expected common dtype to be floating point, yet common dtype is ${scalarTypeName(dt)}`,
          );
        const shape = broadcastShapes(x1.shape, x2.shape);
        const a = x1.to(dt).expand(shape);
        const b = x2.to(dt).expand(shape);
        const na = a.pow(2).sum(dim, true);
        const nb = b.pow(2).sum(dim, true);
        const e2 = Number(eps) * Number(eps);
        noGrad(() => {
          na.clamp_(e2);
          nb.clamp_(e2);
        });
        return a.div(na.sqrt()).mul(b.div(nb.sqrt())).sum(dim);
      },
    },
  ],
});

defineOp({
  name: "pairwise_distance",
  namespace: "nn.functional",
  variants: ["function"],
  doc: "pairwise_distance(x1, x2, p) = ||x1 - x2 + eps||_p over the last dim.",
  example: "F.pairwiseDistance(torch.tensor([[0, 0]]), torch.tensor([[3, 4]])) // tensor([5.0000])",
  overloads: [
    {
      schema:
        "pairwise_distance(Tensor x1, Tensor x2, float p=2, float eps=1e-06, bool keepdim=False) -> Tensor",
      forward: (x1: Tensor, x2: Tensor, p: number, eps: number, keepdim: boolean) => {
        const innermost = Math.max(x1.dim(), x2.dim()) - 1;
        return R.norm(x1.sub(x2).add(Number(eps)), Number(p), innermost, keepdim);
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// dropout

/**
 * dropout(x, p): zero each element with probability p and scale the rest by 1/(1-p). The mask
 * is PyTorch's CPU `bernoulli_(1 - p)` (one double uniform per element from the default
 * generator, 1 where it is < 1 - p), divided by 1 - p in the tensor's dtype, so a seeded run
 * drops the same elements as PyTorch.
 */
function dropoutForward(x: Tensor, p: number, training: boolean, inp: boolean): Tensor {
  // Python's check (a JS integer prints as Python's int), then ATen's for NaN
  const shown = Number.isInteger(p) ? String(p) : formatPyFloat(p);
  if (p < 0 || p > 1)
    throw valueError(`dropout probability has to be between 0 and 1, but got ${shown}`);
  if (Number.isNaN(p))
    throw runtimeError(`dropout probability has to be between 0 and 1, but got ${shown}`);
  if (p === 0 || !training || x.numel() === 0) return x;
  if (!x.dtype.isFloatingPoint)
    throw runtimeError(`"bernoulli_scalar_cpu_" not implemented for '${scalarTypeName(x.dtype)}'`);
  let noise: Tensor;
  if (p === 1) noise = alloc([], x.dtype);
  else {
    noise = alloc(x.shape.slice(), x.dtype);
    const nd = noise.typedArray as Float32Array | Float64Array;
    const q = 1 - p;
    fillBernoulli(nd, q, defaultGenerator);
    // noise.div_(1 - p), in the tensor's dtype
    const scale = x.dtype === float64 ? q : Math.fround(q);
    for (let i = 0; i < nd.length; i++) nd[i] = nd[i] / scale;
  }
  // the mask drawn on the CPU (the same generator draws as the CPU's) and uploaded
  if (onDevice(x)) noise = toDevice(noise);
  return maybeInplace(x, inp, false, (t) => t.mul(noise));
}

defineOp({
  name: "dropout",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "dropout(x, p): zero elements with probability p and scale the rest by 1/(1-p) (training).",
  example: "F.dropout(torch.ones(4), 0.5, false) // tensor([1., 1., 1., 1.])",
  overloads: [
    {
      schema:
        "dropout(Tensor input, float p=0.5, bool training=True, bool inplace=False) -> Tensor",
      forward: (input: Tensor, p: number, training: boolean, inp: boolean) =>
        dropoutForward(input, Number(p), training, inp),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// linear layers and embedding

/**
 * at::linear's composition on an `addmm` (bias, mat1, mat2): addmm for a 2-D input, or a
 * contiguous 3-D one viewed as 2-D; else matmul, then + bias.
 */
function linearBy(
  addmm: (bias: Tensor, mat1: Tensor, mat2: Tensor) => Tensor,
): (input: Tensor, weight: Tensor, bias: Tensor | null) => Tensor {
  return (input, weight, bias) => {
    if (bias !== null && input.dim() === 2) return addmm(bias, input, weight.t());
    if (bias !== null && input.dim() === 3 && input.isContiguous()) {
      const [n0, n1, k] = input.shape;
      const r = addmm(bias, input.view(n0 * n1, k), weight.t());
      return r.view(n0, n1, r.shape[1]);
    }
    const out = input.matmul(weight.t());
    return bias === null ? out : out.add(bias);
  };
}

defineOp({
  name: "linear",
  namespace: "nn.functional",
  variants: ["function"],
  out: true,
  doc: "linear(x, weight, bias) = x @ weight^T + bias (addmm for 2-D inputs, as PyTorch).",
  example: "F.linear(torch.ones(1, 2), torch.ones(3, 2)) // tensor([[2., 2., 2.]])",
  overloads: [
    {
      schema: "linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor",
      forward: linearBy(NN.addmm),
    },
  ],
});

// PyTorch's cosine_similarity is a composite of bfloat16 ops, each rounding (Note [half
// stepwise]): run the composition on the bfloat16 tensors themselves
HALF_OWN.set("cosine_similarity", {
  applies: ([a, b]) =>
    a instanceof Tensor &&
    b instanceof Tensor &&
    a.dtype.name === "bfloat16" &&
    b.dtype.name === "bfloat16",
});

// Note [half gemm]: a bfloat16 linear is at::linear's composition on the registry's addmm,
// whose products round as PyTorch's (NN.addmm, the float path's, has no half kernel)
const halfLinear = linearBy((s, a, b) => (fn("addmm") as typeof NN.addmm)(s, a, b));
HALF_OWN.set("linear", {
  applies: (values) =>
    values.every((v) => v === null || (v instanceof Tensor && v.dtype.name === "bfloat16")),
  forward: (i, w, b) => halfLinear(i as Tensor, w as Tensor, b as Tensor | null),
});

defineOp({
  name: "bilinear",
  namespace: "nn.functional",
  variants: ["function"],
  doc: "bilinear(x1, x2, weight, bias): y_o = x1^T W_o x2 + b_o with weight [out, in1, in2].",
  example:
    "F.bilinear(torch.ones(1, 2), torch.ones(1, 3), torch.ones(4, 2, 3)) // tensor([[6., 6., 6., 6.]])",
  overloads: [
    {
      schema: "bilinear(Tensor input1, Tensor input2, Tensor weight, Tensor? bias=None) -> Tensor",
      forward: bilinearForward,
    },
  ],
});

function bilinearForward(
  input1: Tensor,
  input2: Tensor,
  weight: Tensor,
  bias: Tensor | null,
): Tensor {
  if (input1.dim() !== input2.dim())
    throw runtimeError(
      `bilinear(): input dimensions do not match: got ${input1.dim()} and ${input2.dim()}`,
    );
  for (let i = 0; i < input1.dim() - 1; i++) {
    if (input1.shape[i] !== input2.shape[i])
      throw runtimeError(
        `bilinear(): input batch dimensions do not match: got ${input1.shape[i]} and ${input2.shape[i]}`,
      );
  }
  if (weight.dim() !== 3) throw runtimeError("bilinear(): weight must be a 3-D tensor");
  const [O, I, J] = weight.shape;
  if (input1.shape[input1.dim() - 1] !== I)
    throw runtimeError(
      `bilinear(): input1 size does not match weight size: got ${input1.shape[input1.dim() - 1]} but expected ${I}`,
    );
  if (input2.shape[input2.dim() - 1] !== J)
    throw runtimeError(
      `bilinear(): input2 size does not match weight size: got ${input2.shape[input2.dim() - 1]} but expected ${J}`,
    );
  const lead = input1.shape.slice(0, -1);
  const N = lead.reduce((a, b) => a * b, 1);
  const x1 = input1.reshape(N, I);
  const x2 = input2.reshape(N, 1, J);
  // y[n, o] = sum_ij x1[n, i] W[o, i, j] x2[n, j]: (x1 @ W viewed as [I, O*J]) -> [N, O, J],
  // times x2, summed over J; reshaped to the batch shape (ReshapeAliasBackward0), then + bias
  const w = weight.permute(1, 0, 2).reshape(I, O * J);
  const terms = x1.mm(w).view(N, O, J).mul(x2);
  // an integer sum is int64; PyTorch's bilinear (_trilinear) keeps the inputs' dtype (the
  // integer sum wraps as the narrower type's does)
  const summed = terms.sum(2);
  const out = (summed.dtype === terms.dtype ? summed : summed.to(terms.dtype)).reshape(
    lead.concat([O]),
  );
  return bias === null ? out : out.add(bias);
}

/**
 * Rescale (in place, without recording) the rows of weight used by `indices` whose p-norm
 * exceeds maxNorm to norm maxNorm (PyTorch's embedding_renorm_, scale maxNorm / (norm + 1e-7)).
 */
export function embeddingRenorm(
  weight: Tensor,
  indices: Tensor,
  maxNorm: number,
  normType: number,
): void {
  noGrad(() => {
    const seen = new Set<number>();
    const idx = indices.contiguous();
    for (let i = 0; i < idx.numel(); i++) {
      const k = idx.typedArray[idx.offset + i];
      if (seen.has(k)) continue;
      seen.add(k);
      const row = weight.select(0, k);
      const norm = Number(R.norm(row, normType).item());
      if (norm > maxNorm) {
        const scale = maxNorm / (norm + 1e-7);
        const s = weight.dtype === float64 ? scale : Math.fround(scale);
        for (let j = 0; j < row.numel(); j++) {
          const off = row.offset + j * row.strides[0];
          weight.typedArray[off] = weight.typedArray[off] * s;
        }
      }
    }
    weight._version.value++;
  });
}

defineOp({
  name: "embedding",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "embedding(indices, weight): the rows of `weight` at the integer indices.",
  example:
    "F.embedding(torch.tensor([1], { dtype: torch.long }), torch.eye(2)) // tensor([[0., 1.]])",
  overloads: [
    {
      schema:
        "embedding(Tensor input, Tensor weight, int? padding_idx=None, float? max_norm=None, float norm_type=2.0, bool scale_grad_by_freq=False, bool sparse=False) -> Tensor",
      forward: (
        input: Tensor,
        weight: Tensor,
        paddingIdx: number | null,
        maxNorm: number | null,
        normType: number,
        scaleGradByFreq: boolean,
        sparse: boolean,
      ) => {
        let pad = -1;
        if (paddingIdx !== null) {
          // Python asserts
          if (paddingIdx > 0 && !(paddingIdx < weight.shape[0]))
            throw assertionError("Padding_idx must be within num_embeddings");
          if (paddingIdx < 0 && !(paddingIdx >= -weight.shape[0]))
            throw assertionError("Padding_idx must be within num_embeddings");
          pad = paddingIdx < 0 ? weight.shape[0] + paddingIdx : paddingIdx;
        }
        if (maxNorm !== null) embeddingRenorm(weight, input, maxNorm, normType);
        return NN.embedding(weight, input, pad, scaleGradByFreq, sparse);
      },
    },
  ],
});

defineOp({
  name: "one_hot",
  namespace: "nn.functional",
  variants: ["function"],
  doc: "one_hot(indices, num_classes): int64 [..., num_classes] with a 1 at each index.",
  example:
    "F.oneHot(torch.tensor([0, 2], { dtype: torch.long }), 3) // tensor([[1, 0, 0], [0, 0, 1]])",
  overloads: [
    {
      schema: "one_hot(Tensor self, int num_classes=-1) -> Tensor",
      forward: (self: Tensor, numClasses: number) => {
        // ATen's order: dtype, the empty case, then the smallest and the largest class
        if (self.dtype !== int64) throw runtimeError("one_hot is only applicable to index tensor.");
        const n = self.numel();
        if (n === 0) {
          if (numClasses <= 0)
            throw runtimeError("Can not infer total number of classes from empty tensor.");
          return alloc(self.shape.concat([numClasses]), int64);
        }
        const vals = self.contiguous();
        const v = vals.typedArray.subarray(vals.offset, vals.offset + n);
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = 0; i < n; i++) {
          lo = Math.min(lo, v[i]);
          hi = Math.max(hi, v[i]);
        }
        if (lo < 0) throw runtimeError("Class values must be non-negative.");
        let C = numClasses;
        if (C === -1) C = hi + 1;
        else if (!(C > hi)) throw runtimeError("Class values must be smaller than num_classes.");
        const out = alloc(self.shape.concat([C]), int64);
        for (let i = 0; i < n; i++) out.typedArray[i * C + v[i]] = 1;
        return out;
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// convolution

/** A tensor's dtype as C++'s TypeMeta names it in messages ("float", "long int"). */
function cppTypeName(d: DType): string {
  if (d === float64) return "double";
  if (d === int64) return "long int";
  if (d === int32) return "int";
  if (d === bool) return "bool";
  return "float";
}

/** An int[] argument of a k-d convolution: one value for every dim, or one per dim. */
function expandParam(v: readonly number[], name: string, k: number): number[] {
  if (v.length === 1) return new Array<number>(k).fill(v[0]);
  if (v.length !== k)
    throw runtimeError(
      `expected ${name} to be a single integer value or a list of ${k} values to match the convolution dimensions, but got ${name}=[${v.join(", ")}]`,
    );
  return v.slice();
}

/** PyTorch's batchify: a (k+1)-D input gets a batch dim of 1 (squeezed again afterwards). */
function batchify(x: Tensor, k: number, name: string): [Tensor, boolean] {
  if (x.dim() !== k + 1 && x.dim() !== k + 2)
    throw runtimeError(
      `Expected ${k + 1}D (unbatched) or ${k + 2}D (batched) input to ${name}, but got input of size: [${x.shape.join(", ")}]`,
    );
  const batched = x.dim() === k + 2;
  return [batched ? x : x.unsqueeze(0), batched];
}

let warnedSamePadding = false;

/** conv1d / conv2d (PyTorch's convNd and _convolution_mode for "valid" / "same"). */
function convNd(
  k: number,
  name: string,
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  stride: number[],
  pad: number[] | string,
  dilation: number[],
  groups: number,
): Tensor {
  if (b !== null && b.dtype !== x.dtype)
    throw runtimeError(
      `Input type (${cppTypeName(x.dtype)}) and bias type (${cppTypeName(b.dtype)}) should be the same`,
    );
  const [bx, batched] = batchify(x, k, name);
  let input = bx;
  let padding: number[];
  if (typeof pad !== "string") padding = pad;
  else if (pad === "valid") padding = new Array<number>(k).fill(0);
  else if (pad === "same") {
    if (stride.some((s) => s !== 1))
      throw runtimeError("padding='same' is not supported for strided convolutions");
    // total padding d*(k-1) per dim; an odd total puts the extra zero on the right
    padding = [];
    for (let i = 0; i < k; i++) {
      const d = dilation.length === 1 ? dilation[0] : dilation[i];
      const total = d * (w.shape[2 + i] - 1);
      padding.push(Math.floor(total / 2));
      if (total % 2 === 1) {
        if (!warnedSamePadding) {
          warnedSamePadding = true;
          warn(
            "Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy of the input be created",
          );
        }
        const extraShape = input.shape.slice();
        extraShape[2 + i] = 1;
        input = cat([input, zeros(extraShape, { dtype: input.dtype })], 2 + i);
      }
    }
  } else throw runtimeError(`Invalid padding string: '${pad}'`);
  const y = convolution(input, w, b, {
    stride: expandParam(stride, "stride", k),
    padding: expandParam(padding, "padding", k),
    dilation: expandParam(dilation, "dilation", k),
    transposed: false,
    outputPadding: new Array<number>(k).fill(0),
    groups,
  });
  return batched ? y : y.squeeze(0);
}

/** conv_transpose1d / conv_transpose2d (PyTorch's conv_transposeNd). */
function convTransposeNd(
  k: number,
  name: string,
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  stride: number[],
  padding: number[],
  outputPadding: number[],
  groups: number,
  dilation: number[],
): Tensor {
  const [input, batched] = batchify(x, k, name);
  const y = convolution(input, w, b, {
    stride: expandParam(stride, "stride", k),
    padding: expandParam(padding, "padding", k),
    dilation: expandParam(dilation, "dilation", k),
    transposed: true,
    outputPadding: expandParam(outputPadding, "output_padding", k),
    groups,
  });
  return batched ? y : y.squeeze(0);
}

// conv1d/2d/3d and conv_transpose1d/2d/3d are builtins PyTorch has as torch.x and F.x
for (const [k, ns] of [1, 2, 3].flatMap((d) =>
  (["torch", "nn.functional"] as const).map((n) => [d, n] as const),
)) {
  const name = `conv${k}d`;
  const prefix = ns === "torch" ? "torch" : "F";
  defineOp({
    name,
    namespace: ns,
    variants: ["function"],
    doc: `${name}(x, weight, bias): ${k}-D convolution (cross-correlation) with stride, padding ("valid", "same" or sizes), dilation and groups.`,
    example:
      k === 1
        ? `${prefix}.conv1d(torch.ones(1, 1, 4), torch.ones(1, 1, 2)) // tensor([[[2., 2., 2.]]])`
        : k === 2
          ? `${prefix}.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2), null, { padding: 'same' }).shape // [1, 1, 3, 3]`
          : `${prefix}.conv3d(torch.ones(1, 1, 3, 3, 3), torch.ones(2, 1, 2, 2, 2)).shape // [1, 2, 2, 2, 2]`,
    overloads: [
      {
        schema: `${name}(Tensor input, Tensor weight, Tensor? bias=None, int[${k}] stride=1, int[${k}] padding=0, int[${k}] dilation=1, int groups=1) -> Tensor`,
        forward: (
          input: Tensor,
          weight: Tensor,
          bias: Tensor | null,
          stride: number[],
          padding: number[],
          dilation: number[],
          groups: number,
        ) => convNd(k, name, input, weight, bias, stride, padding, dilation, groups),
      },
      {
        schema: `${name}.padding(Tensor input, Tensor weight, Tensor? bias=None, int[${k}] stride=1, str padding="valid", int[${k}] dilation=1, int groups=1) -> Tensor`,
        forward: (
          input: Tensor,
          weight: Tensor,
          bias: Tensor | null,
          stride: number[],
          padding: string,
          dilation: number[],
          groups: number,
        ) => convNd(k, name, input, weight, bias, stride, padding, dilation, groups),
      },
    ],
  });
  const tname = `conv_transpose${k}d`;
  defineOp({
    name: tname,
    namespace: ns,
    variants: ["function"],
    doc: `${tname}(x, weight, bias): the ${k}-D transposed convolution (the adjoint of ${name}), weight [in, out/groups, ...].`,
    example:
      k === 1
        ? `${prefix}.convTranspose1d(torch.ones(1, 1, 2), torch.ones(1, 1, 2)) // tensor([[[1., 2., 1.]]])`
        : k === 2
          ? `${prefix}.convTranspose2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 3, 3), null, 2).shape // [1, 1, 5, 5]`
          : `${prefix}.convTranspose3d(torch.ones(1, 1, 2, 2, 2), torch.ones(1, 3, 2, 2, 2), null, 2).shape // [1, 3, 4, 4, 4]`,
    overloads: [
      {
        schema: `${tname}${k > 1 ? ".input" : ""}(Tensor input, Tensor weight, Tensor? bias=None, int[${k}] stride=1, int[${k}] padding=0, int[${k}] output_padding=0, int groups=1, int[${k}] dilation=1) -> Tensor`,
        forward: (
          input: Tensor,
          weight: Tensor,
          bias: Tensor | null,
          stride: number[],
          padding: number[],
          outputPadding: number[],
          groups: number,
          dilation: number[],
        ) =>
          convTransposeNd(
            k,
            tname,
            input,
            weight,
            bias,
            stride,
            padding,
            outputPadding,
            groups,
            dilation,
          ),
      },
    ],
  });
}

// conv_tbc (issue 11, h-nnpool): a 1-D convolution over [time, batch, channels] input with a
// [kernel, in, out] weight, out[t, b, o] = bias[o] + sum_{k, c} x[t + k - pad, b, c] w[k, c, o];
// computed as conv1d on permuted views, recorded as one ConvTbcBackward0 node

/** conv_tbc's operands as conv1d's: x [B, Cin, T] (narrowed for a negative pad), w [Cout, Cin, K]. */
function tbcAsConv1d(x: Tensor, w: Tensor, pad: number): [Tensor, Tensor, ConvArgs] {
  let xc = x.permute([1, 2, 0]);
  if (pad < 0) xc = xc.narrow(2, -pad, Math.max(xc.shape[2] + 2 * pad, 0));
  const args: ConvArgs = {
    stride: [1],
    padding: [Math.max(pad, 0)],
    dilation: [1],
    transposed: false,
    outputPadding: [0],
    groups: 1,
  };
  return [xc, w.permute([2, 1, 0]), args];
}

function convTbc(x: Tensor, w: Tensor, b: Tensor, pad: number): Tensor {
  if (x.dim() !== 3) throw runtimeError("Input must have 3 dims: time, batch, in_channel");
  if (w.dim() !== 3)
    throw runtimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.");
  if (b.dim() !== 1) throw runtimeError("Bias must be 1-D");
  if (x.shape[2] !== w.shape[1])
    throw runtimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor");
  if (w.shape[2] !== b.shape[0])
    throw runtimeError("Bias size must equal dim 2 in the weight tensor (output channels).");
  const olen = x.shape[0] - w.shape[0] + 1 + 2 * pad;
  if (olen < 0)
    throw runtimeError(
      `Trying to create tensor with negative dimension ${olen}: [${olen}, ${x.shape[1]}, ${w.shape[2]}]`,
    );
  const [xc, wc, args] = tbcAsConv1d(x, w, pad);
  if (olen === 0 || x.shape[1] === 0)
    return zeros([olen, x.shape[1], w.shape[2]], { dtype: x.dtype });
  return convolution(xc, wc, b, args).permute([2, 0, 1]).contiguous();
}

const CONV_TBC_SCHEMA = "conv_tbc(Tensor self, Tensor weight, Tensor bias, int pad=0) -> Tensor";
// torch.conv_tbc and F.conv_tbc are one builtin: one recording op for both entries
const convTbcOp = recordingOp(
  CONV_TBC_SCHEMA,
  (self: Tensor, weight: Tensor, bias: Tensor, pad: number) =>
    noGrad(() => convTbc(self, weight, bias, pad)),
  // conv_tbc_backward: conv1d's input, weight and bias gradients, permuted back
  {
    name: "ConvTbcBackward0",
    save: ["self", "weight"],
    attrs: ["pad"],
    grad: (g: Tensor, s: { self: Tensor; weight: Tensor }, a: { pad: number }, n) => {
      const [xc, wc, args] = tbcAsConv1d(s.self, s.weight, a.pad);
      const [gx, gw, gb] = convolutionBackward(g.permute([1, 2, 0]), xc, wc, xc.shape, args, [
        n.needsInputGrad(0),
        n.needsInputGrad(1),
        n.needsInputGrad(2),
      ]);
      let gxt: Tensor | null = null;
      if (gx !== null) {
        // a negative pad narrowed the input: its cut ends get no gradient
        let full = gx;
        if (a.pad < 0) {
          const edge = [gx.shape[0], gx.shape[1], -a.pad];
          const z = zeros(edge, { dtype: gx.dtype });
          full = cat([z, gx, z], 2);
        }
        gxt = full.permute([2, 0, 1]);
      }
      return [gxt, gw === null ? null : gw.permute([2, 1, 0]), gb];
    },
    // bilinear: conv_tbc(dx, w, 0) + conv_tbc(x, dw, 0) + db
    jvp: (
      t: { self: Tensor | null; weight: Tensor | null; bias: Tensor | null },
      p: { self: Tensor; weight: Tensor; bias: Tensor },
      out: Tensor,
      a: { pad: number },
    ) => {
      const zb = zeros([out.shape[2]], { dtype: out.dtype });
      let r: Tensor | null = null;
      if (t.self !== null) r = convTbc(t.self, p.weight, zb, a.pad);
      if (t.weight !== null) {
        const term = convTbc(p.self, t.weight, zb, a.pad);
        r = r === null ? term : r.add(term);
      }
      if (t.bias !== null) r = r === null ? t.bias.expand(out.shape) : r.add(t.bias);
      return r;
    },
  },
);

for (const ns of ["torch", "nn.functional"] as const) {
  defineOp({
    name: "conv_tbc",
    namespace: ns,
    variants: ["function"],
    doc: "conv_tbc(x, weight, bias, pad): 1-D convolution of a [time, batch, channels] input with a [kernel, in, out] weight (fairseq's layout).",
    example: `${ns === "torch" ? "torch" : "F"}.convTbc(torch.ones(4, 1, 1), torch.ones(2, 1, 1), torch.zeros(1)).view(-1) // tensor([2., 2., 2.])`,
    overloads: [{ schema: CONV_TBC_SCHEMA, forward: convTbcOp }],
  });
}

// ---------------------------------------------------------------------------------------------
// normalisation

/**
 * F._verify_batch_size: training statistics need more than one value per channel. `size` is
 * printed as Python prints it (a torch.Size or a list).
 */
function verifyBatchSize(size: readonly number[], shown: string): void {
  let prods = size[0];
  for (let i = 2; i < size.length; i++) prods *= size[i];
  if (prods === 1)
    throw valueError(
      `Expected more than 1 value per channel when training, got input size ${shown}`,
    );
}

defineOp({
  name: "batch_norm",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps): per-channel normalisation (batch statistics in training, updating the running ones in place).",
  example:
    "F.batchNorm(torch.tensor([[1], [3]]), null, null, { training: true }) // tensor([[-1.0000], [ 1.0000]])",
  overloads: [
    {
      schema:
        "batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight=None, Tensor? bias=None, bool training=False, float momentum=0.1, float eps=1e-05) -> Tensor",
      forward: (
        input: Tensor,
        runningMean: Tensor | null,
        runningVar: Tensor | null,
        weight: Tensor | null,
        bias: Tensor | null,
        training: boolean,
        momentum: number,
        eps: number,
      ) => {
        if (training) verifyBatchSize(input.shape, String(new Size(input.shape)));
        if (input.numel() === 0) {
          // PyTorch returns a copy (not a view, not empty: the gradient chain stays intact)
          let out = input.clone();
          if (weight !== null) out = out.mul(weight.index(0));
          if (bias !== null) out = out.add(bias.index(0));
          return out;
        }
        return batchNormOp(
          input,
          runningMean,
          runningVar,
          weight,
          bias,
          training,
          Number(momentum),
          Number(eps),
        );
      },
    },
  ],
});

defineOp({
  name: "layer_norm",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "layer_norm(x, normalized_shape, weight, bias, eps): normalise over the trailing dims.",
  example: "F.layerNorm(torch.tensor([[1, 3]]), [2]) // tensor([[-1.0000,  1.0000]])",
  overloads: [
    {
      schema:
        "layer_norm(Tensor input, int[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1e-05) -> Tensor",
      forward: (
        input: Tensor,
        normalizedShape: number[],
        weight: Tensor | null,
        bias: Tensor | null,
        eps: number,
      ) => layerNormOp(input, normalizedShape, weight, bias, Number(eps)),
    },
  ],
});

defineOp({
  name: "group_norm",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "group_norm(x, num_groups, weight, bias, eps): normalise each group of channels.",
  example:
    "F.groupNorm(torch.tensor([[1, 3]]).view(1, 2, 1), 1).view(-1) // tensor([-1.0000,  1.0000])",
  overloads: [
    {
      schema:
        "group_norm(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None, float eps=1e-05) -> Tensor",
      forward: (
        input: Tensor,
        numGroups: number,
        weight: Tensor | null,
        bias: Tensor | null,
        eps: number,
      ) => {
        if (input.dim() >= 2 && numGroups !== 0) {
          const size = [
            Math.floor((input.shape[0] * input.shape[1]) / numGroups),
            numGroups,
            ...input.shape.slice(2),
          ];
          verifyBatchSize(size, `[${size.join(", ")}]`);
        }
        return groupNormOp(input, numGroups, weight, bias, Number(eps));
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// The aten forms under torch (torch.batch_norm, torch.layer_norm, torch.group_norm,
// torch.embedding, torch.bilinear, torch.convolution): what traced or older scripts call, in
// native_functions.yaml's argument order (torch.embedding takes weight first), on the kernels
// of the nn.functional forms above.

defineOp({
  name: "batch_norm",
  variants: ["function"],
  doc: "aten's batch_norm: per-channel normalisation with batch statistics when `training` (updating the running ones in place), the running ones otherwise.",
  example:
    "torch.batchNorm(torch.tensor([[1], [3]]), null, null, null, null, true, 0.1, 1e-5, false) // tensor([[-1.0000], [ 1.0000]])",
  overloads: [
    {
      schema:
        "batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool training, float momentum, float eps, bool cudnn_enabled) -> Tensor",
      forward: (
        input: Tensor,
        weight: Tensor | null,
        bias: Tensor | null,
        runningMean: Tensor | null,
        runningVar: Tensor | null,
        training: boolean,
        momentum: number,
        eps: number,
      ) =>
        batchNormOp(
          input,
          runningMean,
          runningVar,
          weight,
          bias,
          training,
          Number(momentum),
          Number(eps),
        ),
    },
  ],
});

defineOp({
  name: "layer_norm",
  variants: ["function"],
  doc: "aten's layer_norm: normalisation over the trailing `normalizedShape` dims.",
  example: "torch.layerNorm(torch.tensor([[1, 3]]), [2]) // tensor([[-1.0000,  1.0000]])",
  overloads: [
    {
      schema:
        "layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, bool cudnn_enable=True) -> Tensor",
      forward: (
        input: Tensor,
        normalizedShape: number[],
        weight: Tensor | null,
        bias: Tensor | null,
        eps: number,
      ) => layerNormOp(input, normalizedShape, weight, bias, Number(eps)),
    },
  ],
});

defineOp({
  name: "group_norm",
  variants: ["function"],
  doc: "aten's group_norm: normalisation of each group of `numGroups` channel groups.",
  example:
    "torch.groupNorm(torch.tensor([[1, 3]]).view(1, 2, 1), 1).view(-1) // tensor([-1.0000,  1.0000])",
  overloads: [
    {
      schema:
        "group_norm(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, bool cudnn_enabled=True) -> Tensor",
      forward: (
        input: Tensor,
        numGroups: number,
        weight: Tensor | null,
        bias: Tensor | null,
        eps: number,
      ) => groupNormOp(input, numGroups, weight, bias, Number(eps)),
    },
  ],
});

defineOp({
  name: "embedding",
  variants: ["function"],
  doc: "aten's embedding: the rows of `weight` at `indices` (weight first; `paddingIdx` -1 for none; `sparse`: a sparse COO gradient for the weight).",
  example:
    "torch.embedding(torch.eye(2), torch.tensor([1], { dtype: torch.long })) // tensor([[0., 1.]])",
  overloads: [
    {
      schema:
        "embedding(Tensor weight, Tensor indices, SymInt padding_idx=-1, bool scale_grad_by_freq=False, bool sparse=False) -> Tensor",
      forward: (
        weight: Tensor,
        indices: Tensor,
        paddingIdx: number,
        scaleGradByFreq: boolean,
        sparse: boolean,
      ) => {
        return NN.embedding(weight, indices, paddingIdx, scaleGradByFreq, sparse);
      },
    },
  ],
});

defineOp({
  name: "bilinear",
  variants: ["function"],
  doc: "aten's bilinear: y_o = x1^T W_o x2 + b_o with weight [out, in1, in2].",
  example:
    "torch.bilinear(torch.ones(1, 2), torch.ones(1, 3), torch.ones(4, 2, 3)) // tensor([[6., 6., 6., 6.]])",
  overloads: [
    {
      schema: "bilinear(Tensor input1, Tensor input2, Tensor weight, Tensor? bias=None) -> Tensor",
      forward: bilinearForward,
    },
  ],
});

defineOp({
  name: "convolution",
  variants: ["function"],
  doc: "aten's convolution: 1-d, 2-d or 3-d, transposed or not, with all of its geometry given (ConvolutionBackward0).",
  example:
    "torch.convolution(torch.ones(1, 1, 3), torch.ones(1, 1, 2), null, [1], [0], [1], false, [0], 1) // tensor([[[2., 2.]]])",
  overloads: [
    {
      schema:
        "convolution(Tensor input, Tensor weight, Tensor? bias, int[] stride, SymInt[] padding, int[] dilation, bool transposed, SymInt[] output_padding, int groups) -> Tensor",
      forward: (
        input: Tensor,
        weight: Tensor,
        bias: Tensor | null,
        stride: number[],
        padding: number[],
        dilation: number[],
        transposed: boolean,
        outputPadding: number[],
        groups: number,
      ) => {
        // ATen's expand_param_if_needed: one value serves every spatial dim
        const k = input.dim() - 2;
        const expand = (p: number[], name: string): number[] => {
          if (p.length === 1 && k > 1) return Array.from({ length: k }, () => p[0]);
          if (p.length !== k && k >= 1)
            throw runtimeError(
              `expected ${name} to be a single integer value or a list of ${k} values to match the convolution dimensions, but got ${name}=[${p.join(", ")}]`,
            );
          return p;
        };
        return convolution(input, weight, bias, {
          stride: expand(stride, "stride"),
          padding: expand(padding, "padding"),
          dilation: expand(dilation, "dilation"),
          transposed,
          outputPadding: expand(outputPadding, "output_padding"),
          groups,
        });
      },
    },
  ],
});

// torch.rnn_tanh_cell / rnn_relu_cell / gru_cell / lstm_cell: one step of a recurrent cell from
// its weights (what nn.RNNCell & co. compute), with ATen's checks of the sizes

/** ATen's check_rnn_cell_forward_input / _hidden. */
function checkCell(input: Tensor, hx: Tensor, wIh: Tensor, hidden: number, name: string): void {
  if (input.shape[1] !== wIh.shape[1])
    throw runtimeError(
      `input has inconsistent input_size: got ${input.shape[1]} expected ${wIh.shape[1]}`,
    );
  if (input.shape[0] !== hx.shape[0])
    throw runtimeError(
      `Input batch size ${input.shape[0]} doesn't match ${name} batch size ${hx.shape[0]}`,
    );
  if (hx.shape[1] !== hidden)
    throw runtimeError(
      `${name} has inconsistent hidden_size: got ${hx.shape[1]}, expected ${hidden}`,
    );
}

for (const [name, mode, chunks, example] of [
  ["rnn_tanh_cell", "RNN_TANH", 1, "h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)"],
  ["rnn_relu_cell", "RNN_RELU", 1, "h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)"],
  ["gru_cell", "GRU", 3, "the GRU update of h (reset, update and new gates)"],
] as const) {
  defineOp({
    name,
    variants: ["function"],
    doc: `One step of a recurrent cell from its weights: ${example} (as nn.${mode === "GRU" ? "GRUCell" : "RNNCell"}).`,
    example: `torch.${name === "gru_cell" ? "gruCell" : name === "rnn_tanh_cell" ? "rnnTanhCell" : "rnnReluCell"}(torch.zeros(1, 2), torch.zeros(1, 1), torch.ones(${chunks}, 2), torch.ones(${chunks}, 1)).shape // [1, 1]`,
    overloads: [
      {
        schema: `${name}(Tensor input, Tensor hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None, Tensor? b_hh=None) -> Tensor`,
        forward: (
          input: Tensor,
          hx: Tensor,
          wIh: Tensor,
          wHh: Tensor,
          bIh: Tensor | null,
          bHh: Tensor | null,
        ) => {
          checkCell(input, hx, wIh, wHh.shape[1], "hidden0");
          return rnnCellStep(mode, rnnLinear(input, wIh, bIh), hx, null, wHh, bHh)[0];
        },
      },
    ],
  });
}

defineOp({
  name: "lstm_cell",
  variants: ["function"],
  doc: "One step of an LSTM cell from its weights: the new (h, c) from hx = [h, c] (as nn.LSTMCell).",
  example:
    "torch.lstmCell(torch.zeros(1, 2), [torch.zeros(1, 1), torch.zeros(1, 1)], torch.ones(4, 2), torch.ones(4, 1))[1].shape // [1, 1]",
  overloads: [
    {
      schema:
        "lstm_cell(Tensor input, Tensor[] hx, Tensor w_ih, Tensor w_hh, Tensor? b_ih=None, Tensor? b_hh=None) -> (Tensor, Tensor)",
      forward: (
        input: Tensor,
        hx: Tensor[],
        wIh: Tensor,
        wHh: Tensor,
        bIh: Tensor | null,
        bHh: Tensor | null,
      ) => {
        if (hx.length !== 2) throw runtimeError("lstm_cell expects two hidden states");
        checkCell(input, hx[0], wIh, wHh.shape[1], "hidden0");
        checkCell(input, hx[1], wIh, wHh.shape[1], "hidden1");
        const [h, c] = rnnCellStep("LSTM", rnnLinear(input, wIh, bIh), hx[0], hx[1], wHh, bHh);
        return [h, c as Tensor];
      },
    },
  ],
});
