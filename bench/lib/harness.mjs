// Shared by every JavaScript child process of the suite: workload shapes, timing and the
// one-line JSON protocol the parent (bench/suite.mjs) reads.
import { readFileSync } from "node:fs";

/** Shapes shared by every library (bench/torch_runner.py mirrors them). */
export const SHAPES = {
  mlp: { batch: 128, inp: 784, hidden: 256, out: 10 },
  cnn: { batch: 32, channels: 16, side: 28, out: 10 },
  elementwise: { n: 1_000_000 },
  memory: { steps: 1000, warmup: 100 },
  // one training step of examples/gpt's model (dropout 0): forward, cross-entropy, backward, AdamW
  gpt: { layers: 4, heads: 4, width: 128, context: 64, batch: 16, vocab: 65 },
  // one step of a 2-layer LSTM: forward, mean square of the outputs, backward, SGD
  lstm: { batch: 32, seq: 35, inp: 64, hidden: 256, layers: 2 },
};

// ms; in a browser page (bench/browser.mjs) performance.now(), 5 µs steps when cross-origin isolated
const now = globalThis.process?.hrtime
  ? () => Number(process.hrtime.bigint()) / 1e6
  : () => globalThis.performance.now();

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median over `repeats` timed repeats, after warm-up, of one call of `step` (sync or async), in ms.
 * Fast steps are batched so that one repeat lasts at least `minRepMs`.
 */
export async function measure(step, { repeats, minRepMs = 100, warmupMs = 300 }) {
  const first = step();
  const isAsync = first !== null && typeof first === "object" && typeof first.then === "function";
  if (isAsync) await first;
  const run = isAsync
    ? async (n) => {
        for (let i = 0; i < n; i++) await step();
      }
    : (n) => {
        for (let i = 0; i < n; i++) step();
      };
  // warm-up: at least one more call and about warmupMs of calls; calibrates the batch size
  let calls = 0;
  let t0 = now();
  do {
    await run(1);
    calls++;
  } while (now() - t0 < warmupMs);
  const once = Math.max((now() - t0) / calls, 1e-5);
  const iters = Math.max(1, Math.ceil(minRepMs / once));
  const runs = [];
  for (let r = 0; r < repeats; r++) {
    t0 = now();
    await run(iters);
    runs.push((now() - t0) / iters);
  }
  return { ms: median(runs), runs: runs.length, itersPerRun: iters };
}

/** Resident set size now, in MB (from /proc, as for the Python child). */
export function rssMB() {
  return process.memoryUsage.rss() / 2 ** 20;
}

/** Peak resident set size of this process so far (VmHWM), in MB. */
export function peakRssMB() {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : rssMB();
}

/** Runs `steps` MLP steps; reports peak RSS and how much RSS grew after warm-up. */
export async function memoryRun(step) {
  const { steps, warmup } = SHAPES.memory;
  const half = (steps + warmup) >> 1;
  let afterWarmup = 0;
  let firstHalf = 0;
  let secondHalf = 0;
  for (let i = 1; i <= steps; i++) {
    const r = step();
    if (r && typeof r.then === "function") await r;
    if (i % 10 === 0 || i === steps) {
      const rss = rssMB();
      if (i <= warmup) afterWarmup = Math.max(afterWarmup, rss);
      else if (i <= half) firstHalf = Math.max(firstHalf, rss);
      else secondHalf = Math.max(secondHalf, rss);
    }
  }
  return {
    peakMB: peakRssMB(),
    warmupMB: afterWarmup,
    growthMB: secondHalf - firstHalf,
  };
}

/** Deterministic float32 data (a small LCG), so no library's RNG is on the clock. */
export function randomF32(n, scale = 1, seed = 1) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return a;
}

export function randomLabels(n, classes, seed = 7) {
  const a = new Int32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s % classes;
  }
  return a;
}

/** The one line of JSON a child prints for its parent. */
export function emit(obj) {
  process.stdout.write("\n@@RESULT " + JSON.stringify(obj) + "\n");
}
