/**
 * Reductions, cumulative sums and softmax (the twins of native/reduce.cc). Every kernel views
 * its contiguous input as [outer, n, inner] from an element offset: n is the reduced (scanned,
 * softmaxed) axis; inner > 1 means an axis that is not innermost, done without a permuted copy.
 * Large float inputs go to the addon (native.ts) when it is loaded.
 */
import type { TypedArray } from "../dtype.js";
import { REDUCE_INDEX, REDUCE_PREDICATE, Reduce, opTable } from "./abi.js";
import { nativeKernels } from "./native.js";

export { Reduce };

const native = nativeKernels("reduce");

/**
 * Elements (outer * n * inner) from which each kernel goes native, measured on the 2-core
 * AVX2 machine here (float32, µs per call, TypeScript twin vs native, best of 5 runs):
 * - reduce, a contiguous row sum: 160 elements 0.20 vs 0.29, 320: 0.34 vs 0.28, 1280: 1.33 vs
 *   0.36, 32768: 37 vs 3.0; column sums ([n, 256], sum over n) win from the smallest sizes
 *   (1280: 3.5 vs 0.43, 32768 = the MLP's [128, 256] bias gradient: 74 vs 4.1). Crossover ~300.
 * - cumsum along a row is one dependent chain of double adds in both (native only skips the
 *   JIT's bounds checks): 640: 0.89 vs 1.06, 1280: 1.77 vs 1.70, 32768: 41 vs 36. Native runs
 *   four rows' chains interleaved, and a float32 row whose partial sums are all exact in double
 *   as four chunks (Note [exact cumsum], native/reduce.cc): the same results. cumprod likewise,
 *   and a float32 row of 4096 or more as four chunks in both backends (Note [chunked cumprod]).
 * - softmax / log_softmax forward, rows of 10 (a classifier's logits): 40: 0.44 vs 0.40,
 *   160: 2.0 vs 0.70, 1280 (the MLP's [128, 10]): 16-20 vs 3.8-4.4; the twin pays Math.exp.
 * - their backward, rows of 10: 160: 0.38 vs 0.47 (softmax), 1.44 vs 0.77 (log_softmax);
 *   320: 0.75 vs 0.62; 1280: 3.0 vs 1.5 (softmax), 11.2 vs 3.5 (log_softmax).
 */
export interface NativeReduceThresholds {
  reduce: number;
  cumsum: number;
  softmax: number;
  softmaxBackward: number;
}

const thresholds: NativeReduceThresholds = {
  reduce: 320,
  cumsum: 1280,
  softmax: 48,
  softmaxBackward: 256,
};

/** Change some of the native thresholds (elements); 0 sends every float call native. */
export function setNativeReduceThresholds(t: Partial<NativeReduceThresholds>): void {
  Object.assign(thresholds, t);
}

export function getNativeReduceThresholds(): NativeReduceThresholds {
  return { ...thresholds };
}

const REDUCE_GIVES_INDEX = opTable(REDUCE_INDEX);
const REDUCE_GIVES_BOOL = opTable(REDUCE_PREDICATE);

/**
 * The output array the addon writes for `op`: a Float64Array (int64 storage) for an index, a
 * Uint8Array for a bool, else a's array type.
 */
function reduceOutFits(op: Reduce, a: TypedArray, out: TypedArray): boolean {
  return REDUCE_GIVES_INDEX[op] === 1
    ? out instanceof Float64Array
    : REDUCE_GIVES_BOOL[op] === 1
      ? out instanceof Uint8Array
      : out.constructor === a.constructor;
}

// ---------------------------------------------------------------------------------------------
// Reductions. `reduce` works over the innermost axis of a contiguous [outer, inner] input;
// `reduceAxis` over the middle axis of a contiguous [outer, n, inner] one (a leading or middle
// dim reduced in place, no permuted copy). Both accumulate in JS numbers (double), so float32
// sums are rounded once. The native kernels (native/reduce.cc) compute the same.

