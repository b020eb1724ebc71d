// tensorgrad native backend: the scatter walk, the twin of src/backend/scatter.ts `scatter`.
// Over `shape` (row-major), each position reads an index value v and a source element and
// combines the element into out[outOff + pos . outStrides + v * dStride] (write, add, multiply,
// max, min); an index outside [0, dSize) stops the walk (RangeError). In row-major order:
// repeated indices combine in index order as PyTorch's CPU kernels do (the last write wins), so
// results do not depend on threading. The one exception, Note [split scatter_add], changes the
// order of float additions by a rule that depends on the sizes only, never on the threads.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "abi.gen.h"
#include "strided.h"

namespace tg {
namespace {

template <typename T>
inline void combine(int op, T& o, T v) {
  switch (op) {
    case kAssign: o = v; break;
    case kAccumulate: o = T(o + v); break;
    case kMultiply:
      // int32 products wrap (two's complement) as in ATen, without signed-overflow UB
      if constexpr (std::is_same_v<T, int32_t>) o = int32_t(uint32_t(o) * uint32_t(v));
      else o = T(o * v);
      break;
    // NaN propagates from either side (ATen's ReduceMaximum / ReduceMinimum)
    case kKeepMax:
      if (v != v || v > o) o = v;
      break;
    default:
      if (v != v || v < o) o = v;
  }
}

// The groups of eight of a contiguous run, portable: eight index values converted and
// bounds-tested together (NaN converts to INT64_MIN, out of range as unsigned), then combined
// in order (eight a group: ~5% faster than four on 1e6 random indices into 1e4 rows, one
// branch per group). Returns where it stopped: n rounded down to eight, or the first group
// holding a bad value (the caller's exact check finds it).
template <typename T, int Op>
__attribute__((always_inline)) inline Index combineGroups(T* row, Index dStride, Index dSize,
                                                          const double* ix, const T* sx, Index n) {
  const uint64_t ud = uint64_t(dSize);
  Index j = 0;
  for (; j + 8 <= n; j += 8) {
    Index k[8];
    uint64_t bad = 0;
    for (int l = 0; l < 8; l++) {
      k[l] = Index(ix[j + l]);
      bad |= uint64_t(uint64_t(k[l]) >= ud);
    }
    if (bad != 0) break;
    for (int l = 0; l < 8; l++) combine<T>(Op, row[k[l] * dStride], sx[j + l]);
  }
  return j;
}

#if TG_X86
// The same groups with AVX2 (dSize < 2^31): the eight doubles convert to int32 in two
// instructions (values outside int32 and NaN give INT32_MIN, 2^31 as unsigned, so one unsigned
// compare against dSize is the bounds test), and the offsets leave the vector registers as
// four 64-bit pairs (a store and eight 32-bit reloads stalls the loads: measured slower than
// the scalar groups). 1e6 random indices into 1e4 / 1e5 slots: ~15-25% faster than the scalar
// groups, whose eight conversions and compares were most of the loop.
template <typename T, int Op, bool Unit>
__attribute__((target("avx2,fma"))) Index combineGroupsAvx2(T* row, Index dStride, Index dSize,
                                                            const double* ix, const T* sx,
                                                            Index n) {
  const __m256i top = _mm256_set1_epi32(int32_t(dSize - 1));
  auto at = [&](uint64_t k) { return Unit ? Index(k) : Index(k) * dStride; };
  Index j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m128i lo = _mm256_cvttpd_epi32(_mm256_loadu_pd(ix + j));
    const __m128i hi = _mm256_cvttpd_epi32(_mm256_loadu_pd(ix + j + 4));
    const __m256i kv = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
    // k <= dSize - 1 as unsigned: min(k, dSize - 1) == k
    const __m256i ok = _mm256_cmpeq_epi32(_mm256_min_epu32(kv, top), kv);
    if (_mm256_movemask_epi8(ok) != -1) break;
    const uint64_t k01 = uint64_t(_mm_cvtsi128_si64(lo)), k23 = uint64_t(_mm_extract_epi64(lo, 1));
    const uint64_t k45 = uint64_t(_mm_cvtsi128_si64(hi)), k67 = uint64_t(_mm_extract_epi64(hi, 1));
    const T* x = sx + j;
    combine<T>(Op, row[at(uint32_t(k01))], x[0]);
    combine<T>(Op, row[at(k01 >> 32)], x[1]);
    combine<T>(Op, row[at(uint32_t(k23))], x[2]);
    combine<T>(Op, row[at(k23 >> 32)], x[3]);
    combine<T>(Op, row[at(uint32_t(k45))], x[4]);
    combine<T>(Op, row[at(k45 >> 32)], x[5]);
    combine<T>(Op, row[at(uint32_t(k67))], x[6]);
    combine<T>(Op, row[at(k67 >> 32)], x[7]);
  }
  return j;
}

// Blocks of kConvertBlock with AVX-512: first the block's index values, sixteen a step, to
// int32 offsets in a stack buffer (values outside int32 and NaN convert to INT32_MIN, 2^31 as
// unsigned, so one unsigned compare against dSize is the bounds test, OR-ed over the block),
// then a plain loop combining through the buffer. Apart, each loop runs at its own pace: the
// conversions no longer sit between the combines' loads and stores, and the buffer's reloads
// come long after its stores (no forwarding stall). 1e6 random indices into 1e4 / 1e5 slots:
// ~10-15% faster than the AVX2 groups above (interleaved best of 60, one core). A block holding
// a bad value is left to the caller's exact loop, which stops at it.
constexpr int kConvertBlock = 256;

template <typename T, int Op, bool Unit>
__attribute__((target("avx512f"))) Index combineBlocksAvx512(T* row, Index dStride, Index dSize,
                                                             const double* ix, const T* sx,
                                                             Index n) {
  const __m512i size = _mm512_set1_epi32(int32_t(dSize));
  alignas(64) uint32_t k[kConvertBlock];
  Index j = 0;
  for (; j + kConvertBlock <= n; j += kConvertBlock) {
    __mmask16 bad = 0;
    for (int b = 0; b < kConvertBlock; b += 16) {
      // (the masked forms: the plain ones read an undefined register, which GCC warns about)
      const __m256i lo = _mm512_maskz_cvttpd_epi32(0xff, _mm512_loadu_pd(ix + j + b));
      const __m256i hi = _mm512_maskz_cvttpd_epi32(0xff, _mm512_loadu_pd(ix + j + b + 8));
      const __m512i z = _mm512_setzero_si512();
      const __m512i lo16 = _mm512_mask_inserti64x4(z, 0xff, z, lo, 0);
      const __m512i kv = _mm512_mask_inserti64x4(lo16, 0xff, lo16, hi, 1);
      bad |= _mm512_cmpge_epu32_mask(kv, size);
      _mm512_store_si512(k + b, kv);
    }
    if (bad != 0) break;
    const T* x = sx + j;
#pragma GCC unroll 8
    for (int l = 0; l < kConvertBlock; l++)
      combine<T>(Op, row[Unit ? Index(k[l]) : Index(k[l]) * dStride], x[l]);
  }
  return j;
}

// float32 sources with AVX-512, sixteen a step, every operand in registers: the sixteen index
// values convert to int32 in two instructions and are bounds-tested together (as in the AVX2
// groups), leave the vector registers as 64-bit pairs, and the source elements are lane
// shuffles of two 8-float loads. Each element then costs one load (its slot) and one store:
// the blocks above load the offset from the buffer and the element from memory too, four memory
// operations per element, which is what bounds them (and PyTorch's serial loop) on the
// load/store units. 1e6 random indices into 1e4 slots, one core: ~10% faster than the blocks
// (~7% faster than PyTorch 1.13's loop, same process, same data).
template <int Op, bool Unit>
__attribute__((target("avx512f"), always_inline)) inline void combineEight(float* row,
                                                                          Index dStride,
                                                                          __m256i kv, __m256 xv) {
  auto at = [&](uint64_t k) { return Unit ? Index(k) : Index(k) * dStride; };
  const __m128i klo = _mm256_castsi256_si128(kv), khi = _mm256_extracti128_si256(kv, 1);
  const uint64_t k01 = uint64_t(_mm_cvtsi128_si64(klo)), k23 = uint64_t(_mm_extract_epi64(klo, 1));
  const uint64_t k45 = uint64_t(_mm_cvtsi128_si64(khi)), k67 = uint64_t(_mm_extract_epi64(khi, 1));
  const __m128 lo = _mm256_castps256_ps128(xv), hi = _mm256_extractf128_ps(xv, 1);
  combine<float>(Op, row[at(uint32_t(k01))], _mm_cvtss_f32(lo));
  combine<float>(Op, row[at(k01 >> 32)], _mm_cvtss_f32(_mm_movehdup_ps(lo)));
  combine<float>(Op, row[at(uint32_t(k23))], _mm_cvtss_f32(_mm_unpackhi_ps(lo, lo)));
  combine<float>(Op, row[at(k23 >> 32)], _mm_cvtss_f32(_mm_shuffle_ps(lo, lo, 3)));
  combine<float>(Op, row[at(uint32_t(k45))], _mm_cvtss_f32(hi));
  combine<float>(Op, row[at(k45 >> 32)], _mm_cvtss_f32(_mm_movehdup_ps(hi)));
  combine<float>(Op, row[at(uint32_t(k67))], _mm_cvtss_f32(_mm_unpackhi_ps(hi, hi)));
  combine<float>(Op, row[at(k67 >> 32)], _mm_cvtss_f32(_mm_shuffle_ps(hi, hi, 3)));
}

template <int Op, bool Unit>
__attribute__((target("avx512f"))) Index combineRegsAvx512(float* row, Index dStride, Index dSize,
                                                           const double* ix, const float* sx,
                                                           Index n) {
  const __m256i top = _mm256_set1_epi32(int32_t(dSize - 1));
  Index j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m256i k0 = _mm512_maskz_cvttpd_epi32(0xff, _mm512_loadu_pd(ix + j));
    const __m256i k1 = _mm512_maskz_cvttpd_epi32(0xff, _mm512_loadu_pd(ix + j + 8));
    // (masked: the plain form reads an undefined register). k <= dSize - 1 as unsigned (NaN
    // and values outside int32 convert to 2^31)
    const __m256i ok = _mm256_and_si256(_mm256_cmpeq_epi32(_mm256_min_epu32(k0, top), k0),
                                        _mm256_cmpeq_epi32(_mm256_min_epu32(k1, top), k1));
    if (_mm256_movemask_epi8(ok) != -1) break;
    combineEight<Op, Unit>(row, dStride, k0, _mm256_loadu_ps(sx + j));
    combineEight<Op, Unit>(row, dStride, k1, _mm256_loadu_ps(sx + j + 8));
  }
  return j;
}

