/**
 * torch.stft and torch.istft (issue 14), composed as PyTorch 1.13 composes them
 * (torch/functional.py's stft wrapper and SpectralOps.cpp's stft / istft), so their gradients
 * come from the ops they call:
 *
 *   stft:  [center: F.pad(input, [n_fft/2] * 2, pad_mode)] -> frames (unfold over time, hop
 *          apart) -> * window (zero-padded to n_fft, centred) -> _fft_r2c (real) or _fft_c2c
 *          (complex input or window) over each frame -> [batch, freq, frames]
 *   istft: inverse transform of each frame (_fft_c2r, or _fft_c2c for return_complex) ->
 *          * window -> overlap-add (col2im, F.fold) -> / the overlap-add of window², the
 *          window envelope -> the centre padding trimmed (or cut / zero-padded to `length`)
 *
 * Note [istft envelope]: with frames X_t = FFT(w · x[t·hop : t·hop + n_fft]) the overlap-add of
 * w · IFFT(X_t) is x[n] · Σ_t w²[n - t·hop], so dividing by the overlap-add of w² (the
 * envelope) recovers x wherever the envelope is non-zero (the NOLA condition). PyTorch refuses
 * an envelope below 1e-11 anywhere in the kept range with "window overlap add min".
 */
import { Tensor } from "../../tensor.js";
import { attributeError, runtimeError, typeError } from "../../errors.js";
import { pyTypeName, scalarTypeName } from "../../ops/core.js";
import { defineOp, fn } from "../define.js";
import { fftC2c, fftC2r, fftR2c } from "./spectral.js";
import { warn } from "./nn.js";

/** ATen's fft_norm_mode (as spectral.ts). */
const NORM_NONE = 0;
const NORM_BY_ROOT_N = 1;
const NORM_BY_N = 2;

const warned = new Set<string>();
/** TORCH_WARN_ONCE: a UserWarning shown the first time only. */
function warnOnce(msg: string): void {
  if (warned.has(msg)) return;
  warned.add(msg);
  warn(msg);
}

/** Tensor::toString() of a CPU tensor: the legacy name (torch.FloatTensor), else CPU<T>Type. */
function typeString(t: Tensor): string {
  const d = t.dtype;
  return d.isComplex || d.name === "bfloat16" ? `CPU${scalarTypeName(d)}Type` : d.tensorTypeName;
}

const sizes = (t: Tensor): string => `[${t.shape.join(", ")}]`;
const opt = (v: number | boolean | null): string =>
  v === null ? "None" : typeof v === "boolean" ? String(Number(v)) : String(v);
const windowRepr = (w: Tensor | null): string =>
  w === null ? "None" : `${typeString(w)}{${sizes(w)}}`;

const pad = (x: Tensor, p: number[], mode: string): Tensor =>
  fn("pad", "nn.functional")(x, p, mode) as Tensor;

/**
 * The window of n_fft points: `window` (ones when null, in `dtype`'s place: `like`'s dtype)
 * zero-padded on both sides to n_fft, centred (left (n_fft - win_length) / 2), as ATen does.
 */
function fullWindow(
  window: Tensor | null,
  winLength: number,
  nFft: number,
  like: Tensor,
): Tensor | null {
  if (winLength >= nFft) return window;
  const left = Math.floor((nFft - winLength) / 2);
  const w = window ?? (fn("ones")([winLength], { dtype: like.dtype }) as Tensor);
  return fn("constantPadNd")(w, [left, nFft - winLength - left]) as Tensor;
}

