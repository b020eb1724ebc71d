/**
 * Parity of the native backend (native/matmul.cc, loaded by src/backend/native.ts) with the
 * TypeScript kernels it stands in for: odd sizes, transposed and strided operands, batch
 * broadcast (batch stride 0), float32 and float64, within a floating-point error bound.
 * Skipped, with the reason, when the addon is not built or not loaded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import {
  getNativeMatmulThreshold,
  matmul,
  setNativeMatmulThreshold,
} from "../src/backend/matmul.js";
import { getNumThreads, nativeAddon, nativeStatus, setNumThreads } from "../src/backend/native.js";
import {
  skip,
  skipUnlessAddon,
  type FloatArray,
  type FloatCtor,
  filled,
} from "./helpers/native.js";

const suffix = nativeStatus.active ? `(${nativeStatus.simd})` : `(skipped: ${nativeStatus.reason})`;

/** A strided operand: element (b, i, j) at off + b*batch + i*row + j*col of data. */
interface Operand {
  data: FloatArray;
  off: number;
  batch: number;
  row: number;
  col: number;
}

/**
 * Lay out `count` (rows x cols) matrices in one of several ways: row-major, transposed
 * (column-major), or strided inside a wider, offset buffer with a column step of 2.
 */
function operand(
  Ctor: FloatCtor,
  count: number,
  rows: number,
  cols: number,
  kind: "rowmajor" | "transposed" | "strided",
  seed: number,
): Operand {
  if (kind === "rowmajor") {
    return {
      data: filled(Ctor, count * rows * cols, seed),
      off: 0,
      batch: rows * cols,
      row: cols,
      col: 1,
    };
  }
  if (kind === "transposed") {
    return {
      data: filled(Ctor, count * rows * cols, seed),
      off: 0,
      batch: rows * cols,
      row: 1,
      col: rows,
    };
  }
  const row = 2 * cols + 3;
  const off = 5;
  return {
    data: filled(Ctor, off + count * rows * row, seed),
    off,
    batch: rows * row,
    row,
    col: 2,
  };
}

/** Run matmul.ts `matmul` with the native threshold forced (0: native; Infinity: TypeScript). */
function run(
  threshold: number,
  A: Operand,
  B: Operand,
  Ctor: FloatCtor,
  batch: number,
  m: number,
  k: number,
  n: number,
  aBatch = A.batch,
  bBatch = B.batch,
): FloatArray {
  const out = new Ctor(batch * m * n).fill(NaN);
  const saved = getNativeMatmulThreshold();
  setNativeMatmulThreshold(threshold);
  try {
    matmul(
      A.data,
      A.off,
      aBatch,
      A.row,
      A.col,
      B.data,
      B.off,
      bBatch,
      B.row,
      B.col,
      out,
      batch,
      m,
      k,
      n,
    );
  } finally {
    setNativeMatmulThreshold(saved);
  }
  return out;
}

/** |native - ts| <= k * u * (|A| |B|) + u * |ts| elementwise (the standard dot-product bound). */
function assertClose(
  native: FloatArray,
  ts: FloatArray,
  A: Operand,
  B: Operand,
  Ctor: FloatCtor,
  batch: number,
  m: number,
  k: number,
  n: number,
  aBatch: number,
  bBatch: number,
  what: string,
): void {
  const u = Ctor === Float32Array ? 2 ** -24 : 2 ** -53;
  const abs = (o: Operand): Operand => ({ ...o, data: o.data.map(Math.abs) as FloatArray });
  const bound = run(Infinity, abs(A), abs(B), Float64Array, batch, m, k, n, aBatch, bBatch);
  for (let i = 0; i < native.length; i++) {
    const tol = (k + 2) * u * bound[i] + u * Math.abs(ts[i]);
    if (!(Math.abs(native[i] - ts[i]) <= tol)) {
      assert.fail(`${what}: element ${i}: native ${native[i]} vs TypeScript ${ts[i]} (tol ${tol})`);
    }
  }
}

const sizes = [1, 3, 17, 65, 129];
const kinds = ["rowmajor", "transposed", "strided"] as const;

