/**
 * The general (non-symmetric) real eigenproblem A = V diag(w) V^-1, as LAPACK's dgeev computes
 * it (PyTorch's linalg.eig calls dgeev on CPU): balance (dgebal, permutation and scaling),
 * Hessenberg reduction by Householder reflectors (dgehd2) with their product Q (dorghr),
 * Francis double-shift QR to the real Schur form T = Z^T H Z (dlahqr, with dlanv2's
 * standardised 2 x 2 blocks), eigenvectors of T by back substitution (dtrevc3) transformed
 * back by Z, then un-balanced (dgebak) and normalised as dgeev does.
 *
 * Note [eig normalisation]: dgeev returns each eigenvector with unit 2-norm; a complex pair's
 * vector v = VR(:,j) + i VR(:,j+1) is rotated (dlartg) so that its component of largest
 * modulus is real (its imaginary part set to exactly 0). The order of the eigenvalues is the
 * order in which the QR iteration leaves them on T's diagonal, a pair with positive imaginary
 * part first. Following LAPACK's steps (same reflector signs, shifts, deflation criteria and
 * exceptional shifts) gives PyTorch's order, signs and phases, and its values up to rounding,
 * with one limit: a vector's sign can hinge on rounding in LAPACK itself. When a subdiagonal
 * entry is about to deflate, the bulge of the next QR sweep is of rounding size and its
 * reflector's direction, which turns the converging 2 x 2 block (or flips a Schur vector), is
 * decided by the last bits; OpenBLAS's dgemv/dger (FMA, blocked sums) round differently from
 * any plain loop, so from order ~16 some vectors come out negated relative to PyTorch's (for
 * float32 input PyTorch runs sgeev, whose signs differ from dgeev's for about half of the
 * vectors). nrm2 replicates OpenBLAS's extended-precision dnrm2, which settles most cases.
 * dhseqr runs dlahqr for matrices up to order 75; larger ones take LAPACK's aggressive early
 * deflation (dlaqr0) there, so from order 76 the eigenvalues agree up to rounding but their
 * order may differ from PyTorch's.
 *
 * Matrices are row-major Float64Arrays at an offset, as in linalg.ts; internally the routines
 * work on a column-major copy indexed from 1 as the Fortran is (`at(i, j)`), so each line can
 * be checked against LAPACK's.
 */

const SAFMIN = 2.2250738585072014e-308; // dlamch('S')
const ULP = 2.220446049250313e-16; // dlamch('P') = eps * base

/** Fortran's SIGN(a, b): |a| with b's sign (a negative zero counts as negative) */
const sign = (a: number, b: number): number =>
  b > 0 || (b === 0 && !Object.is(b, -0)) ? Math.abs(a) : -Math.abs(a);

/** dlapy2: sqrt(x^2 + y^2) without needless overflow */
function lapy2(x: number, y: number): number {
  const xa = Math.abs(x);
  const ya = Math.abs(y);
  const w = Math.max(xa, ya);
  const z = Math.min(xa, ya);
  if (z === 0 || w > Number.MAX_VALUE) return w;
  return w * Math.sqrt(1 + (z / w) * (z / w));
}

/** Dekker's split of a double into two 26-bit halves (for exact products without FMA) */
const SPLITTER = 134217729; // 2^27 + 1

/**
 * dnrm2 as OpenBLAS's x86-64 kernel computes it (the sum of squares accumulated in x87
 * extended precision, its square root rounded once): here the squares and their sum are
 * exact double-doubles and the square root is corrected to the rounded one. The plain
 * sqrt(sum(x^2)) differs in the last bit now and then (even sqrt(x^2) != |x|), which is
 * enough to turn the Householder reflector of a bulge that has nearly vanished, and with it
 * the 2 x 2 block (and the phase of the eigenvector) LAPACK converges to.
 */
function nrm2(x: ArrayLike<number>, start: number, count: number, stride = 1): number {
  let hi = 0;
  let lo = 0;
  for (let k = 0; k < count; k++) {
    const a = x[start + k * stride];
    // a^2 = p + e exactly (Dekker)
    const p = a * a;
    const c = SPLITTER * a;
    const ah = c - (c - a);
    const al = a - ah;
    const e = al * al - (p - ah * ah - 2 * ah * al);
    // (hi, lo) += p + e (two-sum)
    const s = hi + p;
    const bb = s - hi;
    const err = hi - (s - bb) + (p - bb);
    lo += err + e;
    hi = s + lo;
    lo = lo - (hi - s);
  }
  if (hi === 0) return 0;
  if (count === 1) return Math.abs(x[start]);
  const r = Math.sqrt(hi);
  // one Newton step on the double-double: r + (hi + lo - r^2) / (2 r)
  const p = r * r;
  const c = SPLITTER * r;
  const rh = c - (c - r);
  const rl = r - rh;
  const e = rh * rh - p + 2 * rh * rl + rl * rl;
  return r + (hi - p - e + lo) / (2 * r);
}

/** an n x n column-major matrix indexed from 1 */
class Mat {
  readonly a: Float64Array;
  constructor(readonly n: number) {
    this.a = new Float64Array(n * n);
  }
  at(i: number, j: number): number {
    return this.a[i - 1 + (j - 1) * this.n];
  }
  set(i: number, j: number, v: number): void {
    this.a[i - 1 + (j - 1) * this.n] = v;
  }
  swapRows(i: number, k: number, j0: number, j1: number): void {
    for (let j = j0; j <= j1; j++) {
      const t = this.at(i, j);
      this.set(i, j, this.at(k, j));
      this.set(k, j, t);
    }
  }
  swapCols(j: number, k: number, i0: number, i1: number): void {
    for (let i = i0; i <= i1; i++) {
      const t = this.at(i, j);
      this.set(i, j, this.at(i, k));
      this.set(i, k, t);
    }
  }
}

/**
 * gebal's scaling step for row/column i (dgebal and zgebal alike): the power of 2, f, that
 * brings the column norm c and row norm r (ca, ra: their largest magnitudes) within a factor of
 * 2 without leaving the safe range; 1 (no scaling) when the pair is already balanced to within
 * 0.95, a norm is zero, or the accumulated scale `scaleI * f` would leave [sfmin1, sfmax1].
 */
