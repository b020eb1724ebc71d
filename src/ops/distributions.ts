/**
 * Random ops on tensors, as PyTorch 1.13's CPU kernels draw them (aten/src/ATen/native/
 * Distributions.cpp, DistributionTemplates.h, cpu/DistributionTemplates.h,
 * cpu/MultinomialKernel.cpp): the in-place fills `uniform_`, `normal_`, `exponential_`,
 * `bernoulli_`, `random_`, and `bernoulli`, `normal`, `multinomial`. Each takes PyTorch's
 * `generator` (a torch.Generator, or null for the default generator) and draws exactly PyTorch's
 * numbers for the same state, in PyTorch's order (Note [visiting order]).
 *
 * The op registry binds their arguments (src/registry/ops/random.ts); these are the forwards,
 * taking the schema's arguments in order, already checked.
 */
import { Tensor } from "../tensor.js";
import {
  type DType,
  type TypedArray,
  bfloat16,
  bool,
  float32,
  float64,
  int32,
  int64,
  uint8,
} from "../dtype.js";
import { broadcastShapes, contiguousStrides, isContiguous, numelOf } from "../shape.js";
import { stridedOffsets } from "../backend/copy.js";
import { castData, contiguousData, scalarTypeName, wrap } from "./core.js";
import { inplace } from "./inplace.js";
import { expand } from "./views.js";
import { needsGrad, record } from "../autograd/function.js";
import { noGrad } from "../autograd/grad-mode.js";
import { runtimeError } from "../errors.js";
import {
  type CPUGeneratorImpl,
  type RandomIntArray,
  fillBernoulli,
  fillBernoulliTensor,
  fillCauchy,
  fillExponential,
  fillGeometric,
  fillLogNormal,
  fillNormal,
  fillNormalHalf,
  fillRandint,
  fillRandomDefault,
  fillRandomFullRange,
  fillUniform,
  fillUniformHalf,
} from "../random.js";
import { defaultGenerator } from "../generator.js";

/** A generator argument: the given torch.Generator, or the default one for None. */
const genOf = (g: CPUGeneratorImpl | null): CPUGeneratorImpl => g ?? defaultGenerator;

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

/** A floating dtype's check (AT_DISPATCH_FLOATING_TYPES); whether it is float64. */
export function requireFloat(d: DType, kernel: string): boolean {
  if (!d.isFloatingPoint) {
    throw runtimeError(`"${kernel}" not implemented for '${scalarTypeName(d)}'`);
  }
  return d === float64;
}

/** Bounds of a floating dtype's values (CHECK_OUT_OF_BOUNDS of DistributionTemplates.h). */
function checkFloatBound(v: number, what: string, d: DType): void {
  const max = d === float32 ? FLT_MAX : Number.MAX_VALUE;
  if (!(v >= -max && v <= max)) throw runtimeError(`${what} is out of bounds for ${cTypeName(d)}`);
}

/** A generator argument: the given torch.Generator, or the default one for None. */
export type GeneratorArg = CPUGeneratorImpl | null;

/** uniform_'s checks (DistributionTemplates.h uniform_impl_): bounds and from <= to. */
function checkUniform(from: number, to: number, d: DType): void {
  checkFloatBound(from, "from", d);
  checkFloatBound(to, "to", d);
  if (!(from <= to)) {
    throw runtimeError(
      `uniform_ expects to return a [from, to) range, but found from=${cppDouble(from)} > to=${cppDouble(to)}`,
    );
  }
  const max = d === float64 ? Number.MAX_VALUE : FLT_MAX;
  if (!(to - from <= max)) {
    throw runtimeError(
      `uniform_ expects to-from <= std::numeric_limits<${scalarTypeName(d)}>::max(), but found to=${cppDouble(to)} and from=${cppDouble(from)} which result in to-from to exceed the limit`,
    );
  }
}

/**
 * uniform_kernel's draw into a new buffer of `dtype`: the half types in their own arithmetic
 * (Note [half draws] in random.ts; the registry hands them over unconverted: HALF_OWN in
 * registry/half-compute.ts), float32 and float64 as fillUniform.
 */
function drawUniform(
  out: TypedArray,
  dtype: DType,
  isDouble: boolean,
  from: number,
  to: number,
  gen: CPUGeneratorImpl,
): void {
  if (dtype.isHalf) fillUniformHalf(out as Uint16Array, dtype === bfloat16, from, to, gen);
  else fillUniform(out as Float32Array | Float64Array, isDouble, from, to, gen);
}

