/**
 * torch.nn.init: in-place initialisers that draw from the generator exactly as PyTorch 1.13's
 * (same bounds computed in the same order, then `uniform_` / `normal_`), so a seeded run gives
 * PyTorch's values. Each runs without recording and returns its tensor.
 */
import { Tensor } from "../tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { typeError, valueError } from "../errors.js";
import { erfScalar } from "../backend/special.js";
import { diag, empty, randperm } from "../generated/functions.js";
import { qr } from "../generated/linalg.js";

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

/** Python's `warnings.warn(msg)` (a UserWarning). */
function warn(msg: string): void {
  console.warn(`UserWarning: ${msg}`);
}

/** A plain options object (`{ std: 0.02 }`), never a Tensor or an array. */
function isOptions(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Binds an initialiser's arguments after the tensor: values positionally in PyTorch's order
 * (`names`), then optionally a trailing options object by camelCased name; `defaults` fills the
 * rest. Python's TypeErrors for an unknown keyword or a value given twice.
 */
function bindArgs<O extends Record<string, unknown>>(
  fn: string,
  args: readonly unknown[],
  names: readonly (keyof O & string)[],
  defaults: O,
): O {
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  let positional = args.slice(0, n);
  let opts: Record<string, unknown> = {};
  if (n > 0 && isOptions(args[n - 1])) {
    positional = args.slice(0, n - 1);
    opts = args[n - 1] as Record<string, unknown>;
  }
  if (positional.length > names.length)
    throw typeError(
      `${fn}() takes from 1 to ${names.length + 1} positional arguments but ${positional.length + 1} were given`,
    );
  const out: Record<string, unknown> = { ...defaults };
  const given = new Set<string>();
  positional.forEach((v, i) => {
    if (v === undefined) return;
    out[names[i]] = v;
    given.add(names[i]);
  });
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined) continue;
    if (!names.includes(k))
      throw typeError(`${fn}() got an unexpected keyword argument '${snake(k)}'`);
    if (given.has(k)) throw typeError(`${fn}() got multiple values for argument '${snake(k)}'`);
    out[k] = v;
  }
  return out as O;
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
export function uniform_(
  tensor: Tensor,
  a?: number | { a?: number; b?: number },
  b?: number | { b?: number },
): Tensor {
  const o = bindArgs<{ a: number; b: number }>("uniform_", [a, b], ["a", "b"], { a: 0, b: 1 });
  return noGrad(() => tensor.uniform_(o.a, o.b));
}

/**
 * Fill with N(mean, std^2).
 * @example torch.nn.init.normal_(torch.empty(3, 5), 0, 0.02)
 */
export function normal_(
  tensor: Tensor,
  mean?: number | { mean?: number; std?: number },
  std?: number | { std?: number },
): Tensor {
  const o = bindArgs<{ mean: number; std: number }>("normal_", [mean, std], ["mean", "std"], {
    mean: 0,
    std: 1,
  });
  return noGrad(() => tensor.normal_(o.mean, o.std));
}

/**
 * Fill with a constant.
 * @example torch.nn.init.constant_(torch.empty(3), 0.1)
 */
