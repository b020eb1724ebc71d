/**
 * The Module machinery against PyTorch 1.13 (test/fixtures/nnmod.json, from
 * scripts/fixtures/nnmod_fx.py): named_* iterators with prefixes and duplicates, apply order,
 * get_submodule / get_parameter / get_buffer errors, dtype conversions, zero_grad, train/eval,
 * to_empty, forward (pre-)hooks and global hooks, full and deprecated backward hooks,
 * ParameterList / ParameterDict.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/index.js";
import { Tensor } from "../src/index.js";
import { fromFlatRec, readFixture, type Err, type FlatRec } from "./helpers/fixtures.js";

const nn = torch.nn;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the fixture is a tree of heterogeneous cases
const fx = readFixture<Record<string, Record<string, any>>>("nnmod.json");

function closeTo(t: Tensor | null, r: FlatRec | null, what: string, rtol = 1e-5): void {
  if (r === null) return assert.equal(t, null, `${what}: expected null`);
  assert.ok(t instanceof Tensor, `${what}: expected a tensor`);
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  const got = t.detach().contiguous().reshape([-1]).tolist() as number[];
  const want = fromFlatRec(r).reshape([-1]).tolist() as number[];
  got.forEach((v, i) =>
    assert.ok(
      Math.abs(v - want[i]) <= 1e-6 + rtol * Math.abs(want[i]),
      `${what}[${i}]: ${v} vs PyTorch ${want[i]}`,
    ),
  );
}

function throwsErr(fn: () => unknown, e: Err): void {
  assert.throws(fn, (x: unknown) => {
    assert.ok(x instanceof Error);
    assert.equal(x.name, e.type);
    assert.equal(x.message, e.message);
    return true;
  });
}

/** The inputs of the fixture: sin-based, as nnmod_fx.py's vals(). */
function vals(shape: number[], k: number, dtype = torch.float32): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: n }, (_, i) => Math.sin(1 + 7 * k + 1.3 * i));
  return torch.tensor(data, { dtype }).reshape(shape);
}

const names = (pairs: [string, unknown][]): string[] => pairs.map(([n]) => n);

/** nnmod_fx.py's Net. */
class Net extends nn.Module {
  fc1 = new nn.Linear(3, 4);
  act = new nn.ReLU();
  fc2 = new nn.Linear(4, 2);
  shared = this.fc1;
  bn = new nn.BatchNorm1d(4);
  override forward(x: Tensor): Tensor {
    return this.fc2.call(this.act.call(this.bn.call(this.fc1.call(x))));
  }
}

function seededNet(): Net {
  torch.manualSeed(0);
  return new Net();
}

/** nnmod_fx.py's Two: (a * b * k, a + b). */
class Two extends nn.Module {
  override forward(a: Tensor, k: number, b: Tensor): [Tensor, Tensor] {
    return [a.mul(b).mul(k), a.add(b)];
  }
}

/** nnmod_fx.py's Scale: x * s. */
class Scale extends nn.Module {
  s = new nn.Parameter(vals([3], 9));
  override forward(x: Tensor): Tensor {
    return x.mul(this.s);
  }
}

test("traversal: named_* with prefixes, recurse and duplicates; apply order; repr", () => {
  const f = fx.traversal;
  const m = seededNet();
  assert.deepEqual(names(m.namedModules()), f.named_modules);
  assert.deepEqual(names(m.namedModules(null, "net")), f.named_modules_prefix);
  assert.deepEqual(names(m.namedModules({ prefix: "net" })), f.named_modules_prefix);
  assert.deepEqual(names(m.namedModules({ removeDuplicate: false })), f.named_modules_dup);
  assert.deepEqual(names(m.namedParameters()), f.named_parameters);
  assert.deepEqual(names(m.namedParameters("p")), f.named_parameters_prefix);
  assert.deepEqual(names(m.namedParameters({ prefix: "p" })), f.named_parameters_prefix);
  assert.deepEqual(names(m.fc1.namedParameters("", false)), f.named_parameters_norecurse);
  assert.deepEqual(names(m.fc1.namedParameters({ recurse: false })), f.named_parameters_norecurse);
  assert.deepEqual(names(m.namedBuffers()), f.named_buffers);
  assert.deepEqual(names(m.namedBuffers({ prefix: "b" })), f.named_buffers_prefix);
  assert.deepEqual(names(m.namedChildren()), f.named_children);
  assert.deepEqual(Object.keys(m.stateDict()), f.state_dict_keys);
  const order: string[] = [];
  m.apply((mod) => order.push(mod.constructor.name));
  assert.deepEqual(order, f.apply_order);
  assert.equal(String(m), f.repr);
  // a shared parameter once, or under each name (PyTorch 2.0's remove_duplicate=False)
  assert.equal(m.namedParameters({ removeDuplicate: false }).length, 8);
});

