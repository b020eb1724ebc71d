/**
 * torch.optim against PyTorch 1.13 (test/fixtures/optim.json, made by
 * scripts/fixtures/optim_fx.py): 20-step trajectories of every optimizer/option combination in
 * float32 (bit-exact) and float64; optimizer state dicts equal to PyTorch's after 10 steps, and
 * PyTorch's loaded into tensorgrad continuing PyTorch's run; LBFGS with a closure (plain and
 * strong-Wolfe); learning-rate schedules with their state dicts (and resuming from PyTorch's),
 * ReduceLROnPlateau and clipGradNorm_; argument errors.
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
/** A state-dict value as recorded: tensors as {tensor: rec}, non-finite floats as strings. */
type SdValue =
  number | string | boolean | null | { tensor: Rec } | SdValue[] | { [k: string]: SdValue };
interface RecordedStateDict {
  state: Record<string, Record<string, SdValue>>;
  param_groups: Record<string, SdValue>[];
}
interface ErrRec {
  type: string;
  message: string;
}
interface Fixture {
  problem: { params: Rec[]; a: Rec[]; c: Rec[] };
  trajectories: { name: string; steps: Rec[][] }[];
  state_dicts: Record<string, RecordedStateDict>;
  sd_step: number;
  lbfgs: {
    name: string;
    kwargs: Record<string, number | string>;
    steps: { loss: number; evals: number; params: Rec[] }[];
    state_dict: RecordedStateDict;
    sd_step: number;
  }[];
  optim_errors: Record<string, ErrRec | RecordedStateDict>;
  reprs: Record<string, string>;
  schedules: {
    name: string;
    lrs: number[][];
    momentum: (number | null)[][];
    betas0: (number | null)[][];
    state_dict: Record<string, SdValue>;
    optimizer_groups: Record<string, SdValue>[];
    mid_state_dict: Record<string, SdValue>;
    mid_optimizer_groups: Record<string, SdValue>[];
  }[];
  sched_sd_step: number;
  warm_restart_epochs: { name: string; epochs: number[]; lrs: number[][] }[];
  sched_errors: Record<string, ErrRec>;
  verbose: string[];
  plateau: {
    name: string;
    metrics: number[];
    lrs: number[][];
    state_dict: Record<string, SdValue>;
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

const fromRec = (r: Rec): Tensor =>
  torch
    .tensor(r.values, { dtype: r.dtype === "float64" ? torch.float64 : torch.float32 })
    .reshape(r.shape);
const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

type P = Tensor[];
const OPTIMS: Record<string, (ps: P) => torch.optim.Optimizer> = {
  sgd: (ps) => new optim.SGD(ps, { lr: 0.1 }),
  sgd_momentum: (ps) => new optim.SGD(ps, { lr: 0.1, momentum: 0.9 }),
  sgd_dampening: (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.3 }),
  // positional arguments in PyTorch's order
  sgd_nesterov: (ps) => new optim.SGD(ps, 0.1, 0.8, 0, 0, true),
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
  adam_betas_eps: (ps) => new optim.Adam(ps, 0.05, [0.8, 0.9], 1e-4),
  adamw: (ps) => new optim.AdamW(ps, { lr: 0.01 }),
  adamw_amsgrad: (ps) => new optim.AdamW(ps, { lr: 0.02, amsgrad: true, weightDecay: 0.05 }),
  adamw_weight_decay: (ps) => new optim.AdamW(ps, { lr: 0.01, weightDecay: 0.3 }),
  rmsprop: (ps) => new optim.RMSprop(ps),
  rmsprop_momentum: (ps) => new optim.RMSprop(ps, { lr: 0.01, momentum: 0.9 }),
  rmsprop_centered: (ps) => new optim.RMSprop(ps, { lr: 0.01, centered: true }),
  rmsprop_centered_momentum: (ps) =>
    new optim.RMSprop(ps, 0.005, { centered: true, momentum: 0.5 }),
  rmsprop_weight_decay_alpha: (ps) =>
    new optim.RMSprop(ps, { lr: 0.01, alpha: 0.9, weightDecay: 0.1, eps: 1e-6 }),
  rmsprop_maximize: (ps) => new optim.RMSprop(ps, { lr: 0.01, maximize: true }),
  adagrad: (ps) => new optim.Adagrad(ps, { lr: 0.1 }),
  adagrad_lr_decay: (ps) => new optim.Adagrad(ps, 0.1, 0.05),
  adagrad_weight_decay: (ps) => new optim.Adagrad(ps, { lr: 0.1, weightDecay: 0.1 }),
  adagrad_init_acc_eps: (ps) =>
    new optim.Adagrad(ps, { lr: 0.1, initialAccumulatorValue: 0.1, eps: 1e-5 }),
  adagrad_maximize: (ps) => new optim.Adagrad(ps, { lr: 0.1, maximize: true }),
  nadam: (ps) => new optim.NAdam(ps),
  nadam_wd_md: (ps) =>
    new optim.NAdam(ps, { lr: 0.01, weightDecay: 0.1, momentumDecay: 0.01, eps: 1e-6 }),
  nadam_groups: (ps) =>
    new optim.NAdam([{ params: [ps[0]] }, { params: [ps[1]], lr: 0.05, betas: [0.8, 0.9] }], {
      lr: 0.01,
    }),
  // positional arguments in PyTorch's order
  radam: (ps) => new optim.RAdam(ps, 0.01),
  radam_wd_betas: (ps) =>
    new optim.RAdam(ps, { lr: 0.05, betas: [0.8, 0.95], weightDecay: 0.1, eps: 1e-6 }),
  adamax: (ps) => new optim.Adamax(ps),
  adamax_wd_maximize: (ps) => new optim.Adamax(ps, 0.01, undefined, 1e-3, 0.1, { maximize: true }),
  adamax_groups: (ps) =>
    new optim.Adamax(
      [
        { params: [ps[0]], betas: [0.5, 0.9] },
        { params: [ps[1]], lr: 0.1 },
      ],
      {
        lr: 0.02,
      },
    ),
  adadelta: (ps) => new optim.Adadelta(ps),
  adadelta_rho_wd_maximize: (ps) =>
    new optim.Adadelta(ps, { lr: 0.5, rho: 0.8, eps: 1e-4, weightDecay: 0.1, maximize: true }),
  asgd: (ps) => new optim.ASGD(ps),
  asgd_t0_wd: (ps) => new optim.ASGD(ps, 0.05, 0.01, 0.5, 4, 0.1),
  asgd_maximize: (ps) => new optim.ASGD(ps, { lr: 0.02, t0: 2, maximize: true }),
  rprop: (ps) => new optim.Rprop(ps),
  rprop_etas_sizes_maximize: (ps) =>
    new optim.Rprop(ps, { lr: 0.05, etas: [0.3, 1.5], stepSizes: [1e-3, 0.2], maximize: true }),
  rprop_groups: (ps) =>
    new optim.Rprop([{ params: [ps[0]] }, { params: [ps[1]], lr: 0.1, etas: [0.4, 1.1] }]),
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
      // float64: PyTorch's vectorised double fma vs our emulation may differ in the last bit,
      // which cancellation near zero (over 20 steps) turns into ~1e-13 relative
      expected.forEach((r, i) => sameValues(ps[i], r, `step ${s} param ${i}`, f64 ? 1e-11 : 0));
    });
  });
}

