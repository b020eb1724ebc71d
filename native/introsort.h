// tensorgrad native backend: libstdc++'s (GCC 12) std::sort and std::nth_element, step for
// step in what they compute, faster in how (Note [exact introsort]). Header only, without
// Node-API, so that a plain C++ program can check it against the library calls.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>

namespace tg {
namespace introsort {

// Note [exact introsort]: PyTorch's CPU sort (unstable) and topk call std::sort and
// std::nth_element, and equal keys land where those leave them, so tensorgrad replays the same
// algorithm: introsort (median of three moved to the front, Hoare's unguarded partition, the
// larger side looped, heap sort past 2 * log2(n) levels, ranges of up to 16 left for a final
// insertion sort) and introselect. Two of its steps take most of the time on random data, both
// in mispredicted branches, and both are done here another way that gives the same array:
// - The partition. Hoare's loop swaps the i-th element from the left that does not belong left
//   (!(x < pivot)) with the i-th from the right that does not belong right (!(pivot < x)) for as
//   long as the first lies left of the second, then returns the position of the first of the
//   next pair. The elements between the last swapped pair still hold their original values, so
//   both lists can be collected in blocks of kBlock positions (from the left and from the right
//   of the part not yet scanned, without branches: the position is written, the count advanced
//   by the test) and swapped pairwise: a block from the left and one from the right never
//   overlap, so every pair formed so lies in order. When no unscanned position is left and one
//   list is empty, Hoare's loop itself finishes from the state after the pairs swapped so far
//   (left cursor one past the last left position swapped, right cursor at the last right one);
//   it rescans at most two blocks.
// - The final insertion sort. Insertion sort is stable, and every range the introsort loop
//   leaves (of up to 16 elements) holds elements no greater than any of a later range (the
//   partitions' guarantee), so the final pass over the whole array equals a stable sort of each
//   range on its own. Each range is sorted when the loop leaves it, by ranks: element i goes to
//   #{j : a[j] < a[i]} + #{j < i : a[j] equivalent to a[i]}, the stable order, without
//   branches.
// Heap sort past the depth limit, the median of three and introselect's last insertion sort
// are the library's own calls.

constexpr std::ptrdiff_t kThreshold = 16;  // libstdc++'s _S_threshold
constexpr int kBlock = 128;
// Below this many elements a partition is Hoare's loop alone (the blocks would be mostly
// rescanned).
constexpr std::ptrdiff_t kBlockMin = 4 * kBlock;

// std::__lg: floor(log2(n)) for n > 0
inline int lg(std::ptrdiff_t n) { return 63 - __builtin_clzll((unsigned long long)n); }

// std::__unguarded_partition from first, last with the pivot at *pivot.
template <typename E, typename Cmp>
E* hoare(E* first, E* last, const E* pivot, Cmp cmp) {
  for (;;) {
    while (cmp(*first, *pivot)) ++first;
    --last;
    while (cmp(*pivot, *last)) --last;
    if (!(first < last)) return first;
    std::iter_swap(first, last);
    ++first;
  }
}

// A partition's block scans with vector instructions, for the element and comparator types
// that have them (a specialization next to the comparator, native/sort.cc): `left` appends to
// q the positions base + j, for j from 0 in steps of 16 while j + 16 <= b, of the elements
// x[j] with !cmp(x[j], p), `right` those base - j of the elements x[-j] with !cmp(p, x[-j]);
// both return how far they got (the rest is the scalar loop's). q has room for 16 more.
// `small` sorts 2 to kThreshold elements as smallSort does, or returns false.
template <typename E, typename Cmp>
struct VectorScan {
  static bool usable() { return false; }
  static bool small(E*, int) { return false; }
  static int left(const E*, int, const E&, uint32_t, uint32_t*, int*) { return 0; }
  static int right(const E*, int, const E&, uint32_t, uint32_t*, int*) { return 0; }
};

// std::__unguarded_partition(first, last, pivot) by blocks: the same array, the same result.
template <typename E, typename Cmp>
E* partition(E* first, E* last, const E* pivot, Cmp cmp) {
  if (last - first < kBlockMin) return hoare(first, last, pivot, cmp);
  const E p = *pivot;
  uint32_t ql[kBlock + 16], qr[kBlock + 16];  // positions from `first`
  int nl = 0, sl = 0, nr = 0, sr = 0;
  const bool vec = VectorScan<E, Cmp>::usable();
  std::ptrdiff_t scanL = 0, scanR = last - first;  // not yet scanned: [scanL, scanR)
  std::ptrdiff_t lastL = -1, lastR = last - first;  // the last pair swapped
  for (;;) {
    if (sl == nl) {
      if (scanL == scanR) break;
      const int b = int(std::min<std::ptrdiff_t>(kBlock, scanR - scanL));
      nl = sl = 0;
      const E* x = first + scanL;
      int j = vec ? VectorScan<E, Cmp>::left(x, b, p, uint32_t(scanL), ql, &nl) : 0;
      for (; j < b; j++) {
        ql[nl] = uint32_t(scanL + j);
        nl += !cmp(x[j], p);
      }
      scanL += b;
      continue;
    }
    if (sr == nr) {
      if (scanL == scanR) break;
      const int b = int(std::min<std::ptrdiff_t>(kBlock, scanR - scanL));
      nr = sr = 0;
      const E* x = first + scanR - 1;
      int j = vec ? VectorScan<E, Cmp>::right(x, b, p, uint32_t(scanR - 1), qr, &nr) : 0;
      for (; j < b; j++) {
        qr[nr] = uint32_t(scanR - 1 - j);
        nr += !cmp(p, x[-j]);
      }
      scanR -= b;
      continue;
    }
    const int c = std::min(nl - sl, nr - sr);
    for (int t = 0; t < c; t++) std::iter_swap(first + ql[sl + t], first + qr[sr + t]);
    sl += c;
    sr += c;
    lastL = ql[sl - 1];
    lastR = qr[sr - 1];
  }
  // Hoare's loop after the swaps so far: left cursor past the last left one, right at its pair
  return hoare(first + (lastL + 1), first + lastR, pivot, cmp);
}

// std::__unguarded_partition_pivot
template <typename E, typename Cmp>
E* partitionPivot(E* first, E* last, Cmp cmp) {
  E* mid = first + (last - first) / 2;
  auto it = [&](const E& a, const E& b) { return cmp(a, b); };
  // std::__move_median_to_first(first, first + 1, mid, last - 1)
  E* a = first + 1;
  E* b = mid;
  E* c = last - 1;
  if (it(*a, *b)) {
    if (it(*b, *c)) std::iter_swap(first, b);
    else if (it(*a, *c)) std::iter_swap(first, c);
    else std::iter_swap(first, a);
  } else if (it(*a, *c)) {
    std::iter_swap(first, a);
  } else if (it(*b, *c)) {
    std::iter_swap(first, c);
  } else {
    std::iter_swap(first, b);
  }
  return partition(first + 1, last, first, cmp);
}

// A stable sort of up to kThreshold elements, by ranks (Note [exact introsort]).
template <typename E, typename Cmp>
void smallSort(E* first, E* last, Cmp cmp) {
  const int n = int(last - first);
  if (n < 2) return;
  if (VectorScan<E, Cmp>::usable() && VectorScan<E, Cmp>::small(first, n)) return;
  E tmp[kThreshold];
  for (int i = 0; i < n; i++) tmp[i] = first[i];
  for (int i = 0; i < n; i++) {
    int r = 0;
    for (int j = 0; j < n; j++) r += int(cmp(tmp[j], tmp[i]) | ((j < i) & !cmp(tmp[i], tmp[j])));
    first[r] = tmp[i];
  }
}

template <typename E, typename Cmp>
void loop(E* first, E* last, int depth, Cmp cmp) {
  while (last - first > kThreshold) {
    if (depth == 0) {
      std::partial_sort(first, last, last, cmp);  // heap sort: sorted, untouched by the final pass
      return;
    }
    --depth;
    E* cut = partitionPivot(first, last, cmp);
    loop(cut, last, depth, cmp);
    last = cut;
  }
  smallSort(first, last, cmp);
}

// std::sort(first, last, cmp): the same array.
template <typename E, typename Cmp>
void sort(E* first, E* last, Cmp cmp) {
  if (first == last) return;
  loop(first, last, lg(last - first) * 2, cmp);
}

// std::__introselect
template <typename E, typename Cmp>
void select(E* first, E* nth, E* last, int depth, Cmp cmp) {
  while (last - first > 3) {
    if (depth == 0) {
      // the library's own step: the heap of the nth + 1 first, its top (the nth) to its place
      std::__heap_select(first, nth + 1, last, __gnu_cxx::__ops::__iter_comp_iter(cmp));
      std::iter_swap(first, nth);
      return;
    }
    --depth;
    E* cut = partitionPivot(first, last, cmp);
    if (cut <= nth) first = cut;
    else last = cut;
  }
  // std::__insertion_sort: stable, as smallSort
  smallSort(first, last, cmp);
}

// std::nth_element(first, nth, last, cmp): the same array.
template <typename E, typename Cmp>
void nthElement(E* first, E* nth, E* last, Cmp cmp) {
  if (first == last || nth == last) return;
  select(first, nth, last, lg(last - first) * 2, cmp);
}

}  // namespace introsort
}  // namespace tg
