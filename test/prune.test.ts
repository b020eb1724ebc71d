/**
 * torch.nn.utils.prune against PyTorch 1.13 (test/fixtures/prune.json, made by
 * scripts/fixtures/prune_fx.py): every method and function on Linear, Conv2d and Sequential
 * modules after the same seed (the random methods draw PyTorch's numbers), iterative pruning
 * through PruningContainer, remove, globalUnstructured; per case the parameters, buffers,
 * state-dict keys, the pruned attribute, the forward pre-hooks, isPruned, a forward and backward
 * pass, and where the generator is left; method.prune on tensors; PyTorch's errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { readFixture } from "./helpers/fixtures.js";

const nn = torch.nn;
const prune = torch.nn.utils.prune;
type Module = torch.nn.Module;

interface Rec {
  shape: number[];
  dtype: string;
  values: number[];
}
interface HookRec {
  cls: string;
  tensor_name: string | null;
  methods?: string[];
}
interface State {
  params: [string, Rec][];
  buffers: [string, Rec][];
  sd_keys: string[];
  weight: Rec | null;
  hooks: [string, HookRec[]][];
  is_pruned: boolean;
  out: Rec;
  grads: [string, Rec][];
  after: number[];
}
interface Fixture {
  cases: { name: string; seed: number; state: State }[];
  prune: { name: string; seed: number; out: Rec; after: number[] }[];
  errors: Record<string, { type: string; message: string }>;
  rollback: { params: string[]; buffers: string[]; hooks: number };
}

const FX = readFixture<Fixture>("prune.json");

function expectRec(t: unknown, r: Rec, what: string, tol = 1e-6): void {
  assert.ok(t instanceof torch.Tensor, `${what}: a tensor`);
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  const a = t.detach().reshape(-1).tolist() as number[];
  r.values.forEach((e, i) =>
    assert.ok(
      Math.abs(a[i] - e) <= tol * (1 + Math.abs(e)),
      `${what}[${i}]: ${a[i]} vs PyTorch ${e}`,
    ),
  );
}

const field = (m: Module, k: string): unknown => (m as unknown as Record<string, unknown>)[k];
const lin = (): Module => new nn.Linear(5, 4);
const conv = (): Module => new nn.Conv2d(3, 4, 3);
const seq = (): torch.nn.Sequential =>
  new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(3, 2));

const ar = (m: Module): Tensor =>
  torch.arange((field(m, "weight") as Tensor).numel(), { dtype: torch.float32 });

/** Each case's pruning, as prune_fx.py's CASES. */
const CASES: Record<string, [() => Module, number[], (m: Module) => unknown]> = {
  random_unstructured: [lin, [2, 5], (m) => prune.randomUnstructured(m, "weight", { amount: 0.3 })],
  random_unstructured_int: [
    lin,
    [2, 5],
    (m) => prune.randomUnstructured(m, { name: "bias", amount: 2 }),
  ],
  l1_unstructured: [lin, [2, 5], (m) => prune.l1Unstructured(m, "weight", 0.5)],
  l1_unstructured_int: [
    conv,
    [1, 3, 5, 5],
    (m) => prune.l1Unstructured(m, "weight", { amount: 10 }),
  ],
  l1_round_half_even: [lin, [2, 5], (m) => prune.l1Unstructured(m, "bias", { amount: 0.625 })],
  l1_zero: [lin, [2, 5], (m) => prune.l1Unstructured(m, "weight", { amount: 0.0 })],
  // PyTorch's amount=1.0 (a fraction); an integral JS number is a count, so the count here
  l1_all: [lin, [2, 5], (m) => prune.l1Unstructured(m, "weight", { amount: 20 })],
  l1_importance: [
    lin,
    [2, 5],
    (m) =>
      prune.l1Unstructured(m, "weight", {
        amount: 0.4,
        importanceScores: ar(m).viewAs(field(m, "weight") as Tensor),
      }),
  ],
  random_structured: [
    conv,
    [1, 3, 5, 5],
    (m) => prune.randomStructured(m, "weight", { amount: 0.5, dim: 0 }),
  ],
  random_structured_last: [lin, [2, 5], (m) => prune.randomStructured(m, "weight", 2, -1)],
  ln_structured_l2: [
    conv,
    [1, 3, 5, 5],
    (m) => prune.lnStructured(m, "weight", { amount: 0.5, n: 2, dim: 0 }),
  ],
  ln_structured_l1_dim1: [conv, [1, 3, 5, 5], (m) => prune.lnStructured(m, "weight", 1, 1, 1)],
  ln_structured_inf: [
    lin,
    [2, 5],
    (m) => prune.lnStructured(m, "weight", { amount: 0.4, n: Infinity, dim: 1 }),
  ],
  ln_structured_ninf: [
    lin,
    [2, 5],
    (m) => prune.lnStructured(m, "weight", { amount: 2, n: -Infinity, dim: 0 }),
  ],
  ln_structured_zero: [
    lin,
    [2, 5],
    (m) => prune.lnStructured(m, "weight", { amount: 0, n: 2, dim: 0 }),
  ],
  ln_structured_importance: [
    lin,
    [2, 5],
    (m) =>
      prune.lnStructured(m, "weight", {
        amount: 1,
        n: 2,
        dim: 0,
        importanceScores: ar(m)
          .viewAs(field(m, "weight") as Tensor)
          .flip(0),
      }),
  ],
  identity: [lin, [2, 5], (m) => prune.identity(m, "weight")],
  custom_from_mask: [
    lin,
    [2, 5],
    (m) => {
      const mask = torch.zerosLike(field(m, "weight") as Tensor);
      mask.view(-1).indexPut_(["::3"], 1);
      return prune.customFromMask(m, "weight", { mask });
    },
  ],
  iterative: [
    conv,
    [1, 3, 5, 5],
    (m) =>
      prune.lnStructured(
        prune.randomStructured(prune.l1Unstructured(m, "weight", 0.3), "weight", 1, { dim: 1 }),
        "weight",
        0.5,
        1,
        0,
      ),
  ],
  iterative_random: [
    lin,
    [2, 5],
    (m) => prune.randomUnstructured(prune.randomUnstructured(m, "weight", 0.5), "weight", 0.5),
  ],
  iterative_structured_then_unstructured: [
    lin,
    [2, 5],
    (m) => prune.l1Unstructured(prune.lnStructured(m, "weight", 2, 2, 0), "weight", 3),
  ],
  weight_and_bias: [
    lin,
    [2, 5],
    (m) => prune.randomUnstructured(prune.l1Unstructured(m, "weight", 0.2), "bias", 0.5),
  ],
  modified_orig: [
    lin,
    [2, 5],
    (m) => {
      prune.l1Unstructured(m, "weight", 0.5);
      torch.noGrad(() => (field(m, "weight_orig") as Tensor).mul_(2.0));
    },
  ],
  remove: [lin, [2, 5], (m) => prune.remove(prune.l1Unstructured(m, "weight", 0.5), "weight")],
  remove_container: [
    lin,
    [2, 5],
    (m) =>
      prune.remove(
        prune.randomUnstructured(prune.l1Unstructured(m, "weight", 0.5), "weight", 0.5),
        "weight",
      ),
  ],
  remove_one_of_two: [
    lin,
    [2, 5],
    (m) => prune.remove(prune.identity(prune.l1Unstructured(m, "bias", 1), "weight"), "bias"),
  ],
  global_l1: [
    seq,
    [2, 4],
    (m) => {
      const s = m as torch.nn.Sequential;
      prune.globalUnstructured(
        [
          [s.get(0), "weight"],
          [s.get(2), "weight"],
          [s.get(0), "bias"],
        ],
        prune.L1Unstructured,
        { amount: 0.3 },
      );
    },
  ],
  global_l1_int_again: [
    seq,
    [2, 4],
    (m) => {
      const s = m as torch.nn.Sequential;
      const params: [Module, string][] = [
        [s.get(0), "weight"],
        [s.get(2), "weight"],
      ];
      prune.globalUnstructured(params, prune.L1Unstructured, { amount: 5 });
      prune.globalUnstructured(params, prune.L1Unstructured, null, { amount: 4 });
    },
  ],
  global_random: [
    seq,
    [2, 4],
    (m) => {
      const s = m as torch.nn.Sequential;
      prune.globalUnstructured(
        [
          [s.get(0), "weight"],
          [s.get(2), "weight"],
        ],
        prune.RandomUnstructured,
        { amount: 0.5 },
      );
    },
  ],
  global_scores: [
    seq,
    [2, 4],
    (m) => {
      const s = m as torch.nn.Sequential;
      const key: [Module, string] = [s.get(2), "weight"];
      const scores = new Map([[key, torch.zerosLike(field(s.get(2), "weight") as Tensor)]]);
      prune.globalUnstructured(
        [
          [s.get(0), "weight"],
          [s.get(2), "weight"],
        ],
        prune.L1Unstructured,
        { importanceScores: scores, amount: 0.5 },
      );
    },
  ],
  class_apply: [
    lin,
    [2, 5],
    (m) => {
      prune.L1Unstructured.apply(m, "weight", 0.25);
      prune.RandomStructured.apply(m, "weight", { amount: 1, dim: 1 });
    },
  ],
  seq_remove: [
    seq,
    [2, 4],
    (m) => {
      const s = m as torch.nn.Sequential;
      prune.l1Unstructured(s.get(0), "weight", 0.5);
      prune.randomUnstructured(s.get(2), "bias", 1);
      prune.remove(s.get(0), "weight");
    },
  ],
  unpruned: [lin, [2, 5], () => undefined],
};

