// tensorgrad native backend: activation kernels, the twins of src/backend/activation.ts:
// GELU forward and backward, exact (erf) and tanh-approximated.
//
// float32 exact GELU is Note [float32 GELU]: PyTorch 1.13's own float32 CPU GELU, which goes
// through oneDNN's gelu_erf (Abramowitz & Stegun 7.1.26 for erf, with oneDNN's degree-5 exp),
// step for step in float32 with its FMAs; on this project's development machine it is bit for
// bit the result of torch.nn.functional.gelu and of its backward (test/fixtures/gelu_f32.json).
// AVX-512 (16 lanes), AVX2 (8 lanes) and a portable loop compute the same roundings.
//
// Everything else (float64, and the tanh approximation) is computed in double and rounded once
// to the output's type, with the TypeScript kernel's formulas; erf there is the same fdlibm
// algorithm as erfScalar (src/backend/special.ts), so the twins differ only by libm's exp and
// tanh against V8's (an ulp of double, below float32's rounding).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "abi.gen.h"

namespace tg {
namespace {

// Elements per thread below which a kernel stays on the calling thread: an erf per element
// (~10 ns) pays for waking the second thread from ~16K elements (as elementwise.cc's math);
// the float32 exact GELU (Note [float32 GELU], ~0.2 ns per element) from ~64K.
constexpr Index kGeluPerThread = 1 << 14;
constexpr Index kGeluF32PerThread = 1 << 16;

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

// Note [float32 GELU] (below): the float32 exact GELU.
void geluF32(const float* x, float* o, Index lo, Index hi);
void geluBackwardF32(const float* g, const float* x, float* o, Index lo, Index hi);

// float32 takes the AVX2 path when the CPU has it; float64 always the scalar one (its result
// is kept to the last bits of the TypeScript kernel's, which the AVX2 tanh through exp is not
// where gelu' nears 0)
template <typename T>
void geluRange(const T* x, T* o, Index lo, Index hi, bool tanhApprox) {
  if constexpr (std::is_same_v<T, float>) {
    if (!tanhApprox) return geluF32(x, o, lo, hi);
  }
#if TG_X86
  if (std::is_same_v<T, float> && avx2()) return geluRangeAvx2(x, o, lo, hi, tanhApprox);
#endif
  for (Index i = lo; i < hi; i++) o[i] = T(geluScalar(double(x[i]), tanhApprox));
}

template <typename T>
void geluBackwardRange(const T* g, const T* x, T* o, Index lo, Index hi, bool tanhApprox) {
  if constexpr (std::is_same_v<T, float>) {
    if (!tanhApprox) return geluBackwardF32(g, x, o, lo, hi);
  }
#if TG_X86
  if (std::is_same_v<T, float> && avx2()) return geluBackwardRangeAvx2(g, x, o, lo, hi, tanhApprox);
#endif
  for (Index i = lo; i < hi; i++) o[i] = T(double(g[i]) * geluDeriv(double(x[i]), tanhApprox));
}

// ---------------------------------------------------------------------------------------------
// Note [float32 GELU]. oneDNN's gelu_erf as PyTorch 1.13 runs it for float32 tensors:
//
//   exp(x): under = x < ln(FLT_MIN); x = max(min(x, ln FLT_MAX), ln FLT_MIN);
//           t = floor(x * log2(e) + 0.5); r = x - t ln2 (one FMA);
//           p = 1 + r (e1 + r (e2 + r (e3 + r (e4 + r e5)))) (five FMAs); exp = p * 2^t
//           (2^t read as 0 where `under`)
//   forward:  x = s / sqrt2; E = exp(-x^2); w = 1 / (1 + 0.3275911 |x|);
//             erf = sign(x) (1 - E w P(w)), P(w) = a1 + w (a2 + ... + w a5) (A&S 7.1.26);
//             gelu = S + S erf with S = s / 2 (one FMA)
//   backward: R = s / sqrt2; Q = exp(-R^2); T = R / sqrt(pi) * Q; erf as above;
//             gelu'(s) = (T + 1/2) + erf / 2 (one FMA); ds = g * gelu'(s)
//
// Every step is one float32 rounding (min/max with x86's NaN rule: min(a, b) = a < b ? a : b),
// so the vector and the portable loops, and the TypeScript twin, agree bit for bit. GCC would
// fuse a product and a sum (vector intrinsics included) into an FMA under its default
// -ffp-contract=fast, moving a rounding: this section is compiled with contraction off.
// (GCC 12 also flags the AVX-512 intrinsics' own _mm512_undefined_* pass-through operands as
// maybe uninitialized under this pragma: a false positive of its headers, silenced here.)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

constexpr float kFLog2e = 0x1.715476p+0f;
constexpr float kFLnMax = 0x1.62e43p+6f;
constexpr float kFLnMin = -0x1.5d58ap+6f;
constexpr float kFLn2 = 0x1.62e43p-1f;
constexpr float kFExp1 = 0x1.fffff6p-1f, kFExp2 = 0x1.fffdc6p-2f, kFExp3 = 0x1.555a8p-3f,
                kFExp4 = 0x1.573a1ap-5f, kFExp5 = 0x1.0f9f9cp-7f;
constexpr float kFErfP = 0x1.4f740ap-2f;  // 0.3275911
constexpr float kFErf1 = 0x1.04f20cp-2f, kFErf2 = -0x1.23531cp-2f, kFErf3 = 0x1.6be1c6p+0f,
                kFErf4 = -0x1.7401c6p+0f, kFErf5 = 0x1.0fb844p+0f;
constexpr float kFRsqrt2 = 0x1.6a09e6p-1f;
constexpr float kFRsqrtPi = 0x1.20dd74p-1f;

inline float expOneDnn(float x) {
  const bool under = x < kFLnMin;
  x = x < kFLnMax ? x : kFLnMax;
  x = x > kFLnMin ? x : kFLnMin;
  // (two statements: clang's default -ffp-contract=on fuses a product and a sum only within
  // one expression, and GCC's contraction is off in this section)
  const float fx = x * kFLog2e;
  const float t = std::floor(fx + 0.5f);
  const float r = std::fma(-t, kFLn2, x);
  float p = std::fma(kFExp5, r, kFExp4);
  p = std::fma(p, r, kFExp3);
  p = std::fma(p, r, kFExp2);
  p = std::fma(p, r, kFExp1);
  p = std::fma(p, r, 1.0f);
  const uint32_t bits = under ? 0u : uint32_t(int32_t(t) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// sign(x) (1 - E w P(w)) given mE = -E and w
inline float erfTail(float x, float mE, float w) {
  float r = std::fma(kFErf5, w, kFErf4);
  r = std::fma(r, w, kFErf3);
  r = std::fma(r, w, kFErf2);
  r = std::fma(r, w, kFErf1);
  const float e = std::fma(mE * w, r, 1.0f);
  return std::signbit(x) ? -e : e;
}

inline float geluF32(float s) {
  const float x = s * kFRsqrt2;
  const float mE = -expOneDnn(-(x * x));
  const float w = 1.0f / std::fma(kFErfP, std::fabs(x), 1.0f);
  const float erf = erfTail(x, mE, w);
  const float S = s * 0.5f;
  return std::fma(erf, S, S);
}

inline float geluDerivF32(float s) {
  const float R = s * kFRsqrt2;
  const float Q = expOneDnn(-(R * R));
  const float T = (R * kFRsqrtPi) * Q;
  const float w = 1.0f / std::fma(kFErfP, std::fabs(R), 1.0f);
  const float erf = erfTail(R, -Q, w);
  return std::fma(erf, 0.5f, T + 0.5f);
}

#if TG_X86
#define TG_AVX512 __attribute__((target("avx512f")))

TG_AVX512 inline __m512 ps16(float v) { return _mm512_set1_ps(v); }
TG_AVX512 inline __m512 xorSign16(__m512 a, __m512 signs) {
  return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_castps_si512(signs)));
}
TG_AVX512 inline __m512 signOf16(__m512 a) {
  return _mm512_castsi512_ps(
      _mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(int32_t(0x80000000u))));
}
TG_AVX512 inline __m512 abs16(__m512 a) {
  return _mm512_castsi512_ps(
      _mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff)));
}

