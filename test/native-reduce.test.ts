/**
 * Parity of the native reduce kernels (native/reduce.cc) with their TypeScript twins in
 * src/backend/reduce.ts, which dispatch to them: reductions
 * over contiguous rows and over a leading / middle axis, cumsum, softmax and log_softmax and
 * their backward, on odd sizes, element offsets, special values (NaN, ±inf, ±0, ties), float32
 * and float64, with the AVX2 and the portable kernels; then the same through the tensor API
 * on strided, transposed and broadcast inputs; the accuracy of the kernels' exp; and argument
 * checking. Skipped, with the reason, when the addon is not built or not loaded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import {
  Reduce,
  cumprod,
  cumsum,
  reduce,
  reduceAxis,
  softmax,
  softmaxBackward,
  getNativeReduceThresholds,
  setNativeReduceThresholds,
  type NativeReduceThresholds,
} from "../src/backend/reduce.js";
import { nativeAddon, nativeStatus } from "../src/backend/native.js";
import { skip, type FloatArray, type FloatCtor, filled } from "./helpers/native.js";

const suffix = nativeStatus.active ? `(${nativeStatus.simd})` : `(skipped: ${nativeStatus.reason})`;

const CTORS: [string, FloatCtor][] = [
  ["float32", Float32Array],
  ["float64", Float64Array],
];

const NEVER: NativeReduceThresholds = {
  reduce: Infinity,
  cumsum: Infinity,
  softmax: Infinity,
  softmaxBackward: Infinity,
};
const ALWAYS: NativeReduceThresholds = { reduce: 0, cumsum: 0, softmax: 0, softmaxBackward: 0 };

/** Run f once on the TypeScript twins and once on the native kernels. */
function both<R>(f: () => R): { ts: R; nat: R } {
  const saved = getNativeReduceThresholds();
  try {
    setNativeReduceThresholds(NEVER);
    const ts = f();
    setNativeReduceThresholds(ALWAYS);
    const nat = f();
    return { ts, nat };
  } finally {
    setNativeReduceThresholds(saved);
  }
}

/** Each kernel variant: AVX2 (when the CPU has it) and the portable one. */
function forKernels(body: (kernel: string) => void): void {
  const kernels = nativeStatus.simd !== "scalar" ? ["auto", "scalar"] : ["scalar"];
  for (const k of kernels) {
    nativeAddon!.setKernel(k as "auto" | "scalar");
    try {
      body(k);
    } finally {
      nativeAddon!.setKernel("auto");
    }
  }
}

function withSpecials(a: FloatArray, seed: number): FloatArray {
  const specials = [NaN, Infinity, -Infinity, 0, -0, 0.5, 0.5];
  let s = seed >>> 0;
  for (let k = 0; k < Math.max(1, a.length >> 4); k++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[s % a.length] = specials[(s >>> 8) % specials.length];
  }
  return a;
}

/**
 * Elementwise agreement: equal (NaN with NaN), or |a - b| <= tol(i, b). Identical operation
 * order gives tol 0; other bounds are stated where they are used.
 */
function agree(
  what: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: (i: number, want: number) => number = () => 0,
): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (g === w) continue;
    const d = Math.abs(g - w);
    assert.ok(d <= tol(i, w), `${what}: element ${i}: native ${g} vs TypeScript ${w}`);
  }
}

/** One float32 ulp of the value (relative 2^-23, at least the smallest normal's). */
const f32ulp = (w: number): number => Math.max(Math.abs(w), 2 ** -126) * 2 ** -23;

const VALUE_OPS: [string, Reduce][] = [
  ["sum", Reduce.Sum],
  ["prod", Reduce.Prod],
  ["max", Reduce.Max],
  ["min", Reduce.Min],
  ["logsumexp", Reduce.LogSumExp],
];
const OTHER_OPS: [string, Reduce, "index" | "bool"][] = [
  ["argmax", Reduce.ArgMax, "index"],
  ["argmin", Reduce.ArgMin, "index"],
  ["any", Reduce.Any, "bool"],
  ["all", Reduce.All, "bool"],
];

