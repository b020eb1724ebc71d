/**
 * The random ops: the factories rand, randn, randint, randperm, normal and the `*_like` forms,
 * bernoulli and multinomial, and the in-place fills uniform_, normal_, exponential_, cauchy_,
 * log_normal_, geometric_, bernoulli_, random_. One `defineOp` per op (see ../define.ts), with PyTorch 1.13's schemas.
 *
 * `generator` is keyword-only, as in PyTorch: a torch.Generator, or null/absent for
 * torch.defaultGenerator. PyTorch declares the factories twice, with and without a generator
 * (`rand.generator(int[] size, *, Generator? generator, ...)`, whose `generator` has no
 * default, and `rand(int[] size, *, ...)`): its parser tries them in that order, so a call
 * without `generator` binds the second, and errors list both. The draws are the kernels' of
 * src/ops/distributions.ts and src/random.ts, PyTorch's numbers for the same generator state.
 */
import { Tensor } from "../../tensor.js";
import { DType, float32, float64, getDefaultDtype, int64 } from "../../dtype.js";
import { contiguousStrides } from "../../shape.js";
import * as D from "../../ops/distributions.js";
import { randpermArray } from "../../ops/randperm.js";
import { defaultGenerator } from "../../generator.js";
import { zerosLike } from "../../ops/creation.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { notImplementedError, runtimeError } from "../../errors.js";
import { scalarTypeName } from "../../ops/core.js";
import * as S from "../samplers.js";
import type { CPUGeneratorImpl } from "../../random.js";
import { defineOp, type DerivativeDecl } from "../define.js";
import { HALF_OWN } from "../half-compute.js";
import { allocating, checkOptions, type Device, type Layout } from "./creation.js";

type Gen = CPUGeneratorImpl | null;
type MemoryFormat = "contiguous_format" | "preserve_format" | "channels_last" | null;

// the uniform and normal draws compute in the half types themselves (Note [half draws])
for (const name of ["rand", "randn", "rand_like", "randn_like", "uniform_", "normal_"])
  HALF_OWN.set(name, {});

const OPTS =
  "ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None";
/** randint's and randperm's options: int64 unless a dtype is given (`dtype=long`) */
const LONG_OPTS =
  "ScalarType? dtype=long, Layout? layout=None, Device? device=None, bool? pin_memory=None";
const LIKE_OPTS = `${OPTS}, MemoryFormat? memory_format=None`;

/** A `ScalarType? dtype=long` argument: "long" (the schema's default) and None are int64. */
const longDtype = (dtype: DType | "long" | null): DType => (dtype instanceof DType ? dtype : int64);

/**
 * A size with no negative dim and fewer than 2^24 elements: allocating()'s checks would pass,
 * so the common small calls skip them (and the closure they take).
 */
function small(size: readonly number[]): boolean {
  let n = 1;
  for (let i = 0; i < size.length; i++) {
    const d = size[i];
    if (d < 0) return false;
    n *= d;
  }
  return n < 16777216;
}

// ---------------------------------------------------------------------------------------------
// rand, randn

/**
 * rand / randn: PyTorch's four overloads (with generator and names, with generator, plain, with
 * names), the named ones listed only. `draw` makes the tensor from the size, dtype, generator.
 */
