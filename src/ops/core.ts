/**
 * Shared helpers of the op layer: allocation, contiguous access, casts and argument checks.
 */
import { Tensor } from "../tensor.js";
import {
  DType,
  type TypedArray,
  bool,
  int64,
  float64,
  float32,
  int32,
  uint8,
  int8,
  int16,
  float16,
  bfloat16,
  getDefaultDtype,
  complex32,
  complex64,
  complex128,
  realLayout,
  toRealDtype,
} from "../dtype.js";
import { contiguousStrides, numelOf } from "../shape.js";
import { CastKind, castInto, gather, scatter } from "../backend/copy.js";
import { typeError } from "../errors.js";
import { newArray } from "../backend/buffers.js";
import {
  decodeHalf,
  encodeHalf,
  fromBFloat16Bits,
  fromHalfBits,
  toBFloat16Bits,
  toHalfBits,
} from "../backend/half.js";
import { DeviceArray, allocStorage, upload } from "../backend/webgpu.js";

/** A new contiguous tensor over `data`. */
export function wrap(data: TypedArray, shape: number[], dtype: DType): Tensor {
  return new Tensor(data, shape, contiguousStrides(shape), 0, dtype);
}

/** Whether `t` lives on the WebGPU device (Note [webgpu storage] in backend/webgpu.ts). */
export function onDevice(t: Tensor): boolean {
  return t.typedArray instanceof DeviceArray;
}

/**
 * A new contiguous tensor on `like`'s device, every element `v` (zeros by default): what the
 * autograd engine makes next to a gradient (Note [device dispatch] in ops/webgpu.ts).
 */
export function allocLike(like: Tensor, shape: number[], dtype: DType, v = 0): Tensor {
  if (!(like.typedArray instanceof DeviceArray)) {
    const t = alloc(shape, dtype);
    if (v !== 0) t.typedArray.fill(v);
    return t;
  }
  const n = numelOf(shape);
  const s = v === 0 ? allocStorage(n) : upload(new Float32Array(n).fill(v));
  return new Tensor(new DeviceArray(s), shape, contiguousStrides(shape), 0, dtype);
}

/** A new zero-filled contiguous tensor. */
export function alloc(shape: number[], dtype: DType): Tensor {
  return wrap(allocZeros(numelOf(shape), dtype), shape, dtype);
}

/**
 * A new contiguous tensor whose every element the caller overwrites (kernel outputs): large
 * arrays skip the zero fill (backend/buffers.ts). Never use it for a tensor some element of
 * which might stay unwritten.
 */
export function allocOutput(shape: number[], dtype: DType): Tensor {
  return wrap(newArray(numelOf(shape), dtype, false), shape, dtype);
}

/** A new array of n elements of `dtype` that the caller fills entirely (as `allocOutput`). */
export function allocData(n: number, dtype: DType): TypedArray {
  return newArray(n, dtype, false);
}

/** A new zero-filled array of n elements of `dtype`. */
export function allocZeros(n: number, dtype: DType): TypedArray {
  return newArray(n, dtype, true);
}

/**
 * The tensor's elements as a contiguous array in row-major order: its own storage when it is
 * already contiguous (then `offset` may be non-zero), else a fresh copy.
 */
export function contiguousData(t: Tensor): { data: TypedArray; offset: number } {
  if (t.dtype.isComplex) return complexData(t);
  if (t.isContiguous()) return { data: t.typedArray, offset: t.offset };
  const out = allocData(t.numel(), t.dtype);
  gather(t.typedArray, t, out);
  return { data: out, offset: 0 };
}

/**
 * Note [complex storage]: a complex tensor's interleaved re/im values in row-major order; the
 * offset counts array elements (twice the element offset).
 */
function complexData(t: Tensor): { data: TypedArray; offset: number } {
  if (t.isContiguous()) return { data: t.typedArray, offset: 2 * t.offset };
  const out = allocData(t.numel(), t.dtype);
  gather(t.typedArray, realLayout(t), out);
  return { data: out, offset: 0 };
}

let warnedComplexCast = false;
/** PyTorch's warning when a cast drops imaginary parts (once per process, as Python warns). */
function warnComplexCast(): void {
  if (warnedComplexCast) return;
  warnedComplexCast = true;
  console.warn(
    "UserWarning: Casting complex values to real discards the imaginary part (Triggered internally at  ./aten/src/ATen/native/Copy.cpp:250.)",
  );
}

/**
 * castData with a complex source or target (Note [complex storage]): complex to complex casts
 * both parts; real to complex takes the values as real parts with zero imaginary parts; complex
 * to real keeps the real parts (with PyTorch's warning).
 */
