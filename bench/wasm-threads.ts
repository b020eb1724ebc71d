// The WebAssembly backend's threads, kernel by kernel: each workload's kernel calls are recorded
// (observeNativeCalls) and replayed on the single-threaded module (A) and the threaded one with
// `--threads` threads (B, default 2; `--grain g` its Note [wasm grain]), A B B A ... over rounds in one process, so a loaded
// machine slows both alike. Wall time (the threads' point); per call, the best round's time in
// microseconds and "B/A", the median of the rounds' time ratios (below 1: threads faster).
// Copies in and out of the module's memory are included, as in use. Note [wasm threads module].
//   TENSORGRAD_BACKEND=wasm node --import tsx bench/wasm-threads.ts [--threads n] [--grain g]
//     [--rounds r] [workload name prefixes...]
// State the machine's load with every figure (printed first); pin with `taskset -c 0,1`.
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import * as torch from "../src/index.js";
import { observeNativeCalls } from "../src/backend/native.js";
import { loadWasm } from "../src/backend/wasm.js";

const args = process.argv.slice(2);
const opt = (name: string, d: number) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d;
const threads = opt("--threads", 2);
const rounds = opt("--rounds", 9);
const grain = opt("--grain", 0); // (0: the default, TENSORGRAD_WASM_GRAIN or 4)
const names = args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"));

const { nn } = torch;
const F = nn.functional;
torch.manualSeed(0);
/** Workloads: a name and a function whose kernel calls are recorded. */
const WORKLOADS: [string, () => unknown][] = [];
for (const n of [16384, 65536, 262144, 1048576]) {
  const a = torch.randn(n);
  const b = torch.randn(n);
  WORKLOADS.push([`add ${n}`, () => a.add(b)]);
  WORKLOADS.push([`tanh ${n}`, () => a.tanh()]);
  WORKLOADS.push([`sum ${n}`, () => a.sum()]);
  WORKLOADS.push([`softmax ${n / 256}x256`, () => a.view(-1, 256).softmax(1)]);
}
for (const n of [64, 128, 256, 512]) {
  const a = torch.randn(n, n);
  const b = torch.randn(n, n);
  WORKLOADS.push([`matmul ${n}`, () => a.matmul(b)]);
}
{
  const x = torch.randn(128, 784);
  const w = torch.randn(256, 784);
  WORKLOADS.push(["linear 128x784->256", () => F.linear(x, w)]);
  const img = torch.randn(32, 1, 28, 28);
  const k1 = torch.randn(16, 1, 3, 3);
  WORKLOADS.push(["conv2d 32x1x28x28 16c", () => F.conv2d(img, k1, null, 1, 1)]);
  const h = torch.randn(32, 16, 14, 14);
  const k2 = torch.randn(32, 16, 3, 3);
  WORKLOADS.push(["conv2d 32x16x14x14 32c", () => F.conv2d(h, k2, null, 1, 1)]);
  WORKLOADS.push(["maxpool 32x16x28x28", () => F.maxPool2d(torch.randn(32, 16, 28, 28), 2)]);
}

type Call = [string, unknown[]];
const copy = (a: unknown): unknown =>
  ArrayBuffer.isView(a) ? (a as Float32Array).slice() : Array.isArray(a) ? [...a] : a;

const single = loadWasm({ threads: 1 }) as unknown as Record<string, (...a: unknown[]) => void>;
const multi = loadWasm({ threads, grain: grain === 0 ? undefined : grain });
const many = multi as unknown as Record<string, (...a: unknown[]) => void>;
// (workers start asynchronously)
await new Promise((r) => setTimeout(r, 300));

console.log(
  `load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(
      " ",
    )}; A = SIMD128, 1 thread; B = ${multi.describe}; backend ${torch.backends.native.backend}`,
);
console.log("workload                    calls    A µs     B µs    B/A(median)");
for (const [name, run] of WORKLOADS) {
  if (names.length > 0 && !names.some((n) => name.startsWith(n))) continue;
  const calls: Call[] = [];
  observeNativeCalls((binding, a) => calls.push([binding, a.map(copy)]));
  try {
    run();
  } finally {
    observeNativeCalls(null);
  }
  const replay = calls.filter(([b]) => single[b] !== undefined);
  if (replay.length === 0) {
    console.log(`${name.padEnd(26)} (no kernel calls: TypeScript)`);
    continue;
  }
  const mods = [single, many];
  const once = (m: number) => {
    for (const [b, a] of replay) mods[m][b](...a);
  };
  once(0);
  once(1);
  let t = performance.now();
  once(0);
  const reps = Math.max(1, Math.round(20 / Math.max(0.005, performance.now() - t)));
  const best = [Infinity, Infinity];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const times = [0, 0];
    for (const m of r % 2 === 0 ? [0, 1] : [1, 0]) {
      t = performance.now();
      for (let i = 0; i < reps; i++) once(m);
      times[m] = ((performance.now() - t) / reps) * 1000;
      best[m] = Math.min(best[m], times[m]);
    }
    ratios.push(times[1] / times[0]);
  }
  ratios.sort((x, y) => x - y);
  console.log(
    `${name.padEnd(26)} ${String(replay.length).padStart(5)} ${best[0].toFixed(1).padStart(8)} ${best[1]
      .toFixed(1)
      .padStart(8)}   ${ratios[ratios.length >> 1].toFixed(3).padStart(8)}`,
  );
}
console.log(`worker tasks: ${multi.workerTasks()}`);
process.exit(0);
