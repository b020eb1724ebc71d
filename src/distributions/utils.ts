/**
 * Helpers shared by the distributions (torch/distributions/utils.py): broadcasting parameters
 * given as tensors or numbers, the probs/logits conversions, and summing rightmost dims.
 */
import { Tensor, Size } from "../tensor.js";
import { finfo, getDefaultDtype, type DType } from "../dtype.js";
import { valueError } from "../errors.js";
import { broadcastTensors, empty } from "../generated/functions.js";
import { tensor } from "../ops/creation.js";
import { sigmoid, softmax } from "../generated/nn-functional.js";

/** A parameter as PyTorch takes it: a tensor or a Python number. */
export type TensorLike = Tensor | number;

/** A shape argument: `[2, 3]` or a `torch.Size`. */
export type ShapeLike = readonly number[];

/** The Euler–Mascheroni constant γ. */
export const eulerConstant = 0.5772156649015329;

/**
 * broadcast_all(*values): numbers become tensors of the first tensor's dtype (the default dtype
 * when all are numbers), then all are broadcast to one shape.
 * @example torch.distributions.utils.broadcastAll(torch.zeros(2), 1)[1] // tensor([1., 1.])
 */
export function broadcastAll(...values: unknown[]): Tensor[] {
  if (!values.every((v) => v instanceof Tensor || typeof v === "number")) {
    throw valueError(
      "Input arguments must all be instances of numbers.Number, " +
        "torch.Tensor or objects implementing __torch_function__.",
    );
  }
  const first = values.find((v): v is Tensor => v instanceof Tensor);
  const dtype = first?.dtype ?? getDefaultDtype();
  const ts = values.map((v) => (v instanceof Tensor ? v : tensor(v as number, { dtype })));
  return broadcastTensors(...ts);
}

/** Whether every value is a plain number (PyTorch's `isinstance(v, Number)` on all of them). */
export const allNumbers = (...values: unknown[]): boolean =>
  values.every((v) => typeof v === "number");

/** torch.empty(shape, dtype).normal_(): standard normal draws (utils._standard_normal). */
export function standardNormal(shape: ShapeLike, dtype: DType): Tensor {
  return empty([...shape], { dtype }).normal_();
}

/**
 * Sums the `dim` rightmost dims of `value` (utils._sum_rightmost): value.reshape(shape[:-dim] +
 * (-1,)).sum(-1).
 * @example torch.distributions.utils.sumRightmost(torch.ones(2, 3), 1) // tensor([3., 3.])
 */
export function sumRightmost(value: Tensor, dim: number): Tensor {
  if (dim === 0) return value;
  return value.reshape([...value.shape.slice(0, value.dim() - dim), -1]).sum(-1);
}

/**
 * logits_to_probs: sigmoid(logits) for binary logits, else softmax over the last dim.
 * @example torch.distributions.utils.logitsToProbs(torch.tensor([0, 0])) // tensor([0.5000, 0.5000])
 */
export function logitsToProbs(logits: Tensor, isBinary = false): Tensor {
  return isBinary ? sigmoid(logits) : softmax(logits, -1);
}

/**
 * clamp_probs: probs clamped to [eps, 1 - eps] with the dtype's machine epsilon.
 * @example torch.distributions.utils.clampProbs(torch.tensor([0, 1])).tolist() // [1.1920928955078125e-7, 0.9999998807907104]
 */
export function clampProbs(probs: Tensor): Tensor {
  const eps = finfo(probs.dtype).eps;
  return probs.clamp(eps, 1 - eps);
}

/**
 * probs_to_logits: log(p) - log1p(-p) for binary probs, else log(p), on clamped probs.
 * @example torch.distributions.utils.probsToLogits(torch.tensor([0.5]), true) // tensor([0.])
 */
export function probsToLogits(probs: Tensor, isBinary = false): Tensor {
  const p = clampProbs(probs);
  return isBinary ? p.log().sub(p.neg().log1p()) : p.log();
}

/** A shape as a torch.Size. */
export const size = (shape: ShapeLike): Size => new Size([...shape]);

/** Two shapes equal element by element. */
export const sameShape = (a: ShapeLike, b: ShapeLike): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);
