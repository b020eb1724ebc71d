/**
 * Loader for the native backend: the Node-API addon built from `native/` (`npm run
 * build:native`, also attempted by `npm install`). Kernels in cpu.ts call into it for large
 * products and keep their TypeScript path for small ones, other dtypes, and wherever the addon
 * is absent (a browser, a machine without a C++ compiler).
 *
 * `TENSORGRAD_BACKEND=js` never loads it; `TENSORGRAD_BACKEND=native` requires it (an error at
 * import if it cannot be loaded); unset: use it if present. Nothing here imports a `node:`
 * module statically: `createRequire` is fetched at run time (`process.getBuiltinModule`), so
 * the browser build loads this file and simply finds no addon.
 */
import type { TypedArray } from "../dtype.js";
import type { ElementwiseKernels } from "./native-elementwise.js";
import type { NnKernels } from "./native-nn.js";
import type { ReduceKernels } from "./native-reduce.js";

/** The addon's exports (native/*.cc; one interface per kernel family). */
export interface NativeAddon extends ElementwiseKernels, ReduceKernels, NnKernels {
  matmul(
    a: Float32Array | Float64Array,
    aOff: number,
    aBatch: number,
    aRow: number,
    aCol: number,
    b: Float32Array | Float64Array,
    bOff: number,
    bBatch: number,
    bRow: number,
    bCol: number,
    out: Float32Array | Float64Array,
    batch: number,
    m: number,
    k: number,
    n: number,
  ): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  /** Force the portable micro-kernel ("scalar") or the best supported ("auto"); returns it. */
  setKernel(which: "scalar" | "avx2" | "auto"): string;
  /** The kernels chosen at load: "avx512f" (AVX-512 matmul, AVX2 elsewhere), "avx2-fma" or "scalar". */
  readonly simd: string;
}

/** The arrays native kernels compute on. */
export type FloatArray = Float32Array | Float64Array;

/** Whether `a` is a Float32Array or a Float64Array. */
export function isFloat(a: TypedArray): a is FloatArray {
  return a instanceof Float32Array || a instanceof Float64Array;
}

/** Whether every array given (null and undefined skipped) is the same float type as `a`. */
export function sameFloat(a: TypedArray, ...rest: (TypedArray | null | undefined)[]): boolean {
  const ctor = a.constructor;
  if (ctor !== Float32Array && ctor !== Float64Array) return false;
  for (const r of rest) if (r !== null && r !== undefined && r.constructor !== ctor) return false;
  return true;
}

/** Where the native backend stands: `active` when kernels dispatch to it. */
export interface NativeStatus {
  readonly active: boolean;
  /** Why it is inactive (or "loaded"), for messages and skipped tests. */
  readonly reason: string;
  readonly simd: string | null;
}

type Proc = {
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
};

// native/build/Release/<name>.node relative to this module, which is src/backend/native.ts
// under tsx and dist/backend/native.js when built: both two levels below the package root.
// A relative require resolves against this module's directory; the path is joined at run time
// so bundlers do not try to resolve it.
const ADDON_PATH = ["..", "..", "native", "build", "Release", "tensorgrad_native.node"].join("/");

function load(): { addon: NativeAddon | null; reason: string } {
  const proc = (globalThis as { process?: Proc }).process;
  const choice = proc?.env?.TENSORGRAD_BACKEND ?? "";
  if (choice !== "" && choice !== "js" && choice !== "native") {
    throw new Error(`TENSORGRAD_BACKEND must be "js" or "native", got "${choice}"`);
  }
  if (choice === "js") return { addon: null, reason: "disabled by TENSORGRAD_BACKEND=js" };
  let addon: NativeAddon | null = null;
  let reason: string;
  let missing = true;
  if (proc?.versions?.node === undefined) {
    reason = "not running on Node.js";
  } else {
    try {
      const mod = proc.getBuiltinModule?.("node:module") as
        { createRequire(url: string | URL): (id: string) => unknown } | undefined;
      if (mod === undefined) {
        reason = "Node.js 20.16 or newer is needed to load the addon";
      } else {
        addon = mod.createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
        reason = "loaded";
      }
    } catch (e) {
      const err = e as { code?: string; message?: string };
      missing = err.code === "MODULE_NOT_FOUND";
      reason = missing
        ? "the addon is not built (run `npm run build:native`)"
        : `the addon failed to load: ${err.message ?? String(e)}`;
    }
  }
  if (addon === null && choice === "native") {
    throw new Error(`TENSORGRAD_BACKEND=native, but ${reason}`);
  }
  if (addon === null && !missing) {
    // built but unusable (e.g. built for another Node ABI): say so once, then run on TypeScript
    console.warn(`tensorgrad: using the TypeScript backend: ${reason}`);
  }
  return { addon, reason };
}

const loaded = load();

/** The loaded addon, or null (TypeScript kernels only). */
export const nativeAddon: NativeAddon | null = loaded.addon;

export const nativeStatus: NativeStatus = {
  active: loaded.addon !== null,
  reason: loaded.reason,
  simd: loaded.addon?.simd ?? null,
};

/**
 * Multiply-adds (batch * m * k * n) from which `matmul` goes native. Measured on the 2-core
 * AVX2 machine here (float32, µs per call, TypeScript vs native): 4x4x4 0.58 vs 0.61,
 * 8x8x8 1.2 vs 0.68, 16x16x16 5.2 vs 0.75, but thin products pay for packing whole register
 * tiles: 1x256x1 1.2 vs 2.5, 64x64x1 8.8 vs 3.3. 2048 sits above both crossovers.
 */
let matmulMinWork = 2048;

/** Set the native `matmul` threshold (multiply-adds); 0 sends every float product native. */
export function setNativeMatmulThreshold(work: number): void {
  matmulMinWork = work;
}

export function getNativeMatmulThreshold(): number {
  return matmulMinWork;
}

/** Threads for native kernels (default: the machine's hardware concurrency). */
export function setNumThreads(n: number): void {
  nativeAddon?.setNumThreads(n);
}

export function getNumThreads(): number {
  return nativeAddon?.getNumThreads() ?? 1;
}

/**
 * The dispatch used by cpu.ts `matmul`: runs the product natively and returns true when the
 * addon is loaded, the product is large enough, and a, b and out share a float dtype;
 * otherwise returns false and the caller runs its TypeScript loop.
 */
export function tryNativeMatmul(
  a: TypedArray,
  aOff: number,
  aBatch: number,
  aRow: number,
  aCol: number,
  b: TypedArray,
  bOff: number,
  bBatch: number,
  bRow: number,
  bCol: number,
  out: TypedArray,
  batch: number,
  m: number,
  k: number,
  n: number,
): boolean {
  if (nativeAddon === null || batch * m * k * n < matmulMinWork) return false;
  if (!sameFloat(a, b, out)) return false;
  nativeAddon.matmul(
    a as FloatArray,
    aOff,
    aBatch,
    aRow,
    aCol,
    b as FloatArray,
    bOff,
    bBatch,
    bRow,
    bCol,
    out as FloatArray,
    batch,
    m,
    k,
    n,
  );
  return true;
}
