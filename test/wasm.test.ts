/**
 * The WebAssembly backend (src/backend/wasm.ts, native/wasm/): the embedded module is what the
 * sources give (rebuilt and compared byte for byte where Debian's clang, lld and wasm32 libc++
 * are installed: .ci/run installs them), it has every binding of its families, and a table of
 * real calls (an MLP's and a CNN's training steps with four optimizers, and a set of ops,
 * recorded from the loaded backend) gives the addon's results on the module, arrays that share
 * a buffer included. The kernels' parity with their TypeScript twins is test/native*.test.ts
 * run with TENSORGRAD_BACKEND=wasm (.ci/run).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as torch from "../src/index.js";
import { Binary, NATIVE_FAMILIES, type NativeFamily } from "../src/backend/abi.js";
import { nativeAddon, nativeStatus, observeNativeCalls } from "../src/backend/native.js";
import { loadWasm, WASM_FAMILIES, WRITES } from "../src/backend/wasm.js";
import { WASM_MODULE } from "../src/backend/wasm-module.gen.js";
import { WASM_MODULE_THREADS } from "../src/backend/wasm-module-threads.gen.js";
import { WASM_MODULE_RELAXED } from "../src/backend/wasm-module-relaxed.gen.js";
import { WASM_MODULE_THREADS_RELAXED } from "../src/backend/wasm-module-threads-relaxed.gen.js";
import { relaxedUnavailable } from "../src/backend/wasm-modules.js";
// @ts-expect-error: a plain .mjs script without declarations
import { buildWasm } from "../scripts/build-wasm.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const wasm = loadWasm();

/** How the backend describes its vectors here: relaxed SIMD's builds where the engine has it. */
const SIMD = relaxedUnavailable() === null ? "SIMD128, relaxed FMA" : "SIMD128";

/** Why the module cannot be rebuilt here, or false. */
function toolchainMissing(): string | false {
  const cxx = spawnSync("clang++", ["--version"]);
  if (cxx.status !== 0) return "clang++ is not installed";
  if (!existsSync("/usr/lib/wasm32-wasi/libc.a")) return "wasi-libc is not installed";
  if (!existsSync("/usr/lib/llvm-14/lib/wasm32-wasi/libc++.a"))
    return "libc++-14-dev-wasm32 is not installed";
  if (spawnSync("wasm-ld-14", ["--version"]).status !== 0) return "lld-14 is not installed";
  if (spawnSync("llvm-objdump-14", ["--version"]).status !== 0) return "llvm-14 is not installed";
  return false;
}

test(
  "the embedded module is reproducible from native/ (Note [wasm reproducibility])",
  {
    skip: toolchainMissing(),
    timeout: 900_000,
  },
  () => {
    const built = buildWasm() as Record<string, Uint8Array>;
    for (const [bytes, embedded, which] of [
      [built.single, WASM_MODULE, "wasm-module.gen.ts"],
      [built.threads, WASM_MODULE_THREADS, "wasm-module-threads.gen.ts"],
      [built.singleRelaxed, WASM_MODULE_RELAXED, "wasm-module-relaxed.gen.ts"],
      [built.threadsRelaxed, WASM_MODULE_THREADS_RELAXED, "wasm-module-threads-relaxed.gen.ts"],
    ] as const) {
      assert.equal(
        Buffer.from(bytes).toString("base64") === embedded,
        true,
        `native/wasm/build.sh gives ${bytes.length} bytes that differ from src/backend/${which}: run \`npm run build:wasm\``,
      );
    }
  },
);

/**
 * Note [wasm relaxed fma]: products on the relaxed SIMD build against the default build and a
 * float64 reference: both within float32 accumulation error, the relaxed one with other
 * roundings (fused, on x86-64 with FMA3 and on ARM64, where V8 emits a fused multiply-add), and
 * its threads bit for bit its one thread.
 */
