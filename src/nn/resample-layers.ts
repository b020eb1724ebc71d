/**
 * Padding, upsampling and vision layers: ConstantPad1d/2d/3d, ZeroPad2d, ReflectionPad1d/2d/3d,
 * ReplicationPad1d/2d/3d, Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, PixelShuffle,
 * PixelUnshuffle, ChannelShuffle, Fold, Unfold: PyTorch 1.13's modules (torch/nn/modules/
 * padding.py, upsampling.py, pixelshuffle.py, channelshuffle.py, fold.py), each a call of its
 * nn.functional function with PyTorch's stored arguments and extra_repr.
 */
import type { Tensor } from "../tensor.js";
import { Module } from "./module.js";
import * as F from "./functional.js";
import { pyFloat, pyTuple } from "./layer-utils.js";
import { ctorArgs, optional } from "./ctor-args.js";

type IntOrTuple = number | readonly number[];

/**
 * `args` bound as `cls.__init__` binds them (ctor-args.ts): the first `required` of `names` must
 * be given, the others stay undefined when not given (defaults applied by the caller).
 */
function bind(
  cls: string,
  args: readonly unknown[],
  names: readonly string[],
  required: number,
): Record<string, unknown> {
  return ctorArgs(cls, args, names, optional(names.slice(required)));
}

/** Python's repr of an int or a tuple of ints as given. */
const intRepr = (v: IntOrTuple): string => (typeof v === "number" ? String(v) : pyTuple(v));

/** PyTorch's _ntuple(n): an int repeated n times, a sequence kept as given. */
const ntuple = (v: IntOrTuple, n: number): number[] =>
  typeof v === "number" ? new Array<number>(n).fill(v) : v.slice();

/** The options of ConstantPad{1,2,3}d. */
export interface ConstantPadOptions {
  /** The padding: one size for every side, or (left, right, top, bottom, ...). */
  padding?: IntOrTuple;
  /** The fill value (default 0). */
  value?: number;
}

/** PyTorch's _ConstantPadNd: F.pad(input, padding, "constant", value). */
export abstract class ConstantPadNd extends Module {
  /** The padding per side, PyTorch's order: (left, right, top, bottom, front, back). */
  declare padding: number[];
  /** The fill value (PyTorch's `value`). */
  declare value: number;
  protected constructor(n: number, args: readonly unknown[]) {
    super();
    const a = bind(new.target.name, args, ["padding", "value"], 2);
    this.padding = ntuple(a.padding as IntOrTuple, 2 * n);
    this.value = a.value as number;
  }
  override forward(input: Tensor): Tensor {
    return F.pad(input, this.padding, "constant", this.value);
  }
  override extraRepr(): string {
    return `padding=${pyTuple(this.padding)}, value=${this.valueRepr()}`;
  }
  // PyTorch's value is a float (the constructors' users pass floats)
  protected valueRepr(): string {
    return pyFloat(this.value);
  }
}

/**
 * torch.nn.ConstantPad1d(padding, value): pads the last dim with `value`.
 * @example new torch.nn.ConstantPad1d(2, 3.5).call(torch.zeros(1, 2)) // tensor([[3.5000, 3.5000, 0.0000, 0.0000, 3.5000, 3.5000]])
 */
export class ConstantPad1d extends ConstantPadNd {
  constructor(
    padding: IntOrTuple | ConstantPadOptions,
    value?: number | ConstantPadOptions,
    ...extra: never[]
  ) {
    super(1, [padding, value, ...extra]);
  }
}
/** torch.nn.ConstantPad2d(padding, value): pads the last two dims with `value`. */
export class ConstantPad2d extends ConstantPadNd {
  constructor(
    padding: IntOrTuple | ConstantPadOptions,
    value?: number | ConstantPadOptions,
    ...extra: never[]
  ) {
    super(2, [padding, value, ...extra]);
  }
}
/** torch.nn.ConstantPad3d(padding, value): pads the last three dims with `value`. */
export class ConstantPad3d extends ConstantPadNd {
  constructor(
    padding: IntOrTuple | ConstantPadOptions,
    value?: number | ConstantPadOptions,
    ...extra: never[]
  ) {
    super(3, [padding, value, ...extra]);
  }
}

