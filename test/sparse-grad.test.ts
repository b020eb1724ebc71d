/**
 * Sparse embedding gradients and the optimizers that take them, against PyTorch 1.13
 * (test/fixtures/sparse_grad.json, made by scripts/fixtures/sparse_grad_fx.py): each case is a
 * small program run here under the same name, and every key it yields (tensors with their
 * indices, values and coalesced flag; printed strings; weights after each training step;
 * optimizer state dicts; errors) is compared with PyTorch's: exactly, except the training
 * cases and LBFGS (see `close`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import type { Optimizer } from "../src/optim/index.js";
import { readFixture } from "./helpers/fixtures.js";
import { layoutRecord as T } from "./helpers/sparse-record.js";

type Out = unknown;
interface Inputs {
  w0: number[][];
  ids: number[][];
  gw: number[][];
  lin_w: number[][];
  lin_b: number[];
  target: number[][];
}
interface Fixture {
  torch: string;
  cases: Record<string, Record<string, Out>>;
}
const fx = readFixture<Fixture>("sparse_grad.json");
const inputs = fx.cases.inputs as unknown as Inputs;
const F = torch.nn.functional;
const long = (v: number[] | number[][]): Tensor => torch.tensor(v, { dtype: torch.int64 });

/** The error `fn` raises, as the fixture records it. */
function E(fn: () => unknown): Out {
  try {
    fn();
  } catch (e) {
    const err = e as Error;
    return { type: err.name, message: err.message };
  }
  throw new Error("expected an error");
}

const weight = (dtype = torch.float32): Tensor =>
  torch.tensor(inputs.w0, { dtype, requiresGrad: true });
const ids = (): Tensor => long(inputs.ids);

/** sparse_grad_fx.py's loss_of: the gathered rows weighted so every gradient entry differs. */
function lossOf(out: Tensor): Tensor {
  const gw = torch.tensor(inputs.gw.slice(0, 2)).unsqueeze(1).expand(2, 3, 3);
  return out.mul(gw).sum().add(out.pow(2).sum());
}

/** An optimizer's state dict as the fixture records it (tensors by T, tuples as lists). */
function stateDictJson(opt: Optimizer): Out {
  const sd = opt.stateDict();
  const state: Record<string, Out> = {};
  for (const [k, v] of Object.entries(sd.state)) {
    const rec: Record<string, Out> = {};
    for (const [n, x] of Object.entries(v)) rec[n] = x instanceof torch.Tensor ? T(x) : x;
    state[k] = rec;
  }
  return { state, param_groups: sd.param_groups };
}

/** sparse_grad_fx.py's train: an Embedding(sparse) + Linear model, a few steps. */
function train(
  makeOpts: (e: torch.nn.Embedding, l: torch.nn.Linear) => Optimizer[],
  steps = 3,
  paddingIdx: number | null = null,
): Record<string, Out> {
  const emb = new torch.nn.Embedding(5, 3, {
    paddingIdx,
    sparse: true,
    _weight: torch.tensor(inputs.w0),
  });
  const lin = new torch.nn.Linear(3, 2);
  torch.noGrad(() => {
    lin.weight.copy_(torch.tensor(inputs.lin_w));
    (lin.bias as Tensor).copy_(torch.tensor(inputs.lin_b));
  });
  const opts = makeOpts(emb, lin);
  const rec = { emb: [] as Out[], lin_w: [] as Out[], lin_b: [] as Out[], grads: [] as Out[] };
  for (let s = 0; s < steps; s++) {
    for (const o of opts) o.zeroGrad();
    const x =
      s % 2 === 0
        ? long(inputs.ids)
        : long([
            [3, 3, 0],
            [1, 0, 2],
          ]);
    const out = lin.call(emb.call(x).mean(1));
    const loss = out.sub(torch.tensor(inputs.target)).pow(2).sum();
    loss.backward();
    rec.grads.push(T(emb.weight.grad));
    for (const o of opts) o.step();
    rec.emb.push(emb.weight.tolist());
    rec.lin_w.push(lin.weight.tolist());
    rec.lin_b.push((lin.bias as Tensor).tolist());
  }
  return { ...rec, state: opts.map(stateDictJson) };
}

