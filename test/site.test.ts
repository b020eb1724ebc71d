/**
 * The site (`npm run site`, scripts/build-site.ts) in headless Chromium (Debian's `chromium`,
 * driven by puppeteer-core as test/browser.test.ts drives it): the tutorials page runs every
 * cell of the four tutorials and prints what Node prints (and PyTorch, test/fixtures/tour.json);
 * an edited cell runs; a graph is drawn; the MNIST page trains a few steps and the loss falls.
 * Built without TypeDoc (--no-api) to stay fast. Without Chromium the tests skip and say so.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromiumSkip, launchChromium } from "./helpers/chromium.js";
import type { Browser, Page } from "puppeteer-core";

import { captureOut } from "../examples/cell.js";
import { tutorials } from "../examples/tour.js";
import { buildSite } from "../scripts/build-site.js";
// @ts-expect-error: a JavaScript module without declarations
import { serve } from "../scripts/serve.mjs";

import { readFixture } from "./helpers/fixtures.js";

const skip = chromiumSkip;

let browser: Browser | null = null;
let server: { url: string; close(): Promise<void> } | null = null;
let out = "";
const errors: string[] = [];

/** Open a page; one with a script waits until it says it is ready. */
async function open(file: string, ready = true): Promise<Page> {
  const page = await browser!.newPage();
  page.on("pageerror", (e) => errors.push(`${file}: ${String(e)}`));
  await page.goto(server!.url + file);
  if (ready)
    await page.waitForFunction("document.body.dataset.ready === 'true'", { timeout: 60_000 });
  return page;
}

/** memory addresses (`0x...`) differ from run to run (test/tour.test.ts does the same) */
const normalise = (s: string): string => s.replace(/0x[0-9a-f]+/g, "0x…");

before(async () => {
  if (skip !== false) return;
  out = mkdtempSync(join(tmpdir(), "tensorgrad-site-"));
  await buildSite({ out, api: false });
  server = (await serve(out)) as { url: string; close(): Promise<void> };
  browser = await launchChromium(["--disable-gpu"]);
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (out !== "") rmSync(out, { recursive: true, force: true });
});

test("the pages link the tutorials, MNIST and the API reference", { skip }, async () => {
  const page = await open("index.html", false);
  const links = await page.$$eval("nav a", (as) => as.map((a) => a.getAttribute("href")));
  assert.deepEqual(links, ["index.html", "tutorials.html", "mnist.html", "api/index.html"]);
  const api = await page.goto(server!.url + "api/index.html");
  assert.equal(api?.status(), 200);
  await page.close();
});

test(
  "every tutorial cell prints in the page what it prints in Node and PyTorch",
  { skip },
  async () => {
    const page = await open("tutorials.html");
    // Node: the same tutorials, run by their modules
    const inNode: Record<string, Record<string, string>> = {};
    for (const t of tutorials) {
      inNode[t.name] = {};
      for (const cell of t.cells) {
        const { out: o, text } = captureOut();
        cell.run(o);
        inNode[t.name][cell.title] = text();
      }
    }
    const printed: Record<string, Record<string, string>> = {};
    for (const t of tutorials) {
      await page.click(`section[data-tutorial="${t.name}"] button.run-all`);
      await page.waitForSelector(`section[data-tutorial="${t.name}"][data-state="done"]`, {
        timeout: 30_000,
      });
      printed[t.name] = await page.$$eval(`section[data-tutorial="${t.name}"] .cell`, (cells) =>
        Object.fromEntries(
          cells.map((c) => [
            (c as HTMLElement).dataset.title!,
            c.querySelector("pre.output")!.textContent ?? "",
          ]),
        ),
      );
    }
    type Fixtures = Record<string, Record<string, { source: string; output: string }>>;
    const pytorch = readFixture<Fixtures>("tour.json");
    let cells = 0;
    for (const [name, byTitle] of Object.entries(inNode)) {
      assert.deepEqual(Object.keys(printed[name]), Object.keys(byTitle), name);
      for (const [title, text] of Object.entries(byTitle)) {
        assert.equal(normalise(printed[name][title]), normalise(text), `${name} ${title} (Node)`);
        assert.equal(
          normalise(printed[name][title]),
          normalise(pytorch[name][title].output),
          `${name} ${title} (PyTorch)`,
        );
        cells++;
      }
    }
    assert.ok(cells >= 40, `expected the four tutorials' cells, ran ${cells}`);
    assert.deepEqual(errors, []);
    await page.close();
  },
);