TG_AVX512 inline __m512 exp16(__m512 x) {
  const __mmask16 under = _mm512_cmp_ps_mask(x, ps16(kFLnMin), _CMP_LT_OS);
  x = _mm512_min_ps(x, ps16(kFLnMax));
  x = _mm512_max_ps(x, ps16(kFLnMin));
  const __m512 t = _mm512_roundscale_ps(_mm512_add_ps(_mm512_mul_ps(x, ps16(kFLog2e)), ps16(0.5f)),
                                        _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m512 r = _mm512_fnmadd_ps(t, ps16(kFLn2), x);
  __m512 p = _mm512_fmadd_ps(ps16(kFExp5), r, ps16(kFExp4));
  p = _mm512_fmadd_ps(p, r, ps16(kFExp3));
  p = _mm512_fmadd_ps(p, r, ps16(kFExp2));
  p = _mm512_fmadd_ps(p, r, ps16(kFExp1));
  p = _mm512_fmadd_ps(p, r, ps16(1.0f));
  __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(t), _mm512_set1_epi32(127)), 23);
  e = _mm512_mask_mov_epi32(e, under, _mm512_setzero_si512());
  return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

TG_AVX512 inline __m512 erfTail16(__m512 x, __m512 mE, __m512 w) {
  __m512 r = _mm512_fmadd_ps(ps16(kFErf5), w, ps16(kFErf4));
  r = _mm512_fmadd_ps(r, w, ps16(kFErf3));
  r = _mm512_fmadd_ps(r, w, ps16(kFErf2));
  r = _mm512_fmadd_ps(r, w, ps16(kFErf1));
  return xorSign16(_mm512_fmadd_ps(_mm512_mul_ps(mE, w), r, ps16(1.0f)), signOf16(x));
}

