/**
 * Parity of the native nn kernels (native/conv.cc, pooling.cc, optim.cc, dispatched from src/backend/conv.ts, pooling.ts, optim.ts)
 * with their TypeScript twins: im2col / col2im, the direct convolution and its weight and bias
 * gradients (against im2col + GEMM), max / average / adaptive pooling, and the optimizer steps.
 * Odd sizes, padding, strides, dilation, groups, offsets, non-contiguous inputs, NaN and -inf,
 * float32 and float64. Pooling, col2im and the optimizers must agree bit for bit; convolution
 * sums in another order and is compared within a float error bound. Skipped, with the reason,
 * when the addon is not loaded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import * as conv from "../src/backend/conv.js";
import * as pooling from "../src/backend/pooling.js";
import { geoArray, type Window2d } from "../src/backend/window.js";
import { nativeAddon, nativeStatus, setNativeFamily } from "../src/backend/native.js";
import {
  F32,
  F64,
  adadeltaStep,
  adagradStep,
  adamaxStep,
  adamStep,
  asgdStep,
  nadamStep,
  radamStep,
  rmspropStep,
  rpropStep,
  sgdStep,
  type Arith,
} from "../src/backend/optim.js";
import { skip, type FloatArray, type FloatCtor, filled } from "./helpers/native.js";

const F = torch.nn.functional;

const CTORS: [string, FloatCtor][] = [
  ["float32", Float32Array],
  ["float64", Float64Array],
];

/** Switch the native conv, pooling and optimizer kernels off (the TypeScript twins) or on. */
function setNativeNn(on: boolean): void {
  for (const family of ["conv", "pooling", "optim"] as const) setNativeFamily(family, on);
}

/** Run `f` with the native nn kernels off (the TypeScript twins), then on; return both. */
function twin<T>(f: () => T): { ts: T; nat: T } {
  setNativeNn(false);
  try {
    const ts = f();
    setNativeNn(true);
    return { ts, nat: f() };
  } finally {
    setNativeNn(true);
  }
}

function assertSame(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) {
      assert.fail(`${what}: element ${i}: ${a[i]} vs ${b[i]}`);
    }
  }
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  assert.equal(a.length, b.length, `${what}: length`);
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]));
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - b[i]);
    if (!(err <= tol * Math.max(scale, 1)))
      assert.fail(`${what}: element ${i}: ${a[i]} vs ${b[i]}`);
  }
}

const dataOf = (t: Tensor): number[] => {
  const c = t.contiguous();
  return Array.from(c.typedArray.subarray(c.offset, c.offset + c.numel()));
};

