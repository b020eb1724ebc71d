/**
 * How module constructors and forward calls bind their arguments (src/nn/ctor-args.ts, the one
 * binder), against PyTorch 1.13 (test/fixtures/ctorargs.json, scripts/fixtures/ctorargs_fx.py):
 * - every torch.nn class: calls built from its __init__ signature (no arguments, one too many,
 *   an unknown keyword, the first argument twice, too few) give PyTorch's TypeError word for
 *   word, or PyTorch's repr when PyTorch accepts them;
 * - constructions by position and by name: repr and state dict under manualSeed(0);
 * - PyTorch's errors for bad values; `m.call({ input: x })` as PyTorch's `m(input=x)`;
 * - Tensor.fill_(0-dim tensor): FillBackward3, its next functions and gradients.
 * Python's keyword arguments are passed camelCased in a trailing options object.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/index.js";
import { Tensor } from "../src/index.js";
import { decodeNumber, readFixture, type Err, type NonFinite } from "./helpers/fixtures.js";

type PyVal = null | boolean | number | string | PyVal[] | { t: number };

interface FlatRec {
  shape: number[];
  dtype: string;
  values: (number | boolean | NonFinite)[];
  requires_grad?: boolean;
}

interface BindingCase {
  cls: string;
  what: string;
  args: PyVal[];
  kwargs: Record<string, PyVal>;
  error?: Err;
  repr?: string;
}

interface ValidCase {
  cls: string;
  args: PyVal[];
  kwargs: Record<string, PyVal>;
  repr: string;
  state: [string, FlatRec][];
}

interface ForwardCase {
  cls: string;
  ctor: PyVal[];
  args: PyVal[];
  kwargs: Record<string, PyVal>;
  out?: FlatRec;
  error?: Err;
}

interface FillCase {
  name: string;
  self_dtype: string;
  value_dtype: string;
  self_grad: boolean;
  value_grad: boolean;
  view: boolean;
  fn: boolean;
  out: FlatRec;
  grad_fn: string | null;
  next: (string | null)[] | null;
  self_grad_value?: FlatRec | null;
  value_grad_value?: FlatRec | null;
}

const fx = readFixture<{
  torch: string;
  binding: BindingCase[];
  valid: ValidCase[];
  errors: (BindingCase & { error: Err })[];
  forward: { tensors: FlatRec[]; cases: ForwardCase[] };
  fill: { cases: FillCase[]; errors: Record<string, Err> };
}>("ctorargs.json");

const DTYPES: Record<string, torch.DType> = {
  float32: torch.float32,
  float64: torch.float64,
  int64: torch.int64,
};

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function makeTensor(r: FlatRec): Tensor {
  const values = r.values.map((v) => (typeof v === "boolean" ? Number(v) : decodeNumber(v)));
  return torch.tensor(values, { dtype: DTYPES[r.dtype] }).reshape(r.shape);
}

const forwardTensors = fx.forward.tensors.map(makeTensor);

function value(v: PyVal): unknown {
  if (Array.isArray(v)) return v.map(value);
  if (v !== null && typeof v === "object") return forwardTensors[v.t];
  return v;
}

/** Positional values, then the keyword arguments camelCased in an options object (if any). */
function jsArgs(args: PyVal[], kwargs: Record<string, PyVal>, always = false): unknown[] {
  const out = args.map(value);
  const keys = Object.keys(kwargs);
  if (keys.length > 0 || always)
    out.push(Object.fromEntries(keys.map((k) => [camel(k), value(kwargs[k])])));
  return out;
}

type Ctor = new (...args: unknown[]) => torch.nn.Module;
function classOf(name: string): Ctor | null {
  const c = (torch.nn as unknown as Record<string, unknown>)[name];
  return typeof c === "function" ? (c as Ctor) : null;
}

/** The outcome of `fn` as the fixture records it. */
function outcome(fn: () => torch.nn.Module): { error: Err } | { repr: string } {
  try {
    return { repr: String(fn()) };
  } catch (e) {
    const err = e as Error;
    return { error: { type: err.name, message: err.message } };
  }
}

