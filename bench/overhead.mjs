// Overhead benchmark: tiny graphs where per-op cost dominates. Times tensorgrad and, when
// Debian's system python3 has torch, PyTorch in the same run; prints µs/iter and the ratio.
//   npm run bench:overhead   (builds, then runs this file; `npm run bench` runs the full suite)
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as torch from "../dist/index.js";

const REPEATS = 15;
const ITERS = 20000;

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

const PY = `
import time, json, torch
torch.set_num_threads(1)
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

function pytorch() {
  const py = "/usr/bin/python3";
  if (!existsSync(py)) return null;
  try {
    return JSON.parse(
      execFileSync(py, ["-c", PY], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }),
    );
  } catch {
    return null;
  }
}

const ours = {};
for (const [name, make] of Object.entries(workloads)) ours[name] = time(make());
const theirs = pytorch();
const rows = Object.keys(workloads).map((name) => {
  const t = theirs?.[name];
  return {
    workload: name,
    "tensorgrad µs/iter": ours[name].toFixed(3),
    "PyTorch µs/iter": t === undefined ? "n/a" : t.toFixed(2),
    "speed-up (PyTorch / tensorgrad)": t === undefined ? "n/a" : (t / ours[name]).toFixed(1) + "x",
  };
});
console.table(rows);
if (theirs === null)
  console.log("PyTorch not found (apt-get install python3-torch) — ratios skipped.");