// The fastest groups this CPU has (offsets as int32: dSize < 2^31).
template <typename T, int Op>
Index combineFast(T* row, Index dStride, Index dSize, const double* ix, const T* sx, Index n) {
  if (dSize > Index(INT32_MAX)) return combineGroups<T, Op>(row, dStride, dSize, ix, sx, n);
  const bool unit = dStride == 1;
  if (avx512()) {
    if constexpr (std::is_same_v<T, float>)
      return unit ? combineRegsAvx512<Op, true>(row, dStride, dSize, ix, sx, n)
                  : combineRegsAvx512<Op, false>(row, dStride, dSize, ix, sx, n);
    else
      return unit ? combineBlocksAvx512<T, Op, true>(row, dStride, dSize, ix, sx, n)
                  : combineBlocksAvx512<T, Op, false>(row, dStride, dSize, ix, sx, n);
  }
  if (avx2())
    return unit ? combineGroupsAvx2<T, Op, true>(row, dStride, dSize, ix, sx, n)
                : combineGroupsAvx2<T, Op, false>(row, dStride, dSize, ix, sx, n);
  return combineGroups<T, Op>(row, dStride, dSize, ix, sx, n);
}
#endif

// One contiguous run of n index values and source elements combined into `row` (stride
// dStride, dSize slots) in order; false at the first index value outside [0, dSize).
template <typename T, int Op>
bool combineRun(T* row, Index dStride, Index dSize, const double* ix, const T* sx, Index n) {
#if TG_X86
  const Index j = combineFast<T, Op>(row, dStride, dSize, ix, sx, n);
#else
  const Index j = combineGroups<T, Op>(row, dStride, dSize, ix, sx, n);
#endif
  // int64 index values are whole numbers stored as doubles (Note [int64 storage]): the bounds
  // test on the double is the whole check. The tail, and the exact check of a group that
  // failed the quick one:
  const double hi = double(dSize);
  for (Index i = j; i < n; i++) {
    const double v = ix[i];
    if (!(v >= 0 && v < hi)) return false;
    combine<T>(Op, row[Index(v) * dStride], sx[i]);
  }
  return true;
}

