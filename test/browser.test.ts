/**
 * The library in a real browser: headless Chromium (Debian's `chromium`, driven by
 * puppeteer-core) loads the package bundled for the browser and runs the op table (values,
 * dtypes, grad_fn names, gradients and second derivatives against PyTorch's fixtures, as
 * test/ops.test.ts does in Node) and PyTorch's printing fixtures. `.ci/run` installs Chromium
 * when it is missing; without one (CHROMIUM_PATH, else /usr/bin/chromium) the tests skip and
 * say so.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromiumSkip, launchChromium } from "./helpers/chromium.js";
import type { Browser, Page } from "puppeteer-core";
// @ts-expect-error: a plain .mjs script without declarations
import { serve } from "../scripts/serve.mjs";
// @ts-expect-error: a plain .mjs script without declarations
import { wasmThreadsChunk } from "../scripts/wasm-threads-chunk.mjs";

import * as torch from "../src/index.js";
import { WASM_MODULE } from "../src/backend/wasm-module.gen.js";
import { WASM_MODULE_THREADS } from "../src/backend/wasm-module-threads.gen.js";
import { WASM_MODULE_RELAXED } from "../src/backend/wasm-module-relaxed.gen.js";
import { WASM_MODULE_THREADS_RELAXED } from "../src/backend/wasm-module-threads-relaxed.gen.js";

import { fixtures, specs, type Fixture, type OpSpec } from "./helpers/op-specs.js";
import { readFixture } from "./helpers/fixtures.js";
import type { PageApi, PrintCase } from "./browser/entry.js";

/** The page's global scope, where test/browser/entry.ts put its API. */
type Page_ = { tensorgradTest: PageApi };

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const skip = chromiumSkip;

let browser: Browser | null = null;
let page: Page | null = null;
/** The page's bundle, and a folder with the threaded module's file beside where it goes. */
let bundleText = "";
const pageDir = mkdtempSync(join(tmpdir(), "tg-browser-page-"));

