/**
 * torch.optim.SparseAdam: Adam for the sparse gradients of embeddings (`sparse: true`), as
 * PyTorch 1.13's `sparse_adam`: each step coalesces the gradient and updates only the rows it
 * holds (their moments and their parameter values); other rows keep their moments. A dense
 * gradient raises PyTorch's error.
 */
import {
  Optimizer,
  arithOf,
  floatView,
  optimOptions,
  sparseGradRows,
  updateParam,
  zerosLikeParam,
  type OptimArgs,
  type ParamGroup,
  type ParamGroupInput,
  type Params,
} from "./optimizer.js";
import { Tensor as TensorClass, type Tensor } from "../tensor.js";
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
 * SparseAdam: Adam restricted to the rows a sparse gradient holds. State per parameter:
 * `step` (a number, as PyTorch's Python int), `exp_avg` and `exp_avg_sq` (dense, like the
 * parameter).
 * @example
 * const emb = new torch.nn.Embedding(10, 3, { sparse: true });
 * const opt = new torch.optim.SparseAdam(emb.parameters(), { lr: 0.01 });
 * emb.call(torch.tensor([1, 4], { dtype: torch.int64 })).sum().backward();
 * opt.step(); // rows 1 and 4 of emb.weight move
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
    // PyTorch lists the sparse parameters (a group's by [group, position]) before it starts
    const list = Array.from(params as Iterable<Tensor | ParamGroupInput>);
    const sparseParams: string[] = [];
    list.forEach((entry, i) => {
      if (entry instanceof TensorClass) {
        if (entry.isSparse) sparseParams.push(String(i));
      } else if (entry !== null && typeof entry === "object" && "params" in entry) {
        const ps = entry.params instanceof TensorClass ? [entry.params] : Array.from(entry.params);
        ps.forEach((q, j) => {
          if (q.isSparse) sparseParams.push(`[${i}, ${j}]`);
        });
      }
    });
    if (sparseParams.length > 0)
      throw valueError(
        `Sparse params at indices [${sparseParams.join(", ")}]: SparseAdam requires dense parameter tensors`,
      );
    super(list as Params, { lr, betas, eps, maximize: o.maximize ?? false });
  }

  protected override _sparseGradError(): null {
    return null;
  }

  protected _updateGroup(group: ParamGroup): void {
    const [beta1, beta2] = group.betas as [number, number];
    const eps = group.eps as number;
    const maximize = group.maximize as boolean;
    // PyTorch collects the group's gradients first, raising at the first dense one
    for (const p of group.params)
      if (p._grad !== null && !p._grad.isSparse)
        throw runtimeError(
          "SparseAdam does not support dense gradients, please consider Adam instead",
        );
    for (const p of group.params) {
      if (p._grad === null) continue;
      let st = this.state.get(p);
      if (st === undefined || Object.keys(st).length === 0) {
        st = { step: 0, exp_avg: zerosLikeParam(p), exp_avg_sq: zerosLikeParam(p) };
        this.state.set(p, st);
      }
      const step = (st.step as number) + 1;
      st.step = step;
      const { rows, vals, valOff, block } = sparseGradRows(p, p._grad);
      if (rows.length === 0) continue; // an empty gradient: no update (the step still counts)
      const { r } = arithOf(p);
      const n = p.numel();
      const m = floatView(st.exp_avg as Tensor, n);
      const v = floatView(st.exp_avg_sq as Tensor, n);
      const oneMinusB1 = r(1 - beta1);
      const oneMinusB2 = r(1 - beta2);
      const epsR = r(eps);
      // step_size = lr * sqrt(1 - beta2^t) / (1 - beta1^t), in double; the update
      // -step_size * numer / denom multiplies by it as a scalar of the parameter's dtype
      const stepSize = (group.lr * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
      const negStep = r(-stepSize);
      updateParam(p, (pd, po) => {
        for (let k = 0; k < rows.length; k++) {
          const base = rows[k] * block;
          for (let j = 0; j < block; j++) {
            const i = base + j;
            const g0 = vals[valOff + k * block + j];
            const g = maximize ? -g0 : g0;
            // old <- old + (1 - b) (new - old), with numer = that update + old (and the same
            // for the squares): PyTorch's sparse_adam order of roundings
            const oldM = m[i];
            const updM = r(r(g - oldM) * oneMinusB1);
            m[i] = r(oldM + updM);
            const oldV = v[i];
            const updV = r(r(r(g * g) - oldV) * oneMinusB2);
            v[i] = r(oldV + updV);
            const numer = r(updM + oldM);
            const denom = r(r(Math.sqrt(r(updV + oldV))) + epsR);
            pd[po + i] = r(pd[po + i] + r(negStep * r(numer / denom)));
          }
        }
      });
    }
  }
}
