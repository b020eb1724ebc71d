/**
 * Creation functions: tensor, zeros, ones, empty, full, *Like, arange, linspace, eye (the random
 * ones are in the op registry, src/registry/ops/random.ts).
 */
import { Tensor } from "../tensor.js";
import {
  DType,
  type DTypeName,
  bool,
  float32,
  float64,
  int32,
  int64,
  int8,
  int16,
  uint8,
  bfloat16,
  type TypedArray,
  getDefaultDtype,
  toDType,
} from "../dtype.js";
import { parseShape } from "../shape.js";
import { alloc, allocOutput, castData, pyTypeName, scalarArray, wrap } from "./core.js";
import { encodeHalf } from "../backend/half.js";
import { runtimeError, typeError } from "../errors.js";

/** Keyword arguments accepted by creation functions. */
export interface TensorOptions {
  /** The element type (default: inferred from the data, float32 for JS numbers). */
  dtype?: DType | DTypeName;
  /** Record operations on the new tensor for autograd (default false). */
  requiresGrad?: boolean;
}

/** Apply `requiresGrad` from options (with PyTorch's check on the dtype). */
export function finish(t: Tensor, opts: TensorOptions | undefined): Tensor {
  if (opts?.requiresGrad && !t.dtype.differentiable)
    throw runtimeError("Only Tensors of floating point and complex dtype can require gradients");
  if (opts?.requiresGrad) t.requiresGrad_(true);
  return t;
}

type Nested = number | boolean | Nested[] | ArrayLike<number>;

function isTypedArray(v: unknown): v is ArrayLike<number> & ArrayBufferView {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

function typedArrayDtype(v: ArrayBufferView): DType {
  if (v instanceof Float32Array) return float32;
  if (v instanceof Float64Array) return float64;
  if (v instanceof Int32Array) return int32;
  if (v instanceof Int16Array) return int16;
  if (v instanceof Int8Array) return int8;
  return int64;
}

/**
 * torch.tensor(data, {dtype, requiresGrad}): a new tensor copied from nested arrays, a number,
 * a boolean or a typed array. JS numbers give float32 (the default dtype), booleans give bool.
 * @example torch.tensor([[1, 2, 3], [3, 2, 1]], { requiresGrad: true })
 */
export function tensor(data: Nested | Tensor, opts?: TensorOptions): Tensor {
  if (opts !== undefined && (typeof opts !== "object" || opts === null)) {
    throw typeError(
      `tensor(): options must be an object like { dtype, requiresGrad }, not ${pyTypeName(opts)}`,
    );
  }
  const want = toDType(opts?.dtype);
  if (data instanceof Tensor) {
    const t = wrap(castData(data, want ?? data.dtype), data.shape.slice(), want ?? data.dtype);
    return finish(t, opts);
  }
  if (isTypedArray(data)) {
    const dt = want ?? typedArrayDtype(data);
    return finish(wrap(fromNumbers(data, dt), [data.length], dt), opts);
  }
  // nested arrays: infer the shape from the first element at each depth, then check every
  // element against it while flattening
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe) || isTypedArray(probe)) {
    const a = probe as ArrayLike<unknown>;
    shape.push(a.length);
    if (a.length === 0) break;
    probe = a[0];
  }
  const flat: number[] = [];
  let sawBool = false;
  let sawNumber = false;
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v === "number") {
        sawNumber = true;
        flat.push(v);
      } else if (typeof v === "boolean") {
        sawBool = true;
        flat.push(v ? 1 : 0);
      } else if (Array.isArray(v) || isTypedArray(v)) {
        throw typeError(
          `expected sequence of length ${shape[depth - 1]} at dim ${depth - 1} (got ${(v as ArrayLike<unknown>).length})`,
        );
      } else {
        throw typeError(`new(): invalid data type '${pyTypeName(v)}'`);
      }
      return;
    }
    if (!(Array.isArray(v) || isTypedArray(v))) {
      if (typeof v === "number" || typeof v === "boolean") {
        throw typeError(
          `expected sequence of length ${shape[depth]} at dim ${depth} (got ${pyTypeName(v) === "bool" ? "bool" : "int"})`,
        );
      }
      throw typeError(`new(): invalid data type '${pyTypeName(v)}'`);
    }
    const a = v as ArrayLike<unknown>;
    if (a.length !== shape[depth]) {
      throw typeError(
        `expected sequence of length ${shape[depth]} at dim ${depth} (got ${a.length})`,
      );
    }
    for (let i = 0; i < a.length; i++) walk(a[i], depth + 1);
  };
  walk(data, 0);
  const inferred = sawBool && !sawNumber ? bool : getDefaultDtype();
  const dt = want ?? inferred;
  if (dt === int8 || dt === int16 || dt === uint8) for (const v of flat) checkFits(v, dt);
  return finish(wrap(fromNumbers(flat, dt), shape, dt), opts);
}

