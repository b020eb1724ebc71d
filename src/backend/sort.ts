/**
 * Sorting and selection kernels on typed arrays (never Tensor): rows of a contiguous buffer,
 * `nRows` rows of `len` elements each, the sorted axis innermost.
 *
 * Note [sort ties]: PyTorch 1.13's CPU sort is std::stable_sort (stable=True) or std::sort
 * (libstdc++'s introsort) on (value, index) pairs with comparators that put NaN above every
 * number (KeyValueCompAsc/Desc); -0 and +0 compare equal. For distinct keys every correct sort
 * agrees, so both go through an LSD radix sort on order-preserving integer keys (stable, O(n)):
 * the stable result directly, the unstable one when the sorted row has no two equal keys. A row
 * with ties takes the introsort replica below, step for step libstdc++'s (GCC 12), so that
 * equal keys land where PyTorch puts them. The replicas compare doubles with `<`, on keys that
 * order as PyTorch's comparators do (orderKeys): one comparison everywhere keeps V8's call
 * sites monomorphic. topk replicates topk_impl_loop (partial_sort when
 * k * 64 <= n, else nth_element and a sort of the first k - 1), kthvalue quick_select_template,
 * mode the std::sort of mode_kernel_impl.
 */
import type { TypedArray } from "../dtype.js";
import { nativeKernels } from "./native.js";

const native = nativeKernels("sort");

/**
 * Elements (nRows * len) from which float sorts and topk go to the addon (native/sort.cc: the
 * libstdc++ calls PyTorch makes). Below, the TypeScript replicas are as fast (no call overhead).
 */
let nativeThreshold = 1024;
/** Change the native threshold (elements; 0 sends every float call native, Infinity none). */
export function setNativeSortThreshold(n: number): number {
  const prev = nativeThreshold;
  nativeThreshold = n;
  return prev;
}

const isFloat = (a: TypedArray): boolean => a instanceof Float32Array || a instanceof Float64Array;

// ------------------------------------------------------------------------------------------------
// radix sort

/**
 * Order-preserving unsigned keys of one row (ascending; bitwise complement for descending):
 * floats map sign-magnitude to offset order, every NaN to the largest key and -0 to +0 (equal
 * for the comparator); int32 flips the sign bit; uint8/bool are their values. 64-bit floats
 * (float64, and int64, stored as float64) give two words, `hi` and `lo`.
 */
function makeKeys(
  src: TypedArray,
  start: number,
  len: number,
  descending: boolean,
  hi: Uint32Array,
  lo: Uint32Array | null,
): void {
  const flip = descending ? 0xffffffff : 0;
  if (src instanceof Float32Array) {
    const bits = new Uint32Array(src.buffer, src.byteOffset + start * 4, len);
    for (let j = 0; j < len; j++) {
      const v = src[start + j];
      let k: number;
      if (v !== v) k = 0xffffffff;
      else if (v === 0) k = 0x80000000;
      else {
        const b = bits[j];
        k = b & 0x80000000 ? ~b : b | 0x80000000;
      }
      hi[j] = (k ^ flip) >>> 0;
    }
  } else if (src instanceof Float64Array) {
    const l = lo as Uint32Array;
    const words = new Uint32Array(src.buffer, src.byteOffset + start * 8, len * 2);
    for (let j = 0; j < len; j++) {
      const v = src[start + j];
      let h: number, w: number;
      if (v !== v) {
        h = 0xffffffff;
        w = 0xffffffff;
      } else if (v === 0) {
        h = 0x80000000;
        w = 0;
      } else {
        // little-endian: the low word first
        const b0 = words[2 * j];
        const b1 = words[2 * j + 1];
        if (b1 & 0x80000000) {
          h = ~b1;
          w = ~b0;
        } else {
          h = b1 | 0x80000000;
          w = b0;
        }
      }
      hi[j] = (h ^ flip) >>> 0;
      l[j] = (w ^ flip) >>> 0;
    }
  } else if (src instanceof Int32Array) {
    for (let j = 0; j < len; j++) hi[j] = (src[start + j] ^ 0x80000000 ^ flip) >>> 0;
  } else {
    for (let j = 0; j < len; j++) hi[j] = (src[start + j] ^ flip) >>> 0;
  }
}

