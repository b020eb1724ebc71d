/**
 * Complex dense linear-algebra kernels on typed arrays (never Tensor), the complex twins of
 * ./linalg.ts's LU, Cholesky and triangular solve (LAPACK's zgetrf, zpotrf, ztrsm). Every
 * matrix is row-major at an offset of a Float64Array of interleaved (re, im) pairs: element
 * (i, j) of an n-column matrix at offset o is at o + 2 (i n + j) (real part) and the next slot
 * (imaginary part); offsets count Float64 slots. complex64 inputs are factored with Float64
 * accumulation and rounded once at the end.
 *
 * Note [complex pivots]: LAPACK's izamax picks the pivot of largest |re| + |im| (dcabs1), not
 * of largest modulus, and PyTorch's LU pivots are LAPACK's; so is the pivot here.
 *
 * LU, Cholesky and the triangular solve of large matrices go to their native twins
 * (native/linalg-complex.cc), from a quarter of ./linalg.ts's element threshold (a complex
 * multiply-add is four real ones; setNativeLinalgThreshold sets both): LU and Cholesky blocked,
 * their trailing updates matrix products, equal up to rounding (the same pivots but where two
 * candidates tie within rounding) and equal partial results where a factorization stops; the
 * triangular solve with each element's operations in the same order, so the same bits.
 */
import { getNativeLinalgThreshold } from "./linalg.js";
import { nativeKernels } from "./native.js";

const native = nativeKernels("linalg-complex");

/** whether an operation on `count` complex elements goes native (see the file's comment) */
const goNative = (count: number): boolean => 4 * count >= getNativeLinalgThreshold();

/** one-element scratch for the native calls' info */
const infoOut = new Float64Array(1);

/**
 * LU with partial pivoting (zgetrf) of the complex m x n matrix at `a[o..]`, in place: L (unit
 * diagonal, below) and U (on and above). `piv[po + j]` gets the 1-based row swapped with row j
 * (the first largest |re| + |im| of the column, Note [complex pivots]). Returns LAPACK's info:
 * 0, or the 1-based index of the first zero pivot (the factorization goes on past it).
 * `pivot` false: no row exchanges.
 */
export function zLuFactor(
  a: Float64Array,
  o: number,
  m: number,
  n: number,
  piv: Int32Array,
  po: number,
  pivot: boolean,
): number {
  const k = Math.min(m, n);
  if (goNative(m * n)) {
    const p = new Float64Array(k);
    if (native.zLuFactor(a, o, m, n, p, pivot ? 1 : 0, infoOut)) {
      for (let j = 0; j < k; j++) piv[po + j] = p[j];
      return infoOut[0];
    }
  }
  const at = (i: number, j: number): number => o + 2 * (i * n + j);
  let info = 0;
  for (let j = 0; j < k; j++) {
    let p = j;
    if (pivot) {
      let best = Math.abs(a[at(j, j)]) + Math.abs(a[at(j, j) + 1]);
      for (let i = j + 1; i < m; i++) {
        const v = Math.abs(a[at(i, j)]) + Math.abs(a[at(i, j) + 1]);
        if (v > best) {
          best = v;
          p = i;
        }
      }
    }
    piv[po + j] = p + 1;
    if (p !== j) {
      const rj = at(j, 0);
      const rp = at(p, 0);
      for (let c = 0; c < 2 * n; c++) {
        const t = a[rj + c];
        a[rj + c] = a[rp + c];
        a[rp + c] = t;
      }
    }
    const dr = a[at(j, j)];
    const di = a[at(j, j) + 1];
    if (dr === 0 && di === 0) {
      if (info === 0) info = j + 1;
      continue;
    }
    // 1 / d = conj(d) / |d|^2; the column is scaled by it (zgetf2's zscal by the reciprocal)
    const s = dr * dr + di * di;
    const ir = dr / s;
    const ii = -di / s;
    for (let i = j + 1; i < m; i++) {
      const q = at(i, j);
      const xr = a[q];
      const xi = a[q + 1];
      const lr = xr * ir - xi * ii;
      const li = xr * ii + xi * ir;
      a[q] = lr;
      a[q + 1] = li;
      if (lr === 0 && li === 0) continue;
      const rj = at(j, 0);
      const ri = at(i, 0);
      for (let c = j + 1; c < n; c++) {
        const ur = a[rj + 2 * c];
        const ui = a[rj + 2 * c + 1];
        a[ri + 2 * c] -= lr * ur - li * ui;
        a[ri + 2 * c + 1] -= lr * ui + li * ur;
      }
    }
  }
  return info;
}

