// tensorgrad native backend: strided, batched float32/float64 matrix multiply.
//
//   out[b] (m x n, row-major contiguous) = A[b] (m x k) @ B[b] (k x n)
//
// A and B are addressed exactly like the TypeScript kernel in src/backend/matmul.ts:
// element (i, p) of A[b] is a[aOff + b*aBatch + i*aRow + p*aCol] (any strides, batch stride 0 =
// broadcast), and likewise for B. Inputs are read straight from the typed arrays' memory; the
// only copies are the packed panels below. The output is written in place.
//
// Blocking scheme (the BLIS/GotoBLAS loop nest):
//
//   for jc in [0, n) step NC            B panel columns            (B panel lives in L3)
//     for pc in [0, k) step kc          depth
//       pack B[pc:pc+kc, jc:jc+NC] into NR-wide column slivers, each kc x NR, zero padded
//       for ic in [0, m) step mc        A block rows               (A block lives in L2)
//         pack A[ic:ic+mc, pc:pc+kc] into MR-tall row slivers, each MR x kc, zero padded
//         for jr in [0, nc) step NR     one B sliver               (sliver lives in L1)
//           for ir in [0, mc) step MR   one A sliver
//             micro-kernel: C[MR x NR] (+)= A sliver @ B sliver, the MR x NR tile of C held
//             in registers for the whole kc loop (overwrite on the first depth block,
//             accumulate after)
//
// Summation order: each output is, per depth block of kc (kc depends on k only: the same for
// every kernel and thread count), one fused multiply-add chain over p from zero, and the blocks'
// sums are added to C in order. So the AVX-512 and AVX2 kernels, and one or several threads,
// give bitwise equal results; the portable kernel rounds each product separately.
//
// Micro-kernels, chosen at run time with __builtin_cpu_supports so one build runs on any x86-64:
// - AVX-512F (float32 8x32, float64 8x16): 16 zmm accumulators (two per row of the tile), two
//   zmm of B and one broadcast of A per step: 16 independent FMA chains cover the FMA latency
//   (4 cycles) on both 512-bit FMA pipes of Zen 5 / Intel server cores; measured with the
//   operands in cache, 97% of one core's peak (a 6x16 tile, 6 chains, reached 70%).
// - AVX2+FMA (float32 6x16, float64 6x8: 12 ymm accumulators).
// - a portable scalar kernel with the AVX2 kernels' tile otherwise.
//
// Packing: float32 row-major A and transposed B (columns contiguous, as x @ W^T in linear) are
// packed with 8x8 AVX transposes; contiguous lanes (row-major B, transposed A) with vector
// copies; anything else element by element.
//
// Threads: a small persistent pool (common.h). A large product with m >= n is cut along M
// among a team of threads that share each packed B panel (each thread packs a share of its
// slivers; a barrier; then each computes its rows against the whole panel, with its own packed
// A block): B is packed once in all instead of once per thread. Otherwise it is cut along N into
// independent pieces (each packs its own B columns and, duplicated, the thin A). Batched
// products with many items hand out whole items instead. Small products run on the calling
// thread.

#include <cstring>
#include <type_traits>

#include "abi.gen.h"

