/**
 * Activation modules: ReLU, LeakyReLU, GELU, SiLU, ELU, Tanh, Sigmoid, Softmax, LogSoftmax,
 * Softplus (and a few more), each a thin Module over torch.nn.functional with PyTorch's repr.
 */
import type { Tensor } from "../tensor.js";
import { formatPyFloat } from "../print.js";
import { assertionError } from "../errors.js";
import { Module } from "./module.js";
import * as F from "./functional.js";
import { ctorArgs } from "./ctor-args.js";

const inplaceStr = (inplace: boolean, lead = ""): string => (inplace ? `${lead}inplace=True` : "");

/**
 * `args` bound as `cls.__init__` binds them when every parameter is optional: `defaults` lists
 * them in PyTorch's order with their defaults.
 */
function bind<T extends Record<string, unknown>>(cls: string, args: unknown[], defaults: T): T {
  return ctorArgs<T>(cls, args, Object.keys(defaults), defaults);
}

/** The options form of `{ inplace }`. */
type InplaceArg = boolean | { inplace?: boolean } | undefined;

/**
 * max(x, 0) elementwise.
 * @example new torch.nn.ReLU().call(torch.tensor([-1, 1])) // tensor([0., 1.])
 */
export class ReLU extends Module {
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(...args: InplaceArg[]) {
    super();
    this.inplace = bind("ReLU", args, { inplace: false }).inplace;
  }
  override forward(input: Tensor): Tensor {
    return F.relu(input, this.inplace);
  }
  override extraRepr(): string {
    return inplaceStr(this.inplace);
  }
}

/**
 * min(max(x, 0), 6)
 * @example new torch.nn.ReLU6().call(torch.tensor([-1, 3, 8])) // tensor([0., 3., 6.])
 */
export class ReLU6 extends Module {
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(...args: InplaceArg[]) {
    super();
    this.inplace = bind("ReLU6", args, { inplace: false }).inplace;
  }
  override forward(input: Tensor): Tensor {
    return F.relu6(input, this.inplace);
  }
  override extraRepr(): string {
    return inplaceStr(this.inplace);
  }
}

/**
 * x where x > 0, else negativeSlope * x.
 * @example new torch.nn.LeakyReLU(0.2)
 */
export class LeakyReLU extends Module {
  /** The slope for negative inputs (PyTorch's `negative_slope`). */
  declare negativeSlope: number;
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(
    negativeSlope?: number | { negativeSlope?: number; inplace?: boolean },
    ...rest: InplaceArg[]
  ) {
    super();
    const a = bind("LeakyReLU", [negativeSlope, ...rest], { negativeSlope: 0.01, inplace: false });
    this.negativeSlope = a.negativeSlope;
    this.inplace = a.inplace;
  }
  override forward(input: Tensor): Tensor {
    return F.leakyRelu(input, this.negativeSlope, this.inplace);
  }
  override extraRepr(): string {
    return `negative_slope=${formatPyFloat(this.negativeSlope)}${inplaceStr(this.inplace, ", ")}`;
  }
}

/**
 * x * Phi(x); `approximate: "tanh"` for the tanh approximation.
 * @example new torch.nn.GELU({ approximate: "tanh" })
 */