function hookRec(h: unknown): HookRec {
  const p = h as InstanceType<typeof prune.BasePruningMethod>;
  const out: HookRec = { cls: p.constructor.name, tensor_name: p._tensorName ?? null };
  if (h instanceof prune.PruningContainer) out.methods = [...h].map((x) => x.constructor.name);
  return out;
}

function check(m: Module, shape: number[], st: State, what: string): void {
  const params = m.namedParameters();
  assert.deepEqual(
    params.map(([n]) => n),
    st.params.map(([n]) => n),
    `${what}: parameter names`,
  );
  params.forEach(([n, p], i) => expectRec(p, st.params[i][1], `${what}: ${n}`));
  const buffers = m.namedBuffers();
  assert.deepEqual(
    buffers.map(([n]) => n),
    st.buffers.map(([n]) => n),
    `${what}: buffer names`,
  );
  buffers.forEach(([n, b], i) => expectRec(b, st.buffers[i][1], `${what}: ${n}`));
  assert.deepEqual(Object.keys(m.stateDict()), st.sd_keys, `${what}: state dict keys`);
  if (st.weight !== null) expectRec(field(m, "weight"), st.weight, `${what}: weight`);
  const hooks = m
    .namedModules()
    .map(([n, sm]): [string, HookRec[]] => [n, sm._forwardPreHooks().map(hookRec)]);
  assert.deepEqual(hooks, st.hooks, `${what}: forward pre-hooks`);
  assert.equal(prune.isPruned(m), st.is_pruned, `${what}: isPruned`);
  const out = (m as torch.nn.Linear).call(torch.randn(...shape));
  expectRec(out, st.out, `${what}: forward`, 1e-5);
  out.sum().backward();
  const grads = params.filter(([, p]) => p.grad !== null);
  assert.deepEqual(
    grads.map(([n]) => n),
    st.grads.map(([n]) => n),
    `${what}: grads`,
  );
  grads.forEach(([n, p], i) => expectRec(p.grad, st.grads[i][1], `${what}: ${n}.grad`, 1e-5));
  expectRec(
    torch.rand(3),
    { shape: [3], dtype: "float32", values: st.after },
    `${what}: generator after`,
  );
}

