/**
 * torch.nn.MultiheadAttention (its arithmetic is F.multi_head_attention_forward, in
 * mha-functional.ts).
 */
import type { Tensor } from "../tensor.js";
export type { AttentionForwardOptions } from "./mha-functional.js";
import type { DType } from "../dtype.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { empty } from "../ops/creation.js";
import { noGrad } from "../autograd/grad-mode.js";
import { mhaForward, type AttentionForwardOptions } from "./mha-functional.js";
import { xavierUniform } from "./layer-utils.js";
import { Linear } from "./linear.js";
import { ctorArgs } from "./ctor-args.js";
import { assertionError } from "../errors.js";

/**
 * The out_proj of MultiheadAttention: PyTorch's NonDynamicallyQuantizableLinear, a Linear (with
 * Linear's default initialisation) under another name.
 */
export class NonDynamicallyQuantizableLinear extends Linear {}

/** Options of MultiheadAttention. */
export interface MultiheadAttentionOptions {
  /** The model's total dimension (PyTorch's `embed_dim`). */
  embedDim?: number;
  /** The number of parallel attention heads (embedDim must be divisible by it). */
  numHeads?: number;
  /** Dropout on the attention weights (default 0). */
  dropout?: number;
  /** Whether the input and output projections have biases (default true). */
  bias?: boolean;
  /** Add a learnable bias to the key and value sequences (default false). */
  addBiasKv?: boolean;
  /** Add a batch of zeros to the key and value sequences (default false). */
  addZeroAttn?: boolean;
  /** key / value feature sizes (default embedDim) */
  kdim?: number | null;
  /** The number of features of the values (default: embedDim). */
  vdim?: number | null;
  /** inputs and output are [N, L, E] */
  batchFirst?: boolean;
  /** Only "cpu" (PyTorch's `device`). */
  device?: string | null;
  /** The parameters' dtype. */
  dtype?: DType | null;
}

/** MultiheadAttention's parameters in PyTorch's order. */
const MHA_NAMES = [
  "embedDim",
  "numHeads",
  "dropout",
  "bias",
  "addBiasKv",
  "addZeroAttn",
  "kdim",
  "vdim",
  "batchFirst",
  "device",
  "dtype",
] as const;

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
  /** The model's total dimension (PyTorch's `embed_dim`). */
  declare embedDim: number;
  /** The number of features of the keys (default: embedDim). */
  declare kdim: number;
  /** The number of features of the values (default: embedDim). */
  declare vdim: number;
  /** The number of parallel attention heads (embedDim must be divisible by it). */
  declare numHeads: number;
  /** Dropout on the attention weights (default 0). */
  declare dropout: number;
  /** Inputs and outputs as [batch, seq, feature] (default false). */
  declare batchFirst: boolean;
  /** embedDim / numHeads (PyTorch's `head_dim`). */
  declare headDim: number;
  /** Add a batch of zeros to the key and value sequences (default false). */
  declare addZeroAttn: boolean;
  /** The packed query/key/value projection weight [3 * embedDim, embedDim]. */
  declare in_proj_weight: Parameter | null;
  /** The query projection weight when kdim or vdim differ from embedDim. */
  declare q_proj_weight: Parameter | null;
  /** The key projection weight when kdim or vdim differ from embedDim. */
  declare k_proj_weight: Parameter | null;
  /** The value projection weight when kdim or vdim differ from embedDim. */
  declare v_proj_weight: Parameter | null;
  /** The packed projection bias [3 * embedDim], or null. */
  declare in_proj_bias: Parameter | null;
  /** The output projection (a Linear). */
  declare out_proj: NonDynamicallyQuantizableLinear;
  /** The learnable key bias of addBiasKv, or null. */
  declare bias_k: Parameter | null;
  /** The learnable value bias of addBiasKv, or null. */
  declare bias_v: Parameter | null;

  /**
   * PyTorch's MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True,
   * add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False,
   * device=None, dtype=None), positionally or by name.
   */
  constructor(
    ...args: (number | boolean | string | DType | null | undefined | MultiheadAttentionOptions)[]
  ) {
    super();
    const o = ctorArgs<Required<MultiheadAttentionOptions>>("MultiheadAttention", args, MHA_NAMES, {
      dropout: 0.0,
      bias: true,
      addBiasKv: false,
      addZeroAttn: false,
      kdim: null,
      vdim: null,
      batchFirst: false,
      device: null,
      dtype: null,
    });
    const { embedDim, numHeads } = o;
    const kdim = o.kdim ?? embedDim;
    const vdim = o.vdim ?? embedDim;
    const headDim = Math.floor(embedDim / numHeads);
    if (headDim * numHeads !== embedDim)
      throw assertionError("embed_dim must be divisible by num_heads");
    Object.assign(this, {
      embedDim,
      kdim,
      vdim,
      numHeads,
      dropout: o.dropout,
      batchFirst: o.batchFirst,
      headDim,
      addZeroAttn: o.addZeroAttn,
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
    const bias = o.bias;
    if (bias) this.in_proj_bias = new Parameter(empty([3 * embedDim], dt));
    else this.registerParameter("in_proj_bias", null);
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, {
      bias,
      dtype: o.dtype ?? undefined,
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
      // keep identity (self-attention takes the packed projection), as PyTorch's forward
      const same = query === key && key === value;
      const kv = key === value;
      query = query.transpose(1, 0);
      key = same ? query : key.transpose(1, 0);
      value = kv ? key : value.transpose(1, 0);
    }
    const [out, w] = mhaForward(
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