/**
 * torch.nn.ZeroPad2d(padding): ConstantPad2d with value 0.
 * @example String(new torch.nn.ZeroPad2d(1)) // ZeroPad2d((1, 1, 1, 1))
 */
export class ZeroPad2d extends ConstantPadNd {
  constructor(padding: IntOrTuple | { padding?: IntOrTuple }, ...extra: never[]) {
    super(2, [bind("ZeroPad2d", [padding, ...extra], ["padding"], 1).padding, 0]);
  }
  // 1.13's ZeroPad2d prints the padding only
  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}

/** PyTorch's _ReflectionPadNd / _ReplicationPadNd: F.pad(input, padding, mode). */
abstract class ModePadNd extends Module {
  /** The padding per side, PyTorch's order: (left, right, top, bottom, front, back). */
  declare padding: number[];
  protected abstract readonly mode: "reflect" | "replicate";
  protected constructor(n: number, args: readonly unknown[]) {
    super();
    this.padding = ntuple(bind(new.target.name, args, ["padding"], 1).padding as IntOrTuple, 2 * n);
  }
  override forward(input: Tensor): Tensor {
    return F.pad(input, this.padding, this.mode);
  }
  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}

type PadArg = IntOrTuple | { padding?: IntOrTuple };

/**
 * torch.nn.ReflectionPad1d(padding): pads the last dim with its mirror image.
 * @example new torch.nn.ReflectionPad1d(2).call(torch.arange(4, { dtype: torch.float32 }).view(1, 1, 4)) // tensor([[[2., 1., 0., 1., 2., 3., 2., 1.]]])
 */
export class ReflectionPad1d extends ModePadNd {
  protected readonly mode = "reflect";
  constructor(padding: PadArg, ...extra: never[]) {
    super(1, [padding, ...extra]);
  }
}
/** torch.nn.ReflectionPad2d(padding): pads the last two dims with their mirror image. */
export class ReflectionPad2d extends ModePadNd {
  protected readonly mode = "reflect";
  constructor(padding: PadArg, ...extra: never[]) {
    super(2, [padding, ...extra]);
  }
}
/** torch.nn.ReflectionPad3d(padding): pads the last three dims with their mirror image. */
export class ReflectionPad3d extends ModePadNd {
  protected readonly mode = "reflect";
  constructor(padding: PadArg, ...extra: never[]) {
    super(3, [padding, ...extra]);
  }
}
/**
 * torch.nn.ReplicationPad1d(padding): pads the last dim by repeating its edge elements.
 * @example new torch.nn.ReplicationPad1d([1, 2]).call(torch.tensor([[[1., 2.]]])) // tensor([[[1., 1., 2., 2., 2.]]])

 */
export class ReplicationPad1d extends ModePadNd {
  protected readonly mode = "replicate";
  constructor(padding: PadArg, ...extra: never[]) {
    super(1, [padding, ...extra]);
  }
}
/** torch.nn.ReplicationPad2d(padding): pads the last two dims by repeating the edges. */
export class ReplicationPad2d extends ModePadNd {
  protected readonly mode = "replicate";
  constructor(padding: PadArg, ...extra: never[]) {
    super(2, [padding, ...extra]);
  }
}
/** torch.nn.ReplicationPad3d(padding): pads the last three dims by repeating the edges. */
export class ReplicationPad3d extends ModePadNd {
  protected readonly mode = "replicate";
  constructor(padding: PadArg, ...extra: never[]) {
    super(3, [padding, ...extra]);
  }
}

