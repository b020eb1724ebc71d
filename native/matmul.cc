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
//     for pc in [0, k) step KC          depth
//       pack B[pc:pc+KC, jc:jc+NC] into NR-wide column slivers, each KC x NR, zero padded
//       for ic in [0, m) step MC        A block rows               (A block lives in L2)
//         pack A[ic:ic+MC, pc:pc+KC] into MR-tall row slivers, each MR x KC, zero padded
//         for jr in [0, nc) step NR     one B sliver               (sliver lives in L1)
//           for ir in [0, mc) step MR   one A sliver
//             micro-kernel: C[MR x NR] (+)= A sliver @ B sliver, the MR x NR tile of C held
//             in registers for the whole KC loop (overwrite on the first depth block,
//             accumulate after)
//
// Micro-kernels: AVX2+FMA (float32 6x16, float64 6x8: 12 ymm accumulators, 2 ymm of B, one
// broadcast of A) compiled with __attribute__((target("avx2,fma"))) and chosen at run time
// with __builtin_cpu_supports, so one build runs on any x86-64; a portable scalar micro-kernel
// with the same packing otherwise.
//
// Threads: a small persistent pool (std::thread). A large product is cut into one piece per
// thread along M (or N when N is the larger side), each piece a full independent GEMM on its
// own packed buffers; batched products with many items hand out whole items instead. Small
// products run on the calling thread.

#include <cstring>

#include "abi.gen.h"

