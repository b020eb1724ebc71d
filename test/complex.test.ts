/**
 * complex32 / complex64 / complex128 (issue 14) against PyTorch 1.13 (test/fixtures/complex.json,
 * scripts/fixtures/complex_fx.py): values, dtypes, shapes and prints of complex results,
 * promotion, PyTorch's errors for what complex tensors refuse, and the gradients of real
 * losses of complex128 leaves (PyTorch's convention dL/dx + i dL/dy). Each row is a Python
 * expression and its tensorgrad twin.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import { Tensor } from "../src/index.js";
import { resultType } from "../src/dtype.js";
import { decode, readFixture, type Encoded, type Err } from "./helpers/fixtures.js";

interface Expected {
  dtype?: string;
  shape?: number[];
  values?: Encoded[];
  str?: string;
  complex?: [number, number];
  value?: unknown;
}
interface Fixture {
  values: { py: string; js: string; expected: Expected }[];
  errors: { py: string; js: string; error: Err }[];
  grads: { expr: string; loss: number; grads: (Encoded[] | null)[] }[];
}
const fx = readFixture<Fixture>("complex.json");

const C = (re: number | number[] | number[][], im: number | number[] | number[][]) =>
  torch.complex(torch.tensor(re), torch.tensor(im));
const CD = (re: number | number[] | number[][], im: number | number[] | number[][]) =>
  torch.complex(
    torch.tensor(re, { dtype: torch.float64 }),
    torch.tensor(im, { dtype: torch.float64 }),
  );

/** complex32 from float16 parts (Note [complex32]). */
const H = (re: number[], im: number[]) =>
  torch.complex(
    torch.tensor(re, { dtype: torch.float16 }),
    torch.tensor(im, { dtype: torch.float16 }),
  );

const evaluate = (js: string): unknown =>
  // the row's expression with torch and the helpers in scope
  new Function("torch", "C", "CD", "H", "resultType", `return (${js});`)(
    torch,
    C,
    CD,
    H,
    resultType,
  );

/** A tensor's values as the fixture lists them: a complex one's real view, flat. */
function flatValues(t: Tensor): number[] {
  const v = t.dtype.isComplex ? torch.viewAsReal(t.detach()) : t.detach();
  return (v.reshape(-1).tolist() as (number | boolean)[]).map((x) => Number(x));
}

function close(actual: number[], expected: unknown[], what: string, tol = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => {
    const e = expected[i] as number;
    if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${what}[${i}]: ${a} is not NaN`);
    else if (!Number.isFinite(e)) assert.equal(a, e, `${what}[${i}]`);
    else assert.ok(Math.abs(a - e) <= tol * (1 + Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`);
  });
}

for (const row of fx.values) {
  test(`complex value: ${row.py}`, () => {
    const r = evaluate(row.js);
    const e = row.expected;
    if (e.complex !== undefined) {
      const c = r as { re: number; im: number };
      close([c.re, c.im], e.complex, row.js);
    } else if (e.value !== undefined) {
      assert.deepEqual(r, e.value);
    } else if (e.dtype === undefined) {
      assert.equal(String(r), e.str);
    } else {
      assert.ok(r instanceof Tensor, `${row.js} is not a tensor`);
      assert.equal(String(r.dtype), e.dtype);
      assert.deepEqual(r.shape, e.shape);
      close(flatValues(r), (e.values ?? []).map(decode), row.js);
      assert.equal(String(r), e.str);
    }
  });
}

for (const row of fx.errors) {
  test(`complex error: ${row.py}`, () => {
    assert.throws(
      () => evaluate(row.js),
      (err: Error) => {
        assert.equal(err.constructor.name, row.error.type);
        assert.equal(err.message, row.error.message);
        return true;
      },
    );
  });
}

for (const row of fx.grads) {
  test(`complex gradient: ${row.expr}`, () => {
    const a = CD([1, -2], [3, 0.5]).requiresGrad_();
    const b = CD([0.5, 1.5], [-1, 2]).requiresGrad_();
    const loss = new Function("torch", "a", "b", `return ${toJs(row.expr)};`)(
      torch,
      a,
      b,
    ) as Tensor;
    close([loss.item()], [row.loss], `${row.expr}: loss`);
    const grads = torch.autograd.grad([loss], [a, b], { allowUnused: true });
    grads.forEach((g, i) => {
      const e = row.grads[i];
      if (e === null) assert.equal(g, null);
      else close(flatValues(g as Tensor), e.map(decode), `${row.expr}: grad ${i}`);
    });
  });
}

