/**
 * torch.nn.utils.stateless.functionalCall, the conv/linear + BatchNorm fusion and skipInit
 * against PyTorch 1.13 (test/fixtures/nnutils.json, made by scripts/fixtures/nnutils_fx.py):
 * outputs, gradients into the tensors passed in (and none into the module's replaced ones), the
 * dictionary after the call (buffer updates land in it), the module's own tensors untouched,
 * what namedParameters() says during the call, the tied-weights warning, restoring after an
 * error; fused weights, biases and outputs; skipInit's shapes and untouched generator; errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { readFixture } from "./helpers/fixtures.js";

const nn = torch.nn;
const { functionalCall } = torch.nn.utils.stateless;
type Module = torch.nn.Module;

interface Rec {
  shape: number[];
  dtype: string;
  values: number[];
}
interface StatelessCase {
  name: string;
  seed: number;
  out: Rec;
  grads: [string, Rec][];
  dict: [string, Rec][];
  own: [string, Rec][];
  own_grads: [string, Rec][];
  warnings: string[];
  during: string[] | null;
}
interface FusionCase {
  name: string;
  seed: number;
  weight: Rec;
  bias: Rec;
  requires_grad: boolean[];
  x_shape: number[];
  out: Rec;
  ref: Rec;
  repr: string;
}
interface Fixture {
  stateless: StatelessCase[];
  restored: { same_object: boolean; names: string[] };
  fusion: FusionCase[];
  weights: Record<string, [Rec, Rec]>;
  skip_init: {
    name: string;
    seed: number;
    shapes: [string, number[]][];
    requires_grad: boolean[];
    after: number[];
  }[];
  errors: Record<string, { type: string; message: string }>;
}

const FX = readFixture<Fixture>("nnutils.json");

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

/** fn() with console.warn captured: its result and the warnings (without "UserWarning: "). */
function capture<T>(fn: () => T): [T, string[]] {
  const warned: string[] = [];
  const orig = console.warn;
  console.warn = (msg: string) => warned.push(String(msg).replace(/^UserWarning: /, ""));
  try {
    return [fn(), warned];
  } finally {
    console.warn = orig;
  }
}

class Probe extends nn.Module {
  lin = new nn.Linear(3, 2);
  seen: string[] = [];
  override forward(x: Tensor): Tensor {
    this.seen = this.namedParameters().map(([n]) => n);
    return this.lin.call(x);
  }
}

const req = (t: Tensor): Tensor => t.clone().requiresGrad_();
const mlp = (): Module =>
  new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
/** One Linear under two names. */
class Tied extends nn.Module {
  a = new nn.Linear(3, 3);
  b = this.a;
  override forward(x: Tensor): Tensor {
    return this.b.call(torch.tanh(this.a.call(x)));
  }
}
const tied = (): Module => new Tied();
const shared = (): Module => {
  const a = new nn.Linear(3, 3);
  const b = new nn.Linear(3, 3);
  b.weight = a.weight;
  return new nn.Sequential(a, new nn.Tanh(), b);
};

type Dict = Record<string, Tensor> | Map<string, Tensor>;
/** As nnutils_fx.py's STATELESS: module, dictionary, args, kwargs. */
const STATELESS: Record<
  string,
  [() => Module, (m: Module) => Dict, () => unknown, (() => Record<string, unknown>) | null]