/** normal_kernel's draw into a new buffer of `dtype` (as drawUniform). */
function drawNormal(
  out: TypedArray,
  dtype: DType,
  isDouble: boolean,
  mean: number,
  std: number,
  gen: CPUGeneratorImpl,
  contiguous: boolean,
): void {
  if (dtype.isHalf)
    fillNormalHalf(out as Uint16Array, dtype === bfloat16, mean, std, gen, contiguous);
  else fillNormal(out as Float32Array | Float64Array, isDouble, mean, std, gen, contiguous);
}

/**
 * t.uniform_(from=0, to=1, *, generator): fills t with uniform samples on [from, to), PyTorch's
 * numbers for the generator's state (float32: one 32-bit draw each, float64: two).
 */
export function uniform_(self: Tensor, from: number, to: number, generator: GeneratorArg): Tensor {
  const gen = genOf(generator);
  const isDouble = requireFloat(self.dtype, "check_uniform_bounds");
  checkUniform(from, to, self.dtype);
  return randomFill(self, "UniformBackward0", (out) =>
    drawUniform(out, self.dtype, isDouble, from, to, gen),
  );
}

/** normal's check of a number std (CHECK_NORMAL_STD). */
export function checkNormalStd(std: number): void {
  if (!(std >= 0)) throw runtimeError(`normal expects std >= 0.0, but found std ${cppDouble(std)}`);
}

/**
 * t.normal_(mean=0, std=1, *, generator): fills t with normal samples, PyTorch's numbers for
 * the generator's state (the vectorised Box-Muller on contiguous tensors of 16 or more
 * elements, one sample at a time otherwise).
 */
export function normal_(self: Tensor, mean: number, std: number, generator: GeneratorArg): Tensor {
  const gen = genOf(generator);
  checkNormalStd(std);
  const isDouble = requireFloat(self.dtype, "normal_kernel_cpu");
  return randomFill(self, "NormalBackward0", (out, contiguous) =>
    drawNormal(out, self.dtype, isDouble, mean, std, gen, contiguous),
  );
}

/**
 * t.exponential_(lambd=1, *, generator): fills t with samples of the exponential distribution
 * of rate lambd, -log(1 - u) / lambd for u a double uniform (two 32-bit draws each).
 */
export function exponential_(self: Tensor, lambd: number, generator: GeneratorArg): Tensor {
  const gen = genOf(generator);
  if (!(lambd >= 0)) {
    throw runtimeError(`exponential_ expects lambda >= 0.0, but found lambda=${cppDouble(lambd)}`);
  }
  requireFloat(self.dtype, "exponential_cpu");
  return randomFill(self, "ExponentialBackward0", (out) =>
    fillExponential(out as Float32Array | Float64Array, lambd, gen),
  );
}

/**
 * t.cauchy_(median=0, sigma=1, *, generator): samples of the Cauchy distribution,
 * median + sigma * tan(pi * (u - 0.5)) for u a double uniform.
 */
export function cauchy_(
  self: Tensor,
  median: number,
  sigma: number,
  generator: GeneratorArg,
): Tensor {
  const gen = genOf(generator);
  requireFloat(self.dtype, "cauchy_cpu");
  return randomFill(self, "CauchyBackward0", (out) =>
    fillCauchy(out as Float32Array | Float64Array, Number(median), Number(sigma), gen),
  );
}

/** t.log_normal_(mean=1, std=2, *, generator): exp of normal(mean, std) samples. */
export function logNormal_(
  self: Tensor,
  mean: number,
  std: number,
  generator: GeneratorArg,
): Tensor {
  const gen = genOf(generator);
  if (!(std > 0)) {
    throw runtimeError(`log_normal_ expects std > 0.0, but found std=${cppDouble(std)}`);
  }
  requireFloat(self.dtype, "log_normal_cpu");
  return randomFill(self, "LogNormalBackward0", (out) =>
    fillLogNormal(out as Float32Array | Float64Array, Number(mean), Number(std), gen),
  );
}

/**
 * t.geometric_(p, *, generator): the number of Bernoulli(p) trials up to the first success,
 * ceil(log(u) / log1p(-p)) for u a double uniform; any dtype.
 */