test(
  "the relaxed SIMD builds run where the engine has relaxed SIMD, within float32 error (Note [wasm relaxed fma])",
  { skip: relaxedUnavailable() ?? false },
  async () => {
    const bytes = (b64: string) => Buffer.from(b64, "base64");
    // (Node 20 has it behind V8's flag, which relaxedUnavailable set: Note [relaxed SIMD in Node
    // 20]; the default builds validate everywhere)
    assert.equal(WebAssembly.validate(bytes(WASM_MODULE_RELAXED)), true);
    assert.equal(WebAssembly.validate(bytes(WASM_MODULE_THREADS_RELAXED)), true);
    assert.equal(WebAssembly.validate(bytes(WASM_MODULE)), true);
    const relaxed = loadWasm({ threads: 1 });
    const plain = loadWasm({ threads: 1, relaxed: false });
    const pool = loadWasm({ threads: 2 });
    assert.deepEqual(
      [relaxed.describe, plain.describe, pool.describe],
      ["SIMD128, relaxed FMA, 1 thread", "SIMD128, 1 thread", "SIMD128, relaxed FMA, 2 threads"],
    );
    // the workers start asynchronously: products until one has run a task (at most 60 s)
    const ones = new Float32Array(256 * 256).fill(1);
    const sink = new Float32Array(256 * 256);
    for (let until = Date.now() + 60_000; pool.workerTasks() === 0 && Date.now() < until;) {
      pool.matmul(
        ones,
        0,
        ones.length,
        256,
        1,
        ones,
        0,
        ones.length,
        256,
        1,
        sink,
        1,
        256,
        256,
        256,
      );
      await new Promise((r) => setTimeout(r, 10));
    }
    const tasksBefore = pool.workerTasks();
    let seed = 1;
    const rand = (n: number) =>
      Float32Array.from(
        { length: n },
        () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1,
      );
    let differ = 0;
    for (const [batch, m, k, n, layout] of [
      [1, 64, 300, 260, ""],
      [1, 130, 70, 50, "tn"],
      [1, 96, 128, 33, "nt"],
      [3, 40, 50, 60, ""],
      [1, 200, 1000, 300, ""],
    ] as const) {
      const shape = [batch, m, k, n, layout].join("x");
      const a = rand(batch * m * k);
      const b = rand(batch * k * n);
      const [ar, ac] = layout === "tn" ? [1, m] : [k, 1];
      const [br, bc] = layout === "nt" ? [1, k] : [n, 1];
      const outs = [relaxed, plain, pool].map((lib) => {
        const out = new Float32Array(batch * m * n);
        lib.matmul(a, 0, m * k, ar, ac, b, 0, k * n, br, bc, out, batch, m, k, n);
        return out;
      });
      // error against float64 sums, over the bound k * eps * sum |a b| (eps = 2^-24)
      const worst = [0, 0];
      for (let t = 0; t < batch; t++) {
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let exact = 0;
            let abs = 0;
            for (let p = 0; p < k; p++) {
              const x = a[t * m * k + i * ar + p * ac] * b[t * k * n + p * br + j * bc];
              exact += x;
              abs += Math.abs(x);
            }
            const at = (t * m + i) * n + j;
            for (const w of [0, 1]) {
              worst[w] = Math.max(worst[w], Math.abs(outs[w][at] - exact) / (k * 2 ** -24 * abs));
            }
            if (outs[0][at] !== outs[1][at]) differ++;
          }
        }
      }
      assert.ok(worst[0] <= 1 && worst[1] <= 1, `${shape}: relaxed, default ${worst.join(", ")}`);
      assert.deepEqual(outs[2], outs[0], `${shape}: two threads differ from one`);
    }
    // (the workers ran tasks of the compared products too)
    assert.ok(pool.workerTasks() > tasksBefore, `the workers ran no task of the products`);
    // (fused roundings: x86-64 with FMA3 or ARM64, as this project's machines)
    assert.ok(differ > 0, "the relaxed build gave the default build's roundings everywhere");
  },
);

test("TENSORGRAD_WASM_RELAXED=0 keeps the default builds; other values are an error", () => {
  const script =
    'import("./src/backend/wasm.js").then((w) => console.log(w.loadWasm({ threads: 1 }).describe))';
  const run = (value: string) =>
    spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, TENSORGRAD_WASM_RELAXED: value },
    });
  const off = run("0");
  assert.equal(off.stdout.trim(), "SIMD128, 1 thread", off.stderr);
  const bad = run("yes");
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /TENSORGRAD_WASM_RELAXED must be 0 or 1, not "yes"/);
});

test("the module has every binding of its families, and WRITES names real arguments", () => {
  const bindings = wasm as unknown as Record<string, unknown>;
  for (const [family, table] of Object.entries(NATIVE_FAMILIES) as [NativeFamily, object][]) {
    for (const [name, sig] of Object.entries(table as Record<string, string>)) {
      if (!WASM_FAMILIES.has(family)) {
        assert.equal(bindings[name], undefined, `${name}: family ${family} is not in the module`);
        continue;
      }
      assert.equal(typeof bindings[name], "function", name);
      const args = sig.split(" ").map((w) => w.split(":")[0]);
      const writes = WRITES[name];
      assert.ok(writes !== undefined && writes.length > 0, `${name}: WRITES has no entry`);
      for (const w of writes) assert.ok(args.includes(w), `${name}: no argument ${w}`);
    }
  }
});

test("the module throws the addon's errors, and leaves the arrays alone", () => {
  const a = new Float32Array([1, 2, 3, 4]);
  const out = new Float32Array(4);
  const call = () => wasm.matmul(a, 0, 4, 2, 1, a, 0, 4, 2, 1, out, 1, 2, 3, 2);
  assert.throws(call, { name: "RangeError", message: "matmul: layout out of the arrays' bounds" });
  assert.deepEqual(out, new Float32Array(4));
  assert.throws(() => wasm.ewUnary(0, a, 0.5, out, 4), {
    name: "TypeError",
    message: "ewUnary: argument 2 must be an integer",
  });
  assert.throws(() => wasm.ewUnary(0, a, 0, new Float64Array(4), 4), {
    name: "TypeError",
    message: "ewUnary: float arrays must share one dtype",
  });
  assert.throws(() => wasm.ewUnary(0, a, 0, out, 5), { name: "RangeError" });
});

