/**
 * The torch.fft transforms (issue 14): fft, ifft, rfft, irfft, hfft, ihfft and their 2-D and
 * n-D forms, as ATen's SpectralOps.cpp composes them from three primitives with formulas in
 * derivatives.yaml:
 *
 *   _fft_c2c(x, dim, norm, forward)        complex -> complex over `dim`  (FftC2CBackward0)
 *   _fft_r2c(x, dim, norm, onesided)       real -> complex, the last of `dim` one-sided
 *                                          (n/2 + 1 bins) when `onesided` (FftR2CBackward0)
 *   _fft_c2r(x, dim, norm, last_dim_size)  one-sided complex -> real (FftC2RBackward0)
 *
 * `norm` is ATen's fft_norm_mode: 0 none, 1 by 1/sqrt(n), 2 by 1/n, n the product of the
 * signal sizes (the output's sizes along `dim` for c2r). The public functions resize their
 * input to `n`/`s` first (zero-pad with constant_pad_nd, or slice), exactly as ATen's
 * resize_fft_input, so the graph holds the same nodes as PyTorch's.
 *
 * Note [fft gradients]: every primitive is R-linear, so its gradient is its adjoint applied to
 * the output gradient (PyTorch's convention for complex gradients, Note [complex compute]):
 * - c2c: the adjoint of a DFT with scale s is the opposite-direction DFT with the same scale,
 *   so the gradient is _fft_c2c(g, dim, norm, !forward).
 * - r2c: a one-sided r2c is "embed as complex, c2c, drop the upper bins", so the gradient is
 *   "zero-pad g back to the full length, inverse-direction c2c, real part".
 * - c2r: a c2r is "fill the other half by conjugate symmetry, inverse c2c, real part"; its
 *   adjoint is a one-sided r2c of g with the bins 1 .. n - (n/2 + 1) (whose mirror images were
 *   filled from them) doubled. These are ATen's fft_r2c_backward / fft_c2r_backward.
 * Each is also its own tangent map (derivatives.yaml's `result: auto_linear`).
 *
 * The transforms compute in double on contiguous copies (src/backend/fft.ts, Note [fft
 * layout]): a transform over several dims is one 1-D pass per dim, with the whole scale
 * applied in the first pass.
 */
import type { Tensor } from "../../tensor.js";
import { float32, float64, getDefaultDtype, toComplexDtype, toRealDtype } from "../../dtype.js";
import { runtimeError } from "../../errors.js";
import { normalizeDim } from "../../shape.js";
import { allocOutput, contiguousData, scalarTypeName } from "../../ops/core.js";
import { fftC2C, fftC2R, fftR2C } from "../../backend/fft.js";
/** The arrays of float32/float64 and complex storage. */
type FloatArray = Float32Array | Float64Array;
import { defineOp, fn, recordingOp } from "../define.js";
import { HALF_REFUSED } from "../half-compute.js";
import { combine } from "../complex-compute.js";
import { tensor } from "../../ops/creation.js";
import { linear } from "../linear-jvp.js";

/** ATen's fft_norm_mode. */
const enum Norm {
  None = 0,
  ByRootN = 1,
  ByN = 2,
}

/** ATen's norm_from_string: the mode of a transform in direction `forward`. */
function normFromString(norm: string | null, forward: boolean): Norm {
  if (norm === null || norm === "backward") return forward ? Norm.None : Norm.ByN;
  if (norm === "forward") return forward ? Norm.ByN : Norm.None;
  if (norm === "ortho") return Norm.ByRootN;
  throw runtimeError(`Invalid normalization mode: "${norm}"`);
}

function scaleOf(norm: number, signalNumel: number): number {
  if (norm === Norm.None) return 1;
  return norm === Norm.ByRootN ? 1 / Math.sqrt(signalNumel) : 1 / signalNumel;
}

const prod = (a: readonly number[]): number => a.reduce((p, v) => p * v, 1);

/** [batch, n, inner] of a contiguous tensor of `shape` around dim `d` (Note [fft layout]). */
function around(shape: readonly number[], d: number): [number, number, number] {
  return [prod(shape.slice(0, d)), shape[d], prod(shape.slice(d + 1))];
}

/** In-place c2c passes over `dims` of the interleaved contiguous array `a` of `shape`. */
function c2cPasses(
  a: FloatArray,
  shape: readonly number[],
  dims: readonly number[],
  forward: boolean,
  scale: number,
): void {
  let s = scale;
  for (const d of dims) {
    const [batch, n, inner] = around(shape, d);
    fftC2C(a, 0, a, 0, batch, n, inner, !forward, s);
    s = 1;
  }
}

