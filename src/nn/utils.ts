/**
 * torch.nn.utils: gradient clipping and parameter/vector conversion.
 */
import { Tensor } from "../tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { formatPyFloat } from "../print.js";
import { alloc, pyTypeName } from "../ops/core.js";
import { float32 } from "../dtype.js";
import { rdiv } from "../ops/elementwise.js";
import { norm } from "../ops/reduce.js";
import { stack, cat } from "../ops/views.js";
import { runtimeError, typeError } from "../errors.js";

// weight and spectral normalisation, parametrizations (h-nnmod)
export {
  weightNorm,
  removeWeightNorm,
  spectralNorm,
  removeSpectralNorm,
  type SpectralNormOptions,
} from "./weight-norm.js";
export * as parametrize from "./parametrize.js";
export * as parametrizations from "./parametrizations.js";

type Params = Tensor | Iterable<Tensor>;

function listOf(parameters: Params): Tensor[] {
  return parameters instanceof Tensor ? [parameters] : Array.from(parameters);
}

/**
 * Scale the gradients of `parameters` in place so that their total `normType`-norm is at most
 * `maxNorm` (coefficient maxNorm / (total + 1e-6), clamped at 1, in float32 as PyTorch);
 * returns the total norm before clipping.
 * @example
 * const model = new torch.nn.Linear(3, 1);
 * const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1 });
 * const loss = model.call(torch.randn(8, 3)).pow(2).mean();
 * loss.backward();
 * torch.nn.utils.clipGradNorm_(model.parameters(), 1.0);
 * opt.step();

 */
export function clipGradNorm_(
  parameters: Params,
  maxNorm: number,
  normType = 2.0,
  errorIfNonfinite = false,
): Tensor {
  const grads = listOf(parameters)
    .map((p) => p._grad)
    .filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return alloc([], float32);
  return noGrad(() => {
    let total: Tensor;
    if (normType === Infinity) {
      const norms = grads.map((g) => g.detach().abs().max());
      total = norms.length === 1 ? norms[0] : stack(norms).max();
    } else {
      // a sparse gradient's norm is its coalesced values' (duplicate entries summed first)
      total = norm(
        stack(
          grads.map((g) =>
            norm(g.isSparse ? g.detach().coalesce()._values() : g.detach(), normType),
          ),
        ),
        normType,
      );
    }
    if (errorIfNonfinite && !(total.isfinite().item() as boolean)) {
      throw runtimeError(
        `The total norm of order ${formatPyFloat(normType)} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set \`error_if_nonfinite=False\``,
      );
    }
    const coef = rdiv(total.add(1e-6), maxNorm).clamp(null, 1.0);
    // PyTorch 1.13 scales `grad.detach()` in place; for a sparse gradient that detached
    // tensor holds its own values, so the gradient itself is left unscaled (its norm still
    // counts in the total)
    for (const g of grads) if (!g.isSparse) g.detach().mul_(coef.to(g.dtype));
    return total;
  });
}

/**
 * Alias of clipGradNorm_ (PyTorch's deprecated clip_grad_norm).
 * @example torch.nn.utils.clipGradNorm(new torch.nn.Linear(3, 2).parameters(), 1.0)
 */
export const clipGradNorm = clipGradNorm_;

/**
 * Clamp every gradient to [-clipValue, clipValue] in place.
 * @example torch.nn.utils.clipGradValue_(new torch.nn.Linear(3, 2).parameters(), 0.5)
 */
export function clipGradValue_(parameters: Params, clipValue: number): void {
  noGrad(() => {
    for (const p of listOf(parameters)) {
      const g = p._grad;
      if (g !== null) g.detach().clamp_(-clipValue, clipValue);
    }
  });
}

/**
 * The parameters flattened into one vector.
 * @example torch.nn.utils.parametersToVector(new torch.nn.Linear(3, 2).parameters()).shape // [8]
 */
export function parametersToVector(parameters: Iterable<Tensor>): Tensor {
  return cat(
    Array.from(parameters, (p) => p.reshape(-1)),
    0,
  );
}

/**
 * Copy consecutive slices of `vec` into the parameters (in place).
 * @example torch.nn.utils.vectorToParameters(torch.zeros(8), new torch.nn.Linear(3, 2).parameters())
 */
export function vectorToParameters(vec: Tensor, parameters: Iterable<Tensor>): void {
  if (!(vec instanceof Tensor))
    throw typeError(`expected torch.Tensor, but got: ${pyTypeName(vec)}`);
  noGrad(() => {
    let pointer = 0;
    for (const p of parameters) {
      const n = p.numel();
      p.copy_(vec.narrow(0, pointer, n).view(p.shape));
      pointer += n;
    }
  });
}

// recurrent-sequence utilities (h-nntf): torch.nn.utils.rnn
export * as rnn from "./rnn-utils.js";
// pruning (h-utils): torch.nn.utils.prune
export * as prune from "./prune.js";
// torch.nn.utils.stateless.functional_call (h-utils)
export * as stateless from "./stateless.js";
// conv/linear + BatchNorm fusion and skip_init (h-utils)
export * as fusion from "./fusion.js";
export {
  fuseConvBnEval,
  fuseConvBnWeights,
  fuseLinearBnEval,
  fuseLinearBnWeights,
} from "./fusion.js";
export { skipInit } from "./skip-init.js";
