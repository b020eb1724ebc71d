/**
 * torch.nn.utils.fusion (PyTorch 1.13): fold an eval-mode BatchNorm into the convolution or
 * linear layer before it. With s = bn_w / sqrt(running_var + eps):
 *   W' = W * s (per output channel; per dim 1 of a transposed convolution's weight),
 *   b' = (b - running_mean) * s + bn_b,
 * so conv'(x) = bn(conv(x)) in eval mode.
 */
import type { Tensor } from "../tensor.js";
import { assertionError } from "../errors.js";
import { onesLike, rsqrt, zerosLike } from "../generated/functions.js";
import { deepcopyModule, type Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { ctorArgs } from "./ctor-args.js";

/** The fields of a convolution or linear layer that fusion reads and replaces. */
interface Weighted extends Module {
  weight: Tensor;
  bias: Tensor | null;
}

/** The fields of a BatchNorm that fusion reads. */
interface BatchNormLike extends Module {
  running_mean: Tensor | null;
  running_var: Tensor | null;
  eps: number;
  weight: Tensor | null;
  bias: Tensor | null;
}

function checkEval(a: Module, b: Module): void {
  if (a.training || b.training) throw assertionError("Fusion only for eval!");
}

/**
 * A copy of `conv` (eval mode) with the eval-mode BatchNorm `bn` folded into its weight and
 * bias (`transpose` for a transposed convolution, whose output channels are its weight's dim 1).
 * @example
 * const conv = new torch.nn.Conv2d(3, 4, 3).eval();
 * const bn = new torch.nn.BatchNorm2d(4).eval();
 * const fused = torch.nn.utils.fuseConvBnEval(conv, bn);
 * const x = torch.randn(1, 3, 5, 5);
 * torch.allclose(fused.call(x), bn.call(conv.call(x)), 1e-5, 1e-6); // true
 */
export function fuseConvBnEval<M extends Module>(
  conv: M,
  bn: Module,
  transpose: boolean | { transpose?: boolean } = false,
): M {
  const a = ctorArgs<{ transpose: boolean }>("fuse_conv_bn_eval", [transpose], ["transpose"], {
    transpose: false,
  });
  checkEval(conv, bn);
  const fused = deepcopyModule(conv) as M & Weighted;
  const b = bn as BatchNormLike;
  const [w, bias] = fuseConvBnWeights(
    fused.weight,
    fused.bias,
    b.running_mean as Tensor,
    b.running_var as Tensor,
    b.eps,
    b.weight,
    b.bias,
    a.transpose,
  );
  fused.weight = w;
  fused.bias = bias;
  return fused;
}

/**
 * The fused weight and bias of a convolution followed by a BatchNorm, as Parameters:
 * W * (bn_w * rsqrt(rv + eps)) per output channel, (b - rm) * rsqrt(rv + eps) * bn_w + bn_b
 * (a missing conv bias or bn bias is zeros, a missing bn weight ones).
 * @example
 * const [w, b] = torch.nn.utils.fuseConvBnWeights(torch.ones(2, 1, 1, 1), null, torch.zeros(2), torch.full([2], 3), 1, null, null);
 * w.flatten(); // tensor([0.5000, 0.5000], grad_fn=<ReshapeAliasBackward0>)
 */
export function fuseConvBnWeights(
  convW: Tensor,
  convB: Tensor | null,
  bnRm: Tensor,
  bnRv: Tensor,
  bnEps: number,
  bnW: Tensor | null,
  bnB: Tensor | null,
  transpose: boolean | { transpose?: boolean } = false,
): [Parameter, Parameter] {
  const t = ctorArgs<{ transpose: boolean }>("fuse_conv_bn_weights", [transpose], ["transpose"], {
    transpose: false,
  }).transpose;
  const cb = convB ?? zerosLike(bnRm);
  const w = bnW ?? onesLike(bnRm);
  const b = bnB ?? zerosLike(bnRm);
  const varRsqrt = rsqrt(bnRv.add(bnEps));
  const rest = Array.from({ length: convW.dim() - 2 }, () => 1);
  const shape = t ? [1, -1, ...rest] : [-1, 1, ...rest];
  const fusedW = convW.mul(w.mul(varRsqrt).reshape(shape));
  const fusedB = cb.sub(bnRm).mul(varRsqrt).mul(w).add(b);
  return [new Parameter(fusedW), new Parameter(fusedB)];
}

/**
 * A copy of `linear` (eval mode) with the eval-mode BatchNorm1d `bn` folded into its weight and
 * bias (PyTorch 1.13's fuse_linear_bn_eval).
 * @example
 * const lin = new torch.nn.Linear(3, 4).eval();
 * const bn = new torch.nn.BatchNorm1d(4).eval();
 * const fused = torch.nn.utils.fuseLinearBnEval(lin, bn);
 * const x = torch.randn(2, 3);
 * torch.allclose(fused.call(x), bn.call(lin.call(x)), 1e-5, 1e-6); // true
 */
export function fuseLinearBnEval<M extends Module>(linear: M, bn: Module): M {
  checkEval(linear, bn);
  const fused = deepcopyModule(linear) as M & Weighted;
  const b = bn as BatchNormLike;
  const [w, bias] = fuseLinearBnWeights(
    fused.weight,
    fused.bias,
    b.running_mean as Tensor,
    b.running_var as Tensor,
    b.eps,
    b.weight as Tensor,
    b.bias as Tensor,
  );
  fused.weight = w;
  fused.bias = bias;
  return fused;
}

/**
 * The fused weight and bias of a linear layer followed by a BatchNorm1d, as Parameters: with
 * s = bn_w * rsqrt(rv + eps), W * s[:, None] and (b - rm) * s + bn_b (a missing linear bias is
 * zeros).
 * @example
 * const [w, b] = torch.nn.utils.fuseLinearBnWeights(torch.ones(2, 3), null, torch.ones(2), torch.full([2], 3), 1, torch.ones(2), torch.zeros(2));
 * b; // Parameter containing: tensor([-0.5000, -0.5000], requires_grad=True)
 */
export function fuseLinearBnWeights(
  linearW: Tensor,
  linearB: Tensor | null,
  bnRm: Tensor,
  bnRv: Tensor,
  bnEps: number,
  bnW: Tensor,
  bnB: Tensor,
): [Parameter, Parameter] {
  const lb = linearB ?? zerosLike(bnRm);
  const scale = bnW.mul(rsqrt(bnRv.add(bnEps)));
  const fusedW = linearW.mul(scale.unsqueeze(-1));
  const fusedB = lb.sub(bnRm).mul(scale).add(bnB);
  return [new Parameter(fusedW), new Parameter(fusedB)];
}