test("prune: every case gives PyTorch's parameters, masks, hooks, forward and gradients", () => {
  assert.deepEqual(Object.keys(CASES).sort(), FX.cases.map((c) => c.name).sort());
  for (const c of FX.cases) {
    const [make, shape, fn] = CASES[c.name];
    torch.manualSeed(c.seed);
    const m = make();
    fn(m);
    check(m, shape, c.state, c.name);
  }
});

const PRUNES: Record<string, (t: Tensor) => Tensor> = {
  l1: (t) => new prune.L1Unstructured(0.5).prune(t),
  l1_default_mask: (t) =>
    new prune.L1Unstructured({ amount: 2 }).prune(t, { defaultMask: t.gt(-0.5).float() }),
  l1_importance: (t) => new prune.L1Unstructured(3).prune(t, { importanceScores: t.neg() }),
  random: (t) => new prune.RandomUnstructured(0.25).prune(t),
  random_structured: (t) => new prune.RandomStructured(1, { dim: 0 }).prune(t),
  ln_structured: (t) => new prune.LnStructured(0.5, 1, -1).prune(t),
  identity: (t) => new prune.Identity().prune(t),
  custom: (t) => new prune.CustomFromMask(torch.eye(3, 4)).prune(t),
  l1_mask: (t) => new prune.L1Unstructured(0.5).computeMask(t, torch.onesLike(t)),
  random_structured_mask: (t) =>
    new prune.RandomStructured(0.5, { dim: 2 }).computeMask(t, torch.onesLike(t)),
};

