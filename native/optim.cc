// tensorgrad native backend: the optimizers' update steps (SGD, Adam/AdamW, RMSprop, Adagrad;
// NAdam, RAdam, Adamax, Adadelta, ASGD, Rprop without an AVX2 path), the twins of src/backend/optim.ts (tested against them in test/native-nn.test.ts).
//
// The steps must round exactly as PyTorch 1.13's CPU ops (and the TypeScript twins) do: every
// multiply, add, divide and sqrt is rounded separately, and only the ops PyTorch fuses are fused
// (std::fma / _mm256_fmadd_ps). The compiler must therefore never contract a * b + c on its
// own: fp-contract is switched off for this file.
#include <cmath>
#include <cstring>
#include <type_traits>

#include "abi.gen.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace tg {
namespace {

// ---------------------------------------------------------------------------------------------
// Optimizer steps (twins: src/backend/optim.ts). The scalar constants arrive already rounded to
// the parameter's dtype (the TypeScript side computes them as PyTorch does); every operation
// below rounds to T, fma(a, b, c) is one rounding of a*b + c, exactly as in the twins.
//
// The AVX2 float32 paths run the same operations lane by lane (_mm256_fmadd_ps is a correctly
// rounded fma, the IEEE add/mul/div/sqrt are correctly rounded), so all paths are bit-identical.
// Ragged ends go through the vector code too, via a zero-padded copy of the last lanes.

struct SgdC {
  double wd, mom, damp, negLr;
};

template <typename T>
void sgdScalar(T* p, const T* g, T* buf, Index lo, Index hi, const SgdC& k, int f) {
  const T wd = T(k.wd), mom = T(k.mom), damp = T(k.damp), negLr = T(k.negLr);
  for (Index i = lo; i < hi; i++) {
    T d = g[i];
    if (f & kMaximize) d = -d;
    const T pv = p[i];
    if (f & kWeightDecay) d = std::fma(pv, wd, d);
    if (f & kMomentum) {
      T b;
      if (f & kInit) b = d;
      else {
        const T bm = buf[i] * mom;
        b = std::fma(d, damp, bm);
      }
      buf[i] = b;
      d = (f & kNesterov) ? std::fma(b, mom, d) : b;
    }
    p[i] = std::fma(d, negLr, pv);
  }
}

#if TG_WASM
// Note [wasm fma]: WebAssembly has no fused multiply-add (relaxed SIMD's is not guaranteed
// fused), so std::fma is wasi-libc's (musl's) fmaf: the product in double (exact: 24 + 24 bits),
// the sum rounded once to double, then to float, with its own path only where that double
// rounding can differ from one rounding (the double's low 29 bits exactly a float halfway
// point). Called per element it cost as much as the rest of an SGD step. fma4 is that fast path
// on four lanes (two f64x2 halves), and calls std::fma for the lanes of a group where the
// halfway test fires, so it returns musl's results bit for bit.
inline v128_t fma4(v128_t a, v128_t b, v128_t c) {
  const auto half = [](v128_t x, v128_t y, v128_t z) {
    return wasm_f64x2_add(
        wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(x), wasm_f64x2_promote_low_f32x4(y)),
        wasm_f64x2_promote_low_f32x4(z));
  };
  const v128_t lo = half(a, b, c);
  const v128_t hi = half(wasm_i32x4_shuffle(a, a, 2, 3, 0, 1), wasm_i32x4_shuffle(b, b, 2, 3, 0, 1),
                         wasm_i32x4_shuffle(c, c, 2, 3, 0, 1));
  const v128_t low29 = wasm_i64x2_splat(0x1fffffff), tie = wasm_i64x2_splat(0x10000000);
  if (wasm_v128_any_true(wasm_v128_or(wasm_i64x2_eq(wasm_v128_and(lo, low29), tie),
                                      wasm_i64x2_eq(wasm_v128_and(hi, low29), tie)))) {
    alignas(16) float fa[4], fb[4], fc[4];
    wasm_v128_store(fa, a), wasm_v128_store(fb, b), wasm_v128_store(fc, c);
    for (int l = 0; l < 4; l++) fa[l] = std::fma(fa[l], fb[l], fc[l]);
    return wasm_v128_load(fa);
  }
  return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0,
                            1, 4, 5);
}

// sgdScalar on four lanes at a time (fma4: the same results), the ragged end by sgdScalar
void sgdWasm(float* p, const float* g, float* buf, Index lo, Index hi, const SgdC& k, int f) {
  const v128_t wd = wasm_f32x4_splat(float(k.wd)), mom = wasm_f32x4_splat(float(k.mom));
  const v128_t damp = wasm_f32x4_splat(float(k.damp)), negLr = wasm_f32x4_splat(float(k.negLr));
  Index i = lo;
  for (; i + 4 <= hi; i += 4) {
    v128_t d = wasm_v128_load(g + i);
    if (f & kMaximize) d = wasm_f32x4_neg(d);
    const v128_t pv = wasm_v128_load(p + i);
    if (f & kWeightDecay) d = fma4(pv, wd, d);
    if (f & kMomentum) {
      v128_t b;
      if (f & kInit) b = d;
      else b = fma4(d, damp, wasm_f32x4_mul(wasm_v128_load(buf + i), mom));
      wasm_v128_store(buf + i, b);
      d = (f & kNesterov) ? fma4(b, mom, d) : b;
    }
    wasm_v128_store(p + i, fma4(d, negLr, pv));
  }
  sgdScalar(p, g, buf, i, hi, k, f);
}
#endif

