/**
 * Sorting and selection: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode,
 * searchsorted, bucketize, histc, bincount, unique, unique_consecutive. One
 * `defineOp` per op (see ../define.ts); the kernels are src/backend/sort.ts's.
 *
 * The ops returning `(Tensor values, Tensor indices)` give `{ values, indices, 0, 1 }` (as
 * torch.return_types.sort and reduce.ts's max/min) and record their own node as max(dim) does:
 * the gradient of the values is scattered to the indices (PyTorch's
 * value_selecting_reduction_backward: SortBackward0, TopkBackward0, KthvalueBackward0,
 * MedianBackward1, NanmedianBackward1, ModeBackward0), the tangent gathered from them
 * (gather_with_keepdimed_indices).
 */
import { namedTuple } from "../../named-tuple.js";
import { Tensor } from "../../tensor.js";
import {
  bool,
  float32,
  float64,
  int32,
  int64,
  promoteTypes,
  type TypedArray,
} from "../../dtype.js";
import { castData, contiguousData, scalarTypeName, wrap } from "../../ops/core.js";
import { normalizeDim } from "../../shape.js";
import { indexError, runtimeError } from "../../errors.js";
import { needsGrad, record } from "../../autograd/function.js";
import * as F from "../../autograd/formula-ops.js";
import * as S from "../../backend/sort.js";
import { histogramdd } from "../../backend/histogram.js";
import { defineOp } from "../define.js";

/** (values, indices), as torch.return_types.* of the ops here */
export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
  0: Tensor;
  1: Tensor;
}

const pair = (values: Tensor, indices: Tensor): ValuesIndices =>
  namedTuple({ values, indices, 0: values, 1: indices });

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
    "torch.tensor([3, 1, 2]).sort() // { values: tensor([1., 2., 3.]), indices: tensor([1, 2, 0]) }",
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
  example: "torch.tensor([[3, 1], [1, 2]]).msort() // tensor([[1., 1.], [3., 2.]])",
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
  example:
    "torch.tensor([1, 5, 3]).topk(2) // { values: tensor([5., 3.]), indices: tensor([1, 2]) }",
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
  example: "torch.tensor([4, 1, 3]).kthvalue(2) // { values: tensor(3.), indices: tensor(2) }",
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
  example: "torch.tensor([1, 2, 2, 3]).mode() // { values: tensor(2.), indices: tensor(2) }",
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

// ------------------------------------------------------------------------------------------------
// searchsorted, bucketize

/**
 * The insertion point of `val` in the sorted row bd[start, start + len) (through `sorter` when
 * given): PyTorch's cus_lower_bound (the first position whose value is not below val; `right`:
 * cus_upper_bound, the first above). The tests are negated so that a NaN boundary counts as
 * above every value and a NaN value lands at the end.
 */
