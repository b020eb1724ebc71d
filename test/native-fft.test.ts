/**
 * The FFT kernels (src/backend/fft.ts and its native twin native/fft.cc) against PyTorch 1.13's
 * pocketfft (test/fixtures/fft.json, scripts/fixtures/fft_fx.py) and against each other:
 * complex forward and inverse, real-to-complex and complex-to-real, at every radix path, direct
 * odd radices and Bluestein lengths, float64 and float32, batches at offsets, in place.
 * Each backend runs with the native threshold at Infinity (TypeScript) and at 0 (native); the
 * native runs are skipped, with the reason, when the addon is not loaded.
 *
 * Tolerances: both compute in double, with twiddles from different sin/cos implementations
 * (V8's, libm's, pocketfft's own), so float64 results agree to a few ulps of the row's largest
 * magnitude times log n; float32 results are rounded once from double, while pocketfft computes
 * in float, so they agree to float32 rounding of the same scale.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import {
  fftC2C,
  fftC2R,
  fftR2C,
  getNativeFftThreshold,
  setNativeFftThreshold,
} from "../src/backend/fft.js";
import { skip, filled, type FloatArray, type FloatCtor } from "./helpers/native.js";

interface Transforms {
  fft: number[];
  ifft: number[];
  rfft: number[];
  spec: number[];
  irfft: number[];
}
interface KernelCase {
  n: number;
  x: number[];
  r: number[];
  f64: Transforms;
  f32: Transforms;
}
const fx = JSON.parse(readFileSync(new URL("./fixtures/fft.json", import.meta.url), "utf8")) as {
  kernels: KernelCase[];
};

function withThreshold<T>(t: number, f: () => T): T {
  const saved = getNativeFftThreshold();
  try {
    setNativeFftThreshold(t);
    return f();
  } finally {
    setNativeFftThreshold(saved);
  }
}

/** |got - want| <= rel * max |want| (+ a tiny absolute slack), element by element. */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, what: string) {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  const tol = rel * scale + 1e-300;
  for (let i = 0; i < want.length; i++)
    if (!(Math.abs(got[i] - want[i]) <= tol))
      assert.fail(`${what} [${i}]: ${got[i]} vs ${want[i]} (tolerance ${tol})`);
}

const CTORS: [string, FloatCtor, "f64" | "f32", number][] = [
  ["float64", Float64Array, "f64", 1e-14],
  ["float32", Float32Array, "f32", 3e-6],
];

/** Every transform of a fixture case with the current threshold. */
function checkCase(c: KernelCase, Ctor: FloatCtor, key: "f64" | "f32", rel: number, who: string) {
  const n = c.n;
  const nc = Math.floor(n / 2) + 1;
  const want = c[key];
  const tol = rel * Math.max(1, Math.log2(n));
  const x = Ctor.from(c.x);
  const r = Ctor.from(c.r);
  const what = `${who} n=${n} ${key}`;
  const y = new Ctor(2 * n);
  fftC2C(x, 0, y, 0, 1, n, 1, false, 1);
  assertClose(y, want.fft, tol, `${what} fft`);
  fftC2C(x, 0, y, 0, 1, n, 1, true, 1 / n);
  assertClose(y, want.ifft, tol, `${what} ifft`);
  const s = new Ctor(2 * nc);
  fftR2C(r, 0, s, 0, 1, n, 1, 1);
  assertClose(s, want.rfft, tol, `${what} rfft`);
  const back = new Ctor(n);
  fftC2R(Ctor.from(want.spec), 0, back, 0, 1, n, 1, 1 / n);
  assertClose(back, want.irfft, tol, `${what} irfft`);
}

test("TypeScript FFT kernels match PyTorch's pocketfft at every length path", () => {
  withThreshold(Infinity, () => {
    for (const [, Ctor, key, rel] of CTORS)
      for (const c of fx.kernels) checkCase(c, Ctor, key, rel, "TypeScript");
  });
});

test("native FFT kernels match PyTorch's pocketfft at every length path", { skip }, () => {
  withThreshold(0, () => {
    for (const [, Ctor, key, rel] of CTORS)
      for (const c of fx.kernels) checkCase(c, Ctor, key, rel, "native");
  });
});

// [batch, n]: single rows, batches split between threads, Bluestein and mixed lengths
const SHAPES: [number, number][] = [
  [1, 1],
  [3, 2],
  [4, 7],
  [2, 64],
  [5, 97],
  [300, 30],
  [64, 256],
  [3, 1031],
  [2, 4100],
  [1, 65536],
];

