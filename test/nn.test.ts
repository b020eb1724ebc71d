/**
 * torch.nn against PyTorch 1.13 (test/fixtures/nn.json, made by scripts/fixtures/nn_fx.py):
 * every layer, activation and loss (outputs, grad_fn names, gradients w.r.t. inputs and
 * parameters), seeded default initialisation and torch.nn.init, module reprs, state-dict keys
 * and error messages; plus Module behaviour (registration, hooks, modes, containers) and
 * finite-difference checks of the new primitives' first and second derivatives.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { decodeNumber, fromFlatRec, readFixture, type NonFinite } from "./helpers/fixtures.js";

const nn = torch.nn;
const F = torch.nn.functional;

type Value = number | NonFinite;
interface Rec {
  shape: number[];
  dtype: "float32" | "float64" | "int64" | "bool";
  values: Value[];
  grad_fn: string | null;
  requires_grad?: boolean;
}
interface Case {
  name: string;
  inputs: Rec[];
  params: Record<string, Rec>;
  out: Rec;
  seed: number | null;
  weight: Rec | null;
  grads: Record<string, Rec | null>;
}
interface Fixture {
  cases: Case[];
  init: { name: string; seed: number; params: Record<string, Rec>; after: Rec }[];
  init_fns: { name: string; seed: number; shape: number[]; out: Rec }[];
  gains: Record<string, number>;
  reprs: Record<string, string>;
  param_repr: string;
  param_repr_nograd: string;
  state_keys: Record<string, [string, number[]][]>;
  errors: Record<string, { type: string; message: string }>;
  consts: { ce_w: Rec; bce_w: Rec };
}

const FX = readFixture<Fixture>("nn.json");

function values(t: Tensor): number[] {
  return (t.detach().contiguous().reshape(-1).tolist() as (number | boolean)[]).map(Number);
}

function close(
  actual: Tensor,
  expected: Rec,
  what: string,
  rtol = 2e-5,
  atol = 2e-6,
  checkGradFn = false,
): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  assert.equal(actual.dtype.name, expected.dtype, `${what}: dtype`);
  const a = values(actual);
  const e = expected.values.map(decodeNumber);
  for (let i = 0; i < e.length; i++) {
    const ok =
      (Number.isNaN(e[i]) && Number.isNaN(a[i])) ||
      a[i] === e[i] ||
      Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
    if (!ok) assert.fail(`${what}[${i}]: ${a[i]} vs PyTorch ${e[i]}`);
  }
  if (checkGradFn) {
    assert.equal(actual.gradFn?.name() ?? null, expected.grad_fn, `${what}: grad_fn`);
  }
}

const CE_W = fromFlatRec(FX.consts.ce_w);
const BCE_W = fromFlatRec(FX.consts.bce_w);

/** The Net of the fixture script. */
class Net extends nn.Module {
  fc1 = new nn.Linear(6, 8);
  act = new nn.GELU();
  drop = new nn.Dropout(0.1);
  fc2 = new nn.Linear(8, 3);
  override forward(x: Tensor): Tensor {
    return F.logSoftmax(this.fc2.call(this.drop.call(this.act.call(this.fc1.call(x)))), 1);
  }
}

class WithBuffers extends nn.Module {
  declare running: Tensor;
  declare scratch: Tensor;
  declare extra: torch.nn.Parameter | null;
  lin: torch.nn.Linear;
  scale: torch.nn.Parameter;
  constructor() {
    super();
    this.registerBuffer("running", torch.zeros(3));
    this.registerBuffer("scratch", torch.zeros(2), false);
    this.lin = new nn.Linear(3, 3);
    this.registerParameter("extra", null);
    this.scale = new nn.Parameter(torch.ones(1));
  }
  override forward(x: Tensor): Tensor {
    return this.lin.call(x).mul(this.scale);
  }
}

class Encoder extends nn.Module {
  layers = new nn.ModuleList([new nn.Linear(4, 4), new nn.Linear(4, 4)]);
  heads = new nn.ModuleDict({
    cls: new nn.Linear(4, 3),
    reg: new nn.Sequential(new nn.Linear(4, 1), new nn.Identity()),
  });
  norm_free = new nn.Sequential();
  override forward(x: Tensor): Tensor {
    return x;
  }
}

type M = torch.nn.Module;
type Fn = (m: M, ...inputs: Tensor[]) => Tensor;
const call: Fn = (m, ...xs) => m.call(...(xs as [Tensor])) as Tensor;

