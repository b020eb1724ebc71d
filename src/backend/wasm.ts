/**
 * The WebAssembly backend: the native kernels (native/*.cc, all families but sort) compiled to
 * one WebAssembly module with SIMD128 (native/wasm/build.sh), behind the addon's interface
 * (native.ts `NativeAddon`), so the TypeScript kernels dispatch to it exactly as to the addon.
 * native.ts loads it when the addon does not load (a browser, a machine without a compiler or
 * a prebuilt binary) or when TENSORGRAD_BACKEND=wasm.
 *
 * The module is embedded (src/backend/wasm-module.gen.ts, base64), so neither users nor a fresh
 * clone need its toolchain; `npm run build:wasm` rebuilds it and test/wasm.test.ts checks the
 * embedded bytes are what the sources give (Note [wasm reproducibility], build.sh).
 *
 * Note [wasm copies]: a kernel reads and writes the module's own memory, not the caller's
 * typed arrays. So each call copies its arrays in (one span per ArrayBuffer, so views of one
 * buffer keep their overlap: an in-place op's input and output stay one array), runs, and
 * copies back the arrays the binding writes (`WRITES`). The copies are linear in the data, as
 * the elementwise work itself is: the size thresholds of the kernel families keep calls where
 * that cost dominates on TypeScript.
 *
 * Threads (Note [wasm threads module]): where SharedArrayBuffer exists (Node; a cross-origin
 * isolated page) a threaded build of the module runs on a shared memory with workers
 * (wasm-threads.ts, Note [wasm workers]); elsewhere, or with TENSORGRAD_WASM_THREADS=1, the
 * single-threaded one.
 */
import {
  Activation,
  Binary,
  NATIVE_FAMILIES,
  parseSignature,
  Reduce,
  Unary,
  type ArgKind,
  type NativeFamily,
} from "./abi.js";
import { WASM_MODULE } from "./wasm-module.gen.js";
import { makeBufferPool } from "./wasm-pool.js";
import {
  BUILD_NAMES,
  moduleAsync,
  moduleBuild,
  moduleSync,
  nodeV8,
  relaxedUnavailable,
  type ModuleBuild,
} from "./wasm-modules.js";
import {
  initMainThread,
  threadsUnavailable,
  wantedGrain,
  wantedThreads,
  WasmThreads,
  type ThreadExports,
} from "./wasm-threads.js";

/** The kernel families the module runs (Note [wasm families], native/wasm/shim.cc). */
export const WASM_FAMILIES: ReadonlySet<NativeFamily> = new Set(
  (Object.keys(NATIVE_FAMILIES) as NativeFamily[]).filter((f) => f !== "sort"),
);

/**
 * The arguments each binding writes (in place or as its output), copied back after the call
 * (Note [wasm copies]); every other array is only read.
 */
export const WRITES: Readonly<Record<string, readonly string[]>> = {
  ewUnary: ["out"],
  ewBinary: ["out"],
  ewBinaryStrided: ["out"],
  ewPowBackward: ["out"],
  ewActivationBackward: ["out"],
  ewClamp: ["out"],
  ewWhere: ["out"],
  ewMaskedFill: ["out"],
  stridedCopy: ["dst"],
  scatter: ["out"],
  reduce: ["out"],
  cumsum: ["out"],
  cumprod: ["out"],
  softmax: ["out"],
  softmaxBackward: ["out"],
  reduceExp: ["v"],
  matmul: ["out"],
  luFactor: ["a", "piv", "info"],
  cholesky: ["a", "info"],
  triSolve: ["b"],
  tridiagonalEig: ["d", "z", "info"],
  svdJacobi: ["w", "q"],
  zLuFactor: ["a", "piv", "info"],
  zCholesky: ["a", "info"],
  zTriSolve: ["b"],
  fftC2C: ["out"],
  fftR2C: ["out"],
  fftC2R: ["out"],
  im2col: ["cols"],
  col2im: ["out"],
  addChannelBias: ["out"],
  conv2dDirect: ["out"],
  convWeightGrad: ["out"],
  channelSum: ["out"],
  maxPool: ["out", "indices"],
  maxPoolBackward: ["out"],
  avgPool: ["dst"],
  adaptiveAvgPool: ["dst"],
  resample: ["out"],
  geluForward: ["out"],
  geluBackward: ["out"],
  layerNormForward: ["out"],
  layerNormBackward: ["gx", "gw", "gb"],
  lstmCell: ["gates", "c", "h"],
  lstmCellBackward: ["dc", "dg"],
  packPanel: ["packed"],
  panelProduct: ["out"],
  sgdStep: ["p", "buf"],
  adamStep: ["p", "m", "v", "vmax"],
  rmspropStep: ["p", "sq", "gavg", "buf"],
  adagradStep: ["p", "sum"],
  nadamStep: ["p", "m", "v"],
  radamStep: ["p", "m", "v"],
  adamaxStep: ["p", "m", "u"],
  adadeltaStep: ["p", "sq", "acc"],
  asgdStep: ["p", "ax"],
  rpropStep: ["p", "prev", "ss"],
};

