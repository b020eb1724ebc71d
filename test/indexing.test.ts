/**
 * Indexing against PyTorch 1.13 (fixtures from scripts/fixtures/indexing_fx.py): values,
 * shapes, dtypes, gradFn names, gradients and error messages of `x[...]` and `x[...] = v`,
 * plus storage sharing of views, finite-difference gradchecks and double backward.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as torch from "../src/index.js";
import type { IndexArg, Tensor } from "../src/index.js";

type DT = "float32" | "float64" | "int64" | "int32" | "bool";

type ArgDesc =
  | { int: number }
  | { slice: string }
  | { sliceObj: [number | null, number | null, number | null] }
  | { none: true }
  | { ellipsis: true }
  | { bool: boolean }
  | { tensor: (number | boolean)[]; shape: number[]; dtype: DT }
  | { list: IndexArg };

interface Out {
  shape: number[];
  dtype: DT;
  values: (number | boolean)[];
}

type ValuesDesc =
  { number: number } | { tensor: number[]; shape: number[]; dtype: DT; requiresGrad: boolean };

interface IndexCase {
  name: string;
  shape: number[];
  dtype: DT;
  x: number[];
  args: ArgDesc[];
  tuple: boolean;
  out: Out;
  gradFn: string | null;
  w: number[] | null;
  grad: number[] | null;
}

interface PutCase {
  name: string;
  shape: number[];
  dtype: DT;
  x: number[];
  args: ArgDesc[];
  tuple: boolean;
  values: ValuesDesc;
  accumulate: boolean;
  out: Out;
  gradFn: string | null;
  version: number;
  w: number[] | null;
  gradX: number[] | null;
  gradValues: number[] | null;
}

interface ErrorCase {
  name: string;
  op: "index" | "put";
  shape: number[];
  dtype: DT;
  leaf: boolean;
  args: ArgDesc[];
  tuple: boolean;
  values?: ValuesDesc;
  error: { type: "IndexError" | "RuntimeError" | "ValueError" | "TypeError"; message: string };
}

const fx: { index: IndexCase[]; put: PutCase[]; errors: ErrorCase[] } = JSON.parse(
  readFileSync(new URL("./fixtures/indexing.json", import.meta.url), "utf8"),
);

/** A fresh leaf tensor of `shape` from flat values. */
function make(
  flat: (number | boolean)[],
  shape: number[],
  dtype: DT,
  requiresGrad = false,
): Tensor {
  const t = torch.tensor(flat as number[], { dtype }).reshape(shape);
  return torch.tensor(t, { dtype, requiresGrad });
}

function arg(d: ArgDesc): IndexArg {
  if ("int" in d) return d.int;
  if ("slice" in d) return d.slice;
  if ("sliceObj" in d) return torch.slice(...d.sliceObj);
  if ("none" in d) return null;
  if ("ellipsis" in d) return "...";
  if ("bool" in d) return d.bool;
  if ("tensor" in d) return make(d.tensor, d.shape, d.dtype);
  return structuredClone(d.list);
}

function values(d: ValuesDesc): Tensor | number {
  if ("number" in d) return d.number;
  return make(d.tensor, d.shape, d.dtype, d.requiresGrad);
}

function flatOf(t: Tensor): (number | boolean)[] {
  const l = t.tolist();
  return Array.isArray(l)
    ? ((l as unknown[]).flat(Infinity as 1) as (number | boolean)[])
    : [l as number];
}

function assertClose(actual: Tensor, expected: number[], what: string, tol = 1e-12): void {
  const a = flatOf(actual) as number[];
  assert.equal(a.length, expected.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(
      Math.abs(a[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])),
      `${what}[${i}]: ${a[i]} vs ${expected[i]}`,
    );
  }
}

const BASIC = new Set([
  "SelectBackward0",
  "SliceBackward0",
  "UnsqueezeBackward0",
  "AliasBackward0",
]);

