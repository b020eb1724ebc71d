/**
 * The op registry and its argument binder against PyTorch 1.13's Python argument parser
 * (test/fixtures/binder.json, made by scripts/fixtures/binder_fx.py): every registered op's
 * overload listing in each call form, and calls in positional and keyword forms (results or
 * PyTorch's exact errors, leaving the inputs unchanged). Also: the generated declarations and
 * docs are up to date, and schema parsing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { builtFunction, registeredOps } from "../src/registry/define.js";
import { parseSchema } from "../src/registry/schema.js";
import { bindCall, bindPython, makeSignature } from "../src/registry/binder.js";
import { readFixture, decodeNumber, type NonFinite } from "./helpers/fixtures.js";

interface Fx {
  signatures: {
    jsName: string;
    namespace: string;
    form: "function" | "method" | "inplace" | "inplaceFunction";
    message: string | null;
  }[];
  /** registered torch op (JS name) -> whether PyTorch has `torch.<name>_` */
  inplaceFunctions: Record<string, boolean>;
  cases: {
    name: string;
    py: string;
    js: string;
    error?: { type: string; message: string };
    value?: TensorValue | TensorValue[] | number | boolean;
  }[];
}
interface TensorValue {
  shape: number[];
  dtype: string;
  values: (number | NonFinite)[];
}
const fx = readFixture<Fx>("binder.json");

const env = (): { x: Tensor; i: Tensor; b: Tensor } => ({
  x: torch.arange(6, { dtype: torch.float32 }).reshape(2, 3),
  i: torch.tensor([0, 1, 2], { dtype: torch.int64 }),
  b: torch.tensor([true, false]),
});

function evalJs(js: string, e: ReturnType<typeof env>): unknown {
  return new Function("torch", "x", "i", "b", `return ${js};`)(torch, e.x, e.i, e.b);
}

const S = "'s'";
for (const s of fx.signatures) {
  test(`signatures: ${s.form} ${s.jsName}`, () => {
    const e = env();
    const call =
      s.form === "function"
        ? `torch.${s.namespace === "torch" ? "" : `${s.namespace}.`}${s.jsName}(x, ${Array(9).fill(S).join(", ")})`
        : s.form === "method"
          ? `x.${s.jsName}(${Array(9).fill(S).join(", ")})`
          : s.form === "inplace"
            ? `x.clone().${s.jsName}_(${Array(9).fill(S).join(", ")})`
            : `torch.${s.jsName}_(x.clone(), ${Array(9).fill(S).join(", ")})`;
    assert.throws(
      () => evalJs(call, e),
      (err: unknown) => {
        assert.ok(err instanceof torch.TypeError, String(err));
        assert.equal((err as Error).message, s.message);
        return true;
      },
    );
  });
}

// torch.x_ functions: exactly PyTorch's, for every registered torch op (inplace-functions.ts)
test("torch.x_ functions: the registered ops that PyTorch has as torch.x_ and no others", () => {
  const fns = torch as unknown as Record<string, unknown>;
  const wrong = Object.entries(fx.inplaceFunctions)
    .filter(([jsName, has]) => (typeof fns[`${jsName}_`] === "function") !== has)
    .map(([jsName, has]) => `${jsName}_ (PyTorch ${has ? "has" : "lacks"} it)`);
  assert.deepEqual(wrong, []);
});

// their values are checked against PyTorch by the binder cases (binder_cases/inplace_functions.py)
test("torch.x_ functions change their first argument as the out-of-place op computes, and return it", () => {
  const x = torch.tensor([-1.5, 2]);
  const abs = x.abs();
  assert.equal(torch.abs_(x), x);
  assert.deepEqual(x.tolist(), abs.tolist());
  const y = torch.tensor([1, 5, 9], { dtype: torch.float32 });
  const clamped = y.clamp(2, 6);
  assert.equal(torch.clamp_(y, { min: 2, max: 6 }), y);
  assert.deepEqual(y.tolist(), clamped.tolist());
});

