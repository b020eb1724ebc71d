// sort / topk of 1e6 float32: tensorgrad (the loaded backend) against PyTorch at its best (the
// faster of 1 and 2 threads), best of `REPS` runs each, the two taking turns so that load on
// the machine hits both alike. `node --import tsx bench/sort.mjs` (PyTorch from /usr/bin/python3;
// skipped when it is absent). Prints one line per workload, in ms.
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";

import * as torch from "../src/index.ts";

const N = 1_000_000;
const REPS = 7;
const ROUNDS = 3;

const cases = {
  sort: ["torch.sort(x)", () => torch.sort(x)],
  "sort stable": ["torch.sort(x, stable=True)", () => torch.sort(x, { stable: true })],
  "sort descending": ["torch.sort(x, descending=True)", () => torch.sort(x, { descending: true })],
  argsort: ["torch.argsort(x)", () => torch.argsort(x)],
  "topk 10": ["torch.topk(x, 10)", () => torch.topk(x, 10)],
  "topk 1000": ["torch.topk(x, 1000)", () => torch.topk(x, 1000)],
  "topk 100000": ["torch.topk(x, 100000)", () => torch.topk(x, 100000)],
};

const x = torch.rand(N);

function best(f) {
  f();
  let b = Infinity;
  for (let r = 0; r < REPS; r++) {
    const t = performance.now();
    f();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}

function pytorch(expr) {
  const py = `
import time, torch
x = torch.rand(${N})
res = []
for th in (1, 2):
    torch.set_num_threads(th)
    ${expr}
    b = 1e9
    for _ in range(${REPS}):
        t = time.perf_counter(); ${expr}; b = min(b, time.perf_counter() - t)
    res.append(b * 1000)
print(min(res))
`;
  const r = spawnSync("/usr/bin/python3", ["-c", py], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.trim()) : NaN;
}

for (const [name, [expr, f]] of Object.entries(cases)) {
  let tg = Infinity;
  let pt = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    tg = Math.min(tg, best(f));
    pt = Math.min(pt, pytorch(expr));
  }
  console.log(`${name}: tensorgrad ${tg.toFixed(2)} ms, PyTorch ${pt.toFixed(2)} ms`);
}