for (const Ctor of [Float32Array, Float64Array]) {
  test(
    `native matmul (portable micro-kernel) = TypeScript matmul, ${Ctor.name} ${suffix}`,
    { skip },
    () => {
      nativeAddon!.setKernel("scalar");
      try {
        let seed = 99;
        for (const [m, k, n] of [
          [1, 1, 1],
          [3, 17, 65],
          [129, 65, 17],
          [65, 300, 129],
        ]) {
          const A = operand(Ctor, 1, m, k, "strided", seed++);
          const B = operand(Ctor, 1, k, n, "transposed", seed++);
          const nat = run(0, A, B, Ctor, 1, m, k, n);
          const ts = run(Infinity, A, B, Ctor, 1, m, k, n);
          assertClose(nat, ts, A, B, Ctor, 1, m, k, n, 0, 0, `scalar ${m}x${k}x${n}`);
        }
      } finally {
        nativeAddon!.setKernel("auto");
      }
    },
  );

  test(
    `native matmul = TypeScript matmul, ${Ctor.name}, odd sizes and layouts ${suffix}`,
    { skip },
    () => {
      let seed = 1;
      for (const m of sizes)
        for (const k of sizes)
          for (const n of sizes) {
            // every size triple row-major, and every layout pair on a rotating subset
            const pairs =
              (m + k + n) % 3 === 0
                ? kinds.flatMap((ka) => kinds.map((kb) => [ka, kb] as const))
                : ([
                    ["rowmajor", "rowmajor"],
                    [kinds[(m + n) % 3], kinds[(k + n) % 3]],
                  ] as const);
            for (const [ka, kb] of pairs) {
              const A = operand(Ctor, 1, m, k, ka, seed++);
              const B = operand(Ctor, 1, k, n, kb, seed++);
              const nat = run(0, A, B, Ctor, 1, m, k, n);
              const ts = run(Infinity, A, B, Ctor, 1, m, k, n);
              assertClose(nat, ts, A, B, Ctor, 1, m, k, n, 0, 0, `${m}x${k}x${n} ${ka}@${kb}`);
            }
          }
    },
  );

  test(
    `native matmul = TypeScript matmul, ${Ctor.name}, batches and batch broadcast ${suffix}`,
    { skip },
    () => {
      const batch = 3;
      for (const [m, k, n] of [
        [17, 65, 3],
        [65, 17, 129],
        [129, 129, 17],
      ]) {
        for (const [ka, kb] of [
          ["rowmajor", "transposed"],
          ["strided", "rowmajor"],
          ["transposed", "strided"],
        ] as const) {
          const A = operand(Ctor, batch, m, k, ka, m + k);
          const B = operand(Ctor, batch, k, n, kb, k + n);
          // both batched, A broadcast (stride 0), B broadcast
          for (const [aB, bB] of [
            [A.batch, B.batch],
            [0, B.batch],
            [A.batch, 0],
          ]) {
            const nat = run(0, A, B, Ctor, batch, m, k, n, aB, bB);
            const ts = run(Infinity, A, B, Ctor, batch, m, k, n, aB, bB);
            assertClose(
              nat,
              ts,
              A,
              B,
              Ctor,
              batch,
              m,
              k,
              n,
              aB,
              bB,
              `batch ${m}x${k}x${n} ${ka}@${kb} strides ${aB},${bB}`,
            );
          }
        }
      }
    },
  );
}

test(
  `native matmul: the AVX-512, AVX2 and portable micro-kernels agree ${suffix}`,
  { skip: skipUnlessAddon },
  () => {
    // the SIMD kernels run the same fused multiply-add chain per element: bitwise equal; the
    // portable one rounds each product (no FMA contraction), within the dot-product bound
    try {
      for (const Ctor of [Float32Array, Float64Array]) {
        for (const [m, k, n] of [
          [7, 300, 33],
          [130, 257, 70],
        ]) {
          const A = operand(Ctor, 1, m, k, "rowmajor", 41);
          const B = operand(Ctor, 1, k, n, "strided", 42);
          const results: FloatArray[] = [];
          const used: string[] = [];
          for (const kernel of ["auto", "avx2", "scalar"] as const) {
            used.push(nativeAddon!.setKernel(kernel));
            results.push(run(0, A, B, Ctor, 1, m, k, n));
          }
          assert.equal(used[0], nativeStatus.simd);
          assert.equal(used[2], "scalar");
          if (used[1] !== "scalar") assert.deepEqual(results[0], results[1], `${Ctor.name} SIMD`);
          assertClose(results[0], results[2], A, B, Ctor, 1, m, k, n, 0, 0, `${Ctor.name} scalar`);
        }
      }
    } finally {
      nativeAddon!.setKernel("auto");
    }
  },
);

test(
  `native matmul: one and two threads agree bitwise, splitting M and N ${suffix}`,
  { skip },
  () => {
    const saved = getNumThreads();
    try {
      for (const [m, k, n] of [
        [300, 200, 7],
        [5, 300, 400],
        [257, 129, 255],
      ]) {
        for (const Ctor of [Float32Array, Float64Array]) {
          const A = operand(Ctor, 1, m, k, "rowmajor", 7);
          const B = operand(Ctor, 1, k, n, "transposed", 8);
          setNumThreads(1);
          const one = run(0, A, B, Ctor, 1, m, k, n);
          setNumThreads(2);
          const two = run(0, A, B, Ctor, 1, m, k, n);
          assert.deepEqual(two, one, `${Ctor.name} ${m}x${k}x${n}`);
        }
      }
    } finally {
      setNumThreads(saved);
    }
  },
);

