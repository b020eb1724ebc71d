/**
 * Parity of the blocked native LU and Cholesky (native/linalg.cc, dispatched from
 * src/backend/linalg.ts) with their TypeScript twins: square, tall and wide matrices around the
 * 64-column panel size, with and without pivoting, offsets into the array, and the matrices on
 * which a factorization stops (a zero pivot, a minor that is not positive-definite), where Note
 * [factorization fallback] makes the partial results agree too. Each comparison runs the same
 * call with the native threshold at 0 (native) and at infinity (TypeScript). The factors agree
 * within rounding (the trailing updates sum in another order); pivots and info exactly. The
 * residuals ||PA - LU|| and ||A - LL^T|| (max-abs, relative to ||A||) of the native results are
 * checked against n * 2^-52 * a small constant, LAPACK's backward-error bound.
 * The triangular solve, the tridiagonal eigensolver and the Jacobi sweeps keep each element's
 * operations in the twin's order (Note [V8's hypot] in native/linalg.cc), so those compare
 * bit for bit, inf and nan patterns included. From 48 columns the native SVD is Golub-Kahan
 * (Note [Golub-Kahan SVD]), checked by its residual, orthogonality and singular values.
 * The complex twins (native/linalg-complex.cc, dispatched from src/backend/linalg-complex.ts,
 * interleaved (re, im) storage) are held to the same: LU and Cholesky within rounding with the
 * same pivots and info, exact partial results where they stop, residuals at LAPACK's level;
 * the triangular solve (every transpose kind) bit for bit.
 * Skipped, with the reason, when the addon is not built or not loaded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  cholesky,
  getNativeLinalgThreshold,
  jacobiSweeps,
  luFactor,
  setNativeLinalgThreshold,
  triSolve,
  tridiagonalEig,
} from "../src/backend/linalg.js";
import { zCholesky, zLuFactor, zTriSolve } from "../src/backend/linalg-complex.js";
import { observeNativeCalls } from "../src/backend/native.js";
import { filled, skip } from "./helpers/native.js";

function both<T>(f: () => T): [T, T] {
  const saved = getNativeLinalgThreshold();
  try {
    setNativeLinalgThreshold(Infinity);
    const ts = f();
    setNativeLinalgThreshold(0);
    return [ts, f()];
  } finally {
    setNativeLinalgThreshold(saved);
  }
}

function assertClose(got: Float64Array, want: Float64Array, tol: number, what: string): void {
  assert.equal(got.length, want.length, what);
  let scale = 0;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.length; i++) {
    const ok = Object.is(got[i], want[i]) || Math.abs(got[i] - want[i]) <= tol * Math.max(scale, 1);
    assert.ok(ok, `${what} [${i}]: native ${got[i]} vs TypeScript ${want[i]}`);
  }
}

const EPS = 2 ** -52;
const OFF = 5;

/** max |PA - LU| / max |A| of an LU factorization (row-major, 1-based sequential swaps) */
function luResidual(
  a: Float64Array,
  lu: Float64Array,
  piv: Int32Array,
  m: number,
  n: number,
): number {
  const pa = a.slice();
  const k = Math.min(m, n);
  for (let j = 0; j < k; j++) {
    const p = piv[j] - 1;
    for (let c = 0; c < n; c++) {
      const t = pa[j * n + c];
      pa[j * n + c] = pa[p * n + c];
      pa[p * n + c] = t;
    }
  }
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < n; c++) {
      worst = Math.max(worst, Math.abs(pa[i * n + c] - luProduct(lu, i, c, m, n)));
      scale = Math.max(scale, Math.abs(pa[i * n + c]));
    }
  }
  return worst / scale;
}

/** (L U)[i, c] from the packed factors: L unit lower m x k, U upper k x n */
function luProduct(lu: Float64Array, i: number, c: number, m: number, n: number): number {
  const k = Math.min(m, n);
  let s = 0;
  for (let t = 0; t <= Math.min(i, c, k - 1); t++) {
    const l = t === i ? 1 : lu[i * n + t];
    s += l * lu[t * n + c];
  }
  return s;
}

/** max |A - L L^T| / max |A| */
function cholResidual(a: Float64Array, l: Float64Array, n: number): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let t = 0; t <= j; t++) s += l[i * n + t] * l[j * n + t];
      worst = Math.max(worst, Math.abs(a[i * n + j] - s));
      scale = Math.max(scale, Math.abs(a[i * n + j]));
    }
  }
  return worst / scale;
}

