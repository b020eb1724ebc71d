/**
 * Recurrent layers on typed arrays (the twins of native/rnn.cc, and the time loops around
 * them): an LSTM layer forward and backward over a whole sequence, as PyTorch's CPU LSTM
 * computes it. The input projection x W_ih^T of every time step is computed first (one big
 * product); each step then runs one product h_{t-1} W_hh^T (matmul.ts) and one fused
 * pointwise pass (`lstmCell`: biases, gates, cell and hidden state); backward runs one fused
 * pass (`lstmCellBackward`) and one product dG_t W_hh per step, then the input and weight
 * gradients of the whole sequence as single products (dG W_ih, dG^T x, dG^T [h_{t-1}]) and
 * the bias gradient as one column sum.
 *
 * Layout (PyTorch's gate order i, f, g, o): gate arrays are [L, N, 4H] with chunk k of row r
 * at columns kH .. (k+1)H - 1; states are [L, N, H] or [N, H]; all contiguous from an offset.
 * Time step t of a reversed direction runs from t = L-1 down to 0.
 */
import { Reduce } from "./abi.js";
import { matmul } from "./matmul.js";
import { reduceAxis } from "./reduce.js";
import { nativeKernels, type FloatArray } from "./native.js";

export type { FloatArray };

const native = nativeKernels("rnn");

/** Elements (n * hidden) from which a cell goes native: the fused pass replaces ~10 ops. */
const MIN_CELL_ELEMENTS = 64;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

type Ctor = new (n: number) => FloatArray;

/**
 * Scratch arrays kept between calls, one per role and array type, grown on demand: the input
 * projection of a layer, its gate gradients and the previous-state matrix are transient but a
 * few megabytes each, and a fresh allocation per call costs its zero fill and leaves garbage
 * collection the rest. Every element a caller reads it has written first in the same call.
 */
const SCRATCH = new Map<string, FloatArray>();
function scratch(C: Ctor, n: number, role: string): FloatArray {
  const key = `${role}:${C.name}`;
  let a = SCRATCH.get(key);
  if (a === undefined || a.length < n) {
    a = new C(n);
    SCRATCH.set(key, a);
  }
  return a.length === n ? a : a.subarray(0, n);
}

/**
 * A weight matrix packed once for the per-step products (native/rnn.cc `packPanel`): B (k x n)
 * with B[p][j] = w[off + p*rs + j*cs], in a kept scratch array; null when the products run
 * through `matmul` instead (no addon, or float64).
 */
function packWeights(w: Buf, k: number, n: number, rs: number, cs: number): Float32Array | null {
  if (!(w.data instanceof Float32Array)) return null;
  const packed = scratch(Float32Array, Math.ceil(n / 16) * 16 * k, "panel") as Float32Array;
  return native.packPanel(w.data, w.off, k, n, rs, cs, packed) ? packed : null;
}

/**
 * out (m x n) = A (m x k, rows contiguous from aOff) @ B, B the matrix `packWeights` packed
 * (`panel`) or, without a panel, read from w through its strides by `matmul` (the twin: the
 * same products, summed in another order).
 */
export function stepProduct(
  a: FloatArray,
  aOff: number,
  m: number,
  k: number,
  panel: Float32Array | null,
  w: Buf,
  rs: number,
  cs: number,
  n: number,
  out: FloatArray,
): void {
  if (panel !== null && native.panelProduct(a, aOff, k, m, k, panel, n, out, 0)) return;
  matmul(a, aOff, 0, k, 1, w.data, w.off, 0, rs, cs, out, 1, m, k, n);
}

/** `stepProduct` with the panel packed here (one product: the parity tests' entry point). */
export function packedProduct(
  a: FloatArray,
  aOff: number,
  m: number,
  k: number,
  w: Buf,
  rs: number,
  cs: number,
  n: number,
  out: FloatArray,
): void {
  stepProduct(a, aOff, m, k, packWeights(w, k, n, rs, cs), w, rs, cs, n, out);
}