/**
 * c10's `overflows<To>` check of torch.tensor's element conversion, for the narrow integer
 * types: a value outside the type's range (after no truncation: 127.9 overflows int8), NaN
 * or an infinity raises; a negative integer wraps into uint8 (two's complement) when its
 * magnitude fits.
 */
function checkFits(v: number, dt: DType): void {
  const [lo, hi] = dt === uint8 ? [0, 255] : dt === int8 ? [-128, 127] : [-32768, 32767];
  const bad =
    dt === uint8 && Number.isInteger(v)
      ? v > hi || (v < 0 && -v > hi)
      : Number.isNaN(v) || v < lo || v > hi;
  if (bad) throw runtimeError(`value cannot be converted to type ${dt.name} without overflow`);
}

/**
 * JS numbers as a new array of dtype's elements: bool is `v != 0`, int64 truncates, the
 * narrower integers truncate and wrap as a typed-array store does, half types round to their
 * bit patterns (Note [half storage]).
 */
function fromNumbers(values: ArrayLike<number | bigint>, dt: DType): TypedArray {
  const n = values.length;
  if (dt.lanes === 2) {
    // a real number is the complex value v + 0j: interleaved (re, im) pairs (Note [complex storage])
    const arr = new dt.ArrayType(2 * n);
    for (let i = 0; i < n; i++) arr[2 * i] = Number(values[i]);
    return arr;
  }
  const arr = new dt.ArrayType(n);
  if (dt.isHalf) {
    const f = new Float64Array(n);
    for (let i = 0; i < n; i++) f[i] = Number(values[i]);
    encodeHalf(f, arr as Uint16Array, n, dt === bfloat16);
    return arr;
  }
  for (let i = 0; i < n; i++) {
    const v = Number(values[i]);
    arr[i] = dt === bool ? (v !== 0 ? 1 : 0) : dt === int64 ? Math.trunc(v) : v;
  }
  return arr;
}

function splitOptions(args: readonly unknown[]): {
  shape: number[];
  opts: TensorOptions | undefined;
} {
  const { shape, rest } = parseShape(args);
  if (rest.length > 1 || (rest.length === 1 && (typeof rest[0] !== "object" || rest[0] === null))) {
    const bad = rest[0];
    throw typeError(
      typeof bad === "number" && !Number.isInteger(bad)
        ? `shape must be a list of integers, but got ${bad}`
        : `expected a shape (numbers or an array of numbers) and an optional options object, got ${pyTypeName(bad)}`,
    );
  }
  return { shape, opts: rest[0] as TensorOptions | undefined };
}

type ShapeArgs = (number | readonly number[] | TensorOptions)[];

/**
 * torch.zeros(*size, {dtype, requiresGrad})
 * @example torch.zeros(2, 3) // tensor([[0., 0., 0.], [0., 0., 0.]])
 * @example torch.zeros([2, 3]).shape // [2, 3]

 */
export function zeros(...args: ShapeArgs): Tensor {
  const { shape, opts } = splitOptions(args);
  return finish(alloc(shape, toDType(opts?.dtype) ?? getDefaultDtype()), opts);
}

/** torch.ones(*size, {dtype, requiresGrad}) */
export function ones(...args: ShapeArgs): Tensor {
  const { shape, opts } = splitOptions(args);
  const dt = toDType(opts?.dtype) ?? getDefaultDtype();
  const t = allocOutput(shape, dt);
  t.typedArray.fill(scalarArray(1, dt)[0]);
  return finish(t, opts);
}

/** torch.empty(*size): uninitialised in PyTorch; zero-filled here. */
export function empty(...args: ShapeArgs): Tensor {
  return zeros(...args);
}

