/**
 * The fused LSTM layer (src/ops/rnn.ts over src/backend/rnn.ts and native/rnn.cc):
 * - the native cell kernels against their TypeScript twins (float32 within the AVX2
 *   exp/tanh/sigmoid error, float64 to rounding), with offsets, aliasing (gates written over
 *   the product, the cell state updated in place), missing bias / output gradient, ragged
 *   vector ends and rows split over threads;
 * - nn.LSTM against the same recurrence written with tensor ops (PyTorch's per-step graph):
 *   outputs, final states, first derivatives (the fused backward) and second derivatives
 *   (createGraph: the recorded recomputation), uni- and bidirectional, with and without bias,
 *   batch-first and unbatched, under both backends.
 * PyTorch's own values for these paths are checked by test/layers.test.ts (LSTM, LSTM_wide).
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { lstmCell, lstmCellBackward, packedProduct } from "../src/backend/rnn.js";
import { matmul } from "../src/backend/matmul.js";
import { setNativeFamily } from "../src/backend/native.js";
import { skip, type FloatArray, type FloatCtor, filled } from "./helpers/native.js";

const CTORS: [string, FloatCtor][] = [
  ["float32", Float32Array],
  ["float64", Float64Array],
];

/** Run `f` with the native rnn kernels off (the TypeScript twins), then on; return both. */
function twin<T>(f: () => T): { ts: T; nat: T } {
  setNativeFamily("rnn", false);
  try {
    const ts = f();
    setNativeFamily("rnn", true);
    return { ts, nat: f() };
  } finally {
    setNativeFamily("rnn", true);
  }
}

