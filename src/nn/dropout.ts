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
import { assertionError } from "../errors.js";
import { ctorArgs } from "./ctor-args.js";
import { DropoutNd } from "./dropout-layers.js";

/**
 * In training mode, zeroes each element with probability p and scales the rest by 1/(1-p); the
 * identity in eval mode. Draws its mask from the generator as PyTorch's CPU dropout does.
 * @example
 * const drop = new torch.nn.Dropout(0.2);
 * const x = torch.ones(8);
 * drop.call(x); // each element 0 or 1.25
 * drop.eval();
 * drop.call(x) === x; // true: the identity in eval mode

 */
export class Dropout extends DropoutNd {
  override forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, { training: this.training, inplace: this.inplace });
  }
}

/** Options of Embedding. */
export interface EmbeddingModuleOptions {
  /** The size of the dictionary (PyTorch's `num_embeddings`). */
  numEmbeddings?: number;
  /** The size of each embedding vector (PyTorch's `embedding_dim`). */
  embeddingDim?: number;
  /** this row gets no gradient and starts at zeros */
  paddingIdx?: number | null;
  /** renormalise looked-up rows whose norm exceeds maxNorm */
  maxNorm?: number | null;
  /** The p of the norm for maxNorm (default 2). */
  normType?: number;
  /** Scale gradients by the inverse frequency of the words in the batch (default false). */
  scaleGradByFreq?: boolean;
  /**
   * Give the weight a sparse COO gradient (embedding_sparse_backward: the used rows only,
   * uncoalesced), for optim.SparseAdam, SGD or Adagrad (default false).
   */
  sparse?: boolean;
  /** use this tensor as the weight instead of N(0, 1) */
  _weight?: Tensor | null;
  /** Only "cpu" (PyTorch's `device`). */
  device?: string | null;
  /** The weight's dtype (default: the default dtype). */
  dtype?: DType | DTypeName | null;
}

/** Embedding's parameters in PyTorch's order. */
const EMBEDDING_NAMES = [
  "numEmbeddings",
  "embeddingDim",
  "paddingIdx",
  "maxNorm",
  "normType",
  "scaleGradByFreq",
  "sparse",
  "_weight",
  "device",
  "dtype",
] as const;

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, initialised N(0, 1) as
 * PyTorch (the padding row zeroed).
 * @example
 * const emb = new torch.nn.Embedding(10, 3, { paddingIdx: 0 });
 * emb.call(torch.tensor([[1, 2], [0, 9]], { dtype: torch.int64 })).shape; // [2, 2, 3]
 */
export class Embedding extends Module {
  static override forwardArgs = ["input"];
  /** The size of the dictionary (PyTorch's `num_embeddings`). */
  declare numEmbeddings: number;
  /** The size of each embedding vector (PyTorch's `embedding_dim`). */
  declare embeddingDim: number;
  /** An index whose embedding gets no gradient (PyTorch's `padding_idx`). */
  declare paddingIdx: number | null;
  /** Renormalise embeddings whose norm exceeds this (PyTorch's `max_norm`). */
  declare maxNorm: number | null;
  /** The p of the norm for maxNorm (default 2). */
  declare normType: number;
  /** Scale gradients by the inverse frequency of the words in the batch (default false). */
  declare scaleGradByFreq: boolean;
  /**
   * Give the weight a sparse COO gradient (embedding_sparse_backward: the used rows only,
   * uncoalesced), for optim.SparseAdam, SGD or Adagrad (default false).
   */
  declare sparse: boolean;
  /** The learnable embeddings [numEmbeddings, embeddingDim], drawn from N(0, 1). */
  declare weight: Parameter;

  /**
   * PyTorch's Embedding(num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
   * norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None, device=None,
   * dtype=None), positionally or by name.
   */
  constructor(
    numEmbeddings: number | EmbeddingModuleOptions,
    embeddingDim?: number | EmbeddingModuleOptions,
    ...rest: (
      number | boolean | string | Tensor | DType | null | undefined | EmbeddingModuleOptions
    )[]
  ) {
    super();
    const opts = ctorArgs<Required<EmbeddingModuleOptions>>(
      "Embedding",
      [numEmbeddings, embeddingDim, ...rest],
      EMBEDDING_NAMES,
      {
        paddingIdx: null,
        maxNorm: null,
        normType: 2.0,
        scaleGradByFreq: false,
        sparse: false,
        _weight: null,
        device: null,
        dtype: null,
      },
    );
    const n = opts.numEmbeddings;
    this.numEmbeddings = n;
    this.embeddingDim = opts.embeddingDim;
    let pad = opts.paddingIdx;
    if (pad !== null) {
      if (pad > 0) {
        if (!(pad < n)) throw assertionError("Padding_idx must be within num_embeddings");
      } else if (pad < 0) {
        if (!(pad >= -n)) throw assertionError("Padding_idx must be within num_embeddings");
        pad = n + pad;
      }
    }
    this.paddingIdx = pad;
    this.maxNorm = opts.maxNorm;
    this.normType = opts.normType;
    this.scaleGradByFreq = opts.scaleGradByFreq;
    this.sparse = opts.sparse;
    if (opts._weight !== null) {
      const w = opts._weight;
      if (w.dim() !== 2 || w.shape[0] !== n || w.shape[1] !== this.embeddingDim)
        throw assertionError("Shape of weight does not match num_embeddings and embedding_dim");
      this.weight = new Parameter(w);
    } else {
      const dt = toDType(opts.dtype ?? undefined) ?? getDefaultDtype();
      this.weight = new Parameter(alloc([n, this.embeddingDim], dt));
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
      throw assertionError("Embeddings parameter is expected to be 2-dimensional");
    const [rows, cols] = embeddings.shape;
    const { freeze, ...rest } = opts;
    const e = new Embedding(rows, cols, { ...rest, _weight: embeddings });
    e.weight.requiresGrad_(!(freeze ?? true));
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