/** The options of nn.Upsample. */
export interface UpsampleOptions {
  /** The output's spatial size (or scaleFactor instead). */
  size?: IntOrTuple | null;
  /** The multiplier of the spatial size (or size instead). */
  scaleFactor?: number | readonly number[] | null;
  /** "nearest" (default), "nearest-exact", "linear", "bilinear", "bicubic", "trilinear" or "area". */
  mode?: string;
  /** Align the corner pixels' centres of input and output (linear modes). */
  alignCorners?: boolean | null;
  /** Recompute the scale from the output size (PyTorch's `recompute_scale_factor`). */
  recomputeScaleFactor?: boolean | null;
}

/** Python's repr of a float or a tuple of floats. */
const floatRepr = (v: number | readonly number[]): string =>
  typeof v === "number"
    ? pyFloat(v)
    : v.length === 1
      ? `(${pyFloat(v[0])},)`
      : `(${v.map(pyFloat).join(", ")})`;

/**
 * torch.nn.Upsample(size, scaleFactor, mode="nearest", alignCorners, recomputeScaleFactor):
 * F.interpolate with the stored arguments.
 * @example new torch.nn.Upsample({ scaleFactor: 2, mode: "bilinear" }).call(torch.ones(1, 1, 2, 2)).shape // [1, 1, 4, 4]
 */
export class Upsample extends Module {
  /** The output's spatial size (PyTorch's `size`). */
  declare size: IntOrTuple | null;
  /** The multiplier of the spatial size (PyTorch's `scale_factor`). */
  declare scaleFactor: number | number[] | null;
  /** The interpolation mode (PyTorch's `mode`). */
  declare mode: string;
  /** Whether corners are aligned (PyTorch's `align_corners`). */
  declare alignCorners: boolean | null;
  /** Whether the scale is recomputed (PyTorch's `recompute_scale_factor`). */
  declare recomputeScaleFactor: boolean | null;
  constructor(
    size?: IntOrTuple | null | UpsampleOptions,
    scaleFactor?: number | readonly number[] | null | UpsampleOptions,
    mode?: string | UpsampleOptions,
    alignCorners?: boolean | null | UpsampleOptions,
    recomputeScaleFactor?: boolean | null | UpsampleOptions,
    ...extra: never[]
  ) {
    super();
    const a = bind(
      "Upsample",
      [size, scaleFactor, mode, alignCorners, recomputeScaleFactor, ...extra],
      ["size", "scaleFactor", "mode", "alignCorners", "recomputeScaleFactor"],
      0,
    );
    this.size = (a.size as IntOrTuple | null | undefined) ?? null;
    const sf = a.scaleFactor as number | number[] | null | undefined;
    // PyTorch: tuple(float(f) for f in scale_factor) if a tuple, else float(scale_factor) if given
    this.scaleFactor = Array.isArray(sf) ? sf.slice() : sf ? sf : null;
    this.mode = (a.mode as string | undefined) ?? "nearest";
    this.alignCorners = (a.alignCorners as boolean | null | undefined) ?? null;
    this.recomputeScaleFactor = (a.recomputeScaleFactor as boolean | null | undefined) ?? null;
  }
  override forward(input: Tensor): Tensor {
    return F.interpolate(input, this.size, this.scaleFactor, this.mode, this.alignCorners, {
      recomputeScaleFactor: this.recomputeScaleFactor,
    });
  }
  override extraRepr(): string {
    const info =
      this.scaleFactor !== null
        ? `scale_factor=${floatRepr(this.scaleFactor)}`
        : `size=${this.size === null ? "None" : intRepr(this.size)}`;
    return `${info}, mode=${this.mode}`;
  }
}

/**
 * torch.nn.UpsamplingNearest2d(size, scaleFactor): Upsample with mode "nearest".
 * @example new torch.nn.UpsamplingNearest2d({ scaleFactor: 2 }).call(torch.ones(1, 1, 2, 2)).shape // [1, 1, 4, 4]
 */
export class UpsamplingNearest2d extends Upsample {
  constructor(
    size?: IntOrTuple | null | UpsampleOptions,
    scaleFactor?: number | readonly number[] | null | UpsampleOptions,
    ...extra: never[]
  ) {
    const a = bind(
      "UpsamplingNearest2d",
      [size, scaleFactor, ...extra],
      ["size", "scaleFactor"],
      0,
    );
    super(
      (a.size as IntOrTuple | undefined) ?? null,
      (a.scaleFactor as number | undefined) ?? null,
      "nearest",
    );
  }
}