TG_AVX512 inline __m512 gelu16(__m512 s) {
  const __m512 x = _mm512_mul_ps(s, ps16(kFRsqrt2));
  const __m512 minus = ps16(-0.0f);
  const __m512 mE = xorSign16(exp16(xorSign16(_mm512_mul_ps(x, x), minus)), minus);
  const __m512 w = _mm512_div_ps(ps16(1.0f), _mm512_fmadd_ps(ps16(kFErfP), abs16(x), ps16(1.0f)));
  const __m512 erf = erfTail16(x, mE, w);
  const __m512 S = _mm512_mul_ps(s, ps16(0.5f));
  return _mm512_fmadd_ps(erf, S, S);
}

TG_AVX512 inline __m512 geluDeriv16(__m512 s) {
  const __m512 R = _mm512_mul_ps(s, ps16(kFRsqrt2));
  const __m512 minus = ps16(-0.0f);
  const __m512 Q = exp16(xorSign16(_mm512_mul_ps(R, R), minus));
  const __m512 T = _mm512_mul_ps(_mm512_mul_ps(R, ps16(kFRsqrtPi)), Q);
  const __m512 w = _mm512_div_ps(ps16(1.0f), _mm512_fmadd_ps(ps16(kFErfP), abs16(R), ps16(1.0f)));
  const __m512 erf = erfTail16(R, xorSign16(Q, minus), w);
  return _mm512_fmadd_ps(erf, ps16(0.5f), _mm512_add_ps(T, ps16(0.5f)));
}

