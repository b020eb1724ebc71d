/**
 * Discrete Fourier transforms on typed arrays (never Tensor): the twin of native/fft.cc, which
 * runs the same algorithm in C++ (large transforms go there when the addon is loaded).
 *
 * Complex values are interleaved (re, im) pairs. Every transform works on `batch` contiguous
 * rows and computes in double (a float32 row is widened, transformed and rounded once):
 *
 *   c2c: y_k = scale * sum_j x_j exp(-+2 pi i j k / n)        (minus: forward, plus: inverse)
 *   r2c: the first n/2 + 1 outputs of the forward c2c of a real row (the rest is conjugate-
 *        symmetric: y_{n-k} = conj(y_k)); pocketfft's and PyTorch's one-sided layout
 *   c2r: the real inverse transform of the one-sided spectrum x_0 .. x_{n/2} of a real signal,
 *        whose other half is taken as conj(x_{n-k}); the imaginary parts of x_0 (and of x_{n/2}
 *        for even n) are ignored, as pocketfft ignores them
 *
 * Note [fft plans]: a length n is factored into radices 4, 2, 3, 5 and other primes, each pass
 * being one of pocketfft's Stockham-style passes (cfftp: a radix-p butterfly on p values ido
 * apart, then the twiddles exp(-2 pi i j l1 i / n), written to the autosorted position, so no
 * bit reversal). Radices 2, 3 and 4 have their own butterflies; the others a direct DFT of
 * order p. A length with a prime factor above MAX_RADIX goes through Bluestein's algorithm:
 * y_k = w_k sum_j (x_j w_j) conj(w_{k-j}) with the chirp w_j = exp(-pi i j^2 / n), the
 * convolution done by power-of-two FFTs of length m >= 2n - 1 (the chirp's transform cached
 * with the plan). Twiddle angles are reduced exactly in integers before sin/cos (j^2 mod 2n),
 * so long transforms keep their accuracy. Inverse transforms conjugate on the way in and out:
 * ifft(x) = conj(fft(conj(x))). Plans (factors, twiddles, chirps) are cached per length.
 *
 * Note [real fft by half length]: an even-length real row x is transformed as the complex row
 * z_j = x_{2j} + i x_{2j+1} of length h = n/2: with Z = fft_h(z), E_k = (Z_k + conj(Z_{h-k}))/2
 * and O_k = -i (Z_k - conj(Z_{h-k}))/2 are the transforms of the even and odd samples, and
 * X_k = E_k + exp(-2 pi i k / n) O_k for k = 0..h. c2r inverts the same steps:
 * Z_k = (X_k + conj(X_{h-k})) + i exp(2 pi i k / n) (X_k - conj(X_{h-k})), z = ifft_h(Z)
 * unnormalized, x_{2j} = Re z_j, x_{2j+1} = Im z_j. Odd lengths use the full complex transform.
 */
import type { FloatArray } from "./native.js";
import { nativeKernels } from "./native.js";

const native = nativeKernels("fft");

/** Complex elements (batch * n) from which a transform goes native. */
let nativeMin = 1024;

/** Set the element threshold (tests use 0 to send every call native, Infinity for none). */
export function setNativeFftThreshold(n: number): void {
  nativeMin = n;
}

export function getNativeFftThreshold(): number {
  return nativeMin;
}

/** Prime factors above this go through Bluestein's algorithm (Note [fft plans]). */
export const MAX_RADIX = 64;

/** One pass of a plan: radix p over `ido` points of `l1` groups, with its twiddles. */
interface Pass {
  p: number;
  l1: number;
  ido: number;
  /** exp(-2 pi i j l1 i / n) at [(j-1)(ido-1) + i-1], j = 1..p-1, i = 1..ido-1, interleaved */
  tw: Float64Array;
  /** exp(-2 pi i j / p), j = 0..p-1, for the direct DFT of a radix above 4 */
  roots: Float64Array;
}

interface Plan {
  n: number;
  passes: Pass[];
  /** Bluestein: the power-of-two length, the chirp w_j (n values) and fft_m(conj chirp) */
  m: number;
  chirp: Float64Array | null;
  kernel: Float64Array | null;
  sub: Plan | null;
  /** exp(-2 pi i k / n), k = 0..n/2: the real-transform twiddles (even n) */
  half: Float64Array | null;
  /** Note [bluestein four-step]: m = m1 m2 as columns and rows, with their twiddles */
  split: Split | null;
}