export function reduce(
  op: Reduce,
  a: TypedArray,
  outer: number,
  inner: number,
  out: TypedArray,
): void {
  if (outer * inner >= thresholds.reduce && reduceOutFits(op, a, out)) {
    if (native.reduce(op, a, 0, outer, inner, 1, out, 0)) return;
  }
  switch (op) {
    case Reduce.Sum:
      for (let o = 0; o < outer; o++) {
        let s = 0;
        const base = o * inner;
        for (let i = 0; i < inner; i++) s += a[base + i];
        out[o] = s;
      }
      break;
    case Reduce.Prod:
      for (let o = 0; o < outer; o++) {
        let s = 1;
        const base = o * inner;
        for (let i = 0; i < inner; i++) s *= a[base + i];
        out[o] = s;
      }
      break;
    case Reduce.Max:
    case Reduce.ArgMax:
      for (let o = 0; o < outer; o++) {
        const base = o * inner;
        let best = a[base];
        let bi = 0;
        for (let i = 1; i < inner && best === best; i++) {
          const x = a[base + i];
          // NaN wins, as in PyTorch's max
          if (x > best || x !== x) {
            best = x;
            bi = i;
          }
        }
        out[o] = op === Reduce.Max ? best : bi;
      }
      break;
    case Reduce.Min:
    case Reduce.ArgMin:
      for (let o = 0; o < outer; o++) {
        const base = o * inner;
        let best = a[base];
        let bi = 0;
        for (let i = 1; i < inner && best === best; i++) {
          const x = a[base + i];
          if (x < best || x !== x) {
            best = x;
            bi = i;
          }
        }
        out[o] = op === Reduce.Min ? best : bi;
      }
      break;
    case Reduce.LogSumExp:
      // log(sum(exp(x))) = m + log(sum(exp(x - m))) with m = max(x), for stability
      for (let o = 0; o < outer; o++) {
        const base = o * inner;
        let m = -Infinity;
        for (let i = 0; i < inner; i++) if (a[base + i] > m) m = a[base + i];
        if (m === -Infinity || m === Infinity) {
          out[o] = m;
          continue;
        }
        let s = 0;
        for (let i = 0; i < inner; i++) s += Math.exp(a[base + i] - m);
        out[o] = m + Math.log(s);
      }
      break;
    case Reduce.Any:
      for (let o = 0; o < outer; o++) {
        let r = 0;
        const base = o * inner;
        for (let i = 0; i < inner; i++) if (a[base + i] !== 0) r = 1;
        out[o] = r;
      }
      break;
    case Reduce.All:
      for (let o = 0; o < outer; o++) {
        let r = 1;
        const base = o * inner;
        for (let i = 0; i < inner; i++) if (a[base + i] === 0) r = 0;
        out[o] = r;
      }
      break;
  }
}

/**
 * out[o*inner + i] = op over r < n of a[aOff + (o*n + r)*inner + i] (n >= 1): the rows of each
 * outer block are combined column by column, in row order, with the same per-element rules as
 * `reduce` (NaN wins max/min and stays; the first extreme's index; logsumexp shifted by the
 * column max). With inner == 1 this is `reduce` on a row.
 */
export function reduceAxis(
  op: Reduce,
  a: TypedArray,
  aOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
): void {
  if (inner === 1) {
    reduce(op, aOff === 0 ? a : a.subarray(aOff, aOff + outer * n), outer, n, out);
    return;
  }
  if (outer * n * inner >= thresholds.reduce && reduceOutFits(op, a, out)) {
    if (native.reduce(op, a, aOff, outer, n, inner, out, 0)) return;
  }
  const acc = new Float64Array(inner);
  const idx = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = aOff + o * n * inner;
    const ob = o * inner;
    switch (op) {
      case Reduce.Sum:
      case Reduce.Prod:
        for (let i = 0; i < inner; i++) acc[i] = a[base + i];
        for (let r = 1; r < n; r++) {
          const row = base + r * inner;
          if (op === Reduce.Sum) for (let i = 0; i < inner; i++) acc[i] += a[row + i];
          else for (let i = 0; i < inner; i++) acc[i] *= a[row + i];
        }
        for (let i = 0; i < inner; i++) out[ob + i] = acc[i];
        break;
      case Reduce.Max:
      case Reduce.Min:
      case Reduce.ArgMax:
      case Reduce.ArgMin: {
        const isMax = op === Reduce.Max || op === Reduce.ArgMax;
        for (let i = 0; i < inner; i++) {
          acc[i] = a[base + i];
          idx[i] = 0;
        }
        for (let r = 1; r < n; r++) {
          const row = base + r * inner;
          for (let i = 0; i < inner; i++) {
            const x = a[row + i];
            const b = acc[i];
            if (b === b && ((isMax ? x > b : x < b) || x !== x)) {
              acc[i] = x;
              idx[i] = r;
            }
          }
        }
        const src = op === Reduce.Max || op === Reduce.Min ? acc : idx;
        for (let i = 0; i < inner; i++) out[ob + i] = src[i];
        break;
      }
      case Reduce.LogSumExp:
        for (let i = 0; i < inner; i++) {
          let m = -Infinity;
          for (let r = 0; r < n; r++) {
            const x = a[base + r * inner + i];
            if (x > m) m = x;
          }
          if (m === -Infinity || m === Infinity) {
            out[ob + i] = m;
            continue;
          }
          let s = 0;
          for (let r = 0; r < n; r++) s += Math.exp(a[base + r * inner + i] - m);
          out[ob + i] = m + Math.log(s);
        }
        break;
      case Reduce.Any:
      case Reduce.All: {
        const isAny = op === Reduce.Any;
        for (let i = 0; i < inner; i++) out[ob + i] = isAny ? 0 : 1;
        for (let r = 0; r < n; r++) {
          const row = base + r * inner;
          for (let i = 0; i < inner; i++)
            if ((a[row + i] !== 0) === isAny) out[ob + i] = isAny ? 1 : 0;
        }
        break;
      }
    }
  }
}

