/**
 * Loader for the native backend: the Node-API addon built from `native/` (`npm run
 * build:native`, also attempted by `npm install`), its types (derived from the signatures in
 * abi.ts) and the checked calls the kernel families use. The TypeScript kernels call into it
 * for large arrays and keep their own loops for small ones, other dtypes, and wherever the
 * addon is absent (a browser, a machine without a C++ compiler).
 *
 * `TENSORGRAD_BACKEND=js` never loads it; `TENSORGRAD_BACKEND=native` requires it (an error at
 * import if it cannot be loaded); `TENSORGRAD_BACKEND=wasm` runs the WebAssembly build of the
 * same kernels instead (wasm.ts); unset: use the addon if present (Note [addon precedence]: a
 * build from source, else the prebuilt binary for this platform), else the WebAssembly module
 * (in browsers, and in Node without the addon), else TypeScript only. Nothing here imports a `node:`
 * module statically: `createRequire` is fetched at run time (`process.getBuiltinModule`, Node
 * 20.16+, the `engines` range), so the browser build loads this file and finds no addon.
 */
import type { TypedArray } from "../dtype.js";
import { NATIVE_FAMILIES, parseSignature, type ArgKind, type NativeFamily } from "./abi.js";
import { loadWasm, WASM_FAMILIES } from "./wasm.js";

/** The TypeScript type of each argument kind of abi.ts. */
interface KindTypes {
  int: number;
  num: number;
  float: FloatArray;
  "float?": FloatArray | null;
  f64: Float64Array;
  u8: Uint8Array;
  typed: TypedArray;
  "int[]": readonly number[];
  geo: readonly number[];
}

/** The same for a checked call (`nativeKernels`), which checks the arrays' types itself. */
interface CheckedKindTypes extends Omit<KindTypes, "float" | "float?" | "f64" | "u8"> {
  float: TypedArray;
  "float?": TypedArray | null;
  f64: TypedArray;
  u8: TypedArray;
}

type Words<S extends string> = S extends `${infer H} ${infer T}` ? [H, ...Words<T>] : [S];
type KindsOf<W extends string[], T> = {
  [I in keyof W]: W[I] extends `${string}:${infer K extends ArgKind & keyof T}` ? T[K] : never;
};
/** The argument types of a signature of abi.ts, e.g. "a:float n:int" -> [FloatArray, number]. */
export type NativeArgs<S extends string> = KindsOf<Words<S>, KindTypes>;
type CheckedArgs<S extends string> = KindsOf<Words<S>, CheckedKindTypes>;

type Families = typeof NATIVE_FAMILIES;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (
  x: infer I,
) => void
  ? I
  : never;
/** Every binding's signature string, by name. */
type Signatures = UnionToIntersection<Families[NativeFamily]>;
type BindingName = keyof Signatures & string;

/** The addon's backend-wide controls (native/addon.cc). */
export interface NativeControls {
  setNumThreads(n: number): void;
  getNumThreads(): number;
  /** Force the portable micro-kernel ("scalar") or the best supported ("auto"); returns it. */
  setKernel(which: "scalar" | "avx2" | "auto"): string;
  /** The kernels chosen at load: "avx512f" (AVX-512 matmul, AVX2 elsewhere), "avx2-fma" or "scalar". */
  readonly simd: string;
  /**
   * An ArrayBuffer of `bytes` (at least `poolMinBytes`) from the buffer pool (Note [buffer pool],
   * native/buffers.cc), zero-filled when `zero`, else uninitialised; null when the system
   * refuses memory. Absent when this Node cannot take the pool's buffers or
   * TENSORGRAD_BUFFER_POOL=0.
   */
  readonly allocBuffer?: (bytes: number, zero: boolean) => ArrayBuffer | null;
  /** The smallest request allocBuffer serves (Note [small pool blocks], native/buffers.cc). */
  readonly poolMinBytes?: number;
  /**
   * Detach a buffer allocBuffer made, so that its block goes back to the pool now (with
   * allocBuffer); only for a buffer no code can reach any more. Returns whether it detached.
   */
  readonly releaseBuffer?: (buffer: ArrayBuffer) => boolean;
  /**
   * The pool's mapped bytes, the bytes of freed blocks it keeps resident for reuse, and the
   * number of freed blocks (with allocBuffer).
   */
  readonly bufferPoolStats?: () => {
    mapped: number;
    cached: number;
    free: number;
    uncounted: number;
    external: number;
  };
}