/** A parameter with a sparse gradient (sparse_grad_fx.py's sparse_grad_param). */
function sparseGradParam(): torch.nn.Embedding {
  const emb = new torch.nn.Embedding(5, 3, { sparse: true, _weight: torch.tensor(inputs.w0) });
  emb
    .call(long([1, 2, 1]))
    .sum()
    .backward();
  return emb;
}

const O = torch.optim;

// sparse_grad_fx.py's fixed sparse gradients (uncoalesced, a repeated row)
const GRAD_IDX = [[[1, 3, 1, 4]], [[0, 3]], [[4, 4, 2]]];
const GRAD_VALS = [
  [
    [0.3, -0.7, 1.9],
    [0.11, 0.05, -0.4],
    [-1.3, 0.6, 0.25],
    [2.2, -0.03, 0.7],
  ],
  [
    [-0.45, 0.8, 0.015],
    [0.9, -1.1, 0.33],
  ],
  [
    [0.21, 0.4, -0.6],
    [-0.07, 1.7, 0.2],
    [0.5, 0.5, -2.5],
  ],
];

/** sparse_grad_fx.py's fixed_steps: three steps on given sparse gradients; the weights after each. */
function fixedSteps(make: (p: Tensor[]) => Optimizer, dtype = torch.float32): Out {
  const p = torch.tensor(inputs.w0, { dtype, requiresGrad: true });
  const opt = make([p]);
  return GRAD_IDX.map((i, k) => {
    p.grad = torch.sparseCooTensor(
      torch.tensor(i, { dtype: torch.int64 }),
      torch.tensor(GRAD_VALS[k], { dtype }),
      [5, 3],
    );
    opt.step();
    return p.tolist();
  });
}