// [m, n]: below, at and across the panel size, tall and wide
const LU_SHAPES: [number, number][] = [
  [1, 1],
  [5, 5],
  [64, 64],
  [65, 65],
  [130, 130],
  [200, 70],
  [70, 200],
  [257, 257],
];

test("native LU matches the TypeScript kernel; residual at LAPACK's level", { skip }, () => {
  for (const [m, n] of LU_SHAPES) {
    for (const pivot of [true, false]) {
      const a = filled(Float64Array, m * n + OFF, m * 31 + n, 1) as Float64Array;
      // diagonally heavier without pivoting, so that no pivot is tiny
      if (!pivot) for (let i = 0; i < Math.min(m, n); i++) a[OFF + i * n + i] += 4;
      const k = Math.min(m, n);
      const [ts, nat] = both(() => {
        const x = a.slice();
        const piv = new Int32Array(k);
        const info = luFactor(x, OFF, m, n, piv, 0, pivot);
        return { x, piv, info };
      });
      const what = `lu ${m}x${n} pivot=${pivot}`;
      assert.equal(nat.info, ts.info, `${what}: info`);
      assert.deepEqual(nat.piv, ts.piv, `${what}: pivots`);
      assertClose(nat.x, ts.x, 1e-10, what);
      const r = luResidual(a.subarray(OFF), nat.x.subarray(OFF), nat.piv, m, n);
      // without pivoting the growth of the factors enters (bounded here by the heavier diagonal)
      const bound = (pivot ? 4 : 64) * Math.max(m, n) * EPS;
      assert.ok(r <= bound, `${what}: residual ${r}`);
      if (process.env.LINALG_RESIDUALS === "1")
        console.log(`${what}: residual ${r.toExponential(2)}`);
    }
  }
});

test("native LU stops as the TypeScript kernel does at a zero pivot", { skip }, () => {
  for (const n of [70, 130]) {
    for (const pivot of [true, false]) {
      const a = filled(Float64Array, n * n, n, 1) as Float64Array;
      // column 66 zero (an exact zero pivot there), and a zero at (0, 0) without pivoting
      for (let i = 0; i < n; i++) a[i * n + 66] = 0;
      if (!pivot) a[0] = 0;
      const [ts, nat] = both(() => {
        const x = a.slice();
        const piv = new Int32Array(n);
        return { x, piv, info: luFactor(x, 0, n, n, piv, 0, pivot) };
      });
      const what = `singular lu ${n} pivot=${pivot}`;
      assert.equal(nat.info, ts.info, `${what}: info`);
      assert.deepEqual(nat.piv, ts.piv, `${what}: pivots`);
      assertClose(nat.x, ts.x, 0, what);
    }
  }
});

/** B B^T + n I: symmetric positive-definite */
function spd(n: number, seed: number): Float64Array {
  const b = filled(Float64Array, n * n, seed, 1);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let t = 0; t < n; t++) s += b[i * n + t] * b[j * n + t];
      a[i * n + j] = s;
    }
  return a;
}

test("native Cholesky matches the TypeScript kernel; residual at LAPACK's level", { skip }, () => {
  for (const n of [1, 5, 64, 65, 130, 257]) {
    const a = spd(n, n + 7);
    const full = new Float64Array(n * n + OFF);
    full.set(a, OFF);
    const [ts, nat] = both(() => {
      const x = full.slice();
      return { x, info: cholesky(x, OFF, n) };
    });
    assert.equal(nat.info, 0, `cholesky ${n}: info`);
    assert.equal(ts.info, 0, `cholesky ${n}: TypeScript info`);
    assertClose(nat.x, ts.x, 1e-12, `cholesky ${n}`);
    const r = cholResidual(a, nat.x.subarray(OFF), n);
    assert.ok(r <= 4 * n * EPS, `cholesky ${n}: residual ${r}`);
    if (process.env.LINALG_RESIDUALS === "1")
      console.log(`cholesky ${n}: residual ${r.toExponential(2)}`);
  }
});

test("native Cholesky stops as the TypeScript kernel does on indefinite input", { skip }, () => {
  for (const [n, bad] of [
    [70, 3],
    [130, 100],
  ]) {
    const a = spd(n, n);
    a[bad * n + bad] = -1; // the leading minor of order bad + 1 is not positive-definite
    const [ts, nat] = both(() => {
      const x = a.slice();
      return { x, info: cholesky(x, 0, n) };
    });
    assert.equal(nat.info, bad + 1, `indefinite cholesky ${n}: info`);
    assert.equal(ts.info, bad + 1, `indefinite cholesky ${n}: TypeScript info`);
    assertClose(nat.x, ts.x, 0, `indefinite cholesky ${n}`);
  }
});

