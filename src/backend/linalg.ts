/**
 * Dense linear-algebra kernels on typed arrays (never Tensor): LU with partial pivoting,
 * Cholesky, LDL^T (Bunch-Kaufman, as LAPACK's sytf2/sytrs), triangular solves, Householder QR
 * (LAPACK's geqrf/ormqr conventions), the symmetric eigenproblem (cyclic Jacobi;
 * tridiagonalization and QL from order 32) and the matrix exponential (scaling and squaring
 * with a degree-18
 * Taylor polynomial). Every matrix is row-major at an offset of a Float64Array, so float32
 * inputs are factored with Float64 accumulation and rounded once at the end.
 *
 * LU and Cholesky of large matrices go to their blocked native twins (native/linalg.cc), whose
 * trailing updates are matrix products: equal up to rounding, and equal partial results where
 * a factorization stops (Note [factorization fallback] there). The triangular solve, the
 * tridiagonal eigensolver and the Jacobi sweeps of the SVD have native twins that give the same
 * bits (each element's operations in the same order, Note [exact vector loops] there), from
 * the same size on; from 48 columns the native SVD is Golub-Kahan instead of the sweeps, equal
 * up to rounding and the singular vectors' signs (Note [Golub-Kahan SVD] there).
 */
import { nativeKernels } from "./native.js";

const native = nativeKernels("linalg");

/** Elements (m n) from which LU and Cholesky go native: one 64-column panel's worth. */
let nativeMin = 64 * 64;

/** Set the element threshold (tests use 0 to send every call native, Infinity for none). */
export function setNativeLinalgThreshold(n: number): void {
  nativeMin = n;
}

export function getNativeLinalgThreshold(): number {
  return nativeMin;
}

/** one-element scratch for the native calls' info */
const infoOut = new Float64Array(1);

/**
 * LU with partial pivoting (LAPACK's getrf) of the m x n matrix at `a[o..]`, in place: L (unit
 * diagonal, below) and U (on and above). `piv[po + j]` gets the 1-based row swapped with row j
 * (the first largest |a_ij| of the column, as idamax). Returns LAPACK's info: 0, or the
 * 1-based index of the first zero pivot (the factorization goes on past it). `pivot` false:
 * no row exchanges (piv[j] = j + 1).
 */
export function luFactor(
  a: Float64Array,
  o: number,
  m: number,
  n: number,
  piv: Int32Array,
  po: number,
  pivot: boolean,
): number {
  const k = Math.min(m, n);
  if (m * n >= nativeMin) {
    const p = new Float64Array(k);
    if (native.luFactor(a, o, m, n, p, pivot ? 1 : 0, infoOut)) {
      for (let j = 0; j < k; j++) piv[po + j] = p[j];
      return infoOut[0];
    }
  }
  let info = 0;
  for (let j = 0; j < k; j++) {
    let p = j;
    if (pivot) {
      let best = Math.abs(a[o + j * n + j]);
      for (let i = j + 1; i < m; i++) {
        const v = Math.abs(a[o + i * n + j]);
        if (v > best) {
          best = v;
          p = i;
        }
      }
    }
    piv[po + j] = p + 1;
    if (p !== j) {
      const rj = o + j * n;
      const rp = o + p * n;
      for (let c = 0; c < n; c++) {
        const t = a[rj + c];
        a[rj + c] = a[rp + c];
        a[rp + c] = t;
      }
    }
    const d = a[o + j * n + j];
    if (d === 0) {
      if (info === 0) info = j + 1;
      continue;
    }
    for (let i = j + 1; i < m; i++) {
      const ri = o + i * n;
      const l = (a[ri + j] /= d);
      if (l === 0) continue;
      const rj = o + j * n;
      for (let c = j + 1; c < n; c++) a[ri + c] -= l * a[rj + c];
    }
  }
  return info;
}

/**
 * Cholesky A = L L^T of the symmetric n x n matrix at `a[o..]` (its lower triangle is read), in
 * place: L below and on the diagonal, zeros above. Returns 0, or the order of the first leading
 * minor that is not positive-definite (LAPACK's potrf info).
 */
