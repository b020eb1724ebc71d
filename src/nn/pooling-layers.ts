/**
 * Pooling layers (PyTorch's torch/nn/modules/pooling.py): MaxPool1d/2d/3d, AvgPool1d/2d/3d,
 * AdaptiveMaxPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d, LPPool1d/2d, MaxUnpool1d/2d/3d,
 * FractionalMaxPool2d/3d, with PyTorch's constructor arguments (positional in its order, or by
 * camelCased name in a trailing options object), stored values, reprs and buffers. One class
 * per PyTorch base (_MaxPoolNd, _AvgPoolNd, ...) holds the logic; the public classes fix the
 * dimension.
 */
import { Tensor } from "../tensor.js";
import { Module } from "./module.js";
import * as F from "./functional.js";
import type { IntOrTuple } from "./functional.js";
import { pyBool, pyTuple, toTuple } from "./layer-utils.js";
import { ctorArgs } from "./ctor-args.js";
import { valueError } from "../errors.js";

/** A size as PyTorch stores it: an int, or a tuple whose entries may be None. */
type Size = number | readonly (number | null)[];

/** Python's str of an int, float or tuple (None for null). */
function py(v: Size | null): string {
  if (v === null) return "None";
  if (typeof v === "number") return String(v);
  const items = v.map((x) => (x === null ? "None" : String(x)));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
}

/** A stored copy of a size (arrays copied, so the module keeps its own). */
const keep = <T extends Size | null>(v: T): T =>
  (Array.isArray(v) ? (v.slice() as unknown) : v) as T;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the F functions' overload sets are called with PyTorch's positional arguments
type Fn = (...args: any[]) => any;
const call = (f: unknown, ...args: unknown[]): Tensor => (f as Fn)(...args) as Tensor;

// ---------------------------------------------------------------------------------------------
// max pooling

/** Options of MaxPool1d/2d/3d (after the kernel size). */
export interface MaxPoolOptions {
  /** The step between windows (default: the kernel size). */
  stride?: IntOrTuple | null;
  /** Implicit padding on both sides (default 0; at most half the kernel). */
  padding?: IntOrTuple;
  /** The spacing between window elements (default 1). */
  dilation?: IntOrTuple;
  /** Also return the argmax indices (for MaxUnpool; default false). */
  returnIndices?: boolean;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
}
type MaxPoolRest = [
  (IntOrTuple | null | MaxPoolOptions)?,
  (IntOrTuple | MaxPoolOptions)?,
  (IntOrTuple | MaxPoolOptions)?,
  (boolean | MaxPoolOptions)?,
  (boolean | MaxPoolOptions)?,
  MaxPoolOptions?,
];
const MAX_POOL_ARGS = ["stride", "padding", "dilation", "returnIndices", "ceilMode"] as const;

/** PyTorch's _MaxPoolNd: sizes stored as given, stride defaulting to the kernel size. */
abstract class MaxPoolNd extends Module {
  /** The window size (PyTorch's `kernel_size`). */
  declare kernelSize: IntOrTuple;
  /** The step between windows (PyTorch's `stride`). */
  declare stride: IntOrTuple;
  /** Implicit padding on both sides (PyTorch's `padding`). */
  declare padding: IntOrTuple;
  /** The spacing between window elements (PyTorch's `dilation`). */
  declare dilation: IntOrTuple;
  /** Whether forward also returns the argmax indices (PyTorch's `return_indices`). */
  declare returnIndices: boolean;
  /** Whether output sizes round up (PyTorch's `ceil_mode`). */
  declare ceilMode: boolean;

  constructor(kernelSize: IntOrTuple, rest: MaxPoolRest) {
    super();
    // every argument may come by name: `new MaxPool2d({ kernelSize: 2 })`
    const o = ctorArgs<Required<MaxPoolOptions> & { kernelSize: IntOrTuple }>(
      "_MaxPoolNd",
      [kernelSize, ...rest],
      ["kernelSize", ...MAX_POOL_ARGS],
      { stride: null, padding: 0, dilation: 1, returnIndices: false, ceilMode: false },
    );
    Object.assign(this, {
      kernelSize: keep(o.kernelSize),
      stride: keep(o.stride ?? o.kernelSize),
      padding: keep(o.padding),
      dilation: keep(o.dilation),
      returnIndices: o.returnIndices,
      ceilMode: o.ceilMode,
    });
  }