/**
 * The addon's exports: every binding of abi.ts typed from its signature (argument errors throw
 * TypeError / RangeError), and the controls.
 */
export type NativeAddon = {
  [B in BindingName]: (...args: NativeArgs<Signatures[B] & string>) => void;
} & NativeControls;

/** The arrays native kernels compute on. */
export type FloatArray = Float32Array | Float64Array;

/** Where the native backend stands: `active` when kernels dispatch to it. */
export interface NativeStatus {
  readonly active: boolean;
  /**
   * Which kernels run: "native" (the addon), "wasm" (its kernels compiled to WebAssembly,
   * wasm.ts) or "js" (TypeScript only).
   */
  readonly backend: "native" | "wasm" | "js";
  /**
   * Which addon runs and its kernels (e.g. "prebuilt linux-x64, AVX-512"), or why none does
   * (e.g. "no C++ compiler found at install and no prebuilt binary for win32-arm64"): the text
   * of the backend notice (Note [backend notice]).
   */
  readonly reason: string;
  readonly simd: string | null;
  /**
   * @internal `observeNativeCalls` for code outside the bundle (the prebuild test under qemu
   * checks that each kernel family ran natively).
   */
  readonly _observeCalls: (f: ((binding: string, args: readonly unknown[]) => void) | null) => void;
}

type Proc = {
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
  version?: string;
  platform?: string;
  arch?: string;
  getBuiltinModule?: (id: string) => unknown;
};

type NodeRequire = (id: string) => unknown;

/**
 * The package root relative to this module, which is src/backend/native.ts under tsx and
 * dist/backend/native.js when built: both two levels below it. Paths are joined at run time
 * so that bundlers do not try to resolve them.
 */
const ROOT = ["..", ".."].join("/");
const ADDON = "tensorgrad_native.node";

/** The kernels an addon dispatched to, as the notice names them (common.cc simdName). */
function simdLabel(simd: string): string {
  if (simd === "avx512f") return "AVX-512";
  if (simd === "avx2-fma") return "AVX2";
  if (simd === "wasm-simd128") return "SIMD128";
  return "portable C++ kernels";
}

/**
 * Loads the native addon; self-contained (reads nothing at module scope but the constants
 * above), so that it can run at import or on first use.
 *
 * Note [addon precedence]: two files can provide the addon: a build from source,
 * native/build/Release/tensorgrad_native.node (`npm run build:native`, or the install hook
 * when no prebuilt binary fits), and the prebuilt binary the package ships,
 * prebuilds/<platform>-<arch>/tensorgrad_native.node (`npm pack`: scripts/prebuild.mjs). A
 * build from source is tried first: the install hook makes one only when no prebuilt binary
 * loads, and in a clone of the repository it is what its developers just compiled (a prebuilds/
 * left by `npm pack` may be older). The first that loads and has every binding of abi.ts wins.
 * With none, the reason comes from what the install hook recorded
 * (native/build/install-reason.json: "no C++ compiler found at install", ...).
 */
interface Loaded {
  addon: NativeAddon | null;
  /** The notice's text (for the WebAssembly module, at load: its thread count can change). */
  reason: string;
  wasm: boolean;
  /** The text after the module's description ("SIMD128, 2 threads"), for `reasonNow`. */
  wasmRest?: { before: string; after: string };
}

