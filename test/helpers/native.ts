/**
 * Shared pieces of the native-backend tests (test/native*.test.ts): the skip reason when the
 * addon is not loaded, and deterministic test data independent of torch's generator.
 */
import { nativeStatus } from "../../src/backend/native.js";

/** `{ skip }` for node:test: false when the addon is active, else the reason it is not. */
export const skip: string | false = nativeStatus.active
  ? false
  : `native backend inactive: ${nativeStatus.reason}`;

/**
 * `{ skip }` for tests of the addon itself (its x86 kernel choice, its use from worker threads):
 * also skipped on the WebAssembly build of the kernels (TENSORGRAD_BACKEND=wasm).
 */
export const skipUnlessAddon: string | false =
  skip || (nativeStatus.backend === "wasm" ? "the WebAssembly backend runs, not the addon" : false);

export type FloatArray = Float32Array | Float64Array;
export type FloatCtor = Float32ArrayConstructor | Float64ArrayConstructor;

/** n deterministic values in [-scale, scale) (an LCG; no dependence on torch's generator). */
export function filled(Ctor: FloatCtor, n: number, seed: number, scale = 1): FloatArray {
  const out = new Ctor(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 31 - 1) * scale;
  }
  return out;
}