test("traversal: getSubmodule / getParameter / getBuffer and their AttributeErrors", () => {
  const f = fx.traversal;
  const m = seededNet();
  assert.equal(m.getSubmodule("fc2"), m.fc2);
  assert.equal(m.getParameter("fc1.bias"), m.fc1.bias);
  throwsErr(() => m.getSubmodule("fc1.nothing"), f.get_submodule_missing);
  throwsErr(() => m.getSubmodule("fc1.weight"), f.get_submodule_not_module);
  throwsErr(() => m.getParameter("bn.running_mean"), f.get_parameter_not_param);
  throwsErr(() => m.getParameter("fc1.nothing"), f.get_parameter_missing);
  throwsErr(() => m.getBuffer("fc1.weight"), f.get_buffer_not_buffer);
  closeTo(m.getBuffer("bn.running_var"), f.get_buffer, "bn.running_var");
});

test("dtypes: double, float, type, to(tensor), to({ dtype }), to(int64) error, half", () => {
  const f = fx.dtypes;
  const dtypesOf = (m: torch.nn.Module): Record<string, string> =>
    Object.fromEntries(Object.entries(m.stateDict()).map(([k, v]) => [k, String(v.dtype)]));
  const m = seededNet();
  const w = m.fc1.weight;
  m.double();
  assert.equal(m.fc1.weight, w, "the Parameter object is kept");
  assert.deepEqual(dtypesOf(m), f.double);
  assert.deepEqual(dtypesOf(seededNet().to(torch.float64).float()), f.float);
  assert.deepEqual(dtypesOf(seededNet().type(torch.float64)), f.type);
  assert.deepEqual(
    dtypesOf(seededNet().to(torch.zeros([1], { dtype: torch.float64 }))),
    f.to_tensor,
  );
  assert.deepEqual(dtypesOf(seededNet().to({ dtype: torch.float64 })), f.to_kwargs);
  assert.deepEqual(dtypesOf(seededNet().to("cpu", torch.float64)), f.to_kwargs);
  throwsErr(() => seededNet().to(torch.int64), f.to_int);
  throwsErr(() => seededNet().cuda(), f.cuda);
  throwsErr(() => seededNet().to("cuda" as never), f.to_cuda);
  const c = seededNet();
  assert.equal(c.cpu(), c);
  // half() and bfloat16() cast the float parameters, keeping the Parameter objects
  for (const [cast, d] of [
    [(m: torch.nn.Module) => m.half(), torch.float16],
    [(m: torch.nn.Module) => m.bfloat16(), torch.bfloat16],
  ] as const) {
    const h = seededNet();
    const w0 = h.fc1.weight;
    const before = w0.tolist();
    cast(h);
    assert.equal(h.fc1.weight, w0);
    assert.equal(h.fc1.weight.dtype, d);
    assert.deepEqual(
      h.fc1.weight.tolist(),
      torch
        .tensor(before as number[][])
        .to(d)
        .tolist(),
    );
  }
});

test("grads and modes: zeroGrad (zeros, setToNone), requiresGrad_, eval/train, toEmpty", () => {
  const f = fx.grads_and_modes;
  const m = seededNet();
  const x = vals([5, 3], 1);
  m.call(x).sum().backward();
  for (const [n, p] of m.namedParameters()) closeTo(p.grad, f.grads[n], `grad ${n}`);
  m.zeroGrad();
  for (const [n, p] of m.namedParameters()) closeTo(p.grad, f.after_zero_grad[n], `zeroed ${n}`);
  m.call(x).sum().backward();
  m.zeroGrad({ setToNone: true });
  assert.deepEqual(
    m.parameters().map((p) => p.grad === null),
    f.after_set_to_none,
  );
  m.requiresGrad_(false);
  assert.deepEqual(
    m.parameters().map((p) => p.requiresGrad),
    f.requires_grad_false,
  );
  m.eval();
  assert.deepEqual(
    m.modules().map((mod) => mod.training),
    f.eval_training,
  );
  closeTo(m.call(x), f.eval_out, "eval output");
  m.train();
  assert.deepEqual(
    m.modules().map((mod) => mod.training),
    f.train_training,
  );
  throwsErr(() => m.train(1 as never), f.train_not_bool);
  const e = seededNet();
  const w = e.fc1.weight;
  e.toEmpty({ device: "cpu" });
  assert.equal(e.fc1.weight, w);
  assert.deepEqual(
    Object.fromEntries(Object.entries(e.stateDict()).map(([k, v]) => [k, v.shape])),
    f.to_empty_shapes,
  );
});