function castComplex(t: Tensor, dtype: DType): TypedArray {
  const n = t.numel();
  if (t.dtype === complex32 || dtype === complex32) {
    // Note [complex32]: through complex64, each part decoded from / rounded to float16
    let src = t;
    if (t.dtype === complex32) {
      const { data, offset } = complexData(t);
      const f = new Float32Array(2 * n);
      decodeHalf(data, offset, f, 2 * n, false);
      src = wrap(f, t.shape.slice(), complex64);
      if (dtype === complex64) return f;
    }
    if (dtype !== complex32) return castData(src, dtype);
    const wide =
      src.dtype === complex64 ? contiguousData(src) : { data: castData(src, complex64), offset: 0 };
    const out = allocData(n, complex32) as Uint16Array;
    encodeHalf(wide.data.subarray(wide.offset, wide.offset + 2 * n), out, 2 * n, false);
    return out;
  }
  if (t.dtype.isComplex) {
    const { data, offset } = complexData(t);
    const src = data.subarray(offset, offset + 2 * n);
    if (dtype.isComplex) {
      const out = allocData(n, dtype);
      out.set(src);
      return out;
    }
    warnComplexCast();
    const part = toRealDtype(t.dtype);
    const re = allocData(n, part);
    for (let i = 0; i < n; i++) re[i] = src[2 * i];
    return dtype === part ? re : castData(wrap(re, [n], part), dtype);
  }
  const part = toRealDtype(dtype);
  const { data, offset } = asDtype(t, part);
  const out = allocZeros(n, dtype);
  for (let i = 0; i < n; i++) out[2 * i] = data[offset + i];
  return out;
}

/**
 * Contiguous copy of the values converted to `dtype` (PyTorch's .to(dtype) semantics). Half
 * types (Note [half storage]) go through float32: a half source is decoded to float32 values
 * first, a half target gets float32 values rounded to its bit patterns, as c10's casts do.
 */
export function castData(t: Tensor, dtype: DType): TypedArray {
  if (dtype.needsConversion || t.dtype.needsConversion) {
    if (dtype.isComplex || t.dtype.isComplex) return castComplex(t, dtype);
  }
  const n = t.numel();
  if (dtype === t.dtype && !t.isContiguous()) {
    // a copy in the same dtype: gather once into the result
    const out = allocData(n, dtype);
    gather(t.typedArray, t, out);
    return out;
  }
  const { data, offset } = contiguousData(t);
  let src = offset === 0 && data.length === n ? data : data.subarray(offset, offset + n);
  let from = t.dtype;
  if (from.isHalf && dtype !== from) {
    const f = new Float32Array(n);
    decodeHalf(src, 0, f, n, from === bfloat16);
    src = f;
    from = float32;
  }
  if (dtype.isHalf) {
    const out = allocData(n, dtype) as Uint16Array;
    if (from === dtype) {
      out.set(src);
      return out;
    }
    const f = from === float32 ? src : castPlain(src, n, float32, from);
    encodeHalf(f, out, n, dtype === bfloat16);
    return out;
  }
  return castPlain(src, n, dtype, from);
}

/** castData's conversion between two types stored as their values (not half types). */
function castPlain(src: TypedArray, n: number, dtype: DType, from: DType): TypedArray {
  const out = allocData(n, dtype);
  const kind =
    dtype === bool
      ? CastKind.Bool
      : dtype === int64 && from.isFloatingPoint
        ? CastKind.Int64
        : dtype.category === 1 && from.isFloatingPoint
          ? CastKind.Int32 // to uint8, int8, int16: through int32, then the low bits (x86's cvttss2si)
          : CastKind.Plain;
  castInto(src, out, n, kind);
  return out;
}

/**
 * Note [half compute]: a half tensor's values as a new contiguous float32 tensor (no graph),
 * for kernels that compute the half types in float32.
 */
export function halfToFloat(t: Tensor): Tensor {
  return wrap(castData(t, float32), t.shape.slice(), float32);
}

/** A float32 kernel result rounded to the half type `dtype` (Note [half compute]). */
export function floatToHalf(t: Tensor, dtype: DType): Tensor {
  return wrap(castData(t, dtype), t.shape.slice(), dtype);
}

/**
 * The tensor's values as contiguous numbers: `contiguousData`, but half types (Note [half
 * storage]) decoded to float32. For reading values (printing, tolist, item), not storage.
 */
export function valuesOf(t: Tensor): { data: TypedArray; offset: number } {
  if (t.dtype === complex32) return { data: castData(t, complex64), offset: 0 };
  if (!t.dtype.isHalf) return contiguousData(t);
  return { data: castData(t, float32), offset: 0 };
}

