/**
 * torch.optim.lr_scheduler: learning-rate schedules in PyTorch 1.13's chainable form (each step
 * derives the new lr from the current one with the same float arithmetic, so the sequences
 * equal PyTorch's). Group keys PyTorch adds are camelCase: `initialLr`, `maxLr`, `minLr`,
 * `maxMomentum`, `baseMomentum`.
 */
import { Optimizer, type ParamGroup } from "./optimizer.js";
import { valueError } from "../errors.js";

function warn(msg: string): void {
  console.warn(`UserWarning: ${msg}`);
}

const EPOCH_DEPRECATION_WARNING =
  "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if epoch is different from None, the closed form is used instead of the new chainable form, where available. Please open an issue if you are unable to replicate your use case: https://github.com/pytorch/pytorch/issues/new/choose.";

/**
 * Base class of the epoch-based schedulers (PyTorch's _LRScheduler). Construction performs the
 * initial step (lastEpoch 0); call `step()` after each `optimizer.step()`.
 * @example
 * const sched = new torch.optim.lrScheduler.StepLR(opt, 30, 0.1);
 * for (let epoch = 0; epoch < 100; epoch++) { train(); sched.step(); }
 */
export abstract class LRScheduler {
  optimizer: Optimizer;
  baseLrs: number[];
  lastEpoch: number;
  verbose: boolean;
  _stepCount = 0;
  _lastLr: number[] = [];
  protected _getLrCalledWithinStep = false;

  constructor(optimizer: Optimizer, lastEpoch = -1, verbose = false) {
    if (!(optimizer instanceof Optimizer))
      throw new TypeError(`${(optimizer as object)?.constructor?.name} is not an Optimizer`);
    this.optimizer = optimizer;
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) if (!("initialLr" in g)) g.initialLr = g.lr;
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        if (!("initialLr" in g))
          throw new Error(
            `param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`,
          );
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
    this.verbose = verbose;
  }

  /** Subclass constructors call this last (PyTorch's `_initial_step`). */
  protected _initialStep(): void {
    this.optimizer._stepCount = 0;
    this._stepCount = 0;
    this.step();
  }

  /** The learning rates for the current `lastEpoch` (chainable form). */
  abstract getLr(): number[];

  /**
   * Advance one epoch and set each group's lr (an explicit `epoch` uses the closed form where
   * one exists, with PyTorch's deprecation warning).
   */
  step(epoch?: number): void {
    if (this._stepCount === 1 && this.optimizer._stepCount < 1) {
      warn(
        "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you should call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first value of the learning rate schedule. See more details at https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
      );
    }
    this._stepCount += 1;
    this._getLrCalledWithinStep = true;
    let values: number[];
    try {
      if (epoch === undefined) {
        this.lastEpoch += 1;
        values = this.getLr();
      } else {
        warn(EPOCH_DEPRECATION_WARNING);
        this.lastEpoch = epoch;
        values = this._getClosedFormLr?.() ?? this.getLr();
      }
    } finally {
      this._getLrCalledWithinStep = false;
    }
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i];
      if (this.verbose)
        console.log(`Adjusting learning rate of group ${i} to ${values[i].toExponential(4)}.`);
    });
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The closed-form lr for `lastEpoch`, where the schedule has one. */
  protected _getClosedFormLr?(): number[];

  /**
   * The learning rates set by the last step.
   * @example sched.getLastLr() // [0.01]
   */
  getLastLr(): number[] {
    return this._lastLr;
  }

  protected _warnGetLr(): void {
    if (!this._getLrCalledWithinStep)
      warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.");
  }

  /** Every field but the optimizer. */
  stateDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === "optimizer" || k === "lrLambdas" || typeof v === "function") continue;
      out[k] = Array.isArray(v) ? v.slice() : v;
    }
    return out;
  }

  /** Restore fields saved by `stateDict()`. */
  loadStateDict(sd: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(sd)) {
      if (k === "optimizer") continue;
      (this as unknown as Record<string, unknown>)[k] = Array.isArray(v) ? v.slice() : v;
    }
  }
}

const lrs = (o: Optimizer): number[] => o.paramGroups.map((g) => g.lr);

/**
 * lr = initial lr * lrLambda(epoch) (one function, or one per group).
 * @example new torch.optim.lrScheduler.LambdaLR(opt, (epoch) => 0.95 ** epoch)
 */