/** Scratch buffers of the radix sort, grown on demand. */
class Scratch {
  hi = new Uint32Array(0);
  lo = new Uint32Array(0);
  hi2 = new Uint32Array(0);
  lo2 = new Uint32Array(0);
  idx = new Int32Array(0);
  idx2 = new Int32Array(0);
  count = new Uint32Array(256 * 8);
  ensure(n: number): void {
    if (this.hi.length >= n) return;
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.hi2 = new Uint32Array(n);
    this.lo2 = new Uint32Array(n);
    this.idx = new Int32Array(n);
    this.idx2 = new Int32Array(n);
  }
}

/**
 * LSD radix sort of `len` keys (8 bits a pass, lo's then hi's bytes; a pass whose byte is the
 * same for every key is skipped). Returns the buffers holding the sorted keys and positions.
 */
function radixSort(
  s: Scratch,
  len: number,
  wide: boolean,
): { hi: Uint32Array; lo: Uint32Array; idx: Int32Array } {
  let hi = s.hi,
    lo = s.lo,
    idx = s.idx,
    hi2 = s.hi2,
    lo2 = s.lo2,
    idx2 = s.idx2;
  for (let j = 0; j < len; j++) idx[j] = j;
  const passes = wide ? 8 : 4;
  const count = s.count;
  count.fill(0);
  for (let j = 0; j < len; j++) {
    const h = hi[j];
    count[h & 255]++;
    count[256 + ((h >>> 8) & 255)]++;
    count[512 + ((h >>> 16) & 255)]++;
    count[768 + (h >>> 24)]++;
    if (wide) {
      const w = lo[j];
      count[1024 + (w & 255)]++;
      count[1280 + ((w >>> 8) & 255)]++;
      count[1536 + ((w >>> 16) & 255)]++;
      count[1792 + (w >>> 24)]++;
    }
  }
  // wide keys: lo's bytes (histograms 4..7) go first
  const order = wide ? [4, 5, 6, 7, 0, 1, 2, 3] : [0, 1, 2, 3];
  for (let p = 0; p < passes; p++) {
    const h = order[p];
    const base = h * 256;
    const shift = (h & 3) * 8;
    const fromLo = h >= 4;
    let trivial = false;
    for (let b = 0; b < 256; b++) if (count[base + b] === len) trivial = true;
    if (trivial) continue;
    let sum = 0;
    for (let b = 0; b < 256; b++) {
      const c = count[base + b];
      count[base + b] = sum;
      sum += c;
    }
    const key = fromLo ? lo : hi;
    for (let j = 0; j < len; j++) {
      const b = (key[j] >>> shift) & 255;
      const d = count[base + b]++;
      hi2[d] = hi[j];
      if (wide) lo2[d] = lo[j];
      idx2[d] = idx[j];
    }
    let t = hi;
    hi = hi2;
    hi2 = t;
    t = lo;
    lo = lo2;
    lo2 = t;
    const ti = idx;
    idx = idx2;
    idx2 = ti;
  }
  return { hi, lo, idx };
}

// ------------------------------------------------------------------------------------------------
// libstdc++'s (GCC 12) algorithms on (value, index) pairs held in two parallel arrays

const lg = (n: number): number => 31 - Math.clz32(n);

function swap(v: Float64Array, ix: Float64Array, i: number, j: number): void {
  const tv = v[i];
  v[i] = v[j];
  v[j] = tv;
  const ti = ix[i];
  ix[i] = ix[j];
  ix[j] = ti;
}

/** std::__move_median_to_first */
function moveMedianToFirst(
  v: Float64Array,
  ix: Float64Array,
  result: number,
  a: number,
  b: number,
  c: number,
): void {
  if (v[a] < v[b]) {
    if (v[b] < v[c]) swap(v, ix, result, b);
    else if (v[a] < v[c]) swap(v, ix, result, c);
    else swap(v, ix, result, a);
  } else if (v[a] < v[c]) swap(v, ix, result, a);
  else if (v[b] < v[c]) swap(v, ix, result, c);
  else swap(v, ix, result, b);
}

