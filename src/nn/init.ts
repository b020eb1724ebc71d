/**
 * torch.nn.init: in-place initialisers that draw from the generator exactly as PyTorch 1.13's
 * (same bounds computed in the same order, then `uniform_` / `normal_`), so a seeded run gives
 * PyTorch's values. Each runs without recording and returns its tensor.
 */
import { Tensor } from "../tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { valueError } from "../errors.js";

/** The nonlinearities `calculateGain` knows. */
export type Nonlinearity =
  | "linear"
  | "conv1d"
  | "conv2d"
  | "conv3d"
  | "conv_transpose1d"
  | "conv_transpose2d"
  | "conv_transpose3d"
  | "sigmoid"
  | "tanh"
  | "relu"
  | "leaky_relu"
  | "selu";

/** fan_in or fan_out */
export type FanMode = "fan_in" | "fan_out";

/**
 * The recommended gain for a nonlinearity (torch.nn.init.calculate_gain).
 * @example torch.nn.init.calculateGain("leaky_relu", 0.2) // 1.3867504905630728
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number | null): number {
  const linear = [
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
  ];
  if (linear.includes(nonlinearity) || nonlinearity === "sigmoid") return 1;
  if (nonlinearity === "tanh") return 5.0 / 3;
  if (nonlinearity === "relu") return Math.sqrt(2.0);
  if (nonlinearity === "leaky_relu") {
    let slope: number;
    if (param === undefined || param === null) slope = 0.01;
    else if (typeof param === "number") slope = param;
    else throw valueError(`negative_slope ${String(param)} not a valid number`);
    return Math.sqrt(2.0 / (1 + slope * slope));
  }
  if (nonlinearity === "selu") return 3.0 / 4;
  throw valueError(`Unsupported nonlinearity ${String(nonlinearity)}`);
}

/**
 * [fan_in, fan_out] of a weight (torch.nn.init._calculate_fan_in_and_fan_out).
 * @example torch.nn.init.calculateFanInAndFanOut(torch.empty(2, 3)) // [3, 2]
 */
export function calculateFanInAndFanOut(tensor: Tensor): [number, number] {
  const d = tensor.dim();
  if (d < 2)
    throw valueError(
      "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions",
    );
  let receptive = 1;
  for (let i = 2; i < d; i++) receptive *= tensor.shape[i];
  return [tensor.shape[1] * receptive, tensor.shape[0] * receptive];
}

function correctFan(tensor: Tensor, mode: FanMode): number {
  if (mode !== "fan_in" && mode !== "fan_out")
    throw valueError(`Mode ${String(mode)} not supported, please use one of fan_in, fan_out`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  return mode === "fan_in" ? fanIn : fanOut;
}

function warnEmpty(tensor: Tensor): boolean {
  if (tensor.shape.includes(0)) {
    console.warn("UserWarning: Initializing zero-element tensors is a no-op");
    return true;
  }
  return false;
}

/**
 * Fill with U(a, b).
 * @example torch.nn.init.uniform_(torch.empty(3, 5), -0.1, 0.1)
 */
export function uniform_(tensor: Tensor, a = 0, b = 1): Tensor {
  return noGrad(() => tensor.uniform_(a, b));
}

/**
 * Fill with N(mean, std^2).
 * @example torch.nn.init.normal_(torch.empty(3, 5), 0, 0.02)
 */
export function normal_(tensor: Tensor, mean = 0, std = 1): Tensor {
  return noGrad(() => tensor.normal_(mean, std));
}

/**
 * Fill with a constant.
 * @example torch.nn.init.constant_(torch.empty(3), 0.1)
 */
export function constant_(tensor: Tensor, val: number): Tensor {
  return noGrad(() => tensor.fill_(val));
}

/**
 * Fill with ones.
 * @example torch.nn.init.ones_(new torch.nn.LayerNorm(4).weight)
 */
export function ones_(tensor: Tensor): Tensor {
  return constant_(tensor, 1);
}

/**
 * Fill with zeros.
 * @example torch.nn.init.zeros_(new torch.nn.Linear(2, 3).bias)
 */
export function zeros_(tensor: Tensor): Tensor {
  return constant_(tensor, 0);
}

/**
 * Fill a 2-D tensor with the identity matrix.
 * @example torch.nn.init.eye_(torch.empty(3, 5))
 */
export function eye_(tensor: Tensor): Tensor {
  if (tensor.dim() !== 2) throw valueError("Only tensors with 2 dimensions are supported");
  return noGrad(() => {
    tensor.zero_();
    const n = Math.min(tensor.shape[0], tensor.shape[1]);
    for (let i = 0; i < n; i++)
      tensor.typedArray[tensor.offset + i * tensor.strides[0] + i * tensor.strides[1]] = 1;
    tensor._version.value++;
    return tensor;
  });
}

/**
 * Xavier/Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).
 * @example torch.nn.init.xavierUniform_(torch.empty(3, 5), torch.nn.init.calculateGain("relu"))
 */
export function xavierUniform_(tensor: Tensor, gain = 1.0): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  return uniform_(tensor, -a, a);
}

