/**
 * torch.nn.functional padding, resampling and vision functions (issue 11's "padding,
 * resampling and vision layers" family): F.pad (constant, reflect, replicate, circular),
 * F.interpolate / F.upsample* (nearest, nearest-exact, linear, bilinear, bicubic, trilinear,
 * area), pixel_shuffle / pixel_unshuffle, channel_shuffle, fold / unfold (col2im / im2col),
 * grid_sample and affine_grid.
 *
 * The ATen ops behind them (reflection_padNd, replication_padNd, upsample_*Nd and their
 * `_backward`s) are recording primitives here (PyTorch has them in torch._C._nn, which
 * tensorgrad does not expose): each forward and backward is one walk of the tap kernel of
 * src/backend/resample.ts, each backward op records its own derivative (the forward applied to
 * the incoming gradient), so higher derivatives follow PyTorch's graphs.
 */
import { Tensor } from "../../tensor.js";
import { float32, float64, int64, uint8, type DType } from "../../dtype.js";
import { alloc, contiguousData, scalarTypeName } from "../../ops/core.js";
import { enableGrad, isGradEnabled, noGrad } from "../../autograd/grad-mode.js";
import { resample, resampleBackward, type Taps } from "../../backend/resample.js";
import { col2im as col2imKernel, im2col as im2colKernel } from "../../backend/conv.js";
import type { Window2d } from "../../backend/window.js";
import { notImplementedError, runtimeError, valueError } from "../../errors.js";
import { defineOp, fn, getOp, recordingOp } from "../define.js";
import { zeros, linspace } from "../../ops/creation.js";
import { grad as autogradGrad } from "../../autograd/api.js";
import { formatPyFloat } from "../../print.js";
import { warn } from "./nn.js";
import { linear } from "../linear-jvp.js";

type Float = Float32Array | Float64Array;

/** `[a, b, c]` as C++'s IntArrayRef prints it in messages. */
const sizesStr = (s: readonly number[]): string => `[${s.join(", ")}]`;

/** Rounding to the dtype's precision (float32 arithmetic in ATen's float kernels). */
const rounder = (dt: DType): ((v: number) => number) =>
  dt === float64 ? (v: number) => v : Math.fround;

/** A contiguous float view of a tensor's elements: its array and offset. */
function floatData(t: Tensor): { data: Float; offset: number } {
  const { data, offset } = contiguousData(t);
  return { data: data as Float, offset };
}

/** Leading (non-resampled) element count: the product of all but the last k dims. */
const planesOf = (shape: readonly number[], k: number): number =>
  shape.slice(0, shape.length - k).reduce((a, b) => a * b, 1);

/** out = the tap walk of x over its last taps.length dims. */
function runTaps(x: Tensor, taps: Taps[]): Tensor {
  const k = taps.length;
  const shape = x.shape.slice(0, x.dim() - k).concat(taps.map((t) => t.outSize));
  const out = alloc(shape, x.dtype);
  if (out.numel() === 0) return out;
  const { data, offset } = floatData(x);
  resample(data, offset, planesOf(x.shape, k), taps, out.typedArray as Float);
  return out;
}

/** dx (of shape `inShape`) = the transposed tap walk of g. */
function runTapsBackward(g: Tensor, inShape: readonly number[], taps: Taps[]): Tensor {
  const k = taps.length;
  const dx = alloc(inShape.slice(), g.dtype);
  if (dx.numel() === 0 || g.numel() === 0) return dx;
  const { data, offset } = floatData(g);
  resampleBackward(data, offset, planesOf(inShape, k), taps, dx.typedArray as Float);
  return dx;
}

/** An index map as taps (one tap of weight 1 per output). */
function indexTaps(idx: Int32Array, inSize: number): Taps {
  return { idx, w: null, t: 1, inSize, outSize: idx.length };
}

// ---------------------------------------------------------------------------------------------
// reflection and replication padding

/**
 * ATen's reflection index for output j of a dim of size n padded by (l, r) (negative amounts
 * crop): the mirror image about the first / last element, shifted by the crop.
 */
function reflectTaps(n: number, l: number, r: number): Taps {
  const out = n + l + r;
  const iStart = Math.max(0, -l);
  const oStart = Math.max(0, l);
  const idx = new Int32Array(Math.max(out, 0));
  for (let j = 0; j < out; j++) {
    let ip: number;
    if (j < l) ip = l * 2 - j;
    else if (j < n + l) ip = j;
    else ip = (n + l - 1) * 2 - j;
    idx[j] = ip - oStart + iStart;
  }
  return indexTaps(idx, n);
}

/** ATen's replication index: the nearest edge element outside the input. */
function replicateTaps(n: number, l: number, r: number): Taps {
  const out = n + l + r;
  const iStart = Math.max(0, -l);
  const oStart = Math.max(0, l);
  const idx = new Int32Array(Math.max(out, 0));
  for (let j = 0; j < out; j++) {
    let ip: number;
    if (j < l) ip = l;
    else if (j < n + l) ip = j;
    else ip = n + l - 1;
    idx[j] = ip - oStart + iStart;
  }
  return indexTaps(idx, n);
}

/** The taps of the last k dims; padding[2i], padding[2i+1] pad the i-th dim from the last. */
function padTaps(shape: readonly number[], padding: readonly number[], reflect: boolean): Taps[] {
  const k = padding.length / 2;
  const taps: Taps[] = [];
  for (let d = 0; d < k; d++) {
    const i = k - 1 - d; // pair index of dim d (counted from the first padded dim)
    const n = shape[shape.length - k + d];
    taps.push((reflect ? reflectTaps : replicateTaps)(n, padding[2 * i], padding[2 * i + 1]));
  }
  return taps;
}

const DIM_LETTERS = ["D", "H", "W"];

/** A tensor as C++'s operator<< prints an empty one in messages: `[ torch.FloatTensor{1,0,3} ]`. */
const cppTensorStr = (x: Tensor): string =>
  `[ torch.${x.dtype === float64 ? "Double" : x.dtype === int64 ? "Long" : "Float"}Tensor{${x.shape.join(",")}} ]`;

/** ATen 1.13's shape checks of reflection_pad{k}d (its meta functions), in order. */
function checkReflectionPad(k: number, x: Tensor, p: readonly number[]): void {
  const nd = x.dim();
  const s = x.shape;
  if (k === 1) {
    if (!((nd === 2 && s[1] !== 0) || (nd === 3 && s[1] !== 0 && s[2] !== 0)))
      throw runtimeError(
        `2D or 3D (batch mode) tensor expected for input, but got: ${cppTensorStr(x)}`,
      );
  } else if (k === 2) {
    const valid = s[1] !== 0 && s[2] !== 0;
    if (!((nd === 3 && valid) || (nd === 4 && valid && s[3] !== 0)))
      throw runtimeError(
        `3D or 4D (batch mode) tensor expected for input, but got: ${cppTensorStr(x)}`,
      );
  } else {
    const valid = s[1] !== 0 && s[2] !== 0 && s[3] !== 0;
    if (!((nd === 4 && valid) || (nd === 5 && valid && s[4] !== 0)))
      throw runtimeError(
        `Expected 4D or 5D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ${sizesStr(s)}`,
      );
  }
  const outs: number[] = [];
  for (let i = 0; i < k; i++) {
    const dim = nd - 1 - i;
    const n = s[dim];
    const [l, r] = [p[2 * i], p[2 * i + 1]];
    // 1.13 prints the input's sizes, but its dimension count in the 2-d op's messages
    if (!(l < n && r < n))
      throw runtimeError(
        `Argument #${4 + 2 * i}: Padding size should be less than the corresponding input dimension, but got: padding (${l}, ${r}) at dimension ${dim} of input ${k === 2 ? nd : sizesStr(s)}`,
      );
    outs.push(n + l + r);
  }
  // the output must have one non-empty padded dim (1-d: the one), as 1.13's checks
  if (outs.every((o) => o < 1)) {
    const ins: number[] = [];
    for (let i = k - 1; i >= 0; i--) ins.push(s[nd - 1 - i]);
    const o = outs.slice().reverse();
    if (k === 1)
      throw runtimeError(`${nd - 1}input (W: ${ins[0]})is too small. Calculated output W: ${o[0]}`);
    if (k === 2)
      throw runtimeError(
        `input (H: ${ins[0]}, W: ${ins[1]} )is too small. Calculated output H: ${o[0]} W: ${o[1]}`,
      );
    throw runtimeError(
      `input (D: ${ins[0]} H: ${ins[1]}, W: ${ins[2]}) is too small. Calculated output D: ${o[0]} H: ${o[1]} W: ${o[2]}`,
    );
  }
}

/** ATen 1.13's shape checks of replication_pad{k}d (only the 1-d op checks the output size). */
function checkReplicationPad(k: number, x: Tensor, p: readonly number[]): void {
  const nd = x.dim();
  const s = x.shape;
  const lead = nd === k + 2 ? 1 : 0;
  const nonZero = s.slice(lead).every((v) => v !== 0);
  if (!((nd === k + 1 || nd === k + 2) && nonZero))
    throw runtimeError(
      `Expected ${k + 1}D or ${k + 2}D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ${sizesStr(s)}`,
    );
  if (k === 1) {
    const n = s[nd - 1];
    const o = n + p[0] + p[1];
    if (o < 1) throw runtimeError(`input (W: ${n}) is too small. Calculated output W: ${o}`);
  }
}

