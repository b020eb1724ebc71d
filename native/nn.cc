// tensorgrad native backend: nn kernels. Convolution (im2col / col2im, bias, a direct
// convolution and weight gradient for small channel counts, the bias gradient), 2-D pooling
// (max with indices, average, adaptive average; forward and backward) and the optimizers'
// update steps (SGD, Adam/AdamW, RMSprop, Adagrad).
//
// Each kernel has a TypeScript twin (src/backend/cpu-nn.ts, src/optim/kernels.ts) it is tested
// against (test/native-nn.test.ts). Images are contiguous planes: a batch of planes of h*w
// elements; a window's geometry comes from JavaScript as the array
// [h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow] (input plane, kernel, stride, padding,
// dilation, output plane).
//
// The optimizer steps must round exactly as PyTorch 1.13's CPU ops (and the TypeScript twins)
// do: every multiply, add, divide and sqrt is rounded separately, and only the ops PyTorch
// fuses are fused (std::fma / _mm256_fmadd_ps). The compiler must therefore never contract
// a * b + c on its own: fp-contract is switched off for this file.
#include <cmath>
#include <cstring>
#include <type_traits>

#include "common.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace {

using namespace tg;

// ---------------------------------------------------------------------------------------------
// Argument handling

struct Geo {
  Index h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

constexpr Index kMaxDim = Index(1) << 31;

// Windows of `k` taps (dilation d) that fit whole in size + 2*pad with stride st: PyTorch's
// output size without ceil_mode (0 when even one does not fit).
Index fullWindows(Index size, Index k, Index st, Index pad, Index d) {
  const Index span = size + 2 * pad - d * (k - 1) - 1;
  return span < 0 ? 0 : span / st + 1;
}

bool argGeo(const Napi::CallbackInfo& info, size_t i, const char* fn, Geo* g) {
  std::vector<Index> v;
  if (!argIntArray(info, i, fn, &v)) return false;
  if (v.size() != 12) return typeError(info.Env(), fn, "the window geometry needs 12 numbers");
  *g = Geo{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]};
  const bool positive = g->h >= 1 && g->w >= 1 && g->kh >= 1 && g->kw >= 1 && g->sh >= 1 &&
                        g->sw >= 1 && g->dh >= 1 && g->dw >= 1;
  const bool nonNeg = g->ph >= 0 && g->pw >= 0 && g->oh >= 0 && g->ow >= 0;
  if (!positive || !nonNeg) return rangeError(info.Env(), fn, "invalid window geometry");
  for (Index x : v)
    if (x >= kMaxDim) return rangeError(info.Env(), fn, "window geometry too large");
  if (g->h * g->w >= kMaxDim || g->oh * g->ow >= kMaxDim)
    return rangeError(info.Env(), fn, "plane too large");
  // at most one output past the last whole window (PyTorch's ceil_mode), so no window starts
  // beyond the padded input
  if (g->oh > fullWindows(g->h, g->kh, g->sh, g->ph, g->dh) + 1 ||
      g->ow > fullWindows(g->w, g->kw, g->sw, g->pw, g->dw) + 1)
    return rangeError(info.Env(), fn, "output size does not match the window geometry");
  return true;
}

// Whether every output's window lies inside the padded input (no ceil_mode extra output):
// what kernels that read a zero-padded copy of the input need.
bool wholeWindows(const Geo& g) {
  return g.oh <= fullWindows(g.h, g.kh, g.sh, g.ph, g.dh) &&
         g.ow <= fullWindows(g.w, g.kw, g.sw, g.pw, g.dw);
}

bool sameType(const Napi::CallbackInfo& info, const char* fn, std::initializer_list<Arr*> as) {
  napi_typedarray_type t = napi_float32_array;
  bool first = true;
  for (Arr* a : as) {
    if (!a->present) continue;
    if (first) t = a->type;
    else if (a->type != t)
      return typeError(info.Env(), fn, "float arrays must share one dtype");
    first = false;
  }
  return true;
}

// Whether [off, off + count) lies inside an array of `len` elements (count >= 0).
// Whether [off, off + count) lies inside [0, len); count in double, so a product of sizes
// cannot overflow on its way here.
bool fits(Index len, Index off, double count) {
  return off >= 0 && count >= 0 && off <= len && count <= double(len - off);
}

bool need(const Napi::CallbackInfo& info, const char* fn, bool ok, const char* what) {
  if (!ok) return rangeError(info.Env(), fn, what);
  return true;
}

// The output columns x whose tap at offset `off` (ix = x*sw + off) lies in [0, w): [*a, *b).
inline void validRange(Index off, Index sw, Index w, Index ow, Index* a, Index* b) {
  Index lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
  Index hi = w - 1 - off < 0 ? 0 : (w - 1 - off) / sw + 1;
  *a = std::min(lo, ow);
  *b = std::max(*a, std::min(hi, ow));
}

// validRange for every kernel column j, computed once per call (integer divisions are slow):
// {off, xa, xb} per j, off = j*dw - pw.
std::vector<Index> columnRanges(const Geo& g) {
  std::vector<Index> cr(size_t(3 * g.kw));
  for (Index j = 0; j < g.kw; j++) {
    cr[size_t(3 * j)] = j * g.dw - g.pw;
    validRange(cr[size_t(3 * j)], g.sw, g.w, g.ow, &cr[size_t(3 * j + 1)], &cr[size_t(3 * j + 2)]);
  }
  return cr;
}

// ---------------------------------------------------------------------------------------------
// im2col / col2im (twins: cpu-nn.ts im2col, col2im)

// cols[(ci*kh + i)*kw + j][y*ow + x] = x[ci, y*sh + i*dh - ph, x*sw + j*dw - pw] (0 outside).
template <typename T>
void im2colRows(const T* x, const Geo& g, T* cols, Index r0, Index r1) {
  const Index L = g.oh * g.ow;
  const Index KK = g.kh * g.kw;
  for (Index row = r0; row < r1; row++) {
    const Index ci = row / KK, i = (row % KK) / g.kw, j = row % g.kw;
    const T* plane = x + ci * g.h * g.w;
    const Index di = i * g.dh - g.ph, dj = j * g.dw - g.pw;
    Index xa, xb;
    validRange(dj, g.sw, g.w, g.ow, &xa, &xb);
    T* base = cols + row * L;
    for (Index y = 0; y < g.oh; y++) {
      T* o = base + y * g.ow;
      const Index iy = y * g.sh + di;
      if (iy < 0 || iy >= g.h) {
        std::fill(o, o + g.ow, T(0));
        continue;
      }
      const T* r = plane + iy * g.w + dj;
      std::fill(o, o + xa, T(0));
      if (g.sw == 1) std::memcpy(o + xa, r + xa, size_t(xb - xa) * sizeof(T));
      else
        for (Index xx = xa; xx < xb; xx++) o[xx] = r[xx * g.sw];
      std::fill(o + xb, o + g.ow, T(0));
    }
  }
}

// out[ci] += the entries of cols read from it (the adjoint of im2col), channels [c0, c1).
template <typename T>
void col2imChannels(const T* cols, const Geo& g, T* out, Index c0, Index c1) {
  const Index L = g.oh * g.ow;
  for (Index ci = c0; ci < c1; ci++) {
    T* plane = out + ci * g.h * g.w;
    for (Index i = 0; i < g.kh; i++) {
      for (Index j = 0; j < g.kw; j++) {
        const Index row = (ci * g.kh + i) * g.kw + j;
        const Index di = i * g.dh - g.ph, dj = j * g.dw - g.pw;
        Index xa, xb;
        validRange(dj, g.sw, g.w, g.ow, &xa, &xb);
        for (Index y = 0; y < g.oh; y++) {
          const Index iy = y * g.sh + di;
          if (iy < 0 || iy >= g.h) continue;
          const T* c = cols + row * L + y * g.ow;
          T* r = plane + iy * g.w + dj;
          for (Index xx = xa; xx < xb; xx++) r[xx * g.sw] += c[xx];
        }
      }
    }
  }
}

