// tensorgrad native backend: elementwise kernels, the twins of src/backend/elementwise.ts
// `unary`, `binary`, `powBackward`, `activationBackward`, `clamp`, and of the broadcasting loops
// of src/ops/elementwise.ts (`binaryKernel`, `where`, `maskedFill`). Op codes: abi.gen.h.
//
// Semantics follow the TypeScript kernels exactly: a float32 element is what JavaScript gets by
// computing in double and storing into a Float32Array. For + - * / sqrt, rounding the exact
// double result to float equals the float operation (double has more than 2*24+2 bits), so
// those run in float. Other float32 math that the TypeScript kernel does in double (pow,
// atan2, floor division, remainder, rsqrt, sin/cos/tan) is computed in double here too.
// exp, log, log1p, expm1, tanh and sigmoid have float32 AVX2 approximations (Cephes-style
// polynomials, below) whose error against the correctly rounded result is a few float32 ulp,
// and the same on SIMD128 in the WebAssembly build (Note [wasm vector math]); the portable path
// computes them in double with libm. float64 uses libm throughout.
#include <array>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "abi.gen.h"
#include "strided.h"
#include "vecmath.h"

namespace tg {
namespace {


// Elements per thread below which a kernel stays on the calling thread (parallelFor splits
// from twice this). Waking the second thread costs ~5-20 us. Measured on the 2-core machine
// (float32, best of 9, us, one thread / two threads; the machine was shared, so two-thread
// numbers are noisy): add 64K 7.6/7.6, 128K 19/29, 1M 155/122; tanh (AVX2, ~0.8 ns per
// element) 32K 26/35, 256K 202/146; sin (libm, ~8 ns per element) 32K 269/193, 64K 541/343.
// Cheap, memory-bound ops gain little from a second core until ~256K elements; math pays for
// the wake-up from ~32K.
constexpr Index kCheapPerThread = 1 << 17;
constexpr Index kMathPerThread = 1 << 14;


// JavaScript's x % y is C's fmod; the Python-style remainder takes the divisor's sign.
inline double pyRemainder(double x, double y) {
  const double r = std::fmod(x, y);
  return r != 0 && (r < 0) != (y < 0) ? r + y : r;
}

// PyTorch's calc_erfinv (aten/src/ATen/native/Math.h) in double: a rational first guess, then
// two Newton steps on erf(x) = y; the TypeScript twin is erfinvScalar in src/backend/special.ts.
inline double calcErfinv(double y) {
  static const double a[4] = {0.886226899, -1.645349621, 0.914624893, -0.140543331};
  static const double b[4] = {-2.118377725, 1.442710462, -0.329097515, 0.012229801};
  static const double c[4] = {-1.970840454, -1.624906493, 3.429567803, 1.641345311};
  static const double d[2] = {3.5438892, 1.6370678};
  const double ay = std::fabs(y);
  if (ay > 1.0) return NAN;
  if (ay == 1.0) return std::copysign(INFINITY, y);
  double x;
  if (ay <= 0.7) {
    const double z = y * y;
    const double num = ((a[3] * z + a[2]) * z + a[1]) * z + a[0];
    const double dem = (((b[3] * z + b[2]) * z + b[1]) * z + b[0]) * z + 1.0;
    x = y * num / dem;
  } else {
    const double z = std::sqrt(-std::log((1.0 - ay) / 2.0));
    const double num = ((c[3] * z + c[2]) * z + c[1]) * z + c[0];
    const double dem = (d[1] * z + d[0]) * z + 1.0;
    x = std::copysign(num, y) / dem;
  }
  const double k = 2.0 / std::sqrt(M_PI);
  x = x - (std::erf(x) - y) / (k * std::exp(-x * x));
  x = x - (std::erf(x) - y) / (k * std::exp(-x * x));
  return x;
}

// PyTorch's calc_digamma in double (Math.h): reflection below 0, recurrence up to 10, then the
// asymptotic series; the TypeScript twin is digammaScalar in src/backend/special.ts.
inline double calcDigamma(double x) {
  static const double kPsi10 = 2.25175258906672110764;
  static const double A[] = {1.0 / 12, -691.0 / 32760, 1.0 / 132, -1.0 / 240,
                             1.0 / 252, -1.0 / 120,    1.0 / 12};
  if (x == 0) return std::copysign(INFINITY, -x);
  if (x < 0) {
    if (x == std::trunc(x)) return NAN;
    const double r = x - std::trunc(x);
    return calcDigamma(1 - x) - M_PI / std::tan(M_PI * r);
  }
  double result = 0;
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  if (x == 10) return result + kPsi10;
  double y = 0;
  if (x < 1.0e17) {
    const double z = 1.0 / (x * x);
    double p = A[0];
    for (int i = 1; i < 7; i++) p = p * z + A[i];
    y = z * p;
  }
  return result + std::log(x) - 0.5 / x - y;
}

// sin(pi x) / (pi x), 1 at 0 (PyTorch's sinc kernel)
inline double sinc(double x) {
  if (x == 0) return 1.0;
  const double p = M_PI * x;
  return std::sin(p) / p;
}

// log(e^x + e^y) as PyTorch's logaddexp kernel (equal infinities give that infinity), and
// log2(2^x + 2^y) likewise; the TypeScript twins are logAddExp/logAddExp2 in elementwise.ts.
inline double logAddExp(double x, double y) {
  if (std::isinf(x) && x == y) return x;
  const double m = x > y || y != y ? x : y;
  return m + std::log1p(std::exp(-std::fabs(x - y)));
}
inline double logAddExp2(double x, double y) {
  if (std::isinf(x) && x == y) return x;
  const double m = x > y || y != y ? x : y;
  return m + std::log1p(std::pow(2.0, -std::fabs(x - y))) * (1.0 / 0.6931471805599453);
}

// ---------------------------------------------------------------------------------------------
// float32 AVX2 math. Constants and polynomials are Cephes' single-precision ones (expf, logf,
// tanhf). Max error against the correctly rounded float32 result (the TypeScript kernel's),
// measured over 4M inputs spread evenly over each function's range plus 1M magnitudes from
// 2^-40 to 2^5 of both signs and the special values: exp 1 ulp (also on subnormal results),
// log 1, log1p 2, expm1 2, tanh 1, sigmoid 2; infinities, NaN and signed zeros exact.
// test/native-elementwise.test.ts checks these bounds. exp, tanh and sigmoid live in vecmath.h
// (the recurrent cells of rnn.cc use them too).

#if TG_X86

// log x: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(m) = f - f^2/2 + f^3 P(f) (f = m - 1),
// plus e ln2 in two parts. Subnormal inputs are scaled by 2^23 first. x < 0 gives NaN, 0 gives
// -inf, +inf and NaN pass through.
TG_AVX2 inline __m256 logPs(__m256 x) {
  const __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(1.17549435e-38f), _CMP_LT_OQ);
  const __m256 xs = _mm256_blendv_ps(x, _mm256_mul_ps(x, _mm256_set1_ps(8388608.0f)), tiny);
  const __m256i bits = _mm256_castps_si256(xs);
  __m256 e = _mm256_cvtepi32_ps(
      _mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(126)));
  e = _mm256_sub_ps(e, _mm256_and_ps(tiny, _mm256_set1_ps(23.0f)));
  // mantissa with the exponent of 0.5: m in [0.5, 1)
  __m256 m = _mm256_castsi256_ps(_mm256_or_si256(
      _mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f000000)));
  const __m256 lowHalf = _mm256_cmp_ps(m, _mm256_set1_ps(0.707106781186547524f), _CMP_LT_OQ);
  e = _mm256_sub_ps(e, _mm256_and_ps(lowHalf, _mm256_set1_ps(1.0f)));
  // f = 2m - 1 below sqrt(1/2), else m - 1 (both exact)
  const __m256 f =
      _mm256_sub_ps(_mm256_add_ps(m, _mm256_and_ps(lowHalf, m)), _mm256_set1_ps(1.0f));
  const __m256 z = _mm256_mul_ps(f, f);
  __m256 p = _mm256_set1_ps(7.0376836292e-2f);
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(-1.1514610310e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.1676998740e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(-1.2420140846e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.4249322787e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(-1.6668057665e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.0000714765e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(-2.4999993993e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(3.3333331174e-1f));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, f), z);
  y = _mm256_fmadd_ps(e, _mm256_set1_ps(-2.12194440e-4f), y);
  y = _mm256_fmadd_ps(z, _mm256_set1_ps(-0.5f), y);
  __m256 r = _mm256_add_ps(f, y);
  r = _mm256_fmadd_ps(e, _mm256_set1_ps(0.693359375f), r);
  // special values: +inf and NaN pass through, 0 gives -inf, negatives NaN
  const __m256 inf = _mm256_set1_ps(INFINITY);
  r = _mm256_blendv_ps(r, x, _mm256_or_ps(_mm256_cmp_ps(x, inf, _CMP_EQ_OQ),
                                          _mm256_cmp_ps(x, x, _CMP_UNORD_Q)));
  r = _mm256_blendv_ps(r, _mm256_set1_ps(-INFINITY),
                       _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ));
  return _mm256_blendv_ps(r, _mm256_set1_ps(NAN),
                          _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
}