/** The float dtypes ATen's padding kernels dispatch over (float and double here). */
function checkFloat(name: string, x: Tensor): void {
  if (x.dtype !== float32 && x.dtype !== float64)
    throw runtimeError(`"${name}" not implemented for '${scalarTypeName(x.dtype)}'`);
}

/** reflection_pad{k}d / replication_pad{k}d and their backwards, as recording primitives. */
function padPair(
  kind: "reflection" | "replication",
  k: number,
): (x: Tensor, padding: number[]) => Tensor {
  const name = `${kind}_pad${k}d`;
  const node = `${kind === "reflection" ? "Reflection" : "Replication"}Pad${k}D`;
  const reflect = kind === "reflection";
  const check = reflect ? checkReflectionPad : checkReplicationPad;
  // eslint-disable-next-line prefer-const -- assigned once, after the forward that refers to it
  let forward: (x: Tensor, padding: number[]) => Tensor;
  const backward: (g: Tensor, self: Tensor, padding: number[]) => Tensor = recordingOp(
    `${name}_backward(Tensor grad_output, Tensor self, int[${2 * k}] padding) -> Tensor`,
    (g: Tensor, self: Tensor, padding: number[]) =>
      runTapsBackward(g, self.shape, padTaps(self.shape, padding, reflect)),
    {
      name: `${node}BackwardBackward0`,
      save: [],
      attrs: ["padding"],
      // the backward is linear in grad_output: its adjoint is the padding itself
      grad: (gg: Tensor, _s: object, a: { padding: number[] }) => [forward(gg, a.padding), null],
      jvp: (t, p, _r, a: { padding: number[] }): Tensor | null =>
        t.grad_output === null ? null : backward(t.grad_output, p.self, a.padding),
    },
  );
  forward = recordingOp(
    `${name}(Tensor self, int[${2 * k}] padding) -> Tensor`,
    (self: Tensor, padding: number[]) => {
      check(k, self, padding);
      checkFloat(name, self);
      return runTaps(self, padTaps(self.shape, padding, reflect));
    },
    {
      name: `${node}Backward0`,
      save: ["self"],
      attrs: ["padding"],
      grad: (g: Tensor, s: { self: Tensor }, a: { padding: number[] }) => [
        backward(g, s.self, a.padding),
      ],
      jvp: linear((t, a: { padding: number[] }) => forward(t, a.padding)),
    },
  );
  return forward;
}

const reflectionPad = [1, 2, 3].map((k) => padPair("reflection", k));
const replicationPad = [1, 2, 3].map((k) => padPair("replication", k));

/**
 * ATen's _pad_circular: the (cropped) input copied into the middle of a new tensor, then each
 * padded dim's borders copied from the opposite side, dim by dim (corners written again by
 * later dims), so the graph is PyTorch's chain of CopySlices.
 */
function padCircular(self: Tensor, padding: readonly number[]): Tensor {
  const inShape = self.shape;
  const ndim = inShape.length;
  const ndimPadded = padding.length / 2;
  const ndimNonpadded = ndim - ndimPadded;
  // 1.13 pads a batch of channels only: exactly two leading dims
  if (padding.length !== 2 * (ndim - 2))
    throw runtimeError(
      `Invalid padding size, expected ${2 * (ndim - 2)} but got ${padding.length}`,
    );
  const outShape = inShape.slice(0, ndimNonpadded);
  for (let i = 0; i < ndimPadded; i++) {
    const padL = padding[2 * (ndimPadded - i - 1)];
    const padR = padding[2 * (ndimPadded - i - 1) + 1];
    const size = inShape[ndimNonpadded + i];
    outShape.push(size + padL + padR);
    if (!(padL <= size && padR <= size))
      throw runtimeError("Padding value causes wrapping around more than once.");
    if (!(outShape[ndimNonpadded + i] >= 0))
      throw runtimeError("Negative padding value is resulting in an empty dimension");
  }
  const out = noGrad(() => self.newEmpty(outShape));
  let outSlice = out;
  let inSlice = self;
  for (let i = 0; i < ndimPadded; i++) {
    const dim = ndim - i - 1;
    const padL = padding[2 * i];
    const padR = padding[2 * i + 1];
    const o0 = Math.max(padL, 0);
    outSlice = outSlice.narrow(dim, o0, outShape[dim] - Math.max(padR, 0) - o0);
    const i0 = Math.max(-padL, 0);
    inSlice = inSlice.narrow(dim, i0, inShape[dim] - Math.max(-padR, 0) - i0);
  }
  outSlice.copy_(inSlice);
  for (let i = 0; i < ndimPadded; i++) {
    const dim = ndim - i - 1;
    const padL = padding[2 * i];
    const padR = padding[2 * i + 1];
    if (padL > 0)
      out
        .narrow(dim, 0, padL)
        .copy_(out.narrow(dim, outShape[dim] - padL - Math.max(padR, 0), padL));
    if (padR > 0)
      out.narrow(dim, outShape[dim] - padR, padR).copy_(out.narrow(dim, Math.max(padL, 0), padR));
  }
  return out;
}

/** ATen's pad / _pad_enum: constant_pad_nd, or the k-d padding op the pad length selects. */
function padForward(self: Tensor, pad: number[], mode: string, value: number | null): Tensor {
  if (mode !== "reflect" && mode !== "constant" && mode !== "replicate" && mode !== "circular")
    throw notImplementedError(`Unrecognised padding mode ${mode}`);
  const inputDim = self.dim();
  if (pad.length % 2 !== 0) throw runtimeError("Padding length must be divisible by 2");
  if (pad.length > inputDim * 2) throw runtimeError("Padding length too large");
  if (mode === "constant") return fn("constantPadNd")(self, pad, value ?? 0) as Tensor;
  if (value !== null && value !== 0)
    throw runtimeError(`Padding mode "${mode}" doesn't take in value argument`);
  const k = pad.length / 2;
  if (k >= 1 && k <= 3 && (inputDim === k + 1 || inputDim === k + 2)) {
    if (mode === "reflect") return reflectionPad[k - 1](self, pad);
    if (mode === "replicate") return replicationPad[k - 1](self, pad);
    return padCircular(self, pad);
  }
  throw notImplementedError(
    "Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now",
  );
}

