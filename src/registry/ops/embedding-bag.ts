/**
 * embedding_bag (issue 11, h-nnact): torch.embedding_bag (ATen's four outputs) and
 * F.embedding_bag (its Python wrapper). Each bag is a run of `indices` delimited by `offsets`
 * (bag b = indices[offsets[b] .. offsets[b+1]), the last to the end unless
 * `include_last_offset`); the output row of a bag is the sum (each row times its
 * per_sample_weight, when given), the mean, or the elementwise max of the weight rows it names.
 * Rows at `padding_idx` are skipped (not counted in a mean); an empty bag gives zeros.
 *
 * The kernel walks typed arrays; it records one node, EmbeddingBagBackward0, whose formula
 * scatters the output gradient back to the weight rows (scaled as the forward scaled them;
 * divided by the index's frequency with scale_grad_by_freq; max mode to the row that won) and,
 * for per_sample_weights, takes the dot product of the bag's gradient with the row. As
 * PyTorch's autograd saves the weight only when per_sample_weights need a gradient, the
 * recording ops without per_sample_weights do not save it.
 */
import { Tensor, Size } from "../../tensor.js";
import { float32, int32, int64 } from "../../dtype.js";
import { embeddingSparseBackward } from "../../ops/sparse.js";
import { alloc, contiguousData, scalarTypeName } from "../../ops/core.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { arange } from "../../ops/creation.js";
import { notImplementedError, runtimeError, valueError } from "../../errors.js";
import { defineOp, recordingOp } from "../define.js";
import { embeddingRenorm, warn } from "./nn.js";

const MODE_SUM = 0;
const MODE_MEAN = 1;
const MODE_MAX = 2;

/** The legacy type name of a dtype in checkScalarTypes's messages (torch.FloatTensor). */
function legacyTypeName(t: Tensor): string {
  return `torch.${scalarTypeName(t.dtype)}Tensor`;
}

/** The bag of each index position (-1: past the last bag), and each bag's [start, end). */
function bagLayout(
  nIdx: number,
  off: ArrayLike<number>,
  offO: number,
  nOff: number,
  includeLast: boolean,
): { bags: number; start: Int32Array; end: Int32Array; bagOf: Int32Array } {
  const bags = includeLast ? nOff - 1 : nOff;
  const start = new Int32Array(bags);
  const end = new Int32Array(bags);
  for (let b = 0; b < bags; b++) {
    start[b] = off[offO + b];
    end[b] = b + 1 < nOff ? off[offO + b + 1] : nIdx;
  }
  const bagOf = new Int32Array(nIdx).fill(-1);
  for (let b = 0; b < bags; b++) for (let i = start[b]; i < end[b]; i++) bagOf[i] = b;
  return { bags, start, end, bagOf };
}

/**
 * The forward: output [bags, D], and into `maxIndices` ([bags, D], max mode) the winning row,
 * -1 for an empty bag. ATen's checks first (dtypes, per_sample_weights, offsets, indices).
 */