/** A contiguous copy of a complex tensor's values (the caller transforms it in place). */
function complexCopy(x: Tensor): Tensor {
  const out = allocOutput([...x.shape], x.dtype);
  const src = contiguousData(x);
  const o = out.typedArray as FloatArray;
  o.set((src.data as FloatArray).subarray(src.offset, src.offset + o.length));
  return out;
}

function wrapDims(dims: readonly number[], nd: number): number[] {
  return dims.map((d) => normalizeDim(d, nd));
}

function c2cForward(self: Tensor, dim: number[], normalization: number, forward: boolean): Tensor {
  const dims = wrapDims(dim, self.dim());
  if (dims.length === 0) return complexCopy(self);
  const scale = scaleOf(normalization, prod(dims.map((d) => self.shape[d])));
  // the first pass reads the input's values, the others run in place on the output
  const out = allocOutput([...self.shape], self.dtype);
  const o = out.typedArray as FloatArray;
  const src = contiguousData(self);
  const [batch, n, inner] = around(self.shape, dims[0]);
  fftC2C(src.data as FloatArray, src.offset, o, 0, batch, n, inner, !forward, scale);
  c2cPasses(o, out.shape, dims.slice(1), forward, 1);
  return out;
}

function r2cForward(self: Tensor, dim: number[], normalization: number, onesided: boolean): Tensor {
  const dims = wrapDims(dim, self.dim());
  const scale = scaleOf(normalization, prod(dims.map((d) => self.shape[d])));
  const cdt = toComplexDtype(self.dtype);
  if (!onesided) {
    // the full spectrum: the c2c transform of the signal with zero imaginary parts
    const out = allocOutput([...self.shape], cdt);
    const src = contiguousData(self);
    const o = out.typedArray as FloatArray;
    for (let k = 0; k < out.numel(); k++) {
      o[2 * k] = src.data[src.offset + k] as number;
      o[2 * k + 1] = 0;
    }
    c2cPasses(o, out.shape, dims, true, scale);
    return out;
  }
  const last = dims[dims.length - 1];
  const shape = [...self.shape];
  shape[last] = Math.floor(shape[last] / 2) + 1;
  const out = allocOutput(shape, cdt);
  const src = contiguousData(self);
  const o = out.typedArray as FloatArray;
  const [batch, n, inner] = around(self.shape, last);
  fftR2C(src.data as FloatArray, src.offset, o, 0, batch, n, inner, scale);
  c2cPasses(o, shape, dims.slice(0, -1), true, 1);
  return out;
}

function c2rForward(
  self: Tensor,
  dim: number[],
  normalization: number,
  lastDimSize: number,
): Tensor {
  const dims = wrapDims(dim, self.dim());
  const last = dims[dims.length - 1];
  const nc = Math.floor(lastDimSize / 2) + 1;
  // only bins 0 .. n/2 are read (the rest is their conjugate mirror)
  const x = self.shape[last] > nc ? self.narrow(last, 0, nc) : self;
  const tmp = complexCopy(x);
  const t = tmp.typedArray as FloatArray;
  c2cPasses(t, tmp.shape, dims.slice(0, -1), false, 1);
  const shape = [...self.shape];
  shape[last] = lastDimSize;
  const scale = scaleOf(normalization, prod(dims.map((d) => shape[d])));
  const out = allocOutput(shape, toRealDtype(self.dtype));
  const [batch, , inner] = around(tmp.shape, last);
  fftC2R(t, 0, out.typedArray as FloatArray, 0, batch, lastDimSize, inner, scale);
  return out;
}

interface FftAttrs {
  dim: number[];
  normalization: number;
}

export const fftC2c: typeof c2cForward = recordingOp(
  "_fft_c2c(Tensor self, int[] dim, int normalization, bool forward) -> Tensor",
  c2cForward,
  {
    name: "FftC2CBackward0",
    save: [],
    attrs: ["dim", "normalization", "forward"],
    grad: (g: Tensor, _s: object, a: FftAttrs & { forward: boolean }): Tensor[] => [
      fftC2c(g, a.dim, a.normalization, !a.forward),
    ],
    // linear: the same transform of the tangent
    jvp: linear((t, a: FftAttrs & { forward: boolean }) =>
      fftC2c(t, a.dim, a.normalization, a.forward),
    ),
  },
);

