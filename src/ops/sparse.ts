/**
 * Sparse COO tensors (PyTorch's `torch.sparse_coo`): creation, structure, coalescing, the
 * products, sums and elementwise ops a graph network uses, with their autograd nodes, and the
 * registry's answer for every other op.
 *
 * Note [sparse tensors]: a sparse COO tensor is a plain `Tensor` whose storage is an empty
 * array of its dtype (`typedArray.length === 0`; contiguous strides, so the registry's
 * metadata checks such as in-place overlap pass; offset 0) and whose
 * `_sparse` (a field of the rarely-set `_rare` record, src/tensor.ts) holds its parts:
 * `indices` (int64, [sparseDim, nnz]), `values` ([nnz, ...denseDims], dense) and the
 * `coalesced` flag. `shape`, `dtype` and the autograd metadata are the tensor's own, as for a
 * dense tensor. The invariant: no dense code path ever reads a sparse tensor's storage.
 * - Registry ops: the one argument scan every call already makes (Note [argument kinds],
 *   registry/arg-kinds.ts) also tests `_rare?.sparse`; a dense call pays that one field test.
 *   A call with a sparse tensor goes to `sparseCall` below, which runs the op's sparse kernel
 *   (`KERNELS`: mm, matmul, linear, addmm, add, sub, mul, div, t, transpose, select,
 *   unsqueeze, cat, stack, clone, detach; pow and
 *   the zero-preserving unary ops of `UNARY` on the values; the metadata ops of `METADATA`
 *   through their dense forward) or raises PyTorch's `NotImplementedError: Could not run
 *   'aten::<op>' with arguments from the 'SparseCPU' backend.` (PyTorch goes on with its
 *   build's list of backends; tensorgrad names what it implements instead). In-place forms
 *   refuse a sparse self before computing on its (dense) shadow (registry/define.ts). A
 *   sparse kernel's result carries its own node, which the registry's derivative then leaves
 *   alone (`composedResults`).
 * - Hand-written Tensor methods that read storage (tolist, item, toString, to/toDtype, copy_,
 *   fill_, zero_, apply_/map_, index/indexPut_, T/mT/H, data, torch.save) test `isSparse`
 *   and print, convert, select or raise as PyTorch does.
 * - Embeddings: `sparse=True` (F.embedding, torch.embedding, nn.Embedding, embedding_bag in
 *   sum and mean modes) gives the weight embeddingSparseBackward's uncoalesced gradient, which
 *   optim.SparseAdam, SGD, Adagrad and LBFGS take (the other optimizers raise PyTorch's
 *   "... does not support sparse gradients"); zeroGrad empties it, as zero_ does.
 * - Autograd: sparse results record closure nodes under PyTorch's names (ToDenseBackward0,
 *   SparseCooTensorWithDimsAndTensorsBackward0, SparseAddmmBackward0, ...). A gradient flowing
 *   to a sparse tensor may be sparse or dense; every formula reads it through `gradAt`, which
 *   takes either. The engine's leaf accumulation keeps a sparse gradient sparse, as
 *   AccumulateGrad does (autograd/grad-accumulation.ts).
 * - Structure follows ATen's CPU kernels where a result shows it: which ops coalesce, the
 *   order of entries (add's merge of two index lists, mul's probe of the larger operand), and
 *   the coalesced flag.
 * Values are real and 32- or 64-bit (no half or complex dtypes); most backward closures
 * compute with kernels, not recorded ops, so sparse graphs give first derivatives only.
 */
import { Tensor, type SparseParts } from "../tensor.js";
import {
  DType,
  float32,
  int64,
  promoteTypes,
  toDType,
  type DTypeName,
  type TypedArray,
} from "../dtype.js";
import { contiguousStrides, numelOf } from "../shape.js";
import { indexError, notImplementedError, runtimeError, typeError, valueError } from "../errors.js";
import { allocZeros, contiguousData, onDevice, wrap } from "./core.js";
import { fma64, fmaf } from "../backend/fma.js";
import { anyNeedsGrad, record, registerDerivative } from "../autograd/function.js";
import { enableGrad, isGradEnabled, noGrad } from "../autograd/grad-mode.js";
import type { Op } from "../autograd/derivatives.js";
import { registerJvp } from "../autograd/forward-ad.js";
import { tensor as createTensor } from "./creation.js";
import { cat } from "./views.js";

// ---------------------------------------------------------------------------------------------
// representation

/** Note [sparse tensors]: a sparse tensor of `size` over `indices` and `values`. */
export function makeSparse(
  indices: Tensor,
  values: Tensor,
  size: readonly number[],
  coalesced: boolean,
): Tensor {
  const shape = size.slice();
  const t = new Tensor(
    allocZeros(0, values.dtype),
    shape,
    contiguousStrides(shape),
    0,
    values.dtype,
  );
  t._sparse = { indices, values, coalesced };
  return t;
}

/** The sparse parts of `t` (which must be sparse). */
function partsOf(t: Tensor): SparseParts {
  const p = t._sparse;
  if (p === null) throw runtimeError("expected a sparse tensor");
  return p;
}

/** A sparse tensor's contents as flat arrays: what the kernels below read. */
interface Coo {
  /** number of sparse dims */
  sd: number;
  nnz: number;
  /** indices, [sd][nnz] row-major */
  idx: TypedArray;
  idxOff: number;
  vals: TypedArray;
  valOff: number;
  /** elements per stored block (product of the dense dims) */
  block: number;
  size: number[];
}

function coo(t: Tensor): Coo {
  const p = partsOf(t);
  const sd = p.indices.shape[0];
  const nnz = p.indices.shape[1];
  const i = contiguousData(p.indices);
  const v = contiguousData(p.values);
  return {
    sd,
    nnz,
    idx: i.data,
    idxOff: i.offset,
    vals: v.data,
    valOff: v.offset,
    block: numelOf(p.values.shape.slice(1)),
    size: t.shape,
  };
}

/** Row-major linear position of entry k over the sparse dims. */
function linearAt(c: Coo, k: number): number {
  let lin = 0;
  for (let d = 0; d < c.sd; d++) lin = lin * c.size[d] + c.idx[c.idxOff + d * c.nnz + k];
  return lin;
}

/** The sparse-dim position of linear index `lin` (inverse of linearAt). */
function unravel(lin: number, size: readonly number[], sd: number): number[] {
  const out = new Array<number>(sd);
  for (let d = sd - 1; d >= 0; d--) {
    out[d] = lin % size[d];
    lin = Math.floor(lin / size[d]);
  }
  return out;
}

/** An int64 [sd, nnz] tensor from per-dim columns. */
function indicesTensor(cols: readonly number[][], sd: number): Tensor {
  const nnz = cols.length;
  const data = allocZeros(sd * nnz, int64);
  for (let k = 0; k < nnz; k++) for (let d = 0; d < sd; d++) data[d * nnz + k] = cols[k][d];
  return wrap(data, [sd, nnz], int64);
}

// ---------------------------------------------------------------------------------------------
// autograd: closure nodes under PyTorch's names

const SPARSE_OP = "sparseOp" as Op;
type Backward = (g: Tensor) => (Tensor | null)[];
registerDerivative(SPARSE_OP, {
  name: (a: { name: string }) => a.name,
  save: [],
  grad: (g: Tensor, _s: unknown, a: { fn: Backward }) => a.fn(g),
} as never);

// forward AD: the sparse kernels have no tangent rules (PyTorch's error names the op's node)
registerJvp(SPARSE_OP, ((_t: unknown, _i: unknown, _o: unknown, a: { name: string }) => {
  throw notImplementedError(
    `Trying to use forward AD with ${a.name.replace(/Backward\d*$/, "")} that does not support it because it has not been implemented yet.`,
  );
}) as never);

/** Records `out = op(inputs)` as node `name` whose backward is `fn` (when a grad is needed). */
function recordSparse(name: string, out: Tensor, inputs: (Tensor | null)[], fn: Backward): Tensor {
  if (anyNeedsGrad(inputs)) record(SPARSE_OP, out, inputs, {} as never, { fn, name } as never);
  return out;
}

/**
 * A gradient's reader at (sparse position `lin`, element `e` of the block): a dense gradient
 * is read in place, a sparse one through a map of its (summed) blocks. Every formula reads
 * incoming gradients through this, as either layout can arrive.
 */
function gradAt(
  g: Tensor,
  size: readonly number[],
  sd: number,
): (lin: number, e: number) => number {
  if (g._sparse === null) {
    const { data, offset } = contiguousData(g);
    const block = numelOf(size.slice(sd));
    return (lin, e) => Number(data[offset + lin * block + e]);
  }
  const c = coo(g);
  const rows = new Map<number, number[]>();
  for (let k = 0; k < c.nnz; k++) {
    const lin = linearAt(c, k);
    let r = rows.get(lin);
    if (r === undefined) rows.set(lin, (r = new Array<number>(c.block).fill(0)));
    for (let e = 0; e < c.block; e++) r[e] += Number(c.vals[c.valOff + k * c.block + e]);
  }
  return (lin, e) => {
    const r = rows.get(lin);
    return r === undefined ? 0 : r[e];
  };
}

/**
 * `grad.sparse_mask(mask)`: the gradient at the positions of `mask`'s coalesced pattern, as a
 * sparse tensor (the gradient of a sparse input, whose zeros are structural).
 */
