/**
 * torch.nn.functional: activations, softmax, distances, dropout, linear layers, embedding,
 * convolution, pooling, normalisation and losses. Each function is an op of the registry
 * (src/registry/ops/nn.ts, loss.ts) with PyTorch's full signature: every argument positionally
 * in PyTorch's order or by its camelCased name in a trailing options object, and PyTorch's
 * errors for wrong calls (CPython's for PyTorch's pure-Python functions). The typed functions
 * are generated (src/generated/nn-functional.ts); this module re-exports them with a few
 * helpers.
 *
 * @example
 * import * as torch from "tensorgrad";
 * const F = torch.nn.functional;
 * const logits = torch.randn(4, 3);
 * const labels = torch.tensor([0, 2, 1, 0], { dtype: torch.int64 });
 * const loss = F.crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 */
import type { Tensor } from "../tensor.js";
import type { Reduction } from "../ops/nn.js";
import { fillBernoulli, type CPUGeneratorImpl } from "../random.js";
import { defaultGenerator } from "../generator.js";
import { assertionError, runtimeError } from "../errors.js";
import { embeddingRenorm } from "../registry/ops/nn.js";

export * from "../generated/nn-functional.js";
/** max_pool2d's values and indices (the name tensorgrad used before `maxPool2dWithIndices`). */
export { maxPool2dWithIndices as maxPool2dIndices } from "../generated/nn-functional.js";
export type { Reduction };

/** A size given as one int for every dimension or one per dimension. */
export type IntOrTuple = number | readonly number[];
/** Convolution padding: sizes, or PyTorch's "valid" (none) / "same" (output size = input size). */
export type ConvPadding = IntOrTuple | "valid" | "same";

/** `{ reduction }` of the losses (nn.*Loss constructors): "mean" (default), "sum" or "none". */
export interface ReductionOptions {
  /** "mean" (default), "sum" or "none". */
  reduction?: Reduction;
}

/** The options of nn.NLLLoss (nll_loss's keyword arguments). */
export interface NLLLossOptions extends ReductionOptions {
  /** a weight per class */
  weight?: Tensor | null;
  /** target value that contributes nothing (default -100) */
  ignoreIndex?: number;
}

/** The options of nn.CrossEntropyLoss (cross_entropy's keyword arguments). */
export interface CrossEntropyOptions extends NLLLossOptions {
  /** mix the target with the uniform distribution: (1 - s) * target + s / C */
  labelSmoothing?: number;
}

/** The options of nn.BCELoss. */
export interface BCEOptions extends ReductionOptions {
  /** a rescaling weight broadcast to the input */
  weight?: Tensor | null;
}

/** The options of nn.BCEWithLogitsLoss. */
export interface BCEWithLogitsOptions extends BCEOptions {
  /** weight of the positive examples, per class (broadcast along the last dim) */
  posWeight?: Tensor | null;
}

/** The options of nn.KLDivLoss. */
export interface KLDivOptions {
  /** "mean" (PyTorch's default, with its warning), "batchmean", "sum" or "none" */
  reduction?: Reduction | "batchmean";
  /** whether the target is given as log-probabilities */
  logTarget?: boolean;
}

/**
 * Expand an int to `n` entries; check an array has `n` (PyTorch's _pair / _single, with the
 * convolutions' message).
 * @example ntuple(3, 2) // [3, 3]
 */
export function ntuple(v: IntOrTuple, n: number, name = "argument"): number[] {
  if (typeof v === "number") return new Array<number>(n).fill(v);
  if (v.length === 1 && n > 1) return new Array<number>(n).fill(v[0]);
  if (v.length !== n) {
    throw runtimeError(
      `expected ${name} to be a single integer value or a list of ${n} values to match the convolution dimensions, but got ${name}=[${v.join(", ")}]`,
    );
  }
  return v.slice();
}

/**
 * Fill `out` with bernoulli(p) samples, as PyTorch's CPU `bernoulli_(p)`: one double uniform per
 * element (two 32-bit draws), 1 where it is < p.
 * @example const mask = new Float32Array(10); F.bernoulliFill(mask, 0.8);
 */
export function bernoulliFill(
  out: Float32Array | Float64Array,
  p: number,
  gen: CPUGeneratorImpl = defaultGenerator,
): void {
  fillBernoulli(out, p, gen);
}

/**
 * Rescale (in place, without recording) the rows of weight used by `indices` whose norm
 * exceeds maxNorm (PyTorch's torch.embedding_renorm_).
 * @example
 * const emb = new torch.nn.Embedding(5, 3);
 * const idx = torch.tensor([0, 2], { dtype: torch.int64 });
 * torch.noGrad(() => F.embeddingRenorm_(emb.weight, idx, 1.0, 2)); // rows 0 and 2 now have norm ≤ 1
 */
export function embeddingRenorm_(
  weight: Tensor,
  indices: Tensor,
  maxNorm: number,
  normType: number,
): void {
  embeddingRenorm(weight, indices, maxNorm, normType);
}

// transformers (h-nntf): PyTorch 1.13's multi_head_attention_forward
export {
  multiHeadAttentionForward,
  type MultiHeadAttentionForwardOptions,
} from "./mha-functional.js";

/** torch.nn.functional.native_channel_shuffle: ATen's channel shuffle (torch.nativeChannelShuffle). */
export { nativeChannelShuffle } from "../generated/functions.js";

/**
 * torch.nn.functional.assert_int_or_pair: Python's `assert` that `arg` is an int or a pair, with
 * `message` formatted with `argName` (str.format's `{}`) as the AssertionError's text.
 * @example F.assertIntOrPair([2, 2], "kernel_size", "{} must be int or pair") === undefined // true


 */
export function assertIntOrPair(
  arg: number | readonly number[],
  argName: string,
  message: string,
): void {
  if (typeof arg === "number" || arg.length === 2) return;
  throw assertionError(message.replace("{}", argName));
}
