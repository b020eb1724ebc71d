/**
 * The complex general eigenproblem A = V diag(w) V^-1 as LAPACK's zgeev computes it (PyTorch's
 * linalg.eig of a complex matrix on CPU): balance (zgebal), Hessenberg reduction (zgehd2 with
 * zlarfg's reflectors, Note [complex reflectors] in zlinalg.ts) and its product Q (zunghr),
 * single-shift complex QR to the Schur form T = Z^H H Z (zlahqr: real subdiagonal, Wilkinson
 * and exceptional shifts, Ahues-Kressner deflation), eigenvectors of T by back substitution
 * (ztrevc) transformed back by Z, un-balanced (zgebak) and normalised as zgeev does: unit
 * 2-norm, the component of largest modulus real and positive (Note [eig normalisation] in
 * eig.ts, whose real path this follows). The eigenvalues' order is that in which the QR
 * iteration leaves them on T's diagonal; the vectors' phases do not depend on the algorithm
 * (the normalisation fixes them), so they agree with PyTorch's up to rounding wherever the
 * largest component is unique.
 *
 * Matrices are column-major, indexed from 1 as the Fortran is: `re`/`im` arrays of n x n.
 */
import { balanceFactor, balancePermutation } from "./eig.js";

const SAFMIN = 2.2250738585072014e-308;
const ULP = 2.220446049250313e-16;

class CMat {
  readonly re: Float64Array;
  readonly im: Float64Array;
  constructor(readonly n: number) {
    this.re = new Float64Array(n * n);
    this.im = new Float64Array(n * n);
  }
  k(i: number, j: number): number {
    return i - 1 + (j - 1) * this.n;
  }
}

/** |re| + |im| (LAPACK's CABS1) */
const cabs1 = (r: number, i: number): number => Math.abs(r) + Math.abs(i);

/** complex division (ar + i ai) / (br + i bi), Smith's algorithm */
function cdiv(ar: number, ai: number, br: number, bi: number): [number, number] {
  if (Math.abs(bi) <= Math.abs(br)) {
    const r = bi / br;
    const d = br + bi * r;
    return [(ar + ai * r) / d, (ai - ar * r) / d];
  }
  const r = br / bi;
  const d = bi + br * r;
  return [(ar * r + ai) / d, (ai * r - ar) / d];
}

/** principal complex square root */
function csqrt(r: number, i: number): [number, number] {
  const m = Math.hypot(r, i);
  if (m === 0) return [0, 0];
  const a = Math.sqrt((m + Math.abs(r)) / 2);
  if (r >= 0) return [a, i / (2 * a)];
  return [Math.abs(i) / (2 * a), i >= 0 ? a : -a];
}

/** zgebal, job 'B': permutation and scaling in place; ilo, ihi and scale (1-based) */
function gebal(A: CMat): { ilo: number; ihi: number; scale: Float64Array } {
  const n = A.n;
  const isZero = (i: number, j: number): boolean => A.re[A.k(i, j)] === 0 && A.im[A.k(i, j)] === 0;
  const swapCols = (j: number, l: number, i0: number, i1: number): void => {
    for (let i = i0; i <= i1; i++)
      for (const x of [A.re, A.im]) {
        const t = x[A.k(i, j)];
        x[A.k(i, j)] = x[A.k(i, l)];
        x[A.k(i, l)] = t;
      }
  };
  const swapRows = (j: number, l: number, c0: number, c1: number): void => {
    for (let c = c0; c <= c1; c++)
      for (const x of [A.re, A.im]) {
        const t = x[A.k(j, c)];
        x[A.k(j, c)] = x[A.k(l, c)];
        x[A.k(l, c)] = t;
      }
  };
  const { k, l, scale, done } = balancePermutation(n, isZero, swapCols, swapRows);
  if (done) return { ilo: 1, ihi: 1, scale };
  for (let i = k; i <= l; i++) scale[i] = 1;
  const mod = (i: number, j: number): number => Math.hypot(A.re[A.k(i, j)], A.im[A.k(i, j)]);
  let noconv = true;
  while (noconv) {
    noconv = false;
    for (let i = k; i <= l; i++) {
      let c = 0;
      let r = 0;
      for (let t = k; t <= l; t++) {
        c += mod(t, i) ** 2;
        r += mod(i, t) ** 2;
      }
      c = Math.sqrt(c);
      r = Math.sqrt(r);
      let ca = 0;
      for (let t = 1; t <= l; t++) ca = Math.max(ca, mod(t, i));
      let ra = 0;
      for (let t = k; t <= n; t++) ra = Math.max(ra, mod(i, t));
      const f = balanceFactor(c, r, ca, ra, scale[i]);
      if (f === 1) continue;
      scale[i] *= f;
      noconv = true;
      for (let t = k; t <= n; t++) {
        A.re[A.k(i, t)] /= f;
        A.im[A.k(i, t)] /= f;
      }
      for (let t = 1; t <= l; t++) {
        A.re[A.k(t, i)] *= f;
        A.im[A.k(t, i)] *= f;
      }
    }
  }
  return { ilo: k, ihi: l, scale };
}

