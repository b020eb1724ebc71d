// The benchmark suite of issue 5: the same workloads, shapes and float32 data for tensorgrad,
// PyTorch (Debian's /usr/bin/python3, in each configuration of bench/lib/pytorch.mjs; the
// fastest per workload is "PyTorch best"), TF.js (cpu, wasm), jax-js and
// js-pytorch. Every measurement runs in a child process of its own; a peer that cannot install
// or run a workload is reported in the table, not a crash.
//   npm run bench                     all workloads, 9 timed repeats each
//   npm run bench -- --quick          3 repeats
//   npm run bench -- --only 4,mlp     workload numbers (1-10) or ids (tiny, poly, mlp, matmul256,
//                                     ..., gpt, lstm, and bench/ops.mjs's: 8 for all of them, sort,
//                                     topk, ...; startup for the import cost alone)
// Prints a markdown table and writes bench/results/latest.json; then runs bench/ops.mjs (issue
// 10's operator workloads against PyTorch at its best, bench/results/ops.json) with the same
// arguments, and bench/startup.mjs (the import cost: whole `node` processes against bare node).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { URL, fileURLToPath } from "node:url";
import { TORCH_CONFIGS, TORCH_PY, bestCoreType, fastest, torchEnv } from "./lib/pytorch.mjs";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const peersDir = benchDir + "peers/";
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const onlyArg = args.includes("--only") ? args[args.indexOf("--only") + 1] : null;
const PY = TORCH_PY;

const WORKLOADS = [
  { id: "tiny", n: 1, label: "1. tiny graph ((2x+1)²).mean() bwd", unit: "µs/iter", scale: 1e3 },
  { id: "poly", n: 2, label: "2. scalar polynomial bwd", unit: "µs/iter", scale: 1e3 },
  { id: "mlp", n: 3, label: "3. MLP step 128×784→256→10", unit: "ms/step", scale: 1 },
  { id: "matmul256", n: 4, label: "4. matmul fwd+bwd n=256", unit: "ms", scale: 1, size: 256 },
  { id: "matmul512", n: 4, label: "4. matmul fwd+bwd n=512", unit: "ms", scale: 1, size: 512 },
  { id: "matmul1024", n: 4, label: "4. matmul fwd+bwd n=1024", unit: "ms", scale: 1, size: 1024 },
  { id: "elementwise", n: 5, label: "5. elementwise 1e6 tanh(x·w+b)² bwd", unit: "ms", scale: 1 },
  { id: "cnn", n: 6, label: "6. CNN step 32×1×28×28", unit: "ms/step", scale: 1 },
  { id: "memory", n: 7, label: "7. peak RSS, 1,000 MLP steps", unit: "MB", scale: 1 },
  // 8 is bench/ops.mjs's operator group
  { id: "gpt", n: 9, label: "9. GPT step 4×128, ctx 64, batch 16", unit: "ms/step", scale: 1 },
  { id: "lstm", n: 10, label: "10. LSTM step 2×256, 32×35×64", unit: "ms/step", scale: 1 },
];

// Libraries whose 1,000 MLP steps take minutes are left out of the memory workload.
const LIBRARIES = [
  {
    id: "tensorgrad",
    label: "tensorgrad (TS)",
    js: "tensorgrad",
    env: { TENSORGRAD_BACKEND: "js" },
  },
  {
    id: "tensorgrad-native",
    label: "tensorgrad (native)",
    js: "tensorgrad",
    env: { TENSORGRAD_BACKEND: "native" },
  },
  {
    id: "tensorgrad-wasm",
    label: "tensorgrad (wasm)",
    js: "tensorgrad",
    env: { TENSORGRAD_BACKEND: "wasm" },
  },
  ...TORCH_CONFIGS.map((c) => ({ id: c.id, label: `PyTorch ${c.label}`, py: c.threads, torch: c })),
  { id: "tfjs-cpu", label: "TF.js cpu", js: "tfjs", variant: "cpu", peer: true, noMemory: true },
  { id: "tfjs-wasm", label: "TF.js wasm", js: "tfjs", variant: "wasm", peer: true },
  { id: "jax-js", label: "jax-js", js: "jax-js", peer: "@jax-js/jax" },
  { id: "js-pytorch", label: "js-pytorch", js: "js-pytorch", peer: "js-pytorch", noMemory: true },
];

function selected(w) {
  if (!onlyArg) return true;
  return onlyArg.split(",").some((s) => s === w.id || s === String(w.n) || w.id.startsWith(s));
}