/**
 * Cholesky A = L L^H (zpotrf) of the Hermitian n x n matrix at `a[o..]` (its lower triangle
 * read, the diagonal's real part only), in place: L below and on the diagonal (a real
 * positive diagonal), zeros above. Returns 0, or the order of the first leading minor that is
 * not positive-definite.
 */
export function zCholesky(a: Float64Array, o: number, n: number): number {
  if (goNative(n * n) && native.zCholesky(a, o, n, infoOut)) return infoOut[0];
  const at = (i: number, j: number): number => o + 2 * (i * n + j);
  for (let j = 0; j < n; j++) {
    const rj = at(j, 0);
    let s = a[rj + 2 * j];
    for (let k = 0; k < j; k++) s -= a[rj + 2 * k] ** 2 + a[rj + 2 * k + 1] ** 2;
    if (!(s > 0)) return j + 1;
    const d = Math.sqrt(s);
    a[rj + 2 * j] = d;
    a[rj + 2 * j + 1] = 0;
    for (let i = j + 1; i < n; i++) {
      const ri = at(i, 0);
      // l_ij = (a_ij - sum_k l_ik conj(l_jk)) / l_jj
      let tr = a[ri + 2 * j];
      let ti = a[ri + 2 * j + 1];
      for (let k = 0; k < j; k++) {
        const xr = a[ri + 2 * k];
        const xi = a[ri + 2 * k + 1];
        const yr = a[rj + 2 * k];
        const yi = a[rj + 2 * k + 1];
        tr -= xr * yr + xi * yi;
        ti -= xi * yr - xr * yi;
      }
      a[ri + 2 * j] = tr / d;
      a[ri + 2 * j + 1] = ti / d;
    }
  }
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      a[at(i, j)] = 0;
      a[at(i, j) + 1] = 0;
    }
  return 0;
}

/**
 * Solves op(T) X = B in place of the complex n x k matrix B at `b[bo..]`, T the complex n x n
 * triangular matrix at `t[to..]` (upper or lower triangle read; op = transpose when `trans`,
 * the conjugate transpose when `conj` too; unit diagonal assumed when `unit`). As ./linalg.ts's
 * triSolve: each unknown is its right-hand side times the diagonal's reciprocal and no zero is
 * skipped, so a zero pivot spreads inf/nan as PyTorch's.
 */
export function zTriSolve(
  t: Float64Array,
  to: number,
  b: Float64Array,
  bo: number,
  n: number,
  k: number,
  upper: boolean,
  trans: boolean,
  conj: boolean,
  unit: boolean,
): void {
  // the native twin gives the same bits (each element's operations in the same order)
  if (
    goNative(n * n) &&
    native.zTriSolve(t, to, b, bo, n, k, upper ? 1 : 0, trans ? 1 : 0, conj ? 1 : 0, unit ? 1 : 0)
  )
    return;
  const cs = trans && conj ? -1 : 1;
  // the slot of op(T)[i][j]'s real part (its imaginary part times cs is the next slot's)
  const at = trans
    ? (i: number, j: number) => to + 2 * (j * n + i)
    : (i: number, j: number) => to + 2 * (i * n + j);
  const backward = upper !== trans;
  for (let s = 0; s < n; s++) {
    const i = backward ? n - 1 - s : s;
    const ri = bo + 2 * i * k;
    if (!unit) {
      const q = at(i, i);
      const dr = t[q];
      const di = cs * t[q + 1];
      // 1 / d; a zero d gives inf/nan as the real solve's 1 / 0
      const m = dr * dr + di * di;
      const ir = dr / m;
      const ii = -di / m;
      for (let c = 0; c < k; c++) {
        const xr = b[ri + 2 * c];
        const xi = b[ri + 2 * c + 1];
        b[ri + 2 * c] = xr * ir - xi * ii;
        b[ri + 2 * c + 1] = xr * ii + xi * ir;
      }
    }
    const lo = backward ? 0 : i + 1;
    const hi = backward ? i : n;
    for (let r = lo; r < hi; r++) {
      const q = at(r, i);
      const tr = t[q];
      const ti = cs * t[q + 1];
      const rr = bo + 2 * r * k;
      for (let c = 0; c < k; c++) {
        const xr = b[ri + 2 * c];
        const xi = b[ri + 2 * c + 1];
        b[rr + 2 * c] -= tr * xr - ti * xi;
        b[rr + 2 * c + 1] -= tr * xi + ti * xr;
      }
    }
  }
}

