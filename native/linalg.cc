// tensorgrad native backend: the blocked dense factorizations, twins of src/backend/linalg.ts.
// LU with partial pivoting (getrf, by recursive halving of the columns as dgetrf2) and Cholesky
// (potrf, lower, by panels of kBlock columns) on a row-major double matrix in place, their
// coupling updates matmul.cc products (packed SIMD kernels, threads): the O(n^3) work runs at
// matrix-multiply speed. The results are the TypeScript kernels' up to rounding (the products
// sum in another order).
//
// Note [factorization fallback]: where the TypeScript twin stops early or skips work (a zero
// pivot in LU, a leading minor that is not positive-definite in Cholesky), what it leaves in
// the matrix is observable (linalg.lu_factor_ex's LU, cholesky_ex's L). The blocked kernel
// keeps a copy of its input; on such a matrix it restores the copy and runs the unblocked
// algorithm with the twin's exact order of operations, so the partial results agree too.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "abi.gen.h"

namespace tg {
namespace {

constexpr Index kBlock = 64;

// linalg.ts's luFactor, operation for operation. Returns info.
Index luUnblocked(double* a, Index m, Index n, double* piv, bool pivot) {
  const Index k = std::min(m, n);
  Index info = 0;
  for (Index j = 0; j < k; j++) {
    Index p = j;
    if (pivot) {
      double best = std::fabs(a[j * n + j]);
      for (Index i = j + 1; i < m; i++) {
        const double v = std::fabs(a[i * n + j]);
        if (v > best) {
          best = v;
          p = i;
        }
      }
    }
    piv[j] = double(p + 1);
    if (p != j)
      for (Index c = 0; c < n; c++) std::swap(a[j * n + c], a[p * n + c]);
    const double d = a[j * n + j];
    if (d == 0) {
      if (info == 0) info = j + 1;
      continue;
    }
    for (Index i = j + 1; i < m; i++) {
      const double l = (a[i * n + j] /= d);
      if (l == 0) continue;
      for (Index c = j + 1; c < n; c++) a[i * n + c] -= l * a[j * n + c];
    }
  }
  return info;
}

// Note [scratch reuse]: the factorizations' scratch (the input's copy kept for Note
// [factorization fallback], the products' output, LU's column-major base panel) lives in
// buffers kept per thread between calls: a fresh multi-megabyte std::vector is a fresh mmap
// whose pages fault in on first touch, on every call. Buffers above kKeepScratch elements are
// released after the call.
constexpr size_t kKeepScratch = size_t(1) << 22;
std::vector<double>& scratch(int which) {
  thread_local std::vector<double> bufs[3];
  return bufs[which];
}
void releaseScratch() {
  for (int w = 0; w < 3; w++)
    if (scratch(w).capacity() > kKeepScratch) std::vector<double>().swap(scratch(w));
}

// y[i] -= x[i] * u and y[i] -= x[i], i < len: the LU's elimination loops, 4-wide with AVX2 where
// the CPU has it. AVX2 without FMA, as Note [exact vector loops] below: the same IEEE
// operations per element as the scalar loops (and the twin's), so the same bits.
#define TG_SUB_SCALED_BODY \
  for (Index i = 0; i < len; i++) y[i] -= x[i] * u;
#define TG_SUB_BODY \
  for (Index i = 0; i < len; i++) y[i] -= x[i];
void subScaledBase(double* y, const double* x, double u, Index len) { TG_SUB_SCALED_BODY }
void subBase(double* y, const double* x, Index len) { TG_SUB_BODY }
#if TG_X86
__attribute__((target("avx2"))) void subScaledAvx2(double* y, const double* x, double u,
                                                    Index len) {
  TG_SUB_SCALED_BODY
}
__attribute__((target("avx2"))) void subAvx2(double* y, const double* x, Index len) {
  TG_SUB_BODY
}
#endif
#undef TG_SUB_SCALED_BODY
#undef TG_SUB_BODY
inline void subScaled(double* y, const double* x, double u, Index len) {
#if TG_X86
  if (avx2()) return subScaledAvx2(y, x, u, len);
#endif
  subScaledBase(y, x, u, len);
}
inline void subRow(double* y, const double* x, Index len) {
#if TG_X86
  if (avx2()) return subAvx2(y, x, len);
#endif
  subBase(y, x, len);
}

// C (r x c, row stride ld) -= A (r x k) B (k x c), A and B of row stride ld: one matmul.cc
// product into scratch, then the subtraction.
void gemmSub(double* c, const double* a, const double* b, Index r, Index k, Index cols, Index ld) {
  if (r <= 0 || cols <= 0 || k <= 0) return;
  std::vector<double>& tmp = scratch(1);
  if (tmp.size() < size_t(r * cols)) tmp.resize(size_t(r * cols));
  matmulF64(a, ld, 1, b, ld, 1, tmp.data(), r, k, cols);
  for (Index i = 0; i < r; i++) subRow(c + i * ld, tmp.data() + i * cols, cols);
}

// Below this many columns the recursive LU and triangular solve run their plain loops.
constexpr Index kLuBase = 16;

// Recursive LU (Toledo; LAPACK's dgetrf2) of a row-major m x n matrix with whole-row swaps.
struct RecursiveLu {
  double* a;
  Index m, n;
  double* piv;
  bool pivot;

  // B <- L^{-1} B: L the unit lower triangle of rows/columns [r0, r1), B rows [r0, r1) and
  // columns [c0, c1). Split in halves: X1 = L11^{-1} B1, B2 -= L21 X1, X2 = L22^{-1} B2.
  void trsm(Index r0, Index r1, Index c0, Index c1) {
    if (c1 <= c0) return;
    if (r1 - r0 <= kLuBase) {
      for (Index j = r0; j < r1; j++)
        for (Index i = j + 1; i < r1; i++) {
          const double l = a[i * n + j];
          if (l == 0) continue;
          subScaled(a + i * n + c0, a + j * n + c0, l, c1 - c0);
        }
      return;
    }
    const Index h = r0 + (r1 - r0) / 2;
    trsm(r0, h, c0, c1);
    gemmSub(a + h * n + c0, a + h * n + r0, a + r0 * n + c0, r1 - h, h - r0, c1 - c0, n);
    trsm(h, r1, c0, c1);
  }