/** [outer, n, inner] shapes: odd sizes, rows longer and shorter than a SIMD step, one row. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 7, 1],
  [5, 33, 1],
  [2, 100, 1],
  [1, 1029, 1],
  [4, 17, 3],
  [3, 5, 37],
  [1, 128, 256],
  [2, 1, 19],
];

/**
 * The bound for sums and products whose order differs (native rows: 16 partial sums):
 * n * 2^-52 * sum|x| for double accumulation, plus one float32 ulp when the result is
 * rounded to float32.
 */
function orderTol(a: FloatArray, aOff: number, n: number, inner: number, isF32: boolean) {
  return (i: number, w: number): number => {
    const o = Math.floor(i / inner);
    const c = i % inner;
    let abs = 0;
    for (let r = 0; r < n; r++) abs += Math.abs(a[aOff + (o * n + r) * inner + c]);
    return n * 2 ** -52 * abs + (isF32 ? f32ulp(w) : 0);
  };
}

test(
  `native reduce matches the TypeScript twin: every op, rows and columns ${suffix}`,
  { skip },
  () => {
    forKernels((kernel) => {
      for (const [dt, Ctor] of CTORS) {
        const isF32 = Ctor === Float32Array;
        for (const [outer, n, inner] of SHAPES) {
          for (const special of [false, true]) {
            const aOff = 3;
            const a = filled(Ctor, aOff + outer * n * inner + 2, outer * 31 + n * 7 + inner);
            if (special) withSpecials(a, n + inner);
            const at = `${kernel} ${dt} [${outer}, ${n}, ${inner}]${special ? " specials" : ""}`;
            for (const [name, op] of VALUE_OPS) {
              const r = both(() => {
                const out = new Ctor(outer * inner);
                reduceAxis(op, a, aOff, outer, n, inner, out);
                return out;
              });
              // sums and products in the same order as the twin (columns) agree exactly; rows
              // use 16 partial sums; logsumexp also differs by the exp's one double ulp
              const sameOrder = inner > 1 && (op === Reduce.Sum || op === Reduce.Prod);
              const tol =
                op === Reduce.Max || op === Reduce.Min || sameOrder
                  ? undefined
                  : op === Reduce.LogSumExp
                    ? (_: number, w: number) =>
                        1e-14 * Math.max(1, Math.abs(w)) + (isF32 ? f32ulp(w) : 0)
                    : orderTol(a, aOff, n, inner, isF32);
              agree(`${name} ${at}`, r.nat, r.ts, tol);
              if (op === Reduce.Max || op === Reduce.Min) {
                // the sign of a zero extreme is the twin's (first occurrence)
                for (let i = 0; i < r.ts.length; i++)
                  assert.ok(Object.is(r.nat[i], r.ts[i]) || r.nat[i] !== 0, `${name} ${at}: -0`);
              }
            }
            for (const [name, op, kind] of OTHER_OPS) {
              const r = both(() => {
                const out =
                  kind === "index"
                    ? new Float64Array(outer * inner)
                    : new Uint8Array(outer * inner);
                reduceAxis(op, a, aOff, outer, n, inner, out);
                return out;
              });
              agree(`${name} ${at}`, r.nat, r.ts);
            }
          }
        }
      }
    });
  },
);

test(`native reduce on [outer, inner] rows (reduce.ts reduce) and ties ${suffix}`, { skip }, () => {
  forKernels((kernel) => {
    for (const [dt, Ctor] of CTORS) {
      // ties: the first index of the extreme; zeros of both signs
      const a = new Ctor([1, 3, 3, 0, 3, -0, 0, -5, -5, 2, -0, 0, 0, -0, 7, 7, 7, 7, 7, 7, 7]);
      for (const [name, op] of [...VALUE_OPS, ...OTHER_OPS]) {
        const r = both(() => {
          const out =
            op === Reduce.ArgMax || op === Reduce.ArgMin
              ? new Float64Array(3)
              : op === Reduce.Any || op === Reduce.All
                ? new Uint8Array(3)
                : new Ctor(3);
          reduce(op, a, 3, 7, out);
          return out;
        });
        agree(`${name} ${kernel} ${dt} ties`, r.nat, r.ts, (_, w) => 1e-15 * Math.abs(w));
        if (op === Reduce.Max || op === Reduce.Min)
          for (let i = 0; i < 3; i++)
            assert.ok(Object.is(r.nat[i], r.ts[i]), `${name} -0 row ${i}`);
      }
    }
  });
});