before(async () => {
  if (skip !== false) return;
  const bundle = await build({
    entryPoints: [join(root, "test", "browser", "entry.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    // the examples import the package by name: the same module as the entry's sources
    alias: { tensorgrad: join(root, "src", "index.ts") },
    write: false,
    // the threaded WebAssembly module as its own file in pageDir (the isolated page's test)
    plugins: [wasmThreadsChunk(pageDir)],
    logLevel: "silent",
  });
  bundleText = bundle.outputFiles[0].text;
  browser = await launchChromium(["--disable-gpu"]);
  page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto("about:blank");
  await page.addScriptTag({ content: bundle.outputFiles[0].text, type: "module" });
  await page.waitForFunction("globalThis.tensorgradTest !== undefined", { timeout: 60_000 });
  assert.deepEqual(errors, []);
});

after(async () => {
  await browser?.close();
  rmSync(pageDir, { recursive: true, force: true });
});

test("the page is a browser: no Node globals, the WebAssembly kernels", { skip }, async () => {
  const env = await page!.evaluate(() => {
    const t = (
      globalThis as unknown as { tensorgradTest: { backend: string; hasProcess: boolean } }
    ).tensorgradTest;
    return { backend: t.backend, hasProcess: t.hasProcess };
  });
  assert.deepEqual(env, { backend: "wasm", hasProcess: false });
});

test(
  "a page that cannot load the build it wants stays on the default module and says why",
  { skip },
  async () => {
    // this page is about:blank, not cross-origin isolated, and has no files beside it: Chromium
    // has relaxed SIMD, so the backend asks for tensorgrad-wasm-relaxed.js, which fails to load
    await page!.waitForFunction("/failed to load/.test(globalThis.tensorgradTest.reason())", {
      timeout: 60_000,
    });
    const reason = await page!.evaluate(() =>
      (globalThis as unknown as Page_).tensorgradTest.reason(),
    );
    assert.match(
      reason,
      /^SIMD128, 1 thread \(the page is not cross-origin isolated \(no SharedArrayBuffer\); the relaxed SIMD module failed to load: .+\); not running on Node\.js$/,
    );
    // (the kernels still run, on the default module)
    const env = await page!.evaluate(() => (globalThis as unknown as Page_).tensorgradTest.backend);
    assert.equal(env, "wasm");
  },
);

test("the op table matches PyTorch in Chromium", { skip }, async () => {
  const withFixture = specs.filter((s) => fixtures.has(s.name));
  // the fixtures as their file's text, parsed in the page: the protocol's JSON would turn the
  // inputs' -0.0 into 0
  const text = readFileSync(join(root, "test", "fixtures", "ops.json"), "utf8");
  const result = await page!.evaluate(
    (s: OpSpec[], f: string) =>
      (globalThis as unknown as Page_).tensorgradTest.runOpTable(s, JSON.parse(f) as Fixture[]),
    withFixture,
    text,
  );
  assert.equal(result.ran, withFixture.length);
  assert.deepEqual(
    result.failures.map((f) => `${f.name}: ${f.errors.join("; ")}`),
    [],
  );
});

test("tensors print as PyTorch prints them in Chromium", { skip }, async () => {
  interface Case extends PrintCase {
    kind: string;
    name: string;
    grad_fn: string | null;
    printopts: unknown;
    default_dtype: string | null;
    expected: string;
  }
  // the default print options and dtype, tensors made from values (no grad_fn)
  const cases = readFixture<Case[]>("print.json").filter(
    (c) =>
      c.kind === "tensor" && c.printopts === null && c.default_dtype === null && c.grad_fn === null,
  );
  assert.ok(cases.length >= 20, `expected the print fixtures, found ${cases.length}`);
  const printed = await page!.evaluate(
    (cs: PrintCase[]) => (globalThis as unknown as Page_).tensorgradTest.printAll(cs),
    cases,
  );
  const wrong = cases
    .map((c, i) => ({ name: c.name, expected: c.expected, got: printed[i] }))
    .filter((r) => r.got !== r.expected);
  assert.deepEqual(wrong, []);
});

test("the tour's tutorials print in Chromium what PyTorch prints", { skip }, async () => {
  type Fixtures = Record<string, Record<string, { source: string; output: string }>>;
  const expected = readFixture<Fixtures>("tour.json");
  const printed = await page!.evaluate(() =>
    (globalThis as unknown as Page_).tensorgradTest.runTour(),
  );
  // memory addresses (`0x...`) differ from run to run (test/tour.test.ts does the same)
  const normalise = (s: string): string => s.replace(/0x[0-9a-f]+/g, "0x…");
  assert.deepEqual(Object.keys(printed), Object.keys(expected));
  for (const [name, cells] of Object.entries(expected)) {
    assert.deepEqual(Object.keys(printed[name]), Object.keys(cells), name);
    for (const [title, cell] of Object.entries(cells))
      assert.equal(normalise(printed[name][title]), normalise(cell.output), `${name} ${title}`);
  }
});

test("the console's custom formatters show tensors as PyTorch prints them", { skip }, async () => {
  const expressions = [
    "torch.tensor([1.5, 2], { requiresGrad: true }).mul(2)",
    "torch.arange(6).view(2, 3)",
    "torch.zeros(2, 3).size()",
    "torch.float64",
    "({ shape: [1] })",
  ];
  const headers = await page!.evaluate(
    (e: string[]) => (globalThis as unknown as Page_).tensorgradTest.devtoolsHeaders(e),
    expressions,
  );
  // the same expressions' text in Node (String(), as printing uses); the plain object: none
  const evaluate = (src: string): unknown =>
    (new Function("torch", `return (${src});`) as (t: typeof torch) => unknown)(torch);
  const inNode = expressions.slice(0, 4).map((src) => String(evaluate(src)));
  assert.deepEqual(headers, [...inNode, null]);
});

// Note [wasm buffer pool]: the elementwise workload of bench/browser.mjs runs on the module in
// the page (every kernel of its chain a call of the module, none left to TypeScript), and the
// gradients the engine releases go back to the pool, whose memory the next step reuses
test(
  "the elementwise chain runs on the WebAssembly module and reuses its buffers",
  { skip },
  async () => {
    const n = 100_000; // above every kernel's threshold and the pool's 64 KB
    const r = await page!.evaluate(
      (k: number) => (globalThis as unknown as Page_).tensorgradTest.elementwiseChain(k),
      n,
    );
    // mul, add (forward); tanh; pow; mean's sum; pow's and tanh's backward; w's grad (mul)
    for (const binding of [
      "ewBinary",
      "ewUnary",
      "reduce",
      "ewPowBackward",
      "ewActivationBackward",
    ])
      assert.ok(
        (r.calls[binding] ?? 0) >= 1,
        `${binding} ran on the module: ${JSON.stringify(r.calls)}`,
      );
    assert.ok(r.calls.ewBinary >= 3, `mul, add and w's gradient: ${JSON.stringify(r.calls)}`);
    assert.ok(r.gradDiff <= 1e-6, `gradients, module vs TypeScript kernels: ${r.gradDiff}`);
    // every step releases its consumed gradients, and their memory serves later allocations
    assert.ok(
      r.released.every((k) => k > 0),
      `released per step: ${r.released.join(", ")}`,
    );
    assert.ok(
      r.reused.slice(1).every((k) => k > 0),
      `reused per step: ${r.reused.join(", ")}`,
    );
  },
);

test(
  "a cross-origin isolated page runs the threaded WebAssembly module, loaded as its own file",
  { skip, timeout: 180_000 },
  async () => {
    // the page's bundle (before) served with COOP/COEP (scripts/serve.mjs) beside the file
    // scripts/wasm-threads-chunk.mjs wrote: the threaded module, imported on demand
    writeFileSync(join(pageDir, "page.js"), bundleText);
    writeFileSync(
      join(pageDir, "index.html"),
      '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>',
    );
    // (a stretch of each other build's base64 that the default module lacks: in its own file,
    // not in the page)
    for (const [b64, file] of [
      [WASM_MODULE_THREADS, "tensorgrad-wasm-threads.js"],
      [WASM_MODULE_RELAXED, "tensorgrad-wasm-relaxed.js"],
      [WASM_MODULE_THREADS_RELAXED, "tensorgrad-wasm-threads-relaxed.js"],
    ]) {
      const chunk = readFileSync(join(pageDir, file), "utf8");
      let stretch = "";
      for (let at = 0; stretch === "" || WASM_MODULE.includes(stretch); at += 10_000)
        stretch = b64.slice(at, at + 100);
      assert.ok(!bundleText.includes(stretch), `${file}'s module is in the page`);
      assert.ok(chunk.includes(stretch), `${file} does not hold its module`);
    }
    const server = (await serve(pageDir)) as { url: string; close(): Promise<void> };
    const tab = await browser!.newPage();
    try {
      const errors: string[] = [];
      tab.on("pageerror", (e) => errors.push(String(e)));
      await tab.goto(server.url);
      await tab.waitForFunction("globalThis.tensorgradTest !== undefined", { timeout: 60_000 });
      const r = await tab.evaluate(() =>
        (globalThis as unknown as Page_).tensorgradTest.threadsReport(),
      );
      assert.deepEqual(errors, []);
      assert.equal(r.isolated, true);
      if (r.hardware < 2) {
        console.log(`# one logical processor: the threaded module is not loaded (${r.reason})`);
        const simd = r.relaxed ? "SIMD128, relaxed FMA" : "SIMD128";
        assert.equal(r.reason, `${simd}, 1 thread; not running on Node.js`);
        return;
      }
      // before the file arrives the page runs the single-threaded module, then the threaded one
      assert.equal(
        r.reasonAtImport,
        "SIMD128, 1 thread (the threaded module is loading); not running on Node.js",
      );
      // (Chromium 114 and later have relaxed SIMD: the threaded module's relaxed build)
      const simd = r.relaxed ? "SIMD128, relaxed FMA" : "SIMD128";
      assert.equal(r.reason, `${simd}, ${r.hardware} threads; not running on Node.js`);
      assert.ok(r.workerTasks > 0, "the workers ran none of the products' tasks");
      assert.equal(r.same, true, "threads on and off give different products");
      console.log(`# ${r.reason}: the workers ran ${r.workerTasks} tasks`);
    } finally {
      await tab.close();
      await server.close();
    }
  },
);