/**
 * Inclusive scan along the middle axis of a contiguous [outer, n, inner] input starting at
 * aOff, into a contiguous out of the same shape; running sums kept in double.
 */
export function cumsum(
  a: TypedArray,
  aOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
): void {
  if (outer * n * inner >= thresholds.cumsum && native.cumsum(a, aOff, outer, n, inner, out, 0))
    return;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      const base = o * n * inner + i;
      for (let r = 0; r < n; r++) {
        s += a[aOff + base + r * inner];
        out[base + r * inner] = s;
      }
    }
  }
}

/**
 * softmax (log false) or log_softmax (log true) along the middle axis of a contiguous
 * [outer, n, inner] input from aOff, into a contiguous out. With m the max (NaN ignored) and
 * s = sum(exp(x - m)) in double: softmax = exp(x - m) (stored in out) / s; log_softmax =
 * x - lse, lse = m + log(s) (or m when m is infinite), rounded once. NaN anywhere makes the
 * slice NaN, and an all -inf slice is NaN (-inf - -inf), as PyTorch.
 */
export function softmax(
  a: TypedArray,
  aOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
  log: boolean,
): void {
  if (outer * n * inner >= thresholds.softmax) {
    if (native.softmax(a, aOff, outer, n, inner, out, 0, log ? 1 : 0)) return;
  }
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const ob = o * n * inner + i;
      const base = aOff + ob;
      let m = -Infinity;
      for (let r = 0; r < n; r++) {
        const x = a[base + r * inner];
        if (x > m) m = x;
      }
      let s = 0;
      for (let r = 0; r < n; r++) {
        const e = Math.exp(a[base + r * inner] - m);
        s += e;
        if (!log) out[ob + r * inner] = e;
      }
      if (log) {
        // m = +-inf: x - m is NaN at the infinite entries, so s and every output are NaN (as
        // PyTorch's x - m - log(s))
        const lse = m + Math.log(s);
        for (let r = 0; r < n; r++) out[ob + r * inner] = a[base + r * inner] - lse;
      } else {
        for (let r = 0; r < n; r++) out[ob + r * inner] = out[ob + r * inner] / s;
      }
    }
  }
}

/**
 * The backward of `softmax` along the middle axis of [outer, n, inner], y its result and g the
 * incoming gradient (both contiguous from their offsets), in double: softmax dx = y*(g - dot),
 * dot = sum(g*y); log_softmax dx = g - exp(y)*sum(g).
 */
export function softmaxBackward(
  g: TypedArray,
  gOff: number,
  y: TypedArray,
  yOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
  log: boolean,
): void {
  if (outer * n * inner >= thresholds.softmaxBackward) {
    if (native.softmaxBackward(g, gOff, y, yOff, outer, n, inner, out, 0, log ? 1 : 0)) return;
  }
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const ob = o * n * inner + i;
      let s = 0;
      for (let r = 0; r < n; r++) {
        const k = ob + r * inner;
        s += log ? g[gOff + k] : g[gOff + k] * y[yOff + k];
      }
      for (let r = 0; r < n; r++) {
        const k = ob + r * inner;
        out[k] = log ? g[gOff + k] - Math.exp(y[yOff + k]) * s : y[yOff + k] * (g[gOff + k] - s);
      }
    }
  }
}

/**
 * Note [chunked cumprod] (native/reduce.cc): a float32 row of n >= CHUNKED_CUMPROD_MIN along n
 * is scanned as four chunks, chunk k's running product starting from the product of the
 * earlier chunks' totals (each total over eight lanes), in both backends: the same factors
 * associated differently from PyTorch's one chain (a float32 ulp apart at most, where a
 * product lies next to a rounding boundary), so the native scan runs four independent chains.
 */
