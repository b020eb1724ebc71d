// tensorgrad native backend: strided, batched float32/float64 matrix multiply.
//
//   out[b] (m x n, row-major contiguous) = A[b] (m x k) @ B[b] (k x n)
//
// A and B are addressed exactly like the TypeScript kernel in src/backend/matmul.ts:
// element (i, p) of A[b] is a[aOff + b*aBatch + i*aRow + p*aCol] (any strides, batch stride 0 =
// broadcast), and likewise for B. Inputs are read straight from the typed arrays' memory; the
// only copies are the packed panels below. The output is written in place.
//
// Blocking (the BLIS/GotoBLAS loop nest, details at Product below):
//
//   pack B (k x n, or panels of it) into NR-wide column slivers per depth block of kc, zero padded
//   pack A (m x k, or panels) into MR-tall row slivers per depth block, zero padded
//   for each unit of C (a block of at most MC rows x some columns)
//     for pc in [0, k) step kc          depth block
//       for jr over the unit's columns step NR     one B sliver (kc x NR: lives in L1)
//         for ir over the unit's rows step MR      one A sliver (the unit's A block: in L2)
//           micro-kernel: C[MR x NR] (+)= A sliver @ B sliver, the MR x NR tile of C held in
//           registers for the whole kc loop (overwrite on the first depth block, accumulate after)
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
//   operands in cache, 97% of one core's peak (a 6x16 tile, 6 chains, reached 60-70%).
// - AVX2+FMA (float32 6x16, float64 6x8: 12 ymm accumulators).
// - a portable scalar kernel with the AVX2 kernels' tile otherwise.
// - WebAssembly: SIMD128, float32 4x8, or 3x12 with relaxed SIMD's fused multiply-add in its
//   relaxed build (Note [wasm kernel tile], Note [wasm relaxed fma]).
//
// Packing: float32 row-major A and transposed B (columns contiguous, as x @ W^T in linear) are
// packed with 8x8 AVX transposes; contiguous lanes (row-major B, transposed A) with vector
// copies, several slivers at once so that each source row is read in whole cache lines
// (Product::group); anything else element by element. Each source row is read once, from L3 or
// memory: the packers request it kPackAhead rows (or 128 bytes) ahead of the copy.
//
// Threads: a small persistent pool (common.h). When A is at most 1 MiB and has contiguous rows
// or columns (the MLP's products, n = 512, a transformer's x @ W^T at width 128), the threads
// claim (row block, B sliver) items from one counter; each packs the B sliver it claimed into
// its own L1-sized buffer and reads A in place (Product::runColumns): nothing is shared, so no
// thread ever waits for a phase another one has not finished. Otherwise they claim a larger
// product's packing slivers and then its units one at a time from shared counters
// (Product::run): each operand is packed once in all, and the work balances itself when one
// thread runs slower. Batched products with many items hand out whole items instead. Products
// under 1M multiply-adds run on the calling thread.

#include <cstring>
#include <type_traits>

#include "abi.gen.h"