function embeddingBagKernel(
  weight: Tensor,
  indices: Tensor,
  offsets: Tensor,
  perSampleWeights: Tensor | null,
  maxIndices: Tensor,
  mode: number,
  _scaleGradByFreq: boolean,
  includeLastOffset: boolean,
  paddingIdx: number,
  _numWeights: number,
  _sparse: boolean,
): Tensor {
  const [V, D] = weight.shape;
  const idx = contiguousData(indices);
  const off = contiguousData(offsets);
  const w = contiguousData(weight);
  const nIdx = indices.numel();
  const nOff = offsets.numel();
  const { bags, start, end } = bagLayout(nIdx, off.data, off.offset, nOff, includeLastOffset);
  const out = alloc([Math.max(bags, 0), D], weight.dtype);
  const o = out.typedArray;
  const ps = perSampleWeights === null ? null : contiguousData(perSampleWeights);
  const mi = maxIndices.typedArray;
  // fbgemm's path (float32, sum or mean, no padding_idx) checks indices with its own message
  const fbgemm = weight.dtype.name === "float32" && mode !== MODE_MAX && paddingIdx < 0;
  for (let b = 0; b < bags; b++) {
    let count = 0;
    for (let i = start[b]; i < end[b]; i++) {
      const k = idx.data[idx.offset + i];
      if (!(k >= 0 && k < V)) {
        throw runtimeError(
          fbgemm
            ? `[enforce fail at embedding_lookup_idx.cc:214] 0 <= idx && idx < data_size. Index ${i - start[b]} is out of bounds: ${k}, range 0 to ${V}`
            : `embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be ${k}`,
        );
      }
      if (k === paddingIdx) continue;
      const row = w.offset + k * D;
      if (mode === MODE_MAX) {
        for (let d = 0; d < D; d++) {
          const v = w.data[row + d];
          // the first row sets the bag's value; later ones only when strictly greater
          if (count === 0 || v > o[b * D + d]) {
            o[b * D + d] = v;
            mi[b * D + d] = k;
          }
        }
      } else {
        const s = ps === null ? 1 : ps.data[ps.offset + i];
        for (let d = 0; d < D; d++) o[b * D + d] += s * w.data[row + d];
      }
      count++;
    }
    if (mode === MODE_MAX && count === 0) for (let d = 0; d < D; d++) mi[b * D + d] = -1;
    if (mode === MODE_MEAN && count > 0) for (let d = 0; d < D; d++) o[b * D + d] /= count;
  }
  return out;
}

interface BagAttrs {
  mode: number;
  scale_grad_by_freq: boolean;
  include_last_offset: boolean;
  padding_idx: number;
  num_weights: number;
  sparse: boolean;
}

/** d output / d weight: each used row gets its bags' gradients, scaled as in the forward. */
function weightGrad(
  g: Tensor,
  weightShape: readonly number[],
  indices: Tensor,
  offsets: Tensor,
  perSampleWeights: Tensor | null,
  maxIndices: Tensor,
  a: BagAttrs,
): Tensor {
  if (a.sparse) return sparseWeightGrad(g, weightShape, indices, offsets, perSampleWeights, a);
  const [V, D] = weightShape;
  const gw = alloc([V, D], g.dtype);
  const o = gw.typedArray;
  const gd = contiguousData(g);
  const idx = contiguousData(indices);
  const off = contiguousData(offsets);
  const nIdx = indices.numel();
  if (a.mode === MODE_MAX) {
    const mi = maxIndices.typedArray;
    for (let j = 0; j < mi.length; j++) {
      const k = mi[j];
      if (k >= 0) o[k * D + (j % D)] += gd.data[gd.offset + j];
    }
    return gw;
  }
  const { bags, start, end, bagOf } = bagLayout(
    nIdx,
    off.data,
    off.offset,
    offsets.numel(),
    a.include_last_offset,
  );
  const counts = new Float64Array(bags);
  for (let b = 0; b < bags; b++)
    for (let i = start[b]; i < end[b]; i++)
      if (idx.data[idx.offset + i] !== a.padding_idx) counts[b]++;
  // scale_grad_by_freq, as PyTorch 1.13's CPU kernel (_embedding_bag_dense_backward_cpu_sum_mean)
  // computes it: the indices sorted, the i-th distinct index's rows are divided by
  // counts[sorted[i]] (the count of the index at sorted position i, not of the row's own index)
  let freq: Map<number, number> | null = null;
  if (a.scale_grad_by_freq) {
    const counts = new Map<number, number>();
    const sorted: number[] = [];
    for (let i = 0; i < nIdx; i++) {
      const k = idx.data[idx.offset + i];
      counts.set(k, (counts.get(k) ?? 0) + 1);
      sorted.push(k);
    }
    sorted.sort((x, y) => x - y);
    const distinct = [...counts.keys()].sort((x, y) => x - y);
    freq = new Map(distinct.map((k, i) => [k, counts.get(sorted[i]) as number]));
  }
  const ps = perSampleWeights === null ? null : contiguousData(perSampleWeights);
  for (let i = 0; i < nIdx; i++) {
    const b = bagOf[i];
    const k = idx.data[idx.offset + i];
    if (b < 0 || k === a.padding_idx) continue;
    let s = ps === null ? 1 : ps.data[ps.offset + i];
    if (a.mode === MODE_MEAN) s /= counts[b];
    if (freq !== null) s /= freq.get(k) as number;
    for (let d = 0; d < D; d++) o[k * D + d] += s * gd.data[gd.offset + b * D + d];
  }
  return gw;
}