function maskedGrad(g: Tensor, mask: Tensor, coalescedFlag: boolean): Tensor {
  const c = noGrad(() => coalesce(mask));
  const m = coo(c);
  const read = gradAt(g, mask.shape, m.sd);
  const vals = allocZeros(m.nnz * m.block, g.dtype);
  for (let k = 0; k < m.nnz; k++) {
    const lin = linearAt(m, k);
    for (let e = 0; e < m.block; e++) vals[k * m.block + e] = read(lin, e);
  }
  const values = wrap(vals, [m.nnz, ...partsOf(c).values.shape.slice(1)], g.dtype);
  return makeSparse(partsOf(c).indices, values, mask.shape, coalescedFlag);
}

/** The gradient of a sparse tensor's values: the gradient read at each of its index columns. */
function valuesGrad(g: Tensor, s: Coo, valuesShape: number[], dtype: DType): Tensor {
  const read = gradAt(g, s.size, s.sd);
  const out = allocZeros(s.nnz * s.block, dtype);
  for (let k = 0; k < s.nnz; k++) {
    const lin = linearAt(s, k);
    for (let e = 0; e < s.block; e++) out[k * s.block + e] = read(lin, e);
  }
  return wrap(out, valuesShape.slice(), dtype);
}

// ---------------------------------------------------------------------------------------------
// creation

/** Nested JS arrays (or a Tensor) as `torch.sparse_coo_tensor` takes its indices and values. */
export type SparseData = Tensor | number | boolean | SparseData[];

/** `torch.sparseCooTensor`'s options. */
export interface SparseCooOptions {
  /** the size (default: inferred from the indices and values), as PyTorch's `size=` */
  size?: readonly number[] | null;
  /** the values' dtype (default: inferred from `values`) */
  dtype?: DType | DTypeName | null;
  /** make the result a leaf that requires grad */
  requiresGrad?: boolean;
  /** accepted: tensorgrad's sparse tensors are checked on construction (PyTorch's default) */
  checkInvariants?: boolean | null;
}

const isOptions = (v: unknown): v is SparseCooOptions =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Tensor);

/**
 * PyTorch's `torch.sparse_coo_tensor(indices, values, size=None, *, dtype, requires_grad)`:
 * a sparse COO tensor with `values[k]` at position `indices[:, k]` (duplicates add up when
 * coalesced or densified). Without `size`, each sparse dim is one past its largest index and the
 * dense dims are `values`'s trailing ones. The result is uncoalesced (unless it has at most one
 * entry); its values keep their graph (grad_fn SparseCooTensorWithDimsAndTensorsBackward0).
 * @example
 * const s = torch.sparseCooTensor([[0, 1], [1, 0]], [1, 2], [2, 2]);
 * s.toDense(); // tensor([[0., 1.], [2., 0.]])
 */
export function sparseCooTensor(
  indices: SparseData,
  values: SparseData,
  size?: readonly number[] | SparseCooOptions | null,
  opts: SparseCooOptions = {},
): Tensor {
  if (isOptions(size)) {
    opts = size;
    size = opts.size ?? null;
  }
  const want = toDType(opts.dtype ?? undefined);
  const idx =
    indices instanceof Tensor
      ? indices.dtype === int64
        ? indices
        : noGrad(() => indices.to(int64))
      : createTensor(indices as never, { dtype: int64 });
  let vals =
    values instanceof Tensor
      ? want !== undefined && want !== values.dtype
        ? values.to(want)
        : values
      : createTensor(values as never, want === undefined ? {} : { dtype: want });
  if (onDevice(idx) || onDevice(vals)) throw cpuOnly();
  if (vals.dtype.needsConversion)
    throw notImplementedError(
      `tensorgrad's sparse tensors hold real values of a 32- or 64-bit dtype, not ${vals.dtype.name}`,
    );
  if (idx.dim() !== 2)
    throw runtimeError(`indices must be sparse_dim x nnz, but got: [${idx.shape.join(", ")}]`);
  const sd = idx.shape[0];
  const nnz = idx.shape[1];
  if (vals.dim() === 0) vals = vals.reshape([1]);
  const denseShape = vals.shape.slice(1);
  const dd = denseShape.length;
  const { data, offset } = contiguousData(idx);
  const at = (d: number, k: number): number => Number(data[offset + d * nnz + k]);
  let shape: number[];
  if (size === null || size === undefined) {
    shape = [];
    for (let d = 0; d < sd; d++) {
      let m = -1;
      for (let k = 0; k < nnz; k++) m = Math.max(m, at(d, k));
      shape.push(m + 1);
    }
    shape.push(...denseShape);
  } else {
    shape = Array.from(size as readonly number[]);
    if (shape.length !== sd + dd)
      throw runtimeError(
        `number of dimensions must be sparse_dim (${sd}) + dense_dim (${dd}), but got ${shape.length}`,
      );
  }
  if (nnz > 0) {
    for (let d = 0; d < sd; d++) {
      let m = Infinity;
      for (let k = 0; k < nnz; k++) m = Math.min(m, at(d, k));
      if (m < 0) throw runtimeError(`found negative index ${m} for dim ${d}`);
    }
    for (let d = 0; d < sd; d++) {
      let m = -Infinity;
      for (let k = 0; k < nnz; k++) m = Math.max(m, at(d, k));
      if (m >= shape[d])
        throw runtimeError(
          `size is inconsistent with indices: for dim ${d}, size is ${shape[d]} but found index ${m}`,
        );
    }
  }
  if (vals.shape[0] !== nnz)
    throw runtimeError(
      `indices and values must have same nnz, but got nnz from indices: ${nnz}, nnz from values: ${vals.shape[0]}`,
    );
  if (opts.requiresGrad === true && !vals.dtype.differentiable)
    throw runtimeError("Only Tensors of floating point and complex dtype can require gradients");
  const out = makeSparse(idx, vals, shape, nnz <= 1);
  // values: SparseCooTensorWithDimsAndTensorsBackward0, the gradient read at each index column
  if (anyNeedsGrad([vals])) {
    const s = coo(out);
    recordSparse("SparseCooTensorWithDimsAndTensorsBackward0", out, [vals], (g) => [
      valuesGrad(g, s, vals.shape, vals.dtype),
    ]);
  }
  if (opts.requiresGrad === true) out.requiresGrad_(true);
  return out;
}

// ---------------------------------------------------------------------------------------------
// structure

/** The error for a WebGPU operand: sparse tensors and their kernels are the CPU's. */
function cpuOnly(): Error {
  return runtimeError("tensorgrad's sparse tensors live on the CPU (no sparse WebGPU kernels)");
}

/** PyTorch's `t.sparse_dim()`: 0 for a dense tensor. */
export function sparseDim(t: Tensor): number {
  return t._sparse === null ? 0 : t._sparse.indices.shape[0];
}

/** PyTorch's `t.dense_dim()`: the dims of each stored block (all dims for a dense tensor). */
export function denseDim(t: Tensor): number {
  return t._sparse === null ? t.dim() : t._sparse.values.dim() - 1;
}

/** PyTorch's `t._nnz()`: the number of stored blocks (duplicates counted). */
export function nnzOf(t: Tensor): number {
  if (t._sparse === null) throw notImplemented("_nnz", "CPU");
  return t._sparse.indices.shape[1];
}

function requireSparse(t: Tensor, op: string): SparseParts {
  if (t._sparse === null) throw notImplemented(op, "CPU");
  return t._sparse;
}

/** PyTorch's `t.indices()`: the indices of a coalesced sparse tensor. */
export function indicesOf(t: Tensor, checked: boolean): Tensor {
  const p = requireSparse(t, checked ? "indices" : "_indices");
  if (checked && !p.coalesced)
    throw runtimeError(
      "Cannot get indices on an uncoalesced tensor, please call .coalesce() first",
    );
  return p.indices;
}

/**
 * PyTorch's `t.values()` (`checked`: of a coalesced tensor only; differentiable, ValuesBackward0:
 * the gradient as a sparse tensor on t's indices) and `t._values()` (any; not differentiable).
 */
export function valuesOfSparse(t: Tensor, checked: boolean): Tensor {
  const p = requireSparse(t, checked ? "values" : "_values");
  if (checked && !p.coalesced)
    throw runtimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first");
  // the stored values may carry the constructor's graph: an alias without it
  const v = p.values.requiresGrad ? noGrad(() => p.values.detach()) : p.values;
  if (!checked || !anyNeedsGrad([t])) return v;
  const out = noGrad(() => p.values.detach());
  return recordSparse("ValuesBackward0", out, [t], (g) => [
    makeSparse(p.indices, g, t.shape, p.coalesced),
  ]);
}

/** PyTorch's `t.is_coalesced()`. */
export function isCoalesced(t: Tensor): boolean {
  return requireSparse(t, "is_coalesced").coalesced;
}

/**
 * PyTorch's `t.coalesce()`: indices sorted row-major and unique, duplicate blocks summed; the
 * tensor itself when already coalesced. Backward (CoalesceBackward0): the identity.
 */