/** A Bluestein length m = m1 m2 (powers of two) as m2 columns of m1 and m1 rows of m2. */
interface Split {
  m1: number;
  m2: number;
  sub1: Plan;
  sub2: Plan;
  /** exp(-2 pi i e / m) = twHi[e >> shift] * twLo[e & (2^shift - 1)], interleaved */
  shift: number;
  twLo: Float64Array;
  twHi: Float64Array;
}

/** Bluestein lengths from which the convolution goes through a split plan. */
const SPLIT_MIN = 4096;

const plans = new Map<number, Plan>();

/** exp(-2 pi i num / den) as [cos, sin], the angle reduced exactly first. */
function unitRoot(num: number, den: number): [number, number] {
  let r = num % den;
  if (r < 0) r += den;
  // fold into [0, den/8] octants would be more exact still; the symmetric reduction below keeps
  // the angle within [-pi, pi]
  if (2 * r > den) r -= den;
  const a = (-2 * Math.PI * r) / den;
  return [Math.cos(a), Math.sin(a)];
}

function factorize(n: number): number[] {
  const f: number[] = [];
  let r = n;
  while (r % 4 === 0) {
    f.push(4);
    r /= 4;
  }
  while (r % 2 === 0) {
    f.push(2);
    r /= 2;
  }
  for (let p = 3; p * p <= r; p += 2) {
    while (r % p === 0) {
      f.push(p);
      r /= p;
    }
  }
  if (r > 1) f.push(r);
  return f;
}

/** The cached plan of length n (n >= 1). */
export function fftPlan(n: number): Plan {
  let plan = plans.get(n);
  if (plan !== undefined) return plan;
  const factors = factorize(n);
  plan = {
    n,
    passes: [],
    m: 0,
    chirp: null,
    kernel: null,
    sub: null,
    half: null,
    split: null,
  };
  if (factors.some((p) => p > MAX_RADIX)) {
    let m = 1;
    while (m < 2 * n - 1) m *= 2;
    const chirp = new Float64Array(2 * n);
    for (let j = 0; j < n; j++) {
      // exp(-pi i j^2 / n) = exp(-2 pi i (j^2 mod 2n) / 2n); j^2 < 2^53 for every n we allow
      const [c, s] = unitRoot((j * j) % (2 * n), 2 * n);
      chirp[2 * j] = c;
      chirp[2 * j + 1] = s;
    }
    const sub = fftPlan(m);
    const b = new Float64Array(2 * m);
    for (let j = 0; j < n; j++) {
      b[2 * j] = chirp[2 * j];
      b[2 * j + 1] = -chirp[2 * j + 1];
      if (j > 0) {
        b[2 * (m - j)] = chirp[2 * j];
        b[2 * (m - j) + 1] = -chirp[2 * j + 1];
      }
    }
    plan.m = m;
    plan.chirp = chirp;
    plan.sub = sub;
    if (m >= SPLIT_MIN) {
      const bits = Math.round(Math.log2(m));
      const m1 = 2 ** Math.floor(bits / 2);
      const shift = Math.ceil(bits / 2);
      const lo = 2 ** shift;
      const hi = m / lo;
      const twLo = new Float64Array(2 * lo);
      const twHi = new Float64Array(2 * hi);
      for (let j = 0; j < lo; j++) [twLo[2 * j], twLo[2 * j + 1]] = unitRoot(j, m);
      for (let j = 0; j < hi; j++) [twHi[2 * j], twHi[2 * j + 1]] = unitRoot(j * lo, m);
      const split = { m1, m2: m / m1, sub1: fftPlan(m1), sub2: fftPlan(m / m1), shift, twLo, twHi };
      plan.split = split;
      plan.kernel = splitKernel(split, m, b);
    } else {
      const scratch = new Float64Array(2 * m);
      const kernel = runPlan(sub, b, scratch) === 0 ? b : scratch;
      plan.kernel = kernel === b ? b : Float64Array.from(kernel);
    }
  } else {
    let l1 = 1;
    for (const p of factors) {
      const ido = n / (l1 * p);
      const tw = new Float64Array(2 * (p - 1) * Math.max(ido - 1, 0));
      for (let j = 1; j < p; j++)
        for (let i = 1; i < ido; i++) {
          const [c, s] = unitRoot(j * l1 * i, n);
          const at = 2 * ((j - 1) * (ido - 1) + i - 1);
          tw[at] = c;
          tw[at + 1] = s;
        }
      const roots = new Float64Array(2 * p);
      if (p > 4)
        for (let j = 0; j < p; j++) {
          const [c, s] = unitRoot(j, p);
          roots[2 * j] = c;
          roots[2 * j + 1] = s;
        }
      plan.passes.push({ p, l1, ido, tw, roots });
      l1 *= p;
    }
  }
  if (n % 2 === 0) {
    const h = n / 2;
    const half = new Float64Array(2 * (h + 1));
    for (let k = 0; k <= h; k++) {
      const [c, s] = unitRoot(k, n);
      half[2 * k] = c;
      half[2 * k + 1] = s;
    }
    plan.half = half;
  }
  plans.set(n, plan);
  return plan;
}