/** Installs bench/peers when missing; returns notes on what could not be installed. */
function installPeers() {
  const notes = {};
  const need = ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "@jax-js/jax", "js-pytorch"];
  const missing = () =>
    need.filter((p) => !existsSync(`${peersDir}node_modules/${p}/package.json`));
  const npm = (extra) =>
    spawnSync("npm", ["install", "--no-audit", "--no-fund", ...extra], {
      cwd: peersDir,
      encoding: "utf8",
      timeout: 600_000,
    });
  if (missing().length) {
    console.error("installing benchmark peers in bench/peers ...");
    let r = npm([]);
    if (r.status !== 0) {
      const gl = /gyp|pkg-config|x11|xi\b/i.test(r.stderr + r.stdout);
      console.error(
        "npm install failed" +
          (gl ? " (native gl module)" : "") +
          "; retrying without install scripts",
      );
      r = npm(["--ignore-scripts"]);
    }
    if (r.status !== 0) notes.install = "npm install in bench/peers failed: " + lastLine(r.stderr);
  }
  for (const p of missing()) notes[p] = "not installed";
  if (!existsSync(`${peersDir}node_modules/js-pytorch/package.json`)) return notes;
  const glBuilt = existsSync(`${peersDir}node_modules/gl/build/Release/webgl.node`);
  if (!glBuilt) {
    const absent = ["x11", "xi", "xext", "gl"].filter(
      (m) => spawnSync("pkg-config", ["--exists", m]).status !== 0,
    );
    notes["js-pytorch"] =
      "its native `gl` module (GPU path only) did not build" +
      (absent.length
        ? ` — pkg-config finds no ${absent.join(", ")} (X11 headers, e.g. libxi-dev)`
        : "") +
      "; installed with --ignore-scripts, runs on its CPU path";
  }
  return notes;
}

const lastLine = (s) =>
  String(s ?? "")
    .trim()
    .split("\n")
    .filter((l) => !l.startsWith("npm warn"))
    .pop() ?? "";

/** One child process: returns its parsed result line, or an error record. */
function runChild(lib, w) {
  const timeout = (quick ? 240 : 600) * 1000;
  const extra = quick ? ["--quick"] : [];
  let cmd;
  let argv;
  if (lib.py) {
    if (!existsSync(PY)) return { ok: false, status: "absent", reason: `${PY} not found` };
    cmd = PY;
    argv = [benchDir + "torch_runner.py", String(lib.py), w.id, ...extra];
  } else {
    cmd = process.execPath;
    argv = [benchDir + "run-js.mjs", lib.js, w.id, ...extra];
    if (lib.variant) argv.push("--variant=" + lib.variant);
  }
  const env = lib.torch ? torchEnv(lib.torch) : { ...process.env, ...lib.env };
  const r = spawnSync(cmd, argv, { encoding: "utf8", timeout, maxBuffer: 64 << 20, env });
  if (r.error?.code === "ETIMEDOUT" || r.signal === "SIGTERM")
    return { ok: false, status: "timeout", reason: `over ${timeout / 1000} s` };
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("@@RESULT "));
  if (!line)
    return { ok: false, status: "error", reason: lastLine(r.stderr) || `exit ${r.status}` };
  return JSON.parse(line.slice(9));
}

function machine() {
  let cpu = os.cpus()[0]?.model ?? "unknown";
  try {
    const m = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpu = m[1].trim();
  } catch {
    /* not Linux */
  }
  return {
    nproc: os.availableParallelism(),
    cpu,
    memoryGB: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
  };
}

const fmt = (v) =>
  v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);

/** bench/ops.mjs in a child of its own, with this run's arguments (it selects its own cases). */
function runOps() {
  const r = spawnSync(process.execPath, [benchDir + "ops.mjs", ...args], { stdio: "inherit" });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}

/** bench/startup.mjs (the import cost: whole processes against bare node) in a child. */
function runStartup() {
  const n = quick ? ["--n", "9"] : [];
  const r = spawnSync(process.execPath, [benchDir + "startup.mjs", ...n], { stdio: "inherit" });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}

// ---------------------------------------------------------------------------------------------
const workloads = WORKLOADS.filter(selected);
if (workloads.length === 0) {
  // only operator workloads selected: no suite table, bench/results/latest.json kept
  if (onlyArg.split(",").includes("startup")) runStartup();
  else runOps();
  process.exit();
}
const installNotes = installPeers();
const loadBefore = os.loadavg().map((x) => +x.toFixed(2));
const results = {};
for (const w of workloads) {
  results[w.id] = {};
  for (const lib of LIBRARIES) {
    let r;
    if (lib.absent) r = { ok: false, status: "not built", reason: lib.absent };
    else if (w.id === "memory" && lib.noMemory)
      r = { ok: false, status: "skipped", reason: "1,000 MLP steps take minutes" };
    else if (
      lib.peer &&
      installNotes[lib.peer === true ? "@tensorflow/tfjs" : lib.peer] === "not installed"
    )
      r = { ok: false, status: "not installed", reason: "not installed in bench/peers" };
    else {
      process.stderr.write(`${w.id} · ${lib.label} ... `);
      r = runChild(lib, w);
      if (!r.ok && lib.id === "tensorgrad-native" && /TENSORGRAD_BACKEND=native/.test(r.reason))
        r = { ok: false, status: "not built", reason: r.reason };
      process.stderr.write(r.ok ? "ok\n" : `${r.status}: ${r.reason}\n`);
    }
    if (r.ok) {
      r.value = w.id === "memory" ? r.peakMB : r.ms * w.scale;
      if (w.size) r.gflops = (6 * w.size ** 3) / (r.ms * 1e6);
    }
    results[w.id][lib.id] = r;
  }
  const best = fastest(
    Object.fromEntries(
      TORCH_CONFIGS.map((c) => [
        c.id,
        results[w.id][c.id]?.ok ? results[w.id][c.id].value : undefined,
      ]),
    ),
  );
  results[w.id].torchBest = best
    ? { ...results[w.id][best.config.id], which: best.config.label }
    : { ok: false, status: "n/a", reason: "no PyTorch result" };
}