/** How each fixture case is built and run in tensorgrad (mirrors nn_fx.py). */
const CASES: Record<string, { build?: () => M; fn: Fn }> = {
  linear2d: { build: () => new nn.Linear(4, 3), fn: call },
  linear3d: { build: () => new nn.Linear(4, 3), fn: call },
  linear1d: { build: () => new nn.Linear(4, 3), fn: call },
  linear_nobias: { build: () => new nn.Linear(4, 3, { bias: false }), fn: call },
  linear3d_noncontig: {
    build: () => new nn.Linear(4, 3),
    fn: (m, x) => call(m, x.transpose(0, 1)),
  },
  bilinear: { build: () => new nn.Bilinear(3, 4, 2), fn: call },
  identity: { build: () => new nn.Identity(), fn: (m, x) => call(m, x).mul(1) },
  flatten: { build: () => new nn.Flatten(), fn: call },
  flatten_0_1: { build: () => new nn.Flatten(0, 1), fn: call },
  unflatten: { build: () => new nn.Unflatten(1, [2, 3]), fn: call },
  embedding: { build: () => new nn.Embedding(10, 3), fn: call },
  embedding_padding: { build: () => new nn.Embedding(10, 3, { paddingIdx: 2 }), fn: call },
  embedding_freq: { build: () => new nn.Embedding(10, 3, { scaleGradByFreq: true }), fn: call },
  embedding_max_norm: { build: () => new nn.Embedding(10, 3, { maxNorm: 1.0 }), fn: call },
  embedding_1d: { build: () => new nn.Embedding(10, 3), fn: call },
  relu: { build: () => new nn.ReLU(), fn: call },
  relu6: { build: () => new nn.ReLU6(), fn: call },
  leaky_relu: { build: () => new nn.LeakyReLU(), fn: call },
  leaky_relu_02: { build: () => new nn.LeakyReLU(0.2), fn: call },
  gelu: { build: () => new nn.GELU(), fn: call },
  gelu_tanh: { build: () => new nn.GELU({ approximate: "tanh" }), fn: call },
  silu: { build: () => new nn.SiLU(), fn: call },
  mish: { build: () => new nn.Mish(), fn: call },
  elu: { build: () => new nn.ELU(), fn: call },
  elu_07: { build: () => new nn.ELU(0.7), fn: call },
  selu: { build: () => new nn.SELU(), fn: call },
  tanh: { build: () => new nn.Tanh(), fn: call },
  sigmoid: { build: () => new nn.Sigmoid(), fn: call },
  logsigmoid: { build: () => new nn.LogSigmoid(), fn: call },
  softsign: { build: () => new nn.Softsign(), fn: call },
  hardtanh: { build: () => new nn.Hardtanh(-0.5, 1.5), fn: call },
  softmax: { build: () => new nn.Softmax(1), fn: call },
  softmax_0: { build: () => new nn.Softmax({ dim: 0 }), fn: call },
  softmin: { build: () => new nn.Softmin(1), fn: call },
  log_softmax: { build: () => new nn.LogSoftmax(1), fn: call },
  softplus: { build: () => new nn.Softplus(), fn: call },
  softplus_b2_t1: { build: () => new nn.Softplus(2, 1), fn: call },
  f_celu: { fn: (_m, x) => F.celu(x, 0.5) },
  f_hardswish: { fn: (_m, x) => F.hardswish(x) },
  f_hardsigmoid: { fn: (_m, x) => F.hardsigmoid(x) },
  f_normalize: { fn: (_m, x) => F.normalize(x, 2, 1) },
  f_normalize_p1_d0: { fn: (_m, x) => F.normalize(x, 1, 0) },
  f_cosine_similarity: { fn: (_m, a, b) => F.cosineSimilarity(a, b) },
  f_linear_nobias_3d: { fn: (_m, x, w) => F.linear(x, w) },
  f_bilinear_3d: { fn: (_m, a, b, w, bias) => F.bilinear(a, b, w, bias) },
  f_one_hot: { fn: (_m, i) => F.oneHot(i, 6) },
  dropout: { build: () => new nn.Dropout(0.3), fn: call },
  dropout_f_05: { fn: (_m, x) => F.dropout(x, 0.5) },
  dropout_p1: { fn: (_m, x) => F.dropout(x, 1.0) },
  dropout_eval: { build: () => new nn.Dropout(0.3).eval(), fn: (m, x) => call(m, x).mul(1) },
  dropout_f64: { fn: (_m, x) => F.dropout(x, 0.2) },
  smooth_l1_beta05: { fn: (_m, a, b) => F.smoothL1Loss(a, b, { beta: 0.5 }) },
  smooth_l1_beta0: { fn: (_m, a, b) => F.smoothL1Loss(a, b, { beta: 0.0 }) },
  mse_broadcast: { fn: (_m, a, b) => F.mseLoss(a, b) },
  bce_weight: { fn: (_m, a, b) => F.binaryCrossEntropy(a, b, { weight: BCE_W }) },
  bce_logits_weight: { fn: (_m, a, b) => F.binaryCrossEntropyWithLogits(a, b, { weight: BCE_W }) },
  bce_logits_pos_weight: {
    fn: (_m, a, b) => F.binaryCrossEntropyWithLogits(a, b, { posWeight: BCE_W }),
  },
  kl_div_batchmean: {
    fn: (_m, a, b) => F.klDiv(F.logSoftmax(a, 1), b, { reduction: "batchmean" }),
  },
  kl_div_log_target: {
    fn: (_m, a, b) => F.klDiv(F.logSoftmax(a, 1), b, { reduction: "batchmean", logTarget: true }),
  },
  ce_ignore: { fn: (_m, a, b) => F.crossEntropy(a, b, { ignoreIndex: 2 }) },
  ce_prob_ls_weight: {
    fn: (_m, a, b) => F.crossEntropy(a, b, { weight: CE_W, labelSmoothing: 0.3 }),
  },
  nll_weight_ignore: { fn: (_m, a, b) => F.nllLoss(a, b, { weight: CE_W, ignoreIndex: 0 }) },
  ce_1d: { fn: (_m, a, b) => F.crossEntropy(a, b) },
  ce_3d: { fn: (_m, a, b) => F.crossEntropy(a, b, { weight: CE_W }) },
  ce_4d_none: { fn: (_m, a, b) => F.crossEntropy(a, b, { reduction: "none" }) },
  m_cross_entropy: {
    build: () => new nn.CrossEntropyLoss({ weight: CE_W, labelSmoothing: 0.05 }),
    fn: (m, a, b) => (m as torch.nn.CrossEntropyLoss).call(a, b),
  },
  m_nll: { build: () => new nn.NLLLoss({ ignoreIndex: 1 }), fn: (m, a, b) => lossCall(m, a, b) },
  m_mse: { build: () => new nn.MSELoss({ reduction: "sum" }), fn: (m, a, b) => lossCall(m, a, b) },
  m_bce_logits: {
    build: () => new nn.BCEWithLogitsLoss({ posWeight: BCE_W }),
    fn: (m, a, b) => lossCall(m, a, b),
  },
  m_bce: { build: () => new nn.BCELoss({ weight: BCE_W }), fn: (m, a, b) => lossCall(m, a, b) },
  m_kl: {
    build: () => new nn.KLDivLoss({ reduction: "batchmean", logTarget: true }),
    fn: (m, a, b) => lossCall(m, a, b),
  },
  m_smooth_l1: {
    build: () => new nn.SmoothL1Loss({ beta: 0.3 }),
    fn: (m, a, b) => lossCall(m, a, b),
  },
  m_huber: { build: () => new nn.HuberLoss({ delta: 1.5 }), fn: (m, a, b) => lossCall(m, a, b) },
  m_l1: { build: () => new nn.L1Loss(), fn: (m, a, b) => lossCall(m, a, b) },
  net_eval: { build: () => new Net().eval(), fn: call },
  net_train: { build: () => new Net(), fn: call },
  sequential: {
    build: () =>
      new nn.Sequential(new nn.Linear(5, 7), new nn.Tanh(), new nn.Linear(7, 2), new nn.Sigmoid()),
    fn: call,
  },
};