struct AdamC {
  double b1, b2, omb1, omb2, eps, wd, decay, negStepSize, bc2Sqrt;
};

template <typename T>
void adamScalar(T* p, const T* g, T* m, T* v, T* vmax, Index lo, Index hi, const AdamC& k,
                int f) {
  const T b1 = T(k.b1), b2 = T(k.b2), omb1 = T(k.omb1), omb2 = T(k.omb2), eps = T(k.eps);
  const T wd = T(k.wd), decay = T(k.decay), nss = T(k.negStepSize), bc2s = T(k.bc2Sqrt);
  for (Index i = lo; i < hi; i++) {
    T pv = p[i];
    T gr = g[i];
    if (f & kMaximize) gr = -gr;
    if (f & kDecoupled) pv = pv * decay;
    else if (f & kWeightDecay) gr = std::fma(pv, wd, gr);
    const T mb = m[i] * b1;
    const T mi = std::fma(gr, omb1, mb);
    const T vb = v[i] * b2;
    const T og = omb2 * gr;
    const T vi = std::fma(og, gr, vb);
    m[i] = mi;
    v[i] = vi;
    T vx = vi;
    if (f & kAmsgrad) {
      const T prev = vmax[i];
      vx = (prev != prev || vi != vi) ? prev + vi : (prev > vi ? prev : vi);
      vmax[i] = vx;
    }
    const T sq = std::sqrt(vx);
    const T q = sq / bc2s;
    const T denom = q + eps;
    const T num = nss * mi;
    const T step = num / denom;
    p[i] = pv + step;
  }
}

#if TG_WASM
// adamScalar on four lanes at a time (fma4, Note [wasm fma]; the IEEE mul, add, div and sqrt of
// SIMD128 are correctly rounded): the same results; the ragged end by adamScalar
void adamWasm(float* p, const float* g, float* m, float* v, float* vmax, Index lo, Index hi,
              const AdamC& k, int f) {
  const v128_t b1 = wasm_f32x4_splat(float(k.b1)), b2 = wasm_f32x4_splat(float(k.b2));
  const v128_t omb1 = wasm_f32x4_splat(float(k.omb1)), omb2 = wasm_f32x4_splat(float(k.omb2));
  const v128_t eps = wasm_f32x4_splat(float(k.eps)), wd = wasm_f32x4_splat(float(k.wd));
  const v128_t decay = wasm_f32x4_splat(float(k.decay));
  const v128_t nss = wasm_f32x4_splat(float(k.negStepSize));
  const v128_t bc2s = wasm_f32x4_splat(float(k.bc2Sqrt));
  Index i = lo;
  for (; i + 4 <= hi; i += 4) {
    v128_t pv = wasm_v128_load(p + i);
    v128_t gr = wasm_v128_load(g + i);
    if (f & kMaximize) gr = wasm_f32x4_neg(gr);
    if (f & kDecoupled) pv = wasm_f32x4_mul(pv, decay);
    else if (f & kWeightDecay) gr = fma4(pv, wd, gr);
    const v128_t mi = fma4(gr, omb1, wasm_f32x4_mul(wasm_v128_load(m + i), b1));
    const v128_t vi = fma4(wasm_f32x4_mul(omb2, gr), gr, wasm_f32x4_mul(wasm_v128_load(v + i), b2));
    wasm_v128_store(m + i, mi);
    wasm_v128_store(v + i, vi);
    v128_t vx = vi;
    if (f & kAmsgrad) {
      const v128_t prev = wasm_v128_load(vmax + i);
      const v128_t nan = wasm_v128_or(wasm_f32x4_ne(prev, prev), wasm_f32x4_ne(vi, vi));
      const v128_t mx = wasm_v128_bitselect(prev, vi, wasm_f32x4_gt(prev, vi));
      vx = wasm_v128_bitselect(wasm_f32x4_add(prev, vi), mx, nan);
      wasm_v128_store(vmax + i, vx);
    }
    const v128_t denom = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vx), bc2s), eps);
    const v128_t step = wasm_f32x4_div(wasm_f32x4_mul(nss, mi), denom);
    wasm_v128_store(p + i, wasm_f32x4_add(pv, step));
  }
  adamScalar(p, g, m, v, vmax, i, hi, k, f);
}
#endif

struct RmsC {
  double alpha, oma, eps, wd, mom, negLr;
};

template <typename T>
void rmspropScalar(T* p, const T* g, T* sq, T* gavg, T* buf, Index lo, Index hi, const RmsC& k,
                   int f) {
  const T alpha = T(k.alpha), oma = T(k.oma), eps = T(k.eps), wd = T(k.wd), mom = T(k.mom),
          negLr = T(k.negLr);
  for (Index i = lo; i < hi; i++) {
    const T pv = p[i];
    T gr = g[i];
    if (f & kMaximize) gr = -gr;
    if (f & kWeightDecay) gr = std::fma(pv, wd, gr);
    const T sa = sq[i] * alpha;
    const T og = oma * gr;
    const T s = std::fma(og, gr, sa);
    sq[i] = s;
    T avg;
    if (f & kCentered) {
      const T gb = gavg[i] * alpha;
      const T ga = std::fma(gr, oma, gb);
      gavg[i] = ga;
      avg = std::sqrt(std::fma(-ga, ga, s));
    } else {
      avg = std::sqrt(s);
    }
    avg = avg + eps;
    if (f & kMomentum) {
      const T bm = buf[i] * mom;
      const T q = gr / avg;
      const T b = bm + q;
      buf[i] = b;
      p[i] = std::fma(b, negLr, pv);
    } else {
      const T num = negLr * gr;
      const T q = num / avg;
      p[i] = pv + q;
    }
  }
}