export function cholesky(a: Float64Array, o: number, n: number): number {
  if (n * n >= nativeMin && native.cholesky(a, o, n, infoOut)) return infoOut[0];
  for (let j = 0; j < n; j++) {
    const rj = o + j * n;
    let s = a[rj + j];
    for (let k = 0; k < j; k++) s -= a[rj + k] * a[rj + k];
    if (!(s > 0)) return j + 1;
    const d = Math.sqrt(s);
    a[rj + j] = d;
    for (let i = j + 1; i < n; i++) {
      const ri = o + i * n;
      let t = a[ri + j];
      for (let k = 0; k < j; k++) t -= a[ri + k] * a[rj + k];
      a[ri + j] = t / d;
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[o + i * n + j] = 0;
  return 0;
}

/**
 * Solves op(T) X = B in place of the n x k matrix B at `b[bo..]`, T the n x n triangular matrix
 * at `t[to..]` (upper or lower triangle read; op = transpose when `trans`; unit diagonal
 * assumed when `unit`). As OpenBLAS's trsm kernels: each unknown is its right-hand side times
 * the diagonal's reciprocal, and no zero is skipped, so a zero pivot gives the same inf/nan
 * pattern as PyTorch (0 * inf = nan spreads through the later updates).
 */
export function triSolve(
  t: Float64Array,
  to: number,
  b: Float64Array,
  bo: number,
  n: number,
  k: number,
  upper: boolean,
  trans: boolean,
  unit: boolean,
): void {
  // the native twin gives the same bits (each element's operations in the same order)
  if (
    n * n >= nativeMin &&
    native.triSolve(t, to, b, bo, n, k, upper ? 1 : 0, trans ? 1 : 0, unit ? 1 : 0)
  )
    return;
  // op(T)[i][j]
  const at = trans
    ? (i: number, j: number) => t[to + j * n + i]
    : (i: number, j: number) => t[to + i * n + j];
  // op(T) is upper triangular when T is upper and not transposed, or lower and transposed:
  // back substitution from the last row, else forward from the first
  const backward = upper !== trans;
  for (let s = 0; s < n; s++) {
    const i = backward ? n - 1 - s : s;
    const ri = bo + i * k;
    if (!unit) {
      const inv = 1 / at(i, i);
      for (let c = 0; c < k; c++) b[ri + c] *= inv;
    }
    // eliminate unknown i from the rows still to solve
    if (backward)
      for (let r = 0; r < i; r++) {
        const tri = at(r, i);
        const rr = bo + r * k;
        for (let c = 0; c < k; c++) b[rr + c] -= tri * b[ri + c];
      }
    else
      for (let r = i + 1; r < n; r++) {
        const tri = at(r, i);
        const rr = bo + r * k;
        for (let c = 0; c < k; c++) b[rr + c] -= tri * b[ri + c];
      }
  }
}

/**
 * Householder QR as LAPACK's geqrf (unblocked dgeqr2 with dlarfg's reflectors), in place of the
 * m x n matrix at `a[o..]`: R on and above the diagonal, the reflectors' vectors v (v_0 = 1
 * implicit) below, H_j = I - tau_j v v^T with tau in `tau[to..to + min(m, n))`.
 * dlarfg: beta = -sign(alpha) * ||(alpha, x)||, tau = (beta - alpha) / beta, v = x / (alpha - beta);
 * tau = 0 (H = I) when x = 0.
 */
export function geqrf(
  a: Float64Array,
  o: number,
  m: number,
  n: number,
  tau: Float64Array,
  to: number,
): void {
  const k = Math.min(m, n);
  for (let j = 0; j < k; j++) {
    const alpha = a[o + j * n + j];
    let xnorm2 = 0;
    for (let i = j + 1; i < m; i++) xnorm2 += a[o + i * n + j] ** 2;
    if (xnorm2 === 0) {
      tau[to + j] = 0;
      continue;
    }
    const norm = Math.hypot(alpha, Math.sqrt(xnorm2));
    const beta = alpha >= 0 ? -norm : norm;
    const tj = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    for (let i = j + 1; i < m; i++) a[o + i * n + j] *= scale;
    a[o + j * n + j] = beta;
    tau[to + j] = tj;
    // apply H_j = I - tau v v^T to the trailing columns: a[:, c] -= tau v (v^T a[:, c])
    for (let c = j + 1; c < n; c++) {
      let s = a[o + j * n + c];
      for (let i = j + 1; i < m; i++) s += a[o + i * n + j] * a[o + i * n + c];
      s *= tj;
      a[o + j * n + c] -= s;
      for (let i = j + 1; i < m; i++) a[o + i * n + c] -= s * a[o + i * n + j];
    }
  }
}

/**
 * LAPACK's ormqr: C <- op(Q) C (left) or C op(Q) (right), Q = H_0 H_1 ... H_{k-1} from the
 * reflectors in the columns of the mA x k... matrix at `a[ao..]` (row stride `lda`, v_j with
 * v_j[j] = 1 implicit and zeros above) and `tau`; op(Q) = Q^T when `trans`. C is r x c at
 * `cm[co..]`; the reflectors have length r (left) or c (right).
 */
export function ormqr(
  a: Float64Array,
  ao: number,
  lda: number,
  k: number,
  tau: Float64Array,
  to: number,
  cm: Float64Array,
  co: number,
  r: number,
  c: number,
  left: boolean,
  trans: boolean,
): void {
  const len = left ? r : c;
  const v = new Float64Array(len);
  // Q C = H_0 (H_1 (... H_{k-1} C)): reflectors applied last-first; Q^T C first-last.
  // C Q = ((C H_0) H_1) ...: first-last; C Q^T last-first.
  const forward = left === trans;
  for (let s = 0; s < k; s++) {
    const j = forward ? s : k - 1 - s;
    const tj = tau[to + j];
    if (tj === 0) continue;
    v.fill(0);
    v[j] = 1;
    for (let i = j + 1; i < len; i++) v[i] = a[ao + i * lda + j];
    if (left) {
      // C <- C - tau v (v^T C)
      for (let col = 0; col < c; col++) {
        let sum = 0;
        for (let i = j; i < r; i++) sum += v[i] * cm[co + i * c + col];
        sum *= tj;
        for (let i = j; i < r; i++) cm[co + i * c + col] -= sum * v[i];
      }
    } else {
      // C <- C - tau (C v) v^T
      for (let row = 0; row < r; row++) {
        const rr = co + row * c;
        let sum = 0;
        for (let i = j; i < c; i++) sum += cm[rr + i] * v[i];
        sum *= tj;
        for (let i = j; i < c; i++) cm[rr + i] -= sum * v[i];
      }
    }
  }
}

/** From this order on, symEig tridiagonalizes (O(n^3) once) instead of Jacobi sweeps. */
const TRIDIAGONAL_MIN = 32;

/**
 * The symmetric eigenproblem of the full symmetric n x n matrix `a` (row-major, destroyed) by
 * Householder tridiagonalization and the implicit QL iteration (EISPACK's tred2 and tql2, as
 * JAMA writes them): eigenvalues into `d` (unsorted), eigenvectors as the rows of `z`. Returns
 * false when the QL iteration does not converge within 30 n steps (then the caller falls back
 * to Jacobi).
 */
export function tridiagonalEig(
  a: Float64Array,
  n: number,
  d: Float64Array,
  z: Float64Array,
): boolean {
  // the native twin (native/linalg.cc) gives the same bits: Note [V8's hypot] there
  if (n * n >= nativeMin && native.tridiagonalEig(a, n, d, z, infoOut)) return infoOut[0] === 1;
  const V = a;
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  // tred2: Householder reduction to tridiagonal form, accumulating the transformations in V
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
  // the eigenvector matrix transposed: the QL rotations then combine contiguous rows
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) z[i * n + k] = V[k * n + i];
  // tql2: implicit QL with Wilkinson shifts on the tridiagonal (d, e)
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  let steps = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n && Math.abs(e[m]) > eps * tst1) m++;
    if (m === n) m = n - 1;
    if (m > l) {
      do {
        if (++steps > 30 * n) return false;
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const zi = i * n;
          const zj = zi + n;
          for (let k = 0; k < n; k++) {
            const t = z[zj + k];
            z[zj + k] = s * z[zi + k] + c * t;
            z[zi + k] = c * z[zi + k] - s * t;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  return true;
}

/**
 * The symmetric eigenproblem of the n x n matrix at `a[o..]` (the triangle chosen by `upper` is
 * read and mirrored) by cyclic Jacobi rotations: eigenvalues ascending into `w[wo..]`, the
 * orthonormal eigenvectors as the columns of the n x n matrix at `v[vo..]` (when given), each
 * signed so that its largest-magnitude entry is positive. An eigenvector's sign is a gauge
 * LAPACK fixes its own way, so only gauge-invariant quantities compare with PyTorch.
 */
export function symEig(
  src: Float64Array,
  o: number,
  n: number,
  upper: boolean,
  w: Float64Array,
  wo: number,
  v: Float64Array | null,
  vo: number,
): void {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const lowerPart = i >= j;
      const x = upper === !lowerPart || i === j ? src[o + i * n + j] : src[o + j * n + i];
      a[i * n + j] = x;
    }
  if (n >= TRIDIAGONAL_MIN && a.every(Number.isFinite)) {
    const d = new Float64Array(n);
    const z = new Float64Array(n * n);
    if (tridiagonalEig(a.slice(), n, d, z)) {
      sortedEigen(d, (k, i) => z[i * n + k], n, w, wo, v, vo);
      return;
    }
  }
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let r = p + 1; r < n; r++) {
        const apr = a[p * n + r];
        if (apr === 0) continue;
        const app = a[p * n + p];
        const arr = a[r * n + r];
        // rotation zeroing a_pr: tan(2θ) = 2 a_pr / (a_rr - a_pp), t = tan θ (the smaller root)
        const theta = (arr - app) / (2 * apr);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akr = a[k * n + r];
          a[k * n + p] = c * akp - s * akr;
          a[k * n + r] = s * akp + c * akr;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const ark = a[r * n + k];
          a[p * n + k] = c * apk - s * ark;
          a[r * n + k] = s * apk + c * ark;
        }
        for (let k = 0; k < n; k++) {
          const qkp = q[k * n + p];
          const qkr = q[k * n + r];
          q[k * n + p] = c * qkp - s * qkr;
          q[k * n + r] = s * qkp + c * qkr;
        }
      }
    }
  }
  const diag = Float64Array.from({ length: n }, (_x, i) => a[i * n + i]);
  sortedEigen(diag, (k, i) => q[k * n + i], n, w, wo, v, vo);
}