/** SpectralOps.cpp's stft (the centre padding done before, by the Python wrapper). */
function stftCore(
  self: Tensor,
  nFft: number,
  hopOpt: number | null,
  winOpt: number | null,
  window: Tensor | null,
  normalized: boolean,
  onesidedOpt: boolean | null,
  returnComplexOpt: boolean | null,
): Tensor {
  const hop = hopOpt ?? nFft >> 2;
  const winLength = winOpt ?? nFft;
  const returnComplex = returnComplexOpt ?? (self.dtype.isComplex || !!window?.dtype.isComplex);
  if (!returnComplex && returnComplexOpt === null)
    warnOnce(
      "stft will soon require the return_complex parameter be given for real inputs, and will further require that return_complex=True in a future PyTorch release.",
    );
  const repr = (): string =>
    `stft(${typeString(self)}${sizes(self)}, n_fft=${nFft}, hop_length=${hop}, win_length=${winLength}, window=${windowRepr(window)}, normalized=${opt(normalized)}, onesided=${opt(onesidedOpt)}, return_complex=${opt(returnComplexOpt)}) `;
  if (!self.dtype.isFloatingPoint && !self.dtype.isComplex)
    throw runtimeError(`${repr()}: expected a tensor of floating point or complex values`);
  if (self.dim() > 2 || self.dim() < 1) throw runtimeError(`${repr()}: expected a 1D or 2D tensor`);
  let input = self.dim() === 1 ? self.unsqueeze(0) : self;
  const len = input.shape[1];
  // ATen prints win_length here, not n_fft
  if (nFft <= 0 || nFft > len)
    throw runtimeError(`${repr()}: expected 0 < n_fft < ${len}, but got n_fft=${winLength}`);
  if (hop <= 0) throw runtimeError(`${repr()}: expected hop_length > 0, but got hop_length=${hop}`);
  if (winLength <= 0 || winLength > nFft)
    throw runtimeError(
      `${repr()}: expected 0 < win_length <= n_fft, but got win_length=${winLength}`,
    );
  if (window !== null && (window.dim() !== 1 || window.shape[0] !== winLength))
    throw runtimeError(
      `${repr()}: expected a 1D window tensor of size equal to win_length=${winLength}, but got window with size ${sizes(window)}`,
    );
  const w = fullWindow(window, winLength, nFft, self);
  // frames [batch, n_frames, n_fft], n_frames = 1 + (len - n_fft) / hop (ATen's as_strided)
  input = input.unfold(1, nFft, hop);
  if (w !== null) input = input.mul(w);
  const complexFft = input.dtype.isComplex;
  const onesided = onesidedOpt ?? !complexFft;
  const norm = normalized ? NORM_BY_ROOT_N : NORM_NONE;
  let out: Tensor;
  if (complexFft) {
    if (onesided) throw runtimeError("Cannot have onesided output if window or input is complex");
    out = fftC2c(input, [2], norm, true);
  } else out = fftR2c(input, [2], norm, onesided);
  out = out.transpose_(1, 2);
  if (self.dim() === 1) out = out.squeeze_(0);
  return returnComplex ? out : (fn("viewAsReal")(out) as Tensor);
}

/** Python's truth value of an argument (`if center:`). */
function truthy(v: unknown): boolean {
  if (v instanceof Tensor) return Boolean(v.item());
  if (Array.isArray(v)) return v.length > 0;
  return Boolean(v);
}

/**
 * torch/functional.py's stft (and Tensor.stft, which calls it): the centre padding (F.pad of a
 * 3-D view; `n_fft // 2` in Python, whose TypeError an n_fft of another type meets first), then
 * torch._VF.stft without `center`, which checks the arguments' types.
 */
function stftWrapper(
  input: unknown,
  nFft: unknown,
  hop: unknown,
  win: unknown,
  window: unknown,
  center: unknown,
  padMode: unknown,
  normalized: unknown,
  onesided: unknown,
  returnComplex: unknown,
): unknown {
  if (truthy(center)) {
    if (!(input instanceof Tensor))
      throw attributeError(`'${pyTypeName(input)}' object has no attribute 'dim'`);
    const n = nFft instanceof Tensor ? Number(nFft.item()) : nFft;
    if (typeof n !== "number" && typeof n !== "boolean")
      throw typeError(`unsupported operand type(s) for //: '${pyTypeName(nFft)}' and 'int'`);
    const signalDim = input.dim();
    const extended = [...new Array<number>(Math.max(0, 3 - signalDim)).fill(1), ...input.shape];
    const p = Math.floor(Number(n) / 2);
    const padded = pad(input.view(extended), [p, p], padMode as string);
    // input.shape[-signal_dim:] (the whole shape when signal_dim is 0, as Python slices)
    input = padded.view(padded.shape.slice(-signalDim));
  }
  // torch._VF.stft's overload without `center` is ATen's stft.center with center=False,
  // mode "constant" (SpectralOps.cpp): the one overload declared here, so that the generated
  // declarations carry the Python parameters' types
  return stftOp.vf(
    input,
    nFft,
    hop,
    win,
    window,
    false,
    "constant",
    normalized,
    onesided,
    returnComplex,
  );
}

/** aten::stft.center: the centre padding in ATen, then the same transform. */
function stftCenter(
  input: Tensor,
  nFft: number,
  hop: number | null,
  win: number | null,
  window: Tensor | null,
  center: boolean,
  padMode: string,
  normalized: boolean,
  onesided: boolean | null,
  returnComplex: boolean | null,
): Tensor {
  if (center) {
    const signalDim = input.dim();
    const extended = [...new Array<number>(Math.max(0, 3 - signalDim)).fill(1), ...input.shape];
    const p = Math.floor(nFft / 2);
    const padded = pad(input.view(extended), [p, p], padMode);
    input = padded.view(padded.shape.slice(-signalDim));
  }
  return stftCore(input, nFft, hop, win, window, normalized, onesided, returnComplex);
}