/** scratch arrays by size, reused between calls */
const scratchPool = new Map<number, Float64Array>();
function scratch(len: number, slot: number): Float64Array {
  const key = len * 4 + slot;
  let s = scratchPool.get(key);
  if (s === undefined) {
    s = new Float64Array(len);
    if (len <= 1 << 22) scratchPool.set(key, s);
  }
  return s;
}

/** One pass: cc viewed as [l1][p][ido] complex, ch as [p][l1][ido] (pocketfft's CC and CH). */
function pass(ps: Pass, cc: Float64Array, ch: Float64Array): void {
  const { p, l1, ido, tw } = ps;
  const twStride = ido - 1;
  if (p === 2) {
    for (let k = 0; k < l1; k++) {
      const a0 = 2 * ido * (2 * k);
      const a1 = a0 + 2 * ido;
      const b0 = 2 * ido * k;
      const b1 = b0 + 2 * ido * l1;
      for (let i = 0; i < ido; i++) {
        const x0r = cc[a0 + 2 * i];
        const x0i = cc[a0 + 2 * i + 1];
        const x1r = cc[a1 + 2 * i];
        const x1i = cc[a1 + 2 * i + 1];
        ch[b0 + 2 * i] = x0r + x1r;
        ch[b0 + 2 * i + 1] = x0i + x1i;
        const tr = x0r - x1r;
        const ti = x0i - x1i;
        if (i === 0) {
          ch[b1] = tr;
          ch[b1 + 1] = ti;
        } else {
          const wr = tw[2 * (i - 1)];
          const wi = tw[2 * (i - 1) + 1];
          ch[b1 + 2 * i] = tr * wr - ti * wi;
          ch[b1 + 2 * i + 1] = tr * wi + ti * wr;
        }
      }
    }
    return;
  }
  if (p === 4) {
    const t1 = 0;
    const t2 = 2 * twStride;
    const t3 = 4 * twStride;
    for (let k = 0; k < l1; k++) {
      const a0 = 2 * ido * (4 * k);
      const a1 = a0 + 2 * ido;
      const a2 = a1 + 2 * ido;
      const a3 = a2 + 2 * ido;
      const b0 = 2 * ido * k;
      const b1 = b0 + 2 * ido * l1;
      const b2 = b1 + 2 * ido * l1;
      const b3 = b2 + 2 * ido * l1;
      for (let i = 0; i < ido; i++) {
        const x0r = cc[a0 + 2 * i];
        const x0i = cc[a0 + 2 * i + 1];
        const x1r = cc[a1 + 2 * i];
        const x1i = cc[a1 + 2 * i + 1];
        const x2r = cc[a2 + 2 * i];
        const x2i = cc[a2 + 2 * i + 1];
        const x3r = cc[a3 + 2 * i];
        const x3i = cc[a3 + 2 * i + 1];
        // y0 = (x0 + x2) + (x1 + x3), y2 = (x0 + x2) - (x1 + x3),
        // y1 = (x0 - x2) - i (x1 - x3), y3 = (x0 - x2) + i (x1 - x3)
        const sr = x0r + x2r;
        const si = x0i + x2i;
        const dr = x0r - x2r;
        const di = x0i - x2i;
        const ur = x1r + x3r;
        const ui = x1i + x3i;
        const vr = x1r - x3r;
        const vi = x1i - x3i;
        ch[b0 + 2 * i] = sr + ur;
        ch[b0 + 2 * i + 1] = si + ui;
        const y1r = dr + vi;
        const y1i = di - vr;
        const y2r = sr - ur;
        const y2i = si - ui;
        const y3r = dr - vi;
        const y3i = di + vr;
        if (i === 0) {
          ch[b1] = y1r;
          ch[b1 + 1] = y1i;
          ch[b2] = y2r;
          ch[b2 + 1] = y2i;
          ch[b3] = y3r;
          ch[b3 + 1] = y3i;
        } else {
          const o = 2 * (i - 1);
          let wr = tw[t1 + o];
          let wi = tw[t1 + o + 1];
          ch[b1 + 2 * i] = y1r * wr - y1i * wi;
          ch[b1 + 2 * i + 1] = y1r * wi + y1i * wr;
          wr = tw[t2 + o];
          wi = tw[t2 + o + 1];
          ch[b2 + 2 * i] = y2r * wr - y2i * wi;
          ch[b2 + 2 * i + 1] = y2r * wi + y2i * wr;
          wr = tw[t3 + o];
          wi = tw[t3 + o + 1];
          ch[b3 + 2 * i] = y3r * wr - y3i * wi;
          ch[b3 + 2 * i + 1] = y3r * wi + y3i * wr;
        }
      }
    }
    return;
  }
  if (p === 3) {
    const s3 = Math.sqrt(3) / 2;
    for (let k = 0; k < l1; k++) {
      const a0 = 2 * ido * (3 * k);
      const a1 = a0 + 2 * ido;
      const a2 = a1 + 2 * ido;
      const b0 = 2 * ido * k;
      const b1 = b0 + 2 * ido * l1;
      const b2 = b1 + 2 * ido * l1;
      for (let i = 0; i < ido; i++) {
        const x0r = cc[a0 + 2 * i];
        const x0i = cc[a0 + 2 * i + 1];
        const x1r = cc[a1 + 2 * i];
        const x1i = cc[a1 + 2 * i + 1];
        const x2r = cc[a2 + 2 * i];
        const x2i = cc[a2 + 2 * i + 1];
        // y0 = x0 + t, y1,2 = x0 - t/2 -+ i (sqrt(3)/2) (x1 - x2), t = x1 + x2
        const tr = x1r + x2r;
        const ti = x1i + x2i;
        const ar = x0r - 0.5 * tr;
        const ai = x0i - 0.5 * ti;
        const dr = s3 * (x1r - x2r);
        const di = s3 * (x1i - x2i);
        ch[b0 + 2 * i] = x0r + tr;
        ch[b0 + 2 * i + 1] = x0i + ti;
        const y1r = ar + di;
        const y1i = ai - dr;
        const y2r = ar - di;
        const y2i = ai + dr;
        if (i === 0) {
          ch[b1] = y1r;
          ch[b1 + 1] = y1i;
          ch[b2] = y2r;
          ch[b2 + 1] = y2i;
        } else {
          const o = 2 * (i - 1);
          let wr = tw[o];
          let wi = tw[o + 1];
          ch[b1 + 2 * i] = y1r * wr - y1i * wi;
          ch[b1 + 2 * i + 1] = y1r * wi + y1i * wr;
          wr = tw[2 * twStride + o];
          wi = tw[2 * twStride + o + 1];
          ch[b2 + 2 * i] = y2r * wr - y2i * wi;
          ch[b2 + 2 * i + 1] = y2r * wi + y2i * wr;
        }
      }
    }
    return;
  }
  // a direct DFT of order p: y_j = sum_q x_q exp(-2 pi i j q / p)
  const roots = ps.roots;
  const xr = new Float64Array(p);
  const xi = new Float64Array(p);
  for (let k = 0; k < l1; k++) {
    for (let i = 0; i < ido; i++) {
      for (let q = 0; q < p; q++) {
        const at = 2 * (i + ido * (q + p * k));
        xr[q] = cc[at];
        xi[q] = cc[at + 1];
      }
      for (let j = 0; j < p; j++) {
        let yr = 0;
        let yi = 0;
        let e = 0;
        for (let q = 0; q < p; q++) {
          const wr = roots[2 * e];
          const wi = roots[2 * e + 1];
          yr += xr[q] * wr - xi[q] * wi;
          yi += xr[q] * wi + xi[q] * wr;
          e += j;
          if (e >= p) e -= p;
        }
        const at = 2 * (i + ido * (k + l1 * j));
        if (i === 0 || j === 0) {
          ch[at] = yr;
          ch[at + 1] = yi;
        } else {
          const o = 2 * ((j - 1) * twStride + i - 1);
          const wr = tw[o];
          const wi = tw[o + 1];
          ch[at] = yr * wr - yi * wi;
          ch[at + 1] = yr * wi + yi * wr;
        }
      }
    }
  }
}