/**
 * One LSTM step after the hidden product, for rows 0..n-1:
 *   pre_k = s_k + b_k + gi_k;  i, f, o = sigmoid(pre), g = tanh(pre_g)
 *   c = f * c_prev + i * g;    h = o * tanh(c)
 * `s` (h_{t-1} W_hh^T) and `gi` (x_t W_ih^T + b_ih) are [n, 4H], `b` (b_hh) [4H] or null.
 * Writes the activated gates (i, f, g, o) to `gates` (may be `s` at the same offset), c to `c`
 * (may be `cp` at the same offset) and h to `h`. Computed in double, each stored value rounded
 * once.
 */
export function lstmCell(
  s: FloatArray,
  sOff: number,
  gi: FloatArray,
  giOff: number,
  b: FloatArray | null,
  cp: FloatArray,
  cpOff: number,
  gates: FloatArray,
  gOff: number,
  c: FloatArray,
  cOff: number,
  h: FloatArray,
  hOff: number,
  n: number,
  H: number,
): void {
  if (n * H >= MIN_CELL_ELEMENTS) {
    if (native.lstmCell(s, sOff, gi, giOff, b, cp, cpOff, gates, gOff, c, cOff, h, hOff, n, H))
      return;
  }
  const G = 4 * H;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < H; j++) {
      const q = r * G + j;
      const bi = b === null ? 0 : b[j];
      const bf = b === null ? 0 : b[H + j];
      const bg = b === null ? 0 : b[2 * H + j];
      const bo = b === null ? 0 : b[3 * H + j];
      const i = sigmoid(s[sOff + q] + bi + gi[giOff + q]);
      const f = sigmoid(s[sOff + q + H] + bf + gi[giOff + q + H]);
      const g = Math.tanh(s[sOff + q + 2 * H] + bg + gi[giOff + q + 2 * H]);
      const o = sigmoid(s[sOff + q + 3 * H] + bo + gi[giOff + q + 3 * H]);
      const e = r * H + j;
      const cv = f * cp[cpOff + e] + i * g;
      gates[gOff + q] = i;
      gates[gOff + q + H] = f;
      gates[gOff + q + 2 * H] = g;
      gates[gOff + q + 3 * H] = o;
      c[cOff + e] = cv;
      h[hOff + e] = o * Math.tanh(cv);
    }
  }
}

/**
 * The backward of one `lstmCell` step: from the saved gates, cell c and previous cell cp, the
 * hidden-state gradient dh + dhx (dh the step's output gradient, or null; dhx the gradient
 * from step t+1) and the cell gradient dc (from step t+1):
 *   tc = tanh(c), dc' = dc + dh o (1 - tc^2)
 *   d pre_i = dc' g i(1-i), d pre_f = dc' cp f(1-f), d pre_g = dc' i (1-g^2), d pre_o = dh tc o(1-o)
 * writes the pre-activation gradients to `dg` [n, 4H] and dc' f (the gradient of cp) to `dc`.
 */
export function lstmCellBackward(
  gates: FloatArray,
  gOff: number,
  c: FloatArray,
  cOff: number,
  cp: FloatArray,
  cpOff: number,
  dh: FloatArray | null,
  dhOff: number,
  dhx: FloatArray,
  dc: FloatArray,
  dg: FloatArray,
  dgOff: number,
  n: number,
  H: number,
): void {
  if (n * H >= MIN_CELL_ELEMENTS) {
    if (
      native.lstmCellBackward(gates, gOff, c, cOff, cp, cpOff, dh, dhOff, dhx, dc, dg, dgOff, n, H)
    )
      return;
  }
  const G = 4 * H;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < H; j++) {
      const q = r * G + j;
      const e = r * H + j;
      const i = gates[gOff + q];
      const f = gates[gOff + q + H];
      const g = gates[gOff + q + 2 * H];
      const o = gates[gOff + q + 3 * H];
      const dhv = (dh === null ? 0 : dh[dhOff + e]) + dhx[e];
      const tc = Math.tanh(c[cOff + e]);
      const dcv = dc[e] + dhv * o * (1 - tc * tc);
      dg[dgOff + q] = dcv * g * (i * (1 - i));
      dg[dgOff + q + H] = dcv * cp[cpOff + e] * (f * (1 - f));
      dg[dgOff + q + 2 * H] = dcv * i * (1 - g * g);
      dg[dgOff + q + 3 * H] = dhv * tc * (o * (1 - o));
      dc[e] = dcv * f;
    }
  }
}

