/**
 * Sorting and selection: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode. One
 * `defineOp` per op (see ../define.ts); the kernels are src/backend/sort.ts's.
 *
 * The ops returning `(Tensor values, Tensor indices)` give `{ values, indices, 0, 1 }` (as
 * torch.return_types.sort and reduce.ts's max/min) and record their own node as max(dim) does:
 * the gradient of the values is scattered to the indices (PyTorch's
 * value_selecting_reduction_backward: SortBackward0, TopkBackward0, KthvalueBackward0,
 * MedianBackward1, NanmedianBackward1, ModeBackward0), the tangent gathered from them
 * (gather_with_keepdimed_indices).
 */
import { Tensor } from "../../tensor.js";
import { int64, type TypedArray } from "../../dtype.js";
import { contiguousData, scalarTypeName, wrap } from "../../ops/core.js";
import { normalizeDim } from "../../shape.js";
import { indexError, runtimeError } from "../../errors.js";
import { needsGrad, record } from "../../autograd/function.js";
import * as F from "../../autograd/formula-ops.js";
import * as S from "../../backend/sort.js";
import { defineOp } from "../define.js";

/** (values, indices), as torch.return_types.* of the ops here */
export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
  0: Tensor;
  1: Tensor;
}

const pair = (values: Tensor, indices: Tensor): ValuesIndices => ({
  values,
  indices,
  0: values,
  1: indices,
});

/** PyTorch's AT_DISPATCH error for a dtype a kernel lacks */
function dispatchCheck(self: Tensor, kernel: string): void {
  if (self.dtype.name === "bool")
    throw runtimeError(`"${kernel}" not implemented for '${scalarTypeName(self.dtype)}'`);
}

/**
 * The rows along `dim` as one contiguous buffer (the dim moved innermost; no copy when it
 * already is): `nRows` rows of `len`, and `shape`, the moved shape.
 */
function rows(
  self: Tensor,
  dim: number,
): { src: TypedArray; nRows: number; len: number; shape: number[] } {
  const nd = self.dim();
  const x = nd === 0 || dim === nd - 1 ? self.detach() : self.detach().transpose(dim, -1);
  const n = x.numel();
  const { data, offset } = contiguousData(x);
  const src = offset === 0 && data.length === n ? data : data.subarray(offset, offset + n);
  const len = nd === 0 ? 1 : x.shape[nd - 1];
  return { src, nRows: len === 0 ? 0 : n / len, len, shape: x.shape.slice() };
}

/** A row-major result in the moved shape back to the input's dim order (contiguous). */
function unmove(data: TypedArray, shape: number[], dtype: Tensor["dtype"], dim: number): Tensor {
  const t = wrap(data, shape, dtype);
  const nd = shape.length;
  return nd === 0 || dim === nd - 1 ? t : t.transpose(dim, -1).contiguous();
}

/** Record the values' node: the gradient scattered to `indices` (keepdim-shaped with keepdim). */
function recordSelect(
  name: string,
  self: Tensor,
  values: Tensor,
  indices: Tensor,
  dim: number,
  keepdim: boolean,
): void {
  if (needsGrad(self) && self.dtype.isFloatingPoint)
    record("maxDim", values, [self], { indices }, { dim, keepdim, name });
}

// ------------------------------------------------------------------------------------------------
// sort, argsort, msort

/** `stableOverload`: sort.stable records SortBackward1 (its own derivatives.yaml entry) */
function sortImpl(
  self: Tensor,
  dim: number,
  descending: boolean,
  stable: boolean,
  stableOverload = false,
): ValuesIndices {
  const d = normalizeDim(dim, self.dim());
  const { src, nRows, len, shape } = rows(self, d);
  const n = src.length;
  const outV = new self.dtype.ArrayType(n);
  const outI = new Float64Array(n);
  S.sortRows(src, nRows, len, descending, stable, outV, outI);
  const values = unmove(outV, shape, self.dtype, d);
  const indices = unmove(outI, shape, int64, d);
  recordSelect(stableOverload ? "SortBackward1" : "SortBackward0", self, values, indices, d, true);
  return pair(values, indices);
}

