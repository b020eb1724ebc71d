/**
 * torch.nn.Transformer and its parts against PyTorch 1.13 (test/fixtures/transformer.json, from
 * scripts/fixtures/transformer_fx.py): seeded initialisation (state dicts and reprs; stacked
 * layers are deep copies), forward values with every kind of mask, grad_fn names, input and
 * parameter gradients, dropout in training mode (same generator draws), evaluation mode (and
 * PyTorch's nested-tensor output without gradients), PyTorch's errors; positional and options
 * forms of the constructors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import * as nn from "../src/nn/index.js";
import { fromFlatRec, readFixture, type FlatRec } from "./helpers/fixtures.js";

const F = nn.functional;

interface Case {
  name: string;
  mode: "train" | "eval" | "nograd";
  state: [string, FlatRec][];
  inputs: FlatRec[];
  masks: Record<string, FlatRec>;
  output: FlatRec;
  gradFn?: string;
  weight?: number[];
  inputGrads?: number[][];
  paramGrads?: [string, number[] | null][];
}
interface Fixture {
  init: { name: string; repr: string; state: [string, FlatRec][] }[];
  cases: Case[];
  errors: Record<string, { type: string; message: string }>;
  causal: FlatRec;
  mhaFunctional: {
    name: string;
    inputs: FlatRec[];
    output: FlatRec;
    weights: FlatRec | null;
    grads: (number[] | null)[];
  }[];
}
const fx = readFixture<Fixture>("transformer.json");

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

type Masks = Record<string, Tensor>;
// the cases of transformer_fx.py in tensorgrad's API (positional and options forms mixed)
const CASES: Record<string, [() => nn.Module, (m: nn.Module, xs: Tensor[], k: Masks) => Tensor]> = {
  enc_layer: [() => new nn.TransformerEncoderLayer(8, 2, 16, 0.0), (m, [x]) => m.call(x)],
  enc_layer_bf_gelu_normfirst: [
    () => new nn.TransformerEncoderLayer(8, 2, 12, 0.0, "gelu", 1e-6, true, true),
    (m, [x], k) => m.call(x, { srcMask: k.mask }),
  ],
  enc_layer_masks: [
    () =>
      new nn.TransformerEncoderLayer(8, 4, { dimFeedforward: 16, dropout: 0.0, batchFirst: true }),
    (m, [x], k) => m.call(x, k.mask, k.kpm),
  ],
  enc_layer_unbatched: [
    () => new nn.TransformerEncoderLayer(8, 2, 16, { dropout: 0 }),
    (m, [x]) => m.call(x),
  ],
  enc_layer_f64: [
    () => new nn.TransformerEncoderLayer(6, 3, 10, 0.0, { dtype: torch.float64 }),
    (m, [x]) => m.call(x),
  ],
  enc_layer_module_act: [
    () => new nn.TransformerEncoderLayer(8, 2, 16, 0.0, { activation: new nn.Tanh() }),
    (m, [x]) => m.call(x),
  ],
  encoder: [
    () =>
      new nn.TransformerEncoder(
        new nn.TransformerEncoderLayer(8, 2, 16, 0.0),
        2,
        new nn.LayerNorm(8),
      ),
    (m, [x], k) => m.call(x, { mask: k.mask }),
  ],
  dec_layer: [
    () => new nn.TransformerDecoderLayer(8, 2, 16, 0.0),
    (m, [t, mem], k) => m.call(t, mem, { tgtMask: k.mask, memoryKeyPaddingMask: k.mkpm }),
  ],
  decoder_normfirst_gelu: [
    () =>
      new nn.TransformerDecoder(
        new nn.TransformerDecoderLayer(8, 2, 16, 0.0, F.gelu, { normFirst: true }),
        2,
      ),
    (m, [t, mem], k) => m.call(t, mem, null, k.mmask),
  ],
  transformer: [
    () => new nn.Transformer(8, 2, 2, 1, 16, 0.0),
    (m, [s, t], k) => m.call(s, t, { tgtMask: k.mask }),
  ],
  transformer_bf: [
    () =>
      new nn.Transformer({
        dModel: 8,
        nhead: 4,
        numEncoderLayers: 1,
        numDecoderLayers: 2,
        dimFeedforward: 12,
        dropout: 0.0,
        activation: "gelu",
        batchFirst: true,
        normFirst: true,
      }),
    (m, [s, t], k) => m.call(s, t, { srcKeyPaddingMask: k.skpm, memoryKeyPaddingMask: k.skpm }),
  ],
  enc_layer_dropout_train: [
    () => new nn.TransformerEncoderLayer(8, 2, 16, 0.25),
    (m, [x]) => m.call(x),
  ],
  transformer_dropout_train: [
    () => new nn.Transformer(8, 2, 1, 1, 16, 0.2),
    (m, [s, t]) => m.call(s, t),
  ],
  enc_layer_eval: [() => new nn.TransformerEncoderLayer(8, 2, 16, 0.25), (m, [x]) => m.call(x)],
  enc_layer_eval_nograd: [
    () => new nn.TransformerEncoderLayer(8, 2, 16, { batchFirst: true }),
    (m, [x], k) => m.call(x, { srcKeyPaddingMask: k.kpm }),
  ],
  encoder_eval_nested: [
    () =>
      new nn.TransformerEncoder(
        new nn.TransformerEncoderLayer(8, 2, 16, { batchFirst: true }),
        2,
        new nn.LayerNorm(8),
      ),
    (m, [x], k) => m.call(x, null, k.kpm),
  ],
};

fx.cases.forEach((c, idx) => {
  test(`${c.name}: init, forward, grad_fn and gradients match PyTorch (${c.mode})`, () => {
    const [make, call] = CASES[c.name];
    torch.manualSeed(idx);
    const m = make();
    const sd = m.stateDict();
    assert.deepEqual(
      Object.keys(sd),
      c.state.map(([k]) => k),
    );
    for (const [k, v] of c.state) close(sd[k], v.values, `init ${k}`, 1e-6);
    const xs = c.inputs.map((r) => fromFlatRec(r, c.mode !== "nograd"));
    const masks: Masks = {};
    for (const [k, r] of Object.entries(c.masks)) masks[k] = fromFlatRec(r);
    if (c.mode !== "train") m.eval();
    torch.manualSeed(1000 + idx);
    if (c.mode === "nograd") {
      const y = torch.noGrad(() => call(m, xs, masks));
      assert.deepEqual(y.shape, c.output.shape);
      close(y, c.output.values, "output");
      return;
    }
    const y = call(m, xs, masks);
    assert.deepEqual(y.shape, c.output.shape);
    assert.equal(y.dtype.name, c.output.dtype);
    close(y, c.output.values, "output");
    assert.equal(y.gradFn?.name() ?? null, c.gradFn);
    y.mul(torch.tensor(c.weight as number[], { dtype: y.dtype }).reshape(y.shape))
      .sum()
      .backward();
    (c.inputGrads as number[][]).forEach((g, i) =>
      close(xs[i].grad as Tensor, g, `grad of input ${i}`),
    );
    const params = new Map(m.namedParameters());
    for (const [k, g] of c.paramGrads as [string, number[] | null][]) {
      const p = params.get(k) as Tensor;
      if (g === null) assert.equal(p.grad, null, `${k}.grad`);
      else close(p.grad as Tensor, g, `grad of ${k}`);
    }
  });
});

const INIT: Record<string, () => nn.Module> = {
  "Transformer(16, 4, 2, 2, 32)": () => new nn.Transformer(16, 4, 2, 2, 32),
  "TransformerEncoderLayer(8, 2, 16, activation=GELU())": () =>
    new nn.TransformerEncoderLayer(8, 2, 16, { activation: new nn.GELU() }),
  "TransformerDecoderLayer(8, 2, 16, 0.3, layer_norm_eps=1e-3)": () =>
    new nn.TransformerDecoderLayer(8, 2, 16, 0.3, { layerNormEps: 1e-3 }),
  "TransformerDecoder(TransformerDecoderLayer(4, 1, 8), 2)": () =>
    new nn.TransformerDecoder(new nn.TransformerDecoderLayer(4, 1, 8), 2),
  "TransformerEncoder(TransformerEncoderLayer(4, 2, 8), 3, LayerNorm(4))": () =>
    new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, 8), 3, {
      norm: new nn.LayerNorm(4),
    }),
};

test("seeded construction draws PyTorch's parameters; reprs and state-dict keys match", () => {
  torch.manualSeed(0);
  for (const r of fx.init) {
    const m = INIT[r.name]();
    assert.equal(String(m), r.repr, r.name);
    const sd = m.stateDict();
    assert.deepEqual(
      Object.keys(sd),
      r.state.map(([k]) => k),
      r.name,
    );
    for (const [k, v] of r.state) close(sd[k], v.values, `${r.name} ${k}`, 1e-6);
  }
});

test("stacked layers are deep copies: equal values, separate storage, separate gradients", () => {
  const layer = new nn.TransformerEncoderLayer(4, 2, 8);
  const enc = new nn.TransformerEncoder(layer, 2);
  const [a, b] = [...enc.layers] as nn.TransformerEncoderLayer[];
  assert.notEqual(a, layer);
  assert.deepEqual(values(a.linear1.weight), values(layer.linear1.weight));
  assert.deepEqual(values(b.linear1.weight), values(layer.linear1.weight));
  assert.notEqual(a.linear1.weight.typedArray, b.linear1.weight.typedArray);
  torch.noGrad(() => a.linear1.weight.add_(1));
  assert.notDeepEqual(values(a.linear1.weight), values(b.linear1.weight));
  assert.equal(a.activation, F.relu);
  assert.equal(enc.numLayers, 2);
  assert.equal(enc.norm, null);
});

test("generateSquareSubsequentMask is PyTorch's causal float mask", () => {
  const m = nn.Transformer.generateSquareSubsequentMask(4);
  assert.deepEqual(m.shape, fx.causal.shape);
  assert.deepEqual(
    values(m),
    fx.causal.values.map((v) => (v === "-inf" ? -Infinity : Number(v))),
  );
  assert.deepEqual(values(nn.generateSquareSubsequentMask(4)), values(m));
});

test("bad arguments raise PyTorch's errors", () => {
  const check = (f: () => unknown, e: { type: string; message: string }): void => {
    assert.throws(f, (err: Error) => {
      assert.equal(err.name, e.type);
      assert.equal(err.message, e.message);
      return true;
    });
  };
  check(
    () => new nn.TransformerEncoderLayer(8, 2, { activation: "tanh" as "relu" }),
    fx.errors.badActivation,
  );
  const t = new nn.Transformer(8, 2, 1, 1, 16);
  check(() => t.call(torch.zeros(4, 2, 8), torch.zeros(3, 3, 8)), fx.errors.batchMismatch);
  check(() => t.call(torch.zeros(4, 2, 8), torch.zeros(3, 2, 6)), fx.errors.featureMismatch);
  const layer = new nn.TransformerEncoderLayer(8, 2, 16);
  check(
    () =>
      layer.call(torch.zeros(3, 2, 8), {
        srcKeyPaddingMask: torch.zeros([2, 3], { dtype: torch.int64 }),
      }),
    fx.errors.intPaddingMask,
  );
  check(
    () => new nn.TransformerEncoderLayer(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
    fx.errors.tooManyArgs,
  );
  check(
    () => new nn.TransformerEncoderLayer(8, 2, { foo: 1 } as never),
    fx.errors.unexpectedKeyword,
  );
  check(
    () => new nn.TransformerEncoderLayer(8, 2, 16, { dimFeedforward: 3 }),
    fx.errors.multipleValues,
  );
  check(
    () => new (nn.TransformerEncoderLayer as unknown as new (d: number) => nn.Module)(8),
    fx.errors.missingNhead,
  );
  check(
    () => new nn.Transformer(...Array.from({ length: 15 }, (_, i) => i)),
    fx.errors.transformerTooMany,
  );
  check(
    () =>
      new (nn.TransformerEncoder as unknown as new (l: nn.Module) => nn.Module)(
        new nn.Linear(1, 1),
      ),
    fx.errors.encoderMissing,
  );
});

// the F.multi_head_attention_forward cases of transformer_fx.py
const E = 6;
const H = 2;
const MHA_F: Record<string, (xs: Tensor[]) => [Tensor, Tensor | null]> = {
  packed: ([q, k, v, w, b, ow, ob]) =>
    F.multiHeadAttentionForward(q, k, v, E, H, w, b, null, null, false, 0.0, ow, ob),
  positional_kwargs_float_kpm: ([q, k, v, w, b, ow, ob]) =>
    F.multiHeadAttentionForward(q, k, v, E, H, w, b, null, null, false, 0.0, ow, ob, false, {
      keyPaddingMask: torch.tensor([
        [0.0, 0.0, -0.5, 0.0, -Infinity],
        [0.0, 1.0, 0.0, 0.0, 0.0],
      ]),
      averageAttnWeights: false,
    }),
  bias_kv_zero_attn_masks: ([q, k, v, w, b, bk, bv, ow, ob]) =>
    F.multiHeadAttentionForward(q, k, v, E, H, w, b, bk, bv, true, 0.0, ow, ob, {
      keyPaddingMask: torch.tensor([
        [false, false, false, false, true],
        [false, false, false, false, false],
      ]),
      attnMask: torch.ones([4, 5], { dtype: torch.bool }).triu(2),
    }),
  separate_proj_no_weights: ([q, k, v, wq, wk, wv, b, ow]) =>
    F.multiHeadAttentionForward(q, k, v, E, H, null, b, null, null, false, 0.0, ow, null, {
      needWeights: false,
      useSeparateProjWeight: true,
      qProjWeight: wq,
      kProjWeight: wk,
      vProjWeight: wv,
    }),
  static_kv_dropout: ([q, k, v, w, b, ow, ob, sk, sv]) =>
    F.multiHeadAttentionForward(q, k, v, E, H, w, b, null, null, false, 0.3, ow, ob, {
      staticK: sk,
      staticV: sv,
    }),
};

fx.mhaFunctional.forEach((c, idx) => {
  test(`F.multiHeadAttentionForward ${c.name} matches PyTorch (values, weights, gradients)`, () => {
    const xs = c.inputs.map((r) => fromFlatRec(r, true));
    torch.manualSeed(idx);
    const [y, w] = MHA_F[c.name](xs);
    assert.deepEqual(y.shape, c.output.shape);
    close(y, c.output.values, "output");
    let loss = y.mul(sinVals(y.shape, 399 + idx)).sum();
    if (c.weights === null) assert.equal(w, null);
    else {
      const ww = w as Tensor;
      assert.deepEqual(ww.shape, c.weights.shape);
      close(ww, c.weights.values, "weights");
      loss = loss.add(ww.mul(sinVals(ww.shape, 398 + idx)).sum());
    }
    loss.backward();
    c.grads.forEach((g, i) => {
      if (g === null) assert.equal(xs[i].grad, null, `grad of input ${i}`);
      else close(xs[i].grad as Tensor, g, `grad of input ${i}`);
    });
  });
});

/** The fixture's deterministic values: sin(1 + 7k + 1.3i), float32. */
function sinVals(shape: number[], k: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => Math.sin(1 + 7 * k + 1.3 * i));
  return torch.tensor(v).reshape(shape);
}
