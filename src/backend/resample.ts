/**
 * Resampling kernels: padding (reflection, replication), upsampling (nearest, nearest-exact,
 * linear, bilinear, trilinear, bicubic) and their backwards, all as one separable "tap" walk.
 *
 * Each of the last k (1..3) dims has a tap table: for every output position o, `t` input
 * indices idx[o*t + j] and weights w[o*t + j] (w null: one tap of weight 1). An output element
 * is the nested weighted sum (outermost dim outermost, as ATen's upsample loops nest it)
 *   out[p, od, oh, ow] = sum_a wd_a * (sum_b wh_b * (sum_c ww_c * x[p, id_a, ih_b, iw_c]))
 * and the backward adds g[p, od, oh, ow] * wd_a * wh_b * ww_c into dx[p, id_a, ih_b, iw_c] (the
 * transpose). Padding is one tap per output (an index map), bilinear two, bicubic four
 * (indices clamped to the border, as ATen's upsample_get_value_bounded).
 */

/** The taps of one dim: `t` (index, weight) pairs per output position. */
export interface Taps {
  /** input index of tap j of output o at [o * t + j] */
  idx: Int32Array;
  /** its weight; null when t = 1 and every weight is 1 (an index map) */
  w: Float64Array | null;
  t: number;
  /** input size of this dim */
  inSize: number;
  /** output size of this dim */
  outSize: number;
}

import { nativeKernels } from "./native.js";

type Float = Float32Array | Float64Array;

const native = nativeKernels("resample");

/**
 * Multiply-adds (planes x outputs x taps) from which the walk goes native; smaller calls stay
 * in TypeScript (a call costs a few µs: packing the taps, the addon's checks). Measured on a
 * 16x64x64x64 float32 input (x2, best of 3, ms TS vs native, on the 2-core machine shared at
 * load 15-23, so only the ratios mean something): nearest forward 1193 vs 1032, forward +
 * backward 2271 vs 1516; bilinear forward 2834 vs 1512, forward + backward 5185 vs 1800. The
 * threshold itself is the order of the conv kernels' (conv.ts), not tuned.
 */
const MIN_WORK = 4096;

/** The taps of three dims packed for the native binding: [t, in, out, hasW, idx..., w...]. */
function pack(d: readonly Taps[]): Float64Array {
  let n = 0;
  for (const t of d) n += 4 + t.idx.length * (t.w ? 2 : 1);
  const p = new Float64Array(n);
  let pos = 0;
  for (const t of d) {
    p[pos++] = t.t;
    p[pos++] = t.inSize;
    p[pos++] = t.outSize;
    p[pos++] = t.w ? 1 : 0;
    p.set(t.idx, pos);
    pos += t.idx.length;
    if (t.w) {
      p.set(t.w, pos);
      pos += t.w.length;
    }
  }
  return p;
}

/** Multiply-adds of a walk: planes x outputs x taps. */
const workOf = (planes: number, d: readonly Taps[]): number =>
  d.reduce((a, t) => a * t.outSize * t.t, planes);

const IDENTITY: Taps = { idx: new Int32Array([0]), w: null, t: 1, inSize: 1, outSize: 1 };

/** Taps for the last k dims padded to three (leading dims of size 1). */
function three(taps: readonly Taps[]): [Taps, Taps, Taps] {
  const t = taps.slice();
  while (t.length < 3) t.unshift(IDENTITY);
  return [t[0], t[1], t[2]];
}

/**
 * out[p, ...] from x[p, ...] for `planes` planes (x contiguous from xOff; out contiguous from 0):
 * `resample(x, 0, 6, [tapsH, tapsW], out)` resizes 6 planes in height and width (the ops in
 * src/ops/resample.ts build the taps).
 */
