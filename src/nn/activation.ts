/**
 * Activation modules: ReLU, LeakyReLU, GELU, SiLU, ELU, Tanh, Sigmoid, Softmax, LogSoftmax,
 * Softplus (and a few more), each a thin Module over torch.nn.functional with PyTorch's repr.
 */
import type { Tensor } from "../tensor.js";
import { formatPyFloat } from "../print.js";
import { Module } from "./module.js";
import * as F from "./functional.js";

const inplaceStr = (inplace: boolean, lead = ""): string => (inplace ? `${lead}inplace=True` : "");

/** A constructor argument given positionally (as PyTorch) or inside an options object. */
function pick<T>(arg: unknown, key: string, dflt: T): T {
  if (arg !== null && typeof arg === "object") {
    const v = (arg as Record<string, unknown>)[key];
    return v === undefined ? dflt : (v as T);
  }
  return arg === undefined ? dflt : (arg as T);
}
function inplaceOf(...args: unknown[]): boolean {
  for (const a of args) {
    if (a !== null && typeof a === "object" && "inplace" in a) return Boolean(a.inplace);
    if (typeof a === "boolean") return a;
  }
  return false;
}

/**
 * max(x, 0) elementwise.
 * @example new torch.nn.ReLU().call(torch.tensor([-1, 1])) // tensor([0., 1.])
 */
export class ReLU extends Module {
  declare inplace: boolean;
  constructor(opts: { inplace?: boolean } | boolean = {}) {
    super();
    this.inplace = inplaceOf(opts);
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
  declare inplace: boolean;
  constructor(opts: { inplace?: boolean } | boolean = {}) {
    super();
    this.inplace = inplaceOf(opts);
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
  declare negativeSlope: number;
  declare inplace: boolean;
  constructor(
    negativeSlope?: number | { negativeSlope?: number; inplace?: boolean },
    opts: { inplace?: boolean } | boolean = {},
  ) {
    super();
    this.negativeSlope = pick(negativeSlope, "negativeSlope", 0.01);
    this.inplace = inplaceOf(negativeSlope, opts);
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
  declare approximate: "none" | "tanh";
  constructor(approximate?: "none" | "tanh" | { approximate?: "none" | "tanh" }) {
    super();
    this.approximate = pick(approximate, "approximate", "none" as "none" | "tanh");
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
 * @example new torch.nn.SiLU().call(x)
 */
export class SiLU extends Module {
  declare inplace: boolean;
  constructor(opts: { inplace?: boolean } | boolean = {}) {
    super();
    this.inplace = inplaceOf(opts);
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
 * @example new torch.nn.Mish().call(x)
 */
export class Mish extends Module {
  override forward(input: Tensor): Tensor {
    return F.mish(input);
  }
}

/**
 * x where x > 0, else alpha * (exp(x) - 1).
 * @example new torch.nn.ELU(0.5)
 */
export class ELU extends Module {
  declare alpha: number;
  declare inplace: boolean;
  constructor(
    alpha?: number | { alpha?: number; inplace?: boolean },
    opts: { inplace?: boolean } | boolean = {},
  ) {
    super();
    this.alpha = pick(alpha, "alpha", 1.0);
    this.inplace = inplaceOf(alpha, opts);
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
 * @example new torch.nn.SELU().call(x)
 */
export class SELU extends Module {
  declare inplace: boolean;
  constructor(opts: { inplace?: boolean } | boolean = {}) {
    super();
    this.inplace = inplaceOf(opts);
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
 * @example new torch.nn.Tanh().call(x)
 */
export class Tanh extends Module {
  override forward(input: Tensor): Tensor {
    return input.tanh();
  }
}

/**
 * 1 / (1 + exp(-x))
 * @example new torch.nn.Sigmoid().call(x)
 */
export class Sigmoid extends Module {
  override forward(input: Tensor): Tensor {
    return input.sigmoid();
  }
}

/**
 * log(sigmoid(x))
 * @example new torch.nn.LogSigmoid().call(x)
 */
export class LogSigmoid extends Module {
  override forward(input: Tensor): Tensor {
    return F.logsigmoid(input);
  }
}

/**
 * x / (1 + |x|)
 * @example new torch.nn.Softsign().call(x)
 */
export class Softsign extends Module {
  override forward(input: Tensor): Tensor {
    return F.softsign(input);
  }
}

/**
 * clamp(x, minVal, maxVal)
 * @example new torch.nn.Hardtanh(-2, 2).call(x)
 */
export class Hardtanh extends Module {
  declare minVal: number;
  declare maxVal: number;
  declare inplace: boolean;
  constructor(minVal = -1.0, maxVal = 1.0, opts: { inplace?: boolean } | boolean = {}) {
    super();
    this.minVal = minVal;
    this.maxVal = maxVal;
    this.inplace = inplaceOf(opts);
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
  declare dim: number | null;
  constructor(dim?: number | null | { dim?: number | null }) {
    super();
    this.dim = pick(dim, "dim", null as number | null);
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
 * @example new torch.nn.Softmin(1).call(x)
 */
export class Softmin extends Module {
  declare dim: number | null;
  constructor(dim?: number | null | { dim?: number | null }) {
    super();
    this.dim = pick(dim, "dim", null as number | null);
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
  declare dim: number | null;
  constructor(dim?: number | null | { dim?: number | null }) {
    super();
    this.dim = pick(dim, "dim", null as number | null);
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
  declare beta: number;
  declare threshold: number;
  constructor(beta?: number | { beta?: number; threshold?: number }, threshold?: number) {
    super();
    this.beta = pick(beta, "beta", 1);
    this.threshold =
      typeof beta === "object" && beta !== null ? (beta.threshold ?? 20) : (threshold ?? 20);
  }
  override forward(input: Tensor): Tensor {
    return F.softplus(input, this.beta, this.threshold);
  }
  override extraRepr(): string {
    // PyTorch's defaults are the ints 1 and 20
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}
