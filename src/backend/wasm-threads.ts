/**
 * The WebAssembly backend's threads: workers (worker_threads in Node, Web Workers in a browser)
 * that each run the threaded module (native/wasm/build.sh's tensorgrad-threads.wasm) on the
 * main instance's shared memory and take the kernels' parallel tasks from the pool in that
 * memory (Note [wasm pool], native/common.cc).
 *
 * Note [wasm workers]: a worker instantiates the module the main thread compiled (a
 * WebAssembly.Module is shared between threads, compiled code included) on the same
 * WebAssembly.Memory, so the module's statics (the pool's job word, the allocator) are one set
 * for all threads. It does not run `_initialize` (the constructors ran once, on the main
 * instance, and must not run again over live objects); it gets its own stack (its
 * `__stack_pointer`, which starts where the main instance's does) and its own thread-local block
 * (`__wasm_init_tls`: the kernels' scratch buffers), both allocated by the main thread before
 * the worker starts, then calls `tg_worker`, which never returns. Workers start
 * asynchronously; the pool never waits for one (the caller claims tasks too), so the first
 * calls may run on the main thread alone.
 *
 * Shared memory needs SharedArrayBuffer: always there in Node, and in a browser only on a
 * cross-origin isolated page (served with `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`). Elsewhere the single-threaded module runs.
 */

/** The worker's program (plain JavaScript: a Node eval worker or a Blob URL Web Worker). */
const WORKER_SOURCE = `"use strict";
const start = (d) => {
  const memory = d.memory;
  const wasi = {
    clock_time_get: (_id, _precision, out) => {
      new DataView(memory.buffer).setBigUint64(out, BigInt(Math.round(performance.now() * 1e6)), true);
      return 0;
    },
  };
  const ex = new WebAssembly.Instance(d.module, { env: { memory }, wasi_snapshot_preview1: wasi }).exports;
  ex.__stack_pointer.value = d.stack;
  ex.__wasm_init_tls(d.tls);
  ex.tg_worker();
};
// (Node: an eval worker is a CommonJS script or, under --input-type=module, a module)
if (typeof process === "object" && process.getBuiltinModule !== undefined)
  start(process.getBuiltinModule("node:worker_threads").workerData);
else self.onmessage = (e) => start(e.data);
`;

/** Stack bytes per worker (as the main instance's: build.sh's -z stack-size). */
const STACK_BYTES = 1 << 20;

/** What a worker is given (Note [wasm workers]). */
interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  stack: number;
  tls: number;
}

/** The threaded module's exports the pool uses. */
export interface ThreadExports {
  tg_malloc(bytes: number): number;
  tg_set_threads(n: number): void;
  tg_worker_tasks(): number;
  tg_set_grain(grain: number): void;
  __tls_size: WebAssembly.Global;
  __tls_align: WebAssembly.Global;
  __wasm_init_tls(block: number): void;
}

type Proc = {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
};

type NodeWorker = { unref(): void; on(event: "error", f: (e: unknown) => void): void };
type NodeWorkerThreads = {
  Worker: new (src: string, opts: { eval: true; workerData: WorkerData }) => NodeWorker;
};

function nodeProcess(): Proc | undefined {
  const proc = (globalThis as { process?: Proc }).process;
  return proc?.versions?.node !== undefined ? proc : undefined;
}

/**
 * Why this engine cannot run workers on shared memory, or null when it can.
 */
export function threadsUnavailable(): string | null {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  const proc = nodeProcess();
  if (proc !== undefined) {
    if (proc.getBuiltinModule === undefined) return "Node.js without process.getBuiltinModule";
    return typeof g.SharedArrayBuffer === "function" ? null : "no SharedArrayBuffer";
  }
  if (typeof (globalThis as { Worker?: unknown }).Worker !== "function") return "no Web Workers";
  if (g.crossOriginIsolated !== true || typeof g.SharedArrayBuffer !== "function") {
    return "the page is not cross-origin isolated (no SharedArrayBuffer)";
  }
  return null;
}

/** The machine's logical processors (the native backend's default thread count too). */
export function hardwareThreads(): number {
  const proc = nodeProcess();
  if (proc !== undefined) {
    const os = proc.getBuiltinModule?.("node:os") as
      { availableParallelism?(): number; cpus(): unknown[] } | undefined;
    return Math.max(1, os?.availableParallelism?.() ?? os?.cpus().length ?? 1);
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/**
 * The threads the WebAssembly kernels use by default: TENSORGRAD_WASM_THREADS where set (a
 * positive integer; 1 runs the single-threaded module), else the machine's logical processors.
 */
export function wantedThreads(): number {
  return positiveEnv("TENSORGRAD_WASM_THREADS") ?? hardwareThreads();
}

/** The threaded module's grain (Note [wasm grain]): TENSORGRAD_WASM_GRAIN, else 4. */
export function wantedGrain(): number {
  return positiveEnv("TENSORGRAD_WASM_GRAIN") ?? 4;
}

/** A positive integer from the environment variable `name`, or undefined where unset. */
function positiveEnv(name: string): number | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env?.[name];
  if (env === undefined || env === "") return undefined;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${name} must be a positive integer, not "${env}"`);
  }
  return n;
}

/** The workers of one threaded instance; `resize` sets how many threads the kernels use. */
export class WasmThreads {
  private workers = 0;
  private threads = 1;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly ex: ThreadExports,
  ) {}

  /** The threads the kernels use, the caller's included. */
  get size(): number {
    return this.threads;
  }

  /**
   * Uses n threads (at most 256, as the addon): starts workers up to n - 1 (a worker, once
   * started, stays: fewer threads only means fewer tasks per call).
   */
  resize(n: number): void {
    n = Math.max(1, Math.min(256, Math.floor(n)));
    while (this.workers < n - 1) {
      this.spawn();
      this.workers++;
    }
    this.threads = n;
    this.ex.tg_set_threads(n);
  }

  private spawn(): void {
    const align = Math.max(16, Number(this.ex.__tls_align.value));
    const tlsBytes = Math.max(Number(this.ex.__tls_size.value), 1);
    const stackBase = this.ex.tg_malloc(STACK_BYTES);
    const tls = this.ex.tg_malloc(tlsBytes + align);
    if (stackBase === 0 || tls === 0) throw new RangeError("out of WebAssembly memory");
    const data: WorkerData = {
      module: this.module,
      memory: this.memory,
      // (the stack grows down from its top, 16-byte aligned)
      stack: (stackBase + STACK_BYTES) & ~15,
      tls: Math.ceil(tls / align) * align,
    };
    const proc = nodeProcess();
    if (proc !== undefined) {
      const wt = proc.getBuiltinModule!("node:worker_threads") as NodeWorkerThreads;
      const w = new wt.Worker(WORKER_SOURCE, { eval: true, workerData: data });
      // (unref: an idle pool does not keep the process alive; a worker that fails to start
      // leaves its share to the other threads: the pool never waits for it)
      w.unref();
      w.on("error", () => {});
      return;
    }
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    const w = new Worker(url);
    w.postMessage(data);
  }
}

/** The thread-local block of the main instance (Note [wasm workers]): as a worker's. */
export function initMainThread(ex: ThreadExports): void {
  const align = Math.max(16, Number(ex.__tls_align.value));
  const tls = ex.tg_malloc(Math.max(Number(ex.__tls_size.value), 1) + align);
  if (tls === 0) throw new RangeError("out of WebAssembly memory");
  ex.__wasm_init_tls(Math.ceil(tls / align) * align);
}
