/**
 * The functional forms of the convolution, pooling and normalisation layers
 * (torch.nn.functional.conv2d, max_pool2d, layer_norm, ...), with PyTorch's argument
 * conventions: an int or a per-dimension array for sizes, options objects for the keyword
 * arguments.
 */
import { Tensor } from "../tensor.js";
import { runtimeError } from "../errors.js";
import { convolution, type ConvArgs } from "../ops/conv.js";
import {
  adaptiveAvgPool2d as adaptiveOp,
  avgPool2d as avgOp,
  maxPool2dWithIndices as maxPoolOp,
} from "../ops/pooling.js";
import {
  batchNorm as batchNormOp,
  groupNorm as groupNormOp,
  layerNorm as layerNormOp,
} from "../ops/normalization.js";
import { zeros } from "../ops/creation.js";
import { cat } from "../ops/views.js";

/** A size given as one int for every dimension or one per dimension. */
export type IntOrTuple = number | readonly number[];
/** Convolution padding: sizes, or PyTorch's "valid" (none) / "same" (output size = input size). */
export type ConvPadding = IntOrTuple | "valid" | "same";

/** Expand an int to `n` entries; check an array has `n` (PyTorch's _pair / _single). */
export function ntuple(v: IntOrTuple, n: number, name = "argument"): number[] {
  if (typeof v === "number") return new Array<number>(n).fill(v);
  if (v.length === 1 && n > 1) return new Array<number>(n).fill(v[0]);
  if (v.length !== n) {
    throw runtimeError(
      `expected ${name} to be a single integer value or a list of ${n} values to match the convolution dimensions, but got ${name}=[${v.join(", ")}]`,
    );
  }
  return v.slice();
}

/** Options of conv1d / conv2d. */
export interface ConvOptions {
  stride?: IntOrTuple;
  padding?: ConvPadding;
  dilation?: IntOrTuple;
  groups?: number;
}

/** Options of conv_transpose1d / conv_transpose2d. */
export interface ConvTransposeOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  outputPadding?: IntOrTuple;
  groups?: number;
  dilation?: IntOrTuple;
}

function convNd(
  k: number,
  name: string,
  x: Tensor,
  w: Tensor,
  b: Tensor | null | undefined,
  o: ConvOptions,
): Tensor {
  if (x.dim() !== k + 1 && x.dim() !== k + 2) {
    throw runtimeError(
      `Expected ${k + 1}D (unbatched) or ${k + 2}D (batched) input to ${name}, but got input of size: [${x.shape.join(", ")}]`,
    );
  }
  const unbatched = x.dim() === k + 1;
  let input = unbatched ? x.unsqueeze(0) : x;
  const stride = ntuple(o.stride ?? 1, k, "stride");
  const dilation = ntuple(o.dilation ?? 1, k, "dilation");
  let padding: number[];
  const pad = o.padding ?? 0;
  if (pad === "valid") padding = new Array<number>(k).fill(0);
  else if (pad === "same") {
    if (stride.some((s) => s !== 1)) {
      throw runtimeError("padding='same' is not supported for strided convolutions");
    }
    // total padding d*(k-1); an odd total puts the extra element on the right
    padding = [];
    for (let i = 0; i < k; i++) {
      const total = dilation[i] * (w.shape[2 + i] - 1);
      const left = Math.floor(total / 2);
      padding.push(left);
      if (total % 2 === 1) {
        const dim = 2 + i;
        const extraShape = input.shape.slice();
        extraShape[dim] = 1;
        input = cat([input, zeros(extraShape, { dtype: input.dtype })], dim);
      }
    }
  } else if (typeof pad === "string") {
    throw runtimeError(`Invalid padding string '${pad}', should be one of {'valid', 'same'}`);
  } else padding = ntuple(pad, k, "padding");
  const args: ConvArgs = {
    stride,
    padding,
    dilation,
    transposed: false,
    outputPadding: new Array<number>(k).fill(0),
    groups: o.groups ?? 1,
  };
  const y = convolution(input, w, b ?? null, args);
  return unbatched ? y.squeeze(0) : y;
}

/**
 * torch.nn.functional.conv1d: x [N, C, L] (or [C, L]), w [O, C/groups, K].
 *
 * @example
 * F.conv1d(torch.randn(1, 2, 10), torch.randn(4, 2, 3), null, { padding: 1 }).shape // [1, 4, 10]
 */
