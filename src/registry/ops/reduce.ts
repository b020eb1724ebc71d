/**
 * Reductions. One `defineOp` per op (see ../define.ts).
 */
import { HALF_OWN } from "../half-compute.js";
import { namedTuple } from "../../named-tuple.js";
import { Tensor } from "../../tensor.js";
import { DType, bool, float32, int64 } from "../../dtype.js";
import * as R from "../../ops/reduce.js";
import { pyTypeName, scalarTypeName, wrap } from "../../ops/core.js";
import { normalizeDim } from "../../shape.js";
import { indexError, runtimeError, typeError, valueError } from "../../errors.js";
import * as F from "../../autograd/formula-ops.js";
import { defineOp, fn, writeOut } from "../define.js";
import { needsGrad, record, registerDerivative, type OpNode } from "../../autograd/function.js";
import { registerJvp } from "../../autograd/forward-ad.js";
import { isGradEnabled, noGrad } from "../../autograd/grad-mode.js";
import { normBackward, varBackward, type Op, type VarAttrs } from "../../autograd/derivatives.js";
import { arange } from "../../ops/creation.js";
import { stack } from "../../ops/views.js";

/**
 * softmax's `dtype=`: the input is cast first (recorded: ToCopyBackward0 under the softmax, as
 * PyTorch). sum, mean, prod and cumsum take `dtype` into their kernels (no ToCopyBackward0).
 */
const cast = (self: Tensor, dtype: DType | null): Tensor =>
  dtype === null ? self : self.to(dtype);

defineOp({
  name: "sum",
  variants: ["function", "method"],
  out: true,
  doc: "Sum of all elements, or over `dim` (keeping reduced dims of size 1 with `keepdim`).",
  example: "torch.tensor([[1, 2], [3, 4]]).sum(1) // tensor([3., 7.])",
  overloads: [
    {
      schema: "sum(Tensor self, *, ScalarType? dtype=None) -> Tensor",
      out: false,
      forward: (self: Tensor, dtype: DType | null) => R.sum(self, null, false, dtype),
    },
    {
      schema:
        "sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: (self: Tensor, dim: number[] | null, keepdim: boolean, dtype: DType | null) =>
        R.sum(self, dim, keepdim, dtype),
    },
    {
      schema:
        "sum.dim_DimnameList(Tensor self, Dimname[1] dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: null,
    },
  ],
});

defineOp({
  name: "mean",
  variants: ["function", "method"],
  out: true,
  doc: "Mean of all elements, or over `dim` (floating-point inputs, or with `dtype`).",
  example: "torch.tensor([1, 2, 3, 4]).mean() // tensor(2.5000)",
  overloads: [
    {
      schema: "mean(Tensor self, *, ScalarType? dtype=None) -> Tensor",
      out: false,
      forward: (self: Tensor, dtype: DType | null) => R.mean(self, null, false, dtype),
    },
    {
      schema:
        "mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: (self: Tensor, dim: number[] | null, keepdim: boolean, dtype: DType | null) =>
        R.mean(self, dim, keepdim, dtype),
    },
    {
      schema:
        "mean.names_dim(Tensor self, Dimname[1] dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: null,
    },
  ],
});

defineOp({
  name: "prod",
  variants: ["function", "method"],
  out: true,
  doc: "Product of all elements, or over `dim` (integer inputs multiply in int64 unless `dtype`).",
  example: "torch.tensor([[1, 2], [3, 4]]).prod(1) // tensor([ 2., 12.])",
  overloads: [
    {
      schema: "prod(Tensor self, *, ScalarType? dtype=None) -> Tensor",
      out: false,
      forward: (self: Tensor, dtype: DType | null) => R.prod(self, null, false, dtype),
    },
    {
      schema:
        "prod.dim_int(Tensor self, int dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: (self: Tensor, dim: number, keepdim: boolean, dtype: DType | null) =>
        R.prod(self, dim, keepdim, dtype),
    },
    {
      schema:
        "prod.dim_Dimname(Tensor self, Dimname dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: null,
    },
  ],
});

/**
 * max and min: of all elements, elementwise with `other` (maximum/minimum), or along `dim`
 * with the indices of the extremes (`{ values, indices }`, as torch.return_types.max).
 */
function extreme(name: "max" | "min"): void {
  const isMax = name === "max";
  defineOp({
    name,
    variants: ["function", "method"],
    doc: isMax
      ? "The largest element; the elementwise maximum with `other`; or along `dim`, `{ values, indices }`."
      : "The smallest element; the elementwise minimum with `other`; or along `dim`, `{ values, indices }`.",
    example: isMax
      ? "torch.tensor([[1, 5], [4, 2]]).max(1) // { values: tensor([5., 4.]), indices: tensor([1, 0]) }"
      : "torch.tensor([[1, 5], [4, 2]]).min(1) // { values: tensor([1., 2.]), indices: tensor([0, 1]) }",
    overloads: [
      {
        schema: `${name}(Tensor self) -> Tensor`,
        forward: (self: Tensor) => (isMax ? R.max(self) : R.min(self)),
        derivative: {
          name: isMax ? "MaxBackward1" : "MinBackward1",
          save: ["self", "result"],
          // g shared evenly among the elements equal to the result (or the NaNs when it is
          // NaN): PyTorch's evenly_distribute_backward, zeros masked-filled with g / count
          // (MaskedFillBackward1)
          grad: (g: Tensor, s: { self: Tensor; result: Tensor }) => {
            const r = s.result;
            const mask = Number.isNaN(Number(r.item())) ? s.self.isnan() : s.self.eq(r);
            return [F.zerosLike(s.self).maskedFill(mask, g.div(mask.sum()))];
          },
          // the mean of dx over the elements equal to the result
          jvp: (t, p, result) => {
            const mask = p.self.eq(result);
            return F.where(mask, t.self as Tensor, 0)
              .sum()
              .div(mask.sum());
          },
        },
      },
      {
        schema: `${name}.other(Tensor self, Tensor other) -> Tensor`,
        out: true,
        // recorded by torch.maximum/minimum's entry (MaximumBackward0, as PyTorch)
        forward: (self: Tensor, other: Tensor) =>
          isMax ? self.maximum(other) : self.minimum(other),
      },
      {
        schema: `${name}.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)`,
        out: true,
        forward: (self: Tensor, dim: number, keepdim: boolean) =>
          isMax ? R.max(self, dim, keepdim) : R.min(self, dim, keepdim),
      },
      {
        schema: `${name}.names_dim(Tensor self, Dimname dim, bool keepdim=False) -> (Tensor values, Tensor indices)`,
        out: true,
        forward: null,
      },
    ],
  });
}
extreme("max");
extreme("min");

/** A reduction's attributes as its formulas read them: the schema's `dim` and `keepdim`. */
interface DimAttrs {
  dim: number[];
  keepdim: boolean;
}

