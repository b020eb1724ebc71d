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
import { registeredOps } from "../src/registry/define.js";
import { parseSchema } from "../src/registry/schema.js";
import { readFixture, decodeNumber, type NonFinite } from "./helpers/fixtures.js";

interface Fx {
  signatures: {
    jsName: string;
    namespace: string;
    form: "function" | "method" | "inplace";
    message: string | null;
  }[];
  cases: {
    name: string;
    py: string;
    js: string;
    error?: { type: string; message: string };
    value?: { shape: number[]; dtype: string; values: (number | NonFinite)[] } | number | boolean;
  }[];
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
          : `x.clone().${s.jsName}_(${Array(9).fill(S).join(", ")})`;
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
    if (want !== null && typeof want === "object") {
      const t = got as Tensor;
      assert.ok(t instanceof torch.Tensor);
      assert.deepEqual(t.shape, want.shape);
      assert.equal(t.dtype.name, want.dtype);
      const flat = t.reshape(-1).tolist() as number[];
      want.values.forEach((v, k) => {
        const w = decodeNumber(v);
        assert.ok(
          Math.abs(flat[k] - w) <= 1e-6 * (1 + Math.abs(w)),
          `value ${k}: ${flat[k]} vs ${w}`,
        );
      });
    } else assert.equal(got, want);
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
