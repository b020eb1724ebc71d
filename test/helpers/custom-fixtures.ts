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
import {
  decode,
  readFixture,
  throwsLike as throwsWithMessage,
  type Err,
  type Rec,
} from "./fixtures.js";

export { decode, expectRec, type Encoded, type Err, type Rec } from "./fixtures.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- sections are read by name
export const FX: any = readFixture("custom.json");

/** A tensor with a record's values (float32 unless the record says otherwise). */
export function fromRec(r: Rec, requiresGrad = false): Tensor {
  const dtype = r.dtype === "float64" ? torch.float64 : torch.float32;
  return torch.tensor(decode(r.values) as number[], { dtype, requiresGrad });
}

/** `fn` throws an error with the recorded message (and a matching class where JS has one). */
export function throwsLike(fn: () => unknown, e: Err): void {
  assert.ok(e !== null, "the fixture recorded no error");
  throwsWithMessage(fn, e, (err) => {
    if (e.type === "TypeError") assert.ok(err instanceof TypeError, "expected a TypeError");
    if (e.type === "NotImplementedError") assert.equal(err.name, "NotImplementedError");
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