/**
 * d output / d weight as PyTorch 1.13's _embedding_bag_sparse_backward: index_grad, the bag's
 * gradient row for each index (times 1 / bag_size in mean mode, a multiplier of the gradient's
 * dtype; times the index's per_sample_weight), then embedding_sparse_backward over the
 * indices: a sparse COO gradient with one entry per non-padding index, uncoalesced.
 */
function sparseWeightGrad(
  g: Tensor,
  weightShape: readonly number[],
  indices: Tensor,
  offsets: Tensor,
  perSampleWeights: Tensor | null,
  a: BagAttrs,
): Tensor {
  const D = weightShape[1];
  const nIdx = indices.numel();
  const idx = contiguousData(indices);
  const off = contiguousData(offsets);
  const gd = contiguousData(g);
  const { bags, start, end, bagOf } = bagLayout(
    nIdx,
    off.data,
    off.offset,
    offsets.numel(),
    a.include_last_offset,
  );
  const r = g.dtype === float32 ? Math.fround : (x: number) => x;
  const inv = new Float64Array(bags).fill(1);
  if (a.mode === MODE_MEAN)
    for (let b = 0; b < bags; b++) {
      let n = 0;
      for (let i = start[b]; i < end[b]; i++) if (idx.data[idx.offset + i] !== a.padding_idx) n++;
      inv[b] = r(1 / n);
    }
  const ps = perSampleWeights === null ? null : contiguousData(perSampleWeights);
  // index_grad covers the indices in bags (an index past the last bag has none)
  const used: number[] = [];
  for (let i = 0; i < nIdx; i++) if (bagOf[i] >= 0) used.push(i);
  const rows = alloc([used.length, D], g.dtype);
  const rd = rows.typedArray;
  used.forEach((i, k) => {
    const b = bagOf[i];
    for (let d = 0; d < D; d++) {
      let v = gd.data[gd.offset + b * D + d];
      if (a.mode === MODE_MEAN) v = r(v * inv[b]);
      if (ps !== null) v = r(v * ps.data[ps.offset + i]);
      rd[k * D + d] = v;
    }
  });
  const usedIdx = alloc([used.length], int64);
  used.forEach((i, k) => (usedIdx.typedArray[k] = idx.data[idx.offset + i]));
  return embeddingSparseBackward(rows, usedIdx, a.num_weights, a.padding_idx, a.scale_grad_by_freq);
}

/** d output / d per_sample_weights[i] = <grad of i's bag, weight row of i> (0 for padding). */
function perSampleGrad(
  g: Tensor,
  weight: Tensor,
  indices: Tensor,
  offsets: Tensor,
  a: BagAttrs,
): Tensor {
  const D = weight.shape[1];
  const nIdx = indices.numel();
  const out = alloc([nIdx], g.dtype);
  const o = out.typedArray;
  const gd = contiguousData(g);
  const w = contiguousData(weight);
  const idx = contiguousData(indices);
  const off = contiguousData(offsets);
  const { bagOf } = bagLayout(nIdx, off.data, off.offset, offsets.numel(), a.include_last_offset);
  for (let i = 0; i < nIdx; i++) {
    const b = bagOf[i];
    const k = idx.data[idx.offset + i];
    if (b < 0 || k === a.padding_idx) continue;
    let s = 0;
    for (let d = 0; d < D; d++) s += gd.data[gd.offset + b * D + d] * w.data[w.offset + k * D + d];
    o[i] = s;
  }
  return out;
}

const REC_ARGS =
  "Tensor indices, Tensor offsets, Tensor? per_sample_weights, Tensor max_indices, int mode, bool scale_grad_by_freq, bool include_last_offset, int padding_idx, int num_weights, bool sparse) -> Tensor";
const ATTRS = [
  "mode",
  "scale_grad_by_freq",
  "include_last_offset",
  "padding_idx",
  "num_weights",
  "sparse",
];