export function coalesce(t: Tensor): Tensor {
  const p = requireSparse(t, "coalesce");
  if (p.coalesced) return t;
  const c = coo(t);
  const order = new Map<number, number>();
  const lins: number[] = [];
  for (let k = 0; k < c.nnz; k++) {
    const lin = linearAt(c, k);
    if (!order.has(lin)) {
      order.set(lin, 0);
      lins.push(lin);
    }
  }
  lins.sort((a, b) => a - b);
  lins.forEach((lin, r) => order.set(lin, r));
  const vals = allocZeros(lins.length * c.block, t.dtype);
  for (let k = 0; k < c.nnz; k++) {
    const r = order.get(linearAt(c, k)) as number;
    for (let e = 0; e < c.block; e++)
      vals[r * c.block + e] += Number(c.vals[c.valOff + k * c.block + e]);
  }
  const out = makeSparse(
    indicesTensor(
      lins.map((l) => unravel(l, t.shape, c.sd)),
      c.sd,
    ),
    wrap(vals, [lins.length, ...p.values.shape.slice(1)], t.dtype),
    t.shape,
    true,
  );
  return recordSparse("CoalesceBackward0", out, [t], (g) => [g]);
}

/**
 * PyTorch's `t.to_dense()` of a sparse tensor: zeros with each stored block added at its
 * position. Backward (ToDenseBackward0): the gradient masked to the input's pattern.
 */
export function toDense(t: Tensor): Tensor {
  const c = coo(t);
  const out = allocZeros(numelOf(t.shape), t.dtype);
  for (let k = 0; k < c.nnz; k++) {
    const base = linearAt(c, k) * c.block;
    for (let e = 0; e < c.block; e++) out[base + e] += Number(c.vals[c.valOff + k * c.block + e]);
  }
  const d = wrap(out, t.shape.slice(), t.dtype);
  // to_dense_backward: grad.sparse_mask(input.coalesce()), flagged coalesced as its mask
  return recordSparse("ToDenseBackward0", d, [t], (g) => [maskedGrad(g, t, true)]);
}

/**
 * PyTorch's `t.to_sparse(sparse_dim)`: the blocks over the first `sparseDim` dims (all by
 * default) that hold a nonzero, in row-major order (coalesced). Backward (ToSparseBackward0):
 * the gradient made dense.
 */
export function toSparse(t: Tensor, sd: number | null = null): Tensor {
  if (t._sparse !== null) throw notImplemented("to_sparse", "SparseCPU");
  const n = t.dim();
  const k = sd ?? n;
  if (sd !== null && (sd < 0 || sd > n))
    throw runtimeError(`sparse_dim must be in [0, ${n}], but got ${sd}`);
  if (t.dtype.needsConversion)
    throw notImplementedError(
      `tensorgrad's sparse tensors hold real values of a 32- or 64-bit dtype, not ${t.dtype.name}`,
    );
  if (onDevice(t)) throw cpuOnly();
  const { data, offset } = contiguousData(t);
  const lead = numelOf(t.shape.slice(0, k));
  const block = numelOf(t.shape.slice(k));
  const cols: number[][] = [];
  const kept: number[] = [];
  for (let r = 0; r < lead; r++) {
    let nz = false;
    for (let e = 0; e < block && !nz; e++) nz = Number(data[offset + r * block + e]) !== 0;
    if (nz) {
      kept.push(r);
      cols.push(unravel(r, t.shape, k));
    }
  }
  const vals = allocZeros(kept.length * block, t.dtype);
  kept.forEach((r, j) => {
    for (let e = 0; e < block; e++) vals[j * block + e] = data[offset + r * block + e];
  });
  const out = makeSparse(
    indicesTensor(cols, k),
    wrap(vals, [kept.length, ...t.shape.slice(k)], t.dtype),
    t.shape,
    true,
  );
  return recordSparse("ToSparseBackward0", out, [t], (g) => [
    g._sparse === null ? g : noGrad(() => toDense(g)),
  ]);
}

// ---------------------------------------------------------------------------------------------
// compute

/** A detached sparse tensor with the same parts (PyTorch's `detach()`). */
function detachSparse(t: Tensor): Tensor {
  const p = partsOf(t);
  return makeSparse(
    p.indices,
    noGrad(() => p.values.detach()),
    t.shape,
    p.coalesced,
  );
}

/** A copy with its own indices and values (PyTorch's `clone()`; its node is the registry's). */
function cloneSparse(t: Tensor): Tensor {
  const p = partsOf(t);
  return noGrad(() => makeSparse(p.indices.clone(), p.values.clone(), t.shape, p.coalesced));
}

/**
 * beta * mat + alpha * (S @ D) for a sparse matrix S (2 sparse dims) and a dense D: out[i] +=
 * alpha * v * D[j] for each stored (i, j, v); `mat` null for a plain product. `node` names its
 * node: SparseAddmmBackward0 (torch.sparse.mm/addmm: gradients for all operands; S's is alpha
 * times the output gradient times D^T at S's coalesced pattern) or MmBackward0 (torch.mm, where
 * PyTorch refuses a sparse self that requires grad).
 */
function spmm(
  S: Tensor,
  D: Tensor,
  node: "SparseAddmmBackward0" | "MmBackward0" | "AddmmBackward0",
  mat: Tensor | null = null,
  beta = 1,
  alpha = 1,
): Tensor {
  if (!(D instanceof Tensor)) throw typeError(`mm(): argument 'mat2' must be Tensor`);
  if (D._sparse !== null) throw notImplemented("mm", "SparseCPU");
  if (sparseDim(S) !== 2 || denseDim(S) !== 0 || D.dim() !== 2)
    throw runtimeError(`addmm: matrices expected, got ${S.dim()}D, ${D.dim()}D tensors`);
  if (D.shape[0] !== S.shape[1])
    throw runtimeError(
      `addmm: Argument #3 (dense): Expected dim 0 size ${S.shape[1]}, got ${D.shape[0]}`,
    );
  if (node !== "SparseAddmmBackward0" && S.requiresGrad && isGradEnabled()) {
    // mm/addmm's derivatives need a strided operand (PyTorch's check, naming the argument)
    const arg = node === "MmBackward0" ? "self" : "mat1";
    throw runtimeError(
      `The backward pass for this operation requires the '${arg}' tensor to be strided, but a sparse tensor was given instead. Please either use a strided tensor or set requires_grad=False for '${arg}'`,
    );
  }
  const m = S.shape[0];
  const p = D.shape[1];
  const dtype =
    mat === null
      ? promoteTypes(S.dtype, D.dtype)
      : promoteTypes(mat.dtype, promoteTypes(S.dtype, D.dtype));
  const c = coo(S);
  const dd = contiguousData(D);
  const out = allocZeros(m * p, dtype);
  if (mat !== null && beta !== 0) {
    // beta * mat, broadcast to [m, p] (beta 0 ignores mat's values, NaN included, as BLAS)
    const md = contiguousData(noGrad(() => mat.expand([m, p]).contiguous()));
    for (let e = 0; e < m * p; e++) out[e] = beta * Number(md.data[md.offset + e]);
  }
  for (let k = 0; k < c.nnz; k++) {
    const i = c.idx[c.idxOff + k];
    const j = c.idx[c.idxOff + c.nnz + k];
    const v = alpha * Number(c.vals[c.valOff + k]);
    for (let q = 0; q < p; q++) out[i * p + q] += v * Number(dd.data[dd.offset + j * p + q]);
  }
  const y = wrap(out, [m, p], dtype);
  return recordSparse(node, y, [S, D, mat], (g) => {
    const gd = contiguousData(g);
    // dD = alpha S^T g
    const dD = allocZeros(S.shape[1] * p, D.dtype);
    for (let k = 0; k < c.nnz; k++) {
      const i = c.idx[c.idxOff + k];
      const j = c.idx[c.idxOff + c.nnz + k];
      const v = alpha * Number(c.vals[c.valOff + k]);
      for (let q = 0; q < p; q++) dD[j * p + q] += v * Number(gd.data[gd.offset + i * p + q]);
    }
    let dS: Tensor | null = null;
    if (S.requiresGrad) {
      // dS = alpha (g D^T) at S's coalesced pattern: one dot product per stored position
      const cs = noGrad(() => coalesce(S));
      const cc = coo(cs);
      const vals = allocZeros(cc.nnz, S.dtype);
      for (let k = 0; k < cc.nnz; k++) {
        const i = cc.idx[cc.idxOff + k];
        const j = cc.idx[cc.idxOff + cc.nnz + k];
        let acc = 0;
        for (let q = 0; q < p; q++)
          acc += Number(gd.data[gd.offset + i * p + q]) * Number(dd.data[dd.offset + j * p + q]);
        vals[k] = alpha * acc;
      }
      dS = makeSparse(partsOf(cs).indices, wrap(vals, [cc.nnz], S.dtype), S.shape, false);
    }
    // dmat = beta g (the engine sums it back to mat's shape: Note [un-broadcasting])
    const dM = mat === null ? null : beta === 1 ? g : noGrad(() => g.mul(beta));
    return [dS, wrap(dD, D.shape.slice(), D.dtype), dM];
  });
}

/**
 * PyTorch's `torch.sparse.mm(sparse, dense)`: the product as a dense matrix, differentiable in
 * both (grad_fn SparseAddmmBackward0; the sparse operand's gradient is sparse, on its pattern).
 * @example
 * const a = torch.sparseCooTensor([[0, 1], [1, 0]], [2, 3], [2, 2]);
 * torch.sparse.mm(a, torch.ones(2, 1)); // tensor([[2.], [3.]])
 */
export function sparseMm(mat1: Tensor, mat2: Tensor): Tensor {
  if (!(mat1 instanceof Tensor) || mat1._sparse === null) return mat1.mm(mat2);
  return spmm(mat1, mat2, "SparseAddmmBackward0");
}