function lossCall(m: M, a: Tensor, b: Tensor): Tensor {
  return (m as unknown as { call(a: Tensor, b: Tensor): Tensor }).call(a, b);
}

type Red = "mean" | "sum" | "none";
for (const red of ["mean", "sum", "none"] as Red[]) {
  const r = { reduction: red };
  CASES[`mse_${red}`] = { fn: (_m, a, b) => F.mseLoss(a, b, r) };
  CASES[`l1_${red}`] = { fn: (_m, a, b) => F.l1Loss(a, b, r) };
  CASES[`smooth_l1_${red}`] = { fn: (_m, a, b) => F.smoothL1Loss(a, b, r) };
  CASES[`huber_${red}`] = { fn: (_m, a, b) => F.huberLoss(a, b, { ...r, delta: 0.7 }) };
  CASES[`bce_${red}`] = { fn: (_m, a, b) => F.binaryCrossEntropy(a, b, r) };
  CASES[`bce_logits_${red}`] = { fn: (_m, a, b) => F.binaryCrossEntropyWithLogits(a, b, r) };
  CASES[`kl_div_${red}`] = { fn: (_m, a, b) => F.klDiv(F.logSoftmax(a, 1), b, r) };
  CASES[`ce_${red}`] = { fn: (_m, a, b) => F.crossEntropy(a, b, r) };
  CASES[`ce_weight_${red}`] = { fn: (_m, a, b) => F.crossEntropy(a, b, { ...r, weight: CE_W }) };
  CASES[`ce_ls_${red}`] = {
    fn: (_m, a, b) => F.crossEntropy(a, b, { ...r, labelSmoothing: 0.2 }),
  };
  CASES[`ce_ls_weight_${red}`] = {
    fn: (_m, a, b) => F.crossEntropy(a, b, { ...r, weight: CE_W, labelSmoothing: 0.1 }),
  };
  CASES[`ce_prob_${red}`] = { fn: (_m, a, b) => F.crossEntropy(a, b, r) };
  CASES[`nll_${red}`] = { fn: (_m, a, b) => F.nllLoss(a, b, r) };
}

/** Cases whose grad_fn name differs from PyTorch's (composite in tensorgrad, or vice versa). */
const GRAD_FN_EXEMPT = new Set([
  // PyTorch: MulBackward1 (tensor * Python scalar) at the top of label smoothing
  "ce_ls_mean",
  "ce_ls_sum",
  "ce_ls_none",
  "ce_ls_weight_mean",
  "ce_ls_weight_sum",
  "ce_ls_weight_none",
  "m_cross_entropy",
  // PyTorch: DivBackward1 (division by a Python scalar)
  "ce_prob_mean",
  "ce_prob_ls_weight",
  "kl_div_batchmean",
  "kl_div_log_target",
  "m_kl",
  // PyTorch's nll_loss2d / view of nll_loss for >2-D inputs
  "ce_3d",
  "ce_4d_none",
  // composite in tensorgrad (PyTorch has dedicated kernels)
  "softsign",
  "mish",
  "f_hardswish",
  "f_hardsigmoid",
  "f_normalize",
  "f_normalize_p1_d0",
  "f_cosine_similarity",
  "f_bilinear_3d",
  "bilinear",
  "softmin",
  "flatten_0_1",
  "unflatten",
  "linear1d",
]);