test("arrays that share a buffer keep their overlap (in place, views)", () => {
  // exp in place
  const buf = new Float64Array([0, 1, 2, 3, 4, 5]);
  wasm.ewUnary(3, buf, 0, buf, 6);
  assert.deepEqual(buf, new Float64Array([0, 1, 2, 3, 4, 5].map(Math.exp)));
  // out = x[0..5) from a = x[1..6): out[i] = -x[i + 1], each read before it is written
  const x = new Float64Array([1, 2, 3, 4, 5, 6]);
  const later = new Float64Array(x.buffer, 8, 5);
  wasm.ewUnary(0, later, 0, x, 5);
  assert.deepEqual(x, new Float64Array([-2, -3, -4, -5, -6, 6]));
});

test("copyStats counts the calls and the bytes copied in and out (Note [wasm output copies])", () => {
  // [input, output, bytes in, bytes out] per call of exp (ewUnary op 3): an output written
  // whole is not copied in; an output sharing its buffer with the input is one span
  const n = 1000;
  const a = new Float32Array(n).fill(0.5);
  const fresh = new Float32Array(n);
  const shared = new Float32Array(2 * n);
  const cases: [Float32Array, Float32Array, number, number][] = [
    [a, fresh, 4 * n, 4 * n],
    [shared.subarray(0, n), shared.subarray(n), 8 * n, 8 * n],
    // (an output larger than the n elements written is read too)
    [a, new Float32Array(n + 1), 4 * n + 4 * (n + 1), 4 * (n + 1)],
  ];
  for (const [x, out, bytesIn, bytesOut] of cases) {
    const before = wasm.copyStats();
    wasm.ewUnary(3, x, 0, out, n);
    const after = wasm.copyStats();
    assert.equal(after.calls - before.calls, 1);
    assert.equal(after.bytesIn - before.bytesIn, bytesIn, "bytes in");
    assert.equal(after.bytesOut - before.bytesOut, bytesOut, "bytes out");
  }
  assert.equal(fresh[0], Math.fround(Math.exp(0.5)));
});

