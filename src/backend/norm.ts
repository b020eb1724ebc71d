/**
 * Layer-norm kernels (the twins of native/norm.cc) on rows of D contiguous values, in double
 * and rounded once per output element:
 *
 *   forward:  mean = sum(x) / D, var = sum((x - mean)^2) / D, rstd = 1 / sqrt(var + eps),
 *             y = (x - mean) * rstd * w + b                                  (w, b optional)
 *   backward: xhat = (x - mean) * rstd, gy = g * w,
 *             gx = rstd * (gy - sum(gy) / D - xhat * sum(gy * xhat) / D),
 *             gw = sum over rows of g * xhat, gb = sum over rows of g
 *
 * A row's sums run over four interleaved partial sums (element i into partial i mod 4), added as
 * (p0 + p1) + (p2 + p3): the same order in both twins. The column sums gw and gb accumulate in
 * double; the addon splits the rows between threads and adds the threads' partial sums in
 * thread order, so with several threads they may differ from the sequential sum in the last
 * bit of a double (below float32's rounding).
 */
import type { TypedArray } from "../dtype.js";
import { nativeKernels } from "./native.js";

const native = nativeKernels("norm");

/** Elements from which layer norm goes native (a few passes of cheap arithmetic each). */
let nativeMin = 256;

/** Set the element threshold (tests use 0 to send every float call native, Infinity for none). */
export function setNativeNormThreshold(n: number): void {
  nativeMin = n;
}

export function getNativeNormThreshold(): number {
  return nativeMin;
}

/** sum of a[o], a[o+1], ..., a[o+D-1] in four interleaved partial sums */
function rowSum(a: TypedArray, o: number, D: number): number {
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  let i = 0;
  for (; i + 4 <= D; i += 4) {
    p0 += a[o + i];
    p1 += a[o + i + 1];
    p2 += a[o + i + 2];
    p3 += a[o + i + 3];
  }
  if (i < D) p0 += a[o + i];
  if (i + 1 < D) p1 += a[o + i + 1];
  if (i + 2 < D) p2 += a[o + i + 2];
  return p0 + p1 + (p2 + p3);
}

/** [mean, rstd] of row x[o .. o+D) */
function rowStats(x: TypedArray, o: number, D: number, eps: number): [number, number] {
  const mean = rowSum(x, o, D) / D;
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  let i = 0;
  for (; i + 4 <= D; i += 4) {
    const d0 = x[o + i] - mean;
    const d1 = x[o + i + 1] - mean;
    const d2 = x[o + i + 2] - mean;
    const d3 = x[o + i + 3] - mean;
    p0 += d0 * d0;
    p1 += d1 * d1;
    p2 += d2 * d2;
    p3 += d3 * d3;
  }
  for (let j = 0; i + j < D; j++) {
    const d = x[o + i + j] - mean;
    if (j === 0) p0 += d * d;
    else if (j === 1) p1 += d * d;
    else p2 += d * d;
  }
  const variance = (p0 + p1 + (p2 + p3)) / D;
  return [mean, 1 / Math.sqrt(variance + eps)];
}

/**
 * out[r*D + i] = layer norm of row r of x (from xOff) at i, for r < rows; w and b (each from its
 * offset, D values) or null.
 */
export function layerNormForward(
  x: TypedArray,
  xOff: number,
  rows: number,
  D: number,
  w: TypedArray | null,
  wOff: number,
  b: TypedArray | null,
  bOff: number,
  eps: number,
  out: TypedArray,
): void {
  if (
    rows * D >= nativeMin &&
    native.layerNormForward(x, xOff, rows, D, w, wOff, b, bOff, eps, out)
  )
    return;
  for (let r = 0; r < rows; r++) {
    const o = xOff + r * D;
    const [mean, rstd] = rowStats(x, o, D, eps);
    for (let i = 0; i < D; i++) {
      let y = (x[o + i] - mean) * rstd;
      if (w !== null) y *= w[wOff + i];
      if (b !== null) y += b[bOff + i];
      out[r * D + i] = y;
    }
  }
}

/**
 * Layer norm's gradients for rows of g (from gOff) and x (from xOff): gx (rows*D, or null when
 * not wanted), gw and gb (D each, or null), written whole.
 */
export function layerNormBackward(
  g: TypedArray,
  gOff: number,
  x: TypedArray,
  xOff: number,
  rows: number,
  D: number,
  w: TypedArray | null,
  wOff: number,
  eps: number,
  gx: TypedArray | null,
  gw: TypedArray | null,
  gb: TypedArray | null,
): void {
  if (
    rows * D >= nativeMin &&
    native.layerNormBackward(g, gOff, x, xOff, rows, D, w, wOff, eps, gx, gw, gb)
  )
    return;
  const sw = gw === null ? null : new Float64Array(D);
  const sb = gb === null ? null : new Float64Array(D);
  const gy = new Float64Array(D);
  const xh = new Float64Array(D);
  const prod = new Float64Array(D);
  for (let r = 0; r < rows; r++) {
    const og = gOff + r * D;
    const ox = xOff + r * D;
    const [mean, rstd] = rowStats(x, ox, D, eps);
    for (let i = 0; i < D; i++) {
      const gi = g[og + i];
      const h = (x[ox + i] - mean) * rstd;
      xh[i] = h;
      if (sw !== null) sw[i] += gi * h;
      if (sb !== null) sb[i] += gi;
      gy[i] = w === null ? gi : gi * w[wOff + i];
      prod[i] = gy[i] * h;
    }
    if (gx === null) continue;
    const a = rowSum(gy, 0, D) / D;
    const c = rowSum(prod, 0, D) / D;
    for (let i = 0; i < D; i++) gx[r * D + i] = rstd * (gy[i] - a - xh[i] * c);
  }
  if (gw !== null && sw !== null) for (let i = 0; i < D; i++) gw[i] = sw[i];
  if (gb !== null && sb !== null) for (let i = 0; i < D; i++) gb[i] = sb[i];
}