/**
 * torch.nn.UpsamplingBilinear2d(size, scaleFactor): Upsample with mode "bilinear" and aligned
 * corners.
 */
export class UpsamplingBilinear2d extends Upsample {
  constructor(
    size?: IntOrTuple | null | UpsampleOptions,
    scaleFactor?: number | readonly number[] | null | UpsampleOptions,
    ...extra: never[]
  ) {
    const a = bind(
      "UpsamplingBilinear2d",
      [size, scaleFactor, ...extra],
      ["size", "scaleFactor"],
      0,
    );
    super(
      (a.size as IntOrTuple | undefined) ?? null,
      (a.scaleFactor as number | undefined) ?? null,
      "bilinear",
      true,
    );
  }
}

/**
 * torch.nn.PixelShuffle(upscaleFactor): [*, C*r², H, W] -> [*, C, H*r, W*r].
 * @example new torch.nn.PixelShuffle(2).call(torch.zeros(1, 8, 3, 3)).shape // [1, 2, 6, 6]
 */
export class PixelShuffle extends Module {
  /** The factor by which the spatial size grows (PyTorch's `upscale_factor`). */
  declare upscaleFactor: number;
  constructor(upscaleFactor: number | { upscaleFactor: number }, ...extra: never[]) {
    super();
    this.upscaleFactor = bind("PixelShuffle", [upscaleFactor, ...extra], ["upscaleFactor"], 1)
      .upscaleFactor as number;
  }
  override forward(input: Tensor): Tensor {
    return F.pixelShuffle(input, this.upscaleFactor);
  }
  override extraRepr(): string {
    return `upscale_factor=${this.upscaleFactor}`;
  }
}

/** torch.nn.PixelUnshuffle(downscaleFactor): the inverse of PixelShuffle. */
export class PixelUnshuffle extends Module {
  /** The factor by which the spatial size shrinks (PyTorch's `downscale_factor`). */
  declare downscaleFactor: number;
  constructor(downscaleFactor: number | { downscaleFactor: number }, ...extra: never[]) {
    super();
    this.downscaleFactor = bind(
      "PixelUnshuffle",
      [downscaleFactor, ...extra],
      ["downscaleFactor"],
      1,
    ).downscaleFactor as number;
  }
  override forward(input: Tensor): Tensor {
    return F.pixelUnshuffle(input, this.downscaleFactor);
  }
  override extraRepr(): string {
    return `downscale_factor=${this.downscaleFactor}`;
  }
}

/** torch.nn.ChannelShuffle(groups): F.channel_shuffle(input, groups). */
export class ChannelShuffle extends Module {
  /** The number of groups channels are divided into (PyTorch's `groups`). */
  declare groups: number;
  constructor(groups: number | { groups: number }, ...extra: never[]) {
    super();
    this.groups = bind("ChannelShuffle", [groups, ...extra], ["groups"], 1).groups as number;
  }
  override forward(input: Tensor): Tensor {
    return F.channelShuffle(input, this.groups);
  }
  override extraRepr(): string {
    return `groups=${this.groups}`;
  }
}

/** The options of nn.Fold / nn.Unfold. */
export interface FoldOptions {
  /** The spacing between kernel elements (PyTorch's `dilation`). */
  dilation?: IntOrTuple;
  /** The padding: one size for every side, or (left, right, top, bottom, ...). */
  padding?: IntOrTuple;
  /** The step of the sliding blocks (PyTorch's `stride`). */
  stride?: IntOrTuple;
}

/**
 * torch.nn.Fold(outputSize, kernelSize, dilation=1, padding=0, stride=1): col2im.
 * @example new torch.nn.Fold([3, 3], 2).call(torch.ones(1, 4, 4)).shape // [1, 1, 3, 3]
 */