/**
 * zlarfg on the interleaved vector x (alpha first, len entries): x becomes v (v_0 = 1);
 * returns [Re tau, Im tau, beta].
 */
function larfg(x: Float64Array, len: number): [number, number, number] {
  const ar = x[0];
  const ai = x[1];
  let xn = 0;
  for (let i = 1; i < len; i++) xn += x[2 * i] ** 2 + x[2 * i + 1] ** 2;
  x[0] = 1;
  x[1] = 0;
  if (xn === 0 && ai === 0) return [0, 0, ar];
  const norm = Math.hypot(ar, ai, Math.sqrt(xn));
  const beta = ar >= 0 ? -norm : norm;
  const [sr, si] = cdiv(1, 0, ar - beta, ai);
  for (let i = 1; i < len; i++) {
    const xr = x[2 * i];
    const xi = x[2 * i + 1];
    x[2 * i] = xr * sr - xi * si;
    x[2 * i + 1] = xr * si + xi * sr;
  }
  return [(beta - ar) / beta, -ai / beta, beta];
}

/** zgehd2 + zunghr: H = Q^H A Q upper Hessenberg (in A), Q returned */
function gehrd(A: CMat, ilo: number, ihi: number): CMat {
  const n = A.n;
  const Q = new CMat(n);
  for (let i = 1; i <= n; i++) Q.re[Q.k(i, i)] = 1;
  const v = new Float64Array(2 * n);
  for (let i = ilo; i < ihi; i++) {
    const m = ihi - i;
    for (let t = 0; t < m; t++) {
      v[2 * t] = A.re[A.k(i + 1 + t, i)];
      v[2 * t + 1] = A.im[A.k(i + 1 + t, i)];
    }
    const [tr, ti, beta] = larfg(v, m);
    // A(1:ihi, i+1:ihi) <- A H: C -= tau (C v) v^H
    for (let r = 1; r <= ihi; r++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < m; t++) {
        const p = A.k(r, i + 1 + t);
        sr += A.re[p] * v[2 * t] - A.im[p] * v[2 * t + 1];
        si += A.re[p] * v[2 * t + 1] + A.im[p] * v[2 * t];
      }
      const [wr, wi] = [tr * sr - ti * si, tr * si + ti * sr];
      for (let t = 0; t < m; t++) {
        const p = A.k(r, i + 1 + t);
        A.re[p] -= wr * v[2 * t] + wi * v[2 * t + 1];
        A.im[p] -= wi * v[2 * t] - wr * v[2 * t + 1];
      }
    }
    // A(i+1:ihi, i+1:n) <- H^H A: C -= conj(tau) v (v^H C)
    for (let c = i + 1; c <= n; c++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < m; t++) {
        const p = A.k(i + 1 + t, c);
        sr += v[2 * t] * A.re[p] + v[2 * t + 1] * A.im[p];
        si += v[2 * t] * A.im[p] - v[2 * t + 1] * A.re[p];
      }
      const [wr, wi] = [tr * sr + ti * si, tr * si - ti * sr];
      for (let t = 0; t < m; t++) {
        const p = A.k(i + 1 + t, c);
        A.re[p] -= wr * v[2 * t] - wi * v[2 * t + 1];
        A.im[p] -= wr * v[2 * t + 1] + wi * v[2 * t];
      }
    }
    A.re[A.k(i + 1, i)] = beta;
    A.im[A.k(i + 1, i)] = 0;
    for (let t = 1; t < m; t++) A.re[A.k(i + 1 + t, i)] = A.im[A.k(i + 1 + t, i)] = 0;
    // Q <- Q H (Q = H(ilo) ... H(ihi-1))
    for (let r = 1; r <= n; r++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < m; t++) {
        const p = Q.k(r, i + 1 + t);
        sr += Q.re[p] * v[2 * t] - Q.im[p] * v[2 * t + 1];
        si += Q.re[p] * v[2 * t + 1] + Q.im[p] * v[2 * t];
      }
      const [wr, wi] = [tr * sr - ti * si, tr * si + ti * sr];
      for (let t = 0; t < m; t++) {
        const p = Q.k(r, i + 1 + t);
        Q.re[p] -= wr * v[2 * t] + wi * v[2 * t + 1];
        Q.im[p] -= wi * v[2 * t] - wr * v[2 * t + 1];
      }
    }
  }
  return Q;
}