export function conv1d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  opts: ConvOptions = {},
): Tensor {
  return convNd(1, "conv1d", x, weight, bias, opts);
}

/**
 * torch.nn.functional.conv2d: x [N, C, H, W] (or [C, H, W]), w [O, C/groups, kH, kW].
 *
 * @example
 * const y = F.conv2d(torch.randn(8, 1, 28, 28), torch.randn(16, 1, 3, 3), null, { padding: 1 });
 * y.shape; // [8, 16, 28, 28]
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  opts: ConvOptions = {},
): Tensor {
  return convNd(2, "conv2d", x, weight, bias, opts);
}

function convTransposeNd(
  k: number,
  name: string,
  x: Tensor,
  w: Tensor,
  b: Tensor | null | undefined,
  o: ConvTransposeOptions,
): Tensor {
  if (x.dim() !== k + 1 && x.dim() !== k + 2) {
    throw runtimeError(
      `Expected ${k + 1}D (unbatched) or ${k + 2}D (batched) input to ${name}, but got input of size: [${x.shape.join(", ")}]`,
    );
  }
  const unbatched = x.dim() === k + 1;
  const input = unbatched ? x.unsqueeze(0) : x;
  const y = convolution(input, w, b ?? null, {
    stride: ntuple(o.stride ?? 1, k, "stride"),
    padding: ntuple(o.padding ?? 0, k, "padding"),
    dilation: ntuple(o.dilation ?? 1, k, "dilation"),
    transposed: true,
    outputPadding: ntuple(o.outputPadding ?? 0, k, "output_padding"),
    groups: o.groups ?? 1,
  });
  return unbatched ? y.squeeze(0) : y;
}

/**
 * torch.nn.functional.conv_transpose1d: x [N, C, L], w [C, O/groups, K].
 *
 * @example
 * F.convTranspose1d(torch.randn(1, 2, 5), torch.randn(2, 3, 3), null, { stride: 2 }).shape // [1, 3, 11]
 */
export function convTranspose1d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  opts: ConvTransposeOptions = {},
): Tensor {
  return convTransposeNd(1, "conv_transpose1d", x, weight, bias, opts);
}

/**
 * torch.nn.functional.conv_transpose2d: x [N, C, H, W], w [C, O/groups, kH, kW]; the output is
 * (H - 1)*stride - 2*padding + dilation*(kH - 1) + outputPadding + 1 high.
 *
 * @example
 * F.convTranspose2d(torch.randn(1, 4, 5, 5), torch.randn(4, 2, 3, 3), null, { stride: 2 }).shape
 * // [1, 2, 11, 11]
 */
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  opts: ConvTransposeOptions = {},
): Tensor {
  return convTransposeNd(2, "conv_transpose2d", x, weight, bias, opts);
}

/** Options of max_pool2d. */
export interface MaxPoolOptions {
  /** default: the kernel size */
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  ceilMode?: boolean;
  returnIndices?: boolean;
}

