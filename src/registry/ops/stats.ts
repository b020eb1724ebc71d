/**
 * Statistics and scatter-into-view ops: slice_scatter, select_scatter, diagonal_scatter,
 * as_strided_scatter, quantile, nanquantile, gradient, histogram, histogramdd, segment_reduce.
 * One `defineOp` per op (see ../define.ts). Most are composites of existing ops, as PyTorch's
 * CompositeImplicit kernels are, so their autograd graphs follow PyTorch's.
 */
import { namedTuple } from "../../named-tuple.js";
import { Tensor } from "../../tensor.js";
import { float32, float64, int32, int64, uint8, type DType } from "../../dtype.js";
import { broadcastShapes, normalizeDim, normalizeDims, shapeEqual } from "../../shape.js";
import { notImplementedError, runtimeError } from "../../errors.js";
import * as V from "../../ops/views.js";
import { castData, contiguousData, scalarIn, scalarTypeName, wrap } from "../../ops/core.js";
import type { TypedArray } from "../../dtype.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { anyNeedsGrad, record, registerDerivative } from "../../autograd/function.js";
import type { Op } from "../../autograd/derivatives.js";
import * as F from "../../autograd/formula-ops.js";
import { histogramdd as histogramKernel, type BinSearch } from "../../backend/histogram.js";
import {
  segmentReduce as segmentKernel,
  segmentReduceBackward as segmentBackwardKernel,
  type SegmentLayout,
  type SegmentReduction,
} from "../../backend/segment.js";
import { defineOp, fn, type Callable } from "../define.js";
import { cppDouble } from "./sorting.js";
import { linearIn } from "../linear-jvp.js";

// ------------------------------------------------------------------------------------------------
// slice_scatter, select_scatter, diagonal_scatter, as_strided_scatter

/**
 * The *_scatter kernels: a copy of self with `view(copy)` overwritten by src (cast to self's
 * dtype), after checking that src has the view's size, as at::native::slice_scatter and its
 * siblings (clone, view, copy_).
 */
function scatterInto(self: Tensor, src: Tensor, view: (out: Tensor) => Tensor): Tensor {
  return noGrad(() => {
    const out = self.detach().clone();
    const slice = view(out);
    if (!shapeEqual(slice.shape, src.shape))
      throw runtimeError(
        `expected src to have a size equal to the slice of self. src size = [${src.shape.join(", ")}], slice size = [${slice.shape.join(", ")}]`,
      );
    slice.copy_(src.detach());
    return out;
  });
}

/** Tensor.slice(dim, start, end, step) with at::slice's clamping of start and end. */
function sliceView(
  t: Tensor,
  dim: number,
  start: number | null,
  end: number | null,
  step: number,
): Tensor {
  const d = normalizeDim(dim, t.dim());
  if (step <= 0) throw runtimeError("slice step must be positive");
  const size = t.shape[d];
  let s = start ?? 0;
  let e = end ?? size;
  if (s < 0) s += size;
  if (e < 0) e += size;
  s = Math.min(Math.max(s, 0), size);
  e = Math.min(Math.max(e, s), size);
  return V.slice(t, d, s, e, step);
}

/** The op's function form, for formulas (differentiable: it records its own node). */
const lazy = (get: () => Callable) => {
  let f: Callable | null = null;
  return (...args: unknown[]): Tensor => (f ??= get())(...args) as Tensor;
};

const sliceScatter: (...args: unknown[]) => Tensor = lazy(() => sliceScatterOp.fn);
const selectScatter: (...args: unknown[]) => Tensor = lazy(() => selectScatterOp.fn);
const diagonalScatter: (...args: unknown[]) => Tensor = lazy(() => diagonalScatterOp.fn);
const asStridedScatter: (...args: unknown[]) => Tensor = lazy(() => asStridedScatterOp.fn);

const sliceScatterOp = defineOp({
  name: "slice_scatter",
  variants: ["function", "method"],
  doc: "A copy of self with the slice [start:end:step] along `dim` replaced by src.",
  example:
    "torch.sliceScatter(torch.zeros(4), torch.ones(2), 0, 0, 4, 2) // tensor([1., 0., 1., 0.])",
  overloads: [
    {
      schema:
        "slice_scatter(Tensor self, Tensor src, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1) -> Tensor",
      forward: (
        self: Tensor,
        src: Tensor,
        dim: number,
        start: number | null,
        end: number | null,
        step: number,
      ) => scatterInto(self, src, (out) => sliceView(out, dim, start, end, step)),
      // self: slice_scatter(grad, zeros_like(src), ...); src: grad.slice(dim, start, end, step)
      derivative: {
        name: "SliceScatterBackward0",
        save: ["src"],
        attrs: ["dim", "start", "end", "step"],
        grad: (
          g: Tensor,
          s: { src: Tensor },
          a: { dim: number; start: number | null; end: number | null; step: number },
        ) => [
          sliceScatter(g, F.zerosLike(s.src), a.dim, a.start, a.end, a.step),
          sliceView(g, a.dim, a.start, a.end, a.step),
        ],
        // auto_linear: the op on the tangents
        jvp: linearIn(
          ["self", "src"],
          (
            [ts, tsrc],
            a: { dim: number; start: number | null; end: number | null; step: number },
          ) => sliceScatter(ts, tsrc, a.dim, a.start, a.end, a.step),
        ),
      },
    },
  ],
});

const selectScatterOp = defineOp({
  name: "select_scatter",
  variants: ["function", "method"],
  doc: "A copy of self with the slice at `index` along `dim` replaced by src.",
  example:
    "torch.selectScatter(torch.zeros(2, 2), torch.ones(2), 0, 1) // tensor([[0., 0.], [1., 1.]])",
  overloads: [
    {
      schema: "select_scatter(Tensor self, Tensor src, int dim, int index) -> Tensor",
      forward: (self: Tensor, src: Tensor, dim: number, index: number) =>
        scatterInto(self, src, (out) => V.select(out, dim, index)),
      // self: select_scatter(grad, zeros_like(src), dim, index); src: grad.select(dim, index)
      derivative: {
        name: "SelectScatterBackward0",
        save: ["src"],
        attrs: ["dim", "index"],
        grad: (g: Tensor, s: { src: Tensor }, a: { dim: number; index: number }) => [
          selectScatter(g, F.zerosLike(s.src), a.dim, a.index),
          g.select(a.dim, a.index),
        ],
        jvp: (t, p, _r, a: { dim: number; index: number }) =>
          t.self === null && t.src === null
            ? null
            : selectScatter(
                t.self ?? F.zerosLike(p.self),
                t.src ?? F.zerosLike(p.src),
                a.dim,
                a.index,
              ),
      },
    },
  ],
});

