// tensorgrad native backend: the complex dense factorizations, twins of
// src/backend/linalg-complex.ts. Every matrix is row-major interleaved complex double: element
// (i, j) of an n-column matrix is a[2 (i n + j)] (real part) and the next slot (imaginary part).
// LU with partial pivoting (zgetrf, by recursive halving of the columns as zgetrf2) and Cholesky
// (zpotrf, lower, by panels of kBlock columns) in place, their coupling updates complex
// products run as real matmul.cc products (Note [complex product as a real one]): the O(n^3)
// work runs at matrix-multiply speed. Their results are the TypeScript kernels' up to rounding
// (the products sum in another order); the pivots are the same wherever no two candidates'
// |re| + |im| are within rounding of each other. Where a factorization stops (a zero pivot, a
// minor that is not positive-definite) the unblocked twin reruns on the saved input, as Note
// [factorization fallback] in linalg.cc. The triangular solve keeps each element's operations
// in the twin's order, so it gives the twin's bits, except with many right-hand sides (Note
// [blocked complex triangular solve]).
//
// Note [complex product as a real one]: C = A B with A (r x k) and B (k x c) complex and
// interleaved is one real product: A read as the real r x 2k matrix of its interleaved rows,
// times the real 2k x 2c matrix B' whose row 2p is B's row p as stored (re, im pairs) and
// whose row 2p + 1 holds (-im, re) for each entry of row p. Row i of the result is then
// (sum ar br - ai bi, sum ar bi + ai br) per column: C's row i interleaved. The real product
// does 4 r k c multiply-adds, as the complex one does, and B' costs one pass over B.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "abi.gen.h"

