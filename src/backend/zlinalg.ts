/**
 * Complex Householder kernels (issue 14): LAPACK's zgeqrf (zgeqr2 with zlarfg's reflectors) and
 * zunmqr, on Float64Arrays holding complex matrices interleaved (re, im), row-major. Offsets and
 * strides count complex elements; element (i, j) of a matrix at `o` with row stride `ld` is at
 * 2 (o + i ld + j).
 *
 * Note [complex reflectors]: zlarfg's H = I - tau v v^H has complex tau and a real beta, so
 * H^H [alpha; x] = [beta; 0] with beta = -sign(Re alpha) ||[alpha; x]|| and R's diagonal real
 * (its signs LAPACK's, which PyTorch returns). H is not Hermitian: Q = H_0 ... H_{k-1} and
 * Q^H = H_{k-1}^H ... H_0^H with H_i^H = I - conj(tau_i) v_i v_i^H. zlarfg leaves tau = 0 (H = I)
 * only when x = 0 and alpha is real; a complex alpha with x = 0 still gets a reflector, which
 * makes the diagonal real.
 */

/**
 * LAPACK's zgeqr2: the QR factorization of the m x n matrix at `a[o..]` in place (R on and above
 * the diagonal, v_j below it with v_j[j] = 1 implicit), tau_j at `tau[to + j]` (complex).
 */
export function zgeqrf(
  a: Float64Array,
  o: number,
  m: number,
  n: number,
  tau: Float64Array,
  to: number,
): void {
  const k = Math.min(m, n);
  const at = (i: number, j: number): number => 2 * (o + i * n + j);
  for (let j = 0; j < k; j++) {
    const ar = a[at(j, j)];
    const ai = a[at(j, j) + 1];
    let xnorm2 = 0;
    for (let i = j + 1; i < m; i++) xnorm2 += a[at(i, j)] ** 2 + a[at(i, j) + 1] ** 2;
    if (xnorm2 === 0 && ai === 0) {
      tau[2 * (to + j)] = 0;
      tau[2 * (to + j) + 1] = 0;
      continue;
    }
    // zlarfg: beta = -sign(Re alpha) |(alpha, x)|, tau = (beta - alpha) / beta,
    // v = x / (alpha - beta)
    const norm = Math.hypot(ar, ai, Math.sqrt(xnorm2));
    const beta = ar >= 0 ? -norm : norm;
    const tr = (beta - ar) / beta;
    const ti = -ai / beta;
    // 1 / (alpha - beta)
    const dr = ar - beta;
    const den = dr * dr + ai * ai;
    const sr = dr / den;
    const si = -ai / den;
    for (let i = j + 1; i < m; i++) {
      const p = at(i, j);
      const xr = a[p];
      const xi = a[p + 1];
      a[p] = xr * sr - xi * si;
      a[p + 1] = xr * si + xi * sr;
    }
    a[at(j, j)] = beta;
    a[at(j, j) + 1] = 0;
    tau[2 * (to + j)] = tr;
    tau[2 * (to + j) + 1] = ti;
    // H_j^H = I - conj(tau) v v^H on the trailing columns: c -= conj(tau) v (v^H c)
    for (let c = j + 1; c < n; c++) {
      let wr = a[at(j, c)];
      let wi = a[at(j, c) + 1];
      for (let i = j + 1; i < m; i++) {
        const vr = a[at(i, j)];
        const vi = a[at(i, j) + 1];
        const cr = a[at(i, c)];
        const ci = a[at(i, c) + 1];
        wr += vr * cr + vi * ci;
        wi += vr * ci - vi * cr;
      }
      // s = conj(tau) w
      const s0 = tr * wr + ti * wi;
      const s1 = tr * wi - ti * wr;
      a[at(j, c)] -= s0;
      a[at(j, c) + 1] -= s1;
      for (let i = j + 1; i < m; i++) {
        const vr = a[at(i, j)];
        const vi = a[at(i, j) + 1];
        a[at(i, c)] -= s0 * vr - s1 * vi;
        a[at(i, c) + 1] -= s0 * vi + s1 * vr;
      }
    }
  }
}

/**
 * LAPACK's zunmqr: C <- op(Q) C (left) or C op(Q) (right), Q = H_0 ... H_{k-1} from the
 * reflectors in the columns of the matrix at `a[ao..]` (row stride `lda`) and `tau`; op(Q) = Q^H
 * when `adjoint` (Note [complex reflectors]). C is r x c at `cm[co..]`.
 */
