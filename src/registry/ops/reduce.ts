/**
 * Reductions. One `defineOp` per op (see ../define.ts).
 */
import { Tensor } from "../../tensor.js";
import { DType } from "../../dtype.js";
import * as R from "../../ops/reduce.js";
import { pyTypeName, scalarTypeName } from "../../ops/core.js";
import { normalizeDim } from "../../shape.js";
import { notImplementedError, runtimeError, typeError, valueError } from "../../errors.js";
import * as F from "../../autograd/formula-ops.js";
import { defineOp, writeOut } from "../define.js";

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
 * "nuc" (the nuclear norm: needs an SVD, which tensorgrad lacks). Follows its dispatch: the
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
      throw notImplementedError(
        "norm(): the nuclear norm (p='nuc') needs a singular value decomposition, which tensorgrad does not have",
      );
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
        ? "torch.tensor([0, 1]).any() // tensor(true)"
        : "torch.tensor([0, 1]).all() // tensor(false)",
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
