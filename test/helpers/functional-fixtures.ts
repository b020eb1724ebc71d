/**
 * Reading test/fixtures/functional.json (scripts/fixtures/functional_fx.py): tensor records,
 * PyTorch-tuple trees and recorded errors, and comparisons against them.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as torch from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

export type Encoded = number | boolean | "nan" | "inf" | "-inf" | Encoded[];
export interface Rec {
  shape: number[];
  dtype: string;
  values: Encoded;
  requires_grad: boolean;
  grad_fn: string | null;
}
export type Tree = { t: Rec } | { tuple: Tree[] } | { dict: Record<string, Tree> } | null;
export interface Err {
  type: string;
  message: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- sections are read by name
export const FX: any = JSON.parse(
  readFileSync(new URL("../fixtures/functional.json", import.meta.url), "utf8"),
);

export function decode(v: Encoded): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return v;
}

/** A float64 tensor with the record's values (requiring grad when `requiresGrad`). */
export function fromRec(r: Rec, requiresGrad = r.requires_grad): Tensor {
  const dtype = r.dtype === "float32" ? torch.float32 : torch.float64;
  return torch.tensor(decode(r.values) as number[], { dtype, requiresGrad });
}

function closeValues(actual: unknown, expected: unknown, rtol: number, path: string): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((e, i) => closeValues(actual[i], e, rtol, `${path}[${i}]`));
    return;
  }
  if (typeof expected === "number" && typeof actual === "number") {
    if (Number.isNaN(expected)) return assert.ok(Number.isNaN(actual), `${path}: NaN`);
    if (actual === expected) return;
    const tol = rtol * Math.max(1, Math.abs(expected));
    assert.ok(Math.abs(actual - expected) <= tol, `${path}: ${actual} vs ${expected}`);
    return;
  }
  assert.equal(actual, expected, path);
}

export interface ExpectOpts {
  rtol?: number;
  /** compare grad_fn names too (default true) */
  gradFn?: boolean;
}

/** Compare a tensor with a record: shape, dtype, values, requiresGrad and (optionally) gradFn. */
export function expectRec(
  t: Tensor | null | undefined,
  r: Rec | null,
  what: string,
  o: ExpectOpts = {},
): void {
  if (r === null) return assert.ok(t === null || t === undefined, `${what}: expected null`);
  assert.ok(t instanceof torch.Tensor, `${what}: expected a tensor, got ${String(t)}`);
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  assert.equal(t.requiresGrad, r.requires_grad, `${what}: requiresGrad`);
  if (o.gradFn ?? true) assert.equal(t.gradFn?.name() ?? null, r.grad_fn, `${what}: gradFn`);
  closeValues(t.tolist(), decode(r.values), o.rtol ?? 1e-9, what);
}

/** Compare a result (Tensor, nested arrays as tuples, or plain objects as dicts) with a tree. */
export function expectTree(v: unknown, tr: Tree, what: string, o: ExpectOpts = {}): void {
  if (tr === null) return assert.ok(v === null || v === undefined, `${what}: expected null`);
  if ("t" in tr) return expectRec(v as Tensor, tr.t, what, o);
  if ("tuple" in tr) {
    assert.ok(Array.isArray(v), `${what}: expected an array`);
    assert.equal(v.length, tr.tuple.length, `${what}: length`);
    tr.tuple.forEach((e, i) => expectTree(v[i], e, `${what}[${i}]`, o));
    return;
  }
  assert.ok(
    v !== null && typeof v === "object" && !Array.isArray(v),
    `${what}: expected an object`,
  );
  assert.deepEqual(Object.keys(v).sort(), Object.keys(tr.dict).sort(), `${what}: keys`);
  for (const [k, e] of Object.entries(tr.dict)) {
    expectTree((v as Record<string, unknown>)[k], e, `${what}.${k}`, o);
  }
}

/** `fn` throws an Error whose message is the recorded one. */
export function throwsLike(fn: () => unknown, e: Err): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error, "expected an Error");
    assert.equal(err.message, e.message);
    return true;
  });
}