defineOp({
  name: "pad",
  namespace: "nn.functional",
  variants: ["function"],
  doc: 'pad(x, pad, mode="constant", value=None): pads the last len(pad)/2 dims, pad listing (before, after) from the last dim; mode "constant", "reflect", "replicate" or "circular".',
  example:
    'F.pad(torch.tensor([[1, 2, 3]]), [2, 1], "reflect") // tensor([[3., 2., 1., 2., 3., 2.]])',
  overloads: [
    {
      schema: 'pad(Tensor self, int[] pad, str mode="constant", float? value=None) -> Tensor',
      forward: padForward,
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// upsampling

type Scales = (number | null)[];

/**
 * ATen's compute_scales_value<float|double>: 1/scale when a positive scale was given, else
 * in/out, in the op math type.
 */
function scalesValue(r: (v: number) => number, scale: number | null, inp: number, out: number) {
  return scale !== null && scale > 0 ? r(1.0 / scale) : r(r(inp) / out);
}

/** ATen's area_pixel_compute_scale. */
function areaScale(
  r: (v: number) => number,
  inp: number,
  out: number,
  alignCorners: boolean,
  scale: number | null,
): number {
  if (alignCorners) return out > 1 ? r((inp - 1) / (out - 1)) : 0;
  return scalesValue(r, scale, inp, out);
}

/** ATen's area_pixel_compute_source_index. */
function sourceIndex(
  r: (v: number) => number,
  scale: number,
  dst: number,
  alignCorners: boolean,
  cubic: boolean,
): number {
  if (alignCorners) return r(scale * dst);
  const src = r(scale * (dst + 0.5) - 0.5);
  return !cubic && src < 0 ? 0 : src;
}

/** Nearest (legacy: floor(o * scale)) or nearest-exact (floor((o + 0.5) * scale)) taps. */
function nearestTaps(inp: number, out: number, scale: number | null, exact: boolean): Taps {
  const idx = new Int32Array(out);
  const s = scalesValue(Math.fround, scale, inp, out);
  for (let o = 0; o < out; o++) {
    if (!exact && out === inp) idx[o] = o;
    else if (!exact && out === 2 * inp) idx[o] = o >> 1;
    else if (exact) idx[o] = Math.min(Math.floor(Math.fround((o + 0.5) * s)), inp - 1);
    else idx[o] = Math.min(Math.floor(Math.fround(o * s)), inp - 1);
  }
  return indexTaps(idx, inp);
}

/** ATen's guard_index_and_lambda: the floor index (at most in-1) and the clamped fraction. */
function guard(r: (v: number) => number, real: number, inp: number): [number, number] {
  const i = Math.min(Math.floor(real), inp - 1);
  return [i, Math.min(Math.max(r(real - i), 0), 1)];
}

/** Linear taps (ATen's compute_source_index_and_lambda): two neighbours and their weights. */
function linearTaps(
  r: (v: number) => number,
  inp: number,
  out: number,
  alignCorners: boolean,
  scale: number | null,
): Taps {
  const idx = new Int32Array(out * 2);
  const w = new Float64Array(out * 2);
  const s = areaScale(r, inp, out, alignCorners, scale);
  for (let o = 0; o < out; o++) {
    if (out === inp) {
      idx[2 * o] = o;
      idx[2 * o + 1] = o;
      w[2 * o] = 1;
      w[2 * o + 1] = 0;
      continue;
    }
    const [i0, l1] = guard(r, sourceIndex(r, s, o, alignCorners, false), inp);
    idx[2 * o] = i0;
    idx[2 * o + 1] = i0 + (i0 < inp - 1 ? 1 : 0);
    w[2 * o] = r(1 - l1);
    w[2 * o + 1] = l1;
  }
  return { idx, w, t: 2, inSize: inp, outSize: out };
}

/** Bicubic taps: four clamped neighbours, Keys' cubic convolution with A = -0.75. */
function cubicTaps(
  r: (v: number) => number,
  inp: number,
  out: number,
  alignCorners: boolean,
  scale: number | null,
): Taps {
  const A = -0.75;
  // cubic_convolution1 on |x| <= 1, cubic_convolution2 on 1 < |x| < 2
  const c1 = (x: number) => r(r(r(r(r((A + 2) * x) - (A + 3)) * x) * x) + 1);
  const c2 = (x: number) => r(r(r(r(r(r(A * x) - 5 * A) * x) + 8 * A) * x) - 4 * A);
  const idx = new Int32Array(out * 4);
  const w = new Float64Array(out * 4);
  const s = areaScale(r, inp, out, alignCorners, scale);
  for (let o = 0; o < out; o++) {
    const [i, t] = guard(r, sourceIndex(r, s, o, alignCorners, true), inp);
    const coeffs = [c2(r(t + 1)), c1(t), c1(r(1 - t)), c2(r(r(1 - t) + 1))];
    for (let j = 0; j < 4; j++) {
      idx[4 * o + j] = Math.min(Math.max(i - 1 + j, 0), inp - 1);
      w[4 * o + j] = coeffs[j];
    }
  }
  return { idx, w, t: 4, inSize: inp, outSize: out };
}

type UpMode = "nearest" | "nearest_exact" | "linear" | "cubic";

/** The taps of an upsampling of `inShape`'s last k dims to `osize`. */
function upsampleTaps(
  mode: UpMode,
  dt: DType,
  inShape: readonly number[],
  osize: readonly number[],
  alignCorners: boolean,
  scales: Scales,
): Taps[] {
  const r = rounder(dt);
  const k = osize.length;
  return osize.map((out, d) => {
    const inp = inShape[inShape.length - k + d];
    const sc = scales[d] ?? null;
    if (mode === "nearest" || mode === "nearest_exact")
      return nearestTaps(inp, out, sc, mode === "nearest_exact");
    if (mode === "linear") return linearTaps(r, inp, out, alignCorners, sc);
    return cubicTaps(r, inp, out, alignCorners, sc);
  });
}

/** ATen's upsample::compute_output_size for the .vec overloads. */
function computeOutputSize(
  inShape: readonly number[],
  outputSize: number[] | null,
  scaleFactors: number[] | null,
): number[] {
  const spatial = inShape.length - 2;
  if (outputSize !== null) {
    if (scaleFactors !== null)
      throw runtimeError("Must specify exactly one of output_size and scale_factors");
    if (outputSize.length !== spatial) throw runtimeError(`Expected ${spatial} output sizes`);
    return outputSize;
  }
  if (scaleFactors !== null) {
    if (scaleFactors.length !== spatial) throw runtimeError(`Expected ${spatial} scale factors`);
    return scaleFactors.map((s, i) => Math.trunc(inShape[i + 2] * s));
  }
  throw runtimeError("Must specify exactly one of output_size and scale_factors");
}

/** ATen's upsample_{1,2,3}d_common_check (and the non-empty check of the forwards). */
function upsampleCheck(k: number, inShape: readonly number[], osize: readonly number[]): void {
  if (osize.length !== k)
    throw runtimeError(`It is expected output_size equals to ${k}, but got size ${osize.length}`);
  if (inShape.length !== k + 2)
    throw runtimeError(
      `It is expected input_size equals to ${k + 2}, but got size ${inShape.length}`,
    );
  const names = DIM_LETTERS.slice(3 - k);
  const ins = inShape.slice(2);
  if (!(ins.every((v) => v > 0) && osize.every((v) => v > 0)))
    throw runtimeError(
      `Input and output sizes should be greater than 0, but got input (${names.map((n, i) => `${n}: ${ins[i]}`).join(", ")}) output (${names.map((n, i) => `${n}: ${osize[i]}`).join(", ")})`,
    );
}

const UP_NAMES: Record<string, string> = {
  nearest: "UpsampleNearest",
  nearest_exact: "UpsampleNearestExact",
  linear: "UpsampleLinear",
  bilinear: "UpsampleBilinear",
  bicubic: "UpsampleBicubic",
  trilinear: "UpsampleTrilinear",
};

type UpsampleFn = (
  input: Tensor,
  outputSize: number[] | null,
  alignCorners: boolean,
  scaleFactors: number[] | null,
) => Tensor;

/**
 * upsample_<mode><k>d.vec and its backward as recording primitives (the aligned-corners flag is
 * ignored by the nearest modes, whose schemas have none).
 */
function upsamplePair(aten: string, k: number, mode: UpMode): UpsampleFn {
  const interp = mode === "linear" || mode === "cubic";
  const node = `${UP_NAMES[aten.replace(/^_?upsample_/, "").replace(/\dd$/, "")]}${k}D`;
  const name = aten;
  const scalesOf = (sf: number[] | null): Scales =>
    new Array<number | null>(k).fill(null).map((_v, i) => (sf === null ? null : sf[i]));
  // eslint-disable-next-line prefer-const -- assigned once, after the backward that refers to it
  let forward: UpsampleFn;
  const bwdImpl = (
    g: Tensor,
    outputSize: number[] | null,
    inputSize: number[],
    alignCorners: boolean,
    scaleFactors: number[] | null,
  ): Tensor => {
    const osize = computeOutputSize(inputSize, outputSize, scaleFactors);
    upsampleCheck(k, inputSize, osize);
    if (g.dim() !== k + 2 || g.shape.slice(2).join() !== osize.join())
      throw runtimeError(
        `Expected grad_output to have the same shape as output; output.size(${2}) = ${osize[0]} but got grad_output.size(${2}) = ${g.shape[2]}`,
      );
    const taps = upsampleTaps(
      mode,
      g.dtype,
      inputSize,
      osize,
      alignCorners,
      scalesOf(scaleFactors),
    );
    return runTapsBackward(g, inputSize, taps);
  };
  const bwdSchema = interp
    ? `${name}_backward.vec(Tensor grad_output, SymInt[]? output_size, SymInt[] input_size, bool align_corners, float[]? scale_factors) -> Tensor`
    : `${name}_backward.vec(Tensor grad_output, SymInt[]? output_size, SymInt[] input_size, float[]? scale_factors) -> Tensor`;
  const bwdAttrs = interp
    ? ["output_size", "align_corners", "scale_factors"]
    : ["output_size", "scale_factors"];
  type A = {
    output_size: number[] | null;
    align_corners?: boolean;
    scale_factors: number[] | null;
  };
  const bwdRaw = recordingOp(
    bwdSchema,
    interp
      ? bwdImpl
      : (g: Tensor, o: number[] | null, i: number[], s: number[] | null) =>
          bwdImpl(g, o, i, false, s),
    {
      name: `${node}BackwardBackward1`,
      save: [],
      attrs: bwdAttrs,
      grad: (gg: Tensor, _s: object, a: A) => [
        forward(gg, a.output_size, a.align_corners ?? false, a.scale_factors),
      ],
      jvp: (t, _p, r: Tensor, a: A) =>
        t.grad_output === null
          ? null
          : backward(
              t.grad_output,
              a.output_size,
              r.shape,
              a.align_corners ?? false,
              a.scale_factors,
            ),
    },
  ) as (...args: unknown[]) => Tensor;
  const backward = (
    g: Tensor,
    o: number[] | null,
    i: readonly number[],
    alignCorners: boolean,
    s: number[] | null,
  ): Tensor => (interp ? bwdRaw(g, o, i.slice(), alignCorners, s) : bwdRaw(g, o, i.slice(), s));
  const fwdImpl = (
    input: Tensor,
    outputSize: number[] | null,
    alignCorners: boolean,
    scaleFactors: number[] | null,
  ): Tensor => {
    const osize = computeOutputSize(input.shape, outputSize, scaleFactors);
    upsampleCheck(k, input.shape, osize);
    if (!(input.numel() !== 0 || input.shape.slice(1).reduce((a, b) => a * b, 1) !== 0))
      throw runtimeError(
        `Non-empty ${k + 2}D data tensor expected but got a tensor with sizes ${sizesStr(input.shape)}`,
      );
    // ATen's nearest kernels also take uint8 (images); a nearest tap copies one value
    if (!(mode.startsWith("nearest") && input.dtype === uint8)) checkFloat(name, input);
    const taps = upsampleTaps(
      mode,
      input.dtype,
      input.shape,
      osize,
      alignCorners,
      scalesOf(scaleFactors),
    );
    return runTaps(input, taps);
  };
  const fwdSchema = interp
    ? `${name}.vec(Tensor input, SymInt[]? output_size, bool align_corners, float[]? scale_factors) -> Tensor`
    : `${name}.vec(Tensor input, SymInt[]? output_size, float[]? scale_factors) -> Tensor`;
  const fwdRaw = recordingOp(
    fwdSchema,
    interp
      ? fwdImpl
      : (x: Tensor, o: number[] | null, s: number[] | null) => fwdImpl(x, o, false, s),
    {
      name: `${node}Backward1`,
      save: [],
      attrs: interp
        ? ["output_size", "align_corners", "scale_factors"]
        : ["output_size", "scale_factors"],
      grad: (g: Tensor, _s: object, a: A, n) => [
        backward(g, a.output_size, n.inputShape(0), a.align_corners ?? false, a.scale_factors),
      ],
      jvp: (t, _p, _r, a: A) =>
        t.input === null
          ? null
          : forward(t.input, a.output_size, a.align_corners ?? false, a.scale_factors),
    },
  ) as (...args: unknown[]) => Tensor;
  forward = (x, o, alignCorners, s) => (interp ? fwdRaw(x, o, alignCorners, s) : fwdRaw(x, o, s));
  return forward;
}

const UPSAMPLE: Record<string, UpsampleFn> = {
  nearest1: upsamplePair("upsample_nearest1d", 1, "nearest"),
  nearest2: upsamplePair("upsample_nearest2d", 2, "nearest"),
  nearest3: upsamplePair("upsample_nearest3d", 3, "nearest"),
  "nearest-exact1": upsamplePair("_upsample_nearest_exact1d", 1, "nearest_exact"),
  "nearest-exact2": upsamplePair("_upsample_nearest_exact2d", 2, "nearest_exact"),
  "nearest-exact3": upsamplePair("_upsample_nearest_exact3d", 3, "nearest_exact"),
  linear1: upsamplePair("upsample_linear1d", 1, "linear"),
  bilinear2: upsamplePair("upsample_bilinear2d", 2, "linear"),
  trilinear3: upsamplePair("upsample_trilinear3d", 3, "linear"),
  bicubic2: upsamplePair("upsample_bicubic2d", 2, "cubic"),
};

/** Python's repr of a list of ints. */
const pyIntList = (v: readonly number[]): string => `[${v.join(", ")}]`;
/** Python's repr of a list of scale factors (floats). */
const pyFloatList = (v: readonly number[]): string => `[${v.map(formatPyFloat).join(", ")}]`;

/** Python's `float(x)` repr for a scale factor that is a float in Python. */
const isList = (v: unknown): v is number[] => Array.isArray(v);

/** F.interpolate, step by step as torch/nn/functional.py 1.13. */
function interpolate(
  input: Tensor,
  size: number | number[] | null,
  scaleFactor: number | number[] | null,
  mode: string,
  alignCorners: boolean | null,
  recomputeScaleFactor: boolean | null,
  antialias: boolean,
): Tensor {
  if (mode === "nearest" || mode === "area" || mode === "nearest-exact") {
    if (alignCorners !== null)
      throw valueError(
        "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear",
      );
  } else if (alignCorners === null) alignCorners = false;
  const dim = input.dim() - 2;
  let outputSize: number[] | null = null;
  let scaleFactors: number[] | null = null;
  if (size !== null && scaleFactor !== null)
    throw valueError("only one of size or scale_factor should be defined");
  else if (size !== null) {
    if (isList(size)) {
      if (size.length !== dim)
        throw valueError(
          `Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of ${pyIntList(input.shape.slice(2))} and output size of ${pyIntList(size)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.`,
        );
      outputSize = size.slice();
    } else outputSize = new Array<number>(Math.max(dim, 0)).fill(size);
  } else if (scaleFactor !== null) {
    if (isList(scaleFactor)) {
      if (scaleFactor.length !== dim)
        throw valueError(
          `Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of ${pyIntList(input.shape.slice(2))} and scale_factor of shape ${pyFloatList(scaleFactor)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.`,
        );
      scaleFactors = scaleFactor.slice();
    } else scaleFactors = new Array<number>(Math.max(dim, 0)).fill(scaleFactor);
  } else throw valueError("either size or scale_factor should be defined");
  if (recomputeScaleFactor === true && size !== null)
    throw valueError("recompute_scale_factor is not meaningful with an explicit size.");
  if (mode === "area" && outputSize === null) recomputeScaleFactor = true;
  if (recomputeScaleFactor === true) {
    const sf = scaleFactors as number[];
    outputSize = sf.map((s, i) => Math.floor(input.shape[i + 2] * s));
    scaleFactors = null;
  }
  if (antialias && !((mode === "bilinear" || mode === "bicubic") && input.dim() === 4))
    throw valueError("Anti-alias option is only supported for bilinear and bicubic modes");
  if (antialias)
    throw notImplementedError(
      "interpolate(antialias=True) is not supported by tensorgrad (only antialias=False)",
    );
  const nd = input.dim();
  const ac = alignCorners ?? false;
  if (mode === "nearest" || mode === "nearest-exact") {
    if (nd >= 3 && nd <= 5)
      return UPSAMPLE[`${mode}${nd - 2}`](input, outputSize, ac, scaleFactors);
  }
  if (mode === "area" && nd >= 3 && nd <= 5) {
    // adaptive average pooling (F.adaptive_avg_pool{1,2,3}d, looked up when called: the 3-d
    // one belongs to the pooling family)
    const f = ["adaptiveAvgPool1d", "adaptiveAvgPool2d", "adaptiveAvgPool3d"][nd - 3];
    if (getOp(f, "nn.functional") === undefined)
      throw notImplementedError(`interpolate(mode="area") of a ${nd}D input needs F.${f}`);
    return fn(f, "nn.functional")(input, outputSize) as Tensor;
  }
  if (nd === 3 && mode === "linear") return UPSAMPLE.linear1(input, outputSize, ac, scaleFactors);
  if (nd === 4 && mode === "bilinear")
    return UPSAMPLE.bilinear2(input, outputSize, ac, scaleFactors);
  if (nd === 5 && mode === "trilinear")
    return UPSAMPLE.trilinear3(input, outputSize, ac, scaleFactors);
  if (nd === 4 && mode === "bicubic") return UPSAMPLE.bicubic2(input, outputSize, ac, scaleFactors);
  const need: Record<string, number> = { linear: 3, bilinear: 4, trilinear: 5 };
  if (nd >= 3 && nd <= 5 && mode in need && need[mode] !== nd)
    throw notImplementedError(`Got ${nd}D input, but ${mode} mode needs ${need[mode]}D input`);
  throw notImplementedError(
    `Input Error: Only 3D, 4D and 5D input Tensors supported (got ${nd}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got ${mode})`,
  );
}

const SIZE_TYPE = "number | readonly number[] | null";

defineOp({
  name: "interpolate",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  untyped: ["size", "scale_factor"],
  tsTypes: { size: SIZE_TYPE, scale_factor: SIZE_TYPE },
  doc: 'interpolate(x, size, scale_factor, mode="nearest", align_corners, recompute_scale_factor, antialias=False): resamples the spatial dims ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area").',
  example:
    'F.interpolate(torch.tensor([[[1., 2.]]]), { scaleFactor: 2, mode: "linear" }) // tensor([[[1.0000, 1.2500, 1.7500, 2.0000]]])',
  overloads: [
    {
      schema:
        'interpolate(Tensor input, Scalar? size=None, Scalar? scale_factor=None, str mode="nearest", bool? align_corners=None, bool? recompute_scale_factor=None, bool antialias=False) -> Tensor',
      forward: interpolate,
    },
  ],
});

defineOp({
  name: "upsample",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  untyped: ["size", "scale_factor"],
  tsTypes: { size: SIZE_TYPE, scale_factor: SIZE_TYPE },
  doc: "upsample(x, size, scale_factor, mode, align_corners): deprecated alias of interpolate.",
  example: "F.upsample(torch.ones(1, 1, 2), { scaleFactor: 2 }).shape // [1, 1, 4]",
  overloads: [
    {
      schema:
        'upsample(Tensor input, Scalar? size=None, Scalar? scale_factor=None, str mode="nearest", bool? align_corners=None) -> Tensor',
      forward: (
        input: Tensor,
        size: number | number[] | null,
        scaleFactor: number | number[] | null,
        mode: string,
        alignCorners: boolean | null,
      ) => {
        warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.");
        return interpolate(input, size, scaleFactor, mode, alignCorners, null, false);
      },
    },
  ],
});

for (const [name, mode] of [
  ["upsample_nearest", "nearest"],
  ["upsample_bilinear", "bilinear"],
] as const) {
  defineOp({
    name,
    namespace: "nn.functional",
    python: true,
    variants: ["function"],
    untyped: ["size", "scale_factor"],
    tsTypes: { size: SIZE_TYPE, scale_factor: SIZE_TYPE },
    doc: `${name}(x, size, scale_factor): deprecated; interpolate with mode="${mode}"${mode === "bilinear" ? " and align_corners=True" : ""}.`,
    example: `F.${mode === "nearest" ? "upsampleNearest" : "upsampleBilinear"}(torch.ones(1, 1, 2, 2), { scaleFactor: 2 }).shape // [1, 1, 4, 4]`,
    overloads: [
      {
        schema: `${name}(Tensor input, Scalar? size=None, Scalar? scale_factor=None) -> Tensor`,
        forward: (
          input: Tensor,
          size: number | number[] | null,
          scaleFactor: number | number[] | null,
        ) => {
          warn(`nn.functional.${name} is deprecated. Use nn.functional.interpolate instead.`);
          return interpolate(
            input,
            size,
            scaleFactor,
            mode,
            mode === "bilinear" ? true : null,
            null,
            false,
          );
        },
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// pixel shuffle, channel shuffle

/** [*, C*r*r, H, W] -> [*, C, H*r, W*r] (reshape, permute, copy). */
function pixelShuffleImpl(self: Tensor, r: number): Tensor {
  if (self.dim() < 3)
    throw runtimeError(
      `pixel_shuffle expects input to have at least 3 dimensions, but got input with ${self.dim()} dimension(s)`,
    );
  if (r <= 0) throw runtimeError(`pixel_shuffle expects a positive upscale_factor, but got ${r}`);
  const nd = self.dim();
  const c = self.shape[nd - 3];
  if (c % (r * r) !== 0)
    throw runtimeError(
      `pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=${c} is not divisible by ${r * r}`,
    );
  const lead = self.shape.slice(0, nd - 3);
  const [h, w] = [self.shape[nd - 2], self.shape[nd - 1]];
  const oc = c / (r * r);
  const b = lead.length;
  return noGrad(() =>
    self
      .reshape([...lead, oc, r, r, h, w])
      .permute([...lead.map((_v, i) => i), b, b + 3, b + 1, b + 4, b + 2])
      .reshape([...lead, oc, h * r, w * r])
      .contiguous(),
  );
}

/** [*, C, H*r, W*r] -> [*, C*r*r, H, W]. */
function pixelUnshuffleImpl(self: Tensor, r: number): Tensor {
  if (self.dim() < 3)
    throw runtimeError(
      `pixel_unshuffle expects input to have at least 3 dimensions, but got input with ${self.dim()} dimension(s)`,
    );
  if (r <= 0)
    throw runtimeError(`pixel_unshuffle expects a positive downscale_factor, but got ${r}`);
  const nd = self.dim();
  const [c, h, w] = self.shape.slice(nd - 3);
  if (h % r !== 0)
    throw runtimeError(
      `pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)=${h} is not divisible by ${r}`,
    );
  if (w % r !== 0)
    throw runtimeError(
      `pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)=${w} is not divisible by ${r}`,
    );
  const lead = self.shape.slice(0, nd - 3);
  const b = lead.length;
  const [oh, ow] = [h / r, w / r];
  return noGrad(() =>
    self
      .reshape([...lead, c, oh, r, ow, r])
      .permute([...lead.map((_v, i) => i), b, b + 2, b + 4, b + 1, b + 3])
      .reshape([...lead, c * r * r, oh, ow])
      .contiguous(),
  );
}

// eslint-disable-next-line prefer-const -- assigned once, after pixelShuffle that refers to it
let pixelUnshuffle: (x: Tensor, r: number) => Tensor;
const pixelShuffle: (x: Tensor, r: number) => Tensor = recordingOp(
  "pixel_shuffle(Tensor self, int upscale_factor) -> Tensor",
  pixelShuffleImpl,
  {
    name: "PixelShuffleBackward0",
    save: [],
    attrs: ["upscale_factor"],
    grad: (g: Tensor, _s: object, a: { upscale_factor: number }) => [
      pixelUnshuffle(g, a.upscale_factor),
    ],
    jvp: linear((t, a: { upscale_factor: number }) => pixelShuffle(t, a.upscale_factor)),
  },
);
pixelUnshuffle = recordingOp(
  "pixel_unshuffle(Tensor self, int downscale_factor) -> Tensor",
  pixelUnshuffleImpl,
  {
    name: "PixelUnshuffleBackward0",
    save: [],
    attrs: ["downscale_factor"],
    grad: (g: Tensor, _s: object, a: { downscale_factor: number }) => [
      pixelShuffle(g, a.downscale_factor),
    ],
    jvp: linear((t, a: { downscale_factor: number }) => pixelUnshuffle(t, a.downscale_factor)),
  },
);

/** ATen's channel_shuffle checks and the shuffle [N, g, C/g, *] -> [N, C/g, g, *]. */
function channelShuffle(self: Tensor, groups: number): Tensor {
  if (self.dim() <= 2)
    throw runtimeError(
      `channel_shuffle expects input with > 2 dims, but got input with sizes ${sizesStr(self.shape)}`,
    );
  if (groups <= 0)
    throw runtimeError(
      `Number of groups to divide channels in must be positive. Value of groups:${groups}`,
    );
  const c = self.shape[1];
  if (c % groups !== 0)
    throw runtimeError(
      `Number of channels must be divisible by groups. Got ${c} channels and ${groups} groups.`,
    );
  const n = self.shape[0];
  const rest = self.shape.slice(2);
  return self
    .reshape([n, groups, c / groups, ...rest])
    .transpose(1, 2)
    .reshape(self.shape.slice())
    .contiguous();
}

for (const ns of ["torch", "nn.functional"] as const) {
  defineOp({
    name: "pixel_shuffle",
    namespace: ns,
    variants: ["function"],
    doc: "pixel_shuffle(x, r): [*, C*r², H, W] -> [*, C, H*r, W*r] (sub-pixel convolution's rearrangement).",
    example:
      "F.pixelShuffle(torch.arange(4, { dtype: torch.float32 }).view(1, 4, 1, 1), 2) // tensor([[[[0., 1.], [2., 3.]]]])",
    overloads: [
      {
        schema: "pixel_shuffle(Tensor self, int upscale_factor) -> Tensor",
        forward: (self: Tensor, r: number) => pixelShuffle(self, r),
      },
    ],
  });
  defineOp({
    name: "pixel_unshuffle",
    namespace: ns,
    variants: ["function"],
    doc: "pixel_unshuffle(x, r): [*, C, H*r, W*r] -> [*, C*r², H, W], the inverse of pixel_shuffle.",
    example: "F.pixelUnshuffle(torch.arange(4.).view(1, 1, 2, 2), 2).shape // [1, 4, 1, 1]",
    overloads: [
      {
        schema: "pixel_unshuffle(Tensor self, int downscale_factor) -> Tensor",
        forward: (self: Tensor, r: number) => pixelUnshuffle(self, r),
      },
    ],
  });
  defineOp({
    name: "channel_shuffle",
    namespace: ns,
    variants: ["function"],
    doc: "channel_shuffle(x, groups): [N, g*k, *] -> channels reordered as [N, k, g, *] (ShuffleNet).",
    example:
      "F.channelShuffle(torch.arange(4, { dtype: torch.float32 }).view(1, 4, 1), 2).flatten() // tensor([0., 2., 1., 3.])",
    overloads: [
      { schema: "channel_shuffle(Tensor self, int groups) -> Tensor", forward: channelShuffle },
    ],
  });
}
defineOp({
  name: "native_channel_shuffle",
  variants: ["function"],
  doc: "native_channel_shuffle(x, groups): channel_shuffle's kernel.",
  example:
    "torch.nativeChannelShuffle(torch.arange(4, { dtype: torch.float32 }).view(1, 4, 1), 2).flatten() // tensor([0., 2., 1., 3.])",
  overloads: [
    {
      schema: "native_channel_shuffle(Tensor self, int groups) -> Tensor",
      forward: channelShuffle,
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// fold / unfold (col2im / im2col)

/** C++'s div_rtn (division rounding towards negative infinity). */
const divRtn = (a: number, b: number): number => Math.floor(a / b);

function checkWindowArgs(k: number[], d: number[], p: number[], s: number[], col: boolean): void {
  const kc = () => {
    if (!(k[1] > 0 && k[0] > 0))
      throw runtimeError(
        `kernel size should be greater than zero, but got kernel_height: ${k[0]} kernel_width: ${k[1]}`,
      );
  };
  const dc = () => {
    if (!(d[1] > 0 && d[0] > 0))
      throw runtimeError(
        `dilation should be greater than zero, but got dilation_height: ${d[0]} dilation_width: ${d[1]}`,
      );
  };
  const pc = () => {
    if (!(p[1] >= 0 && p[0] >= 0))
      throw runtimeError(
        `padding should be non-negative, but got pad_height: ${p[0]} pad_width: ${p[1]}`,
      );
  };
  const sc = () => {
    if (!(s[1] > 0 && s[0] > 0))
      throw runtimeError(
        `stride should be greater than zero, but got stride_height: ${s[0]} stride_width: ${s[1]}`,
      );
  };
  if (col) [kc, sc, dc, pc].forEach((f) => f());
  else [kc, dc, pc, sc].forEach((f) => f());
}

const pairStr = (v: number[]): string => `(${v[0]}, ${v[1]})`;

function im2colImpl(self: Tensor, k: number[], d: number[], p: number[], s: number[]): Tensor {
  checkWindowArgs(k, d, p, s, false);
  // ATen reads input.size(1) and input.size(2) first (IndexError for fewer dims)
  self.size(1);
  self.size(2);
  const nd = self.dim();
  const sh = self.shape;
  const valid = sh[1] !== 0 && sh[2] !== 0;
  if (!((nd === 3 && sh[0] !== 0 && valid) || (nd === 4 && valid && sh[3] !== 0)))
    throw runtimeError(
      `Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ${sizesStr(sh)}`,
    );
  const batched = nd === 4;
  const x = batched ? self : self.unsqueeze(0);
  const [n, c, h, w] = x.shape;
  const oh = divRtn(h + 2 * p[0] - (d[0] * (k[0] - 1) + 1), s[0]) + 1;
  const ow = divRtn(w + 2 * p[1] - (d[1] * (k[1] - 1) + 1), s[1]) + 1;
  if (oh < 1 || ow < 1)
    throw runtimeError(
      `Given input with spatial size (${h}, ${h}), kernel_size=${pairStr(k)}, dilation=${pairStr(d)}, padding=${pairStr(p)}, calculated shape of the array of sliding blocks as (${oh}, ${ow}), but its components must be at least one.`,
    );
  const geo: Window2d = {
    h,
    w,
    kh: k[0],
    kw: k[1],
    sh: s[0],
    sw: s[1],
    ph: p[0],
    pw: p[1],
    dh: d[0],
    dw: d[1],
    oh,
    ow,
  };
  const rows = c * k[0] * k[1];
  const L = oh * ow;
  const out = alloc([n, rows, L], x.dtype);
  const { data, offset } = contiguousData(x);
  const o = out.typedArray;
  for (let b = 0; b < n; b++)
    im2colKernel(
      data,
      offset + b * c * h * w,
      c,
      geo,
      o.subarray(b * rows * L, (b + 1) * rows * L),
    );
  return batched ? out : out.squeeze(0);
}

function col2imImpl(
  self: Tensor,
  outputSize: number[],
  k: number[],
  d: number[],
  p: number[],
  s: number[],
): Tensor {
  checkWindowArgs(k, d, p, s, true);
  const nd = self.dim();
  const sh = self.shape;
  if (!((nd === 2 && sh[0] !== 0 && sh[1] !== 0) || (nd === 3 && sh[1] !== 0 && sh[2] !== 0)))
    throw runtimeError(
      `Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: ${sizesStr(sh)}`,
    );
  const batched = nd === 3;
  const x = batched ? self : self.unsqueeze(0);
  const [n, planes, len] = x.shape;
  if (planes % (k[0] * k[1]) !== 0)
    throw runtimeError(
      `Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=${planes} and kernel_size=${pairStr(k)}.`,
    );
  const [h, w] = outputSize;
  const bh = divRtn(h + 2 * p[0] - d[0] * (k[0] - 1) - 1, s[0]) + 1;
  const bw = divRtn(w + 2 * p[1] - d[1] * (k[1] - 1) - 1, s[1]) + 1;
  const desc = `Given output_size=${pairStr(outputSize)}, kernel_size=${pairStr(k)}, dilation=${pairStr(d)}, padding=${pairStr(p)}, stride=${pairStr(s)}`;
  if (len !== bh * bw)
    throw runtimeError(
      `${desc}, expected size of input's dimension 2 to match the calculated number of sliding blocks ${bh} * ${bw} = ${bh * bw}, but got input.size(2)=${len}.`,
    );
  if (!(bh >= 1 && bw >= 1))
    throw runtimeError(
      `${desc}, calculated shape of the array of sliding blocks as (${bh}, ${bw}), which is too small (non-positive)`,
    );
  const c = planes / (k[0] * k[1]);
  const geo: Window2d = {
    h,
    w,
    kh: k[0],
    kw: k[1],
    sh: s[0],
    sw: s[1],
    ph: p[0],
    pw: p[1],
    dh: d[0],
    dw: d[1],
    oh: bh,
    ow: bw,
  };
  const out = alloc([n, c, h, w], x.dtype);
  const { data, offset } = contiguousData(x);
  const o = out.typedArray;
  for (let b = 0; b < n; b++) {
    const cols = data.subarray(offset + b * planes * len, offset + (b + 1) * planes * len);
    col2imKernel(cols, c, geo, o, b * c * h * w);
  }
  return batched ? out : out.squeeze(0);
}

type W4 = { kernel_size: number[]; dilation: number[]; padding: number[]; stride: number[] };
// eslint-disable-next-line prefer-const -- assigned once, after im2col that refers to it
let col2im: (x: Tensor, o: number[], k: number[], d: number[], p: number[], s: number[]) => Tensor;
const im2col: (x: Tensor, k: number[], d: number[], p: number[], s: number[]) => Tensor =
  recordingOp(
    "im2col(Tensor self, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride) -> Tensor",
    im2colImpl,
    {
      name: "Im2ColBackward0",
      save: [],
      attrs: ["kernel_size", "dilation", "padding", "stride"],
      // the adjoint of im2col is col2im onto the input's spatial size
      grad: (g: Tensor, _s: object, a: W4, node) => {
        const shape = node.inputShape(0);
        const hw = shape.slice(shape.length - 2);
        return [col2im(g, hw, a.kernel_size, a.dilation, a.padding, a.stride)];
      },
      jvp: linear((t, a: W4) => im2col(t, a.kernel_size, a.dilation, a.padding, a.stride)),
    },
  );
col2im = recordingOp(
  "col2im(Tensor self, SymInt[2] output_size, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride) -> Tensor",
  col2imImpl,
  {
    name: "Col2ImBackward0",
    save: [],
    attrs: ["output_size", "kernel_size", "dilation", "padding", "stride"],
    grad: (g: Tensor, _s: object, a: W4) => [
      im2col(g, a.kernel_size, a.dilation, a.padding, a.stride),
    ],
    jvp: linear((t, a: W4 & { output_size: number[] }) =>
      col2im(t, a.output_size, a.kernel_size, a.dilation, a.padding, a.stride),
    ),
  },
);

/** Python's _pair: an int repeated, or the list as given. */
const pair = (v: number | number[]): number[] => (typeof v === "number" ? [v, v] : v.slice());

defineOp({
  name: "unfold",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "unfold(x, kernel_size, dilation=1, padding=0, stride=1): the sliding blocks of [N, C, H, W] as columns [N, C*kh*kw, L] (im2col).",
  example: "F.unfold(torch.ones(1, 2, 3, 3), 2).shape // [1, 8, 4]",
  overloads: [
    {
      schema:
        "unfold(Tensor input, int[2] kernel_size, int[2] dilation=1, int[2] padding=0, int[2] stride=1) -> Tensor",
      forward: (x: Tensor, k: number[], d: number[], p: number[], s: number[]) =>
        im2col(x, pair(k), pair(d), pair(p), pair(s)),
    },
  ],
});

defineOp({
  name: "fold",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1): sums columns [N, C*kh*kw, L] back into [N, C, H, W] (col2im).",
  example:
    "F.fold(torch.ones(1, 4, 4), [3, 3], 2).flatten() // tensor([1., 2., 1., 2., 4., 2., 1., 2., 1.])",
  overloads: [
    {
      schema:
        "fold(Tensor input, int[2] output_size, int[2] kernel_size, int[2] dilation=1, int[2] padding=0, int[2] stride=1) -> Tensor",
      forward: (x: Tensor, o: number[], k: number[], d: number[], p: number[], s: number[]) =>
        col2im(x, pair(o), pair(k), pair(d), pair(p), pair(s)),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// grid_sample, affine_grid

/**
 * The sampling of grid_sampler_{2,3}d written with differentiable tensor ops (ATen's CPU kernel
 * step by step: unnormalise, pad the coordinate, gather the corners with out-of-bounds taps
 * reading zero, weight). `input` [N, C, *in], `grid` [N, *out, k]; returns [N, C, *out].
 */
function gridSampleComposite(
  input: Tensor,
  grid: Tensor,
  interp: number,
  padding: number,
  alignCorners: boolean,
): Tensor {
  const k = grid.shape[grid.dim() - 1];
  const N = input.shape[0];
  const C = input.shape[1];
  const inSizes = input.shape.slice(2); // D, H, W order (last is x)
  const outSizes = grid.shape.slice(1, grid.dim() - 1);
  const L = outSizes.reduce((a, b) => a * b, 1);
  const flatIn = input.reshape([N, C, inSizes.reduce((a, b) => a * b, 1)]);
  const g = grid.reshape([N, L, k]);
  // coordinate of dim i of the input (grid's last axis lists x (W) first)
  const coord = (i: number): Tensor => g.select(2, k - 1 - i);
  const unnorm = (c: Tensor, size: number): Tensor =>
    alignCorners
      ? c
          .add(1)
          .div(2)
          .mul(size - 1)
      : c.add(1).mul(size).sub(1).div(2);
  const clip = (c: Tensor, size: number): Tensor => {
    // clip_coordinates: 0 below 0, size-1 above it (gradient 0 where clipped)
    const hi = size - 1;
    return c.le(0).logicalNot().mul(c.ge(hi).logicalNot()).mul(c).add(c.ge(hi).mul(hi));
  };
  const reflect = (c: Tensor, twiceLow: number, twiceHigh: number): Tensor => {
    if (twiceLow === twiceHigh) return c.mul(0);
    const min = twiceLow / 2;
    const span = (twiceHigh - twiceLow) / 2;
    const a = c.sub(min).abs();
    const extra = a.fmod(span);
    const flips = a.div(span).floor();
    const even = flips.remainder(2).eq(0);
    return extra
      .add(min)
      .mul(even)
      .add(
        extra
          .neg()
          .add(span + min)
          .mul(even.logicalNot()),
      );
  };
  const source = (c: Tensor, size: number): Tensor => {
    let v = unnorm(c, size);
    if (padding === 1) v = clip(v, size);
    else if (padding === 2) {
      v = alignCorners ? reflect(v, 0, 2 * (size - 1)) : reflect(v, -1, 2 * size - 1);
      v = clip(v, size);
    }
    return v;
  };
  // value at integer coordinates idx[i] (float tensors [N, L]), zero out of bounds
  const fetch = (idx: Tensor[]): Tensor => {
    let flat: Tensor | null = null;
    let inb: Tensor | null = null;
    for (let i = 0; i < k; i++) {
      const size = inSizes[i];
      const ok = idx[i].ge(0).logicalAnd(idx[i].le(size - 1));
      inb = inb === null ? ok : inb.logicalAnd(ok);
      const ci = idx[i].clamp(0, size - 1).to(int64);
      flat = flat === null ? ci : flat.mul(size).add(ci);
    }
    const vals = flatIn.gather(2, (flat as Tensor).unsqueeze(1).expand([N, C, L]));
    return vals.mul((inb as Tensor).unsqueeze(1).to(input.dtype));
  };
  let out: Tensor;
  if (interp === 2) {
    // bicubic (2-D only): 4x4 taps around floor(x), coordinates padded per tap
    const ix = unnorm(coord(1), inSizes[1]);
    const iy = unnorm(coord(0), inSizes[0]);
    const x0 = ix.floor();
    const y0 = iy.floor();
    const tx = ix.sub(x0);
    const ty = iy.sub(y0);
    const A = -0.75;
    const c1 = (x: Tensor) =>
      x
        .mul(A + 2)
        .sub(A + 3)
        .mul(x)
        .mul(x)
        .add(1);
    const c2 = (x: Tensor) =>
      x
        .mul(A)
        .sub(5 * A)
        .mul(x)
        .add(8 * A)
        .mul(x)
        .sub(4 * A);
    const wx = [c2(tx.add(1)), c1(tx), c1(tx.neg().add(1)), c2(tx.neg().add(2))];
    const wy = [c2(ty.add(1)), c1(ty), c1(ty.neg().add(1)), c2(ty.neg().add(2))];
    const padCoord = (c: Tensor, size: number): Tensor => {
      if (padding === 1) return clip(c, size);
      if (padding === 2)
        return clip(
          alignCorners ? reflect(c, 0, 2 * (size - 1)) : reflect(c, -1, 2 * size - 1),
          size,
        );
      return c;
    };
    let acc: Tensor | null = null;
    for (let i = 0; i < 4; i++) {
      let row: Tensor | null = null;
      for (let j = 0; j < 4; j++) {
        const xs = padCoord(x0.add(j - 1), inSizes[1]).detach();
        const ys = padCoord(y0.add(i - 1), inSizes[0]).detach();
        const v = fetch([ys, xs]).mul(wx[j].unsqueeze(1));
        row = row === null ? v : row.add(v);
      }
      const r = (row as Tensor).mul(wy[i].unsqueeze(1));
      acc = acc === null ? r : acc.add(r);
    }
    out = acc as Tensor;
  } else {
    const src = Array.from({ length: k }, (_v, i) => source(coord(i), inSizes[i]));
    if (interp === 1) {
      // nearest: round half to even (nearbyint)
      out = fetch(src.map((s) => s.round().detach()));
    } else {
      // (bi/tri)linear: the 2^k corners, weights the products of the opposite distances
      const lo = src.map((s) => s.floor().detach());
      let acc: Tensor | null = null;
      for (let m = 0; m < 1 << k; m++) {
        const idx: Tensor[] = [];
        let w: Tensor | null = null;
        for (let i = 0; i < k; i++) {
          const up = (m >> (k - 1 - i)) & 1;
          idx.push(up ? lo[i].add(1) : lo[i]);
          const wi = up ? src[i].sub(lo[i]) : lo[i].add(1).sub(src[i]);
          w = w === null ? wi : w.mul(wi);
        }
        const v = fetch(idx).mul((w as Tensor).unsqueeze(1));
        acc = acc === null ? v : acc.add(v);
      }
      out = acc as Tensor;
    }
  }
  return out.reshape([N, C, ...outSizes]);
}

/** ATen's grid_sampler checks (check_grid_sampler_common, _2d, _3d), in order. */
function checkGridSampler(input: Tensor, grid: Tensor, interp: number): void {
  if (input.dtype !== grid.dtype)
    throw runtimeError(
      `grid_sampler(): expected input and grid to have same dtype, but input has ${scalarTypeName(input.dtype)} and grid has ${scalarTypeName(grid.dtype)}`,
    );
  if (!(input.dim() === 4 || input.dim() === 5))
    throw runtimeError(
      `grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but got input with sizes ${sizesStr(input.shape)} and grid with sizes ${sizesStr(grid.shape)}`,
    );
  if (input.dim() !== grid.dim())
    throw runtimeError(
      `grid_sampler(): expected grid and input to have same number of dimensions, but got input with sizes ${sizesStr(input.shape)} and grid with sizes ${sizesStr(grid.shape)}`,
    );
  if (input.shape[0] !== grid.shape[0])
    throw runtimeError(
      `grid_sampler(): expected grid and input to have same batch size, but got input with sizes ${sizesStr(input.shape)} and grid with sizes ${sizesStr(grid.shape)}`,
    );
  const k = input.dim() - 2;
  if (grid.shape[grid.dim() - 1] !== k)
    throw runtimeError(
      `grid_sampler(): expected grid to have size ${k} in last dimension, but got grid with sizes ${sizesStr(grid.shape)}`,
    );
  for (let i = 2; i < input.dim(); i++)
    if (input.shape[i] <= 0)
      throw runtimeError(
        `grid_sampler(): expected input to have non-empty spatial dimensions, but input has sizes ${sizesStr(input.shape)} with dimension ${i} being empty`,
      );
  if (k === 3 && interp === 2)
    throw runtimeError("grid_sampler(): bicubic interpolation only supports 4D input");
  if (!input.dtype.isFloatingPoint)
    throw runtimeError(
      `"grid_sampler_${k}d_cpu" not implemented for '${scalarTypeName(input.dtype)}'`,
    );
}

type GridSamplerFn = (i: Tensor, g: Tensor, m: number, p: number, ac: boolean) => Tensor;
type GA = { interpolation_mode: number; padding_mode: number; align_corners: boolean };

/**
 * grid_sampler_{k}d as a recording primitive: the forward runs the composite sampling without a
 * graph; the formula differentiates it again (ATen's grid_sampler_{k}d_backward computes the
 * same sums: the input gets each output weighted into its taps, the grid the weights'
 * derivatives), so the graph holds PyTorch's single GridSampler{k}DBackward0 node.
 */
function gridSamplerOp(k: number): GridSamplerFn {
  return recordingOp(
    `grid_sampler_${k}d(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners) -> Tensor`,
    (input: Tensor, grid: Tensor, m: number, p: number, ac: boolean) =>
      // on detached primals: the composite's own ops record nothing and carry no tangent (the
      // node's JVP below gives the output's)
      noGrad(() => gridSampleComposite(input.detach(), grid.detach(), m, p, ac)),
    {
      name: `GridSampler${k}DBackward0`,
      save: ["input", "grid"],
      attrs: ["interpolation_mode", "padding_mode", "align_corners"],
      // with create_graph the gradients stay differentiable in g (they are linear in it), so
      // torch.func's double-vjp JVP works; their derivatives in input and grid are not kept
      // (PyTorch's grid_sampler backward has none)
      grad: (g: Tensor, s: { input: Tensor; grid: Tensor }, a: GA) => {
        const create = isGradEnabled();
        return enableGrad(() => {
          const i = s.input.detach().requiresGrad_(true);
          const gr = s.grid.detach().requiresGrad_(true);
          const out = gridSampleComposite(
            i,
            gr,
            a.interpolation_mode,
            a.padding_mode,
            a.align_corners,
          );
          return autogradGrad([out], [i, gr], {
            gradOutputs: [g],
            allowUnused: true,
            createGraph: create,
          });
        });
      },
      jvp: (t, p, _r, a: GA) => {
        // linear in the input; the grid's tangent goes through the weights' derivatives
        const ti = t.input ?? p.input.mul(0);
        const tg = t.grid ?? p.grid.mul(0);
        return enableGrad(() => {
          const i = p.input.detach().requiresGrad_(true);
          const gr = p.grid.detach().requiresGrad_(true);
          const out = gridSampleComposite(
            i,
            gr,
            a.interpolation_mode,
            a.padding_mode,
            a.align_corners,
          );
          // J v = d/du <u, J v>: the VJP with a dummy cotangent u, then its derivative along v
          const u = out.detach().mul(0).requiresGrad_(true);
          const [vi, vg] = autogradGrad([out], [i, gr], {
            gradOutputs: [u],
            createGraph: true,
            allowUnused: true,
          });
          const dot = (vi === null ? u.sum().mul(0) : vi.mul(ti).sum()).add(
            vg === null ? 0 : vg.mul(tg).sum(),
          );
          const [jv] = autogradGrad([dot], [u], { allowUnused: true });
          return jv === null ? out.detach().mul(0) : jv.detach();
        });
      },
    },
  );
}
const gridSampler2d = gridSamplerOp(2);
const gridSampler3d = gridSamplerOp(3);

/** torch.grid_sampler: the checks, then the 2-D or 3-D sampler. */
function gridSampler(input: Tensor, grid: Tensor, m: number, p: number, ac: boolean): Tensor {
  checkGridSampler(input, grid, m);
  return (input.dim() === 4 ? gridSampler2d : gridSampler3d)(input, grid, m, p, ac);
}

defineOp({
  name: "grid_sampler",
  variants: ["function"],
  doc: "grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners): grid_sample's builtin (modes as integers).",
  example:
    "torch.gridSampler(torch.ones(1, 1, 2, 2), torch.zeros(1, 1, 1, 2), 0, 0, false) // tensor([[[[1.]]]])",
  overloads: [
    {
      schema:
        "grid_sampler(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners) -> Tensor",
      forward: gridSampler,
    },
  ],
});

for (const k of [2, 3]) {
  defineOp({
    name: `grid_sampler_${k}d`,
    variants: ["function"],
    doc: `grid_sampler_${k}d(input, grid, interpolation_mode, padding_mode, align_corners): the ${k}-D sampler behind grid_sample.`,
    example:
      k === 2
        ? "torch.gridSampler2d(torch.ones(1, 1, 2, 2), torch.zeros(1, 1, 1, 2), 0, 0, false) // tensor([[[[1.]]]])"
        : "torch.gridSampler3d(torch.ones(1, 1, 2, 2, 2), torch.zeros(1, 1, 1, 1, 3), 0, 0, false).shape // [1, 1, 1, 1, 1]",
    overloads: [
      {
        schema: `grid_sampler_${k}d(Tensor input, Tensor grid, int interpolation_mode, int padding_mode, bool align_corners) -> Tensor`,
        forward: (input: Tensor, grid: Tensor, m: number, p: number, ac: boolean) => {
          checkGridSampler(input, grid, m);
          if (input.dim() !== k + 2)
            throw runtimeError(
              `grid_sampler_${k}d(): expected ${k + 2}D input and grid with same number of dimensions, but got input with sizes ${sizesStr(input.shape)} and grid with sizes ${sizesStr(grid.shape)}`,
            );
          return (k === 2 ? gridSampler2d : gridSampler3d)(input, grid, m, p, ac);
        },
      },
    ],
  });
}

const ALIGN_WARNING =
  "Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please specify align_corners=True if the old behavior is desired. See the documentation of grid_sample for details.";

defineOp({
  name: "grid_sample",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: 'grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None): samples input at the normalised grid locations (bilinear, nearest, bicubic; zeros, border, reflection).',
  example:
    "F.gridSample(torch.arange(4, { dtype: torch.float32 }).view(1, 1, 2, 2), torch.zeros(1, 1, 1, 2), { alignCorners: false }) // tensor([[[[1.5000]]]])",
  overloads: [
    {
      schema:
        'grid_sample(Tensor input, Tensor grid, str mode="bilinear", str padding_mode="zeros", bool? align_corners=None) -> Tensor',
      forward: (
        input: Tensor,
        grid: Tensor,
        mode: string,
        paddingMode: string,
        alignCorners: boolean | null,
      ) => {
        if (mode !== "bilinear" && mode !== "nearest" && mode !== "bicubic")
          throw valueError(
            `nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '${mode}'`,
          );
        if (paddingMode !== "zeros" && paddingMode !== "border" && paddingMode !== "reflection")
          throw valueError(
            `nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', but got: '${paddingMode}'`,
          );
        const m = mode === "bilinear" ? 0 : mode === "nearest" ? 1 : 2;
        const p = paddingMode === "zeros" ? 0 : paddingMode === "border" ? 1 : 2;
        if (alignCorners === null) warn(ALIGN_WARNING);
        return gridSampler(input, grid, m, p, alignCorners ?? false);
      },
    },
  ],
});

/** ATen's make_base_grid_{4,5}D: [1, L, k+1] rows (x, y, (z,) 1) over the output's spatial size. */
function baseGrid(dtype: DType, size: readonly number[], alignCorners: boolean): Tensor {
  const spatial = size.slice(2);
  const k = spatial.length;
  return noGrad(() => {
    const b = zeros([...spatial, k + 1], { dtype });
    // last axis: x (W), y (H), (z (D)), 1
    for (let i = 0; i < k; i++) {
      const dim = k - 1 - i; // spatial dim of coordinate i
      const shape = new Array<number>(k).fill(1);
      shape[dim] = spatial[dim];
      const n = spatial[dim];
      // linspace_from_neg_one: n points over [-1, 1], scaled by (n-1)/n unless aligned
      let r = n <= 1 ? zeros([1], { dtype }) : linspace(-1, 1, n, { dtype });
      if (n > 1 && !alignCorners) r = r.mul((n - 1) / n);
      b.select(k, i).copy_(r.view(shape));
    }
    b.select(k, k).fill_(1);
    return b.view([1, spatial.reduce((u, v) => u * v, 1), k + 1]);
  });
}

type AG = { size: number[]; align_corners: boolean };

/**
 * ATen's affine_grid_generator: the base grid times theta^T, [N, *spatial, k]; its backward
 * (affine_grid_generator_backward) is base^T grad, transposed, written with differentiable ops.
 */
const affineGridGenerator: (theta: Tensor, size: number[], ac: boolean) => Tensor = recordingOp(
  "affine_grid_generator(Tensor theta, int[] size, bool align_corners) -> Tensor",
  (theta: Tensor, size: number[], alignCorners: boolean) => {
    if (!(size.length === 4 || size.length === 5))
      throw runtimeError("AffineGridGenerator needs 4d (spatial) or 5d (volumetric) inputs.");
    const base = baseGrid(theta.dtype, size, alignCorners);
    const [N, L, k1] = [size[0], base.shape[1], base.shape[2]];
    return noGrad(() =>
      base
        .expand([N, L, k1])
        .bmm(theta.transpose(1, 2))
        .view([N, ...size.slice(2), k1 - 1]),
    );
  },
  {
    name: "AffineGridGeneratorBackward0",
    save: [],
    attrs: ["size", "align_corners"],
    grad: (g: Tensor, _s: object, a: AG) => {
      const base = baseGrid(g.dtype, a.size, a.align_corners);
      const [N, L, k1] = [a.size[0], base.shape[1], base.shape[2]];
      return [
        base
          .expand([N, L, k1])
          .transpose(1, 2)
          .bmm(g.reshape([N, L, k1 - 1]))
          .transpose(1, 2),
      ];
    },
    jvp: linear((t, a: AG) => affineGridGenerator(t, a.size, a.align_corners), "theta"),
  },
);

defineOp({
  name: "affine_grid_generator",
  variants: ["function"],
  doc: "affine_grid_generator(theta, size, align_corners): affine_grid's builtin.",
  example:
    "torch.affineGridGenerator(torch.tensor([[[1., 0, 0], [0, 1, 0]]]), [1, 1, 1, 2], false).shape // [1, 1, 2, 2]",
  overloads: [
    {
      schema: "affine_grid_generator(Tensor theta, int[] size, bool align_corners) -> Tensor",
      forward: (theta: Tensor, size: number[], ac: boolean) => affineGridGenerator(theta, size, ac),
    },
  ],
});

defineOp({
  name: "affine_grid",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "affine_grid(theta, size, align_corners=None): the sampling grid of a batch of affine maps theta [N, 2, 3] (or [N, 3, 4]) for an output of `size` [N, C, H, W] (or [N, C, D, H, W]).",
  example:
    "F.affineGrid(torch.tensor([[[1., 0, 0], [0, 1, 0]]]), [1, 1, 2, 2], { alignCorners: false }).shape // [1, 2, 2, 2]",
  overloads: [
    {
      schema: "affine_grid(Tensor theta, int[] size, bool? align_corners=None) -> Tensor",
      forward: (theta: Tensor, size: number[], alignCorners: boolean | null) => {
        if (alignCorners === null) warn(ALIGN_WARNING);
        const ac = alignCorners ?? false;
        if (!theta.dtype.isFloatingPoint)
          throw valueError(
            `Expected theta to have floating point type, but got torch.${theta.dtype.name}`,
          );
        const shapeStr = `torch.Size([${theta.shape.join(", ")}])`;
        const sizeStr = `[${size.join(", ")}]`;
        let spatial: number[];
        if (size.length === 4) {
          if (theta.dim() !== 3 || theta.shape[1] !== 2 || theta.shape[2] !== 3)
            throw valueError(
              `Expected a batch of 2D affine matrices of shape Nx2x3 for size ${sizeStr}. Got ${shapeStr}.`,
            );
          spatial = size.slice(-2);
        } else if (size.length === 5) {
          if (theta.dim() !== 3 || theta.shape[1] !== 3 || theta.shape[2] !== 4)
            throw valueError(
              `Expected a batch of 3D affine matrices of shape Nx3x4 for size ${sizeStr}. Got ${shapeStr}.`,
            );
          spatial = size.slice(-3);
        } else
          throw notImplementedError(
            `affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got size ${sizeStr}.`,
          );
        if (ac && Math.min(...spatial) === 1)
          warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when align_corners=True. This is not an intended use case of affine_grid. See the documentation of affine_grid for details.",
          );
        else if (Math.min(...size) <= 0)
          throw valueError(`Expected non-zero, positive output size. Got ${sizeStr}`);
        return affineGridGenerator(theta, size, ac);
      },
    },
  ],
});