test("forward hooks: pre-hooks replace the arguments (tuple or single), hooks the output; global hooks first", () => {
  const f = fx.forward_hooks;
  torch.manualSeed(1);
  const lin = new nn.Linear(3, 2);
  const x = vals([4, 3], 2);
  const calls: string[] = [];
  const h1 = lin.registerForwardPreHook((_m, args) => {
    calls.push("pre");
    return [(args[0] as Tensor).mul(2)];
  });
  const h2 = lin.registerForwardPreHook((_m, args) => {
    calls.push("pre_single");
    return (args[0] as Tensor).add(1);
  });
  const h3 = lin.registerForwardHook((_m, _a, out: Tensor) => {
    calls.push("fwd");
    return out.mul(3);
  });
  closeTo(lin.call(x), f.hooked, "hooked");
  assert.deepEqual(calls, f.calls);
  h1.remove();
  h2.remove();
  h3.remove();
  closeTo(lin.call(x), f.removed, "removed");
  const order: string[] = [];
  const g1 = nn.registerModuleForwardPreHook(() => void order.push("gpre"));
  const g2 = nn.registerModuleForwardHook(() => void order.push("gfwd"));
  const h4 = lin.registerForwardPreHook(() => void order.push("pre"));
  const h5 = lin.registerForwardHook(() => void order.push("fwd"));
  lin.call(x);
  for (const h of [g1, g2, h4, h5]) h.remove();
  assert.deepEqual(order, f.global_order);
  lin.call(x);
  assert.deepEqual(order, f.global_order, "removed global hooks do not run");
});

type Seen = { gi?: (FlatRec | null)[]; go?: (FlatRec | null)[] };

function checkSeen(
  got: { gi: (Tensor | null)[]; go: (Tensor | null)[] } | null,
  want: Seen,
  what: string,
): void {
  assert.ok(got !== null, `${what}: the hook ran`);
  assert.equal(got.gi.length, want.gi!.length, `${what}: gradInput length`);
  assert.equal(got.go.length, want.go!.length, `${what}: gradOutput length`);
  got.gi.forEach((g, i) => closeTo(g, want.gi![i], `${what} gradInput[${i}]`));
  got.go.forEach((g, i) => closeTo(g, want.go![i], `${what} gradOutput[${i}]`));
}

test("full backward hooks: gradInput/gradOutput, replacement, non-tensor arguments, no input grad", () => {
  const f = fx.backward_hooks;
  torch.manualSeed(2);
  const lin = new nn.Linear(3, 2);
  let seen: { gi: (Tensor | null)[]; go: (Tensor | null)[] } | null = null;
  const hook: torch.nn.BackwardHook = (_m, gi, go) => {
    seen = { gi, go };
  };
  const x = vals([4, 3], 3).requiresGrad_();
  let h = lin.registerFullBackwardHook(hook);
  const y = lin.call(x);
  assert.equal(y.gradFn?.name(), f.grad_fn);
  const w = vals([4, 2], 4);
  y.mul(w).sum().backward();
  checkSeen(seen, f.full, "linear");
  closeTo(x.grad, f.x_grad, "x.grad");
  h.remove();

  const x2 = vals([4, 3], 3).requiresGrad_();
  h = lin.registerFullBackwardHook((_m, gi) => [gi[0]!.mul(10)]);
  lin.call(x2).mul(w).sum().backward();
  closeTo(x2.grad, f.replaced_x_grad, "replaced x.grad");
  // the weight's gradient is not a gradInput: unchanged (accumulated over both calls)
  closeTo(lin.weight.grad, f.replaced_weight_grad, "weight.grad");
  h.remove();

  const two = new Two();
  seen = null;
  h = two.registerFullBackwardHook(hook);
  const a = vals([3], 5).requiresGrad_();
  const b = vals([3], 6).requiresGrad_();
  const [p, q] = two.call(a, 2.5, b);
  assert.deepEqual([p.gradFn?.name(), q.gradFn?.name()], f.two_grad_fns);
  p.mul(vals([3], 7))
    .add(q.mul(vals([3], 8)))
    .sum()
    .backward();
  checkSeen(seen, f.two, "two");
  h.remove();

  seen = null;
  h = lin.registerFullBackwardHook(hook);
  lin.zeroGrad();
  lin
    .call(vals([4, 3], 3))
    .mul(w)
    .sum()
    .backward();
  checkSeen(seen, f.no_input_grad, "no input grad");
  h.remove();
});