// log(1 + x) = log(u) * x / (u - 1) with u = 1 + x rounded (Goldberg's correction: the
// rounding error of u cancels in the ratio); x itself where u == 1, +inf for +inf.
TG_AVX2 inline __m256 log1pPs(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 u = _mm256_add_ps(one, x);
  const __m256 d = _mm256_sub_ps(u, one);
  __m256 r = _mm256_mul_ps(logPs(u), _mm256_div_ps(x, d));
  r = _mm256_blendv_ps(r, x, _mm256_cmp_ps(d, _mm256_setzero_ps(), _CMP_EQ_OQ));
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, _mm256_set1_ps(INFINITY), _CMP_EQ_OQ));
}

// e^x - 1: Taylor series to x^9 for |x| < 1/2 (truncation < 2^-29 relative), else
// exp(x) - 1 (|result| > 0.39 there, so the subtraction loses under 2 bits). +-0 pass through.
TG_AVX2 inline __m256 expm1Ps(__m256 x) {
  const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  __m256 p = _mm256_set1_ps(1.0f / 362880.0f);
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 40320.0f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 5040.0f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 720.0f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, x, _mm256_set1_ps(0.5f));
  const __m256 small = _mm256_fmadd_ps(p, _mm256_mul_ps(x, x), x);
  const __m256 large = _mm256_sub_ps(expPs(x), _mm256_set1_ps(1.0f));
  __m256 r = _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.5f), _CMP_LT_OQ));
  return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ));
}

// The lane mask of the first `rem` (< 8) lanes, for the ragged end of a loop.
TG_AVX2 inline __m256i tailMask(Index rem) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(rem)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// out[i] = f(a[i]) over [lo, hi), 8 lanes at a time, the ragged end with masked loads/stores
// (so every element goes through the same approximation).
template <typename F>
TG_AVX2 inline void mapPs(const float* a, float* o, Index lo, Index hi, F f) {
  Index i = lo;
  for (; i + 8 <= hi; i += 8) _mm256_storeu_ps(o + i, f(_mm256_loadu_ps(a + i)));
  if (i < hi) {
    const __m256i m = tailMask(hi - i);
    _mm256_maskstore_ps(o + i, m, f(_mm256_maskload_ps(a + i, m)));
  }
}

