/**
 * F.multi_head_attention_forward, PyTorch 1.13's slow path (what nn.MultiheadAttention runs):
 * input projections, scaled dot-product attention per head with optional boolean or additive
 * masks, dropout on the weights, output projection, and the head-averaged attention weights.
 */
import { Tensor } from "../tensor.js";
import type { DType } from "../dtype.js";
import { bool } from "../dtype.js";
import { zeros } from "../ops/creation.js";
import { softmax as softmaxKernel } from "../ops/reduce.js";
import { addmm } from "../ops/nn.js";
import { cat as catKernel } from "../ops/views.js";
import { cat as catOp, softmax as softmaxOp } from "../generated/functions.js";
import { assertionError, runtimeError, typeError } from "../errors.js";
import { noGrad } from "../autograd/grad-mode.js";
import { dropout, linear as fLinear } from "../generated/nn-functional.js";
import { beginComposite, endComposite } from "../autograd/temporaries.js";
import { autocastState } from "../registry/autocast.js";

/**
 * Note [autocast dispatch]: under CPU autocast the attention's tensors are bfloat16, which the
 * kernels called directly here do not read (half storage): the registry's ops take them then.
 */
const softmax = (t: Tensor, dim: number): Tensor =>
  autocastState.cpu ? (softmaxOp(t, dim) as Tensor) : softmaxKernel(t, dim);
const cat = (ts: Tensor[], dim = 0): Tensor =>
  autocastState.cpu ? (catOp(ts, dim) as Tensor) : catKernel(ts, dim);

/**
 * F.linear as PyTorch's MHA calls it: addmm for a 2-D input with a bias (AddmmBackward0, the
 * bias added into the product's storage), else matmul then the bias added (AddBackward0).
 */
function linear(x: Tensor, w: Tensor, b: Tensor | null, temps: Tensor[]): Tensor {
  // Note [autocast dispatch]: under CPU autocast PyTorch's F.linear casts to bfloat16; the
  // registry's F.linear does, and computes bfloat16 through its half path
  if (autocastState.cpu) return fLinear(x, w, b);
  if (b !== null && x.dim() === 2) return addmm(b, x, w.t());
  const y = x.matmul(w.t());
  if (b === null) return y;
  temps.push(y);
  return y.add(b);
}

/** Options of the attention forward. */
export interface AttentionForwardOptions {
  /** [N, S] (or [S] unbatched): true (or -inf in a float mask) excludes a key */
  keyPaddingMask?: Tensor | null;
  /** return the attention weights (default true) */
  needWeights?: boolean;
  /** [L, S] or [N*heads, L, S]: true (bool) masks, floats are added to the scores */
  attnMask?: Tensor | null;
  /** average the weights over heads (default true) */
  averageAttnWeights?: boolean;
}

export interface MhaParams {
  embedDim: number;
  numHeads: number;
  inProjWeight: Tensor | null;
  inProjBias: Tensor | null;
  /** The query projection weight when useSeparateProjWeight. */
  qProjWeight: Tensor | null;
  /** The key projection weight when useSeparateProjWeight. */
  kProjWeight: Tensor | null;
  /** The value projection weight when useSeparateProjWeight. */
  vProjWeight: Tensor | null;
  biasK: Tensor | null;
  biasV: Tensor | null;
  addZeroAttn: boolean;
  dropout: number;
  outProjWeight: Tensor;
  outProjBias: Tensor | null;
  /** Apply dropout (default true). */
  training: boolean;
  /** A precomputed key projection to use as it is. */
  staticK?: Tensor | null;
  /** A precomputed value projection to use as it is. */
  staticV?: Tensor | null;
}

/** A bool mask as an additive float mask (-inf where true). */
function additive(mask: Tensor, dtype: DType): Tensor {
  return noGrad(() => zeros(mask.shape, { dtype }).maskedFill(mask, -Infinity));
}

/** Append one zero (false) column: F.pad(mask, (0, 1)). */
function padLast(mask: Tensor): Tensor {
  const shape = mask.shape.slice();
  shape[shape.length - 1] = 1;
  return cat([mask, zeros(shape, { dtype: mask.dtype })], mask.dim() - 1);
}