export function zunmqr(
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
  adjoint: boolean,
): void {
  const len = left ? r : c;
  const v = new Float64Array(2 * len);
  // Q C = H_0 (H_1 (... H_{k-1} C)): last-first; Q^H C first-last (conj tau);
  // C Q = ((C H_0) H_1) ...: first-last; C Q^H last-first (conj tau)
  const forward = left === adjoint;
  const at = (i: number, j: number): number => 2 * (co + i * c + j);
  for (let s = 0; s < k; s++) {
    const j = forward ? s : k - 1 - s;
    const tr = tau[2 * (to + j)];
    const ti = adjoint ? -tau[2 * (to + j) + 1] : tau[2 * (to + j) + 1];
    if (tr === 0 && ti === 0) continue;
    v.fill(0);
    v[2 * j] = 1;
    for (let i = j + 1; i < len; i++) {
      v[2 * i] = a[2 * (ao + i * lda + j)];
      v[2 * i + 1] = a[2 * (ao + i * lda + j) + 1];
    }
    if (left) {
      // C <- C - t v (v^H C)
      for (let col = 0; col < c; col++) {
        let wr = 0;
        let wi = 0;
        for (let i = j; i < r; i++) {
          const cr = cm[at(i, col)];
          const ci = cm[at(i, col) + 1];
          wr += v[2 * i] * cr + v[2 * i + 1] * ci;
          wi += v[2 * i] * ci - v[2 * i + 1] * cr;
        }
        const s0 = tr * wr - ti * wi;
        const s1 = tr * wi + ti * wr;
        for (let i = j; i < r; i++) {
          cm[at(i, col)] -= s0 * v[2 * i] - s1 * v[2 * i + 1];
          cm[at(i, col) + 1] -= s0 * v[2 * i + 1] + s1 * v[2 * i];
        }
      }
    } else {
      // C <- C - t (C v) v^H
      for (let row = 0; row < r; row++) {
        let wr = 0;
        let wi = 0;
        for (let i = j; i < c; i++) {
          const cr = cm[at(row, i)];
          const ci = cm[at(row, i) + 1];
          wr += cr * v[2 * i] - ci * v[2 * i + 1];
          wi += cr * v[2 * i + 1] + ci * v[2 * i];
        }
        const s0 = tr * wr - ti * wi;
        const s1 = tr * wi + ti * wr;
        for (let i = j; i < c; i++) {
          // s conj(v_i)
          cm[at(row, i)] -= s0 * v[2 * i] + s1 * v[2 * i + 1];
          cm[at(row, i) + 1] -= s1 * v[2 * i] - s0 * v[2 * i + 1];
        }
      }
    }
  }
}

/**
 * LAPACK's zhetd2 on a full Hermitian n x n matrix `a` (interleaved, destroyed): unitary Q and
 * the real symmetric tridiagonal T = Q^H A Q, T's diagonal into `d` and off-diagonal into `e`
 * (length n - 1), Q (interleaved, n x n) into `q`. Note [Hermitian tridiagonal]: the reflectors
 * are zlarfg's (Note [complex reflectors]) and follow LAPACK's order for the triangle PyTorch
 * reads: `upper` reduces from the last column up (H_{n-2} first, Q = H_{n-2} ... H_0, each v_i
 * with its unit at i and entries above), lower from the first column down (Q = H_0 ... H_{n-2},
 * v_i's unit at i + 1, entries below). Eigenvectors Q Z with Z real (from T) then have zheevd's
 * phases, up to the sign of each column.
 */
