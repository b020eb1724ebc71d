/**
 * The derivative of the fused LSTM layer (ops/rnn.ts). `derivatives.ts` declares it through
 * `RnnOpDefs` and spreads `rnnDerivatives` into its table; `jvps.ts` spreads `rnnJvps`.
 *
 * Without `createGraph`, the gradients come from the fused kernels (backend/rnn.ts). With it,
 * the formula recomputes the layer's steps from the saved inputs with recorded ops (PyTorch's
 * per-step graph: gates = gi_t + h W_hh^T + b_hh, chunked, activated) and forms the
 * gradients with recorded ops too, so they are differentiable again in every input.
 */
import type { Tensor } from "../tensor.js";
import type { Derivative, Grads } from "./derivatives.js";
import type { Jvp } from "./jvps.js";
import { isGradEnabled } from "./grad-mode.js";
import { lstmLayerBackward, type LstmSaved } from "../ops/rnn.js";
import { notImplementedError } from "../errors.js";
import * as F from "./formula-ops.js";

/** The fused recurrent layers: what each saves and its attributes (merged into OpDefs). */
export interface RnnOpDefs {
  lstmLayer: {
    save: "x" | "h0" | "c0" | "wih" | "whh" | "bih" | "bhh" | "output" | "gates" | "cells";
    attrs: { reverse: boolean };
  };
}

/**
 * The LSTM layer backward with recorded ops: the forward steps again from x, h0, c0 and the
 * weights (gi = x W_ih^T + b_ih), then, from the last step to the first (dh, dc the running
 * state gradients):
 *   tc = tanh(c_t), dc' = dc + dh o (1 - tc^2)
 *   dG_t = [dc' g i(1-i), dc' c_{t-1} f(1-f), dc' i (1-g^2), dh tc o(1-o)]
 *   dh <- dG_t W_hh + gy_{t-1},  dc <- dc' f,  dW_hh += dG_t^T h_{t-1}
 * and dx = dG W_ih, dW_ih = dG^T x, db_ih = db_hh = the sum of dG over steps and rows.
 */
function lstmLayerBackwardComposite(
  gy: Tensor | null,
  ghN: Tensor | null,
  gcN: Tensor | null,
  s: LstmSaved,
  reverse: boolean,
  needs: readonly boolean[],
): Grads {
  const { x, h0, c0, wih, whh } = s;
  const bih = s.bih ?? null;
  const bhh = s.bhh ?? null;
  const L = x.shape[0];
  let gi = x.matmul(wih.t());
  if (bih !== null) gi = gi.add(bih);
  type Step = { i: Tensor; f: Tensor; g: Tensor; o: Tensor; cp: Tensor; c: Tensor; hp: Tensor };
  const steps = new Array<Step>(L);
  let h = h0;
  let c = c0;
  const whhT = whh.t();
  for (let k = 0; k < L; k++) {
    const t = reverse ? L - 1 - k : k;
    let pre = h.matmul(whhT);
    if (bhh !== null) pre = pre.add(bhh);
    pre = gi.select(0, t).add(pre);
    const [pi, pf, pg, po] = pre.chunk(4, 1);
    const i = pi.sigmoid();
    const f = pf.sigmoid();
    const g = pg.tanh();
    const o = po.sigmoid();
    const cNew = f.mul(c).add(i.mul(g));
    steps[t] = { i, f, g, o, cp: c, c: cNew, hp: h };
    h = o.mul(cNew.tanh());
    c = cNew;
  }
  let dh = ghN ?? F.zerosLike(h0);
  let dc = gcN ?? F.zerosLike(c0);
  const dG = new Array<Tensor>(L);
  let dwhh: Tensor | null = null;
  for (let k = L - 1; k >= 0; k--) {
    const t = reverse ? L - 1 - k : k;
    const { i, f, g, o, cp, c: ct, hp } = steps[t];
    if (gy !== null) dh = dh.add(gy.select(0, t));
    const tc = ct.tanh();
    const dcv = dc.add(dh.mul(o).mul(F.rsubScalar(tc.mul(tc), 1)));
    const d = F.cat(
      [
        dcv.mul(g).mul(i.mul(F.rsubScalar(i, 1))),
        dcv.mul(cp).mul(f.mul(F.rsubScalar(f, 1))),
        dcv.mul(i).mul(F.rsubScalar(g.mul(g), 1)),
        dh.mul(tc).mul(o.mul(F.rsubScalar(o, 1))),
      ],
      1,
    );
    dG[t] = d;
    if (needs[4]) {
      const w = d.t().matmul(hp);
      dwhh = dwhh === null ? w : dwhh.add(w);
    }
    dh = d.matmul(whh);
    dc = dcv.mul(f);
  }
  const dgi = F.stack(dG, 0);
  const db = needs[5] || needs[6] ? dgi.sum([0, 1]) : null;
  return [
    needs[0] ? dgi.matmul(wih) : null,
    needs[1] ? dh : null,
    needs[2] ? dc : null,
    needs[3]
      ? F.reshape(dgi, [-1, dgi.shape[2]])
          .t()
          .matmul(F.reshape(x, [-1, x.shape[2]]))
      : null,
    dwhh,
    needs[5] ? db : null,
    needs[6] ? db : null,
  ];
}

export const rnnDerivatives: { [K in keyof RnnOpDefs]: Derivative<K> } = {
  // ops/rnn.ts: the layer node carries the name of PyTorch's node for the layer output
  lstmLayer: {
    name: "StackBackward0",
    save: ["x", "h0", "c0", "wih", "whh", "bih", "bhh", "output", "gates", "cells"],
    grad: (_g, saved, a, node): Grads => {
      const s = saved as unknown as LstmSaved;
      const [gy, ghN, gcN] = node.gradOutputs;
      const needs = [0, 1, 2, 3, 4, 5, 6].map((i) => node.needsInputGrad(i));
      if (isGradEnabled()) {
        return lstmLayerBackwardComposite(
          gy ?? null,
          ghN ?? null,
          gcN ?? null,
          s,
          a.reverse,
          needs,
        );
      }
      return lstmLayerBackward(gy ?? null, ghN ?? null, gcN ?? null, s, a.reverse, needs);
    },
  },
};

export const rnnJvps: { [K in keyof RnnOpDefs]: Jvp<K> } = {
  // nn.LSTM runs its composite form while a forward-mode AD level is active
  // (ops/rnn.ts lstmLayerSupported), so no tangent ever reaches this node
  lstmLayer: () => {
    throw notImplementedError("the fused LSTM layer has no forward-mode derivative");
  },
};
