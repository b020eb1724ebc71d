/**
 * The histogram kernel on typed arrays (never Tensor): PyTorch 1.13's
 * histogramdd_cpu_contiguous (aten/src/ATen/native/cpu/HistogramKernel.cpp), shared by
 * torch.histogram and torch.histogramdd.
 */
import type { TypedArray } from "../dtype.js";

export type BinSearch = "binary" | "linear" | "linearLocal";

/** upper_bound(edges[lo:hi], x) - 1: the last index in [lo, hi) whose edge is <= x, or lo - 1 */
function upperBoundMinus1(edges: TypedArray, lo: number, hi: number, x: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (x < edges[m]) b = m;
    else a = m + 1;
  }
  return a - 1;
}

/**
 * Accumulates the weights (1 without) of the `n` points of `input` (row-major n x d) into `hist`
 * (row-major, shape edges[k].length - 1 per dim, zeroed by the caller). A point outside
 * [edges[k][0], edges[k][last]] in some dim, or NaN, is skipped; the last bin of each dim
 * includes its right edge. `f32` evaluates the interpolation in float32 as PyTorch does for
 * float inputs. How a point finds its bin (PyTorch's BIN_SELECTION_ALGORITHM): "binary" (bins
 * given as edges: BINARY_SEARCH) an upper_bound over all edges; "linear" (torch.histc:
 * LINEAR_INTERPOLATION) its position (x - left) * nbins / (right - left); "linearLocal" (bins
 * given as counts: LINEAR_INTERPOLATION_WITH_LOCAL_SEARCH) that position corrected by an
 * upper_bound over the edges around it.
 */
export function histogramdd(
  input: TypedArray,
  n: number,
  d: number,
  weight: TypedArray | null,
  edges: readonly TypedArray[],
  search: BinSearch,
  f32: boolean,
  hist: TypedArray,
): void {
  const r = f32 ? Math.fround : (v: number): number => v;
  const strides = new Array<number>(d);
  let s = 1;
  for (let k = d - 1; k >= 0; k--) {
    strides[k] = s;
    s *= edges[k].length - 1;
  }
  const left = edges.map((e) => e[0]);
  const right = edges.map((e) => e[e.length - 1]);
  const width = edges.map((e) => r(e[e.length - 1] - e[0]));
  for (let i = 0; i < n; i++) {
    let index = 0;
    let skip = false;
    for (let k = 0; k < d; k++) {
      const x = input[i * d + k];
      if (!(x >= left[k] && x <= right[k])) {
        skip = true;
        break;
      }
      const e = edges[k];
      const m = e.length;
      let pos: number;
      if (search === "binary") pos = upperBoundMinus1(e, 0, m, x);
      else {
        // static_cast<int64_t>((elt - leftmost) * (num_bin_edges - 1) / (rightmost - leftmost))
        pos = f32
          ? Math.trunc(Math.fround(Math.fround(Math.fround(x - left[k]) * (m - 1)) / width[k]))
          : Math.trunc(((x - left[k]) * (m - 1)) / width[k]);
        if (search === "linearLocal") {
          // upper_bound over edges[max(0, pos - 1) : min(pos + 2, m)], minus 1
          const lo = pos > 0 ? pos - 1 : 0;
          const hi = pos + 2 < m ? pos + 2 : m;
          let j = lo;
          while (j < hi && !(x < e[j])) j++;
          pos = j - 1;
        }
      }
      if (pos === m - 1) pos -= 1;
      index += strides[k] * pos;
    }
    if (!skip) hist[index] = r(hist[index] + (weight === null ? 1 : weight[i]));
  }
}