  // The unblocked LU of columns [c0, c1) (rows [c0, m)) on a column-major copy of the panel,
  // so that the pivot search and each column's update run down contiguous memory; every
  // element sees the twin's operations in the twin's order, except that a zero multiplier is
  // not skipped (as in the products). Row swaps reach the columns outside the panel at once.
  bool factorBase(Index c0, Index c1) {
    const Index w = c1 - c0, R = m - c0;
    std::vector<double>& buf = scratch(2);
    if (buf.size() < size_t(w * R)) buf.resize(size_t(w * R));
    double* P = buf.data();
    for (Index i = 0; i < R; i++)
      for (Index jj = 0; jj < w; jj++) P[jj * R + i] = a[(c0 + i) * n + c0 + jj];
    bool ok = true;
    for (Index jj = 0; jj < w && ok; jj++) {
      const Index j = c0 + jj, r = j - c0;  // r: row j in the panel
      double* col = P + jj * R;
      Index p = r;
      if (pivot) {
        double best = std::fabs(col[r]);
        for (Index i = r + 1; i < R; i++) {
          const double v = std::fabs(col[i]);
          if (v > best) {
            best = v;
            p = i;
          }
        }
      }
      piv[j] = double(c0 + p + 1);
      if (p != r) {
        for (Index cc = 0; cc < w; cc++) std::swap(P[cc * R + r], P[cc * R + p]);
        double* rj = a + j * n;
        double* rp = a + (c0 + p) * n;
        for (Index c = 0; c < c0; c++) std::swap(rj[c], rp[c]);
        for (Index c = c1; c < n; c++) std::swap(rj[c], rp[c]);
      }
      const double d = col[r];
      if (!(d != 0)) {
        ok = false;  // zero (or NaN) pivot: the unblocked twin decides
        break;
      }
      for (Index i = r + 1; i < R; i++) col[i] /= d;
      for (Index cc = jj + 1; cc < w; cc++) {
        double* t = P + cc * R;
        subScaled(t + r + 1, col + r + 1, t[r], R - r - 1);
      }
    }
    for (Index i = 0; i < R; i++)
      for (Index jj = 0; jj < w; jj++) a[(c0 + i) * n + c0 + jj] = P[jj * R + i];
    return ok;
  }