// Note [split scatter_add]: PyTorch's scatter_add / index_add over a 1-D index is one serial
// loop. A float add-scatter of one long contiguous run (n >= kSplitMin elements into at most
// n / 4 slots) is cut in two halves at splitPoint(n), run on two threads: the first half adds
// into out as before, the second into a private buffer of dSize slots set to -0 (the identity
// of +: -0 + x is x for every x, so slots the second half never touches add back exactly), and
// then the buffer is added into out, slot by slot. Each slot's sum is thus (self + the first
// half's elements in order) + (the second half's elements in order): the same terms, one more
// rounding point than the serial order. The rule depends on n and dSize only (the twin,
// src/backend/scatter.ts, applies it too), so results are the same with one thread or two.
constexpr Index kSplitMin = Index(1) << 16;
inline bool splitWorth(Index n, Index dSize) { return n >= kSplitMin && dSize * 4 <= n; }
inline Index splitPoint(Index n) { return n / 2 / 8 * 8; }

template <typename T>
T* splitBuffer(Index n) {
  thread_local std::vector<T> buf;
  if (Index(buf.size()) < n) buf.resize(size_t(n));
  return buf.data();
}

// Whether the halves go to the pool (Note [split scatter_add]): they do unless a recent split
// found the second core busy, i.e. the two halves together took well over the longer one
// (the worker started late or was preempted, and this thread waited for it: on a loaded
// machine measured slower than both halves on this thread). Then the next kSplitSerial splits
// run both halves here, and the one after tries the pool again. The result is the same either
// way; only the time changes.
constexpr int kSplitSerial = 32;
std::atomic<int> splitSerialLeft{0};

