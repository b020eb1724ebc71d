/**
 * The WebAssembly backend's builds other than the default single-threaded module
 * (wasm-module.gen.ts): the threaded module (Note [wasm threads module], wasm.ts) and the relaxed
 * SIMD twins of both (Note [wasm relaxed fma], native/matmul.cc), and which of them this engine
 * can run.
 *
 * Each is a file of its own, read only where it runs: the Node bundles require it at first use
 * (scripts/build-dist.mjs Note [lazy wasm module]); a browser bundle imports it asynchronously
 * (scripts/wasm-threads-chunk.mjs), so a page starts on the default module and its bindings move
 * once the build it wants has arrived.
 */
import * as threadsGen from "./wasm-module-threads.gen.js";
import * as relaxedGen from "./wasm-module-relaxed.gen.js";
import * as threadsRelaxedGen from "./wasm-module-threads-relaxed.gen.js";

/** A build beside the default module. */
export type ModuleBuild = "threads" | "relaxed" | "threadsRelaxed";

/** The build for a module with or without threads, relaxed SIMD or not (null: the default). */
export function moduleBuild(threads: boolean, relaxed: boolean): ModuleBuild | null {
  if (threads) return relaxed ? "threadsRelaxed" : "threads";
  return relaxed ? "relaxed" : null;
}

/** What a build is called in the backend's description ("the <name> module is loading"). */
export const BUILD_NAMES: Readonly<Record<ModuleBuild, string>> = {
  threads: "threaded",
  relaxed: "relaxed SIMD",
  threadsRelaxed: "threaded",
};

/**
 * A build's base64 where it can be read synchronously (Node; a bundle that inlines it), else
 * undefined: a browser bundle made with scripts/wasm-threads-chunk.mjs leaves each in a file of
 * its own.
 */
export function moduleSync(build: ModuleBuild): string | undefined {
  switch (build) {
    case "threads":
      return (threadsGen as { WASM_MODULE_THREADS?: string }).WASM_MODULE_THREADS;
    case "relaxed":
      return (relaxedGen as { WASM_MODULE_RELAXED?: string }).WASM_MODULE_RELAXED;
    case "threadsRelaxed":
      return (threadsRelaxedGen as { WASM_MODULE_THREADS_RELAXED?: string })
        .WASM_MODULE_THREADS_RELAXED;
  }
}

/** A build's base64, loaded asynchronously (a browser's file of its own). */
export async function moduleAsync(build: ModuleBuild): Promise<string> {
  // (literal specifiers: bundlers split each into its file)
  switch (build) {
    case "threads":
      return (await import("./wasm-module-threads.gen.js")).WASM_MODULE_THREADS;
    case "relaxed":
      return (await import("./wasm-module-relaxed.gen.js")).WASM_MODULE_RELAXED;
    case "threadsRelaxed":
      return (await import("./wasm-module-threads-relaxed.gen.js")).WASM_MODULE_THREADS_RELAXED;
  }
}

/**
 * A module of one function, (v128, v128, v128) -> v128, that returns f32x4.relaxed_madd of its
 * parameters: it validates exactly where the engine has relaxed SIMD.
 */
// prettier-ignore
export const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // types: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // functions: one, of type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, // code: one body of 11 bytes, no locals
  0x20, 0x00, 0x20, 0x01, 0x20, 0x02, // local.get 0, 1, 2
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd
  0x0b, // end
]);

/**
 * Why the relaxed SIMD builds do not run here, or null where they do: TENSORGRAD_WASM_RELAXED=0
 * (the bitwise-reproducible builds everywhere), or an engine without relaxed SIMD.
 *
 * Note [relaxed SIMD in Node 20]: V8 11.3 (Node 20) and 11.8 (Node 21) implement relaxed SIMD
 * with its final encoding but validate it only under --experimental-wasm-relaxed-simd (it
 * shipped in V8 11.4, Node 22's V8 12.4 has it on). Where the probe fails and Node's v8 module
 * is there, that flag is set (once, for the process, as `compile` in wasm.ts sets --no-liftoff
 * for a moment) and the probe tried again. .ci/run runs the kernels' parity suite on Node 20
 * with it, and test/wasm.test.ts checks the build against the default one.
 */
export function relaxedUnavailable(): string | null {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env?.TENSORGRAD_WASM_RELAXED;
  if (env !== undefined && env !== "" && env !== "0" && env !== "1") {
    throw new Error(`TENSORGRAD_WASM_RELAXED must be 0 or 1, not "${env}"`);
  }
  if (env === "0") return "TENSORGRAD_WASM_RELAXED=0";
  if (WebAssembly.validate(RELAXED_PROBE)) return null;
  const v8 = nodeV8();
  if (v8 === undefined) return "this engine has no relaxed SIMD";
  v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  return WebAssembly.validate(RELAXED_PROBE) ? null : "this engine has no relaxed SIMD";
}

/** Node's v8 module (its flags), or undefined elsewhere. */
export function nodeV8(): { setFlagsFromString(flags: string): void } | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.("node:v8") as
    { setFlagsFromString(flags: string): void } | undefined;
}