namespace tg {
namespace {

constexpr Index kBlock = 64;  // Cholesky's panel width (linalg.cc's)
constexpr Index kZBase = 16;  // below this many columns the recursive LU runs plain loops

// Note [scratch reuse] of linalg.cc: per-thread buffers kept between calls (0: the input's
// copy, 1: a product's output, 2: LU's column-major base panel, 3: B' of a product), released
// above kKeepScratch elements.
constexpr size_t kKeepScratch = size_t(1) << 22;
std::vector<double>& scratch(int which) {
  thread_local std::vector<double> bufs[4];
  return bufs[which];
}
void releaseScratch() {
  for (int w = 0; w < 4; w++)
    if (scratch(w).capacity() > kKeepScratch) std::vector<double>().swap(scratch(w));
}
double* sized(int which, size_t count) {
  std::vector<double>& v = scratch(which);
  if (v.size() < count) v.resize(count);
  return v.data();
}

// y -= x u (complex, len elements, interleaved), y -= x (len doubles), x *= u: the twins'
// inner loops, the same IEEE operations per element (no fused multiply-add: AVX2 without FMA,
// Note [exact vector loops] in linalg.cc), so the same bits; 4-wide with AVX2 where the CPU
// has it.
#define TG_ZSUB_SCALED_BODY                   \
  for (Index i = 0; i < len; i++) {           \
    const double xr = x[2 * i], xi = x[2 * i + 1]; \
    y[2 * i] -= xr * ur - xi * ui;            \
    y[2 * i + 1] -= xr * ui + xi * ur;        \
  }
#define TG_SUB_BODY \
  for (Index i = 0; i < len; i++) y[i] -= x[i];
#define TG_ZSCALE_BODY                                 \
  for (Index i = 0; i < len; i++) {                    \
    const double xr = x[2 * i], xi = x[2 * i + 1];     \
    x[2 * i] = xr * ur - xi * ui;                      \
    x[2 * i + 1] = xr * ui + xi * ur;                  \
  }
void zSubScaledBase(double* y, const double* x, double ur, double ui, Index len) {
  TG_ZSUB_SCALED_BODY
}
void subBase(double* y, const double* x, Index len) { TG_SUB_BODY }
void zScaleBase(double* x, double ur, double ui, Index len) { TG_ZSCALE_BODY }
#if TG_X86
__attribute__((target("avx2"))) void zSubScaledAvx2(double* y, const double* x, double ur,
                                                     double ui, Index len) {
  TG_ZSUB_SCALED_BODY
}
__attribute__((target("avx2"))) void subAvx2(double* y, const double* x, Index len) {
  TG_SUB_BODY
}
__attribute__((target("avx2"))) void zScaleAvx2(double* x, double ur, double ui, Index len) {
  TG_ZSCALE_BODY
}
#endif
#undef TG_ZSUB_SCALED_BODY
#undef TG_SUB_BODY
#undef TG_ZSCALE_BODY
inline void zSubScaled(double* y, const double* x, double ur, double ui, Index len) {
#if TG_X86
  if (avx2()) return zSubScaledAvx2(y, x, ur, ui, len);
#endif
  zSubScaledBase(y, x, ur, ui, len);
}
inline void subRow(double* y, const double* x, Index len) {
#if TG_X86
  if (avx2()) return subAvx2(y, x, len);
#endif
  subBase(y, x, len);
}
inline void zScale(double* x, double ur, double ui, Index len) {
#if TG_X86
  if (avx2()) return zScaleAvx2(x, ur, ui, len);
#endif
  zScaleBase(x, ur, ui, len);
}

// B' of Note [complex product as a real one] for the complex k x c matrix at b (row stride ldb
// complex elements), or for its conjugate transpose when `adjoint` (b then c x k): 2k x 2c.
double* realFactor(const double* b, Index k, Index c, Index ldb, bool adjoint) {
  double* bt = sized(3, size_t(4 * k * c));
  for (Index p = 0; p < k; p++) {
    double* r0 = bt + 2 * p * 2 * c;
    double* r1 = r0 + 2 * c;
    for (Index q = 0; q < c; q++) {
      // entry (p, q): B[p][q], or conj(B[q][p])
      const double* e = adjoint ? b + 2 * (q * ldb + p) : b + 2 * (p * ldb + q);
      const double re = e[0], im = adjoint ? -e[1] : e[1];
      r0[2 * q] = re;
      r0[2 * q + 1] = im;
      r1[2 * q] = -im;
      r1[2 * q + 1] = re;
    }
  }
  return bt;
}

// C (r x c complex, row stride ldc) -= A (r x k, row stride lda) B (k x c, row stride ldb): one
// real matmul.cc product (Note [complex product as a real one]) into scratch, then the
// subtraction.
void zGemmSub(double* c, Index ldc, const double* a, Index lda, const double* b, Index ldb,
              Index r, Index k, Index cols) {
  if (r <= 0 || cols <= 0 || k <= 0) return;
  const double* bt = realFactor(b, k, cols, ldb, false);
  double* tmp = sized(1, size_t(2 * r * cols));
  matmulF64(a, 2 * lda, 1, bt, 2 * cols, 1, tmp, r, 2 * k, 2 * cols);
  for (Index i = 0; i < r; i++) subRow(c + 2 * i * ldc, tmp + 2 * i * cols, 2 * cols);
}
void zGemmSub(double* c, const double* a, const double* b, Index r, Index k, Index cols,
              Index ld) {
  zGemmSub(c, ld, a, ld, b, ld, r, k, cols);
}

// linalg-complex.ts's zLuFactor, operation for operation. Returns info.
Index zLuUnblocked(double* a, Index m, Index n, double* piv, bool pivot) {
  const Index k = std::min(m, n);
  auto at = [&](Index i, Index j) { return 2 * (i * n + j); };
  Index info = 0;
  for (Index j = 0; j < k; j++) {
    Index p = j;
    if (pivot) {
      double best = std::fabs(a[at(j, j)]) + std::fabs(a[at(j, j) + 1]);
      for (Index i = j + 1; i < m; i++) {
        const double v = std::fabs(a[at(i, j)]) + std::fabs(a[at(i, j) + 1]);
        if (v > best) {
          best = v;
          p = i;
        }
      }
    }
    piv[j] = double(p + 1);
    if (p != j)
      for (Index c = 0; c < 2 * n; c++) std::swap(a[at(j, 0) + c], a[at(p, 0) + c]);
    const double dr = a[at(j, j)], di = a[at(j, j) + 1];
    if (dr == 0 && di == 0) {
      if (info == 0) info = j + 1;
      continue;
    }
    // 1 / d = conj(d) / |d|^2
    const double s = dr * dr + di * di;
    const double ir = dr / s, ii = -di / s;
    const double* rj = a + at(j, 0);
    for (Index i = j + 1; i < m; i++) {
      double* ri = a + at(i, 0);
      const double xr = ri[2 * j], xi = ri[2 * j + 1];
      const double lr = xr * ir - xi * ii;
      const double li = xr * ii + xi * ir;
      ri[2 * j] = lr;
      ri[2 * j + 1] = li;
      if (lr == 0 && li == 0) continue;
      zSubScaled(ri + 2 * (j + 1), rj + 2 * (j + 1), lr, li, n - j - 1);
    }
  }
  return info;
}

// Recursive complex LU (Toledo; LAPACK's zgetrf2) of a row-major m x n matrix with whole-row
// swaps: linalg.cc's RecursiveLu with complex entries.
struct RecursiveZLu {
  double* a;
  Index m, n;
  double* piv;
  bool pivot;