export class Fold extends Module {
  /** The spatial shape of the output (PyTorch's `output_size`). */
  declare outputSize: IntOrTuple;
  /** The size of the sliding blocks (PyTorch's `kernel_size`). */
  declare kernelSize: IntOrTuple;
  /** The spacing between kernel elements (PyTorch's `dilation`). */
  declare dilation: IntOrTuple;
  /** Implicit zero padding on both sides (PyTorch's `padding`). */
  declare padding: IntOrTuple;
  /** The step of the sliding blocks (PyTorch's `stride`). */
  declare stride: IntOrTuple;
  constructor(
    outputSize: IntOrTuple,
    kernelSize: IntOrTuple,
    dilation?: IntOrTuple | FoldOptions,
    padding?: IntOrTuple | FoldOptions,
    stride?: IntOrTuple | FoldOptions,
    ...extra: never[]
  ) {
    super();
    const a = bind(
      "Fold",
      [outputSize, kernelSize, dilation, padding, stride, ...extra],
      ["outputSize", "kernelSize", "dilation", "padding", "stride"],
      2,
    );
    this.outputSize = a.outputSize as IntOrTuple;
    this.kernelSize = a.kernelSize as IntOrTuple;
    this.dilation = (a.dilation as IntOrTuple | undefined) ?? 1;
    this.padding = (a.padding as IntOrTuple | undefined) ?? 0;
    this.stride = (a.stride as IntOrTuple | undefined) ?? 1;
  }
  override forward(input: Tensor): Tensor {
    return F.fold(
      input,
      ntuple(this.outputSize, 2),
      ntuple(this.kernelSize, 2),
      ntuple(this.dilation, 2),
      ntuple(this.padding, 2),
      ntuple(this.stride, 2),
    );
  }
  override extraRepr(): string {
    return `output_size=${intRepr(this.outputSize)}, kernel_size=${intRepr(this.kernelSize)}, dilation=${intRepr(this.dilation)}, padding=${intRepr(this.padding)}, stride=${intRepr(this.stride)}`;
  }
}

/**
 * torch.nn.Unfold(kernelSize, dilation=1, padding=0, stride=1): im2col.
 * @example new torch.nn.Unfold(2).call(torch.ones(1, 1, 3, 3)).shape // [1, 4, 4]
 */
export class Unfold extends Module {
  /** The size of the sliding blocks (PyTorch's `kernel_size`). */
  declare kernelSize: IntOrTuple;
  /** The spacing between kernel elements (PyTorch's `dilation`). */
  declare dilation: IntOrTuple;
  /** Implicit zero padding on both sides (PyTorch's `padding`). */
  declare padding: IntOrTuple;
  /** The step of the sliding blocks (PyTorch's `stride`). */
  declare stride: IntOrTuple;
  constructor(
    kernelSize: IntOrTuple,
    dilation?: IntOrTuple | FoldOptions,
    padding?: IntOrTuple | FoldOptions,
    stride?: IntOrTuple | FoldOptions,
    ...extra: never[]
  ) {
    super();
    const a = bind(
      "Unfold",
      [kernelSize, dilation, padding, stride, ...extra],
      ["kernelSize", "dilation", "padding", "stride"],
      1,
    );
    this.kernelSize = a.kernelSize as IntOrTuple;
    this.dilation = (a.dilation as IntOrTuple | undefined) ?? 1;
    this.padding = (a.padding as IntOrTuple | undefined) ?? 0;
    this.stride = (a.stride as IntOrTuple | undefined) ?? 1;
  }
  override forward(input: Tensor): Tensor {
    return F.unfold(
      input,
      ntuple(this.kernelSize, 2),
      ntuple(this.dilation, 2),
      ntuple(this.padding, 2),
      ntuple(this.stride, 2),
    );
  }
  override extraRepr(): string {
    return `kernel_size=${intRepr(this.kernelSize)}, dilation=${intRepr(this.dilation)}, padding=${intRepr(this.padding)}, stride=${intRepr(this.stride)}`;
  }
}