// without per_sample_weights: the weight is not saved (only its shape matters)
const embeddingBagRec = recordingOp(
  `_embedding_bag_rec(Tensor weight, ${REC_ARGS}`,
  embeddingBagKernel,
  {
    name: "EmbeddingBagBackward0",
    save: ["indices", "offsets", "max_indices"],
    attrs: ATTRS,
    grad: (
      g: Tensor,
      s: { indices: Tensor; offsets: Tensor; max_indices: Tensor },
      a: BagAttrs,
    ) => [
      weightGrad(g, [a.num_weights, g.shape[1]], s.indices, s.offsets, null, s.max_indices, a),
      null,
      null,
      null,
      null,
    ],
    jvp: () => {
      throw runtimeError("embedding_bag: forward-mode AD is not implemented");
    },
  },
);

// with per_sample_weights (sum mode): the weight is saved for their gradient
const embeddingBagPswRec = recordingOp(
  `_embedding_bag_psw_rec(Tensor weight, ${REC_ARGS}`,
  embeddingBagKernel,
  {
    name: "EmbeddingBagBackward0",
    save: ["weight", "indices", "offsets", "per_sample_weights", "max_indices"],
    attrs: ATTRS,
    grad: (
      g: Tensor,
      s: {
        weight: Tensor;
        indices: Tensor;
        offsets: Tensor;
        per_sample_weights: Tensor;
        max_indices: Tensor;
      },
      a: BagAttrs,
    ) => [
      weightGrad(g, s.weight.shape, s.indices, s.offsets, s.per_sample_weights, s.max_indices, a),
      null,
      null,
      perSampleGrad(g, s.weight, s.indices, s.offsets, a),
      null,
    ],
    jvp: () => {
      throw runtimeError("embedding_bag: forward-mode AD is not implemented");
    },
  },
);

