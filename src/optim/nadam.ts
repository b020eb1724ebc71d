/**
 * torch.optim.NAdam and RAdam (PyTorch 1.13: no `maximize` / `differentiable` options yet),
 * matching PyTorch 1.13's single-tensor update to the float32 rounding.
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
import { nadamStep, radamStep } from "../backend/optim.js";
import { valueError } from "../errors.js";

const view = floatView;

/** The value of a 0-dim state tensor. */
const scalarOf = (t: Tensor): number => t.typedArray[t.offset] as number;

/** Set a 0-dim float32 state tensor (rounding as PyTorch's in-place ops do). */
function setScalar(t: Tensor, v: number): void {
  t.typedArray[t.offset] = Math.fround(v);
}

/** Adam-style argument checks (PyTorch's messages). */
export function checkAdamLike(o: {
  /** The learning rate. */
  lr: number;
  /** Added to the denominator for numerical stability. */
  eps: number;
  /** The decay rates of the running averages of the gradient and its square. */
  betas: [number, number];
  /** L2 penalty added to the gradient (default 0). */
  weightDecay: number;
}): void {
  if (!(0 <= o.lr)) throw valueError(`Invalid learning rate: ${pyFloat(o.lr)}`);
  if (!(0 <= o.eps)) throw valueError(`Invalid epsilon value: ${pyFloat(o.eps)}`);
  if (!(0 <= o.betas[0] && o.betas[0] < 1))
    throw valueError(`Invalid beta parameter at index 0: ${pyFloat(o.betas[0])}`);
  if (!(0 <= o.betas[1] && o.betas[1] < 1))
    throw valueError(`Invalid beta parameter at index 1: ${pyFloat(o.betas[1])}`);
  if (!(0 <= o.weightDecay))
    throw valueError(`Invalid weight_decay value: ${pyFloat(o.weightDecay)}`);
}

/**
 * A number as Python prints the float or int the caller passed: JavaScript has one number
 * type, so an integral value prints as an int (`-1`), as it does when PyTorch is given `-1`.
 */
export function pyFloat(v: number): string {
  return String(v);
}

/** Options of NAdam (PyTorch's keyword arguments, camelCase). */
export interface NAdamOptions {
  /** default 2e-3 */
  lr?: number;
  /** The decay rates of the running averages of the gradient and its square. */
  betas?: [number, number];
  /** Added to the denominator for numerical stability. */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** the momentum decay ψ of mu_t = beta1 (1 - 0.5 * 0.96^(t ψ)) (default 4e-3) */
  momentumDecay?: number;
  /** accepted for compatibility; the single-tensor path is always used */
  foreach?: boolean | null;
}

/**
 * NAdam: Adam with Nesterov momentum. State per parameter: `step` and `mu_product` (float32
 * 0-dim tensors, as PyTorch 1.13), `exp_avg`, `exp_avg_sq`.
 * @example const opt = new torch.optim.NAdam(new torch.nn.Linear(2, 1).parameters(), { lr: 2e-3 });
 */
export class NAdam extends Optimizer {
  constructor(params: Params, ...args: OptimArgs<NAdamOptions>) {
    const o = optimOptions<NAdamOptions>("NAdam", args, [
      "lr",
      "betas",
      "eps",
      "weightDecay",
      "momentumDecay",
      "foreach",
    ]);
    const lr = o.lr ?? 2e-3;
    const betas: [number, number] = o.betas ? [o.betas[0], o.betas[1]] : [0.9, 0.999];
    const eps = o.eps ?? 1e-8;
    const weightDecay = o.weightDecay ?? 0;
    const momentumDecay = o.momentumDecay ?? 4e-3;
    checkAdamLike({ lr, eps, betas, weightDecay });
    if (!(0 <= momentumDecay))
      throw valueError(`Invalid momentum_decay value: ${pyFloat(momentumDecay)}`);
    super(params, { lr, betas, eps, weightDecay, momentumDecay, foreach: o.foreach ?? null });
  }

