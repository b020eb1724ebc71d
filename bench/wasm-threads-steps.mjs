// The WebAssembly backend's threads on whole steps, in one process: the MLP step (workload 3)
// and matmul fwd+bwd n = 512 (workload 4) with torch.setNumThreads(1) and with every thread,
// alternating (A B B A ...) over 10 rounds of 5 steps, so a loaded machine slows both alike;
// medians, and the median of the rounds' ratios (below 1: threads faster). Needs `npm run
// build`. Note [wasm threads module]; kernel by kernel: bench/wasm-threads.ts.
//   TENSORGRAD_BACKEND=wasm taskset -c 0,1 node bench/wasm-threads-steps.mjs
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import * as torch from "../dist/index.js";

const { nn } = torch;
torch.manualSeed(0);
const mlp = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 10));
const opt = new torch.optim.SGD(mlp.parameters(), { lr: 0.01 });
const x = torch.randn(128, 784);
const y = torch.randint(0, 10, [128]);
const a = torch.randn(512, 512, { requiresGrad: true });
const b = torch.randn(512, 512, { requiresGrad: true });
const WORKLOADS = {
  mlp: () => {
    opt.zeroGrad();
    nn.functional.crossEntropy(mlp.forward(x), y).backward();
    opt.step();
  },
  matmul512: () => {
    a.grad = null;
    b.grad = null;
    a.matmul(b).sum().backward();
  },
};
const threads = torch.getNumThreads();
console.log(
  `load ${loadavg()
    .map((v) => v.toFixed(2))
    .join(" ")}; ${torch.backends.wasm.reason}`,
);
for (const [name, step] of Object.entries(WORKLOADS)) {
  for (let i = 0; i < 3; i++) step();
  const rounds = [];
  for (let r = 0; r < 10; r++) {
    const ms = {};
    for (const n of r % 2 ? [1, threads] : [threads, 1]) {
      torch.setNumThreads(n);
      const t = performance.now();
      for (let i = 0; i < 5; i++) step();
      ms[n] = (performance.now() - t) / 5;
    }
    rounds.push(ms);
  }
  torch.setNumThreads(threads);
  const median = (xs) => xs.sort((p, q) => p - q)[xs.length >> 1];
  console.log(
    `${name}: 1 thread ${median(rounds.map((m) => m[1])).toFixed(2)} ms, ${threads} threads ` +
      `${median(rounds.map((m) => m[threads])).toFixed(2)} ms, ratio ` +
      median(rounds.map((m) => m[threads] / m[1])).toFixed(3),
  );
}
process.exit(0);
