// tensorgrad native backend: reductions, cumulative sums, softmax / log-softmax and their
// backward passes. The TypeScript twins are src/backend/reduce.ts `reduce`, `reduceAxis`,
// `cumsum`, `cumprod`, `softmax` and `softmaxBackward`; each function here computes the same
// math.
//
// Layout. Every kernel sees a contiguous input viewed as [outer, n, inner] (n = the reduced or
// scanned axis) starting at an element offset, so a reduction over a leading or middle axis
// (e.g. the bias gradient grad.sum(0) over [128, 256]) needs no permuted copy: with inner > 1
// a kernel walks the n rows of each outer block and combines them column-wise, SIMD across the
// contiguous inner axis; with inner == 1 it reduces contiguous rows.
//
// Precision. Float32 inputs are accumulated in double (as the TypeScript kernels do, whose
// accumulators are JS numbers) and rounded once at the end, so float32 results agree with the
// twins up to the rare rounding tie that a different summation order can move. Row sums use
// four vector accumulators (16 partial sums for float32 and float64 alike), so float64 row sums
// differ from the twins' sequential order by summation-order rounding only. Column reductions,
// cumsum and max/min/arg use the twins' order exactly (softmax backward's sum(g * y) runs over
// eight partial sums). exp for logsumexp and softmax is `exp4` (`exp8`, the same operations
// eight lanes wide, on AVX-512 machines),
// a vectorised double-precision exp (max error measured against long-double expl over 10^7
// points in [-745, 710]: 0.88 ulp of double), applied to float32 inputs widened to double, so the
// float32 results are those of the twins' Math.exp up to that one double ulp.
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "abi.gen.h"

namespace tg {
namespace {


constexpr double kInf = std::numeric_limits<double>::infinity();

// Threads. Only the exp-bound kernels (softmax, log_softmax, their backward, logsumexp) split
// over threads, from kParallelMin elements (~300 µs of single-thread work for float32 rows of
// 100, so waking a worker, ~5-20 µs, is noise). Sums, products, max/min and cumsum stream
// memory at a few cycles per cache line and stay on one thread: measured here (float32, µs,
// 1 vs 2 threads) a row sum of 2^20 took 72 vs 72, a column sum over [4096, 256] 103 vs 182,
// a column cumsum of 2^18 50 vs 70.
constexpr Index kParallelMin = Index(1) << 17;

// ---------------------------------------------------------------------------------------------
// Vectorised exp (AVX2 + FMA, 4 doubles): exp(x) = 2^k * e^r with k = round(x / ln 2) and
// r = x - k ln 2 (Cody-Waite, ln 2 split in a 32-bit head and a tail, |r| <= 0.347); e^r by its
// Taylor polynomial to degree 13 (truncation below 1e-17 relative); 2^k applied as two factors
// 2^(k/2) so that results in the subnormal range and overflow to inf come out right. x is
// clamped to [-746, 710] (beyond which exp is 0 or inf) and NaN passes through.

#if TG_X86
__attribute__((target("avx2,fma"))) inline __m256d pow2i(__m256d k) {
  // k (an integral double, |k| < 2^51) to int64 through the 1.5 * 2^52 rounding constant
  const __m256d magic = _mm256_set1_pd(6755399441055744.0);
  const __m256i ki = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(k, magic)),
                                      _mm256_castpd_si256(magic));
  return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(ki, _mm256_set1_epi64x(1023)), 52));
}

__attribute__((target("avx2,fma"))) inline __m256d exp4(__m256d x) {
  const __m256d nan = _mm256_cmp_pd(x, x, _CMP_UNORD_Q);
  const __m256d xc = _mm256_min_pd(_mm256_max_pd(x, _mm256_set1_pd(-746.0)), _mm256_set1_pd(710.0));
  const __m256d k = _mm256_round_pd(_mm256_mul_pd(xc, _mm256_set1_pd(1.4426950408889634)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(k, _mm256_set1_pd(6.93147180369123816490e-01), xc);
  r = _mm256_fnmadd_pd(k, _mm256_set1_pd(1.90821492927058770002e-10), r);
  __m256d p = _mm256_set1_pd(1.0 / 6227020800.0);                      // 1/13!
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 479001600.0));        // 1/12!
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 39916800.0));         // 1/11!
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 3628800.0));          // 1/10!
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 362880.0));           // 1/9!
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 40320.0));            // 1/8!
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 5040.0));             // 1/7!
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 720.0));              // 1/6!
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 120.0));              // 1/5!
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 24.0));               // 1/4!
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0 / 6.0));                // 1/3!
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(0.5));                      // 1/2!
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));                      // 1/1!
  p = _mm256_fmadd_pd(p, r, _mm256_set1_pd(1.0));                      // 1/0!
  const __m256d k1 = _mm256_floor_pd(_mm256_mul_pd(k, _mm256_set1_pd(0.5)));
  const __m256d k2 = _mm256_sub_pd(k, k1);
  const __m256d y = _mm256_mul_pd(_mm256_mul_pd(p, pow2i(k1)), pow2i(k2));
  return _mm256_blendv_pd(y, x, nan);
}

// exp4 eight lanes wide (AVX-512F): the same operations in the same order, so the same bits.
// (GCC 12 flags the AVX-512 intrinsics' own _mm512_undefined_* pass-through operands as maybe
// uninitialized: a false positive of its headers, silenced for these functions.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) inline __m512d pow2i8(__m512d k) {
  const __m512d magic = _mm512_set1_pd(6755399441055744.0);
  const __m512i ki = _mm512_sub_epi64(_mm512_castpd_si512(_mm512_add_pd(k, magic)),
                                      _mm512_castpd_si512(magic));
  return _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(ki, _mm512_set1_epi64(1023)), 52));
}

__attribute__((target("avx512f"))) inline __m512d exp8(__m512d x) {
  const __mmask8 nan = _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q);
  const __m512d xc = _mm512_min_pd(_mm512_max_pd(x, _mm512_set1_pd(-746.0)), _mm512_set1_pd(710.0));
  const __m512d k = _mm512_roundscale_pd(_mm512_mul_pd(xc, _mm512_set1_pd(1.4426950408889634)),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(k, _mm512_set1_pd(6.93147180369123816490e-01), xc);
  r = _mm512_fnmadd_pd(k, _mm512_set1_pd(1.90821492927058770002e-10), r);
  static const double kInvFact[] = {1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
                                    1.0 / 362880.0,    1.0 / 40320.0,    1.0 / 5040.0,
                                    1.0 / 720.0,       1.0 / 120.0,      1.0 / 24.0,
                                    1.0 / 6.0,         0.5,              1.0,
                                    1.0};
  __m512d p = _mm512_set1_pd(1.0 / 6227020800.0);
  for (double c : kInvFact) p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(c));
  const __m512d k1 = _mm512_roundscale_pd(_mm512_mul_pd(k, _mm512_set1_pd(0.5)),
                                          _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512d k2 = _mm512_sub_pd(k, k1);
  const __m512d y = _mm512_mul_pd(_mm512_mul_pd(p, pow2i8(k1)), pow2i8(k2));
  return _mm512_mask_mov_pd(y, nan, x);
}