for (const c of fx.index) {
  test(`index: ${c.name}`, () => {
    const floating = c.dtype !== "int64";
    const x = make(c.x, c.shape, c.dtype, floating);
    const out = x.index(...c.args.map(arg));
    assert.deepEqual(out.shape, c.out.shape);
    assert.equal(out.dtype.name, c.out.dtype);
    assert.deepEqual(flatOf(out), c.out.values);
    assert.equal(out.gradFn?.name() ?? null, c.gradFn);
    // basic indexing gives views of x's storage, advanced indexing copies
    if (c.gradFn !== null)
      assert.equal(out.typedArray === x.typedArray, BASIC.has(c.gradFn), "view or copy");
    if (c.grad !== null) {
      const w = make(c.w as number[], c.out.shape, "float64");
      const [g] = torch.autograd.grad(out.mul(w).sum(), [x]);
      assertClose(g as Tensor, c.grad, "grad");
    }
  });
}

for (const c of fx.put) {
  test(`indexPut_: ${c.name}`, () => {
    const floating = c.dtype !== "int64";
    const x = make(c.x, c.shape, c.dtype, floating);
    const v = values(c.values);
    const y = floating ? x.mul(1) : x.clone();
    const ret = y.indexPut_(c.args.map(arg), v, c.accumulate);
    assert.equal(ret, y);
    assert.deepEqual(y.shape, c.out.shape);
    assert.equal(y.dtype.name, c.out.dtype);
    assertClose(y, c.out.values as number[], "out", c.dtype === "float32" ? 1e-7 : 0);
    assert.equal(y.gradFn?.name() ?? null, c.gradFn);
    assert.equal(y._versionNumber, c.version);
    if (c.gradX !== null) {
      const w = make(c.w as number[], c.out.shape, "float64");
      const wrt = [x];
      if (c.gradValues !== null) wrt.push(v as Tensor);
      const grads = torch.autograd.grad(y.mul(w).sum(), wrt, { allowUnused: true });
      const zeros = (t: Tensor): Tensor => torch.zerosLike(t);
      assertClose(grads[0] ?? zeros(x), c.gradX, "gradX");
      if (c.gradValues !== null)
        assertClose(grads[1] ?? zeros(v as Tensor), c.gradValues, "gradValues");
    }
  });
}

const ERROR_CLASS = {
  IndexError: torch.IndexError,
  ValueError: torch.ValueError,
  TypeError: torch.TypeError,
  RuntimeError: torch.RuntimeError,
};

for (const c of fx.errors) {
  test(`error: ${c.name}`, () => {
    const numel = c.shape.reduce((a, b) => a * b, 1);
    const x = make(new Array<number>(numel).fill(0.5), c.shape, c.dtype, true);
    const target = c.op === "put" && !c.leaf ? x.mul(1) : x;
    const before = flatOf(target);
    const version = target._versionNumber;
    const gradFn = target.gradFn;
    const run = (): unknown =>
      c.op === "index"
        ? target.index(...c.args.map(arg))
        : target.indexPut_(c.args.map(arg), values(c.values as ValuesDesc));
    assert.throws(run, (e: unknown) => {
      assert.ok(e instanceof ERROR_CLASS[c.error.type], `error class for ${c.error.type}`);
      if (c.error.type === "RuntimeError") {
        assert.ok(!(e instanceof RangeError) && !(e instanceof TypeError), "plain Error");
      }
      assert.equal((e as Error).message, c.error.message);
      return true;
    });
    // a failed call changes nothing
    assert.deepEqual(flatOf(target), before);
    assert.equal(target._versionNumber, version);
    assert.equal(target.gradFn, gradFn);
  });
}

// ---------------------------------------------------------------------------------------------
// Storage sharing

test("basic indexing gives views: writes through them reach the base", () => {
  const base = torch.arange(12, { dtype: torch.float64 }).reshape(3, 4);
  const v = base.index(1, "1:3");
  assert.equal(v._base === base || v._base === base._base, true);
  v.fill_(-1);
  assert.deepEqual(base.tolist(), [
    [0, 1, 2, 3],
    [4, -1, -1, 7],
    [8, 9, 10, 11],
  ]);
  // a view of a view, with a step and a new axis
  const w = base.index("...", null, "::2").index(2);
  w.fill_(5);
  assert.deepEqual(base.index(2).tolist(), [5, 9, 5, 11]);
  // the version counter is shared
  assert.equal(v._versionNumber, base._versionNumber);
});