/** Values readable as contiguous data in the given dtype (no copy when nothing changes). */
export function asDtype(t: Tensor, dtype: DType): { data: TypedArray; offset: number } {
  if (t.dtype === dtype) return contiguousData(t);
  return { data: castData(t, dtype), offset: 0 };
}

const scratch: Record<string, TypedArray> = {
  float32: new Float32Array(1),
  float64: new Float64Array(1),
  int32: new Int32Array(1),
  uint8: new Uint8Array(1),
  int8: new Int8Array(1),
  int16: new Int16Array(1),
  int64: new Float64Array(1),
  bool: new Uint8Array(1),
};

/** A number converted to dtype's precision (float32 rounding, int truncation). */
export function scalarIn(v: number, dtype: DType): number {
  if (dtype === float64) return v;
  if (dtype === float32) return Math.fround(v);
  if (dtype === float16) return fromHalfBits(toHalfBits(v));
  if (dtype === bfloat16) return fromBFloat16Bits(toBFloat16Bits(v));
  if (dtype === int64) return Math.trunc(v);
  if (dtype === bool) return v !== 0 ? 1 : 0;
  const s = scratch[dtype.name];
  s[0] = v;
  return s[0];
}

/** A one-element array holding v in dtype, for kernels taking arrays. Not reentrant-safe across kernels; use immediately. */
export function scalarArray(v: number, dtype: DType): TypedArray {
  if (dtype.isHalf) {
    return Uint16Array.of(dtype === bfloat16 ? toBFloat16Bits(v) : toHalfBits(v));
  }
  const s = scratch[dtype.name];
  s[0] = dtype === int64 ? Math.trunc(v) : dtype === bool ? (v !== 0 ? 1 : 0) : v;
  return s;
}

/** Python type names for error messages ("str", "list", ...). */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (Array.isArray(v)) return "list";
  if (v instanceof Tensor) return "Tensor";
  if (typeof v === "function") return "function";
  return (v as object).constructor?.name ?? "object";
}

/** Check an operand is a Tensor, with PyTorch's argument error. */
export function checkTensor(v: unknown, fn: string, arg: string, pos: number): Tensor {
  if (v instanceof Tensor) return v;
  throw typeError(
    `${fn}(): argument '${arg}' (position ${pos}) must be Tensor, not ${pyTypeName(v)}`,
  );
}

/** Check an operand is a Tensor or a number. */
export function checkOperand(v: unknown, fn: string, arg: string, pos: number): Tensor | number {
  if (v instanceof Tensor) return v;
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  throw typeError(
    `${fn}(): argument '${arg}' (position ${pos}) must be Tensor, not ${pyTypeName(v)}`,
  );
}

/** The dtype math functions (exp, sin, ...) compute in: floats keep theirs, others the default. */
export function floatDtypeOf(d: DType): DType {
  return d.isFloatingPoint ? d : getDefaultDtype();
}

/** PyTorch's scalar type names for error messages ("Float", "Long", ...). */
export function scalarTypeName(d: DType): string {
  switch (d) {
    case float32:
      return "Float";
    case float64:
      return "Double";
    case int32:
      return "Int";
    case int64:
      return "Long";
    case uint8:
      return "Byte";
    case int8:
      return "Char";
    case int16:
      return "Short";
    case float16:
      return "Half";
    case bfloat16:
      return "BFloat16";
    case complex32:
      return "ComplexHalf";
    case complex64:
      return "ComplexFloat";
    case complex128:
      return "ComplexDouble";
    default:
      return "Bool";
  }
}

/** Note [device dispatch]: the device's write-back, installed by ops/webgpu.ts (which imports this file). */
let deviceWriteInto = (_self: Tensor, _r: Tensor): void => {
  throw new Error("tensorgrad: ops/webgpu.ts not loaded");
};
/** @internal installs the device's write-back (ops/webgpu.ts) */
export function setDeviceWriteInto(f: (self: Tensor, r: Tensor) => void): void {
  deviceWriteInto = f;
}

/** Copy r's values (cast to self's dtype) into self's possibly strided storage. */
export function writeInto(self: Tensor, r: Tensor): void {
  // Note [device dispatch]: an in-place op's result written back on the device
  if (self.typedArray instanceof DeviceArray) return deviceWriteInto(self, r);
  const data = castData(r, self.dtype);
  if (self.dtype.isComplex) {
    // Note [complex storage]: the interleaved values into the storage seen as real
    if (self.isContiguous()) self.typedArray.set(data, 2 * self.offset);
    else scatter(data, self.typedArray, realLayout(self));
  } else if (self.isContiguous()) self.typedArray.set(data, self.offset);
  else scatter(data, self.typedArray, self);
}
