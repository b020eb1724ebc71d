/**
 * torch.nn.MultiheadAttention and its functional form (F.multi_head_attention_forward, PyTorch
 * 1.13's slow path): input projections, scaled dot-product attention per head with optional
 * boolean or additive masks, output projection, and the head-averaged attention weights.
 */
import { Tensor } from "../tensor.js";
import type { DType } from "../dtype.js";
import { bool } from "../dtype.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { empty, zeros } from "../ops/creation.js";
import { softmax } from "../ops/reduce.js";
import { cat } from "../ops/views.js";
import { runtimeError } from "../errors.js";
import { noGrad } from "../autograd/grad-mode.js";
import { dropoutTrain } from "./rnn.js";
import { xavierUniform } from "./layer-utils.js";
import { Linear } from "./linear.js";

function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const y = x.matmul(w.t());
  return b === null ? y : y.add(b);
}

/**
 * The out_proj of MultiheadAttention: PyTorch's NonDynamicallyQuantizableLinear, a Linear (with
 * Linear's default initialisation) under another name.
 */
export class NonDynamicallyQuantizableLinear extends Linear {}

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

interface MhaParams {
  embedDim: number;
  numHeads: number;
  inProjWeight: Tensor | null;
  inProjBias: Tensor | null;
  qProjWeight: Tensor | null;
  kProjWeight: Tensor | null;
  vProjWeight: Tensor | null;
  biasK: Tensor | null;
  biasV: Tensor | null;
  addZeroAttn: boolean;
  dropout: number;
  outProjWeight: Tensor;
  outProjBias: Tensor | null;
  training: boolean;
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
export function multiHeadAttentionForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  p: MhaParams,
  o: AttentionForwardOptions = {},
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
  if (p.inProjWeight !== null) {
    const [wq, wk, wv] = p.inProjWeight.chunk(3);
    q = linear(query, wq, bq);
    k = linear(key, wk, bk);
    v = linear(value, wv, bv);
  } else {
    q = linear(query, p.qProjWeight as Tensor, bq);
    k = linear(key, p.kProjWeight as Tensor, bk);
    v = linear(value, p.vProjWeight as Tensor, bv);
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
  q = q
    .contiguous()
    .view(tgtLen, bsz * H, headDim)
    .transpose(0, 1);
  k = k
    .contiguous()
    .view(k.shape[0], bsz * H, headDim)
    .transpose(0, 1);
  v = v
    .contiguous()
    .view(v.shape[0], bsz * H, headDim)
    .transpose(0, 1);
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
    let kpm = keyPaddingMask
      .view(bsz, 1, 1, srcLen)
      .expand([bsz, H, 1, srcLen])
      .reshape([bsz * H, 1, srcLen]);
    if (kpm.dtype !== bool) kpm = kpm.ne(0).logicalAnd(kpm.isfinite().logicalNot());
    if (attnMask === null) attnMask = kpm;
    else if (attnMask.dtype === bool) attnMask = attnMask.logicalOr(kpm);
    else attnMask = attnMask.maskedFill(kpm, -Infinity);
  }
  if (attnMask !== null && attnMask.dtype === bool) attnMask = additive(attnMask, q.dtype);
  // scaled dot-product attention
  const E = q.shape[2];
  const qScaled = q.div(Math.sqrt(E));
  let scores = qScaled.bmm(k.transpose(-2, -1));
  if (attnMask !== null) scores = scores.add(attnMask);
  let weights = softmax(scores, -1);
  if (p.dropout > 0 && p.training) weights = dropoutTrain(weights, p.dropout);
  let out = weights.bmm(v);
  out = out
    .transpose(0, 1)
    .contiguous()
    .view(tgtLen * bsz, embedDim);
  out = linear(out, p.outProjWeight, p.outProjBias);
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

/** Options of MultiheadAttention. */
export interface MultiheadAttentionOptions {
  dropout?: number;
  bias?: boolean;
  addBiasKv?: boolean;
  addZeroAttn?: boolean;
  /** key / value feature sizes (default embedDim) */
  kdim?: number | null;
  vdim?: number | null;
  /** inputs and output are [N, L, E] */
  batchFirst?: boolean;
  dtype?: DType;
}

/**
 * torch.nn.MultiheadAttention: `forward(query, key, value, { keyPaddingMask, needWeights,
 * attnMask, averageAttnWeights })` -> `[output, weights | null]`. Parameters `in_proj_weight`
 * [3E, E] (xavier uniform), `in_proj_bias` (zeros), `out_proj` (Linear, bias zeros), drawn from
 * the generator in PyTorch's order.
 *
 * @example
 * torch.manualSeed(0);
 * const mha = new torch.nn.MultiheadAttention(8, 2, { batchFirst: true });
 * const x = torch.randn(3, 5, 8);
 * const [y, w] = mha.call(x, x, x); // y [3, 5, 8], w [3, 5, 5]
 */
export class MultiheadAttention extends Module {
  declare embedDim: number;
  declare kdim: number;
  declare vdim: number;
  declare numHeads: number;
  declare dropout: number;
  declare batchFirst: boolean;
  declare headDim: number;
  declare addZeroAttn: boolean;
  declare in_proj_weight: Parameter | null;
  declare q_proj_weight: Parameter | null;
  declare k_proj_weight: Parameter | null;
  declare v_proj_weight: Parameter | null;
  declare in_proj_bias: Parameter | null;
  declare out_proj: NonDynamicallyQuantizableLinear;
  declare bias_k: Parameter | null;
  declare bias_v: Parameter | null;

