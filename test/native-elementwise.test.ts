/**
 * Parity of the native elementwise kernels (native/elementwise.cc and copy.cc, dispatched
 * from src/backend/elementwise.ts and copy.ts) with their TypeScript twins there and in
 * src/ops/elementwise.ts: every unary and binary op, odd sizes, offsets, steps, strided and
 * broadcast operands, float32 and float64, the multithreaded sizes, and the float32 AVX2 math
 * (exp, log, log1p, expm1, tanh, sigmoid) within its documented ulp bound. Each comparison
 * runs the same call with the native thresholds at 0 (native) and at infinity (TypeScript).
 * Skipped, with the reason, when the addon is not built or not loaded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import {
  Binary,
  Unary,
  activationBackward,
  binary,
  clamp,
  getNativeElementwiseThresholds,
  powBackward,
  setNativeElementwiseThresholds,
  unary,
} from "../src/backend/elementwise.js";
import { castInto, CastKind, gather, scatter } from "../src/backend/copy.js";
import { nativeAddon } from "../src/backend/native.js";
import type { TypedArray } from "../src/dtype.js";
import { skip, type FloatArray, type FloatCtor } from "./helpers/native.js";

const CTORS: [string, FloatCtor][] = [
  ["float32", Float32Array],
  ["float64", Float64Array],
];

/** Run f on the TypeScript kernels (thresholds at infinity), then on the addon (at 0). */
function both<T>(f: () => T): [T, T] {
  const saved = getNativeElementwiseThresholds();
  try {
    setNativeElementwiseThresholds(Infinity, Infinity);
    const ts = f();
    setNativeElementwiseThresholds(0, 0);
    return [ts, f()];
  } finally {
    setNativeElementwiseThresholds(saved.cheap, saved.math, saved.vector);
  }
}

/** Deterministic values in [-scale, scale) (LCG) with special values sprinkled in. */
function values(Ctor: FloatCtor, n: number, seed: number, scale = 4): FloatArray {
  const specials = [0, -0, NaN, Infinity, -Infinity, 0.5, -0.5, 1.5, 2.5, -2.5, 1, -1, 1e-40];
  const out = new Ctor(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = i % 29 === 5 ? specials[((i / 29) % specials.length) | 0] : (s / 2 ** 31 - 1) * scale;
  }
  return out;
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
/** A float32's position on the number line in ulps (+0 and -0 both 0). */
function ord32(x: number): number {
  f32[0] = x;
  const b = i32[0];
  return b < 0 ? -(b & 0x7fffffff) : b;
}

/**
 * Compare native output with the TypeScript one: NaN matches NaN, infinities and zeros must be
 * equal (with sign when `exact`), other values within `ulps` (float32: ulps of float32;
 * float64: relative 2^-52 * ulps).
 */
function assertClose(
  got: TypedArray,
  want: TypedArray,
  ulps: number,
  what: string,
  input?: TypedArray,
): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    const at = `${what}: element ${i}${input ? ` (x = ${input[i]})` : ""}: got ${g}, want ${w}`;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      assert.ok(Number.isNaN(w) && Number.isNaN(g), at);
      continue;
    }
    if (ulps === 0 || !Number.isFinite(w) || w === 0) {
      if (ulps === 0) assert.ok(Object.is(g, w), at);
      else assert.ok(g === w || Math.abs(g - w) <= 2 ** -1074 * 4, at);
      continue;
    }
    if (want instanceof Float32Array) {
      assert.ok(Math.abs(ord32(g) - ord32(w)) <= ulps, at);
    } else {
      assert.ok(Math.abs(g - w) <= Math.abs(w) * 2 ** -52 * ulps, at);
    }
  }
}