export class GELU extends Module {
  /** "none" (erf) or "tanh" approximation (PyTorch's `approximate`). */
  declare approximate: "none" | "tanh";
  constructor(...args: ("none" | "tanh" | { approximate?: "none" | "tanh" } | undefined)[]) {
    super();
    this.approximate = bind("GELU", args, { approximate: "none" as "none" | "tanh" }).approximate;
  }
  override forward(input: Tensor): Tensor {
    return F.gelu(input, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/**
 * x * sigmoid(x)
 * @example new torch.nn.SiLU().call(torch.tensor([-1, 0, 2]))
 */
export class SiLU extends Module {
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(...args: InplaceArg[]) {
    super();
    this.inplace = bind("SiLU", args, { inplace: false }).inplace;
  }
  override forward(input: Tensor): Tensor {
    return F.silu(input, this.inplace);
  }
  override extraRepr(): string {
    return inplaceStr(this.inplace);
  }
}

/**
 * x * tanh(softplus(x))
 * @example new torch.nn.Mish().call(torch.tensor([-1, 0, 2]))
 */
export class Mish extends Module {
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(...args: InplaceArg[]) {
    super();
    this.inplace = bind("Mish", args, { inplace: false }).inplace;
  }
  override forward(input: Tensor): Tensor {
    return F.mish(input, this.inplace);
  }
  override extraRepr(): string {
    return inplaceStr(this.inplace);
  }
}

/**
 * x where x > 0, else alpha * (exp(x) - 1).
 * @example new torch.nn.ELU(0.5)
 */
export class ELU extends Module {
  /** The α of the formula (PyTorch's `alpha`). */
  declare alpha: number;
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(alpha?: number | { alpha?: number; inplace?: boolean }, ...rest: InplaceArg[]) {
    super();
    const a = bind("ELU", [alpha, ...rest], { alpha: 1.0, inplace: false });
    this.alpha = a.alpha;
    this.inplace = a.inplace;
  }
  override forward(input: Tensor): Tensor {
    return F.elu(input, this.alpha, this.inplace);
  }
  override extraRepr(): string {
    return `alpha=${formatPyFloat(this.alpha)}${inplaceStr(this.inplace, ", ")}`;
  }
}

/**
 * scale * elu(x, alpha) with the self-normalising constants
 * @example new torch.nn.SELU().call(torch.tensor([-1, 0, 2]))
 */
export class SELU extends Module {
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(...args: InplaceArg[]) {
    super();
    this.inplace = bind("SELU", args, { inplace: false }).inplace;
  }
  override forward(input: Tensor): Tensor {
    return F.selu(input, this.inplace);
  }
  override extraRepr(): string {
    return inplaceStr(this.inplace);
  }
}

/**
 * tanh(x)
 * @example new torch.nn.Tanh().call(torch.tensor([-1, 0, 2]))
 */
export class Tanh extends Module {
  constructor(...args: unknown[]) {
    super();
    ctorArgs("Module", args, [], {}); // Module.__init__(self): no arguments
  }
  override forward(input: Tensor): Tensor {
    return input.tanh();
  }
}

/**
 * 1 / (1 + exp(-x))
 * @example new torch.nn.Sigmoid().call(torch.tensor([-1, 0, 2]))
 */
export class Sigmoid extends Module {
  constructor(...args: unknown[]) {
    super();
    ctorArgs("Module", args, [], {}); // Module.__init__(self): no arguments
  }
  override forward(input: Tensor): Tensor {
    return input.sigmoid();
  }
}

/**
 * log(sigmoid(x))
 * @example new torch.nn.LogSigmoid().call(torch.tensor([-1, 0, 2]))
 */
export class LogSigmoid extends Module {
  constructor(...args: unknown[]) {
    super();
    ctorArgs("Module", args, [], {}); // Module.__init__(self): no arguments
  }
  override forward(input: Tensor): Tensor {
    return F.logsigmoid(input);
  }
}

/**
 * x / (1 + |x|)
 * @example new torch.nn.Softsign().call(torch.tensor([-1, 0, 2]))
 */
export class Softsign extends Module {
  constructor(...args: unknown[]) {
    super();
    ctorArgs("Module", args, [], {}); // Module.__init__(self): no arguments
  }
  override forward(input: Tensor): Tensor {
    return F.softsign(input);
  }
}

/** Hardtanh's arguments by name. */
export interface HardtanhOptions {
  /** The lower bound (default -1). */
  minVal?: number;
  /** The upper bound (default 1). */
  maxVal?: number;
  /** Modify the input in place (default false). */
  inplace?: boolean;
  /** deprecated names of minVal / maxVal */
  minValue?: number | null;
  /** Deprecated name of maxVal. */
  maxValue?: number | null;
}

/**
 * clamp(x, minVal, maxVal)
 * @example new torch.nn.Hardtanh(-2, 2).call(torch.tensor([-1, 0, 2]))
 */
export class Hardtanh extends Module {
  /** The lower bound (PyTorch's `min_val`). */
  declare minVal: number;
  /** The upper bound (PyTorch's `max_val`). */
  declare maxVal: number;
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(
    minVal?: number | HardtanhOptions,
    ...rest: (number | boolean | null | HardtanhOptions | undefined)[]
  ) {
    super();
    const a = bind("Hardtanh", [minVal, ...rest], {
      minVal: -1.0,
      maxVal: 1.0,
      inplace: false,
      minValue: null as number | null,
      maxValue: null as number | null,
    });
    // the deprecated min_value / max_value win (PyTorch warns)
    this.minVal = a.minValue ?? a.minVal;
    this.maxVal = a.maxValue ?? a.maxVal;
    this.inplace = a.inplace;
    if (!(this.maxVal > this.minVal)) throw assertionError("");
  }
  override forward(input: Tensor): Tensor {
    return F.hardtanh(input, this.minVal, this.maxVal, this.inplace);
  }
  override extraRepr(): string {
    return `min_val=${formatPyFloat(this.minVal)}, max_val=${formatPyFloat(this.maxVal)}${inplaceStr(this.inplace, ", ")}`;
  }
}

/**
 * softmax along `dim`.
 * @example new torch.nn.Softmax(1)
 */
export class Softmax extends Module {
  /** The dim along which the function is computed (PyTorch's `dim`). */
  declare dim: number | null;
  constructor(...args: (number | null | { dim?: number | null } | undefined)[]) {
    super();
    this.dim = bind("Softmax", args, { dim: null as number | null }).dim;
  }
  override forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim === null ? "None" : this.dim}`;
  }
}

/**
 * softmax of -x along `dim`
 * @example new torch.nn.Softmin(1).call(torch.tensor([[1, 2, 3]]))
 */
export class Softmin extends Module {
  /** The dim along which the function is computed (PyTorch's `dim`). */
  declare dim: number | null;
  constructor(...args: (number | null | { dim?: number | null } | undefined)[]) {
    super();
    this.dim = bind("Softmin", args, { dim: null as number | null }).dim;
  }
  override forward(input: Tensor): Tensor {
    return F.softmin(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim === null ? "None" : this.dim}`;
  }
}

/**
 * log(softmax(x)) along `dim`.
 * @example new torch.nn.LogSoftmax(1)
 */
export class LogSoftmax extends Module {
  /** The dim along which the function is computed (PyTorch's `dim`). */
  declare dim: number | null;
  constructor(...args: (number | null | { dim?: number | null } | undefined)[]) {
    super();
    this.dim = bind("LogSoftmax", args, { dim: null as number | null }).dim;
  }
  override forward(input: Tensor): Tensor {
    return F.logSoftmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim === null ? "None" : this.dim}`;
  }
}

/**
 * log(1 + exp(beta x)) / beta, linear above `threshold`.
 * @example new torch.nn.Softplus(2, 10)
 */
export class Softplus extends Module {
  /** The β of the formula (PyTorch's `beta`). */
  declare beta: number;
  /** Above input × β this threshold, the function is linear (PyTorch's `threshold`). */
  declare threshold: number;
  constructor(...args: (number | { beta?: number; threshold?: number } | undefined)[]) {
    super();
    const a = bind("Softplus", args, { beta: 1, threshold: 20 });
    this.beta = a.beta;
    this.threshold = a.threshold;
  }
  override forward(input: Tensor): Tensor {
    return F.softplus(input, this.beta, this.threshold);
  }
  override extraRepr(): string {
    // PyTorch's defaults are the ints 1 and 20
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}
