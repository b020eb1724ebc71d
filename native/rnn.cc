// tensorgrad native backend: the pointwise part of one LSTM time step, forward and backward,
// the twins of src/backend/rnn.ts `lstmCell` and `lstmCellBackward`. The hidden product
// h_{t-1} W_hh^T of a step is a matmul call of its own; these kernels fuse everything after it.
//
// Layout (PyTorch's gate order i, f, g, o): a row r of the [n, 4*hidden] gate arrays holds
// chunk k (0 i, 1 f, 2 g, 3 o) at columns k*hidden .. (k+1)*hidden - 1; the states are
// [n, hidden].
//
// Forward, per element:
//   pre_k = s_k + b_k + gi_k                 (s = h_{t-1} W_hh^T, b = b_hh, gi = x W_ih^T + b_ih)
//   i, f, o = sigmoid(pre), g = tanh(pre_g)
//   c = f * c_{t-1} + i * g,   h = o * tanh(c)
// The activated gates go to `gates` (may be `s` itself, same offset: each element is read
// before it is written), c to `c` (may be `cp`, same offset), h to `h`.
//
// Backward, per element, from dh (the output gradient of the step plus the gradient coming
// back from step t+1) and dc (the cell gradient from step t+1, updated in place to the
// gradient of c_{t-1}):
//   tc = tanh(c),  dc' = dc + dh * o * (1 - tc^2)
//   d pre_i = dc' g i (1 - i),  d pre_f = dc' c_{t-1} f (1 - f),  d pre_g = dc' i (1 - g^2),
//   d pre_o = dh tc o (1 - o),  dc <- dc' f
// The scalar path computes in double and rounds each stored value once (as the TypeScript
// twin); float32 with AVX2 computes in float with vecmath.h's exp/tanh/sigmoid (a few ulp).
#include <cmath>
#include <type_traits>

#include "abi.gen.h"
#include "vecmath.h"

