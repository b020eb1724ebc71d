// The browser benchmark (issue 13): workloads 1-6 of `npm run bench` in one headless Chromium
// run (Debian's chromium, puppeteer-core) for tensorgrad (TypeScript, WebAssembly, WebGPU kernels:
// the site's backend selector, Note [site backends]), TF.js (cpu, wasm, webgl) and jax-js (wasm).
// bench/libs/*.mjs are bundled for the page as they are (bench/browser/peers.mjs stands in for
// bench/libs/peers.mjs); each library runs in a page of its own, all in the same browser.
//   npm run bench:browser                   9 timed repeats each
//   npm run bench:browser -- --quick        3 repeats
//   npm run bench:browser -- --only 3,cnn   workload numbers (1-6) or ids
//   npm run bench:browser -- --libs tensorgrad-ts,tfjs-wasm   some columns only (ids below)
//   npm run bench:browser -- --gpu          Chromium on the machine's GPU (Vulkan) for WebGPU and
//                                           WebGL, where there is one; without it both run on
//                                           SwiftShader (the CPU), and the WebGPU column is then a
//                                           correctness run only, not a speed figure
// Prints a markdown table (the layout of `npm run bench`) and writes bench/results/browser.json.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { setTimeout, clearTimeout } from "node:timers";
import { URL, fileURLToPath } from "node:url";
import { serve } from "../scripts/serve.mjs";
import { buildPageBundle } from "./lib/page-bundle.mjs";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const peersDir = join(benchDir, "peers");
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const gpu = args.includes("--gpu");
const onlyArg = args.includes("--only") ? args[args.indexOf("--only") + 1] : null;
const libsArg = args.includes("--libs") ? args[args.indexOf("--libs") + 1].split(",") : null;
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const repeats = quick ? 3 : 9;
const CASE_TIMEOUT_MS = (quick ? 120 : 300) * 1000;

const WORKLOADS = [
  { id: "tiny", n: 1, label: "1. tiny graph ((2x+1)²).mean() bwd", unit: "µs/iter", scale: 1e3 },
  { id: "poly", n: 2, label: "2. scalar polynomial bwd", unit: "µs/iter", scale: 1e3 },
  { id: "mlp", n: 3, label: "3. MLP step 128×784→256→10", unit: "ms/step", scale: 1 },
  { id: "matmul256", n: 4, label: "4. matmul fwd+bwd n=256", unit: "ms", scale: 1, size: 256 },
  { id: "matmul512", n: 4, label: "4. matmul fwd+bwd n=512", unit: "ms", scale: 1, size: 512 },
  { id: "matmul1024", n: 4, label: "4. matmul fwd+bwd n=1024", unit: "ms", scale: 1, size: 1024 },
  { id: "elementwise", n: 5, label: "5. elementwise 1e6 tanh(x·w+b)² bwd", unit: "ms", scale: 1 },
  { id: "cnn", n: 6, label: "6. CNN step 32×1×28×28", unit: "ms/step", scale: 1 },
];

const LIBRARIES = [
  { id: "tensorgrad-ts", label: "tensorgrad (TS)", lib: "tensorgrad", variant: "typescript" },
  { id: "tensorgrad-wasm", label: "tensorgrad (wasm)", lib: "tensorgrad", variant: "wasm" },
  { id: "tensorgrad-webgpu", label: "tensorgrad (WebGPU)", lib: "tensorgrad", variant: "webgpu" },
  { id: "tfjs-cpu", label: "TF.js cpu", lib: "tfjs", variant: "cpu", peer: true },
  { id: "tfjs-wasm", label: "TF.js wasm", lib: "tfjs", variant: "wasm", peer: true },
  { id: "tfjs-webgl", label: "TF.js webgl", lib: "tfjs", variant: "webgl", peer: true },
  { id: "jax-js", label: "jax-js (wasm)", lib: "jax-js", variant: "wasm", peer: true },
];

const selected = (w) =>
  !onlyArg || onlyArg.split(",").some((s) => s === w.id || s === String(w.n) || w.id.startsWith(s));

/** bench/peers installed (as bench/suite.mjs installs it); a note when it could not be. */
function installPeers() {
  const need = ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "@jax-js/jax"];
  const missing = () => need.filter((p) => !existsSync(join(peersDir, "node_modules", p)));
  if (missing().length === 0) return null;
  console.error("installing benchmark peers in bench/peers ...");
  spawnSync("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts"], {
    cwd: peersDir,
    stdio: "inherit",
    timeout: 600_000,
  });
  return missing().length === 0 ? null : `not installed in bench/peers: ${missing().join(", ")}`;
}