export function constant_(tensor: Tensor, val: number | { val: number }): Tensor {
  const o = bindArgs<{ val: number }>("constant_", [val], ["val"], { val: NaN });
  // val has no default: NaN marks it not given (a NaN given positionally is a number)
  if (Number.isNaN(o.val) && typeof val !== "number")
    throw typeError("constant_() missing 1 required positional argument: 'val'");
  return noGrad(() => tensor.fill_(o.val));
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
export function xavierUniform_(tensor: Tensor, gain: number | { gain?: number } = 1.0): Tensor {
  const g = bindArgs<{ gain: number }>("xavier_uniform_", [gain], ["gain"], { gain: 1 }).gain;
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  const std = g * Math.sqrt(2.0 / (fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  return uniform_(tensor, -a, a);
}

/**
 * Xavier/Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).
 * @example torch.nn.init.xavierNormal_(torch.empty(3, 5))
 */
export function xavierNormal_(tensor: Tensor, gain: number | { gain?: number } = 1.0): Tensor {
  const g = bindArgs<{ gain: number }>("xavier_normal_", [gain], ["gain"], { gain: 1 }).gain;
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  const std = g * Math.sqrt(2.0 / (fanIn + fanOut));
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

/** Options of `truncNormal_` (PyTorch's mean, std, a, b). */
export interface TruncNormalOptions {
  /** the mean of the normal distribution (default 0) */
  mean?: number;
  /** its standard deviation (default 1) */
  std?: number;
  /** the lower cutoff (default -2) */
  a?: number;
  /** the upper cutoff (default 2) */
  b?: number;
}

/** Standard normal CDF: Phi(x) = (1 + erf(x / sqrt(2))) / 2. */
function normCdf(x: number): number {
  return (1 + erfScalar(x / Math.sqrt(2))) / 2;
}

/**
 * Truncated normal: N(mean, std^2) restricted to [a, b], drawn by inverse CDF as PyTorch does:
 * u ~ U(2 Phi(alpha) - 1, 2 Phi(beta) - 1) with alpha = (a - mean) / std, beta = (b - mean) / std,
 * then x = mean + std * sqrt(2) * erfinv(u), clamped to [a, b]. Warns when mean lies more than
 * 2 std outside [a, b]. Positional (mean, std, a, b) as PyTorch, or an options object.
 * @example torch.nn.init.truncNormal_(torch.empty(3, 5), { std: 0.02 })
 */
export function truncNormal_(
  tensor: Tensor,
  mean?: number | TruncNormalOptions,
  std?: number | TruncNormalOptions,
  a?: number | TruncNormalOptions,
  b?: number | TruncNormalOptions,
): Tensor {
  const o = bindArgs<Required<TruncNormalOptions>>(
    "trunc_normal_",
    [mean, std, a, b],
    ["mean", "std", "a", "b"],
    { mean: 0, std: 1, a: -2, b: 2 },
  );
  if (o.mean < o.a - 2 * o.std || o.mean > o.b + 2 * o.std)
    warn(
      "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may be incorrect.",
    );
  return noGrad(() => {
    const l = normCdf((o.a - o.mean) / o.std);
    const u = normCdf((o.b - o.mean) / o.std);
    tensor.uniform_(2 * l - 1, 2 * u - 1);
    tensor.erfinv_();
    tensor.mul_(o.std * Math.sqrt(2));
    tensor.add_(o.mean);
    tensor.clamp_(o.a, o.b);
    return tensor;
  });
}

/**
 * Fill a 3-, 4- or 5-D convolution weight with the Dirac delta: for each of `groups` groups of
 * out_channels / groups output channels, w[g * out + d, d, centre...] = 1 for d < min(out,
 * in_channels), all else 0, so the convolution passes its input through.
 * @example torch.nn.init.dirac_(torch.empty(4, 2, 3), 2).sum() // tensor(4.)
 */
export function dirac_(tensor: Tensor, groups: number | { groups?: number } = 1): Tensor {
  const g = bindArgs<{ groups: number }>("dirac_", [groups], ["groups"], { groups: 1 }).groups;
  const dims = tensor.dim();
  if (dims !== 3 && dims !== 4 && dims !== 5)
    throw valueError("Only tensors with 3, 4, or 5 dimensions are supported");
  const sizes = tensor.shape;
  // Python's %: the sign of the divisor
  if (((sizes[0] % g) + g) % g !== 0) throw valueError("dim 0 must be divisible by groups");
  const outPerGroup = Math.floor(sizes[0] / g);
  const minDim = Math.min(outPerGroup, sizes[1]);
  return noGrad(() => {
    tensor.zero_();
    for (let gi = 0; gi < g; gi++)
      for (let d = 0; d < minDim; d++) {
        let t = tensor.select(0, gi * outPerGroup + d).select(0, d);
        for (let k = 2; k < dims; k++) t = t.select(0, Math.floor(sizes[k] / 2));
        t.fill_(1);
      }
    return tensor;
  });
}

/**
 * A (semi-)orthogonal fill (Saxe et al. 2013): the tensor seen as rows x (numel / rows) gets Q of
 * the QR factorisation of a standard normal sample (of its transpose when rows < cols), each
 * column times sign(R_ii) so that Q is Haar-distributed, then times `gain`.
 * @example torch.nn.init.orthogonal_(torch.empty(3, 5))
 */
export function orthogonal_(tensor: Tensor, gain: number | { gain?: number } = 1): Tensor {
  const o = bindArgs<{ gain: number }>("orthogonal_", [gain], ["gain"], { gain: 1 });
  if (tensor.dim() < 2) throw valueError("Only tensors with 2 or more dimensions are supported");
  if (tensor.numel() === 0) return tensor;
  const rows = tensor.shape[0];
  const cols = Math.floor(tensor.numel() / rows);
  let flattened = empty([rows, cols], { dtype: tensor.dtype }).normal_(0, 1);
  if (rows < cols) flattened = flattened.t();
  // PyTorch's q, r = torch.linalg.qr(flattened); q *= sign(diag(r))
  let q = noGrad(() => {
    const [qm, r] = qr(flattened);
    return qm.mul(diag(r, 0).sign());
  });
  if (rows < cols) q = q.t();
  return noGrad(() => {
    tensor.copy_(q.reshape(tensor.shape));
    tensor.mul_(o.gain);
    return tensor;
  });
}

/** Options of `sparse_`. */
export interface SparseOptions {
  /** the fraction of each column's elements set to zero */
  sparsity?: number;
  /** the standard deviation of the normal distribution of the others (default 0.01) */
  std?: number;
}

/**
 * A sparse 2-D fill (Martens 2010): N(0, std^2) everywhere, then in each column the first
 * ceil(sparsity * rows) rows of a fresh randperm(rows) are zeroed.
 * @example torch.nn.init.sparse_(torch.empty(10, 3), 0.1).eq(0).sum() // tensor(3)
 */
export function sparse_(
  tensor: Tensor,
  sparsity: number | SparseOptions,
  std?: number | SparseOptions,
): Tensor {
  const o = bindArgs<Required<SparseOptions>>("sparse_", [sparsity, std], ["sparsity", "std"], {
    sparsity: NaN,
    std: 0.01,
  });
  // sparsity has no default: NaN marks it not given (a NaN given positionally is a number)
  if (Number.isNaN(o.sparsity) && typeof sparsity !== "number")
    throw typeError("sparse_() missing 1 required positional argument: 'sparsity'");
  if (tensor.dim() !== 2) throw valueError("Only tensors with 2 dimensions are supported");
  const [rows, cols] = tensor.shape;
  const numZeros = Math.ceil(o.sparsity * rows);
  return noGrad(() => {
    tensor.normal_(0, o.std);
    for (let c = 0; c < cols; c++) {
      const rowIndices = randperm(rows);
      // Python's row_indices[:num_zeros]: a slice clipped to [0, rows]
      const k = Math.max(0, Math.min(numZeros, rows));
      tensor.select(1, c).indexFill_(0, rowIndices.narrow(0, 0, k), 0);
    }
    return tensor;
  });
}

// The deprecated names without the trailing underscore (PyTorch's _make_deprecate): each warns,
// then calls the in-place initialiser with the same arguments.
function deprecated<A extends unknown[]>(
  oldName: string,
  fn: (...args: A) => Tensor,
): (...args: A) => Tensor {
  const f = (...args: A): Tensor => {
    warn(`nn.init.${oldName} is now deprecated in favor of nn.init.${oldName}_.`);
    return fn(...args);
  };
  // named as its export (PyTorch's deprecated_init.__name__ = old_name)
  Object.defineProperty(f, "name", { value: fn.name.slice(0, -1) });
  return f;
}

/**
 * Deprecated `uniform_` (warns as PyTorch does).
 * @example torch.nn.init.uniform(torch.empty(2), 0, 1).shape // [2]
 */
export const uniform = deprecated("uniform", uniform_);
/**
 * Deprecated `normal_` (warns as PyTorch does).
 * @example torch.nn.init.normal(torch.empty(2)).shape // [2]
 */
export const normal = deprecated("normal", normal_);
/**
 * Deprecated `constant_` (warns as PyTorch does).
 * @example torch.nn.init.constant(torch.empty(2), 3) // tensor([3., 3.])
 */
export const constant = deprecated("constant", constant_);
/**
 * Deprecated `eye_` (warns as PyTorch does).
 * @example torch.nn.init.eye(torch.empty(2, 2)) // tensor([[1., 0.], [0., 1.]])
 */
export const eye = deprecated("eye", eye_);
/**
 * Deprecated `dirac_` (warns as PyTorch does).
 * @example torch.nn.init.dirac(torch.empty(2, 2, 3)).sum() // tensor(2.)
 */
export const dirac = deprecated("dirac", dirac_);
/**
 * Deprecated `xavierUniform_` (warns as PyTorch does).
 * @example torch.nn.init.xavierUniform(torch.empty(3, 5)).shape // [3, 5]
 */
export const xavierUniform = deprecated("xavier_uniform", xavierUniform_);
/**
 * Deprecated `xavierNormal_` (warns as PyTorch does).
 * @example torch.nn.init.xavierNormal(torch.empty(3, 5)).shape // [3, 5]
 */
export const xavierNormal = deprecated("xavier_normal", xavierNormal_);
/**
 * Deprecated `kaimingUniform_` (warns as PyTorch does).
 * @example torch.nn.init.kaimingUniform(torch.empty(3, 5)).shape // [3, 5]
 */
export const kaimingUniform = deprecated("kaiming_uniform", kaimingUniform_);
/**
 * Deprecated `kaimingNormal_` (warns as PyTorch does).
 * @example torch.nn.init.kaimingNormal(torch.empty(3, 5)).shape // [3, 5]
 */
export const kaimingNormal = deprecated("kaiming_normal", kaimingNormal_);
/**
 * Deprecated `orthogonal_` (warns as PyTorch does).
 * @example torch.nn.init.orthogonal(torch.empty(3, 5)).shape // [3, 5]
 */
export const orthogonal = deprecated("orthogonal", orthogonal_);
/**
 * Deprecated `sparse_` (warns as PyTorch does).
 * @example torch.nn.init.sparse(torch.empty(4, 3), 0.5).eq(0).sum() // tensor(6)
 */
export const sparse = deprecated("sparse", sparse_);