// im2col(x, xOff, c, geo, cols)
Napi::Value Im2col(const Napi::CallbackInfo& info) {
  const char* fn = "im2col";
  Napi::Env env = info.Env();
  Arr x, cols;
  Index xOff, c;
  Geo g;
  if (!argFloat(info, 0, fn, &x) || !argInt(info, 1, fn, &xOff) || !argInt(info, 2, fn, &c) ||
      !argGeo(info, 3, fn, &g) || !argFloat(info, 4, fn, &cols) || !sameType(info, fn, {&x, &cols}))
    return env.Undefined();
  if (!need(info, fn, c >= 0 && c < kMaxDim && fits(x.len, xOff, double(c) * g.h * g.w),
            "input out of bounds") ||
      !need(info, fn, fits(cols.len, 0, double(c) * g.kh * g.kw * g.oh * g.ow),
            "cols out of bounds"))
    return env.Undefined();
  const Index rows = c * g.kh * g.kw, L = g.oh * g.ow;
  // a copy: two threads only pay off for large matrices (measured: 1 MB of cols)
  const Index minRows = std::max<Index>(1, (Index(1) << 18) / std::max<Index>(L, 1));
  parallelFor(
      rows, minRows,
      [&](Index lo, Index hi) {
        if (x.type == napi_float32_array)
          im2colRows(static_cast<const float*>(x.data) + xOff, g, static_cast<float*>(cols.data),
                     lo, hi);
        else
          im2colRows(static_cast<const double*>(x.data) + xOff, g,
                     static_cast<double*>(cols.data), lo, hi);
      },
      1);
  return env.Undefined();
}

// col2im(cols, c, geo, out, outOff)
Napi::Value Col2im(const Napi::CallbackInfo& info) {
  const char* fn = "col2im";
  Napi::Env env = info.Env();
  Arr cols, out;
  Index c, outOff;
  Geo g;
  if (!argFloat(info, 0, fn, &cols) || !argInt(info, 1, fn, &c) || !argGeo(info, 2, fn, &g) ||
      !argFloat(info, 3, fn, &out) || !argInt(info, 4, fn, &outOff) ||
      !sameType(info, fn, {&cols, &out}))
    return env.Undefined();
  const Index L = g.oh * g.ow;
  if (!need(info, fn, c >= 0 && c < kMaxDim && fits(cols.len, 0, double(c) * g.kh * g.kw * L),
            "cols out of bounds") ||
      !need(info, fn, fits(out.len, outOff, double(c) * g.h * g.w), "output out of bounds"))
    return env.Undefined();
  const Index minC = std::max<Index>(1, (Index(1) << 18) / std::max<Index>(g.kh * g.kw * L, 1));
  parallelFor(
      c, minC,
      [&](Index lo, Index hi) {
        if (cols.type == napi_float32_array)
          col2imChannels(static_cast<const float*>(cols.data), g,
                         static_cast<float*>(out.data) + outOff, lo, hi);
        else
          col2imChannels(static_cast<const double*>(cols.data), g,
                         static_cast<double*>(out.data) + outOff, lo, hi);
      },
      1);
  return env.Undefined();
}