__attribute__((target("avx512f"))) void expInPlaceAvx512(double* v, Index n) {
  Index i = 0;
  // four independent vectors per step: exp8 is one dependent chain of ~25 operations (~100
  // cycles at 4 per FMA), so two chains left the two FMA pipes idle most of the time
  for (; i + 32 <= n; i += 32) {
    const __m512d a = exp8(_mm512_loadu_pd(v + i));
    const __m512d b = exp8(_mm512_loadu_pd(v + i + 8));
    const __m512d c = exp8(_mm512_loadu_pd(v + i + 16));
    const __m512d d = exp8(_mm512_loadu_pd(v + i + 24));
    _mm512_storeu_pd(v + i, a);
    _mm512_storeu_pd(v + i + 8, b);
    _mm512_storeu_pd(v + i + 16, c);
    _mm512_storeu_pd(v + i + 24, d);
  }
  for (; i < n; i += 8) {
    const __mmask8 m = n - i >= 8 ? __mmask8(0xff) : __mmask8((1u << (n - i)) - 1);
    _mm512_mask_storeu_pd(v + i, m, exp8(_mm512_maskz_loadu_pd(m, v + i)));
  }
}
#pragma GCC diagnostic pop

__attribute__((target("avx2,fma"))) void expInPlaceAvx2(double* v, Index n) {
  Index i = 0;
  // two independent vectors per step: exp4 is one long dependent chain of FMAs
  for (; i + 8 <= n; i += 8) {
    const __m256d a = exp4(_mm256_loadu_pd(v + i));
    const __m256d b = exp4(_mm256_loadu_pd(v + i + 4));
    _mm256_storeu_pd(v + i, a);
    _mm256_storeu_pd(v + i + 4, b);
  }
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(v + i, exp4(_mm256_loadu_pd(v + i)));
  if (i < n) {
    // masked tail (a scalar copy through a stack buffer would stall store forwarding)
    const __m256i lane = _mm256_set_epi64x(3, 2, 1, 0);
    const __m256i mask = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n - i), lane);
    _mm256_maskstore_pd(v + i, mask, exp4(_mm256_maskload_pd(v + i, mask)));
  }
}

__attribute__((target("avx2,fma"))) inline double hsum(__m256d v) {
  const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

__attribute__((target("avx2,fma"))) inline __m256d load4d(const float* a) {
  return _mm256_cvtps_pd(_mm_loadu_ps(a));
}
__attribute__((target("avx2,fma"))) inline __m256d load4d(const double* a) {
  return _mm256_loadu_pd(a);
}

// Sum of a contiguous row in double: four 4-wide accumulators, then the tail in order.
template <typename T>
__attribute__((target("avx2,fma"))) double sumRowAvx2(const T* a, Index n) {
  __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
  Index i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_add_pd(s0, load4d(a + i));
    s1 = _mm256_add_pd(s1, load4d(a + i + 4));
    s2 = _mm256_add_pd(s2, load4d(a + i + 8));
    s3 = _mm256_add_pd(s3, load4d(a + i + 12));
  }
  double s = hsum(_mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)));
  for (; i < n; i++) s += double(a[i]);
  return s;
}

// Largest (isMax) or smallest element of a row ignoring NaN, and whether a NaN occurs.
template <typename T>
__attribute__((target("avx2,fma"))) double extremeRowAvx2(const T* a, Index n, bool isMax,
                                                          bool* nan) {
  __m256d best = _mm256_set1_pd(isMax ? -kInf : kInf);
  __m256d anyNan = _mm256_setzero_pd();
  Index i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d x = load4d(a + i);
    anyNan = _mm256_or_pd(anyNan, _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
    // max_pd(x, best) returns best when x is NaN
    best = isMax ? _mm256_max_pd(x, best) : _mm256_min_pd(x, best);
  }
  double lanes[4];
  _mm256_storeu_pd(lanes, best);
  double b = lanes[0];
  for (int l = 1; l < 4; l++) b = isMax ? std::max(b, lanes[l]) : std::min(b, lanes[l]);
  bool sawNan = _mm256_movemask_pd(anyNan) != 0;
  for (; i < n; i++) {
    const double x = double(a[i]);
    if (x != x) sawNan = true;
    else if (isMax ? x > b : x < b) b = x;
  }
  *nan = sawNan;
  return b;
}
#endif

void expInPlace(double* v, Index n) {
#if TG_X86
  if (avx512()) return expInPlaceAvx512(v, n);
  if (avx2()) return expInPlaceAvx2(v, n);
#endif
  for (Index i = 0; i < n; i++) v[i] = std::exp(v[i]);
}

template <typename T>
double sumRow(const T* a, Index n) {
#if TG_X86
  if (avx2()) return sumRowAvx2(a, n);
#endif
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  Index i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += double(a[i]);
    s1 += double(a[i + 1]);
    s2 += double(a[i + 2]);
    s3 += double(a[i + 3]);
  }
  double s = (s0 + s1) + (s2 + s3);
  for (; i < n; i++) s += double(a[i]);
  return s;
}

// The twins' max/min over a row: the first NaN wins (its index), else the first occurrence of
// the extreme value (so also the sign of a zero extreme matches the twin).
template <typename T>
Index extremeIndexRow(const T* a, Index n, bool isMax) {
#if TG_X86
  if (avx2()) {
    bool nan = false;
    const double b = extremeRowAvx2(a, n, isMax, &nan);
    Index i = 0;
    if (nan) {
      while (a[i] == a[i]) i++;
    } else {
      while (double(a[i]) != b) i++;
    }
    return i;
  }
#endif
  double best = double(a[0]);
  Index bi = 0;
  for (Index i = 1; i < n && best == best; i++) {
    const double x = double(a[i]);
    if ((isMax ? x > best : x < best) || x != x) {
      best = x;
      bi = i;
    }
  }
  return bi;
}