namespace {

using namespace tg;

// A hint that the line at p will be read soon (into L1); nothing where there is no intrinsic.
inline void prefetch(const void* p) {
#if TG_X86
  _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0);
#elif defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}

// Packing reads source rows this many rows ahead of the copy (see packContiguous).
constexpr Index kPackAhead = 8;

// ---------------------------------------------------------------------------------------------
// Blocking. The depth block is kc = k split into ceil(k / KC) near-equal blocks, rounded up to
// 8 (the transposes' width): KC x NR (a B sliver: 32 KiB for float32 8x32) fits L1 (48 KiB on
// Zen 5) next to an A sliver; MC x KC (an A block: 256 KiB) fits L2 (1 MiB).
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

// Micro-kernel: C tile (MR x NR, row stride ldc) = or += A sliver @ packed B sliver. The A
// sliver is read at a[r*ars + p*aps] (row r < MR, step p < kc): a packed sliver has ars = 1,
// aps = MR; an A read in place has ars, aps = its row and column strides (one of them 1: the
// `direct` kernels below, instantiated with the strides as run-time values). Either way every
// output is the same fused multiply-add chain over p, so both give bitwise equal results.
template <typename T>
using MicroKernel = void (*)(Index kc, const T* a, Index ars, Index aps, const T* b, T* c,
                             Index ldc, bool accumulate);

// A kernel and its tile: the register tile MR x NR is a template argument of the loop nest
// (packing widths), MC and NC are the L2 and L3 block sizes for this tile.
// `half` (or null) is the same kernel on an MR x NR/2 tile, for a last sliver at most NR/2 wide
// (n = 10 outputs, the odd 16 columns of 784): half the multiply-adds of padding to NR.
// `direct`, `directHalf`: the same kernels reading A in place (strides as arguments).
template <typename T>
struct Engine {
  MicroKernel<T> kernel, half, direct, directHalf;
  int mr, nr;
  Index mc;  // rows of an A block (mc x kc in L2)
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
    // each row is read once, 32 bytes a step: its line two steps ahead is requested now
    if (p % 16 == 0 && p + 32 < kc) {
      prefetch(s0 + p + 32), prefetch(s1 + p + 32), prefetch(s2 + p + 32);
      prefetch(s3 + p + 32), prefetch(s4 + p + 32), prefetch(s5 + p + 32);
      prefetch(s6 + p + 32), prefetch(s7 + p + 32);
    }
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
    // lanes contiguous (rows of B, or columns of a transposed A): one vector copy per step,
    // the row kPackAhead steps down requested meanwhile (rows ps apart: see packContiguous)
    for (Index p = 0; p < kc; p++) {
      if (p + kPackAhead < kc) {
        const char* ahead = reinterpret_cast<const char*>(base + (p + kPackAhead) * ps);
        for (Index off = 0; off < Index(W * sizeof(T)); off += 64) prefetch(ahead + off);
        prefetch(ahead + W * sizeof(T) - 1);  // (the last line, when the row is not aligned)
      }
      std::memcpy(dst + p * W, base + p * ps, W * sizeof(T));
    }
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

// ---------------------------------------------------------------------------------------------
// Micro-kernels

// Portable: the compiler keeps the small accumulator array in registers where it can.
template <typename T, int MR, int NR, bool Direct>
void kernelScalar(Index kc, const T* a, Index ars, Index aps, const T* b, T* c, Index ldc,
                  bool accumulate) {
  if constexpr (!Direct) ars = 1, aps = MR;
  T acc[MR][NR] = {};
  for (Index p = 0; p < kc; p++) {
    for (Index r = 0; r < MR; r++) {
      const T av = a[r * ars];
      for (Index j = 0; j < NR; j++) acc[r][j] += av * b[j];
    }
    a += aps;
    b += NR;
  }
  for (Index r = 0; r < MR; r++)
    for (Index j = 0; j < NR; j++)
      c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}

#if TG_WASM
// WebAssembly SIMD128, float32 MR x 4NV: rows r < MR each in NV v128 (columns 4v..4v+3), MR*NV
// accumulators, NV of B and one broadcast of A, one depth step per loop iteration.
//
// Note [wasm kernel tile]: V8 allocates 15 vector registers on x86-64 and keeps its own
// temporaries among them. Measured on an Intel Xeon (Emerald Rapids, session 14; the operands in
// L1, kc = 256, Node 20's V8 11.3 and Chromium 156's V8, best of 25 interleaved rounds) the
// earlier 6x8 tile with four depth steps per iteration ran at 29-31 GF/s, one step per iteration
// on a 4x8 tile at 33-34 (8 accumulators leave V8 room; the bigger unrolled body spilled), and
// with relaxed SIMD's fused multiply-add a 3x12 tile at 42-45 (9 accumulators, three B vectors
// reused three times each), two steps per iteration at 32. bench/wasm-ab.ts on the whole
// products (512^3, 512^3 A^T B, the MLP's 128x784x256^T and its dW): 4x8 one step 1.07-1.13x
// the 6x8's speed; the 3x12 fused 1.2-1.45x the 3x12 unfused.
//
// Note [wasm relaxed fma]: the module is built twice (native/wasm/build.sh): without
// TG_WASM_RELAXED each product is rounded before the add (SIMD128 has no fused multiply-add), as
// in the portable kernel, so the two give bitwise equal results; with it the kernel uses relaxed
// SIMD's f32x4.relaxed_madd, a * b + c fused where the host has FMA (x86-64 with FMA3, ARM64),
// the native kernels' roundings, a fused or an unfused result elsewhere (the proposal leaves it
// to the host). src/backend/wasm.ts loads that build where the engine validates relaxed SIMD
// (Chromium 114+, Node 22+). clang 14 emits only the proposal's earlier encoding of the
// instruction (`f32x4.fma`, 0xfd 0xaf 0x01, with the same operand order: a * b + c, c on top of
// the stack); scripts/build-wasm.mjs rewrites each of them, located by llvm-objdump, to the
// final relaxed_madd (0xfd 0x85 0x02, as long).
template <int MR, int NV>
struct WasmTile {
  static constexpr int kMR = MR, kNR = 4 * NV;
#ifdef TG_WASM_RELAXED
  __attribute__((target("relaxed-simd"))) static v128_t madd(v128_t a, v128_t b, v128_t c) {
    return __builtin_wasm_fma_f32x4(a, b, c);
  }
#else
  static v128_t madd(v128_t a, v128_t b, v128_t c) {
    return wasm_f32x4_add(c, wasm_f32x4_mul(a, b));
  }
#endif