export function balanceFactor(
  c: number,
  r: number,
  ca: number,
  ra: number,
  scaleI: number,
): number {
  if (c === 0 || r === 0) return 1;
  const sfmin1 = SAFMIN / ULP;
  const sfmax1 = 1 / sfmin1;
  const sfmin2 = sfmin1 * 2;
  const sfmax2 = 1 / sfmin2;
  let g = r / 2;
  let f = 1;
  const s = c + r;
  while (c < g && Math.max(f, c, ca) < sfmax2 && Math.min(r, g, ra) > sfmin2) {
    f *= 2;
    c *= 2;
    ca *= 2;
    r /= 2;
    g /= 2;
    ra /= 2;
  }
  g = c / 2;
  while (g >= r && Math.max(r, ra) < sfmax2 && Math.min(f, c, g, ca) > sfmin2) {
    f /= 2;
    c /= 2;
    g /= 2;
    ca /= 2;
    r *= 2;
    ra *= 2;
  }
  if (c + r >= 0.95 * s) return 1;
  if (f < 1 && scaleI < 1 && f * scaleI <= sfmin1) return 1;
  if (f > 1 && scaleI > 1 && scaleI >= sfmax1 / f) return 1;
  return f;
}

/**
 * gebal's permutation step (dgebal and zgebal alike, 1-based): rows whose off-diagonal entries
 * in columns 1..l are all zero (`isZero(i, j)`) isolate an eigenvalue and are swapped down to
 * row l, then columns whose off-diagonal entries in rows k..l are all zero are swapped left to
 * column k, each swap a column swap over rows 1..l and a row swap over columns k..n. Returns
 * the active block [k, l] and scale (the permutation), `done` when every eigenvalue got
 * isolated (l reached 1: ilo = ihi = 1, no scaling follows).
 */
export function balancePermutation(
  n: number,
  isZero: (i: number, j: number) => boolean,
  swapCols: (j: number, l: number, i0: number, i1: number) => void,
  swapRows: (j: number, l: number, c0: number, c1: number) => void,
): { k: number; l: number; scale: Float64Array; done: boolean } {
  const scale = new Float64Array(n + 1);
  let k = 1;
  let l = n;
  // rows isolating an eigenvalue: pushed down
  rows: for (;;) {
    for (let j = l; j >= 1; j--) {
      let isolated = true;
      for (let i = 1; i <= l; i++) {
        if (i !== j && !isZero(j, i)) {
          isolated = false;
          break;
        }
      }
      if (!isolated) continue;
      scale[l] = j;
      if (j !== l) {
        swapCols(j, l, 1, l);
        swapRows(j, l, k, n);
      }
      if (l === 1) return { k: 1, l: 1, scale, done: true };
      l--;
      continue rows;
    }
    break;
  }
  // columns isolating an eigenvalue: pushed left
  cols: for (;;) {
    for (let j = k; j <= l; j++) {
      let isolated = true;
      for (let i = k; i <= l; i++) {
        if (i !== j && !isZero(i, j)) {
          isolated = false;
          break;
        }
      }
      if (!isolated) continue;
      scale[k] = j;
      if (j !== k) {
        swapCols(j, k, 1, l);
        swapRows(j, k, k, n);
      }
      k++;
      continue cols;
    }
    break;
  }
  return { k, l, scale, done: false };
}

/** dgebal with job 'B': permutes and scales A in place; returns ilo, ihi and scale (1-based) */
function gebal(A: Mat): { ilo: number; ihi: number; scale: Float64Array } {
  const n = A.n;
  const { k, l, scale, done } = balancePermutation(
    n,
    (i, j) => A.at(i, j) === 0,
    (j, t, i0, i1) => A.swapCols(j, t, i0, i1),
    (j, t, c0, c1) => A.swapRows(j, t, c0, c1),
  );
  if (done) return { ilo: 1, ihi: 1, scale };
  for (let i = k; i <= l; i++) scale[i] = 1;
  // scaling by powers of 2 until row and column norms balance (to within 0.95)
  let noconv = true;
  while (noconv) {
    noconv = false;
    for (let i = k; i <= l; i++) {
      const c = nrm2(A.a, k - 1 + (i - 1) * n, l - k + 1);
      const r = nrm2(A.a, i - 1 + (k - 1) * n, l - k + 1, n);
      let ca = 0;
      for (let t = 1; t <= l; t++) ca = Math.max(ca, Math.abs(A.at(t, i)));
      let ra = 0;
      for (let t = k; t <= n; t++) ra = Math.max(ra, Math.abs(A.at(i, t)));
      const f = balanceFactor(c, r, ca, ra, scale[i]);
      if (f === 1) continue;
      scale[i] *= f;
      noconv = true;
      for (let t = k; t <= n; t++) A.set(i, t, A.at(i, t) / f);
      for (let t = 1; t <= l; t++) A.set(t, i, A.at(t, i) * f);
    }
  }
  return { ilo: k, ihi: l, scale };
}

/**
 * dlarfg on (alpha, x[0..m-2]): the reflector H = I - tau v v^T, v = (1, x'), with
 * H (alpha, x) = (beta, 0); x is overwritten by v's tail. Returns [beta, tau].
 */
function larfg(alpha: number, x: Float64Array, m: number): [number, number] {
  if (m <= 1) return [alpha, 0];
  const xnorm = nrm2(x, 0, m - 1);
  if (xnorm === 0) return [alpha, 0];
  const beta = -sign(lapy2(alpha, xnorm), alpha);
  const tau = (beta - alpha) / beta;
  const s = 1 / (alpha - beta);
  for (let i = 0; i < m - 1; i++) x[i] *= s;
  return [beta, tau];
}