// max of a row ignoring NaN (-inf for an all-NaN row), as the twins' logsumexp / softmax.
template <typename T>
double maxIgnoringNan(const T* a, Index n) {
#if TG_X86
  if (avx2()) {
    bool nan = false;
    return extremeRowAvx2(a, n, true, &nan);
  }
#endif
  double m = -kInf;
  for (Index i = 0; i < n; i++)
    if (double(a[i]) > m) m = double(a[i]);
  return m;
}

double sumDoubles(const double* v, Index n) { return sumRow(v, n); }

// Scratch rows for the exp passes (one per thread; grown on demand, never shrunk).
double* scratch(size_t slot, Index n) {
  thread_local std::vector<double> bufs[3];
  if (bufs[slot].size() < size_t(n)) bufs[slot].resize(size_t(n));
  return bufs[slot].data();
}

// ---------------------------------------------------------------------------------------------
// Reductions

// One contiguous row of length n (inner == 1) to out[o]. OutT is T (values), double (argmax /
// argmin indices; int64 tensors are stored as Float64Array) or uint8_t (any / all).
template <typename T, typename OutT>
OutT reduceRow(ReduceOp op, const T* a, Index n) {
  switch (op) {
    case kSum:
      return OutT(sumRow(a, n));
    case kProd: {
      double p = 1;
      for (Index i = 0; i < n; i++) p *= double(a[i]);
      return OutT(p);
    }
    case kMax:
    case kMin:
      return OutT(a[extremeIndexRow(a, n, op == kMax)]);
    case kArgMax:
    case kArgMin:
      return OutT(extremeIndexRow(a, n, op == kArgMax));
    case kLogSumExp: {
      // log(sum(exp(x))) = m + log(sum(exp(x - m))), m = max(x) (NaN ignored for m, then
      // propagated by the sum); an infinite m is the result itself
      const double m = maxIgnoringNan(a, n);
      if (m == kInf || m == -kInf) return OutT(m);
      double* t = scratch(0, n);
      for (Index i = 0; i < n; i++) t[i] = double(a[i]) - m;
      expInPlace(t, n);
      return OutT(m + std::log(sumDoubles(t, n)));
    }
    case kAny: {
      for (Index i = 0; i < n; i++)
        if (a[i] != 0) return OutT(1);
      return OutT(0);
    }
    case kAll: {
      for (Index i = 0; i < n; i++)
        if (a[i] == 0) return OutT(0);
      return OutT(1);
    }
    default:
      return OutT(0);
  }
}

// Columns [c0, c0 + w) of an [n, inner] block: m[c] = max over rows, s[c] = sum over rows of
// exp(x - m[c]), in double; expOut (when not null) receives each exp(x - m) at x's place.
// Shared by logsumexp and softmax over a non-innermost axis; t is scratch of w doubles.
template <typename T>
__attribute__((always_inline)) inline void columnMaxExpSum(const T* a, Index n, Index inner,
    Index c0, Index w, double* m, double* s, double* t, T* expOut) {
  for (Index c = 0; c < w; c++) {
    m[c] = -kInf;
    s[c] = 0;
  }
  for (Index r = 0; r < n; r++) {
    const T* row = a + r * inner + c0;
    for (Index c = 0; c < w; c++) m[c] = double(row[c]) > m[c] ? double(row[c]) : m[c];
  }
  for (Index r = 0; r < n; r++) {
    const T* row = a + r * inner + c0;
    for (Index c = 0; c < w; c++) t[c] = double(row[c]) - m[c];
    expInPlace(t, w);
    for (Index c = 0; c < w; c++) s[c] += t[c];
    if (expOut != nullptr) {
      T* o = expOut + r * inner + c0;
      for (Index c = 0; c < w; c++) o[c] = T(t[c]);
    }
  }
}

// Column reductions of one outer block: rows a + r*inner (r < n), columns [c0, c1), results to
// out[c0..c1). The loops read each row once, left to right, so they vectorise across columns;
// they are written once and instantiated for AVX2 and for the portable build.
template <typename T, typename OutT>
__attribute__((always_inline)) inline void reduceColsImpl(ReduceOp op, const T* a, Index n, Index inner,
                                                          Index c0, Index c1, OutT* out) {
  const Index w = c1 - c0;
  switch (op) {
    case kSum:
    case kProd: {
      double* acc = scratch(0, w);
      const T* row = a + c0;
      for (Index c = 0; c < w; c++) acc[c] = double(row[c]);
      for (Index r = 1; r < n; r++) {
        row = a + r * inner + c0;
        if (op == kSum)
          for (Index c = 0; c < w; c++) acc[c] += double(row[c]);
        else
          for (Index c = 0; c < w; c++) acc[c] *= double(row[c]);
      }
      for (Index c = 0; c < w; c++) out[c0 + c] = OutT(acc[c]);
      break;
    }
    case kMax:
    case kMin:
    case kArgMax:
    case kArgMin: {
      // the twins' rule per column: once NaN, stays; else a NaN or a strictly better value wins
      const bool isMax = op == kMax || op == kArgMax;
      double* best = scratch(0, w);
      double* idx = scratch(1, w);
      for (Index c = 0; c < w; c++) {
        best[c] = double(a[c0 + c]);
        idx[c] = 0;
      }
      for (Index r = 1; r < n; r++) {
        const T* row = a + r * inner + c0;
        const double rr = double(r);
        for (Index c = 0; c < w; c++) {
          const double x = double(row[c]);
          const double b = best[c];
          const bool take = b == b && ((isMax ? x > b : x < b) || x != x);
          best[c] = take ? x : b;
          idx[c] = take ? rr : idx[c];
        }
      }
      const bool values = op == kMax || op == kMin;
      for (Index c = 0; c < w; c++) out[c0 + c] = OutT(values ? best[c] : idx[c]);
      break;
    }
    case kLogSumExp: {
      double* m = scratch(0, w);
      double* s = scratch(1, w);
      columnMaxExpSum<T>(a, n, inner, c0, w, m, s, scratch(2, w), nullptr);
      for (Index c = 0; c < w; c++)
        out[c0 + c] = OutT(m[c] == kInf || m[c] == -kInf ? m[c] : m[c] + std::log(s[c]));
      break;
    }
    case kAny:
    case kAll: {
      const bool isAny = op == kAny;
      for (Index c = 0; c < w; c++) out[c0 + c] = OutT(isAny ? 0 : 1);
      for (Index r = 0; r < n; r++) {
        const T* row = a + r * inner + c0;
        for (Index c = 0; c < w; c++)
          if ((row[c] != 0) == isAny) out[c0 + c] = OutT(isAny ? 1 : 0);
      }
      break;
    }
    default:
      break;
  }
}