/** `torch.sparse.addmm`'s keyword-only options. */
export interface SparseAddmmOptions {
  /** the factor of `mat` (default 1) */
  beta?: number;
  /** the factor of the product (default 1) */
  alpha?: number;
}

/**
 * PyTorch's `torch.sparse.addmm(mat, mat1, mat2, *, beta=1, alpha=1)`: beta * mat + alpha *
 * (mat1 @ mat2) for a sparse mat1 and dense mat and mat2 (grad_fn SparseAddmmBackward0).
 * @example
 * const a = torch.sparseCooTensor([[0, 1], [1, 0]], [2, 3], [2, 2]);
 * torch.sparse.addmm(torch.ones(2, 1), a, torch.ones(2, 1), { beta: 0.5 }); // tensor([[2.5000], [3.5000]])
 */
export function sparseAddmm(
  mat: Tensor,
  mat1: Tensor,
  mat2: Tensor,
  opts: SparseAddmmOptions = {},
): Tensor {
  const beta = opts.beta ?? 1;
  const alpha = opts.alpha ?? 1;
  if (!(mat1 instanceof Tensor) || mat1._sparse === null)
    return mat.addmm(mat1, mat2, { beta, alpha });
  return spmm(mat1, mat2, "SparseAddmmBackward0", mat, beta, alpha);
}

/**
 * PyTorch's `torch.spmm(input, mat2)`: `torch.mm` under its sparse name (grad_fn MmBackward0;
 * a sparse input must not require grad, as in PyTorch).
 * @example torch.spmm(torch.eye(2).toSparse(), torch.ones(2, 1)) // tensor([[1.], [1.]])
 */
export function spmmFn(input: Tensor, mat2: Tensor): Tensor {
  return input.mm(mat2);
}

/**
 * PyTorch's legacy sparse constructors (`torch.sparse.FloatTensor(indices, values, size)`,
 * `torch.sparse.FloatTensor(*sizes)`): as 1.13 does, the (indices, values) form keeps the
 * values' dtype; the sizes form is an empty sparse tensor of the class's dtype.
 */
export function legacySparse(dtype: DType): (...args: unknown[]) => Tensor {
  return (...args: unknown[]) => {
    if (args.length > 0 && args.every((a) => typeof a === "number")) {
      const size = args as number[];
      return makeSparse(
        wrap(allocZeros(0, int64), [size.length, 0], int64),
        wrap(allocZeros(0, dtype), [0], dtype),
        size,
        true,
      );
    }
    const [indices, values, size] = args as [SparseData, SparseData, number[] | undefined];
    return sparseCooTensor(
      indices,
      values instanceof Tensor ? values : createTensor(values as never, { dtype }),
      size ?? null,
    );
  };
}

/**
 * PyTorch's `torch.sparse.sum(input, dim=None)`: the sum of the stored values; over all dims a
 * dense 0-dim tensor, over some sparse dims a coalesced sparse tensor of the others.
 * @example
 * torch.sparse.sum(torch.sparseCooTensor([[0, 1]], [2, 3], [2])); // tensor(5.)
 */
export function sparseSum(
  input: Tensor,
  dim: number | readonly number[] | SparseSumOptions | null = null,
  dtype: DType | DTypeName | null = null,
): Tensor {
  if (isOptions(dim)) {
    const o = dim as SparseSumOptions;
    dim = o.dim ?? null;
    dtype = o.dtype ?? null;
  }
  const d = dim as number | readonly number[] | null;
  const want = toDType(dtype);
  // dtype: the sum computed in it (PyTorch casts the input first)
  const src =
    want === undefined ? input : input._sparse === null ? input.to(want) : sparseTo(input, want);
  return sumImpl(src, d);
}

/** `torch.sparse.sum`'s options (PyTorch's keyword arguments). */
export interface SparseSumOptions {
  /** the dims to reduce (default: all) */
  dim?: number | readonly number[] | null;
  /** the dtype to sum in */
  dtype?: DType | DTypeName | null;
}

/** `torch.sparse.sum` of `input` over `dim` (all dims when null). */
function sumImpl(input: Tensor, dim: number | readonly number[] | null): Tensor {
  if (input._sparse === null) return dim === null ? input.sum() : input.sum(dim as number[]);
  const c = coo(input);
  const n = input.dim();
  const dims =
    dim === null
      ? null
      : (typeof dim === "number" ? [dim] : Array.from(dim)).map((d) => (d < 0 ? d + n : d));
  if (dims !== null)
    for (const d of dims)
      if (d < 0 || d >= n)
        throw runtimeError(
          `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${d})`,
        );
  if (dims === null || (dims.length === n && c.block === 1)) {
    // everything: a dense scalar (SumBackward0 without dims, SparseSumBackward0 with them)
    let acc = 0;
    for (let k = 0; k < c.nnz * c.block; k++) acc += Number(c.vals[c.valOff + k]);
    const out = wrap(allocZeros(1, input.dtype).fill(acc) as TypedArray, [], input.dtype);
    const name = dims === null ? "SumBackward0" : "SparseSumBackward0";
    return recordSparse(name, out, [input], (g) => {
      // the gradient broadcast over the coalesced pattern: an expanded (stride-0) values
      // tensor, as ATen's, which decides how a later sparse add combines it (addSparse)
      const gd = contiguousData(g);
      const cs = noGrad(() => coalesce(input));
      const cp = partsOf(cs);
      const one = allocZeros(1, input.dtype);
      one[0] = gd.data[gd.offset];
      const vals = noGrad(() => wrap(one, [1], input.dtype).expand(cp.values.shape.slice()));
      return [makeSparse(cp.indices, vals, input.shape, true)];
    });
  }
  if (dims.some((d) => d >= c.sd))
    throw notImplementedError(
      "tensorgrad's torch.sparse.sum reduces sparse dims only (or all dims)",
    );
  const keep: number[] = [];
  for (let d = 0; d < c.sd; d++) if (!dims.includes(d)) keep.push(d);
  const outSize = [...keep.map((d) => input.shape[d]), ...input.shape.slice(c.sd)];
  const rows = new Map<number, number>();
  const cols: number[][] = [];
  const linOf = (k: number): number => {
    let lin = 0;
    for (const d of keep) lin = lin * input.shape[d] + c.idx[c.idxOff + d * c.nnz + k];
    return lin;
  };
  for (let k = 0; k < c.nnz; k++) {
    const lin = linOf(k);
    if (!rows.has(lin)) rows.set(lin, 0);
  }
  const lins = [...rows.keys()].sort((a, b) => a - b);
  lins.forEach((l, r) => {
    rows.set(l, r);
    cols.push(unravel(l, outSize, keep.length));
  });
  const vals = allocZeros(lins.length * c.block, input.dtype);
  for (let k = 0; k < c.nnz; k++) {
    const r = rows.get(linOf(k)) as number;
    for (let e = 0; e < c.block; e++)
      vals[r * c.block + e] += Number(c.vals[c.valOff + k * c.block + e]);
  }
  const valuesShape = [lins.length, ...partsOf(input).values.shape.slice(1)];
  const out = makeSparse(
    indicesTensor(cols, keep.length),
    wrap(vals, valuesShape, input.dtype),
    outSize,
    true,
  );
  return recordSparse("SparseSumBackward0", out, [input], (g) => {
    // each stored block of the (coalesced) input gets the gradient at its kept position
    const cs = noGrad(() => coalesce(input));
    const cc = coo(cs);
    const read = gradAt(g, outSize, keep.length);
    const gv = allocZeros(cc.nnz * cc.block, input.dtype);
    for (let k = 0; k < cc.nnz; k++) {
      let lin = 0;
      for (const d of keep) lin = lin * input.shape[d] + cc.idx[cc.idxOff + d * cc.nnz + k];
      for (let e = 0; e < cc.block; e++) gv[k * cc.block + e] = read(lin, e);
    }
    const cp = partsOf(cs);
    return [
      makeSparse(cp.indices, wrap(gv, cp.values.shape.slice(), input.dtype), input.shape, true),
    ];
  });
}

/**
 * sparse + alpha * sparse as PyTorch's CPU kernel does it: one merge pass over the two index
 * lists in order (equal positions add; each list is assumed sorted, so uncoalesced operands
 * give PyTorch's same uncoalesced order), coalesced when both operands are.
 */