const diagonalScatterOp = defineOp({
  name: "diagonal_scatter",
  variants: ["function", "method"],
  doc: "A copy of self with its diagonal `offset` over dims dim1 and dim2 replaced by src.",
  example:
    "torch.diagonalScatter(torch.zeros(2, 2), torch.ones(2)) // tensor([[1., 0.], [0., 1.]])",
  overloads: [
    {
      schema:
        "diagonal_scatter(Tensor self, Tensor src, int offset=0, int dim1=0, int dim2=1) -> Tensor",
      forward: (self: Tensor, src: Tensor, offset: number, dim1: number, dim2: number) =>
        scatterInto(self, src, (out) => out.diagonal(offset, dim1, dim2)),
      // self: diagonal_scatter(grad, zeros_like(src), ...); src: grad.diagonal(offset, dim1, dim2)
      derivative: {
        name: "DiagonalScatterBackward0",
        save: ["src"],
        attrs: ["offset", "dim1", "dim2"],
        grad: (
          g: Tensor,
          s: { src: Tensor },
          a: { offset: number; dim1: number; dim2: number },
        ) => [
          diagonalScatter(g, F.zerosLike(s.src), a.offset, a.dim1, a.dim2),
          g.diagonal(a.offset, a.dim1, a.dim2),
        ],
        jvp: linearIn(
          ["self", "src"],
          ([ts, tsrc], a: { offset: number; dim1: number; dim2: number }) =>
            diagonalScatter(ts, tsrc, a.offset, a.dim1, a.dim2),
        ),
      },
    },
  ],
});

const asStridedScatterOp = defineOp({
  name: "as_strided_scatter",
  variants: ["function", "method"],
  doc: "A copy of self with the elements of self.asStrided(size, stride, storageOffset) replaced by src.",
  example:
    "torch.asStridedScatter(torch.zeros(4), torch.ones(2), [2], [2]) // tensor([1., 0., 1., 0.])",
  overloads: [
    {
      schema:
        "as_strided_scatter(Tensor self, Tensor src, SymInt[] size, SymInt[] stride, SymInt? storage_offset=None) -> Tensor",
      forward: (
        self: Tensor,
        src: Tensor,
        size: number[],
        stride: number[],
        storageOffset: number | null,
      ) => {
        if (self.requiresGrad && !self.isContiguous())
          throw runtimeError(
            '!self.requires_grad() || self.is_contiguous() INTERNAL ASSERT FAILED at "./aten/src/ATen/native/TensorShape.cpp":3619, please report a bug to PyTorch. as_strided_scatter is currently only supported for contiguous inputs',
          );
        return scatterInto(self, src, (out) => out.asStrided(size, stride, storageOffset));
      },
      // PyTorch 1.13's as_strided_scatter_backward for self: grad's elements at the view's
      // positions (of a contiguous self) copied into a fresh tensor whose other elements it
      // leaves uninitialised (zeros here); src: grad.contiguous().as_strided(size, stride,
      // storage_offset). The self formula is 1.13's (later releases zero the view's positions
      // instead); tensorgrad follows 1.13.
      derivative: {
        name: "AsStridedScatterBackward0",
        save: ["self", "src"],
        attrs: ["size", "stride", "storage_offset"],
        grad: (
          g: Tensor,
          s: { self: Tensor; src: Tensor },
          a: { size: number[]; stride: number[]; storage_offset: number | null },
        ) => {
          const gSlice = g.contiguous().asStrided(a.size, a.stride, a.storage_offset);
          return [
            asStridedScatter(F.zerosLike(s.self), gSlice, a.size, a.stride, a.storage_offset),
            gSlice,
          ];
        },
        jvp: linearIn(
          ["self", "src"],
          ([ts, tsrc], a: { size: number[]; stride: number[]; storage_offset: number | null }) =>
            asStridedScatter(ts.contiguous(), tsrc, a.size, a.stride, a.storage_offset),
        ),
      },
    },
  ],
});

// ------------------------------------------------------------------------------------------------
// quantile, nanquantile

const INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"];

/** quantile_output_shape: the reduced shape (kept dims as 1) after q's size when q is 1-D. */
function quantileOutputShape(
  self: Tensor,
  q: Tensor,
  dim: number | null,
  keepdim: boolean,
  wrapped: number,
): number[] {
  let shape: number[] = [];
  if (dim !== null && self.dim() > 0) {
    shape = self.shape.slice();
    if (keepdim) shape[wrapped] = 1;
    else shape.splice(wrapped, 1);
  } else if (keepdim) shape = self.shape.map(() => 1);
  if (q.dim() > 0) shape.unshift(q.numel());
  return shape;
}

/**
 * at::native's quantile_impl + quantile_compute, step by step on the public ops so that
 * autograd records PyTorch's graph: sort the reduced dim last, turn q into fractional ranks
 * (q * (n - 1), NaN rows pinned to the last rank for quantile; nanquantile counts the non-NaN
 * elements), adjust them by the interpolation mode, gather the values below (and above) and
 * lerp between them; then move q's dim first.
 */