#if TG_X86
template <typename T, typename OutT>
__attribute__((target("avx2,fma"))) void reduceColsAvx2(ReduceOp op, const T* a, Index n, Index inner,
                                                        Index c0, Index c1, OutT* out) {
  reduceColsImpl(op, a, n, inner, c0, c1, out);
}
#endif

template <typename T, typename OutT>
void reduceCols(ReduceOp op, const T* a, Index n, Index inner, Index c0, Index c1, OutT* out) {
#if TG_X86
  if (avx2()) return reduceColsAvx2(op, a, n, inner, c0, c1, out);
#endif
  reduceColsImpl(op, a, n, inner, c0, c1, out);
}

// Split outer * n * inner work over threads (logsumexp only, see kParallelMin): by outer blocks,
// else by columns.
template <typename T, typename OutT>
void reduceAll(ReduceOp op, const T* a, Index outer, Index n, Index inner, OutT* out) {
  const Index total = outer * n * inner;
  const bool par = op == kLogSumExp && total >= kParallelMin && numThreads > 1;
  const Index block = n * inner;
  auto outerRange = [&](Index o0, Index o1) {
    for (Index o = o0; o < o1; o++) {
      if (inner == 1) out[o] = reduceRow<T, OutT>(op, a + o * n, n);
      else reduceCols<T, OutT>(op, a + o * block, n, inner, 0, inner, out + o * inner);
    }
  };
  if (!par || outer >= Index(numThreads)) {
    parallelFor(outer, par ? std::max<Index>(1, kParallelMin / (2 * block)) : outer, outerRange, 1);
  } else if (inner >= 64) {
    for (Index o = 0; o < outer; o++) {
      parallelFor(inner, 32, [&](Index c0, Index c1) {
        reduceCols<T, OutT>(op, a + o * block, n, inner, c0, c1, out + o * inner);
      }, 16);
    }
  } else {
    outerRange(0, outer);
  }
}

// ---------------------------------------------------------------------------------------------
// Cumulative sum (Prod = false) or product (Prod = true) along n of [outer, n, inner], in
// double, in the twins' order: s = 0 (1), then s = s + x (s * x) per element, rounded to T.
// Each running value is one dependent chain of double adds (multiplies), so its latency bounds
// a lone row; rows along n (inner = 1) go four at a time, four independent chains interleaved,
// each still in its own order.

template <bool Prod>
__attribute__((always_inline)) inline double cumStep(double s, double x) {
  return Prod ? s * x : s + x;
}

// Note [exact cumsum]: when every partial sum of a float32 row, in any order, is exact in
// double, the sequential chain's results are the exact prefix sums rounded once to float32, and
// any order of additions gives them bit for bit. It holds when all values are multiples of 2^L
// and n * max|x| < 2^(51 + L), as for torch.rand's floats (multiples of 2^-24) and sums below
// 2^27; L is the lowest set bit of the first 64 values, and one vector pass tests every value.
// Such a row is scanned in four chunks: the chunks' totals first, then four independent chains
// from their offsets, interleaved, so the adds' latency no longer bounds the scan. Other rows
// keep the one chain of the TypeScript twin.
constexpr Index kExactCumsumMin = 4096;

// The lowest set bit's exponent over the finite nonzero values among a[0, n): min of
// (biased exponent - 150 + ctz(significand)); INT32_MAX when there is none.
inline int lowestBitExp(const float* a, Index n) {
  int low = 2147483647;
  for (Index i = 0; i < n; i++) {
    uint32_t b;
    std::memcpy(&b, a + i, 4);
    const uint32_t e = (b >> 23) & 255u;
    const uint32_t m = b & 0x7fffffu;
    if (e == 255 || (e == 0 && m == 0)) continue;
    const uint32_t full = e != 0 ? (m | 0x800000u) : m;
    low = std::min(low, int(e != 0 ? e : 1) - 150 + __builtin_ctz(full));
  }
  return low;
}

__attribute__((always_inline)) inline bool floatSumsExact(const float* a, Index n) {
  // L from the first 64 values; every value must then be a multiple of 2^L (checked on all)
  const int L = lowestBitExp(a, std::min<Index>(n, 64));
  if (L == 2147483647) return false;
  const double scale = std::ldexp(1.0, -L);
  const double magic = 6755399441055744.0;  // 1.5 * 2^52: (y + magic) - magic rounds y
  uint32_t absMax = 0;
  Index bad = 0;
  for (Index i = 0; i < n; i++) {
    uint32_t b;
    std::memcpy(&b, a + i, 4);
    absMax = std::max(absMax, b & 0x7fffffffu);
    const double y = double(a[i]) * scale;
    bad += ((y + magic) - magic) != y;
  }
  if (bad != 0 || absMax >= 0x7f800000u) return false;
  float mx;
  std::memcpy(&mx, &absMax, 4);
  // |partial sums| <= n max|x| < 2^(L + 51): multiples of 2^L, exact in double (and the scaled
  // values below 2^51, where the rounding test above holds)
  return double(mx) * double(n) < std::ldexp(1.0, L + 51);
}

// The sum of a[0, n) in any order (exact under Note [exact cumsum]): eight chains.
__attribute__((always_inline)) inline double exactSum(const float* a, Index n) {
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  Index i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) s[l] += double(a[i + l]);
  for (; i < n; i++) s[0] += double(a[i]);
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

__attribute__((always_inline)) inline void cumsumExactRow(const float* a, Index n, float* out) {
  const Index q = n / 4;
  const float *a0 = a, *a1 = a + q, *a2 = a + 2 * q, *a3 = a + 3 * q;
  float *o0 = out, *o1 = out + q, *o2 = out + 2 * q, *o3 = out + 3 * q;
  double s0 = 0;
  double s1 = exactSum(a0, q);
  double s2 = s1 + exactSum(a1, q);
  double s3 = s2 + exactSum(a2, q);
  for (Index i = 0; i < q; i++) {
    s0 += double(a0[i]);
    s1 += double(a1[i]);
    s2 += double(a2[i]);
    s3 += double(a3[i]);
    o0[i] = float(s0);
    o1[i] = float(s1);
    o2[i] = float(s2);
    o3[i] = float(s3);
  }
  for (Index i = 4 * q; i < n; i++) {
    s3 += double(a[i]);
    out[i] = float(s3);
  }
}