  double* at(Index i, Index j) const { return a + 2 * (i * n + j); }

  // B <- L^{-1} B: L the unit lower triangle of rows/columns [r0, r1), B rows [r0, r1) and
  // columns [c0, c1). Split in halves: X1 = L11^{-1} B1, B2 -= L21 X1, X2 = L22^{-1} B2.
  void trsm(Index r0, Index r1, Index c0, Index c1) {
    if (c1 <= c0) return;
    if (r1 - r0 <= kZBase) {
      for (Index j = r0; j < r1; j++)
        for (Index i = j + 1; i < r1; i++) {
          const double* l = at(i, j);
          if (l[0] == 0 && l[1] == 0) continue;
          zSubScaled(at(i, c0), at(j, c0), l[0], l[1], c1 - c0);
        }
      return;
    }
    const Index h = r0 + (r1 - r0) / 2;
    trsm(r0, h, c0, c1);
    zGemmSub(at(h, c0), at(h, r0), at(r0, c0), r1 - h, h - r0, c1 - c0, n);
    trsm(h, r1, c0, c1);
  }

  // The unblocked LU of columns [c0, c1) (rows [c0, m)) on a column-major copy of the panel, so
  // that the pivot search and each column's update run down contiguous memory; each element
  // sees the twin's operations in the twin's order, except that a zero multiplier is not
  // skipped. Row swaps reach the columns outside the panel at once. False at a zero pivot.
  bool factorBase(Index c0, Index c1) {
    const Index w = c1 - c0, R = m - c0;
    double* P = sized(2, size_t(2 * w * R));
    for (Index i = 0; i < R; i++)
      for (Index jj = 0; jj < w; jj++) {
        const double* e = at(c0 + i, c0 + jj);
        P[2 * (jj * R + i)] = e[0];
        P[2 * (jj * R + i) + 1] = e[1];
      }
    bool ok = true;
    for (Index jj = 0; jj < w && ok; jj++) {
      const Index j = c0 + jj, r = j - c0;  // r: row j in the panel
      double* col = P + 2 * jj * R;
      Index p = r;
      if (pivot) {
        double best = std::fabs(col[2 * r]) + std::fabs(col[2 * r + 1]);
        for (Index i = r + 1; i < R; i++) {
          const double v = std::fabs(col[2 * i]) + std::fabs(col[2 * i + 1]);
          if (v > best) {
            best = v;
            p = i;
          }
        }
      }
      piv[j] = double(c0 + p + 1);
      if (p != r) {
        for (Index cc = 0; cc < w; cc++) {
          std::swap(P[2 * (cc * R + r)], P[2 * (cc * R + p)]);
          std::swap(P[2 * (cc * R + r) + 1], P[2 * (cc * R + p) + 1]);
        }
        double* rj = at(j, 0);
        double* rp = at(c0 + p, 0);
        for (Index c = 0; c < 2 * c0; c++) std::swap(rj[c], rp[c]);
        for (Index c = 2 * c1; c < 2 * n; c++) std::swap(rj[c], rp[c]);
      }
      const double dr = col[2 * r], di = col[2 * r + 1];
      if (dr == 0 && di == 0) {
        ok = false;  // zero pivot: the unblocked twin decides
        break;
      }
      const double s = dr * dr + di * di;
      const double ir = dr / s, ii = -di / s;
      zScale(col + 2 * (r + 1), ir, ii, R - r - 1);
      for (Index cc = jj + 1; cc < w; cc++) {
        double* t = P + 2 * cc * R;
        zSubScaled(t + 2 * (r + 1), col + 2 * (r + 1), t[2 * r], t[2 * r + 1], R - r - 1);
      }
    }
    for (Index i = 0; i < R; i++)
      for (Index jj = 0; jj < w; jj++) {
        double* e = at(c0 + i, c0 + jj);
        e[0] = P[2 * (jj * R + i)];
        e[1] = P[2 * (jj * R + i) + 1];
      }
    return ok;
  }

