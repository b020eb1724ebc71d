/**
 * scripts/check-import-cycles.ts: value imports form the graph (type-only imports do not), its
 * strongly connected components of more than one file are reported, and the script fails on
 * them; src/ itself has none.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { importCycles, stronglyConnectedComponents } from "../scripts/check-import-cycles.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const script = join(root, "scripts", "check-import-cycles.ts");

/** A directory of .ts files with the given contents. */
function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "tensorgrad-cycles-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Runs the script on `dir`: its exit status and output. */
function run(dir: string): { status: number; out: string } {
  try {
    const out = execFileSync(process.execPath, ["--import", "tsx", script, dir], {
      encoding: "utf8",
    });
    return { status: 0, out };
  } catch (e) {
    const err = e as { status: number; stdout: string };
    return { status: err.status, out: err.stdout };
  }
}

test("Tarjan's components: a cycle, a chain and a self-loop", () => {
  const graph = new Map([
    ["a", ["b"]],
    ["b", ["c"]],
    ["c", ["a", "d"]],
    ["d", ["e"]],
    ["e", []],
    ["f", ["f"]],
  ]);
  const comps = stronglyConnectedComponents(graph).map((c) => c.join(","));
  assert.deepEqual(comps.sort(), ["a,b,c", "d", "e", "f"]);
});

test("value imports and re-exports make a cycle; type-only imports do not", () => {
  const dir = fixture({
    "a.ts": 'import { b } from "./b.js";\nexport const a = () => b;\n',
    "b.ts": 'import { c } from "./sub/c.js";\nexport const b = c;\n',
    "sub/c.ts": 'export { a } from "../a.js";\nexport const c = 1;\n',
    // d <-> a through type-only imports only: erased, no cycle
    "d.ts":
      'import type { a } from "./a.js";\nimport { type b } from "./b.js";\nexport type D = typeof a | typeof b;\nexport const d = 1;\n',
    // e imports d for its side effects, d does not import e
    "e.ts": 'import "./d.js";\n',
    // f imports itself
    "f.ts": 'import * as self from "./f.js";\nexport const f = () => self;\n',
  });
  assert.deepEqual(importCycles(dir), [["a.ts", "b.ts", "sub/c.ts"], ["f.ts"]]);
  const { status, out } = run(dir);
  assert.equal(status, 1);
  assert.match(out, /import cycle of 3 files under .*:\n {2}a\.ts\n {2}b\.ts\n {2}sub\/c\.ts\n/);
  assert.match(out, /import cycle of 1 files under .*:\n {2}f\.ts\n/);
});

test("an acyclic directory passes", () => {
  const dir = fixture({
    "a.ts":
      'import { b } from "./b.js";\nimport type { C } from "./c.js";\nexport const a = (x: C) => b + x;\n',
    "b.ts": "export const b = 1;\n",
    "c.ts": 'import { a } from "./a.js";\nexport type C = number;\nexport const c = a;\n',
  });
  assert.deepEqual(importCycles(dir), []);
  assert.deepEqual(run(dir), { status: 0, out: "" });
});

test("dynamic imports and require() count: a cycle cannot hide behind them", () => {
  const dir = fixture({
    "a.ts": 'import { b } from "./b.js";\nexport const a = () => b;\n',
    "b.ts": 'export const b = async () => (await import("./a.js")).a;\n',
    "c.ts": 'export const c = () => require("./d.js");\n',
    "d.ts":
      'import { c } from "./c.js";\nexport type T = import("./e.js").E;\nexport const d = c;\n',
    // a type position is no load: e -> d only
    "e.ts": 'import { d } from "./d.js";\nexport type E = typeof d;\n',
  });
  assert.deepEqual(importCycles(dir), [
    ["a.ts", "b.ts"],
    ["c.ts", "d.ts"],
  ]);
});

test("src/ has no import cycle (tensor, ops and autograd included)", () => {
  assert.deepEqual(importCycles(join(root, "src")), []);
});
