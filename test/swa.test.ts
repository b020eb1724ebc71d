/**
 * torch.optim.swaUtils (AveragedModel, SWALR, updateBn) against PyTorch 1.13's
 * torch.optim.swa_utils (test/fixtures/swa.json, made by scripts/fixtures/swa_fx.py): SWALR's
 * learning rates step by step with its state dict and the groups' swa_lr, its errors; the
 * averaged model's state dict after each update (the default mean, custom averaging functions,
 * batch-norm buffers with and without useBuffers), its output and repr; updateBn's statistics.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { readFixture } from "./helpers/fixtures.js";

const nn = torch.nn;
const { AveragedModel, SWALR, updateBn } = torch.optim.swaUtils;
type Optimizer = torch.optim.Optimizer;
type Scheduler = { step(): void };

interface Rec {
  shape: number[];
  dtype: string;
  values: number[];
}
interface Fixture {
  swalr: {
    name: string;
    lrs: number[][];
    state_dict: Record<string, unknown>;
    groups: Record<string, unknown>[];
  }[];
  swalr_errors: Record<string, { type: string; message: string }>;
  averaged: {
    name: string;
    seed: number;
    inputs: Rec[];
    steps: { state: Record<string, Rec> }[];
    out: Rec;
    repr: string;
  }[];
  update_bn: {
    name: string;
    seed: number;
    batches: Rec[];
    eval_first: boolean;
    buffers: Record<string, Rec>;
    momenta: (number | null)[];
    training: boolean;
  }[];
}
const FX = readFixture<Fixture>("swa.json");

const DTYPES: Record<string, torch.DType> = { float32: torch.float32, int64: torch.int64 };
const fromRec = (r: Rec): Tensor =>
  torch.tensor(r.values, { dtype: DTYPES[r.dtype] }).reshape(r.shape);

/** |a - e| <= tol (1 + |e|) elementwise, with shape and dtype. */
function close(actual: Tensor, expected: Rec, what: string, tol = 1e-6): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  assert.equal(actual.dtype.name, expected.dtype, `${what}: dtype`);
  const a = (actual.detach().contiguous().reshape(-1).tolist() as number[]).map(Number);
  expected.values.forEach((e, i) => {
    if (!(Math.abs(a[i] - e) <= tol * (1 + Math.abs(e))))
      assert.fail(`${what}[${i}]: ${a[i]} vs PyTorch ${e}`);
  });
}

function near(a: unknown, e: unknown, what: string): void {
  if (typeof e === "number" && typeof a === "number")
    assert.ok(Math.abs(a - e) <= 1e-13 * (1 + Math.abs(e)), `${what}: ${a} vs PyTorch ${e}`);
  else if (Array.isArray(e) && Array.isArray(a)) {
    assert.equal(a.length, e.length, `${what}: length`);
    e.forEach((x, i) => near(a[i], x, `${what}[${i}]`));
  } else assert.deepEqual(a, e, what);
}

// ---------------------------------------------------------------------------------------------
// SWALR

const params = (n: number): torch.nn.Parameter[] =>
  Array.from({ length: n }, () => new nn.Parameter(torch.zeros(2)));
const sgd1 = (lr = 0.5): Optimizer => new torch.optim.SGD(params(1), { lr });
const sgd2 = (): Optimizer => {
  const ps = params(2);
  return new torch.optim.SGD(
    [
      { params: [ps[0]], lr: 0.5 },
      { params: [ps[1]], lr: 0.1 },
    ],
    { lr: 0.3 },
  );
};