export class LambdaLR extends LRScheduler {
  lrLambdas: ((epoch: number) => number)[];
  constructor(
    optimizer: Optimizer,
    lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[],
    lastEpoch = -1,
    verbose = false,
  ) {
    super(optimizer, lastEpoch, verbose);
    if (Array.isArray(lrLambda)) {
      if (lrLambda.length !== optimizer.paramGroups.length)
        throw valueError(
          `Expected ${optimizer.paramGroups.length} lr_lambdas, but got ${lrLambda.length}`,
        );
      this.lrLambdas = lrLambda.slice();
    } else {
      this.lrLambdas = optimizer.paramGroups.map(() => lrLambda);
    }
    this._initialStep();
  }
  getLr(): number[] {
    this._warnGetLr();
    return this.baseLrs.map((base, i) => base * this.lrLambdas[i](this.lastEpoch));
  }
}

/**
 * lr *= factor(epoch) at every epoch after the first.
 * @example new torch.optim.lrScheduler.MultiplicativeLR(opt, () => 0.95)
 */
export class MultiplicativeLR extends LRScheduler {
  lrLambdas: ((epoch: number) => number)[];
  constructor(
    optimizer: Optimizer,
    lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[],
    lastEpoch = -1,
    verbose = false,
  ) {
    super(optimizer, lastEpoch, verbose);
    this.lrLambdas = Array.isArray(lrLambda)
      ? lrLambda.slice()
      : optimizer.paramGroups.map(() => lrLambda);
    this._initialStep();
  }
  getLr(): number[] {
    this._warnGetLr();
    if (this.lastEpoch > 0)
      return this.optimizer.paramGroups.map((g, i) => g.lr * this.lrLambdas[i](this.lastEpoch));
    return lrs(this.optimizer);
  }
}

/**
 * lr *= gamma every `stepSize` epochs.
 * @example new torch.optim.lrScheduler.StepLR(opt, 30, 0.1)
 */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  constructor(
    optimizer: Optimizer,
    stepSize: number | { stepSize: number; gamma?: number; lastEpoch?: number },
    gamma = 0.1,
    lastEpoch = -1,
    verbose = false,
  ) {
    const o = typeof stepSize === "object" ? stepSize : { stepSize, gamma, lastEpoch };
    super(optimizer, o.lastEpoch ?? -1, verbose);
    this.stepSize = o.stepSize;
    this.gamma = o.gamma ?? 0.1;
    this._initialStep();
  }
  getLr(): number[] {
    this._warnGetLr();
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return lrs(this.optimizer);
    return this.optimizer.paramGroups.map((g) => g.lr * this.gamma);
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => b * Math.pow(this.gamma, Math.floor(this.lastEpoch / this.stepSize)),
    );
  }
}

/**
 * lr *= gamma at each milestone epoch.
 * @example new torch.optim.lrScheduler.MultiStepLR(opt, [30, 80], 0.1)
 */
export class MultiStepLR extends LRScheduler {
  milestones: Map<number, number>;
  gamma: number;
  constructor(
    optimizer: Optimizer,
    milestones: readonly number[] | { milestones: readonly number[]; gamma?: number },
    gamma = 0.1,
    lastEpoch = -1,
    verbose = false,
  ) {
    const o = Array.isArray(milestones)
      ? { milestones: milestones as readonly number[], gamma }
      : (milestones as { milestones: readonly number[]; gamma?: number });
    super(optimizer, lastEpoch, verbose);
    this.milestones = new Map();
    for (const m of o.milestones) this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    this.gamma = o.gamma ?? 0.1;
    this._initialStep();
  }
  getLr(): number[] {
    this._warnGetLr();
    const count = this.milestones.get(this.lastEpoch);
    if (count === undefined) return lrs(this.optimizer);
    return this.optimizer.paramGroups.map((g) => g.lr * Math.pow(this.gamma, count));
  }
  protected override _getClosedFormLr(): number[] {
    let passed = 0;
    for (const [m, c] of this.milestones) if (m <= this.lastEpoch) passed += c;
    return this.baseLrs.map((b) => b * Math.pow(this.gamma, passed));
  }
}