const UNARY: [string, Unary, number, number][] = [
  // name, op, ulps allowed for float32 (AVX2 approximation or libm rounding), for float64
  ["neg", Unary.Neg, 0, 0],
  ["abs", Unary.Abs, 0, 0],
  ["sign", Unary.Sign, 0, 0],
  ["exp", Unary.Exp, 2, 2],
  ["log", Unary.Log, 2, 2],
  ["log1p", Unary.Log1p, 2, 2],
  ["expm1", Unary.Expm1, 2, 2],
  ["sqrt", Unary.Sqrt, 0, 0],
  ["rsqrt", Unary.Rsqrt, 0, 0],
  ["reciprocal", Unary.Reciprocal, 0, 0],
  ["square", Unary.Square, 0, 0],
  ["sin", Unary.Sin, 1, 2],
  ["cos", Unary.Cos, 1, 2],
  ["tan", Unary.Tan, 1, 2],
  ["tanh", Unary.Tanh, 2, 2],
  ["sigmoid", Unary.Sigmoid, 2, 2],
  ["relu", Unary.Relu, 0, 0],
  ["floor", Unary.Floor, 0, 0],
  ["ceil", Unary.Ceil, 0, 0],
  ["round", Unary.Round, 0, 0],
  ["trunc", Unary.Trunc, 0, 0],
  ["asin", Unary.Asin, 1, 2],
  ["acos", Unary.Acos, 1, 2],
  ["atan", Unary.Atan, 1, 2],
  ["sinh", Unary.Sinh, 1, 2],
  ["cosh", Unary.Cosh, 1, 2],
  ["asinh", Unary.Asinh, 1, 2],
  ["acosh", Unary.Acosh, 1, 2],
  ["atanh", Unary.Atanh, 1, 2],
  ["log2", Unary.Log2, 1, 2],
  ["log10", Unary.Log10, 1, 2],
  ["exp2", Unary.Exp2, 1, 2],
  // fdlibm's erfc (TypeScript) and glibc's: each within 1 ulp, so within 2-3 of each other
  ["erfc", Unary.Erfc, 1, 4],
  // the same Newton steps over V8's and glibc's erf/exp/log
  ["erfinv", Unary.Erfinv, 1, 8],
  ["sinc", Unary.Sinc, 1, 2],
  // Lanczos (TypeScript) against glibc's lgamma: ~1e-15 absolute, large relative error at the
  // zeros 1 and 2 (compared with a bound relative to max(1, |value|): -1)
  ["lgamma", Unary.Lgamma, -1, -1],
  // V8's and glibc's log/tan differ in the last ulp; the sum cancels near the root 1.4616
  ["digamma", Unary.Digamma, -1, -1],
];

test(
  "native unary: every op, both dtypes, odd sizes and offsets, AVX2 and portable",
  { skip },
  () => {
    for (const kernel of ["auto", "scalar"] as const) {
      nativeAddon!.setKernel(kernel);
      try {
        for (const [dt, Ctor] of CTORS) {
          for (const [name, op, ulp32, ulp64] of UNARY) {
            for (const [n, off] of [
              [1, 0],
              [7, 3],
              [37, 1],
              [1003, 5],
              [70001, 2], // above the threads' split for math ops
            ]) {
              const a = values(Ctor, n + off, n * 31 + op);
              const [ts, nat] = both(() => {
                const out = new Ctor(n);
                unary(op, a, off, out, n);
                return out;
              });
              const ulps = Ctor === Float32Array ? ulp32 : ulp64;
              const what = `${kernel} ${dt} ${name} n=${n}`;
              if (ulps < 0) closeAbs(nat, ts, Ctor === Float32Array ? 2 ** -21 : 2 ** -46, what);
              else assertClose(nat, ts, ulps, what, a.subarray(off));
            }
          }
        }
      } finally {
        nativeAddon!.setKernel("auto");
      }
    }
  },
);

