// PyTorch at its best on this machine, the project's rule for every comparison: each workload
// runs under each configuration below and the fastest counts. Shared by bench/overhead.mjs and
// bench/suite.mjs.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";

/** Debian's python3 with torch 1.13 (the `python3` first on PATH may have none). */
export const TORCH_PY = "/usr/bin/python3";

export const torchAvailable = () => existsSync(TORCH_PY);

/**
 * The configurations tried: intra-op threads (torch.set_num_threads) and OpenMP's wait policy.
 * PASSIVE makes idle OpenMP workers sleep instead of spinning, which helps when the two cores
 * are shared with other processes.
 */
export const TORCH_CONFIGS = [
  { id: "torch1", label: "1 thread", short: "1t", threads: 1, env: {} },
  { id: "torch2", label: "2 threads", short: "2t", threads: 2, env: {} },
  {
    id: "torch2p",
    label: "2 threads, OMP_WAIT_POLICY=PASSIVE",
    short: "2t passive",
    threads: 2,
    env: { OMP_WAIT_POLICY: "PASSIVE" },
  },
];

/**
 * glibc's malloc returns blocks above 128 KiB to the OS (mmap, trim) on every free by default,
 * so each large temporary costs page faults; raising both thresholds to 256 MiB keeps them in
 * the heap, as a tuned PyTorch deployment (or jemalloc) would.
 */
const GLIBC_TUNABLES =
  "glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=268435456";

/**
 * Note [OpenBLAS core type]: Debian's OpenBLAS (0.3.21) picks its kernels by the CPU's model
 * number, and a CPU newer than the library gets an old generic kernel: on an Emerald Rapids
 * Xeon (model 207) torch.mm at n = 512 on one thread ran at 55 GFLOP/s with OPENBLAS_CORETYPE
 * unset and 211 with it set to Cooperlake. An environment may also set it to an older kernel
 * than the CPU's (the machine of sessions 8-12 did). So the core type PyTorch runs with is the
 * fastest of unset and OpenBLAS's x86-64 AVX2/AVX-512 targets on this CPU, found once per
 * process by timing that product (best of 20, after 3 unmeasured), and OPENBLAS_L2_SIZE is
 * removed. `TORCH_CORETYPE` (a name, or "unset") skips the probe.
 */
const CORETYPES = ["SapphireRapids", "Cooperlake", "SkylakeX", "Haswell", "Zen"];

const PROBE = `
import time, torch
torch.set_num_threads(1)
a = torch.randn(512, 512); b = torch.randn(512, 512)
for _ in range(3): a @ b
best = 1e9
for _ in range(20):
    t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)
print(best)
`;

let coreType; // undefined: not probed yet; null: unset is fastest (or no probe possible)

/** The OPENBLAS_CORETYPE PyTorch is fastest with here, or null for none (Note [OpenBLAS core type]). */
export function bestCoreType(base = process.env) {
  if (coreType !== undefined) return coreType;
  if (base.TORCH_CORETYPE !== undefined) {
    coreType = base.TORCH_CORETYPE === "unset" ? null : base.TORCH_CORETYPE;
    return coreType;
  }
  coreType = null;
  if (!torchAvailable() || os.arch() !== "x64") return coreType;
  const time = (ct) => {
    const env = { ...base, GLIBC_TUNABLES };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    if (ct !== null) env.OPENBLAS_CORETYPE = ct;
    const r = spawnSync(TORCH_PY, ["-c", PROBE], { env, encoding: "utf8", timeout: 60_000 });
    const s = Number(r.stdout?.trim());
    return r.status === 0 && Number.isFinite(s) ? s : Infinity;
  };
  let best = time(null);
  for (const ct of CORETYPES) {
    const s = time(ct);
    if (s < best * 0.95) {
      best = s;
      coreType = ct;
    }
  }
  return coreType;
}

/**
 * The environment of a PyTorch child under `config`: OPENBLAS_CORETYPE the fastest here (Note
 * [OpenBLAS core type]), OPENBLAS_L2_SIZE removed, glibc's malloc thresholds raised, and
 * OMP_WAIT_POLICY only where the configuration sets it.
 */
export function torchEnv(config, base = process.env) {
  const env = { ...base };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  delete env.OMP_WAIT_POLICY;
  const ct = bestCoreType(base);
  if (ct !== null) env.OPENBLAS_CORETYPE = ct;
  return { ...env, GLIBC_TUNABLES, ...config.env };
}

/**
 * The fastest of per-configuration results (`{ [config.id]: number | undefined }`, lower is
 * better): `{ value, config }`, or null when no configuration gave a number.
 */
export function fastest(byConfig) {
  let best = null;
  for (const config of TORCH_CONFIGS) {
    const value = byConfig[config.id];
    if (typeof value !== "number" || !Number.isFinite(value)) continue;
    if (best === null || value < best.value) best = { value, config };
  }
  return best;
}