> = {
  linear_weight: [
    () => new nn.Linear(3, 2),
    () => ({ weight: req(torch.randn(2, 3)) }),
    () => [torch.randn(4, 3)],
    null,
  ],
  linear_all: [
    () => new nn.Linear(3, 2),
    () =>
      new Map([
        ["weight", req(torch.randn(2, 3))],
        ["bias", req(torch.randn(2))],
      ]),
    () => [torch.randn(4, 3)],
    null,
  ],
  mlp_doubled: [
    mlp,
    (m) => Object.fromEntries(m.namedParameters().map(([k, v]) => [k, req(v.detach().mul(2))])),
    () => [torch.randn(5, 3)],
    null,
  ],
  mlp_one: [
    mlp,
    () => ({ "2.bias": req(torch.tensor([10.0, -10.0])) }),
    () => [torch.randn(5, 3)],
    null,
  ],
  not_tuple: [
    () => new nn.Linear(3, 2),
    () => ({ bias: req(torch.ones(2)) }),
    () => torch.randn(2, 3),
    null,
  ],
  kwargs: [
    () => new nn.Linear(3, 2),
    () => ({ bias: req(torch.ones(2)) }),
    () => [],
    () => ({ input: torch.randn(2, 3) }),
  ],
  batchnorm_buffers: [
    () => new nn.BatchNorm1d(3),
    () => ({
      running_mean: torch.ones(3),
      running_var: torch.full([3], 2.0, { dtype: torch.float32 }),
      num_batches_tracked: torch.tensor(5, { dtype: torch.int64 }),
    }),
    () => [torch.randn(4, 3)],
    null,
  ],
  tied_same: [
    tied,
    () => {
      const e = req(torch.eye(3));
      return { "a.weight": e, "b.weight": e };
    },
    () => [torch.randn(2, 3)],
    null,
  ],
  tied_different: [
    tied,
    () => ({ "a.weight": req(torch.eye(3)), "b.weight": req(torch.eye(3).mul(2)) }),
    () => [torch.randn(2, 3)],
    null,
  ],
  shared_different: [
    shared,
    () => ({ "0.weight": req(torch.eye(3)), "2.weight": req(torch.eye(3).mul(2)) }),
    () => [torch.randn(2, 3)],
    null,
  ],
  shared_same: [
    shared,
    () => {
      const e = req(torch.eye(3));
      return { "0.weight": e, "2.weight": e };
    },
    () => [torch.randn(2, 3)],
    null,
  ],
  extra_name: [
    () => new nn.Linear(3, 2),
    () => ({ extra: torch.ones(1) }),
    () => [torch.randn(2, 3)],
    null,
  ],
  probe: [
    () => new Probe(),
    () => ({ "lin.weight": req(torch.zeros(2, 3)) }),
    () => [torch.randn(2, 3)],
    null,
  ],
};

const entries = (d: Dict): [string, Tensor][] => (d instanceof Map ? [...d] : Object.entries(d));

test("functionalCall: PyTorch's outputs, gradients, dictionary and module afterwards", () => {
  assert.deepEqual(Object.keys(STATELESS).sort(), FX.stateless.map((c) => c.name).sort());
  for (const c of FX.stateless) {
    const [make, makeDict, makeArgs, makeKwargs] = STATELESS[c.name];
    torch.manualSeed(c.seed);
    const m = make();
    const ownBefore = [...m.namedParameters(), ...m.namedBuffers()];
    const d = makeDict(m);
    const args = makeArgs();
    const kwargs = makeKwargs === null ? null : makeKwargs();
    const [y, warned] = capture(() => functionalCall(m, d, args, kwargs) as Tensor);
    assert.deepEqual(warned, c.warnings, `${c.name}: warnings`);
    expectRec(y, c.out, `${c.name}: output`, 1e-5);
    if (y.requiresGrad) y.sum().backward();
    const grads = entries(d).filter(([, v]) => v.grad !== null);
    assert.deepEqual(
      grads.map(([k]) => k),
      c.grads.map(([k]) => k),
      `${c.name}: grads`,
    );
    grads.forEach(([k, v], i) => expectRec(v.grad, c.grads[i][1], `${c.name}: ${k}.grad`, 1e-5));
    entries(d).forEach(([k, v], i) => expectRec(v, c.dict[i][1], `${c.name}: dict ${k}`));
    const own = [...m.namedParameters(), ...m.namedBuffers()];
    assert.deepEqual(
      own.map(([n]) => n),
      c.own.map(([n]) => n),
      `${c.name}: own names`,
    );
    own.forEach(([n, p], i) => {
      assert.equal(p, ownBefore[i][1], `${c.name}: ${n} is the module's own object`);
      expectRec(p, c.own[i][1], `${c.name}: own ${n}`);
    });
    const ownGrads = m.namedParameters().filter(([, p]) => p.grad !== null);
    assert.deepEqual(
      ownGrads.map(([n]) => n),
      c.own_grads.map(([n]) => n),
      `${c.name}: own grads`,
    );
    ownGrads.forEach(([n, p], i) =>
      expectRec(p.grad, c.own_grads[i][1], `${c.name}: ${n}.grad`, 1e-5),
    );
    if (c.during !== null) assert.deepEqual((m as Probe).seen, c.during, `${c.name}: during`);
    // nothing of the swap is left on the module
    for (const sub of m.modules()) {
      for (const k of Object.getOwnPropertyNames(sub))
        assert.equal(Object.getOwnPropertyDescriptor(sub, k)?.get, undefined, `${c.name}: ${k}`);
    }
  }
});

