// tensorgrad native backend: strided walks over an output of `shape` (row-major, contiguous)
// and K operands read through their own strides; shared by the broadcasting elementwise kernels
// (elementwise.cc) and the strided copy (copy.cc).
#pragma once

#include <array>
#include <vector>

#include "common.h"

namespace tg {

// Dims are coalesced first (merged where every operand's strides are row-major compatible;
// size-1 dims dropped), then rows of the last dim are handed out across threads.
template <size_t K>
struct Walk {
  std::vector<Index> shape;                 // coalesced, at least one dim
  std::vector<std::array<Index, K>> strides;  // per dim, per operand
  Index rows = 1;                           // product of all dims but the last
  Index inner = 1;                          // the last dim
};

template <size_t K>
Walk<K> coalesce(const std::vector<Index>& shape,
                 const std::array<const std::vector<Index>*, K>& st) {
  Walk<K> w;
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] == 1) continue;
    std::array<Index, K> s;
    for (size_t k = 0; k < K; k++) s[k] = (*st[k])[d];
    if (!w.shape.empty()) {
      bool merge = true;
      const Index n = shape[d];
      for (size_t k = 0; k < K; k++) merge = merge && w.strides.back()[k] == s[k] * n;
      if (merge) {
        w.shape.back() *= n;
        w.strides.back() = s;
        continue;
      }
    }
    w.shape.push_back(shape[d]);
    w.strides.push_back(s);
  }
  if (w.shape.empty()) {
    w.shape.push_back(1);
    w.strides.push_back(std::array<Index, K>{});
  }
  w.inner = w.shape.back();
  for (size_t d = 0; d + 1 < w.shape.size(); d++) w.rows *= w.shape[d];
  return w;
}

// Call row(offsets, r) for rows [r0, r1) of the walk, offsets[k] being operand k's element
// offset at the start of row r (base offsets added).
template <size_t K, typename Row>
void walkRows(const Walk<K>& w, const std::array<Index, K>& base, Index r0, Index r1, Row row) {
  const int outerDims = int(w.shape.size()) - 1;
  std::vector<Index> idx(size_t(std::max(outerDims, 1)), 0);
  std::array<Index, K> off = base;
  // decompose r0 into the outer dims' indices
  Index rem = r0;
  for (int d = outerDims - 1; d >= 0; d--) {
    idx[size_t(d)] = rem % w.shape[size_t(d)];
    rem /= w.shape[size_t(d)];
    for (size_t k = 0; k < K; k++) off[k] += idx[size_t(d)] * w.strides[size_t(d)][k];
  }
  for (Index r = r0; r < r1; r++) {
    row(off, r);
    for (int d = outerDims - 1; d >= 0; d--) {
      const size_t du = size_t(d);
      for (size_t k = 0; k < K; k++) off[k] += w.strides[du][k];
      if (++idx[du] < w.shape[du]) break;
      for (size_t k = 0; k < K; k++) off[k] -= w.strides[du][k] * w.shape[du];
      idx[du] = 0;
    }
  }
}

// Run a walk over threads: rows are split when there are enough elements per thread.
template <size_t K, typename Row>
void parallelRows(const Walk<K>& w, const std::array<Index, K>& base, Index perThread, Row row) {
  const Index minRows = std::max<Index>(1, perThread / std::max<Index>(w.inner, 1));
  parallelFor(
      w.rows, minRows, [&](Index r0, Index r1) { walkRows<K>(w, base, r0, r1, row); }, 1);
}

// The number of elements of `shape` in *numel; false when a size is negative or the count
// exceeds 2^53 (counted in double, so a product of huge sizes cannot wrap around).
inline bool shapeOk(const std::vector<Index>& shape, Index* numel) {
  double n = 1;
  for (Index s : shape) {
    if (s < 0) return false;
    n *= double(s);
  }
  if (n > 9007199254740992.0) return false;
  *numel = Index(n);
  return true;
}

}  // namespace tg
