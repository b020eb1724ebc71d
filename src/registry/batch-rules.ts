/**
 * Batching rules of the registry's existing op families (Note [batched tensors] in
 * batching.ts), by op name: entries declared elsewhere may carry their own `batch`. A rule
 * receives the arguments unwrapped at the vmap level being handled and their batch dims, and
 * returns the result with its batch dim, or null for the fallback loop (shapes or arguments it
 * does not cover: the loop then computes sample by sample, raising PyTorch's per-sample errors).
 * Rules follow functorch 1.13's BatchRules*.cpp: move the batch dim to the front, shift the
 * logical dims by one, call the op once on the physical tensors.
 */
import { Tensor } from "../tensor.js";
import { moveBdimToFront, type BatchCall, type BatchRule, type BatchSpec } from "./batching.js";

/** The logical rank of argument `i` (its physical rank less the batch dim). */
function rankOf(c: BatchCall, i: number): number {
  const v = c.values[i] as Tensor;
  return v.dim() - (c.bdims[i] === null ? 0 : 1);
}

/** `x` with `k` size-1 dims inserted after the front (batch) dim. */
function padAfterFront(x: Tensor, k: number): Tensor {
  let y = x;
  for (let i = 0; i < k; i++) y = y.unsqueeze(1);
  return y;
}

/**
 * Elementwise ops with broadcasting (unary, binary, where, clamp with tensor bounds, ...):
 * every batched tensor gets its batch dim in front and size-1 dims after it up to the largest
 * logical rank, so that broadcasting aligns logical dims as per sample.
 */
export const pointwise: BatchRule = (c) => {
  // where(condition): nonzero's tuple, a shape that depends on the values
  if (c.schema.params.length === 1 && c.schema.params[0].name === "condition") return null;
  let maxRank = 0;
  c.values.forEach((v, i) => {
    if (v instanceof Tensor) maxRank = Math.max(maxRank, rankOf(c, i));
  });
  const vals = c.values.map((v, i) => {
    const bd = c.bdims[i];
    if (!(v instanceof Tensor) || bd === null || Array.isArray(bd)) return v;
    const x = moveBdimToFront(v, bd, c.batchSize);
    return padAfterFront(x, maxRank - (x.dim() - 1));
  });
  return [c.call(...vals), 0];
};

/** Ops that keep the layout (clone, contiguous, detach, casts): the batch dim stays. */
const sameLayout: BatchRule = (c) => {
  if (c.values.some((v, i) => i > 0 && v instanceof Tensor && c.bdims[i] !== null)) return null;
  return [c.call(...c.values), c.bdims[0] as number];
};

/** PyTorch's dim wrapping, or null when out of range (the fallback then raises its error). */
function wrapDim(d: number, rank: number): number | null {
  const r = Math.max(rank, 1);
  if (d < -r || d >= r) return null;
  return d < 0 ? d + r : d;
}

/**
 * Ops on `self` with dims among their arguments (`names`): the batch dim in front, the dims
 * shifted by one. `extra` widens the range (unsqueeze's dim counts the new dim); `all` maps a
 * missing dim (null: every dim) to all logical dims. Other batched tensors: fallback.
 */
function withDims(
  names: readonly string[],
  opts: { extra?: number; all?: boolean } = {},
): BatchRule {
  return (c) => {
    const selfAt = c.values.findIndex((v) => v instanceof Tensor);
    if (c.values.some((v, i) => i !== selfAt && v instanceof Tensor && c.bdims[i] !== null))
      return null;
    const bd = c.bdims[selfAt] as number;
    const x = moveBdimToFront(c.values[selfAt] as Tensor, bd, c.batchSize);
    const rank = x.dim() - 1;
    if (rank === 0 && (opts.extra ?? 0) === 0) return null;
    // an overload without these dims (var(self, unbiased) reduces everything): the loop
    if (!names.some((n) => c.schema.params.some((p) => p.name === n))) return null;
    const vals = c.values.slice();
    vals[selfAt] = x;
    for (const name of names) {
      const at = c.schema.params.findIndex((p) => p.name === name);
      if (at < 0) continue;
      const v = vals[at];
      const shift = (d: number): number | null => {
        const w = wrapDim(d, rank + (opts.extra ?? 0));
        return w === null ? null : w + 1;
      };
      if (typeof v === "number") {
        const s = shift(v);
        if (s === null) return null;
        vals[at] = s;
      } else if (Array.isArray(v)) {
        const s = (v as number[]).map(shift);
        if (s.some((d) => d === null)) return null;
        vals[at] = s.length === 0 && opts.all ? allDims(rank) : s;
      } else if ((v === null || v === undefined) && opts.all) {
        vals[at] = allDims(rank);
      } else if (v === null || v === undefined) {
        // an implicit dim (F.softmax's, chosen from the rank): per sample
        return null;
      }
    }
    return [c.call(...vals), 0];
  };
}

