/**
 * torch.optim.RMSprop (momentum, centered, weight decay, maximize), matching PyTorch 1.13's
 * update to the float32 rounding.
 */
import type { Tensor } from "../tensor.js";
import {
  Optimizer,
  arithOf,
  gradData,
  optimOptions,
  updateParam,
  zerosLikeParam,
  type OptimArgs,
  type ParamGroup,
  type Params,
  floatView,
} from "./optimizer.js";
import { rmspropStep } from "../backend/optim.js";
import { valueError } from "../errors.js";

const view = floatView;

/** Options of RMSprop. */
export interface RMSpropOptions {
  /** default 1e-2 */
  lr?: number;
  /** smoothing constant (0.99) */
  alpha?: number;
  /** Added to the denominator for numerical stability. */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** The momentum factor (default 0). */
  momentum?: number;
  /** normalise by the estimated variance of the gradient */
  centered?: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
  /** Accepted for PyTorch compatibility (one implementation here). */
  foreach?: boolean | null;
  /** Accepted for PyTorch compatibility (false). */
  differentiable?: boolean;
}

/**
 * RMSprop. State per parameter: `step` (a number), `square_avg`, and `momentum_buffer` /
 * `grad_avg` when momentum / centered.
 * @example const opt = new torch.optim.RMSprop(new torch.nn.Linear(2, 1).parameters(), { lr: 0.01, momentum: 0.9 });
 */
export class RMSprop extends Optimizer {
  constructor(params: Params, ...args: OptimArgs<RMSpropOptions>) {
    const o = optimOptions<RMSpropOptions>("RMSprop", args, [
      "lr",
      "alpha",
      "eps",
      "weightDecay",
      "momentum",
      "centered",
      "foreach",
      "maximize",
      "differentiable",
    ]);
    const lr = o.lr ?? 1e-2;
    const alpha = o.alpha ?? 0.99;
    const eps = o.eps ?? 1e-8;
    const weightDecay = o.weightDecay ?? 0;
    const momentum = o.momentum ?? 0;
    if (!(0 <= lr)) throw valueError(`Invalid learning rate: ${lr}`);
    if (!(0 <= eps)) throw valueError(`Invalid epsilon value: ${eps}`);
    if (!(0 <= momentum)) throw valueError(`Invalid momentum value: ${momentum}`);
    if (!(0 <= weightDecay)) throw valueError(`Invalid weight_decay value: ${weightDecay}`);
    if (!(0 <= alpha)) throw valueError(`Invalid alpha value: ${alpha}`);
    super(params, {
      lr,
      momentum,
      alpha,
      eps,
      centered: o.centered ?? false,
      weightDecay,
      foreach: o.foreach ?? null,
      maximize: o.maximize ?? false,
      differentiable: o.differentiable ?? false,
    });
  }

  protected _updateGroup(group: ParamGroup): void {
    const momentum = group.momentum as number;
    const centered = group.centered as boolean;
    for (const p of group.params) {
      const grad = p._grad;
      if (grad === null) continue;
      let st = this.state.get(p);
      if (st === undefined || Object.keys(st).length === 0) {
        st = { step: 0, square_avg: zerosLikeParam(p) };
        if (momentum > 0) st.momentum_buffer = zerosLikeParam(p);
        if (centered) st.grad_avg = zerosLikeParam(p);
        this.state.set(p, st);
      }
      st.step = (st.step as number) + 1;
      const n = p.numel();
      const g = gradData(p, grad);
      const sq = view(st.square_avg as Tensor, n);
      const ga = centered ? view(st.grad_avg as Tensor, n) : null;
      const buf = momentum > 0 ? view(st.momentum_buffer as Tensor, n) : null;
      const A = arithOf(p);
      const opts = {
        lr: group.lr,
        alpha: group.alpha as number,
        eps: group.eps as number,
        weightDecay: group.weightDecay as number,
        momentum,
        maximize: group.maximize as boolean,
      };
      updateParam(p, (pd, po) => rmspropStep(A, pd, po, g.data, g.offset, sq, ga, buf, n, opts));
    }
  }
}