test("every trajectory has a spec", () => {
  for (const t of FX.trajectories) assert.ok(OPTIMS[t.name.replace(/_f64$/, "")], t.name);
});

/** A recorded state-dict value decoded: {tensor: rec} as a tensor, "inf"/"nan" as numbers. */
function decodeSd(v: SdValue): unknown {
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  if (v === "nan") return NaN;
  if (Array.isArray(v)) return v.map(decodeSd);
  if (v !== null && typeof v === "object") {
    if ("tensor" in v && Object.keys(v).length === 1) return fromRec((v as { tensor: Rec }).tensor);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeSd(x as SdValue)]));
  }
  return v;
}

function decodeStateDict(sd: RecordedStateDict): torch.optim.OptimizerStateDict {
  return decodeSd(sd as unknown as SdValue) as torch.optim.OptimizerStateDict;
}

/**
 * A tensorgrad state-dict value in the recorded encoding (a tensor as {tensor: rec} with flat
 * values, a function as "<function>", a Map as an object, non-finite floats as strings).
 */
function encodeSd(v: unknown): unknown {
  if (v instanceof torch.Tensor)
    return {
      tensor: {
        shape: v.shape.slice(),
        dtype: v.dtype.name,
        values: (v.detach().reshape(-1).tolist() as number[]).map((x) => encodeSd(x)),
      },
    };
  if (typeof v === "function") return "<function>";
  if (typeof v === "number" && !Number.isFinite(v))
    return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  if (v instanceof Map) return encodeSd(Object.fromEntries(v));
  if (Array.isArray(v)) return v.map(encodeSd);
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeSd(x)]));
  return v;
}

/**
 * Deep equality of an encoded tensorgrad value with PyTorch's: numbers within `rtol` (0 =
 * exact), and with `loose`, a number equal to a 0-dim tensor's value (LBFGS's `t` and `H_diag`
 * are 0-dim tensors or floats depending on the path taken).
 */