function bound(
  bd: TypedArray,
  start: number,
  len: number,
  sorter: TypedArray | null,
  val: number,
  right: boolean,
): number {
  let lo = 0;
  let hi = len;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    const m = sorter === null ? bd[start + mid] : bd[start + sorter[start + mid]];
    if (right ? !(m > val) : !(m >= val)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const shapeText = (s: readonly number[]): string => `[${s.join(", ")}]`;

function searchsortedImpl(
  boundaries: Tensor,
  input: Tensor,
  outInt32: boolean,
  right: boolean,
  side: string | null,
  sorter: Tensor | null,
): Tensor {
  if (side !== null) {
    if (side !== "left" && side !== "right")
      throw runtimeError(
        `torch.searchsorted(): side can only be 'left' or 'right' but got ${side}`,
      );
    if (right && side !== "right")
      throw runtimeError(
        `torch.searchsorted(): side and right can't be set to opposites, got side of ${side} while right was True`,
      );
  }
  const isRight = right || side === "right";
  if (sorter !== null) {
    if (sorter.shape.join() !== boundaries.shape.join())
      throw runtimeError(
        `torch.searchsorted(): boundary and sorter must have the same size, but got boundary tensor ${shapeText(boundaries.shape)}and got sorter tensor ${shapeText(sorter.shape)}`,
      );
    if (sorter.dtype !== int64)
      throw runtimeError(
        `torch.searchsorted(): sorter must be a tensor of long dtype but got dtype ${scalarTypeName(sorter.dtype)}`,
      );
  }
  const bdim = boundaries.dim();
  if (!(input.dim() > 0 || (input.numel() === 1 && bdim === 1)))
    throw runtimeError(
      `torch.searchsorted(): input value can be a scalar only when boundaries tensor dimension is 1, but we got boundaries tensor dim(${bdim}) and input value's dim(${input.dim()}) numel(${input.numel()})`,
    );
  if (bdim === 0)
    throw runtimeError(
      "torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 dimension",
    );
  if (
    bdim !== 1 &&
    (bdim !== input.dim() ||
      boundaries.shape.slice(0, -1).join() !== input.shape.slice(0, -1).join())
  )
    throw runtimeError(
      `torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor ${shapeText(boundaries.shape)} and input value tensor ${shapeText(input.shape)}`,
    );
  // both compared in their promoted dtype (int64 boundaries and float32 values: float32)
  const common = promoteTypes(boundaries.dtype, input.dtype);
  const bd = castData(boundaries, common);
  const xs = castData(input, common);
  const srt = sorter === null ? null : castData(sorter, int64);
  const len = boundaries.shape[bdim - 1];
  const n = xs.length;
  const out = outInt32 ? new Int32Array(n) : new Float64Array(n);
  // 1-D boundaries serve every value; else row r of the values searches row r of boundaries
  const perRow = bdim === 1 ? n : input.shape[input.dim() - 1];
  for (let i = 0; i < n; i++) {
    const start = bdim === 1 || perRow === 0 ? 0 : Math.floor(i / perRow) * len;
    out[i] = bound(bd, start, len, srt, xs[i], isRight);
  }
  return wrap(out, input.shape.slice(), outInt32 ? int32 : int64);
}

/** A Scalar `self` as PyTorch's scalar_to_tensor: int64 for an integer, float64 otherwise. */
const scalarTensor = (v: number | boolean): Tensor =>
  wrap(
    typeof v === "boolean"
      ? Uint8Array.of(v ? 1 : 0)
      : Number.isInteger(v)
        ? Float64Array.of(v)
        : Float64Array.of(v),
    [],
    typeof v === "boolean" ? bool : Number.isInteger(v) ? int64 : float64,
  );

defineOp({
  name: "searchsorted",
  variants: ["function"],
  out: true,
  doc: "Where each value would be inserted into the sorted innermost rows of `sorted_sequence` (int64, or int32 with `out_int32`).",
  example: "torch.searchsorted(torch.tensor([1, 3, 5, 7]), torch.tensor([3, 6])) // tensor([1, 3])",
  overloads: [
    {
      schema:
        "searchsorted.Tensor(Tensor sorted_sequence, Tensor self, *, bool out_int32=False, bool right=False, str? side=None, Tensor? sorter=None) -> Tensor",
      forward: searchsortedImpl,
    },
    {
      schema:
        "searchsorted.Scalar(Tensor sorted_sequence, Scalar self, *, bool out_int32=False, bool right=False, str? side=None, Tensor? sorter=None) -> Tensor",
      out: false,
      forward: (
        s: Tensor,
        self: number | boolean,
        outInt32: boolean,
        right: boolean,
        side: string | null,
        sorter: Tensor | null,
      ) => searchsortedImpl(s, scalarTensor(self), outInt32, right, side, sorter),
    },
  ],
});

function bucketizeImpl(
  self: Tensor,
  boundaries: Tensor,
  outInt32: boolean,
  right: boolean,
): Tensor {
  if (boundaries.dim() !== 1)
    throw runtimeError(`boundaries tensor must be 1 dimension, but got dim(${boundaries.dim()})`);
  return searchsortedImpl(boundaries, self, outInt32, right, null, null);
}

defineOp({
  name: "bucketize",
  variants: ["function"],
  out: true,
  doc: "The index of the bucket of each value among the 1-D sorted `boundaries` (int64, or int32 with `out_int32`).",
  example:
    "torch.bucketize(torch.tensor([3, 6, 9]), torch.tensor([1, 3, 5, 7])) // tensor([1, 3, 4])",
  overloads: [
    {
      schema:
        "bucketize.Tensor(Tensor self, Tensor boundaries, *, bool out_int32=False, bool right=False) -> Tensor",
      forward: bucketizeImpl,
    },
    {
      schema:
        "bucketize.Scalar(Scalar self, Tensor boundaries, *, bool out_int32=False, bool right=False) -> Tensor",
      out: false,
      forward: (self: number | boolean, boundaries: Tensor, outInt32: boolean, right: boolean) =>
        bucketizeImpl(scalarTensor(self), boundaries, outInt32, right),
    },
  ],
});

// ------------------------------------------------------------------------------------------------
// histc, bincount

/** A double as c10's stream prints it in messages (1, 0.5, inf, nan, 1e+10). */
export function cppDouble(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  const p = Number(v.toPrecision(6));
  const e = Math.abs(p) >= 1e6 || (p !== 0 && Math.abs(p) < 1e-4);
  if (!e) return String(p);
  const [m, x] = p.toExponential().split("e");
  const ex = Number(x);
  return `${m}e${ex < 0 ? "-" : "+"}${String(Math.abs(ex)).padStart(2, "0")}`;
}

/**
 * torch.histc: `bins` equal-width bins over [min, max] (the data's range when min == max, widened
 * by 1 each side when that is one value); elements outside are ignored, the last bin includes
 * max. As histogramdd_cpu_contiguous's LINEAR_INTERPOLATION: bin = (x - min) * bins /
 * (max - min) in the input's precision, max itself in the last bin.
 */
function histcImpl(self: Tensor, bins: number, min: number, max: number): Tensor {
  if (!self.dtype.isFloatingPoint)
    throw runtimeError(`"histogram_cpu" not implemented for '${scalarTypeName(self.dtype)}'`);
  const f32 = self.dtype === float32;
  const r = (v: number): number => (f32 ? Math.fround(v) : v);
  const data = castData(self, self.dtype);
  let lo = Number(min);
  let hi = Number(max);
  // aminmax over more than one element combines a NaN into x86's default NaN, printed "-nan"
  let nanText = "nan";
  if (lo === hi && data.length > 0) {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const x = data[i];
      // aminmax propagates NaN
      if (x !== x) {
        lo = NaN;
        hi = NaN;
        if (data.length > 1) nanText = "-nan";
        break;
      }
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  } else if (lo > hi) throw runtimeError("torch.histc: max must be larger than min");
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi))
    throw runtimeError(
      `torch.histc: range of [${lo !== lo ? nanText : cppDouble(lo)}, ${hi !== hi ? nanText : cppDouble(hi)}] is not finite`,
    );
  if (bins <= 0)
    throw runtimeError(`torch.histogram(): bins must be > 0, but got ${bins} for dimension 0`);
  const out = new self.dtype.ArrayType(bins);
  // the edges in the input's dtype: linear interpolation reads only linspace's first and last
  // and their count
  const edges = new self.dtype.ArrayType(bins + 1);
  edges[0] = r(lo);
  edges[bins] = r(hi);
  histogramdd(data, data.length, 1, null, [edges], "linear", f32, out);
  return wrap(out, [bins], self.dtype);
}

