/**
 * Linear layers: Identity, Linear, Bilinear, and the shape layers Flatten and Unflatten.
 */
import { Tensor } from "../tensor.js";
import { type DType, type DTypeName, toDType, getDefaultDtype } from "../dtype.js";
import { alloc } from "../ops/core.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import * as init from "./init.js";
import * as F from "./functional.js";
import { ctorArgs } from "./ctor-args.js";

/** Options of Linear and Bilinear. */
export interface LinearOptions {
  /** learn an additive bias (default true) */
  bias?: boolean;
  /** Only "cpu" (PyTorch's `device`). */
  device?: string | null;
  /** The parameters' dtype (default: the default dtype). */
  dtype?: DType | DTypeName | null;
}

/** An argument of Linear or Bilinear: PyTorch's positional values, or a trailing options object. */
type LinearArg = number | boolean | string | DType | null | undefined | LinearOptions;

const LINEAR_DEFAULTS = { bias: true, device: null, dtype: null };

const pyBool = (b: boolean): string => (b ? "True" : "False");

function emptyParam(shape: number[], dtype: DType | DTypeName | null): Parameter {
  return new Parameter(alloc(shape, toDType(dtype ?? undefined) ?? getDefaultDtype()));
}

/**
 * Returns its input unchanged (accepts and ignores any constructor arguments).
 * @example const x = torch.ones(2); new torch.nn.Identity().call(x) === x // true

 */
export class Identity extends Module {
  constructor(..._args: unknown[]) {
    super();
  }
  override forward(input: Tensor): Tensor {
    return input;
  }
}

/**
 * y = x W^T + b, with W [outFeatures, inFeatures] and b [outFeatures], initialised as PyTorch
 * (kaiming_uniform_(W, a=sqrt(5)), then b ~ U(-1/sqrt(in), 1/sqrt(in))), so after
 * `torch.manualSeed(s)` the weights equal PyTorch's.
 * @example
 * torch.manualSeed(0);
 * const fc = new torch.nn.Linear(3, 2); // fc.weight equals torch.nn.Linear(3, 2).weight after torch.manual_seed(0)
 * fc.call(torch.randn(4, 3)).shape; // [4, 2]
 */
export class Linear extends Module {
  /** The size of each input sample (PyTorch's `in_features`). */
  declare inFeatures: number;
  /** The size of each output sample (PyTorch's `out_features`). */
  declare outFeatures: number;
  /** The learnable weight [outFeatures, inFeatures...], initialised as PyTorch does. */
  declare weight: Parameter;
  /** The learnable bias [outFeatures], or null with `bias: false`. */
  declare bias: Parameter | null;

  static override forwardArgs = ["input"];

  /** PyTorch's Linear(in_features, out_features, bias=True, device=None, dtype=None). */
  constructor(
    inFeatures: number | (LinearOptions & { inFeatures?: number; outFeatures?: number }),
    outFeatures?: LinearArg,
    ...rest: LinearArg[]
  ) {
    super();
    const a = ctorArgs<Required<LinearOptions> & { inFeatures: number; outFeatures: number }>(
      "Linear",
      [inFeatures, outFeatures, ...rest],
      ["inFeatures", "outFeatures", "bias", "device", "dtype"],
      LINEAR_DEFAULTS,
    );
    this.inFeatures = a.inFeatures;
    this.outFeatures = a.outFeatures;
    this.weight = emptyParam([a.outFeatures, a.inFeatures], a.dtype);
    if (a.bias) this.bias = emptyParam([a.outFeatures], a.dtype);
    else this.registerParameter("bias", null);
    this.resetParameters();
  }

  /** Re-draw the parameters with PyTorch's default initialisation. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, Math.sqrt(5));
    if (this.bias !== null) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }

  override forward(input: Tensor): Tensor {
    return F.linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/**
 * y = x1^T A x2 + b, A [outFeatures, in1Features, in2Features].
 * @example new torch.nn.Bilinear(20, 30, 40).call(torch.randn(128, 20), torch.randn(128, 30)).shape // [128, 40]
 */
export class Bilinear extends Module {
  /** The size of each first input sample (PyTorch's `in1_features`). */
  declare in1Features: number;
  /** The size of each second input sample (PyTorch's `in2_features`). */
  declare in2Features: number;
  /** The size of each output sample (PyTorch's `out_features`). */
  declare outFeatures: number;
  /** The learnable weight [outFeatures, inFeatures...], initialised as PyTorch does. */
  declare weight: Parameter;
  /** The learnable bias [outFeatures], or null with `bias: false`. */
  declare bias: Parameter | null;