/** a complex number as [re, im] (the LDL kernels' scalar arithmetic) */
type C = [number, number];
const cmul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
const cdiv = (a: C, b: C): C => {
  const m = b[0] * b[0] + b[1] * b[1];
  return [(a[0] * b[0] + a[1] * b[1]) / m, (a[1] * b[0] - a[0] * b[1]) / m];
};
const csub = (a: C, b: C): C => [a[0] - b[0], a[1] - b[1]];
const conjC = (a: C): C => [a[0], -a[1]];
/** LAPACK's dcabs1 */
const cabs1 = (re: number, im: number): number => Math.abs(re) + Math.abs(im);
/** Bunch-Kaufman's pivoting threshold (1 + sqrt 17) / 8 */
const BK_ALPHA = (1 + Math.sqrt(17)) / 8;

/**
 * The Bunch-Kaufman factorization P A P^T = L D L^T (complex symmetric, zsytf2) or
 * P A P^T = L D L^H (Hermitian, zhetf2: D real on its 1 x 1 blocks, the diagonal's imaginary
 * parts dropped) of the complex n x n matrix at `a[o..]`, its lower triangle read, in place;
 * the pivots and info as ./linalg.ts's ldlFactor (LAPACK's format). Pivot choices compare
 * |re| + |im| (izamax; Note [complex pivots]), and the diagonal's |re| for Hermitian A.
 */