/**
 * Note [wasm output copies]: the outputs a kernel writes whole, by binding, each as [output,
 * its element count, the arguments that must be 0], by argument name: when the output array is
 * exactly the elements written (the listed arguments 0: its offset, or a backward flag under
 * which the kernel adds into the output instead) and shares its ArrayBuffer with no other
 * argument, its old contents are never read, so it is not copied in (Note [wasm copies]), only
 * back. A count is a function of the call's int, int[] and window arguments by name
 * (`CallArgs`, shared with Note [wasm ranges]; its names are checked against the signature at
 * load). Listed are the kernels that store every element of that range on every path (empty
 * sizes included) before any read of it (maxPoolBackward zeroes its planes first, then adds
 * into them); never an in-place update or an optimizer step. A new tensor's array is fresh memory in a browser (Note [wasm buffer pool]):
 * copying it in read every page before the copy back wrote it, measured in Chromium here as
 * 15-25% on top of writing a fresh 4 MB array; for matmul 256 forward and backward, a third of
 * the bytes copied in were its three fresh outputs (3.7 -> 2.6 ms a step).
 */
const WRITES_WHOLE: Readonly<Record<string, readonly Whole[]>> = {
  ewUnary: [["out", ints("n"), []]],
  ewBinary: [["out", ints("n"), ["outOff"]]],
  // out: contiguous of `shape`
  ewBinaryStrided: [["out", (v) => product(v.ints("shape")), []]],
  ewPowBackward: [["out", ints("n"), []]],
  ewActivationBackward: [["out", ints("n"), []]],
  ewClamp: [["out", ints("n"), []]],
  ewWhere: [["out", (v) => product(v.ints("shape")), []]],
  ewMaskedFill: [["out", (v) => product(v.ints("shape")), []]],
  // out[outer, inner] at outOff
  reduce: [["out", ints("outer", "inner"), ["outOff"]]],
  // out[outer, n, inner] at outOff
  cumsum: [["out", ints("outer", "n", "inner"), ["outOff"]]],
  cumprod: [["out", ints("outer", "n", "inner"), ["outOff"]]],
  softmax: [["out", ints("outer", "n", "inner"), ["outOff"]]],
  softmaxBackward: [["out", ints("outer", "n", "inner"), ["outOff"]]],
  // out[batch, m, n]
  matmul: [["out", ints("batch", "m", "n"), []]],
  // [batch][n][inner] complex values (fftR2C: n/2 + 1 of them), or reals (fftC2R), at outOff
  fftC2C: [["out", (v) => 2 * ints("batch", "n", "inner")(v), ["outOff"]]],
  fftR2C: [
    [
      "out",
      (v) => 2 * v.int("batch") * (Math.floor(v.int("n") / 2) + 1) * v.int("inner"),
      ["outOff"],
    ],
  ],
  fftC2R: [["out", ints("batch", "n", "inner"), ["outOff"]]],
  // cols[c*kd*kh*kw][od*oh*ow]
  im2col: [["cols", (v) => v.int("c") * geo(v, "kd", "kh", "kw", "od", "oh", "ow"), []]],
  // out[N, O, oh, ow] (a 2-D window)
  conv2dDirect: [["out", (v) => v.int("N") * v.int("O") * geo(v, "oh", "ow"), []]],
  // out[G][lhsC/G][rhsC/G * kh * kw]
  convWeightGrad: [
    ["out", (v) => v.int("lhsC") * (v.int("rhsC") / v.int("G")) * geo(v, "kh", "kw"), []],
  ],
  channelSum: [["out", ints("C"), []]],
  // out and indices [planes, od, oh, ow]
  maxPool: [
    ["out", (v) => v.int("planes") * geo(v, "od", "oh", "ow"), []],
    ["indices", (v) => v.int("planes") * geo(v, "od", "oh", "ow"), []],
  ],
  maxPoolBackward: [["out", ints("planes", "inSize"), []]],
  // the forward's dst[planes, od, oh, ow]; the backward adds into dst
  avgPool: [["dst", (v) => v.int("planes") * geo(v, "od", "oh", "ow"), ["backward"]]],
  adaptiveAvgPool: [["dst", ints("planes", "od", "oh", "ow"), ["backward"]]],
  geluForward: [["out", ints("n"), []]],
  geluBackward: [["out", ints("n"), []]],
  layerNormForward: [["out", ints("rows", "D"), []]],
  layerNormBackward: [
    ["gx", ints("rows", "D"), []],
    ["gw", ints("D"), []],
    ["gb", ints("D"), []],
  ],
  // gates[n, 4, hidden], c and h [n, hidden], each at its offset
  lstmCell: [
    ["gates", (v) => 4 * ints("n", "hidden")(v), ["gOff"]],
    ["c", ints("n", "hidden"), ["cOff"]],
    ["h", ints("n", "hidden"), ["hOff"]],
  ],
  // dg[n, 4, hidden] at dgOff (dc is updated in place)
  lstmCellBackward: [["dg", (v) => 4 * ints("n", "hidden")(v), ["dgOff"]]],
  // slivers of 16 columns (kNR, native/rnn.cc; rnn.ts packWeights), zero-padded, k rows each
  packPanel: [["packed", (v) => Math.ceil(v.int("n") / 16) * 16 * v.int("k"), []]],
  // out[m, n] at outOff
  panelProduct: [["out", ints("m", "n"), ["outOff"]]],
};