test(
  "native float32 math: documented ulp bounds over the whole range and special values",
  { skip },
  () => {
    // the bounds measured for native/elementwise.cc (exp, log, tanh: 1 ulp; the others: 2 ulp)
    const cases: [string, Unary, number, number, number][] = [
      ["exp", Unary.Exp, -110, 90, 1],
      ["log", Unary.Log, 0, 1e6, 1],
      ["log1p", Unary.Log1p, -1, 100, 2],
      ["expm1", Unary.Expm1, -30, 90, 2],
      ["tanh", Unary.Tanh, -12, 12, 1],
      ["sigmoid", Unary.Sigmoid, -110, 40, 2],
    ];
    const specials = [
      0,
      -0,
      Infinity,
      -Infinity,
      NaN,
      1e-45,
      -1e-45,
      5e-39,
      -5e-39,
      1.1754942e-38,
      88.72283935546875,
      88.7228,
      -87.3,
      -103.9,
      -104.5,
      0.625,
      -0.625,
      0.6249999,
      0.5,
      -0.5,
      1e-8,
      -1e-8,
      -1,
      1,
      9,
      -9,
      1e30,
      -1e30,
    ];
    const n = 1 << 18;
    for (const [name, op, lo, hi, ulps] of cases) {
      const a = new Float32Array(n + specials.length + 4096);
      for (let i = 0; i < n; i++) a[i] = lo + ((hi - lo) * i) / n;
      a.set(specials, n);
      // tiny magnitudes of both signs, down to 2^-40
      for (let i = 0; i < 4096; i++) {
        a[n + specials.length + i] = (i & 1 ? -1 : 1) * 2 ** (-40 + (40 * i) / 4096);
      }
      const [ts, nat] = both(() => {
        const out = new Float32Array(a.length);
        unary(op, a, 0, out, a.length);
        return out;
      });
      assertClose(nat, ts, ulps, `float32 ${name}`, a);
      // signed zeros and infinities are exact
      for (let i = n; i < n + specials.length; i++) {
        if (ts[i] === 0 || !Number.isFinite(ts[i])) {
          assert.ok(
            Object.is(nat[i], ts[i]) || (Number.isNaN(nat[i]) && Number.isNaN(ts[i])),
            `${name}(${a[i]})`,
          );
        }
      }
    }
  },
);

/** Equal NaN/infinities, other values within `atol` * max(1, |want|). */
function closeAbs(got: TypedArray, want: TypedArray, atol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    const at = `${what}: element ${i}: got ${g}, want ${w}`;
    if (Number.isNaN(w) || !Number.isFinite(w)) assert.ok(Object.is(g, w), at);
    else assert.ok(Math.abs(g - w) <= atol * Math.max(1, Math.abs(w)), at);
  }
}

const BINARY: [string, Binary, number][] = [
  ["add", Binary.Add, 0],
  ["sub", Binary.Sub, 0],
  ["mul", Binary.Mul, 0],
  ["div", Binary.Div, 0],
  ["pow", Binary.Pow, 1],
  ["maximum", Binary.Maximum, 0],
  ["minimum", Binary.Minimum, 0],
  ["atan2", Binary.Atan2, 1],
  ["floorDiv", Binary.FloorDiv, 0],
  ["remainder", Binary.Remainder, 0],
  // V8's Math.hypot is within 2 ulps of glibc's (float64); float32 rounds both alike
  ["hypot", Binary.Hypot, 2],
  // max + log1p(...) cancels near 0: libm's and V8's last-ulp differences of log1p/exp are ulps
  // of the operands, not of a small result (compared with an absolute bound: closeAbs)
  ["logAddExp", Binary.LogAddExp, -1],
  ["logAddExp2", Binary.LogAddExp2, -1],
  ["copysign", Binary.Copysign, 0],
  ["xlogy", Binary.Xlogy, 2],
];
const PREDICATES: [string, Binary][] = [
  ["eq", Binary.Eq],
  ["ne", Binary.Ne],
  ["lt", Binary.Lt],
  ["le", Binary.Le],
  ["gt", Binary.Gt],
  ["ge", Binary.Ge],
  ["logicalAnd", Binary.LogicalAnd],
  ["logicalOr", Binary.LogicalOr],
];