function quantileImpl(
  self: Tensor,
  q: Tensor,
  dim: number | null,
  keepdim: boolean,
  interpolation: string,
  ignoreNan: boolean,
): Tensor {
  if (!INTERPOLATIONS.includes(interpolation))
    throw runtimeError(
      `quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, but got ${interpolation}`,
    );
  if (self.numel() === 0) throw runtimeError("quantile() input tensor must be non-empty");
  if (q.dim() > 1) throw runtimeError("quantile() q must be a scalar or 1D tensor");
  if (self.dtype !== float32 && self.dtype !== float64)
    throw runtimeError("quantile() input tensor must be either float or double dtype");
  if (self.dtype !== q.dtype)
    throw runtimeError("quantile() q tensor must be same dtype as the input tensor");
  const wrapped = normalizeDim(dim ?? 0, self.dim());
  const outShape = quantileOutputShape(self, q, dim, keepdim, wrapped);
  const qInRange = noGrad(() => q.ge(0).logicalAnd(q.le(1)).all().item());
  if (!qInRange) throw runtimeError("quantile() q values must be in the range [0, 1]");
  let sorted: Tensor;
  if (dim === null) sorted = self.flatten().sort().values;
  else if (wrapped === self.dim() - 1) sorted = self.sort().values;
  else sorted = self.unsqueeze(-1).transpose(wrapped, -1).sort().values;
  // q as a 1-D tensor from here
  if (q.dim() === 0) outShape.unshift(q.numel());
  const inShape = outShape.slice(1).concat([0]);
  inShape[inShape.length - 1] = sorted.shape[sorted.dim() - 1];
  sorted = sorted.view(inShape);
  const n = sorted.shape[sorted.dim() - 1];
  if (n > 2 ** 24) throw runtimeError("quantile() input tensor is too large");
  let ranks: Tensor;
  if (ignoreNan) {
    // the rank among the non-NaN values; all NaN: rank 0, whose value is NaN
    ranks = q.mul(sorted.isnan().logicalNot_().sum(-1, true).sub(1));
    ranks.maskedFill_(ranks.lt(0), 0);
  } else {
    // a row with a NaN (sorted last) gets the last rank, so its quantile is NaN
    const last = n - 1;
    const a = q.mul(last);
    const b = sorted.isnan().any(-1, true);
    const shape = broadcastShapes(a.shape, b.shape);
    ranks = a.expand(shape).maskedFill(b.expand(shape), last);
  }
  if (interpolation === "lower") ranks.floor_();
  else if (interpolation === "higher") ranks.ceil_();
  else if (interpolation === "nearest") ranks.round_();
  const ranksBelow = ranks.to(int64);
  let values = sorted.gather(-1, ranksBelow);
  if (interpolation === "linear" || interpolation === "midpoint") {
    const weights =
      interpolation === "midpoint" ? (fn("fullLike")(ranks, 0.5) as Tensor) : ranks.sub(ranksBelow);
    const ranksAbove = ranks.ceil_().to(int64);
    values = values.lerp_(sorted.gather(-1, ranksAbove), weights);
  }
  if (q.dim() === 0) return values.squeeze_(-1);
  return values.unsqueeze_(0).transpose_(0, -1).squeeze_(-1);
}

/** quantile_out's own check (after the input checks, which the forward made) */
const quantileCheckOut = (out: Tensor | Tensor[], self: Tensor): void => {
  if ((out as Tensor).dtype !== self.dtype)
    throw runtimeError("quantile() out tensor must be same dtype as the input tensor");
};

for (const name of ["quantile", "nanquantile"] as const) {
  const ignoreNan = name === "nanquantile";
  defineOp({
    name,
    variants: ["function", "method"],
    out: true,
    doc: ignoreNan
      ? "The q-th quantiles of the non-NaN elements (all, or along `dim`), interpolated as `interpolation` says."
      : "The q-th quantiles of all elements or along `dim` (NaN if any), interpolated as `interpolation` says.",
    example: `torch.${name}(torch.tensor([1, 2, 3, 4]), 0.5) // tensor(2.5000)`,
    overloads: [
      {
        schema: `${name}(Tensor self, Tensor q, int? dim=None, bool keepdim=False, *, str interpolation='linear') -> Tensor`,
        forward: (
          self: Tensor,
          q: Tensor,
          dim: number | null,
          keepdim: boolean,
          interpolation: string,
        ) => quantileImpl(self, q, dim, keepdim, interpolation, ignoreNan),
        checkOutAfter: quantileCheckOut,
      },
      {
        schema: `${name}.scalar(Tensor self, float q, int? dim=None, bool keepdim=False, *, str interpolation='linear') -> Tensor`,
        forward: (
          self: Tensor,
          q: number,
          dim: number | null,
          keepdim: boolean,
          interpolation: string,
        ) => {
          if (!(q >= 0 && q <= 1))
            throw runtimeError(`quantile() q must be in the range [0, 1] but got ${cppDouble(q)}`);
          // scalar_tensor(q, self.options())
          const qData = new self.dtype.ArrayType(1);
          qData[0] = scalarIn(q, self.dtype);
          const qt = wrap(qData, [], self.dtype);
          return quantileImpl(self, qt, dim, keepdim, interpolation, ignoreNan);
        },
        checkOutAfter: quantileCheckOut,
      },
    ],
  });
}

// ------------------------------------------------------------------------------------------------
// gradient

/** pre_check_gradient: the argument checks of every torch.gradient overload, in its order. */
function preCheckGradient(
  self: Tensor,
  spacingSize: number | null,
  dim: readonly number[] | null,
  edgeOrder: number,
): void {
  if (self.dtype === uint8) throw runtimeError("torch.gradient does not support uint8 input.");
  if (spacingSize !== null && dim === null && spacingSize !== 1 && spacingSize !== self.dim())
    throw runtimeError(
      `torch.gradient expected spacing to be unspecified, a scalar or a list of length ${self.dim()} but got a list of length ${spacingSize}`,
    );
  if (spacingSize !== null && dim !== null && spacingSize !== dim.length)
    throw runtimeError(
      `torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim arguments to have the same length, but got a spacing argument of length ${spacingSize} and a dim argument of length ${dim.length}.`,
    );
  if (edgeOrder !== 1 && edgeOrder !== 2)
    throw runtimeError("torch.gradient only supports edge_order=1 and edge_order=2.");
  // the differentiated dims (every dim without `dim`) need edge_order + 1 samples
  const sizes = dim === null ? self.shape : dim.map((d) => self.shape[normalizeDim(d, self.dim())]);
  for (const size of sizes)
    if (size < edgeOrder + 1)
      throw runtimeError("torch.gradient expected each dimension size to be at least edge_order+1");
  // dim_list_to_bitset: repeats
  if (dim !== null) normalizeDims(dim, self.dim());
}

/** at::slice(t, d, start, end) with a step of 1 */
const sl = (t: Tensor, d: number, start: number | null, end: number | null = null): Tensor =>
  sliceView(t, d, start, end, 1);