function addSparse(a: Tensor, b: Tensor, alpha: number, node = "AddBackward0"): Tensor {
  if (a.shape.length !== b.shape.length || a.shape.some((s, i) => s !== b.shape[i]))
    throw runtimeError(
      `add: expected sizes of 'self' and 'other' to match, but [${a.shape.join(", ")}] != [${b.shape.join(", ")}]`,
    );
  const pa = partsOf(a);
  const pb = partsOf(b);
  const dtype = promoteTypes(a.dtype, b.dtype);
  // ATen tests for an empty operand before the densities (a zeroed gradient, sparse dims =
  // ndim, takes a gradient of any density)
  const empty = nnzOf(a) === 0 || nnzOf(b) === 0;
  if (!empty && (sparseDim(a) !== sparseDim(b) || denseDim(a) !== denseDim(b)))
    throw runtimeError(
      "add: expected 'self' and 'other' to have same density, but 'self' has " +
        `${sparseDim(a)} sparse dimensions while 'other' has ${sparseDim(b)} sparse dimensions`,
    );
  let out: Tensor;
  if (nnzOf(b) === 0) out = cloneSparse(a);
  else if (nnzOf(a) !== 0 && !(pa.values.isContiguous() && pb.values.isContiguous())) {
    // ATen's add_out_sparse_non_contiguous: the two lists concatenated, coalesced only when
    // the entries outnumber the elements
    out = noGrad(() => {
      const joined = makeSparse(
        cat([pa.indices, pb.indices], 1),
        cat([pa.values.to(dtype), pb.values.mul(alpha).to(dtype)], 0),
        a.shape,
        false,
      );
      return nnzOf(joined) > numelOf(a.shape) ? coalesce(joined) : joined;
    });
  } else if (nnzOf(a) === 0)
    out = noGrad(() =>
      makeSparse(pb.indices.clone(), pb.values.mul(alpha).to(dtype), b.shape, pb.coalesced),
    );
  else {
    const ca = coo(a);
    const cb = coo(b);
    const sd = ca.sd;
    const block = ca.block;
    const f32 = dtype === float32;
    const alphaT = f32 ? Math.fround(alpha) : alpha;
    const cols: number[][] = [];
    const vals: number[] = [];
    let i = 0;
    let j = 0;
    while (i < ca.nnz || j < cb.nnz) {
      let cmp: number;
      if (i >= ca.nnz) cmp = -1;
      else if (j >= cb.nnz) cmp = 1;
      else {
        cmp = 0;
        for (let d = 0; d < sd; d++) {
          const x = ca.idx[ca.idxOff + d * ca.nnz + i];
          const y = cb.idx[cb.idxOff + d * cb.nnz + j];
          if (x < y) {
            cmp = 1;
            break;
          }
          if (x > y) {
            cmp = -1;
            break;
          }
        }
      }
      const row = new Array<number>(block).fill(0);
      let col: number[] = [];
      if (cmp >= 0) {
        col = Array.from({ length: sd }, (_, d) => Number(ca.idx[ca.idxOff + d * ca.nnz + i]));
        for (let e = 0; e < block; e++) row[e] += Number(ca.vals[ca.valOff + i * block + e]);
        i++;
      }
      if (cmp <= 0) {
        col = Array.from({ length: sd }, (_, d) => Number(cb.idx[cb.idxOff + d * cb.nnz + j]));
        // cpublas::axpy(block, alpha, b's row, row): alpha cast to the dtype, a fused
        // multiply-add rounded to the dtype (a float32 momentum buffer matches PyTorch's bits)
        for (let e = 0; e < block; e++) {
          const bv = Number(cb.vals[cb.valOff + j * block + e]);
          row[e] = f32 ? fmaf(alphaT, bv, row[e]) : fma64(alphaT, bv, row[e]);
        }
        j++;
      }
      cols.push(col);
      vals.push(...row);
    }
    const data = allocZeros(vals.length, dtype);
    for (let k = 0; k < vals.length; k++) data[k] = vals[k];
    out = makeSparse(
      indicesTensor(cols, sd),
      wrap(data, [cols.length, ...pa.values.shape.slice(1)], dtype),
      a.shape,
      pa.coalesced && pb.coalesced,
    );
  }
  return recordSparse(node, out, [a, b], (g) => [g, alpha === 1 ? g : noGrad(() => g.mul(alpha))]);
}

/** The number a 0-dim tensor or JS number operand holds (null for anything else). */
function scalarOf(v: unknown): number | null {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return Number(v);
  if (v instanceof Tensor && v._sparse === null && v.dim() === 0) return Number(v.item());
  return null;
}

/** sparse * scalar: the values scaled (MulBackward0: the gradient scaled). */
function mulScalar(S: Tensor, other: unknown): Tensor {
  const s = scalarOf(other);
  if (s === null) throw notImplemented("mul.Tensor", "SparseCPU");
  const p = partsOf(S);
  const vals = noGrad(() => p.values.mul(other as Tensor | number));
  const out = makeSparse(p.indices, vals, S.shape, p.coalesced);
  const o = other instanceof Tensor ? other : null;
  return recordSparse("MulBackward0", out, [S, o], (g) => [
    noGrad(() => g.mul(s)),
    o !== null && o.requiresGrad ? noGrad(() => sparseSum(g.mul(S))) : null,
  ]);
}

/** Whether two shapes are equal. */
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((s, i) => s === b[i]);

/**
 * sparse * sparse as ATen's CPU kernel: each stored entry of the operand with more entries
 * (self on a tie), in its order, times the other's coalesced value at that position, kept where
 * the other has one; coalesced when both operands are. MulBackward0: g * b, g * a.
 */
function mulSparseSparse(a: Tensor, b: Tensor): Tensor {
  if (!sameShape(a.shape, b.shape))
    throw runtimeError(
      `mul operands have incompatible sizes: [${a.shape.join(", ")}] and [${b.shape.join(", ")}]`,
    );
  const dtype = promoteTypes(a.dtype, b.dtype);
  const [big, small] = nnzOf(a) >= nnzOf(b) ? [a, b] : [b, a];
  const cb = coo(big);
  const cs = coo(noGrad(() => coalesce(small)));
  const rowOf = new Map<number, number>();
  for (let k = 0; k < cs.nnz; k++) rowOf.set(linearAt(cs, k), k);
  const cols: number[][] = [];
  const vals: number[] = [];
  for (let k = 0; k < cb.nnz; k++) {
    const lin = linearAt(cb, k);
    const j = rowOf.get(lin);
    if (j === undefined) continue;
    cols.push(unravel(lin, a.shape, cb.sd));
    for (let e = 0; e < cb.block; e++)
      vals.push(
        Number(cb.vals[cb.valOff + k * cb.block + e]) *
          Number(cs.vals[cs.valOff + j * cs.block + e]),
      );
  }
  const data = allocZeros(vals.length, dtype);
  vals.forEach((v, i) => (data[i] = v));
  const out = makeSparse(
    indicesTensor(cols, cb.sd),
    wrap(data, [cols.length, ...partsOf(a).values.shape.slice(1)], dtype),
    a.shape,
    partsOf(a).coalesced && partsOf(b).coalesced,
  );
  return recordSparse("MulBackward0", out, [a, b], (g) => [
    a.requiresGrad ? noGrad(() => g.mul(b)) : null,
    b.requiresGrad ? noGrad(() => g.mul(a)) : null,
  ]);
}

/**
 * sparse * dense of the same shape: each stored block times the dense elements at its position
 * (S's pattern kept, duplicates included, as ATen's). MulBackward0: g * D for S, g * S for D
 * (in the operands' order `sparseFirst`).
 */
function mulSparseDense(S: Tensor, D: Tensor, sparseFirst: boolean): Tensor {
  if (!sameShape(S.shape, D.shape)) throw notImplemented("mul.Tensor", "SparseCPU");
  const dtype = promoteTypes(S.dtype, D.dtype);
  const c = coo(S);
  const dd = contiguousData(D);
  const out = allocZeros(c.nnz * c.block, dtype);
  for (let k = 0; k < c.nnz; k++) {
    const base = linearAt(c, k) * c.block;
    for (let e = 0; e < c.block; e++)
      out[k * c.block + e] =
        Number(c.vals[c.valOff + k * c.block + e]) * Number(dd.data[dd.offset + base + e]);
  }
  const p = partsOf(S);
  const r = makeSparse(p.indices, wrap(out, p.values.shape.slice(), dtype), S.shape, p.coalesced);
  const grads = (g: Tensor): (Tensor | null)[] => {
    const dS = S.requiresGrad ? noGrad(() => g.mul(D)) : null;
    const dD = D.requiresGrad ? noGrad(() => g.mul(S)) : null;
    return sparseFirst ? [dS, dD] : [dD, dS];
  };
  return recordSparse("MulBackward0", r, sparseFirst ? [S, D] : [D, S], grads);
}

/** Dispatches `mul(a, b)` with a sparse operand by the other one's kind. */
function mulSparse(a: unknown, b: unknown): Tensor {
  if (sp(a) && sp(b)) return mulSparseSparse(a, b);
  const [S, other, sparseFirst] = sp(a) ? [a, b, true] : [b as Tensor, a, false];
  if (scalarOf(other) !== null) return mulScalar(S, other);
  return mulSparseDense(S, other as Tensor, sparseFirst);
}

/**
 * sparse / scalar: the values divided (DivBackward0: g / s for the sparse operand, and
 * -sum(g * out) / s for a 0-dim tensor divisor that requires grad).
 */
function divSparse(a: unknown, b: unknown, roundingMode: unknown): Tensor {
  const s = scalarOf(b);
  if (!sp(a) || s === null)
    throw runtimeError(
      `Sparse division requires a scalar or zero-dim dense tensor divisor (got shape [${b instanceof Tensor ? b.shape.join(", ") : ""}] for divisor)`,
    );
  if (roundingMode !== null && roundingMode !== undefined)
    throw notImplemented("div.Tensor_mode", "SparseCPU");
  const p = partsOf(a);
  const vals = noGrad(() => p.values.div(b as Tensor | number));
  const out = makeSparse(p.indices, vals, a.shape, p.coalesced);
  const o = b instanceof Tensor ? b : null;
  return recordSparse("DivBackward0", out, [a, o], (g) => [
    a.requiresGrad ? noGrad(() => g.mul(1 / s)) : null,
    o !== null && o.requiresGrad ? noGrad(() => sparseSum(g.mul(out)).mul(-1 / s)) : null,
  ]);
}