/**
 * The overlap-add of frames [channel, n_fft, n_frames] hop apart into [channel, 1, outLen]
 * (ATen's col2im with a 1 x n_fft kernel). col2im is real: a complex y is added as its real and
 * imaginary planes, two channels of the real view.
 */
function overlapAdd(y: Tensor, outLen: number, nFft: number, hop: number): Tensor {
  const fold = (t: Tensor): Tensor =>
    fn("fold", "nn.functional")(t, [1, outLen], [1, nFft], [1, 1], [0, 0], [1, hop]) as Tensor;
  if (!y.dtype.isComplex) return fold(y).squeeze(2);
  const [ch, , frames] = y.shape;
  const planes = (fn("viewAsReal")(y) as Tensor)
    .permute([0, 3, 1, 2])
    .reshape([ch, 2 * nFft, frames]);
  // [ch, 2, 1, outLen] -> [ch, 1, outLen, 2] -> complex [ch, 1, outLen]
  const summed = fold(planes).permute([0, 2, 3, 1]).contiguous();
  return fn("viewAsComplex")(summed) as Tensor;
}

/** SpectralOps.cpp's istft (1.13). */
function istftForward(
  self: Tensor,
  nFft: number,
  hopOpt: number | null,
  winOpt: number | null,
  window: Tensor | null,
  center: boolean,
  normalized: boolean,
  onesidedOpt: boolean | null,
  lengthOpt: number | null,
  returnComplex: boolean,
): Tensor {
  const hop = hopOpt ?? nFft >> 2;
  const winLength = winOpt ?? nFft;
  const repr = (): string =>
    `istft(${typeString(self)}${sizes(self)}, n_fft=${nFft}, hop_length=${hop}, win_length=${winLength}, window=${windowRepr(window)}, center=${opt(center)}, normalized=${opt(normalized)}, onesided=${opt(onesidedOpt)}, length=${opt(lengthOpt)}, return_complex=${opt(returnComplex)}) `;
  let input = self;
  if (!self.dtype.isComplex)
    warnOnce(
      "istft will require a complex-valued input tensor in a future PyTorch release. Matching the output from stft with return_complex=True. ",
    );
  else input = fn("viewAsReal")(self.resolveConj()) as Tensor;
  const inputDim = input.dim();
  const nFrames = input.size(-2);
  const fftSize = input.size(-3);
  const expectedLen = nFft + hop * (nFrames - 1);
  if (input.numel() === 0) throw runtimeError(`${repr()}: input tensor cannot be empty.`);
  if (inputDim !== 3 && inputDim !== 4)
    throw runtimeError(`${repr()}: expected a tensor with 3 or 4 dimensions, but got ${inputDim}`);
  if (input.size(-1) !== 2)
    throw runtimeError(
      `${repr()}: expected the last dimension to be 2 (corresponding to real and imaginary parts), but got ${self.size(-1)}`,
    );
  const onesided = onesidedOpt ?? fftSize !== nFft;
  // "onsided": 1.13's words
  if (onesided) {
    if (Math.floor(nFft / 2) + 1 !== fftSize)
      throw runtimeError(
        `${repr()}: expected the frequency dimension (3rd to the last) of the input tensor to match n_fft / 2 + 1 when onsided=True, but got ${fftSize}`,
      );
  } else if (nFft !== fftSize)
    throw runtimeError(
      `${repr()}: expected the frequency dimension (3rd to the last) of the input tensor to match n_fft when onsided=False, but got ${fftSize}`,
    );
  if (!(hop > 0 && hop <= winLength))
    throw runtimeError(`${repr()}: expected 0 < hop_length <= win_length`);
  if (!(winLength > 0 && winLength <= nFft))
    throw runtimeError(`${repr()}: expected 0 < win_length <= n_fft`);
  if (window !== null && (window.dim() !== 1 || window.shape[0] !== winLength))
    throw runtimeError(
      `${repr()}: Invalid window shape. window has to be 1D and length of \`win_length\``,
    );
  let w = window ?? (fn("ones")([winLength], { dtype: input.dtype }) as Tensor);
  if (winLength !== nFft) {
    const left = Math.floor((nFft - winLength) / 2);
    w = fn("constantPadNd")(w, [left, nFft - winLength - left]) as Tensor;
  }
  if (inputDim === 3) input = input.unsqueeze(0);
  // [channel, n_frames, fft_size] complex (ATen's as_complex clones a layout view_as_complex refuses)
  let frames = input.transpose(1, 2);
  const last = frames.strides[frames.dim() - 1];
  const even = frames.strides.slice(0, -1).every((s) => s % 2 === 0);
  if (!(last === 1 && even && frames.offset % 2 === 0)) frames = frames.contiguous();
  frames = fn("viewAsComplex")(frames) as Tensor;
  const norm = normalized ? NORM_BY_ROOT_N : NORM_BY_N;
  if (returnComplex) {
    if (onesided) throw runtimeError("Cannot have onesided output if window or input is complex");
    frames = fftC2c(frames, [2], norm, false);
  } else {
    if (window !== null && window.dtype.isComplex)
      throw runtimeError("Complex windows are incompatible with return_complex=False");
    if (!onesided) frames = frames.narrow(2, 0, Math.floor(nFft / 2) + 1);
    frames = fftC2r(frames, [2], norm, nFft);
  }
  const yTmp = frames.mul(w.view([1, 1, nFft])).transpose(1, 2); // [channel, n_fft, n_frames]
  let y = overlapAdd(yTmp, expectedLen, nFft, hop);
  const wSq = w.pow(2).view([nFft, 1]).expand([1, nFft, nFrames]).contiguous();
  let envelope = overlapAdd(wSq, expectedLen, nFft, hop);
  // Note [istft envelope]: trim the centre padding (or keep `length` samples)
  const start = center ? Math.floor(nFft / 2) : 0;
  const end =
    lengthOpt !== null
      ? start + lengthOpt
      : center
        ? expectedLen - Math.floor(nFft / 2)
        : expectedLen;
  // y.slice(2, start, end): clamped to the signal, empty when end <= start
  const from = Math.min(start, expectedLen);
  const kept = Math.max(0, Math.min(end, expectedLen) - from);
  y = y.narrow(2, from, kept);
  envelope = envelope.narrow(2, from, kept);
  const lowest = envelope.abs().min().lt(1e-11);
  if (lowest.item()) throw runtimeError(`${repr()}window overlap add min: 1\n[ CPUBoolType{} ]`);
  y = y.div(envelope).squeeze(1);
  if (inputDim === 3) y = y.squeeze(0);
  if (end > expectedLen) {
    warnOnce(
      "The length of signal is shorter than the length parameter. Result is being padded with zeros in the tail. Please check your center and hop_length settings.",
    );
    y = fn("constantPadNd")(y, [0, end - expectedLen]) as Tensor;
  }
  return y;
}