test(`native cumprod matches the TypeScript twin exactly (same order) ${suffix}`, { skip }, () => {
  forKernels((kernel) => {
    for (const [dt, Ctor] of CTORS) {
      for (const [outer, n, inner] of [...SHAPES, [9, 50, 1] as [number, number, number]]) {
        // factors in [0.5, 1.5) with a zero, a NaN and an infinity: products stay in range
        const a = filled(Ctor, 5 + outer * n * inner, n * 5 + inner).map((x) => 1 + x / 2);
        if (a.length > 12) [a[7], a[9], a[11]] = [0, NaN, Infinity];
        const r = both(() => {
          const out = new Ctor(outer * n * inner);
          cumprod(a, 5, outer, n, inner, out);
          return out;
        });
        agree(`cumprod ${kernel} ${dt} [${outer}, ${n}, ${inner}]`, r.nat, r.ts);
      }
    }
  });
});

test(
  `native cumprod of long float32 rows (chunked scan) matches the twin ${suffix}`,
  { skip },
  () => {
    // Note [chunked cumprod]: float32 rows of n >= 4096 along n take the four-chunk scan in both
    // backends; factors near 1 keep 1e5 products in range, and a zero, an infinity or a NaN in
    // one chunk carries into the later chunks through the totals
    forKernels((kernel) => {
      for (const [outer, n] of [
        [1, 4096],
        [1, 100003],
        [3, 5001],
      ]) {
        for (const variant of ["plain", "zero", "inf", "nan", "zero and inf", "range"]) {
          const a = filled(Float32Array, 2 + outer * n, n + outer).map((x) => 1 + x / 1000);
          if (variant === "zero" || variant === "zero and inf") a[2 + (n >> 3)] = 0;
          if (variant === "inf" || variant === "zero and inf") a[2 + (n >> 1)] = Infinity;
          if (variant === "nan") a[2 + n - 5] = NaN;
          if (variant === "range") {
            // the note's one difference from the chain, in both backends alike: the chain's
            // products come back into float32 range (1e-300 * 1e330), while chunk 1's total
            // alone overflows double, so the later chunks start from inf
            const q = n >> 2;
            for (let i = 0; i < 10; i++) a[2 + i] = 1e-30;
            for (let i = 0; i < 11; i++) a[2 + q + i] = 1e30;
          }
          const r = both(() => {
            const out = new Float32Array(outer * n);
            cumprod(a, 2, outer, n, 1, out);
            return out;
          });
          agree(`cumprod ${kernel} [${outer}, ${n}] ${variant}`, r.nat, r.ts);
        }
      }
    });
  },
);

test(
  `native cumsum of rows whose sums are exact (chunked scan) matches the twin ${suffix}`,
  { skip },
  () => {
    // Note [exact cumsum]: multiples of 2^-24 in [-0.5, 0.5) (torch.rand(n) - 0.5) take the chunked
    // scan; one value with a lower bit, an infinity or a NaN sends the row to the chain
    forKernels((kernel) => {
      for (const n of [4096, 5000, 100003]) {
        const base = filled(Float32Array, n, n).map((x) => Math.round(x * 2 ** 23) / 2 ** 24);
        for (const variant of ["exact", "low bit", "inf", "nan", "-0"]) {
          const a = base.slice();
          if (variant === "low bit") a[n >> 1] = 2 ** -40;
          if (variant === "inf") a[7] = Infinity;
          if (variant === "nan") a[n - 3] = NaN;
          if (variant === "-0") a.fill(-0, 0, 9);
          const r = both(() => {
            const out = new Float32Array(n);
            cumsum(a, 0, 1, n, 1, out);
            return out;
          });
          agree(`cumsum ${kernel} [${n}] ${variant}`, r.nat, r.ts);
          for (let i = 0; i < 9; i++)
            assert.ok(
              Object.is(r.nat[i], r.ts[i]),
              `cumsum ${kernel} [${n}] ${variant}: -0 at ${i}`,
            );
        }
      }
    });
  },
);