defineOp({
  name: "histc",
  variants: ["function", "method"],
  out: true,
  doc: "A histogram of `bins` equal-width bins over [min, max] (the data's range when both are 0).",
  example: "torch.histc(torch.tensor([1, 2, 1]), 4, 0, 3) // tensor([0., 2., 1., 0.])",
  overloads: [
    {
      schema: "histc(Tensor self, int bins=100, Scalar min=0, Scalar max=0) -> Tensor",
      forward: histcImpl,
    },
  ],
});

/**
 * torch.bincount: the count of each value of a 1-D non-negative integer tensor (int64), or the
 * sum of `weights` per value (float32 weights give float32, others float64); max(x) + 1 bins, at
 * least `minlength`.
 */
function bincountImpl(self: Tensor, weights: Tensor | null, minlength: number): Tensor {
  if (self.dtype.isFloatingPoint || self.dtype === bool)
    throw runtimeError(`"bincount_cpu" not implemented for '${scalarTypeName(self.dtype)}'`);
  if (minlength < 0) throw runtimeError("minlength should be >= 0");
  const xs = castData(self, self.dtype);
  let max = -1;
  let neg = false;
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] < 0) neg = true;
    if (xs[i] > max) max = xs[i];
  }
  if (self.dim() === 1 && xs.length === 0) {
    const dt = weights === null ? int64 : weights.dtype === float32 ? float32 : float64;
    return wrap(new dt.ArrayType(minlength), [minlength], dt);
  }
  if (self.dim() !== 1 || neg)
    throw runtimeError("bincount only supports 1-d non-negative integral inputs.");
  if (weights !== null && (weights.dim() !== 1 || weights.shape[0] !== xs.length))
    throw runtimeError("weights should be 1-d and have the same length as input");
  const n = Math.max(max + 1, minlength);
  if (weights === null) {
    const out = new Float64Array(n);
    for (let i = 0; i < xs.length; i++) out[xs[i]] += 1;
    return wrap(out, [n], int64);
  }
  const dt = weights.dtype === float32 ? float32 : float64;
  const w = castData(weights.detach(), dt);
  // accumulated in the result's dtype, in input order
  const out = new dt.ArrayType(n);
  for (let i = 0; i < xs.length; i++) out[xs[i]] += w[i];
  return wrap(out, [n], dt);
}

