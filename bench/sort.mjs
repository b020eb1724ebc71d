// sort / topk of 1e6 float32: tensorgrad (the loaded backend) against PyTorch at its best (the
// fastest configuration of bench/lib/pytorch.mjs), best of `REPS` runs each, the two taking
// turns so that load on the machine hits both alike. `node --import tsx bench/sort.mjs` (PyTorch from /usr/bin/python3;
// skipped when it is absent). Prints one line per workload, in ms.
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";

import * as torch from "../src/index.ts";
import { TORCH_CONFIGS, TORCH_PY, fastest, torchAvailable, torchEnv } from "./lib/pytorch.mjs";

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

/** PyTorch's best time for `expr` in ms: each configuration in its own child process. */
function pytorch(expr) {
  if (!torchAvailable()) return NaN;
  const byConfig = {};
  for (const config of TORCH_CONFIGS) {
    const py = `
import time, torch
torch.set_num_threads(${config.threads})
x = torch.rand(${N})
${expr}
b = 1e9
for _ in range(${REPS}):
    t = time.perf_counter(); ${expr}; b = min(b, time.perf_counter() - t)
print(b * 1000)
`;
    const r = spawnSync(TORCH_PY, ["-c", py], { encoding: "utf8", env: torchEnv(config) });
    if (r.status === 0) byConfig[config.id] = Number(r.stdout.trim());
  }
  return fastest(byConfig)?.value ?? NaN;
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
