/**
 * Pooling primitives over [N, C, *spatial] or [C, *spatial] inputs with two or three spatial
 * dims (1-D pooling is 2-D pooling of a height-1 plane): max pooling (with the indices its
 * backward scatters to), average pooling, adaptive average and max pooling, fractional max
 * pooling and max unpooling, each with its backward as an op of its own where PyTorch has one
 * (so double backward works). One kernel per operation serves every dimensionality
 * (backend/pooling.ts: a 2-D window is one plane deep).
 */
import { Tensor } from "../tensor.js";
import { int64 } from "../dtype.js";
import {
  adaptiveAvgPool as adaptiveKernel,
  adaptiveMaxPool as adaptiveMaxKernel,
  avgPool as avgKernel,
  fractionalMaxPool as fractionalKernel,
  maxPool as maxKernel,
  maxPoolBackward as maxBackwardKernel,
  type Window2d,
} from "../backend/pooling.js";
import { alloc, checkTensor, contiguousData, scalarTypeName } from "./core.js";
import { needsGrad, record } from "../autograd/function.js";
import { runtimeError } from "../errors.js";

/** Pooling arguments, one entry per spatial dim ([h, w] or [d, h, w]). */
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

/** The ops whose backward scatters the output gradient to saved indices. */
export type IndexPool =
  | "maxPool2d"
  | "maxPool3d"
  | "adaptiveMaxPool2d"
  | "adaptiveMaxPool3d"
  | "fractionalMaxPool2d"
  | "fractionalMaxPool3d";

function checkPoolInput(x: Tensor, fn: string, k: number): void {
  if ((x.dim() !== k + 1 && x.dim() !== k + 2) || x.shape.slice(1).some((s) => s === 0)) {
    throw runtimeError(`non-empty ${k + 1}D or ${k + 2}D (batch mode) tensor expected for input`);
  }
  if (!x.dtype.isFloatingPoint) {
    throw runtimeError(`"${fn}" not implemented for '${scalarTypeName(x.dtype)}'`);
  }
}

/** The window of a pooling with these arguments over the last 2 or 3 dims of `shape`. */
function geometry(shape: readonly number[], a: PoolArgs): Window2d {
  const k = a.kernel.length;
  const nd = shape.length;
  const sp = shape.slice(nd - k);
  const out = sp.map((s, i) =>
    poolOutputSize(s, a.kernel[i], a.padding[i], a.stride[i], a.dilation[i], a.ceilMode),
  );
  // the last two dims are h, w; a third (first) is the depth
  const o = k - 2;
  const g: Window2d = {
    h: sp[o],
    w: sp[o + 1],
    kh: a.kernel[o],
    kw: a.kernel[o + 1],
    sh: a.stride[o],
    sw: a.stride[o + 1],
    ph: a.padding[o],
    pw: a.padding[o + 1],
    dh: a.dilation[o],
    dw: a.dilation[o + 1],
    oh: out[o],
    ow: out[o + 1],
  };
  if (k === 3) {
    Object.assign(g, {
      d: sp[0],
      kd: a.kernel[0],
      sd: a.stride[0],
      pd: a.padding[0],
      dd: a.dilation[0],
      od: out[0],
    });
  }
  return g;
}

const prod = (v: readonly number[]): number => v.reduce((p, s) => p * s, 1);
/** The output sizes of a window, [oh, ow] or [od, oh, ow]. */
const outSizes = (g: Window2d, k: number): number[] =>
  k === 3 ? [g.od ?? 1, g.oh, g.ow] : [g.oh, g.ow];
const planesOf = (x: Tensor, k: number): number => x.numel() / Math.max(prod(x.shape.slice(-k)), 1);
const outShapeOf = (x: Tensor, out: readonly number[]): number[] =>
  x.shape.slice(0, x.dim() - out.length).concat(out);
/** Sizes as [d, h, w] (a 2-D size is one plane deep). */
const as3 = (v: readonly number[]): number[] => (v.length === 3 ? v.slice() : [1, ...v]);