test(
  "native binary: every op, steps 1/0/strided, offsets, predicates into Uint8Array",
  { skip },
  () => {
    for (const [dt, Ctor] of CTORS) {
      const steps: [number, number][] = [
        [1, 1],
        [1, 0],
        [0, 1],
        [2, 3],
      ];
      for (const [n, aOff, bOff, outOff] of [
        [5, 0, 0, 0],
        [999, 2, 7, 3],
        [300007, 1, 0, 0], // split across threads for every op
      ]) {
        for (const [aStep, bStep] of steps) {
          const a = values(Ctor, aOff + n * Math.max(aStep, 1), n + aStep);
          const b = values(Ctor, bOff + n * Math.max(bStep, 1), n + 7 * bStep + 1);
          // equal values make ties for the comparisons and maximum/minimum
          for (let i = 0; i < Math.min(a.length, b.length); i += 13) b[i] = a[i];
          for (const [name, op, ulps] of BINARY) {
            const [ts, nat] = both(() => {
              const out = new Ctor(outOff + n);
              binary(op, a, aOff, aStep, b, bOff, bStep, out, outOff, n);
              return out;
            });
            const what = `${dt} ${name} n=${n} steps ${aStep},${bStep}`;
            if (ulps < 0) closeAbs(nat, ts, Ctor === Float32Array ? 2 ** -22 : 2 ** -49, what);
            else assertClose(nat, ts, ulps, what);
          }
          for (const [name, op] of PREDICATES) {
            const [ts, nat] = both(() => {
              const out = new Uint8Array(outOff + n);
              binary(op, a, aOff, aStep, b, bOff, bStep, out, outOff, n);
              return out;
            });
            assert.deepEqual(nat, ts, `${dt} ${name} n=${n} steps ${aStep},${bStep}`);
          }
        }
      }
      // x ** 2 (the multiply fast path) and x ** 3 against the TypeScript pow
      for (const e of [2, 3, 0.5, -1]) {
        const a = values(Ctor, 1001, 3);
        const [ts, nat] = both(() => {
          const out = new Ctor(1001);
          binary(Binary.Pow, a, 0, 1, new Ctor([e]), 0, 0, out, 0, 1001);
          return out;
        });
        assertClose(nat, ts, e === 2 ? 0 : 1, `${dt} x ** ${e}`);
      }
    }
  },
);

test(
  "native broadcasting ops: strided and broadcast operands through the tensor API",
  { skip },
  () => {
    for (const dtype of [torch.float32, torch.float64]) {
      const x = torch.randn([6, 1, 35], { dtype });
      const y = torch.randn([4, 1], { dtype });
      const t = torch.randn([35, 24], { dtype }).t(); // non-contiguous [24, 35]
      const cases: [string, () => torch.Tensor][] = [
        ["add broadcast", () => x.add(y)],
        ["mul transposed", () => t.mul(t.neg())],
        ["sub transposed and broadcast", () => t.sub(x.reshape([6, 35]).sum(0))],
        ["pow broadcast", () => x.abs().pow(y)],
        ["lt broadcast", () => x.lt(y)],
        ["maximum transposed", () => torch.maximum(t, x.reshape([6, 35]).sum(0).mul(0.1))],
        ["where broadcast", () => torch.where(x.gt(0), x, y)],
        ["where scalars", () => torch.where(t.gt(0), 1, -2)],
        ["where tensor and scalar", () => torch.where(y.gt(0), 0.5, x)],
        ["maskedFill broadcast mask", () => x.expand([6, 4, 35]).maskedFill(y.gt(0), 7)],
        ["maskedFill transposed", () => t.maskedFill(t.lt(0), -1)],
        ["expand contiguous", () => y.expand([4, 300]).contiguous()],
        ["transposed contiguous", () => t.contiguous()],
        ["clamp", () => x.clamp(-0.5, 0.25)],
        ["tanh non-contiguous", () => t.tanh()],
      ];
      for (const [name, f] of cases) {
        const [ts, nat] = both(f);
        assert.deepEqual(nat.shape, ts.shape, name);
        assert.equal(nat.dtype, ts.dtype, name);
        const ulps = name.startsWith("pow") || name.startsWith("tanh") ? 2 : 0;
        assertClose(nat.typedArray, ts.typedArray, ulps, `${dtype} ${name}`);
      }
    }
  },
);