export const fftR2c: typeof r2cForward = recordingOp(
  "_fft_r2c(Tensor self, int[] dim, int normalization, bool onesided) -> Tensor",
  r2cForward,
  {
    name: "FftR2CBackward0",
    save: ["self"],
    attrs: ["dim", "normalization", "onesided"],
    grad: (g: Tensor, s: { self: Tensor }, a: FftAttrs & { onesided: boolean }): Tensor[] => {
      // Note [fft gradients]: zero-pad the one-sided gradient, inverse c2c, real part
      let full = g;
      if (a.onesided) {
        const last = normalizeDim(a.dim[a.dim.length - 1], g.dim());
        const zeros = s.self.shape[last] - g.shape[last];
        if (zeros > 0) {
          const pad = new Array<number>(2 * g.dim()).fill(0);
          pad[2 * (g.dim() - 1 - last) + 1] = zeros;
          full = fn("constantPadNd")(g, pad) as Tensor;
        }
      }
      return [fn("real")(fftC2c(full, a.dim, a.normalization, false)) as Tensor];
    },
    jvp: linear((t, a: FftAttrs & { onesided: boolean }) =>
      fftR2c(t, a.dim, a.normalization, a.onesided),
    ),
  },
);

export const fftC2r: typeof c2rForward = recordingOp(
  "_fft_c2r(Tensor self, int[] dim, int normalization, int last_dim_size) -> Tensor",
  c2rForward,
  {
    name: "FftC2RBackward0",
    save: [],
    attrs: ["dim", "normalization", "last_dim_size"],
    grad: (g: Tensor, _s: object, a: FftAttrs & { last_dim_size: number }): Tensor[] => {
      // Note [fft gradients]: one-sided r2c, the mirrored bins 1 .. n - (n/2 + 1) doubled
      const gi = fftR2c(g, a.dim, a.normalization, true);
      const last = normalizeDim(a.dim[a.dim.length - 1], g.dim());
      const nc = gi.shape[last];
      const doubled = g.shape[last] - nc;
      if (doubled <= 0) return [gi];
      const w = new Array<number>(nc).fill(1);
      for (let k = 1; k <= doubled; k++) w[k] = 2;
      const wShape = new Array<number>(g.dim() - last).fill(1);
      wShape[0] = nc;
      const weight = tensor(w, { dtype: toRealDtype(gi.dtype) }).reshape(wShape);
      return [gi.mul(weight)];
    },
    jvp: linear((t, a: FftAttrs & { last_dim_size: number }) =>
      fftC2r(t, a.dim, a.normalization, a.last_dim_size),
    ),
  },
);

// ---------------------------------------------------------------------------------------------
// argument handling, as SpectralOps.cpp

/** ATen's promote_type_fft: integers compute in the default dtype; half is refused on CPU. */
function promote(t: Tensor, requireComplex: boolean): Tensor {
  let d = t.dtype;
  if (d.isComplex) return t;
  if (!d.isFloatingPoint) d = getDefaultDtype();
  if (d !== float32 && d !== float64) throw runtimeError(`Unsupported dtype ${scalarTypeName(d)}`);
  const real = d === t.dtype ? t : (t.to(d) as Tensor);
  // the cast to complex as a recorded node (its gradient is the real part of the complex one)
  return requireComplex ? combine(real, fn("zerosLike")(real) as Tensor, "ToCopyBackward0") : real;
}

/**
 * The size of `dim`: a 0-dim input reads as size 0, as ATen's transforms read it (so that
 * `torch.fft.rfft(torch.tensor(1.))` gives "Invalid number of data points (0) specified").
 */
const sizeAt = (t: Tensor, dim: number): number => (t.dim() === 0 ? 0 : t.shape[dim]);

/** ATen's resize_fft_input: slice each of `dims` down to `sizes`, zero-pad it up to them. */
function resizeInput(x: Tensor, dims: readonly number[], sizes: readonly number[]): Tensor {
  // a 0-dim input has no dim to pad: constant_pad_nd's error, as ATen gives it
  if (x.dim() === 0 && sizes.some((n) => n !== -1))
    throw runtimeError(
      `Length of pad must be even but instead it equals ${sizes.find((n) => n !== -1)}`,
    );
  const pad = new Array<number>(2 * x.dim()).fill(0);
  let mustCopy = false;
  dims.forEach((d, i) => {
    if (sizes[i] === -1) return;
    if (x.shape[d] < sizes[i]) {
      mustCopy = true;
      pad[pad.length - 2 * d - 1] = sizes[i] - x.shape[d];
    }
    if (x.shape[d] > sizes[i]) x = x.narrow(d, 0, sizes[i]);
  });
  return mustCopy ? (fn("constantPadNd")(x, pad) as Tensor) : x;
}