/** x <- s x for the entries `idx` of a CMat */
function scal(M: CMat, idx: number[], sr: number, si: number): void {
  for (const p of idx) {
    const r = M.re[p];
    const i = M.im[p];
    M.re[p] = r * sr - i * si;
    M.im[p] = r * si + i * sr;
  }
}
const range = (a: number, b: number): number[] =>
  b < a ? [] : Array.from({ length: b - a + 1 }, (_x, t) => a + t);

/**
 * zlahqr with wantt and wantz over the whole matrix: H becomes upper triangular T = Z^H H Z,
 * Z accumulates; eigenvalues into w (1-based, interleaved at 2 (i - 1)). Returns info.
 */
function lahqr(H: CMat, ilo: number, ihi: number, w: Float64Array, Z: CMat): number {
  const n = H.n;
  const k = (i: number, j: number): number => H.k(i, j);
  const re = H.re;
  const im = H.im;
  if (ilo === ihi) {
    w[2 * (ilo - 1)] = re[k(ilo, ilo)];
    w[2 * (ilo - 1) + 1] = im[k(ilo, ilo)];
    return 0;
  }
  for (let j = ilo; j <= ihi - 3; j++) {
    re[k(j + 2, j)] = im[k(j + 2, j)] = 0;
    re[k(j + 3, j)] = im[k(j + 3, j)] = 0;
  }
  if (ilo <= ihi - 2) re[k(ihi, ihi - 2)] = im[k(ihi, ihi - 2)] = 0;
  const jlo = 1;
  const jhi = n;
  for (let i = ilo + 1; i <= ihi; i++) {
    if (im[k(i, i - 1)] !== 0) {
      const c1 = cabs1(re[k(i, i - 1)], im[k(i, i - 1)]);
      let [sr, si] = [re[k(i, i - 1)] / c1, im[k(i, i - 1)] / c1];
      const a = Math.hypot(sr, si);
      [sr, si] = [sr / a, -si / a];
      re[k(i, i - 1)] = Math.hypot(re[k(i, i - 1)], im[k(i, i - 1)]);
      im[k(i, i - 1)] = 0;
      scal(
        H,
        range(i, jhi).map((j) => k(i, j)),
        sr,
        si,
      );
      scal(
        H,
        range(jlo, Math.min(jhi, i + 1)).map((r) => k(r, i)),
        sr,
        -si,
      );
      scal(
        Z,
        range(1, n).map((r) => Z.k(r, i)),
        sr,
        -si,
      );
    }
  }
  const nh = ihi - ilo + 1;
  const smlnum = SAFMIN * (nh / ULP);
  const i1 = 1;
  const i2 = n;
  const itmax = 30 * Math.max(10, nh);
  let kdefl = 0;
  let i = ihi;
  const c1 = (a: number, b: number): number => cabs1(re[k(a, b)], im[k(a, b)]);
  while (i >= ilo) {
    let l = ilo;
    let converged = false;
    for (let its = 0; its <= itmax; its++) {
      let kk = i;
      for (; kk >= l + 1; kk--) {
        if (c1(kk, kk - 1) <= smlnum) break;
        let tst = c1(kk - 1, kk - 1) + c1(kk, kk);
        if (tst === 0) {
          if (kk - 2 >= ilo) tst += Math.abs(re[k(kk - 1, kk - 2)]);
          if (kk + 1 <= ihi) tst += Math.abs(re[k(kk + 1, kk)]);
        }
        if (Math.abs(re[k(kk, kk - 1)]) <= ULP * tst) {
          const ab = Math.max(c1(kk, kk - 1), c1(kk - 1, kk));
          const ba = Math.min(c1(kk, kk - 1), c1(kk - 1, kk));
          const dd = cabs1(
            re[k(kk - 1, kk - 1)] - re[k(kk, kk)],
            im[k(kk - 1, kk - 1)] - im[k(kk, kk)],
          );
          const aa = Math.max(c1(kk, kk), dd);
          const bb = Math.min(c1(kk, kk), dd);
          const s = aa + ab;
          if (ba * (ab / s) <= Math.max(smlnum, ULP * (bb * (aa / s)))) break;
        }
      }
      l = kk;
      if (l > ilo) re[k(l, l - 1)] = im[k(l, l - 1)] = 0;
      if (l >= i) {
        converged = true;
        break;
      }
      kdefl++;
      let tr: number;
      let ti: number;
      if (kdefl % 20 === 0) {
        const s = 0.75 * Math.abs(re[k(i, i - 1)]);
        tr = s + re[k(i, i)];
        ti = im[k(i, i)];
      } else if (kdefl % 10 === 0) {
        const s = 0.75 * Math.abs(re[k(l + 1, l)]);
        tr = s + re[k(l, l)];
        ti = im[k(l, l)];
      } else {
        // Wilkinson's shift
        tr = re[k(i, i)];
        ti = im[k(i, i)];
        const [ar, ai] = csqrt(re[k(i - 1, i)], im[k(i - 1, i)]);
        const [br, bi] = csqrt(re[k(i, i - 1)], im[k(i, i - 1)]);
        const ur = ar * br - ai * bi;
        const ui = ar * bi + ai * br;
        let s = cabs1(ur, ui);
        if (s !== 0) {
          const xr = 0.5 * (re[k(i - 1, i - 1)] - tr);
          const xi = 0.5 * (im[k(i - 1, i - 1)] - ti);
          const sx = cabs1(xr, xi);
          s = Math.max(s, sx);
          // y = s sqrt((x/s)^2 + (u/s)^2)
          const [xsr, xsi] = [xr / s, xi / s];
          const [usr, usi] = [ur / s, ui / s];
          const [qr, qi] = csqrt(
            xsr * xsr - xsi * xsi + usr * usr - usi * usi,
            2 * xsr * xsi + 2 * usr * usi,
          );
          let [yr, yi] = [s * qr, s * qi];
          if (sx > 0 && (xr / sx) * yr + (xi / sx) * yi < 0) [yr, yi] = [-yr, -yi];
          const [dr, di] = cdiv(ur, ui, xr + yr, xi + yi);
          tr -= ur * dr - ui * di;
          ti -= ur * di + ui * dr;
        }
      }
      // two consecutive small subdiagonal elements
      const v = new Float64Array(4);
      let m = i - 1;
      const start = (mm: number): void => {
        const h11r = re[k(mm, mm)];
        const h11i = im[k(mm, mm)];
        let h11sr = h11r - tr;
        let h11si = h11i - ti;
        let h21 = re[k(mm + 1, mm)];
        const s = cabs1(h11sr, h11si) + Math.abs(h21);
        h11sr /= s;
        h11si /= s;
        h21 /= s;
        v[0] = h11sr;
        v[1] = h11si;
        v[2] = h21;
        v[3] = 0;
      };
      for (; m >= l + 1; m--) {
        start(m);
        const h10 = re[k(m, m - 1)];
        const h11 = c1(m, m);
        const h22 = c1(m + 1, m + 1);
        if (Math.abs(h10) * Math.abs(v[2]) <= ULP * (cabs1(v[0], v[1]) * (h11 + h22))) break;
      }
      if (m < l + 1) {
        m = l;
        start(l);
      }
      for (let kq = m; kq <= i - 1; kq++) {
        if (kq > m) {
          v[0] = re[k(kq, kq - 1)];
          v[1] = im[k(kq, kq - 1)];
          v[2] = re[k(kq + 1, kq - 1)];
          v[3] = im[k(kq + 1, kq - 1)];
        }
        const [t1r, t1i, beta] = larfg(v, 2);
        // larfg overwrote v with (1, v2): keep v2
        const v2r = v[2];
        const v2i = v[3];
        if (kq > m) {
          re[k(kq, kq - 1)] = beta;
          im[k(kq, kq - 1)] = 0;
          re[k(kq + 1, kq - 1)] = im[k(kq + 1, kq - 1)] = 0;
        }
        const t2 = t1r * v2r - t1i * v2i;
        for (let j = kq; j <= i2; j++) {
          // sum = conj(t1) h(k, j) + t2 h(k+1, j)
          const [ar, ai] = [re[k(kq, j)], im[k(kq, j)]];
          const [br, bi] = [re[k(kq + 1, j)], im[k(kq + 1, j)]];
          const sr = t1r * ar + t1i * ai + t2 * br;
          const si = t1r * ai - t1i * ar + t2 * bi;
          re[k(kq, j)] -= sr;
          im[k(kq, j)] -= si;
          re[k(kq + 1, j)] -= sr * v2r - si * v2i;
          im[k(kq + 1, j)] -= sr * v2i + si * v2r;
        }
        const right = (M: CMat, r0: number, r1: number): void => {
          for (let j = r0; j <= r1; j++) {
            const pa = M.k(j, kq);
            const pb = M.k(j, kq + 1);
            const sr = t1r * M.re[pa] - t1i * M.im[pa] + t2 * M.re[pb];
            const si = t1r * M.im[pa] + t1i * M.re[pa] + t2 * M.im[pb];
            M.re[pa] -= sr;
            M.im[pa] -= si;
            // sum conj(v2)
            M.re[pb] -= sr * v2r + si * v2i;
            M.im[pb] -= si * v2r - sr * v2i;
          }
        };
        right(H, i1, Math.min(kq + 2, i));
        right(Z, 1, n);
        if (kq === m && m > l) {
          let [pr, pi] = [1 - t1r, -t1i];
          const a = Math.hypot(pr, pi);
          [pr, pi] = [pr / a, pi / a];
          scal(H, [k(m + 1, m)], pr, -pi);
          if (m + 2 <= i) scal(H, [k(m + 2, m + 1)], pr, pi);
          for (let j = m; j <= i; j++) {
            if (j === m + 1) continue;
            if (i2 > j)
              scal(
                H,
                range(j + 1, i2).map((c) => k(j, c)),
                pr,
                pi,
              );
            scal(
              H,
              range(i1, j - 1).map((r) => k(r, j)),
              pr,
              -pi,
            );
            scal(
              Z,
              range(1, n).map((r) => Z.k(r, j)),
              pr,
              -pi,
            );
          }
        }
      }
      const [hr, hi] = [re[k(i, i - 1)], im[k(i, i - 1)]];
      if (hi !== 0) {
        const a = Math.hypot(hr, hi);
        re[k(i, i - 1)] = a;
        im[k(i, i - 1)] = 0;
        const [pr, pi] = [hr / a, hi / a];
        if (i2 > i)
          scal(
            H,
            range(i + 1, i2).map((c) => k(i, c)),
            pr,
            -pi,
          );
        scal(
          H,
          range(i1, i - 1).map((r) => k(r, i)),
          pr,
          pi,
        );
        scal(
          Z,
          range(1, n).map((r) => Z.k(r, i)),
          pr,
          pi,
        );
      }
    }
    if (!converged) return i;
    w[2 * (i - 1)] = re[k(i, i)];
    w[2 * (i - 1) + 1] = im[k(i, i)];
    kdefl = 0;
    i = l - 1;
  }
  return 0;
}