test("an edited cell runs in the notebook's variables; errors print", { skip }, async () => {
  const page = await open("tutorials.html");
  const sel = 'section[data-tutorial="01-autograd-polynomial"]';
  await page.click(`${sel} button.run-all`);
  await page.waitForSelector(`${sel}[data-state="done"]`);
  const cell = `${sel} .cell[data-title="In [18]"]`;
  const run = async (code: string): Promise<{ text: string; error: boolean }> => {
    await page.$eval(`${cell} textarea`, (t, c) => ((t as HTMLTextAreaElement).value = c), code);
    await page.$eval(`${cell} pre.output`, (p) => (p.textContent = "…"));
    await page.click(`${cell} button.run`);
    await page.waitForFunction(
      (s: string) => document.querySelector(s)!.textContent !== "…",
      { timeout: 30_000 },
      `${cell} pre.output`,
    );
    return page.$eval(`${cell} pre.output`, (p) => ({
      text: p.textContent ?? "",
      error: p.classList.contains("error"),
    }));
  };
  // TypeScript (a non-null assertion, a type) reading and writing the notebook's x
  const edited = await run("const k: number = 3;\ny = x.mul(k);\nout.print(y!.add(1), x.shape);");
  // In [26] left x = [[1, 2, 3], [3, 2, 1]]; Node computes the expected text
  const torch = await import("tensorgrad");
  const x = torch.tensor(
    [
      [1, 2, 3],
      [3, 2, 1],
    ],
    { requiresGrad: true },
  );
  const { out: o, text } = captureOut();
  o.print(x.mul(3).add(1), x.shape);
  assert.deepEqual(edited, { text: text(), error: false });
  const failed = await run("out.print(x.mm(x));");
  assert.equal(failed.error, true);
  let message = "";
  try {
    x.mm(x);
  } catch (e) {
    message = `${(e as Error).name}: ${(e as Error).message}\n`;
  }
  assert.ok(message !== "");
  assert.equal(failed.text, message);
  await page.close();
});