function sizeFactory(
  name: "rand" | "randn",
  draw: (size: number[], dtype: DType, gen: Gen) => Tensor,
  doc: string,
  example: string,
): void {
  const make = (
    size: number[],
    gen: Gen,
    dtype: DType | null,
    layout: Layout,
    device: Device,
    pinMemory: boolean | null,
  ): Tensor => {
    checkOptions(layout, device, pinMemory);
    const dt = dtype ?? getDefaultDtype();
    return small(size) ? draw(size, dt, gen) : allocating(size, dt, () => draw(size, dt, gen));
  };
  defineOp({
    name,
    variants: ["function"],
    doc,
    example,
    overloads: [
      {
        schema: `${name}.generator_with_names(int[] size, *, Generator? generator, Dimname[]? names, ${OPTS}) -> Tensor`,
        forward: null,
      },
      {
        schema: `${name}.generator(int[] size, *, Generator? generator, ${OPTS}) -> Tensor`,
        out: true,
        forward: make,
      },
      {
        schema: `${name}(int[] size, *, ${OPTS}) -> Tensor`,
        out: true,
        forward: (
          size: number[],
          dtype: DType | null,
          layout: Layout,
          device: Device,
          pinMemory: boolean | null,
        ) => make(size, null, dtype, layout, device, pinMemory),
      },
      {
        schema: `${name}.names(int[] size, *, Dimname[]? names, ${OPTS}) -> Tensor`,
        forward: null,
      },
    ],
  });
}

sizeFactory(
  "rand",
  (size, dtype, gen) => D.randUniform(size, dtype, gen),
  "Uniform samples on [0, 1) of the given size (varargs or a list); PyTorch's numbers for the same seed.",
  "torch.manualSeed(0); torch.rand(2) // tensor([0.4963, 0.7682])",
);
sizeFactory(
  "randn",
  (size, dtype, gen) => D.randNormal(size, dtype, 0, 1, gen),
  "Standard normal samples of the given size (varargs or a list); PyTorch's numbers for the same seed.",
  "const g = new torch.Generator().manualSeed(2147483647); torch.randn([27, 10], { generator: g }).shape // [27, 10]",
);

// ---------------------------------------------------------------------------------------------
// randint, randperm

/** randint: empty(size, dtype).random_(low, high, generator), as at::randint. */
function randintForward(
  low: number,
  high: number,
  size: number[],
  gen: Gen,
  dtype: DType | "long" | null,
  layout: Layout,
  device: Device,
  pinMemory: boolean | null,
): Tensor {
  checkOptions(layout, device, pinMemory);
  const dt = longDtype(dtype);
  return allocating(size, dt, () =>
    fillFresh(size, dt, contiguousStrides(size), (r) => D.randomFromTo_(r, low, high, gen)),
  );
}

/**
 * A new tensor of `shape` and `dtype` with the given strides (a permutation of a contiguous
 * layout: empty_like's preserve_format), filled in place by `fill` without recording.
 */
function fillFresh(
  shape: readonly number[],
  dtype: DType,
  strides: readonly number[],
  fill: (t: Tensor) => unknown,
): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  const t = new Tensor(new dtype.ArrayType(n), shape.slice(), strides.slice(), 0, dtype);
  noGrad(() => fill(t));
  return t;
}