/**
 * F.multi_head_attention_forward on [L, N, E] query and [S, N, E] key/value (or unbatched
 * [L, E] / [S, E]): `[output [L, N, E], weights [N, L, S] | [N, heads, L, S] | null]`.
 */
export function mhaForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  p: MhaParams,
  o: AttentionForwardOptions = {},
): [Tensor, Tensor | null] {
  // Note [released temporaries]: the intermediates nothing saved go back to the pool now,
  // those only saved variables hold after backward (Note [released saved temporaries])
  const scope = beginComposite();
  const temps: Tensor[] = [];
  let res: [Tensor, Tensor | null] | null = null;
  try {
    res = attention(query, key, value, p, o, temps);
  } finally {
    if (scope !== null) endComposite(scope, temps, res ?? [], mhaInputs(query, key, value, p, o));
  }
  return res;
}

/** Every tensor mhaForward was given (its temporaries never share their buffers). */
function mhaInputs(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  p: MhaParams,
  o: AttentionForwardOptions,
): (Tensor | null)[] {
  return [
    query,
    key,
    value,
    p.inProjWeight,
    p.inProjBias,
    p.qProjWeight,
    p.kProjWeight,
    p.vProjWeight,
    p.biasK,
    p.biasV,
    p.outProjWeight,
    p.outProjBias,
    p.staticK ?? null,
    p.staticV ?? null,
    o.keyPaddingMask ?? null,
    o.attnMask ?? null,
  ];
}

