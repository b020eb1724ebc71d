/**
 * The normalisation modules of issue 11 (h-nnact): InstanceNorm1d/2d/3d, LocalResponseNorm,
 * CrossMapLRN2d, BatchNorm3d and SyncBatchNorm, with PyTorch's arguments (positional, or camelCased in a
 * trailing options object), buffers, reprs and input checks.
 */
import type { Tensor } from "../tensor.js";
import { assertionError, valueError } from "../errors.js";
import { Function as AutogradFunction, type FunctionCtx } from "../autograd/custom-function.js";
import { zeros } from "../ops/creation.js";
import { Module } from "./module.js";
import { BatchNormBase, type BatchNormOptions } from "./norm-layers.js";
import * as F from "./functional.js";
import { ctorArgs } from "./ctor-args.js";
import { pyFloat } from "./layer-utils.js";

type NormArgs = Required<Omit<BatchNormOptions, "dtype">> & {
  numFeatures: number;
  device: unknown;
  dtype: BatchNormOptions["dtype"] | null;
};

/** _NormBase's arguments: num_features, eps, momentum, affine, track_running_stats, dtype. */
function normArgs(cls: string, args: unknown[], affine: boolean, track: boolean): NormArgs {
  return ctorArgs<NormArgs>(
    cls,
    args,
    ["numFeatures", "eps", "momentum", "affine", "trackRunningStats", "device", "dtype"],
    { eps: 1e-5, momentum: 0.1, affine, trackRunningStats: track, device: null, dtype: null },
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
    const a = normArgs("_InstanceNorm", [numFeatures, ...rest], false, false);
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
    const a = normArgs("_BatchNorm", [numFeatures, ...rest], true, true);
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
      [
        "numFeatures",
        "eps",
        "momentum",
        "affine",
        "trackRunningStats",
        "processGroup",
        "device",
        "dtype",
      ],
      {
        device: null,
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

  /**
   * `module` with every batch-norm layer (BatchNorm1d/2d/3d, SyncBatchNorm; not the instance
   * norms) replaced by a SyncBatchNorm sharing its parameters and buffers, recursively
   * (PyTorch's convert_sync_batchnorm; `processGroup` is ignored, as by the stand-in).
   * @example
   * const model = new torch.nn.Sequential(new torch.nn.Linear(4, 4), new torch.nn.BatchNorm1d(4));
   * const m = torch.nn.SyncBatchNorm.convertSyncBatchnorm(model); // its [1] is a SyncBatchNorm

   */
  static convertSyncBatchnorm(module: Module, processGroup: unknown = null): Module {
    let out = module;
    if (module instanceof BatchNormBase && !(module instanceof InstanceNormBase)) {
      const s = new SyncBatchNorm(module.numFeatures, {
        eps: module.eps,
        momentum: module.momentum,
        affine: module.affine,
        trackRunningStats: module.trackRunningStats,
        processGroup,
      });
      if (module.affine) {
        s.weight = module.weight;
        s.bias = module.bias;
      }
      s.running_mean = module.running_mean;
      s.running_var = module.running_var;
      s.num_batches_tracked = module.num_batches_tracked;
      out = s;
    }
    for (const [name, child] of module.namedChildren())
      out.addModule(name, SyncBatchNorm.convertSyncBatchnorm(child, processGroup));
    return out;
  }
}

/**
 * torch.nn.LocalResponseNorm: x / (k + alpha * mean of x^2 over `size` neighbouring
 * channels)^beta.
 * @example String(new torch.nn.LocalResponseNorm(2)) // LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)
 */
export class LocalResponseNorm extends Module {
  /** The number of neighbouring channels used (PyTorch's `size`). */
  declare size: number;
  /** The multiplicative factor α (PyTorch's `alpha`). */
  declare alpha: number;
  /** The exponent β (PyTorch's `beta`). */
  declare beta: number;
  /** The additive factor k (PyTorch's `k`). */
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

/**
 * torch.nn._functions.CrossMapLRN2d, PyTorch's legacy custom autograd Function (so its node is
 * CrossMapLRN2dBackward), step for step in the input's dtype: the scale of channel c is k +
 * alpha/size * the sum of squares over a sliding window of channels (the window's first
 * pre_pad = floor((size-1)/2 + 1) channels, then each step adding channel c + pre_pad - 1 while
 * c < C - pre_pad + 1 and removing channel c - pre_pad once c > pre_pad, as PyTorch's loop
 * does); output = input * scale^-beta. The backward is PyTorch's hand-written one (not
 * differentiable again).
 */
const CrossMapLRN2dFn = class CrossMapLRN2d extends AutogradFunction {
  static override forward(
    ctx: FunctionCtx,
    input: Tensor,
    size: number,
    alpha: number,
    beta: number,
    k: number,
  ): Tensor {
    Object.assign(ctx, { size, alpha, beta, k });
    if (input.dim() !== 4) throw assertionError("");
    const C = input.shape[1];
    const sq = input.pow(2);
    const scale = zeros(input.shape.slice(), { dtype: input.dtype });
    const prePad = Math.trunc((size - 1) / 2 + 1);
    const prePadCrop = prePad > C ? C : prePad;
    const first = scale.select(1, 0);
    for (let c = 0; c < prePadCrop; c++) first.add_(sq.select(1, c));
    for (let c = 1; c < C; c++) {
      const cur = scale.select(1, c);
      cur.copy_(scale.select(1, c - 1));
      if (c < C - prePad + 1) cur.add_(sq.select(1, c + prePad - 1));
      if (c > prePad) cur.add_(sq.select(1, c - prePad), { alpha: -1 });
    }
    scale.mul_(alpha / size).add_(k);
    const output = scale.pow(-beta).mul_(input);
    ctx.scale = scale;
    ctx.saveForBackward(input, output);
    return output;
  }

  static override backward(ctx: FunctionCtx, gradOutput: Tensor | null): (Tensor | null)[] {
    const [input, output] = ctx.savedTensors as Tensor[];
    const g = gradOutput as Tensor;
    const { size, alpha, beta } = ctx as unknown as { size: number; alpha: number; beta: number };
    const scale = ctx.scale as Tensor;
    const [N, C, H, W] = input.shape;
    const padded = zeros([C + size - 1, H, W], { dtype: input.dtype });
    const cacheRatio = (2 * alpha * beta) / size;
    const inversePrePad = Math.trunc(size - (size - 1) / 2);
    const gradInput = scale.pow(-beta).mul_(g);
    const center = padded.narrow(0, inversePrePad, C);
    for (let n = 0; n < N; n++) {
      center.copy_(g.select(0, n).mul(output.select(0, n)));
      center.div_(scale.select(0, n));
      const accum = padded.narrow(0, 0, size - 1).sum(0);
      for (let c = 0; c < C; c++) {
        accum.add_(padded.select(0, c + size - 1));
        gradInput
          .select(0, n)
          .select(0, c)
          .addcmul_(input.select(0, n).select(0, c), accum, { value: -cacheRatio });
        accum.add_(padded.select(0, c), { alpha: -1 });
      }
    }
    return [gradInput, null, null, null, null];
  }
};

/**
 * torch.nn.CrossMapLRN2d: local response normalisation across the channels of a [N, C, H, W]
 * input with PyTorch's legacy algorithm (a custom Function: CrossMapLRN2dBackward).
 * @example String(new torch.nn.CrossMapLRN2d(3)) // CrossMapLRN2d(3, alpha=0.0001, beta=0.75, k=1)
 */
export class CrossMapLRN2d extends Module {
  /** The number of neighbouring channels used (PyTorch's `size`). */
  declare size: number;
  /** The multiplicative factor α (PyTorch's `alpha`). */
  declare alpha: number;
  /** The exponent β (PyTorch's `beta`). */
  declare beta: number;
  /** The additive factor k (PyTorch's `k`). */
  declare k: number;
  /** whether k was given (a given k prints as the float it is annotated as) */
  declare private kGiven: boolean;
  constructor(size: number | Record<string, unknown>, ...rest: unknown[]) {
    super();
    const a = ctorArgs<{ size: number; alpha: number; beta: number; k: number | null }>(
      "CrossMapLRN2d",
      [size, ...rest],
      ["size", "alpha", "beta", "k"],
      { alpha: 1e-4, beta: 0.75, k: null },
    );
    Object.assign(this, { ...a, k: a.k ?? 1, kGiven: a.k !== null });
  }
  override forward(input: Tensor): Tensor {
    return CrossMapLRN2dFn.apply(input, this.size, this.alpha, this.beta, this.k);
  }
  /** PyTorch's default k is the int 1 (printed "k=1"); a given k prints as a float */
  override extraRepr(): string {
    const kStr = this.kGiven ? pyFloat(this.k) : String(this.k);
    return `${this.size}, alpha=${pyFloat(this.alpha)}, beta=${pyFloat(this.beta)}, k=${kStr}`;
  }
}
