// tensorgrad native backend: 2-D and 3-D pooling (max with indices, average, adaptive average; forward
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

// 3-D: depth taps outermost (z0, z1 step dd), the index the flat position (iz*h + iy)*w + ix in
// the volume; a 2-D window is one plane deep.

// The taps [t0, t1) step dil of output o along a dim of `size` (window from o*st - pad).
inline void tapRange(Index o, Index st, Index pad, Index k, Index dil, Index size, Index* t0,
                     Index* t1) {
  Index a = o * st - pad;
  *t1 = std::min(a + (k - 1) * dil + 1, size);
  while (a < 0) a += dil;
  *t0 = a;
}

template <typename T>
void maxPoolScalarCell(const T* vol, const Geo& g, Index z0, Index z1, Index y0, Index y1,
                       Index xx, T* out, double* idx) {
  Index x0 = xx * g.sw - g.pw;
  const Index x1 = std::min(x0 + (g.kw - 1) * g.dw + 1, g.w);
  while (x0 < 0) x0 += g.dw;
  T best = -INFINITY;
  Index bestIdx = (z0 * g.h + y0) * g.w + x0;
  for (Index iz = z0; iz < z1; iz += g.dd) {
    for (Index iy = y0; iy < y1; iy += g.dh) {
      const Index rowAt = (iz * g.h + iy) * g.w;
      const T* r = vol + rowAt;
      for (Index ix = x0; ix < x1; ix += g.dw) {
        const T v = r[ix];
        if (v > best || v != v) {
          best = v;
          bestIdx = rowAt + ix;
        }
      }
    }
  }
  *out = best;
  *idx = double(bestIdx);
}

