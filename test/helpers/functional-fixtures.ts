/**
 * Reading test/fixtures/functional.json (scripts/fixtures/functional_fx.py): tensor records,
 * PyTorch-tuple trees and recorded errors, and comparisons against them.
 */
import assert from "node:assert/strict";

import * as torch from "../../src/index.js";
import type { Tensor } from "../../src/index.js";
import {
  decode,
  expectRec as expectBaseRec,
  readFixture,
  type ExpectOpts,
  type Rec as BaseRec,
} from "./fixtures.js";

export { decode, throwsLike, type Encoded, type Err, type ExpectOpts } from "./fixtures.js";

export interface Rec extends BaseRec {
  grad_fn: string | null;
}
export type Tree = { t: Rec } | { tuple: Tree[] } | { dict: Record<string, Tree> } | null;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- sections are read by name
export const FX: any = readFixture("functional.json");

/** A float64 tensor with the record's values (requiring grad when `requiresGrad`). */
export function fromRec(r: Rec, requiresGrad = r.requires_grad): Tensor {
  const dtype = r.dtype === "float32" ? torch.float32 : torch.float64;
  return torch.tensor(decode(r.values) as number[], { dtype, requiresGrad });
}

/**
 * Compare a tensor with a record: shape, dtype, values (rtol default 1e-9), requiresGrad and
 * (unless `gradFn: false`) gradFn.
 */
export function expectRec(
  t: Tensor | null | undefined,
  r: Rec | null,
  what: string,
  o: ExpectOpts = {},
): void {
  expectBaseRec(t, r, what, { rtol: o.rtol ?? 1e-9, gradFn: o.gradFn ?? true });
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
