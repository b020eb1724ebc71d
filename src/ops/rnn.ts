/**
 * The fused LSTM layer: one layer and direction over a whole sequence (input projection and
 * recurrence) as one recorded node (kernels: backend/rnn.ts, native/rnn.cc).
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
import { shapeEqual } from "../shape.js";
import { alloc, allocOutput, contiguousData } from "./core.js";
import { anyNeedsGrad, record } from "../autograd/function.js";
import { isForwardADActive } from "../autograd/forward-ad.js";
import {
  lstmLayerBackward as lstmLayerBackwardKernel,
  lstmLayerForward,
  type Buf,
  type FloatArray,
} from "../backend/rnn.js";
import { autocastArgs } from "./autocast.js";

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
 * Whether `lstmLayer` computes this layer: a non-empty sequence x [L, N, I], states [N, H]
 * and weights of one floating dtype (float32 or float64), and no forward-mode AD level (whose
 * tangents the composite form propagates).
 */
export function lstmLayerSupported(
  x: Tensor,
  h0: Tensor,
  c0: Tensor,
  wih: Tensor,
  whh: Tensor,
  bih: Tensor | null,
  bhh: Tensor | null,
): boolean {
  const dt = x.dtype;
  if (dt !== float32 && dt !== float64) return false;
  if (isForwardADActive()) return false;
  if (x.dim() !== 3 || x.shape[0] === 0 || x.shape[1] === 0) return false;
  const H = whh.shape[1];
  const [N, I] = [x.shape[1], x.shape[2]];
  const same = (t: Tensor | null, shape: number[]): boolean =>
    t === null || (t.dtype === dt && shapeEqual(t.shape, shape));
  return (
    H > 0 &&
    same(whh, [4 * H, H]) &&
    same(wih, [4 * H, I]) &&
    same(bih, [4 * H]) &&
    same(bhh, [4 * H]) &&
    same(h0, [N, H]) &&
    same(c0, [N, H])
  );
}

/**
 * One LSTM layer and direction (checked by `lstmLayerSupported`): from x [L, N, I], h0 and c0
 * [N, H], w_ih [4H, I], w_hh [4H, H] and b_ih, b_hh [4H] (or null), the outputs h_t of every
 * step [L, N, H], the last hidden state and the last cell state [N, H] (for `reverse`, time
 * runs from L-1 to 0 and "last" is step 0).
 */
export function lstmLayer(
  x: Tensor,
  h0: Tensor,
  c0: Tensor,
  wih: Tensor,
  whh: Tensor,
  bih: Tensor | null,
  bhh: Tensor | null,
  reverse: boolean,
): [Tensor, Tensor, Tensor] {
  const [L, N, I] = x.shape;
  const H = whh.shape[1];
  const G = 4 * H;
  const dt = x.dtype;
  const inputs = [x, h0, c0, wih, whh, bih, bhh];
  const grad = anyNeedsGrad(inputs);
  const y = allocOutput([L, N, H], dt);
  const hN = allocOutput([N, H], dt);
  const cN = allocOutput([N, H], dt);
  const gates = grad ? allocOutput([L, N, G], dt) : null;
  const cells = grad ? allocOutput([L, N, H], dt) : null;
  const yd = y.typedArray as FloatArray;
  lstmLayerForward(
    { L, N, I, H, reverse },
    buf(x),
    buf(h0),
    buf(c0),
    buf(wih),
    buf(whh),
    bih === null ? null : flat(bih),
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
      inputs,
      { x, h0, c0, wih, whh, bih, bhh, output: y, gates, cells },
      { reverse },
    );
  }
  return [y, hN, cN];
}

/** What the fused LSTM backward reads (the saved set of `lstmLayer`). */
export interface LstmSaved {
  x: Tensor;
  h0: Tensor;
  c0: Tensor;
  wih: Tensor;
  whh: Tensor;
  bih?: Tensor;
  bhh?: Tensor;
  output: Tensor;
  gates: Tensor;
  cells: Tensor;
}

/**
 * The input gradients of `lstmLayer` [x, h0, c0, w_ih, w_hh, b_ih, b_hh] from the gradients
 * of its three outputs (null: none reached it), computed by the fused kernels (no graph is
 * recorded); null where `needs` says no.
 */