for (const name of ["amax", "amin"] as const) {
  const isMax = name === "amax";
  defineOp({
    name,
    variants: ["function", "method"],
    out: true,
    doc: isMax
      ? "The largest elements over `dim` (all dims by default); gradient shared among ties."
      : "The smallest elements over `dim` (all dims by default); gradient shared among ties.",
    example: isMax
      ? "torch.tensor([[1, 5], [4, 2]]).amax(0) // tensor([4., 5.])"
      : "torch.tensor([[1, 5], [4, 2]]).amin(0) // tensor([1., 2.])",
    overloads: [
      {
        schema: `${name}(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor`,
        forward: (self: Tensor, dim: number[], keepdim: boolean) =>
          isMax ? R.amax(self, dim, keepdim) : R.amin(self, dim, keepdim),
        derivative: {
          name: isMax ? "AmaxBackward0" : "AminBackward0",
          save: ["self", "result"],
          attrs: ["dim", "keepdim"],
          // g shared evenly among the elements equal to the extreme
          grad: (g: Tensor, s: { self: Tensor; result: Tensor }, a: DimAttrs) => {
            const dims = R.reducedDims(s.self, a.dim);
            const shape = s.self.shape;
            const r = F.restoreReduced(s.result, dims, a.keepdim, shape);
            const gr = F.restoreReduced(g, dims, a.keepdim, shape);
            // PyTorch's scale_grad_by_count: (g / count) * mask
            const mask = s.self.eq(r);
            return [gr.div(mask.sum(dims, true)).mul(mask)];
          },
          // the mean of dx over the elements equal to the extreme
          jvp: (t, p, result, a: DimAttrs) => {
            const dims = R.reducedDims(p.self, a.dim);
            const mask = p.self.eq(F.restoreReduced(result, dims, a.keepdim, p.self.shape));
            return F.where(mask, t.self as Tensor, 0)
              .sum(dims, a.keepdim)
              .div(mask.sum(dims, a.keepdim));
          },
        },
      },
    ],
  });
}

defineOp({
  name: "argmax",
  variants: ["function", "method"],
  out: true,
  doc: "Index of the largest element (of the flattened input), or along `dim` (int64).",
  example: "torch.tensor([[1, 5], [4, 2]]).argmax(1) // tensor([1, 0])",
  overloads: [
    {
      schema: "argmax(Tensor self, int? dim=None, bool keepdim=False) -> Tensor",
      forward: (self: Tensor, dim: number | null, keepdim: boolean) => R.argmax(self, dim, keepdim),
    },
  ],
});

defineOp({
  name: "argmin",
  variants: ["function", "method"],
  out: true,
  doc: "Index of the smallest element (of the flattened input), or along `dim` (int64).",
  example: "torch.tensor([[1, 5], [4, 2]]).argmin(1) // tensor([0, 1])",
  overloads: [
    {
      schema: "argmin(Tensor self, int? dim=None, bool keepdim=False) -> Tensor",
      forward: (self: Tensor, dim: number | null, keepdim: boolean) => R.argmin(self, dim, keepdim),
    },
  ],
});

/**
 * var / std: the overloads of PyTorch 1.13, in its parser's order (`correction`, then `dim` +
 * `unbiased` + `keepdim`, then `unbiased` alone). correction=None and unbiased=True both mean
 * Bessel's correction (N - 1).
 */
type Moment = (t: Tensor, dim: number[] | null, correction: number, keepdim: boolean) => Tensor;

function momentOverloads(name: string, f: Moment) {
  return [
    {
      schema: `${name}.correction(Tensor self, int[1]? dim, *, int? correction, bool keepdim=False) -> Tensor`,
      out: true,
      forward: (self: Tensor, dim: number[] | null, correction: number | null, keepdim: boolean) =>
        f(self, dim, correction ?? 1, keepdim),
    },
    {
      schema: `${name}.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) -> Tensor`,
      out: true,
      forward: (self: Tensor, dim: number[] | null, unbiased: boolean, keepdim: boolean) =>
        f(self, dim, unbiased ? 1 : 0, keepdim),
    },
    {
      schema: `${name}(Tensor self, bool unbiased=True) -> Tensor`,
      out: false,
      forward: (self: Tensor, unbiased: boolean) => f(self, null, unbiased ? 1 : 0, false),
    },
    {
      schema: `${name}.correction_names(Tensor self, Dimname[1] dim, *, int? correction, bool keepdim=False) -> Tensor`,
      out: true,
      forward: null,
    },
    {
      schema: `${name}.names_dim(Tensor self, Dimname[1] dim, bool unbiased=True, bool keepdim=False) -> Tensor`,
      out: true,
      forward: null,
    },
  ];
}

// forward = the recording ops of ops/reduce.ts (VarBackward0 / StdBackward0): their formulas
// live in autograd/derivatives.ts
defineOp({
  name: "var",
  variants: ["function", "method"],
  doc: "Variance over `dim` (all dims by default), dividing by N - correction (Bessel's: 1).",
  example: "torch.tensor([1, 2, 3, 4]).var() // tensor(1.6667)",
  overloads: momentOverloads("var", (t, dim, correction, keepdim) =>
    R.variance(t, dim, { correction }, keepdim),
  ),
});

defineOp({
  name: "std",
  variants: ["function", "method"],
  doc: "Standard deviation over `dim` (all dims by default), dividing by N - correction.",
  example: "torch.tensor([1, 2, 3, 4]).std() // tensor(1.2910)",
  overloads: momentOverloads("std", (t, dim, correction, keepdim) =>
    R.std(t, dim, { correction }, keepdim),
  ),
});

/**
 * torch.norm (torch/functional.py, a Python function): p a number (the vector p-norm over
 * `dim`, all dims by default), "fro" (the Frobenius norm: the 2-norm, over at most two dims) or
 * "nuc" (the nuclear norm, ATen's nuclear_norm: linalg.matrix_norm(x, "nuc") over two dims, the
 * whole of a 2-d input by default). Follows its dispatch: the
 * Frobenius norm over two dims is sqrt(sum(x*x)) (SqrtBackward0), every other case the vector
 * norm (NormBackward1; NormBackward3 with `dtype`).
 */
function normForward(
  input: unknown,
  p: unknown,
  dim: unknown,
  keepdim: unknown,
  out: unknown,
  dtype: unknown,
): Tensor {
  if (!(input instanceof Tensor))
    throw typeError(`norm(): argument 'input' must be Tensor, not ${pyTypeName(input)}`);
  if (dtype !== null && !(dtype instanceof DType))
    throw typeError(`norm(): argument 'dtype' must be torch.dtype, not ${pyTypeName(dtype)}`);
  if (typeof keepdim !== "boolean")
    throw typeError(`norm(): argument 'keepdim' must be bool, not ${pyTypeName(keepdim)}`);
  const dims = dim === null ? null : (dim as number[]);
  if (dims !== null && !dims.every((d) => Number.isInteger(d)))
    throw typeError(
      `norm(): argument 'dim' must be tuple of ints, but found element of type ${pyTypeName(dims.find((d) => !Number.isInteger(d)))}`,
    );
  if (out !== null && !(out instanceof Tensor))
    throw typeError(`norm(): argument 'out' must be Tensor, not ${pyTypeName(out)}`);
  const all = (): number[] => input.shape.map((_s, i) => i);
  const floating = (): void => {
    if (!input.dtype.isFloatingPoint)
      throw runtimeError(
        `norm(): input dtype should be either floating point or complex. Got ${scalarTypeName(input.dtype)} instead.`,
      );
  };
  let r: Tensor;
  if (typeof p === "string") {
    if (p === "fro") {
      if (dtype !== null) throw valueError("dtype argument is not supported in frobenius norm");
      const d = dims ?? [];
      if (d.length > 2)
        throw runtimeError(
          `Expected at most 2 dimensions, but got ${d.length} dimensions instead.`,
        );
      floating();
      if (d.length < 2) r = R.norm(input, 2, d.length === 0 ? all() : d, keepdim);
      else {
        const [a, b] = d.map((x) => normalizeDim(x, input.dim()));
        if (a === b)
          throw runtimeError(`Expected dims to be different, got [${d.join(", ")}] instead`);
        // frobenius_norm over two dims: sqrt(sum(x * x))
        r = input.mul(input).sum(d, keepdim).sqrt();
      }
    } else if (p === "nuc") {
      if (dtype !== null) throw valueError("dtype argument is not supported in nuclear norm");
      if (dims === null && input.dim() !== 2)
        throw runtimeError(
          `Expected a tensor with 2 dimensions, but got a tensor with ${input.dim()} dimension${input.dim() === 1 ? "" : "s"} instead.`,
        );
      const d = dims ?? [0, 1];
      if (d.length !== 2) throw runtimeError("nuclear norm requires a 'dim' argument of size 2");
      const [a, b] = d.map((x) => normalizeDim(x, input.dim()));
      if (a === b) throw runtimeError("duplicate or invalid dimensions");
      // the registry's entry, looked up at call time (decomp.ts sits beside this family)
      r = fn("matrixNorm", "linalg")(input, "nuc", [a, b], keepdim) as Tensor;
    } else throw runtimeError(`only valid string values are 'fro' and 'nuc', found ${p}`);
  } else {
    if (p !== null && typeof p !== "number")
      throw runtimeError("norm_kernel_tensor_iterator_impl expects norm to be integer or float");
    floating();
    r = R.norm(input, p ?? 2, dims ?? all(), keepdim, dtype as DType | null);
  }
  return out === null ? r : writeOut("norm", r, out as Tensor, [input]);
}

