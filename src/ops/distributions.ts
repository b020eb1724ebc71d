/**
 * Random ops on tensors, as PyTorch 1.13's CPU kernels draw them (aten/src/ATen/native/
 * Distributions.cpp, DistributionTemplates.h, cpu/DistributionTemplates.h,
 * cpu/MultinomialKernel.cpp): the in-place fills `uniform_`, `normal_`, `exponential_`,
 * `bernoulli_`, `random_`, and `bernoulli`, `multinomial`. Each takes PyTorch's keyword-only
 * `generator` (a torch.Generator; the default generator when absent) and draws exactly PyTorch's
 * numbers for the same state, in PyTorch's order (Note [visiting order]).
 *
 * Arguments come positionally in PyTorch's order or by camelCased name in a trailing options
 * object; `bind` checks them with PyTorch's messages.
 */
import { Tensor } from "../tensor.js";
import {
  type DType,
  type TypedArray,
  bool,
  float32,
  float64,
  int32,
  int64,
  uint8,
} from "../dtype.js";
import { contiguousStrides, isContiguous, numelOf } from "../shape.js";
import { stridedOffsets } from "../backend/copy.js";
import { castData, contiguousData, pyTypeName, scalarTypeName, wrap } from "./core.js";
import { inplace } from "./inplace.js";
import { expand } from "./views.js";
import { needsGrad, record } from "../autograd/function.js";
import { noGrad } from "../autograd/grad-mode.js";
import { runtimeError, typeError } from "../errors.js";
import {
  type CPUGeneratorImpl,
  type RandomIntArray,
  fillBernoulli,
  fillBernoulliTensor,
  fillExponential,
  fillNormal,
  fillRandint,
  fillRandomDefault,
  fillRandomFullRange,
  fillUniform,
} from "../random.js";
import { generatorArg, invalidCombination, type Generator } from "../generator.js";

// ------------------------------------------------------------------------------------------------
// arguments

/**
 * The `generator` keyword every random op takes (keyword-only in PyTorch, so by name only; last
 * in each op's options): the generator to draw from, torch.defaultGenerator when absent or null.
 */
export interface RandomOptions {
  generator?: Generator | null;
}

type ParamType = "float" | "int" | "int?" | "bool" | "Tensor" | "float|Tensor";
interface Param {
  /** camelCase name (the options-object key) */
  name: string;
  type: ParamType;
  /** absent: required */
  default?: unknown;
}

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function isOptionsObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Tensor) &&
    !ArrayBuffer.isView(v)
  );
}

function typeOk(v: unknown, type: ParamType): boolean {
  switch (type) {
    case "float":
      return typeof v === "number";
    case "int":
      return typeof v === "number" && Number.isInteger(v);
    case "int?":
      return v === null || (typeof v === "number" && Number.isInteger(v));
    case "bool":
      return typeof v === "boolean";
    case "Tensor":
      return v instanceof Tensor;
    case "float|Tensor":
      return typeof v === "number" || v instanceof Tensor;
  }
}

/**
 * PyTorch's argument parsing for one signature: `args` are the call's arguments (after self for
 * methods), positional in `params`' order, then an optional options object holding any of them
 * by name and the keyword-only `generator`. `offset` is the position of params[0] in PyTorch's
 * messages (1 for a function's second argument). Returns the values by name, defaults filled.
 */
