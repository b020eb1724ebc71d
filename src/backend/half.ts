/**
 * The 16-bit floating types' element conversions (float16, bfloat16).
 *
 * Note [half storage]: float16 and bfloat16 tensors hold their elements as 16-bit patterns in
 * a Uint16Array. Nothing computes on the patterns: ops convert half operands to float32, run
 * the float32 kernels and round each result to the half type (src/registry/half-compute.ts),
 * which is what PyTorch's CPU kernels do for these types (their opmath type is float). Moves
 * of elements (views, gathers, strided copies) work on the patterns unchanged.
 *
 * The conversions are c10's: float32 → float16 is `fp16_ieee_from_fp32_value` (round to
 * nearest even, NaN → 0x7E00 with the sign kept), float32 → bfloat16 is
 * `round_to_nearest_even` (NaN → 0x7FC0); a float64 goes through float32 first, as
 * `static_cast<at::Half>(double)` does.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

const SCALE_TO_INF = 2 ** 112;
const SCALE_TO_ZERO = 2 ** -110;

/** The float16 bit pattern of x (rounded to float32 first), c10's fp16_ieee_from_fp32_value. */
export function toHalfBits(x: number): number {
  f32[0] = x;
  const w = u32[0];
  // base = (|f| * 2^112) * 2^-110 in float32 arithmetic
  let base = Math.fround(Math.fround(Math.abs(f32[0]) * SCALE_TO_INF) * SCALE_TO_ZERO);
  const shl1 = (w << 1) >>> 0;
  const sign = w & 0x80000000;
  let bias = (shl1 & 0xff000000) >>> 0;
  if (bias < 0x71000000) bias = 0x71000000;
  u32[0] = ((bias >>> 1) + 0x07800000) >>> 0;
  base = Math.fround(f32[0] + base);
  f32[0] = base;
  const bits = u32[0];
  const expBits = (bits >>> 13) & 0x7c00;
  const mantBits = bits & 0x0fff;
  const nonsign = expBits + mantBits;
  return ((sign >>> 16) | (shl1 > 0xff000000 ? 0x7e00 : nonsign)) & 0xffff;
}

/** The bfloat16 bit pattern of x (rounded to float32 first), c10's round_to_nearest_even. */
export function toBFloat16Bits(x: number): number {
  f32[0] = x;
  if (Number.isNaN(f32[0])) return 0x7fc0;
  const w = u32[0];
  const bias = ((w >>> 16) & 1) + 0x7fff;
  return ((w + bias) >>> 16) & 0xffff;
}

let halfTable: Float32Array | null = null;

/** The float16 value of every bit pattern, built on first use (exact in float32). */
function halfValues(): Float32Array {
  if (halfTable !== null) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >>> 10) & 0x1f;
    const m = h & 0x3ff;
    let v: number;
    if (e === 0) v = m * 2 ** -24;
    else if (e === 31) v = m === 0 ? Infinity : NaN;
    else v = (1024 + m) * 2 ** (e - 25);
    t[h] = sign * v;
  }
  // NaN patterns keep their payload in float32 (the sign, quiet bit and mantissa shifted)
  const bits = new Uint32Array(t.buffer);
  for (let h = 0; h < 65536; h++) {
    if (((h >>> 10) & 0x1f) === 31 && (h & 0x3ff) !== 0)
      bits[h] = (((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13)) >>> 0;
  }
  halfTable = t;
  return t;
}

/** The value of a float16 bit pattern. */
export function fromHalfBits(h: number): number {
  return halfValues()[h & 0xffff];
}

/** The value of a bfloat16 bit pattern. */
export function fromBFloat16Bits(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0];
}

/** Decode n 16-bit patterns from src[srcOff...] into dst (float32 or float64 values). */
export function decodeHalf(
  src: ArrayLike<number>,
  srcOff: number,
  dst: Float32Array | Float64Array,
  n: number,
  bfloat: boolean,
): void {
  if (bfloat) {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = src[srcOff + i] << 16;
    dst.set(new Float32Array(out.buffer));
  } else {
    const t = halfValues();
    for (let i = 0; i < n; i++) dst[i] = t[src[srcOff + i]];
  }
}

/** Encode n values of src into dst as float16 or bfloat16 bit patterns. */
export function encodeHalf(
  src: ArrayLike<number>,
  dst: Uint16Array,
  n: number,
  bfloat: boolean,
): void {
  if (bfloat) for (let i = 0; i < n; i++) dst[i] = toBFloat16Bits(src[i]);
  else for (let i = 0; i < n; i++) dst[i] = toHalfBits(src[i]);
}
