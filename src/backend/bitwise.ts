/**
 * Integer elementwise kernels: bitwise and/or/xor/not, the shifts, gcd and lcm, on bool,
 * uint8, int32 and int64 arrays (PyTorch's bitwise_*, __lshift__/__rshift__, gcd, lcm).
 *
 * Operands advance by aStep/bStep (1 for an array, 0 for a broadcast scalar), as the binary
 * kernels of elementwise.ts. The operation and the dtype are chosen by a `switch` outside the
 * loops. Note [int64 storage]: int64 values live in a Float64Array, so 64-bit two's-complement
 * results are formed arithmetically from 32-bit halves (exact for |x| < 2^53, the values such
 * an array holds exactly).
 *
 * Shift counts outside [0, bits) follow what PyTorch 1.13's CPU kernel does on x86-64 (a C++
 * shift by such a count is undefined; the hardware masks it): uint8 and int32 operands shift in
 * 32-bit registers, so the count is taken modulo 32 (a uint8 result then keeps its low 8 bits);
 * int64 operands shift by the count modulo 64.
 */
import type { TypedArray } from "../dtype.js";

/** The binary ops of `bitwiseBinary`. */
export enum BitOp {
  And,
  Or,
  Xor,
  LeftShift,
  RightShift,
  Gcd,
  Lcm,
}

/** How the values are stored: bool (0/1), uint8, int32, int64 (in a Float64Array). */
export enum IntKind {
  Bool,
  UInt8,
  Int32,
  Int64,
}

const TWO32 = 4294967296;
const TWO63 = 9223372036854775808;
const TWO64 = 18446744073709551616;

/** The high (signed) 32 bits of the int64 x: floor(x / 2^32). */
function hi32(x: number): number {
  return Math.floor(x / TWO32);
}

/** 2^s for the shift counts 0..63 (exact doubles). */
const POW2 = Array.from({ length: 64 }, (_, s) => Math.pow(2, s));

/** x op y on int64s, half by half: the signed high 32 bits and the unsigned low 32 bits. */
function int64Bitwise(x: number, y: number, op: BitOp): number {
  // both in int32 range (the common case): JS's 32-bit operators give the int64 result, the
  // sign bits extending alike
  if ((x | 0) === x && (y | 0) === y)
    return op === BitOp.And ? x & y : op === BitOp.Or ? x | y : x ^ y;
  const xh = hi32(x);
  const yh = hi32(y);
  const xl = x - xh * TWO32;
  const yl = y - yh * TWO32;
  let h: number;
  let l: number;
  if (op === BitOp.And) {
    h = xh & yh;
    l = (xl & yl) >>> 0;
  } else if (op === BitOp.Or) {
    h = xh | yh;
    l = (xl | yl) >>> 0;
  } else {
    h = xh ^ yh;
    l = (xl ^ yl) >>> 0;
  }
  return h * TWO32 + l;
}

/** The shift count an int64 shift uses: count mod 64, as x86-64's 64-bit shifts mask it. */
function count64(count: number): number {
  return count >= 0 && count < 64 ? count : ((count % 64) + 64) % 64;
}

/** (x << s) wrapped to int64: x * 2^s is exact in doubles, its residue modulo 2^64 too. */
function int64Shl(x: number, count: number): number {
  let r = x * POW2[count64(count)];
  if (r < TWO63 && r >= -TWO63) return r;
  r %= TWO64;
  if (r >= TWO63) r -= TWO64;
  else if (r < -TWO63) r += TWO64;
  return r;
}

/** x >> s for int64 (arithmetic): floor(x / 2^s), exact in doubles. */
function int64Shr(x: number, count: number): number {
  return Math.floor(x / POW2[count64(count)]);
}

/** gcd(|a|, |b|) by Euclid's algorithm, as PyTorch's calc_gcd (gcd(0, 0) = 0). */
export function gcdScalar(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (a !== 0) {
    const c = a;
    a = b % a;
    b = c;
  }
  return b;
}

