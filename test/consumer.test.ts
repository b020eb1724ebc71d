/**
 * The package as a user installs it: `npm pack` of the built package (`npm test` builds dist/
 * first), the tarball unpacked into scratch projects' node_modules (its dependencies linked from
 * this repository's node_modules, so no network), then an ES module program, a CommonJS
 * program and strict TypeScript projects (module nodenext, ESM and CommonJS) that use it.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { readmeTsBlocks, root } from "./helpers/readme.js";

const built = existsSync(join(root, "dist", "cjs", "index.cjs"));
const scratch = mkdtempSync(join(tmpdir(), "tensorgrad-consumer-"));
/** the unpacked tarball's files, relative to the package root */
let packed: string[] = [];

/** A scratch project with the unpacked package and its dependencies in node_modules. */
function project(name: string, type: "module" | "commonjs"): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, "node_modules", "@viz-js"), { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type }));
  // a copy, as npm installs it (a link's real path would resolve the dependencies elsewhere)
  cpSync(join(scratch, "package"), join(dir, "node_modules", "tensorgrad"), { recursive: true });
  for (const dep of ["fflate", "@viz-js/viz", "@types"])
    symlinkSync(join(root, "node_modules", dep), join(dir, "node_modules", dep), "dir");
  return dir;
}

const node = (dir: string, file: string): string =>
  execFileSync(process.execPath, [file], { cwd: dir, encoding: "utf8" });

before(() => {
  if (!built) return;
  // --ignore-scripts: the tarball as `npm run build` left dist/ (prepack's binaries aside)
  const out = execFileSync(
    "npm",
    ["pack", "--ignore-scripts", "--json", "--pack-destination", scratch],
    { cwd: root, encoding: "utf8" },
  );
  const info = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  packed = info[0].files.map((f) => f.path);
  execFileSync("tar", ["-xzf", join(scratch, info[0].filename), "-C", scratch]);
});

// d/dx sum(x * x) = 2x
const GRAD = "tensor([2., 4., 6.])";
const gradient = `const x = torch.tensor([1, 2, 3], { requiresGrad: true });
x.mul(x).sum().backward();
console.log(String(x.grad));`;

test("the tarball holds the bundles, both declaration trees and a LICENSE, not the sources", (t) => {
  if (!built) return t.skip("dist/ is not built (npm test builds it before the tests)");
  for (const f of [
    "LICENSE",
    "package.json",
    "dist/index.js",
    "dist/index.d.ts",
    "dist/cjs/index.cjs",
    "dist/cjs/tensorgrad.cjs",
    "dist/cjs/index.d.ts",
    "dist/cjs/package.json",
    "dist/browser/index.js",
  ])
    assert.ok(packed.includes(f), `${f} is not in the tarball`);
  assert.deepEqual(
    packed.filter((f) => f.startsWith("src/")),
    [],
  );
  // the source maps carry the sources they point at (none is shipped)
  for (const map of packed.filter((f) => f.endsWith(".map"))) {
    const m = JSON.parse(readFileSync(join(scratch, "package", map), "utf8")) as {
      sources: string[];
      sourcesContent?: (string | null)[];
    };
    assert.equal(m.sourcesContent?.length, m.sources.length, map);
    assert.ok(
      m.sourcesContent.every((s) => typeof s === "string"),
      map,
    );
  }
});

test("an ES module program imports the package and takes a gradient", (t) => {
  if (!built) return t.skip("dist/ is not built (npm test builds it before the tests)");
  const dir = project("esm", "module");
  writeFileSync(
    join(dir, "main.js"),
    `import * as torch from "tensorgrad";
import { createRequire } from "node:module";
${gradient}
// one implementation behind import and require (no dual-package hazard)
const cjs = createRequire(import.meta.url)("tensorgrad");
console.log(cjs.Tensor === torch.Tensor, x instanceof cjs.Tensor, cjs.defaultGenerator === torch.defaultGenerator);
cjs.setGradEnabled(false);
console.log(torch.isGradEnabled());`,
  );
  assert.equal(node(dir, "main.js"), `${GRAD}\ntrue true true\nfalse\n`);
});

test("a CommonJS program requires the package and takes a gradient", (t) => {
  if (!built) return t.skip("dist/ is not built (npm test builds it before the tests)");
  const dir = project("cjs", "commonjs");
  writeFileSync(
    join(dir, "main.js"),
    `const torch = require("tensorgrad");
${gradient}
console.log(typeof torch.nn.Linear, typeof torch.optim.SGD);`,
  );
  assert.equal(node(dir, "main.js"), `${GRAD}\nfunction function\n`);
  // the compile cache of the second process gives the same result (Note [compile cache])
  assert.equal(node(dir, "main.js"), `${GRAD}\nfunction function\n`);
});

/** tsc --strict --noEmit (module nodenext, or bundler) on files in a scratch project; the diagnostics. */
function typecheck(dir: string, files: Record<string, string>, bundler = false): string[] {
  const paths = Object.entries(files).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
  const program = ts.createProgram(paths, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: bundler ? ts.ModuleKind.ESNext : ts.ModuleKind.NodeNext,
    moduleResolution: bundler ? ts.ModuleResolutionKind.Bundler : ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts"],
    types: ["node"],
    // the package's declarations are checked where the examples use them
    skipLibCheck: true,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where =
      d.file !== undefined && d.start !== undefined
        ? `${d.file.fileName.replace(dir, "")}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}`
        : "";
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

test("strict TypeScript (module nodenext, bundler) compiles the README's examples as ESM and CommonJS", (t) => {
  if (!built) return t.skip("dist/ is not built (npm test builds it before the tests)");
  const blocks = readmeTsBlocks();
  assert.ok(blocks.length >= 10, `expected the README's examples, found ${blocks.length}`);
  // ESM: every block, each its own module (top-level await and `using` allowed)
  const esm = project("ts-esm", "module");
  const esmFiles = Object.fromEntries(
    blocks.map((b, i) => [`example-${i}.ts`, `${b}\nexport {};\n`]),
  );
  assert.deepEqual(typecheck(esm, esmFiles), []);
  // a bundler's resolution (moduleResolution bundler) finds the same declarations
  const bundled = project("ts-bundler", "module");
  assert.deepEqual(typecheck(bundled, { "main.ts": esmFiles["example-0.ts"] }, true), []);
  // CommonJS: `import` compiles to require() and resolves the "require" condition's
  // declarations; top-level await has no CommonJS form, so those blocks are left out
  const cjs = project("ts-cjs", "commonjs");
  const sync = blocks.filter((b) => !b.includes("await"));
  assert.ok(sync.length >= 5, `expected examples without top-level await, found ${sync.length}`);
  const cjsFiles = Object.fromEntries(sync.map((b, i) => [`example-${i}.cts`, b]));
  cjsFiles["require.cts"] =
    'import torch = require("tensorgrad");\nconst t: torch.Tensor = torch.ones(2);\nexport = t;\n';
  assert.deepEqual(typecheck(cjs, cjsFiles), []);
});
