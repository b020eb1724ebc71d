// Operator workloads of issue 10's speed bar (sort/topk, scatterAdd/indexAdd, einsum, cumsum/
// cumprod) and issue 14's linalg and FFT rows, tensorgrad (TENSORGRAD_BACKEND, native by default)
// side by side with PyTorch at its
// best (bench/lib/pytorch.mjs: the fastest configuration counts). One long-lived PyTorch worker
// per configuration (bench/ops_runner.py) holds the same data (both draw it after
// manualSeed(0), with PyTorch's generator streams), and as many tensorgrad worker processes
// (Note [one process per configuration]); per round each case runs best-of-`REPS` in each
// tensorgrad worker, then in each PyTorch worker, so load on the shared machine hits both
// alike, and the best of the rounds counts. The JavaScript peers that have a linalg or FFT op
// get a column each (Note [peer columns]). Run by bench/suite.mjs after its own workloads (`npm run bench`), or alone:
//   node bench/ops.mjs [--quick] [--only sort,topk,8]   (--only: ids, id prefixes or 8 for all)
// Prints a markdown table of ratios (tensorgrad / PyTorch best; below 1 = tensorgrad faster)
// with the load average at each case, and writes bench/results/ops.json. Next to wall time it
// records CPU time (every thread of the process, best call): on a loaded machine wall time
// swings with the scheduler, while CPU time measures the work, so the CPU ratio against
// PyTorch's 1-thread run says whether a gap is real (parallel kernels pay their threads there).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { URL, fileURLToPath } from "node:url";
import { clearTimeout, setTimeout } from "node:timers";

import { TORCH_CONFIGS, TORCH_PY, fastest, torchAvailable, torchEnv } from "./lib/pytorch.mjs";

