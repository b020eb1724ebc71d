// Import cost (issue 12): the wall time of a whole `node` process that imports the package and
// takes one gradient, against a bare `node -e 0`, as the median of N fresh processes each
// (interleaved, so both see the same machine load). The ESM entry (`import * as torch`) and
// the CommonJS entry (`require`) of the built package are timed; one unmeasured run of each
// first writes the compile cache (Note [compile cache], scripts/build-dist.mjs) as a user's
// first run does.
//   npm run bench:startup              21 processes per row
//   node bench/startup.mjs --n 41      more
// `npm run bench` runs it after the suite.
import { spawnSync } from "node:child_process";
import os from "node:os";
import { URL, fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const N = args.includes("--n") ? Number(args[args.indexOf("--n") + 1]) : 21;
const root = fileURLToPath(new URL("..", import.meta.url));
const entry = (p) => JSON.stringify(new URL(p, new URL("..", import.meta.url)).href);

// one gradient: d/dx sum(x*x) = 2x, checked so that a broken build cannot pass as fast
const grad =
  "const x = torch.tensor([1, 2, 3], { requiresGrad: true }); x.mul(x).sum().backward();" +
  'if (String(x.grad) !== "tensor([2., 4., 6.])") throw new Error(String(x.grad));';
const rows = [
  { label: "node -e 0 (bare)", argv: ["-e", "0"] },
  {
    label: 'import * as torch from "tensorgrad"; one gradient',
    argv: ["--input-type=module", "-e", `import * as torch from ${entry("dist/index.js")};${grad}`],
  },
  {
    label: 'const torch = require("tensorgrad"); one gradient',
    argv: ["-e", `const torch = require(${JSON.stringify(root + "dist/cjs/index.cjs")});${grad}`],
  },
];

function run(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${argv.join(" ")} failed:\n${r.stderr}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const row of rows) run(row.argv); // warm-up: the OS file cache and the compile cache
const load0 = os.loadavg()[0];
const times = rows.map(() => []);
for (let i = 0; i < N; i++) rows.forEach((row, j) => times[j].push(run(row.argv)));
const load1 = os.loadavg()[0];
console.log(`\nImport cost: median wall time of ${N} fresh processes (Node ${process.version})\n`);
console.log("| process | ms | over bare node |\n| --- | --- | --- |");
const bare = median(times[0]);
rows.forEach((row, j) => {
  const m = median(times[j]);
  console.log(`| ${row.label} | ${m.toFixed(0)} | ${j === 0 ? "" : `+${(m - bare).toFixed(0)}`} |`);
});
console.log(
  `\nLoad average (1 min): ${load0.toFixed(2)} before, ${load1.toFixed(2)} after` +
    (Math.max(load0, load1) > os.availableParallelism() / 2
      ? " — other work shared the CPUs; figures are noisy"
      : ""),
);