// addChannelBias(out, planes, channels, size, bias, biasOff): out[p, :] += bias[p % channels]
Napi::Value AddChannelBias(const Napi::CallbackInfo& info) {
  const char* fn = "addChannelBias";
  Napi::Env env = info.Env();
  Arr out, bias;
  Index planes, channels, size, biasOff;
  if (!argFloat(info, 0, fn, &out) || !argInt(info, 1, fn, &planes) ||
      !argInt(info, 2, fn, &channels) || !argInt(info, 3, fn, &size) ||
      !argFloat(info, 4, fn, &bias) || !argInt(info, 5, fn, &biasOff) ||
      !sameType(info, fn, {&out, &bias}))
    return env.Undefined();
  if (!need(info, fn, planes >= 0 && size >= 0 && channels >= 1, "invalid sizes") ||
      !need(info, fn, fits(out.len, 0, double(planes) * size), "output out of bounds") ||
      !need(info, fn, fits(bias.len, biasOff, channels), "bias out of bounds"))
    return env.Undefined();
  auto run = [&](auto* o, const auto* b) {
    for (Index p = 0; p < planes; p++) {
      const auto v = b[biasOff + p % channels];
      auto* r = o + p * size;
      for (Index i = 0; i < size; i++) r[i] += v;
    }
  };
  if (out.type == napi_float32_array)
    run(static_cast<float*>(out.data), static_cast<const float*>(bias.data));
  else
    run(static_cast<double*>(out.data), static_cast<const double*>(bias.data));
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// Direct convolution (twin: im2col + gemmNN + addChannelBias in src/ops/conv.ts)
//
// out[n, o, y, x] = sum over (c, i, j) in that order of w[o, c, i, j] * x[n, g*Cg + c, iy, ix]
// (one fused multiply-add per tap, starting from 0; taps in the padding are skipped), then
// + bias[o]. For a few input channels (the first layer of a CNN) this skips the im2col matrix,
// and it writes NCHW directly.

struct ConvShape {
  Index N, C, O, G;
};
using ConvShapeRef = ConvShape;

template <typename T>
void convPlaneScalar(const T* x, const T* wt, T bias, const Geo& g, Index Cg, T* out, const Index* cr) {
  for (Index y = 0; y < g.oh; y++) {
    T* acc = out + y * g.ow;
    std::fill(acc, acc + g.ow, T(0));
    for (Index c = 0; c < Cg; c++) {
      for (Index i = 0; i < g.kh; i++) {
        const Index iy = y * g.sh + i * g.dh - g.ph;
        if (iy < 0 || iy >= g.h) continue;
        const T* row = x + c * g.h * g.w + iy * g.w;
        for (Index j = 0; j < g.kw; j++) {
          const T wv = wt[(c * g.kh + i) * g.kw + j];
          const Index off = cr[3 * j], xa = cr[3 * j + 1], xb = cr[3 * j + 2];
          for (Index xx = xa; xx < xb; xx++) acc[xx] += wv * row[xx * g.sw + off];
        }
      }
    }
    for (Index xx = 0; xx < g.ow; xx++) acc[xx] += bias;
  }
}

// The AVX2 float32 path (unit column stride, output rows of at least 8): each image is copied
// into zero-padded planes (Hp x Wp, the padding materialised), so every tap of every output is
// a plain load at a fixed offset, as im2col's zeros would give. Tiles of OB output channels x
// XB blocks of 8 columns keep OB*XB independent accumulators in registers; taps run in order
// (c, i, j) with one fma each, then + bias: the same operations, in the same order, as the
// scalar path and as im2col + GEMM.

struct Padded {
  Index Hp, Wp;
  std::vector<Index> toff;  // offset of tap (c, i, j) from an output position's origin
};

Padded padGeometry(const Geo& g, Index Cg) {
  Padded pg;
  pg.Hp = g.h + 2 * g.ph;
  pg.Wp = g.w + 2 * g.pw;
  for (Index c = 0; c < Cg; c++)
    for (Index i = 0; i < g.kh; i++)
      for (Index j = 0; j < g.kw; j++)
        pg.toff.push_back(c * pg.Hp * pg.Wp + i * g.dh * pg.Wp + j * g.dw);
  return pg;
}

// C planes h x w from x into P (C planes Hp x Wp, zero margins).
template <typename T>
void padPlanes(const T* x, Index C, const Geo& g, const Padded& pg, T* P) {
  std::fill(P, P + C * pg.Hp * pg.Wp, T(0));
  for (Index c = 0; c < C; c++)
    for (Index iy = 0; iy < g.h; iy++)
      std::memcpy(P + c * pg.Hp * pg.Wp + (iy + g.ph) * pg.Wp + g.pw, x + (c * g.h + iy) * g.w,
                  size_t(g.w) * sizeof(T));
}

#if TG_X86
template <int OB, int XB>
__attribute__((target("avx2,fma"))) inline void convTile(const float* P, const Index* toff,
                                                          Index taps, const float* wt,
                                                          const Index* xs, float* const* rows,
                                                          const float* bias) {
  __m256 acc[OB][XB];
  for (int a = 0; a < OB; a++)
    for (int b = 0; b < XB; b++) acc[a][b] = _mm256_setzero_ps();
  for (Index t = 0; t < taps; t++) {
    __m256 v[XB];
    for (int b = 0; b < XB; b++) v[b] = _mm256_loadu_ps(P + toff[t] + xs[b]);
    for (int a = 0; a < OB; a++) {
      const __m256 wv = _mm256_broadcast_ss(wt + a * taps + t);
      for (int b = 0; b < XB; b++) acc[a][b] = _mm256_fmadd_ps(wv, v[b], acc[a][b]);
    }
  }
  for (int a = 0; a < OB; a++) {
    const __m256 bv = _mm256_set1_ps(bias[a]);
    for (int b = 0; b < XB; b++) _mm256_storeu_ps(rows[a] + xs[b], _mm256_add_ps(acc[a][b], bv));
  }
}

template <int OB>
__attribute__((target("avx2,fma"))) void convRowTiles(const float* P, const Index* toff,
                                                       Index taps, const float* wt,
                                                       const std::vector<Index>& starts,
                                                       float* const* rows, const float* bias) {
  size_t k = 0;
  for (; k + 2 <= starts.size(); k += 2)
    convTile<OB, 2>(P, toff, taps, wt, &starts[k], rows, bias);
  if (k < starts.size()) convTile<OB, 1>(P, toff, taps, wt, &starts[k], rows, bias);
}

// One image: out planes [O][oh*ow] from x planes [C][h*w].
__attribute__((target("avx2,fma"))) void convImageAvx2(const float* x, const float* wt,
                                                        const float* bias, const Geo& g,
                                                        const ConvShapeRef& cs, const Padded& pg,
                                                        std::vector<float>& P, float* out) {
  const Index Cg = cs.C / cs.G, Og = cs.O / cs.G, taps = Cg * g.kh * g.kw, L = g.oh * g.ow;
  P.resize(size_t(cs.C * pg.Hp * pg.Wp));
  padPlanes(x, cs.C, g, pg, P.data());
  // 8-column blocks of a row; the last one overlaps the one before when ow % 8 != 0
  std::vector<Index> starts;
  for (Index xx = 0; xx + 8 <= g.ow; xx += 8) starts.push_back(xx);
  if (g.ow % 8 != 0) starts.push_back(g.ow - 8);
  for (Index gi = 0; gi < cs.G; gi++) {
    const float* Pg = P.data() + gi * Cg * pg.Hp * pg.Wp;
    for (Index y = 0; y < g.oh; y++) {
      const float* Py = Pg + y * g.sh * pg.Wp;
      Index o = gi * Og;
      const Index oEnd = o + Og;
      for (; o < oEnd; o += 4) {
        const Index ob = std::min<Index>(4, oEnd - o);
        float* rows[4];
        for (Index a = 0; a < ob; a++) rows[a] = out + (o + a) * L + y * g.ow;
        const float* wo = wt + o * taps;
        const float* bo = bias + o;
        switch (ob) {
          case 4: convRowTiles<4>(Py, pg.toff.data(), taps, wo, starts, rows, bo); break;
          case 3: convRowTiles<3>(Py, pg.toff.data(), taps, wo, starts, rows, bo); break;
          case 2: convRowTiles<2>(Py, pg.toff.data(), taps, wo, starts, rows, bo); break;
          default: convRowTiles<1>(Py, pg.toff.data(), taps, wo, starts, rows, bo); break;
        }
      }
    }
  }
}
#endif

// conv2dDirect(x, xOff, [N, C, O, G], w, wOff, bias | null, biasOff, geo, out)
Napi::Value Conv2dDirect(const Napi::CallbackInfo& info) {
  const char* fn = "conv2dDirect";
  Napi::Env env = info.Env();
  Arr x, w, bias, out;
  Index xOff, wOff, biasOff;
  std::vector<Index> s;
  Geo g;
  if (!argFloat(info, 0, fn, &x) || !argInt(info, 1, fn, &xOff) || !argIntArray(info, 2, fn, &s) ||
      !argFloat(info, 3, fn, &w) || !argInt(info, 4, fn, &wOff) || !argOptFloat(info, 5, fn, &bias) ||
      !argInt(info, 6, fn, &biasOff) || !argGeo(info, 7, fn, &g) || !argFloat(info, 8, fn, &out) ||
      !sameType(info, fn, {&x, &w, &bias, &out}))
    return env.Undefined();
  if (s.size() != 4) return typeError(env, fn, "argument 2 must be [N, C, O, G]"), env.Undefined();
  if (!need(info, fn, wholeWindows(g), "output size does not match the window geometry"))
    return env.Undefined();
  const ConvShape cs{s[0], s[1], s[2], s[3]};
  if (!need(info, fn,
            cs.N >= 0 && cs.C >= 1 && cs.O >= 1 && cs.G >= 1 && cs.C % cs.G == 0 &&
                cs.O % cs.G == 0 && cs.C < kMaxDim && cs.O < kMaxDim && cs.N < kMaxDim,
            "invalid [N, C, O, G]"))
    return env.Undefined();
  const Index Cg = cs.C / cs.G, Og = cs.O / cs.G, KK = g.kh * g.kw;
  const Index inPlane = g.h * g.w, L = g.oh * g.ow;
  if (!need(info, fn, fits(x.len, xOff, double(cs.N) * cs.C * inPlane), "input out of bounds") ||
      !need(info, fn, fits(w.len, wOff, double(cs.O) * Cg * KK), "weight out of bounds") ||
      !need(info, fn, !bias.present || fits(bias.len, biasOff, cs.O), "bias out of bounds") ||
      !need(info, fn, fits(out.len, 0, double(cs.N) * cs.O * L), "output out of bounds"))
    return env.Undefined();
  const bool f32 = x.type == napi_float32_array;
#if TG_X86
  if (f32 && avx2() && g.sw == 1 && g.ow >= 8) {
    const Padded pg = padGeometry(g, Cg);
    // bias 0 when absent (x + 0 == x for the sums, as the scalar path's + 0)
    std::vector<float> b0(size_t(cs.O), 0.0f);
    const float* bs = bias.present ? static_cast<const float*>(bias.data) + biasOff : b0.data();
    // one task per image; ~O*Cg*KK*L multiply-adds each
    const Index minImages = std::max<Index>(1, 32768 / std::max<Index>(cs.O * Cg * KK * L, 1));
    parallelFor(
        cs.N, minImages,
        [&](Index lo, Index hi) {
          std::vector<float> P;
          for (Index n = lo; n < hi; n++)
            convImageAvx2(static_cast<const float*>(x.data) + xOff + n * cs.C * inPlane,
                          static_cast<const float*>(w.data) + wOff, bs, g, cs, pg, P,
                          static_cast<float*>(out.data) + n * cs.O * L);
        },
        1);
    return env.Undefined();
  }
#endif
  const std::vector<Index> cr = columnRanges(g);
  // one task per output plane; ~Cg*KK*L multiply-adds each
  const Index minPlanes = std::max<Index>(1, 32768 / std::max<Index>(Cg * KK * L, 1));
  parallelFor(
      cs.N * cs.O, minPlanes,
      [&](Index lo, Index hi) {
        for (Index p = lo; p < hi; p++) {
          const Index n = p / cs.O, o = p % cs.O, gi = o / Og;
          const Index xo = xOff + (n * cs.C + gi * Cg) * inPlane, wo = wOff + o * Cg * KK;
          if (f32) {
            const float b = bias.present ? static_cast<const float*>(bias.data)[biasOff + o] : 0;
            convPlaneScalar(static_cast<const float*>(x.data) + xo,
                            static_cast<const float*>(w.data) + wo, b, g, Cg,
                            static_cast<float*>(out.data) + p * L, cr.data());
          } else {
            const double* xs = static_cast<const double*>(x.data) + xo;
            const double b = bias.present ? static_cast<const double*>(bias.data)[biasOff + o] : 0;
            convPlaneScalar(xs, static_cast<const double*>(w.data) + wo, b, g, Cg,
                            static_cast<double*>(out.data) + p * L, cr.data());
          }
        }
      },
      1);
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// Convolution weight gradient (twin: weightGrad in src/ops/conv.ts, im2col + gemmNTAccumulate)
//
// dW[gi][m][c][i][j] = sum over n, y, x of lhs[n, gi*M + m, y, x] * rhs[n, gi*Cg + c, iy, ix]
// with (iy, ix) the input position of tap (i, j) at output (y, x) (lhs planes are oh x ow, rhs
// planes h x w). Products of float32 values are exact in double, and the sum is kept in double,
// so float32 results are (nearly) correctly rounded.

template <typename T>
void weightGradRowScalar(const T* lhs, Index lhsC, const T* rhs, Index rhsC, Index N,
                         const Geo& g, Index Cg, double* acc, const Index* cr) {
  const Index L = g.oh * g.ow, inPlane = g.h * g.w;
  for (Index n = 0; n < N; n++) {
    const T* lr = lhs + n * lhsC * L;
    const T* rb = rhs + n * rhsC * inPlane;
    for (Index y = 0; y < g.oh; y++) {
      const T* l = lr + y * g.ow;
      for (Index c = 0; c < Cg; c++) {
        for (Index i = 0; i < g.kh; i++) {
          const Index iy = y * g.sh + i * g.dh - g.ph;
          if (iy < 0 || iy >= g.h) continue;
          const T* row = rb + c * inPlane + iy * g.w;
          for (Index j = 0; j < g.kw; j++) {
            const Index off = cr[3 * j], xa = cr[3 * j + 1], xb = cr[3 * j + 2];
            double s = 0;
            for (Index xx = xa; xx < xb; xx++) s += double(l[xx]) * double(row[xx * g.sw + off]);
            acc[(c * g.kh + i) * g.kw + j] += s;
          }
        }
      }
    }
  }
}

#if TG_X86
__attribute__((target("avx2,fma"))) inline __m256d load4d(const float* p) {
  return _mm256_cvtps_pd(_mm_loadu_ps(p));
}
__attribute__((target("avx2,fma"))) inline __m256d load4d(const double* p) {
  return _mm256_loadu_pd(p);
}

// The AVX2 float32 path (unit column stride), per image on zero-padded planes as the forward:
// for one lhs plane and NB taps, NB float accumulators of 8 lanes run over the image (the last
// column block masked), then their lanes are added into the double sums. Partial sums over one
// image are float (as a GEMM's would be), the sum over images is double.
template <int NB>
__attribute__((target("avx2,fma"))) void wgradTile(const float* l, const float* P,
                                                    const Index* toff, const Geo& g, Index Wp,
                                                    __m256i tailMask, double* acc) {
  __m256 s[NB];
  for (int k = 0; k < NB; k++) s[k] = _mm256_setzero_ps();
  const Index full = g.ow / 8 * 8;
  for (Index y = 0; y < g.oh; y++) {
    const float* ly = l + y * g.ow;
    const float* Py = P + y * g.sh * Wp;
    Index xx = 0;
    for (; xx < full; xx += 8) {
      const __m256 gv = _mm256_loadu_ps(ly + xx);
      for (int k = 0; k < NB; k++)
        s[k] = _mm256_fmadd_ps(gv, _mm256_loadu_ps(Py + toff[k] + xx), s[k]);
    }
    if (xx < g.ow) {
      const __m256 gv = _mm256_maskload_ps(ly + xx, tailMask);
      for (int k = 0; k < NB; k++)
        s[k] = _mm256_fmadd_ps(gv, _mm256_maskload_ps(Py + toff[k] + xx, tailMask), s[k]);
    }
  }
  for (int k = 0; k < NB; k++) {
    alignas(32) float q[8];
    _mm256_store_ps(q, s[k]);
    double t = 0;
    for (int e = 0; e < 8; e++) t += double(q[e]);
    acc[k] += t;
  }
}

// Rows [r0, r1) of dW (each [taps]) into acc, summed over the N images.
__attribute__((target("avx2,fma"))) void weightGradRowsAvx2(const float* lhs, Index lhsC,
                                                             const float* rhs, Index rhsC,
                                                             Index N, Index G, const Geo& g,
                                                             const Padded& pg, Index r0,
                                                             Index r1, double* acc) {
  const Index M = lhsC / G, Cg = rhsC / G, taps = Cg * g.kh * g.kw;
  const Index L = g.oh * g.ow, inPlane = g.h * g.w, padPlane = pg.Hp * pg.Wp;
  const int rem = int(g.ow % 8);
  alignas(32) int32_t m[8];
  for (int e = 0; e < 8; e++) m[e] = e < rem ? -1 : 0;
  const __m256i tailMask = _mm256_load_si256(reinterpret_cast<const __m256i*>(m));
  std::vector<float> P(size_t(rhsC * padPlane));
  for (Index n = 0; n < N; n++) {
    padPlanes(rhs + n * rhsC * inPlane, rhsC, g, pg, P.data());
    for (Index r = r0; r < r1; r++) {
      const float* l = lhs + (n * lhsC + r) * L;
      const float* Pg = P.data() + (r / M) * Cg * padPlane;
      double* a = acc + (r - r0) * taps;
      // blocks of at most 12 taps (12 accumulators + 2 temporaries fill the 16 registers), as
      // even as possible (9 taps: one block; a block of 1 would be latency-bound)
      const Index blocks = (taps + 11) / 12, size = (taps + blocks - 1) / blocks;
      for (Index t = 0; t < taps; t += size) {
        const Index nb = std::min(size, taps - t);
        const Index* to = pg.toff.data() + t;
        switch (nb) {
#define TG_WGRAD_CASE(K) \
  case K: wgradTile<K>(l, Pg, to, g, pg.Wp, tailMask, a + t); break;
          TG_WGRAD_CASE(12) TG_WGRAD_CASE(11) TG_WGRAD_CASE(10) TG_WGRAD_CASE(9)
          TG_WGRAD_CASE(8) TG_WGRAD_CASE(7) TG_WGRAD_CASE(6) TG_WGRAD_CASE(5)
          TG_WGRAD_CASE(4) TG_WGRAD_CASE(3) TG_WGRAD_CASE(2) TG_WGRAD_CASE(1)
#undef TG_WGRAD_CASE
          default: break;
        }
      }
    }
  }
}
#endif

// convWeightGrad(lhs, lhsOff, rhs, rhsOff, [N, lhsC, rhsC, G], geo, out): out is [G][M][Cg*KK]
Napi::Value ConvWeightGrad(const Napi::CallbackInfo& info) {
  const char* fn = "convWeightGrad";
  Napi::Env env = info.Env();
  Arr lhs, rhs, out;
  Index lhsOff, rhsOff;
  std::vector<Index> s;
  Geo g;
  if (!argFloat(info, 0, fn, &lhs) || !argInt(info, 1, fn, &lhsOff) || !argFloat(info, 2, fn, &rhs) ||
      !argInt(info, 3, fn, &rhsOff) || !argIntArray(info, 4, fn, &s) ||
      !argGeo(info, 5, fn, &g) || !argFloat(info, 6, fn, &out) ||
      !sameType(info, fn, {&lhs, &rhs, &out}))
    return env.Undefined();
  if (s.size() != 4) return typeError(env, fn, "argument 4 must be [N, lhsC, rhsC, G]"), env.Undefined();
  if (!need(info, fn, wholeWindows(g), "output size does not match the window geometry"))
    return env.Undefined();
  const Index N = s[0], lhsC = s[1], rhsC = s[2], G = s[3];
  if (!need(info, fn,
            N >= 0 && lhsC >= 1 && rhsC >= 1 && G >= 1 && lhsC % G == 0 && rhsC % G == 0 &&
                N < kMaxDim && lhsC < kMaxDim && rhsC < kMaxDim,
            "invalid [N, lhsC, rhsC, G]"))
    return env.Undefined();
  const Index M = lhsC / G, Cg = rhsC / G, taps = Cg * g.kh * g.kw;
  const Index L = g.oh * g.ow, inPlane = g.h * g.w;
  if (!need(info, fn, fits(lhs.len, lhsOff, double(N) * lhsC * L), "lhs out of bounds") ||
      !need(info, fn, fits(rhs.len, rhsOff, double(N) * rhsC * inPlane), "rhs out of bounds") ||
      !need(info, fn, fits(out.len, 0, double(G) * M * taps), "output out of bounds"))
    return env.Undefined();
  const bool f32 = lhs.type == napi_float32_array;
#if TG_X86
  if (f32 && avx2() && g.sw == 1) {
    const Padded pg = padGeometry(g, Cg);
    const Index minRows = std::max<Index>(1, 32768 / std::max<Index>(N * taps * L, 1));
    parallelFor(
        G * M, minRows,
        [&](Index lo, Index hi) {
          std::vector<double> acc(static_cast<size_t>((hi - lo) * taps), 0.0);
          weightGradRowsAvx2(static_cast<const float*>(lhs.data) + lhsOff, lhsC,
                             static_cast<const float*>(rhs.data) + rhsOff, rhsC, N, G, g, pg, lo,
                             hi, acc.data());
          float* o = static_cast<float*>(out.data) + lo * taps;
          for (Index t = 0; t < (hi - lo) * taps; t++) o[t] = float(acc[size_t(t)]);
        },
        1);
    return env.Undefined();
  }
#endif
  const std::vector<Index> cr = columnRanges(g);
  const Index minRows = std::max<Index>(1, 32768 / std::max<Index>(N * taps * L, 1));
  parallelFor(
      G * M, minRows,
      [&](Index lo, Index hi) {
        std::vector<double> acc(static_cast<size_t>(taps));
        for (Index r = lo; r < hi; r++) {
          const Index gi = r / M;
          std::fill(acc.begin(), acc.end(), 0.0);
          auto run = [&](const auto* l, const auto* rh) {
            weightGradRowScalar(l + lhsOff + r * L, lhsC, rh + rhsOff + gi * Cg * inPlane, rhsC,
                                N, g, Cg, acc.data(), cr.data());
          };
          if (f32) {
            run(static_cast<const float*>(lhs.data), static_cast<const float*>(rhs.data));
            float* o = static_cast<float*>(out.data) + r * taps;
            for (Index t = 0; t < taps; t++) o[t] = float(acc[size_t(t)]);
          } else {
            run(static_cast<const double*>(lhs.data), static_cast<const double*>(rhs.data));
            double* o = static_cast<double*>(out.data) + r * taps;
            for (Index t = 0; t < taps; t++) o[t] = acc[size_t(t)];
          }
        }
      },
      1);
  return env.Undefined();
}

// channelSum(g, gOff, N, C, L, out): out[c] = sum over n, l of g[n, c, l], summed in double
// (the bias gradient of a convolution; twin: cpu-nn.ts channelSum).
Napi::Value ChannelSum(const Napi::CallbackInfo& info) {
  const char* fn = "channelSum";
  Napi::Env env = info.Env();
  Arr gr, out;
  Index gOff, N, C, L;
  if (!argFloat(info, 0, fn, &gr) || !argInt(info, 1, fn, &gOff) || !argInt(info, 2, fn, &N) ||
      !argInt(info, 3, fn, &C) || !argInt(info, 4, fn, &L) || !argFloat(info, 5, fn, &out) ||
      !sameType(info, fn, {&gr, &out}))
    return env.Undefined();
  if (!need(info, fn, N >= 0 && C >= 0 && L >= 0 && N < kMaxDim && C < kMaxDim && L < kMaxDim,
            "invalid sizes") ||
      !need(info, fn, fits(gr.len, gOff, double(N) * C * L), "input out of bounds") ||
      !need(info, fn, fits(out.len, 0, C), "output out of bounds"))
    return env.Undefined();
  auto run = [&](const auto* src, auto* dst) {
    parallelFor(
        C, std::max<Index>(1, 65536 / std::max<Index>(N * L, 1)),
        [&](Index lo, Index hi) {
          for (Index c = lo; c < hi; c++) {
            double s = 0;
            for (Index n = 0; n < N; n++) {
              const auto* p = src + gOff + (n * C + c) * L;
              s += sumInDouble(p, L);
            }
            dst[c] = static_cast<std::remove_reference_t<decltype(*dst)>>(s);
          }
        },
        1);
  };
  if (gr.type == napi_float32_array)
    run(static_cast<const float*>(gr.data), static_cast<float*>(out.data));
  else
    run(static_cast<const double*>(gr.data), static_cast<double*>(out.data));
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// Max pooling (twins: cpu-nn.ts maxPool2d, maxPool2dBackward)
//
// PyTorch's cpu max_pool2d: each window starts at -padding and is clipped to the input, taps
// in row-major order, a tap wins when it is greater than the best so far or NaN (so the last
// NaN wins); indices are the flat position iy*w + ix in the plane (stored as doubles: int64).

struct Window {
  Index y0, y1;  // rows [y0, y1) step dh, inside the input
};

template <typename T>
void maxPoolScalarCell(const T* plane, const Geo& g, Index y0, Index y1, Index xx, T* out,
                       double* idx) {
  Index x0 = xx * g.sw - g.pw;
  const Index x1 = std::min(x0 + (g.kw - 1) * g.dw + 1, g.w);
  while (x0 < 0) x0 += g.dw;
  T best = -INFINITY;
  Index bestIdx = y0 * g.w + x0;
  for (Index iy = y0; iy < y1; iy += g.dh) {
    const T* r = plane + iy * g.w;
    for (Index ix = x0; ix < x1; ix += g.dw) {
      const T v = r[ix];
      if (v > best || v != v) {
        best = v;
        bestIdx = iy * g.w + ix;
      }
    }
  }
  *out = best;
  *idx = double(bestIdx);
}

template <typename T>
void maxPoolPlanes(const T* x, const Geo& g, T* out, double* idx, Index p0, Index p1) {
  const Index L = g.oh * g.ow;
  for (Index p = p0; p < p1; p++) {
    const T* plane = x + p * g.h * g.w;
    for (Index y = 0; y < g.oh; y++) {
      Index y0 = y * g.sh - g.ph;
      const Index y1 = std::min(y0 + (g.kh - 1) * g.dh + 1, g.h);
      while (y0 < 0) y0 += g.dh;
      const Index o = p * L + y * g.ow;
      for (Index xx = 0; xx < g.ow; xx++)
        maxPoolScalarCell(plane, g, y0, y1, xx, out + o + xx, idx + o + xx);
    }
  }
}

#if TG_X86
// The 8 taps plane[base + k*sw], k = 0..7: a load when sw = 1, two loads and a deinterleave
// when sw = 2 (the common 2x2 / stride 2 pooling), else a gather.
__attribute__((target("avx2,fma"))) inline __m256 tap8(const float* plane, Index base, Index sw,
                                                        __m256i at) {
  if (sw == 1) return _mm256_loadu_ps(plane + base);
  if (sw == 2) {
    const __m256 a = _mm256_loadu_ps(plane + base), b = _mm256_loadu_ps(plane + base + 8);
    // even elements [a0 a2 b0 b2 | a4 a6 b4 b6], then the 64-bit pairs put in order
    const __m256 ev = _mm256_shuffle_ps(a, b, 0x88);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ev), 0xD8));
  }
  return _mm256_i32gather_ps(plane, at, 4);
}

