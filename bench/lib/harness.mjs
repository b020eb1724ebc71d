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
 * Median over `repeats` timed repeats, after warm-up, of one call of `step` (sync or async), in ms
 * (with the warm-up's length, `warmupMs`).
 * Fast steps are batched so that one repeat lasts at least `minRepMs`. The warm-up runs calls for
 * `warmupMs`, then, with `steadyMs` > 0, goes on until the step time stops falling (Note [warm-up
 * until steady]) or the warm-up has lasted `steadyMs` in all.
 */
export async function measure(step, { repeats, minRepMs = 100, warmupMs = 300, steadyMs = 0 }) {
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
  const start = now();
  let t0 = start;
  do {
    await run(1);
    calls++;
  } while (now() - t0 < warmupMs);
  let once = Math.max((now() - t0) / calls, 1e-5);
  if (steadyMs > 0) {
    // Note [warm-up until steady]: chunks of about minRepMs; stop when the median of the last
    // STEADY_WINDOW chunks is not STEADY_GAIN faster than that of the STEADY_WINDOW before them
    const chunk = Math.max(1, Math.ceil(minRepMs / once));
    const chunks = [];
    while (now() - start < steadyMs) {
      t0 = now();
      await run(chunk);
      chunks.push((now() - t0) / chunk);
      const k = chunks.length;
      if (
        k >= 2 * STEADY_WINDOW &&
        median(chunks.slice(k - STEADY_WINDOW)) >
          (1 - STEADY_GAIN) * median(chunks.slice(k - 2 * STEADY_WINDOW, k - STEADY_WINDOW))
      )
        break;
    }
    if (chunks.length > 0) once = median(chunks.slice(-STEADY_WINDOW));
  }
  const warmedMs = now() - start;
  const iters = Math.max(1, Math.ceil(minRepMs / once));
  const runs = [];
  for (let r = 0; r < repeats; r++) {
    t0 = now();
    await run(iters);
    runs.push((now() - t0) / iters);
  }
  return {
    ms: median(runs),
    runs: runs.length,
    itersPerRun: iters,
    warmupMs: Math.round(warmedMs),
  };
}

/*
 * Note [warm-up until steady]: a JavaScript library's step gets faster for seconds after its
 * first call, as V8 optimizes its functions one by one: V8 optimizes a function once it has run
 * a budget of bytecode in proportion to its size, so a small function a step calls once waits
 * thousands of steps. On tensorgrad's MLP step (workload 3; `node --trace-opt --trace-deopt`,
 * load ~7), 34, 22, 19, 25, 21, 15, 10, 8, 5, 2 functions were optimized in consecutive
 * half-seconds (165 in all, the last ones past step 3,000), with 22 deoptimizations in all,
 * none repeated; its JavaScript time per step (CPU profile per half-second) fell from 2.5 ms to
 * 0.9, 0.58, 0.47, 0.31, 0.20, 0.19, 0.14 and 0.11 ms; on a quiet machine the step measured
 * in-process settled at 0.56-0.60 ms after 2-5 s where a 400 ms warm-up measured 0.72-0.75
 * (and `node --interrupt-budget=16384`, which optimizes sooner, settled sooner). A training loop
 * runs at the settled speed, so the suite times that: every library (bench/torch_runner.py does
 * the same for PyTorch, whose step is steady from the start, so its warm-up stops after the
 * minimum and two windows) warms up until the step stops falling by STEADY_GAIN from one window
 * of STEADY_WINDOW chunks to the next, within a minimum and a cap (bench/run-js.mjs).
 */
const STEADY_WINDOW = 4;
const STEADY_GAIN = 0.01;

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
