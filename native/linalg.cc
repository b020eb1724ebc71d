// tensorgrad native backend: the blocked dense factorizations, twins of src/backend/linalg.ts.
// LU with partial pivoting (getrf) and Cholesky (potrf, lower) on a row-major double matrix in
// place, by panels of kBlock columns whose trailing update is one matmul.cc product (packed
// SIMD kernels, threads): the O(n^3) work runs at matrix-multiply speed. The results are the
// TypeScript kernels' up to rounding (the products sum in another order).
//
// Note [factorization fallback]: where the TypeScript twin stops early or skips work (a zero
// pivot in LU, a leading minor that is not positive-definite in Cholesky), what it leaves in
// the matrix is observable (linalg.lu_factor_ex's LU, cholesky_ex's L). The blocked kernel
// keeps a copy of its input; on such a matrix it restores the copy and runs the unblocked
// algorithm with the twin's exact order of operations, so the partial results agree too.
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

// Right-looking blocked LU: factor the panel (rows j0.., columns j0..j0+jb) unblocked with
// whole-row swaps, solve U12 = L11^{-1} A12, then A22 -= L21 U12. Returns info, or -1 when a
// zero pivot turned up (Note [factorization fallback]).
Index luBlocked(double* a, Index m, Index n, double* piv, bool pivot) {
  const Index k = std::min(m, n);
  std::vector<double> tmp;
  for (Index j0 = 0; j0 < k; j0 += kBlock) {
    const Index jb = std::min(kBlock, k - j0);
    const Index e = j0 + jb;  // first column after the panel
    for (Index j = j0; j < e; j++) {
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
      if (!(d != 0)) return -1;  // zero (or NaN) pivot: the unblocked twin decides
      for (Index i = j + 1; i < m; i++) {
        const double l = (a[i * n + j] /= d);
        if (l == 0) continue;
        for (Index c = j + 1; c < e; c++) a[i * n + c] -= l * a[j * n + c];
      }
    }
    if (e >= n) continue;
    // U12 = L11^{-1} A12 (unit lower triangular, forward substitution by rows)
    for (Index j = j0; j < e; j++)
      for (Index i = j + 1; i < e; i++) {
        const double l = a[i * n + j];
        if (l == 0) continue;
        for (Index c = e; c < n; c++) a[i * n + c] -= l * a[j * n + c];
      }
    const Index r2 = m - e, c2 = n - e;
    if (r2 <= 0) continue;
    tmp.resize(size_t(r2 * c2));
    matmulF64(a + e * n + j0, n, 1, a + j0 * n + e, n, 1, tmp.data(), r2, jb, c2);
    for (Index i = 0; i < r2; i++) {
      double* row = a + (e + i) * n + e;
      const double* t = tmp.data() + i * c2;
      for (Index c = 0; c < c2; c++) row[c] -= t[c];
    }
  }
  return 0;
}

// linalg.ts's cholesky, operation for operation. Returns info.
Index cholUnblocked(double* a, Index n) {
  for (Index j = 0; j < n; j++) {
    double* rj = a + j * n;
    double s = rj[j];
    for (Index k = 0; k < j; k++) s -= rj[k] * rj[k];
    if (!(s > 0)) return j + 1;
    const double d = std::sqrt(s);
    rj[j] = d;
    for (Index i = j + 1; i < n; i++) {
      double* ri = a + i * n;
      double t = ri[j];
      for (Index k = 0; k < j; k++) t -= ri[k] * rj[k];
      ri[j] = t / d;
    }
  }
  for (Index i = 0; i < n; i++)
    for (Index j = i + 1; j < n; j++) a[i * n + j] = 0;
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
    for (Index j = j0; j < e; j++) {
      double* rj = a + j * n;
      double s = rj[j];
      for (Index k = j0; k < j; k++) s -= rj[k] * rj[k];
      if (!(s > 0)) return -1;
      const double d = std::sqrt(s);
      rj[j] = d;
      for (Index i = j + 1; i < n; i++) {
        double* ri = a + i * n;
        double t = ri[j];
        for (Index k = j0; k < j; k++) t -= ri[k] * rj[k];
        ri[j] = t / d;
      }
    }
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
  for (Index i = 0; i < n; i++)
    for (Index j = i + 1; j < n; j++) a[i * n + j] = 0;
  return 0;
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
  std::vector<double> saved(a, a + m * n);
  Index r = luBlocked(a, m, n, piv, arg.pivot != 0);
  if (r < 0) {
    std::memcpy(a, saved.data(), size_t(m * n) * sizeof(double));
    r = luUnblocked(a, m, n, piv, arg.pivot != 0);
  }
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
