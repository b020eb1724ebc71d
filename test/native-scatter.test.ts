/**
 * Parity of the native scatter walk (native/scatter.cc) with its TypeScript twin
 * (src/backend/scatter.ts): every combining op, each array type, strided and broadcast index
 * and source layouts, repeated indices (combined in index order: the last write wins for
 * Assign), run once with the scatter family off (TypeScript) and once on (the addon). Also the
 * guard of both: an index outside [0, dSize) stops the walk (false from the backend, a
 * RangeError from the addon) instead of writing out of bounds. Skipped, with
 * the reason, when the addon is not built or not loaded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { ScatterOp, scatter } from "../src/backend/scatter.js";
import { nativeAddon, setNativeFamily } from "../src/backend/native.js";
import type { TypedArray } from "../src/dtype.js";
import { skip } from "./helpers/native.js";

type Ctor = new (n: number) => TypedArray;
const CTORS: [string, Ctor][] = [
  ["float32", Float32Array],
  ["float64", Float64Array],
  ["int32", Int32Array],
  ["uint8", Uint8Array],
];

/** Deterministic values in [-4, 4] (integers) with a few NaNs for the float types. */
function values(Ctor: Ctor, n: number, seed: number): TypedArray {
  const a = new Ctor(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    a[i] = Ctor === Uint8Array ? s % 2 : (s % 9) - 4 + (Ctor === Float32Array ? 0.25 : 0);
  }
  if (Ctor === Float32Array || Ctor === Float64Array) a[7] = NaN;
  return a;
}

/** One walk over [rows, cols] positions into out [dSize, cols] along dim 0, both backends. */
function both(op: ScatterOp, Ctor: Ctor, rows: number, cols: number, dSize: number) {
  const n = rows * cols;
  const idx = new Float64Array(n + 3);
  let s = 7;
  for (let i = 0; i < idx.length; i++) {
    s = (s * 69069 + 1) % 4294967296;
    idx[i] = s % dSize; // many repeats
  }
  const src = values(Ctor, 2 * n + 5, 3);
  const run = (native: boolean): TypedArray => {
    const out = values(Ctor, dSize * cols + 2, 11);
    setNativeFamily("scatter", native);
    try {
      // out offset 2, out strides [0, 1] with dim 0's stride cols; index offset 3, transposed
      // source (strides [1, rows]) at offset 5
      scatter(op, out, 2, [0, 1], cols, dSize, idx, 3, [cols, 1], src, 5, [1, rows], [rows, cols]);
    } finally {
      setNativeFamily("scatter", true);
    }
    return out;
  };
  return [run(false), run(true)];
}

test("native scatter matches the TypeScript walk", { skip }, () => {
  for (const [name, Ctor] of CTORS) {
    for (const op of [
      ScatterOp.Assign,
      ScatterOp.Accumulate,
      ScatterOp.Multiply,
      ScatterOp.KeepMax,
      ScatterOp.KeepMin,
    ]) {
      for (const [rows, cols] of [
        [200, 37],
        [4096, 3],
      ]) {
        const [ts, nat] = both(op, Ctor, rows, cols, 13);
        assert.deepEqual(Array.from(nat), Array.from(ts), `${name} op ${op} ${rows}x${cols}`);
      }
    }
  }
});

test("an index outside [0, dSize) stops the walk on both backends", { skip }, () => {
  const idx = new Float64Array(8192).fill(1);
  idx[8191] = 4;
  const src = new Float32Array(8192).fill(1);
  for (const native of [false, true]) {
    setNativeFamily("scatter", native);
    try {
      const out = new Float32Array(4);
      const ok = scatter(ScatterOp.Accumulate, out, 0, [0], 1, 4, idx, 0, [1], src, 0, [1], [8192]);
      assert.equal(ok, false, `native ${native}`);
    } finally {
      setNativeFamily("scatter", true);
    }
  }
  assert.throws(
    () =>
      nativeAddon?.scatter(
        ScatterOp.Accumulate,
        new Float32Array(4),
        0,
        [0],
        1,
        4,
        idx,
        0,
        [1],
        src,
        0,
        [1],
        [8192],
      ),
    /index out of range/,
  );
});