test("backward hooks: the deprecated hook sees its node's gradients; mixing kinds and wrong counts raise", () => {
  const f = fx.backward_hooks;
  let seen: { gi: (Tensor | null)[]; go: (Tensor | null)[] } | null = null;
  const hook: torch.nn.BackwardHook = (_m, gi, go) => {
    seen = { gi, go };
  };
  const sc = new Scale();
  const h = sc.registerBackwardHook(hook);
  const xs = vals([3], 10).requiresGrad_();
  sc.call(xs)
    .mul(vals([3], 11))
    .sum()
    .backward();
  checkSeen(seen, f.non_full, "non-full");
  h.remove();
  throwsErr(() => sc.registerFullBackwardHook(hook), f.mixed);
  const sc2 = new Scale();
  sc2.registerFullBackwardHook(hook);
  throwsErr(() => sc2.registerBackwardHook(hook), f.mixed2);
  const order: [string, string][] = [];
  const g = nn.registerModuleFullBackwardHook(
    (m) => void order.push(["global", m.constructor.name]),
  );
  const sc3 = new Scale();
  sc3.registerFullBackwardHook((m) => void order.push(["own", m.constructor.name]));
  sc3
    .call(vals([3], 10).requiresGrad_())
    .sum()
    .backward();
  g.remove();
  assert.deepEqual(order, f.global_full);
  const l3 = new nn.Linear(3, 2);
  l3.registerFullBackwardHook((_m, gi) => [gi[0], gi[0]]);
  throwsErr(
    () =>
      l3
        .call(vals([4, 3], 3).requiresGrad_())
        .sum()
        .backward(),
    f.wrong_count,
  );
});

test("ParameterList: wrapping, names, repr, errors", () => {
  const f = fx.param_containers;
  torch.manualSeed(3);
  const pl = new nn.ParameterList([new nn.Parameter(torch.randn(2, 3)), torch.randn(3)]);
  pl.append(torch.randn([1], { dtype: torch.float64 }));
  assert.equal(String(pl), f.list_repr);
  assert.deepEqual(names(pl.namedParameters()), f.list_names);
  Array.from(pl).forEach((p, i) => {
    assert.ok(p instanceof nn.Parameter);
    closeTo(p, f.list_values[i], `list[${i}]`);
  });
  assert.equal(pl.length, f.list_len);
  throwsErr(() => pl.get(3), f.list_index_error);
  throwsErr(() => pl.call(), f.list_call);
  throwsErr(() => pl.extend(torch.zeros(2) as never), f.list_extend_tensor);
  assert.equal(String(new nn.ParameterList([new nn.Parameter(torch.zeros(2))])), f.list_one_repr);
  assert.equal(String(new nn.ParameterList([torch.zeros(2), "a", 3])), f.list_mixed_repr);
  assert.equal(String(pl.slice(1)), f.list_slice_repr);
});