const allDims = (rank: number): number[] => Array.from({ length: rank }, (_, i) => i + 1);

/** Full reductions (`x.sum()`): the op over the flattened sample, by its dim form. */
function reduceAll(byDim: (x: Tensor, c: BatchCall) => unknown): BatchRule {
  return (c) => {
    // max(self, other), min(self, other): elementwise
    if (c.schema.params.filter((p) => p.base === "Tensor").length > 1) return pointwise(c);
    if (c.schema.params.some((p) => p.name === "dim")) return withDims(["dim"], { all: true })(c);
    const x = moveBdimToFront(c.values[0] as Tensor, c.bdims[0] as number, c.batchSize);
    return [byDim(x.reshape([c.batchSize, -1]), c), 0];
  };
}

/** view/reshape/expand: the batch dim in front, its size prepended to the new shape. */
const reshapeLike =
  (param: string, how: "view" | "reshape" | "expand"): BatchRule =>
  (c) => {
    const at = c.schema.params.findIndex((p) => p.name === param);
    if (at < 0 || c.bdims[0] === null) return null;
    const bd = c.bdims[0] as number;
    let x = moveBdimToFront(c.values[0] as Tensor, bd, c.batchSize);
    const size = c.values[at] as number[];
    const vals = c.values.slice();
    if (how === "expand") x = padAfterFront(x, size.length - (x.dim() - 1));
    else if (how === "view" && bd !== 0) {
      // the permuted layout may not be viewable as the new shape: a view of the batch-major copy
      x = x.contiguous();
    }
    vals[0] = x;
    vals[at] = [c.batchSize, ...size];
    return [c.call(...vals), 0];
  };

const permuteRule: BatchRule = (c) => {
  const x = moveBdimToFront(c.values[0] as Tensor, c.bdims[0] as number, c.batchSize);
  const rank = x.dim() - 1;
  const dims = (c.values[1] as number[]).map((d) => wrapDim(d, rank));
  if (dims.some((d) => d === null) || dims.length !== rank) return null;
  return [c.call(x, [0, ...(dims as number[]).map((d) => d + 1)]), 0];
};

const squeezeRule: BatchRule = (c) => {
  if (c.schema.params.some((p) => p.name === "dim")) return withDims(["dim"])(c);
  const x = moveBdimToFront(c.values[0] as Tensor, c.bdims[0] as number, c.batchSize);
  let y = x;
  for (let d = x.dim() - 1; d >= 1; d--) if (x.shape[d] === 1) y = y.squeeze(d);
  return [y, 0];
};

const tRule: BatchRule = (c) => {
  const x = moveBdimToFront(c.values[0] as Tensor, c.bdims[0] as number, c.batchSize);
  return [x.dim() - 1 < 2 ? x : x.transpose(1, 2), 0];
};

/** A Tensor[] argument (cat, stack): every tensor batch-major, the dim shifted. */
const listRule =
  (extra: number): BatchRule =>
  (c) => {
    const ts = c.values[0] as Tensor[];
    const bds = c.bdims[0] as (number | null)[];
    const xs = ts.map((t, i) => moveBdimToFront(t, bds[i], c.batchSize));
    const rank = xs[0].dim() - 1;
    const d = wrapDim((c.values[1] as number | undefined) ?? 0, rank + extra);
    if (d === null) return null;
    return [c.call(xs, d + 1), 0];
  };

/**
 * matmul and its fixed-rank forms (mm, mv, bmm, dot): both operands batch-major (an
 * unbatched one keeps its layout when broadcasting aligns it), vectors as matrices.
 */
