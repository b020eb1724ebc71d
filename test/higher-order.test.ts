// Higher-order gradients (createGraph: true) against PyTorch 1.13: derivatives up to the 4th of
// elementwise functions, mixed second and third derivatives through matmul and reductions, and
// backward(undefined, { inputs, createGraph }). Fixtures: scripts/fixtures/functional_fx.py.
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { FX, expectRec, fromRec, type Rec } from "./helpers/functional-fixtures.js";

const { gradcheck, gradgradcheck } = torch.autograd;

const noName = { gradFn: false };

const ELEMENTWISE: Record<string, (x: Tensor) => Tensor> = {
  tanh: (x) => x.tanh(),
  sigmoid: (x) => x.sigmoid(),
  exp: (x) => x.exp(),
  sin: (x) => x.sin(),
  cos: (x) => x.cos(),
  log: (x) => x.log(),
  pow3: (x) => x.pow(3),
  "pow2.5": (x) => x.pow(2.5),
  pow_tensor: (x) => x.pow(x),
  rpow: (x) => torch.pow(2.0, x),
  sqrt: (x) => x.sqrt(),
  reciprocal: (x) => x.reciprocal(),
  log1p: (x) => x.log1p(),
  tan: (x) => x.tan(),
  composite: (x) => x.sin().mul(x.exp()).tanh().pow(2),
};

test("the fixture covers every elementwise function here", () => {
  assert.deepEqual(Object.keys(FX.higher_order).sort(), Object.keys(ELEMENTWISE).sort());
});

for (const [name, f] of Object.entries(ELEMENTWISE)) {
  test(`d^1..d^4 of ${name}`, () => {
    const fx = FX.higher_order[name] as { x: Rec; derivs: (Rec | null)[] };
    const x = fromRec(fx.x);
    let y: Tensor | null = f(x);
    fx.derivs.forEach((expected, k) => {
      if (y === null || !y.requiresGrad) {
        y = null;
        return assert.equal(expected, null, `d^${k + 1}: expected a derivative`);
      }
      [y] = torch.autograd.grad(y.sum(), [x], { createGraph: true, allowUnused: true });
      expectRec(y, expected, `${name} d^${k + 1}`, { ...noName, rtol: 1e-10 });
    });
  });
}

const MIXED: Record<string, (...xs: Tensor[]) => Tensor> = {
  matmul_tanh: (a, b) => a.matmul(b).tanh().sum(),
  mm_pow: (a, b) => a.mm(b).pow(2).sum(),
  mv_sin: (a, v) => a.mv(v).sin().sum(),
  bmm: (a, b) => a.bmm(b).exp().sum(),
  dot: (x, y) => x.dot(y).pow(3),
  sum_dim: (x, y) => x.sum(1).mul(y).pow(2).sum(),
  sum_all: (x, y) => x.sum().pow(2).mul(y.sum()),
  mean: (x, y) => x.mean(0).mul(y).exp().sum(),
  softmax: (x, w) => x.softmax(1).mul(w).sum(),
  log_softmax: (x, w) => x.logSoftmax(1).mul(w).sum(),
  logsumexp: (x, w) => x.logsumexp(1).pow(2).sum().add(x.logsumexp(0).mul(w).sum()),
  norm: (x, y) => x.norm().mul(y.norm()),
  norm_p3_dim: (x, y) => x.norm(3, 1).mul(y).pow(2).sum(),
  var_std: (x, y) => x.var(1).sum().mul(y.std()),
  prod: (x, y) => x.prod(1).mul(y).sum(),
  cumsum: (x, y) => x.cumsum(1).mul(y).pow(2).sum(),
  div: (x, y) => x.div(y).pow(2).sum(),
  mlp: (x, w1, w2) => x.matmul(w1).tanh().matmul(w2).sigmoid().mean(),
};

test("the fixture covers every mixed scenario here", () => {
  assert.deepEqual(Object.keys(FX.mixed).sort(), Object.keys(MIXED).sort());
});

interface MixedFx {
  inputs: Rec[];
  value: Rec;
  weights: Rec[];
  grads: Rec[];
  grads2: (Rec | null)[];
  grads3: Rec | null;
}