namespace tg {
namespace {

// Rows per thread below which a step stays on the calling thread: a row is 4*hidden
// activations; splitting pays from ~16K transcendental evaluations (elementwise.cc's
// kMathPerThread).
Index minRows(Index hidden) { return std::max<Index>(1, (Index(1) << 14) / std::max<Index>(1, 4 * hidden)); }

inline double sigm(double x) { return 1.0 / (1.0 + std::exp(-x)); }

template <typename T>
void cellScalar(const T* s, const T* gi, const T* b, const T* cp, T* gates, T* c, T* h, Index r0,
                Index r1, Index H) {
  for (Index r = r0; r < r1; r++) {
    const T* sr = s + r * 4 * H;
    const T* gr = gi + r * 4 * H;
    T* ga = gates + r * 4 * H;
    const T* cpr = cp + r * H;
    T* cr = c + r * H;
    T* hr = h + r * H;
    for (Index j = 0; j < H; j++) {
      double pre[4];
      for (int k = 0; k < 4; k++) {
        const Index q = k * H + j;
        pre[k] = double(sr[q]) + (b != nullptr ? double(b[q]) : 0.0) + double(gr[q]);
      }
      const double i = sigm(pre[0]), f = sigm(pre[1]), g = std::tanh(pre[2]), o = sigm(pre[3]);
      const double cv = f * double(cpr[j]) + i * g;
      ga[j] = T(i);
      ga[H + j] = T(f);
      ga[2 * H + j] = T(g);
      ga[3 * H + j] = T(o);
      cr[j] = T(cv);
      hr[j] = T(o * std::tanh(cv));
    }
  }
}

template <typename T>
void cellBackwardScalar(const T* gates, const T* c, const T* cp, const T* dh, const T* dhx, T* dc,
                        T* dg, Index r0, Index r1, Index H) {
  for (Index r = r0; r < r1; r++) {
    const T* ga = gates + r * 4 * H;
    T* d = dg + r * 4 * H;
    for (Index j = 0; j < H; j++) {
      const Index e = r * H + j;
      const double i = ga[j], f = ga[H + j], g = ga[2 * H + j], o = ga[3 * H + j];
      const double dhv = (dh != nullptr ? double(dh[e]) : 0.0) + double(dhx[e]);
      const double tc = std::tanh(double(c[e]));
      const double dcv = double(dc[e]) + dhv * o * (1.0 - tc * tc);
      d[j] = T(dcv * g * (i * (1.0 - i)));
      d[H + j] = T(dcv * double(cp[e]) * (f * (1.0 - f)));
      d[2 * H + j] = T(dcv * i * (1.0 - g * g));
      d[3 * H + j] = T(dhv * tc * (o * (1.0 - o)));
      dc[e] = T(dcv * f);
    }
  }
}

#if TG_X86
// The lane mask of the first `rem` (< 8) lanes.
TG_AVX2 inline __m256i laneMask(Index rem) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(rem)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
TG_AVX2 inline __m256 load(const float* p, Index rem, __m256i m) {
  return rem >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
}
TG_AVX2 inline void store(float* p, __m256 v, Index rem, __m256i m) {
  if (rem >= 8) _mm256_storeu_ps(p, v);
  else _mm256_maskstore_ps(p, m, v);
}

TG_AVX2 void cellAvx2(const float* s, const float* gi, const float* b, const float* cp,
                      float* gates, float* c, float* h, Index r0, Index r1, Index H) {
  const __m256 zero = _mm256_setzero_ps();
  for (Index r = r0; r < r1; r++) {
    const float* sr = s + r * 4 * H;
    const float* gr = gi + r * 4 * H;
    float* ga = gates + r * 4 * H;
    for (Index j = 0; j < H; j += 8) {
      const Index rem = H - j;
      const __m256i m = laneMask(rem < 8 ? rem : 0);
      __m256 pre[4];
      for (int k = 0; k < 4; k++) {
        const Index q = k * H + j;
        const __m256 bk = b != nullptr ? load(b + q, rem, m) : zero;
        pre[k] = _mm256_add_ps(_mm256_add_ps(load(sr + q, rem, m), bk), load(gr + q, rem, m));
      }
      const __m256 i = sigmoidPs(pre[0]), f = sigmoidPs(pre[1]);
      const __m256 g = tanhPs(pre[2]), o = sigmoidPs(pre[3]);
      const __m256 cv = _mm256_fmadd_ps(f, load(cp + r * H + j, rem, m), _mm256_mul_ps(i, g));
      store(ga + j, i, rem, m);
      store(ga + H + j, f, rem, m);
      store(ga + 2 * H + j, g, rem, m);
      store(ga + 3 * H + j, o, rem, m);
      store(c + r * H + j, cv, rem, m);
      store(h + r * H + j, _mm256_mul_ps(o, tanhPs(cv)), rem, m);
    }
  }
}

TG_AVX2 void cellBackwardAvx2(const float* gates, const float* c, const float* cp, const float* dh,
                              const float* dhx, float* dc, float* dg, Index r0, Index r1,
                              Index H) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for (Index r = r0; r < r1; r++) {
    const float* ga = gates + r * 4 * H;
    float* d = dg + r * 4 * H;
    for (Index j = 0; j < H; j += 8) {
      const Index rem = H - j;
      const __m256i m = laneMask(rem < 8 ? rem : 0);
      const Index e = r * H + j;
      const __m256 i = load(ga + j, rem, m), f = load(ga + H + j, rem, m);
      const __m256 g = load(ga + 2 * H + j, rem, m), o = load(ga + 3 * H + j, rem, m);
      __m256 dhv = load(dhx + e, rem, m);
      if (dh != nullptr) dhv = _mm256_add_ps(load(dh + e, rem, m), dhv);
      const __m256 tc = tanhPs(load(c + e, rem, m));
      const __m256 dcv = _mm256_fmadd_ps(_mm256_mul_ps(dhv, o), _mm256_fnmadd_ps(tc, tc, one),
                                         load(dc + e, rem, m));
      store(d + j, _mm256_mul_ps(_mm256_mul_ps(dcv, g), _mm256_mul_ps(i, _mm256_sub_ps(one, i))),
            rem, m);
      store(d + H + j,
            _mm256_mul_ps(_mm256_mul_ps(dcv, load(cp + e, rem, m)),
                          _mm256_mul_ps(f, _mm256_sub_ps(one, f))),
            rem, m);
      store(d + 2 * H + j, _mm256_mul_ps(_mm256_mul_ps(dcv, i), _mm256_fnmadd_ps(g, g, one)), rem,
            m);
      store(d + 3 * H + j,
            _mm256_mul_ps(_mm256_mul_ps(dhv, tc), _mm256_mul_ps(o, _mm256_sub_ps(one, o))), rem,
            m);
      store(dc + e, _mm256_mul_ps(dcv, f), rem, m);
    }
  }
}
#endif

// ---------------------------------------------------------------------------------------------
// The per-step products (h_{t-1} W_hh^T forward, dG_t W_hh backward) multiply a thin matrix
// (n = batch rows) by the same weight matrix at every step. matmul.cc packs its right operand
// on every call, which for 32 rows costs about as much as the product; here the weight matrix
// is packed once per layer (`packPanel`) and each step only runs the register tiles
// (`panelProduct`). Panel layout: B (k x n) in 16-column slivers, sliver s holding for
// p = 0..k-1 the 16 values B[p][16s .. 16s+15] (zero past n). AVX-512 only (the caller uses
// matmul otherwise).

constexpr Index kNR = 16;  // columns per sliver: one zmm
constexpr Index kMR = 6;   // rows per register tile

// Portable: the same tiles with an array accumulator.
void panelRowsScalar(const float* a, Index lda, Index m, Index k, const float* packed, Index n,
                     float* out, Index s0, Index s1) {
  for (Index s = s0; s < s1; s++) {
    const float* b = packed + s * k * kNR;
    const Index cols = std::min(kNR, n - s * kNR);
    for (Index r = 0; r < m; r++) {
      float acc[kNR] = {};
      for (Index p = 0; p < k; p++) {
        const float av = a[r * lda + p];
        for (Index c = 0; c < kNR; c++) acc[c] += av * b[p * kNR + c];
      }
      for (Index c = 0; c < cols; c++) out[r * n + s * kNR + c] = acc[c];
    }
  }
}

#if TG_X86
// C rows r0..r0+R-1, sliver s: C[r][16s + c] = sum_p A[r][p] B[p][16s + c] (c < cols).
template <int R>
__attribute__((target("avx512f"))) void panelTile(const float* a, Index lda, const float* b,
                                                  Index k, float* c, Index ldc, Index cols) {
  __m512 acc[kMR];
  for (int r = 0; r < R; r++) acc[r] = _mm512_setzero_ps();
  for (Index p = 0; p < k; p++) {
    const __m512 bv = _mm512_loadu_ps(b + p * kNR);
    for (int r = 0; r < R; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r * lda + p]), bv, acc[r]);
  }
  const __mmask16 m = cols >= kNR ? __mmask16(0xffff) : __mmask16((1u << cols) - 1);
  for (int r = 0; r < R; r++) _mm512_mask_storeu_ps(c + r * ldc, m, acc[r]);
}

