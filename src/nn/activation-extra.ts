/**
 * The activation modules of issue 11 (h-nnact): Threshold, GLU, Hardshrink, Softshrink,
 * Tanhshrink, PReLU, RReLU, CELU, Hardsigmoid, Hardswish and Softmax2d, each a thin Module over
 * torch.nn.functional with PyTorch's constructor arguments (positional, or camelCased in a
 * trailing options object), repr and state dict. Float-typed arguments print as Python floats
 * (`lambd=0.5`, `alpha=1.0`), as PyTorch prints its float defaults.
 */
import type { Tensor } from "../tensor.js";
import { toDType, getDefaultDtype, type DType, type DTypeName } from "../dtype.js";
import { formatPyFloat } from "../print.js";
import { alloc } from "../ops/core.js";
import { noGrad } from "../autograd/grad-mode.js";
import { assertionError } from "../errors.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import * as F from "./functional.js";
import { ctorArgs } from "./ctor-args.js";

const inplaceStr = (inplace: boolean): string => (inplace ? ", inplace=True" : "");

/**
 * y = x where x > threshold, else value.
 * @example new torch.nn.Threshold(0.1, 20).call(torch.tensor([0, 1])) // tensor([20.,  1.])
 */
export class Threshold extends Module {
  /** The value to threshold at (PyTorch's `threshold`). */
  declare threshold: number;
  /** The value replacing inputs at or below the threshold. */
  declare value: number;
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(
    threshold?: number | { threshold: number; value: number; inplace?: boolean },
    value?: number | { value?: number; inplace?: boolean },
    inplace?: boolean | { inplace?: boolean },
    ...extra: never[]
  ) {
    super();
    Object.assign(
      this,
      ctorArgs(
        "Threshold",
        [threshold, value, inplace, ...extra],
        ["threshold", "value", "inplace"],
        {
          inplace: false,
        },
      ),
    );
  }
  override forward(input: Tensor): Tensor {
    return F.threshold(input, this.threshold, this.value, this.inplace);
  }
  override extraRepr(): string {
    return `threshold=${formatPyFloat(this.threshold)}, value=${formatPyFloat(this.value)}${inplaceStr(this.inplace)}`;
  }
}

/**
 * The gated linear unit: a * sigmoid(b), a and b the halves of the input along `dim`.
 * @example new torch.nn.GLU().call(torch.randn(4, 2)).shape // [4, 1]
 */