struct AdagradC {
  double wd, eps, negClr;
};

template <typename T>
void adagradScalar(T* p, const T* g, T* sum, Index lo, Index hi, const AdagradC& k, int f) {
  const T wd = T(k.wd), eps = T(k.eps), negClr = T(k.negClr);
  for (Index i = lo; i < hi; i++) {
    const T pv = p[i];
    T gr = g[i];
    if (f & kMaximize) gr = -gr;
    if (f & kWeightDecay) gr = std::fma(pv, wd, gr);
    const T s = std::fma(gr, gr, sum[i]);
    sum[i] = s;
    const T sd = std::sqrt(s);
    const T st = sd + eps;
    const T num = negClr * gr;
    const T q = num / st;
    p[i] = pv + q;
  }
}

#if TG_X86
// Run body(arrays, i) over [lo, hi) in blocks of 8 lanes (the body reads and writes
// arrays[a] + i .. + 8); the last partial block runs on zero-padded copies of the arrays'
// elements (copied back after), so every element takes the same vector operations. `arrays`
// lists the arrays the body touches (nullptr entries are skipped), `written` which it stores to.
template <typename Body>
__attribute__((target("avx2,fma"))) void lanes8(Index lo, Index hi, float* const* arrays,
                                                const bool* written, int count, Body body) {
  Index i = lo;
  for (; i + 8 <= hi; i += 8) body(arrays, i);
  const Index rest = hi - i;
  if (rest == 0) return;
  alignas(32) float pad[8][8] = {};
  float* local[8];
  for (int a = 0; a < count; a++) {
    local[a] = arrays[a] == nullptr ? nullptr : pad[a];
    if (arrays[a] != nullptr) std::memcpy(pad[a], arrays[a] + i, size_t(rest) * sizeof(float));
  }
  body(local, 0);
  for (int a = 0; a < count; a++)
    if (arrays[a] != nullptr && written[a])
      std::memcpy(arrays[a] + i, pad[a], size_t(rest) * sizeof(float));
}

__attribute__((target("avx2,fma"))) inline __m256 negIf(__m256 x, bool neg) {
  return neg ? _mm256_xor_ps(x, _mm256_set1_ps(-0.0f)) : x;
}

__attribute__((target("avx2,fma"))) void sgdAvx2(float* p, const float* g, float* buf,
                                                  Index lo, Index hi, const SgdC& k, int f) {
  const __m256 wd = _mm256_set1_ps(float(k.wd)), mom = _mm256_set1_ps(float(k.mom)),
               damp = _mm256_set1_ps(float(k.damp)), negLr = _mm256_set1_ps(float(k.negLr));
  float* arrays[3] = {p, const_cast<float*>(g), (f & kMomentum) ? buf : nullptr};
  const bool written[3] = {true, false, true};
  lanes8(lo, hi, arrays, written, 3, [&](float* const* a, Index i) {
    __m256 d = negIf(_mm256_loadu_ps(a[1] + i), f & kMaximize);
    const __m256 pv = _mm256_loadu_ps(a[0] + i);
    if (f & kWeightDecay) d = _mm256_fmadd_ps(pv, wd, d);
    if (f & kMomentum) {
      const __m256 b = (f & kInit)
                           ? d
                           : _mm256_fmadd_ps(d, damp, _mm256_mul_ps(_mm256_loadu_ps(a[2] + i), mom));
      _mm256_storeu_ps(a[2] + i, b);
      d = (f & kNesterov) ? _mm256_fmadd_ps(b, mom, d) : b;
    }
    _mm256_storeu_ps(a[0] + i, _mm256_fmadd_ps(d, negLr, pv));
  });
}

__attribute__((target("avx2,fma"))) void adamAvx2(float* p, const float* g, float* m, float* v,
                                                   float* vmax, Index lo, Index hi,
                                                   const AdamC& k, int f) {
  const __m256 b1 = _mm256_set1_ps(float(k.b1)), b2 = _mm256_set1_ps(float(k.b2)),
               omb1 = _mm256_set1_ps(float(k.omb1)), omb2 = _mm256_set1_ps(float(k.omb2)),
               eps = _mm256_set1_ps(float(k.eps)), wd = _mm256_set1_ps(float(k.wd)),
               decay = _mm256_set1_ps(float(k.decay)), nss = _mm256_set1_ps(float(k.negStepSize)),
               bc2s = _mm256_set1_ps(float(k.bc2Sqrt));
  float* arrays[5] = {p, const_cast<float*>(g), m, v, (f & kAmsgrad) ? vmax : nullptr};
  const bool written[5] = {true, false, true, true, true};
  lanes8(lo, hi, arrays, written, 5, [&](float* const* a, Index i) {
    __m256 pv = _mm256_loadu_ps(a[0] + i);
    __m256 gr = negIf(_mm256_loadu_ps(a[1] + i), f & kMaximize);
    if (f & kDecoupled) pv = _mm256_mul_ps(pv, decay);
    else if (f & kWeightDecay) gr = _mm256_fmadd_ps(pv, wd, gr);
    const __m256 mi = _mm256_fmadd_ps(gr, omb1, _mm256_mul_ps(_mm256_loadu_ps(a[2] + i), b1));
    const __m256 vi = _mm256_fmadd_ps(_mm256_mul_ps(omb2, gr), gr,
                                      _mm256_mul_ps(_mm256_loadu_ps(a[3] + i), b2));
    _mm256_storeu_ps(a[2] + i, mi);
    _mm256_storeu_ps(a[3] + i, vi);
    __m256 vx = vi;
    if (f & kAmsgrad) {
      const __m256 prev = _mm256_loadu_ps(a[4] + i);
      // prev > vi ? prev : vi, and a NaN (prev + vi) when either is NaN
      vx = _mm256_blendv_ps(_mm256_max_ps(prev, vi), _mm256_add_ps(prev, vi),
                            _mm256_cmp_ps(prev, vi, _CMP_UNORD_Q));
      _mm256_storeu_ps(a[4] + i, vx);
    }
    const __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vx), bc2s), eps);
    _mm256_storeu_ps(a[0] + i, _mm256_add_ps(pv, _mm256_div_ps(_mm256_mul_ps(nss, mi), denom)));
  });
}