export function lstmLayerBackward(
  gy: Tensor | null,
  ghN: Tensor | null,
  gcN: Tensor | null,
  s: LstmSaved,
  reverse: boolean,
  needs: readonly boolean[],
): (Tensor | null)[] {
  const [L, N, I] = s.x.shape;
  const H = s.whh.shape[1];
  const G = 4 * H;
  const dt = s.gates.dtype;
  const dx = needs[0] ? allocOutput([L, N, I], dt) : null;
  const dh0 = alloc([N, H], dt);
  const dc0 = alloc([N, H], dt);
  const dwih = needs[3] ? allocOutput([G, I], dt) : null;
  const dwhh = needs[4] ? allocOutput([G, H], dt) : null;
  const db = needs[5] || needs[6] ? allocOutput([G], dt) : null;
  const arr = (t: Tensor | null): FloatArray | null =>
    t === null ? null : (t.typedArray as FloatArray);
  const cast = (t: Tensor | null): Buf | null => (t === null ? null : buf(t.to(dt)));
  lstmLayerBackwardKernel(
    { L, N, I, H, reverse },
    s.gates.typedArray as FloatArray,
    s.cells.typedArray as FloatArray,
    flat(s.output),
    buf(s.x),
    buf(s.h0),
    buf(s.c0),
    buf(s.wih),
    buf(s.whh),
    cast(gy),
    cast(ghN),
    cast(gcN),
    {
      dx: arr(dx),
      dh0: dh0.typedArray as FloatArray,
      dc0: dc0.typedArray as FloatArray,
      dwih: arr(dwih),
      dwhh: arr(dwhh),
      dbias: arr(db),
    },
  );
  return [
    dx,
    needs[1] ? dh0 : null,
    needs[2] ? dc0 : null,
    dwih,
    dwhh,
    needs[5] ? db : null,
    needs[6] ? (needs[5] ? (db as Tensor).clone() : db) : null,
  ];
}

// ---------------------------------------------------------------------------------------------
// One step of the recurrent cells, composed of ops (nn.RNNCell/LSTMCell/GRUCell and the layers'
// general path, and torch.rnn_tanh_cell & co.)

/** The recurrent cell kinds (PyTorch's RNN modes). */
export type RnnMode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";

/**
 * x W^T + b, the projections of the recurrent cells. PyTorch's cells call at::linear: under
 * CPU autocast all three are cast to bfloat16 first (Note [autocast dispatch]), so the bias
 * add stays in bfloat16.
 */
export function rnnLinear(x0: Tensor, w0: Tensor, b0: Tensor | null): Tensor {
  const [x, w, b] = autocastArgs("lower_precision_fp", [x0, w0, b0] as const);
  const y = x.matmul(w.t());
  return b === null ? y : y.add(b);
}

/**
 * One time step of a cell. `gi` is the input projection x W_ih^T + b_ih; returns the new
 * hidden state (and cell state for LSTM).
 */
export function rnnCellStep(
  mode: RnnMode,
  gi: Tensor,
  h: Tensor,
  c: Tensor | null,
  whh: Tensor,
  bhh: Tensor | null,
  whr: Tensor | null = null,
): [Tensor, Tensor | null] {
  const gh = rnnLinear(h, whh, bhh);
  switch (mode) {
    case "RNN_TANH":
      return [gh.add(gi).tanh(), null];
    case "RNN_RELU":
      return [gh.add(gi).relu(), null];
    case "LSTM": {
      const [i, f, g, o] = gh.add(gi).chunk(4, 1);
      const cy = f
        .sigmoid()
        .mul(c as Tensor)
        .add(i.sigmoid().mul(g.tanh()));
      const hy = o.sigmoid().mul(cy.tanh());
      // with proj_size: h = (o * tanh(c)) W_hr^T
      return [whr === null ? hy : hy.matmul(whr.t()), cy];
    }
    case "GRU": {
      const [ir, iz, inn] = gi.chunk(3, 1);
      const [hr, hz, hn] = gh.chunk(3, 1);
      const r = hr.add(ir).sigmoid();
      const z = hz.add(iz).sigmoid();
      const n = inn.add(hn.mul(r)).tanh();
      return [h.sub(n).mul(z).add(n), null];
    }
  }
}