export function geometric_(self: Tensor, p: number, generator: GeneratorArg): Tensor {
  const gen = genOf(generator);
  if (!(p > 0 && p < 1)) {
    throw runtimeError(`geometric_ expects p to be in (0, 1), but got p=${cppDouble(p)}`);
  }
  return randomFill(self, "GeometricBackward0", (out) =>
    fillGeometric(out as RandomIntArray, Number(p), gen),
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

/**
 * t.bernoulli_(p, *, generator) with a tensor p broadcastable to t: 1 where a uniform draw is
 * below p, else 0 (a double uniform for a float64 p, a float one for float32). Any dtype of t.
 */
export function bernoulliTensor_(self: Tensor, p: Tensor, generator: GeneratorArg): Tensor {
  const gen = genOf(generator);
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

/** t.bernoulli_(p=0.5, *, generator) with a number p: one double uniform per element. */
export function bernoulliFloat_(self: Tensor, p: number, generator: GeneratorArg): Tensor {
  const gen = genOf(generator);
  if (!(p >= 0 && p <= 1)) {
    throw runtimeError(`bernoulli_ expects p to be in [0, 1], but got p=${cppDouble(p)}`);
  }
  return randomFill(self, "BernoulliBackward2", (out) =>
    fillBernoulli(out as RandomIntArray, p, gen),
  );
}

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

/**
 * t.random_(*, generator): integers from 0 to the dtype's largest value (2^24 and 2^53 for
 * float32 and float64, as PyTorch's), RandomBackward2.
 */
export function random_(self: Tensor, generator: GeneratorArg): Tensor {
  const gen = genOf(generator);
  const kind = self.dtype.name as "float32" | "float64" | "int64" | "int32" | "uint8" | "bool";
  return randomFill(self, "RandomBackward2", (out) =>
    fillRandomDefault(out as RandomIntArray, kind, gen),
  );
}

/** t.random_(to, *, generator): integers in [0, to), RandomBackward1. */
export function randomTo_(self: Tensor, to: number, generator: GeneratorArg): Tensor {
  return randomFromTo(self, 0, to, generator, "RandomBackward1");
}

/**
 * t.random_(from, to, *, generator): integers drawn uniformly from [from, to); `to` null: up to
 * the dtype's largest value (RandomBackward0).
 */
export function randomFromTo_(
  self: Tensor,
  from: number,
  to: number | null,
  generator: GeneratorArg,
): Tensor {
  return randomFromTo(self, from, to, generator, "RandomBackward0");
}

function randomFromTo(
  self: Tensor,
  from: number,
  to: number | null,
  generator: GeneratorArg,
  name: string,
): Tensor {
  const gen = genOf(generator);
  const d = self.dtype;
  let lo = from;
  if (to !== null) {
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
// bernoulli, normal and multinomial

/**
 * torch.bernoulli(input, *, generator): 1 with probability input[i], else 0, in input's dtype
 * (BernoulliBackward0: a zero gradient).
 */
export function bernoulli(input: Tensor, generator: GeneratorArg): Tensor {
  const gen = genOf(generator);
  const out = wrap(
    new input.dtype.ArrayType(numelOf(input.shape)),
    input.shape.slice(),
    input.dtype,
  );
  const values = bernoulliProbabilities(input, input.shape.slice());
  fillBernoulliTensor(out.typedArray as RandomIntArray, values, input.dtype === float64, gen);
  if (needsGrad(input)) record("fill", out, [input], {}, {}, "BernoulliBackward0");
  return out;
}

/** torch.bernoulli(input, p, *, generator): draws with the number p, with no graph. */
export function bernoulliP(input: Tensor, p: number, generator: GeneratorArg): Tensor {
  const gen = genOf(generator);
  if (!(p >= 0 && p <= 1)) {
    throw runtimeError(`bernoulli_ expects p to be in [0, 1], but got p=${cppDouble(p)}`);
  }
  const out = wrap(
    new input.dtype.ArrayType(numelOf(input.shape)),
    input.shape.slice(),
    input.dtype,
  );
  fillBernoulli(out.typedArray as RandomIntArray, p, gen);
  return out;
}

/**
 * A new tensor shaped as `like` (its dims ordered by its strides when it is dense, as
 * empty_like's preserve_format keeps them; otherwise contiguous), filled by `draw` in memory
 * order: the values *_like and normal draw land where PyTorch's land. Returned contiguous.
 */
export function drawLike(
  like: Tensor,
  dtype: DType,
  preserve: boolean,
  draw: (out: TypedArray, contiguous: boolean) => void,
): Tensor {
  const n = numelOf(like.shape);
  const order = preserve && isDense(like) ? visitOrder(like.shape, like.strides) : null;
  const drawn = new dtype.ArrayType(n);
  draw(drawn, order === null);
  let data = drawn;
  if (order !== null) {
    data = new dtype.ArrayType(n);
    for (let k = 0; k < n; k++) data[order[k]] = drawn[k];
  }
  return wrap(data, like.shape.slice(), dtype);
}

/** normal's check of a tensor std (CHECK_NORMAL_TENSOR_STD). */
function checkNormalTensorStd(std: Tensor): void {
  const n = numelOf(std.shape);
  if (n === 0) return;
  const { data, offset } = contiguousData(std);
  let min = Infinity;
  for (let k = 0; k < n; k++) {
    const v = data[offset + k];
    if (Number.isNaN(v) || v < min) min = v;
    if (Number.isNaN(v)) break;
  }
  if (!(min >= 0)) throw runtimeError("normal expects all elements of std >= 0.0");
}

/**
 * torch.normal's Tensor overloads (Distributions.cpp normal_impl / normal_out_impl): a
 * contiguous output of the broadcast shape in mean's dtype (std's for normal(float, Tensor))
 * filled with normal_(0, std) then `+ mean` (Tensor mean, float std), or with normal_(0, 1) then
 * `* std + mean` (tensor std), in the output's dtype as PyTorch's in-place mul_ and add_. No
 * graph here: the entry records NormalBackward1/2/3.
 */
export function normalTensor(
  meanArg: Tensor | number | boolean,
  stdArg: Tensor | number | boolean,
  generator: GeneratorArg,
): Tensor {
  const gen = genOf(generator);
  // a Python float argument may be a bool (True is 1.0)
  const mean = meanArg instanceof Tensor ? meanArg : Number(meanArg);
  const std = stdArg instanceof Tensor ? stdArg : Number(stdArg);
  if (typeof std === "number") checkNormalStd(std);
  else checkNormalTensorStd(std);
  const like = mean instanceof Tensor ? mean : (std as Tensor);
  const shape =
    mean instanceof Tensor && std instanceof Tensor
      ? broadcastShapes(mean.shape, std.shape)
      : like.shape.slice();
  const dtype = like.dtype;
  const isDouble = requireFloat(dtype, "normal_kernel_cpu");
  const out = wrap(new dtype.ArrayType(numelOf(shape)), shape, dtype);
  const s = typeof std === "number" ? std : 1;
  fillNormal(out.typedArray as Float32Array | Float64Array, isDouble, 0, s, gen, true);
  return noGrad(() => {
    if (std instanceof Tensor) out.mul_(std);
    return out.add_(mean);
  });
}

/**
 * torch.multinomial(input, numSamples, replacement=false, *, generator): for each row of the
 * 1-D or 2-D `input` (non-negative weights, not necessarily summing to 1), `numSamples` category
 * indices (int64) drawn as PyTorch 1.13's CPU kernels draw them, so a seeded generator gives
 * PyTorch's samples:
 * - with replacement: the row's cumulative sums (accumulated and normalised in input's dtype),
 *   then per sample a double uniform u and a binary search for the first bucket >= u;
 * - without: q ~ Exponential(1) per element (input's memory order), then the indices of the
 *   largest p / q (argmax for one sample, PyTorch's topk order for more).
 */
export function multinomial(
  input: Tensor,
  nSample: number,
  replacement: boolean,
  generator: GeneratorArg,
): Tensor {
  const gen = genOf(generator);
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
export function isDense(t: Tensor): boolean {
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

// ------------------------------------------------------------------------------------------------
// the random factories' draws (torch.rand, randn: a new contiguous tensor)

/** A new contiguous tensor of `size` with uniform samples on [0, 1) (torch.rand's draw). */
export function randUniform(
  size: readonly number[],
  dtype: DType,
  generator: GeneratorArg,
): Tensor {
  const isDouble = requireFloat(dtype, "check_uniform_bounds");
  const t = wrap(new dtype.ArrayType(numelOf(size)), size.slice(), dtype);
  drawUniform(t.typedArray, dtype, isDouble, 0, 1, genOf(generator));
  return t;
}

/** A new contiguous tensor of `size` with normal(mean, std) samples (torch.randn's draw). */
export function randNormal(
  size: readonly number[],
  dtype: DType,
  mean: number,
  std: number,
  generator: GeneratorArg,
): Tensor {
  checkNormalStd(std);
  const isDouble = requireFloat(dtype, "normal_kernel_cpu");
  const t = wrap(new dtype.ArrayType(numelOf(size)), size.slice(), dtype);
  drawNormal(t.typedArray, dtype, isDouble, mean, std, genOf(generator), true);
  return t;
}