/**
 * PyTorch's select of a sparse tensor (`s[i]`, `s.select(dim, i)`): along a sparse dim, the
 * entries at `i` with that index row dropped (uncoalesced), or, for the last sparse dim, the
 * dense sum of their blocks; along a dense dim, every block's slice. SelectBackward0 raises as
 * PyTorch 1.13's does (its select_backward has no sparse kernel).
 */
export function selectSparse(S: Tensor, dim: number, index: number): Tensor {
  const n = S.dim();
  const d = dim < 0 ? dim + n : dim;
  if (d < 0 || d >= n)
    throw runtimeError(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
    );
  const size = S.shape[d];
  if (index < -size || index >= size)
    throw indexError(`index ${index} is out of bounds for dimension ${d} with size ${size}`);
  const i = index < 0 ? index + size : index;
  const c = coo(S);
  const p = partsOf(S);
  const denseShape = p.values.shape.slice(1);
  let out: Tensor;
  if (d >= c.sd) {
    const vals = noGrad(() => p.values.select(d - c.sd + 1, i).contiguous());
    out = makeSparse(
      p.indices,
      vals,
      [...S.shape.slice(0, d), ...S.shape.slice(d + 1)],
      p.coalesced,
    );
  } else {
    const kept: number[] = [];
    for (let k = 0; k < c.nnz; k++) if (c.idx[c.idxOff + d * c.nnz + k] === i) kept.push(k);
    if (c.sd === 1) {
      const sum = allocZeros(c.block, S.dtype);
      for (const k of kept)
        for (let e = 0; e < c.block; e++) sum[e] += Number(c.vals[c.valOff + k * c.block + e]);
      out = wrap(sum, denseShape, S.dtype);
    } else {
      const cols = kept.map((k) => {
        const col: number[] = [];
        for (let r = 0; r < c.sd; r++)
          if (r !== d) col.push(Number(c.idx[c.idxOff + r * c.nnz + k]));
        return col;
      });
      const vals = allocZeros(kept.length * c.block, S.dtype);
      kept.forEach((k, j) => {
        for (let e = 0; e < c.block; e++)
          vals[j * c.block + e] = c.vals[c.valOff + k * c.block + e];
      });
      out = makeSparse(
        indicesTensor(cols, c.sd - 1),
        wrap(vals, [kept.length, ...denseShape], S.dtype),
        [...S.shape.slice(0, d), ...S.shape.slice(d + 1)],
        false,
      );
    }
  }
  return recordSparse("SelectBackward0", out, [S], () => {
    throw notImplemented("select_backward", "SparseCPU");
  });
}

/**
 * PyTorch's unsqueeze of a sparse tensor: a new size-1 dim, a sparse one (a row of zeros in the
 * indices) when it comes at or before the last sparse dim, else a dense one of the values
 * (UnsqueezeBackward0 raises as PyTorch 1.13's does).
 */
function unsqueezeSparse(S: Tensor, dim: number): Tensor {
  const n = S.dim() + 1;
  const d = dim < 0 ? dim + n : dim;
  if (d < 0 || d >= n)
    throw indexError(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
    );
  const p = partsOf(S);
  const sd = sparseDim(S);
  const shape = [...S.shape.slice(0, d), 1, ...S.shape.slice(d)];
  const out = noGrad(() =>
    d <= sd
      ? makeSparse(
          cat(
            [
              p.indices.narrow(0, 0, d),
              wrap(allocZeros(nnzOf(S), int64), [1, nnzOf(S)], int64),
              p.indices.narrow(0, d, sd - d),
            ],
            0,
          ),
          p.values,
          shape,
          p.coalesced,
        )
      : makeSparse(p.indices, p.values.unsqueeze(d - sd + 1), shape, p.coalesced),
  );
  // PyTorch 1.13's UnsqueezeBackward0 squeezes through as_strided, which has no sparse kernel
  return recordSparse("UnsqueezeBackward0", out, [S], () => {
    throw notImplemented("as_strided", "SparseCPU");
  });
}

/**
 * PyTorch's cat of sparse tensors along a sparse dim: the index lists joined, each shifted by
 * the sizes before it along `dim`, and the values joined (uncoalesced). `node` is CatBackward0
 * (StackBackward0 for stack), whose backward raises as PyTorch 1.13's does (it narrows the
 * gradient through as_strided, which has no sparse kernel).
 */
function catSparse(tensors: Tensor[], dim: number, node: string): Tensor {
  const dense = tensors.findIndex((t) => !sp(t));
  if (dense >= 0)
    throw runtimeError(
      `Concatenating sparse tensors, but a dense tensor was found at position ${dense}.`,
    );
  const first = tensors[0];
  const n = first.dim();
  const d = dim < 0 ? dim + n : dim;
  if (d < 0 || d >= n)
    throw indexError(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
    );
  const sd = sparseDim(first);
  tensors.forEach((t, i) => {
    if (sparseDim(t) !== sd || denseDim(t) !== denseDim(first))
      throw runtimeError(
        `All tensors must have the same sparse_dim and dense_dim: ${sd}, ${denseDim(first)}, but tensor at position ${i} has ${sparseDim(t)}, ${denseDim(t)}.`,
      );
    t.shape.forEach((size, j) => {
      if (j !== d && size !== first.shape[j])
        throw runtimeError(
          `All tensors must have the same shape: [${first.shape.join(", ")}] (except in the concatenating dimension), but found shape: [${t.shape.join(", ")}] at position ${i}.`,
        );
    });
  });
  if (d >= sd) throw notImplemented("cat", "SparseCPU");
  const dtype = tensors.map((t) => t.dtype).reduce((a, b) => promoteTypes(a, b));
  const out = noGrad(() => {
    let shift = 0;
    const idx: Tensor[] = [];
    const vals: Tensor[] = [];
    for (const t of tensors) {
      const p = partsOf(t);
      const offset = allocZeros(sd, int64);
      offset[d] = shift;
      idx.push(p.indices.add(wrap(offset, [sd, 1], int64)));
      vals.push(p.values.to(dtype));
      shift += t.shape[d];
    }
    const shape = first.shape.slice();
    shape[d] = shift;
    return makeSparse(cat(idx, 1), cat(vals, 0), shape, false);
  });
  return recordSparse(node, out, tensors, () => {
    throw notImplemented("as_strided", "SparseCPU");
  });
}

