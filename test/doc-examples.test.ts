/**
 * The `@example`s of the API docs run (doc tests; the conventions are test/helpers/doc-examples.ts's).
 *
 * - Every registry op's example (its entry's `example`, which the generated declarations' JSDoc,
 *   docs/ops.md and the API reference show) runs and shows the value its comment states.
 * - The hand-written `@example`s of src/ run too, with the exports of their file in scope (an
 *   internal function's example calls it by name), and show what their comments say.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import "../src/registry/ops/index.js";
import { registeredOps } from "../src/registry/define.js";
import { checkExample, type ExampleScope } from "./helpers/doc-examples.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Runs fn in a scratch working directory (examples may write files) with console.log muted. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "tensorgrad-doc-examples-"));
  const cwd = process.cwd();
  const log = console.log;
  process.chdir(dir);
  console.log = () => {};
  try {
    return await fn();
  } finally {
    console.log = log;
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  }
}

test("every registry op's example runs and shows what its comment says", async () => {
  const failures = await quietly(async () => {
    const out: string[] = [];
    for (const e of registeredOps()) {
      const r = await checkExample(e.example ?? "");
      if (e.example === undefined || r !== null)
        out.push(`${e.namespace}.${e.jsName}: ${e.example ?? "no example"}: ${r}`);
    }
    return out;
  });
  assert.deepEqual(failures, []);
});

/** The `@example`s of a source file's doc comments: [key, example]. */
function examplesOf(file: string): [string, string][] {
  const text = readFileSync(join(root, file), "utf8");
  const out: [string, string][] = [];
  for (const c of text.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const body = c[1]
      .split("\n")
      .map((l) => l.replace(/^\s*\* ?/, ""))
      .join("\n");
    for (const m of body.matchAll(/@example\s*([\s\S]*?)(?=\n@\w|$)/g)) {
      const ex = m[1].trim();
      out.push([`${file}: ${ex.split("\n")[0].slice(0, 100)}`, ex]);
    }
  }
  return out;
}

test("the hand-written @examples of src/ run and show what their comments say", async () => {
  const files = execFileSync("git", ["ls-files", "src/*.ts", "src/**/*.ts"], {
    cwd: root,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .filter((f) => !f.startsWith("src/generated/"));
  const examples = files.flatMap((f) => examplesOf(f).map(([k, ex]) => [f, k, ex] as const));
  assert.ok(examples.length > 100, `found only ${examples.length} examples`);
  // Note [example scope]: an example sees the exports of the file it documents (an internal
  // function's example calls it by name), besides torch and F
  const scopes = new Map<string, ExampleScope>();
  for (const f of new Set(examples.map(([f]) => f)))
    scopes.set(f, (await import(pathToFileURL(join(root, f)).href)) as ExampleScope);
  const failing = await quietly(async () => {
    const out: string[] = [];
    for (const [f, key, ex] of examples) {
      const r = await checkExample(ex, scopes.get(f));
      if (r !== null) out.push(`${key}: ${r}`);
    }
    return out;
  });
  assert.deepEqual(failing, []);
});