test("ParameterDict: sorted plain objects, wrapping, repr, errors, pop", () => {
  const f = fx.param_containers;
  const pd = new nn.ParameterDict({
    right: torch.ones(2),
    left: new nn.Parameter(torch.zeros(3, 2)),
  });
  pd.set("extra", torch.zeros([1], { dtype: torch.float64 }));
  assert.equal(String(pd), f.dict_repr);
  assert.deepEqual(pd.keys(), f.dict_keys);
  assert.deepEqual(names(pd.namedParameters()), f.dict_names);
  throwsErr(() => pd.call(), f.dict_call);
  throwsErr(() => pd.get("nothing"), f.dict_missing);
  assert.equal(pd.get("nothing", null), null);
  throwsErr(() => pd.get(1 as never), f.dict_bad_key);
  throwsErr(() => pd.update([["a", 1, 2]] as never), f.dict_update_bad);
  assert.deepEqual((pd.pop("left") as Tensor).shape, f.dict_pop);
  assert.deepEqual(pd.keys(), f.dict_after_pop);
  assert.deepEqual(Object.keys(pd.stateDict()), f.dict_state_keys);
  const pd2 = new nn.ParameterDict([
    ["b", torch.zeros(1)],
    ["a", torch.ones(1)],
  ]);
  assert.deepEqual(pd2.keys(), f.dict_pairs_keys);
  closeTo(
    pd2.setdefault("c", torch.full([2], 3.0, { dtype: torch.float32 })) as Tensor,
    f.dict_setdefault,
    "setdefault",
  );
  assert.equal(pd2.popitem()[0], f.dict_popitem);
  assert.deepEqual(pd2.copy().keys(), f.dict_copy_keys);
  assert.equal(String(pd2.fromkeys(["x", "y"], torch.zeros(2))), f.dict_fromkeys);
  const orig = console.warn;
  const warnings: string[] = [];
  console.warn = (m: string) => void warnings.push(m);
  const c = new nn.Container({ a: new nn.Linear(1, 1), b: new nn.ReLU() });
  console.warn = orig;
  assert.equal(warnings.length, 1);
  assert.equal(String(c), f.container.repr);
  assert.deepEqual(names(c.namedChildren()), f.container.children);
});

test("lazy modules: repr before and after, class change, seeded initialisation, state dicts", () => {
  const f = fx.lazy;
  const nnl = torch.nn;
  const cases: Record<string, [() => torch.nn.Module, number[]]> = {
    LazyLinear: [() => new nnl.LazyLinear(3), [2, 5]],
    LazyLinear_nobias: [() => new nnl.LazyLinear(3, false), [5]],
    LazyConv1d: [() => new nnl.LazyConv1d(4, 3, 2, 1), [2, 3, 9]],
    LazyConv2d: [() => new nnl.LazyConv2d(4, [2, 3], { groups: 2, bias: false }), [1, 2, 5, 6]],
    LazyConvTranspose1d: [() => new nnl.LazyConvTranspose1d(4, 3, { stride: 2 }), [3, 5]],
    LazyConvTranspose2d: [() => new nnl.LazyConvTranspose2d(2, 2, 2, 0, 1), [1, 3, 3, 4]],
    LazyBatchNorm1d: [() => new nnl.LazyBatchNorm1d(), [4, 3]],
    LazyBatchNorm2d: [() => new nnl.LazyBatchNorm2d(0.001, null, false), [2, 3, 2, 2]],
    LazyBatchNorm3d: [() => new nnl.LazyBatchNorm3d(), [2, 3, 2, 2, 2]],
    LazyInstanceNorm1d: [() => new nnl.LazyInstanceNorm1d(), [2, 3, 5]],
    LazyInstanceNorm2d: [() => new nnl.LazyInstanceNorm2d({ affine: false }), [2, 3, 4, 4]],
    LazyInstanceNorm3d: [() => new nnl.LazyInstanceNorm3d(1e-3, 0.2), [2, 3, 2, 2, 2]],
    LazyConv3d: [() => new nnl.LazyConv3d(4, 2), [1, 2, 3, 3, 3]],
    LazyConvTranspose3d: [() => new nnl.LazyConvTranspose3d(2, 2, { stride: 2 }), [1, 3, 2, 2, 2]],
  };
  for (const [name, [make, shape]] of Object.entries(cases)) {
    const want = f[name];
    torch.manualSeed(4);
    const m = make();
    assert.equal(String(m), want.repr_before, `${name} repr before`);
    assert.deepEqual(
      m.parameters().map((p) => String(p)),
      want.params_before,
      `${name} parameters before`,
    );
    const y = m.call(vals(shape, 12)) as Tensor;
    assert.equal(m.constructor.name, want.class_after, `${name} class after`);
    assert.ok(
      !(m instanceof (nnl as unknown as Record<string, new () => object>)[name.split("_")[0]]),
    );
    assert.equal(String(m), want.repr_after, `${name} repr after`);
    const sd = m.stateDict();
    assert.deepEqual(Object.keys(sd), Object.keys(want.state), `${name} state keys`);
    for (const [k, r] of Object.entries(want.state)) closeTo(sd[k], r as FlatRec, `${name} ${k}`);
    closeTo(y, want.out, `${name} output`);
    for (const p of m.parameters()) assert.ok(!nnl.isLazy(p) && p instanceof nnl.Parameter);
  }
  // dtype conversion before the first call: materialised and drawn in float64
  torch.manualSeed(4);
  const d = new nnl.LazyLinear(3).double();
  d.call(vals([2, 5], 12, torch.float64));
  for (const [k, r] of Object.entries(f.LazyLinear_double))
    closeTo(d.stateDict()[k], r as FlatRec, `float64 ${k}`, 1e-12);
  // loading a state dict materialises with the loaded shapes; the module stays lazy
  const l = new nnl.LazyLinear(3);
  l.loadStateDict({ weight: vals([3, 2], 13), bias: vals([3], 14) });
  assert.equal(String(l), f.loaded.repr);
  assert.equal(l.constructor.name, f.loaded.class);
  closeTo(l.weight, f.loaded.weight, "loaded weight");
  throwsErr(() => new nnl.LazyConv2d(4, 3).call(vals([5, 5], 1)), f.conv_bad_dim);
  throwsErr(() => new nnl.LazyConv1d(4, 3, { groups: 2 }).call(vals([1, 3, 5], 1)), f.conv_groups);
});