  template <bool Direct>
#ifdef TG_WASM_RELAXED
  __attribute__((target("relaxed-simd")))
#endif
  static void kernel(Index kc, const float* a, Index ars, Index aps, const float* b, float* c,
                     Index ldc, bool accumulate) {
    if constexpr (!Direct) ars = 1, aps = MR;
    v128_t acc[MR][NV];
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++)
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++) acc[r][v] = wasm_f32x4_splat(0);
    for (Index p = 0; p < kc; p++) {
      v128_t bv[NV];
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++) bv[v] = wasm_v128_load(b + 4 * v);
#pragma clang loop unroll(full)
      for (int r = 0; r < MR; r++) {
        const v128_t av = wasm_v128_load32_splat(a + r * ars);
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++) acc[r][v] = madd(av, bv[v], acc[r][v]);
      }
      a += aps;
      b += 4 * NV;
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
      float* cr = c + r * ldc;
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++) {
        v128_t x = acc[r][v];
        if (accumulate) x = wasm_f32x4_add(x, wasm_v128_load(cr + 4 * v));
        wasm_v128_store(cr + 4 * v, x);
      }
    }
  }
};
#ifdef TG_WASM_RELAXED
using WasmF32 = WasmTile<3, 3>;
#else
using WasmF32 = WasmTile<4, 2>;
#endif
#endif

#if TG_X86
// float32 6x16: rows r = 0..5 each in two ymm (columns 0-7, 8-15).
template <bool Direct>
__attribute__((target("avx2,fma"))) void kernelAvx2F32(Index kc, const float* a, Index ars,
                                                       Index aps, const float* b, float* c,
                                                       Index ldc, bool accumulate) {
  if constexpr (!Direct) ars = 1, aps = 6;
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
    av = _mm256_broadcast_ss(a + 0 * ars);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1 * ars);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2 * ars);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3 * ars);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4 * ars);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5 * ars);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    c51 = _mm256_fmadd_ps(av, b1, c51);
    a += aps;
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
template <bool Direct>
__attribute__((target("avx2,fma"))) void kernelAvx2F64(Index kc, const double* a, Index ars,
                                                       Index aps, const double* b, double* c,
                                                       Index ldc, bool accumulate) {
  if constexpr (!Direct) ars = 1, aps = 6;
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
    av = _mm256_broadcast_sd(a + 0 * ars);
    c00 = _mm256_fmadd_pd(av, b0, c00);
    c01 = _mm256_fmadd_pd(av, b1, c01);
    av = _mm256_broadcast_sd(a + 1 * ars);
    c10 = _mm256_fmadd_pd(av, b0, c10);
    c11 = _mm256_fmadd_pd(av, b1, c11);
    av = _mm256_broadcast_sd(a + 2 * ars);
    c20 = _mm256_fmadd_pd(av, b0, c20);
    c21 = _mm256_fmadd_pd(av, b1, c21);
    av = _mm256_broadcast_sd(a + 3 * ars);
    c30 = _mm256_fmadd_pd(av, b0, c30);
    c31 = _mm256_fmadd_pd(av, b1, c31);
    av = _mm256_broadcast_sd(a + 4 * ars);
    c40 = _mm256_fmadd_pd(av, b0, c40);
    c41 = _mm256_fmadd_pd(av, b1, c41);
    av = _mm256_broadcast_sd(a + 5 * ars);
    c50 = _mm256_fmadd_pd(av, b0, c50);
    c51 = _mm256_fmadd_pd(av, b1, c51);
    a += aps;
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
  __attribute__((target("avx512f"))) static V fma(V a, V b, V c) {
    return _mm512_fmadd_ps(a, b, c);
  }
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
  __attribute__((target("avx512f"))) static V fma(V a, V b, V c) {
    return _mm512_fmadd_pd(a, b, c);
  }
  __attribute__((target("avx512f"))) static V add(V a, V b) { return _mm512_add_pd(a, b); }
  __attribute__((target("avx512f"))) static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
};

