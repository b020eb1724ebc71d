/**
 * Convolution layers: Conv1d/2d/3d, ConvTranspose1d/2d/3d (PyTorch's _ConvNd),
 * with PyTorch's parameters, default initialisation, state-dict names and repr.
 */
import type { Tensor } from "../tensor.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { empty } from "../ops/creation.js";
import { runtimeError, valueError } from "../errors.js";
import { convolution } from "../ops/conv.js";
import { autocastArgs } from "../registry/autocast.js";
import { conv1d, conv2d, conv3d, pad, type ConvPadding, type IntOrTuple } from "./functional.js";
import { biasInit, kaimingUniformDefault, pyTuple, toTuple } from "./layer-utils.js";
import type { DType } from "../dtype.js";
import { ctorArgs } from "./ctor-args.js";

/** Options of the convolution layers. */
export interface ConvLayerOptions {
  /** The step between windows, per spatial dim or one for all (default 1). */
  stride?: IntOrTuple;
  /** Zeros (or `paddingMode` values) added on each side, per dim, or `"valid"` / `"same"` (default 0). */
  padding?: ConvPadding;
  /** The spacing between kernel elements (default 1). */
  dilation?: IntOrTuple;
  /** Blocked connections: in and out channels split into this many groups (default 1). */
  groups?: number;
  /** Whether the layer has a learnable bias (default true). */
  bias?: boolean;
  /** "zeros" (default), or F.pad's "reflect", "replicate", "circular" before an unpadded convolution */
  paddingMode?: "zeros" | "reflect" | "replicate" | "circular";
  /** The parameters' dtype (default: the default dtype). */
  dtype?: DType;
}

/** Options of the transposed convolution layers. */
export interface ConvTransposeLayerOptions {
  /** The step between windows, per spatial dim or one for all (default 1). */
  stride?: IntOrTuple;
  /** `dilation * (kernelSize - 1) - padding` zeros are added to each side of the input (default 0). */
  padding?: IntOrTuple;
  /** Added to one side of each output dim, to choose among the output sizes a stride allows (default 0). */
  outputPadding?: IntOrTuple;
  /** Blocked connections: in and out channels split into this many groups (default 1). */
  groups?: number;
  /** Whether the layer has a learnable bias (default true). */
  bias?: boolean;
  /** The spacing between kernel elements (default 1). */
  dilation?: IntOrTuple;
  /** Only `"zeros"` for transposed convolutions, as in PyTorch. */
  paddingMode?: "zeros";
  /** The parameters' dtype (default: the default dtype). */
  dtype?: DType;
}

/** A convolution's constructor arguments, bound (see `convArgs`). */
export interface ConvArgs extends ConvLayerOptions {
  /** Channels of the input. */
  inChannels: number;
  /** Channels the convolution produces. */
  outChannels: number;
  /** The size of the convolving kernel, per spatial dim or one for all. */
  kernelSize: IntOrTuple;
  /** Added to one side of each output dim, to choose among the output sizes a stride allows (default 0). */
  outputPadding?: IntOrTuple;
  /** Only "cpu" (PyTorch's `device`). */
  device?: string | null;
}

/** The arguments after the kernel size, in PyTorch's order. */
const CONV_ARGS = [
  "stride",
  "padding",
  "dilation",
  "groups",
  "bias",
  "paddingMode",
  "device",
  "dtype",
];
const CONV_T_ARGS = [
  "stride",
  "padding",
  "outputPadding",
  "groups",
  "bias",
  "dilation",
  "paddingMode",
  "device",
  "dtype",
];
const CONV_DEFAULTS = {
  stride: 1,
  padding: 0,
  outputPadding: 0,
  dilation: 1,
  groups: 1,
  bias: true,
  paddingMode: "zeros",
  device: null,
  dtype: undefined,
} as const;