test("whole outputs are written without being read or copied in (Note [wasm output copies])", () => {
  // [binding, outputs as [position, element count, array type (Float32Array when absent)],
  // args with the outputs at their positions]: each call is made twice, first with outputs one
  // element longer and filled with NaN (copied in: a kernel that read its output would leave a
  // NaN), then with fresh outputs of exactly the elements written, which must not be copied in
  // and must get the same values
  const f = (n: number, seed: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 0.9);
  const bits = (n: number, seed: number) =>
    Uint8Array.from({ length: n }, (_, i) => Number((i * 7 + seed) % 3 === 0));
  // a window as the geo argument: [h, w, kh, kw, sh, sw, ph, pw, dh, dw] and depth
  // [d, kd, sd, pd, dd], each output size PyTorch's (every window whole)
  const out1 = (size: number, k: number, s: number, p: number, d: number) =>
    Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
  const window = (v: number[], [d, kd, sd, pd, dd] = [1, 1, 1, 0, 1]) => {
    const [h, w, kh, kw, sh, sw, ph, pw, dh, dw] = v;
    const [oh, ow, od] = [
      out1(h, kh, sh, ph, dh),
      out1(w, kw, sw, pw, dw),
      out1(d, kd, sd, pd, dd),
    ];
    return { geo: [...v, oh, ow, d, kd, sd, pd, dd, od], inVol: d * h * w, outVol: od * oh * ow };
  };
  // 3-D, strided, padded, dilated (im2col, pooling); 2-D (the direct convolution)
  const g3 = window([7, 9, 3, 2, 2, 1, 1, 1, 1, 2], [3, 2, 1, 1, 1]);
  const g2 = window([9, 10, 3, 3, 1, 2, 1, 1, 1, 1]);
  const pool = window([8, 9, 3, 2, 2, 2, 1, 1, 1, 2], [3, 2, 2, 1, 1]);
  const kk3 = g3.geo[2] * g3.geo[3] * g3.geo[13];
  const kk2 = g2.geo[2] * g2.geo[3];
  const s = 24;
  const soft = new Float32Array(3 * 8 * 5);
  wasm.softmax(f(3 * 8 * 5, 1), 0, 3, 8, 5, soft, 0, 0);
  const maxIdx = new Float64Array(3 * pool.outVol);
  wasm.maxPool(f(3 * pool.inVol, 2), 0, 3, pool.geo, new Float32Array(3 * pool.outVol), maxIdx);
  // k x n weights packed in slivers of 16 columns (rnn.ts packWeights)
  const [pk, pn] = [7, 20];
  const packed = new Float32Array(32 * pk);
  wasm.packPanel(f(pk * pn, 3), 0, pk, pn, pn, 1, packed);
  type Out = Float32Array | Float64Array;
  type Case = [string, [number, number, typeof Float64Array?][], (o: Out[]) => unknown[]];
  const cases: Case[] = [
    [
      "matmul",
      [[10, 2 * s * s]],
      ([o]) => [f(2 * s * s, 1), 0, s * s, s, 1, f(s * s, 2), 0, 0, 1, s, o, 2, s, s, s],
    ],
    ["reduce", [[6, 3 * 5]], ([o]) => [0, f(3 * 7 * 5, 3), 0, 3, 7, 5, o, 0]],
    ["cumsum", [[5, 3 * 8 * 5]], ([o]) => [f(3 * 8 * 5, 4), 0, 3, 8, 5, o, 0]],
    ["cumprod", [[5, 4 * 9]], ([o]) => [f(4 * 9, 5), 0, 4, 9, 1, o, 0]],
    ["softmax", [[5, 3 * 8 * 5]], ([o]) => [f(3 * 8 * 5, 4), 0, 3, 8, 5, o, 0, 1]],
    ["softmaxBackward", [[7, 3 * 8 * 5]], ([o]) => [f(3 * 8 * 5, 5), 0, soft, 0, 3, 8, 5, o, 0, 0]],
    ["geluForward", [[2, 300]], ([o]) => [f(300, 6), 0, o, 300, 1]],
    ["geluBackward", [[4, 300]], ([o]) => [f(300, 7), 0, f(300, 8), 0, o, 300, 0]],
    ["ewClamp", [[2, 300]], ([o]) => [f(300, 9), 0, o, 300, -0.5, 0.5]],
    // [3, 4, 5] from a transposed [5, 4, 3] and a broadcast [4]
    [
      "ewBinaryStrided",
      [[7, 60]],
      ([o]) => [Binary.Mul, f(60, 10), 0, [1, 3, 12], f(4, 11), 0, [0, 1, 0], o, [3, 4, 5]],
    ],
    [
      "ewWhere",
      [[9, 60]],
      ([o]) => [
        ...[bits(60, 1), 0, [20, 5, 1]],
        ...[f(60, 12), 0, [1, 3, 12]],
        ...[f(5, 13), 0, [0, 0, 1]],
        ...[o, [3, 4, 5]],
      ],
    ],
    [
      "ewMaskedFill",
      [[7, 60]],
      ([o]) => [f(60, 14), 0, [1, 3, 12], bits(20, 2), 0, [0, 5, 1], 0.25, o, [3, 4, 5]],
    ],
    // [batch 2][n][inner 3]: n 12 (mixed radix), 9 (odd: n/2 + 1 = 5 bins), 10 (half length)
    ["fftC2C", [[2, 2 * 2 * 12 * 3]], ([o]) => [f(2 * 2 * 12 * 3, 15), 0, o, 0, 2, 12, 3, 0, 1]],
    ["fftR2C", [[2, 2 * 2 * 5 * 3]], ([o]) => [f(2 * 9 * 3, 16), 0, o, 0, 2, 9, 3, 1]],
    ["fftC2R", [[2, 2 * 10 * 3]], ([o]) => [f(2 * 2 * 6 * 3, 17), 0, o, 0, 2, 10, 3, 0.1]],
    ["im2col", [[4, 2 * kk3 * g3.outVol]], ([o]) => [f(2 * g3.inVol, 18), 0, 2, g3.geo, o]],
    // N 2, C 4, O 6, 2 groups
    [
      "conv2dDirect",
      [[11, 2 * 6 * g2.outVol]],
      ([o]) => [
        f(2 * 4 * g2.inVol, 19),
        0,
        2,
        4,
        6,
        2,
        f(6 * 2 * kk2, 20),
        0,
        f(6, 21),
        0,
        g2.geo,
        o,
      ],
    ],
    // lhs [2, 6, oh, ow], rhs [2, 4, h, w], 2 groups: out [2][3][2 * kh * kw]
    [
      "convWeightGrad",
      [[9, 6 * 2 * kk2]],
      ([o]) => [f(2 * 6 * g2.outVol, 22), 0, f(2 * 4 * g2.inVol, 23), 0, 2, 6, 4, 2, g2.geo, o],
    ],
    ["channelSum", [[5, 6]], ([o]) => [f(3 * 6 * 10, 24), 0, 3, 6, 10, o]],
    [
      "maxPool",
      [
        [4, 3 * pool.outVol],
        [5, 3 * pool.outVol, Float64Array],
      ],
      ([o, i]) => [f(3 * pool.inVol, 25), 0, 3, pool.geo, o, i],
    ],
    [
      "maxPoolBackward",
      [[5, 3 * pool.inVol]],
      ([o]) => [f(3 * pool.outVol, 26), maxIdx, 3, pool.inVol, pool.outVol, o],
    ],
    [
      "avgPool",
      [[6, 3 * pool.outVol]],
      ([o]) => [f(3 * pool.inVol, 27), 0, 3, pool.geo, 0, 0, o, 0],
    ],
    [
      "adaptiveAvgPool",
      [[9, 3 * 2 * 4 * 3]],
      ([o]) => [f(3 * 3 * 7 * 8, 28), 0, 3, 3, 7, 8, 2, 4, 3, o, 0],
    ],
    [
      "layerNormForward",
      [[9, 5 * 12]],
      ([o]) => [f(5 * 12, 29), 0, 5, 12, f(12, 30), 0, f(12, 31), 0, 1e-5, o],
    ],
    [
      "layerNormBackward",
      [
        [9, 5 * 12],
        [10, 12],
        [11, 12],
      ],
      ([gx, gw, gb]) => [f(5 * 12, 32), 0, f(5 * 12, 33), 0, 5, 12, f(12, 34), 0, 1e-5, gx, gw, gb],
    ],
    // n 3 rows, hidden 5
    [
      "lstmCell",
      [
        [7, 4 * 3 * 5],
        [9, 3 * 5],
        [11, 3 * 5],
      ],
      ([gates, c, h]) => [
        ...[f(60, 35), 0, f(60, 36), 0, f(20, 37), f(15, 38), 0],
        ...[gates, 0, c, 0, h, 0, 3, 5],
      ],
    ],
    [
      "lstmCellBackward",
      [[10, 4 * 3 * 5]],
      ([dg]) => [
        ...[f(60, 39).map((v) => 0.5 + 0.5 * v), 0, f(15, 40), 0, f(15, 41), 0, f(15, 42), 0],
        ...[f(15, 43), f(15, 44), dg, 0, 3, 5],
      ],
    ],
    ["packPanel", [[6, 32 * pk]], ([o]) => [f(pk * pn, 45), 0, pk, pn, 1, pk, o]],
    ["panelProduct", [[7, 6 * pn]], ([o]) => [f(6 * pk, 46), 0, pk, 6, pk, packed, pn, o, 0]],
  ];
  for (const [name, outs, argsOf] of cases) {
    const padded = outs.map(([, count, T = Float32Array]) => new T(count + 1).fill(NaN));
    wasm[name](...argsOf(padded));
    const want = padded.map((p, k) => p.subarray(0, outs[k][1]));
    for (const w of want) {
      assert.ok(w.every(Number.isFinite), `${name}: every element written`);
      assert.ok(w.length === 0 || w.some((v) => v !== 0), `${name}: real work`);
    }
    const fresh = outs.map(([, count, T = Float32Array]) => new T(count));
    const args = argsOf(fresh);
    outs.forEach(([at], k) => assert.equal(args[at], fresh[k], `${name}: the output's position`));
    // the inputs' bytes only (each its own buffer)
    let inBytes = 0;
    for (const a of new Set(args))
      if (ArrayBuffer.isView(a) && !(fresh as unknown[]).includes(a)) inBytes += a.byteLength;
    const before = wasm.copyStats();
    wasm[name](...args);
    const after = wasm.copyStats();
    assert.equal(after.bytesIn - before.bytesIn, inBytes, `${name}: bytes in`);
    fresh.forEach((o, k) => assert.deepEqual(o, want[k].slice(), name));
  }
  // a pooling backward adds into its output (here positive gradients into ones): copied in
  const pos = (n: number, seed: number) => f(n, seed).map((v) => v * v + 0.1);
  for (const [name, args] of [
    [
      "avgPool",
      [pos(3 * pool.outVol, 47), 0, 3, pool.geo, 0, 0, new Float32Array(3 * pool.inVol), 1],
    ],
    ["adaptiveAvgPool", [pos(3 * 2 * 4 * 3, 48), 0, 3, 3, 7, 8, 2, 4, 3, new Float32Array(504), 1]],
  ] as const) {
    const dst = args[args.length - 2] as Float32Array;
    dst.fill(1);
    const before = wasm.copyStats();
    wasm[name](...args);
    const after = wasm.copyStats();
    assert.equal(
      after.bytesIn - before.bytesIn,
      (args[0] as Float32Array).byteLength + dst.byteLength,
      name,
    );
    assert.ok(dst.every((v) => v >= 1) && dst.some((v) => v !== 1), `${name}: added into dst`);
  }
});

