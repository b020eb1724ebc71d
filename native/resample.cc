// tensorgrad native backend: the separable tap walk of padding and upsampling (forward and its
// transpose), the twin of src/backend/resample.ts (tested against it in test/nnpad.test.ts).
// Sums and products are formed in double, in the TypeScript loop's order, and rounded once at
// each store, so the results are bit-identical.
#include <cstring>
#include <vector>

#include "abi.gen.h"
#include "window.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace tg {
namespace {

// One dim's taps, unpacked from the f64 argument: header [t, inSize, outSize, hasW], then
// outSize*t indices, then (hasW) outSize*t weights.
struct Taps {
  Index t = 1, in = 1, out = 1;
  std::vector<Index> idx;
  std::vector<double> w;  // empty: every weight is 1
};

bool unpack(const double* p, Index len, Taps (&d)[3]) {
  Index pos = 0;
  for (int k = 0; k < 3; k++) {
    if (pos + 4 > len) return false;
    Taps& tp = d[k];
    tp.t = Index(p[pos]);
    tp.in = Index(p[pos + 1]);
    tp.out = Index(p[pos + 2]);
    const bool hasW = p[pos + 3] != 0;
    pos += 4;
    if (tp.t < 1 || tp.in < 1 || tp.out < 0 || tp.t > 64 || tp.in >= kMaxDim || tp.out >= kMaxDim)
      return false;
    const Index n = tp.t * tp.out;
    if (pos + n * (hasW ? 2 : 1) > len) return false;
    tp.idx.resize(size_t(n));
    for (Index i = 0; i < n; i++) {
      const double v = p[pos + i];
      if (!(v >= 0 && v < double(tp.in))) return false;
      tp.idx[size_t(i)] = Index(v);
    }
    pos += n;
    if (hasW) {
      tp.w.assign(p + pos, p + pos + n);
      pos += n;
    }
  }
  return pos == len;
}

template <typename T>
void forwardPlanes(const T* x, const Taps (&d)[3], T* out, Index p0, Index p1) {
  const Taps &D = d[0], &H = d[1], &W = d[2];
  const Index inPlane = D.in * H.in * W.in, inHW = H.in * W.in, iW = W.in;
  const Index outPlane = D.out * H.out * W.out;
  const bool map = D.t == 1 && H.t == 1 && W.t == 1 && D.w.empty() && H.w.empty() && W.w.empty();
  for (Index p = p0; p < p1; p++) {
    const T* base = x + p * inPlane;
    T* o = out + p * outPlane;
    if (map) {
      for (Index od = 0; od < D.out; od++) {
        const T* bd = base + D.idx[size_t(od)] * inHW;
        for (Index oh = 0; oh < H.out; oh++) {
          const T* bh = bd + H.idx[size_t(oh)] * iW;
          for (Index ow = 0; ow < W.out; ow++) *o++ = bh[W.idx[size_t(ow)]];
        }
      }
      continue;
    }
    for (Index od = 0; od < D.out; od++)
      for (Index oh = 0; oh < H.out; oh++)
        for (Index ow = 0; ow < W.out; ow++) {
          double sd = 0;
          for (Index a = 0; a < D.t; a++) {
            const size_t ja = size_t(od * D.t + a);
            const T* bd = base + D.idx[ja] * inHW;
            double sh = 0;
            for (Index b = 0; b < H.t; b++) {
              const size_t jb = size_t(oh * H.t + b);
              const T* bh = bd + H.idx[jb] * iW;
              double sw = 0;
              for (Index c = 0; c < W.t; c++) {
                const size_t j = size_t(ow * W.t + c);
                sw += (W.w.empty() ? 1.0 : W.w[j]) * double(bh[W.idx[j]]);
              }
              sh += (H.w.empty() ? 1.0 : H.w[jb]) * sw;
            }
            sd += (D.w.empty() ? 1.0 : D.w[ja]) * sh;
          }
          *o++ = T(sd);
        }
  }
}

template <typename T>
void backwardPlanes(const T* g, const Taps (&d)[3], T* dx, Index p0, Index p1) {
  const Taps &D = d[0], &H = d[1], &W = d[2];
  const Index inPlane = D.in * H.in * W.in, inHW = H.in * W.in, iW = W.in;
  const Index outPlane = D.out * H.out * W.out;
  for (Index p = p0; p < p1; p++) {
    T* base = dx + p * inPlane;
    const T* o = g + p * outPlane;
    for (Index od = 0; od < D.out; od++)
      for (Index oh = 0; oh < H.out; oh++)
        for (Index ow = 0; ow < W.out; ow++) {
          const double v = double(*o++);
          for (Index a = 0; a < D.t; a++) {
            const size_t ja = size_t(od * D.t + a);
            T* bd = base + D.idx[ja] * inHW;
            const double vd = (D.w.empty() ? 1.0 : D.w[ja]) * v;
            for (Index b = 0; b < H.t; b++) {
              const size_t jb = size_t(oh * H.t + b);
              T* bh = bd + H.idx[jb] * iW;
              const double vh = (H.w.empty() ? 1.0 : H.w[jb]) * vd;
              for (Index c = 0; c < W.t; c++) {
                const size_t j = size_t(ow * W.t + c);
                T& r = bh[W.idx[j]];
                r = T(double(r) + (W.w.empty() ? 1.0 : W.w[j]) * vh);
              }
            }
          }
        }
  }
}

}  // namespace

Napi::Value run(const Napi::CallbackInfo& info, const args::resample& arg) {
  const char* fn = arg.name;
  const Arr &x = arg.x, &out = arg.out, &taps = arg.taps;
  const Index xOff = arg.xOff, planes = arg.planes;
  const bool backward = arg.backward != 0;
  Taps d[3];
  if (!need(info, fn, unpack(static_cast<const double*>(taps.data), taps.len, d), "invalid taps"))
    return info.Env().Undefined();
  const double inN = double(d[0].in) * double(d[1].in) * double(d[2].in);
  const double outN = double(d[0].out) * double(d[1].out) * double(d[2].out);
  if (!need(info, fn, planes >= 0 && planes < kMaxDim, "invalid sizes") ||
      !need(info, fn, fits(x.len, xOff, double(planes) * (backward ? outN : inN)),
            "input out of bounds") ||
      !need(info, fn, fits(out.len, 0, double(planes) * (backward ? inN : outN)),
            "output out of bounds"))
    return info.Env().Undefined();
  const Index work = std::max<Index>(1, Index(outN * double(d[0].t * d[1].t * d[2].t)));
  parallelFor(
      planes, std::max<Index>(1, 32768 / work),
      [&](Index lo, Index hi) {
        if (x.type == napi_float32_array) {
          const float* src = static_cast<const float*>(x.data) + xOff;
          float* dst = static_cast<float*>(out.data);
          if (backward) backwardPlanes(src, d, dst, lo, hi);
          else forwardPlanes(src, d, dst, lo, hi);
        } else {
          const double* src = static_cast<const double*>(x.data) + xOff;
          double* dst = static_cast<double*>(out.data);
          if (backward) backwardPlanes(src, d, dst, lo, hi);
          else forwardPlanes(src, d, dst, lo, hi);
        }
      },
      1);
  return info.Env().Undefined();
}

}  // namespace tg