function sameSd(a: unknown, e: unknown, what: string, rtol = 0, loose = false): void {
  const tensorScalar = (x: unknown): number | undefined =>
    x !== null && typeof x === "object" && "tensor" in x
      ? (x as { tensor: Rec }).tensor.shape.length === 0
        ? (x as { tensor: Rec }).tensor.values[0]
        : undefined
      : undefined;
  if (
    loose &&
    e !== null &&
    typeof e === "object" &&
    "tensor" in e &&
    (e as { tensor: Rec }).tensor.shape.length > 0
  ) {
    // a vector: within rtol of its largest magnitude (LBFGS's directions and gradient
    // differences are small differences of float32 sums)
    const er = (e as { tensor: Rec }).tensor;
    const ar = (a as { tensor: Rec }).tensor;
    assert.deepEqual(ar.shape, er.shape, `${what}: shape`);
    const scale = Math.max(...er.values.map((x) => Math.abs(x)));
    er.values.forEach((x, i) => {
      if (!(Math.abs(ar.values[i] - x) <= rtol * scale + 1e-12))
        assert.fail(`${what}[${i}]: ${ar.values[i]} vs PyTorch ${x} (scale ${scale})`);
    });
    return;
  }
  if (loose && typeof a === "number" && tensorScalar(e) !== undefined) e = tensorScalar(e);
  if (loose && typeof e === "number" && tensorScalar(a) !== undefined) a = tensorScalar(a);
  if (typeof e === "number" && typeof a === "number") {
    const ok = rtol === 0 ? a === e : Math.abs(a - e) <= rtol * Math.abs(e) + 1e-12;
    if (!ok) assert.fail(`${what}: ${a} vs PyTorch ${e}`);
    return;
  }
  if (Array.isArray(e)) {
    assert.ok(Array.isArray(a), `${what}: not a list`);
    assert.equal((a as unknown[]).length, e.length, `${what}: length`);
    e.forEach((x, i) => sameSd((a as unknown[])[i], x, `${what}[${i}]`, rtol, loose));
    return;
  }
  if (e !== null && typeof e === "object") {
    assert.ok(a !== null && typeof a === "object", `${what}: ${JSON.stringify(a)} is not a dict`);
    assert.deepEqual(Object.keys(a as object).sort(), Object.keys(e).sort(), `${what}: keys`);
    for (const [k, x] of Object.entries(e))
      sameSd((a as Record<string, unknown>)[k], x, `${what}.${k}`, rtol, loose);
    return;
  }
  assert.equal(a, e, what);
}

function runSteps(opt: torch.optim.Optimizer, ps: Tensor[], from: number, to: number): void {
  for (let s = from; s < to; s++) {
    opt.zeroGrad();
    setGrads(ps, s);
    opt.step();
  }
}

/** Parameters with the values PyTorch's run had after `steps` steps. */
function paramsAt(traj: Fixture["trajectories"][0], steps: number): Tensor[] {
  return traj.steps[steps - 1].map((r) => fromRec(r).requiresGrad_(true));
}

for (const [name, expected] of Object.entries(FX.state_dicts)) {
  test(`${name}: stateDict() after ${FX.sd_step} steps equals PyTorch's (keys and values)`, () => {
    const ps = freshParams();
    const opt = OPTIMS[name](ps);
    runSteps(opt, ps, 0, FX.sd_step);
    sameSd(encodeSd(opt.stateDict()), expected, name);
  });

  test(`${name}: PyTorch's state dict loaded into tensorgrad continues PyTorch's run`, () => {
    const traj = FX.trajectories.find((t) => t.name === name) as Fixture["trajectories"][0];
    const ps = paramsAt(traj, FX.sd_step);
    const opt = OPTIMS[name](ps);
    opt.loadStateDict(decodeStateDict(expected));
    for (let s = FX.sd_step; s < traj.steps.length; s++) {
      runSteps(opt, ps, s, s + 1);
      traj.steps[s].forEach((r, i) => sameValues(ps[i], r, `step ${s} param ${i}`));
    }
  });
}

test("loadStateDict of its own stateDict (a new optimizer) resumes a run exactly", () => {
  for (const name of Object.keys(OPTIMS)) {
    const traj = FX.trajectories.find((t) => t.name === name) as Fixture["trajectories"][0];
    const ps = freshParams();
    const opt = OPTIMS[name](ps);
    runSteps(opt, ps, 0, 5);
    const opt2 = OPTIMS[name](ps);
    opt2.loadStateDict(opt.stateDict());
    for (let s = 5; s < 10; s++) {
      runSteps(opt2, ps, s, s + 1);
      traj.steps[s].forEach((r, i) => sameValues(ps[i], r, `${name} step ${s} param ${i}`));
    }
  }
});

test("every optimizer spec has a recorded state dict", () => {
  for (const name of Object.keys(OPTIMS)) assert.ok(FX.state_dicts[name], name);
});