const matmulRule: BatchRule = (c) => {
  const [a, b] = c.values as Tensor[];
  const [abd, bbd] = c.bdims as (number | null)[];
  const ra = rankOf(c, 0);
  const rb = rankOf(c, 1);
  const B = c.batchSize;
  if (ra === 1 && rb === 1) {
    const x = moveBdimToFront(a, abd, B);
    const y = moveBdimToFront(b, bbd, B);
    return [x.mul(y).sum(-1), 0];
  }
  if (bbd === null) {
    // a batched: [B, ..., n, k] @ b; b's batch dims align right once a is padded to its rank
    const x = padAfterFront(moveBdimToFront(a, abd, B), ra === 1 ? 0 : Math.max(0, rb - ra));
    return [x.matmul(b), 0];
  }
  let x = moveBdimToFront(a, abd, B);
  let y = moveBdimToFront(b, bbd, B);
  if (ra === 1) {
    // a vector times a batch of matrices: [B, 1, k] @ [B, ..., k, m]
    x = padAfterFront(x.unsqueeze(1), Math.max(0, rb - 2));
    return [x.matmul(y).squeeze(-2), 0];
  }
  if (rb === 1) {
    y = padAfterFront(y.unsqueeze(-1), Math.max(0, ra - 2));
    x = padAfterFront(x, 0);
    return [x.matmul(y).squeeze(-1), 0];
  }
  const r = Math.max(ra, rb);
  x = padAfterFront(x, r - ra);
  y = padAfterFront(y, r - rb);
  return [x.matmul(y), 0];
};

/** gather(self, dim, index): both batch-major (an unbatched one expanded), dim shifted. */
const gatherRule: BatchRule = (c) => {
  const [self, dim, index] = c.values as [Tensor, number, Tensor];
  const x = moveBdimToFront(self, c.bdims[0] as number | null, c.batchSize);
  const i = moveBdimToFront(index, c.bdims[2] as number | null, c.batchSize);
  const d = wrapDim(dim, x.dim() - 1);
  if (d === null) return null;
  const vals = c.values.slice();
  vals[0] = x;
  vals[1] = d + 1;
  vals[2] = i;
  return [c.call(...vals), 0];
};

/**
 * Ops whose input has an optional leading batch dim (conv, pooling): a logical input without
 * it takes the vmap batch as its batch; one with it has the two folded together. Weights
 * batched: fallback.
 */
const foldBatch =
  (unbatchedRank: number): BatchRule =>
  (c) => {
    if (c.values.some((v, i) => i > 0 && v instanceof Tensor && c.bdims[i] !== null)) return null;
    const x = moveBdimToFront(c.values[0] as Tensor, c.bdims[0] as number, c.batchSize);
    const rank = x.dim() - 1;
    const vals = c.values.slice();
    if (rank === unbatchedRank) {
      vals[0] = x;
      return [c.call(...vals), 0];
    }
    if (rank !== unbatchedRank + 1) return null;
    const [B, N] = x.shape;
    vals[0] = x.reshape([B * N, ...x.shape.slice(2)]);
    const unfold = (y: Tensor): Tensor => y.reshape([B, N, ...y.shape.slice(1)]);
    const r = c.call(...vals);
    return [Array.isArray(r) ? (r as Tensor[]).map(unfold) : unfold(r as Tensor), 0];
  };

/**
 * conv with a batched weight (per-sample weights, as grad inside vmap makes them): the batch
 * folded into channels and groups (functorch's convolution batch rule).
 */
const convRule =
  (spatial: number): BatchRule =>
  (c) => {
    const [input, weight, bias] = c.values as [Tensor, Tensor, Tensor | null];
    const [ibd, wbd, bbd] = c.bdims as (number | null)[];
    if (wbd === null && bbd === null) return foldBatch(spatial + 1)(c);
    const B = c.batchSize;
    const groups = c.values[6] as number;
    let x = moveBdimToFront(input, ibd, B);
    const unbatchedInput = x.dim() - 1 === spatial + 1;
    if (unbatchedInput) x = x.unsqueeze(1);
    // x: [B, N, C, ...] -> [N, B*C, ...]
    const [, N, C] = x.shape;
    const xs = x.movedim(0, 1).reshape([N, B * C, ...x.shape.slice(3)]);
    const w = moveBdimToFront(weight, wbd, B);
    const ws = w.reshape([B * w.shape[1], ...w.shape.slice(2)]);
    const bs = bias === null ? null : moveBdimToFront(bias, bbd, B).reshape([-1]);
    const vals = c.values.slice();
    vals[0] = xs;
    vals[1] = ws;
    vals[2] = bs;
    vals[6] = groups * B;
    const y = c.call(...vals) as Tensor;
    // y: [N, B*O, ...] -> [B, N, O, ...]
    const out = y.reshape([N, B, -1, ...y.shape.slice(2)]).movedim(1, 0);
    return [unbatchedInput ? out.squeeze(1) : out, 0];
  };