test(
  "native powBackward, activationBackward, clamp: match the TypeScript kernels",
  { skip },
  () => {
    for (const [dt, Ctor] of CTORS) {
      for (const n of [3, 1001, 300001]) {
        const x = values(Ctor, n + 2, n);
        const g = values(Ctor, n + 1, n + 5);
        for (const c of [2, 3, 0.5]) {
          for (const gStep of [0, 1]) {
            const [ts, nat] = both(() => {
              const out = new Ctor(n);
              powBackward(g, 1, gStep, x, 2, c, out, n);
              return out;
            });
            assertClose(nat, ts, c === 2 ? 0 : 2, `${dt} powBackward c=${c} gStep=${gStep} n=${n}`);
          }
        }
        for (const kind of [0, 1, 2] as const) {
          for (const gStep of [0, 1]) {
            const [ts, nat] = both(() => {
              const out = new Ctor(n);
              activationBackward(kind, g, 1, gStep, x, 2, out, n);
              return out;
            });
            assertClose(nat, ts, 0, `${dt} activationBackward ${kind} gStep=${gStep} n=${n}`);
          }
        }
        for (const [lo, hi] of [
          [-0.5, 0.5],
          [1, -1],
          [-Infinity, 0],
        ]) {
          const [ts, nat] = both(() => {
            const out = new Ctor(n);
            clamp(x, 2, out, n, lo, hi);
            return out;
          });
          assertClose(nat, ts, 0, `${dt} clamp [${lo}, ${hi}] n=${n}`);
        }
      }
    }
  },
);

test("fused tanh/sigmoid/relu backward equals the composed formula bit for bit", { skip }, () => {
  for (const dtype of [torch.float32, torch.float64]) {
    for (const [name, fn] of [
      ["tanh", (v: torch.Tensor) => v.tanh()],
      ["sigmoid", (v: torch.Tensor) => v.sigmoid()],
      ["relu", (v: torch.Tensor) => v.relu()],
    ] as const) {
      const x = torch.randn([3001], { dtype, requiresGrad: true });
      const w = torch.randn([3001], { dtype });
      // the fused kernel runs without createGraph; with it, the composed ops run
      fn(x).mul(w).sum().backward();
      const fused = x.grad!.clone();
      x.grad = null;
      const [gx] = torch.autograd.grad(fn(x).mul(w).sum(), [x], { createGraph: true });
      assertClose(fused.typedArray, gx!.detach().typedArray, 0, `${dtype} ${name}`);
    }
  }
});

test("native strided copy: gather, scatter, any element type", { skip }, () => {
  const shape = [5, 7, 9];
  const n = 5 * 7 * 9;
  const kinds: [string, () => TypedArray][] = [
    ["float32", () => values(Float32Array, 2 * n + 3, 1)],
    ["float64", () => values(Float64Array, 2 * n + 3, 2)],
    ["int32", () => Int32Array.from({ length: 2 * n + 3 }, (_, i) => i * 7 - 300)],
    ["uint8", () => Uint8Array.from({ length: 2 * n + 3 }, (_, i) => (i * 13) & 255)],
  ];
  // permuted, with a broadcast (stride 0) dim, and with a step of 2 from an offset
  const layouts = [
    { shape, strides: [1, 5, 35], offset: 0 },
    { shape, strides: [9, 0, 1], offset: 2 },
    { shape, strides: [126, 18, 2], offset: 3 },
  ];
  for (const [name, make] of kinds) {
    const src = make();
    for (const layout of layouts) {
      const [ts, nat] = both(() => {
        const out = new (src.constructor as new (n: number) => TypedArray)(n + 4);
        gather(src, layout, out, 4);
        return out;
      });
      assert.deepEqual(nat, ts, `${name} gather ${layout.strides}`);
      if (layout.strides.includes(0)) continue; // scatter needs distinct destinations
      const [ts2, nat2] = both(() => {
        const dst = make();
        scatter(src, dst, layout);
        return dst;
      });
      assert.deepEqual(nat2, ts2, `${name} scatter ${layout.strides}`);
    }
  }
  // castInto's plain copy (typed-array set) converts as element stores do
  const a = values(Float64Array, 500, 9, 1e6);
  const outTs = new Int32Array(500);
  for (let i = 0; i < 500; i++) outTs[i] = a[i];
  const out = new Int32Array(500);
  castInto(a, out, 500, CastKind.Plain);
  assert.deepEqual(out, outTs);
});

