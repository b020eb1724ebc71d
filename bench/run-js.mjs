// One child measurement: `node bench/run-js.mjs <library> <workload> [--quick]`.
// Loads bench/libs/<library>.mjs, builds the workload's step, times it, prints one result line.
import { emit, measure, memoryRun } from "./lib/harness.mjs";

const [lib, workload] = process.argv.slice(2);
const quick = process.argv.includes("--quick");
const variant = process.argv.find((a) => a.startsWith("--variant="))?.slice(10);

try {
  const mod = await import(`./libs/${lib}.mjs`);
  const impl = await mod.load(variant);
  const key = workload === "memory" ? "mlp" : workload;
  const make = impl.workloads[key];
  if (typeof make !== "function") {
    emit({
      ok: false,
      status: "unsupported",
      reason: impl.unsupported?.[key] ?? "not implemented",
    });
  } else {
    const step = await make();
    if (workload === "memory") {
      emit({ ok: true, ...(await memoryRun(step)), info: impl.info });
    } else {
      const big = workload === "matmul1024";
      const r = await measure(step, {
        repeats: quick ? 3 : 9,
        minRepMs: quick ? 50 : 150,
        warmupMs: big ? 0 : quick ? 500 : 2000,
        // until the step stops getting faster, at most this long (Note [warm-up until steady]
        // in bench/lib/harness.mjs; bench/torch_runner.py the same)
        steadyMs: big ? 0 : quick ? 3000 : 8000,
      });
      emit({ ok: true, ...r, info: impl.info });
    }
  }
} catch (e) {
  emit({ ok: false, status: "error", reason: String(e?.message ?? e).split("\n")[0] });
}
process.exit(0);