// the table: medians, and tensorgrad's ratio to each (tensorgrad / library; < 1 = tensorgrad
// faster or smaller)
const cols = [
  ...LIBRARIES.slice(0, 2),
  { id: "torchBest", label: "PyTorch best" },
  ...LIBRARIES.slice(2),
];
const notes = [];
const rows = [];
// tensorgrad's figure for the ratios: the native backend where it runs, else TypeScript
const baseline = (w) =>
  results[w.id]["tensorgrad-native"]?.ok ? "tensorgrad-native" : "tensorgrad";
for (const w of workloads) {
  const base = baseline(w);
  const ours = results[w.id][base];
  const cells = cols.map((c) => {
    const r = results[w.id][c.id];
    if (!r?.ok) {
      if (c.id !== "tensorgrad-native" && r?.reason)
        notes.push(`${c.label}, ${w.id}: ${r.status} — ${r.reason}`);
      return r?.status ?? "n/a";
    }
    let s = fmt(r.value);
    if (r.gflops !== undefined) s += ` (${fmt(r.gflops)} GF/s)`;
    if (c.id === "torchBest") s += ` [${r.which}]`;
    if (c.id !== base && ours?.ok) {
      r.ratio = ours.value / r.value;
      s += ` · **${fmt(r.ratio)}x**`;
    }
    return s;
  });
  if (w.id === "memory")
    for (const c of cols) {
      const r = results[w.id][c.id];
      if (r?.ok && c.id !== "torchBest")
        notes.push(
          `${c.label}, memory: RSS ${fmt(r.warmupMB)} MB after warm-up (100 steps), grew ${fmt(r.growthMB)} MB from the first to the second half of the remaining steps`,
        );
    }
  rows.push([w.label, w.unit, ...cells]);
}
const header = ["workload", "unit", ...cols.map((c) => c.label)];
const table = [header, header.map(() => "---"), ...rows]
  .map((r) => `| ${r.join(" | ")} |`)
  .join("\n");

const info = {};
for (const lib of LIBRARIES) {
  const anyOk = Object.values(results)
    .map((x) => x[lib.id])
    .find((r) => r?.ok);
  info[lib.id] = anyOk?.info ?? lib.absent ?? null;
}
const m = machine();
console.log(
  `\nMedians of ${quick ? 3 : 9} timed repeats after warm-up; **ratio = tensorgrad / library** ` +
    "(time or memory; below 1 means tensorgrad is faster or smaller), where tensorgrad is its " +
    "native backend when that runs, else TypeScript. GF/s counts 6n³ flops.\n",
);
console.log(table);
m.loadAverageBefore = loadBefore;
console.log(`\nMachine: ${m.nproc} CPUs, ${m.cpu}, ${m.memoryGB} GB, ${m.os}, Node ${m.node}`);
console.log(
  `Load average (1, 5, 15 min): ${loadBefore.join(", ")} before, ${m.loadAverage.join(", ")} after` +
    (m.loadAverage[0] > m.nproc / 2 ? " — other work shared the CPUs; figures are noisy" : ""),
);
for (const [k, v] of Object.entries(installNotes)) console.log(`- install, ${k}: ${v}`);
// (Note [OpenBLAS core type], bench/lib/pytorch.mjs)
m.openblasCoreType = bestCoreType() ?? "unset";
console.log(`- PyTorch's OpenBLAS kernels: OPENBLAS_CORETYPE ${m.openblasCoreType}`);
for (const n of notes) console.log(`- ${n}`);

const json = {
  date: new Date().toISOString(),
  mode: quick ? "quick" : "full",
  repeats: quick ? 3 : 9,
  ratio:
    "tensorgrad / library (time or memory; < 1 means tensorgrad is faster or smaller); " +
    "tensorgrad = its native backend where it runs, else TypeScript",
  ratioBaseline: Object.fromEntries(workloads.map((w) => [w.id, baseline(w)])),
  machine: m,
  libraries: Object.fromEntries(LIBRARIES.map((l) => [l.id, { label: l.label, info: info[l.id] }])),
  installNotes,
  workloads: Object.fromEntries(
    workloads.map((w) => [w.id, { label: w.label, unit: w.unit, results: results[w.id] }]),
  ),
  table,
};
mkdirSync(benchDir + "results", { recursive: true });
let text = JSON.stringify(json, null, 2) + "\n";
try {
  const prettier = await import("prettier"); // keeps the file as `prettier --check` wants it
  text = await prettier.format(text, { parser: "json", printWidth: 100 });
} catch {
  /* prettier is a devDependency; without it the plain JSON stands */
}
writeFileSync(benchDir + "results/latest.json", text);
console.log("\nwritten: bench/results/latest.json");

runOps();
runStartup();