const SWALRS: Record<string, [() => Optimizer, (o: Optimizer) => Scheduler[], [number, number][]]> =
  {
    cos_default: [sgd1, (o) => [new SWALR(o, { swaLr: 0.05 })], [[0, 14]]],
    cos_positional: [sgd1, (o) => [new SWALR(o, 0.05, 4, "cos")], [[0, 8]]],
    linear_5: [
      sgd1,
      (o) => [new SWALR(o, 0.05, { annealEpochs: 5, annealStrategy: "linear" })],
      [[0, 8]],
    ],
    zero_epochs: [sgd1, (o) => [new SWALR(o, 0.05, { annealEpochs: 0 })], [[0, 4]]],
    one_epoch: [sgd1, (o) => [new SWALR(o, 0.2, { annealEpochs: 1 })], [[0, 4]]],
    groups_list: [sgd2, (o) => [new SWALR(o, [0.05, 0.2], { annealEpochs: 3 })], [[0, 6]]],
    groups_scalar: [sgd2, (o) => [new SWALR(o, 0.01, 6, "linear")], [[0, 8]]],
    after_cosine: [
      sgd1,
      (o) => [
        new torch.optim.lrScheduler.CosineAnnealingLR(o, 20),
        new SWALR(o, { swaLr: 0.05, annealEpochs: 4 }),
      ],
      [
        [0, 5],
        [1, 8],
      ],
    ],
    adam_linear_up: [
      () => new torch.optim.Adam(params(1), { lr: 1e-3 }),
      (o) => [new SWALR(o, { swaLr: 1e-2, annealEpochs: 3, annealStrategy: "linear" })],
      [[0, 5]],
    ],
  };

for (const c of FX.swalr) {
  test(`SWALR ${c.name}: PyTorch's learning rates, state dict and groups`, () => {
    const [makeOpt, makeScheds, plan] = SWALRS[c.name];
    const opt = makeOpt();
    const scheds = makeScheds(opt);
    const lrs = [opt.paramGroups.map((g) => g.lr)];
    for (const [i, steps] of plan)
      for (let k = 0; k < steps; k++) {
        opt.step();
        scheds[i].step();
        lrs.push(opt.paramGroups.map((g) => g.lr));
      }
    near(lrs, c.lrs, "lrs");
    const sd = (scheds[scheds.length - 1] as InstanceType<typeof SWALR>).stateDict();
    const plain = Object.fromEntries(Object.entries(sd).filter(([, v]) => typeof v !== "function"));
    assert.deepEqual(Object.keys(plain).sort(), Object.keys(c.state_dict).sort());
    for (const [k, v] of Object.entries(c.state_dict)) near(plain[k], v, `state_dict.${k}`);
    const groups = opt.stateDict().param_groups as Record<string, unknown>[];
    c.groups.forEach((g, i) => {
      for (const k of ["lr", "swa_lr", "initial_lr"]) near(groups[i][k], g[k], `group ${i} ${k}`);
    });
  });
}

const SWALR_ERRORS: Record<string, () => unknown> = {
  strategy: () => new SWALR(sgd1(), 0.05, { annealStrategy: "exp" as "cos" }),
  epochs_negative: () => new SWALR(sgd1(), 0.05, { annealEpochs: -1 }),
  epochs_float: () => new SWALR(sgd1(), 0.05, { annealEpochs: 2.5 }),
  swa_lr_length: () => new SWALR(sgd2(), [0.05]),
  swa_lr_length_3: () => new SWALR(sgd1(), [0.05, 0.1, 0.2]),
};

test("SWALR: errors in PyTorch's words", () => {
  for (const [name, e] of Object.entries(FX.swalr_errors))
    assert.throws(SWALR_ERRORS[name], (err: Error) => {
      assert.equal(err.name, e.type, name);
      assert.equal(err.message, e.message, name);
      return true;
    });
});

// ---------------------------------------------------------------------------------------------
// AveragedModel

const linearModel = (): torch.nn.Module => new nn.Linear(3, 2);
const bnModel = (): torch.nn.Module =>
  new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.ReLU(), new nn.Linear(4, 2));

/** The deterministic change of the model's parameters before update k (swa_fx.py's perturb). */
function perturb(model: torch.nn.Module, k: number): void {
  torch.noGrad(() =>
    model.parameters().forEach((p, i) => p.mul_(0.9).add_(0.1 * (k + 1) - 0.05 * i)),
  );
}

type AvgFn = torch.optim.swaUtils.AvgFn;
const AVERAGED: Record<
  string,
  [() => torch.nn.Module, (m: torch.nn.Module) => torch.nn.Module, boolean]