  // Factor columns [c0, c1) of rows [c0, m), the columns left of c0 done and the updates from
  // them applied. False at a zero (or NaN) pivot: the unblocked twin decides (Note
  // [factorization fallback]).
  bool factor(Index c0, Index c1) {
    if (c1 - c0 <= kLuBase) return factorBase(c0, c1);
    const Index h = c0 + (c1 - c0) / 2;
    if (!factor(c0, h)) return false;
    trsm(c0, h, h, c1);  // U12 = L11^{-1} A12
    // A22 -= L21 U12
    gemmSub(a + h * n + h, a + h * n + c0, a + c0 * n + h, m - h, h - c0, c1 - h, n);
    return factor(h, c1);
  }
};

// LU by recursive halving of the columns: the two halves' coupling (U12 = L11^{-1} A12, A22
// -= L21 U12) is a triangular solve and a product, themselves split until kLuBase columns, so
// nearly all of the O(n^3) work is matmul.cc products of n/2, n/4, ... columns. Columns past
// min(m, n) (a wide matrix) get U = L^{-1} A at the end. Returns 0, or -1 when a zero pivot
// turned up (Note [factorization fallback]).
Index luBlocked(double* a, Index m, Index n, double* piv, bool pivot) {
  const Index k = std::min(m, n);
  RecursiveLu lu{a, m, n, piv, pivot};
  if (!lu.factor(0, k)) return -1;
  lu.trsm(0, k, k, n);
  return 0;
}

// Column j of the Cholesky, as linalg.ts's cholesky: the columns k0..j-1 of L are done, and
// so are the updates of the columns left of k0 (the unblocked factorization's k0 is 0, the
// blocked one's the first column of its block). l_jj = sqrt(a_jj - sum_k l_jk^2), then
// l_ij = (a_ij - sum_k l_ik l_jk) / l_jj for the rows i > j, each sum over k0 <= k < j in the
// twin's order. False (the column untouched) when the pivot is not > 0.
bool cholColumn(double* a, Index n, Index j, Index k0) {
  double* rj = a + j * n;
  double s = rj[j];
  for (Index k = k0; k < j; k++) s -= rj[k] * rj[k];
  if (!(s > 0)) return false;
  const double d = std::sqrt(s);
  rj[j] = d;
  for (Index i = j + 1; i < n; i++) {
    double* ri = a + i * n;
    double t = ri[j];
    for (Index k = k0; k < j; k++) t -= ri[k] * rj[k];
    ri[j] = t / d;
  }
  return true;
}

// Zeros above the diagonal of the n x n matrix at a (potrf leaves L's upper part 0).
void zeroUpper(double* a, Index n) {
  for (Index i = 0; i < n; i++)
    for (Index j = i + 1; j < n; j++) a[i * n + j] = 0;
}

// linalg.ts's cholesky, operation for operation (the blocked kernel below with one block).
// Returns info.
Index cholUnblocked(double* a, Index n) {
  for (Index j = 0; j < n; j++)
    if (!cholColumn(a, n, j, 0)) return j + 1;
  zeroUpper(a, n);
  return 0;
}

// Right-looking blocked Cholesky (lower): the diagonal block and the panel below it by the
// twin's column recurrences restricted to the block's columns, then A22 -= L21 L21^T (its
// lower triangle). Returns 0, or -1 when a leading minor is not positive-definite.
Index cholBlocked(double* a, Index n) {
  std::vector<double> tmp;
  for (Index j0 = 0; j0 < n; j0 += kBlock) {
    const Index jb = std::min(kBlock, n - j0);
    const Index e = j0 + jb;
    for (Index j = j0; j < e; j++)
      if (!cholColumn(a, n, j, j0)) return -1;
    const Index r2 = n - e;
    if (r2 <= 0) continue;
    // L21 L21^T: L21 is r2 x jb at row e, column j0; its transpose read with swapped strides.
    // Only the lower triangle is needed: by up to four bands of rows, each product stopping at
    // the band's last column (5/8 of the full product's work, each band large enough to share
    // between threads).
    const Index band = std::max(kBlock, (r2 + 3) / 4);
    tmp.resize(size_t(std::min(band, r2) * r2));
    for (Index i0 = 0; i0 < r2; i0 += band) {
      const Index rows = std::min(band, r2 - i0), cols = i0 + rows;
      matmulF64(a + (e + i0) * n + j0, n, 1, a + e * n + j0, 1, n, tmp.data(), rows, jb, cols);
      for (Index i = 0; i < rows; i++) {
        double* row = a + (e + i0 + i) * n + e;
        const double* t = tmp.data() + i * cols;
        for (Index c = 0; c <= i0 + i; c++) row[c] -= t[c];
      }
    }
  }
  zeroUpper(a, n);
  return 0;
}

// Note [V8's hypot]: Math.hypot in V8 (builtins/math.tq) is not correctly rounded as glibc's
// hypot is: it divides by the largest magnitude, sums the squares with Kahan compensation and
// multiplies sqrt(sum) back. The twins of src/backend/linalg.ts use this copy so that their
// results are the TypeScript kernels' bit for bit.
double v8Hypot(double x, double y) {
  if (std::isnan(x) || std::isnan(y)) {
    if (std::isinf(x) || std::isinf(y)) return HUGE_VAL;
    return NAN;
  }
  const double ax = std::fabs(x), ay = std::fabs(y);
  const double big = ax > ay ? ax : ay;
  if (big == HUGE_VAL) return HUGE_VAL;
  if (big == 0) return 0;
  double sum = 0, comp = 0;
  for (const double v : {ax, ay}) {
    const double r = v / big;
    const double summand = r * r - comp;
    const double pre = sum + summand;
    comp = (pre - sum) - summand;
    sum = pre;
  }
  return std::sqrt(sum) * big;
}

// Note [exact vector loops]: the loops below apply the same IEEE operations to independent
// elements, so 2-wide (SSE2, the build's baseline) or 4-wide (AVX2, chosen at run time) code
// gives the same bits as the TypeScript twins' scalar loops. AVX2 only, not FMA: a fused
// multiply-add rounds once where the twin rounds twice (and without FMA enabled the compiler
// cannot contract).
#define TG_ROTATE_BODY                    \
  for (Index i = 0; i < len; i++) {       \
    const double x = a[i], y = b[i];      \
    a[i] = c * x - s * y;                 \
    b[i] = s * x + c * y;                 \
  }
// (a, b) <- (c a - s b, s a + c b), elementwise
void rotateBase(double* a, double* b, Index len, double c, double s) { TG_ROTATE_BODY }
#if TG_X86
__attribute__((target("avx2"))) void rotateAvx2(double* a, double* b, Index len, double c,
                                                 double s) {
  TG_ROTATE_BODY
}
#endif
inline void rotatePair(double* a, double* b, Index len, double c, double s) {
#if TG_X86
  if (avx2()) return rotateAvx2(a, b, len, c, s);
#endif
  rotateBase(a, b, len, c, s);
}

// Jacobi's three inner products as four interleaved partial sums each (row i into sum i mod 4,
// as the twin), so four independent lanes: alpha = sum p^2, beta = sum r^2, gamma = sum p r.
#define TG_DOTS_BODY                                              \
  double sa[4] = {0, 0, 0, 0}, sb[4] = {0, 0, 0, 0}, sg[4] = {0, 0, 0, 0}; \
  Index i = 0;                                                    \
  for (; i + 4 <= m; i += 4)                                      \
    for (int l = 0; l < 4; l++) {                                 \
      sa[l] += p[i + l] * p[i + l];                               \
      sb[l] += r[i + l] * r[i + l];                               \
      sg[l] += p[i + l] * r[i + l];                               \
    }                                                             \
  for (int l = 0; i < m; i++, l++) {                              \
    sa[l] += p[i] * p[i];                                         \
    sb[l] += r[i] * r[i];                                         \
    sg[l] += p[i] * r[i];                                         \
  }                                                               \
  out[0] = sa[0] + sa[1] + (sa[2] + sa[3]);                       \
  out[1] = sb[0] + sb[1] + (sb[2] + sb[3]);                       \
  out[2] = sg[0] + sg[1] + (sg[2] + sg[3]);
void dotsBase(const double* p, const double* r, Index m, double* out) { TG_DOTS_BODY }
#if TG_X86
__attribute__((target("avx2"))) void dotsAvx2(const double* p, const double* r, Index m,
                                               double* out) {
  TG_DOTS_BODY
}
#endif
inline void jacobiDots(const double* p, const double* r, Index m, double* out) {
#if TG_X86
  if (avx2()) return dotsAvx2(p, r, m, out);
#endif
  dotsBase(p, r, m, out);
}

// linalg.ts's triSolve: op(T) X = B in place, B n x k. Every element of X sees the same
// operations in the same order as the twin's (its right-hand side, minus op(T)[r][i] x_i for
// the unknowns i solved before it in solve order, times 1 / op(T)[r][r]; no zero skipped), so
// the results are equal bit for bit. The loops differ only for locality: op(T) = T reads row r
// of T contiguously (each row of X finished at once); op(T) = T^T reads row i of T
// contiguously (unknown i eliminated from the later rows, as the twin does).
constexpr Index kTriRows = 8;  // rows solved together by triSolveKernel's one-column case

// acc[q] -= sum over the unknowns solved before row r (i < r forward, i > r backward, in that
// order) of T[row][i] b[i], for the rows r + q (r - q backward), q < rb; R = rb fixed at
// compile time (unrolled, the sums in registers), or 0 for a runtime rb.
template <Index R>
void triBlockSums(const double* t, const double* b, Index n, Index r, bool backward, Index rb,
                  double* acc) {
  const Index rows = R > 0 ? R : rb;
  double a[kTriRows];
  for (Index q = 0; q < rows; q++) a[q] = acc[q];
  if (backward) {
    for (Index i = n - 1; i > r; i--)
      for (Index q = 0; q < rows; q++) a[q] -= t[(r - q) * n + i] * b[i];
  } else {
    for (Index i = 0; i < r; i++)
      for (Index q = 0; q < rows; q++) a[q] -= t[(r + q) * n + i] * b[i];
  }
  for (Index q = 0; q < rows; q++) acc[q] = a[q];
}

void triSolveKernel(const double* t, double* b, Index n, Index k, bool upper, bool trans,
                    bool unit) {
  const bool backward = upper != trans;
  if (!trans) {
    for (Index s = 0; s < n; s++) {
      const Index r = backward ? n - 1 - s : s;
      double* br = b + r * k;
      const double* tr = t + r * n;
      if (k == 1) {
        // kTriRows rows at a time: their sums run as independent chains over the unknowns
        // solved before the block (each row's terms still in the twin's order), then the
        // block's own triangle row by row; one chain alone waits on each subtraction
        const Index rb = std::min(kTriRows, n - s);
        double acc[kTriRows];
        for (Index q = 0; q < rb; q++) acc[q] = b[backward ? r - q : r + q];
        if (rb == kTriRows)
          triBlockSums<kTriRows>(t, b, n, r, backward, kTriRows, acc);
        else
          triBlockSums<0>(t, b, n, r, backward, rb, acc);
        for (Index q = 0; q < rb; q++) {
          const Index rq = backward ? r - q : r + q;
          const double* tq = t + rq * n;
          double a = acc[q];
          if (backward)
            for (Index i = r; i > rq; i--) a -= tq[i] * b[i];
          else
            for (Index i = r; i < rq; i++) a -= tq[i] * b[i];
          if (!unit) a *= 1 / tq[rq];
          b[rq] = a;
        }
        s += rb - 1;
        continue;
      }
      if (backward)
        for (Index i = n - 1; i > r; i--) {
          const double l = tr[i];
          const double* bi = b + i * k;
          for (Index c = 0; c < k; c++) br[c] -= l * bi[c];
        }
      else
        for (Index i = 0; i < r; i++) {
          const double l = tr[i];
          const double* bi = b + i * k;
          for (Index c = 0; c < k; c++) br[c] -= l * bi[c];
        }
      if (!unit) {
        const double inv = 1 / tr[r];
        for (Index c = 0; c < k; c++) br[c] *= inv;
      }
    }
    return;
  }
  for (Index s = 0; s < n; s++) {
    const Index i = backward ? n - 1 - s : s;
    double* bi = b + i * k;
    const double* ti = t + i * n;  // op(T)[r][i] = T[i][r]
    if (!unit) {
      const double inv = 1 / ti[i];
      for (Index c = 0; c < k; c++) bi[c] *= inv;
    }
    const Index r0 = backward ? 0 : i + 1, r1 = backward ? i : n;
    if (k == 1) {
      const double x = bi[0];
      for (Index r = r0; r < r1; r++) b[r] -= ti[r] * x;
      continue;
    }
    for (Index r = r0; r < r1; r++) {
      const double l = ti[r];
      double* br = b + r * k;
      for (Index c = 0; c < k; c++) br[c] -= l * bi[c];
    }
  }
}

// linalg.ts's tridiagonalEig (EISPACK's tred2 and tql2 as JAMA writes them), operation for
// operation (Note [V8's hypot], Note [exact vector loops]): the symmetric n x n matrix `a`
// (left as it is; the twin destroys its copy) to eigenvalues `d` (unsorted) and eigenvectors
// as the rows of `z`. False when QL takes more than 30 n steps.
bool tridiagonalEigKernel(double* a, Index n, double* d, double* z) {
  std::vector<double> ev(size_t(n), 0.0);
  double* e = ev.data();
  // tred2 on W = V^T, kept in z: every inner loop of the twin runs down a column of V, a
  // contiguous row of W here; the operations and their order are the twin's
  double* W = z;
  for (Index i = 0; i < n; i++)
    for (Index j = 0; j < n; j++) W[j * n + i] = a[i * n + j];
  for (Index j = 0; j < n; j++) d[j] = W[j * n + n - 1];
  for (Index i = n - 1; i > 0; i--) {
    double scale = 0, h = 0;
    for (Index k = 0; k < i; k++) scale += std::fabs(d[k]);
    if (scale == 0) {
      e[i] = d[i - 1];
      for (Index j = 0; j < i; j++) {
        d[j] = W[j * n + i - 1];
        W[j * n + i] = 0;
        W[i * n + j] = 0;
      }
    } else {
      for (Index k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      double f = d[i - 1];
      double g = std::sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (Index j = 0; j < i; j++) e[j] = 0;
      for (Index j = 0; j < i; j++) {
        f = d[j];
        double* wj = W + j * n;
        W[i * n + j] = f;
        g = e[j] + wj[j] * f;
        for (Index k = j + 1; k <= i - 1; k++) {
          g += wj[k] * d[k];
          e[k] += wj[k] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (Index j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const double hh = f / (h + h);
      for (Index j = 0; j < i; j++) e[j] -= hh * d[j];
      for (Index j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        double* wj = W + j * n;
        for (Index k = j; k <= i - 1; k++) wj[k] -= f * e[k] + g * d[k];
        d[j] = wj[i - 1];
        wj[i] = 0;
      }
    }
    d[i] = h;
  }
  for (Index i = 0; i < n - 1; i++) {
    W[i * n + n - 1] = W[i * n + i];
    W[i * n + i] = 1;
    const double h = d[i + 1];
    double* wi1 = W + (i + 1) * n;
    if (h != 0) {
      for (Index k = 0; k <= i; k++) d[k] = wi1[k] / h;
      for (Index j = 0; j <= i; j++) {
        double* wj = W + j * n;
        double g = 0;
        for (Index k = 0; k <= i; k++) g += wi1[k] * wj[k];
        for (Index k = 0; k <= i; k++) wj[k] -= g * d[k];
      }
    }
    for (Index k = 0; k <= i; k++) wi1[k] = 0;
  }
  for (Index j = 0; j < n; j++) {
    d[j] = W[j * n + n - 1];
    W[j * n + n - 1] = 0;
  }
  W[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
  // z = V^T = W already
  for (Index i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  double f = 0, tst1 = 0;
  const double eps = std::ldexp(1.0, -52);
  Index steps = 0;
  for (Index l = 0; l < n; l++) {
    tst1 = std::max(tst1, std::fabs(d[l]) + std::fabs(e[l]));
    Index m = l;
    while (m < n && std::fabs(e[m]) > eps * tst1) m++;
    if (m == n) m = n - 1;
    if (m > l) {
      do {
        if (++steps > 30 * n) return false;
        double g = d[l];
        double p = (d[l + 1] - g) / (2 * e[l]);
        double r = v8Hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const double dl1 = d[l + 1];
        double h = g - d[l];
        for (Index i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        double c = 1, c2 = c, c3 = c;
        const double el1 = e[l + 1];
        double s = 0, s2 = 0;
        for (Index i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = v8Hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          // (z_i, z_{i+1}) <- (c z_i - s z_{i+1}, s z_i + c z_{i+1})
          rotatePair(z + i * n, z + (i + 1) * n, n, c, s);
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (std::fabs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  return true;
}

// linalg.ts's jacobiSweeps (one-sided Jacobi, Hestenes): the column pairs of W = A Q (m x n)
// rotated until orthogonal, operation for operation. W and Q are kept transposed (a column a
// contiguous row) while rotating, which changes no operation's order.
void jacobiSweepsKernel(const double* a, Index m, Index n, double* w, double* q) {
  std::vector<double> wtv(size_t(m * n)), qtv(size_t(n * n), 0.0);
  double* wt = wtv.data();
  double* qt = qtv.data();
  for (Index i = 0; i < m; i++)
    for (Index j = 0; j < n; j++) wt[j * m + i] = a[i * n + j];
  for (Index i = 0; i < n; i++) qt[i * n + i] = 1;
  const double tol = std::sqrt(double(m)) * std::ldexp(1.0, -52);  // the twin's sqrt(m) eps
  for (int sweep = 0; sweep < 80; sweep++) {
    bool rotated = false;
    for (Index p = 0; p < n - 1; p++)
      for (Index r = p + 1; r < n; r++) {
        double* wp = wt + p * m;
        double* wr = wt + r * m;
        double dots[3];
        jacobiDots(wp, wr, m, dots);
        const double alpha = dots[0], beta = dots[1], gamma = dots[2];
        if (gamma == 0 || std::fabs(gamma) <= tol * std::sqrt(alpha * beta)) continue;
        rotated = true;
        const double zeta = (beta - alpha) / (2 * gamma);
        const double t = (zeta >= 0 ? 1 : -1) / (std::fabs(zeta) + std::sqrt(1 + zeta * zeta));
        const double c = 1 / std::sqrt(1 + t * t);
        const double sn = c * t;
        rotatePair(wp, wr, m, c, sn);
        rotatePair(qt + p * n, qt + r * n, n, c, sn);
      }
    if (!rotated) break;
  }
  for (Index i = 0; i < m; i++)
    for (Index j = 0; j < n; j++) w[i * n + j] = wt[j * m + i];
  for (Index i = 0; i < n; i++)
    for (Index j = 0; j < n; j++) q[i * n + j] = qt[j * n + i];
}

// Note [Golub-Kahan SVD]: from kGkMin columns the native SVD is Golub and Kahan's, not the
// twin's Jacobi sweeps (which cost some ten sweeps of n^2/2 column pairs, O(m n^2) each): a
// Householder bidiagonalisation B = U1^T A V1, the accumulation of U1 and V1, and implicitly
// shifted QR steps on the bidiagonal whose rotations are applied to U and V (LINPACK's dsvdc,
// as JAMA writes it; LAPACK's dbdsqr criteria). It is accurate to eps ||A|| (LAPACK's gesvd
// and gesdd, PyTorch's drivers, are too), not the Jacobi sweeps' small relative errors, and
// its results are not the twin's bits: test/native-linalg.test.ts checks the residual
// ||A - U S V^T|| and the orthogonality of U and V instead. Columns of A, U and V are kept as
// the contiguous rows of their transposes, so every inner loop runs down contiguous memory.
constexpr Index kGkMin = 48;

// sqrt(a^2 + b^2) without overflow (not correctly rounded; no twin to match here)
inline double pythag(double a, double b) {
  a = std::fabs(a);
  b = std::fabs(b);
  if (a < b) std::swap(a, b);
  if (a == 0) return b;  // b <= a: both zero, or b NaN
  const double r = b / a;
  return a * std::sqrt(1 + r * r);
}

// the 2-norm of x[0..len) with scaling (no overflow or underflow of the squares)
double norm2(const double* x, Index len) {
  double big = 0;
  for (Index i = 0; i < len; i++) big = std::max(big, std::fabs(x[i]));
  if (big == 0 || !std::isfinite(big)) return big;
  const double inv = 1 / big;
  double s = 0;
  for (Index i = 0; i < len; i++) {
    const double t = x[i] * inv;
    s += t * t;
  }
  return big * std::sqrt(s);
}

// x . y and y += t x for the bidiagonalisation and the accumulation of U and V, in the widest
// vectors the machine has (no twin to match; eight partial sums in the dot product)
#define TG_DOT_BODY                                                     \
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};                               \
  Index i = 0;                                                          \
  for (; i + 8 <= len; i += 8)                                          \
    for (int l = 0; l < 8; l++) s[l] += x[i + l] * y[i + l];            \
  for (; i < len; i++) s[0] += x[i] * y[i];                             \
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
#define TG_AXPY_BODY \
  for (Index i = 0; i < len; i++) y[i] += t * x[i];
double dotBase(const double* x, const double* y, Index len) { TG_DOT_BODY }
void axpyBase(double t, const double* x, double* y, Index len) { TG_AXPY_BODY }
#if TG_X86
__attribute__((target("avx2,fma"))) double dotAvx2(const double* x, const double* y, Index len) {
  TG_DOT_BODY
}
__attribute__((target("avx2,fma"))) void axpyAvx2(double t, const double* x, double* y,
                                                   Index len) {
  TG_AXPY_BODY
}
__attribute__((target("avx512f"))) double dotAvx512(const double* x, const double* y, Index len) {
  TG_DOT_BODY
}
__attribute__((target("avx512f"))) void axpyAvx512(double t, const double* x, double* y,
                                                    Index len) {
  TG_AXPY_BODY
}
#endif
#undef TG_DOT_BODY
#undef TG_AXPY_BODY
inline double dot(const double* x, const double* y, Index len) {
#if TG_X86
  if (avx512()) return dotAvx512(x, y, len);
  if (avx2()) return dotAvx2(x, y, len);
#endif
  return dotBase(x, y, len);
}
inline void axpy(double t, const double* x, double* y, Index len) {
#if TG_X86
  if (avx512()) return axpyAvx512(t, x, y, len);
  if (avx2()) return axpyAvx2(t, x, y, len);
#endif
  axpyBase(t, x, y, len);
}

// The SVD of the m x n matrix a (m >= n >= 1, finite) by Note [Golub-Kahan SVD]: W = U diag(S)
// (m x n) into w and V (n x n) into q, row-major, S descending. False when a QR step count
// exceeds 75 per singular value (the caller then runs the Jacobi sweeps).
bool golubKahanKernel(const double* a, Index m, Index n, double* w, double* q) {
  std::vector<double> atv(size_t(n * m)), utv(size_t(n * m), 0.0), vtv(size_t(n * n), 0.0);
  std::vector<double> sv(size_t(n) + 1, 0.0), ev(size_t(n), 0.0), work(size_t(m), 0.0);
  double* At = atv.data();  // At[j * m + i] = A[i][j]
  double* Ut = utv.data();  // Ut[j * m + i] = U[i][j]
  double* Vt = vtv.data();  // Vt[j * n + i] = V[i][j]
  double* s = sv.data();
  double* e = ev.data();
  for (Index i = 0; i < m; i++)
    for (Index j = 0; j < n; j++) At[j * m + i] = a[i * n + j];
  const Index nct = std::min(m - 1, n), nrt = std::max<Index>(0, std::min(n - 2, m));
  for (Index k = 0; k < std::max(nct, nrt); k++) {
    double* ak = At + k * m;
    if (k < nct) {
      // the Householder reflector of column k (rows k..m) into ak; -s[k] the new diagonal
      s[k] = norm2(ak + k, m - k);
      if (s[k] != 0) {
        if (ak[k] < 0) s[k] = -s[k];
        const double inv = 1 / s[k];
        for (Index i = k; i < m; i++) ak[i] *= inv;
        ak[k] += 1;
      }
      s[k] = -s[k];
    }
    for (Index j = k + 1; j < n; j++) {
      double* aj = At + j * m;
      if (k < nct && s[k] != 0) {
        const double t = -dot(ak + k, aj + k, m - k) / ak[k];
        axpy(t, ak + k, aj + k, m - k);
      }
      e[j] = aj[k];  // row k, to be reflected from the right
    }
    if (k < nct)
      for (Index i = k; i < m; i++) Ut[k * m + i] = ak[i];
    if (k < nrt) {
      e[k] = norm2(e + k + 1, n - k - 1);
      if (e[k] != 0) {
        if (e[k + 1] < 0) e[k] = -e[k];
        const double inv = 1 / e[k];
        for (Index i = k + 1; i < n; i++) e[i] *= inv;
        e[k + 1] += 1;
      }
      e[k] = -e[k];
      if (k + 1 < m && e[k] != 0) {
        // A[k+1.., k+1..] -= (A e) e^T / e[k+1]: work = A[k+1.., k+1..] e
        for (Index i = k + 1; i < m; i++) work[i] = 0;
        for (Index j = k + 1; j < n; j++)
          axpy(e[j], At + j * m + k + 1, work.data() + k + 1, m - k - 1);
        for (Index j = k + 1; j < n; j++)
          axpy(-e[j] / e[k + 1], work.data() + k + 1, At + j * m + k + 1, m - k - 1);
      }
      for (Index i = k + 1; i < n; i++) Vt[k * n + i] = e[i];
    }
  }
  // the bidiagonal of order p = n (m >= n)
  Index p = n;
  if (nct < n) s[nct] = At[nct * m + nct];
  if (m < p) s[p - 1] = 0;
  if (nrt + 1 < p) e[nrt] = At[(p - 1) * m + nrt];
  e[p - 1] = 0;
  // U = H_0 ... H_{nct-1} (its first n columns), from the last reflector back
  for (Index j = nct; j < n; j++) {
    std::fill(Ut + j * m, Ut + (j + 1) * m, 0.0);
    Ut[j * m + j] = 1;
  }
  for (Index k = nct - 1; k >= 0; k--) {
    double* uk = Ut + k * m;
    if (s[k] != 0) {
      for (Index j = k + 1; j < n; j++) {
        double* uj = Ut + j * m;
        const double t = -dot(uk + k, uj + k, m - k) / uk[k];
        axpy(t, uk + k, uj + k, m - k);
      }
      for (Index i = k; i < m; i++) uk[i] = -uk[i];
      uk[k] += 1;
      for (Index i = 0; i < k; i++) uk[i] = 0;
    } else {
      std::fill(uk, uk + m, 0.0);
      uk[k] = 1;
    }
  }
  // V likewise
  for (Index k = n - 1; k >= 0; k--) {
    double* vk = Vt + k * n;
    if (k < nrt && e[k] != 0)
      for (Index j = k + 1; j < n; j++) {
        double* vj = Vt + j * n;
        const double t = -dot(vk + k + 1, vj + k + 1, n - k - 1) / vk[k + 1];
        axpy(t, vk + k + 1, vj + k + 1, n - k - 1);
      }
    std::fill(vk, vk + n, 0.0);
    vk[k] = 1;
  }
  // QR iteration on the bidiagonal (s, e)
  const Index pp = p - 1;
  Index iter = 0;
  const double eps = std::ldexp(1.0, -52), tiny = std::ldexp(1.0, -966);
  while (p > 0) {
    Index k, kase;
    for (k = p - 2; k >= -1; k--) {
      if (k == -1) break;
      if (std::fabs(e[k]) <= tiny + eps * (std::fabs(s[k]) + std::fabs(s[k + 1]))) {
        e[k] = 0;
        break;
      }
    }
    if (k == p - 2) {
      kase = 4;
    } else {
      Index ks;
      for (ks = p - 1; ks >= k; ks--) {
        if (ks == k) break;
        const double t =
            (ks != p ? std::fabs(e[ks]) : 0.) + (ks != k + 1 ? std::fabs(e[ks - 1]) : 0.);
        if (std::fabs(s[ks]) <= tiny + eps * t) {
          s[ks] = 0;
          break;
        }
      }
      if (ks == k) {
        kase = 3;
      } else if (ks == p - 1) {
        kase = 1;
      } else {
        kase = 2;
        k = ks;
      }
    }
    k++;
    switch (kase) {
      case 1: {  // s[p-1] negligible: chase e[p-2] up and out
        double f = e[p - 2];
        e[p - 2] = 0;
        for (Index j = p - 2; j >= k; j--) {
          const double t = pythag(s[j], f), cs = s[j] / t, sn = f / t;
          s[j] = t;
          if (j != k) {
            f = -sn * e[j - 1];
            e[j - 1] = cs * e[j - 1];
          }
          // (V_j, V_{p-1}) <- (cs V_j + sn V_{p-1}, -sn V_j + cs V_{p-1})
          rotatePair(Vt + j * n, Vt + (p - 1) * n, n, cs, -sn);
        }
        break;
      }
      case 2: {  // s[k-1] negligible: split, chasing e[k-1] down
        double f = e[k - 1];
        e[k - 1] = 0;
        for (Index j = k; j < p; j++) {
          const double t = pythag(s[j], f), cs = s[j] / t, sn = f / t;
          s[j] = t;
          f = -sn * e[j];
          e[j] = cs * e[j];
          rotatePair(Ut + j * m, Ut + (k - 1) * m, m, cs, -sn);
        }
        break;
      }
      case 3: {  // one implicitly shifted QR step on rows/columns k..p-1
        if (++iter > 75) return false;
        const double scale = std::max(
            std::max(
                std::max(std::max(std::fabs(s[p - 1]), std::fabs(s[p - 2])), std::fabs(e[p - 2])),
                std::fabs(s[k])),
            std::fabs(e[k]));
        const double sp = s[p - 1] / scale, spm1 = s[p - 2] / scale, epm1 = e[p - 2] / scale;
        const double sk = s[k] / scale, ek = e[k] / scale;
        const double b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
        const double c = (sp * epm1) * (sp * epm1);
        double shift = 0;
        if (b != 0 || c != 0) {
          shift = std::sqrt(b * b + c);
          if (b < 0) shift = -shift;
          shift = c / (b + shift);
        }
        double f = (sk + sp) * (sk - sp) + shift;
        double g = sk * ek;
        for (Index j = k; j < p - 1; j++) {
          double t = pythag(f, g), cs = f / t, sn = g / t;
          if (j != k) e[j - 1] = t;
          f = cs * s[j] + sn * e[j];
          e[j] = cs * e[j] - sn * s[j];
          g = sn * s[j + 1];
          s[j + 1] = cs * s[j + 1];
          rotatePair(Vt + j * n, Vt + (j + 1) * n, n, cs, -sn);
          t = pythag(f, g);
          cs = f / t;
          sn = g / t;
          s[j] = t;
          f = cs * e[j] + sn * s[j + 1];
          s[j + 1] = -sn * e[j] + cs * s[j + 1];
          g = sn * e[j + 1];
          e[j + 1] = cs * e[j + 1];
          rotatePair(Ut + j * m, Ut + (j + 1) * m, m, cs, -sn);  // j < p - 1 <= m - 1
        }
        e[p - 2] = f;
        break;
      }
      default: {  // converged: make s[k] non-negative, sort it into place
        if (s[k] <= 0) {
          s[k] = s[k] < 0 ? -s[k] : 0;
          for (Index i = 0; i <= pp; i++) Vt[k * n + i] = -Vt[k * n + i];
        }
        while (k < pp && s[k] < s[k + 1]) {
          std::swap(s[k], s[k + 1]);
          std::swap_ranges(Vt + k * n, Vt + (k + 1) * n, Vt + (k + 1) * n);
          std::swap_ranges(Ut + k * m, Ut + (k + 1) * m, Ut + (k + 1) * m);
          k++;
        }
        iter = 0;
        p--;
      }
    }
  }
  for (Index i = 0; i < m; i++)
    for (Index j = 0; j < n; j++) w[i * n + j] = Ut[j * m + i] * s[j];
  for (Index i = 0; i < n; i++)
    for (Index j = 0; j < n; j++) q[i * n + j] = Vt[j * n + i];
  return true;
}

bool fits(const Arr& arr, Index off, Index count) {
  return off >= 0 && count >= 0 && off + count <= arr.len;
}

}  // namespace

// LU with partial pivoting of the m x n matrix at a[aOff..] in place; 1-based pivots into
// piv[0..min(m, n)), LAPACK's info into info[0].
Napi::Value run(const Napi::CallbackInfo& info, const args::luFactor& arg) {
  Napi::Env env = info.Env();
  const Index m = arg.m, n = arg.n;
  if (m < 0 || n < 0 || m > (Index(1) << 26) || n > (Index(1) << 26) ||
      !fits(arg.a, arg.aOff, m * n) || !fits(arg.piv, 0, std::min(m, n)) ||
      !fits(arg.info, 0, 1)) {
    Napi::RangeError::New(env, "luFactor: layout out of the arrays' bounds")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double* a = static_cast<double*>(arg.a.data) + arg.aOff;
  double* piv = static_cast<double*>(arg.piv.data);
  std::vector<double>& saved = scratch(0);  // Note [scratch reuse]
  saved.assign(a, a + m * n);
  Index r = luBlocked(a, m, n, piv, arg.pivot != 0);
  if (r < 0) {
    std::memcpy(a, saved.data(), size_t(m * n) * sizeof(double));
    r = luUnblocked(a, m, n, piv, arg.pivot != 0);
  }
  releaseScratch();
  static_cast<double*>(arg.info.data)[0] = double(r);
  return env.Undefined();
}

// Cholesky A = L L^T of the n x n matrix at a[aOff..] (lower triangle read) in place; info[0]
// gets 0 or the order of the first leading minor that is not positive-definite.
Napi::Value run(const Napi::CallbackInfo& info, const args::cholesky& arg) {
  Napi::Env env = info.Env();
  const Index n = arg.n;
  if (n < 0 || n > (Index(1) << 26) || !fits(arg.a, arg.aOff, n * n) || !fits(arg.info, 0, 1)) {
    Napi::RangeError::New(env, "cholesky: layout out of the arrays' bounds")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double* a = static_cast<double*>(arg.a.data) + arg.aOff;
  std::vector<double> saved(a, a + n * n);
  Index r = cholBlocked(a, n);
  if (r < 0) {
    std::memcpy(a, saved.data(), size_t(n * n) * sizeof(double));
    r = cholUnblocked(a, n);
  }
  static_cast<double*>(arg.info.data)[0] = double(r);
  return env.Undefined();
}

}  // namespace tg

namespace tg {

// op(T) X = B in place of the n x k matrix at b[bOff..], T n x n at t[tOff..] (linalg.ts's
// triSolve).
Napi::Value run(const Napi::CallbackInfo& info, const args::triSolve& arg) {
  Napi::Env env = info.Env();
  const Index n = arg.n, k = arg.k;
  if (n < 0 || k < 0 || n > (Index(1) << 26) || k > (Index(1) << 26) ||
      !fits(arg.t, arg.tOff, n * n) || !fits(arg.b, arg.bOff, n * k)) {
    Napi::RangeError::New(env, "triSolve: layout out of the arrays' bounds")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  triSolveKernel(static_cast<const double*>(arg.t.data) + arg.tOff,
                 static_cast<double*>(arg.b.data) + arg.bOff, n, k, arg.upper != 0,
                 arg.trans != 0, arg.unit != 0);
  return env.Undefined();
}

// The symmetric eigenproblem of the full n x n matrix a (destroyed): eigenvalues into d,
// eigenvectors as the rows of z; info[0] = 1, or 0 when QL did not converge.
Napi::Value run(const Napi::CallbackInfo& info, const args::tridiagonalEig& arg) {
  Napi::Env env = info.Env();
  const Index n = arg.n;
  if (n < 1 || n > (Index(1) << 13) || !fits(arg.a, 0, n * n) || !fits(arg.d, 0, n) ||
      !fits(arg.z, 0, n * n) || !fits(arg.info, 0, 1)) {
    Napi::RangeError::New(env, "tridiagonalEig: layout out of the arrays' bounds")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const bool ok = tridiagonalEigKernel(static_cast<double*>(arg.a.data), n,
                                       static_cast<double*>(arg.d.data),
                                       static_cast<double*>(arg.z.data));
  static_cast<double*>(arg.info.data)[0] = ok ? 1 : 0;
  return env.Undefined();
}

// The SVD of the m x n matrix at a[aOff..] (m >= n) as W = A Q = U diag(S) into w (m x n) and
// the orthogonal Q = V into q (n x n): one-sided Jacobi (the twin's bits), or from kGkMin
// columns Golub-Kahan (Note [Golub-Kahan SVD]).
Napi::Value run(const Napi::CallbackInfo& info, const args::svdJacobi& arg) {
  Napi::Env env = info.Env();
  const Index m = arg.m, n = arg.n;
  if (m < 0 || n < 0 || m > (Index(1) << 26) || n > (Index(1) << 13) ||
      !fits(arg.a, arg.aOff, m * n) || !fits(arg.w, 0, m * n) || !fits(arg.q, 0, n * n)) {
    Napi::RangeError::New(env, "svdJacobi: layout out of the arrays' bounds")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double* a = static_cast<const double*>(arg.a.data) + arg.aOff;
  double* w = static_cast<double*>(arg.w.data);
  double* q = static_cast<double*>(arg.q.data);
  // Note [Golub-Kahan SVD]: from kGkMin columns, on finite input; the sweeps otherwise
  bool finite = true;
  for (Index i = 0; i < m * n && finite; i++) finite = std::isfinite(a[i]);
  if (n >= kGkMin && m >= n && finite && golubKahanKernel(a, m, n, w, q)) return env.Undefined();
  jacobiSweepsKernel(a, m, n, w, q);
  return env.Undefined();
}

}  // namespace tg