test("arrays a kernel touches a range of go in and out as that range (Note [wasm ranges])", () => {
  // each row's call is made with tight arrays (offsets 0, exact lengths), then with every array
  // placed at an offset inside a NaN-padded larger one: the module must copy the same bytes in,
  // give the same elements in the ranges, and leave the padding alone
  const pad = 37;
  const gen = (n: number, seed: number) =>
    Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.61 + seed) * 0.8);
  // a 2-D window [h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow] one plane deep
  const geo = [6, 7, 3, 2, 1, 2, 1, 0, 1, 1, 6, 3, 1, 1, 1, 0, 1, 1];
  // place: an array with an offset argument; keep: one without (written from index 0)
  type Place = (a: Float32Array) => [Float32Array, number];
  type Keep = (a: Float32Array) => Float32Array;
  const rows: [string, (place: Place, keep: Keep) => unknown[]][] = [
    [
      "matmul",
      (p, k) => {
        const [a, aOff] = p(gen(60, 1));
        const [b, bOff] = p(gen(48, 2));
        const o = k(new Float32Array(40));
        // a [2, 5, 6] row-major, b [2][6 x 4] read transposed, out [2, 5, 4]
        return [a, aOff, 30, 6, 1, b, bOff, 24, 1, 6, o, 2, 5, 6, 4];
      },
    ],
    [
      "lstmCell",
      (p) => {
        const [sc, sOff] = p(gen(48, 3));
        const [gi, giOff] = p(gen(48, 4));
        const [cp, cpOff] = p(gen(12, 5));
        const [gates, gOff] = p(new Float32Array(48));
        const [c, cOff] = p(new Float32Array(12));
        const [h, hOff] = p(new Float32Array(12));
        return [sc, sOff, gi, giOff, null, cp, cpOff, gates, gOff, c, cOff, h, hOff, 3, 4];
      },
    ],
    [
      "im2col",
      (p, k) => {
        const [x, xOff] = p(gen(2 * 42, 6));
        const cols = k(new Float32Array(2 * 6 * 18));
        return [x, xOff, 2, geo, cols];
      },
    ],
    [
      "col2im",
      (p, k) => {
        const cols = k(gen(2 * 6 * 18, 7));
        const [out, outOff] = p(gen(2 * 42, 8));
        return [cols, 2, geo, out, outOff];
      },
    ],
    [
      "stridedCopy",
      (p) => {
        // src read as [3, 4] with strides [1, 5]: 18 elements reached
        const [src, srcOff] = p(gen(18, 9));
        const [dst, dstOff] = p(new Float32Array(12));
        return [src, srcOff, [1, 5], dst, dstOff, [4, 1], [3, 4]];
      },
    ],
  ];
  for (const [name, argsOf] of rows) {
    const tight: Float32Array[] = [];
    const tightArgs = argsOf(
      (a) => (tight.push(a), [a, 0]),
      (a) => (tight.push(a), a),
    );
    const c0 = wasm.copyStats();
    wasm[name](...tightArgs);
    const c1 = wasm.copyStats();
    const placed: [Float32Array, number, number][] = [];
    const placedArgs = argsOf(
      (a) => {
        const big = new Float32Array(a.length + 2 * pad).fill(NaN);
        big.set(a, pad);
        placed.push([big, pad, a.length]);
        return [big, pad];
      },
      (a) => (placed.push([a, 0, a.length]), a),
    );
    wasm[name](...placedArgs);
    const c2 = wasm.copyStats();
    assert.equal(c2.bytesIn - c1.bytesIn, c1.bytesIn - c0.bytesIn, `${name}: bytes in`);
    assert.equal(c2.bytesOut - c1.bytesOut, c1.bytesOut - c0.bytesOut, `${name}: bytes out`);
    placed.forEach(([big, off, len], i) => {
      assert.deepEqual(big.subarray(off, off + len), tight[i], `${name}: array ${i}`);
      assert.ok(big.subarray(0, off).every(Number.isNaN), `${name}: array ${i}'s head`);
      assert.ok(big.subarray(off + len).every(Number.isNaN), `${name}: array ${i}'s tail`);
    });
  }
});

