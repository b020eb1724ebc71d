/**
 * Storage for new arrays: large ones from the native backend's buffer pool (Note [buffer pool],
 * native/buffers.cc: blocks reused once V8 collects the buffer that held them, in huge-page
 * memory) when the addon provides it, else from V8; uninitialised arrays skip the zero fill.
 */
import type { DType, TypedArray } from "../dtype.js";
import { nativeAddon } from "./native.js";

/** Node's Buffer, when present (an uninitialised allocation; absent in browsers). */
type BufferLike = { allocUnsafeSlow(size: number): Uint8Array };
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

/** Every ArrayType also takes (buffer, byteOffset, length). */
type ViewCtor = new (b: ArrayBufferLike, o: number, n: number) => TypedArray;

/**
 * Elements from which `newArray` skips the zero fill of an uninitialised request. Measured here
 * (float32, allocate and touch every page, best of 5, µs, zero-filled vs
 * Buffer.allocUnsafeSlow): 1024: 0.5 vs 0.5, 4096: 1.2 vs 0.5, 16K: 2.7 vs 0.6, 64K: 11 vs 4.6,
 * 1M: 480 vs 190.
 */
const UNINIT_MIN = 4096;

/**
 * Bytes from which arrays come from the buffer pool: the addon's `poolMinBytes` (64 for the
 * native addon, Note [small pool blocks] in native/buffers.cc), else 65536 (the WebAssembly
 * backend's pool, where a smaller allocation is cheap and V8's allocator serves it). Arrays of
 * 64 bytes or less always come from V8, which keeps them inside its heap.
 */
const POOL_MIN_BYTES = Math.max(nativeAddon?.poolMinBytes ?? 65536, 65);
const poolAlloc = nativeAddon?.allocBuffer ?? null;
const poolRelease = nativeAddon?.releaseBuffer ?? null;

/**
 * While not null, every buffer `newArray` takes from the pool is appended here (the engine's
 * Note [released gradients]: which buffers a node's backward made).
 */
let poolLog: ArrayBuffer[] | null = null;

/** Whether pool buffers can be released early (`releasePoolBuffer`). */
export const canReleasePoolBuffers = poolAlloc !== null && poolRelease !== null;

/**
 * Start (a list) or stop (null) logging the pool buffers `newArray` makes; returns the log
 * that was active, for a caller that nests.
 */
export function setPoolLog(log: ArrayBuffer[] | null): ArrayBuffer[] | null {
  const prev = poolLog;
  poolLog = log;
  return prev;
}

/**
 * Hand a pool buffer back to the pool now (native/buffers.cc releaseBuffer): only for a
 * buffer `setPoolLog` recorded that no code can reach any more, since every view of it reads
 * as empty afterwards.
 */
export function releasePoolBuffer(buf: ArrayBuffer): void {
  if (poolRelease !== null && poolRelease(buf)) released++;
}

let released = 0;

/** How many pool buffers `releasePoolBuffer` has handed back (the tests check it). */
export function poolBuffersReleased(): number {
  return released;
}

/**
 * A new array of n elements of `dtype`: zero-filled when `zero`, else with unspecified contents
 * (the caller writes every element). An uninitialised array of 4096 elements or more owns its
 * ArrayBuffer alone (`data.buffer` holds exactly this array).
 */
export function newArray(n: number, dtype: DType, zero: boolean): TypedArray {
  // small arrays first, float32 by its own constructor (which V8 allocates inline, where a
  // constructor read from the dtype is a generic call): most arrays of a small graph
  const nbytes = n * dtype.itemsize;
  if (nbytes < POOL_MIN_BYTES && n < 1024)
    return dtype.name === "float32" ? new Float32Array(n) : new dtype.ArrayType(n * dtype.lanes);
  // Note [complex storage]: two array elements per complex element
  n *= dtype.lanes;
  if (poolAlloc !== null && nbytes >= POOL_MIN_BYTES) {
    const buf = poolAlloc(nbytes, zero);
    if (buf !== null) {
      if (poolLog !== null) poolLog.push(buf);
      return new (dtype.ArrayType as unknown as ViewCtor)(buf, 0, n);
    }
  }
  if (zero || n < UNINIT_MIN || NodeBuffer === undefined) return new dtype.ArrayType(n);
  const bytes = NodeBuffer.allocUnsafeSlow(nbytes);
  return new (dtype.ArrayType as unknown as ViewCtor)(bytes.buffer, bytes.byteOffset, n);
}