/** The page: bench/browser/page.mjs bundled, TF.js's .wasm files beside it. */
async function buildPage(dir, withPeers) {
  const peers = {
    name: "browser-peers",
    setup(b) {
      b.onResolve({ filter: /^\.\/peers\.mjs$/ }, (a) =>
        a.importer.endsWith(join("libs", "tfjs.mjs")) ||
        a.importer.endsWith(join("libs", "jax-js.mjs"))
          ? { path: join(benchDir, "browser", "peers.mjs") }
          : undefined,
      );
    },
  };
  // (the namespace "stub" is loaded by buildPageBundle's node:fs stub)
  const peerless = withPeers
    ? []
    : [
        {
          name: "no-peers",
          setup(b) {
            b.onResolve({ filter: /libs\/(tfjs|jax-js)\.mjs$/ }, (a) => ({
              path: a.path,
              namespace: "stub",
            }));
          },
        },
      ];
  await buildPageBundle({
    entry: join(benchDir, "browser", "page.mjs"),
    dir,
    title: "bench",
    plugins: [peers, ...peerless],
    options: { nodePaths: [join(peersDir, "node_modules")] },
  });
  if (withPeers) {
    const wasmDir = join(peersDir, "node_modules", "@tensorflow", "tfjs-backend-wasm", "dist");
    mkdirSync(join(dir, "tfjs-wasm"));
    for (const f of readdirSync(wasmDir).filter((f) => f.endsWith(".wasm")))
      cpSync(join(wasmDir, f), join(dir, "tfjs-wasm", f));
  }
}

function machine() {
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? "unknown",
    memoryGB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
  };
}

const fmt = (v) =>
  v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);

// ---------------------------------------------------------------------------------------------
if (!existsSync(chromium)) {
  console.error(`no Chromium at ${chromium} (set CHROMIUM_PATH)`);
  process.exit(1);
}
const workloads = WORKLOADS.filter(selected);
const peerNote = installPeers();
const dir = mkdtempSync(join(os.tmpdir(), "tensorgrad-bench-browser-"));
await buildPage(dir, peerNote === null);
const server = await serve(dir);
const { launch } = await import("puppeteer-core");
// software WebGL (SwiftShader) for TF.js's webgl backend and SwiftShader's WebGPU adapter; with
// --gpu, the machine's GPU through Vulkan for both (headless Chromium leaves the GPU out unless
// told; its blocklist is ignored as a benchmark's GPU is chosen on purpose)
const browser = await launch({
  executablePath: chromium,
  headless: true,
  args: gpu
    ? [
        "--no-sandbox",
        "--enable-unsafe-webgpu",
        "--enable-gpu",
        "--ignore-gpu-blocklist",
        "--use-angle=vulkan",
        "--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan",
      ]
    : [
        "--no-sandbox",
        "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader",
        "--enable-unsafe-webgpu",
      ],
});
const chromeVersion = await browser.version();
const loadBefore = os.loadavg().map((x) => +x.toFixed(2));

async function newPage() {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction("globalThis.benchReady === true", { timeout: 120_000 });
  return page;
}

const results = Object.fromEntries(workloads.map((w) => [w.id, {}]));
const notes = [];
for (const lib of LIBRARIES) {
  if (libsArg !== null && !libsArg.includes(lib.id)) {
    for (const w of workloads)
      results[w.id][lib.id] = { ok: false, status: "skipped", reason: "not in --libs" };
    continue;
  }
  if (lib.peer && peerNote !== null) {
    for (const w of workloads)
      results[w.id][lib.id] = { ok: false, status: "not installed", reason: peerNote };
    continue;
  }
  let page = await newPage();
  for (const w of workloads) {
    process.stderr.write(`${w.id} · ${lib.label} ... `);
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, status: "timeout", reason: `over ${CASE_TIMEOUT_MS / 1000} s` }),
        CASE_TIMEOUT_MS,
      );
    });
    const run = page.evaluate(
      (l, v, id, o) => globalThis.benchRun(l, v, id, o),
      lib.lib,
      lib.variant,
      w.id,
      // (the warm-up of bench/run-js.mjs: Note [warm-up until steady] in bench/lib/harness.mjs)
      {
        repeats,
        minRepMs: quick ? 50 : 150,
        warmupMs: quick ? 500 : 2000,
        steadyMs: quick ? 3000 : 8000,
      },
    );
    let r = await Promise.race([
      run.catch((e) => ({ ok: false, status: "error", reason: String(e.message) })),
      timeout,
    ]);
    clearTimeout(timer);
    if (r.status === "timeout") {
      // the page is stuck in the workload: a fresh one for the next
      await page.close().catch(() => {});
      page = await newPage();
    }
    if (r.ok) {
      r.value = r.ms * w.scale;
      if (w.size) r.gflops = (6 * w.size ** 3) / (r.ms * 1e6);
    }
    process.stderr.write(r.ok ? `${fmt(r.value)} ${w.unit}\n` : `${r.status}: ${r.reason}\n`);
    results[w.id][lib.id] = r;
    // a library that is not there is not there for the other workloads either
    if (!r.ok && (r.status === "not available" || r.status === "not wired")) {
      for (const rest of workloads.slice(workloads.indexOf(w) + 1)) results[rest.id][lib.id] = r;
      break;
    }
  }
  await page.close().catch(() => {});
}
await browser.close();
await server.close();
rmSync(dir, { recursive: true, force: true });