test("prune: method.prune and computeMask on tensors", () => {
  for (const c of FX.prune) {
    torch.manualSeed(c.seed);
    const t = torch.randn(...c.out.shape);
    expectRec(PRUNES[c.name](t), c.out, c.name);
    expectRec(torch.rand(2), { shape: [2], dtype: "float32", values: c.after }, `${c.name}: after`);
  }
});

function fresh(): torch.nn.Linear {
  torch.manualSeed(0);
  return new nn.Linear(3, 2);
}

const ERRORS: Record<string, () => unknown> = {
  amount_negative: () => prune.l1Unstructured(fresh(), "weight", { amount: -1 }),
  amount_float_above: () => prune.randomUnstructured(fresh(), "weight", { amount: 1.5 }),
  amount_float_negative: () => new prune.L1Unstructured(-0.25),
  amount_type: () => new prune.L1Unstructured("a" as unknown as number),
  amount_too_many: () => prune.l1Unstructured(fresh(), "weight", { amount: 7 }),
  structured_1d: () => prune.lnStructured(fresh(), "bias", 1, 2, 0),
  structured_random_1d: () => prune.randomStructured(fresh(), "bias", 1, 0),
  structured_dim: () => prune.lnStructured(fresh(), "weight", 1, 2, 2),
  structured_too_many: () => prune.randomStructured(fresh(), "weight", 3, 0),
  remove_unpruned: () => prune.remove(fresh(), "weight"),
  remove_other: () => prune.remove(prune.identity(fresh(), "weight"), "bias"),
  container_mixed: () => {
    const a = new prune.L1Unstructured(0.5);
    a._tensorName = "weight";
    const c = new prune.PruningContainer(a);
    const b = new prune.L1Unstructured(0.5);
    b._tensorName = "bias";
    c.addPruningMethod(b);
  },
  container_not_method: () => {
    const a = new prune.L1Unstructured(0.5);
    a._tensorName = "weight";
    new prune.PruningContainer(a).addPruningMethod(3 as unknown as null);
  },
  global_structured: () =>
    prune.globalUnstructured([[fresh(), "weight"]], prune.RandomStructured, { amount: 1 }),
  global_not_iterable: () =>
    prune.globalUnstructured(3 as unknown as [], prune.L1Unstructured, { amount: 1 }),
  global_scores_not_dict: () =>
    prune.globalUnstructured([[fresh(), "weight"]], prune.L1Unstructured, {
      importanceScores: [torch.ones(2, 3)] as unknown as Map<[Module, string], Tensor>,
      amount: 1,
    }),
  importance_shape: () =>
    prune.l1Unstructured(fresh(), "weight", 0.5, { importanceScores: torch.ones(3) }),
  prune_importance_shape: () =>
    new prune.L1Unstructured(1).prune(torch.ones(2, 3), { importanceScores: torch.ones(3) }),
  missing_param: () => prune.l1Unstructured(fresh(), "nope", 0.5),
  global_missing_amount: () =>
    prune.globalUnstructured([[fresh(), "weight"]], prune.L1Unstructured),
  ctor_missing_amount: () => new (prune.RandomStructured as unknown as new () => unknown)(),
  apply_missing_amount: () =>
    (prune.L1Unstructured.apply as (m: unknown, n: string) => unknown)(fresh(), "weight"),
};