// float32: 8 output columns at once where the whole window row lies inside the input
// (x*sw - pw >= 0 and x*sw - pw + (kw-1)*dw < w). A ragged interior end is covered by one more
// block overlapping the previous (it recomputes the same values); the rest is scalar.
__attribute__((target("avx2,fma"))) void maxPoolPlanesAvx2(const float* x, const Geo& g,
                                                            float* out, double* idx, Index p0,
                                                            Index p1) {
  const Index L = g.oh * g.ow;
  // interior columns [xa, xb); with sw = 2 the deinterleave reads 15 elements past the first
  // tap of a block, so a block must also end inside the row
  const Index xa = std::min(g.ow, (g.pw + g.sw - 1) / g.sw);
  Index last = g.w - 1 - (g.kw - 1) * g.dw + g.pw;  // largest x*sw allowed
  if (g.sw == 2) last = std::min(last, g.w - 16 + 2 * 7 - (g.kw - 1) * g.dw + g.pw);
  const Index xb = last < 0 ? xa : std::max(xa, std::min(g.ow, last / g.sw + 1));
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i laneStride = _mm256_mullo_epi32(lane, _mm256_set1_epi32(int(g.sw)));
  for (Index p = p0; p < p1; p++) {
    const float* plane = x + p * g.h * g.w;
    for (Index y = 0; y < g.oh; y++) {
      Index y0 = y * g.sh - g.ph;
      const Index y1 = std::min(y0 + (g.kh - 1) * g.dh + 1, g.h);
      while (y0 < 0) y0 += g.dh;
      const Index o = p * L + y * g.ow;
      auto block = [&](Index xx) {
        const Index c0 = xx * g.sw - g.pw;  // column of the first window's first tap
        const __m256i col = _mm256_add_epi32(laneStride, _mm256_set1_epi32(int(c0)));
        __m256 best = _mm256_set1_ps(-INFINITY);
        __m256i bestIdx = _mm256_add_epi32(col, _mm256_set1_epi32(int(y0 * g.w)));
        for (Index iy = y0; iy < y1; iy += g.dh) {
          for (Index j = 0; j < g.kw; j++) {
            const Index base = iy * g.w + c0 + j * g.dw;
            const __m256i at = _mm256_add_epi32(laneStride, _mm256_set1_epi32(int(base)));
            const __m256 v = tap8(plane, base, g.sw, at);
            const __m256 win = _mm256_or_ps(_mm256_cmp_ps(v, best, _CMP_GT_OQ),
                                            _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
            best = _mm256_blendv_ps(best, v, win);
            bestIdx = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(bestIdx),
                                                           _mm256_castsi256_ps(at), win));
          }
        }
        _mm256_storeu_ps(out + o + xx, best);
        _mm256_storeu_pd(idx + o + xx, _mm256_cvtepi32_pd(_mm256_castsi256_si128(bestIdx)));
        _mm256_storeu_pd(idx + o + xx + 4,
                         _mm256_cvtepi32_pd(_mm256_extracti128_si256(bestIdx, 1)));
      };
      for (Index xx = 0; xx < xa; xx++)
        maxPoolScalarCell(plane, g, y0, y1, xx, out + o + xx, idx + o + xx);
      Index xx = xa;
      for (; xx + 8 <= xb; xx += 8) block(xx);
      if (xx < xb && xb - xa >= 8) {
        block(xb - 8);
        xx = xb;
      }
      for (; xx < g.ow; xx++)
        maxPoolScalarCell(plane, g, y0, y1, xx, out + o + xx, idx + o + xx);
    }
  }
}
#endif