/**
 * lr *= gamma every epoch.
 * @example new torch.optim.lrScheduler.ExponentialLR(opt, 0.9)
 */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  constructor(optimizer: Optimizer, gamma: number, lastEpoch = -1, verbose = false) {
    super(optimizer, lastEpoch, verbose);
    this.gamma = gamma;
    this._initialStep();
  }
  getLr(): number[] {
    this._warnGetLr();
    if (this.lastEpoch === 0) return lrs(this.optimizer);
    return this.optimizer.paramGroups.map((g) => g.lr * this.gamma);
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map((b) => b * Math.pow(this.gamma, this.lastEpoch));
  }
}

/**
 * Cosine annealing from the initial lr to etaMin over tMax epochs (SGDR without restarts).
 * @example new torch.optim.lrScheduler.CosineAnnealingLR(opt, 100, 1e-5)
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;
  constructor(optimizer: Optimizer, tMax: number, etaMin = 0, lastEpoch = -1, verbose = false) {
    super(optimizer, lastEpoch, verbose);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this._initialStep();
  }
  getLr(): number[] {
    this._warnGetLr();
    const e = this.lastEpoch;
    const T = this.tMax;
    const eta = this.etaMin;
    const groups = this.optimizer.paramGroups;
    if (e === 0) return lrs(this.optimizer);
    if (this._stepCount === 1 && e > 0)
      return this.baseLrs.map((b) => eta + ((b - eta) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    if (pyMod(e - 1 - T, 2 * T) === 0)
      return groups.map(
        (g, i) => g.lr + ((this.baseLrs[i] - eta) * (1 - Math.cos(Math.PI / T))) / 2,
      );
    return groups.map(
      (g) =>
        ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) *
          (g.lr - eta) +
        eta,
    );
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map(
      (b) =>
        this.etaMin +
        ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2,
    );
  }
}

/** Python's % (the result has the divisor's sign). */
function pyMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** Options of OneCycleLR (PyTorch's keyword arguments, camelCase). */
export interface OneCycleLROptions {
  totalSteps?: number | null;
  epochs?: number | null;
  stepsPerEpoch?: number | null;
  pctStart?: number;
  annealStrategy?: "cos" | "linear";
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
  lastEpoch?: number;
  verbose?: boolean;
}

interface Phase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

/**
 * The 1cycle policy: lr rises from maxLr/divFactor to maxLr, then anneals to
 * initialLr/finalDivFactor, cycling momentum (or Adam's beta1) inversely. Step once per batch.
 * @example new torch.optim.lrScheduler.OneCycleLR(opt, 0.1, { totalSteps: 1000 })
 */
export class OneCycleLR extends LRScheduler {
  totalSteps: number;
  cycleMomentum: boolean;
  useBeta1 = false;
  annealStrategy: "cos" | "linear";
  _schedulePhases: Phase[];

  constructor(optimizer: Optimizer, maxLr: number | number[], o: OneCycleLROptions = {}) {
    if (!(optimizer instanceof Optimizer))
      throw new TypeError(`${(optimizer as object)?.constructor?.name} is not an Optimizer`);
    let totalSteps: number;
    const { epochs, stepsPerEpoch } = o;
    if (o.totalSteps == null && epochs == null && stepsPerEpoch == null)
      throw valueError("You must define either total_steps OR (epochs AND steps_per_epoch)");
    else if (o.totalSteps != null) {
      if (o.totalSteps <= 0 || !Number.isInteger(o.totalSteps))
        throw valueError(`Expected positive integer total_steps, but got ${o.totalSteps}`);
      totalSteps = o.totalSteps;
    } else {
      if (epochs == null || epochs <= 0 || !Number.isInteger(epochs))
        throw valueError(`Expected positive integer epochs, but got ${epochs}`);
      if (stepsPerEpoch == null || stepsPerEpoch <= 0 || !Number.isInteger(stepsPerEpoch))
        throw valueError(`Expected positive integer steps_per_epoch, but got ${stepsPerEpoch}`);
      totalSteps = epochs * stepsPerEpoch;
    }
    const pct = o.pctStart ?? 0.3;
    const phases: Phase[] = o.threePhase
      ? [
          {
            endStep: pct * totalSteps - 1,
            startLr: "initialLr",
            endLr: "maxLr",
            startMomentum: "maxMomentum",
            endMomentum: "baseMomentum",
          },
          {
            endStep: 2 * pct * totalSteps - 2,
            startLr: "maxLr",
            endLr: "initialLr",
            startMomentum: "baseMomentum",
            endMomentum: "maxMomentum",
          },
          {
            endStep: totalSteps - 1,
            startLr: "initialLr",
            endLr: "minLr",
            startMomentum: "maxMomentum",
            endMomentum: "maxMomentum",
          },
        ]
      : [
          {
            endStep: pct * totalSteps - 1,
            startLr: "initialLr",
            endLr: "maxLr",
            startMomentum: "maxMomentum",
            endMomentum: "baseMomentum",
          },
          {
            endStep: totalSteps - 1,
            startLr: "maxLr",
            endLr: "minLr",
            startMomentum: "baseMomentum",
            endMomentum: "maxMomentum",
          },
        ];
    if (pct < 0 || pct > 1)
      throw valueError(`Expected float between 0 and 1 pct_start, but got ${pct}`);
    const anneal = o.annealStrategy ?? "cos";
    if (anneal !== "cos" && anneal !== "linear")
      throw valueError(
        `anneal_strategy must by one of 'cos' or 'linear', instead got ${String(anneal)}`,
      );
    const lastEpoch = o.lastEpoch ?? -1;
    const groups = optimizer.paramGroups;
    const maxLrs = formatParam("max_lr", groups, maxLr);
    const divFactor = o.divFactor ?? 25.0;
    const finalDiv = o.finalDivFactor ?? 1e4;
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = (g.initialLr as number) / finalDiv;
      });
    }
    const cycle = o.cycleMomentum ?? true;
    let useBeta1 = false;
    if (cycle) {
      if (!("momentum" in optimizer.defaults) && !("betas" in optimizer.defaults))
        throw valueError("optimizer must support momentum with `cycle_momentum` option enabled");
      useBeta1 = "betas" in optimizer.defaults;
      const maxM = formatParam("max_momentum", groups, o.maxMomentum ?? 0.95);
      const baseM = formatParam("base_momentum", groups, o.baseMomentum ?? 0.85);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxM[i], ...(g.betas as number[]).slice(1)];
          else g.momentum = maxM[i];
          g.maxMomentum = maxM[i];
          g.baseMomentum = baseM[i];
        });
      }
    }
    super(optimizer, lastEpoch, o.verbose ?? false);
    this.totalSteps = totalSteps;
    this._schedulePhases = phases;
    this.annealStrategy = anneal;
    this.cycleMomentum = cycle;
    this.useBeta1 = useBeta1;
    this._initialStep();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === "cos") {
      const cosOut = Math.cos(Math.PI * pct) + 1;
      return end + ((start - end) / 2.0) * cosOut;
    }
    return (end - start) * pct + start;
  }

  getLr(): number[] {
    this._warnGetLr();
    const out: number[] = [];
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps)
      throw valueError(
        `Tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`,
      );
    for (const group of this.optimizer.paramGroups) {
      let startStep = 0;
      let lr = 0;
      let mom = 0;
      const phases = this._schedulePhases;
      for (let i = 0; i < phases.length; i++) {
        const ph = phases[i];
        const endStep = ph.endStep;
        if (stepNum <= endStep || i === phases.length - 1) {
          const pct = (stepNum - startStep) / (endStep - startStep);
          lr = this.anneal(group[ph.startLr] as number, group[ph.endLr] as number, pct);
          if (this.cycleMomentum)
            mom = this.anneal(
              group[ph.startMomentum] as number,
              group[ph.endMomentum] as number,
              pct,
            );
          break;
        }
        startStep = ph.endStep;
      }
      out.push(lr);
      if (this.cycleMomentum) {
        if (this.useBeta1) group.betas = [mom, ...(group.betas as number[]).slice(1)];
        else group.momentum = mom;
      }
    }
    return out;
  }
}