function checkPoints(n: number): void {
  if (n < 1) throw runtimeError(`Invalid number of data points (${n}) specified`);
}

const conj = (t: Tensor): Tensor => fn("conj")(t) as Tensor;

/** fft_c2c / fft_r2c / fft_c2r of SpectralOps.cpp: the one-dimensional transforms. */
function oneDim(
  kind: "fft" | "ifft" | "rfft" | "irfft" | "hfft" | "ihfft",
  self: Tensor,
  nOpt: number | null,
  dimArg: number,
  norm: string | null,
): Tensor {
  const forward = kind === "fft" || kind === "rfft" || kind === "hfft";
  if (kind === "fft" || kind === "ifft") {
    if (self.dtype.isComplex) {
      const dim = normalizeDim(dimArg, self.dim());
      const n = nOpt ?? sizeAt(self, dim);
      checkPoints(n);
      const x = nOpt === null ? self : resizeInput(self, [dim], [n]);
      return fftC2c(x, [dim], normFromString(norm, forward), forward);
    }
  }
  if (kind === "fft" || kind === "ifft" || kind === "rfft" || kind === "ihfft") {
    // fft_r2c: ifft and ihfft of a real signal are conj(r2c) with the inverse's norm
    if (self.dtype.isComplex)
      throw runtimeError(
        `${kind} expects a real input tensor, but got ${scalarTypeName(self.dtype)}`,
      );
    let x = promote(self, false);
    const dim = normalizeDim(dimArg, x.dim());
    const n = nOpt ?? sizeAt(x, dim);
    checkPoints(n);
    if (nOpt !== null) x = resizeInput(x, [dim], [n]);
    const onesided = kind === "rfft" || kind === "ihfft";
    const r = fftR2c(x, [dim], normFromString(norm, forward), onesided);
    return forward ? r : conj(r);
  }
  // fft_c2r: irfft and hfft (hfft conjugates its input: c2r is an inverse transform)
  let x = promote(self, true);
  const dim = normalizeDim(dimArg, x.dim());
  const n = nOpt ?? 2 * (sizeAt(x, dim) - 1);
  checkPoints(n);
  if (nOpt !== null) x = resizeInput(x, [dim], [Math.floor(n / 2) + 1]);
  const mode = normFromString(norm, forward);
  if (forward) x = conj(x);
  return fftC2r(x, [dim], mode, n);
}

/** ATen's canonicalize_fft_shape_and_dim_args. */
function shapeAndDims(
  input: Tensor,
  s: number[] | null,
  dimArg: number[] | null,
): { shape: number[]; dim: number[] } {
  const nd = input.dim();
  let dim: number[] = [];
  if (dimArg !== null) {
    dim = dimArg.map((d) => normalizeDim(d, nd));
    if (new Set(dim).size !== dim.length) throw runtimeError("FFT dims must be unique");
  }
  let shape: number[];
  if (s !== null) {
    if (dimArg !== null && dimArg.length !== s.length)
      throw runtimeError("When given, dim and shape arguments must have the same length");
    if (s.length > nd)
      throw runtimeError(
        `Got shape with ${s.length} values but input tensor only has ${nd} dimensions.`,
      );
    if (dimArg === null) dim = s.map((_, i) => nd - s.length + i);
    shape = s.map((n, i) => (n === -1 ? input.shape[dim[i]] : n));
  } else if (dimArg === null) {
    dim = [...Array(nd).keys()];
    shape = [...input.shape];
  } else shape = dim.map((d) => input.shape[d]);
  for (const n of shape) checkPoints(n);
  return { shape, dim };
}

