/**
 * The README's examples type-check against the published declarations: every ```ts block
 * that imports "tensorgrad" is compiled with `tsc --strict` against dist/index.d.ts (built by
 * `npm test` before the tests run), as a user's project would see the package.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { readmeTsBlocks, root } from "./helpers/readme.js";

test("the README's complete examples compile under tsc --strict against dist/*.d.ts", (t) => {
  const dts = join(root, "dist", "index.d.ts");
  if (!existsSync(dts)) {
    t.skip("dist/ is not built (npm test builds it before the tests)");
    return;
  }
  const blocks = readmeTsBlocks();
  assert.ok(blocks.length >= 10, `expected the README's examples, found ${blocks.length}`);
  const dir = mkdtempSync(join(tmpdir(), "tensorgrad-readme-"));
  const files = blocks.map((b, i) => {
    const f = join(dir, `example-${i}.ts`);
    // each block is its own module (top-level await and `using` allowed)
    writeFileSync(f, `${b}\nexport {};\n`);
    return f;
  });
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts"],
    types: ["node"],
    typeRoots: [join(root, "node_modules", "@types")],
    // the declarations are checked where they are used; checking all of @types/node is slow
    skipLibCheck: true,
    paths: { tensorgrad: [dts] },
    baseUrl: root,
  });
  const diags = ts.getPreEmitDiagnostics(program).map((d) => {
    const where =
      d.file !== undefined && d.start !== undefined
        ? `${d.file.fileName.replace(dir, "README")}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}`
        : "";
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
  assert.deepEqual(diags, []);
});