defineOp({
  name: "norm",
  variants: ["function", "method"],
  python: true,
  untyped: ["p"],
  tsTypes: { p: 'number | "fro" | "nuc" | null' },
  doc: 'The p-norm over `dim` (all dims by default): p a number, "fro" (default) or "nuc" (not supported).',
  example: "torch.tensor([3, 4]).norm() // tensor(5.)",
  overloads: [
    {
      schema:
        'norm(Tensor input, Scalar? p="fro", int[1]? dim=None, bool keepdim=False, Tensor? out=None, ScalarType? dtype=None) -> Tensor',
      forward: normForward,
    },
  ],
  methodOverloads: [
    {
      schema:
        'norm(Tensor self, Scalar? p="fro", int[1]? dim=None, bool keepdim=False, ScalarType? dtype=None) -> Tensor',
      forward: (self: unknown, p: unknown, dim: unknown, keepdim: unknown, dtype: unknown) =>
        normForward(self, p, dim, keepdim, null, dtype),
    },
  ],
});

defineOp({
  name: "logsumexp",
  variants: ["function", "method"],
  out: true,
  doc: "log(sum(exp(x))) over `dim`, computed stably (integer inputs as floats).",
  example: "torch.tensor([0, 0]).logsumexp(0) // tensor(0.6931)",
  overloads: [
    {
      schema: "logsumexp(Tensor self, int[1] dim, bool keepdim=False) -> Tensor",
      forward: (self: Tensor, dim: number[], keepdim: boolean) => R.logsumexp(self, dim, keepdim),
      derivative: {
        name: "LogsumexpBackward0",
        save: ["self", "result"],
        attrs: ["dim", "keepdim"],
        // d logsumexp = exp(x - result) * g
        grad: (g: Tensor, s: { self: Tensor; result: Tensor }, a: DimAttrs) => {
          const dims = R.reducedDims(s.self, a.dim);
          const shape = s.self.shape;
          const r = F.restoreReduced(s.result, dims, a.keepdim, shape);
          return [F.restoreReduced(g, dims, a.keepdim, shape).mul(s.self.sub(r).exp())];
        },
        // sum(exp(x - result) * dx)
        jvp: (t, p, result, a: DimAttrs) => {
          const dims = R.reducedDims(p.self, a.dim);
          const r = F.restoreReduced(result, dims, a.keepdim, p.self.shape);
          return p.self
            .sub(r)
            .exp()
            .mul(t.self as Tensor)
            .sum(dims, a.keepdim);
        },
      },
    },
    {
      schema: "logsumexp.names(Tensor self, Dimname[1] dim, bool keepdim=False) -> Tensor",
      forward: null,
    },
  ],
});

defineOp({
  name: "cumsum",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "Running sums along `dim` (integer inputs sum in int64 unless `dtype`).",
  example: "torch.tensor([1, 2, 3]).cumsum(0) // tensor([1., 3., 6.])",
  overloads: [
    {
      schema: "cumsum(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor",
      // dtype= is the kernel's: no ToCopyBackward0 (PyTorch's cumsum casts inside)
      forward: (self: Tensor, dim: number, dtype: DType | null) => R.cumsum(self, dim, dtype),
      derivative: {
        name: "CumsumBackward0",
        save: [],
        attrs: ["dim"],
        // the reversed cumulative sum of g: sum(g) - cumsum(g) + g
        grad: (g: Tensor, _s: object, a: { dim: number }) => [
          g.sum(a.dim, true).sub(g.cumsum(a.dim)).add(g),
        ],
        // linear: cumsum(dx), in the result's dtype
        jvp: (t, _p, result, a: { dim: number }) =>
          (t.self as Tensor).cumsum(a.dim, { dtype: result.dtype }),
      },
    },
    {
      schema: "cumsum.dimname(Tensor self, Dimname dim, *, ScalarType? dtype=None) -> Tensor",
      forward: null,
    },
  ],
});

defineOp({
  name: "softmax",
  variants: ["function", "method"],
  doc: "exp(x) / sum(exp(x)) along `dim` (computed in `dtype` when given).",
  example: "torch.tensor([1, 2, 3]).softmax(0) // tensor([0.0900, 0.2447, 0.6652])",
  overloads: [
    {
      schema: "softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
      out: true,
      forward: (self: Tensor, dim: number, dtype: DType | null) =>
        R.softmax(cast(self, dtype), dim),
    },
    {
      schema: "softmax.Dimname(Tensor self, Dimname dim, *, ScalarType? dtype=None) -> Tensor",
      forward: null,
    },
  ],
});

defineOp({
  name: "log_softmax",
  variants: ["function", "method"],
  doc: "x - logsumexp(x) along `dim` (computed in `dtype` when given).",
  example: "torch.tensor([1, 2, 3]).logSoftmax(0) // tensor([-2.4076, -1.4076, -0.4076])",
  overloads: [
    {
      schema: "log_softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
      out: true,
      forward: (self: Tensor, dim: number, dtype: DType | null) =>
        R.logSoftmax(cast(self, dtype), dim),
    },
    {
      schema: "log_softmax.Dimname(Tensor self, Dimname dim, *, ScalarType? dtype=None) -> Tensor",
      forward: null,
    },
  ],
});

for (const name of ["any", "all"] as const) {
  const f = name === "any" ? R.any : R.all;
  defineOp({
    name,
    variants: ["function", "method"],
    out: true,
    doc:
      name === "any"
        ? "Whether any element is non-zero, or along `dim` (a bool tensor)."
        : "Whether every element is non-zero, or along `dim` (a bool tensor).",
    example:
      name === "any"
        ? "torch.tensor([0, 1]).any() // tensor(True)"
        : "torch.tensor([0, 1]).all() // tensor(False)",
    overloads: [
      { schema: `${name}(Tensor self) -> Tensor`, forward: (self: Tensor) => f(self) },
      {
        schema: `${name}.dim(Tensor self, int dim, bool keepdim=False) -> Tensor`,
        forward: (self: Tensor, dim: number, keepdim: boolean) => f(self, dim, keepdim),
      },
      {
        schema: `${name}.dimname(Tensor self, Dimname dim, bool keepdim=False) -> Tensor`,
        forward: null,
        named: { nyi: name },
      },
    ],
  });
}

defineOp({
  name: "numel",
  variants: ["function", "method"],
  doc: "The number of elements (a number).",
  example: "torch.zeros(2, 3).numel() // 6",
  overloads: [{ schema: "numel(Tensor self) -> int", forward: (self: Tensor) => R.numel(self) }],
});

// ---------------------------------------------------------------------------------------------
// Cumulative ops