/** canonicalize_fft_c2r_shape_and_dim_args: the shapes plus the real output's last size. */
function c2rShapeAndDims(
  fname: string,
  input: Tensor,
  s: number[] | null,
  dimArg: number[] | null,
): { shape: number[]; dim: number[]; lastDimSize: number } {
  const desc = shapeAndDims(input, s, dimArg);
  if (desc.shape.length === 0) throw runtimeError(`${fname} must transform at least one axis`);
  const lastDimSize =
    s === null || s[s.length - 1] === -1
      ? 2 * (input.shape[desc.dim[desc.dim.length - 1]] - 1)
      : desc.shape[desc.shape.length - 1];
  checkPoints(lastDimSize);
  desc.shape[desc.shape.length - 1] = Math.floor(lastDimSize / 2) + 1;
  return { ...desc, lastDimSize };
}

/** fftn / ifftn / rfftn / irfftn / hfftn / ihfftn of SpectralOps.cpp. */
function nDim(
  kind: "fftn" | "ifftn" | "rfftn" | "irfftn" | "hfftn" | "ihfftn",
  self: Tensor,
  s: number[] | null,
  dimArg: number[] | null,
  norm: string | null,
): Tensor {
  if (kind === "fftn" || kind === "ifftn") {
    const desc = shapeAndDims(self, s, dimArg);
    const forward = kind === "fftn";
    const x = resizeInput(promote(self, true), desc.dim, desc.shape);
    return fftC2c(x, desc.dim, normFromString(norm, forward), forward);
  }
  if (kind === "rfftn" || kind === "ihfftn") {
    if (kind === "rfftn" && self.dtype.isComplex)
      throw runtimeError(
        `rfftn expects a real-valued input tensor, but got ${scalarTypeName(self.dtype)}`,
      );
    const desc = shapeAndDims(self, s, dimArg);
    if (desc.dim.length === 0) throw runtimeError(`${kind} must transform at least one axis`);
    // ihfftn has no check of its own: _fft_r2c's TORCH_CHECK refuses a complex input
    if (self.dtype.isComplex)
      throw runtimeError(
        "Expected self.is_floating_point() to be true, but got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)",
      );
    const x = resizeInput(promote(self, false), desc.dim, desc.shape);
    if (kind === "rfftn") return fftR2c(x, desc.dim, normFromString(norm, true), true);
    // ihfftn: conj of a one-sided r2c over the last dim, then an inverse c2c over the others
    const mode = normFromString(norm, false);
    const last = desc.dim[desc.dim.length - 1];
    const tmp = conj(fftR2c(x, [last], mode, true));
    if (desc.dim.length === 1) return tmp;
    return fftC2c(tmp, desc.dim.slice(0, -1), mode, false);
  }
  const desc = c2rShapeAndDims(kind, self, s, dimArg);
  const x = resizeInput(promote(self, true), desc.dim, desc.shape);
  if (kind === "irfftn") return fftC2r(x, desc.dim, normFromString(norm, false), desc.lastDimSize);
  // hfftn: a forward c2c over all but the last dim, then c2r of the conjugate over the last
  const mode = normFromString(norm, true);
  const tmp = desc.dim.length > 1 ? fftC2c(x, desc.dim.slice(0, -1), mode, true) : x;
  return fftC2r(conj(tmp), [desc.dim[desc.dim.length - 1]], mode, desc.lastDimSize);
}

// ---------------------------------------------------------------------------------------------
// the public functions