/** ATen's embedding_bag: argument checks, then [output, offset2bag, bag_size, max_indices]. */
function embeddingBag(
  weight: Tensor,
  indices: Tensor,
  offsets: Tensor,
  scaleGradByFreq: boolean,
  mode: number,
  sparse: boolean,
  perSampleWeights: Tensor | null,
  includeLastOffset: boolean,
  paddingIdxOpt: number | null,
): [Tensor, Tensor, Tensor, Tensor] {
  let paddingIdx = -1;
  if (paddingIdxOpt !== null) {
    const V = weight.shape[0];
    if (!(paddingIdxOpt >= -V && paddingIdxOpt < V))
      throw runtimeError(
        `padding_idx must be within the number of embeddings, -${V} through ${V - 1}, but got ${paddingIdxOpt}`,
      );
    paddingIdx = paddingIdxOpt < 0 ? paddingIdxOpt + V : paddingIdxOpt;
  }
  const types = (t: Tensor, arg: string, allowed: string) =>
    runtimeError(
      `Expected tensor for argument #1 '${arg}' to have one of the following scalar types: ${allowed}; but got ${legacyTypeName(t)} instead (while checking arguments for embedding_bag)`,
    );
  const isIndex = (t: Tensor) => t.dtype === int64 || t.dtype === int32;
  if (!isIndex(indices)) throw types(indices, "indices", "Long, Int");
  if (!isIndex(offsets)) throw types(offsets, "offsets", "Long, Int");
  if (!weight.dtype.isFloatingPoint) throw types(weight, "weight", "Half, Float, Double");
  if (weight.dim() !== 2) throw runtimeError("'weight' must be 2-D");
  if (perSampleWeights !== null) {
    if (mode !== MODE_SUM)
      throw runtimeError("embedding_bag: per_sample_weights only supported with mode='sum'");
    if (perSampleWeights.dtype !== weight.dtype)
      throw runtimeError(
        `Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 'per_sample_weights'; but type ${legacyTypeName(weight)} does not equal ${legacyTypeName(perSampleWeights)} (while checking arguments for embedding_bag)`,
      );
    if (perSampleWeights.dim() !== 1 || perSampleWeights.numel() !== indices.numel())
      throw runtimeError(
        "per_sample_weights must be 1-D with one weight per index (while checking arguments for embedding_bag)",
      );
  }
  if (includeLastOffset && offsets.numel() < 1)
    throw runtimeError("include_last_offset: number of offset should be at least 1");
  const off = contiguousData(offsets);
  const nOff = offsets.numel();
  if (nOff > 0) {
    const first = off.data[off.offset];
    if (first !== 0)
      throw runtimeError(
        `offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got ${first}\n[ torch.${scalarTypeName(offsets.dtype)}Tensor{} ]`,
      );
    const last = off.data[off.offset + nOff - 1];
    if (last > indices.numel())
      throw runtimeError(
        `offsets[-1] can not be greater than input's length ${indices.numel()} but got offsets[-1] of ${last}`,
      );
  }
  const bags = includeLastOffset ? nOff - 1 : nOff;
  const D = weight.shape[1];
  const maxIndices = alloc(mode === MODE_MAX ? [bags, D] : [0], int64);
  const rec = perSampleWeights === null ? embeddingBagRec : embeddingBagPswRec;
  const out = rec(
    weight,
    indices.reshape(-1),
    offsets,
    perSampleWeights,
    maxIndices,
    mode,
    scaleGradByFreq,
    includeLastOffset,
    paddingIdx,
    weight.shape[0],
    sparse,
  );
  // ATen's auxiliary outputs: each index's bag (empty in sum mode without padding_idx), the
  // number of non-padding rows per bag (zeros in sum mode), and max mode's winning rows (0 for
  // an empty bag; a copy of bag_size in mean mode, zeros in sum mode)
  const idx = contiguousData(indices);
  const nIdx = indices.numel();
  const { bagOf, start, end } = bagLayout(nIdx, off.data, off.offset, nOff, includeLastOffset);
  const offset2bag =
    mode === MODE_SUM && paddingIdx < 0 ? alloc([0], indices.dtype) : alloc([nIdx], indices.dtype);
  if (offset2bag.numel() > 0) offset2bag.typedArray.set(bagOf.map((b) => Math.max(b, 0)));
  const bagSize = alloc([bags], indices.dtype);
  if (mode !== MODE_SUM) {
    for (let b = 0; b < bags; b++)
      for (let i = start[b]; i < end[b]; i++)
        if (idx.data[idx.offset + i] !== paddingIdx) bagSize.typedArray[b]++;
  }
  let maxOut: Tensor;
  if (mode === MODE_MAX) {
    maxOut = alloc([bags, D], indices.dtype);
    maxIndices.typedArray.forEach((k, j) => (maxOut.typedArray[j] = Math.max(k, 0)));
  } else maxOut = mode === MODE_MEAN ? noGrad(() => bagSize.clone()) : alloc([bags], indices.dtype);
  return [out, offset2bag, bagSize, maxOut];
}

defineOp({
  name: "embedding_bag",
  variants: ["function"],
  doc: "embedding_bag(weight, indices, offsets, scale_grad_by_freq, mode, sparse, per_sample_weights, include_last_offset, padding_idx): the sum (mode 0), mean (1) or max (2) of the weight rows of each bag; returns [output, offset2bag, bag_size, max_indices].",
  example:
    "torch.embeddingBag(torch.eye(3), torch.tensor([0, 1, 2], { dtype: torch.long }), torch.tensor([0, 2], { dtype: torch.long }))[0] // tensor([[1., 1., 0.], [0., 0., 1.]])",
  overloads: [
    // PyTorch's parser lists (and tries) the padding_idx overload first
    {
      schema:
        "embedding_bag.padding_idx(Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq, int mode, bool sparse, Tensor? per_sample_weights, bool include_last_offset, int? padding_idx) -> (Tensor, Tensor, Tensor, Tensor)",
      forward: (
        weight: Tensor,
        indices: Tensor,
        offsets: Tensor,
        scaleGradByFreq: boolean,
        mode: number,
        sparse: boolean,
        psw: Tensor | null,
        includeLastOffset: boolean,
        paddingIdx: number | null,
      ) =>
        embeddingBag(
          weight,
          indices,
          offsets,
          scaleGradByFreq,
          mode,
          sparse,
          psw,
          includeLastOffset,
          paddingIdx,
        ),
    },
    {
      schema:
        "embedding_bag(Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq=False, int mode=0, bool sparse=False, Tensor? per_sample_weights=None, bool include_last_offset=False) -> (Tensor, Tensor, Tensor, Tensor)",
      forward: (
        weight: Tensor,
        indices: Tensor,
        offsets: Tensor,
        scaleGradByFreq: boolean,
        mode: number,
        sparse: boolean,
        psw: Tensor | null,
        includeLastOffset: boolean,
      ) =>
        embeddingBag(
          weight,
          indices,
          offsets,
          scaleGradByFreq,
          mode,
          sparse,
          psw,
          includeLastOffset,
          null,
        ),
    },
  ],
});