/** Looser tolerances where float32 summation order differs (matmuls, reductions). */
const TOL: Record<string, [number, number]> = {};

for (const c of FX.cases) {
  test(`nn case ${c.name}`, () => {
    const spec = CASES[c.name];
    assert.ok(spec, `no tensorgrad spec for ${c.name}`);
    torch.manualSeed(0);
    const m = spec.build?.();
    if (m !== undefined) {
      torch.noGrad(() => {
        for (const [name, r] of Object.entries(c.params))
          m.getParameter(name).copy_(fromFlatRec(r));
      });
      assert.deepEqual(
        m.namedParameters().map(([n]) => n),
        Object.keys(c.params),
        "parameter names",
      );
    }
    const inputs = c.inputs.map((r) => fromFlatRec(r, r.requires_grad));
    if (c.seed !== null) torch.manualSeed(c.seed);
    const out = spec.fn(m as M, ...inputs);
    const [rtol, atol] = TOL[c.name] ?? [2e-5, 5e-6];
    close(out, c.out, "output", rtol, atol, !GRAD_FN_EXEMPT.has(c.name));
    if (c.weight !== null) {
      const targets: [string, Tensor][] = [];
      inputs.forEach((t, i) => {
        if (t.requiresGrad) targets.push([`input${i}`, t]);
      });
      if (m !== undefined)
        for (const [n, p] of m.namedParameters()) targets.push([`param:${n}`, p]);
      assert.deepEqual(
        targets.map(([k]) => k),
        Object.keys(c.grads),
      );
      const grads = torch.autograd.grad(
        out.mul(fromFlatRec(c.weight)).sum(),
        targets.map(([, t]) => t),
        { allowUnused: true },
      );
      targets.forEach(([k], i) => {
        const e = c.grads[k];
        if (e === null) assert.equal(grads[i], null, `${k} unused`);
        else close(grads[i] as Tensor, e, `grad ${k}`, rtol * 5, atol * 5);
      });
    }
  });
}

test("every fixture case has a spec and every spec a case", () => {
  const names = new Set(FX.cases.map((c) => c.name));
  for (const k of Object.keys(CASES)) assert.ok(names.has(k), `stale spec ${k}`);
});

// ---------------------------------------------------------------------------------------------
// initialisation

const INIT: Record<string, () => M> = {
  linear_3_2: () => new nn.Linear(3, 2),
  linear_20_32: () => new nn.Linear(20, 32),
  linear_nobias: () => new nn.Linear(5, 4, { bias: false }),
  linear_f64: () => new nn.Linear(4, 3, { dtype: torch.float64 }),
  bilinear: () => new nn.Bilinear(3, 4, 5),
  embedding: () => new nn.Embedding(10, 3, { paddingIdx: 1 }),
  embedding_big: () => new nn.Embedding(40, 5),
  mlp: () => new nn.Sequential(new nn.Linear(20, 32), new nn.ReLU(), new nn.Linear(32, 10)),
  net: () => new Net(),
};

for (const c of FX.init) {
  test(`default init after manualSeed: ${c.name} (bit-exact)`, () => {
    torch.manualSeed(c.seed);
    const m = INIT[c.name]();
    const after = torch.rand(3);
    const named = m.namedParameters();
    assert.deepEqual(
      named.map(([n]) => n),
      Object.keys(c.params),
    );
    for (const [n, p] of named) close(p, c.params[n], n, 0, 0);
    close(after, c.after, "generator state after construction", 0, 0);
  });
}

const INIT_FNS: Record<string, (t: Tensor) => Tensor> = {
  uniform: (t) => nn.init.uniform_(t, -0.3, 0.7),
  normal: (t) => nn.init.normal_(t, 0.5, 2.0),
  normal_small: (t) => nn.init.normal_(t, 0.0, 0.1),
  constant: (t) => nn.init.constant_(t, 0.25),
  ones: (t) => nn.init.ones_(t),
  zeros: (t) => nn.init.zeros_(t),
  eye: (t) => nn.init.eye_(t),
  xavier_uniform: (t) => nn.init.xavierUniform_(t),
  xavier_uniform_gain: (t) => nn.init.xavierUniform_(t, nn.init.calculateGain("relu")),
  xavier_normal: (t) => nn.init.xavierNormal_(t),
  xavier_uniform_conv: (t) => nn.init.xavierUniform_(t),
  kaiming_uniform: (t) => nn.init.kaimingUniform_(t),
  kaiming_uniform_relu_fan_out: (t) =>
    nn.init.kaimingUniform_(t, { mode: "fan_out", nonlinearity: "relu" }),
  kaiming_uniform_a: (t) => nn.init.kaimingUniform_(t, 0.2),
  kaiming_normal: (t) => nn.init.kaimingNormal_(t),
  kaiming_normal_relu_fan_out: (t) => nn.init.kaimingNormal_(t, 0, "fan_out", "relu"),
  kaiming_uniform_f64: (t) => nn.init.kaimingUniform_(t.double()),
};