for (const [name, f] of Object.entries(MIXED)) {
  test(`mixed second and third derivatives: ${name}`, () => {
    const fx = FX.mixed[name] as MixedFx;
    const xs = fx.inputs.map((r) => fromRec(r));
    const y = f(...xs);
    expectRec(y, fx.value, `${name} value`, { ...noName, rtol: 1e-12 });
    const grads = torch.autograd.grad(y, xs, { createGraph: true }) as Tensor[];
    grads.forEach((g, i) => expectRec(g, fx.grads[i], `${name} grad ${i}`, noName));
    // s = sum_i <grad_i, w_i>: its gradient is the Hessian applied to the weights
    const ws = fx.weights.map((r) => fromRec(r, false));
    let s = grads[0].mul(ws[0]).sum();
    for (let i = 1; i < grads.length; i++) s = s.add(grads[i].mul(ws[i]).sum());
    const grads2 = torch.autograd.grad(s, xs, { allowUnused: true, createGraph: true });
    grads2.forEach((g, i) => expectRec(g, fx.grads2[i], `${name} grad2 ${i}`, noName));
    const g20 = grads2[0];
    if (fx.grads3 === null) return assert.ok(g20 === null || !g20.requiresGrad);
    assert.ok(g20 !== null);
    const [g3] = torch.autograd.grad(g20.pow(2).sum(), [xs[0]], { allowUnused: true });
    expectRec(g3, fx.grads3, `${name} grad3`, noName);
  });
}

test("gradgradcheck through matmul, reductions and softmax (finite differences)", () => {
  const opts = { dtype: torch.float64, requiresGrad: true };
  torch.manualSeed(3);
  const a = torch.randn([2, 3], opts);
  const b = torch.randn([3, 2], opts);
  const cases: [string, (...xs: Tensor[]) => Tensor][] = [
    ["matmul", (p, q) => p.matmul(q).tanh()],
    ["softmax", (p) => p.softmax(1)],
    ["logsumexp", (p) => p.logsumexp(1)],
    ["norm", (p) => p.norm()],
    ["norm dim", (p) => p.norm(2, 0)],
    ["mean", (p) => p.mean(1).exp()],
  ];
  for (const [name, fn] of cases) {
    const ins = fn.length === 2 ? [a, b] : [a];
    assert.ok(gradcheck(fn, ins), `${name}: gradcheck`);
    assert.ok(gradgradcheck(fn, ins), `${name}: gradgradcheck`);
  }
});

test("backward(undefined, { inputs, createGraph }) accumulates only into the inputs", () => {
  const fx = FX.backward_inputs.create_graph as Record<string, Rec | null>;
  const x = torch.tensor([0.5, -1.0, 2.0], { dtype: torch.float64, requiresGrad: true });
  const w = torch.tensor(1.5, { dtype: torch.float64, requiresGrad: true });
  x.pow(3)
    .mul(w)
    .sum()
    .backward(undefined, { inputs: [x], createGraph: true });
  expectRec(x.grad, fx.x_grad_1, "x.grad 1"); // grad_fn=<CopyBackwards>
  assert.ok(x.grad?.gradFn !== null, "x.grad has a graph");
  expectRec(w.grad, fx.w_grad_1, "w.grad 1");
  const gx = x.grad as Tensor;
  gx.sum().backward(undefined, { inputs: [w], retainGraph: true });
  expectRec(w.grad, fx.w_grad_2, "w.grad 2", noName);
  expectRec(x.grad, fx.x_grad_2, "x.grad 2");
  // a second createGraph backward accumulates into x.grad with a graph through both terms
  x.sin()
    .mul(w)
    .sum()
    .backward(undefined, { inputs: [x], createGraph: true });
  expectRec(x.grad, fx.x_grad_3, "x.grad 3"); // AddBackward0
  const [h] = torch.autograd.grad((x.grad as Tensor).sum(), [x]);
  expectRec(h, fx.d_xgrad_dx, "d x.grad / dx", noName);
});

test("backward with a non-leaf in inputs and createGraph", () => {
  const fx = FX.backward_inputs.non_leaf as Record<string, Rec | null>;
  const x = torch.tensor([0.5, -1.0, 2.0], { dtype: torch.float64, requiresGrad: true });
  const m = x.mul(2);
  m.retainGrad();
  m.exp()
    .sum()
    .backward(undefined, { inputs: [m], createGraph: true });
  expectRec(m.grad, fx.m_grad, "m.grad"); // CloneBackward0
  expectRec(x.grad, fx.x_grad, "x.grad");
  const [hm] = torch.autograd.grad((m.grad as Tensor).sum(), [x]);
  expectRec(hm, fx.d_mgrad_dx, "d m.grad / dx", noName);
});

test("torch.autograd.backward with inputs and createGraph", () => {
  const x = torch.tensor([1, 2], { dtype: torch.float64, requiresGrad: true });
  const y = torch.tensor([3, 4], { dtype: torch.float64, requiresGrad: true });
  const z = x.pow(2).mul(y).sum();
  torch.autograd.backward([z], null, { inputs: [y], createGraph: true });
  assert.equal(x.grad, null);
  assert.deepEqual(y.grad?.tolist(), [1, 4]);
  assert.ok(y.grad?.requiresGrad, "y.grad = x^2 depends on x");
  const [dx] = torch.autograd.grad((y.grad as Tensor).sum(), [x]);
  assert.deepEqual(dx?.tolist(), [2, 4]);
});