template <typename T>
void maxPoolPlanes(const T* x, const Geo& g, T* out, double* idx, Index p0, Index p1) {
  const Index L = g.outVol();
  for (Index p = p0; p < p1; p++) {
    const T* vol = x + p * g.inVol();
    for (Index z = 0; z < g.od; z++) {
      Index z0, z1;
      tapRange(z, g.sd, g.pd, g.kd, g.dd, g.d, &z0, &z1);
      for (Index y = 0; y < g.oh; y++) {
        Index y0, y1;
        tapRange(y, g.sh, g.ph, g.kh, g.dh, g.h, &y0, &y1);
        const Index o = p * L + (z * g.oh + y) * g.ow;
        for (Index xx = 0; xx < g.ow; xx++)
          maxPoolScalarCell(vol, g, z0, z1, y0, y1, xx, out + o + xx, idx + o + xx);
      }
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
  const Index L = g.outVol();
  // interior columns [xa, xb); with sw = 2 the deinterleave reads 15 elements past the first
  // tap of a block, so a block must also end inside the row
  const Index xa = std::min(g.ow, (g.pw + g.sw - 1) / g.sw);
  Index last = g.w - 1 - (g.kw - 1) * g.dw + g.pw;  // largest x*sw allowed
  if (g.sw == 2) last = std::min(last, g.w - 16 + 2 * 7 - (g.kw - 1) * g.dw + g.pw);
  const Index xb = last < 0 ? xa : std::max(xa, std::min(g.ow, last / g.sw + 1));
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i laneStride = _mm256_mullo_epi32(lane, _mm256_set1_epi32(int(g.sw)));
  for (Index p = p0; p < p1; p++) {
    const float* plane = x + p * g.inVol();
    for (Index zy = 0; zy < g.od * g.oh; zy++) {
      const Index z = zy / g.oh, y = zy % g.oh;
      Index z0, z1, y0, y1;
      tapRange(z, g.sd, g.pd, g.kd, g.dd, g.d, &z0, &z1);
      tapRange(y, g.sh, g.ph, g.kh, g.dh, g.h, &y0, &y1);
      const Index o = p * L + zy * g.ow;
      auto block = [&](Index xx) {
        const Index c0 = xx * g.sw - g.pw;  // column of the first window's first tap
        const __m256i col = _mm256_add_epi32(laneStride, _mm256_set1_epi32(int(c0)));
        __m256 best = _mm256_set1_ps(-INFINITY);
        __m256i bestIdx = _mm256_add_epi32(col, _mm256_set1_epi32(int((z0 * g.h + y0) * g.w)));
        for (Index iz = z0; iz < z1; iz += g.dd)
        for (Index iy = y0; iy < y1; iy += g.dh) {
          for (Index j = 0; j < g.kw; j++) {
            const Index base = (iz * g.h + iy) * g.w + c0 + j * g.dw;
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
        maxPoolScalarCell(plane, g, z0, z1, y0, y1, xx, out + o + xx, idx + o + xx);
      Index xx = xa;
      for (; xx + 8 <= xb; xx += 8) block(xx);
      if (xx < xb && xb - xa >= 8) {
        block(xb - 8);
        xx = xb;
      }
      for (; xx < g.ow; xx++)
        maxPoolScalarCell(plane, g, z0, z1, y0, y1, xx, out + o + xx, idx + o + xx);
    }
  }
}
#endif


// ---------------------------------------------------------------------------------------------
// Average pooling (twins: pooling.ts avgPool2d, adaptiveAvgPool2d). Sums and quotients are
// formed in double and rounded once at the store, exactly as the TypeScript loops do, so the
// results are bit-identical.

// The clipped window [*a, *b) of output o along a dim of `size` (no dilation) and its length
// clipped to the padded input only (count_include_pad's count).
inline Index avgRange(Index o, Index st, Index pad, Index k, Index size, Index* a, Index* b) {
  Index lo = o * st - pad;
  Index hi = std::min(lo + k, size + pad);
  const Index padded = hi - lo;
  *a = std::max<Index>(lo, 0);
  *b = std::min(hi, size);
  return padded;
}

template <typename T>
void avgPoolPlanes(const T* src, const Geo& g, bool includePad, Index divisorOverride, T* dst,
                   bool backward, Index p0, Index p1) {
  const Index HW = g.h * g.w;
  for (Index p = p0; p < p1; p++) {
    const Index vol = p * g.inVol(), obase = p * g.outVol();
    for (Index z = 0; z < g.od; z++) {
      Index z0, z1;
      const Index poolD = avgRange(z, g.sd, g.pd, g.kd, g.d, &z0, &z1);
      for (Index y = 0; y < g.oh; y++) {
        Index y0, y1;
        const Index poolH = avgRange(y, g.sh, g.ph, g.kh, g.h, &y0, &y1);
        for (Index xx = 0; xx < g.ow; xx++) {
          Index x0, x1;
          const Index poolW = avgRange(xx, g.sw, g.pw, g.kw, g.w, &x0, &x1);
          const Index oi = obase + (z * g.oh + y) * g.ow + xx;
          if (z0 >= z1 || y0 >= y1 || x0 >= x1) {
            if (!backward) dst[oi] = 0;
            continue;
          }
          const double div = divisorOverride != 0 ? double(divisorOverride)
                             : includePad ? double(poolD * poolH * poolW)
                                          : double((z1 - z0) * (y1 - y0) * (x1 - x0));
          if (backward) {
            const double gv = double(src[oi]) / div;
            for (Index iz = z0; iz < z1; iz++)
              for (Index iy = y0; iy < y1; iy++) {
                T* r = dst + vol + iz * HW + iy * g.w;
                for (Index ix = x0; ix < x1; ix++) r[ix] = T(double(r[ix]) + gv);
              }
          } else {
            double s = 0;
            for (Index iz = z0; iz < z1; iz++)
              for (Index iy = y0; iy < y1; iy++) {
                const T* r = src + vol + iz * HW + iy * g.w;
                for (Index ix = x0; ix < x1; ix++) s += double(r[ix]);
              }
            dst[oi] = T(s / div);
          }
        }
      }
    }
  }
}


// PyTorch's adaptive pooling window of output cell a out of b over an input of c.
inline Index startIndex(Index a, Index b, Index c) { return (a * c) / b; }
inline Index endIndex(Index a, Index b, Index c) { return ((a + 1) * c + b - 1) / b; }

template <typename T>
void adaptivePlanes(const T* src, Index d, Index h, Index w, Index od, Index oh, Index ow, T* dst,
                    bool backward, Index p0, Index p1) {
  for (Index p = p0; p < p1; p++) {
    const Index vol = p * d * h * w, obase = p * od * oh * ow;
    for (Index z = 0; z < od; z++) {
      const Index z0 = startIndex(z, od, d), z1 = endIndex(z, od, d);
      for (Index y = 0; y < oh; y++) {
        const Index y0 = startIndex(y, oh, h), y1 = endIndex(y, oh, h);
        for (Index xx = 0; xx < ow; xx++) {
          const Index x0 = startIndex(xx, ow, w), x1 = endIndex(xx, ow, w);
          const double count = double((z1 - z0) * (y1 - y0) * (x1 - x0));
          const Index oi = obase + (z * oh + y) * ow + xx;
          if (backward) {
            const double gv = double(src[oi]) / count;
            for (Index iz = z0; iz < z1; iz++)
              for (Index iy = y0; iy < y1; iy++) {
                T* r = dst + vol + (iz * h + iy) * w;
                for (Index ix = x0; ix < x1; ix++) r[ix] = T(double(r[ix]) + gv);
              }
          } else {
            double s = 0;
            for (Index iz = z0; iz < z1; iz++)
              for (Index iy = y0; iy < y1; iy++) {
                const T* r = src + vol + (iz * h + iy) * w;
                for (Index ix = x0; ix < x1; ix++) s += double(r[ix]);
              }
            dst[oi] = T(s / count);
          }
        }
      }
    }
  }
}


}  // namespace

// ---------------------------------------------------------------------------------------------
// Bindings (arguments parsed by abi.gen.cc)

Napi::Value run(const Napi::CallbackInfo& info, const args::maxPool& arg) {
  const char* fn = arg.name;
  const Arr &x = arg.x, &out = arg.out, &idx = arg.indices;
  const Index xOff = arg.xOff, planes = arg.planes;
  const Geo& g = arg.geo;
  const Index L = g.outVol();
  if (!need(info, fn, planes >= 0 && planes < kMaxDim, "invalid plane count") ||
      !need(info, fn, fits(x.len, xOff, double(planes) * g.inVol()), "input out of bounds") ||
      !need(info, fn, fits(out.len, 0, double(planes) * L) && fits(idx.len, 0, double(planes) * L),
            "output out of bounds"))
    return info.Env().Undefined();
  double* id = static_cast<double*>(idx.data);
  const Index minPlanes = std::max<Index>(1, 32768 / std::max<Index>(g.inVol(), 1));
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
Napi::Value run(const Napi::CallbackInfo& info, const args::maxPoolBackward& arg) {
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

Napi::Value run(const Napi::CallbackInfo& info, const args::avgPool& arg) {
  const char* fn = arg.name;
  const Arr &src = arg.src, &dst = arg.dst;
  const Index srcOff = arg.srcOff, planes = arg.planes, divisorOverride = arg.divisorOverride;
  const bool includePad = arg.countIncludePad != 0, backward = arg.backward != 0;
  const Geo& g = arg.geo;
  const Index inN = planes * g.inVol(), outN = planes * g.outVol();
  if (!need(info, fn, planes >= 0 && planes < kMaxDim, "invalid plane count") ||
      !need(info, fn, fits(src.len, srcOff, backward ? outN : inN), "input out of bounds") ||
      !need(info, fn, fits(dst.len, 0, backward ? inN : outN), "output out of bounds"))
    return info.Env().Undefined();
  const Index minPlanes = std::max<Index>(1, 32768 / std::max<Index>(g.inVol(), 1));
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

Napi::Value run(const Napi::CallbackInfo& info, const args::adaptiveAvgPool& arg) {
  const char* fn = arg.name;
  const Arr &src = arg.src, &dst = arg.dst;
  const Index srcOff = arg.srcOff, planes = arg.planes;
  const Index d = arg.d, h = arg.h, w = arg.w, od = arg.od, oh = arg.oh, ow = arg.ow;
  const bool backward = arg.backward != 0;
  if (!need(info, fn,
            planes >= 0 && planes < kMaxDim && d >= 1 && h >= 1 && w >= 1 && od >= 1 &&
                oh >= 1 && ow >= 1 && d < kMaxDim && h < kMaxDim && w < kMaxDim &&
                od < kMaxDim && oh < kMaxDim && ow < kMaxDim &&
                double(d) * h * w < double(kMaxDim) && double(od) * oh * ow < double(kMaxDim),
            "invalid sizes"))
    return info.Env().Undefined();
  const Index inN = planes * d * h * w, outN = planes * od * oh * ow;
  if (!need(info, fn, fits(src.len, srcOff, backward ? outN : inN), "input out of bounds") ||
      !need(info, fn, fits(dst.len, 0, backward ? inN : outN), "output out of bounds"))
    return info.Env().Undefined();
  parallelFor(
      planes, std::max<Index>(1, 32768 / (d * h * w)),
      [&](Index lo, Index hi) {
        if (src.type == napi_float32_array)
          adaptivePlanes(static_cast<const float*>(src.data) + srcOff, d, h, w, od, oh, ow,
                         static_cast<float*>(dst.data), backward, lo, hi);
        else
          adaptivePlanes(static_cast<const double*>(src.data) + srcOff, d, h, w, od, oh, ow,
                         static_cast<double*>(dst.data), backward, lo, hi);
      },
      1);
  return info.Env().Undefined();
}

}  // namespace tg