function checkFlat(t: unknown, r: FlatRec, what: string, rtol = 1e-6): void {
  assert.ok(t instanceof Tensor, `${what}: expected a tensor`);
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  const got = t.detach().contiguous().reshape(-1).tolist() as number[];
  r.values.forEach((v, i) => {
    const want = typeof v === "boolean" ? Number(v) : decodeNumber(v);
    assert.ok(
      Math.abs(Number(got[i]) - want) <= 1e-7 + rtol * Math.abs(want),
      `${what}[${i}]: ${got[i]} vs ${want}`,
    );
  });
}

// ---------------------------------------------------------------------------------------------
// binding, for every class of torch.nn that tensorgrad has

/**
 * Calls that cannot mean the same in both languages, with why: ModuleDict and ParameterDict
 * take a plain object as their mapping (PyTorch's dict), so `{ bogusArg: 1 }` is a mapping
 * here, not keyword arguments.
 */
const AMBIGUOUS: Record<string, string> = {
  "ModuleDict/bogus": "a plain object is ModuleDict's mapping, not keyword arguments",
  "ParameterDict/bogus": "a plain object is ParameterDict's mapping, not keyword arguments",
};

test("binding fixtures: the ambiguous calls named above exist", () => {
  const ids = new Set(fx.binding.map((c) => `${c.cls}/${c.what}`));
  assert.deepEqual(
    Object.keys(AMBIGUOUS).filter((k) => !ids.has(k)),
    [],
  );
});

const byClass = new Map<string, BindingCase[]>();
for (const c of fx.binding) byClass.set(c.cls, [...(byClass.get(c.cls) ?? []), c]);

test("binding fixtures: every torch.nn class of PyTorch is covered and present", () => {
  const missing = [...byClass.keys()].filter((c) => classOf(c) === null);
  assert.deepEqual(missing, []);
});

