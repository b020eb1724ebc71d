/**
 * torch.nn.EmbeddingBag (issue 11, h-nnact): a lookup table whose forward reduces each bag of
 * indices to one row (sum, mean or max; F.embedding_bag). Weight initialised N(0, 1) as
 * PyTorch's (the padding row zeroed). With `sparse: true` the weight's gradient is a sparse COO
 * tensor (PyTorch's _embedding_bag_sparse_backward: one row per non-padding index, the bag's
 * gradient scaled as the forward scaled the row).
 */
import type { Tensor } from "../tensor.js";
import { type DType, type DTypeName, toDType, getDefaultDtype } from "../dtype.js";
import { alloc } from "../ops/core.js";
import { noGrad } from "../autograd/grad-mode.js";
import { formatPyFloat } from "../print.js";
import { assertionError } from "../errors.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import * as init from "./init.js";
import * as F from "./functional.js";
import { ctorArgs } from "./ctor-args.js";

/** EmbeddingBag's arguments after numEmbeddings and embeddingDim. */
export interface EmbeddingBagOptions {
  /** Renormalise embeddings whose norm exceeds this (PyTorch's `max_norm`). */
  maxNorm?: number | null;
  /** The p of the norm for maxNorm (default 2). */
  normType?: number;
  /** Scale gradients by the inverse frequency of the words in the batch (default false). */
  scaleGradByFreq?: boolean;
  /** How a bag's embeddings are reduced: "sum", "mean" (default) or "max". */
  mode?: "sum" | "mean" | "max";
  /** Give the weight a sparse COO gradient (sum and mean modes; default false). */
  sparse?: boolean;
  _weight?: Tensor | null;
  /** Whether offsets has one more entry, the end of the last bag (default false). */
  includeLastOffset?: boolean;
  /** An index excluded from the bags (PyTorch's `padding_idx`). */
  paddingIdx?: number | null;
  /** The weight's dtype (default: the default dtype). */
  dtype?: DType | DTypeName | null;
}

type BagArgs = Required<EmbeddingBagOptions> & {
  /** The size of the dictionary (PyTorch's `num_embeddings`). */
  numEmbeddings: number;
  /** The size of each embedding vector (PyTorch's `embedding_dim`). */
  embeddingDim: number;
  /** Only "cpu" (PyTorch's `device`). */
  device: unknown;
};

const NAMES = [
  "numEmbeddings",
  "embeddingDim",
  "maxNorm",
  "normType",
  "scaleGradByFreq",
  "mode",
  "sparse",
  "_weight",
  "includeLastOffset",
  "paddingIdx",
  "device",
  "dtype",
] as const;

/**
 * Sums, means or maxima of bags of embeddings, without building the per-index embeddings.
 * @example
 * const bag = new torch.nn.EmbeddingBag(10, 3, { mode: "sum" });
 * const ids = torch.tensor([1, 2, 4, 5, 4, 3], { dtype: torch.int64 });
 * bag.call(ids, torch.tensor([0, 3], { dtype: torch.int64 })).shape; // [2, 3]

 */
export class EmbeddingBag extends Module {
  /** The size of the dictionary (PyTorch's `num_embeddings`). */
  declare numEmbeddings: number;
  /** The size of each embedding vector (PyTorch's `embedding_dim`). */
  declare embeddingDim: number;
  /** Renormalise embeddings whose norm exceeds this (PyTorch's `max_norm`). */
  declare maxNorm: number | null;
  /** The p of the norm for maxNorm (default 2). */
  declare normType: number;
  /** Scale gradients by the inverse frequency of the words in the batch (default false). */
  declare scaleGradByFreq: boolean;
  /** How a bag's embeddings are reduced: "sum", "mean" (default) or "max". */
  declare mode: "sum" | "mean" | "max";
  /** Whether the weight's gradient is a sparse COO tensor (sum and mean modes). */
  declare sparse: boolean;
  /** Whether offsets has one more entry, the end of the last bag (default false). */
  declare includeLastOffset: boolean;
  /** An index excluded from the bags (PyTorch's `padding_idx`). */
  declare paddingIdx: number | null;
  /** The learnable embeddings [numEmbeddings, embeddingDim], drawn from N(0, 1). */
  declare weight: Parameter;

