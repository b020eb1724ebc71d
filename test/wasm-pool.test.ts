/**
 * Note [wasm buffer pool] (src/backend/wasm-pool.ts): the WebAssembly backend's pool keeps the
 * buffers the engine releases and hands their memory out again. A released buffer must read
 * as empty (detached), a reused one must never be handed out twice while alive, zero requests
 * must read zeros, and only the pool's own live buffers can be released. Also Note [wasm output
 * copies] (src/backend/wasm.ts): an output not copied in must still leave every element the
 * kernel does not write, and an in-place call must read its input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { makeBufferPool } from "../src/backend/wasm-pool.js";
import { loadWasm } from "../src/backend/wasm.js";
import { Binary, Unary } from "../src/backend/abi.js";

const pool = makeBufferPool(true);
const skip = pool === null ? "this engine cannot detach an ArrayBuffer" : false;

test(
  "a released buffer is detached and its memory serves the next request of its size",
  { skip },
  () => {
    const p = makeBufferPool(true)!;
    const bytes = 70000;
    const a = p.allocBuffer(bytes, false)!;
    assert.equal(a.byteLength, bytes);
    const view = new Int32Array(a);
    view.fill(7);
    assert.equal(p.releaseBuffer(a), true);
    // every view of the released buffer reads as empty
    assert.equal(a.byteLength, 0);
    assert.equal(view.length, 0);
    assert.deepEqual(p.bufferPoolStats().free, 1);
    // the same memory again, as it was (uninitialised request), then zeros when asked for
    const b = p.allocBuffer(bytes, false)!;
    assert.equal(b.byteLength, bytes);
    assert.ok(new Int32Array(b).every((x) => x === 7));
    assert.equal(p.bufferPoolStats().free, 0);
    new Int32Array(b).fill(9);
    assert.equal(p.releaseBuffer(b), true);
    const c = p.allocBuffer(bytes, true)!;
    assert.ok(new Uint8Array(c).every((x) => x === 0));
    // another size does not take it
    p.releaseBuffer(c);
    const d = p.allocBuffer(bytes + 8, false)!;
    assert.equal(d.byteLength, bytes + 8);
    assert.equal(p.bufferPoolStats().free, 1);
  },
);

test("only the pool's live buffers are released, once", { skip }, () => {
  const p = makeBufferPool(true)!;
  const a = p.allocBuffer(65536, true)!;
  assert.equal(p.releaseBuffer(new ArrayBuffer(65536)), false);
  assert.equal(p.releaseBuffer(a), true);
  assert.equal(p.releaseBuffer(a), false);
  assert.throws(() => p.releaseBuffer(new Uint8Array(8) as unknown as ArrayBuffer), TypeError);
  assert.throws(() => p.allocBuffer(1000, false), RangeError);
  assert.throws(() => p.allocBuffer(65536.5, false), RangeError);
  assert.throws(() => (p.allocBuffer as (b: unknown) => unknown)("x"), TypeError);
});

test("live buffers never share memory across generations of reuse", { skip }, () => {
  const p = makeBufferPool(true)!;
  const sizes = [65536, 70000, 262144];
  let live: { view: Int32Array; tag: number }[] = [];
  let tag = 1;
  for (let gen = 0; gen < 6; gen++) {
    for (let i = 0; i < 30; i++) {
      const bytes = sizes[i % sizes.length];
      const zero = i % 3 === 0;
      const view = new Int32Array(p.allocBuffer(bytes, zero)!);
      if (zero)
        assert.ok(
          view.every((x) => x === 0),
          "a zero-filled request read non-zero",
        );
      view.fill(tag);
      live.push({ view, tag: tag++ });
    }
    for (const { view, tag: t } of live)
      assert.ok(view[0] === t && view[view.length - 1] === t && view[view.length >> 1] === t);
    // release every other one
    live = live.filter((l, i) => i % 2 === 0 || !p.releaseBuffer(l.view.buffer as ArrayBuffer));
  }
  assert.equal(new Set(live.map((l) => l.view.buffer)).size, live.length);
});

test("the free lists keep at most 64 MB", { skip }, () => {
  const p = makeBufferPool(true)!;
  const bytes = 8 << 20;
  const bufs = Array.from({ length: 10 }, () => p.allocBuffer(bytes, false)!);
  for (const b of bufs) assert.equal(p.releaseBuffer(b), true);
  assert.equal(p.bufferPoolStats().free, 8);
  assert.equal(p.bufferPoolStats().cached, 64 << 20);
});

test("outputs written whole are not copied in; partial and in-place outputs are", () => {
  const w = loadWasm();
  const n = 1000;
  const a = Float32Array.from({ length: n }, (_, i) => i / 7 - 50);
  const b = Float32Array.from({ length: n }, (_, i) => 3 - i / 11);
  const want = a.map((x, i) => Math.fround(x * b[i]));
  // exactly n elements (skipped copy-in): garbage before the call does not survive
  const out = new Float32Array(n).fill(Number.NaN);
  w.ewBinary(Binary.Mul, a, 0, 1, b, 0, 1, out, 0, n);
  assert.deepEqual(out, want);
  // a longer output (copied in): the elements past n keep their values
  const longer = new Float32Array(n + 5).fill(42);
  w.ewBinary(Binary.Mul, a, 0, 1, b, 0, 1, longer, 0, n);
  assert.deepEqual(longer.subarray(0, n), want);
  assert.deepEqual(Array.from(longer.subarray(n)), [42, 42, 42, 42, 42]);
  // at an offset (copied in): the elements before it keep their values
  const shifted = new Float32Array(n + 2).fill(-1);
  w.ewBinary(Binary.Mul, a, 0, 1, b, 0, 1, shifted, 2, n);
  assert.deepEqual(Array.from(shifted.subarray(0, 2)), [-1, -1]);
  assert.deepEqual(shifted.subarray(2), want);
  // in place (out is the input: one span, read)
  const c = a.slice();
  w.ewUnary(Unary.Neg, c, 0, c, n);
  assert.deepEqual(
    c,
    a.map((x) => -x),
  );
  // the output a view of the input's buffer past it (one span, read)
  const both = new Float32Array(2 * n);
  both.set(a);
  w.ewUnary(Unary.Neg, both, 0, both.subarray(n), n);
  assert.deepEqual(both.subarray(0, n), a);
  assert.deepEqual(
    both.subarray(n),
    a.map((x) => -x),
  );
});