/** One output of Note [wasm output copies]: [output, element count, arguments that must be 0]. */
type Whole = readonly [string, Count, readonly string[]];

/**
 * A call's int, int[] and window arguments by name (NaN where the call passes something else),
 * for the counts of Note [wasm output copies] and the extents of Note [wasm ranges].
 */
interface CallArgs {
  int(name: string): number;
  ints(name: string): readonly number[];
  geo(field: string): number;
}

/** An element count from a call's arguments. */
type Count = (v: CallArgs) => number;

/** The fields of a `geo` argument, in order (window.h, window.ts geoArray). */
const GEO_FIELDS = "h w kh kw sh sw ph pw dh dw oh ow d kd sd pd dd od".split(" ");

/** The product of a list's entries. */
function product(xs: readonly number[]): number {
  let p = 1;
  for (const x of xs) p *= x;
  return p;
}

/** The product of some int arguments. */
function ints(...names: string[]): Count {
  return (v) => product(names.map((a) => v.int(a)));
}

/** The product of some fields of the geo argument. */
function geo(v: CallArgs, ...fields: string[]): number {
  return product(fields.map((f) => v.geo(f)));
}

/**
 * A binding's arguments by name for the tables of Note [wasm output copies] and [wasm ranges]:
 * `at` finds an argument of one of some kinds (or throws, naming the table), `checked` runs a
 * count against the signature once (every name it reads must be there, of its kind), `read`
 * gives a call's arguments.
 */
function bindingArgs(table: string, name: string, args: readonly (readonly [string, ArgKind])[]) {
  const pos = new Map(args.map(([a], i) => [a, i]));
  const at = (a: string, kinds: readonly ArgKind[]): number => {
    const i = pos.get(a) ?? -1;
    if (i < 0 || !kinds.includes(args[i][1]))
      throw new Error(`${table}: ${name} has no ${kinds.join(" or ")} argument ${a}`);
    return i;
  };
  const geoAt = pos.get("geo") ?? -1;
  const check: CallArgs = {
    int: (a) => (at(a, ["int"]), 1),
    ints: (a) => (at(a, ["int[]"]), [1]),
    geo: (f) => {
      if (geoAt < 0 || !GEO_FIELDS.includes(f))
        throw new Error(`${table}: ${name}: no window field ${f}`);
      return 1;
    },
  };
  const num = (x: unknown): number => (typeof x === "number" ? x : NaN);
  return {
    at,
    checked: (count: Count): Count => (count(check), count),
    read: (call: readonly unknown[]): CallArgs => ({
      int: (a) => num(call[pos.get(a) ?? -1]),
      ints: (a) => {
        const x = call[pos.get(a) ?? -1];
        return Array.isArray(x) ? (x as number[]) : [NaN];
      },
      geo: (f) => num((call[geoAt] as unknown[] | undefined)?.[GEO_FIELDS.indexOf(f)]),
    }),
  };
}

/** Note [wasm output copies] by argument position: the output, its count, what must be 0. */
interface WholeOutput {
  readonly at: number;
  readonly count: (args: readonly unknown[]) => number;
  readonly zero: readonly number[];
}

/** A binding's WRITES_WHOLE entries by argument position (its arguments and kinds, in order). */
function wholeOutputs(
  name: string,
  args: readonly (readonly [string, ArgKind])[],
): readonly WholeOutput[] {
  const b = bindingArgs("WRITES_WHOLE", name, args);
  return (WRITES_WHOLE[name] ?? []).map(([out, count, zero]) => {
    if (!(WRITES[name] ?? []).includes(out))
      throw new Error(`WRITES_WHOLE: ${name} does not write ${out}`);
    const c = b.checked(count);
    return {
      at: b.at(out, ["float", "float?", "f64", "typed"]),
      count: (call) => c(b.read(call)),
      zero: zero.map((z) => b.at(z, ["int"])),
    };
  });
}

/**
 * Note [wasm ranges]: a call copies each array argument in whole (Note [wasm copies]), yet many
 * kernels touch only a range of theirs: an LSTM's cell at one time step reads and writes one
 * step of arrays that hold the whole sequence, a convolution's per-image products and im2col
 * read one image of the batch, a strided copy one view of its storage. Called once per step or
 * image, the whole-array copies grew with the square of the sequence or batch (the LSTM
 * workload on the module: 1.8 GB copied in per training step, for ~10 MB of data). So for the
 * bindings listed here, each array argument whose kernel reads or writes only the `extent`
 * elements from its offset argument is passed to the module as the view of that range, its
 * offset as 0; the kernel sees the same elements at the same indices relative to the offset, and
 * the written ones go back to the caller's array (a view shares its buffer). An extent is the
 * reach of a strided walk, 1 + sum((size - 1) * stride), or a plain count; a call whose range
 * does not fit its array (or whose strides are negative) is passed unchanged, so the kernel's
 * own bounds check still reports it.
 */