test("the warm-up calls (Note [wasm warm-up]) run on a later task, only where asked", async () => {
  // Node compiles the module optimised up front: no warm-up by default
  assert.equal(await loadWasm({ threads: 1 }).warmedUp, 0);
  const w = loadWasm({ threads: 1, warmUp: true });
  assert.equal(w.copyStats().calls, 0, "no call before the task");
  const calls = await w.warmedUp;
  assert.ok(calls >= 10, `${calls} warm-up calls`);
  assert.equal(w.copyStats().calls, calls);
  // the kernels still compute what they did
  const out = new Float32Array(3);
  w.ewBinary(2, new Float32Array([1, 2, 3]), 0, 1, new Float32Array([4, 5, 6]), 0, 1, out, 0, 3);
  assert.deepEqual(Array.from(out), [4, 10, 18]);
});

type Arg = unknown;
const copy = (x: Arg): Arg =>
  ArrayBuffer.isView(x)
    ? (x as Float32Array).slice()
    : Array.isArray(x)
      ? (x as number[]).slice()
      : x;

/** Up to 4 argument lists of each binding a workload calls (before the call: the inputs). */
function record(): Map<string, Arg[][]> {
  const seen = new Map<string, Arg[][]>();
  observeNativeCalls((name, args) => {
    const list = seen.get(name) ?? [];
    if (list.length < 4) list.push(args.map(copy));
    seen.set(name, list);
  });
  try {
    torch.manualSeed(0);
    const { nn, optim } = torch;
    const mlp = new nn.Sequential(new nn.Linear(40, 64), new nn.ReLU(), new nn.Linear(64, 10));
    const cnn = new nn.Sequential(
      new nn.Conv2d(1, 8, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(8 * 14 * 14, 10),
    );
    const y = torch.randint(0, 10, [32]);
    for (const [model, x] of [
      [mlp, torch.randn(32, 40)],
      [cnn, torch.randn(32, 1, 28, 28)],
    ] as const) {
      for (const opt of [
        new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }),
        new optim.Adam(model.parameters()),
        new optim.RMSprop(model.parameters(), { centered: true, momentum: 0.5 }),
        new optim.Adagrad(model.parameters()),
      ]) {
        opt.zeroGrad();
        nn.functional.crossEntropy(model.forward(x), y).backward();
        opt.step();
      }
    }
    const a = torch.randn(90, 70, { requiresGrad: true });
    const r = torch
      .tanh(a)
      .mul(a.exp().log1p())
      .add(a.sin())
      .clamp(-0.5, 2)
      .maskedFill(a.lt(0), 1)
      .where(a.gt(-1), a.t().contiguous().t())
      .softmax(0)
      .cumsum(1);
    r.sum().backward();
    nn.functional.layerNorm(a, [70]).sum().backward();
    nn.functional.gelu(a).sum().backward();
  } finally {
    observeNativeCalls(null);
  }
  return seen;
}