TG_AVX512 void geluF32Avx512(const float* x, float* o, Index lo, Index hi) {
  Index i = lo;
  for (; i + 16 <= hi; i += 16) _mm512_storeu_ps(o + i, gelu16(_mm512_loadu_ps(x + i)));
  if (i < hi) {
    const __mmask16 m = __mmask16((1u << (hi - i)) - 1);
    _mm512_mask_storeu_ps(o + i, m, gelu16(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

TG_AVX512 void geluBackwardF32Avx512(const float* g, const float* x, float* o, Index lo, Index hi) {
  Index i = lo;
  for (; i + 16 <= hi; i += 16)
    _mm512_storeu_ps(o + i, _mm512_mul_ps(_mm512_loadu_ps(g + i), geluDeriv16(_mm512_loadu_ps(x + i))));
  if (i < hi) {
    const __mmask16 m = __mmask16((1u << (hi - i)) - 1);
    _mm512_mask_storeu_ps(
        o + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, g + i), geluDeriv16(_mm512_maskz_loadu_ps(m, x + i))));
  }
}

// The same in 8 lanes for AVX2 machines.
TG_AVX2 inline __m256 ps8(float v) { return _mm256_set1_ps(v); }

TG_AVX2 inline __m256 exp8(__m256 x) {
  const __m256 under = _mm256_cmp_ps(x, ps8(kFLnMin), _CMP_LT_OS);
  x = _mm256_min_ps(x, ps8(kFLnMax));
  x = _mm256_max_ps(x, ps8(kFLnMin));
  const __m256 t = _mm256_floor_ps(_mm256_add_ps(_mm256_mul_ps(x, ps8(kFLog2e)), ps8(0.5f)));
  const __m256 r = _mm256_fnmadd_ps(t, ps8(kFLn2), x);
  __m256 p = _mm256_fmadd_ps(ps8(kFExp5), r, ps8(kFExp4));
  p = _mm256_fmadd_ps(p, r, ps8(kFExp3));
  p = _mm256_fmadd_ps(p, r, ps8(kFExp2));
  p = _mm256_fmadd_ps(p, r, ps8(kFExp1));
  p = _mm256_fmadd_ps(p, r, ps8(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(t), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_andnot_ps(under, _mm256_castsi256_ps(e)));
}

TG_AVX2 inline __m256 erfTail8(__m256 x, __m256 mE, __m256 w) {
  __m256 r = _mm256_fmadd_ps(ps8(kFErf5), w, ps8(kFErf4));
  r = _mm256_fmadd_ps(r, w, ps8(kFErf3));
  r = _mm256_fmadd_ps(r, w, ps8(kFErf2));
  r = _mm256_fmadd_ps(r, w, ps8(kFErf1));
  const __m256 e = _mm256_fmadd_ps(_mm256_mul_ps(mE, w), r, ps8(1.0f));
  return _mm256_xor_ps(e, _mm256_and_ps(x, ps8(-0.0f)));
}

TG_AVX2 inline __m256 gelu8(__m256 s) {
  const __m256 x = _mm256_mul_ps(s, ps8(kFRsqrt2));
  const __m256 minus = ps8(-0.0f);
  const __m256 mE = _mm256_xor_ps(exp8(_mm256_xor_ps(_mm256_mul_ps(x, x), minus)), minus);
  const __m256 w = _mm256_div_ps(ps8(1.0f), _mm256_fmadd_ps(ps8(kFErfP), _mm256_andnot_ps(minus, x), ps8(1.0f)));
  const __m256 erf = erfTail8(x, mE, w);
  const __m256 S = _mm256_mul_ps(s, ps8(0.5f));
  return _mm256_fmadd_ps(erf, S, S);
}

TG_AVX2 inline __m256 geluDeriv8(__m256 s) {
  const __m256 R = _mm256_mul_ps(s, ps8(kFRsqrt2));
  const __m256 minus = ps8(-0.0f);
  const __m256 Q = exp8(_mm256_xor_ps(_mm256_mul_ps(R, R), minus));
  const __m256 T = _mm256_mul_ps(_mm256_mul_ps(R, ps8(kFRsqrtPi)), Q);
  const __m256 w = _mm256_div_ps(ps8(1.0f), _mm256_fmadd_ps(ps8(kFErfP), _mm256_andnot_ps(minus, R), ps8(1.0f)));
  const __m256 erf = erfTail8(R, _mm256_xor_ps(Q, minus), w);
  return _mm256_fmadd_ps(erf, ps8(0.5f), _mm256_add_ps(T, ps8(0.5f)));
}

TG_AVX2 void geluF32Avx2(const float* x, float* o, Index lo, Index hi) {
  Index i = lo;
  for (; i + 8 <= hi; i += 8) _mm256_storeu_ps(o + i, gelu8(_mm256_loadu_ps(x + i)));
  if (i < hi) {
    float bx[8] = {0, 0, 0, 0, 0, 0, 0, 0}, bo[8];
    for (Index j = 0; i + j < hi; j++) bx[j] = x[i + j];
    _mm256_storeu_ps(bo, gelu8(_mm256_loadu_ps(bx)));
    for (Index j = 0; i + j < hi; j++) o[i + j] = bo[j];
  }
}

TG_AVX2 void geluBackwardF32Avx2(const float* g, const float* x, float* o, Index lo, Index hi) {
  Index i = lo;
  for (; i + 8 <= hi; i += 8)
    _mm256_storeu_ps(o + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), geluDeriv8(_mm256_loadu_ps(x + i))));
  if (i < hi) {
    float bg[8] = {0, 0, 0, 0, 0, 0, 0, 0}, bx[8] = {0, 0, 0, 0, 0, 0, 0, 0}, bo[8];
    for (Index j = 0; i + j < hi; j++) {
      bg[j] = g[i + j];
      bx[j] = x[i + j];
    }
    _mm256_storeu_ps(bo, _mm256_mul_ps(_mm256_loadu_ps(bg), geluDeriv8(_mm256_loadu_ps(bx))));
    for (Index j = 0; i + j < hi; j++) o[i + j] = bo[j];
  }
}
#endif  // TG_X86

void geluF32(const float* x, float* o, Index lo, Index hi) {
#if TG_X86
  if (avx512()) return geluF32Avx512(x, o, lo, hi);
  if (avx2()) return geluF32Avx2(x, o, lo, hi);
#endif
  for (Index i = lo; i < hi; i++) o[i] = geluF32(x[i]);
}

void geluBackwardF32(const float* g, const float* x, float* o, Index lo, Index hi) {
#if TG_X86
  if (avx512()) return geluBackwardF32Avx512(g, x, o, lo, hi);
  if (avx2()) return geluBackwardF32Avx2(g, x, o, lo, hi);
#endif
  for (Index i = lo; i < hi; i++) o[i] = g[i] * geluDerivF32(x[i]);
}
#pragma GCC diagnostic pop
#pragma GCC pop_options

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
    const bool f32 = std::is_same_v<std::remove_const_t<std::remove_pointer_t<decltype(px)>>, float>;
    parallelFor(n, f32 && !th ? kGeluF32PerThread : kGeluPerThread,
                [&](Index lo, Index hi) { geluRange(px, po, lo, hi, th); });
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
    const bool f32 = std::is_same_v<std::remove_const_t<std::remove_pointer_t<decltype(px)>>, float>;
    parallelFor(n, f32 && !th ? kGeluF32PerThread : kGeluPerThread,
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
