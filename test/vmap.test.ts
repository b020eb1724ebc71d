// torch.func.vmap (functorch 1.13's vmap) against functorch: in_dims/out_dims forms and pytrees,
// nesting, the batching rules of each op family (and the loop fallback with PyTorch's warning),
// errors word for word, randomness modes (bit for bit), vmap composed with grad/vjp/jvp/jacrev/
// jacfwd/hessian both ways, functionalCall, and the two PyTorch tutorials built on vmap run as
// written (per-sample gradients; Jacobians, Hessians, hvp, vmap).
// Fixtures: scripts/fixtures/vmap_fx.py.
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import {
  closeValues,
  decode,
  readFixture,
  throwsLike,
  type Err,
  type Rec,
} from "./helpers/fixtures.js";

const F = torch.nn.functional;
const { vmap, grad, vjp, jvp, jacrev, jacfwd, hessian, functionalCall } = torch.func;

type RecTree = Rec | RecTree[] | { [k: string]: RecTree };
interface Fixture {
  inputs: Record<string, Rec>;
  cases: Record<string, RecTree>;
  errors: Record<string, Err>;
  random: Record<string, { seed: number; result: RecTree }>;
  warning: string;
  per_sample: {
    state: Record<string, Rec>;
    data: Rec;
    targets: Rec;
    loop: Rec[];
    vmap: Record<string, Rec>;
  };
  jacobians: Record<string, Rec | Rec[] | Rec[][]>;
}
const FX = readFixture<Fixture>("vmap.json");

const DT: Record<string, torch.DType> = {
  float32: torch.float32,
  float64: torch.float64,
  int64: torch.int64,
  bool: torch.bool,
};
const fromRec = (r: Rec): Tensor =>
  torch.tensor(decode(r.values) as number[], { dtype: DT[r.dtype] }).reshape(r.shape);
const I = Object.fromEntries(Object.entries(FX.inputs).map(([k, r]) => [k, fromRec(r)])) as Record<
  string,
  Tensor
>;