// ---------------------------------------------------------------------------------------------
// nn.utils

const U = torch.nn.utils;
const PZ = torch.nn.utils.parametrize;

function checkState(m: torch.nn.Module, want: Record<string, FlatRec>, what: string): void {
  const got = m.stateDict();
  assert.deepEqual(Object.keys(got), Object.keys(want), `${what}: state dict keys`);
  for (const [k, r] of Object.entries(want)) closeTo(got[k], r, `${what} ${k}`, 1e-4);
}

function checkGrads(m: torch.nn.Module, want: Record<string, FlatRec>, what: string): void {
  const got = Object.fromEntries(
    m
      .namedParameters()
      .filter(([, p]) => p.grad !== null)
      .map(([n, p]) => [n, p.grad]),
  );
  assert.deepEqual(Object.keys(got), Object.keys(want), `${what}: parameters with grads`);
  for (const [k, r] of Object.entries(want)) closeTo(got[k], r, `${what} grad ${k}`, 1e-4);
}

/** X -> triu(X) + triu(X, 1)^T. */
class Symmetric extends nn.Module {
  override forward(x: Tensor): Tensor {
    return x.triu().add(x.triu(1).transpose(0, 1));
  }
}
/** X -> 2 X; rightInverse Y -> Y / 2. */
class Double extends nn.Module {
  override forward(x: Tensor): Tensor {
    return x.mul(2);
  }
  rightInverse(y: Tensor): Tensor {
    return y.div(2);
  }
}
/** X -> X[0] (changes the shape). */
class Row extends nn.Module {
  override forward(x: Tensor): Tensor {
    return x.select(0, 0);
  }
}

test("weightNorm / removeWeightNorm: parameters, values, gradients, errors", () => {
  const f = fx.norms;
  const x = vals([2, 3], 15);
  const w = vals([2, 4], 16);
  for (const [key, dim] of [
    ["wn0", 0],
    ["wn1", 1],
    ["wnNone", null],
  ] as const) {
    torch.manualSeed(5);
    const m = U.weightNorm(new nn.Linear(3, 4), "weight", dim);
    const y = m.call(x);
    y.mul(w).sum().backward();
    assert.deepEqual(names(m.namedParameters()), f[key].names, key);
    checkState(m, f[key].state, key);
    closeTo(y, f[key].out, `${key} output`);
    checkGrads(m, f[key].grads, key);
    closeTo((m as unknown as { weight: Tensor }).weight, f[key].weight, `${key} weight`);
  }
  torch.manualSeed(5);
  const m = U.weightNorm(new nn.Linear(3, 4), { dim: 0 });
  throwsErr(() => U.weightNorm(m), f.wn_twice);
  U.removeWeightNorm(m);
  assert.deepEqual(names(m.namedParameters()), f.wn_removed.names);
  closeTo(m.weight, f.wn_removed.weight, "removed weight");
  throwsErr(() => U.removeWeightNorm(m), f.wn_remove_missing);
});

