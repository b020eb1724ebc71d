/**
 * Loss modules: MSELoss, L1Loss, SmoothL1Loss, HuberLoss, CrossEntropyLoss, NLLLoss, BCELoss,
 * BCEWithLogitsLoss, KLDivLoss. `forward(input, target)`; class weights are registered as
 * buffers (`weight`, `pos_weight`) as PyTorch's, so they appear in the state dict.
 */
import type { Tensor } from "../tensor.js";
import { Module } from "./module.js";
import * as F from "./functional.js";
import type { Reduction } from "../ops/nn.js";
import { assertionError, typeError, valueError } from "../errors.js";
import { legacyGetString } from "../registry/ops/loss.js";
import { warn } from "../registry/ops/nn.js";
import { ctorArgs, optional } from "./ctor-args.js";
import { PairwiseDistance } from "./distance.js";

/** `{ reduction }`: "mean" (default), "sum" or "none". */
export interface LossOptions {
  /** "mean" (default), "sum" or "none"; "batchmean" too for KLDivLoss. */
  reduction?: Reduction;
}

/**
 * PyTorch's _Loss: holds the reduction.
 * @example class MyLoss extends torch.nn.Loss { forward(a, b) { return a.sub(b).abs().max(); } }
 */
export abstract class Loss extends Module {
  /** How the per-element losses are combined: `"mean"` (default), `"sum"` or `"none"` (PyTorch's `reduction`). */
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
  /** The per-class rescaling weight buffer, or null (PyTorch's `weight`). */
  declare weight: Tensor | null;
  constructor(opts: LossOptions & { weight?: Tensor | null } = {}) {
    super(opts);
    this.registerBuffer("weight", opts.weight ?? null);
  }
}

// ---------------------------------------------------------------------------------------------
// issue 11: the remaining losses (h-nnloss). Constructor arguments in PyTorch's order, or by
// camelCased name in a trailing options object; the deprecated sizeAverage / reduce choose the
// reduction as PyTorch's _Loss does (legacy_get_string, with its warning).

/** _Loss's reduction: legacy_get_string(size_average, reduce) when either is given. */
function lossReduction(a: Record<string, unknown>): Reduction {
  const sa = (a.sizeAverage ?? null) as boolean | null;
  const rd = (a.reduce ?? null) as boolean | null;
  return sa !== null || rd !== null
    ? legacyGetString(sa, rd)
    : ((a.reduction ?? "mean") as Reduction);
}

/** The deprecated flags every _Loss takes: `sizeAverage`, `reduce` (null: not given). */
export interface LegacyReductionOptions extends LossOptions {
  /** Deprecated (use reduction): average (true) or sum (false) over the batch. */
  sizeAverage?: boolean | null;
  /** Deprecated (use reduction): false returns per-element losses. */
  reduce?: boolean | null;
}

/**
 * A loss's constructor arguments through the module binder (ctor-args.ts): every parameter of a
 * loss is optional; "not given" stays undefined so the deprecated flags can be told apart.
 */
function lossArgs(
  cls: string,
  raw: readonly unknown[],
  names: readonly string[],
  kwOnly: readonly string[] = [],
): Record<string, unknown> {
  return ctorArgs(cls, raw, names, optional([...names, ...kwOnly]), { kwOnly });
}

/** The parameters of _Loss, in PyTorch's order. */
const LEGACY_NAMES = ["sizeAverage", "reduce", "reduction"];

/** The options of nn.SmoothL1Loss. */
export type SmoothL1Options = LegacyReductionOptions & {
  /** Where the loss turns from quadratic to linear (default 1). */
  beta?: number;
};
/** The options of nn.CrossEntropyLoss. */
export type CrossEntropyLossOptions = F.CrossEntropyOptions & LegacyReductionOptions;
/** The options of nn.BCEWithLogitsLoss. */
export type BCEWithLogitsLossOptions = F.BCEWithLogitsOptions & LegacyReductionOptions;
/** The options of nn.KLDivLoss. */
export type KLDivLossOptions = F.KLDivOptions & Omit<LegacyReductionOptions, "reduction">;

/**
 * Mean squared error.
 * @example new torch.nn.MSELoss().call(torch.tensor([1, 2]), torch.tensor([1, 4])) // tensor(2.)
 */