defineOp({
  name: "bincount",
  variants: ["function", "method"],
  doc: "The number of occurrences of each value of a 1-D non-negative integer tensor (or the sum of `weights` per value).",
  example:
    "torch.tensor([1, 2, 2, 5], { dtype: torch.long }).bincount() // tensor([0, 1, 2, 0, 0, 1])",
  overloads: [
    {
      schema: "bincount(Tensor self, Tensor? weights=None, int minlength=0) -> Tensor",
      forward: bincountImpl,
    },
  ],
});

// ------------------------------------------------------------------------------------------------
// unique, unique_consecutive

/** `d` first, the other dims in order (a permutation for permute) */
const dimFirst = (nd: number, d: number): number[] => [
  d,
  ...Array.from({ length: nd }, (_v, i) => i).filter((i) => i !== d),
];

/** The inverse of dimFirst */
const dimBack = (nd: number, d: number): number[] => {
  const p = dimFirst(nd, d);
  const inv = new Array<number>(nd);
  p.forEach((q, i) => (inv[q] = i));
  return inv;
};

/**
 * The slices along `dim` (all elements, one per slice, when dim is null) as rows: `rowsData`
 * holds slice r's elements contiguously at r * width.
 */
function slicesOf(
  input: Tensor,
  dim: number | null,
): { data: TypedArray; count: number; width: number; d: number } {
  if (dim === null) {
    const data = castData(input, input.dtype);
    return { data, count: data.length, width: 1, d: 0 };
  }
  const d = normalizeDim(dim, input.dim());
  const moved = input.dim() === 0 ? input : input.detach().permute(dimFirst(input.dim(), d));
  const data = castData(moved, input.dtype);
  const count = input.dim() === 0 ? 1 : input.shape[d];
  return { data, count, width: count === 0 ? 0 : data.length / count, d };
}

/** Slices a and b compare: -1, 0 or 1 by their first differing element (NaN unequal to all). */
function compareSlices(data: TypedArray, width: number, a: number, b: number): number {
  for (let j = 0; j < width; j++) {
    const x = data[a * width + j];
    const y = data[b * width + j];
    if (x < y) return -1;
    if (x > y) return 1;
    if (x !== y) return x !== x ? (y !== y ? 2 : 1) : -1;
  }
  return 0;
}

/**
 * Runs of equal slices in the given order (`order[i]`: the i-th slice): the output (the first
 * slice of each run), the inverse (each slice's run) and the counts, as PyTorch's
 * _unique_dim_cpu_impl / unique_consecutive (equality as at::equal: NaN never equal).
 */
function runs(
  input: Tensor,
  s: { data: TypedArray; count: number; width: number; d: number },
  order: ArrayLike<number>,
  dim: number | null,
): [Tensor, Tensor, Tensor] {
  const { data, count, width } = s;
  const inverse = new Float64Array(count);
  const firsts: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < count; i++) {
    const k = order[i];
    if (i === 0 || compareSlices(data, width, order[i - 1], k) !== 0) {
      firsts.push(k);
      counts.push(0);
    }
    counts[counts.length - 1]++;
    inverse[k] = firsts.length - 1;
  }
  const out = new input.dtype.ArrayType(firsts.length * width);
  firsts.forEach((k, r) => {
    for (let j = 0; j < width; j++) out[r * width + j] = data[k * width + j];
  });
  let output: Tensor;
  if (dim === null) output = wrap(out, [firsts.length], input.dtype);
  else {
    const nd = input.dim();
    const movedShape = nd === 0 ? [] : dimFirst(nd, s.d).map((q) => input.shape[q]);
    if (movedShape.length > 0) movedShape[0] = firsts.length;
    output = wrap(out, movedShape, input.dtype);
    if (nd > 0) output = output.permute(dimBack(nd, s.d)).contiguous();
  }
  const invShape = dim === null ? input.shape.slice() : [count];
  return [
    output,
    wrap(inverse, invShape, int64),
    wrap(Float64Array.from(counts), [counts.length], int64),
  ];
}

/** The Python functions' result: output alone, or with inverse and/or counts (a JS array). */
const pick = (
  r: [Tensor, Tensor, Tensor],
  returnInverse: boolean,
  returnCounts: boolean,
): Tensor | Tensor[] => {
  if (!returnInverse && !returnCounts) return r[0];
  const out = [r[0]];
  if (returnInverse) out.push(r[1]);
  if (returnCounts) out.push(r[2]);
  return out;
};

