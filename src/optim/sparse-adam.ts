/**
 * torch.optim.SparseAdam. No op gives a parameter a sparse gradient here (embeddings keep dense ones), so: the
 * optimizer exists with PyTorch's constructor checks and state dict, and `step()` raises
 * PyTorch's error for the dense gradients it is given (a step with no gradients does nothing).
 */
import {
  Optimizer,
  optimOptions,
  type OptimArgs,
  type ParamGroup,
  type Params,
} from "./optimizer.js";
import { runtimeError, valueError } from "../errors.js";
import { pyFloat } from "./nadam.js";

/** Options of SparseAdam (PyTorch's keyword arguments, camelCase). */
export interface SparseAdamOptions {
  /** default 1e-3 */
  lr?: number;
  /** The decay rates of the running averages of the gradient and its square. */
  betas?: [number, number];
  /** Added to the denominator for numerical stability. */
  eps?: number;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

/**
 * SparseAdam: Adam for sparse gradients (which tensorgrad does not have; every step with a
 * gradient raises PyTorch's "SparseAdam does not support dense gradients" error).
 * @example new torch.optim.SparseAdam(new torch.nn.Embedding(10, 3).parameters(), { lr: 1e-3 }).defaults.lr // 0.001

 */
export class SparseAdam extends Optimizer {
  constructor(params: Params, ...args: OptimArgs<SparseAdamOptions>) {
    const o = optimOptions<SparseAdamOptions>("SparseAdam", args, [
      "lr",
      "betas",
      "eps",
      "maximize",
    ]);
    const lr = o.lr ?? 1e-3;
    const betas: [number, number] = o.betas ? [o.betas[0], o.betas[1]] : [0.9, 0.999];
    const eps = o.eps ?? 1e-8;
    if (!(0 < lr)) throw valueError(`Invalid learning rate: ${pyFloat(lr)}`);
    if (!(0 < eps)) throw valueError(`Invalid epsilon value: ${pyFloat(eps)}`);
    if (!(0 <= betas[0] && betas[0] < 1))
      throw valueError(`Invalid beta parameter at index 0: ${pyFloat(betas[0])}`);
    if (!(0 <= betas[1] && betas[1] < 1))
      throw valueError(`Invalid beta parameter at index 1: ${pyFloat(betas[1])}`);
    super(params, { lr, betas, eps, maximize: o.maximize ?? false });
  }

  protected _updateGroup(group: ParamGroup): void {
    for (const p of group.params) {
      if (p._grad !== null)
        throw runtimeError(
          "SparseAdam does not support dense gradients, please consider Adam instead",
        );
    }
  }
}