__attribute__((target("avx2,fma"))) void rmspropAvx2(float* p, const float* g, float* sq,
                                                      float* gavg, float* buf, Index lo, Index hi,
                                                      const RmsC& k, int f) {
  const __m256 alpha = _mm256_set1_ps(float(k.alpha)), oma = _mm256_set1_ps(float(k.oma)),
               eps = _mm256_set1_ps(float(k.eps)), wd = _mm256_set1_ps(float(k.wd)),
               mom = _mm256_set1_ps(float(k.mom)), negLr = _mm256_set1_ps(float(k.negLr));
  float* arrays[5] = {p, const_cast<float*>(g), sq, (f & kCentered) ? gavg : nullptr,
                      (f & kMomentum) ? buf : nullptr};
  const bool written[5] = {true, false, true, true, true};
  lanes8(lo, hi, arrays, written, 5, [&](float* const* a, Index i) {
    const __m256 pv = _mm256_loadu_ps(a[0] + i);
    __m256 gr = negIf(_mm256_loadu_ps(a[1] + i), f & kMaximize);
    if (f & kWeightDecay) gr = _mm256_fmadd_ps(pv, wd, gr);
    const __m256 s = _mm256_fmadd_ps(_mm256_mul_ps(oma, gr), gr,
                                     _mm256_mul_ps(_mm256_loadu_ps(a[2] + i), alpha));
    _mm256_storeu_ps(a[2] + i, s);
    __m256 avg;
    if (f & kCentered) {
      const __m256 ga =
          _mm256_fmadd_ps(gr, oma, _mm256_mul_ps(_mm256_loadu_ps(a[3] + i), alpha));
      _mm256_storeu_ps(a[3] + i, ga);
      avg = _mm256_sqrt_ps(_mm256_fmadd_ps(negIf(ga, true), ga, s));
    } else {
      avg = _mm256_sqrt_ps(s);
    }
    avg = _mm256_add_ps(avg, eps);
    if (f & kMomentum) {
      const __m256 b = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(a[4] + i), mom),
                                     _mm256_div_ps(gr, avg));
      _mm256_storeu_ps(a[4] + i, b);
      _mm256_storeu_ps(a[0] + i, _mm256_fmadd_ps(b, negLr, pv));
    } else {
      _mm256_storeu_ps(a[0] + i, _mm256_add_ps(pv, _mm256_div_ps(_mm256_mul_ps(negLr, gr), avg)));
    }
  });
}

__attribute__((target("avx2,fma"))) void adagradAvx2(float* p, const float* g, float* sum,
                                                      Index lo, Index hi, const AdagradC& k,
                                                      int f) {
  const __m256 wd = _mm256_set1_ps(float(k.wd)), eps = _mm256_set1_ps(float(k.eps)),
               negClr = _mm256_set1_ps(float(k.negClr));
  float* arrays[3] = {p, const_cast<float*>(g), sum};
  const bool written[3] = {true, false, true};
  lanes8(lo, hi, arrays, written, 3, [&](float* const* a, Index i) {
    const __m256 pv = _mm256_loadu_ps(a[0] + i);
    __m256 gr = negIf(_mm256_loadu_ps(a[1] + i), f & kMaximize);
    if (f & kWeightDecay) gr = _mm256_fmadd_ps(pv, wd, gr);
    const __m256 s = _mm256_fmadd_ps(gr, gr, _mm256_loadu_ps(a[2] + i));
    _mm256_storeu_ps(a[2] + i, s);
    const __m256 st = _mm256_add_ps(_mm256_sqrt_ps(s), eps);
    _mm256_storeu_ps(a[0] + i, _mm256_add_ps(pv, _mm256_div_ps(_mm256_mul_ps(negClr, gr), st)));
  });
}
#endif

// Elements per thread of an optimizer step: below 2 * this one thread does it all (measured on
// the 2-core machine: SGD on 64k float32 elements takes ~25 µs on one thread, while waking a
// second costs 5-20 µs).
constexpr Index kOptMinPerThread = 1 << 16;

// ---------------------------------------------------------------------------------------------
// NAdam, RAdam, Adamax, Adadelta, ASGD, Rprop: scalar loops, element for element the operations
// of their twins in src/backend/optim.ts. Each is also instantiated inside an avx2/fma-targeted
// wrapper (TG_FMA_TWIN below), where std::fma is the FMA instruction instead of a libm call.

