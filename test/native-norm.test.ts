/**
 * Parity of the native layer-norm kernels (native/norm.cc, dispatched from
 * src/backend/norm.ts) with their TypeScript twins: forward and backward, with and without
 * weight and bias, row lengths that are and are not multiples of 4, offsets, the multithreaded
 * sizes, float32 and float64. Each comparison runs the same call with the native threshold at 0
 * (native) and at infinity (TypeScript). Rows and the input gradient agree bit for bit (same
 * order of operations); the weight and bias gradients, summed over rows per thread, within a
 * rounding. Skipped, with the reason, when the addon is not built or not loaded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  getNativeNormThreshold,
  layerNormBackward,
  layerNormForward,
  setNativeNormThreshold,
} from "../src/backend/norm.js";
import { skip, filled, type FloatArray, type FloatCtor } from "./helpers/native.js";

const CTORS: [string, FloatCtor][] = [
  ["float32", Float32Array],
  ["float64", Float64Array],
];

function both<T>(f: () => T): [T, T] {
  const saved = getNativeNormThreshold();
  try {
    setNativeNormThreshold(Infinity);
    const ts = f();
    setNativeNormThreshold(0);
    return [ts, f()];
  } finally {
    setNativeNormThreshold(saved);
  }
}

/** Equal, or (rel > 0) within rel of the larger magnitude plus a tiny absolute slack. */
function assertClose(got: FloatArray, want: FloatArray, rel: number, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    const at = `${what} [${i}]: native ${got[i]} vs TypeScript ${want[i]}`;
    if (rel === 0) assert.ok(Object.is(got[i], want[i]), at);
    else assert.ok(Math.abs(got[i] - want[i]) <= rel * Math.abs(want[i]) + 1e-30, at);
  }
}

// [rows, D]: small, D not a multiple of 4, and large enough to split between threads
const SHAPES: [number, number][] = [
  [1, 1],
  [3, 7],
  [5, 130],
  [1024, 128],
  [700, 97],
];

test("native layer norm forward matches the TypeScript kernel", { skip }, () => {
  for (const [dt, Ctor] of CTORS) {
    for (const [rows, D] of SHAPES) {
      for (const affine of [false, true]) {
        const off = 3;
        const x = filled(Ctor, rows * D + off, rows + D, 3);
        // a row of equal values (variance 0) and a shifted row (mean far from 0)
        for (let i = 0; i < D; i++) x[off + i] = 0.25;
        if (rows > 1) for (let i = 0; i < D; i++) x[off + D + i] += 1000;
        const w = affine ? filled(Ctor, D + 1, 7 * D, 2) : null;
        const b = affine ? filled(Ctor, D + 2, 9 * D, 1) : null;
        const [ts, nat] = both(() => {
          const out = new Ctor(rows * D);
          layerNormForward(x, off, rows, D, w, 1, b, 2, 1e-5, out);
          return out;
        });
        assertClose(nat, ts, 0, `forward ${dt} ${rows}x${D} affine=${affine}`);
      }
    }
  }
});

test("native layer norm backward matches the TypeScript kernel", { skip }, () => {
  for (const [dt, Ctor] of CTORS) {
    for (const [rows, D] of SHAPES) {
      for (const affine of [false, true]) {
        const x = filled(Ctor, rows * D + 2, 3 * rows + D, 3);
        const g = filled(Ctor, rows * D + 1, 5 * rows + D, 1);
        const w = affine ? filled(Ctor, D, 11 * D, 2) : null;
        const [ts, nat] = both(() => {
          const gx = new Ctor(rows * D);
          const gw = new Ctor(D);
          const gb = new Ctor(D);
          layerNormBackward(g, 1, x, 2, rows, D, w, 0, 1e-5, gx, affine ? gw : null, gb);
          return { gx, gw, gb };
        });
        const what = `backward ${dt} ${rows}x${D} affine=${affine}`;
        assertClose(nat.gx, ts.gx, 0, `${what} gx`);
        const rel = Ctor === Float32Array ? 2 ** -23 : 2 ** -40;
        assertClose(nat.gw, ts.gw, rel, `${what} gw`);
        assertClose(nat.gb, ts.gb, rel, `${what} gb`);
      }
    }
  }
});

test("native layer norm refuses ranges outside its arrays", { skip }, async () => {
  const { nativeAddon } = await import("../src/backend/native.js");
  const a = new Float32Array(8);
  assert.throws(
    () => nativeAddon?.layerNormForward(a, 1, 2, 4, null, 0, null, 0, 1e-5, a),
    RangeError,
  );
  assert.throws(
    () => nativeAddon?.layerNormForward(a, 0, 2, 4, a, 5, null, 0, 1e-5, a),
    RangeError,
  );
  assert.throws(
    () =>
      nativeAddon?.layerNormBackward(a, 0, a, 0, 2, 4, null, 0, 1e-5, a, new Float32Array(3), null),
    RangeError,
  );
});