/**
 * Eigenvalues `d` ascending into `w[wo..]`, and eigenvector i (entry k: `vec(k, i)`) as column
 * c of the n x n matrix at `v[vo..]` in the same order, signed so that its largest-magnitude
 * entry is positive (a fixed gauge).
 */
function sortedEigen(
  d: Float64Array,
  vec: (k: number, i: number) => number,
  n: number,
  w: Float64Array,
  wo: number,
  v: Float64Array | null,
  vo: number,
): void {
  const order = Array.from({ length: n }, (_x, i) => i).sort((i, j) => d[i] - d[j]);
  for (let c = 0; c < n; c++) {
    const src = order[c];
    w[wo + c] = d[src];
    if (v !== null) {
      let big = 0;
      for (let k = 0; k < n; k++) if (Math.abs(vec(k, src)) > Math.abs(big)) big = vec(k, src);
      const sg = big < 0 ? -1 : 1;
      for (let k = 0; k < n; k++) v[vo + k * n + c] = sg * vec(k, src);
    }
  }
}

/** C = A B for n x n matrices (row-major, no offsets) */
function matmulSq(a: Float64Array, b: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
    }
  return c;
}

/**
 * exp(A) of the n x n matrix at `a[o..]` into `out[oo..]`: A is scaled by 2^-s so that its
 * 1-norm is at most 1/2, exp is summed as the Taylor series to machine precision (its terms
 * fall below 2^-60 of the sum within 30 terms at that norm), then squared s times.
 */
