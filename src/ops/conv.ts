/**
 * Convolution: one primitive, `convolution` (PyTorch's aten::convolution), for 1-D, 2-D and 3-D,
 * plain and transposed, with stride, padding, dilation, groups and output padding. The forward
 * is im2col + the strided matmul kernel (transposed: matmul + col2im). Its derivative
 * (ConvolutionBackward0, nn-derivatives.ts) is written with `convolution` itself, so every
 * order of derivative works.
 */
import { Tensor } from "../tensor.js";
import {
  addChannelBias,
  channelSum,
  col2im,
  im2col,
  tryNativeConv2dDirect,
  tryNativeConvWeightGrad,
  type Window2d,
} from "../backend/conv.js";
import { gemmNN, gemmNTAccumulate, gemmTN } from "../backend/matmul.js";
import { alloc, checkTensor, contiguousData, scalarTypeName } from "./core.js";
import { anyNeedsGrad, record } from "../autograd/function.js";
import { isGradEnabled } from "../autograd/grad-mode.js";
import { runtimeError } from "../errors.js";

/** aten::convolution's arguments beyond the tensors; arrays have one entry per spatial dim. */
export interface ConvArgs {
  stride: number[];
  padding: number[];
  dilation: number[];
  transposed: boolean;
  outputPadding: number[];
  groups: number;
}

const lowerName = (t: Tensor): string =>
  t.dtype.name === "float32" ? "float" : t.dtype.name === "float64" ? "double" : t.dtype.name;
const upperName = (t: Tensor): string => scalarTypeName(t.dtype);

/** Spatial output sizes of a convolution with these arguments. */
export function convOutputSize(
  inSpatial: readonly number[],
  kernel: readonly number[],
  a: ConvArgs,
): number[] {
  return inSpatial.map((h, i) => {
    const k = a.dilation[i] * (kernel[i] - 1) + 1;
    return a.transposed
      ? (h - 1) * a.stride[i] - 2 * a.padding[i] + k + a.outputPadding[i]
      : Math.floor((h + 2 * a.padding[i] - k) / a.stride[i]) + 1;
  });
}