template <typename T>
bool splitAccumulate(T* row, Index dStride, Index dSize, const double* ix, const T* sx, Index n) {
  using Clock = std::chrono::steady_clock;
  const Index h = splitPoint(n);
  T* buf = splitBuffer<T>(dSize);
  bool ok[2] = {true, true};
  Clock::duration took[2] = {};
  auto half = [&](size_t t) {
    const auto start = Clock::now();
    if (t == 0) {
      ok[0] = combineRun<T, kAccumulate>(row, dStride, dSize, ix, sx, h);
    } else {
      std::fill(buf, buf + dSize, T(-0.0));
      ok[1] = combineRun<T, kAccumulate>(buf, 1, dSize, ix + h, sx + h, n - h);
    }
    took[t] = Clock::now() - start;
  };
  const int serial = splitSerialLeft.load(std::memory_order_relaxed);
  if (numThreads < 2 || serial > 0) {
    if (serial > 0) splitSerialLeft.store(serial - 1, std::memory_order_relaxed);
    half(0);
    half(1);
  } else {
    const auto start = Clock::now();
    runTasks(2, numThreads, half);
    const auto all = Clock::now() - start;
    // (4/3 of the longer half: a worker that kept pace finishes within a few percent)
    if (3 * all > 4 * std::max(took[0], took[1]))
      splitSerialLeft.store(kSplitSerial, std::memory_order_relaxed);
  }
  if (!ok[0] || !ok[1]) return false;
  // the merge, on this thread: at most n / 4 slots, a few percent of the walk; a second
  // handoff to the pool cost more than it saved (1e5 slots: measured slower with two threads,
  // the row and the buffer each in another core's cache)
  if (dStride == 1)
    for (Index k = 0; k < dSize; k++) row[k] += buf[k];
  else
    for (Index k = 0; k < dSize; k++) row[k * dStride] += buf[k];
  return true;
}