/** Swaps sparse dims d0 and d1 (rows of the indices); uncoalesced (TransposeBackward0). */
function transposeSparse(S: Tensor, d0: number, d1: number, name: string): Tensor {
  const n = S.dim();
  const a = d0 < 0 ? d0 + n : d0;
  const b = d1 < 0 ? d1 + n : d1;
  const sd = sparseDim(S);
  if (a < 0 || a >= n || b < 0 || b >= n)
    throw runtimeError(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${a < 0 || a >= n ? d0 : d1})`,
    );
  if (a >= sd || b >= sd)
    throw runtimeError(`transpose(): tensorgrad swaps sparse dims of a sparse tensor only`);
  const p = partsOf(S);
  const rows = Array.from({ length: sd }, (_, d) => (d === a ? b : d === b ? a : d));
  const idx = noGrad(() => p.indices.indexSelect(0, createTensor(rows, { dtype: int64 })));
  const shape = S.shape.slice();
  [shape[a], shape[b]] = [shape[b], shape[a]];
  const out = makeSparse(idx, p.values, shape, a === b && p.coalesced);
  return recordSparse(name, out, [S], (g) => [noGrad(() => g.transpose(a, b))]);
}

/**
 * softmax (or log_softmax) along `dim` over the stored entries only: positions without an entry
 * count as -inf, so each group of entries that differ only in `dim` is normalised on its own.
 */
function sparseSoftmaxImpl(input: Tensor, dim: number, log: boolean): Tensor {
  const n = input.dim();
  const d = dim < 0 ? dim + n : dim;
  if (d < 0 || d >= n)
    throw runtimeError(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
    );
  const cs = noGrad(() => coalesce(input));
  const c = coo(cs);
  if (d >= c.sd || c.block !== 1)
    throw notImplementedError(
      "tensorgrad's sparse softmax takes a sparse dim of a tensor without dense dims",
    );
  const group = (k: number): number => {
    let lin = 0;
    for (let e = 0; e < c.sd; e++)
      if (e !== d) lin = lin * input.shape[e] + c.idx[c.idxOff + e * c.nnz + k];
    return lin;
  };
  const groups = new Map<number, number[]>();
  for (let k = 0; k < c.nnz; k++) {
    const gk = group(k);
    const list = groups.get(gk);
    if (list === undefined) groups.set(gk, [k]);
    else list.push(k);
  }
  const out = allocZeros(c.nnz, input.dtype);
  for (const list of groups.values()) {
    let m = -Infinity;
    for (const k of list) m = Math.max(m, Number(c.vals[c.valOff + k]));
    let s = 0;
    for (const k of list) s += Math.exp(Number(c.vals[c.valOff + k]) - m);
    for (const k of list) {
      const x = Number(c.vals[c.valOff + k]) - m;
      out[k] = log ? x - Math.log(s) : Math.exp(x) / s;
    }
  }
  const y = makeSparse(partsOf(cs).indices, wrap(out, [c.nnz], input.dtype), input.shape, true);
  const name = log ? "SparseLogSoftmaxBackward0" : "SparseSoftmaxBackward0";
  return recordSparse(name, y, [input], (g) => {
    // softmax: dx = y (g - sum_group(g y)); log_softmax: dx = g - exp(y) sum_group(g)
    const read = gradAt(g, input.shape, c.sd);
    const gv = allocZeros(c.nnz, input.dtype);
    for (const list of groups.values()) {
      let acc = 0;
      for (const k of list) acc += read(linearAt(c, k), 0) * (log ? 1 : Number(out[k]));
      for (const k of list) {
        const gk = read(linearAt(c, k), 0);
        gv[k] = log ? gk - Math.exp(Number(out[k])) * acc : Number(out[k]) * (gk - acc);
      }
    }
    return [makeSparse(partsOf(cs).indices, wrap(gv, [c.nnz], input.dtype), input.shape, true)];
  });
}

/**
 * PyTorch's `torch.sparse.softmax(input, dim)`: softmax over the stored entries along `dim`
 * (missing entries are -inf, so they stay absent); a coalesced sparse result.
 * @example
 * const s = torch.sparseCooTensor([[0, 0], [0, 2]], [1, 1], [1, 3]);
 * torch.sparse.softmax(s, 1).values(); // tensor([0.5000, 0.5000])
 */
export function sparseSoftmax(
  input: Tensor,
  dim: number | SparseSoftmaxOptions,
  dtype: DType | DTypeName | null = null,
): Tensor {
  const [d, src] = softmaxArgs(input, dim, dtype);
  if (src._sparse === null) return src.softmax(d);
  return sparseSoftmaxImpl(src, d, false);
}

/** `torch.sparse.softmax`'s and `log_softmax`'s options (PyTorch's keyword arguments). */
export interface SparseSoftmaxOptions {
  /** the dim to normalise along */
  dim: number;
  /** the dtype to compute in (the input is cast first) */
  dtype?: DType | DTypeName | null;
}

/** The dim and the (cast) input of a sparse softmax call, from either call form. */
function softmaxArgs(
  input: Tensor,
  dim: number | SparseSoftmaxOptions,
  dtype: DType | DTypeName | null,
): [number, Tensor] {
  if (isOptions(dim)) {
    const o = dim as SparseSoftmaxOptions;
    dtype = o.dtype ?? null;
    dim = o.dim;
  }
  const want = toDType(dtype);
  const src =
    want === undefined ? input : input._sparse === null ? input.to(want) : sparseTo(input, want);
  return [dim as number, src];
}

/**
 * PyTorch's `torch.sparse.log_softmax(input, dim)`: log of `torch.sparse.softmax`.
 * @example
 * const s = torch.sparseCooTensor([[0, 0], [0, 2]], [1, 1], [1, 3]);
 * torch.sparse.logSoftmax(s, 1).values(); // tensor([-0.6931, -0.6931])
 */
export function sparseLogSoftmax(
  input: Tensor,
  dim: number | SparseSoftmaxOptions,
  dtype: DType | DTypeName | null = null,
): Tensor {
  const [d, src] = softmaxArgs(input, dim, dtype);
  if (src._sparse === null) return src.logSoftmax(d);
  return sparseSoftmaxImpl(src, d, true);
}

// ---------------------------------------------------------------------------------------------
// registry dispatch

/**
 * PyTorch's error for an op without a kernel for the arguments' backend: its first sentence
 * (PyTorch goes on with its build's list of backends; tensorgrad names what it implements).
 */
function notImplemented(op: string, backend: "SparseCPU" | "CPU"): Error {
  return notImplementedError(
    `Could not run 'aten::${op}' with arguments from the '${backend}' backend. tensorgrad's sparse COO tensors implement: ${Object.keys(
      KERNELS,
    )
      .sort()
      .join(", ")}, and torch.sparse.mm/sum/softmax/log_softmax.`,
  );
}

type Kernel = (values: unknown[], overload: string) => unknown;
const sp = (v: unknown): v is Tensor => v instanceof Tensor && v._sparse !== null;

/** The registry ops with a sparse kernel, by schema name (Note [sparse tensors]). */
const KERNELS: Record<string, Kernel> = {
  mm: ([a, b]) => {
    if (!sp(a)) throw notImplemented("sparse_dim", "CPU");
    return spmm(a, b as Tensor, "MmBackward0");
  },
  matmul: ([a, b]) => {
    if (!sp(a)) throw notImplemented("sparse_dim", "CPU");
    const B = b as Tensor;
    if (B instanceof Tensor && B._sparse === null && B.dim() === 1)
      return spmm(a, B.unsqueeze(1), "MmBackward0").squeeze(1);
    return spmm(a, B, "MmBackward0");
  },
  add: ([a, b, alpha], overload) => {
    const al = alpha === undefined ? 1 : Number(alpha);
    if (overload !== "Tensor") throw notImplemented(`add.${overload}`, "SparseCPU");
    if (sp(a) && sp(b)) return addSparse(a, b, al);
    if (sp(a))
      throw runtimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.");
    // dense + sparse: dense + the sparse operand made dense (its gradient through ToDenseBackward0)
    return (a as Tensor).add(toDense(b as Tensor), { alpha: al });
  },
  mul: ([a, b]) => mulSparse(a, b),
  div: ([a, b, mode], overload) => {
    if (overload !== "Tensor" && overload !== "Tensor_mode")
      throw notImplemented(`div.${overload}`, "SparseCPU");
    return divSparse(a, b, mode);
  },
  sub: ([a, b, alpha], overload) => {
    const al = alpha === undefined ? 1 : Number(alpha);
    if (overload !== "Tensor") throw notImplemented(`sub.${overload}`, "SparseCPU");
    if (sp(a) && sp(b)) return addSparse(a, b, -al, "SubBackward0");
    if (sp(a))
      throw runtimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.");
    return (a as Tensor).sub(toDense(b as Tensor), { alpha: al });
  },
  t: ([a]) => {
    const S = a as Tensor;
    if (S.dim() < 2) return S;
    return transposeSparse(S, 0, 1, "TBackward0");
  },
  transpose: ([a, d0, d1], overload) => {
    if (overload !== "int") throw notImplemented(`transpose.${overload}`, "SparseCPU");
    return transposeSparse(a as Tensor, d0 as number, d1 as number, "TransposeBackward0");
  },
  clone: ([a]) => cloneSparse(a as Tensor),
  // at::linear: addmm(bias, input, weight^T) with a bias, else matmul(input, weight^T)
  linear: ([input, weight, bias]) => {
    if (!sp(input) || sp(weight) || sp(bias)) throw notImplemented("linear", "SparseCPU");
    const wt = (weight as Tensor).t();
    return bias instanceof Tensor
      ? spmm(input, wt, "AddmmBackward0", bias)
      : spmm(input, wt, "MmBackward0");
  },
  addmm: ([self, mat1, mat2, beta, alpha]) => {
    if (sp(self) || !sp(mat1) || sp(mat2)) throw notImplemented("addmm", "SparseCPU");
    const b = beta === undefined ? 1 : Number(beta);
    const a = alpha === undefined ? 1 : Number(alpha);
    return spmm(mat1, mat2 as Tensor, "AddmmBackward0", self as Tensor, b, a);
  },
  unsqueeze: ([a, dim]) => unsqueezeSparse(a as Tensor, dim as number),
  cat: ([ts, dim], overload) => {
    if (overload !== "") throw notImplemented(`cat.${overload}`, "SparseCPU");
    return catSparse(ts as Tensor[], dim as number, "CatBackward0");
  },
  concat: ([ts, dim], overload) => {
    if (overload !== "") throw notImplemented(`concat.${overload}`, "SparseCPU");
    return catSparse(ts as Tensor[], dim as number, "CatBackward0");
  },
  concatenate: ([ts, dim], overload) => {
    if (overload !== "") throw notImplemented(`concatenate.${overload}`, "SparseCPU");
    return catSparse(ts as Tensor[], dim as number, "CatBackward0");
  },
  // stack: cat of the operands each unsqueezed at `dim`
  stack: ([ts, dim]) => {
    const list = ts as Tensor[];
    const d = (dim as number) < 0 ? (dim as number) + list[0].dim() + 1 : (dim as number);
    const ups = noGrad(() => list.map((t) => (sp(t) ? unsqueezeSparse(t, d) : t)));
    // recorded against the operands themselves (the unsqueezed copies were made without grad)
    const out = catSparse(ups, d, "StackBackward0");
    return recordSparse("StackBackward0", out, list, () => {
      throw notImplemented("as_strided", "SparseCPU");
    });
  },
  select: ([a, dim, index], overload) => {
    if (overload !== "int") throw notImplemented(`select.${overload}`, "SparseCPU");
    return selectSparse(a as Tensor, dim as number, index as number);
  },
  detach: ([a]) => detachSparse(a as Tensor),
};

/**
 * Zero-preserving unary ops, which PyTorch runs on sparse COO tensors: the linear ones on the
 * stored values as they are (the result keeps the input's pattern, uncoalesced), the others on
 * the coalesced values (f of a sum of duplicates is not the sum of f).
 */
const LINEAR_UNARY = new Set(["neg", "negative", "deg2rad", "rad2deg"]);
const UNARY = new Set([
  ...LINEAR_UNARY,
  "abs",
  "absolute",
  "sqrt",
  "tanh",
  "sin",
  "sign",
  "sgn",
  "floor",
  "ceil",
  "round",
  "trunc",
  "expm1",
  "log1p",
  "asin",
  "arcsin",
  "asinh",
  "arcsinh",
  "atan",
  "arctan",
  "atanh",
  "arctanh",
  "sinh",
  "tan",
  "erf",
  "erfinv",
  "square",
  "signbit",
  "isnan",
  "isinf",
  "isposinf",
  "isneginf",
  "nan_to_num",
]);

const camel = (name: string): string =>
  name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * A zero-preserving unary op on a sparse tensor: the dense op on its values. Recorded under the
 * node the dense op records (PyTorch's name: AbsBackward0, PowBackward0 for square), whose
 * gradient is the dense op's vector-Jacobian product on the coalesced values, run as a
 * reentrant backward of that op (Note [reentrant backward] in autograd/engine.ts).
 */
function unarySparse(
  name: string,
  values: unknown[],
  dense: (values: unknown[]) => unknown,
): Tensor {
  const S = values[0] as Tensor;
  const rest = values.slice(1);
  const src = LINEAR_UNARY.has(name) ? S : noGrad(() => coalesce(S));
  const p = partsOf(src);
  const y = noGrad(() => dense([p.values.detach(), ...rest]) as Tensor);
  const out = makeSparse(p.indices, y, S.shape, p.coalesced);
  if (!anyNeedsGrad([S]) || !y.dtype.differentiable) return out;
  const c = noGrad(() => coalesce(S));
  const cp = partsOf(c);
  const x = noGrad(() => cp.values.detach()).requiresGrad_();
  const method = camel(name);
  const fx = enableGrad(() =>
    (x as unknown as Record<string, (...a: unknown[]) => Tensor>)[method](...rest),
  );
  const node = fx.gradFn;
  if (node === null) return out;
  const cc = coo(c);
  return recordSparse(node.name(), out, [S], (g) => {
    if (name === "log1p")
      throw runtimeError(
        "log1p of a sparse tensor is made to be non-differentiable since local gradient of zero is 1 / (0 + 1) = 1 and it makes the tensor dense. Use a different mathematical operation which preserves sparsity of gradients, or report a bug if you think this is an error.",
      );
    const gv = valuesGrad(g, cc, cp.values.shape, S.dtype);
    x.grad = null;
    enableGrad(() => fx.backward(gv, { retainGraph: true }));
    const dx = x.grad as Tensor | null;
    return [dx === null ? null : makeSparse(cp.indices, dx, S.shape, true)];
  });
}

/** Ops that read only a tensor's shape, dtype and autograd state, never its storage. */
const METADATA = new Set([
  // contiguous: a sparse tensor's strides are contiguous (Note [sparse tensors]), so itself
  "contiguous",
  "numel",
  "dim",
  "size",
  "nelement",
  "ndimension",
  "is_floating_point",
  "is_complex",
  "is_signed",
  "element_size",
  "is_same_size",
  "result_type",
  "can_cast",
  "promote_types",
]);

/**
 * Composite ops whose error PyTorch raises from the primitive they call (softmax runs
 * aten::_softmax), named as PyTorch names them.
 */
const ATEN_NAMES: Record<string, string> = {
  sum: "sum.dim_IntList",
  softmax: "_softmax",
  log_softmax: "_log_softmax",
};

/** Ops whose PyTorch message for a sparse argument is not the dispatcher's. */
const MESSAGES: Record<string, () => Error> = {
  reshape: () => runtimeError("reshape is not implemented for sparse tensors"),
};

/**
 * The registry's path for a call with a sparse tensor argument (Note [sparse tensors]): the
 * op's sparse kernel, or PyTorch's NotImplementedError. `inplace`: the call is `name_`.
 */
export function sparseCall(
  name: string,
  overload: string,
  values: unknown[],
  inplace: boolean,
  dense: (values: unknown[]) => unknown,
): unknown {
  // metadata ops read the shape and dtype only: their dense forward serves
  if (!inplace && METADATA.has(name)) return dense(values);
  if (!inplace && UNARY.has(name) && sp(values[0])) return unarySparse(name, values, dense);
  // pow(sparse, exponent): on the stored values (structural zeros stay zero), but for 0
  if (!inplace && name === "pow" && overload === "Tensor_Scalar" && sp(values[0])) {
    if (Number(values[1]) === 0)
      throw runtimeError(
        "pow: cannot raise to zeroth power on sparse tensor; it would make the result tensor dense",
      );
    return unarySparse(name, values, dense);
  }
  const k = inplace ? undefined : KERNELS[name];
  if (k !== undefined) {
    return k(values, overload);
  }
  const special = MESSAGES[name];
  if (special !== undefined && !inplace) throw special();
  const op =
    ATEN_NAMES[name] ?? `${name}${inplace ? "_" : ""}${overload === "" ? "" : "." + overload}`;
  throw notImplemented(op, "SparseCPU");
}

/** PyTorch's NotImplementedError for `op` on a sparse tensor (hand-written methods' check). */
export function sparseUnsupported(op: string): Error {
  return notImplemented(op, "SparseCPU");
}

/**
 * PyTorch's `zero_()` of a sparse tensor: no entries left (its size kept, coalesced), in place.
 */
export function sparseZero_(t: Tensor): void {
  partsOf(t); // (raises for a dense tensor)
  if (t.isLeaf && t.requiresGrad && isGradEnabled())
    throw runtimeError(
      "a leaf Variable that requires grad is being used in an in-place operation.",
    );
  // PyTorch's zero_sparse_: sparse_resize_and_clear_(sizes, sparse_dim = ndim, dense_dim = 0)
  const sd = t.dim();
  t._sparse = {
    indices: wrap(allocZeros(0, int64), [sd, 0], int64),
    values: wrap(allocZeros(0, t.dtype), [0], t.dtype),
    coalesced: true,
  };
  t._version.value++;
}

/**
 * PyTorch's `copy_` between sparse tensors: self takes src's size, indices and values (cast to
 * self's dtype), in place. Not recorded: with a tensor that requires grad it raises.
 */
export function sparseCopy_(self: Tensor, src: Tensor): void {
  if (isGradEnabled() && (self.requiresGrad || src.requiresGrad))
    throw runtimeError("tensorgrad's sparse copy_ is not differentiable: copy under torch.noGrad");
  const p = partsOf(src);
  self._sparse = noGrad(() => ({
    indices: p.indices.clone(),
    values: p.values.to(self.dtype).clone(),
    coalesced: p.coalesced,
  }));
  self.shape = src.shape.slice();
  self.strides = contiguousStrides(self.shape);
  self._version.value++;
}

/** Whether a registry argument (a Tensor or a list of them) holds a sparse tensor. */
export function hasSparse(v: unknown): boolean {
  if (v instanceof Tensor) return v._sparse !== null;
  return Array.isArray(v) && v.some((t) => t instanceof Tensor && t._sparse !== null);
}

/** The error of a storage read on a sparse tensor (`tolist`, `data_ptr`). */
export function noStorageError(): Error {
  return runtimeError("Cannot access data pointer of Tensor that doesn't have storage");
}

/** `item()` of a sparse tensor: PyTorch's ValueError. */
export function sparseItemError(): Error {
  return valueError("only one element tensors can be converted to Python scalars");
}

/** A sparse tensor cast to `dtype` (values cast; PyTorch's `to(dtype)`). */
export function sparseTo(t: Tensor, dtype: DType): Tensor {
  const p = partsOf(t);
  if (dtype === t.dtype) return t;
  if (dtype.needsConversion)
    throw notImplementedError(
      `tensorgrad's sparse tensors hold real values of a 32- or 64-bit dtype, not ${dtype.name}`,
    );
  const vals = noGrad(() => p.values.to(dtype));
  const out = makeSparse(p.indices, vals, t.shape, p.coalesced);
  return recordSparse("ToCopyBackward0", out, [t], (g) => [noGrad(() => g.to(t.dtype))]);
}