test("spectralNorm / removeSpectralNorm: seeded u and v, power iteration in training only", () => {
  const f = fx.norms;
  const x = vals([2, 3], 15);
  const w = vals([2, 4], 16);
  torch.manualSeed(6);
  const m = U.spectralNorm(new nn.Linear(3, 4));
  checkState(m, f.sn_registered, "registered");
  const y = m.call(x);
  y.mul(w).sum().backward();
  closeTo(y, f.sn_train.out, "train output");
  checkState(m, f.sn_train.state, "after a training call");
  checkGrads(m, f.sn_train.grads, "train");
  assert.deepEqual(names(m.namedParameters()), f.sn_train.names);
  m.eval();
  closeTo(m.call(x), f.sn_eval.out, "eval output");
  checkState(m, f.sn_eval.state, "after an eval call");
  torch.manualSeed(6);
  const m2 = U.spectralNorm(new nn.Linear(3, 4), { nPowerIterations: 3 });
  m2.call(x);
  m2.call(x);
  checkState(m2, f.sn_three, "three iterations");
  torch.manualSeed(6);
  const ct = U.spectralNorm(new nn.ConvTranspose2d(2, 3, 2));
  assert.deepEqual(
    Object.fromEntries(Object.entries(ct.stateDict()).map(([k, v]) => [k, v.shape])),
    f.sn_convt_shapes,
  );
  throwsErr(() => U.spectralNorm(m), f.sn_twice);
  throwsErr(() => U.spectralNorm(new nn.Linear(2, 2), "weight", 0), f.sn_bad_iters);
  U.removeSpectralNorm(m);
  assert.deepEqual(names(m.namedParameters()), f.sn_removed.names);
  closeTo(m.weight, f.sn_removed.weight, "removed weight");
  assert.deepEqual(Object.keys(m.stateDict()), f.sn_removed.state_keys);
  throwsErr(() => U.removeSpectralNorm(m), f.sn_remove_missing);
});

test("parametrize: registration, Parametrized class and repr, chaining, assignment, removal", () => {
  const f = fx.parametrize;
  const x = vals([2, 3], 17);
  const w = vals([2, 3], 18);
  torch.manualSeed(9);
  const m = new nn.Linear(3, 3);
  PZ.registerParametrization(m, "weight", new Symmetric());
  const y = m.call(x);
  y.mul(w).sum().backward();
  assert.equal(String(m), f.sym.repr);
  assert.equal(m.constructor.name, f.sym.cls);
  assert.ok(m instanceof nn.Linear);
  assert.deepEqual(names(m.namedParameters()), f.sym.names);
  checkState(m, f.sym.state, "sym");
  closeTo(m.weight, f.sym.weight, "sym weight");
  closeTo(y, f.sym.out, "sym output");
  checkGrads(m, f.sym.grads, "sym");
  assert.deepEqual(
    [PZ.isParametrized(m), PZ.isParametrized(m, "weight"), PZ.isParametrized(m, "bias")],
    f.sym.is,
  );
  assert.equal(PZ.typeBeforeParametrizations(m), nn.Linear);
  PZ.registerParametrization(m, "weight", new Double());
  closeTo(m.weight, f.chain_weight, "chained weight");
  assert.equal(String(m), f.chain_repr);
  throwsErr(() => {
    m.weight = torch.eye(3) as never;
  }, f.assign_error);
  PZ.removeParametrizations(m, "weight");
  assert.equal(String(m), f.removed.repr);
  assert.equal(m.constructor.name, f.removed.cls);
  closeTo(m.weight, f.removed.weight, "removed weight");
  assert.deepEqual(names(m.namedParameters()), f.removed.names);

  torch.manualSeed(9);
  const d = new nn.Linear(3, 3);
  PZ.registerParametrization(d, "weight", new Double());
  d.weight = vals([3, 3], 19) as never;
  const plist = (d as unknown as { parametrizations: torch.nn.ModuleDict }).parametrizations;
  closeTo(
    (plist.get("weight") as unknown as { original: Tensor }).original,
    f.assigned.original,
    "original",
  );
  closeTo(d.weight, f.assigned.weight, "assigned weight");
  PZ.removeParametrizations(d, "weight", false);
  closeTo(d.weight, f.removed_original, "removed, original kept");
  throwsErr(
    () => PZ.registerParametrization(new nn.Linear(2, 2), "nothing", new Double()),
    f.not_a_param,
  );
  throwsErr(
    () => PZ.registerParametrization(new nn.Linear(2, 2), "weight", new Row()),
    f.shape_change,
  );
  throwsErr(() => PZ.removeParametrizations(new nn.Linear(2, 2), "weight"), f.remove_missing);
  const bn = new nn.BatchNorm1d(2);
  PZ.registerParametrization(bn, "running_var", new Double());
  assert.deepEqual(Object.keys(bn.stateDict()), f.buffer.state_keys);
  closeTo(bn.running_var, f.buffer.value, "parametrized buffer");
});