namespace {

using namespace tg;

// ---------------------------------------------------------------------------------------------
// Blocking. The depth block is kc = k split into ceil(k / KC) near-equal blocks, rounded up to
// 8 (the transposes' width): KC x NR (a B sliver: 32 KiB for float32 8x32) fits L1 next to an A
// sliver; MC x KC (an A block) fits L2; KC x NC (a B panel) fits L3.
constexpr Index KC = 256;

Index depthBlock(Index k) {
  const Index blocks = (k + KC - 1) / KC;
  return ((k + blocks - 1) / blocks + 7) / 8 * 8;
}

// A strided matrix view: element (i, j) is data[i*rs + j*cs].
template <typename T>
struct View {
  const T* data;
  Index rs, cs;
};

// Micro-kernel: C tile (MR x NR, row stride ldc) = or += packed A sliver @ packed B sliver.
template <typename T>
using MicroKernel = void (*)(Index kc, const T* a, const T* b, T* c, Index ldc, bool accumulate);

// A kernel and its tile: the register tile MR x NR is a template argument of the loop nest
// (packing widths), MC and NC are the L2 and L3 block sizes for this tile.
// `half` (or null) is the same kernel on an MR x NR/2 tile, for a last sliver at most NR/2 wide
// (n = 10 outputs, the odd 16 columns of 784): half the multiply-adds of padding to NR.
template <typename T>
struct Engine {
  MicroKernel<T> kernel, half;
  int mr, nr;
  Index mc, nc;
};

// ---------------------------------------------------------------------------------------------
// Packing. A sliver of W lanes (W = MR rows of A, or NR columns of B) over kc steps:
//   dst[p*W + l] = base[l*ls + p*ps] for l < lanes, 0 for lanes <= l < W.

#if TG_X86
// dst[p*W + r] = src[r*ld + p] for r < 8, p < kc: 8x8 transposes of eight rows of src.
__attribute__((target("avx2"))) void transpose8(const float* src, Index ld, Index kc, float* dst,
                                                Index W) {
  const float* s0 = src;
  const float* s1 = src + ld;
  const float* s2 = src + 2 * ld;
  const float* s3 = src + 3 * ld;
  const float* s4 = src + 4 * ld;
  const float* s5 = src + 5 * ld;
  const float* s6 = src + 6 * ld;
  const float* s7 = src + 7 * ld;
  Index p = 0;
  for (; p + 8 <= kc; p += 8) {
    const __m256 r0 = _mm256_loadu_ps(s0 + p), r1 = _mm256_loadu_ps(s1 + p);
    const __m256 r2 = _mm256_loadu_ps(s2 + p), r3 = _mm256_loadu_ps(s3 + p);
    const __m256 r4 = _mm256_loadu_ps(s4 + p), r5 = _mm256_loadu_ps(s5 + p);
    const __m256 r6 = _mm256_loadu_ps(s6 + p), r7 = _mm256_loadu_ps(s7 + p);
    // pairs of rows interleaved, then quadruples, then the 128-bit halves exchanged
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    float* d = dst + p * W;
    _mm256_storeu_ps(d + 0 * W, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(d + 1 * W, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(d + 2 * W, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(d + 3 * W, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(d + 4 * W, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(d + 5 * W, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(d + 6 * W, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(d + 7 * W, _mm256_permute2f128_ps(u3, u7, 0x31));
  }
  for (; p < kc; p++)
    for (Index r = 0; r < 8; r++) dst[p * W + r] = src[r * ld + p];
}
#endif

template <typename T, int W>
void packSliver(const T* base, Index ls, Index ps, Index lanes, Index kc, T* dst) {
  if (lanes == W && ls == 1) {
    // lanes contiguous (rows of B, or columns of a transposed A): one vector copy per step
    for (Index p = 0; p < kc; p++) std::memcpy(dst + p * W, base + p * ps, W * sizeof(T));
    return;
  }
#if TG_X86
  if constexpr (std::is_same_v<T, float> && W % 8 == 0) {
    if (lanes == W && ps == 1 && avx2()) {
      // steps contiguous (rows of A, or columns of a transposed B): 8 lanes at a time
      for (Index l = 0; l < W; l += 8) transpose8(base + l * ls, ls, kc, dst + l, W);
      return;
    }
  }
#endif
  for (Index p = 0; p < kc; p++) {
    for (Index l = 0; l < lanes; l++) dst[p * W + l] = base[l * ls + p * ps];
    for (Index l = lanes; l < W; l++) dst[p * W + l] = T(0);
  }
}

// A[i0:i0+mc, p0:p0+kc] into MR-row slivers, each kc*MR long.
template <typename T, int MR>
void packA(const View<T>& A, Index i0, Index p0, Index mc, Index kc, T* dst) {
  for (Index s = 0; s < mc; s += MR, dst += kc * MR)
    packSliver<T, MR>(A.data + (i0 + s) * A.rs + p0 * A.cs, A.rs, A.cs, std::min<Index>(MR, mc - s),
                      kc, dst);
}

// Slivers s0..s1-1 of B[p0:p0+kc, j0:j0+nc] (NR columns each) into dst + s*kc*NR; a last
// sliver of at most NR/2 columns is NR/2 wide when `half` (for the half-width kernel).
template <typename T, int NR>
void packB(const View<T>& B, Index p0, Index j0, Index kc, Index nc, Index s0, Index s1, bool half,
           T* dst) {
  for (Index s = s0; s < s1; s++) {
    const T* base = B.data + p0 * B.rs + (j0 + s * NR) * B.cs;
    const Index cols = std::min<Index>(NR, nc - s * NR);
    if (half && cols <= NR / 2) {
      packSliver<T, NR / 2>(base, B.cs, B.rs, cols, kc, dst + s * kc * NR);
    } else {
      packSliver<T, NR>(base, B.cs, B.rs, cols, kc, dst + s * kc * NR);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Micro-kernels

// Portable: the compiler keeps the small accumulator array in registers where it can.
template <typename T, int MR, int NR>
void kernelScalar(Index kc, const T* a, const T* b, T* c, Index ldc, bool accumulate) {
  T acc[MR][NR] = {};
  for (Index p = 0; p < kc; p++) {
    for (Index r = 0; r < MR; r++) {
      const T av = a[r];
      for (Index j = 0; j < NR; j++) acc[r][j] += av * b[j];
    }
    a += MR;
    b += NR;
  }
  for (Index r = 0; r < MR; r++)
    for (Index j = 0; j < NR; j++) c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}

#if TG_X86
// float32 6x16: rows r = 0..5 each in two ymm (columns 0-7, 8-15).
__attribute__((target("avx2,fma"))) void kernelAvx2F32(Index kc, const float* a, const float* b,
                                                       float* c, Index ldc, bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (Index p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
    __m256 av;
    av = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    c51 = _mm256_fmadd_ps(av, b1, c51);
    a += 6;
    b += 16;
  }
  const __m256 rows[6][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                             {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < 6; r++) {
    float* cr = c + r * ldc;
    __m256 v0 = rows[r][0], v1 = rows[r][1];
    if (accumulate) {
      v0 = _mm256_add_ps(v0, _mm256_loadu_ps(cr));
      v1 = _mm256_add_ps(v1, _mm256_loadu_ps(cr + 8));
    }
    _mm256_storeu_ps(cr, v0);
    _mm256_storeu_ps(cr + 8, v1);
  }
}

// float64 6x8: rows r = 0..5 each in two ymm (columns 0-3, 4-7).
__attribute__((target("avx2,fma"))) void kernelAvx2F64(Index kc, const double* a,
                                                       const double* b, double* c, Index ldc,
                                                       bool accumulate) {
  __m256d c00 = _mm256_setzero_pd(), c01 = _mm256_setzero_pd();
  __m256d c10 = _mm256_setzero_pd(), c11 = _mm256_setzero_pd();
  __m256d c20 = _mm256_setzero_pd(), c21 = _mm256_setzero_pd();
  __m256d c30 = _mm256_setzero_pd(), c31 = _mm256_setzero_pd();
  __m256d c40 = _mm256_setzero_pd(), c41 = _mm256_setzero_pd();
  __m256d c50 = _mm256_setzero_pd(), c51 = _mm256_setzero_pd();
  for (Index p = 0; p < kc; p++) {
    const __m256d b0 = _mm256_loadu_pd(b);
    const __m256d b1 = _mm256_loadu_pd(b + 4);
    __m256d av;
    av = _mm256_broadcast_sd(a + 0);
    c00 = _mm256_fmadd_pd(av, b0, c00);
    c01 = _mm256_fmadd_pd(av, b1, c01);
    av = _mm256_broadcast_sd(a + 1);
    c10 = _mm256_fmadd_pd(av, b0, c10);
    c11 = _mm256_fmadd_pd(av, b1, c11);
    av = _mm256_broadcast_sd(a + 2);
    c20 = _mm256_fmadd_pd(av, b0, c20);
    c21 = _mm256_fmadd_pd(av, b1, c21);
    av = _mm256_broadcast_sd(a + 3);
    c30 = _mm256_fmadd_pd(av, b0, c30);
    c31 = _mm256_fmadd_pd(av, b1, c31);
    av = _mm256_broadcast_sd(a + 4);
    c40 = _mm256_fmadd_pd(av, b0, c40);
    c41 = _mm256_fmadd_pd(av, b1, c41);
    av = _mm256_broadcast_sd(a + 5);
    c50 = _mm256_fmadd_pd(av, b0, c50);
    c51 = _mm256_fmadd_pd(av, b1, c51);
    a += 6;
    b += 8;
  }
  const __m256d rows[6][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                              {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < 6; r++) {
    double* cr = c + r * ldc;
    __m256d v0 = rows[r][0], v1 = rows[r][1];
    if (accumulate) {
      v0 = _mm256_add_pd(v0, _mm256_loadu_pd(cr));
      v1 = _mm256_add_pd(v1, _mm256_loadu_pd(cr + 4));
    }
    _mm256_storeu_pd(cr, v0);
    _mm256_storeu_pd(cr + 4, v1);
  }
}

// AVX-512F, 8 x 2V tiles (float32 8x32, float64 8x16): row r of the tile in two zmm, so each
// step is two loads of B, eight broadcasts of A and 16 independent FMAs. The loops below are
// fully unrolled by the compiler (constant trip counts), the accumulators stay in registers.
template <typename T>
struct Zmm;
template <>
struct Zmm<float> {
  using V = __m512;
  static constexpr int kLanes = 16;
  __attribute__((target("avx512f"))) static V zero() { return _mm512_setzero_ps(); }
  __attribute__((target("avx512f"))) static V load(const float* p) { return _mm512_loadu_ps(p); }
  __attribute__((target("avx512f"))) static V set1(float x) { return _mm512_set1_ps(x); }
  __attribute__((target("avx512f"))) static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  __attribute__((target("avx512f"))) static V add(V a, V b) { return _mm512_add_ps(a, b); }
  __attribute__((target("avx512f"))) static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
};
template <>
struct Zmm<double> {
  using V = __m512d;
  static constexpr int kLanes = 8;
  __attribute__((target("avx512f"))) static V zero() { return _mm512_setzero_pd(); }
  __attribute__((target("avx512f"))) static V load(const double* p) { return _mm512_loadu_pd(p); }
  __attribute__((target("avx512f"))) static V set1(double x) { return _mm512_set1_pd(x); }
  __attribute__((target("avx512f"))) static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  __attribute__((target("avx512f"))) static V add(V a, V b) { return _mm512_add_pd(a, b); }
  __attribute__((target("avx512f"))) static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
};

template <typename T>
__attribute__((target("avx512f"))) void kernelAvx512(Index kc, const T* a, const T* b, T* c,
                                                     Index ldc, bool accumulate) {
  using Z = Zmm<T>;
  using V = typename Z::V;
  constexpr int L = Z::kLanes;
  V c00 = Z::zero(), c01 = Z::zero(), c10 = Z::zero(), c11 = Z::zero();
  V c20 = Z::zero(), c21 = Z::zero(), c30 = Z::zero(), c31 = Z::zero();
  V c40 = Z::zero(), c41 = Z::zero(), c50 = Z::zero(), c51 = Z::zero();
  V c60 = Z::zero(), c61 = Z::zero(), c70 = Z::zero(), c71 = Z::zero();
  // the C tile's lines are fetched while the loop runs
  for (int r = 0; r < 8; r++) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 2 * L - 1), _MM_HINT_T0);
  }
  for (Index p = 0; p < kc; p++) {
    const V b0 = Z::load(b), b1 = Z::load(b + L);
    V av;
    av = Z::set1(a[0]);
    c00 = Z::fma(av, b0, c00);
    c01 = Z::fma(av, b1, c01);
    av = Z::set1(a[1]);
    c10 = Z::fma(av, b0, c10);
    c11 = Z::fma(av, b1, c11);
    av = Z::set1(a[2]);
    c20 = Z::fma(av, b0, c20);
    c21 = Z::fma(av, b1, c21);
    av = Z::set1(a[3]);
    c30 = Z::fma(av, b0, c30);
    c31 = Z::fma(av, b1, c31);
    av = Z::set1(a[4]);
    c40 = Z::fma(av, b0, c40);
    c41 = Z::fma(av, b1, c41);
    av = Z::set1(a[5]);
    c50 = Z::fma(av, b0, c50);
    c51 = Z::fma(av, b1, c51);
    av = Z::set1(a[6]);
    c60 = Z::fma(av, b0, c60);
    c61 = Z::fma(av, b1, c61);
    av = Z::set1(a[7]);
    c70 = Z::fma(av, b0, c70);
    c71 = Z::fma(av, b1, c71);
    a += 8;
    b += 2 * L;
  }
  const V rows[8][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31},
                        {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
  for (int r = 0; r < 8; r++) {
    T* cr = c + r * ldc;
    V v0 = rows[r][0], v1 = rows[r][1];
    if (accumulate) {
      v0 = Z::add(v0, Z::load(cr));
      v1 = Z::add(v1, Z::load(cr + L));
    }
    Z::store(cr, v0);
    Z::store(cr + L, v1);
  }
}

// The same on an 8 x V tile (one zmm per row, 8 FMA chains): the last sliver of a product whose
// width leaves at most V columns there.
template <typename T>
__attribute__((target("avx512f"))) void kernelAvx512Half(Index kc, const T* a, const T* b, T* c,
                                                         Index ldc, bool accumulate) {
  using Z = Zmm<T>;
  using V = typename Z::V;
  V c0 = Z::zero(), c1 = Z::zero(), c2 = Z::zero(), c3 = Z::zero();
  V c4 = Z::zero(), c5 = Z::zero(), c6 = Z::zero(), c7 = Z::zero();
  for (Index p = 0; p < kc; p++) {
    const V bv = Z::load(b);
    c0 = Z::fma(Z::set1(a[0]), bv, c0);
    c1 = Z::fma(Z::set1(a[1]), bv, c1);
    c2 = Z::fma(Z::set1(a[2]), bv, c2);
    c3 = Z::fma(Z::set1(a[3]), bv, c3);
    c4 = Z::fma(Z::set1(a[4]), bv, c4);
    c5 = Z::fma(Z::set1(a[5]), bv, c5);
    c6 = Z::fma(Z::set1(a[6]), bv, c6);
    c7 = Z::fma(Z::set1(a[7]), bv, c7);
    a += 8;
    b += Z::kLanes;
  }
  const V rows[8] = {c0, c1, c2, c3, c4, c5, c6, c7};
  for (int r = 0; r < 8; r++) {
    T* cr = c + r * ldc;
    Z::store(cr, accumulate ? Z::add(rows[r], Z::load(cr)) : rows[r]);
  }
}
#endif

// ---------------------------------------------------------------------------------------------
// Packing buffers: one pair per thread, 64-byte aligned, grown on demand and kept; and the B
// panels a team shares (used only under the pool's lock, so by one team at a time).

struct Buffer {
  std::vector<unsigned char> bytes;
  template <typename T>
  T* get(size_t count) {
    const size_t need = count * sizeof(T) + 64;
    if (bytes.size() < need) bytes.resize(need);
    const uintptr_t p = reinterpret_cast<uintptr_t>(bytes.data());
    return reinterpret_cast<T*>((p + 63) & ~uintptr_t(63));
  }
};
thread_local Buffer tlsA, tlsB;
Buffer sharedB[2];

// The team of one GEMM: `size` threads, this one number `id`, the barrier they share and the
// two B panel buffers (the panel of one depth block is packed while the other may still be
// read). A team of one packs into its own buffer and never waits.
template <typename T>
struct Team {
  size_t id = 0, size = 1;
  SpinBarrier* barrier = nullptr;
  T* panels[2] = {nullptr, nullptr};
  int round = 0;  // depth blocks packed so far (the same count on every member)
};

// One GEMM: C (m x n, row stride ldc) = A (m x k) @ B (k x n); in a team, rows [lo, hi) of C
// (thread `id`'s share, MR-aligned), against B panels the team packs together.
template <typename T, int MR, int NR>
void gemm(const Engine<T>& e, const View<T>& A, const View<T>& B, T* C, Index ldc, Index m, Index k,
          Index n, Team<T>& team) {
  Index lo = 0, hi = m;
  if (team.size > 1) {
    const Index step = ((m + Index(team.size) - 1) / Index(team.size) + MR - 1) / MR * MR;
    lo = std::min(m, Index(team.id) * step);
    hi = std::min(m, lo + step);
  }
  if (k <= 0) {
    for (Index i = lo; i < hi; i++) std::fill(C + i * ldc, C + i * ldc + n, T(0));
    return;
  }
  const Index kcMax = depthBlock(k);
  const Index ncMax = std::min(e.nc, (n + NR - 1) / NR * NR);
  // this thread's rows in A blocks of at most MC rows, near-equal and MR-aligned
  const Index rows = hi - lo;
  const Index blocks = std::max<Index>(1, (rows + e.mc - 1) / e.mc);
  const Index mcMax = ((rows + blocks - 1) / blocks + MR - 1) / MR * MR;
  T* pa = tlsA.get<T>(size_t(std::max<Index>(mcMax, MR)) * kcMax);
  T* own = team.size == 1 ? tlsB.get<T>(size_t(ncMax) * kcMax) : nullptr;
  alignas(64) T edge[MR * NR];
  const bool half = e.half != nullptr;

  for (Index jc = 0; jc < n; jc += e.nc) {
    const Index nc = std::min(e.nc, n - jc);
    const Index slivers = (nc + NR - 1) / NR;
    for (Index pc = 0; pc < k; pc += kcMax) {
      const Index kc = std::min(kcMax, k - pc);
      const bool accumulate = pc > 0;
      T* pb = own;
      if (team.size == 1) {
        packB<T, NR>(B, pc, jc, kc, nc, 0, slivers, half, pb);
      } else {
        // this thread's share of the slivers, then wait until every share is packed. (The
        // buffer alternates per round: a thread packing round r+2 into it has passed round
        // r+1's barrier, so every thread has finished computing round r.)
        pb = team.panels[team.round & 1];
        const Index s0 = slivers * Index(team.id) / Index(team.size);
        const Index s1 = slivers * Index(team.id + 1) / Index(team.size);
        packB<T, NR>(B, pc, jc, kc, nc, s0, s1, half, pb);
        team.barrier->wait();
        team.round++;
      }
      for (Index ic = lo; ic < hi; ic += mcMax) {
        const Index mc = std::min(mcMax, hi - ic);
        packA<T, MR>(A, ic, pc, mc, kc, pa);
        for (Index jr = 0; jr < nc; jr += NR) {
          const Index nr = std::min<Index>(NR, nc - jr);
          const T* bs = pb + jr * kc;
          for (Index ir = 0; ir < mc; ir += MR) {
            const Index mr = std::min<Index>(MR, mc - ir);
            const T* as = pa + ir * kc;
            T* c = C + (ic + ir) * ldc + jc + jr;
            const MicroKernel<T> kernel = half && nr <= NR / 2 ? e.half : e.kernel;
            if (mr == MR && (nr == NR || (kernel == e.half && nr == NR / 2))) {
              kernel(kc, as, bs, c, ldc, accumulate);
            } else {
              // partial tile at the matrix edge: compute the full tile aside, copy the part
              kernel(kc, as, bs, edge, NR, false);
              for (Index r = 0; r < mr; r++)
                for (Index j = 0; j < nr; j++)
                  c[r * ldc + j] = accumulate ? c[r * ldc + j] + edge[r * NR + j] : edge[r * NR + j];
            }
          }
        }
      }
    }
  }
}

// The tile of the kernel in use and its loop nest.
template <typename T>
struct Gemm {
  Engine<T> engine;
  void (*run)(const Engine<T>&, const View<T>&, const View<T>&, T*, Index, Index, Index, Index,
              Team<T>&);
};

template <typename T>
Gemm<T> pickGemm();
template <>
Gemm<float> pickGemm<float>() {
#if TG_X86
  if (avx512()) return {{kernelAvx512<float>, kernelAvx512Half<float>, 8, 32, 256, 4096}, gemm<float, 8, 32>};
  if (avx2()) return {{kernelAvx2F32, nullptr, 6, 16, 144, 3072}, gemm<float, 6, 16>};
#endif
  return {{kernelScalar<float, 6, 16>, nullptr, 6, 16, 144, 3072}, gemm<float, 6, 16>};
}
template <>
Gemm<double> pickGemm<double>() {
#if TG_X86
  if (avx512()) return {{kernelAvx512<double>, kernelAvx512Half<double>, 8, 16, 128, 2048}, gemm<double, 8, 16>};
  if (avx2()) return {{kernelAvx2F64, nullptr, 6, 8, 96, 2048}, gemm<double, 6, 8>};
#endif
  return {{kernelScalar<double, 6, 8>, nullptr, 6, 8, 96, 2048}, gemm<double, 6, 8>};
}

// Below this many multiply-adds per product, threads cost more than they save.
constexpr double kParallelMinWork = 64.0 * 64.0 * 64.0;
// Below this, a product split along M packs B once per thread rather than share it: packing B
// again costs little next to m*k*n, and each barrier of a team is a wait for the slower thread
// (on a loaded machine, for a descheduled one).
constexpr double kTeamMinWork = 256.0 * 256.0 * 256.0;

template <typename T>
void batchedMatmul(const T* a, Index aOff, Index aBatch, Index aRow, Index aCol, const T* b,
                   Index bOff, Index bBatch, Index bRow, Index bCol, T* out, Index batch, Index m,
                   Index k, Index n) {
  const Gemm<T> g = pickGemm<T>();
  const Engine<T>& e = g.engine;
  const double work = double(m) * double(n) * double(k);
  size_t threads = numThreads;
  if (work * double(batch) < kParallelMinWork) threads = 1;
  auto item = [&](Index bt) {
    return std::make_pair(View<T>{a + aOff + bt * aBatch, aRow, aCol},
                          View<T>{b + bOff + bt * bBatch, bRow, bCol});
  };

  if (threads == 1 || size_t(batch) >= threads * 2 || work < kParallelMinWork) {
    // whole items per task
    runTasks(size_t(batch), threads, [&](size_t t) {
      const auto [A, B] = item(Index(t));
      Team<T> solo;
      g.run(e, A, B, out + Index(t) * m * n, n, m, k, n, solo);
    });
    return;
  }

  if (m >= n && m >= Index(threads) * e.mr * 2 && work >= kTeamMinWork) {
    // along M, the team sharing each B panel
    const Index kc = depthBlock(k), nc = std::min(e.nc, (n + e.nr - 1) / e.nr * e.nr);
    SpinBarrier barrier(threads);
    runTeam(threads, [&](size_t id, size_t size) {
      Team<T> team;
      team.id = id;
      team.size = size;
      if (size > 1) {
        if (id == 0) {
          sharedB[0].get<T>(size_t(kc) * nc);
          sharedB[1].get<T>(size_t(kc) * nc);
        }
        barrier.wait();  // (every member must have joined before the size is trusted)
        team.barrier = &barrier;
        team.panels[0] = sharedB[0].get<T>(size_t(kc) * nc);
        team.panels[1] = sharedB[1].get<T>(size_t(kc) * nc);
      }
      for (Index bt = 0; bt < batch; bt++) {
        const auto [A, B] = item(bt);
        g.run(e, A, B, out + bt * m * n, n, m, k, n, team);
      }
    });
    return;
  }

  // along N (or M when N is narrow): independent pieces, each packing what it reads
  const bool splitM = m >= n;
  const Index side = splitM ? m : n;
  const Index align = splitM ? e.mr : e.nr;
  const size_t parts = std::min<size_t>(threads, size_t((side + align - 1) / align));
  // piece boundaries rounded to the register tile, so only the last piece has an edge
  const Index step = ((side + Index(parts) - 1) / Index(parts) + align - 1) / align * align;
  const size_t piecesPerItem = size_t((side + step - 1) / step);
  runTasks(size_t(batch) * piecesPerItem, threads, [&](size_t t) {
    const Index bt = Index(t / piecesPerItem);
    const Index lo = Index(t % piecesPerItem) * step, hi = std::min(side, lo + step);
    const auto [A, B] = item(bt);
    T* ob = out + bt * m * n;
    Team<T> solo;
    if (splitM) {
      g.run(e, {A.data + lo * A.rs, A.rs, A.cs}, B, ob + lo * n, n, hi - lo, k, n, solo);
    } else {
      g.run(e, A, {B.data + lo * B.cs, B.rs, B.cs}, ob + lo, n, m, k, hi - lo, solo);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Node-API bindings

// The lowest and highest element index a strided (batch, rows, cols) walk touches.
bool inBounds(Index len, Index off, Index batch, Index sb, Index rows, Index sr, Index cols,
              Index sc) {
  return stridedInBounds(len, off, {batch, rows, cols}, {sb, sr, sc});
}

}  // namespace

namespace tg {

// out[b] (m x n, contiguous) = A[b] @ B[b], A and B read through their strides.
Napi::Value run(const Napi::CallbackInfo& info, const args::matmul& arg) {
  Napi::Env env = info.Env();
  const Index batch = arg.batch, m = arg.m, k = arg.k, n = arg.n;
  // (sizes below 2^31 each, so the products below cannot overflow)
  constexpr Index kMaxSize = Index(1) << 31;
  if (batch < 0 || m < 0 || k < 0 || n < 0 || batch >= kMaxSize || m >= kMaxSize ||
      k >= kMaxSize || n >= kMaxSize || double(batch) * double(m) * double(n) > 9e15 ||
      !inBounds(arg.a.len, arg.aOff, batch, arg.aBatch, m, arg.aRow, k, arg.aCol) ||
      !inBounds(arg.b.len, arg.bOff, batch, arg.bBatch, k, arg.bRow, n, arg.bCol) ||
      (batch * m * n > arg.out.len)) {
    Napi::RangeError::New(env, "matmul: layout out of the arrays' bounds")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (arg.a.type == napi_float32_array) {
    batchedMatmul<float>(static_cast<const float*>(arg.a.data), arg.aOff, arg.aBatch, arg.aRow,
                         arg.aCol, static_cast<const float*>(arg.b.data), arg.bOff, arg.bBatch,
                         arg.bRow, arg.bCol, static_cast<float*>(arg.out.data), batch, m, k, n);
  } else {
    batchedMatmul<double>(static_cast<const double*>(arg.a.data), arg.aOff, arg.aBatch, arg.aRow,
                          arg.aCol, static_cast<const double*>(arg.b.data), arg.bOff, arg.bBatch,
                          arg.bRow, arg.bCol, static_cast<double*>(arg.out.data), batch, m, k, n);
  }
  return env.Undefined();
}

}  // namespace tg