function load(): Loaded {
  const proc = (globalThis as { process?: Proc }).process;
  const choice = proc?.env?.TENSORGRAD_BACKEND ?? "";
  if (choice !== "" && choice !== "js" && choice !== "native" && choice !== "wasm") {
    throw new Error(`TENSORGRAD_BACKEND must be "js", "native" or "wasm", got "${choice}"`);
  }
  if (choice === "js") {
    return { addon: null, reason: "disabled by TENSORGRAD_BACKEND=js", wasm: false };
  }
  if (choice === "wasm") {
    const w = wasmAddon();
    if (w.addon === null) throw new Error(`TENSORGRAD_BACKEND=wasm, but ${w.reason}`);
    return {
      addon: w.addon,
      reason: `TENSORGRAD_BACKEND=wasm, ${w.describe()}`,
      wasm: true,
      wasmRest: { before: "TENSORGRAD_BACKEND=wasm, ", after: "" },
    };
  }
  let reason: string;
  if (proc?.versions?.node === undefined) {
    reason = "not running on Node.js";
  } else if (proc.getBuiltinModule === undefined) {
    reason = `Node.js 20.16 or newer is needed to load the native addon (this is ${proc.version})`;
  } else {
    const mod = proc.getBuiltinModule("node:module") as {
      createRequire(url: string | URL): NodeRequire;
    };
    const fs = proc.getBuiltinModule("node:fs") as {
      existsSync(path: string): boolean;
      readFileSync(path: string, encoding: "utf8"): string;
    };
    const url = proc.getBuiltinModule("node:url") as { fileURLToPath(u: URL): string };
    const path = (rel: string) => url.fileURLToPath(new URL(`${ROOT}/${rel}`, import.meta.url));
    const require = mod.createRequire(import.meta.url);
    const target = `${proc.platform}-${proc.arch}`;
    const candidates = [
      { file: `native/build/Release/${ADDON}`, label: "built from source" },
      { file: `prebuilds/${target}/${ADDON}`, label: `prebuilt ${target}` },
    ];
    const failures: string[] = [];
    for (const c of candidates) {
      if (!fs.existsSync(path(c.file))) continue;
      try {
        const a = require(`${ROOT}/${c.file}`) as NativeAddon;
        // an addon older than abi.ts would throw on its first call: refuse it here instead
        const missing = Object.values(NATIVE_FAMILIES)
          .flatMap((f) => Object.keys(f))
          .find((name) => typeof (a as unknown as Record<string, unknown>)[name] !== "function");
        if (missing !== undefined) {
          failures.push(`${c.file} is out of date (it has no ${missing} binding)`);
        } else {
          return { addon: a, reason: `${c.label}, ${simdLabel(a.simd)}`, wasm: false };
        }
      } catch (e) {
        failures.push(`${c.file} failed to load: ${(e as Error).message ?? String(e)}`);
      }
    }
    // what the install hook found (it tried the prebuild too) explains both halves, else the
    // failures here, else why there is no addon at all
    const recorded = installRecord(path, fs);
    reason =
      recorded?.backend === "js" && typeof recorded.reason === "string"
        ? recorded.reason
        : failures.length > 0
          ? `the native addon ${failures.join("; ")}`
          : notInstalledReason(target, path, fs, recorded);
  }
  if (choice === "native") throw new Error(`TENSORGRAD_BACKEND=native, but ${reason}`);
  // Note [wasm fallback]: without the addon, its kernels compiled to WebAssembly
  const w = wasmAddon();
  if (w.addon !== null) {
    return {
      addon: w.addon,
      reason: `${w.describe()}; ${reason}`,
      wasm: true,
      wasmRest: { before: "", after: `; ${reason}` },
    };
  }
  return { addon: null, reason: `${reason}; ${w.reason}`, wasm: false };
}

/** The WebAssembly module as the addon (wasm.ts), or why this engine cannot run it. */
function wasmAddon(): { addon: NativeAddon | null; reason: string; describe: () => string } {
  const none = () => "";
  if (typeof WebAssembly === "undefined") {
    return { addon: null, reason: "this JavaScript engine has no WebAssembly", describe: none };
  }
  try {
    const w = loadWasm();
    return { addon: w as unknown as NativeAddon, reason: "", describe: () => w.describe };
  } catch (e) {
    return {
      addon: null,
      reason: `the WebAssembly module failed to load: ${(e as Error).message ?? String(e)}`,
      describe: none,
    };
  }
}