class Boom extends nn.Module {
  lin = new nn.Linear(3, 2);
  override forward(): Tensor {
    throw new torch.ValueError("boom");
  }
}

test("functionalCall restores the module when the forward throws", () => {
  torch.manualSeed(0);
  const m = new Boom();
  const w = m.lin.weight;
  assert.throws(() => functionalCall(m, { "lin.weight": torch.zeros(2, 3) }, [torch.ones(3)]));
  assert.equal(m.lin.weight === w, FX.restored.same_object);
  assert.deepEqual(
    m.namedParameters().map(([n]) => n),
    FX.restored.names,
  );
  assert.equal(Object.getOwnPropertyDescriptor(m.lin, "weight")?.get, undefined);
});

const FUSIONS: Record<string, [() => [Module, Module], (c: Module, b: Module) => Module]> = {};
function bnWithStats(n: number, affine = true, dims = 2): Module {
  const bn = dims === 2 ? new nn.BatchNorm2d(n, { affine }) : new nn.BatchNorm1d(n, { affine });
  torch.noGrad(() => {
    (bn.running_mean as Tensor).copy_(torch.randn(n));
    (bn.running_var as Tensor).copy_(torch.rand(n).add(0.5));
    if (affine) {
      (bn.weight as Tensor).copy_(torch.randn(n));
      (bn.bias as Tensor).copy_(torch.randn(n));
    }
  });
  return bn.eval();
}
const fuse = (c: Module, b: Module): Module => torch.nn.utils.fuseConvBnEval(c, b);
FUSIONS.conv2d = [() => [new nn.Conv2d(3, 4, 3).eval(), bnWithStats(4)], fuse];
FUSIONS.conv2d_nobias = [
  () => [new nn.Conv2d(2, 3, 3, { bias: false }).eval(), bnWithStats(3)],
  fuse,
];
FUSIONS.conv2d_not_affine = [() => [new nn.Conv2d(2, 3, 1).eval(), bnWithStats(3, false)], fuse];
FUSIONS.conv1d = [() => [new nn.Conv1d(2, 3, 3).eval(), bnWithStats(3, true, 1)], fuse];
FUSIONS.conv_transpose2d = [
  () => [new nn.ConvTranspose2d(3, 2, 2).eval(), bnWithStats(2)],
  (c, b) => torch.nn.utils.fuseConvBnEval(c, b, { transpose: true }),
];
FUSIONS.linear = [
  () => [new nn.Linear(3, 4).eval(), bnWithStats(4, true, 1)],
  (c, b) => torch.nn.utils.fuseLinearBnEval(c, b),
];

test("fuseConvBnEval / fuseLinearBnEval: PyTorch's fused weights, biases and outputs", () => {
  assert.deepEqual(Object.keys(FUSIONS).sort(), FX.fusion.map((c) => c.name).sort());
  for (const c of FX.fusion) {
    torch.manualSeed(c.seed);
    const [conv, bn] = FUSIONS[c.name][0]();
    const convWeight = (conv as torch.nn.Linear).weight.clone();
    const fused = FUSIONS[c.name][1](conv, bn) as torch.nn.Linear;
    assert.notEqual(fused, conv);
    assert.ok((conv as torch.nn.Linear).weight.equal(convWeight), `${c.name}: conv untouched`);
    expectRec(fused.weight, c.weight, `${c.name}: weight`, 1e-5);
    expectRec(fused.bias, c.bias, `${c.name}: bias`, 1e-5);
    assert.ok(fused.weight instanceof nn.Parameter && fused.bias instanceof nn.Parameter);
    assert.deepEqual(
      [
        fused.weight.requiresGrad,
        (fused.bias as Tensor).requiresGrad,
        fused.weight.gradFn === null,
      ],
      c.requires_grad,
    );
    assert.equal(String(fused), c.repr);
    const x = torch.randn(...c.x_shape);
    expectRec(fused.call(x), c.out, `${c.name}: fused output`, 1e-5);
    expectRec(bn.call(conv.call(x)), c.ref, `${c.name}: unfused output`, 1e-5);
  }
});