/** Options of avg_pool2d. */
export interface AvgPoolOptions {
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

const strideOr = (s: IntOrTuple | null | undefined, k: IntOrTuple): number[] => {
  const v = s === null || s === undefined || (Array.isArray(s) && s.length === 0) ? k : s;
  return ntuple(v, 2, "stride");
};

/**
 * torch.nn.functional.max_pool2d(x, kernelSize, { stride, padding, dilation, ceilMode }):
 * the maximum of each window (stride defaults to the kernel size). With `returnIndices: true`,
 * use `maxPool2dWithIndices` for `[values, indices]`.
 *
 * @example
 * F.maxPool2d(torch.randn(1, 16, 26, 26), 2).shape // [1, 16, 13, 13]
 */
export function maxPool2d(
  x: Tensor,
  kernelSize: IntOrTuple,
  opts: MaxPoolOptions | number = {},
): Tensor {
  return maxPool2dIndices(x, kernelSize, opts)[0];
}

/**
 * max_pool2d with return_indices=True: `[values, indices]`, the indices flat positions in each
 * H*W plane (what `maxUnpool2d` and PyTorch's return).
 *
 * @example
 * const [y, idx] = F.maxPool2dWithIndices(torch.randn(1, 1, 4, 4), 2);
 */
export function maxPool2dIndices(
  x: Tensor,
  kernelSize: IntOrTuple,
  opts: MaxPoolOptions | number = {},
): [Tensor, Tensor] {
  const o: MaxPoolOptions = typeof opts === "number" ? { stride: opts } : opts;
  return maxPoolOp(x, {
    kernel: ntuple(kernelSize, 2, "kernel_size"),
    stride: strideOr(o.stride, kernelSize),
    padding: ntuple(o.padding ?? 0, 2, "padding"),
    dilation: ntuple(o.dilation ?? 1, 2, "dilation"),
    ceilMode: o.ceilMode ?? false,
  });
}
export { maxPool2dIndices as maxPool2dWithIndices };

/**
 * torch.nn.functional.avg_pool2d(x, kernelSize, { stride, padding, ceilMode, countIncludePad,
 * divisorOverride }).
 *
 * @example
 * F.avgPool2d(torch.ones(1, 1, 4, 4), 2) // ones(1, 1, 2, 2)
 */
export function avgPool2d(
  x: Tensor,
  kernelSize: IntOrTuple,
  opts: AvgPoolOptions | number = {},
): Tensor {
  const o: AvgPoolOptions = typeof opts === "number" ? { stride: opts } : opts;
  if (o.divisorOverride === 0) throw runtimeError("divisor must be not zero");
  return avgOp(x, {
    kernel: ntuple(kernelSize, 2, "kernel_size"),
    stride: strideOr(o.stride, kernelSize),
    padding: ntuple(o.padding ?? 0, 2, "padding"),
    dilation: [1, 1],
    ceilMode: o.ceilMode ?? false,
    countIncludePad: o.countIncludePad ?? true,
    divisorOverride: o.divisorOverride ?? 0,
  });
}

/**
 * torch.nn.functional.adaptive_avg_pool2d(x, outputSize): average pooling to a fixed output
 * size (an int, or [h, w] where null keeps the input's size).
 *
 * @example
 * F.adaptiveAvgPool2d(torch.randn(2, 8, 7, 7), 1).shape // [2, 8, 1, 1]
 */
export function adaptiveAvgPool2d(
  x: Tensor,
  outputSize: number | readonly (number | null)[],
): Tensor {
  const size =
    typeof outputSize === "number"
      ? [outputSize, outputSize]
      : outputSize.length === 1
        ? [outputSize[0], outputSize[0]]
        : outputSize.slice();
  return adaptiveOp(x, size);
}

/** Options of layer_norm / group_norm. */
export interface NormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

/**
 * torch.nn.functional.layer_norm(x, normalizedShape, weight?, bias?, eps?) (or an options object
 * third): normalise over the trailing dims.
 *
 * @example
 * F.layerNorm(torch.randn(2, 5), [5]).mean(-1) // ~[0, 0]
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: IntOrTuple,
  weight: Tensor | null | NormOptions = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
  if (weight !== null && !(weight instanceof Tensor)) {
    return layerNormOp(x, shape, weight.weight ?? null, weight.bias ?? null, weight.eps ?? 1e-5);
  }
  return layerNormOp(x, shape, weight, bias, eps);
}

/**
 * torch.nn.functional.group_norm(x, numGroups, weight?, bias?, eps?) (or an options object
 * third).
 *
 * @example
 * F.groupNorm(torch.randn(2, 6, 4), 3).shape // [2, 6, 4]
 */
export function groupNorm(
  x: Tensor,
  numGroups: number,
  weight: Tensor | null | NormOptions = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  if (weight !== null && !(weight instanceof Tensor)) {
    return groupNormOp(
      x,
      numGroups,
      weight.weight ?? null,
      weight.bias ?? null,
      weight.eps ?? 1e-5,
    );
  }
  return groupNormOp(x, numGroups, weight, bias, eps);
}

/** Options of batch_norm. */
export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * torch.nn.functional.batch_norm(x, runningMean, runningVar, weight?, bias?, training?,
 * momentum?, eps?) (or an options object fourth). In training the batch's statistics are used
 * and the running ones (if given) updated in place.
 *
 * @example
 * const rm = torch.zeros(3), rv = torch.ones(3);
 * F.batchNorm(torch.randn(8, 3), rm, rv, { training: true });
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null | BatchNormOptions = null,
  bias: Tensor | null = null,
  training = false,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  if (weight !== null && !(weight instanceof Tensor)) {
    const o = weight;
    return batchNormOp(
      x,
      runningMean,
      runningVar,
      o.weight ?? null,
      o.bias ?? null,
      o.training ?? false,
      o.momentum ?? 0.1,
      o.eps ?? 1e-5,
    );
  }
  return batchNormOp(x, runningMean, runningVar, weight, bias, training, momentum, eps);
}