/** dgehd2 + dorghr: H = Q^T A Q upper Hessenberg (in A, zeros below), Q returned */
function gehrd(A: Mat, ilo: number, ihi: number): Mat {
  const n = A.n;
  const Q = new Mat(n);
  for (let i = 1; i <= n; i++) Q.set(i, i, 1);
  const vs: Float64Array[] = [];
  const taus: number[] = [];
  for (let i = ilo; i < ihi; i++) {
    const m = ihi - i; // the reflector's length: rows i+1 .. ihi
    const v = new Float64Array(m);
    for (let t = 1; t < m; t++) v[t] = A.at(i + 1 + t, i);
    const tail = v.subarray(1);
    const [beta, tau] = larfg(A.at(i + 1, i), tail, m);
    v[0] = 1;
    // from the right to A(1:ihi, i+1:ihi): C -= tau (C v) v^T
    for (let r = 1; r <= ihi; r++) {
      let s = 0;
      for (let t = 0; t < m; t++) s += A.at(r, i + 1 + t) * v[t];
      s *= tau;
      for (let t = 0; t < m; t++) A.set(r, i + 1 + t, A.at(r, i + 1 + t) - s * v[t]);
    }
    // from the left to A(i+1:ihi, i+1:n): C -= tau v (v^T C)
    for (let c = i + 1; c <= n; c++) {
      let s = 0;
      for (let t = 0; t < m; t++) s += v[t] * A.at(i + 1 + t, c);
      s *= tau;
      for (let t = 0; t < m; t++) A.set(i + 1 + t, c, A.at(i + 1 + t, c) - s * v[t]);
    }
    A.set(i + 1, i, beta);
    for (let t = 1; t < m; t++) A.set(i + 1 + t, i, 0);
    vs.push(v);
    taus.push(tau);
  }
  // Q = H(ilo) ... H(ihi-1), accumulated from the last reflector (as dorg2r)
  for (let i = ihi - 1; i >= ilo; i--) {
    const v = vs[i - ilo];
    const tau = taus[i - ilo];
    const m = ihi - i;
    for (let c = i + 1; c <= ihi; c++) {
      let s = 0;
      for (let t = 0; t < m; t++) s += v[t] * Q.at(i + 1 + t, c);
      s *= tau;
      for (let t = 0; t < m; t++) Q.set(i + 1 + t, c, Q.at(i + 1 + t, c) - s * v[t]);
    }
  }
  return Q;
}

/** drot on rows/columns given as index functions: x' = c x + s y, y' = c y - s x */
function rot(
  count: number,
  get: (k: number) => [number, number],
  put: (k: number, x: number, y: number) => void,
  c: number,
  s: number,
): void {
  for (let k = 0; k < count; k++) {
    const [x, y] = get(k);
    put(k, c * x + s * y, c * y - s * x);
  }
}

/**
 * dlanv2: the Schur factorisation of a real 2 x 2 block [a b; c d] = [cs -sn; sn cs] [aa bb;
 * cc dd] [cs sn; -sn cs], standardised (cc = 0, or aa = dd and bb cc < 0).
 */
function lanv2(
  a: number,
  b: number,
  c: number,
  d: number,
): { a: number; b: number; c: number; d: number; cs: number; sn: number; rt1i: number } {
  const eps = ULP;
  const safmn2 = Math.pow(2, Math.trunc(Math.log(SAFMIN / eps) / Math.log(2) / 2));
  const safmx2 = 1 / safmn2;
  let cs = 1;
  let sn = 0;
  if (c === 0) {
    // already upper triangular
  } else if (b === 0) {
    cs = 0;
    sn = 1;
    const t = d;
    d = a;
    a = t;
    b = -c;
    c = 0;
  } else if (a - d === 0 && sign(1, b) !== sign(1, c)) {
    // already standard
  } else {
    let temp = a - d;
    let p = 0.5 * temp;
    const bcmax = Math.max(Math.abs(b), Math.abs(c));
    const bcmis = Math.min(Math.abs(b), Math.abs(c)) * sign(1, b) * sign(1, c);
    let scale = Math.max(Math.abs(p), bcmax);
    let z = (p / scale) * p + (bcmax / scale) * bcmis;
    if (z >= 4 * eps) {
      // real eigenvalues
      z = p + sign(Math.sqrt(scale) * Math.sqrt(z), p);
      a = d + z;
      d = d - (bcmax / z) * bcmis;
      const tau = lapy2(c, z);
      cs = z / tau;
      sn = c / tau;
      b = b - c;
      c = 0;
    } else {
      // complex or nearly equal real eigenvalues: make the diagonal equal
      let count = 0;
      let sigma = b + c;
      for (;;) {
        count++;
        scale = Math.max(Math.abs(temp), Math.abs(sigma));
        if (scale >= safmx2) {
          sigma *= safmn2;
          temp *= safmn2;
          if (count <= 20) continue;
        }
        if (scale <= safmn2) {
          sigma *= safmx2;
          temp *= safmx2;
          if (count <= 20) continue;
        }
        break;
      }
      p = 0.5 * temp;
      let tau = lapy2(sigma, temp);
      cs = Math.sqrt(0.5 * (1 + Math.abs(sigma) / tau));
      sn = -(p / (tau * cs)) * sign(1, sigma);
      const aa = a * cs + b * sn;
      const bb = -a * sn + b * cs;
      const cc = c * cs + d * sn;
      const dd = -c * sn + d * cs;
      a = aa * cs + cc * sn;
      b = bb * cs + dd * sn;
      c = -aa * sn + cc * cs;
      d = -bb * sn + dd * cs;
      temp = 0.5 * (a + d);
      a = temp;
      d = temp;
      if (c !== 0) {
        if (b !== 0) {
          if (sign(1, b) === sign(1, c)) {
            // real eigenvalues after all: upper triangular
            const sab = Math.sqrt(Math.abs(b));
            const sac = Math.sqrt(Math.abs(c));
            p = sign(sab * sac, c);
            tau = 1 / Math.sqrt(Math.abs(b + c));
            a = temp + p;
            d = temp - p;
            b = b - c;
            c = 0;
            const cs1 = sab * tau;
            const sn1 = sac * tau;
            const t = cs * cs1 - sn * sn1;
            sn = cs * sn1 + sn * cs1;
            cs = t;
          }
        } else {
          b = -c;
          c = 0;
          const t = cs;
          cs = -sn;
          sn = t;
        }
      }
    }
  }
  const rt1i = c === 0 ? 0 : Math.sqrt(Math.abs(b)) * Math.sqrt(Math.abs(c));
  return { a, b, c, d, cs, sn, rt1i };
}

