// GFLOP/s of the float32 matrix product (2mkn flops per product): tensorgrad's native kernel
// against torch.mm/bmm at its best (each configuration of bench/lib/pytorch.mjs, fastest wins).
// Each figure is the best of 10 timed repeats, a repeat being enough products to last ~5 ms.
//   node bench/gflops.mjs [--no-torch] [--dtype float64] [--addon path.node] [--vs path.node]
//                         [--threads n] [--rounds r] [shape names or BxMxKxN[tn|nt]...]
// (--addon: another build of the addon, e.g. a main checkout's, for before/after figures;
// --vs: a second build timed in the same process, A B A B ... over r rounds (default 5), for
// before/after figures on a loaded machine: each column is the best round, "ratio" the median of
// the rounds' A/B time ratios; --threads: the addons' thread count. "cpu" is GFLOP per
// CPU-second of this process (user + system time, spinning threads included) over all repeats.)
// Layouts: "tn" reads A transposed (A^T stored k x m), "nt" reads B transposed (B^T stored n x k),
// as the backward of mm and the forward of linear do, without copies.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { TORCH_CONFIGS, TORCH_PY, fastest, torchEnv, torchAvailable } from "./lib/pytorch.mjs";

const SHAPES = [
  ["n512", 1, 512, 512, 512, ""],
  ["n1024", 1, 1024, 1024, 1024, ""],
  ["n2048", 1, 2048, 2048, 2048, ""],
  ["tn1024", 1, 1024, 1024, 1024, "tn"],
  ["nt1024", 1, 1024, 1024, 1024, "nt"],
  ["mlp1", 1, 128, 784, 256, "nt"], // linear 784 -> 256 on a batch of 128: x @ W^T
  ["mlp2", 1, 128, 256, 10, "nt"], // linear 256 -> 10
  ["mlp1.dW", 1, 256, 128, 784, "tn"], // dW = dy^T @ x
  ["mlp1.dx", 1, 128, 256, 784, ""], // dx = dy @ W
  ["mlp2.dx", 1, 128, 10, 256, ""], // dh = dy @ W2 (the MLP step's hidden-layer gradient)
  ["mlp2.dW", 1, 10, 128, 256, "tn"], // dW2 = dy^T @ h
  ["bmm", 64, 128, 128, 128, ""],
];

const args = process.argv.slice(2);
const dtype = args.includes("--dtype") ? args[args.indexOf("--dtype") + 1] : "float32";
const valued = ["--dtype", "--addon", "--vs", "--threads", "--rounds"];
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const names = args.filter((a, i) => !a.startsWith("--") && !valued.includes(args[i - 1]));
// a name b x m x k x n with an optional layout (e.g. 1x128x1024x1024tn) is a shape of its own
const adHoc = names
  .map((name) => [name, name.match(/^(\d+)x(\d+)x(\d+)x(\d+)(tn|nt)?$/)])
  .filter(([, m]) => m !== null)
  .map(([name, m]) => [name, ...m.slice(1, 5).map(Number), m[5] ?? ""]);
const shapes = SHAPES.filter((s) => names.length === 0 || names.includes(s[0])).concat(adHoc);
const Arr = dtype === "float64" ? Float64Array : Float32Array;
const require = createRequire(import.meta.url);
const addon = require(opt("--addon", "../native/build/Release/tensorgrad_native.node"));
const other = args.includes("--vs") ? require(opt("--vs")) : null;
if (args.includes("--threads")) {
  for (const x of [addon, other]) x?.setNumThreads(Number(opt("--threads")));
}

/** The best repeat's milliseconds per product and the process CPU milliseconds per product. */
function ours([, batch, m, k, n, layout], lib = addon) {
  const a = Arr.from({ length: batch * m * k }, () => Math.random() * 2 - 1);
  const b = Arr.from({ length: batch * k * n }, () => Math.random() * 2 - 1);
  const out = new Arr(batch * m * n);
  const [aRow, aCol] = layout === "tn" ? [1, m] : [k, 1];
  const [bRow, bCol] = layout === "nt" ? [1, k] : [n, 1];
  const run = () =>
    lib.matmul(a, 0, m * k, aRow, aCol, b, 0, k * n, bRow, bCol, out, batch, m, k, n);
  return best(run);
}