/**
 * The forward transform of the complex row in `a` (2n values), with `b` as scratch of the same
 * size. Returns 0 when the result is in a, 1 when it is in b.
 */
function runPlan(plan: Plan, a: Float64Array, b: Float64Array): 0 | 1 {
  if (plan.sub !== null) {
    bluestein(plan, a);
    return 0;
  }
  let src = a;
  let dst = b;
  for (const ps of plan.passes) {
    pass(ps, src, dst);
    const t = src;
    src = dst;
    dst = t;
  }
  return src === a ? 0 : 1;
}

/**
 * Note [bluestein four-step]: Bluestein's convolution at a length m >= SPLIT_MIN goes through
 * Bailey's four-step split m = m1 m2 instead of two transforms of m in passes (each pass a sweep
 * through memory: at m = 2^21, 11 sweeps of 32 MB per transform). With j = m2 j1 + j2 and
 * k = k1 + m1 k2,
 *   X_{k1 + m1 k2} = sum_{j2} exp(-2 pi i j2 k2 / m2) [exp(-2 pi i j2 k1 / m)
 *                      sum_{j1} x_{m2 j1 + j2} exp(-2 pi i j1 k1 / m1)]:
 * column transforms of length m1 (the m2 columns of x viewed as [m1][m2], gathered 8 at a
 * time), the twiddles, then row transforms of length m2 in place, which leave X_{k1 + m1 k2} at
 * k1 m2 + k2 (the split order). The kernel is stored in that order, so the product needs no
 * reordering, and the inverse runs the same steps backwards (rows, conjugate twiddles,
 * columns), back to the natural order. Inverses are done as conj(forward(conj)): each row is
 * transformed, multiplied by the kernel and conjugated, and transformed again while it is in
 * cache; the conjugate twiddles of conjugated values are the forward twiddles; the columns'
 * results are conjugated on the way out. So the whole convolution makes three sweeps through
 * the m values. A twiddle exp(-2 pi i e / m) is the product of two table entries (e's high and
 * low bits; tables of about sqrt(m) values each, rather than m). The kernel holds 1/m.
 */