defineOp({
  name: "cumprod",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "Running products along `dim` (integer and bool inputs multiply in int64 unless `dtype`).",
  example: "torch.tensor([1, 2, 3]).cumprod(0) // tensor([1., 2., 6.])",
  overloads: [
    {
      schema: "cumprod(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor",
      forward: (self: Tensor, dim: number, dtype: DType | null) => R.cumprod(self, dim, dtype),
      derivative: {
        name: "CumprodBackward0",
        save: ["self", "result"],
        attrs: ["dim"],
        grad: (g: Tensor, s: { self: Tensor; result: Tensor }, a: { dim: number }) => [
          cumprodBackward(g.to(s.self.dtype), s.self, a.dim, s.result),
        ],
        jvp: (t, p, result, a: { dim: number }) =>
          cumprodJvp(t.self as Tensor, p.self, result, a.dim),
      },
    },
    {
      schema: "cumprod.dimname(Tensor self, Dimname dim, *, ScalarType? dtype=None) -> Tensor",
      forward: null,
    },
  ],
});

/** The reversed inclusive cumulative sum along dim: sum(g, dim) - cumsum(g, dim) + g. */
const reversedCumsum = (g: Tensor, dim: number): Tensor =>
  g.sum(dim, true).sub(g.cumsum(dim)).add(g);

/**
 * Where x is (exclusively) before the first zero of its slice along dim, and the first zero
 * itself: the positions whose products cumprod's derivative treats differently.
 */
function zeroMasks(x: Tensor, dim: number): { before: Tensor; first: Tensor } {
  const zeros = x.eq(0);
  const seen = zeros.cumsum(dim);
  return { before: seen.eq(0), first: zeros.logicalAnd(seen.eq(1)) };
}

/**
 * d cumprod (PyTorch's cumprod_backward): out_j = prod_{i<=j} x_i, so dL/dx_k =
 * sum_{j>=k} g_j prod_{i<=j, i!=k} x_i. Without zeros that is rev_cumsum(g * out)_k / x_k.
 * With zeros, before the first zero z1 of a slice it is the same sum over j < z1 only (every
 * later product holds x_z1 = 0, even where another factor is inf or NaN); at z1 it is
 * sum_{z1<=j<z2} g_j prod_{z1<i<=j} x_i times out_{z1-1} (1 when z1 = 0); after z1, 0.
 * Composed of differentiable ops.
 */
function cumprodBackward(g: Tensor, x: Tensor, dim: number, result: Tensor): Tensor {
  if (x.numel() <= 1) return g;
  const d = normalizeDim(dim, x.dim());
  const n = x.shape[d];
  if (n === 1) return g;
  const w = result.mul(g);
  const isZero = x.eq(0);
  if (!(isZero.any().item() as boolean)) return reversedCumsum(w, d).div(x);
  // the masked formula is constant in x after the first zero, where the true derivative is
  // not: a second derivative (grad mode on in the backward) takes PyTorch's O(n^2) sum of
  // omitted products
  if (isGradEnabled()) return omittedProducts(g, x, d);
  const seen = isZero.cumsum(d);
  const before = seen.eq(0);
  const beforeGrad = reversedCumsum(w.maskedFill(before.logicalNot(), 0), d).div(x);
  const inFirst = seen.eq(1);
  const first = isZero.logicalAnd(inFirst);
  const between = inFirst.logicalAnd(first.logicalNot());
  const onesShape = x.shape.slice();
  onesShape[d] = 1;
  // out_{z1-1} at z1: the outputs shifted one step along d, 1 first
  const prefix = F.cat([F.zeros(onesShape, result).add(1), result.narrow(d, 0, n - 1)], d);
  const sums = x
    .maskedFill(between.logicalNot(), 1)
    .cumprod(d)
    .mul(g.maskedFill(seen.ne(1), 0))
    .sum(d, true);
  return F.where(before, beforeGrad, F.where(first, sums.mul(prefix), 0));
}

/**
 * dL/dx_k = sum_{j>=k} g_j prod_{i<=j, i!=k} x_i with the products written as
 * prod_{i<k} x_i * cumprod(x_{k+1..})_j: one slice of the gradient per k, every step a
 * differentiable op (PyTorch's cumprod_backward in grad mode).
 */
function omittedProducts(g: Tensor, x: Tensor, d: number): Tensor {
  const n = x.shape[d];
  const onesShape = x.shape.slice();
  onesShape[d] = 1;
  const cols: Tensor[] = [];
  for (let k = 0; k < n; k++) {
    let omitted: Tensor;
    if (k === 0)
      omitted = F.cat([F.zeros(onesShape, x).add(1), x.narrow(d, 1, n - 1).cumprod(d)], d);
    else {
      const until = x.narrow(d, 0, k).prod(d, true);
      omitted =
        k === n - 1
          ? until
          : F.cat([until, until.mul(x.narrow(d, k + 1, n - k - 1).cumprod(d))], d);
    }
    cols.push(
      g
        .narrow(d, k, n - k)
        .mul(omitted)
        .sum(d),
    );
  }
  return stack(cols, d);
}

/** cumprod's JVP: out_j * cumsum(t / x)_j before the first zero; t_z * cumprod(y)_j after it. */
function cumprodJvp(t: Tensor, x: Tensor, result: Tensor, dim: number): Tensor {
  if (x.dim() === 0) return t;
  const d = normalizeDim(dim, x.dim());
  const { before, first } = zeroMasks(x, d);
  const safe = F.where(before, x, 1);
  const beforeT = result.mul(t.div(safe).cumsum(d));
  const y = F.where(first, 1, x);
  const afterT = F.where(first, t, 0).cumsum(d).mul(y.cumprod(d));
  return F.where(before, beforeT, afterT);
}

/**
 * cummax / cummin: `{ values, indices }`; the node (CummaxBackward0) sends g to the indices
 * (PyTorch's cummaxmin_backward: zeros.scatter_add(dim, indices, g)); the tangent is the input
 * tangent at the indices.
 */
for (const name of ["cummax", "cummin"] as const) {
  const isMax = name === "cummax";
  const op = name as unknown as Op;
  registerDerivative(op, {
    name: isMax ? "CummaxBackward0" : "CumminBackward0",
    save: ["indices"],
    grad: (g: Tensor, s: { indices: Tensor }, a: { dim: number }, n: OpNode) => [
      n.inputShape(0).length === 0
        ? g
        : F.zeros(n.inputShape(0), g).scatterAdd(a.dim, s.indices, g),
    ],
  } as never);
  registerJvp(op, ((
    t: readonly (Tensor | null)[],
    _i: unknown,
    _o: Tensor,
    a: { dim: number },
    s: { indices: Tensor },
  ) => ((t[0] as Tensor).dim() === 0 ? t[0] : (t[0] as Tensor).gather(a.dim, s.indices))) as never);
  defineOp({
    name,
    variants: ["function", "method"],
    out: true,
    doc: `The running ${isMax ? "maximum" : "minimum"} along \`dim\` and the index it came from (\`{ values, indices }\`; NaN propagates, ties take the later index).`,
    example: `torch.tensor([1, 3, 2]).${name}(0).values // tensor([${isMax ? "1., 3., 3." : "1., 1., 1."}])`,
    overloads: [
      {
        schema: `${name}(Tensor self, int dim) -> (Tensor values, Tensor indices)`,
        forward: (self: Tensor, dim: number) => {
          const r = R.cumExtreme(self, dim, isMax);
          if (needsGrad(self) && self.dtype.isFloatingPoint)
            record(
              op,
              r.values,
              [self],
              { indices: r.indices } as never,
              {
                dim: normalizeDim(dim, self.dim()),
              } as never,
            );
          return r;
        },
      },
      {
        schema: `${name}.dimname(Tensor self, Dimname dim) -> (Tensor values, Tensor indices)`,
        forward: null,
      },
    ],
  });
}