/** A result tree (tensors in arrays and objects) against its record, to `rtol`. */
function expectTree(actual: unknown, expected: RecTree, what: string, rtol = 1e-5): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${what}: expected an array`);
    assert.equal(actual.length, expected.length, `${what}: length`);
    expected.forEach((e, i) => expectTree(actual[i], e, `${what}[${i}]`, rtol));
    return;
  }
  if (!("shape" in expected && "dtype" in expected)) {
    const obj = actual as Record<string, unknown>;
    assert.deepEqual(Object.keys(obj), Object.keys(expected), `${what}: keys`);
    for (const k of Object.keys(expected))
      expectTree(obj[k], (expected as Record<string, RecTree>)[k], `${what}.${k}`, rtol);
    return;
  }
  const r = expected as Rec;
  assert.ok(actual instanceof torch.Tensor, `${what}: expected a tensor`);
  assert.notEqual(actual.constructor.name, "BatchedTensor", `${what}: escaped vmap`);
  assert.deepEqual(actual.shape, r.shape, `${what}: shape`);
  assert.equal(actual.dtype.name, r.dtype, `${what}: dtype`);
  closeValues(actual.tolist(), decode(r.values), rtol, what);
}

/** Runs `f` and returns the warnings it printed. */
function warningsOf(f: () => unknown): string[] {
  const seen: string[] = [];
  const orig = console.warn;
  console.warn = (m: unknown) => void seen.push(String(m));
  try {
    f();
  } finally {
    console.warn = orig;
  }
  return seen;
}

type T = Tensor;
const { x53, y53, w3 } = I;

const CASES: Record<string, () => unknown> = {
  dot: () => vmap(torch.dot)(x53, y53),
  in_dims_none: () => vmap(torch.mul, [0, null])(x53, w3),
  in_dims_1: () => vmap(torch.mv, [null, 1])(I.m43, I.v35),
  in_dims_neg: () => vmap((a: T) => a.sum(), -1)(I.x35),
  out_dims_1: () => vmap((a: T) => a.mul(2), 0, 1)(x53),
  out_dims_tuple: () => vmap((a: T) => [a.sin(), a.cos().sum()], { outDims: [1, 0] })(x53),
  out_dims_neg: () => vmap((a: T) => a.exp(), { outDims: -1 })(x53),
  dict_in_dims: () =>
    vmap((d: { a: T; b: T }) => d.a.add(d.b), [{ a: 0, b: null }])({ a: x53, b: w3 }),
  tuple_arg: () => vmap((p: [T, T]) => p[0].matmul(p[1]), [[0, null]])([x53, I.m34]),
  tuple_out: () => vmap((a: T, b: T) => [a.add(b), [a.mul(b)]])(x53, y53),
  dict_out: () => vmap((a: T) => ({ s: a.sum(), m: a.mean() }))(x53),
  unbatched_out: () => vmap((_a: T) => w3)(x53),
  nested: () => vmap(vmap(torch.dot))(I.a253, I.b253),
  nested_outer: () => vmap(vmap(torch.mul, [0, null]), [null, 0])(I.x5, I.y4),
  nested_in_dims_1: () =>
    vmap(
      vmap((a: T) => a.sum(0), 1),
      0,
    )(I.a253),
  softmax: () => vmap((a: T) => a.softmax(-1))(x53),
  log_softmax_dim0: () => vmap((a: T) => F.logSoftmax(a, { dim: 0 }), 1)(I.x56),
  views: () => vmap((a: T) => a.view(3, 2).transpose(0, 1).reshape(-1))(I.x56),
  views_bdim1: () => vmap((a: T) => a.view(5).unsqueeze(1).expand(5, 2).t(), 1)(I.x56),
  permute_select: () => vmap((a: T) => a.permute(1, 0).select(1, 1).narrow(0, 1, 1))(I.a523),
  squeeze: () => vmap((a: T) => a.unsqueeze(0).unsqueeze(2).squeeze())(x53),
  flatten_movedim: () => vmap((a: T) => torch.flatten(a.movedim(0, 1)))(I.a523),
  reductions: () =>
    vmap((a: T) => [a.sum(), a.sum(0), a.mean(1, true), a.amax(-1), a.max(), a.argmax()])(I.a523),
  cat_stack: () =>
    vmap((a: T, b: T) => [torch.cat([a, b.mul(2)]), torch.stack([a, b], 1)])(x53, y53),
  cat_unbatched: () => vmap((a: T) => torch.cat([a, w3]))(x53),
  matmul_vec_mat: () => vmap(torch.matmul, [0, null])(x53, I.m34),
  matmul_mat_vec: () => vmap(torch.matmul, [null, 0])(I.m43, x53),
  matmul_bmm: () => vmap(torch.matmul)(I.a523, I.b534),
  matmul_broadcast: () => vmap(torch.matmul, [null, 0])(I.a243, x53),
  mm_bmm: () =>
    vmap((a: T, b: T) => [torch.mm(a, b), torch.bmm(a.unsqueeze(0), b.unsqueeze(0))])(
      I.a523,
      I.b534,
    ),
  where_broadcast: () => vmap((a: T) => torch.where(a.gt(0), a, w3.mul(10)))(x53),
  pointwise_rank: () => vmap((a: T, b: T) => a.add(b), [0, null])(I.x5, I.m43),
  linear_relu: () => vmap((a: T) => F.relu(F.linear(a, I.m43, I.y4)).tanh())(x53),
  cross_entropy: () =>
    vmap((a: T, t: T) => F.crossEntropy(a.unsqueeze(0), t.unsqueeze(0)))(
      I.x5c,
      torch.tensor([0, 3, 1, 2, 2], { dtype: torch.int64 }),
    ),
  nll_loss_sum: () =>
    vmap((a: T, t: T) =>
      F.nllLoss(a.logSoftmax(0).unsqueeze(0), t.unsqueeze(0), { reduction: "sum" }),
    )(I.x5c, torch.tensor([1, 1, 0, 3, 2], { dtype: torch.int64 })),
  gather: () =>
    vmap((a: T, i: T) => a.gather(0, i))(
      x53,
      torch.tensor(
        [
          [0, 2],
          [1, 1],
          [2, 0],
          [0, 0],
          [1, 2],
        ],
        { dtype: torch.int64 },
      ),
    ),
  index_select: () =>
    vmap((a: T) => a.indexSelect(0, torch.tensor([2, 0], { dtype: torch.int64 })))(x53),
  conv2d: () => vmap((a: T) => F.conv2d(a.unsqueeze(0), I.k))(I.img),
  conv2d_unbatched_input: () => vmap((a: T) => F.conv2d(a, I.k, { padding: 1 }))(I.img),
  conv2d_batched_weight: () => vmap((a: T, k: T) => F.conv2d(a.unsqueeze(0), k))(I.img, I.kb),
  max_pool2d: () => vmap((a: T) => F.maxPool2d(a, 2))(I.img),
  fallback_histc: () => vmap((a: T) => torch.histc(a, 4, 0, 0))(x53),
  var_std_max_other: () =>
    vmap((a: T, b: T) => [
      a.var(),
      a.var(0),
      a.std(false),
      torch.max(a, b),
      [a.min(1).values, a.min(1).indices],
    ])(I.a523, I.a523.flip(0)),
  kthvalue_loop: () =>
    vmap((a: T) => {
      const r = torch.kthvalue(a, 2, 0);
      return [r.values, r.indices];
    })(I.a523),
  inplace: () => vmap((a: T) => a.clone().mul_(2).add_(w3))(x53),
  methods: () =>
    vmap((a: T) => [a.T, a.index("1:", 0), a.to(torch.float64), a.double().sum()])(I.a523),
  layer_norm_embedding: () =>
    vmap((a: T, i: T) => [F.layerNorm(a, [3]), F.embedding(i, I.m43)])(
      I.a523,
      torch.tensor(
        [
          [0, 1],
          [2, 3],
          [3, 3],
          [1, 0],
          [2, 2],
        ],
        { dtype: torch.int64 },
      ),
    ),
  split_unbind_expand: () =>
    vmap((a: T) => [a.split(1, 0), a.unbind(1), a.unsqueeze(0).expand(2, -1, -1)])(I.a523),
  grad_in_vmap: () =>
    vmap(
      grad((w: T, a: T) => a.mul(w).sin().sum()),
      [null, 0],
    )(w3, x53),
  vmap_in_grad: () => grad((w: T) => vmap((a: T) => a.mul(w).sin().sum())(x53).sum())(w3),
  vmap_input_grad: () => grad((x: T) => vmap((a: T) => a.mul(2).sum())(x).sum())(x53),
  functional_call: () =>
    functionalCall(
      new torch.nn.Sequential(new torch.nn.Linear(3, 2), new torch.nn.BatchNorm1d(2)).eval(),
      [
        { "0.weight": torch.ones(2, 3), "0.bias": torch.zeros(2) },
        new Map([["1.running_mean", torch.tensor([1, 1])]]),
      ],
      [torch.tensor([[1, 2, 3]])],
    ),
  functional_call_single: () =>
    functionalCall(
      new torch.nn.Linear(3, 2),
      { weight: torch.ones(2, 3), bias: torch.zeros(2) },
      torch.tensor([[1, 2, 3]]),
    ),
  vmap_vjp: () => vmap(vjp((a: T) => a.sin().mul(w3), w3)[1])(x53),
  vmap_jacrev: () => vmap(jacrev((a: T) => a.sin().mul(a.sum())))(x53),
  vmap_jacfwd: () => vmap(jacfwd((a: T) => a.sin().mul(a.sum())))(x53),
  vmap_hessian: () => vmap(hessian((a: T) => a.sin().sum().mul(a.sum())))(x53),
  vmap_jvp: () => vmap((a: T, t: T) => jvp((u: T) => u.exp().mul(u), [a], [t])[1])(x53, y53),
  nested_grad: () => vmap(vmap(grad((a: T) => a.pow(3).sum())))(I.a253),
};

test("vmap cases match functorch", () => {
  assert.deepEqual(Object.keys(CASES).sort(), Object.keys(FX.cases).sort());
  warningsOf(() => {
    for (const [name, f] of Object.entries(CASES)) expectTree(f(), FX.cases[name], name, 2e-5);
  });
});

test("chunkSize gives the unchunked results", () => {
  expectTree(vmap(torch.dot, { chunkSize: 2 })(x53, y53), FX.cases.dot, "dot");
  expectTree(
    vmap((a: T) => [a.sin(), a.cos().sum()], { outDims: [1, 0], chunkSize: 3 })(x53),
    FX.cases.out_dims_tuple,
    "out_dims_tuple",
  );
  expectTree(
    vmap(torch.mul, [0, null], 0, { chunkSize: 1 })(x53, w3),
    FX.cases.in_dims_none,
    "in_dims_none",
  );
  throwsLike(() => vmap(torch.dot, { chunkSize: 0 }), {
    type: "ValueError",
    message: "vmap: chunk_size should be None or greater than 0. (got 0)",
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- error cases pass wrong types on purpose
const anyV = (v: unknown): any => v;
const foo = (a: T): T => a;
const two = (a: T, b: T): T => a.add(b);

const ERRORS: Record<string, () => unknown> = {
  sizes: () => vmap(two)(torch.randn(2, 3), torch.randn(3, 3)),
  in_dim_range: () => vmap(foo, 2)(x53),
  in_dim_range_neg: () => vmap(foo, -3)(x53),
  in_dims_type: () => vmap(foo, anyV("a"))(x53),
  in_dims_structure: () => vmap(two, [0, 0, 0])(x53, y53),
  in_dim_not_int: () => vmap(two, [0, 1.5])(x53, y53),
  in_dim_non_tensor: () => vmap(two, [0, 0])(x53, anyV(2.5)),
  no_inputs: () => anyV(vmap(foo))(),
  no_tensor: () => vmap(two, [null, null])(x53, y53),
  non_tensor_output: () => vmap(anyV((_a: T) => 1))(x53),
  non_tensor_output_named: () => vmap((a: T) => [a, "s"])(x53),
  out_dims_not_int: () => vmap(foo, 0, [1.5])(x53),
  out_dims_structure: () => vmap((a: T) => [a, a], 0, [0, 0, 0])(x53),
  out_dims_tensor_structure: () => vmap(foo, 0, [0, 1])(x53),
  out_dim_range: () => vmap(foo, 0, 3)(x53),
  randomness_value: () => vmap(foo, 0, 0, anyV("sometimes")),
  random_error: () => vmap((a: T) => a.add(torch.rand(3)))(x53),
  random_error_like: () => vmap((a: T) => torch.randnLike(a))(x53),
  random_error_dropout: () => vmap((a: T) => F.dropout(a, 0.5))(x53),
  dynamic_shape: () => vmap((a: T) => torch.nonzero(a))(x53),
  inplace_unbatched_self: () => vmap((a: T) => w3.clone().add_(a))(x53),
  per_sample_error: () => vmap((a: T) => a.sum(5))(x53),
};

test("vmap errors match functorch's", () => {
  assert.deepEqual(Object.keys(ERRORS).sort(), Object.keys(FX.errors).sort());
  warningsOf(() => {
    for (const [name, f] of Object.entries(ERRORS)) {
      const e = FX.errors[name];
      throwsLike(f, e, (err) => assert.equal(err.constructor.name, e.type, name));
    }
  });
});

test("randomness modes draw as functorch's", () => {
  const R: Record<string, () => unknown> = {
    rand_different: () => vmap((a: T) => a.add(torch.rand(3)), { randomness: "different" })(x53),
    rand_same: () => vmap((a: T) => a.add(torch.rand(3)), { randomness: "same" })(x53),
    randn_different: () =>
      vmap((a: T) => torch.randn(4).mul(a.sum()), { randomness: "different" })(x53),
    rand_like_different: () => vmap((a: T) => torch.randLike(a), { randomness: "different" })(x53),
    rand_like_same: () => vmap((a: T) => torch.randLike(a), { randomness: "same" })(x53),
    dropout_different: () => vmap((a: T) => F.dropout(a, 0.5), { randomness: "different" })(x53),
    dropout_same: () => vmap((a: T) => F.dropout(a, 0.5), { randomness: "same" })(x53),
    same_unbatched: () => vmap((_a: T) => torch.rand(2), { randomness: "same" })(x53),
  };
  assert.deepEqual(Object.keys(R).sort(), Object.keys(FX.random).sort());
  for (const [name, f] of Object.entries(R)) {
    torch.manualSeed(FX.random[name].seed);
    expectTree(f(), FX.random[name].result, name);
  }
});

test("an op without a batching rule loops, with PyTorch's warning once", () => {
  const ws = warningsOf(() => {
    vmap((a: T) => torch.histc(a, 4, 0, 0))(x53);
    vmap((a: T) => torch.histc(a, 4, 0, 0))(x53);
  });
  // earlier tests may already have warned for histc: at most once in all
  assert.ok(ws.length <= 1);
  const fresh = warningsOf(() => vmap((a: T) => torch.renorm(a.unsqueeze(0), 2, 0, 1.0))(x53));
  assert.deepEqual(fresh, [`UserWarning: ${FX.warning.replace("aten::histc", "aten::renorm")}`]);
  // no warning for ops with a rule
  assert.deepEqual(
    warningsOf(() => vmap((a: T) => a.sin().sum())(x53)),
    [],
  );
});

test("gradients flow through vmap into the inputs", () => {
  const w = w3.clone().requiresGrad_();
  const out = vmap((a: T) => a.mul(w).sin().sum())(x53);
  out.sum().backward();
  expectTree(w.grad, FX.cases.vmap_in_grad, "w.grad");
  // a batched input that requires grad gets the per-sample cotangents summed back
  const x = x53.clone().requiresGrad_();
  vmap((a: T) => a.mul(2).sum())(x)
    .sum()
    .backward();
  expectTree(x.grad, FX.cases.vmap_input_grad, "x.grad");
});

test("functionalCall swaps parameters and buffers in, then restores them", () => {
  const lin = new torch.nn.Linear(3, 2);
  const bn = new torch.nn.BatchNorm1d(2);
  const model = new torch.nn.Sequential(lin, bn);
  model.eval();
  const before = model.namedParameters().map(([n, p]) => [n, p]);
  const params = {
    "0.weight": torch.ones(2, 3),
    "0.bias": torch.zeros(2),
  };
  const buffers = new Map([["1.running_mean", torch.tensor([1, 1])]]);
  const x = torch.tensor([[1, 2, 3]]);
  const y = functionalCall(model, [params, buffers], [x]) as T;
  expectTree(y, FX.cases.functional_call, "functionalCall");
  assert.deepEqual(
    model.namedParameters().map(([n, p]) => [n, p]),
    before,
  );
  assert.deepEqual(bn.runningMean?.tolist(), [0, 0]);
  // a single argument need not be wrapped; an object alone is one dict
  const y2 = functionalCall(lin, { weight: torch.ones(2, 3), bias: torch.zeros(2) }, x) as T;
  expectTree(y2, FX.cases.functional_call_single, "functionalCall of one module");
  // restored even when the call throws
  assert.throws(() => functionalCall(lin, { weight: torch.ones(2, 4) }, [x]));
  assert.equal(lin.weight.shape.join(), "2,3");
  assert.ok(lin.weight instanceof torch.nn.Parameter);
  throwsLike(() => functionalCall(lin, [{ weight: lin.weight }, { weight: lin.weight }], [x]), {
    type: "ValueError",
    message:
      "['weight'] appeared in multiple dictionaries; behavior of functional call is ambiguous",
  });
});

// ---------------------------------------------------------------------------------------------
// PyTorch's per-sample-gradients tutorial, as written (a smaller CNN: 1x8x8 images)

class SimpleCNN extends torch.nn.Module {
  conv1 = new torch.nn.Conv2d(1, 4, 3, { stride: 1 });
  conv2 = new torch.nn.Conv2d(4, 8, 3, { stride: 1 });
  fc1 = new torch.nn.Linear(32, 16);
  fc2 = new torch.nn.Linear(16, 10);

  override forward(x: T): T {
    x = this.conv1.call(x);
    x = F.relu(x);
    x = this.conv2.call(x);
    x = F.relu(x);
    x = F.maxPool2d(x, 2);
    x = torch.flatten(x, 1);
    x = this.fc1.call(x);
    x = F.relu(x);
    x = this.fc2.call(x);
    let output = F.logSoftmax(x, { dim: 1 });
    output = x;
    return output;
  }
}

test("per-sample gradients: vmap(grad(functionalCall)) equals the loop and functorch", () => {
  const P = FX.per_sample;
  const model = new SimpleCNN();
  model.loadStateDict(Object.fromEntries(Object.entries(P.state).map(([k, r]) => [k, fromRec(r)])));
  const data = fromRec(P.data);
  const targets = fromRec(P.targets);
  const batchSize = data.shape[0];
  const lossFn = (predictions: T, targets: T): T => F.nllLoss(predictions, targets);

  const computeGrad = (sample: T, target: T): T[] => {
    sample = sample.unsqueeze(0);
    target = target.unsqueeze(0);
    const prediction = model.call(sample);
    const loss = lossFn(prediction, target);
    return torch.autograd.grad(loss, model.parameters()) as T[];
  };
  const computeSampleGrads = (data: T, targets: T): T[] => {
    const sampleGrads = Array.from({ length: batchSize }, (_, i) =>
      computeGrad(data.select(0, i), targets.select(0, i)),
    );
    return sampleGrads[0].map((_, k) => torch.stack(sampleGrads.map((g) => g[k])));
  };
  const perSampleGrads = computeSampleGrads(data, targets);

  const params = Object.fromEntries(model.namedParameters().map(([k, v]) => [k, v.detach()]));
  const buffers = Object.fromEntries(model.namedBuffers().map(([k, v]) => [k, v.detach()]));
  const computeLoss = (
    params: Record<string, T>,
    buffers: Record<string, T>,
    sample: T,
    target: T,
  ): T => {
    const batch = sample.unsqueeze(0);
    const targets = target.unsqueeze(0);
    const predictions = functionalCall(model, [params, buffers], [batch]) as T;
    const loss = lossFn(predictions, targets);
    return loss;
  };
  const ftComputeGrad = grad(computeLoss);
  const ftComputeSampleGrad = vmap(ftComputeGrad, [null, null, 0, 0]);
  const ftPerSampleGrads = ftComputeSampleGrad(params, buffers, data, targets) as Record<string, T>;

  Object.values(ftPerSampleGrads).forEach((g, i) => {
    assert.ok(torch.allclose(perSampleGrads[i], g, { atol: 3e-3, rtol: 1e-5 }));
  });
  perSampleGrads.forEach((g, i) => expectTree(g, P.loop[i], `loop[${i}]`, 1e-4));
  for (const [k, r] of Object.entries(P.vmap))
    expectTree(ftPerSampleGrads[k], r, `vmap.${k}`, 1e-4);
  // the model's parameters are untouched and have no gradients
  assert.ok(model.parameters().every((p) => p.grad === null));
});

// ---------------------------------------------------------------------------------------------
// PyTorch's Jacobians, Hessians, hvp, vmap tutorial, as written (smaller sizes)

test("Jacobians, Hessians, hvp and vmap: the tutorial's values", () => {
  const J = FX.jacobians;
  const recs = (k: string): T[] => (J[k] as Rec[]).map(fromRec);
  const predict = (weight: T, bias: T, x: T): T => F.linear(x, weight, bias).tanh();

  let [weight, bias, x] = recs("inputs16");
  const D = 16;
  const unitVectors = torch.eye(D);
  const computeJac = (xp: T): T => {
    const jacobianRows = Array.from(
      { length: D },
      (_, i) =>
        torch.autograd.grad([predict(weight, bias, xp)], [xp], {
          gradOutputs: [unitVectors.select(0, i)],
        })[0],
    );
    return torch.stack(jacobianRows as T[]);
  };
  const xp = x.clone().requiresGrad_();
  const jacobian = computeJac(xp);
  expectTree(jacobian, J.jacobian as Rec, "jacobian");

  const [, vjpFn] = vjp((x: T) => predict(weight, bias, x), x);
  let [ftJacobian] = vmap(vjpFn)(unitVectors) as T[];
  assert.ok(torch.allclose(ftJacobian, jacobian));
  expectTree(ftJacobian, J.vmap_vjp as Rec, "vmap(vjp_fn)");

  ftJacobian = jacrev(predict, { argnums: 2 })(weight, bias, x);
  assert.ok(torch.allclose(ftJacobian, jacobian));
  expectTree(ftJacobian, J.jacrev as Rec, "jacrev");
  const [ftJacWeight, ftJacBias] = jacrev(predict, { argnums: [0, 1] })(weight, bias, x) as T[];
  expectTree([ftJacWeight, ftJacBias], J.jacrev_01 as Rec[], "jacrev (0, 1)");

  [weight, bias, x] = recs("inputs_fwd");
  const usingFwd = jacfwd(predict, { argnums: 2 })(weight, bias, x);
  const usingBwd = jacrev(predict, { argnums: 2 })(weight, bias, x);
  assert.ok(torch.allclose(usingFwd, usingBwd));
  expectTree(usingFwd, J.jacfwd as Rec, "jacfwd");

  [weight, bias, x] = recs("inputs_hess");
  const hessApi = hessian(predict, 2)(weight, bias, x);
  const hessFwdfwd = jacfwd(jacfwd(predict, { argnums: 2 }), { argnums: 2 })(weight, bias, x);
  const hessRevrev = jacrev(jacrev(predict, { argnums: 2 }), { argnums: 2 })(weight, bias, x);
  expectTree(hessApi, J.hessian as Rec, "hessian");
  assert.ok(torch.allclose(hessApi, hessFwdfwd, { atol: 1e-6 }));
  assert.ok(torch.allclose(hessApi, hessRevrev, { atol: 1e-6 }));

  [weight, bias, x] = recs("inputs_batch");
  const computeBatchJacobian = vmap(jacrev(predict, { argnums: 2 }), [null, null, 0]);
  const batchJacobian0 = computeBatchJacobian(weight, bias, x);
  expectTree(batchJacobian0, J.batch_jacobian as Rec, "batch jacobian");
  const predictWithOutputSummed = (weight: T, bias: T, x: T): T => predict(weight, bias, x).sum(0);
  const batchJacobian1 = jacrev(predictWithOutputSummed, { argnums: 2 })(weight, bias, x).movedim(
    1,
    0,
  );
  assert.ok(torch.allclose(batchJacobian0, batchJacobian1));
  expectTree(batchJacobian1, J.batch_jacobian_summed as Rec, "summed");
  const computeBatchHessian = vmap(hessian(predict, 2), [null, null, 0]);
  const batchHess = computeBatchHessian(weight, bias, x);
  expectTree(batchHess, J.batch_hessian as Rec, "batch hessian");
  assert.deepEqual(batchHess.shape, [4, 3, 5, 5]);

  const hvp = (f: (x: T) => T, primals: T[], tangents: T[]): T =>
    jvp(grad(f), primals, tangents)[1];
  const f = (x: T): T => x.sin().sum();
  const [hx, tangent] = recs("hvp_inputs");
  expectTree(hvp(f, [hx], [tangent]), J.hvp as Rec, "hvp");

  const fj = torch.autograd.functional.jacobian(
    (w: T, b: T) => predict(w, b, hx.narrow(0, 0, 5)),
    [weight, bias],
    { vectorize: true },
  );
  expectTree(fj, J.functional_jacobian as Rec[], "functional jacobian");
});
