/**
 * Copies (the twins of native/copy.cc): strided gather and scatter between a layout and a
 * contiguous run, and the element conversions of dtype casts. A strided copy between two arrays
 * of one element type goes to the addon from the elementwise family's cheap threshold (a copy
 * costs what a cheap elementwise op does; elementwise.ts).
 */
import type { TypedArray } from "../dtype.js";
import { nativeWorth } from "./elementwise.js";
import { nativeKernels } from "./native.js";

const native = nativeKernels("copy");

export interface Layout {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * Element offsets of a strided layout, in row-major order of `shape` (strides may be 0 for
 * broadcast dims). Iterative odometer; O(numel).
 */
export function stridedOffsets(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Int32Array {
  const nd = shape.length;
  let n = 1;
  for (let i = 0; i < nd; i++) n *= shape[i];
  const out = new Int32Array(n);
  if (n === 0) return out;
  if (nd === 0) {
    out[0] = offset;
    return out;
  }
  const last = nd - 1;
  const lastSize = shape[last];
  const lastStride = strides[last];
  const idx = new Array<number>(nd).fill(0);
  let base = offset;
  let k = 0;
  for (;;) {
    let p = base;
    for (let j = 0; j < lastSize; j++) {
      out[k++] = p;
      p += lastStride;
    }
    if (k >= n) break;
    // advance the odometer over dims [0, last)
    let d = last - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}

/**
 * Copy a strided source into a contiguous destination, converting element type the way a
 * typed-array store does. Callers converting to bool or integer types use `castInto`.
 */
export function gather(src: TypedArray, layout: Layout, dst: TypedArray, dstOffset = 0): void {
  const { shape, strides, offset } = layout;
  const nd = shape.length;
  // fast path: contiguous
  let contiguous = true;
  let expected = 1;
  for (let i = nd - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expected) {
      contiguous = false;
      break;
    }
    expected *= shape[i];
  }
  let n = 1;
  for (let i = 0; i < nd; i++) n *= shape[i];
  if (contiguous) {
    for (let i = 0; i < n; i++) dst[dstOffset + i] = src[offset + i];
    return;
  }
  if (tryNativeCopy(src, offset, strides, dst, dstOffset, null, shape, n)) return;
  const offs = stridedOffsets(shape, strides, offset);
  for (let i = 0; i < n; i++) dst[dstOffset + i] = src[offs[i]];
}

/** Write a contiguous source into a strided destination (the inverse of gather). */
export function scatter(src: TypedArray, dst: TypedArray, layout: Layout): void {
  const { shape } = layout;
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  if (tryNativeCopy(src, 0, null, dst, layout.offset, layout.strides, shape, n)) return;
  const offs = stridedOffsets(layout.shape, layout.strides, layout.offset);
  for (let i = 0; i < offs.length; i++) dst[offs[i]] = src[i];
}

/** Element conversion used by dtype casts: to bool is `x != 0`, to integers truncates. */
export const enum CastKind {
  Plain = 0,
  Bool = 1,
  Int64 = 2,
  Int32 = 3,
}

export function castInto(src: TypedArray, dst: TypedArray, n: number, kind: CastKind): void {
  switch (kind) {
    case CastKind.Bool:
      for (let i = 0; i < n; i++) dst[i] = src[i] !== 0 ? 1 : 0;
      break;
    // float -> integer truncates; NaN, infinities and out-of-range values give the type's
    // minimum (x86's cvttsd2si, which PyTorch's casts compile to)
    case CastKind.Int64:
      for (let i = 0; i < n; i++) {
        const v = Math.trunc(src[i]);
        dst[i] = v >= -9223372036854775808 && v < 9223372036854775808 ? v : -9223372036854775808;
      }
      break;
    case CastKind.Int32:
      for (let i = 0; i < n; i++) {
        const v = Math.trunc(src[i]);
        dst[i] = v >= -2147483648 && v <= 2147483647 ? v : -2147483648;
      }
      break;
    default:
      // a typed-array `set` converts each element as a store does, in one native loop (a
      // memcpy for one type); the plain loop is cheaper for a few elements
      if (n >= 64) dst.set(n === src.length ? src : src.subarray(0, n));
      else for (let i = 0; i < n; i++) dst[i] = src[i];
  }
}

/** Row-major strides of a contiguous `shape`. */
function rowMajor(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

/**
 * The strided copy on the addon (gather, scatter, and the broadcast expansion of
 * src/ops/elementwise.ts): any element type, since elements are moved unchanged; src and dst
 * of one array type. Strides `null`: contiguous (row-major). False when it stays TypeScript.
 */
export function tryNativeCopy(
  src: TypedArray,
  srcOff: number,
  srcStrides: readonly number[] | null,
  dst: TypedArray,
  dstOff: number,
  dstStrides: readonly number[] | null,
  shape: readonly number[],
  n: number,
): boolean {
  if (!nativeWorth(n) || src.constructor !== dst.constructor) return false;
  return native.stridedCopy(
    src,
    srcOff,
    srcStrides ?? rowMajor(shape),
    dst,
    dstOff,
    dstStrides ?? rowMajor(shape),
    shape,
  );
}