/** A window; with k, s, p, d of length 3 and `depth`, a 3-D one (depth first). */
function win(
  h: number,
  w: number,
  k: number[],
  s: number[],
  p: number[],
  d: number[],
  depth?: number,
): Window2d {
  if (depth !== undefined) {
    const g = win(h, w, k.slice(1), s.slice(1), p.slice(1), d.slice(1));
    const od = Math.floor((depth + 2 * p[0] - d[0] * (k[0] - 1) - 1) / s[0]) + 1;
    return { ...g, d: depth, kd: k[0], sd: s[0], pd: p[0], dd: d[0], od };
  }
  const oh = Math.floor((h + 2 * p[0] - d[0] * (k[0] - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((w + 2 * p[1] - d[1] * (k[1] - 1) - 1) / s[1]) + 1;
  return {
    h,
    w,
    kh: k[0],
    kw: k[1],
    sh: s[0],
    sw: s[1],
    ph: p[0],
    pw: p[1],
    dh: d[0],
    dw: d[1],
    oh,
    ow,
  };
}

const GEOMETRIES: [string, Window2d][] = [
  ["3x3", win(13, 17, [3, 3], [1, 1], [0, 0], [1, 1])],
  ["3x3 pad 1", win(11, 9, [3, 3], [1, 1], [1, 1], [1, 1])],
  ["2x3 stride 2 pad", win(12, 15, [2, 3], [2, 2], [1, 1], [1, 1])],
  ["3x2 dilation 2", win(14, 10, [3, 2], [1, 1], [2, 0], [2, 3])],
  ["5x5 stride 3", win(19, 23, [5, 5], [3, 3], [2, 2], [1, 1])],
  ["3-D 3x3x3 pad 1", win(7, 9, [3, 3, 3], [1, 1, 1], [1, 1, 1], [1, 1, 1], 6)],
  ["3-D 2x3x2 stride 2 dilation", win(11, 8, [2, 3, 2], [2, 1, 2], [1, 0, 1], [2, 1, 1], 9)],
];
/** Input and output elements of a window (a 2-D one is one plane deep). */
const inVol = (g: Window2d): number => (g.d ?? 1) * g.h * g.w;
const outVol = (g: Window2d): number => (g.od ?? 1) * g.oh * g.ow;

for (const [dt, Ctor] of CTORS) {
  for (const [name, g] of GEOMETRIES) {
    test(`im2col / col2im (${dt}, ${name}): native equals TypeScript`, { skip }, () => {
      const c = 3;
      const off = 5;
      const x = filled(Ctor, off + c * inVol(g), 1);
      const cols = twin(() => {
        const out = new Ctor(c * (g.kd ?? 1) * g.kh * g.kw * outVol(g)).fill(7);
        conv.im2col(x, off, c, g, out);
        return out;
      });
      assertSame(cols.nat, cols.ts, "im2col");
      const back = twin(() => {
        const out = filled(Ctor, 3 + c * inVol(g), 2);
        conv.col2im(cols.ts, c, g, out, 3);
        return out;
      });
      assertSame(back.nat, back.ts, "col2im");
    });
  }
}

/** Convolution forward and backward with native kernels off and on. */
function convCase(
  dt: "float32" | "float64",
  xShape: number[],
  wShape: number[],
  opts: { stride?: number[]; padding?: number[]; dilation?: number[]; groups?: number },
  bias: boolean,
  transposeInput = false,
): void {
  const dtype = dt === "float32" ? torch.float32 : torch.float64;
  const Ctor = dt === "float32" ? Float32Array : Float64Array;
  const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const run = () => {
    let x = torch.tensor(Array.from(filled(Ctor, numel(xShape), 3)), { dtype }).reshape(xShape);
    if (transposeInput) x = x.transpose(2, 3).contiguous().transpose(2, 3);
    x.requiresGrad = true;
    const w = torch
      .tensor(Array.from(filled(Ctor, numel(wShape), 4)), { dtype, requiresGrad: true })
      .reshape(wShape);
    const wl = w.detach().requiresGrad_(true);
    const b = bias
      ? torch.tensor(Array.from(filled(Ctor, wShape[0], 5)), { dtype, requiresGrad: true })
      : null;
    const y = xShape.length === 4 ? F.conv2d(x, wl, b, opts) : F.conv1d(x, wl, b, opts);
    const gy = torch.tensor(Array.from(filled(Ctor, y.numel(), 6)), { dtype }).reshape(y.shape);
    y.backward(gy);
    return {
      y: dataOf(y),
      gx: dataOf(x.grad as Tensor),
      gw: dataOf(wl.grad as Tensor),
      gb: b === null ? [] : dataOf(b.grad as Tensor),
    };
  };
  const { ts, nat } = twin(run);
  const tol = dt === "float32" ? 2e-6 : 1e-13;
  assertClose(nat.y, ts.y, tol, "output");
  assertClose(nat.gx, ts.gx, tol, "input gradient");
  assertClose(nat.gw, ts.gw, tol, "weight gradient");
  assertClose(nat.gb, ts.gb, tol, "bias gradient");
}

for (const dt of ["float32", "float64"] as const) {
  test(
    `convolution (${dt}): direct kernel and weight/bias gradients match im2col + GEMM`,
    { skip },
    () => {
      convCase(dt, [5, 1, 28, 28], [16, 1, 3, 3], {}, true);
      convCase(dt, [3, 3, 13, 11], [7, 3, 3, 3], { padding: [1, 2] }, true);
      convCase(dt, [2, 4, 12, 19], [6, 2, 3, 2], { groups: 2, dilation: [2, 1] }, false);
      convCase(dt, [3, 2, 15, 15], [5, 2, 3, 3], { stride: [2, 2], padding: [1, 1] }, true);
      convCase(dt, [2, 3, 9, 6], [4, 3, 2, 2], { stride: [1, 1] }, true); // rows narrower than 8
      convCase(dt, [4, 2, 20, 21], [9, 2, 3, 3], {}, true, true); // non-contiguous input
      convCase(dt, [3, 4, 37], [5, 4, 5], { padding: [2] }, true); // conv1d
      convCase(dt, [2, 16, 10, 10], [8, 16, 3, 3], { padding: [1, 1] }, true); // 144 taps: GEMM
    },
  );
}

const POOLS: [string, Window2d][] = [
  ["2x2 stride 2", win(26, 26, [2, 2], [2, 2], [0, 0], [1, 1])],
  ["3x3 stride 1 pad 1", win(17, 23, [3, 3], [1, 1], [1, 1], [1, 1])],
  ["3x2 stride 2 dilation 2", win(21, 40, [3, 2], [2, 2], [1, 1], [2, 2])],
  ["2x3 stride 3", win(19, 50, [2, 3], [3, 3], [0, 1], [1, 1])],
  [
    "ceil mode (ragged last window)",
    { ...win(9, 27, [2, 2], [2, 2], [0, 0], [1, 1]), oh: 5, ow: 14 },
  ],
  ["3-D 2x2x2 stride 2", win(10, 12, [2, 2, 2], [2, 2, 2], [0, 0, 0], [1, 1, 1], 8)],
  ["3-D 3x3x3 stride 1 pad 1", win(9, 19, [3, 3, 3], [1, 1, 1], [1, 1, 1], [1, 1, 1], 5)],
  ["3-D 3x2x3 dilation 2", win(9, 30, [3, 2, 3], [2, 1, 2], [1, 1, 1], [2, 1, 2], 11)],
  [
    "3-D ceil mode",
    { ...win(9, 27, [2, 2, 2], [2, 2, 2], [0, 0, 0], [1, 1, 1], 5), od: 3, oh: 5, ow: 14 },
  ],
];

for (const [dt, Ctor] of CTORS) {
  for (const [name, g] of POOLS) {
    test(
      `max pooling (${dt}, ${name}): values, indices and backward equal TypeScript`,
      { skip },
      () => {
        const planes = 7;
        const off = 3;
        const x = filled(Ctor, off + planes * inVol(g), 7);
        // ties, NaNs and -inf
        for (let i = off; i < x.length; i += 13) x[i] = x[i - 1];
        for (let i = off + 5; i < x.length; i += 97) x[i] = NaN;
        for (let i = off + 9; i < x.length; i += 31) x[i] = -Infinity;
        const L = outVol(g);
        const fwd = twin(() => {
          const out = new Ctor(planes * L);
          const idx = new Float64Array(planes * L);
          pooling.maxPool(x, off, planes, g, out, idx);
          return { out, idx };
        });
        assertSame(fwd.nat.out, fwd.ts.out, "values");
        assertSame(fwd.nat.idx, fwd.ts.idx, "indices");
        const gOut = filled(Ctor, planes * L, 8);
        const bwd = twin(() => {
          const out = new Ctor(planes * inVol(g)).fill(3); // overwritten
          pooling.maxPoolBackward(gOut, fwd.ts.idx, planes, inVol(g), L, out);
          return out;
        });
        assertSame(bwd.nat, bwd.ts, "backward");
      },
    );

    test(
      `average pooling (${dt}, ${name}): forward and backward equal TypeScript`,
      { skip },
      () => {
        const planes = 5;
        const x = filled(Ctor, 2 + planes * inVol(g), 9);
        for (const o of [
          { countIncludePad: true, divisorOverride: 0 },
          { countIncludePad: false, divisorOverride: 0 },
          { countIncludePad: true, divisorOverride: 3 },
        ]) {
          const fwd = twin(() => {
            const out = new Ctor(planes * outVol(g));
            pooling.avgPool(x, 2, planes, g, o, out, false);
            return out;
          });
          assertSame(fwd.nat, fwd.ts, "forward");
          const gOut = filled(Ctor, 1 + planes * outVol(g), 10);
          const bwd = twin(() => {
            const out = new Ctor(planes * inVol(g));
            pooling.avgPool(gOut, 1, planes, g, o, out, true);
            return out;
          });
          assertSame(bwd.nat, bwd.ts, "backward");
        }
      },
    );
  }

  test(`adaptive average pooling (${dt}): forward and backward equal TypeScript`, { skip }, () => {
    for (const [d, h, w, od, oh, ow] of [
      [1, 13, 17, 1, 5, 3],
      [1, 20, 20, 1, 7, 7],
      [1, 9, 31, 1, 4, 10],
      [7, 9, 11, 3, 4, 5],
      [5, 6, 30, 4, 6, 7],
    ]) {
      const planes = 6;
      const sizes = { inSize: [d, h, w], outSize: [od, oh, ow] };
      const x = filled(Ctor, 4 + planes * d * h * w, 11);
      const fwd = twin(() => {
        const out = new Ctor(planes * od * oh * ow);
        pooling.adaptiveAvgPool(x, 4, planes, sizes, out, false);
        return out;
      });
      assertSame(fwd.nat, fwd.ts, "forward");
      const gOut = filled(Ctor, planes * od * oh * ow, 12);
      const bwd = twin(() => {
        const out = new Ctor(planes * d * h * w);
        pooling.adaptiveAvgPool(gOut, 0, planes, sizes, out, true);
        return out;
      });
      assertSame(bwd.nat, bwd.ts, "backward");
    }
  });

  test(`channel sum (${dt}): native equals TypeScript within rounding`, { skip }, () => {
    const [n, c, l] = [5, 7, 61];
    const g = filled(Ctor, 3 + n * c * l, 13);
    const r = twin(() => {
      const out = new Ctor(c);
      conv.channelSum(g, 3, n, c, l, out);
      return out;
    });
    assertClose(r.nat, r.ts, dt === "float32" ? 1e-7 : 1e-15, "channelSum");
  });
}

// ---------------------------------------------------------------------------------------------
// Optimizer steps: bit-identical to the TypeScript loops (which reproduce PyTorch's rounding),
// with the AVX2 and the portable kernels, on sizes with ragged ends.

type Step = (A: Arith, p: FloatArray, g: FloatArray, st: FloatArray[], n: number) => void;

const STEPS: [string, number, Step][] = [
  [
    "SGD",
    0,
    (A, p, g, _st, n) =>
      sgdStep(A, p, 1, g, 2, null, false, n, {
        lr: 0.1,
        weightDecay: 0,
        momentum: 0,
        dampening: 0,
        nesterov: false,
        maximize: false,
      }),
  ],
  [
    "SGD momentum first step",
    1,
    (A, p, g, st, n) =>
      sgdStep(A, p, 1, g, 2, st[0], true, n, {
        lr: 0.03,
        weightDecay: 0.01,
        momentum: 0.9,
        dampening: 0.1,
        nesterov: false,
        maximize: true,
      }),
  ],
  [
    "SGD momentum",
    1,
    (A, p, g, st, n) =>
      sgdStep(A, p, 1, g, 2, st[0], false, n, {
        lr: 0.03,
        weightDecay: 0.01,
        momentum: 0.9,
        dampening: 0.1,
        nesterov: false,
        maximize: false,
      }),
  ],
  [
    "SGD nesterov",
    1,
    (A, p, g, st, n) =>
      sgdStep(A, p, 1, g, 2, st[0], false, n, {
        lr: 0.05,
        weightDecay: 0,
        momentum: 0.7,
        dampening: 0,
        nesterov: true,
        maximize: false,
      }),
  ],
  [
    "Adam",
    2,
    (A, p, g, st, n) =>
      adamStep(A, p, 1, g, 2, st[0], st[1], null, n, {
        step: 3,
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0.02,
        maximize: false,
        decoupled: false,
      }),
  ],
  [
    "AdamW amsgrad maximize",
    3,
    (A, p, g, st, n) =>
      adamStep(A, p, 1, g, 2, st[0], st[1], st[2], n, {
        step: 7,
        lr: 3e-3,
        beta1: 0.8,
        beta2: 0.99,
        eps: 1e-6,
        weightDecay: 0.01,
        maximize: true,
        decoupled: true,
      }),
  ],
  [
    "RMSprop",
    1,
    (A, p, g, st, n) =>
      rmspropStep(A, p, 1, g, 2, st[0], null, null, n, {
        lr: 0.01,
        alpha: 0.99,
        eps: 1e-8,
        weightDecay: 0,
        momentum: 0,
        maximize: false,
      }),
  ],
  [
    "RMSprop centered momentum",
    3,
    (A, p, g, st, n) =>
      rmspropStep(A, p, 1, g, 2, st[0], st[1], st[2], n, {
        lr: 0.01,
        alpha: 0.9,
        eps: 1e-6,
        weightDecay: 0.1,
        momentum: 0.5,
        maximize: true,
      }),
  ],
  [
    "Adagrad",
    1,
    (A, p, g, st, n) =>
      adagradStep(A, p, 1, g, 2, st[0], n, {
        step: 4,
        lr: 0.1,
        lrDecay: 0.01,
        weightDecay: 0.05,
        eps: 1e-10,
        maximize: false,
      }),
  ],
  // (h-optim) NAdam, RAdam, Adamax, Adadelta, ASGD, Rprop
  [
    "NAdam weight decay",
    2,
    (A, p, g, st, n) =>
      nadamStep(A, p, 1, g, 2, st[0], st[1], n, {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0.01,
        biasCorrection2: 1 - 0.999 ** 3,
        coefG: -0.0013,
        coefM: -0.0071,
      }),
  ],
  [
    "RAdam rectified",
    2,
    (A, p, g, st, n) =>
      radamStep(A, p, 1, g, 2, st[0], st[1], n, {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0.1,
        biasCorrection1: 1 - 0.9 ** 7,
        biasCorrection2: 1 - 0.999 ** 7,
        rect: 0.37,
      }),
  ],
  [
    "RAdam unrectified",
    2,
    (A, p, g, st, n) =>
      radamStep(A, p, 1, g, 2, st[0], st[1], n, {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        biasCorrection1: 1 - 0.9 ** 2,
        biasCorrection2: 1 - 0.999 ** 2,
        rect: null,
      }),
  ],
  [
    "Adamax maximize",
    2,
    (A, p, g, st, n) =>
      adamaxStep(A, p, 1, g, 2, st[0], st[1], n, {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0.05,
        maximize: true,
        negClr: -0.002 / (1 - 0.9 ** 3),
      }),
  ],
  [
    "Adadelta",
    2,
    (A, p, g, st, n) =>
      adadeltaStep(A, p, 1, g, 2, st[0], st[1], n, {
        lr: 1.0,
        rho: 0.9,
        eps: 1e-6,
        weightDecay: 0.01,
        maximize: false,
      }),
  ],
  [
    "ASGD averaging",
    1,
    (A, p, g, st, n) =>
      asgdStep(A, p, 1, g, 2, st[0], n, {
        lambd: 1e-4,
        eta: 0.0099,
        mu: 0.25,
        weightDecay: 0.1,
        maximize: true,
      }),
  ],
  [
    "ASGD",
    1,
    (A, p, g, st, n) =>
      asgdStep(A, p, 1, g, 2, st[0], n, {
        lambd: 1e-4,
        eta: 0.01,
        mu: 1,
        weightDecay: 0,
        maximize: false,
      }),
  ],
  [
    "Rprop",
    2,
    (A, p, g, st, n) =>
      rpropStep(A, p, 1, g, 2, st[0], st[1], n, {
        etaminus: 0.5,
        etaplus: 1.2,
        stepSizeMin: 1e-6,
        stepSizeMax: 0.5,
        maximize: false,
      }),
  ],
];

for (const [dt, Ctor] of CTORS) {
  for (const [name, states, step] of STEPS) {
    test(`${name} step (${dt}): native equals TypeScript bit for bit`, { skip }, () => {
      const A = dt === "float32" ? F32 : F64;
      for (const n of [37, 1037, 200_003]) {
        const make = () => {
          const p = filled(Ctor, n + 3, 20);
          const g = filled(Ctor, n + 2, 21);
          g[7] = 0;
          g[9] = -0;
          const st = Array.from({ length: states }, (_, i) => {
            const s = filled(Ctor, n, 22 + i);
            // second-moment state must be non-negative
            if (
              i === 1 ||
              name.startsWith("RMSprop") ||
              name === "Adagrad" ||
              name.startsWith("Adadelta")
            )
              for (let k = 0; k < n; k++) s[k] = Math.abs(s[k]);
            if (name.startsWith("RMSprop") && i === 1) for (let k = 0; k < n; k++) s[k] *= 0.01;
            return s;
          });
          return { p, g, st };
        };
        const run = () => {
          const m = make();
          // two steps: the second reads the state the first wrote
          step(A, m.p, m.g, m.st, n);
          step(A, m.p, m.g, m.st, n);
          return [m.p, ...m.st];
        };
        const r = twin(run);
        r.ts.forEach((a, i) => assertSame(r.nat[i], a, `n=${n} array ${i}`));
        if (nativeAddon !== null && nativeStatus.simd !== "scalar") {
          nativeAddon.setKernel("scalar");
          try {
            const scalar = run();
            r.ts.forEach((a, i) => assertSame(scalar[i], a, `scalar kernel, n=${n} array ${i}`));
          } finally {
            nativeAddon.setKernel("auto");
          }
        }
      }
    });
  }
}

test("portable (scalar) conv and pooling kernels agree with the AVX2 ones", { skip }, () => {
  const addon = nativeAddon;
  if (addon === null || nativeStatus.simd === "scalar") return;
  const run = () => {
    const x = torch
      .tensor(Array.from(filled(Float32Array, 4 * 2 * 19 * 21, 30)))
      .reshape([4, 2, 19, 21]);
    x.requiresGrad = true;
    const w = torch
      .tensor(Array.from(filled(Float32Array, 6 * 2 * 9, 31)), { requiresGrad: true })
      .reshape([6, 2, 3, 3]);
    const wl = w.detach().requiresGrad_(true);
    const y = F.maxPool2d(F.conv2d(x, wl, null, { padding: 1 }), 2);
    y.sum().backward();
    return [dataOf(y), dataOf(wl.grad as Tensor)];
  };
  const avx = run();
  addon.setKernel("scalar");
  try {
    const sc = run();
    assertClose(sc[0], avx[0], 2e-6, "forward");
    assertClose(sc[1], avx[1], 2e-6, "weight gradient");
  } finally {
    addon.setKernel("auto");
  }
});

test("the nn kernels reject bad arguments", { skip }, () => {
  const a = nativeAddon;
  if (a === null) return;
  const geo = [4, 4, 2, 2, 2, 2, 0, 0, 1, 1, 2, 2, 1, 1, 1, 0, 1, 1];
  const f32 = new Float32Array(16);
  const f64 = new Float64Array(16);
  assert.throws(() => a.im2col(f32, 0, 1, geo, new Float32Array(15)), RangeError);
  assert.throws(() => a.im2col(f32, 1, 1, geo, new Float32Array(16)), RangeError);
  assert.throws(() => a.im2col(f32, 0, 1, geo, new Float64Array(16) as never), TypeError);
  assert.throws(() => a.im2col(f32, 0, 1, [4, 4, 2], f32), TypeError);
  assert.throws(
    () => a.im2col(f32, 0, 1, [4, 4, 0, 2, 2, 2, 0, 0, 1, 1, 2, 2, 1, 1, 1, 0, 1, 1], f32),
    RangeError,
  );
  assert.throws(() => a.col2im(f32, 1, geo, f32, 1), RangeError);
  assert.throws(
    () => a.maxPool(f32, 0, 2, geo, new Float32Array(8), new Float64Array(8)),
    RangeError,
  );
  assert.throws(
    () => a.maxPool(f32, 0, 1, geo, new Float32Array(4), new Float32Array(4) as never),
    TypeError,
  );
  assert.throws(
    () => a.maxPoolBackward(new Float32Array(4), Float64Array.of(0, 1, 2, 16), 1, 16, 4, f32),
    RangeError,
  );
  assert.throws(
    () => a.maxPoolBackward(new Float32Array(4), Float64Array.of(0, NaN, 2, 3), 1, 16, 4, f32),
    RangeError,
  );
  assert.throws(
    () =>
      a.conv2dDirect(
        f32,
        0,
        1,
        1,
        1,
        1,
        f32,
        12,
        null,
        0,
        [4, 4, 3, 3, 1, 1, 0, 0, 1, 1, 2, 2, 1, 1, 1, 0, 1, 1],
        f32,
      ),
    RangeError,
  );
  assert.throws(() => a.conv2dDirect(f32, 0, 1, 2, 2, 3, f32, 0, null, 0, geo, f32), RangeError);
  // the direct kernels are 2-D only; a window two planes deep is refused
  const deep = [2, 2, 1, 1, 1, 1, 0, 0, 1, 1, 2, 2, 2, 1, 1, 0, 1, 2];
  assert.throws(() => a.conv2dDirect(f32, 0, 1, 1, 1, 1, f32, 0, null, 0, deep, f32), RangeError);
  assert.throws(
    () => a.im2col(f32, 0, 1, [...deep.slice(0, 12), 2, 1, 1, 0, 1, 4], f32),
    RangeError,
  );
  assert.throws(
    () =>
      a.convWeightGrad(
        f32,
        0,
        f32,
        0,
        2,
        1,
        1,
        1,
        [4, 4, 3, 3, 1, 1, 0, 0, 1, 1, 4, 4, 1, 1, 1, 0, 1, 1],
        f32,
      ),
    RangeError,
  );
  assert.throws(() => a.channelSum(f32, 1, 2, 2, 4, f32), RangeError);
  assert.throws(() => a.avgPool(f32, 0, 2, geo, 1, 0, f32, 0), RangeError);
  assert.throws(() => a.adaptiveAvgPool(f32, 0, 1, 1, 4, 4, 1, 0, 2, f32, 0), RangeError);
  assert.throws(() => a.sgdStep(f32, 0, f64 as never, 0, 16, null, 0, 0, 1, -0.1, 0), TypeError);
  assert.throws(() => a.sgdStep(f32, 1, f32, 0, 16, null, 0, 0, 1, -0.1, 0), RangeError);
  assert.throws(() => a.sgdStep(f32, 0, f32, 0, 16, null, 0, 0.9, 1, -0.1, 4), TypeError);
  assert.throws(
    () =>
      a.adamStep(
        f32,
        0,
        f32,
        0,
        16,
        f32,
        new Float32Array(8),
        null,
        0.9,
        0.99,
        0.1,
        0.01,
        1e-8,
        0,
        1,
        -1e-3,
        1,
        0,
      ),
    RangeError,
  );
  assert.throws(
    () => a.rmspropStep(f32, 0, f32, 0, 16, f32, null, null, 0.9, 0.1, 1e-8, 0, 0, -0.01, 128),
    TypeError,
  );
  assert.throws(
    () => a.adagradStep(f32, 0, f32, 0, "16" as never, f32, 0, 1e-10, -0.1, 0),
    TypeError,
  );
});

test("a CNN training step takes the native path and matches the TypeScript one", { skip }, () => {
  const run = () => {
    torch.manualSeed(0);
    const model = new torch.nn.Sequential(
      new torch.nn.Conv2d(1, 16, 3),
      new torch.nn.ReLU(),
      new torch.nn.MaxPool2d(2),
      new torch.nn.Flatten(),
      new torch.nn.Linear(16 * 13 * 13, 10),
    );
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const x = torch.rand(8, 1, 28, 28);
    const y = torch.randint(0, 10, [8]);
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      const loss = F.crossEntropy(model.call(x) as Tensor, y);
      loss.backward();
      opt.step();
      losses.push(loss.item() as number);
    }
    return { losses, w: dataOf(model.parameters()[0]) };
  };
  const r = twin(run);
  assertClose(r.nat.losses, r.ts.losses, 1e-5, "losses");
  assertClose(r.nat.w, r.ts.w, 1e-5, "conv weight");
});

for (const [dt, Ctor] of CTORS) {
  test(
    `direct convolution kernels called on their own (${dt}, scalar and AVX2 paths)`,
    { skip },
    () => {
      const a = nativeAddon;
      if (a === null) return;
      const dtype = dt === "float32" ? torch.float32 : torch.float64;
      const [N, C, O, G, H, W] = [3, 4, 6, 2, 11, 14];
      const x = filled(Ctor, N * C * H * W, 40);
      const w = filled(Ctor, O * (C / G) * 9, 41);
      const b = filled(Ctor, O, 42);
      const opts = { padding: [1, 0], dilation: [1, 2], groups: G };
      const xt = torch.tensor(Array.from(x), { dtype }).reshape([N, C, H, W]);
      const wt = torch
        .tensor(Array.from(w), { dtype, requiresGrad: true })
        .reshape([O, C / G, 3, 3]);
      const wl = wt.detach().requiresGrad_(true);
      setNativeNn(false);
      let want: Tensor;
      try {
        want = F.conv2d(xt, wl, torch.tensor(Array.from(b), { dtype }), opts);
        want.backward(torch.onesLike(want));
      } finally {
        setNativeNn(true);
      }
      const g = win(H, W, [3, 3], [1, 1], [1, 0], [1, 2]);
      const tol = dt === "float32" ? 2e-6 : 1e-13;
      for (const kernel of ["auto", "scalar"] as const) {
        a.setKernel(kernel);
        try {
          const out = new Ctor(N * O * g.oh * g.ow);
          a.conv2dDirect(x, 0, N, C, O, G, w, 0, b, 0, geoArray(g), out);
          assertClose(out, dataOf(want), tol, `${kernel} forward`);
          const dw = new Ctor(O * (C / G) * 9);
          const ones = new Ctor(N * O * g.oh * g.ow).fill(1);
          a.convWeightGrad(ones, 0, x, 0, N, O, C, G, geoArray(g), dw);
          assertClose(dw, dataOf(wl.grad as Tensor), tol, `${kernel} weight gradient`);
        } finally {
          a.setKernel("auto");
        }
      }
    },
  );
}