test("a cell's autograd graph is drawn as a picture, as the cell left it", { skip }, async () => {
  const page = await open("tutorials.html");
  const sel = 'section[data-tutorial="01-autograd-polynomial"]';
  await page.click(`${sel} button.run-all`);
  await page.waitForSelector(`${sel}[data-state="done"]`);
  const draw = async (title: string, tensor: string): Promise<string[]> => {
    const cell = `${sel} .cell[data-title="${title}"]`;
    assert.equal(await page.$eval(`${cell} select.graph-of`, (s) => s.value), tensor, title);
    await page.click(`${cell} button.graph`);
    await page.waitForSelector(`${cell} .picture svg`, { timeout: 30_000 });
    return page.$$eval(`${cell} .picture svg text`, (ts) => ts.map((t) => t.textContent ?? ""));
  };
  // In [18]'s y (the polynomial), though In [23] later rebinds y; torchviz's boxes: the
  // backward nodes and the named leaf x
  const polynomial = await draw("In [18]", "y");
  for (const name of ["PowBackward0", "MulBackward0", "AddBackward0", "x"])
    assert.ok(polynomial.includes(name), `${name} in ${JSON.stringify(polynomial)}`);
  assert.ok(!polynomial.includes("MeanBackward0"), JSON.stringify(polynomial));
  const mean = await draw("In [25]", "o");
  for (const name of ["MeanBackward0", "PowBackward0", "AddBackward0", "MulBackward0", "x"])
    assert.ok(mean.includes(name), `${name} in ${JSON.stringify(mean)}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the MNIST page trains the CNN in the browser and the loss falls", { skip }, async () => {
  const page = await open("mnist.html?test=500");
  const backends = await page.$$eval("#backend option", (os) =>
    os.map((o) => ({ id: (o as HTMLOptionElement).value, on: !(o as HTMLOptionElement).disabled })),
  );
  assert.deepEqual(backends[0], { id: "typescript", on: true });
  assert.deepEqual(
    backends.map((b) => b.id),
    ["typescript", "wasm", "webgpu"],
  );
  await page.$eval("#steps", (i) => ((i as HTMLInputElement).value = "20"));
  await page.click("#start");
  await page.waitForFunction("document.body.dataset.state === 'done'", { timeout: 90_000 });
  const s = (await page.evaluate(
    () => (globalThis as unknown as { siteMnist: { last: unknown } }).siteMnist.last,
  )) as { steps: number; history: { loss: number; acc: number }[]; tests: { acc: number }[] };
  assert.equal(s.steps, 20);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(s.history.slice(0, 4).map((p) => p.loss));
  const last = mean(s.history.slice(-4).map((p) => p.loss));
  assert.ok(last < 0.7 * first, `the loss fell from ${first} to ${last}`);
  // 20 steps of Adam on digits: well above chance (10%) on the held-out digits
  assert.ok(s.tests[s.tests.length - 1].acc > 0.5, JSON.stringify(s.tests));
  const status = await page.$eval("#status", (e) => e.textContent ?? "");
  assert.match(status, /^step 20\/20 {2}loss \d/);
  assert.deepEqual(errors, []);
  await page.close();
});

test(
  "the MNIST page trains on WebGPU (headless Chromium's adapter) as on the CPU",
  { skip },
  async (t) => {
    // a second browser: the first runs with --disable-gpu, which hides WebGPU's adapter
    const gpuBrowser = await launchChromium(["--enable-unsafe-webgpu"]);
    try {
      const page = await gpuBrowser.newPage();
      page.on("pageerror", (e) => errors.push(`mnist.html (webgpu): ${String(e)}`));
      await page.goto(server!.url + "mnist.html?test=200");
      await page.waitForFunction("document.body.dataset.ready === 'true'", { timeout: 60_000 });
      const webgpu = await page.$eval("#backend option[value=webgpu]", (o) => ({
        on: !(o as HTMLOptionElement).disabled,
        detail: (o as HTMLOptionElement).title,
      }));
      if (!webgpu.on) {
        t.skip(`headless Chromium offers no WebGPU here: ${webgpu.detail}`);
        return;
      }
      // the same seeded steps on both backends, through the page's own training loop
      const run = (backend: string) =>
        page.evaluate(async (b) => {
          const api = (
            globalThis as unknown as {
              siteMnist: {
                train(o: object): Promise<{ steps: number; history: { loss: number }[] }>;
              };
            }
          ).siteMnist;
          const s = await api.train({ steps: 6, batchSize: 32, backend: b, testSize: 200 });
          return { steps: s.steps, losses: s.history.map((p) => p.loss) };
        }, backend);
      const gpu = await run("webgpu");
      const cpu = await run("typescript");
      assert.equal(gpu.steps, 6);
      // float32 sums in another order (and Adam's division by sqrt(v)) move the last digits
      const near = gpu.losses.every(
        (l, i) => Math.abs(l - cpu.losses[i]) <= 2e-3 * Math.max(1, Math.abs(cpu.losses[i])),
      );
      assert.ok(near, JSON.stringify({ gpu: gpu.losses, cpu: cpu.losses }));
      assert.ok(gpu.losses[5] < gpu.losses[0], JSON.stringify(gpu.losses));
      assert.deepEqual(errors, []);
    } finally {
      await gpuBrowser.close();
    }
  },
);