  // Factor columns [c0, c1) of rows [c0, m), the columns left of c0 done and their updates
  // applied. False at a zero pivot (Note [factorization fallback] in linalg.cc).
  bool factor(Index c0, Index c1) {
    if (c1 - c0 <= kZBase) return factorBase(c0, c1);
    const Index h = c0 + (c1 - c0) / 2;
    if (!factor(c0, h)) return false;
    trsm(c0, h, h, c1);  // U12 = L11^{-1} A12
    // A22 -= L21 U12
    zGemmSub(at(h, h), at(h, c0), at(c0, h), m - h, h - c0, c1 - h, n);
    return factor(h, c1);
  }
};

// Complex LU by recursive halving of the columns (linalg.cc's luBlocked). Returns 0, or -1 when
// a zero pivot turned up.
Index zLuBlocked(double* a, Index m, Index n, double* piv, bool pivot) {
  const Index k = std::min(m, n);
  RecursiveZLu lu{a, m, n, piv, pivot};
  if (!lu.factor(0, k)) return -1;
  lu.trsm(0, k, k, n);
  return 0;
}

// Column j of the complex Cholesky, as linalg-complex.ts's zCholesky: the columns k0..j-1 of
// L are done, and so are the updates of the columns left of k0 (the unblocked factorization's
// k0 is 0, the blocked one's the first column of its block). l_jj = sqrt(a_jj - sum_k |l_jk|^2),
// then l_ij = (a_ij - sum_k l_ik conj(l_jk)) / l_jj for the rows i > j, each sum over
// k0 <= k < j in the twin's order. False (the column untouched) when the pivot is not > 0.
bool zCholColumn(double* a, Index n, Index j, Index k0) {
  double* rj = a + 2 * j * n;
  double s = rj[2 * j];
  for (Index k = k0; k < j; k++) s -= rj[2 * k] * rj[2 * k] + rj[2 * k + 1] * rj[2 * k + 1];
  if (!(s > 0)) return false;
  const double d = std::sqrt(s);
  rj[2 * j] = d;
  rj[2 * j + 1] = 0;
  for (Index i = j + 1; i < n; i++) {
    double* ri = a + 2 * i * n;
    double tr = ri[2 * j], ti = ri[2 * j + 1];
    for (Index k = k0; k < j; k++) {
      const double xr = ri[2 * k], xi = ri[2 * k + 1];
      const double yr = rj[2 * k], yi = rj[2 * k + 1];
      tr -= xr * yr + xi * yi;
      ti -= xi * yr - xr * yi;
    }
    ri[2 * j] = tr / d;
    ri[2 * j + 1] = ti / d;
  }
  return true;
}

// Zeros above the diagonal of the complex n x n matrix at a (zpotrf leaves L's upper part 0).
void zZeroUpper(double* a, Index n) {
  for (Index i = 0; i < n; i++)
    for (Index j = i + 1; j < n; j++) a[2 * (i * n + j)] = a[2 * (i * n + j) + 1] = 0;
}

// linalg-complex.ts's zCholesky, operation for operation (the blocked kernel below with one
// block). Returns info.
Index zCholUnblocked(double* a, Index n) {
  for (Index j = 0; j < n; j++)
    if (!zCholColumn(a, n, j, 0)) return j + 1;
  zZeroUpper(a, n);
  return 0;
}

// Right-looking blocked complex Cholesky (lower), as linalg.cc's cholBlocked: the diagonal
// block and the panel below it by the twin's column recurrences restricted to the block's
// columns, then A22 -= L21 L21^H (its lower triangle, by bands of rows). Returns 0, or -1 when
// a leading minor is not positive-definite.
Index zCholBlocked(double* a, Index n) {
  for (Index j0 = 0; j0 < n; j0 += kBlock) {
    const Index jb = std::min(kBlock, n - j0);
    const Index e = j0 + jb;
    for (Index j = j0; j < e; j++)
      if (!zCholColumn(a, n, j, j0)) return -1;
    const Index r2 = n - e;
    if (r2 <= 0) continue;
    // L21 L21^H, L21 r2 x jb at row e, column j0: B' of L21^H once, then the lower triangle by
    // up to four bands of rows, each product stopping at the band's last column
    const double* l21 = a + 2 * (e * n + j0);
    const double* bt = realFactor(l21, jb, r2, n, true);
    const Index band = std::max(kBlock, (r2 + 3) / 4);
    double* tmp = sized(1, size_t(2 * std::min(band, r2) * r2));
    for (Index i0 = 0; i0 < r2; i0 += band) {
      const Index rows = std::min(band, r2 - i0), cols = i0 + rows;
      matmulF64(l21 + 2 * i0 * n, 2 * n, 1, bt, 2 * r2, 1, tmp, rows, 2 * jb, 2 * cols);
      for (Index i = 0; i < rows; i++)
        subRow(a + 2 * ((e + i0 + i) * n + e), tmp + 2 * i * cols, 2 * (i0 + i + 1));
    }
  }
  zZeroUpper(a, n);
  return 0;
}

// linalg-complex.ts's zTriSolve: op(T) X = B in place, B n x k. Each element of X sees the
// twin's operations in the twin's order (scaled by the diagonal's reciprocal, then subtracted
// from the later rows' right-hand sides), so the bits are the twin's.
void zTriSolveKernel(const double* t, double* b, Index n, Index k, bool upper, bool trans,
                     bool conj, bool unit) {
  const double cs = trans && conj ? -1 : 1;
  auto at = [&](Index i, Index j) { return trans ? 2 * (j * n + i) : 2 * (i * n + j); };
  const bool backward = upper != trans;
  for (Index s = 0; s < n; s++) {
    const Index i = backward ? n - 1 - s : s;
    double* ri = b + 2 * i * k;
    if (!unit) {
      const Index q = at(i, i);
      const double dr = t[q], di = cs * t[q + 1];
      // 1 / d; a zero d gives inf/nan as the real solve's 1 / 0
      const double m = dr * dr + di * di;
      zScale(ri, dr / m, -di / m, k);
    }
    const Index lo = backward ? 0 : i + 1;
    const Index hi = backward ? i : n;
    for (Index r = lo; r < hi; r++) {
      const Index q = at(r, i);
      zSubScaled(b + 2 * r * k, ri, t[q], cs * t[q + 1], k);
    }
  }
}

// Note [blocked complex triangular solve]: with many right-hand sides (k >= kTriBlockCols, as
// linalg.inv's and lu_solve's identity or matrix B) the O(n^2 k) work goes to products: op(T)
// is copied out once as a plain triangle M (transposed and conjugated as asked), and the rows
// of X are split in halves, X1 solved, B2 -= M21 X1 (or, backward, B1 -= M12 X2) as a
// matmul.cc product, X2 solved, down to kZBase rows solved by the twin's loops. The results are
// the twin's up to rounding (the products sum in another order). Only on finite input with a
// nonzero diagonal: otherwise the twin's loops run, so inf and nan spread as the twin's do.
constexpr Index kTriBlockCols = 16;
constexpr Index kTriBlockRows = 64;

struct BlockedZTri {
  const double* m;  // op(T), n x n
  double* b;        // n x k
  Index n, k;
  bool lower, unit;

