/**
 * The backend notice (Note [backend notice]): one line naming the backend a process runs on,
 * printed when it makes its first tensor.
 */
import { nativeStatus } from "./native.js";

type Proc = {
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
};

/**
 * Note [backend notice]: the first tensor a process makes (src/tensor.ts calls this once)
 * prints one line to stderr naming the backend and why, e.g. "tensorgrad: native backend
 * (prebuilt linux-x64, AVX-512)" or "tensorgrad: TypeScript backend: no C++ compiler found at
 * install and no prebuilt binary for win32-arm64 (10-60x slower)": npm hides what the install
 * hook prints, and a silent fall back to the TypeScript kernels looks like a slow library.
 * Not printed with TENSORGRAD_QUIET=1, under `node --test` (whose test files each run in a
 * process marked by NODE_TEST_CONTEXT: the test command would print it once per file), or
 * outside Node.js (a browser has no other backend to choose).
 */
export function backendNotice(): string | null {
  const proc = (globalThis as { process?: Proc }).process;
  const env = proc?.env;
  if (proc?.versions?.node === undefined || env === undefined) return null;
  const quiet = env.TENSORGRAD_QUIET;
  if ((quiet !== undefined && quiet !== "" && quiet !== "0") || env.NODE_TEST_CONTEXT !== undefined)
    return null;
  if (nativeStatus.backend === "wasm")
    return `tensorgrad: WebAssembly backend (${nativeStatus.reason})`;
  return nativeStatus.active
    ? `tensorgrad: native backend (${nativeStatus.reason})`
    : `tensorgrad: TypeScript backend: ${nativeStatus.reason} (10-60x slower)`;
}

/**
 * Prints Note [backend notice]'s line (when not suppressed); the caller calls it once. Written
 * to file descriptor 2 directly: `console.warn` would make `process.stderr`, whose stream (a
 * net.Socket when stderr is a pipe) loads Node's stream and net modules, ~24M instructions of
 * a process that imports the package and takes one gradient (bench/startup.mjs,
 * `valgrind --tool=callgrind`). Node writes to stderr synchronously where it is a file or a
 * pipe (POSIX) or a terminal, so the line keeps its place among the program's own writes.
 */
export function announceBackend(): void {
  const line = backendNotice();
  if (line === null) return;
  const proc = (globalThis as { process?: Proc }).process;
  const fs = proc?.getBuiltinModule?.("node:fs") as
    { writeSync(fd: number, s: string): number } | undefined;
  try {
    if (fs !== undefined) {
      fs.writeSync(2, `${line}\n`);
      return;
    }
  } catch {
    // a closed or non-blocking descriptor: through the console instead
  }
  console.warn(line);
}