test("loadStateDict accepts tensorgrad 0.1's camelCase format (paramGroups, momentumBuffer, expAvg)", () => {
  for (const name of [
    "adam_amsgrad",
    "sgd_nesterov",
    "rmsprop_centered_momentum",
    "adagrad_lr_decay",
  ]) {
    const sd = decodeStateDict(FX.state_dicts[name]);
    // the layout tensorgrad 0.1 documented: camelCase everywhere, groups under paramGroups
    const legacy: torch.optim.LegacyOptimizerStateDict = {
      state: Object.fromEntries(
        Object.entries(sd.state).map(([k, st]) => [
          k,
          Object.fromEntries(Object.entries(st).map(([key, v]) => [camel(key), v])),
        ]),
      ),
      paramGroups: sd.param_groups.map(
        (g) =>
          Object.fromEntries(Object.entries(g).map(([k, v]) => [camel(k), v])) as Record<
            string,
            unknown
          > & { params: number[] },
      ),
    };
    const traj = FX.trajectories.find((t) => t.name === name) as Fixture["trajectories"][0];
    const ps = paramsAt(traj, FX.sd_step);
    const opt = OPTIMS[name](ps);
    opt.loadStateDict(legacy);
    assert.deepEqual(
      Object.keys(opt.stateDict().param_groups[0]).sort(),
      Object.keys(FX.state_dicts[name].param_groups[0]).sort(),
    );
    for (let s = FX.sd_step; s < traj.steps.length; s++) {
      runSteps(opt, ps, s, s + 1);
      traj.steps[s].forEach((r, i) => sameValues(ps[i], r, `${name} step ${s} param ${i}`));
    }
  }
});

test("loadStateDict casts floating state to the parameter's dtype, except step", () => {
  const sd = decodeStateDict(FX.state_dicts.adam);
  const ps = freshParams(torch.float64);
  const opt = new optim.Adam(ps, { lr: 0.01 });
  opt.loadStateDict(sd);
  const st = opt.state.get(ps[0]) as Record<string, Tensor>;
  assert.equal(st.exp_avg.dtype, torch.float64);
  assert.equal(st.step.dtype, torch.float32);
  // deep copies: stepping does not touch the loaded dict's tensors
  const before = (sd.state[0].exp_avg as Tensor).tolist();
  runSteps(opt, ps, 0, 1);
  assert.deepEqual((sd.state[0].exp_avg as Tensor).tolist(), before);
});

// ---------------------------------------------------------------------------------------------
// LBFGS

/** The fixture's objective, sum(0.02 (x[i+1] - x[i]^2)^2 + 0.01 (1 - x[i])^2) of both
 * parameters flattened, in float64 (so that both libraries get the same loss and gradients). */
function lbfgsLoss(ps: Tensor[]): Tensor {
  const x = torch.cat(ps.map((p) => p.reshape([-1]))).double();
  const n = x.shape[0];
  const head = x.narrow(0, 0, n - 1);
  const tail = x.narrow(0, 1, n - 1);
  return tail
    .sub(head.pow(2))
    .pow(2)
    .mul(0.02)
    .add(head.neg().add(1).pow(2).mul(0.01))
    .sum()
    .to(ps[0].dtype);
}

const LBFGS_SPECS: Record<string, (ps: P) => torch.optim.LBFGS> = {
  lbfgs: (ps) => new optim.LBFGS(ps, { lr: 0.5, maxIter: 3 }),
  lbfgs_history: (ps) => new optim.LBFGS(ps, 0.5, 4, undefined, undefined, undefined, 2),
  lbfgs_wolfe: (ps) => new optim.LBFGS(ps, { maxIter: 3, lineSearchFn: "strong_wolfe" }),
  lbfgs_wolfe_history_eval: (ps) =>
    new optim.LBFGS(ps, {
      lr: 0.8,
      maxIter: 5,
      maxEval: 6,
      historySize: 3,
      lineSearchFn: "strong_wolfe",
    }),
  lbfgs_tolerances: (ps) =>
    new optim.LBFGS(ps, { maxIter: 20, toleranceGrad: 1e-3, toleranceChange: 1e-4 }),
  lbfgs_wolfe_f64: (ps) => new optim.LBFGS(ps, { maxIter: 3, lineSearchFn: "strong_wolfe" }),
};

/** A closure that counts its evaluations. */
function lbfgsClosure(opt: torch.optim.Optimizer, ps: Tensor[], evals: { n: number }) {
  return (): Tensor => {
    opt.zeroGrad();
    const loss = lbfgsLoss(ps);
    loss.backward();
    evals.n += 1;
    return loss;
  };
}

// float32: bit-exact (the vectors update with PyTorch's roundings, the scalars keep its mix of
// Python floats and 0-dim tensors); float64: PyTorch's double sums may round differently
const lbfgsRtol = (name: string): number => (name.endsWith("_f64") ? 1e-10 : 0);

