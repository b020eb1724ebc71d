/**
 * 3-d convolution and pooling (issue 11): every case of scripts/fixtures/nnpool_fx.py replayed
 * against PyTorch 1.13's values (test/fixtures/nnpool.json).
 *
 * - functional: outputs (values and int64 indices), grad_fn names and input gradients of
 *   sum(out * weight), in float32 and float64
 * - modules: seeded construction (parameters and buffers), repr, stateDict keys, forward and
 *   input / parameter gradients, PyTorch's positional and options argument forms
 * - errors: PyTorch's exception type and message, inputs unchanged
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { setNativeFamily } from "../src/backend/native.js";
import {
  closeValues,
  decodeNumber,
  readFixture,
  type Err,
  type NonFinite,
} from "./helpers/fixtures.js";

const F = torch.nn.functional;
const nn = torch.nn;

interface EncTensor {
  shape: number[];
  dtype: string;
  values: (number | NonFinite)[];
}
interface FunctionalCase {
  name: string;
  dtype: string;
  inputs: EncTensor[];
  outputs: EncTensor[];
  gradFn: string | null;
  weight: (number | NonFinite)[];
  grads: (number | NonFinite)[][];
}
interface ModuleCase {
  name: string;
  repr: string;
  state: [string, EncTensor][];
  inputs: EncTensor[];
  outputs: EncTensor[];
  gradFn: string | null;
  weight: (number | NonFinite)[];
  inputGrads: (number | NonFinite)[][];
  paramGrads: [string, (number | NonFinite)[]][];
}
const FX = readFixture<{
  functional: FunctionalCase[];
  modules: ModuleCase[];
  errors: Record<string, Err | null>;
}>("nnpool.json");

const DTYPES: Record<string, torch.DType> = {
  float32: torch.float32,
  float64: torch.float64,
  int64: torch.int64,
};
const dec = (v: (number | NonFinite)[]): number[] => v.map(decodeNumber);
const fromEnc = (e: EncTensor, dtype?: torch.DType): Tensor =>
  torch.tensor(dec(e.values), { dtype: dtype ?? DTYPES[e.dtype] }).reshape(e.shape);
const flatOf = (t: Tensor): number[] => (t.reshape([-1]).tolist() as number[]).map(Number);

/** A tensor equal to a record: shape, dtype and values (relative tolerance `rtol`). */
function expectEnc(t: Tensor, e: EncTensor, rtol: number, what: string): void {
  assert.deepEqual(t.shape, e.shape, `${what}: shape`);
  assert.equal(t.dtype.name, e.dtype, `${what}: dtype`);
  closeValues(flatOf(t), dec(e.values), rtol, what);
}