defineOp({
  name: "sort",
  variants: ["function", "method"],
  out: true,
  doc: "The elements sorted along `dim` (NaN largest), `{ values, indices }`; `stable` keeps ties in order.",
  example:
    "torch.tensor([3, 1, 2]).sort() // { values: tensor([1, 2, 3]), indices: tensor([1, 2, 0]) }",
  overloads: [
    {
      schema:
        "sort.stable(Tensor self, *, bool? stable, int dim=-1, bool descending=False) -> (Tensor values, Tensor indices)",
      forward: (self: Tensor, stable: boolean | null, dim: number, descending: boolean) =>
        sortImpl(self, dim, descending, stable === true, true),
    },
    {
      schema:
        "sort(Tensor self, int dim=-1, bool descending=False) -> (Tensor values, Tensor indices)",
      forward: (self: Tensor, dim: number, descending: boolean) =>
        sortImpl(self, dim, descending, false),
    },
    {
      schema:
        "sort.dimname_stable(Tensor self, *, bool? stable, Dimname dim, bool descending=False) -> (Tensor values, Tensor indices)",
      forward: null,
    },
    {
      schema:
        "sort.dimname(Tensor self, Dimname dim, bool descending=False) -> (Tensor values, Tensor indices)",
      forward: null,
    },
  ],
});

defineOp({
  name: "argsort",
  variants: ["function", "method"],
  doc: "The indices that sort the elements along `dim` (int64); `stable` keeps ties in order.",
  example: "torch.tensor([3, 1, 2]).argsort() // tensor([1, 2, 0])",
  overloads: [
    {
      schema:
        "argsort.stable(Tensor self, *, bool stable, int dim=-1, bool descending=False) -> Tensor",
      forward: (self: Tensor, stable: boolean, dim: number, descending: boolean) =>
        sortImpl(self.detach(), dim, descending, stable).indices,
    },
    {
      schema: "argsort(Tensor self, int dim=-1, bool descending=False) -> Tensor",
      forward: (self: Tensor, dim: number, descending: boolean) =>
        sortImpl(self.detach(), dim, descending, false).indices,
    },
    {
      schema: "argsort.dimname(Tensor self, Dimname dim, bool descending=False) -> Tensor",
      forward: null,
    },
  ],
});

defineOp({
  name: "msort",
  variants: ["function", "method"],
  out: true,
  doc: "The elements sorted along the first dim (torch.sort(input, 0).values).",
  example: "torch.tensor([[3, 1], [1, 2]]).msort() // tensor([[1, 1], [3, 2]])",
  overloads: [
    {
      schema: "msort(Tensor self) -> Tensor",
      // CompositeImplicit: sort(self, 0).values, recorded as SortBackward0
      forward: (self: Tensor) => sortImpl(self, 0, false, false).values,
    },
  ],
});

// ------------------------------------------------------------------------------------------------
// topk, kthvalue

function topkImpl(
  self: Tensor,
  k: number,
  dim: number,
  largest: boolean,
  sorted: boolean,
): ValuesIndices {
  const d = normalizeDim(dim, self.dim());
  const size = self.dim() === 0 ? 1 : self.shape[d];
  if (k < 0 || k > size) throw runtimeError("selected index k out of range");
  dispatchCheck(self, "topk_cpu");
  const { src, nRows, len, shape } = rows(self, d);
  const outShape = shape.slice();
  if (outShape.length > 0) outShape[outShape.length - 1] = k;
  const n = nRows * k;
  const outV = new self.dtype.ArrayType(n);
  const outI = new Float64Array(n);
  S.topkRows(src, nRows, len, k, largest, sorted, outV, outI);
  const values = unmove(outV, outShape, self.dtype, d);
  const indices = unmove(outI, outShape, int64, d);
  recordSelect("TopkBackward0", self, values, indices, d, true);
  return pair(values, indices);
}