/**
 * The arguments of `cls` (Conv2d, ConvTranspose1d, LazyConv3d, ...) bound as its `__init__`
 * binds them: (in_channels, out_channels, kernel_size, stride, ...) positionally or by name; a
 * lazy convolution has no in_channels.
 */
export function convArgs(
  cls: string,
  transposed: boolean,
  args: readonly unknown[],
  lazy = false,
): ConvArgs {
  const names = [
    ...(lazy ? [] : ["inChannels"]),
    "outChannels",
    "kernelSize",
    ...(transposed ? CONV_T_ARGS : CONV_ARGS),
  ];
  const a = ctorArgs<Record<string, unknown>>(cls, args, names, CONV_DEFAULTS);
  if (a.dtype === null) a.dtype = undefined;
  return (lazy ? { ...a, inChannels: 0 } : a) as unknown as ConvArgs;
}

/** The arguments of a convolution's constructor: every one positional or in an options object. */
export type ConvCtorArgs = (
  | IntOrTuple
  | ConvLayerOptions
  | ConvTransposeLayerOptions
  | boolean
  | string
  | DType
  | null
  | undefined
)[];

/** PyTorch's _ConvNd: the parameters, their initialisation and the repr. */
export abstract class ConvNd extends Module {
  /** The names of forward's arguments, for error messages. */
  static override forwardArgs: readonly string[] = ["input"];
  /** Channels of the input (PyTorch's `in_channels`). */
  declare inChannels: number;
  /** Channels of the output (PyTorch's `out_channels`). */
  declare outChannels: number;
  /** The kernel's size per spatial dim (PyTorch's `kernel_size`). */
  declare kernelSize: number[];
  /** The step between windows per spatial dim (PyTorch's `stride`). */
  declare stride: number[];
  /** The padding per spatial dim, or `"valid"` / `"same"` (PyTorch's `padding`). */
  declare padding: number[] | "valid" | "same";
  /** The spacing between kernel elements per spatial dim (PyTorch's `dilation`). */
  declare dilation: number[];
  /** Whether this is a transposed convolution (PyTorch's `transposed`). */
  declare transposed: boolean;
  /** Extra size on one side of each output dim, transposed only (PyTorch's `output_padding`). */
  declare outputPadding: number[];
  /** The number of blocked connection groups (PyTorch's `groups`). */
  declare groups: number;
  /** `"zeros"`, `"reflect"`, `"replicate"` or `"circular"` (PyTorch's `padding_mode`). */
  declare paddingMode: string;
  declare _reversedPaddingRepeatedTwice: number[];
  /** The kernel: [out, in / groups, ...kernelSize] ([in, out / groups, ...] transposed). */
  declare weight: Parameter;
  /** The learnable bias [out], or null with `bias: false`. */
  declare bias: Parameter | null;

