/**
 * torch.optim.swa_utils: Stochastic Weight Averaging (Izmailov et al. 2018) as PyTorch 1.13's:
 * `AveragedModel` (a running average of a model's parameters, and with `useBuffers` its
 * buffers), `SWALR` (anneals each group's lr to a fixed SWA lr) and `updateBn` (recomputes the
 * batch-norm statistics of a model in one pass over the data).
 */
import { Tensor } from "../tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { valueError } from "../errors.js";
import { parseDevice, type Device } from "../device.js";
import { int64 } from "../dtype.js";
import { tensor } from "../ops/creation.js";
import { onesLike, zerosLike } from "../generated/functions.js";
import { Module, deepcopyModule } from "../nn/module.js";
import { BatchNormBase } from "../nn/norm-layers.js";
import { Optimizer } from "./optimizer.js";
import { LRScheduler } from "./lr-scheduler.js";

/** A device as the averaged model's `device` argument takes it. */
export type DeviceLike = "cpu" | "webgpu" | "webgpu:0" | Device;

/**
 * An averaging function: the new averaged value from the current one, the model's value and
 * the number of models averaged so far (an int64 scalar tensor).
 */
export type AvgFn = (
  averagedModelParameter: Tensor,
  modelParameter: Tensor,
  numAveraged: Tensor,
) => Tensor;

/** Options of AveragedModel (PyTorch's device, avg_fn, use_buffers). */
export interface AveragedModelOptions {
  /** where the averaged copy lives (default: where the model's tensors are) */
  device?: DeviceLike | null;
  /** the averaging function (default: the equally weighted running mean) */
  avgFn?: AvgFn | null;
  /** average the buffers (batch-norm statistics) too, not only the parameters (default false) */
  useBuffers?: boolean;
}

/** The equal-weight running mean: avg + (p - avg) / (n + 1). */
const meanAvgFn: AvgFn = (avg, p, n) => avg.add(p.sub(avg).div(n.add(1)));