function splitColumns(
  sp: Split,
  load: (r: number, n2: number, v: Float64Array, at: number) => void,
  store: (k: number, n2: number, v: Float64Array, at: number) => void,
): void {
  const { m1, m2, sub1 } = sp;
  const cols = scratch(2 * BLOCK * m1, 3);
  for (let c0 = 0; c0 < m2; c0 += BLOCK) {
    const cb = Math.min(BLOCK, m2 - c0);
    for (let r = 0; r < m1; r++)
      for (let c = 0; c < cb; c++) load(r, c0 + c, cols, 2 * (c * m1 + r));
    for (let c = 0; c < cb; c++) forwardInPlace(sub1, cols.subarray(2 * c * m1, 2 * (c + 1) * m1));
    for (let k = 0; k < m1; k++)
      for (let c = 0; c < cb; c++) store(k, c0 + c, cols, 2 * (c * m1 + k));
  }
}

/** v[at..at+1] *= exp(-2 pi i e / m) (Note [bluestein four-step]). */
function splitTwiddle(sp: Split, e: number, v: Float64Array, at: number): void {
  const h = 2 * (e >>> sp.shift);
  const l = 2 * (e & ((1 << sp.shift) - 1));
  const hr = sp.twHi[h];
  const hi = sp.twHi[h + 1];
  const lr = sp.twLo[l];
  const li = sp.twLo[l + 1];
  const wr = hr * lr - hi * li;
  const wi = hr * li + hi * lr;
  const vr = v[at];
  const vi = v[at + 1];
  v[at] = vr * wr - vi * wi;
  v[at + 1] = vr * wi + vi * wr;
}

/** The kernel in the split order, times 1/m: the split transform of b (natural order). */
function splitKernel(sp: Split, m: number, b: Float64Array): Float64Array {
  const { m1, m2 } = sp;
  const out = new Float64Array(2 * m);
  const inv = 1 / m;
  splitColumns(
    sp,
    (r, n2, v, at) => {
      v[at] = b[2 * (r * m2 + n2)];
      v[at + 1] = b[2 * (r * m2 + n2) + 1];
    },
    (k, n2, v, at) => {
      const o = 2 * (k * m2 + n2);
      out[o] = v[at] * inv;
      out[o + 1] = v[at + 1] * inv;
      splitTwiddle(sp, n2 * k, out, o);
    },
  );
  for (let k1 = 0; k1 < m1; k1++)
    forwardInPlace(sp.sub2, out.subarray(2 * k1 * m2, 2 * (k1 + 1) * m2));
  return out;
}