/**
 * max_pool2d_with_indices / max_pool3d_with_indices: the maxima and their flat positions in
 * each plane or volume (int64). Recorded as MaxPool2DWithIndicesBackward0 (3D).
 *
 * @example
 * const [y, idx] = maxPoolWithIndices(torch.arange(16).float().view(1, 4, 4), {
 *   kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceilMode: false,
 * }); // y [[[5, 7], [13, 15]]], idx the same positions
 */
export function maxPoolWithIndices(x: Tensor, a: PoolArgs): [Tensor, Tensor] {
  const k = a.kernel.length;
  const name = `max_pool${k}d`;
  x = checkTensor(x, name, "input", 0);
  checkPoolInput(x, k === 2 ? "max_pool2d" : "max_pool3d_cpu", k);
  const g = geometry(x.shape, a);
  const shape = outShapeOf(x, outSizes(g, k));
  const out = alloc(shape, x.dtype);
  const idx = alloc(shape.slice(), int64);
  const xs = contiguousData(x);
  maxKernel(xs.data, xs.offset, planesOf(x, k), g, out.typedArray, idx.typedArray);
  if (needsGrad(x))
    record(k === 2 ? "maxPool2d" : "maxPool3d", out, [x], { self: x, indices: idx }, {});
  return [out, idx];
}

/** 2-D max pooling, as before the N-d generalisation. */
export const maxPool2dWithIndices = maxPoolWithIndices;

/**
 * The adjoint of an index pooling: `g` added into zeros of `inputShape` at `indices` (flat
 * positions in the last `k` dims), in one kernel recording nothing (ops/backward.ts's
 * indexPoolBackward records).
 */
export function indexPoolBackward(
  g: Tensor,
  indices: Tensor,
  inputShape: readonly number[],
  k: number,
): Tensor {
  const inSize = prod(inputShape.slice(inputShape.length - k));
  const outSize = prod(g.shape.slice(g.dim() - k));
  const out = alloc(inputShape.slice(), g.dtype);
  const gs = contiguousData(g);
  const is = contiguousData(indices);
  const gd = gs.offset === 0 ? gs.data : gs.data.subarray(gs.offset);
  const id = is.offset === 0 ? is.data : is.data.subarray(is.offset);
  maxBackwardKernel(gd, id, g.numel() / Math.max(outSize, 1), inSize, outSize, out.typedArray);
  return out;
}

/** The 2-D adjoint of max pooling (the name before the N-d generalisation). */
export const maxPool2dBackward = (g: Tensor, indices: Tensor, inputShape: readonly number[]) =>
  indexPoolBackward(g, indices, inputShape, 2);

/**
 * avg_pool2d / avg_pool3d, recorded as AvgPool2DBackward0 (3D).
 *
 * @example
 * avgPool(torch.ones(1, 4, 4), { kernel: [2, 2], stride: [2, 2], padding: [0, 0],
 *   dilation: [1, 1], ceilMode: false, countIncludePad: true, divisorOverride: 0 }) // ones(1, 2, 2)
 */
export function avgPool(x: Tensor, a: AvgPoolArgs): Tensor {
  const k = a.kernel.length;
  x = checkTensor(x, `avg_pool${k}d`, "input", 0);
  checkPoolInput(x, k === 2 ? "avg_pool2d" : "avg_pool3d_out_frame", k);
  // 0 means "no override" here (avg_pool2d's caller refuses an explicit 0); a negative divisor
  // is PyTorch's too (the window sums divided by it)
  if (!Number.isInteger(a.divisorOverride)) throw runtimeError("divisor must be not zero");
  const g = geometry(x.shape, a);
  const out = alloc(outShapeOf(x, outSizes(g, k)), x.dtype);
  const xs = contiguousData(x);
  avgKernel(xs.data, xs.offset, planesOf(x, k), g, a, out.typedArray, false);
  if (needsGrad(x))
    record(
      k === 2 ? "avgPool2d" : "avgPool3d",
      out,
      [x],
      {},
      { ...a, inputShape: x.shape.slice() },
    );
  return out;
}

