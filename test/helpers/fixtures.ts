/**
 * Reading the JSON fixtures that scripts/fixtures/*_fx.py record from real PyTorch 1.13
 * (test/fixtures/), decoding their values, and comparing tensors and errors with them.
 *
 * The encoding (scripts/fixtures/common.py): JSON has no NaN or infinities, so non-finite floats
 * are the strings "nan", "inf" and "-inf". A tensor record is {shape, dtype, values (nested
 * lists, as tolist() gives them), requires_grad}, some with the grad_fn's name; an exception is
 * {type, message}.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as torch from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

import { decodeNumber, type NonFinite } from "./decode.js";

export { decodeNumber, type NonFinite };
export type Encoded = number | boolean | NonFinite | Encoded[];
export interface Rec {
  shape: number[];
  dtype: string;
  values: Encoded;
  requires_grad: boolean;
  grad_fn?: string | null;
}
export interface Err {
  type: string;
  message: string;
}

/** test/<path> parsed as JSON (a fixture, "fixtures/NAME.json", or the op table). */
export function readTestJson<T>(path: string): T {
  return JSON.parse(readFileSync(new URL(`../${path}`, import.meta.url), "utf8")) as T;
}

/** test/fixtures/<name> parsed as JSON. */
export function readFixture<T>(name: string): T {
  return readTestJson<T>(`fixtures/${name}`);
}

/** Recorded values (a number, a bool or nested lists) with the non-finite strings decoded. */
export function decode(v: Encoded): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (typeof v === "string") return decodeNumber(v);
  return v;
}

/** The dtypes flat records name (others give the default dtype). */
export const DTYPES: Record<string, torch.DType> = {
  float32: torch.float32,
  float64: torch.float64,
  int64: torch.int64,
  int32: torch.int32,
  bool: torch.bool,
};

/** A flat tensor record: shape, dtype and the values in row-major order. */
export interface FlatRec {
  shape: number[];
  dtype: string;
  values: (number | NonFinite)[];
}

/** A tensor from a flat record (requiring grad when `requiresGrad`). */
export function fromFlatRec(r: FlatRec, requiresGrad = false): Tensor {
  const t = torch.tensor(r.values.map(decodeNumber), { dtype: DTYPES[r.dtype] }).reshape(r.shape);
  return requiresGrad ? t.requiresGrad_() : t;
}

/**
 * Nested values equal up to a relative tolerance: |actual - expected| <= rtol * max(1, |expected|)
 * for numbers (NaN matches NaN), strict equality for anything else.
 */
export function closeValues(actual: unknown, expected: unknown, rtol: number, path: string): void {
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
  /** relative tolerance of the values (default 1e-6) */
  rtol?: number;
  /** compare the grad_fn name with the record's too (default false) */
  gradFn?: boolean;
}

/** Compare a tensor with a record: shape, dtype, requiresGrad, values; null with null. */
export function expectRec(
  t: Tensor | null | undefined,
  r: Rec | null,
  what = "tensor",
  o: ExpectOpts = {},
): void {
  if (r === null) return assert.ok(t === null || t === undefined, `${what}: expected null`);
  assert.ok(t instanceof torch.Tensor, `${what}: expected a tensor, got ${String(t)}`);
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  assert.equal(t.requiresGrad, r.requires_grad, `${what}: requiresGrad`);
  if (o.gradFn) assert.equal(t.gradFn?.name() ?? null, r.grad_fn, `${what}: gradFn`);
  closeValues(t.tolist(), decode(r.values), o.rtol ?? 1e-6, what);
}

/** `fn` throws an Error with the recorded message; `check` may look at the error further. */
export function throwsLike(fn: () => unknown, e: Err, check?: (err: Error) => void): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error, "expected an Error");
    assert.equal(err.message, e.message);
    check?.(err);
    return true;
  });
}
