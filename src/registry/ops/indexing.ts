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
import { bool, int32, int64 } from "../../dtype.js";
import { normalizeDim } from "../../shape.js";
import * as V from "../../ops/views.js";
import * as I from "../../ops/indexing.js";
import { alloc, castData, contiguousData, scalarTypeName, wrap } from "../../ops/core.js";
import * as F from "../../autograd/formula-ops.js";
import { indexError, runtimeError } from "../../errors.js";
import { defineOp } from "../define.js";

/** ensure_nonempty_size: a 0-dim tensor has size 1 in its one dim (other dims: IndexError). */
const sizeAt = (t: Tensor, d: number): number =>
  t.dim() === 0 ? (normalizeDim(d, 0), 1) : t.shape[normalizeDim(d, t.dim())];
/** ensure_nonempty_dim */
const dims = (t: Tensor): number => Math.max(t.dim(), 1);
const sizes = (t: Tensor): string => `[${t.shape.join(", ")}]`;

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
    "torch.tensor([[1, 2], [3, 4]]).gather(1, torch.tensor([[1], [0]])) // tensor([[2], [3]])",
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
        jvp: (t, p, _r, a: { dim: number }) =>
          t.self === null ? null : t.self.gather(a.dim, p.index),
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

/** ATen's scatter meta checks for scatter_add: dtypes, then scatter_shape_check, in order. */
function scatterChecks(self: Tensor, d: number, index: Tensor, src: Tensor): void {
  if (index.numel() !== 0 && index.dtype !== int64)
    throw runtimeError("scatter(): Expected dtype int64 for index");
  if (self.dtype !== src.dtype)
    throw runtimeError("scatter(): Expected self.dtype to be equal to src.dtype");
  if (index.numel() === 0) return;
  if (dims(self) !== dims(index))
    throw runtimeError("Index tensor must have the same number of dimensions as self tensor");
  let wrong = false;
  for (let i = 0; i < dims(self) && !wrong; i++)
    if (i !== d && sizeAt(index, i) > sizeAt(self, i)) wrong = true;
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
    "torch.zeros(3).scatterAdd(0, torch.tensor([0, 0, 2]), torch.tensor([1., 2, 3])) // tensor([3., 0., 3.])",
  overloads: [
    {
      schema: "scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor",
      forward: (self: Tensor, dim: number, index: Tensor, src: Tensor) => {
        const d = normalizeDim(dim, self.dim());
        scatterChecks(self, d, index, src);
        if (index.numel() === 0)
          return wrap(castData(self, self.dtype), self.shape.slice(), self.dtype);
        checkIndexValues(self, d, index);
        return V.scatterAdd(self, d, index, src);
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
    "torch.tensor([[1, 2], [3, 4]]).indexSelect(0, torch.tensor([1, 1])) // tensor([[3, 4], [3, 4]])",
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
        jvp: (t, p, _r, a: { dim: number }) =>
          t.self === null ? null : t.self.indexSelect(a.dim, p.index),
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
    "torch.zeros(3).indexPut([torch.tensor([0, 2])], torch.tensor(1.)) // tensor([1., 0., 1.])",
  overloads: [
    {
      schema:
        "index_put(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False) -> Tensor",
      forward: (self: Tensor, indices: Tensor[], values: Tensor, accumulate: boolean) => {
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
        return I.indexPut(self, indices, values, accumulate);
      },
    },
  ],
});