export function zLdlFactor(
  a: Float64Array,
  o: number,
  n: number,
  piv: Int32Array,
  po: number,
  hermitian: boolean,
): number {
  const at = (i: number, j: number): number => o + 2 * (i * n + j);
  const get = (i: number, j: number): C => [a[at(i, j)], a[at(i, j) + 1]];
  const set = (i: number, j: number, v: C): void => {
    a[at(i, j)] = v[0];
    a[at(i, j) + 1] = v[1];
  };
  const abs1 = (i: number, j: number): number => cabs1(a[at(i, j)], a[at(i, j) + 1]);
  const realDiag = (i: number): void => {
    a[at(i, i) + 1] = 0;
  };
  const swap = (p: [number, number], q: [number, number], conjugate: boolean): void => {
    const x = get(p[0], p[1]);
    const y = get(q[0], q[1]);
    set(p[0], p[1], conjugate ? conjC(y) : y);
    set(q[0], q[1], conjugate ? conjC(x) : x);
  };
  let info = 0;
  let k = 0;
  while (k < n) {
    let kstep = 1;
    let kp = k;
    const absakk = hermitian ? Math.abs(a[at(k, k)]) : abs1(k, k);
    let imax = k;
    let colmax = 0;
    for (let i = k + 1; i < n; i++) {
      const v = abs1(i, k);
      if (i === k + 1 || v > colmax) {
        colmax = v;
        imax = i;
      }
    }
    if (Math.max(absakk, colmax) === 0 || Number.isNaN(absakk)) {
      if (info === 0) info = k + 1;
      if (hermitian) realDiag(k);
    } else {
      if (!(absakk >= BK_ALPHA * colmax)) {
        let rowmax = 0;
        for (let j = k; j < imax; j++) {
          const v = abs1(imax, j);
          if (j === k || v > rowmax) rowmax = v;
        }
        let cmax = -1;
        for (let i = imax + 1; i < n; i++) {
          const v = abs1(i, imax);
          if (cmax < 0 || v > cmax) cmax = v;
        }
        if (cmax >= 0) rowmax = Math.max(rowmax, cmax);
        const diagImax = hermitian ? Math.abs(a[at(imax, imax)]) : abs1(imax, imax);
        if (absakk >= BK_ALPHA * colmax * (colmax / rowmax)) kp = k;
        else if (diagImax >= BK_ALPHA * rowmax) kp = imax;
        else {
          kp = imax;
          kstep = 2;
        }
      }
      const kk = k + kstep - 1;
      if (kp !== kk) {
        // interchange rows and columns kk and kp of the trailing submatrix (lower triangle;
        // Hermitian: the entries crossing the diagonal conjugated)
        for (let i = kp + 1; i < n; i++) swap([i, kk], [i, kp], false);
        for (let j = kk + 1; j < kp; j++) swap([j, kk], [kp, j], hermitian);
        if (hermitian) {
          set(kp, kk, conjC(get(kp, kk)));
          const r1 = a[at(kk, kk)];
          set(kk, kk, [a[at(kp, kp)], 0]);
          set(kp, kp, [r1, 0]);
          if (kstep === 2) realDiag(k);
        } else swap([kk, kk], [kp, kp], false);
        if (kstep === 2) swap([k + 1, k], [kp, k], false);
      } else if (hermitian) {
        realDiag(k);
        if (kstep === 2) realDiag(k + 1);
      }
      if (kstep === 1) {
        if (k < n - 1) {
          if (hermitian) {
            // zher: A22 -= x x^H / d (d real; the diagonal kept real), then zdscal x / d
            const r1 = 1 / a[at(k, k)];
            for (let j = k + 1; j < n; j++) {
              const xj = get(j, k);
              if (xj[0] === 0 && xj[1] === 0) {
                realDiag(j);
                continue;
              }
              const temp: C = [-r1 * xj[0], r1 * xj[1]];
              a[at(j, j)] += cmul(xj, temp)[0];
              realDiag(j);
              for (let i = j + 1; i < n; i++) {
                const p = cmul(get(i, k), temp);
                a[at(i, j)] += p[0];
                a[at(i, j) + 1] += p[1];
              }
            }
            for (let i = k + 1; i < n; i++) {
              a[at(i, k)] *= r1;
              a[at(i, k) + 1] *= r1;
            }
          } else {
            // zsyr: A22 -= x x^T / d, then zscal x / d
            const d11 = cdiv([1, 0], get(k, k));
            const r: C = [-d11[0], -d11[1]];
            for (let j = k + 1; j < n; j++) {
              const xj = get(j, k);
              if (xj[0] === 0 && xj[1] === 0) continue;
              const temp = cmul(r, xj);
              for (let i = j; i < n; i++) {
                const p = cmul(get(i, k), temp);
                a[at(i, j)] += p[0];
                a[at(i, j) + 1] += p[1];
              }
            }
            for (let i = k + 1; i < n; i++) set(i, k, cmul(get(i, k), d11));
          }
        }
      } else if (k < n - 2) {
        if (hermitian) {
          const akk1 = get(k + 1, k);
          let d = Math.hypot(akk1[0], akk1[1]);
          const d11 = a[at(k + 1, k + 1)] / d;
          const d22 = a[at(k, k)] / d;
          const tt = 1 / (d11 * d22 - 1);
          const d21: C = [akk1[0] / d, akk1[1] / d];
          d = tt / d;
          for (let j = k + 2; j < n; j++) {
            const ajk = get(j, k);
            const ajk1 = get(j, k + 1);
            const w1 = csub([d11 * ajk[0], d11 * ajk[1]], cmul(d21, ajk1));
            const wk: C = [d * w1[0], d * w1[1]];
            const w2 = csub([d22 * ajk1[0], d22 * ajk1[1]], cmul(conjC(d21), ajk));
            const wkp1: C = [d * w2[0], d * w2[1]];
            for (let i = j; i < n; i++) {
              const u = cmul(get(i, k), conjC(wk));
              const v = cmul(get(i, k + 1), conjC(wkp1));
              a[at(i, j)] = a[at(i, j)] - u[0] - v[0];
              a[at(i, j) + 1] = a[at(i, j) + 1] - u[1] - v[1];
            }
            set(j, k, wk);
            set(j, k + 1, wkp1);
            realDiag(j);
          }
        } else {
          let d21 = get(k + 1, k);
          const d11 = cdiv(get(k + 1, k + 1), d21);
          const d22 = cdiv(get(k, k), d21);
          const t = cdiv([1, 0], csub(cmul(d11, d22), [1, 0]));
          d21 = cdiv(t, d21);
          for (let j = k + 2; j < n; j++) {
            const ajk = get(j, k);
            const ajk1 = get(j, k + 1);
            const wk = cmul(d21, csub(cmul(d11, ajk), ajk1));
            const wkp1 = cmul(d21, csub(cmul(d22, ajk1), ajk));
            for (let i = j; i < n; i++) {
              const u = cmul(get(i, k), wk);
              const v = cmul(get(i, k + 1), wkp1);
              a[at(i, j)] = a[at(i, j)] - u[0] - v[0];
              a[at(i, j) + 1] = a[at(i, j) + 1] - u[1] - v[1];
            }
            set(j, k, wk);
            set(j, k + 1, wkp1);
          }
        }
      }
    }
    if (kstep === 1) piv[po + k] = kp + 1;
    else {
      piv[po + k] = -(kp + 1);
      piv[po + k + 1] = -(kp + 1);
    }
    k += kstep;
  }
  return info;
}