  // the twin's loops on rows [r0, r1), the rows outside the range done
  void base(Index r0, Index r1) {
    for (Index s = r0; s < r1; s++) {
      const Index i = lower ? s : r1 - 1 - (s - r0);
      double* ri = b + 2 * i * k;
      if (!unit) {
        const double dr = m[2 * (i * n + i)], di = m[2 * (i * n + i) + 1];
        const double q = dr * dr + di * di;
        zScale(ri, dr / q, -di / q, k);
      }
      const Index lo = lower ? i + 1 : r0;
      const Index hi = lower ? r1 : i;
      for (Index r = lo; r < hi; r++) {
        const double* e = m + 2 * (r * n + i);
        zSubScaled(b + 2 * r * k, ri, e[0], e[1], k);
      }
    }
  }

  void solve(Index r0, Index r1) {
    if (r1 - r0 <= kZBase) return base(r0, r1);
    const Index h = r0 + (r1 - r0) / 2;
    if (lower) {
      solve(r0, h);
      zGemmSub(b + 2 * h * k, k, m + 2 * (h * n + r0), n, b + 2 * r0 * k, k, r1 - h, h - r0, k);
      solve(h, r1);
    } else {
      solve(h, r1);
      zGemmSub(b + 2 * r0 * k, k, m + 2 * (r0 * n + h), n, b + 2 * h * k, k, h - r0, r1 - h, k);
      solve(r0, h);
    }
  }
};

// Whether Note [blocked complex triangular solve] applies; if so, solves and returns true.
bool zTriSolveBlocked(const double* t, double* b, Index n, Index k, bool upper, bool trans,
                      bool conj, bool unit) {
  if (k < kTriBlockCols || n < kTriBlockRows) return false;
  for (Index i = 0; i < 2 * n * k; i++)
    if (!std::isfinite(b[i])) return false;
  const bool lower = upper == trans;  // op(T) is lower triangular
  double* m = sized(0, size_t(2 * n * n));
  const double cs = trans && conj ? -1 : 1;
  for (Index i = 0; i < n; i++) {
    const Index lo = lower ? 0 : i, hi = lower ? i + 1 : n;
    for (Index j = lo; j < hi; j++) {
      const double* e = trans ? t + 2 * (j * n + i) : t + 2 * (i * n + j);
      if (!std::isfinite(e[0]) || !std::isfinite(e[1])) return false;
      m[2 * (i * n + j)] = e[0];
      m[2 * (i * n + j) + 1] = cs * e[1];
    }
    if (!unit && m[2 * (i * n + i)] == 0 && m[2 * (i * n + i) + 1] == 0) return false;
  }
  BlockedZTri{m, b, n, k, lower, unit}.solve(0, n);
  return true;
}

bool fits(const Arr& arr, Index off, Index count) {
  return off >= 0 && count >= 0 && off + count <= arr.len;
}

}  // namespace

// Complex LU with partial pivoting of the m x n matrix at a[aOff..] (interleaved) in place;
// 1-based pivots into piv[0..min(m, n)), LAPACK's info into info[0].
Napi::Value run(const Napi::CallbackInfo& info, const args::zLuFactor& arg) {
  Napi::Env env = info.Env();
  const Index m = arg.m, n = arg.n;
  if (m < 0 || n < 0 || m > (Index(1) << 25) || n > (Index(1) << 25) ||
      !fits(arg.a, arg.aOff, 2 * m * n) || !fits(arg.piv, 0, std::min(m, n)) ||
      !fits(arg.info, 0, 1)) {
    Napi::RangeError::New(env, "zLuFactor: layout out of the arrays' bounds")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double* a = static_cast<double*>(arg.a.data) + arg.aOff;
  double* piv = static_cast<double*>(arg.piv.data);
  std::vector<double>& saved = scratch(0);  // Note [scratch reuse]
  saved.assign(a, a + 2 * m * n);
  Index r = zLuBlocked(a, m, n, piv, arg.pivot != 0);
  if (r < 0) {
    std::memcpy(a, saved.data(), size_t(2 * m * n) * sizeof(double));
    r = zLuUnblocked(a, m, n, piv, arg.pivot != 0);
  }
  releaseScratch();
  static_cast<double*>(arg.info.data)[0] = double(r);
  return env.Undefined();
}

// Complex Cholesky A = L L^H of the n x n matrix at a[aOff..] (lower triangle read) in place;
// info[0] gets 0 or the order of the first leading minor that is not positive-definite.
Napi::Value run(const Napi::CallbackInfo& info, const args::zCholesky& arg) {
  Napi::Env env = info.Env();
  const Index n = arg.n;
  if (n < 0 || n > (Index(1) << 25) || !fits(arg.a, arg.aOff, 2 * n * n) ||
      !fits(arg.info, 0, 1)) {
    Napi::RangeError::New(env, "zCholesky: layout out of the arrays' bounds")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double* a = static_cast<double*>(arg.a.data) + arg.aOff;
  std::vector<double>& saved = scratch(0);
  saved.assign(a, a + 2 * n * n);
  Index r = zCholBlocked(a, n);
  if (r < 0) {
    std::memcpy(a, saved.data(), size_t(2 * n * n) * sizeof(double));
    r = zCholUnblocked(a, n);
  }
  releaseScratch();
  static_cast<double*>(arg.info.data)[0] = double(r);
  return env.Undefined();
}

// op(T) X = B in place of the complex n x k matrix at b[bOff..], T n x n at t[tOff..]
// (linalg-complex.ts's zTriSolve).
Napi::Value run(const Napi::CallbackInfo& info, const args::zTriSolve& arg) {
  Napi::Env env = info.Env();
  const Index n = arg.n, k = arg.k;
  if (n < 0 || k < 0 || n > (Index(1) << 25) || k > (Index(1) << 25) ||
      !fits(arg.t, arg.tOff, 2 * n * n) || !fits(arg.b, arg.bOff, 2 * n * k)) {
    Napi::RangeError::New(env, "zTriSolve: layout out of the arrays' bounds")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const double* t = static_cast<const double*>(arg.t.data) + arg.tOff;
  double* b = static_cast<double*>(arg.b.data) + arg.bOff;
  const bool upper = arg.upper != 0, trans = arg.trans != 0, conj = arg.conj != 0,
             unit = arg.unit != 0;
  if (!zTriSolveBlocked(t, b, n, k, upper, trans, conj, unit))
    zTriSolveKernel(t, b, n, k, upper, trans, conj, unit);
  releaseScratch();
  return env.Undefined();
}

}  // namespace tg