// pocketfft has no half kernels: ATen's promote_type_fft refuses them on the CPU
for (const k of ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"])
  for (const name of [`fft_${k}`, `fft_${k}2`, `fft_${k}n`])
    HALF_REFUSED.set(name, (t) => `Unsupported dtype ${t}`);

const NORM_DOC =
  '`norm` is "backward" (the default: the inverse scales by 1/n), "ortho" (both by 1/sqrt(n)) or "forward" (the forward scales by 1/n).';

for (const [kind, doc, example] of [
  [
    "fft",
    "The one-dimensional discrete Fourier transform along `dim` (last by default), of `n` points (the input sliced or zero-padded; its size by default).",
    "torch.fft.fft(torch.tensor([1, 2, 3, 4])) // tensor([10.+0.j, -2.+2.j, -2.+0.j, -2.-2.j])",
  ],
  [
    "ifft",
    "The one-dimensional inverse discrete Fourier transform along `dim`, of `n` points.",
    "torch.fft.ifft(torch.tensor([4, 0, 0, 0])).real // tensor([1., 1., 1., 1.])",
  ],
  [
    "rfft",
    "The one-dimensional Fourier transform of a real signal: the n/2 + 1 non-negative frequency bins (the rest are their conjugates).",
    "torch.fft.rfft(torch.tensor([1, 2, 3, 4])).real // tensor([10., -2., -2.])",
  ],
  [
    "irfft",
    "The inverse of rfft: the real signal of `n` points (2 (m - 1) by default, m the input's size along `dim`) whose one-sided spectrum is the input.",
    "torch.fft.irfft(torch.fft.rfft(torch.tensor([1, 2, 3, 4]))) // tensor([1., 2., 3., 4.])",
  ],
  [
    "hfft",
    "The Fourier transform of a Hermitian-symmetric signal given by its one-sided half: a real spectrum of `n` points (2 (m - 1) by default).",
    "torch.fft.hfft(torch.tensor([1, 2, 3])) // tensor([ 8., -2.,  0., -2.])",
  ],
  [
    "ihfft",
    "The inverse of hfft: the one-sided half (n/2 + 1 points) of the inverse transform of a real signal.",
    "torch.fft.ihfft(torch.tensor([8, -2, 0, -2])).real // tensor([1., 2., 3.])",
  ],
] as const) {
  defineOp({
    name: kind,
    namespace: "fft",
    variants: ["function"],
    doc: `${doc} ${NORM_DOC}`,
    example,
    overloads: [
      {
        schema: `fft_${kind}(Tensor self, int? n=None, int dim=-1, str? norm=None) -> Tensor`,
        forward: (self: Tensor, n: number | null, dim: number, norm: string | null) =>
          oneDim(kind, self, n, dim, norm),
      },
    ],
  });
}

for (const [kind, doc, example] of [
  [
    "fftn",
    "The n-dimensional discrete Fourier transform over `dim` (all dims by default; the last len(s) when only `s` is given), each resized to `s`.",
    "torch.fft.fftn(torch.ones(2, 2)) // tensor([[4.+0.j, 0.+0.j], [0.+0.j, 0.+0.j]])",
  ],
  [
    "ifftn",
    "The n-dimensional inverse discrete Fourier transform over `dim`, each resized to `s`.",
    "torch.fft.ifftn(torch.tensor([[4, 0], [0, 0]])).real // tensor([[1., 1.], [1., 1.]])",
  ],
  [
    "rfftn",
    "The n-dimensional Fourier transform of a real signal, one-sided (n/2 + 1 bins) in the last of `dim`.",
    "torch.fft.rfftn(torch.ones(2, 2)) // tensor([[4.+0.j, 0.+0.j], [0.+0.j, 0.+0.j]])",
  ],
  [
    "irfftn",
    "The inverse of rfftn: a real signal whose last transformed dim has s[-1] points (2 (m - 1) by default).",
    "torch.fft.irfftn(torch.fft.rfftn(torch.ones(2, 2))) // tensor([[1., 1.], [1., 1.]])",
  ],
  [
    "hfftn",
    "The n-dimensional Fourier transform of a Hermitian-symmetric signal given by its one-sided half in the last of `dim`: a real spectrum.",
    "torch.fft.hfftn(torch.ones(2, 2)) // tensor([[4., 0.], [0., 0.]])",
  ],
  [
    "ihfftn",
    "The inverse of hfftn: the one-sided half of the n-dimensional inverse transform of a real signal.",
    "torch.fft.ihfftn(torch.ones(2, 2)).real // tensor([[1., 0.], [0., 0.]])",
  ],
] as const) {
  const two = kind.replace("n", "2") as `${string}2`;
  defineOp({
    name: kind,
    namespace: "fft",
    variants: ["function"],
    doc: `${doc} ${NORM_DOC}`,
    example,
    overloads: [
      {
        schema: `fft_${kind}(Tensor self, int[1]? s=None, int[1]? dim=None, str? norm=None) -> Tensor`,
        forward: (self: Tensor, s: number[] | null, dim: number[] | null, norm: string | null) =>
          nDim(kind, self, s, dim, norm),
      },
    ],
  });
  defineOp({
    name: two,
    namespace: "fft",
    variants: ["function"],
    doc: `${kind} over two dims (the last two by default). ${NORM_DOC}`,
    // on a 2-D tensor the 2-D form is the n-D one
    example: example.replace(/fft\.(\w*)fftn\(/g, "fft.$1fft2("),
    overloads: [
      {
        schema: `fft_${two}(Tensor self, int[1]? s=None, int[1] dim=[-2,-1], str? norm=None) -> Tensor`,
        forward: (self: Tensor, s: number[] | null, dim: number[], norm: string | null) =>
          nDim(kind, self, s, dim, norm),
      },
    ],
  });
}