defineOp({
  name: "randint",
  variants: ["function"],
  doc: "Integers drawn uniformly from [low, high) (low = 0 by default), int64 unless a dtype is given.",
  example:
    "const g = new torch.Generator().manualSeed(2147483647); torch.randint(27, [32], { generator: g }).dtype // torch.int64",
  overloads: [
    {
      schema: `randint.generator(int high, int[] size, *, Generator? generator, ${LONG_OPTS}) -> Tensor`,
      out: true,
      forward: (
        high: number,
        size: number[],
        gen: Gen,
        dtype: DType | "long" | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => randintForward(0, high, size, gen, dtype, layout, device, pinMemory),
    },
    {
      schema: `randint(int high, int[] size, *, ${LONG_OPTS}) -> Tensor`,
      out: true,
      forward: (
        high: number,
        size: number[],
        dtype: DType | "long" | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => randintForward(0, high, size, null, dtype, layout, device, pinMemory),
    },
    {
      schema: `randint.low_generator(int low, int high, int[] size, *, Generator? generator, ${LONG_OPTS}) -> Tensor`,
      out: true,
      forward: randintForward,
    },
    {
      schema: `randint.low(int low, int high, int[] size, *, ${LONG_OPTS}) -> Tensor`,
      out: true,
      forward: (
        low: number,
        high: number,
        size: number[],
        dtype: DType | "long" | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => randintForward(low, high, size, null, dtype, layout, device, pinMemory),
    },
  ],
});

/** randperm: a Fisher-Yates pass as randperm_cpu, in the given dtype (int64 by default). */
function randpermForward(
  n: number,
  gen: Gen,
  dtype: DType | "long" | null,
  layout: Layout,
  device: Device,
  pinMemory: boolean | null,
): Tensor {
  checkOptions(layout, device, pinMemory);
  const dt = longDtype(dtype);
  return n >= 0 && n < 16777216
    ? permutation(n, gen, dt)
    : allocating([n], dt, () => permutation(n, gen, dt));
}

function permutation(n: number, gen: Gen, dt: DType): Tensor {
  const perm = randpermArray(n, gen ?? defaultGenerator);
  const data = new dt.ArrayType(n);
  for (let i = 0; i < n; i++) data[i] = perm[i];
  return new Tensor(data, [n], [1], 0, dt);
}

defineOp({
  name: "randperm",
  variants: ["function"],
  doc: "A random permutation of 0..n-1 (int64 unless a dtype is given).",
  example: "torch.manualSeed(0); torch.randperm(10) // tensor([4, 1, 7, 5, 3, 9, 0, 8, 6, 2])",
  overloads: [
    {
      schema: `randperm.generator(int n, *, Generator? generator, ${LONG_OPTS}) -> Tensor`,
      out: true,
      forward: randpermForward,
    },
    {
      schema: `randperm(int n, *, ${LONG_OPTS}) -> Tensor`,
      out: true,
      forward: (
        n: number,
        dtype: DType | "long" | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => randpermForward(n, null, dtype, layout, device, pinMemory),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// rand_like, randn_like, randint_like

/**
 * The strides of empty_like(self, memory_format): self's own when it is dense and the format
 * is preserve_format (the default), NHWC for channels_last, else contiguous. The random draw
 * then fills memory in order (Note [visiting order] in ops/distributions.ts), so the values
 * land where PyTorch's land.
 */
function likeStrides(self: Tensor, memoryFormat: MemoryFormat): number[] {
  const shape = self.shape;
  if (memoryFormat === "channels_last") {
    if (shape.length !== 4)
      throw runtimeError("required rank 4 tensor to use channels_last format");
    const [, c, h, w] = shape;
    return [h * w * c, 1, w * c, c];
  }
  if (memoryFormat !== "contiguous_format" && D.isDense(self)) return self.strides.slice();
  return contiguousStrides(shape);
}

/** A *_like op: empty_like(self, dtype, memory_format), then `fill` on it. */
function likeOp(
  name: "rand_like" | "randn_like",
  fill: (t: Tensor) => unknown,
  doc: string,
  example: string,
): void {
  defineOp({
    name,
    variants: ["function"],
    doc,
    example,
    overloads: [
      {
        schema: `${name}(Tensor self, *, ${LIKE_OPTS}) -> Tensor`,
        forward: (
          self: Tensor,
          dtype: DType | null,
          layout: Layout,
          device: Device,
          pinMemory: boolean | null,
          memoryFormat: MemoryFormat,
        ) => {
          checkOptions(layout, device, pinMemory);
          const dt = dtype ?? self.dtype;
          return fillFresh(self.shape, dt, likeStrides(self, memoryFormat), fill);
        },
      },
    ],
  });
}

likeOp(
  "rand_like",
  (t) => D.uniform_(t, 0, 1, null),
  "Uniform samples on [0, 1) in the input's size (and dtype unless given), from the default generator.",
  "torch.randLike(torch.zeros(2, 3))",
);
likeOp(
  "randn_like",
  (t) => D.normal_(t, 0, 1, null),
  "Standard normal samples in the input's size (and dtype unless given), from the default generator.",
  "torch.randnLike(torch.zeros(2, 3))",
);

/** randint_like: empty_like(self, dtype, memory_format).random_(low, high). */
function randintLikeForward(
  self: Tensor,
  low: number,
  high: number,
  dtype: DType | null,
  layout: Layout,
  device: Device,
  pinMemory: boolean | null,
  memoryFormat: MemoryFormat,
): Tensor {
  checkOptions(layout, device, pinMemory);
  const dt = dtype ?? self.dtype;
  return fillFresh(self.shape, dt, likeStrides(self, memoryFormat), (t) =>
    D.randomFromTo_(t, low, high, null),
  );
}

defineOp({
  name: "randint_like",
  variants: ["function"],
  doc: "Integers drawn uniformly from [low, high) in the input's size (and dtype unless given), from the default generator.",
  example: "torch.randintLike(torch.zeros(2, 3), 10)",
  overloads: [
    {
      schema: `randint_like(Tensor self, int high, *, ${LIKE_OPTS}) -> Tensor`,
      forward: (
        self: Tensor,
        high: number,
        dtype: DType | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
        memoryFormat: MemoryFormat,
      ) => randintLikeForward(self, 0, high, dtype, layout, device, pinMemory, memoryFormat),
    },
    {
      schema: `randint_like.low_dtype(Tensor self, int low, int high, *, ${LIKE_OPTS}) -> Tensor`,
      forward: randintLikeForward,
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// normal

/** The gradient of a random op's parameter: zero (derivatives.yaml's `at::zeros(...)`). */
const zeroGrad = (g: Tensor): Tensor => zerosLike(g);

defineOp({
  name: "normal",
  variants: ["function"],
  doc: "Normal samples with the given mean and std (tensors broadcast together, or numbers with a size); PyTorch's numbers for the same seed.",
  example:
    "const g = new torch.Generator().manualSeed(0); torch.normal(torch.zeros(3), 1, { generator: g }); torch.normal(0, 1, [2, 3]).shape // [2, 3]",
  overloads: [
    {
      schema:
        "normal.Tensor_Tensor(Tensor mean, Tensor std, *, Generator? generator=None) -> Tensor",
      out: true,
      forward: (mean: Tensor, std: Tensor, gen: Gen) => D.normalTensor(mean, std, gen),
      derivative: {
        name: "NormalBackward3",
        save: [],
        grad: (g: Tensor) => [zeroGrad(g), zeroGrad(g)],
        jvp: () => null,
      },
    },
    {
      schema:
        "normal.Tensor_float(Tensor mean, float std=1, *, Generator? generator=None) -> Tensor",
      out: true,
      forward: (mean: Tensor, std: number, gen: Gen) => D.normalTensor(mean, std, gen),
      derivative: {
        name: "NormalBackward1",
        save: [],
        grad: (g: Tensor) => [zeroGrad(g)],
        jvp: () => null,
      },
    },
    {
      schema: "normal.float_Tensor(float mean, Tensor std, *, Generator? generator=None) -> Tensor",
      out: true,
      forward: (mean: number, std: Tensor, gen: Gen) => D.normalTensor(mean, std, gen),
      derivative: {
        name: "NormalBackward2",
        save: [],
        grad: (g: Tensor) => [zeroGrad(g)],
        jvp: () => null,
      },
    },
    {
      schema: `normal.float_float(float mean, float std, int[] size, *, Generator? generator=None, ${OPTS}) -> Tensor`,
      out: true,
      // at::normal: empty(size, options).normal_(mean, std, generator)
      forward: (
        mean: number,
        std: number,
        size: number[],
        gen: Gen,
        dtype: DType | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => {
        checkOptions(layout, device, pinMemory);
        const dt = dtype ?? getDefaultDtype();
        return allocating(size, dt, () => D.randNormal(size, dt, mean, std, gen));
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// bernoulli, multinomial

defineOp({
  name: "bernoulli",
  variants: ["function", "method"],
  doc: "0/1 samples: 1 with probability input (elementwise), or with the number p; in the input's dtype.",
  example:
    "const g = new torch.Generator().manualSeed(0); torch.bernoulli(torch.full([3], 0.5), { generator: g }); torch.zeros(3).bernoulli(0.3).shape // [3]",
  overloads: [
    {
      schema: "bernoulli(Tensor self, *, Generator? generator=None) -> Tensor",
      out: true,
      // records its own BernoulliBackward0 (a zero gradient)
      forward: (self: Tensor, gen: Gen) => D.bernoulli(self, gen),
    },
    {
      schema: "bernoulli.p(Tensor self, float p, *, Generator? generator=None) -> Tensor",
      forward: (self: Tensor, p: number, gen: Gen) => D.bernoulliP(self, p, gen),
    },
  ],
});

defineOp({
  name: "multinomial",
  variants: ["function", "method"],
  out: true,
  doc: "For each row of the 1-D or 2-D input (non-negative weights), num_samples category indices (int64), with or without replacement.",
  example:
    "const g = new torch.Generator().manualSeed(0); torch.multinomial(torch.tensor([0.2, 0.8]), 4, true, { generator: g }).shape // [4]",
  overloads: [
    {
      schema:
        "multinomial(Tensor self, int num_samples, bool replacement=False, *, Generator? generator=None) -> Tensor",
      forward: (self: Tensor, numSamples: number, replacement: boolean, gen: Gen) =>
        D.multinomial(self, numSamples, replacement, gen),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// the in-place fills (methods only, as in PyTorch; each records its own node with zero
// gradients: UniformBackward0, NormalBackward0, ...)

defineOp({
  name: "uniform_",
  variants: ["method"],
  doc: "In place: uniform samples on [from, to).",
  example:
    "const g = new torch.Generator().manualSeed(0); torch.empty(3).uniform_(-1, 1, { generator: g }).shape // [3]",
  overloads: [
    {
      schema:
        "uniform_(Tensor(a!) self, float from=0, float to=1, *, Generator? generator=None) -> Tensor(a!)",
      forward: D.uniform_,
    },
  ],
});

defineOp({
  name: "normal_",
  variants: ["method"],
  doc: "In place: normal samples of the given mean and std.",
  example:
    "const g = new torch.Generator().manualSeed(0); torch.empty(2, 3).normal_(0, 0.02, { generator: g }).shape // [2, 3]",
  overloads: [
    {
      schema:
        "normal_(Tensor(a!) self, float mean=0, float std=1, *, Generator? generator=None) -> Tensor(a!)",
      forward: D.normal_,
    },
  ],
});

defineOp({
  name: "exponential_",
  variants: ["method"],
  doc: "In place: samples of the exponential distribution of rate lambd.",
  example:
    "const g = new torch.Generator().manualSeed(0); torch.empty(4).exponential_(2, { generator: g }).shape // [4]",
  overloads: [
    {
      schema:
        "exponential_(Tensor(a!) self, float lambd=1, *, Generator? generator=None) -> Tensor(a!)",
      forward: D.exponential_,
    },
  ],
});

defineOp({
  name: "cauchy_",
  variants: ["method"],
  doc: "In place: samples of the Cauchy distribution of the given median and scale sigma.",
  example:
    "const g = new torch.Generator().manualSeed(0); torch.empty(3).cauchy_(0, 1, { generator: g }).shape // [3]",
  overloads: [
    {
      schema:
        "cauchy_(Tensor(a!) self, float median=0, float sigma=1, *, Generator? generator=None) -> Tensor(a!)",
      forward: D.cauchy_,
    },
  ],
});

defineOp({
  name: "log_normal_",
  variants: ["method"],
  doc: "In place: samples of the log-normal distribution (exp of normal(mean, std) samples).",
  example:
    "const g = new torch.Generator().manualSeed(0); torch.empty(3).logNormal_(0, 0.5, { generator: g }).shape // [3]",
  overloads: [
    {
      schema:
        "log_normal_(Tensor(a!) self, float mean=1, float std=2, *, Generator? generator=None) -> Tensor(a!)",
      forward: D.logNormal_,
    },
  ],
});

defineOp({
  name: "geometric_",
  variants: ["method"],
  doc: "In place: samples of the geometric distribution (trials up to the first success of probability p).",
  example:
    "const g = new torch.Generator().manualSeed(0); torch.empty(4).geometric_(0.3, { generator: g }).shape // [4]",
  overloads: [
    {
      schema: "geometric_(Tensor(a!) self, float p, *, Generator? generator=None) -> Tensor(a!)",
      forward: D.geometric_,
    },
  ],
});

defineOp({
  name: "bernoulli_",
  variants: ["method"],
  doc: "In place: 1 with probability p (a number, or a tensor broadcastable to self), else 0.",
  example:
    "const g = new torch.Generator().manualSeed(0); torch.empty(5).bernoulli_(0.3, { generator: g }).shape // [5]",
  overloads: [
    {
      schema:
        "bernoulli_.Tensor(Tensor(a!) self, Tensor p, *, Generator? generator=None) -> Tensor(a!)",
      forward: D.bernoulliTensor_,
    },
    {
      schema:
        "bernoulli_.float(Tensor(a!) self, float p=0.5, *, Generator? generator=None) -> Tensor(a!)",
      forward: D.bernoulliFloat_,
    },
  ],
});

defineOp({
  name: "random_",
  variants: ["method"],
  doc: "In place: integers drawn uniformly from [from, to) (from 0; to past the dtype's largest value when not given, or None).",
  example:
    "const g = new torch.Generator().manualSeed(0); torch.empty(3, { dtype: torch.int64 }).random_(0, 10, { generator: g }).shape // [3]",
  overloads: [
    {
      schema: "random_(Tensor(a!) self, *, Generator? generator=None) -> Tensor(a!)",
      forward: D.random_,
    },
    {
      schema:
        "random_.from(Tensor(a!) self, int from, int? to, *, Generator? generator=None) -> Tensor(a!)",
      forward: D.randomFromTo_,
    },
    {
      schema: "random_.to(Tensor(a!) self, int to, *, Generator? generator=None) -> Tensor(a!)",
      forward: D.randomTo_,
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// The samplers of torch.distributions as ops (ATen's Distributions.cpp kernels, registry/
// samplers.ts): poisson, binomial, _standard_gamma (reparameterized), _standard_gamma_grad,
// _sample_dirichlet

/** The samplers' dtype check, in ATen's dispatch words ("poisson_cpu" not implemented for 'Long'). */
function floatingOnly(kernel: string, t: Tensor): void {
  if (t.dtype !== float32 && t.dtype !== float64)
    throw runtimeError(`"${kernel}" not implemented for '${scalarTypeName(t.dtype)}'`);
}

/** derivatives.yaml's not_implemented: the node's backward raises. */
const notImplementedNode = (op: string): DerivativeDecl => ({
  name: "torch::autograd::NotImplemented",
  save: [],
  grad: () => {
    throw runtimeError(`derivative for aten::${op} is not implemented`);
  },
  jvp: () => {
    throw notImplementedError(
      `Trying to use forward AD with aten::${op} that does not support it.`,
    );
  },
});

defineOp({
  name: "poisson",
  variants: ["function"],
  doc: "One Poisson(rate) draw per element of the rates (PyTorch's sampler and stream), in their dtype; a zero gradient.",
  example:
    "torch.poisson(torch.tensor([1.0, 4.0]), { generator: new torch.Generator().manualSeed(3) }) // tensor([0., 4.])",
  overloads: [
    {
      schema: "poisson(Tensor self, Generator? generator=None) -> Tensor",
      forward: (self: Tensor, gen: Gen) => {
        floatingOnly("poisson_cpu", self);
        return S.poisson(self, gen);
      },
      derivative: {
        name: "PoissonBackward0",
        save: [],
        grad: (g: Tensor) => [zerosLike(g)],
        jvp: (_t, _p, result) => zerosLike(result),
      },
    },
  ],
});

defineOp({
  name: "binomial",
  variants: ["function"],
  doc: "One Binomial(count, prob) draw per element (PyTorch's sampler and stream), in count's dtype.",
  example:
    "torch.binomial(torch.tensor([10.0, 100.0]), torch.tensor([0.5, 0.2]), { generator: new torch.Generator().manualSeed(0) }).shape // [2]",
  overloads: [
    {
      schema: "binomial(Tensor count, Tensor prob, Generator? generator=None) -> Tensor",
      forward: (count: Tensor, prob: Tensor, gen: Gen) => {
        floatingOnly("binomial_cpu", count);
        return S.binomial(count, prob.expand(count.shape), gen);
      },
      derivative: notImplementedNode("binomial"),
    },
  ],
});

defineOp({
  name: "_standard_gamma",
  variants: ["function"],
  doc: "One Gamma(alpha, 1) draw per element (PyTorch's sampler and stream), differentiable in alpha by implicit reparameterization.",
  example:
    "torch._standardGamma(torch.tensor([1.0, 2.0]), { generator: new torch.Generator().manualSeed(0) }).shape // [2]",
  overloads: [
    {
      schema: "_standard_gamma(Tensor self, Generator? generator=None) -> Tensor",
      forward: (self: Tensor, gen: Gen) => {
        floatingOnly("gamma_cpu", self);
        return S.standardGammaForward(self, gen ?? defaultGenerator);
      },
      // d sample / d alpha = _standard_gamma_grad(alpha, sample)
      derivative: {
        name: "StandardGammaBackward0",
        save: ["self", "result"],
        grad: (g: Tensor, s: { self: Tensor; result: Tensor }) => [
          g.mul(S.standardGammaGrad(s.self, s.result)),
        ],
        jvp: (t, p, result) => (t.self as Tensor).mul(S.standardGammaGrad(p.self, result)),
      },
    },
  ],
});

defineOp({
  name: "_standard_gamma_grad",
  variants: ["function"],
  doc: "d x / d alpha for Gamma(alpha, 1) samples x: the implicit reparameterization gradient, elementwise.",
  example: "torch._standardGammaGrad(torch.tensor([2.0]), torch.tensor([1.0])) // tensor([0.7507])",
  overloads: [
    {
      schema: "_standard_gamma_grad(Tensor self, Tensor output) -> Tensor",
      forward: (self: Tensor, output: Tensor) => S.standardGammaGrad(self, output),
      derivative: {
        name: "StandardGammaGradBackward0",
        save: [],
        grad: () => {
          throw notImplementedError(
            "the derivative for '_standard_gamma_grad' is not implemented.",
          );
        },
        jvp: () => {
          throw notImplementedError(
            "Trying to use forward AD with aten::_standard_gamma_grad that does not support it.",
          );
        },
      },
    },
  ],
});

defineOp({
  name: "_sample_dirichlet",
  variants: ["function"],
  doc: "One Dirichlet(alpha) draw per row of the last dim (PyTorch's sampler and stream).",
  example:
    "torch._sampleDirichlet(torch.tensor([1.0, 2.0]), { generator: new torch.Generator().manualSeed(0) }).sum() // tensor(1.)",
  overloads: [
    {
      schema: "_sample_dirichlet(Tensor self, Generator? generator=None) -> Tensor",
      forward: (self: Tensor, gen: Gen) => {
        floatingOnly("dirichlet", self);
        return S.sampleDirichlet(self, gen);
      },
      derivative: notImplementedNode("_sample_dirichlet"),
    },
  ],
});