template <typename T, bool Direct>
__attribute__((target("avx512f"))) void kernelAvx512(Index kc, const T* a, Index ars, Index aps,
                                                     const T* b, T* c, Index ldc,
                                                     bool accumulate) {
  if constexpr (!Direct) ars = 1, aps = 8;
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
    av = Z::set1(a[0 * ars]);
    c00 = Z::fma(av, b0, c00);
    c01 = Z::fma(av, b1, c01);
    av = Z::set1(a[1 * ars]);
    c10 = Z::fma(av, b0, c10);
    c11 = Z::fma(av, b1, c11);
    av = Z::set1(a[2 * ars]);
    c20 = Z::fma(av, b0, c20);
    c21 = Z::fma(av, b1, c21);
    av = Z::set1(a[3 * ars]);
    c30 = Z::fma(av, b0, c30);
    c31 = Z::fma(av, b1, c31);
    av = Z::set1(a[4 * ars]);
    c40 = Z::fma(av, b0, c40);
    c41 = Z::fma(av, b1, c41);
    av = Z::set1(a[5 * ars]);
    c50 = Z::fma(av, b0, c50);
    c51 = Z::fma(av, b1, c51);
    av = Z::set1(a[6 * ars]);
    c60 = Z::fma(av, b0, c60);
    c61 = Z::fma(av, b1, c61);
    av = Z::set1(a[7 * ars]);
    c70 = Z::fma(av, b0, c70);
    c71 = Z::fma(av, b1, c71);
    a += aps;
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
template <typename T, bool Direct>
__attribute__((target("avx512f"))) void kernelAvx512Half(Index kc, const T* a, Index ars,
                                                         Index aps, const T* b, T* c, Index ldc,
                                                         bool accumulate) {
  if constexpr (!Direct) ars = 1, aps = 8;
  using Z = Zmm<T>;
  using V = typename Z::V;
  V c0 = Z::zero(), c1 = Z::zero(), c2 = Z::zero(), c3 = Z::zero();
  V c4 = Z::zero(), c5 = Z::zero(), c6 = Z::zero(), c7 = Z::zero();
  for (Index p = 0; p < kc; p++) {
    const V bv = Z::load(b);
    c0 = Z::fma(Z::set1(a[0 * ars]), bv, c0);
    c1 = Z::fma(Z::set1(a[1 * ars]), bv, c1);
    c2 = Z::fma(Z::set1(a[2 * ars]), bv, c2);
    c3 = Z::fma(Z::set1(a[3 * ars]), bv, c3);
    c4 = Z::fma(Z::set1(a[4 * ars]), bv, c4);
    c5 = Z::fma(Z::set1(a[5 * ars]), bv, c5);
    c6 = Z::fma(Z::set1(a[6 * ars]), bv, c6);
    c7 = Z::fma(Z::set1(a[7 * ars]), bv, c7);
    a += aps;
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
// Packing buffers: one pair per thread, 64-byte aligned, grown on demand and kept. A team uses
// its caller's pair (the caller waits in runTasks until every member is done with it).

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

// ---------------------------------------------------------------------------------------------
// One product C (m x n, row stride ldc) = A (m x k) @ B (k x n), in phases that any number of
// threads work through together:
//
//   for each B panel (all of k x np columns; np = n unless k x n exceeds kPackMax)
//     for each A panel (all of mp rows x k)
//       pack phase: every NR-column sliver of the B panel (first A panel only) and every MR-row
//                   sliver of the A panel (when A has several panels, or for the first B panel),
//                   over all depth blocks
//       compute phase: units of C (row block x column block); a unit loops over depth blocks
//                   (pc), over its B slivers (jr), over its A slivers (ir): the BLIS order, the
//                   unit's A block (<= MC x kc) staying in L2 and each B sliver in L1
//
// A thread claims the items of a phase (slivers, units) one at a time from a shared counter,
// then waits until all of them are done before the next phase (the next phase's packing may
// overwrite what they read). So B is packed once in all, the work balances itself when one
// thread is slower (a descheduled thread on a shared machine delays a phase by at most the
// item it holds), and a member that starts late finds the finished phases done.

// Elements of A or B packed at once (16 MiB): larger operands are packed panel by panel.
constexpr Index kPackBytes = Index(16) << 20;

// Largest A (bytes) multiplied in place, B sliver by B sliver (Product::runColumns): the L2 of
// one core (1 MiB on Zen 5).
constexpr double kColumnsMaxA = 1 << 20;

// Note [wasm packs A]: the WebAssembly kernel reading A in place (runColumns) addresses its
// rows through a run-time stride, an address computation per row and step that the packed
// sliver's constant offsets avoid: with the earlier 6x8 kernel (four steps per iteration) the
// packed path ran 1.25-1.5x faster on every product measured but n = 10 outputs (128 x 256 x 10,
// and 128 x 256 x 32 by 11%: packing A, once per product, costs more than a few B slivers
// gain). So on WebAssembly runColumns is kept for products at most this many columns wide.
#if TG_WASM
constexpr Index kColumnsMaxN = 32;
#else
constexpr Index kColumnsMaxN = Index(1) << 62;
#endif

struct PhaseState {
  std::atomic<Index> next{0}, done{0};
};

// Claim and run items 0..count-1 of a phase, then wait for the other threads' items.
template <typename F>
void phase(PhaseState& s, Index count, F&& item) {
  for (Index i; (i = s.next.fetch_add(1, std::memory_order_relaxed)) < count;) {
    item(i);
    s.done.fetch_add(1, std::memory_order_acq_rel);
  }
#if TG_WASM_THREADS  // (spin: a browser's main thread may not block)
  while (s.done.load(std::memory_order_acquire) < count) {
  }
#elif !TG_WASM  // (one thread: every item is done)
  for (int spins = 0; s.done.load(std::memory_order_acquire) < count; spins++) {
    if ((spins & 255) == 255) {
      std::this_thread::yield();
    } else {
#if TG_X86
      _mm_pause();
#endif
    }
  }
#endif
}

template <typename T, int MR, int NR>
struct Product {
  const Engine<T>& e;
  View<T> A, B;
  T* C;
  Index ldc, m, k, n;
  T* pa;  // packed A panel: depth block at pc holds rows' slivers from pa + pc * mpPad
  T* pb;  // packed B panel: depth block at pc holds columns' slivers from pb + pc * npPad
  Index kc, mp, np;  // depth block, A panel rows, B panel columns

  static Index roundUp(Index x, Index to) { return (x + to - 1) / to * to; }

  Product(const Engine<T>& e_, View<T> A_, View<T> B_, T* C_, Index ldc_, Index m_, Index k_,
          Index n_)
      : e(e_), A(A_), B(B_), C(C_), ldc(ldc_), m(m_), k(k_), n(n_), kc(depthBlock(k_)) {
    const Index maxElems = kPackBytes / Index(sizeof(T));
    np = std::min(roundUp(n, NR), std::max<Index>(NR, maxElems / k / NR * NR));
    mp = std::min(roundUp(m, MR), std::max<Index>(MR, maxElems / k / MR * MR));
  }
  size_t aElems() const { return size_t(mp) * size_t(k); }
  size_t bElems() const { return size_t(np) * size_t(k); }
  // phases per product: a pack and a compute phase per pair of panels
  Index phases() const { return 2 * ((m + mp - 1) / mp) * ((n + np - 1) / np); }

  // Run this thread's share of every phase; `state` holds phases() counters.
  void run(PhaseState* state, size_t teamSize) const {
    const Index aPanels = (m + mp - 1) / mp;
    for (Index jc = 0; jc < n; jc += np) {
      const Index ncur = std::min(np, n - jc);
      const Index bSlivers = (ncur + NR - 1) / NR;
      for (Index ic = 0; ic < m; ic += mp) {
        const Index mcur = std::min(mp, m - ic);
        const Index aSlivers = (mcur + MR - 1) / MR;
        const Index bg = group(B.cs, NR), ag = group(A.rs, MR);
        const Index bItems = ic == 0 ? (bSlivers + bg - 1) / bg : 0;
        const Index aItems = jc == 0 || aPanels > 1 ? (aSlivers + ag - 1) / ag : 0;
        phase(*state++, bItems + aItems, [&](Index i) {
          if (i < bItems) {
            packBSlivers(jc, ncur, i * bg, std::min(bSlivers, (i + 1) * bg));
          } else {
            i -= bItems;
            packASlivers(ic, mcur, i * ag, std::min(aSlivers, (i + 1) * ag));
          }
        });
        // units: row blocks of at most MC rows; in a team, halved (rows or columns, whichever
        // spans more register tiles) until there are 8 per thread, for balance
        Index rb = (mcur + e.mc - 1) / e.mc, cb = 1;
        while (teamSize > 1 && rb * cb < 8 * Index(teamSize)) {
          // (halves stay at least 4 tiles tall and 2 wide: each B sliver brought to L1 serves 4
          // A slivers or more)
          const Index rows = (mcur + rb - 1) / rb, cols = (ncur + cb - 1) / cb;
          const bool byRows = rows >= 8 * MR, byCols = cols >= 4 * NR;
          if (byRows && (!byCols || rows / MR >= cols / NR)) rb *= 2;
          else if (byCols) cb *= 2;
          else break;
        }
        const Index rowsPer = roundUp((mcur + rb - 1) / rb, MR);
        const Index colsPer = roundUp((ncur + cb - 1) / cb, NR);
        rb = (mcur + rowsPer - 1) / rowsPer;
        cb = (ncur + colsPer - 1) / colsPer;
        phase(*state++, rb * cb, [&](Index u) {
          const Index r0 = u / cb * rowsPer, c0 = u % cb * colsPer;
          compute(ic, mcur, r0, std::min(mcur, r0 + rowsPer), jc, ncur, c0,
                  std::min(ncur, c0 + colsPer));
        });
      }
    }
  }

  // Slivers per pack item: one, or, when an operand's lanes are contiguous in memory (rows of
  // a row-major B, columns of a transposed A: lane stride 1), as many as span 256 bytes of
  // each source row. A sliver alone reads MR (NR) lanes of each of kc rows, k apart: 32 bytes
  // of every 64-byte line for a transposed float32 A, and at n = 1024 the kc rows are 4 KB
  // apart, the same L1 set, so the other half of each line is gone from L1 when the next
  // sliver wants it. A group reads whole lines once (measured, A^T @ B at n = 1024 on one
  // thread, best of 60 calls: 180 GFLOP/s a sliver per item, 189 grouped).
  static Index group(Index laneStride, int lanes) {
    return laneStride == 1 ? std::max<Index>(1, Index(256 / (lanes * sizeof(T)))) : 1;
  }

  // Full W-lane slivers [s0, s1) of a panel whose lanes are contiguous (lane l of sliver s at
  // src + (s - s0) * W + l, step p at + p * ps) for kb steps: dst of sliver s at dst + s*W*kb.
  // The source rows are ps apart (4 KB at n = 1024), each read once: the copies wait on
  // memory unless the lines are requested ahead, kPackAhead rows down.
  template <int W>
  static void packContiguous(const T* src, Index ps, Index kb, Index s0, Index s1, T* dst) {
    const Index bytes = (s1 - s0) * W * Index(sizeof(T));
    for (Index p = 0; p < kb; p++) {
      const T* row = src + p * ps;
      if (p + kPackAhead < kb) {
        const char* ahead = reinterpret_cast<const char*>(row + kPackAhead * ps);
        for (Index off = 0; off < bytes; off += 64) prefetch(ahead + off);
        prefetch(ahead + bytes - 1);  // (the last line, when the row is not aligned)
      }
      for (Index s = s0; s < s1; s++)
        std::memcpy(dst + s * W * kb + p * W, row + (s - s0) * W, W * sizeof(T));
    }
  }

  // Slivers [s0, s1) of the B panel at column jc (ncur wide) over every depth block; a last
  // sliver of at most NR/2 columns is NR/2 wide when the half-width kernel exists.
  void packBSlivers(Index jc, Index ncur, Index s0, Index s1) const {
    const Index npPad = roundUp(ncur, NR);
    // slivers of NR columns read together when the columns are contiguous
    const Index full = B.cs == 1 ? std::min(s1, std::max(s0, ncur / NR)) : s0;
    for (Index pc = 0; pc < k; pc += kc) {
      const Index kb = std::min(kc, k - pc);
      if (full - s0 > 1) {
        packContiguous<NR>(B.data + pc * B.rs + (jc + s0 * NR), B.rs, kb, s0, full,
                           pb + pc * npPad);
      }
      for (Index s = full - s0 > 1 ? full : s0; s < s1; s++) {
        const Index cols = std::min<Index>(NR, ncur - s * NR);
        const T* src = B.data + pc * B.rs + (jc + s * NR) * B.cs;
        T* dst = pb + pc * npPad + s * NR * kb;
        if (e.half != nullptr && cols <= NR / 2) {
          packSliver<T, NR / 2>(src, B.cs, B.rs, cols, kb, dst);
        } else {
          packSliver<T, NR>(src, B.cs, B.rs, cols, kb, dst);
        }
      }
    }
  }

  // Slivers [s0, s1) of the A panel at row ic (mcur tall) over every depth block.
  void packASlivers(Index ic, Index mcur, Index s0, Index s1) const {
    const Index mpPad = roundUp(mcur, MR);
    const Index full = A.rs == 1 ? std::min(s1, std::max(s0, mcur / MR)) : s0;
    for (Index pc = 0; pc < k; pc += kc) {
      const Index kb = std::min(kc, k - pc);
      if (full - s0 > 1) {
        packContiguous<MR>(A.data + (ic + s0 * MR) + pc * A.cs, A.cs, kb, s0, full,
                           pa + pc * mpPad);
      }
      for (Index s = full - s0 > 1 ? full : s0; s < s1; s++) {
        const Index rows = std::min<Index>(MR, mcur - s * MR);
        packSliver<T, MR>(A.data + (ic + s * MR) * A.rs + pc * A.cs, A.rs, A.cs, rows, kb,
                          pa + pc * mpPad + s * MR * kb);
      }
    }
  }

  // C[ic+r0 : ic+r1, jc+c0 : jc+c1] from the packed panels (r0, c0 tile-aligned).
  void compute(Index ic, Index mcur, Index r0, Index r1, Index jc, Index ncur, Index c0,
               Index c1) const {
    const Index mpPad = roundUp(mcur, MR), npPad = roundUp(ncur, NR);
    alignas(64) T edge[MR * NR];
    for (Index pc = 0; pc < k; pc += kc) {
      const Index kb = std::min(kc, k - pc);
      const bool accumulate = pc > 0;
      for (Index jr = c0; jr < c1; jr += NR) {
        const Index nr = std::min<Index>(NR, c1 - jr);
        const T* bs = pb + pc * npPad + jr * kb;
        const bool halfWidth = e.half != nullptr && ncur - jr <= NR / 2;
        const MicroKernel<T> kernel = halfWidth ? e.half : e.kernel;
        for (Index ir = r0; ir < r1; ir += MR) {
          const Index mr = std::min<Index>(MR, r1 - ir);
          const T* as = pa + pc * mpPad + ir * kb;
          T* c = C + (ic + ir) * ldc + jc + jr;
          tile(kernel, kb, as, 1, MR, bs, c, mr, nr, halfWidth, accumulate, edge);
        }
      }
    }
  }

  // One register tile: C[mr x nr at c] (+)= A sliver @ B sliver; a partial tile at the matrix
  // edge is computed whole aside (`edge`) and its part copied.
  void tile(MicroKernel<T> kernel, Index kb, const T* as, Index ars, Index aps, const T* bs, T* c,
            Index mr, Index nr, bool halfWidth, bool accumulate, T* edge) const {
    if (mr == MR && nr == (halfWidth ? NR / 2 : NR)) {
      kernel(kb, as, ars, aps, bs, c, ldc, accumulate);
      return;
    }
    kernel(kb, as, ars, aps, bs, edge, NR, false);
    for (Index r = 0; r < mr; r++)
      for (Index j = 0; j < nr; j++)
        c[r * ldc + j] = accumulate ? c[r * ldc + j] + edge[r * NR + j] : edge[r * NR + j];
  }

  // Whether runColumns applies: A read in place (rows or columns contiguous) and small enough
  // (at most kColumnsMaxA bytes) that it stays in each core's L2 while B slivers stream past.
  bool columnsOnly() const {
    return double(m) * double(k) * sizeof(T) <= kColumnsMaxA && n <= kColumnsMaxN &&
           (A.cs == 1 || A.rs == 1);
  }

  // Small-A products (columnsOnly): row blocks of at most MC rows (one for m <= MC), each
  // split into its B slivers: the threads claim (row block, B sliver) items one at a time from
  // `next`. A thread packs the sliver it claimed itself, a depth block at a time, into its own
  // buffer `pbOwn` (kc x NR: stays in L1), and multiplies every MR-row sliver of the row block,
  // read in place, with it (a last partial A sliver is packed into `paOwn`, MR x kc). No operand
  // is shared, so there is no phase to wait for: the threads only meet when the product is
  // done. (B is packed once per row block: one element copied per MC multiply-adds.) Same sums
  // as run(): per depth block one chain over p, blocks added in order.
  void runColumns(std::atomic<Index>& next, T* pbOwn, T* paOwn) const {
    alignas(64) T edge[MR * NR];
    const Index slivers = (n + NR - 1) / NR;
    const Index blocks = (m + e.mc - 1) / e.mc;
    const Index rowsPer = roundUp((m + blocks - 1) / blocks, MR);
    for (Index item; (item = next.fetch_add(1, std::memory_order_relaxed)) < blocks * slivers;) {
      const Index s = item % slivers, i0 = item / slivers * rowsPer;
      const Index i1 = std::min(m, i0 + rowsPer);
      const Index jr = s * NR, nr = std::min<Index>(NR, n - jr);
      const bool halfWidth = e.half != nullptr && nr <= NR / 2;
      for (Index pc = 0; pc < k; pc += kc) {
        const Index kb = std::min(kc, k - pc);
        const T* src = B.data + pc * B.rs + jr * B.cs;
        if (halfWidth) packSliver<T, NR / 2>(src, B.cs, B.rs, nr, kb, pbOwn);
        else packSliver<T, NR>(src, B.cs, B.rs, nr, kb, pbOwn);
        for (Index ir = i0; ir < i1; ir += MR) {
          const Index mr = std::min<Index>(MR, i1 - ir);
          T* c = C + ir * ldc + jr;
          if (mr == MR) {
            tile(halfWidth ? e.directHalf : e.direct, kb, A.data + ir * A.rs + pc * A.cs, A.rs,
                 A.cs, pbOwn, c, mr, nr, halfWidth, pc > 0, edge);
          } else {
            packSliver<T, MR>(A.data + ir * A.rs + pc * A.cs, A.rs, A.cs, mr, kb, paOwn);
            tile(halfWidth ? e.half : e.kernel, kb, paOwn, 1, MR, pbOwn, c, mr, nr, halfWidth,
                 pc > 0, edge);
          }
        }
      }
    }
  }
};

// Every product of a batch, by `threads` threads (1: on the calling thread; each item whole on
// one thread when the batch alone gives every thread work; else the items one after another,
// each shared by a team).
template <typename T, int MR, int NR>
void gemmBatch(const Engine<T>& e, const T* a, Index aBatch, Index aRow, Index aCol, const T* b,
               Index bBatch, Index bRow, Index bCol, T* out, Index batch, Index m, Index k,
               Index n, size_t threads, bool wholeItems) {
  using P = Product<T, MR, NR>;
  if (m <= 0 || n <= 0 || batch <= 0) return;
  if (k <= 0) {
    std::fill(out, out + batch * m * n, T(0));
    return;
  }
  auto product = [&](Index bt, T* pa, T* pb) {
    P p(e, {a + bt * aBatch, aRow, aCol}, {b + bt * bBatch, bRow, bCol}, out + bt * m * n, n, m, k,
        n);
    p.pa = pa;
    p.pb = pb;
    return p;
  };
  const P shape = product(0, nullptr, nullptr);
  if (shape.columnsOnly()) {
    // per thread: a B sliver (kc x NR) and a partial A sliver (MR x kc)
    const size_t own = size_t(shape.kc) * size_t(MR + NR);
    if (threads <= 1 || wholeItems) {
      runTasks(size_t(batch), threads, [&](size_t t) {
        T* buf = tlsB.get<T>(own);
        std::atomic<Index> next{0};
        product(Index(t), nullptr, nullptr).runColumns(next, buf, buf + shape.kc * NR);
      });
      return;
    }
    // (no more threads than items: n = 10 outputs on at most MC rows make one)
    const size_t team = std::min<size_t>(
        threads, size_t((n + NR - 1) / NR * ((m + shape.e.mc - 1) / shape.e.mc)));
    std::vector<std::atomic<Index>> next(static_cast<size_t>(batch));
    runTasks(team, team, [&](size_t) {
      T* buf = tlsB.get<T>(own);
      for (Index bt = 0; bt < batch; bt++)
        product(bt, nullptr, nullptr).runColumns(next[size_t(bt)], buf, buf + shape.kc * NR);
    });
    return;
  }
  if (threads <= 1 || wholeItems) {
    runTasks(size_t(batch), threads, [&](size_t t) {
      P p = product(Index(t), tlsA.get<T>(shape.aElems()), tlsB.get<T>(shape.bElems()));
      std::vector<PhaseState> state(size_t(p.phases()));
      p.run(state.data(), 1);
    });
    return;
  }
  T* pa = tlsA.get<T>(shape.aElems());
  T* pb = tlsB.get<T>(shape.bElems());
  std::vector<PhaseState> state(size_t(shape.phases() * batch));
  // (a thread only waits for items another thread has claimed and is running, so the tasks
  // need not run at once: when the pool is busy they run one after the other here)
  runTasks(threads, threads, [&](size_t) {
    for (Index bt = 0; bt < batch; bt++)
      product(bt, pa, pb).run(state.data() + bt * shape.phases(), threads);
  });
}

// The kernels in use and their loop nest.
template <typename T>
struct Gemm {
  Engine<T> engine;
  void (*run)(const Engine<T>&, const T*, Index, Index, Index, const T*, Index, Index, Index, T*,
              Index, Index, Index, Index, size_t, bool);
};

template <typename T>
Gemm<T> pickGemm();
template <>
Gemm<float> pickGemm<float>() {
#if TG_X86
  if (avx512())
    return {{kernelAvx512<float, false>, kernelAvx512Half<float, false>,
             kernelAvx512<float, true>, kernelAvx512Half<float, true>, 8, 32, 256},
            gemmBatch<float, 8, 32>};
  if (avx2())
    return {{kernelAvx2F32<false>, nullptr, kernelAvx2F32<true>, nullptr, 6, 16, 144},
            gemmBatch<float, 6, 16>};
#endif
#if TG_WASM
  return {{WasmF32::kernel<false>, nullptr, WasmF32::kernel<true>, nullptr, WasmF32::kMR,
           WasmF32::kNR, 144},
          gemmBatch<float, WasmF32::kMR, WasmF32::kNR>};
#endif
  return {{kernelScalar<float, 6, 16, false>, nullptr, kernelScalar<float, 6, 16, true>, nullptr,
           6, 16, 144},
          gemmBatch<float, 6, 16>};
}
template <>
Gemm<double> pickGemm<double>() {
#if TG_X86
  if (avx512())
    return {{kernelAvx512<double, false>, kernelAvx512Half<double, false>,
             kernelAvx512<double, true>, kernelAvx512Half<double, true>, 8, 16, 128},
            gemmBatch<double, 8, 16>};
  if (avx2())
    return {{kernelAvx2F64<false>, nullptr, kernelAvx2F64<true>, nullptr, 6, 8, 96},
            gemmBatch<double, 6, 8>};
#endif
  return {{kernelScalar<double, 6, 8, false>, nullptr, kernelScalar<double, 6, 8, true>, nullptr,
           6, 8, 96},
          gemmBatch<double, 6, 8>};
}

// Below this many multiply-adds per product (~5 us on one core), threads cost more than they
// save: handing work to the second thread and waiting for it costs a few us on a quiet machine,
// and tens of us on average when the cores are shared (measured, 128x256x10 float32, mean of
// 2000 calls: one thread 9.6 us, two 32 us; best 7.2 us either way).
constexpr double kParallelMinWork = 1024.0 * 1024.0;

template <typename T>
void batchedMatmul(const T* a, Index aOff, Index aBatch, Index aRow, Index aCol, const T* b,
                   Index bOff, Index bBatch, Index bRow, Index bCol, T* out, Index batch, Index m,
                   Index k, Index n) {
  const Gemm<T> g = pickGemm<T>();
  const double work = double(m) * double(n) * double(k);
  // several threads when the whole batch is worth it; whole items per thread when the batch
  // alone gives each thread work or the items are small, else a team per product
#if TG_WASM_THREADS
  const double minWork = kParallelMinWork * double(wasmGrain);  // Note [wasm grain]
#else
  const double minWork = kParallelMinWork;
#endif
  const size_t threads = work * double(batch) < minWork ? 1 : numThreads;
  const bool wholeItems = size_t(batch) >= 2 * threads || work < kParallelMinWork;
  g.run(g.engine, a + aOff, aBatch, aRow, aCol, b + bOff, bBatch, bRow, bCol, out, batch, m, k, n,
        threads, wholeItems);
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

void matmulF64(const double* a, Index aRow, Index aCol, const double* b, Index bRow, Index bCol,
               double* out, Index m, Index k, Index n) {
  batchedMatmul<double>(a, 0, 0, aRow, aCol, b, 0, 0, bRow, bCol, out, 1, m, k, n);
}

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