test(
  "native FFT kernels match their TypeScript twins (batches, offsets, in place)",
  { skip },
  () => {
    for (const [dt, Ctor] of CTORS) {
      for (const [batch, n] of SHAPES) {
        const nc = Math.floor(n / 2) + 1;
        const off = 3;
        const x = filled(Ctor, off + 2 * batch * n, batch * 31 + n);
        const what = `${dt} [${batch}, ${n}]`;
        const tol = (dt === "float64" ? 1e-14 : 1e-6) * Math.max(1, Math.log2(n));
        for (const inverse of [false, true]) {
          const run = (t: number): FloatArray =>
            withThreshold(t, () => {
              const y = new Ctor(off + 2 * batch * n);
              fftC2C(x, off, y, off, batch, n, 1, inverse, 0.5);
              return y;
            });
          assertClose(run(0), run(Infinity), tol, `${what} c2c inverse=${inverse}`);
          // in place: out is x at the same offset
          const inPlace = Ctor.from(x);
          withThreshold(0, () => fftC2C(inPlace, off, inPlace, off, batch, n, 1, inverse, 0.5));
          assertClose(
            inPlace.subarray(off),
            run(Infinity).subarray(off),
            tol,
            `${what} c2c in place`,
          );
        }
        const r2c = (t: number): FloatArray =>
          withThreshold(t, () => {
            const y = new Ctor(off + 2 * batch * nc);
            fftR2C(x, off, y, off, batch, n, 1, 2);
            return y;
          });
        assertClose(r2c(0), r2c(Infinity), tol, `${what} r2c`);
        const c2r = (t: number): FloatArray =>
          withThreshold(t, () => {
            const y = new Ctor(off + batch * n);
            fftC2R(x, off, y, off, batch, n, 1, 2);
            return y;
          });
        assertClose(c2r(0), c2r(Infinity), tol, `${what} c2r`);
      }
    }
  },
);

test("the TypeScript kernels invert each other at Bluestein and mixed lengths", () => {
  withThreshold(Infinity, () => {
    for (const n of [1, 2, 6, 45, 101, 202, 1000, 4099]) {
      const x = filled(Float64Array, 2 * n, n);
      const y = new Float64Array(2 * n);
      fftC2C(x, 0, y, 0, 1, n, 1, false, 1);
      fftC2C(y, 0, y, 0, 1, n, 1, true, 1 / n);
      assertClose(y, x, 1e-13, `c2c round trip n=${n}`);
      const r = filled(Float64Array, n, n + 1);
      const s = new Float64Array(2 * (Math.floor(n / 2) + 1));
      fftR2C(r, 0, s, 0, 1, n, 1, 1);
      const back = new Float64Array(n);
      fftC2R(s, 0, back, 0, 1, n, 1, 1 / n);
      assertClose(back, r, 1e-13, `r2c/c2r round trip n=${n}`);
    }
  });
});

// [batch, n, inner]: transforms along a dim that is not the last (Note [fft layout]), with
// inner sizes below, at and above the gather block, in both backends
const STRIDED: [number, number, number][] = [
  [1, 5, 3],
  [2, 8, 8],
  [3, 12, 11],
  [2, 97, 9],
  [1, 64, 64],
  [4, 30, 17],
];

/** The reference: each column copied out to a contiguous row, transformed with inner = 1. */
function byColumns(
  run: (x: FloatArray, y: FloatArray) => void,
  Ctor: FloatCtor,
  x: FloatArray,
  [batch, , inner]: [number, number, number],
  inWidth: number,
  inLen: number,
  outWidth: number,
  outLen: number,
): FloatArray {
  const out = new Ctor(batch * outLen * inner * outWidth);
  const row = new Ctor(inLen * inWidth);
  const res = new Ctor(outLen * outWidth);
  for (let b = 0; b < batch; b++)
    for (let c = 0; c < inner; c++) {
      for (let j = 0; j < inLen; j++)
        for (let w = 0; w < inWidth; w++)
          row[j * inWidth + w] = x[((b * inLen + j) * inner + c) * inWidth + w];
      run(row, res);
      for (let k = 0; k < outLen; k++)
        for (let w = 0; w < outWidth; w++)
          out[((b * outLen + k) * inner + c) * outWidth + w] = res[k * outWidth + w];
    }
  return out;
}

test("transforms along an inner dim match column-by-column transforms", () => {
  const thresholds: [string, number][] = skip
    ? [["TypeScript", Infinity]]
    : [
        ["TypeScript", Infinity],
        ["native", 0],
      ];
  for (const [who, threshold] of thresholds)
    withThreshold(threshold, () => {
      for (const [dt, Ctor] of CTORS)
        for (const shape of STRIDED) {
          const [batch, n, inner] = shape;
          const nc = Math.floor(n / 2) + 1;
          const tol = (dt === "float64" ? 1e-14 : 1e-6) * Math.max(1, Math.log2(n));
          const what = `${who} ${dt} [${shape.join(", ")}]`;
          const x = filled(Ctor, 2 * batch * n * inner, n * inner);
          const y = new Ctor(2 * batch * n * inner);
          fftC2C(x, 0, y, 0, batch, n, inner, true, 0.25);
          const yWant = byColumns(
            (r, o) => fftC2C(r, 0, o, 0, 1, n, 1, true, 0.25),
            Ctor,
            x,
            shape,
            2,
            n,
            2,
            n,
          );
          assertClose(y, yWant, tol, `${what} c2c`);
          const s = new Ctor(2 * batch * nc * inner);
          fftR2C(x, 0, s, 0, batch, n, inner, 2);
          const sWant = byColumns(
            (r, o) => fftR2C(r, 0, o, 0, 1, n, 1, 2),
            Ctor,
            x,
            shape,
            1,
            n,
            2,
            nc,
          );
          assertClose(s, sWant, tol, `${what} r2c`);
          const back = new Ctor(batch * n * inner);
          fftC2R(x, 0, back, 0, batch, n, inner, 0.5);
          const bWant = byColumns(
            (r, o) => fftC2R(r, 0, o, 0, 1, n, 1, 0.5),
            Ctor,
            x,
            shape,
            2,
            nc,
            1,
            n,
          );
          assertClose(back, bWant, tol, `${what} c2r`);
        }
    });
});