/**
 * gradient_helper_float: central differences (x[i+1] - x[i-1]) / 2h inside; at the edges
 * one-sided differences of first (edge_order 1) or second order (edge_order 2:
 * (-1.5 x0 + 2 x1 - 0.5 x2) / h), joined along the dim. `spacing[i]` is the step along dims[i].
 */
function gradientUniform(
  self: Tensor,
  spacing: readonly number[],
  dims: readonly number[],
  edgeOrder: number,
): Tensor[] {
  return dims.map((dim, i) => {
    const d = normalizeDim(dim, self.dim());
    // a one-element spacing list serves every dim
    const h = spacing[spacing.length === 1 ? 0 : i];
    const center = sl(self, d, 2)
      .sub(sl(self, d, 0, -2))
      .div(h);
    let prepend: Tensor;
    let append: Tensor;
    if (edgeOrder === 1) {
      prepend = sl(self, d, 1, 2)
        .sub(sl(self, d, 0, 1))
        .div(h);
      append = sl(self, d, -1)
        .sub(sl(self, d, -2, -1))
        .div(h);
    } else {
      prepend = sl(self, d, 0, 1)
        .mul(-1.5)
        .add(sl(self, d, 1, 2).mul(2))
        .sub(sl(self, d, 2, 3).mul(0.5))
        .div(h);
      append = sl(self, d, -3, -2)
        .mul(0.5)
        .sub(sl(self, d, -2, -1).mul(2))
        .add(sl(self, d, -1).mul(1.5))
        .div(h);
    }
    return catOf([prepend, center.div(2), append], d);
  });
}

/**
 * gradient_helper: differences over the coordinates `coords[i]` along dims[i] (second-order
 * accurate inside for uneven steps dx1, dx2: a x[i-1] + b x[i] + c x[i+1]); edges as
 * gradientUniform with the local steps.
 */
function gradientCoords(
  self: Tensor,
  coords: readonly Tensor[],
  dims: readonly number[],
  edgeOrder: number,
): Tensor[] {
  return dims.map((dim, i) => {
    // a one-element list serves every dim
    const coord = coords[coords.length === 1 ? 0 : i];
    if (coord.dim() !== 1)
      throw runtimeError(
        `torch.gradient expected each element of spacing to have one dimension, but got an element with ${coord.dim()} dimensions!`,
      );
    const d = normalizeDim(dim, self.dim());
    const shape: number[] = self.shape.map(() => 1);
    shape[d] = -1;
    const axDx = coord.diff(1, 0);
    const dx1 = sl(axDx, 0, 0, -1);
    const dx2 = sl(axDx, 0, 1);
    const a = dx2
      .neg()
      .div(dx1.mul(dx1.add(dx2)))
      .reshape(shape);
    const b = dx2.sub(dx1).div(dx1.mul(dx2)).reshape(shape);
    const c = dx1.div(dx2.mul(dx1.add(dx2))).reshape(shape);
    const center = a
      .mul(sl(self, d, 0, -2))
      .add(b.mul(sl(self, d, 1, -1)))
      .add(c.mul(sl(self, d, 2)));
    const n = axDx.shape[0];
    const h0 = axDx.select(0, 0);
    const hN = axDx.select(0, n - 1);
    let prepend: Tensor;
    let append: Tensor;
    if (edgeOrder === 1) {
      prepend = sl(self, d, 1, 2)
        .sub(sl(self, d, 0, 1))
        .div(h0);
      append = sl(self, d, -1)
        .sub(sl(self, d, -2, -1))
        .div(hN);
    } else {
      const h1 = axDx.select(0, 1);
      const hM = axDx.select(0, n - 2);
      const a0 = h0
        .mul(2.0)
        .add(h1)
        .neg()
        .div(h0.mul(h0.add(h1)));
      const b0 = h0.add(h1).div(h0.mul(h1));
      const c0 = h0.neg().div(h1.mul(h0.add(h1)));
      prepend = a0
        .mul(sl(self, d, 0, 1))
        .add(b0.mul(sl(self, d, 1, 2)))
        .add(c0.mul(sl(self, d, 2, 3)));
      const a1 = hN.div(hM.mul(hN.add(hM)));
      const b1 = hN.add(hM).neg().div(hN.mul(hM));
      const c1 = hN
        .mul(2)
        .add(hM)
        .div(hN.mul(hN.add(hM)));
      append = a1
        .mul(sl(self, d, -3, -2))
        .add(b1.mul(sl(self, d, -2, -1)))
        .add(c1.mul(sl(self, d, -1)));
    }
    return catOf([prepend, center, append], d);
  });
}

const catOf = (ts: Tensor[], d: number): Tensor => V.cat(ts, d);

/** gradient_dim_preprocess: the one dim given, or every dim */
const allDims = (self: Tensor, dim: number | null): number[] =>
  dim !== null ? [dim] : self.shape.map((_, i) => i);

