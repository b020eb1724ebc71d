/**
 * torch.optim.Adamax (Adam with the infinity norm) and Adadelta, matching PyTorch 1.13's
 * single-tensor update to the float32 rounding.
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
import { adadeltaStep, adamaxStep } from "../backend/optim.js";
import { valueError } from "../errors.js";
import { checkAdamLike, pyFloat } from "./nadam.js";

const view = floatView;

/** Options of Adamax (PyTorch's keyword arguments, camelCase). */
export interface AdamaxOptions {
  /** default 2e-3 */
  lr?: number;
  /** The decay rates of the running averages of the gradient and its square. */
  betas?: [number, number];
  /** Added to the denominator for numerical stability. */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** accepted for compatibility; the single-tensor path is always used */
  foreach?: boolean | null;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

/**
 * Adamax. State per parameter: `step` (float32 0-dim tensor), `exp_avg`, `exp_inf`.
 * @example const opt = new torch.optim.Adamax(new torch.nn.Linear(2, 1).parameters(), { lr: 2e-3 });
 */
export class Adamax extends Optimizer {
  constructor(params: Params, ...args: OptimArgs<AdamaxOptions>) {
    const o = optimOptions<AdamaxOptions>("Adamax", args, [
      "lr",
      "betas",
      "eps",
      "weightDecay",
      "foreach",
    ]);
    const lr = o.lr ?? 2e-3;
    const betas: [number, number] = o.betas ? [o.betas[0], o.betas[1]] : [0.9, 0.999];
    const eps = o.eps ?? 1e-8;
    const weightDecay = o.weightDecay ?? 0;
    checkAdamLike({ lr, eps, betas, weightDecay });
    super(params, {
      lr,
      betas,
      eps,
      weightDecay,
      foreach: o.foreach ?? null,
      maximize: o.maximize ?? false,
    });
  }

  protected _updateGroup(group: ParamGroup): void {
    const [beta1, beta2] = group.betas as [number, number];
    for (const p of group.params) {
      const grad = p._grad;
      if (grad === null) continue;
      let st = this.state.get(p);
      if (st === undefined || Object.keys(st).length === 0) {
        st = { step: scalarTensor(0), exp_avg: zerosLikeParam(p), exp_inf: zerosLikeParam(p) };
        this.state.set(p, st);
      }
      const stepT = st.step as Tensor;
      stepT.typedArray[stepT.offset] = Math.fround((stepT.typedArray[stepT.offset] as number) + 1);
      const step = stepT.typedArray[stepT.offset] as number;
      const n = p.numel();
      const g = gradData(p, grad);
      const m = view(st.exp_avg as Tensor, n);
      const u = view(st.exp_inf as Tensor, n);
      const A = arithOf(p);
      const opts = {
        beta1,
        beta2,
        eps: group.eps as number,
        weightDecay: group.weightDecay as number,
        maximize: group.maximize as boolean,
        // clr = lr / (1 - beta1^t), applied as addcdiv_(exp_avg, exp_inf, value=-clr)
        negClr: -(group.lr / (1 - Math.pow(beta1, step))),
      };
      updateParam(p, (pd, po) => adamaxStep(A, pd, po, g.data, g.offset, m, u, n, opts));
    }
  }
}

/** Options of Adadelta (PyTorch's keyword arguments, camelCase). */
export interface AdadeltaOptions {
  /** scale of the delta (default 1.0) */
  lr?: number;
  /** coefficient of the running averages (0.9) */
  rho?: number;
  /** Added to the denominator for numerical stability. */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** accepted for compatibility; the single-tensor path is always used */
  foreach?: boolean | null;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

/**
 * Adadelta. State per parameter: `step` (a number, as PyTorch 1.13), `square_avg`,
 * `acc_delta`.
 * @example const opt = new torch.optim.Adadelta(new torch.nn.Linear(2, 1).parameters(), { rho: 0.95 });
 */
export class Adadelta extends Optimizer {
  protected override _floatDefaults = { lr: 1.0 };

  constructor(params: Params, ...args: OptimArgs<AdadeltaOptions>) {
    const o = optimOptions<AdadeltaOptions>("Adadelta", args, [
      "lr",
      "rho",
      "eps",
      "weightDecay",
      "foreach",
    ]);
    const lr = o.lr ?? 1.0;
    const rho = o.rho ?? 0.9;
    const eps = o.eps ?? 1e-6;
    const weightDecay = o.weightDecay ?? 0;
    if (!(0 <= lr)) throw valueError(`Invalid learning rate: ${pyFloat(lr)}`);
    if (!(0 <= rho && rho <= 1)) throw valueError(`Invalid rho value: ${pyFloat(rho)}`);
    if (!(0 <= eps)) throw valueError(`Invalid epsilon value: ${pyFloat(eps)}`);
    if (!(0 <= weightDecay))
      throw valueError(`Invalid weight_decay value: ${pyFloat(weightDecay)}`);
    super(params, {
      lr,
      rho,
      eps,
      weightDecay,
      maximize: o.maximize ?? false,
      foreach: o.foreach ?? null,
    });
  }

  protected _updateGroup(group: ParamGroup): void {
    for (const p of group.params) {
      const grad = p._grad;
      if (grad === null) continue;
      let st = this.state.get(p);
      if (st === undefined || Object.keys(st).length === 0) {
        st = { step: 0, square_avg: zerosLikeParam(p), acc_delta: zerosLikeParam(p) };
        this.state.set(p, st);
      }
      st.step = (st.step as number) + 1;
      const n = p.numel();
      const g = gradData(p, grad);
      const sq = view(st.square_avg as Tensor, n);
      const acc = view(st.acc_delta as Tensor, n);
      const A = arithOf(p);
      const opts = {
        lr: group.lr,
        rho: group.rho as number,
        eps: group.eps as number,
        weightDecay: group.weightDecay as number,
        maximize: group.maximize as boolean,
      };
      updateParam(p, (pd, po) => adadeltaStep(A, pd, po, g.data, g.offset, sq, acc, n, opts));
    }
  }
}