  constructor(
    numEmbeddings: number | (EmbeddingBagOptions & { numEmbeddings: number; embeddingDim: number }),
    embeddingDim?: number | EmbeddingBagOptions,
    ...rest: unknown[]
  ) {
    super();
    const a = ctorArgs<BagArgs>("EmbeddingBag", [numEmbeddings, embeddingDim, ...rest], NAMES, {
      maxNorm: null,
      normType: 2.0,
      scaleGradByFreq: false,
      mode: "mean",
      sparse: false,
      _weight: null,
      includeLastOffset: false,
      paddingIdx: null,
      device: null,
      dtype: null,
    });
    this.numEmbeddings = a.numEmbeddings;
    this.embeddingDim = a.embeddingDim;
    this.maxNorm = a.maxNorm;
    this.normType = a.normType;
    this.scaleGradByFreq = a.scaleGradByFreq;
    let pad = a.paddingIdx;
    if (pad !== null) {
      if (pad > 0 && !(pad < a.numEmbeddings))
        throw assertionError("padding_idx must be within num_embeddings");
      if (pad < 0) {
        if (!(pad >= -a.numEmbeddings))
          throw assertionError("padding_idx must be within num_embeddings");
        pad = a.numEmbeddings + pad;
      }
    }
    this.paddingIdx = pad;
    if (a._weight === null) {
      const dt = toDType(a.dtype ?? undefined) ?? getDefaultDtype();
      this.weight = new Parameter(alloc([a.numEmbeddings, a.embeddingDim], dt));
      this.resetParameters();
    } else {
      const w = a._weight;
      if (w.dim() !== 2 || w.shape[0] !== a.numEmbeddings || w.shape[1] !== a.embeddingDim)
        throw assertionError("Shape of weight does not match num_embeddings and embedding_dim");
      this.weight = new Parameter(w);
    }
    this.mode = a.mode;
    this.sparse = a.sparse;
    this.includeLastOffset = a.includeLastOffset;
  }

  /** N(0, 1), then the padding row zeroed. */
  resetParameters(): void {
    init.normal_(this.weight);
    if (this.paddingIdx !== null) {
      const idx = this.paddingIdx;
      noGrad(() => this.weight.select(0, idx).fill_(0));
    }
  }

  /**
   * An EmbeddingBag holding `embeddings` (frozen unless `freeze: false`).
   * @example torch.nn.EmbeddingBag.fromPretrained(torch.randn(5, 2), { mode: "max" })
   */
  static fromPretrained(
    embeddings: Tensor,
    opts: Omit<EmbeddingBagOptions, "_weight" | "dtype"> & { freeze?: boolean } = {},
  ): EmbeddingBag {
    if (embeddings.dim() !== 2)
      throw assertionError("Embeddings parameter is expected to be 2-dimensional");
    const [rows, cols] = embeddings.shape;
    const { freeze, ...rest } = opts;
    const e = new EmbeddingBag(rows, cols, { ...rest, _weight: embeddings });
    e.weight.requiresGrad_(!(freeze ?? true));
    return e;
  }

  override forward(
    input: Tensor,
    offsets: Tensor | null = null,
    perSampleWeights: Tensor | null = null,
  ): Tensor {
    return F.embeddingBag(input, this.weight, offsets, {
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
      mode: this.mode,
      sparse: this.sparse,
      perSampleWeights,
      includeLastOffset: this.includeLastOffset,
      paddingIdx: this.paddingIdx,
    });
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.maxNorm !== null) s += `, max_norm=${formatPyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${formatPyFloat(this.normType)}`;
    if (this.scaleGradByFreq) s += ", scale_grad_by_freq=True";
    s += `, mode=${this.mode}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    return s;
  }
}