test(
  `native matmul: products of at most one row block, A read in place, on one and two threads ${suffix}`,
  { skip },
  () => {
    // m <= 256 with A's rows or columns contiguous: threads split the columns, A is read where it
    // lies (a partial last row tile packed), several depth blocks (k > 256) and a half-width last
    // column sliver (n = 10, 300 = 9 * 32 + 12); the same sums on any number of threads
    const saved = getNumThreads();
    try {
      for (const Ctor of [Float32Array, Float64Array]) {
        for (const [m, k, n] of [
          [128, 520, 300],
          [131, 300, 10],
          [10, 130, 256],
        ]) {
          for (const [ka, kb] of [
            ["rowmajor", "transposed"],
            ["transposed", "rowmajor"],
            ["rowmajor", "strided"],
          ] as const) {
            const A = operand(Ctor, 1, m, k, ka, m + k);
            const B = operand(Ctor, 1, k, n, kb, k + n);
            const ts = run(Infinity, A, B, Ctor, 1, m, k, n);
            setNumThreads(1);
            const one = run(0, A, B, Ctor, 1, m, k, n);
            setNumThreads(2);
            const two = run(0, A, B, Ctor, 1, m, k, n);
            const what = `${Ctor.name} ${m}x${k}x${n} ${ka}@${kb}`;
            assert.deepEqual(two, one, what);
            assertClose(one, ts, A, B, Ctor, 1, m, k, n, 0, 0, what);
          }
        }
      }
    } finally {
      setNumThreads(saved);
    }
  },
);

test(`native matmul: operands larger than one packed panel (16 MiB) ${suffix}`, { skip }, () => {
  // k x n and m x k above 2^22 float32 elements: B packed in two column panels (A once), and
  // A in two row panels (repacked for each B panel)
  const saved = getNumThreads();
  try {
    for (const [m, k, n, ka, kb] of [
      [20, 4100, 1030, "rowmajor", "transposed"],
      [1030, 4100, 17, "transposed", "rowmajor"],
    ] as const) {
      const A = operand(Float32Array, 1, m, k, ka, m);
      const B = operand(Float32Array, 1, k, n, kb, n);
      const ts = run(Infinity, A, B, Float32Array, 1, m, k, n);
      for (const threads of [1, 2]) {
        setNumThreads(threads);
        const nat = run(0, A, B, Float32Array, 1, m, k, n);
        assertClose(nat, ts, A, B, Float32Array, 1, m, k, n, 0, 0, `${m}x${k}x${n} ${threads}`);
      }
    }
  } finally {
    setNumThreads(saved);
  }
});

test(
  `native matmul: packed operands whose lanes are contiguous, in groups ${suffix}`,
  { skip },
  () => {
    // A above 1 MiB (so both operands are packed) read transposed (its rows contiguous) and B
    // row-major: several slivers are packed per item, a whole 256-byte run of each source row,
    // with a partial last sliver of rows (m % 8) and of columns (n % 32, the half-width sliver)
    const saved = getNumThreads();
    try {
      for (const [Ctor, m, k, n] of [
        [Float32Array, 533, 600, 70],
        [Float64Array, 301, 520, 45],
      ] as const) {
        const A = operand(Ctor, 1, m, k, "transposed", m);
        const B = operand(Ctor, 1, k, n, "rowmajor", n);
        const ts = run(Infinity, A, B, Ctor, 1, m, k, n);
        for (const threads of [1, 2]) {
          setNumThreads(threads);
          const nat = run(0, A, B, Ctor, 1, m, k, n);
          assertClose(nat, ts, A, B, Ctor, 1, m, k, n, 0, 0, `${m}x${k}x${n} ${threads}`);
        }
      }
    } finally {
      setNumThreads(saved);
    }
  },
);

test(
  `native matmul: empty inner dimension gives zeros, bad arguments throw ${suffix}`,
  { skip },
  () => {
    const addon = nativeAddon!;
    const out = new Float32Array(6).fill(NaN);
    addon.matmul(new Float32Array(0), 0, 0, 0, 1, new Float32Array(0), 0, 0, 3, 1, out, 1, 2, 0, 3);
    assert.deepEqual(Array.from(out), [0, 0, 0, 0, 0, 0]);
    const f32 = new Float32Array(4);
    assert.throws(
      () => addon.matmul(f32, 0, 0, 2, 1, new Float64Array(4), 0, 0, 2, 1, f32, 1, 2, 2, 2),
      /matmul: float arrays must share one dtype/,
    );
    assert.throws(
      () => addon.matmul(f32, 1, 0, 2, 1, f32, 0, 0, 2, 1, new Float32Array(4), 1, 2, 2, 2),
      /out of the arrays' bounds/,
    );
  },
);