function checkConv(x: Tensor, w: Tensor, b: Tensor | null, a: ConvArgs): void {
  const k = x.dim() - 2;
  for (const [name, v] of [
    ["stride", a.stride],
    ["padding", a.padding],
    ["dilation", a.dilation],
    ["output_padding", a.outputPadding],
  ] as const) {
    if (v.length !== k) {
      throw runtimeError(
        `expected ${name} to be a single integer value or a list of ${k} values to match the convolution dimensions, but got ${name}=[${v.join(", ")}]`,
      );
    }
  }
  if (a.stride.some((s) => s <= 0)) throw runtimeError("non-positive stride is not supported");
  if (a.padding.some((s) => s < 0)) throw runtimeError("negative padding is not supported");
  if (a.dilation.some((s) => s <= 0)) throw runtimeError("dilation should be greater than zero");
  if (a.outputPadding.some((s) => s < 0))
    throw runtimeError("negative output_padding is not supported");
  if (a.groups <= 0) throw runtimeError("non-positive groups is not supported");
  if (a.transposed) {
    a.outputPadding.forEach((op, i) => {
      if (op >= a.stride[i] && op >= a.dilation[i]) {
        throw runtimeError(
          `output padding must be smaller than either stride or dilation, but got output_padding=${op}, stride=${a.stride[i]} and dilation=${a.dilation[i]}`,
        );
      }
    });
  }
  if (w.dim() !== x.dim()) {
    throw runtimeError(
      `Expected ${w.dim()}-dimensional input for ${w.dim()}-dimensional weight [${w.shape.join(", ")}], but got ${x.dim()}-dimensional input of size [${x.shape.join(", ")}] instead`,
    );
  }
  if (!x.dtype.isFloatingPoint) {
    throw runtimeError(
      `"${x.dim() === 5 ? "slow_conv3d_cpu" : "slow_conv2d_cpu"}" not implemented for '${upperName(x)}'`,
    );
  }
  if (w.dtype !== x.dtype) {
    throw runtimeError(`expected scalar type ${upperName(x)} but found ${upperName(w)}`);
  }
  if (b !== null && b.dtype !== x.dtype) {
    throw runtimeError(
      `Input type (${lowerName(x)}) and bias type (${lowerName(b)}) should be the same`,
    );
  }
  const ws = `[${w.shape.join(", ")}]`;
  const xs = `[${x.shape.join(", ")}]`;
  if (!a.transposed) {
    if (w.shape[0] % a.groups !== 0) {
      throw runtimeError(
        `Given groups=${a.groups}, expected weight to be divisible by ${a.groups} at dimension 0, but got weight of size [${ws}] instead`,
      );
    }
    if (x.shape[1] !== w.shape[1] * a.groups) {
      throw runtimeError(
        `Given groups=${a.groups}, weight of size ${ws}, expected input${xs} to have ${w.shape[1] * a.groups} channels, but got ${x.shape[1]} channels instead`,
      );
    }
  } else {
    if (x.shape[1] !== w.shape[0]) {
      throw runtimeError(
        `Given transposed=1, weight of size ${ws}, expected input${xs} to have ${w.shape[0]} channels, but got ${x.shape[1]} channels instead`,
      );
    }
    if (w.shape[0] % a.groups !== 0) {
      throw runtimeError(
        `Given groups=${a.groups}, expected weight to be divisible by ${a.groups} at dimension 0, but got weight of size [${ws}] instead`,
      );
    }
  }
  const outChannels = a.transposed ? w.shape[1] * a.groups : w.shape[0];
  if (b !== null && (b.dim() !== 1 || b.shape[0] !== outChannels)) {
    throw runtimeError(
      `Given weight of size ${ws}, expected bias to be 1-dimensional with ${outChannels} elements, but got bias of size [${b.shape.join(", ")}] instead`,
    );
  }
  if (!a.transposed) {
    const spatial = x.shape.slice(2);
    const padded = spatial.map((h, i) => h + 2 * a.padding[i]);
    const kernel = w.shape.slice(2).map((kk, i) => a.dilation[i] * (kk - 1) + 1);
    if (padded.some((p, i) => p < kernel[i])) {
      throw runtimeError(
        `Calculated padded input size per channel: (${padded.join(" x ")}). Kernel size: (${kernel.join(" x ")}). Kernel size can't be greater than actual input size`,
      );
    }
  }
}

/** The window of a 1-D, 2-D or 3-D convolution (1-D: a plane of height 1; 2-D: one plane deep). */
function window(
  inSpatial: readonly number[],
  kernel: readonly number[],
  outSpatial: readonly number[],
  a: ConvArgs,
): Window2d {
  if (inSpatial.length === 1) {
    return {
      h: 1,
      w: inSpatial[0],
      kh: 1,
      kw: kernel[0],
      sh: 1,
      sw: a.stride[0],
      ph: 0,
      pw: a.padding[0],
      dh: 1,
      dw: a.dilation[0],
      oh: 1,
      ow: outSpatial[0],
    };
  }
  // the last two dims are h, w; a third (first) is the depth
  const o = inSpatial.length - 2;
  const g: Window2d = {
    h: inSpatial[o],
    w: inSpatial[o + 1],
    kh: kernel[o],
    kw: kernel[o + 1],
    sh: a.stride[o],
    sw: a.stride[o + 1],
    ph: a.padding[o],
    pw: a.padding[o + 1],
    dh: a.dilation[o],
    dw: a.dilation[o + 1],
    oh: outSpatial[o],
    ow: outSpatial[o + 1],
  };
  if (o === 1) {
    g.d = inSpatial[0];
    g.kd = kernel[0];
    g.sd = a.stride[0];
    g.pd = a.padding[0];
    g.dd = a.dilation[0];
    g.od = outSpatial[0];
  }
  return g;
}

