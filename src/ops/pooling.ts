/**
 * 2-D pooling primitives over [N, C, H, W] or [C, H, W] inputs: max pooling (with the indices
 * its backward scatters to), average pooling and adaptive average pooling, each with its
 * backward as an op of its own where PyTorch has one (so double backward works).
 */
import { Tensor } from "../tensor.js";
import { int64 } from "../dtype.js";
import {
  adaptiveAvgPool2d as adaptiveKernel,
  avgPool2d as avgKernel,
  maxPool2d as maxKernel,
  maxPool2dBackward as maxBackwardKernel,
  type Window2d,
} from "../backend/pooling.js";
import { alloc, checkTensor, contiguousData } from "./core.js";
import { needsGrad, record } from "../autograd/function.js";
import { runtimeError } from "../errors.js";

/** Pooling arguments, each [h, w]. */
export interface PoolArgs {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  ceilMode: boolean;
}

export interface AvgPoolArgs extends PoolArgs {
  countIncludePad: boolean;
  /** 0: none */
  divisorOverride: number;
}

/** PyTorch's pooling_output_shape. */
export function poolOutputSize(
  size: number,
  k: number,
  pad: number,
  stride: number,
  dilation: number,
  ceil: boolean,
): number {
  let out =
    Math.floor((size + 2 * pad - dilation * (k - 1) - 1 + (ceil ? stride - 1 : 0)) / stride) + 1;
  if (ceil && (out - 1) * stride >= size + pad) out--;
  return out;
}

function checkPoolInput(x: Tensor, fn: string): void {
  if ((x.dim() !== 3 && x.dim() !== 4) || x.shape.slice(1).some((s) => s === 0)) {
    throw runtimeError("non-empty 3D or 4D (batch mode) tensor expected for input");
  }
  if (!x.dtype.isFloatingPoint) {
    throw runtimeError(`"${fn}" not implemented for '${x.dtype.name}'`);
  }
}

function geometry(shape: readonly number[], a: PoolArgs): Window2d {
  const [kh, kw] = a.kernel;
  const [sh, sw] = a.stride;
  const [ph, pw] = a.padding;
  const [dh, dw] = a.dilation;
  if (kh <= 0 || kw <= 0) {
    throw runtimeError(`kernel size should be greater than zero, but got kH: ${kh} kW: ${kw}`);
  }
  if (sh <= 0 || sw <= 0) throw runtimeError("stride should not be zero");
  if (dh <= 0 || dw <= 0) {
    throw runtimeError(
      `dilation should be greater than zero, but got dilationH: ${dh} dilationW: ${dw}`,
    );
  }
  for (let i = 0; i < 2; i++) {
    if (a.padding[i] > a.kernel[i] / 2) {
      throw runtimeError(
        `pad should be at most half of kernel size, but got pad=${a.padding[i]} and kernel_size=${a.kernel[i]}`,
      );
    }
  }
  const nd = shape.length;
  const h = shape[nd - 2];
  const w = shape[nd - 1];
  const oh = poolOutputSize(h, kh, ph, sh, dh, a.ceilMode);
  const ow = poolOutputSize(w, kw, pw, sw, dw, a.ceilMode);
  if (oh < 1 || ow < 1) {
    const c = shape[nd - 3];
    throw runtimeError(
      `Given input size: (${c}x${h}x${w}). Calculated output size: (${c}x${oh}x${ow}). Output size is too small`,
    );
  }
  return { h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow };
}

const planesOf = (x: Tensor): number => x.numel() / (x.shape[x.dim() - 1] * x.shape[x.dim() - 2]);
const outShapeOf = (x: Tensor, oh: number, ow: number): number[] =>
  x.shape.slice(0, -2).concat([oh, ow]);

/**
 * max_pool2d_with_indices: the maxima and their flat positions (iy*W + ix) in each plane
 * (int64). Recorded as MaxPool2DWithIndicesBackward0.
 *
 * @example
 * const [y, idx] = maxPool2dWithIndices(torch.arange(16).float().view(1, 4, 4), {
 *   kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false,
 * }); // y [[[5, 7], [13, 15]]], idx the same positions
 */
export function maxPool2dWithIndices(x: Tensor, a: PoolArgs): [Tensor, Tensor] {
  x = checkTensor(x, "max_pool2d", "input", 0);
  checkPoolInput(x, "max_pool2d");
  const g = geometry(x.shape, a);
  const shape = outShapeOf(x, g.oh, g.ow);
  const out = alloc(shape, x.dtype);
  const idx = alloc(shape.slice(), int64);
  const xs = contiguousData(x);
  maxKernel(xs.data, xs.offset, planesOf(x), g, out.typedArray, idx.typedArray);
  if (needsGrad(x)) record("maxPool2d", out, [x], { self: x, indices: idx }, {});
  return [out, idx];
}

/**
 * The adjoint of max pooling: `g` added into zeros of `inputShape` at `indices`, in one kernel
 * recording nothing (ops/backward.ts's maxPool2dWithIndicesBackward records).
 */