test("a long add-scatter (Note [split scatter_add]) matches the TypeScript walk", { skip }, () => {
  // one contiguous run of n >= 2^16 elements into at most n / 4 slots takes the split: both
  // backends add the halves separately, then merge; slots only the second half touches, slots
  // neither touches (kept -0 / NaN / inf in self) and repeated indices all compare bit for bit
  for (const Ctor of [Float32Array, Float64Array] as const) {
    for (const [n, dSize, dStride] of [
      [1 << 16, 1 << 14, 1],
      [100003, 1000, 1],
      [70000, 17, 3],
      [1 << 16, (1 << 14) + 1, 1], // above n / 4: the serial walk
    ]) {
      const idx = new Float64Array(n);
      let s = 5;
      for (let i = 0; i < n; i++) {
        s = (s * 69069 + 1) % 4294967296;
        idx[i] = s % dSize;
      }
      // the last slot only from the second half, slot 1 from neither
      for (let i = 0; i < n; i++) if (idx[i] === dSize - 1 || idx[i] === 1) idx[i] = 0;
      idx[n - 2] = dSize - 1;
      const src = new Ctor(values(Float64Array, n, 9).map((v) => v / 3 + 1e-3 * v * v));
      src[5] = Infinity;
      const run = (native: boolean): TypedArray => {
        const out = new Ctor(dSize * dStride).fill(0.1);
        out[dStride] = -0;
        out[2 * dStride] = NaN;
        setNativeFamily("scatter", native);
        try {
          const ok = scatter(
            ScatterOp.Accumulate,
            out,
            0,
            [0],
            dStride,
            dSize,
            idx,
            0,
            [1],
            src,
            0,
            [1],
            [n],
          );
          assert.ok(ok);
        } finally {
          setNativeFamily("scatter", true);
        }
        return out;
      };
      const ts = run(false);
      const nat = run(true);
      const name = `${Ctor.name} n ${n} dSize ${dSize} dStride ${dStride}`;
      assert.deepEqual(Array.from(nat), Array.from(ts), name);
      assert.ok(Object.is(nat[dStride], -0) && Object.is(ts[dStride], -0), `${name}: -0 kept`);
    }
  }
});

test("1-D runs (the contiguous groups of eight) match the TypeScript walk", { skip }, () => {
  // a contiguous index and source into one output row, the groups' path: every op and array
  // type, unit and wider dStride, a ragged tail, with the AVX2 groups and the portable ones
  const kernels = nativeAddon!.simd !== "scalar" ? ["auto", "scalar"] : ["scalar"];
  for (const kernel of kernels) {
    nativeAddon!.setKernel(kernel as "auto" | "scalar");
    try {
      for (const [name, Ctor] of CTORS) {
        for (const op of [
          ScatterOp.Assign,
          ScatterOp.Accumulate,
          ScatterOp.Multiply,
          ScatterOp.KeepMax,
          ScatterOp.KeepMin,
        ]) {
          for (const [n, dSize, dStride] of [
            [5003, 97, 1],
            [4099, 31, 2],
          ]) {
            const idx = new Float64Array(n);
            let s = 3;
            for (let i = 0; i < n; i++) {
              s = (s * 69069 + 1) % 4294967296;
              idx[i] = s % dSize;
            }
            const src = values(Ctor, n, 5);
            const run = (native: boolean): TypedArray => {
              const out = values(Ctor, dSize * dStride, 13);
              setNativeFamily("scatter", native);
              try {
                assert.ok(scatter(op, out, 0, [0], dStride, dSize, idx, 0, [1], src, 0, [1], [n]));
              } finally {
                setNativeFamily("scatter", true);
              }
              return out;
            };
            const what = `${kernel} ${name} op ${op} n ${n} dStride ${dStride}`;
            assert.deepEqual(Array.from(run(true)), Array.from(run(false)), what);
          }
        }
      }
    } finally {
      nativeAddon!.setKernel("auto");
    }
  }
});

test("slice walks (one index value per row) match the TypeScript walk", { skip }, () => {
  // index_add's walk: [k, cols] positions, the index read along dim 0 only; from 2^16 elements
  // with rows of 64 or more the addon splits the columns across two threads. Also a row whose
  // columns all land in one element (out stride 0 along the row: scatter along the last dim
  // with an expanded index), which stays on one thread
  for (const [name, Ctor] of CTORS) {
    for (const op of [ScatterOp.Assign, ScatterOp.Accumulate, ScatterOp.KeepMax]) {
      for (const [k, cols, dSize, outRow] of [
        [1200, 100, 300, 1],
        [700, 64, 50, 1],
        [2000, 40, 60, 1],
        [1000, 80, 40, 0],
      ]) {
        const idx = new Float64Array(k);
        let s = 11;
        for (let i = 0; i < k; i++) {
          s = (s * 69069 + 1) % 4294967296;
          idx[i] = s % dSize;
        }
        const src = values(Ctor, k * cols, 17);
        const run = (native: boolean, bad: boolean): [boolean, TypedArray] => {
          const id = idx.slice();
          if (bad) id[k >> 1] = dSize;
          const out = values(Ctor, dSize * cols, 19);
          setNativeFamily("scatter", native);
          try {
            // outRow 1: out [dSize, cols] along dim 0; outRow 0: every column into one element
            const dStride = outRow === 1 ? cols : 1;
            const ok = scatter(
              op,
              out,
              0,
              [0, outRow],
              dStride,
              dSize,
              id,
              0,
              [1, 0],
              src,
              0,
              [cols, 1],
              [k, cols],
            );
            return [ok, out];
          } finally {
            setNativeFamily("scatter", true);
          }
        };
        const what = `${name} op ${op} [${k}, ${cols}] out row stride ${outRow}`;
        const [okTs, ts] = run(false, false);
        const [okNat, nat] = run(true, false);
        assert.ok(okTs && okNat, what);
        assert.deepEqual(Array.from(nat), Array.from(ts), what);
        assert.equal(run(true, true)[0], false, `${what}: bad index (native)`);
        assert.equal(run(false, true)[0], false, `${what}: bad index (TypeScript)`);
      }
    }
  }
});