defineOp({
  name: "topk",
  variants: ["function", "method"],
  out: true,
  doc: "The `k` largest (or smallest) elements along `dim`, `{ values, indices }`.",
  example: "torch.tensor([1, 5, 3]).topk(2) // { values: tensor([5, 3]), indices: tensor([1, 2]) }",
  overloads: [
    {
      schema:
        "topk(Tensor self, int k, int dim=-1, bool largest=True, bool sorted=True) -> (Tensor values, Tensor indices)",
      forward: topkImpl,
    },
  ],
});

/** The shape of a one-dim reduction: `dim` removed, or kept as 1. */
function reducedShape(self: Tensor, d: number, keepdim: boolean): number[] {
  if (self.dim() === 0) return [];
  const s = self.shape.slice();
  if (keepdim) s[d] = 1;
  else s.splice(d, 1);
  return s;
}

type RowKernel = (
  src: TypedArray,
  nRows: number,
  len: number,
  outV: TypedArray,
  outI: Float64Array,
) => void;

/** A one-dim selection (kthvalue, median, nanmedian, mode): values and int64 indices. */
function selectAlong(
  self: Tensor,
  name: string,
  d: number,
  keepdim: boolean,
  kernel: RowKernel,
  gradName: string,
): ValuesIndices {
  const size = self.dim() === 0 ? 1 : self.shape[d];
  if (size === 0 && self.numel() === 0 && self.dim() > 0)
    throw indexError(`${name}(): Expected reduction dim ${d} to have non-zero size.`);
  const { src, nRows, len } = rows(self, d);
  const outV = new self.dtype.ArrayType(nRows);
  const outI = new Float64Array(nRows);
  if (nRows > 0) kernel(src, nRows, len, outV, outI);
  const shape = reducedShape(self, d, keepdim);
  const values = wrap(outV, shape, self.dtype);
  const indices = wrap(outI, shape, int64);
  recordSelect(gradName, self, values, indices, d, keepdim);
  return pair(values, indices);
}

function kthvalueImpl(self: Tensor, k: number, dim: number, keepdim: boolean): ValuesIndices {
  const d = normalizeDim(dim, self.dim());
  const size = self.dim() === 0 ? 1 : self.shape[d];
  if (size === 0)
    throw indexError(`kthvalue(): Expected reduction dim ${d} to have non-zero size.`);
  if (k < 1 || k > size)
    throw runtimeError(`kthvalue(): selected number k out of range for dimension ${d}`);
  dispatchCheck(self, "kthvalue_cpu");
  return selectAlong(
    self,
    "kthvalue",
    d,
    keepdim,
    (src, nRows, len, outV, outI) => S.kthvalueRows(src, nRows, len, k, outV, outI),
    "KthvalueBackward0",
  );
}

defineOp({
  name: "kthvalue",
  variants: ["function", "method"],
  out: true,
  doc: "The `k`-th smallest element along `dim` (NaN largest), `{ values, indices }`.",
  example: "torch.tensor([4, 1, 3]).kthvalue(2) // { values: tensor(3), indices: tensor(2) }",
  overloads: [
    {
      schema:
        "kthvalue(Tensor self, int k, int dim=-1, bool keepdim=False) -> (Tensor values, Tensor indices)",
      forward: kthvalueImpl,
    },
    {
      schema:
        "kthvalue.dimname(Tensor self, int k, Dimname dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
      forward: null,
    },
  ],
});

// ------------------------------------------------------------------------------------------------
// median, nanmedian, mode

/**
 * The median of all elements (the lower of the two middle ones), NaN when there is a NaN
 * (median) or of the non-NaN elements (nanmedian); NaN for an empty input, as median_impl.
 */
