/**
 * Indexing ops: gather, scatter_add, index_select, index_put. One `defineOp` per op (see
 * ../define.ts). Python's `t[...]` and `t[...] = v` are tensorgrad's own spellings `t.index(...)`
 * and `t.indexPut_(...)` (src/ops/indexing.ts), outside the registry.
 *
 * gather, scatter_add and index_select declare their derivatives here; the ops layer
 * (src/ops/views.ts) only computes. index_put records through the indexing machinery (its
 * backward is shared with `t[...] = v`).
 */
import type { Tensor } from "../../tensor.js";
import { bool, float64, int32, int64, uint8, type DType } from "../../dtype.js";
import { broadcastShapes, broadcastStrides, normalizeDim } from "../../shape.js";
import { ScatterOp, scatter as scatterKernel } from "../../backend/scatter.js";
import * as V from "../../ops/views.js";
import * as I from "../../ops/indexing.js";
import {
  alloc,
  allocData,
  castData,
  contiguousData,
  scalarIn,
  scalarTypeName,
  wrap,
} from "../../ops/core.js";
import * as F from "../../autograd/formula-ops.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { indexError, notImplementedError, runtimeError } from "../../errors.js";
import { defineOp, type DerivativeDecl, type OverloadDecl } from "../define.js";
import { scalarArg } from "./elementwise.js";
import { nonzeroTuple } from "../../ops/elementwise.js";
import { linear } from "../linear-jvp.js";

/** ensure_nonempty_size: a 0-dim tensor has size 1 in its one dim (other dims: IndexError). */
const sizeAt = (t: Tensor, d: number): number =>
  t.dim() === 0 ? (normalizeDim(d, 0), 1) : t.shape[normalizeDim(d, t.dim())];
/** ensure_nonempty_dim */
const dims = (t: Tensor): number => Math.max(t.dim(), 1);
const sizes = (t: Tensor): string => `[${t.shape.join(", ")}]`;
/** A tensor's shape and strides as the walks see them: a 0-dim tensor as one dim of size 1. */
const shapeN = (t: Tensor): number[] => (t.dim() === 0 ? [1] : t.shape.slice());
const stridesN = (t: Tensor): number[] => (t.dim() === 0 ? [0] : t.strides.slice());
/** A fresh contiguous copy of t: the out-of-place result a walk writes into. */
const copyOf = (t: Tensor): Tensor => wrap(castData(t, t.dtype), t.shape.slice(), t.dtype);

const warned = new Set<string>();
/** TORCH_WARN_ONCE: a UserWarning shown the first time only. */
function warnOnce(msg: string): void {
  if (warned.has(msg)) return;
  warned.add(msg);
  console.warn(`UserWarning: ${msg}`);
}

/** bool tensors have no arithmetic: ATen's bool sum is `or` and product `and`. */
function opFor(op: ScatterOp, dtype: DType): ScatterOp {
  if (dtype !== bool) return op;
  return op === ScatterOp.Accumulate
    ? ScatterOp.KeepMax
    : op === ScatterOp.Multiply
      ? ScatterOp.KeepMin
      : op;
}

/**
 * The scatter walk (src/backend/scatter.ts) over `shape`: out (contiguous, written in place)
 * gets src (a tensor read through `srcStrides`, or a number in out's dtype) combined at its
 * position with dim d replaced by the index value read through `idxStrides`. idx is int64.
 */
function walk(
  op: ScatterOp,
  out: Tensor,
  d: number,
  idx: Tensor,
  idxStrides: number[],
  src: Tensor | number,
  srcStrides: number[] | null,
  shape: number[],
  onBadIndex?: () => void,
): Tensor {
  if (shape.some((n) => n === 0)) return out;
  const os = stridesN(out);
  const dStride = os[d];
  os[d] = 0;
  // a tensor src has out's dtype (every caller checks it first)
  const srcData = typeof src === "number" ? allocData(1, out.dtype) : src.typedArray;
  if (typeof src === "number") srcData[0] = scalarIn(src, out.dtype);
  const srcOff = typeof src === "number" ? 0 : src.offset;
  const ok = scatterKernel(
    opFor(op, out.dtype),
    out.typedArray,
    out.offset,
    os,
    dStride,
    shapeN(out)[d],
    idx.typedArray,
    idx.offset,
    idxStrides,
    srcData,
    srcOff,
    srcStrides ?? shape.map(() => 0),
    shape,
  );
  if (!ok) {
    // an index value outside [0, size): the caller's error (out is dropped)
    onBadIndex?.();
    throw runtimeError("index out of range in self");
  }
  return out;
}

/** scatter's walk: over index's shape, src read at the index's positions. */
function scatterWalk(
  op: ScatterOp,
  out: Tensor,
  d: number,
  index: Tensor,
  src: Tensor | number,
  onBadIndex?: () => void,
): Tensor {
  if (index.numel() === 0) return out;
  const strides = typeof src === "number" ? null : stridesN(src).slice(0, dims(index));
  return walk(op, out, d, index, stridesN(index), src, strides, shapeN(index), onBadIndex);
}

/**
 * The first index value outside [0, size) (negative values do not wrap in gather and scatter
 * kernels), or null. Row-major order, as the kernels meet them for one bad value.
 */
function badIndexValue(index: Tensor, size: number): number | null {
  const { data, offset } = contiguousData(index);
  const n = index.numel();
  for (let k = 0; k < n; k++) {
    const v = data[offset + k];
    if (v < 0 || v >= size) return v;
  }
  return null;
}

/** The scatter/gather kernels' bounds check along dim d of self. */
function checkIndexValues(self: Tensor, d: number, index: Tensor): void {
  const size = sizeAt(self, d);
  const v = badIndexValue(index, size);
  if (v !== null)
    throw runtimeError(`index ${v} is out of bounds for dimension ${d} with size ${size}`);
}

/** ATen's gather meta and gather_shape_check, in their order (the kernel checks the values). */
function gatherChecks(self: Tensor, d: number, index: Tensor): void {
  if (index.numel() !== 0 && index.dtype !== int64)
    throw runtimeError("gather(): Expected dtype int64 for index");
  if (index.numel() === 0) return;
  if (dims(self) !== dims(index))
    throw runtimeError("Index tensor must have the same number of dimensions as input tensor");
  for (let i = 0; i < dims(self); i++) {
    if (i !== d && sizeAt(index, i) > sizeAt(self, i))
      throw runtimeError(
        `Size does not match at dimension ${i} expected index ${sizes(index)} to be smaller than self ${sizes(self)} apart from dimension ${d}`,
      );
  }
}

defineOp({
  name: "gather",
  variants: ["function", "method"],
  out: true,
  doc: "Values along `dim` at the positions `index` holds: out[i][j] = input[index[i][j]][j] for dim 0 (index int64, no larger than input apart from dim).",
  example:
    "torch.tensor([[1, 2], [3, 4]]).gather(1, torch.tensor([[1], [0]], { dtype: torch.long })) // tensor([[2.], [3.]])",
  overloads: [
    {
      // sparse_grad asks for a sparse gradient, a layout tensorgrad lacks: the gradient is dense
      schema: "gather(Tensor self, int dim, Tensor index, *, bool sparse_grad=False) -> Tensor",
      forward: (self: Tensor, dim: number, index: Tensor) => {
        const d = normalizeDim(dim, self.dim());
        gatherChecks(self, d, index);
        if (index.numel() === 0) return alloc(index.shape.slice(), self.dtype);
        checkIndexValues(self, d, index);
        return V.gather(self, d, index);
      },
      derivative: {
        name: "GatherBackward0",
        save: ["index"],
        attrs: ["dim"],
        // g added into zeros of self's shape at the gathered positions (repeats accumulate)
        grad: (g: Tensor, s: { index: Tensor }, a: { dim: number }, n) => [
          F.zeros(n.inputShape(0), g).scatterAdd(a.dim, s.index, g),
          null,
        ],
        // linear in self: the tangent gathered
        jvp: linear((t, a: { dim: number }, p) => t.gather(a.dim, p.index)),
      },
    },
    {
      schema:
        "gather.dimname(Tensor self, Dimname dim, Tensor index, *, bool sparse_grad=False) -> Tensor",
      forward: null,
      named: { nyi: "gather" },
    },
  ],
});