/** A contiguous array and the offset of its first element. */
export interface Buf {
  data: FloatArray;
  off: number;
}

/**
 * The sizes of a layer: L steps, N sequences, I input features, H hidden units; `reverse`:
 * time runs from L-1 to 0.
 */
export interface LayerDims {
  L: number;
  N: number;
  I: number;
  H: number;
  reverse: boolean;
}

/**
 * An LSTM layer over the sequence: x [L, N, I], h0 and c0 [N, H], wih [4H, I], whh [4H, H],
 * bih and bhh [4H] or null. Writes y [L, N, H] (h_t), cN [N, H] (the last cell state) and,
 * when given (for backward), the activated gates [L, N, 4H] and cell states [L, N, H].
 */
export function lstmLayerForward(
  d: LayerDims,
  x: Buf,
  h0: Buf,
  c0: Buf,
  wih: Buf,
  whh: Buf,
  bih: FloatArray | null,
  bhh: FloatArray | null,
  y: FloatArray,
  cN: FloatArray,
  gates: FloatArray | null,
  cells: FloatArray | null,
): void {
  const { L, N, H, I, reverse } = d;
  const G = 4 * H;
  const C = y.constructor as Ctor;
  // the input projection of every step at once: gi = x W_ih^T [L*N, 4H]
  const gi = { data: scratch(C, L * N * G, "gi"), off: 0 };
  matmul(x.data, x.off, 0, I, 1, wih.data, wih.off, 0, 1, I, gi.data, 1, L * N, I, G);
  // both biases enter every pre-activation: one vector b_ih + b_hh
  let b = bih ?? bhh;
  if (bih !== null && bhh !== null) {
    b = scratch(C, G, "bias");
    for (let j = 0; j < G; j++) b[j] = bih[j] + bhh[j];
  }
  // without saved gates, each step's product and activated gates share one scratch [N, 4H]
  const step = gates === null ? scratch(C, N * G, "step") : null;
  // W_hh^T [H, 4H] packed once for the L step products
  const panel = packWeights(whh, H, G, 1, H);
  // without saved cells, the cell state is updated in place in cN
  if (cells === null) for (let e = 0; e < N * H; e++) cN[e] = c0.data[c0.off + e];
  for (let s = 0; s < L; s++) {
    const t = reverse ? L - 1 - s : s;
    const tp = reverse ? t + 1 : t - 1; // the previous step
    const g = gates === null ? (step as FloatArray) : gates.subarray(t * N * G, (t + 1) * N * G);
    // s = h_{t-1} W_hh^T: [N, H] @ [H, 4H], W_hh read transposed
    if (s === 0) stepProduct(h0.data, h0.off, N, H, panel, whh, 1, H, G, g);
    else stepProduct(y, tp * N * H, N, H, panel, whh, 1, H, G, g);
    let cp: FloatArray;
    let cpOff: number;
    if (cells === null) {
      cp = cN;
      cpOff = 0;
    } else if (s === 0) {
      cp = c0.data;
      cpOff = c0.off;
    } else {
      cp = cells;
      cpOff = tp * N * H;
    }
    const cOut = cells === null ? cN : cells;
    const cOff = cells === null ? 0 : t * N * H;
    lstmCell(g, 0, gi.data, gi.off + t * N * G, b, cp, cpOff, g, 0, cOut, cOff, y, t * N * H, N, H);
  }
  if (cells !== null) {
    const last = (reverse ? 0 : L - 1) * N * H;
    cN.set(cells.subarray(last, last + N * H));
  }
}

