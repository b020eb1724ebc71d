/**
 * segment_reduce's kernels on typed arrays (never Tensor): PyTorch 1.13's
 * _segment_reduce_lengths_cpu_kernel1 / _segment_reduce_offsets_cpu_kernel1 and their backward
 * (aten/src/ATen/native/SegmentReduce.cpp). Data is contiguous, viewed as (outer, size, inner)
 * around the reduced axis; the output as (outer, segments, inner). Segment bounds come from
 * `bounds`: per outer index, `segments` lengths (offsetsLike false) or `segments + 1` offsets.
 */
import type { TypedArray } from "../dtype.js";

/** PyTorch's ReductionType order in SegmentReduce.h */
export type SegmentReduction = "max" | "mean" | "min" | "sum" | "prod";

/** The geometry of one call. */
export interface SegmentLayout {
  outer: number;
  size: number;
  inner: number;
  segments: number;
  /** lengths (false) or offsets (true) */
  offsetsLike: boolean;
}

/** [start, length] of segment s of outer index o */
function segmentBounds(
  bounds: TypedArray,
  l: SegmentLayout,
  o: number,
  s: number,
  end: number,
): [number, number] {
  if (l.offsetsLike) {
    const row = o * (l.segments + 1);
    const start = bounds[row + s];
    return [start, bounds[row + s + 1] - start];
  }
  return [end, bounds[o * l.segments + s]];
}

/**
 * The forward: each segment reduced from `initial` (or the reduction's identity: -inf for max,
 * inf for min, 0 for sum and mean, 1 for prod); NaN propagates through max and min; mean divides
 * by the segment's length (NaN for an empty segment without `initial`). `round` rounds each
 * step to the data's precision (float32). Returns false on a negative length (PyTorch's
 * TORCH_CHECK(segment_length >= 0)).
 */
export function segmentReduce(
  reduce: SegmentReduction,
  data: TypedArray,
  bounds: TypedArray,
  l: SegmentLayout,
  initial: number | null,
  round: (v: number) => number,
  out: TypedArray,
): boolean {
  const identity =
    reduce === "max" ? -Infinity : reduce === "min" ? Infinity : reduce === "prod" ? 1 : 0;
  const init = initial === null ? identity : round(initial);
  const f32 = round === Math.fround;
  const { inner, size, segments } = l;
  for (let o = 0; o < l.outer; o++) {
    let end = 0;
    for (let s = 0; s < segments; s++) {
      const [start, len] = segmentBounds(bounds, l, o, s, end);
      end = start + len;
      const base = o * size * inner;
      for (let k = 0; k < inner; k++) {
        // one loop per reduction (the element at j is data[base + j * inner + k])
        let acc = init;
        const first = base + start * inner + k;
        const last = base + end * inner + k;
        if (reduce === "max") {
          for (let i = first; i < last; i += inner) {
            const x = data[i];
            acc = x !== x ? x : acc < x ? x : acc;
          }
        } else if (reduce === "min") {
          for (let i = first; i < last; i += inner) {
            const x = data[i];
            acc = x !== x ? x : x < acc ? x : acc;
          }
        } else if (reduce === "prod") {
          if (f32) for (let i = first; i < last; i += inner) acc = Math.fround(acc * data[i]);
          else for (let i = first; i < last; i += inner) acc *= data[i];
        } else if (f32) for (let i = first; i < last; i += inner) acc = Math.fround(acc + data[i]);
        else for (let i = first; i < last; i += inner) acc += data[i];
        if (len < 0) return false;
        if (reduce === "mean") {
          if (len === 0 && initial === null) acc = NaN;
          else if (len > 0 && acc === acc) acc = round(acc / len);
        }
        out[(o * segments + s) * inner + k] = acc;
      }
    }
  }
  return true;
}

/**
 * _segment_reduce_backward's kernel: `gradIn` (zeroed, data's layout) from the output gradient
 * `grad` and the forward's `output`. max/min: the gradient to every element equal to the result
 * (or NaN), then, with several, the positive ones divided by their count (as PyTorch's kernel
 * does); mean: grad / length; sum: grad; prod: grad * output / x, or grad times the product of
 * the others (from `initial`) where x is 0 or NaN.
 */
export function segmentReduceBackward(
  reduce: SegmentReduction,
  grad: TypedArray,
  output: TypedArray,
  data: TypedArray,
  bounds: TypedArray,
  l: SegmentLayout,
  initial: number | null,
  round: (v: number) => number,
  gradIn: TypedArray,
): void {
  const at = (o: number, j: number, k: number): number => (o * l.size + j) * l.inner + k;
  for (let o = 0; o < l.outer; o++) {
    let end = 0;
    for (let s = 0; s < l.segments; s++) {
      const [start, len] = segmentBounds(bounds, l, o, s, end);
      end = start + len;
      if (len === 0) continue;
      for (let k = 0; k < l.inner; k++) {
        const oi = (o * l.segments + s) * l.inner + k;
        const g = grad[oi];
        if (reduce === "max" || reduce === "min") {
          let counter = 0;
          for (let j = start; j < end; j++) {
            const x = data[at(o, j, k)];
            if (x !== x || x === output[oi]) {
              gradIn[at(o, j, k)] = g;
              counter++;
            }
          }
          if (counter < 2) continue;
          for (let j = start; j < end; j++) {
            const i = at(o, j, k);
            if (gradIn[i] > 0) gradIn[i] = round(gradIn[i] / counter);
          }
        } else if (reduce === "mean") {
          const v = round(g / len);
          for (let j = start; j < end; j++) gradIn[at(o, j, k)] = v;
        } else if (reduce === "sum") {
          for (let j = start; j < end; j++) gradIn[at(o, j, k)] = g;
        } else {
          const gv = round(g * output[oi]);
          for (let j = start; j < end; j++) {
            const x = data[at(o, j, k)];
            if (x !== x || x === 0) {
              // the product of the other elements, computed explicitly
              let p = initial === null ? 1 : round(initial);
              for (let m = start; m < end; m++) if (m !== j) p = round(p * data[at(o, m, k)]);
              gradIn[at(o, j, k)] = round(g * p);
            } else gradIn[at(o, j, k)] = round(gv / x);
          }
        }
      }
    }
  }
}