// The walks with one index value per row (index_add / index_copy / index_fill's slices: the
// index read with stride 0 along the last dim), columns [c0, c1) of every row, rows in
// row-major order. Each element's combines keep their order whatever the column range, so
// the columns can be split across threads without changing any result.
template <typename T, int Op>
bool sliceWalk(T* out, Index outOff, const std::vector<Index>& os, Index dStride,
               const double* idx, Index idxOff, const std::vector<Index>& is, const T* src,
               Index srcOff, const std::vector<Index>& ss, const std::vector<Index>& shape,
               Index dSize, Index rows, Index c0, Index c1) {
  const size_t nd = shape.size();
  const Index osl = os[nd - 1], ssl = ss[nd - 1];
  const double hi = double(dSize);
  std::vector<Index> pos(nd > 1 ? nd - 1 : 1, 0);
  Index ob = outOff, ib = idxOff, sb = srcOff;
  for (Index r = 0; r < rows; r++) {
    const double v = idx[ib];
    if (!(v >= 0 && v < hi)) return false;
    T* row = out + ob + Index(v) * dStride;
    const T* sx = src + sb;
    if (osl == 1 && ssl == 1)
      for (Index j = c0; j < c1; j++) combine<T>(Op, row[j], sx[j]);
    else
      for (Index j = c0; j < c1; j++) combine<T>(Op, row[j * osl], sx[j * ssl]);
    for (int d = int(nd) - 2; d >= 0; d--) {
      ob += os[d];
      ib += is[d];
      sb += ss[d];
      if (++pos[d] < shape[d]) break;
      ob -= os[d] * shape[d];
      ib -= is[d] * shape[d];
      sb -= ss[d] * shape[d];
      pos[d] = 0;
    }
  }
  return true;
}

// Slice walks of kSplitMin elements or more, with rows of at least kSliceSplitCols distinct
// output elements, split their columns in two halves, one a thread (an index_add of 1e4 rows
// of 100: two threads).
constexpr Index kSliceSplitCols = 64;

template <typename T, int Op>
bool walk(T* out, Index outOff, const std::vector<Index>& os, Index dStride, const double* idx,
          Index idxOff, const std::vector<Index>& is, const T* src, Index srcOff,
          const std::vector<Index>& ss, const std::vector<Index>& shape, Index dSize) {
  const size_t nd = shape.size();
  const Index inner = nd == 0 ? 1 : shape[nd - 1];
  const Index osl = nd == 0 ? 0 : os[nd - 1], isl = nd == 0 ? 0 : is[nd - 1],
              ssl = nd == 0 ? 0 : ss[nd - 1];
  Index rows = 1;
  for (size_t d = 0; d + 1 < nd; d++) rows *= shape[d];
  std::vector<Index> pos(nd > 1 ? nd - 1 : 1, 0);
  Index ob = outOff, ib = idxOff, sb = srcOff;
  const double hi = double(dSize);
  if constexpr (Op == kAccumulate && std::is_floating_point_v<T>) {
    if (rows == 1 && osl == 0 && isl == 1 && ssl == 1 && splitWorth(inner, dSize))
      return splitAccumulate<T>(out + ob, dStride, dSize, idx + ib, src + sb, inner);
  }
  if (nd >= 1 && isl == 0) {
    // (osl = 0: every column of a row lands in one element, which the halves would share)
    if (rows * inner < kSplitMin || inner < kSliceSplitCols || osl == 0)
      return sliceWalk<T, Op>(out, outOff, os, dStride, idx, idxOff, is, src, srcOff, ss, shape,
                              dSize, rows, 0, inner);
    // the halves' edges on 16 elements (64 bytes of float32)
    const Index h = inner / 2 / 16 * 16;
    bool ok[2] = {true, true};
    runTasks(2, numThreads, [&](size_t t) {
      ok[t] = sliceWalk<T, Op>(out, outOff, os, dStride, idx, idxOff, is, src, srcOff, ss, shape,
                               dSize, rows, t == 0 ? 0 : h, t == 0 ? h : inner);
    });
    return ok[0] && ok[1];
  }
  for (Index r = 0; r < rows; r++) {
    if (osl == 0 && isl == 1 && ssl == 1) {
      // the common row: contiguous index and source into one output row
      if (!combineRun<T, Op>(out + ob, dStride, dSize, idx + ib, src + sb, inner)) return false;
    } else {
      Index o = ob, i = ib, s = sb;
      for (Index j = 0; j < inner; j++, o += osl, i += isl, s += ssl) {
        const double v = idx[i];
        if (!(v >= 0 && v < hi)) return false;
        combine<T>(Op, out[o + Index(v) * dStride], src[s]);
      }
    }
    for (int d = int(nd) - 2; d >= 0; d--) {
      ob += os[d];
      ib += is[d];
      sb += ss[d];
      if (++pos[d] < shape[d]) break;
      ob -= os[d] * shape[d];
      ib -= is[d] * shape[d];
      sb -= ss[d] * shape[d];
      pos[d] = 0;
    }
  }
  return true;
}