type Out = Tensor | Tensor[];
const SAMPLES2 = torch.tensor([
  [
    [0.1, 0.7],
    [0.5, 0.25],
    [0.9, 0.0],
  ],
  [
    [0.33, 0.66],
    [0.2, 0.8],
    [0.95, 0.4],
  ],
]);
const SAMPLES3 = torch.tensor([
  [
    [0.1, 0.7, 0.3],
    [0.5, 0.25, 0.9],
  ],
]);
const seeded = <T>(f: () => T): T => {
  torch.manualSeed(7);
  return f();
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- F's generated overloads type the values-only result; PyTorch's return_indices forms return a pair
const A = (v: unknown): any => v;

/** The JavaScript twin of each Python case (same arguments, positional or by option). */
const FUNCTIONAL: Record<string, (...xs: Tensor[]) => Out> = {
  conv3d: (x, w, b) => F.conv3d(x, w, b, [1, 2, 1], [1, 0, 1], { dilation: [2, 1, 1], groups: 2 }),
  conv3d_same: (x, w) => F.conv3d(x, w, null, { padding: "same" }),
  conv3d_valid_unbatched: (x, w) => F.conv3d(x, w, { padding: "valid" }),
  torch_conv3d: (x, w) => torch.conv3d(x, w, null, 1, 1),
  conv_transpose3d: (x, w, b) =>
    F.convTranspose3d(x, w, b, {
      stride: [2, 1, 2],
      padding: [1, 0, 0],
      outputPadding: [1, 0, 1],
      groups: 2,
      dilation: [1, 2, 1],
    }),
  torch_conv_transpose3d: (x, w) => torch.convTranspose3d(x, w, { stride: 2 }),
  conv_tbc: (x, w, b) => torch.convTbc(x, w, b, 1),
  F_conv_tbc: (x, w, b) => F.convTbc(x, w, b),
  conv_tbc_negative_pad: (x, w, b) => torch.convTbc(x, w, b, { pad: -1 }),
  max_pool3d: (x) =>
    A(F.maxPool3d)(x, [3, 2, 3], {
      stride: 2,
      padding: 1,
      dilation: [1, 2, 1],
      ceilMode: true,
      returnIndices: true,
    }),
  max_pool3d_k2_unbatched: (x) => F.maxPool3d(x, 2),
  max_pool3d_with_indices: (x) => A(F.maxPool3dWithIndices)(x, 3, 1, 1),
  torch_max_pool3d: (x) => torch.maxPool3d(x, 2, 1),
  torch_max_pool1d: (x) => torch.maxPool1d(x, 3, 2, 1),
  torch_max_pool2d: (x) => torch.maxPool2d(x, 2),
  max_pool1d_indices: (x) => A(F.maxPool1d)(x, 3, 2, 1, { returnIndices: true }),
  avg_pool3d: (x) =>
    F.avgPool3d(x, [3, 2, 3], { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  avg_pool3d_divisor: (x) => F.avgPool3d(x, 3, 1, 1, { divisorOverride: 4 }),
  avg_pool3d_unbatched: (x) => F.avgPool3d(x, 2),
  torch_avg_pool1d: (x) => torch.avgPool1d(x, 3, 2, 1, false, false),
  adaptive_avg_pool3d: (x) => F.adaptiveAvgPool3d(x, [2, 4, 3]),
  adaptive_avg_pool3d_none: (x) => F.adaptiveAvgPool3d(x, [null, 2, null]),
  adaptive_avg_pool3d_1: (x) => F.adaptiveAvgPool3d(x, 1),
  torch_adaptive_avg_pool1d: (x) => torch.adaptiveAvgPool1d(x, 3),
  adaptive_max_pool1d: (x) => A(F.adaptiveMaxPool1d)(x, 3, { returnIndices: true }),
  adaptive_max_pool2d: (x) => A(F.adaptiveMaxPool2d)(x, [3, 4], true),
  adaptive_max_pool2d_none: (x) => F.adaptiveMaxPool2d(x, [null, 2]),
  adaptive_max_pool3d: (x) => A(F.adaptiveMaxPool3d)(x, [2, 4, 3], true),
  adaptive_max_pool3d_with_indices: (x) => A(F.adaptiveMaxPool3dWithIndices)(x, 2),
  torch_adaptive_max_pool1d: (x) => A(torch.adaptiveMaxPool1d)(x, 2),
  lp_pool1d: (x) => F.lpPool1d(x, 2, 3, 2),
  lp_pool2d: (x) => F.lpPool2d(x, 3, [2, 3], { ceilMode: true }),
  lp_pool2d_p1: (x) => F.lpPool2d(x, 1, 2),
  max_unpool1d: (x) => {
    const [y, i] = A(F.maxPool1d)(x, 2, { returnIndices: true }) as Tensor[];
    return F.maxUnpool1d(y, i, 2);
  },
  max_unpool2d: (x) => {
    const [y, i] = A(F.maxPool2d)(x, 3, 2, 1, { returnIndices: true }) as Tensor[];
    return F.maxUnpool2d(y, i, 3, 2, 1, { outputSize: [6, 7] });
  },
  max_unpool2d_overlap: (x) => {
    const [y, i] = A(F.maxPool2d)(x, 3, 1, { returnIndices: true }) as Tensor[];
    return F.maxUnpool2d(y, i, 3, 1);
  },
  max_unpool3d: (x) => {
    const [y, i] = A(F.maxPool3d)(x, 2, { returnIndices: true }) as Tensor[];
    return F.maxUnpool3d(y, i, 2);
  },
  fractional_max_pool2d: (x) =>
    A(F.fractionalMaxPool2d)(x, [3, 2], {
      outputSize: [4, 5],
      returnIndices: true,
      _randomSamples: SAMPLES2.to(x.dtype),
    }),
  fractional_max_pool2d_ratio: (x) =>
    A(F.fractionalMaxPool2d)(x, 2, { outputRatio: 0.5, _randomSamples: SAMPLES2.to(x.dtype) }),
  fractional_max_pool3d: (x) =>
    A(F.fractionalMaxPool3dWithIndices)(x, 2, [3, 4, 5], { _randomSamples: SAMPLES3.to(x.dtype) }),
  fractional_max_pool2d_seeded: (x) => seeded(() => F.fractionalMaxPool2d(x, 2, { outputSize: 4 })),
  fractional_max_pool3d_seeded: (x) =>
    seeded(() => A(F.fractionalMaxPool3d)(x, 2, { outputRatio: 0.5, returnIndices: true })),
};

test("every functional fixture case has its JavaScript twin and vice versa", () => {
  const names = new Set(FX.functional.map((c) => c.name));
  assert.deepEqual([...names].sort(), Object.keys(FUNCTIONAL).sort());
});

for (const c of FX.functional) {
  test(`F: ${c.name} (${c.dtype}): values, indices, grad_fn and gradients as PyTorch`, () => {
    const dt = DTYPES[c.dtype];
    const xs = c.inputs.map((e) => fromEnc(e, dt).requiresGrad_());
    const before = xs.map(flatOf);
    const out = FUNCTIONAL[c.name](...xs);
    const ys = Array.isArray(out) ? out : [out];
    assert.equal(ys.length, c.outputs.length, "outputs");
    const rtol = c.dtype === "float32" ? 2e-5 : 1e-10;
    ys.forEach((y, i) => expectEnc(y, c.outputs[i], rtol, `output ${i}`));
    assert.equal(ys[0].gradFn?.name() ?? null, c.gradFn, "grad_fn");
    ys[0]
      .mul(torch.tensor(dec(c.weight), { dtype: dt }).reshape(ys[0].shape))
      .sum()
      .backward();
    xs.forEach((x, i) => {
      assert.ok(x.grad !== null, `input ${i} gradient`);
      closeValues(
        flatOf(x.grad),
        dec(c.grads[i]),
        c.dtype === "float32" ? 1e-4 : 1e-9,
        `grad ${i}`,
      );
      assert.deepEqual(flatOf(x.detach()), before[i], `input ${i} unchanged`);
    });
  });
}

type Rest = [] | unknown[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructors called with PyTorch's positional arguments
const make = (C: any, ...args: Rest): torch.nn.Module => new C(...args) as torch.nn.Module;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- forward's extra arguments (indices, output size)
const callM = (m: torch.nn.Module, ...args: unknown[]): Out => (m as any).call(...args) as Out;

/** The JavaScript twin of each module case: construction and call. */
const MODULES: Record<
  string,
  [() => torch.nn.Module, ((m: torch.nn.Module, ...xs: Tensor[]) => Out)?]
> = {
  Conv3d: [
    () =>
      new nn.Conv3d(4, 6, [3, 2, 2], {
        stride: [2, 1, 1],
        padding: 1,
        dilation: [1, 2, 1],
        groups: 2,
      }),
  ],
  Conv3d_positional: [() => make(nn.Conv3d, 2, 3, 2, 1, 0, 1, 1, false)],
  Conv3d_same: [() => new nn.Conv3d(2, 2, 3, { padding: "same" })],
  ConvTranspose3d: [
    () => new nn.ConvTranspose3d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }),
  ],
  ConvTranspose3d_positional: [
    () => make(nn.ConvTranspose3d, 2, 4, [2, 3, 2], 1, 0, 0, 2, false, 1),
  ],
  ConvTranspose3d_output_size: [
    () => new nn.ConvTranspose3d(2, 2, 3, { stride: 2 }),
    (m, x) => callM(m, x, [6, 5, 6]),
  ],
  MaxPool1d: [() => make(nn.MaxPool1d, 3, 2, 1, 1, true, true)],
  MaxPool2d: [() => new nn.MaxPool2d([3, 2], { stride: 1, padding: 1, ceilMode: true })],
  MaxPool3d: [() => new nn.MaxPool3d(2, { returnIndices: true })],
  AvgPool1d: [() => make(nn.AvgPool1d, 3, 2, 1, true, false)],
  AvgPool2d: [() => make(nn.AvgPool2d, 3, 2, 1, false, true, 4)],
  AvgPool3d: [
    () => new nn.AvgPool3d([2, 3, 2], { stride: 1, padding: [1, 1, 0], countIncludePad: false }),
  ],
  AdaptiveAvgPool1d: [() => new nn.AdaptiveAvgPool1d(4)],
  AdaptiveAvgPool3d: [() => new nn.AdaptiveAvgPool3d([2, null, 3])],
  AdaptiveMaxPool1d: [() => new nn.AdaptiveMaxPool1d(4, true)],
  AdaptiveMaxPool2d: [() => new nn.AdaptiveMaxPool2d([3, null])],
  AdaptiveMaxPool3d: [() => new nn.AdaptiveMaxPool3d(2, { returnIndices: true })],
  LPPool1d: [() => new nn.LPPool1d(2, 3, 2)],
  LPPool2d: [() => new nn.LPPool2d(1.5, [2, 3], { ceilMode: true })],
  MaxUnpool1d: [
    () => new nn.MaxUnpool1d(2),
    (m, x) => callM(m, ...(A(F.maxPool1d)(x, 2, { returnIndices: true }) as Tensor[])),
  ],
  MaxUnpool2d: [
    () => make(nn.MaxUnpool2d, 3, 2, 1),
    (m, x) =>
      callM(m, ...(A(F.maxPool2d)(x, 3, 2, 1, { returnIndices: true }) as Tensor[]), [1, 2, 6, 7]),
  ],
  MaxUnpool3d: [
    () => new nn.MaxUnpool3d(2, { stride: 2 }),
    (m, x) => callM(m, ...(A(F.maxPool3d)(x, 2, { returnIndices: true }) as Tensor[])),
  ],
  FractionalMaxPool2d: [() => new nn.FractionalMaxPool2d(3, { outputRatio: [0.5, 0.75] })],
  FractionalMaxPool2d_samples: [
    () =>
      make(nn.FractionalMaxPool2d, 2, [4, 3], null, true, SAMPLES2.narrow(0, 0, 1).contiguous()),
  ],
  FractionalMaxPool3d: [() => new nn.FractionalMaxPool3d(2, { outputSize: 3 })],
};

test("every module fixture case has its JavaScript twin and vice versa", () => {
  assert.deepEqual(FX.modules.map((c) => c.name).sort(), Object.keys(MODULES).sort());
});

FX.modules.forEach((c, seed) => {
  test(`nn: ${c.name}: seeded parameters, repr, state dict, forward and gradients as PyTorch`, () => {
    torch.manualSeed(seed);
    const [build, run] = MODULES[c.name];
    const m = build();
    assert.equal(String(m), c.repr, "repr");
    const state = m.stateDict();
    assert.deepEqual(
      Object.keys(state),
      c.state.map(([k]) => k),
      "state dict keys",
    );
    for (const [k, e] of c.state) expectEnc(state[k], e, 1e-6, `state ${k}`);
    const xs = c.inputs.map((e) => fromEnc(e).requiresGrad_());
    const out = run === undefined ? callM(m, ...xs) : run(m, ...xs);
    const ys = Array.isArray(out) ? out : [out];
    assert.equal(ys.length, c.outputs.length, "outputs");
    ys.forEach((y, i) => expectEnc(y, c.outputs[i], 2e-5, `output ${i}`));
    assert.equal(ys[0].gradFn?.name() ?? null, c.gradFn, "grad_fn");
    ys[0]
      .mul(torch.tensor(dec(c.weight)).reshape(ys[0].shape))
      .sum()
      .backward();
    xs.forEach((x, i) =>
      closeValues(flatOf(x.grad as Tensor), dec(c.inputGrads[i]), 1e-4, `grad ${i}`),
    );
    const params = new Map(m.namedParameters());
    assert.deepEqual(
      [...params.keys()],
      c.paramGrads.map(([k]) => k),
      "parameters",
    );
    for (const [k, g] of c.paramGrads)
      closeValues(flatOf(params.get(k)?.grad as Tensor), dec(g), 1e-4, `grad ${k}`);
  });
});

const X5 = () => torch.sin(torch.arange(128).mul(1.3).add(8)).reshape([1, 2, 4, 4, 4]);
const X4 = () => torch.sin(torch.arange(72).mul(1.3).add(15)).reshape([1, 2, 6, 6]);
const X3 = () => torch.sin(torch.arange(12).mul(1.3).add(22)).reshape([1, 2, 6]);
const v = (...shape: number[]) => torch.randn(...shape);
const zi = (...shape: number[]) => torch.zeros(shape, { dtype: torch.int32 });
const pool2 = (x: Tensor, ...a: unknown[]) =>
  A(F.maxPool2d)(x, ...a, { returnIndices: true }) as Tensor[];
const pool3 = (x: Tensor, ...a: unknown[]) =>
  A(F.maxPool3d)(x, ...a, { returnIndices: true }) as Tensor[];
const pool1 = (x: Tensor, ...a: unknown[]) =>
  A(F.maxPool1d)(x, ...a, { returnIndices: true }) as Tensor[];

/** The JavaScript twin of each error case. */
const ERRORS: Record<string, () => unknown> = {
  max_pool3d_kernel_len: () => F.maxPool3d(X5(), [2, 2]),
  max_pool3d_stride_len: () => F.maxPool3d(X5(), 2, [2, 2]),
  max_pool3d_padding_len: () => F.maxPool3d(X5(), 2, 2, [1, 1]),
  max_pool3d_dilation_len: () => F.maxPool3d(X5(), 2, 2, 0, [1, 1]),
  max_pool3d_kernel_zero: () => F.maxPool3d(X5(), 0),
  max_pool3d_pad_half: () => F.maxPool3d(X5(), 2, 2, 2),
  max_pool3d_dilation_zero: () => F.maxPool3d(X5(), 2, 1, 0, 0),
  max_pool3d_kernel_neg: () => F.maxPool3d(X5(), [2, 2, 0], 1),
  max_pool3d_too_small: () => F.maxPool3d(X5(), 5),
  max_pool3d_dims: () => F.maxPool3d(v(2, 4, 4), 2),
  max_pool3d_empty: () => F.maxPool3d(torch.zeros(2, 0, 4, 4, 4), 2),
  max_pool3d_int: () => F.maxPool3d(zi(2, 4, 4, 4), 2),
  avg_pool3d_kernel_len: () => F.avgPool3d(X5(), [2, 2]),
  avg_pool3d_stride_len: () => F.avgPool3d(X5(), 2, [2, 2]),
  avg_pool3d_padding_len: () => F.avgPool3d(X5(), 2, 2, [1, 1]),
  avg_pool3d_pad_half: () => F.avgPool3d(X5(), 2, 2, 2),
  avg_pool3d_kernel_neg: () => F.avgPool3d(X5(), [2, 2, -1], 1),
  avg_pool3d_too_small: () => F.avgPool3d(X5(), 5),
  avg_pool3d_dims: () => F.avgPool3d(v(2, 4, 4), 2),
  avg_pool3d_empty: () => F.avgPool3d(torch.zeros(0, 4, 4, 4), 2),
  avg_pool3d_int: () => F.avgPool3d(zi(2, 4, 4, 4), 2),
  avg_pool3d_divisor: () => F.avgPool3d(X5(), 2, { divisorOverride: 0 }),
  adaptive_avg_pool3d_dims: () => F.adaptiveAvgPool3d(v(1, 1, 2, 2, 2, 2), [2, 2, 2]),
  adaptive_avg_pool3d_len: () => F.adaptiveAvgPool3d(X5(), [2, 2]),
  adaptive_avg_pool3d_negative: () => F.adaptiveAvgPool3d(X5(), [2, -3, 5]),
  adaptive_avg_pool3d_int: () => F.adaptiveAvgPool3d(zi(1, 2, 4, 4, 4), [2, 2, 3]),
  adaptive_avg_pool3d_empty: () => F.adaptiveAvgPool3d(torch.zeros(2, 0, 4, 4), [2, 2, 2]),
  adaptive_max_pool3d_dims: () => F.adaptiveMaxPool3d(v(1, 1, 2, 2, 2, 2), [2, 2, 2]),
  adaptive_max_pool3d_len: () => F.adaptiveMaxPool3d(X5(), [2, 2]),
  adaptive_max_pool3d_negative: () => F.adaptiveMaxPool3d(X5(), [2, 2, -1]),
  adaptive_max_pool3d_int: () => F.adaptiveMaxPool3d(zi(1, 2, 4, 4, 4), [2, 2, 3]),
  adaptive_max_pool2d_dims: () => F.adaptiveMaxPool2d(v(1, 2, 2, 2, 2), [2, 2]),
  adaptive_max_pool2d_empty: () => F.adaptiveMaxPool2d(torch.zeros(2, 0, 4), [2, 2]),
  adaptive_max_pool2d_int: () => F.adaptiveMaxPool2d(zi(2, 4, 4), [2, 3]),
  adaptive_max_pool2d_short: () => F.adaptiveMaxPool2d(v(4), [2, 2]),
  adaptive_max_pool1d_dims: () => F.adaptiveMaxPool1d(v(2, 4, 4, 4), 2),
  adaptive_max_pool1d_len: () => F.adaptiveMaxPool1d(X3(), [2, 2]),
  adaptive_max_pool1d_negative: () => F.adaptiveMaxPool1d(X3().select(0, 0), -1),
  fractional_no_size: () => F.fractionalMaxPool2d(X4(), 2),
  fractional_too_large: () => F.fractionalMaxPool2d(X4(), 2, { outputSize: 6 }),
  fractional_output_len: () => F.fractionalMaxPool2d(X4(), 2, { outputSize: [3, 3, 3] }),
  fractional_kernel_len: () => F.fractionalMaxPool2d(X4(), [2, 2, 2], { outputSize: [3, 3] }),
  fractional_samples_dtype: () =>
    F.fractionalMaxPool2d(X4(), 2, {
      outputSize: 3,
      _randomSamples: torch.rand([1, 2, 2], { dtype: torch.float64 }),
    }),
  fractional_int: () =>
    F.fractionalMaxPool2d(zi(1, 2, 6, 6), 2, {
      outputSize: 3,
      _randomSamples: torch.rand(1, 2, 2),
    }),
  fractional_2d_input: () => F.fractionalMaxPool2d(v(6, 6), 2, { outputSize: 3 }),
  fractional_empty: () => F.fractionalMaxPool2d(torch.zeros(2, 0, 6), 2, { outputSize: 3 }),
  fractional3d_too_large: () => F.fractionalMaxPool3d(X5(), 2, { outputSize: 4 }),
  fractional3d_no_size: () => F.fractionalMaxPool3d(X5(), 2),
  fractional3d_3d_input: () => F.fractionalMaxPool3d(v(2, 6, 6), 2, { outputSize: 3 }),
  max_unpool2d_invalid_index: () => {
    const [y, i] = pool2(X4(), 2);
    return F.maxUnpool2d(y, i.mul(10), 2);
  },
  max_unpool2d_int_indices: () => {
    const [y, i] = pool2(X4(), 2);
    return F.maxUnpool2d(y, i.int(), 2);
  },
  max_unpool2d_shape: () => {
    const [y, i] = pool2(X4(), 2);
    return F.maxUnpool2d(y, i.select(0, 0), 2);
  },
  max_unpool2d_dims: () => {
    const [y, i] = pool2(X4(), 2);
    return F.maxUnpool2d(y.select(0, 0).select(0, 0), i.select(0, 0).select(0, 0), 2);
  },
  max_unpool2d_output_size: () => {
    const [y, i] = pool2(X4(), 2);
    return F.maxUnpool2d(y, i, 2, { outputSize: [9, 9] });
  },
  max_unpool2d_output_len: () => {
    const [y, i] = pool2(X4(), 2);
    return F.maxUnpool2d(y, i, 2, { outputSize: [2, 7, 7] });
  },
  max_unpool3d_invalid_index: () => {
    const [y, i] = pool3(X5(), 2);
    return F.maxUnpool3d(y, i.mul(100), 2);
  },
  max_unpool3d_dims: () => {
    const [y, i] = pool3(X5(), 2);
    return F.maxUnpool3d(y.select(0, 0).select(0, 0), i.select(0, 0).select(0, 0), 2);
  },
  max_unpool1d_invalid_index: () => {
    const [y, i] = pool1(X3(), 2);
    return F.maxUnpool1d(y, i.mul(10), 2);
  },
  conv_tbc_bias: () => torch.convTbc(v(5, 2, 3), v(3, 3, 4), v(3), 1),
  conv_tbc_input_dims: () => torch.convTbc(v(5, 2), v(3, 3, 4), v(4), 1),
  conv_tbc_weight_dims: () => torch.convTbc(v(5, 2, 3), v(3, 4), v(4), 1),
  conv_tbc_channels: () => torch.convTbc(v(5, 2, 3), v(3, 2, 4), v(4), 1),
  conv_tbc_bias_dims: () => torch.convTbc(v(5, 2, 3), v(3, 3, 4), v(4, 1), 1),
  conv_tbc_negative: () => torch.convTbc(v(5, 2, 3), v(9, 3, 4), v(4), 0),
  conv3d_channels: () => F.conv3d(X5(), v(3, 3, 2, 2, 2)),
  conv3d_dims: () => F.conv3d(v(2, 4, 4), v(3, 2, 2, 2, 2)),
  conv_transpose3d_dims: () => F.convTranspose3d(v(2, 4, 4), v(2, 2, 2, 2, 2)),
  FractionalMaxPool2d_no_size: () => new nn.FractionalMaxPool2d(2),
  FractionalMaxPool2d_both: () => make(nn.FractionalMaxPool2d, 2, 3, 0.5),
  FractionalMaxPool3d_ratio: () => new nn.FractionalMaxPool3d(2, { outputRatio: [0.5, 1.5, 0.5] }),
};

test("every error fixture case has its JavaScript twin and vice versa", () => {
  assert.deepEqual(Object.keys(FX.errors).sort(), Object.keys(ERRORS).sort());
});

for (const [name, e] of Object.entries(FX.errors)) {
  test(`error: ${name}: PyTorch's ${e?.type ?? "(none)"}`, () => {
    assert.ok(e !== null, "PyTorch raised");
    assert.throws(ERRORS[name], (err: unknown) => {
      assert.ok(err instanceof Error, "an Error");
      assert.equal(err.constructor.name, e.type, "type");
      assert.equal(err.message, e.message);
      return true;
    });
  });
}

test("a failed pooling call leaves the input and its gradient unchanged", () => {
  const x = X5().requiresGrad_();
  F.avgPool3d(x, 2).sum().backward();
  const g = flatOf(x.grad as Tensor);
  const before = flatOf(x.detach());
  assert.throws(() => F.maxPool3d(x, 2, 2, 2));
  assert.throws(() => F.adaptiveMaxPool3d(x, [2, 2]));
  assert.deepEqual(flatOf(x.detach()), before);
  assert.deepEqual(flatOf(x.grad as Tensor), g);
});

test("3-d pooling and convolution give the same values with and without the native kernels", () => {
  const x = torch.sin(torch.arange(2 * 3 * 9 * 10 * 11).mul(0.37)).reshape([2, 3, 9, 10, 11]);
  const w = torch.cos(torch.arange(4 * 3 * 3 * 2 * 3).mul(0.7)).reshape([4, 3, 3, 2, 3]);
  const run = () => [
    ...(A(F.maxPool3d)(x, [3, 2, 3], 2, 1, { returnIndices: true }) as Tensor[]),
    F.avgPool3d(x, 3, 2, 1, { countIncludePad: false }),
    F.adaptiveAvgPool3d(x, [4, 3, 5]),
    F.conv3d(x, w, null, 1, 1),
  ];
  const native = run().map(flatOf);
  for (const f of ["conv", "pooling"] as const) setNativeFamily(f, false);
  try {
    run()
      .map(flatOf)
      .forEach((t, i) => closeValues(t, native[i], 1e-6, `result ${i}`));
  } finally {
    for (const f of ["conv", "pooling"] as const) setNativeFamily(f, true);
  }
});