// Element functions as functor types (a lambda's function-pointer conversion would not carry
// the target attribute).
struct ExpOp { TG_AVX2 __m256 operator()(__m256 x) const { return expPs(x); } };
struct LogOp { TG_AVX2 __m256 operator()(__m256 x) const { return logPs(x); } };
struct Log1pOp { TG_AVX2 __m256 operator()(__m256 x) const { return log1pPs(x); } };
struct Expm1Op { TG_AVX2 __m256 operator()(__m256 x) const { return expm1Ps(x); } };
struct TanhOp { TG_AVX2 __m256 operator()(__m256 x) const { return tanhPs(x); } };
struct SigmoidOp { TG_AVX2 __m256 operator()(__m256 x) const { return sigmoidPs(x); } };
struct SqrtOp { TG_AVX2 __m256 operator()(__m256 x) const { return _mm256_sqrt_ps(x); } };
// 1 / sqrt(x) in double, rounded once to float (as the TypeScript kernel)
struct RsqrtOp {
  TG_AVX2 __m256 operator()(__m256 x) const {
    const __m256d one = _mm256_set1_pd(1.0);
    const __m128 l = _mm256_cvtpd_ps(
        _mm256_div_pd(one, _mm256_sqrt_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x)))));
    const __m128 h = _mm256_cvtpd_ps(
        _mm256_div_pd(one, _mm256_sqrt_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)))));
    return _mm256_insertf128_ps(_mm256_castps128_ps256(l), h, 1);
  }
};

// The float32 unary ops with an AVX2 body; false for the others (they take the scalar loop).
TG_AVX2 bool unaryAvx2(int op, const float* a, float* o, Index lo, Index hi) {
  switch (op) {
    case kExp: mapPs(a, o, lo, hi, ExpOp()); return true;
    case kLog: mapPs(a, o, lo, hi, LogOp()); return true;
    case kLog1p: mapPs(a, o, lo, hi, Log1pOp()); return true;
    case kExpm1: mapPs(a, o, lo, hi, Expm1Op()); return true;
    case kTanh: mapPs(a, o, lo, hi, TanhOp()); return true;
    case kSigmoid: mapPs(a, o, lo, hi, SigmoidOp()); return true;
    case kSqrt: mapPs(a, o, lo, hi, SqrtOp()); return true;
    case kRsqrt: mapPs(a, o, lo, hi, RsqrtOp()); return true;
    default: return false;
  }
}
#endif  // TG_X86

#if TG_WASM
// Note [wasm vector math]: the WebAssembly build's float32 exp, log, log1p, expm1, tanh and
// sigmoid: the AVX2 approximations above on SIMD128's four lanes (vecmath.h), each fused
// multiply-add a multiply and an add. wasi-libc's scalar functions in double took ~35 ns per
// element for tanh (1e6 elements: 35 ms of a 1e6-element chain's step); the bounds are those
// of the AVX2 path (test/native-elementwise.test.ts runs on this backend in .ci/run).

inline v128_t logV(v128_t x) {
  const v128_t tiny = wasm_f32x4_lt(x, splat(1.17549435e-38f));
  const v128_t xs = select(tiny, wasm_f32x4_mul(x, splat(8388608.0f)), x);
  v128_t e = wasm_f32x4_convert_i32x4(
      wasm_i32x4_sub(wasm_u32x4_shr(xs, 23), wasm_i32x4_splat(126)));
  e = wasm_f32x4_sub(e, wasm_v128_and(tiny, splat(23.0f)));
  // mantissa with the exponent of 0.5: m in [0.5, 1)
  const v128_t m = wasm_v128_or(wasm_v128_and(xs, wasm_i32x4_splat(0x007fffff)),
                                wasm_i32x4_splat(0x3f000000));
  const v128_t lowHalf = wasm_f32x4_lt(m, splat(0.707106781186547524f));
  e = wasm_f32x4_sub(e, wasm_v128_and(lowHalf, splat(1.0f)));
  // f = 2m - 1 below sqrt(1/2), else m - 1 (both exact)
  const v128_t f = wasm_f32x4_sub(wasm_f32x4_add(m, wasm_v128_and(lowHalf, m)), splat(1.0f));
  const v128_t z = wasm_f32x4_mul(f, f);
  v128_t p = splat(7.0376836292e-2f);
  p = mulAdd(p, f, splat(-1.1514610310e-1f));
  p = mulAdd(p, f, splat(1.1676998740e-1f));
  p = mulAdd(p, f, splat(-1.2420140846e-1f));
  p = mulAdd(p, f, splat(1.4249322787e-1f));
  p = mulAdd(p, f, splat(-1.6668057665e-1f));
  p = mulAdd(p, f, splat(2.0000714765e-1f));
  p = mulAdd(p, f, splat(-2.4999993993e-1f));
  p = mulAdd(p, f, splat(3.3333331174e-1f));
  v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(p, f), z);
  y = mulAdd(e, splat(-2.12194440e-4f), y);
  y = mulAdd(z, splat(-0.5f), y);
  v128_t r = wasm_f32x4_add(f, y);
  r = mulAdd(e, splat(0.693359375f), r);
  // special values: +inf and NaN pass through, 0 gives -inf, negatives NaN
  r = select(wasm_v128_or(wasm_f32x4_eq(x, splat(INFINITY)), wasm_f32x4_ne(x, x)), x, r);
  r = select(wasm_f32x4_eq(x, splat(0.0f)), splat(-INFINITY), r);
  return select(wasm_f32x4_lt(x, splat(0.0f)), splat(NAN), r);
}

inline v128_t log1pV(v128_t x) {
  const v128_t one = splat(1.0f);
  const v128_t u = wasm_f32x4_add(one, x);
  const v128_t d = wasm_f32x4_sub(u, one);
  v128_t r = wasm_f32x4_mul(logV(u), wasm_f32x4_div(x, d));
  r = select(wasm_f32x4_eq(d, splat(0.0f)), x, r);
  return select(wasm_f32x4_eq(x, splat(INFINITY)), x, r);
}