/** Bluestein's algorithm through the split plan (Note [bluestein four-step]), in place. */
function bluesteinSplit(plan: Plan, sp: Split, a: Float64Array): void {
  const { n, m } = plan;
  const { m1, m2 } = sp;
  const chirp = plan.chirp as Float64Array;
  const kernel = plan.kernel as Float64Array;
  const w = scratch(2 * m, 2);
  // u_j = x_j w_j (zero from n on) by columns, transformed, twiddled
  splitColumns(
    sp,
    (r, n2, v, at) => {
      const j = r * m2 + n2;
      if (j >= n) {
        v[at] = 0;
        v[at + 1] = 0;
        return;
      }
      const xr = a[2 * j];
      const xi = a[2 * j + 1];
      const wr = chirp[2 * j];
      const wi = chirp[2 * j + 1];
      v[at] = xr * wr - xi * wi;
      v[at + 1] = xr * wi + xi * wr;
    },
    (k, n2, v, at) => {
      const o = 2 * (k * m2 + n2);
      w[o] = v[at];
      w[o + 1] = v[at + 1];
      splitTwiddle(sp, n2 * k, w, o);
    },
  );
  // each row: transformed, times the kernel and conjugated, transformed again (the inverse's
  // rows, conjugated), times the twiddles
  for (let k1 = 0; k1 < m1; k1++) {
    const at = 2 * k1 * m2;
    const row = w.subarray(at, at + 2 * m2);
    forwardInPlace(sp.sub2, row);
    for (let k = 0; k < m2; k++) {
      const xr = row[2 * k];
      const xi = row[2 * k + 1];
      const kr = kernel[at + 2 * k];
      const ki = kernel[at + 2 * k + 1];
      row[2 * k] = xr * kr - xi * ki;
      row[2 * k + 1] = -(xr * ki + xi * kr);
    }
    forwardInPlace(sp.sub2, row);
    for (let k = 0; k < m2; k++) splitTwiddle(sp, k * k1, row, 2 * k);
  }
  // the inverse's columns (conjugated); y_j = w_j conj(r_j) for j < n
  splitColumns(
    sp,
    (k, n2, v, at) => {
      v[at] = w[2 * (k * m2 + n2)];
      v[at + 1] = w[2 * (k * m2 + n2) + 1];
    },
    (r, n2, v, at) => {
      const j = r * m2 + n2;
      if (j >= n) return;
      const cr = v[at];
      const ci = -v[at + 1];
      const wr = chirp[2 * j];
      const wi = chirp[2 * j + 1];
      a[2 * j] = cr * wr - ci * wi;
      a[2 * j + 1] = cr * wi + ci * wr;
    },
  );
}

/** Bluestein's algorithm (Note [fft plans]) on the row in a (2n values), in place. */
function bluestein(plan: Plan, a: Float64Array): void {
  if (plan.split !== null) {
    bluesteinSplit(plan, plan.split, a);
    return;
  }
  const { n, m } = plan;
  const chirp = plan.chirp as Float64Array;
  const kernel = plan.kernel as Float64Array;
  const sub = plan.sub as Plan;
  const u = scratch(2 * m, 2);
  const v = scratch(2 * m, 3);
  for (let j = 0; j < n; j++) {
    const xr = a[2 * j];
    const xi = a[2 * j + 1];
    const wr = chirp[2 * j];
    const wi = chirp[2 * j + 1];
    u[2 * j] = xr * wr - xi * wi;
    u[2 * j + 1] = xr * wi + xi * wr;
  }
  u.fill(0, 2 * n, 2 * m);
  let r = runPlan(sub, u, v) === 0 ? u : v;
  // pointwise product with the kernel, conjugated so that the forward plan computes the inverse
  for (let k = 0; k < m; k++) {
    const xr = r[2 * k];
    const xi = r[2 * k + 1];
    const kr = kernel[2 * k];
    const ki = kernel[2 * k + 1];
    r[2 * k] = xr * kr - xi * ki;
    r[2 * k + 1] = -(xr * ki + xi * kr);
  }
  const other = r === u ? v : u;
  r = runPlan(sub, r, other) === 0 ? r : other;
  // r = conj(m * ifft(product)); y_k = w_k conj(r_k) / m
  const inv = 1 / m;
  for (let k = 0; k < n; k++) {
    const cr = r[2 * k] * inv;
    const ci = -r[2 * k + 1] * inv;
    const wr = chirp[2 * k];
    const wi = chirp[2 * k + 1];
    a[2 * k] = cr * wr - ci * wi;
    a[2 * k + 1] = cr * wi + ci * wr;
  }
}

/** The forward transform of the double row `a` (2n values) in place. */
function forwardInPlace(plan: Plan, a: Float64Array): void {
  const b = scratch(2 * plan.n, 1);
  if (runPlan(plan, a, b) === 1) a.set(b.subarray(0, 2 * plan.n));
}

