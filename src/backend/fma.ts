/**
 * Correctly rounded fused multiply-adds, fma(a, b, c) = RN(a * b + c), for float32 and float64,
 * emulated exactly in double arithmetic. PyTorch's CPU kernels get FMAs from the x86 FMA3
 * instructions (`_mm256_fmadd_ps`, or GCC contracting `a * b + c`), in the random samplers
 * (src/random.ts) and in the optimizers' update steps (src/backend/optim.ts); reproducing their
 * rounding bit for bit needs the single rounding of a real FMA.
 */

const fround = Math.fround;

/** Scratch views used to reinterpret float bits without allocating. */
const f64buf = new Float64Array(1);
const u64words = new Uint32Array(f64buf.buffer);
/** index of the low / high 32-bit word of a float64 in `u64words` (little- or big-endian hosts) */
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/**
 * x + y rounded to odd (Boldo & Melquiond): the exact sum if representable, else whichever of
 * its two neighbouring doubles has an odd last mantissa bit. Rounding such a value once more to
 * a narrower precision (or adding it into an exact sum) never double-rounds.
 */
function addRoundToOdd(x: number, y: number): number {
  const s = x + y;
  // Knuth's TwoSum: e is the exact rounding error of x + y
  const bb = s - x;
  const e = x - (s - bb) + (y - bb);
  if (e === 0 || s !== s || s === Infinity || s === -Infinity) return s;
  f64buf[0] = s;
  if ((u64words[LO] & 1) === 1) return s;
  // s is even: its odd neighbour towards the exact value is one step of the bit pattern away
  // (s != 0 here, since a sum that rounds to zero is exact).
  if (e > 0 === s > 0) {
    if (u64words[LO] === 0xffffffff) {
      u64words[LO] = 0;
      u64words[HI]++;
    } else u64words[LO]++;
  } else {
    if (u64words[LO] === 0) {
      u64words[LO] = 0xffffffff;
      u64words[HI]--;
    } else u64words[LO]--;
  }
  return f64buf[0];
}

const SPLITTER = 134217729; // 2^27 + 1, Veltkamp's splitting constant

/**
 * Correctly rounded double fused multiply-add fma(a, b, c) = RN(a * b + c), as the x86 FMA3
 * instructions compute it. Dekker's TwoProduct gives a*b = ph + pl exactly, TwoSum gives
 * c + ph = sh + sl exactly, and RN(sh + RO(sl + pl)) is the correctly rounded result
 * (Boldo & Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using
 * rounding to odd", 2008). A non-finite a*b (overflow, inf or nan operands) is the result's
 * own: ph + c. Otherwise assumes no overflow or underflow in the splitting.
 */
export function fma64(a: number, b: number, c: number): number {
  const ph = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const pl = ah * bh - ph + ah * bl + al * bh + al * bl;
  // an exact (or a non-finite) product: a single rounding
  if (pl === 0 || !Number.isFinite(ph)) return ph + c;
  const sh = c + ph;
  const bb = sh - c;
  const sl = c - (sh - bb) + (ph - bb);
  return sh + addRoundToOdd(sl, pl);
}

/**
 * Correctly rounded float32 fused multiply-add for float32 a, b, c (`_mm256_fmadd_ps`, or a
 * GCC-contracted `a * b + c` on floats): a*b is exact in a double (24 + 24 <= 53 bits), so
 * round-to-odd of the double sum followed by rounding to float32 is correct.
 */
export function fmaf(a: number, b: number, c: number): number {
  return fround(addRoundToOdd(a * b, c));
}

/** Dekker's exact product: x y = p + e. */
function twoProduct(x: number, y: number): [number, number] {
  const p = x * y;
  const split = (v: number): [number, number] => {
    const c = 134217729 * v; // 2^27 + 1
    const hi = c - (c - v);
    return [hi, v - hi];
  };
  const [xh, xl] = split(x);
  const [yh, yl] = split(y);
  return [p, xh * yh - p + xh * yl + xl * yh + xl * yl];
}

/**
 * sqrt(x^2 + y^2) correctly rounded (as glibc's hypot, which Python's abs(complex), PyTorch's
 * complex abs and torch.hypot call; V8's Math.hypot is an ulp off for ~40% of inputs) but in
 * rare ties: x^2 + y^2 as a double-double, its square root
 * corrected by one Newton step r + (s - r^2) / (2 r); scaled by powers of 2 against overflow
 * and underflow.
 */
export function hypot(x: number, y: number): number {
  x = Math.abs(x);
  y = Math.abs(y);
  if (x === Infinity || y === Infinity) return Infinity;
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x < y) [x, y] = [y, x];
  if (y === 0) return x;
  let scale = 1;
  if (x > 2 ** 500) {
    x *= 2 ** -600;
    y *= 2 ** -600;
    scale = 2 ** 600;
  } else if (y < 2 ** -500) {
    x *= 2 ** 600;
    y *= 2 ** 600;
    scale = 2 ** -600;
  }
  const [px, ex] = twoProduct(x, x);
  const [py, ey] = twoProduct(y, y);
  const sh = px + py;
  const sl = px - sh + py + ex + ey; // px >= py: the rounding error of px + py is exact
  let r = Math.sqrt(sh + sl);
  const [rr, er] = twoProduct(r, r);
  r += (sh - rr - er + sl) / (2 * r);
  return r * scale;
}