const RANGES: Readonly<Record<string, readonly Range[]>> = {
  matmul: [
    ["a", "aOff", (v) => reach(v, ["batch", "m", "k"], ["aBatch", "aRow", "aCol"])],
    ["b", "bOff", (v) => reach(v, ["batch", "k", "n"], ["bBatch", "bRow", "bCol"])],
  ],
  // a[m, k] with row stride lda; out[m, n]
  panelProduct: [
    ["a", "aOff", (v) => reach(v, ["m", "k"], ["lda", 1])],
    ["out", "outOff", ints("m", "n")],
  ],
  // gates [n, 4, hidden]; the states [n, hidden]
  lstmCell: [
    ["s", "sOff", (v) => 4 * ints("n", "hidden")(v)],
    ["gi", "giOff", (v) => 4 * ints("n", "hidden")(v)],
    ["cp", "cpOff", ints("n", "hidden")],
    ["gates", "gOff", (v) => 4 * ints("n", "hidden")(v)],
    ["c", "cOff", ints("n", "hidden")],
    ["h", "hOff", ints("n", "hidden")],
  ],
  lstmCellBackward: [
    ["gates", "gOff", (v) => 4 * ints("n", "hidden")(v)],
    ["c", "cOff", ints("n", "hidden")],
    ["cp", "cpOff", ints("n", "hidden")],
    ["dh", "dhOff", ints("n", "hidden")],
    ["dhx", null, ints("n", "hidden")],
    ["dc", null, ints("n", "hidden")],
    ["dg", "dgOff", (v) => 4 * ints("n", "hidden")(v)],
  ],
  // c input volumes [c, d, h, w]
  im2col: [["x", "xOff", (v) => v.int("c") * geo(v, "d", "h", "w")]],
  col2im: [["out", "outOff", (v) => v.int("c") * geo(v, "d", "h", "w")]],
  stridedCopy: [
    ["src", "srcOff", (v) => reach(v, "shape", "srcStrides")],
    ["dst", "dstOff", (v) => reach(v, "shape", "dstStrides")],
  ],
  ewBinaryStrided: [
    ["a", "aOff", (v) => reach(v, "shape", "aStrides")],
    ["b", "bOff", (v) => reach(v, "shape", "bStrides")],
  ],
};

/** One array of Note [wasm ranges]: [array, its offset argument or null (0), extent]. */
type Range = readonly [string, string | null, Count];

/**
 * The elements a strided walk reaches from its first one: 1 + sum((size - 1) * stride), 0 when a
 * size is 0, NaN for a negative stride. Sizes and strides are int arguments or numbers, or one
 * int[] argument each.
 */
function reach(
  v: CallArgs,
  sizes: readonly string[] | string,
  strides: readonly (string | number)[] | string,
): number {
  const ss = typeof sizes === "string" ? v.ints(sizes) : sizes.map((x) => v.int(x));
  const st =
    typeof strides === "string"
      ? v.ints(strides)
      : strides.map((x) => (typeof x === "number" ? x : v.int(x)));
  if (ss.length !== st.length) return NaN;
  let r = 1;
  for (let i = 0; i < ss.length; i++) {
    if (ss[i] === 0) return 0;
    if (!(st[i] >= 0)) return NaN;
    r += (ss[i] - 1) * st[i];
  }
  return r;
}

/** Note [wasm ranges] by argument position. */
interface ArgRange {
  readonly at: number;
  readonly off: number;
  readonly extent: (args: readonly unknown[]) => number;
}

/** A binding's RANGES entries by argument position (its arguments and kinds, in order). */
function argRanges(
  name: string,
  args: readonly (readonly [string, ArgKind])[],
): readonly ArgRange[] {
  const b = bindingArgs("RANGES", name, args);
  return (RANGES[name] ?? []).map(([arr, off, extent]) => {
    const e = b.checked(extent);
    return {
      at: b.at(arr, ["float", "float?", "f64", "typed"]),
      off: off === null ? -1 : b.at(off, ["int"]),
      extent: (call) => e(b.read(call)),
    };
  });
}

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  tg_init(): number;
  tg_binding_name(i: number): number;
  tg_slots(): number;
  tg_max_args(): number;
  tg_call(binding: number, count: number): number;
  tg_error_message(): number;
  tg_malloc(bytes: number): number;
  tg_free(p: number): void;
}

/** Node-API's typed array type codes (native/wasm/napi.h), by constructor. */
const TYPE_CODE = new Map<unknown, number>([
  [Int8Array, 0],
  [Uint8Array, 1],
  [Uint8ClampedArray, 2],
  [Int16Array, 3],
  [Uint16Array, 4],
  [Int32Array, 5],
  [Uint32Array, 6],
  [Float32Array, 7],
  [Float64Array, 8],
  [BigInt64Array, 9],
  [BigUint64Array, 10],
]);

// Slot tags (native/wasm/napi.h Napi::Slot)
const UNDEFINED = 0,
  NUMBER = 1,
  NULL = 2,
  TYPED = 3,
  ARRAY = 4;

type View = ArrayBufferView & { length: number };

/** The module's exports as the addon's bindings and controls. */
export type WasmBindings = Record<string, (...args: unknown[]) => void> & {
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setKernel(which: string): string;
  readonly simd: string;
  /** "SIMD128, N threads", or "SIMD128, 1 thread" and why not more (the backend notice). */
  readonly describe: string;
  /** The kernel tasks the workers (not the calling thread) have run: 0 without threads. */
  workerTasks(): number;
  /** The calls so far and the bytes they copied into and out of the module (Note [wasm copies]). */
  copyStats(): WasmCopyStats;
  /**
   * The warm-up calls (Note [wasm warm-up]) once the module the kernels run on has had them:
   * how many were made (0 where none run: Node, or `warmUp: false`).
   */
  readonly warmedUp: Promise<number>;
};