const CHUNKED_CUMPROD_MIN = 4096;

/** The product of a[off, off + n) in chunkProd's order (native/reduce.cc): eight lanes. */
function chunkProd(a: TypedArray, off: number, n: number): number {
  let p0 = 1,
    p1 = 1,
    p2 = 1,
    p3 = 1,
    p4 = 1,
    p5 = 1,
    p6 = 1,
    p7 = 1;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const b = off + i;
    p0 *= a[b];
    p1 *= a[b + 1];
    p2 *= a[b + 2];
    p3 *= a[b + 3];
    p4 *= a[b + 4];
    p5 *= a[b + 5];
    p6 *= a[b + 6];
    p7 *= a[b + 7];
  }
  for (; i < n; i++) p0 *= a[off + i];
  return p0 * p1 * (p2 * p3) * (p4 * p5 * (p6 * p7));
}

/** cumprodChunkedRow (native/reduce.cc): a[aOff, aOff + n) into out[oOff, oOff + n). */
function cumprodChunkedRow(
  a: TypedArray,
  aOff: number,
  n: number,
  out: TypedArray,
  oOff: number,
): void {
  const q = Math.floor(n / 4);
  let s = 1;
  // chunk k starts from T0 T1 ... T(k-1), the totals multiplied left to right
  for (let k = 0; k < 4; k++) {
    const lo = k * q;
    const hi = k === 3 ? n : lo + q;
    const start = s;
    for (let i = lo; i < hi; i++) {
      s *= a[aOff + i];
      out[oOff + i] = s;
    }
    if (k < 3) s = start * chunkProd(a, aOff + lo, q);
  }
}

/**
 * Inclusive running products along the middle axis of a contiguous [outer, n, inner] input
 * starting at aOff, into a contiguous out of the same shape, kept in double (PyTorch's
 * cumprod accumulates in acc_type, double on the CPU) and rounded once per element. Large
 * float inputs go native from cumsum's threshold (the same chain, one multiply per element).
 */
export function cumprod(
  a: TypedArray,
  aOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
): void {
  if (outer * n * inner >= thresholds.cumsum && native.cumprod(a, aOff, outer, n, inner, out, 0))
    return;
  if (inner === 1 && n >= CHUNKED_CUMPROD_MIN && a instanceof Float32Array) {
    for (let o = 0; o < outer; o++) cumprodChunkedRow(a, aOff + o * n, n, out, o * n);
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let p = 1;
      const base = o * n * inner + i;
      for (let r = 0; r < n; r++) {
        p *= a[aOff + base + r * inner];
        out[base + r * inner] = p;
      }
    }
  }
}

/**
 * cummax (isMax) / cummin along the middle axis: the running extreme and the index it came
 * from. As PyTorch's cummax_cummin_helper: a NaN always takes over (and every later NaN moves
 * the index), and ties move the index to the later element (>= / <=).
 */
export function cumExtreme(
  a: TypedArray,
  aOff: number,
  outer: number,
  n: number,
  inner: number,
  values: TypedArray,
  indices: TypedArray,
  isMax: boolean,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let best = a[aOff + base];
      let at = 0;
      for (let r = 0; r < n; r++) {
        const x = a[aOff + base + r * inner];
        if (x !== x || (best === best && (isMax ? x >= best : x <= best))) {
          best = x;
          at = r;
        }
        values[base + r * inner] = best;
        indices[base + r * inner] = at;
      }
    }
  }
}

/**
 * Running log(sum(exp(x))) along the middle axis, kept in double (PyTorch's CPU kernel runs in
 * acc_type) and rounded once per element: each x adds as log1p(exp(min - max)) + max, which
 * stays finite and stable; two equal infinities stay that infinity and NaN propagates.
 */
export function logcumsumexp(
  a: TypedArray,
  aOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let acc = -Infinity;
      for (let r = 0; r < n; r++) {
        const x = a[aOff + base + r * inner];
        // std::min / std::max with a NaN running value keep it (PyTorch's log_add_exp)
        const lo = acc !== acc ? acc : Math.min(x, acc);
        const hi = acc !== acc ? acc : Math.max(x, acc);
        if (lo !== hi || Number.isFinite(lo)) acc = Math.log1p(Math.exp(lo - hi)) + hi;
        else acc = x;
        out[base + r * inner] = acc;
      }
    }
  }
}
