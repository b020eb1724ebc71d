/**
 * Distance modules: PairwiseDistance and CosineSimilarity, over torch.nn.functional's
 * pairwise_distance and cosine_similarity (issue 11, h-nnloss). Arguments in PyTorch's order
 * or by camelCased name in a trailing options object.
 */
import type { Tensor } from "../tensor.js";
import { Module } from "./module.js";
import * as F from "./functional.js";
import { ctorArgs } from "./ctor-args.js";

/**
 * ||x1 - x2 + eps||_p over the last dimension.
 * @example new torch.nn.PairwiseDistance(1).call(torch.tensor([[0, 0]]), torch.tensor([[3, 4]])) // tensor([7.0000])
 */
export class PairwiseDistance extends Module {
  /** p, named `norm` as PyTorch's attribute */
  declare norm: number;
  /** A small value against division by zero (PyTorch's `eps`). */
  declare eps: number;
  /** Keep the reduced dim with size 1 (PyTorch's `keepdim`). */
  declare keepdim: boolean;
  constructor(
    p?: number | { p?: number; eps?: number; keepdim?: boolean },
    eps?: number | { eps?: number; keepdim?: boolean },
    keepdim?: boolean | { keepdim?: boolean },
    ...extra: never[]
  ) {
    super();
    const a = ctorArgs<{ p: number; eps: number; keepdim: boolean }>(
      "PairwiseDistance",
      [p, eps, keepdim, ...extra],
      ["p", "eps", "keepdim"],
      { p: 2.0, eps: 1e-6, keepdim: false },
    );
    this.norm = a.p;
    this.eps = a.eps;
    this.keepdim = a.keepdim;
  }
  override forward(x1: Tensor, x2: Tensor): Tensor {
    return F.pairwiseDistance(x1, x2, this.norm, this.eps, this.keepdim);
  }
}

/**
 * The cosine similarity x1.x2 / (max(||x1||, eps) max(||x2||, eps)) along `dim`.
 * @example new torch.nn.CosineSimilarity(0).call(torch.tensor([1, 0]), torch.tensor([1, 1])) // tensor(0.7071)

 */
export class CosineSimilarity extends Module {
  /** The dim along which the similarity is computed (PyTorch's `dim`). */
  declare dim: number;
  /** A small value against division by zero (PyTorch's `eps`). */
  declare eps: number;
  constructor(
    dim?: number | { dim?: number; eps?: number },
    eps?: number | { eps?: number },
    ...extra: never[]
  ) {
    super();
    const a = ctorArgs<{ dim: number; eps: number }>(
      "CosineSimilarity",
      [dim, eps, ...extra],
      ["dim", "eps"],
      { dim: 1, eps: 1e-8 },
    );
    this.dim = a.dim;
    this.eps = a.eps;
  }
  override forward(x1: Tensor, x2: Tensor): Tensor {
    return F.cosineSimilarity(x1, x2, this.dim, this.eps);
  }
}
