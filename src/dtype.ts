/**
 * dtypes and PyTorch's type promotion.
 *
 * Note [int64 storage]: int64 tensors are stored in a Float64Array. Values are exact up to 2^53,
 * which is what `item()` and `tolist()` can return as JS numbers anyway; kernels that produce
 * int64 results truncate explicitly.
 */

export type DTypeName =
  | "float32"
  | "float64"
  | "float16"
  | "bfloat16"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "bool"
  | "complex32"
  | "complex64"
  | "complex128";
export type TypedArray =
  Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Int16Array | Uint16Array;
type ArrayCtor = new (n: number) => TypedArray;

/** A tensor element type; `String(torch.float32) === "torch.float32"`. */
export class DType {
  constructor(
    /** The dtype's name: "float32", "int64", ... */
    readonly name: DTypeName,
    /** 0 bool, 1 integer, 2 floating, 3 complex: PyTorch's promotion categories. */
    readonly category: 0 | 1 | 2 | 3,
    /** order within the promotion lattice */
    readonly rank: number,
    /** Bytes per element (PyTorch's `dtype.itemsize`). */
    readonly itemsize: number,
    /** The typed-array class holding this dtype's elements (Float32Array, ...). */
    readonly ArrayType: ArrayCtor,
    /** the legacy tensor type name used in error messages, e.g. "torch.FloatTensor" */
    readonly tensorTypeName: string,
  ) {
    this.isComplex = category === 3;
    this.lanes = category === 3 ? 2 : 1;
    this.needsConversion = category === 3 || ArrayType === Uint16Array;
    this.isHalfStored = ArrayType === Uint16Array;
    this.differentiable = category >= 2;
  }
  /** @internal floating or complex: what autograd records (PyTorch's isDifferentiableType) */
  readonly differentiable: boolean;
  /**
   * Whether this is a complex dtype (PyTorch's `dtype.is_complex`; Note [complex storage]).
   * @example torch.complex64.isComplex // true
   */
  readonly isComplex: boolean;
  /** @internal array elements per tensor element: 2 for complex (Note [complex storage]), else 1 */
  readonly lanes: 1 | 2;
  /**
   * @internal whether registry ops compute this dtype through another (half types through
   * float32, Note [half compute]; complex through real views, Note [complex compute])
   */
  readonly needsConversion: boolean;
  /**
   * @internal whether the array holds 16-bit float patterns: float16, bfloat16 and complex32's
   * parts (Note [half storage], Note [complex32])
   */
  readonly isHalfStored: boolean;
  /**
   * Whether this is a floating-point dtype (PyTorch's `dtype.is_floating_point`).
   * @example torch.float64.isFloatingPoint // true
   */
  get isFloatingPoint(): boolean {
    return this.category === 2;
  }
  /**
   * Whether the elements are 16-bit float patterns (float16, bfloat16; Note [half storage]):
   * values are read and written through conversions, never straight from the array.
   */
  get isHalf(): boolean {
    return this.category === 2 && this.ArrayType === Uint16Array;
  }
  /** Whether the type is signed (PyTorch's `dtype.is_signed`). */
  get isSigned(): boolean {
    return this.name !== "uint8" && this.name !== "bool";
  }
  /** PyTorch's repr: `torch.float32`. */
  toString(): string {
    return `torch.${this.name}`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** torch.bool: true/false elements, one byte each. */
export const bool = new DType("bool", 0, 0, 1, Uint8Array, "torch.BoolTensor");
/** torch.uint8: what generator states (`getState()`) are made of; stores wrap modulo 256 as in C++. */
export const uint8 = new DType("uint8", 1, 1, 1, Uint8Array, "torch.ByteTensor");
/** torch.int8: 8-bit signed integers; stores wrap modulo 256 as PyTorch's int8 does. */
export const int8 = new DType("int8", 1, 1, 1, Int8Array, "torch.CharTensor");
/** torch.int16 (torch.short): 16-bit signed integers; stores wrap modulo 65536. */
export const int16 = new DType("int16", 1, 2, 2, Int16Array, "torch.ShortTensor");
/** torch.int32 (torch.int): 32-bit signed integers. */
export const int32 = new DType("int32", 1, 3, 4, Int32Array, "torch.IntTensor");
/** torch.int64 (torch.long): integers, exact up to 2^53 (Note [int64 storage]); indices are int64. */
export const int64 = new DType("int64", 1, 4, 8, Float64Array, "torch.LongTensor");
/**
 * torch.float16 (torch.half): IEEE half precision, stored as bit patterns and computed in
 * float32 with each result rounded to half (Note [half storage]).
 */
export const float16 = new DType("float16", 2, 5, 2, Uint16Array, "torch.HalfTensor");
/** torch.bfloat16: float32's exponent range with 8 significant bits (Note [half storage]). */
export const bfloat16 = new DType("bfloat16", 2, 5, 2, Uint16Array, "torch.BFloat16Tensor");
/** torch.float32 (torch.float): the default dtype of tensors made from JS numbers. */
export const float32 = new DType("float32", 2, 6, 4, Float32Array, "torch.FloatTensor");
/** torch.float64 (torch.double): double precision, what gradcheck wants. */
export const float64 = new DType("float64", 2, 7, 8, Float64Array, "torch.DoubleTensor");
/**
 * torch.complex32 (torch.chalf): pairs of float16, stored interleaved as their bit patterns
 * (Note [complex32]). PyTorch 1.13 calls its support experimental: creation, casts, views,
 * indexing, cat/stack, add/sub/mul and a few more; other ops raise PyTorch's
 * "not implemented for 'ComplexHalf'" errors.
 * @example torch.zeros(2, { dtype: torch.complex32 }).dtype // torch.complex32
 */
export const complex32 = new DType("complex32", 3, 8, 4, Uint16Array, "torch.ComplexHalfTensor");
/**
 * torch.complex64 (torch.cfloat): pairs of float32, stored interleaved (Note [complex storage]).
 * @example torch.complex(torch.tensor([1]), torch.tensor([2])).dtype // torch.complex64
 */
export const complex64 = new DType("complex64", 3, 9, 8, Float32Array, "torch.ComplexFloatTensor");
/**
 * torch.complex128 (torch.cdouble): pairs of float64, stored interleaved (Note [complex storage]).
 * @example torch.zeros(2, { dtype: torch.complex128 }).dtype // torch.complex128
 */
export const complex128 = new DType(
  "complex128",
  3,
  10,
  16,
  Float64Array,
  "torch.ComplexDoubleTensor",
);

/**
 * Note [complex storage]: a complex tensor's typed array (Float32Array for complex64,
 * Float64Array for complex128) holds 2 * numel values, each element's real part followed by
 * its imaginary part. `shape`, `strides` and `offset` count complex elements, as PyTorch's
 * do, so views (transpose, select, narrow, expand, ...) work unchanged; code reading values
 * goes through `realLayout`, the same storage seen as a real tensor with a trailing dim of 2
 * (what `viewAsReal` returns).
 */
export function realLayout(t: { shape: number[]; strides: number[]; offset: number }): {
  shape: number[];
  strides: number[];
  offset: number;
} {
  return {
    shape: [...t.shape, 2],
    strides: [...t.strides.map((s) => 2 * s), 1],
    offset: 2 * t.offset,
  };
}

/** The real dtype of a complex dtype's parts (complex64 -> float32); others map to themselves. */
export function toRealDtype(d: DType): DType {
  return d === complex64 ? float32 : d === complex128 ? float64 : d === complex32 ? float16 : d;
}

/**
 * Note [complex32]: torch.complex32 stores each element as two float16 bit patterns (real,
 * imaginary) in a Uint16Array, interleaved as Note [complex storage] says, so views and copies
 * work as for the other complex dtypes and `real`/`imag`/`viewAsReal` are float16 views of the
 * same storage. Values are read through complex64 (each part decoded), and registry ops compute
 * complex32 as PyTorch's CPU kernels do, in complex64 with each result part rounded to half
 * (Note [half compute]); the ops PyTorch 1.13's CPU kernels do not dispatch for ComplexHalf
 * raise its error.
 */
/** The complex type of the promotion lattice whose parts are `d` (float16 -> complex32). */
function complexOfPart(d: DType): DType {
  return d === float16 ? complex32 : toComplexDtype(d);
}

/** The complex dtype with parts of a float dtype (float64 -> complex128; others complex64). */
export function toComplexDtype(d: DType): DType {
  return d.isComplex ? d : d === float64 ? complex128 : complex64;
}

export const dtypes: Record<DTypeName, DType> = {
  bool,
  uint8,
  int8,
  int16,
  int32,
  int64,
  float16,
  bfloat16,
  float32,
  float64,
  complex32,
  complex64,
  complex128,
};

let defaultDtype: DType = float32;
/** torch.get_default_dtype() */
export function getDefaultDtype(): DType {
  return defaultDtype;
}
/** torch.set_default_dtype(d): float32 or float64 only, as in PyTorch. */
export function setDefaultDtype(d: DType): void {
  if (!d.isFloatingPoint) {
    throw new TypeError("only floating-point types are supported as the default type");
  }
  defaultDtype = d;
}

/** Resolve a dtype given as a DType or a name ("float32"). */
export function toDType(d: DType | DTypeName | undefined | null): DType | undefined {
  if (d === undefined || d === null) return undefined;
  if (d instanceof DType) return d;
  const r = dtypes[d as DTypeName];
  if (r === undefined) throw new TypeError(`unknown dtype ${String(d)}`);
  return r;
}

/**
 * promote_types(a, b), PyTorch's promotion lattice (c10/core/ScalarType.h's table): bool
 * below everything; among integers the wider, except that uint8 with a signed type needs a
 * sign and 9 bits (int16 at least); an integer with a float gives the float; among floats the
 * wider, except float16 with bfloat16, which neither holds: float32.
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a.isComplex || b.isComplex) {
    // complex with anything: the complex type whose parts hold both (complex64 with float64
    // gives complex128; complex32 with float16 or an integer stays complex32)
    const pa = toRealDtype(a);
    const pb = toRealDtype(b);
    return complexOfPart(promoteTypes(pa, pb));
  }
  if (a.category !== b.category) return a.category > b.category ? a : b;
  if (a.category === 1) {
    if (a === uint8 || b === uint8) {
      const s = a === uint8 ? b : a;
      return s.rank < int16.rank ? int16 : s;
    }
  } else if (a.category === 2 && a.isHalf && b.isHalf) {
    return float32;
  }
  return a.rank >= b.rank ? a : b;
}

/**
 * Note [type promotion]
 * PyTorch's result_type: operands fall into three priority classes: tensors with dim > 0,
 * zero-dim tensors, and JS numbers (wrapped scalars). A lower class only matters if its
 * category (bool < integer < floating) is higher than every higher class's; then a zero-dim
 * tensor contributes its dtype and a number contributes the default dtype (float), int64
 * (integer) or bool.
 */
export interface PromotionState {
  dim: DType | undefined;
  zero: DType | undefined;
  scalar: DType | undefined;
}

export function scalarDType(v: number | boolean): DType {
  if (typeof v === "boolean") return bool;
  return Number.isInteger(v) ? int64 : defaultDtype;
}

export function resultType(
  operands: ReadonlyArray<{ dtype: DType; ndim: number } | number | boolean>,
): DType {
  let dim: DType | undefined;
  let zero: DType | undefined;
  let scalar: DType | undefined;
  for (const o of operands) {
    if (typeof o === "number" || typeof o === "boolean") {
      const d = scalarDType(o);
      scalar = scalar ? promoteTypes(scalar, d) : d;
    } else if ((o as { _wrappedNumber?: boolean })._wrappedNumber === true) {
      // Note [wrapped numbers]: a number given where a Tensor goes ranks as a number
      const d = o.dtype.isFloatingPoint ? float32 : o.dtype.isComplex ? complex64 : o.dtype;
      scalar = scalar ? promoteTypes(scalar, d) : d;
    } else if (o.ndim === 0) {
      zero = zero ? promoteTypes(zero, o.dtype) : o.dtype;
    } else {
      dim = dim ? promoteTypes(dim, o.dtype) : o.dtype;
    }
  }
  let r = dim;
  for (const lower of [zero, scalar]) {
    if (lower === undefined) continue;
    if (r === undefined) {
      r = lower;
    } else if (lower.category > r.category) {
      // a lower-priority operand of a higher category: a float number promotes to the default
      // float dtype, an integer number to int64; a zero-dim tensor keeps its own dtype.
      // A complex one (combine_categories in TypeProperties.cpp) keeps a float's precision:
      // a complex128 zero-dim tensor with float32 gives complex64.
      if (lower.isComplex) {
        r =
          r.category === 2
            ? complexOfPart(r)
            : lower === scalar
              ? toComplexDtype(defaultDtype)
              : lower;
      } else r = lower === scalar && lower.category === 2 ? defaultDtype : lower;
    }
  }
  return r ?? defaultDtype;
}

/**
 * C++'s default stream formatting of a double (`%g`, 6 significant digits). printf rounds the
 * exact binary value, so a tie (0.0009765625) goes to the even digit, where JS's toPrecision
 * goes up: the tie is detected on 21 digits, which show such short values exactly.
 */
function formatG(v: number): string {
  if (v === 0) return "0";
  let p = v.toPrecision(6);
  const long = Math.abs(v).toPrecision(21);
  const [lm, le] = long.split("e");
  const digits = lm.replace(".", "").replace(/^0+/, "");
  if (/^\d{5}[02468]50*$/.test(digits.padEnd(21, "0"))) {
    // a tie whose 6th digit is even: truncate instead of rounding up
    const exp = le === undefined ? Math.floor(Math.log10(Math.abs(v))) : Number(le);
    const trunc = Number(`${digits.slice(0, 6)}e${exp - 5}`);
    p = (v < 0 ? -trunc : trunc).toPrecision(6);
  }
  const e = Math.floor(Math.log10(Math.abs(Number(p))));
  if (e < -4 || e >= 6) {
    const [m, x] = Number(p).toExponential(5).split("e");
    const mant = m.replace(/0+$/, "").replace(/\.$/, "");
    const ex = Number(x);
    return `${mant}e${ex < 0 ? "-" : "+"}${String(Math.abs(ex)).padStart(2, "0")}`;
  }
  const s = Number(p).toFixed(Math.max(0, 5 - e));
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

/** Significand bits (without the implicit one) and exponent bias of each float dtype. */
const FLOAT_FORMATS: Partial<Record<DTypeName, { mant: number; emax: number }>> = {
  float16: { mant: 10, emax: 15 },
  bfloat16: { mant: 7, emax: 127 },
  float32: { mant: 23, emax: 127 },
  float64: { mant: 52, emax: 1023 },
};

/**
 * torch.finfo: the numerical properties of a floating-point dtype.
 * @example torch.finfo(torch.float16).max // 65504
 */
export class FInfo {
  /** Bits per element. */
  readonly bits: number;
  /** The difference between 1 and the next representable number. */
  readonly eps: number;
  /** The largest finite value. */
  readonly max: number;
  /** The smallest (most negative) finite value. */
  readonly min: number;
  /** The smallest positive normal number. */
  readonly tiny: number;
  /** The smallest positive normal number (PyTorch's `smallest_normal`, equal to `tiny`). */
  readonly smallestNormal: number;
  /** 10 to the minus the number of decimal digits the type holds. */
  readonly resolution: number;
  constructor(
    /** The dtype described (a complex dtype's parts' dtype). */
    dtype: DType,
  ) {
    // a complex dtype describes its parts: finfo(torch.complex32) is float16's
    dtype = toRealDtype(dtype);
    const f = FLOAT_FORMATS[dtype.name];
    if (f === undefined)
      throw new TypeError(
        "torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'",
      );
    this.bits = dtype.itemsize * 8;
    this.eps = 2 ** -f.mant;
    this.max = (2 - this.eps) * 2 ** f.emax;
    this.min = -this.max;
    this.tiny = 2 ** (1 - f.emax);
    this.smallestNormal = this.tiny;
    this.resolution = 10 ** -Math.floor(f.mant * Math.log10(2));
    this.dtype = dtype;
  }
  /** The float dtype described (a complex dtype's parts' dtype, as PyTorch's). */
  readonly dtype: DType;
  /** PyTorch's repr. */
  toString(): string {
    const g = formatG;
    return `finfo(resolution=${g(this.resolution)}, min=${g(this.min)}, max=${g(this.max)}, eps=${g(this.eps)}, smallest_normal=${g(this.smallestNormal)}, tiny=${g(this.tiny)}, dtype=${this.dtype.name})`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * torch.iinfo: the numerical properties of an integer dtype.
 * @example torch.iinfo(torch.int8).min // -128
 */
export class IInfo {
  /** Bits per element. */
  readonly bits: number;
  /** The largest value (int64's is 2^63, the nearest double to 2^63 - 1). */
  readonly max: number;
  /** The smallest value. */
  readonly min: number;
  constructor(
    /** The dtype described. */
    readonly dtype: DType,
  ) {
    if (dtype === bool) throw new TypeError("torch.bool is not supported by torch.iinfo");
    if (dtype.category !== 1)
      throw new TypeError(
        "torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'",
      );
    this.bits = dtype.itemsize * 8;
    this.min = dtype === uint8 ? 0 : -(2 ** (this.bits - 1));
    this.max = dtype === uint8 ? 255 : 2 ** (this.bits - 1) - 1;
  }
  /** PyTorch's repr. */
  toString(): string {
    return `iinfo(min=${formatG(this.min)}, max=${formatG(this.max)}, dtype=${this.dtype.name})`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * torch.finfo(dtype): eps, max, min, tiny, resolution, bits of a float dtype (the default
 * dtype when omitted).
 * @example torch.finfo(torch.bfloat16).eps // 0.0078125
 */
export function finfo(dtype?: DType | DTypeName): FInfo {
  return new FInfo(toDType(dtype) ?? defaultDtype);
}

/**
 * torch.iinfo(dtype): min, max, bits of an integer dtype.
 * @example torch.iinfo(torch.int16).max // 32767
 */
export function iinfo(dtype: DType | DTypeName): IInfo {
  return new IInfo(toDType(dtype) as DType);
}