function best(run) {
  run();
  let t0 = performance.now();
  let reps = 0;
  while (performance.now() - t0 < 5) {
    run();
    reps++;
  }
  // (CPU time is sampled at the scheduler's tick, a few ms: it is summed over all repeats)
  let min = Infinity;
  const c0 = process.cpuUsage();
  for (let r = 0; r < 10; r++) {
    t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    min = Math.min(min, (performance.now() - t0) / reps);
  }
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1000 / (10 * reps);
  return { ms: min, cpu };
}

const PY = `
import json, sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
dt = getattr(torch, sys.argv[2])
res = {}
for name, batch, m, k, n, layout in json.loads(sys.argv[3]):
    a = torch.rand(k, m, dtype=dt).t() if layout == "tn" else torch.rand(batch, m, k, dtype=dt)
    b = torch.rand(n, k, dtype=dt).t() if layout == "nt" else torch.rand(batch, k, n, dtype=dt)
    if batch == 1: a, b = a.reshape(m, k), b.reshape(k, n)
    run = (lambda: torch.mm(a, b)) if batch == 1 else (lambda: torch.bmm(a, b))
    run(); t0 = time.perf_counter(); reps = 0
    while time.perf_counter() - t0 < 0.005: run(); reps += 1
    best = 1e9
    for _ in range(10):
        t0 = time.perf_counter()
        for _ in range(reps): run()
        best = min(best, (time.perf_counter() - t0) / reps * 1e3)
    res[name] = best
print(json.dumps(res))
`;

function torch() {
  const byShape = {};
  for (const c of TORCH_CONFIGS) {
    const r = spawnSync(TORCH_PY, ["-c", PY, String(c.threads), dtype, JSON.stringify(shapes)], {
      env: torchEnv(c),
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(r.stderr);
    for (const [name, ms] of Object.entries(JSON.parse(r.stdout))) {
      (byShape[name] ??= {})[c.id] = ms;
    }
  }
  return byShape;
}

const gf = ([, batch, m, k, n], ms) => (2 * batch * m * k * n) / (ms * 1e6);
const load = () => loadavg()[0].toFixed(2);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

if (other) {
  // interleaved A/B: A's and B's repeats alternate shape by shape, round by round
  const rounds = Number(opt("--rounds", "5"));
  console.log(`${dtype}, load ${load()}, ${rounds} rounds A B A B ...`);
  console.log("shape        b x m x k x n          A GFLOP/s (cpu)    B GFLOP/s (cpu)    A/B time");
  for (const s of shapes) {
    const a = [];
    const b = [];
    for (let r = 0; r < rounds; r++) {
      a.push(ours(s, addon));
      b.push(ours(s, other));
    }
    const bestOf = (xs) => xs.reduce((p, x) => (x.ms < p.ms ? x : p));
    const [ba, bb] = [bestOf(a), bestOf(b)];
    const col = (x) =>
      `${gf(s, x.ms).toFixed(1).padStart(7)} (${gf(s, x.cpu).toFixed(1).padStart(6)})`;
    const dims = `${s[1]}x${s[2]}x${s[3]}x${s[4]}${s[5] ? " " + s[5] : ""}`;
    const ratio = median(a.map((x, i) => x.ms / b[i].ms));
    console.log(
      `${s[0].padEnd(12)} ${dims.padEnd(22)} ${col(ba)}   ${col(bb)}   ${ratio.toFixed(3)}`,
    );
  }
  process.exit(0);
}

const mine = shapes.map((s) => ours(s));
const theirs = args.includes("--no-torch") || !torchAvailable() ? null : torch();
console.log(`${dtype}, load ${load()}`);
console.log(
  "shape        b x m x k x n          tensorgrad GFLOP/s (cpu)   PyTorch best GFLOP/s (config)",
);
shapes.forEach((s, i) => {
  const t = theirs && fastest(theirs[s[0]]);
  const dims = `${s[1]}x${s[2]}x${s[3]}x${s[4]}${s[5] ? " " + s[5] : ""}`;
  const torchCol = t ? `${gf(s, t.value).toFixed(1).padStart(7)} (${t.config.short})` : "";
  console.log(
    `${s[0].padEnd(12)} ${dims.padEnd(22)} ${gf(s, mine[i].ms).toFixed(1).padStart(9)} (${gf(s, mine[i].cpu).toFixed(1).padStart(6)})      ${torchCol}`,
  );
});