/**
 * dlahqr with wantt and wantz: H (Hessenberg, rows/cols ilo..ihi active) to real Schur form T
 * in place, Z accumulating the transformations; wr/wi (1-based) get the eigenvalues.
 * Returns LAPACK's info (0, or the index where the iteration failed to converge).
 */
function lahqr(
  H: Mat,
  ilo: number,
  ihi: number,
  wr: Float64Array,
  wi: Float64Array,
  Z: Mat,
): number {
  const n = H.n;
  if (ilo === ihi) {
    wr[ilo] = H.at(ilo, ilo);
    wi[ilo] = 0;
    return 0;
  }
  for (let j = ilo; j <= ihi - 3; j++) {
    H.set(j + 2, j, 0);
    H.set(j + 3, j, 0);
  }
  if (ilo <= ihi - 2) H.set(ihi, ihi - 2, 0);
  const nh = ihi - ilo + 1;
  const smlnum = SAFMIN * (nh / ULP);
  const i1 = 1;
  const i2 = n;
  const itmax = 30 * Math.max(10, nh);
  const kexsh = 10;
  const dat1 = 0.75;
  const dat2 = -0.4375;
  let kdefl = 0;
  const v = new Float64Array(3);
  let i = ihi;
  while (i >= ilo) {
    let l = ilo;
    let converged = false;
    for (let its = 0; its <= itmax; its++) {
      // a single small subdiagonal element
      let k: number;
      for (k = i; k >= l + 1; k--) {
        if (Math.abs(H.at(k, k - 1)) <= smlnum) break;
        let tst = Math.abs(H.at(k - 1, k - 1)) + Math.abs(H.at(k, k));
        if (tst === 0) {
          if (k - 2 >= ilo) tst += Math.abs(H.at(k - 1, k - 2));
          if (k + 1 <= ihi) tst += Math.abs(H.at(k + 1, k));
        }
        // Ahues & Tisseur's conservative deflation criterion
        if (Math.abs(H.at(k, k - 1)) <= ULP * tst) {
          const ab = Math.max(Math.abs(H.at(k, k - 1)), Math.abs(H.at(k - 1, k)));
          const ba = Math.min(Math.abs(H.at(k, k - 1)), Math.abs(H.at(k - 1, k)));
          const aa = Math.max(Math.abs(H.at(k, k)), Math.abs(H.at(k - 1, k - 1) - H.at(k, k)));
          const bb = Math.min(Math.abs(H.at(k, k)), Math.abs(H.at(k - 1, k - 1) - H.at(k, k)));
          const s = aa + ab;
          if (ba * (ab / s) <= Math.max(smlnum, ULP * (bb * (aa / s)))) break;
        }
      }
      l = k;
      if (l > ilo) H.set(l, l - 1, 0);
      if (l >= i - 1) {
        converged = true;
        break;
      }
      kdefl++;
      let h11: number;
      let h12: number;
      let h21: number;
      let h22: number;
      if (kdefl % (2 * kexsh) === 0) {
        // exceptional shift
        const s = Math.abs(H.at(i, i - 1)) + Math.abs(H.at(i - 1, i - 2));
        h11 = dat1 * s + H.at(i, i);
        h12 = dat2 * s;
        h21 = s;
        h22 = h11;
      } else if (kdefl % kexsh === 0) {
        const s = Math.abs(H.at(l + 1, l)) + Math.abs(H.at(l + 2, l + 1));
        h11 = dat1 * s + H.at(l, l);
        h12 = dat2 * s;
        h21 = s;
        h22 = h11;
      } else {
        // Francis' double shift: the trailing 2 x 2's eigenvalues
        h11 = H.at(i - 1, i - 1);
        h21 = H.at(i, i - 1);
        h12 = H.at(i - 1, i);
        h22 = H.at(i, i);
      }
      let s = Math.abs(h11) + Math.abs(h12) + Math.abs(h21) + Math.abs(h22);
      let rt1r: number;
      let rt1i: number;
      let rt2r: number;
      let rt2i: number;
      if (s === 0) {
        rt1r = rt1i = rt2r = rt2i = 0;
      } else {
        h11 /= s;
        h21 /= s;
        h12 /= s;
        h22 /= s;
        const tr = (h11 + h22) / 2;
        const det = (h11 - tr) * (h22 - tr) - h12 * h21;
        const rtdisc = Math.sqrt(Math.abs(det));
        if (det >= 0) {
          rt1r = tr * s;
          rt2r = rt1r;
          rt1i = rtdisc * s;
          rt2i = -rt1i;
        } else {
          // real shifts: use the one closer to h22, twice
          rt1r = tr + rtdisc;
          rt2r = tr - rtdisc;
          if (Math.abs(rt1r - h22) <= Math.abs(rt2r - h22)) {
            rt1r *= s;
            rt2r = rt1r;
          } else {
            rt2r *= s;
            rt1r = rt2r;
          }
          rt1i = rt2i = 0;
        }
      }
      // two consecutive small subdiagonal elements
      let m: number;
      for (m = i - 2; m >= l; m--) {
        let h21s = H.at(m + 1, m);
        s = Math.abs(H.at(m, m) - rt2r) + Math.abs(rt2i) + Math.abs(h21s);
        h21s = H.at(m + 1, m) / s;
        v[0] =
          h21s * H.at(m, m + 1) +
          (H.at(m, m) - rt1r) * ((H.at(m, m) - rt2r) / s) -
          rt1i * (rt2i / s);
        v[1] = h21s * (H.at(m, m) + H.at(m + 1, m + 1) - rt1r - rt2r);
        v[2] = h21s * H.at(m + 2, m + 1);
        s = Math.abs(v[0]) + Math.abs(v[1]) + Math.abs(v[2]);
        v[0] /= s;
        v[1] /= s;
        v[2] /= s;
        if (m === l) break;
        const h00 = Math.abs(H.at(m, m - 1)) * (Math.abs(v[1]) + Math.abs(v[2]));
        const h01 =
          Math.abs(v[0]) *
          (Math.abs(H.at(m - 1, m - 1)) + Math.abs(H.at(m, m)) + Math.abs(H.at(m + 1, m + 1)));
        if (h00 <= ULP * h01) break;
      }
      // the double-shift QR step
      for (let k2 = m; k2 <= i - 1; k2++) {
        const nr = Math.min(3, i - k2 + 1);
        if (k2 > m) for (let t = 0; t < nr; t++) v[t] = H.at(k2 + t, k2 - 1);
        const [beta, t1] = larfg(v[0], v.subarray(1), nr);
        v[0] = beta;
        if (k2 > m) {
          H.set(k2, k2 - 1, v[0]);
          H.set(k2 + 1, k2 - 1, 0);
          if (k2 < i - 1) H.set(k2 + 2, k2 - 1, 0);
        } else if (m > l) {
          // not H(k,k-1) = -H(k,k-1): avoids a bug when v(2) and v(3) underflow
          H.set(k2, k2 - 1, H.at(k2, k2 - 1) * (1 - t1));
        }
        const v2 = v[1];
        const t2 = t1 * v2;
        if (nr === 3) {
          const v3 = v[2];
          const t3 = t1 * v3;
          for (let j = k2; j <= i2; j++) {
            const sum = H.at(k2, j) + v2 * H.at(k2 + 1, j) + v3 * H.at(k2 + 2, j);
            H.set(k2, j, H.at(k2, j) - sum * t1);
            H.set(k2 + 1, j, H.at(k2 + 1, j) - sum * t2);
            H.set(k2 + 2, j, H.at(k2 + 2, j) - sum * t3);
          }
          for (let j = i1; j <= Math.min(k2 + 3, i); j++) {
            const sum = H.at(j, k2) + v2 * H.at(j, k2 + 1) + v3 * H.at(j, k2 + 2);
            H.set(j, k2, H.at(j, k2) - sum * t1);
            H.set(j, k2 + 1, H.at(j, k2 + 1) - sum * t2);
            H.set(j, k2 + 2, H.at(j, k2 + 2) - sum * t3);
          }
          for (let j = 1; j <= n; j++) {
            const sum = Z.at(j, k2) + v2 * Z.at(j, k2 + 1) + v3 * Z.at(j, k2 + 2);
            Z.set(j, k2, Z.at(j, k2) - sum * t1);
            Z.set(j, k2 + 1, Z.at(j, k2 + 1) - sum * t2);
            Z.set(j, k2 + 2, Z.at(j, k2 + 2) - sum * t3);
          }
        } else if (nr === 2) {
          for (let j = k2; j <= i2; j++) {
            const sum = H.at(k2, j) + v2 * H.at(k2 + 1, j);
            H.set(k2, j, H.at(k2, j) - sum * t1);
            H.set(k2 + 1, j, H.at(k2 + 1, j) - sum * t2);
          }
          for (let j = i1; j <= i; j++) {
            const sum = H.at(j, k2) + v2 * H.at(j, k2 + 1);
            H.set(j, k2, H.at(j, k2) - sum * t1);
            H.set(j, k2 + 1, H.at(j, k2 + 1) - sum * t2);
          }
          for (let j = 1; j <= n; j++) {
            const sum = Z.at(j, k2) + v2 * Z.at(j, k2 + 1);
            Z.set(j, k2, Z.at(j, k2) - sum * t1);
            Z.set(j, k2 + 1, Z.at(j, k2 + 1) - sum * t2);
          }
        }
      }
    }
    if (!converged) return i;
    if (l === i) {
      wr[i] = H.at(i, i);
      wi[i] = 0;
    } else if (l === i - 1) {
      const r = lanv2(H.at(i - 1, i - 1), H.at(i - 1, i), H.at(i, i - 1), H.at(i, i));
      H.set(i - 1, i - 1, r.a);
      H.set(i - 1, i, r.b);
      H.set(i, i - 1, r.c);
      H.set(i, i, r.d);
      wr[i - 1] = r.a;
      wr[i] = r.d;
      wi[i - 1] = r.rt1i;
      wi[i] = r.rt1i === 0 ? 0 : -r.rt1i; // dlanv2's RT2I: +0 for a real pair
      const { cs, sn } = r;
      // the rotation applied to the rest of H and to Z
      rot(
        i2 - i,
        (t) => [H.at(i - 1, i + 1 + t), H.at(i, i + 1 + t)],
        (t, x, y) => {
          H.set(i - 1, i + 1 + t, x);
          H.set(i, i + 1 + t, y);
        },
        cs,
        sn,
      );
      rot(
        i - i1 - 1,
        (t) => [H.at(i1 + t, i - 1), H.at(i1 + t, i)],
        (t, x, y) => {
          H.set(i1 + t, i - 1, x);
          H.set(i1 + t, i, y);
        },
        cs,
        sn,
      );
      rot(
        n,
        (t) => [Z.at(1 + t, i - 1), Z.at(1 + t, i)],
        (t, x, y) => {
          Z.set(1 + t, i - 1, x);
          Z.set(1 + t, i, y);
        },
        cs,
        sn,
      );
    }
    kdefl = 0;
    i = l - 1;
  }
  return 0;
}