function forward(x: Tensor, w: Tensor, b: Tensor | null, a: ConvArgs): Tensor {
  const N = x.shape[0];
  const C = x.shape[1];
  const G = a.groups;
  const inSpatial = x.shape.slice(2);
  const kernel = w.shape.slice(2);
  const outSpatial = convOutputSize(inSpatial, kernel, a);
  const xs = contiguousData(x);
  const wd = contiguousData(w);
  let KK = 1;
  for (const k of kernel) KK *= k;
  let inPlane = 1;
  for (const s of inSpatial) inPlane *= s;
  let outPlane = 1;
  for (const s of outSpatial) outPlane *= s;
  const dtype = x.dtype;
  let out: Tensor;
  let O: number;
  // whether `out` already holds the bias
  let biased = false;
  if (!a.transposed) {
    O = w.shape[0];
    const Og = O / G;
    const Cg = C / G;
    out = alloc([N, O, ...outSpatial], dtype);
    const geo = window(inSpatial, kernel, outSpatial, a);
    const bd = b === null ? null : contiguousData(b);
    // few input channels: one native pass computes NCHW output and bias without im2col
    if (
      outPlane > 0 &&
      N > 0 &&
      O > 0 &&
      tryNativeConv2dDirect(
        xs.data,
        xs.offset,
        N,
        C,
        O,
        G,
        wd.data,
        wd.offset,
        bd === null ? null : bd.data,
        bd === null ? 0 : bd.offset,
        geo,
        out.typedArray,
      )
    ) {
      biased = true;
    } else if (outPlane > 0 && N > 0 && O > 0) {
      // a 1x1 kernel with unit stride and no padding reads the input as it is
      const direct = KK === 1 && a.stride.every((s) => s === 1) && a.padding.every((p) => p === 0);
      const cols = direct ? null : new dtype.ArrayType(Cg * KK * outPlane);
      for (let n = 0; n < N; n++) {
        for (let gi = 0; gi < G; gi++) {
          const xOff = xs.offset + (n * C + gi * Cg) * inPlane;
          let bData = xs.data;
          let bOff = xOff;
          if (cols !== null) {
            im2col(xs.data, xOff, Cg, geo, cols);
            bData = cols;
            bOff = 0;
          }
          // out_g (Og x L) = W_g (Og x Cg*KK) @ cols (Cg*KK x L)
          gemmNN(
            wd.data,
            wd.offset + gi * Og * Cg * KK,
            bData,
            bOff,
            out.typedArray,
            (n * O + gi * Og) * outPlane,
            Og,
            Cg * KK,
            outPlane,
          );
        }
      }
    }
  } else {
    const Cing = C / G;
    const Coutg = w.shape[1];
    O = Coutg * G;
    out = alloc([N, O, ...outSpatial], dtype);
    if (outPlane > 0 && N > 0 && O > 0) {
      // col2im's "image" is the output; its sliding positions are the input's
      const geo = window(outSpatial, kernel, inSpatial, a);
      const rows = Coutg * KK;
      const cols = new dtype.ArrayType(rows * inPlane);
      for (let n = 0; n < N; n++) {
        for (let gi = 0; gi < G; gi++) {
          // cols (Coutg*KK x HW) = W_g^T (Coutg*KK x Cing) @ x_g (Cing x HW)
          gemmTN(
            wd.data,
            wd.offset + gi * Cing * rows,
            xs.data,
            xs.offset + (n * C + gi * Cing) * inPlane,
            cols,
            0,
            rows,
            Cing,
            inPlane,
          );
          col2im(cols, Coutg, geo, out.typedArray, (n * O + gi * Coutg) * outPlane);
        }
      }
    }
  }
  if (b !== null && outPlane > 0 && !biased) {
    const bd = contiguousData(b);
    addChannelBias(out.typedArray, N * O, O, outPlane, bd.data, bd.offset);
  }
  return out;
}