/** bitwise equality (Object.is: nan equals nan, -0 differs from 0) */
function assertSame(got: Float64Array, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Object.is(got[i], want[i]),
      `${what} [${i}]: native ${got[i]} vs TypeScript ${want[i]}`,
    );
}

test("native triangular solve equals the TypeScript kernel bit for bit", { skip }, () => {
  for (const [n, k] of [
    [1, 1],
    [64, 1],
    [65, 3],
    [130, 1],
    [130, 70],
  ]) {
    for (const zeroPivot of [false, true]) {
      const t = filled(Float64Array, n * n + OFF, n * 3 + k, 1) as Float64Array;
      for (let i = 0; i < n; i++) t[OFF + i * n + i] += zeroPivot ? 0 : 4;
      // an exact zero on the diagonal: inf and nan spread as OpenBLAS's trsm spreads them
      if (zeroPivot) t[OFF + (n >> 1) * n + (n >> 1)] = 0;
      const b = filled(Float64Array, n * k + OFF, n + k, 1) as Float64Array;
      for (const upper of [false, true])
        for (const trans of [false, true])
          for (const unit of [false, true]) {
            const [ts, nat] = both(() => {
              const x = b.slice();
              triSolve(t, OFF, x, OFF, n, k, upper, trans, unit);
              return x;
            });
            assertSame(
              nat,
              ts,
              `triSolve n=${n} k=${k} upper=${upper} trans=${trans} unit=${unit} zero=${zeroPivot}`,
            );
          }
    }
  }
});

/** the symmetric part of a pseudo-random n x n matrix, optionally with repeated eigenvalues */
function symmetric(n: number, seed: number, blocks: boolean): Float64Array {
  const r = filled(Float64Array, n * n, seed, 1);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      // blocks: two identical diagonal blocks (every eigenvalue twice) and a zero last row
      const bi = i % (n >> 1);
      const bj = j % (n >> 1);
      const same = !blocks || (i < n >> 1 === j < n >> 1 && i < n - 1 && j < n - 1);
      a[i * n + j] = same
        ? blocks
          ? r[bi * n + bj] + r[bj * n + bi]
          : r[i * n + j] + r[j * n + i]
        : 0;
    }
  return a;
}

test("native tridiagonal eigensolver equals the TypeScript kernel bit for bit", { skip }, () => {
  for (const n of [64, 65, 130])
    for (const blocks of [false, true]) {
      const a = symmetric(n, n * 5, blocks);
      const [ts, nat] = both(() => {
        const d = new Float64Array(n);
        const z = new Float64Array(n * n);
        const ok = tridiagonalEig(a.slice(), n, d, z);
        return { d, z, ok };
      });
      const what = `tridiagonalEig n=${n} blocks=${blocks}`;
      assert.equal(nat.ok, true, what);
      assert.equal(ts.ok, true, `${what}: TypeScript`);
      assertSame(nat.d, ts.d, `${what}: eigenvalues`);
      assertSame(nat.z, ts.z, `${what}: eigenvectors`);
    }
});

/** the native SVD's first Golub-Kahan width (kGkMin, Note [Golub-Kahan SVD] in native/linalg.cc) */
const GK_MIN = 48;

test("native Jacobi sweeps equal the TypeScript kernel bit for bit", { skip }, () => {
  // below GK_MIN columns, and on non-finite input at any width, the native SVD is the sweeps
  for (const [m, n, nan] of [
    [40, 40, false],
    [100, 30, false],
    [GK_MIN - 1, GK_MIN - 1, false],
    [GK_MIN, GK_MIN, true],
  ] as const)
    for (const lowRank of [false, true]) {
      const a = filled(Float64Array, m * n + OFF, m * 7 + n, 1) as Float64Array;
      // two equal columns: a zero singular value
      if (lowRank) for (let i = 0; i < m; i++) a[OFF + i * n + 1] = a[OFF + i * n];
      if (nan) a[OFF + 3 * n + 2] = NaN;
      const [ts, nat] = both(() => {
        const w = new Float64Array(m * n);
        const q = new Float64Array(n * n);
        jacobiSweeps(a, OFF, m, n, w, q);
        return { w, q };
      });
      const what = `jacobiSweeps ${m}x${n} lowRank=${lowRank} nan=${nan}`;
      assertSame(nat.w, ts.w, `${what}: W`);
      assertSame(nat.q, ts.q, `${what}: Q`);
    }
});

