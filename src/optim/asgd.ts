/**
 * torch.optim.ASGD (averaged SGD) and Rprop (resilient backpropagation), matching PyTorch
 * 1.13's single-tensor update to the float32 rounding.
 */
import type { Tensor } from "../tensor.js";
import {
  Optimizer,
  arithOf,
  gradData,
  optimOptions,
  scalarTensor,
  updateParam,
  zerosLikeParam,
  type OptimArgs,
  type ParamGroup,
  type Params,
  floatView,
} from "./optimizer.js";
import { asgdStep, rpropStep } from "../backend/optim.js";
import { valueError } from "../errors.js";
import { pyFloat } from "./nadam.js";

const view = floatView;

/** Options of ASGD (PyTorch's keyword arguments, camelCase). */
export interface ASGDOptions {
  /** default 1e-2 */
  lr?: number;
  /** decay term (1e-4) */
  lambd?: number;
  /** power for the eta update (0.75) */
  alpha?: number;
  /** the step from which averaging starts (1e6) */
  t0?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** accepted for compatibility; the single-tensor path is always used */
  foreach?: boolean | null;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

/**
 * Averaged stochastic gradient descent. State per parameter: `step`, `eta` and `mu` (float32
 * 0-dim tensors, as PyTorch 1.13) and `ax`, the average of the iterates once step > t0.
 * @example const opt = new torch.optim.ASGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.01, t0: 100 });
 */
export class ASGD extends Optimizer {
  protected override _floatDefaults = { t0: 1e6 };

  constructor(params: Params, ...args: OptimArgs<ASGDOptions>) {
    const o = optimOptions<ASGDOptions>("ASGD", args, [
      "lr",
      "lambd",
      "alpha",
      "t0",
      "weightDecay",
      "foreach",
      "maximize",
    ]);
    const lr = o.lr ?? 1e-2;
    const weightDecay = o.weightDecay ?? 0;
    if (!(0 <= lr)) throw valueError(`Invalid learning rate: ${pyFloat(lr)}`);
    if (!(0 <= weightDecay))
      throw valueError(`Invalid weight_decay value: ${pyFloat(weightDecay)}`);
    super(params, {
      lr,
      lambd: o.lambd ?? 1e-4,
      alpha: o.alpha ?? 0.75,
      t0: o.t0 ?? 1e6,
      weightDecay,
      foreach: o.foreach ?? null,
      maximize: o.maximize ?? false,
    });
  }

  protected _updateGroup(group: ParamGroup): void {
    const lr = group.lr;
    const lambd = group.lambd as number;
    const alpha = group.alpha as number;
    const t0 = group.t0 as number;
    for (const p of group.params) {
      const grad = p._grad;
      if (grad === null) continue;
      let st = this.state.get(p);
      if (st === undefined || Object.keys(st).length === 0) {
        st = {
          step: scalarTensor(0),
          eta: scalarTensor(lr),
          mu: scalarTensor(1),
          ax: zerosLikeParam(p),
        };
        this.state.set(p, st);
      }
      const stepT = st.step as Tensor;
      const etaT = st.eta as Tensor;
      const muT = st.mu as Tensor;
      stepT.typedArray[stepT.offset] = Math.fround((stepT.typedArray[stepT.offset] as number) + 1);
      const step = stepT.typedArray[stepT.offset] as number;
      const n = p.numel();
      const g = gradData(p, grad);
      const ax = view(st.ax as Tensor, n);
      const A = arithOf(p);
      const opts = {
        lambd,
        eta: etaT.typedArray[etaT.offset] as number,
        mu: muT.typedArray[muT.offset] as number,
        weightDecay: group.weightDecay as number,
        maximize: group.maximize as boolean,
      };
      updateParam(p, (pd, po) => asgdStep(A, pd, po, g.data, g.offset, ax, n, opts));
      // eta = lr / (1 + lambd lr t)^alpha and mu = 1 / max(1, t - t0), stored as float32
      etaT.typedArray[etaT.offset] = Math.fround(lr / Math.pow(1 + lambd * lr * step, alpha));
      muT.typedArray[muT.offset] = Math.fround(1 / Math.max(1, step - t0));
    }
  }
}

/** Options of Rprop (PyTorch's keyword arguments, camelCase). */
export interface RpropOptions {
  /** the initial step size (default 1e-2) */
  lr?: number;
  /** the multiplicative decrease and increase factors (0.5, 1.2) */
  etas?: [number, number];
  /** the minimal and maximal step sizes (1e-6, 50) */
  stepSizes?: [number, number];
  /** accepted for compatibility; the single-tensor path is always used */
  foreach?: boolean | null;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

/**
 * Rprop. State per parameter: `step` (a number, as PyTorch 1.13), `prev` (the previous
 * gradient, zeroed where its sign flipped) and `step_size`.
 * @example const opt = new torch.optim.Rprop(new torch.nn.Linear(2, 1).parameters(), { lr: 0.01, etas: [0.5, 1.2] });
 */
export class Rprop extends Optimizer {
  constructor(params: Params, ...args: OptimArgs<RpropOptions>) {
    const o = optimOptions<RpropOptions>("Rprop", args, [
      "lr",
      "etas",
      "stepSizes",
      "foreach",
      "maximize",
    ]);
    const lr = o.lr ?? 1e-2;
    const etas: [number, number] = o.etas ? [o.etas[0], o.etas[1]] : [0.5, 1.2];
    const stepSizes: [number, number] = o.stepSizes ? [o.stepSizes[0], o.stepSizes[1]] : [1e-6, 50];
    if (!(0 <= lr)) throw valueError(`Invalid learning rate: ${pyFloat(lr)}`);
    if (!(0 < etas[0] && etas[0] < 1 && 1 < etas[1]))
      throw valueError(`Invalid eta values: ${pyFloat(etas[0])}, ${pyFloat(etas[1])}`);
    super(params, {
      lr,
      etas,
      stepSizes,
      foreach: o.foreach ?? null,
      maximize: o.maximize ?? false,
    });
  }

  protected _updateGroup(group: ParamGroup): void {
    const [etaminus, etaplus] = group.etas as [number, number];
    const [stepSizeMin, stepSizeMax] = group.stepSizes as [number, number];
    for (const p of group.params) {
      const grad = p._grad;
      if (grad === null) continue;
      let st = this.state.get(p);
      if (st === undefined || Object.keys(st).length === 0) {
        // step_size = grad.new().resize_as_(grad).fill_(lr): the gradient's dtype
        st = { step: 0, prev: zerosLikeParam(p), step_size: zerosLikeParam(p, group.lr) };
        this.state.set(p, st);
      }
      st.step = (st.step as number) + 1;
      const n = p.numel();
      const g = gradData(p, grad);
      const prev = view(st.prev as Tensor, n);
      const ss = view(st.step_size as Tensor, n);
      const A = arithOf(p);
      const opts = {
        etaminus,
        etaplus,
        stepSizeMin,
        stepSizeMax,
        maximize: group.maximize as boolean,
      };
      updateParam(p, (pd, po) => rpropStep(A, pd, po, g.data, g.offset, prev, ss, n, opts));
    }
  }
}
