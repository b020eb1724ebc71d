/**
 * The fused LSTM layer: the recurrence of one layer and direction over a whole sequence as one
 * recorded node (kernels: backend/rnn.ts, native/rnn.cc). nn.LSTM computes the input
 * projection of the sequence first (recorded as ordinary ops), then calls `lstmLayer`.
 *
 * PyTorch's CPU LSTM records a node per op of every step; the output of a layer is
 * `stack(h_1..h_L)`. This node stands for that whole per-step graph and carries the name of
 * the node that produces the layer's output, StackBackward0 (what `out.gradFn` shows in
 * PyTorch). Its backward is PyTorch's arithmetic fused (one pass per step and one product per
 * step for dh, one product for dW_hh); with `createGraph` the formula (autograd/rnn-formulas.ts)
 * recomputes the steps with recorded ops instead, so higher derivatives follow PyTorch's.
 */
import type { Tensor } from "../tensor.js";
import { float32, float64 } from "../dtype.js";
import { alloc, allocOutput, contiguousData } from "./core.js";
import { anyNeedsGrad, record } from "../autograd/function.js";
import { isForwardADActive } from "../autograd/forward-ad.js";
import {
  lstmLayerBackward as lstmLayerBackwardKernel,
  lstmLayerForward,
  type Buf,
  type FloatArray,
  type LayerDims,
} from "../backend/rnn.js";

const buf = (t: Tensor): Buf => {
  const c = contiguousData(t);
  return { data: c.data as FloatArray, off: c.offset };
};
/** t's elements as a contiguous array starting at element 0 */
const flat = (t: Tensor): FloatArray => {
  const c = contiguousData(t);
  return c.offset === 0 ? (c.data as FloatArray) : (c.data as FloatArray).subarray(c.offset);
};

/**
 * Whether `lstmLayer` computes this layer: a non-empty sequence gi [L, N, 4H], states [N, H]
 * and weights of one floating dtype (float32 or float64), and no forward-mode AD level (whose
 * tangents the composite form propagates).
 */
export function lstmLayerSupported(
  gi: Tensor,
  h0: Tensor,
  c0: Tensor,
  whh: Tensor,
  bhh: Tensor | null,
): boolean {
  const dt = gi.dtype;
  if (dt !== float32 && dt !== float64) return false;
  if (isForwardADActive()) return false;
  if (gi.dim() !== 3 || gi.shape[0] === 0 || gi.shape[1] === 0) return false;
  const H = whh.shape[1];
  if (whh.dim() !== 2 || whh.shape[0] !== 4 * H || gi.shape[2] !== 4 * H || H === 0) return false;
  return (
    h0.dtype === dt &&
    c0.dtype === dt &&
    whh.dtype === dt &&
    (bhh === null || bhh.dtype === dt) &&
    h0.dim() === 2 &&
    c0.dim() === 2 &&
    h0.shape[0] === gi.shape[1] &&
    h0.shape[1] === H &&
    c0.shape[0] === gi.shape[1] &&
    c0.shape[1] === H
  );
}

/**
 * One LSTM layer and direction (checked by `lstmLayerSupported`): from gi [L, N, 4H]
 * (x_t W_ih^T + b_ih), h0 and c0 [N, H], w_hh [4H, H] and b_hh [4H] (or null), the outputs
 * h_t of every step [L, N, H], the last hidden state and the last cell state [N, H] (for
 * `reverse`, time runs from L-1 to 0 and "last" is step 0).
 */
export function lstmLayer(
  gi: Tensor,
  h0: Tensor,
  c0: Tensor,
  whh: Tensor,
  bhh: Tensor | null,
  reverse: boolean,
): [Tensor, Tensor, Tensor] {
  const [L, N, G] = gi.shape;
  const H = G / 4;
  const dt = gi.dtype;
  const grad = anyNeedsGrad([gi, h0, c0, whh, bhh]);
  const y = allocOutput([L, N, H], dt);
  const hN = allocOutput([N, H], dt);
  const cN = allocOutput([N, H], dt);
  const gates = grad ? allocOutput([L, N, G], dt) : null;
  const cells = grad ? allocOutput([L, N, H], dt) : null;
  const d: LayerDims = { L, N, H, reverse };
  const yd = y.typedArray as FloatArray;
  lstmLayerForward(
    d,
    buf(gi),
    buf(h0),
    buf(c0),
    buf(whh),
    bhh === null ? null : flat(bhh),
    yd,
    cN.typedArray as FloatArray,
    gates === null ? null : (gates.typedArray as FloatArray),
    cells === null ? null : (cells.typedArray as FloatArray),
  );
  const last = (reverse ? 0 : L - 1) * N * H;
  (hN.typedArray as FloatArray).set(yd.subarray(last, last + N * H));
  if (grad) {
    record(
      "lstmLayer",
      [y, hN, cN],
      [gi, h0, c0, whh, bhh],
      { gi, h0, c0, whh, bhh, output: y, gates, cells },
      { reverse },
    );
  }
  return [y, hN, cN];
}

/**
 * The input gradients of `lstmLayer` [gi, h0, c0, w_hh, b_hh] from the gradients of its three
 * outputs (null: none reached it), computed by the fused kernels (no graph is recorded).
 */
export function lstmLayerBackward(
  gy: Tensor | null,
  ghN: Tensor | null,
  gcN: Tensor | null,
  s: { h0: Tensor; c0: Tensor; whh: Tensor; output: Tensor; gates: Tensor; cells: Tensor },
  reverse: boolean,
  needs: readonly boolean[],
): (Tensor | null)[] {
  const [L, N, G] = s.gates.shape;
  const H = G / 4;
  const dt = s.gates.dtype;
  const dgi = allocOutput([L, N, G], dt);
  const dh0 = alloc([N, H], dt);
  const dc0 = alloc([N, H], dt);
  const dwhh = needs[3] ? allocOutput([G, H], dt) : null;
  const dbhh = needs[4] ? allocOutput([G], dt) : null;
  const cast = (t: Tensor | null): Buf | null => (t === null ? null : buf(t.to(dt)));
  lstmLayerBackwardKernel(
    { L, N, H, reverse },
    s.gates.typedArray as FloatArray,
    s.cells.typedArray as FloatArray,
    flat(s.output),
    buf(s.h0),
    buf(s.c0),
    buf(s.whh),
    cast(gy),
    cast(ghN),
    cast(gcN),
    {
      dgi: dgi.typedArray as FloatArray,
      dh0: dh0.typedArray as FloatArray,
      dc0: dc0.typedArray as FloatArray,
      dwhh: dwhh === null ? null : (dwhh.typedArray as FloatArray),
      dbhh: dbhh === null ? null : (dbhh.typedArray as FloatArray),
    },
  );
  return [needs[0] ? dgi : null, needs[1] ? dh0 : null, needs[2] ? dc0 : null, dwhh, dbhh];
}