/** torch.full(size, fillValue, {dtype, requiresGrad}); booleans give bool tensors. */
export function full(
  size: readonly number[] | number,
  fillValue: number | boolean,
  opts?: TensorOptions,
): Tensor {
  const shape = parseShape([size]).shape;
  const dt = toDType(opts?.dtype) ?? (typeof fillValue === "boolean" ? bool : getDefaultDtype());
  const t = allocOutput(shape, dt);
  t.typedArray.fill(scalarArray(Number(fillValue), dt)[0]);
  return finish(t, opts);
}

function likeDtype(t: Tensor, opts?: TensorOptions): DType {
  return toDType(opts?.dtype) ?? t.dtype;
}
/** torch.zeros_like(t) */
export const zerosLike = (t: Tensor, opts?: TensorOptions): Tensor =>
  finish(alloc(t.shape.slice(), likeDtype(t, opts)), opts);
/** torch.ones_like(t) */
export const onesLike = (t: Tensor, opts?: TensorOptions): Tensor => {
  const dt = likeDtype(t, opts);
  const r = allocOutput(t.shape.slice(), dt);
  r.typedArray.fill(scalarArray(1, dt)[0]);
  return finish(r, opts);
};
export const emptyLike = zerosLike;
/** torch.full_like(t, value) */
export const fullLike = (t: Tensor, v: number, opts?: TensorOptions): Tensor => {
  const dt = likeDtype(t, opts);
  const r = allocOutput(t.shape.slice(), dt);
  r.typedArray.fill(scalarArray(v, dt)[0]);
  return finish(r, opts);
};
/**
 * torch.arange(end) / arange(start, end, step=1): int64 when every argument is an integer.
 * @example torch.arange(4) // tensor([0, 1, 2, 3])
 */
export function arange(...args: (number | TensorOptions)[]): Tensor {
  const nums: number[] = [];
  let opts: TensorOptions | undefined;
  for (const a of args) {
    if (typeof a === "number") nums.push(a);
    else if (typeof a === "object" && a !== null) opts = a;
    else
      throw typeError(
        `arange() received an invalid combination of arguments - got (${pyTypeName(a)})`,
      );
  }
  if (nums.length === 0 || nums.length > 3)
    throw typeError("arange() takes 1 to 3 positional arguments");
  const [start, end, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
  if (step === 0) throw runtimeError("step must be nonzero");
  if (!Number.isFinite(start) || !Number.isFinite(end))
    throw runtimeError("unsupported range: " + start + " -> " + end);
  if ((step > 0 && end < start) || (step < 0 && end > start)) {
    throw runtimeError("upper bound and larger bound inconsistent with step sign");
  }
  const allInt = nums.every(Number.isInteger);
  const dt = toDType(opts?.dtype) ?? (allInt ? int64 : getDefaultDtype());
  const n = Math.max(0, Math.ceil((end - start) / step));
  const t = alloc([n], dt);
  for (let i = 0; i < n; i++) t.typedArray[i] = start + i * step;
  return finish(t, opts);
}

/** torch.linspace(start, end, steps) */
export function linspace(start: number, end: number, steps: number, opts?: TensorOptions): Tensor {
  if (!Number.isInteger(steps) || steps < 0)
    throw runtimeError("number of steps must be non-negative");
  const dt = toDType(opts?.dtype) ?? getDefaultDtype();
  const t = alloc([steps], dt);
  // as ATen: the first half counts up from start, the second half down from end
  // in float32 arithmetic for float32 (ATen's scalar path); integer results truncate
  const f = dt === float32 ? Math.fround : (v: number): number => v;
  const [s0, e0] = [f(start), f(end)];
  const step = steps > 1 ? f(f(e0 - s0) / (steps - 1)) : 0;
  const half = steps === 1 ? 1 : Math.floor(steps / 2); // one step: start, as ATen
  const cast = dt.isFloatingPoint ? (v: number): number => v : Math.trunc;
  for (let i = 0; i < steps; i++)
    t.typedArray[i] = cast(i < half ? s0 + f(step * i) : e0 - f(step * (steps - i - 1)));
  return finish(t, opts);
}

/** torch.eye(n, m=n) */
export function eye(n: number, m?: number | TensorOptions, opts?: TensorOptions): Tensor {
  let cols = n;
  if (typeof m === "number") cols = m;
  else opts = m ?? opts;
  const dt = toDType(opts?.dtype) ?? getDefaultDtype();
  const t = alloc([n, cols], dt);
  const one = scalarArray(1, dt)[0];
  for (let i = 0; i < Math.min(n, cols); i++) t.typedArray[i * cols + i] = one;
  return finish(t, opts);
}