export class GLU extends Module {
  /** The dim split in half (PyTorch's `dim`). */
  declare dim: number;
  constructor(dim?: number | { dim?: number }, ...extra: never[]) {
    super();
    Object.assign(this, ctorArgs("GLU", [dim, ...extra], ["dim"], { dim: -1 }));
  }
  override forward(input: Tensor): Tensor {
    return F.glu(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * x where |x| > lambd, else 0.
 * @example new torch.nn.Hardshrink(0.5)
 */
export class Hardshrink extends Module {
  /** The λ of the shrinkage (PyTorch's `lambd`). */
  declare lambd: number;
  constructor(lambd?: number | { lambd?: number }, ...extra: never[]) {
    super();
    Object.assign(this, ctorArgs("Hardshrink", [lambd, ...extra], ["lambd"], { lambd: 0.5 }));
  }
  override forward(input: Tensor): Tensor {
    return F.hardshrink(input, this.lambd);
  }
  override extraRepr(): string {
    return formatPyFloat(this.lambd);
  }
}

/**
 * x - lambd above lambd, x + lambd below -lambd, else 0.
 * @example new torch.nn.Softshrink(0.5)
 */
export class Softshrink extends Module {
  /** The λ of the shrinkage (PyTorch's `lambd`). */
  declare lambd: number;
  constructor(lambd?: number | { lambd?: number }, ...extra: never[]) {
    super();
    Object.assign(this, ctorArgs("Softshrink", [lambd, ...extra], ["lambd"], { lambd: 0.5 }));
  }
  override forward(input: Tensor): Tensor {
    return F.softshrink(input, this.lambd);
  }
  override extraRepr(): string {
    return formatPyFloat(this.lambd);
  }
}

/**
 * x - tanh(x).
 * @example new torch.nn.Tanhshrink().call(torch.tensor([0, 1])) // tensor([0.0000, 0.2384])
 */
export class Tanhshrink extends Module {
  constructor(...args: unknown[]) {
    super();
    ctorArgs("Module", args, [], {}); // Module.__init__(self): no arguments
  }
  override forward(input: Tensor): Tensor {
    return F.tanhshrink(input);
  }
}

/** Options of PReLU. */
export interface PReLUOptions {
  /** The number of a's to learn: 1 or the number of input channels. */
  numParameters?: number;
  /** The initial value of a (default 0.25). */
  init?: number;
  /** Only "cpu" (PyTorch's `device`). */
  device?: string | null;
  /** The parameter's dtype. */
  dtype?: DType | DTypeName | null;
}

/**
 * x where x > 0, else w * x with a learnt slope w (one, or one per channel), initialised to
 * `init` (0.25).
 * @example new torch.nn.PReLU(3).weight // Parameter containing: tensor([0.2500, 0.2500, 0.2500], requires_grad=True)
 */
export class PReLU extends Module {
  /** The number of a's to learn: 1 or the number of input channels. */
  declare numParameters: number;
  /** The initial value of a (default 0.25). */
  declare init: number;
  /** The learnable a [numParameters]. */
  declare weight: Parameter;
  constructor(
    numParameters?: number | PReLUOptions,
    init?: number | PReLUOptions,
    ...rest: (string | DType | DTypeName | null | PReLUOptions | undefined)[]
  ) {
    super();
    type Args = {
      numParameters: number;
      init: number;
      device: unknown;
      dtype: DType | DTypeName | null;
    };
    const a = ctorArgs<Args>(
      "PReLU",
      [numParameters, init, ...rest],
      ["numParameters", "init", "device", "dtype"],
      { numParameters: 1, init: 0.25, device: null, dtype: null },
    );
    this.numParameters = a.numParameters;
    this.init = a.init;
    const dt = toDType(a.dtype ?? undefined) ?? getDefaultDtype();
    this.weight = new Parameter(alloc([a.numParameters], dt));
    this.resetParameters();
  }
  /** The slopes set to `init` (init.constant_). */
  resetParameters(): void {
    noGrad(() => this.weight.fill_(this.init));
  }
  override forward(input: Tensor): Tensor {
    return F.prelu(input, this.weight);
  }
  override extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}

/**
 * Randomized leaky ReLU: in training, x * r below 0 with r ~ U(lower, upper) drawn per element
 * (PyTorch's CPU draws); in eval, leaky_relu with slope (lower + upper) / 2.
 * @example new torch.nn.RReLU(0.1, 0.3)
 */
export class RReLU extends Module {
  /** The lower bound of the random slope (PyTorch's `lower`). */
  declare lower: number;
  /** The upper bound of the random slope (PyTorch's `upper`). */
  declare upper: number;
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(
    lower?: number | { lower?: number; upper?: number; inplace?: boolean },
    upper?: number | { upper?: number; inplace?: boolean },
    inplace?: boolean | { inplace?: boolean },
    ...extra: never[]
  ) {
    super();
    Object.assign(
      this,
      ctorArgs("RReLU", [lower, upper, inplace, ...extra], ["lower", "upper", "inplace"], {
        lower: 1.0 / 8,
        upper: 1.0 / 3,
        inplace: false,
      }),
    );
  }
  override forward(input: Tensor): Tensor {
    return F.rrelu(input, this.lower, this.upper, this.training, this.inplace);
  }
  override extraRepr(): string {
    return `lower=${formatPyFloat(this.lower)}, upper=${formatPyFloat(this.upper)}${inplaceStr(this.inplace)}`;
  }
}

/**
 * max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).
 * @example new torch.nn.CELU(2.0)
 */
export class CELU extends Module {
  /** The α of CELU (PyTorch's `alpha`). */
  declare alpha: number;
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(
    alpha?: number | { alpha?: number; inplace?: boolean },
    inplace?: boolean | { inplace?: boolean },
    ...extra: never[]
  ) {
    super();
    Object.assign(
      this,
      ctorArgs("CELU", [alpha, inplace, ...extra], ["alpha", "inplace"], {
        alpha: 1.0,
        inplace: false,
      }),
    );
  }
  override forward(input: Tensor): Tensor {
    return F.celu(input, this.alpha, this.inplace);
  }
  override extraRepr(): string {
    return `alpha=${formatPyFloat(this.alpha)}${inplaceStr(this.inplace)}`;
  }
}

/**
 * clamp(x / 6 + 1/2, 0, 1) (its repr shows no arguments, as PyTorch's).
 * @example new torch.nn.Hardsigmoid().call(torch.tensor([0])) // tensor([0.5000])
 */
export class Hardsigmoid extends Module {
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(inplace?: boolean | { inplace?: boolean }, ...extra: never[]) {
    super();
    Object.assign(
      this,
      ctorArgs("Hardsigmoid", [inplace, ...extra], ["inplace"], { inplace: false }),
    );
  }
  override forward(input: Tensor): Tensor {
    return F.hardsigmoid(input, this.inplace);
  }
}

/**
 * x * hardsigmoid(x) (its repr shows no arguments, as PyTorch's).
 * @example new torch.nn.Hardswish().call(torch.tensor([1])) // tensor([0.6667])
 */
export class Hardswish extends Module {
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(inplace?: boolean | { inplace?: boolean }, ...extra: never[]) {
    super();
    Object.assign(
      this,
      ctorArgs("Hardswish", [inplace, ...extra], ["inplace"], { inplace: false }),
    );
  }
  override forward(input: Tensor): Tensor {
    return F.hardswish(input, this.inplace);
  }
}

/**
 * Softmax over the channels of a [N, C, H, W] or [C, H, W] input (dim -3).
 * @example new torch.nn.Softmax2d().call(torch.zeros(1, 2, 1, 1)) // tensor([[[[0.5000]], [[0.5000]]]])

 */
export class Softmax2d extends Module {
  constructor(...args: unknown[]) {
    super();
    ctorArgs("Module", args, [], {}); // Module.__init__(self): no arguments
  }
  override forward(input: Tensor): Tensor {
    if (input.dim() !== 3 && input.dim() !== 4)
      throw assertionError("Softmax2d requires a 3D or 4D tensor as input");
    return F.softmax(input, -3);
  }
}