#define TG_ALWAYS_INLINE __attribute__((always_inline)) inline

struct NadamC {
  double b1, b2, omb1, omb2, eps, wd, bc2, cg, cm;
};

template <typename T>
TG_ALWAYS_INLINE void nadamScalar(T* p, const T* g, T* m, T* v, Index lo, Index hi, const NadamC& k, int f) {
  const T b1 = T(k.b1), b2 = T(k.b2), omb1 = T(k.omb1), omb2 = T(k.omb2), eps = T(k.eps);
  const T wd = T(k.wd), bc2 = T(k.bc2), cg = T(k.cg), cm = T(k.cm);
  for (Index i = lo; i < hi; i++) {
    T pv = p[i];
    T gr = g[i];
    if (f & kWeightDecay) gr = std::fma(pv, wd, gr);
    const T mb = m[i] * b1;
    const T mi = std::fma(gr, omb1, mb);
    const T vb = v[i] * b2;
    const T og = omb2 * gr;
    const T vi = std::fma(og, gr, vb);
    m[i] = mi;
    v[i] = vi;
    const T q = vi / bc2;
    const T s = std::sqrt(q);
    const T denom = s + eps;
    const T a = cg * gr;
    const T b = a / denom;
    pv = pv + b;
    const T c = cm * mi;
    const T e = c / denom;
    p[i] = pv + e;
  }
}

struct RadamC {
  double b1, b2, omb1, omb2, eps, wd, bc1, lr, sqrtBc2, rect;
};

template <typename T>
TG_ALWAYS_INLINE void radamScalar(T* p, const T* g, T* m, T* v, Index lo, Index hi, const RadamC& k, int f) {
  const T b1 = T(k.b1), b2 = T(k.b2), omb1 = T(k.omb1), omb2 = T(k.omb2), eps = T(k.eps);
  const T wd = T(k.wd), bc1 = T(k.bc1), lr = T(k.lr), sqrtBc2 = T(k.sqrtBc2), rect = T(k.rect);
  for (Index i = lo; i < hi; i++) {
    const T pv = p[i];
    T gr = g[i];
    if (f & kWeightDecay) gr = std::fma(pv, wd, gr);
    const T mb = m[i] * b1;
    const T mi = std::fma(gr, omb1, mb);
    const T vb = v[i] * b2;
    const T og = omb2 * gr;
    const T vi = std::fma(og, gr, vb);
    m[i] = mi;
    v[i] = vi;
    const T corrected = mi / bc1;
    T upd = corrected * lr;
    if (f & kRectified) {
      const T s = std::sqrt(vi);
      const T d = s + eps;
      const T inv = T(1) / d;
      const T adaptive = inv * sqrtBc2;
      upd = upd * adaptive;
      upd = upd * rect;
    }
    p[i] = pv - upd;
  }
}

struct AdamaxC {
  double b1, b2, omb1, eps, wd, negClr;
};

template <typename T>
TG_ALWAYS_INLINE void adamaxScalar(T* p, const T* g, T* m, T* u, Index lo, Index hi, const AdamaxC& k, int f) {
  const T b1 = T(k.b1), b2 = T(k.b2), omb1 = T(k.omb1), eps = T(k.eps), wd = T(k.wd);
  const T negClr = T(k.negClr);
  for (Index i = lo; i < hi; i++) {
    const T pv = p[i];
    T gr = g[i];
    if (f & kMaximize) gr = -gr;
    if (f & kWeightDecay) gr = std::fma(pv, wd, gr);
    const T mb = m[i] * b1;
    const T mi = std::fma(gr, omb1, mb);
    m[i] = mi;
    const T a = u[i] * b2;
    const T b = std::fabs(gr) + eps;
    const T ui = (a != a || b != b) ? T(NAN) : (a > b ? a : b);
    u[i] = ui;
    const T c = negClr * mi;
    const T d = c / ui;
    p[i] = pv + d;
  }
}

struct AdadeltaC {
  double rho, omr, eps, wd, negLr;
};

template <typename T>
TG_ALWAYS_INLINE void adadeltaScalar(T* p, const T* g, T* sq, T* acc, Index lo, Index hi, const AdadeltaC& k,
                    int f) {
  const T rho = T(k.rho), omr = T(k.omr), eps = T(k.eps), wd = T(k.wd), negLr = T(k.negLr);
  for (Index i = lo; i < hi; i++) {
    const T pv = p[i];
    T gr = g[i];
    if (f & kMaximize) gr = -gr;
    if (f & kWeightDecay) gr = std::fma(pv, wd, gr);
    const T sr = sq[i] * rho;
    const T og = omr * gr;
    const T s = std::fma(og, gr, sr);
    sq[i] = s;
    const T se = s + eps;
    const T stdv = std::sqrt(se);
    const T ae = acc[i] + eps;
    const T num = std::sqrt(ae);
    const T ratio = num / stdv;
    const T delta = ratio * gr;
    const T ar = acc[i] * rho;
    const T od = omr * delta;
    acc[i] = std::fma(od, delta, ar);
    p[i] = std::fma(delta, negLr, pv);
  }
}

struct AsgdC {
  double wd, decay, negEta, mu;
};