for (const c of FX.lbfgs) {
  const dtype = c.name.endsWith("_f64") ? torch.float64 : torch.float32;
  test(`LBFGS ${c.name}: ${c.steps.length} steps of step(closure) follow PyTorch's`, () => {
    const ps = freshParams(dtype);
    const opt = LBFGS_SPECS[c.name](ps);
    const evals = { n: 0 };
    const closure = lbfgsClosure(opt, ps, evals);
    const rtol = lbfgsRtol(c.name);
    c.steps.forEach((e, s) => {
      const loss = opt.step(closure) as Tensor;
      const l = loss.item() as number;
      assert.ok(
        Math.abs(l - e.loss) <= rtol * Math.abs(e.loss),
        `step ${s} loss ${l} vs ${e.loss}`,
      );
      assert.equal(evals.n, e.evals, `step ${s}: closure evaluations`);
      e.params.forEach((r, i) => sameValues(ps[i], r, `step ${s} param ${i}`, rtol));
      if (s + 1 === c.sd_step)
        sameSd(
          encodeSd(opt.stateDict()),
          c.state_dict,
          `state dict at ${c.sd_step}`,
          rtol,
          rtol > 0,
        );
    });
  });

  test(`LBFGS ${c.name}: PyTorch's state dict after ${c.sd_step} steps continues PyTorch's run`, () => {
    const ps = c.steps[c.sd_step - 1].params.map((r) => fromRec(r).requiresGrad_(true));
    const rtol = lbfgsRtol(c.name);
    const opt = LBFGS_SPECS[c.name](ps);
    opt.loadStateDict(decodeStateDict(c.state_dict));
    const evals = { n: c.steps[c.sd_step - 1].evals };
    const closure = lbfgsClosure(opt, ps, evals);
    for (let s = c.sd_step; s < c.steps.length; s++) {
      opt.step(closure);
      assert.equal(evals.n, c.steps[s].evals, `step ${s}: closure evaluations`);
      c.steps[s].params.forEach((r, i) => sameValues(ps[i], r, `step ${s} param ${i}`, rtol));
    }
  });
}

test("LBFGS: per-group options are refused, and step() needs a closure", () => {
  const ps = freshParams();
  throwsLike(
    () => new optim.LBFGS([{ params: [ps[0]] }, { params: [ps[1]] }]),
    FX.optim_errors.lbfgs_groups as ErrRec,
    "groups",
  );
  const opt = new optim.LBFGS(ps, { lineSearchFn: "backtracking" as "strong_wolfe" });
  throwsLike(
    () => opt.step(lbfgsClosure(opt, ps, { n: 0 })),
    FX.optim_errors.lbfgs_line_search as ErrRec,
    "line search",
  );
  assert.throws(
    () => new optim.LBFGS(ps).step(),
    /missing 1 required positional argument: 'closure'/,
  );
});

// ---------------------------------------------------------------------------------------------
// constructor errors and SparseAdam

const OPTIM_ERRORS: Record<string, (ps: P) => unknown> = {
  nadam_lr: (ps) => new optim.NAdam(ps, { lr: -0.1 }),
  nadam_eps: (ps) => new optim.NAdam(ps, { eps: -0.5 }),
  nadam_beta0: (ps) => new optim.NAdam(ps, { betas: [1.5, 0.9] }),
  nadam_beta1: (ps) => new optim.NAdam(ps, { betas: [0.9, -0.5] }),
  nadam_wd: (ps) => new optim.NAdam(ps, { weightDecay: -1 }),
  nadam_md: (ps) => new optim.NAdam(ps, { momentumDecay: -0.5 }),
  radam_lr: (ps) => new optim.RAdam(ps, -1),
  radam_beta0: (ps) => new optim.RAdam(ps, { betas: [1.5, 0.9] }),
  radam_wd: (ps) => new optim.RAdam(ps, { weightDecay: -0.25 }),
  adamax_eps: (ps) => new optim.Adamax(ps, { eps: -0.5 }),
  adamax_beta1: (ps) => new optim.Adamax(ps, { betas: [0.5, 1.25] }),
  adadelta_rho: (ps) => new optim.Adadelta(ps, { rho: 1.5 }),
  adadelta_lr: (ps) => new optim.Adadelta(ps, -2.5),
  adadelta_eps: (ps) => new optim.Adadelta(ps, { eps: -2.5 }),
  asgd_lr: (ps) => new optim.ASGD(ps, { lr: -0.5 }),
  asgd_wd: (ps) => new optim.ASGD(ps, { weightDecay: -0.5 }),
  rprop_lr: (ps) => new optim.Rprop(ps, { lr: -0.5 }),
  rprop_etas: (ps) => new optim.Rprop(ps, { etas: [1.5, 1.2] }),
  rprop_etas_hi: (ps) => new optim.Rprop(ps, { etas: [0.5, 0.9] }),
  lbfgs_groups: (ps) => new optim.LBFGS([{ params: [ps[0]] }, { params: [ps[1]] }]),
  sparse_adam_lr: (ps) => new optim.SparseAdam(ps, { lr: -0.5 }),
  sparse_adam_eps: (ps) => new optim.SparseAdam(ps, { eps: -0.5 }),
  sparse_adam_beta0: (ps) => new optim.SparseAdam(ps, { betas: [-0.1, 0.9] }),
  sparse_adam_beta1: (ps) => new optim.SparseAdam(ps, { betas: [0.9, 1.5] }),
  nadam_positional_twice: (ps) => new optim.NAdam(ps, 0.1, { lr: 0.2 }),
  nadam_positional_too_many: (ps) => new optim.NAdam(ps, 0.1, [0.9, 0.9], 1e-8, 0, 0.004, null, 3),
  sparse_adam_dense_grad: (ps) => {
    const opt = new optim.SparseAdam(ps);
    setGrads(ps, 0);
    opt.step();
  },
  lbfgs_line_search: (ps) => {
    const opt = new optim.LBFGS(ps, { lineSearchFn: "backtracking" as "strong_wolfe" });
    opt.step(lbfgsClosure(opt, ps, { n: 0 }));
  },
};