/** Columns gathered together when a transform runs along a dim with inner elements. */
const BLOCK = 8;

/**
 * Note [fft layout]: a call transforms the rows of an array viewed as [batch][len][inner]
 * (complex or real elements, row-major from the offset): for each (b, c), the len values at
 * stride `inner`. A transform along the last dim has inner = 1; along another dim of a
 * contiguous tensor, inner is the product of the sizes after it, so no transposed copy is
 * needed. Columns are gathered BLOCK at a time (whole cache lines), transformed as contiguous
 * double rows and scattered back.
 */
function forEachBlock(
  batch: number,
  inner: number,
  f: (b: number, c0: number, cb: number) => void,
): void {
  for (let b = 0; b < batch; b++)
    for (let c0 = 0; c0 < inner; c0 += BLOCK) f(b, c0, Math.min(BLOCK, inner - c0));
}

/**
 * Complex-to-complex transforms (Note [fft layout]: x is [batch][n][inner] complex values
 * from x[xOff..], out likewise from out[outOff..]), times `scale`; `inverse` flips the
 * exponent's sign. `out` may be `x` at the same offset.
 */
export function fftC2C(
  x: FloatArray,
  xOff: number,
  out: FloatArray,
  outOff: number,
  batch: number,
  n: number,
  inner: number,
  inverse: boolean,
  scale: number,
): void {
  if (batch * n * inner === 0) return;
  if (
    batch * n * inner >= nativeMin &&
    native.fftC2C(x, xOff, out, outOff, batch, n, inner, inverse ? 1 : 0, scale)
  )
    return;
  const plan = fftPlan(n);
  const rows = new Float64Array(2 * n * Math.min(BLOCK, inner));
  const sgn = inverse ? -1 : 1;
  const si = sgn * scale;
  forEachBlock(batch, inner, (b, c0, cb) => {
    for (let j = 0; j < n; j++) {
      const at = xOff + 2 * ((b * n + j) * inner + c0);
      for (let c = 0; c < cb; c++) {
        rows[2 * (c * n + j)] = x[at + 2 * c];
        rows[2 * (c * n + j) + 1] = sgn * x[at + 2 * c + 1];
      }
    }
    for (let c = 0; c < cb; c++) forwardInPlace(plan, rows.subarray(2 * c * n, 2 * (c + 1) * n));
    for (let j = 0; j < n; j++) {
      const at = outOff + 2 * ((b * n + j) * inner + c0);
      for (let c = 0; c < cb; c++) {
        out[at + 2 * c] = rows[2 * (c * n + j)] * scale;
        out[at + 2 * c + 1] = rows[2 * (c * n + j) + 1] * si;
      }
    }
  });
}

/**
 * Real-to-complex transforms: x is [batch][n][inner] reals, out [batch][n/2 + 1][inner]
 * complex values (the one-sided forward spectrum; Note [fft layout]), times `scale`.
 */
export function fftR2C(
  x: FloatArray,
  xOff: number,
  out: FloatArray,
  outOff: number,
  batch: number,
  n: number,
  inner: number,
  scale: number,
): void {
  if (batch * n * inner === 0) return;
  if (batch * n * inner >= nativeMin && native.fftR2C(x, xOff, out, outOff, batch, n, inner, scale))
    return;
  const nc = Math.floor(n / 2) + 1;
  const halfLength = n % 2 === 0 && n > 2;
  // Note [real fft by half length]: a row of n reals is the complex row z of n/2 values
  const len = halfLength ? n / 2 : n;
  const plan = fftPlan(len);
  const half = halfLength ? (fftPlan(n).half as Float64Array) : null;
  const rows = new Float64Array(2 * len * Math.min(BLOCK, inner));
  forEachBlock(batch, inner, (b, c0, cb) => {
    for (let j = 0; j < n; j++) {
      const at = xOff + (b * n + j) * inner + c0;
      for (let c = 0; c < cb; c++) {
        if (halfLength) rows[2 * c * len + j] = x[at + c];
        else {
          rows[2 * (c * len + j)] = x[at + c];
          rows[2 * (c * len + j) + 1] = 0;
        }
      }
    }
    for (let c = 0; c < cb; c++) {
      const z = rows.subarray(2 * c * len, 2 * (c + 1) * len);
      forwardInPlace(plan, z);
      if (half === null) {
        for (let k = 0; k < nc; k++) {
          const at = outOff + 2 * ((b * nc + k) * inner + c0 + c);
          out[at] = z[2 * k] * scale;
          out[at + 1] = z[2 * k + 1] * scale;
        }
        continue;
      }
      const h = len;
      for (let k = 0; k <= h; k++) {
        const k1 = k === h ? 0 : k;
        const k2 = k === 0 ? 0 : h - k;
        const zr = z[2 * k1];
        const zi = z[2 * k1 + 1];
        const cr = z[2 * k2];
        const ci = -z[2 * k2 + 1];
        // E = (Z_k + conj Z_{h-k}) / 2, O = -i (Z_k - conj Z_{h-k}) / 2
        const er = 0.5 * (zr + cr);
        const ei = 0.5 * (zi + ci);
        const or = 0.5 * (zi - ci);
        const oi = -0.5 * (zr - cr);
        const wr = half[2 * k];
        const wi = half[2 * k + 1];
        const at = outOff + 2 * ((b * nc + k) * inner + c0 + c);
        out[at] = (er + (or * wr - oi * wi)) * scale;
        out[at + 1] = (ei + (or * wi + oi * wr)) * scale;
      }
    }
  });
}