/**
 * Solves A X = B in place of the complex n x c matrix at `b[bo..]` from zLdlFactor's
 * (LD, pivots) of A, as LAPACK's zsytrs (symmetric) or zhetrs (Hermitian) with uplo 'L':
 * L D Y = P B forward, then L^T X = Y (L^H for Hermitian A) backward with the swaps undone.
 */
export function zLdlSolve(
  ld: Float64Array,
  o: number,
  n: number,
  piv: ArrayLike<number>,
  po: number,
  b: Float64Array,
  bo: number,
  c: number,
  hermitian: boolean,
): void {
  const L = (i: number, j: number): C => [ld[o + 2 * (i * n + j)], ld[o + 2 * (i * n + j) + 1]];
  const B = (i: number, j: number): C => [b[bo + 2 * (i * c + j)], b[bo + 2 * (i * c + j) + 1]];
  const setB = (i: number, j: number, v: C): void => {
    b[bo + 2 * (i * c + j)] = v[0];
    b[bo + 2 * (i * c + j) + 1] = v[1];
  };
  const swapRows = (i: number, j: number): void => {
    if (i === j) return;
    for (let col = 0; col < c; col++) {
      const t = B(i, col);
      setB(i, col, B(j, col));
      setB(j, col, t);
    }
  };
  // B(from.., :) -= L(from.., col) B(row, :)   (zgeru with alpha -1)
  const geru = (from: number, col: number, row: number): void => {
    for (let jc = 0; jc < c; jc++) {
      const y = B(row, jc);
      if (y[0] === 0 && y[1] === 0) continue;
      const temp: C = [-y[0], -y[1]];
      for (let i = from; i < n; i++) {
        const p = cmul(L(i, col), temp);
        b[bo + 2 * (i * c + jc)] += p[0];
        b[bo + 2 * (i * c + jc) + 1] += p[1];
      }
    }
  };
  // B(row, :) -= sum_{i >= from} B(i, :) op(L(i, col)), op = conj for Hermitian A (zgemv)
  const gemv = (from: number, col: number, row: number): void => {
    for (let jc = 0; jc < c; jc++) {
      let t: C = [0, 0];
      for (let i = from; i < n; i++) {
        const l = L(i, col);
        const p = cmul(B(i, jc), hermitian ? conjC(l) : l);
        t = [t[0] + p[0], t[1] + p[1]];
      }
      setB(row, jc, csub(B(row, jc), t));
    }
  };
  let k = 0;
  while (k < n) {
    const p = piv[po + k];
    if (p > 0) {
      swapRows(k, p - 1);
      if (k < n - 1) geru(k + 1, k, k);
      if (hermitian) {
        const s = 1 / L(k, k)[0];
        for (let jc = 0; jc < c; jc++) {
          const v = B(k, jc);
          setB(k, jc, [v[0] * s, v[1] * s]);
        }
      } else {
        const inv = cdiv([1, 0], L(k, k));
        for (let jc = 0; jc < c; jc++) setB(k, jc, cmul(B(k, jc), inv));
      }
      k += 1;
    } else {
      swapRows(k + 1, -p - 1);
      if (k < n - 2) {
        geru(k + 2, k, k);
        geru(k + 2, k + 1, k + 1);
      }
      const akm1k = L(k + 1, k);
      const first = hermitian ? conjC(akm1k) : akm1k;
      const akm1 = cdiv(L(k, k), first);
      const ak = cdiv(L(k + 1, k + 1), akm1k);
      const denom = csub(cmul(akm1, ak), [1, 0]);
      for (let jc = 0; jc < c; jc++) {
        const bkm1 = cdiv(B(k, jc), first);
        const bk = cdiv(B(k + 1, jc), akm1k);
        setB(k, jc, cdiv(csub(cmul(ak, bkm1), bk), denom));
        setB(k + 1, jc, cdiv(csub(cmul(akm1, bk), bkm1), denom));
      }
      k += 2;
    }
  }
  k = n - 1;
  while (k >= 0) {
    const p = piv[po + k];
    if (p > 0) {
      if (k < n - 1) gemv(k + 1, k, k);
      swapRows(k, p - 1);
      k -= 1;
    } else {
      if (k < n - 1) {
        gemv(k + 1, k, k);
        gemv(k + 1, k - 1, k - 1);
      }
      swapRows(k, -p - 1);
      k -= 2;
    }
  }
}