defineOp({
  name: "logcumsumexp",
  variants: ["function", "method"],
  out: true,
  doc: "Running log(sum(exp(x))) along `dim`, computed stably (floating inputs).",
  example: "torch.tensor([0.0, 0.0]).logcumsumexp(0) // tensor([0.0000, 0.6931])",
  overloads: [
    {
      schema: "logcumsumexp(Tensor self, int dim) -> Tensor",
      forward: (self: Tensor, dim: number) => {
        if (!self.dtype.isFloatingPoint)
          throw runtimeError(
            `"logcumsumexp_out_cpu" not implemented for '${scalarTypeName(self.dtype)}'`,
          );
        return R.logcumsumexp(self, dim);
      },
      derivative: {
        name: "LogcumsumexpBackward0",
        save: ["self", "result"],
        attrs: ["dim"],
        grad: (g: Tensor, s: { self: Tensor; result: Tensor }, a: { dim: number }) => [
          logcumsumexpBackward(g, s.self, s.result, a.dim),
        ],
        // d out_j = sum_{k<=j} exp(x_k - out_j) t_k = cumsum(t * exp(x - m)) * exp(m - out_j)
        jvp: (t, p, result, a: { dim: number }) => {
          const tt = t.self as Tensor;
          if (p.self.dim() === 0) return tt;
          const d = normalizeDim(a.dim, p.self.dim());
          const m = p.self.amax(d, true).clampMin(-3.4e38);
          return tt.mul(p.self.sub(m).exp()).cumsum(d).mul(m.sub(result).exp());
        },
      },
    },
    {
      schema: "logcumsumexp.dimname(Tensor self, Dimname dim) -> Tensor",
      forward: null,
    },
  ],
});

/**
 * d logcumsumexp: dL/dx_k = sum_{j>=k} g_j exp(x_k - out_j). Computed as PyTorch does
 * (after TensorFlow's): the positive and negative parts of g separately, each as
 * exp(x_k + reversed_logcumsumexp(log|g| - out)_k), which never overflows.
 */
function logcumsumexpBackward(g: Tensor, x: Tensor, result: Tensor, dim: number): Tensor {
  if (x.dim() === 0) return g;
  const d = normalizeDim(dim, x.dim());
  const n = x.shape[d];
  const rev = (t: Tensor): Tensor => t.indexSelect(d, arange(n - 1, -1, -1));
  // log g for g > 0 (resp. log -g for g < 0), else the lowest finite value (not -inf, whose
  // derivative would make the second derivative NaN)
  const lowest = x.dtype === float32 ? -3.4028234663852886e38 : -Number.MAX_VALUE;
  const logAbs = g.abs().log();
  const part = (mask: Tensor): Tensor =>
    rev(rev(F.where(mask, logAbs, lowest).sub(result)).logcumsumexp(d))
      .add(x)
      .exp();
  return part(g.gt(0)).sub(part(g.lt(0)));
}

// ---------------------------------------------------------------------------------------------
// NaN-ignoring reductions

defineOp({
  name: "nansum",
  variants: ["function", "method"],
  out: true,
  doc: "Sum over `dim` (all dims by default) treating NaN as zero.",
  example: "torch.tensor([1, NaN, 2]).nansum() // tensor(3.)",
  overloads: [
    {
      schema:
        "nansum(Tensor self, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: (self: Tensor, dim: number[] | null, keepdim: boolean, dtype: DType | null) => {
        const x = self.dtype.isFloatingPoint ? F.where(self.isnan(), 0, self) : self;
        return R.sum(x, dim === null || dim.length === 0 ? null : dim, keepdim, dtype);
      },
      derivative: {
        name: "NansumBackward0",
        save: ["self"],
        attrs: ["dim", "keepdim"],
        // g where x is not NaN
        grad: (g: Tensor, s: { self: Tensor }, a: { dim: number[] | null; keepdim: boolean }) => {
          const dims = a.dim === null || a.dim.length === 0 ? null : R.reducedDims(s.self, a.dim);
          const gr = F.restoreReduced(g, dims, a.keepdim, s.self.shape);
          return [F.where(s.self.isnan(), 0, gr)];
        },
        jvp: (t, p, _r, a: { dim: number[] | null; keepdim: boolean }) => {
          const dims = a.dim === null || a.dim.length === 0 ? null : a.dim;
          const tt = F.where(p.self.isnan(), 0, t.self as Tensor);
          return dims === null ? tt.sum() : tt.sum(dims, a.keepdim);
        },
      },
    },
  ],
});