function isOptions(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/**
 * A copy of `model` whose parameters (and with `useBuffers` buffers) hold a running average of
 * the model's: the first `updateParameters(model)` copies them, each later one sets
 * avg = avgFn(avg, p, n) with n the number averaged so far (the `n_averaged` buffer). `call`
 * runs the copy. Positional (device, avgFn, useBuffers) as PyTorch, or an options object.
 * @example
 * const model = new torch.nn.Linear(3, 2);
 * const swaModel = new torch.optim.swaUtils.AveragedModel(model);
 * swaModel.updateParameters(model);
 * swaModel.call(torch.randn(4, 3));
 */
export class AveragedModel<M extends Module = Module> extends Module {
  /** The averaged copy of the model. */
  declare module: M;
  /** The number of models averaged so far (an int64 scalar buffer). */
  declare n_averaged: Tensor;
  /** The averaging function (not in the state dict). */
  avgFn: AvgFn;
  /** Whether buffers are averaged too. */
  useBuffers: boolean;

  constructor(
    model: M,
    device?: DeviceLike | null | AveragedModelOptions,
    avgFn?: AvgFn | null | AveragedModelOptions,
    useBuffers?: boolean | AveragedModelOptions,
  ) {
    super();
    const args: unknown[] = [device, avgFn, useBuffers];
    let o: AveragedModelOptions = {};
    let n = args.length;
    while (n > 0 && args[n - 1] === undefined) n--;
    if (n > 0 && isOptions(args[n - 1])) {
      o = { ...(args[n - 1] as AveragedModelOptions) };
      args[n - 1] = undefined;
    }
    const spec = (args[0] as DeviceLike | null | undefined) ?? o.device ?? null;
    const dev = spec === null ? null : (parseDevice(spec) ?? (spec as Device));
    let copy = deepcopyModule(model);
    if (dev !== null) copy = copy.to(dev) as M;
    this.module = copy;
    let count = tensor(0, { dtype: int64 });
    if (dev !== null && dev.type !== "cpu") count = count.to(dev);
    this.registerBuffer("n_averaged", count);
    this.avgFn = (args[1] as AvgFn | null | undefined) ?? o.avgFn ?? meanAvgFn;
    this.useBuffers = (args[2] as boolean | undefined) ?? o.useBuffers ?? false;
  }

  /** The number of models averaged so far (the `n_averaged` buffer). */
  get nAveraged(): Tensor {
    return this.n_averaged;
  }

  override forward(...args: unknown[]): unknown {
    return (this.module as Module).call(...(args as never[]));
  }

  /**
   * Average in `model`'s current parameters (and buffers with `useBuffers`), pairing them in
   * order: copied on the first call, avgFn(avg, p, n) after; then n_averaged += 1.
   * @example
   * const model = new torch.nn.Linear(2, 1);
   * const swa = new torch.optim.swaUtils.AveragedModel(model);
   * swa.updateParameters(model);
   * swa.nAveraged // tensor(1)
   */
  updateParameters(model: Module): void {
    const selfParams: Tensor[] = this.useBuffers
      ? [...this.module.parameters(), ...this.module.buffers()]
      : this.parameters();
    const modelParams: Tensor[] = this.useBuffers
      ? [...model.parameters(), ...model.buffers()]
      : model.parameters();
    const n = Math.min(selfParams.length, modelParams.length);
    for (let i = 0; i < n; i++) {
      const pSwa = selfParams[i];
      const pModel = modelParams[i].detach().to(pSwa.device);
      if (this.n_averaged.item() === 0) pSwa.detach().copy_(pModel);
      else pSwa.detach().copy_(this.avgFn(pSwa.detach(), pModel, this.n_averaged.to(pSwa.device)));
    }
    noGrad(() => this.n_averaged.add_(1));
  }
}

/** A batch of the loader given to updateBn: a tensor, or an array whose first item is one. */
export type BnBatch = Tensor | readonly [Tensor, ...unknown[]];

/**
 * Recompute the running statistics of every batch-norm layer of `model` in one pass over
 * `loader` (torch.optim.swa_utils.update_bn): each layer's running_mean / running_var reset to
 * 0 / 1 and its momentum set to null (a cumulative average over the batches), the model run in
 * training mode on each batch (its first item when the batch is an array), then the momenta and
 * the model's mode restored. Runs without recording.
 * @example
 * const model = new torch.nn.Sequential(new torch.nn.Linear(3, 4), new torch.nn.BatchNorm1d(4));
 * torch.optim.swaUtils.updateBn([torch.randn(8, 3), torch.randn(8, 3)], model);
 */
export function updateBn(
  loader: Iterable<BnBatch>,
  model: Module,
  device?: DeviceLike | null | { device?: DeviceLike | null },
): void {
  const dev = isOptions(device) ? (device.device ?? null) : (device ?? null);
  noGrad(() => {
    const momenta = new Map<BatchNormBase, number | null>();
    for (const m of model.modules()) {
      if (m instanceof BatchNormBase) {
        m.running_mean = zerosLike(m.running_mean as Tensor);
        m.running_var = onesLike(m.running_var as Tensor);
        momenta.set(m, m.momentum);
      }
    }
    if (momenta.size === 0) return;
    const wasTraining = model.training;
    model.train();
    for (const m of momenta.keys()) {
      m.momentum = null;
      m.num_batches_tracked?.mul_(0);
    }
    for (const batch of loader) {
      let input = Array.isArray(batch) ? (batch[0] as Tensor) : (batch as Tensor);
      if (dev !== null) input = input.to(dev);
      model.call(input as never);
    }
    for (const [m, momentum] of momenta) m.momentum = momentum;
    model.train(wasTraining);
  });
}

/** Options of SWALR (PyTorch's swa_lr, anneal_epochs, anneal_strategy, last_epoch). */
export interface SWALROptions {
  /** the SWA learning rate: one for every group, or one per group */
  swaLr?: number | number[];
  /** the number of epochs of the annealing phase (default 10) */
  annealEpochs?: number;
  /** "cos" (default) or "linear" annealing */
  annealStrategy?: "cos" | "linear";
  /** The index of the last epoch, to resume a schedule (default -1: start). */
  lastEpoch?: number;
}

/** Cosine annealing: alpha(t) = (1 - cos(pi t)) / 2. */
const cosineAnneal = (t: number): number => (1 - Math.cos(Math.PI * t)) / 2;
/** Linear annealing: alpha(t) = t. */
const linearAnneal = (t: number): number => t;

/**
 * Anneals each param group's lr to its SWA lr (`swaLr`, stored in the group as `swaLr`, PyTorch's
 * `swa_lr`) over `annealEpochs` epochs: at step s, with t = clamp(s / annealEpochs, 0, 1) and
 * alpha = (1 - cos(pi t)) / 2 ("cos") or t ("linear"), lr = swaLr alpha + lr0 (1 - alpha), where
 * lr0 is the lr the schedule started from (recovered from the group's current lr and the
 * previous alpha, as PyTorch's chainable form). Used after another scheduler late in training.
 * @example
 * const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.5 });
 * new torch.optim.swaUtils.SWALR(opt, { swaLr: 0.05, annealEpochs: 5, annealStrategy: "linear" }).getLastLr() // [0.5]
 */
export class SWALR extends LRScheduler {
  /** The annealing function of t in [0, 1] (PyTorch's `anneal_func`). */
  annealFunc: (t: number) => number;
  /** The number of epochs of the annealing phase. */
  annealEpochs: number;

  constructor(
    optimizer: Optimizer,
    swaLr: number | number[] | SWALROptions,
    ...args:
      | [options?: SWALROptions]
      | [annealEpochs?: number, annealStrategy?: "cos" | "linear", lastEpoch?: number]
      | [annealEpochs: number, annealStrategy: "cos" | "linear", options: SWALROptions]
      | [annealEpochs: number, options: SWALROptions]
  ) {
    const all: unknown[] = [swaLr, ...args];
    let o: SWALROptions = {};
    let n = all.length;
    while (n > 0 && all[n - 1] === undefined) n--;
    if (n > 0 && isOptions(all[n - 1])) {
      o = { ...(all[n - 1] as SWALROptions) };
      all[n - 1] = undefined;
    }
    const names = ["swaLr", "annealEpochs", "annealStrategy", "lastEpoch"] as const;
    names.forEach((k, i) => {
      if (all[i] !== undefined) (o as Record<string, unknown>)[k] = all[i];
    });
    if (o.swaLr === undefined)
      throw new TypeError("SWALR.__init__() missing 1 required positional argument: 'swa_lr'");
    // one SWA lr per group (PyTorch's _format_param), stored in the group
    const groups = optimizer.paramGroups;
    let swaLrs: number[];
    if (Array.isArray(o.swaLr)) {
      if (o.swaLr.length !== groups.length)
        throw valueError(
          `swa_lr must have the same length as optimizer.param_groups: swa_lr has ${o.swaLr.length}, optimizer.param_groups has ${groups.length}`,
        );
      swaLrs = o.swaLr;
    } else swaLrs = groups.map(() => o.swaLr as number);
    swaLrs.forEach((v, i) => {
      groups[i].swaLr = v;
    });
    const strategy = o.annealStrategy ?? "cos";
    if (strategy !== "cos" && strategy !== "linear")
      throw valueError(
        `anneal_strategy must by one of 'cos' or 'linear', instead got ${String(strategy)}`,
      );
    const annealEpochs = o.annealEpochs ?? 10;
    if (!Number.isInteger(annealEpochs) || annealEpochs < 0)
      throw valueError(
        `anneal_epochs must be equal or greater than 0, got ${String(annealEpochs)}`,
      );
    super(optimizer, o.lastEpoch ?? -1);
    this.annealFunc = strategy === "cos" ? cosineAnneal : linearAnneal;
    this.annealEpochs = annealEpochs;
    this._initialStep();
  }

  /** lr0 from lr = swaLr alpha + lr0 (1 - alpha): (lr - alpha swaLr) / (1 - alpha); swaLr at alpha 1. */
  private static _getInitialLr(lr: number, swaLr: number, alpha: number): number {
    if (alpha === 1) return swaLr;
    return (lr - alpha * swaLr) / (1 - alpha);
  }

  getLr(): number[] {
    this._warnGetLr();
    let step = this._stepCount - 1;
    if (this.annealEpochs === 0) step = Math.max(1, step);
    const groups = this.optimizer.paramGroups;
    const denom = Math.max(1, this.annealEpochs);
    const prevT = Math.max(0, Math.min(1, (step - 1) / denom));
    const prevAlpha = this.annealFunc(prevT);
    const prevLrs = groups.map((g) => SWALR._getInitialLr(g.lr, g.swaLr as number, prevAlpha));
    const t = Math.max(0, Math.min(1, step / denom));
    const alpha = this.annealFunc(t);
    return groups.map((g, i) => (g.swaLr as number) * alpha + prevLrs[i] * (1 - alpha));
  }
}