test(`native cumsum matches the TypeScript twin exactly (same order) ${suffix}`, { skip }, () => {
  forKernels((kernel) => {
    for (const [dt, Ctor] of CTORS) {
      for (const [outer, n, inner] of SHAPES) {
        const a = filled(Ctor, 5 + outer * n * inner, n * 3 + inner);
        const r = both(() => {
          const out = new Ctor(outer * n * inner);
          cumsum(a, 5, outer, n, inner, out);
          return out;
        });
        agree(`cumsum ${kernel} ${dt} [${outer}, ${n}, ${inner}]`, r.nat, r.ts);
      }
    }
  });
});

test(
  `native softmax / log_softmax and backward match the TypeScript twin ${suffix}`,
  { skip },
  () => {
    forKernels((kernel) => {
      for (const [dt, Ctor] of CTORS) {
        const isF32 = Ctor === Float32Array;
        // exp differs from Math.exp by at most one double ulp, sums by their order: a few
        // double ulps of the result, plus the final float32 rounding
        const tol = (_: number, w: number): number =>
          1e-13 * Math.max(1, Math.abs(w)) + (isF32 ? f32ulp(w) : 0);
        for (const [outer, n, inner] of [...SHAPES, [600, 10, 1] as [number, number, number]]) {
          for (const special of [false, true]) {
            const total = outer * n * inner;
            const a = filled(Ctor, 2 + total, n * 11 + inner, 30);
            if (special) withSpecials(a, outer + n);
            const at = `${kernel} ${dt} [${outer}, ${n}, ${inner}]${special ? " specials" : ""}`;
            for (const log of [false, true]) {
              const fwd = both(() => {
                const out = new Ctor(total);
                softmax(a, 2, outer, n, inner, out, log);
                return out;
              });
              agree(`${log ? "log_softmax" : "softmax"} ${at}`, fwd.nat, fwd.ts, tol);
              const y = fwd.ts;
              const g = filled(Ctor, 1 + total, n + 5);
              const bwd = both(() => {
                const out = new Ctor(total);
                softmaxBackward(g, 1, y, 0, outer, n, inner, out, log);
                return out;
              });
              // backward: sum(g*y) / sum(g) in a different order (rows) and exp(y): the bound
              // scales with the terms' magnitudes, not the result's
              agree(
                `${log ? "log_softmax" : "softmax"} backward ${at}`,
                bwd.nat,
                bwd.ts,
                (_, w) => 1e-12 * Math.max(n, Math.abs(w)) + (isF32 ? f32ulp(w) : 0),
              );
            }
          }
        }
      }
    });
  },
);

test(`native softmax on a large input uses the thread pool and agrees ${suffix}`, { skip }, () => {
  for (const [dt, Ctor] of CTORS) {
    const isF32 = Ctor === Float32Array;
    const [outer, n, inner] = [1500, 100, 1];
    const a = filled(Ctor, outer * n * inner, 9, 20);
    for (const log of [false, true]) {
      const r = both(() => {
        const out = new Ctor(outer * n * inner);
        softmax(a, 0, outer, n, inner, out, log);
        return out;
      });
      agree(
        `threaded ${dt} log=${log}`,
        r.nat,
        r.ts,
        (_, w) => 1e-13 * Math.max(1, Math.abs(w)) + (isF32 ? f32ulp(w) : 0),
      );
    }
    const lse = both(() => {
      const out = new Ctor(3);
      reduceAxis(Reduce.LogSumExp, a, 0, 1, 50000, 3, out);
      return out;
    });
    agree(`threaded logsumexp ${dt}`, lse.nat, lse.ts, (_, w) => 1e-12 * Math.max(1, Math.abs(w)));
  }
});

/** Values of a tensor as a flat list. */
const flat = (t: Tensor): number[] => Array.from(t.contiguous().typedArray as ArrayLike<number>);

