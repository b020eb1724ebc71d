// tensorgrad native backend: convolution kernels. im2col / col2im, the channel bias, a direct
// convolution and weight gradient for small channel counts, and the bias gradient; the twins
// of src/backend/conv.ts (tested against them in test/native-nn.test.ts). Windows: window.h.
#include <cmath>
#include <cstring>
#include <type_traits>

#include "abi.gen.h"

// No contraction of a * b + c, as this code was always compiled (it shared nn.cc with the
// optimizer steps): the portable loops round each multiply and add separately.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace tg {
namespace {

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
// im2col / col2im (twins: conv.ts im2col, col2im)

// cols[((ci*kd + a)*kh + i)*kw + j][(z*oh + y)*ow + x] =
//   x[ci, z*sd + a*dd - pd, y*sh + i*dh - ph, x*sw + j*dw - pw] (0 outside); 2-D: kd = od = 1.
template <typename T>
void im2colRows(const T* x, const Geo& g, T* cols, Index r0, Index r1) {
  const Index P = g.oh * g.ow, L = g.od * P;
  const Index KK = g.kh * g.kw, KKK = g.kd * KK;
  for (Index row = r0; row < r1; row++) {
    const Index ci = row / KKK, a = (row % KKK) / KK, i = (row % KK) / g.kw, j = row % g.kw;
    const Index di = i * g.dh - g.ph, dj = j * g.dw - g.pw, da = a * g.dd - g.pd;
    Index xa, xb;
    validRange(dj, g.sw, g.w, g.ow, &xa, &xb);
    for (Index z = 0; z < g.od; z++) {
      T* base = cols + row * L + z * P;
      const Index iz = z * g.sd + da;
      if (iz < 0 || iz >= g.d) {
        std::fill(base, base + P, T(0));
        continue;
      }
      const T* plane = x + (ci * g.d + iz) * g.h * g.w;
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
}

// out[ci] += the entries of cols read from it (the adjoint of im2col), channels [c0, c1).
template <typename T>
void col2imChannels(const T* cols, const Geo& g, T* out, Index c0, Index c1) {
  const Index P = g.oh * g.ow, L = g.od * P;
  for (Index ci = c0; ci < c1; ci++) {
    for (Index a = 0; a < g.kd; a++) {
      const Index da = a * g.dd - g.pd;
      for (Index i = 0; i < g.kh; i++) {
        for (Index j = 0; j < g.kw; j++) {
          const Index row = ((ci * g.kd + a) * g.kh + i) * g.kw + j;
          const Index di = i * g.dh - g.ph, dj = j * g.dw - g.pw;
          Index xa, xb;
          validRange(dj, g.sw, g.w, g.ow, &xa, &xb);
          for (Index z = 0; z < g.od; z++) {
            const Index iz = z * g.sd + da;
            if (iz < 0 || iz >= g.d) continue;
            T* plane = out + (ci * g.d + iz) * g.h * g.w;
            for (Index y = 0; y < g.oh; y++) {
              const Index iy = y * g.sh + di;
              if (iy < 0 || iy >= g.h) continue;
              const T* c = cols + row * L + z * P + y * g.ow;
              T* r = plane + iy * g.w + dj;
              for (Index xx = xa; xx < xb; xx++) r[xx * g.sw] += c[xx];
            }
          }
        }
      }
    }
  }
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


}  // namespace

// ---------------------------------------------------------------------------------------------
// Bindings (arguments parsed by abi.gen.cc)

Napi::Value run(const Napi::CallbackInfo& info, const args::im2col& arg) {
  const char* fn = arg.name;
  const Arr &x = arg.x, &cols = arg.cols;
  const Index xOff = arg.xOff, c = arg.c;
  const Geo& g = arg.geo;
  if (!need(info, fn, c >= 0 && c < kMaxDim && fits(x.len, xOff, double(c) * g.inVol()),
            "input out of bounds") ||
      !need(info, fn, fits(cols.len, 0, double(c) * g.kd * g.kh * g.kw * g.outVol()),
            "cols out of bounds"))
    return info.Env().Undefined();
  const Index rows = c * g.kd * g.kh * g.kw, L = g.outVol();
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
  return info.Env().Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::col2im& arg) {
  const char* fn = arg.name;
  const Arr &cols = arg.cols, &out = arg.out;
  const Index c = arg.c, outOff = arg.outOff;
  const Geo& g = arg.geo;
  const Index L = g.outVol();
  if (!need(info, fn,
            c >= 0 && c < kMaxDim && fits(cols.len, 0, double(c) * g.kd * g.kh * g.kw * L),
            "cols out of bounds") ||
      !need(info, fn, fits(out.len, outOff, double(c) * g.inVol()), "output out of bounds"))
    return info.Env().Undefined();
  const Index minC =
      std::max<Index>(1, (Index(1) << 18) / std::max<Index>(g.kd * g.kh * g.kw * L, 1));
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
  return info.Env().Undefined();
}

// out[p, :] += bias[p % channels]
Napi::Value run(const Napi::CallbackInfo& info, const args::addChannelBias& arg) {
  const char* fn = arg.name;
  const Arr &out = arg.out, &bias = arg.bias;
  const Index planes = arg.planes, channels = arg.channels, size = arg.size;
  const Index biasOff = arg.biasOff;
  if (!need(info, fn, planes >= 0 && size >= 0 && channels >= 1, "invalid sizes") ||
      !need(info, fn, fits(out.len, 0, double(planes) * size), "output out of bounds") ||
      !need(info, fn, fits(bias.len, biasOff, channels), "bias out of bounds"))
    return info.Env().Undefined();
  auto apply = [&](auto* o, const auto* b) {
    for (Index p = 0; p < planes; p++) {
      const auto v = b[biasOff + p % channels];
      auto* r = o + p * size;
      for (Index i = 0; i < size; i++) r[i] += v;
    }
  };
  if (out.type == napi_float32_array)
    apply(static_cast<float*>(out.data), static_cast<const float*>(bias.data));
  else
    apply(static_cast<double*>(out.data), static_cast<const double*>(bias.data));
  return info.Env().Undefined();
}

// NCHW out = the convolution of x (N, C) with w (O, C/G) and the optional bias, G groups.
Napi::Value run(const Napi::CallbackInfo& info, const args::conv2dDirect& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &x = arg.x, &w = arg.w, &bias = arg.bias, &out = arg.out;
  const Index xOff = arg.xOff, wOff = arg.wOff, biasOff = arg.biasOff;
  const Geo& g = arg.geo;
  if (!need(info, fn, wholeWindows(g), "output size does not match the window geometry") ||
      !need(info, fn, g.planar(), "a 2-D window is needed"))
    return env.Undefined();
  const ConvShape cs{arg.N, arg.C, arg.O, arg.G};
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

// out [G][M][Cg*kh*kw] = the weight gradient from lhs [N, lhsC, oh, ow] and rhs [N, rhsC, h, w]
Napi::Value run(const Napi::CallbackInfo& info, const args::convWeightGrad& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &lhs = arg.lhs, &rhs = arg.rhs, &out = arg.out;
  const Index lhsOff = arg.lhsOff, rhsOff = arg.rhsOff;
  const Index N = arg.N, lhsC = arg.lhsC, rhsC = arg.rhsC, G = arg.G;
  const Geo& g = arg.geo;
  if (!need(info, fn, wholeWindows(g), "output size does not match the window geometry") ||
      !need(info, fn, g.planar(), "a 2-D window is needed"))
    return env.Undefined();
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
          auto apply = [&](const auto* l, const auto* rh) {
            weightGradRowScalar(l + lhsOff + r * L, lhsC, rh + rhsOff + gi * Cg * inPlane, rhsC,
                                N, g, Cg, acc.data(), cr.data());
          };
          if (f32) {
            apply(static_cast<const float*>(lhs.data), static_cast<const float*>(rhs.data));
            float* o = static_cast<float*>(out.data) + r * taps;
            for (Index t = 0; t < taps; t++) o[t] = float(acc[size_t(t)]);
          } else {
            apply(static_cast<const double*>(lhs.data), static_cast<const double*>(rhs.data));
            double* o = static_cast<double*>(out.data) + r * taps;
            for (Index t = 0; t < taps; t++) o[t] = acc[size_t(t)];
          }
        }
      },
      1);
  return env.Undefined();
}

// out[c] = sum over n, l of g[n, c, l], summed in double (the bias gradient of a convolution).
Napi::Value run(const Napi::CallbackInfo& info, const args::channelSum& arg) {
  const char* fn = arg.name;
  const Arr &gr = arg.g, &out = arg.out;
  const Index gOff = arg.gOff, N = arg.N, C = arg.C, L = arg.L;
  if (!need(info, fn, N >= 0 && C >= 0 && L >= 0 && N < kMaxDim && C < kMaxDim && L < kMaxDim,
            "invalid sizes") ||
      !need(info, fn, fits(gr.len, gOff, double(N) * C * L), "input out of bounds") ||
      !need(info, fn, fits(out.len, 0, C), "output out of bounds"))
    return info.Env().Undefined();
  auto apply = [&](const auto* src, auto* dst) {
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
    apply(static_cast<const float*>(gr.data), static_cast<float*>(out.data));
  else
    apply(static_cast<const double*>(gr.data), static_cast<double*>(out.data));
  return info.Env().Undefined();
}

}  // namespace tg
