/**
 * Helpers shared by the convolution, normalisation, recurrent and attention layers: PyTorch's
 * default initialisations (drawing from the generator exactly as torch.nn.init does) and the
 * Python formatting of their reprs.
 */
import { Tensor } from "../tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { formatPyFloat } from "../print.js";
import { runtimeError } from "../errors.js";

/** torch.nn.init._calculate_fan_in_and_fan_out. */
export function fanInOut(shape: readonly number[]): [number, number] {
  if (shape.length < 2) {
    throw runtimeError(
      "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions",
    );
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return [shape[1] * receptive, shape[0] * receptive];
}

/** tensor.uniform_(-bound, bound) without recording. */
export function uniformInit(t: Tensor, bound: number): void {
  noGrad(() => t.uniform_(-bound, bound));
}

/**
 * kaiming_uniform_(w, a=sqrt(5)), the default weight init of Linear and the conv layers:
 * U(-b, b) with b = sqrt(3) * gain / sqrt(fan_in), gain = sqrt(2 / (1 + a^2)) (computed in the
 * same order as Python, so the float32 bound rounds the same way).
 */
export function kaimingUniformDefault(w: Tensor): void {
  const a = Math.sqrt(5);
  const [fanIn] = fanInOut(w.shape);
  const gain = Math.sqrt(2.0 / (1 + a ** 2));
  if (fanIn === 0) return; // PyTorch warns "Initializing zero-element tensors is a no-op"
  const std = gain / Math.sqrt(fanIn);
  uniformInit(w, Math.sqrt(3.0) * std);
}

/** The bias init of Linear and the conv layers: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
export function biasInit(b: Tensor, weightShape: readonly number[]): void {
  const [fanIn] = fanInOut(weightShape);
  if (fanIn !== 0) uniformInit(b, 1 / Math.sqrt(fanIn));
}

/** xavier_uniform_(w, gain): U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)). */
export function xavierUniform(w: Tensor, gain = 1.0): void {
  const [fanIn, fanOut] = fanInOut(w.shape);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  uniformInit(w, Math.sqrt(3.0) * std);
}

/** A Python tuple of ints: "(3,)" or "(3, 3)". */
export function pyTuple(v: readonly number[]): string {
  return v.length === 1 ? `(${v[0]},)` : `(${v.join(", ")})`;
}

/** A Python bool. */
export const pyBool = (b: boolean): string => (b ? "True" : "False");

/** A Python float (1e-05, 0.1). */
export const pyFloat = (v: number): string => formatPyFloat(v);

/** Sizes given as an int or an array, as the layer stores them (PyTorch's _pair / _single). */
export function toTuple(v: number | readonly number[], n: number): number[] {
  if (typeof v === "number") return new Array<number>(n).fill(v);
  return v.slice();
}