function assertClose(a: FloatArray, b: FloatArray, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= tol * (1 + Math.abs(b[i])))) {
      assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]} (tolerance ${tol})`);
    }
  }
}

// n rows, hidden H: 7 x 13 (ragged 8-lane ends), 40 x 64, 300 x 24 (rows split over threads)
const SIZES: [number, number][] = [
  [7, 13],
  [40, 64],
  [300, 24],
];

for (const [dt, Ctor] of CTORS) {
  // float32 native uses approximations of a few ulp (vecmath.h); float64 is libm against V8
  const tol = dt === "float32" ? 4e-6 : 1e-13;
  for (const [n, H] of SIZES) {
    for (const bias of [true, false]) {
      test(`lstmCell (${dt}, ${n}x${H}, bias ${bias}): native equals TypeScript`, { skip }, () => {
        const G = 4 * H;
        const off = 3;
        const s = filled(Ctor, off + n * G, 1, 2);
        const gi = filled(Ctor, off + n * G, 2, 2);
        const b = bias ? filled(Ctor, G, 3) : null;
        const cp = filled(Ctor, off + n * H, 4);
        const run = (inPlace: boolean): FloatArray[] => {
          const sc = s.slice();
          const gates = inPlace ? sc : new Ctor(off + n * G);
          const c = inPlace ? cp.slice() : new Ctor(off + n * H);
          const h = new Ctor(off + n * H);
          lstmCell(sc, off, gi, off, b, inPlace ? c : cp, off, gates, off, c, off, h, off, n, H);
          return [gates, c, h];
        };
        for (const inPlace of [false, true]) {
          const { ts, nat } = twin(() => run(inPlace));
          ["gates", "c", "h"].forEach((w, i) => assertClose(nat[i], ts[i], tol, `${w} ${inPlace}`));
        }
      });
      test(
        `lstmCellBackward (${dt}, ${n}x${H}, dh ${bias}): native equals TypeScript`,
        { skip },
        () => {
          const G = 4 * H;
          const off = 5;
          // activated gates in (0, 1) (g in (-1, 1)), states and gradients in [-1, 1)
          const gates = filled(Ctor, off + n * G, 5).map((v) => (v + 1) / 2);
          const c = filled(Ctor, off + n * H, 6);
          const cp = filled(Ctor, off + n * H, 7);
          const dh = bias ? filled(Ctor, off + n * H, 8) : null;
          const dhx = filled(Ctor, n * H, 9);
          const run = (): FloatArray[] => {
            const dc = filled(Ctor, n * H, 10);
            const dg = new Ctor(off + n * G);
            lstmCellBackward(gates, off, c, off, cp, off, dh, off, dhx, dc, dg, off, n, H);
            return [dc, dg];
          };
          const { ts, nat } = twin(run);
          assertClose(nat[0], ts[0], tol, "dc");
          assertClose(nat[1], ts[1], tol, "dg");
        },
      );
    }
  }
}

// the per-step products over a packed weight panel (float32; float64 takes matmul): m rows
// (register tiles of 6 and the rest), k, n (16-column slivers and a partial one), the weight
// read transposed (forward, W_hh^T) or not (backward, W_hh)
for (const [m, k, n] of [
  [1, 3, 5],
  [7, 13, 52],
  [32, 64, 96],
  [13, 100, 1040],
]) {
  for (const transposed of [false, true]) {
    test(`packed step product ${m}x${k}x${n} (transposed ${transposed}) equals matmul`, () => {
      const off = 2;
      const a = filled(Float32Array, off + m * k, 11);
      const w = filled(Float32Array, off + k * n, 12);
      const [rs, cs] = transposed ? [1, k] : [n, 1];
      const run = (): Float32Array => {
        const out = new Float32Array(m * n);
        packedProduct(a, off, m, k, { data: w, off }, rs, cs, n, out);
        return out;
      };
      const { ts, nat } = twin(run);
      const ref = new Float64Array(m * n);
      matmul(
        Float64Array.from(a),
        off,
        0,
        k,
        1,
        Float64Array.from(w),
        off,
        0,
        rs,
        cs,
        ref,
        1,
        m,
        k,
        n,
      );
      assertClose(ts, ref, 1e-5, "TypeScript");
      assertClose(nat, ref, 1e-5, "native");
    });
  }
}

/** The LSTM recurrence with tensor ops: PyTorch's per-step graph (the reference). */
function referenceLstm(m: torch.nn.LSTM, x: Tensor, h0: Tensor, c0: Tensor): Tensor[] {
  const dirs = m.bidirectional ? 2 : 1;
  const p = m as unknown as Record<string, Tensor>;
  const hn: Tensor[] = [];
  const cn: Tensor[] = [];
  let input = x;
  for (let layer = 0; layer < m.numLayers; layer++) {
    const outs: Tensor[] = [];
    for (let d = 0; d < dirs; d++) {
      const sfx = `_l${layer}${d === 1 ? "_reverse" : ""}`;
      const k = layer * dirs + d;
      let h = h0.select(0, k);
      let c = c0.select(0, k);
      const L = input.shape[0];
      const steps = new Array<Tensor>(L);
      for (let s = 0; s < L; s++) {
        const t = d === 1 ? L - 1 - s : s;
        let gates = input.select(0, t).matmul(p[`weight_ih${sfx}`].t());
        gates = gates.add(h.matmul(p[`weight_hh${sfx}`].t()));
        if (m.bias) gates = gates.add(p[`bias_ih${sfx}`]).add(p[`bias_hh${sfx}`]);
        const [i, f, g, o] = gates.chunk(4, 1);
        c = f.sigmoid().mul(c).add(i.sigmoid().mul(g.tanh()));
        h = o.sigmoid().mul(c.tanh());
        steps[t] = h;
      }
      outs.push(torch.stack(steps, 0));
      hn.push(h);
      cn.push(c);
    }
    input = dirs === 1 ? outs[0] : torch.cat(outs, 2);
  }
  return [input, torch.stack(hn, 0), torch.stack(cn, 0)];
}

const CASES: [string, torch.nn.RNNOptions, number][] = [
  ["2 layers", { numLayers: 2 }, 24],
  ["bidirectional, no bias", { bidirectional: true, bias: false }, 21],
  [
    "batch first, bidirectional, 2 layers",
    { batchFirst: true, bidirectional: true, numLayers: 2 },
    5,
  ],
];

for (const [name, opts, H] of CASES) {
  for (const dtype of [torch.float32, torch.float64]) {
    test(`nn.LSTM (${name}, ${dtype.name}): the fused layers match the per-step graph`, () => {
      torch.manualSeed(3);
      const m = new torch.nn.LSTM(6, H, { ...opts, dtype });
      const dirs = opts.bidirectional ? 2 : 1;
      const layers = opts.numLayers ?? 1;
      const [L, N] = [5, 4];
      const x = torch.randn(opts.batchFirst ? [N, L, 6] : [L, N, 6], { dtype, requiresGrad: true });
      const h0 = torch.randn([layers * dirs, N, H], { dtype, requiresGrad: true });
      const c0 = torch.randn([layers * dirs, N, H], { dtype, requiresGrad: true });
      const leaves = [x, h0, c0, ...m.parameters()];
      const tol = dtype === torch.float32 ? 2e-5 : 1e-12;
      const check = (a: Tensor, b: Tensor, what: string): void => {
        assert.deepEqual(a.shape, b.shape, what);
        const scale = b.abs().max().item() + 1;
        const err = a.sub(b).abs().max().item() / scale;
        assert.ok(err <= tol, `${what}: relative error ${err}`);
      };
      const [out, [hn, cn]] = m.call(x, [h0, c0]);
      // PyTorch's names: stack of the steps, cat of the directions, transpose for batch first
      const outName = opts.batchFirst
        ? "TransposeBackward0"
        : dirs === 1
          ? "StackBackward0"
          : "CatBackward0";
      assert.equal(out.gradFn?.name(), outName);
      assert.equal(hn.gradFn?.name(), "StackBackward0");
      const xr = opts.batchFirst ? x.transpose(0, 1) : x;
      const [refOut0, refH, refC] = referenceLstm(m, xr, h0, c0);
      const refOut = opts.batchFirst ? refOut0.transpose(0, 1) : refOut0;
      check(out, refOut, "output");
      check(hn, refH, "h_n");
      check(cn, refC, "c_n");
      // one loss over all three outputs; its gradients and the gradient of |dL/dx|^2
      const w = (t: Tensor, k: number): Tensor =>
        torch.linspace(-1, 1 + k, t.numel(), { dtype }).reshape(t.shape);
      const loss = (o: Tensor, h: Tensor, c: Tensor): Tensor =>
        o
          .mul(w(o, 0))
          .sum()
          .add(h.mul(w(h, 1)).sum())
          .add(c.mul(w(c, 2)).sum());
      // every leaf reaches every loss, so no first gradient is null
      const grads = (l: Tensor, createGraph: boolean): Tensor[] =>
        torch.autograd.grad([l], leaves, { createGraph }) as Tensor[];
      const g1 = grads(loss(out, hn, cn), true);
      const r1 = grads(loss(refOut, refH, refC), true);
      g1.forEach((g, i) => check(g, r1[i], `grad ${i}`));
      const g2 = torch.autograd.grad([g1[0].pow(2).sum()], leaves, { allowUnused: true });
      const r2 = torch.autograd.grad([r1[0].pow(2).sum()], leaves, { allowUnused: true });
      g2.forEach((g, i) => {
        if (r2[i] === null) assert.equal(g, null, `second grad ${i}`);
        else check(g as Tensor, r2[i] as Tensor, `second grad ${i}`);
      });
      // without createGraph: the fused backward kernels
      const [out2, [hn2, cn2]] = m.call(x, [h0, c0]);
      const f1 = grads(loss(out2, hn2, cn2), false);
      f1.forEach((g, i) => check(g, r1[i], `fused grad ${i}`));
    });
  }
}

test("nn.LSTM unbatched and in noGrad: the fused layers match the per-step graph", () => {
  torch.manualSeed(4);
  const m = new torch.nn.LSTM(3, 17);
  const x = torch.randn(6, 3);
  const [out, [hn, cn]] = torch.noGrad(() => m.call(x));
  const z = torch.zeros(1, 1, 17);
  const [ro, rh, rc] = torch.noGrad(() => referenceLstm(m, x.unsqueeze(1), z, z));
  assert.deepEqual(out.shape, [6, 17]);
  assert.deepEqual(hn.shape, [1, 17]);
  assert.ok(out.sub(ro.squeeze(1)).abs().max().item() < 1e-5);
  assert.ok(hn.sub(rh.squeeze(1)).abs().max().item() < 1e-5);
  assert.ok(cn.sub(rc.squeeze(1)).abs().max().item() < 1e-5);
});
