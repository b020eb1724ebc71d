/**
 * The WebGPU device in headless Chromium (SwiftShader's WebGPU adapter, `--enable-unsafe-webgpu`):
 * the device cases of test/helpers/webgpu-cases.ts against the CPU backend in the same page,
 * gradients on the device, and an MLP's SGD steps. Without Chromium, or where Chromium finds no
 * WebGPU adapter, the tests skip and say so.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { chromiumSkip, launchChromium } from "./helpers/chromium.js";
import type { Browser, Page } from "puppeteer-core";
import type { WebgpuPageApi } from "./browser/webgpu-entry.js";
import type { CaseResult } from "./helpers/webgpu-cases.js";

type Page_ = { tensorgradWebgpu: WebgpuPageApi };

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
let skip: string | false = chromiumSkip;
let browser: Browser | null = null;
let page: Page | null = null;

before(async () => {
  if (skip !== false) return;
  const bundle = await build({
    entryPoints: [join(root, "test", "browser", "webgpu-entry.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
    logLevel: "silent",
  });
  browser = await launchChromium(["--enable-unsafe-webgpu"]);
  page = await browser.newPage();
  // a secure context (navigator.gpu exists only there): a file URL, unlike about:blank
  await page.goto(pathToFileURL(join(root, "test", "browser")).href + "/");
  await page.addScriptTag({ content: bundle.outputFiles[0].text, type: "module" });
  await page.waitForFunction("globalThis.tensorgradWebgpu !== undefined", { timeout: 60_000 });
  const r = await page.evaluate(() => (globalThis as unknown as Page_).tensorgradWebgpu.init());
  if (!r.ok) skip = "headless Chromium found no WebGPU adapter";
  else console.log(`WebGPU adapter: ${r.info}`);
});

after(async () => {
  await browser?.close();
});

const close = (a: number[], b: number[]): boolean =>
  a.length === b.length &&
  a.every(
    (v, i) =>
      Math.abs(v - b[i]) <= 1e-4 + 1e-4 * Math.abs(v) || (Number.isNaN(v) && Number.isNaN(b[i])),
  );
const bad = (rs: CaseResult[]): string[] =>
  rs
    .filter((r) => !close(r.cpu, r.device) || String(r.shapeCpu) !== String(r.shapeDevice))
    .map((r) => r.name);

test("ops on Chromium's WebGPU device match the CPU", async (t) => {
  if (skip !== false) return t.skip(skip);
  const rs = await page!.evaluate(() =>
    (globalThis as unknown as Page_).tensorgradWebgpu.runCases(),
  );
  assert.ok(rs.length > 40);
  assert.deepEqual(bad(rs), []);
});

test("gradients on Chromium's WebGPU device match the CPU's", async (t) => {
  if (skip !== false) return t.skip(skip);
  const rs = await page!.evaluate(() =>
    (globalThis as unknown as Page_).tensorgradWebgpu.runGradCases(),
  );
  assert.deepEqual(bad(rs), []);
});

test("an MLP trains on Chromium's WebGPU device as on the CPU", async (t) => {
  if (skip !== false) return t.skip(skip);
  const { cpu, device } = await page!.evaluate(() =>
    (globalThis as unknown as Page_).tensorgradWebgpu.runMlp(),
  );
  assert.ok(close(cpu, device));
  assert.ok(device[4] < device[0]);
});