test("advanced indexing copies: writes to the result leave the base alone", () => {
  const base = torch.arange(6, { dtype: torch.float64 }).reshape(2, 3);
  const c = base.index(":", [0, 2]);
  c.fill_(0);
  assert.deepEqual(base.tolist(), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
});

test("indexPut_ writes into a strided (non-contiguous) tensor", () => {
  const base = torch.zeros(3, 4, { dtype: torch.float64 });
  const t = base.t(); // 4x3 view with strides [1, 4]
  t.indexPut_([[0, 3], "1:"], 7);
  assert.deepEqual(base.tolist(), [
    [0, 0, 0, 0],
    [7, 0, 0, 7],
    [7, 0, 0, 7],
  ]);
});

test("indexPut_ reads values that alias the target before writing", () => {
  const y = torch.arange(4, { dtype: torch.float64 });
  y.indexPut_([[0, 1, 2, 3]], y.index([3, 2, 1, 0]));
  assert.deepEqual(y.tolist(), [3, 2, 1, 0]);
  const z = torch.arange(4, { dtype: torch.float64 });
  z.indexPut_("1:", z.index(":3"));
  assert.deepEqual(z.tolist(), [0, 0, 1, 2]);
});

// ---------------------------------------------------------------------------------------------
// Gradcheck by finite differences (float64)

/** d f / d inputs[i] by central differences; f maps leaf tensors to a scalar tensor. */
function numericGrad(f: (ins: Tensor[]) => Tensor, inputs: Tensor[], i: number): number[] {
  const eps = 1e-6;
  const base = flatOf(inputs[i]) as number[];
  return base.map((_, k) => {
    const at = (delta: number): number => {
      const p = base.slice();
      p[k] += delta;
      // fresh leaves that require grad, since f may differentiate w.r.t. them
      const ins = inputs.map((t, j) =>
        make(j === i ? p : (flatOf(t) as number[]), t.shape, "float64", true),
      );
      return f(ins).item() as number; // with grad enabled: f may itself call autograd.grad
    };
    return (at(eps) - at(-eps)) / (2 * eps);
  });
}

function gradcheck(f: (ins: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const grads = torch.autograd.grad(f(inputs), inputs, { allowUnused: true });
  inputs.forEach((t, i) => {
    const g = grads[i] ?? torch.zerosLike(t);
    assertClose(g, numericGrad(f, inputs, i), `input ${i}`, 1e-6);
  });
}

const rand = (...shape: number[]): Tensor =>
  torch.randn(shape, { dtype: torch.float64 }).requiresGrad_();

test("gradcheck: advanced index with repeats, masks and non-adjacent indices", () => {
  torch.manualSeed(0);
  const x = rand(3, 4, 5);
  const w1 = torch.randn([3, 3, 4], { dtype: torch.float64 });
  gradcheck(
    ([a]) =>
      a
        .index([0, 0, 2], "1:", torch.tensor(2, { dtype: "int64" }))
        .pow(2)
        .mul(w1.index("...", 0))
        .sum(),
    [x],
  );
  gradcheck(([a]) => a.index(a.detach().gt(0)).pow(3).sum(), [x]);
  const w2 = torch.randn([2, 3, 1, 5], { dtype: torch.float64 });
  gradcheck(
    ([a]) =>
      a
        .index(":", [0, 1], null, [1, 1])
        .pow(2)
        .mul(w2.squeeze(2).permute(1, 0, 2).unsqueeze(2))
        .sum(),
    [x],
  );
});

test("gradcheck: indexPut_ w.r.t. self and values (plain, repeated, accumulate, view)", () => {
  torch.manualSeed(1);
  const x = rand(3, 4);
  const v = rand(2, 4);
  const w = torch.randn([3, 4], { dtype: torch.float64 });
  const put =
    (idx: IndexArg[], acc: boolean) =>
    ([a, b]: Tensor[]): Tensor => {
      const y = a.pow(2);
      y.indexPut_(idx, b.pow(3), acc);
      return y.mul(w).sum();
    };
  gradcheck(put([[0, 2]], false), [x, v]);
  // (repeated indices without accumulate are left out: the last write wins, yet PyTorch's
  // formula gives every repeat the gradient; the fixture checks PyTorch's numbers for that)
  gradcheck(put([[1, 1]], true), [x, v]);
  gradcheck(put(["1:"], false), [x, v]);
  const s = rand(4);
  gradcheck(put([":", 2], false), [x, rand(3)]);
  gradcheck(put([x.detach().gt(0)], true), [
    x,
    torch.randn([], { dtype: torch.float64 }).requiresGrad_(),
  ]);
  gradcheck(put([[0, 0, 2]], true), [x, s]);
});

// ---------------------------------------------------------------------------------------------
// Double backward

test("double backward through index (IndexBackward0 -> IndexPutBackward0)", () => {
  torch.manualSeed(2);
  const x = rand(3, 4);
  const w = torch.randn([3, 3], { dtype: torch.float64 });
  const u = torch.randn([3, 4], { dtype: torch.float64 });
  const out = x.index([0, 0, 2], "1:");
  const [g] = torch.autograd.grad(out.pow(2).mul(w).sum(), [x], { createGraph: true });
  // x[[0, 0, 2]] alone: the first derivative is built by IndexPutBackward0's forward (index_put)
  const [g0] = torch.autograd.grad(x.index([0, 0, 2]).pow(2).sum(), [x], { createGraph: true });
  assert.equal(g0!.gradFn?.name(), "IndexPutBackward0");
  const [gg] = torch.autograd.grad(g!.mul(u).sum(), [x]);
  // L = sum_k w_k x[i_k]^2, so d/dx (sum u * dL/dx) = 2 * u * (w summed into the indexed positions)
  const acc = torch.zeros(3, 4, { dtype: torch.float64 });
  acc.indexPut_([[0, 0, 2], "1:"], w, true);
  assertClose(gg!, flatOf(acc.mul(u).mul(2)) as number[], "second derivative");
  // and by finite differences of the first derivative
  gradcheck(
    ([a]) => {
      const [ga] = torch.autograd.grad(a.index([0, 0, 2], "1:").pow(2).mul(w).sum(), [a], {
        createGraph: true,
      });
      return ga!.mul(u).sum();
    },
    [x],
  );
});

test("double backward through indexPut_ w.r.t. values", () => {
  torch.manualSeed(3);
  const x = rand(3, 4);
  const v = rand(2);
  const u = torch.randn([2], { dtype: torch.float64 });
  const f = ([a, b]: Tensor[]): Tensor => {
    const y = a.mul(1);
    y.indexPut_(
      [
        [0, 2],
        [1, 1],
      ],
      b.pow(3),
    );
    const [gb] = torch.autograd.grad(y.pow(2).sum(), [b], { createGraph: true });
    return gb!.mul(u).sum();
  };
  gradcheck(f, [x, v]);
});

// ---------------------------------------------------------------------------------------------
// Argument forms and deliberate differences from PyTorch 1.13

test("string slices, torch.slice objects and arrays index alike", () => {
  const x = torch.arange(24, { dtype: torch.float64 }).reshape(2, 3, 4);
  const same = (a: Tensor, b: Tensor): void => assert.deepEqual(a.tolist(), b.tolist());
  same(
    x.index(":", "1:", "::2"),
    x.index(torch.slice(), torch.slice(1), torch.slice(null, null, 2)),
  );
  same(x.index(" 1 : -1 : 2 "), x.index(torch.slice(1, -1, 2)));
  same(x.index("::"), x);
  same(x.index([1, 0]), x.index(torch.tensor([1, 0], { dtype: "int64" })));
  same(x.index([true, false]), x.index(torch.tensor([true, false])));
  same(x.index([0, true]), x.index([0, 1])); // mixed: integers, as Python's [0, True]
  same(torch.index(x, 1, "...", 2), x.index(1, "...", 2));
});

test("int32 index tensors index like int64 (PyTorch >= 2.0; 1.13 rejects them)", () => {
  const x = torch.arange(12, { dtype: torch.float64 }).reshape(3, 4);
  const i32 = torch.tensor([2, 0, -1], { dtype: "int32" });
  const i64 = torch.tensor([2, 0, -1], { dtype: "int64" });
  assert.deepEqual(x.index(":", i32).tolist(), x.index(":", i64).tolist());
  assert.deepEqual(x.index(torch.tensor(1, { dtype: "int32" })).tolist(), [4, 5, 6, 7]);
  const y = torch.zeros(3, { dtype: torch.float64 });
  y.indexPut_([i32], 1);
  assert.deepEqual(y.tolist(), [1, 0, 1]);
});

test("indexPut_ casts tensor values to self's dtype (PyTorch 1.13 raises for index tensors)", () => {
  const y = torch.zeros(3, { dtype: torch.int64 });
  y.indexPut_([[0, 2]], torch.tensor([1.7, -2.7], { dtype: "float64" }));
  assert.deepEqual(y.tolist(), [1, 0, -2]);
  const b = torch.zeros(3, { dtype: torch.bool });
  b.indexPut_([[1]], 2.5);
  assert.deepEqual(b.tolist(), [false, true, false]);
});

test("accumulate with basic indices adds in place (IndexPutBackward0)", () => {
  const x = torch.ones(2, 3, { dtype: torch.float64, requiresGrad: true });
  const y = x.mul(1);
  const v = torch.tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
  y.indexPut_([1], v, true);
  assert.deepEqual(y.tolist(), [
    [1, 1, 1],
    [2, 3, 4],
  ]);
  assert.equal(y.gradFn?.name(), "IndexPutBackward0");
  const [gx, gv] = torch.autograd.grad(y.sum(), [x, v]);
  assert.deepEqual(gx!.tolist(), [
    [1, 1, 1],
    [1, 1, 1],
  ]);
  assert.deepEqual(gv!.tolist(), [1, 1, 1]);
});

test("bad index arguments get clear errors", () => {
  const x = torch.zeros(3, 4);
  const msg = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return `${(e as Error).name}: ${(e as Error).message}`;
    }
    return "no error";
  };
  // PyTorch 1.13 accepts several Ellipses with odd results; we raise NumPy's error
  assert.equal(
    msg(() => x.index("...", "...")),
    "IndexError: an index can only have a single ellipsis ('...')",
  );
  for (const bad of ["1:x", "abc", "1", "1:2:3:4", "1.5:"]) {
    assert.match(
      msg(() => x.index(bad)),
      /^TypeError: invalid index string ".*": expected "\.\.\." or a slice/,
    );
  }
  assert.equal(
    msg(() => x.index(1.5)),
    "IndexError: only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got float)",
  );
  assert.equal(
    msg(() => x.index(undefined as unknown as IndexArg)),
    "IndexError: only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got undefined)",
  );
  assert.equal(
    msg(() => x.index(torch.slice(0.5))),
    "TypeError: slice indices must be integers or None or have an __index__ method",
  );
  assert.equal(
    msg(() => x.index([[0, 1], [2]])),
    "ValueError: expected sequence of length 2 at dim 1 (got 1)",
  );
  assert.equal(
    msg(() => x.index([0.5])),
    "IndexError: index arrays must hold integers or booleans (got 0.5)",
  );
  assert.equal(
    msg(() => x.indexPut_([0], "a" as unknown as number)),
    "TypeError: can't assign a str to a torch.FloatTensor",
  );
});

test("indexPut_ under noGrad on a leaf that requires grad is allowed and records nothing", () => {
  const x = torch.zeros(3, { requiresGrad: true });
  torch.noGrad(() => x.indexPut_([[0]], 2));
  assert.deepEqual(x.tolist(), [2, 0, 0]);
  assert.equal(x.gradFn, null);
  assert.equal(x._versionNumber, 1);
});

test("saved index results are checked against later in-place changes", () => {
  const x = torch.ones(3, { dtype: torch.float64, requiresGrad: true });
  const y = x.mul(1);
  const z = y.index([0, 1]).pow(2); // PowBackward0 saves the index result
  const t = y.index([0, 1]);
  t.indexPut_([0], 5); // t is a copy: z is unaffected
  z.sum().backward();
  assert.deepEqual(x.grad!.tolist(), [2, 2, 0]);
});