/** (ar + i ai) / (zr + i zi) by Smith's algorithm (no overflow or underflow of |z|^2) */
function cdiv(ar: number, ai: number, zr: number, zi: number): [number, number] {
  if (Math.abs(zi) <= Math.abs(zr)) {
    const r = zi / zr;
    const d = zr + zi * r;
    return [(ar + ai * r) / d, (ai - ar * r) / d];
  }
  const r = zr / zi;
  const d = zi + zr * r;
  return [(ar * r + ai) / d, (ai * r - ar) / d];
}

/**
 * dlaln2's solve, unscaled: (T - (wr + i wi)) x = b for a 1 x 1 or 2 x 2 block of T at (j, j),
 * b given as real/imaginary parts; a pivot smaller than smin is replaced by smin (the
 * perturbation LAPACK uses for a (nearly) singular block).
 */
function solveBlock(
  T: Mat,
  j: number,
  na: number,
  wr: number,
  wi: number,
  smin: number,
  br: number[],
  bi: number[],
): { xr: number[]; xi: number[] } {
  if (na === 1) {
    let cr = T.at(j, j) - wr;
    let ci = -wi;
    if (Math.abs(cr) + Math.abs(ci) < smin) {
      cr = smin;
      ci = 0;
    }
    const [xr, xi] = cdiv(br[0], bi[0], cr, ci);
    return { xr: [xr], xi: [xi] };
  }
  // 2 x 2 complex system [a b; c d] x = rhs, by elimination with complete pivoting
  const m = [
    [T.at(j, j) - wr, -wi, T.at(j, j + 1), 0],
    [T.at(j + 1, j), 0, T.at(j + 1, j + 1) - wr, -wi],
  ]; // rows: [re(a), im(a), re(b), im(b)]
  const mod = (r: number, c: number): number => Math.abs(m[r][2 * c]) + Math.abs(m[r][2 * c + 1]);
  let pr = 0;
  let pc = 0;
  let cmax = 0;
  for (let r = 0; r < 2; r++)
    for (let c = 0; c < 2; c++)
      if (mod(r, c) > cmax) {
        cmax = mod(r, c);
        pr = r;
        pc = c;
      }
  if (cmax < smin) {
    // a (nearly) zero block: smin times the identity
    return {
      xr: [br[0] / smin, br[1] / smin],
      xi: [bi[0] / smin, bi[1] / smin],
    };
  }
  const qr = 1 - pr;
  const qc = 1 - pc;
  const cmul = (ar: number, ai: number, zr: number, zi: number): [number, number] => [
    ar * zr - ai * zi,
    ar * zi + ai * zr,
  ];
  // l = m[qr][pc] / m[pr][pc]
  const [lr, li] = cdiv(m[qr][2 * pc], m[qr][2 * pc + 1], m[pr][2 * pc], m[pr][2 * pc + 1]);
  const [u, ui] = cmul(lr, li, m[pr][2 * qc], m[pr][2 * qc + 1]);
  let u22r = m[qr][2 * qc] - u;
  let u22i = m[qr][2 * qc + 1] - ui;
  if (Math.abs(u22r) + Math.abs(u22i) < smin) {
    u22r = smin;
    u22i = 0;
  }
  const [lb, lbi] = cmul(lr, li, br[pr], bi[pr]);
  const r2r = br[qr] - lb;
  const r2i = bi[qr] - lbi;
  const [x2r, x2i] = cdiv(r2r, r2i, u22r, u22i);
  const [t, ti] = cmul(m[pr][2 * qc], m[pr][2 * qc + 1], x2r, x2i);
  const [x1r, x1i] = cdiv(br[pr] - t, bi[pr] - ti, m[pr][2 * pc], m[pr][2 * pc + 1]);
  const xr = [0, 0];
  const xi = [0, 0];
  xr[pc] = x1r;
  xi[pc] = x1i;
  xr[qc] = x2r;
  xi[qc] = x2i;
  return { xr, xi };
}

