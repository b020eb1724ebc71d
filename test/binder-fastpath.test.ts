/**
 * Note [binder fast path]: the compiled callers against the general path, the single source of
 * truth. Each registered op under test is rebuilt with a forward that records what it receives
 * and compiled as the registry compiles it; a call either takes the fast path and binds exactly
 * what bindCall binds (same overload, same values), or reaches the general path (`slow`). The
 * rows say which path each call form must take, so a missing fast form fails as well as a wrong
 * binding; the edge rows (bools, floats, 2**63, nested lists, unknown keys) must reach the
 * general path, which raises PyTorch's error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import { Tensor } from "../src/index.js";
import { getOp } from "../src/registry/define.js";
import {
  bindCall,
  compileCallable,
  makeSignature,
  type Signature,
} from "../src/registry/binder.js";

interface FastCall {
  path: "fast";
  sig: number;
  values: unknown[];
}
interface SlowCall {
  path: "slow";
}

/** The op's call form rebuilt with recording forwards, compiled; and its signatures. */
function harness(
  name: string,
  form: "function" | "method",
): { call: (self: unknown, args: unknown[]) => FastCall | SlowCall; sigs: Signature[] } {
  const op = getOp(name);
  if (op === undefined) throw new Error(`no op ${name}`);
  const orig = form === "function" ? op.functionSigs : op.methodSigs;
  const sigs = orig.map((s, si) =>
    makeSignature(
      {
        schema: s.schema,
        forward: s.listedOnly
          ? null
          : (...values: unknown[]) => ({ path: "fast", sig: si, values }),
        numbersAsTensors: op.numbersAsTensors ?? false,
        hasOut: s.hasOut,
        hidden: s.hidden,
        untyped: s.params.filter((_p, i) => s.untyped[i]).map((p) => p.name),
      },
      form === "method",
    ),
  );
  const compiled = compileCallable(
    orig[0].schema.name,
    sigs,
    form === "method",
    () => ({ path: "slow" }),
    Tensor,
    op.numbersAsTensors ?? false,
  );
  if (compiled === null) throw new Error("new Function refused");
  return {
    call: (self, args) => compiled.apply(self, args) as FastCall | SlowCall,
    sigs,
  };
}

