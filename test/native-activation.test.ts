/**
 * Parity of the native activation kernels (native/activation.cc, dispatched from
 * src/backend/activation.ts) with their TypeScript twins: GELU forward and backward, exact and
 * tanh-approximated, float32 and float64, odd sizes and offsets, the multithreaded sizes, special
 * values (NaN, infinities, signed zeros) and the far tails, through the addon's portable loop
 * and its AVX2 one (AVX-512 too for the float32 exact GELU). Each comparison runs the same call
 * with the native threshold at 0 (native) and at infinity (TypeScript). The float32 exact GELU
 * (Note [float32 GELU]) is float32 arithmetic step for step in both, so there the two must agree
 * bit for bit; elsewhere within a rounding. Skipped, with the reason, when the addon is not built
 * or not loaded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  gelu,
  geluBackward,
  getNativeActivationThreshold,
  setNativeActivationThreshold,
} from "../src/backend/activation.js";
import { nativeAddon } from "../src/backend/native.js";
import { skip, filled, type FloatArray, type FloatCtor } from "./helpers/native.js";

const CTORS: [string, FloatCtor][] = [
  ["float32", Float32Array],
  ["float64", Float64Array],
];

/** The addon's kernel levels compared: its portable loop, AVX2, and the best the CPU has. */
const KERNELS = ["scalar", "avx2", "auto"] as const;
let kernel: (typeof KERNELS)[number] = "auto";

/**
 * Run f on the TypeScript kernel (threshold at infinity), then on the addon (at 0) with the
 * current `kernel` level.
 */
function both<T>(f: () => T): [T, T] {
  const saved = getNativeActivationThreshold();
  try {
    setNativeActivationThreshold(Infinity);
    const ts = f();
    setNativeActivationThreshold(0);
    nativeAddon?.setKernel(kernel);
    return [ts, f()];
  } finally {
    nativeAddon?.setKernel("auto");
    setNativeActivationThreshold(saved);
  }
}

/** Values over [-scale, scale) with special values and far-tail values sprinkled in. */
function inputs(Ctor: FloatCtor, n: number, seed: number, scale: number): FloatArray {
  const specials = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40, -5.9, -7.5, -9, -12, 6, 30];
  const out = filled(Ctor, n, seed, scale);
  for (let i = 5; i < n; i += 29) out[i] = specials[((i / 29) | 0) % specials.length];
  return out;
}

/**
 * Native against TypeScript: NaN matches NaN, infinities and zeros exactly (with sign), other
 * values within one rounding of the output dtype, or within `abs[i]` (where 1 + erf(x/sqrt 2)
 * cancels, libm's exp may move the double sum by its last bit: |x| * 2^-52 of the result).
 */
function assertClose(
  got: FloatArray,
  want: FloatArray,
  abs: Float64Array,
  what: string,
  exact = false,
): void {
  const eps = exact ? 0 : got instanceof Float32Array ? 2 ** -23 : 2 ** -51;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    const at = `${what} [${i}]: native ${g} vs TypeScript ${w}`;
    if (Number.isNaN(w)) assert.ok(Number.isNaN(g), at);
    else if (!Number.isFinite(w) || w === 0)
      assert.ok(Object.is(g, w) || Math.abs(g - w) <= abs[i], at);
    else assert.ok(Math.abs(g - w) <= Math.abs(w) * eps + abs[i], at);
  }
}

const SIZES = [1, 7, 64, 1000, 40_000];

test("native GELU forward matches the TypeScript kernel", { skip }, () => {
  for (const [dt, Ctor] of CTORS) {
    for (kernel of KERNELS) {
      for (const tanh of [false, true]) {
        for (const n of SIZES) {
          for (const off of [0, 3]) {
            const x = inputs(Ctor, n + off, n + off, 6);
            const [ts, nat] = both(() => {
              const out = new Ctor(n);
              gelu(x, off, out, n, tanh);
              return out;
            });
            const abs = new Float64Array(n);
            const exact = dt === "float32" && !tanh;
            if (!exact) for (let i = 0; i < n; i++) abs[i] = Math.abs(x[off + i]) * 2 ** -52;
            assertClose(nat, ts, abs, `gelu ${dt} ${kernel} tanh=${tanh} n=${n} off=${off}`, exact);
          }
        }
      }
    }
  }
});

test("native GELU backward matches the TypeScript kernel", { skip }, () => {
  for (const [dt, Ctor] of CTORS) {
    for (kernel of KERNELS) {
      for (const tanh of [false, true]) {
        for (const n of SIZES) {
          for (const off of [0, 5]) {
            const x = inputs(Ctor, n + off, 3 * n + off, 6);
            const g = inputs(Ctor, n + off, 7 * n + 1, 2);
            const [ts, nat] = both(() => {
              const out = new Ctor(n);
              geluBackward(g, off, x, off, out, n, tanh);
              return out;
            });
            const abs = new Float64Array(n);
            const exact = dt === "float32" && !tanh;
            if (!exact) for (let i = 0; i < n; i++) abs[i] = Math.abs(g[off + i]) * 2 ** -52;
            assertClose(
              nat,
              ts,
              abs,
              `gelu backward ${dt} ${kernel} tanh=${tanh} n=${n} off=${off}`,
              exact,
            );
          }
        }
      }
    }
  }
});

test("native GELU refuses ranges outside its arrays", { skip }, () => {
  const a = new Float32Array(8);
  assert.throws(() => nativeAddon?.geluForward(a, 4, a, 8, 0), RangeError);
  assert.throws(() => nativeAddon?.geluBackward(a, 0, a, 1, a, 8, 0), RangeError);
  assert.throws(() => nativeAddon?.geluForward(a, 0, new Float32Array(4), 8, 1), RangeError);
});