/**
 * torch.unique (torch/functional.py): the distinct elements in ascending order (or distinct
 * slices along `dim`, in lexicographic order), with each element's index in them and their
 * counts. Without dim, PyTorch 1.13's CPU kernel collects an unordered_set (NaNs, never equal,
 * each kept) and std::sorts it for sorted=True; an element's inverse and count are looked up
 * in hash maps, where a NaN is never found: its inverse is 0 and the NaN outputs count 0. Here
 * the output is sorted for sorted=False too (PyTorch's order is then the hash set's, which it
 * leaves unspecified), and NaNs come last.
 */
function uniqueImpl(
  input: Tensor,
  sorted: boolean,
  returnInverse: boolean,
  returnCounts: boolean,
  dim: number | null,
): Tensor | Tensor[] {
  const s = slicesOf(input, dim);
  const order = Array.from({ length: s.count }, (_v, i) => i);
  const cmp = (a: number, b: number): number => {
    const c = compareSlices(s.data, s.width, a, b);
    return c === 2 ? a - b : c || a - b;
  };
  order.sort(cmp);
  const r = runs(input, s, order, dim);
  if (dim === null) {
    // hash-map lookups of NaN miss: inverse 0, count 0 (unique_cpu_template)
    const inv = r[1].typedArray;
    for (let i = 0; i < s.count; i++) if (s.data[i] !== s.data[i]) inv[i] = 0;
    const out = r[0].typedArray;
    const cnt = r[2].typedArray;
    for (let i = 0; i < out.length; i++) if (out[i] !== out[i]) cnt[i] = 0;
  }
  return pick(r, returnInverse, returnCounts);
}

defineOp({
  name: "unique",
  variants: ["function", "method"],
  // boolean_dispatch on return_inverse, then return_counts (torch/functional.py)
  python: {
    flag: "return_inverse",
    ifTrue: { flag: "return_counts", ifTrue: "_unique_impl", ifFalse: "_return_inverse" },
    ifFalse: { flag: "return_counts", ifTrue: "_return_counts", ifFalse: "_return_output" },
  },
  doc: "The distinct elements, sorted (or the distinct slices along `dim`); `[output, inverse?, counts?]` with `return_inverse` / `return_counts`.",
  example: "torch.unique(torch.tensor([3, 1, 3])) // tensor([1., 3.])",
  overloads: [
    {
      schema:
        "unique(Tensor input, bool sorted=True, bool return_inverse=False, bool return_counts=False, int? dim=None) -> Tensor",
      forward: uniqueImpl,
    },
  ],
  methodOverloads: [
    {
      schema:
        "unique(Tensor self, bool sorted=True, bool return_inverse=False, bool return_counts=False, int? dim=None) -> Tensor",
      forward: uniqueImpl,
    },
  ],
});

/** torch.unique_consecutive: runs of equal consecutive elements (or slices along `dim`). */
function uniqueConsecutiveImpl(
  input: Tensor,
  returnInverse: boolean,
  returnCounts: boolean,
  dim: number | null,
): Tensor | Tensor[] {
  const s = slicesOf(input, dim);
  const order = Array.from({ length: s.count }, (_v, i) => i);
  return pick(runs(input, s, order, dim), returnInverse, returnCounts);
}

defineOp({
  name: "unique_consecutive",
  variants: ["function", "method"],
  python: {
    flag: "return_inverse",
    ifTrue: {
      flag: "return_counts",
      ifTrue: "_unique_consecutive_impl",
      ifFalse: "_consecutive_return_inverse",
    },
    ifFalse: {
      flag: "return_counts",
      ifTrue: "_consecutive_return_counts",
      ifFalse: "_consecutive_return_output",
    },
  },
  doc: "One element of each run of equal consecutive elements (or slices along `dim`); `[output, inverse?, counts?]` with `return_inverse` / `return_counts`.",
  example: "torch.uniqueConsecutive(torch.tensor([1, 1, 2, 1])) // tensor([1., 2., 1.])",
  overloads: [
    {
      schema:
        "unique_consecutive(Tensor input, bool return_inverse=False, bool return_counts=False, int? dim=None) -> Tensor",
      forward: uniqueConsecutiveImpl,
    },
  ],
  methodOverloads: [
    {
      schema:
        "unique_consecutive(Tensor self, bool return_inverse=False, bool return_counts=False, int? dim=None) -> Tensor",
      forward: uniqueConsecutiveImpl,
    },
  ],
});