  static override forwardArgs = ["input1", "input2"];

  /** PyTorch's Bilinear(in1_features, in2_features, out_features, bias=True, device, dtype). */
  constructor(
    in1Features: number | LinearOptions,
    in2Features?: LinearArg,
    outFeatures?: LinearArg,
    ...rest: LinearArg[]
  ) {
    super();
    type Args = Required<LinearOptions> &
      Record<"in1Features" | "in2Features" | "outFeatures", number>;
    const a = ctorArgs<Args>(
      "Bilinear",
      [in1Features, in2Features, outFeatures, ...rest],
      ["in1Features", "in2Features", "outFeatures", "bias", "device", "dtype"],
      LINEAR_DEFAULTS,
    );
    this.in1Features = a.in1Features;
    this.in2Features = a.in2Features;
    this.outFeatures = a.outFeatures;
    this.weight = emptyParam([a.outFeatures, a.in1Features, a.in2Features], a.dtype);
    if (a.bias) this.bias = emptyParam([a.outFeatures], a.dtype);
    else this.registerParameter("bias", null);
    this.resetParameters();
  }

  /** U(-1/sqrt(in1), 1/sqrt(in1)) for the weight and the bias, as PyTorch. */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.weight.shape[1]);
    init.uniform_(this.weight, -bound, bound);
    if (this.bias !== null) init.uniform_(this.bias, -bound, bound);
  }

  override forward(input1: Tensor, input2: Tensor): Tensor {
    return F.bilinear(input1, input2, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in1_features=${this.in1Features}, in2_features=${this.in2Features}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/**
 * Flattens dims [startDim, endDim] (default: all but the batch dim).
 * @example new torch.nn.Flatten().call(torch.zeros(32, 1, 28, 28)).shape // [32, 784]
 */
export class Flatten extends Module {
  /** The first dim to flatten (PyTorch's `start_dim`). */
  declare startDim: number;
  /** The last dim to flatten (PyTorch's `end_dim`). */
  declare endDim: number;

  /** PyTorch's Flatten(start_dim=1, end_dim=-1), positionally or by name. */
  constructor(
    startDim?: number | { startDim?: number; endDim?: number },
    ...rest: (number | { endDim?: number } | undefined)[]
  ) {
    super();
    const a = ctorArgs<{ startDim: number; endDim: number }>(
      "Flatten",
      [startDim, ...rest],
      ["startDim", "endDim"],
      { startDim: 1, endDim: -1 },
    );
    this.startDim = a.startDim;
    this.endDim = a.endDim;
  }

  override forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/**
 * Unflattens one dim into `unflattenedSize`.
 * @example new torch.nn.Unflatten(1, [2, 5]).call(torch.zeros(3, 10)).shape // [3, 2, 5]
 */
export class Unflatten extends Module {
  /** The dim to unflatten (PyTorch's `dim`). */
  declare dim: number;
  /** The sizes that dim becomes (PyTorch's `unflattened_size`). */
  declare unflattenedSize: number[];

  /** PyTorch's Unflatten(dim, unflattened_size), positionally or by name. */
  constructor(
    dim: number | { dim?: number; unflattenedSize?: readonly number[] },
    ...rest: (readonly number[] | { unflattenedSize?: readonly number[] } | undefined)[]
  ) {
    super();
    const a = ctorArgs<{ dim: number; unflattenedSize: readonly number[] }>(
      "Unflatten",
      [dim, ...rest],
      ["dim", "unflattenedSize"],
      {},
    );
    this.dim = a.dim;
    this.unflattenedSize = a.unflattenedSize.slice();
  }

  override forward(input: Tensor): Tensor {
    const d = this.dim < 0 ? this.dim + input.dim() : this.dim;
    const shape = input.shape.slice(0, d).concat(this.unflattenedSize, input.shape.slice(d + 1));
    return input.view(shape);
  }

  override extraRepr(): string {
    const s = this.unflattenedSize;
    return `dim=${this.dim}, unflattened_size=${s.length === 1 ? `(${s[0]},)` : `(${s.join(", ")})`}`;
  }
}