/** 2-D average pooling (the name before the N-d generalisation). */
export const avgPool2d = avgPool;

/** The adjoint of avg_pool (avg_pool2d_backward / 3d), recorded as AvgPool2DBackwardBackward0. */
export function avgPoolBackward(g: Tensor, inputShape: readonly number[], a: AvgPoolArgs): Tensor {
  const k = a.kernel.length;
  const geo = geometry(inputShape, a);
  const out = alloc(inputShape.slice(), g.dtype);
  const gs = contiguousData(g);
  avgKernel(gs.data, gs.offset, g.numel() / prod(outSizes(geo, k)), geo, a, out.typedArray, true);
  if (needsGrad(g))
    record(
      k === 2 ? "avgPool2dBackward" : "avgPool3dBackward",
      out,
      [g],
      {},
      { ...a, inputShape: inputShape.slice() },
    );
  return out;
}

export const avgPool2dBackward = avgPoolBackward;

/**
 * adaptive_avg_pool2d / 3d to `outputSize` ([oh, ow] or [od, oh, ow]; null keeps that input
 * size). An all-ones output is the mean over the pooled dims (MeanBackward1), as in PyTorch;
 * otherwise AdaptiveAvgPool2DBackward0 (3D).
 *
 * @example
 * adaptiveAvgPool(torch.ones(1, 2, 5, 5), [2, 2]).shape // [1, 2, 2, 2]
 */
export function adaptiveAvgPool(x: Tensor, outputSize: readonly (number | null)[]): Tensor {
  const k = outputSize.length;
  const name = `adaptive_avg_pool${k}d`;
  x = checkTensor(x, name, "input", 0);
  if (x.dim() !== k + 1 && x.dim() !== k + 2) {
    throw runtimeError(
      k === 2
        ? `adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [${x.shape.join(", ")}]`
        : `adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got [${x.shape.join(", ")}]`,
    );
  }
  const sp = x.shape.slice(x.dim() - k);
  const os = outputSize.map((v, i) => v ?? sp[i]);
  if (os.every((v) => v === 1))
    return x.mean(
      Array.from({ length: k }, (_, i) => -1 - i),
      true,
    );
  if (!x.dtype.isFloatingPoint) {
    throw runtimeError(`"${name}_cpu" not implemented for '${scalarTypeName(x.dtype)}'`);
  }
  const out = alloc(outShapeOf(x, os), x.dtype);
  const xs = contiguousData(x);
  adaptiveKernel(
    xs.data,
    xs.offset,
    planesOf(x, k),
    { inSize: as3(sp), outSize: as3(os) },
    out.typedArray,
    false,
  );
  if (needsGrad(x))
    record(
      k === 2 ? "adaptiveAvgPool2d" : "adaptiveAvgPool3d",
      out,
      [x],
      {},
      { outputSize: os, inputShape: x.shape.slice() },
    );
  return out;
}

export const adaptiveAvgPool2d = adaptiveAvgPool;

/** The adjoint of adaptive_avg_pool, recorded as AdaptiveAvgPool2DBackwardBackward0 (3D). */
export function adaptiveAvgPoolBackward(g: Tensor, inputShape: readonly number[], k = 2): Tensor {
  const nd = inputShape.length;
  const sp = inputShape.slice(nd - k);
  const os = g.shape.slice(nd - k);
  const out = alloc(inputShape.slice(), g.dtype);
  const gs = contiguousData(g);
  adaptiveKernel(
    gs.data,
    gs.offset,
    g.numel() / prod(os),
    { inSize: as3(sp), outSize: as3(os) },
    out.typedArray,
    true,
  );
  if (needsGrad(g))
    record(
      k === 2 ? "adaptiveAvgPool2dBackward" : "adaptiveAvgPool3dBackward",
      out,
      [g],
      {},
      { outputSize: os, inputShape: inputShape.slice() },
    );
  return out;
}