/** mhaForward's computation; the intermediates it makes are appended to `temps`. */
function attention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  p: MhaParams,
  o: AttentionForwardOptions,
  temps: Tensor[],
): [Tensor, Tensor | null] {
  const needWeights = o.needWeights ?? true;
  const average = o.averageAttnWeights ?? true;
  let keyPaddingMask = o.keyPaddingMask ?? null;
  let attnMask = o.attnMask ?? null;
  const batched = query.dim() === 3;
  if (!batched && query.dim() !== 2) {
    throw new Error(
      `query should be unbatched 2D or batched 3D tensor but received ${query.dim()}-D query tensor`,
    );
  }
  if (key.dim() !== query.dim() || value.dim() !== query.dim()) {
    throw new Error(
      `For ${batched ? "batched (3-D)" : "unbatched (2-D)"} \`query\`, expected \`key\` and \`value\` to be ${batched ? 3 : 2}-D but found ${key.dim()}-D and ${value.dim()}-D tensors respectively`,
    );
  }
  if (!batched) {
    query = query.unsqueeze(1);
    key = key.unsqueeze(1);
    value = value.unsqueeze(1);
    if (keyPaddingMask !== null) keyPaddingMask = keyPaddingMask.unsqueeze(0);
  }
  const [tgtLen, bsz, embedDim] = query.shape;
  const H = p.numHeads;
  if (embedDim !== p.embedDim) {
    throw new Error(`was expecting embedding dimension of ${p.embedDim}, but got ${embedDim}`);
  }
  const headDim = Math.floor(embedDim / H);
  if (headDim * H !== embedDim) {
    throw new Error(`embed_dim ${embedDim} not divisible by num_heads ${H}`);
  }
  // input projections
  let q: Tensor;
  let k: Tensor;
  let v: Tensor;
  const [bq, bk, bv] = p.inProjBias === null ? [null, null, null] : p.inProjBias.chunk(3);
  if (p.inProjWeight !== null && query === key && key === value) {
    // self-attention: one [.., 3E] projection, split (PyTorch's _in_projection_packed)
    const packed = linear(query, p.inProjWeight, p.inProjBias, temps);
    temps.push(packed);
    [q, k, v] = packed.chunk(3, -1);
  } else if (p.inProjWeight !== null) {
    const [wq, wk, wv] = p.inProjWeight.chunk(3);
    q = linear(query, wq, bq, temps);
    k = linear(key, wk, bk, temps);
    v = linear(value, wv, bv, temps);
  } else {
    q = linear(query, p.qProjWeight as Tensor, bq, temps);
    k = linear(key, p.kProjWeight as Tensor, bk, temps);
    v = linear(value, p.vProjWeight as Tensor, bv, temps);
  }
  // masks
  let srcLen = key.shape[0];
  if (attnMask !== null) {
    if (attnMask.dim() === 2) {
      if (attnMask.shape[0] !== tgtLen || attnMask.shape[1] !== srcLen) {
        throw runtimeError(
          `The shape of the 2D attn_mask is torch.Size([${attnMask.shape.join(", ")}]), but should be (${tgtLen}, ${srcLen}).`,
        );
      }
      attnMask = attnMask.unsqueeze(0);
    } else if (attnMask.dim() === 3) {
      if (
        attnMask.shape[0] !== bsz * H ||
        attnMask.shape[1] !== tgtLen ||
        attnMask.shape[2] !== srcLen
      ) {
        throw runtimeError(
          `The shape of the 3D attn_mask is torch.Size([${attnMask.shape.join(", ")}]), but should be (${bsz * H}, ${tgtLen}, ${srcLen}).`,
        );
      }
    } else {
      throw runtimeError(`attn_mask's dimension ${attnMask.dim()} is not supported`);
    }
  }
  if (p.biasK !== null && p.biasV !== null) {
    k = cat([k, p.biasK.expand([1, bsz, embedDim])]);
    v = cat([v, p.biasV.expand([1, bsz, embedDim])]);
    if (attnMask !== null) attnMask = padLast(attnMask);
    if (keyPaddingMask !== null) keyPaddingMask = padLast(keyPaddingMask);
  }
  temps.push(q, k, v);
  q = q
    .contiguous()
    .view(tgtLen, bsz * H, headDim)
    .transpose(0, 1);
  const staticK = p.staticK ?? null;
  const staticV = p.staticV ?? null;
  if (staticK === null) {
    k = k
      .contiguous()
      .view(k.shape[0], bsz * H, headDim)
      .transpose(0, 1);
  } else {
    if (staticK.shape[0] !== bsz * H) {
      throw assertionError(`expecting static_k.size(0) of ${bsz * H}, but got ${staticK.shape[0]}`);
    }
    if (staticK.shape[2] !== headDim) {
      throw assertionError(`expecting static_k.size(2) of ${headDim}, but got ${staticK.shape[2]}`);
    }
    k = staticK;
  }
  if (staticV === null) {
    v = v
      .contiguous()
      .view(v.shape[0], bsz * H, headDim)
      .transpose(0, 1);
  } else {
    if (staticV.shape[0] !== bsz * H) {
      throw assertionError(`expecting static_v.size(0) of ${bsz * H}, but got ${staticV.shape[0]}`);
    }
    if (staticV.shape[2] !== headDim) {
      throw assertionError(`expecting static_v.size(2) of ${headDim}, but got ${staticV.shape[2]}`);
    }
    v = staticV;
  }
  if (p.addZeroAttn) {
    const z = zeros([bsz * H, 1, headDim], { dtype: k.dtype });
    k = cat([k, z], 1);
    v = cat([v, z], 1);
    if (attnMask !== null) attnMask = padLast(attnMask);
    if (keyPaddingMask !== null) keyPaddingMask = padLast(keyPaddingMask);
  }
  srcLen = k.shape[1];
  if (keyPaddingMask !== null) {
    if (keyPaddingMask.shape[0] !== bsz || keyPaddingMask.shape[1] !== srcLen) {
      throw new Error(
        `expecting key_padding_mask shape of (${bsz}, ${srcLen}), but got torch.Size([${keyPaddingMask.shape.join(", ")}])`,
      );
    }
    // a float padding mask is added to the scores (PyTorch 1.13); a bool one masks
    const kpm = keyPaddingMask
      .view(bsz, 1, 1, srcLen)
      .expand([bsz, H, 1, srcLen])
      .reshape([bsz * H, 1, srcLen]);
    if (attnMask === null) attnMask = kpm;
    else if (attnMask.dtype === bool) attnMask = attnMask.logicalOr(kpm);
    else attnMask = attnMask.maskedFill(kpm, -Infinity);
  }
  if (attnMask !== null && attnMask.dtype === bool) attnMask = additive(attnMask, q.dtype);
  // scaled dot-product attention
  const E = q.shape[2];
  const qScaled = q.div(Math.sqrt(E));
  // PyTorch 1.13's _scaled_dot_product_attention: baddbmm(attn_mask, q, k^T) with a mask (a
  // mask of another dtype is added after the product, with type promotion)
  const kT = k.transpose(-2, -1);
  let scores: Tensor;
  if (attnMask === null) scores = qScaled.bmm(kT);
  else if (attnMask.dtype === qScaled.dtype) scores = attnMask.baddbmm(qScaled, kT);
  else scores = qScaled.bmm(kT).add(attnMask);
  let weights = softmax(scores, -1);
  temps.push(q, k, v, qScaled, scores, weights);
  if (p.dropout > 0 && p.training) weights = dropout(weights, p.dropout, { training: true });
  let out = weights.bmm(v);
  temps.push(weights, out);
  out = out
    .transpose(0, 1)
    .contiguous()
    .view(tgtLen * bsz, embedDim);
  temps.push(out);
  out = linear(out, p.outProjWeight, p.outProjBias, temps);
  out = out.view(tgtLen, bsz, out.shape[1]);
  if (!needWeights) return [batched ? out : out.squeeze(1), null];
  let w = weights.view(bsz, H, tgtLen, srcLen);
  if (average) w = w.sum(1).div(H);
  if (!batched) {
    out = out.squeeze(1);
    w = w.squeeze(0);
  }
  return [out, w];
}