// Note [chunked cumprod]: PyTorch's float32 cumprod runs one chain of double multiplies, whose
// latency bounds a lone row. A float32 row of n >= kChunkedCumprodMin (any row along n, in
// both backends: the twin, src/backend/reduce.ts cumprod, does the same) is scanned in four
// chunks instead, as cumsumExactRow: the totals of the first three chunks first (chunkProd,
// eight lanes), then four chains interleaved, chain k starting from the product of the totals
// before it. Element i of chunk k is thus (T0 T1 ... T(k-1)) x(kq) ... x(i) in double instead
// of x0 x1 ... x(i): the same factors associated differently, a few double roundings apart
// (relative 1e-15 on rows of 1e6), which the rounding to float32 hides except where a product
// lies next to a float32 rounding boundary (then one float32 ulp). 0, inf and NaN factors give
// the same 0 / inf / NaN as the chain; only a chunk total that overflows or underflows double
// where every prefix of the chain stays in range (factors beyond 1e38 meeting factors below
// 1e-38 within one row) can differ.
constexpr Index kChunkedCumprodMin = 4096;

// The product of a[0, n) in the twin's order: lane l takes a[i + l] for i = 0, 8, ... below
// n - n % 8, the tail goes into lane 0 in order, then ((p0 p1)(p2 p3))((p4 p5)(p6 p7)).
__attribute__((always_inline)) inline double chunkProd(const float* a, Index n) {
  double p[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  Index i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) p[l] *= double(a[i + l]);
  for (; i < n; i++) p[0] *= double(a[i]);
  return ((p[0] * p[1]) * (p[2] * p[3])) * ((p[4] * p[5]) * (p[6] * p[7]));
}

__attribute__((always_inline)) inline void cumprodChunkedRow(const float* a, Index n, float* out) {
  const Index q = n / 4;
  const float *a0 = a, *a1 = a + q, *a2 = a + 2 * q, *a3 = a + 3 * q;
  float *o0 = out, *o1 = out + q, *o2 = out + 2 * q, *o3 = out + 3 * q;
  double s0 = 1;
  double s1 = chunkProd(a0, q);
  double s2 = s1 * chunkProd(a1, q);
  double s3 = s2 * chunkProd(a2, q);
  for (Index i = 0; i < q; i++) {
    s0 *= double(a0[i]);
    s1 *= double(a1[i]);
    s2 *= double(a2[i]);
    s3 *= double(a3[i]);
    o0[i] = float(s0);
    o1[i] = float(s1);
    o2[i] = float(s2);
    o3[i] = float(s3);
  }
  for (Index i = 4 * q; i < n; i++) {
    s3 *= double(a[i]);
    out[i] = float(s3);
  }
}

template <typename T, bool Prod>
__attribute__((always_inline)) inline void cumRowsImpl(const T* a, Index rows, Index n, T* out) {
  const double init = Prod ? 1 : 0;
  if constexpr (Prod && std::is_same_v<T, float>) {
    if (n >= kChunkedCumprodMin) {
      for (Index r = 0; r < rows; r++) cumprodChunkedRow(a + r * n, n, out + r * n);
      return;
    }
  }
  Index r = 0;
  for (; r + 4 <= rows; r += 4) {
    const T *a0 = a + r * n, *a1 = a0 + n, *a2 = a1 + n, *a3 = a2 + n;
    T *o0 = out + r * n, *o1 = o0 + n, *o2 = o1 + n, *o3 = o2 + n;
    double s0 = init, s1 = init, s2 = init, s3 = init;
    for (Index i = 0; i < n; i++) {
      s0 = cumStep<Prod>(s0, double(a0[i]));
      s1 = cumStep<Prod>(s1, double(a1[i]));
      s2 = cumStep<Prod>(s2, double(a2[i]));
      s3 = cumStep<Prod>(s3, double(a3[i]));
      o0[i] = T(s0);
      o1[i] = T(s1);
      o2[i] = T(s2);
      o3[i] = T(s3);
    }
  }
  for (; r < rows; r++) {
    const T* x = a + r * n;
    T* o = out + r * n;
    if constexpr (!Prod && std::is_same_v<T, float>) {
      if (n >= kExactCumsumMin && floatSumsExact(x, n)) {
        cumsumExactRow(x, n, o);
        continue;
      }
    }
    double s = init;
    for (Index i = 0; i < n; i++) {
      s = cumStep<Prod>(s, double(x[i]));
      o[i] = T(s);
    }
  }
}

template <typename T, bool Prod>
__attribute__((always_inline)) inline void cumBlockImpl(const T* a, Index n, Index inner,
                                                        Index c0, Index c1, T* out) {
  const Index w = c1 - c0;
  double* acc = scratch(0, w);
  for (Index c = 0; c < w; c++) acc[c] = Prod ? 1 : 0;
  for (Index r = 0; r < n; r++) {
    const T* row = a + r * inner + c0;
    T* o = out + r * inner + c0;
    for (Index c = 0; c < w; c++) {
      acc[c] = cumStep<Prod>(acc[c], double(row[c]));
      o[c] = T(acc[c]);
    }
  }
}

#if TG_X86
template <typename T, bool Prod>
__attribute__((target("avx2,fma"))) void cumRowsAvx2(const T* a, Index rows, Index n, T* out) {
  cumRowsImpl<T, Prod>(a, rows, n, out);
}
template <typename T, bool Prod>
__attribute__((target("avx2,fma"))) void cumBlockAvx2(const T* a, Index n, Index inner, Index c0,
                                                      Index c1, T* out) {
  cumBlockImpl<T, Prod>(a, n, inner, c0, c1, out);
}
#endif

// rows [o0, o1) of [outer, n, inner], columns [c0, c1) of each
template <typename T, bool Prod>
void cumBlocks(const T* a, Index o0, Index o1, Index n, Index inner, Index c0, Index c1, T* out) {
  const Index block = n * inner;
  if (inner == 1) {
#if TG_X86
    if (avx2()) return cumRowsAvx2<T, Prod>(a + o0 * n, o1 - o0, n, out + o0 * n);
#endif
    return cumRowsImpl<T, Prod>(a + o0 * n, o1 - o0, n, out + o0 * n);
  }
  for (Index o = o0; o < o1; o++) {
#if TG_X86
    if (avx2()) {
      cumBlockAvx2<T, Prod>(a + o * block, n, inner, c0, c1, out + o * block);
      continue;
    }
#endif
    cumBlockImpl<T, Prod>(a + o * block, n, inner, c0, c1, out + o * block);
  }
}

