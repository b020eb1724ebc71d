/**
 * The strided, batched matrix multiply (the twin of native/matmul.cc) and the dense products
 * on contiguous blocks that convolution builds on it.
 */
import type { TypedArray } from "../dtype.js";
import { nativeKernels } from "./native.js";

const native = nativeKernels("matmul");

/**
 * Multiply-adds (batch * m * k * n) from which `matmul` goes native. Measured on the 2-core
 * AVX2 machine here (float32, µs per call, TypeScript vs native): 4x4x4 0.58 vs 0.61,
 * 8x8x8 1.2 vs 0.68, 16x16x16 5.2 vs 0.75, but thin products pay for packing whole register
 * tiles: 1x256x1 1.2 vs 2.5, 64x64x1 8.8 vs 3.3. 2048 sits above both crossovers.
 */
let matmulMinWork = 2048;

/** Set the native `matmul` threshold (multiply-adds); 0 sends every float product native. */
export function setNativeMatmulThreshold(work: number): void {
  matmulMinWork = work;
}

export function getNativeMatmulThreshold(): number {
  return matmulMinWork;
}

// ---------------------------------------------------------------------------------------------
// Matrix multiply: out[b] (m x n, contiguous) = A[b] (m x k) @ B[b] (k x n), with arbitrary
// strides for A and B (so transposed operands need no copy) and batch strides (0 = broadcast).

export function matmul(
  a: TypedArray,
  aOff: number,
  aBatch: number,
  aRow: number,
  aCol: number,
  b: TypedArray,
  bOff: number,
  bBatch: number,
  bRow: number,
  bCol: number,
  out: TypedArray,
  batch: number,
  m: number,
  k: number,
  n: number,
): void {
  // large float32/float64 products run on the addon when it is loaded
  if (batch * m * k * n >= matmulMinWork) {
    if (
      native.matmul(a, aOff, aBatch, aRow, aCol, b, bOff, bBatch, bRow, bCol, out, batch, m, k, n)
    )
      return;
  }
  for (let bt = 0; bt < batch; bt++) {
    const ab = aOff + bt * aBatch;
    const ob = bt * m * n;
    let B = b;
    let bb = bOff + bt * bBatch;
    let br = bRow;
    if (bCol !== 1) {
      if (bRow === 1 && aCol === 1) {
        // B is a transposed contiguous matrix: each output is a dot product of two
        // contiguous runs (a row of A, a column of B)
        matmulDot(a, ab, aRow, b, bb, bCol, out, ob, m, k, n);
        continue;
      }
      // pack this batch's B into contiguous rows, then use the row kernel
      B = new Float64Array(k * n);
      for (let p = 0; p < k; p++) {
        const src = bb + p * bRow;
        for (let j = 0; j < n; j++) B[p * n + j] = b[src + j * bCol];
      }
      bb = 0;
      br = n;
    }
    matmulRows(a, ab, aRow, aCol, B, bb, br, out, ob, m, k, n);
  }
}

/**
 * C = A B with B's rows contiguous: out row i = sum_p A[i,p] * B[p,:], four rows of A at a
 * time so each B row is read once per four output rows. Sums are kept in doubles (float32
 * products summed in double, rounded once on store).
 */
function matmulRows(
  a: TypedArray,
  ab: number,
  aRow: number,
  aCol: number,
  b: TypedArray,
  bb: number,
  bRow: number,
  out: TypedArray,
  ob: number,
  m: number,
  k: number,
  n: number,
): void {
  const acc = new Float64Array(4 * n);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    acc.fill(0);
    const r0 = ab + i * aRow;
    const r1 = r0 + aRow;
    const r2 = r1 + aRow;
    const r3 = r2 + aRow;
    for (let p = 0; p < k; p++) {
      const pc = p * aCol;
      const a0 = a[r0 + pc];
      const a1 = a[r1 + pc];
      const a2 = a[r2 + pc];
      const a3 = a[r3 + pc];
      const brow = bb + p * bRow;
      for (let j = 0; j < n; j++) {
        const bv = b[brow + j];
        acc[j] += a0 * bv;
        acc[n + j] += a1 * bv;
        acc[2 * n + j] += a2 * bv;
        acc[3 * n + j] += a3 * bv;
      }
    }
    const o = ob + i * n;
    for (let j = 0; j < 4 * n; j++) out[o + j] = acc[j];
  }
  for (; i < m; i++) {
    acc.fill(0, 0, n);
    const r = ab + i * aRow;
    for (let p = 0; p < k; p++) {
      const av = a[r + p * aCol];
      const brow = bb + p * bRow;
      for (let j = 0; j < n; j++) acc[j] += av * b[brow + j];
    }
    const o = ob + i * n;
    for (let j = 0; j < n; j++) out[o + j] = acc[j];
  }
}

/** C = A B where A's rows and B's columns are contiguous: out[i,j] = dot(A[i,:], B[:,j]). */
function matmulDot(
  a: TypedArray,
  ab: number,
  aRow: number,
  b: TypedArray,
  bb: number,
  bCol: number,
  out: TypedArray,
  ob: number,
  m: number,
  k: number,
  n: number,
): void {
  for (let i = 0; i < m; i++) {
    const r = ab + i * aRow;
    for (let j = 0; j < n; j++) {
      const c = bb + j * bCol;
      // four partial sums for instruction-level parallelism
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        s0 += a[r + p] * b[c + p];
        s1 += a[r + p + 1] * b[c + p + 1];
        s2 += a[r + p + 2] * b[c + p + 2];
        s3 += a[r + p + 3] * b[c + p + 3];
      }
      for (; p < k; p++) s0 += a[r + p] * b[c + p];
      out[ob + i * n + j] = s0 + s1 + (s2 + s3);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Dense products on contiguous row-major blocks, for convolution: layouts of the one strided
// `matmul` kernel above, which also hands large float products to the native backend.

/** out (m x n) = A (m x k) @ B (k x n). */
export function gemmNN(
  a: TypedArray,
  aOff: number,
  b: TypedArray,
  bOff: number,
  out: TypedArray,
  outOff: number,
  m: number,
  k: number,
  n: number,
): void {
  matmul(a, aOff, 0, k, 1, b, bOff, 0, n, 1, outAt(out, outOff), 1, m, k, n);
}

/** out (m x n) = A^T @ B with A stored (k x m) and B (k x n): A^T[i, p] is at aOff + p*m + i. */
export function gemmTN(
  a: TypedArray,
  aOff: number,
  b: TypedArray,
  bOff: number,
  out: TypedArray,
  outOff: number,
  m: number,
  k: number,
  n: number,
): void {
  matmul(a, aOff, 0, 1, m, b, bOff, 0, n, 1, outAt(out, outOff), 1, m, k, n);
}

/**
 * acc (m x n, double) += A (m x k) @ B^T with B stored (n x k): B^T[p, j] is at bOff + j*k + p.
 * The product is formed in A's dtype (as PyTorch's float32 kernels do), then accumulated.
 */
export function gemmNTAccumulate(
  a: TypedArray,
  aOff: number,
  b: TypedArray,
  bOff: number,
  acc: Float64Array,
  m: number,
  k: number,
  n: number,
): void {
  const tmp = new (a.constructor as new (len: number) => TypedArray)(m * n);
  matmul(a, aOff, 0, k, 1, b, bOff, 0, 1, k, tmp, 1, m, k, n);
  for (let i = 0; i < m * n; i++) acc[i] += tmp[i];
}

/** `matmul` writes from index 0: a view of `out` starting at `off`. */
function outAt(out: TypedArray, off: number): TypedArray {
  return off === 0 ? out : out.subarray(off);
}