/** sqrt of the sum of squares */
const frob = (x: Float64Array): number => Math.sqrt(x.reduce((t, v) => t + v * v, 0));

/** the column norms of the m x n matrix w, descending */
function columnNorms(w: Float64Array, m: number, n: number): number[] {
  const r: number[] = [];
  for (let j = 0; j < n; j++) {
    let t = 0;
    for (let i = 0; i < m; i++) t += w[i * n + j] ** 2;
    r.push(Math.sqrt(t));
  }
  return r.sort((x, y) => y - x);
}

test(
  "native Golub-Kahan SVD: residual, orthogonality and singular values at LAPACK's level",
  { skip },
  () => {
    // From GK_MIN columns the native W = U diag(S), Q = V are not the sweeps' bits; checked as
    // LAPACK's tests check gesvd (each quantity over n eps, the largest measured 0.82):
    // ||A - W Q^T||_F / ||A||_F, max |Q^T Q - I|, max |W_i . W_j| / S_0^2 (i != j), and the
    // singular values (W's column norms) against the TypeScript sweeps' within n eps S_0.
    for (const [m, n] of [
      [GK_MIN, GK_MIN],
      [64, 64],
      [100, 70],
      [130, 130],
      [300, 50],
    ])
      for (const lowRank of [false, true]) {
        const a = filled(Float64Array, m * n + OFF, m * 5 + n, 1) as Float64Array;
        if (lowRank) for (let i = 0; i < m; i++) a[OFF + i * n + 1] = a[OFF + i * n];
        const [ts, nat] = both(() => {
          const w = new Float64Array(m * n);
          const q = new Float64Array(n * n);
          jacobiSweeps(a, OFF, m, n, w, q);
          return { w, q };
        });
        const what = `Golub-Kahan ${m}x${n} lowRank=${lowRank}`;
        const ne = n * EPS;
        const A = a.subarray(OFF);
        const res = new Float64Array(m * n);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let t = 0;
            for (let k = 0; k < n; k++) t += nat.w[i * n + k] * nat.q[j * n + k];
            res[i * n + j] = A[i * n + j] - t;
          }
        const r = frob(res) / frob(A);
        assert.ok(r <= 2 * ne, `${what}: residual ${r}`);
        let orth = 0;
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            let t = 0;
            for (let k = 0; k < n; k++) t += nat.q[k * n + i] * nat.q[k * n + j];
            orth = Math.max(orth, Math.abs(t - (i === j ? 1 : 0)));
          }
        assert.ok(orth <= 4 * ne, `${what}: ||Q^T Q - I|| ${orth}`);
        const sNat = columnNorms(nat.w, m, n);
        const sTs = columnNorms(ts.w, m, n);
        let cols = 0;
        for (let i = 0; i < n; i++)
          for (let j = i + 1; j < n; j++) {
            let t = 0;
            for (let k = 0; k < m; k++) t += nat.w[k * n + i] * nat.w[k * n + j];
            cols = Math.max(cols, Math.abs(t) / sTs[0] ** 2);
          }
        assert.ok(cols <= ne, `${what}: W's columns' inner products ${cols}`);
        for (let j = 0; j < n; j++)
          assert.ok(
            Math.abs(sNat[j] - sTs[j]) <= ne * sTs[0],
            `${what}: S[${j}] native ${sNat[j]} vs TypeScript ${sTs[j]}`,
          );
        if (process.env.LINALG_RESIDUALS === "1")
          console.log(
            `${what}: residual ${r.toExponential(2)}, orthogonality ${orth.toExponential(2)}`,
          );
      }
  },
);

// ---------------------------------------------------------------------------------------------
// The complex twins (native/linalg-complex.cc). Matrices interleaved: (i, j) at 2 (i n + j).

/** `both`, checking that the native run called `binding` (so the comparison is not TS vs TS) */
function bothVia<T>(binding: string, f: () => T): [T, T] {
  const calls: string[] = [];
  observeNativeCalls((name) => calls.push(name));
  try {
    return both(f);
  } finally {
    observeNativeCalls(null);
    assert.ok(calls.includes(binding), `${binding} did not run natively: ${calls.join(", ")}`);
  }
}