export class MSELoss extends Loss {
  constructor(...args: LegacyOnlyArgs) {
    super({ reduction: lossReduction(lossArgs("MSELoss", args, LEGACY_NAMES)) });
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Mean absolute error.
 * @example new torch.nn.L1Loss({ reduction: "sum" }).call(torch.tensor([1, 2]), torch.tensor([0, 4])) // tensor(3.)
 */
export class L1Loss extends Loss {
  constructor(...args: LegacyOnlyArgs) {
    super({ reduction: lossReduction(lossArgs("L1Loss", args, LEGACY_NAMES)) });
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, { reduction: this.reduction });
  }
}

/**
 * Smooth L1: quadratic below `beta`, linear above.
 * @example new torch.nn.SmoothL1Loss({ beta: 0.5 })
 */
export class SmoothL1Loss extends Loss {
  /** Where the loss changes from quadratic to linear (PyTorch's `beta`). */
  declare beta: number;
  constructor(
    sizeAverage?: boolean | null | SmoothL1Options,
    reduce?: boolean | null | SmoothL1Options,
    reduction?: Reduction | SmoothL1Options,
    beta?: number | SmoothL1Options,
    ...extra: never[]
  ) {
    const a = lossArgs(
      "SmoothL1Loss",
      [sizeAverage, reduce, reduction, beta, ...extra],
      [...LEGACY_NAMES, "beta"],
    );
    super({ reduction: lossReduction(a) });
    this.beta = (a.beta ?? 1.0) as number;
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
  /** Where the loss changes from quadratic to linear (PyTorch's `delta`). */
  declare delta: number;
  constructor(
    reduction?: Reduction | (LossOptions & { delta?: number }),
    delta?: number | { delta?: number },
    ...extra: never[]
  ) {
    const a = lossArgs("HuberLoss", [reduction, delta, ...extra], ["reduction", "delta"]);
    super({ reduction: (a.reduction ?? "mean") as Reduction });
    this.delta = (a.delta ?? 1.0) as number;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/**
 * Cross entropy of logits against class indices or class probabilities.
 * @example
 * const lossFn = new torch.nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
 * const logits = torch.randn(4, 3);
 * const labels = torch.tensor([0, 2, 1, 0], { dtype: torch.int64 }); // int64 class indices
 * const loss = lossFn.call(logits, labels);
 */
export class CrossEntropyLoss extends WeightedLoss {
  /** A target value that contributes nothing to the loss or its gradient (PyTorch's `ignore_index`). */
  declare ignoreIndex: number;
  /** The amount of smoothing of the target distribution, in [0, 1] (PyTorch's `label_smoothing`). */
  declare labelSmoothing: number;
  constructor(
    weight?: Tensor | null | CrossEntropyLossOptions,
    sizeAverage?: boolean | null | CrossEntropyLossOptions,
    ignoreIndex?: number | CrossEntropyLossOptions,
    reduce?: boolean | null | CrossEntropyLossOptions,
    reduction?: Reduction | CrossEntropyLossOptions,
    labelSmoothing?: number | CrossEntropyLossOptions,
    ...extra: never[]
  ) {
    const a = lossArgs(
      "CrossEntropyLoss",
      [weight, sizeAverage, ignoreIndex, reduce, reduction, labelSmoothing, ...extra],
      ["weight", "sizeAverage", "ignoreIndex", "reduce", "reduction", "labelSmoothing"],
    );
    super({ reduction: lossReduction(a), weight: (a.weight ?? null) as Tensor | null });
    this.ignoreIndex = (a.ignoreIndex ?? -100) as number;
    this.labelSmoothing = (a.labelSmoothing ?? 0.0) as number;
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
 * @example new torch.nn.NLLLoss().call(F.logSoftmax(torch.tensor([[1, 2], [3, 1]]), 1), torch.tensor([1, 0], { dtype: torch.long })) // tensor(0.2201)
 */
export class NLLLoss extends WeightedLoss {
  /** A target value that contributes nothing to the loss or its gradient (PyTorch's `ignore_index`). */
  declare ignoreIndex: number;
  constructor(
    weight?: Tensor | null | NLL2dOptions,
    sizeAverage?: boolean | null | NLL2dOptions,
    ignoreIndex?: number | NLL2dOptions,
    reduce?: boolean | null | NLL2dOptions,
    reduction?: Reduction | NLL2dOptions,
    ...extra: never[]
  ) {
    const a = lossArgs(
      new.target.name,
      [weight, sizeAverage, ignoreIndex, reduce, reduction, ...extra],
      ["weight", "sizeAverage", "ignoreIndex", "reduce", "reduction"],
    );
    super({ reduction: lossReduction(a), weight: (a.weight ?? null) as Tensor | null });
    this.ignoreIndex = (a.ignoreIndex ?? -100) as number;
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
 * @example new torch.nn.BCELoss().call(torch.sigmoid(torch.tensor([0, 2])), torch.tensor([0, 1])) // tensor(0.4100)
 */
export class BCELoss extends WeightedLoss {
  constructor(
    weight?: Tensor | null | (LegacyReductionOptions & { weight?: Tensor | null }),
    ...rest: LegacyOnlyArgs
  ) {
    const a = lossArgs("BCELoss", [weight, ...rest], ["weight", ...LEGACY_NAMES]);
    super({ reduction: lossReduction(a), weight: (a.weight ?? null) as Tensor | null });
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/**
 * Sigmoid + binary cross entropy, numerically stable; `posWeight` weighs the positives.
 * @example new torch.nn.BCEWithLogitsLoss({ posWeight: torch.tensor([2]) })
 */
export class BCEWithLogitsLoss extends WeightedLoss {
  /** The weight of positive examples per class (PyTorch's `pos_weight`), or null. */
  declare pos_weight: Tensor | null;
  constructor(
    weight?: Tensor | null | BCEWithLogitsLossOptions,
    sizeAverage?: boolean | null | BCEWithLogitsLossOptions,
    reduce?: boolean | null | BCEWithLogitsLossOptions,
    reduction?: Reduction | BCEWithLogitsLossOptions,
    posWeight?: Tensor | null | BCEWithLogitsLossOptions,
    ...extra: never[]
  ) {
    const a = lossArgs(
      "BCEWithLogitsLoss",
      [weight, sizeAverage, reduce, reduction, posWeight, ...extra],
      ["weight", ...LEGACY_NAMES, "posWeight"],
    );
    super({ reduction: lossReduction(a), weight: (a.weight ?? null) as Tensor | null });
    this.registerBuffer("pos_weight", (a.posWeight ?? null) as Tensor | null);
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
  /** "mean" (default), "sum" or "none"; "batchmean" too for KLDivLoss. */
  declare reduction: Reduction | "batchmean";
  /** Whether the target is given as log-probabilities (PyTorch's `log_target`). */
  declare logTarget: boolean;
  constructor(
    sizeAverage?: boolean | null | KLDivLossOptions,
    reduce?: boolean | null | KLDivLossOptions,
    reduction?: Reduction | "batchmean" | KLDivLossOptions,
    logTarget?: boolean | KLDivLossOptions,
    ...extra: never[]
  ) {
    super();
    const a = lossArgs(
      "KLDivLoss",
      [sizeAverage, reduce, reduction, logTarget, ...extra],
      [...LEGACY_NAMES, "logTarget"],
    );
    this.reduction =
      a.sizeAverage != null || a.reduce != null
        ? lossReduction(a)
        : ((a.reduction ?? "mean") as Reduction | "batchmean");
    this.logTarget = (a.logTarget ?? false) as boolean;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

/** The options of nn.PoissonNLLLoss. */
export interface PoissonNLLOptions extends LegacyReductionOptions {
  /** Whether the input is the log of the rate (default true). */
  logInput?: boolean;
  /** Add the Stirling approximation term (default false). */
  full?: boolean;
  /** A small value against log(0) or division by zero. */
  eps?: number;
}

/**
 * Negative log likelihood of target ~ Poisson(exp(input)) (or Poisson(input) with
 * `logInput: false`); `full` adds Stirling's term.
 * @example new torch.nn.PoissonNLLLoss(true, false, { reduction: "sum" })
 */
export class PoissonNLLLoss extends Loss {
  /** Whether the input is the log of the rate (PyTorch's `log_input`). */
  declare logInput: boolean;
  /** Whether the constant term is included (PyTorch's `full`). */
  declare full: boolean;
  /** A small value for numerical stability (PyTorch's `eps`). */
  declare eps: number;
  constructor(
    logInput?: boolean | PoissonNLLOptions,
    full?: boolean | PoissonNLLOptions,
    sizeAverage?: boolean | null | PoissonNLLOptions,
    eps?: number | PoissonNLLOptions,
    reduce?: boolean | null | PoissonNLLOptions,
    reduction?: Reduction | PoissonNLLOptions,
    ...extra: never[]
  ) {
    const a = lossArgs(
      "PoissonNLLLoss",
      [logInput, full, sizeAverage, eps, reduce, reduction, ...extra],
      ["logInput", "full", "sizeAverage", "eps", "reduce", "reduction"],
    );
    super({ reduction: lossReduction(a) });
    this.logInput = (a.logInput ?? true) as boolean;
    this.full = (a.full ?? false) as boolean;
    this.eps = (a.eps ?? 1e-8) as number;
  }
  override forward(logInput: Tensor, target: Tensor): Tensor {
    return F.poissonNllLoss(logInput, target, this.logInput, this.full, {
      eps: this.eps,
      reduction: this.reduction,
    });
  }
}

/**
 * Gaussian negative log likelihood of target given the mean `input` and variance `var`
 * (keyword-only options, as PyTorch's).
 * @example new torch.nn.GaussianNLLLoss({ full: true }).call(torch.tensor([0, 1]), torch.tensor([0.5, 1]), torch.tensor([1, 2])) // tensor(1.1547)
 */
export class GaussianNLLLoss extends Loss {
  /** Whether the constant term is included (PyTorch's `full`). */
  declare full: boolean;
  /** A small value for numerical stability (PyTorch's `eps`). */
  declare eps: number;
  constructor(
    opts: { full?: boolean; eps?: number; reduction?: Reduction } = {},
    ...extra: never[]
  ) {
    const a = lossArgs("GaussianNLLLoss", [opts, ...extra], [], ["full", "eps", "reduction"]);
    super({ reduction: (a.reduction ?? "mean") as Reduction });
    this.full = (a.full ?? false) as boolean;
    this.eps = (a.eps ?? 1e-6) as number;
  }
  override forward(input: Tensor, target: Tensor, variance?: Tensor): Tensor {
    if (variance === undefined)
      throw typeError("forward() missing 1 required positional argument: 'var'");
    return F.gaussianNllLoss(input, target, variance, this.full, this.eps, this.reduction);
  }
}

/** A loss with a margin and the legacy flags: Cosine/Hinge embedding, margin ranking. */
abstract class MarginLoss extends Loss {
  /** The margin of the loss (PyTorch's `margin`). */
  declare margin: number;
  constructor(cls: string, dflt: number, raw: unknown[]) {
    const a = lossArgs(cls, raw, ["margin", "sizeAverage", "reduce", "reduction"]);
    super({ reduction: lossReduction(a) });
    this.margin = (a.margin ?? dflt) as number;
  }
}

type MarginOptions = LegacyReductionOptions & { margin?: number };
type MarginArgs = [
  margin?: number | MarginOptions,
  sizeAverage?: boolean | null | MarginOptions,
  reduce?: boolean | null | MarginOptions,
  reduction?: Reduction | MarginOptions,
];

/**
 * 1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1.
 * @example new torch.nn.CosineEmbeddingLoss(0.5).call(torch.tensor([[1, 0]]), torch.tensor([[1, 1]]), torch.tensor([-1])) // tensor(0.2071)
 */
export class CosineEmbeddingLoss extends MarginLoss {
  constructor(...args: MarginArgs) {
    super("CosineEmbeddingLoss", 0, args);
  }
  /** The loss of pairs (input1[i], input2[i]) labelled target[i] (1: similar, -1: dissimilar). */
  override forward(input1: Tensor, input2: Tensor, target?: Tensor): Tensor {
    return F.cosineEmbeddingLoss(input1, input2, requireTarget(target), this.margin, {
      reduction: this.reduction,
    });
  }
}

/**
 * x where y = 1, max(0, margin - x) where y = -1.
 * @example new torch.nn.HingeEmbeddingLoss(2).call(torch.tensor([0.5, 3]), torch.tensor([1, -1])) // tensor(0.2500)
 */
export class HingeEmbeddingLoss extends MarginLoss {
  constructor(...args: MarginArgs) {
    super("HingeEmbeddingLoss", 1, args);
  }
  /** The loss of distances `input` labelled target (1: similar, -1: dissimilar). */
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.hingeEmbeddingLoss(input, target, this.margin, { reduction: this.reduction });
  }
}

/**
 * max(0, -y (x1 - x2) + margin).
 * @example new torch.nn.MarginRankingLoss(0.1).call(torch.tensor([1, 2]), torch.tensor([2, 1]), torch.tensor([1, 1])) // tensor(0.5500)
 */
export class MarginRankingLoss extends MarginLoss {
  constructor(...args: MarginArgs) {
    super("MarginRankingLoss", 0, args);
  }
  /** The loss of ranking input1 above input2 where target is 1 (below where -1). */
  override forward(input1: Tensor, input2: Tensor, target?: Tensor): Tensor {
    return F.marginRankingLoss(input1, input2, requireTarget(target), this.margin, {
      reduction: this.reduction,
    });
  }
}

/** A third forward argument PyTorch requires. */
function requireTarget(t: Tensor | undefined): Tensor {
  if (t === undefined)
    throw typeError("forward() missing 1 required positional argument: 'target'");
  return t;
}

/** The options of nn.MultiMarginLoss. */
export interface MultiMarginOptions extends LegacyReductionOptions {
  /** The norm degree (default 1 for MultiMarginLoss, 2 for TripletMarginLoss). */
  p?: number;
  /** The margin (default 1). */
  margin?: number;
  /** A manual rescaling weight per class. */
  weight?: Tensor | null;
}

/**
 * Multi-class hinge loss: sum over d != y of w[y] max(0, margin - x[y] + x[d])^p / C.
 * @example new torch.nn.MultiMarginLoss(2, 0.5, { weight: torch.tensor([1, 2, 1]) })
 */
export class MultiMarginLoss extends WeightedLoss {
  /** The norm degree (PyTorch's `p`). */
  declare p: number;
  /** The margin of the loss (PyTorch's `margin`). */
  declare margin: number;
  constructor(
    p?: number | MultiMarginOptions,
    margin?: number | MultiMarginOptions,
    weight?: Tensor | null | MultiMarginOptions,
    sizeAverage?: boolean | null | MultiMarginOptions,
    reduce?: boolean | null | MultiMarginOptions,
    reduction?: Reduction | MultiMarginOptions,
    ...extra: never[]
  ) {
    const a = lossArgs(
      "MultiMarginLoss",
      [p, margin, weight, sizeAverage, reduce, reduction, ...extra],
      ["p", "margin", "weight", "sizeAverage", "reduce", "reduction"],
    );
    super({ reduction: lossReduction(a), weight: (a.weight ?? null) as Tensor | null });
    this.p = (a.p ?? 1) as number;
    if (this.p !== 1 && this.p !== 2) throw valueError("only p == 1 and p == 2 supported");
    // PyTorch's `assert weight is None or weight.dim() == 1`
    if (this.weight !== null && this.weight.dim() !== 1) throw assertionError("");
    this.margin = (a.margin ?? 1) as number;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.multiMarginLoss(input, target, this.p, this.margin, this.weight, {
      reduction: this.reduction,
    });
  }
}

type LegacyOnlyArgs = [
  sizeAverage?: boolean | null | LegacyReductionOptions,
  reduce?: boolean | null | LegacyReductionOptions,
  reduction?: Reduction | LegacyReductionOptions,
];

/**
 * Multi-label hinge loss over the target classes of each row (its labels before the first -1).
 * @example new torch.nn.MultiLabelMarginLoss().call(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([[3, 0, -1, 1]], { dtype: torch.long })) // tensor(0.8500)
 */
export class MultiLabelMarginLoss extends Loss {
  constructor(...args: LegacyOnlyArgs) {
    super({
      reduction: lossReduction(
        lossArgs("MultiLabelMarginLoss", args, ["sizeAverage", "reduce", "reduction"]),
      ),
    });
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.multilabelMarginLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Two-class logistic loss log(1 + exp(-y x)).
 * @example new torch.nn.SoftMarginLoss().call(torch.tensor([0.5, -1]), torch.tensor([1, -1])) // tensor(0.3937)
 */
export class SoftMarginLoss extends Loss {
  constructor(...args: LegacyOnlyArgs) {
    super({
      reduction: lossReduction(
        lossArgs("SoftMarginLoss", args, ["sizeAverage", "reduce", "reduction"]),
      ),
    });
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.softMarginLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Multi-label one-versus-all logistic loss, averaged over classes.
 * @example new torch.nn.MultiLabelSoftMarginLoss(torch.tensor([1, 2, 1]))
 */
export class MultiLabelSoftMarginLoss extends WeightedLoss {
  constructor(
    weight?: Tensor | null | (LegacyReductionOptions & { weight?: Tensor | null }),
    ...rest: LegacyOnlyArgs
  ) {
    const a = lossArgs(
      "MultiLabelSoftMarginLoss",
      [weight, ...rest],
      ["weight", "sizeAverage", "reduce", "reduction"],
    );
    super({ reduction: lossReduction(a), weight: (a.weight ?? null) as Tensor | null });
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.multilabelSoftMarginLoss(input, target, this.weight, { reduction: this.reduction });
  }
}

/** The options of nn.TripletMarginLoss. */
export interface TripletMarginOptions extends LegacyReductionOptions {
  /** The margin (default 1). */
  margin?: number;
  /** The norm degree (default 1 for MultiMarginLoss, 2 for TripletMarginLoss). */
  p?: number;
  /** A small value against log(0) or division by zero. */
  eps?: number;
  /** Use the distance swap of Balntas et al. (default false). */
  swap?: boolean;
}

/**
 * max(0, margin + ||a - p||_p - ||a - n||_p); `swap` uses min(d(a, n), d(p, n)).
 * @example new torch.nn.TripletMarginLoss(1.0, 2).call(torch.tensor([[0, 0]]), torch.tensor([[0, 1]]), torch.tensor([[1, 1]])) // tensor(0.5858)
 */
export class TripletMarginLoss extends Loss {
  /** The margin of the loss (PyTorch's `margin`). */
  declare margin: number;
  /** The norm degree (PyTorch's `p`). */
  declare p: number;
  /** A small value for numerical stability (PyTorch's `eps`). */
  declare eps: number;
  /** Whether the distance swap is used (PyTorch's `swap`). */
  declare swap: boolean;
  constructor(
    margin?: number | TripletMarginOptions,
    p?: number | TripletMarginOptions,
    eps?: number | TripletMarginOptions,
    swap?: boolean | TripletMarginOptions,
    sizeAverage?: boolean | null | TripletMarginOptions,
    reduce?: boolean | null | TripletMarginOptions,
    reduction?: Reduction | TripletMarginOptions,
    ...extra: never[]
  ) {
    const a = lossArgs(
      "TripletMarginLoss",
      [margin, p, eps, swap, sizeAverage, reduce, reduction, ...extra],
      ["margin", "p", "eps", "swap", "sizeAverage", "reduce", "reduction"],
    );
    super({ reduction: lossReduction(a) });
    this.margin = (a.margin ?? 1.0) as number;
    this.p = (a.p ?? 2) as number;
    this.eps = (a.eps ?? 1e-6) as number;
    this.swap = (a.swap ?? false) as boolean;
  }
  override forward(anchor: Tensor, positive: Tensor, negative?: Tensor): Tensor {
    return F.tripletMarginLoss(anchor, positive, requireTarget(negative), this.margin, this.p, {
      eps: this.eps,
      swap: this.swap,
      reduction: this.reduction,
    });
  }
}

/** A distance: a function of two tensors, or a module such as nn.PairwiseDistance. */
export type DistanceFn = ((x1: Tensor, x2: Tensor) => Tensor) | Module;

/**
 * max(0, d(a, p) - d(a, n) + margin) for a distance function d (default nn.PairwiseDistance(),
 * registered as the submodule `distance_function` when d is a module, as PyTorch's).
 * @example new torch.nn.TripletMarginWithDistanceLoss({ distanceFunction: (a, b) => a.sub(b).abs().sum(1), swap: true })
 */
export class TripletMarginWithDistanceLoss extends Loss {
  /** The margin of the loss (PyTorch's `margin`). */
  declare margin: number;
  /** Whether the distance swap is used (PyTorch's `swap`). */
  declare swap: boolean;
  private _distanceFn!: DistanceFn;
  constructor(
    opts: {
      distanceFunction?: DistanceFn | null;
      /** The margin (default 1). */
      margin?: number;
      /** Use the distance swap of Balntas et al. (default false). */
      swap?: boolean;
      reduction?: Reduction;
    } = {},
    ...extra: never[]
  ) {
    const a = lossArgs(
      "TripletMarginWithDistanceLoss",
      [opts, ...extra],
      [],
      ["distanceFunction", "margin", "swap", "reduction"],
    );
    super({ reduction: (a.reduction ?? "mean") as Reduction });
    const d = (a.distanceFunction ?? null) as DistanceFn | null;
    Object.defineProperty(this, "_distanceFn", {
      value: d ?? new PairwiseDistance(),
      writable: true,
    });
    if (this._distanceFn instanceof Module) this.addModule("distance_function", this._distanceFn);
    this.margin = (a.margin ?? 1.0) as number;
    this.swap = (a.swap ?? false) as boolean;
  }
  /** the distance function (PyTorch's `distance_function`) */
  get distanceFunction(): DistanceFn {
    return this._distanceFn;
  }
  override forward(anchor: Tensor, positive: Tensor, negative?: Tensor): Tensor {
    const d = this._distanceFn;
    return F.tripletMarginWithDistanceLoss(anchor, positive, requireTarget(negative), {
      distanceFunction: d instanceof Module ? (x1, x2) => d.call(x1, x2) as Tensor : d,
      margin: this.margin,
      swap: this.swap,
      reduction: this.reduction,
    });
  }
}

/**
 * The connectionist temporal classification loss of log-probabilities (T, N, C) against
 * targets, given each input's and target's length.
 * @example
 * const logProbs = torch.randn(6, 2, 4).logSoftmax(2); // (T, N, C)
 * const targets = torch.tensor([[1, 2], [3, 1]], { dtype: torch.int64 });
 * const inputLengths = torch.tensor([6, 5], { dtype: torch.int64 });
 * const targetLengths = torch.tensor([2, 1], { dtype: torch.int64 });
 * new torch.nn.CTCLoss({ blank: 0, zeroInfinity: true }).call(logProbs, targets, inputLengths, targetLengths);
 */
export class CTCLoss extends Loss {
  /** The blank label (PyTorch's `blank`). */
  declare blank: number;
  /** Whether infinite losses and their gradients are zeroed (PyTorch's `zero_infinity`). */
  declare zeroInfinity: boolean;
  constructor(
    blank?: number | { blank?: number; reduction?: Reduction; zeroInfinity?: boolean },
    reduction?: Reduction | { reduction?: Reduction; zeroInfinity?: boolean },
    zeroInfinity?: boolean | { zeroInfinity?: boolean },
    ...extra: never[]
  ) {
    const a = lossArgs(
      "CTCLoss",
      [blank, reduction, zeroInfinity, ...extra],
      ["blank", "reduction", "zeroInfinity"],
    );
    super({ reduction: (a.reduction ?? "mean") as Reduction });
    this.blank = (a.blank ?? 0) as number;
    this.zeroInfinity = (a.zeroInfinity ?? false) as boolean;
  }
  override forward(
    logProbs: Tensor,
    targets: Tensor,
    inputLengths?: Tensor | number[],
    targetLengths?: Tensor | number[],
  ): Tensor {
    if (inputLengths === undefined || targetLengths === undefined)
      throw typeError(
        `forward() missing ${inputLengths === undefined ? "2 required positional arguments: 'input_lengths' and 'target_lengths'" : "1 required positional argument: 'target_lengths'"}`,
      );
    return F.ctcLoss(logProbs, targets, inputLengths, targetLengths, this.blank, {
      reduction: this.reduction,
      zeroInfinity: this.zeroInfinity,
    });
  }
}

type NLL2dOptions = F.NLLLossOptions & LegacyReductionOptions;

/**
 * The deprecated 2-D NLL loss: NLLLoss with PyTorch's deprecation warning.
 * @example
 * const logp = torch.randn(2, 3, 4, 4).logSoftmax(1); // (N, C, H, W)
 * const target = torch.randint(0, 3, [2, 4, 4]); // (N, H, W)
 * new torch.nn.NLLLoss2d().call(logp, target);

 */
export class NLLLoss2d extends NLLLoss {
  constructor(
    weight?: Tensor | null | NLL2dOptions,
    sizeAverage?: boolean | null | NLL2dOptions,
    ignoreIndex?: number | NLL2dOptions,
    reduce?: boolean | null | NLL2dOptions,
    reduction?: Reduction | NLL2dOptions,
    ...extra: never[]
  ) {
    warn(
      "NLLLoss2d has been deprecated. Please use NLLLoss instead as a drop-in replacement and see https://pytorch.org/docs/master/nn.html#torch.nn.NLLLoss for more details.",
    );
    super(weight, sizeAverage, ignoreIndex, reduce, reduction, ...extra);
  }
}