/** The programs of sparse_grad_fx.py, one per case, yielding the same keys. */
const CASES: Record<string, () => Record<string, Out>> = {
  inputs: () => ({ ...inputs }),
  functional: () => {
    const w = weight();
    const out = F.embedding(ids(), w, { sparse: true });
    lossOf(out).backward();
    return { out: T(out), grad: T(w.grad), str: String(w.grad) };
  },
  functional_f64_padding: () => {
    const w = weight(torch.float64);
    const out = F.embedding(ids(), w, { paddingIdx: 4, sparse: true });
    out.mul(2).sum().backward();
    return { out: T(out), grad: T(w.grad), str: String(w.grad) };
  },
  all_padding: () => {
    const w = weight();
    F.embedding(long([3, 3]), w, { paddingIdx: 3, sparse: true })
      .sum()
      .backward();
    return { grad: T(w.grad), str: String(w.grad) };
  },
  scale_grad_by_freq: () => {
    const w = weight();
    const out = F.embedding(ids(), w, { scaleGradByFreq: true, sparse: true });
    return { error: E(() => out.sum().backward()) };
  },
  aten_embedding: () => {
    const w = weight();
    const out = torch.embedding(w, ids(), 2, false, true);
    out.mul(3).sum().backward();
    return { out: T(out), grad: T(w.grad) };
  },
  module_accumulate: () => {
    const emb = new torch.nn.Embedding(5, 3, { sparse: true, _weight: torch.tensor(inputs.w0) });
    emb
      .call(long([0, 2]))
      .sum()
      .backward();
    const first = T(emb.weight.grad);
    emb
      .call(long([[2, 1]]))
      .pow(2)
      .sum()
      .backward();
    const out: Record<string, Out> = {
      repr: String(emb),
      first,
      grad: T(emb.weight.grad),
      str: String(emb.weight.grad),
    };
    const opt = new O.SGD(emb.parameters(), { lr: 0.1 });
    opt.zeroGrad();
    out.zeroed = T(emb.weight.grad);
    emb
      .call(long([4]))
      .sum()
      .backward();
    out.after_zero = T(emb.weight.grad);
    opt.zeroGrad({ setToNone: true });
    out.none = emb.weight.grad === null;
    return out;
  },
  train_sparse_adam: () =>
    train((e, l) => [
      new O.SparseAdam(e.parameters(), { lr: 0.1 }),
      new O.Adam(l.parameters(), { lr: 0.1 }),
    ]),
  train_sparse_adam_maximize: () =>
    train(
      (e, l) => [
        new O.SparseAdam(e.parameters(), {
          lr: 0.05,
          betas: [0.8, 0.9],
          eps: 1e-6,
          maximize: true,
        }),
        new O.SGD(l.parameters(), { lr: 0.1 }),
      ],
      3,
      0,
    ),
  train_sgd: () =>
    train((e, l) => [new O.SGD([...e.parameters(), ...l.parameters()], { lr: 0.1 })]),
  train_sgd_momentum: () =>
    train(
      (e, l) => [
        new O.SGD([...e.parameters(), ...l.parameters()], {
          lr: 0.1,
          momentum: 0.9,
          dampening: 0.1,
        }),
      ],
      4,
    ),
  train_adagrad: () =>
    train((e, l) => [
      new O.Adagrad([...e.parameters(), ...l.parameters()], { lr: 0.1, lrDecay: 0.01 }),
    ]),
  train_adagrad_maximize: () =>
    train((e, l) => [
      new O.Adagrad([...e.parameters(), ...l.parameters()], {
        lr: 0.2,
        initialAccumulatorValue: 0.1,
        eps: 1e-5,
        maximize: true,
      }),
    ]),
  fixed_steps: () => ({
    sparse_adam: fixedSteps((p) => new O.SparseAdam(p, { lr: 0.1 })),
    sparse_adam_max: fixedSteps(
      (p) => new O.SparseAdam(p, { lr: 0.03, betas: [0.5, 0.8], eps: 1e-3, maximize: true }),
    ),
    sparse_adam_f64: fixedSteps((p) => new O.SparseAdam(p, { lr: 0.1 }), torch.float64),
    sgd: fixedSteps((p) => new O.SGD(p, { lr: 0.1 })),
    sgd_momentum: fixedSteps((p) => new O.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.2 })),
    sgd_nesterov: fixedSteps(
      (p) => new O.SGD(p, { lr: 0.07, momentum: 0.8, nesterov: true, maximize: true }),
    ),
    adagrad: fixedSteps((p) => new O.Adagrad(p, { lr: 0.1, lrDecay: 0.05 })),
    adagrad_f64: fixedSteps(
      (p) => new O.Adagrad(p, { lr: 0.1, initialAccumulatorValue: 0.2 }),
      torch.float64,
    ),
  }),
  errors: () => {
    const step = (make: (p: Iterable<Tensor>) => Optimizer) => () =>
      make(sparseGradParam().parameters()).step();
    const denseSparseAdam = (): void => {
      const lin = new torch.nn.Linear(2, 1);
      lin.call(torch.ones(1, 2)).sum().backward();
      new O.SparseAdam(lin.parameters()).step();
    };
    return {
      Adam: E(step((p) => new O.Adam(p, { lr: 0.1 }))),
      AdamW: E(step((p) => new O.AdamW(p, { lr: 0.1 }))),
      Adamax: E(step((p) => new O.Adamax(p, { lr: 0.1 }))),
      NAdam: E(step((p) => new O.NAdam(p, { lr: 0.1 }))),
      RAdam: E(step((p) => new O.RAdam(p, { lr: 0.1 }))),
      RMSprop: E(step((p) => new O.RMSprop(p, { lr: 0.1 }))),
      Adadelta: E(step((p) => new O.Adadelta(p, { lr: 0.1 }))),
      ASGD: E(step((p) => new O.ASGD(p, { lr: 0.1 }))),
      Rprop: E(step((p) => new O.Rprop(p, { lr: 0.1 }))),
      Adagrad_wd: E(step((p) => new O.Adagrad(p, { lr: 0.1, weightDecay: 0.1 }))),
      SGD_wd: E(step((p) => new O.SGD(p, { lr: 0.1, weightDecay: 0.1 }))),
      SparseAdam_dense: E(denseSparseAdam),
    };
  },
  embedding_bag: () => {
    const bag = (
      mode: "sum" | "mean" | "max",
      paddingIdx: number | null = null,
      psw: Tensor | null = null,
    ): Record<string, Out> => {
      const w = weight();
      const o = F.embeddingBag(long([1, 2, 4, 4, 3, 1]), w, long([0, 2, 2]), {
        mode,
        sparse: true,
        paddingIdx,
        perSampleWeights: psw,
      });
      o.mul(torch.tensor(inputs.gw)).sum().backward();
      return { out: T(o), grad: T(w.grad), str: String(w.grad) };
    };
    const m = new torch.nn.EmbeddingBag(5, 3, {
      mode: "sum",
      sparse: true,
      _weight: torch.tensor(inputs.w0),
    });
    const opt = new O.SparseAdam(m.parameters(), { lr: 0.1 });
    const ws: Out[] = [];
    for (const x of [
      [
        [1, 2],
        [4, 1],
      ],
      [
        [0, 0],
        [3, 1],
      ],
    ]) {
      opt.zeroGrad();
      m.call(long(x))
        .mul(torch.tensor(inputs.gw.slice(0, 2)))
        .sum()
        .backward();
      opt.step();
      ws.push(m.weight.tolist());
    }
    return {
      sum: bag("sum"),
      mean_pad: bag("mean", 3),
      psw: bag("sum", null, torch.tensor([0.5, -1.0, 2.0, 0.3, 1.5, 0.7])),
      max: E(() => bag("max")),
      module_repr: String(m),
      module_steps: ws,
    };
  },
  sparse_params: () => ({
    list: E(() => new O.SparseAdam([torch.zeros(2), torch.zeros(2).toSparse()])),
    groups: E(() => new O.SparseAdam([{ params: [torch.zeros(2).toSparse(), torch.zeros(2)] }])),
  }),
  lbfgs: () => {
    const p = torch.tensor(inputs.w0, { requiresGrad: true });
    const opt = new O.LBFGS([p], { lr: 0.5, maxIter: 3 });
    const closure = (): Tensor => {
      opt.zeroGrad();
      const loss = F.embedding(long([1, 4, 1]), p, { sparse: true })
        .pow(2)
        .sum();
      loss.backward();
      return loss;
    };
    const loss = opt.step(closure) as Tensor;
    return { loss: loss.item(), p: p.tolist() };
  },
  clip_grad_norm: () => {
    const emb = sparseGradParam();
    const n = torch.nn.utils.clipGradNorm_(emb.parameters(), 0.5);
    return { norm: n.item(), grad: T(emb.weight.grad) };
  },
};