/**
 * ATen's scatter meta checks (scatter_gather_dtype_check, then scatter_shape_check), in order;
 * `src` null for the value overloads, whose shape check leaves src out.
 */
function scatterChecks(
  self: Tensor,
  d: number,
  index: Tensor,
  src: Tensor | null,
  fn = "scatter",
): void {
  if (index.numel() !== 0 && index.dtype !== int64)
    throw runtimeError(`${fn}(): Expected dtype int64 for index`);
  if (src !== null && self.dtype !== src.dtype)
    throw runtimeError(`${fn}(): Expected self.dtype to be equal to src.dtype`);
  if (index.numel() === 0) return;
  if (dims(self) !== dims(index))
    throw runtimeError("Index tensor must have the same number of dimensions as self tensor");
  let wrong = false;
  for (let i = 0; i < dims(self) && !wrong; i++)
    if (i !== d && sizeAt(index, i) > sizeAt(self, i)) wrong = true;
  if (src === null) {
    if (wrong)
      throw runtimeError(
        `Expected index ${sizes(index)} to be smaller than self ${sizes(self)} apart from dimension ${d}`,
      );
    return;
  }
  for (let i = 0; i < dims(self) && !wrong; i++)
    if (sizeAt(index, i) > sizeAt(src, i)) wrong = true;
  if (dims(src) !== dims(index))
    throw runtimeError("Index tensor must have the same number of dimensions as src tensor");
  if (wrong)
    throw runtimeError(
      `Expected index ${sizes(index)} to be smaller than self ${sizes(self)} apart from dimension ${d} and to be smaller size than src ${sizes(src)}`,
    );
}

defineOp({
  name: "scatter_add",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "self plus src's values added at the positions `index` holds along `dim` (repeats accumulate): out[index[i][j]][j] += src[i][j] for dim 0.",
  example:
    "torch.zeros(3).scatterAdd(0, torch.tensor([0, 0, 2], { dtype: torch.long }), torch.tensor([1, 2, 3])) // tensor([3., 0., 3.])",
  overloads: [
    {
      schema: "scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor",
      forward: (self: Tensor, dim: number, index: Tensor, src: Tensor) => {
        const d = normalizeDim(dim, self.dim());
        scatterChecks(self, d, index, src);
        // the walk checks index values as it goes (a bad one: the kernel's message)
        return scatterWalk(ScatterOp.Accumulate, copyOf(self), d, index, src, () =>
          checkIndexValues(self, d, index),
        );
      },
      derivative: {
        name: "ScatterAddBackward0",
        save: ["index"],
        attrs: ["dim"],
        // d self = g; d src = g gathered at the scattered positions
        grad: (g: Tensor, s: { index: Tensor }, a: { dim: number }) => [
          g,
          null,
          g.gather(a.dim, s.index),
        ],
        // d(self + scatter(src)) = dself + scatter(dsrc)
        jvp: (t, p, result, a: { dim: number }) => {
          const base = t.self ?? F.zeros(p.self.shape, result);
          return t.src === null ? base : base.scatterAdd(a.dim, p.index, t.src);
        },
      },
    },
    {
      schema: "scatter_add.dimname(Tensor self, Dimname dim, Tensor index, Tensor src) -> Tensor",
      forward: null,
      named: { nyi: "scatter_add" },
      out: false,
      inplace: false,
    },
  ],
});

defineOp({
  name: "index_select",
  variants: ["function", "method"],
  out: true,
  doc: "The slices of input at the positions of `index` (a vector of int32 or int64) along `dim`.",
  example:
    "torch.tensor([[1, 2], [3, 4]]).indexSelect(0, torch.tensor([1, 1], { dtype: torch.long })) // tensor([[3., 4.], [3., 4.]])",
  overloads: [
    {
      schema: "index_select(Tensor self, int dim, Tensor index) -> Tensor",
      forward: (self: Tensor, dim: number, index: Tensor) => {
        // index_select_out_cpu_: along dim 1 of a tensor of 2 or more dims, its fast path's
        // bounds check (after the index's own checks, in the ops layer)
        if (
          self.dim() > 1 &&
          index.dim() <= 1 &&
          (index.dtype === int64 || index.dtype === int32)
        ) {
          const d = normalizeDim(dim, self.dim());
          const v = d === 1 ? badIndexValue(index, self.shape[1]) : null;
          if (v !== null)
            throw runtimeError(
              `INDICES element is out of DATA bounds, id=${v} axis_dim=${self.shape[1]}`,
            );
        }
        return V.indexSelect(self, dim, index);
      },
      derivative: {
        name: "IndexSelectBackward0",
        save: ["index"],
        attrs: ["dim"],
        // g added into zeros of self's shape at the selected slices (index_add): index laid
        // along dim and expanded over g, then scattered
        grad: (g: Tensor, s: { index: Tensor }, a: { dim: number }, n) => {
          const shape = n.inputShape(0);
          if (shape.length === 0) return [g, null]; // a 0-dim self: its one element
          const d = normalizeDim(a.dim, shape.length);
          const k = s.index.numel();
          const idx = s.index
            .to(int64)
            .reshape(shape.map((_, i) => (i === d ? k : 1)))
            .expand(g.shape.slice());
          return [F.zeros(shape, g).scatterAdd(d, idx, g), null];
        },
        // linear in self: the tangent selected
        jvp: linear((t, a: { dim: number }, p) => t.indexSelect(a.dim, p.index)),
      },
    },
    {
      schema: "index_select.dimname(Tensor self, Dimname dim, Tensor index) -> Tensor",
      forward: null,
      named: { nyi: "index_select" },
    },
  ],
});

defineOp({
  name: "index_put",
  variants: ["function", "method"],
  doc: "A copy of self with `values` written (or added, with accumulate) at the positions of the index tensors, one per leading dim (ATen's index_put; Python's t[indices] = v is t.indexPut_).",
  example:
    "torch.zeros(3).indexPut([torch.tensor([0, 2], { dtype: torch.long })], torch.tensor(1)) // tensor([1., 0., 1.])",
  overloads: [
    {
      schema:
        "index_put(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor",
      forward: (self: Tensor, indices: Tensor[], values: Tensor, accumulate: boolean) => {
        indexPutChecks(self, indices, values, accumulate);
        return I.indexPut(self, indices, values, accumulate);
      },
    },
  ],
});

/** index_put's checks of the index tensors and the values' dtype. */
function indexPutChecks(
  self: Tensor,
  indices: readonly Tensor[],
  values: Tensor,
  accumulate: boolean,
): void {
  for (const x of indices)
    if (x.dtype === int32 || x.dtype.isFloatingPoint)
      throw indexError("tensors used as indices must be long, byte or bool tensors");
  // without accumulate, one mask and one value dispatch to masked_fill_, which casts
  const maskedFill =
    !accumulate && values.numel() === 1 && indices.length === 1 && indices[0].dtype === bool;
  if (!maskedFill && values.dtype !== self.dtype)
    throw runtimeError(
      `Index put requires the source and destination dtypes match, got ${scalarTypeName(self.dtype)} for the destination and ${scalarTypeName(values.dtype)} for the source.`,
    );
}