export function matrixExp(
  a: Float64Array,
  o: number,
  n: number,
  out: Float64Array,
  oo: number,
): void {
  let norm = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[o + i * n + j]);
    norm = Math.max(norm, s);
  }
  if (!Number.isFinite(norm)) {
    for (let i = 0; i < n * n; i++) out[oo + i] = NaN;
    return;
  }
  const s = norm > 0.5 ? Math.ceil(Math.log2(norm / 0.5)) : 0;
  const scale = 2 ** -s;
  const x = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) x[i] = a[o + i] * scale;
  let sum = new Float64Array(n * n);
  let term = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    sum[i * n + i] = 1;
    term[i * n + i] = 1;
  }
  for (let k = 1; k < 40; k++) {
    term = matmulSq(term, x, n);
    let tmax = 0;
    let smax = 0;
    for (let i = 0; i < n * n; i++) {
      term[i] /= k;
      sum[i] += term[i];
      tmax = Math.max(tmax, Math.abs(term[i]));
      smax = Math.max(smax, Math.abs(sum[i]));
    }
    if (tmax <= 1e-18 * smax) break;
  }
  for (let k = 0; k < s; k++) sum = matmulSq(sum, sum, n);
  out.set(sum, oo);
}

/**
 * Columns `from..` of the m x c matrix at `u[uo..]` completed to an orthonormal set: each is
 * the first unit vector e_i left non-zero by Gram-Schmidt (twice, for accuracy) against the
 * columns before it. Used for the singular vectors of zero singular values and for the
 * complete U of a tall matrix.
 */