/**
 * PyTorch's embedding_sparse_backward(grad, indices, num_weights, padding_idx,
 * scale_grad_by_freq): the gradient of an embedding's [numWeights, D] weight as a sparse COO
 * tensor, uncoalesced, with sparse dim 1: its indices are the input's ids flattened (entries equal
 * to paddingIdx dropped) and its values the matching rows of grad, so an id used twice appears
 * twice (summing them is left to coalesce). With scale_grad_by_freq it raises, as PyTorch 1.13
 * does (the sparse kernel does not implement it).
 */
export function embeddingSparseBackward(
  g: Tensor,
  indices: Tensor,
  numWeights: number,
  paddingIdx: number,
  scaleGradByFreq: boolean,
): Tensor {
  if (scaleGradByFreq)
    throw runtimeError(
      "embedding_backward: scale_grad_by_freq not supported with sparse gradients",
    );
  const D = g.shape[g.dim() - 1];
  const n = indices.numel();
  const idx = contiguousData(indices);
  const gd = contiguousData(g);
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (idx.data[idx.offset + i] !== paddingIdx) keep.push(i);
  const nnz = keep.length;
  const outIdx = allocZeros(nnz, int64);
  const outVals = allocZeros(nnz * D, g.dtype);
  for (let k = 0; k < nnz; k++) {
    const i = keep[k];
    outIdx[k] = idx.data[idx.offset + i];
    for (let j = 0; j < D; j++) outVals[k * D + j] = gd.data[gd.offset + i * D + j];
  }
  // a COO tensor of fewer than two entries is coalesced (PyTorch's set_indices_and_values_unsafe)
  return makeSparse(
    wrap(outIdx, [1, nnz], int64),
    wrap(outVals, [nnz, D], g.dtype),
    [numWeights, D],
    nnz < 2,
  );
}
