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
 */

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