const STFT_PARAMS =
  "n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode='reflect', normalized=False, onesided=None, return_complex=None";

const stftOp = defineOp({
  name: "stft",
  variants: ["function", "method"],
  pythonWrapper: {
    function: `input, ${STFT_PARAMS}`,
    method: `self, ${STFT_PARAMS}`,
    body: stftWrapper as (...args: unknown[]) => unknown,
  },
  doc: "The short-time Fourier transform: the Fourier transform of windowed frames of `input` (1-D, or 2-D batched) n_fft points long and hop_length (n_fft / 4) apart, [*, freq, frames]; `center` pads n_fft / 2 points each side first (F.pad with `pad_mode`). A real input gives n_fft / 2 + 1 bins (`onesided`); `returnComplex` false gives the real view [*, freq, frames, 2] (1.13 warns when it is not given for a real input).",
  example: "torch.stft(torch.ones(8), 4, { returnComplex: true }).shape // [3, 9]",
  overloads: [
    {
      schema:
        'stft.center(Tensor self, int n_fft, int? hop_length=None, int? win_length=None, Tensor? window=None, bool center=True, str pad_mode="reflect", bool normalized=False, bool? onesided=None, bool? return_complex=None) -> Tensor',
      forward: stftCenter,
    },
  ],
});

const ISTFT_PARAMS =
  "n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False, onesided=None, length=None, return_complex=False";

const istftOp = defineOp({
  name: "istft",
  variants: ["function", "method"],
  // Tensor.istft is a Python method (torch/_tensor.py) calling torch.istft, the builtin
  pythonWrapper: {
    method: `self, ${ISTFT_PARAMS}`,
    body: (...args: unknown[]) => istftOp.vf(...args),
  },
  doc: "The inverse of stft: each frame's inverse Fourier transform times `window`, overlap-added hop_length apart and divided by the overlap-add of window² (an envelope below 1e-11 is refused); `center` trims n_fft / 2 points each side, `length` cuts or zero-pads the result.",
  example:
    "torch.istft(torch.stft(torch.ones(8), 4, { returnComplex: true }), 4) // tensor([1., 1., 1., 1., 1., 1., 1., 1.])",
  overloads: [
    {
      schema:
        "istft(Tensor self, int n_fft, int? hop_length=None, int? win_length=None, Tensor? window=None, bool center=True, bool normalized=False, bool? onesided=None, int? length=None, bool return_complex=False) -> Tensor",
      forward: istftForward,
    },
  ],
});