for (const [name, e] of Object.entries(FX.optim_errors)) {
  if (!("message" in e)) continue;
  test(`optimizer error ${name}: PyTorch's`, () => {
    const ps = freshParams();
    const before = ps.map((p) => p.tolist());
    throwsLike(() => OPTIM_ERRORS[name](ps), e, name);
    // a failed call leaves the parameters unchanged
    ps.forEach((p, i) => assert.deepEqual(p.tolist(), before[i]));
  });
}

test("SparseAdam: PyTorch's state dict, and a step without gradients does nothing", () => {
  const ps = freshParams();
  const opt = new optim.SparseAdam(ps);
  sameSd(encodeSd(opt.stateDict()), FX.optim_errors.sparse_adam_state_dict, "state dict");
  const before = ps[0].tolist();
  opt.step();
  assert.deepEqual(ps[0].tolist(), before);
});

const REPRS: Record<string, (ps: P) => torch.optim.Optimizer> = {
  ...OPTIMS,
  lbfgs_default: (ps) => new optim.LBFGS(ps),
  lbfgs_wolfe: LBFGS_SPECS.lbfgs_wolfe,
  sparse_adam: (ps) => new optim.SparseAdam(ps),
};

for (const [name, expected] of Object.entries(FX.reprs)) {
  test(`repr of ${name}: PyTorch's`, () => {
    assert.equal(String(REPRS[name](freshParams())), expected);
  });
}

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
    () => opt.loadStateDict({ state: {}, param_groups: [] }),
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

interface Sched {
  step(): void;
  getLastLr(): number[];
  stateDict(): Record<string, unknown>;
  loadStateDict(sd: Record<string, unknown>): void;
}
const LR = sched;

