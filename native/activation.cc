// tensorgrad native backend: activation kernels, the twins of src/backend/activation.ts:
// GELU forward and backward, exact (erf) and tanh-approximated. Each element is computed in
// double and rounded once to the output's type, with the TypeScript kernel's formulas; erf is
// the same fdlibm algorithm as erfScalar (src/backend/special.ts), so the twins differ only by
// libm's exp and tanh against V8's (an ulp of double, below float32's rounding).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "abi.gen.h"

namespace tg {
namespace {

// Elements per thread below which a kernel stays on the calling thread: an erf per element
// (~10 ns) pays for waking the second thread from ~16K elements (as elementwise.cc's math).
constexpr Index kGeluPerThread = 1 << 14;

// fdlibm's s_erf.c (Sun Microsystems, freely redistributable), as erfScalar.
constexpr double kErx = 8.45062911510467529297e-1;
constexpr double kEfx8 = 1.02703333676410069053;
constexpr double kPP[] = {1.28379167095512558561e-1, -3.2504210724700149937e-1,
                          -2.84817495755985104766e-2, -5.77027029648944159157e-3,
                          -2.37630166566501626084e-5};
constexpr double kQQ[] = {3.97917223959155352819e-1, 6.50222499887672944485e-2,
                          5.08130628187576562776e-3, 1.32494738004321644526e-4,
                          -3.9602282787753681232e-6};
constexpr double kPA[] = {-2.36211856075265944077e-3, 4.14856118683748331666e-1,
                          -3.72207876035701323847e-1, 3.18346619901161753674e-1,
                          -1.10894694282396677476e-1, 3.54783043256182359371e-2,
                          -2.166375594868790843e-3};
constexpr double kQA[] = {1.06420880400844228286e-1, 5.40397917702171048937e-1,
                          7.18286544141962662868e-2, 1.26171219808761642112e-1,
                          1.36370839120290507362e-2, 1.1984499846799107417e-2};
constexpr double kRA[] = {-9.86494403484714822705e-3, -6.93858572707181764372e-1,
                          -1.05586262253232909814e1,  -6.23753324503260060396e1,
                          -1.62396669462573470355e2,  -1.84605092906711035994e2,
                          -8.12874355063065934246e1,  -9.81432934416914548592};
constexpr double kSA[] = {1.96512716674392571292e1, 1.376577541435190426e2,
                          4.34565877475229228821e2, 6.45387271733267880336e2,
                          4.29008140027567833386e2, 1.08635005541779435134e2,
                          6.57024977031928170135,   -6.04244152148580987438e-2};
constexpr double kRB[] = {-9.86494292470009928597e-3, -7.99283237680523006574e-1,
                          -1.77579549177547519889e1,  -1.60636384855821916062e2,
                          -6.37566443368389627722e2,  -1.02509513161107724954e3,
                          -4.83519191608651397019e2};
constexpr double kSB[] = {3.03380607434824582924e1, 3.25792512996573918826e2,
                          1.53672958608443695994e3, 3.19985821950859553908e3,
                          2.55305040643316442583e3, 4.74528541206955367215e2,
                          -2.24409524465858183362e1};

// c[0] + z*(c[1] + ... + z*c[N-1]), Horner from the top (as special.ts's poly)
template <size_t N>
inline double poly(const double (&c)[N], double z) {
  double r = c[N - 1];
  for (size_t i = N - 1; i-- > 0;) r = r * z + c[i];
  return r;
}
template <size_t N>
inline double poly1(const double (&c)[N], double z) {
  return 1 + z * poly(c, z);
}

// x with the low 32 bits of its representation cleared
inline double truncLow(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  b &= 0xffffffff00000000ull;
  std::memcpy(&x, &b, sizeof b);
  return x;
}

inline double erfFdlibm(double x) {
  if (std::isnan(x)) return NAN;
  const double ax = std::fabs(x);
  if (std::isinf(ax)) return x > 0 ? 1 : -1;
  if (ax < 0.84375) {
    if (ax < 3.725290298461914e-9) return (8 * x + kEfx8 * x) / 8;
    const double z = x * x;
    const double y = poly(kPP, z) / poly1(kQQ, z);
    return x + x * y;
  }
  double y;
  if (ax < 1.25) {
    const double s = ax - 1;
    y = kErx + poly(kPA, s) / poly1(kQA, s);
  } else if (ax < 6) {
    const double s = 1 / (ax * ax);
    double R, S;
    if (ax < 1 / 0.35) {
      R = poly(kRA, s);
      S = poly1(kSA, s);
    } else {
      R = poly(kRB, s);
      S = poly1(kSB, s);
    }
    const double z = truncLow(ax);
    y = 1 - (std::exp(-z * z - 0.5625) * std::exp((z - ax) * (z + ax) + R / S)) / ax;
  } else {
    y = 1;
  }
  return x < 0 ? -y : y;
}

constexpr double kSqrt1_2 = 0.70710678118654752440;
constexpr double k2SqrtPi = 1.12837916709551257390;  // 2 / sqrt(pi)
constexpr double kGeluAlpha = k2SqrtPi * kSqrt1_2 * 0.5;
constexpr double kGeluBeta = 1.41421356237309504880 * k2SqrtPi * 0.5;
constexpr double kGeluKappa = 0.044715;

inline double geluScalar(double x, bool tanhApprox) {
  if (tanhApprox) {
    const double inner = kGeluBeta * (x + kGeluKappa * x * x * x);
    return 0.5 * x * (1 + std::tanh(inner));
  }
  return x * 0.5 * (1 + erfFdlibm(x * kSqrt1_2));
}

inline double geluDeriv(double x, bool tanhApprox) {
  if (tanhApprox) {
    const double x2 = x * x;
    const double inner = kGeluBeta * (x + kGeluKappa * x2 * x);
    const double t = std::tanh(inner);
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * kGeluBeta * (1 + 3 * kGeluKappa * x2);
  }
  const double cdf = 0.5 * (1 + erfFdlibm(x * kSqrt1_2));
  const double pdf = std::exp(-0.5 * x * x) * kGeluAlpha;
  return cdf + x * pdf;
}

// ---------------------------------------------------------------------------------------------
// AVX2 path (float32): the same formulas in double, four lanes at a time. erf is fdlibm's algorithm with
// every range a lane needs evaluated and blended (ranges no lane needs are skipped), exp a
// degree-13 polynomial after reduction by ln2 (< 2 ulp of double), tanh through exp. Against
// the scalar path this moves a result by an ulp or two of double, which rounding to float32
// absorbs but where 1 + erf (or 1 + tanh) cancels: there both are on the grid of 2^-53 that
// the cancellation leaves, and may differ by a step of it (test/native-activation.test.ts).

#if TG_X86
#define TG_AVX2 __attribute__((target("avx2,fma")))

TG_AVX2 inline __m256d bcast(double v) { return _mm256_set1_pd(v); }

// c[0] + z*(c[1] + ... ), Horner from the top, N coefficients
template <size_t N>
TG_AVX2 inline __m256d polyPd(const double (&c)[N], __m256d z) {
  __m256d r = bcast(c[N - 1]);
  for (size_t i = N - 1; i-- > 0;) r = _mm256_fmadd_pd(r, z, bcast(c[i]));
  return r;
}

// e^x: x = n ln2 + r, |r| <= ln2/2, e^r by Taylor to r^13, times 2^n; below -708 it gives 0
// (true results there are subnormal: nothing here needs them), above 709 +inf, NaN passes.
TG_AVX2 inline __m256d expPd(__m256d x0) {
  const __m256d x = _mm256_min_pd(_mm256_max_pd(x0, bcast(-708.0)), bcast(709.0));
  const __m256d n = _mm256_round_pd(_mm256_mul_pd(x, bcast(1.4426950408889634)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256d r = _mm256_fnmadd_pd(n, bcast(6.93147180369123816490e-01), x);
  r = _mm256_fnmadd_pd(n, bcast(1.90821492927058770002e-10), r);
  static const double kInvFact[] = {1.0,
                                    1.0,
                                    1.0 / 2,
                                    1.0 / 6,
                                    1.0 / 24,
                                    1.0 / 120,
                                    1.0 / 720,
                                    1.0 / 5040,
                                    1.0 / 40320,
                                    1.0 / 362880,
                                    1.0 / 3628800,
                                    1.0 / 39916800,
                                    1.0 / 479001600,
                                    1.0 / 6227020800.0};
  const __m256d p = polyPd(kInvFact, r);
  const __m128i ni = _mm256_cvtpd_epi32(n);
  const __m256i e = _mm256_slli_epi64(
      _mm256_add_epi64(_mm256_cvtepi32_epi64(ni), _mm256_set1_epi64x(1023)), 52);
  __m256d y = _mm256_mul_pd(p, _mm256_castsi256_pd(e));
  y = _mm256_blendv_pd(y, _mm256_setzero_pd(), _mm256_cmp_pd(x0, bcast(-708.0), _CMP_LT_OQ));
  y = _mm256_blendv_pd(y, bcast(INFINITY), _mm256_cmp_pd(x0, bcast(709.0), _CMP_GT_OQ));
  return _mm256_blendv_pd(y, x0, _mm256_cmp_pd(x0, x0, _CMP_UNORD_Q));
}

TG_AVX2 inline __m256d truncLowPd(__m256d x) {
  return _mm256_and_pd(x, _mm256_castsi256_pd(_mm256_set1_epi64x(int64_t(0xffffffff00000000ull))));
}

// fdlibm's erf, range by range (see erfFdlibm); NaN passes through, +-inf give +-1.
TG_AVX2 inline __m256d erfPd(__m256d x) {
  const __m256d signBit = bcast(-0.0);
  const __m256d ax = _mm256_andnot_pd(signBit, x);
  const __m256d one = bcast(1.0);
  const __m256d inA = _mm256_cmp_pd(ax, bcast(0.84375), _CMP_LT_OQ);
  const __m256d inC = _mm256_cmp_pd(ax, bcast(1.25), _CMP_GE_OQ);
  const int mA = _mm256_movemask_pd(inA);
  const int mC = _mm256_movemask_pd(inC);
  // |x| >= 6 (and +-inf) give 1; NaN lanes are put back at the end
  __m256d y = one;
  if ((mA | mC) != 0xf) {  // some lane in [0.84375, 1.25)
    const __m256d s = _mm256_sub_pd(ax, one);
    const __m256d b = _mm256_add_pd(
        bcast(kErx), _mm256_div_pd(polyPd(kPA, s), _mm256_fmadd_pd(s, polyPd(kQA, s), one)));
    y = b;
  }
  if (mC != 0) {  // some lane at or above 1.25
    const __m256d s = _mm256_div_pd(one, _mm256_mul_pd(ax, ax));
    const __m256d useA = _mm256_cmp_pd(ax, bcast(1 / 0.35), _CMP_LT_OQ);
    // R and S with the coefficients of each lane's range (RB and SB have one fewer)
    __m256d R = _mm256_blendv_pd(_mm256_setzero_pd(), bcast(kRA[7]), useA);
    for (int i = 6; i >= 0; i--)
      R = _mm256_fmadd_pd(R, s, _mm256_blendv_pd(bcast(kRB[i]), bcast(kRA[i]), useA));
    __m256d S = _mm256_blendv_pd(_mm256_setzero_pd(), bcast(kSA[7]), useA);
    for (int i = 6; i >= 0; i--)
      S = _mm256_fmadd_pd(S, s, _mm256_blendv_pd(bcast(kSB[i]), bcast(kSA[i]), useA));
    S = _mm256_fmadd_pd(S, s, one);
    const __m256d z = truncLowPd(ax);
    const __m256d e1 = expPd(_mm256_sub_pd(_mm256_fnmadd_pd(z, z, _mm256_setzero_pd()),
                                           bcast(0.5625)));
    const __m256d e2 = expPd(_mm256_add_pd(
        _mm256_mul_pd(_mm256_sub_pd(z, ax), _mm256_add_pd(z, ax)), _mm256_div_pd(R, S)));
    const __m256d c = _mm256_sub_pd(one, _mm256_div_pd(_mm256_mul_pd(e1, e2), ax));
    const __m256d inRange = _mm256_and_pd(inC, _mm256_cmp_pd(ax, bcast(6.0), _CMP_LT_OQ));
    y = _mm256_blendv_pd(y, c, inRange);
    y = _mm256_blendv_pd(y, one, _mm256_cmp_pd(ax, bcast(6.0), _CMP_GE_OQ));
  }
  if (mA != 0) {  // some lane below 0.84375: x + x * P(x^2) / Q(x^2)
    const __m256d zz = _mm256_mul_pd(x, x);
    const __m256d r =
        _mm256_div_pd(polyPd(kPP, zz), _mm256_fmadd_pd(zz, polyPd(kQQ, zz), one));
    const __m256d a = _mm256_fmadd_pd(x, r, x);
    // sign applied below; a already carries x's sign, so store |a|
    y = _mm256_blendv_pd(y, _mm256_andnot_pd(signBit, a), inA);
  }
  y = _mm256_or_pd(y, _mm256_and_pd(x, signBit));
  return _mm256_blendv_pd(y, x, _mm256_cmp_pd(x, x, _CMP_UNORD_Q));
}

// tanh u = sign(u) (1 - 2 / (e^(2|u|) + 1)) (e^(2|u|) clamped, so large |u| give exactly 1)
TG_AVX2 inline __m256d tanhPd(__m256d u) {
  const __m256d signBit = bcast(-0.0);
  const __m256d au = _mm256_andnot_pd(signBit, u);
  const __m256d e = expPd(_mm256_add_pd(au, au));
  const __m256d t =
      _mm256_sub_pd(bcast(1.0), _mm256_div_pd(bcast(2.0), _mm256_add_pd(e, bcast(1.0))));
  const __m256d r = _mm256_or_pd(t, _mm256_and_pd(u, signBit));
  return _mm256_blendv_pd(r, u, _mm256_cmp_pd(u, u, _CMP_UNORD_Q));
}

TG_AVX2 inline __m256d geluPd(__m256d x, bool tanhApprox) {
  const __m256d one = bcast(1.0), half = bcast(0.5);
  if (tanhApprox) {
    const __m256d x3 = _mm256_mul_pd(_mm256_mul_pd(x, x), x);
    const __m256d inner = _mm256_mul_pd(bcast(kGeluBeta), _mm256_fmadd_pd(bcast(kGeluKappa), x3, x));
    return _mm256_mul_pd(_mm256_mul_pd(half, x), _mm256_add_pd(one, tanhPd(inner)));
  }
  const __m256d e = erfPd(_mm256_mul_pd(x, bcast(kSqrt1_2)));
  return _mm256_mul_pd(_mm256_mul_pd(x, half), _mm256_add_pd(one, e));
}

TG_AVX2 inline __m256d geluDerivPd(__m256d x, bool tanhApprox) {
  const __m256d one = bcast(1.0), half = bcast(0.5);
  const __m256d x2 = _mm256_mul_pd(x, x);
  if (tanhApprox) {
    const __m256d inner =
        _mm256_mul_pd(bcast(kGeluBeta), _mm256_fmadd_pd(bcast(kGeluKappa), _mm256_mul_pd(x2, x), x));
    const __m256d t = tanhPd(inner);
    const __m256d left = _mm256_mul_pd(half, _mm256_add_pd(one, t));
    const __m256d right = _mm256_mul_pd(
        _mm256_mul_pd(_mm256_mul_pd(half, x), _mm256_fnmadd_pd(t, t, one)),
        _mm256_mul_pd(bcast(kGeluBeta), _mm256_fmadd_pd(bcast(3 * kGeluKappa), x2, one)));
    return _mm256_add_pd(left, right);
  }
  const __m256d cdf =
      _mm256_mul_pd(half, _mm256_add_pd(one, erfPd(_mm256_mul_pd(x, bcast(kSqrt1_2)))));
  const __m256d pdf = _mm256_mul_pd(expPd(_mm256_mul_pd(bcast(-0.5), x2)), bcast(kGeluAlpha));
  return _mm256_fmadd_pd(x, pdf, cdf);
}

// four elements of T as doubles, and back
TG_AVX2 inline __m256d load4(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
TG_AVX2 inline __m256d load4(const double* p) { return _mm256_loadu_pd(p); }
TG_AVX2 inline void store4(float* p, __m256d v) { _mm_storeu_ps(p, _mm256_cvtpd_ps(v)); }
TG_AVX2 inline void store4(double* p, __m256d v) { _mm256_storeu_pd(p, v); }

// [lo, hi) in blocks of four; the ragged end goes through a zero-padded block so every element
// takes the same path.
template <typename T>
TG_AVX2 void geluRangeAvx2(const T* x, T* o, Index lo, Index hi, bool tanhApprox) {
  Index i = lo;
  for (; i + 4 <= hi; i += 4) store4(o + i, geluPd(load4(x + i), tanhApprox));
  if (i < hi) {
    T bx[4] = {0, 0, 0, 0}, bo[4];
    for (Index j = 0; i + j < hi; j++) bx[j] = x[i + j];
    store4(bo, geluPd(load4(bx), tanhApprox));
    for (Index j = 0; i + j < hi; j++) o[i + j] = bo[j];
  }
}

template <typename T>
TG_AVX2 void geluBackwardRangeAvx2(const T* g, const T* x, T* o, Index lo, Index hi,
                                   bool tanhApprox) {
  Index i = lo;
  for (; i + 4 <= hi; i += 4)
    store4(o + i, _mm256_mul_pd(load4(g + i), geluDerivPd(load4(x + i), tanhApprox)));
  if (i < hi) {
    T bg[4] = {0, 0, 0, 0}, bx[4] = {0, 0, 0, 0}, bo[4];
    for (Index j = 0; i + j < hi; j++) {
      bg[j] = g[i + j];
      bx[j] = x[i + j];
    }
    store4(bo, _mm256_mul_pd(load4(bg), geluDerivPd(load4(bx), tanhApprox)));
    for (Index j = 0; i + j < hi; j++) o[i + j] = bo[j];
  }
}
#endif  // TG_X86

// float32 takes the AVX2 path when the CPU has it; float64 always the scalar one (its result
// is kept to the last bits of the TypeScript kernel's, which the AVX2 tanh through exp is not
// where gelu' nears 0)
template <typename T>
void geluRange(const T* x, T* o, Index lo, Index hi, bool tanhApprox) {
#if TG_X86
  if (std::is_same_v<T, float> && avx2()) return geluRangeAvx2(x, o, lo, hi, tanhApprox);
#endif
  for (Index i = lo; i < hi; i++) o[i] = T(geluScalar(double(x[i]), tanhApprox));
}

template <typename T>
void geluBackwardRange(const T* g, const T* x, T* o, Index lo, Index hi, bool tanhApprox) {
#if TG_X86
  if (std::is_same_v<T, float> && avx2()) return geluBackwardRangeAvx2(g, x, o, lo, hi, tanhApprox);
#endif
  for (Index i = lo; i < hi; i++) o[i] = T(double(g[i]) * geluDeriv(double(x[i]), tanhApprox));
}

}  // namespace

// out[i] = gelu(x[xOff + i]), i < n.
Napi::Value run(const Napi::CallbackInfo& info, const args::geluForward& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &x = arg.x, &o = arg.out;
  const Index xOff = arg.xOff, n = arg.n;
  const bool th = arg.tanh != 0;
  if (n < 0 || xOff < 0 || xOff + n > x.len || n > o.len)
    return rangeError(env, fn, "range out of the arrays' bounds"), env.Undefined();
  auto apply = [&](auto* px, auto* po) {
    parallelFor(n, kGeluPerThread, [&](Index lo, Index hi) { geluRange(px, po, lo, hi, th); });
  };
  if (x.type == napi_float32_array)
    apply(static_cast<const float*>(x.data) + xOff, static_cast<float*>(o.data));
  else
    apply(static_cast<const double*>(x.data) + xOff, static_cast<double*>(o.data));
  return env.Undefined();
}

// out[i] = g[gOff + i] * gelu'(x[xOff + i]), i < n.
Napi::Value run(const Napi::CallbackInfo& info, const args::geluBackward& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &g = arg.g, &x = arg.x, &o = arg.out;
  const Index gOff = arg.gOff, xOff = arg.xOff, n = arg.n;
  const bool th = arg.tanh != 0;
  if (n < 0 || gOff < 0 || xOff < 0 || gOff + n > g.len || xOff + n > x.len || n > o.len)
    return rangeError(env, fn, "range out of the arrays' bounds"), env.Undefined();
  auto apply = [&](auto* pg, auto* px, auto* po) {
    parallelFor(n, kGeluPerThread,
                [&](Index lo, Index hi) { geluBackwardRange(pg, px, po, lo, hi, th); });
  };
  if (x.type == napi_float32_array)
    apply(static_cast<const float*>(g.data) + gOff, static_cast<const float*>(x.data) + xOff,
          static_cast<float*>(o.data));
  else
    apply(static_cast<const double*>(g.data) + gOff, static_cast<const double*>(x.data) + xOff,
          static_cast<double*>(o.data));
  return env.Undefined();
}

}  // namespace tg