for (const c of fx.cases) {
  test(`call: ${c.name}: ${c.js}`, () => {
    const e = env();
    const before = [e.x, e.i, e.b].map((t) => t.tolist());
    if (c.error !== undefined) {
      const err = c.error;
      assert.throws(
        () => evalJs(c.js, e),
        (thrown: unknown) => {
          const ctor = (torch as unknown as Record<string, new () => Error>)[err.type];
          assert.ok(thrown instanceof ctor, `${String(thrown)} is not a ${err.type}`);
          assert.equal((thrown as Error).message, err.message);
          return true;
        },
      );
      assert.deepEqual(
        [e.x, e.i, e.b].map((t) => t.tolist()),
        before,
        "a failed call changes nothing",
      );
      return;
    }
    const got = evalJs(c.js, e);
    const want = c.value;
    const same = (t: unknown, w: TensorValue): void => {
      assert.ok(t instanceof torch.Tensor);
      assert.deepEqual(t.shape, w.shape);
      assert.equal(t.dtype.name, w.dtype);
      const flat = t.reshape(-1).tolist() as number[];
      w.values.forEach((v, k) => {
        const x = decodeNumber(v);
        assert.ok(
          Math.abs(flat[k] - x) <= 1e-6 * (1 + Math.abs(x)),
          `value ${k}: ${flat[k]} vs ${x}`,
        );
      });
    };
    if (Array.isArray(want)) {
      // a tuple of tensors: an array (split, chunk) or a named tuple whose fields are also
      // at 0, 1, ... (`{ values, indices }`)
      const list = Array.isArray(got)
        ? (got as unknown[])
        : Array.from({ length: want.length }, (_w, k) => (got as Record<number, unknown>)[k]);
      assert.equal(list.length, want.length);
      if (!Array.isArray(got))
        assert.equal((got as Record<number, unknown>)[want.length], undefined);
      want.forEach((w, k) => same(list[k], w));
    } else if (want !== null && typeof want === "object") same(got, want);
    else assert.equal(got, want);
  });
}

test("every registered op has a doc line, an example and parseable verbatim schemas", () => {
  for (const op of registeredOps()) {
    assert.ok(op.doc.length > 0, op.jsName);
    assert.ok(op.example !== undefined, `${op.jsName} has no example`);
    for (const s of op.schemas) assert.equal(parseSchema(s.text).text, s.text);
  }
});

test("schema parsing: types, defaults, keyword-only and alias annotations", () => {
  const s = parseSchema(
    "sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
  );
  assert.equal(s.name, "sum");
  assert.equal(s.overload, "dim_IntList");
  assert.deepEqual(
    s.params.map((p) => [p.name, p.base, p.list, p.listSize, p.optional, p.keywordOnly, p.default]),
    [
      ["self", "Tensor", false, 0, false, false, undefined],
      ["dim", "int", true, 1, true, false, undefined],
      ["keepdim", "bool", false, 0, false, false, false],
      ["dtype", "ScalarType", false, 0, true, true, null],
    ],
  );
  const m = parseSchema(
    "max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
  );
  assert.deepEqual(m.returns, [
    { type: "Tensor", name: "values" },
    { type: "Tensor", name: "indices" },
  ]);
  const inplace = parseSchema("atan2_(Tensor(a!) self, Tensor other) -> Tensor(a!)");
  assert.ok(inplace.params[0].mutable);
});

test("the generated declarations and docs are up to date (npm run gen)", () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/gen-api.ts", "--check"], {
    cwd: root,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
});

test("python: true binds as CPython binds a def (Note [Python functions]), builtins as the parser", () => {
  const schema = parseSchema(
    "loss(Tensor input, Tensor target, bool? size_average=None, str reduction='mean') -> Tensor",
  );
  const sig = makeSignature(
    { schema, forward: () => null, numbersAsTensors: false, hasOut: false },
    false,
  );
  const x = torch.zeros(1);
  const message = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof torch.TypeError);
      return (e as Error).message;
    }
    throw new Error("no error");
  };
  const py = (...args: unknown[]) => bindPython("loss", "inner", sig, args);
  const parser = (...args: unknown[]) => bindCall("loss", [sig], undefined, args);
  // missing arguments: CPython quotes with ' and pluralises; the parser's plural is inverted
  assert.equal(
    message(() => py()),
    "loss() missing 2 required positional arguments: 'input' and 'target'",
  );
  assert.equal(
    message(() => py(x)),
    "loss() missing 1 required positional argument: 'target'",
  );
  assert.equal(
    message(() => parser(x)),
    'loss() missing 1 required positional arguments: "target"',
  );
  assert.equal(
    message(() => py(x, x, null, "mean", 1)),
    "loss() takes from 2 to 4 positional arguments but 5 were given",
  );
  // keywords are checked before the count, in the order given
  assert.equal(
    message(() => py(x, x, null, "mean", 1, { foo: 1 })),
    "loss() got an unexpected keyword argument 'foo'",
  );
  assert.equal(
    message(() => py(x, x, { reduction: "sum", input: x })),
    "loss() got multiple values for argument 'input'",
  );
  // a wrong type is the called builtin's positional message, also when given by name
  assert.equal(
    message(() => py(x, x, { reduction: 1 })),
    "inner(): argument 'reduction' (position 4) must be str, not int",
  );
  const b = py(x, { target: x, sizeAverage: false });
  assert.deepEqual(b.values.slice(2), [false, "mean"]);
});