inline v128_t expm1V(v128_t x) {
  const v128_t ax = wasm_f32x4_abs(x);
  v128_t p = splat(1.0f / 362880.0f);
  p = mulAdd(p, x, splat(1.0f / 40320.0f));
  p = mulAdd(p, x, splat(1.0f / 5040.0f));
  p = mulAdd(p, x, splat(1.0f / 720.0f));
  p = mulAdd(p, x, splat(1.0f / 120.0f));
  p = mulAdd(p, x, splat(1.0f / 24.0f));
  p = mulAdd(p, x, splat(1.0f / 6.0f));
  p = mulAdd(p, x, splat(0.5f));
  const v128_t small = mulAdd(p, wasm_f32x4_mul(x, x), x);
  const v128_t large = wasm_f32x4_sub(expV(x), splat(1.0f));
  const v128_t r = select(wasm_f32x4_lt(ax, splat(0.5f)), small, large);
  return select(wasm_f32x4_eq(x, splat(0.0f)), x, r);
}

// out[i] = f(a[i]) over [lo, hi), four lanes at a time; the ragged end goes through a padded
// vector, so every element takes the same approximation.
template <typename F>
inline void mapV(const float* a, float* o, Index lo, Index hi, F f) {
  Index i = lo;
  for (; i + 4 <= hi; i += 4) wasm_v128_store(o + i, f(wasm_v128_load(a + i)));
  if (i < hi) {
    float in[4] = {0, 0, 0, 0}, out[4];
    std::memcpy(in, a + i, size_t(hi - i) * sizeof(float));
    wasm_v128_store(out, f(wasm_v128_load(in)));
    std::memcpy(o + i, out, size_t(hi - i) * sizeof(float));
  }
}

// The float32 unary ops with a SIMD128 body; false for the others (they take the scalar loop).
bool unaryWasm(int op, const float* a, float* o, Index lo, Index hi) {
  switch (op) {
    case kExp: mapV(a, o, lo, hi, expV); return true;
    case kLog: mapV(a, o, lo, hi, logV); return true;
    case kLog1p: mapV(a, o, lo, hi, log1pV); return true;
    case kExpm1: mapV(a, o, lo, hi, expm1V); return true;
    case kTanh: mapV(a, o, lo, hi, tanhV); return true;
    case kSigmoid: mapV(a, o, lo, hi, sigmoidV); return true;
    default: return false;
  }
}
#endif  // TG_WASM

// ---------------------------------------------------------------------------------------------
// Portable scalar loops (the switch is outside the loop, so each op gets its own loop).

template <typename T, typename F>
inline void mapScalar(const T* a, T* o, Index lo, Index hi, F f) {
  for (Index i = lo; i < hi; i++) o[i] = f(a[i]);
}

// float32 transcendental math in double, rounded once (what the TypeScript kernel stores)
template <typename T>
inline T viaDouble(double (*fn)(double), T x) {
  return T(fn(double(x)));
}

template <typename T>
void unaryScalar(int op, const T* a, T* o, Index lo, Index hi) {
  switch (op) {
    case kNeg: mapScalar(a, o, lo, hi, [](T x) { return -x; }); break;
    case kAbs: mapScalar(a, o, lo, hi, [](T x) { return std::fabs(x); }); break;
    case kSign:
      // NaN gives 0, as the TypeScript kernel and PyTorch's (0 < x) - (x < 0)
      mapScalar(a, o, lo, hi, [](T x) { return x > 0 ? T(1) : x < 0 ? T(-1) : T(0); });
      break;
    case kExp: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::exp, x); }); break;
    case kLog: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::log, x); }); break;
    case kLog1p:
      mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::log1p, x); });
      break;
    case kExpm1:
      mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::expm1, x); });
      break;
    case kSqrt: mapScalar(a, o, lo, hi, [](T x) { return std::sqrt(x); }); break;
    case kRsqrt:
      mapScalar(a, o, lo, hi, [](T x) { return T(1.0 / std::sqrt(double(x))); });
      break;
    case kReciprocal: mapScalar(a, o, lo, hi, [](T x) { return T(1) / x; }); break;
    case kSquare: mapScalar(a, o, lo, hi, [](T x) { return x * x; }); break;
    case kSin: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::sin, x); }); break;
    case kCos: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::cos, x); }); break;
    case kTan: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::tan, x); }); break;
    case kTanh: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::tanh, x); }); break;
    case kSigmoid:
      mapScalar(a, o, lo, hi, [](T x) { return T(1.0 / (1.0 + std::exp(-double(x)))); });
      break;
    case kRelu:
      // relu(NaN) = NaN, as PyTorch's clamp_min(0); -0 gives +0
      // (written as a select on x <= 0, false for NaN, so the loop vectorises without branches)
      mapScalar(a, o, lo, hi, [](T x) { return x <= T(0) ? T(0) : x; });
      break;
    case kFloor: mapScalar(a, o, lo, hi, [](T x) { return std::floor(x); }); break;
    case kCeil: mapScalar(a, o, lo, hi, [](T x) { return std::ceil(x); }); break;
    // nearbyint in the default rounding mode rounds half to even, as torch.round
    case kRound: mapScalar(a, o, lo, hi, [](T x) { return std::nearbyint(x); }); break;
    case kTrunc: mapScalar(a, o, lo, hi, [](T x) { return std::trunc(x); }); break;
    case kAsin: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::asin, x); }); break;
    case kAcos: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::acos, x); }); break;
    case kAtan: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::atan, x); }); break;
    case kSinh: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::sinh, x); }); break;
    case kCosh: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::cosh, x); }); break;
    case kAsinh: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::asinh, x); }); break;
    case kAcosh: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::acosh, x); }); break;
    case kAtanh: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::atanh, x); }); break;
    case kLog2: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::log2, x); }); break;
    case kLog10: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::log10, x); }); break;
    case kExp2: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::exp2, x); }); break;
    case kErfc: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::erfc, x); }); break;
    case kErfinv: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(calcErfinv, x); }); break;
    case kSinc: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(sinc, x); }); break;
    case kLgamma: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(std::lgamma, x); }); break;
    case kDigamma: mapScalar(a, o, lo, hi, [](T x) { return viaDouble<T>(calcDigamma, x); }); break;
    default: break;
  }
}