test("parametrize.cached: one computation per read inside the block", () => {
  let calls = 0;
  class Counting extends nn.Module {
    override forward(x: Tensor): Tensor {
      calls++;
      return x.mul(1);
    }
  }
  const m = new nn.Linear(2, 2);
  PZ.registerParametrization(m, "weight", new Counting());
  calls = 0;
  void m.weight;
  void m.weight;
  assert.equal(calls, 2, "uncached: every read computes");
  calls = 0;
  const same = PZ.cached(() => m.weight === m.weight);
  assert.ok(same);
  assert.equal(calls, 1, "cached: once");
  void m.weight;
  assert.equal(calls, 2, "the cache is dropped after the block");
});

test("parametrizations.orthogonal: maps, trivialization, seeded base, gradients, errors", () => {
  const f = fx.parametrizations;
  const x4 = vals([2, 4], 20);
  const cases: Record<string, [[number, number], Record<string, unknown>]> = {
    orth_square: [[4, 4], {}],
    orth_cayley: [[4, 4], { orthogonalMap: "cayley" }],
    orth_wide: [[4, 3], {}],
    orth_tall_householder: [[3, 4], { orthogonalMap: "householder" }],
    orth_no_trivial: [[4, 3], { useTrivialization: false }],
  };
  for (const [key, [[i, o], opts]] of Object.entries(cases)) {
    torch.manualSeed(7);
    const m = new nn.Linear(i, o);
    U.parametrizations.orthogonal(m, { name: "weight", ...opts });
    const x = x4.narrow(1, 0, i);
    const y = m.call(x);
    y.mul(vals(y.shape, 21)).sum().backward();
    checkState(m, f[key].state, key);
    closeTo(m.weight, f[key].weight, `${key} weight`, 1e-4);
    closeTo(y, f[key].out, `${key} output`, 1e-4);
    checkGrads(m, f[key].grads, key);
    assert.equal(String(m), f[key].repr);
  }
  throwsErr(() => U.parametrizations.orthogonal(new nn.Linear(2, 2), "bias"), f.orth_1d);
  throwsErr(
    () => U.parametrizations.orthogonal(new nn.Linear(2, 2), "weight", "x" as never),
    f.orth_bad_map,
  );
});

test("parametrizations.spectralNorm: 15 iterations at registration, then one per training read", () => {
  const f = fx.parametrizations;
  torch.manualSeed(8);
  const m = new nn.Linear(3, 4);
  U.parametrizations.spectralNorm(m);
  checkState(m, f.psn_registered, "registered");
  const y = m.call(vals([2, 3], 22));
  y.mul(vals([2, 4], 23))
    .sum()
    .backward();
  closeTo(y, f.psn_train.out, "output", 1e-4);
  checkState(m, f.psn_train.state, "after a call");
  checkGrads(m, f.psn_train.grads, "train");
  m.eval();
  closeTo(m.weight, f.psn_eval, "eval weight", 1e-4);
  throwsErr(() => U.parametrizations.spectralNorm(new nn.Linear(2, 2), { dim: 2 }), f.psn_bad_dim);
});

test("parametersToVector, vectorToParameters, clipGradValue_", () => {
  const f = fx.vectors;
  torch.manualSeed(10);
  const m = new nn.Linear(3, 2);
  closeTo(U.parametersToVector(m.parameters()), f.vec, "vector");
  U.vectorToParameters(vals([8], 24), m.parameters());
  checkState(m, f.after, "after vectorToParameters");
  m.call(vals([2, 3], 25))
    .pow(2)
    .sum()
    .backward();
  U.clipGradValue_(m.parameters(), 0.5);
  checkGrads(m, f.clipped, "clipped");
  throwsErr(() => U.vectorToParameters([1.0] as never, m.parameters()), f.bad_vec);
});

test("DataParallel without CUDA devices is the wrapped module's call; F.assertIntOrPair", () => {
  const f = fx.data_parallel;
  torch.manualSeed(5);
  const m = new nn.DataParallel(new nn.Linear(2, 3));
  assert.equal(String(m), f.repr);
  assert.deepEqual(Object.keys(m.stateDict()), f.keys);
  assert.deepEqual(m.device_ids, f.device_ids);
  closeTo(m.call(vals([4, 2], 21)) as Tensor, f.y, "output");
  nn.functional.assertIntOrPair([2, 2], "kernel_size", "{} must be int or pair");
  throwsErr(
    () => nn.functional.assertIntOrPair([1, 2, 3], "kernel_size", "{} must be int or pair"),
    f.bad_pair,
  );
});
