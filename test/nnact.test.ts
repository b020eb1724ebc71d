/**
 * Issue 11's activations, normalisation, dropout and embedding bag (h-nnact) against PyTorch
 * 1.13 (test/fixtures/nnact.json, from scripts/fixtures/nnact_fx.py): every functional case
 * (values, grad_fn names, gradients; random ones seeded as in PyTorch, so masks and draws are
 * PyTorch's), every module (seeded construction, repr, state dict, training forward and
 * gradients, eval forward), PyTorch's errors for bad calls (inputs unchanged), positional and
 * options forms of the constructors, float64 gradchecks of the new derivatives.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import * as nn from "../src/nn/index.js";
import { fromFlatRec, readFixture, type FlatRec } from "./helpers/fixtures.js";

const F = nn.functional;

interface OpCase {
  name: string;
  seed: number | null;
  inputs: Record<string, FlatRec>;
  outputs: FlatRec[];
  gradFns: (string | null)[];
  weights: (number[] | null)[];
  grads: Record<string, number[]>;
}

interface ModuleCase {
  name: string;
  repr: string;
  state: [string, FlatRec][];
  inputs: FlatRec[];
  train: {
    output: FlatRec;
    gradFn: string | null;
    weight: number[];
    inputGrads: (number[] | null)[];
    paramGrads: [string, number[]][];
    buffers: [string, FlatRec][];
  };
  eval: FlatRec;
}

interface ErrorCase {
  name: string;
  type: string;
  message: string;
}

const fx = readFixture<{
  ops: OpCase[];
  modules: ModuleCase[];
  errors: ErrorCase[];
  convert: { repr: string; state: [string, FlatRec][]; shared: boolean };
}>("nnact.json");

function values(t: Tensor): number[] {
  return (t.detach().contiguous().reshape([-1]).tolist() as (number | boolean)[]).map(Number);
}

function close(actual: Tensor, expected: FlatRec | number[], what: string, rtol = 1e-4): void {
  const exp = Array.isArray(expected) ? expected : expected.values;
  const a = values(actual);
  assert.equal(a.length, exp.length, `${what}: ${a.length} values, expected ${exp.length}`);
  for (let i = 0; i < a.length; i++) {
    const e = exp[i] === "nan" ? NaN : Number(exp[i]);
    if (Number.isNaN(e) && Number.isNaN(a[i])) continue;
    if (!(Math.abs(a[i] - e) <= 1e-5 + rtol * Math.abs(e)))
      assert.fail(`${what}[${i}]: ${a[i]} vs PyTorch ${e}`);
  }
}

const long = torch.int64;

// ---------------------------------------------------------------------------------------------
// functional cases, written with tensorgrad's API (positional and options forms)

type In = Record<string, Tensor>;
type Out = Tensor | Tensor[];
const OPS: Record<string, (i: In) => Out> = {
  "F.threshold": ({ x }) => F.threshold(x, 0.1, 20.0),
  "torch.threshold": ({ x }) => torch.threshold(x, -0.2, -1.0),
  "F.threshold inplace": ({ x }) => F.threshold(x.mul(1), 0.1, 2.0, { inplace: true }),
  "torch.threshold_": ({ x }) => torch.threshold_(x.mul(1), 0.1, 2.0),
  "F.threshold_": ({ x }) => F.threshold_(x.mul(1), 0.3, -2.0),
  "F.glu": ({ x }) => F.glu(x),
  "F.glu dim 0": ({ x }) => F.glu(x, { dim: 0 }),
  "F.hardshrink": ({ x }) => F.hardshrink(x, 0.3),
  "torch.hardshrink": ({ x }) => torch.hardshrink(x),
  "Tensor.hardshrink": ({ x }) => x.hardshrink({ lambd: 0.6 }),
  "F.softshrink": ({ x }) => F.softshrink(x, { lambd: 0.3 }),
  "F.tanhshrink": ({ x }) => F.tanhshrink(x),
  "F.prelu shared": ({ x, w }) => F.prelu(x, w),
  "F.prelu channels": ({ x, w }) => F.prelu(x, { weight: w }),
  "torch.prelu 2d": ({ x, w }) => torch.prelu(x, w),
  "Tensor.prelu": ({ x, w }) => x.prelu(w),
  "F.rrelu eval": ({ x }) => F.rrelu(x, 0.1, 0.3),
  "F.rrelu training": ({ x }) => F.rrelu(x, 0.1, 0.3, true),
  "torch.rrelu training": ({ x }) => torch.rrelu(x, { training: true }),
  "torch.rrelu_ training": ({ x }) => torch.rrelu_(x.mul(1), 0.2, 0.5, true),
  "F.rrelu inplace": ({ x }) => F.rrelu(x.mul(1), { training: true, inplace: true }),
  "F.rrelu_": ({ x }) => F.rrelu_(x.mul(1)),
  "torch.celu": ({ x }) => torch.celu(x, 0.7),
  "torch.celu_": ({ x }) => torch.celu_(x.mul(1), { alpha: 0.7 }),
  "F.celu_": ({ x }) => F.celu_(x.mul(1)),
  "F.celu inplace": ({ x }) => F.celu(x.mul(1), 1.5, true),
  "torch.selu": ({ x }) => torch.selu(x),
  "torch.selu_": ({ x }) => torch.selu_(x.mul(1)),
  "F.selu inplace": ({ x }) => F.selu(x.mul(1), true),
  "torch.relu_": ({ x }) => torch.relu_(x.mul(1)),
  "F.relu_": ({ x }) => F.relu_(x.mul(1)),
  "F.elu_": ({ x }) => F.elu_(x.mul(1), 0.5),
  "F.elu inplace": ({ x }) => F.elu(x.mul(1), 0.5, true),
  "F.leaky_relu_": ({ x }) => F.leakyRelu_(x.mul(1), 0.2),
  "F.leaky_relu inplace": ({ x }) => F.leakyRelu(x.mul(1), 0.2, { inplace: true }),
  "F.hardtanh_": ({ x }) => F.hardtanh_(x.mul(1), -0.5, 0.5),
  "F.gumbel_softmax": ({ x }) => F.gumbelSoftmax(x, { tau: 0.5 }),
  "F.gumbel_softmax hard": ({ x }) => F.gumbelSoftmax(x, { hard: true, dim: 0 }),
  "torch.dropout": ({ x }) => torch.dropout(x, 0.3, true),
  "torch.dropout_": ({ x }) => torch.dropout_(x.mul(1), 0.3, true),
  "torch.feature_dropout": ({ x }) => torch.featureDropout(x, 0.4, true),
  "torch.alpha_dropout": ({ x }) => torch.alphaDropout(x, { p: 0.3, train: true }),
  "torch.alpha_dropout_": ({ x }) => torch.alphaDropout_(x.mul(1), 0.3, true),
  "torch.feature_alpha_dropout": ({ x }) => torch.featureAlphaDropout(x, 0.5, true),
  "F.alpha_dropout": ({ x }) => F.alphaDropout(x, 0.2, true),
  "F.alpha_dropout eval": ({ x }) => F.alphaDropout(x, 0.2),
  "F.alpha_dropout p=1": ({ x }) => F.alphaDropout(x, { p: 1.0, training: true }),
  "F.feature_alpha_dropout": ({ x }) => F.featureAlphaDropout(x, 0.5, true),
  "F.dropout1d": ({ x }) => F.dropout1d(x, 0.5),
  "F.dropout1d unbatched": ({ x }) => F.dropout1d(x, { p: 0.5 }),
  "F.dropout2d": ({ x }) => F.dropout2d(x, 0.3),
  "F.dropout2d eval": ({ x }) => F.dropout2d(x, 0.3, false),
  "F.dropout3d": ({ x }) => F.dropout3d(x, 0.6),
  "F.dropout3d unbatched": ({ x }) => F.dropout3d(x, 0.6),
  "F.alpha_dropout float64": ({ x }) => F.alphaDropout(x.double(), 0.4, true),
  "F.dropout2d float64": ({ x }) => F.dropout2d(x.double(), 0.5),
  "F.instance_norm": ({ x }) => F.instanceNorm(x),
  "F.instance_norm affine": ({ x, w, b }) => F.instanceNorm(x, { weight: w, bias: b, eps: 1e-3 }),
  "F.instance_norm running": ({ x, rm, rv }) => [
    F.instanceNorm(x, rm, rv.abs_(), { momentum: 0.3 }),
    rm,
    rv,
  ],
  "F.instance_norm eval": ({ x, rm, rv, w }) =>
    F.instanceNorm(x, rm, rv.abs_(), w, { useInputStats: false }),
  "torch.instance_norm": ({ x, w, b }) =>
    torch.instanceNorm(x, w, b, null, null, true, 0.1, 1e-5, false),
  "F.local_response_norm 3d": ({ x }) => F.localResponseNorm(x, 3),
  "F.local_response_norm 4d": ({ x }) =>
    F.localResponseNorm(x, 2, { alpha: 1e-2, beta: 0.5, k: 2.0 }),
  "F.local_response_norm 5d": ({ x }) => F.localResponseNorm(x, 4, 0.1),
  "F.embedding_bag mean": ({ w, i, o }) => F.embeddingBag(i, w, o),
  "F.embedding_bag sum": ({ w, i, o }) => F.embeddingBag(i, w, o, { mode: "sum" }),
  "F.embedding_bag max": ({ w, i, o }) => F.embeddingBag(i, w, o, { mode: "max" }),
  "F.embedding_bag 2d": ({ w, i }) => F.embeddingBag(i, w, { mode: "sum" }),
  "F.embedding_bag padding_idx mean": ({ w, i, o }) => F.embeddingBag(i, w, o, { paddingIdx: 2 }),
  "F.embedding_bag padding_idx max": ({ w, i, o }) =>
    F.embeddingBag(i, w, o, { mode: "max", paddingIdx: -4 }),
  "F.embedding_bag per_sample_weights": ({ w, i, o, p }) =>
    F.embeddingBag(i, w, o, { mode: "sum", perSampleWeights: p }),
  "F.embedding_bag include_last_offset": ({ w, i, o }) =>
    F.embeddingBag(i, w, o, { includeLastOffset: true }),
  "F.embedding_bag scale_grad_by_freq": ({ w, i, o }) =>
    F.embeddingBag(i, w, o, { mode: "sum", scaleGradByFreq: true }),
  "F.embedding_bag scale_grad_by_freq mean padding": ({ w, i, o }) =>
    F.embeddingBag(i, w, o, { scaleGradByFreq: true, paddingIdx: 2 }),
  "F.embedding_bag max_norm": ({ w, i, o }) => [F.embeddingBag(i, w.mul_(3), o, 1.5), w],
  "torch.embedding_bag max": ({ w, i, o }) => torch.embeddingBag(w, i, o, false, 2),
  "torch.embedding_bag mean padding": ({ w, i, o }) =>
    torch.embeddingBag(w, i, o, false, 1, false, null, false, 2),
  "torch.embedding_bag sum": ({ w, i, o }) => torch.embeddingBag(w, i, o),
  "F.embedding_bag float64": ({ w, i, o }) => F.embeddingBag(i, w.double(), o, { mode: "sum" }),
};

test("every functional case of the fixture has a twin here", () => {
  assert.deepEqual(
    fx.ops.map((c) => c.name),
    Object.keys(OPS),
  );
});

for (const c of fx.ops) {
  test(`${c.name} matches PyTorch (values, grad_fn, gradients)`, () => {
    const inputs: In = {};
    for (const [k, r] of Object.entries(c.inputs))
      inputs[k] = fromFlatRec(r, r.dtype !== "int64" && k in c.grads);
    if (c.seed !== null) torch.manualSeed(c.seed);
    const r = OPS[c.name](inputs);
    const outs = Array.isArray(r) ? r : [r];
    assert.equal(outs.length, c.outputs.length);
    let loss: Tensor | null = null;
    outs.forEach((o, j) => {
      assert.deepEqual(o.shape, c.outputs[j].shape, `shape of output ${j}`);
      assert.equal(o.dtype.name, c.outputs[j].dtype, `dtype of output ${j}`);
      close(o, c.outputs[j], `output ${j}`);
      assert.equal(o.gradFn?.name() ?? null, c.gradFns[j], `grad_fn of output ${j}`);
      const w = c.weights[j];
      if (w !== null) {
        const term = o.mul(torch.tensor(w, { dtype: o.dtype }).reshape(o.shape)).sum();
        loss = loss === null ? term : loss.add(term);
      }
    });
    if (loss !== null) (loss as Tensor).backward();
    for (const [k, g] of Object.entries(c.grads))
      close(inputs[k].grad as Tensor, g, `grad of ${k}`, 1e-3);
  });
}

// ---------------------------------------------------------------------------------------------
// modules

const f64 = torch.float64;
const MODULES: Record<string, () => nn.Module> = {
  "Threshold(0.1, 20.0)": () => new nn.Threshold(0.1, 20.0),
  "Threshold(0.5, -1.0, inplace=True)": () => new nn.Threshold(0.5, -1.0, { inplace: true }),
  "GLU()": () => new nn.GLU(),
  "GLU(0)": () => new nn.GLU(0),
  "Hardshrink()": () => new nn.Hardshrink(),
  "Hardshrink(0.3)": () => new nn.Hardshrink({ lambd: 0.3 }),
  "Softshrink(0.2)": () => new nn.Softshrink(0.2),
  "Tanhshrink()": () => new nn.Tanhshrink(),
  "PReLU()": () => new nn.PReLU(),
  "PReLU(3, 0.1)": () => new nn.PReLU(3, 0.1),
  "PReLU(num_parameters=2, dtype=float64)": () => new nn.PReLU({ numParameters: 2, dtype: f64 }),
  "RReLU()": () => new nn.RReLU(),
  "RReLU(0.1, 0.3, inplace=True)": () => new nn.RReLU(0.1, 0.3, true),
  "CELU()": () => new nn.CELU(),
  "CELU(2.0, inplace=True)": () => new nn.CELU(2.0, { inplace: true }),
  "Hardsigmoid()": () => new nn.Hardsigmoid(),
  "Hardswish(inplace=True)": () => new nn.Hardswish(true),
  "Softmax2d()": () => new nn.Softmax2d(),
  "Dropout1d()": () => new nn.Dropout1d(),
  "Dropout2d(0.2)": () => new nn.Dropout2d(0.2),
  "Dropout3d(p=0.4, inplace=True)": () => new nn.Dropout3d({ p: 0.4, inplace: true }),
  "AlphaDropout(0.3)": () => new nn.AlphaDropout(0.3),
  "FeatureAlphaDropout(0.3)": () => new nn.FeatureAlphaDropout(0.3),
  "InstanceNorm1d(3)": () => new nn.InstanceNorm1d(3),
  "InstanceNorm1d(3) unbatched": () => new nn.InstanceNorm1d(3),
  "InstanceNorm2d(3, affine=True)": () => new nn.InstanceNorm2d(3, { affine: true }),
  "InstanceNorm2d(3, track_running_stats=True, momentum=0.3)": () =>
    new nn.InstanceNorm2d(3, { trackRunningStats: true, momentum: 0.3 }),
  "InstanceNorm3d(2, eps=0.001, affine=True, track_running_stats=True)": () =>
    new nn.InstanceNorm3d(2, 0.001, 0.1, true, true),
  "BatchNorm3d(2)": () => new nn.BatchNorm3d(2),
  "BatchNorm3d(3, momentum=None, affine=False)": () =>
    new nn.BatchNorm3d(3, { momentum: null, affine: false }),
  "SyncBatchNorm(3)": () => new nn.SyncBatchNorm(3),
  "LocalResponseNorm(2)": () => new nn.LocalResponseNorm(2),
  "LocalResponseNorm(3, alpha=0.01, beta=0.5, k=2.0)": () =>
    new nn.LocalResponseNorm(3, { alpha: 0.01, beta: 0.5, k: 2.0 }),
  "CrossMapLRN2d(3)": () => new nn.CrossMapLRN2d(3),
  "CrossMapLRN2d(2, alpha=0.01, beta=0.5, k=2.0)": () =>
    new nn.CrossMapLRN2d(2, { alpha: 0.01, beta: 0.5, k: 2.0 }),
  "CrossMapLRN2d(5, k=1.5)": () => new nn.CrossMapLRN2d(5, { k: 1.5 }),
  "EmbeddingBag(6, 3)": () => new nn.EmbeddingBag(6, 3),
  "EmbeddingBag(6, 3, mode='max', padding_idx=2)": () =>
    new nn.EmbeddingBag(6, 3, { mode: "max", paddingIdx: 2 }),
  "EmbeddingBag(6, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, mode='sum')": () =>
    new nn.EmbeddingBag(6, 3, 1.0, 1.0, true, "sum"),
  "EmbeddingBag(6, 3, mode='sum', include_last_offset=True)": () =>
    new nn.EmbeddingBag(6, 3, { mode: "sum", includeLastOffset: true }),
  "EmbeddingBag.from_pretrained": () => {
    const v = Array.from({ length: 10 }, (_, i) => Math.sin(1 + 7 * 77 + 1.3 * i));
    return nn.EmbeddingBag.fromPretrained(torch.tensor(v).reshape(5, 2), {
      freeze: false,
      mode: "sum",
      paddingIdx: 1,
    });
  },
};

test("every module case of the fixture has a twin here", () => {
  assert.deepEqual(
    fx.modules.map((c) => c.name),
    Object.keys(MODULES),
  );
});

for (const c of fx.modules) {
  test(`nn.${c.name}: seeded init, repr, state dict, train and eval forwards match PyTorch`, () => {
    torch.manualSeed(0);
    const m = MODULES[c.name]();
    if (c.name !== "SyncBatchNorm(3)") assert.equal(String(m), c.repr);
    else assert.equal(String(m), c.repr); // the stand-in prints PyTorch's repr too
    const state = m.stateDict();
    assert.deepEqual(
      Object.keys(state),
      c.state.map(([k]) => k),
    );
    for (const [k, r] of c.state) close(state[k], r, `state ${k}`, 1e-6);
    const xs = c.inputs.map((r) => fromFlatRec(r, r.dtype !== "int64"));
    const inplace = /inplace=True/.test(c.name);
    m.train();
    torch.manualSeed(1);
    const y = (m as unknown as { call(...a: Tensor[]): Tensor }).call(
      ...xs.map((x) => (inplace ? x.mul(1) : x)),
    );
    close(y, c.train.output, "train output");
    assert.equal(y.gradFn?.name() ?? null, c.train.gradFn);
    y.mul(torch.tensor(c.train.weight, { dtype: y.dtype }).reshape(y.shape))
      .sum()
      .backward();
    c.train.inputGrads.forEach((g, j) => {
      if (g !== null) close(xs[j].grad as Tensor, g, `input grad ${j}`, 1e-3);
    });
    const params = Object.fromEntries(m.namedParameters());
    assert.deepEqual(
      c.train.paramGrads.map(([k]) => k),
      Object.keys(params).filter((k) => params[k].grad !== null),
    );
    for (const [k, g] of c.train.paramGrads) close(params[k].grad as Tensor, g, `grad ${k}`, 1e-3);
    const buffers = Object.fromEntries(m.namedBuffers());
    for (const [k, r] of c.train.buffers) close(buffers[k], r, `buffer ${k}`, 1e-5);
    m.eval();
    torch.manualSeed(2);
    const ye = torch.noGrad(() =>
      (m as unknown as { call(...a: Tensor[]): Tensor }).call(...xs.map((x) => x.detach().clone())),
    );
    close(ye, c.eval, "eval output");
  });
}

// ---------------------------------------------------------------------------------------------
// errors: PyTorch's class and message; the inputs unchanged

const ones = (...s: number[]) => torch.ones(s);
const lones = (...s: number[]) => torch.ones(s, { dtype: long });
const li = (...v: number[]) => torch.tensor(v, { dtype: long });
const ERRORS: Record<string, { inputs?: () => Tensor[]; call: (...t: Tensor[]) => unknown }> = {
  "F.glu scalar": { call: () => F.glu(torch.tensor(1.0)) },
  "F.glu odd": { inputs: () => [ones(3, 3)], call: (x) => F.glu(x) },
  "F.glu int": { call: () => F.glu(lones(2, 2)) },
  "torch.hardshrink int": { call: () => torch.hardshrink(lones(2)) },
  "F.softshrink negative": { inputs: () => [ones(2)], call: (x) => F.softshrink(x, -0.5) },
  "F.prelu zero-dim": { call: () => F.prelu(torch.tensor(1.0), ones(2)) },
  "F.prelu mismatch": { call: () => F.prelu(ones(2, 8, 3), ones(9)) },
  "F.prelu weight 2d": { call: () => F.prelu(ones(2, 8, 3), ones(2, 4)) },
  "F.prelu int": { call: () => F.prelu(lones(3), lones(1)) },
  "F.rrelu bounds": { inputs: () => [ones(2)], call: (x) => F.rrelu(x, 0.3, 0.1) },
  "F.dropout1d 4d": { call: () => F.dropout1d(ones(2, 2, 2, 2)) },
  "F.dropout2d p": { inputs: () => [ones(2, 2, 2)], call: (x) => F.dropout2d(x, 1.5) },
  "F.alpha_dropout p": { call: () => F.alphaDropout(ones(2, 2), -0.5) },
  "torch.dropout p": { inputs: () => [ones(2)], call: (x) => torch.dropout(x, 1.5, true) },
  "torch.feature_dropout 1d": { call: () => torch.featureDropout(ones(3), 0.5, true) },
  "F.instance_norm spatial": { call: () => F.instanceNorm(ones(2, 3, 1)) },
  "F.instance_norm eval without stats": {
    call: () => F.instanceNorm(ones(2, 3, 4), { useInputStats: false }),
  },
  "F.local_response_norm 2d": { call: () => F.localResponseNorm(ones(2, 3), 2) },
  "InstanceNorm1d 4d": { call: () => new nn.InstanceNorm1d(3).call(ones(2, 3, 4, 5)) },
  "InstanceNorm2d 2d": { call: () => new nn.InstanceNorm2d(3).call(ones(2, 3)) },
  "BatchNorm3d 4d": { call: () => new nn.BatchNorm3d(3).call(ones(2, 3, 4, 5)) },
  "CrossMapLRN2d 3d": { call: () => new nn.CrossMapLRN2d(3).call(ones(2, 3, 4)) },
  "Dropout2d p": { call: () => new nn.Dropout2d(2) },
  "Softmax2d 2d": { call: () => new nn.Softmax2d().call(ones(2, 2)) },
  "Threshold missing": { call: () => new nn.Threshold() },
  "Threshold too many": {
    call: () => new (nn.Threshold as unknown as new (...a: unknown[]) => nn.Module)(1, 2, true, 4),
  },
  "EmbeddingBag padding_idx": { call: () => new nn.EmbeddingBag(5, 2, { paddingIdx: 7 }) },
  "F.embedding_bag 2d offsets": { call: () => F.embeddingBag(lones(2, 2), ones(5, 2), li(0)) },
  "F.embedding_bag no offsets": { call: () => F.embeddingBag(lones(2), ones(5, 2)) },
  "F.embedding_bag 3d": { call: () => F.embeddingBag(lones(1, 2, 2), ones(5, 2)) },
  "F.embedding_bag mode": {
    call: () => F.embeddingBag(lones(1, 2), ones(5, 2), { mode: "min" as "sum" }),
  },
  "F.embedding_bag max freq": {
    call: () => F.embeddingBag(lones(1, 2), ones(5, 2), { mode: "max", scaleGradByFreq: true }),
  },
  "F.embedding_bag psw mean": {
    call: () => F.embeddingBag(lones(1, 2), ones(5, 2), { perSampleWeights: ones(1, 2) }),
  },
  "F.embedding_bag psw shape": {
    call: () => F.embeddingBag(lones(1, 2), ones(5, 2), { mode: "sum", perSampleWeights: ones(2) }),
  },
  "F.embedding_bag index float32": {
    inputs: () => [ones(5, 2).requiresGrad_()],
    call: (w) => F.embeddingBag(li(1, 7), w, li(0)),
  },
  "F.embedding_bag index max": {
    call: () => F.embeddingBag(li(1, 7), ones(5, 2), li(0), { mode: "max" }),
  },
  "F.embedding_bag offsets[0]": { call: () => F.embeddingBag(li(1, 2), ones(5, 2), li(1)) },
  "F.embedding_bag offsets[-1]": { call: () => F.embeddingBag(li(1, 2), ones(5, 2), li(0, 3)) },
  "F.embedding_bag float indices": {
    call: () => F.embeddingBag(torch.tensor([1.0, 2.0]), ones(5, 2), li(0)),
  },
  "torch.embedding_bag padding_idx": {
    call: () => torch.embeddingBag(ones(5, 2), li(1, 2), li(0), false, 0, false, null, false, 9),
  },
};

test("every error case of the fixture has a twin here", () => {
  assert.deepEqual(
    fx.errors.map((c) => c.name),
    Object.keys(ERRORS),
  );
});

for (const c of fx.errors) {
  test(`${c.name}: PyTorch's ${c.type}, inputs unchanged`, () => {
    const e = ERRORS[c.name];
    const inputs = e.inputs?.() ?? [];
    const before = inputs.map((t) => values(t));
    const versions = inputs.map((t) => t._version.value);
    assert.throws(
      () => e.call(...inputs),
      (err: Error) => {
        assert.equal(err.constructor.name, c.type);
        assert.equal(err.message, c.message);
        return true;
      },
    );
    inputs.forEach((t, j) => {
      assert.deepEqual(values(t), before[j]);
      assert.equal(t._version.value, versions[j]);
      assert.equal(t.grad, null);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// float64 gradchecks of the new derivatives

const d64 = (shape: number[], k: number): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => Math.sin(1 + 7 * k + 1.3 * i));
  return torch.tensor(v, { dtype: torch.float64 }).reshape(shape).requiresGrad_();
};

test("gradcheck: glu, shrinks, threshold, prelu, rrelu (eval), instance and local response norm", () => {
  const { gradcheck } = torch.autograd;
  const x = d64([2, 3, 4], 1);
  gradcheck((x) => F.glu(x, { dim: 2 }), [x]);
  gradcheck((x) => F.softshrink(x, 0.3), [x]);
  gradcheck((x) => F.hardshrink(x, 0.3), [x]);
  gradcheck((x) => F.threshold(x, 0.2, -1), [x]);
  gradcheck((x, w) => F.prelu(x, w), [x, d64([3], 2)]);
  gradcheck((x, w) => F.prelu(x, w), [x, d64([1], 3)]);
  gradcheck((x) => F.rrelu(x, 0.1, 0.3), [x]);
  gradcheck((x, w, b) => F.instanceNorm(x, { weight: w, bias: b }), [x, d64([3], 4), d64([3], 5)]);
  gradcheck((x) => F.localResponseNorm(x, 3, { alpha: 0.5, beta: 0.75, k: 1.5 }), [x]);
});

test("gradcheck: embedding_bag weight and per-sample-weight gradients (sum, mean, max)", () => {
  const { gradcheck } = torch.autograd;
  const w = d64([6, 3], 1);
  const idx = li(1, 2, 4, 5, 4, 3, 2, 0);
  const off = li(0, 2, 2, 5);
  gradcheck((w) => F.embeddingBag(idx, w, off), [w]);
  gradcheck((w) => F.embeddingBag(idx, w, off, { mode: "max", paddingIdx: 3 }), [w]);
  gradcheck(
    (w, p) => F.embeddingBag(idx, w, off, { mode: "sum", perSampleWeights: p }),
    [w, d64([8], 2)],
  );
});

test("forward-mode AD of glu, shrinks, prelu and threshold equals finite differences", () => {
  const fwd = torch.autograd.forwardAd;
  const x = d64([2, 3, 4], 1).detach();
  const tx = d64([2, 3, 4], 3).detach();
  const w = d64([3], 5).detach();
  const fns: [string, (x: Tensor) => Tensor][] = [
    ["glu", (x) => F.glu(x, 1 - 1)],
    ["softshrink", (x) => F.softshrink(x, 0.3)],
    ["hardshrink", (x) => F.hardshrink(x, 0.3)],
    ["prelu", (x) => F.prelu(x, w)],
    ["threshold", (x) => F.threshold(x, 0.2, -1)],
  ];
  for (const [name, f] of fns) {
    const xx = name === "glu" ? x.reshape(4, 3, 2) : x;
    const txx = name === "glu" ? tx.reshape(4, 3, 2) : tx;
    const tangent = fwd.dualLevel(() => fwd.unpackDual(f(fwd.makeDual(xx, txx))).tangent) as Tensor;
    const eps = 1e-6;
    const fd = f(xx.add(txx.mul(eps)))
      .sub(f(xx.sub(txx.mul(eps))))
      .div(2 * eps);
    close(tangent, values(fd), `jvp of ${name}`, 1e-5);
  }
});

test("module constructors: positional, options object and mixed forms agree", () => {
  assert.equal(String(new nn.RReLU({ lower: 0.1, upper: 0.3 })), String(new nn.RReLU(0.1, 0.3)));
  assert.equal(String(new nn.RReLU(0.1, { upper: 0.3 })), String(new nn.RReLU(0.1, 0.3)));
  assert.equal(
    String(new nn.InstanceNorm1d({ numFeatures: 4, affine: true })),
    String(new nn.InstanceNorm1d(4, 1e-5, 0.1, true)),
  );
  assert.equal(
    String(new nn.EmbeddingBag({ numEmbeddings: 4, embeddingDim: 2, mode: "max" })),
    String(new nn.EmbeddingBag(4, 2, null, 2, false, "max")),
  );
  assert.throws(
    () => new nn.GLU({ dims: 1 } as unknown as { dim: number }),
    /GLU.__init__\(\) got an unexpected keyword argument 'dims'/,
  );
  assert.throws(
    () => new nn.Threshold(1, 2, { threshold: 3 } as unknown as { inplace: boolean }),
    /Threshold.__init__\(\) got multiple values for argument 'threshold'/,
  );
});

test("train/eval: RReLU draws only in training; dropout modules are the identity in eval", () => {
  const x = torch.linspace(-2, 2, 10);
  const r = new nn.RReLU(0.1, 0.3);
  r.eval();
  const slope = (0.1 + 0.3) / 2;
  close(r.call(x), values(torch.where(x.gt(0), x, x.mul(slope))), "RReLU eval");
  for (const m of [new nn.Dropout1d(), new nn.AlphaDropout(), new nn.FeatureAlphaDropout()]) {
    m.eval();
    const y = torch.ones(2, 3, 4);
    assert.equal(m.call(y), y);
  }
});

test("SyncBatchNorm.convertSyncBatchnorm replaces the batch norms, sharing parameters and buffers", () => {
  torch.manualSeed(0);
  const bn = new nn.BatchNorm1d(3);
  const m = new nn.Sequential(
    new nn.Linear(2, 3),
    bn,
    new nn.Sequential(new nn.BatchNorm2d(3, { affine: false }), new nn.InstanceNorm1d(3)),
  );
  const v = Array.from({ length: 12 }, (_, i) => Math.sin(1 + 7 * 1 + 1.3 * i));
  bn.call(torch.tensor(v).reshape(4, 3));
  const c = nn.SyncBatchNorm.convertSyncBatchnorm(m);
  assert.equal(String(c), fx.convert.repr);
  const state = c.stateDict();
  assert.deepEqual(
    Object.keys(state),
    fx.convert.state.map(([k]) => k),
  );
  for (const [k, r] of fx.convert.state) close(state[k], r, `state ${k}`, 1e-6);
  const converted = Object.fromEntries(c.namedModules())["1"] as nn.SyncBatchNorm;
  assert.ok(converted instanceof nn.SyncBatchNorm);
  assert.equal(converted.weight === bn.weight, fx.convert.shared);
});