// ---------------------------------------------------------------------------------------------
// Softmax (log = false): y = exp(x - m) / sum(exp(x - m)), m = max(x), with the exponentials
// first stored in out (rounded to T, as the twin stores them) and then divided by the sum in
// double. Log-softmax (log = true): y = x - lse, lse = m + log(sum(exp(x - m))), in double,
// rounded once. A row containing NaN becomes NaN throughout (the sum is NaN), and so does a row
// whose max is +-inf (x - m = inf - inf at the max), as in the twin and in PyTorch.

// Rows of a contiguous [rows, n] block. The exponentials of a chunk of rows (up to ~4096
// elements) go through one exp pass, so short rows (the class axis of a classifier's logits)
// do not pay the vector exp's set-up and ragged tail once per row.
constexpr Index kChunk = 4096;

template <typename T>
__attribute__((always_inline)) inline void softmaxRowsImpl(const T* a, Index rows, Index n, T* out,
    bool log) {
  const Index chunk = std::max<Index>(1, kChunk / n);
  double* t = scratch(1, std::min(rows, chunk) * n);
  double* ms = scratch(2, std::min(rows, chunk));
  for (Index r0 = 0; r0 < rows; r0 += chunk) {
    const Index r1 = std::min(rows, r0 + chunk);
    for (Index r = r0; r < r1; r++) {
      const T* x = a + r * n;
      double* tr = t + (r - r0) * n;
      const double m = maxIgnoringNan(x, n);
      ms[r - r0] = m;
      for (Index i = 0; i < n; i++) tr[i] = double(x[i]) - m;
    }
    expInPlace(t, (r1 - r0) * n);
    for (Index r = r0; r < r1; r++) {
      const T* x = a + r * n;
      const double* tr = t + (r - r0) * n;
      T* o = out + r * n;
      const double s = sumDoubles(tr, n);
      const double m = ms[r - r0];
      if (log) {
        const double lse = m + std::log(s);
        for (Index i = 0; i < n; i++) o[i] = T(double(x[i]) - lse);
      } else if (std::is_same<T, float>::value) {
        // Note [softmax reciprocal]: float32 outputs multiply by 1 / s, as PyTorch's
        // vectorised softmax does: the double product is within a double ulp of the quotient,
        // so after the rounding to float32 it is the twin's e / s but at a rounding tie (a
        // float32 ulp at most, within the parity tests' bound); a division per element
        // (vdivpd) was a third of the [4096, 64] attention softmax's time. float64 divides.
        const double inv = 1 / s;
        for (Index i = 0; i < n; i++) o[i] = T(double(T(tr[i])) * inv);
      } else {
        for (Index i = 0; i < n; i++) o[i] = T(double(T(tr[i])) / s);
      }
    }
  }
}

#if TG_X86
template <typename T>
__attribute__((target("avx2,fma"))) void softmaxRowsAvx2(const T* a, Index rows, Index n, T* out,
    bool log) {
  softmaxRowsImpl(a, rows, n, out, log);
}
#endif

#if TG_X86
// The row loops 8 doubles wide (x - m, the outputs); the exponentials are exp8 either way.
template <typename T>
__attribute__((target("avx512f"))) void softmaxRowsAvx512(const T* a, Index rows, Index n,
    T* out, bool log) {
  softmaxRowsImpl(a, rows, n, out, log);
}
#endif

template <typename T>
void softmaxRows(const T* a, Index rows, Index n, T* out, bool log) {
#if TG_X86
  if (avx512()) return softmaxRowsAvx512(a, rows, n, out, log);
  if (avx2()) return softmaxRowsAvx2(a, rows, n, out, log);
#endif
  softmaxRowsImpl(a, rows, n, out, log);
}

// The same over columns [c0, c1) of one [n, inner] block.
template <typename T>
__attribute__((always_inline)) inline void softmaxColsImpl(const T* a, Index n, Index inner,
    Index c0, Index c1, T* out, bool log) {
  const Index w = c1 - c0;
  double* m = scratch(0, w);
  double* s = scratch(1, w);
  columnMaxExpSum<T>(a, n, inner, c0, w, m, s, scratch(2, w), log ? nullptr : out);
  if (log) {
    for (Index c = 0; c < w; c++) m[c] = m[c] + std::log(s[c]);
  }
  for (Index r = 0; r < n; r++) {
    const T* row = a + r * inner + c0;
    T* o = out + r * inner + c0;
    if (log)
      for (Index c = 0; c < w; c++) o[c] = T(double(row[c]) - m[c]);
    else
      for (Index c = 0; c < w; c++) o[c] = T(double(o[c]) / s[c]);
  }
}

#if TG_X86
template <typename T>
__attribute__((target("avx2,fma"))) void softmaxColsAvx2(const T* a, Index n, Index inner, Index c0,
    Index c1, T* out, bool log) {
  softmaxColsImpl(a, n, inner, c0, c1, out, log);
}
#endif

template <typename T>
void softmaxCols(const T* a, Index n, Index inner, Index c0, Index c1, T* out, bool log) {
#if TG_X86
  if (avx2()) return softmaxColsAvx2(a, n, inner, c0, c1, out, log);
#endif
  softmaxColsImpl(a, n, inner, c0, c1, out, log);
}

// Backward, y the forward's output, g the incoming gradient, in double, rounded once:
// softmax: dx = y * (g - sum(g * y)); log-softmax: dx = g - exp(y) * sum(g).
template <typename T>
__attribute__((always_inline)) inline void softmaxBackwardRowsImpl(const T* g, const T* y,
    Index rows, Index n, T* out, bool log) {
  if (log) {
    const Index chunk = std::max<Index>(1, kChunk / n);
    double* e = scratch(1, std::min(rows, chunk) * n);
    for (Index r0 = 0; r0 < rows; r0 += chunk) {
      const Index r1 = std::min(rows, r0 + chunk);
      const T* yc = y + r0 * n;
      for (Index i = 0; i < (r1 - r0) * n; i++) e[i] = double(yc[i]);
      expInPlace(e, (r1 - r0) * n);
      for (Index r = r0; r < r1; r++) {
        const T* gr = g + r * n;
        const double* er = e + (r - r0) * n;
        T* o = out + r * n;
        const double sg = sumRow(gr, n);
        for (Index i = 0; i < n; i++) o[i] = T(double(gr[i]) - er[i] * sg);
      }
    }
    return;
  }
  for (Index r = 0; r < rows; r++) {
    const T* gr = g + r * n;
    const T* yr = y + r * n;
    T* o = out + r * n;
    // sum(g * y) over 8 interleaved partial sums (vector lanes; a single running sum is one
    // chain of dependent additions, ~4 cycles per element): the twin sums in order, so the
    // two differ by summation order only
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    Index i = 0;
    for (; i + 8 <= n; i += 8)
      for (int j = 0; j < 8; j++) acc[j] += double(gr[i + j]) * double(yr[i + j]);
    double dot = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; i++) dot += double(gr[i]) * double(yr[i]);
    for (i = 0; i < n; i++) o[i] = T(double(yr[i]) * (double(gr[i]) - dot));
  }
}