  constructor(n: number, transposed: boolean, o: ConvArgs) {
    super();
    const { inChannels, outChannels, kernelSize } = o;
    const groups = o.groups ?? 1;
    if (groups <= 0) throw valueError("groups must be a positive integer");
    if (inChannels % groups !== 0) throw valueError("in_channels must be divisible by groups");
    if (outChannels % groups !== 0) throw valueError("out_channels must be divisible by groups");
    const pad = o.padding ?? 0;
    const stride = toTuple(o.stride ?? 1, n);
    if (typeof pad === "string") {
      if (pad !== "valid" && pad !== "same") {
        throw valueError(`Invalid padding string '${pad}', should be one of ["valid", "same"]`);
      }
      if (pad === "same" && stride.some((s) => s !== 1)) {
        throw valueError("padding='same' is not supported for strided convolutions");
      }
    }
    const mode = o.paddingMode ?? "zeros";
    if (!["zeros", "reflect", "replicate", "circular"].includes(mode)) {
      throw valueError(
        `padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='${mode}'`,
      );
    }
    if (transposed && mode !== "zeros") {
      throw valueError(`Only "zeros" padding mode is supported for ConvTranspose${n}d`);
    }
    const k = toTuple(kernelSize, n);
    // plain fields: not parameters, so not registered
    Object.assign(this, {
      inChannels,
      outChannels,
      kernelSize: k,
      stride,
      padding: typeof pad === "string" ? pad : toTuple(pad, n),
      dilation: toTuple(o.dilation ?? 1, n),
      transposed,
      outputPadding: toTuple(o.outputPadding ?? 0, n),
      groups,
      paddingMode: mode,
    });
    // PyTorch's _reversed_padding_repeated_twice: F.pad's amounts (last dim first) of the
    // padding, for the non-"zeros" modes; "same" splits d*(k-1) with the extra on the right
    const dil = this.dilation;
    this._reversedPaddingRepeatedTwice = new Array<number>(2 * n).fill(0);
    for (let d = 0; d < n; d++) {
      const i = n - 1 - d;
      let left = 0;
      let right = 0;
      if (pad === "same") {
        const total = dil[d] * (k[d] - 1);
        left = Math.floor(total / 2);
        right = total - left;
      } else if (typeof pad !== "string") {
        left = right = (this.padding as number[])[d];
      }
      this._reversedPaddingRepeatedTwice[2 * i] = left;
      this._reversedPaddingRepeatedTwice[2 * i + 1] = right;
    }
    const shape = transposed
      ? [inChannels, outChannels / groups, ...k]
      : [outChannels, inChannels / groups, ...k];
    const dtype = o.dtype ? { dtype: o.dtype } : {};
    this.weight = new Parameter(empty(shape, dtype));
    if (o.bias ?? true) this.bias = new Parameter(empty([outChannels], dtype));
    else this.registerParameter("bias", null);
    this.resetParameters();
  }