// torch.index_put_(t, indices, values); the method t.indexPut_ also takes Python's index forms
// (ops/indexing.ts). PyTorch's parser refuses a None among the indices here, as the binder does.
defineOp({
  name: "index_put_",
  variants: ["function"],
  doc: "In place: `values` written (or added, with accumulate) into self at the positions of the index tensors, one per leading dim.",
  example:
    "torch.indexPut_(torch.zeros(3), [torch.tensor([0, 2], { dtype: torch.long })], torch.tensor(1)) // tensor([1., 0., 1.])",
  overloads: [
    {
      schema:
        "index_put_(Tensor(a!) self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor(a!)",
      forward: (self: Tensor, indices: Tensor[], values: Tensor, accumulate: boolean) => {
        indexPutChecks(self, indices, values, accumulate);
        return self.indexPut_(indices, values, accumulate);
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// scatter, scatter_reduce

type Scalar = number | boolean | Tensor;

/** scatter's reduce names (get_operator_enum without the new options). */
function scatterReduceOp(reduce: string | null): ScatterOp {
  if (reduce === null) return ScatterOp.Assign;
  if (reduce === "add") return ScatterOp.Accumulate;
  if (reduce === "multiply") return ScatterOp.Multiply;
  throw runtimeError("reduce argument must be either add or multiply.");
}

/** scatter(self, dim, index, src | value, reduce?): meta checks, reduce, bounds, then the walk. */
function scatterForward(
  self: Tensor,
  dim: number,
  index: Tensor,
  src: Tensor | number,
  reduce: string | null,
): Tensor {
  const d = normalizeDim(dim, self.dim());
  scatterChecks(self, d, index, typeof src === "number" ? null : src);
  const op = scatterReduceOp(reduce);
  return scatterWalk(op, copyOf(self), d, index, src, () => checkIndexValues(self, d, index));
}

/** derivatives.yaml lists no formula for scatter's reduce overloads: the node refuses. */
const scatterNotImplemented: DerivativeDecl = {
  name: "torch::autograd::NotImplemented",
  save: [],
  grad: () => {
    throw runtimeError("derivative for aten::scatter is not implemented");
  },
  jvp: () => {
    throw notImplementedError(
      "Trying to use forward AD with aten::scatter that does not support it.",
    );
  },
};

const scatterSrc: OverloadDecl = {
  schema: "scatter.src(Tensor self, int dim, Tensor index, Tensor src) -> Tensor",
  forward: (self: Tensor, dim: number, index: Tensor, src: Tensor) =>
    scatterForward(self, dim, index, src, null),
  derivative: {
    name: "ScatterBackward0",
    save: ["index"],
    attrs: ["dim"],
    // the written positions take src's values: self's gradient is g with them zeroed, src's is
    // g read back at them
    grad: (g: Tensor, s: { index: Tensor }, a: { dim: number }) => [
      g.scatter(a.dim, s.index, 0),
      null,
      g.gather(a.dim, s.index),
    ],
    jvp: (t, p, result, a: { dim: number }) =>
      (t.self ?? F.zeros(p.self.shape, result)).scatter(
        a.dim,
        p.index,
        t.src ?? F.zeros(p.src.shape, result),
      ),
  },
};
const scatterValue: OverloadDecl = {
  schema: "scatter.value(Tensor self, int dim, Tensor index, Scalar value) -> Tensor",
  forward: (self: Tensor, dim: number, index: Tensor, value: Scalar) =>
    scatterForward(self, dim, index, Number(scalarArg(value)), null),
  derivative: {
    name: "ScatterBackward1",
    save: ["index"],
    attrs: ["dim"],
    grad: (g: Tensor, s: { index: Tensor }, a: { dim: number }) => [
      g.scatter(a.dim, s.index, 0),
      null,
    ],
    jvp: linear((t, a: { dim: number }, p) => t.scatter(a.dim, p.index, 0)),
  },
};
const scatterReduce: OverloadDecl = {
  schema: "scatter.reduce(Tensor self, int dim, Tensor index, Tensor src, *, str reduce) -> Tensor",
  forward: (self: Tensor, dim: number, index: Tensor, src: Tensor, reduce: string) =>
    scatterForward(self, dim, index, src, reduce),
  derivative: scatterNotImplemented,
};
const scatterValueReduce: OverloadDecl = {
  schema:
    "scatter.value_reduce(Tensor self, int dim, Tensor index, Scalar value, *, str reduce) -> Tensor",
  forward: (self: Tensor, dim: number, index: Tensor, value: Scalar, reduce: string) =>
    scatterForward(self, dim, index, Number(scalarArg(value)), reduce),
  derivative: scatterNotImplemented,
};

defineOp({
  name: "scatter",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: 'A copy of self with src\'s values (or `value`) written at the positions `index` holds along `dim`: out[index[i][j]][j] = src[i][j] for dim 0; repeated positions keep the last write in index order. `reduce` "add" or "multiply" combines instead.',
  example:
    "torch.zeros(3).scatter(0, torch.tensor([2, 0], { dtype: torch.long }), torch.tensor([1, 2])) // tensor([2., 0., 1.])",
  overloads: [
    scatterSrc,
    scatterReduce,
    {
      schema: "scatter.dimname_src(Tensor self, Dimname dim, Tensor index, Tensor src) -> Tensor",
      forward: null,
      named: { nyi: "scatter" },
      out: false,
      inplace: false,
    },
    scatterValue,
    scatterValueReduce,
    {
      schema:
        "scatter.dimname_value(Tensor self, Dimname dim, Tensor index, Scalar value) -> Tensor",
      forward: null,
      named: { nyi: "scatter" },
      out: false,
      inplace: false,
    },
  ],
});

const SCATTER_REDUCTIONS = ["sum", "prod", "mean", "amax", "amin"];

/** Each integer dtype's [lowest, highest] value: amax's and amin's starting points. */
const INT_RANGE: Partial<Record<string, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  int64: [-(2 ** 63), 2 ** 63],
  bool: [0, 1],
};

/** The value a reduction starts from at positions include_self=False resets (ATen's init). */
function reductionIdentity(reduce: string, dtype: DType): number {
  const float = dtype.isFloatingPoint;
  if (reduce === "prod") return 1;
  const [lo, hi] = INT_RANGE[dtype.name] ?? [0, 1];
  if (reduce === "amax") return float ? -Infinity : lo;
  if (reduce === "amin") return float ? Infinity : hi;
  return 0;
}

/** Per position of self's shape, how many values a mean averages (never 0), in float64. */
function meanCount(self: Tensor, d: number, index: Tensor, includeSelf: boolean): Tensor {
  const count = alloc(self.shape.slice(), float64);
  if (includeSelf) count.typedArray.fill(1);
  scatterWalk(ScatterOp.Accumulate, count, d, index, 1);
  const c = count.typedArray;
  for (let i = 0; i < c.length; i++) if (c[i] === 0) c[i] = 1;
  return count;
}

function scatterReduceForward(
  self: Tensor,
  dim: number,
  index: Tensor,
  src: Tensor,
  reduce: string,
  includeSelf: boolean,
): Tensor {
  const d = normalizeDim(dim, self.dim());
  scatterChecks(self, d, index, src);
  if (!SCATTER_REDUCTIONS.includes(reduce))
    throw runtimeError("reduce argument must be either sum, prod, mean, amax or amin.");
  warnOnce("scatter_reduce() is in beta and the API may change at any time.");
  const out = copyOf(self);
  if (index.numel() === 0) return out;
  checkIndexValues(self, d, index);
  if (!includeSelf)
    scatterWalk(ScatterOp.Assign, out, d, index, reductionIdentity(reduce, self.dtype));
  const op =
    reduce === "prod"
      ? ScatterOp.Multiply
      : reduce === "amax"
        ? ScatterOp.KeepMax
        : reduce === "amin"
          ? ScatterOp.KeepMin
          : ScatterOp.Accumulate;
  scatterWalk(op, out, d, index, src);
  if (reduce === "mean") {
    // the sum divided by the count (floor division for integers)
    const c = meanCount(self, d, index, includeSelf).typedArray;
    const o = out.typedArray;
    if (self.dtype.isFloatingPoint) for (let i = 0; i < o.length; i++) o[i] = o[i] / c[i];
    else for (let i = 0; i < o.length; i++) o[i] = Math.floor(o[i] / c[i]);
  }
  return out;
}

interface ScatterReduceAttrs {
  dim: number;
  reduce: string;
  include_self: boolean;
}

/** Per position of self's shape, how many values a mean averaged, as a tensor like g. */
const meanCountLike = (g: Tensor, index: Tensor, src: Tensor, a: ScatterReduceAttrs): Tensor => {
  const base = a.include_self ? F.zerosLike(g).add(1) : F.zerosLike(g);
  const n = base.scatterAdd(a.dim, index, F.zerosLike(src).add(1));
  return n.maskedFill(n.eq(0), 1);
};

defineOp({
  name: "scatter_reduce",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: 'self with src\'s values reduced into the positions `index` holds along `dim` by `reduce` ("sum", "prod", "mean", "amax", "amin"); `includeSelf` false leaves self\'s own values out at those positions.',
  example:
    'torch.zeros(3).scatterReduce(0, torch.tensor([0, 0, 2], { dtype: torch.long }), torch.tensor([1, 2, 3]), "amax") // tensor([2., 0., 3.])',
  overloads: [
    {
      schema:
        "scatter_reduce.two(Tensor self, int dim, Tensor index, Tensor src, str reduce, *, bool include_self=True) -> Tensor",
      forward: scatterReduceForward,
      derivative: {
        name: "ScatterReduceBackward0",
        save: ["self", "index", "src", "result"],
        attrs: ["dim", "reduce", "include_self"],
        // FunctionsManual's scatter_reduce_backward
        grad: (
          g: Tensor,
          s: { self: Tensor; index: Tensor; src: Tensor; result: Tensor },
          a: ScatterReduceAttrs,
        ) => {
          const { self, index, src, result } = s;
          const d = a.dim;
          let gSelf: Tensor;
          let gSrc: Tensor;
          if (a.reduce === "sum") {
            gSelf = g;
            gSrc = g.gather(d, index);
          } else if (a.reduce === "prod") {
            // exclusive products: zeros in self or src are masked to 1 and the product recomputed
            const maskedSelf = self.maskedFill(self.eq(0), 1);
            const maskedSelfResult = maskedSelf.scatterReduce(d, index, src, "prod", {
              includeSelf: a.include_self,
            });
            gSelf = g.mul(maskedSelfResult).div(maskedSelf);
            const srcZero = src.eq(0);
            const srcNumZeros = F.zerosLike(self)
              .scatterAdd(d, index, srcZero.to(self.dtype))
              .gather(d, index);
            const srcSingleZero = srcZero.logicalAnd(srcNumZeros.eq(1));
            const maskedSrc = src.maskedFill(srcSingleZero, 1);
            const maskedSrcResult = self.scatterReduce(d, index, maskedSrc, "prod", {
              includeSelf: a.include_self,
            });
            gSrc = F.where(
              srcSingleZero,
              g.mul(maskedSrcResult).gather(d, index),
              g.mul(result).gather(d, index).div(src.maskedFill(srcZero, 1)),
            );
          } else if (a.reduce === "mean") {
            const n = meanCountLike(g, index, src, a);
            gSelf = g.div(n);
            gSrc = g.gather(d, index).div(n.gather(d, index));
          } else {
            // amax/amin: the gradient shared evenly among the values equal to the result
            const value = result.gather(d, index);
            const selfIs = self.eq(result).to(self.dtype);
            const srcIs = src.eq(value).to(self.dtype);
            const share = g.div(selfIs.scatterAdd(d, index, srcIs));
            gSelf = selfIs.mul(share);
            gSrc = srcIs.mul(share.gather(d, index));
          }
          if (!a.include_self) gSelf = gSelf.scatter(d, index, 0);
          return [gSelf, null, gSrc];
        },
        // FunctionsManual's scatter_reduce_jvp
        jvp: (t, p, result, a: ScatterReduceAttrs) => {
          const d = a.dim;
          const selfT = t.self ?? F.zerosLike(result);
          const srcT = t.src ?? F.zeros(p.src.shape, result);
          if (a.reduce === "sum" || a.reduce === "mean") {
            const sum = selfT.scatterReduce(d, p.index, srcT, "sum", {
              includeSelf: a.include_self,
            });
            return a.reduce === "sum" ? sum : sum.div(meanCountLike(result, p.index, p.src, a));
          }
          if (a.reduce === "prod") {
            // d prod = prod * sum(t / x) over the reduced values (no zero among them)
            const part = selfT.div(p.self);
            const sum = part.scatterReduce(d, p.index, srcT.div(p.src), "sum", {
              includeSelf: a.include_self,
            });
            return result.mul(sum);
          }
          const value = result.gather(d, p.index);
          const selfIs = p.self.eq(result).to(result.dtype);
          const srcIs = p.src.eq(value).to(result.dtype);
          const n = selfIs.scatterAdd(d, p.index, srcIs);
          return selfIs.mul(selfT).scatterAdd(d, p.index, srcIs.mul(srcT)).div(n);
        },
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// index_add, index_copy, index_fill: slices along dim at a vector of indices

/**
 * The walk of an index_* op over self's shape with dim d sized k (the index's length): the
 * index read along d only (stride 0 elsewhere), src through `srcStrides` (null: a number).
 */
function indexWalk(
  op: ScatterOp,
  out: Tensor,
  d: number,
  index: Tensor,
  src: Tensor | number,
  srcStrides: number[] | null,
  onBadIndex?: () => void,
): Tensor {
  const idx = index.dtype === int64 ? index : index.to(int64);
  const shape = shapeN(out);
  shape[d] = idx.numel();
  const idxStrides = shape.map((_, i) => (i === d && idx.dim() > 0 ? idx.strides[0] : 0));
  return walk(op, out, d, idx, idxStrides, src, srcStrides, shape, onBadIndex);
}

/** The first index value outside [lo, size), or null. */
function firstBad(index: Tensor, lo: number, size: number): number | null {
  const { data, offset } = contiguousData(index);
  for (let k = 0, n = index.numel(); k < n; k++) {
    const v = data[offset + k];
    if (v < lo || v >= size) return v;
  }
  return null;
}

/**
 * index_func_meta_impl's checks for index_add / index_reduce, then the slice shapes as the CPU
 * kernel's add_ of one slice meets them (source's slice broadcast to self's): the strides that
 * read source over self's shape with dim d sized index.numel().
 */
function indexFuncChecks(
  fn: string,
  self: Tensor,
  d: number,
  index: Tensor,
  source: Tensor,
): number[] {
  if (index.dim() > 1)
    throw indexError(
      `${fn}_(): Index is supposed to be a vector, but got dim: ${index.dim()} with type: ${scalarTypeName(index.dtype)} and size: ${sizes(index)}`,
    );
  if (index.dtype !== int64 && index.dtype !== int32)
    throw runtimeError(
      `${fn}_(): Expected dtype int32/int64 for index but got: ${scalarTypeName(index.dtype)}`,
    );
  if (self.dtype !== source.dtype)
    throw runtimeError(
      `${fn}_(): self (${scalarTypeName(self.dtype)}) and source (${scalarTypeName(source.dtype)}) must have the same scalar type`,
    );
  if (!(d === 0 || d < source.dim()))
    throw indexError(
      `${fn}_(): Indexing dim ${d} is out of bounds of the source tensor with dim ${source.dim()}`,
    );
  const k = index.numel();
  const ks = sizeAt(source, d);
  if (k !== ks)
    throw runtimeError(
      `${fn}_(): Number of indices (${k}) should be equal to source.size(dim): (${ks}), for dim: ${d}`,
    );
  const size = sizeAt(self, d);
  const { data, offset } = contiguousData(index);
  if (k > 0 && (data[offset] < 0 || data[offset] >= size))
    throw indexError("index out of range in self");
  // one slice: source's (without dim d) broadcast to self's
  const selfSlice = self.shape.filter((_, i) => i !== d);
  const srcSlice = source.shape.filter((_, i) => i !== d);
  const srcSliceStrides = source.strides.filter((_, i) => i !== d);
  if (k > 0) {
    const b = broadcastShapes(selfSlice, srcSlice);
    if (b.length !== selfSlice.length || b.some((n, i) => n !== selfSlice[i]))
      throw runtimeError(
        `output with shape [${selfSlice.join(", ")}] doesn't match the broadcast shape [${b.join(", ")}]`,
      );
  }
  const sliceStrides = broadcastStrides(srcSlice, srcSliceStrides, selfSlice);
  const strides = shapeN(self).map(() => 0);
  let j = 0;
  for (let i = 0; i < strides.length; i++)
    strides[i] = i === d ? (source.dim() === 0 ? 0 : source.strides[d]) : (sliceStrides[j++] ?? 0);
  return strides;
}

/** source * alpha in source's dtype (alpha cast to it), or source itself for alpha 1. */
function scaled(source: Tensor, alpha: number): Tensor {
  const a = scalarIn(alpha, source.dtype);
  if (a === 1 || source.dtype === bool) return source;
  const out = copyOf(source);
  const o = out.typedArray;
  if (source.dtype === int32) for (let i = 0; i < o.length; i++) o[i] = Math.imul(o[i], a);
  else for (let i = 0; i < o.length; i++) o[i] = o[i] * a;
  return out;
}

defineOp({
  name: "index_add",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "self with `alpha` times source's slices added at the positions `index` holds along `dim` (repeats accumulate in index order).",
  example:
    "torch.zeros(3).indexAdd(0, torch.tensor([0, 0, 2], { dtype: torch.long }), torch.tensor([1, 2, 3])) // tensor([3., 0., 3.])",
  overloads: [
    {
      schema:
        "index_add(Tensor self, int dim, Tensor index, Tensor source, *, Scalar alpha=1) -> Tensor",
      forward: (self: Tensor, dim: number, index: Tensor, source: Tensor, alpha: Scalar) => {
        const d = normalizeDim(dim, self.dim());
        const src = scaled(source, Number(scalarArg(alpha)));
        const strides = indexFuncChecks("index_add", self, d, index, source);
        // the scaled copy is contiguous: its strides over the same walk
        const s = src === source ? strides : indexFuncChecks("index_add", self, d, index, src);
        // index values are checked by the walk (a bad one: the kernel's IndexError)
        return indexWalk(ScatterOp.Accumulate, copyOf(self), d, index, src, s, () => {
          throw indexError("index out of range in self");
        });
      },
      derivative: {
        name: "IndexAddBackward0",
        save: ["index"],
        attrs: ["dim", "alpha"],
        // d self = g; d source = alpha * g's slices at the index (summed back to source's shape)
        grad: (g: Tensor, s: { index: Tensor }, a: { dim: number; alpha: Scalar }) => {
          const alpha = Number(scalarArg(a.alpha));
          const sel = g.dim() === 0 ? g : g.indexSelect(a.dim, s.index);
          return [g, null, alpha === 1 ? sel : sel.mul(alpha)];
        },
        jvp: (t, p, result, a: { dim: number; alpha: Scalar }) => {
          const base = t.self ?? F.zerosLike(result);
          return t.source === null
            ? base
            : base.indexAdd(a.dim, p.index, t.source, { alpha: Number(scalarArg(a.alpha)) });
        },
      },
    },
    {
      schema:
        "index_add.dimname(Tensor self, Dimname dim, Tensor index, Tensor source, *, Scalar alpha=1) -> Tensor",
      forward: null,
      named: { nyi: "index_add" },
      out: false,
      inplace: false,
    },
  ],
});

/** index_copy_'s checks, in ATen's order; the strides reading source over the walk. */
function indexCopyChecks(self: Tensor, d: number, index: Tensor, source: Tensor): number[] {
  if (index.dim() >= 2)
    throw indexError(`index_copy_(): Index should have dimension 1 or 0 (got ${index.dim()})`);
  const k = index.numel();
  if (source.dim() === 0 && k !== 1)
    throw indexError(
      `index_copy_(): When source is scalar, index should have one element (got ${k})`,
    );
  if (source.dim() !== self.dim() && source.dim() !== 0 && self.dim() !== 0)
    throw indexError(
      `index_copy_(): When source and destination are not scalars, their dimensionality must match. Source dimensionality (${source.dim()}), destination dimensionality (${self.dim()})`,
    );
  if (index.dtype !== int64)
    throw runtimeError(
      `index_copy_(): Expected a long tensor for index, but got ${scalarTypeName(index.dtype)}`,
    );
  if (self.dtype !== source.dtype)
    throw runtimeError(
      `index_copy_(): self and source expected to have the same dtype, but got (self) ${scalarTypeName(self.dtype)} and (source) ${scalarTypeName(source.dtype)}`,
    );
  const selfSlice = self.shape.filter((_, i) => i !== d);
  const srcSlice = source.shape.filter((_, i) => i !== d);
  if (selfSlice.length !== srcSlice.length || selfSlice.some((n, i) => n !== srcSlice[i]))
    throw runtimeError(
      `index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: ${selfSlice.join(" ")} at dimension ${d} and source slice shape: ${srcSlice.join(" ")} at dimension 0.`,
    );
  if (source.dim() !== 0 && k !== source.shape[d])
    throw indexError(
      `index_copy_(): Number of indices (${k}) should be equal to source.size(dim) (${source.shape[d]})`,
    );
  const size = sizeAt(self, d);
  const bad = firstBad(index, 0, size);
  if (bad !== null)
    throw indexError(
      `index_copy_(): index ${bad} is out of bounds for dimension ${d} with size ${size}`,
    );
  return source.dim() === 0 ? shapeN(self).map(() => 0) : stridesN(source);
}

defineOp({
  name: "index_copy",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "self with source's slices written at the positions `index` holds along `dim` (a repeated position keeps the last slice).",
  example:
    "torch.zeros(3).indexCopy(0, torch.tensor([2, 0], { dtype: torch.long }), torch.tensor([1, 2])) // tensor([2., 0., 1.])",
  overloads: [
    {
      schema: "index_copy(Tensor self, int dim, Tensor index, Tensor source) -> Tensor",
      forward: (self: Tensor, dim: number, index: Tensor, source: Tensor) => {
        const d = normalizeDim(dim, self.dim());
        const strides = indexCopyChecks(self, d, index, source);
        return indexWalk(ScatterOp.Assign, copyOf(self), d, index, source, strides);
      },
      derivative: {
        name: "IndexCopyBackward0",
        save: ["index"],
        attrs: ["dim"],
        // the copied slices replace self's: self's gradient is g with them zeroed, source's is
        // g's slices at the index
        grad: (g: Tensor, s: { index: Tensor }, a: { dim: number }, n) => [
          g.indexFill(a.dim, s.index, 0),
          null,
          n.inputShape(2).length === 0
            ? g.indexSelect(a.dim, s.index).reshape([])
            : g.indexSelect(a.dim, s.index),
        ],
        jvp: (t, p, result, a: { dim: number }) =>
          (t.self ?? F.zerosLike(result)).indexCopy(
            a.dim,
            p.index,
            t.source ?? F.zeros(p.source.shape, result),
          ),
      },
    },
    {
      schema: "index_copy.dimname(Tensor self, Dimname dim, Tensor index, Tensor source) -> Tensor",
      forward: null,
      named: { nyi: "index_copy" },
      out: false,
    },
  ],
});

/** index_fill_ with a number: checks in ATen's order, negative indices wrap. */
function indexFillForward(self: Tensor, dim: number, index: Tensor, value: number): Tensor {
  if (index.dtype !== int64) throw indexError("index_fill_(): Expected dtype int64 for index.");
  const d = normalizeDim(dim, Math.max(self.dim(), 1));
  if (index.dim() > 1) throw runtimeError("Index has to be a vector/scalar");
  const size = sizeAt(self, d);
  const bad = firstBad(index, -size, size);
  if (bad !== null)
    throw indexError(`index ${bad} is out of bounds for dimension ${d} with size ${size}`);
  // negative positions wrapped, as int64
  const idx = alloc(index.shape.slice(), int64);
  const { data, offset } = contiguousData(index);
  for (let k = 0; k < idx.typedArray.length; k++) {
    const v = data[offset + k];
    idx.typedArray[k] = v < 0 ? v + size : v;
  }
  return indexWalk(ScatterOp.Assign, copyOf(self), d, idx, value, null);
}

/** index_fill's value tensor: 0-dim, read as a number. */
function fillValue(value: Tensor): number {
  if (value.dim() !== 0)
    throw runtimeError(
      `index_fill_ only supports a 0-dimensional value tensor, but got tensor with ${value.dim()} dimension(s).`,
    );
  return Number(value.item());
}

const indexFillSelfGrad = (g: Tensor, s: { index: Tensor }, a: { dim: number }) =>
  g.indexFill(a.dim, s.index, 0);

defineOp({
  name: "index_fill",
  variants: ["function", "method", "inplace"],
  doc: "self with the slices at the positions `index` holds along `dim` filled with `value` (negative positions count from the end).",
  example:
    "torch.zeros(2, 2).indexFill(1, torch.tensor([1], { dtype: torch.long }), 5) // tensor([[0., 5.], [0., 5.]])",
  overloads: [
    {
      schema: "index_fill.int_Tensor(Tensor self, int dim, Tensor index, Tensor value) -> Tensor",
      forward: (self: Tensor, dim: number, index: Tensor, value: Tensor) =>
        indexFillForward(self, dim, index, fillValue(value)),
      derivative: {
        name: "IndexFillBackward1",
        save: ["index"],
        attrs: ["dim"],
        // value fills every selected element: its gradient is the sum of g over them
        grad: (g: Tensor, s: { index: Tensor }, a: { dim: number }, n) => [
          n.needsInputGrad(0) ? indexFillSelfGrad(g, s, a) : null,
          null,
          n.needsInputGrad(2) ? g.sub(g.indexFill(a.dim, s.index, 0)).sum() : null,
        ],
        jvp: (t, p, result, a: { dim: number }) => {
          const base = t.self ?? F.zerosLike(result);
          return t.value === null
            ? base.indexFill(a.dim, p.index, 0)
            : base.indexFill(a.dim, p.index, t.value);
        },
      },
    },
    {
      schema:
        "index_fill.Dimname_Tensor(Tensor self, Dimname dim, Tensor index, Tensor value) -> Tensor",
      forward: null,
      named: { nyi: "index_fill" },
    },
    {
      schema: "index_fill.int_Scalar(Tensor self, int dim, Tensor index, Scalar value) -> Tensor",
      forward: (self: Tensor, dim: number, index: Tensor, value: Scalar) =>
        indexFillForward(self, dim, index, Number(scalarArg(value))),
      derivative: {
        name: "IndexFillBackward0",
        save: ["index"],
        attrs: ["dim"],
        grad: (g: Tensor, s: { index: Tensor }, a: { dim: number }) => [
          indexFillSelfGrad(g, s, a),
          null,
        ],
        jvp: linear((t, a: { dim: number }, p) => t.indexFill(a.dim, p.index, 0)),
      },
    },
    {
      schema:
        "index_fill.Dimname_Scalar(Tensor self, Dimname dim, Tensor index, Scalar value) -> Tensor",
      forward: null,
      named: { nyi: "index_fill" },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// masked_select, masked_scatter

/** t's elements over `shape` (t broadcast to it), row-major, as one contiguous array. */
function expandedData(t: Tensor, shape: number[]): { data: ArrayLike<number>; offset: number } {
  return contiguousData(noGrad(() => V.expand(t.detach(), shape)));
}

defineOp({
  name: "masked_select",
  variants: ["function", "method"],
  out: true,
  doc: "The elements of input where `mask` (bool, broadcast with input) is true, as a 1-D tensor in row-major order.",
  example:
    "torch.tensor([1, 2, 3]).maskedSelect(torch.tensor([true, false, true])) // tensor([1., 3.])",
  overloads: [
    {
      schema: "masked_select(Tensor self, Tensor mask) -> Tensor",
      forward: (self: Tensor, mask: Tensor) => {
        if (mask.dtype === uint8)
          warnOnce(
            "masked_select received a mask with dtype torch.uint8, this behavior is now deprecated,please use a mask with dtype torch.bool instead.",
          );
        else if (mask.dtype !== bool)
          throw runtimeError("masked_select: expected BoolTensor or ByteTensor for mask");
        // infer_size(mask, self): the mask is tensor a in the error
        const shape = broadcastShapes(mask.shape, self.shape);
        const m = expandedData(mask, shape);
        const x = expandedData(self, shape);
        const n = shape.reduce((a, b) => a * b, 1);
        let count = 0;
        for (let i = 0; i < n; i++) if (m.data[m.offset + i] !== 0) count++;
        const out = alloc([count], self.dtype);
        const o = out.typedArray;
        for (let i = 0, k = 0; i < n; i++)
          if (m.data[m.offset + i] !== 0) o[k++] = x.data[x.offset + i];
        return out;
      },
      derivative: {
        name: "MaskedSelectBackward0",
        save: ["mask"],
        // g written back at the selected positions of zeros of the broadcast shape (summed back
        // to self's shape by the engine)
        grad: (g: Tensor, s: { mask: Tensor }, _a, n) => {
          const shape = broadcastShapes(n.inputShape(0), s.mask.shape);
          return [F.zeros(shape, g).maskedScatter(s.mask, g), null];
        },
        jvp: linear((t, _a, p) => t.maskedSelect(p.mask)),
      },
    },
  ],
});

/**
 * masked_scatter_ into a fresh `out` (written in place): source's elements, in order, at the
 * positions where mask (broadcast to out's shape; any nonzero counts) is set.
 */
function maskedScatterInto(out: Tensor, mask: Tensor, source: Tensor): Tensor {
  if (out.dtype !== source.dtype)
    throw runtimeError(
      `masked_scatter: expected self and source to have same dtypes but got${scalarTypeName(out.dtype)} and ${scalarTypeName(source.dtype)}`,
    );
  const m = contiguousData(noGrad(() => V.expand(mask.detach(), out.shape.slice())));
  const n = out.numel();
  let ones = 0;
  for (let i = 0; i < n; i++) if (m.data[m.offset + i] !== 0) ones++;
  if (ones > source.numel())
    throw runtimeError("Number of elements of source < number of ones in mask");
  const src = contiguousData(source);
  const o = out.typedArray;
  for (let i = 0, k = 0; i < n; i++)
    if (m.data[m.offset + i] !== 0) o[i] = src.data[src.offset + k++];
  return out;
}

const maskedScatterDerivative: DerivativeDecl<"mask"> = {
  name: "MaskedScatterBackward0",
  save: ["mask"],
  // self: g where the mask is clear; source: g's selected elements in order, zero-padded to
  // source's size (masked_scatter_backward)
  grad: (g, s, _a, n) => {
    const shape = n.inputShape(2);
    const numel = shape.reduce((a, b) => a * b, 1);
    let sel = g.maskedSelect(s.mask);
    if (numel > sel.numel()) sel = F.cat([sel, F.zeros([numel - sel.numel()], g)], 0);
    return [g.maskedFill(s.mask, 0), null, sel.reshape(shape)];
  },
  jvp: (t, p, result) =>
    (t.self ?? F.zerosLike(result)).maskedScatter(
      p.mask,
      t.source ?? F.zeros(p.source.shape, result),
    ),
};

defineOp({
  name: "masked_scatter",
  variants: ["function", "method", "inplace"],
  doc: "input with source's elements, in row-major order, written where `mask` (broadcast with input) is true.",
  example:
    "torch.zeros(3).maskedScatter(torch.tensor([true, false, true]), torch.tensor([1., 2])) // tensor([1., 0., 2.])",
  overloads: [
    {
      schema: "masked_scatter(Tensor self, Tensor mask, Tensor source) -> Tensor",
      forward: (self: Tensor, mask: Tensor, source: Tensor) => {
        // expand_outplace: self and mask broadcast to one shape, self's copy written
        const shape = broadcastShapes(self.shape, mask.shape);
        const out = copyOf(noGrad(() => V.expand(self.detach(), shape)));
        return maskedScatterInto(out, mask, source);
      },
      derivative: maskedScatterDerivative,
      // in place, the mask is expanded to self's shape (expand's errors)
      inplace: {
        forward: (self: Tensor, mask: Tensor, source: Tensor) => {
          // expand(mask, self's sizes) in C++: the tensor printed by its C++ type name
          if (mask.dim() > self.dim())
            throw runtimeError(
              `expand(CPU${scalarTypeName(mask.dtype)}Type{${sizes(mask)}}, size=${sizes(self)}): the number of sizes provided (${self.dim()}) must be greater or equal to the number of dimensions in the tensor (${mask.dim()})`,
            );
          return maskedScatterInto(copyOf(self), mask, source);
        },
        derivative: maskedScatterDerivative,
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// take, take_along_dim, put: flat positions

/** Flat positions of index (int64) into n elements, negatives wrapped; PyTorch's IndexError. */
function flatPositions(index: Tensor, n: number): Tensor {
  const { data, offset } = contiguousData(index);
  const out = alloc(index.shape.slice(), int64);
  const o = out.typedArray;
  for (let k = 0; k < o.length; k++) {
    const v = data[offset + k];
    if (v < -n || v >= n)
      throw indexError(`out of range: tried to access index ${v} on a tensor of ${n} elements.`);
    o[k] = v < 0 ? v + n : v;
  }
  return out;
}

defineOp({
  name: "take",
  variants: ["function", "method"],
  out: true,
  doc: "The elements of input (read as 1-D, row-major) at the flat positions `index` holds (negative ones count from the end); the result has index's shape.",
  example:
    "torch.tensor([[1, 2], [3, 4]]).take(torch.tensor([0, -1], { dtype: torch.long })) // tensor([1., 4.])",
  overloads: [
    {
      schema: "take(Tensor self, Tensor index) -> Tensor",
      forward: (self: Tensor, index: Tensor) => {
        if (index.dtype !== int64)
          throw runtimeError(
            `take(): Expected a long tensor for index, but got ${scalarTypeName(index.dtype)}`,
          );
        const n = self.numel();
        if (n === 0 && index.numel() !== 0)
          throw indexError("take(): tried to take from an empty tensor");
        const pos = flatPositions(index, n);
        const x = contiguousData(self);
        const out = alloc(index.shape.slice(), self.dtype);
        const o = out.typedArray;
        const p = pos.typedArray;
        for (let k = 0; k < o.length; k++) o[k] = x.data[x.offset + p[k]];
        return out;
      },
      derivative: {
        name: "TakeBackward0",
        save: ["index"],
        // take_backward: g accumulated into zeros of self's shape at the positions
        grad: (g: Tensor, s: { index: Tensor }, _a, n) => [
          F.zeros(n.inputShape(0), g).put(s.index, g, true),
          null,
        ],
        jvp: linear((t, _a, p) => t.take(p.index)),
      },
    },
  ],
});

/** put: a copy of self with source's elements written (or added) at index's flat positions. */
function putForward(self: Tensor, index: Tensor, source: Tensor, accumulate: boolean): Tensor {
  if (index.dtype !== int64)
    throw runtimeError(
      `put_(): Expected a long tensor for index, but got ${scalarTypeName(index.dtype)}`,
    );
  if (self.dtype !== source.dtype)
    throw runtimeError(
      `put_(): self and source expected to have the same dtype, but got self.dtype = ${scalarTypeName(self.dtype)} and source.dtype = ${scalarTypeName(source.dtype)}`,
    );
  if (source.numel() !== index.numel())
    throw indexError(
      `put_(): Expected source and index to have the same number of elements, but got source.numel() = ${source.numel()}, index.numel() = ${index.numel()}`,
    );
  const n = self.numel();
  if (n === 0 && index.numel() !== 0)
    throw indexError("put_(): Tried to put elements into an empty tensor");
  const pos = flatPositions(index, n);
  const out = copyOf(self);
  if (index.numel() === 0) return out;
  // the flat walk: out as one dim of n, source in row-major order
  const flat = wrap(out.typedArray, [n], out.dtype);
  const src = wrap(castData(source, source.dtype), [source.numel()], source.dtype);
  const idx = wrap(pos.typedArray, [pos.numel()], int64);
  walk(
    accumulate ? ScatterOp.Accumulate : ScatterOp.Assign,
    flat,
    0,
    idx,
    [1],
    src,
    [1],
    [idx.numel()],
  );
  return out;
}

defineOp({
  name: "put",
  variants: ["function", "method", "inplace"],
  doc: "A copy of input with source's elements written at the flat positions `index` holds (negative ones count from the end); `accumulate` adds instead, repeats included.",
  example:
    "torch.zeros(2, 2).put(torch.tensor([0, 3], { dtype: torch.long }), torch.tensor([1, 2])) // tensor([[1., 0.], [0., 2.]])",
  overloads: [
    {
      schema: "put(Tensor self, Tensor index, Tensor source, bool accumulate=False) -> Tensor",
      forward: putForward,
      derivative: {
        name: "PutBackward0",
        save: ["index", "source"],
        attrs: ["accumulate"],
        // self: g with the written positions zeroed (kept with accumulate); source: g there
        grad: (g: Tensor, s: { index: Tensor; source: Tensor }, a: { accumulate: boolean }) => [
          g.put(s.index, F.zerosLike(s.source), a.accumulate),
          null,
          g.take(s.index).reshape(s.source.shape.slice()),
        ],
        jvp: (t, p, result, a: { accumulate: boolean }) =>
          (t.self ?? F.zerosLike(result)).put(
            p.index,
            t.source ?? F.zeros(p.source.shape, result),
            a.accumulate,
          ),
      },
    },
  ],
});

defineOp({
  name: "take_along_dim",
  variants: ["function", "method"],
  out: true,
  doc: "The values of input at `indices` along `dim`, input and indices broadcast against each other apart from dim (gather); without dim, on input read as 1-D.",
  example:
    "torch.tensor([[1, 2], [3, 4]]).takeAlongDim(torch.tensor([[1], [0]], { dtype: torch.long }), 1) // tensor([[2.], [3.]])",
  overloads: [
    {
      schema: "take_along_dim(Tensor self, Tensor indices, int? dim=None) -> Tensor",
      // a composite: gather records GatherBackward0
      forward: (self: Tensor, indices: Tensor, dim: number | null) => {
        if (dim === null) return self.view(-1).gather(0, indices.view(-1));
        if (self.dim() !== indices.dim())
          throw runtimeError(
            `torch.take_along_dim(): input and indices should have the same number of dimensions, but got ${self.dim()} dimensions for input, and ${indices.dim()} dimensions for indices`,
          );
        if (indices.dtype !== int64)
          throw runtimeError(
            `torch.take_along_dim(): dtype of indices should be Long but got ${scalarTypeName(indices.dtype)}`,
          );
        const d = normalizeDim(dim, self.dim());
        const selfSizes = self.shape.slice();
        selfSizes[d] = indices.shape[d];
        const idx = indices.expand(broadcastShapes(selfSizes, indices.shape));
        const idxSizes = indices.shape.slice();
        idxSizes[d] = self.shape[d];
        const x = self.expand(broadcastShapes(idxSizes, self.shape));
        return x.gather(d, idx);
      },
    },
  ],
});

defineOp({
  name: "argwhere",
  variants: ["function", "method"],
  doc: "The coordinates of input's nonzero elements, one row per element in row-major order (int64, shape [count, input.dim()]).",
  example: "torch.tensor([[0, 1], [2, 0]]).argwhere() // tensor([[0, 1], [1, 0]])",
  overloads: [
    { schema: "argwhere(Tensor self) -> Tensor", forward: (self: Tensor) => nonzeroForward(self) },
  ],
});

/** nonzero: [count, dim] int64 coordinates of the nonzero elements, row-major. */
function nonzeroForward(self: Tensor): Tensor {
  const nd = self.dim();
  const { data, offset } = contiguousData(self);
  const n = self.numel();
  let count = 0;
  for (let i = 0; i < n; i++) if (data[offset + i] !== 0) count++;
  const out = alloc([count, nd], int64);
  const o = out.typedArray;
  const pos = new Array<number>(nd).fill(0);
  for (let i = 0, k = 0; i < n; i++) {
    if (data[offset + i] !== 0) for (let j = 0; j < nd; j++) o[k++] = pos[j];
    for (let j = nd - 1; j >= 0; j--) {
      if (++pos[j] < self.shape[j]) break;
      pos[j] = 0;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// index_reduce

const INDEX_REDUCTIONS = ["prod", "mean", "amax", "amin"];

defineOp({
  name: "index_reduce",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: 'self with source\'s slices reduced into the slices `index` holds along `dim` by `reduce` ("prod", "mean", "amax", "amin"); `includeSelf` false leaves self\'s own values out there.',
  example:
    'torch.ones(3).indexReduce(0, torch.tensor([0, 0, 2], { dtype: torch.long }), torch.tensor([2, 3, 4]), "prod") // tensor([6., 1., 4.])',
  overloads: [
    {
      schema:
        "index_reduce(Tensor self, int dim, Tensor index, Tensor source, str reduce, *, bool include_self=True) -> Tensor",
      forward: (
        self: Tensor,
        dim: number,
        index: Tensor,
        source: Tensor,
        reduce: string,
        includeSelf: boolean,
      ) => {
        const d = normalizeDim(dim, self.dim());
        const strides = indexFuncChecks("index_reduce", self, d, index, source);
        if (!INDEX_REDUCTIONS.includes(reduce))
          throw runtimeError(
            `index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got ${reduce}.`,
          );
        warnOnce("index_reduce() is in beta and the API may change at any time.");
        const bad = () => {
          throw indexError("index out of range in self");
        };
        const out = copyOf(self);
        if (!includeSelf)
          indexWalk(
            ScatterOp.Assign,
            out,
            d,
            index,
            reductionIdentity(reduce, self.dtype),
            null,
            bad,
          );
        const op =
          reduce === "prod"
            ? ScatterOp.Multiply
            : reduce === "amax"
              ? ScatterOp.KeepMax
              : reduce === "amin"
                ? ScatterOp.KeepMin
                : ScatterOp.Accumulate;
        indexWalk(op, out, d, index, source, strides, bad);
        if (reduce === "mean") {
          // the sum divided by the count (floor division for integers)
          const count = alloc(self.shape.slice(), float64);
          if (includeSelf) count.typedArray.fill(1);
          indexWalk(ScatterOp.Accumulate, count, d, index, 1, null);
          const c = count.typedArray;
          const o = out.typedArray;
          for (let i = 0; i < o.length; i++) {
            const k = c[i] === 0 ? 1 : c[i];
            o[i] = self.dtype.isFloatingPoint ? o[i] / k : Math.floor(o[i] / k);
          }
        }
        return out;
      },
      derivative: {
        name: "IndexReduceBackward0",
        save: ["self", "index", "source", "result"],
        attrs: ["dim", "reduce", "include_self"],
        // FunctionsManual's index_reduce_backward
        grad: (
          g: Tensor,
          s: { self: Tensor; index: Tensor; source: Tensor; result: Tensor },
          a: { dim: number; reduce: string; include_self: boolean },
        ) => {
          const { self, index, source, result } = s;
          const d = a.dim;
          const opts = { includeSelf: a.include_self };
          let gSelf: Tensor;
          let gSrc: Tensor;
          if (a.reduce === "prod") {
            const maskedSelf = self.maskedFill(self.eq(0), 1);
            const maskedSelfResult = maskedSelf.indexReduce(d, index, source, "prod", opts);
            gSelf = g.mul(maskedSelfResult).div(maskedSelf);
            const srcZero = source.eq(0);
            const srcNumZeros = F.zerosLike(self)
              .indexAdd(d, index, srcZero.to(self.dtype))
              .indexSelect(d, index);
            const srcSingleZero = srcZero.logicalAnd(srcNumZeros.eq(1));
            const maskedSrc = source.maskedFill(srcSingleZero, 1);
            const maskedSrcResult = self.indexReduce(d, index, maskedSrc, "prod", opts);
            gSrc = F.where(
              srcSingleZero,
              g.mul(maskedSrcResult).indexSelect(d, index),
              g.mul(result).indexSelect(d, index).div(source.maskedFill(srcZero, 1)),
            );
          } else if (a.reduce === "mean") {
            const base = a.include_self ? F.zerosLike(g).add(1) : F.zerosLike(g);
            let n = base.indexAdd(d, index, F.zerosLike(source).add(1));
            n = n.maskedFill(n.eq(0), 1);
            gSelf = g.div(n);
            gSrc = g.indexSelect(d, index).div(n.indexSelect(d, index));
          } else {
            // amax/amin: shared evenly among the values equal to the result
            const selfIs = self.eq(result).to(self.dtype);
            const srcIs = source.eq(result.indexSelect(d, index)).to(self.dtype);
            const share = g.div(selfIs.indexAdd(d, index, srcIs));
            gSelf = selfIs.mul(share);
            gSrc = srcIs.mul(share.indexSelect(d, index));
          }
          if (!a.include_self) gSelf = gSelf.indexFill(d, index, 0);
          return [gSelf, null, gSrc];
        },
        jvp: () => {
          throw notImplementedError(
            "Trying to use forward AD with index_reduce that does not support it because it has not been implemented yet.\nPlease file an issue to PyTorch at https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that we can prioritize its implementation.\nNote that forward AD support for some operators require PyTorch to be built with TorchScript and for JIT to be enabled. If the environment var PYTORCH_JIT=0 is set or if the library is not built with TorchScript, some operators may no longer be used with forward AD.",
          );
        },
      },
    },
  ],
});

defineOp({
  name: "nonzero",
  variants: ["function", "method"],
  out: true,
  doc: "The coordinates of input's nonzero elements, one row per element in row-major order (int64, shape [count, input.dim()]); `asTuple` gives one 1-D tensor per dim instead (a 0-dim input counts as one dim).",
  example: "torch.tensor([0, 3, 0, 4]).nonzero() // tensor([[1], [3]])",
  overloads: [
    {
      // python_torch_functions_manual.cpp's binding: as_tuple is keyword-only beside out
      schema: "nonzero(Tensor self, *, bool as_tuple=False) -> Tensor",
      forward: (self: Tensor, asTuple: boolean) =>
        asTuple ? nonzeroTuple(self) : nonzeroForward(self),
    },
  ],
  // Tensor.nonzero's binding lists the plain call and the as_tuple one
  methodOverloads: [
    { schema: "nonzero(Tensor self) -> Tensor", forward: nonzeroForward },
    {
      schema: "nonzero(Tensor self, *, bool as_tuple) -> Tensor",
      forward: (self: Tensor, asTuple: boolean) =>
        asTuple ? nonzeroTuple(self) : nonzeroForward(self),
    },
  ],
});
