/**
 * Reading test/fixtures/custom.json (scripts/fixtures/custom_fx.py) for the custom-function,
 * hooks, anomaly and checkpoint tests; capturing warnings; running README examples.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import * as torch from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

export type Encoded = number | boolean | "nan" | "inf" | "-inf" | Encoded[];
export interface Rec {
  shape: number[];
  dtype: string;
  values: Encoded;
  requires_grad: boolean;
}
export interface Err {
  type: string;
  message: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- sections are read by name
export const FX: any = JSON.parse(
  readFileSync(new URL("../fixtures/custom.json", import.meta.url), "utf8"),
);

export function decode(v: Encoded): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v === "nan") return NaN;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  return v;
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

/** Compare a tensor with a record (shape, dtype, values, requiresGrad); null with null. */
export function expectRec(t: Tensor | null | undefined, r: Rec | null, what = "tensor"): void {
  if (r === null) return assert.ok(t === null || t === undefined, `${what}: expected null`);
  assert.ok(t instanceof torch.Tensor, `${what}: expected a tensor, got ${String(t)}`);
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  assert.equal(t.requiresGrad, r.requires_grad, `${what}: requiresGrad`);
  closeValues(t.tolist(), decode(r.values), 1e-6, what);
}

/** A tensor with a record's values (float32 unless the record says otherwise). */
export function fromRec(r: Rec, requiresGrad = false): Tensor {
  const dtype = r.dtype === "float64" ? torch.float64 : torch.float32;
  return torch.tensor(decode(r.values) as number[], { dtype, requiresGrad });
}

/** `fn` throws an error with the recorded message (and a matching class where JS has one). */
export function throwsLike(fn: () => unknown, e: Err): void {
  assert.ok(e !== null, "the fixture recorded no error");
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error, "expected an Error");
    assert.equal(err.message, e.message);
    if (e.type === "TypeError") assert.ok(err instanceof TypeError, "expected a TypeError");
    if (e.type === "NotImplementedError") assert.equal(err.name, "NotImplementedError");
    return true;
  });
}

/** Run `fn` with console.warn captured; returns its result (or error) and the warnings. */
export function withWarnings<T>(fn: () => T): { result?: T; error?: unknown; warnings: string[] } {
  const warnings: string[] = [];
  const orig = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
  try {
    return { result: fn(), warnings };
  } catch (error) {
    return { error, warnings };
  } finally {
    console.warn = orig;
  }
}

/** PyTorch's warning text as our console.warn prints it ("UserWarning: " prefix). */
export const userWarning = (s: string): string => `UserWarning: ${s}`;

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Run the ```ts blocks of README.md's `### <heading>` subsection (under "## Beyond the
 * tutorials"), with `tensorgrad` resolved to src/. Returns the process's stdout; fails the
 * test when it exits non-zero.
 */
export function runReadmeSection(heading: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const beyond = readme.indexOf("## Beyond the tutorials");
  assert.ok(beyond >= 0, "README has no '## Beyond the tutorials'");
  const start = readme.indexOf(`### ${heading}\n`, beyond);
  assert.ok(start >= 0, `README has no '### ${heading}'`);
  const next = readme.slice(start + 4).search(/\n##+ /);
  const section = next < 0 ? readme.slice(start) : readme.slice(start, start + 4 + next);
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length > 0, `no ts example under '### ${heading}'`);
  const src = blocks
    .join("\n")
    .replace(/from "tensorgrad"/g, `from ${JSON.stringify(join(ROOT, "src/index.ts"))}`);
  const dir = mkdtempSync(join(tmpdir(), "tg-readme-"));
  try {
    const file = join(dir, "example.ts");
    writeFileSync(file, src);
    const r = spawnSync(process.execPath, ["--import", "tsx", file], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, `README '${heading}' example failed:\n${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