/** A batched `self` with other tensor arguments unbatched, at the front (layer_norm, embedding). */
const selfFront =
  (selfAt = 0): BatchRule =>
  (c) => {
    if (c.values.some((v, i) => i !== selfAt && v instanceof Tensor && c.bdims[i] !== null))
      return null;
    const vals = c.values.slice();
    vals[selfAt] = moveBdimToFront(
      c.values[selfAt] as Tensor,
      c.bdims[selfAt] as number,
      c.batchSize,
    );
    return [c.call(...vals), 0];
  };

// ---------------------------------------------------------------------------------------------
// decompositions (Decomposition: ops on the batched arguments themselves)

const linear: BatchSpec = {
  decompose: (input, weight, bias) => {
    const y = (input as Tensor).matmul((weight as Tensor).t());
    return bias === null || bias === undefined ? y : y.add(bias as Tensor);
  },
};

/** -log p[target] with its reduction, for weight None, no ignored class, no smoothing. */
function nllDecomposed(logp: Tensor, target: Tensor, reduction: string): Tensor {
  const classDim = logp.dim() === 1 ? 0 : 1;
  const picked = logp.gather(classDim, target.unsqueeze(classDim)).squeeze(classDim).neg();
  if (reduction === "none") return picked;
  return reduction === "sum" ? picked.sum() : picked.mean();
}

const plainLoss = (weight: unknown, sizeAverage: unknown, reduce: unknown): boolean =>
  (weight === null || weight === undefined) &&
  (sizeAverage === null || sizeAverage === undefined) &&
  (reduce === null || reduce === undefined);

const nllLoss: BatchSpec = {
  decompose: (input, target, weight, sizeAverage, ignoreIndex, reduce, reduction) => {
    if (!plainLoss(weight, sizeAverage, reduce) || (ignoreIndex as number) >= 0) return null;
    if ((target as Tensor).dtype.isFloatingPoint) return null;
    return nllDecomposed(input as Tensor, target as Tensor, reduction as string);
  },
};

const crossEntropy: BatchSpec = {
  decompose: (input, target, weight, sizeAverage, ignoreIndex, reduce, reduction, smoothing) => {
    if (!plainLoss(weight, sizeAverage, reduce) || (ignoreIndex as number) >= 0) return null;
    if ((target as Tensor).dtype.isFloatingPoint || (smoothing as number) !== 0) return null;
    const x = input as Tensor;
    const logp = x.logSoftmax(x.dim() === 1 ? 0 : 1);
    return nllDecomposed(logp, target as Tensor, reduction as string);
  },
};

const mseLoss: BatchSpec = {
  decompose: (input, target, sizeAverage, reduce, reduction) => {
    if (!plainLoss(null, sizeAverage, reduce)) return null;
    const d = (input as Tensor).sub(target as Tensor);
    const sq = d.mul(d);
    if (reduction === "none") return sq;
    return reduction === "sum" ? sq.sum() : sq.mean();
  },
};

// ---------------------------------------------------------------------------------------------
// the table

const POINTWISE = [
  "add sub mul div divide true_divide floor_divide pow square neg negative abs absolute sign",
  "floor ceil round maximum minimum exp log log1p expm1 sqrt rsqrt reciprocal sin cos tan",
  "clamp_min clamp_max erf tanh sigmoid relu clamp rsub atan2 eq ne lt le gt ge logical_and",
  "logical_or logical_xor logical_not isnan isfinite isinf where masked_fill asin arcsin acos",
  "arccos atan arctan sinh cosh asinh arcsinh acosh arccosh atanh arctanh log2 log10 exp2 hypot",
  "logaddexp logaddexp2 xlogy copysign erfc erfinv sinc deg2rad rad2deg logit lgamma digamma",
  "trunc fix frac sgn addcmul addcdiv lerp fmod remainder float_power fmax fmin clip positive",
  "signbit isposinf isneginf isreal nan_to_num heaviside isclose polygamma",
]
  .join(" ")
  .split(" ");

const NN_POINTWISE = [
  "relu relu6 hardtanh leaky_relu gelu silu elu selu celu softplus logsigmoid softsign",
  "tanhshrink mish hardsigmoid hardswish sigmoid tanh",
]
  .join(" ")
  .split(" ");

