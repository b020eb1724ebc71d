// PyTorch at its best on this machine, the project's rule for every comparison: each workload
// runs under each configuration below and the fastest counts. Shared by bench/overhead.mjs and
// bench/suite.mjs.
import { existsSync } from "node:fs";

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
 * The environment of a PyTorch child under `config`: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
 * removed (set on this machine, they force older OpenBLAS kernels than the CPU's), glibc's
 * malloc thresholds raised, and OMP_WAIT_POLICY only where the configuration sets it.
 */
export function torchEnv(config, base = process.env) {
  const env = { ...base };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  delete env.OMP_WAIT_POLICY;
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