defineOp({
  name: "embedding_bag",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "embedding_bag(input, weight, offsets, ...): the sum, mean or max of the embeddings of each bag of indices (a row of a 2-D input, or a run of a 1-D input starting at each offset), optionally weighted per sample (sum mode).",
  example:
    'F.embeddingBag(torch.tensor([[0, 1], [2, 2]], { dtype: torch.long }), torch.eye(3), null, { mode: "sum" }) // tensor([[1., 1., 0.], [0., 0., 2.]])',
  overloads: [
    {
      schema:
        'embedding_bag(Tensor input, Tensor weight, Tensor? offsets=None, float? max_norm=None, float norm_type=2, bool scale_grad_by_freq=False, str mode="mean", bool sparse=False, Tensor? per_sample_weights=None, bool include_last_offset=False, int? padding_idx=None) -> Tensor',
      forward: (
        input0: Tensor,
        weight0: Tensor,
        offsets0: Tensor | null,
        maxNorm: number | null,
        normType: number,
        scaleGradByFreq: boolean,
        mode: string,
        sparse: boolean,
        psw0: Tensor | null,
        includeLastOffset: boolean,
        paddingIdx: number | null,
      ) => {
        let input = input0;
        let weight = weight0;
        let offsets = offsets0;
        let psw = psw0;
        // the old argument order embedding_bag(weight, input, ...)
        if (weight.dtype === int64 && input.dtype.isFloatingPoint) {
          warn(
            "Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
          );
          [weight, input] = [input, weight];
        }
        if (psw !== null && !sameShape(input.shape, psw.shape))
          throw valueError(
            `embedding_bag: If per_sample_weights (${String(new Size(psw.shape))}) is not None, then it must have the same shape as the input (${String(new Size(input.shape))})`,
          );
        if (input.dim() === 2) {
          if (offsets !== null)
            throw valueError(
              "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences. However, found offsets of type <class 'torch.Tensor'>",
            );
          offsets = arange(0, input.numel(), input.shape[1], { dtype: input.dtype });
          input = input.reshape(-1);
          if (psw !== null) psw = psw.reshape(-1);
        } else if (input.dim() === 1) {
          if (offsets === null) throw valueError("offsets has to be a 1D Tensor but got None");
          if (offsets.dim() !== 1) throw valueError("offsets has to be a 1D Tensor");
        } else {
          throw valueError(
            `input has to be 1D or 2D Tensor, but got Tensor of dimension ${input.dim()}`,
          );
        }
        let modeEnum: number;
        if (mode === "sum") modeEnum = MODE_SUM;
        else if (mode === "mean") modeEnum = MODE_MEAN;
        else if (mode === "max") {
          modeEnum = MODE_MAX;
          if (scaleGradByFreq)
            throw valueError("max mode does not support scaling the gradient by the frequency");
          if (sparse) throw valueError("max mode does not support sparse weights");
        } else throw valueError("mode has to be one of sum, mean or max");
        if (maxNorm !== null) embeddingRenorm(weight, input, maxNorm, normType);
        if (psw !== null && mode !== "sum")
          throw notImplementedError(
            `embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='${mode}'). Please open a feature request on GitHub.`,
          );
        return embeddingBag(
          weight,
          input,
          offsets,
          scaleGradByFreq,
          modeEnum,
          sparse,
          psw,
          includeLastOffset,
          paddingIdx,
        )[0];
      },
    },
  ],
});

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
