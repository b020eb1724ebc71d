/**
 * torch.optim against PyTorch 1.13 (test/fixtures/optim.json, made by
 * scripts/fixtures/optim_fx.py): 10-step trajectories of every optimizer/option combination in
 * float32 (bit-exact) and float64, the state-dict layout, learning-rate schedules,
 * ReduceLROnPlateau and clipGradNorm_; plus state-dict round trips and argument errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";

const optim = torch.optim;
const sched = torch.optim.lrScheduler;

interface Rec {
  shape: number[];
  dtype: "float32" | "float64" | "int64";
  values: number[];
}
interface Fixture {
  problem: { params: Rec[]; a: Rec[]; c: Rec[] };
  trajectories: { name: string; steps: Rec[][] }[];
  state: Record<
    string,
    { params: Record<string, string[]>; group_keys: string[]; step: Record<string, number | null> }
  >;
  schedules: {
    name: string;
    lrs: number[][];
    momentum: (number | null)[][];
    betas0: (number | null)[][];
  }[];
  plateau: {
    name: string;
    metrics: number[];
    lrs: number[][];
  }[];
  clip: {
    name: string;
    grads: Rec[];
    max_norm: number;
    norm_type: number | "inf";
    total: number;
    clipped: Rec[];
  }[];
}

const FX = JSON.parse(
  readFileSync(new URL("./fixtures/optim.json", import.meta.url), "utf8"),
) as Fixture;

const fromRec = (r: Rec): Tensor => torch.tensor(r.values).reshape(r.shape);
const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

type P = Tensor[];
const OPTIMS: Record<string, (ps: P) => torch.optim.Optimizer> = {
  sgd: (ps) => new optim.SGD(ps, { lr: 0.1 }),
  sgd_momentum: (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9 }),
  sgd_dampening: (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.3 }),
  sgd_nesterov: (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.8, nesterov: true }),
  sgd_weight_decay: (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.5, weightDecay: 0.01 }),
  sgd_maximize: (ps) => new optim.SGD(ps, { lr: 0.03, momentum: 0.9, maximize: true }),
  sgd_all: (ps) => new optim.SGD(ps, { lr: 0.07, momentum: 0.9, nesterov: true, weightDecay: 0.1 }),
  sgd_groups: (ps) =>
    new optim.SGD([{ params: [ps[0]] }, { params: [ps[1]], lr: 0.01, momentum: 0.5 }], {
      lr: 0.1,
      momentum: 0.9,
    }),
  adam: (ps) => new optim.Adam(ps, { lr: 0.01 }),
  adam_default: (ps) => new optim.Adam(ps),
  adam_amsgrad: (ps) => new optim.Adam(ps, { lr: 0.02, amsgrad: true }),
  adam_weight_decay: (ps) => new optim.Adam(ps, { lr: 0.01, weightDecay: 0.1 }),
  adam_maximize: (ps) => new optim.Adam(ps, { lr: 0.01, maximize: true }),
  adam_betas_eps: (ps) => new optim.Adam(ps, { lr: 0.05, betas: [0.8, 0.9], eps: 1e-4 }),
  adamw: (ps) => new optim.AdamW(ps, { lr: 0.01 }),
  adamw_amsgrad: (ps) => new optim.AdamW(ps, { lr: 0.02, amsgrad: true, weightDecay: 0.05 }),
  adamw_weight_decay: (ps) => new optim.AdamW(ps, { lr: 0.01, weightDecay: 0.3 }),
  rmsprop: (ps) => new optim.RMSprop(ps),
  rmsprop_momentum: (ps) => new optim.RMSprop(ps, { lr: 0.01, momentum: 0.9 }),
  rmsprop_centered: (ps) => new optim.RMSprop(ps, { lr: 0.01, centered: true }),
  rmsprop_centered_momentum: (ps) =>
    new optim.RMSprop(ps, { lr: 0.005, centered: true, momentum: 0.5 }),
  rmsprop_weight_decay_alpha: (ps) =>
    new optim.RMSprop(ps, { lr: 0.01, alpha: 0.9, weightDecay: 0.1, eps: 1e-6 }),
  rmsprop_maximize: (ps) => new optim.RMSprop(ps, { lr: 0.01, maximize: true }),
  adagrad: (ps) => new optim.Adagrad(ps, { lr: 0.1 }),
  adagrad_lr_decay: (ps) => new optim.Adagrad(ps, { lr: 0.1, lrDecay: 0.05 }),
  adagrad_weight_decay: (ps) => new optim.Adagrad(ps, { lr: 0.1, weightDecay: 0.1 }),
  adagrad_init_acc_eps: (ps) =>
    new optim.Adagrad(ps, { lr: 0.1, initialAccumulatorValue: 0.1, eps: 1e-5 }),
  adagrad_maximize: (ps) => new optim.Adagrad(ps, { lr: 0.1, maximize: true }),
};

const A = FX.problem.a.map(fromRec);
const C = FX.problem.c.map(fromRec);

function freshParams(dtype = torch.float32): Tensor[] {
  return FX.problem.params.map((r) => fromRec(r).to(dtype).requiresGrad_(true));
}

/** p.grad = p * a + c, and no gradient for the second parameter on odd steps. */
function setGrads(ps: Tensor[], step: number): void {
  ps.forEach((p, i) => {
    if (i === 1 && step % 2 === 1) p.grad = null;
    else p.grad = p.detach().mul(A[i].to(p.dtype)).add(C[i].to(p.dtype));
  });
}