#if TG_X86
template <typename T>
__attribute__((target("avx2,fma"))) void softmaxBackwardRowsAvx2(const T* g, const T* y, Index rows,
    Index n, T* out, bool log) {
  softmaxBackwardRowsImpl(g, y, rows, n, out, log);
}
#endif

#if TG_X86
template <typename T>
__attribute__((target("avx512f"))) void softmaxBackwardRowsAvx512(const T* g, const T* y,
    Index rows, Index n, T* out, bool log) {
  softmaxBackwardRowsImpl(g, y, rows, n, out, log);
}
#endif

template <typename T>
void softmaxBackwardRows(const T* g, const T* y, Index rows, Index n, T* out, bool log) {
#if TG_X86
  if (avx512()) return softmaxBackwardRowsAvx512(g, y, rows, n, out, log);
  if (avx2()) return softmaxBackwardRowsAvx2(g, y, rows, n, out, log);
#endif
  softmaxBackwardRowsImpl(g, y, rows, n, out, log);
}

template <typename T>
__attribute__((always_inline)) inline void softmaxBackwardColsImpl(const T* g, const T* y, Index n,
    Index inner, Index c0, Index c1, T* out, bool log) {
  const Index w = c1 - c0;
  double* s = scratch(0, w);
  double* e = scratch(2, w);
  for (Index c = 0; c < w; c++) s[c] = 0;
  for (Index r = 0; r < n; r++) {
    const T* gr = g + r * inner + c0;
    const T* yr = y + r * inner + c0;
    if (log)
      for (Index c = 0; c < w; c++) s[c] += double(gr[c]);
    else
      for (Index c = 0; c < w; c++) s[c] += double(gr[c]) * double(yr[c]);
  }
  for (Index r = 0; r < n; r++) {
    const T* gr = g + r * inner + c0;
    const T* yr = y + r * inner + c0;
    T* o = out + r * inner + c0;
    if (log) {
      for (Index c = 0; c < w; c++) e[c] = double(yr[c]);
      expInPlace(e, w);
      for (Index c = 0; c < w; c++) o[c] = T(double(gr[c]) - e[c] * s[c]);
    } else {
      for (Index c = 0; c < w; c++) o[c] = T(double(yr[c]) * (double(gr[c]) - s[c]));
    }
  }
}

#if TG_X86
template <typename T>
__attribute__((target("avx2,fma"))) void softmaxBackwardColsAvx2(const T* g, const T* y, Index n,
    Index inner, Index c0, Index c1, T* out, bool log) {
  softmaxBackwardColsImpl(g, y, n, inner, c0, c1, out, log);
}
#endif

template <typename T>
void softmaxBackwardCols(const T* g, const T* y, Index n, Index inner, Index c0, Index c1, T* out,
    bool log) {
#if TG_X86
  if (avx2()) return softmaxBackwardColsAvx2(g, y, n, inner, c0, c1, out, log);
#endif
  softmaxBackwardColsImpl(g, y, n, inner, c0, c1, out, log);
}

// Run fn(o0, o1, c0, c1) over outer blocks [o0, o1) x inner columns [c0, c1): threads split
// the outer blocks, or the columns when there are fewer blocks than threads.
template <typename Fn>
void forBlocks(Index outer, Index n, Index inner, bool threads, const Fn& fn) {
  const Index block = n * inner;
  const bool par = threads && outer * block >= kParallelMin && numThreads > 1;
  if (!par || outer >= Index(numThreads) || inner < 64) {
    parallelFor(outer, par ? std::max<Index>(1, kParallelMin / (2 * block)) : outer,
                [&](Index o0, Index o1) { fn(o0, o1, Index(0), inner); }, 1);
  } else {
    for (Index o = 0; o < outer; o++)
      parallelFor(inner, 32, [&](Index c0, Index c1) { fn(o, o + 1, c0, c1); }, 16);
  }
}

// ---------------------------------------------------------------------------------------------
// Bindings. Argument checks (types, dtypes, non-negative sizes, every touched element in
// bounds) come before any memory access.

// Sizes outer, n, inner: non-negative, product below 2^53.
bool sizesOk(const Napi::CallbackInfo& info, const char* fn, Index outer, Index n, Index inner) {
  if (outer < 0 || n < 0 || inner < 0)
    return rangeError(info.Env(), fn, "sizes must be non-negative");
  if (double(outer) * double(n) * double(inner) > 9007199254740992.0)
    return rangeError(info.Env(), fn, "sizes too large");
  return true;
}

// Whether [off, off + count) lies inside an array of len elements.
bool inRange(const Napi::Env& env, const char* fn, const char* what, Index off, Index count,
             Index len) {
  if (off < 0 || (count > 0 && off + count > len))
    return rangeError(env, fn, std::string(what) + " out of bounds");
  return true;
}

// The checks of a map along n (cumsum, softmax): sizes, and every element of both
// [outer, n, inner] blocks in bounds (the arrays are one float type, abi.gen.cc).
template <typename Args>
bool alongNOk(const Napi::CallbackInfo& info, const Args& arg) {
  const Index total = arg.outer * arg.n * arg.inner;
  return sizesOk(info, arg.name, arg.outer, arg.n, arg.inner) &&
         inRange(info.Env(), arg.name, "input", arg.aOff, total, arg.a.len) &&
         inRange(info.Env(), arg.name, "output", arg.outOff, total, arg.out.len);
}

}  // namespace

double sumInDouble(const float* a, Index n) { return sumRow(a, n); }
double sumInDouble(const double* a, Index n) { return sumRow(a, n); }

