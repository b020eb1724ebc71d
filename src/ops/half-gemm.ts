/**
 * Matrix products of the 16-bit float types with PyTorch 1.13's CPU rounding.
 *
 * Note [half gemm]: 1.13's CPU kernels for bfloat16 mm/addmm (cpublas gemm), mv/addmv (gemv)
 * and bfloat16/float16 addr compute in the half type itself, not in float32 rounded once
 * (float16 mm/mv are "not implemented" on 1.13's CPU). Checked element by element against torch
 * 1.13.1 for every layout and for alpha/beta other than 0 and 1 (q(x) below is the rounding to
 * the half type, f32 the rounding to float):
 * - gemm, computing C^T = B^T A^T column-major on row-major results: when A is row-major and B
 *   column-major (gemm_transa_) each element is a float dot product (four interleaved partial
 *   sums, of exact products), then q(alpha dot) or q(beta c + alpha dot) in float. Every other
 *   layout (gemm_notrans_ / gemm_transb_; an operand with no unit stride is copied to
 *   row-major first) accumulates in the half type, in order of the inner index l:
 *   c = 0 (beta = 0), self (beta = 1) or q(self q(beta)); then c = q(c + q(B[l][j] f32(A[i][l] alpha))).
 * - gemv, y = beta y + alpha M x: a row-major M (the transposed BLAS call) sums
 *   s = q(s + q(x[j] M[i][j])) from 0, then y = q(q(alpha) s) (beta = 0) or
 *   q(q(q(beta) y) + q(q(alpha) s)); a column-major M scales y by q(beta) first, then
 *   y = q(y + q(q(q(alpha) x[j]) M[i][j])) in order of j.
 * - addr: every scalar operation in the half type: q(q(q(alpha) v1[i]) v2[j]), plus
 *   q(q(beta) self) when beta != 0.
 * The gradients are products of the same kinds (mm, mv, outer), so they round as PyTorch's do.
 */
import { Tensor } from "../tensor.js";
import { type DType, bfloat16 } from "../dtype.js";
import { fromBFloat16Bits, fromHalfBits, toBFloat16Bits, toHalfBits } from "../backend/half.js";
import { wrap } from "./core.js";
import { expand } from "./views.js";

const fround = Math.fround;

/** Element reader of a 2-D (or 1-D) half tensor: its values as numbers. */
function reader(t: Tensor): (i: number, j?: number) => number {
  const dec = t.dtype === bfloat16 ? fromBFloat16Bits : fromHalfBits;
  const data = t.typedArray;
  const [s0, s1] = [t.strides[0] ?? 0, t.strides[1] ?? 0];
  const off = t.offset;
  return (i, j = 0) => dec(data[off + i * s0 + j * s1]);
}

/** Rounding to a half type (through float, as C++'s casts of a float result). */
function rounder(d: DType): (x: number) => number {
  return d === bfloat16
    ? (x) => fromBFloat16Bits(toBFloat16Bits(x))
    : (x) => fromHalfBits(toHalfBits(x));
}

function encoder(d: DType): (x: number) => number {
  return d === bfloat16 ? toBFloat16Bits : toHalfBits;
}

/**
 * beta self + alpha (a @ b) for bfloat16 matrices a [m, k], b [k, n] and self broadcastable to
 * [m, n] (null: beta is 0), Note [half gemm]. No recording.
 */
export function halfAddmm(
  self: Tensor | null,
  a: Tensor,
  b: Tensor,
  beta: number,
  alpha: number,
): Tensor {
  const d = a.dtype;
  const q = rounder(d);
  const enc = encoder(d);
  const [m, k] = a.shape;
  const n = b.shape[1];
  const A = reader(a);
  const B = reader(b);
  const S = self === null || beta === 0 ? null : reader(expand(self, [m, n]));
  const out = new Uint16Array(m * n);
  const alphaF = fround(alpha);
  // gemm_transa_: A row-major, B column-major
  const floatDot = a.strides[1] === 1 && b.strides[0] === 1 && b.strides[1] !== 1 && k > 0;
  if (floatDot) {
    const betaF = fround(beta);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        const ps = [0, 0, 0, 0];
        let l = 0;
        for (; l + 4 <= k; l += 4)
          for (let p = 0; p < 4; p++) ps[p] = fround(ps[p] + A(i, l + p) * B(l + p, j));
        for (; l < k; l++) ps[0] = fround(ps[0] + A(i, l) * B(l, j));
        let dot = ps[0];
        for (let p = 1; p < 4; p++) dot = fround(dot + ps[p]);
        const ad = fround(alphaF * dot);
        out[i * n + j] = enc(S === null ? ad : fround(fround(betaF * S(i, j)) + ad));
      }
  } else {
    const betaQ = q(beta);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let c = S === null ? 0 : beta === 1 ? S(i, j) : q(S(i, j) * betaQ);
        for (let l = 0; l < k; l++) c = q(c + q(B(l, j) * fround(A(i, l) * alphaF)));
        out[i * n + j] = enc(c);
      }
  }
  return wrap(out, [m, n], d);
}

/**
 * beta self + alpha (mat @ vec) for a bfloat16 matrix [m, k] and vector [k], self broadcastable
 * to [m] (null: beta is 0), Note [half gemm]. No recording.
 */
export function halfAddmv(
  self: Tensor | null,
  mat: Tensor,
  vec: Tensor,
  beta: number,
  alpha: number,
): Tensor {
  const d = mat.dtype;
  const q = rounder(d);
  const enc = encoder(d);
  const [m, k] = mat.shape;
  const M = reader(mat);
  const x = reader(vec);
  const Y = self === null || beta === 0 ? null : reader(expand(self, [m]));
  const out = new Uint16Array(m);
  const alphaQ = q(alpha);
  const betaQ = q(beta);
  const columnMajor = mat.strides[0] === 1 && mat.strides[1] !== 1;
  for (let i = 0; i < m; i++) {
    if (columnMajor) {
      let c = Y === null ? 0 : beta === 1 ? Y(i) : q(Y(i) * betaQ);
      for (let j = 0; j < k; j++) c = q(c + q(q(alphaQ * x(j)) * M(i, j)));
      out[i] = enc(c);
    } else {
      let s = 0;
      for (let j = 0; j < k; j++) s = q(s + q(x(j) * M(i, j)));
      const as = q(alphaQ * s);
      out[i] = enc(Y === null ? as : q(q(betaQ * Y(i)) + as));
    }
  }
  return wrap(out, [m], d);
}

/**
 * beta self + alpha outer(vec1, vec2) for float16 or bfloat16 operands of one dtype, self
 * broadcastable to [n1, n2], Note [half gemm]. No recording.
 */
export function halfAddr(
  self: Tensor,
  vec1: Tensor,
  vec2: Tensor,
  beta: number,
  alpha: number,
): Tensor {
  const d = vec1.dtype;
  const q = rounder(d);
  const enc = encoder(d);
  const [n1, n2] = [vec1.shape[0], vec2.shape[0]];
  const v1 = reader(vec1);
  const v2 = reader(vec2);
  const S = beta === 0 ? null : reader(expand(self, [n1, n2]));
  const alphaQ = q(alpha);
  const betaQ = q(beta);
  const out = new Uint16Array(n1 * n2);
  for (let i = 0; i < n1; i++) {
    const av = q(alphaQ * v1(i));
    for (let j = 0; j < n2; j++) {
      const p = q(av * v2(j));
      out[i * n2 + j] = enc(S === null ? p : q(q(betaQ * S(i, j)) + p));
    }
  }
  return wrap(out, [n1, n2], d);
}
