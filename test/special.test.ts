/**
 * torch.special against PyTorch 1.13 at edge values (test/fixtures/special.json, written by
 * scripts/fixtures/special_fx.py): signed zeros, domain ends, both tails, the kernels' switch
 * points, large arguments, infinities and NaN in float32 and float64, integer and bool inputs
 * (promoted), the polynomials over a grid of x and degree n; values, dtypes, grad_fn names,
 * gradients of sum(out) and PyTorch's errors (zeta's missing derivative, argument errors).
 *
 * Tolerances: float64 |a - e| <= 1e-12 * max(|e|, tiny) relative (PyTorch's algorithms, the
 * same operations in double) except where noted; float32 2 ulps relative or 1e-6 absolute
 * near a function's zeros (PyTorch computes float32 in float, tensorgrad in double rounded
 * once); gradients 1e-10 relative.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/index.js";
import { Tensor } from "../src/index.js";
import {
  DTYPES,
  decodeNumber,
  readFixture,
  type Err,
  type FlatRec,
  type NonFinite,
} from "./helpers/fixtures.js";

interface TRec extends FlatRec {
  requires_grad?: boolean;
  grad_fn?: string | null;
}
type Arg =
  TRec | { num: number | NonFinite } | { list: number[] } | { bool: boolean } | { dtype: string };
interface Case {
  name: string;
  fn: string;
  args: Arg[];
  kwargs: Record<string, number | NonFinite>;
  out: TRec | { error: Err };
  grads: (TRec | null)[] | { error: Err } | null;
}

const { cases } = readFixture<{ cases: Case[] }>("special.json");

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function makeArg(a: Arg): unknown {
  if ("num" in a) return decodeNumber(a.num);
  if ("list" in a) return a.list;
  if ("bool" in a) return a.bool;
  if ("dtype" in a && !("shape" in a)) return DTYPES[a.dtype];
  const r = a as TRec;
  const values = (r.values as (number | boolean | NonFinite)[]).map((v) =>
    typeof v === "boolean" ? v : decodeNumber(v),
  );
  const t = torch.tensor(values, { dtype: DTYPES[r.dtype] }).reshape(r.shape);
  return r.requires_grad ? t.requiresGrad_() : t;
}

const special = torch.special as unknown as Record<string, (...a: unknown[]) => Tensor>;

/** |a - e| within tolerance for the dtype (see the file comment). */
function close(a: number, e: number, dtype: string, grad: boolean): boolean {
  if (Number.isNaN(e)) return Number.isNaN(a);
  if (!Number.isFinite(e)) return a === e;
  if (a === e) return true;
  const err = Math.abs(a - e);
  if (grad) return err <= 1e-10 * Math.max(Math.abs(e), 1e-300);
  if (dtype === "float32") return err <= 2.4e-7 * Math.abs(e) || err <= 1e-6;
  return err <= 1e-12 * Math.abs(e) || err <= 1e-12;
}

function checkTensor(t: Tensor, r: TRec, what: string, grad = false): void {
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  if (!grad) {
    assert.equal(t.requiresGrad, r.requires_grad, `${what}: requiresGrad`);
    assert.equal(t.gradFn?.name() ?? null, r.grad_fn ?? null, `${what}: grad_fn`);
  }
  const got = (t.detach().reshape(-1).tolist() as (number | boolean)[]).map(Number);
  const want = (r.values as (number | boolean | NonFinite)[]).map((v) =>
    typeof v === "boolean" ? Number(v) : decodeNumber(v),
  );
  const bad = want.findIndex((e, i) => !close(got[i], e, r.dtype, grad));
  assert.ok(bad < 0, `${what}: at ${bad}: ${got[bad]} vs PyTorch's ${want[bad]}`);
}

function expectError(f: () => unknown, e: Err): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof Error, "an Error");
    const cls = (torch as unknown as Record<string, unknown>)[e.type];
    assert.ok(typeof cls === "function" && err instanceof cls, `${e.type}, got ${err.name}`);
    assert.equal(err.message, e.message);
    return true;
  });
}

for (const c of cases) {
  test(`torch.special.${camel(c.fn)}: ${c.name}`, () => {
    const args = c.args.map(makeArg);
    const opts = Object.keys(c.kwargs).length > 0 ? [c.kwargs] : [];
    const call = (): Tensor => special[camel(c.fn)](...args, ...opts);
    if ("error" in c.out) return expectError(call, c.out.error);
    const out = call();
    checkTensor(out, c.out, "result");
    if (c.grads === null) return;
    const wrt = args.filter((a): a is Tensor => a instanceof Tensor && a.requiresGrad);
    if ("error" in c.grads) {
      const e = c.grads.error;
      return expectError(() => torch.autograd.grad(out.sum(), wrt, { allowUnused: true }), e);
    }
    const grads = torch.autograd.grad(out.sum(), wrt, { allowUnused: true });
    c.grads.forEach((g, i) => {
      if (g === null) assert.equal(grads[i], null, `grad ${i}: None`);
      else checkTensor(grads[i]!, g, `grad ${i}`, true);
    });
  });
}

test("torch.special: every function of PyTorch 1.13's torch.special exists", () => {
  const names = new Set(cases.map((c) => camel(c.fn)));
  for (const n of names) assert.equal(typeof special[n], "function", n);
  assert.ok(names.size >= 50, `${names.size} functions in the fixture`);
});

/**
 * Forward mode: for an elementwise function of one input, the tangent of f at x along ones is
 * f'(x), which is PyTorch's gradient of sum(f(x)) recorded in the fixture (the JVP rules are
 * derivatives.yaml's `result:` formulas, checked here against PyTorch's backward).
 */
const fw = torch.autograd.forwardAd;
for (const c of cases) {
  if (!c.name.endsWith(" grad") || c.args.length !== 1 || c.grads === null) continue;
  if ("error" in c.grads || c.grads[0] === null) continue;
  const want = c.grads[0];
  test(`torch.special.${camel(c.fn)}: forward mode (${c.name})`, () => {
    const x = (makeArg(c.args[0]) as Tensor).detach();
    const tangent = fw.dualLevel(() => {
      const y = special[camel(c.fn)](fw.makeDual(x, torch.onesLike(x)));
      return fw.unpackDual(y).tangent;
    });
    assert.ok(tangent instanceof Tensor, "a tangent");
    checkTensor(tangent, { ...want, requires_grad: false, grad_fn: null }, "tangent", true);
  });
}

test("torch.special.zeta: no forward mode, as PyTorch 1.13", () => {
  const x = torch.tensor([2.0, 3.0], { dtype: torch.float64 });
  assert.throws(
    () => fw.dualLevel(() => special.zeta(fw.makeDual(x, torch.onesLike(x)), x)),
    (e: unknown) =>
      e instanceof torch.NotImplementedError &&
      e.message.startsWith("Trying to use forward AD with special_zeta that does not support it"),
  );
});
