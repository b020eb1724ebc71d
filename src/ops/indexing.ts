/**
 * Indexing with PyTorch 1.13's semantics: `t.index(...)` is Python's `t[...]` and
 * `t.indexPut_(...)` is Python's `t[...] = v`.
 *
 * The pipeline mirrors torch/csrc/autograd/python_variable_indexing.cpp and ATen's
 * TensorAdvancedIndexing.cpp, so results, autograd node names and error messages match:
 *
 * 1. parse: each JS argument becomes an `Item` (int, slice, None, Ellipsis, bool, tensor).
 * 2. basic indexing ("applySlicing"): ints select, slices slice, `null` unsqueezes, all as
 *    views recorded by views.ts (SelectBackward0, SliceBackward0, UnsqueezeBackward0); tensors
 *    (and Python bools, which add a size-1 dim indexed by `[0]` or `[]`) are collected into an
 *    index list, one slot per dim of the sliced view.
 * 3. advanced indexing ("make_info", in advanced-indexing.ts): boolean masks become their nonzero() coordinates, the
 *    index tensors broadcast together, and the result dims go where the indexed dims were if
 *    the indexed dims are adjacent, else first. The result is a copy recorded as `index`
 *    (IndexBackward0).
 *
 * Writes run the same parse and slicing on a *virtual* row-major layout of self (no storage),
 * so the written positions come out as flat offsets into self. Those are turned into one
 * coordinate tensor per dim of self and applied with the out-of-place primitive `indexPut`
 * through `inplace()` (Note [in-place shadow]). One primitive then serves every write, and its
 * backward (`indexPutBackward`) is built from `index`/`indexPut` themselves, so double
 * backward works.
 */
import { Tensor } from "../tensor.js";
import { bool, int32, int64, type DType } from "../dtype.js";
import { shapeEqual } from "../shape.js";
import { alloc, pyTypeName, scalarIn, wrap } from "./core.js";
import { makeView, select, slice as sliceView, unsqueeze } from "./views.js";
import { needsGrad, record } from "../autograd/function.js";
import { isGradEnabled } from "../autograd/grad-mode.js";
import { checkInplace, inplace } from "./inplace.js";
import {
  advancedIndex,
  checkValuesShape,
  indexPut,
  offsets,
  stripLeadingOnes,
  structure,
} from "./advanced-indexing.js";
import { indexError, runtimeError, typeError, valueError } from "../errors.js";

export { advancedIndex, indexPut } from "./advanced-indexing.js";

/** A Python slice `start:stop:step` (`null` parts take Python's defaults). */
export interface Slice {
  /** The first index (null: from the start). */
  readonly start: number | null;
  /** The end index, excluded (null: to the end). */
  readonly stop: number | null;
  /** The step (null: 1). */
  readonly step: number | null;
}

/** A (nested) JS array of integers or booleans, indexing like the tensor it describes. */
export type IndexList = (number | boolean | IndexList)[];

/**
 * One index of `t.index(...)`: an integer, a slice (string `"1:3"` or `torch.slice(1, 3)`),
 * `null` (Python's None: a new axis), `"..."`, a boolean, an integer/boolean tensor, or an array
 * of integers/booleans.
 */
export type IndexArg = number | null | string | Slice | Tensor | boolean | IndexList;

/**
 * torch.slice(start?, stop?, step?): the slice object `start:stop:step` for `t.index`.
 * @example torch.arange(5).index(torch.slice(null, null, 2)) // tensor([0, 2, 4])
 */
export function slice(
  start: number | null = null,
  stop: number | null = null,
  step: number | null = null,
): Slice {
  return { start, stop, step };
}

// ---------------------------------------------------------------------------------------------
// Parsing

type Item =
  | { k: "int"; v: number }
  | { k: "slice"; start: number | null; stop: number | null; step: number | null }
  | { k: "none" }
  | { k: "ellipsis" }
  | { k: "bool"; v: boolean }
  | { k: "tensor"; t: Tensor };

const VALID_INDICES =
  "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices";

// "start:stop" or "start:stop:step", each part an optional integer
const SLICE_RE = /^\s*([+-]?\d+)?\s*:\s*([+-]?\d+)?\s*(?::\s*([+-]?\d+)?\s*)?$/;