function sameValues(t: Tensor, r: Rec, what: string, rtol = 0): void {
  const a = t.detach().reshape(-1).tolist() as number[];
  r.values.forEach((e, i) => {
    const ok = rtol === 0 ? a[i] === e : Math.abs(a[i] - e) <= rtol * Math.abs(e) + 1e-300;
    if (!ok) assert.fail(`${what}[${i}]: ${a[i]} vs PyTorch ${e}`);
  });
}

for (const traj of FX.trajectories) {
  const f64 = traj.name.endsWith("_f64");
  const base = f64 ? traj.name.slice(0, -4) : traj.name;
  test(`optimizer trajectory ${traj.name} (${f64 ? "float64" : "float32, bit-exact"})`, () => {
    const ps = freshParams(f64 ? torch.float64 : torch.float32);
    const opt = OPTIMS[base](ps);
    traj.steps.forEach((expected, s) => {
      opt.zeroGrad();
      setGrads(ps, s);
      opt.step();
      // float64: PyTorch's vectorised double fma vs our emulation may differ in the last bit
      expected.forEach((r, i) => sameValues(ps[i], r, `step ${s} param ${i}`, f64 ? 1e-14 : 0));
    });
  });
}

test("every trajectory has a spec", () => {
  for (const t of FX.trajectories) assert.ok(OPTIMS[t.name.replace(/_f64$/, "")], t.name);
});

test("optimizer state dicts have PyTorch's layout (camelCase keys)", () => {
  for (const [name, expected] of Object.entries(FX.state)) {
    const ps = freshParams();
    const opt = OPTIMS[name](ps);
    for (let s = 0; s < 10; s++) {
      opt.zeroGrad();
      setGrads(ps, s);
      opt.step();
    }
    const sd = opt.stateDict();
    assert.deepEqual(
      Object.keys(sd.paramGroups[0]).sort(),
      expected.group_keys.map(camel).sort(),
      `${name} group keys`,
    );
    for (const [k, keys] of Object.entries(expected.params)) {
      const st = sd.state[Number(k)];
      assert.deepEqual(Object.keys(st).sort(), keys.map(camel).sort(), `${name} state ${k}`);
      const step = expected.step[k];
      if (step !== null) {
        const v = st.step;
        assert.equal(v instanceof torch.Tensor ? v.item() : v, step, `${name} step ${k}`);
      }
    }
  }
});

test("loadStateDict resumes a run exactly (Adam, SGD momentum, RMSprop centered, Adagrad)", () => {
  for (const name of [
    "adam_amsgrad",
    "sgd_nesterov",
    "rmsprop_centered_momentum",
    "adagrad_lr_decay",
  ]) {
    const expected = FX.trajectories.find((t) => t.name === name) as Fixture["trajectories"][0];
    const ps = freshParams();
    const opt = OPTIMS[name](ps);
    for (let s = 0; s < 5; s++) {
      opt.zeroGrad();
      setGrads(ps, s);
      opt.step();
    }
    const saved = opt.stateDict();
    // a new optimizer on the same parameters, restored from the state dict
    const opt2 = OPTIMS[name](ps);
    opt2.loadStateDict(saved);
    for (let s = 5; s < 10; s++) {
      opt2.zeroGrad();
      setGrads(ps, s);
      opt2.step();
      expected.steps[s].forEach((r, i) => sameValues(ps[i], r, `${name} step ${s}`));
    }
  }
});

