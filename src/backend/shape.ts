/**
 * Kernels of the shape family (typed arrays only): the strided copy between two layouts that
 * flip, roll, repeat and the diagonal ops reduce to, and the triangle masks of tril/triu.
 */
import type { TypedArray } from "../dtype.js";
import { tryNativeCopy } from "./copy.js";

/** Where a strided operand starts and how it steps. */
export interface Strided {
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * dst at `d`'s positions = src at `s`'s positions, both walked in row-major order of `shape`
 * (negative and zero strides allowed): the addon's strided copy (native/copy.cc) when it is
 * worth it, else a row-by-row TypeScript loop.
 */
export function copyStrided(
  src: TypedArray,
  s: Strided,
  dst: TypedArray,
  d: Strided,
  shape: readonly number[],
): void {
  let n = 1;
  for (const size of shape) n *= size;
  if (n === 0) return;
  if (tryNativeCopy(src, s.offset, s.strides, dst, d.offset, d.strides, shape, n)) return;
  const nd = shape.length;
  if (nd === 0) {
    dst[d.offset] = src[s.offset];
    return;
  }
  // rows of the last dim, the outer dims walked by an odometer moving both offsets
  const inner = shape[nd - 1];
  const ss = s.strides[nd - 1];
  const ds = d.strides[nd - 1];
  const idx = new Array<number>(nd).fill(0);
  let sp = s.offset;
  let dp = d.offset;
  for (;;) {
    for (let j = 0, a = sp, b = dp; j < inner; j++, a += ss, b += ds) dst[b] = src[a];
    let k = nd - 2;
    for (; k >= 0; k--) {
      sp += s.strides[k];
      dp += d.strides[k];
      if (++idx[k] < shape[k]) break;
      sp -= s.strides[k] * shape[k];
      dp -= d.strides[k] * shape[k];
      idx[k] = 0;
    }
    if (k < 0) return;
  }
}

/**
 * Zero, in place, one triangle of each of the `batches` row-major rows x cols matrices of
 * `data`: lower (tril) keeps the elements with j - i <= k, upper (triu) those with j - i >= k.
 * One `fill` per row.
 */
export function triangleMask(
  data: TypedArray,
  batches: number,
  rows: number,
  cols: number,
  k: number,
  lower: boolean,
): void {
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < rows; i++) {
      const row = (b * rows + i) * cols;
      if (lower) {
        const start = Math.max(0, Math.min(cols, i + k + 1));
        if (start < cols) data.fill(0, row + start, row + cols);
      } else {
        const end = Math.max(0, Math.min(cols, i + k));
        if (end > 0) data.fill(0, row, row + end);
      }
    }
  }
}