for (const c of FX.init_fns) {
  test(`nn.init.${c.name} after manualSeed (bit-exact)`, () => {
    torch.manualSeed(c.seed);
    const t = torch.empty(c.shape);
    close(INIT_FNS[c.name](t), c.out, c.name, 0, 0);
  });
}

test("nn.init.calculateGain", () => {
  const args: Record<string, [torch.nn.init.Nonlinearity, number?]> = {
    linear: ["linear"],
    conv2d: ["conv2d"],
    sigmoid: ["sigmoid"],
    tanh: ["tanh"],
    relu: ["relu"],
    leaky_relu: ["leaky_relu"],
    leaky_relu_02: ["leaky_relu", 0.2],
    leaky_relu_sqrt5: ["leaky_relu", Math.sqrt(5)],
    selu: ["selu"],
  };
  for (const [k, v] of Object.entries(FX.gains)) {
    assert.equal(nn.init.calculateGain(...args[k]), v, k);
  }
  assert.throws(() => nn.init.calculateGain("bogus" as "relu"), /Unsupported nonlinearity bogus/);
});

// ---------------------------------------------------------------------------------------------
// reprs, state dict keys, errors

const REPRS: Record<string, () => M> = {
  linear: () => new nn.Linear(784, 256),
  linear_nobias: () => new nn.Linear(3, 2, { bias: false }),
  bilinear: () => new nn.Bilinear(2, 3, 4),
  mlp: () => new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10)),
  identity: () => new nn.Identity(),
  flatten: () => new nn.Flatten(),
  flatten_0_2: () => new nn.Flatten(0, 2),
  unflatten: () => new nn.Unflatten(1, [2, 5]),
  dropout: () => new nn.Dropout(),
  dropout_inplace: () => new nn.Dropout(0.25, true),
  embedding: () => new nn.Embedding(10, 3),
  embedding_opts: () =>
    new nn.Embedding(10, 3, { paddingIdx: 0, maxNorm: 1.0, scaleGradByFreq: true }),
  relu: () => new nn.ReLU(),
  relu_inplace: () => new nn.ReLU({ inplace: true }),
  relu6: () => new nn.ReLU6(),
  leaky_relu: () => new nn.LeakyReLU(),
  leaky_relu_02: () => new nn.LeakyReLU(0.2, { inplace: true }),
  gelu: () => new nn.GELU(),
  gelu_tanh: () => new nn.GELU("tanh"),
  silu: () => new nn.SiLU(),
  mish: () => new nn.Mish(),
  elu: () => new nn.ELU(),
  elu_05: () => new nn.ELU(0.5),
  selu: () => new nn.SELU(),
  tanh: () => new nn.Tanh(),
  sigmoid: () => new nn.Sigmoid(),
  logsigmoid: () => new nn.LogSigmoid(),
  hardtanh: () => new nn.Hardtanh(),
  softmax: () => new nn.Softmax(1),
  softmax_none: () => new nn.Softmax(),
  log_softmax: () => new nn.LogSoftmax(-1),
  softplus: () => new nn.Softplus(),
  softplus_2_10: () => new nn.Softplus(2, 10),
  mse_loss: () => new nn.MSELoss(),
  l1_loss: () => new nn.L1Loss(),
  smooth_l1_loss: () => new nn.SmoothL1Loss(),
  huber_loss: () => new nn.HuberLoss(),
  cross_entropy: () => new nn.CrossEntropyLoss({ labelSmoothing: 0.1 }),
  nll: () => new nn.NLLLoss(),
  bce: () => new nn.BCELoss(),
  bce_logits: () => new nn.BCEWithLogitsLoss({ posWeight: torch.ones(3) }),
  kl_div: () => new nn.KLDivLoss({ reduction: "batchmean" }),
  net: () => new Net(),
  with_buffers: () => new WithBuffers(),
  encoder: () => new Encoder(),
  module_list: () => new nn.ModuleList([new nn.ReLU(), new nn.Linear(2, 2)]),
  module_dict: () => new nn.ModuleDict({ a: new nn.ReLU(), b: new nn.Tanh() }),
  nested: () =>
    new nn.Sequential(new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU()), new nn.Linear(3, 1)),
  empty_sequential: () => new nn.Sequential(),
};

test("module reprs are PyTorch's", () => {
  for (const [k, expected] of Object.entries(FX.reprs)) {
    assert.ok(REPRS[k], `no spec for repr ${k}`);
    assert.equal(String(REPRS[k]()), expected, k);
  }
});

test("Parameter repr", () => {
  assert.equal(String(new nn.Parameter(torch.tensor([1.0, -2.5]))), FX.param_repr);
  assert.equal(String(new nn.Parameter(torch.tensor([[1.0], [2.0]]), false)), FX.param_repr_nograd);
});

const STATE: Record<string, () => M> = {
  mlp: REPRS.mlp,
  net: REPRS.net,
  with_buffers: REPRS.with_buffers,
  encoder: REPRS.encoder,
  cross_entropy_weight: () => new nn.CrossEntropyLoss({ weight: torch.ones(4) }),
  bce_logits: REPRS.bce_logits,
  embedding: REPRS.embedding,
  bilinear: REPRS.bilinear,
};

