/**
 * The normalisation functions of issue 11 (h-nnact): torch.instance_norm / F.instance_norm and
 * F.local_response_norm, composed as PyTorch composes them so the graph (and grad_fn names)
 * match: instance norm is batch norm over a [1, N*C, ...] view with the affine parameters and
 * running statistics repeated N times (RepeatBackward0, NativeBatchNormBackward0,
 * ViewBackward0), the running statistics written back as the mean over the batch; local
 * response norm divides the input by (k + alpha * mean of the squares over a window of `size`
 * channels)^beta (DivBackward0).
 */
import { Tensor, Size } from "../../tensor.js";
import { batchNorm as batchNormOp } from "../../ops/normalization.js";
import { zeros } from "../../ops/creation.js";
import { cat } from "../../ops/views.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { runtimeError, valueError } from "../../errors.js";
import { defineOp } from "../define.js";

/** ATen's instance_norm. */
function instanceNorm(
  input: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  useInputStats: boolean,
  momentum: number,
  eps: number,
): Tensor {
  if (!useInputStats && (runningMean === null || runningVar === null))
    throw runtimeError(
      "Expected running_mean and running_var to be defined when use_input_stats is false",
    );
  if (input.dim() < 2)
    throw runtimeError(
      `Dimension out of range (expected to be in range of [${-Math.max(input.dim(), 1)}, ${Math.max(input.dim(), 1) - 1}], but got 1)`,
    );
  const b = input.shape[0];
  const c = input.shape[1];
  const shape = input.shape.slice();
  shape[1] = b * c;
  shape[0] = 1;
  const rep = (t: Tensor | null): Tensor | null => (t === null ? null : t.repeat(b));
  const weight_ = rep(weight);
  const bias_ = rep(bias);
  const runningMean_ = rep(runningMean);
  const runningVar_ = rep(runningVar);
  const out = batchNormOp(
    input.contiguous().view(shape),
    runningMean_,
    runningVar_,
    weight_,
    bias_,
    useInputStats,
    momentum,
    eps,
  );
  // the running statistics: the mean over the batch of the per-instance ones
  noGrad(() => {
    if (runningMean !== null && runningMean_ !== null)
      runningMean.copy_((runningMean_ as Tensor).view(b, c).mean(0));
    if (runningVar !== null && runningVar_ !== null)
      runningVar.copy_((runningVar_ as Tensor).view(b, c).mean(0));
  });
  return out.view(input.shape);
}

defineOp({
  name: "instance_norm",
  variants: ["function"],
  doc: "instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled): normalise each channel of each instance over its spatial dims.",
  example:
    "torch.instanceNorm(torch.tensor([[[1, 3]]]), null, null, null, null, true, 0.1, 1e-5, false) // tensor([[[-1.0000,  1.0000]]])",
  overloads: [
    {
      schema:
        "instance_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool use_input_stats, float momentum, float eps, bool cudnn_enabled) -> Tensor",
      forward: (
        input: Tensor,
        weight: Tensor | null,
        bias: Tensor | null,
        runningMean: Tensor | null,
        runningVar: Tensor | null,
        useInputStats: boolean,
        momentum: number,
        eps: number,
      ) => instanceNorm(input, weight, bias, runningMean, runningVar, useInputStats, momentum, eps),
    },
  ],
});

defineOp({
  name: "instance_norm",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "instance_norm(x, running_mean, running_var, weight, bias, use_input_stats, momentum, eps): normalise each channel of each instance over its spatial dims (with running statistics when given).",
  example: "F.instanceNorm(torch.tensor([[[1, 3]]])) // tensor([[[-1.0000,  1.0000]]])",
  overloads: [
    {
      schema:
        "instance_norm(Tensor input, Tensor? running_mean=None, Tensor? running_var=None, Tensor? weight=None, Tensor? bias=None, bool use_input_stats=True, float momentum=0.1, float eps=1e-05) -> Tensor",
      forward: (
        input: Tensor,
        runningMean: Tensor | null,
        runningVar: Tensor | null,
        weight: Tensor | null,
        bias: Tensor | null,
        useInputStats: boolean,
        momentum: number,
        eps: number,
      ) => {
        if (useInputStats) {
          // F._verify_spatial_size: more than one spatial element
          let prod = 1;
          for (let i = 2; i < input.dim(); i++) prod *= input.shape[i];
          if (prod === 1)
            throw valueError(
              `Expected more than 1 spatial element when training, got input size ${String(new Size(input.shape))}`,
            );
        }
        return instanceNorm(
          input,
          weight,
          bias,
          runningMean,
          runningVar,
          useInputStats,
          Number(momentum),
          Number(eps),
        );
      },
    },
  ],
});

/**
 * F.local_response_norm: b_c = a_c / (k + alpha * (1/size) sum of a_c'^2 over the window of
 * channels c - size/2 .. c + (size-1)/2 (zero-padded))^beta. The window mean is PyTorch's
 * avg_pool over the zero-padded squares: the window's values summed in order, then / size.
 */
function localResponseNorm(
  input: Tensor,
  size: number,
  alpha: number,
  beta: number,
  k: number,
): Tensor {
  const dim = input.dim();
  if (dim < 3)
    throw valueError(
      `Expected 3D or higher dimensionality                          input (got ${dim} dimensions)`,
    );
  if (input.numel() === 0) return input;
  const sq = input.mul(input);
  const C = input.shape[1];
  const padShape = (n: number) => input.shape.map((s, i) => (i === 1 ? n : s));
  const before = Math.floor(size / 2);
  const after = Math.floor((size - 1) / 2);
  const parts: Tensor[] = [];
  if (before > 0) parts.push(zeros(padShape(before), { dtype: input.dtype }));
  parts.push(sq);
  if (after > 0) parts.push(zeros(padShape(after), { dtype: input.dtype }));
  const padded = parts.length === 1 ? sq : cat(parts, 1);
  // padded has C + size - 1 channels: C windows of `size`
  let sum = padded.narrow(1, 0, C);
  for (let j = 1; j < size; j++) sum = sum.add(padded.narrow(1, j, C));
  const div = sum.div(size).mul(alpha).add(k).pow(beta);
  return input.div(div);
}

defineOp({
  name: "local_response_norm",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "local_response_norm(x, size, alpha, beta, k): x / (k + alpha * mean of x^2 over `size` neighbouring channels)^beta.",
  example: "F.localResponseNorm(torch.ones(1, 3, 2), 2).shape // [1, 3, 2]",
  overloads: [
    {
      schema:
        "local_response_norm(Tensor input, int size, float alpha=0.0001, float beta=0.75, float k=1.0) -> Tensor",
      forward: (input: Tensor, size: number, alpha: number, beta: number, k: number) =>
        localResponseNorm(input, size, Number(alpha), Number(beta), Number(k)),
    },
  ],
});
