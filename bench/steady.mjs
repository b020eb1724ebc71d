// How a workload's step time falls over a process's first seconds, and whether the suite's
// warm-up (Note [warm-up until steady] in bench/lib/harness.mjs) reaches the settled speed:
//   node bench/steady.mjs [library] [workload] [seconds]     (default: tensorgrad mlp 8)
// prints the mean and 10th-percentile step time of each half-second, then, in a fresh process,
// the suite's measurement (bench/run-js.mjs's options) followed by four later ones: a later
// figure clearly below the first means the warm-up stopped before the step settled.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { measure } from "./lib/harness.mjs";

const [lib = "tensorgrad", workload = "mlp", secondsArg = "8", mode = "timeline"] =
  process.argv.slice(2);
const now = () => Number(process.hrtime.bigint()) / 1e6;

async function makeStep() {
  const impl = await (await import(`./libs/${lib}.mjs`)).load();
  return impl.workloads[workload]();
}

if (mode === "timeline") {
  const step = await makeStep();
  const rows = [];
  const start = now();
  let t0 = start;
  let times = [];
  while (now() - start < Number(secondsArg) * 1000) {
    const s = now();
    await step();
    const t = now();
    times.push(t - s);
    if (t - t0 >= 500) {
      times.sort((a, b) => a - b);
      const mean = (t - t0) / times.length;
      rows.push(
        `${((t - start) / 1000).toFixed(1)} s: ${mean.toFixed(3)} / ${times[Math.floor(times.length / 10)].toFixed(3)}`,
      );
      t0 = t;
      times = [];
    }
  }
  console.log(`${lib} ${workload}, ms per step (mean / 10th percentile) per half-second:`);
  console.log(rows.join("\n"));
  const me = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [me, lib, workload, secondsArg, "measure"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  console.log(r.stdout.trim());
} else {
  const step = await makeStep();
  const first = await measure(step, { repeats: 9, minRepMs: 150, warmupMs: 2000, steadyMs: 8000 });
  const later = [];
  for (let i = 0; i < 4; i++) {
    later.push((await measure(step, { repeats: 9, minRepMs: 150, warmupMs: 400 })).ms.toFixed(3));
  }
  console.log(
    `suite's measurement ${first.ms.toFixed(3)} ms after a ${first.warmupMs} ms warm-up; later: ${later.join(" ")}`,
  );
}
process.exit(0);
