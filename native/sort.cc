// tensorgrad native backend: sort and topk of float rows, the twins of src/backend/sort.ts
// `sortRows` and `topkRows`. PyTorch 1.13's CPU kernels (aten/src/ATen/native/cpu/
// SortingKernel.cpp, TopKImpl.h) run libstdc++'s std::stable_sort / std::sort and
// std::partial_sort / std::nth_element on (value, index) pairs with comparators that put NaN
// above every number; these are the same calls on the same pairs, so equal keys land where
// PyTorch puts them (the TypeScript twins replicate the algorithms step for step). Rows are
// contiguous; several rows are split across the pool's threads.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "abi.gen.h"

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

template <typename T, typename Cmp>
void sortRange(const T* src, Index r0, Index r1, Index len, Cmp cmp, bool stable, T* outV,
               double* outI) {
  std::vector<Elem<T>> q(len);
  for (Index r = r0; r < r1; r++) {
    const T* row = src + r * len;
    for (Index j = 0; j < len; j++) q[j] = {row[j], int32_t(j)};
    if (stable) std::stable_sort(q.begin(), q.end(), cmp);
    else std::sort(q.begin(), q.end(), cmp);
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

template <typename T, typename Cmp>
void topkRange(const T* src, Index r0, Index r1, Index len, Index k, Cmp cmp, bool sorted, T* outV,
               double* outI) {
  const bool partial = k * 64 <= len;
  std::vector<Elem<T>> q(partial ? k : len);
  for (Index r = r0; r < r1; r++) {
    const T* row = src + r * len;
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
      std::nth_element(q.begin(), q.begin() + k - 1, q.end(), cmp);
      if (sorted) std::sort(q.begin(), q.begin() + k - 1, cmp);
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
    parallelFor(nRows, std::max<Index>(1, 32768 / std::max<Index>(len, 1)), [&](Index r0, Index r1) {
      if (arg.descending != 0) sortRange(src, r0, r1, len, LessDesc(), arg.stable != 0, outV, outI);
      else sortRange(src, r0, r1, len, LessAsc(), arg.stable != 0, outV, outI);
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
    parallelFor(nRows, std::max<Index>(1, 32768 / std::max<Index>(len, 1)), [&](Index r0, Index r1) {
      if (arg.largest != 0) topkRange(src, r0, r1, len, k, LessDesc(), arg.sorted != 0, outV, outI);
      else topkRange(src, r0, r1, len, k, LessAsc(), arg.sorted != 0, outV, outI);
    }, 1);
  };
  if (arg.a.type == napi_float32_array) apply(static_cast<float*>(arg.a.data));
  else apply(static_cast<double*>(arg.a.data));
  return env.Undefined();
}

}  // namespace tg