/** The keyword arguments of F.multiHeadAttentionForward after `outProjBias`. */
export interface MultiHeadAttentionForwardOptions {
  /** Apply dropout (default true). */
  training?: boolean;
  /** True (or -inf) at key positions to ignore [N, S]. */
  keyPaddingMask?: Tensor | null;
  /** Also return the attention weights (default true). */
  needWeights?: boolean;
  /** A mask of the attention [L, S] or [N * numHeads, L, S]: true or -inf where not allowed. */
  attnMask?: Tensor | null;
  /** Use separate q/k/v projection weights instead of in_proj_weight. */
  useSeparateProjWeight?: boolean;
  /** The query projection weight when useSeparateProjWeight. */
  qProjWeight?: Tensor | null;
  /** The key projection weight when useSeparateProjWeight. */
  kProjWeight?: Tensor | null;
  /** The value projection weight when useSeparateProjWeight. */
  vProjWeight?: Tensor | null;
  /** precomputed keys / values [N*heads, S, headDim], replacing the projected ones */
  staticK?: Tensor | null;
  /** A precomputed value projection to use as it is. */
  staticV?: Tensor | null;
  /** Average the returned weights over the heads (default true). */
  averageAttnWeights?: boolean;
}

const MHA_KWARGS = [
  "training",
  "keyPaddingMask",
  "needWeights",
  "attnMask",
  "useSeparateProjWeight",
  "qProjWeight",
  "kProjWeight",
  "vProjWeight",
  "staticK",
  "staticV",
  "averageAttnWeights",
] as const;

/**
 * torch.nn.functional.multi_head_attention_forward(query, key, value, embed_dim_to_check,
 * num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn, dropout_p,
 * out_proj_weight, out_proj_bias, training=True, key_padding_mask=None, need_weights=True,
 * attn_mask=None, use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
 * v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True): PyTorch 1.13's
 * attention on [L, N, E] query and [S, N, E] key/value (or unbatched [L, E] / [S, E]); the
 * arguments after `outProjBias` positionally or in a trailing options object. Returns
 * `[output, weights | null]`.
 *
 * @example
 * const mha = new torch.nn.MultiheadAttention(8, 2);
 * const [q, k, v] = [torch.randn(5, 1, 8), torch.randn(5, 1, 8), torch.randn(5, 1, 8)]; // (L, N, E)
 * const [out, w] = F.multiHeadAttentionForward(q, k, v, 8, 2, mha.in_proj_weight, mha.in_proj_bias,
 *   null, null, false, 0.0, mha.out_proj.weight, mha.out_proj.bias, { training: false });

 */