> = {
  default: [linearModel, (m) => new AveragedModel(m), false],
  ema: [
    linearModel,
    (m) => new AveragedModel(m, { avgFn: (a, p) => a.mul(0.1).add(p.mul(0.9)) }),
    false,
  ],
  custom_n: [
    linearModel,
    (m) =>
      new AveragedModel(m, null, ((a, p, n) =>
        a.mul(n.div(n.add(1))).add(p.div(n.add(1)))) as AvgFn),
    false,
  ],
  bn_params_only: [bnModel, (m) => new AveragedModel(m), true],
  bn_use_buffers: [bnModel, (m) => new AveragedModel(m, { useBuffers: true }), true],
  bn_use_buffers_ema: [
    bnModel,
    (m) => new AveragedModel(m, null, (a, p) => a.mul(0.5).add(p.mul(0.5)), true),
    true,
  ],
};

for (const c of FX.averaged) {
  test(`AveragedModel ${c.name}: PyTorch's state dict after each update, output and repr`, () => {
    const [make, average, forward] = AVERAGED[c.name];
    torch.manualSeed(c.seed);
    const model = make();
    const swa = average(model) as InstanceType<typeof AveragedModel>;
    const inputs = c.inputs.map(fromRec);
    c.steps.forEach((s, k) => {
      perturb(model, k);
      if (forward) {
        model.train();
        model.call(inputs[k] as never);
      }
      swa.updateParameters(model);
      const sd = swa.stateDict();
      assert.deepEqual([...Object.keys(sd)], Object.keys(s.state), `step ${k}: keys`);
      for (const [key, r] of Object.entries(s.state))
        close(sd[key] as Tensor, r, `step ${k} ${key}`);
    });
    swa.eval();
    close(swa.call(inputs[inputs.length - 1]) as Tensor, c.out, "output");
    assert.equal(String(swa), c.repr);
  });
}

test("AveragedModel: the copy shares no storage, averaging does not record", () => {
  const model = new nn.Linear(2, 2);
  const swa = new AveragedModel(model);
  swa.updateParameters(model);
  torch.noGrad(() => model.weight.add_(1));
  assert.ok(!torch.equal(swa.module.weight, model.weight));
  const y = model.weight.mul(2).sum();
  swa.updateParameters(model);
  assert.equal(swa.module.weight.gradFn, null);
  assert.equal(swa.module.weight.requiresGrad, true);
  y.backward();
  assert.equal(Number(swa.nAveraged.item()), 2);
});

// ---------------------------------------------------------------------------------------------
// updateBn

const UPDATE_BN: Record<string, () => torch.nn.Module> = {
  tensors: bnModel,
  pairs: bnModel,
  eval_mode_kept: bnModel,
  two_bns: () =>
    new nn.Sequential(
      new nn.Linear(3, 4),
      new nn.BatchNorm1d(4, { momentum: 0.3 }),
      new nn.Linear(4, 3),
      new nn.BatchNorm1d(3, { momentum: null }),
    ),
  no_bn: linearModel,
};

for (const c of FX.update_bn) {
  test(`updateBn ${c.name}: PyTorch's running statistics, momenta and mode`, () => {
    torch.manualSeed(c.seed);
    const model = UPDATE_BN[c.name]();
    const batches = c.batches.map(fromRec);
    model.train();
    model.call(batches[0].mul(2).add(1) as never);
    if (c.eval_first) model.eval();
    const loader = c.name === "pairs" ? batches.map((x) => [x, torch.zeros(5)] as const) : batches;
    updateBn(loader, model);
    const buffers = Object.fromEntries(model.namedBuffers());
    assert.deepEqual(Object.keys(buffers), Object.keys(c.buffers));
    for (const [k, r] of Object.entries(c.buffers)) close(buffers[k], r, k);
    const momenta = model
      .modules()
      .filter((m) => m instanceof nn.BatchNorm1d)
      .map((m) => (m as torch.nn.BatchNorm1d).momentum);
    assert.deepEqual(momenta, c.momenta);
    assert.equal(model.training, c.training);
  });
}