/** ztrevc ('R', 'B'): the eigenvectors of upper triangular T, back-transformed by Z */
function trevc(T: CMat, Z: CMat): CMat {
  const n = T.n;
  const V = new CMat(n);
  let unfl = SAFMIN;
  unfl = unfl * (n / ULP);
  const smlnum = unfl;
  const x = new Float64Array(2 * (n + 1));
  for (let ki = n; ki >= 1; ki--) {
    const [wr, wi] = [T.re[T.k(ki, ki)], T.im[T.k(ki, ki)]];
    const smin = Math.max(ULP * cabs1(wr, wi), smlnum);
    x.fill(0);
    x[2 * ki] = 1;
    for (let r = 1; r < ki; r++) {
      x[2 * r] = -T.re[T.k(r, ki)];
      x[2 * r + 1] = -T.im[T.k(r, ki)];
    }
    // back substitution with (T(1:ki-1, 1:ki-1) - w I)
    for (let j = ki - 1; j >= 1; j--) {
      let dr = T.re[T.k(j, j)] - wr;
      let di = T.im[T.k(j, j)] - wi;
      if (cabs1(dr, di) < smin) [dr, di] = [smin, 0];
      const [qr, qi] = cdiv(x[2 * j], x[2 * j + 1], dr, di);
      x[2 * j] = qr;
      x[2 * j + 1] = qi;
      for (let r = 1; r < j; r++) {
        const tr = T.re[T.k(r, j)];
        const ti = T.im[T.k(r, j)];
        x[2 * r] -= tr * qr - ti * qi;
        x[2 * r + 1] -= tr * qi + ti * qr;
      }
    }
    for (let r = 1; r <= n; r++) {
      let sr = 0;
      let si = 0;
      for (let c = 1; c <= ki; c++) {
        const zr = Z.re[Z.k(r, c)];
        const zi = Z.im[Z.k(r, c)];
        sr += zr * x[2 * c] - zi * x[2 * c + 1];
        si += zr * x[2 * c + 1] + zi * x[2 * c];
      }
      V.re[V.k(r, ki)] = sr;
      V.im[V.k(r, ki)] = si;
    }
  }
  return V;
}

