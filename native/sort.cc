// tensorgrad native backend: sort and topk of float rows, the twins of src/backend/sort.ts
// `sortRows` and `topkRows`. PyTorch 1.13's CPU kernels (aten/src/ATen/native/cpu/
// SortingKernel.cpp, TopKImpl.h) run libstdc++'s std::stable_sort / std::sort and
// std::partial_sort / std::nth_element on (value, index) pairs with comparators that put NaN
// above every number; these are the same calls on the same pairs (std::sort and
// std::nth_element replayed by introsort.h, Note [exact introsort]: the same arrays, faster),
// so equal keys land where PyTorch puts them (the TypeScript twins replicate the algorithms
// step for step). Rows are contiguous; several rows are split across the pool's threads.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "abi.gen.h"
#include "introsort.h"

namespace tg {
namespace {

// Positions fit in 32 bits below 2^31 elements: half the bytes moved, the same moves.
template <typename T>
using Elem = std::pair<T, int32_t>;

// KeyValueCompAsc: NaN above every number. Function objects, not function pointers, so that
// the algorithms inline the comparison as PyTorch's do.
struct LessAsc {
  template <typename T>
  bool operator()(const Elem<T>& a, const Elem<T>& b) const {
    return (!std::isnan(a.first) && std::isnan(b.first)) || (a.first < b.first);
  }
};
// KeyValueCompDesc: NaN first, then larger
struct LessDesc {
  template <typename T>
  bool operator()(const Elem<T>& a, const Elem<T>& b) const {
    return (std::isnan(a.first) && !std::isnan(b.first)) || (a.first > b.first);
  }
};

// Without NaNs the comparators above reduce to one comparison: the same answer for every pair,
// so the algorithms take the same steps, with less work per step.
struct LessAscPlain {
  template <typename T>
  bool operator()(const Elem<T>& a, const Elem<T>& b) const {
    return a.first < b.first;
  }
};
struct LessDescPlain {
  template <typename T>
  bool operator()(const Elem<T>& a, const Elem<T>& b) const {
    return a.first > b.first;
  }
};
#if TG_X86
// The partition's block scans (introsort.h VectorScan) for float rows without NaN: sixteen
// (value, position) pairs a step, their values gathered into one register, compared with the
// pivot's, the positions of the hits compressed into the list. The same positions as the
// scalar loop (no NaN: the ordered and unordered predicates agree; -0 equals +0 both ways).
// Predicates: kLeft for !cmp(x, p), kRight for !cmp(p, x). `small` is introsort.h's
// smallSort by the same ranks, sixteen comparisons a step (kLess: cmp(a, b) as a < b or a > b;
// without NaN, equivalent is equal).
template <int kLeft, int kRight, int kLess>
struct FloatScan {
  static bool usable() { return avx512(); }
  __attribute__((target("avx512f"))) static bool small(Elem<float>* first, int n) {
    const __mmask16 valid = __mmask16((1u << n) - 1);
    const double* d = reinterpret_cast<const double*>(first);  // a pair: 8 bytes
    const __m512d lo = _mm512_maskz_loadu_pd(__mmask8(valid), d);
    const __m512d hi = _mm512_maskz_loadu_pd(__mmask8(valid >> 8), d + 8);
    alignas(64) Elem<float> tmp[16];
    _mm512_store_pd(reinterpret_cast<double*>(tmp), lo);
    _mm512_store_pd(reinterpret_cast<double*>(tmp) + 8, hi);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512 keys = _mm512_permutex2var_ps(_mm512_castpd_ps(lo), even, _mm512_castpd_ps(hi));
    for (int i = 0; i < n; i++) {
      const __m512 ki = _mm512_set1_ps(tmp[i].first);
      const __mmask16 less = _mm512_mask_cmp_ps_mask(valid, keys, ki, kLess);
      const __mmask16 eq = _mm512_mask_cmp_ps_mask(__mmask16((1u << i) - 1), keys, ki, _CMP_EQ_OQ);
      first[__builtin_popcount(less) + __builtin_popcount(eq)] = tmp[i];
    }
    return true;
  }
  __attribute__((target("avx512f"))) static int left(const Elem<float>* x, int b, const Elem<float>& p,
                                                     uint32_t base, uint32_t* q, int* n) {
    const __m512 pv = _mm512_set1_ps(p.first);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i step = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int j = 0;
    for (; j + 16 <= b; j += 16) {
      const float* f = reinterpret_cast<const float*>(x + j);
      const __m512 keys =
          _mm512_permutex2var_ps(_mm512_loadu_ps(f), even, _mm512_loadu_ps(f + 16));
      const __mmask16 m = _mm512_cmp_ps_mask(keys, pv, kLeft);
      const __m512i pos = _mm512_add_epi32(_mm512_set1_epi32(int32_t(base + uint32_t(j))), step);
      _mm512_storeu_si512(q + *n, _mm512_maskz_compress_epi32(m, pos));
      *n += __builtin_popcount(m);
    }
    return j;
  }
  // lane l of a step reads x[-j - l]: the sixteen pairs ending at x[-j], in reverse
  __attribute__((target("avx512f"))) static int right(const Elem<float>* x, int b, const Elem<float>& p,
                                                      uint32_t base, uint32_t* q, int* n) {
    const __m512 pv = _mm512_set1_ps(p.first);
    const __m512i odd = _mm512_setr_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i step = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int j = 0;
    for (; j + 16 <= b; j += 16) {
      const float* f = reinterpret_cast<const float*>(x - j - 15);
      const __m512 keys = _mm512_permutex2var_ps(_mm512_loadu_ps(f), odd, _mm512_loadu_ps(f + 16));
      const __mmask16 m = _mm512_cmp_ps_mask(keys, pv, kRight);
      const __m512i pos = _mm512_sub_epi32(_mm512_set1_epi32(int32_t(base - uint32_t(j))), step);
      _mm512_storeu_si512(q + *n, _mm512_maskz_compress_epi32(m, pos));
      *n += __builtin_popcount(m);
    }
    return j;
  }
};
#endif

template <typename Cmp>
constexpr bool kDescending = std::is_same_v<Cmp, LessDesc> || std::is_same_v<Cmp, LessDescPlain>;

}  // namespace

#if TG_X86
namespace introsort {
template <>
struct VectorScan<Elem<float>, LessAscPlain> : FloatScan<_CMP_NLT_UQ, _CMP_NGT_UQ, _CMP_LT_OQ> {};
template <>
struct VectorScan<Elem<float>, LessDescPlain> : FloatScan<_CMP_NGT_UQ, _CMP_NLT_UQ, _CMP_GT_OQ> {};
}  // namespace introsort
#endif

namespace {

template <typename T>
bool hasNan(const T* a, Index n) {
  bool nan = false;
  for (Index i = 0; i < n; i++) nan |= a[i] != a[i];
  return nan;
}

template <typename T, typename Cmp>
void sortRange(const T* src, Index r0, Index r1, Index len, Cmp cmp, bool stable, T* outV,
               double* outI) {
  std::vector<Elem<T>> q(len);
  for (Index r = r0; r < r1; r++) {
    const T* row = src + r * len;
    for (Index j = 0; j < len; j++) q[j] = {row[j], int32_t(j)};
    // std::sort's array by a faster route (Note [exact introsort], introsort.h)
    if (stable) std::stable_sort(q.begin(), q.end(), cmp);
    else introsort::sort(q.data(), q.data() + len, cmp);
    for (Index j = 0; j < len; j++) {
      outV[r * len + j] = q[j].first;
      outI[r * len + j] = double(q[j].second);
    }
  }
}

// std::__adjust_heap (with __push_heap) of libstdc++: the hole at the top goes down to a leaf
// along the preferred children, then `value` rises from there. std::partial_sort's
// __heap_select calls it for each element that beats the top (through __pop_heap).
template <typename T, typename Cmp>
void adjustHeap(Elem<T>* first, Index hole, Index len, Elem<T> value, Cmp cmp) {
  const Index top = hole;
  Index child = hole;
  while (child < (len - 1) / 2) {
    child = 2 * (child + 1);
    if (cmp(first[child], first[child - 1])) child--;
    first[hole] = first[child];
    hole = child;
  }
  if ((len & 1) == 0 && child == (len - 2) / 2) {
    child = 2 * (child + 1);
    first[hole] = first[child - 1];
    hole = child - 1;
  }
  Index parent = (hole - 1) / 2;
  while (hole > top && cmp(first[parent], value)) {
    first[hole] = first[parent];
    hole = parent;
    parent = (hole - 1) / 2;
  }
  first[hole] = value;
}

// Note [topk by radix select]: when the k first of a row in comparator order have distinct
// keys and the k-th differs from the (k+1)-th, sorted topk's result is the only correct one, so
// any selection gives PyTorch's. Rows with ties (equal values, -0 and +0, several NaNs) take the
// libstdc++ calls, whose order among equal keys is PyTorch's. The selection: order-preserving
// unsigned keys (NaN largest, -0 as +0, complemented for `largest` so that the first in
// comparator order is the smallest key), a histogram of their top 16 bits finds the bucket of
// the k-th key, the buckets below are taken whole, the k-th's bucket is sorted to pick the rest
// and check the boundary, then an LSD radix sort (8 bits a pass, constant bytes skipped) orders
// the k. O(len + k) against nth_element's O(len) with a larger constant and std::sort's
// O(k log k). The TypeScript twin (src/backend/sort.ts topkRows) radix-sorts the whole row
// instead: the same result by the uniqueness above.
template <typename T>
struct KeyOf;
template <>
struct KeyOf<float> {
  using K = uint32_t;
  static K key(float v) {
    uint32_t b;
    std::memcpy(&b, &v, 4);
    if (v != v) return 0xffffffffu;
    if (v == 0) return 0x80000000u;
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
  }
};
template <>
struct KeyOf<double> {
  using K = uint64_t;
  static K key(double v) {
    uint64_t b;
    std::memcpy(&b, &v, 8);
    if (v != v) return ~uint64_t(0);
    if (v == 0) return uint64_t(1) << 63;
    return (b >> 63) ? ~b : (b | (uint64_t(1) << 63));
  }
};

// The radix path pays for its 2^16-bucket histogram from this row length on.
constexpr Index kRadixTopkMinLen = 4096;

template <typename K>
struct KeyIdx {
  K key;
  int32_t idx;
};

// LSD radix sort of q[0, n) by key (stable; tmp holds n); the sorted pairs end in q.
template <typename K>
void radixSortPairs(std::vector<KeyIdx<K>>& q, std::vector<KeyIdx<K>>& tmp, Index n) {
  constexpr int kBytes = int(sizeof(K));
  std::vector<uint32_t> count(256 * kBytes, 0);
  for (Index j = 0; j < n; j++) {
    K key = q[j].key;
    for (int b = 0; b < kBytes; b++) count[b * 256 + ((key >> (8 * b)) & 255)]++;
  }
  tmp.resize(size_t(n));
  KeyIdx<K>* from = q.data();
  KeyIdx<K>* to = tmp.data();
  for (int b = 0; b < kBytes; b++) {
    uint32_t* c = count.data() + b * 256;
    bool trivial = false;
    for (int d = 0; d < 256; d++)
      if (c[d] == uint32_t(n)) trivial = true;
    if (trivial) continue;
    uint32_t sum = 0;
    for (int d = 0; d < 256; d++) {
      const uint32_t x = c[d];
      c[d] = sum;
      sum += x;
    }
    for (Index j = 0; j < n; j++) to[c[(from[j].key >> (8 * b)) & 255]++] = from[j];
    std::swap(from, to);
  }
  if (from != q.data()) std::copy(from, from + n, q.data());
}

// Sorted topk of one row by radix select (Note [topk by radix select]); false, with nothing
// written, when the row has a tie among its k + 1 first or its key span makes one likely.
template <typename T>
bool topkRadixRow(const T* row, Index len, Index k, bool largest, T* outV, double* outI) {
  using K = typename KeyOf<T>::K;
  constexpr int kShift = int(sizeof(K)) * 8 - 16;
  const K flip = largest ? ~K(0) : K(0);
  std::vector<K> keys(static_cast<size_t>(len));
  std::vector<uint32_t> hist(65536, 0);
  for (Index j = 0; j < len; j++) {
    const K key = KeyOf<T>::key(row[j]) ^ flip;
    keys[j] = key;
    hist[size_t(key >> kShift)]++;
  }
  // the bucket of the k-th key: `before` keys lie in lower buckets
  Index before = 0;
  size_t bucket = 0;
  while (before + Index(hist[bucket]) < k) before += hist[bucket++];
  // k keys drawn from fewer than k^2 / 2 distinct values likely repeat one (the birthday
  // bound; float32 rows of 1e6 uniform values, k = 1e5, span ~2^21 keys): the tie check would
  // fail after the work, so go to libstdc++'s calls at once
  size_t lowest = 0;
  while (hist[lowest] == 0) lowest++;
  const double span = double(bucket - lowest + 1) * std::ldexp(1.0, kShift);
  if (double(k) * double(k) > 2 * span) return false;
  std::vector<KeyIdx<K>> q;
  q.reserve(size_t(k) + 1);
  std::vector<KeyIdx<K>> cand;
  cand.reserve(hist[bucket]);
  for (Index j = 0; j < len; j++) {
    const K key = keys[j];
    const size_t b = size_t(key >> kShift);
    if (b < bucket) q.push_back({key, int32_t(j)});
    else if (b == bucket) cand.push_back({key, int32_t(j)});
  }
  std::vector<KeyIdx<K>> tmp;
  radixSortPairs(cand, tmp, Index(cand.size()));
  const Index need = k - before;
  // the (k+1)-th key, when there is one, must differ from the k-th
  if (need < Index(cand.size()) && cand[need].key == cand[need - 1].key) return false;
  q.insert(q.end(), cand.begin(), cand.begin() + need);
  radixSortPairs(q, tmp, k);
  for (Index j = 1; j < k; j++)
    if (q[j].key == q[j - 1].key) return false;
  for (Index j = 0; j < k; j++) {
    outV[j] = row[q[j].idx];
    outI[j] = double(q[j].idx);
  }
  return true;
}

template <typename T, typename Cmp>
void topkRange(const T* src, Index r0, Index r1, Index len, Index k, Cmp cmp, bool sorted, T* outV,
               double* outI) {
  const bool partial = k * 64 <= len;
  const bool radix = !partial && sorted && len >= kRadixTopkMinLen;
  std::vector<Elem<T>> q;
  for (Index r = r0; r < r1; r++) {
    const T* row = src + r * len;
    if (radix &&
        topkRadixRow(row, len, k, kDescending<Cmp>, outV + r * k, outI + r * k))
      continue;
    q.resize(size_t(partial ? k : len));
    if (partial) {
      // std::partial_sort(q, q + k, q + len) = __heap_select + __sort_heap, reading the row in
      // place: __pop_heap(first, middle, i) writes the old top to q[i], never read again
      for (Index j = 0; j < k; j++) q[j] = {row[j], int32_t(j)};
      std::make_heap(q.begin(), q.end(), cmp);
      for (Index i = k; i < len; i++) {
        const Elem<T> e{row[i], int32_t(i)};
        if (cmp(e, q[0])) adjustHeap(q.data(), 0, k, e, cmp);
      }
      std::sort_heap(q.begin(), q.end(), cmp);
    } else {
      for (Index j = 0; j < len; j++) q[j] = {row[j], int32_t(j)};
      // std::nth_element's and std::sort's arrays (Note [exact introsort], introsort.h)
      introsort::nthElement(q.data(), q.data() + k - 1, q.data() + len, cmp);
      if (sorted) introsort::sort(q.data(), q.data() + k - 1, cmp);
    }
    for (Index j = 0; j < k; j++) {
      outV[r * k + j] = q[j].first;
      outI[r * k + j] = double(q[j].second);
    }
  }
}

bool rowsOk(const Napi::CallbackInfo& info, const char* fn, Index nRows, Index len, Index outLen,
            const Arr& a, const Arr& outV, const Arr& outI) {
  if (nRows < 0 || len < 0 || outLen < 0)
    return rangeError(info.Env(), fn, "sizes must be non-negative");
  if (double(nRows) * double(len) > 9007199254740992.0)
    return rangeError(info.Env(), fn, "sizes too large");
  if (len > 2147483647) return rangeError(info.Env(), fn, "rows longer than 2^31 - 1");
  if (nRows * len > a.len) return rangeError(info.Env(), fn, "input out of bounds");
  if (nRows * outLen > outV.len || nRows * outLen > outI.len)
    return rangeError(info.Env(), fn, "output out of bounds");
  return true;
}

}  // namespace

// Sort each of nRows contiguous rows of len: values to outV, positions to outI.
Napi::Value run(const Napi::CallbackInfo& info, const args::sortRows& arg) {
  Napi::Env env = info.Env();
  const Index nRows = arg.nRows, len = arg.len;
  if (!rowsOk(info, arg.name, nRows, len, len, arg.a, arg.outV, arg.outI)) return env.Undefined();
  if (nRows * len == 0) return env.Undefined();
  double* outI = static_cast<double*>(arg.outI.data);
  auto apply = [&](auto* src) {
    using T = std::remove_pointer_t<decltype(src)>;
    T* outV = static_cast<T*>(arg.outV.data);
    const bool nan = hasNan(src, nRows * len);
    parallelFor(nRows, std::max<Index>(1, 32768 / std::max<Index>(len, 1)), [&](Index r0, Index r1) {
      const bool stable = arg.stable != 0;
      if (nan) {
        if (arg.descending != 0) sortRange(src, r0, r1, len, LessDesc(), stable, outV, outI);
        else sortRange(src, r0, r1, len, LessAsc(), stable, outV, outI);
      } else if (arg.descending != 0) {
        sortRange(src, r0, r1, len, LessDescPlain(), stable, outV, outI);
      } else {
        sortRange(src, r0, r1, len, LessAscPlain(), stable, outV, outI);
      }
    }, 1);
  };
  if (arg.a.type == napi_float32_array) apply(static_cast<float*>(arg.a.data));
  else apply(static_cast<double*>(arg.a.data));
  return env.Undefined();
}

// The k first of each row in topk's order: values to outV, positions to outI (nRows rows of k).
Napi::Value run(const Napi::CallbackInfo& info, const args::topkRows& arg) {
  Napi::Env env = info.Env();
  const Index nRows = arg.nRows, len = arg.len, k = arg.k;
  if (k < 0 || k > len) {
    rangeError(env, arg.name, "k out of range");
    return env.Undefined();
  }
  if (!rowsOk(info, arg.name, nRows, len, k, arg.a, arg.outV, arg.outI)) return env.Undefined();
  if (nRows * k == 0) return env.Undefined();
  double* outI = static_cast<double*>(arg.outI.data);
  auto apply = [&](auto* src) {
    using T = std::remove_pointer_t<decltype(src)>;
    T* outV = static_cast<T*>(arg.outV.data);
    const bool nan = hasNan(src, nRows * len);
    parallelFor(nRows, std::max<Index>(1, 32768 / std::max<Index>(len, 1)), [&](Index r0, Index r1) {
      const bool sorted = arg.sorted != 0;
      if (nan) {
        if (arg.largest != 0) topkRange(src, r0, r1, len, k, LessDesc(), sorted, outV, outI);
        else topkRange(src, r0, r1, len, k, LessAsc(), sorted, outV, outI);
      } else if (arg.largest != 0) {
        topkRange(src, r0, r1, len, k, LessDescPlain(), sorted, outV, outI);
      } else {
        topkRange(src, r0, r1, len, k, LessAscPlain(), sorted, outV, outI);
      }
    }, 1);
  };
  if (arg.a.type == napi_float32_array) apply(static_cast<float*>(arg.a.data));
  else apply(static_cast<double*>(arg.a.data));
  return env.Undefined();
}

}  // namespace tg
