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

}  // namespace tg