for (const [cls, cases] of byClass) {
  const C = classOf(cls);
  if (C === null) continue;
  test(`binding: nn.${cls}`, () => {
    for (const c of cases) {
      if (`${c.cls}/${c.what}` in AMBIGUOUS) continue;
      const call = `new nn.${cls}(${jsArgs(c.args, c.kwargs)
        .map((v) => JSON.stringify(v))
        .join(", ")}) [${c.what}]`;
      const got = outcome(() => new C(...jsArgs(c.args, c.kwargs)));
      const want = c.error !== undefined ? { error: c.error } : { repr: c.repr };
      assert.deepEqual(got, want, call);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// valid constructions

test("constructions by position and by name: repr and state dict under manualSeed(0)", () => {
  for (const c of fx.valid) {
    const C = classOf(c.cls)!;
    torch.manualSeed(0);
    const m = new C(...jsArgs(c.args, c.kwargs));
    const what = `nn.${c.cls}(${JSON.stringify(c.args)}, ${JSON.stringify(c.kwargs)})`;
    assert.equal(String(m), c.repr, what);
    const sd = m.stateDict();
    assert.deepEqual(
      Object.keys(sd),
      c.state.map(([k]) => k),
      `${what}: state dict keys`,
    );
    for (const [k, r] of c.state) checkFlat(sd[k], r, `${what}: ${k}`);
  }
});

test("PyTorch's errors for bad constructor values", () => {
  for (const c of fx.errors) {
    const C = classOf(c.cls)!;
    const got = outcome(() => new C(...jsArgs(c.args, c.kwargs)));
    assert.deepEqual(got, { error: c.error }, `nn.${c.cls} ${JSON.stringify(c.kwargs)}`);
  }
});

// ---------------------------------------------------------------------------------------------
// forward keyword arguments

test("m.call({ input: x }) binds forward's parameters by name, as m(input=x)", () => {
  for (const c of fx.forward.cases) {
    const C = classOf(c.cls)!;
    torch.manualSeed(0);
    const m = new C(...jsArgs(c.ctor, {}));
    const what = `nn.${c.cls}.call(${JSON.stringify(c.args)}, ${JSON.stringify(c.kwargs)})`;
    // m(**{}) is m() with an empty options object
    const args = jsArgs(c.args, c.kwargs, c.args.length === 0);
    if (c.error !== undefined) {
      assert.throws(
        () => m.call(...(args as never[])),
        (e: Error) => e.name === c.error!.type && e.message === c.error!.message,
        what,
      );
    } else {
      checkFlat(m.call(...(args as never[])), c.out!, what, 1e-5);
    }
  }
});

test("forward keyword arguments: hooks see the positional arguments only", () => {
  const m = new torch.nn.Linear(3, 2);
  const seen: number[] = [];
  m.registerForwardPreHook((_m, input) => {
    seen.push(input.length);
  });
  const x = torch.ones(1, 3);
  const y = m.call({ input: x } as never);
  assert.deepEqual(seen, [0]);
  assert.deepEqual(y.tolist(), m.call(x).tolist());
});

// ---------------------------------------------------------------------------------------------
// Tensor.fill_(0-dim tensor)

for (const c of fx.fill.cases) {
  test(`fill_ with a tensor value: ${c.name}`, () => {
    const w = (dtype: torch.DType): Tensor =>
      torch
        .tensor(
          Array.from({ length: 6 }, (_, i) => Math.sin(1 + 7 * 5 + 1.3 * i)),
          { dtype },
        )
        .reshape([2, 3]);
    const sd = DTYPES[c.self_dtype];
    const base = torch
      .tensor(
        Array.from({ length: 6 }, (_, i) => Math.sin(1 + 7 * 4 + 1.3 * i)),
        { dtype: sd === torch.int64 ? torch.float32 : sd },
      )
      .to(sd)
      .reshape([2, 3])
      .requiresGrad_(c.self_grad);
    const v = torch.tensor(2.5, { dtype: DTYPES[c.value_dtype] }).requiresGrad_(c.value_grad);
    const a = c.self_grad ? base.clone() : base;
    const target = c.view ? a.select(0, 1) : a;
    if (c.fn) torch.fill_(target, v);
    else target.fill_(v);
    checkFlat(a, c.out, "values");
    assert.equal(a.requiresGrad, c.out.requires_grad, "requiresGrad");
    assert.equal(a.gradFn?.name() ?? null, c.grad_fn, "grad_fn");
    // on a view, tensorgrad's CopySlices writes the op's result into the base (an index_put
    // named CopySlices, Note [CopySlices] in src/ops/inplace.ts), so its next functions are the
    // base's history and the op's node rather than PyTorch's (the op's inputs): the same for
    // every in-place op on a view (mul_ too), so only the name and the gradients are compared
    if (c.next !== null && !c.view)
      assert.deepEqual(
        a.gradFn!.nextFunctions.map(([f]) => f?.name() ?? null),
        c.next,
        "next functions",
      );
    if (a.requiresGrad) {
      a.mul(w(a.dtype)).sum().backward();
      if (c.self_grad_value) checkFlat(base.grad, c.self_grad_value, "self grad");
      if (c.value_grad_value) checkFlat(v.grad, c.value_grad_value, "value grad", 1e-5);
    }
  });
}

test("fill_ with a tensor value: PyTorch's errors, inputs unchanged", () => {
  const t = torch.zeros(3);
  assert.throws(
    () => t.fill_(torch.ones(2)),
    (e: Error) => e.name === "RuntimeError" && e.message === fx.fill.errors["1-dim value"].message,
  );
  assert.deepEqual(t.tolist(), [0, 0, 0]);
  const leaf = torch.zeros(3, { requiresGrad: true });
  assert.throws(
    () => leaf.fill_(torch.tensor(1.0)),
    (e: Error) => e.name === "RuntimeError" && e.message === fx.fill.errors.leaf.message,
  );
  assert.deepEqual(leaf.tolist(), [0, 0, 0]);
  assert.equal(leaf.gradFn, null);
});