test("stateDict keys, order and shapes are PyTorch's", () => {
  for (const [k, expected] of Object.entries(FX.state_keys)) {
    const sd = STATE[k]().stateDict();
    assert.deepEqual(
      Object.entries(sd).map(([n, t]) => [n, t.shape]),
      expected,
      k,
    );
  }
});

function throwsFx(fn: () => unknown, key: string): void {
  const e = FX.errors[key];
  assert.throws(fn, (err: Error) => {
    assert.equal(err.message, e.message, key);
    return true;
  });
}

test("loadStateDict errors carry PyTorch's messages", () => {
  const lin = new nn.Linear(3, 2);
  const sd = lin.stateDict();
  const mlp = new nn.Sequential(new nn.Linear(3, 2), new nn.ReLU(), new nn.Linear(2, 1));
  const msd = mlp.stateDict();
  throwsFx(() => lin.loadStateDict({ weight: sd.weight }), "missing");
  throwsFx(
    () => lin.loadStateDict({ ...sd, foo: torch.zeros(1), "bar.baz": torch.zeros(1) }),
    "unexpected",
  );
  throwsFx(() => lin.loadStateDict({ weight: torch.zeros(2, 4), bias: sd.bias }), "size_mismatch");
  throwsFx(
    () =>
      mlp.loadStateDict({
        "0.weight": msd["0.weight"],
        "1.weight": msd["2.weight"],
        "2.bias": msd["2.bias"],
      }),
    "missing_and_unexpected",
  );
  throwsFx(
    () => mlp.loadStateDict({ "0.weight": msd["0.weight"], "0.bias": msd["0.bias"] }),
    "missing_nested",
  );
  const r = lin.loadStateDict({ weight: sd.weight, extra: torch.zeros(1) }, { strict: false });
  const nonStrict = FX.errors.non_strict as unknown as { missing: string[]; unexpected: string[] };
  assert.deepEqual(r.missingKeys, nonStrict.missing);
  assert.deepEqual(r.unexpectedKeys, nonStrict.unexpected);
});

test("argument errors carry PyTorch's messages", () => {
  throwsFx(() => new nn.Dropout(1.5), "dropout_p");
  throwsFx(() => F.dropout(torch.ones(2), -0.1), "f_dropout_p");
  throwsFx(() => new nn.Module().registerParameter("a.b", null), "param_dot");
  throwsFx(() => new nn.Linear(3, 2).registerParameter("forward", null), "param_exists");
  throwsFx(() => new nn.Module().registerBuffer("", null), "buffer_empty");
  throwsFx(() => new nn.Module().addModule("a.b", new nn.ReLU()), "module_dot");
  throwsFx(() => new nn.Module().call(torch.ones(1)), "forward_missing");
  throwsFx(
    () => F.nllLoss(torch.zeros(2, 3), torch.tensor([0, 3], { dtype: torch.int64 })),
    "nll_oob",
  );
  throwsFx(() => F.binaryCrossEntropy(torch.tensor([1.5]), torch.tensor([1.0])), "bce_range");
  throwsFx(() => F.binaryCrossEntropy(torch.rand(2, 3), torch.rand(3)), "bce_size");
  throwsFx(
    () => F.binaryCrossEntropyWithLogits(torch.rand(2, 3), torch.rand(3)),
    "bce_logits_size",
  );
  throwsFx(
    () => F.mseLoss(torch.rand(2), torch.rand(2), { reduction: "avg" as "mean" }),
    "reduction",
  );
  throwsFx(
    () => F.embedding(torch.tensor([5], { dtype: torch.int64 }), torch.rand(3, 2)),
    "embedding_oob",
  );
  throwsFx(() => new nn.Linear(3, 2).call(torch.rand(4, 5)), "linear_shape");
});

// ---------------------------------------------------------------------------------------------
// Module behaviour

test("fields register parameters and children in assignment order", () => {
  class M2 extends nn.Module {
    a = new nn.Parameter(torch.zeros(2));
    sub = new nn.Linear(2, 2);
    notAParam = torch.zeros(3);
    b: torch.nn.Parameter;
    constructor() {
      super();
      this.b = new nn.Parameter(torch.ones(1));
    }
  }
  const m = new M2();
  assert.deepEqual(
    m.namedParameters().map(([n]) => n),
    ["a", "b", "sub.weight", "sub.bias"],
  );
  assert.deepEqual(
    m.namedChildren().map(([n]) => n),
    ["sub"],
  );
  assert.equal(m.modules().length, 2);
  // replacing a child keeps its slot; a shared parameter is listed once
  const m3 = new M2();
  m3.sub = new nn.Linear(2, 5);
  m3.b = m3.a;
  assert.deepEqual(
    m3.namedParameters().map(([n, p]) => [n, p.shape]),
    [
      ["a", [2]],
      ["sub.weight", [5, 2]],
      ["sub.bias", [5]],
    ],
  );
  // a plain tensor where a parameter was registered: PyTorch's TypeError
  (m3 as unknown as { b: Tensor }).b = torch.zeros(1);
  assert.throws(() => m3.parameters(), /cannot assign 'torch.FloatTensor' as parameter 'b'/);
});