function formatParam(name: string, groups: ParamGroup[], v: number | number[]): number[] {
  if (Array.isArray(v)) {
    if (v.length !== groups.length)
      throw valueError(`expected ${groups.length} values for ${name}, got ${v.length}`);
    return v.slice();
  }
  return groups.map(() => v);
}

/** Options of ReduceLROnPlateau (PyTorch's keyword arguments, camelCase). */
export interface ReduceLROnPlateauOptions {
  mode?: "min" | "max";
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: "rel" | "abs";
  cooldown?: number;
  minLr?: number | number[];
  eps?: number;
  verbose?: boolean;
}

/**
 * Reduce the lr by `factor` when a metric stopped improving for `patience` epochs.
 * @example
 * const sched = new torch.optim.lrScheduler.ReduceLROnPlateau(opt, { patience: 5 });
 * sched.step(valLoss);
 */
export class ReduceLROnPlateau {
  optimizer: Optimizer;
  factor: number;
  minLrs: number[];
  patience: number;
  verbose: boolean;
  cooldown: number;
  cooldownCounter = 0;
  mode: "min" | "max";
  threshold: number;
  thresholdMode: "rel" | "abs";
  best = Infinity;
  numBadEpochs = 0;
  modeWorse = Infinity;
  eps: number;
  lastEpoch = 0;
  _lastLr: number[] = [];