export function bitwiseBinary(
  op: BitOp,
  kind: IntKind,
  a: TypedArray,
  aOff: number,
  aStep: number,
  b: TypedArray,
  bOff: number,
  bStep: number,
  out: TypedArray,
  n: number,
): void {
  let ia = aOff;
  let ib = bOff;
  const i64 = kind === IntKind.Int64;
  switch (op) {
    case BitOp.And:
    case BitOp.Or:
    case BitOp.Xor:
      if (i64) {
        for (let i = 0; i < n; i++, ia += aStep, ib += bStep)
          out[i] = int64Bitwise(a[ia], b[ib], op);
      } else if (op === BitOp.And) {
        for (let i = 0; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] & b[ib];
      } else if (op === BitOp.Or) {
        for (let i = 0; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] | b[ib];
      } else {
        for (let i = 0; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] ^ b[ib];
      }
      break;
    case BitOp.LeftShift:
      // uint8 and int32: a 32-bit shift by count mod 32 (JS's << masks the count so); storing
      // into the Uint8Array / Int32Array keeps the low bits
      if (i64) {
        for (let i = 0; i < n; i++, ia += aStep, ib += bStep) out[i] = int64Shl(a[ia], b[ib]);
      } else {
        for (let i = 0; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] << b[ib];
      }
      break;
    case BitOp.RightShift:
      if (i64) {
        for (let i = 0; i < n; i++, ia += aStep, ib += bStep) out[i] = int64Shr(a[ia], b[ib]);
      } else {
        for (let i = 0; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] >> b[ib];
      }
      break;
    case BitOp.Gcd:
      for (let i = 0; i < n; i++, ia += aStep, ib += bStep) out[i] = gcdScalar(a[ia], b[ib]);
      break;
    case BitOp.Lcm:
      // calc_lcm: g = gcd(a, b); g == 0 ? 0 : abs(a / g * b), the product wrapping in the
      // dtype's arithmetic (uint8 computes in int, then keeps the low 8 bits on store)
      for (let i = 0; i < n; i++, ia += aStep, ib += bStep) {
        const x = a[ia];
        const y = b[ib];
        const g = gcdScalar(x, y);
        if (g === 0) out[i] = 0;
        else if (kind === IntKind.Int32) out[i] = Math.abs(Math.imul(Math.trunc(x / g), y));
        else out[i] = Math.abs(Math.trunc(x / g) * y);
      }
      break;
  }
}

/** ~x: not for bools, the one's complement for integers. */
export function bitwiseNot(
  kind: IntKind,
  a: TypedArray,
  aOff: number,
  out: TypedArray,
  n: number,
): void {
  switch (kind) {
    case IntKind.Bool:
      for (let i = 0; i < n; i++) out[i] = a[aOff + i] === 0 ? 1 : 0;
      break;
    case IntKind.UInt8:
      for (let i = 0; i < n; i++) out[i] = 255 - a[aOff + i];
      break;
    case IntKind.Int32:
      for (let i = 0; i < n; i++) out[i] = ~a[aOff + i];
      break;
    case IntKind.Int64:
      // ~x = -x - 1 in two's complement
      for (let i = 0; i < n; i++) out[i] = -a[aOff + i] - 1;
      break;
  }
}

/**
 * out[i] = whether e[eOff + i] equals one of test's m values (`invert`: does not), comparing
 * as numbers (NaN equals nothing, -0 equals 0: a Set's SameValueZero once NaN is left out).
 * A hash set of the test values: O(n + m) (measured 2x faster than a binary search of the
 * sorted test values, 10^6 elements against 1000).
 */
export function isin(
  e: TypedArray,
  eOff: number,
  n: number,
  test: TypedArray,
  m: number,
  out: TypedArray,
  invert: boolean,
): void {
  const set = new Set<number>();
  for (let j = 0; j < m; j++) {
    const v = test[j];
    if (v === v) set.add(v);
  }
  const hit = invert ? 0 : 1;
  for (let i = 0; i < n; i++) out[i] = set.has(e[eOff + i]) ? hit : 1 - hit;
}