template <typename T>
bool run(int op, const args::scatter& a) {
  T* out = static_cast<T*>(a.out.data);
  const T* src = static_cast<const T*>(a.src.data);
  const double* idx = static_cast<const double*>(a.idx.data);
#define TG_SCATTER_CASE(K)                                                                    \
  case K:                                                                                     \
    return walk<T, K>(out, a.outOff, a.outStrides, a.dStride, idx, a.idxOff, a.idxStrides, src,\
                      a.srcOff, a.srcStrides, a.shape, a.dSize);
  switch (op) {
    TG_SCATTER_CASE(kAssign)
    TG_SCATTER_CASE(kAccumulate)
    TG_SCATTER_CASE(kMultiply)
    TG_SCATTER_CASE(kKeepMax)
    TG_SCATTER_CASE(kKeepMin)
  }
#undef TG_SCATTER_CASE
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Bindings (arguments parsed by abi.gen.cc)

// Every walk must lie inside its array (checked before any write) and every index value in
// [0, dSize): checked at each element before its write, so a bad value stops the walk with a
// RangeError after earlier elements were combined. `out` is always a fresh result array the
// caller drops on failure (the caller then finds the value for PyTorch's message).
Napi::Value run(const Napi::CallbackInfo& info, const args::scatter& a) {
  const char* fn = a.name;
  Napi::Env env = info.Env();
  Index n;
  const size_t nd = a.shape.size();
  if (a.out.type != a.src.type)
    return typeError(env, fn, "out and src must have one type"), env.Undefined();
  if (a.op < 0 || a.op >= kScatterOpCount)
    return rangeError(env, fn, "unknown op"), env.Undefined();
  if (a.outStrides.size() != nd || a.idxStrides.size() != nd || a.srcStrides.size() != nd ||
      !shapeOk(a.shape, &n))
    return rangeError(env, fn, "shape and strides must have one length"), env.Undefined();
  if (n == 0) return env.Undefined();
  if (!stridedInBounds(a.idx.len, a.idxOff, a.shape, a.idxStrides) ||
      !stridedInBounds(a.src.len, a.srcOff, a.shape, a.srcStrides) || a.dSize < 1 ||
      !stridedInBounds(a.out.len, a.outOff, a.shape, a.outStrides) ||
      !stridedInBounds(a.out.len, a.outOff + (a.dSize - 1) * a.dStride, a.shape, a.outStrides))
    return rangeError(env, fn, "layout out of the arrays' bounds"), env.Undefined();
  bool ok;
  switch (a.out.type) {
    case napi_float32_array: ok = run<float>(a.op, a); break;
    case napi_float64_array: ok = run<double>(a.op, a); break;
    case napi_int32_array: ok = run<int32_t>(a.op, a); break;
    case napi_uint8_array: ok = run<uint8_t>(a.op, a); break;
    default: return typeError(env, fn, "unsupported array type"), env.Undefined();
  }
  if (!ok) return rangeError(env, fn, "index out of range"), env.Undefined();
  return env.Undefined();
}

}  // namespace tg