test(
  `reductions and softmax through the tensor API: strided, transposed, broadcast ${suffix}`,
  { skip },
  () => {
    for (const dtype of [torch.float32, torch.float64]) {
      const base = torch.tensor(Array.from(filled(Float64Array, 6 * 35 * 9, 4)), { dtype });
      const x = base.reshape([6, 35, 9]);
      const inputs: [string, Tensor][] = [
        ["contiguous", x],
        ["transposed", x.transpose(0, 2)],
        ["strided", x.narrow(1, 2, 31).narrow(2, 1, 7)],
        ["broadcast", x.narrow(0, 0, 1).expand([5, 35, 9])],
        ["offset", x.narrow(0, 2, 3)],
      ];
      for (const [kind, t] of inputs) {
        const at = `${dtype.name} ${kind}`;
        const dims: (number | number[])[] = [0, 1, 2, [0, 1], [1, 2], [0, 2]];
        for (const d of dims) {
          const r = both(() => [
            flat(t.sum(d)),
            flat(t.amax(d)),
            flat(t.amin(d, true)),
            flat(torch.logsumexp(t, d)),
          ]);
          const names = ["sum", "amax", "amin", "logsumexp"];
          r.ts.forEach((want, k) =>
            agree(
              `${names[k]}(${String(d)}) ${at}`,
              r.nat[k],
              want,
              (_, w) =>
                1e-12 * Math.max(10, Math.abs(w)) + (dtype === torch.float32 ? f32ulp(w) : 0),
            ),
          );
        }
        for (const d of [0, 1, 2]) {
          const r = both(() => [
            flat(t.argmax(d)),
            flat(t.max(d).values),
            flat(t.cumsum(d)),
            flat(t.softmax(d)),
            flat(t.logSoftmax(d)),
          ]);
          r.ts.forEach((want, k) =>
            agree(
              `op ${k} dim ${d} ${at}`,
              r.nat[k],
              want,
              (_, w) =>
                1e-12 * Math.max(10, Math.abs(w)) + (dtype === torch.float32 ? f32ulp(w) : 0),
            ),
          );
        }
      }
      // gradients: softmax / log_softmax backward (fused) and the sum over leading dims of
      // un-broadcasting, native vs TypeScript
      const grads = both(() => {
        const w = torch
          .tensor(Array.from(filled(Float64Array, 35 * 9, 8)), { dtype })
          .reshape([35, 9])
          .requiresGrad_();
        const b = torch.tensor(Array.from(filled(Float64Array, 9, 2)), { dtype }).requiresGrad_();
        const z = x.mul(w).add(b);
        const loss = z.softmax(1).mul(z.logSoftmax(2)).sum();
        loss.backward();
        return [flat(w.grad!), flat(b.grad!)];
      });
      grads.ts.forEach((want, k) =>
        agree(
          `grad ${k} ${dtype.name}`,
          grads.nat[k],
          want,
          (_, w) =>
            1e-10 * Math.max(10, Math.abs(w)) + (dtype === torch.float32 ? 64 * f32ulp(w) : 0),
        ),
      );
    }
  },
);

test(`the kernels' exp is within one double ulp of Math.exp ${suffix}`, { skip }, () => {
  forKernels((kernel) => {
    const n = 200003;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = -745 + (1455 * i) / n;
    const y = x.slice();
    nativeAddon!.reduceExp(y);
    for (let i = 0; i < n; i++) {
      const want = Math.exp(x[i]);
      if (y[i] === want) continue;
      // Math.exp itself is within 1 ulp: allow 2 between the two; subnormals absolutely
      const ulp = Math.max(Math.abs(want) * 2 ** -52, 2 ** -1074);
      assert.ok(Math.abs(y[i] - want) <= 2 * ulp, `${kernel} exp(${x[i]}) = ${y[i]} vs ${want}`);
    }
    const sp = new Float64Array([NaN, Infinity, -Infinity, 0, -0, 710, -746, 709.7, -745.2]);
    const want = Array.from(sp, Math.exp);
    nativeAddon!.reduceExp(sp);
    agree(`${kernel} exp specials`, sp, want, (_, w) => Math.abs(w) * 2 ** -51);
  });
});