template <typename T>
TG_ALWAYS_INLINE void asgdScalar(T* p, const T* g, T* ax, Index lo, Index hi, const AsgdC& k, int f) {
  const T wd = T(k.wd), decay = T(k.decay), negEta = T(k.negEta), mu = T(k.mu);
  for (Index i = lo; i < hi; i++) {
    T pv = p[i];
    T gr = g[i];
    if (f & kMaximize) gr = -gr;
    if (f & kWeightDecay) gr = std::fma(pv, wd, gr);
    pv = pv * decay;
    pv = std::fma(gr, negEta, pv);
    p[i] = pv;
    if (f & kAverage) {
      const T diff = pv - ax[i];
      const T scaled = diff * mu;
      ax[i] = ax[i] + scaled;
    } else {
      ax[i] = pv;
    }
  }
}

struct RpropC {
  double etaminus, etaplus, lo, hi;
};

template <typename T>
TG_ALWAYS_INLINE void rpropScalar(T* p, const T* g, T* prev, T* ss, Index lo, Index hi, const RpropC& k, int f) {
  const T etaminus = T(k.etaminus), etaplus = T(k.etaplus), smin = T(k.lo), smax = T(k.hi);
  for (Index i = lo; i < hi; i++) {
    T gr = g[i];
    if (f & kMaximize) gr = -gr;
    const T prod = gr * prev[i];
    const T sign = prod > 0 ? etaplus : prod < 0 ? etaminus : prod == 0 ? T(1) : T(NAN);
    T s = ss[i] * sign;
    if (s < smin) s = smin;
    else if (s > smax) s = smax;
    ss[i] = s;
    if (sign == etaminus) gr = T(0);
    const T sg = gr > 0 ? T(1) : gr < 0 ? T(-1) : gr == 0 ? T(0) : T(NAN);
    const T step = sg * s;
    p[i] = p[i] - step;
    prev[i] = gr;
  }
}

template <typename F>
void optRun(Index n, F body, Index minPerThread = kOptMinPerThread) {
  parallelFor(n, minPerThread, body, 64);
}

// Elements per thread of a plain SGD step (no momentum, a multiply-add per element: memory
// bound): two threads only from 2^20 elements. Measured on the 2-core machine, 4000 calls
// per figure (µs, min / mean, one thread vs two): 200704 elements (the MLP's 784 x 256
// weight) 16.1 / 40.9 vs 16.2 / 143.6, 512K 51.3 / 131 vs 50.4 / 222, 2M 230 / 984 vs
// 110 / 1081: while the arrays fit the caches a second thread brings no bandwidth, and on a
// shared machine it waits for a descheduled worker.
constexpr Index kSgdMinPerThread = 1 << 19;

// The parameter, gradient and state arrays of a step (already one float type, abi.gen.cc):
// n elements of p from pOff and of g from gOff, and of each state array present from 0.
bool stepInBounds(const Napi::CallbackInfo& info, const char* fn, const Arr& p, Index pOff,
                  const Arr& g, Index gOff, Index n, std::initializer_list<const Arr*> states) {
  if (!need(info, fn, n >= 0 && fits(p.len, pOff, double(n)), "parameter out of bounds") ||
      !need(info, fn, fits(g.len, gOff, double(n)), "gradient out of bounds"))
    return false;
  for (const Arr* s : states)
    if (s->present && !need(info, fn, s->len >= n, "state out of bounds")) return false;
  return true;
}

