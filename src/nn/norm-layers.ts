/**
 * Normalisation layers: BatchNorm1d, BatchNorm2d (running statistics, momentum, eval mode),
 * LayerNorm, GroupNorm, with PyTorch's parameter and buffer names (`weight`, `bias`,
 * `running_mean`, `running_var`, `num_batches_tracked`), initialisation and reprs.
 */
import { Tensor } from "../tensor.js";
import { int64, type DType } from "../dtype.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { ones, tensor, zeros } from "../ops/creation.js";
import { noGrad } from "../autograd/grad-mode.js";
import { batchNorm, groupNorm, layerNorm } from "./functional.js";
import { pyBool, pyFloat, pyTuple } from "./layer-utils.js";
import { ctorArgs } from "./ctor-args.js";
import { valueError } from "../errors.js";

/** Options of the batch-norm layers. */
export interface BatchNormOptions {
  /** Added to the variance for numerical stability (default 1e-5). */
  eps?: number;
  /** null: a cumulative moving average */
  momentum?: number | null;
  /** Learnable per-channel weight and bias (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true). */
  trackRunningStats?: boolean;
  /** Only "cpu" (PyTorch's `device`). */
  device?: string | null;
  /** The parameters' and buffers' dtype. */
  dtype?: DType | null;
}

/** PyTorch's _BatchNorm. */
export abstract class BatchNormBase extends Module {
  /** C, the number of channels normalised (PyTorch's `num_features`). */
  declare numFeatures: number;
  /** Added to the variance for numerical stability (PyTorch's `eps`). */
  declare eps: number;
  /** The running statistics' update factor; null: a cumulative average (PyTorch's `momentum`). */
  declare momentum: number | null;
  /** Whether the layer has a learnable `weight` and `bias` (PyTorch's `affine`). */
  declare affine: boolean;
  /** Whether running mean and variance are kept and used in eval mode (PyTorch's `track_running_stats`). */
  declare trackRunningStats: boolean;
  /** The learnable scale, or null without `affine` (PyTorch's `weight`). */
  declare weight: Parameter | null;
  /** The learnable shift, or null without `affine` (PyTorch's `bias`). */
  declare bias: Parameter | null;
  /** The running mean buffer (PyTorch's `running_mean`), null without `trackRunningStats`. */
  declare running_mean: Tensor | null;
  /** The running variance buffer (PyTorch's `running_var`), null without `trackRunningStats`. */
  declare running_var: Tensor | null;
  /** The number of batches seen in training (PyTorch's `num_batches_tracked`). */
  declare num_batches_tracked: Tensor | null;

  /**
   * PyTorch's _BatchNorm(num_features, eps=1e-05, momentum=0.1, affine=True,
   * track_running_stats=True, device=None, dtype=None), positionally or by name.
   */
  constructor(
    numFeatures: number | (BatchNormOptions & { numFeatures?: number }),
    ...rest: (number | boolean | string | DType | null | undefined | BatchNormOptions)[]
  ) {
    super();
    const o = ctorArgs<Required<BatchNormOptions> & { numFeatures: number }>(
      "_BatchNorm",
      [numFeatures, ...rest],
      ["numFeatures", "eps", "momentum", "affine", "trackRunningStats", "device", "dtype"],
      {
        eps: 1e-5,
        momentum: 0.1,
        affine: true,
        trackRunningStats: true,
        device: null,
        dtype: null,
      },
    );
    numFeatures = o.numFeatures;
    Object.assign(this, {
      numFeatures,
      eps: o.eps,
      momentum: o.momentum,
      affine: o.affine,
      trackRunningStats: o.trackRunningStats,
    });
    const dt = o.dtype ? { dtype: o.dtype } : {};
    if (this.affine) {
      this.weight = new Parameter(ones([numFeatures], dt));
      this.bias = new Parameter(zeros([numFeatures], dt));
    } else {
      this.registerParameter("weight", null);
      this.registerParameter("bias", null);
    }
    if (this.trackRunningStats) {
      this.registerBuffer("running_mean", zeros([numFeatures], dt));
      this.registerBuffer("running_var", ones([numFeatures], dt));
      this.registerBuffer("num_batches_tracked", tensor(0, { dtype: int64 }));
    } else {
      this.registerBuffer("running_mean", null);
      this.registerBuffer("running_var", null);
      this.registerBuffer("num_batches_tracked", null);
    }
  }

