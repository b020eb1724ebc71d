/**
 * torch.optim.Adagrad (lr decay, weight decay, initial accumulator, maximize), matching PyTorch
 * 1.13's update to the float32 rounding.
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
import { adagradStep } from "../backend/optim.js";
import { valueError } from "../errors.js";

const view = floatView;

/** Options of Adagrad. */
export interface AdagradOptions {
  /** default 1e-2 */
  lr?: number;
  /** The learning-rate decay (default 0). */
  lrDecay?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** The initial value of the sum of squared gradients (default 0). */
  initialAccumulatorValue?: number;
  /** Added to the denominator for numerical stability. */
  eps?: number;
  /** Accepted for PyTorch compatibility (one implementation here). */
  foreach?: boolean | null;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

/**
 * Adagrad. State per parameter (created at construction, as PyTorch): `step` (a float32 0-dim
 * tensor) and `sum`.
 * @example const opt = new torch.optim.Adagrad(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 });
 */
export class Adagrad extends Optimizer {
  constructor(params: Params, ...args: OptimArgs<AdagradOptions>) {
    const o = optimOptions<AdagradOptions>("Adagrad", args, [
      "lr",
      "lrDecay",
      "weightDecay",
      "initialAccumulatorValue",
      "eps",
      "foreach",
    ]);
    const lr = o.lr ?? 1e-2;
    const lrDecay = o.lrDecay ?? 0;
    const weightDecay = o.weightDecay ?? 0;
    const init = o.initialAccumulatorValue ?? 0;
    const eps = o.eps ?? 1e-10;
    if (!(0 <= lr)) throw valueError(`Invalid learning rate: ${lr}`);
    if (!(0 <= lrDecay)) throw valueError(`Invalid lr_decay value: ${lrDecay}`);
    if (!(0 <= weightDecay)) throw valueError(`Invalid weight_decay value: ${weightDecay}`);
    if (!(0 <= init)) throw valueError(`Invalid initial_accumulator_value value: ${init}`);
    if (!(0 <= eps)) throw valueError(`Invalid epsilon value: ${eps}`);
    super(params, {
      lr,
      lrDecay,
      eps,
      weightDecay,
      initialAccumulatorValue: init,
      foreach: o.foreach ?? null,
      maximize: o.maximize ?? false,
    });
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        this.state.set(p, {
          step: scalarTensor(0),
          sum: zerosLikeParam(p, group.initialAccumulatorValue as number),
        });
      }
    }
  }

  protected _updateGroup(group: ParamGroup): void {
    for (const p of group.params) {
      const grad = p._grad;
      if (grad === null) continue;
      const st = this.state.get(p) as Record<string, unknown>;
      const stepT = st.step as Tensor;
      stepT.typedArray[stepT.offset] = Math.fround(stepT.typedArray[stepT.offset] + 1);
      const n = p.numel();
      const g = gradData(p, grad);
      const sum = view(st.sum as Tensor, n);
      const A = arithOf(p);
      const opts = {
        step: stepT.typedArray[stepT.offset],
        lr: group.lr,
        lrDecay: group.lrDecay as number,
        weightDecay: group.weightDecay as number,
        eps: group.eps as number,
        maximize: group.maximize as boolean,
      };
      updateParam(p, (pd, po) => adagradStep(A, pd, po, g.data, g.offset, sum, n, opts));
    }
  }
}