function medianAll(self: Tensor, ignoreNan: boolean): Tensor {
  dispatchCheck(self, "median_cpu");
  const x = self.detach().reshape([-1]);
  const out = new self.dtype.ArrayType(1);
  if (x.numel() === 0) out[0] = NaN;
  else {
    const { src, nRows, len } = rows(x, 0);
    S.medianRows(src, nRows, len, ignoreNan, out, new Float64Array(1));
  }
  return wrap(out, [], self.dtype);
}

function medianDim(self: Tensor, dim: number, keepdim: boolean, ignoreNan: boolean): ValuesIndices {
  const d = normalizeDim(dim, self.dim());
  dispatchCheck(self, "median_out");
  return selectAlong(
    self,
    "median",
    d,
    keepdim,
    (src, nRows, len, outV, outI) => S.medianRows(src, nRows, len, ignoreNan, outV, outI),
    ignoreNan ? "NanmedianBackward1" : "MedianBackward1",
  );
}

for (const name of ["median", "nanmedian"] as const) {
  const ignoreNan = name === "nanmedian";
  defineOp({
    name,
    variants: ["function", "method"],
    doc: ignoreNan
      ? "The median ignoring NaNs (the lower middle element) of all elements, or along `dim` with `{ values, indices }`."
      : "The median (the lower middle element; NaN if any) of all elements, or along `dim` with `{ values, indices }`.",
    example: ignoreNan
      ? "torch.tensor([1, NaN, 3, 2]).nanmedian() // tensor(2.)"
      : "torch.tensor([1, 4, 3, 2]).median() // tensor(2.)",
    overloads: [
      {
        schema: `${name}(Tensor self) -> Tensor`,
        forward: (self: Tensor) => medianAll(self, ignoreNan),
        derivative: {
          name: ignoreNan ? "NanmedianBackward0" : "MedianBackward0",
          save: ["self", "result"],
          // evenly_distribute_backward: g shared among the elements equal to the result (the
          // NaNs when it is NaN)
          grad: (g: Tensor, s: { self: Tensor; result: Tensor }) => {
            const mask = Number.isNaN(Number(s.result.item()))
              ? s.self.isnan()
              : s.self.eq(s.result);
            return [F.zerosLike(s.self).maskedFill(mask, g.div(mask.sum()))];
          },
          // evenly_read_jvp: the mean of dx over the elements equal to the result
          jvp: (t, p, result) => {
            const mask = p.self.eq(result);
            return F.where(mask, t.self as Tensor, 0)
              .sum()
              .div(mask.sum());
          },
        },
      },
      {
        schema: `${name}.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)`,
        out: true,
        forward: (self: Tensor, dim: number, keepdim: boolean) =>
          medianDim(self, dim, keepdim, ignoreNan),
      },
      {
        schema: `${name}.names_dim(Tensor self, Dimname dim, bool keepdim=False) -> (Tensor values, Tensor indices)`,
        out: true,
        forward: null,
      },
    ],
  });
}

function modeImpl(self: Tensor, dim: number, keepdim: boolean): ValuesIndices {
  const d = normalizeDim(dim, self.dim());
  return selectAlong(self, "mode", d, keepdim, S.modeRows, "ModeBackward0");
}

defineOp({
  name: "mode",
  variants: ["function", "method"],
  out: true,
  doc: "The most frequent value along `dim` (the smallest of equally frequent ones), `{ values, indices }`.",
  example: "torch.tensor([1, 2, 2, 3]).mode() // { values: tensor(2), indices: tensor(2) }",
  overloads: [
    {
      schema:
        "mode(Tensor self, int dim=-1, bool keepdim=False) -> (Tensor values, Tensor indices)",
      forward: modeImpl,
    },
    {
      schema:
        "mode.dimname(Tensor self, Dimname dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
      forward: null,
    },
  ],
});