template <typename T>
void unaryRange(int op, const T* a, T* o, Index lo, Index hi) {
#if TG_X86
  if constexpr (std::is_same_v<T, float>) {
    if (avx2() && unaryAvx2(op, a, o, lo, hi)) return;
  }
#endif
#if TG_WASM
  if constexpr (std::is_same_v<T, float>) {
    if (unaryWasm(op, a, o, lo, hi)) return;
  }
#endif
  unaryScalar<T>(op, a, o, lo, hi);
}


// ---------------------------------------------------------------------------------------------
// Binary ops: `withBinaryOp<T>(op, run)` calls run(f) with f the op's element function
// (T, T) -> T, or (T, T) -> uint8_t for predicates; returns false for an unknown op.

template <typename T, typename Run>
bool withBinaryOp(int op, Run&& run) {
  switch (op) {
    case kAdd: run([](T x, T y) { return T(x + y); }); return true;
    case kSub: run([](T x, T y) { return T(x - y); }); return true;
    case kMul: run([](T x, T y) { return T(x * y); }); return true;
    case kDiv: run([](T x, T y) { return T(x / y); }); return true;
    case kPow: run([](T x, T y) { return T(std::pow(double(x), double(y))); }); return true;
    case kMaximum:
      // NaN propagates, as torch.maximum; ties (0 and -0) give y, as the TypeScript kernel
      run([](T x, T y) { return x != x || y != y ? T(NAN) : x > y ? x : y; });
      return true;
    case kMinimum:
      run([](T x, T y) { return x != x || y != y ? T(NAN) : x < y ? x : y; });
      return true;
    case kEq: run([](T x, T y) { return uint8_t(x == y); }); return true;
    case kNe: run([](T x, T y) { return uint8_t(x != y); }); return true;
    case kLt: run([](T x, T y) { return uint8_t(x < y); }); return true;
    case kLe: run([](T x, T y) { return uint8_t(x <= y); }); return true;
    case kGt: run([](T x, T y) { return uint8_t(x > y); }); return true;
    case kGe: run([](T x, T y) { return uint8_t(x >= y); }); return true;
    case kAtan2: run([](T x, T y) { return T(std::atan2(double(x), double(y))); }); return true;
    case kFloorDiv:
      run([](T x, T y) { return T(std::floor(double(x) / double(y))); });
      return true;
    case kRemainder: run([](T x, T y) { return T(pyRemainder(x, y)); }); return true;
    case kLogicalAnd: run([](T x, T y) { return uint8_t(x != 0 && y != 0); }); return true;
    case kLogicalOr: run([](T x, T y) { return uint8_t(x != 0 || y != 0); }); return true;
    case kHypot: run([](T x, T y) { return T(std::hypot(double(x), double(y))); }); return true;
    case kLogAddExp: run([](T x, T y) { return T(logAddExp(x, y)); }); return true;
    case kLogAddExp2: run([](T x, T y) { return T(logAddExp2(x, y)); }); return true;
    case kCopysign: run([](T x, T y) { return std::copysign(x, y); }); return true;
    case kXlogy:
      // x * log(y), 0 where x == 0 (unless y is NaN), as PyTorch's xlogy kernel
      run([](T x, T y) {
        return y != y ? T(NAN) : x == 0 ? T(0) : T(double(x) * std::log(double(y)));
      });
      return true;
    default: return false;
  }
}

// out[i] = f(a[i*as], b[i*bs]) for i in [0, n), with the common step patterns (both 1, one a
// broadcast scalar) as their own loops so the compiler vectorises them.
template <typename T, typename U, typename F>
inline void binaryRow(F f, const T* a, Index as, const T* b, Index bs, U* o, Index n) {
  if (as == 1 && bs == 1) {
    for (Index i = 0; i < n; i++) o[i] = U(f(a[i], b[i]));
  } else if (as == 1 && bs == 0) {
    const T y = b[0];
    for (Index i = 0; i < n; i++) o[i] = U(f(a[i], y));
  } else if (as == 0 && bs == 1) {
    const T x = a[0];
    for (Index i = 0; i < n; i++) o[i] = U(f(x, b[i]));
  } else {
    for (Index i = 0; i < n; i++) o[i] = U(f(a[i * as], b[i * bs]));
  }
}

// [off, off + (n-1)*step] inside [0, len) (n elements read at a fixed step).
bool stepInBounds(Index len, Index off, Index step, Index n) {
  if (n <= 0) return true;
  const Index last = off + (n - 1) * step;
  return off >= 0 && off < len && last >= 0 && last < len;
}

template <typename T, typename U>
void binaryContiguous(int op, const T* a, Index as, const T* b, Index bs, U* o, Index n) {
  if constexpr (std::is_same_v<T, U>) {
    // x ** 2 (a tensor squared by a number) is x * x: pow's result is exact then too, and a
    // multiply is ~50x cheaper than libm's pow
    if (op == kPow && as == 1 && bs == 0 && b[0] == 2) {
      parallelFor(n, kCheapPerThread, [&](Index lo, Index hi) {
        for (Index i = lo; i < hi; i++) o[i] = a[i] * a[i];
      });
      return;
    }
  }
  const Index per = binaryIsMath(op) ? kMathPerThread : kCheapPerThread;
  withBinaryOp<T>(op, [&](auto f) {
    using R = decltype(f(T(0), T(0)));
    if constexpr (std::is_same_v<R, uint8_t> == std::is_same_v<U, uint8_t>) {
      parallelFor(n, per, [&](Index lo, Index hi) {
        binaryRow<T, U>(f, a + lo * as, as, b + lo * bs, bs, o + lo, hi - lo);
      });
    }
  });
}

template <typename T, typename U>
void binaryStrided(int op, const T* a, Index aOff, const T* b, Index bOff, U* o,
                   const Walk<2>& w) {
  const Index per = binaryIsMath(op) ? kMathPerThread : kCheapPerThread;
  withBinaryOp<T>(op, [&](auto f) {
    using R = decltype(f(T(0), T(0)));
    if constexpr (std::is_same_v<R, uint8_t> == std::is_same_v<U, uint8_t>) {
      const Index as = w.strides.back()[0], bs = w.strides.back()[1], inner = w.inner;
      parallelRows<2>(w, {aOff, bOff}, per, [&](const std::array<Index, 2>& off, Index r) {
        binaryRow<T, U>(f, a + off[0], as, b + off[1], bs, o + r * inner, inner);
      });
    }
  });
}