function bind(
  fn: string,
  params: readonly Param[],
  args: readonly unknown[],
  offset = 1,
): Record<string, unknown> {
  const last = args.length > 0 ? args[args.length - 1] : undefined;
  const kwargs = isOptionsObject(last) ? last : {};
  const positional = isOptionsObject(last) ? args.slice(0, -1) : args;
  const required = params.filter((p) => !("default" in p)).length;
  if (positional.length > params.length) {
    throw typeError(
      `${fn}() takes from ${required + offset - 1} to ${params.length + offset - 1} positional arguments but ${positional.length + offset - 1} were given`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(kwargs)) {
    if (kwargs[key] === undefined) continue;
    const i = params.findIndex((p) => p.name === key);
    if (key !== "generator" && i < 0) {
      throw typeError(`${fn}() got an unexpected keyword argument '${snake(key)}'`);
    }
    if (i >= 0 && i < positional.length) {
      throw typeError(`${fn}() got multiple values for argument '${snake(key)}'`);
    }
  }
  params.forEach((p, i) => {
    const byPosition = i < positional.length && positional[i] !== undefined;
    const v = byPosition ? positional[i] : kwargs[p.name];
    if (v === undefined) {
      if (!("default" in p)) {
        throw typeError(`${fn}() missing 1 required positional arguments: "${snake(p.name)}"`);
      }
      out[p.name] = p.default;
      return;
    }
    if (!typeOk(v, p.type)) {
      const where = byPosition ? ` (position ${i + offset})` : "";
      const want = p.type === "int?" ? "int" : p.type === "float|Tensor" ? "float" : p.type;
      throw typeError(
        `${fn}(): argument '${snake(p.name)}'${where} must be ${want}, not ${pyTypeName(v)}`,
      );
    }
    out[p.name] = v;
  });
  out.generator = kwargs.generator;
  return out;
}

/** A double as C++'s ostream prints it in PyTorch's messages (%g with 6 significant digits). */
function cppDouble(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const [mant, exp] = v.toExponential(5).split("e");
  const e = Number(exp);
  const m = mant.replace(/\.?0+$/, "");
  if (e < -4 || e >= 6) return `${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  return String(Number(v.toPrecision(6)));
}

/** caffe2's TypeMeta name of a dtype, as "from is out of bounds for float" prints it. */
function cTypeName(d: DType): string {
  switch (d) {
    case float32:
      return "float";
    case float64:
      return "double";
    case int32:
      return "int";
    case int64:
      return "long int";
    case uint8:
      return "unsigned char";
    default:
      return "bool";
  }
}

const FLT_MAX = 3.4028234663852886e38;

// ------------------------------------------------------------------------------------------------
// in-place fills

/**
 * Note [visiting order]: PyTorch's fill kernels run over a TensorIterator, which visits a
 * strided tensor in memory order: its dimensions sorted by stride, the largest outermost. The
 * generator's numbers go to the elements in that order, so a transposed or sliced tensor gets
 * PyTorch's values at PyTorch's positions. Returns the row-major positions in visiting order,
 * or null when that is row-major order itself (contiguous tensors).
 */
function visitOrder(shape: readonly number[], strides: readonly number[]): Int32Array | null {
  if (isContiguous(shape, strides)) return null;
  const dims: number[] = [];
  for (let d = 0; d < shape.length; d++) if (shape[d] > 1) dims.push(d);
  dims.sort((a, b) => strides[b] - strides[a] || a - b);
  const rowMajor = contiguousStrides(shape);
  return stridedOffsets(
    dims.map((d) => shape[d]),
    dims.map((d) => rowMajor[d]),
    0,
  );
}

/**
 * Fill `self` in place with `draw`'s numbers, as PyTorch's random in-place ops: `draw` writes
 * one value per element in visiting order (told whether self is contiguous). In-place rules,
 * version counter and view handling are the other in-place ops' (ops/inplace.ts); with grad
 * mode on and a graph behind self (or `others` requiring grad), the new values get a node named
 * `nodeName` whose gradient is zero for every input, and a forward-AD tangent becomes zero.
 */
function randomFill(
  self: Tensor,
  nodeName: string,
  draw: (out: TypedArray, contiguous: boolean) => void,
  others: readonly Tensor[] = [],
): Tensor {
  const n = numelOf(self.shape);
  const order = visitOrder(self.shape, self.strides);
  inplace(self, false, (prev) => {
    const drawn = new self.dtype.ArrayType(n);
    draw(drawn, order === null);
    let data = drawn;
    if (order !== null) {
      data = new self.dtype.ArrayType(n);
      for (let k = 0; k < n; k++) data[order[k]] = drawn[k];
    }
    const out = wrap(data, self.shape.slice(), self.dtype);
    if (needsGrad(prev, ...others)) record("fill", out, [prev, ...others], {}, {}, nodeName);
    return out;
  });
  // forward AD: the fill node's rule gives the new values a zero tangent, as PyTorch
  return self;
}

function requireFloat(self: Tensor, kernel: string): boolean {
  if (!self.dtype.isFloatingPoint) {
    throw runtimeError(`"${kernel}" not implemented for '${scalarTypeName(self.dtype)}'`);
  }
  return self.dtype === float64;
}

/** Bounds of a floating dtype's values (CHECK_OUT_OF_BOUNDS of DistributionTemplates.h). */
function checkFloatBound(v: number, what: string, d: DType): void {
  const max = d === float32 ? FLT_MAX : Number.MAX_VALUE;
  if (!(v >= -max && v <= max)) throw runtimeError(`${what} is out of bounds for ${cTypeName(d)}`);
}

const UNIFORM: readonly Param[] = [
  { name: "from", type: "float", default: 0 },
  { name: "to", type: "float", default: 1 },
];

/** Arguments of uniform_: from, to, positionally or by name, and the generator. */
export type UniformArgs =
  [] | [UniformOptions] | [number, UniformOptions?] | [number, number, UniformOptions?];
/** Options of uniform_. */
export interface UniformOptions {
  from?: number;
  to?: number;
  generator?: Generator | null;
}

/**
 * t.uniform_(from=0, to=1, { generator }): fills t with uniform samples on [from, to), PyTorch's
 * numbers for the generator's state (float32: one 32-bit draw each, float64: two).
 *
 * @example
 * const g = new torch.Generator().manualSeed(0);
 * torch.empty(3).uniform_(-1, 1, { generator: g });
 */
export function uniform_(self: Tensor, ...args: UniformArgs): Tensor {
  const a = bind("uniform_", UNIFORM, args);
  const gen = generatorArg(a.generator, "uniform_");
  const isDouble = requireFloat(self, "check_uniform_bounds");
  const from = a.from as number;
  const to = a.to as number;
  checkFloatBound(from, "from", self.dtype);
  checkFloatBound(to, "to", self.dtype);
  if (!(from <= to)) {
    throw runtimeError(
      `uniform_ expects to return a [from, to) range, but found from=${cppDouble(from)} > to=${cppDouble(to)}`,
    );
  }
  const max = isDouble ? Number.MAX_VALUE : FLT_MAX;
  if (!(to - from <= max)) {
    throw runtimeError(
      `uniform_ expects to-from <= std::numeric_limits<${scalarTypeName(self.dtype)}>::max(), but found to=${cppDouble(to)} and from=${cppDouble(from)} which result in to-from to exceed the limit`,
    );
  }
  return randomFill(self, "UniformBackward0", (out) =>
    fillUniform(out as Float32Array | Float64Array, isDouble, from, to, gen),
  );
}

const NORMAL: readonly Param[] = [
  { name: "mean", type: "float", default: 0 },
  { name: "std", type: "float", default: 1 },
];

/** Arguments of normal_: mean, std, positionally or by name, and the generator. */
export type NormalArgs =
  [] | [NormalOptions] | [number, NormalOptions?] | [number, number, NormalOptions?];
/** Options of normal_. */
export interface NormalOptions {
  mean?: number;
  std?: number;
  generator?: Generator | null;
}

/**
 * t.normal_(mean=0, std=1, { generator }): fills t with normal samples, PyTorch's numbers for
 * the generator's state (the vectorised Box-Muller on contiguous tensors of 16 or more
 * elements, one sample at a time otherwise).
 *
 * @example
 * const g = new torch.Generator().manualSeed(0);
 * torch.empty(2, 3).normal_(0, 0.02, { generator: g });
 */
export function normal_(self: Tensor, ...args: NormalArgs): Tensor {
  const a = bind("normal_", NORMAL, args);
  const gen = generatorArg(a.generator, "normal_");
  const mean = a.mean as number;
  const std = a.std as number;
  if (!(std >= 0)) throw runtimeError(`normal expects std >= 0.0, but found std ${cppDouble(std)}`);
  const isDouble = requireFloat(self, "normal_kernel_cpu");
  return randomFill(self, "NormalBackward0", (out, contiguous) =>
    fillNormal(out as Float32Array | Float64Array, isDouble, mean, std, gen, contiguous),
  );
}

const EXPONENTIAL: readonly Param[] = [{ name: "lambd", type: "float", default: 1 }];

/** Arguments of exponential_: lambd, positionally or by name, and the generator. */
export type ExponentialArgs = [] | [ExponentialOptions] | [number, ExponentialOptions?];
/** Options of exponential_. */
export interface ExponentialOptions {
  lambd?: number;
  generator?: Generator | null;
}

/**
 * t.exponential_(lambd=1, { generator }): fills t with samples of the exponential distribution
 * of rate lambd, -log(1 - u) / lambd for u a double uniform (two 32-bit draws each).
 *
 * @example
 * torch.empty(4).exponential_({ generator: new torch.Generator().manualSeed(2147483647) });
 */
export function exponential_(self: Tensor, ...args: ExponentialArgs): Tensor {
  const a = bind("exponential_", EXPONENTIAL, args);
  const gen = generatorArg(a.generator, "exponential_");
  const lambd = a.lambd as number;
  if (!(lambd >= 0)) {
    throw runtimeError(`exponential_ expects lambda >= 0.0, but found lambda=${cppDouble(lambd)}`);
  }
  requireFloat(self, "exponential_cpu");
  return randomFill(self, "ExponentialBackward0", (out) =>
    fillExponential(out as Float32Array | Float64Array, lambd, gen),
  );
}

/** The values of p (expanded to `shape`) in row-major order, checked as bernoulli's. */
function bernoulliProbabilities(p: Tensor, shape: number[]): TypedArray {
  if (!p.dtype.isFloatingPoint) {
    throw runtimeError(
      `"bernoulli_tensor_cpu_p_" not implemented for '${scalarTypeName(p.dtype)}'`,
    );
  }
  const values = castData(
    noGrad(() => expand(p, shape)),
    p.dtype,
  );
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] >= 0 && values[i] <= 1)) {
      throw runtimeError(
        "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)",
      );
    }
  }
  return values;
}

/** Options of bernoulli_. */
export interface BernoulliInplaceOptions {
  p?: number | Tensor;
  generator?: Generator | null;
}
/** Arguments of bernoulli_: p (a number or a tensor), positionally or by name. */
export type BernoulliInplaceArgs =
  [] | [BernoulliInplaceOptions] | [number | Tensor, BernoulliInplaceOptions?];

const BERNOULLI_INPLACE: readonly Param[] = [{ name: "p", type: "float|Tensor", default: 0.5 }];

/**
 * t.bernoulli_(p=0.5, { generator }): fills t with 1 where a uniform draw is below p, else 0.
 * p is a number (one double uniform per element) or a tensor broadcastable to t (a double
 * uniform for a float64 p, a float one for float32). Any dtype of t.
 *
 * @example
 * torch.empty(5).bernoulli_(0.3, { generator: g });
 */
export function bernoulli_(self: Tensor, ...args: BernoulliInplaceArgs): Tensor {
  let a: Record<string, unknown>;
  try {
    a = bind("bernoulli_", BERNOULLI_INPLACE, args);
  } catch (e) {
    // two overloads in PyTorch (Tensor p, float p): a wrong type or count fits neither
    if (e instanceof TypeError && /must be|takes from/.test(e.message)) {
      throw invalidCombination("Tensor.bernoulli_", args);
    }
    throw e;
  }
  const gen = generatorArg(a.generator, "Tensor.bernoulli_", args);
  const p = a.p as number | Tensor;
  if (p instanceof Tensor) {
    const values = bernoulliProbabilities(p, self.shape.slice());
    const order = visitOrder(self.shape, self.strides);
    const pIsDouble = p.dtype === float64;
    return randomFill(
      self,
      "BernoulliBackward1",
      (out) => {
        const pv = order === null ? values : Array.from(order, (i) => values[i]);
        fillBernoulliTensor(out as RandomIntArray, pv, pIsDouble, gen);
      },
      [p],
    );
  }
  if (!(p >= 0 && p <= 1)) {
    throw runtimeError(`bernoulli_ expects p to be in [0, 1], but got p=${cppDouble(p)}`);
  }
  return randomFill(self, "BernoulliBackward2", (out) =>
    fillBernoulli(out as RandomIntArray, p, gen),
  );
}

/** Options of random_. */
export interface RandomInplaceOptions {
  from?: number;
  to?: number | null;
  generator?: Generator | null;
}
/** Arguments of random_: (), (to), (from, to) with to possibly null, and the generator. */
export type RandomInplaceArgs =
  | []
  | [RandomInplaceOptions]
  | [number, RandomInplaceOptions?]
  | [number, number | null, RandomInplaceOptions?];

/** std::numeric_limits<T>::digits of the floating dtypes. */
const digitsOf = (d: DType): number => (d === float32 ? 24 : 53);

/** update_from (DistributionTemplates.h): the first int64 >= from that survives a cast to d. */
function updateFrom(from: number, d: DType): number {
  const cast = d === float32 ? Math.fround : (v: number) => v;
  const fromPlus1 = Math.trunc(cast(from + 1));
  if (fromPlus1 < from) {
    const n = Math.floor(Math.log2(Math.abs(from + 1)));
    return fromPlus1 + 2 ** (n - digitsOf(d) + 1);
  }
  return from;
}

/** update_to: the last int64 below `to` that survives a cast to d, plus one. */
function updateTo(to: number, d: DType): number {
  const cast = d === float32 ? Math.fround : (v: number) => v;
  const toMinus1 = Math.trunc(cast(to - 1));
  if (toMinus1 >= to) {
    const n = Math.floor(Math.log2(Math.abs(to - 1)));
    return toMinus1 - 2 ** (n - digitsOf(d) + 1);
  }
  return to;
}

/** The inclusive value range of an integral dtype. */
function intRange(d: DType): [number, number] {
  if (d === int32) return [-2147483648, 2147483647];
  if (d === uint8) return [0, 255];
  if (d === bool) return [0, 1];
  return [-(2 ** 63), 2 ** 63]; // int64's max, 2^63 - 1, is 2^63 as a double
}

/** check_from_to_in_range: from and to - 1 representable in the dtype. */
function checkFromTo(from: number, toInc: number, d: DType): void {
  if (d.isFloatingPoint) {
    checkFloatBound(from, "from", d);
    checkFloatBound(toInc, "to - 1", d);
    const lim = 2 ** digitsOf(d);
    for (const [v, what] of [
      [from, "from"],
      [toInc, "to - 1"],
    ] as const) {
      if (v < -lim || v > lim) {
        console.warn(
          `UserWarning: ${what} is out of bounds [-(2^${digitsOf(d)}), 2^${digitsOf(d)}]. Due to precision limitations ${cTypeName(d)} can support discrete uniform distribution only within this range. This warning will become an error in version 1.7 release, please fix the code in advance`,
        );
      }
    }
    return;
  }
  const [min, max] = intRange(d);
  if (!(from >= min && from <= max)) {
    throw runtimeError(`from is out of bounds for ${cTypeName(d)}`);
  }
  if (!(toInc >= min && toInc <= max)) {
    throw runtimeError(`to - 1 is out of bounds for ${cTypeName(d)}`);
  }
}

const INT64_MIN = -(2 ** 63);
const RANDOM_FROM_TO: readonly Param[] = [
  { name: "from", type: "int" },
  { name: "to", type: "int?" },
];

/**
 * t.random_(), t.random_(to), t.random_(from, to), { generator }: fills t with integers drawn
 * uniformly from [from, to) (from 0, to past the dtype's largest value when omitted: 2^24 and
 * 2^53 for float32 and float64, as PyTorch's). `to` may be null: up to the dtype's maximum.
 *
 * @example
 * torch.empty(3, { dtype: torch.int64 }).random_(0, 10, { generator: g });
 */
export function random_(self: Tensor, ...args: RandomInplaceArgs): Tensor {
  const last = args.length > 0 ? args[args.length - 1] : undefined;
  const kw = isOptionsObject(last) ? (last as RandomInplaceOptions) : {};
  const positional = (isOptionsObject(last) ? args.slice(0, -1) : args) as unknown[];
  let from: number | undefined;
  let to: number | null | undefined;
  let overload: 0 | 1 | 2; // random_(), random_(from, to), random_(to): RandomBackward2/0/1
  if (positional.length === 2 || kw.from !== undefined) {
    const a = bind("random_", RANDOM_FROM_TO, args);
    from = a.from as number;
    to = a.to as number | null;
    overload = 1;
  } else if (positional.length === 1 || kw.to !== undefined) {
    const a = bind("random_", [{ name: "to", type: "int" }], args);
    from = 0;
    to = a.to as number;
    overload = 2;
  } else {
    bind("random_", [], args);
    overload = 0;
  }
  const gen = generatorArg(
    kw.generator,
    overload === 1 ? "random_" : "Tensor.random_",
    overload === 1 ? undefined : args,
  );
  const d = self.dtype;
  const names = ["RandomBackward2", "RandomBackward0", "RandomBackward1"];
  const name = names[overload];
  if (overload === 0) {
    const kind = d.name as "float32" | "float64" | "int64" | "int32" | "uint8" | "bool";
    return randomFill(self, name, (out) => fillRandomDefault(out as RandomIntArray, kind, gen));
  }
  let lo = from as number;
  if (to !== null && to !== undefined) {
    let hi = to;
    if (!(lo < hi)) {
      throw runtimeError(
        `random_ expects 'from' to be less than 'to', but got from=${lo} >= to=${hi}`,
      );
    }
    if (d.isFloatingPoint) {
      lo = updateFrom(lo, d);
      hi = updateTo(hi, d);
      if (!(lo < hi)) {
        throw runtimeError(
          `random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got from=${lo} >= to=${hi}`,
        );
      }
    }
    checkFromTo(lo, hi - 1, d);
    const wide = d === int64 || d.isFloatingPoint;
    return randomFill(self, name, (out) => fillRandint(out as RandomIntArray, lo, hi, gen, wide));
  }
  if (lo === INT64_MIN) {
    // [-2^63, 2^63): the 64-bit draw as an int64
    if (d !== int64 && !d.isFloatingPoint) {
      throw runtimeError(
        "random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16",
      );
    }
    return randomFill(self, name, (out) =>
      fillRandomFullRange(out as Float32Array | Float64Array, gen),
    );
  }
  let toInc: number;
  if (d.isFloatingPoint) {
    toInc = 2 ** digitsOf(d);
    lo = updateFrom(lo, d);
    if (!(lo < toInc)) {
      throw runtimeError(
        `random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted to dtype, but got from=${lo} > to_inc=${toInc}`,
      );
    }
  } else toInc = intRange(d)[1];
  checkFromTo(lo, toInc, d);
  // [from, to_inc]: to = to_inc + 1 as an exact integer (int64's to_inc is 2^63 - 1)
  const hi = d === int64 ? 1n << 63n : BigInt(toInc) + 1n;
  const wide = d === int64 || d.isFloatingPoint;
  return randomFill(self, name, (out) => fillRandint(out as RandomIntArray, lo, hi, gen, wide));
}

// ------------------------------------------------------------------------------------------------
// bernoulli and multinomial

/** Options of bernoulli. */
export interface BernoulliOptions {
  p?: number;
  generator?: Generator | null;
}
/** Arguments of bernoulli after the input: p (a number) and the generator. */
export type BernoulliArgs = [] | [BernoulliOptions] | [number, BernoulliOptions?];

/**
 * torch.bernoulli(input, { generator }): 1 with probability input[i], else 0, in input's dtype
 * (BernoulliBackward0: a zero gradient). torch.bernoulli(input, p) draws with the number p
 * instead, with no graph, as PyTorch's. `method` names the Tensor.bernoulli form for errors.
 *
 * @example
 * torch.bernoulli(torch.full([3], 0.5), { generator: g }); // e.g. tensor([1., 0., 1.])
 */
export function bernoulli(input: Tensor, args: BernoulliArgs, method = false): Tensor {
  const fn = "bernoulli";
  const a = bind(fn, [{ name: "p", type: "float", default: null }], args, method ? 1 : 2);
  // a bad generator: PyTorch reports it against both overloads, except for the method with p
  // (the only signature its argument count fits)
  const gen = method
    ? generatorArg(a.generator, "Tensor.bernoulli", a.p === null ? args : undefined)
    : generatorArg(a.generator, "bernoulli", [input, ...args]);
  const p = a.p as number | null;
  const out = wrap(
    new input.dtype.ArrayType(numelOf(input.shape)),
    input.shape.slice(),
    input.dtype,
  );
  if (p !== null) {
    if (!(p >= 0 && p <= 1)) {
      throw runtimeError(`bernoulli_ expects p to be in [0, 1], but got p=${cppDouble(p)}`);
    }
    fillBernoulli(out.typedArray as RandomIntArray, p, gen);
    return out;
  }
  const values = bernoulliProbabilities(input, input.shape.slice());
  fillBernoulliTensor(out.typedArray as RandomIntArray, values, input.dtype === float64, gen);
  if (needsGrad(input)) record("fill", out, [input], {}, {}, "BernoulliBackward0");
  return out;
}

/** Options of multinomial. */
export interface MultinomialOptions {
  numSamples?: number;
  replacement?: boolean;
  generator?: Generator | null;
}
/** Arguments of multinomial after the input: numSamples, replacement, then the generator. */
export type MultinomialArgs =
  [MultinomialOptions] | [number, MultinomialOptions?] | [number, boolean, MultinomialOptions?];

const MULTINOMIAL: readonly Param[] = [
  { name: "numSamples", type: "int" },
  { name: "replacement", type: "bool", default: false },
];

/**
 * torch.multinomial(input, numSamples, replacement=false, { generator }): for each row of the
 * 1-D or 2-D `input` (non-negative weights, not necessarily summing to 1), `numSamples` category
 * indices (int64) drawn as PyTorch 1.13's CPU kernels draw them, so a seeded generator gives
 * PyTorch's samples:
 * - with replacement: the row's cumulative sums (accumulated and normalised in input's dtype),
 *   then per sample a double uniform u and a binary search for the first bucket >= u;
 * - without: q ~ Exponential(1) per element (input's memory order), then the indices of the
 *   largest p / q (argmax for one sample, PyTorch's topk order for more).
 * `method` (Tensor.multinomial) changes only the argument positions in errors.
 *
 * @example
 * const g = new torch.Generator().manualSeed(2147483647);
 * torch.multinomial(p, 1, true, { generator: g }).item(); // makemore's next character
 */
export function multinomial(input: Tensor, args: MultinomialArgs, method = false): Tensor {
  const fn = "multinomial";
  if (!(input instanceof Tensor)) {
    throw typeError(
      `${fn}(): argument 'input' (position 1) must be Tensor, not ${pyTypeName(input)}`,
    );
  }
  const a = bind(fn, MULTINOMIAL, args, method ? 1 : 2);
  const gen = generatorArg(a.generator, fn);
  const nSample = a.numSamples as number;
  const replacement = a.replacement as boolean;
  const nd = input.dim();
  if (nd < 1 || nd > 2) throw runtimeError("prob_dist must be 1 or 2 dim");
  if (!input.dtype.isFloatingPoint) {
    throw runtimeError(
      `multinomial only supports floating-point dtypes for input, got: ${scalarTypeName(input.dtype)}`,
    );
  }
  if (nSample <= 0) throw runtimeError("cannot sample n_sample <= 0 samples");
  const nCat = input.shape[nd - 1];
  if (!replacement && nSample > nCat) {
    throw runtimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  }
  if (nCat > 2 ** 24) throw runtimeError("number of categories cannot exceed 2^24");
  const nDist = nd === 2 ? input.shape[0] : 1;
  const shape = nd === 2 ? [nDist, nSample] : [nSample];
  const result = new Float64Array(nDist * nSample);
  if (result.length === 0) return wrap(result, shape, int64);
  const { data, offset } = contiguousData(input);
  const isDouble = input.dtype === float64;
  const round = isDouble ? (v: number) => v : Math.fround;
  if (replacement) {
    sampleWithReplacement(data, offset, nDist, nCat, nSample, round, gen, result);
  } else {
    sampleWithoutReplacement(input, data, offset, nDist, nCat, nSample, round, gen, result);
  }
  return wrap(result, shape, int64);
}

/**
 * multinomial_with_replacement_apply (cpu/MultinomialKernel.cpp): per row, the running sum in
 * the input's dtype becomes the cumulative distribution, divided by the total; the last bucket
 * is set to 1; each sample takes a double uniform u (two draws) and binary-searches the first
 * bucket whose cumulative probability is not below u. All rows are checked before any draw, so
 * an invalid row leaves the generator untouched.
 */
function sampleWithReplacement(
  data: TypedArray,
  offset: number,
  nDist: number,
  nCat: number,
  nSample: number,
  round: (v: number) => number,
  gen: CPUGeneratorImpl,
  result: Float64Array,
): void {
  const cum = new Float64Array(nCat);
  for (let i = 0; i < nDist; i++) {
    let sum = 0;
    for (let j = 0; j < nCat; j++) {
      const v = data[offset + i * nCat + j];
      // TORCH_CHECK(val >= 0): NaN fails here first
      if (!(v >= 0)) {
        throw runtimeError("invalid multinomial distribution (encountering probability entry < 0)");
      }
      if (!Number.isFinite(v)) {
        throw runtimeError(
          "invalid multinomial distribution (encountering probability entry = infinity or NaN)",
        );
      }
      sum = round(sum + v);
    }
    if (!(sum > 0)) {
      throw runtimeError("invalid multinomial distribution (sum of probabilities <= 0)");
    }
  }
  for (let i = 0; i < nDist; i++) {
    let sum = 0;
    for (let j = 0; j < nCat; j++) {
      sum = round(sum + data[offset + i * nCat + j]);
      cum[j] = sum;
    }
    for (let j = 0; j < nCat; j++) cum[j] = round(cum[j] / sum);
    cum[nCat - 1] = 1;
    for (let s = 0; s < nSample; s++) {
      const u = gen.uniform53();
      let left = 0;
      let right = nCat;
      while (right - left > 0) {
        const mid = left + ((right - left) >> 1);
        if (cum[mid] < u) left = mid + 1;
        else right = mid;
      }
      result[i * nSample + s] = left;
    }
  }
}

/**
 * multinomial without replacement (Distributions.cpp): the exponential-race form of the Gumbel
 * trick. q = empty_like(input).exponential_() is filled in the input's memory order (empty_like
 * keeps a dense input's strides), q = input / q in input's dtype, then per row the index of the
 * largest q (argmax, first on ties) or the nSample largest, as topk orders them.
 */
function sampleWithoutReplacement(
  input: Tensor,
  data: TypedArray,
  offset: number,
  nDist: number,
  nCat: number,
  nSample: number,
  round: (v: number) => number,
  gen: CPUGeneratorImpl,
  result: Float64Array,
): void {
  const n = nDist * nCat;
  let min = Infinity;
  let max = -Infinity;
  let anyNaN = false;
  for (let k = 0; k < n; k++) {
    const v = data[offset + k];
    if (Number.isNaN(v)) anyNaN = true;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (anyNaN || !(max < Infinity) || !(min >= 0)) {
    throw runtimeError("probability tensor contains either `inf`, `nan` or element < 0");
  }
  for (let i = 0; i < nDist; i++) {
    let allZero = true;
    for (let j = 0; j < nCat && allZero; j++) allZero = data[offset + i * nCat + j] === 0;
    if (allZero) {
      throw runtimeError("invalid multinomial distribution (sum of probabilities <= 0)");
    }
  }
  const drawn = new Float64Array(n);
  fillExponential(drawn, 1, gen);
  // empty_like keeps the strides of a dense input (a permutation of a contiguous layout)
  const order = isDense(input) ? visitOrder(input.shape, input.strides) : null;
  const q = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const pos = order === null ? k : order[k];
    // q stored in input's dtype, then input / q in that dtype
    q[pos] = round(data[offset + pos] / round(drawn[k]));
  }
  for (let i = 0; i < nDist; i++) {
    const row = q.subarray(i * nCat, (i + 1) * nCat);
    if (nSample === 1) {
      let best = 0;
      for (let j = 1; j < nCat; j++) if (row[j] > row[best]) best = j;
      result[i] = best;
    } else {
      const top = topkIndices(row, nSample);
      for (let s = 0; s < nSample; s++) result[i * nSample + s] = top[s];
    }
  }
}

/** Non-overlapping and dense: its elements fill a contiguous block, in some dim order. */
function isDense(t: Tensor): boolean {
  const dims = t.shape.map((_, d) => d).filter((d) => t.shape[d] > 1);
  dims.sort((a, b) => t.strides[a] - t.strides[b]);
  let expected = 1;
  for (const d of dims) {
    if (t.strides[d] !== expected) return false;
    expected *= t.shape[d];
  }
  return true;
}

/**
 * The indices of the k largest values, largest first, as PyTorch 1.13's CPU topk (topk_impl_loop
 * with libstdc++'s algorithms) orders them, ties included: std::partial_sort when k * 64 <= n,
 * else std::nth_element then std::sort of the first k - 1.
 */
function topkIndices(values: Float64Array, k: number): number[] {
  const n = values.length;
  const items: [number, number][] = Array.from(values, (v, j) => [v, j]);
  const greater = (x: [number, number], y: [number, number]): boolean => x[0] > y[0];
  if (k * 64 <= n) partialSort(items, 0, k, n, greater);
  else {
    nthElement(items, 0, k - 1, n, greater);
    introSort(items, 0, k - 1, greater);
  }
  return items.slice(0, k).map((e) => e[1]);
}

// ------------------------------------------------------------------------------------------------
// libstdc++'s (GCC 12) std::nth_element, std::sort and std::partial_sort, step for step, so that
// equal keys end up where PyTorch's topk puts them

type Less<T> = (a: T, b: T) => boolean;

const lg = (n: number): number => 31 - Math.clz32(n);

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** std::__move_median_to_first */
function moveMedianToFirst<T>(
  a: T[],
  result: number,
  x: number,
  y: number,
  z: number,
  comp: Less<T>,
): void {
  if (comp(a[x], a[y])) {
    if (comp(a[y], a[z])) swap(a, result, y);
    else if (comp(a[x], a[z])) swap(a, result, z);
    else swap(a, result, x);
  } else if (comp(a[x], a[z])) swap(a, result, x);
  else if (comp(a[y], a[z])) swap(a, result, z);
  else swap(a, result, y);
}

/** std::__unguarded_partition with the pivot at `pivot` */
function unguardedPartition<T>(
  a: T[],
  first: number,
  last: number,
  pivot: number,
  comp: Less<T>,
): number {
  for (;;) {
    while (comp(a[first], a[pivot])) first++;
    last--;
    while (comp(a[pivot], a[last])) last--;
    if (!(first < last)) return first;
    swap(a, first, last);
    first++;
  }
}

/** std::__unguarded_partition_pivot */
function partitionPivot<T>(a: T[], first: number, last: number, comp: Less<T>): number {
  const mid = first + ((last - first) >> 1);
  moveMedianToFirst(a, first, first + 1, mid, last - 1, comp);
  return unguardedPartition(a, first + 1, last, first, comp);
}

/** std::__unguarded_linear_insert */
function unguardedLinearInsert<T>(a: T[], last: number, comp: Less<T>): void {
  const val = a[last];
  let next = last - 1;
  while (comp(val, a[next])) {
    a[last] = a[next];
    last = next;
    next--;
  }
  a[last] = val;
}

/** std::__insertion_sort */
function insertionSort<T>(a: T[], first: number, last: number, comp: Less<T>): void {
  if (first === last) return;
  for (let i = first + 1; i < last; i++) {
    if (comp(a[i], a[first])) {
      const val = a[i];
      for (let j = i; j > first; j--) a[j] = a[j - 1];
      a[first] = val;
    } else unguardedLinearInsert(a, i, comp);
  }
}

/** std::__adjust_heap (with __push_heap) on a[first .. first+len) */
function adjustHeap<T>(
  a: T[],
  first: number,
  hole: number,
  len: number,
  value: T,
  comp: Less<T>,
): void {
  const top = hole;
  let child = hole;
  while (child < (len - 1) >> 1) {
    child = 2 * (child + 1);
    if (comp(a[first + child], a[first + child - 1])) child--;
    a[first + hole] = a[first + child];
    hole = child;
  }
  if ((len & 1) === 0 && child === (len - 2) >> 1) {
    child = 2 * (child + 1);
    a[first + hole] = a[first + child - 1];
    hole = child - 1;
  }
  let parent = (hole - 1) >> 1;
  while (hole > top && comp(a[first + parent], value)) {
    a[first + hole] = a[first + parent];
    hole = parent;
    parent = (hole - 1) >> 1;
  }
  a[first + hole] = value;
}

/** std::__make_heap */
function makeHeap<T>(a: T[], first: number, last: number, comp: Less<T>): void {
  const len = last - first;
  if (len < 2) return;
  for (let parent = (len - 2) >> 1; ; parent--) {
    adjustHeap(a, first, parent, len, a[first + parent], comp);
    if (parent === 0) return;
  }
}

/** std::__pop_heap: moves the top to `result`, the value at `result` into the heap */
function popHeap<T>(a: T[], first: number, last: number, result: number, comp: Less<T>): void {
  const value = a[result];
  a[result] = a[first];
  adjustHeap(a, first, 0, last - first, value, comp);
}

/** std::__heap_select */
function heapSelect<T>(a: T[], first: number, middle: number, last: number, comp: Less<T>): void {
  makeHeap(a, first, middle, comp);
  for (let i = middle; i < last; i++) if (comp(a[i], a[first])) popHeap(a, first, middle, i, comp);
}

/** std::__sort_heap */
function sortHeap<T>(a: T[], first: number, last: number, comp: Less<T>): void {
  while (last - first > 1) {
    last--;
    popHeap(a, first, last, last, comp);
  }
}

/** std::partial_sort(first, middle, last) */
function partialSort<T>(a: T[], first: number, middle: number, last: number, comp: Less<T>): void {
  heapSelect(a, first, middle, last, comp);
  sortHeap(a, first, middle, comp);
}

/** std::nth_element (std::__introselect) */
function nthElement<T>(a: T[], first: number, nth: number, last: number, comp: Less<T>): void {
  if (first === last || nth === last) return;
  let depth = 2 * lg(last - first);
  while (last - first > 3) {
    if (depth === 0) {
      heapSelect(a, first, nth + 1, last, comp);
      swap(a, first, nth);
      return;
    }
    depth--;
    const cut = partitionPivot(a, first, last, comp);
    if (cut <= nth) first = cut;
    else last = cut;
  }
  insertionSort(a, first, last, comp);
}

/** std::sort (std::__introsort_loop with threshold 16, then std::__final_insertion_sort) */
function introSort<T>(a: T[], first: number, last: number, comp: Less<T>): void {
  if (last - first < 2) return;
  const loop = (lo: number, hi: number, depth: number): void => {
    while (hi - lo > 16) {
      if (depth === 0) {
        partialSort(a, lo, hi, hi, comp);
        return;
      }
      depth--;
      const cut = partitionPivot(a, lo, hi, comp);
      loop(cut, hi, depth);
      hi = cut;
    }
  };
  loop(first, last, 2 * lg(last - first));
  if (last - first > 16) {
    insertionSort(a, first, first + 16, comp);
    for (let i = first + 16; i < last; i++) unguardedLinearInsert(a, i, comp);
  } else insertionSort(a, first, last, comp);
}