/** What `lstmLayerBackward` computes: each array is filled when given. */
export interface LstmGrads {
  /** [L, N, I] or null */
  dx: FloatArray | null;
  /** [4H, I] or null */
  dwih: FloatArray | null;
  /** [N, H] */
  dh0: FloatArray;
  /** [N, H] */
  dc0: FloatArray;
  /** [4H, H] or null */
  dwhh: FloatArray | null;
  /** [4H] or null: the gradient of b_ih and of b_hh (both enter every step alike) */
  dbias: FloatArray | null;
}

/**
 * The backward of `lstmLayerForward` from the gradients of y (gy, [L, N, H] or null), of the
 * last hidden state (ghN) and of the last cell state (gcN) ([N, H] or null), using the saved
 * gates and cells, the output y and h0, c0, whh.
 */
export function lstmLayerBackward(
  d: LayerDims,
  gates: FloatArray,
  cells: FloatArray,
  y: FloatArray,
  x: Buf,
  h0: Buf,
  c0: Buf,
  wih: Buf,
  whh: Buf,
  gy: Buf | null,
  ghN: Buf | null,
  gcN: Buf | null,
  out: LstmGrads,
): void {
  const { L, N, I, H, reverse } = d;
  const G = 4 * H;
  const NH = N * H;
  const { dh0, dc0 } = out;
  const C = y.constructor as Ctor;
  // the pre-activation gradients of every step [L, N, 4H]
  const dgi = scratch(C, L * N * G, "dgi");
  // dh0 and dc0 carry the running gradients of h_{t-1} and c_{t-1}
  if (ghN === null) dh0.fill(0);
  else for (let e = 0; e < NH; e++) dh0[e] = ghN.data[ghN.off + e];
  if (gcN === null) dc0.fill(0);
  else for (let e = 0; e < NH; e++) dc0[e] = gcN.data[gcN.off + e];
  // W_hh [4H, H] packed once for the L step products
  const panel = packWeights(whh, G, H, H, 1);
  for (let s = L - 1; s >= 0; s--) {
    const t = reverse ? L - 1 - s : s;
    const tp = reverse ? t + 1 : t - 1;
    const cp = s === 0 ? c0.data : cells;
    const cpOff = s === 0 ? c0.off : tp * NH;
    lstmCellBackward(
      gates,
      t * N * G,
      cells,
      t * NH,
      cp,
      cpOff,
      gy === null ? null : gy.data,
      gy === null ? 0 : gy.off + t * NH,
      dh0,
      dc0,
      dgi,
      t * N * G,
      N,
      H,
    );
    // dh_{t-1} = dG_t W_hh: [N, 4H] @ [4H, H]
    stepProduct(dgi, t * N * G, N, G, panel, whh, H, 1, H, dh0);
  }
  // dx = dG W_ih: [L*N, 4H] @ [4H, I];  dW_ih = dG^T x: [4H, L*N] @ [L*N, I]
  if (out.dx !== null) matmul(dgi, 0, 0, G, 1, wih.data, wih.off, 0, I, 1, out.dx, 1, L * N, G, I);
  if (out.dwih !== null) matmul(dgi, 0, 0, 1, G, x.data, x.off, 0, I, 1, out.dwih, 1, G, L * N, I);
  if (out.dwhh !== null) {
    // dW_hh = sum_t dG_t^T h_{t-1} = dG^T [L*N, 4H]^T @ Hprev [L*N, H], Hprev[t] = h_{t-1}
    const hPrev = scratch(C, L * NH, "hPrev");
    for (let s = 0; s < L; s++) {
      const t = reverse ? L - 1 - s : s;
      const tp = reverse ? t + 1 : t - 1;
      if (s === 0) hPrev.set(h0.data.subarray(h0.off, h0.off + NH), t * NH);
      else hPrev.set(y.subarray(tp * NH, (tp + 1) * NH), t * NH);
    }
    matmul(dgi, 0, 0, 1, G, hPrev, 0, 0, H, 1, out.dwhh, 1, G, L * N, H);
  }
  // db = the column sums of dG (each bias enters every gate pre-activation once per row)
  if (out.dbias !== null) reduceAxis(Reduce.Sum, dgi, 0, 1, L * N, G, out.dbias);
}