// out[o*inner + i] = op over r of a[aOff + (o*n + r)*inner + i]. out is a's type for
// Sum/Prod/Max/Min/LogSumExp, a Float64Array for ArgMax/ArgMin, a Uint8Array for Any/All.
Napi::Value run(const Napi::CallbackInfo& info, const args::reduce& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &a = arg.a, &out = arg.out;
  const Index aOff = arg.aOff, outer = arg.outer, n = arg.n, inner = arg.inner;
  const Index outOff = arg.outOff;
  if (!sizesOk(info, fn, outer, n, inner)) return env.Undefined();
  if (arg.op < 0 || arg.op >= kReduceCount) {
    rangeError(env, fn, "unknown op " + std::to_string(arg.op));
    return env.Undefined();
  }
  const ReduceOp o = ReduceOp(arg.op);
  const napi_typedarray_type want = reduceGivesIndex(o) ? napi_float64_array
                                    : reduceGivesBool(o) ? napi_uint8_array
                                                         : a.type;
  if (out.type != want) {
    typeError(env, fn, "argument 6 has the wrong array type for this op");
    return env.Undefined();
  }
  if (n == 0 && outer * inner > 0) {
    rangeError(env, fn, "the reduced axis must not be empty");
    return env.Undefined();
  }
  if (!inRange(env, fn, "input", aOff, outer * n * inner, a.len) ||
      !inRange(env, fn, "output", outOff, outer * inner, out.len))
    return env.Undefined();
  if (outer * n * inner == 0) return env.Undefined();
  auto apply = [&](auto* src) {
    using T = std::remove_pointer_t<decltype(src)>;
    src += aOff;
    if (want == napi_float64_array && a.type != napi_float64_array)
      reduceAll<T, double>(o, src, outer, n, inner, static_cast<double*>(out.data) + outOff);
    else if (want == napi_uint8_array)
      reduceAll<T, uint8_t>(o, src, outer, n, inner, static_cast<uint8_t*>(out.data) + outOff);
    else
      reduceAll<T, T>(o, src, outer, n, inner, static_cast<T*>(out.data) + outOff);
  };
  if (a.type == napi_float32_array) apply(static_cast<float*>(a.data));
  else apply(static_cast<double*>(a.data));
  return env.Undefined();
}

// Running sums (Prod = false) or products along n of [outer, n, inner].
template <bool Prod, typename Args>
Napi::Value runCum(const Napi::CallbackInfo& info, const Args& arg) {
  Napi::Env env = info.Env();
  const Arr &a = arg.a, &out = arg.out;
  const Index aOff = arg.aOff, outer = arg.outer, n = arg.n, inner = arg.inner;
  const Index outOff = arg.outOff;
  if (!alongNOk(info, arg)) return env.Undefined();
  if (outer * n * inner == 0) return env.Undefined();
  auto apply = [&](auto* src) {
    using T = std::remove_pointer_t<decltype(src)>;
    src += aOff;
    T* dst = static_cast<T*>(out.data) + outOff;
    forBlocks(outer, n, inner, false, [&](Index o0, Index o1, Index c0, Index c1) {
      cumBlocks<T, Prod>(src, o0, o1, n, inner, c0, c1, dst);
    });
  };
  if (a.type == napi_float32_array) apply(static_cast<float*>(a.data));
  else apply(static_cast<double*>(a.data));
  return env.Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::cumsum& arg) {
  return runCum<false>(info, arg);
}

Napi::Value run(const Napi::CallbackInfo& info, const args::cumprod& arg) {
  return runCum<true>(info, arg);
}

// softmax (log = 0) or log-softmax (log = 1) along n of [outer, n, inner].
Napi::Value run(const Napi::CallbackInfo& info, const args::softmax& arg) {
  Napi::Env env = info.Env();
  const Arr &a = arg.a, &out = arg.out;
  const Index aOff = arg.aOff, outer = arg.outer, n = arg.n, inner = arg.inner;
  const Index outOff = arg.outOff, log = arg.log;
  if (!alongNOk(info, arg)) return env.Undefined();
  if (outer * n * inner == 0) return env.Undefined();
  auto apply = [&](auto* src) {
    using T = std::remove_pointer_t<decltype(src)>;
    src += aOff;
    T* dst = static_cast<T*>(out.data) + outOff;
    const Index block = n * inner;
    forBlocks(outer, n, inner, true, [&](Index o0, Index o1, Index c0, Index c1) {
      if (inner == 1) return softmaxRows(src + o0 * n, o1 - o0, n, dst + o0 * n, log != 0);
      for (Index o = o0; o < o1; o++)
        softmaxCols(src + o * block, n, inner, c0, c1, dst + o * block, log != 0);
    });
  };
  if (a.type == napi_float32_array) apply(static_cast<float*>(a.data));
  else apply(static_cast<double*>(a.data));
  return env.Undefined();
}

// Their backward along n from the incoming gradient g and the forward's result y.
Napi::Value run(const Napi::CallbackInfo& info, const args::softmaxBackward& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &g = arg.g, &y = arg.y, &out = arg.out;
  const Index gOff = arg.gOff, yOff = arg.yOff, outer = arg.outer, n = arg.n, inner = arg.inner;
  const Index outOff = arg.outOff, log = arg.log;
  if (!sizesOk(info, fn, outer, n, inner)) return env.Undefined();
  const Index total = outer * n * inner;
  if (!inRange(env, fn, "gradient", gOff, total, g.len) ||
      !inRange(env, fn, "result", yOff, total, y.len) ||
      !inRange(env, fn, "output", outOff, total, out.len))
    return env.Undefined();
  if (total == 0) return env.Undefined();
  auto apply = [&](auto* gp) {
    using T = std::remove_pointer_t<decltype(gp)>;
    gp += gOff;
    const T* yp = static_cast<const T*>(y.data) + yOff;
    T* dst = static_cast<T*>(out.data) + outOff;
    const Index block = n * inner;
    forBlocks(outer, n, inner, true, [&](Index o0, Index o1, Index c0, Index c1) {
      if (inner == 1)
        return softmaxBackwardRows(gp + o0 * n, yp + o0 * n, o1 - o0, n, dst + o0 * n, log != 0);
      for (Index o = o0; o < o1; o++)
        softmaxBackwardCols(gp + o * block, yp + o * block, n, inner, c0, c1, dst + o * block,
                            log != 0);
    });
  };
  if (g.type == napi_float32_array) apply(static_cast<float*>(g.data));
  else apply(static_cast<double*>(g.data));
  return env.Undefined();
}

// exp in place with the kernels' exp (exp4 under AVX2, std::exp otherwise); the tests measure
// its error.
Napi::Value run(const Napi::CallbackInfo& info, const args::reduceExp& arg) {
  expInPlace(static_cast<double*>(arg.v.data), arg.v.len);
  return info.Env().Undefined();
}

}  // namespace tg