defineOp({
  name: "nanmean",
  variants: ["function", "method"],
  out: true,
  doc: "Mean over `dim` (all dims by default) of the elements that are not NaN.",
  example: "torch.tensor([1, NaN, 2]).nanmean() // tensor(1.5000)",
  overloads: [
    {
      schema:
        "nanmean(Tensor self, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      // ATen's composite: nansum(x) / (number of non-NaN elements), DivBackward0
      forward: (self: Tensor, dim: number[] | null, keepdim: boolean, dtype: DType | null) => {
        if (!self.dtype.isFloatingPoint)
          throw runtimeError(
            `nanmean(): expected input to have floating point dtype but got ${scalarTypeName(self.dtype)}`,
          );
        const d = dim === null || dim.length === 0 ? null : dim;
        const count = self.isnan().logicalNot();
        const factor = d === null ? count.sum() : count.sum(d, keepdim);
        const total = d === null ? self.nansum({ dtype }) : self.nansum(d, keepdim, { dtype });
        return total.div(factor);
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// var_mean, std_mean, aminmax, count_nonzero

type VarMeanAttrs = VarAttrs & { std: boolean };

/**
 * var_mean / std_mean: one node for both outputs (VarMeanBackward0 / StdMeanBackward0, as
 * PyTorch), its gradient var's (or std's) plus mean's, each from its own output gradient.
 */
for (const std of [false, true]) {
  const name = std ? "std_mean" : "var_mean";
  const op = name as unknown as Op;
  registerDerivative(op, {
    name: std ? "StdMeanBackward0" : "VarMeanBackward0",
    save: std ? ["self", "result"] : ["self"],
    grad: (_g: Tensor, s: { self: Tensor; result?: Tensor }, a: VarMeanAttrs, n: OpNode) => {
      const [gv, gm] = n.gradOutputs;
      const x = s.self;
      let r: Tensor | null = null;
      if (gv != null) {
        const gvar = a.std ? gv.div(s.result!.mul(2)).maskedFill(s.result!.eq(0), 0) : gv;
        r = varBackward(gvar, x, a);
      }
      if (gm != null) {
        const dims = a.dimGiven ? a.dims : null;
        const count = a.dimGiven ? F.countOver(x.shape, a.dims) : x.numel();
        const gmean = F.restoreReduced(gm, dims, a.keepdim, x.shape).div(count);
        r = r === null ? gmean : r.add(gmean);
      }
      return [r];
    },
  } as never);
  registerJvp(op, ((
    t: readonly (Tensor | null)[],
    inputs: readonly Tensor[],
    out: Tensor[],
    a: VarMeanAttrs,
  ) => {
    const x = inputs[0];
    const tt = t[0] as Tensor;
    const dims = a.dimGiven ? a.dims : x.shape.map((_s, i) => i);
    const count = a.dimGiven ? F.countOver(x.shape, a.dims) : x.numel();
    const mean = F.restoreReduced(out[1], a.dimGiven ? a.dims : null, a.keepdim, x.shape);
    // d var = 2/(N - correction) * sum((x - mean) * dx)
    const dvar = x
      .sub(mean)
      .mul(tt)
      .sum(dims, a.keepdim)
      .mul(2 / (count - a.correction));
    const dmean = tt.sum(dims, a.keepdim).div(count);
    return [a.std ? dvar.div(out[0].mul(2)) : dvar, dmean];
  }) as never);
  const run = (self: Tensor, dim: number[] | null, correction: number, keepdim: boolean) => {
    if (!self.dtype.isFloatingPoint)
      throw runtimeError(`${name} only support floating point and complex dtypes`);
    const d = dim === null || dim.length === 0 ? null : dim;
    const [v, m] = noGrad(() => [
      std ? R.std(self, d, { correction }, keepdim) : R.variance(self, d, { correction }, keepdim),
      R.mean(self, d, keepdim),
    ]);
    if (needsGrad(self)) {
      const attrs: VarMeanAttrs = {
        dims: d === null ? self.shape.map((_s, i) => i) : R.reducedDims(self, d),
        keepdim,
        correction,
        dimGiven: d !== null,
        std,
      };
      record(op, [v, m], [self], (std ? { self, result: v } : { self }) as never, attrs as never);
    }
    return [v, m];
  };
  defineOp({
    name,
    variants: ["function"],
    doc: `The ${std ? "standard deviation" : "variance"} and the mean over \`dim\` (all dims by default) in one pass: \`[${std ? "std" : "var"}, mean]\`.`,
    example: `torch.${std ? "stdMean" : "varMean"}(torch.tensor([1, 2, 3, 4])) // [tensor(${std ? "1.2910" : "1.6667"}), tensor(2.5000)]`,
    overloads: [
      {
        schema: `${name}.correction(Tensor self, int[1]? dim, *, int? correction, bool keepdim=False) -> (Tensor, Tensor)`,
        forward: (
          self: Tensor,
          dim: number[] | null,
          correction: number | null,
          keepdim: boolean,
        ) => run(self, dim, correction ?? 1, keepdim),
      },
      {
        schema: `${name}.dim(Tensor self, int[1]? dim, bool unbiased=True, bool keepdim=False) -> (Tensor, Tensor)`,
        forward: (self: Tensor, dim: number[] | null, unbiased: boolean, keepdim: boolean) =>
          run(self, dim, unbiased ? 1 : 0, keepdim),
      },
      {
        schema: `${name}(Tensor self, bool unbiased=True) -> (Tensor, Tensor)`,
        forward: (self: Tensor, unbiased: boolean) => run(self, null, unbiased ? 1 : 0, false),
      },
      {
        schema: `${name}.correction_names(Tensor self, Dimname[1] dim, *, int? correction, bool keepdim=False) -> (Tensor, Tensor)`,
        forward: null,
      },
      {
        schema: `${name}.names_dim(Tensor self, Dimname[1] dim, bool unbiased=True, bool keepdim=False) -> (Tensor, Tensor)`,
        forward: null,
      },
    ],
  });
}

/** aminmax has no derivative in PyTorch: its outputs carry a node that raises when used. */
registerDerivative(
  "aminmax" as unknown as Op,
  {
    name: "torch::autograd::NotImplemented",
    save: [],
    grad: () => {
      throw runtimeError("derivative for aten::aminmax is not implemented");
    },
  } as never,
);

defineOp({
  name: "aminmax",
  variants: ["function", "method"],
  out: true,
  doc: "The smallest and largest elements, over all elements or along `dim`: `{ min, max }`.",
  example: "torch.tensor([3, 1, 2]).aminmax() // { min: tensor(1.), max: tensor(3.) }",
  overloads: [
    {
      schema:
        "aminmax(Tensor self, *, int? dim=None, bool keepdim=False) -> (Tensor min, Tensor max)",
      forward: (self: Tensor, dim: number | null, keepdim: boolean) => {
        if (dim !== null && self.dim() > 0 && self.shape[normalizeDim(dim, self.dim())] === 0)
          throw indexError(`aminmax: Expected reduction dim ${dim} to have non-zero size.`);
        if (self.numel() === 0)
          throw runtimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity.",
          );
        const [min, max] = noGrad(() =>
          dim === null
            ? [
                R.amin(self, null, false).reshape(keepdim ? self.shape.map(() => 1) : []),
                R.amax(self, null, false).reshape(keepdim ? self.shape.map(() => 1) : []),
              ]
            : [R.amin(self, dim, keepdim), R.amax(self, dim, keepdim)],
        );
        if (needsGrad(self) && self.dtype.isFloatingPoint)
          record("aminmax" as unknown as Op, [min, max], [self], {} as never, {} as never);
        return namedTuple({ min, max, 0: min, 1: max });
      },
    },
  ],
});

defineOp({
  name: "count_nonzero",
  variants: ["function", "method"],
  doc: "The number of non-zero elements over `dim` (all dims by default), as int64.",
  example: "torch.tensor([0, 1, 2]).countNonzero() // tensor(2)",
  overloads: [
    {
      schema: "count_nonzero(Tensor self, int? dim=None) -> Tensor",
      forward: (self: Tensor, dim: number | null) => R.sum(self.ne(0), dim),
    },
    {
      schema: "count_nonzero.dim_IntList(Tensor self, int[] dim) -> Tensor",
      forward: (self: Tensor, dim: number[]) => R.sum(self.ne(0), dim.length === 0 ? null : dim),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// dist, renorm

const allDims = (t: Tensor): number[] => t.shape.map((_s, i) => i);

defineOp({
  name: "dist",
  variants: ["function", "method"],
  doc: "The p-norm of input - other (broadcasting), over all elements.",
  example: "torch.tensor([1, 2]).float().dist(torch.tensor([4, 6]).float()) // tensor(5.)",
  overloads: [
    {
      schema: "dist(Tensor self, Tensor other, Scalar p=2) -> Tensor",
      forward: (self: Tensor, other: Tensor, p: number) => {
        const diff = noGrad(() => self.sub(other));
        if (!diff.dtype.isFloatingPoint)
          throw runtimeError(
            `norm(): input dtype should be either floating point or complex. Got ${scalarTypeName(diff.dtype)} instead.`,
          );
        return noGrad(() => R.norm(diff, p, allDims(diff), false));
      },
      // DistBackward0: norm_backward of self - other, negated for other
      derivative: {
        name: "DistBackward0",
        save: ["self", "other", "result"],
        attrs: ["p"],
        grad: (g: Tensor, s: { self: Tensor; other: Tensor; result: Tensor }, a: { p: number }) => {
          const d = s.self.sub(s.other);
          const gd = normBackward(g, d, a.p, s.result, allDims(d), false) ?? F.zerosLike(d);
          return [gd, gd.neg()];
        },
        jvp: (t, p, result, a: { p: number }) => {
          const d = p.self.sub(p.other);
          const td = (t.self ?? F.zerosLike(d)).sub(t.other ?? F.zerosLike(d));
          // d ||v||_p = sum(d||v||_p/dv * dv)
          const gd = normBackward(F.zeros([], result).add(1), d, a.p, result, allDims(d), false);
          return gd === null ? F.zerosLike(result) : gd.mul(td).sum();
        },
      },
    },
  ],
});

defineOp({
  name: "renorm",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "Each slice along `dim` whose p-norm exceeds `maxnorm` scaled down to norm `maxnorm`.",
  example:
    "torch.tensor([[3, 4], [0, 1]]).float().renorm(2, 0, 1) // tensor([[0.6000, 0.8000], [0.0000, 1.0000]])",
  overloads: [
    {
      schema: "renorm(Tensor self, Scalar p, int dim, Scalar maxnorm) -> Tensor",
      forward: (self: Tensor, p: number, dim: number, maxnorm: number) => {
        if (p <= 0) throw runtimeError("renorm: non-positive-norm not supported");
        if (maxnorm < 0)
          throw runtimeError(
            `renorm: expected maxnorm to be >= 0 but got ${formatScalar(maxnorm)}`,
          );
        if (self.dim() < 2)
          throw runtimeError(
            `renorm: input needs at least 2 dimensions, got ${self.dim()} dimensions`,
          );
        return noGrad(() => self.mul(renormFactor(self, p, dim, maxnorm)));
      },
      derivative: {
        name: "RenormBackward0",
        save: ["self"],
        attrs: ["p", "dim", "maxnorm"],
        grad: (g: Tensor, s: { self: Tensor }, a: { p: number; dim: number; maxnorm: number }) => [
          renormBackward(g, s.self, a.p, a.dim, a.maxnorm),
        ],
        // d(x f(n)) = f dx + x f'(n) dn, f = maxnorm / (n + 1e-7), dn = sum(dn/dx * dx)
        jvp: (t, p, _r, a: { p: number; dim: number; maxnorm: number }) => {
          const tt = t.self as Tensor;
          const x = p.self;
          const dims = renormDims(x, a.dim);
          const norm = x.norm(a.p, dims, true);
          const grad = normBackward(F.zerosLike(norm).add(1), x, a.p, norm, dims, true);
          const dn = grad === null ? F.zerosLike(norm) : grad.mul(tt).sum(dims, true);
          const invnorm = norm.add(1e-7).reciprocal();
          const scaled = tt
            .mul(invnorm.mul(a.maxnorm))
            .sub(x.mul(invnorm.mul(invnorm).mul(a.maxnorm)).mul(dn));
          return F.where(norm.gt(a.maxnorm), scaled, tt);
        },
      },
    },
  ],
});

/** The dims renorm reduces: all but `dim`. */
function renormDims(self: Tensor, dim: number): number[] {
  const d = normalizeDim(dim, self.dim());
  return allDims(self).filter((i) => i !== d);
}

/** maxnorm / (norm + 1e-7) where a slice's norm exceeds maxnorm, else 1 (keepdim shape). */
function renormFactor(self: Tensor, p: number, dim: number, maxnorm: number): Tensor {
  const norm = R.norm(self, p, renormDims(self, dim), true);
  return F.where(norm.gt(maxnorm), norm.add(1e-7).reciprocal().mul(maxnorm), 1);
}

/**
 * PyTorch's renorm_backward: with n the slice norms and f = maxnorm / (n + 1e-7), where
 * n > maxnorm: f g - f / (n + 1e-7) * norm_backward(sum(x g)), else g.
 */
function renormBackward(g: Tensor, self: Tensor, p: number, dim: number, maxnorm: number): Tensor {
  const dims = renormDims(self, dim);
  const norm = self.norm(p, dims, true);
  const gOut = self.mul(g).sum(dims, true);
  const nb = normBackward(gOut, self, p, norm, dims, true) ?? F.zerosLike(self);
  const invnorm = norm.add(1e-7).reciprocal();
  const factor = invnorm.mul(maxnorm);
  return F.where(norm.gt(maxnorm), factor.mul(g).sub(factor.mul(invnorm).mul(nb)), g);
}

/** A Scalar as PyTorch prints it in messages (-1, 0.5). */
const formatScalar = (v: number): string => String(v);

// ---------------------------------------------------------------------------------------------
// diff, trapezoid, cumulative_trapezoid

defineOp({
  name: "diff",
  variants: ["function", "method"],
  out: true,
  doc: "The n-th forward difference along `dim` (after concatenating `prepend` and `append`).",
  example: "torch.tensor([1, 4, 9, 16]).diff() // tensor([3., 5., 7.])",
  overloads: [
    {
      schema:
        "diff(Tensor self, int n=1, int dim=-1, Tensor? prepend=None, Tensor? append=None) -> Tensor",
      forward: (
        self: Tensor,
        n: number,
        dim: number,
        prepend: Tensor | null,
        append: Tensor | null,
      ) => {
        if (self.dim() < 1) throw runtimeError("diff expects input to be at least one-dimensional");
        const d = normalizeDim(dim, self.dim());
        for (const other of [prepend, append]) {
          if (other === null) continue;
          if (other.dim() !== self.dim())
            throw runtimeError("diff expects prepend or append to be the same dimension as input");
          for (let i = 0; i < other.dim(); i++)
            if (other.shape[i] !== self.shape[i] && i !== d)
              throw runtimeError(
                `diff expects the shape of tensor to prepend or append to match that of input except along the differencing dimension; input.size(${i}) = ${self.shape[i]}, but got tensor.size(${i}) = ${other.shape[i]}`,
              );
        }
        // n = 0: a copy of the input (prepend and append ignored); n < 0: the input itself
        // (PyTorch's loop runs no step)
        if (n === 0) return F.zerosLike(self).copy_(self);
        const parts = [prepend, self, append].filter((t): t is Tensor => t !== null);
        const a = parts.length === 1 ? self : F.cat(parts, d);
        let r = a;
        let len = a.shape[d] - 1;
        for (let k = 0; k < Math.min(n, a.shape[d]); k++, len--) {
          const hi = r.narrow(d, 1, len);
          const lo = r.narrow(d, 0, len);
          r = r.dtype === bool ? hi.logicalXor(lo) : hi.sub(lo);
        }
        return r;
      },
    },
  ],
});

/** zeros of y's shape without `dim` (the integral of no samples, as NumPy) */
function zerosExcept(y: Tensor, dim: number): Tensor {
  const shape = y.shape.filter((_s, i) => i !== dim);
  return F.zeros(shape, y).to(y.dtype);
}

/** trapezoid's spacing `x` viewed against y: a 1-D x along dim, a lower-rank x padded left. */
function spacingFromX(y: Tensor, x: Tensor, d: number, op: string): Tensor {
  let xv = x;
  if (x.dim() === 1) {
    if (x.shape[0] !== y.shape[d])
      throw runtimeError(`${op}: There must be one \`x\` value for each sample point`);
    const shape = y.shape.map(() => 1);
    shape[d] = x.shape[0];
    xv = x.view(shape);
  } else if (x.dim() < y.dim()) {
    xv = x.view([...new Array<number>(y.dim() - x.dim()).fill(1), ...x.shape]);
  }
  const n = xv.shape[d];
  return xv.narrow(d, 1, n - 1).sub(xv.narrow(d, 0, n - 1));
}

function checkNotBool(y: Tensor, x: Tensor | null, op: string): void {
  if (y.dtype === bool || x?.dtype === bool)
    throw runtimeError(
      x === null
        ? `${op}: received a bool input for \`y\`, but bool is not supported`
        : `${op}: received a bool input for \`x\` or \`y\`, but bool is not supported`,
    );
}

/** the trapezoid rule with sample spacing dx: (sum(y) - (y_0 + y_last) / 2) * dx (MulBackward1) */
function trapezoidDx(y: Tensor, dx: number, dim: number): Tensor {
  const d = normalizeDim(dim, y.dim());
  if (y.shape[d] === 0) return zerosExcept(y, d);
  checkNotBool(y, null, "trapezoid");
  // C++ Scalar products (MulBackward1)
  return F.mulScalar(y.sum(d).sub(F.mulScalar(y.select(d, 0).add(y.select(d, -1)), 0.5)), dx);
}

/** with sample points x: sum(dx * (y_left + y_right)) / 2 (DivBackward1) */
function trapezoidX(y: Tensor, x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, y.dim());
  if (y.shape[d] === 0) return zerosExcept(y, d);
  checkNotBool(y, x, "trapezoid");
  const dx = spacingFromX(y, x, d, "trapezoid");
  const n = y.shape[d];
  return F.divScalar(dx.mul(y.narrow(d, 0, n - 1).add(y.narrow(d, 1, n - 1))).sum(d), 2);
}

// PyTorch's trapezoid with sample points is a composite of half ops, each rounding (Note [half
// stepwise]): the composition runs on the half tensors themselves
for (const name of ["trapezoid", "trapz"])
  HALF_OWN.set(name, {
    applies: ([y, x]) =>
      y instanceof Tensor && x instanceof Tensor && y.dtype.isHalf && x.dtype === y.dtype,
  });

for (const name of ["trapezoid", "trapz"] as const) {
  const x = {
    schema: `${name}.x(Tensor y, Tensor x, *, int dim=-1) -> Tensor`,
    forward: (y: Tensor, xs: Tensor, dim: number) => trapezoidX(y, xs, dim),
  };
  const dx = {
    schema:
      name === "trapz"
        ? "trapz.dx(Tensor y, *, float dx=1, int dim=-1) -> Tensor"
        : "trapezoid.dx(Tensor y, *, Scalar dx=1, int dim=-1) -> Tensor",
    forward: (y: Tensor, d: number, dim: number) => trapezoidDx(y, d, dim),
  };
  defineOp({
    name,
    variants: ["function"],
    doc: "The integral of y along `dim` by the trapezoid rule, with sample points `x` or spacing `dx`.",
    example: `torch.${name}(torch.tensor([1, 2, 3]).float()) // tensor(4.)`,
    // PyTorch's parser lists trapz's dx form first
    overloads: name === "trapz" ? [dx, x] : [x, dx],
  });
}

defineOp({
  name: "cumulative_trapezoid",
  variants: ["function"],
  doc: "The running trapezoid-rule integral of y along `dim`, with sample points `x` or spacing `dx`.",
  example: "torch.cumulativeTrapezoid(torch.tensor([1, 2, 3]).float()) // tensor([1.5000, 4.0000])",
  overloads: [
    {
      schema: "cumulative_trapezoid.x(Tensor y, Tensor x, *, int dim=-1) -> Tensor",
      forward: (y: Tensor, x: Tensor, dim: number) => {
        const d = normalizeDim(dim, y.dim());
        checkNotBool(y, x, "cumulative_trapezoid");
        if (y.shape[d] === 0) return F.zeros(y.shape, y).to(y.dtype);
        const dx = spacingFromX(y, x, d, "cumulative_trapezoid");
        const n = y.shape[d];
        // PyTorch 1.13 divides after the running sum (DivBackward1)
        return F.divScalar(dx.mul(y.narrow(d, 0, n - 1).add(y.narrow(d, 1, n - 1))).cumsum(d), 2);
      },
    },
    {
      schema: "cumulative_trapezoid.dx(Tensor y, *, Scalar dx=1, int dim=-1) -> Tensor",
      forward: (y: Tensor, dx: number, dim: number) => {
        const d = normalizeDim(dim, y.dim());
        checkNotBool(y, null, "cumulative_trapezoid");
        if (y.shape[d] === 0) return F.zeros(y.shape, y).to(y.dtype);
        const n = y.shape[d];
        return F.mulScalar(y.narrow(d, 0, n - 1).add(y.narrow(d, 1, n - 1)), dx / 2).cumsum(d);
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// cov, corrcoef

/** A weights argument's checks, as ATen's cov words them. */
function checkCovWeights(w: Tensor, which: "fweights" | "aweights", observations: number): void {
  if (w.dim() > 1)
    throw runtimeError(
      `cov(): expected ${which} to have one or fewer dimensions but got ${which} with ${w.dim()} dimensions`,
    );
  const okType =
    which === "fweights" ? !w.dtype.isFloatingPoint && w.dtype !== bool : w.dtype.isFloatingPoint;
  if (!okType)
    throw runtimeError(
      `cov(): expected ${which} to have ${which === "fweights" ? "integral" : "floating point"} dtype but got ${which} with ${scalarTypeName(w.dtype)} dtype`,
    );
  if (w.numel() !== observations)
    throw runtimeError(
      `cov(): expected ${which} to have the same numel as there are observations in the input but got ${w.numel()} != ${observations}`,
    );
  if (observations > 0 && !w.min().ge(0).item())
    throw runtimeError(`cov(): ${which} cannot be negative`);
}

/**
 * ATen's cov: variables in rows, observations in columns; with w = fweights * aweights, the
 * weighted mean avg = sum(x w) / sum(w) and c = (x - avg) (w (x - avg))^T / norm, norm =
 * sum(w) - correction * sum(w aweights) / sum(w) (sum(w) - correction without aweights; 0
 * with a warning when not positive), squeezed (SqueezeBackward0).
 */
function covForward(
  self: Tensor,
  correction: number,
  fweights: Tensor | null,
  aweights: Tensor | null,
): Tensor {
  if (self.dim() > 2)
    throw runtimeError(
      `cov(): expected input to have two or fewer dimensions but got an input with ${self.dim()} dimensions`,
    );
  if (self.dtype === bool) throw runtimeError("cov(): bool dtype is not supported for input");
  const input = self.dim() < 2 ? self.view(1, -1) : self;
  const observations = input.shape[1];
  let w: Tensor | null = null;
  if (fweights !== null) {
    checkCovWeights(fweights, "fweights", observations);
    w = fweights;
  }
  if (aweights !== null) {
    checkCovWeights(aweights, "aweights", observations);
    w = w === null ? aweights : w.mul(aweights);
  }
  const wSum = w === null ? torchScalar(observations) : w.sum();
  const avg = (w === null ? input : input.mul(w)).sum(1).div(wSum);
  let norm =
    w !== null && correction !== 0 && aweights !== null
      ? wSum.sub(w.mul(aweights).sum().mul(correction).div(wSum))
      : wSum.sub(correction);
  if (norm.le(0).item()) {
    console.warn("UserWarning: cov(): degrees of freedom is <= 0");
    norm = F.zerosLike(norm);
  }
  const centered = input.sub(avg.unsqueeze(1));
  const c = centered.mm((w === null ? centered : centered.mul(w)).t());
  return c.trueDivide(norm).squeeze();
}

/** A 0-dim int64 tensor (ATen's scalar_tensor(n, kLong)); int64 is stored as doubles. */
const torchScalar = (n: number): Tensor => wrap(Float64Array.of(n), [], int64);

defineOp({
  name: "cov",
  variants: ["function", "method"],
  doc: "The covariance matrix of the variables in the rows (observations in the columns), optionally weighted by `fweights` and `aweights`.",
  example: "torch.tensor([[0, 1, 2], [2, 1, 0]]).float().cov() // tensor([[ 1., -1.], [-1.,  1.]])",
  overloads: [
    {
      schema:
        "cov(Tensor self, *, int correction=1, Tensor? fweights=None, Tensor? aweights=None) -> Tensor",
      forward: covForward,
    },
  ],
});

defineOp({
  name: "corrcoef",
  variants: ["function", "method"],
  doc: "The Pearson correlation coefficients of the variables in the rows, clipped to [-1, 1].",
  example:
    "torch.tensor([[0, 1, 2], [2, 1, 0]]).float().corrcoef() // tensor([[ 1., -1.], [-1.,  1.]])",
  overloads: [
    {
      schema: "corrcoef(Tensor self) -> Tensor",
      forward: (self: Tensor) => {
        if (self.dim() > 2)
          throw runtimeError(
            `corrcoef(): expected input to have two or fewer dimensions but got an input with ${self.dim()} dimensions`,
          );
        const c = covForward(self, 1, null, null);
        // a scalar covariance: nan for nan, inf or 0, else 1
        if (c.dim() === 0) return c.div(c);
        const n = c.shape[0];
        const d = c.reshape(-1).indexSelect(0, arange(0, n * n, n + 1));
        const stddev = d.sqrt();
        return c.div(stddev.view(-1, 1)).div(stddev.view(1, -1)).clamp(-1, 1);
      },
    },
  ],
});