// maxPool2d(x, xOff, planes, geo, out, indices)
Napi::Value MaxPool2d(const Napi::CallbackInfo& info) {
  const char* fn = "maxPool2d";
  Napi::Env env = info.Env();
  Arr x, out, idx;
  Index xOff, planes;
  Geo g;
  if (!argFloat(info, 0, fn, &x) || !argInt(info, 1, fn, &xOff) || !argInt(info, 2, fn, &planes) ||
      !argGeo(info, 3, fn, &g) || !argFloat(info, 4, fn, &out) || !argF64(info, 5, fn, &idx) ||
      !sameType(info, fn, {&x, &out}))
    return env.Undefined();
  const Index L = g.oh * g.ow;
  if (!need(info, fn, planes >= 0 && planes < kMaxDim, "invalid plane count") ||
      !need(info, fn, fits(x.len, xOff, double(planes) * g.h * g.w), "input out of bounds") ||
      !need(info, fn, fits(out.len, 0, double(planes) * L) && fits(idx.len, 0, double(planes) * L),
            "output out of bounds"))
    return env.Undefined();
  double* id = static_cast<double*>(idx.data);
  const Index minPlanes = std::max<Index>(1, 32768 / std::max<Index>(g.h * g.w, 1));
  parallelFor(
      planes, minPlanes,
      [&](Index lo, Index hi) {
        if (x.type == napi_float32_array) {
          const float* xs = static_cast<const float*>(x.data) + xOff;
#if TG_X86
          if (avx2()) {
            maxPoolPlanesAvx2(xs, g, static_cast<float*>(out.data), id, lo, hi);
            return;
          }
#endif
          maxPoolPlanes(xs, g, static_cast<float*>(out.data), id, lo, hi);
        } else {
          maxPoolPlanes(static_cast<const double*>(x.data) + xOff, g,
                        static_cast<double*>(out.data), id, lo, hi);
        }
      },
      1);
  return env.Undefined();
}

