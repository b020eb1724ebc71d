/**
 * Loss modules: MSELoss, L1Loss, SmoothL1Loss, HuberLoss, CrossEntropyLoss, NLLLoss, BCELoss,
 * BCEWithLogitsLoss, KLDivLoss. `forward(input, target)`; class weights are registered as
 * buffers (`weight`, `pos_weight`) as PyTorch's, so they appear in the state dict.
 */
import type { Tensor } from "../tensor.js";
import { Module } from "./module.js";
import * as F from "./functional.js";
import type { Reduction } from "../ops/nn.js";

/** `{ reduction }`: "mean" (default), "sum" or "none". */
export interface LossOptions {
  reduction?: Reduction;
}

/**
 * PyTorch's _Loss: holds the reduction.
 * @example class MyLoss extends torch.nn.Loss { forward(a, b) { return a.sub(b).abs().max(); } }
 */
export abstract class Loss extends Module {
  declare reduction: Reduction;
  constructor(opts: LossOptions = {}) {
    super();
    this.reduction = opts.reduction ?? "mean";
  }
  abstract override forward(input: Tensor, target: Tensor): Tensor;
}

/**
 * PyTorch's _WeightedLoss: a class-weight buffer.
 * @example new torch.nn.NLLLoss({ weight: torch.tensor([1, 2, 1]) }).weight
 */
export abstract class WeightedLoss extends Loss {
  declare weight: Tensor | null;
  constructor(opts: LossOptions & { weight?: Tensor | null } = {}) {
    super(opts);
    this.registerBuffer("weight", opts.weight ?? null);
  }
}

/**
 * Mean squared error.
 * @example new torch.nn.MSELoss().call(pred, target)
 */
export class MSELoss extends Loss {
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Mean absolute error.
 * @example new torch.nn.L1Loss({ reduction: "sum" }).call(pred, target)
 */
export class L1Loss extends Loss {
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, { reduction: this.reduction });
  }
}

/**
 * Smooth L1: quadratic below `beta`, linear above.
 * @example new torch.nn.SmoothL1Loss({ beta: 0.5 })
 */
export class SmoothL1Loss extends Loss {
  declare beta: number;
  constructor(opts: LossOptions & { beta?: number } = {}) {
    super(opts);
    this.beta = opts.beta ?? 1.0;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/**
 * Huber: quadratic below `delta`, delta-scaled linear above.
 * @example new torch.nn.HuberLoss({ delta: 2 })
 */
export class HuberLoss extends Loss {
  declare delta: number;
  constructor(opts: LossOptions & { delta?: number } = {}) {
    super(opts);
    this.delta = opts.delta ?? 1.0;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/**
 * Cross entropy of logits against class indices or class probabilities.
 * @example
 * const lossFn = new torch.nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
 * const loss = lossFn.call(logits, labels); // labels: int64 class indices
 */
export class CrossEntropyLoss extends WeightedLoss {
  declare ignoreIndex: number;
  declare labelSmoothing: number;
  constructor(opts: F.CrossEntropyOptions = {}) {
    super(opts);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0.0;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

/**
 * Negative log likelihood of log-probabilities at the target classes.
 * @example new torch.nn.NLLLoss().call(F.logSoftmax(z, 1), labels)
 */
export class NLLLoss extends WeightedLoss {
  declare ignoreIndex: number;
  constructor(opts: F.NLLLossOptions = {}) {
    super(opts);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
    });
  }
}

/**
 * Binary cross entropy of probabilities.
 * @example new torch.nn.BCELoss().call(torch.sigmoid(z), y)
 */
export class BCELoss extends WeightedLoss {
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/**
 * Sigmoid + binary cross entropy, numerically stable; `posWeight` weighs the positives.
 * @example new torch.nn.BCEWithLogitsLoss({ posWeight: torch.tensor([2]) })
 */
export class BCEWithLogitsLoss extends WeightedLoss {
  declare pos_weight: Tensor | null;
  constructor(opts: F.BCEWithLogitsOptions = {}) {
    super(opts);
    this.registerBuffer("pos_weight", opts.posWeight ?? null);
  }
  /** the positive-class weight (the buffer `pos_weight`) */
  get posWeight(): Tensor | null {
    return this.pos_weight;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, {
      weight: this.weight,
      posWeight: this.pos_weight,
      reduction: this.reduction,
    });
  }
}

/**
 * Kullback-Leibler divergence of log-probabilities `input` from `target`.
 * @example new torch.nn.KLDivLoss({ reduction: "batchmean" })
 */
export class KLDivLoss extends Module {
  declare reduction: Reduction | "batchmean";
  declare logTarget: boolean;
  constructor(opts: F.KLDivOptions = {}) {
    super();
    this.reduction = opts.reduction ?? "mean";
    this.logTarget = opts.logTarget ?? false;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}