test(
  "recorded calls give the addon's results on the module",
  {
    skip:
      nativeStatus.backend !== "native"
        ? `the addon is not loaded (${nativeStatus.backend} backend): nothing to compare with`
        : false,
  },
  () => {
    const calls = record();
    const addon = nativeAddon as unknown as Record<string, (...a: Arg[]) => void>;
    const bindings = wasm as unknown as Record<string, (...a: Arg[]) => void>;
    let compared = 0;
    for (const [name, lists] of calls) {
      if (bindings[name] === undefined) continue; // (sort: not in the module)
      for (const args of lists) {
        const mine = args.map(copy);
        const theirs = args.map(copy);
        addon[name](...theirs);
        bindings[name](...mine);
        for (let i = 0; i < args.length; i++) {
          if (!ArrayBuffer.isView(args[i])) continue;
          const got = mine[i] as Float32Array;
          const want = theirs[i] as Float32Array;
          // the addon's x86 kernels fuse multiply-adds and use their own exp/tanh: agreement
          // to a few float32 ulps relative to the largest value
          const f32 = got instanceof Float32Array;
          let scale = 0;
          for (let j = 0; j < want.length; j++) scale = Math.max(scale, Math.abs(want[j]) || 0);
          const tol = (f32 ? 2e-5 : 1e-12) * Math.max(scale, 1);
          for (let j = 0; j < want.length; j++) {
            if (Number.isNaN(want[j]) && Number.isNaN(got[j])) continue;
            assert.ok(
              Math.abs(got[j] - want[j]) <= tol,
              `${name} argument ${i} element ${j}: wasm ${got[j]} vs addon ${want[j]}`,
            );
          }
        }
        compared++;
      }
    }
    assert.ok(compared >= 40, `only ${compared} calls compared`);
  },
);

test("torch.backends.wasm.enabled switches every family between the module and the twins", () => {
  // a child process on the WebAssembly backend: count the module's calls for one matmul
  const script = `
    import * as torch from "./src/index.js";
    const calls = () => { let n = 0; torch.backends.native._observeCalls(() => n++);
      torch.ones(64, 64).matmul(torch.ones(64, 64)); torch.backends.native._observeCalls(null); return n; };
    const w = torch.backends.wasm;
    const before = [w.active, w.enabled, calls()];
    w.enabled = false;
    const off = [w.active, w.enabled, calls()];
    w.enabled = true;
    console.log(JSON.stringify({ before, off, after: [w.active, w.enabled, calls()], reason: w.reason }));`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, TENSORGRAD_BACKEND: "wasm", TENSORGRAD_QUIET: "1" },
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, [boolean, boolean, number] | string>;
  assert.deepEqual(out.off, [false, false, 0]);
  const [activeBefore, enabledBefore, callsBefore] = out.before as [boolean, boolean, number];
  assert.deepEqual([activeBefore, enabledBefore], [true, true]);
  assert.ok(callsBefore > 0, "the module ran the matmul");
  assert.deepEqual(out.after, out.before);
  // (Node has shared memory: the threaded module, as many threads as processors)
  const threads = Number(process.env.TENSORGRAD_WASM_THREADS || availableParallelism());
  assert.equal(
    out.reason,
    `TENSORGRAD_BACKEND=wasm, ${SIMD}, ${threads} thread${threads === 1 ? "" : "s"}`,
  );
  // the loaded backend of this process is not WebAssembly: the switch changes nothing
  if (nativeStatus.backend !== "wasm") {
    assert.equal(torch.backends.wasm.active, false);
    assert.match(torch.backends.wasm.reason, /run: /);
  }
});

test(
  "TENSORGRAD_WASM_THREADS sets the threads; at 1 the Node bundle never reads the threaded module",
  {
    skip: existsSync(join(root, "dist", "cjs", "tensorgrad-wasm-threads.cjs"))
      ? false
      : "no dist/ with the threaded module's file (npm run build)",
  },
  () => {
    // (the bundle requires each module's file at its first use: Note [lazy wasm module])
    const script = `
      const torch = require("./dist/cjs/index.cjs");
      torch.ones(64, 64).matmul(torch.ones(64, 64));
      const files = Object.keys(require.cache).filter((f) => /tensorgrad-wasm/.test(f));
      console.log(JSON.stringify({ reason: torch.backends.wasm.reason,
        files: files.map((f) => f.replace(/.*[\\/]/, "")).sort() }));`;
    const run = (threads: string) => {
      const r = spawnSync(process.execPath, ["-e", script], {
        cwd: root,
        encoding: "utf8",
        env: {
          ...process.env,
          TENSORGRAD_BACKEND: "wasm",
          TENSORGRAD_QUIET: "1",
          TENSORGRAD_WASM_THREADS: threads,
        },
      });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { reason: string; files: string[] };
    };
    const relaxed = SIMD === "SIMD128" ? "" : "-relaxed";
    assert.deepEqual(run("1"), {
      reason: `TENSORGRAD_BACKEND=wasm, ${SIMD}, 1 thread`,
      files: [`tensorgrad-wasm${relaxed}.cjs`],
    });
    assert.deepEqual(run("3"), {
      reason: `TENSORGRAD_BACKEND=wasm, ${SIMD}, 3 threads`,
      files: [`tensorgrad-wasm-threads${relaxed}.cjs`],
    });
    const r = spawnSync(process.execPath, ["-e", script], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, TENSORGRAD_BACKEND: "wasm", TENSORGRAD_WASM_THREADS: "two" },
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /TENSORGRAD_WASM_THREADS must be a positive integer, not "two"/);
  },
);

