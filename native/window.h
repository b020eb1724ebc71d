// tensorgrad native backend: sliding windows of up to three spatial dims, shared by convolution
// (conv.cc) and pooling (pooling.cc). A window's geometry comes from JavaScript as the array
// [h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, d, kd, sd, pd, dd, od] (input plane, kernel,
// stride, padding, dilation, output plane, then the same for depth; src/backend/window.ts), the
// `geo` argument kind of abi.ts. A 2-D window is the depth-1 case. Images are contiguous
// volumes: a batch of volumes of d*h*w elements.
#pragma once

#include "common.h"

namespace tg {

struct Geo {
  Index h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
  Index d, kd, sd, pd, dd, od;
  // elements of an input and of an output volume
  Index inVol() const { return d * h * w; }
  Index outVol() const { return od * oh * ow; }
  // one plane deep: what the 2-D-only kernels (the direct convolution) accept
  bool planar() const { return d == 1 && kd == 1 && od == 1 && pd == 0; }
};

// Every size a window kernel accepts is below this, so products of two stay far from overflow.
constexpr Index kMaxDim = Index(1) << 31;

// Windows of `k` taps (dilation d) that fit whole in size + 2*pad with stride st: PyTorch's
// output size without ceil_mode (0 when even one does not fit).
inline Index fullWindows(Index size, Index k, Index st, Index pad, Index d) {
  const Index span = size + 2 * pad - d * (k - 1) - 1;
  return span < 0 ? 0 : span / st + 1;
}

// A `geo` argument: 12 integers, positive sizes, strides and dilations, non-negative padding and
// output, and at most one output past the last whole window (PyTorch's ceil_mode), so no window
// starts beyond the padded input.
inline bool argGeo(const Napi::CallbackInfo& info, size_t i, const char* fn, Geo* g) {
  std::vector<Index> v;
  if (!argIntArray(info, i, fn, &v)) return false;
  if (v.size() != 18) return typeError(info.Env(), fn, "the window geometry needs 18 numbers");
  *g = Geo{v[0],  v[1],  v[2],  v[3],  v[4],  v[5],  v[6],  v[7],  v[8],
           v[9],  v[10], v[11], v[12], v[13], v[14], v[15], v[16], v[17]};
  const bool positive = g->h >= 1 && g->w >= 1 && g->kh >= 1 && g->kw >= 1 && g->sh >= 1 &&
                        g->sw >= 1 && g->dh >= 1 && g->dw >= 1 && g->d >= 1 && g->kd >= 1 &&
                        g->sd >= 1 && g->dd >= 1;
  const bool nonNeg =
      g->ph >= 0 && g->pw >= 0 && g->oh >= 0 && g->ow >= 0 && g->pd >= 0 && g->od >= 0;
  if (!positive || !nonNeg) return rangeError(info.Env(), fn, "invalid window geometry");
  for (Index x : v)
    if (x >= kMaxDim) return rangeError(info.Env(), fn, "window geometry too large");
  if (double(g->d) * g->h * g->w >= double(kMaxDim) ||
      double(g->od) * g->oh * g->ow >= double(kMaxDim))
    return rangeError(info.Env(), fn, "plane too large");
  if (g->oh > fullWindows(g->h, g->kh, g->sh, g->ph, g->dh) + 1 ||
      g->ow > fullWindows(g->w, g->kw, g->sw, g->pw, g->dw) + 1 ||
      g->od > fullWindows(g->d, g->kd, g->sd, g->pd, g->dd) + 1)
    return rangeError(info.Env(), fn, "output size does not match the window geometry");
  return true;
}

// Whether every output's window lies inside the padded input (no ceil_mode extra output):
// what kernels that read a zero-padded copy of the input need.
inline bool wholeWindows(const Geo& g) {
  return g.oh <= fullWindows(g.h, g.kh, g.sh, g.ph, g.dh) &&
         g.ow <= fullWindows(g.w, g.kw, g.sw, g.pw, g.dw) &&
         g.od <= fullWindows(g.d, g.kd, g.sd, g.pd, g.dd);
}

// Whether [off, off + count) lies inside [0, len); count in double, so a product of sizes
// cannot overflow on its way here.
inline bool fits(Index len, Index off, double count) {
  return off >= 0 && count >= 0 && off <= len && count <= double(len - off);
}

// `ok`, else a RangeError "<fn>: <what>".
inline bool need(const Napi::CallbackInfo& info, const char* fn, bool ok, const char* what) {
  if (!ok) return rangeError(info.Env(), fn, what);
  return true;
}

}  // namespace tg
