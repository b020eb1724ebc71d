/**
 * torch.optim.SGD: stochastic gradient descent with momentum, dampening, Nesterov momentum,
 * weight decay and maximize, matching PyTorch 1.13's update to the float32 rounding.
 */
import { noGrad } from "../autograd/grad-mode.js";
import type { Tensor } from "../tensor.js";
import {
  Optimizer,
  arithOf,
  gradData,
  optimOptions,
  required,
  type OptimArgs,
  updateParam,
  type ParamGroup,
  type Params,
} from "./optimizer.js";
import { sgdStep } from "../backend/optim.js";
import { castData, contiguousData, wrap } from "../ops/core.js";
import { valueError } from "../errors.js";

/** Options of SGD (PyTorch's keyword arguments, camelCase). */
export interface SGDOptions {
  /** learning rate (required) */
  lr: number;
  /** The momentum factor (default 0). */
  momentum?: number;
  /** Dampening for momentum (default 0). */
  dampening?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
  /** accepted for compatibility; the single-tensor path is always used */
  foreach?: boolean | null;
  /** Accepted for PyTorch compatibility (false). */
  differentiable?: boolean;
}

/**
 * Stochastic gradient descent (optionally with momentum): the state per parameter is
 * `momentum_buffer` (null without momentum).
 * @example
 * const model = new torch.nn.Linear(3, 2);
 * const batches = [[torch.randn(4, 3), torch.tensor([0, 1, 1, 0], { dtype: torch.int64 })]] as const;
 * const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * for (const [x, y] of batches) {

 *   opt.zeroGrad();
 *   torch.nn.functional.crossEntropy(model.call(x), y).backward();
 *   opt.step();
 * }
 */
export class SGD extends Optimizer {
  protected override readonly deviceSteps = true;
  constructor(params: Params, ...args: OptimArgs<SGDOptions>) {
    const o = optimOptions<SGDOptions>("SGD", args, [
      "lr",
      "momentum",
      "dampening",
      "weightDecay",
      "nesterov",
    ]);
    const lr = o.lr;
    const momentum = o.momentum ?? 0;
    const dampening = o.dampening ?? 0;
    const weightDecay = o.weightDecay ?? 0;
    const nesterov = o.nesterov ?? false;
    if (lr !== undefined && lr < 0) throw valueError(`Invalid learning rate: ${lr}`);
    if (momentum < 0) throw valueError(`Invalid momentum value: ${momentum}`);
    if (weightDecay < 0) throw valueError(`Invalid weight_decay value: ${weightDecay}`);
    if (nesterov && (momentum <= 0 || dampening !== 0))
      throw valueError("Nesterov momentum requires a momentum and zero dampening");
    super(params, {
      lr: lr ?? required,
      momentum,
      dampening,
      weightDecay,
      nesterov,
      maximize: o.maximize ?? false,
      foreach: o.foreach ?? null,
      differentiable: o.differentiable ?? false,
    });
  }