/**
 * Complex-to-real transforms: x is [batch][n/2 + 1][inner] complex values (one-sided spectra),
 * out [batch][n][inner] reals (Note [fft layout]): the unnormalized inverse transform of the
 * conjugate-symmetric rows they stand for, times `scale`.
 */
export function fftC2R(
  x: FloatArray,
  xOff: number,
  out: FloatArray,
  outOff: number,
  batch: number,
  n: number,
  inner: number,
  scale: number,
): void {
  if (batch * n * inner === 0) return;
  if (batch * n * inner >= nativeMin && native.fftC2R(x, xOff, out, outOff, batch, n, inner, scale))
    return;
  const nc = Math.floor(n / 2) + 1;
  const halfLength = n % 2 === 0 && n > 2;
  const len = halfLength ? n / 2 : n;
  const plan = fftPlan(len);
  const half = halfLength ? (fftPlan(n).half as Float64Array) : null;
  const rows = new Float64Array(2 * len * Math.min(BLOCK, inner));
  const xAt = (b: number, k: number, c: number): number => xOff + 2 * ((b * nc + k) * inner + c);
  forEachBlock(batch, inner, (b, c0, cb) => {
    for (let c = 0; c < cb; c++) {
      const a = rows.subarray(2 * c * len, 2 * (c + 1) * len);
      if (half === null) {
        // conj of the full Hermitian row, then a forward transform: conj(fft(conj y)) = ifft(y)
        // unnormalized; the result is real, so its conjugate is itself
        a[0] = x[xAt(b, 0, c0 + c)];
        a[1] = 0;
        for (let k = 1; k < nc; k++) {
          const at = xAt(b, k, c0 + c);
          a[2 * k] = x[at];
          a[2 * k + 1] = -x[at + 1];
          if (n - k !== k) {
            a[2 * (n - k)] = x[at];
            a[2 * (n - k) + 1] = x[at + 1];
          } else a[2 * k + 1] = 0;
        }
      } else {
        const h = len;
        for (let k = 0; k < h; k++) {
          const p = xAt(b, k, c0 + c);
          const q = xAt(b, h - k, c0 + c);
          const xr = x[p];
          const xi = k === 0 ? 0 : x[p + 1];
          const cr = x[q];
          const ci = k === 0 ? 0 : -x[q + 1];
          const sr = xr + cr;
          const si = xi + ci;
          const dr = xr - cr;
          const di = xi - ci;
          // i exp(2 pi i k / n) (X_k - conj X_{h-k}); half holds exp(-2 pi i k / n)
          const wr = half[2 * k];
          const wi = -half[2 * k + 1];
          const pr = dr * wr - di * wi;
          const pi = dr * wi + di * wr;
          // conjugated for the forward plan (Z -> conj Z, then conj of the result)
          a[2 * k] = sr - pi;
          a[2 * k + 1] = -(si + pr);
        }
      }
      forwardInPlace(plan, a);
    }
    for (let j = 0; j < n; j++) {
      const at = outOff + (b * n + j) * inner + c0;
      for (let c = 0; c < cb; c++) {
        const a = 2 * c * len;
        // full length: the real parts; half length: z_j = x_{2j} + i x_{2j+1}, conjugated
        out[at + c] =
          half === null
            ? rows[a + 2 * j] * scale
            : (j % 2 === 0 ? rows[a + j] : -rows[a + j]) * scale;
      }
    }
  });
}