// A state array as T* (nullptr when absent; the flags say whether it is used).
template <typename T>
T* state(const Arr& a) {
  return a.present ? static_cast<T*>(a.data) : nullptr;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Bindings (arguments parsed by abi.gen.cc)

Napi::Value run(const Napi::CallbackInfo& info, const args::sgdStep& arg) {
  const char* fn = arg.name;
  if (!stepInBounds(info, fn, arg.p, arg.pOff, arg.g, arg.gOff, arg.n, {&arg.buf}))
    return info.Env().Undefined();
  if ((arg.flags & kMomentum) && !arg.buf.present)
    return typeError(info.Env(), fn, "momentum needs a buffer"), info.Env().Undefined();
  const SgdC k{arg.wd, arg.mom, arg.damp, arg.negLr};
  const int flags = int(arg.flags);
  // (momentum or weight decay add a stream or arithmetic: those keep the optimizers' split)
  const Index per = flags == 0 ? kSgdMinPerThread : kOptMinPerThread;
  if (arg.p.type == napi_float32_array) {
    float* p = static_cast<float*>(arg.p.data) + arg.pOff;
    const float* g = static_cast<const float*>(arg.g.data) + arg.gOff;
    float* buf = state<float>(arg.buf);
    optRun(
        arg.n,
        [&](Index lo, Index hi) {
#if TG_X86
          if (avx2()) return sgdAvx2(p, g, buf, lo, hi, k, flags);
#endif
#if TG_WASM
          return sgdWasm(p, g, buf, lo, hi, k, flags);
#endif
          sgdScalar(p, g, buf, lo, hi, k, flags);
        },
        per);
  } else {
    double* p = static_cast<double*>(arg.p.data) + arg.pOff;
    const double* g = static_cast<const double*>(arg.g.data) + arg.gOff;
    double* buf = state<double>(arg.buf);
    optRun(arg.n, [&](Index lo, Index hi) { sgdScalar(p, g, buf, lo, hi, k, flags); }, per);
  }
  return info.Env().Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::adamStep& arg) {
  const char* fn = arg.name;
  if (!stepInBounds(info, fn, arg.p, arg.pOff, arg.g, arg.gOff, arg.n,
                    {&arg.m, &arg.v, &arg.vmax}))
    return info.Env().Undefined();
  if ((arg.flags & kAmsgrad) && !arg.vmax.present)
    return typeError(info.Env(), fn, "missing state arrays"), info.Env().Undefined();
  const AdamC k{arg.b1, arg.b2, arg.omb1, arg.omb2, arg.eps,
                arg.wd, arg.decay, arg.negStepSize, arg.bc2Sqrt};
  const int flags = int(arg.flags);
  if (arg.p.type == napi_float32_array) {
    float* p = static_cast<float*>(arg.p.data) + arg.pOff;
    const float* g = static_cast<const float*>(arg.g.data) + arg.gOff;
    float *m = state<float>(arg.m), *v = state<float>(arg.v), *vm = state<float>(arg.vmax);
    optRun(arg.n, [&](Index lo, Index hi) {
#if TG_X86
      if (avx2()) return adamAvx2(p, g, m, v, vm, lo, hi, k, flags);
#endif
#if TG_WASM
      return adamWasm(p, g, m, v, vm, lo, hi, k, flags);
#endif
      adamScalar(p, g, m, v, vm, lo, hi, k, flags);
    });
  } else {
    double* p = static_cast<double*>(arg.p.data) + arg.pOff;
    const double* g = static_cast<const double*>(arg.g.data) + arg.gOff;
    double *m = state<double>(arg.m), *v = state<double>(arg.v), *vm = state<double>(arg.vmax);
    optRun(arg.n, [&](Index lo, Index hi) { adamScalar(p, g, m, v, vm, lo, hi, k, flags); });
  }
  return info.Env().Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::rmspropStep& arg) {
  const char* fn = arg.name;
  if (!stepInBounds(info, fn, arg.p, arg.pOff, arg.g, arg.gOff, arg.n,
                    {&arg.sq, &arg.gavg, &arg.buf}))
    return info.Env().Undefined();
  if (((arg.flags & kCentered) && !arg.gavg.present) ||
      ((arg.flags & kMomentum) && !arg.buf.present))
    return typeError(info.Env(), fn, "missing state arrays"), info.Env().Undefined();
  const RmsC k{arg.alpha, arg.oma, arg.eps, arg.wd, arg.mom, arg.negLr};
  const int flags = int(arg.flags);
  if (arg.p.type == napi_float32_array) {
    float* p = static_cast<float*>(arg.p.data) + arg.pOff;
    const float* g = static_cast<const float*>(arg.g.data) + arg.gOff;
    float *sq = state<float>(arg.sq), *ga = state<float>(arg.gavg), *buf = state<float>(arg.buf);
    optRun(arg.n, [&](Index lo, Index hi) {
#if TG_X86
      if (avx2()) return rmspropAvx2(p, g, sq, ga, buf, lo, hi, k, flags);
#endif
      rmspropScalar(p, g, sq, ga, buf, lo, hi, k, flags);
    });
  } else {
    double* p = static_cast<double*>(arg.p.data) + arg.pOff;
    const double* g = static_cast<const double*>(arg.g.data) + arg.gOff;
    double *sq = state<double>(arg.sq), *ga = state<double>(arg.gavg),
           *buf = state<double>(arg.buf);
    optRun(arg.n, [&](Index lo, Index hi) { rmspropScalar(p, g, sq, ga, buf, lo, hi, k, flags); });
  }
  return info.Env().Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::adagradStep& arg) {
  const char* fn = arg.name;
  if (!stepInBounds(info, fn, arg.p, arg.pOff, arg.g, arg.gOff, arg.n, {&arg.sum}))
    return info.Env().Undefined();
  const AdagradC k{arg.wd, arg.eps, arg.negClr};
  const int flags = int(arg.flags);
  if (arg.p.type == napi_float32_array) {
    float* p = static_cast<float*>(arg.p.data) + arg.pOff;
    const float* g = static_cast<const float*>(arg.g.data) + arg.gOff;
    float* sum = state<float>(arg.sum);
    optRun(arg.n, [&](Index lo, Index hi) {
#if TG_X86
      if (avx2()) return adagradAvx2(p, g, sum, lo, hi, k, flags);
#endif
      adagradScalar(p, g, sum, lo, hi, k, flags);
    });
  } else {
    double* p = static_cast<double*>(arg.p.data) + arg.pOff;
    const double* g = static_cast<const double*>(arg.g.data) + arg.gOff;
    double* sum = state<double>(arg.sum);
    optRun(arg.n, [&](Index lo, Index hi) { adagradScalar(p, g, sum, lo, hi, k, flags); });
  }
  return info.Env().Undefined();
}

#if TG_X86
// name##Fma: the scalar loop compiled for AVX2+FMA (same operations, hardware fma).
#define TG_FMA_TWIN(name)                                                  \
  template <typename T, typename... Args>                                  \
  __attribute__((target("avx2,fma"))) void name##Fma(Args... args) {       \
    name##Scalar<T>(args...);                                              \
  }
