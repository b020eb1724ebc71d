// tensorgrad native backend: 2-D pooling (max with indices, average, adaptive average; forward
// and backward), the twins of src/backend/pooling.ts (tested against them in
// test/native-nn.test.ts). Windows: window.h.
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

// ---------------------------------------------------------------------------------------------
// Max pooling (twins: pooling.ts maxPool2d, maxPool2dBackward)
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


// ---------------------------------------------------------------------------------------------
// Average pooling (twins: pooling.ts avgPool2d, adaptiveAvgPool2d). Sums and quotients are
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


}  // namespace

// ---------------------------------------------------------------------------------------------
// Bindings (arguments parsed by abi.gen.cc)

Napi::Value run(const Napi::CallbackInfo& info, const args::maxPool2d& arg) {
  const char* fn = arg.name;
  const Arr &x = arg.x, &out = arg.out, &idx = arg.indices;
  const Index xOff = arg.xOff, planes = arg.planes;
  const Geo& g = arg.geo;
  const Index L = g.oh * g.ow;
  if (!need(info, fn, planes >= 0 && planes < kMaxDim, "invalid plane count") ||
      !need(info, fn, fits(x.len, xOff, double(planes) * g.h * g.w), "input out of bounds") ||
      !need(info, fn, fits(out.len, 0, double(planes) * L) && fits(idx.len, 0, double(planes) * L),
            "output out of bounds"))
    return info.Env().Undefined();
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
  return info.Env().Undefined();
}

// out[p] = zeros, then out[p, indices[p, i]] += gOut[p, i]. Every index is checked to lie in
// [0, inSize).
Napi::Value run(const Napi::CallbackInfo& info, const args::maxPool2dBackward& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &gOut = arg.gOut, &idx = arg.indices, &out = arg.out;
  const Index planes = arg.planes, inSize = arg.inSize, outSize = arg.outSize;
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
  auto apply = [&](const auto* gs, auto* os) {
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
    apply(static_cast<const float*>(gOut.data), static_cast<float*>(out.data));
  else
    apply(static_cast<const double*>(gOut.data), static_cast<double*>(out.data));
  if (bad.load()) rangeError(env, fn, "index out of range");
  return env.Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::avgPool2d& arg) {
  const char* fn = arg.name;
  const Arr &src = arg.src, &dst = arg.dst;
  const Index srcOff = arg.srcOff, planes = arg.planes, divisorOverride = arg.divisorOverride;
  const bool includePad = arg.countIncludePad != 0, backward = arg.backward != 0;
  const Geo& g = arg.geo;
  const Index inN = planes * g.h * g.w, outN = planes * g.oh * g.ow;
  if (!need(info, fn, planes >= 0 && planes < kMaxDim, "invalid plane count") ||
      !need(info, fn, fits(src.len, srcOff, backward ? outN : inN), "input out of bounds") ||
      !need(info, fn, fits(dst.len, 0, backward ? inN : outN), "output out of bounds"))
    return info.Env().Undefined();
  const Index minPlanes = std::max<Index>(1, 32768 / std::max<Index>(g.h * g.w, 1));
  parallelFor(
      planes, minPlanes,
      [&](Index lo, Index hi) {
        if (src.type == napi_float32_array)
          avgPoolPlanes(static_cast<const float*>(src.data) + srcOff, g, includePad,
                        divisorOverride, static_cast<float*>(dst.data), backward, lo, hi);
        else
          avgPoolPlanes(static_cast<const double*>(src.data) + srcOff, g, includePad,
                        divisorOverride, static_cast<double*>(dst.data), backward, lo, hi);
      },
      1);
  return info.Env().Undefined();
}

Napi::Value run(const Napi::CallbackInfo& info, const args::adaptiveAvgPool2d& arg) {
  const char* fn = arg.name;
  const Arr &src = arg.src, &dst = arg.dst;
  const Index srcOff = arg.srcOff, planes = arg.planes;
  const Index h = arg.h, w = arg.w, oh = arg.oh, ow = arg.ow;
  const bool backward = arg.backward != 0;
  if (!need(info, fn,
            planes >= 0 && planes < kMaxDim && h >= 1 && w >= 1 && oh >= 1 && ow >= 1 &&
                h < kMaxDim && w < kMaxDim && oh < kMaxDim && ow < kMaxDim &&
                h * w < kMaxDim && oh * ow < kMaxDim,
            "invalid sizes"))
    return info.Env().Undefined();
  const Index inN = planes * h * w, outN = planes * oh * ow;
  if (!need(info, fn, fits(src.len, srcOff, backward ? outN : inN), "input out of bounds") ||
      !need(info, fn, fits(dst.len, 0, backward ? inN : outN), "output out of bounds"))
    return info.Env().Undefined();
  parallelFor(
      planes, std::max<Index>(1, 32768 / (h * w)),
      [&](Index lo, Index hi) {
        if (src.type == napi_float32_array)
          adaptivePlanes(static_cast<const float*>(src.data) + srcOff, h, w, oh, ow,
                         static_cast<float*>(dst.data), backward, lo, hi);
        else
          adaptivePlanes(static_cast<const double*>(src.data) + srcOff, h, w, oh, ow,
                         static_cast<double*>(dst.data), backward, lo, hi);
      },
      1);
  return info.Env().Undefined();
}

}  // namespace tg