type InstallRecord = { backend?: string; reason?: string } | null;
type Fs = { existsSync(p: string): boolean; readFileSync(p: string, enc: "utf8"): string };

/** What the install hook recorded (native/build/install-reason.json, native/install.mjs). */
function installRecord(path: (rel: string) => string, fs: Fs): InstallRecord {
  try {
    const text = fs.readFileSync(path("native/build/install-reason.json"), "utf8");
    return JSON.parse(text) as InstallRecord;
  } catch {
    return null; // the install hook did not run
  }
}

/** Why no addon file exists, when the install hook did not record why. */
function notInstalledReason(
  target: string,
  path: (rel: string) => string,
  fs: Fs,
  recorded: InstallRecord,
): string {
  if (fs.existsSync(path(".git"))) return "the addon is not built (run `npm run build:native`)";
  if (recorded !== null) {
    return `the native addon installed for ${target} is missing (run \`npm rebuild tensorgrad\`)`;
  }
  return (
    `no prebuilt binary for ${target} and the package's install script did not run ` +
    "(run `npm rebuild tensorgrad`)"
  );
}

const loaded = load();

/**
 * The backend's reason now: the module's thread count follows torch.setNumThreads ("SIMD128,
 * 2 threads").
 */
function reasonNow(): string {
  const rest = loaded.wasmRest;
  if (rest === undefined || loaded.addon === null) return loaded.reason;
  return `${rest.before}${(loaded.addon as unknown as { describe: string }).describe}${rest.after}`;
}

/** The loaded addon, or null (TypeScript kernels only). */
export const nativeAddon: NativeAddon | null = loaded.addon;

export const nativeStatus: NativeStatus = {
  active: loaded.addon !== null,
  backend: loaded.addon === null ? "js" : loaded.wasm ? "wasm" : "native",
  get reason(): string {
    return reasonNow();
  },
  simd: loaded.addon?.simd ?? null,
  _observeCalls: observeNativeCalls,
};

/** The WebAssembly backend's status and switch (`torch.backends.wasm`). */
export interface WasmStatus {
  /** Whether the kernels run on the WebAssembly module now (loaded, and `enabled`). */
  readonly active: boolean;
  /**
   * Whether the module's kernels may run, as `torch.backends.mkldnn.enabled` in PyTorch:
   * false sends every kernel family to its TypeScript twin (a page comparing the two, the
   * site's backend selector); true gives them back. Setting it is a no-op when the WebAssembly
   * module is not the loaded backend.
   */
  enabled: boolean;
  /** Why the WebAssembly module is or is not the loaded backend (the backend notice's text). */
  readonly reason: string;
}

let wasmEnabled = true;

export const wasmStatus: WasmStatus = {
  get active(): boolean {
    return loaded.wasm && wasmEnabled;
  },
  get enabled(): boolean {
    return wasmEnabled;
  },
  set enabled(on: boolean) {
    wasmEnabled = on;
    if (!loaded.wasm) return;
    for (const f of Object.keys(familyOff) as NativeFamily[]) familyOff[f] = !on;
  },
  get reason(): string {
    return loaded.wasm
      ? reasonNow()
      : `the ${loaded.addon === null ? "TypeScript kernels" : "native addon"} run: ${loaded.reason}`;
  },
};

/** Threads for native kernels (default: the machine's hardware concurrency). */
export function setNumThreads(n: number): void {
  nativeAddon?.setNumThreads(n);
}

export function getNumThreads(): number {
  return nativeAddon?.getNumThreads() ?? 1;
}

// ---------------------------------------------------------------------------------------------
// Checked calls. A TypeScript kernel decides whether its call is worth the addon (its size
// against the family's measured threshold), then calls the family's binding through
// `nativeKernels`, which checks what the signature declares about the arrays and returns false
// (the kernel then runs its own loop) instead of letting the addon throw.

/** A family's bindings as checked calls: true when the addon ran the call. */
export type NativeCalls<F extends NativeFamily> = {
  [B in keyof Families[F]]: (...args: CheckedArgs<Families[F][B] & string>) => boolean;
};