export function completeBasis(
  u: Float64Array,
  uo: number,
  m: number,
  c: number,
  from: number,
): void {
  const v = new Float64Array(m);
  let cand = 0;
  for (let j = from; j < c; j++) {
    for (; cand < m; cand++) {
      v.fill(0);
      v[cand] = 1;
      for (let pass = 0; pass < 2; pass++)
        for (let p = 0; p < j; p++) {
          let d = 0;
          for (let i = 0; i < m; i++) d += u[uo + i * c + p] * v[i];
          for (let i = 0; i < m; i++) v[i] -= d * u[uo + i * c + p];
        }
      let nrm = 0;
      for (let i = 0; i < m; i++) nrm += v[i] * v[i];
      nrm = Math.sqrt(nrm);
      if (nrm > 1e-8) {
        for (let i = 0; i < m; i++) u[uo + i * c + j] = v[i] / nrm;
        cand++;
        break;
      }
    }
  }
}

/**
 * The SVD of the m x n matrix at `a[o..]` with m >= n by one-sided Jacobi (Hestenes): column
 * pairs of W = A V are rotated until orthogonal, then S_j = ||W_j|| (descending), U_j = W_j / S_j.
 * Writes S into `s[so..so + n)`, U (m x uc, uc = n or m: the complete basis) at `u[uo..]` and V
 * (n x n) at `v[vo..]`; u/v null: singular values only.
 */