// maxPool2dBackward(gOut, indices, planes, inSize, outSize, out): out[p] = zeros, then
// out[p, indices[p, i]] += gOut[p, i]. Every index is checked to lie in [0, inSize).
Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
  const char* fn = "maxPool2dBackward";
  Napi::Env env = info.Env();
  Arr gOut, idx, out;
  Index planes, inSize, outSize;
  if (!argFloat(info, 0, fn, &gOut) || !argF64(info, 1, fn, &idx) ||
      !argInt(info, 2, fn, &planes) || !argInt(info, 3, fn, &inSize) ||
      !argInt(info, 4, fn, &outSize) || !argFloat(info, 5, fn, &out) ||
      !sameType(info, fn, {&gOut, &out}))
    return env.Undefined();
  if (!need(info, fn,
            planes >= 0 && inSize >= 0 && outSize >= 0 && planes < kMaxDim &&
                inSize < kMaxDim && outSize < kMaxDim,
            "invalid sizes") ||
      !need(info, fn, fits(gOut.len, 0, double(planes) * outSize) && fits(idx.len, 0, double(planes) * outSize),
            "input out of bounds") ||
      !need(info, fn, fits(out.len, 0, double(planes) * inSize), "output out of bounds"))
    return env.Undefined();
  const double* id = static_cast<const double*>(idx.data);
  std::atomic<bool> bad{false};
  auto run = [&](const auto* gs, auto* os) {
    parallelFor(
        planes, std::max<Index>(1, 32768 / std::max<Index>(outSize, 1)),
        [&](Index lo, Index hi) {
          for (Index p = lo; p < hi; p++) {
            const Index ob = p * outSize;
            auto* op = os + p * inSize;
            // zeroing the plane first touches fresh (never-written) pages in order, which is
            // much cheaper than faulting them in at scattered positions (measured, 1.4 MB
            // fresh output: 390 µs scattering alone, 190 µs zero + scatter)
            std::fill(op, op + inSize, 0);
            for (Index i = 0; i < outSize; i++) {
              const double k = id[ob + i];
              // also rejects NaN
              if (!(k >= 0 && k < double(inSize))) {
                bad.store(true, std::memory_order_relaxed);
                return;
              }
              op[Index(k)] += gs[ob + i];
            }
          }
        },
        1);
  };
  if (gOut.type == napi_float32_array)
    run(static_cast<const float*>(gOut.data), static_cast<float*>(out.data));
  else
    run(static_cast<const double*>(gOut.data), static_cast<double*>(out.data));
  if (bad.load()) rangeError(env, fn, "index out of range");
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// Average pooling (twins: cpu-nn.ts avgPool2d, adaptiveAvgPool2d). Sums and quotients are
// formed in double and rounded once at the store, exactly as the TypeScript loops do, so the
// results are bit-identical.

template <typename T>
void avgPoolPlanes(const T* src, const Geo& g, bool includePad, Index divisorOverride, T* dst,
                   bool backward, Index p0, Index p1) {
  for (Index p = p0; p < p1; p++) {
    const Index plane = p * g.h * g.w, obase = p * g.oh * g.ow;
    for (Index y = 0; y < g.oh; y++) {
      Index y0 = y * g.sh - g.ph;
      Index y1 = std::min(y0 + g.kh, g.h + g.ph);
      const Index poolH = y1 - y0;
      y0 = std::max<Index>(y0, 0);
      y1 = std::min(y1, g.h);
      for (Index xx = 0; xx < g.ow; xx++) {
        Index x0 = xx * g.sw - g.pw;
        Index x1 = std::min(x0 + g.kw, g.w + g.pw);
        const Index poolSize = poolH * (x1 - x0);
        x0 = std::max<Index>(x0, 0);
        x1 = std::min(x1, g.w);
        const Index oi = obase + y * g.ow + xx;
        if (y0 >= y1 || x0 >= x1) {
          if (!backward) dst[oi] = 0;
          continue;
        }
        const double div = divisorOverride != 0 ? double(divisorOverride)
                           : includePad         ? double(poolSize)
                                                : double((y1 - y0) * (x1 - x0));
        if (backward) {
          const double gv = double(src[oi]) / div;
          for (Index iy = y0; iy < y1; iy++) {
            T* r = dst + plane + iy * g.w;
            for (Index ix = x0; ix < x1; ix++) r[ix] = T(double(r[ix]) + gv);
          }
        } else {
          double s = 0;
          for (Index iy = y0; iy < y1; iy++) {
            const T* r = src + plane + iy * g.w;
            for (Index ix = x0; ix < x1; ix++) s += double(r[ix]);
          }
          dst[oi] = T(s / div);
        }
      }
    }
  }
}