/**
 * Deep comparison. Numbers are compared exactly (fixed_steps: the optimizer steps round as
 * PyTorch's kernels do) or, with `tol`, to 1e-6 + 1e-5 |expected| (the training cases, whose
 * gradients come through dense matmul and mean backward kernels that sum in another order,
 * and LBFGS, whose line search reduces in another order).
 */
function close(actual: unknown, expected: unknown, path: string, tol = false): void {
  if (expected === "nan" || expected === "inf" || expected === "-inf") {
    const want = expected === "nan" ? NaN : expected === "inf" ? Infinity : -Infinity;
    assert.ok(Object.is(actual, want), `${path}: ${String(actual)} != ${expected}`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((e, i) => close(actual[i], e, `${path}[${i}]`, tol));
    return;
  }
  if (expected !== null && typeof expected === "object") {
    assert.ok(actual !== null && typeof actual === "object", `${path}: expected an object`);
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(e).sort(), `${path}: keys`);
    for (const k of Object.keys(e)) close(a[k], e[k], `${path}.${k}`, tol);
    return;
  }
  if (tol && typeof expected === "number" && typeof actual === "number") {
    const err = Math.abs(actual - expected);
    assert.ok(err <= 1e-6 + 1e-5 * Math.abs(expected), `${path}: ${actual} != ${expected}`);
    return;
  }
  assert.equal(actual, expected, path);
}

test("every fixture case has a program here, and every program a fixture case", () => {
  assert.deepEqual(Object.keys(CASES).sort(), Object.keys(fx.cases).sort());
});

for (const [name, expected] of Object.entries(fx.cases)) {
  test(`sparse grad: ${name}`, () => {
    const program = CASES[name];
    assert.ok(program !== undefined, `no program for ${name}`);
    const actual = program();
    // gradients before the weights they produce, so a failure names its first cause
    const keys = Object.keys(expected).sort(
      (a, b) => Number(b === "grads") - Number(a === "grads"),
    );
    for (const key of keys)
      close(
        actual[key],
        expected[key],
        `${name}.${key}`,
        name.startsWith("train_") || name === "lbfgs",
      );
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  });
}