test(
  `native backend through torch: mm/bmm/matmul of transposed views match TypeScript ${suffix}`,
  { skip },
  () => {
    torch.manualSeed(0);
    const x = torch.randn(65, 129);
    const y = torch.randn(17, 65);
    const z = torch.randn(4, 129, 17, { dtype: torch.float64 });
    const w = torch.randn(17, 33, { dtype: torch.float64 });
    const compute = (): number[][] => [
      Array.from(torch.mm(x.t(), y.t()).typedArray),
      Array.from(torch.matmul(z, w).contiguous().typedArray),
      Array.from(torch.bmm(z.transpose(1, 2), z).typedArray),
    ];
    const saved = getNativeMatmulThreshold();
    try {
      setNativeMatmulThreshold(0);
      const nat = compute();
      setNativeMatmulThreshold(Infinity);
      const ts = compute();
      for (let r = 0; r < nat.length; r++) {
        const tol = r === 0 ? 1e-4 : 1e-11;
        nat[r].forEach((v, i) =>
          assert.ok(Math.abs(v - ts[r][i]) <= tol, `result ${r} element ${i}: ${v} vs ${ts[r][i]}`),
        );
      }
    } finally {
      setNativeMatmulThreshold(saved);
    }
  },
);

test(
  `native thread pool: 3,000 back-to-back parallel jobs agree bitwise with one thread ${suffix}`,
  { skip },
  () => {
    // Note [pool handoff]: jobs follow each other while the workers still spin, and their task
    // counts change, so a task claimed late from an old job would show up as a wrong product
    const saved = getNumThreads();
    const sizes = [64, 96, 130, 71, 200];
    const cases = sizes.map((s, i) => {
      const A = operand(Float32Array, 1, s, s, "rowmajor", 20 + i);
      const B = operand(Float32Array, 1, s, s, i % 2 === 0 ? "rowmajor" : "transposed", 30 + i);
      return { s, A, B };
    });
    try {
      setNumThreads(1);
      const expected = cases.map(({ s, A, B }) => run(0, A, B, Float32Array, 1, s, s, s));
      setNumThreads(2);
      for (let it = 0; it < 3000; it++) {
        const c = it % cases.length;
        const { s, A, B } = cases[c];
        const got = run(0, A, B, Float32Array, 1, s, s, s);
        if (it % 97 === 0 || c === 4) assert.deepEqual(got, expected[c], `job ${it} (${s}^3)`);
      }
    } finally {
      setNumThreads(saved);
    }
  },
);

test(
  `native addon used from two worker threads at once gives the main thread's products ${suffix}`,
  { skip: skipUnlessAddon },
  async () => {
    const { Worker } = await import("node:worker_threads");
    const { createRequire } = await import("node:module");
    const path = createRequire(import.meta.url).resolve(
      "../native/build/Release/tensorgrad_native.node",
    );
    const n = 150;
    const a = filled(Float32Array, n * n, 5);
    const b = filled(Float32Array, n * n, 6);
    const expected = new Float32Array(n * n);
    nativeAddon!.matmul(a, 0, 0, n, 1, b, 0, 0, n, 1, expected, 1, n, n, n);
    // each worker loads the addon itself and multiplies 200 times; only one caller at a time
    // gets the pool, the others run on their own thread
    const source = `
      const { parentPort, workerData } = require("node:worker_threads");
      const addon = require(workerData.path);
      const { n, a, b } = workerData;
      const out = new Float32Array(n * n);
      let same = true;
      for (let i = 0; i < 200; i++) {
        out.fill(0);
        addon.matmul(a, 0, 0, n, 1, b, 0, 0, n, 1, out, 1, n, n, n);
        for (let j = 0; j < out.length; j++) if (out[j] !== workerData.expected[j]) same = false;
      }
      parentPort.postMessage(same);
    `;
    const pending = Promise.all(
      [0, 1].map(
        () =>
          new Promise<boolean>((resolve, reject) => {
            const w = new Worker(source, { eval: true, workerData: { path, n, a, b, expected } });
            w.once("message", (m: boolean) => resolve(m));
            w.once("error", reject);
          }),
      ),
    );
    // the main thread multiplies meanwhile too
    const out = new Float32Array(n * n);
    for (let i = 0; i < 100; i++) {
      nativeAddon!.matmul(a, 0, 0, n, 1, b, 0, 0, n, 1, out, 1, n, n, n);
      assert.deepEqual(out, expected, `main thread, product ${i}`);
    }
    const results = await pending;
    assert.deepEqual(results, [true, true]);
  },
);