export function svdJacobi(
  a: Float64Array,
  o: number,
  m: number,
  n: number,
  s: Float64Array,
  so: number,
  u: Float64Array | null,
  uo: number,
  uc: number,
  v: Float64Array | null,
  vo: number,
): void {
  const w = new Float64Array(m * n);
  const q = new Float64Array(n * n);
  jacobiSweeps(a, o, m, n, w, q);
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let t = 0;
    for (let i = 0; i < m; i++) t += w[i * n + j] ** 2;
    norms[j] = Math.sqrt(t);
  }
  const order = Array.from({ length: n }, (_x, i) => i).sort((x, y) => norms[y] - norms[x]);
  const big = n > 0 ? norms[order[0]] : 0;
  let rank = n;
  for (let c = 0; c < n; c++) {
    const j = order[c];
    s[so + c] = norms[j];
    if (rank === n && !(norms[j] > big * 1e-300)) rank = c;
    if (v !== null) for (let i = 0; i < n; i++) v[vo + i * n + c] = q[i * n + j];
    if (u !== null && c < rank)
      for (let i = 0; i < m; i++) u[uo + i * uc + c] = w[i * n + j] / norms[j];
  }
  if (u !== null) completeBasis(u, uo, m, uc, rank);
}

/**
 * One-sided Jacobi (Hestenes) on the m x n matrix at `a[o..]`: W = A Q with the column pairs
 * of W rotated until orthogonal (each rotation zeroes a pair's inner product), sweeping all
 * pairs until a sweep rotates none (at most 80; a pair is orthogonal when its cosine is at
 * most sqrt(m) eps). Writes W (m x n) into `w` and the accumulated
 * rotations Q (n x n) into `q`. The native twin gives the same bits below 48 columns; from 48
 * (finite input) it is Golub-Kahan's W = U diag(S), Q = V (Note [Golub-Kahan SVD] in
 * native/linalg.cc): another orthogonal Q, the same column norms S up to rounding.
 */
/** jacobiSweeps' partial sums: alpha's, beta's, gamma's, four each */
const jacobiAcc = new Float64Array(12);

export function jacobiSweeps(
  a: Float64Array,
  o: number,
  m: number,
  n: number,
  w: Float64Array,
  q: Float64Array,
): void {
  if (m * n >= nativeMin && native.svdJacobi(a, o, m, n, w, q)) return;
  for (let i = 0; i < m * n; i++) w[i] = a[o + i];
  q.fill(0);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  // a pair counts as orthogonal when its cosine is at most sqrt(m) eps (LAPACK's dgesvj): a
  // tighter bound keeps rotating on rounding noise (twice the sweeps, no accuracy gained)
  const tol = Math.sqrt(m) * 2 ** -52;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++)
      for (let r = p + 1; r < n; r++) {
        // the three inner products by four interleaved partial sums (row i into sum i mod 4,
        // combined pairwise): independent additions, which the native twin vectorizes
        const acc = jacobiAcc.fill(0);
        for (let i = 0; i < m; i++) {
          const wp = w[i * n + p];
          const wr = w[i * n + r];
          const l = i & 3;
          acc[l] += wp * wp;
          acc[4 + l] += wr * wr;
          acc[8 + l] += wp * wr;
        }
        const alpha = acc[0] + acc[1] + (acc[2] + acc[3]);
        const beta = acc[4] + acc[5] + (acc[6] + acc[7]);
        const gamma = acc[8] + acc[9] + (acc[10] + acc[11]);
        if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const sn = c * t;
        for (let i = 0; i < m; i++) {
          const wp = w[i * n + p];
          const wr = w[i * n + r];
          w[i * n + p] = c * wp - sn * wr;
          w[i * n + r] = sn * wp + c * wr;
        }
        for (let i = 0; i < n; i++) {
          const qp = q[i * n + p];
          const qr = q[i * n + r];
          q[i * n + p] = c * qp - sn * qr;
          q[i * n + r] = sn * qp + c * qr;
        }
      }
    if (!rotated) break;
  }
}

/** Bunch-Kaufman's pivoting threshold (1 + sqrt 17) / 8: bounds the growth of the factors. */
const BK_ALPHA = (1 + Math.sqrt(17)) / 8;
/** the smallest normal double, LAPACK's dlamch('S') */
const SFMIN = 2 ** -1022;