export function zhetrd(
  a: Float64Array,
  n: number,
  upper: boolean,
  d: Float64Array,
  e: Float64Array,
  q: Float64Array,
): void {
  q.fill(0);
  for (let i = 0; i < n; i++) q[2 * (i * n + i)] = 1;
  const v = new Float64Array(2 * n);
  const w = new Float64Array(2 * n);
  for (let s = 0; s < n - 1; s++) {
    // the column reduced, the unit's row, and the reflector's rows [lo, hi)
    const col = upper ? n - 1 - s : s;
    const unit = upper ? col - 1 : col + 1;
    const lo = upper ? 0 : unit;
    const hi = upper ? col : n;
    const ar = a[2 * (unit * n + col)];
    const ai = a[2 * (unit * n + col) + 1];
    let xnorm2 = 0;
    for (let i = lo; i < hi; i++)
      if (i !== unit) xnorm2 += a[2 * (i * n + col)] ** 2 + a[2 * (i * n + col) + 1] ** 2;
    let tr = 0;
    let ti = 0;
    v.fill(0);
    if (!(xnorm2 === 0 && ai === 0)) {
      const norm = Math.hypot(ar, ai, Math.sqrt(xnorm2));
      const beta = ar >= 0 ? -norm : norm;
      tr = (beta - ar) / beta;
      ti = -ai / beta;
      const dr = ar - beta;
      const den = dr * dr + ai * ai;
      const sr = dr / den;
      const si = -ai / den;
      for (let i = lo; i < hi; i++) {
        if (i === unit) continue;
        const xr = a[2 * (i * n + col)];
        const xi = a[2 * (i * n + col) + 1];
        v[2 * i] = xr * sr - xi * si;
        v[2 * i + 1] = xr * si + xi * sr;
      }
      v[2 * unit] = 1;
      // A <- H^H A: rows, A -= conj(tau) v (v^H A)
      for (let c = 0; c < n; c++) {
        let wr = 0;
        let wi = 0;
        for (let i = lo; i < hi; i++) {
          const cr = a[2 * (i * n + c)];
          const ci = a[2 * (i * n + c) + 1];
          wr += v[2 * i] * cr + v[2 * i + 1] * ci;
          wi += v[2 * i] * ci - v[2 * i + 1] * cr;
        }
        const s0 = tr * wr + ti * wi;
        const s1 = tr * wi - ti * wr;
        for (let i = lo; i < hi; i++) {
          a[2 * (i * n + c)] -= s0 * v[2 * i] - s1 * v[2 * i + 1];
          a[2 * (i * n + c) + 1] -= s0 * v[2 * i + 1] + s1 * v[2 * i];
        }
      }
      // A <- A H and Q <- Q H: A -= tau (A v) v^H
      for (const m of [a, q]) {
        for (let r = 0; r < n; r++) {
          let wr = 0;
          let wi = 0;
          for (let i = lo; i < hi; i++) {
            const cr = m[2 * (r * n + i)];
            const ci = m[2 * (r * n + i) + 1];
            wr += cr * v[2 * i] - ci * v[2 * i + 1];
            wi += cr * v[2 * i + 1] + ci * v[2 * i];
          }
          w[2 * r] = tr * wr - ti * wi;
          w[2 * r + 1] = tr * wi + ti * wr;
        }
        for (let r = 0; r < n; r++)
          for (let i = lo; i < hi; i++) {
            m[2 * (r * n + i)] -= w[2 * r] * v[2 * i] + w[2 * r + 1] * v[2 * i + 1];
            m[2 * (r * n + i) + 1] -= w[2 * r + 1] * v[2 * i] - w[2 * r] * v[2 * i + 1];
          }
      }
    }
    e[upper ? col - 1 : col] = a[2 * (unit * n + col)];
  }
  for (let i = 0; i < n; i++) d[i] = a[2 * (i * n + i)];
}

/**
 * zlarfg on the interleaved vector `x` of `len` entries (alpha first): overwrites x with v (v_0
 * = 1) and returns [Re tau, Im tau, beta] (Note [complex reflectors]).
 */
function reflector(x: Float64Array, len: number): [number, number, number] {
  const ar = x[0];
  const ai = x[1];
  let xnorm2 = 0;
  for (let i = 1; i < len; i++) xnorm2 += x[2 * i] ** 2 + x[2 * i + 1] ** 2;
  x[0] = 1;
  x[1] = 0;
  if (xnorm2 === 0 && ai === 0) {
    for (let i = 1; i < len; i++) x[2 * i] = x[2 * i + 1] = 0;
    return [0, 0, ar];
  }
  const norm = Math.hypot(ar, ai, Math.sqrt(xnorm2));
  const beta = ar >= 0 ? -norm : norm;
  const dr = ar - beta;
  const den = dr * dr + ai * ai;
  const sr = dr / den;
  const si = -ai / den;
  for (let i = 1; i < len; i++) {
    const xr = x[2 * i];
    const xi = x[2 * i + 1];
    x[2 * i] = xr * sr - xi * si;
    x[2 * i + 1] = xr * si + xi * sr;
  }
  return [(beta - ar) / beta, -ai / beta, beta];
}

/**
 * M[r0.., c0..c0+len) <- M (I - tau v v^H) for the rows r0 <= r < r1 of the interleaved matrix
 * `m` with row length `ld`.
 */
