// Where a browser workload's time goes (issue 13): tensorgrad's WebAssembly backend in headless
// Chromium on a cross-origin isolated page (as bench/browser.mjs runs it), one workload's steps
// in windows, each window reporting its per-step times, the renderer's page faults (/proc of the
// renderer process), the bytes copied into and out of the module (copyStats, Note [wasm
// copies]), the buffer pool's reuse (Note [wasm buffer pool]) and, with --profile, the CDP
// profiler's self time by function over the last window.
//   node bench/browser-diag.mjs [--workload elementwise|mlp|...] [--windows 8] [--steps 5]
//                               [--profile] [--threads n]
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { URL, fileURLToPath } from "node:url";
import { serve } from "../scripts/serve.mjs";
import { buildPageBundle } from "./lib/page-bundle.mjs";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const root = join(benchDir, "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const workload = opt("--workload", "elementwise");
const windows = Number(opt("--windows", "8"));
const steps = Number(opt("--steps", "5"));
const threads = opt("--threads", null);
const profile = args.includes("--profile");

const dir = mkdtempSync(join(os.tmpdir(), "tensorgrad-browser-diag-"));
writeFileSync(
  join(dir, "entry.mjs"),
  `import { load } from ${JSON.stringify(join(benchDir, "libs", "tensorgrad.mjs"))};
import * as torch from "tensorgrad";
import { nativeAddon } from ${JSON.stringify(join(root, "src", "backend", "native.ts"))};
globalThis.diagReady = async (threads) => {
  if (threads !== null) torch.setNumThreads(threads);
  for (let i = 0; i < 200 && /loading/.test(nativeAddon.describe); i++)
    await new Promise((r) => setTimeout(r, 50));
  return nativeAddon.describe;
};
let step = null;
globalThis.diagMake = async (w) => {
  step = (await load("wasm")).workloads[w]();
  return true;
};
globalThis.diagRun = (n) => {
  const c0 = nativeAddon.copyStats();
  const p0 = nativeAddon.bufferPoolStats?.() ?? null;
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  const c1 = nativeAddon.copyStats();
  const p1 = nativeAddon.bufferPoolStats?.() ?? null;
  return {
    times,
    calls: (c1.calls - c0.calls) / n,
    mbIn: (c1.bytesIn - c0.bytesIn) / n / 2 ** 20,
    mbOut: (c1.bytesOut - c0.bytesOut) / n / 2 ** 20,
    poolNewMB: p0 ? (p1.mapped - p0.mapped) / n / 2 ** 20 : null,
    poolReused: p0 ? (p1.reused - p0.reused) / n : null,
  };
};
`,
);
await buildPageBundle({ entry: join(dir, "entry.mjs"), dir });
const server = await serve(dir);
const { launch } = await import("puppeteer-core");
const browser = await launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    ...(process.env.DIAG_JS_FLAGS ? [`--js-flags=${process.env.DIAG_JS_FLAGS}`] : []),
  ],
});
const page = await browser.newPage();
page.on("console", (m) => console.error(`[page] ${m.text()}`));
await page.goto(server.url);
await page.waitForFunction("globalThis.diagRun !== undefined", { timeout: 120_000 });
const describe = await page.evaluate(
  (t) => globalThis.diagReady(t),
  threads === null ? null : Number(threads),
);
const bcdp = await browser.target().createCDPSession();
const renderers = async () =>
  (await bcdp.send("SystemInfo.getProcessInfo")).processInfo.filter((p) => p.type === "renderer");
const faults = async () => {
  let sum = 0;
  for (const p of await renderers()) {
    try {
      // /proc/<pid>/stat: minflt is field 10 (after the command name in parentheses)
      const st = readFileSync(`/proc/${p.id}/stat`, "utf8");
      sum += Number(st.slice(st.lastIndexOf(")") + 2).split(" ")[7]);
    } catch {
      /* the renderer ended */
    }
  }
  return sum;
};
await page.evaluate((w) => globalThis.diagMake(w), workload);
const cdp = await page.createCDPSession();
console.log(
  `${workload}, ${describe}, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
console.log(
  "window | ms/step (each) | faults/step | calls | MB in | MB out | pool new MB | pool reused",
);
for (let w = 0; w < windows; w++) {
  const last = w === windows - 1;
  if (last && profile) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
  }
  const f0 = await faults();
  const r = await page.evaluate((n) => globalThis.diagRun(n), steps);
  const f1 = await faults();
  console.log(
    [
      w,
      r.times.map((t) => t.toFixed(1)).join(" "),
      ((f1 - f0) / steps).toFixed(0),
      r.calls.toFixed(0),
      r.mbIn.toFixed(1),
      r.mbOut.toFixed(1),
      r.poolNewMB?.toFixed(1),
      r.poolReused?.toFixed(1),
    ].join(" | "),
  );
  if (last && profile) {
    const { profile: prof } = await cdp.send("Profiler.stop");
    const self = new Map();
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const dt = prof.timeDeltas;
    for (let i = 0; i < prof.samples.length; i++) {
      const n = byId.get(prof.samples[i]);
      const cf = n.callFrame;
      const key = `${cf.functionName || "(anon)"} ${cf.url.split("/").pop()}:${cf.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
    }
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    console.log(`profile (self ms over ${steps} steps, total ${total.toFixed(0)}):`);
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25))
      console.log(`  ${v.toFixed(1).padStart(8)}  ${k}`);
  }
}
await browser.close();
await server.close();
rmSync(dir, { recursive: true, force: true });