test("zeroGrad: zeros by default (PyTorch 1.13), null with setToNone", () => {
  const ps = freshParams();
  const opt = new optim.SGD(ps, { lr: 0.1 });
  setGrads(ps, 0);
  opt.zeroGrad();
  assert.deepEqual(ps[0].grad?.sum().item(), 0);
  opt.zeroGrad({ setToNone: true });
  assert.equal(ps[0].grad, null);
});

test("optimizer argument errors are PyTorch's", () => {
  const ps = freshParams();
  assert.throws(() => new optim.SGD(ps, { lr: -1 }), /Invalid learning rate: -1/);
  assert.throws(
    () => new optim.SGD(ps, { lr: 0.1, nesterov: true }),
    /Nesterov momentum requires a momentum and zero dampening/,
  );
  assert.throws(
    () => new optim.Adam(ps, { betas: [1.0, 0.9] }),
    /Invalid beta parameter at index 0: 1/,
  );
  assert.throws(() => new optim.Adam([]), /optimizer got an empty parameter list/);
  assert.throws(
    () => new optim.SGD([{ params: ps }], {} as { lr: number }),
    /parameter group didn't specify a value of required optimization parameter lr/,
  );
  assert.throws(
    () => new optim.SGD([{ params: [ps[0]] }, { params: [ps[0]] }], { lr: 1 }),
    /some parameters appear in more than one parameter group/,
  );
  const nonLeaf = ps[0].mul(2);
  assert.throws(() => new optim.SGD([nonLeaf], { lr: 1 }), /can't optimize a non-leaf Tensor/);
  const opt = new optim.Adam(ps);
  assert.throws(
    () => opt.loadStateDict({ state: {}, paramGroups: [] }),
    /loaded state dict has a different number of parameter groups/,
  );
});

test("step(closure) returns the closure's loss", () => {
  const ps = freshParams();
  const opt = new optim.SGD(ps, { lr: 0.1 });
  const loss = opt.step(() => {
    opt.zeroGrad();
    const l = ps[0].pow(2).sum();
    l.backward();
    return l;
  }) as Tensor;
  assert.ok(loss instanceof torch.Tensor);
});

// ---------------------------------------------------------------------------------------------
// schedulers

function sgd2(): torch.optim.Optimizer {
  const ps = freshParams();
  return new optim.SGD([{ params: [ps[0]] }, { params: [ps[1]], lr: 0.3 }], {
    lr: 0.1,
    momentum: 0.9,
  });
}
const adam1 = (): torch.optim.Optimizer => new optim.Adam(freshParams(), { lr: 0.1 });

const SCHEDULES: Record<
  string,
  [
    () => torch.optim.Optimizer,
    (o: torch.optim.Optimizer) => { step(): void; getLastLr(): number[] },
  ]
> = {
  step_lr: [sgd2, (o) => new sched.StepLR(o, 3, 0.5)],
  multi_step_lr: [sgd2, (o) => new sched.MultiStepLR(o, [2, 5, 5, 9], 0.3)],
  exponential_lr: [sgd2, (o) => new sched.ExponentialLR(o, 0.9)],
  cosine_annealing_lr: [sgd2, (o) => new sched.CosineAnnealingLR(o, 7, 0.001)],
  cosine_annealing_lr_0: [sgd2, (o) => new sched.CosineAnnealingLR(o, 5)],
  lambda_lr: [sgd2, (o) => new sched.LambdaLR(o, (e) => 1.0 / (e + 1))],
  lambda_lr_per_group: [
    sgd2,
    (o) => new sched.LambdaLR(o, [(e) => 1.0 / (e + 1), (e) => e * 0.5 + 1]),
  ],
  one_cycle_lr: [sgd2, (o) => new sched.OneCycleLR(o, 0.1, { totalSteps: 20 })],
  one_cycle_lr_adam_linear_3phase: [
    adam1,
    (o) =>
      new sched.OneCycleLR(o, [0.5], {
        epochs: 4,
        stepsPerEpoch: 5,
        annealStrategy: "linear",
        threePhase: true,
        pctStart: 0.25,
      }),
  ],
  one_cycle_lr_no_momentum: [
    sgd2,
    (o) =>
      new sched.OneCycleLR(o, [0.2, 0.05], {
        totalSteps: 20,
        cycleMomentum: false,
        divFactor: 10.0,
        finalDivFactor: 100.0,
      }),
  ],
};

const near = (a: number | null, e: number | null, what: string): void => {
  if (e === null || a === null) {
    assert.equal(a ?? null, e, what);
    return;
  }
  // Math.cos (V8) and glibc's cos may differ in the last bit
  assert.ok(Math.abs(a - e) <= 1e-13 * Math.abs(e) + 1e-300, `${what}: ${a} vs PyTorch ${e}`);
};

for (const s of FX.schedules) {
  test(`lr schedule ${s.name}`, () => {
    const [makeOpt, makeSched] = SCHEDULES[s.name];
    const opt = makeOpt();
    const sc = makeSched(opt);
    const check = (k: number): void => {
      sc.getLastLr().forEach((lr, i) => near(lr, s.lrs[k][i], `step ${k} lr ${i}`));
      opt.paramGroups.forEach((g, i) => {
        near(
          (g.momentum as number | undefined) ?? null,
          s.momentum[k][i],
          `step ${k} momentum ${i}`,
        );
        near(g.betas ? (g.betas as number[])[0] : null, s.betas0[k][i], `step ${k} beta1 ${i}`);
      });
    };
    check(0);
    for (let k = 1; k < s.lrs.length; k++) {
      opt.step();
      sc.step();
      check(k);
    }
  });
}

const PLATEAU: Record<string, torch.optim.lrScheduler.ReduceLROnPlateauOptions> = {
  min_rel: { patience: 2, factor: 0.5 },
  min_abs_cooldown: {
    patience: 1,
    factor: 0.1,
    threshold: 0.05,
    thresholdMode: "abs",
    cooldown: 2,
    minLr: 0.002,
  },
  max_rel: { mode: "max", patience: 0, factor: 0.5 },
};

for (const p of FX.plateau) {
  test(`ReduceLROnPlateau ${p.name}`, () => {
    const opt = sgd2();
    const sc = new sched.ReduceLROnPlateau(opt, PLATEAU[p.name]);
    p.metrics.forEach((m, k) => {
      opt.step();
      sc.step(m);
      assert.deepEqual(
        opt.paramGroups.map((g) => g.lr),
        p.lrs[k],
        `epoch ${k}`,
      );
    });
  });
}

test("scheduler state dicts round trip", () => {
  const opt = sgd2();
  const s1 = new sched.StepLR(opt, 3, 0.5);
  for (let i = 0; i < 4; i++) {
    opt.step();
    s1.step();
  }
  const saved = s1.stateDict();
  assert.equal(saved.lastEpoch, 4);
  assert.equal("optimizer" in saved, false);
  const s2 = new sched.StepLR(sgd2(), 3, 0.5);
  s2.loadStateDict(saved);
  assert.equal(s2.lastEpoch, 4);
  assert.deepEqual(s2.getLastLr(), s1.getLastLr());
});

// ---------------------------------------------------------------------------------------------
// clipGradNorm_

for (const c of FX.clip) {
  test(`clipGradNorm_ ${c.name}`, () => {
    const ps = freshParams();
    ps.forEach((p, i) => (p.grad = fromRec(c.grads[i])));
    const total = torch.nn.utils.clipGradNorm_(
      ps,
      c.max_norm,
      c.norm_type === "inf" ? Infinity : c.norm_type,
    );
    assert.ok(
      Math.abs((total.item() as number) - c.total) <= 2e-6 * Math.abs(c.total),
      `total ${total.item()} vs ${c.total}`,
    );
    ps.forEach((p, i) => sameValues(p.grad as Tensor, c.clipped[i], `grad ${i}`, 3e-6));
  });
}

test("clipGradNorm_ without gradients returns 0 and errorIfNonfinite throws", () => {
  const ps = freshParams();
  assert.equal(torch.nn.utils.clipGradNorm_(ps, 1).item(), 0);
  ps[0].grad = torch.full([4, 3], Infinity);
  assert.throws(
    () => torch.nn.utils.clipGradNorm_(ps, 1, 2, true),
    /The total norm of order 2.0 for gradients from `parameters` is non-finite/,
  );
});
