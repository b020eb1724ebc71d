/**
 * Note [buffer pool] (native/buffers.cc): large tensor buffers come from a native pool whose
 * blocks are reused once V8 has collected the ArrayBuffer that owned them. Reuse must never hand
 * a block to a second buffer while the first is alive, zero-filled requests must read zeros
 * even from a reused block, and tensors must compute the same with and without the pool.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Worker } from "node:worker_threads";

import * as torch from "../src/index.js";
import { nativeAddon, nativeStatus } from "../src/backend/native.js";
import { skip } from "./helpers/native.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/**
 * Full collections until V8's sweeper (possibly on another thread) has handed the dead buffers
 * back: the pool's count of freed blocks stops growing (or there is no pool).
 */
async function collect(until?: () => boolean): Promise<void> {
  const free = () => nativeAddon?.bufferPoolStats?.().free ?? 0;
  let last = -1;
  // with `until`: as long as it takes (a loaded machine's sweeper can pause for a while)
  for (let i = 0; i < 250; i++) {
    if (until !== undefined ? until() : free() === last) return;
    last = free();
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
}

const poolSkip = skip !== false ? skip : nativeAddon?.allocBuffer ? false : "no buffer pool";

test("allocBuffer: length, zero fill and argument checks", { skip: poolSkip }, () => {
  const alloc = nativeAddon!.allocBuffer!;
  for (const bytes of [64, 100, 4100, 65536, 65540, 100000, 1 << 20, (1 << 20) + 4, 20 << 20]) {
    const b = alloc(bytes, true)!;
    assert.ok(b instanceof ArrayBuffer);
    assert.equal(b.byteLength, bytes);
    const u = new Uint8Array(b);
    assert.ok(u.every((x) => x === 0));
    u.fill(7);
  }
  assert.throws(() => alloc(nativeAddon!.poolMinBytes! - 1, false), RangeError);
  assert.throws(() => alloc(65536.5, false), RangeError);
  assert.throws(() => (alloc as unknown as (b: unknown) => unknown)("x"), TypeError);
});

test(
  "a reused block never aliases a live buffer, and zero requests read zeros",
  { skip: poolSkip },
  async () => {
    const alloc = nativeAddon!.allocBuffer!;
    const sizes = [65536, 70000, 262144, 300000, 1 << 20];
    // several generations: write a tag into every buffer, drop every other one, collect, then
    // allocate again (now from the freed blocks); the survivors must still hold their tags
    let live: { view: Int32Array; tag: number }[] = [];
    let tag = 1;
    for (let gen = 0; gen < 6; gen++) {
      for (let i = 0; i < 40; i++) {
        const bytes = sizes[i % sizes.length];
        const zero = i % 3 === 0;
        const view = new Int32Array(alloc(bytes, zero)!, 0, bytes >> 2);
        if (zero)
          assert.ok(
            view.every((x) => x === 0),
            "a zero-filled request read non-zero",
          );
        view.fill(tag);
        live.push({ view, tag: tag++ });
      }
      for (const { view, tag: t } of live) {
        assert.ok(view[0] === t && view[view.length - 1] === t && view[view.length >> 1] === t);
      }
      live = live.filter((_, i) => i % 2 === 0);
      await collect();
    }
    const buffers = new Set(live.map((l) => l.view.buffer));
    assert.equal(buffers.size, live.length);
  },
);

// Note [wasm buffer pool]: the WebAssembly backend's pool reuses released buffers only
const gcPoolSkip =
  poolSkip ||
  (nativeStatus.backend === "wasm"
    ? "the WebAssembly backend's pool reuses released buffers only"
    : false);

test("collected buffers' blocks are reused, not mapped again", { skip: gcPoolSkip }, async () => {
  const alloc = nativeAddon!.allocBuffer!;
  const stats = nativeAddon!.bufferPoolStats!;
  // above 16 MB each block is its own mapping, so any block not reused shows in `mapped`
  const bytes = 17 << 20;
  let held: ArrayBuffer[] = [];
  // 8 dropped (V8 may keep the last one alive a while longer), 4 asked for again; freed blocks
  // beyond the pool's cap of resident bytes are released to the kernel but stay reusable
  for (let i = 0; i < 8; i++) held.push(alloc(bytes, false)!);
  for (const b of held) new Uint8Array(b).fill(1);
  const freedBefore = stats().free;
  held = [];
  await collect(() => stats().free - freedBefore >= 4);
  const before = stats().mapped;
  for (let i = 0; i < 4; i++) held.push(alloc(bytes, true)!);
  assert.equal(stats().mapped, before);
  for (const b of held) assert.ok(new Uint8Array(b).every((x) => x === 0));
});

test(
  "tensors on pool buffers: training steps match the run without the pool",
  { skip: poolSkip },
  () => {
    // the same script in a child process with TENSORGRAD_BUFFER_POOL=0 (no allocBuffer)
    const script = `
    import * as torch from "./src/index.ts";
    import { nativeAddon } from "./src/backend/native.ts";
    torch.manualSeed(0);
    const model = new torch.nn.Sequential(new torch.nn.Linear(300, 256), new torch.nn.ReLU(), new torch.nn.Linear(256, 10));
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const x = torch.randn(128, 300);
    const y = torch.randint(0, 10, [128]);
    const losses = [];
    for (let i = 0; i < 30; i++) {
      opt.zeroGrad();
      const loss = torch.nn.functional.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
      if (i % 7 === 0) globalThis.gc?.();
    }
    console.log(JSON.stringify({ pool: typeof nativeAddon?.allocBuffer, losses }));
  `;
    const run = (pool: string) =>
      JSON.parse(
        execFileSync(
          process.execPath,
          ["--expose-gc", "--import", "tsx", "--input-type=module", "-e", script],
          {
            env: { ...process.env, TENSORGRAD_BUFFER_POOL: pool },
            encoding: "utf8",
          },
        ),
      ) as { pool: string; losses: number[] };
    const on = run("1");
    const off = run("0");
    assert.equal(on.pool, "function");
    assert.equal(off.pool, "undefined");
    assert.deepEqual(on.losses, off.losses);
  },
);

test("large zero-filled tensors read zeros after pool blocks were reused", async () => {
  // zeros/alloc of >= 64 KB take pool blocks that earlier tensors wrote
  for (let i = 0; i < 20; i++) torch.full([256, 256], 3.5);
  await collect();
  for (let i = 0; i < 20; i++) {
    const z = torch.zeros([256, 256]);
    assert.equal(z.sum().item(), 0);
    const e = torch.zeros([100, 300], { dtype: torch.float64 });
    assert.equal(e.abs().max().item(), 0);
  }
});

test(
  "worker threads share the pool; blocks a worker frees never alias live buffers",
  { skip: poolSkip },
  async () => {
    const { createRequire } = await import("node:module");
    const path = createRequire(import.meta.url).resolve(
      "../native/build/Release/tensorgrad_native.node",
    );
    const alloc = nativeAddon!.allocBuffer!;
    // buffers the main thread keeps alive, tagged, across the workers' lives and exits
    const mine = Array.from({ length: 16 }, (_, i) => {
      const v = new Int32Array(alloc(65536 * (1 + (i % 4)), false)!);
      v.fill(1000 + i);
      return v;
    });
    // each worker allocates, tags and checks its own buffers, drops them, then exits: its
    // isolate's teardown hands every block back to the one pool
    const source = `
    const { parentPort, workerData } = require("node:worker_threads");
    const addon = require(workerData.path);
    let ok = true;
    for (let round = 0; round < 20; round++) {
      const bufs = [];
      for (let i = 0; i < 8; i++) {
        const v = new Int32Array(addon.allocBuffer(65536 * (1 + (i % 4)), false));
        v.fill(workerData.tag + i);
        bufs.push(v);
      }
      for (let i = 0; i < 8; i++) if (bufs[i][0] !== workerData.tag + i || bufs[i][bufs[i].length - 1] !== workerData.tag + i) ok = false;
    }
    parentPort.postMessage(ok);
  `;
    const run = (tag: number) =>
      new Promise<boolean>((resolve, reject) => {
        const w = new Worker(source, { eval: true, workerData: { path, tag } });
        let ok = false;
        w.on("message", (m: boolean) => (ok = m));
        w.on("error", reject);
        w.on("exit", (code) => (code === 0 ? resolve(ok) : reject(new Error(`exit ${code}`))));
      });
    assert.deepEqual(await Promise.all([run(1 << 20), run(2 << 20)]), [true, true]);
    // the main thread now takes blocks the workers freed; its own stay intact
    const again = Array.from({ length: 16 }, (_, i) => {
      const v = new Int32Array(alloc(65536 * (1 + (i % 4)), false)!);
      v.fill(-1 - i);
      return v;
    });
    mine.forEach((v, i) =>
      assert.ok(
        v.every((x) => x === 1000 + i),
        `buffer ${i} was overwritten`,
      ),
    );
    again.forEach((v, i) => assert.ok(v.every((x) => x === -1 - i)));
  },
);

test(
  "pool buffers V8 does not count: at most 64 MB per isolate, counted again when they die",
  { skip: poolSkip },
  async () => {
    // Note [uncounted pool bytes], in a worker: an isolate whose account starts empty
    const { createRequire } = await import("node:module");
    const path = createRequire(import.meta.url).resolve(
      "../native/build/Release/tensorgrad_native.node",
    );
    const source = `
    const { parentPort, workerData } = require("node:worker_threads");
    const { setFlagsFromString } = require("node:v8");
    const { runInNewContext } = require("node:vm");
    setFlagsFromString("--expose-gc");
    const collectNow = runInNewContext("gc");
    const addon = require(workerData.path);
    const MB = 1 << 20;
    // MB of this isolate's uncounted pool bytes and of V8's external count since the start
    const e0 = addon.bufferPoolStats().external;
    const read = () => {
      const s = addon.bufferPoolStats();
      return [s.uncounted / MB, Math.round((s.external - e0) / MB) || 0];
    };
    const rows = [];
    let held = [];
    const alloc = (n) => { for (let i = 0; i < n; i++) held.push(addon.allocBuffer(MB, false)); };
    alloc(32);
    rows.push(["32 MB live", ...read()]);
    alloc(64);
    rows.push(["96 MB live", ...read()]);
    for (const b of held) addon.releaseBuffer(b);
    held = [];
    rows.push(["all released", ...read()]);
    alloc(40);
    rows.push(["40 MB live again", ...read()]);
    held = [];
    (async () => {
      // (V8 takes collected buffers' bytes off its count when its sweeper finishes, which may be
      // after their deleters ran: until then the count reads high)
      for (let i = 0; i < 250 && (read()[0] !== 0 || read()[1] !== 0); i++) {
        collectNow();
        await new Promise((r) => setTimeout(r, 20));
      }
      rows.push(["40 MB collected", ...read()]);
      parentPort.postMessage(rows);
    })();
  `;
    const rows = await new Promise<[string, number, number][]>((resolve, reject) => {
      const w = new Worker(source, { eval: true, workerData: { path } });
      w.on("message", resolve);
      w.on("error", reject);
    });
    // [state, uncounted MB, V8's external count's change in MB]
    const expected: [string, number, number][] = [
      ["32 MB live", 32, 0],
      ["96 MB live", 64, 32],
      ["all released", 0, 0],
      ["40 MB live again", 40, 0],
      ["40 MB collected", 0, 0],
    ];
    assert.deepEqual(rows, expected);
  },
);