/**
 * The Bunch-Kaufman factorization P A P^T = L D L^T of the symmetric n x n matrix at `a[o..]`
 * (its lower triangle read) in place, as LAPACK's dsytf2 with uplo 'L' (what sytrf runs below
 * its block size): D's 1 x 1 and 2 x 2 blocks on and below the diagonal, L's multipliers
 * (unit diagonal implicit) below them. `piv[po + k]` in LAPACK's format (1-based): k > 0 a
 * 1 x 1 block after swapping rows/columns k and piv[k]; a 2 x 2 block at k, k + 1 has
 * piv[k] = piv[k + 1] = -p after swapping k + 1 and p. The upper triangle is left as read.
 * Returns info: 0, or the 1-based index of the first exactly zero D(k, k) (the factorization
 * completes, D is singular).
 */
export function ldlFactor(
  a: Float64Array,
  o: number,
  n: number,
  piv: Int32Array,
  po: number,
): number {
  const at = (i: number, j: number): number => o + i * n + j;
  const swap = (p: number, q: number): void => {
    const t = a[p];
    a[p] = a[q];
    a[q] = t;
  };
  let info = 0;
  let k = 0;
  while (k < n) {
    let kstep = 1;
    let kp = k;
    const absakk = Math.abs(a[at(k, k)]);
    // the largest off-diagonal entry of column k (idamax: the first largest)
    let imax = k;
    let colmax = 0;
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[at(i, k)]);
      if (i === k + 1 || v > colmax) {
        colmax = v;
        imax = i;
      }
    }
    if (Math.max(absakk, colmax) === 0 || Number.isNaN(absakk)) {
      // column k is zero: D(k, k) = 0, nothing to eliminate
      if (info === 0) info = k + 1;
    } else {
      if (!(absakk >= BK_ALPHA * colmax)) {
        // the largest off-diagonal entry of row/column imax
        let rowmax = 0;
        for (let j = k; j < imax; j++) {
          const v = Math.abs(a[at(imax, j)]);
          if (j === k || v > rowmax) rowmax = v;
        }
        let cmax = -1;
        for (let i = imax + 1; i < n; i++) {
          const v = Math.abs(a[at(i, imax)]);
          if (cmax < 0 || v > cmax) cmax = v;
        }
        if (cmax >= 0) rowmax = Math.max(rowmax, cmax);
        if (absakk >= BK_ALPHA * colmax * (colmax / rowmax)) kp = k;
        else if (Math.abs(a[at(imax, imax)]) >= BK_ALPHA * rowmax) kp = imax;
        else {
          kp = imax;
          kstep = 2;
        }
      }
      const kk = k + kstep - 1;
      if (kp !== kk) {
        // interchange rows and columns kk and kp of the trailing submatrix (lower triangle)
        for (let i = kp + 1; i < n; i++) swap(at(i, kk), at(i, kp));
        for (let j = kk + 1; j < kp; j++) swap(at(j, kk), at(kp, j));
        swap(at(kk, kk), at(kp, kp));
        if (kstep === 2) swap(at(k + 1, k), at(kp, k));
      }
      if (kstep === 1) {
        if (k < n - 1) {
          // A22 -= x x^T / d (dsyr, lower), then the multipliers x / d
          const akk = a[at(k, k)];
          const small = !(Math.abs(akk) >= SFMIN);
          if (small) for (let i = k + 1; i < n; i++) a[at(i, k)] /= akk;
          const r = small ? -akk : -(1 / akk);
          for (let j = k + 1; j < n; j++) {
            const xj = a[at(j, k)];
            if (xj === 0) continue;
            const temp = r * xj;
            for (let i = j; i < n; i++) a[at(i, j)] += a[at(i, k)] * temp;
          }
          if (!small) {
            const d11 = 1 / akk;
            for (let i = k + 1; i < n; i++) a[at(i, k)] *= d11;
          }
        }
      } else if (k < n - 2) {
        // the 2 x 2 pivot D = [[d_kk, d_k1k], [d_k1k, d_k1k1]]: columns k, k + 1 of L are
        // A(k+2:, k:k+2) D^{-1}, and A22 -= that times the same columns of A
        let d21 = a[at(k + 1, k)];
        const d11 = a[at(k + 1, k + 1)] / d21;
        const d22 = a[at(k, k)] / d21;
        const t = 1 / (d11 * d22 - 1);
        d21 = t / d21;
        for (let j = k + 2; j < n; j++) {
          const wk = d21 * (d11 * a[at(j, k)] - a[at(j, k + 1)]);
          const wkp1 = d21 * (d22 * a[at(j, k + 1)] - a[at(j, k)]);
          for (let i = j; i < n; i++)
            a[at(i, j)] = a[at(i, j)] - a[at(i, k)] * wk - a[at(i, k + 1)] * wkp1;
          a[at(j, k)] = wk;
          a[at(j, k + 1)] = wkp1;
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
 * Solves A X = B in place of the n x c matrix at `b[bo..]` from ldlFactor's (LD, pivots) of A,
 * as LAPACK's dsytrs with uplo 'L': L D Y = P B forward (swaps, eliminations, D's blocks
 * inverted), then L^T X = Y backward with the swaps undone.
 */
export function ldlSolve(
  ld: Float64Array,
  o: number,
  n: number,
  piv: ArrayLike<number>,
  po: number,
  b: Float64Array,
  bo: number,
  c: number,
): void {
  const L = (i: number, j: number): number => ld[o + i * n + j];
  const swapRows = (i: number, j: number): void => {
    if (i === j) return;
    for (let col = 0; col < c; col++) {
      const t = b[bo + i * c + col];
      b[bo + i * c + col] = b[bo + j * c + col];
      b[bo + j * c + col] = t;
    }
  };
  // B(rows from.., :) -= L(from.., col) B(row, :)   (dger with alpha -1)
  const ger = (from: number, col: number, row: number): void => {
    for (let jc = 0; jc < c; jc++) {
      const y = b[bo + row * c + jc];
      if (y === 0) continue;
      const temp = -y;
      for (let i = from; i < n; i++) b[bo + i * c + jc] += L(i, col) * temp;
    }
  };
  // B(row, :) -= sum_{i > from - 1} B(i, :) L(i, col)   (dgemv transposed, alpha -1, beta 1)
  const gemvT = (from: number, col: number, row: number): void => {
    for (let jc = 0; jc < c; jc++) {
      let temp = 0;
      for (let i = from; i < n; i++) temp += b[bo + i * c + jc] * L(i, col);
      b[bo + row * c + jc] += -temp;
    }
  };
  let k = 0;
  while (k < n) {
    const p = piv[po + k];
    if (p > 0) {
      swapRows(k, p - 1);
      if (k < n - 1) ger(k + 1, k, k);
      const inv = 1 / L(k, k);
      for (let jc = 0; jc < c; jc++) b[bo + k * c + jc] *= inv;
      k += 1;
    } else {
      swapRows(k + 1, -p - 1);
      if (k < n - 2) {
        ger(k + 2, k, k);
        ger(k + 2, k + 1, k + 1);
      }
      const akm1k = L(k + 1, k);
      const akm1 = L(k, k) / akm1k;
      const ak = L(k + 1, k + 1) / akm1k;
      const denom = akm1 * ak - 1;
      for (let jc = 0; jc < c; jc++) {
        const bkm1 = b[bo + k * c + jc] / akm1k;
        const bk = b[bo + (k + 1) * c + jc] / akm1k;
        b[bo + k * c + jc] = (ak * bkm1 - bk) / denom;
        b[bo + (k + 1) * c + jc] = (akm1 * bk - bkm1) / denom;
      }
      k += 2;
    }
  }
  k = n - 1;
  while (k >= 0) {
    const p = piv[po + k];
    if (p > 0) {
      if (k < n - 1) gemvT(k + 1, k, k);
      swapRows(k, p - 1);
      k -= 1;
    } else {
      if (k < n - 1) {
        gemvT(k + 1, k, k);
        gemvT(k + 1, k - 1, k - 1);
      }
      swapRows(k, -p - 1);
      k -= 2;
    }
  }
}