defineOp({
  name: "gradient",
  variants: ["function"],
  doc: "The derivative of a sampled function along each dim (or `dim`), by central differences inside and one-sided differences of order `edgeOrder` at the edges; `spacing` is the step (a number or one per dim) or the sample coordinates (one 1-D tensor per dim).",
  example: "torch.gradient(torch.tensor([1, 4, 9, 16])) // [tensor([3., 4., 6., 7.])]",
  overloads: [
    // in the order of PyTorch's parser (its error messages list them so)
    {
      schema: "gradient.array(Tensor self, *, int[] dim, int edge_order=1) -> Tensor[]",
      forward: (self: Tensor, dim: number[], edgeOrder: number) => {
        const steps = dim.map(() => 1);
        preCheckGradient(self, steps.length, dim, edgeOrder);
        return gradientUniform(self, steps, dim, edgeOrder);
      },
    },
    {
      schema:
        "gradient.scalararray(Tensor self, *, Scalar spacing, int[] dim, int edge_order=1) -> Tensor[]",
      forward: (self: Tensor, spacing: number | boolean, dim: number[], edgeOrder: number) => {
        const steps = dim.map(() => Number(spacing));
        preCheckGradient(self, steps.length, dim, edgeOrder);
        return gradientUniform(self, steps, dim, edgeOrder);
      },
    },
    {
      schema:
        "gradient.scalarint(Tensor self, *, Scalar? spacing=None, int? dim=None, int edge_order=1) -> Tensor[]",
      forward: (
        self: Tensor,
        spacing: number | boolean | null,
        dim: number | null,
        edgeOrder: number,
      ) => {
        const dims = allDims(self, dim);
        // an unspecified spacing is 1 along every dim
        const steps = dims.map(() => Number(spacing ?? 1));
        preCheckGradient(
          self,
          spacing === null ? null : steps.length,
          dim === null ? null : dims,
          edgeOrder,
        );
        return gradientUniform(self, steps, dims, edgeOrder);
      },
    },
    {
      schema:
        "gradient.scalarrayint(Tensor self, *, Scalar[] spacing, int? dim=None, int edge_order=1) -> Tensor[]",
      forward: (
        self: Tensor,
        spacing: (number | boolean)[],
        dim: number | null,
        edgeOrder: number,
      ) => {
        const dims = allDims(self, dim);
        preCheckGradient(self, spacing.length, dim === null ? null : dims, edgeOrder);
        return gradientUniform(self, spacing.map(Number), dims, edgeOrder);
      },
    },
    {
      schema:
        "gradient.scalarrayarray(Tensor self, *, Scalar[] spacing, int[] dim, int edge_order=1) -> Tensor[]",
      forward: (self: Tensor, spacing: (number | boolean)[], dim: number[], edgeOrder: number) => {
        preCheckGradient(self, spacing.length, dim, edgeOrder);
        return gradientUniform(self, spacing.map(Number), dim, edgeOrder);
      },
    },
    {
      schema:
        "gradient.tensorarrayint(Tensor self, *, Tensor[] spacing, int? dim=None, int edge_order=1) -> Tensor[]",
      forward: (self: Tensor, spacing: Tensor[], dim: number | null, edgeOrder: number) => {
        const dims = allDims(self, dim);
        preCheckGradient(self, spacing.length, dim === null ? null : dims, edgeOrder);
        return gradientCoords(self, spacing, dims, edgeOrder);
      },
    },
    {
      schema:
        "gradient.tensorarray(Tensor self, *, Tensor[] spacing, int[] dim, int edge_order=1) -> Tensor[]",
      forward: (self: Tensor, spacing: Tensor[], dim: number[], edgeOrder: number) => {
        preCheckGradient(self, spacing.length, dim, edgeOrder);
        return gradientCoords(self, spacing, dim, edgeOrder);
      },
    },
  ],
});

// ------------------------------------------------------------------------------------------------
// histogram, histogramdd

/** A tensor's elements in row-major order (its own storage when contiguous: no copy) */
function flatData(t: Tensor): TypedArray {
  const { data, offset } = contiguousData(t);
  const n = t.numel();
  return offset === 0 && data.length === n ? data : data.subarray(offset, offset + n);
}

/** A dtype as c10's TypeMeta prints it in messages (float, double, long int, ...). */
function cppTypeName(d: DType): string {
  const names: Record<string, string> = {
    float32: "float",
    float64: "double",
    int64: "long int",
    int32: "int",
    uint8: "unsigned char",
    bool: "bool",
  };
  return names[d.name];
}

/**
 * PyTorch's histogram ops have no derivative: with an input requiring grad their outputs carry
 * a NotImplemented node that raises when differentiated, naming the op.
 */
for (const op of [
  "histogram",
  "_histogramdd_from_bin_cts",
  "_histogramdd_bin_edges",
  "_histogramdd_from_bin_tensors",
])
  registerDerivative(
    `stats.${op}` as unknown as Op,
    {
      name: "torch::autograd::NotImplemented",
      save: [],
      grad: () => {
        throw runtimeError(`derivative for aten::${op} is not implemented`);
      },
    } as never,
  );

function recordNotImplemented(
  op: string,
  outs: Tensor | Tensor[],
  inputs: (Tensor | null)[],
): void {
  if (anyNeedsGrad(inputs))
    record(`stats.${op}` as unknown as Op, outs as never, inputs, {} as never, {} as never);
}

/** histogramdd_check_inputs: `self` as given (n-d, points along the last dim), the edges per dim */
function histogramCheckInputs(self: Tensor, bins: readonly Tensor[], weight: Tensor | null): void {
  if (self.dim() < 2)
    throw runtimeError("torch.histogramdd: input tensor should have at least 2 dimensions");
  const d = self.shape[self.dim() - 1];
  if (bins.length !== d)
    throw runtimeError(
      `torch.histogramdd: expected ${d} sequences of bin edges for a ${d}-dimensional histogram but got ${bins.length}`,
    );
  for (let k = 0; k < d; k++) {
    const b = bins[k];
    if (b.dtype !== self.dtype)
      throw runtimeError(
        `torch.histogramdd: input tensor and bins tensors should have the same dtype, but got input with dtype ${cppTypeName(self.dtype)} and bins for dimension ${k} with dtype ${cppTypeName(b.dtype)}`,
      );
    if (b.dim() !== 1)
      throw runtimeError(
        `torch.histogramdd: bins tensor should have one dimension, but got ${b.dim()} dimensions in the bins tensor for dimension ${k}`,
      );
    if (b.numel() === 0)
      throw runtimeError(
        `torch.histogramdd: bins tensor should have at least 1 element, but got 0 elements in the bins tensor for dimension ${k}`,
      );
  }
  if (weight !== null) {
    if (weight.dtype !== self.dtype)
      throw runtimeError(
        `torch.histogramdd: if weight tensor is provided, input tensor and weight tensor should have the same dtype, but got input(${cppTypeName(self.dtype)}), and weight(${cppTypeName(weight.dtype)})`,
      );
    // a 0-dim weight counts as shape [1]
    const ws = weight.dim() === 0 ? [1] : weight.shape;
    if (!shapeEqual(self.shape.slice(0, -1), ws))
      throw runtimeError(
        `torch.histogramdd: if weight tensor is provided it should have the same shape as the input tensor excluding its innermost dimension, but got input with shape [${self.shape.join(", ")}] and weight with shape [${weight.shape.join(", ")}]`,
      );
  }
}

/** histogramdd_prepare_out's count check */
function checkBinCounts(counts: readonly number[]): void {
  counts.forEach((c, k) => {
    if (c <= 0)
      throw runtimeError(`torch.histogram(): bins must be > 0, but got ${c} for dimension ${k}`);
  });
}

