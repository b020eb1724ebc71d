/**
 * The normalisation modules of issue 11 (h-nnact): InstanceNorm1d/2d/3d, LocalResponseNorm,
 * BatchNorm3d and SyncBatchNorm, with PyTorch's arguments (positional, or camelCased in a
 * trailing options object), buffers, reprs and input checks.
 */
import type { Tensor } from "../tensor.js";
import { valueError } from "../errors.js";
import { Module } from "./module.js";
import { BatchNormBase, type BatchNormOptions } from "./norm-layers.js";
import * as F from "./functional.js";
import { ctorArgs } from "./ctor-args.js";
import { pyFloat } from "./layer-utils.js";

type NormArgs = Required<Omit<BatchNormOptions, "dtype">> & {
  numFeatures: number;
  dtype: BatchNormOptions["dtype"] | null;
};

/** _NormBase's arguments: num_features, eps, momentum, affine, track_running_stats, dtype. */
function normArgs(cls: string, args: unknown[], affine: boolean, track: boolean): NormArgs {
  return ctorArgs<NormArgs>(
    cls,
    args,
    ["numFeatures", "eps", "momentum", "affine", "trackRunningStats", "dtype"],
    { eps: 1e-5, momentum: 0.1, affine, trackRunningStats: track, dtype: null },
  );
}

const toOptions = (a: NormArgs): BatchNormOptions => ({
  eps: a.eps,
  momentum: a.momentum,
  affine: a.affine,
  trackRunningStats: a.trackRunningStats,
  ...(a.dtype === null ? {} : { dtype: a.dtype }),
});

/**
 * PyTorch's _InstanceNorm: per-instance, per-channel normalisation (no affine map and no
 * running statistics by default). In training, or without running statistics, each instance's
 * own statistics; the running ones (trackRunningStats) move towards the batch means of them and
 * are used in eval. An unbatched input gets a batch dim of 1.
 */
export abstract class InstanceNormBase extends BatchNormBase {
  constructor(numFeatures: number | Record<string, unknown>, ...rest: unknown[]) {
    const a = normArgs(new.target.name, [numFeatures, ...rest], false, false);
    super(a.numFeatures, toOptions(a));
  }
  protected abstract noBatchDim(): number;
  private applyInstanceNorm(x: Tensor): Tensor {
    return F.instanceNorm(
      x,
      this.running_mean,
      this.running_var,
      this.weight,
      this.bias,
      this.training || !this.trackRunningStats,
      this.momentum ?? 0.1,
      this.eps,
    );
  }
  override forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    if (x.dim() === this.noBatchDim()) return this.applyInstanceNorm(x.unsqueeze(0)).squeeze(0);
    return this.applyInstanceNorm(x);
  }
}

/**
 * torch.nn.InstanceNorm1d over [N, C, L] or [C, L] inputs.
 * @example String(new torch.nn.InstanceNorm1d(3)) // InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)
 */
export class InstanceNorm1d extends InstanceNormBase {
  protected noBatchDim(): number {
    return 2;
  }
  protected checkInputDim(x: Tensor): void {
    if (x.dim() !== 2 && x.dim() !== 3)
      throw valueError(`expected 2D or 3D input (got ${x.dim()}D input)`);
  }
}

/**
 * torch.nn.InstanceNorm2d over [N, C, H, W] or [C, H, W] inputs.
 * @example new torch.nn.InstanceNorm2d(3, { affine: true }).call(torch.randn(2, 3, 4, 4))
 */
export class InstanceNorm2d extends InstanceNormBase {
  protected noBatchDim(): number {
    return 3;
  }
  protected checkInputDim(x: Tensor): void {
    if (x.dim() !== 3 && x.dim() !== 4)
      throw valueError(`expected 3D or 4D input (got ${x.dim()}D input)`);
  }
}

/**
 * torch.nn.InstanceNorm3d over [N, C, D, H, W] or [C, D, H, W] inputs.
 * @example new torch.nn.InstanceNorm3d(2).call(torch.randn(1, 2, 3, 3, 3))
 */
export class InstanceNorm3d extends InstanceNormBase {
  protected noBatchDim(): number {
    return 4;
  }
  protected checkInputDim(x: Tensor): void {
    if (x.dim() !== 4 && x.dim() !== 5)
      throw valueError(`expected 4D or 5D input (got ${x.dim()}D input)`);
  }
}

/**
 * torch.nn.BatchNorm3d over [N, C, D, H, W] inputs, per channel.
 * @example String(new torch.nn.BatchNorm3d(2)) // BatchNorm3d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
 */
export class BatchNorm3d extends BatchNormBase {
  constructor(numFeatures: number | Record<string, unknown>, ...rest: unknown[]) {
    const a = normArgs("BatchNorm3d", [numFeatures, ...rest], true, true);
    super(a.numFeatures, toOptions(a));
  }
  protected checkInputDim(x: Tensor): void {
    if (x.dim() !== 5) throw valueError(`expected 5D input (got ${x.dim()}D input)`);
  }
}

/**
 * torch.nn.SyncBatchNorm as a single-process stand-in: tensorgrad runs on one CPU process with
 * no process groups, so the statistics "synchronised" across processes are this process's
 * batch statistics, i.e. it is BatchNorm over any [N, C, ...] input (PyTorch's own refuses CPU
 * inputs: "SyncBatchNorm expected input tensor to be on GPU"). Same arguments (processGroup is
 * accepted and ignored), buffers and repr as PyTorch's.
 * @example String(new torch.nn.SyncBatchNorm(3)) // SyncBatchNorm(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
 */
export class SyncBatchNorm extends BatchNormBase {
  constructor(numFeatures: number | Record<string, unknown>, ...rest: unknown[]) {
    const a = ctorArgs<NormArgs & { processGroup: unknown }>(
      "SyncBatchNorm",
      [numFeatures, ...rest],
      ["numFeatures", "eps", "momentum", "affine", "trackRunningStats", "processGroup", "dtype"],
      {
        eps: 1e-5,
        momentum: 0.1,
        affine: true,
        trackRunningStats: true,
        processGroup: null,
        dtype: null,
      },
    );
    super(a.numFeatures, toOptions(a));
  }
  protected checkInputDim(x: Tensor): void {
    if (x.dim() < 2) throw valueError(`expected at least 2D input (got ${x.dim()}D input)`);
  }
}

/**
 * torch.nn.LocalResponseNorm: x / (k + alpha * mean of x^2 over `size` neighbouring
 * channels)^beta.
 * @example String(new torch.nn.LocalResponseNorm(2)) // LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
 */
export class LocalResponseNorm extends Module {
  declare size: number;
  declare alpha: number;
  declare beta: number;
  declare k: number;
  constructor(size: number | Record<string, unknown>, ...rest: unknown[]) {
    super();
    Object.assign(
      this,
      ctorArgs("LocalResponseNorm", [size, ...rest], ["size", "alpha", "beta", "k"], {
        alpha: 1e-4,
        beta: 0.75,
        k: 1.0,
      }),
    );
  }
  override forward(input: Tensor): Tensor {
    return F.localResponseNorm(input, this.size, this.alpha, this.beta, this.k);
  }
  override extraRepr(): string {
    return `${this.size}, alpha=${pyFloat(this.alpha)}, beta=${pyFloat(this.beta)}, k=${pyFloat(this.k)}`;
  }
}