/** The GRADS expressions' JS spelling (they use a small Python subset: + - * / and methods). */
function toJs(expr: string): string {
  const table: Record<string, string> = {
    "(a * 3 + 1).abs().sum()": "a.mul(3).add(1).abs().sum()",
    "(a + b).abs().sum()": "a.add(b).abs().sum()",
    "(a - b.conj()).abs().pow(2).sum()": "a.sub(b.conj()).abs().pow(2).sum()",
    "a.real.sum() + 2 * a.imag.sum()": "a.real.sum().add(a.imag.sum().mul(2))",
    "torch.view_as_real(a * 2).pow(2).sum()": "torch.viewAsReal(a.mul(2)).pow(2).sum()",
    "torch.cat([a, b]).abs().sum()": "torch.cat([a, b]).abs().sum()",
    "a.angle().sum()": "a.angle().sum()",
    "(a / 2).sum().abs()": "a.div(2).sum().abs()",
    "(a * b).abs().sum()": "a.mul(b).abs().sum()",
    "(a / b).abs().sum()": "a.div(b).abs().sum()",
    "a.exp().abs().sum()": "a.exp().abs().sum()",
    "(a.real.to(torch.complex128) * b).abs().sum()":
      "a.real.to(torch.complex128).mul(b).abs().sum()",
    "(a.to(torch.complex64) * 2).abs().sum()": "a.to(torch.complex64).mul(2).abs().sum()",
    "torch.view_as_real(a.unsqueeze(1) @ b.unsqueeze(1).mH).sum()":
      "torch.viewAsReal(a.unsqueeze(1).matmul(b.unsqueeze(1).mH)).sum()",
    "a.sigmoid().real.sum()": "a.sigmoid().real.sum()",
    "(a.unsqueeze(1) @ b.unsqueeze(0)).abs().sum()":
      "a.unsqueeze(1).matmul(b.unsqueeze(0)).abs().sum()",
    "a.pow(b).abs().sum()": "a.pow(b).abs().sum()",
    "a.asin().abs().sum()": "a.asin().abs().sum()",
    "a.acos().real.sum()": "a.acos().real.sum()",
    "a.atan().abs().sum()": "a.atan().abs().sum()",
    "a.asinh().imag.sum()": "a.asinh().imag.sum()",
    "a.acosh().abs().sum()": "a.acosh().abs().sum()",
    "a.atanh().abs().sum()": "a.atanh().abs().sum()",
    "a.cumprod(0).abs().sum()": "a.cumprod(0).abs().sum()",
    "a.prod().abs()": "a.prod().abs()",
    "(torch.stack([a, b], 1).unbind(0)[0] * b).abs().sum()":
      "torch.stack([a, b], 1).unbind(0)[0].mul(b).abs().sum()",
    "(torch.stack([a, b], 1).chunk(2, 0)[1] * a).abs().sum()":
      "torch.stack([a, b], 1).chunk(2, 0)[1].mul(a).abs().sum()",
    "torch.linalg.vector_norm(a * 2, 0) + (b * 3).abs().sum()":
      "torch.linalg.vectorNorm(a.mul(2), 0).add(b.mul(3).abs().sum())",
    "torch.lerp(a, b, 0.3).abs().sum()": "torch.lerp(a, b, 0.3).abs().sum()",
    "torch.cov(torch.stack([a, b])).abs().sum()": "torch.cov(torch.stack([a, b])).abs().sum()",
    "torch.linalg.vecdot(torch.stack([a, b]), b).abs().sum()":
      "torch.linalg.vecdot(torch.stack([a, b]), b).abs().sum()",
    "torch.linalg.inv(torch.stack([a, b])).abs().sum()":
      "torch.linalg.inv(torch.stack([a, b])).abs().sum()",
    "torch.linalg.svdvals(torch.stack([a, b])).sum()":
      "torch.linalg.svdvals(torch.stack([a, b])).sum()",
    "torch.linalg.matrix_norm(torch.stack([a, b]), 'nuc')":
      "torch.linalg.matrixNorm(torch.stack([a, b]), 'nuc')",
  };
  const js = table[expr];
  assert.ok(js !== undefined, `no JS spelling for ${expr}`);
  return js;
}
