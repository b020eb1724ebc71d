/**
 * The scatter kernel (the twin of native/scatter.cc): walk `shape` (the index's shape, or the
 * source's for index_add), reading an index value and a source element at each position and
 * combining the element into `out` at the position's own offset plus index * dStride.
 *
 *   out[outOff + sum_k pos[k] * outStrides[k] + idx[pos] * dStride] op= src[srcOff + pos . srcStrides]
 *
 * One walk serves scatter/scatter_add/scatter_reduce (dStride: out's stride along dim, that dim's
 * outStride 0), index_add/index_copy/index_fill (the index read with stride 0 off dim) and put
 * (a flat out). Positions are visited in row-major order, so repeated indices combine in index
 * order as PyTorch's CPU kernels do (the last write wins for Assign). An index value outside
 * [0, dSize) stops the walk and returns false, earlier elements combined: `out` must be a fresh
 * result the caller drops then (raising PyTorch's error), checking values in the same pass.
 *
 * The one change of order, as native/scatter.cc's Note [split scatter_add]: a float add-scatter
 * of one long contiguous run (n >= SPLIT_MIN elements into at most n / 4 slots) adds its first
 * half into out, its second half into a buffer of -0s (the identity of +), then the buffer into
 * out slot by slot, so each slot gets (self + first half in order) + (second half in order).
 * The addon runs the halves on two threads; the rule depends on the sizes only, so both
 * backends (and any thread count) give the same bits.
 */
import type { TypedArray } from "../dtype.js";
import { ScatterOp } from "./abi.js";
import { nativeWorth } from "./elementwise.js";
import { nativeKernels } from "./native.js";

const native = nativeKernels("scatter");

export { ScatterOp };

/** Elements from which the walk goes native (the TypeScript loop is a few ns per element). */
const NATIVE_MIN = 4096;

/** Note [split scatter_add] (native/scatter.cc kSplitMin, splitWorth, splitPoint). */
const SPLIT_MIN = 1 << 16;
const splitWorth = (n: number, dSize: number): boolean => n >= SPLIT_MIN && dSize * 4 <= n;
const splitPoint = (n: number): number => Math.floor(n / 16) * 8;

/**
 * Adds src[s0 + j] into out[o0 + idx[i0 + j] * dStride] for j in [0, count), in order; false at
 * the first index value outside [0, dSize).
 */
function addRun(
  out: TypedArray,
  o0: number,
  dStride: number,
  dSize: number,
  idx: TypedArray,
  i0: number,
  src: TypedArray,
  s0: number,
  count: number,
): boolean {
  for (let j = 0; j < count; j++) {
    const x = idx[i0 + j];
    if (!(x >= 0 && x < dSize)) return false;
    out[o0 + x * dStride] += src[s0 + j];
  }
  return true;
}

export function scatter(
  op: ScatterOp,
  out: TypedArray,
  outOff: number,
  outStrides: readonly number[],
  dStride: number,
  dSize: number,
  idx: TypedArray,
  idxOff: number,
  idxStrides: readonly number[],
  src: TypedArray,
  srcOff: number,
  srcStrides: readonly number[],
  shape: readonly number[],
): boolean {
  const nd = shape.length;
  let n = 1;
  for (let i = 0; i < nd; i++) n *= shape[i];
  if (n === 0) return true;
  if (n >= NATIVE_MIN && nativeWorth(n) && out.constructor === src.constructor) {
    try {
      if (
        native.scatter(
          op,
          out,
          outOff,
          outStrides.slice(),
          dStride,
          dSize,
          idx,
          idxOff,
          idxStrides.slice(),
          src,
          srcOff,
          srcStrides.slice(),
          shape.slice(),
        )
      )
        return true;
    } catch (e) {
      // the addon's RangeError for an index value outside [0, dSize)
      if (e instanceof RangeError && /index out of range/.test(e.message)) return false;
      throw e;
    }
  }
  const imul = out instanceof Int32Array;
  // the walk: rows of the last dim, an odometer over the others
  const last = nd - 1;
  const inner = nd === 0 ? 1 : shape[last];
  const os = nd === 0 ? 0 : outStrides[last];
  const is = nd === 0 ? 0 : idxStrides[last];
  const ss = nd === 0 ? 0 : srcStrides[last];
  if (
    op === ScatterOp.Accumulate &&
    (out instanceof Float32Array || out instanceof Float64Array) &&
    inner === n &&
    os === 0 &&
    is === 1 &&
    ss === 1 &&
    splitWorth(n, dSize)
  ) {
    // Note [split scatter_add]: the first half into out, the second into -0s, then merged
    const h = splitPoint(n);
    const buf = (
      out instanceof Float32Array ? new Float32Array(dSize) : new Float64Array(dSize)
    ).fill(-0);
    if (!addRun(out, outOff, dStride, dSize, idx, idxOff, src, srcOff, h)) return false;
    if (!addRun(buf, 0, 1, dSize, idx, idxOff + h, src, srcOff + h, n - h)) return false;
    for (let k = 0; k < dSize; k++) out[outOff + k * dStride] += buf[k];
    return true;
  }
  const pos = new Array<number>(Math.max(nd - 1, 0)).fill(0);
  let ob = outOff;
  let ib = idxOff;
  let sb = srcOff;
  for (let done = 0; done < n; done += inner) {
    let o = ob;
    let i = ib;
    let s = sb;
    for (let j = 0; j < inner; j++, o += os, i += is, s += ss) {
      const x = idx[i];
      if (!(x >= 0 && x < dSize)) return false;
      const k = o + x * dStride;
      const v = src[s];
      switch (op) {
        case ScatterOp.Assign:
          out[k] = v;
          break;
        case ScatterOp.Accumulate:
          out[k] += v;
          break;
        case ScatterOp.Multiply:
          out[k] = imul ? Math.imul(out[k], v) : out[k] * v;
          break;
        case ScatterOp.KeepMax: {
          const w = out[k];
          // NaN propagates from either side (ATen's ReduceMaximum)
          if (v !== v || v > w) out[k] = v;
          break;
        }
        default: {
          const w = out[k];
          if (v !== v || v < w) out[k] = v;
        }
      }
    }
    for (let d = last - 1; d >= 0; d--) {
      ob += outStrides[d];
      ib += idxStrides[d];
      sb += srcStrides[d];
      if (++pos[d] < shape[d]) break;
      ob -= outStrides[d] * shape[d];
      ib -= idxStrides[d] * shape[d];
      sb -= srcStrides[d] * shape[d];
      pos[d] = 0;
    }
  }
  return true;
}