/** std::__unguarded_partition around the pivot at `pivot` */
function unguardedPartition(
  v: Float64Array,
  ix: Float64Array,
  first: number,
  last: number,
  pivot: number,
): number {
  for (;;) {
    while (v[first] < v[pivot]) first++;
    last--;
    while (v[pivot] < v[last]) last--;
    if (!(first < last)) return first;
    swap(v, ix, first, last);
    first++;
  }
}

/** std::__unguarded_partition_pivot */
function partitionPivot(v: Float64Array, ix: Float64Array, first: number, last: number): number {
  const mid = first + ((last - first) >> 1);
  moveMedianToFirst(v, ix, first, first + 1, mid, last - 1);
  return unguardedPartition(v, ix, first + 1, last, first);
}

/** std::__unguarded_linear_insert */
function unguardedLinearInsert(v: Float64Array, ix: Float64Array, last: number): void {
  const val = v[last];
  const vi = ix[last];
  let next = last - 1;
  while (val < v[next]) {
    v[last] = v[next];
    ix[last] = ix[next];
    last = next;
    next--;
  }
  v[last] = val;
  ix[last] = vi;
}

/** std::__insertion_sort */
function insertionSort(v: Float64Array, ix: Float64Array, first: number, last: number): void {
  if (first === last) return;
  for (let i = first + 1; i < last; i++) {
    if (v[i] < v[first]) {
      const val = v[i];
      const vi = ix[i];
      v.copyWithin(first + 1, first, i);
      ix.copyWithin(first + 1, first, i);
      v[first] = val;
      ix[first] = vi;
    } else unguardedLinearInsert(v, ix, i);
  }
}

/** std::__adjust_heap (with __push_heap) on [first, first + len) */
function adjustHeap(
  v: Float64Array,
  ix: Float64Array,
  first: number,
  hole: number,
  len: number,
  value: number,
  vIndex: number,
): void {
  const top = hole;
  let child = hole;
  while (child < (len - 1) >> 1) {
    child = 2 * (child + 1);
    if (v[first + child] < v[first + child - 1]) child--;
    v[first + hole] = v[first + child];
    ix[first + hole] = ix[first + child];
    hole = child;
  }
  if ((len & 1) === 0 && child === (len - 2) >> 1) {
    child = 2 * (child + 1);
    v[first + hole] = v[first + child - 1];
    ix[first + hole] = ix[first + child - 1];
    hole = child - 1;
  }
  let parent = (hole - 1) >> 1;
  while (hole > top && v[first + parent] < value) {
    v[first + hole] = v[first + parent];
    ix[first + hole] = ix[first + parent];
    hole = parent;
    parent = (hole - 1) >> 1;
  }
  v[first + hole] = value;
  ix[first + hole] = vIndex;
}

/** std::__make_heap */
function makeHeap(v: Float64Array, ix: Float64Array, first: number, last: number): void {
  const len = last - first;
  if (len < 2) return;
  for (let parent = (len - 2) >> 1; ; parent--) {
    adjustHeap(v, ix, first, parent, len, v[first + parent], ix[first + parent]);
    if (parent === 0) return;
  }
}

/** std::__pop_heap: the top goes to `result`, the pair at `result` into the heap */
function popHeap(
  v: Float64Array,
  ix: Float64Array,
  first: number,
  last: number,
  result: number,
): void {
  const value = v[result];
  const vi = ix[result];
  v[result] = v[first];
  ix[result] = ix[first];
  adjustHeap(v, ix, first, 0, last - first, value, vi);
}

/** std::__heap_select */
function heapSelect(
  v: Float64Array,
  ix: Float64Array,
  first: number,
  middle: number,
  last: number,
): void {
  makeHeap(v, ix, first, middle);
  for (let i = middle; i < last; i++) if (v[i] < v[first]) popHeap(v, ix, first, middle, i);
}

/** std::__sort_heap */
function sortHeap(v: Float64Array, ix: Float64Array, first: number, last: number): void {
  while (last - first > 1) {
    last--;
    popHeap(v, ix, first, last, last);
  }
}

/** std::partial_sort */
function partialSort(
  v: Float64Array,
  ix: Float64Array,
  first: number,
  middle: number,
  last: number,
): void {
  heapSelect(v, ix, first, middle, last);
  sortHeap(v, ix, first, middle);
}