test("fuseConvBnWeights / fuseLinearBnWeights on tensors", () => {
  torch.manualSeed(30);
  const [w, b] = [torch.randn(3, 2, 2, 2), torch.randn(3)];
  const [rm, rv, bw, bb] = [torch.randn(3), torch.rand(3).add(0.1), torch.randn(3), torch.randn(3)];
  const u = torch.nn.utils;
  const cases: Record<string, [Tensor, Tensor]> = {
    conv_full: u.fuseConvBnWeights(w, b, rm, rv, 1e-3, bw, bb),
    conv_none: u.fuseConvBnWeights(w, null, rm, rv, 1e-5, null, null),
    conv_transpose: u.fuseConvBnWeights(torch.randn(2, 3, 2), b, rm, rv, 1e-5, bw, bb, true),
    linear: u.fuseLinearBnWeights(torch.randn(3, 5), null, rm, rv, 1e-5, bw, bb),
  };
  assert.deepEqual(Object.keys(cases).sort(), Object.keys(FX.weights).sort());
  for (const [k, [fw, fb]] of Object.entries(cases)) {
    expectRec(fw, FX.weights[k][0], `${k}: weight`, 1e-5);
    expectRec(fb, FX.weights[k][1], `${k}: bias`, 1e-5);
  }
});

const SKIPS: Record<string, () => Module> = {
  linear: () => torch.nn.utils.skipInit(nn.Linear, 3, 2),
  linear_kw: () =>
    torch.nn.utils.skipInit(nn.Linear, { inFeatures: 4, outFeatures: 2, bias: false }),
  conv: () => torch.nn.utils.skipInit(nn.Conv2d, 2, 3, 3, { device: "cpu" }),
  batchnorm: () => torch.nn.utils.skipInit(nn.BatchNorm1d, 5),
};

test("skipInit: PyTorch's shapes, and no random number drawn", () => {
  assert.deepEqual(Object.keys(SKIPS).sort(), FX.skip_init.map((c) => c.name).sort());
  for (const c of FX.skip_init) {
    torch.manualSeed(c.seed);
    const m = SKIPS[c.name]();
    const named = [...m.namedParameters(), ...m.namedBuffers()];
    assert.deepEqual(
      named.map(([n, p]) => [n, p.shape]),
      c.shapes,
      `${c.name}: shapes`,
    );
    assert.deepEqual(
      m.parameters().map((p) => p.requiresGrad),
      c.requires_grad,
    );
    expectRec(torch.rand(3), { shape: [3], dtype: "float32", values: c.after }, `${c.name}: after`);
  }
});

const ERRORS: Record<string, () => unknown> = {
  bad_path: () =>
    functionalCall(new nn.Linear(3, 2), { "foo.weight": torch.ones(1) }, [torch.ones(3)]),
  bad_path_after_swap: () =>
    functionalCall(new nn.Linear(3, 2), { weight: torch.ones(2, 3), "foo.x": torch.ones(1) }, [
      torch.ones(3),
    ]),
  forward_error: () =>
    functionalCall(new Boom(), { "lin.weight": torch.zeros(2, 3) }, [torch.ones(3)]),
  shape_error: () =>
    functionalCall(new nn.Linear(3, 2), { weight: torch.ones(2, 4) }, [torch.ones(1, 3)]),
  fuse_training: () =>
    torch.nn.utils.fuseConvBnEval(new nn.Conv2d(1, 1, 1), new nn.BatchNorm2d(1).eval()),
  fuse_bn_training: () =>
    torch.nn.utils.fuseConvBnEval(new nn.Conv2d(1, 1, 1).eval(), new nn.BatchNorm2d(1)),
  fuse_linear_training: () =>
    torch.nn.utils.fuseLinearBnEval(new nn.Linear(1, 1), new nn.BatchNorm1d(1)),
  skip_not_module: () => (torch.nn.utils.skipInit as (c: unknown) => unknown)(Number),
};

test("stateless, fusion, skipInit: PyTorch's errors", () => {
  assert.deepEqual(Object.keys(ERRORS).sort(), Object.keys(FX.errors).sort());
  for (const [name, e] of Object.entries(FX.errors)) {
    assert.throws(ERRORS[name], (err: Error) => {
      assert.equal(err.constructor.name, e.type, `${name}: type`);
      // Python's int is JavaScript's Number
      assert.equal(err.message.replace("'Number'", "'int'"), e.message, `${name}: message`);
      return true;
    });
  }
});