export function maxPool2dBackward(
  g: Tensor,
  indices: Tensor,
  inputShape: readonly number[],
): Tensor {
  const nd = inputShape.length;
  const inSize = inputShape[nd - 1] * inputShape[nd - 2];
  const outSize = g.shape[nd - 1] * g.shape[nd - 2];
  const out = alloc(inputShape.slice(), g.dtype);
  const gs = contiguousData(g);
  const is = contiguousData(indices);
  const gd = gs.offset === 0 ? gs.data : gs.data.subarray(gs.offset);
  const id = is.offset === 0 ? is.data : is.data.subarray(is.offset);
  maxBackwardKernel(gd, id, g.numel() / Math.max(outSize, 1), inSize, outSize, out.typedArray);
  return out;
}

/**
 * avg_pool2d, recorded as AvgPool2DBackward0.
 *
 * @example
 * avgPool2d(torch.ones(1, 4, 4), { kernel: [2, 2], stride: [2, 2], padding: [0, 0],
 *   dilation: [1, 1], ceilMode: false, countIncludePad: true, divisorOverride: 0 }) // ones(1, 2, 2)
 */
export function avgPool2d(x: Tensor, a: AvgPoolArgs): Tensor {
  x = checkTensor(x, "avg_pool2d", "input", 0);
  checkPoolInput(x, "avg_pool2d");
  // 0 means "no override" here (avg_pool2d's caller refuses an explicit 0); a negative divisor
  // is PyTorch's too (the window sums divided by it)
  if (!Number.isInteger(a.divisorOverride)) throw runtimeError("divisor must be not zero");
  const g = geometry(x.shape, a);
  const out = alloc(outShapeOf(x, g.oh, g.ow), x.dtype);
  const xs = contiguousData(x);
  avgKernel(xs.data, xs.offset, planesOf(x), g, a, out.typedArray, false);
  if (needsGrad(x)) record("avgPool2d", out, [x], {}, { ...a, inputShape: x.shape.slice() });
  return out;
}

/** The adjoint of avg_pool2d (avg_pool2d_backward), recorded as AvgPool2DBackwardBackward0. */
export function avgPool2dBackward(
  g: Tensor,
  inputShape: readonly number[],
  a: AvgPoolArgs,
): Tensor {
  const geo = geometry(inputShape, a);
  const out = alloc(inputShape.slice(), g.dtype);
  const gs = contiguousData(g);
  avgKernel(gs.data, gs.offset, g.numel() / (geo.oh * geo.ow), geo, a, out.typedArray, true);
  if (needsGrad(g))
    record("avgPool2dBackward", out, [g], {}, { ...a, inputShape: inputShape.slice() });
  return out;
}

/**
 * adaptive_avg_pool2d to `outputSize` ([oh, ow]; null keeps that input size). A 1x1 output is
 * the mean over the last two dims (MeanBackward1), as in PyTorch; otherwise
 * AdaptiveAvgPool2DBackward0.
 *
 * @example
 * adaptiveAvgPool2d(torch.ones(1, 2, 5, 5), [2, 2]).shape // [1, 2, 2, 2]
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: readonly (number | null)[]): Tensor {
  x = checkTensor(x, "adaptive_avg_pool2d", "input", 0);
  if (x.dim() !== 3 && x.dim() !== 4) {
    throw runtimeError(
      `adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [${x.shape.join(", ")}]`,
    );
  }
  const h = x.shape[x.dim() - 2];
  const w = x.shape[x.dim() - 1];
  const oh = outputSize[0] ?? h;
  const ow = outputSize[1] ?? w;
  if (oh === 1 && ow === 1) return x.mean([-1, -2], true);
  if (!x.dtype.isFloatingPoint) {
    throw runtimeError(`"adaptive_avg_pool2d_cpu" not implemented for '${x.dtype.name}'`);
  }
  const out = alloc(outShapeOf(x, oh, ow), x.dtype);
  const xs = contiguousData(x);
  adaptiveKernel(xs.data, xs.offset, planesOf(x), h, w, oh, ow, out.typedArray, false);
  if (needsGrad(x))
    record(
      "adaptiveAvgPool2d",
      out,
      [x],
      {},
      { outputSize: [oh, ow], inputShape: x.shape.slice() },
    );
  return out;
}

/** The adjoint of adaptive_avg_pool2d, recorded as AdaptiveAvgPool2DBackwardBackward0. */
export function adaptiveAvgPool2dBackward(g: Tensor, inputShape: readonly number[]): Tensor {
  const nd = inputShape.length;
  const h = inputShape[nd - 2];
  const w = inputShape[nd - 1];
  const oh = g.shape[nd - 2];
  const ow = g.shape[nd - 1];
  const out = alloc(inputShape.slice(), g.dtype);
  const gs = contiguousData(g);
  adaptiveKernel(gs.data, gs.offset, g.numel() / (oh * ow), h, w, oh, ow, out.typedArray, true);
  if (needsGrad(g))
    record(
      "adaptiveAvgPool2dBackward",
      out,
      [g],
      {},
      { outputSize: [oh, ow], inputShape: inputShape.slice() },
    );
  return out;
}
