/**
 * The WebAssembly backend's buffer pool: `allocBuffer` / `releaseBuffer` of the addon's
 * interface (native.ts `NativeControls`) in TypeScript, for the engine's early releases.
 *
 * Note [wasm buffer pool]: a browser's allocator gives every large ArrayBuffer memory never
 * touched before (Chromium maps each buffer of about a megabyte or more on its own and unmaps it
 * when the buffer dies), so each page of a new tensor costs a page fault, and on a VM a fault
 * costs 5-50 us (Note [buffer pool], native/buffers.cc). Measured in headless Chromium here
 * (load 15): a fresh 1M-element Float32Array filled once, 49 ms, against 0.2 ms to fill it
 * again; the elementwise workload of bench/browser.mjs made ~8800 faults per step (Node on the
 * same module: ~300, glibc reuses freed memory) and spent as much CPU in the kernel as in
 * JavaScript and WebAssembly together. The native pool gets its blocks back when V8 collects
 * their buffers; JavaScript cannot (a FinalizationRegistry runs its callbacks on a later task,
 * never inside a synchronous training loop, and the memory is gone by then). What it can do is
 * keep the buffers the engine hands back early (Note [released gradients], Note [released
 * temporaries]): `releaseBuffer` detaches the buffer (ArrayBuffer.prototype.transfer, or
 * structuredClone with a transfer list where the engine lacks it: every view of the old one
 * reads as empty, as the native pool's detach) and keeps the memory, already faulted in, on the
 * free list of its size for the next `allocBuffer` of that size. Buffers that die
 * unreleased go to the collector as before.
 * - A buffer is reused for a request of exactly its size (a buffer's byteLength is the size
 *   asked for, as the native pool's; a training loop asks for the same sizes at every step).
 * - A buffer is handed out at most once: it is on a free list only between its release (the
 *   detach leaves the caller no view of it) and the next allocation that pops it.
 * - Zero-filled requests fill the reused memory (a memset of pages already resident: ~0.3 ms
 *   for 4 MB, against the faults); uninitialised ones take it as it is.
 * - Only where the allocator does not reuse freed memory itself: not under Node (which has
 *   `Buffer`), whose allocator (glibc's) serves a freed buffer's memory to the next request
 *   (the elementwise workload on the WebAssembly backend there: ~20 faults per step without
 *   this pool), and whose engine has no ArrayBuffer.prototype.transfer before Node 21
 *   (structuredClone's transfer costs ~20 us there). Not always, though: glibc gives the top
 *   of its heap back to the kernel once more than its trim threshold is free there (twice its
 *   dynamic mmap threshold: ~8 MB after a 4 MB block was freed), and a collection that frees a
 *   step's forward outputs together can leave that much on top. Runs of that workload on Node
 *   20 here were then bimodal: ~15 faults and 13-20 ms a step, or ~8800 faults (35 MB) and
 *   160-430 ms, the mode set for the run, not the step; with MALLOC_TRIM_THRESHOLD_ and
 *   MALLOC_MMAP_THRESHOLD_ set high, 0-3 faults and 13-22 ms every time. This pool would not
 *   help there: it only gets back what the engine releases, and a step's forward outputs die
 *   by collection.
 * - The free lists keep at most `CACHED_CAP` bytes; a buffer released beyond that is detached
 *   and left to the collector, so a program whose shapes change keeps no memory it stopped
 *   using beyond that.
 */

/** Bytes from which arrays come from the pool (buffers.ts POOL_MIN_BYTES without `poolMinBytes`). */
const POOL_MIN = 65536;
/** Bytes of released buffers the free lists keep for reuse. */
const CACHED_CAP = 64 * 2 ** 20;

/** The pool's controls, as native.ts `NativeControls` declares them. */
export interface WasmBufferPool {
  allocBuffer(bytes: number, zero: boolean): ArrayBuffer | null;
  releaseBuffer(buffer: ArrayBuffer): boolean;
  bufferPoolStats(): {
    mapped: number;
    cached: number;
    free: number;
    uncounted: number;
    external: number;
    /** allocations served from the free lists */
    reused: number;
  };
}

type Transfer = (b: ArrayBuffer) => ArrayBuffer;

/** Detaches `b` and returns a buffer that owns its memory (no copy). */
function transferOf(): Transfer | null {
  const proto = ArrayBuffer.prototype as { transfer?: (this: ArrayBuffer) => ArrayBuffer };
  const own = proto.transfer;
  if (typeof own === "function") return (b) => own.call(b);
  const clone = (globalThis as { structuredClone?: (v: unknown, o: unknown) => unknown })
    .structuredClone;
  if (typeof clone === "function") return (b) => clone(b, { transfer: [b] }) as ArrayBuffer;
  return null;
}

/**
 * The pool (Note [wasm buffer pool]), or null under Node (unless `anywhere`: the tests), where
 * buffers cannot be detached (no transfer), or when TENSORGRAD_BUFFER_POOL=0 turns it off, as it
 * turns off the native pool.
 */
export function makeBufferPool(anywhere = false): WasmBufferPool | null {
  const g = globalThis as {
    process?: { env?: Record<string, string | undefined> };
    Buffer?: unknown;
  };
  if (g.process?.env?.TENSORGRAD_BUFFER_POOL === "0") return null;
  if (g.Buffer !== undefined && !anywhere) return null;
  const transfer = transferOf();
  if (transfer === null) return null;
  const free = new Map<number, ArrayBuffer[]>();
  // the buffers handed out and not yet released: only those may be released
  const live = new WeakSet<ArrayBuffer>();
  let cached = 0;
  let freeCount = 0;
  let made = 0;
  let reused = 0;
  return {
    allocBuffer(bytes: number, zero: boolean): ArrayBuffer | null {
      if (typeof bytes !== "number" || typeof zero !== "boolean")
        throw new TypeError("allocBuffer(bytes, zero) expects a number and a boolean");
      if (!Number.isInteger(bytes) || bytes < POOL_MIN)
        throw new RangeError("allocBuffer: bytes must be an integer of at least 65536");
      const size = bytes;
      const list = free.get(size);
      let buf = list?.pop();
      if (buf !== undefined) {
        cached -= size;
        freeCount--;
        reused++;
        if (zero) new Uint8Array(buf).fill(0);
      } else {
        try {
          buf = new ArrayBuffer(size);
        } catch {
          return null;
        }
        made += size;
      }
      live.add(buf);
      return buf;
    },
    releaseBuffer(buffer: ArrayBuffer): boolean {
      if (!(buffer instanceof ArrayBuffer))
        throw new TypeError("releaseBuffer(buffer) expects an ArrayBuffer");
      if (!live.has(buffer)) return false;
      live.delete(buffer);
      const size = buffer.byteLength;
      const moved = transfer(buffer);
      if (cached + size <= CACHED_CAP) {
        let list = free.get(size);
        if (list === undefined) free.set(size, (list = []));
        list.push(moved);
        cached += size;
        freeCount++;
      }
      return true;
    },
    bufferPoolStats() {
      return { mapped: made, cached, free: freeCount, uncounted: 0, external: 0, reused };
    },
  };
}