export function resample(
  x: Float,
  xOff: number,
  planes: number,
  taps: readonly Taps[],
  out: Float,
): void {
  const [D, H, W] = three(taps);
  if (
    workOf(planes, [D, H, W]) >= MIN_WORK &&
    native.resample(x, xOff, planes, pack([D, H, W]), out, 0)
  )
    return;
  const inPlane = D.inSize * H.inSize * W.inSize;
  const inHW = H.inSize * W.inSize;
  const iW = W.inSize;
  const outPlane = D.outSize * H.outSize * W.outSize;
  if (D.t === 1 && H.t === 1 && W.t === 1 && !D.w && !H.w && !W.w) {
    // an index map (padding, nearest): one gather per output element
    for (let p = 0; p < planes; p++) {
      const base = xOff + p * inPlane;
      let o = p * outPlane;
      for (let od = 0; od < D.outSize; od++) {
        const bd = base + D.idx[od] * inHW;
        for (let oh = 0; oh < H.outSize; oh++) {
          const bh = bd + H.idx[oh] * iW;
          for (let ow = 0; ow < W.outSize; ow++) out[o++] = x[bh + W.idx[ow]];
        }
      }
    }
    return;
  }
  for (let p = 0; p < planes; p++) {
    const base = xOff + p * inPlane;
    let o = p * outPlane;
    for (let od = 0; od < D.outSize; od++) {
      for (let oh = 0; oh < H.outSize; oh++) {
        for (let ow = 0; ow < W.outSize; ow++) {
          let sd = 0;
          for (let a = 0; a < D.t; a++) {
            const bd = base + D.idx[od * D.t + a] * inHW;
            let sh = 0;
            for (let b = 0; b < H.t; b++) {
              const bh = bd + H.idx[oh * H.t + b] * iW;
              let sw = 0;
              for (let c = 0; c < W.t; c++) {
                const j = ow * W.t + c;
                sw += (W.w ? W.w[j] : 1) * x[bh + W.idx[j]];
              }
              sh += (H.w ? H.w[oh * H.t + b] : 1) * sw;
            }
            sd += (D.w ? D.w[od * D.t + a] : 1) * sh;
          }
          out[o++] = sd;
        }
      }
    }
  }
}

/**
 * The adjoint of `resample`: adds each g[p, o] times its tap weights into dx (zero-filled by the
 * caller; contiguous, `planes` planes of the input size).
 * `resampleBackward(g, 6, [tapsH, tapsW], dx)` is the transpose of the `resample` call above.

 */
export function resampleBackward(
  g: Float,
  gOff: number,
  planes: number,
  taps: readonly Taps[],
  dx: Float,
): void {
  const [D, H, W] = three(taps);
  if (
    workOf(planes, [D, H, W]) >= MIN_WORK &&
    native.resample(g, gOff, planes, pack([D, H, W]), dx, 1)
  )
    return;
  const inPlane = D.inSize * H.inSize * W.inSize;
  const inHW = H.inSize * W.inSize;
  const iW = W.inSize;
  const outPlane = D.outSize * H.outSize * W.outSize;
  for (let p = 0; p < planes; p++) {
    const base = p * inPlane;
    let o = gOff + p * outPlane;
    for (let od = 0; od < D.outSize; od++) {
      for (let oh = 0; oh < H.outSize; oh++) {
        for (let ow = 0; ow < W.outSize; ow++) {
          const v = g[o++];
          for (let a = 0; a < D.t; a++) {
            const bd = base + D.idx[od * D.t + a] * inHW;
            const vd = (D.w ? D.w[od * D.t + a] : 1) * v;
            for (let b = 0; b < H.t; b++) {
              const bh = bd + H.idx[oh * H.t + b] * iW;
              const vh = (H.w ? H.w[oh * H.t + b] : 1) * vd;
              for (let c = 0; c < W.t; c++) {
                const j = ow * W.t + c;
                dx[bh + W.idx[j]] += (W.w ? W.w[j] : 1) * vh;
              }
            }
          }
        }
      }
    }
  }
}