/**
 * select_outer_bin_edges: per dim of the (N, D) points, `range`'s pair, else the data's min and
 * max ([0, 1] without data), an empty range widened by 0.5 each side.
 */
function outerBinEdges(x: Tensor, range: readonly number[] | null): [number[], number[]] {
  const d = x.shape[1];
  const lo = new Array<number>(d).fill(0);
  const hi = new Array<number>(d).fill(1);
  if (range !== null) {
    if (range.length !== 2 * d)
      throw runtimeError(
        `torch.histogramdd: for a ${d}-dimensional histogram range should have ${2 * d} elements, but got ${range.length}`,
      );
    for (let k = 0; k < d; k++) {
      lo[k] = range[2 * k];
      hi[k] = range[2 * k + 1];
    }
  } else if (x.numel() > 0) {
    if (!x.dtype.isFloatingPoint)
      throw runtimeError(`"histogramdd" not implemented for '${scalarTypeName(x.dtype)}'`);
    // aminmax(input, 0): NaN propagates
    const data = flatData(x);
    const n = x.shape[0];
    for (let k = 0; k < d; k++) {
      let a = Infinity;
      let b = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = data[i * d + k];
        if (v !== v) {
          a = b = NaN;
          break;
        }
        if (v < a) a = v;
        if (v > b) b = v;
      }
      lo[k] = a;
      hi[k] = b;
    }
  }
  for (let k = 0; k < d; k++) {
    if (!Number.isFinite(lo[k]) || !Number.isFinite(hi[k]))
      throw runtimeError(
        `torch.histogramdd: dimension ${k}'s range [${cppDouble(lo[k])}, ${cppDouble(hi[k])}] is not finite`,
      );
    if (lo[k] > hi[k])
      throw runtimeError(
        `torch.histogramdd: min should not exceed max, but got min ${cppDouble(lo[k])} max ${cppDouble(hi[k])} for dimension ${k}`,
      );
    if (lo[k] === hi[k]) {
      lo[k] -= 0.5;
      hi[k] += 0.5;
    }
  }
  return [lo, hi];
}

/** linspace(lo, hi, count + 1) in the input's dtype for each dim (a missing count reads as 0) */
function linearEdges(x: Tensor, counts: readonly number[], lo: number[], hi: number[]): Tensor[] {
  return lo.map(
    (l, k) => fn("linspace")(l, hi[k], (counts[k] ?? 0) + 1, { dtype: x.dtype }) as Tensor,
  );
}

/**
 * The histogram of the (N, D) points `x` over the edges (histogramdd_stub): counts or weight
 * sums in x's dtype; with `density`, divided by their total and by each bin's widths.
 */
function histogramCompute(
  x: Tensor,
  weight: Tensor | null,
  edges: readonly Tensor[],
  density: boolean,
  search: BinSearch,
): Tensor {
  if (!x.dtype.isFloatingPoint)
    throw runtimeError(`"histogram_cpu" not implemented for '${scalarTypeName(x.dtype)}'`);
  const shape = edges.map((e) => e.numel() - 1);
  const out = new x.dtype.ArrayType(shape.reduce((a, b) => a * b, 1));
  histogramKernel(
    flatData(x),
    x.shape[0],
    x.shape[1],
    weight === null ? null : castData(weight.detach(), x.dtype),
    edges.map((e) => castData(e.detach(), x.dtype)),
    search,
    x.dtype === float32,
    out,
  );
  let hist = wrap(out, shape, x.dtype);
  if (density)
    hist = noGrad(() => {
      let h = hist.div(hist.sum());
      edges.forEach((e, k) => {
        const widths = shape.map(() => 1);
        widths[k] = shape[k];
        h = h.div(e.detach().diff().reshape(widths));
      });
      return h;
    });
  return hist;
}

interface Histogram {
  hist: Tensor;
  bin_edges: Tensor;
  0: Tensor;
  1: Tensor;
}

/** histogramdd_prepare_out's dtype checks of out=(hist, bin_edges) */
const histogramCheckOut = (out: Tensor | Tensor[], self: Tensor): void => {
  const [hist, edges] = out as Tensor[];
  const name = (d: DType): string => cppTypeName(d);
  if (hist.dtype !== self.dtype)
    throw runtimeError(
      `torch.histogram: input tensor and hist tensor should have the same dtype, but got input ${name(self.dtype)} and hist ${name(hist.dtype)}`,
    );
  if (edges.dtype !== self.dtype)
    throw runtimeError(
      `torch.histogram: input tensor and bin_edges tensor should have the same dtype, but got input ${name(self.dtype)} and bin_edges ${name(edges.dtype)} for dimension 0`,
    );
};

const histogramPair = (hist: Tensor, edges: Tensor): Histogram =>
  namedTuple({ hist, bin_edges: edges, 0: hist, 1: edges });

defineOp({
  name: "histogram",
  variants: ["function", "method"],
  out: true,
  doc: "A histogram of the elements: `{ hist, bin_edges }`, with `bins` equal-width bins over `range` (the data's range by default) or the given edges; weights sum per bin; `density` normalises to a probability density.",
  example:
    "torch.histogram(torch.tensor([1, 2, 1]), 2) // { hist: tensor([2., 1.]), bin_edges: tensor([1.0000, 1.5000, 2.0000]) }",
  overloads: [
    {
      schema:
        "histogram.bins_tensor(Tensor self, Tensor bins, *, Tensor? weight=None, bool density=False) -> (Tensor hist, Tensor bin_edges)",
      forward: (self: Tensor, bins: Tensor, weight: Tensor | null, density: boolean) => {
        const x = self.detach().reshape([self.numel(), 1]);
        const w = weight === null ? null : weight.detach().reshape([weight.numel()]);
        histogramCheckInputs(x, [bins], w);
        checkBinCounts([bins.numel() - 1]);
        const hist = histogramCompute(x, w, [bins], density, "binary");
        const edges = noGrad(() => bins.detach().clone());
        recordNotImplemented("histogram", [hist, edges], [self, bins, weight]);
        return histogramPair(hist, edges);
      },
      checkOutAfter: histogramCheckOut,
    },
    {
      schema:
        "histogram.bin_ct(Tensor self, int bins=100, *, float[]? range=None, Tensor? weight=None, bool density=False) -> (Tensor hist, Tensor bin_edges)",
      forward: (
        self: Tensor,
        bins: number,
        range: number[] | null,
        weight: Tensor | null,
        density: boolean,
      ) => {
        const x = self.detach().reshape([self.numel(), 1]);
        const w = weight === null ? null : weight.detach().reshape([weight.numel()]);
        checkBinCounts([bins]);
        const [lo, hi] = outerBinEdges(x, range);
        const edges = linearEdges(x, [bins], lo, hi);
        histogramCheckInputs(x, edges, w);
        const hist = histogramCompute(x, w, edges, density, "linearLocal");
        recordNotImplemented("histogram", [hist, edges[0]], [self, weight]);
        return histogramPair(hist, edges[0]);
      },
      checkOutAfter: histogramCheckOut,
    },
  ],
});