/** std::nth_element (std::__introselect) */
export function nthElement(
  v: Float64Array,
  ix: Float64Array,
  first: number,
  nth: number,
  last: number,
): void {
  if (first === last || nth === last) return;
  let depth = 2 * lg(last - first);
  while (last - first > 3) {
    if (depth === 0) {
      heapSelect(v, ix, first, nth + 1, last);
      swap(v, ix, first, nth);
      return;
    }
    depth--;
    const cut = partitionPivot(v, ix, first, last);
    if (cut <= nth) first = cut;
    else last = cut;
  }
  insertionSort(v, ix, first, last);
}

function introsortLoop(
  v: Float64Array,
  ix: Float64Array,
  first: number,
  last: number,
  depth: number,
): void {
  while (last - first > 16) {
    if (depth === 0) {
      partialSort(v, ix, first, last, last);
      return;
    }
    depth--;
    const cut = partitionPivot(v, ix, first, last);
    introsortLoop(v, ix, cut, last, depth);
    last = cut;
  }
}

/** std::sort (std::__introsort_loop with threshold 16, then std::__final_insertion_sort) */
export function introSort(v: Float64Array, ix: Float64Array, first: number, last: number): void {
  if (last - first < 2) return;
  introsortLoop(v, ix, first, last, 2 * lg(last - first));
  if (last - first > 16) {
    insertionSort(v, ix, first, first + 16);
    for (let i = first + 16; i < last; i++) unguardedLinearInsert(v, ix, i);
  } else insertionSort(v, ix, first, last);
}

// ------------------------------------------------------------------------------------------------
// kernels

/**
 * Keys of one row as doubles whose `<` is PyTorch's comparator (KeyValueCompAsc, or
 * KeyValueCompDesc when `descending`), for the replicas above: the values (negated for
 * descending; -0 and +0 stay equal) when there is no NaN; with NaNs, a float32 row maps NaN to
 * +Infinity and +Infinity to the largest double (above every float32); a float64 row with NaNs
 * takes dense ranks from the radix sort (equal keys, equal ranks).
 */
function orderKeys(
  src: TypedArray,
  start: number,
  len: number,
  descending: boolean,
  keys: Float64Array,
  s: Scratch,
): void {
  let nan = false;
  for (let j = 0; j < len; j++) {
    const x = src[start + j];
    if (x !== x) nan = true;
    keys[j] = x;
  }
  if (nan && src instanceof Float64Array) {
    s.ensure(len);
    makeKeys(src, start, len, descending, s.hi, s.lo);
    const r = radixSort(s, len, true);
    let rank = 0;
    for (let j = 0; j < len; j++) {
      if (j > 0 && (r.hi[j] !== r.hi[j - 1] || r.lo[j] !== r.lo[j - 1])) rank++;
      keys[r.idx[j]] = rank;
    }
    return;
  }
  if (nan)
    for (let j = 0; j < len; j++) {
      const x = keys[j];
      keys[j] = x !== x ? Infinity : x === Infinity ? Number.MAX_VALUE : x;
    }
  if (descending) for (let j = 0; j < len; j++) keys[j] = -keys[j];
}

/**
 * Sort each row of `src` (nRows rows of `len`, contiguous from 0): the values into `outV` (the
 * same array type) and the positions into `outI` (int64, a Float64Array). Note [sort ties].
 */
export function sortRows(
  src: TypedArray,
  nRows: number,
  len: number,
  descending: boolean,
  stable: boolean,
  outV: TypedArray,
  outI: Float64Array,
): void {
  // stable: the radix sort below beats std::stable_sort (bench/ops.mjs, "sort 1e6 stable")
  if (
    !stable &&
    isFloat(src) &&
    nRows * len >= nativeThreshold &&
    native.sortRows(src, nRows, len, descending ? 1 : 0, stable ? 1 : 0, outV, outI)
  )
    return;
  const wide = src instanceof Float64Array;
  const s = new Scratch();
  const keys = new Float64Array(len);
  const pi = new Float64Array(len);
  for (let r = 0; r < nRows; r++) {
    const start = r * len;
    let sorted: { idx: ArrayLike<number> } | null = null;
    if (len > 16) {
      s.ensure(len);
      makeKeys(src, start, len, descending, s.hi, wide ? s.lo : null);
      const rs = radixSort(s, len, wide);
      let ties = false;
      if (!stable) {
        const h = rs.hi;
        const l = rs.lo;
        for (let j = 1; j < len; j++)
          if (h[j] === h[j - 1] && (!wide || l[j] === l[j - 1])) {
            ties = true;
            break;
          }
      }
      if (!ties) sorted = rs;
    }
    if (sorted === null) {
      // up to 16 elements both sorts are an insertion sort (stable): std::sort's final
      // insertion sort, std::stable_sort's below its chunk size; else std::sort's replica
      orderKeys(src, start, len, descending, keys, s);
      for (let j = 0; j < len; j++) pi[j] = j;
      introSort(keys, pi, 0, len);
      sorted = { idx: pi };
    }
    const idx = sorted.idx;
    for (let j = 0; j < len; j++) {
      const k = idx[j];
      outV[start + j] = src[start + k];
      outI[start + j] = k;
    }
  }
}