// out[i] = g[gOff + i*gStep] * c * x[xOff + i]^(c-1): exactly 2*g*x for c == 2 (float), else
// in double as the TypeScript kernel (g * (x^(c-1) * c)).
template <typename T>
void powBackwardRange(const T* g, Index gs, const T* x, double c, T* o, Index lo, Index hi) {
  if (c == 2) {
    if (gs == 0) {
      const T g2 = g[0] * T(2);
      for (Index i = lo; i < hi; i++) o[i] = g2 * x[i];
    } else {
      for (Index i = lo; i < hi; i++) o[i] = g[i] * T(2) * x[i];
    }
  } else {
    const double c1 = c - 1;
    for (Index i = lo; i < hi; i++)
      o[i] = T(double(g[i * gs]) * (std::pow(double(x[i]), c1) * c));
  }
}

// The activation backward from the saved result y, with the roundings of the composed tensor
// ops it replaces (derivatives.ts); kind is an ActivationKind (abi.gen.h): tanh: g * (1 - y*y); sigmoid: g * (y * (1 - y)); relu:
// y <= 0 ? 0 : g (a masked fill of g where y <= 0; NaN y keeps g).
template <typename T>
void activationBackwardRange(int kind, const T* g, Index gs, const T* y, T* o, Index lo,
                             Index hi) {
  if (kind == kTanhBackward) {
    if (gs == 1) {
      for (Index i = lo; i < hi; i++) {
        const T yy = y[i] * y[i];
        o[i] = g[i] * (T(1) - yy);
      }
    } else {
      const T gv = g[0];
      for (Index i = lo; i < hi; i++) {
        const T yy = y[i] * y[i];
        o[i] = gv * (T(1) - yy);
      }
    }
  } else if (kind == kReluBackward) {
    // g is loaded unconditionally so the select vectorises: with a branch on y's sign the loop
    // ran 4x slower on real activations (random signs mispredict)
    if (gs == 1) {
      for (Index i = lo; i < hi; i++) {
        const T gv = g[i];
        o[i] = y[i] <= 0 ? T(0) : gv;
      }
    } else {
      const T gv = g[0];
      for (Index i = lo; i < hi; i++) o[i] = y[i] <= 0 ? T(0) : gv;
    }
  } else {
    if (gs == 1) {
      for (Index i = lo; i < hi; i++) {
        const T d = y[i] * (T(1) - y[i]);
        o[i] = g[i] * d;
      }
    } else {
      const T gv = g[0];
      for (Index i = lo; i < hi; i++) {
        const T d = y[i] * (T(1) - y[i]);
        o[i] = gv * d;
      }
    }
  }
}

