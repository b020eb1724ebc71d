/**
 * The shape family's copies on large inputs: flip, roll, repeat, rot90, diag_embed, tril and
 * the other strided copies go through one strided copy each (src/backend/shape.ts), on the addon
 * (native/copy.cc) from the cheap threshold and in TypeScript below it. Each comparison runs
 * the same call with the native thresholds at 0 (native) and at infinity (TypeScript) on
 * float32, float64, int64 and bool inputs, contiguous and transposed; values against PyTorch
 * are test/op-specs/shape.json's. Skipped, with the reason, when the addon is not loaded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import {
  getNativeElementwiseThresholds,
  setNativeElementwiseThresholds,
} from "../src/backend/elementwise.js";
import type { Tensor } from "../src/tensor.js";
import { filled, skip } from "./helpers/native.js";

/** Run f on the TypeScript kernels (thresholds at infinity), then on the addon (at 0). */
function both(f: () => Tensor | Tensor[]): [Tensor[], Tensor[]] {
  const saved = getNativeElementwiseThresholds();
  const list = (r: Tensor | Tensor[]) => (Array.isArray(r) ? r : [r]);
  try {
    setNativeElementwiseThresholds(Infinity, Infinity);
    const ts = list(f());
    setNativeElementwiseThresholds(0, 0);
    return [ts, list(f())];
  } finally {
    setNativeElementwiseThresholds(saved.cheap, saved.math, saved.vector);
  }
}

/** A [rows, cols] tensor of `dtype` with deterministic values (transposed: a [cols, rows] .t()). */
function input(rows: number, cols: number, dtype: torch.DType, transposed: boolean): Tensor {
  const data = Array.from(filled(Float64Array, rows * cols, rows * 31 + cols, 8), (v) =>
    dtype === torch.bool ? v > 0 : dtype.isFloatingPoint ? v : Math.trunc(v),
  );
  const t = torch.tensor(data, { dtype });
  return transposed ? t.view(cols, rows).t() : t.view(rows, cols);
}

const CASES: [string, (x: Tensor) => Tensor | Tensor[]][] = [
  ["flip 0", (x) => x.flip(0)],
  ["flip both", (x) => torch.flip(x, [0, 1])],
  ["fliplr", (x) => torch.fliplr(x)],
  ["roll flat", (x) => x.roll(12345)],
  ["roll dims", (x) => x.roll([3, -7], [0, 1])],
  ["repeat", (x) => x.repeat(2, 1, 3)],
  ["tile", (x) => torch.tile(x, [3])],
  ["rot90", (x) => torch.rot90(x).contiguous()],
  ["rot90 3", (x) => torch.rot90(x, 3).contiguous()],
  ["tril", (x) => x.tril(-3)],
  ["triu", (x) => torch.triu(x, 5)],
  ["diag", (x) => torch.diag(x, 2)],
  ["diag_embed", (x) => torch.diagEmbed(x.narrow(0, 0, 4), 1)],
  ["narrow_copy", (x) => torch.narrowCopy(x, 1, 3, 100)],
  ["repeat_interleave", (x) => x.repeatInterleave(2, 0)],
];

const DTYPES = [torch.float32, torch.float64, torch.int64, torch.bool];

test("shape copies: the addon's strided copy matches the TypeScript loop", { skip }, () => {
  for (const dtype of DTYPES)
    for (const transposed of [false, true]) {
      const x = input(300, 257, dtype, transposed);
      for (const [name, f] of CASES) {
        const [ts, nat] = both(() => f(x));
        assert.equal(ts.length, nat.length);
        ts.forEach((t, i) => {
          const what = `${name} ${dtype.name}${transposed ? " transposed" : ""}`;
          assert.deepEqual(nat[i].shape, t.shape, what);
          assert.equal(nat[i].dtype, t.dtype, what);
          assert.deepEqual(nat[i].contiguous().typedArray, t.contiguous().typedArray, what);
        });
      }
    }
});

test("shape copies: inverse pairs give the input back on both paths", () => {
  const x = input(1000, 1000, torch.float32, true);
  for (const [name, f] of [
    ["flip", (t: Tensor) => t.flip(0, 1).flip(1, 0)],
    ["roll", (t: Tensor) => t.roll([17, -3], [1, 0]).roll([-17, 3], [1, 0])],
    ["roll flat", (t: Tensor) => t.roll(-999_999).roll(999_999)],
    ["rot90", (t: Tensor) => torch.rot90(torch.rot90(t, 3), 1)],
  ] as const) {
    const [ts, nat] = both(() => f(x));
    assert.deepEqual(ts[0].contiguous().typedArray, x.contiguous().typedArray, `${name} ts`);
    assert.deepEqual(nat[0].contiguous().typedArray, x.contiguous().typedArray, `${name} native`);
  }
});

test("diagonal, unfold, unbind, movedim and swapaxes are views of their input's storage", () => {
  const x = torch.arange(12, { dtype: torch.float32 }).view(3, 4).clone();
  const views: [string, Tensor][] = [
    ["diagonal", x.diagonal(1)],
    ["unfold", x.unfold(1, 2, 1)],
    ["unbind", torch.unbind(x, 1)[2]],
    ["movedim", torch.movedim(x, 0, 1)],
    ["swapaxes", x.swapaxes(0, 1)],
    ["mT", x.mT],
    ["tensor_split", torch.tensorSplit(x, 2, 1)[1]],
    ["unflatten", x.unflatten(1, [2, 2])],
    ["broadcast_to", torch.broadcastTo(x, [2, 3, 4])],
    ["atleast_3d", torch.atleast3d(x)],
  ];
  for (const [name, v] of views) {
    assert.equal(v._base, x, name);
    assert.equal(v.typedArray, x.typedArray, name);
  }
  // a write through the base is seen by the view, and bumps the shared version counter
  const d = x.diagonal();
  const before = d._version.value;
  x.add_(1);
  assert.equal(d._version.value, before + 1);
  assert.deepEqual(d.tolist(), [1, 6, 11]);
  // the copies own their storage
  for (const c of [x.flip(0), x.roll(1), x.repeat(1, 1), x.tril(), torch.diag(x), x.rot90()])
    assert.notEqual(c.typedArray, x.typedArray);
});