export const adaptiveAvgPool2dBackward = (g: Tensor, inputShape: readonly number[]): Tensor =>
  adaptiveAvgPoolBackward(g, inputShape, 2);

/**
 * adaptive_max_pool2d / 3d to `outputSize` (all sizes given): values and flat indices,
 * recorded as AdaptiveMaxPool2DBackward0 (3D). The caller has checked the input.
 */
export function adaptiveMaxPool(x: Tensor, outputSize: readonly number[]): [Tensor, Tensor] {
  const k = outputSize.length;
  const sp = x.shape.slice(x.dim() - k);
  const shape = outShapeOf(x, outputSize);
  const out = alloc(shape, x.dtype);
  const idx = alloc(shape.slice(), int64);
  const xs = contiguousData(x);
  adaptiveMaxKernel(
    xs.data,
    xs.offset,
    planesOf(x, k),
    { inSize: as3(sp), outSize: as3(outputSize) },
    out.typedArray,
    idx.typedArray,
  );
  if (needsGrad(x))
    record(
      k === 2 ? "adaptiveMaxPool2d" : "adaptiveMaxPool3d",
      out,
      [x],
      { self: x, indices: idx },
      {},
    );
  return [out, idx];
}

/**
 * fractional_max_pool2d / 3d: values and flat indices of the windows starting at `starts`
 * (per plane, per dim; backend/pooling.ts fractionalIntervals), recorded as
 * FractionalMaxPool2DBackward0 (3D). The caller has checked the arguments.
 */
export function fractionalMaxPool(
  x: Tensor,
  pool: readonly number[],
  outputSize: readonly number[],
  starts: readonly (readonly number[][])[],
): [Tensor, Tensor] {
  const k = outputSize.length;
  const sp = x.shape.slice(x.dim() - k);
  const shape = outShapeOf(x, outputSize);
  const out = alloc(shape, x.dtype);
  const idx = alloc(shape.slice(), int64);
  const xs = contiguousData(x);
  const st3 = starts.map((s) => (s.length === 3 ? s : [[0], ...s]));
  fractionalKernel(
    xs.data,
    xs.offset,
    planesOf(x, k),
    as3(sp),
    as3(outputSize),
    as3(pool),
    st3,
    out.typedArray,
    idx.typedArray,
  );
  if (needsGrad(x))
    record(
      k === 2 ? "fractionalMaxPool2d" : "fractionalMaxPool3d",
      out,
      [x],
      { self: x, indices: idx },
      {},
    );
  return [out, idx];
}

/**
 * max_unpool2d / 3d: zeros of `[..., *outputSize]` with each input value written at its
 * index (flat position in the output plane or volume; the last write wins, as PyTorch's
 * kernel), recorded as MaxUnpool2DBackward0 (3D). Checks the indices with PyTorch's message.
 */
export function maxUnpool(x: Tensor, indices: Tensor, outputSize: readonly number[]): Tensor {
  const k = outputSize.length;
  const inPlane = prod(x.shape.slice(x.dim() - k));
  const outPlane = prod(outputSize);
  const planes = x.numel() / Math.max(inPlane, 1);
  const out = alloc(x.shape.slice(0, x.dim() - k).concat(outputSize), x.dtype);
  const xs = contiguousData(x);
  const is = contiguousData(indices);
  const o = out.typedArray;
  // PyTorch's kernel writes every valid index and reports the last invalid one afterwards
  let bad: number | null = null;
  for (let p = 0; p < planes; p++) {
    for (let i = 0; i < inPlane; i++) {
      const at = Number(is.data[is.offset + p * inPlane + i]);
      if (at < 0 || at >= outPlane) bad = at;
      else o[p * outPlane + at] = xs.data[xs.offset + p * inPlane + i];
    }
  }
  if (bad !== null) {
    throw runtimeError(
      `Found an invalid max index: ${bad} (output volumes are of size ${outputSize.join("x")}`,
    );
  }
  if (needsGrad(x)) record(k === 2 ? "maxUnpool2d" : "maxUnpool3d", out, [x], { indices }, { k });
  return out;
}