// The output array of a binary op: the operands' float dtype, or a Uint8Array for predicates.
bool binaryOutFits(const Napi::CallbackInfo& info, const char* fn, Index op,
                   napi_typedarray_type type, const Arr& o) {
  if (binaryIsPredicate(op) ? o.type != napi_uint8_array : o.type != type)
    return typeError(info.Env(), fn,
                     binaryIsPredicate(op) ? "out must be a Uint8Array for a comparison"
                                           : "a, b and out must have one float dtype");
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Bindings (arguments parsed by abi.gen.cc)

// out[i] = op(a[aOff + i]), i < n.
Napi::Value run(const Napi::CallbackInfo& info, const args::ewUnary& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &a = arg.a, &o = arg.out;
  const Index op = arg.op, aOff = arg.aOff, n = arg.n;
  if (op < 0 || op >= kUnaryCount || unaryIsPredicate(op))
    return rangeError(env, fn, "unsupported op"), env.Undefined();
  if (n < 0 || aOff < 0 || aOff + n > a.len || n > o.len)
    return rangeError(env, fn, "range out of the arrays' bounds"), env.Undefined();
  const Index per = unaryIsMath(int(op)) ? kMathPerThread : kCheapPerThread;
  if (a.type == napi_float32_array) {
    const float* pa = static_cast<const float*>(a.data) + aOff;
    float* po = static_cast<float*>(o.data);
    parallelFor(n, per, [&](Index lo, Index hi) { unaryRange<float>(int(op), pa, po, lo, hi); });
  } else {
    const double* pa = static_cast<const double*>(a.data) + aOff;
    double* po = static_cast<double*>(o.data);
    parallelFor(n, per, [&](Index lo, Index hi) { unaryRange<double>(int(op), pa, po, lo, hi); });
  }
  return env.Undefined();
}

// out[outOff + i] = op(a[aOff + i*aStep], b[bOff + i*bStep]).
Napi::Value run(const Napi::CallbackInfo& info, const args::ewBinary& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &a = arg.a, &b = arg.b, &o = arg.out;
  const Index op = arg.op, aOff = arg.aOff, aStep = arg.aStep, bOff = arg.bOff, bStep = arg.bStep;
  const Index oOff = arg.outOff, n = arg.n;
  if (op < 0 || op >= kBinaryCount) return rangeError(env, fn, "unsupported op"), env.Undefined();
  if (!binaryOutFits(info, fn, op, a.type, o)) return env.Undefined();
  if (n < 0 || !stepInBounds(a.len, aOff, aStep, n) || !stepInBounds(b.len, bOff, bStep, n) ||
      !stepInBounds(o.len, oOff, 1, n))
    return rangeError(env, fn, "range out of the arrays' bounds"), env.Undefined();
  const int iop = int(op);
  if (a.type == napi_float32_array) {
    const float* pa = static_cast<const float*>(a.data) + aOff;
    const float* pb = static_cast<const float*>(b.data) + bOff;
    if (binaryIsPredicate(iop))
      binaryContiguous<float, uint8_t>(iop, pa, aStep, pb, bStep,
                                       static_cast<uint8_t*>(o.data) + oOff, n);
    else
      binaryContiguous<float, float>(iop, pa, aStep, pb, bStep, static_cast<float*>(o.data) + oOff,
                                     n);
  } else {
    const double* pa = static_cast<const double*>(a.data) + aOff;
    const double* pb = static_cast<const double*>(b.data) + bOff;
    if (binaryIsPredicate(iop))
      binaryContiguous<double, uint8_t>(iop, pa, aStep, pb, bStep,
                                        static_cast<uint8_t*>(o.data) + oOff, n);
    else
      binaryContiguous<double, double>(iop, pa, aStep, pb, bStep,
                                       static_cast<double*>(o.data) + oOff, n);
  }
  return env.Undefined();
}

// The broadcasting binary op: out is contiguous of `shape`, a and b are read through their
// strides (0 on broadcast dims).
Napi::Value run(const Napi::CallbackInfo& info, const args::ewBinaryStrided& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &a = arg.a, &b = arg.b, &o = arg.out;
  const Index op = arg.op, aOff = arg.aOff, bOff = arg.bOff;
  const std::vector<Index> &as = arg.aStrides, &bs = arg.bStrides, &shape = arg.shape;
  Index n;
  if (op < 0 || op >= kBinaryCount) return rangeError(env, fn, "unsupported op"), env.Undefined();
  if (!binaryOutFits(info, fn, op, a.type, o)) return env.Undefined();
  if (as.size() != shape.size() || bs.size() != shape.size() || !shapeOk(shape, &n))
    return rangeError(env, fn, "shape and strides must have one length"), env.Undefined();
  if (n > o.len || !stridedInBounds(a.len, aOff, shape, as) ||
      !stridedInBounds(b.len, bOff, shape, bs))
    return rangeError(env, fn, "layout out of the arrays' bounds"), env.Undefined();
  if (n == 0) return env.Undefined();
  const Walk<2> w = coalesce<2>(shape, {&as, &bs});
  const int iop = int(op);
  if (a.type == napi_float32_array) {
    const float* pa = static_cast<const float*>(a.data);
    const float* pb = static_cast<const float*>(b.data);
    if (binaryIsPredicate(iop))
      binaryStrided<float, uint8_t>(iop, pa, aOff, pb, bOff, static_cast<uint8_t*>(o.data), w);
    else
      binaryStrided<float, float>(iop, pa, aOff, pb, bOff, static_cast<float*>(o.data), w);
  } else {
    const double* pa = static_cast<const double*>(a.data);
    const double* pb = static_cast<const double*>(b.data);
    if (binaryIsPredicate(iop))
      binaryStrided<double, uint8_t>(iop, pa, aOff, pb, bOff, static_cast<uint8_t*>(o.data), w);
    else
      binaryStrided<double, double>(iop, pa, aOff, pb, bOff, static_cast<double*>(o.data), w);
  }
  return env.Undefined();
}

// out[i] = g[gOff + i*gStep] * c * x[xOff + i]^(c-1), gStep 0 or 1.
Napi::Value run(const Napi::CallbackInfo& info, const args::ewPowBackward& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &g = arg.g, &x = arg.x, &o = arg.out;
  const Index gOff = arg.gOff, gStep = arg.gStep, xOff = arg.xOff, n = arg.n;
  const double c = arg.c;
  if (n < 0 || (gStep != 0 && gStep != 1) || !stepInBounds(g.len, gOff, gStep, n) ||
      !stepInBounds(x.len, xOff, 1, n) || n > o.len)
    return rangeError(env, fn, "range out of the arrays' bounds"), env.Undefined();
  const Index per = c == 2 ? kCheapPerThread : kMathPerThread;
  if (x.type == napi_float32_array) {
    const float* pg = static_cast<const float*>(g.data) + gOff;
    const float* px = static_cast<const float*>(x.data) + xOff;
    float* po = static_cast<float*>(o.data);
    parallelFor(n, per,
                [&](Index lo, Index hi) { powBackwardRange(pg, gStep, px, c, po, lo, hi); });
  } else {
    const double* pg = static_cast<const double*>(g.data) + gOff;
    const double* px = static_cast<const double*>(x.data) + xOff;
    double* po = static_cast<double*>(o.data);
    parallelFor(n, per,
                [&](Index lo, Index hi) { powBackwardRange(pg, gStep, px, c, po, lo, hi); });
  }
  return env.Undefined();
}

// The activation backward of `kind` (ActivationKind), g read at gStep 0 or 1.
Napi::Value run(const Napi::CallbackInfo& info, const args::ewActivationBackward& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &g = arg.g, &y = arg.y, &o = arg.out;
  const Index kind = arg.kind, gOff = arg.gOff, gStep = arg.gStep, yOff = arg.yOff, n = arg.n;
  if (kind < 0 || kind >= kActivationCount)
    return rangeError(env, fn, "unsupported kind"), env.Undefined();
  if (n < 0 || (gStep != 0 && gStep != 1) || !stepInBounds(g.len, gOff, gStep, n) ||
      !stepInBounds(y.len, yOff, 1, n) || n > o.len)
    return rangeError(env, fn, "range out of the arrays' bounds"), env.Undefined();
  if (y.type == napi_float32_array) {
    const float* pg = static_cast<const float*>(g.data) + gOff;
    const float* py = static_cast<const float*>(y.data) + yOff;
    float* po = static_cast<float*>(o.data);
    parallelFor(n, kCheapPerThread, [&](Index lo, Index hi) {
      activationBackwardRange(int(kind), pg, gStep, py, po, lo, hi);
    });
  } else {
    const double* pg = static_cast<const double*>(g.data) + gOff;
    const double* py = static_cast<const double*>(y.data) + yOff;
    double* po = static_cast<double*>(o.data);
    parallelFor(n, kCheapPerThread, [&](Index lo, Index hi) {
      activationBackwardRange(int(kind), pg, gStep, py, po, lo, hi);
    });
  }
  return env.Undefined();
}

// min(max(x, lo), hi) as the TypeScript kernel (hi wins when lo > hi; NaN propagates).
Napi::Value run(const Napi::CallbackInfo& info, const args::ewClamp& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &a = arg.a, &o = arg.out;
  const Index aOff = arg.aOff, n = arg.n;
  const double lo = arg.lo, hi = arg.hi;
  if (n < 0 || aOff < 0 || aOff + n > a.len || n > o.len)
    return rangeError(env, fn, "range out of the arrays' bounds"), env.Undefined();
  auto apply = [&](auto* pa, auto* po) {
    using T = std::remove_pointer_t<decltype(po)>;
    const T l = T(lo), h = T(hi);
    parallelFor(n, kCheapPerThread, [&](Index s, Index e) {
      for (Index i = s; i < e; i++) {
        const T x = pa[i];
        const T y = x < l ? l : x;
        po[i] = y > h ? h : y;
      }
    });
  };
  if (a.type == napi_float32_array)
    apply(static_cast<const float*>(a.data) + aOff, static_cast<float*>(o.data));
  else
    apply(static_cast<const double*>(a.data) + aOff, static_cast<double*>(o.data));
  return env.Undefined();
}

// out (contiguous) = cond ? a : b, each operand read through its strides (0 = broadcast).
Napi::Value run(const Napi::CallbackInfo& info, const args::ewWhere& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &c = arg.cond, &a = arg.a, &b = arg.b, &o = arg.out;
  const Index cOff = arg.cOff, aOff = arg.aOff, bOff = arg.bOff;
  const std::vector<Index> &cs = arg.cStrides, &as = arg.aStrides, &bs = arg.bStrides;
  const std::vector<Index>& shape = arg.shape;
  Index n;
  if (cs.size() != shape.size() || as.size() != shape.size() || bs.size() != shape.size() ||
      !shapeOk(shape, &n))
    return rangeError(env, fn, "shape and strides must have one length"), env.Undefined();
  if (n > o.len || !stridedInBounds(c.len, cOff, shape, cs) ||
      !stridedInBounds(a.len, aOff, shape, as) || !stridedInBounds(b.len, bOff, shape, bs))
    return rangeError(env, fn, "layout out of the arrays' bounds"), env.Undefined();
  if (n == 0) return env.Undefined();
  const Walk<3> w = coalesce<3>(shape, {&cs, &as, &bs});
  const uint8_t* pc = static_cast<const uint8_t*>(c.data);
  auto apply = [&](auto* pa, auto* pb, auto* po) {
    using T = std::remove_pointer_t<decltype(po)>;
    const Index cst = w.strides.back()[0], ast = w.strides.back()[1], bst = w.strides.back()[2];
    const Index inner = w.inner;
    parallelRows<3>(w, {cOff, aOff, bOff}, kCheapPerThread,
                    [&](const std::array<Index, 3>& off, Index r) {
                      const uint8_t* cr = pc + off[0];
                      const T* ar = pa + off[1];
                      const T* br = pb + off[2];
                      T* orow = po + r * inner;
                      if (cst == 1 && ast == 1 && bst == 1) {
                        for (Index i = 0; i < inner; i++) orow[i] = cr[i] != 0 ? ar[i] : br[i];
                      } else {
                        for (Index i = 0; i < inner; i++)
                          orow[i] = cr[i * cst] != 0 ? ar[i * ast] : br[i * bst];
                      }
                    });
  };
  if (a.type == napi_float32_array)
    apply(static_cast<const float*>(a.data), static_cast<const float*>(b.data),
        static_cast<float*>(o.data));
  else
    apply(static_cast<const double*>(a.data), static_cast<const double*>(b.data),
        static_cast<double*>(o.data));
  return env.Undefined();
}

// out (contiguous) = mask ? value : a, a and mask read through their strides.
Napi::Value run(const Napi::CallbackInfo& info, const args::ewMaskedFill& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &a = arg.a, &m = arg.mask, &o = arg.out;
  const Index aOff = arg.aOff, mOff = arg.mOff;
  const std::vector<Index> &as = arg.aStrides, &ms = arg.mStrides, &shape = arg.shape;
  const double value = arg.value;
  Index n;
  if (as.size() != shape.size() || ms.size() != shape.size() || !shapeOk(shape, &n))
    return rangeError(env, fn, "shape and strides must have one length"), env.Undefined();
  if (n > o.len || !stridedInBounds(a.len, aOff, shape, as) ||
      !stridedInBounds(m.len, mOff, shape, ms))
    return rangeError(env, fn, "layout out of the arrays' bounds"), env.Undefined();
  if (n == 0) return env.Undefined();
  const Walk<2> w = coalesce<2>(shape, {&as, &ms});
  const uint8_t* pm = static_cast<const uint8_t*>(m.data);
  auto apply = [&](auto* pa, auto* po) {
    using T = std::remove_pointer_t<decltype(po)>;
    const T v = T(value);
    const Index ast = w.strides.back()[0], mst = w.strides.back()[1], inner = w.inner;
    parallelRows<2>(w, {aOff, mOff}, kCheapPerThread,
                    [&](const std::array<Index, 2>& off, Index r) {
                      const T* ar = pa + off[0];
                      const uint8_t* mr = pm + off[1];
                      T* orow = po + r * inner;
                      if (ast == 1 && mst == 1) {
                        for (Index i = 0; i < inner; i++) orow[i] = mr[i] != 0 ? v : ar[i];
                      } else {
                        for (Index i = 0; i < inner; i++)
                          orow[i] = mr[i * mst] != 0 ? v : ar[i * ast];
                      }
                    });
  };
  if (a.type == napi_float32_array)
    apply(static_cast<const float*>(a.data), static_cast<float*>(o.data));
  else
    apply(static_cast<const double*>(a.data), static_cast<double*>(o.data));
  return env.Undefined();
}

}  // namespace tg