  constructor(optimizer: Optimizer, o: ReduceLROnPlateauOptions = {}) {
    const factor = o.factor ?? 0.1;
    if (factor >= 1.0) throw valueError("Factor should be < 1.0.");
    this.factor = factor;
    if (!(optimizer instanceof Optimizer))
      throw new TypeError(`${(optimizer as object)?.constructor?.name} is not an Optimizer`);
    this.optimizer = optimizer;
    const minLr = o.minLr ?? 0;
    if (Array.isArray(minLr)) {
      if (minLr.length !== optimizer.paramGroups.length)
        throw valueError(`expected ${optimizer.paramGroups.length} min_lrs, got ${minLr.length}`);
      this.minLrs = minLr.slice();
    } else this.minLrs = optimizer.paramGroups.map(() => minLr);
    this.patience = o.patience ?? 10;
    this.verbose = o.verbose ?? false;
    this.cooldown = o.cooldown ?? 0;
    this.mode = o.mode ?? "min";
    this.threshold = o.threshold ?? 1e-4;
    this.thresholdMode = o.thresholdMode ?? "rel";
    this.eps = o.eps ?? 1e-8;
    this.initIsBetter();
    this.reset();
  }

  private reset(): void {
    this.best = this.modeWorse;
    this.cooldownCounter = 0;
    this.numBadEpochs = 0;
  }

  private initIsBetter(): void {
    if (this.mode !== "min" && this.mode !== "max")
      throw valueError(`mode ${String(this.mode)} is unknown!`);
    if (this.thresholdMode !== "rel" && this.thresholdMode !== "abs")
      throw valueError(`threshold mode ${String(this.thresholdMode)} is unknown!`);
    this.modeWorse = this.mode === "min" ? Infinity : -Infinity;
  }

  /** Whether `a` improves on `best` (by the threshold). */
  isBetter(a: number, best: number): boolean {
    if (this.mode === "min" && this.thresholdMode === "rel") return a < best * (1 - this.threshold);
    if (this.mode === "min") return a < best - this.threshold;
    if (this.thresholdMode === "rel") return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /**
   * Record this epoch's metric (a number or a one-element tensor).
   * @example sched.step(valLoss.item())
   */
  step(metrics: number | { item(): number | boolean }, epoch?: number): void {
    const current = typeof metrics === "number" ? metrics : Number(metrics.item());
    if (epoch === undefined) epoch = this.lastEpoch + 1;
    else warn(EPOCH_DEPRECATION_WARNING);
    this.lastEpoch = epoch;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else this.numBadEpochs += 1;
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr(epoch);
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private reduceLr(epoch: number): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const old = g.lr;
      const next = Math.max(old * this.factor, this.minLrs[i]);
      if (old - next > this.eps) {
        g.lr = next;
        if (this.verbose)
          console.log(
            `Epoch ${String(epoch).padStart(5, "0")}: reducing learning rate of group ${i} to ${next.toExponential(4)}.`,
          );
      }
    });
  }

  /** The learning rates after the last step. */
  getLastLr(): number[] {
    return this._lastLr;
  }

  /** Every field but the optimizer. */
  stateDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) {
      if (k === "optimizer") continue;
      out[k] = Array.isArray(v) ? v.slice() : v;
    }
    return out;
  }

  /** Restore fields saved by `stateDict()`. */
  loadStateDict(sd: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(sd)) {
      if (k !== "optimizer") (this as unknown as Record<string, unknown>)[k] = v;
    }
    this.initIsBetter();
  }
}
