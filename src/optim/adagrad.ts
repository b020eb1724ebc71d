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
  sparseGradRows,
} from "./optimizer.js";
import { adagradStep, type Arith } from "../backend/optim.js";
import { runtimeError, valueError } from "../errors.js";

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
      const sum = view(st.sum as Tensor, n);
      const A = arithOf(p);
      if (grad.isSparse) {
        this._sparseStep(p, grad, sum, A, group, stepT.typedArray[stepT.offset]);
        continue;
      }
      const g = gradData(p, grad);
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

  protected override _sparseGradError(): null {
    return null;
  }

  /**
   * PyTorch 1.13's Adagrad step on a sparse gradient: coalesced (the update is non-linear, so
   * indices must be unique), then for the rows it holds only: sum += g^2, and
   * param -= clr * g / (sqrt(sum) + eps) with clr = lr / (1 + (step - 1) lr_decay).
   */
  private _sparseStep(
    p: Tensor,
    grad: Tensor,
    sum: Float32Array | Float64Array,
    A: Arith,
    group: ParamGroup,
    step: number,
  ): void {
    if ((group.weightDecay as number) !== 0)
      throw runtimeError("weight_decay option is not compatible with sparse gradients");
    const { r, fma } = A;
    const maximize = group.maximize as boolean;
    const clr = group.lr / (1 + (step - 1) * (group.lrDecay as number));
    const negClr = r(-clr);
    const eps = r(group.eps as number);
    const { rows, vals, valOff, block } = sparseGradRows(p, grad);
    updateParam(p, (pd, po) => {
      for (let k = 0; k < rows.length; k++) {
        for (let j = 0; j < block; j++) {
          const i = rows[k] * block + j;
          const g0 = vals[valOff + k * block + j];
          const g = maximize ? -g0 : g0;
          sum[i] = r(sum[i] + r(g * g));
          const std = r(r(Math.sqrt(sum[i])) + eps);
          pd[po + i] = fma(r(g / std), negClr, pd[po + i]);
        }
      }
    });
  }
}
