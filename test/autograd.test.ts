// Behaviour of the autograd engine, hooks, in-place ops and grad modes, against PyTorch 1.13.
// Expected values come from test/fixtures/behaviour.json (scripts/fixtures/behaviour_fx.py).
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor, Node } from "../src/index.js";
import { expectRec, readFixture, throwsLike, type Rec } from "./helpers/fixtures.js";

interface Graph {
  name: string | null;
  next?: [Graph | null, number][];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- scenarios are read by name
type Scenario = any;
const FX = readFixture<{ engine: Record<string, Scenario> }>("behaviour.json");
const E = FX.engine;

function expectGrads(ts: Tensor[], rs: (Rec | null)[], rtol = 1e-6): void {
  assert.equal(ts.length, rs.length);
  ts.forEach((t, i) => expectRec(t.grad, rs[i], `grad ${i}`, { rtol }));
}

const leaf = (values: number[] | number[][], dtype = torch.float32): Tensor =>
  torch.tensor(values, { dtype, requiresGrad: true });

function graphOf(fn: Node | null, depth = 6): Graph | null {
  if (fn === null) return null;
  const out: Graph = { name: fn.name() };
  if (depth > 0) out.next = fn.nextFunctions.map(([f, nr]) => [graphOf(f, depth - 1), nr]);
  return out;
}

const nodeName = (t: Tensor): string | null => (t.gradFn === null ? null : t.gradFn.name());

// First, so that no earlier test has used up the one-time warning.
test("reading .grad of a non-leaf warns once, with PyTorch's text", () => {
  const fx = E.nonleaf_grad_warning;
  const x = leaf([1]);
  const y = x.mul(2);
  const seen: string[] = [];
  const orig = console.warn;
  console.warn = (...args: unknown[]) => void seen.push(args.map(String).join(" "));
  try {
    assert.equal(y.grad, fx.value);
    assert.equal(y.grad, fx.value);
  } finally {
    console.warn = orig;
  }
  assert.deepEqual(seen, [`${fx.category}: ${fx.message}`]);
});

test("requires_grad propagates; is_leaf; grad_fn names", () => {
  const fx = E.propagation;
  const x = leaf([1, 2, 3]);
  const w = torch.tensor([4, 5, 6]);
  const y = x.mul(w);
  const z = w.mul(2);
  const n = torch.tensor([1, 2, 3], { dtype: torch.int64 }).add(1);
  assert.deepEqual([x.requiresGrad, x.isLeaf], fx.x);
  assert.deepEqual([w.requiresGrad, w.isLeaf], fx.w);
  assert.deepEqual([y.requiresGrad, y.isLeaf], fx.y);
  assert.deepEqual([z.requiresGrad, z.isLeaf], fx.z);
  assert.deepEqual([n.requiresGrad, n.isLeaf], fx.n);
  assert.equal(nodeName(y), fx.y_grad_fn);
  assert.equal(nodeName(z), fx.z_grad_fn);
  assert.equal(nodeName(x), fx.x_grad_fn);
});

test("next_functions structure (AccumulateGrad for leaves, null for constants)", () => {
  const a = leaf([
    [1, -2],
    [3, 4],
  ]);
  const b = leaf([
    [0.5, 1],
    [-1, 2],
  ]);
  const c = torch.tensor([
    [1, 1],
    [1, 1],
  ]);
  assert.deepEqual(graphOf(a.mm(b).add(c).relu().sum().gradFn), E.graph_mm);
  assert.deepEqual(graphOf(a.mul(2).exp().t().reshape(4).mean().gradFn), E.graph_chain);
  assert.deepEqual(graphOf(a.mul(a).add(a).sum().gradFn), E.graph_diamond);
});

test("grad_fn name and next nodes of single ops", () => {
  const v = leaf([1, 2, 3]);
  const m = leaf([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const d = leaf([1, 2], torch.float64);
  const ops: Record<string, () => Tensor> = {
    add: () => v.add(v),
    add_scalar: () => v.add(1),
    sub: () => v.sub(m),
    mul: () => v.mul(m),
    mul_scalar: () => v.mul(2),
    div: () => v.div(m),
    rsub: () => torch.rsub(v, 1),
    neg: () => v.neg(),
    pow_scalar: () => v.pow(2),
    pow_tensor: () => v.pow(v),
    pow_base: () => torch.pow(2, v),
    exp: () => v.exp(),
    log: () => v.log(),
    sqrt: () => v.sqrt(),
    sin: () => v.sin(),
    tanh: () => v.tanh(),
    sigmoid: () => v.sigmoid(),
    relu: () => v.relu(),
    abs: () => v.abs(),
    sum: () => v.sum(),
    sum_dim: () => m.sum(0),
    mean: () => v.mean(),
    mean_dim: () => m.mean(1),
    max: () => v.max(),
    norm: () => v.norm(),
    mm: () => m.mm(m.t()),
    matmul_mv: () => m.matmul(v),
    t: () => m.t(),
    T: () => m.T,
    transpose: () => m.transpose(0, 1),
    permute: () => m.permute(1, 0),
    view: () => m.view(6),
    reshape: () => m.reshape(3, 2),
    reshape_copy: () => m.t().reshape(6),
    unsqueeze: () => v.unsqueeze(0),
    squeeze: () => m.unsqueeze(0).squeeze(0),
    expand: () => v.expand(2, 3),
    select: () => m.select(0, 1),
    clone: () => v.clone(),
    to_float: () => d.float(),
    cat: () => torch.cat([v, v]),
    stack: () => torch.stack([v, v]),
  };
  const fx = E.single_ops as Record<string, { name: string; next: (string | null)[] }>;
  assert.deepEqual(Object.keys(ops).sort(), Object.keys(fx).sort());
  for (const [k, f] of Object.entries(ops)) {
    const t = f();
    const got = {
      name: nodeName(t),
      next: t.gradFn!.nextFunctions.map(([n]) => (n === null ? null : n.name())),
    };
    assert.deepEqual(got, fx[k], k);
  }
});

test("stack and a copying reshape route gradients to their inputs", () => {
  const a = leaf([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const b = leaf([
    [-1, 0, 1],
    [2, 3, 4],
  ]);
  const wt = torch.arange(12, { dtype: torch.float32 }).reshape(2, 2, 3);
  torch.stack([a, b], 1).mul(wt).sum().backward();
  const r = a.t().reshape(6);
  r.mul(torch.arange(6, { dtype: torch.float32 }))
    .sum()
    .backward();
  expectGrads([a, b], E.stack_reshape_grads.grads);
});

test("gradients accumulate across two backward calls", () => {
  const x = leaf([1, 2, 3]);
  x.mul(x).sum().backward();
  expectRec(x.grad, E.accumulate.first);
  x.mul(x).sum().backward();
  expectRec(x.grad, E.accumulate.second);
});

test("backward(gradient) for a non-scalar output", () => {
  const x = leaf([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  x.mul(x).backward(
    torch.tensor([
      [1, 0.5, 0],
      [-1, 2, 0.25],
    ]),
  );
  expectRec(x.grad, E.backward_gradient.x_grad);
});

test("retainGraph, then a second backward", () => {
  const x = leaf([0.5, 1, 1.5]);
  const y = x.exp().sum();
  y.backward(undefined, { retainGraph: true });
  expectRec(x.grad, E.retain_graph.first);
  y.backward();
  expectRec(x.grad, E.retain_graph.second);
});

test("second backward raises only when the graph saved tensors", () => {
  let x = leaf([0.5, 1, 1.5]);
  let y = x.exp().sum();
  y.backward();
  throwsLike(() => y.backward(), E.second_backward_saved);

  x = leaf([0.5, 1, 1.5]);
  y = x.add(1).sum();
  y.backward();
  y.backward();
  expectRec(x.grad, E.second_backward_unsaved.x_grad);

  // x * 2: PyTorch's MulBackward0 saves the wrapped scalar, so this graph is freed too
  x = leaf([0.5, 1, 1.5]);
  y = x.mul(2).sum();
  y.backward();
  throwsLike(() => y.backward(), E.second_backward_scalar_mul);
});

test("torch.autograd.backward with several outputs", () => {
  const x = leaf([1, 2]);
  const w = leaf([3, 4]);
  const y1 = x.mul(w);
  const y2 = x.mul(x).sum();
  torch.autograd.backward([y1, y2], [torch.tensor([1, -1]), torch.tensor(2)]);
  expectGrads([x, w], E.autograd_backward.grads);
});

test("torch.autograd.grad: gradOutputs, retainGraph, allowUnused and errors", () => {
  const fx = E.autograd_grad;
  const x = leaf([1, 2, 3]);
  const w = leaf([0.5, -1, 2]);
  const u = leaf([7]);
  const y = x.mul(x).mul(w);
  const [gx] = torch.autograd.grad(y, [x], {
    gradOutputs: torch.tensor([1, 2, 3]),
    retainGraph: true,
  });
  expectRec(gx, fx.gx);
  const [gx2, gw] = torch.autograd.grad(y.sum(), [x, w], { retainGraph: true });
  expectRec(gx2, fx.gx2);
  expectRec(gw, fx.gw);
  const [gx3, gu] = torch.autograd.grad(y.sum(), [x, u], { allowUnused: true, retainGraph: true });
  expectRec(gx3, fx.gx3);
  expectRec(gu, fx.gu);
  expectRec(x.grad, fx.x_grad_after);
  throwsLike(() => torch.autograd.grad(y.sum(), [x, u], { retainGraph: true }), fx.unused);
  throwsLike(
    () => torch.autograd.grad(y.sum(), [torch.tensor([1])], { retainGraph: true }),
    fx.not_requiring,
  );
  throwsLike(
    () => torch.autograd.grad(torch.tensor(1), [x], { retainGraph: true }),
    fx.output_not_requiring,
  );
  y.sum().backward();
  expectGrads([x, w], fx.after_retain);
});

test("backward({ inputs }) accumulates only into those", () => {
  let x = leaf([1, 2]);
  let w = leaf([3, 4]);
  x.mul(w)
    .sum()
    .backward(undefined, { inputs: [x] });
  expectGrads([x, w], E.backward_inputs.grads);

  x = leaf([1, 2]);
  w = leaf([3, 4]);
  const h = x.mul(w);
  h.retainGrad();
  h.mul(h)
    .sum()
    .backward(undefined, { inputs: [h] });
  expectGrads([x, w], E.backward_inputs_nonleaf.grads);
  expectRec(h.grad, E.backward_inputs_nonleaf.h_grad);
});

test("retainGrad on a non-leaf", () => {
  const x = leaf([1, 2, 3]);
  const y = x.mul(2);
  y.retainGrad();
  y.mul(y).sum().backward();
  expectRec(y.grad, E.retain_grad.y_grad);
  expectRec(x.grad, E.retain_grad.x_grad);
  assert.equal(y.retainsGrad, E.retain_grad.retains);
});

test("tensor hooks on a leaf: observe, replace, remove", () => {
  const fx = E.hook_leaf;
  const x = leaf([1, 2, 3]);
  const seen: Tensor[] = [];
  const h1 = x.registerHook((g) => void seen.push(g));
  const h2 = x.registerHook((g) => g.mul(10));
  x.mul(x).sum().backward();
  expectRec(x.grad, fx.first);
  h2.remove();
  x.mul(x).sum().backward();
  h1.remove();
  expectRec(x.grad, fx.second);
  assert.equal(seen.length, fx.seen.length);
  seen.forEach((g, i) => expectRec(g, fx.seen[i]));
  x.mul(x).sum().backward(); // removed: no more calls
  assert.equal(seen.length, fx.seen.length);
});

test("tensor hooks on a non-leaf replace the gradient flowing on", () => {
  const fx = E.hook_nonleaf;
  const x = leaf([1, 2, 3]);
  const y = x.mul(3);
  const seen: Tensor[] = [];
  y.registerHook((g) => void seen.push(g));
  y.registerHook((g) => g.add(1));
  y.mul(y).sum().backward();
  assert.equal(seen.length, fx.seen.length);
  seen.forEach((g, i) => expectRec(g, fx.seen[i]));
  expectRec(x.grad, fx.x_grad);
});

test("node hooks: gradFn.registerHook and registerPrehook", () => {
  const fx = E.node_hooks;
  const x = leaf([1, 2, 3]);
  const w = leaf([2, 2, 2]);
  const y = x.mul(w);
  let pre: (Tensor | null)[] = [];
  let gradInputs: (Tensor | null)[] = [];
  let gradOutputs: (Tensor | null)[] = [];
  const hp = y.gradFn!.registerHook((gi, go) => {
    gradInputs = gi;
    gradOutputs = go;
    return [gi[0]!.mul(2), gi[1]];
  });
  const hq = y.gradFn!.registerPrehook((go) => {
    pre = go;
    return [go[0]!.add(1)];
  });
  y.sum().backward(undefined, { retainGraph: true });
  expectGrads([x, w], fx.first);
  pre.forEach((g, i) => expectRec(g, fx.seen.pre[i]));
  gradInputs.forEach((g, i) => expectRec(g, fx.seen.grad_inputs[i]));
  gradOutputs.forEach((g, i) => expectRec(g, fx.seen.grad_outputs[i]));
  assert.deepEqual(
    [pre.length, gradInputs.length, gradOutputs.length],
    [fx.seen.pre.length, fx.seen.grad_inputs.length, fx.seen.grad_outputs.length],
  );
  hp.remove();
  hq.remove();
  x.grad = null;
  w.grad = null;
  y.sum().backward();
  expectGrads([x, w], fx.after_remove);
});

test("registerPostAccumulateGradHook sees the updated .grad", () => {
  const x = leaf([1, 2]);
  const seen: Tensor[] = [];
  const h = x.registerPostAccumulateGradHook((t) => void seen.push(t.grad!.clone()));
  x.mul(x).sum().backward();
  x.mul(3).sum().backward();
  h.remove();
  x.mul(3).sum().backward();
  assert.equal(seen.length, E.post_accumulate.seen.length);
  seen.forEach((g, i) => expectRec(g, E.post_accumulate.seen[i]));
});

test("detach shares storage and version; detach_ makes a leaf", () => {
  const x = leaf([1, 2, 3]);
  let y = x.mul(2);
  const dy = y.detach();
  const v0 = y._versionNumber;
  dy.add_(1);
  const fx = E.detach;
  assert.equal(dy.requiresGrad, fx.requires_grad);
  assert.equal(dy.isLeaf, fx.is_leaf);
  assert.equal(nodeName(dy), fx.grad_fn);
  expectRec(y, fx.y_after);
  assert.deepEqual([v0, y._versionNumber, dy._versionNumber], fx.versions);

  y = x.mul(2);
  const ret = y.detach_();
  assert.equal(ret === y, E.detach_.same);
  assert.equal(y.requiresGrad, E.detach_.requires_grad);
  assert.equal(y.isLeaf, E.detach_.is_leaf);
  assert.equal(nodeName(y), E.detach_.grad_fn);
});

test("Variable, requiresGrad_ and their errors", () => {
  const fx = E.variable;
  const v = torch.autograd.Variable(torch.tensor([1, 2]), { requiresGrad: true });
  const v2 = torch.autograd.Variable(torch.tensor([1, 2]));
  assert.deepEqual([v.requiresGrad, v.isLeaf], fx.v);
  assert.deepEqual([v2.requiresGrad, v2.isLeaf], fx.v2);
  const t = torch.tensor([1, 2]);
  const r = t.requiresGrad_();
  assert.deepEqual([r === t, t.requiresGrad], fx.requires_grad_);
  assert.equal(t.requiresGrad_(false).requiresGrad, fx.off);
  throwsLike(() => torch.tensor([1, 2], { dtype: torch.int64 }).requiresGrad_(), fx.int_error);
  throwsLike(
    () => torch.tensor([1, 2], { dtype: torch.int64, requiresGrad: true }),
    fx.int_create_error,
  );
  const x = leaf([1, 2, 3]);
  throwsLike(() => {
    x.mul(2).requiresGrad = false;
  }, fx.nonleaf_error);
  assert.equal(x.mul(2).requiresGrad_(true).requiresGrad, fx.nonleaf_true);
});

test("a 100,000-op chain backpropagates without stack overflow", () => {
  let fx = E.long_chain;
  let x = leaf([1, -2]);
  let y = x;
  for (let i = 0; i < fx.n; i++) y = y.mul(fx.factor);
  y.sum().backward();
  expectRec(y, fx.y, "y", { rtol: 0 });
  expectRec(x.grad, fx.x_grad, "x.grad", { rtol: 0 });

  fx = E.long_chain_add;
  x = leaf([1, -2]);
  y = x;
  for (let i = 0; i < fx.n; i++) y = y.add(fx.step);
  y.sum().backward();
  expectRec(y, fx.y, "y", { rtol: 0 });
  expectRec(x.grad, fx.x_grad, "x.grad", { rtol: 0 });
});

test("diamond graphs accumulate every path", () => {
  let x = leaf([0.5, -1, 2]);
  const a = x.mul(2);
  a.mul(a).add(a.exp()).add(a).sum().backward();
  expectRec(x.grad, E.diamond.x_grad);
  x = leaf([1, 2]);
  x.mul(x).add(x).sum().backward();
  expectRec(x.grad, E.diamond_leaf.x_grad);
});

// Note [owned gradient sums]: the engine adds later gradients into a sum it made, never into a
// gradient handed to it (which a hook, another edge or a saved tensor may hold)
test("gradients meeting at a node: sums made in place, handed-in gradients untouched", () => {
  const x = leaf([0.5, -1, 2]);
  const parts = [x.mul(2), x.mul(3), x.exp(), x.mul(x)];
  const seen: Tensor[] = [];
  const copies: number[][] = [];
  for (const p of parts) {
    p.registerHook((g) => {
      seen.push(g);
      copies.push(g.tolist() as number[]);
    });
  }
  // one upstream gradient tensor, shared by the four edges of the sum's nodes
  parts[0].add(parts[1]).add(parts[2]).add(parts[3]).sum().backward();
  seen.forEach((g, i) => assert.deepEqual(g.tolist(), copies[i], "a handed-in gradient changed"));
  // each part's gradient on its own, summed: what the shared buffer must hold
  const y = leaf([0.5, -1, 2]);
  const each = [y.mul(2), y.mul(3), y.exp(), y.mul(y)].map(
    (p) => torch.autograd.grad(p.sum(), [y])[0]!,
  );
  const want = each.reduce((a, b) => a.add(b));
  assert.ok(torch.allclose(x.grad!, want), `${String(x.grad)} vs ${String(want)}`);
});

test("in-place ops bump the version counter shared with views", () => {
  const x = torch.ones(3);
  const vw = x.view(3);
  const versions = [x._versionNumber];
  x.add_(1);
  versions.push(x._versionNumber);
  vw.mul_(2);
  versions.push(x._versionNumber);
  assert.deepEqual(versions, E.versions.versions);
  assert.equal(vw._versionNumber, E.versions.view_version);
  expectRec(x, E.versions.x);
});

test("in-place on a leaf requiring grad errors, except under noGrad", () => {
  const x = leaf([1, 2, 3]);
  throwsLike(() => x.add_(1), E.inplace_leaf);
  torch.noGrad(() => x.add_(1));
  expectRec(x, E.inplace_leaf_nograd.x);
  assert.equal(x._versionNumber, E.inplace_leaf_nograd.version);
});

test("a saved tensor modified in place raises PyTorch's full message", () => {
  let a = leaf([1, 2, 3]);
  const s = a.sigmoid();
  const d = s.mul(1);
  s.mul_(2);
  throwsLike(() => d.sum().backward(), E.inplace_saved);

  a = leaf([1, 2, 3]);
  const w = torch.tensor([1, 1, 1]);
  const y = a.mul(w);
  w.add_(1);
  throwsLike(() => y.sum().backward(), E.inplace_saved_leaf);
});

test("in-place on a non-leaf rebases its history", () => {
  const fx = E.inplace_rebase;
  let x = leaf([1, 2, 3]);
  let y = x.mul(2);
  y.add_(1);
  const n1 = nodeName(y);
  const next1 = y.gradFn!.nextFunctions.map(([n]) => (n === null ? null : n.name()));
  y.mul_(3);
  assert.deepEqual([n1, nodeName(y)], fx.names);
  assert.deepEqual(next1, fx.next_add);
  y.sum().backward();
  expectRec(y, fx.y);
  expectRec(x.grad, fx.x_grad);
  assert.equal(y.isLeaf, fx.is_leaf);
  assert.equal(y._versionNumber, fx.version);

  x = leaf([1, 2, 3]);
  const w = leaf([2, 0.5, -1]);
  y = x.mul(1);
  y.mul_(w);
  y.sum().backward();
  assert.equal(nodeName(y), E.inplace_rebase_tensor.name);
  expectGrads([x, w], E.inplace_rebase_tensor.grads);
});

test("grad modes: noGrad, enableGrad inside noGrad, setGradEnabled, inferenceMode", () => {
  const fx = E.grad_modes;
  const x = leaf([1, 2]);
  let z: Tensor | null = null;
  let enabledInside: boolean | null = null;
  const y = torch.noGrad(() => {
    enabledInside = torch.isGradEnabled();
    z = torch.enableGrad(() => x.mul(2));
    return x.mul(2);
  });
  assert.deepEqual([y.requiresGrad, nodeName(y), enabledInside], fx.no_grad);
  assert.deepEqual([z!.requiresGrad, nodeName(z!)], fx.enable_inside);

  const prev = torch.isGradEnabled();
  torch.setGradEnabled(false);
  const s = x.mul(2);
  const off = torch.isGradEnabled();
  torch.setGradEnabled(true);
  assert.deepEqual([prev, off, s.requiresGrad, torch.isGradEnabled()], fx.set_grad_enabled);

  let infGrad: boolean | null = null;
  let infMode: boolean | null = null;
  const inf = torch.inferenceMode(() => {
    infGrad = torch.isGradEnabled();
    infMode = torch.isInferenceModeEnabled();
    return x.mul(2);
  });
  assert.deepEqual([inf.requiresGrad, infGrad, infMode], fx.inference);
  assert.deepEqual([torch.isGradEnabled(), torch.isInferenceModeEnabled()], fx.after);
});

test("grad modes restore on throw", () => {
  assert.throws(() =>
    torch.noGrad(() => {
      throw new Error("boom");
    }),
  );
  assert.deepEqual([torch.isGradEnabled(), torch.isInferenceModeEnabled()], E.grad_modes.after);
});

test("the `using` guard form and exit()", () => {
  const fx = E.grad_modes;
  const x = leaf([1, 2]);
  let y: Tensor;
  let z: Tensor;
  {
    using _g = torch.noGrad();
    y = x.mul(2);
    {
      using _e = torch.enableGrad();
      z = x.mul(2);
    }
    assert.equal(torch.isGradEnabled(), fx.no_grad[2]);
  }
  assert.deepEqual([y.requiresGrad, nodeName(y)], fx.no_grad.slice(0, 2));
  assert.deepEqual([z.requiresGrad, nodeName(z)], fx.enable_inside);
  assert.equal(torch.isGradEnabled(), fx.after[0]);

  const g = torch.setGradEnabled(false);
  assert.equal(x.mul(2).requiresGrad, fx.set_grad_enabled[2]);
  g.exit();
  g.exit(); // idempotent
  assert.equal(torch.isGradEnabled(), fx.after[0]);

  const inf = torch.inferenceMode();
  assert.equal(torch.isInferenceModeEnabled(), fx.inference[2]);
  inf[Symbol.dispose]();
  assert.deepEqual([torch.isGradEnabled(), torch.isInferenceModeEnabled()], fx.after);
});

function controlFlow(a: Tensor): Tensor {
  let b = a.mul(2);
  while ((b.norm().item() as number) < 1000) b = b.mul(2);
  return (b.sum().item() as number) > 0 ? b : b.mul(100);
}

test("tutorial: control flow with while b.norm() < 1000", () => {
  for (const name of ["control_flow_pos", "control_flow_neg"]) {
    const fx = E[name];
    const a = torch.tensor(fx.a, { requiresGrad: true });
    const d = controlFlow(a);
    d.backward();
    expectRec(d, fx.d);
    expectRec(a.grad, fx.a_grad);
    expectRec(d.div(a).detach(), { ...fx.d_over_a, requires_grad: false });
  }
  torch.manualSeed(0);
  const a = torch.randn([], { requiresGrad: true });
  const d = controlFlow(a);
  d.backward();
  expectRec(a, E.control_flow_seeded.a);
  expectRec(d, E.control_flow_seeded.d);
  expectRec(a.grad, E.control_flow_seeded.a_grad);

  const x = leaf([1, 2, 3]);
  let y = x.mul(2);
  while ((y.norm().item() as number) < 1000) y = y.mul(2);
  y.backward(torch.tensor([0.1, 1.0, 0.0001]));
  expectRec(y, E.control_flow_vector.y);
  expectRec(x.grad, E.control_flow_vector.x_grad);
});

test("tutorial: Q = 3a^3 - b^2 with an external gradient", () => {
  const a = leaf([2, 3]);
  const b = leaf([6, 4]);
  const Q = a.pow(3).mul(3).sub(b.pow(2));
  Q.backward(torch.tensor([1, 1]));
  expectRec(Q, E.blitz.Q);
  expectGrads([a, b], E.blitz.grads);
  assert.equal(nodeName(Q), E.blitz.grad_fn);
});

test("head gradients: y.backward(dz/dy) equals z.backward()", () => {
  const fx = E.head_gradients;
  const x = leaf([0.5, 1.5, -2]);
  const y = x.exp().mul(2);
  const z = y.mul(y).sum();
  const [dzdy] = torch.autograd.grad(z, [y], { retainGraph: true });
  expectRec(dzdy, fx.dz_dy);
  y.backward(dzdy, { retainGraph: true });
  expectRec(x.grad, fx.via_head);
  x.grad = null;
  z.backward();
  expectRec(x.grad, fx.direct);
});

test("atomicity: a failing backward changes no .grad and frees nothing", () => {
  const fx = E.atomic_backward;
  const x = leaf([1, 2, 3]);
  const w = leaf([0.5, 0.5, 0.5]);
  x.mul(w).sum().backward();
  expectGrads([x, w], fx.before);
  const s = x.sigmoid();
  const t = s.sum();
  s.mul_(2);
  const p = x.mul(w).sum();
  const y = p.add(t);
  throwsLike(() => y.backward(), fx.error);
  // PyTorch has written w.grad by now (fx.torch_after_failure); ours is unchanged
  expectGrads([x, w], fx.before);
  // nothing was freed: p's part of the graph still runs
  p.backward();
  expectGrads([x, w], fx.after_p_backward);
});

test("atomicity: failing ops leave their inputs untouched", () => {
  let fx = E.atomic_add;
  const a = torch.tensor([1, 2, 3]);
  const b = torch.tensor([1, 2, 3, 4]);
  throwsLike(() => a.add(b), fx.error);
  expectRec(a, fx.a);
  expectRec(b, fx.b);
  assert.deepEqual([a._versionNumber, b._versionNumber], [0, 0]);

  fx = E.atomic_inplace;
  const t = torch.tensor([1, 2, 3]);
  throwsLike(() => t.add_(torch.ones(2, 3)), fx.errors[0]);
  throwsLike(() => t.mul_(torch.ones(4)), fx.errors[1]);
  const ti = torch.tensor([1, 2, 3], { dtype: torch.int64 });
  throwsLike(() => ti.add_(1.5), fx.errors[2]);
  expectRec(t, fx.t);
  assert.equal(t._versionNumber, fx.t_version);
  expectRec(ti, fx.ti);
  assert.equal(ti._versionNumber, fx.ti_version);

  fx = E.atomic_inplace_nonleaf;
  const x = leaf([1, 2, 3]);
  const y = x.mul(2);
  throwsLike(() => y.add_(torch.ones(2, 3)), fx.error);
  expectRec(y, fx.y);
  assert.equal(y._versionNumber, fx.version);
  assert.equal(nodeName(y), fx.grad_fn);
  y.sum().backward();
  expectRec(x.grad, fx.x_grad);
});

// Note [stolen gradients]: a leaf's first gradient from mm's backward is the product itself,
// but never a tensor that user code (a hook, a custom backward, the caller) holds, and never
// the same storage for two leaves (PyTorch clones whenever the use count says it is shared).
test("mm backward: the leaf's first gradient is never storage user code or another leaf holds", () => {
  const rand = (r: number, c: number): Tensor => torch.rand([r, c]).requiresGrad_(true);
  const expected = (g: Tensor, b: Tensor): number[] =>
    Array.from(torch.noGrad(() => g.mm(b.t())).typedArray);
  torch.manualSeed(3);
  // plain: values right, the root gradient not aliased
  {
    const [a, b] = [rand(3, 4), rand(4, 5)];
    const g = torch.rand([3, 5]);
    a.mm(b).backward(g);
    assert.deepEqual(Array.from(a.grad!.typedArray), expected(g, b));
    assert.notEqual(a.grad!.typedArray.buffer, g.typedArray.buffer);
  }
  // a hook on the leaf keeps its gradient: .grad is a copy
  {
    const [a, b] = [rand(3, 4), rand(4, 5)];
    const seen: Tensor[] = [];
    a.registerHook((gr) => void seen.push(gr));
    a.mm(b).backward(torch.onesLike(a.mm(b)));
    assert.equal(seen.length, 1);
    assert.notEqual(a.grad!.typedArray.buffer, seen[0]!.typedArray.buffer);
    const kept = Array.from(seen[0]!.typedArray);
    a.grad!.add_(1);
    assert.deepEqual(Array.from(seen[0]!.typedArray), kept);
  }
  // the node's post hook sees the products: .grad is a copy
  {
    const [a, b] = [rand(3, 4), rand(4, 5)];
    const c = a.mm(b);
    let gi: (Tensor | null)[] = [];
    c.gradFn!.registerHook((gradInputs) => void (gi = gradInputs));
    c.backward(torch.onesLike(c));
    assert.notEqual(a.grad!.typedArray.buffer, gi[0]!.typedArray.buffer);
    assert.notEqual(b.grad!.typedArray.buffer, gi[1]!.typedArray.buffer);
  }
  // one product handed to two leaves by add's backward: two storages
  {
    const [x, y, w] = [rand(3, 4), rand(3, 4), rand(4, 5)];
    const c = x.add(y).mm(w);
    c.backward(torch.onesLike(c));
    assert.notEqual(x.grad!.typedArray.buffer, y.grad!.typedArray.buffer);
    assert.deepEqual(Array.from(x.grad!.typedArray), Array.from(y.grad!.typedArray));
    x.grad!.add_(1);
    assert.notDeepEqual(Array.from(x.grad!.typedArray), Array.from(y.grad!.typedArray));
  }
  // a custom backward that keeps its gradient and passes it on: .grad is a copy
  {
    let kept: Tensor | null = null;
    class Keep extends torch.autograd.Function {
      static override forward(_ctx: torch.autograd.FunctionCtx, x: Tensor): Tensor {
        return x.clone();
      }
      static override backward(_ctx: torch.autograd.FunctionCtx, g: Tensor): Tensor {
        kept = g;
        return g;
      }
    }
    const [x, w] = [rand(3, 4), rand(4, 5)];
    const c = (Keep.apply(x) as Tensor).mm(w);
    c.backward(torch.onesLike(c));
    assert.notEqual(kept, null);
    assert.notEqual(x.grad!.typedArray.buffer, kept!.typedArray.buffer);
  }
});