export function multiHeadAttentionForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  embedDimToCheck: number,
  numHeads: number,
  inProjWeight: Tensor | null,
  inProjBias: Tensor | null,
  biasK: Tensor | null,
  biasV: Tensor | null,
  addZeroAttn: boolean,
  dropoutP: number,
  outProjWeight: Tensor,
  outProjBias: Tensor | null,
  ...rest: unknown[]
): [Tensor, Tensor | null] {
  const o: Record<string, unknown> = {};
  const last = rest[rest.length - 1];
  const hasOpts =
    last !== null &&
    typeof last === "object" &&
    !(last instanceof Tensor) &&
    Object.getPrototypeOf(last) === Object.prototype;
  const pos = hasOpts ? rest.slice(0, -1) : rest;
  if (pos.length > MHA_KWARGS.length) {
    throw typeError(
      `multi_head_attention_forward() takes from 13 to 24 positional arguments but ${13 + pos.length} were given`,
    );
  }
  pos.forEach((v, i) => (o[MHA_KWARGS[i]] = v));
  if (hasOpts) {
    for (const [k, v] of Object.entries(last as Record<string, unknown>)) {
      if (!(MHA_KWARGS as readonly string[]).includes(k)) {
        throw typeError(`multi_head_attention_forward() got an unexpected keyword argument '${k}'`);
      }
      if (k in o) {
        throw typeError(`multi_head_attention_forward() got multiple values for argument '${k}'`);
      }
      o[k] = v;
    }
  }
  const a = o as MultiHeadAttentionForwardOptions;
  const separate = a.useSeparateProjWeight ?? false;
  const batched = query.dim() === 3;
  const want = batched ? key.shape.slice(0, 2) : key.shape.slice(0, 1);
  const got = batched ? value.shape.slice(0, 2) : value.shape.slice(0, 1);
  if (separate) {
    if (want.join() !== got.join()) {
      throw assertionError(
        `key's sequence and batch dims torch.Size([${want.join(", ")}]) do not match value's torch.Size([${got.join(", ")}])`,
      );
    }
    for (const [name, w] of [
      ["q_proj_weight", a.qProjWeight],
      ["k_proj_weight", a.kProjWeight],
      ["v_proj_weight", a.vProjWeight],
    ] as const) {
      if (w === null || w === undefined) {
        throw assertionError(`use_separate_proj_weight is True but ${name} is None`);
      }
    }
  } else {
    if (key.shape.join() !== value.shape.join()) {
      throw assertionError(
        `key shape torch.Size([${key.shape.join(", ")}]) does not match value shape torch.Size([${value.shape.join(", ")}])`,
      );
    }
    if (inProjWeight === null) {
      throw assertionError("use_separate_proj_weight is False but in_proj_weight is None");
    }
  }
  if (a.keyPaddingMask !== null && a.keyPaddingMask !== undefined) {
    const m = a.keyPaddingMask;
    if (m.dtype !== bool && !m.dtype.isFloatingPoint) {
      throw assertionError("only bool and floating types of key_padding_mask are supported");
    }
  }
  return mhaForward(
    query,
    key,
    value,
    {
      embedDim: embedDimToCheck,
      numHeads,
      inProjWeight: separate ? null : inProjWeight,
      inProjBias,
      qProjWeight: a.qProjWeight ?? null,
      kProjWeight: a.kProjWeight ?? null,
      vProjWeight: a.vProjWeight ?? null,
      biasK,
      biasV,
      addZeroAttn,
      dropout: dropoutP,
      outProjWeight,
      outProjBias,
      training: a.training ?? true,
      staticK: a.staticK ?? null,
      staticV: a.staticV ?? null,
    },
    {
      keyPaddingMask: a.keyPaddingMask ?? null,
      needWeights: a.needWeights ?? true,
      attnMask: a.attnMask ?? null,
      averageAttnWeights: a.averageAttnWeights ?? true,
    },
  );
}