/**
 * dtrevc3 (right eigenvectors, back-transformed): the eigenvectors of the quasi-triangular T,
 * times Z, into VR's columns (a complex pair's real part in the first column of the pair, its
 * imaginary part in the second), each scaled to max-norm 1 as LAPACK does.
 */
function trevc(T: Mat, Z: Mat): Mat {
  const n = T.n;
  const VR = new Mat(n);
  VR.a.set(Z.a);
  const smlnum = SAFMIN * (n / ULP);
  const xr = new Float64Array(n + 1);
  const xi = new Float64Array(n + 1);
  let ip = 0;
  for (let ki = n; ki >= 1; ki--) {
    if (ip === -1) {
      // the first of a pair whose second was done
      ip = 1;
      continue;
    } else if (ki === 1 || T.at(ki, ki - 1) === 0) ip = 0;
    else ip = -1;
    const wr = T.at(ki, ki);
    const wi =
      ip !== 0 ? Math.sqrt(Math.abs(T.at(ki, ki - 1))) * Math.sqrt(Math.abs(T.at(ki - 1, ki))) : 0;
    const smin = Math.max(ULP * (Math.abs(wr) + Math.abs(wi)), smlnum);
    const top = ip === 0 ? ki - 1 : ki - 2; // the rows solved by back substitution
    if (ip === 0) {
      xr[ki] = 1;
      for (let k = 1; k < ki; k++) xr[k] = -T.at(k, ki);
      for (let k = 1; k <= ki; k++) xi[k] = 0;
    } else {
      if (Math.abs(T.at(ki - 1, ki)) >= Math.abs(T.at(ki, ki - 1))) {
        xr[ki - 1] = 1;
        xi[ki] = wi / T.at(ki - 1, ki);
      } else {
        xr[ki - 1] = -wi / T.at(ki, ki - 1);
        xi[ki] = 1;
      }
      xr[ki] = 0;
      xi[ki - 1] = 0;
      for (let k = 1; k <= ki - 2; k++) {
        xr[k] = -xr[ki - 1] * T.at(k, ki - 1);
        xi[k] = -xi[ki] * T.at(k, ki);
      }
    }
    // back substitution over T(1:top, 1:top)'s diagonal blocks, from the bottom
    let jnxt = top;
    for (let j = top; j >= 1; j--) {
      if (j > jnxt) continue;
      let j1 = j;
      jnxt = j - 1;
      if (j > 1 && T.at(j, j - 1) !== 0) {
        j1 = j - 1;
        jnxt = j - 2;
      }
      const na = j - j1 + 1;
      const br = na === 1 ? [xr[j]] : [xr[j1], xr[j]];
      const bi = na === 1 ? [xi[j]] : [xi[j1], xi[j]];
      const x = solveBlock(T, j1, na, wr, ip === 0 ? 0 : wi, smin, br, bi);
      for (let t = 0; t < na; t++) {
        xr[j1 + t] = x.xr[t];
        xi[j1 + t] = x.xi[t];
        for (let k = 1; k < j1; k++) {
          xr[k] -= x.xr[t] * T.at(k, j1 + t);
          xi[k] -= x.xi[t] * T.at(k, j1 + t);
        }
      }
    }
    if (ip === 0) {
      // VR(:, ki) = Z(:, 1:ki-1) x(1:ki-1) + x(ki) Z(:, ki)
      for (let r = 1; r <= n; r++) {
        let s = xr[ki] * Z.at(r, ki);
        for (let k = 1; k < ki; k++) s += Z.at(r, k) * xr[k];
        VR.set(r, ki, s);
      }
      let emax = 0;
      for (let r = 1; r <= n; r++) emax = Math.max(emax, Math.abs(VR.at(r, ki)));
      for (let r = 1; r <= n; r++) VR.set(r, ki, VR.at(r, ki) / emax);
    } else {
      for (let r = 1; r <= n; r++) {
        let sr = xr[ki - 1] * Z.at(r, ki - 1);
        let si = xi[ki] * Z.at(r, ki);
        for (let k = 1; k <= ki - 2; k++) {
          sr += Z.at(r, k) * xr[k];
          si += Z.at(r, k) * xi[k];
        }
        VR.set(r, ki - 1, sr);
        VR.set(r, ki, si);
      }
      let emax = 0;
      for (let r = 1; r <= n; r++)
        emax = Math.max(emax, Math.abs(VR.at(r, ki - 1)) + Math.abs(VR.at(r, ki)));
      for (let r = 1; r <= n; r++) {
        VR.set(r, ki - 1, VR.at(r, ki - 1) / emax);
        VR.set(r, ki, VR.at(r, ki) / emax);
      }
    }
  }
  return VR;
}