/** max |PA - LU| / max |A| (moduli) of a complex LU factorization */
function zLuResidual(
  a: Float64Array,
  lu: Float64Array,
  piv: Int32Array,
  m: number,
  n: number,
): number {
  const pa = a.slice();
  const k = Math.min(m, n);
  for (let j = 0; j < k; j++) {
    const p = piv[j] - 1;
    for (let c = 0; c < 2 * n; c++) {
      const t = pa[2 * j * n + c];
      pa[2 * j * n + c] = pa[2 * p * n + c];
      pa[2 * p * n + c] = t;
    }
  }
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < m; i++)
    for (let c = 0; c < n; c++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t <= Math.min(i, c, k - 1); t++) {
        const lr = t === i ? 1 : lu[2 * (i * n + t)];
        const li = t === i ? 0 : lu[2 * (i * n + t) + 1];
        const ur = lu[2 * (t * n + c)];
        const ui = lu[2 * (t * n + c) + 1];
        sr += lr * ur - li * ui;
        si += lr * ui + li * ur;
      }
      const q = 2 * (i * n + c);
      worst = Math.max(worst, Math.hypot(pa[q] - sr, pa[q + 1] - si));
      scale = Math.max(scale, Math.hypot(pa[q], pa[q + 1]));
    }
  return worst / scale;
}

test(
  "native complex LU matches the TypeScript kernel; residual at LAPACK's level",
  { skip },
  () => {
    for (const [m, n] of LU_SHAPES) {
      for (const pivot of [true, false]) {
        const a = filled(Float64Array, 2 * m * n + OFF, m * 37 + n, 1) as Float64Array;
        if (!pivot) for (let i = 0; i < Math.min(m, n); i++) a[OFF + 2 * (i * n + i)] += 4;
        const k = Math.min(m, n);
        const [ts, nat] = bothVia("zLuFactor", () => {
          const x = a.slice();
          const piv = new Int32Array(k);
          const info = zLuFactor(x, OFF, m, n, piv, 0, pivot);
          return { x, piv, info };
        });
        const what = `complex lu ${m}x${n} pivot=${pivot}`;
        assert.equal(nat.info, ts.info, `${what}: info`);
        assert.deepEqual(nat.piv, ts.piv, `${what}: pivots`);
        assertClose(nat.x, ts.x, 1e-10, what);
        const r = zLuResidual(a.subarray(OFF), nat.x.subarray(OFF), nat.piv, m, n);
        const bound = (pivot ? 8 : 128) * Math.max(m, n) * EPS;
        assert.ok(r <= bound, `${what}: residual ${r}`);
        if (process.env.LINALG_RESIDUALS === "1")
          console.log(`${what}: residual ${r.toExponential(2)}`);
      }
    }
  },
);

test("native complex LU stops as the TypeScript kernel does at a zero pivot", { skip }, () => {
  for (const n of [70, 130]) {
    for (const pivot of [true, false]) {
      const a = filled(Float64Array, 2 * n * n, n + 1, 1) as Float64Array;
      for (let i = 0; i < n; i++) a[2 * (i * n + 66)] = a[2 * (i * n + 66) + 1] = 0;
      if (!pivot) a[0] = a[1] = 0;
      const [ts, nat] = bothVia("zLuFactor", () => {
        const x = a.slice();
        const piv = new Int32Array(n);
        return { x, piv, info: zLuFactor(x, 0, n, n, piv, 0, pivot) };
      });
      const what = `singular complex lu ${n} pivot=${pivot}`;
      assert.equal(nat.info, ts.info, `${what}: info`);
      assert.deepEqual(nat.piv, ts.piv, `${what}: pivots`);
      assertClose(nat.x, ts.x, 0, what);
    }
  }
});

/** B B^H + n I: Hermitian positive-definite, interleaved */
function hpd(n: number, seed: number): Float64Array {
  const b = filled(Float64Array, 2 * n * n, seed, 1);
  const a = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let sr = i === j ? n : 0;
      let si = 0;
      for (let t = 0; t < n; t++) {
        const xr = b[2 * (i * n + t)];
        const xi = b[2 * (i * n + t) + 1];
        const yr = b[2 * (j * n + t)];
        const yi = b[2 * (j * n + t) + 1];
        sr += xr * yr + xi * yi;
        si += xi * yr - xr * yi;
      }
      a[2 * (i * n + j)] = sr;
      a[2 * (i * n + j) + 1] = i === j ? 0 : si;
    }
  return a;
}