interface HistogramDD {
  hist: Tensor;
  bin_edges: Tensor[];
  0: Tensor;
  1: Tensor[];
}

const histogramddPair = (hist: Tensor, edges: Tensor[]): HistogramDD =>
  namedTuple({ hist, bin_edges: edges, 0: hist, 1: edges });

/** `self` as (N, D) points: every dim but the last flattened */
const points = (self: Tensor): Tensor => self.detach().reshape([-1, self.shape[self.dim() - 1]]);

/**
 * histogramdd with bin counts: _histogramdd_bin_edges (the linspace edges over the outer
 * range), then _histogramdd_from_bin_cts (the counts, which checks and computes the edges again)
 */
function histogramddCounts(
  self: Tensor,
  bins: readonly number[],
  range: number[] | null,
  weight: Tensor | null,
  density: boolean,
): HistogramDD {
  if (self.dim() < 2)
    throw runtimeError("torch.histogramdd: input tensor should have at least 2 dimensions");
  const x = points(self);
  const [lo, hi] = outerBinEdges(x, range);
  const edges = linearEdges(x, bins, lo, hi);
  histogramCheckInputs(self, edges, weight);
  checkBinCounts(lo.map((_l, k) => bins[k] ?? 0));
  const w = weight === null ? null : weight.detach().reshape([-1]);
  const hist = histogramCompute(x, w, edges, density, "linearLocal");
  recordNotImplemented("_histogramdd_bin_edges", edges, [self, weight]);
  recordNotImplemented("_histogramdd_from_bin_cts", hist, [self, weight]);
  return histogramddPair(hist, edges);
}

defineOp({
  name: "histogramdd",
  variants: ["function"],
  doc: "A D-dimensional histogram of the points along the last dim: `{ hist, bin_edges }`, with `bins` equal-width bins per dim over `range` (the data's range by default) or the given edges per dim.",
  example:
    "torch.histogramdd(torch.tensor([[0, 1], [1, 0]]), 2).hist // tensor([[0., 1.], [1., 0.]])",
  overloads: [
    // in the order of PyTorch's parser
    {
      schema:
        "histogramdd.int_bins(Tensor self, int bins, float[]? range=None, Tensor? weight=None, bool density=False) -> (Tensor hist, Tensor[] bin_edges)",
      forward: (
        self: Tensor,
        bins: number,
        range: number[] | null,
        weight: Tensor | null,
        density: boolean,
      ) => {
        // a count for each dim (DimVector bins_v(self.size(-1), bins))
        const counts = new Array<number>(self.dim() === 0 ? 1 : self.shape[self.dim() - 1]).fill(
          bins,
        );
        return histogramddCounts(self, counts, range, weight, density);
      },
    },
    {
      schema:
        "histogramdd(Tensor self, int[] bins, float[]? range=None, Tensor? weight=None, bool density=False) -> (Tensor hist, Tensor[] bin_edges)",
      forward: histogramddCounts,
    },
    {
      schema:
        "histogramdd.TensorList_bins(Tensor self, Tensor[] bins, float[]? range=None, Tensor? weight=None, bool density=False) -> (Tensor hist, Tensor[] bin_edges)",
      // the range is ignored; the edges returned are the bins tensors themselves
      forward: (
        self: Tensor,
        bins: Tensor[],
        _range: number[] | null,
        weight: Tensor | null,
        density: boolean,
      ) => {
        histogramCheckInputs(self, bins, weight);
        checkBinCounts(bins.map((b) => b.numel() - 1));
        const x = points(self);
        const w = weight === null ? null : weight.detach().reshape([-1]);
        const hist = histogramCompute(x, w, bins, density, "binary");
        recordNotImplemented("_histogramdd_from_bin_tensors", hist, [self, ...bins, weight]);
        return histogramddPair(hist, bins.slice());
      },
    },
  ],
});

// ------------------------------------------------------------------------------------------------
// segment_reduce

const REDUCTIONS = ["max", "mean", "min", "sum", "prod"];
const CHECK_HINT =
  "  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)";

/** data as (outer, size, inner) around `axis`, with `segments` outputs along it */
function segmentLayout(
  data: Tensor,
  axis: number,
  segments: number,
  offsetsLike: boolean,
): SegmentLayout {
  const prod = (a: number[]): number => a.reduce((x, y) => x * y, 1);
  return {
    outer: prod(data.shape.slice(0, axis)),
    size: data.shape[axis],
    inner: prod(data.shape.slice(axis + 1)),
    segments,
    offsetsLike,
  };
}

const roundFor = (t: Tensor): ((v: number) => number) =>
  t.dtype === float32 ? Math.fround : (v: number) => v;

/** the bounds' typed array, after the index-type dispatch check (int32 or int64) */
function segmentBounds(bounds: Tensor, kernel: string): Tensor {
  if (bounds.dtype !== int64 && bounds.dtype !== int32)
    throw runtimeError(`"${kernel}" not implemented for '${scalarTypeName(bounds.dtype)}'`);
  return bounds.detach();
}

registerDerivative(
  "stats._segment_reduce_backward" as unknown as Op,
  {
    name: "torch::autograd::NotImplemented",
    save: [],
    grad: () => {
      throw runtimeError("derivative for aten::_segment_reduce_backward is not implemented");
    },
  } as never,
);

/**
 * _segment_reduce_backward: the gradient of data from the output's (non-differentiable in
 * PyTorch: a NotImplemented node when the graph is kept)
 */