test("int lists: a scalar default is a list, and None means the default [] (PyTorch's parser)", () => {
  const schema = parseSchema(
    "pool(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0) -> Tensor",
  );
  const sig = makeSignature(
    { schema, forward: () => null, numbersAsTensors: false, hasOut: false },
    false,
  );
  const x = torch.zeros(1);
  assert.deepEqual(bindCall("pool", [sig], undefined, [x, 3]).values.slice(1), [
    [3, 3],
    [],
    [0, 0],
  ]);
  assert.deepEqual(bindCall("pool", [sig], undefined, [x, [1, 2], null]).values[2], []);
  assert.throws(
    () => bindCall("pool", [sig], undefined, [x, 2, 1, null]),
    /pool\(\): argument 'padding' \(position 4\) must be tuple of ints, not NoneType/,
  );
});

test("F.max_pool2d's CPython messages name the function its return_indices flag chooses", () => {
  const x = torch.zeros(1, 2, 2);
  const F = torch.nn.functional as unknown as Record<string, (...a: unknown[]) => unknown>;
  assert.throws(
    () => F.maxPool2d(x, 2, { foo: 1 }),
    /^TypeError: _max_pool2d\(\) got an unexpected/,
  );
  assert.throws(
    () => F.maxPool2d(x, 2, 2, 0, 1, false, true, { foo: 1 }),
    /^TypeError: max_pool2d_with_indices\(\) got an unexpected/,
  );
  assert.throws(
    () => F.maxPool2d(x, 2, { returnIndices: true, foo: 1 }),
    /^TypeError: max_pool2d_with_indices\(\) got an unexpected/,
  );
});

test("factory signatures: out before the tensor options, requires_grad appended and applied", () => {
  const zeros = registeredOps().find((o) => o.jsName === "zeros");
  assert.ok(zeros !== undefined);
  // PyTorch's own listing of these is checked by the signature fixtures; here the mechanics
  const sig = zeros.functionSigs[1];
  assert.equal(
    sig.display,
    "(tuple of SymInts size, *, Tensor out, torch.dtype dtype, torch.layout layout, torch.device device, bool pin_memory, bool requires_grad)",
  );
  assert.equal(sig.arity, sig.schema.params.length + 1);
  const t = torch.zeros(2, 3, { requiresGrad: true });
  assert.ok(t.requiresGrad && t.isLeaf);
  assert.equal(torch.zeros(2, { requiresGrad: false }).requiresGrad, false);
});

test("a Python function with a method (torch.norm, Tensor.norm): CPython's messages counting self; an untyped parameter never takes the options object", () => {
  const x = torch.tensor([3, 4]);
  assert.throws(() => (x.norm as (...a: unknown[]) => Tensor)(1, 2, 3, 4, 5), {
    message: "Tensor.norm() takes from 1 to 5 positional arguments but 6 were given",
  });
  assert.throws(() => (torch.norm as (...a: unknown[]) => Tensor)(), {
    message: "norm() missing 1 required positional argument: 'input'",
  });
  // fast path and general path agree
  assert.equal(x.norm({ p: 1 }).item(), 7);
  assert.equal(x.norm(1).item(), 7);
});

test("an op named by a reserved word (var) is exported and compiled under its name", () => {
  assert.equal(typeof torch.var, "function");
  assert.ok(String(torch.Tensor.prototype.var).startsWith("function op("));
  assert.equal(torch.var(torch.tensor([1, 2, 3, 4]), null, { correction: 0 }).item(), 1.25);
});

// Note [named overloads]: what PyTorch does with names on an unnamed tensor is in the binder
// fixture; a call that would create named dims works in PyTorch and is refused here
test("calls that would create named dims raise NotImplementedError", () => {
  const x = torch.ones(2, 3);
  const named: [string, () => unknown][] = [
    ["zeros", () => torch.zeros(2, { names: ["a"] } as never)],
    ["full", () => torch.full([2], 1, { names: ["a"] } as never)],
    ["flatten", () => (x.flatten as (...a: unknown[]) => unknown)(0, 1, "c")],
  ];
  for (const [name, f] of named)
    assert.throws(f, (e: Error) => {
      assert.ok(e instanceof torch.NotImplementedError, `${name}: ${e.message}`);
      assert.equal(
        e.message,
        `${name}: named tensors (dimension names) are not supported by tensorgrad`,
      );
      return true;
    });
  // names=None binds the plain overload
  assert.deepEqual(torch.zeros(2, { names: null } as never).shape, [2]);
});

test("the fast path passes over an overload with a required keyword-only argument (randperm.generator) to the next with the same positional ones", () => {
  // PyTorch lists randperm.generator(int n, *, Generator? generator, ...) first; a positional
  // call binds randperm(int n, ...), which the compiled caller reaches directly
  assert.match(String(builtFunction("randperm")), /case 1: \{\nif \(.*\) return F1\(a0,/);
  torch.manualSeed(3);
  const fast = torch.randperm(6).tolist();
  torch.manualSeed(3);
  // an options object takes the general path: the same overload and numbers
  assert.deepEqual(torch.randperm(6, {}).tolist(), fast);
  // what the general path raises for the passed-over overload is still raised
  assert.throws(() => torch.randperm(2 ** 64), { message: "Overflow when unpacking long" });
});
