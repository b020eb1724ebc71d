/**
 * Dropout and Embedding.
 */
import { Tensor } from "../tensor.js";
import { type DType, type DTypeName, toDType, getDefaultDtype } from "../dtype.js";
import { alloc } from "../ops/core.js";
import { noGrad } from "../autograd/grad-mode.js";
import { formatPyFloat } from "../print.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import * as init from "./init.js";
import * as F from "./functional.js";
import { valueError } from "../errors.js";

/**
 * In training mode, zeroes each element with probability p and scales the rest by 1/(1-p); the
 * identity in eval mode. Draws its mask from the generator as PyTorch's CPU dropout does.
 * @example
 * const drop = new torch.nn.Dropout(0.2);
 * drop.call(x); drop.eval(); drop.call(x) === x;
 */
export class Dropout extends Module {
  declare p: number;
  declare inplace: boolean;

  constructor(p: number | { p?: number; inplace?: boolean } = 0.5, inplace = false) {
    super();
    const pv = typeof p === "object" ? (p.p ?? 0.5) : p;
    if (pv < 0 || pv > 1)
      throw valueError(`dropout probability has to be between 0 and 1, but got ${pv}`);
    this.p = pv;
    this.inplace = typeof p === "object" ? (p.inplace ?? false) : inplace;
  }

  override forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, { training: this.training, inplace: this.inplace });
  }

  override extraRepr(): string {
    return `p=${formatPyFloat(this.p)}, inplace=${this.inplace ? "True" : "False"}`;
  }
}

/** Options of Embedding. */
export interface EmbeddingModuleOptions {
  /** this row gets no gradient and starts at zeros */
  paddingIdx?: number | null;
  /** renormalise looked-up rows whose norm exceeds maxNorm */
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  sparse?: boolean;
  /** use this tensor as the weight instead of N(0, 1) */
  _weight?: Tensor | null;
  dtype?: DType | DTypeName;
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, initialised N(0, 1) as
 * PyTorch (the padding row zeroed).
 * @example
 * const emb = new torch.nn.Embedding(10, 3, { paddingIdx: 0 });
 * emb.call(torch.tensor([[1, 2], [0, 9]], { dtype: torch.int64 })).shape; // [2, 2, 3]
 */
export class Embedding extends Module {
  declare numEmbeddings: number;
  declare embeddingDim: number;
  declare paddingIdx: number | null;
  declare maxNorm: number | null;
  declare normType: number;
  declare scaleGradByFreq: boolean;
  declare sparse: boolean;
  declare weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingModuleOptions = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (pad > 0) {
        if (!(pad < numEmbeddings)) throw new Error("Padding_idx must be within num_embeddings");
      } else if (pad < 0) {
        if (!(pad >= -numEmbeddings)) throw new Error("Padding_idx must be within num_embeddings");
        pad = numEmbeddings + pad;
      }
    }
    this.paddingIdx = pad;
    this.maxNorm = opts.maxNorm ?? null;
    this.normType = opts.normType ?? 2.0;
    this.scaleGradByFreq = opts.scaleGradByFreq ?? false;
    this.sparse = opts.sparse ?? false;
    if (opts._weight !== undefined && opts._weight !== null) {
      const w = opts._weight;
      if (w.dim() !== 2 || w.shape[0] !== numEmbeddings || w.shape[1] !== embeddingDim)
        throw new Error("Shape of weight does not match num_embeddings and embedding_dim");
      this.weight = new Parameter(w);
    } else {
      const dt = toDType(opts.dtype) ?? getDefaultDtype();
      this.weight = new Parameter(alloc([numEmbeddings, embeddingDim], dt));
      this.resetParameters();
    }
  }

  /** N(0, 1), then the padding row zeroed. */
  resetParameters(): void {
    init.normal_(this.weight);
    this.fillPaddingIdxWithZero();
  }

  private fillPaddingIdxWithZero(): void {
    if (this.paddingIdx !== null) {
      const idx = this.paddingIdx;
      noGrad(() => this.weight.select(0, idx).fill_(0));
    }
  }

  /**
   * An Embedding holding `embeddings` (frozen unless `freeze: false`).
   * @example torch.nn.Embedding.fromPretrained(torch.randn(5, 2))
   */
  static fromPretrained(
    embeddings: Tensor,
    opts: Omit<EmbeddingModuleOptions, "_weight" | "dtype"> & { freeze?: boolean } = {},
  ): Embedding {
    if (embeddings.dim() !== 2)
      throw new Error("Embeddings parameter is expected to be 2-dimensional");
    const [rows, cols] = embeddings.shape;
    const e = new Embedding(rows, cols, { ...opts, _weight: embeddings });
    e.weight.requiresGrad_(!(opts.freeze ?? true));
    return e;
  }

  override forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight, {
      paddingIdx: this.paddingIdx,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
      sparse: this.sparse,
    });
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${formatPyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${formatPyFloat(this.normType)}`;
    if (this.scaleGradByFreq) s += ", scale_grad_by_freq=True";
    if (this.sparse) s += ", sparse=True";
    return s;
  }
}