test("buffers: registration, persistence, to(dtype), stateDict/loadStateDict round trip", () => {
  const m = new WithBuffers();
  assert.deepEqual(
    m.namedBuffers().map(([n]) => n),
    ["running", "scratch"],
  );
  assert.deepEqual(Object.keys(m.stateDict()), ["scale", "running", "lin.weight", "lin.bias"]);
  const m2 = new WithBuffers();
  torch.noGrad(() => m.running.fill_(3));
  m2.loadStateDict(m.stateDict());
  assert.deepEqual(m2.running.tolist(), [3, 3, 3]);
  assert.deepEqual(m2.lin.weight.tolist(), m.lin.weight.tolist());
  const w = m.lin.weight;
  m.to(torch.float64);
  assert.equal(m.lin.weight, w, "the Parameter object is kept");
  assert.equal(w.dtype, torch.float64);
  assert.equal(m.running.dtype, torch.float64);
  assert.equal(m.call(torch.ones(2, 3, { dtype: torch.float64 })).dtype, torch.float64);
});

test("train/eval, requiresGrad_, zeroGrad, apply", () => {
  const net = new Net();
  assert.equal(net.training, true);
  net.eval();
  assert.equal(net.drop.training, false);
  net.train();
  assert.equal(net.fc1.training, true);
  net.call(torch.randn(2, 6)).sum().backward();
  net.zeroGrad();
  assert.equal(net.fc1.weight.grad?.abs().sum().item(), 0);
  net.zeroGrad({ setToNone: true });
  assert.equal(net.fc1.weight.grad, null);
  const seen: string[] = [];
  net.apply((m) => seen.push(m.constructor.name));
  assert.deepEqual(seen, ["Linear", "GELU", "Dropout", "Linear", "Net"]);
  net.requiresGrad_(false);
  assert.equal(net.fc2.weight.requiresGrad, false);
});

test("forward hooks and callable modules", () => {
  const lin = new nn.Linear(3, 2);
  const calls: number[][] = [];
  const h = lin.registerForwardHook((_m, _args, out: Tensor) => {
    calls.push(out.shape);
    return out.mul(0);
  });
  const pre = lin.registerForwardPreHook((_m, args: Tensor[]) => [args[0].mul(2)]);
  const y = lin.call(torch.ones(4, 3));
  assert.deepEqual(calls, [[4, 2]]);
  assert.deepEqual(y.tolist(), [
    [0, 0],
    [0, 0],
    [0, 0],
    [0, 0],
  ]);
  h.remove();
  pre.remove();
  const f = lin.callable();
  const x = torch.randn(2, 3);
  assert.deepEqual(f(x).tolist(), lin.forward(x).tolist());
  assert.ok(f instanceof nn.Linear);
  assert.equal(f.parameters().length, 2);
  assert.equal(String(f), "Linear(in_features=3, out_features=2, bias=True)");
});

test("containers: Sequential indexing and slicing, ModuleList, ModuleDict", () => {
  const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU(), new nn.Linear(3, 1));
  assert.ok(seq[0] instanceof nn.Linear);
  assert.ok(seq.get(-1) instanceof nn.Linear);
  assert.equal(seq.length, 3);
  assert.equal(
    String(seq.slice(1)),
    "Sequential(\n  (1): ReLU()\n  (2): Linear(in_features=3, out_features=1, bias=True)\n)",
  );
  seq.append(new nn.Sigmoid());
  assert.equal(seq.call(torch.ones(4, 2)).shape.join(), "4,1");
  const named = new nn.Sequential(
    new Map<string, M>([
      ["enc", new nn.Linear(2, 2)],
      ["act", new nn.Tanh()],
    ]),
  );
  assert.deepEqual(Object.keys(named.stateDict()), ["enc.weight", "enc.bias"]);
  const ml = new nn.ModuleList([new nn.ReLU(), new nn.Tanh(), new nn.Sigmoid()]);
  ml.delete(1);
  assert.deepEqual(
    ml.namedChildren().map(([n, m]) => [n, m.constructor.name]),
    [
      ["0", "ReLU"],
      ["1", "Sigmoid"],
    ],
  );
  ml.insert(0, new nn.Identity());
  assert.deepEqual(
    Array.from(ml, (m) => m.constructor.name),
    ["Identity", "ReLU", "Sigmoid"],
  );
  const md = new nn.ModuleDict({ b: new nn.ReLU(), a: new nn.Tanh() });
  assert.deepEqual(md.keys(), ["b", "a"]);
  assert.ok(md.get("a") instanceof nn.Tanh);
  assert.throws(() => md.set("keys", new nn.ReLU()), /attribute 'keys' already exists/);
  assert.throws(() => seq.get(7), /index 7 is out of range/);
});

test("dropout draws the same mask as PyTorch for a seed and is the identity in eval", () => {
  const x = torch.ones(5);
  const d = new nn.Dropout(0.5);
  d.eval();
  assert.equal(d.call(x), x);
  assert.equal(F.dropout(x, 0.5, { training: false }), x);
  assert.equal(F.dropout(x, 0), x);
});

