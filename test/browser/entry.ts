/**
 * The page side of test/browser.test.ts: the library and the op table's evaluation, bundled
 * for the browser (no Node built-ins), exposed as `globalThis.tensorgradTest`.
 */
import * as torch from "../../src/index.js";
import type { DTypeName } from "../../src/index.js";
import { decodeNumber, type NonFinite } from "../helpers/decode.js";
import { checkSpec, type Fixture, type OpSpec } from "../helpers/op-eval.js";
import { captureOut, type Tutorial } from "../../examples/cell.js";
import * as polynomial from "../../examples/01-autograd-polynomial.js";
import * as basics from "../../examples/02-autograd-basics.js";
import * as differentiation from "../../examples/03-automatic-differentiation.js";
import * as graph from "../../examples/04-autograd-graph.js";
import { nativeAddon, observeNativeCalls } from "../../src/backend/native.js";
import { relaxedUnavailable } from "../../src/backend/wasm-modules.js";
import { poolBuffersReleased } from "../../src/backend/buffers.js";

/** The tour's tutorials (examples/tour.ts lists the same; it also reads files, so not here). */
const tutorials: Tutorial[] = [
  { name: "01-autograd-polynomial", ...polynomial },
  { name: "02-autograd-basics", ...basics },
  { name: "03-automatic-differentiation", ...differentiation },
  { name: "04-autograd-graph", ...graph },
];

/** What each cell of each tutorial prints, run in order: tutorial -> cell title -> text. */
function runTour(): Record<string, Record<string, string>> {
  const printed: Record<string, Record<string, string>> = {};
  for (const t of tutorials) {
    const cells: Record<string, string> = (printed[t.name] = {});
    for (const cell of t.cells) {
      const { out, text } = captureOut();
      cell.run(out);
      cells[cell.title] = text();
    }
  }
  return printed;
}

/** One spec's mismatches (or the error it threw). */
export interface SpecFailure {
  name: string;
  errors: string[];
}

/** Every spec with a fixture, evaluated as test/ops.test.ts evaluates it. */
function runOpTable(
  specs: OpSpec[],
  fixtures: Fixture[],
): { ran: number; failures: SpecFailure[] } {
  const byName = new Map(fixtures.map((f) => [f.name, f]));
  const failures: SpecFailure[] = [];
  let ran = 0;
  for (const spec of specs) {
    const fx = byName.get(spec.name);
    if (fx === undefined) continue;
    ran++;
    try {
      const errors = checkSpec(spec, fx);
      if (errors.length > 0) failures.push({ name: spec.name, errors });
    } catch (e) {
      failures.push({ name: spec.name, errors: [`threw ${String(e)}`] });
    }
  }
  return { ran, failures };
}

/** A print fixture's tensor (test/fixtures/print.json): its values, shape and dtype. */
export interface PrintCase {
  data: (number | NonFinite | "-0")[];
  shape: number[];
  dtype: DTypeName;
  requires_grad: boolean;
}

/** String(t) of each case's tensor, made with torch.tensor as a page would make it. */
function printAll(cases: PrintCase[]): string[] {
  return cases.map((c) => {
    const values = c.data.map((v) => (v === "-0" ? -0 : decodeNumber(v)));
    const t = torch.tensor(values, { dtype: c.dtype }).reshape(c.shape);
    return String(c.requires_grad ? t.requiresGrad_() : t);
  });
}

/**
 * What the console's custom formatters (Note [devtools formatter]) show for each expression's
 * value: the text of the first formatter that takes it, else null.
 */
function devtoolsHeaders(expressions: string[]): (string | null)[] {
  const formatters = (globalThis as { devtoolsFormatters?: { header(v: unknown): unknown }[] })
    .devtoolsFormatters;
  return expressions.map((src) => {
    const v = (new Function("torch", `return (${src});`) as (t: typeof torch) => unknown)(torch);
    for (const f of formatters ?? []) {
      const h = f.header(v);
      if (Array.isArray(h)) return String(h[2]);
    }
    return null;
  });
}

/** What `elementwiseChain` saw: native calls by binding, pool use, gradients both ways. */
export interface ChainRun {
  calls: Record<string, number>;
  /** pool buffers the engine released during each step */
  released: number[];
  /** allocations the pool served from released buffers during each step */
  reused: number[];
  /** max |difference| of w's and b's gradients, WebAssembly kernels vs TypeScript kernels */
  gradDiff: number;
}

