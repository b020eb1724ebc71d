// tensorgrad native backend: float32 AVX2 exp, tanh and sigmoid (Cephes-style polynomials),
// shared by the elementwise kernels (elementwise.cc) and the recurrent cells (rnn.cc). Max
// error against the correctly rounded float32 result: exp 1 ulp, tanh 1, sigmoid 2
// (test/native-elementwise.test.ts checks these bounds); infinities, NaN and signed zeros exact.
#pragma once

#include <cmath>

#include "common.h"

#if TG_X86
#define TG_AVX2 __attribute__((target("avx2,fma")))

namespace tg {

// e^x: x = n ln2 + r (|r| <= ln2/2, ln2 in two parts so n*C1 is exact), e^r by a degree-7
// polynomial, times 2^n built as 2^n1 * 2^n2 (n1 = n >> 1) so both factors are normal floats
// and a subnormal result is rounded once. x is clamped to [-104, 88.8]: below, the result
// rounds to 0; above, the product overflows to infinity, as it should. NaN is put back last.
TG_AVX2 inline __m256 expPs(__m256 x) {
  const __m256 xc =
      _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-104.0f)), _mm256_set1_ps(88.8f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  __m256 y = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
  y = _mm256_add_ps(y, _mm256_set1_ps(1.0f));
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 p1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 p2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  y = _mm256_mul_ps(_mm256_mul_ps(y, p1), p2);
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// tanh |x|: |x| + |x|^3 P(x^2) below 0.625 (Cephes tanhf), else 1 - 2 / (e^(2|x|) + 1)
// (e^(2|x|) overflowing to infinity gives exactly 1); x's sign is put back, so tanh(-0) = -0.
TG_AVX2 inline __m256 tanhPs(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_andnot_ps(sign, x);
  const __m256 s = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, s, _mm256_set1_ps(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, s), ax, ax);
  const __m256 e = expPs(_mm256_add_ps(ax, ax));
  const __m256 large = _mm256_sub_ps(
      _mm256_set1_ps(1.0f),
      _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
  const __m256 r =
      _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
  return _mm256_or_ps(r, _mm256_and_ps(x, sign));
}

// 1 / (1 + e^-x) as n / (1 + e) with e = e^-|x| and n = 1 for x >= 0, e for x < 0, so neither
// side overflows and tiny results (down to subnormals) keep their relative accuracy.
TG_AVX2 inline __m256 sigmoidPs(__m256 x) {
  const __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  const __m256 e = expPs(_mm256_sub_ps(_mm256_setzero_ps(), ax));
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 num =
      _mm256_blendv_ps(one, e, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
  return _mm256_div_ps(num, _mm256_add_ps(one, e));
}

}  // namespace tg
#endif

#if TG_WASM
// The same functions for the WebAssembly build, four lanes of SIMD128 (Note [wasm vector
// math]): the AVX2 bodies above with each fused multiply-add as a multiply and an add (SIMD128
// has no FMA; Cephes' float polynomials were fitted for that arithmetic). Bounds measured as
// above by test/native-elementwise.test.ts on the WebAssembly backend: exp 1 ulp, tanh 1,
// sigmoid 2.
namespace tg {

inline v128_t splat(float v) { return wasm_f32x4_splat(v); }
// p * q + r, rounded twice
inline v128_t mulAdd(v128_t p, v128_t q, v128_t r) { return wasm_f32x4_add(wasm_f32x4_mul(p, q), r); }
// where mask: a, else b
inline v128_t select(v128_t mask, v128_t a, v128_t b) { return wasm_v128_bitselect(a, b, mask); }

inline v128_t expV(v128_t x) {
  // (pmin/pmax: one instruction each where min/max's NaN rules take several; NaN is put back)
  const v128_t xc = wasm_f32x4_pmin(wasm_f32x4_pmax(x, splat(-104.0f)), splat(88.8f));
  // n = round(x log2 e) by adding 1.5 * 2^23, which leaves n in the low mantissa bits (|n| <=
  // 151): cheaper than nearest and trunc_sat
  const v128_t magic = splat(12582912.0f);
  const v128_t t = wasm_f32x4_add(wasm_f32x4_mul(xc, splat(1.44269504088896341f)), magic);
  const v128_t n = wasm_f32x4_sub(t, magic);
  // n * 0.693359375 is exact (9 significant bits times |n| <= 150), so is the difference
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, splat(-2.12194440e-4f)));
  v128_t p = splat(1.9875691500e-4f);
  p = mulAdd(p, r, splat(1.3981999507e-3f));
  p = mulAdd(p, r, splat(8.3334519073e-3f));
  p = mulAdd(p, r, splat(4.1665795894e-2f));
  p = mulAdd(p, r, splat(1.6666665459e-1f));
  p = mulAdd(p, r, splat(5.0000001201e-1f));
  v128_t y = mulAdd(p, wasm_f32x4_mul(r, r), r);
  y = wasm_f32x4_add(y, splat(1.0f));
  const v128_t ni = wasm_i32x4_sub(t, magic);
  const v128_t n1 = wasm_i32x4_shr(ni, 1);
  const v128_t n2 = wasm_i32x4_sub(ni, n1);
  const v128_t bias = wasm_i32x4_splat(127);
  const v128_t p1 = wasm_i32x4_shl(wasm_i32x4_add(n1, bias), 23);
  const v128_t p2 = wasm_i32x4_shl(wasm_i32x4_add(n2, bias), 23);
  y = wasm_f32x4_mul(wasm_f32x4_mul(y, p1), p2);
  return select(wasm_f32x4_ne(x, x), x, y);
}

inline v128_t tanhV(v128_t x) {
  const v128_t sign = splat(-0.0f);
  const v128_t ax = wasm_v128_andnot(x, sign);
  const v128_t s = wasm_f32x4_mul(x, x);
  v128_t p = splat(-5.70498872745e-3f);
  p = mulAdd(p, s, splat(2.06390887954e-2f));
  p = mulAdd(p, s, splat(-5.37397155531e-2f));
  p = mulAdd(p, s, splat(1.33314422036e-1f));
  p = mulAdd(p, s, splat(-3.33332819422e-1f));
  const v128_t small = mulAdd(wasm_f32x4_mul(p, s), ax, ax);
  const v128_t e = expV(wasm_f32x4_add(ax, ax));
  const v128_t large =
      wasm_f32x4_sub(splat(1.0f), wasm_f32x4_div(splat(2.0f), wasm_f32x4_add(e, splat(1.0f))));
  const v128_t r = select(wasm_f32x4_lt(ax, splat(0.625f)), small, large);
  return wasm_v128_or(r, wasm_v128_and(x, sign));
}

inline v128_t sigmoidV(v128_t x) {
  const v128_t ax = wasm_v128_andnot(x, splat(-0.0f));
  const v128_t e = expV(wasm_f32x4_neg(ax));
  const v128_t one = splat(1.0f);
  const v128_t num = select(wasm_f32x4_lt(x, wasm_f32x4_splat(0.0f)), e, one);
  return wasm_f32x4_div(num, wasm_f32x4_add(one, e));
}

}  // namespace tg
#endif