test("double backward and finite differences of the nn primitives (float64)", () => {
  const dd = { dtype: torch.float64 };
  const x = (): Tensor =>
    torch.tensor(
      [
        [-1.3, 0.4, 2.1],
        [0.7, -0.2, 1.5],
      ],
      { ...dd, requiresGrad: true },
    );
  const t = torch.tensor(
    [
      [0.2, -0.5, 1.0],
      [1.1, 0.3, -0.8],
    ],
    { ...dd, requiresGrad: true },
  );
  const p = torch.tensor(
    [
      [0.2, 0.5, 0.9],
      [0.8, 0.3, 0.1],
    ],
    { ...dd, requiresGrad: true },
  );
  const fns: [string, (...a: Tensor[]) => Tensor, Tensor[]][] = [
    ["erf", (a) => torch.erf(a), [x()]],
    ["gelu", (a) => F.gelu(a), [x()]],
    ["gelu tanh", (a) => F.gelu(a, { approximate: "tanh" }), [x()]],
    ["silu", (a) => F.silu(a), [x()]],
    ["elu", (a) => F.elu(a, 0.7), [x()]],
    ["leaky relu", (a) => F.leakyRelu(a, 0.1), [x()]],
    ["softplus", (a) => F.softplus(a, 2, 2.5), [x()]],
    ["mse", (a, b) => F.mseLoss(a, b), [x(), t]],
    ["huber", (a, b) => F.huberLoss(a, b, { delta: 0.45, reduction: "sum" }), [x(), t]],
    ["smooth l1", (a, b) => F.smoothL1Loss(a, b, { beta: 0.45, reduction: "none" }), [x(), t]],
    [
      "bce logits",
      (a, b) =>
        F.binaryCrossEntropyWithLogits(a, b, { posWeight: torch.tensor([1.5, 0.5, 2], dd) }),
      [x(), p],
    ],
    ["bce", (a, b) => F.binaryCrossEntropy(a.sigmoid(), b), [x(), p]],
    [
      "cross entropy",
      (a) =>
        F.crossEntropy(a, torch.tensor([2, 0], { dtype: torch.int64 }), {
          labelSmoothing: 0.1,
          weight: torch.tensor([1, 2, 0.5], dd),
        }),
      [x()],
    ],
    [
      "nll none",
      (a) => F.nllLoss(a, torch.tensor([2, 0], { dtype: torch.int64 }), { reduction: "none" }),
      [x()],
    ],
    [
      "linear",
      (a, w) => F.linear(a, w, torch.tensor([0.1, -0.2], dd)),
      [x(), t.index(":", ":3").T.contiguous().T.detach().requiresGrad_()],
    ],
    ["embedding", (w) => F.embedding(torch.tensor([[0, 1, 1]], { dtype: torch.int64 }), w), [x()]],
  ];
  for (const [name, fn, inputs] of fns) {
    assert.ok(torch.autograd.gradcheck(fn, inputs, { raiseException: false }), `gradcheck ${name}`);
    assert.ok(
      torch.autograd.gradgradcheck(fn, inputs, undefined, { raiseException: false }),
      `gradgradcheck ${name}`,
    );
  }
});

test("forward-mode AD (jvp) of the nn primitives matches reverse mode", () => {
  const dd = { dtype: torch.float64 };
  const x = torch.tensor(
    [
      [-1.3, 0.4, 2.1],
      [0.7, -0.2, 1.5],
    ],
    dd,
  );
  const v = torch.tensor(
    [
      [0.3, -1.0, 0.5],
      [2.0, 0.1, -0.4],
    ],
    dd,
  );
  const tgt = torch.tensor(
    [
      [0.2, 0.9, 0.4],
      [0.1, 0.3, 0.8],
    ],
    dd,
  );
  const fns: [string, (a: Tensor) => Tensor][] = [
    ["erf", (a) => torch.erf(a)],
    ["gelu", (a) => F.gelu(a)],
    ["silu", (a) => F.silu(a)],
    ["elu", (a) => F.elu(a)],
    ["softplus", (a) => F.softplus(a)],
    ["leaky", (a) => F.leakyRelu(a, 0.3)],
    ["mse", (a) => F.mseLoss(a, tgt)],
    ["huber", (a) => F.huberLoss(a, tgt, { reduction: "none" })],
    ["smooth", (a) => F.smoothL1Loss(a, tgt, { reduction: "sum" })],
    ["bce", (a) => F.binaryCrossEntropy(a.sigmoid(), tgt)],
    ["bce logits", (a) => F.binaryCrossEntropyWithLogits(a, tgt, { weight: tgt })],
    ["ce", (a) => F.crossEntropy(a, torch.tensor([1, 2], { dtype: torch.int64 }))],
    ["linear", (a) => F.linear(a, tgt, tgt.index(0, ":2"))],
    ["embedding", (a) => F.embedding(torch.tensor([1, 0, 1], { dtype: torch.int64 }), a)],
  ];
  for (const [name, fn] of fns) {
    const [, jv] = torch.func.jvp(fn, [x], [v]) as [Tensor, Tensor];
    // reverse mode: J v = grad of <fn(x + s v)> ... via the vjp with each basis vector
    const out = fn(x);
    const J = torch.autograd.functional.jacobian(fn, x) as Tensor;
    const flatJ = J.reshape(out.numel(), x.numel());
    const expected = flatJ.mv(v.reshape(-1)).reshape(out.shape);
    assert.ok(torch.allclose(jv, expected, 1e-9, 1e-12), `jvp ${name}`);
  }
});
