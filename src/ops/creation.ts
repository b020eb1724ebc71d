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
import {
  alloc,
  allocOutput,
  castData,
  pyTypeName,
  scalarArray,
  scalarTypeName,
  wrap,
} from "./core.js";
import { encodeHalf } from "../backend/half.js";
import { ValueError, runtimeError, typeError } from "../errors.js";

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

/** `torch.asTensor`'s and `torch.asarray`'s options. */
export interface AsTensorOptions {
  /** The dtype of the result (default: the data's own). */
  dtype?: DType | DTypeName | null;
}

/**
 * A typed array's elements as a 1-d tensor over the same memory when `dt` is the array's own
 * dtype and stored in that array type (float32, float64, int32, int16, int8), else null.
 */
function sharedView(data: ArrayLike<number> & ArrayBufferView, dt: DType): Tensor | null {
  if (typedArrayDtype(data) !== dt || !(data instanceof dt.ArrayType)) return null;
  return wrap(data as TypedArray, [data.length], dt);
}

/**
 * torch.as_tensor(data, dtype): data as a tensor without copying when it can be: a tensor of
 * the wanted dtype is returned itself (a dtype change is a recorded `to`); a typed array whose
 * dtype is wanted becomes a tensor over the same memory (as `torch.from_numpy` shares a NumPy
 * array's); anything else is copied as `torch.tensor` copies it.
 * @example
 * const a = new Float32Array([1, 2, 3]);
 * const t = torch.asTensor(a);
 * a[0] = -1; // t is tensor([-1.,  2.,  3.])
 */
export function asTensor(
  data: Nested | Tensor,
  dtype?: DType | DTypeName | null | AsTensorOptions,
): Tensor {
  const opts =
    dtype !== null && typeof dtype === "object" && !(dtype instanceof DType) ? dtype : { dtype };
  const want = toDType(opts.dtype ?? undefined);
  if (data instanceof Tensor)
    return want === undefined || want === data.dtype ? data : data.to(want);
  if (isTypedArray(data)) {
    const shared = sharedView(data, want ?? typedArrayDtype(data));
    if (shared !== null) return shared;
  }
  return tensor(data, want === undefined ? undefined : { dtype: want });
}

/** `torch.asarray`'s options (PyTorch's keyword-only arguments). */
export interface AsarrayOptions extends AsTensorOptions {
  /** true: always copy; false: never (an error when a copy is needed); null: when needed. */
  copy?: boolean | null;
  /** Make the result a leaf that requires grad. */
  requiresGrad?: boolean;
}

/**
 * torch.asarray(obj, { dtype, copy, requiresGrad }): obj as a tensor, sharing its memory unless
 * `copy` is true or a copy is needed (another dtype; nested arrays always copy). With
 * `requiresGrad`, a tensor input is detached first so the result is a new leaf.
 * @example torch.asarray([1, 2], { dtype: torch.int64 }) // tensor([1, 2])
 */
export function asarray(obj: Nested | Tensor, opts: AsarrayOptions = {}): Tensor {
  const want = toDType(opts.dtype ?? undefined);
  const copy = opts.copy ?? null;
  let out: Tensor;
  if (obj instanceof Tensor) {
    const dt = want ?? obj.dtype;
    if (copy === false && dt !== obj.dtype) throw aliasError(obj.dtype, dt);
    out = copy === true ? obj.to(dt).clone() : dt === obj.dtype ? obj : obj.to(dt);
    if (opts.requiresGrad) out = (copy === true ? out : out.detach()).requiresGrad_(true);
    return out;
  }
  if (isTypedArray(obj)) {
    const dt = want ?? typedArrayDtype(obj);
    const shared = copy === true ? null : sharedView(obj, dt);
    if (shared === null && copy === false) throw aliasError(typedArrayDtype(obj), dt);
    out = shared ?? tensor(obj, { dtype: dt });
  } else {
    if (copy === false) throw new ValueError("can't alias arbitrary sequence into a tensor.");
    out = tensor(obj, want === undefined ? undefined : { dtype: want });
  }
  return finish(out, { requiresGrad: opts.requiresGrad });
}

/** asarray's refusal to copy (copy: false) where the dtype changes. */
function aliasError(from: DType, to: DType): ValueError {
  return new ValueError(
    `can't alias tensor with dtype '${scalarTypeName(from)}' into dtype '${scalarTypeName(to)}'.`,
  );
}

/** `torch.frombuffer`'s options (PyTorch's keyword arguments; `dtype` is required). */
export interface FrombufferOptions {
  /** How to read the bytes (required, as in PyTorch). */
  dtype: DType | DTypeName;
  /** Elements to read (-1: up to the end of the buffer). */
  count?: number;
  /** Bytes to skip at the start. */
  offset?: number;
  /** Make the result require grad. */
  requiresGrad?: boolean;
}

/**
 * torch.frombuffer(buffer, { dtype, count, offset }): a 1-d tensor over the bytes of an
 * ArrayBuffer (or a typed array's bytes), sharing them as PyTorch shares a Python buffer's.
 * Deviation: int64 (held as float64 values here), and an `offset` that is not a multiple of
 * the dtype's alignment in JavaScript's typed arrays, read a copy of the bytes instead.
 * @example
 * const bytes = new Float32Array([1, 2, 3]).buffer;
 * torch.frombuffer(bytes, { dtype: torch.float32, offset: 4 }) // tensor([2., 3.])
 */
export function frombuffer(
  buffer: ArrayBufferLike | ArrayBufferView,
  opts: FrombufferOptions,
): Tensor {
  const dt = toDType(opts?.dtype);
  if (dt === undefined)
    throw typeError('frombuffer() missing 1 required positional arguments: "dtype"');
  const view = ArrayBuffer.isView(buffer)
    ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    : new Uint8Array(buffer);
  const len = view.byteLength;
  const count = opts.count ?? -1;
  const offset = opts.offset ?? 0;
  const size = dt.itemsize;
  if (len === 0 || count === 0)
    throw new ValueError(`both buffer length (${len}) and count (${count}) must not be 0`);
  if (offset < 0 || offset >= len)
    throw new ValueError(
      `offset (${offset} bytes) must be non-negative and no greater than buffer length (${len} bytes) minus 1`,
    );
  if (count <= 0 && (len - offset) % size !== 0)
    throw new ValueError(
      `buffer length (${len - offset} bytes) after offset (${offset} bytes) must be a multiple of element size (${size})`,
    );
  const n = count > 0 ? count : (len - offset) / size;
  if (count > 0 && n * size > len - offset)
    throw new ValueError(
      `requested buffer length (${count} * ${size} bytes) after offset (${offset} bytes) must not be greater than actual buffer length (${len} bytes)`,
    );
  const start = view.byteOffset + offset;
  const lanes = dt.lanes;
  let data: TypedArray;
  if (dt === int64) {
    const ints = new BigInt64Array(view.buffer.slice(start, start + n * 8));
    data = Float64Array.from(ints, (v) => Number(v));
  } else {
    const bytesPer = size / lanes;
    const aligned = start % bytesPer === 0;
    const buf = aligned ? view.buffer : view.buffer.slice(start, start + n * size);
    data = new (
      dt.ArrayType as unknown as new (b: ArrayBufferLike, o: number, n: number) => TypedArray
    )(buf, aligned ? start : 0, n * lanes);
  }
  return finish(wrap(data, [n], dt), opts);
}