__attribute__((target("avx512f"))) void panelRows(const float* a, Index lda, Index m, Index k,
                                                  const float* packed, Index n, float* out,
                                                  Index s0, Index s1) {
  for (Index s = s0; s < s1; s++) {
    const float* b = packed + s * k * kNR;
    const Index cols = std::min(kNR, n - s * kNR);
    float* c = out + s * kNR;
    Index r = 0;
    for (; r + kMR <= m; r += kMR) panelTile<kMR>(a + r * lda, lda, b, k, c + r * n, n, cols);
    switch (m - r) {
      case 1: panelTile<1>(a + r * lda, lda, b, k, c + r * n, n, cols); break;
      case 2: panelTile<2>(a + r * lda, lda, b, k, c + r * n, n, cols); break;
      case 3: panelTile<3>(a + r * lda, lda, b, k, c + r * n, n, cols); break;
      case 4: panelTile<4>(a + r * lda, lda, b, k, c + r * n, n, cols); break;
      case 5: panelTile<5>(a + r * lda, lda, b, k, c + r * n, n, cols); break;
      default: break;
    }
  }
}
#endif

// Whether an array holds `count` elements from `off` (count 0 always fits).
bool fits(const Arr& a, Index off, Index count) {
  return count == 0 || (a.present && off >= 0 && off <= a.len && count <= a.len - off);
}

