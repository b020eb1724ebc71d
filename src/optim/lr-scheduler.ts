/**
 * torch.optim.lr_scheduler: learning-rate schedules in PyTorch 1.13's chainable form (each step
 * derives the new lr from the current one with the same float arithmetic, so the sequences
 * equal PyTorch's). Group keys PyTorch adds are camelCase: `initialLr`, `maxLr`, `minLr`,
 * `maxMomentum`, `baseMomentum` (`initial_lr`, ... in the optimizer's state dict). A scheduler's
 * `stateDict()` has PyTorch's keys (`last_epoch`, `base_lrs`, `_step_count`, `T_max`, ...).
 */
import { Optimizer, camelCase, snakeCase, type ParamGroup } from "./optimizer.js";
import { valueError } from "../errors.js";

function warn(msg: string): void {
  console.warn(`UserWarning: ${msg}`);
}

/** Python's `"{:.4e}".format(x)`: a two-digit exponent at least (`1.0000e-01`). */
function pyExp4(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  const [mant, exp] = x.toExponential(4).split("e");
  const e = Number(exp);
  return `${mant}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

/** PyTorch's `print_lr`: `epoch` as `%.2f` when fractional, else `%.5d`. */
function printLr(group: number, lr: number, epoch?: number): void {
  if (epoch === undefined)
    console.log(`Adjusting learning rate of group ${group} to ${pyExp4(lr)}.`);
  else {
    const e = Number.isInteger(epoch)
      ? `${epoch < 0 ? "-" : ""}${String(Math.abs(epoch)).padStart(epoch < 0 ? 4 : 5, "0")}`
      : epoch.toFixed(2);
    console.log(`Epoch ${e}: adjusting learning rate of group ${group} to ${pyExp4(lr)}.`);
  }
}

/** Field names whose PyTorch spelling is not the plain snake_case of the camelCase one. */
const PY_NAMES: Record<string, string> = {
  tMax: "T_max",
  t0: "T_0",
  tI: "T_i",
  tMult: "T_mult",
  tCur: "T_cur",
};
const TS_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(PY_NAMES).map(([k, v]) => [v, k]),
);

/** A scheduler field's name in PyTorch's state dict. */
const pyName = (k: string): string => PY_NAMES[k] ?? snakeCase(k);
/** The field named `k` in a PyTorch state dict (camelCase names pass through). */
const tsName = (k: string): string => TS_NAMES[k] ?? camelCase(k);

/** A field value as PyTorch's state dict holds it (a Map as a dict, arrays copied). */
function pyValue(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries(v);
  if (Array.isArray(v)) return v.map(pyValue);
  return v;
}

/**
 * Every field of a scheduler but the optimizer, under PyTorch's names (PyTorch's
 * `state_dict()`: its `__dict__` without the optimizer).
 */
function fieldsStateDict(obj: object, skip: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === "optimizer" || v === undefined || skip.includes(k)) continue;
    out[pyName(k)] = pyValue(v);
  }
  return out;
}

/**
 * Restore fields from a state dict with PyTorch's (or tensorgrad 0.1's camelCase) names. A
 * saved function placeholder (a state dict that went through JSON) leaves the field as it is.
 */
function loadFields(obj: object, sd: Record<string, unknown>, skip: readonly string[] = []): void {
  const self = obj as Record<string, unknown>;
  for (const [k, v] of Object.entries(sd)) {
    if (k === "optimizer" || skip.includes(k)) continue;
    const name = tsName(k);
    const cur = self[name];
    if (typeof cur === "function" && typeof v !== "function") continue;
    if (cur instanceof Map && v !== null && typeof v === "object" && !(v instanceof Map))
      self[name] = new Map(Object.entries(v).map(([a, b]) => [Number(a), b]));
    else if (Array.isArray(v)) self[name] = v.slice();
    else self[name] = v;
  }
}

const EPOCH_DEPRECATION_WARNING =
  "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if epoch is different from None, the closed form is used instead of the new chainable form, where available. Please open an issue if you are unable to replicate your use case: https://github.com/pytorch/pytorch/issues/new/choose.";

/**
 * Base class of the epoch-based schedulers (PyTorch's _LRScheduler). Construction performs the
 * initial step (lastEpoch 0); call `step()` after each `optimizer.step()`.
 * @example
 * const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 });
 * const train = () => {
 *   opt.zeroGrad();
 *   opt.step();
 * };
 * const sched = new torch.optim.lrScheduler.StepLR(opt, 30, 0.1);

 * for (let epoch = 0; epoch < 100; epoch++) { train(); sched.step(); }
 */
export abstract class LRScheduler {
  /** The optimizer whose learning rates this scheduler sets. */
  optimizer: Optimizer;
  /** Each param group's initial learning rate (PyTorch's `base_lrs`). */
  baseLrs: number[];
  /** The number of `step()` calls so far (PyTorch's `last_epoch`; -1 before the first). */
  lastEpoch: number;
  /** Print a message on each learning-rate update (PyTorch's `verbose`). */
  verbose: boolean;
  _stepCount = 0;
  _lastLr: number[] = [];
  protected _getLrCalledWithinStep = false;

  constructor(optimizer: Optimizer, lastEpoch = -1, verbose = false) {
    if (!(optimizer instanceof Optimizer))
      throw new TypeError(`${pyTypeName(optimizer)} is not an Optimizer`);
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
      if (this.verbose) printLr(i, values[i], epoch);
    });
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The closed-form lr for `lastEpoch`, where the schedule has one. */
  protected _getClosedFormLr?(): number[];

  /**
   * The learning rates set by the last step.
   * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); new torch.optim.lrScheduler.StepLR(opt, 30, 0.1).getLastLr() // [0.1]
   */
  getLastLr(): number[] {
    return this._lastLr;
  }

  protected _warnGetLr(): void {
    if (!this._getLrCalledWithinStep)
      warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.");
  }

  /**
   * Every field but the optimizer, under PyTorch's names (`last_epoch`, `base_lrs`,
   * `_step_count`, `_last_lr`, ...), as PyTorch's `state_dict()`.
   * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); const sched = new torch.optim.lrScheduler.StepLR(opt, 30, 0.1); sched.stateDict() // { _step_count: 1, _last_lr: [0.1], ..., base_lrs: [0.1], last_epoch: 0, verbose: false, step_size: 30, gamma: 0.1 }
   */
  stateDict(): Record<string, unknown> {
    return fieldsStateDict(this);
  }

  /**
   * Restore fields saved by `stateDict()` (PyTorch's names, or tensorgrad 0.1's camelCase).
   * @example
   * const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 });
   * const sched = new torch.optim.lrScheduler.StepLR(opt, 30, 0.1);
   * const saved = sched.stateDict();
   * opt.step();
   * sched.step();

   * sched.loadStateDict(saved); // lastEpoch back to 0
   */
  loadStateDict(sd: Record<string, unknown>): void {
    loadFields(this, sd);
  }
}

/**
 * LambdaLR / MultiplicativeLR state dicts: the lambdas are saved as nulls (PyTorch saves only
 * callable objects' attributes, and a JavaScript function has none).
 */
function lambdaStateDict(s: { lrLambdas: unknown[] }): Record<string, unknown> {
  const out = fieldsStateDict(s, ["lrLambdas"]);
  out.lr_lambdas = s.lrLambdas.map(() => null);
  return out;
}

const lrs = (o: Optimizer): number[] => o.paramGroups.map((g) => g.lr);

/**
 * lr = initial lr * lrLambda(epoch) (one function, or one per group).
 * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); new torch.optim.lrScheduler.LambdaLR(opt, (epoch) => 0.95 ** epoch)
 */
export class LambdaLR extends LRScheduler {
  /** One function of the epoch per param group. */
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
  override stateDict(): Record<string, unknown> {
    return lambdaStateDict(this);
  }
  override loadStateDict(sd: Record<string, unknown>): void {
    loadFields(this, sd, ["lr_lambdas", "lrLambdas"]);
  }
}

/**
 * lr *= factor(epoch) at every epoch after the first.
 * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); new torch.optim.lrScheduler.MultiplicativeLR(opt, () => 0.95)
 */
export class MultiplicativeLR extends LRScheduler {
  /** One function of the epoch per param group. */
  lrLambdas: ((epoch: number) => number)[];
  constructor(
    optimizer: Optimizer,
    lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[],
    lastEpoch = -1,
    verbose = false,
  ) {
    super(optimizer, lastEpoch, verbose);
    if (Array.isArray(lrLambda) && lrLambda.length !== optimizer.paramGroups.length)
      throw valueError(
        `Expected ${optimizer.paramGroups.length} lr_lambdas, but got ${lrLambda.length}`,
      );
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
  override stateDict(): Record<string, unknown> {
    return lambdaStateDict(this);
  }
  override loadStateDict(sd: Record<string, unknown>): void {
    loadFields(this, sd, ["lr_lambdas", "lrLambdas"]);
  }
}

/**
 * lr *= gamma every `stepSize` epochs.
 * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); new torch.optim.lrScheduler.StepLR(opt, 30, 0.1)
 */
export class StepLR extends LRScheduler {
  /** The period of learning-rate decay, in epochs. */
  stepSize: number;
  /** The multiplicative factor of learning-rate decay. */
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
 * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); new torch.optim.lrScheduler.MultiStepLR(opt, [30, 80], 0.1)
 */
export class MultiStepLR extends LRScheduler {
  /** Epoch indices at which the learning rate decays (increasing). */
  milestones: Map<number, number>;
  /** The multiplicative factor of learning-rate decay. */
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
 * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); new torch.optim.lrScheduler.ExponentialLR(opt, 0.9)
 */
export class ExponentialLR extends LRScheduler {
  /** The multiplicative factor of learning-rate decay. */
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
 * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); new torch.optim.lrScheduler.CosineAnnealingLR(opt, 100, 1e-5)
 */
export class CosineAnnealingLR extends LRScheduler {
  /** The maximum number of iterations of the half cosine (PyTorch's `T_max`). */
  tMax: number;
  /** The minimum learning rate (PyTorch's `eta_min`). */
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
  /** The total number of steps in the cycle. */
  totalSteps?: number | null;
  /** The number of epochs (with stepsPerEpoch, instead of totalSteps). */
  epochs?: number | null;
  /** Steps per epoch (with `epochs`, instead of totalSteps). */
  stepsPerEpoch?: number | null;
  /** The fraction of the cycle spent increasing the learning rate (default 0.3). */
  pctStart?: number;
  /** "cos" (default) or "linear" annealing. */
  annealStrategy?: "cos" | "linear";
  /** Whether momentum cycles inversely to the learning rate. */
  cycleMomentum?: boolean;
  /** The lower momentum boundary of the cycle. */
  baseMomentum?: number | number[];
  /** The upper momentum boundary of the cycle. */
  maxMomentum?: number | number[];
  /** The initial learning rate is maxLr / divFactor (default 25). */
  divFactor?: number;
  /** The minimum learning rate is initialLr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Use a third phase annihilating the learning rate (default false). */
  threePhase?: boolean;
  /** The index of the last epoch, to resume a schedule (default -1: start). */
  lastEpoch?: number;
  /** Print a message on each learning-rate update (default false; deprecated in later PyTorch). */
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
 * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); new torch.optim.lrScheduler.OneCycleLR(opt, 0.1, { totalSteps: 1000 })
 */
export class OneCycleLR extends LRScheduler {
  /** The total number of steps in the cycle. */
  totalSteps: number;
  /** Whether momentum cycles inversely to the learning rate. */
  cycleMomentum: boolean;
  /** whether Adam's beta1 is cycled (set only with cycleMomentum, as PyTorch's `use_beta1`) */
  useBeta1?: boolean;
  /** the annealing function (PyTorch's `anneal_func`: cosine or linear) */
  annealFunc: (start: number, end: number, pct: number) => number;
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
    this.annealFunc = anneal === "cos" ? annealingCos : annealingLinear;
    this.cycleMomentum = cycle;
    if (cycle) this.useBeta1 = useBeta1;
    this._initialStep();
  }

  override stateDict(): Record<string, unknown> {
    const out = fieldsStateDict(this);
    out._schedule_phases = this._schedulePhases.map(pyPhase);
    return out;
  }

  override loadStateDict(sd: Record<string, unknown>): void {
    loadFields(this, sd, ["_schedule_phases", "_schedulePhases"]);
    const phases = (sd._schedule_phases ?? sd._schedulePhases) as
      Record<string, unknown>[] | undefined;
    if (phases !== undefined) this._schedulePhases = phases.map(tsPhase);
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
          lr = this.annealFunc(group[ph.startLr] as number, group[ph.endLr] as number, pct);
          if (this.cycleMomentum)
            mom = this.annealFunc(
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

/** Cosine annealing from start to end as pct goes from 0 to 1. */
function annealingCos(start: number, end: number, pct: number): number {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + ((start - end) / 2.0) * cosOut;
}

/** Linear annealing from start to end as pct goes from 0 to 1. */
function annealingLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

/** A schedule phase with PyTorch's keys and group-key names (`end_step`, `"initial_lr"`). */
function pyPhase(ph: Phase): Record<string, unknown> {
  return {
    end_step: ph.endStep,
    start_lr: snakeCase(ph.startLr),
    end_lr: snakeCase(ph.endLr),
    start_momentum: snakeCase(ph.startMomentum),
    end_momentum: snakeCase(ph.endMomentum),
  };
}

function tsPhase(ph: Record<string, unknown>): Phase {
  const get = (py: string, ts: string): unknown => ph[py] ?? ph[ts];
  return {
    endStep: get("end_step", "endStep") as number,
    startLr: camelCase(get("start_lr", "startLr") as string),
    endLr: camelCase(get("end_lr", "endLr") as string),
    startMomentum: camelCase(get("start_momentum", "startMomentum") as string),
    endMomentum: camelCase(get("end_momentum", "endMomentum") as string),
  };
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
  /** The schedule's mode (see the class's doc). */
  mode?: "min" | "max";
  /** The multiplicative factor (see the class's doc). */
  factor?: number;
  /** Epochs without improvement before the learning rate is reduced. */
  patience?: number;
  /** The threshold for measuring a new optimum. */
  threshold?: number;
  /** "rel" or "abs": how `threshold` measures an improvement. */
  thresholdMode?: "rel" | "abs";
  /** Epochs to wait after a reduction before resuming normal operation. */
  cooldown?: number;
  /** A lower bound on the learning rate(s) (default 0). */
  minLr?: number | number[];
  /** Updates smaller than this are ignored (default 1e-8). */
  eps?: number;
  /** Print a message on each learning-rate update (default false; deprecated in later PyTorch). */
  verbose?: boolean;
}

/**
 * Reduce the lr by `factor` when a metric stopped improving for `patience` epochs.
 * @example
 * const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 });
 * const sched = new torch.optim.lrScheduler.ReduceLROnPlateau(opt, { patience: 5 });
 * const valLoss = torch.tensor(0.5);
 * sched.step(valLoss);
 */
export class ReduceLROnPlateau {
  /** The optimizer whose learning rates this scheduler sets. */
  optimizer: Optimizer;
  /** The multiplicative factor (see the class's doc). */
  factor: number;
  /** The lower bound of each group's learning rate. */
  minLrs: number[];
  /** Epochs without improvement before the learning rate is reduced. */
  patience: number;
  /** Print a message on each learning-rate update (PyTorch's `verbose`). */
  verbose: boolean;
  /** Epochs to wait after a reduction before resuming normal operation. */
  cooldown: number;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  /** The schedule's mode (see the class's doc). */
  mode: "min" | "max";
  /** The threshold for measuring a new optimum. */
  threshold: number;
  /** "rel" or "abs": how `threshold` measures an improvement. */
  thresholdMode: "rel" | "abs";
  /** The best metric value seen. */
  best = Infinity;
  /** Epochs since the last improvement. */
  numBadEpochs = 0;
  /** The worst value for the mode (infinity for "min"). */
  modeWorse = Infinity;
  /** Updates smaller than this are ignored (default 1e-8). */
  eps: number;
  /** The number of `step()` calls so far. */
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

  /** Whether a reduction happened less than `cooldown` epochs ago. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /**
   * Record this epoch's metric (a number or a one-element tensor).
   * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); const sched = new torch.optim.lrScheduler.ReduceLROnPlateau(opt); sched.step(0.5); sched.numBadEpochs // 0
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
            `Epoch ${Number.isInteger(epoch) ? String(epoch).padStart(5, "0") : epoch.toFixed(2)}: reducing learning rate of group ${i} to ${pyExp4(next)}.`,
          );
      }
    });
  }

  /** The learning rates after the last step. */
  getLastLr(): number[] {
    return this._lastLr;
  }

  /** Every field but the optimizer, under PyTorch's names (`min_lrs`, `num_bad_epochs`, ...). */
  stateDict(): Record<string, unknown> {
    return fieldsStateDict(this);
  }

  /** Restore fields saved by `stateDict()` (PyTorch's names, or tensorgrad 0.1's camelCase). */
  loadStateDict(sd: Record<string, unknown>): void {
    loadFields(this, sd);
    this.initIsBetter();
  }
}

/** Positional arguments after the optimizer, or a trailing options object (camelCase names). */
function schedOptions<O extends object>(
  args: readonly unknown[],
  names: readonly string[],
): Partial<O> {
  const out: Record<string, unknown> = {};
  let positional = args;
  const last = args[args.length - 1];
  if (
    args.length > 0 &&
    last !== null &&
    typeof last === "object" &&
    !Array.isArray(last) &&
    !(last instanceof Optimizer)
  ) {
    Object.assign(out, last);
    positional = args.slice(0, -1);
  }
  positional.forEach((v, i) => {
    if (v !== undefined && i < names.length) out[names[i]] = v;
  });
  return out as Partial<O>;
}

/** Options of ConstantLR. */
export interface ConstantLROptions {
  /** the factor applied until totalIters (default 1/3) */
  factor?: number;
  /** The number of steps over which the factor applies. */
  totalIters?: number;
  /** The index of the last epoch, to resume a schedule (default -1: start). */
  lastEpoch?: number;
  /** Print a message on each learning-rate update (default false; deprecated in later PyTorch). */
  verbose?: boolean;
}

/**
 * lr = initial lr * factor until epoch totalIters, then the initial lr.
 * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); new torch.optim.lrScheduler.ConstantLR(opt, 0.5, 4)
 */
export class ConstantLR extends LRScheduler {
  /** The multiplicative factor (see the class's doc). */
  factor: number;
  /** The number of steps over which the factor applies. */
  totalIters: number;
  constructor(
    optimizer: Optimizer,
    ...args:
      | [options?: ConstantLROptions]
      | [factor?: number, totalIters?: number, lastEpoch?: number, verbose?: boolean]
  ) {
    const o = schedOptions<ConstantLROptions>(args, [
      "factor",
      "totalIters",
      "lastEpoch",
      "verbose",
    ]);
    const factor = o.factor ?? 1.0 / 3;
    if (factor > 1.0 || factor < 0)
      throw valueError("Constant multiplicative factor expected to be between 0 and 1.");
    super(optimizer, o.lastEpoch ?? -1, o.verbose ?? false);
    this.factor = factor;
    this.totalIters = o.totalIters ?? 5;
    this._initialStep();
  }
  getLr(): number[] {
    this._warnGetLr();
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => g.lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return lrs(this.optimizer);
    return groups.map((g) => g.lr * (1.0 / this.factor));
  }
  protected override _getClosedFormLr(): number[] {
    const after = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((b) => b * (this.factor + after * (1 - this.factor)));
  }
}

/** Options of LinearLR. */
export interface LinearLROptions {
  /** the factor of the first epoch (default 1/3) */
  startFactor?: number;
  /** the factor from totalIters on (default 1) */
  endFactor?: number;
  /** The number of steps over which the factor applies. */
  totalIters?: number;
  /** The index of the last epoch, to resume a schedule (default -1: start). */
  lastEpoch?: number;
  /** Print a message on each learning-rate update (default false; deprecated in later PyTorch). */
  verbose?: boolean;
}

/**
 * The lr factor goes linearly from startFactor to endFactor over totalIters epochs (a
 * warm-up, or a linear decay).
 * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); new torch.optim.lrScheduler.LinearLR(opt, { startFactor: 0.1, totalIters: 10 })
 */
export class LinearLR extends LRScheduler {
  /** The factor of the first epoch's learning rate. */
  startFactor: number;
  /** The factor at the end of the linear change. */
  endFactor: number;
  /** The number of steps over which the factor applies. */
  totalIters: number;
  constructor(
    optimizer: Optimizer,
    ...args:
      | [options?: LinearLROptions]
      | [
          startFactor?: number,
          endFactor?: number,
          totalIters?: number,
          lastEpoch?: number,
          verbose?: boolean,
        ]
  ) {
    const o = schedOptions<LinearLROptions>(args, [
      "startFactor",
      "endFactor",
      "totalIters",
      "lastEpoch",
      "verbose",
    ]);
    const startFactor = o.startFactor ?? 1.0 / 3;
    const endFactor = o.endFactor ?? 1.0;
    if (startFactor > 1.0 || startFactor < 0)
      throw valueError("Starting multiplicative factor expected to be between 0 and 1.");
    if (endFactor > 1.0 || endFactor < 0)
      throw valueError("Ending multiplicative factor expected to be between 0 and 1.");
    super(optimizer, o.lastEpoch ?? -1, o.verbose ?? false);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = o.totalIters ?? 5;
    this._initialStep();
  }
  getLr(): number[] {
    this._warnGetLr();
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => g.lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return lrs(this.optimizer);
    const d = this.endFactor - this.startFactor;
    // the ratio of consecutive factors: 1 + d / (T start + (e - 1) d)
    return groups.map(
      (g) => g.lr * (1 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d)),
    );
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map(
      (b) =>
        b *
        (this.startFactor +
          ((this.endFactor - this.startFactor) * Math.min(this.totalIters, this.lastEpoch)) /
            this.totalIters),
    );
  }
}

/** Options of PolynomialLR. */
export interface PolynomialLROptions {
  /** The number of steps over which the factor applies. */
  totalIters?: number;
  /** the power of the polynomial (default 1) */
  power?: number;
  /** The index of the last epoch, to resume a schedule (default -1: start). */
  lastEpoch?: number;
  /** Print a message on each learning-rate update (default false; deprecated in later PyTorch). */
  verbose?: boolean;
}

/**
 * lr = initial lr * (1 - epoch / totalIters)^power, then 0 from totalIters on.
 * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); new torch.optim.lrScheduler.PolynomialLR(opt, 100, 2)
 */
export class PolynomialLR extends LRScheduler {
  /** The number of steps over which the factor applies. */
  totalIters: number;
  /** The power of the polynomial. */
  power: number;
  constructor(
    optimizer: Optimizer,
    ...args:
      | [options?: PolynomialLROptions]
      | [totalIters?: number, power?: number, lastEpoch?: number, verbose?: boolean]
  ) {
    const o = schedOptions<PolynomialLROptions>(args, [
      "totalIters",
      "power",
      "lastEpoch",
      "verbose",
    ]);
    super(optimizer, o.lastEpoch ?? -1, o.verbose ?? false);
    this.totalIters = o.totalIters ?? 5;
    this.power = o.power ?? 1.0;
    this._initialStep();
  }
  getLr(): number[] {
    this._warnGetLr();
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return lrs(this.optimizer);
    const T = this.totalIters;
    const decay = Math.pow(
      (1.0 - this.lastEpoch / T) / (1.0 - (this.lastEpoch - 1) / T),
      this.power,
    );
    return this.optimizer.paramGroups.map((g) => g.lr * decay);
  }
  protected override _getClosedFormLr(): number[] {
    const T = this.totalIters;
    return this.baseLrs.map((b) => b * Math.pow(1.0 - Math.min(T, this.lastEpoch) / T, this.power));
  }
}

/** Options of CyclicLR (PyTorch's keyword arguments, camelCase). */
export interface CyclicLROptions {
  /** iterations in the increasing half of a cycle (default 2000) */
  stepSizeUp?: number;
  /** iterations in the decreasing half (default stepSizeUp) */
  stepSizeDown?: number | null;
  /** The schedule's mode (see the class's doc). */
  mode?: "triangular" | "triangular2" | "exp_range";
  /** exp_range's factor: gamma^(cycle iterations) (default 1) */
  gamma?: number;
  /** a custom amplitude scaling (mode is then ignored) */
  scaleFn?: ((x: number) => number) | null;
  /** whether scaleFn takes the cycle number or the iteration ("cycle") */
  scaleMode?: "cycle" | "iterations";
  /** cycle the momentum inversely to the lr (default true; the optimizer needs `momentum`) */
  cycleMomentum?: boolean;
  /** The lower momentum boundary of the cycle. */
  baseMomentum?: number | number[];
  /** The upper momentum boundary of the cycle. */
  maxMomentum?: number | number[];
  /** The index of the last epoch, to resume a schedule (default -1: start). */
  lastEpoch?: number;
  /** Print a message on each learning-rate update (default false; deprecated in later PyTorch). */
  verbose?: boolean;
}

/**
 * The cyclical learning rate policy (CLR): the lr cycles between baseLr and maxLr
 * (triangular, triangular2 or exp_range amplitude, or a custom scaleFn), the momentum
 * inversely. Step once per batch. As in PyTorch 1.13, momentum cycling needs an optimizer
 * with a `momentum` option (Adam's betas are not cycled: pass `cycleMomentum: false`).
 * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); new torch.optim.lrScheduler.CyclicLR(opt, 0.01, 0.1, { stepSizeUp: 2000 })
 */
export class CyclicLR extends LRScheduler {
  /** Each group's upper learning-rate boundary. */
  maxLrs: number[];
  /** The number of iterations of one cycle. */
  totalSize: number;
  /** The fraction of a cycle spent increasing. */
  stepRatio: number;
  /** The schedule's mode (see the class's doc). */
  mode: string;
  /** The multiplicative factor of learning-rate decay. */
  gamma: number;
  /** the custom scale function, or null (PyTorch's `_scale_fn_custom`) */
  _scaleFnCustom: ((x: number) => number) | null;
  /** the built-in scale function of the mode, or null (PyTorch's `_scale_fn_ref`) */
  _scaleFnRef: ((x: number) => number) | null;
  /** "cycle" or "iterations": what scaleFn is evaluated on. */
  scaleMode: string;
  /** Whether momentum cycles inversely to the learning rate. */
  cycleMomentum: boolean;
  /** Each group's lower momentum boundary. */
  baseMomentums?: number[];
  /** Each group's upper momentum boundary. */
  maxMomentums?: number[];

  constructor(
    optimizer: Optimizer,
    baseLr: number | number[],
    maxLr: number | number[],
    ...args:
      | [options?: CyclicLROptions]
      | [
          stepSizeUp?: number,
          stepSizeDown?: number | null,
          mode?: "triangular" | "triangular2" | "exp_range",
          gamma?: number,
          scaleFn?: ((x: number) => number) | null,
          scaleMode?: "cycle" | "iterations",
          cycleMomentum?: boolean,
          baseMomentum?: number | number[],
          maxMomentum?: number | number[],
          lastEpoch?: number,
          verbose?: boolean,
        ]
  ) {
    const o = schedOptions<CyclicLROptions>(args, [
      "stepSizeUp",
      "stepSizeDown",
      "mode",
      "gamma",
      "scaleFn",
      "scaleMode",
      "cycleMomentum",
      "baseMomentum",
      "maxMomentum",
      "lastEpoch",
      "verbose",
    ]);
    if (!(optimizer instanceof Optimizer))
      throw new TypeError(`${pyTypeName(optimizer)} is not an Optimizer`);
    const lastEpoch = o.lastEpoch ?? -1;
    const groups = optimizer.paramGroups;
    const baseLrs = formatParam("base_lr", groups, baseLr);
    if (lastEpoch === -1) groups.forEach((g, i) => (g.lr = baseLrs[i]));
    const maxLrs = formatParam("max_lr", groups, maxLr);
    const up = o.stepSizeUp ?? 2000;
    const down = o.stepSizeDown ?? up;
    const mode = o.mode ?? "triangular";
    const scaleFn = o.scaleFn ?? null;
    if (!["triangular", "triangular2", "exp_range"].includes(mode) && scaleFn === null)
      throw valueError("mode is invalid and scale_fn is None");
    const cycleMomentum = o.cycleMomentum ?? true;
    let baseMomentums: number[] | undefined;
    let maxMomentums: number[] | undefined;
    if (cycleMomentum) {
      if (!("momentum" in optimizer.defaults))
        throw valueError("optimizer must support momentum with `cycle_momentum` option enabled");
      const bm = formatParam("base_momentum", groups, o.baseMomentum ?? 0.8);
      if (lastEpoch === -1) groups.forEach((g, i) => (g.momentum = bm[i]));
      baseMomentums = groups.map((g) => g.momentum as number);
      maxMomentums = formatParam("max_momentum", groups, o.maxMomentum ?? 0.9);
    }
    super(optimizer, lastEpoch, o.verbose ?? false);
    this.maxLrs = maxLrs;
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = mode;
    this.gamma = o.gamma ?? 1.0;
    if (scaleFn === null) {
      this._scaleFnCustom = null;
      this._scaleFnRef =
        mode === "triangular"
          ? () => 1.0
          : mode === "triangular2"
            ? (x) => 1 / Math.pow(2.0, x - 1)
            : (x) => Math.pow(this.gamma, x);
      this.scaleMode = mode === "exp_range" ? "iterations" : "cycle";
    } else {
      this._scaleFnCustom = scaleFn;
      this._scaleFnRef = null;
      this.scaleMode = o.scaleMode ?? "cycle";
    }
    this.cycleMomentum = cycleMomentum;
    if (cycleMomentum) {
      this.baseMomentums = baseMomentums;
      this.maxMomentums = maxMomentums;
    }
    this._initialStep();
    this.baseLrs = baseLrs;
  }

  /** The amplitude scaling at x (a cycle number or an iteration). */
  scaleFn(x: number): number {
    return (this._scaleFnCustom ?? (this._scaleFnRef as (x: number) => number))(x);
  }

  getLr(): number[] {
    this._warnGetLr();
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const at = this.scaleMode === "cycle" ? cycle : this.lastEpoch;
    const out = this.baseLrs.map((base, i) => {
      const baseHeight = (this.maxLrs[i] - base) * scaleFactor;
      return base + baseHeight * this.scaleFn(at);
    });
    if (this.cycleMomentum) {
      const bm = this.baseMomentums as number[];
      const mm = this.maxMomentums as number[];
      this.optimizer.paramGroups.forEach((g, i) => {
        const baseHeight = (mm[i] - bm[i]) * scaleFactor;
        g.momentum = mm[i] - baseHeight * this.scaleFn(at);
      });
    }
    return out;
  }
}

/** Options of CosineAnnealingWarmRestarts. */
export interface CosineAnnealingWarmRestartsOptions {
  /** the factor by which the period grows after each restart (an integer, default 1) */
  tMult?: number;
  /** The minimum learning rate (PyTorch's `eta_min`). */
  etaMin?: number;
  /** The index of the last epoch, to resume a schedule (default -1: start). */
  lastEpoch?: number;
  /** Print a message on each learning-rate update (default false; deprecated in later PyTorch). */
  verbose?: boolean;
}

/**
 * SGDR: cosine annealing from the initial lr to etaMin over t0 epochs, restarting with a
 * period multiplied by tMult each time. `step(epoch)` takes fractional epochs (e.g.
 * `epoch + i / iters` per batch).
 * @example
 * const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 });
 * const sched = new torch.optim.lrScheduler.CosineAnnealingWarmRestarts(opt, 10, 2);
 * const iters = 4;
 * for (let epoch = 0; epoch < 3; epoch++)
 *   for (let i = 0; i < iters; i++) { opt.step(); sched.step(epoch + i / iters); }
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  /** The number of iterations of the first restart period (PyTorch's `T_0`). */
  t0: number;
  /** The current restart period (PyTorch's `T_i`). */
  tI: number;
  /** The factor by which the restart period grows after each restart (PyTorch's `T_mult`). */
  tMult: number;
  /** The minimum learning rate (PyTorch's `eta_min`). */
  etaMin: number;
  /** Epochs since the last restart (PyTorch's `T_cur`). */
  tCur: number;
  constructor(
    optimizer: Optimizer,
    t0: number,
    ...args:
      | [options?: CosineAnnealingWarmRestartsOptions]
      | [tMult?: number, etaMin?: number, lastEpoch?: number, verbose?: boolean]
  ) {
    const o = schedOptions<CosineAnnealingWarmRestartsOptions>(args, [
      "tMult",
      "etaMin",
      "lastEpoch",
      "verbose",
    ]);
    const tMult = o.tMult ?? 1;
    if (t0 <= 0 || !Number.isInteger(t0))
      throw valueError(`Expected positive integer T_0, but got ${t0}`);
    if (tMult < 1 || !Number.isInteger(tMult))
      throw valueError(`Expected integer T_mult >= 1, but got ${tMult}`);
    const lastEpoch = o.lastEpoch ?? -1;
    super(optimizer, lastEpoch, o.verbose ?? false);
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = o.etaMin ?? 0;
    this.tCur = lastEpoch;
    this._initialStep();
  }

  getLr(): number[] {
    this._warnGetLr();
    return this.baseLrs.map(
      (b) =>
        this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2,
    );
  }

  /**
   * Advance one epoch, or go to `epoch` (fractional epochs allowed), restarting the cosine
   * whenever the current period ends.
   */
  override step(epoch?: number): void {
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur = this.tCur + 1;
      if (this.tCur >= this.tI) {
        this.tCur = this.tCur - this.tI;
        this.tI = this.tI * this.tMult;
      }
    } else {
      if (epoch < 0) throw valueError(`Expected non-negative epoch, but got ${epoch}`);
      if (epoch >= this.t0) {
        if (this.tMult === 1) this.tCur = pyMod(epoch, this.t0);
        else {
          // n = the number of completed periods: t0 (tMult^n - 1) / (tMult - 1) <= epoch
          const n = Math.trunc(
            Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult),
          );
          this.tCur = epoch - (this.t0 * (Math.pow(this.tMult, n) - 1)) / (this.tMult - 1);
          this.tI = this.t0 * Math.pow(this.tMult, n);
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    this._getLrCalledWithinStep = true;
    let values: number[];
    try {
      values = this.getLr();
    } finally {
      this._getLrCalledWithinStep = false;
    }
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i];
      if (this.verbose) printLr(i, values[i], epoch);
    });
    this._lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/** The state dicts of the wrapped schedulers, and restoring them. */
function childStateDicts(s: { _schedulers: LRScheduler[] }): Record<string, unknown>[] {
  return s._schedulers.map((c) => c.stateDict());
}

/**
 * Run schedulers one after another: schedulers[i] from milestones[i - 1] on (each restarts
 * from its closed form at its milestone, with PyTorch's epoch-deprecation warning).
 * @example
 * const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 });
 * const lrScheduler = torch.optim.lrScheduler;
 * const warmup = new lrScheduler.LinearLR(opt, { startFactor: 0.1, totalIters: 5 });

 * const decay = new lrScheduler.ExponentialLR(opt, 0.9);
 * const sched = new lrScheduler.SequentialLR(opt, [warmup, decay], [5]);
 */
export class SequentialLR extends LRScheduler {
  _schedulers: LRScheduler[];
  _milestones: number[];
  constructor(
    optimizer: Optimizer,
    schedulers: LRScheduler[],
    milestones: number[] | { milestones: number[]; lastEpoch?: number; verbose?: boolean },
    lastEpoch = -1,
    verbose = false,
  ) {
    const o = Array.isArray(milestones) ? { milestones, lastEpoch, verbose } : milestones;
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer)
        throw valueError(
          `Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index ${i} to be different than the optimizer passed in.`,
        );
      if (s.optimizer !== schedulers[0].optimizer)
        throw valueError(
          `Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index 0 and ${i} to be different.`,
        );
    });
    if (o.milestones.length !== schedulers.length - 1)
      throw valueError(
        `Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${o.milestones.length}`,
      );
    super(optimizer, -1, o.verbose ?? false);
    this._schedulers = schedulers.slice();
    this._milestones = o.milestones.slice();
    this.lastEpoch = (o.lastEpoch ?? -1) + 1;
    // reset the lr and rewind the schedulers, then replay the first one's initial step
    for (const g of optimizer.paramGroups) g.lr = g.initialLr as number;
    for (const s of this._schedulers) s.lastEpoch -= 1;
    (this._schedulers[0] as unknown as { _initialStep(): void })._initialStep();
    this._lastLr = this._schedulers[0].getLastLr();
  }

  getLr(): number[] {
    return this._lastLr;
  }

  /** Step the scheduler whose interval contains the next epoch. */
  override step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this._milestones, this.lastEpoch);
    const s = this._schedulers[idx];
    if (idx > 0 && this._milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this._lastLr = s.getLastLr();
  }

  /** PyTorch's fields (`_schedulers` as their state dicts, `_milestones`, `last_epoch`, `_last_lr`). */
  override stateDict(): Record<string, unknown> {
    return {
      _schedulers: childStateDicts(this),
      _milestones: this._milestones.slice(),
      last_epoch: this.lastEpoch,
      _last_lr: this._lastLr.slice(),
    };
  }

  override loadStateDict(sd: Record<string, unknown>): void {
    loadFields(this, sd, ["_schedulers"]);
    (sd._schedulers as Record<string, unknown>[]).forEach((c, i) =>
      this._schedulers[i].loadStateDict(c),
    );
  }
}

/**
 * Step several schedulers of one optimizer together (their factors multiply).
 * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); new torch.optim.lrScheduler.ChainedScheduler([new torch.optim.lrScheduler.ConstantLR(opt, 0.1, 2), new torch.optim.lrScheduler.ExponentialLR(opt, 0.9)])
 */
export class ChainedScheduler extends LRScheduler {
  _schedulers: LRScheduler[];
  constructor(schedulers: LRScheduler[]) {
    for (let i = 1; i < schedulers.length; i++)
      if (schedulers[i].optimizer !== schedulers[0].optimizer)
        throw valueError(
          `ChainedScheduler expects all schedulers to belong to the same optimizer, but got schedulers at index 0 and ${i} to be different`,
        );
    super(schedulers[0].optimizer);
    this._schedulers = schedulers.slice();
    this._lastLr = lrs(this._schedulers[this._schedulers.length - 1].optimizer);
  }

  getLr(): number[] {
    return this._lastLr;
  }

  /** Step every scheduler. */
  override step(): void {
    for (const s of this._schedulers) s.step();
    this._lastLr = lrs(this._schedulers[this._schedulers.length - 1].optimizer);
  }

  /** PyTorch's fields (`_schedulers` as their state dicts, `_last_lr`). */
  override stateDict(): Record<string, unknown> {
    return { _schedulers: childStateDicts(this), _last_lr: this._lastLr.slice() };
  }

  override loadStateDict(sd: Record<string, unknown>): void {
    loadFields(this, sd, ["_schedulers"]);
    (sd._schedulers as Record<string, unknown>[]).forEach((c, i) =>
      this._schedulers[i].loadStateDict(c),
    );
  }
}

/** Python's bisect.bisect_right: the index after the last element <= x. */
function bisectRight(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < a[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Python's `type(x).__name__` for a scheduler's optimizer argument. */
function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  return (v as object).constructor?.name ?? "object";
}