const SCHEDULES: Record<
  string,
  [() => torch.optim.Optimizer, (o: torch.optim.Optimizer) => Sched]
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
  constant_lr: [sgd2, (o) => new LR.ConstantLR(o)],
  constant_lr_factor: [sgd2, (o) => new LR.ConstantLR(o, 0.5, 4)],
  linear_lr: [sgd2, (o) => new LR.LinearLR(o)],
  linear_lr_factors: [
    sgd2,
    (o) => new LR.LinearLR(o, { startFactor: 0.25, endFactor: 0.75, totalIters: 7 }),
  ],
  linear_lr_decay: [adam1, (o) => new LR.LinearLR(o, 1.0, 0.1, 10)],
  polynomial_lr: [sgd2, (o) => new LR.PolynomialLR(o)],
  polynomial_lr_power: [sgd2, (o) => new LR.PolynomialLR(o, { totalIters: 12, power: 2.5 })],
  cyclic_lr: [sgd2, (o) => new LR.CyclicLR(o, 0.01, 0.1, 4)],
  cyclic_lr_triangular2: [
    sgd2,
    (o) =>
      new LR.CyclicLR(o, [0.01, 0.02], [0.1, 0.3], {
        stepSizeUp: 3,
        stepSizeDown: 2,
        mode: "triangular2",
      }),
  ],
  cyclic_lr_exp_range: [
    sgd2,
    (o) =>
      new LR.CyclicLR(o, 0.01, 0.1, {
        stepSizeUp: 3,
        mode: "exp_range",
        gamma: 0.9,
        baseMomentum: 0.7,
        maxMomentum: 0.95,
      }),
  ],
  cyclic_lr_scale_fn: [
    sgd2,
    (o) =>
      new LR.CyclicLR(o, 0.01, 0.1, {
        stepSizeUp: 2,
        scaleFn: (x) => 0.5 ** x,
        scaleMode: "iterations",
      }),
  ],
  cyclic_lr_scale_fn_cycle: [
    sgd2,
    (o) => new LR.CyclicLR(o, 0.01, 0.1, 2, null, "triangular", 1.0, (x) => 1.0 / x),
  ],
  cyclic_lr_adam_no_momentum: [
    adam1,
    (o) => new LR.CyclicLR(o, 0.001, 0.01, { stepSizeUp: 5, cycleMomentum: false }),
  ],
  cosine_warm_restarts: [sgd2, (o) => new LR.CosineAnnealingWarmRestarts(o, 4)],
  cosine_warm_restarts_mult: [
    sgd2,
    (o) => new LR.CosineAnnealingWarmRestarts(o, 2, { tMult: 2, etaMin: 0.001 }),
  ],
  sequential_lr: [
    sgd2,
    (o) =>
      new LR.SequentialLR(
        o,
        [new LR.LinearLR(o, { startFactor: 0.1, totalIters: 4 }), new LR.ExponentialLR(o, 0.9)],
        [5],
      ),
  ],
  sequential_lr_three: [
    sgd2,
    (o) =>
      new LR.SequentialLR(
        o,
        [new LR.ConstantLR(o, 0.5, 3), new LR.CosineAnnealingLR(o, 6), new LR.StepLR(o, 2, 0.5)],
        { milestones: [3, 10] },
      ),
  ],
  chained_scheduler: [
    sgd2,
    (o) => new LR.ChainedScheduler([new LR.ConstantLR(o, 0.1, 2), new LR.ExponentialLR(o, 0.9)]),
  ],
  chained_scheduler_three: [
    sgd2,
    (o) =>
      new LR.ChainedScheduler([
        new LR.LinearLR(o, { startFactor: 0.5, totalIters: 5 }),
        new LR.MultiStepLR(o, [3, 8], 0.5),
        new LR.PolynomialLR(o, 15),
      ]),
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
      if (k === FX.sched_sd_step) {
        sameSd(encodeSd(sc.stateDict()), s.mid_state_dict, `state_dict at ${k}`, 1e-13);
        sameSd(encodeSd(opt.stateDict().param_groups), s.mid_optimizer_groups, "groups", 1e-13);
      }
    }
    // PyTorch's scheduler state dict and its state dict's keys
    sameSd(encodeSd(sc.stateDict()), s.state_dict, "state_dict", 1e-13);
    sameSd(encodeSd(opt.stateDict().param_groups), s.optimizer_groups, "optimizer groups", 1e-13);
  });

  test(`lr schedule ${s.name}: resumes from PyTorch's state dicts after ${FX.sched_sd_step} steps`, () => {
    const [makeOpt, makeSched] = SCHEDULES[s.name];
    const opt = makeOpt();
    const sc = makeSched(opt);
    // PyTorch's optimizer groups (lr, momentum, initial_lr, ...) and scheduler fields
    opt.loadStateDict({
      state: {},
      param_groups: decodeSd(s.mid_optimizer_groups as SdValue) as OptimizerGroups,
    });
    sc.loadStateDict(decodeSd(s.mid_state_dict as SdValue) as Record<string, unknown>);
    for (let k = FX.sched_sd_step + 1; k < s.lrs.length; k++) {
      opt.step();
      sc.step();
      sc.getLastLr().forEach((lr, i) => near(lr, s.lrs[k][i], `step ${k} lr ${i}`));
      opt.paramGroups.forEach((g, i) =>
        near(
          (g.momentum as number | undefined) ?? null,
          s.momentum[k][i],
          `step ${k} momentum ${i}`,
        ),
      );
    }
  });
}

type OptimizerGroups = torch.optim.OptimizerStateDict["param_groups"];

test("every recorded schedule has a spec", () => {
  for (const s of FX.schedules) assert.ok(SCHEDULES[s.name], s.name);
});

const WARM: Record<
  string,
  (o: torch.optim.Optimizer) => torch.optim.lrScheduler.CosineAnnealingWarmRestarts
> = {
  t0_3: (o) => new LR.CosineAnnealingWarmRestarts(o, 3),
  t0_2_mult_2: (o) => new LR.CosineAnnealingWarmRestarts(o, 2, 2, 0.01),
};

for (const w of FX.warm_restart_epochs) {
  test(`CosineAnnealingWarmRestarts.step(epoch) with fractional epochs (${w.name})`, () => {
    const opt = sgd2();
    const sc = WARM[w.name](opt);
    const warn = console.warn;
    console.warn = () => {};
    try {
      w.epochs.forEach((e, k) => {
        opt.step();
        sc.step(e);
        sc.getLastLr().forEach((lr, i) => near(lr, w.lrs[k][i], `epoch ${e} lr ${i}`));
      });
    } finally {
      console.warn = warn;
    }
  });
}