template <typename T>
const T* at(const Arr& a, Index off) {
  return a.present ? static_cast<const T*>(a.data) + off : nullptr;
}
template <typename T>
T* mut(const Arr& a, Index off) {
  return static_cast<T*>(a.data) + off;
}

}  // namespace

Napi::Value run(const Napi::CallbackInfo& info, const args::lstmCell& arg) {
  Napi::Env env = info.Env();
  const Index n = arg.n, H = arg.hidden;
  if (n < 0 || H < 0 || double(n) * double(H) > 1e15) {
    rangeError(env, arg.name, "bad sizes");
    return env.Undefined();
  }
  const Index G = 4 * n * H, S = n * H;
  if (!fits(arg.s, arg.sOff, G) || !fits(arg.gi, arg.giOff, G) ||
      (arg.b.present && !fits(arg.b, 0, 4 * H)) || !fits(arg.cp, arg.cpOff, S) ||
      !fits(arg.gates, arg.gOff, G) || !fits(arg.c, arg.cOff, S) || !fits(arg.h, arg.hOff, S)) {
    rangeError(env, arg.name, "layout out of the arrays' bounds");
    return env.Undefined();
  }
  auto body = [&](auto zero) {
    using T = decltype(zero);
    const T *s = at<T>(arg.s, arg.sOff), *gi = at<T>(arg.gi, arg.giOff), *b = at<T>(arg.b, 0);
    const T* cp = at<T>(arg.cp, arg.cpOff);
    T *gates = mut<T>(arg.gates, arg.gOff), *c = mut<T>(arg.c, arg.cOff),
      *h = mut<T>(arg.h, arg.hOff);
    parallelFor(n, minRows(H), [&](Index lo, Index hi) {
#if TG_X86
      if constexpr (std::is_same_v<T, float>) {
        if (avx2()) return cellAvx2(s, gi, b, cp, gates, c, h, lo, hi, H);
      }
#endif
      cellScalar<T>(s, gi, b, cp, gates, c, h, lo, hi, H);
    }, 1);
  };
  if (arg.s.type == napi_float32_array) body(0.0f);
  else body(0.0);
  return env.Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::lstmCellBackward& arg) {
  Napi::Env env = info.Env();
  const Index n = arg.n, H = arg.hidden;
  if (n < 0 || H < 0 || double(n) * double(H) > 1e15) {
    rangeError(env, arg.name, "bad sizes");
    return env.Undefined();
  }
  const Index G = 4 * n * H, S = n * H;
  if (!fits(arg.gates, arg.gOff, G) || !fits(arg.c, arg.cOff, S) || !fits(arg.cp, arg.cpOff, S) ||
      (arg.dh.present && !fits(arg.dh, arg.dhOff, S)) || !fits(arg.dhx, 0, S) ||
      !fits(arg.dc, 0, S) || !fits(arg.dg, arg.dgOff, G)) {
    rangeError(env, arg.name, "layout out of the arrays' bounds");
    return env.Undefined();
  }
  auto body = [&](auto zero) {
    using T = decltype(zero);
    const T *gates = at<T>(arg.gates, arg.gOff), *c = at<T>(arg.c, arg.cOff),
            *cp = at<T>(arg.cp, arg.cpOff), *dh = at<T>(arg.dh, arg.dhOff),
            *dhx = at<T>(arg.dhx, 0);
    T *dc = mut<T>(arg.dc, 0), *dg = mut<T>(arg.dg, arg.dgOff);
    parallelFor(n, minRows(H), [&](Index lo, Index hi) {
#if TG_X86
      if constexpr (std::is_same_v<T, float>) {
        if (avx2()) return cellBackwardAvx2(gates, c, cp, dh, dhx, dc, dg, lo, hi, H);
      }
#endif
      cellBackwardScalar<T>(gates, c, cp, dh, dhx, dc, dg, lo, hi, H);
    }, 1);
  };
  if (arg.gates.type == napi_float32_array) body(0.0f);
  else body(0.0);
  return env.Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::packPanel& arg) {
  Napi::Env env = info.Env();
  const Index k = arg.k, n = arg.n;
  if (arg.w.type != napi_float32_array) {
    typeError(env, arg.name, "float32 arrays only");
    return env.Undefined();
  }
  if (k < 0 || n < 0 || double(k) * double(n) > 1e15 ||
      (k > 0 && n > 0 && !stridedInBounds(arg.w.len, arg.wOff, {k, n}, {arg.rs, arg.cs})) ||
      !fits(arg.packed, 0, (n + kNR - 1) / kNR * kNR * k)) {
    rangeError(env, arg.name, "layout out of the arrays' bounds");
    return env.Undefined();
  }
  const float* w = static_cast<const float*>(arg.w.data) + arg.wOff;
  float* dst = static_cast<float*>(arg.packed.data);
  for (Index s = 0; s * kNR < n; s++) {
    const Index cols = std::min(kNR, n - s * kNR);
    for (Index p = 0; p < k; p++) {
      float* d = dst + (s * k + p) * kNR;
      for (Index c = 0; c < cols; c++) d[c] = w[p * arg.rs + (s * kNR + c) * arg.cs];
      for (Index c = cols; c < kNR; c++) d[c] = 0.0f;
    }
  }
  return env.Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::panelProduct& arg) {
  Napi::Env env = info.Env();
  const Index m = arg.m, k = arg.k, n = arg.n, lda = arg.lda;
  if (arg.a.type != napi_float32_array) {
    typeError(env, arg.name, "float32 arrays only");
    return env.Undefined();
  }
  if (m < 0 || k < 0 || n < 0 || lda < 0 || double(m) * double(n) > 1e15 ||
      double(k) * double(n) > 1e15 ||
      (m > 0 && k > 0 && !stridedInBounds(arg.a.len, arg.aOff, {m, k}, {lda, 1})) ||
      !fits(arg.packed, 0, (n + kNR - 1) / kNR * kNR * k) || !fits(arg.out, arg.outOff, m * n)) {
    rangeError(env, arg.name, "layout out of the arrays' bounds");
    return env.Undefined();
  }
  float* out = static_cast<float*>(arg.out.data) + arg.outOff;
  if (m == 0 || n == 0) return env.Undefined();
  if (k == 0) {
    std::fill(out, out + m * n, 0.0f);
    return env.Undefined();
  }
  const float* a = static_cast<const float*>(arg.a.data) + arg.aOff;
  const float* packed = static_cast<const float*>(arg.packed.data);
  const Index slivers = (n + kNR - 1) / kNR;
  // split the slivers over threads when the product is worth a handoff (~64^3 multiply-adds)
  const Index minSlivers =
      std::max<Index>(1, Index(64 * 64 * 64) / std::max<Index>(1, m * k * kNR));
  parallelFor(slivers, minSlivers, [&](Index s0, Index s1) {
#if TG_X86
    if (avx512()) return panelRows(a, lda, m, k, packed, n, out, s0, s1);
#endif
    panelRowsScalar(a, lda, m, k, packed, n, out, s0, s1);
  }, 1);
  return env.Undefined();
}

}  // namespace tg