const TORCH: Record<string, BatchSpec> = {
  // metadata: the logical shape's
  numel: { decompose: (self) => (self as Tensor).shape.reduce((n, s) => n * s, 1) },
  clone: sameLayout,
  contiguous: sameLayout,
  detach: sameLayout,
  zeros_like: sameLayout,
  ones_like: sameLayout,
  empty_like: sameLayout,
  full_like: sameLayout,
  sum: reduceAll((x, c) => x.sum(1, false, { dtype: c.values[1] as never })),
  mean: reduceAll((x, c) => x.mean(1, false, { dtype: c.values[1] as never })),
  prod: reduceAll((x, c) => x.prod(1, false, { dtype: c.values[1] as never })),
  nansum: withDims(["dim"], { all: true }),
  nanmean: withDims(["dim"], { all: true }),
  amax: withDims(["dim"], { all: true }),
  amin: withDims(["dim"], { all: true }),
  max: reduceAll((x) => x.amax(1)),
  min: reduceAll((x) => x.amin(1)),
  argmax: (c) => (c.values[1] === null ? reduceAllIndex(c) : withDims(["dim"])(c)),
  argmin: (c) => (c.values[1] === null ? reduceAllIndex(c) : withDims(["dim"])(c)),
  logsumexp: withDims(["dim"]),
  cumsum: withDims(["dim"]),
  cumprod: withDims(["dim"]),
  softmax: withDims(["dim"]),
  log_softmax: withDims(["dim"]),
  var: withDims(["dim"], { all: true }),
  std: withDims(["dim"], { all: true }),
  view: (c) =>
    c.schema.params.some((p) => p.name === "size") ? reshapeLike("size", "view")(c) : null,
  reshape: reshapeLike("shape", "reshape"),
  expand: reshapeLike("size", "expand"),
  transpose: withDims(["dim0", "dim1"]),
  swapaxes: withDims(["axis0", "axis1"]),
  swapdims: withDims(["dim0", "dim1"]),
  movedim: withDims(["source", "destination"]),
  moveaxis: withDims(["source", "destination"]),
  permute: permuteRule,
  unsqueeze: withDims(["dim"], { extra: 1 }),
  squeeze: squeezeRule,
  t: tRule,
  select: withDims(["dim"]),
  narrow: withDims(["dim"]),
  flatten: (c) =>
    c.schema.params.some((p) => p.name === "start_dim")
      ? withDims(["start_dim", "end_dim"])(c)
      : null,
  diagonal: (c) =>
    c.schema.params.some((p) => p.name === "dim1" && p.base === "int")
      ? withDims(["dim1", "dim2"])(c)
      : null,
  unbind: withDims(["dim"]),
  split: withDims(["dim"]),
  split_with_sizes: withDims(["dim"]),
  chunk: withDims(["dim"]),
  flip: withDims(["dims"]),
  index_select: withDims(["dim"]),
  cat: listRule(0),
  concat: listRule(0),
  stack: listRule(1),
  matmul: matmulRule,
  mm: matmulRule,
  mv: matmulRule,
  bmm: matmulRule,
  dot: matmulRule,
  gather: gatherRule,
};

function reduceAllIndex(c: BatchCall): [unknown, number | null] | null {
  if (c.values[2] === true) return null;
  const x = moveBdimToFront(c.values[0] as Tensor, c.bdims[0] as number, c.batchSize);
  const vals = c.values.slice();
  vals[0] = x.reshape([c.batchSize, -1]);
  vals[1] = 1;
  return [c.call(...vals), 0];
}

const NN: Record<string, BatchSpec> = {
  softmax: withDims(["dim"]),
  log_softmax: withDims(["dim"]),
  softmin: withDims(["dim"]),
  linear,
  nll_loss: nllLoss,
  cross_entropy: crossEntropy,
  mse_loss: mseLoss,
  conv1d: convRule(1),
  conv2d: convRule(2),
  max_pool2d: foldBatch(3),
  max_pool2d_with_indices: foldBatch(3),
  avg_pool2d: foldBatch(3),
  adaptive_avg_pool2d: foldBatch(3),
  max_pool1d: foldBatch(2),
  max_pool1d_with_indices: foldBatch(2),
  avg_pool1d: foldBatch(2),
  adaptive_avg_pool1d: foldBatch(2),
  layer_norm: selfFront(0),
  embedding: (c) => (c.bdims[1] === null ? sameLayoutAt0(c) : null),
  one_hot: sameLayout,
};

const sameLayoutAt0: BatchRule = (c) => [c.call(...c.values), c.bdims[0] as number];

for (const n of POINTWISE) TORCH[n] ??= pointwise;
for (const n of NN_POINTWISE) NN[n] ??= pointwise;

/** The rule of an op declared without one (undefined: the fallback loop). */
export function batchRuleFor(namespace: string, name: string): BatchSpec | undefined {
  if (namespace === "torch") return Object.hasOwn(TORCH, name) ? TORCH[name] : undefined;
  if (namespace === "nn.functional") return Object.hasOwn(NN, name) ? NN[name] : undefined;
  return undefined;
}