test(`the reduce kernels reject bad arguments ${suffix}`, { skip }, () => {
  const addon = nativeAddon!;
  const f = new Float32Array(12);
  const d = new Float64Array(12);
  const u = new Uint8Array(12);
  // wrong types
  assert.throws(() => addon.reduce(0, new Int32Array(4) as never, 0, 1, 4, 1, f, 0), TypeError);
  assert.throws(() => addon.reduce("0" as never, f, 0, 1, 4, 1, f, 0), TypeError);
  assert.throws(() => addon.reduce(0, f, 0, 1, 4, 1, d, 0), TypeError); // sum: out must match
  assert.throws(() => addon.reduce(Reduce.ArgMax, f, 0, 1, 4, 1, f, 0), TypeError);
  assert.throws(() => addon.reduce(Reduce.Any, f, 0, 1, 4, 1, f, 0), TypeError);
  assert.throws(() => addon.cumsum(f, 0, 1, 4, 1, d, 0), TypeError);
  assert.throws(() => addon.softmax(f, 0, 1, 4, 1, d, 0, 0), TypeError);
  assert.throws(() => addon.softmaxBackward(f, 0, d, 0, 1, 4, 1, f, 0, 0), TypeError);
  assert.throws(() => addon.softmaxBackward(f, 0, f, 0, 1, 4, 1, [] as never, 0, 0), TypeError);
  // out of range
  assert.throws(() => addon.reduce(99, f, 0, 1, 4, 1, f, 0), RangeError);
  assert.throws(() => addon.reduce(0, f, 0, 1, 13, 1, f, 0), RangeError);
  assert.throws(() => addon.reduce(0, f, 10, 1, 3, 1, f, 0), RangeError);
  assert.throws(() => addon.reduce(0, f, 0, 3, 4, 1, f, 10), RangeError);
  assert.throws(() => addon.reduce(0, f, -1, 1, 4, 1, f, 0), RangeError);
  assert.throws(() => addon.reduce(0, f, 0, -1, 4, 1, f, 0), RangeError);
  assert.throws(() => addon.reduce(Reduce.Max, f, 0, 2, 0, 1, f, 0), RangeError);
  assert.throws(() => addon.reduce(Reduce.All, f, 0, 12, 2, 1, u, 0), RangeError);
  assert.throws(() => addon.cumsum(f, 1, 1, 12, 1, f, 0), RangeError);
  assert.throws(() => addon.softmax(f, 0, 2, 3, 2, f, 1, 0), RangeError);
  assert.throws(() => addon.softmaxBackward(f, 0, f, 1, 3, 4, 1, f, 0, 1), RangeError);
  assert.throws(() => addon.reduceExp(f as never), TypeError);
  // good calls still work afterwards
  f.fill(1);
  addon.reduce(Reduce.Sum, f, 0, 3, 4, 1, f, 0);
  assert.deepEqual(Array.from(f.subarray(0, 3)), [4, 4, 4]);
});

test("nll_loss backward: the direct kernel equals the composed ops (createGraph)", () => {
  for (const dtype of [torch.float32, torch.float64]) {
    for (const reduction of ["mean", "sum", "none"] as const) {
      for (const shape of [[7, 5], [5], [3, 4, 2, 3]]) {
        const x = torch
          .tensor(
            Array.from(
              filled(
                Float64Array,
                shape.reduce((a, b) => a * b),
                3,
              ),
            ),
            {
              dtype,
            },
          )
          .reshape(shape);
        const batch = shape.length === 1 ? [] : [shape[0], ...shape.slice(2)];
        const nb = batch.reduce((a, b) => a * b, 1);
        const labels = Array.from(
          { length: nb },
          (_, i) => (i * 3) % shape[shape.length === 1 ? 0 : 1],
        );
        if (nb > 2) labels[1] = -100; // ignored
        const target = torch.tensor(labels, { dtype: torch.int64 }).reshape(batch);
        const weight = torch.tensor(
          Array.from({ length: shape[shape.length === 1 ? 0 : 1] }, (_, i) => 0.5 + i / 3),
          { dtype },
        );
        const grads = [false, true].map((createGraph) => {
          const xi = x.clone().requiresGrad_();
          const loss = torch.nn.functional.nllLoss(xi, target, { weight, reduction });
          const seed =
            loss.dim() === 0 ? torch.tensor(1.5, { dtype }) : loss.detach().mul(0).add(0.7);
          const [gx] = torch.autograd.grad([loss], [xi], { gradOutputs: [seed], createGraph });
          return flat(gx!);
        });
        assert.deepEqual(grads[0], grads[1], `${dtype.name} ${reduction} [${shape.join(", ")}]`);
      }
    }
  }
});