  protected _updateGroup(group: ParamGroup): void {
    const [beta1, beta2] = group.betas as [number, number];
    const md = group.momentumDecay as number;
    for (const p of group.params) {
      const grad = p._grad;
      if (grad === null) continue;
      let st = this.state.get(p);
      if (st === undefined || Object.keys(st).length === 0) {
        st = {
          step: scalarTensor(0),
          mu_product: scalarTensor(1),
          exp_avg: zerosLikeParam(p),
          exp_avg_sq: zerosLikeParam(p),
        };
        this.state.set(p, st);
      }
      const stepT = st.step as Tensor;
      setScalar(stepT, scalarOf(stepT) + 1);
      const step = scalarOf(stepT);
      // the momentum cache mu_t and mu_{t+1} (Python floats), the product in float32
      const mu = beta1 * (1 - 0.5 * Math.pow(0.96, step * md));
      const muNext = beta1 * (1 - 0.5 * Math.pow(0.96, (step + 1) * md));
      const muProdT = st.mu_product as Tensor;
      const f = Math.fround;
      setScalar(muProdT, scalarOf(muProdT) * f(mu));
      const muProduct = scalarOf(muProdT);
      const muProductNext = f(f(muProduct * f(mu)) * f(muNext));
      const n = p.numel();
      const g = gradData(p, grad);
      const m = view(st.exp_avg as Tensor, n);
      const v = view(st.exp_avg_sq as Tensor, n);
      const A = arithOf(p);
      const opts = {
        beta1,
        beta2,
        eps: group.eps as number,
        weightDecay: group.weightDecay as number,
        biasCorrection2: 1 - Math.pow(beta2, step),
        coefG: (-group.lr * (1 - mu)) / (1 - muProduct),
        coefM: (-group.lr * muNext) / (1 - muProductNext),
      };
      updateParam(p, (pd, po) => nadamStep(A, pd, po, g.data, g.offset, m, v, n, opts));
    }
  }
}

/** Options of RAdam (PyTorch's keyword arguments, camelCase). */
export interface RAdamOptions {
  /** default 1e-3 */
  lr?: number;
  /** The decay rates of the running averages of the gradient and its square. */
  betas?: [number, number];
  /** Added to the denominator for numerical stability. */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** accepted for compatibility; the single-tensor path is always used */
  foreach?: boolean | null;
}

/**
 * RAdam: Adam with the variance of the adaptive lr rectified (plain momentum SGD while the
 * approximated SMA length rho_t is at most 5). State: `step` (float32 0-dim), `exp_avg`,
 * `exp_avg_sq`.
 * @example const opt = new torch.optim.RAdam(new torch.nn.Linear(2, 1).parameters(), { lr: 1e-3 });
 */
export class RAdam extends Optimizer {
  constructor(params: Params, ...args: OptimArgs<RAdamOptions>) {
    const o = optimOptions<RAdamOptions>("RAdam", args, [
      "lr",
      "betas",
      "eps",
      "weightDecay",
      "foreach",
    ]);
    const lr = o.lr ?? 1e-3;
    const betas: [number, number] = o.betas ? [o.betas[0], o.betas[1]] : [0.9, 0.999];
    const eps = o.eps ?? 1e-8;
    const weightDecay = o.weightDecay ?? 0;
    checkAdamLike({ lr, eps, betas, weightDecay });
    super(params, { lr, betas, eps, weightDecay, foreach: o.foreach ?? null });
  }

  protected _updateGroup(group: ParamGroup): void {
    const [beta1, beta2] = group.betas as [number, number];
    for (const p of group.params) {
      const grad = p._grad;
      if (grad === null) continue;
      let st = this.state.get(p);
      if (st === undefined || Object.keys(st).length === 0) {
        st = { step: scalarTensor(0), exp_avg: zerosLikeParam(p), exp_avg_sq: zerosLikeParam(p) };
        this.state.set(p, st);
      }
      const stepT = st.step as Tensor;
      setScalar(stepT, scalarOf(stepT) + 1);
      const step = scalarOf(stepT);
      const bc1 = 1 - Math.pow(beta1, step);
      const bc2 = 1 - Math.pow(beta2, step);
      // rho_inf = 2 / (1 - beta2) - 1; rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
      const rhoInf = 2 / (1 - beta2) - 1;
      const rhoT = rhoInf - (2 * step * Math.pow(beta2, step)) / bc2;
      const rect =
        rhoT > 5
          ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT))
          : null;
      const n = p.numel();
      const g = gradData(p, grad);
      const m = view(st.exp_avg as Tensor, n);
      const v = view(st.exp_avg_sq as Tensor, n);
      const A = arithOf(p);
      const opts = {
        lr: group.lr,
        beta1,
        beta2,
        eps: group.eps as number,
        weightDecay: group.weightDecay as number,
        biasCorrection1: bc1,
        biasCorrection2: bc2,
        rect,
      };
      updateParam(p, (pd, po) => radamStep(A, pd, po, g.data, g.offset, m, v, n, opts));
    }
  }
}