TG_FMA_TWIN(nadam)
TG_FMA_TWIN(radam)
TG_FMA_TWIN(adamax)
TG_FMA_TWIN(adadelta)
TG_FMA_TWIN(asgd)
TG_FMA_TWIN(rprop)
#undef TG_FMA_TWIN
#define TG_SCALAR_STEP(name, T, ...) \
  (avx2() ? name##Fma<T>(__VA_ARGS__) : name##Scalar<T>(__VA_ARGS__))
#else
#define TG_SCALAR_STEP(name, T, ...) name##Scalar<T>(__VA_ARGS__)
#endif

// The scalar-only steps: `kernel` is called with a null pointer of the parameter's element type
// (float or double), from which it takes T.
template <typename Kernel>
void runTyped(const Arr& p, Kernel kernel) {
  if (p.type == napi_float32_array) kernel(static_cast<float*>(nullptr));
  else kernel(static_cast<double*>(nullptr));
}

Napi::Value run(const Napi::CallbackInfo& info, const args::nadamStep& arg) {
  if (!stepInBounds(info, arg.name, arg.p, arg.pOff, arg.g, arg.gOff, arg.n, {&arg.m, &arg.v}))
    return info.Env().Undefined();
  const NadamC k{arg.b1, arg.b2, arg.omb1, arg.omb2, arg.eps, arg.wd, arg.bc2, arg.cg, arg.cm};
  const int flags = int(arg.flags);
  runTyped(arg.p, [&](auto tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* p = static_cast<T*>(arg.p.data) + arg.pOff;
    const T* g = static_cast<const T*>(arg.g.data) + arg.gOff;
    T *m = state<T>(arg.m), *v = state<T>(arg.v);
    optRun(arg.n, [&](Index lo, Index hi) { TG_SCALAR_STEP(nadam, T, p, g, m, v, lo, hi, k, flags); });
  });
  return info.Env().Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::radamStep& arg) {
  if (!stepInBounds(info, arg.name, arg.p, arg.pOff, arg.g, arg.gOff, arg.n, {&arg.m, &arg.v}))
    return info.Env().Undefined();
  const RadamC k{arg.b1,  arg.b2, arg.omb1,    arg.omb2, arg.eps,
                 arg.wd, arg.bc1, arg.lr, arg.sqrtBc2, arg.rect};
  const int flags = int(arg.flags);
  runTyped(arg.p, [&](auto tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* p = static_cast<T*>(arg.p.data) + arg.pOff;
    const T* g = static_cast<const T*>(arg.g.data) + arg.gOff;
    T *m = state<T>(arg.m), *v = state<T>(arg.v);
    optRun(arg.n, [&](Index lo, Index hi) { TG_SCALAR_STEP(radam, T, p, g, m, v, lo, hi, k, flags); });
  });
  return info.Env().Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::adamaxStep& arg) {
  if (!stepInBounds(info, arg.name, arg.p, arg.pOff, arg.g, arg.gOff, arg.n, {&arg.m, &arg.u}))
    return info.Env().Undefined();
  const AdamaxC k{arg.b1, arg.b2, arg.omb1, arg.eps, arg.wd, arg.negClr};
  const int flags = int(arg.flags);
  runTyped(arg.p, [&](auto tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* p = static_cast<T*>(arg.p.data) + arg.pOff;
    const T* g = static_cast<const T*>(arg.g.data) + arg.gOff;
    T *m = state<T>(arg.m), *u = state<T>(arg.u);
    optRun(arg.n, [&](Index lo, Index hi) { TG_SCALAR_STEP(adamax, T, p, g, m, u, lo, hi, k, flags); });
  });
  return info.Env().Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::adadeltaStep& arg) {
  if (!stepInBounds(info, arg.name, arg.p, arg.pOff, arg.g, arg.gOff, arg.n, {&arg.sq, &arg.acc}))
    return info.Env().Undefined();
  const AdadeltaC k{arg.rho, arg.omr, arg.eps, arg.wd, arg.negLr};
  const int flags = int(arg.flags);
  runTyped(arg.p, [&](auto tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* p = static_cast<T*>(arg.p.data) + arg.pOff;
    const T* g = static_cast<const T*>(arg.g.data) + arg.gOff;
    T *sq = state<T>(arg.sq), *acc = state<T>(arg.acc);
    optRun(arg.n, [&](Index lo, Index hi) { TG_SCALAR_STEP(adadelta, T, p, g, sq, acc, lo, hi, k, flags); });
  });
  return info.Env().Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::asgdStep& arg) {
  if (!stepInBounds(info, arg.name, arg.p, arg.pOff, arg.g, arg.gOff, arg.n, {&arg.ax}))
    return info.Env().Undefined();
  const AsgdC k{arg.wd, arg.decay, arg.negEta, arg.mu};
  const int flags = int(arg.flags);
  runTyped(arg.p, [&](auto tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* p = static_cast<T*>(arg.p.data) + arg.pOff;
    const T* g = static_cast<const T*>(arg.g.data) + arg.gOff;
    T* ax = state<T>(arg.ax);
    optRun(arg.n, [&](Index lo, Index hi) { TG_SCALAR_STEP(asgd, T, p, g, ax, lo, hi, k, flags); });
  });
  return info.Env().Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::rpropStep& arg) {
  if (!stepInBounds(info, arg.name, arg.p, arg.pOff, arg.g, arg.gOff, arg.n, {&arg.prev, &arg.ss}))
    return info.Env().Undefined();
  const RpropC k{arg.etaminus, arg.etaplus, arg.lo, arg.hi};
  const int flags = int(arg.flags);
  runTyped(arg.p, [&](auto tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    T* p = static_cast<T*>(arg.p.data) + arg.pOff;
    const T* g = static_cast<const T*>(arg.g.data) + arg.gOff;
    T *prev = state<T>(arg.prev), *ss = state<T>(arg.ss);
    optRun(arg.n, [&](Index lo, Index hi) { TG_SCALAR_STEP(rprop, T, p, g, prev, ss, lo, hi, k, flags); });
  });
  return info.Env().Undefined();
}

}  // namespace tg