/** Row length from which sorted topk with k * 64 > len selects by radix (native/sort.cc). */
const RADIX_TOPK_MIN_LEN = 4096;

/**
 * The k largest (or smallest) of each row as topk_impl_loop orders them: std::partial_sort
 * when k * 64 <= len, else std::nth_element of the (k-1)th then (sorted) std::sort of the
 * first k - 1. Writes nRows rows of k. Sorted selections of rows from 4096 elements whose k + 1
 * first keys are distinct take a radix sort instead (Note [topk by radix select]): the same
 * result, the only correct one.
 */
export function topkRows(
  src: TypedArray,
  nRows: number,
  len: number,
  k: number,
  largest: boolean,
  sorted: boolean,
  outV: TypedArray,
  outI: Float64Array,
): void {
  if (k === 0) return;
  if (
    isFloat(src) &&
    nRows * len >= nativeThreshold &&
    native.topkRows(src, nRows, len, k, largest ? 1 : 0, sorted ? 1 : 0, outV, outI)
  )
    return;
  const partial = k * 64 <= len;
  const radix = !partial && sorted && len >= RADIX_TOPK_MIN_LEN;
  const wide = src instanceof Float64Array;
  const s = new Scratch();
  const keys = new Float64Array(len);
  const ix = new Float64Array(partial ? k : len);
  for (let r = 0; r < nRows; r++) {
    const start = r * len;
    if (radix) {
      // Note [topk by radix select] (native/sort.cc): distinct k + 1 first keys make the
      // result unique; this twin radix-sorts the whole row where the native kernel selects
      s.ensure(len);
      makeKeys(src, start, len, largest, s.hi, wide ? s.lo : null);
      const rs = radixSort(s, len, wide);
      const h = rs.hi;
      const l = rs.lo;
      let ties = false;
      for (let j = 1; j <= k && j < len; j++)
        if (h[j] === h[j - 1] && (!wide || l[j] === l[j - 1])) {
          ties = true;
          break;
        }
      if (!ties) {
        for (let j = 0; j < k; j++) {
          const p = rs.idx[j];
          outV[r * k + j] = src[start + p];
          outI[r * k + j] = p;
        }
        continue;
      }
    }
    orderKeys(src, start, len, largest, keys, s);
    if (partial) {
      // std::partial_sort = __heap_select then __sort_heap. The selection reads queue[i] and
      // writes the popped top there, never read again: the rest of the row stays in place
      for (let j = 0; j < k; j++) ix[j] = j;
      makeHeap(keys, ix, 0, k);
      let top = keys[0];
      for (let i = k; i < len; i++) {
        const x = keys[i];
        if (x < top) {
          adjustHeap(keys, ix, 0, 0, k, x, i);
          top = keys[0];
        }
      }
      sortHeap(keys, ix, 0, k);
    } else {
      for (let j = 0; j < len; j++) ix[j] = j;
      nthElement(keys, ix, 0, k - 1, len);
      if (sorted) introSort(keys, ix, 0, k - 1);
    }
    for (let j = 0; j < k; j++) {
      const p = ix[j];
      outV[r * k + j] = src[start + p];
      outI[r * k + j] = p;
    }
  }
}

