/**
 * LSTM projections (projSize), RNNCellBase and torch.nn.utils.rnn against PyTorch 1.13
 * (test/fixtures/rnn_utils.json, from scripts/fixtures/rnn_utils_fx.py): seeded parameters,
 * reprs, outputs, final states and gradients of LSTMs with projections and of RNN / GRU / LSTM
 * run on PackedSequences (unsorted batches, bidirectional, several layers, initial states);
 * padSequence, packPaddedSequence (sorted or not), padPackedSequence (totalLength,
 * paddingValue, gradients), packSequence / unpackSequence / unpadSequence; PyTorch's errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import * as nn from "../src/nn/index.js";
import { fromFlatRec, readFixture, type FlatRec } from "./helpers/fixtures.js";

const R = nn.utils.rnn;

interface ModuleCase {
  name: string;
  repr: string;
  state: [string, FlatRec][];
  x: FlatRec;
  lengths: number[] | null;
  hx: FlatRec[] | null;
  output: FlatRec;
  hidden: FlatRec[];
  xGrad: number[];
  hxGrads: number[][] | null;
  paramGrads: [string, number[]][];
  batchSizes?: number[];
  sortedIndices?: number[];
}
interface Fixture {
  modules: ModuleCase[];
  sequences: Record<string, unknown>;
  errors: Record<string, { type: string; message: string }>;
  cellBase: { repr: string; state: [string, FlatRec][] };
}
const fx = readFixture<Fixture>("rnn_utils.json");

function values(t: Tensor): number[] {
  return (t.detach().contiguous().reshape([-1]).tolist() as number[]).map(Number);
}

function close(actual: Tensor, expected: (number | string)[], what: string, tol = 1e-4): void {
  const a = values(actual);
  assert.equal(
    a.length,
    expected.length,
    `${what}: ${a.length} values, expected ${expected.length}`,
  );
  for (let i = 0; i < a.length; i++) {
    const e = Number(expected[i]);
    if (!(Math.abs(a[i] - e) <= tol + tol * Math.abs(e))) {
      assert.fail(`${what}[${i}]: ${a[i]} vs PyTorch ${e}`);
    }
  }
}

function sinVals(shape: number[], k: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return torch
    .tensor(Array.from({ length: n }, (_, i) => Math.sin(1 + 7 * k + 1.3 * i)))
    .reshape(shape);
}

const MODULES: Record<string, () => nn.RNNBase> = {
  lstm_proj: () => new nn.LSTM(3, 5, { numLayers: 2, projSize: 2, bidirectional: true }),
  lstm_proj_bf: () => new nn.LSTM(3, 4, { projSize: 3, batchFirst: true }),
  lstm_proj_unbatched: () => new nn.LSTM(3, 4, { projSize: 1, bias: false }),
  rnn_packed: () => new nn.RNN(3, 4, { numLayers: 2 }),
  gru_packed_bidir: () => new nn.GRU(3, 4, { bidirectional: true }),
  lstm_packed_proj: () => new nn.LSTM(3, 4, { numLayers: 2, projSize: 2, bidirectional: true }),
};

fx.modules.forEach((c, idx) => {
  test(`${c.name}: init, repr, outputs, states and gradients match PyTorch`, () => {
    torch.manualSeed(idx);
    const m = MODULES[c.name]();
    assert.equal(String(m), c.repr);
    const sd = m.stateDict();
    assert.deepEqual(
      Object.keys(sd),
      c.state.map(([k]) => k),
    );
    for (const [k, v] of c.state) close(sd[k], v.values, `init ${k}`, 1e-6);
    const x = fromFlatRec(c.x, true);
    const hx = c.hx === null ? null : c.hx.map((r) => fromFlatRec(r, true));
    const h0 = hx === null ? null : hx.length === 1 ? hx[0] : (hx as [Tensor, Tensor]);
    let y: Tensor;
    let hidden: Tensor[];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- RNN/GRU/LSTM forwards differ in their state type
    const fwd = m.forward.bind(m) as (i: any, h: any) => [any, Tensor | [Tensor, Tensor]];
    if (c.lengths === null) {
      const [out, h] = fwd(x, h0);
      y = out as Tensor;
      hidden = Array.isArray(h) ? h : [h];
    } else {
      const packed = R.packPaddedSequence(x, c.lengths, { enforceSorted: false });
      const [out, h] = fwd(packed, h0);
      assert.ok(out instanceof R.PackedSequence);
      assert.deepEqual(out.batchSizes.tolist(), c.batchSizes);
      assert.deepEqual(out.sortedIndices?.tolist(), c.sortedIndices);
      y = out.data;
      hidden = Array.isArray(h) ? h : [h];
    }
    assert.deepEqual(y.shape, c.output.shape);
    close(y, c.output.values, "output");
    hidden.forEach((h, i) => close(h, c.hidden[i].values, `hidden ${i}`));
    let loss = y.mul(sinVals(y.shape, 10 * idx + 7)).sum();
    hidden.forEach((h, i) => (loss = loss.add(h.mul(sinVals(h.shape, 10 * idx + 8 + i)).sum())));
    loss.backward();
    close(x.grad as Tensor, c.xGrad, "input grad");
    if (hx !== null)
      hx.forEach((h, i) => close(h.grad as Tensor, (c.hxGrads as number[][])[i], `hx grad ${i}`));
    const params = new Map(m.namedParameters());
    for (const [k, g] of c.paramGrads) close(params.get(k)?.grad as Tensor, g, `grad of ${k}`);
  });
});

test("RNNCellBase(inputSize, hiddenSize, bias, numChunks): PyTorch's parameters and repr", () => {
  torch.manualSeed(0);
  const m = new nn.RNNCellBase(3, 4, true, 2);
  assert.equal(String(m), fx.cellBase.repr);
  const sd = m.stateDict();
  assert.deepEqual(
    Object.keys(sd),
    fx.cellBase.state.map(([k]) => k),
  );
  for (const [k, v] of fx.cellBase.state) close(sd[k], v.values, k, 1e-6);
});

test("padSequence, packPaddedSequence, padPackedSequence, packSequence and friends match PyTorch", () => {
  const s = fx.sequences as Record<string, never>;
  const a = sinVals([3, 2], 1);
  const b = sinVals([1, 2], 2);
  const c = sinVals([4, 2], 3);
  const eq = (t: Tensor, r: FlatRec, what: string): void => {
    assert.deepEqual(t.shape, r.shape, what);
    close(t, r.values, what);
  };
  eq(R.padSequence([a, b, c]), s.padSequence, "padSequence");
  eq(R.padSequence([a, b, c], { batchFirst: true, paddingValue: -1 }), s.padSequenceBf, "bf");
  eq(R.padSequence([a, b, c], true, -1), s.padSequenceBf, "positional");

  const x = sinVals([4, 3, 2], 4);
  const p = R.packPaddedSequence(x, [4, 2, 1]);
  const ps = s.packSorted as { data: FlatRec; batchSizes: number[] };
  eq(p.data, ps.data, "packed data");
  assert.deepEqual(p.batchSizes.tolist(), ps.batchSizes);
  assert.equal(p.sortedIndices, null);
  assert.equal(p.unsortedIndices, null);

  const pu = s.packUnsorted as {
    x: FlatRec;
    data: FlatRec;
    batchSizes: number[];
    sorted: number[];
    unsorted: number[];
  };
  const xb = fromFlatRec(pu.x, true);
  const p2 = R.packPaddedSequence(xb, torch.tensor([2, 4, 1], { dtype: torch.int64 }), true, false);
  eq(p2.data, pu.data, "unsorted packed data");
  assert.deepEqual(p2.batchSizes.tolist(), pu.batchSizes);
  assert.deepEqual(p2.sortedIndices?.tolist(), pu.sorted);
  assert.deepEqual(p2.unsortedIndices?.tolist(), pu.unsorted);
  const [data, batchSizes] = p2;
  assert.equal(data, p2.data);
  assert.equal(batchSizes, p2.batchSizes);

  const pp = s.padPacked as { padded: FlatRec; lengths: number[]; xGrad: number[] };
  const [padded, lengths] = R.padPackedSequence(p2, {
    batchFirst: true,
    paddingValue: 9,
    totalLength: 6,
  });
  eq(padded, pp.padded, "padPackedSequence");
  assert.deepEqual(lengths.tolist(), pp.lengths);
  assert.equal(lengths.dtype, torch.int64);
  padded.mul(sinVals(padded.shape, 6)).sum().backward();
  close(xb.grad as Tensor, pp.xGrad, "gradient through pack and pad");

  const sq = s.packSequence as { data: FlatRec; batchSizes: number[]; sorted: number[] };
  const packed = R.packSequence([a, b, c], { enforceSorted: false });
  eq(packed.data, sq.data, "packSequence");
  assert.deepEqual(packed.batchSizes.tolist(), sq.batchSizes);
  assert.deepEqual(packed.sortedIndices?.tolist(), sq.sorted);
  R.unpackSequence(packed).forEach((t, i) =>
    eq(t, (s.unpackSequence as FlatRec[])[i], `unpack ${i}`),
  );
  R.unpadSequence(
    R.padSequence([a, b, c]),
    torch.tensor([3, 1, 4], { dtype: torch.int64 }),
  ).forEach((t, i) => eq(t, (s.unpadSequence as FlatRec[])[i], `unpad ${i}`));
  assert.deepEqual(
    R.invertPermutation(torch.tensor([2, 0, 3, 1], { dtype: torch.int64 }))?.tolist(),
    s.invertPermutation,
  );
  assert.equal(String(R.packSequence([torch.tensor([1.0, 2.0]), torch.tensor([3.0])])), s.repr);
});

test("bad arguments raise PyTorch's errors", () => {
  const e = fx.errors;
  const check = (f: () => unknown, want: { type: string; message: string }): void => {
    assert.throws(f, (err: Error) => {
      assert.equal(err.name, want.type);
      assert.equal(err.message, want.message);
      return true;
    });
  };
  const x = torch.zeros(4, 3, 2);
  check(() => R.packPaddedSequence(x, [2, 3, 1]), e.unsorted);
  check(() => R.packPaddedSequence(x, [3, 2]), e.lengthsCount);
  check(() => R.packPaddedSequence(x, torch.tensor([[3, 2, 1]])), e.lengths2d);
  check(
    () => R.padPackedSequence(R.packPaddedSequence(x, [3, 2, 1]), { totalLength: 2 }),
    e.totalLength,
  );
  check(() => new nn.LSTM(3, 4, { projSize: -1 }), e.projNegative);
  check(() => new nn.LSTM(3, 4, { projSize: 4 }), e.projTooLarge);
  check(() => new nn.GRU(3, 4, { projSize: 2 }), e.projGru);
  check(
    () =>
      new nn.LSTM(3, 4, { projSize: 2 }).call(torch.zeros(2, 1, 3), [
        torch.zeros(1, 1, 4),
        torch.zeros(1, 1, 4),
      ]),
    e.projHidden,
  );
  check(() => new nn.GRU(3, 4).forward(R.packSequence([torch.zeros(2, 5)])), e.packedInputSize);
});
