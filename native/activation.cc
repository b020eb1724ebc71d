// tensorgrad native backend: activation kernels, the twins of src/backend/activation.ts:
// GELU forward and backward, exact (erf) and tanh-approximated. Each element is computed in
// double and rounded once to the output's type, with the TypeScript kernel's formulas; erf is
// the same fdlibm algorithm as erfScalar (src/backend/special.ts), so the twins differ only by
// libm's exp and tanh against V8's (an ulp of double, below float32's rounding).
#include <cmath>
#include <cstdint>
#include <cstring>

#include "abi.gen.h"

namespace tg {
namespace {

// Elements per thread below which a kernel stays on the calling thread: an erf per element
// (~10 ns) pays for waking the second thread from ~16K elements (as elementwise.cc's math).
constexpr Index kGeluPerThread = 1 << 14;

// fdlibm's s_erf.c (Sun Microsystems, freely redistributable), as erfScalar.
constexpr double kErx = 8.45062911510467529297e-1;
constexpr double kEfx8 = 1.02703333676410069053;
constexpr double kPP[] = {1.28379167095512558561e-1, -3.2504210724700149937e-1,
                          -2.84817495755985104766e-2, -5.77027029648944159157e-3,
                          -2.37630166566501626084e-5};
constexpr double kQQ[] = {3.97917223959155352819e-1, 6.50222499887672944485e-2,
                          5.08130628187576562776e-3, 1.32494738004321644526e-4,
                          -3.9602282787753681232e-6};
constexpr double kPA[] = {-2.36211856075265944077e-3, 4.14856118683748331666e-1,
                          -3.72207876035701323847e-1, 3.18346619901161753674e-1,
                          -1.10894694282396677476e-1, 3.54783043256182359371e-2,
                          -2.166375594868790843e-3};
constexpr double kQA[] = {1.06420880400844228286e-1, 5.40397917702171048937e-1,
                          7.18286544141962662868e-2, 1.26171219808761642112e-1,
                          1.36370839120290507362e-2, 1.1984499846799107417e-2};
constexpr double kRA[] = {-9.86494403484714822705e-3, -6.93858572707181764372e-1,
                          -1.05586262253232909814e1,  -6.23753324503260060396e1,
                          -1.62396669462573470355e2,  -1.84605092906711035994e2,
                          -8.12874355063065934246e1,  -9.81432934416914548592};
constexpr double kSA[] = {1.96512716674392571292e1, 1.376577541435190426e2,
                          4.34565877475229228821e2, 6.45387271733267880336e2,
                          4.29008140027567833386e2, 1.08635005541779435134e2,
                          6.57024977031928170135,   -6.04244152148580987438e-2};
constexpr double kRB[] = {-9.86494292470009928597e-3, -7.99283237680523006574e-1,
                          -1.77579549177547519889e1,  -1.60636384855821916062e2,
                          -6.37566443368389627722e2,  -1.02509513161107724954e3,
                          -4.83519191608651397019e2};
constexpr double kSB[] = {3.03380607434824582924e1, 3.25792512996573918826e2,
                          1.53672958608443695994e3, 3.19985821950859553908e3,
                          2.55305040643316442583e3, 4.74528541206955367215e2,
                          -2.24409524465858183362e1};

// c[0] + z*(c[1] + ... + z*c[N-1]), Horner from the top (as special.ts's poly)
template <size_t N>
inline double poly(const double (&c)[N], double z) {
  double r = c[N - 1];
  for (size_t i = N - 1; i-- > 0;) r = r * z + c[i];
  return r;
}
template <size_t N>
inline double poly1(const double (&c)[N], double z) {
  return 1 + z * poly(c, z);
}

// x with the low 32 bits of its representation cleared
inline double truncLow(double x) {
  uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  b &= 0xffffffff00000000ull;
  std::memcpy(&x, &b, sizeof b);
  return x;
}

inline double erfFdlibm(double x) {
  if (std::isnan(x)) return NAN;
  const double ax = std::fabs(x);
  if (std::isinf(ax)) return x > 0 ? 1 : -1;
  if (ax < 0.84375) {
    if (ax < 3.725290298461914e-9) return (8 * x + kEfx8 * x) / 8;
    const double z = x * x;
    const double y = poly(kPP, z) / poly1(kQQ, z);
    return x + x * y;
  }
  double y;
  if (ax < 1.25) {
    const double s = ax - 1;
    y = kErx + poly(kPA, s) / poly1(kQA, s);
  } else if (ax < 6) {
    const double s = 1 / (ax * ax);
    double R, S;
    if (ax < 1 / 0.35) {
      R = poly(kRA, s);
      S = poly1(kSA, s);
    } else {
      R = poly(kRB, s);
      S = poly1(kSB, s);
    }
    const double z = truncLow(ax);
    y = 1 - (std::exp(-z * z - 0.5625) * std::exp((z - ax) * (z + ax) + R / S)) / ax;
  } else {
    y = 1;
  }
  return x < 0 ? -y : y;
}

constexpr double kSqrt1_2 = 0.70710678118654752440;
constexpr double k2SqrtPi = 1.12837916709551257390;  // 2 / sqrt(pi)
constexpr double kGeluAlpha = k2SqrtPi * kSqrt1_2 * 0.5;
constexpr double kGeluBeta = 1.41421356237309504880 * k2SqrtPi * 0.5;
constexpr double kGeluKappa = 0.044715;

inline double geluScalar(double x, bool tanhApprox) {
  if (tanhApprox) {
    const double inner = kGeluBeta * (x + kGeluKappa * x * x * x);
    return 0.5 * x * (1 + std::tanh(inner));
  }
  return x * 0.5 * (1 + erfFdlibm(x * kSqrt1_2));
}

inline double geluDeriv(double x, bool tanhApprox) {
  if (tanhApprox) {
    const double x2 = x * x;
    const double inner = kGeluBeta * (x + kGeluKappa * x2 * x);
    const double t = std::tanh(inner);
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * kGeluBeta * (1 + 3 * kGeluKappa * x2);
  }
  const double cdf = 0.5 * (1 + erfFdlibm(x * kSqrt1_2));
  const double pdf = std::exp(-0.5 * x * x) * kGeluAlpha;
  return cdf + x * pdf;
}

template <typename T>
void geluRange(const T* x, T* o, Index lo, Index hi, bool tanhApprox) {
  for (Index i = lo; i < hi; i++) o[i] = T(geluScalar(double(x[i]), tanhApprox));
}

template <typename T>
void geluBackwardRange(const T* g, const T* x, T* o, Index lo, Index hi, bool tanhApprox) {
  for (Index i = lo; i < hi; i++) o[i] = T(double(g[i]) * geluDeriv(double(x[i]), tanhApprox));
}

}  // namespace

// out[i] = gelu(x[xOff + i]), i < n.
Napi::Value run(const Napi::CallbackInfo& info, const args::geluForward& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &x = arg.x, &o = arg.out;
  const Index xOff = arg.xOff, n = arg.n;
  const bool th = arg.tanh != 0;
  if (n < 0 || xOff < 0 || xOff + n > x.len || n > o.len)
    return rangeError(env, fn, "range out of the arrays' bounds"), env.Undefined();
  auto apply = [&](auto* px, auto* po) {
    parallelFor(n, kGeluPerThread, [&](Index lo, Index hi) { geluRange(px, po, lo, hi, th); });
  };
  if (x.type == napi_float32_array)
    apply(static_cast<const float*>(x.data) + xOff, static_cast<float*>(o.data));
  else
    apply(static_cast<const double*>(x.data) + xOff, static_cast<double*>(o.data));
  return env.Undefined();
}

// out[i] = g[gOff + i] * gelu'(x[xOff + i]), i < n.
Napi::Value run(const Napi::CallbackInfo& info, const args::geluBackward& arg) {
  const char* fn = arg.name;
  Napi::Env env = info.Env();
  const Arr &g = arg.g, &x = arg.x, &o = arg.out;
  const Index gOff = arg.gOff, xOff = arg.xOff, n = arg.n;
  const bool th = arg.tanh != 0;
  if (n < 0 || gOff < 0 || xOff < 0 || gOff + n > g.len || xOff + n > x.len || n > o.len)
    return rangeError(env, fn, "range out of the arrays' bounds"), env.Undefined();
  auto apply = [&](auto* pg, auto* px, auto* po) {
    parallelFor(n, kGeluPerThread,
                [&](Index lo, Index hi) { geluBackwardRange(pg, px, po, lo, hi, th); });
  };
  if (x.type == napi_float32_array)
    apply(static_cast<const float*>(g.data) + gOff, static_cast<const float*>(x.data) + xOff,
          static_cast<float*>(o.data));
  else
    apply(static_cast<const double*>(g.data) + gOff, static_cast<const double*>(x.data) + xOff,
          static_cast<double*>(o.data));
  return env.Undefined();
}

}  // namespace tg
