// Overhead benchmark: tiny graphs where per-op cost dominates. Times tensorgrad and, when
// Debian's system python3 has torch, PyTorch in the same run at its best on this machine (the
// fastest of the configurations in bench/lib/pytorch.mjs, per workload); prints µs/iter, the
// winning configuration and the ratio.
//   npm run bench:overhead   (builds, then runs this file; `npm run bench` runs the full suite)
//
// Each measurement is a child process, and both sides run ROUNDS times, interleaved round by
// round; each side's figure is its fastest round. On this 2-vCPU VM the vCPU a process lands on
// matters: one of the two often runs single-threaded code 1.6-1.75x slower than the other
// (which one changes over minutes: the host's load), for PyTorch and tensorgrad alike, so one
// process per side compares whichever vCPUs they happened to get.
import { execFileSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { TORCH_CONFIGS, TORCH_PY, fastest, torchAvailable, torchEnv } from "./lib/pytorch.mjs";

const REPEATS = 15;
const ITERS = 20000;
const ROUNDS = 5;

/** median of REPEATS timed runs of ITERS iterations, after warm-up; µs per iteration */
function time(fn) {
  for (let i = 0; i < ITERS; i++) fn();
  const runs = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ITERS; i++) fn();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e3 / ITERS);
  }
  runs.sort((a, b) => a - b);
  return runs[(REPEATS - 1) >> 1];
}

/** The child: tensorgrad's µs/iter per workload, as JSON on stdout. */
async function tensorgradChild() {
  const torch = await import("../dist/index.js");
  const workloads = {
    // (a) x of 4 elements: o = ((2x + 1)^2).mean(); o.backward()
    tiny_graph: () => {
      const x = torch.tensor([1, 2, 3, 4], { requiresGrad: true });
      return () => {
        const o = x.mul(2).add(1).pow(2).mean();
        o.backward();
      };
    },
    // (b) y = x^4 + 3x^3 + 3x^2 + 5x + 1; y.backward()
    scalar_polynomial: () => {
      const x = torch.tensor(1.0, { requiresGrad: true });
      return () => {
        const y = x.pow(4).add(x.pow(3).mul(3)).add(x.pow(2).mul(3)).add(x.mul(5)).add(1);
        y.backward();
      };
    },
  };
  const out = {};
  for (const [name, make] of Object.entries(workloads)) out[name] = time(make());
  console.log(JSON.stringify(out));
}

/** tensorgrad's µs/iter per workload in a child process of its own. */
function tensorgrad() {
  return JSON.parse(
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child"], {
      encoding: "utf8",
    }),
  );
}

const PY = `
import sys, time, json, torch
torch.set_num_threads(int(sys.argv[1]))
REPEATS, ITERS = ${REPEATS}, 5000
def bench(fn):
    for _ in range(ITERS): fn()
    runs = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for _ in range(ITERS): fn()
        runs.append((time.perf_counter() - t0) * 1e6 / ITERS)
    runs.sort()
    return runs[(REPEATS - 1) // 2]
x = torch.tensor([1., 2, 3, 4], requires_grad=True)
def tiny():
    o = ((2 * x + 1) ** 2).mean()
    o.backward()
s = torch.tensor(1.0, requires_grad=True)
def poly():
    y = s**4 + 3*s**3 + 3*s**2 + 5*s + 1
    y.backward()
print(json.dumps({"tiny_graph": bench(tiny), "scalar_polynomial": bench(poly)}))
`;

/** PyTorch's µs/iter per workload under one configuration, or null when it does not run. */
function pytorch(config) {
  try {
    return JSON.parse(
      execFileSync(TORCH_PY, ["-c", PY, String(config.threads)], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        env: torchEnv(config),
      }),
    );
  } catch {
    return null;
  }
}

if (process.argv.includes("--child")) {
  await tensorgradChild();
  process.exit(0);
}

/** the fastest of several results per workload (lower is better; null: none) */
function best(results) {
  const out = {};
  for (const r of results) {
    if (r === null) continue;
    for (const [k, v] of Object.entries(r)) if (!(k in out) || v < out[k]) out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : null;
}

const loadBefore = os.loadavg();
const oursRounds = [];
const torchRounds = TORCH_CONFIGS.map(() => []);
const withTorch = torchAvailable();
for (let r = 0; r < ROUNDS; r++) {
  oursRounds.push(tensorgrad());
  if (withTorch) TORCH_CONFIGS.forEach((c, i) => torchRounds[i].push(pytorch(c)));
}
const ours = best(oursRounds);
const runs = withTorch ? TORCH_CONFIGS.map((c, i) => [c, best(torchRounds[i])]) : [];
const found = runs.some(([, r]) => r !== null);
const rows = Object.keys(ours).map((name) => {
  const best = fastest(Object.fromEntries(runs.map(([c, r]) => [c.id, r?.[name]])));
  const row = { workload: name, "tensorgrad µs/iter": ours[name].toFixed(3) };
  for (const [c, r] of runs)
    row[`PyTorch ${c.short}`] = r?.[name] === undefined ? "n/a" : r[name].toFixed(2);
  row["PyTorch best"] = best === null ? "n/a" : `${best.value.toFixed(2)} (${best.config.short})`;
  row["speed-up (PyTorch best / tensorgrad)"] =
    best === null ? "n/a" : (best.value / ours[name]).toFixed(1) + "x";
  return row;
});
console.table(rows);
if (!found) console.log("PyTorch not found (apt-get install python3-torch) — ratios skipped.");
const load = (l) => l.map((x) => x.toFixed(2)).join(", ");
console.log(`Fastest of ${ROUNDS} interleaved rounds per side (each a process of its own).`);
console.log(`PyTorch: ${TORCH_CONFIGS.map((c) => `${c.short} = ${c.label}`).join("; ")}`);
console.log(`Load average (1, 5, 15 min): ${load(loadBefore)} before, ${load(os.loadavg())} after`);