  constructor(embedDim: number, numHeads: number, o: MultiheadAttentionOptions = {}) {
    super();
    const kdim = o.kdim ?? embedDim;
    const vdim = o.vdim ?? embedDim;
    const headDim = Math.floor(embedDim / numHeads);
    if (headDim * numHeads !== embedDim)
      throw new Error("embed_dim must be divisible by num_heads");
    Object.assign(this, {
      embedDim,
      kdim,
      vdim,
      numHeads,
      dropout: o.dropout ?? 0,
      batchFirst: o.batchFirst ?? false,
      headDim,
      addZeroAttn: o.addZeroAttn ?? false,
    });
    const dt = o.dtype ? { dtype: o.dtype } : {};
    const same = kdim === embedDim && vdim === embedDim;
    if (!same) {
      this.q_proj_weight = new Parameter(empty([embedDim, embedDim], dt));
      this.k_proj_weight = new Parameter(empty([embedDim, kdim], dt));
      this.v_proj_weight = new Parameter(empty([embedDim, vdim], dt));
      this.registerParameter("in_proj_weight", null);
    } else {
      this.in_proj_weight = new Parameter(empty([3 * embedDim, embedDim], dt));
      this.registerParameter("q_proj_weight", null);
      this.registerParameter("k_proj_weight", null);
      this.registerParameter("v_proj_weight", null);
    }
    const bias = o.bias ?? true;
    if (bias) this.in_proj_bias = new Parameter(empty([3 * embedDim], dt));
    else this.registerParameter("in_proj_bias", null);
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, {
      bias,
      dtype: o.dtype,
    });
    if (o.addBiasKv) {
      this.bias_k = new Parameter(empty([1, 1, embedDim], dt));
      this.bias_v = new Parameter(empty([1, 1, embedDim], dt));
    } else {
      Object.assign(this, { bias_k: null, bias_v: null });
    }
    this.resetParameters();
  }

  /** PyTorch's _reset_parameters: xavier-uniform projections, zero biases, xavier-normal bias_k/v. */
  resetParameters(): void {
    if (this.in_proj_weight !== null) xavierUniform(this.in_proj_weight);
    else {
      xavierUniform(this.q_proj_weight as Tensor);
      xavierUniform(this.k_proj_weight as Tensor);
      xavierUniform(this.v_proj_weight as Tensor);
    }
    noGrad(() => {
      if (this.in_proj_bias !== null) {
        this.in_proj_bias.zero_();
        this.out_proj.bias?.zero_();
      }
      for (const t of [this.bias_k, this.bias_v]) {
        if (t !== null) {
          // xavier_normal_: N(0, sqrt(2 / (fan_in + fan_out))) with fan_in = fan_out = embedDim
          t.normal_(0, Math.sqrt(2.0 / (t.shape[1] * t.shape[2] + t.shape[0] * t.shape[2])));
        }
      }
    });
  }

  override forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    opts: AttentionForwardOptions = {},
  ): [Tensor, Tensor | null] {
    const batched = query.dim() === 3;
    if (this.batchFirst && batched) {
      query = query.transpose(1, 0);
      key = key.transpose(1, 0);
      value = value.transpose(1, 0);
    }
    const [out, w] = multiHeadAttentionForward(
      query,
      key,
      value,
      {
        embedDim: this.embedDim,
        numHeads: this.numHeads,
        inProjWeight: this.in_proj_weight,
        inProjBias: this.in_proj_bias,
        qProjWeight: this.q_proj_weight,
        kProjWeight: this.k_proj_weight,
        vProjWeight: this.v_proj_weight,
        biasK: this.bias_k,
        biasV: this.bias_v,
        addZeroAttn: this.addZeroAttn,
        dropout: this.dropout,
        outProjWeight: this.out_proj.weight,
        outProjBias: this.out_proj.bias,
        training: this.training,
      },
      opts,
    );
    return [this.batchFirst && batched ? out.transpose(1, 0) : out, w];
  }
}