  protected pool(f: unknown, x: Tensor): Tensor {
    return call(f, x, this.kernelSize, this.stride, this.padding, this.dilation, {
      ceilMode: this.ceilMode,
      returnIndices: this.returnIndices,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}, dilation=${py(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/**
 * torch.nn.MaxPool1d: the maximum over each window along the last dim; with `returnIndices`,
 * forward returns `[values, indices]`.
 *
 * @example
 * String(new torch.nn.MaxPool1d(3, 2)); // MaxPool1d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)
 */
export class MaxPool1d extends MaxPoolNd {
  constructor(kernelSize: IntOrTuple, ...rest: MaxPoolRest) {
    super(kernelSize, rest);
  }
  override forward(x: Tensor): Tensor {
    return this.pool(F.maxPool1d, x);
  }
}

/**
 * torch.nn.MaxPool2d: the maximum over each kernelSize window (stride defaults to the kernel
 * size). With `returnIndices`, forward returns `[values, indices]`.
 *
 * @example
 * const pool = new torch.nn.MaxPool2d(2);
 * String(pool); // MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
 * pool.call(torch.randn(1, 16, 26, 26)).shape; // [1, 16, 13, 13]
 */
export class MaxPool2d extends MaxPoolNd {
  constructor(kernelSize: IntOrTuple, ...rest: MaxPoolRest) {
    super(kernelSize, rest);
  }
  override forward(x: Tensor): Tensor {
    return this.pool(F.maxPool2d, x);
  }
}

/**
 * torch.nn.MaxPool3d: the maximum over each kernelSize window of [N, C, D, H, W] input.
 *
 * @example
 * new torch.nn.MaxPool3d(2).call(torch.randn(1, 4, 8, 8, 8)).shape; // [1, 4, 4, 4, 4]
 */
export class MaxPool3d extends MaxPoolNd {
  constructor(kernelSize: IntOrTuple, ...rest: MaxPoolRest) {
    super(kernelSize, rest);
  }
  override forward(x: Tensor): Tensor {
    return this.pool(F.maxPool3d, x);
  }
}

/** Options of MaxPool2d (the name before MaxPool1d/3d shared it). */
export type MaxPool2dOptions = MaxPoolOptions;

// ---------------------------------------------------------------------------------------------
// average pooling

/** Options of AvgPool1d/2d/3d (after the kernel size). */
export interface AvgPoolOptions {
  /** The step between windows (default: the kernel size). */
  stride?: IntOrTuple | null;
  /** Implicit padding on both sides (default 0; at most half the kernel). */
  padding?: IntOrTuple;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
  /** Count the zero padding in the averaging divisor (default true). */
  countIncludePad?: boolean;
  /** AvgPool2d and AvgPool3d only */
  divisorOverride?: number | null;
}
type AvgPoolRest = [
  (IntOrTuple | null | AvgPoolOptions)?,
  (IntOrTuple | AvgPoolOptions)?,
  (boolean | AvgPoolOptions)?,
  (boolean | AvgPoolOptions)?,
  (number | null | AvgPoolOptions)?,
  AvgPoolOptions?,
];
const AVG_POOL_ARGS = [
  "stride",
  "padding",
  "ceilMode",
  "countIncludePad",
  "divisorOverride",
] as const;

/** PyTorch's _AvgPoolNd (AvgPool1d stores _single tuples, 2d and 3d the values as given). */
abstract class AvgPoolNd extends Module {
  /** The window size (PyTorch's `kernel_size`). */
  declare kernelSize: IntOrTuple;
  /** The step between windows (PyTorch's `stride`). */
  declare stride: IntOrTuple;
  /** Implicit padding on both sides (PyTorch's `padding`). */
  declare padding: IntOrTuple;
  /** Whether output sizes round up (PyTorch's `ceil_mode`). */
  declare ceilMode: boolean;
  /** Whether padding counts in the divisor (PyTorch's `count_include_pad`). */
  declare countIncludePad: boolean;
  /** Divide by this instead of the window size (PyTorch's `divisor_override`). */
  declare divisorOverride: number | null;

  constructor(kernelSize: IntOrTuple, rest: AvgPoolRest, single: boolean) {
    super();
    // every argument may come by name: `new AvgPool1d({ kernelSize: 2 })`
    // AvgPool1d has no divisor_override; each class has its own __init__
    const o = ctorArgs<Required<AvgPoolOptions> & { kernelSize: IntOrTuple }>(
      new.target.name,
      [kernelSize, ...rest],
      ["kernelSize", ...(single ? AVG_POOL_ARGS.slice(0, -1) : AVG_POOL_ARGS)],
      { stride: null, padding: 0, ceilMode: false, countIncludePad: true, divisorOverride: null },
    );
    const s = (v: IntOrTuple): IntOrTuple => (single ? toTuple(v, 1) : keep(v));
    Object.assign(this, {
      kernelSize: s(o.kernelSize),
      stride: s(o.stride ?? o.kernelSize),
      padding: s(o.padding),
      ceilMode: o.ceilMode,
      countIncludePad: o.countIncludePad,
    });
    if (!single) this.divisorOverride = o.divisorOverride;
  }

  override extraRepr(): string {
    return `kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, padding=${py(this.padding)}`;
  }
}

/**
 * torch.nn.AvgPool1d: the mean over each window along the last dim.
 *
 * @example
 * new torch.nn.AvgPool1d(2).call(torch.tensor([[1, 3, 2, 4]])) // tensor([[2., 3.]])
 */
export class AvgPool1d extends AvgPoolNd {
  constructor(
    kernelSize: IntOrTuple,
    ...rest: [
      (IntOrTuple | null | AvgPoolOptions)?,
      (IntOrTuple | AvgPoolOptions)?,
      (boolean | AvgPoolOptions)?,
      (boolean | AvgPoolOptions)?,
      AvgPoolOptions?,
    ]
  ) {
    super(kernelSize, rest, true);
  }
  override forward(x: Tensor): Tensor {
    return call(
      F.avgPool1d,
      x,
      this.kernelSize,
      this.stride,
      this.padding,
      this.ceilMode,
      this.countIncludePad,
    );
  }
}

/**
 * torch.nn.AvgPool2d: the mean over each window.
 *
 * @example
 * new torch.nn.AvgPool2d(2).call(torch.ones(1, 1, 4, 4)) // tensor([[[[1., 1.], [1., 1.]]]])

 */
export class AvgPool2d extends AvgPoolNd {
  constructor(kernelSize: IntOrTuple, ...rest: AvgPoolRest) {
    super(kernelSize, rest, false);
  }
  override forward(x: Tensor): Tensor {
    return call(
      F.avgPool2d,
      x,
      this.kernelSize,
      this.stride,
      this.padding,
      this.ceilMode,
      this.countIncludePad,
      this.divisorOverride,
    );
  }
}

/**
 * torch.nn.AvgPool3d: the mean over each window of [N, C, D, H, W] input.
 *
 * @example
 * new torch.nn.AvgPool3d(2).call(torch.ones(1, 1, 4, 4, 4)).shape // [1, 1, 2, 2, 2]
 */
export class AvgPool3d extends AvgPoolNd {
  constructor(kernelSize: IntOrTuple, ...rest: AvgPoolRest) {
    super(kernelSize, rest, false);
  }
  override forward(x: Tensor): Tensor {
    return call(
      F.avgPool3d,
      x,
      this.kernelSize,
      this.stride,
      this.padding,
      this.ceilMode,
      this.countIncludePad,
      this.divisorOverride,
    );
  }
}

/** Options of AvgPool2d (the name before AvgPool1d/3d shared it). */
export type AvgPool2dOptions = AvgPoolOptions;

// ---------------------------------------------------------------------------------------------
// adaptive pooling

/** PyTorch's _AdaptiveAvgPoolNd / _AdaptiveMaxPoolNd: the output size as given. */
abstract class AdaptivePoolNd extends Module {
  /** The target output size; null entries keep the input's (PyTorch's `output_size`). */
  declare outputSize: Size;

  constructor(outputSize: Size | { outputSize?: Size }, ...extra: never[]) {
    super();
    const a = ctorArgs<{ outputSize: Size }>(
      "_AdaptiveAvgPoolNd",
      [outputSize, ...extra],
      ["outputSize"],
      {},
    );
    Object.assign(this, { outputSize: keep(a.outputSize) });
  }

  override extraRepr(): string {
    return `output_size=${py(this.outputSize)}`;
  }
}

/**
 * torch.nn.AdaptiveAvgPool1d: average pooling of the last dim to a fixed size.
 *
 * @example
 * new torch.nn.AdaptiveAvgPool1d(2).call(torch.tensor([[1, 3, 2, 4]])) // tensor([[2., 3.]])
 */
export class AdaptiveAvgPool1d extends AdaptivePoolNd {
  constructor(outputSize: IntOrTuple, ...extra: never[]) {
    super(outputSize, ...extra);
  }
  override forward(x: Tensor): Tensor {
    return call(F.adaptiveAvgPool1d, x, this.outputSize);
  }
}

/**
 * torch.nn.AdaptiveAvgPool2d: average pooling to a fixed output size (null keeps that input
 * dimension).
 *
 * @example
 * new torch.nn.AdaptiveAvgPool2d([5, 7]).call(torch.randn(1, 64, 8, 9)).shape // [1, 64, 5, 7]
 */
export class AdaptiveAvgPool2d extends AdaptivePoolNd {
  constructor(outputSize: Size, ...extra: never[]) {
    super(outputSize, ...extra);
  }
  override forward(x: Tensor): Tensor {
    return call(F.adaptiveAvgPool2d, x, this.outputSize);
  }
}

/**
 * torch.nn.AdaptiveAvgPool3d: average pooling of [N, C, D, H, W] input to a fixed size.
 *
 * @example
 * new torch.nn.AdaptiveAvgPool3d([2, null, 3]).call(torch.randn(1, 4, 5, 6, 7)).shape // [1, 4, 2, 6, 3]
 */
export class AdaptiveAvgPool3d extends AdaptivePoolNd {
  constructor(outputSize: Size, ...extra: never[]) {
    super(outputSize, ...extra);
  }
  override forward(x: Tensor): Tensor {
    return call(F.adaptiveAvgPool3d, x, this.outputSize);
  }
}

/** PyTorch's _AdaptiveMaxPoolNd: the output size and return_indices. */
abstract class AdaptiveMaxPoolNd extends AdaptivePoolNd {
  /** Whether forward also returns the argmax indices (PyTorch's `return_indices`). */
  declare returnIndices: boolean;

  constructor(outputSize: Size, rest: [(boolean | { returnIndices?: boolean })?]) {
    const o = ctorArgs<{ outputSize: Size; returnIndices: boolean }>(
      "_AdaptiveMaxPoolNd",
      [outputSize, ...rest],
      ["outputSize", "returnIndices"],
      { returnIndices: false },
    );
    super(o.outputSize);
    this.returnIndices = o.returnIndices;
  }

  protected pool(f: unknown, x: Tensor): Tensor {
    return call(f, x, this.outputSize, this.returnIndices);
  }
}

/**
 * torch.nn.AdaptiveMaxPool1d: max pooling of the last dim to a fixed size; `[values, indices]`
 * with `returnIndices`.
 *
 * @example
 * new torch.nn.AdaptiveMaxPool1d(2).call(torch.tensor([[1, 3, 2, 4]])) // tensor([[3., 4.]])
 */
export class AdaptiveMaxPool1d extends AdaptiveMaxPoolNd {
  constructor(outputSize: IntOrTuple, ...rest: [(boolean | { returnIndices?: boolean })?]) {
    super(outputSize, rest);
  }
  override forward(x: Tensor): Tensor {
    return this.pool(F.adaptiveMaxPool1d, x);
  }
}

/**
 * torch.nn.AdaptiveMaxPool2d: max pooling to a fixed output size (null keeps that input size).
 *
 * @example
 * new torch.nn.AdaptiveMaxPool2d(2).call(torch.randn(1, 3, 7, 9)).shape // [1, 3, 2, 2]
 */
export class AdaptiveMaxPool2d extends AdaptiveMaxPoolNd {
  constructor(outputSize: Size, ...rest: [(boolean | { returnIndices?: boolean })?]) {
    super(outputSize, rest);
  }
  override forward(x: Tensor): Tensor {
    return this.pool(F.adaptiveMaxPool2d, x);
  }
}

/**
 * torch.nn.AdaptiveMaxPool3d: max pooling of [N, C, D, H, W] input to a fixed size.
 *
 * @example
 * new torch.nn.AdaptiveMaxPool3d([1, 2, 2]).call(torch.randn(1, 3, 4, 5, 6)).shape // [1, 3, 1, 2, 2]
 */
export class AdaptiveMaxPool3d extends AdaptiveMaxPoolNd {
  constructor(outputSize: Size, ...rest: [(boolean | { returnIndices?: boolean })?]) {
    super(outputSize, rest);
  }
  override forward(x: Tensor): Tensor {
    return this.pool(F.adaptiveMaxPool3d, x);
  }
}

// ---------------------------------------------------------------------------------------------
// LP pooling

/** Options of LPPool1d/2d (after norm type and kernel size). */
export interface LPPoolOptions {
  /** The step between windows (default: the kernel size). */
  stride?: IntOrTuple | null;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
}

/** PyTorch's _LPPoolNd: values stored as given (stride None stays None). */
abstract class LPPoolNd extends Module {
  /** The p of the power average (PyTorch's `norm_type`). */
  declare normType: number;
  /** The window size (PyTorch's `kernel_size`). */
  declare kernelSize: IntOrTuple;
  /** The step between windows; null: the kernel size (PyTorch's `stride`). */
  declare stride: IntOrTuple | null;
  /** Whether output sizes round up (PyTorch's `ceil_mode`). */
  declare ceilMode: boolean;

  constructor(
    normType: number,
    kernelSize: IntOrTuple,
    rest: [(IntOrTuple | null | LPPoolOptions)?, (boolean | LPPoolOptions)?, LPPoolOptions?],
  ) {
    super();
    const o = ctorArgs<Required<LPPoolOptions> & { normType: number; kernelSize: IntOrTuple }>(
      "_LPPoolNd",
      [normType, kernelSize, ...rest],
      ["normType", "kernelSize", "stride", "ceilMode"],
      { stride: null, ceilMode: false },
    );
    Object.assign(this, {
      normType: o.normType,
      kernelSize: keep(o.kernelSize),
      stride: keep(o.stride),
      ceilMode: o.ceilMode,
    });
  }

  protected pool(f: unknown, x: Tensor): Tensor {
    return call(f, x, this.normType, this.kernelSize, this.stride, this.ceilMode);
  }

  override extraRepr(): string {
    return `norm_type=${py(this.normType)}, kernel_size=${py(this.kernelSize)}, stride=${py(this.stride)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/**
 * torch.nn.LPPool1d: the p-norm over each window along the last dim.
 *
 * @example
 * new torch.nn.LPPool1d(2, 2).call(torch.tensor([[3, 4]])) // tensor([[5.]])
 */
export class LPPool1d extends LPPoolNd {
  constructor(
    normType: number,
    kernelSize: number,
    ...rest: [(IntOrTuple | null | LPPoolOptions)?, (boolean | LPPoolOptions)?, LPPoolOptions?]
  ) {
    super(normType, kernelSize, rest);
  }
  override forward(x: Tensor): Tensor {
    return this.pool(F.lpPool1d, x);
  }
}

/**
 * torch.nn.LPPool2d: the p-norm over each window.
 *
 * @example
 * new torch.nn.LPPool2d(1, 2).call(torch.ones(1, 2, 2)) // tensor([[[4.]]])
 */
export class LPPool2d extends LPPoolNd {
  constructor(
    normType: number,
    kernelSize: IntOrTuple,
    ...rest: [(IntOrTuple | null | LPPoolOptions)?, (boolean | LPPoolOptions)?, LPPoolOptions?]
  ) {
    super(normType, kernelSize, rest);
  }
  override forward(x: Tensor): Tensor {
    return this.pool(F.lpPool2d, x);
  }
}

// ---------------------------------------------------------------------------------------------
// max unpooling

/** Options of MaxUnpool1d/2d/3d (after the kernel size). */
export interface MaxUnpoolOptions {
  /** The step between windows (default: the kernel size). */
  stride?: IntOrTuple | null;
  /** Implicit padding on both sides (default 0; at most half the kernel). */
  padding?: IntOrTuple;
}

/** PyTorch's _MaxUnpoolNd: kernel, stride and padding stored as n-tuples. */
abstract class MaxUnpoolNd extends Module {
  /** The window size (PyTorch's `kernel_size`). */
  declare kernelSize: number[];
  /** The stride the pooling used (PyTorch's `stride`). */
  declare stride: number[];
  /** The padding the pooling used (PyTorch's `padding`). */
  declare padding: number[];

  constructor(
    n: number,
    kernelSize: IntOrTuple,
    rest: [
      (IntOrTuple | null | MaxUnpoolOptions)?,
      (IntOrTuple | MaxUnpoolOptions)?,
      MaxUnpoolOptions?,
    ],
  ) {
    super();
    const o = ctorArgs<Required<MaxUnpoolOptions> & { kernelSize: IntOrTuple }>(
      `MaxUnpool${n}d`,
      [kernelSize, ...rest],
      ["kernelSize", "stride", "padding"],
      { stride: null, padding: 0 },
    );
    Object.assign(this, {
      kernelSize: toTuple(o.kernelSize, n),
      stride: toTuple(o.stride ?? o.kernelSize, n),
      padding: toTuple(o.padding, n),
    });
  }

  protected unpool(f: unknown, x: Tensor, indices: Tensor, outputSize?: readonly number[] | null) {
    return call(f, x, indices, this.kernelSize, this.stride, this.padding, outputSize ?? null);
  }

  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}

type UnpoolRest = [
  (IntOrTuple | null | MaxUnpoolOptions)?,
  (IntOrTuple | MaxUnpoolOptions)?,
  MaxUnpoolOptions?,
];

/**
 * torch.nn.MaxUnpool1d: the partial inverse of MaxPool1d (`call(values, indices, outputSize?)`).
 *
 * @example
 * const [y, i] = F.maxPool1dWithIndices(torch.tensor([[1, 3, 2, 4]]), 2);
 * new torch.nn.MaxUnpool1d(2).call(y, i) // tensor([[0., 3., 0., 4.]])
 */
export class MaxUnpool1d extends MaxUnpoolNd {
  constructor(kernelSize: IntOrTuple, ...rest: UnpoolRest) {
    super(1, kernelSize, rest);
  }
  override forward(x: Tensor, indices: Tensor, outputSize?: readonly number[] | null): Tensor {
    return this.unpool(F.maxUnpool1d, x, indices, outputSize);
  }
}

/**
 * torch.nn.MaxUnpool2d: the partial inverse of MaxPool2d.
 *
 * @example
 * const [y, i] = F.maxPool2dWithIndices(torch.randn(1, 4, 4), 2);
 * new torch.nn.MaxUnpool2d(2).call(y, i).shape // [1, 4, 4]
 */
export class MaxUnpool2d extends MaxUnpoolNd {
  constructor(kernelSize: IntOrTuple, ...rest: UnpoolRest) {
    super(2, kernelSize, rest);
  }
  override forward(x: Tensor, indices: Tensor, outputSize?: readonly number[] | null): Tensor {
    return this.unpool(F.maxUnpool2d, x, indices, outputSize);
  }
}

/**
 * torch.nn.MaxUnpool3d: the partial inverse of MaxPool3d.
 *
 * @example
 * const [y, i] = F.maxPool3dWithIndices(torch.randn(1, 4, 4, 4), 2);
 * new torch.nn.MaxUnpool3d(2).call(y, i).shape // [1, 4, 4, 4]
 */
export class MaxUnpool3d extends MaxUnpoolNd {
  constructor(kernelSize: IntOrTuple, ...rest: UnpoolRest) {
    super(3, kernelSize, rest);
  }
  override forward(x: Tensor, indices: Tensor, outputSize?: readonly number[] | null): Tensor {
    return this.unpool(F.maxUnpool3d, x, indices, outputSize);
  }
}

// ---------------------------------------------------------------------------------------------
// fractional max pooling

/** Options of FractionalMaxPool2d/3d (after the kernel size). */
export interface FractionalMaxPoolOptions {
  /** The target output size (PyTorch's `output_size`). */
  outputSize?: IntOrTuple | null;
  /** The output size as a fraction of the input size (PyTorch's `output_ratio`). */
  outputRatio?: number | readonly number[] | null;
  /** Also return the argmax indices (for MaxUnpool; default false). */
  returnIndices?: boolean;
  /** fixed samples in [0, 1), [N, C, 2 or 3] (a buffer; drawn per call when absent) */
  _randomSamples?: Tensor | null;
}

/** PyTorch's FractionalMaxPool2d/3d: sizes as n-tuples, `_random_samples` a buffer. */
abstract class FractionalMaxPoolNd extends Module {
  /** The window size (PyTorch's `kernel_size`). */
  declare kernelSize: number[];
  /** The target output size (PyTorch's `output_size`). */
  declare outputSize: number[] | null;
  /** The output size as a fraction of the input size (PyTorch's `output_ratio`). */
  declare outputRatio: number[] | null;
  /** Whether forward also returns the argmax indices (PyTorch's `return_indices`). */
  declare returnIndices: boolean;
  /** the `_random_samples` buffer (PyTorch's name) */
  declare _random_samples: Tensor | null;

  constructor(
    n: number,
    kernelSize: IntOrTuple,
    rest: [
      (IntOrTuple | null | FractionalMaxPoolOptions)?,
      (number | readonly number[] | null | FractionalMaxPoolOptions)?,
      (boolean | FractionalMaxPoolOptions)?,
      (Tensor | null | FractionalMaxPoolOptions)?,
      FractionalMaxPoolOptions?,
    ],
  ) {
    super();
    const name = `FractionalMaxPool${n}d`;
    const o = ctorArgs<Required<FractionalMaxPoolOptions> & { kernelSize: IntOrTuple }>(
      name,
      [kernelSize, ...rest],
      ["kernelSize", "outputSize", "outputRatio", "returnIndices", "_randomSamples"],
      { outputSize: null, outputRatio: null, returnIndices: false, _randomSamples: null },
    );
    Object.assign(this, {
      kernelSize: toTuple(o.kernelSize, n),
      returnIndices: o.returnIndices,
    });
    this.registerBuffer("_random_samples", o._randomSamples);
    const outputSize = o.outputSize;
    const outputRatio = o.outputRatio;
    Object.assign(this, {
      outputSize: outputSize === null ? null : toTuple(outputSize, n),
      outputRatio: outputRatio === null ? null : toTuple(outputRatio, n),
    });
    if (outputSize === null && outputRatio === null)
      throw valueError(`${name} requires specifying either an output size, or a pooling ratio`);
    if (outputSize !== null && outputRatio !== null)
      throw valueError("only one of output_size and output_ratio may be specified");
    if (this.outputRatio !== null && !this.outputRatio.every((r) => 0 < r && r < 1))
      throw valueError(`output_ratio must be between 0 and 1 (got ${py(outputRatio as Size)})`);
  }

  protected pool(f: unknown, x: Tensor): Tensor {
    return call(f, x, this.kernelSize, this.outputSize, this.outputRatio, this.returnIndices, {
      _randomSamples: this._random_samples,
    });
  }
}

type FractionalRest = [
  (IntOrTuple | null | FractionalMaxPoolOptions)?,
  (number | readonly number[] | null | FractionalMaxPoolOptions)?,
  (boolean | FractionalMaxPoolOptions)?,
  (Tensor | null | FractionalMaxPoolOptions)?,
  FractionalMaxPoolOptions?,
];

/**
 * torch.nn.FractionalMaxPool2d: max pooling over pseudo-randomly placed windows (Graham,
 * 2014), one uniform sample per plane and dim drawn as PyTorch draws them.
 *
 * @example
 * new torch.nn.FractionalMaxPool2d(3, { outputRatio: 0.5 }).call(torch.randn(1, 2, 10, 10)).shape // [1, 2, 5, 5]
 */
export class FractionalMaxPool2d extends FractionalMaxPoolNd {
  constructor(kernelSize: IntOrTuple, ...rest: FractionalRest) {
    super(2, kernelSize, rest);
  }
  override forward(x: Tensor): Tensor {
    return this.pool(F.fractionalMaxPool2d, x);
  }
}

/**
 * torch.nn.FractionalMaxPool3d: fractional max pooling of [N, C, D, H, W] input.
 *
 * @example
 * new torch.nn.FractionalMaxPool3d(2, { outputSize: 3 }).call(torch.randn(1, 2, 6, 6, 6)).shape // [1, 2, 3, 3, 3]
 */
export class FractionalMaxPool3d extends FractionalMaxPoolNd {
  constructor(kernelSize: IntOrTuple, ...rest: FractionalRest) {
    super(3, kernelSize, rest);
  }
  override forward(x: Tensor): Tensor {
    return this.pool(F.fractionalMaxPool3d, x);
  }
}