/**
 * aten::convolution: `x` is [N, C, L] or [N, C, H, W]; `w` is [O, C/groups, *kernel] (transposed:
 * [C, O/groups, *kernel]); `b` is [O] or null. Recorded as ConvolutionBackward0.
 *
 * @example
 * const y = convolution(torch.randn(1, 1, 5, 5), torch.randn(2, 1, 3, 3), null, {
 *   stride: [1, 1], padding: [0, 0], dilation: [1, 1], transposed: false,
 *   outputPadding: [0, 0], groups: 1,
 * }); // shape [1, 2, 3, 3]
 */
export function convolution(x: Tensor, w: Tensor, b: Tensor | null, a: ConvArgs): Tensor {
  x = checkTensor(x, "convolution", "input", 0);
  w = checkTensor(w, "convolution", "weight", 1);
  if (x.dim() < 3 || x.dim() > 5) {
    throw runtimeError(
      `Expected 3D, 4D or 5D input to convolution, but got input of size: [${x.shape.join(", ")}]`,
    );
  }
  checkConv(x, w, b, a);
  const out = forward(x, w, b, a);
  if (anyNeedsGrad([x, w, b])) {
    record(
      "convolution",
      out,
      [x, w, b],
      { self: w.requiresGrad ? x : null, weight: w },
      {
        stride: a.stride.slice(),
        padding: a.padding.slice(),
        dilation: a.dilation.slice(),
        transposed: a.transposed,
        outputPadding: a.outputPadding.slice(),
        groups: a.groups,
      },
    );
  }
  return out;
}

/**
 * Input, weight and bias gradients of `convolution` from the output gradient `g`, written with
 * `convolution` and views (so they are differentiable again). Entries are null where `need`
 * says no.
 */
export function convolutionBackward(
  g: Tensor,
  x: Tensor | null,
  w: Tensor,
  inputShape: readonly number[],
  a: ConvArgs,
  need: readonly [boolean, boolean, boolean],
): [Tensor | null, Tensor | null, Tensor | null] {
  const k = inputShape.length - 2;
  const G = a.groups;
  const kernel = w.shape.slice(2);
  const inSpatial = inputShape.slice(2);
  const outSpatial = g.shape.slice(2);
  let gx: Tensor | null = null;
  if (need[0]) {
    if (!a.transposed) {
      // the adjoint of a convolution is the transposed convolution with the same arguments,
      // its output padding chosen to give back the input's size
      const op = inSpatial.map(
        (h, i) =>
          h -
          ((outSpatial[i] - 1) * a.stride[i] -
            2 * a.padding[i] +
            a.dilation[i] * (kernel[i] - 1) +
            1),
      );
      gx = convolution(g, w, null, { ...a, transposed: true, outputPadding: op });
    } else {
      gx = convolution(g, w, null, { ...a, transposed: false, outputPadding: a.outputPadding });
    }
  }
  let gw: Tensor | null = null;
  if (need[1] && x !== null && !isGradEnabled()) {
    gw = weightGrad(g, x, w.shape, a);
  } else if (need[1] && x !== null) {
    // the weight gradient is a convolution of the input with the output gradient, batch and
    // channel roles swapped (stride and dilation exchange places); groups stay groups
    const N = inputShape[0];
    const spatialDims = Array.from({ length: k }, (_, i) => 3 + i);
    // "input": [C/G (or Cout/G), G*N, *spatial] from x (or g for transposed)
    const src = a.transposed ? g : x;
    const perGroup = src.shape[1] / G;
    const inp = src
      .reshape([N, G, perGroup, ...src.shape.slice(2)])
      .permute([2, 1, 0, ...spatialDims])
      .reshape([perGroup, G * N, ...src.shape.slice(2)]);
    // "weight": [O (or Cin), N, *spatial] from g (or x)
    const wt = (a.transposed ? x : g).transpose(0, 1);
    let y = convolution(inp, wt, null, {
      stride: a.dilation.slice(),
      padding: a.padding.slice(),
      dilation: a.stride.slice(),
      transposed: false,
      outputPadding: a.outputPadding.map(() => 0),
      groups: G,
    });
    for (let i = 0; i < k; i++) {
      if (y.shape[2 + i] !== kernel[i]) y = y.narrow(2 + i, 0, kernel[i]);
    }
    gw = y.transpose(0, 1);
  }
  let gb: Tensor | null = null;
  if (need[2] && !isGradEnabled() && g.dtype.isFloatingPoint) {
    // no graph: one pass summing over batch and space (in double) instead of a general sum
    const gs = contiguousData(g);
    const O = g.shape[1];
    gb = alloc([O], g.dtype);
    channelSum(
      gs.data,
      gs.offset,
      g.shape[0],
      O,
      g.numel() / Math.max(g.shape[0] * O, 1),
      gb.typedArray,
    );
  } else if (need[2]) {
    gb = g.sum([0, ...Array.from({ length: k }, (_, i) => 2 + i)]);
  }
  return [gx, gw, gb];
}