function applyRight(
  m: Float64Array,
  ld: number,
  r0: number,
  r1: number,
  c0: number,
  v: Float64Array,
  len: number,
  tr: number,
  ti: number,
): void {
  if (tr === 0 && ti === 0) return;
  for (let r = r0; r < r1; r++) {
    let wr = 0;
    let wi = 0;
    for (let l = 0; l < len; l++) {
      const p = 2 * (r * ld + c0 + l);
      wr += m[p] * v[2 * l] - m[p + 1] * v[2 * l + 1];
      wi += m[p] * v[2 * l + 1] + m[p + 1] * v[2 * l];
    }
    const s0 = tr * wr - ti * wi;
    const s1 = tr * wi + ti * wr;
    for (let l = 0; l < len; l++) {
      const p = 2 * (r * ld + c0 + l);
      m[p] -= s0 * v[2 * l] + s1 * v[2 * l + 1];
      m[p + 1] -= s1 * v[2 * l] - s0 * v[2 * l + 1];
    }
  }
}

/**
 * M[r0..r0+len, c) <- (I - conj(tau) v v^H) M for the columns c0 <= c < c1 (H^H from the left).
 */
function applyLeftAdjoint(
  m: Float64Array,
  ld: number,
  r0: number,
  c0: number,
  c1: number,
  v: Float64Array,
  len: number,
  tr: number,
  ti: number,
): void {
  if (tr === 0 && ti === 0) return;
  for (let c = c0; c < c1; c++) {
    let wr = 0;
    let wi = 0;
    for (let l = 0; l < len; l++) {
      const p = 2 * ((r0 + l) * ld + c);
      wr += v[2 * l] * m[p] + v[2 * l + 1] * m[p + 1];
      wi += v[2 * l] * m[p + 1] - v[2 * l + 1] * m[p];
    }
    const s0 = tr * wr + ti * wi;
    const s1 = tr * wi - ti * wr;
    for (let l = 0; l < len; l++) {
      const p = 2 * ((r0 + l) * ld + c);
      m[p] -= s0 * v[2 * l] - s1 * v[2 * l + 1];
      m[p + 1] -= s0 * v[2 * l + 1] + s1 * v[2 * l];
    }
  }
}

/**
 * LAPACK's zgebd2 for m >= n on the interleaved m x n matrix `a` (destroyed): A = Q B P^H with
 * B real upper bidiagonal (diagonal `d`, superdiagonal `e`), Q = H_0 ... H_{n-1} (m x m, into
 * `q`) and P = G_0 ... G_{n-2} (n x n, into `p`). H_i's reflector is zlarfg's of column i below
 * the diagonal, G_i's that of the conjugated row i right of the superdiagonal (zlacgv), so B's
 * entries are the reflectors' real betas (Note [complex reflectors]).
 */
export function zgebrd(
  a: Float64Array,
  m: number,
  n: number,
  d: Float64Array,
  e: Float64Array,
  q: Float64Array,
  p: Float64Array,
): void {
  q.fill(0);
  for (let i = 0; i < m; i++) q[2 * (i * m + i)] = 1;
  p.fill(0);
  for (let i = 0; i < n; i++) p[2 * (i * n + i)] = 1;
  const x = new Float64Array(2 * Math.max(m, n));
  for (let i = 0; i < n; i++) {
    const len = m - i;
    for (let l = 0; l < len; l++) {
      x[2 * l] = a[2 * ((i + l) * n + i)];
      x[2 * l + 1] = a[2 * ((i + l) * n + i) + 1];
    }
    const [tr, ti, beta] = reflector(x, len);
    d[i] = beta;
    applyLeftAdjoint(a, n, i, i + 1, n, x, len, tr, ti);
    applyRight(q, m, 0, m, i, x, len, tr, ti);
    if (i + 1 >= n) continue;
    const rl = n - i - 1;
    for (let l = 0; l < rl; l++) {
      x[2 * l] = a[2 * (i * n + i + 1 + l)];
      x[2 * l + 1] = -a[2 * (i * n + i + 1 + l) + 1];
    }
    const [pr, pi, pbeta] = reflector(x, rl);
    e[i] = pbeta;
    applyRight(a, n, i + 1, m, i + 1, x, rl, pr, pi);
    applyRight(p, n, 0, n, i + 1, x, rl, pr, pi);
  }
}