const benchDir = fileURLToPath(new URL(".", import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const onlyArg = args.includes("--only") ? args[args.indexOf("--only") + 1] : null;
const REPS = quick ? 3 : 7;
const ROUNDS = quick ? 2 : 4;
/** the suite's workload number for this group (`--only 8` selects every case) */
const GROUP = 8;

// the built package when `npm run bench` built it, else the sources (under `node --import tsx`)
const torch = existsSync(benchDir + "../dist/index.js")
  ? await import("../dist/index.js")
  : await import("../src/index.ts");

const N = 1_000_000;
const draw = {
  // x: 1e6 uniform floats
  x: ["x = torch.rand(1000000)", () => ({ x: torch.rand(N) })],
  // scatter/index sources into `rows` slots: uniform source, uniform random index
  scatter: (rows) => [
    `src = torch.rand(1000000); index = torch.randint(0, ${rows}, (1000000,)); self = torch.zeros(${rows})`,
    () => ({
      src: torch.rand(N),
      index: torch.randint(0, rows, [N]),
      self: torch.zeros(rows),
    }),
  ],
  // index_add of 1e4 rows of 100 (1e6 elements) into `rows` rows (an embedding-gradient shape)
  indexRows: (rows) => [
    `src = torch.rand(10000, 100); index = torch.randint(0, ${rows}, (10000,)); self = torch.zeros(${rows}, 100)`,
    () => ({
      src: torch.rand(10000, 100),
      index: torch.randint(0, rows, [10000]),
      self: torch.zeros(rows, 100),
    }),
  ],
  bmm: [
    "a = torch.rand(64, 128, 128); b = torch.rand(64, 128, 128)",
    () => ({ a: torch.rand(64, 128, 128), b: torch.rand(64, 128, 128) }),
  ],
  attn: [
    "q = torch.rand(8, 8, 128, 64); k = torch.rand(8, 8, 128, 64)",
    () => ({ q: torch.rand(8, 8, 128, 64), k: torch.rand(8, 8, 128, 64) }),
  ],
  // cumsum data; cumprod's factors near 1 so the products stay normal floats (no underflow to
  // subnormals, which would time the FPU's slow path instead of the kernel)
  cum: [
    "x = torch.rand(1000000) - 0.5; m = torch.rand(1000, 1000) - 0.5",
    () => ({ x: torch.rand(N).sub(0.5), m: torch.rand(1000, 1000).sub(0.5) }),
  ],
  prod: [
    "x = torch.rand(1000000) * 0.002 + 0.999; m = torch.rand(1000, 1000) * 0.002 + 0.999",
    () => ({
      x: torch.rand(N).mul(0.002).add(0.999),
      m: torch.rand(1000, 1000).mul(0.002).add(0.999),
    }),
  ],
  // issue 14's linalg sizes: a symmetric positive-definite 512 x 512 (a a^T + 512 I) with one
  // right-hand side, a 256 x 256 uniform matrix and its symmetric part
  spd: [
    "a = torch.rand(512, 512); A = a @ a.mT + 512 * torch.eye(512); b = torch.rand(512, 1)",
    () => {
      const a = torch.rand(512, 512);
      return { A: a.matmul(a.mT).add(torch.eye(512).mul(512)), b: torch.rand(512, 1) };
    },
  ],
  // issue 14's complex linalg: a complex128 512 x 512 (uniform parts), its LU factors and a
  // 512 x 512 right-hand side
  zmat: [
    "z = torch.complex(torch.rand(512, 512), torch.rand(512, 512)).to(torch.complex128); zb = torch.complex(torch.rand(512, 512), torch.rand(512, 512)).to(torch.complex128); LU, piv = torch.linalg.lu_factor(z)",
    () => {
      const z = torch.complex(torch.rand(512, 512), torch.rand(512, 512)).to(torch.complex128);
      const zb = torch.complex(torch.rand(512, 512), torch.rand(512, 512)).to(torch.complex128);
      const { LU, pivots } = torch.linalg.luFactor(z);
      return { z, zb, LU, piv: pivots };
    },
  ],
  // issue 14's FFT sizes: 2^20 samples (radix 4 and 2), the prime 1,000,003 (Bluestein) and a
  // 512 x 512 plane
  fft: [
    "x = torch.rand(1048576); p = torch.rand(1000003); m = torch.rand(512, 512)",
    () => ({ x: torch.rand(1048576), p: torch.rand(1000003), m: torch.rand(512, 512) }),
  ],
  square: [
    "s = torch.rand(256, 256); S = s + s.mT",
    () => {
      const s = torch.rand(256, 256);
      return { s, S: s.add(s.mT) };
    },
  ],
};

/** [id, label, data, PyTorch expression, tensorgrad call] */
const CASES = [
  ["sort", "sort 1e6", draw.x, "torch.sort(x)", (d) => torch.sort(d.x)],
  [
    "sortStable",
    "sort 1e6 stable",
    draw.x,
    "torch.sort(x, stable=True)",
    (d) => torch.sort(d.x, { stable: true }),
  ],
  [
    "sortDescending",
    "sort 1e6 descending",
    draw.x,
    "torch.sort(x, descending=True)",
    (d) => torch.sort(d.x, { descending: true }),
  ],
  ["argsort", "argsort 1e6", draw.x, "torch.argsort(x)", (d) => torch.argsort(d.x)],
  ["topk10", "topk 1e6, k=10", draw.x, "torch.topk(x, 10)", (d) => torch.topk(d.x, 10)],
  ["topk1000", "topk 1e6, k=1000", draw.x, "torch.topk(x, 1000)", (d) => torch.topk(d.x, 1000)],
  [
    "topk100000",
    "topk 1e6, k=100000",
    draw.x,
    "torch.topk(x, 100000)",
    (d) => torch.topk(d.x, 100000),
  ],
  [
    "scatterAdd1e4",
    "scatterAdd 1e6 → 1e4",
    draw.scatter(10000),
    "self.scatter_add(0, index, src)",
    (d) => d.self.scatterAdd(0, d.index, d.src),
  ],
  [
    "scatterAdd1e5",
    "scatterAdd 1e6 → 1e5",
    draw.scatter(100000),
    "self.scatter_add(0, index, src)",
    (d) => d.self.scatterAdd(0, d.index, d.src),
  ],
  [
    "indexAdd1e4",
    "indexAdd 1e6 → 1e4",
    draw.scatter(10000),
    "self.index_add(0, index, src)",
    (d) => d.self.indexAdd(0, d.index, d.src),
  ],
  [
    "indexAdd1e5",
    "indexAdd 1e6 → 1e5",
    draw.scatter(100000),
    "self.index_add(0, index, src)",
    (d) => d.self.indexAdd(0, d.index, d.src),
  ],
  [
    "indexAddRows",
    "indexAdd 1e4×100 → 1e4×100 rows",
    draw.indexRows(10000),
    "self.index_add(0, index, src)",
    (d) => d.self.indexAdd(0, d.index, d.src),
  ],
  [
    "einsumBmm",
    'einsum "bij,bjk->bik" 64×128×128',
    draw.bmm,
    'torch.einsum("bij,bjk->bik", a, b)',
    (d) => torch.einsum("bij,bjk->bik", d.a, d.b),
  ],
  [
    "einsumAttn",
    'einsum "bhqd,bhkd->bhqk" 8×8×128×64',
    draw.attn,
    'torch.einsum("bhqd,bhkd->bhqk", q, k)',
    (d) => torch.einsum("bhqd,bhkd->bhqk", d.q, d.k),
  ],
  ["cumsum", "cumsum 1e6", draw.cum, "torch.cumsum(x, 0)", (d) => torch.cumsum(d.x, 0)],
  [
    "cumsumDim1",
    "cumsum 1000×1000 dim 1",
    draw.cum,
    "torch.cumsum(m, 1)",
    (d) => torch.cumsum(d.m, 1),
  ],
  ["cumprod", "cumprod 1e6", draw.prod, "torch.cumprod(x, 0)", (d) => torch.cumprod(d.x, 0)],
  [
    "cumprodDim1",
    "cumprod 1000×1000 dim 1",
    draw.prod,
    "torch.cumprod(m, 1)",
    (d) => torch.cumprod(d.m, 1),
  ],
  [
    "linalgSolve",
    "linalg.solve 512×512, b 512×1",
    draw.spd,
    "torch.linalg.solve(A, b)",
    (d) => torch.linalg.solve(d.A, d.b),
  ],
  [
    "linalgCholesky",
    "linalg.cholesky 512×512",
    draw.spd,
    "torch.linalg.cholesky(A)",
    (d) => torch.linalg.cholesky(d.A),
  ],
  [
    "linalgLuFactorComplex",
    "linalg.lu_factor 512×512 complex128",
    draw.zmat,
    "torch.linalg.lu_factor(z)",
    (d) => torch.linalg.luFactor(d.z),
  ],
  [
    "linalgLuSolveComplex",
    "linalg.lu_solve 512×512 complex128, B 512×512",
    draw.zmat,
    "torch.linalg.lu_solve(LU, piv, zb)",
    (d) => torch.linalg.luSolve(d.LU, d.piv, d.zb),
  ],
  [
    "linalgSvd",
    "linalg.svd 256×256",
    draw.square,
    "torch.linalg.svd(s)",
    (d) => torch.linalg.svd(d.s),
  ],
  [
    "linalgEigh",
    "linalg.eigh 256×256",
    draw.square,
    "torch.linalg.eigh(S)",
    (d) => torch.linalg.eigh(d.S),
  ],
  ["fftRfft2e20", "fft.rfft 2^20", draw.fft, "torch.fft.rfft(x)", (d) => torch.fft.rfft(d.x)],
  [
    "fftRfftPrime",
    "fft.rfft 1,000,003 (prime)",
    draw.fft,
    "torch.fft.rfft(p)",
    (d) => torch.fft.rfft(d.p),
  ],
  ["fftFft2", "fft.fft2 512×512", draw.fft, "torch.fft.fft2(m)", (d) => torch.fft.fft2(d.m)],
]
  .map(([id, label, [setup, make], expr, call]) => ({ id, label, setup, make, expr, call }))
  // Note [bench rows before their op]: a row whose tensorgrad function does not exist yet (the
  // FFT rows need complex dtypes) is left out with a note, so the table runs on every branch
  .filter((c) => {
    const path = /torch\.([\w.]+)\(/.exec(c.expr)?.[1].split(".") ?? [];
    let f = torch;
    for (const part of path) f = f?.[part.replace(/_(\w)/g, (_, ch) => ch.toUpperCase())];
    if (typeof f === "function" || path.length === 0 || !c.expr.startsWith("torch.fft"))
      return true;
    if (!args.includes("--worker"))
      process.stderr.write(`${c.id}: left out, torch.${path.join(".")} does not exist here\n`);
    return false;
  });

const selected = (c) =>
  !onlyArg ||
  onlyArg.split(",").some((s) => s === String(GROUP) || s === c.id || c.id.startsWith(s));

/** A PyTorch worker (bench/ops_runner.py) under one configuration. */
class Worker {
  constructor(config, cases) {
    this.config = config;
    this.proc = spawn(TORCH_PY, [benchDir + "ops_runner.py", String(config.threads)], {
      env: torchEnv(config),
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
    this.proc.stdin.write(
      JSON.stringify(Object.fromEntries(cases.map((c) => [c.id, [c.setup, c.expr]]))) + "\n",
    );
  }
  async next() {
    const r = await this.lines.next();
    if (r.done) throw new Error(`PyTorch worker (${this.config.label}) exited`);
    return r.value;
  }
  async ready() {
    const line = await this.next();
    if (line !== "ready") throw new Error(`PyTorch worker (${this.config.label}): ${line}`);
  }
  /** best of `reps` calls of case `id`: `{ wall, cpu }` in ms */
  async time(id, reps) {
    this.proc.stdin.write(`${id} ${reps}\n`);
    const [wall, cpu] = (await this.next()).split(" ").map(Number);
    return { wall, cpu };
  }
  close() {
    this.proc.stdin.end();
  }
}

/**
 * best of `reps` calls, after untimed ones (up to 10, within 200 ms: the first calls of a
 * JavaScript path run before V8 has optimised it, which PyTorch's C++ does not need):
 * `{ wall, cpu }` in ms
 */
function bestOf(f, d, reps) {
  const warm = performance.now();
  for (let i = 0; i < 10 && (i === 0 || performance.now() - warm < 200); i++) f(d);
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < reps; r++) {
    const c = process.cpuUsage();
    const t = performance.now();
    f(d);
    wall = Math.min(wall, performance.now() - t);
    const u = process.cpuUsage(c);
    cpu = Math.min(cpu, (u.user + u.system) / 1000);
  }
  return { wall, cpu };
}

const fmt = (v) =>
  v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
const load = () => os.loadavg().map((v) => +v.toFixed(2));

// ---------------------------------------------------------------------------------------------
/**
 * A tensorgrad worker: this script with `--worker`, answering `<id> <repeats>` lines as
 * ops_runner.py does (each case's data drawn after manualSeed(0) on first use).
 */
class OwnWorker {
  constructor() {
    this.proc = spawn(process.execPath, [fileURLToPath(import.meta.url), "--worker"], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }
  async time(id, reps) {
    this.proc.stdin.write(`${id} ${reps}\n`);
    const r = await this.lines.next();
    if (r.done) throw new Error("tensorgrad worker exited");
    const [wall, cpu] = r.value.split(" ").map(Number);
    return { wall, cpu };
  }
  close() {
    this.proc.stdin.end();
  }
}

// Note [peer columns]: the JavaScript peers that have an op (bench/libs/ops-peers.mjs: jax-js's
// linalg and FFT, TF.js's rfft) run in a worker process each, asked `<id> <repeats>` as the
// others; they are 10-1000x slower than either side, so one round of at most 3 calls suffices,
// and an answer that takes over PEER_TIMEOUT_MS kills the worker (a prime-length FFT is an
// O(n^2) DFT in both peers): that cell reads "> 60 s".
const PEER_TIMEOUT_MS = 60_000;
const peersInstalled = existsSync(benchDir + "peers/node_modules/@jax-js/jax/package.json");

if (args.includes("--peer")) {
  const { OPS_PEERS } = await import("./libs/ops-peers.mjs");
  const lib = await OPS_PEERS[args[args.indexOf("--peer") + 1]]();
  const made = new Map();
  for await (const line of createInterface({ input: process.stdin })) {
    const [id, reps] = line.split(" ");
    const make = lib.cases[id];
    if (make === undefined) {
      process.stdout.write("unsupported\n");
      continue;
    }
    try {
      if (!made.has(id)) made.set(id, make());
      const f = made.get(id);
      const { wall, cpu } = bestOf(() => f(), null, Number(reps));
      process.stdout.write(`${wall} ${cpu}\n`);
    } catch (e) {
      process.stdout.write(`error ${String(e?.message ?? e).split("\n")[0]}\n`);
    }
  }
  process.exit(0);
}

/** A peer library's worker (Note [peer columns]); a worker that timed out is started again. */
class PeerWorker {
  constructor(name) {
    this.name = name;
    this.start();
  }
  start() {
    this.proc = spawn(process.execPath, [fileURLToPath(import.meta.url), "--peer", this.name], {
      stdio: ["pipe", "pipe", "ignore"],
    });
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }
  /** `{ wall, cpu }` in ms, or `{ note }` (unsupported, an error, or over the time limit) */
  async time(id, reps) {
    this.proc.stdin.write(`${id} ${reps}\n`);
    let timer;
    const limit = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), PEER_TIMEOUT_MS);
    });
    const r = await Promise.race([this.lines.next(), limit]);
    clearTimeout(timer);
    if (r === null || r.done) {
      this.proc.kill("SIGKILL");
      this.start();
      return { note: r === null ? `> ${PEER_TIMEOUT_MS / 1000} s` : "exited" };
    }
    if (r.value === "unsupported") return { note: "unsupported" };
    if (r.value.startsWith("error")) return { note: r.value };
    const [wall, cpu] = r.value.split(" ").map(Number);
    return { wall, cpu };
  }
  close() {
    this.proc.stdin.end();
    this.proc.kill();
  }
}

if (args.includes("--worker")) {
  const data = new Map();
  for await (const line of createInterface({ input: process.stdin })) {
    const [id, reps] = line.split(" ");
    const c = CASES.find((k) => k.id === id);
    if (!data.has(id)) {
      torch.manualSeed(0);
      data.set(id, c.make());
    }
    const { wall, cpu } = bestOf(c.call, data.get(id), Number(reps));
    process.stdout.write(`${wall} ${cpu}\n`);
  }
  process.exit(0);
}

// Note [one process per configuration]: the machine's two vCPUs often differ 1.6-1.75x in
// single-threaded speed (docs/performance.md, "Measuring on this VM"), and a process mostly
// stays where it started. PyTorch's side has a worker process per configuration, so its best
// already draws on as many placements; tensorgrad gets as many worker processes of its own
// (identical ones), and each side's best call over its processes and rounds counts.
const cases = CASES.filter(selected);
if (cases.length > 0) {
  const backend = process.env.TENSORGRAD_BACKEND ?? "native";
  const workers = torchAvailable() ? TORCH_CONFIGS.map((c) => new Worker(c, cases)) : [];
  const own = TORCH_CONFIGS.map(() => new OwnWorker());
  // the peers' columns only where a selected case is one they have (Note [peer columns])
  const { OPS_PEERS, PEER_CASES } = peersInstalled
    ? await import("./libs/ops-peers.mjs")
    : { OPS_PEERS: {}, PEER_CASES: new Set() };
  const peers = cases.some((c) => PEER_CASES.has(c.id))
    ? Object.keys(OPS_PEERS).map((name) => new PeerWorker(name))
    : [];
  for (const w of workers) await w.ready();
  const loadBefore = load();
  const results = {};
  for (const c of cases) {
    const r = { tensorgrad: Infinity, tensorgradCpu: Infinity, torch: {}, torchCpu: {}, load: [] };
    for (const w of workers) r.torch[w.config.id] = r.torchCpu[w.config.id] = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      for (const w of own) {
        const ours = await w.time(c.id, REPS);
        r.tensorgrad = Math.min(r.tensorgrad, ours.wall);
        r.tensorgradCpu = Math.min(r.tensorgradCpu, ours.cpu);
      }
      for (const w of workers) {
        const theirs = await w.time(c.id, REPS);
        r.torch[w.config.id] = Math.min(r.torch[w.config.id], theirs.wall);
        r.torchCpu[w.config.id] = Math.min(r.torchCpu[w.config.id], theirs.cpu);
      }
      r.load.push(load()[0]);
    }
    r.peers = {};
    for (const p of peers) {
      const t = await p.time(c.id, Math.min(REPS, 3));
      if (t.note !== "unsupported") r.peers[p.name] = t.note ?? t.wall;
    }
    const best = fastest(r.torch);
    r.torchBest = best ? { ms: best.value, which: best.config.label } : null;
    r.ratio = best ? r.tensorgrad / best.value : null;
    const oneThread = r.torchCpu[TORCH_CONFIGS[0].id];
    r.cpuRatio = Number.isFinite(oneThread) ? r.tensorgradCpu / oneThread : null;
    results[c.id] = r;
    process.stderr.write(
      `${c.id}: tensorgrad ${fmt(r.tensorgrad)} ms, PyTorch best ${best ? fmt(best.value) + " ms" : "n/a"}` +
        (r.ratio === null ? "" : ` (${fmt(r.ratio)}x)`) +
        (r.cpuRatio === null ? "" : `, CPU ${fmt(r.cpuRatio)}x`) +
        `, load ${r.load.join("/")}\n`,
    );
  }
  for (const w of workers) w.close();
  for (const w of own) w.close();
  for (const p of peers) p.close();

  const header = [
    "workload",
    `tensorgrad (${backend}) ms`,
    "PyTorch best ms",
    "**ratio**",
    ...TORCH_CONFIGS.map((c) => `PyTorch ${c.short} ms`),
    `CPU ms: tensorgrad / PyTorch ${TORCH_CONFIGS[0].short}`,
    ...peers.map((p) => `${p.name} ms`),
    "load (1 min) per round",
  ];
  const rows = cases.map((c) => {
    const r = results[c.id];
    return [
      c.label,
      fmt(r.tensorgrad),
      r.torchBest ? `${fmt(r.torchBest.ms)} [${r.torchBest.which}]` : "n/a",
      r.ratio === null ? "n/a" : `**${fmt(r.ratio)}x**`,
      ...TORCH_CONFIGS.map((k) => (Number.isFinite(r.torch[k.id]) ? fmt(r.torch[k.id]) : "n/a")),
      r.cpuRatio === null
        ? "n/a"
        : `${fmt(r.tensorgradCpu)} / ${fmt(r.torchCpu[TORCH_CONFIGS[0].id])} = ${fmt(r.cpuRatio)}x`,
      ...peers.map((p) => {
        const v = r.peers[p.name];
        if (v === undefined) return "—";
        return typeof v === "number" ? `${fmt(v)} · **${fmt(r.tensorgrad / v)}x**` : v;
      }),
      r.load.join(", "),
    ];
  });
  const table = [header, header.map(() => "---"), ...rows]
    .map((row) => `| ${row.join(" | ")} |`)
    .join("\n");
  console.log(
    `\nOperators (issue 10): best of ${REPS} calls in each of ${ROUNDS} interleaved rounds; ` +
      "**ratio = tensorgrad / PyTorch best** (wall time; below 1 means tensorgrad is faster). " +
      "CPU ms: the best call's CPU time, every thread of the process.\n",
  );
  console.log(table);
  const loadAfter = load();
  console.log(
    `\nLoad average (1, 5, 15 min): ${loadBefore.join(", ")} before, ${loadAfter.join(", ")} after` +
      ` on ${os.availableParallelism()} CPUs`,
  );
  const json = {
    date: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    repeats: REPS,
    rounds: ROUNDS,
    backend,
    ratio: "tensorgrad / PyTorch best (wall time; < 1 means tensorgrad is faster)",
    cpuRatio: "tensorgrad CPU time / PyTorch 1-thread CPU time (every thread of each process)",
    loadAverage: { before: loadBefore, after: loadAfter },
    nproc: os.availableParallelism(),
    cases: Object.fromEntries(
      cases.map((c) => [c.id, { label: c.label, pytorch: c.expr, ...results[c.id] }]),
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
  writeFileSync(benchDir + "results/ops.json", text);
  console.log("\nwritten: bench/results/ops.json");
}
