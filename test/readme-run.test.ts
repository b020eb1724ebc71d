/**
 * The README's examples run as pasted and print what their comments say (doc tests).
 * test/readme-types.test.ts type-checks the same blocks against dist/*.d.ts; this file runs them.
 *
 * Every ```ts block is written to a file of its own (in a scratch folder, which is also the
 * working directory while it runs, so the files it writes land there) and imported, with
 * `"tensorgrad"` resolved to this repository's sources. A `console.log(...)` call whose line
 * ends with a `// comment`, or is followed by lines that are only comments, is checked: what the
 * call printed (every time it ran, lines joined) must be that comment's text, `// ` removed from
 * each line, where `...` stands for any text (elided output) and
 * any run of whitespace for any other (comments wrap long lines). Calls without such a comment run
 * unchecked, and a block that throws fails. The block reading Debian's Fashion-MNIST files is
 * skipped when they are not installed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { format } from "node:util";

import { matches } from "./helpers/doc-examples.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** One README code block: its text and the line of README.md it starts on. */
interface Block {
  code: string;
  line: number;
}

function readmeBlocks(): Block[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => ({
    code: m[1],
    line: readme.slice(0, m.index).split("\n").length + 1,
  }));
}

/** What a checked console.log call must print, by the 0-based line of the call in its block. */
function expectations(lines: readonly string[]): Map<number, string> {
  const out = new Map<number, string>();
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].includes("console.log(")) continue;
    const expected: string[] = [];
    const trailing = /\);\s*\/\/ (.*)$/.exec(lines[i]);
    if (trailing !== null) expected.push(trailing[1]);
    else
      for (let j = i + 1; j < lines.length && /^\s*\/\/( |$)/.test(lines[j]); j++)
        expected.push(lines[j].replace(/^\s*\/\/ ?/, ""));
    if (expected.length > 0) out.set(i, expected.join("\n"));
  }
  return out;
}

const logs = new Map<number, string[]>();
(globalThis as { __readmeLog?: unknown }).__readmeLog = (line: number, ...args: unknown[]) => {
  logs.set(line, [...(logs.get(line) ?? []), format(...args)]);
};

test("every README code block runs as pasted and prints what its comments say", async (t) => {
  const blocks = readmeBlocks();
  assert.ok(blocks.length >= 18, `expected the README's examples, found ${blocks.length}`);
  const dir = mkdtempSync(join(tmpdir(), "tensorgrad-readme-run-"));
  // ES modules, as a user's project with "type": "module" (top-level await)
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  const cwd = process.cwd();
  try {
    for (const [k, b] of blocks.entries()) {
      // the IDX example reads Debian's Fashion-MNIST files (30 MB), installed only on request
      const dataset = "/usr/share/datasets/fashion-mnist";
      const skip =
        b.code.includes(dataset) && !existsSync(dataset)
          ? `needs ${dataset} (apt-get install dataset-fashion-mnist)`
          : false;
      await t.test(`README.md:${b.line}`, { skip }, async () => {
        assert.match(b.code, /from "tensorgrad"/, "the block does not import tensorgrad");
        const lines = b.code.split("\n");
        const expected = expectations(lines);
        // each console.log reports the line it is on (the block's text is otherwise unchanged)
        const src = lines
          .map((l, i) => l.replaceAll("console.log(", `__readmeLog(${i}, `))
          .join("\n")
          .replaceAll('from "tensorgrad"', `from ${JSON.stringify(join(root, "src/index.ts"))}`);
        const sub = join(dir, `block-${k}`);
        mkdirSync(sub);
        const file = join(sub, "example.ts");
        writeFileSync(
          file,
          `declare function __readmeLog(line: number, ...a: unknown[]): void;\n${src}\nexport {};\n`,
        );
        logs.clear();
        process.chdir(sub);
        try {
          await import(pathToFileURL(file).href);
        } finally {
          process.chdir(cwd);
        }
        for (const [i, want] of expected) {
          const got = (logs.get(i) ?? []).join("\n");
          assert.ok(
            matches(want, got),
            `README.md:${b.line + i}: printed\n${got}\nbut its comment says\n${want}`,
          );
        }
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
