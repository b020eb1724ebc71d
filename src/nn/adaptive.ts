/**
 * AdaptiveLogSoftmaxWithLoss (Grave et al., "Efficient softmax approximation for GPUs"): a head
 * over the shortlist of frequent classes plus one entry per cluster, and per cluster a tail of
 * two bias-free projections, as torch/nn/modules/adaptive.py (issue 11, h-nnloss). Seeded
 * construction draws the head, then each cluster's two Linear layers, as PyTorch does.
 */
import { namedTuple } from "../named-tuple.js";
import type { Tensor } from "../tensor.js";
import type { DType, DTypeName } from "../dtype.js";
import { int64 } from "../dtype.js";
import { Size } from "../tensor.js";
import { runtimeError, valueError } from "../errors.js";
import { Module } from "./module.js";
import { Linear } from "./linear.js";
import { ModuleList, Sequential } from "./container.js";
import * as F from "./functional.js";
import { ctorArgs } from "./ctor-args.js";

/** forward's named tuple (PyTorch's _ASMoutput): the target log-probabilities and the loss. */
export interface ASMOutput {
  /** The target's log-probability for each sample [N]. */
  output: Tensor;
  /** The mean loss (a scalar). */
  loss: Tensor;
  /** `output` by position, as the Python named tuple. */
  0: Tensor;
  /** `loss` by position, as the Python named tuple. */
  1: Tensor;
}

/** The options of nn.AdaptiveLogSoftmaxWithLoss. */
export interface AdaptiveLogSoftmaxOptions {
  /** The number of input features. */
  inFeatures?: number;
  /** The number of classes. */
  nClasses?: number;
  /** The increasing class indices at which the clusters start. */
  cutoffs?: readonly number[];
  /** The ratio by which cluster sizes shrink (PyTorch's `div_value`, default 4). */
  divValue?: number;
  device?: string | null;
  /** Whether the head classifier has a bias (default false). */
  headBias?: boolean;
  dtype?: DType | DTypeName;
}

/**
 * The adaptive softmax: `forward(input, target)` gives each target's log-probability and the
 * mean negative log likelihood; `logProb(input)` all classes' log-probabilities;
 * `predict(input)` the most likely class.
 * @example new torch.nn.AdaptiveLogSoftmaxWithLoss(16, 100, [10, 50], { divValue: 2 })
 */
export class AdaptiveLogSoftmaxWithLoss extends Module {
  /** The number of input features. */
  declare inFeatures: number;
  /** The number of classes. */
  declare nClasses: number;
  /** The increasing class indices at which the clusters start. */
  declare cutoffs: number[];
  /** The ratio by which cluster sizes shrink (PyTorch's `div_value`, default 4). */
  declare divValue: number;
  /** Whether the head classifier has a bias (default false). */
  declare headBias: boolean;
  /** The number of classes in the head (cutoffs[0]). */
  declare shortlistSize: number;
  /** The number of tail clusters. */
  declare nClusters: number;
  /** The head's output size: shortlistSize + nClusters. */
  declare headSize: number;
  /** The head classifier (shortlist and one output per cluster). */
  declare head: Linear;
  /** The tail clusters' projections (a ModuleList). */
  declare tail: ModuleList;
  constructor(
    inFeatures: number | AdaptiveLogSoftmaxOptions,
    nClasses?: number | AdaptiveLogSoftmaxOptions,
    cutoffs?: readonly number[] | AdaptiveLogSoftmaxOptions,
    divValue?: number | AdaptiveLogSoftmaxOptions,
    headBias?: boolean | AdaptiveLogSoftmaxOptions,
    ...rest: unknown[]
  ) {
    super();
    const a = ctorArgs<{
      inFeatures: number;
      nClasses: number;
      cutoffs: readonly number[];
      divValue: number;
      headBias: boolean;
      device: unknown;
      dtype: DType | DTypeName | null;
    }>(
      "AdaptiveLogSoftmaxWithLoss",
      [inFeatures, nClasses, cutoffs, divValue, headBias, ...rest],
      ["inFeatures", "nClasses", "cutoffs", "divValue", "headBias", "device", "dtype"],
      { divValue: 4.0, headBias: false, device: null, dtype: null },
    );
    const cs = [...a.cutoffs];
    const sorted = [...cs].sort((x, y) => x - y);
    if (
      cs.some((c, i) => c !== sorted[i]) ||
      Math.min(...cs) <= 0 ||
      Math.max(...cs) > a.nClasses - 1 ||
      new Set(cs).size !== cs.length ||
      cs.some((c) => !Number.isInteger(c))
    )
      throw valueError(
        "cutoffs should be a sequence of unique, positive integers sorted in an increasing order, where each value is between 1 and n_classes-1",
      );
    const dtype = a.dtype ?? undefined;
    this.inFeatures = a.inFeatures;
    this.nClasses = a.nClasses;
    this.cutoffs = [...cs, a.nClasses];
    this.divValue = a.divValue;
    this.headBias = a.headBias;
    this.shortlistSize = this.cutoffs[0];
    this.nClusters = this.cutoffs.length - 1;
    this.headSize = this.shortlistSize + this.nClusters;
    this.head = new Linear(this.inFeatures, this.headSize, { bias: this.headBias, dtype });
    this.tail = new ModuleList();
    for (let i = 0; i < this.nClusters; i++) {
      // int(in_features // div_value ** (i + 1)): Python's floor division
      const hsz = Math.floor(this.inFeatures / Math.pow(this.divValue, i + 1));
      const osz = this.cutoffs[i + 1] - this.cutoffs[i];
      this.tail.append(
        new Sequential(
          new Linear(this.inFeatures, hsz, { bias: false, dtype }),
          new Linear(hsz, osz, { bias: false, dtype }),
        ),
      );
    }
  }