test("native elementwise kernels reject bad arguments", { skip }, () => {
  const addon = nativeAddon!;
  const a = new Float32Array(10);
  const d = new Float64Array(10);
  const o = new Float32Array(10);
  const u = new Uint8Array(10);
  // wrong types and dtypes
  assert.throws(
    () => addon.ewUnary(Unary.Exp, [1, 2] as unknown as Float32Array, 0, o, 2),
    TypeError,
  );
  assert.throws(() => addon.ewUnary(Unary.Exp, a, 0, d, 2), TypeError);
  assert.throws(() => addon.ewBinary(Binary.Add, a, 0, 1, d, 0, 1, o, 0, 2), TypeError);
  assert.throws(() => addon.ewBinary(Binary.Add, a, 0, 1, a, 0, 1, u, 0, 2), TypeError);
  assert.throws(() => addon.ewBinary(Binary.Lt, a, 0, 1, a, 0, 1, o, 0, 2), TypeError);
  assert.throws(
    () => addon.ewWhere(a as unknown as Uint8Array, 0, [1], a, 0, [1], a, 0, [1], o, [2]),
    TypeError,
  );
  assert.throws(() => addon.stridedCopy(a, 0, [1], d, 0, [1], [2]), TypeError);
  assert.throws(() => addon.ewClamp(a, 0, o, "2" as unknown as number, 0, 1), TypeError);
  // unknown ops
  assert.throws(() => addon.ewUnary(Unary.IsNan, a, 0, o, 2), RangeError);
  assert.throws(() => addon.ewUnary(-1, a, 0, o, 2), RangeError);
  assert.throws(() => addon.ewBinary(99, a, 0, 1, a, 0, 1, o, 0, 2), RangeError);
  assert.throws(() => addon.ewActivationBackward(3, a, 0, 1, a, 0, o, 2), RangeError);
  // out of bounds
  assert.throws(() => addon.ewUnary(Unary.Exp, a, 5, o, 6), RangeError);
  assert.throws(() => addon.ewUnary(Unary.Exp, a, 0, new Float32Array(3), 4), RangeError);
  assert.throws(() => addon.ewBinary(Binary.Add, a, 0, 2, a, 0, 1, o, 0, 6), RangeError);
  assert.throws(() => addon.ewBinary(Binary.Add, a, -1, 1, a, 0, 1, o, 0, 2), RangeError);
  assert.throws(() => addon.ewBinary(Binary.Add, a, 0, 1, a, 0, 1, o, 8, 3), RangeError);
  assert.throws(
    () => addon.ewBinaryStrided(Binary.Add, a, 0, [4, 1], a, 0, [0, 1], o, [3, 4]),
    RangeError,
  );
  assert.throws(
    () => addon.ewBinaryStrided(Binary.Add, a, 0, [1], a, 0, [1, 1], o, [2, 2]),
    RangeError,
  );
  assert.throws(() => addon.ewPowBackward(a, 0, 2, a, 0, 2, o, 3), RangeError);
  assert.throws(() => addon.stridedCopy(a, 0, [1], new Float32Array(4), 0, [1], [5]), RangeError);
  assert.throws(() => addon.stridedCopy(a, 0, [-1], o, 0, [1], [2]), RangeError);
  assert.throws(() => addon.ewWhere(u, 0, [1], a, 0, [1], a, 0, [1], o, [11]), RangeError);
  assert.throws(() => addon.ewMaskedFill(a, 0, [1], u, 5, [1], 0, o, [6]), RangeError);
  assert.throws(() => addon.ewMaskedFill(a, 0, [1], u, 0, [1], 0, o, [-1]), RangeError);
  // a valid call still works after the errors
  addon.ewBinary(Binary.Add, a.fill(1), 0, 1, a, 0, 1, o, 0, 10);
  assert.deepEqual(o, new Float32Array(10).fill(2));
});