// Note [browser bench devices]: WebGPU on SwiftShader (a CPU implementation) checks that the
// device's kernels run the workloads, not how fast a GPU runs them: its column is labelled a
// correctness run and never taken as tensorgrad's figure for the ratios
const webgpuInfo =
  Object.values(results)
    .map((x) => x["tensorgrad-webgpu"])
    .find((r) => r?.ok)?.info ?? "";
const softwareGpu = /swiftshader/i.test(webgpuInfo) || (!gpu && webgpuInfo !== "");
if (softwareGpu) {
  const col = LIBRARIES.find((l) => l.id === "tensorgrad-webgpu");
  col.label = "tensorgrad (WebGPU on SwiftShader: correctness run, not a speed figure)";
  notes.push(
    `tensorgrad (WebGPU): ${webgpuInfo}; SwiftShader runs WebGPU on the CPU, so these figures only show that the workloads run on the device (\`--gpu\` for a real GPU)`,
  );
}

// the table: medians, and tensorgrad's ratio to each (tensorgrad / library; < 1 = tensorgrad
// faster); tensorgrad = its fastest kernels in the page for the workload
const rows = [];
const baseline = {};
for (const w of workloads) {
  const ours = ["tensorgrad-ts", "tensorgrad-wasm", ...(softwareGpu ? [] : ["tensorgrad-webgpu"])]
    .filter((id) => results[w.id][id]?.ok)
    .sort((a, b) => results[w.id][a].value - results[w.id][b].value)[0];
  baseline[w.id] = ours ?? null;
  const cells = LIBRARIES.map((c) => {
    const r = results[w.id][c.id];
    if (!r?.ok) {
      const note = `${c.label}: ${r?.status} — ${r?.reason}`;
      if (
        r?.reason &&
        !notes.includes(note) &&
        !notes.some((n) => n.startsWith(`${c.label}, `) && n.endsWith(r.reason))
      )
        notes.push(
          r.status === "not available" || r.status === "not wired"
            ? note
            : `${c.label}, ${w.id}: ${r.status} — ${r.reason}`,
        );
      return r?.status ?? "n/a";
    }
    let s = fmt(r.value);
    if (r.gflops !== undefined) s += ` (${fmt(r.gflops)} GF/s)`;
    if (ours !== undefined && c.id !== ours && !(softwareGpu && c.id === "tensorgrad-webgpu")) {
      r.ratio = results[w.id][ours].value / r.value;
      s += ` · **${fmt(r.ratio)}x**`;
    }
    return s;
  });
  rows.push([w.label, w.unit, ...cells]);
}
const header = ["workload", "unit", ...LIBRARIES.map((c) => c.label)];
const table = [header, header.map(() => "---"), ...rows]
  .map((r) => `| ${r.join(" | ")} |`)
  .join("\n");
const m = machine();
m.loadAverageBefore = loadBefore;
m.chromium = chromeVersion;
console.log(
  `\nChromium ${chromeVersion}, headless; medians of ${repeats} timed repeats after warm-up; ` +
    "**ratio = tensorgrad / library** (below 1: tensorgrad is faster), where tensorgrad is its " +
    "fastest kernels in the page. GF/s counts 6n³ flops.\n",
);
console.log(table);
console.log(`\nMachine: ${m.nproc} CPUs, ${m.cpu}, ${m.memoryGB} GB, ${m.os}`);
console.log(
  `Load average (1, 5, 15 min): ${loadBefore.join(", ")} before, ${m.loadAverage.join(", ")} after` +
    (m.loadAverage[0] > m.nproc / 2 ? " — other work shared the CPUs; figures are noisy" : ""),
);
for (const n of notes) console.log(`- ${n}`);

const info = {};
for (const lib of LIBRARIES)
  info[lib.id] =
    Object.values(results)
      .map((x) => x[lib.id])
      .find((r) => r?.ok)?.info ?? null;
const json = {
  date: new Date().toISOString(),
  mode: quick ? "quick" : "full",
  gpu,
  webgpu: softwareGpu ? "SwiftShader (correctness run only)" : webgpuInfo || null,
  repeats,
  ratio:
    "tensorgrad / library (time; < 1 means tensorgrad is faster); tensorgrad = its fastest kernels in the page",
  ratioBaseline: baseline,
  machine: m,
  libraries: Object.fromEntries(LIBRARIES.map((l) => [l.id, { label: l.label, info: info[l.id] }])),
  workloads: Object.fromEntries(
    workloads.map((w) => [w.id, { label: w.label, unit: w.unit, results: results[w.id] }]),
  ),
  table,
};
mkdirSync(join(benchDir, "results"), { recursive: true });
let text = JSON.stringify(json, null, 2) + "\n";
try {
  const prettier = await import("prettier"); // keeps the file as `prettier --check` wants it
  text = await prettier.format(text, { parser: "json", printWidth: 100 });
} catch {
  /* prettier is a devDependency; without it the plain JSON stands */
}
writeFileSync(join(benchDir, "results", "browser.json"), text);
console.log("\nwritten: bench/results/browser.json");
