/**
 * torch.nn.Parameter: a Tensor that a Module registers as one of its parameters.
 */
import { Tensor } from "../tensor.js";
import { float32 } from "../dtype.js";
import { noGrad } from "../autograd/grad-mode.js";
import { runtimeError } from "../errors.js";

/**
 * A leaf tensor that requires grad (by default) and that a Module auto-registers when it is
 * assigned to one of its fields. It shares storage (and version counter) with `data`, as
 * PyTorch's `nn.Parameter(data)` does, and prints as `Parameter containing:\ntensor(...)`.
 *
 * @example
 * const w = new torch.nn.Parameter(torch.randn(3, 2));
 * w.requiresGrad; // true
 * console.log(String(w)); // Parameter containing:\ntensor([[...]], requires_grad=True)
 */
export class Parameter extends Tensor {
  constructor(data?: Tensor, requiresGrad = true) {
    const t = data === undefined ? emptyFloat() : data;
    if (!(t instanceof Tensor)) {
      throw new TypeError(
        `Parameter(): argument 'data' must be Tensor, not ${t === null ? "NoneType" : typeof t}`,
      );
    }
    // a detached alias of data (sharing its version counter), not a view, as PyTorch's
    super(t.typedArray, t.shape.slice(), t.strides.slice(), t.offset, t.dtype, t._version);
    this._inference = t._inference;
    if (requiresGrad) {
      if (!t.dtype.isFloatingPoint && !t.dtype.isComplex)
        throw runtimeError(
          "Only Tensors of floating point and complex dtype can require gradients",
        );
      this.requiresGrad_(true);
    }
  }

  /** `Parameter containing:` followed by the tensor, as PyTorch's repr. */
  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

function emptyFloat(): Tensor {
  return noGrad(() => new Tensor(new Float32Array(0), [0], [1], 0, float32));
}

/**
 * Whether `v` is a Parameter.
 * @example isParameter(new torch.nn.Parameter(torch.zeros(1))) // true
 */
export function isParameter(v: unknown): v is Parameter {
  return v instanceof Parameter;
}
