/**
 * dtypes and PyTorch's type promotion.
 *
 * Note [int64 storage]: int64 tensors are stored in a Float64Array. Values are exact up to 2^53,
 * which is what `item()` and `tolist()` can return as JS numbers anyway; kernels that produce
 * int64 results truncate explicitly.
 */

export type DTypeName = "float32" | "float64" | "int32" | "int64" | "uint8" | "bool";
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;
type ArrayCtor = new (n: number) => TypedArray;

/** A tensor element type; `String(torch.float32) === "torch.float32"`. */
export class DType {
  constructor(
    /** The dtype's name: "float32", "int64", ... */
    readonly name: DTypeName,
    /** 0 bool, 1 integer, 2 floating: PyTorch's promotion categories. */
    readonly category: 0 | 1 | 2,
    /** order within the promotion lattice */
    readonly rank: number,
    /** Bytes per element (PyTorch's `dtype.itemsize`). */
    readonly itemsize: number,
    /** The typed-array class holding this dtype's elements (Float32Array, ...). */
    readonly ArrayType: ArrayCtor,
    /** the legacy tensor type name used in error messages, e.g. "torch.FloatTensor" */
    readonly tensorTypeName: string,
  ) {}
  /**
   * Whether this is a floating-point dtype (PyTorch's `dtype.is_floating_point`).
   * @example torch.float64.isFloatingPoint // true
   */
  get isFloatingPoint(): boolean {
    return this.category === 2;
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
/** torch.int32 (torch.int): 32-bit signed integers. */
export const int32 = new DType("int32", 1, 2, 4, Int32Array, "torch.IntTensor");
/** torch.int64 (torch.long): integers, exact up to 2^53 (Note [int64 storage]); indices are int64. */
export const int64 = new DType("int64", 1, 3, 8, Float64Array, "torch.LongTensor");
/** torch.float32 (torch.float): the default dtype of tensors made from JS numbers. */
export const float32 = new DType("float32", 2, 4, 4, Float32Array, "torch.FloatTensor");
/** torch.float64 (torch.double): double precision, what gradcheck wants. */
export const float64 = new DType("float64", 2, 5, 8, Float64Array, "torch.DoubleTensor");

export const dtypes: Record<DTypeName, DType> = { bool, uint8, int32, int64, float32, float64 };

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
 * promote_types(a, b): the larger of the two in the chain bool < uint8 < int32 < int64 < float32 <
 * float64 (PyTorch's lattice restricted to these dtypes is this chain: uint8 with int32 gives
 * int32, and there is no int8, whose promotion with uint8 would leave the chain).
 */
export function promoteTypes(a: DType, b: DType): DType {
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
      const d = o.dtype.isFloatingPoint ? float32 : o.dtype;
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
      r = lower === scalar && lower.category === 2 ? defaultDtype : lower;
    }
  }
  return r ?? defaultDtype;
}