function parseSliceString(s: string): Item {
  if (s.trim() === "...") return { k: "ellipsis" };
  const m = SLICE_RE.exec(s);
  if (m === null) {
    throw typeError(
      `invalid index string ${JSON.stringify(s)}: expected "..." or a slice "start:stop:step" with optional integer parts, e.g. ":", "1:3", "::2", "-2:"`,
    );
  }
  const part = (p: string | undefined): number | null => (p === undefined ? null : Number(p));
  return { k: "slice", start: part(m[1]), stop: part(m[2]), step: part(m[3]) };
}

function isSliceObject(a: object): a is Slice {
  const keys = Object.keys(a);
  return keys.length > 0 && keys.every((k) => k === "start" || k === "stop" || k === "step");
}

function sliceBound(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  throw typeError("slice indices must be integers or None or have an __index__ method");
}

/**
 * A nested JS array as an index tensor: bool when every element is a boolean (a mask), else
 * int64 (booleans count as 0/1, as Python's `[0, True]`).
 */
function arrayToIndexTensor(a: IndexList): Tensor {
  const shape: number[] = [];
  for (let p: unknown = a; Array.isArray(p); p = p[0]) {
    shape.push(p.length);
    if (p.length === 0) break;
  }
  const flat: (number | boolean)[] = [];
  const walk = (v: unknown, d: number): void => {
    if (d === shape.length) {
      if (Array.isArray(v)) throw valueError(`expected a number at dim ${d} (got a sequence)`);
      if (typeof v === "boolean") flat.push(v);
      else if (typeof v === "number" && Number.isInteger(v)) flat.push(v);
      else if (typeof v === "number")
        throw indexError(`index arrays must hold integers or booleans (got ${v})`);
      else throw typeError(`index arrays must hold integers or booleans (got ${pyTypeName(v)})`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) {
      throw valueError(
        `expected sequence of length ${shape[d]} at dim ${d} (got ${Array.isArray(v) ? v.length : pyTypeName(v)})`,
      );
    }
    for (const x of v) walk(x, d + 1);
  };
  walk(a, 0);
  const isMask = flat.length > 0 && flat.every((v) => typeof v === "boolean");
  const dtype = isMask ? bool : int64;
  const data = new dtype.ArrayType(flat.length);
  for (let i = 0; i < flat.length; i++) data[i] = Number(flat[i]);
  return wrap(data, shape, dtype);
}

function parseArg(a: unknown): Item {
  if (a === null) return { k: "none" };
  if (typeof a === "number") {
    if (Number.isInteger(a)) return { k: "int", v: a };
    throw indexError(`${VALID_INDICES} (got float)`);
  }
  if (typeof a === "boolean") return { k: "bool", v: a };
  if (typeof a === "string") return parseSliceString(a);
  if (a instanceof Tensor) return { k: "tensor", t: a };
  if (Array.isArray(a)) return { k: "tensor", t: arrayToIndexTensor(a as IndexList) };
  if (typeof a === "object" && isSliceObject(a)) {
    return {
      k: "slice",
      start: sliceBound(a.start),
      stop: sliceBound(a.stop),
      step: sliceBound(a.step),
    };
  }
  throw indexError(`${VALID_INDICES} (got ${a === undefined ? "undefined" : pyTypeName(a)})`);
}

function parseArgs(args: readonly unknown[]): Item[] {
  const items = args.map(parseArg);
  // PyTorch 1.13 silently accepts several Ellipses with odd results; NumPy rejects them, and so
  // do we (the index would be ambiguous).
  if (items.filter((it) => it.k === "ellipsis").length > 1) {
    throw indexError("an index can only have a single ellipsis ('...')");
  }
  return items;
}

/**
 * count_specified_dimensions: the dims an index consumes. Masks consume one per mask dim;
 * None, Ellipsis and Python bools consume none.
 */
function countSpecified(items: readonly Item[]): number {
  let n = 0;
  for (const it of items) {
    if (it.k === "int" || it.k === "slice") n++;
    else if (it.k === "tensor") n += it.t.dtype === bool ? it.t.dim() : 1;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Basic indexing (views)

function applySelect(t: Tensor, dim: number, index: number, realDim: number): Tensor {
  if (t.dim() === 0) {
    if (index === 0 && dim === 0) {
      throw indexError(
        "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number",
      );
    }
    throw indexError(`index ${index} is out of bounds for dimension ${realDim} with size 0`);
  }
  // PyTorch reports the position in the index tuple, not the dim of the (sliced) tensor
  const size = t.shape[dim];
  if (size !== undefined && (index < -size || index >= size)) {
    throw indexError(`index ${index} is out of bounds for dimension ${realDim} with size ${size}`);
  }
  return select(t, dim, index);
}

/**
 * Python slice semantics on `dim`: None start is 0, None stop is "to the end"; negative bounds
 * count from the end; bounds clamp to the size. Reads never skip a slice (PyTorch's getitem
 * disables the "slice optimization"); writes skip `0:size` with step 1 — only when the stop
 * was given explicitly, as in PyTorch, where a missing stop is PY_SSIZE_T_MAX.
 */
function applySlice(
  t: Tensor,
  dim: number,
  s: Extract<Item, { k: "slice" }>,
  disableOptimization: boolean,
): Tensor {
  const step = s.step ?? 1;
  if (step === 0) throw valueError("slice step cannot be zero");
  if (step < 0) throw valueError("step must be greater than zero");
  if (t.dim() === 0) throw indexError("slice() cannot be applied to a 0-dim tensor.");
  const size = t.shape[dim];
  const start = s.start ?? 0;
  const stop = s.stop ?? Infinity;
  if (!disableOptimization && start === 0 && stop === size && step === 1) return t;
  let a = start < 0 ? start + size : start;
  let b = stop < 0 ? stop + size : stop;
  a = a < 0 ? 0 : a >= size ? size : a;
  b = b < a ? a : b >= size ? size : b;
  return sliceView(t, dim, a, b, step);
}

/** `[0]` for True (the new size-1 dim taken whole), `[]` for False (taken empty). */
function boolIndex(v: boolean): Tensor {
  return wrap(new Float64Array(v ? 1 : 0), [v ? 1 : 0], int64);
}

function recordIndex(indices: (Tensor | null)[], dim: number, t: Tensor): void {
  while (indices.length <= dim) indices.push(null);
  indices[dim] = t;
}

/**
 * applySlicing: the basic part of an index tuple as views of t, and the tensor indices in a
 * list with one slot per dim of the result (null: the dim is taken whole).
 */
function applySlicing(
  t: Tensor,
  items: readonly Item[],
  disableSliceOptimization: boolean,
): { result: Tensor; indices: (Tensor | null)[] } {
  const specified = countSpecified(items);
  if (specified > t.dim()) throw indexError(`too many indices for tensor of dimension ${t.dim()}`);
  let result = t;
  let dim = 0;
  const indices: (Tensor | null)[] = [];
  items.forEach((it, i) => {
    switch (it.k) {
      case "int":
        result = applySelect(result, dim, it.v, i);
        break;
      case "slice":
        result = applySlice(result, dim, it, disableSliceOptimization);
        dim++;
        break;
      case "none":
        result = unsqueeze(result, dim);
        dim++;
        break;
      case "ellipsis":
        dim += t.dim() - specified;
        break;
      case "bool":
        result = unsqueeze(result, dim);
        recordIndex(indices, dim, boolIndex(it.v));
        dim++;
        break;
      case "tensor": {
        const x = it.t;
        if (x.dim() === 0 && (x.dtype === int64 || x.dtype === int32)) {
          // a 0-dim integer tensor is an integer
          result = applySelect(result, dim, x.item() as number, i);
        } else if (x.dim() === 0 && x.dtype === bool) {
          result = unsqueeze(result, dim);
          recordIndex(indices, dim, boolIndex(x.item() as boolean));
          dim++;
        } else {
          // as PyTorch's recordTensorIndex: one slot, even for a multi-dim mask
          recordIndex(indices, dim, x);
          dim++;
        }
        break;
      }
    }
  });
  return { result, indices };
}

/** x[...] and x[()]: a new view of the same tensor (AliasBackward0). */
function alias(t: Tensor): Tensor {
  const out = makeView(t, t.shape.slice(), t.strides.slice(), t.offset);
  if (needsGrad(t)) record("view", out, [t], {}, { name: "AliasBackward0" });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Public entry points

/**
 * Python's `t[indices]` (reading): basic indices give views (SelectBackward0, SliceBackward0,
 * UnsqueezeBackward0, AliasBackward0 for `x[...]`), tensor/array/bool indices give a copy
 * (IndexBackward0). One argument is Python's `t[a]`, several are `t[a, b, ...]`.
 * @example
 * const x = torch.arange(24).view(3, 4, 2);
 * x.index(0, "1:3")            // x[0, 1:3]
 * x.index("...", null, "::2")  // x[..., None, ::2]
 * index(x, [[0, 2], ":", [1, 1]]) // x[[0, 2], :, [1, 1]]: the method's arguments as one list
 */
export function index(t: Tensor, idx: IndexArg[]): Tensor {
  if (idx.length === 1) {
    // getitem's fast paths for a single non-tuple index
    const it = parseArg(idx[0]);
    switch (it.k) {
      case "int":
        return applySelect(t, 0, it.v, 0);
      case "slice":
        return applySlice(t, 0, it, true);
      case "none":
        return unsqueeze(t, 0);
      case "ellipsis":
        return alias(t);
      case "bool":
        return advancedIndex(unsqueeze(t, 0), [boolIndex(it.v)]);
      default:
        return indexItems(t, [it]);
    }
  }
  return indexItems(t, parseArgs(idx));
}

function indexItems(t: Tensor, items: Item[]): Tensor {
  const { result, indices } = applySlicing(t, items, true);
  if (indices.length === 0) return result === t ? alias(t) : result;
  return advancedIndex(result, indices);
}

/** Row-major strides with no special case for size-1 dims (flat offsets decompose exactly). */
function rowMajor(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

/** t's values as a 0-dim tensor of dtype (Python's scalar-to-tensor for `t[i] = 5`). */
function scalarTensor(v: number, dtype: DType): Tensor {
  const out = alloc([], dtype);
  out.typedArray[0] = scalarIn(v, dtype);
  return out;
}

/**
 * Python's `t[indices] = values`, in place; returns t. `values` (a tensor or number) is
 * broadcast to the indexed shape (after dropping its leading 1s) and cast to t's dtype.
 * With `accumulate`, values are added instead, repeated indices summing (index_put_'s
 * accumulate=True). The node t's history moves to is PyTorch's: CopySlices when the write goes
 * through a view (`t[0] = v`, `t[:, [0, 1]] = v`), IndexPutBackward0 for index tensors on t
 * itself (`t[[0, 1]] = v`, `t[mask] = v`, and every accumulate), CopyBackwards / FillBackward3
 * when the target is t whole (`t[...] = v` / `t[...] = 5`).
 * @example
 * const x = torch.zeros(2, 3);
 * const v = torch.ones(3);
 * indexPut_(x, [0, ":"], 5)                 // x[0, :] = 5
 * indexPut_(x, [torch.tensor([0, 0], { dtype: torch.int64 })], v, true) // x.index_put_((tensor([0, 0]),), v, accumulate=True)
 */
export function indexPut_(
  t: Tensor,
  idx: IndexArg[],
  values: Tensor | number,
  accumulate = false,
): Tensor {
  let v: Tensor;
  if (values instanceof Tensor) v = values;
  else if (typeof values === "number" || typeof values === "boolean")
    v = scalarTensor(Number(values), t.dtype);
  else throw typeError(`can't assign a ${pyTypeName(values)} to a ${t.dtype.tensorTypeName}`);
  // t[False] = v does nothing (PyTorch returns before any check)
  if (idx.length === 1 && idx[0] === false) return t;

  // Slice a storage-less row-major layout of t: offsets into it are flat positions in t.
  const root = new Tensor(new Float64Array(0), t.shape.slice(), rowMajor(t.shape), 0, t.dtype);
  let sliced: Tensor;
  let indices: (Tensor | null)[] = [];
  const single = idx.length === 1 ? parseArg(idx[0]) : null;
  if (single !== null && single.k === "int") sliced = applySelect(root, 0, single.v, 0);
  else if (single !== null && single.k === "slice") sliced = applySlice(root, 0, single, false);
  else if (single !== null && (single.k === "none" || single.k === "bool"))
    sliced = unsqueeze(root, 0); // t[True] = v writes t.unsqueeze(0), with no index tensor
  else if (single !== null && single.k === "ellipsis") sliced = root;
  else
    ({ result: sliced, indices } = applySlicing(root, single ? [single] : parseArgs(idx), false));
  const isView = sliced !== root;
  const advanced = indices.length > 0;

  // In-place checks before the index checks, as PyTorch; a write through a view of a leaf
  // gets the view message.
  if (isView && !accumulate && isGradEnabled() && t.gradFn === null && t.requiresGrad) {
    throw runtimeError(
      "a view of a leaf Variable that requires grad is being used in an in-place operation.",
    );
  }
  checkInplace(t);

  const st = structure(sliced.shape, indices);
  checkValuesShape(v, st.shape, advanced);
  const flat = offsets(st, sliced.shape, sliced.strides, sliced.offset);

  let name: string;
  if (accumulate) name = "IndexPutBackward0";
  else if (isView) name = "CopySlices";
  else if (advanced) name = "IndexPutBackward0";
  else if (v.dim() === 0 && !shapeEqual(v.shape, t.shape)) name = "FillBackward3";
  else name = "CopyBackwards";

  // One coordinate tensor per dim of t, all of the result's shape.
  const strides = rowMajor(t.shape);
  const coords = t.shape.map((size, d) => {
    const c = new Float64Array(flat.length);
    for (let k = 0; k < flat.length; k++) c[k] = Math.floor(flat[k] / strides[d]) % size;
    return wrap(c, st.shape.slice(), int64);
  });
  if (coords.length === 0 && flat.length === 0) return t; // 0-dim t, empty selection
  // index_put_ only warns about expanded targets in PyTorch 1.13: no internal-overlap check
  inplace(t, false, (prev) => indexPut(prev, coords, v, accumulate, name), false);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Derivatives (called from the formula table)

/** values' gradient (the indexing result's shape) summed back to values' own shape. */
function toValuesShape(g: Tensor, valuesShape: readonly number[]): Tensor {
  if (shapeEqual(g.shape, valuesShape)) return g;
  const s = stripLeadingOnes(valuesShape);
  const lead = g.dim() - s.length;
  const dims: number[] = [];
  for (let i = 0; i < g.dim(); i++) {
    if (i < lead || (s[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  const r = dims.length > 0 ? g.sum(dims, true) : g;
  return r.reshape(valuesShape.slice());
}

/**
 * Gradient of `index`: zeros of the input's shape with g added at the indexed positions
 * (repeated indices accumulate), via `indexPut` so it is differentiable again.
 * @example indexBackward(torch.ones(2), [3], [torch.tensor([0, 0], { dtype: torch.int64 })]) // [tensor([2., 0., 0.])]

 */
export function indexBackward(
  g: Tensor,
  inputShape: readonly number[],
  indices: (Tensor | null)[],
): (Tensor | null)[] {
  return [indexPut(alloc(inputShape.slice(), g.dtype), indices, g, true)];
}

/**
 * Gradients of `indexPut(self, indices, values, accumulate)`: for self, g with the written
 * positions zeroed (g itself when accumulating); for values, g at the indexed positions (every
 * repeat of an index gets it, as PyTorch's `grad.index(indices)`), summed to values' shape.
 * @example indexPutBackward(torch.ones(3), [torch.tensor([1], { dtype: torch.int64 })], false, [1]) // [tensor([1., 0., 1.]), tensor([1.])]

 */
export function indexPutBackward(
  g: Tensor,
  indices: (Tensor | null)[],
  accumulate: boolean,
  valuesShape: readonly number[],
): (Tensor | null)[] {
  const gSelf = accumulate ? g : indexPut(g, indices, scalarTensor(0, g.dtype), false);
  return [gSelf, toValuesShape(advancedIndex(g, indices), valuesShape)];
}