/**
 * Xavier/Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).
 * @example torch.nn.init.xavierNormal_(torch.empty(3, 5))
 */
export function xavierNormal_(tensor: Tensor, gain = 1.0): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  return normal_(tensor, 0, std);
}

/** Options of the Kaiming initialisers (PyTorch's a, mode, nonlinearity). */
export interface KaimingOptions {
  /** the negative slope of the rectifier after this layer (leaky_relu) */
  a?: number;
  /** "fan_in" (default) keeps the forward pass's variance, "fan_out" the backward pass's. */
  mode?: FanMode;
  /** The nonlinearity after the layer, for the gain (default "leaky_relu"). */
  nonlinearity?: Nonlinearity;
}

function kaimingArgs(
  a: number | KaimingOptions | undefined,
  mode: FanMode | undefined,
  nonlinearity: Nonlinearity | undefined,
): Required<KaimingOptions> {
  if (typeof a === "object" && a !== null) {
    return { a: a.a ?? 0, mode: a.mode ?? "fan_in", nonlinearity: a.nonlinearity ?? "leaky_relu" };
  }
  return { a: a ?? 0, mode: mode ?? "fan_in", nonlinearity: nonlinearity ?? "leaky_relu" };
}

/**
 * Kaiming/He uniform: U(-b, b), b = gain * sqrt(3 / fan). Positional (a, mode, nonlinearity)
 * as PyTorch, or an options object.
 * @example torch.nn.init.kaimingUniform_(torch.empty(3, 5), { mode: "fan_in", nonlinearity: "relu" })
 */
export function kaimingUniform_(
  tensor: Tensor,
  a?: number | KaimingOptions,
  mode?: FanMode,
  nonlinearity?: Nonlinearity,
): Tensor {
  const o = kaimingArgs(a, mode, nonlinearity);
  if (warnEmpty(tensor)) return tensor;
  const fan = correctFan(tensor, o.mode);
  const gain = calculateGain(o.nonlinearity, o.a);
  const std = gain / Math.sqrt(fan);
  const bound = Math.sqrt(3.0) * std;
  return uniform_(tensor, -bound, bound);
}

/**
 * Kaiming/He normal: N(0, std^2), std = gain / sqrt(fan).
 * @example torch.nn.init.kaimingNormal_(torch.empty(3, 5), 0, "fan_out", "relu")
 */
export function kaimingNormal_(
  tensor: Tensor,
  a?: number | KaimingOptions,
  mode?: FanMode,
  nonlinearity?: Nonlinearity,
): Tensor {
  const o = kaimingArgs(a, mode, nonlinearity);
  if (warnEmpty(tensor)) return tensor;
  const fan = correctFan(tensor, o.mode);
  const gain = calculateGain(o.nonlinearity, o.a);
  const std = gain / Math.sqrt(fan);
  return normal_(tensor, 0, std);
}