// avgPool2d(src, srcOff, planes, geo, countIncludePad, divisorOverride, dst, backward)
Napi::Value AvgPool2d(const Napi::CallbackInfo& info) {
  const char* fn = "avgPool2d";
  Napi::Env env = info.Env();
  Arr src, dst;
  Index srcOff, planes, includePad, divisorOverride, backward;
  Geo g;
  if (!argFloat(info, 0, fn, &src) || !argInt(info, 1, fn, &srcOff) ||
      !argInt(info, 2, fn, &planes) || !argGeo(info, 3, fn, &g) ||
      !argInt(info, 4, fn, &includePad) || !argInt(info, 5, fn, &divisorOverride) ||
      !argFloat(info, 6, fn, &dst) || !argInt(info, 7, fn, &backward) ||
      !sameType(info, fn, {&src, &dst}))
    return env.Undefined();
  const Index inN = planes * g.h * g.w, outN = planes * g.oh * g.ow;
  if (!need(info, fn, planes >= 0 && planes < kMaxDim, "invalid plane count") ||
      !need(info, fn, fits(src.len, srcOff, backward ? outN : inN), "input out of bounds") ||
      !need(info, fn, fits(dst.len, 0, backward ? inN : outN), "output out of bounds"))
    return env.Undefined();
  const Index minPlanes = std::max<Index>(1, 32768 / std::max<Index>(g.h * g.w, 1));
  parallelFor(
      planes, minPlanes,
      [&](Index lo, Index hi) {
        if (src.type == napi_float32_array)
          avgPoolPlanes(static_cast<const float*>(src.data) + srcOff, g, includePad != 0,
                        divisorOverride, static_cast<float*>(dst.data), backward != 0, lo, hi);
        else
          avgPoolPlanes(static_cast<const double*>(src.data) + srcOff, g, includePad != 0,
                        divisorOverride, static_cast<double*>(dst.data), backward != 0, lo, hi);
      },
      1);
  return env.Undefined();
}

// PyTorch's adaptive pooling window of output cell a out of b over an input of c.
inline Index startIndex(Index a, Index b, Index c) { return (a * c) / b; }
inline Index endIndex(Index a, Index b, Index c) { return ((a + 1) * c + b - 1) / b; }

template <typename T>
void adaptivePlanes(const T* src, Index h, Index w, Index oh, Index ow, T* dst, bool backward,
                    Index p0, Index p1) {
  for (Index p = p0; p < p1; p++) {
    const Index plane = p * h * w, obase = p * oh * ow;
    for (Index y = 0; y < oh; y++) {
      const Index y0 = startIndex(y, oh, h), y1 = endIndex(y, oh, h);
      for (Index xx = 0; xx < ow; xx++) {
        const Index x0 = startIndex(xx, ow, w), x1 = endIndex(xx, ow, w);
        const double count = double((y1 - y0) * (x1 - x0));
        const Index oi = obase + y * ow + xx;
        if (backward) {
          const double gv = double(src[oi]) / count;
          for (Index iy = y0; iy < y1; iy++) {
            T* r = dst + plane + iy * w;
            for (Index ix = x0; ix < x1; ix++) r[ix] = T(double(r[ix]) + gv);
          }
        } else {
          double s = 0;
          for (Index iy = y0; iy < y1; iy++) {
            const T* r = src + plane + iy * w;
            for (Index ix = x0; ix < x1; ix++) s += double(r[ix]);
          }
          dst[oi] = T(s / count);
        }
      }
    }
  }
}

// adaptiveAvgPool2d(src, srcOff, planes, [h, w, oh, ow], dst, backward)
Napi::Value AdaptiveAvgPool2d(const Napi::CallbackInfo& info) {
  const char* fn = "adaptiveAvgPool2d";
  Napi::Env env = info.Env();
  Arr src, dst;
  Index srcOff, planes, backward;
  std::vector<Index> s;
  if (!argFloat(info, 0, fn, &src) || !argInt(info, 1, fn, &srcOff) ||
      !argInt(info, 2, fn, &planes) || !argIntArray(info, 3, fn, &s) ||
      !argFloat(info, 4, fn, &dst) || !argInt(info, 5, fn, &backward) ||
      !sameType(info, fn, {&src, &dst}))
    return env.Undefined();
  if (s.size() != 4) return typeError(env, fn, "argument 3 must be [h, w, oh, ow]"), env.Undefined();
  const Index h = s[0], w = s[1], oh = s[2], ow = s[3];
  if (!need(info, fn,
            planes >= 0 && planes < kMaxDim && h >= 1 && w >= 1 && oh >= 1 && ow >= 1 &&
                h * w < kMaxDim && oh * ow < kMaxDim,
            "invalid sizes"))
    return env.Undefined();
  const Index inN = planes * h * w, outN = planes * oh * ow;
  if (!need(info, fn, fits(src.len, srcOff, backward ? outN : inN), "input out of bounds") ||
      !need(info, fn, fits(dst.len, 0, backward ? inN : outN), "output out of bounds"))
    return env.Undefined();
  parallelFor(
      planes, std::max<Index>(1, 32768 / (h * w)),
      [&](Index lo, Index hi) {
        if (src.type == napi_float32_array)
          adaptivePlanes(static_cast<const float*>(src.data) + srcOff, h, w, oh, ow,
                         static_cast<float*>(dst.data), backward != 0, lo, hi);
        else
          adaptivePlanes(static_cast<const double*>(src.data) + srcOff, h, w, oh, ow,
                         static_cast<double*>(dst.data), backward != 0, lo, hi);
      },
      1);
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------
// Optimizer steps (twins: src/optim/kernels.ts). The scalar constants arrive already rounded to
// the parameter's dtype (the TypeScript side computes them as PyTorch does); every operation
// below rounds to T, fma(a, b, c) is one rounding of a*b + c, exactly as in the twins.
//
// The AVX2 float32 paths run the same operations lane by lane (_mm256_fmadd_ps is a correctly
// rounded fma, the IEEE add/mul/div/sqrt are correctly rounded), so all paths are bit-identical.
// Ragged ends go through the vector code too, via a zero-padded copy of the last lanes.

constexpr int kMaximize = 1, kWeightDecay = 2, kMomentum = 4, kInit = 8, kNesterov = 16,
              kDecoupled = 32, kAmsgrad = 64, kCentered = 128;

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

// Shared argument handling of the optimizer bindings: p, pOff, g, gOff, n, then `states`
// state arrays (each null or of length >= n, indexed from 0), then the constants, then flags.
struct OptArgs {
  Arr p, g;
  Index pOff = 0, gOff = 0, n = 0;
  Arr st[3];
  std::vector<double> c;
  int flags = 0;
};

bool optArgs(const Napi::CallbackInfo& info, const char* fn, int states, int consts,
             OptArgs* a) {
  if (!argFloat(info, 0, fn, &a->p) || !argInt(info, 1, fn, &a->pOff) ||
      !argFloat(info, 2, fn, &a->g) || !argInt(info, 3, fn, &a->gOff) ||
      !argInt(info, 4, fn, &a->n))
    return false;
  for (int s = 0; s < states; s++)
    if (!argOptFloat(info, size_t(5 + s), fn, &a->st[s])) return false;
  a->c.resize(size_t(consts));
  for (int c = 0; c < consts; c++)
    if (!argNumber(info, size_t(5 + states + c), fn, &a->c[size_t(c)])) return false;
  Index flags;
  if (!argInt(info, size_t(5 + states + consts), fn, &flags)) return false;
  a->flags = int(flags);
  if (!sameType(info, fn, {&a->p, &a->g, &a->st[0], &a->st[1], &a->st[2]})) return false;
  if (!need(info, fn, fits(a->p.len, a->pOff, a->n), "parameter out of bounds") ||
      !need(info, fn, fits(a->g.len, a->gOff, a->n), "gradient out of bounds"))
    return false;
  for (int s = 0; s < states; s++)
    if (a->st[s].present && !need(info, fn, a->st[s].len >= a->n, "state out of bounds"))
      return false;
  return true;
}

// Elements per thread of an optimizer step: below 2 * this one thread does it all (measured on
// the 2-core machine: SGD on 64k float32 elements takes ~25 µs on one thread, while waking a
// second costs 5-20 µs).
constexpr Index kOptMinPerThread = 1 << 16;

template <typename F>
void optRun(const OptArgs& a, F body) {
  parallelFor(a.n, kOptMinPerThread, body, 64);
}

// The state array s as T* (nullptr when absent), checked by the caller via the flags.
template <typename T>
T* stateOf(const OptArgs& a, int s) {
  return a.st[s].present ? static_cast<T*>(a.st[s].data) : nullptr;
}

// sgdStep(p, pOff, g, gOff, n, buf, wd, mom, damp, negLr, flags)
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  const char* fn = "sgdStep";
  OptArgs a;
  if (!optArgs(info, fn, 1, 4, &a)) return info.Env().Undefined();
  if ((a.flags & kMomentum) && !a.st[0].present)
    return typeError(info.Env(), fn, "momentum needs a buffer"), info.Env().Undefined();
  const SgdC k{a.c[0], a.c[1], a.c[2], a.c[3]};
  if (a.p.type == napi_float32_array) {
    float* p = static_cast<float*>(a.p.data) + a.pOff;
    const float* g = static_cast<const float*>(a.g.data) + a.gOff;
    float* buf = stateOf<float>(a, 0);
    optRun(a, [&](Index lo, Index hi) {
#if TG_X86
      if (avx2()) return sgdAvx2(p, g, buf, lo, hi, k, a.flags);
#endif
      sgdScalar(p, g, buf, lo, hi, k, a.flags);
    });
  } else {
    double* p = static_cast<double*>(a.p.data) + a.pOff;
    const double* g = static_cast<const double*>(a.g.data) + a.gOff;
    double* buf = stateOf<double>(a, 0);
    optRun(a, [&](Index lo, Index hi) { sgdScalar(p, g, buf, lo, hi, k, a.flags); });
  }
  return info.Env().Undefined();
}