test("the threaded module: its thread count, and the backend's reason names it", () => {
  const one = loadWasm({ threads: 1 });
  assert.equal(one.describe, `${SIMD}, 1 thread`);
  assert.equal(one.getNumThreads(), 1);
  const three = loadWasm({ threads: 3 });
  assert.equal(three.describe, `${SIMD}, 3 threads`);
  three.setNumThreads(2);
  assert.deepEqual([three.getNumThreads(), three.describe], [2, `${SIMD}, 2 threads`]);
  three.setNumThreads(1);
  assert.deepEqual([three.getNumThreads(), three.describe], [1, `${SIMD}, 1 thread`]);
  if (nativeStatus.backend === "wasm") {
    assert.match(nativeStatus.reason, /SIMD128(, relaxed FMA)?, \d+ threads?/);
  }
});

/** Argument lists of every binding a workload large enough for the kernels' threads calls. */
function recordLarge(): Map<string, Arg[][]> {
  const seen = new Map<string, Arg[][]>();
  observeNativeCalls((name, args) => {
    const list = seen.get(name) ?? [];
    if (list.length < 3) list.push(args.map(copy));
    seen.set(name, list);
  });
  try {
    torch.manualSeed(1);
    const { nn, optim } = torch;
    const mlp = new nn.Sequential(new nn.Linear(300, 256), new nn.ReLU(), new nn.Linear(256, 10));
    const cnn = new nn.Sequential(
      new nn.Conv2d(3, 16, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(16 * 16 * 16, 10),
    );
    const y = torch.randint(0, 10, [64]);
    for (const [model, x] of [
      [mlp, torch.randn(64, 300)],
      [cnn, torch.randn(64, 3, 32, 32)],
    ] as const) {
      const opt = new optim.Adam(model.parameters());
      nn.functional.crossEntropy(model.forward(x), y).backward();
      opt.step();
    }
    const a = torch.randn(400, 300, { requiresGrad: true });
    const b = torch.randn(300, 260, { dtype: torch.float64 });
    a.t().matmul(a.matmul(b.float())).sum().backward();
    b.t().matmul(b.t().t()).sum();
    torch.randn(8, 96, 128).matmul(torch.randn(8, 128, 64));
    nn.functional.gelu(a).exp().mul(a.tanh()).softmax(1).sum().backward();
    nn.functional.layerNorm(a, [300]).sum().backward();
  } finally {
    observeNativeCalls(null);
  }
  return seen;
}

test(
  "threads give the single-threaded module's results bit for bit (the splits keep the order)",
  {
    skip:
      nativeStatus.backend === "js"
        ? "the TypeScript backend records no kernel calls to replay"
        : false,
  },
  async () => {
    const calls = recordLarge();
    const single = loadWasm({ threads: 1 }) as unknown as Record<string, (...a: Arg[]) => void>;
    const pool = loadWasm({ threads: 4 });
    const threaded = pool as unknown as Record<string, (...a: Arg[]) => void>;
    assert.equal(pool.describe, `${SIMD}, 4 threads`);
    // the workers start asynchronously: products until one has run a task (at most 60 s)
    const a = new Float32Array(256 * 256).fill(1);
    const out = new Float32Array(256 * 256);
    const until = Date.now() + 60_000;
    while (pool.workerTasks() === 0 && Date.now() < until) {
      pool.matmul(a, 0, a.length, 256, 1, a, 0, a.length, 256, 1, out, 1, 256, 256, 256);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(pool.workerTasks() > 0, "no worker ran a task in 60 s");
    assert.equal(out[0], 256);
    let compared = 0;
    for (const [name, lists] of calls) {
      if (single[name] === undefined) continue; // (sort: not in the module)
      for (const args of lists) {
        const one = args.map(copy);
        const many = args.map(copy);
        single[name](...one);
        threaded[name](...many);
        for (let i = 0; i < args.length; i++) {
          if (!ArrayBuffer.isView(args[i])) continue;
          const a = one[i] as Uint8Array;
          const b = many[i] as Uint8Array;
          assert.ok(
            Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
              Buffer.from(b.buffer, b.byteOffset, b.byteLength),
            ),
            `${name} argument ${i}: the threaded module's result differs`,
          );
        }
        compared++;
      }
    }
    assert.ok(compared >= 30, `only ${compared} calls compared`);
    console.log(
      `# ${compared} calls of ${calls.size} bindings compared; the workers ran ${pool.workerTasks()} tasks`,
    );
  },
);