  /** The running mean (the `running_mean` buffer). */
  get runningMean(): Tensor | null {
    return this.running_mean;
  }
  /** The running variance (the `running_var` buffer). */
  get runningVar(): Tensor | null {
    return this.running_var;
  }
  /** The number of training batches seen (the `num_batches_tracked` buffer). */
  get numBatchesTracked(): Tensor | null {
    return this.num_batches_tracked;
  }

  /** Zero the running mean, set the running variance to one and the batch count to zero. */
  resetRunningStats(): void {
    noGrad(() => {
      this.running_mean?.zero_();
      this.running_var?.fill_(1);
      this.num_batches_tracked?.zero_();
    });
  }

  /** Running statistics reset, weight ones and bias zeros. */
  resetParameters(): void {
    this.resetRunningStats();
    noGrad(() => {
      this.weight?.fill_(1);
      this.bias?.zero_();
    });
  }

  protected abstract checkInputDim(x: Tensor): void;

  override forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    let factor = this.momentum ?? 0.0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked !== null) {
      noGrad(() => (this.num_batches_tracked as Tensor).add_(1));
      factor =
        this.momentum === null ? 1.0 / (this.num_batches_tracked.item() as number) : this.momentum;
    }
    const bnTraining = this.training || (this.running_mean === null && this.running_var === null);
    const useStats = !this.training || this.trackRunningStats;
    return batchNorm(
      x,
      useStats ? this.running_mean : null,
      useStats ? this.running_var : null,
      this.weight,
      this.bias,
      bnTraining,
      factor,
      this.eps,
    );
  }

  override extraRepr(): string {
    const m = this.momentum === null ? "None" : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${m}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/**
 * torch.nn.BatchNorm1d over [N, C] or [N, C, L] inputs.
 *
 * @example
 * const bn = new torch.nn.BatchNorm1d(3);
 * bn.call(torch.randn(8, 3)); // training: batch statistics; running ones move by momentum 0.1
 * bn.eval(); bn.call(torch.randn(2, 3)); // eval: running statistics
 */
export class BatchNorm1d extends BatchNormBase {
  protected checkInputDim(x: Tensor): void {
    if (x.dim() !== 2 && x.dim() !== 3) {
      throw new Error(`expected 2D or 3D input (got ${x.dim()}D input)`);
    }
  }
}

/**
 * torch.nn.BatchNorm2d over [N, C, H, W] inputs, per channel.
 *
 * @example
 * const bn = new torch.nn.BatchNorm2d(16);
 * String(bn); // BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
 * Object.keys(bn.stateDict()); // weight, bias, running_mean, running_var, num_batches_tracked
 */
export class BatchNorm2d extends BatchNormBase {
  protected checkInputDim(x: Tensor): void {
    if (x.dim() !== 4) throw new Error(`expected 4D input (got ${x.dim()}D input)`);
  }
}

/** Options of LayerNorm. */
export interface LayerNormOptions {
  /** The trailing shape normalised over (PyTorch's `normalized_shape`). */
  normalizedShape?: number | readonly number[];
  /** Added to the variance for numerical stability (default 1e-5). */
  eps?: number;
  /** Learnable per-element weight and bias (PyTorch's `elementwise_affine`, default true). */
  elementwiseAffine?: boolean;
  /** Only "cpu" (PyTorch's `device`). */
  device?: string | null;
  /** The parameters' and buffers' dtype. */
  dtype?: DType | null;
}

/**
 * torch.nn.LayerNorm: normalise over the trailing `normalizedShape` dims, then a per-element
 * affine map (weight ones, bias zeros).
 *
 * @example
 * const ln = new torch.nn.LayerNorm(4);
 * String(ln); // LayerNorm((4,), eps=1e-05, elementwise_affine=True)
 */
export class LayerNorm extends Module {
  /** The trailing shape normalised over (PyTorch's `normalized_shape`). */
  declare normalizedShape: number[];
  /** Added to the variance for numerical stability (PyTorch's `eps`). */
  declare eps: number;
  /** Learnable per-element weight and bias (PyTorch's `elementwise_affine`, default true). */
  declare elementwiseAffine: boolean;
  /** The learnable scale, or null without `affine` (PyTorch's `weight`). */
  declare weight: Parameter | null;
  /** The learnable shift, or null without `affine` (PyTorch's `bias`). */
  declare bias: Parameter | null;

  /** PyTorch's LayerNorm(normalized_shape, eps=1e-05, elementwise_affine=True, device, dtype). */
  constructor(
    normalizedShape: number | readonly number[] | LayerNormOptions,
    ...rest: (number | boolean | string | DType | null | undefined | LayerNormOptions)[]
  ) {
    super();
    const o = ctorArgs<Required<LayerNormOptions>>(
      "LayerNorm",
      [normalizedShape, ...rest],
      ["normalizedShape", "eps", "elementwiseAffine", "device", "dtype"],
      { eps: 1e-5, elementwiseAffine: true, device: null, dtype: null },
    );
    const ns = o.normalizedShape;
    const shape = typeof ns === "number" ? [ns] : ns.slice();
    Object.assign(this, {
      normalizedShape: shape,
      eps: o.eps,
      elementwiseAffine: o.elementwiseAffine,
    });
    const dt = o.dtype ? { dtype: o.dtype } : {};
    if (this.elementwiseAffine) {
      this.weight = new Parameter(ones(shape, dt));
      this.bias = new Parameter(zeros(shape, dt));
    } else {
      this.registerParameter("weight", null);
      this.registerParameter("bias", null);
    }
  }

  override forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

/** Options of GroupNorm. */
export interface GroupNormOptions {
  /** The number of groups the channels are split into (PyTorch's `num_groups`). */
  numGroups?: number;
  /** The number of channels expected in the input (PyTorch's `num_channels`). */
  numChannels?: number;
  /** Added to the variance for numerical stability (default 1e-5). */
  eps?: number;
  /** Learnable per-channel weight and bias (default true). */
  affine?: boolean;
  /** Only "cpu" (PyTorch's `device`). */
  device?: string | null;
  /** The parameters' and buffers' dtype. */
  dtype?: DType | null;
}

/**
 * torch.nn.GroupNorm: normalise each group of `numChannels / numGroups` channels, then a
 * per-channel affine map.
 *
 * @example
 * new torch.nn.GroupNorm(2, 4).call(torch.randn(3, 4, 5)).shape // [3, 4, 5]
 */
export class GroupNorm extends Module {
  /** The number of groups the channels are split into (PyTorch's `num_groups`). */
  declare numGroups: number;
  /** The number of channels expected in the input (PyTorch's `num_channels`). */
  declare numChannels: number;
  /** Added to the variance for numerical stability (PyTorch's `eps`). */
  declare eps: number;
  /** Whether the layer has a learnable `weight` and `bias` (PyTorch's `affine`). */
  declare affine: boolean;
  /** The learnable scale, or null without `affine` (PyTorch's `weight`). */
  declare weight: Parameter | null;
  /** The learnable shift, or null without `affine` (PyTorch's `bias`). */
  declare bias: Parameter | null;

  /** PyTorch's GroupNorm(num_groups, num_channels, eps=1e-05, affine=True, device, dtype). */
  constructor(
    numGroups: number | GroupNormOptions,
    ...rest: (number | boolean | string | DType | null | undefined | GroupNormOptions)[]
  ) {
    super();
    const o = ctorArgs<Required<GroupNormOptions>>(
      "GroupNorm",
      [numGroups, ...rest],
      ["numGroups", "numChannels", "eps", "affine", "device", "dtype"],
      { eps: 1e-5, affine: true, device: null, dtype: null },
    );
    const numChannels = o.numChannels;
    if (numChannels % o.numGroups !== 0) {
      throw valueError("num_channels must be divisible by num_groups");
    }
    Object.assign(this, { numGroups: o.numGroups, numChannels, eps: o.eps, affine: o.affine });
    const dt = o.dtype ? { dtype: o.dtype } : {};
    if (this.affine) {
      this.weight = new Parameter(ones([numChannels], dt));
      this.bias = new Parameter(zeros([numChannels], dt));
    } else {
      this.registerParameter("weight", null);
      this.registerParameter("bias", null);
    }
  }

  override forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}