namespace {

using namespace tg;

// ---------------------------------------------------------------------------------------------
// Per-type blocking parameters. MR x NR is the register tile; KC x NR (B sliver) fits L1,
// MC x KC (A block) fits L2, KC x NC (B panel) fits L3.

template <typename T>
struct Blocking;
template <>
struct Blocking<float> {
  static constexpr Index MR = 6, NR = 16, KC = 256, MC = 144, NC = 3072;
};
template <>
struct Blocking<double> {
  static constexpr Index MR = 6, NR = 8, KC = 256, MC = 96, NC = 2048;
};

// A strided matrix view: element (i, j) is data[off + i*rs + j*cs].
template <typename T>
struct View {
  const T* data;
  Index rs, cs;
};

// Micro-kernel: C tile (MR x NR, row stride ldc) = or += packed A sliver @ packed B sliver.
template <typename T>
using MicroKernel = void (*)(Index kc, const T* a, const T* b, T* c, Index ldc, bool accumulate);

// ---------------------------------------------------------------------------------------------
// Packing

// A[i0:i0+mc, p0:p0+kc] into MR-row slivers: sliver s holds, for p = 0..kc-1, the MR values
// A[i0 + s*MR + r, p0 + p] (r = 0..MR-1), rows past mc zero.
template <typename T>
void packA(const View<T>& A, Index i0, Index p0, Index mc, Index kc, T* dst) {
  constexpr Index MR = Blocking<T>::MR;
  for (Index s = 0; s < mc; s += MR) {
    const Index rows = std::min(MR, mc - s);
    const T* base = A.data + (i0 + s) * A.rs + p0 * A.cs;
    if (rows == MR && A.cs == 1) {
      // common case: rows of A contiguous
      for (Index p = 0; p < kc; p++)
        for (Index r = 0; r < MR; r++) dst[p * MR + r] = base[r * A.rs + p];
    } else {
      for (Index p = 0; p < kc; p++) {
        for (Index r = 0; r < rows; r++) dst[p * MR + r] = base[r * A.rs + p * A.cs];
        for (Index r = rows; r < MR; r++) dst[p * MR + r] = T(0);
      }
    }
    dst += kc * MR;
  }
}

// B[p0:p0+kc, j0:j0+nc] into NR-column slivers: sliver s holds, for p = 0..kc-1, the NR values
// B[p0 + p, j0 + s*NR + c] (c = 0..NR-1), columns past nc zero.
template <typename T>
void packB(const View<T>& B, Index p0, Index j0, Index kc, Index nc, T* dst) {
  constexpr Index NR = Blocking<T>::NR;
  const Index full = nc / NR * NR;  // columns in whole slivers
  if (B.cs == 1) {
    // rows of B contiguous: walk B row by row (one sequential stream), scattering each row's
    // NR-wide pieces to their slivers
    for (Index p = 0; p < kc; p++) {
      const T* row = B.data + (p0 + p) * B.rs + j0;
      T* d = dst + p * NR;
      for (Index s = 0; s < full; s += NR, d += kc * NR) std::memcpy(d, row + s, NR * sizeof(T));
    }
  } else {
    // columns of B contiguous (a transposed operand) or general strides: walk each sliver
    for (Index s = 0; s < full; s += NR) {
      T* d = dst + s * kc;
      const T* base = B.data + p0 * B.rs + (j0 + s) * B.cs;
      for (Index p = 0; p < kc; p++)
        for (Index c = 0; c < NR; c++) d[p * NR + c] = base[p * B.rs + c * B.cs];
    }
  }
  if (full < nc) {
    // the last, partial sliver, zero padded
    const Index cols = nc - full;
    T* d = dst + full * kc;
    const T* base = B.data + p0 * B.rs + (j0 + full) * B.cs;
    for (Index p = 0; p < kc; p++) {
      for (Index c = 0; c < cols; c++) d[p * NR + c] = base[p * B.rs + c * B.cs];
      for (Index c = cols; c < NR; c++) d[p * NR + c] = T(0);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Micro-kernels

// Portable: the compiler keeps the small accumulator array in registers where it can.
template <typename T>
void kernelScalar(Index kc, const T* a, const T* b, T* c, Index ldc, bool accumulate) {
  constexpr Index MR = Blocking<T>::MR, NR = Blocking<T>::NR;
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

// AVX-512F (float32 6x16: one zmm per row; float64 6x8: one zmm per row): half the
// instructions of the AVX2 kernels for the same tile and packing.
__attribute__((target("avx512f"))) void kernelAvx512F32(Index kc, const float* a, const float* b,
                                                       float* c, Index ldc, bool accumulate) {
  __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps(), c2 = _mm512_setzero_ps();
  __m512 c3 = _mm512_setzero_ps(), c4 = _mm512_setzero_ps(), c5 = _mm512_setzero_ps();
  for (Index p = 0; p < kc; p++) {
    const __m512 bv = _mm512_loadu_ps(b);
    c0 = _mm512_fmadd_ps(_mm512_set1_ps(a[0]), bv, c0);
    c1 = _mm512_fmadd_ps(_mm512_set1_ps(a[1]), bv, c1);
    c2 = _mm512_fmadd_ps(_mm512_set1_ps(a[2]), bv, c2);
    c3 = _mm512_fmadd_ps(_mm512_set1_ps(a[3]), bv, c3);
    c4 = _mm512_fmadd_ps(_mm512_set1_ps(a[4]), bv, c4);
    c5 = _mm512_fmadd_ps(_mm512_set1_ps(a[5]), bv, c5);
    a += 6;
    b += 16;
  }
  const __m512 rows[6] = {c0, c1, c2, c3, c4, c5};
  for (int r = 0; r < 6; r++) {
    float* cr = c + r * ldc;
    _mm512_storeu_ps(cr, accumulate ? _mm512_add_ps(rows[r], _mm512_loadu_ps(cr)) : rows[r]);
  }
}

__attribute__((target("avx512f"))) void kernelAvx512F64(Index kc, const double* a,
                                                       const double* b, double* c, Index ldc,
                                                       bool accumulate) {
  __m512d c0 = _mm512_setzero_pd(), c1 = _mm512_setzero_pd(), c2 = _mm512_setzero_pd();
  __m512d c3 = _mm512_setzero_pd(), c4 = _mm512_setzero_pd(), c5 = _mm512_setzero_pd();
  for (Index p = 0; p < kc; p++) {
    const __m512d bv = _mm512_loadu_pd(b);
    c0 = _mm512_fmadd_pd(_mm512_set1_pd(a[0]), bv, c0);
    c1 = _mm512_fmadd_pd(_mm512_set1_pd(a[1]), bv, c1);
    c2 = _mm512_fmadd_pd(_mm512_set1_pd(a[2]), bv, c2);
    c3 = _mm512_fmadd_pd(_mm512_set1_pd(a[3]), bv, c3);
    c4 = _mm512_fmadd_pd(_mm512_set1_pd(a[4]), bv, c4);
    c5 = _mm512_fmadd_pd(_mm512_set1_pd(a[5]), bv, c5);
    a += 6;
    b += 8;
  }
  const __m512d rows[6] = {c0, c1, c2, c3, c4, c5};
  for (int r = 0; r < 6; r++) {
    double* cr = c + r * ldc;
    _mm512_storeu_pd(cr, accumulate ? _mm512_add_pd(rows[r], _mm512_loadu_pd(cr)) : rows[r]);
  }
}
#endif


template <typename T>
MicroKernel<T> pickKernel();
template <>
MicroKernel<float> pickKernel<float>() {
#if TG_X86
  if (avx512()) return kernelAvx512F32;
  if (avx2()) return kernelAvx2F32;
#endif
  return kernelScalar<float>;
}
template <>
MicroKernel<double> pickKernel<double>() {
#if TG_X86
  if (avx512()) return kernelAvx512F64;
  if (avx2()) return kernelAvx2F64;
#endif
  return kernelScalar<double>;
}

// ---------------------------------------------------------------------------------------------
// Packing buffers: one pair per thread, 64-byte aligned, grown on demand and kept.

struct Buffers {
  std::vector<unsigned char> a, b;
  template <typename T>
  static T* aligned(std::vector<unsigned char>& v, size_t count) {
    const size_t bytes = count * sizeof(T) + 64;
    if (v.size() < bytes) v.resize(bytes);
    const uintptr_t p = reinterpret_cast<uintptr_t>(v.data());
    return reinterpret_cast<T*>((p + 63) & ~uintptr_t(63));
  }
};
thread_local Buffers tlsBuffers;

// One GEMM: C (m x n, row stride ldc) = A (m x k) @ B (k x n).
template <typename T>
void gemm(const View<T>& A, const View<T>& B, T* C, Index ldc, Index m, Index k, Index n) {
  using Bk = Blocking<T>;
  constexpr Index MR = Bk::MR, NR = Bk::NR, KC = Bk::KC, MC = Bk::MC, NC = Bk::NC;
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (Index i = 0; i < m; i++) std::fill(C + i * ldc, C + i * ldc + n, T(0));
    return;
  }
  const MicroKernel<T> kernel = pickKernel<T>();
  T* pa = Buffers::aligned<T>(tlsBuffers.a, size_t(MC) * KC);
  T* pb = Buffers::aligned<T>(tlsBuffers.b, size_t(std::min(NC, (n + NR - 1) / NR * NR)) * KC);
  T edge[MR * NR];

  for (Index jc = 0; jc < n; jc += NC) {
    const Index nc = std::min(NC, n - jc);
    for (Index pc = 0; pc < k; pc += KC) {
      const Index kc = std::min(KC, k - pc);
      const bool accumulate = pc > 0;
      packB(B, pc, jc, kc, nc, pb);
      for (Index ic = 0; ic < m; ic += MC) {
        const Index mc = std::min(MC, m - ic);
        packA(A, ic, pc, mc, kc, pa);
        for (Index jr = 0; jr < nc; jr += NR) {
          const Index nr = std::min(NR, nc - jr);
          const T* bs = pb + jr * kc;
          for (Index ir = 0; ir < mc; ir += MR) {
            const Index mr = std::min(MR, mc - ir);
            const T* as = pa + ir * kc;
            T* c = C + (ic + ir) * ldc + jc + jr;
            if (mr == MR && nr == NR) {
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

// Below this many multiply-adds per product, threads cost more than they save.
constexpr double kParallelMinWork = 64.0 * 64.0 * 64.0;

template <typename T>
void batchedMatmul(const T* a, Index aOff, Index aBatch, Index aRow, Index aCol, const T* b,
                   Index bOff, Index bBatch, Index bRow, Index bCol, T* out, Index batch, Index m,
                   Index k, Index n) {
  const double work = double(m) * double(n) * double(k);
  size_t threads = numThreads;
  if (work * double(batch) < kParallelMinWork) threads = 1;

  // Split each product into `parts` pieces along M or N (whole items when the batch alone
  // gives every thread work).
  size_t parts = 1;
  bool splitM = m >= n;
  if (threads > 1 && size_t(batch) < threads * 2 && work >= kParallelMinWork) {
    constexpr Index MR = Blocking<T>::MR, NR = Blocking<T>::NR;
    const Index blocks = splitM ? (m + MR - 1) / MR : (n + NR - 1) / NR;
    parts = std::min<size_t>(threads, size_t(blocks));
  }
  const Index side = splitM ? m : n;
  const Index align = splitM ? Blocking<T>::MR : Blocking<T>::NR;
  // piece boundaries rounded to the register tile, so only the last piece has an edge
  const Index step = ((side + Index(parts) - 1) / Index(parts) + align - 1) / align * align;
  const size_t piecesPerItem = size_t((side + step - 1) / step);

  auto task = [&](size_t t) {
    const Index bt = Index(t / piecesPerItem);
    const Index piece = Index(t % piecesPerItem);
    const Index lo = piece * step, hi = std::min(side, lo + step);
    const T* ab = a + aOff + bt * aBatch;
    const T* bb = b + bOff + bt * bBatch;
    T* ob = out + bt * m * n;
    if (splitM) {
      gemm<T>({ab + lo * aRow, aRow, aCol}, {bb, bRow, bCol}, ob + lo * n, n, hi - lo, k, n);
    } else {
      gemm<T>({ab, aRow, aCol}, {bb + lo * bCol, bRow, bCol}, ob + lo, n, m, k, hi - lo);
    }
  };
  const size_t tasks = size_t(batch) * piecesPerItem;
  runTasks(tasks, threads, task);
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