const SCHED_ERRORS: Record<string, () => unknown> = {
  constant_factor: () => new LR.ConstantLR(sgd2(), { factor: 1.5 }),
  linear_start: () => new LR.LinearLR(sgd2(), { startFactor: -0.1 }),
  linear_end: () => new LR.LinearLR(sgd2(), { endFactor: 1.5 }),
  cyclic_mode: () =>
    new LR.CyclicLR(sgd2(), 0.01, 0.1, { mode: "sine" as unknown as "triangular" }),
  cyclic_base_lr_len: () => new LR.CyclicLR(sgd2(), [0.01, 0.02, 0.03], 0.1),
  cyclic_adam_momentum: () => new LR.CyclicLR(adam1(), 0.01, 0.1),
  cyclic_not_optimizer: () => new LR.CyclicLR(3 as unknown as torch.optim.Optimizer, 0.01, 0.1),
  warm_t0: () => new LR.CosineAnnealingWarmRestarts(sgd2(), 0),
  warm_t0_float: () => new LR.CosineAnnealingWarmRestarts(sgd2(), 2.5),
  warm_tmult: () => new LR.CosineAnnealingWarmRestarts(sgd2(), 2, { tMult: 0 }),
  warm_negative_epoch: () => new LR.CosineAnnealingWarmRestarts(sgd2(), 2).step(-1),
  sequential_milestones: () => {
    const o = sgd2();
    return new LR.SequentialLR(
      o,
      [new LR.ExponentialLR(o, 0.9), new LR.ExponentialLR(o, 0.5)],
      [2, 4],
    );
  },
  sequential_optimizer: () => {
    const o = sgd2();
    const other = new optim.SGD(freshParams(), { lr: 0.1 });
    return new LR.SequentialLR(
      o,
      [new LR.ExponentialLR(o, 0.9), new LR.ExponentialLR(other, 0.5)],
      [2],
    );
  },
  chained_optimizer: () =>
    new LR.ChainedScheduler([
      new LR.ExponentialLR(sgd2(), 0.9),
      new LR.ExponentialLR(new optim.SGD(freshParams(), { lr: 0.1 }), 0.9),
    ]),
};

/** fn() throws PyTorch's error: the same class name and message. */
function throwsLike(fn: () => unknown, e: ErrRec, what: string): void {
  assert.throws(fn, (err: Error) => {
    assert.equal(err.message, e.message, what);
    assert.equal(err.constructor.name, e.type, `${what}: ${err.constructor.name}`);
    return true;
  });
}

for (const [name, e] of Object.entries(FX.sched_errors)) {
  test(`scheduler error ${name}: PyTorch's`, () => throwsLike(SCHED_ERRORS[name], e, name));
}

test("scheduler warnings: getLr() outside step(), step() before optimizer.step(), epoch deprecation", () => {
  const seen: string[] = [];
  const warn = console.warn;
  console.warn = (m: string) => seen.push(m);
  try {
    const opt = sgd2();
    const sc = new LR.LinearLR(opt);
    sc.step();
    assert.match(
      seen.join("\n"),
      /Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`/,
    );
    seen.length = 0;
    sc.getLr();
    assert.match(seen.join("\n"), /please use `get_last_lr\(\)`/);
    seen.length = 0;
    opt.step();
    // SequentialLR restarts the next scheduler with step(0): PyTorch's deprecation warning
    const seq = new LR.SequentialLR(
      opt,
      [new LR.ConstantLR(opt), new LR.ExponentialLR(opt, 0.9)],
      [1],
    );
    seq.step();
    assert.match(seen.join("\n"), /The epoch parameter in `scheduler.step\(\)` was not necessary/);
  } finally {
    console.warn = warn;
  }
});

test("verbose schedulers print PyTorch's lines", () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (m: string) => lines.push(m);
  const warn = console.warn;
  console.warn = () => {};
  try {
    let opt = sgd2();
    const sc = new LR.StepLR(opt, 1, 0.5, -1, true);
    opt.step();
    sc.step();
    opt = sgd2();
    const warm = new LR.CosineAnnealingWarmRestarts(opt, 2, 1, 0, -1, true);
    opt.step();
    warm.step(1.5);
    warm.step(3);
    opt = sgd2();
    const pl = new LR.ReduceLROnPlateau(opt, { patience: 0, verbose: true });
    pl.step(1.0);
    pl.step(2.0);
  } finally {
    console.log = log;
    console.warn = warn;
  }
  assert.deepEqual(lines, FX.verbose);
});

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
    sameSd(encodeSd(sc.stateDict()), p.state_dict, "state_dict");
    // and loading PyTorch's state dict restores it
    const sc2 = new sched.ReduceLROnPlateau(sgd2(), PLATEAU[p.name]);
    sc2.loadStateDict(decodeSd(p.state_dict as SdValue) as Record<string, unknown>);
    sameSd(encodeSd(sc2.stateDict()), p.state_dict, "loaded state_dict");
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
  assert.equal(saved.last_epoch, 4);
  assert.equal("optimizer" in saved, false);
  const s2 = new sched.StepLR(sgd2(), 3, 0.5);
  s2.loadStateDict(saved);
  assert.equal(s2.lastEpoch, 4);
  assert.deepEqual(s2.getLastLr(), s1.getLastLr());
  // tensorgrad 0.1's camelCase fields load too
  const s3 = new sched.StepLR(sgd2(), 3, 0.5);
  s3.loadStateDict({ lastEpoch: 4, _lastLr: s1.getLastLr(), stepSize: 3 });
  assert.equal(s3.lastEpoch, 4);
  assert.deepEqual(s3.getLastLr(), s1.getLastLr());
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