// adamStep(p, pOff, g, gOff, n, m, v, vmax, b1, b2, omb1, omb2, eps, wd, decay, negStepSize,
//          bc2Sqrt, flags)
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  const char* fn = "adamStep";
  OptArgs a;
  if (!optArgs(info, fn, 3, 9, &a)) return info.Env().Undefined();
  if (!a.st[0].present || !a.st[1].present || ((a.flags & kAmsgrad) && !a.st[2].present))
    return typeError(info.Env(), fn, "missing state arrays"), info.Env().Undefined();
  const AdamC k{a.c[0], a.c[1], a.c[2], a.c[3], a.c[4], a.c[5], a.c[6], a.c[7], a.c[8]};
  if (a.p.type == napi_float32_array) {
    float* p = static_cast<float*>(a.p.data) + a.pOff;
    const float* g = static_cast<const float*>(a.g.data) + a.gOff;
    float *m = stateOf<float>(a, 0), *v = stateOf<float>(a, 1), *vm = stateOf<float>(a, 2);
    optRun(a, [&](Index lo, Index hi) {
#if TG_X86
      if (avx2()) return adamAvx2(p, g, m, v, vm, lo, hi, k, a.flags);
#endif
      adamScalar(p, g, m, v, vm, lo, hi, k, a.flags);
    });
  } else {
    double* p = static_cast<double*>(a.p.data) + a.pOff;
    const double* g = static_cast<const double*>(a.g.data) + a.gOff;
    double *m = stateOf<double>(a, 0), *v = stateOf<double>(a, 1), *vm = stateOf<double>(a, 2);
    optRun(a, [&](Index lo, Index hi) { adamScalar(p, g, m, v, vm, lo, hi, k, a.flags); });
  }
  return info.Env().Undefined();
}

// rmspropStep(p, pOff, g, gOff, n, sq, gavg, buf, alpha, oma, eps, wd, mom, negLr, flags)
Napi::Value RmspropStep(const Napi::CallbackInfo& info) {
  const char* fn = "rmspropStep";
  OptArgs a;
  if (!optArgs(info, fn, 3, 6, &a)) return info.Env().Undefined();
  if (!a.st[0].present || ((a.flags & kCentered) && !a.st[1].present) ||
      ((a.flags & kMomentum) && !a.st[2].present))
    return typeError(info.Env(), fn, "missing state arrays"), info.Env().Undefined();
  const RmsC k{a.c[0], a.c[1], a.c[2], a.c[3], a.c[4], a.c[5]};
  if (a.p.type == napi_float32_array) {
    float* p = static_cast<float*>(a.p.data) + a.pOff;
    const float* g = static_cast<const float*>(a.g.data) + a.gOff;
    float *sq = stateOf<float>(a, 0), *ga = stateOf<float>(a, 1), *buf = stateOf<float>(a, 2);
    optRun(a, [&](Index lo, Index hi) {
#if TG_X86
      if (avx2()) return rmspropAvx2(p, g, sq, ga, buf, lo, hi, k, a.flags);
#endif
      rmspropScalar(p, g, sq, ga, buf, lo, hi, k, a.flags);
    });
  } else {
    double* p = static_cast<double*>(a.p.data) + a.pOff;
    const double* g = static_cast<const double*>(a.g.data) + a.gOff;
    double *sq = stateOf<double>(a, 0), *ga = stateOf<double>(a, 1),
           *buf = stateOf<double>(a, 2);
    optRun(a, [&](Index lo, Index hi) { rmspropScalar(p, g, sq, ga, buf, lo, hi, k, a.flags); });
  }
  return info.Env().Undefined();
}

// adagradStep(p, pOff, g, gOff, n, sum, wd, eps, negClr, flags)
Napi::Value AdagradStep(const Napi::CallbackInfo& info) {
  const char* fn = "adagradStep";
  OptArgs a;
  if (!optArgs(info, fn, 1, 3, &a)) return info.Env().Undefined();
  if (!a.st[0].present)
    return typeError(info.Env(), fn, "missing state array"), info.Env().Undefined();
  const AdagradC k{a.c[0], a.c[1], a.c[2]};
  if (a.p.type == napi_float32_array) {
    float* p = static_cast<float*>(a.p.data) + a.pOff;
    const float* g = static_cast<const float*>(a.g.data) + a.gOff;
    float* sum = stateOf<float>(a, 0);
    optRun(a, [&](Index lo, Index hi) {
#if TG_X86
      if (avx2()) return adagradAvx2(p, g, sum, lo, hi, k, a.flags);
#endif
      adagradScalar(p, g, sum, lo, hi, k, a.flags);
    });
  } else {
    double* p = static_cast<double*>(a.p.data) + a.pOff;
    const double* g = static_cast<const double*>(a.g.data) + a.gOff;
    double* sum = stateOf<double>(a, 0);
    optRun(a, [&](Index lo, Index hi) { adagradScalar(p, g, sum, lo, hi, k, a.flags); });
  }
  return info.Env().Undefined();
}

}  // namespace

namespace tg {
void registerNn(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"im2col", Im2col},
      {"col2im", Col2im},
      {"addChannelBias", AddChannelBias},
      {"conv2dDirect", Conv2dDirect},
      {"convWeightGrad", ConvWeightGrad},
      {"channelSum", ChannelSum},
      {"maxPool2d", MaxPool2d},
      {"maxPool2dBackward", MaxPool2dBackward},
      {"avgPool2d", AvgPool2d},
      {"adaptiveAvgPool2d", AdaptiveAvgPool2d},
      {"sgdStep", SgdStep},
      {"adamStep", AdamStep},
      {"rmspropStep", RmspropStep},
      {"adagradStep", AdagradStep},
  };
  for (const auto& [name, f] : fns) exports.Set(name, Napi::Function::New(env, f, name));
}
}  // namespace tg