/** What `copyStats` counts (cumulative since the module loaded). */
export interface WasmCopyStats {
  calls: number;
  bytesIn: number;
  bytesOut: number;
}

/** The kernels' name in `simd` and the backend notice. */
export const WASM_SIMD = "wasm-simd128";

/** A module's bytes, decoded from base64. */
function moduleBytes(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** How loadWasm runs the module. */
export interface WasmOptions {
  /**
   * Threads for the kernels, the caller's included (default: TENSORGRAD_WASM_THREADS, else the
   * machine's logical processors): 1 runs the single-threaded module; more, the threaded one
   * where this engine has shared memory (else the single-threaded one, and `describe` says why).
   */
  threads?: number;
  /**
   * The threaded module's grain (Note [wasm grain], native/common.cc): a kernel splits its work
   * only when each thread gets this many times what the native pool asks for. Default:
   * TENSORGRAD_WASM_GRAIN, else 4.
   */
  grain?: number;
  /**
   * Whether to run the relaxed SIMD build where this engine has relaxed SIMD and
   * TENSORGRAD_WASM_RELAXED is not 0 (Note [wasm relaxed fma], native/matmul.cc). Default true.
   */
  relaxed?: boolean;
  /**
   * Another single-threaded build of the module (bench/wasm-ab.ts times two builds in one
   * process); the embedded one by default. Implies one thread.
   */
  bytes?: Uint8Array<ArrayBuffer>;
  /**
   * Whether to run the warm-up calls (Note [wasm warm-up]) on a later task; default: where the
   * engine compiles the module with its baseline compiler first (not Node, `compile`).
   */
  warmUp?: boolean;
}

/** One instance of a module: what the bindings call (Note [wasm threads module]). */
interface Instance {
  ex: Exports;
  slots: number;
  maxArgs: number;
  /** counted across instances (the bindings move to the threaded one) */
  stats: WasmCopyStats;
}

/** The WASI imports: the one call the C library makes (a clock libc++ reads at startup). */
function wasiImports(memory: () => WebAssembly.Memory): WebAssembly.ModuleImports {
  return {
    clock_time_get: (_id: number, _precision: bigint, out: number): number => {
      new DataView(memory().buffer).setBigUint64(
        out,
        BigInt(Math.round(performance.now() * 1e6)),
        true,
      );
      return 0;
    },
  };
}

/** Instantiates the single-threaded module. */
function instantiateSingle(mod: WebAssembly.Module): Exports {
  let memory: WebAssembly.Memory | null = null;
  const instance = new WebAssembly.Instance(mod, {
    wasi_snapshot_preview1: wasiImports(() => memory!),
  });
  const ex = instance.exports as unknown as Exports;
  memory = ex.memory;
  ex._initialize();
  return ex;
}

/** Instantiates a build: a threaded one with its pool, else single-threaded (pool null). */
function instantiateBuild(
  build: ModuleBuild,
  mod: WebAssembly.Module,
  threads: number,
  grain: number,
): { ex: Exports; pool: WasmThreads | null } {
  if (build === "relaxed") return { ex: instantiateSingle(mod), pool: null };
  return instantiateThreaded(mod, threads, grain);
}

/** Instantiates the threaded module on a new shared memory and starts its workers. */
function instantiateThreaded(
  mod: WebAssembly.Module,
  threads: number,
  grain: number,
): { ex: Exports; pool: WasmThreads } {
  // (the module's minimum: build.sh's --initial-memory, 4 MiB; its maximum, 4 GiB)
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
  const instance = new WebAssembly.Instance(mod, {
    env: { memory },
    wasi_snapshot_preview1: wasiImports(() => memory),
  });
  // (an imported memory is not among the exports)
  const ex = { ...(instance.exports as unknown as Exports), memory };
  initMainThread(ex as unknown as ThreadExports);
  ex._initialize();
  (ex as unknown as ThreadExports).tg_set_grain(grain);
  const pool = new WasmThreads(mod, memory, ex as unknown as ThreadExports);
  pool.resize(threads);
  return { ex, pool };
}

/** The bindings' ids by name (one ABI table: the same in both builds). */
function bindingIds(ex: Exports): Map<string, number> {
  const count = ex.tg_init();
  const ids = new Map<string, number>();
  for (let i = 0; i < count; i++) ids.set(readString(ex, ex.tg_binding_name(i)), i);
  return ids;
}

/**
 * Compiles and instantiates the module (synchronously: ~1 MB, under browsers' limit for
 * compiling on the main thread) and wraps its bindings; throws when this engine cannot (no
 * WebAssembly, or no SIMD128).
 *
 * Note [wasm threads module]: the threaded build is a second module (native/wasm/build.sh): a
 * module whose memory is shared must import it as shared, and a browser gives shared memory
 * only to a cross-origin isolated page, so one build cannot serve both. Its ~1.2 MB of base64
 * is a file of its own (wasm-module-threads.gen.ts), read only where threads run: the Node
 * bundle requires it at first use (scripts/build-dist.mjs Note [lazy wasm module]), and a
 * browser bundle imports it asynchronously (scripts/wasm-threads-chunk.mjs), so a page starts
 * on the single-threaded module and, once the threaded one has loaded, its bindings move to it
 * (`Instance`: every call copies its arrays in and out, Note [wasm copies], so no state is
 * left in the old instance).
 */
export function loadWasm(options: WasmOptions = {}): WasmBindings {
  const want = options.bytes !== undefined ? 1 : (options.threads ?? wantedThreads());
  const grain = options.grain ?? wantedGrain();
  let why = want > 1 ? threadsUnavailable() : null;
  // the build this engine runs best (null: the default module, or `bytes`)
  const target =
    options.bytes !== undefined
      ? null
      : moduleBuild(
          want > 1 && why === null,
          (options.relaxed ?? true) && relaxedUnavailable() === null,
        );
  let pool: WasmThreads | null = null;
  let ex: Exports;
  let running: ModuleBuild | null = null;
  const targetB64 = target === null ? undefined : moduleSync(target);
  if (target !== null && targetB64 !== undefined) {
    ({ ex, pool } = instantiateBuild(target, compile(moduleBytes(targetB64)), want, grain));
    running = target;
  } else {
    ex = instantiateSingle(compile(options.bytes ?? moduleBytes(WASM_MODULE)));
  }
  const inst: Instance = {
    ex,
    slots: ex.tg_slots(),
    maxArgs: ex.tg_max_args(),
    stats: { calls: 0, bytesIn: 0, bytesOut: 0 },
  };
  const ids = bindingIds(ex);
  let threads = want;
  const out: Record<string, unknown> = {
    setNumThreads: (n: number) => {
      threads = Math.max(1, Math.floor(n));
      pool?.resize(threads);
    },
    getNumThreads: () => pool?.size ?? 1,
    workerTasks: () =>
      pool === null ? 0 : (inst.ex as unknown as ThreadExports).tg_worker_tasks() >>> 0,
    copyStats: (): WasmCopyStats => ({ ...inst.stats }),
    setKernel: () => WASM_SIMD,
    simd: WASM_SIMD,
    // large tensors' storage, reused when the engine releases it (Note [wasm buffer pool])
    ...makeBufferPool(),
    get describe(): string {
      const simd =
        running === "relaxed" || running === "threadsRelaxed" ? "SIMD128, relaxed FMA" : "SIMD128";
      if (pool !== null) return `${simd}, ${pool.size} thread${pool.size === 1 ? "" : "s"}`;
      if (why === null && running !== target && target !== null) {
        return `${simd}, 1 thread (the ${BUILD_NAMES[target]} module is loading)`;
      }
      return why === null ? `${simd}, 1 thread` : `${simd}, 1 thread (${why})`;
    },
  };
  const warm = options.warmUp ?? !compilesOptimised();
  // the module the kernels will run on: the target build when it is still to come
  const moving = target !== null && running !== target;
  let warmed!: (calls: number) => void;
  out.warmedUp = new Promise<number>((r) => (warmed = r));
  const warmLater = (): void => {
    if (!warm) return warmed(0);
    setTimeout(() => warmed(warmUp(out as WasmBindings)), 0);
  };
  if (!moving) warmLater();
  if (moving) {
    // a browser: the target build arrives asynchronously; the bindings then move to it
    moduleAsync(target)
      .then(async (b64) => {
        const mod = await WebAssembly.compile(moduleBytes(b64));
        const t = instantiateBuild(target, mod, threads, grain);
        const tIds = bindingIds(t.ex);
        for (const [name, id] of ids) {
          if (tIds.get(name) !== id) {
            throw new Error(`the ${BUILD_NAMES[target]} module's ${name} differs`);
          }
        }
        inst.ex = t.ex;
        inst.slots = t.ex.tg_slots();
        inst.maxArgs = t.ex.tg_max_args();
        pool = t.pool;
        running = target;
      })
      .catch((e: unknown) => {
        // (after why the threads do not run, where that is so)
        const failed = `the ${BUILD_NAMES[target]} module failed to load: ${(e as Error).message ?? String(e)}`;
        why = why === null ? failed : `${why}; ${failed}`;
      })
      .finally(warmLater);
  }
  for (const [family, table] of Object.entries(NATIVE_FAMILIES) as [NativeFamily, object][]) {
    if (!WASM_FAMILIES.has(family)) continue;
    for (const [name, sig] of Object.entries(table as Record<string, string>)) {
      const id = ids.get(name);
      if (id === undefined) throw new Error(`the WebAssembly module has no ${name} binding`);
      const args = parseSignature(sig);
      const writes = WRITES[name] ?? [];
      out[name] = wasmCall(
        inst,
        id,
        name,
        args.map(([, k]) => k),
        args.map(([a]) => writes.includes(a)),
        wholeOutputs(name, args),
        argRanges(name, args),
      );
    }
  }
  return out as WasmBindings;
}

/**
 * Note [wasm tiers]: V8 runs a module's functions first as Liftoff's baseline code and
 * compiles the optimised code in the background once a function is hot; on a busy machine that
 * took seconds, and the kernels ran 3-4x slower meanwhile (matmul 256 forward and backward:
 * 54-87 ms against 18-26 ms optimised up front, load 14). In Node the module is compiled with
 * the optimising compiler only (V8's --no-liftoff, for this module; the flag is restored).
 */
function compile(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module {
  const v8 = nodeV8();
  if (v8 === undefined) return new WebAssembly.Module(bytes);
  v8.setFlagsFromString("--no-liftoff");
  try {
    return new WebAssembly.Module(bytes);
  } finally {
    v8.setFlagsFromString("--liftoff");
  }
}

/** Whether `compile` gives the module optimised code up front (Note [wasm tiers]). */
function compilesOptimised(): boolean {
  return nodeV8() !== undefined;
}

/**
 * Note [wasm warm-up]: where the module starts on V8's baseline code (a browser: Note [wasm
 * tiers]), a kernel runs 3-4x slower until V8 has seen it hot and compiled it again. Measured in
 * headless Chromium here (bench/browser-diag.mjs, matmul 256 forward and backward, one thread,
 * the fastest of each 5 steps, load 13): 48 and 11 ms in the first 10 steps, then 5.5-6 ms;
 * with --no-liftoff 6.5-7 ms from the first. So once the module the kernels run on is there
 * (the threaded one, when it is still loading), a later task calls the kernels of a training
 * step once each on data large enough to use up V8's tiering budget of their loops: matrix
 * products in the three layouts of a linear layer's forward and backward, the elementwise ops
 * and backward formulas of the benchmarks' activations, reductions, log-softmax and its
 * backward. V8 compiles the optimised code in the background and shares it with the workers'
 * instances (one module). The calls take ~20-60 ms of baseline code on the page's main thread;
 * they write only their own arrays. Returns how many calls were made.
 */
function warmUp(b: WasmBindings): number {
  const n = 1 << 18;
  const side = 128;
  const a = new Float32Array(n).fill(0.25);
  const c = new Float32Array(n).fill(0.5);
  const out = new Float32Array(n);
  const s = side;
  const calls: (() => void)[] = [
    () => b.ewUnary(Unary.Tanh, a, 0, out, n),
    () => b.ewUnary(Unary.Exp, a, 0, out, n),
    () => b.ewUnary(Unary.Relu, a, 0, out, n),
    () => b.ewBinary(Binary.Add, a, 0, 1, c, 0, 1, out, 0, n),
    () => b.ewBinary(Binary.Mul, a, 0, 1, c, 0, 1, out, 0, n),
    () => b.ewBinary(Binary.Sub, a, 0, 1, c, 0, 0, out, 0, n),
    () => b.ewActivationBackward(Activation.TanhBackward, a, 0, 1, c, 0, out, n),
    () => b.ewActivationBackward(Activation.ReluBackward, a, 0, 1, c, 0, out, n),
    () => b.ewPowBackward(a, 0, 0, c, 0, 2, out, n),
    () => b.reduce(Reduce.Sum, a, 0, 1, n, 1, out, 0),
    () => b.reduce(Reduce.Sum, a, 0, 1, s, n / s, out, 0),
    () => b.softmax(a, 0, n / s, s, 1, out, 0, 1),
    () => b.softmaxBackward(a, 0, c, 0, n / s, s, 1, out, 0, 1),
    // (a: s x s row-major, b: s x s; out = a b, a bᵀ, aᵀ b)
    () => b.matmul(a, 0, 0, s, 1, c, 0, 0, s, 1, out, 1, s, s, s),
    () => b.matmul(a, 0, 0, s, 1, c, 0, 0, 1, s, out, 1, s, s, s),
    () => b.matmul(a, 0, 0, 1, s, c, 0, 0, s, 1, out, 1, s, s, s),
  ];
  for (const call of calls) call();
  return calls.length;
}

function readString(ex: Exports, p: number): string {
  const bytes = new Uint8Array(ex.memory.buffer);
  let end = p;
  while (bytes[end] !== 0) end++;
  // (a copy: TextDecoder refuses views of a SharedArrayBuffer)
  return new TextDecoder().decode(bytes.slice(p, end));
}

/**
 * One binding as a call: the arrays copied in (Note [wasm copies]), the arguments written to
 * the slots (Note [wasm calls], native/wasm/napi.h), the call, the errors it recorded thrown
 * as the addon throws them, the written arrays copied back.
 */
function wasmCall(
  inst: Instance,
  id: number,
  name: string,
  kinds: readonly ArgKind[],
  written: readonly boolean[],
  whole: readonly WholeOutput[],
  ranges: readonly ArgRange[],
): (...args: unknown[]) => void {
  const nArgs = kinds.length;
  // per call, reused: the spans (one per ArrayBuffer) and where each argument's array lies
  const spanBuf: ArrayBufferLike[] = [];
  const spanLo: number[] = [];
  const spanHi: number[] = [];
  const spanWrite: boolean[] = [];
  // whether a span holds an argument the kernel reads (Note [wasm output copies])
  const spanRead: boolean[] = [];
  const spanAt: number[] = [];
  const argSpan: number[] = new Array<number>(nArgs).fill(-1);
  // the whole outputs of this call (Note [wasm output copies]), by argument position
  const notRead: boolean[] = new Array<boolean>(nArgs).fill(false);
  return (...args: unknown[]) => {
    const ex = inst.ex;
    const stats = inst.stats;
    const slotsAt = inst.slots;
    const n = Math.min(args.length, inst.maxArgs);
    let spans = 0;
    let intWords = 0;
    // the arrays the kernel touches a range of, as views of that range (Note [wasm ranges])
    for (const r of ranges) {
      const v = args[r.at] as View | null | undefined;
      if (!ArrayBuffer.isView(v)) continue;
      const off = r.off < 0 ? 0 : args[r.off];
      const count = r.extent(args);
      if (
        typeof off === "number" &&
        Number.isInteger(off) &&
        off >= 0 &&
        Number.isInteger(count) &&
        count > 0 &&
        off + count <= v.length &&
        count < v.length
      ) {
        args[r.at] = (v as unknown as Float32Array).subarray(off, off + count);
        if (r.off >= 0) args[r.off] = 0;
      }
    }
    // the outputs the kernel writes whole, where each is exactly the elements written
    for (const w of whole) {
      const o = args[w.at] as View | undefined;
      notRead[w.at] =
        ArrayBuffer.isView(o) && o.length === w.count(args) && w.zero.every((z) => args[z] === 0);
    }
    for (let i = 0; i < n; i++) {
      argSpan[i] = -1;
      const a = args[i];
      if (ArrayBuffer.isView(a) && !(a instanceof DataView)) {
        const buf = a.buffer;
        const lo = a.byteOffset;
        const hi = lo + a.byteLength;
        const w = written[i] === true;
        const r = notRead[i] !== true;
        let s = 0;
        while (s < spans && spanBuf[s] !== buf) s++;
        if (s === spans) {
          spanBuf[s] = buf;
          spanLo[s] = lo;
          spanHi[s] = hi;
          spanWrite[s] = w;
          spanRead[s] = r;
          spans++;
        } else {
          spanLo[s] = Math.min(spanLo[s], lo);
          spanHi[s] = Math.max(spanHi[s], hi);
          spanWrite[s] ||= w;
          // (shared with another argument: copied in whole)
          spanRead[s] = true;
        }
        argSpan[i] = s;
      } else if (Array.isArray(a)) {
        intWords += a.length;
      }
    }
    // the block: the int arrays as doubles, then each span at its offset's alignment mod 8
    let bytes = intWords * 8;
    for (let s = 0; s < spans; s++) {
      bytes = ((bytes + 15) & ~15) + (spanLo[s] & 7);
      spanAt[s] = bytes;
      bytes += spanHi[s] - spanLo[s];
    }
    const base = ex.tg_malloc(Math.max(bytes, 8));
    if (base === 0) throw new RangeError(`${name}: out of WebAssembly memory`);
    try {
      let u8 = new Uint8Array(ex.memory.buffer);
      let f64 = new Float64Array(ex.memory.buffer);
      stats.calls++;
      for (let s = 0; s < spans; s++) {
        if (!spanRead[s]) continue;
        stats.bytesIn += spanHi[s] - spanLo[s];
        u8.set(new Uint8Array(spanBuf[s], spanLo[s], spanHi[s] - spanLo[s]), base + spanAt[s]);
      }
      let ints = base / 8;
      const slot = slotsAt / 8;
      for (let i = 0; i < n; i++) {
        const a = args[i];
        const at = slot + i * 4;
        const s = argSpan[i];
        if (s >= 0) {
          const v = a as View;
          f64[at] = TYPE_CODE.has(v.constructor) ? TYPED : UNDEFINED;
          f64[at + 1] = base + spanAt[s] + (v.byteOffset - spanLo[s]);
          f64[at + 2] = v.length;
          f64[at + 3] = TYPE_CODE.get(v.constructor) ?? 0;
        } else if (typeof a === "number") {
          f64[at] = NUMBER;
          f64[at + 1] = a;
        } else if (a === null) {
          f64[at] = NULL;
        } else if (Array.isArray(a)) {
          f64[at] = ARRAY;
          f64[at + 1] = ints * 8;
          f64[at + 2] = a.length;
          for (const x of a as unknown[]) f64[ints++] = typeof x === "number" ? x : NaN;
        } else {
          f64[at] = UNDEFINED;
        }
      }
      const err = ex.tg_call(id, n);
      if (err !== 0) {
        const message = readString(ex, ex.tg_error_message());
        throw err === 2 ? new RangeError(message) : new TypeError(message);
      }
      // (the call may have grown the memory: new views)
      u8 = new Uint8Array(ex.memory.buffer);
      f64 = new Float64Array(ex.memory.buffer);
      for (let s = 0; s < spans; s++) {
        if (!spanWrite[s]) continue;
        const len = spanHi[s] - spanLo[s];
        stats.bytesOut += len;
        new Uint8Array(spanBuf[s], spanLo[s], len).set(
          u8.subarray(base + spanAt[s], base + spanAt[s] + len),
        );
      }
    } finally {
      ex.tg_free(base);
      for (let s = 0; s < spans; s++) spanBuf[s] = null as unknown as ArrayBufferLike;
    }
  };
}
