// tensorgrad native backend: discrete Fourier transforms, the twins of src/backend/fft.ts (the
// same plans, passes and formulas: Note [fft plans] and Note [real fft by half length] there).
// Complex values are interleaved (re, im); every transform runs on `batch` contiguous rows in
// double (float32 rows are widened and rounded once), the rows split between threads. Plans
// (factors, twiddles, Bluestein chirps) are cached per length, shared by the threads.
#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "abi.gen.h"

#if !TG_WASM
#include <mutex>
#endif

namespace tg {
namespace {

constexpr Index kMaxRadix = 64;  // fft.ts's MAX_RADIX

struct Pass {
  Index p, l1, ido;
  std::vector<double> tw;     // exp(-2 pi i j l1 i / n) at [(j-1)(ido-1) + i-1], interleaved
  std::vector<double> roots;  // exp(-2 pi i j / p) for the direct DFT of a radix above 4
};

struct Plan {
  Index n = 0;
  std::vector<Pass> passes;
  Index m = 0;                       // Bluestein's power-of-two length (0: none)
  std::vector<double> chirp, kernel; // w_j = exp(-pi i j^2 / n); fft_m(conj chirp)
  std::shared_ptr<const Plan> sub;   // the length-m plan
  std::vector<double> half;          // exp(-2 pi i k / n), k = 0..n/2 (even n)
  // Note [bluestein four-step] (fft.ts): m = m1 m2 split into columns and rows (m1 = 0: none);
  // the kernel is then stored in the split order (k1 m2 + k2 for k = k1 + m1 k2), times 1/m
  Index m1 = 0, m2 = 0, twShift = 0;
  std::shared_ptr<const Plan> sub1, sub2;  // the length-m1 and length-m2 plans
  std::vector<double> twLo, twHi;          // exp(-2 pi i e / m) = twHi[e >> twShift] twLo[e & mask]
};

constexpr Index kSplitMin = 4096;  // fft.ts's SPLIT_MIN

// exp(-2 pi i num / den), the angle reduced exactly first (fft.ts's unitRoot).
void unitRoot(Index num, Index den, double* c, double* s) {
  Index r = num % den;
  if (r < 0) r += den;
  if (2 * r > den) r -= den;
  const double a = (-2 * M_PI * double(r)) / double(den);
  *c = std::cos(a);
  *s = std::sin(a);
}

std::vector<Index> factorize(Index n) {
  std::vector<Index> f;
  Index r = n;
  while (r % 4 == 0) f.push_back(4), r /= 4;
  while (r % 2 == 0) f.push_back(2), r /= 2;
  for (Index p = 3; p * p <= r; p += 2)
    while (r % p == 0) f.push_back(p), r /= p;
  if (r > 1) f.push_back(r);
  return f;
}

std::shared_ptr<const Plan> getPlan(Index n);
int runPlan(const Plan& plan, double* a, double* b, std::vector<double>& work);
void splitKernel(const Plan& plan, const double* b, double* out);

std::shared_ptr<const Plan> makePlan(Index n) {
  auto plan = std::make_shared<Plan>();
  plan->n = n;
  const std::vector<Index> factors = factorize(n);
  bool bluestein = false;
  for (Index p : factors) bluestein = bluestein || p > kMaxRadix;
  if (bluestein) {
    Index m = 1;
    while (m < 2 * n - 1) m *= 2;
    plan->m = m;
    plan->chirp.resize(2 * n);
    for (Index j = 0; j < n; j++)
      unitRoot((j * j) % (2 * n), 2 * n, &plan->chirp[2 * j], &plan->chirp[2 * j + 1]);
    plan->sub = getPlan(m);
    std::vector<double> b(2 * m, 0.0), s(2 * m), work;
    for (Index j = 0; j < n; j++) {
      b[2 * j] = plan->chirp[2 * j];
      b[2 * j + 1] = -plan->chirp[2 * j + 1];
      if (j > 0) {
        b[2 * (m - j)] = plan->chirp[2 * j];
        b[2 * (m - j) + 1] = -plan->chirp[2 * j + 1];
      }
    }
    if (m >= kSplitMin) {
      Index bits = 0;
      while ((Index(1) << bits) < m) bits++;
      plan->m1 = Index(1) << (bits / 2);
      plan->m2 = m / plan->m1;
      plan->sub1 = getPlan(plan->m1);
      plan->sub2 = getPlan(plan->m2);
      plan->twShift = (bits + 1) / 2;
      const Index lo = Index(1) << plan->twShift, hi = m >> plan->twShift;
      plan->twLo.resize(2 * lo);
      plan->twHi.resize(2 * hi);
      for (Index j = 0; j < lo; j++) unitRoot(j, m, &plan->twLo[2 * j], &plan->twLo[2 * j + 1]);
      for (Index j = 0; j < hi; j++)
        unitRoot(j * lo, m, &plan->twHi[2 * j], &plan->twHi[2 * j + 1]);
      plan->kernel.resize(2 * m);
      splitKernel(*plan, b.data(), plan->kernel.data());
    } else {
      plan->kernel = runPlan(*plan->sub, b.data(), s.data(), work) == 0 ? b : s;
    }
  } else {
    Index l1 = 1;
    for (Index p : factors) {
      Pass ps;
      ps.p = p;
      ps.l1 = l1;
      ps.ido = n / (l1 * p);
      const Index ido = ps.ido;
      ps.tw.assign(2 * (p - 1) * std::max<Index>(ido - 1, 0), 0.0);
      for (Index j = 1; j < p; j++)
        for (Index i = 1; i < ido; i++) {
          const Index at = 2 * ((j - 1) * (ido - 1) + i - 1);
          unitRoot(j * l1 * i, n, &ps.tw[at], &ps.tw[at + 1]);
        }
      ps.roots.assign(2 * p, 0.0);
      if (p > 4)
        for (Index j = 0; j < p; j++) unitRoot(j, p, &ps.roots[2 * j], &ps.roots[2 * j + 1]);
      plan->passes.push_back(std::move(ps));
      l1 *= p;
    }
  }
  if (n % 2 == 0) {
    const Index h = n / 2;
    plan->half.resize(2 * (h + 1));
    for (Index k = 0; k <= h; k++) unitRoot(k, n, &plan->half[2 * k], &plan->half[2 * k + 1]);
  }
  return plan;
}

#if !TG_WASM
std::mutex planMu;
#endif
std::map<Index, std::shared_ptr<const Plan>> plans;

std::shared_ptr<const Plan> getPlan(Index n) {
  {
#if !TG_WASM
    std::lock_guard<std::mutex> lock(planMu);
#endif
    auto it = plans.find(n);
    if (it != plans.end()) return it->second;
  }
  // built outside the lock (a Bluestein plan builds its sub-plan through getPlan)
  std::shared_ptr<const Plan> plan = makePlan(n);
#if !TG_WASM
  std::lock_guard<std::mutex> lock(planMu);
#endif
  return plans.emplace(n, plan).first->second;
}

// One pass: cc viewed as [l1][p][ido] complex, ch as [p][l1][ido] (pocketfft's CC and CH).
void pass(const Pass& ps, const double* cc, double* ch) {
  const Index p = ps.p, l1 = ps.l1, ido = ps.ido, tws = ido - 1;
  const double* tw = ps.tw.data();
  if (p == 2) {
    for (Index k = 0; k < l1; k++) {
      const double* a0 = cc + 2 * ido * (2 * k);
      const double* a1 = a0 + 2 * ido;
      double* b0 = ch + 2 * ido * k;
      double* b1 = b0 + 2 * ido * l1;
      b0[0] = a0[0] + a1[0];
      b0[1] = a0[1] + a1[1];
      b1[0] = a0[0] - a1[0];
      b1[1] = a0[1] - a1[1];
      for (Index i = 1; i < ido; i++) {
        const double x0r = a0[2 * i], x0i = a0[2 * i + 1], x1r = a1[2 * i], x1i = a1[2 * i + 1];
        b0[2 * i] = x0r + x1r;
        b0[2 * i + 1] = x0i + x1i;
        const double tr = x0r - x1r, ti = x0i - x1i;
        const double wr = tw[2 * (i - 1)], wi = tw[2 * (i - 1) + 1];
        b1[2 * i] = tr * wr - ti * wi;
        b1[2 * i + 1] = tr * wi + ti * wr;
      }
    }
    return;
  }
  if (p == 4) {
    const double* w1 = tw;
    const double* w2 = tw + 2 * tws;
    const double* w3 = tw + 4 * tws;
    for (Index k = 0; k < l1; k++) {
      const double* a0 = cc + 2 * ido * (4 * k);
      const double* a1 = a0 + 2 * ido;
      const double* a2 = a1 + 2 * ido;
      const double* a3 = a2 + 2 * ido;
      double* b0 = ch + 2 * ido * k;
      double* b1 = b0 + 2 * ido * l1;
      double* b2 = b1 + 2 * ido * l1;
      double* b3 = b2 + 2 * ido * l1;
      for (Index i = 0; i < ido; i++) {
        const double x0r = a0[2 * i], x0i = a0[2 * i + 1], x1r = a1[2 * i], x1i = a1[2 * i + 1];
        const double x2r = a2[2 * i], x2i = a2[2 * i + 1], x3r = a3[2 * i], x3i = a3[2 * i + 1];
        const double sr = x0r + x2r, si = x0i + x2i, dr = x0r - x2r, di = x0i - x2i;
        const double ur = x1r + x3r, ui = x1i + x3i, vr = x1r - x3r, vi = x1i - x3i;
        b0[2 * i] = sr + ur;
        b0[2 * i + 1] = si + ui;
        const double y1r = dr + vi, y1i = di - vr, y2r = sr - ur, y2i = si - ui;
        const double y3r = dr - vi, y3i = di + vr;
        if (i == 0) {
          b1[0] = y1r, b1[1] = y1i, b2[0] = y2r, b2[1] = y2i, b3[0] = y3r, b3[1] = y3i;
        } else {
          const Index o = 2 * (i - 1);
          b1[2 * i] = y1r * w1[o] - y1i * w1[o + 1];
          b1[2 * i + 1] = y1r * w1[o + 1] + y1i * w1[o];
          b2[2 * i] = y2r * w2[o] - y2i * w2[o + 1];
          b2[2 * i + 1] = y2r * w2[o + 1] + y2i * w2[o];
          b3[2 * i] = y3r * w3[o] - y3i * w3[o + 1];
          b3[2 * i + 1] = y3r * w3[o + 1] + y3i * w3[o];
        }
      }
    }
    return;
  }
  if (p == 3) {
    const double s3 = std::sqrt(3.0) / 2;
    const double* w1 = tw;
    const double* w2 = tw + 2 * tws;
    for (Index k = 0; k < l1; k++) {
      const double* a0 = cc + 2 * ido * (3 * k);
      const double* a1 = a0 + 2 * ido;
      const double* a2 = a1 + 2 * ido;
      double* b0 = ch + 2 * ido * k;
      double* b1 = b0 + 2 * ido * l1;
      double* b2 = b1 + 2 * ido * l1;
      for (Index i = 0; i < ido; i++) {
        const double x0r = a0[2 * i], x0i = a0[2 * i + 1], x1r = a1[2 * i], x1i = a1[2 * i + 1];
        const double x2r = a2[2 * i], x2i = a2[2 * i + 1];
        const double tr = x1r + x2r, ti = x1i + x2i;
        const double ar = x0r - 0.5 * tr, ai = x0i - 0.5 * ti;
        const double dr = s3 * (x1r - x2r), di = s3 * (x1i - x2i);
        b0[2 * i] = x0r + tr;
        b0[2 * i + 1] = x0i + ti;
        const double y1r = ar + di, y1i = ai - dr, y2r = ar - di, y2i = ai + dr;
        if (i == 0) {
          b1[0] = y1r, b1[1] = y1i, b2[0] = y2r, b2[1] = y2i;
        } else {
          const Index o = 2 * (i - 1);
          b1[2 * i] = y1r * w1[o] - y1i * w1[o + 1];
          b1[2 * i + 1] = y1r * w1[o + 1] + y1i * w1[o];
          b2[2 * i] = y2r * w2[o] - y2i * w2[o + 1];
          b2[2 * i + 1] = y2r * w2[o + 1] + y2i * w2[o];
        }
      }
    }
    return;
  }
  // a direct DFT of order p
  const double* roots = ps.roots.data();
  std::vector<double> xr(p), xi(p);
  for (Index k = 0; k < l1; k++)
    for (Index i = 0; i < ido; i++) {
      for (Index q = 0; q < p; q++) {
        const Index at = 2 * (i + ido * (q + p * k));
        xr[q] = cc[at];
        xi[q] = cc[at + 1];
      }
      for (Index j = 0; j < p; j++) {
        double yr = 0, yi = 0;
        Index e = 0;
        for (Index q = 0; q < p; q++) {
          const double wr = roots[2 * e], wi = roots[2 * e + 1];
          yr += xr[q] * wr - xi[q] * wi;
          yi += xr[q] * wi + xi[q] * wr;
          e += j;
          if (e >= p) e -= p;
        }
        const Index at = 2 * (i + ido * (k + l1 * j));
        if (i == 0 || j == 0) {
          ch[at] = yr;
          ch[at + 1] = yi;
        } else {
          const Index o = 2 * ((j - 1) * tws + i - 1);
          ch[at] = yr * tw[o] - yi * tw[o + 1];
          ch[at + 1] = yr * tw[o + 1] + yi * tw[o];
        }
      }
    }
}

// Note [bluestein four-step] (fft.ts): the split plan's twiddle exp(-2 pi i e / m), e < m,
// times (re, im) in v.
inline void splitTwiddle(const Plan& plan, Index e, double* v) {
  const double* h = plan.twHi.data() + 2 * (e >> plan.twShift);
  const double* l = plan.twLo.data() + 2 * (e & ((Index(1) << plan.twShift) - 1));
  const double wr = h[0] * l[0] - h[1] * l[1], wi = h[0] * l[1] + h[1] * l[0];
  const double vr = v[0], vi = v[1];
  v[0] = vr * wr - vi * wi;
  v[1] = vr * wi + vi * wr;
}

// The forward transform of a row in place with the ping-pong partner b (2 len values).
inline void forwardRow(const Plan& plan, double* a, double* b) {
  std::vector<double> none;  // a plan without Bluestein needs no work space
  if (runPlan(plan, a, b, none) == 1) std::copy(b, b + 2 * plan.n, a);
}

// The column stage of the split transform: for each column n2 < m2 (Note [bluestein
// four-step]), load(r, n2, v) writes the m1 values of the column, which are transformed (length
// m1) and handed to store(k, n2, v); columns go kBlock at a time, split between threads.
template <typename Load, typename Store>
void splitColumns(const Plan& plan, const Load& load, const Store& store) {
  const Index m1 = plan.m1, m2 = plan.m2, kb = 8;
  const Index blocks = (m2 + kb - 1) / kb;
  parallelFor(blocks, 4, [&](Index lo, Index hi) {
    std::vector<double> cols(2 * kb * m1), b(2 * m1);
    for (Index blk = lo; blk < hi; blk++) {
      const Index c0 = blk * kb, cb = std::min(kb, m2 - c0);
      for (Index r = 0; r < m1; r++)
        for (Index c = 0; c < cb; c++) load(r, c0 + c, &cols[2 * (c * m1 + r)]);
      for (Index c = 0; c < cb; c++) forwardRow(*plan.sub1, &cols[2 * c * m1], b.data());
      for (Index k = 0; k < m1; k++)
        for (Index c = 0; c < cb; c++) store(k, c0 + c, &cols[2 * (c * m1 + k)]);
    }
  }, 1);
}

// The row stage: f(k1, row, b) for each of the m1 rows of w (m2 values each), split between
// threads; b is a ping-pong partner of the row's length.
template <typename F>
void splitRows(const Plan& plan, double* w, const F& f) {
  const Index m1 = plan.m1, m2 = plan.m2;
  parallelFor(m1, 4, [&](Index lo, Index hi) {
    std::vector<double> b(2 * m2);
    for (Index k1 = lo; k1 < hi; k1++) f(k1, w + 2 * k1 * m2, b.data());
  }, 1);
}

// The Bluestein kernel in the split order, times 1/m: the split forward transform of b (2m
// values, natural order) into out.
void splitKernel(const Plan& plan, const double* b, double* out) {
  const Index m2 = plan.m2;
  const double inv = 1.0 / double(plan.m);
  splitColumns(
      plan,
      [&](Index r, Index n2, double* v) {
        v[0] = b[2 * (r * m2 + n2)];
        v[1] = b[2 * (r * m2 + n2) + 1];
      },
      [&](Index k, Index n2, const double* v) {
        double* o = out + 2 * (k * m2 + n2);
        o[0] = v[0] * inv;
        o[1] = v[1] * inv;
        splitTwiddle(plan, n2 * k, o);
      });
  splitRows(plan, out, [&](Index, double* row, double* bb) { forwardRow(*plan.sub2, row, bb); });
}

// Per-thread reusable buffer of the split convolution (kept up to 2^23 doubles).
thread_local std::vector<double> splitBuffer;

// Bluestein's algorithm through the split plan (Note [bluestein four-step]) on the row a.
void bluesteinSplit(const Plan& plan, double* a) {
  const Index n = plan.n, m = plan.m, m2 = plan.m2;
  const double* chirp = plan.chirp.data();
  const double* kernel = plan.kernel.data();
  std::vector<double> local;
  std::vector<double>& buf = 2 * m <= (Index(1) << 23) ? splitBuffer : local;
  if (Index(buf.size()) < 2 * m) buf.resize(2 * m);
  double* w = buf.data();
  // u_j = x_j w_j (zero from n on) by columns, transformed, twiddled
  splitColumns(
      plan,
      [&](Index r, Index n2, double* v) {
        const Index j = r * m2 + n2;
        if (j >= n) {
          v[0] = v[1] = 0;
          return;
        }
        const double xr = a[2 * j], xi = a[2 * j + 1], wr = chirp[2 * j], wi = chirp[2 * j + 1];
        v[0] = xr * wr - xi * wi;
        v[1] = xr * wi + xi * wr;
      },
      [&](Index k, Index n2, const double* v) {
        double* o = w + 2 * (k * m2 + n2);
        o[0] = v[0];
        o[1] = v[1];
        splitTwiddle(plan, n2 * k, o);
      });
  // each row: transformed, times the kernel and conjugated, transformed again (the inverse's
  // rows, conjugated), times the twiddles
  splitRows(plan, w, [&](Index k1, double* row, double* b) {
    forwardRow(*plan.sub2, row, b);
    const double* kr = kernel + 2 * k1 * m2;
    for (Index k = 0; k < m2; k++) {
      const double xr = row[2 * k], xi = row[2 * k + 1], cr = kr[2 * k], ci = kr[2 * k + 1];
      row[2 * k] = xr * cr - xi * ci;
      row[2 * k + 1] = -(xr * ci + xi * cr);
    }
    forwardRow(*plan.sub2, row, b);
    for (Index k = 0; k < m2; k++) splitTwiddle(plan, k * k1, row + 2 * k);
  });
  // the inverse's columns (conjugated); y_j = w_j conj(r_j) for j < n
  splitColumns(
      plan,
      [&](Index k, Index n2, double* v) {
        v[0] = w[2 * (k * m2 + n2)];
        v[1] = w[2 * (k * m2 + n2) + 1];
      },
      [&](Index r, Index n2, const double* v) {
        const Index j = r * m2 + n2;
        if (j >= n) return;
        const double cr = v[0], ci = -v[1], wr = chirp[2 * j], wi = chirp[2 * j + 1];
        a[2 * j] = cr * wr - ci * wi;
        a[2 * j + 1] = cr * wi + ci * wr;
      });
}

// Bluestein's algorithm on the row a (2n values) in place; `work` is scratch.
void bluestein(const Plan& plan, double* a, std::vector<double>& work) {
  if (plan.m1 != 0) {
    bluesteinSplit(plan, a);
    return;
  }
  const Index n = plan.n, m = plan.m;
  const double* chirp = plan.chirp.data();
  const double* kernel = plan.kernel.data();
  if (Index(work.size()) < 4 * m) work.resize(4 * m);
  double* u = work.data();
  double* v = u + 2 * m;
  for (Index j = 0; j < n; j++) {
    const double xr = a[2 * j], xi = a[2 * j + 1], wr = chirp[2 * j], wi = chirp[2 * j + 1];
    u[2 * j] = xr * wr - xi * wi;
    u[2 * j + 1] = xr * wi + xi * wr;
  }
  std::fill(u + 2 * n, u + 2 * m, 0.0);
  std::vector<double> none;  // a power-of-two plan needs no work space
  double* r = runPlan(*plan.sub, u, v, none) == 0 ? u : v;
  for (Index k = 0; k < m; k++) {
    const double xr = r[2 * k], xi = r[2 * k + 1], kr = kernel[2 * k], ki = kernel[2 * k + 1];
    r[2 * k] = xr * kr - xi * ki;
    r[2 * k + 1] = -(xr * ki + xi * kr);
  }
  double* other = r == u ? v : u;
  r = runPlan(*plan.sub, r, other, none) == 0 ? r : other;
  const double inv = 1.0 / double(m);
  for (Index k = 0; k < n; k++) {
    const double cr = r[2 * k] * inv, ci = -r[2 * k + 1] * inv;
    const double wr = chirp[2 * k], wi = chirp[2 * k + 1];
    a[2 * k] = cr * wr - ci * wi;
    a[2 * k + 1] = cr * wi + ci * wr;
  }
}

// The forward transform of the row in a (2n values), b scratch of the same size: 0 when the
// result is in a, 1 when in b.
int runPlan(const Plan& plan, double* a, double* b, std::vector<double>& work) {
  if (plan.sub) {
    bluestein(plan, a, work);
    return 0;
  }
  double* src = a;
  double* dst = b;
  for (const Pass& ps : plan.passes) {
    pass(ps, src, dst);
    std::swap(src, dst);
  }
  return src == a ? 0 : 1;
}

// Per-thread scratch: a block of rows, a ping-pong partner for one row, Bluestein's work space.
struct Scratch {
  std::vector<double> rows, b, work;
  // forward transform of the row a (2n values) in place
  void forward(const Plan& plan, double* a) {
    const Index n = plan.n;
    if (Index(b.size()) < 2 * n) b.resize(2 * n);
    if (runPlan(plan, a, b.data(), work) == 1) std::copy(b.begin(), b.begin() + 2 * n, a);
  }
};

bool fitsRows(const Arr& arr, Index off, Index batch, Index row) {
  return off >= 0 && off <= arr.len && double(batch) * double(row) <= double(arr.len - off);
}

constexpr Index kBlock = 8;  // fft.ts's BLOCK: columns gathered together (Note [fft layout])

// f(b, c0, cb, scratch) for every block of columns of every batch row, split between threads.
// Each task gets its own Scratch with `rows` sized for a block of rows of `len` complex values.
template <typename F>
void forEachBlock(Index batch, Index inner, Index len, const F& f) {
  const Index blocks = (inner + kBlock - 1) / kBlock;
  const Index tasks = batch * blocks;
  const Index perBlock = len * std::min(kBlock, inner);
  parallelFor(tasks, std::max<Index>(1, 16384 / std::max<Index>(perBlock, 1)), [&](Index lo, Index hi) {
    Scratch s;
    s.rows.resize(2 * perBlock);
    for (Index t = lo; t < hi; t++) {
      const Index b = t / blocks, c0 = (t % blocks) * kBlock;
      f(b, c0, std::min(kBlock, inner - c0), s);
    }
  }, 1);
}

template <typename T>
void c2c(const T* x, T* out, Index batch, Index n, Index inner, bool inverse, double scale) {
  std::shared_ptr<const Plan> plan = getPlan(n);
  const double sgn = inverse ? -1 : 1, si = sgn * scale;
  forEachBlock(batch, inner, n, [&](Index b, Index c0, Index cb, Scratch& s) {
    double* rows = s.rows.data();
    for (Index j = 0; j < n; j++) {
      const T* xr = x + 2 * ((b * n + j) * inner + c0);
      for (Index c = 0; c < cb; c++) {
        rows[2 * (c * n + j)] = double(xr[2 * c]);
        rows[2 * (c * n + j) + 1] = sgn * double(xr[2 * c + 1]);
      }
    }
    for (Index c = 0; c < cb; c++) s.forward(*plan, rows + 2 * c * n);
    for (Index j = 0; j < n; j++) {
      T* o = out + 2 * ((b * n + j) * inner + c0);
      for (Index c = 0; c < cb; c++) {
        o[2 * c] = T(rows[2 * (c * n + j)] * scale);
        o[2 * c + 1] = T(rows[2 * (c * n + j) + 1] * si);
      }
    }
  });
}

template <typename T>
void r2c(const T* x, T* out, Index batch, Index n, Index inner, double scale) {
  const Index nc = n / 2 + 1;
  const bool halfLength = n % 2 == 0 && n > 2;
  const Index len = halfLength ? n / 2 : n;
  std::shared_ptr<const Plan> plan = getPlan(len);
  std::shared_ptr<const Plan> full = halfLength ? getPlan(n) : plan;
  const double* half = full->half.data();
  forEachBlock(batch, inner, len, [&](Index b, Index c0, Index cb, Scratch& s) {
    double* rows = s.rows.data();
    for (Index j = 0; j < n; j++) {
      const T* xr = x + (b * n + j) * inner + c0;
      for (Index c = 0; c < cb; c++) {
        if (halfLength) {
          rows[2 * c * len + j] = double(xr[c]);
        } else {
          rows[2 * (c * len + j)] = double(xr[c]);
          rows[2 * (c * len + j) + 1] = 0;
        }
      }
    }
    for (Index c = 0; c < cb; c++) {
      double* z = rows + 2 * c * len;
      s.forward(*plan, z);
      if (!halfLength) {
        for (Index k = 0; k < nc; k++) {
          T* o = out + 2 * ((b * nc + k) * inner + c0 + c);
          o[0] = T(z[2 * k] * scale);
          o[1] = T(z[2 * k + 1] * scale);
        }
        continue;
      }
      // Note [real fft by half length] (fft.ts)
      const Index h = len;
      for (Index k = 0; k <= h; k++) {
        const Index k1 = k == h ? 0 : k, k2 = k == 0 ? 0 : h - k;
        const double zr = z[2 * k1], zi = z[2 * k1 + 1], cr = z[2 * k2], ci = -z[2 * k2 + 1];
        const double er = 0.5 * (zr + cr), ei = 0.5 * (zi + ci);
        const double orr = 0.5 * (zi - ci), oi = -0.5 * (zr - cr);
        const double wr = half[2 * k], wi = half[2 * k + 1];
        T* o = out + 2 * ((b * nc + k) * inner + c0 + c);
        o[0] = T((er + (orr * wr - oi * wi)) * scale);
        o[1] = T((ei + (orr * wi + oi * wr)) * scale);
      }
    }
  });
}

template <typename T>
void c2r(const T* x, T* out, Index batch, Index n, Index inner, double scale) {
  const Index nc = n / 2 + 1;
  const bool halfLength = n % 2 == 0 && n > 2;
  const Index len = halfLength ? n / 2 : n;
  std::shared_ptr<const Plan> plan = getPlan(len);
  std::shared_ptr<const Plan> full = halfLength ? getPlan(n) : plan;
  const double* half = full->half.data();
  auto xAt = [&](Index b, Index k, Index c) { return x + 2 * ((b * nc + k) * inner + c); };
  forEachBlock(batch, inner, len, [&](Index b, Index c0, Index cb, Scratch& s) {
    double* rows = s.rows.data();
    for (Index c = 0; c < cb; c++) {
      double* a = rows + 2 * c * len;
      if (!halfLength) {
        a[0] = double(xAt(b, 0, c0 + c)[0]);
        a[1] = 0;
        for (Index k = 1; k < nc; k++) {
          const T* p = xAt(b, k, c0 + c);
          a[2 * k] = double(p[0]);
          a[2 * k + 1] = -double(p[1]);
          if (n - k != k) {
            a[2 * (n - k)] = double(p[0]);
            a[2 * (n - k) + 1] = double(p[1]);
          } else {
            a[2 * k + 1] = 0;
          }
        }
      } else {
        const Index h = len;
        for (Index k = 0; k < h; k++) {
          const T* p = xAt(b, k, c0 + c);
          const T* q = xAt(b, h - k, c0 + c);
          const double ar = double(p[0]), ai = k == 0 ? 0 : double(p[1]);
          const double cr = double(q[0]), ci = k == 0 ? 0 : -double(q[1]);
          const double sr = ar + cr, si = ai + ci, dr = ar - cr, di = ai - ci;
          const double wr = half[2 * k], wi = -half[2 * k + 1];
          const double pr = dr * wr - di * wi, pi = dr * wi + di * wr;
          a[2 * k] = sr - pi;
          a[2 * k + 1] = -(si + pr);
        }
      }
      s.forward(*plan, a);
    }
    for (Index j = 0; j < n; j++) {
      T* o = out + (b * n + j) * inner + c0;
      for (Index c = 0; c < cb; c++) {
        const double* a = rows + 2 * c * len;
        o[c] = T((!halfLength ? a[2 * j] : (j % 2 == 0 ? a[j] : -a[j])) * scale);
      }
    }
  });
}

// n is bounded so that j^2 (Bluestein's chirp index) stays exact: 2^26 complex elements.
constexpr Index kMaxLength = Index(1) << 26;

// xRow, outRow: array values per row of one column (Note [fft layout]: a batch row holds
// inner such columns)
bool checkArgs(const Napi::CallbackInfo& info, const char* fn, const Arr& x, Index xOff,
               Index xRow, const Arr& out, Index outOff, Index outRow, Index batch, Index n,
               Index inner) {
  if (x.type != out.type) return typeError(info.Env(), fn, "x and out differ in type");
  if (batch < 0 || n < 1 || n > kMaxLength || inner < 1 || inner > kMaxLength ||
      !fitsRows(x, xOff, batch * inner, xRow) || !fitsRows(out, outOff, batch * inner, outRow))
    return rangeError(info.Env(), fn, "layout out of the arrays' bounds");
  return true;
}

}  // namespace

// Complex-to-complex transforms along n of [batch][n][inner] complex values, times scale.
Napi::Value run(const Napi::CallbackInfo& info, const args::fftC2C& arg) {
  Napi::Env env = info.Env();
  const Index n = arg.n, in = arg.inner, b = arg.batch;
  if (!checkArgs(info, arg.name, arg.x, arg.xOff, 2 * n, arg.out, arg.outOff, 2 * n, b, n, in))
    return env.Undefined();
  if (arg.x.type == napi_float32_array)
    c2c(static_cast<const float*>(arg.x.data) + arg.xOff,
        static_cast<float*>(arg.out.data) + arg.outOff, b, n, in, arg.inverse != 0, arg.scale);
  else
    c2c(static_cast<const double*>(arg.x.data) + arg.xOff,
        static_cast<double*>(arg.out.data) + arg.outOff, b, n, in, arg.inverse != 0, arg.scale);
  return env.Undefined();
}

// Real-to-complex: [batch][n][inner] reals to [batch][n/2 + 1][inner] complex values.
Napi::Value run(const Napi::CallbackInfo& info, const args::fftR2C& arg) {
  Napi::Env env = info.Env();
  const Index n = arg.n, in = arg.inner, b = arg.batch;
  if (!checkArgs(info, arg.name, arg.x, arg.xOff, n, arg.out, arg.outOff, 2 * (n / 2 + 1), b, n,
                 in))
    return env.Undefined();
  if (arg.x.type == napi_float32_array)
    r2c(static_cast<const float*>(arg.x.data) + arg.xOff,
        static_cast<float*>(arg.out.data) + arg.outOff, b, n, in, arg.scale);
  else
    r2c(static_cast<const double*>(arg.x.data) + arg.xOff,
        static_cast<double*>(arg.out.data) + arg.outOff, b, n, in, arg.scale);
  return env.Undefined();
}

// Complex-to-real: [batch][n/2 + 1][inner] complex values to [batch][n][inner] reals.
Napi::Value run(const Napi::CallbackInfo& info, const args::fftC2R& arg) {
  Napi::Env env = info.Env();
  const Index n = arg.n, in = arg.inner, b = arg.batch;
  if (!checkArgs(info, arg.name, arg.x, arg.xOff, 2 * (n / 2 + 1), arg.out, arg.outOff, n, b, n,
                 in))
    return env.Undefined();
  if (arg.x.type == napi_float32_array)
    c2r(static_cast<const float*>(arg.x.data) + arg.xOff,
        static_cast<float*>(arg.out.data) + arg.outOff, b, n, in, arg.scale);
  else
    c2r(static_cast<const double*>(arg.x.data) + arg.xOff,
        static_cast<double*>(arg.out.data) + arg.outOff, b, n, in, arg.scale);
  return env.Undefined();
}

}  // namespace tg