/** max |A - L L^H| / max |A| over the lower triangle (moduli) */
function zCholResidual(a: Float64Array, l: Float64Array, n: number): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t <= j; t++) {
        const xr = l[2 * (i * n + t)];
        const xi = l[2 * (i * n + t) + 1];
        const yr = l[2 * (j * n + t)];
        const yi = l[2 * (j * n + t) + 1];
        sr += xr * yr + xi * yi;
        si += xi * yr - xr * yi;
      }
      const q = 2 * (i * n + j);
      worst = Math.max(worst, Math.hypot(a[q] - sr, a[q + 1] - si));
      scale = Math.max(scale, Math.hypot(a[q], a[q + 1]));
    }
  return worst / scale;
}

test(
  "native complex Cholesky matches the TypeScript kernel; residual at LAPACK's level",
  { skip },
  () => {
    for (const n of [1, 5, 64, 65, 130, 257]) {
      const a = hpd(n, n + 11);
      const full = new Float64Array(2 * n * n + OFF);
      full.set(a, OFF);
      const [ts, nat] = bothVia("zCholesky", () => {
        const x = full.slice();
        return { x, info: zCholesky(x, OFF, n) };
      });
      assert.equal(nat.info, 0, `complex cholesky ${n}: info`);
      assert.equal(ts.info, 0, `complex cholesky ${n}: TypeScript info`);
      assertClose(nat.x, ts.x, 1e-12, `complex cholesky ${n}`);
      const r = zCholResidual(a, nat.x.subarray(OFF), n);
      assert.ok(r <= 8 * n * EPS, `complex cholesky ${n}: residual ${r}`);
      if (process.env.LINALG_RESIDUALS === "1")
        console.log(`complex cholesky ${n}: residual ${r.toExponential(2)}`);
    }
  },
);

test(
  "native complex Cholesky stops as the TypeScript kernel does on indefinite input",
  { skip },
  () => {
    for (const [n, bad] of [
      [70, 3],
      [130, 100],
    ]) {
      const a = hpd(n, n);
      a[2 * (bad * n + bad)] = -1;
      const [ts, nat] = bothVia("zCholesky", () => {
        const x = a.slice();
        return { x, info: zCholesky(x, 0, n) };
      });
      assert.equal(nat.info, bad + 1, `indefinite complex cholesky ${n}: info`);
      assert.equal(ts.info, bad + 1, `indefinite complex cholesky ${n}: TypeScript info`);
      assertClose(nat.x, ts.x, 0, `indefinite complex cholesky ${n}`);
    }
  },
);

test(
  "native complex triangular solve: the twin's bits, within rounding when blocked",
  { skip },
  () => {
    // Note [blocked complex triangular solve] (native/linalg-complex.cc): from BLOCK_K right-hand
    // sides and BLOCK_N rows, on finite input with a nonzero diagonal, the products sum in
    // another order (within rounding); elsewhere (and at a zero pivot) bit for bit
    const BLOCK_K = 16;
    const BLOCK_N = 64;
    for (const [n, k] of [
      [1, 1],
      [32, 1],
      [65, 3],
      [65, 16],
      [130, 70],
    ]) {
      for (const zeroPivot of [false, true]) {
        const t = filled(Float64Array, 2 * n * n + OFF, n * 3 + k + 1, 1) as Float64Array;
        for (let i = 0; i < n; i++) t[OFF + 2 * (i * n + i)] += zeroPivot ? 0 : 4;
        const z = OFF + 2 * ((n >> 1) * n + (n >> 1));
        if (zeroPivot) t[z] = t[z + 1] = 0;
        const b = filled(Float64Array, 2 * n * k + OFF, n + k + 1, 1) as Float64Array;
        const blocked = n >= BLOCK_N && k >= BLOCK_K;
        for (const upper of [false, true])
          for (const [trans, conj] of [
            [false, false],
            [true, false],
            [true, true],
          ])
            for (const unit of [false, true]) {
              const [ts, nat] = bothVia("zTriSolve", () => {
                const x = b.slice();
                zTriSolve(t, OFF, x, OFF, n, k, upper, trans, conj, unit);
                return x;
              });
              const what = `zTriSolve n=${n} k=${k} upper=${upper} trans=${trans} conj=${conj}`;
              // (a zero pivot only matters with the diagonal read)
              if (blocked && (unit || !zeroPivot))
                assertClose(nat, ts, 1e-9, `${what} unit=${unit} zero=${zeroPivot}`);
              else assertSame(nat, ts, `${what} unit=${unit} zero=${zeroPivot}`);
            }
      }
    }
  },
);