/** PyTorch's quick_select_template (Sedgewick's partition, NaN above all): kthvalue's order. */
function quickSelect(v: Float64Array, ix: Float64Array, len: number, k: number): void {
  const gt = (x: number, y: number): boolean => (x !== x && y === y) || x > y;
  let L = 0;
  let R = len - 1;
  for (;;) {
    if (R <= L) return;
    if (R === L + 1) {
      if (gt(v[L], v[R])) swap(v, ix, L, R);
      return;
    }
    const P = (L + R) >> 1;
    swap(v, ix, P, L + 1);
    if (gt(v[L + 1], v[R])) swap(v, ix, L + 1, R);
    if (gt(v[L], v[R])) swap(v, ix, L, R);
    if (gt(v[L + 1], v[L])) swap(v, ix, L + 1, L);
    let i = L + 1;
    let j = R;
    const piv = v[L];
    for (;;) {
      do i++;
      while (gt(piv, v[i]));
      do j--;
      while (gt(v[j], piv));
      if (j < i) break;
      swap(v, ix, i, j);
    }
    swap(v, ix, L, j);
    if (j <= k) L = i;
    if (j >= k) R = j - 1;
  }
}

/** The k-th smallest (1-based) of each row and its position, as kthvalue_out_impl_cpu. */
export function kthvalueRows(
  src: TypedArray,
  nRows: number,
  len: number,
  k: number,
  outV: TypedArray,
  outI: Float64Array,
): void {
  const v = new Float64Array(len);
  const ix = new Float64Array(len);
  for (let r = 0; r < nRows; r++) {
    for (let j = 0; j < len; j++) {
      v[j] = src[r * len + j];
      ix[j] = j;
    }
    quickSelect(v, ix, len, k - 1);
    outV[r] = v[k - 1];
    outI[r] = ix[k - 1];
  }
}

/**
 * The median of each row and its position, as median_with_indices_impl: the first NaN when
 * there is one (median; nanmedian skips NaNs, all-NaN rows give the first), else the element
 * at sorted position (n - 1) / 2 of the order (value, position): the stable sort's.
 */
export function medianRows(
  src: TypedArray,
  nRows: number,
  len: number,
  ignoreNan: boolean,
  outV: TypedArray,
  outI: Float64Array,
): void {
  const row = new Float64Array(len);
  const oi = new Float64Array(len);
  for (let r = 0; r < nRows; r++) {
    const start = r * len;
    let firstNan = -1;
    let nans = 0;
    for (let j = 0; j < len; j++) {
      const x = src[start + j];
      row[j] = x;
      if (x !== x) {
        nans++;
        if (firstNan < 0) firstNan = j;
      }
    }
    if (nans > 0 && !ignoreNan) {
      outV[r] = NaN;
      outI[r] = firstNan;
      continue;
    }
    if (nans === len) {
      // nanmedian of NaNs only: nth_element of position 0 under a comparator that is false
      // for every pair (no element precedes another)
      for (let j = 0; j < len; j++) oi[j] = j;
      row.fill(0);
      nthElement(row, oi, 0, 0, len);
      outV[r] = NaN;
      outI[r] = oi[0];
      continue;
    }
    const nth = (len - nans - 1) >> 1;
    sortRows(row, 1, len, false, true, row.slice(), oi);
    outI[r] = oi[nth];
    outV[r] = src[start + oi[nth]];
  }
}

/**
 * The most frequent value of each row (the smallest among equally frequent ones) and the
 * position of the last of its run after mode_kernel_impl's std::sort with a plain `<`.
 */
export function modeRows(
  src: TypedArray,
  nRows: number,
  len: number,
  outV: TypedArray,
  outI: Float64Array,
): void {
  const v = new Float64Array(len);
  const ix = new Float64Array(len);
  for (let r = 0; r < nRows; r++) {
    for (let j = 0; j < len; j++) {
      v[j] = src[r * len + j];
      ix[j] = j;
    }
    introSort(v, ix, 0, len);
    let mode = 0;
    let modei = 0;
    let freq = 0;
    let maxFreq = 0;
    for (let j = 0; j < len; j++) {
      freq++;
      if (j === len - 1 || v[j] !== v[j + 1]) {
        if (freq > maxFreq) {
          mode = v[j];
          modei = ix[j];
          maxFreq = freq;
        }
        freq = 0;
      }
    }
    outV[r] = mode;
    outI[r] = modei;
  }
}