  /** PyTorch's reset_parameters: kaiming_uniform_(a=sqrt(5)) weights, U(±1/sqrt(fan_in)) bias. */
  resetParameters(): void {
    kaimingUniformDefault(this.weight);
    if (this.bias !== null) biasInit(this.bias, this.weight.shape);
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    const p = this.padding;
    if (typeof p === "string") s += `, padding=${p}`;
    else if (p.some((v) => v !== 0)) s += `, padding=${pyTuple(p)}`;
    if (this.dilation.some((v) => v !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.outputPadding.some((v) => v !== 0))
      s += `, output_padding=${pyTuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    if (this.paddingMode !== "zeros") s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

/**
 * torch.nn.Conv1d: x [N, C_in, L] -> [N, C_out, L_out].
 *
 * @example
 * torch.manualSeed(0);
 * const conv = new torch.nn.Conv1d(2, 4, 3, { padding: 1 });
 * conv.call(torch.randn(1, 2, 10)).shape; // [1, 4, 10]
 */
export class Conv1d extends ConvNd {
  constructor(
    inChannels: number | ConvArgs,
    outChannels?: number | ConvLayerOptions,
    kernelSize?: IntOrTuple | ConvLayerOptions,
    ...rest: ConvCtorArgs
  ) {
    super(1, false, convArgs("Conv1d", false, [inChannels, outChannels, kernelSize, ...rest]));
  }
  override forward(x: Tensor): Tensor {
    const p = this.padding;
    if (this.paddingMode !== "zeros") {
      const padded = pad(x, this._reversedPaddingRepeatedTwice, this.paddingMode);
      return conv1d(padded, this.weight, this.bias, this.stride, 0, this.dilation, this.groups);
    }
    return typeof p === "string"
      ? conv1d(x, this.weight, this.bias, this.stride, p, this.dilation, this.groups)
      : conv1d(x, this.weight, this.bias, this.stride, p, this.dilation, this.groups);
  }
}

/**
 * torch.nn.Conv2d: x [N, C_in, H, W] -> [N, C_out, H_out, W_out]; PyTorch's default
 * initialisation, so `torch.manualSeed(0); new nn.Conv2d(1, 16, 3)` has PyTorch's weights.
 *
 * @example
 * torch.manualSeed(0);
 * const conv = new torch.nn.Conv2d(1, 16, 3, { stride: 1, padding: 1 });
 * String(conv); // Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
 * conv.call(torch.randn(8, 1, 28, 28)).shape; // [8, 16, 28, 28]
 */
export class Conv2d extends ConvNd {
  constructor(
    inChannels: number | ConvArgs,
    outChannels?: number | ConvLayerOptions,
    kernelSize?: IntOrTuple | ConvLayerOptions,
    ...rest: ConvCtorArgs
  ) {
    super(2, false, convArgs("Conv2d", false, [inChannels, outChannels, kernelSize, ...rest]));
  }
  override forward(x: Tensor): Tensor {
    const p = this.padding;
    if (this.paddingMode !== "zeros") {
      const padded = pad(x, this._reversedPaddingRepeatedTwice, this.paddingMode);
      return conv2d(padded, this.weight, this.bias, this.stride, 0, this.dilation, this.groups);
    }
    return typeof p === "string"
      ? conv2d(x, this.weight, this.bias, this.stride, p, this.dilation, this.groups)
      : conv2d(x, this.weight, this.bias, this.stride, p, this.dilation, this.groups);
  }
}

/**
 * PyTorch's _ConvTransposeNd._output_padding: the output padding that gives `outputSize`
 * (the full output shape or its spatial part).
 */
function outputPaddingFor(
  m: ConvNd,
  x: Tensor,
  outputSize: readonly number[] | undefined,
  n: number,
): number[] {
  if (outputSize === undefined) return m.outputPadding;
  const size = outputSize.length === n + 2 ? outputSize.slice(2) : outputSize.slice();
  if (size.length !== n) {
    throw new Error(
      `ConvTranspose${n}D: for ${x.dim()}D input, output_size must have ${n} or ${n + 2} elements (got ${outputSize.length})`,
    );
  }
  const pad = m.padding as number[];
  const spatial = x.shape.slice(x.dim() - n);
  return size.map((s, d) => {
    const min =
      (spatial[d] - 1) * m.stride[d] - 2 * pad[d] + m.dilation[d] * (m.kernelSize[d] - 1) + 1;
    const max = min + m.stride[d] - 1;
    if (s < min || s > max) {
      throw new Error(
        `requested an output size of [${size.join(", ")}], but valid sizes range from [${min}] to [${max}] (for an input of [${spatial.join(", ")}])`,
      );
    }
    return s - min;
  });
}

abstract class ConvTransposeNd extends ConvNd {
  static override forwardArgs: readonly string[] = ["input", "outputSize?"];
  protected run(n: number, x: Tensor, outputSize?: readonly number[]): Tensor {
    if (x.dim() !== n + 1 && x.dim() !== n + 2) {
      throw runtimeError(
        `Expected ${n + 1}D (unbatched) or ${n + 2}D (batched) input to conv_transpose${n}d, but got input of size: [${x.shape.join(", ")}]`,
      );
    }
    const unbatched = x.dim() === n + 1;
    // Note [autocast dispatch]: PyTorch's F.conv_transpose{n}d runs in float32 under CPU autocast
    const [input, weight, bias] = autocastArgs("fp32", [
      unbatched ? x.unsqueeze(0) : x,
      this.weight,
      this.bias,
    ] as const);
    const y = convolution(input, weight, bias, {
      stride: this.stride,
      padding: this.padding as number[],
      dilation: this.dilation,
      transposed: true,
      outputPadding: outputPaddingFor(this, x, outputSize, n),
      groups: this.groups,
    });
    return unbatched ? y.squeeze(0) : y;
  }
}

/**
 * torch.nn.ConvTranspose1d: the adjoint of Conv1d; x [N, C_in, L].
 *
 * @example
 * new torch.nn.ConvTranspose1d(4, 2, 3, { stride: 2 }).call(torch.randn(1, 4, 5)).shape // [1, 2, 11]
 */
export class ConvTranspose1d extends ConvTransposeNd {
  constructor(
    inChannels: number | ConvArgs,
    outChannels?: number | ConvTransposeLayerOptions,
    kernelSize?: IntOrTuple | ConvTransposeLayerOptions,
    ...rest: ConvCtorArgs
  ) {
    super(
      1,
      true,
      convArgs("ConvTranspose1d", true, [inChannels, outChannels, kernelSize, ...rest]),
    );
  }
  override forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    return this.run(1, x, outputSize);
  }
}

/**
 * torch.nn.ConvTranspose2d: the adjoint of Conv2d (upsampling); `outputSize` picks the output
 * padding, as PyTorch's `forward(input, output_size)`.
 *
 * @example
 * const up = new torch.nn.ConvTranspose2d(16, 8, 2, { stride: 2 });
 * up.call(torch.randn(1, 16, 7, 7)).shape; // [1, 8, 14, 14]
 */
export class ConvTranspose2d extends ConvTransposeNd {
  constructor(
    inChannels: number | ConvArgs,
    outChannels?: number | ConvTransposeLayerOptions,
    kernelSize?: IntOrTuple | ConvTransposeLayerOptions,
    ...rest: ConvCtorArgs
  ) {
    super(
      2,
      true,
      convArgs("ConvTranspose2d", true, [inChannels, outChannels, kernelSize, ...rest]),
    );
  }
  override forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    return this.run(2, x, outputSize);
  }
}

// ---------------------------------------------------------------------------------------------
// 3-d convolution layers (issue 11, h-nnpool)

/**
 * torch.nn.Conv3d: x [N, C_in, D, H, W] -> [N, C_out, D_out, H_out, W_out]; PyTorch's default
 * initialisation. Arguments after the kernel size positionally in PyTorch's order (stride,
 * padding, dilation, groups, bias, padding_mode) or in an options object.
 *
 * @example
 * torch.manualSeed(0);
 * const conv = new torch.nn.Conv3d(2, 4, 3, { padding: 1 });
 * String(conv); // Conv3d(2, 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1))
 * conv.call(torch.randn(1, 2, 5, 6, 7)).shape; // [1, 4, 5, 6, 7]
 */
export class Conv3d extends ConvNd {
  constructor(
    inChannels: number | ConvArgs,
    outChannels?: number | ConvLayerOptions,
    kernelSize?: IntOrTuple | ConvLayerOptions,
    ...rest: ConvCtorArgs
  ) {
    super(3, false, convArgs("Conv3d", false, [inChannels, outChannels, kernelSize, ...rest]));
  }
  override forward(x: Tensor): Tensor {
    const p = this.padding;
    return typeof p === "string"
      ? conv3d(x, this.weight, this.bias, this.stride, p, this.dilation, this.groups)
      : conv3d(x, this.weight, this.bias, this.stride, p, this.dilation, this.groups);
  }
}

/**
 * torch.nn.ConvTranspose3d: the adjoint of Conv3d; `outputSize` picks the output padding.
 * Arguments after the kernel size positionally in PyTorch's order (stride, padding,
 * output_padding, groups, bias, dilation, padding_mode) or in an options object.
 *
 * @example
 * new torch.nn.ConvTranspose3d(4, 2, 2, 2).call(torch.randn(1, 4, 3, 3, 3)).shape // [1, 2, 6, 6, 6]
 */
export class ConvTranspose3d extends ConvTransposeNd {
  constructor(
    inChannels: number | ConvArgs,
    outChannels?: number | ConvTransposeLayerOptions,
    kernelSize?: IntOrTuple | ConvTransposeLayerOptions,
    ...rest: ConvCtorArgs
  ) {
    super(
      3,
      true,
      convArgs("ConvTranspose3d", true, [inChannels, outChannels, kernelSize, ...rest]),
    );
  }
  override forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    return this.run(3, x, outputSize);
  }
}