/**
 * The eigenvalues (w: interleaved re/im, n complex) and, when `vr` is given, the eigenvectors
 * (vr: n x n complex, row-major, interleaved; column j for w_j) of the real n x n matrix at
 * a[o..] (row-major), as dgeev (Note [eig normalisation]). Returns LAPACK's info: 0, or i > 0
 * when the QR iteration failed (eigenvalues i+1..n of the 1-based order are then valid).
 */
export function eigGeneral(
  a: Float64Array,
  o: number,
  n: number,
  w: Float64Array,
  wo: number,
  vr: Float64Array | null,
  vo: number,
): number {
  if (n === 0) return 0;
  const A = new Mat(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A.set(i + 1, j + 1, a[o + i * n + j]);
  const { ilo, ihi, scale } = gebal(A);
  const Z = gehrd(A, ilo, ihi);
  const wr = new Float64Array(n + 1);
  const wi = new Float64Array(n + 1);
  // eigenvalues isolated by the balancing
  for (let i = 1; i < ilo; i++) wr[i] = A.at(i, i);
  for (let i = ihi + 1; i <= n; i++) wr[i] = A.at(i, i);
  const info = lahqr(A, ilo, ihi, wr, wi, Z);
  for (let i = 1; i <= n; i++) {
    w[wo + 2 * (i - 1)] = wr[i];
    w[wo + 2 * (i - 1) + 1] = wi[i];
  }
  if (vr === null || info > 0) return info;
  // dhseqr zeroes what lies below the subdiagonal
  for (let j = 1; j <= n; j++) for (let i = j + 2; i <= n; i++) A.set(i, j, 0);
  const V = trevc(A, Z);
  // dgebak: undo the scaling, then the permutations
  for (let i = ilo; i <= ihi; i++) for (let j = 1; j <= n; j++) V.set(i, j, V.at(i, j) * scale[i]);
  for (let ii = 1; ii <= n; ii++) {
    let i = ii;
    if (i >= ilo && i <= ihi) continue;
    if (i < ilo) i = ilo - ii;
    const k = scale[i];
    if (k !== i) V.swapRows(i, k, 1, n);
  }
  // dgeev's normalisation (Note [eig normalisation])
  for (let i = 1; i <= n; i++) {
    if (wi[i] === 0) {
      const s = 1 / nrm2(V.a, (i - 1) * n, n);
      for (let r = 1; r <= n; r++) V.set(r, i, V.at(r, i) * s);
    } else if (wi[i] > 0) {
      const scl = 1 / lapy2(nrm2(V.a, (i - 1) * n, n), nrm2(V.a, i * n, n));
      let k = 1;
      let best = -1;
      for (let r = 1; r <= n; r++) {
        V.set(r, i, V.at(r, i) * scl);
        V.set(r, i + 1, V.at(r, i + 1) * scl);
        const m = V.at(r, i) * V.at(r, i) + V.at(r, i + 1) * V.at(r, i + 1);
        if (m > best) {
          best = m;
          k = r;
        }
      }
      // dlartg(f, g) (LAPACK 3.10's): r = sign(f) hypot(f, g), cs = |f| / hypot, sn = g / r
      const f = V.at(k, i);
      const g = V.at(k, i + 1);
      let cs = 1;
      let sn = 0;
      if (g !== 0) {
        if (f === 0) {
          cs = 0;
          sn = sign(1, g);
        } else {
          const d = Math.sqrt(f * f + g * g);
          cs = Math.abs(f) / d;
          sn = g / sign(d, f);
        }
      }
      for (let r = 1; r <= n; r++) {
        const x = V.at(r, i);
        const y = V.at(r, i + 1);
        V.set(r, i, cs * x + sn * y);
        V.set(r, i + 1, cs * y - sn * x);
      }
      V.set(k, i + 1, 0);
    }
  }
  // complex eigenvectors, row-major: column j of a pair (j, j+1) is VR(:,j) +- i VR(:,j+1)
  for (let j = 1; j <= n; j++) {
    for (let r = 1; r <= n; r++) {
      const p = vo + 2 * ((r - 1) * n + (j - 1));
      if (wi[j] === 0) {
        vr[p] = V.at(r, j);
        vr[p + 1] = 0;
      } else if (wi[j] > 0) {
        vr[p] = V.at(r, j);
        vr[p + 1] = V.at(r, j + 1);
      } else {
        vr[p] = V.at(r, j - 1);
        vr[p + 1] = -V.at(r, j);
      }
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// the gradient (PyTorch's linalg_eig_backward, non-Hermitian case), on interleaved complex
// n x n row-major matrices

/** X with A X = B, both n x n complex, by LU with partial pivoting (A and B overwritten) */
function complexSolve(A: Float64Array, B: Float64Array, n: number): void {
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = -1;
    for (let i = k; i < n; i++) {
      const m = Math.hypot(A[2 * (i * n + k)], A[2 * (i * n + k) + 1]);
      if (m > best) {
        best = m;
        p = i;
      }
    }
    if (p !== k) {
      for (let j = 0; j < 2 * n; j++) {
        let t = A[2 * k * n + j];
        A[2 * k * n + j] = A[2 * p * n + j];
        A[2 * p * n + j] = t;
        t = B[2 * k * n + j];
        B[2 * k * n + j] = B[2 * p * n + j];
        B[2 * p * n + j] = t;
      }
    }
    const pr = A[2 * (k * n + k)];
    const pi = A[2 * (k * n + k) + 1];
    const d = pr * pr + pi * pi;
    for (let i = k + 1; i < n; i++) {
      const ar = A[2 * (i * n + k)];
      const ai = A[2 * (i * n + k) + 1];
      // l = a_ik / a_kk
      const lr = (ar * pr + ai * pi) / d;
      const li = (ai * pr - ar * pi) / d;
      for (let j = k; j < n; j++) {
        const ur = A[2 * (k * n + j)];
        const ui = A[2 * (k * n + j) + 1];
        A[2 * (i * n + j)] -= lr * ur - li * ui;
        A[2 * (i * n + j) + 1] -= lr * ui + li * ur;
      }
      for (let j = 0; j < n; j++) {
        const br = B[2 * (k * n + j)];
        const bi = B[2 * (k * n + j) + 1];
        B[2 * (i * n + j)] -= lr * br - li * bi;
        B[2 * (i * n + j) + 1] -= lr * bi + li * br;
      }
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    const pr = A[2 * (k * n + k)];
    const pi = A[2 * (k * n + k) + 1];
    const d = pr * pr + pi * pi;
    for (let j = 0; j < n; j++) {
      let sr = B[2 * (k * n + j)];
      let si = B[2 * (k * n + j) + 1];
      for (let t = k + 1; t < n; t++) {
        const ar = A[2 * (k * n + t)];
        const ai = A[2 * (k * n + t) + 1];
        const xr = B[2 * (t * n + j)];
        const xi = B[2 * (t * n + j) + 1];
        sr -= ar * xr - ai * xi;
        si -= ar * xi + ai * xr;
      }
      B[2 * (k * n + j)] = (sr * pr + si * pi) / d;
      B[2 * (k * n + j) + 1] = (si * pr - sr * pi) / d;
    }
  }
}

/**
 * linalg_eig_backward for one matrix (FunctionsManual.cpp, is_hermitian false): with
 * L, V the eigenvalues and eigenvectors and gL, gV their gradients (either may be null),
 *
 *   gV null:  gA = V^-H diag(gL) V^H
 *   else:     X = V^H gV;  X -= V^H V diag(re(diag(X)))   (the tangent space of the phases)
 *             gA = V^-H (X / conj(E) with diag(gL) on the diagonal) V^H,  E_ij = L_j - L_i
 *
 * (the diagonal keeps X's when gL is null). Writes gA (complex, interleaved) at out[oo..] and
 * returns max |im(diag(V^H gV))|, which PyTorch requires to be at most 1e-2 (a loss that
 * depends on the eigenvectors' phases is ill-defined); 0 when gV is null.
 */
export function eigBackward(
  n: number,
  L: Float64Array,
  lo: number,
  V: Float64Array,
  vo: number,
  gL: Float64Array | null,
  glo: number,
  gV: Float64Array | null,
  gvo: number,
  out: Float64Array,
  oo: number,
): number {
  // Vh = V^H
  const Vh = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      Vh[2 * (i * n + j)] = V[vo + 2 * (j * n + i)];
      Vh[2 * (i * n + j) + 1] = -V[vo + 2 * (j * n + i) + 1];
    }
  const mm = (A: Float64Array, ao: number, B: Float64Array, bo: number): Float64Array => {
    const C = new Float64Array(2 * n * n);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < n; k++) {
        const ar = A[ao + 2 * (i * n + k)];
        const ai = A[ao + 2 * (i * n + k) + 1];
        if (ar === 0 && ai === 0) continue;
        for (let j = 0; j < n; j++) {
          const br = B[bo + 2 * (k * n + j)];
          const bi = B[bo + 2 * (k * n + j) + 1];
          C[2 * (i * n + j)] += ar * br - ai * bi;
          C[2 * (i * n + j) + 1] += ar * bi + ai * br;
        }
      }
    return C;
  };
  let defect = 0;
  let G: Float64Array; // the matrix conjugated by V^-H
  if (gV === null) {
    G = new Float64Array(2 * n * n);
    if (gL !== null)
      for (let i = 0; i < n; i++) {
        G[2 * (i * n + i)] = gL[glo + 2 * i];
        G[2 * (i * n + i) + 1] = gL[glo + 2 * i + 1];
      }
  } else {
    G = mm(Vh, 0, gV, gvo);
    const VhV = mm(Vh, 0, V, vo);
    const re = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      re[i] = G[2 * (i * n + i)];
      const im = Math.abs(G[2 * (i * n + i) + 1]);
      defect = im > defect || Number.isNaN(im) ? im : defect;
    }
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        G[2 * (i * n + j)] -= VhV[2 * (i * n + j)] * re[j];
        G[2 * (i * n + j) + 1] -= VhV[2 * (i * n + j) + 1] * re[j];
      }
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i === j) {
          if (gL !== null) {
            G[2 * (i * n + i)] = gL[glo + 2 * i];
            G[2 * (i * n + i) + 1] = gL[glo + 2 * i + 1];
          }
          continue;
        }
        // conj(E_ij) = conj(L_j) - conj(L_i)
        const er = L[lo + 2 * j] - L[lo + 2 * i];
        const ei = -(L[lo + 2 * j + 1] - L[lo + 2 * i + 1]);
        const d = er * er + ei * ei;
        const xr = G[2 * (i * n + j)];
        const xi = G[2 * (i * n + j) + 1];
        G[2 * (i * n + j)] = (xr * er + xi * ei) / d;
        G[2 * (i * n + j) + 1] = (xi * er - xr * ei) / d;
      }
  }
  // gA = V^-H (G V^H): solve V^H gA = G V^H
  const B = mm(G, 0, Vh, 0);
  complexSolve(Vh, B, n);
  out.set(B, oo);
  return defect;
}