  protected _updateGroup(group: ParamGroup): void {
    const opts = {
      lr: group.lr,
      weightDecay: group.weightDecay as number,
      momentum: group.momentum as number,
      dampening: group.dampening as number,
      nesterov: group.nesterov as boolean,
      maximize: group.maximize as boolean,
    };
    for (const p of group.params) {
      const grad = p._grad;
      if (grad === null) continue;
      let st = this.state.get(p);
      if (st === undefined) {
        st = {};
        this.state.set(p, st);
      }
      if (grad.isSparse) {
        st.momentum_buffer = sparseSgdStep(p, grad, st.momentum_buffer as Tensor | null, opts);
        continue;
      }
      if (p.isWebgpu) {
        // Note [device dispatch]: the device's step, written with device ops (PyTorch's
        // _single_tensor_sgd, which the fused CPU step matches)
        noGrad(() => {
          let d = opts.maximize ? grad.neg() : grad;
          if (opts.weightDecay !== 0) d = d.add(p.detach(), { alpha: opts.weightDecay });
          if (opts.momentum !== 0) {
            const prev = (st.momentum_buffer as Tensor | null | undefined) ?? null;
            const b =
              prev === null
                ? d.clone()
                : prev.mul(opts.momentum).add(d, { alpha: 1 - opts.dampening });
            st.momentum_buffer = b;
            d = opts.nesterov ? d.add(b, { alpha: opts.momentum }) : b;
          }
          p.detach().sub_(d, { alpha: opts.lr });
        });
        continue;
      }
      const g = gradData(p, grad);
      const n = p.numel();
      let buf: Tensor | null = (st.momentum_buffer as Tensor | null | undefined) ?? null;
      let init = false;
      if (opts.momentum !== 0 && buf === null) {
        buf = wrap(new p.dtype.ArrayType(n), p.shape.slice(), p.dtype);
        init = true;
      }
      if (buf !== null && !buf.isContiguous()) {
        buf = wrap(castData(buf, p.dtype), p.shape.slice(), p.dtype);
      }
      const A = arithOf(p);
      const bufData =
        opts.momentum !== 0 && buf !== null
          ? (buf.typedArray.subarray(buf.offset, buf.offset + n) as Float32Array | Float64Array)
          : null;
      updateParam(p, (pd, po) => sgdStep(A, pd, po, g.data, g.offset, bufData, init, n, opts));
      st.momentum_buffer = opts.momentum !== 0 ? buf : null;
    }
  }

  protected override _sparseGradError(): null {
    return null;
  }
}

/**
 * PyTorch 1.13's _single_tensor_sgd on a sparse gradient, with sparse ops: d = -g when
 * maximizing; weight decay adds the dense parameter to the sparse d, which raises PyTorch's
 * add(sparse, dense) error; the momentum buffer is sparse (clone of d, then
 * buf * momentum + (1 - dampening) d: entries concatenated, uncoalesced, as PyTorch's);
 * param += -lr d adds d's entries one at a time, as ATen's add(dense, sparse) does (a repeated
 * row is rounded after each of its entries). Returns the new momentum buffer.
 */
function sparseSgdStep(
  p: Tensor,
  grad: Tensor,
  prev: Tensor | null | undefined,
  o: {
    lr: number;
    weightDecay: number;
    momentum: number;
    dampening: number;
    nesterov: boolean;
    maximize: boolean;
  },
): Tensor | null {
  let d = o.maximize ? grad.neg() : grad;
  if (o.weightDecay !== 0) d = d.add(p, { alpha: o.weightDecay });
  let buf: Tensor | null = null;
  if (o.momentum !== 0) {
    buf =
      prev === null || prev === undefined
        ? d.clone()
        : prev.mul(o.momentum).add(d, { alpha: 1 - o.dampening });
    d = o.nesterov ? d.add(buf, { alpha: o.momentum }) : buf;
  }
  addSparseInto(p, d, -o.lr);
  return buf;
}

/** dense p += alpha * sparse s, entry by entry in s's order (ATen's add_out_dense_sparse_cpu). */
function addSparseInto(p: Tensor, s: Tensor, alpha: number): void {
  const { r, fma } = arithOf(p);
  const a = r(alpha);
  const ind = s._indices();
  const sd = ind.shape[0];
  const nnz = ind.shape[1];
  const id = contiguousData(ind);
  const v = gradData(p, s._values());
  const block =
    p.numel() /
    Math.max(
      1,
      p.shape.slice(0, sd).reduce((x, y) => x * y, 1),
    );
  updateParam(p, (pd, po) => {
    for (let k = 0; k < nnz; k++) {
      let lin = 0;
      for (let dd = 0; dd < sd; dd++) lin = lin * p.shape[dd] + id.data[id.offset + dd * nnz + k];
      for (let j = 0; j < block; j++) {
        const i = po + lin * block + j;
        pd[i] = fma(v.data[v.offset + k * block + j], a, pd[i]);
      }
    }
  });
}