function segmentReduceBackward(
  grad: Tensor,
  output: Tensor,
  data: Tensor,
  reduce: string,
  lengths: Tensor | null,
  offsets: Tensor | null,
  axis: number,
  initial: number | boolean | null,
): Tensor {
  const ax = normalizeDim(axis, data.dim());
  const bounds = (offsets ?? lengths) as Tensor;
  const segments = bounds.shape[bounds.dim() - 1] - (offsets !== null ? 1 : 0);
  const l = segmentLayout(data, ax, segments, offsets !== null);
  const gradIn = new data.dtype.ArrayType(data.numel());
  segmentBackwardKernel(
    reduce as SegmentReduction,
    castData(grad.detach().contiguous(), data.dtype),
    castData(output.detach(), data.dtype),
    castData(data.detach(), data.dtype),
    castData(bounds.detach(), int64),
    l,
    initial === null ? null : Number(initial),
    roundFor(data),
    gradIn,
  );
  const out = wrap(gradIn, data.shape.slice(), data.dtype);
  recordNotImplementedAs("_segment_reduce_backward", out, [grad, output, data]);
  return out;
}

function recordNotImplementedAs(op: string, out: Tensor, inputs: Tensor[]): void {
  if (anyNeedsGrad(inputs))
    record(`stats.${op}` as unknown as Op, out, inputs, {} as never, {} as never);
}

// the saved tensors (lengths and offsets may be absent: null at run time)
type SegmentSaved = { data: Tensor; result: Tensor; lengths: Tensor; offsets: Tensor };
type SegmentAttrs = { reduce: string; axis: number; initial: number | boolean | null };

defineOp({
  name: "segment_reduce",
  variants: ["function"],
  doc: "Reduces consecutive segments of `data` along `axis` (sum, mean, max, min or prod), the segments given by their `lengths` or `offsets`, each started from `initial` when given.",
  example:
    'torch.segmentReduce(torch.tensor([1, 2, 3]), "sum", { lengths: torch.tensor([2, 1], { dtype: torch.long }) }) // tensor([3., 3.])',
  overloads: [
    {
      schema:
        "segment_reduce(Tensor data, str reduce, *, Tensor? lengths=None, Tensor? indices=None, Tensor? offsets=None, int axis=0, bool unsafe=False, Scalar? initial=None) -> Tensor",
      forward: (
        data: Tensor,
        reduce: string,
        lengths: Tensor | null,
        indices: Tensor | null,
        offsets: Tensor | null,
        axis: number,
        unsafe: boolean,
        initial: number | boolean | null,
      ) => {
        const ax = normalizeDim(axis, data.dim());
        if (data.numel() <= 0)
          throw runtimeError(`Expected data.numel() > 0 to be true, but got false.${CHECK_HINT}`);
        if (indices !== null)
          throw runtimeError("segment_reduce(): indices based reduction is not supported yet.");
        if (lengths === null && offsets === null)
          throw runtimeError("segment_reduce(): Either lengths or offsets must be defined.");
        if (!REDUCTIONS.includes(reduce))
          throw runtimeError(`unsupported reduction given! ${reduce}`);
        const useOffsets = offsets !== null;
        const bounds = (offsets ?? lengths) as Tensor;
        const what = useOffsets ? "offsets" : "lengths";
        if (data.dim() < bounds.dim())
          throw runtimeError(
            `Expected data.dim() >= ${what}_value.dim() to be true, but got false.${CHECK_HINT}`,
          );
        if (ax !== bounds.dim() - 1)
          throw runtimeError(
            `segment_reduce(): Expected axis to be the last dimension of ${what} but got ${ax}.`,
          );
        if (!useOffsets && !unsafe) {
          const [minLength, sumsMatch] = noGrad(() => {
            const lv = bounds.detach();
            return [Number(lv.min().item()), Boolean(lv.sum([-1]).eq(data.shape[ax]).all().item())];
          });
          if (minLength < 0) throw runtimeError("lengths contains negative value!");
          if (!sumsMatch)
            throw runtimeError(
              "segment_reduce(): Expected all rows of lengths along axis to sum to data.size(lengths.dim()-1) when !unsafe.",
            );
        }
        const b = segmentBounds(
          bounds,
          useOffsets
            ? "_segment_reduce_offsets_cpu_kernel1"
            : "_segment_reduce_lengths_cpu_kernel1",
        );
        if (!data.dtype.isFloatingPoint)
          throw runtimeError(
            `"_segment_reduce_cpu" not implemented for '${scalarTypeName(data.dtype)}'`,
          );
        const segments = bounds.shape[bounds.dim() - 1] - (useOffsets ? 1 : 0);
        const l = segmentLayout(data, ax, segments, useOffsets);
        const shape = data.shape.slice();
        shape[ax] = segments;
        const out = new data.dtype.ArrayType(l.outer * segments * l.inner);
        const ok = segmentKernel(
          reduce as SegmentReduction,
          castData(data.detach(), data.dtype),
          castData(b, int64),
          l,
          initial === null ? null : Number(initial),
          roundFor(data),
          out,
        );
        if (!ok)
          throw runtimeError(
            `Expected segment_length >= 0 to be true, but got false.${CHECK_HINT}`,
          );
        return wrap(out, shape, data.dtype);
      },
      // data: _segment_reduce_backward(grad, result, data, reduce, lengths, offsets, axis, initial)
      derivative: {
        name: "SegmentReduceBackward0",
        save: ["data", "result", "lengths", "offsets"],
        attrs: ["reduce", "axis", "initial"],
        grad: (g: Tensor, s: SegmentSaved, a: SegmentAttrs) => [
          segmentReduceBackward(
            g,
            s.result,
            s.data,
            a.reduce,
            s.lengths ?? null,
            s.offsets ?? null,
            a.axis,
            a.initial,
          ),
          null,
          null,
          null,
        ],
        jvp: () => {
          throw notImplementedError(
            "Trying to use forward AD with segment_reduce that does not support it because it has not been implemented yet.\nPlease file an issue to PyTorch at https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that we can prioritize its implementation.\nNote that forward AD support for some operators require PyTorch to be built with TorchScript and for JIT to be enabled. If the environment var PYTORCH_JIT=0 is set or if the library is not built with TorchScript, some operators may no longer be used with forward AD.",
          );
        },
      },
    },
  ],
});