  /** Re-draw the head and tail weights (PyTorch's reset_parameters). */
  resetParameters(): void {
    this.head.resetParameters();
    for (let i = 0; i < this.tail.length; i++) {
      const seq = this.tail.get(i) as Sequential;
      (seq.get(0) as Linear).resetParameters();
      (seq.get(1) as Linear).resetParameters();
    }
  }

  override forward(input_: Tensor, target_: Tensor): ASMOutput {
    const targDim = target_.dim();
    if (targDim === 1) {
      if (input_.shape[0] !== target_.shape[0])
        throw runtimeError("Input and target should have the same size in the batch dimension.");
      if (input_.dim() !== 2)
        throw runtimeError(
          `('1D target tensor expects 2D input tensors, but found inputs with size', ${new Size(input_.shape)})`,
        );
    } else if (targDim === 0) {
      if (input_.dim() !== 1)
        throw runtimeError(
          `('0D target tensor expects 1D input tensors, but found inputs with size', ${new Size(input_.shape)})`,
        );
    } else throw runtimeError("0D or 1D target tensor expected, multi-target not supported");
    const isBatched = targDim > 0;
    const input = isBatched ? input_ : input_.unsqueeze(0);
    const target = isBatched ? target_ : target_.unsqueeze(0);
    let usedRows = 0;
    const batchSize = target.shape[0];
    let output = input.newZeros([batchSize]);
    const gatherInds = target.newEmpty([batchSize]);
    const cutoffValues = [0, ...this.cutoffs];
    for (let i = 0; i < cutoffValues.length - 1; i++) {
      const low = cutoffValues[i];
      const high = cutoffValues[i + 1];
      const targetMask = target.ge(low).logicalAnd(target.lt(high));
      const rowIndices = targetMask.nonzero().squeeze();
      if (rowIndices.numel() === 0) continue;
      if (i === 0) gatherInds.indexCopy_(0, rowIndices, target.index(targetMask));
      else {
        const relativeTarget = target.index(targetMask).sub(low);
        const inputSubset = input.indexSelect(0, rowIndices);
        const clusterOutput = (this.tail.get(i - 1) as Sequential).call(inputSubset) as Tensor;
        gatherInds.indexFill_(0, rowIndices, this.shortlistSize + i - 1);
        const clusterLogprob = F.logSoftmax(clusterOutput, 1);
        const localLogprob = clusterLogprob.gather(1, relativeTarget.unsqueeze(1));
        output = output.indexCopy_(0, rowIndices, localLogprob.squeeze(1));
      }
      usedRows += rowIndices.numel();
    }
    if (usedRows !== batchSize)
      throw runtimeError(
        `Target values should be in [0, ${this.nClasses - 1}], but values in range [${target.min().item()}, ${target.max().item()}] were found. `,
      );
    const headLogprob = F.logSoftmax(this.head.call(input), 1);
    output = output.add_(headLogprob.gather(1, gatherInds.to(int64).unsqueeze(1)).squeeze());
    const loss = output.neg().mean();
    if (!isBatched) output = output.squeeze(0);
    return namedTuple({ output, loss, 0: output, 1: loss });
  }

  /** log_softmax over all n_classes: the shortlist from the head, each cluster's classes as
   * the cluster's log-probabilities plus the head's log-probability of the cluster. */
  private fullLogProb(input: Tensor, headOutput: Tensor): Tensor {
    const headLogprob = F.logSoftmax(headOutput, 1);
    const parts: Tensor[] = [headLogprob.narrow(1, 0, this.shortlistSize)];
    for (let i = 0; i < this.nClusters; i++) {
      const clusterLogprob = F.logSoftmax(
        (this.tail.get(i) as Sequential).call(input) as Tensor,
        1,
      );
      parts.push(clusterLogprob.add(headLogprob.select(1, this.shortlistSize + i).unsqueeze(1)));
    }
    const out = input.newEmpty([headOutput.shape[0], this.nClasses]);
    let start = 0;
    for (const p of parts) {
      out.narrow(1, start, p.shape[1]).copy_(p);
      start += p.shape[1];
    }
    return out;
  }

  /**
   * Log-probabilities of every class, (N, n_classes).
   * @example
   * const asm = new torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4]);
   * asm.logProb(torch.randn(3, 8)).exp().sum(1); // ones
   */
  logProb(input: Tensor): Tensor {
    return this.fullLogProb(input, this.head.call(input));
  }

  /**
   * The most likely class of each row (the head's argmax when it is in the shortlist, else
   * the argmax of the full log-probabilities).
   * @example
   * const asm = new torch.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4]);
   * asm.predict(torch.randn(3, 8)); // int64 [3], each in 0..9

   */
  predict(input: Tensor): Tensor {
    const headOutput = this.head.call(input);
    const output = headOutput.argmax(1);
    const notInShortlist = output.ge(this.shortlistSize);
    if (!notInShortlist.any().item()) return output;
    if (notInShortlist.all().item()) return this.fullLogProb(input, headOutput).argmax(1);
    const logProb = this.fullLogProb(input.index(notInShortlist), headOutput.index(notInShortlist));
    output.indexPut_([notInShortlist], logProb.argmax(1));
    return output;
  }
}