/** Python's object addresses differ from run to run. */
const noAddress = (s: string): string => s.replace(/ at 0x[0-9a-f]+>/g, " at 0x?>");

test("prune: PyTorch's errors", () => {
  assert.deepEqual(Object.keys(ERRORS).sort(), Object.keys(FX.errors).sort());
  for (const [name, e] of Object.entries(FX.errors)) {
    assert.throws(ERRORS[name], (err: Error) => {
      assert.equal(err.constructor.name, e.type, `${name}: type`);
      assert.equal(noAddress(err.message), noAddress(e.message), `${name}: message`);
      return true;
    });
  }
});

test("prune: a failing mask leaves the parameter in place (PyTorch's roll back)", () => {
  const m = fresh();
  assert.throws(() => prune.l1Unstructured(m, "weight", 7));
  assert.deepEqual(
    m.namedParameters().map(([n]) => n),
    FX.rollback.params,
  );
  assert.deepEqual(
    m.namedBuffers().map(([n]) => n),
    FX.rollback.buffers,
  );
  assert.equal(m._forwardPreHooks().length, FX.rollback.hooks);
});

test("prune: the hook is the method; remove keeps the Parameter object; a custom method", () => {
  const m = fresh();
  const w = m.weight;
  prune.l1Unstructured(m, "weight", 2);
  const [hook] = m._forwardPreHooks();
  assert.ok(hook instanceof prune.L1Unstructured);
  assert.equal((hook as InstanceType<typeof prune.L1Unstructured>).amount, 2);
  assert.equal(field(m, "weight_orig"), w);
  prune.remove(m, "weight");
  assert.equal(m.weight, w);
  assert.equal(m._forwardPreHooks().length, 0);
  assert.equal(w.eq(0).sum().item(), 2);

  class EveryOther extends prune.BasePruningMethod {
    PRUNING_TYPE = "unstructured" as const;
    computeMask(_t: Tensor, defaultMask: Tensor): Tensor {
      const mask = defaultMask.clone();
      mask.view(-1).indexPut_(["::2"], 0);
      return mask;
    }
  }
  const m2 = fresh();
  EveryOther.apply(m2, "bias");
  assert.deepEqual(
    field(m2, "bias_mask") instanceof torch.Tensor && (field(m2, "bias_mask") as Tensor).tolist(),
    [0, 1],
  );
  EveryOther.apply(m2, "bias");
  // the second pass sees only the kept entry
  assert.deepEqual((field(m2, "bias_mask") as Tensor).tolist(), [0, 0]);
  assert.ok(m2._forwardPreHooks()[0] instanceof prune.PruningContainer);
});