const familyOff: Record<NativeFamily, boolean> = {
  elementwise: false,
  copy: false,
  scatter: false,
  reduce: false,
  matmul: false,
  conv: false,
  pooling: false,
  resample: false,
  optim: false,
  sort: false,
  activation: false,
  linalg: false,
  "linalg-complex": false,
  fft: false,
  norm: false,
  rnn: false,
};

/**
 * Switch a family's native kernels off (false) or back on (true, when the addon is loaded):
 * the parity tests run the TypeScript twins this way.
 */
export function setNativeFamily(family: NativeFamily, on: boolean): void {
  familyOff[family] = !on;
}

type Observer = (binding: string, args: readonly unknown[]) => void;
let observer: Observer | null = null;

/**
 * See every native call made through `nativeKernels` (its binding's name and arguments) before
 * it runs, or stop (null): test/native-fuzz.test.ts records real argument lists this way.
 */
export function observeNativeCalls(f: Observer | null): void {
  observer = f;
}

/**
 * The checked call of binding `name` of `family` with argument kinds `kinds`: false when the
 * family is off or an array does not have the kind its signature declares (every float and
 * float? array, null skipped for float?, one of Float32Array / Float64Array and all the same;
 * f64 a Float64Array; u8 a Uint8Array), else runs the binding and returns true. Numbers, int
 * arrays and `typed` arrays are left to the caller (they cannot be of a wrong dtype, or their
 * rule depends on an op code). The checks are inlined here rather than in a helper taking the
 * argument list: measured, that kept the list from being optimised away (~40 ns per call).
 */
function checkedCall(
  family: NativeFamily,
  name: string,
  kinds: readonly ArgKind[],
  fn: (...args: unknown[]) => void,
): (...args: unknown[]) => boolean {
  const floats: number[] = [];
  const optional: boolean[] = [];
  const f64: number[] = [];
  const u8: number[] = [];
  kinds.forEach((k, i) => {
    if (k === "float" || k === "float?") {
      floats.push(i);
      optional.push(k === "float?");
    } else if (k === "f64") f64.push(i);
    else if (k === "u8") u8.push(i);
  });
  return (...args) => {
    if (familyOff[family]) return false;
    let ctor: unknown = null;
    for (let j = 0; j < floats.length; j++) {
      const a = args[floats[j]];
      if (a === null && optional[j]) continue;
      const c = (a as object | null)?.constructor;
      if (ctor === null) {
        if (c !== Float32Array && c !== Float64Array) return false;
        ctor = c;
      } else if (c !== ctor) return false;
    }
    for (let j = 0; j < f64.length; j++) if (!(args[f64[j]] instanceof Float64Array)) return false;
    for (let j = 0; j < u8.length; j++) if (!(args[u8[j]] instanceof Uint8Array)) return false;
    if (observer !== null) observer(name, args);
    fn(...args);
    return true;
  };
}

/**
 * The checked calls of a family's bindings (abi.ts `NATIVE_FAMILIES[family]`): each returns
 * false, doing nothing, when the addon is not loaded, the family is switched off, or the arrays
 * do not fit the signature; else runs the binding and returns true.
 */
export function nativeKernels<F extends NativeFamily>(family: F): NativeCalls<F> {
  const calls: Record<string, (...args: unknown[]) => boolean> = {};
  const addon = nativeAddon as unknown as Record<string, (...args: unknown[]) => void> | null;
  const off = addon === null || (loaded.wasm && !WASM_FAMILIES.has(family));
  const never = () => false;
  for (const [name, sig] of Object.entries(NATIVE_FAMILIES[family] as Record<string, string>)) {
    if (off) {
      calls[name] = never;
      continue;
    }
    // the signature is parsed at the binding's first call, not at import (bench/startup.mjs);
    // the property then holds the checked call itself
    let checked: ((...args: unknown[]) => boolean) | null = null;
    calls[name] = (...args) => {
      if (checked === null) {
        const kinds = parseSignature(sig).map(([, kind]) => kind);
        checked = checkedCall(family, name, kinds, addon[name]);
        calls[name] = checked;
      }
      return checked(...args);
    };
  }
  return calls as NativeCalls<F>;
}