/** What the general path does with the call: the bound overload and values, or its error. */
function general(
  name: string,
  sigs: Signature[],
  self: unknown,
  args: unknown[],
): { sig: number; values: unknown[]; out: unknown } | { error: string } {
  try {
    const b = bindCall(name, sigs, self, args);
    return { sig: sigs.indexOf(b.sig), values: b.values, out: b.out };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const x = torch.arange(6, { dtype: torch.float32 }).reshape(2, 3);
const row = torch.tensor([[1, 2, 3]]);
const y = torch.zeros(2, 3);
const c = torch.tensor([
  [true, false, true],
  [false, true, false],
]);
const { int64, float64 } = torch;

type Row = [self: unknown, args: unknown[], path: "fast" | "slow", what: string];
const ROWS: Record<string, Row[]> = {
  "method view": [
    [x, [3, 2], "fast", "varargs"],
    [x, [-1], "fast", "-1, one int as the list"],
    [x, [6], "fast", "one int"],
    [x, [[3, 2]], "fast", "a list"],
    [x, [[]], "fast", "empty list"],
    [x, [-2, 3], "fast", "negative ints bind (the op refuses)"],
    [x, [2 ** 53, 1], "fast", "a large int within int64"],
    [x, [3, 2, {}], "fast", "empty options"],
    [x, [torch.float32], "fast", "view.dtype, positional"],
    [x, [true, 2], "slow", "a bool"],
    [x, [[true, 2]], "slow", "a bool in the list"],
    [x, [3.5, 2], "slow", "a float"],
    [x, [[3, 2.5]], "slow", "a float in the list"],
    [x, [2 ** 63, 1], "slow", "2**63"],
    [x, [[2 ** 63]], "slow", "2**63 in the list"],
    [x, [-(2 ** 63)], "fast", "-2**63 (int64's minimum, an int64)"],
    [x, [NaN], "slow", "NaN"],
    [x, [[3, [2]]], "slow", "a nested list"],
    [x, [3, undefined, 2], "slow", "undefined in varargs"],
    [x, [[3, 2], undefined], "slow", "a trailing undefined"],
    [x, ["3"], "slow", "a string"],
    [x, [torch.tensor(6)], "slow", "an int tensor (converted by the general path)"],
    [x, [[3, 2], 5], "slow", "a list then an int"],
    [x, [3, 2, { size: [6] }], "slow", "a positional list given again by name"],
    [x, [], "slow", "no argument"],
  ],
  "function reshape": [
    [undefined, [x, [3, 2]], "fast", "a list"],
    [undefined, [x, [-1]], "fast", "-1"],
    [undefined, [x, 3, 2], "slow", "varargs (the function form has self first)"],
    [undefined, [x, { shape: [3, 2] }], "fast", "the list by name"],
    [undefined, [{ input: x, shape: [6] }], "slow", "self by its Python name"],
  ],
  "method reshape": [
    [x, [3, 2], "fast", "varargs"],
    [x, [[3, 2]], "fast", "a list"],
    [x, [{ shape: [3, 2] }], "fast", "the list by name"],
    [x, [{ shape: [3, 2], extra: 1 }], "slow", "an unknown key"],
  ],
  "method expand": [
    [row, [4, -1], "fast", "varargs with -1"],
    [row, [[4, -1]], "fast", "a list"],
    [row, [4, -1, { implicit: true }], "fast", "varargs then a keyword-only bool"],
    [row, [4, -1, { implicit: 1 }], "slow", "an int for a bool"],
    [row, [[4, 3], 5], "slow", "a list then an int"],
    [row, [4, false], "slow", "a bool among varargs"],
  ],
  "method permute": [
    [x, [1, 0], "fast", "varargs"],
    [x, [[1, 0]], "fast", "a list"],
    [x, [[-1, 0]], "fast", "negative dims"],
    [x, [[1.0, 0]], "fast", "1.0 is an int in JavaScript"],
    [x, [[1, 0.5]], "slow", "a float"],
  ],
  "function permute": [
    [undefined, [x, [1, 0]], "fast", "a list"],
    [undefined, [x, 1, 0], "slow", "varargs in the function form"],
  ],
  "method transpose": [
    [x, [0, 1], "fast", "two ints"],
    [x, [0, -1], "fast", "a negative dim"],
    [x, [0, true], "slow", "a bool"],
    [x, [0, 2 ** 63], "slow", "2**63"],
  ],
  "function zeros": [
    [undefined, [2, 3], "fast", "varargs"],
    [undefined, [2, 3, 4, 5, 6, 7, 8], "fast", "seven varargs"],
    [undefined, [[2, 3]], "fast", "a list"],
    [undefined, [2], "fast", "one int"],
    [undefined, [[]], "fast", "empty list"],
    [undefined, [2, 3, { dtype: int64 }], "fast", "varargs then dtype"],
    [undefined, [[2, 3], { dtype: int64, requiresGrad: undefined }], "fast", "undefined option"],
    [undefined, [[2, 3], { requiresGrad: true }], "fast", "requiresGrad"],
    [undefined, [[2, 3], { dtype: null, layout: "strided", device: "cpu" }], "fast", "None"],
    [undefined, [{ size: [2, 3] }], "fast", "the size by name"],
    [undefined, [{ size: 2 }], "slow", "an int by name for the varargs list"],
    [undefined, [2, 3, { pin_memory: false }], "slow", "a snake_case key"],
    [undefined, [2, 3, { names: null }], "slow", "a key of the named overload only"],
    [undefined, [2, 3, { out: y }], "slow", "out"],
    [undefined, [2, 3, { dtype: "float32" }], "slow", "a string for a dtype"],
    [undefined, [2, 3, { requiresGrad: 1 }], "slow", "an int for a bool"],
    [undefined, [2.5], "slow", "a float"],
    [undefined, [true, 3], "slow", "a bool"],
    [undefined, [[2, [3]]], "slow", "a nested list"],
    [undefined, [2 ** 63], "slow", "2**63"],
    [undefined, [], "slow", "no size"],
    [undefined, [2, 3, 4, 5, 6, 7, 8, 9, 10], "slow", "more varargs than compiled"],
  ],
  "method sum": [
    [x, [], "fast", "no argument"],
    [x, [0], "fast", "int[1] from one int"],
    [x, [-1], "fast", "a negative dim"],
    [x, [[0, 1]], "fast", "a list"],
    [x, [[]], "fast", "empty list"],
    [x, [null], "fast", "None for the optional list"],
    [x, [0, true], "fast", "dim, keepdim"],
    [x, [0, { keepdim: true }], "fast", "keepdim by name"],
    [x, [0, { keepdim: undefined }], "fast", "undefined in the options"],
    [x, [0, { dtype: float64 }], "fast", "dtype by name"],
    [x, [0, true, { dtype: float64 }], "fast", "dim, keepdim, then dtype"],
    [x, [{ dtype: int64 }], "fast", "the first overload's dtype"],
    [x, [{}], "fast", "empty options"],
    [x, [{ dim: 0 }], "slow", "dim by name (the first overload refuses the key)"],
    [x, [0, { keepdim: 1 }], "slow", "an int for a bool"],
    [x, [0, { keep_dim: true }], "slow", "an unknown key"],
    [x, [0, { dim: 1 }], "slow", "dim given twice"],
    [x, [0, 1], "slow", "an int for keepdim"],
    [x, [true], "slow", "a bool"],
    [x, [0.5], "slow", "a float"],
    [x, [2 ** 63], "slow", "2**63"],
    [x, [[0, [1]]], "slow", "a nested list"],
    [x, [[0, 1.5]], "slow", "a float in the list"],
    [x, [torch.tensor(0)], "slow", "an int tensor"],
  ],
  "function sum": [
    [undefined, [x, 0], "fast", "int[1] from one int"],
    [undefined, [x, [0, 1], true], "fast", "list, keepdim"],
    [undefined, [x, 0, { keepdim: true }], "fast", "keepdim by name"],
    [undefined, [x, { dim: 0 }], "slow", "dim by name"],
    [undefined, [x, 0, { out: y }], "slow", "out"],
  ],
  "method mean": [
    [x, [1], "fast", "int[1] from one int"],
    [x, [1, { keepdim: true }], "fast", "keepdim by name"],
  ],
  "function full": [
    [undefined, [[2, 3], 1.5], "fast", "a list and a number"],
    [undefined, [[2, 3], 1.5, { dtype: int64 }], "fast", "then dtype"],
    [undefined, [2, 1.5], "slow", "an int for the size"],
  ],
  "function arange": [
    [undefined, [6, { dtype: int64 }], "fast", "end, dtype"],
    [undefined, [1, 6, { dtype: int64 }], "fast", "start, end, dtype"],
    [undefined, [1, 6, 2, { dtype: int64 }], "fast", "start, end, step, dtype"],
    [undefined, [6, { step: 2 }], "slow", "a key of a later overload"],
  ],
  "function cat": [
    [undefined, [[x, y]], "fast", "a tensor list"],
    [undefined, [[x, y], 1], "fast", "a tensor list and a dim"],
    [undefined, [[x, y], { dim: 1 }], "fast", "the dim by name"],
    [undefined, [[]], "fast", "an empty list (the op refuses)"],
    [undefined, [{ tensors: [x], dim: -1 }], "fast", "both by name"],
    [undefined, [[x, 1]], "slow", "a number in the list"],
    [undefined, [[x, null]], "slow", "None in the list"],
    [undefined, [[x, [y]]], "slow", "a nested list"],
    [undefined, [x, 0], "slow", "a tensor for the list"],
    [undefined, [[x, y], "a"], "slow", "a name (the named overload)"],
  ],
  "function stack": [
    [undefined, [[x, y]], "fast", "a tensor list"],
    [undefined, [[x, y], true], "slow", "a bool for the dim"],
  ],
  "function where": [
    [undefined, [c, x, y], "fast", "three tensors"],
    [undefined, [c, 1, y], "fast", "a Scalar self"],
    [undefined, [c, x, 0], "fast", "a Scalar other"],
    [undefined, [c], "fast", "the condition alone"],
    [undefined, [c, x], "slow", "two arguments"],
    [undefined, [c, x, y, { out: y }], "slow", "out"],
  ],
};

for (const [key, rows] of Object.entries(ROWS)) {
  const [form, name] = key.split(" ") as ["function" | "method", string];
  test(`binder fast path: ${key} binds as the general path does`, () => {
    const { call, sigs } = harness(name, form);
    for (const [self, args, path, what] of rows) {
      const label = `${name}: ${what}`;
      const r = call(self, args);
      const g = general(sigs[0].schema.name, sigs, self, args);
      assert.equal(r.path, path, `${label}: path`);
      if (r.path === "fast") {
        assert.ok(!("error" in g), `${label}: the fast path bound a call the general path refuses`);
        assert.equal(r.sig, g.sig, `${label}: overload`);
        assert.deepEqual(r.values, g.values, `${label}: values`);
        assert.equal(g.out, undefined, `${label}: out`);
      }
    }
  });
}

test("binder fast path: a bound int list is a copy the caller's array does not alias", () => {
  const { call } = harness("view", "method");
  const size = [3, 2];
  const r = call(x, [size]) as FastCall;
  assert.equal(r.path, "fast");
  assert.notEqual(r.values[1], size);
  assert.deepEqual(r.values[1], size);
});

test("binder fast path: the registry's ops give the general path's results and errors", () => {
  const same = (fast: () => unknown, slow: () => unknown): void => {
    let a: unknown, b: unknown;
    try {
      a = fast();
    } catch (e) {
      a = `${(e as Error).name}: ${(e as Error).message}`;
    }
    try {
      b = slow();
    } catch (e) {
      b = `${(e as Error).name}: ${(e as Error).message}`;
    }
    if (a instanceof Tensor && b instanceof Tensor) {
      assert.deepEqual(a.shape, b.shape);
      assert.equal(a.dtype, b.dtype);
      assert.equal(a.requiresGrad, b.requiresGrad);
      assert.deepEqual(a.tolist(), b.tolist());
    } else assert.deepEqual(a, b);
  };
  // the general path, forced: bindCall, then the bound overload's forward
  const viaGeneral = (
    name: string,
    form: "function" | "method",
    self: unknown,
    args: unknown[],
  ) => {
    const op = getOp(name)!;
    const sigs = form === "function" ? op.functionSigs : op.methodSigs;
    const b = bindCall(sigs[0].schema.name, sigs, self, args);
    return b.sig.forward(...b.values);
  };
  same(
    () => x.view(3, 2),
    () => viaGeneral("view", "method", x, [3, 2]),
  );
  same(
    () => x.view(-2, 3),
    () => viaGeneral("view", "method", x, [-2, 3]),
  );
  same(
    () => x.view(4, -1),
    () => viaGeneral("view", "method", x, [4, -1]),
  );
  same(
    () => x.reshape([3, -1]),
    () => viaGeneral("reshape", "method", x, [[3, -1]]),
  );
  same(
    () => row.expand(4, -1),
    () => viaGeneral("expand", "method", row, [4, -1]),
  );
  same(
    () => x.permute(1, 0),
    () => viaGeneral("permute", "method", x, [1, 0]),
  );
  same(
    () => x.permute([0, 0]),
    () => viaGeneral("permute", "method", x, [[0, 0]]),
  );
  same(
    () => x.sum(0, { keepdim: true }),
    () => viaGeneral("sum", "method", x, [0, { keepdim: true }]),
  );
  same(
    () => x.sum([]),
    () => viaGeneral("sum", "method", x, [[]]),
  );
  same(
    () => x.sum(5),
    () => viaGeneral("sum", "method", x, [5]),
  );
  same(
    () => torch.zeros(2, 3, { dtype: int64 }),
    () => viaGeneral("zeros", "function", undefined, [2, 3, { dtype: int64 }]),
  );
  same(
    () => torch.zeros([2], { dtype: int64, requiresGrad: true }),
    () => viaGeneral("zeros", "function", undefined, [[2], { dtype: int64, requiresGrad: true }]),
  );
  same(
    () => torch.zeros(2, { requiresGrad: true }),
    () => viaGeneral("zeros", "function", undefined, [2, { requiresGrad: true }]),
  );
  same(
    () => torch.where(c, x, y),
    () => viaGeneral("where", "function", undefined, [c, x, y]),
  );
  same(
    () => torch.cat([x, y], 1),
    () => viaGeneral("cat", "function", undefined, [[x, y], 1]),
  );
  same(
    () => torch.cat([x, row]),
    () => viaGeneral("cat", "function", undefined, [[x, row]]),
  );
});
