/**
 * torch.optim.Adam and AdamW (with amsgrad and maximize), matching PyTorch 1.13's update to
 * the float32 rounding.
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
} from "./optimizer.js";
import { adamStep } from "../backend/optim.js";
import { deviceAdamStep, deviceZeros } from "../ops/webgpu.js";
import { valueError } from "../errors.js";

/** Options of Adam and AdamW (PyTorch's keyword arguments, camelCase). */
export interface AdamOptions {
  /** learning rate (default 1e-3) */
  lr?: number;
  /** coefficients of the running averages of the gradient and its square (0.9, 0.999) */
  betas?: [number, number];
  /** Added to the denominator for numerical stability. */
  eps?: number;
  /** L2 penalty (Adam; default 0) or decoupled weight decay (AdamW; default 1e-2) */
  weightDecay?: number;
  /** Use AMSGrad's maximum of the second moments (default false). */
  amsgrad?: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
  /** Accepted for PyTorch compatibility (one implementation here). */
  foreach?: boolean | null;
  /** Accepted for PyTorch compatibility (false; CUDA graphs only). */
  capturable?: boolean;
  /** Accepted for PyTorch compatibility (false). */
  differentiable?: boolean;
  /** Accepted for PyTorch compatibility (CUDA only). */
  fused?: boolean;
}

/** Adam's and AdamW's positional parameters after `params`. */
const ADAM_ARGS = ["lr", "betas", "eps", "weightDecay", "amsgrad"];

function check(lr: number, eps: number, betas: [number, number], wd: number): void {
  if (!(0 <= lr)) throw valueError(`Invalid learning rate: ${lr}`);
  if (!(0 <= eps)) throw valueError(`Invalid epsilon value: ${eps}`);
  if (!(0 <= betas[0] && betas[0] < 1))
    throw valueError(`Invalid beta parameter at index 0: ${betas[0]}`);
  if (!(0 <= betas[1] && betas[1] < 1))
    throw valueError(`Invalid beta parameter at index 1: ${betas[1]}`);
  if (!(0 <= wd)) throw valueError(`Invalid weight_decay value: ${wd}`);
}

abstract class AdamBase extends Optimizer {
  protected override readonly deviceSteps = true;
  protected abstract readonly decoupled: boolean;

  constructor(params: Params, o: AdamOptions, defaultWd: number, isAdamW: boolean) {
    const lr = o.lr ?? 1e-3;
    const betas: [number, number] = o.betas ? [o.betas[0], o.betas[1]] : [0.9, 0.999];
    const eps = o.eps ?? 1e-8;
    const weightDecay = o.weightDecay ?? defaultWd;
    check(lr, eps, betas, weightDecay);
    const defaults: Record<string, unknown> = {
      lr,
      betas,
      eps,
      weightDecay,
      amsgrad: o.amsgrad ?? false,
      maximize: o.maximize ?? false,
      foreach: o.foreach ?? null,
      capturable: o.capturable ?? false,
    };
    // PyTorch 1.13's AdamW has no `differentiable` / `fused` options
    if (!isAdamW) {
      defaults.differentiable = o.differentiable ?? false;
      defaults.fused = o.fused ?? false;
    }
    super(params, defaults);
  }

  protected _updateGroup(group: ParamGroup): void {
    const betas = group.betas as [number, number];
    const amsgrad = group.amsgrad as boolean;
    for (const p of group.params) {
      const grad = p._grad;
      if (grad === null) continue;
      let st = this.state.get(p);
      if (st === undefined || Object.keys(st).length === 0) {
        // the moments live on the parameter's device (Note [device dispatch] in ops/webgpu.ts)
        const zeros = (): Tensor =>
          p.isWebgpu ? deviceZeros(p.shape.slice(), p.dtype) : zerosLikeParam(p);
        st = { step: scalarTensor(0), exp_avg: zeros(), exp_avg_sq: zeros() };
        if (amsgrad) st.max_exp_avg_sq = zeros();
        this.state.set(p, st);
      }
      const stepT = st.step as Tensor;
      stepT.typedArray[stepT.offset] = Math.fround(stepT.typedArray[stepT.offset] + 1);
      const step = stepT.typedArray[stepT.offset];
      if (p.isWebgpu) {
        // the same scalars as backend/optim.ts's adamStep, rounded to float32 (the kernel's type)
        const r = Math.fround;
        deviceAdamStep(
          p,
          grad,
          st.exp_avg as Tensor,
          st.exp_avg_sq as Tensor,
          amsgrad ? (st.max_exp_avg_sq as Tensor) : null,
          {
            beta1: r(betas[0]),
            beta2: r(betas[1]),
            oneMinusBeta1: r(1 - betas[0]),
            oneMinusBeta2: r(1 - betas[1]),
            eps: r(group.eps as number),
            weightDecay: r(group.weightDecay as number),
            decay: r(1 - group.lr * (group.weightDecay as number)),
            negStepSize: r(-(group.lr / (1 - Math.pow(betas[0], step)))),
            bc2Sqrt: r(Math.sqrt(1 - Math.pow(betas[1], step))),
            maximize: group.maximize as boolean,
            useWeightDecay: !this.decoupled && (group.weightDecay as number) !== 0,
            decoupled: this.decoupled,
          },
        );
        p._version.value++;
        continue;
      }
      const g = gradData(p, grad);
      const n = p.numel();
      const arr = (t: Tensor): Float32Array | Float64Array =>
        t.typedArray.subarray(t.offset, t.offset + n) as Float32Array | Float64Array;
      const m = arr(st.exp_avg as Tensor);
      const v = arr(st.exp_avg_sq as Tensor);
      const vmax = amsgrad ? arr(st.max_exp_avg_sq as Tensor) : null;
      const A = arithOf(p);
      const opts = {
        step,
        lr: group.lr,
        beta1: betas[0],
        beta2: betas[1],
        eps: group.eps as number,
        weightDecay: group.weightDecay as number,
        maximize: group.maximize as boolean,
        decoupled: this.decoupled,
      };
      updateParam(p, (pd, po) => adamStep(A, pd, po, g.data, g.offset, m, v, vmax, n, opts));
    }
  }
}

/**
 * Adam. State per parameter: `step` (a float32 0-dim tensor, as PyTorch 1.13), `exp_avg`,
 * `exp_avg_sq` and, with amsgrad, `max_exp_avg_sq`.
 * @example const opt = new torch.optim.Adam(new torch.nn.Linear(2, 1).parameters(), { lr: 1e-3 });
 */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  protected override _sparseGradError(): string {
    return "Adam does not support sparse gradients, please consider SparseAdam instead";
  }

  constructor(params: Params, ...args: OptimArgs<AdamOptions>) {
    super(params, optimOptions<AdamOptions>("Adam", args, ADAM_ARGS), 0, false);
  }
}

/**
 * AdamW: Adam with decoupled weight decay (default 1e-2).
 * @example const opt = new torch.optim.AdamW(new torch.nn.Linear(2, 1).parameters(), { lr: 1e-3, weightDecay: 0.01, amsgrad: true });
 */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: Params, ...args: OptimArgs<AdamOptions>) {
    super(params, optimOptions<AdamOptions>("AdamW", args, ADAM_ARGS), 1e-2, true);
  }
}
