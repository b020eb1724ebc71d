// tensorgrad native backend: layer-norm kernels, the twins of src/backend/norm.ts (forward,
// and the input / weight / bias gradients in one pass over the rows). Everything is computed
// in double with the TypeScript kernel's order of operations (a row's sums over four
// interleaved partial sums) and rounded once per output element; the column sums of the weight
// and bias gradients accumulate per task in double and are added in task order.
#include <cmath>
#include <vector>

#include "abi.gen.h"

namespace tg {
namespace {

// Elements per thread below which a call stays on the calling thread (a few cheap passes per
// element, as elementwise.cc's cheap ops).
constexpr Index kNormPerThread = 1 << 15;

// Rows of backward scratch per task: kRowBlock for the AVX2 path (Note [interleaved row sums]).
constexpr Index kScratchRows = 4;

template <typename T>
__attribute__((always_inline)) inline double rowSum(const T* a, Index D) {
  double p0 = 0, p1 = 0, p2 = 0, p3 = 0;
  Index i = 0;
  for (; i + 4 <= D; i += 4) {
    p0 += double(a[i]);
    p1 += double(a[i + 1]);
    p2 += double(a[i + 2]);
    p3 += double(a[i + 3]);
  }
  if (i < D) p0 += double(a[i]);
  if (i + 1 < D) p1 += double(a[i + 1]);
  if (i + 2 < D) p2 += double(a[i + 2]);
  return (p0 + p1) + (p2 + p3);
}

template <typename T>
__attribute__((always_inline)) inline void rowStats(const T* x, Index D, double eps, double* mean,
                                                    double* rstd) {
  const double m = rowSum(x, D) / double(D);
  double p0 = 0, p1 = 0, p2 = 0, p3 = 0;
  Index i = 0;
  for (; i + 4 <= D; i += 4) {
    const double d0 = double(x[i]) - m, d1 = double(x[i + 1]) - m;
    const double d2 = double(x[i + 2]) - m, d3 = double(x[i + 3]) - m;
    p0 += d0 * d0;
    p1 += d1 * d1;
    p2 += d2 * d2;
    p3 += d3 * d3;
  }
  for (Index j = 0; i + j < D; j++) {
    const double d = double(x[i + j]) - m;
    if (j == 0)
      p0 += d * d;
    else if (j == 1)
      p1 += d * d;
    else
      p2 += d * d;
  }
  const double variance = ((p0 + p1) + (p2 + p3)) / double(D);
  *mean = m;
  *rstd = 1 / std::sqrt(variance + eps);
}

// The number of tasks the rows are split into: one per thread when the call is large enough.
Index taskCount(Index rows, Index D) {
  const Index n = rows * D;
  if (n < 2 * kNormPerThread) return 1;
  return std::max<Index>(1, std::min<Index>(rows, Index(numThreads)));
}

// Rows [r0, r1) of the forward. always_inline: compiled once as it stands and once inside an
// AVX2 wrapper (below), which vectorises the same operations 4 doubles wide; without FMA in the
// target nothing is contracted, so both give the same bits.
template <typename T>
__attribute__((always_inline)) inline void outputRow(const T* xr, Index D, const T* w, const T* b,
                                                     double mean, double rstd, T* o) {
  for (Index i = 0; i < D; i++) {
    double y = (double(xr[i]) - mean) * rstd;
    if (w != nullptr) y *= double(w[i]);
    if (b != nullptr) y += double(b[i]);
    o[i] = T(y);
  }
}

template <typename T>
__attribute__((always_inline)) inline void forwardRows(const T* x, Index r0, Index r1, Index D,
                                                       const T* w, const T* b, double eps,
                                                       T* out) {
  for (Index r = r0; r < r1; r++) {
    double mean, rstd;
    rowStats(x + r * D, D, eps, &mean, &rstd);
    outputRow(x + r * D, D, w, b, mean, rstd, out + r * D);
  }
}

#if TG_X86
// Note [interleaved row sums]: a row's sum runs as four partial sums (rowSum), each a chain of
// dependent additions, so one row at a time waits on the adder's latency (~1 element per
// cycle). The AVX2 paths below keep each row's four partials in one register of 4 doubles and
// run the chains of kRowBlock rows side by side: every row gets the very additions rowSum does,
// in its order (partial j takes elements j, j + 4, ..., a tail element joins the partial of its
// position, then (p0 + p1) + (p2 + p3)), so the results are the same bits, only the rows'
// latencies overlap. Products and sums stay separate instructions (no FMA), as rowStats.
constexpr int kRowBlock = int(kScratchRows);

__attribute__((target("avx2"))) inline __m256d load4d(const float* p) {
  return _mm256_cvtps_pd(_mm_loadu_ps(p));
}
__attribute__((target("avx2"))) inline __m256d load4d(const double* p) {
  return _mm256_loadu_pd(p);
}

// (p0 + p1) + (p2 + p3) of a register of partials, after the tail elements a[i..D) joined them.
template <typename T>
__attribute__((target("avx2"))) inline double finishSum(__m256d acc, const T* a, Index i, Index D,
                                                        double center, bool square) {
  alignas(32) double p[4];
  _mm256_store_pd(p, acc);
  for (Index j = 0; i + j < D; j++) {
    double v = double(a[i + j]);
    if (square) {
      v -= center;
      v *= v;
    }
    p[j] += v;
  }
  return (p[0] + p[1]) + (p[2] + p[3]);
}

// rowSum of R rows at stride `ld` (Note [interleaved row sums]).
template <typename T, int R>
__attribute__((target("avx2"))) inline void rowSumsAvx2(const T* a, Index ld, Index D,
                                                        double* out) {
  __m256d acc[R];
  for (int r = 0; r < R; r++) acc[r] = _mm256_setzero_pd();
  Index i = 0;
  for (; i + 4 <= D; i += 4)
    for (int r = 0; r < R; r++) acc[r] = _mm256_add_pd(acc[r], load4d(a + r * ld + i));
  for (int r = 0; r < R; r++) out[r] = finishSum(acc[r], a + r * ld, i, D, 0.0, false);
}

// rowStats of R rows at stride D (Note [interleaved row sums]).
template <typename T, int R>
__attribute__((target("avx2"))) inline void rowStatsAvx2(const T* x, Index D, double eps,
                                                         double* mean, double* rstd) {
  rowSumsAvx2<T, R>(x, D, D, mean);
  __m256d acc[R], m[R];
  for (int r = 0; r < R; r++) {
    mean[r] /= double(D);
    m[r] = _mm256_set1_pd(mean[r]);
    acc[r] = _mm256_setzero_pd();
  }
  Index i = 0;
  for (; i + 4 <= D; i += 4) {
    for (int r = 0; r < R; r++) {
      const __m256d d = _mm256_sub_pd(load4d(x + r * D + i), m[r]);
      acc[r] = _mm256_add_pd(acc[r], _mm256_mul_pd(d, d));
    }
  }
  for (int r = 0; r < R; r++) {
    const double variance = finishSum(acc[r], x + r * D, i, D, mean[r], true) / double(D);
    rstd[r] = 1 / std::sqrt(variance + eps);
  }
}

template <typename T>
__attribute__((target("avx2"))) void forwardRowsAvx2(const T* x, Index r0, Index r1, Index D,
                                                     const T* w, const T* b, double eps, T* out) {
  Index r = r0;
  double mean[kRowBlock], rstd[kRowBlock];
  for (; r + kRowBlock <= r1; r += kRowBlock) {
    rowStatsAvx2<T, kRowBlock>(x + r * D, D, eps, mean, rstd);
    for (int q = 0; q < kRowBlock; q++)
      outputRow(x + (r + q) * D, D, w, b, mean[q], rstd[q], out + (r + q) * D);
  }
  for (; r < r1; r++) {
    rowStatsAvx2<T, 1>(x + r * D, D, eps, mean, rstd);
    outputRow(x + r * D, D, w, b, mean[0], rstd[0], out + r * D);
  }
}
#endif

template <typename T>
void forward(const T* x, Index rows, Index D, const T* w, const T* b, double eps, T* out) {
  const Index tasks = taskCount(rows, D);
  runTasks(size_t(tasks), size_t(tasks), [&](size_t t) {
    const Index r0 = rows * Index(t) / tasks, r1 = rows * Index(t + 1) / tasks;
#if TG_X86
    if (avx2()) return forwardRowsAvx2(x, r0, r1, D, w, b, eps, out);
#endif
    forwardRows(x, r0, r1, D, w, b, eps, out);
  });
}

// Rows [r0, r1) of the backward, with the task's gw / gb partials and scratch rows (as
// forwardRows: plain and AVX2 builds of the same operations).
template <typename T>
__attribute__((always_inline)) inline void backwardRows(const T* g, const T* x, Index r0,
                                                        Index r1, Index D, const T* w, double eps,
                                                        T* gx, double* sw) {
  double* sb = sw + D;
  double* gy = sb + D;
  double* xh = gy + D;
  double* prod = xh + D;
  for (Index r = r0; r < r1; r++) {
    const T* gr = g + r * D;
    const T* xr = x + r * D;
    double mean, rstd;
    rowStats(xr, D, eps, &mean, &rstd);
    for (Index i = 0; i < D; i++) {
      const double gi = double(gr[i]);
      const double h = (double(xr[i]) - mean) * rstd;
      xh[i] = h;
      sw[i] += gi * h;
      sb[i] += gi;
      gy[i] = w == nullptr ? gi : gi * double(w[i]);
      prod[i] = gy[i] * h;
    }
    if (gx == nullptr) continue;
    const double a = rowSum(gy, D) / double(D);
    const double c = rowSum(prod, D) / double(D);
    T* o = gx + r * D;
    for (Index i = 0; i < D; i++) o[i] = T(rstd * (gy[i] - a - xh[i] * c));
  }
}

#if TG_X86
// backwardRows for R rows from r (Note [interleaved row sums]): the rows' statistics and their
// two sums each run interleaved; the column sums sw, sb take the rows in order. Scratch after
// sw and sb: R rows each of xhat, gy and gy * xhat.
template <typename T, int R>
__attribute__((target("avx2"))) inline void backwardBlockAvx2(const T* g, const T* x, Index r,
                                                              Index D, const T* w, double eps,
                                                              T* gx, double* sw) {
  double* sb = sw + D;
  double* xh = sb + D;
  double* gy = xh + R * D;
  double* prod = gy + R * D;
  double mean[R], rstd[R], a[R], c[R];
  rowStatsAvx2<T, R>(x + r * D, D, eps, mean, rstd);
  for (int q = 0; q < R; q++) {
    const T* gr = g + (r + q) * D;
    const T* xr = x + (r + q) * D;
    double* xhq = xh + q * D;
    double* gyq = gy + q * D;
    double* pq = prod + q * D;
    for (Index i = 0; i < D; i++) {
      const double gi = double(gr[i]);
      const double h = (double(xr[i]) - mean[q]) * rstd[q];
      xhq[i] = h;
      sw[i] += gi * h;
      sb[i] += gi;
      gyq[i] = w == nullptr ? gi : gi * double(w[i]);
      pq[i] = gyq[i] * h;
    }
  }
  if (gx == nullptr) return;
  rowSumsAvx2<double, R>(gy, D, D, a);
  rowSumsAvx2<double, R>(prod, D, D, c);
  for (int q = 0; q < R; q++) {
    const double aq = a[q] / double(D), cq = c[q] / double(D), rs = rstd[q];
    const double* xhq = xh + q * D;
    const double* gyq = gy + q * D;
    T* o = gx + (r + q) * D;
    for (Index i = 0; i < D; i++) o[i] = T(rs * (gyq[i] - aq - xhq[i] * cq));
  }
}

template <typename T>
__attribute__((target("avx2"))) void backwardRowsAvx2(const T* g, const T* x, Index r0, Index r1,
                                                      Index D, const T* w, double eps, T* gx,
                                                      double* sw) {
  Index r = r0;
  for (; r + kRowBlock <= r1; r += kRowBlock)
    backwardBlockAvx2<T, kRowBlock>(g, x, r, D, w, eps, gx, sw);
  for (; r < r1; r++) backwardBlockAvx2<T, 1>(g, x, r, D, w, eps, gx, sw);
}
#endif

template <typename T>
void backward(const T* g, const T* x, Index rows, Index D, const T* w, double eps, T* gx, T* gw,
              T* gb) {
  const Index tasks = taskCount(rows, D);
  // per task: gw partials, gb partials, then scratch rows gy, xhat, gy * xhat (kRowBlock rows
  // of each in the AVX2 path)
  const size_t stride = size_t((2 + 3 * kScratchRows) * D);
  std::vector<double> scratch(size_t(tasks) * stride, 0.0);
  runTasks(size_t(tasks), size_t(tasks), [&](size_t t) {
    double* sw = scratch.data() + t * stride;
    const Index r0 = rows * Index(t) / tasks, r1 = rows * Index(t + 1) / tasks;
#if TG_X86
    if (avx2()) return backwardRowsAvx2(g, x, r0, r1, D, w, eps, gx, sw);
#endif
    backwardRows(g, x, r0, r1, D, w, eps, gx, sw);
  });
  for (Index i = 0; i < D; i++) {
    double w_ = 0, b_ = 0;
    for (Index t = 0; t < tasks; t++) {
      w_ += scratch[size_t(t) * stride + size_t(i)];
      b_ += scratch[size_t(t) * stride + size_t(D + i)];
    }
    if (gw != nullptr) gw[i] = T(w_);
    if (gb != nullptr) gb[i] = T(b_);
  }
}

}  // namespace

// out[r*D + i] = layer norm of row r of x (from xOff), r < rows, with optional w and b.
Napi::Value run(const Napi::CallbackInfo& info, const args::layerNormForward& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &x = arg.x, &w = arg.w, &b = arg.b, &o = arg.out;
  const Index xOff = arg.xOff, rows = arg.rows, D = arg.D, wOff = arg.wOff, bOff = arg.bOff;
  if (rows < 0 || D <= 0 || xOff < 0 || rows > (x.len - xOff) / D || rows * D > o.len ||
      (w.present && (wOff < 0 || wOff + D > w.len)) ||
      (b.present && (bOff < 0 || bOff + D > b.len)))
    return rangeError(env, fn, "range out of the arrays' bounds"), env.Undefined();
  if (x.type == napi_float32_array) {
    forward(static_cast<const float*>(x.data) + xOff, rows, D,
            w.present ? static_cast<const float*>(w.data) + wOff : nullptr,
            b.present ? static_cast<const float*>(b.data) + bOff : nullptr, arg.eps,
            static_cast<float*>(o.data));
  } else {
    forward(static_cast<const double*>(x.data) + xOff, rows, D,
            w.present ? static_cast<const double*>(w.data) + wOff : nullptr,
            b.present ? static_cast<const double*>(b.data) + bOff : nullptr, arg.eps,
            static_cast<double*>(o.data));
  }
  return env.Undefined();
}

// gx (rows*D, optional), gw and gb (D each, optional) of layer norm over rows of g and x.
Napi::Value run(const Napi::CallbackInfo& info, const args::layerNormBackward& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &g = arg.g, &x = arg.x, &w = arg.w, &gx = arg.gx, &gw = arg.gw, &gb = arg.gb;
  const Index gOff = arg.gOff, xOff = arg.xOff, rows = arg.rows, D = arg.D, wOff = arg.wOff;
  if (rows < 0 || D <= 0 || xOff < 0 || gOff < 0 || rows > (x.len - xOff) / D ||
      rows > (g.len - gOff) / D || (gx.present && rows * D > gx.len) ||
      (gw.present && D > gw.len) || (gb.present && D > gb.len) ||
      (w.present && (wOff < 0 || wOff + D > w.len)))
    return rangeError(env, fn, "range out of the arrays' bounds"), env.Undefined();
  if (x.type == napi_float32_array) {
    backward(static_cast<const float*>(g.data) + gOff, static_cast<const float*>(x.data) + xOff,
             rows, D, w.present ? static_cast<const float*>(w.data) + wOff : nullptr, arg.eps,
             gx.present ? static_cast<float*>(gx.data) : nullptr,
             gw.present ? static_cast<float*>(gw.data) : nullptr,
             gb.present ? static_cast<float*>(gb.data) : nullptr);
  } else {
    backward(static_cast<const double*>(g.data) + gOff,
             static_cast<const double*>(x.data) + xOff, rows, D,
             w.present ? static_cast<const double*>(w.data) + wOff : nullptr, arg.eps,
             gx.present ? static_cast<double*>(gx.data) : nullptr,
             gw.present ? static_cast<double*>(gw.data) : nullptr,
             gb.present ? static_cast<double*>(gb.data) : nullptr);
  }
  return env.Undefined();
}

}  // namespace tg