/**
 * bench/browser.mjs's elementwise workload, tanh(x * w + b)^2 mean and backward, at n elements:
 * three steps on the WebAssembly kernels (the native calls of the last one recorded), then one
 * on the TypeScript kernels for the gradients' reference.
 */
function elementwiseChain(n: number): ChainRun {
  const val = (seed: number) => torch.linspace(-2 + seed, 2 - seed, n);
  const x = val(0.1);
  const w = val(0.2).requiresGrad_();
  const b = val(0.3).requiresGrad_();
  const stats = () =>
    (nativeAddon?.bufferPoolStats?.() as { reused?: number } | undefined)?.reused ?? 0;
  const step = () => {
    w.grad = null;
    b.grad = null;
    torch.tanh(x.mul(w).add(b)).pow(2).mean().backward();
    return [w.grad!.clone(), b.grad!.clone()] as const;
  };
  const released: number[] = [];
  const reused: number[] = [];
  const calls: Record<string, number> = {};
  let grads: readonly [torch.Tensor, torch.Tensor] | null = null;
  for (let i = 0; i < 3; i++) {
    const [r0, m0] = [poolBuffersReleased(), stats()];
    if (i === 2) observeNativeCalls((name) => (calls[name] = (calls[name] ?? 0) + 1));
    try {
      grads = step();
    } finally {
      observeNativeCalls(null);
    }
    released.push(poolBuffersReleased() - r0);
    reused.push(stats() - m0);
  }
  torch.backends.wasm.enabled = false;
  let ts: readonly [torch.Tensor, torch.Tensor];
  try {
    ts = step();
  } finally {
    torch.backends.wasm.enabled = true;
  }
  const diff = (a: torch.Tensor, c: torch.Tensor) => a.sub(c).abs().max().item() as number;
  const gradDiff = Math.max(diff(grads![0], ts[0]), diff(grads![1], ts[1]));
  return { calls, released, reused, gradDiff };
}

/** The backend's reason at import (test/browser.test.ts: before the threaded module loads). */
const reasonAtImport = torch.backends.wasm.reason;

/** What the threads test reads on a cross-origin isolated page (test/browser.test.ts). */
export interface ThreadsReport {
  isolated: boolean;
  hardware: number;
  reasonAtImport: string;
  reason: string;
  /** Whether this engine runs the relaxed SIMD builds (Note [wasm relaxed fma]). */
  relaxed: boolean;
  workerTasks: number;
  same: boolean;
}

/**
 * Waits (at most 60 s) for the threaded module, then multiplies on the threads until a worker
 * has run a task (workers start asynchronously), and once more on one thread.
 */
async function threadsReport(): Promise<ThreadsReport> {
  const workerTasks = () => (nativeAddon as unknown as { workerTasks(): number }).workerTasks();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const until = performance.now() + 60_000;
  while (!/threads/.test(torch.backends.wasm.reason) && performance.now() < until) await sleep(50);
  const a = torch.randn(256, 256);
  const b = torch.randn(256, 256);
  let many = a.matmul(b);
  while (workerTasks() === 0 && performance.now() < until) {
    many = a.matmul(b);
    await sleep(5);
  }
  const threads = torch.getNumThreads();
  torch.setNumThreads(1);
  const one = a.matmul(b);
  torch.setNumThreads(threads);
  return {
    isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    hardware: navigator.hardwareConcurrency,
    reasonAtImport,
    reason: torch.backends.wasm.reason,
    relaxed: relaxedUnavailable() === null,
    workerTasks: workerTasks(),
    same: torch.equal(many, one),
  };
}

/** What the page exposes to the test (plain data in and out). */
export interface PageApi {
  runOpTable(specs: OpSpec[], fixtures: Fixture[]): { ran: number; failures: SpecFailure[] };
  printAll(cases: PrintCase[]): string[];
  runTour(): Record<string, Record<string, string>>;
  devtoolsHeaders(expressions: string[]): (string | null)[];
  elementwiseChain(n: number): ChainRun;
  threadsReport(): Promise<ThreadsReport>;
  /** The backend's reason now (`torch.backends.wasm.reason`). */
  reason(): string;
  backend: "native" | "wasm" | "js";
  hasProcess: boolean;
}

const api: PageApi = {
  runOpTable,
  printAll,
  runTour,
  devtoolsHeaders,
  elementwiseChain,
  threadsReport,
  reason: () => torch.backends.wasm.reason,
  backend: torch.backends.native.backend,
  hasProcess: typeof (globalThis as { process?: unknown }).process !== "undefined",
};
(globalThis as { tensorgradTest?: PageApi }).tensorgradTest = api;