/**
 * The weight gradient in one pass when no graph is recorded: for each image and group,
 * dW_g += g_g (Og x L) @ im2col(x_g)^T (transposed convolution: dW_g += x_g @ im2col(g_g)^T),
 * summed in double.
 */
function weightGrad(g: Tensor, x: Tensor, wShape: readonly number[], a: ConvArgs): Tensor {
  const N = x.shape[0];
  const G = a.groups;
  const kernel = wShape.slice(2);
  let KK = 1;
  for (const k of kernel) KK *= k;
  const gs = contiguousData(g);
  const xs = contiguousData(x);
  const inSpatial = x.shape.slice(2);
  const outSpatial = g.shape.slice(2);
  const inPlane = inSpatial.reduce((p, v) => p * v, 1);
  const outPlane = outSpatial.reduce((p, v) => p * v, 1);
  const C = x.shape[1];
  const O = g.shape[1];
  // rows: the factor multiplied from the left (g, or x for transposed); cols: im2col of the other
  const [lhs, lhsOff, lhsC, rhs, rhsOff, rhsC, geo, L] = a.transposed
    ? ([
        xs.data,
        xs.offset,
        C,
        gs.data,
        gs.offset,
        O,
        window(outSpatial, kernel, inSpatial, a),
        inPlane,
      ] as const)
    : ([
        gs.data,
        gs.offset,
        O,
        xs.data,
        xs.offset,
        C,
        window(inSpatial, kernel, outSpatial, a),
        outPlane,
      ] as const);
  const lhsPlane = a.transposed ? inPlane : outPlane;
  const rhsPlane = a.transposed ? outPlane : inPlane;
  const m = lhsC / G;
  const cg = rhsC / G;
  const out = alloc(wShape.slice(), g.dtype);
  // few taps per output: one native pass, no im2col matrix, products summed in double
  if (tryNativeConvWeightGrad(lhs, lhsOff, rhs, rhsOff, N, lhsC, rhsC, G, geo, out.typedArray)) {
    return out;
  }
  const cols = new g.dtype.ArrayType(cg * KK * L);
  const acc = new Float64Array(G * m * cg * KK);
  for (let n = 0; n < N; n++) {
    for (let gi = 0; gi < G; gi++) {
      im2col(rhs, rhsOff + (n * rhsC + gi * cg) * rhsPlane, cg, geo, cols);
      const sub = acc.subarray(gi * m * cg * KK, (gi + 1) * m * cg * KK);
      gemmNTAccumulate(lhs, lhsOff + (n * lhsC + gi * m) * lhsPlane, cols, 0, sub, m, L, cg * KK);
    }
  }
  // acc holds [G][m][cg*KK]: for a plain conv that is w's [O, C/G, *k]; for a transposed one
  // ([Cin, Cout/G, *k]) the same order, m = Cin/G rows per group
  for (let i = 0; i < acc.length; i++) out.typedArray[i] = acc[i];
  return out;
}