/**
 * The eigenvalues (w: interleaved, n) and, when `vr` is given, the eigenvectors (vr: n x n
 * interleaved row-major, column j for w_j) of the complex n x n matrix at a[2 o..] (row-major,
 * interleaved), as zgeev. Returns LAPACK's info (0, or i > 0 when the QR iteration failed).
 */
export function eigComplex(
  a: Float64Array,
  o: number,
  n: number,
  w: Float64Array,
  wo: number,
  vr: Float64Array | null,
  vo: number,
): number {
  if (n === 0) return 0;
  const A = new CMat(n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      A.re[A.k(i + 1, j + 1)] = a[2 * (o + i * n + j)];
      A.im[A.k(i + 1, j + 1)] = a[2 * (o + i * n + j) + 1];
    }
  const { ilo, ihi, scale } = gebal(A);
  const Z = gehrd(A, ilo, ihi);
  const ww = new Float64Array(2 * n);
  for (let i = 1; i < ilo; i++) {
    ww[2 * (i - 1)] = A.re[A.k(i, i)];
    ww[2 * (i - 1) + 1] = A.im[A.k(i, i)];
  }
  for (let i = ihi + 1; i <= n; i++) {
    ww[2 * (i - 1)] = A.re[A.k(i, i)];
    ww[2 * (i - 1) + 1] = A.im[A.k(i, i)];
  }
  const info = lahqr(A, ilo, ihi, ww, Z);
  for (let t = 0; t < 2 * n; t++) w[2 * wo + t] = ww[t];
  if (vr === null || info > 0) return info;
  for (let j = 1; j <= n; j++)
    for (let i = j + 1; i <= n; i++) A.re[A.k(i, j)] = A.im[A.k(i, j)] = 0;
  const V = trevc(A, Z);
  // zgebak: scaling, then permutations
  for (let i = ilo; i <= ihi; i++)
    for (let j = 1; j <= n; j++) {
      V.re[V.k(i, j)] *= scale[i];
      V.im[V.k(i, j)] *= scale[i];
    }
  for (let ii = 1; ii <= n; ii++) {
    let i = ii;
    if (i >= ilo && i <= ihi) continue;
    if (i < ilo) i = ilo - ii;
    const kk = scale[i];
    if (kk !== i)
      for (let c = 1; c <= n; c++)
        for (const x of [V.re, V.im]) {
          const t = x[V.k(i, c)];
          x[V.k(i, c)] = x[V.k(kk, c)];
          x[V.k(kk, c)] = t;
        }
  }
  // zgeev's normalisation: unit 2-norm, the largest component real
  for (let j = 1; j <= n; j++) {
    let nrm = 0;
    for (let r = 1; r <= n; r++) nrm += V.re[V.k(r, j)] ** 2 + V.im[V.k(r, j)] ** 2;
    const scl = 1 / Math.sqrt(nrm);
    let best = -1;
    let kb = 1;
    for (let r = 1; r <= n; r++) {
      V.re[V.k(r, j)] *= scl;
      V.im[V.k(r, j)] *= scl;
      const m2 = V.re[V.k(r, j)] ** 2 + V.im[V.k(r, j)] ** 2;
      if (m2 > best) {
        best = m2;
        kb = r;
      }
    }
    const mag = Math.sqrt(best);
    const [tr, ti] = [V.re[V.k(kb, j)] / mag, -V.im[V.k(kb, j)] / mag];
    scal(
      V,
      range(1, n).map((r) => V.k(r, j)),
      tr,
      ti,
    );
    V.im[V.k(kb, j)] = 0;
  }
  for (let r = 1; r <= n; r++)
    for (let j = 1; j <= n; j++) {
      vr[2 * (vo + (r - 1) * n + (j - 1))] = V.re[V.k(r, j)];
      vr[2 * (vo + (r - 1) * n + (j - 1)) + 1] = V.im[V.k(r, j)];
    }
  return 0;
}
