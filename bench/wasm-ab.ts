// The WebAssembly backend's float32 matmul, two builds of the module in one process: A B A B ...
// over rounds, so that a loaded machine slows both alike. Each figure is the best round's GFLOP/s
// (a round: enough products to take ~40 ms of this process's CPU time: CPU time, not wall time, since
// a loaded machine deschedules the process), "B/A" the median of the rounds' time ratios A/B
// (above 1: B faster). Copies in and out of the module's memory are included, as in use.
//   node --import tsx bench/wasm-ab.ts a.wasm [b.wasm] [--rounds r] [shape names...]
//   node --import tsx bench/wasm-ab.ts --threads 1,2 [--rounds r] [shape names...]
// (b.wasm defaults to the embedded single-threaded module; a shape BxMxKxN[tn|nt] may be given
// ad hoc; --threads A,B times the embedded modules with A and B threads, Note [wasm threads
// module]: 1 is the single-threaded module)
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { loadWasm } from "../src/backend/wasm.js";

const SHAPES: [string, number, number, number, number, string][] = [
  ["n512", 1, 512, 512, 512, ""],
  ["tn512", 1, 512, 512, 512, "tn"],
  ["nt512", 1, 512, 512, 512, "nt"],
  ["n1024", 1, 1024, 1024, 1024, ""],
  ["mlp1", 1, 128, 784, 256, "nt"],
  ["mlp2", 1, 128, 256, 10, "nt"],
  ["mlp1.dW", 1, 256, 128, 784, "tn"],
  ["mlp1.dx", 1, 128, 256, 784, ""],
];

const args = process.argv.slice(2);
const rounds = args.includes("--rounds") ? Number(args[args.indexOf("--rounds") + 1]) : 7;
const files = args.filter((a) => a.endsWith(".wasm"));
const threads = args.includes("--threads")
  ? args[args.indexOf("--threads") + 1].split(",").map(Number)
  : null;
const names = args.filter(
  (a, i) =>
    !a.startsWith("--") &&
    !a.endsWith(".wasm") &&
    args[i - 1] !== "--rounds" &&
    args[i - 1] !== "--threads",
);
const shapes =
  names.length === 0
    ? SHAPES
    : names.map((nm) => {
        const known = SHAPES.find((s) => s[0] === nm);
        if (known) return known;
        const m = nm.match(/^(\d+)x(\d+)x(\d+)x(\d+)(tn|nt)?$/);
        if (m === null) throw new Error(`unknown shape ${nm}`);
        return [nm, +m[1], +m[2], +m[3], +m[4], m[5] ?? ""] as (typeof SHAPES)[number];
      });
const load = (f?: string) =>
  f === undefined
    ? loadWasm({ threads: 1 })
    : loadWasm({ bytes: new Uint8Array(readFileSync(f)) as Uint8Array<ArrayBuffer> });
const builds =
  threads !== null
    ? threads.map((t) => loadWasm({ threads: t }))
    : [load(files[0]), load(files[1])];

console.log(
  `load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}; ${
    threads !== null
      ? `A=${builds[0].describe} B=${builds[1].describe}`
      : `A=${files[0]} B=${files[1] ?? "embedded"}`
  }`,
);
console.log("shape            A GF/s   B GF/s   B/A(median)  maxdiff");
for (const [name, batch, m, k, n, layout] of shapes) {
  const a = Float32Array.from({ length: batch * m * k }, (_, i) => Math.sin(i * 0.37));
  const b = Float32Array.from({ length: batch * k * n }, (_, i) => Math.cos(i * 0.11));
  const [aRow, aCol] = layout === "tn" ? [1, m] : [k, 1];
  const [bRow, bCol] = layout === "nt" ? [1, k] : [n, 1];
  const outs = builds.map(() => new Float32Array(batch * m * n));
  const call = (w: number) =>
    builds[w].matmul(a, 0, m * k, aRow, aCol, b, 0, k * n, bRow, bCol, outs[w], batch, m, k, n);
  // repeats per round: ~40 ms
  call(0);
  call(1);
  // (with threads, wall time: the process's CPU time sums the workers' too, spinning included)
  const cpu =
    threads !== null
      ? () => performance.now()
      : () => {
          const u = process.cpuUsage();
          return (u.user + u.system) / 1000;
        };
  let t = performance.now();
  call(0);
  const reps = Math.max(1, Math.round(40 / Math.max(0.01, performance.now() - t)));
  const best = [Infinity, Infinity];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const times = [0, 0];
    for (const w of r % 2 === 0 ? [0, 1] : [1, 0]) {
      t = cpu();
      for (let i = 0; i < reps; i++) call(w);
      times[w] = (cpu() - t) / reps;
      best[w] = Math.min(best[w], times[w]);
    }
    ratios.push(times[0] / times[1]);
  }
  ratios.sort((x, y) => x - y);
  let diff = 0;
  for (let i = 0; i < outs[0].length; i++) diff = Math.max(diff, Math.abs(outs[0][i] - outs[1][i]));
  const gf = (ms: number) => ((2 * batch * m * k * n) / ms / 1e6).toFixed(1).padStart(8);
  console.log(
    `${name.padEnd(14)} ${gf(best[0])} ${gf(best[1])}   ${ratios[ratios.length >> 1].toFixed(3).padStart(8)}   ${diff.toExponential(1)}`,
  );
}
