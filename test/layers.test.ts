/**
 * Convolution, pooling, normalisation, recurrent and attention layers against PyTorch 1.13
 * (test/fixtures/layers.json, from scripts/fixtures/layers_fx.py): functional forms (values,
 * grad_fn names, gradients), default initialisation from a seeded generator (state dicts and
 * reprs), layer forward/backward, batch-norm running statistics; float64 gradchecks of the new
 * primitives (and second derivatives of convolution and pooling).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import * as nn from "../src/nn/index.js";
import { fromFlatRec } from "./helpers/fixtures.js";

const { gradcheck, gradgradcheck } = torch.autograd;

const F = nn.functional;

interface Enc {
  shape: number[];
  dtype: string;
  values: number[];
}

const fx = JSON.parse(readFileSync(new URL("./fixtures/layers.json", import.meta.url), "utf8"));

function values(t: Tensor): number[] {
  return (t.detach().contiguous().reshape([-1]).tolist() as (number | boolean)[]).map(Number);
}

function close(
  actual: Tensor | number[],
  expected: number[],
  what: string,
  rtol = 1e-4,
  atol = 1e-5,
): void {
  const a = Array.isArray(actual) ? actual : values(actual);
  assert.equal(
    a.length,
    expected.length,
    `${what}: ${a.length} values, expected ${expected.length}`,
  );
  for (let i = 0; i < a.length; i++) {
    const ok = Math.abs(a[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]);
    if (!ok) assert.fail(`${what}[${i}]: ${a[i]} vs PyTorch ${expected[i]}`);
  }
}

// the functional cases of layers_fx.py, written with tensorgrad's API
type In = Record<string, Tensor>;
const OPS: Record<string, (i: In) => Tensor> = {
  conv2d_groups: ({ x, w, b }) =>
    F.conv2d(x, w, b, { stride: [2, 1], padding: [1, 0], dilation: [1, 2], groups: 2 }),
  conv2d_same_even: ({ x, w }) => F.conv2d(x, w, null, { padding: "same", dilation: [1, 2] }),
  conv2d_unbatched: ({ x, w }) => F.conv2d(x, w),
  conv1d: ({ x, w, b }) => F.conv1d(x, w, b, { stride: 2, padding: 1, dilation: 2 }),
  conv_transpose2d: ({ x, w, b }) =>
    F.convTranspose2d(x, w, b, {
      stride: [2, 3],
      padding: [1, 0],
      outputPadding: [1, 2],
      groups: 2,
      dilation: [2, 1],
    }),
  conv_transpose1d: ({ x, w }) => F.convTranspose1d(x, w, null, { stride: 2, padding: 1 }),
  max_pool2d: ({ x }) =>
    F.maxPool2d(x, [3, 2], { stride: 2, padding: 1, dilation: [1, 2], ceilMode: true }),
  max_pool2d_k2: ({ x }) => F.maxPool2d(x, 2),
  avg_pool2d: ({ x }) =>
    F.avgPool2d(x, [3, 2], { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  avg_pool2d_divisor: ({ x }) => F.avgPool2d(x, 3, { stride: 2, padding: 1, divisorOverride: 5 }),
  adaptive_avg_pool2d: ({ x }) => F.adaptiveAvgPool2d(x, [3, 4]),
  adaptive_avg_pool2d_1: ({ x }) => F.adaptiveAvgPool2d(x, 1),
  adaptive_avg_pool2d_none: ({ x }) => F.adaptiveAvgPool2d(x, [null, 2]),
  layer_norm: ({ x, w, b }) => F.layerNorm(x, [6, 5], w, b),
  layer_norm_plain: ({ x }) => F.layerNorm(x, [5], { eps: 1e-3 }),
  group_norm: ({ x, w, b }) => F.groupNorm(x, 3, w, b),
  group_norm_4d: ({ x }) => F.groupNorm(x, 2),
  batch_norm_train: ({ x, w, b }) => F.batchNorm(x, null, null, w, b, true),
  batch_norm_eval: ({ x, w, b }) =>
    F.batchNorm(x, torch.linspace(-0.5, 0.5, 6), torch.linspace(0.5, 2, 6), w, b, false),
  batch_norm_4d: ({ x }) => F.batchNorm(x, null, null, { training: true }),
};

for (const c of fx.ops) {
  if (c.name === "batch_norm_running") {
    test("functional batchNorm updates the running statistics in place", () => {
      const rm = torch.linspace(-0.5, 0.5, 6);
      const rv = torch.linspace(0.5, 2, 6);
      F.batchNorm(fromFlatRec(c.x), rm, rv, { training: true, momentum: 0.3 });
      close(rm, c.runningMean, "running_mean", 1e-5, 1e-6);
      close(rv, c.runningVar, "running_var", 1e-5, 1e-6);
    });
    continue;
  }
  test(`F.${c.name} matches PyTorch (values, grad_fn, gradients)`, () => {
    const inputs: In = {};
    for (const [k, v] of Object.entries(c.inputs)) inputs[k] = fromFlatRec(v as Enc, true);
    const y = OPS[c.name](inputs);
    assert.deepEqual(y.shape, c.output.shape);
    close(y, c.output.values, "output");
    assert.equal(y.gradFn?.name() ?? null, c.gradFn);
    y.mul(torch.tensor(c.weight).reshape(y.shape)).sum().backward();
    for (const [k, g] of Object.entries(c.grads)) {
      close(inputs[k].grad as Tensor, g as number[], `grad of ${k}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// float64 gradchecks of the primitives

const d64 = (shape: number[], k: number): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => Math.sin(1 + 7 * k + 1.3 * i));
  return torch.tensor(v, { dtype: torch.float64 }).reshape(shape).requiresGrad_();
};

test("gradcheck: convolution (groups, stride, padding, dilation), 1-D and transposed", () => {
  const x = d64([2, 4, 5, 4], 1);
  const w = d64([4, 2, 3, 2], 2);
  const b = d64([4], 3);
  gradcheck(
    (x, w, b) => F.conv2d(x, w, b, { stride: [2, 1], padding: 1, dilation: [1, 2], groups: 2 }),
    [x, w, b],
  );
  const x1 = d64([2, 3, 7], 4);
  const w1 = d64([2, 3, 3], 5);
  gradcheck((x, w) => F.conv1d(x, w, null, { stride: 2, padding: 1, dilation: 2 }), [x1, w1]);
  const xt = d64([1, 4, 3, 3], 6);
  const wt = d64([4, 1, 3, 2], 7);
  const bt = d64([2], 8);
  gradcheck(
    (x, w, b) =>
      F.convTranspose2d(x, w, b, { stride: 2, padding: [1, 0], outputPadding: 1, groups: 2 }),
    [xt, wt, bt],
  );
});

test("gradgradcheck: convolution and transposed convolution", () => {
  const x = d64([1, 2, 4, 4], 1);
  const w = d64([2, 1, 2, 2], 2);
  gradgradcheck((x, w) => F.conv2d(x, w, null, { stride: 2, padding: 1, groups: 2 }), [x, w]);
  const xt = d64([1, 2, 2, 3], 3);
  const wt = d64([2, 2, 2, 2], 4);
  gradgradcheck((x, w) => F.convTranspose2d(x, w, null, { stride: 2, outputPadding: 1 }), [xt, wt]);
});

test("gradcheck and gradgradcheck: max, average and adaptive average pooling", () => {
  const x = d64([1, 2, 5, 4], 1);
  gradcheck((x) => F.maxPool2d(x, [2, 3], { stride: 1, padding: 1, ceilMode: true }), [x]);
  gradcheck((x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [x]);
  gradcheck((x) => F.adaptiveAvgPool2d(x, [3, 2]), [x]);
  gradgradcheck((x) => F.maxPool2d(x, 2), [x]);
  gradgradcheck((x) => F.avgPool2d(x, 2, { stride: 1 }), [x]);
  gradgradcheck((x) => F.adaptiveAvgPool2d(x, [2, 3]), [x]);
});

test("gradcheck and gradgradcheck: layer, group and batch norm", () => {
  const x = d64([3, 4, 2], 1);
  const w = d64([4], 2);
  const b = d64([4], 3);
  const wl = d64([4, 2], 4);
  const bl = d64([4, 2], 5);
  gradcheck((x, w, b) => F.layerNorm(x, [4, 2], w, b), [x, wl, bl]);
  gradcheck((x, w, b) => F.groupNorm(x, 2, w, b), [x, w, b]);
  gradcheck((x, w, b) => F.batchNorm(x, null, null, w, b, true), [x, w, b]);
  const rm = torch.tensor([0.1, -0.2, 0.3, 0], { dtype: torch.float64 });
  const rv = torch.tensor([1, 2, 0.5, 1.5], { dtype: torch.float64 });
  gradcheck((x, w, b) => F.batchNorm(x, rm, rv, w, b, false), [x, w, b]);
  gradgradcheck((x, w) => F.layerNorm(x, [4, 2], w), [x, wl]);
  gradgradcheck((x, w) => F.groupNorm(x, 2, w), [x, w]);
  gradgradcheck((x) => F.batchNorm(x, null, null, { training: true }), [x]);
});

test("forward-mode AD of the new primitives equals finite differences", () => {
  const fwd = torch.autograd.forwardAd;
  const x = d64([1, 2, 4, 4], 1).detach();
  const w = d64([2, 2, 3, 3], 2).detach();
  const tx = d64([1, 2, 4, 4], 3).detach();
  const fns: [string, (x: Tensor) => Tensor][] = [
    ["conv", (x) => F.conv2d(x, w, null, { padding: 1 })],
    ["maxpool", (x) => F.maxPool2d(x, 2)],
    ["avgpool", (x) => F.avgPool2d(x, 2)],
    ["adaptive", (x) => F.adaptiveAvgPool2d(x, [3, 2])],
    ["layernorm", (x) => F.layerNorm(x, [4])],
    ["groupnorm", (x) => F.groupNorm(x, 2)],
    ["batchnorm", (x) => F.batchNorm(x, null, null, { training: true })],
  ];
  for (const [name, f] of fns) {
    const tangent = fwd.dualLevel(() => fwd.unpackDual(f(fwd.makeDual(x, tx))).tangent) as Tensor;
    const eps = 1e-6;
    const fd = f(x.add(tx.mul(eps)))
      .sub(f(x.sub(tx.mul(eps))))
      .div(2 * eps);
    close(tangent, values(fd), `jvp of ${name}`, 1e-5, 1e-7);
  }
});

// ---------------------------------------------------------------------------------------------
// default initialisation and reprs

test("layers draw PyTorch's default initialisation from the generator, in order", () => {
  torch.manualSeed(0);
  const layers: nn.Module[] = [
    new nn.Conv1d(2, 4, 3),
    new nn.Conv2d(1, 16, 3),
    new nn.Conv2d(4, 6, [3, 2], {
      stride: 2,
      padding: 1,
      dilation: [1, 2],
      groups: 2,
      bias: false,
    }),
    new nn.Conv2d(2, 3, 3, { padding: "same" }),
    new nn.ConvTranspose2d(4, 2, 3, { stride: 2 }),
    new nn.ConvTranspose1d(3, 2, 2),
    new nn.MaxPool2d(2),
    new nn.MaxPool2d([3, 2], { stride: 1, padding: 1, ceilMode: true }),
    new nn.AvgPool2d(2),
    new nn.AdaptiveAvgPool2d([5, 7]),
    new nn.AdaptiveAvgPool2d(1),
    new nn.BatchNorm1d(3),
    new nn.BatchNorm2d(4, { momentum: null, affine: false }),
    new nn.LayerNorm(4),
    new nn.LayerNorm([2, 3], { eps: 1e-3, elementwiseAffine: false }),
    new nn.GroupNorm(2, 4),
    new nn.RNN(4, 5, { numLayers: 2 }),
    new nn.LSTM(3, 4, { batchFirst: true, bidirectional: true }),
    new nn.GRU(3, 4, { bias: false }),
    new nn.RNNCell(3, 2),
    new nn.LSTMCell(3, 2),
    new nn.GRUCell(3, 2),
    new nn.MultiheadAttention(8, 2),
    new nn.MultiheadAttention(6, 2, { kdim: 4, vdim: 5, batchFirst: true }),
  ];
  assert.equal(layers.length, fx.init.length);
  layers.forEach((m, i) => {
    const want = fx.init[i];
    assert.equal(String(m), want.repr, want.name);
    const sd = m.stateDict();
    assert.deepEqual(
      Object.keys(sd),
      want.state.map((s: [string, Enc]) => s[0]),
      want.name,
    );
    for (const [k, e] of want.state as [string, Enc][]) {
      assert.deepEqual(sd[k].shape, e.shape, `${want.name} ${k}`);
      assert.equal(sd[k].dtype.name, e.dtype, `${want.name} ${k}`);
      // exact: the same draws, rounded the same way
      assert.deepEqual(values(sd[k]), e.values, `${want.name} ${k}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// layer forward and backward

type Call = (m: nn.Module, ...xs: Tensor[]) => Tensor | Tensor[];
const LAYERS: Record<string, [() => nn.Module, Call]> = {
  Conv2d: [() => new nn.Conv2d(2, 4, 3, { stride: 2, padding: 1 }), (m, x) => m.call(x)],
  Conv1d: [() => new nn.Conv1d(3, 2, 2, { dilation: 2 }), (m, x) => m.call(x)],
  ConvTranspose2d: [
    () => new nn.ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1 }),
    (m, x) => m.call(x),
  ],
  BatchNorm2d: [() => new nn.BatchNorm2d(3), (m, x) => m.call(x)],
  BatchNorm1d_eval: [() => new nn.BatchNorm1d(3).eval(), (m, x) => m.call(x)],
  LayerNorm: [() => new nn.LayerNorm([3, 4]), (m, x) => m.call(x)],
  GroupNorm: [() => new nn.GroupNorm(2, 4), (m, x) => m.call(x)],
  RNN: [() => new nn.RNN(3, 4, { numLayers: 2 }), (m, x) => (m as nn.RNN).call(x)],
  RNN_relu_unbatched: [
    () => new nn.RNN(3, 4, { nonlinearity: "relu" }),
    (m, x) => (m as nn.RNN).call(x),
  ],
  LSTM: [
    () => new nn.LSTM(3, 4, { numLayers: 2, batchFirst: true, bidirectional: true }),
    (m, x) => {
      const [out, [h, c]] = (m as nn.LSTM).call(x);
      return [out, h, c];
    },
  ],
  GRU: [() => new nn.GRU(3, 4, { bidirectional: true }), (m, x) => (m as nn.GRU).call(x)],
  GRU_h0: [() => new nn.GRU(3, 4, { numLayers: 2 }), (m, x, h) => (m as nn.GRU).call(x, h)],
  LSTM_wide: [
    () => new nn.LSTM(5, 21, { numLayers: 2, bidirectional: true }),
    (m, x, h0, c0) => {
      const [out, [h, c]] = (m as nn.LSTM).call(x, [h0, c0]);
      return [out, h, c];
    },
  ],
  LSTMCell: [() => new nn.LSTMCell(3, 4), (m, x, h, c) => (m as nn.LSTMCell).call(x, [h, c])],
  GRUCell: [() => new nn.GRUCell(3, 4), (m, x) => m.call(x)],
  MultiheadAttention: [
    () => new nn.MultiheadAttention(8, 2),
    (m, x) => (m as nn.MultiheadAttention).call(x, x, x) as Tensor[],
  ],
  MultiheadAttention_masks: [
    () => new nn.MultiheadAttention(6, 3, { batchFirst: true }),
    (m, q, kv) =>
      (m as nn.MultiheadAttention).call(q, kv, kv, {
        keyPaddingMask: torch.tensor([
          [false, false, false, true],
          [false, true, false, false],
        ]),
        attnMask: torch.tensor([
          [false, true, false, false],
          [false, false, false, false],
          [true, false, false, false],
        ]),
        averageAttnWeights: false,
      }) as Tensor[],
  ],
  MultiheadAttention_kdim: [
    () => new nn.MultiheadAttention(6, 2, { kdim: 4, vdim: 5 }),
    (m, q, k, v) => {
      const mask = torch
        .tensor(Array.from({ length: 12 }, (_, i) => Math.sin(1 + 49 + 1.3 * i)))
        .reshape([3, 4]);
      return (m as nn.MultiheadAttention).call(q, k, v, { attnMask: mask }) as Tensor[];
    },
  ],
};

fx.layers.forEach(
  (
    c: {
      name: string;
      inputs: Enc[];
      outputs: Enc[];
      weights: number[][];
      inputGrads: number[][];
      paramGrads: [string, number[]][];
      buffers: [string, Enc][];
    },
    seed: number,
  ) => {
    if (c.name === "BatchNorm2d_steps") {
      test("BatchNorm2d with momentum=None: cumulative running statistics, then eval", () => {
        torch.manualSeed(0);
        const bn = new nn.BatchNorm2d(2, { momentum: null });
        const x = (k: number): Tensor =>
          torch
            .tensor(Array.from({ length: 24 }, (_, i) => Math.sin(1 + 7 * k + 1.3 * i)))
            .reshape([3, 2, 2, 2]);
        const ys = [bn.call(x(50)), bn.call(x(51))];
        bn.eval();
        ys.push(bn.call(x(52)));
        ys.forEach((y, i) => close(y, c.outputs[i].values, `output ${i}`));
        const bufs = bn.namedBuffers();
        c.buffers.forEach(([k, e], i) => {
          assert.equal(bufs[i][0], k);
          close(bufs[i][1], e.values, k);
        });
      });
      return;
    }
    test(`nn.${c.name}: forward and backward match PyTorch`, () => {
      torch.manualSeed(seed);
      const [make, call] = LAYERS[c.name];
      const m = make();
      const xs = c.inputs.map((e) => fromFlatRec(e, true));
      const r = call(m, ...xs);
      const outs = Array.isArray(r) ? r : [r];
      assert.equal(outs.length, c.outputs.length);
      let loss: Tensor | null = null;
      outs.forEach((o, j) => {
        assert.deepEqual(o.shape, c.outputs[j].shape, `output ${j} shape`);
        close(o, c.outputs[j].values, `output ${j}`);
        const term = o.mul(torch.tensor(c.weights[j]).reshape(o.shape)).sum();
        loss = loss === null ? term : loss.add(term);
      });
      (loss as unknown as Tensor).backward();
      xs.forEach((x, j) => close(x.grad as Tensor, c.inputGrads[j], `input ${j} grad`));
      const params = m.namedParameters();
      assert.deepEqual(
        params.map(([k]) => k),
        c.paramGrads.map(([k]) => k),
      );
      params.forEach(([k, p], j) => close(p.grad as Tensor, c.paramGrads[j][1], `grad of ${k}`));
      const bufs = m.namedBuffers();
      c.buffers.forEach(([k, e], j) => {
        assert.equal(bufs[j][0], k);
        close(bufs[j][1], e.values, k);
      });
    });
  },
);

test("conv and pooling errors carry PyTorch's messages", () => {
  assert.throws(
    () => F.conv2d(torch.ones(1, 3, 28, 28), torch.ones(16, 1, 3, 3)),
    /Given groups=1, weight of size \[16, 1, 3, 3\], expected input\[1, 3, 28, 28\] to have 1 channels, but got 3 channels instead/,
  );
  assert.throws(
    () => F.conv2d(torch.ones(1, 1, 2, 2), torch.ones(16, 1, 3, 3)),
    /Calculated padded input size per channel: \(2 x 2\). Kernel size: \(3 x 3\). Kernel size can't be greater than actual input size/,
  );
  assert.throws(
    () => F.conv2d(torch.ones(5, 5), torch.ones(16, 1, 3, 3)),
    /Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: \[5, 5\]/,
  );
  assert.throws(
    () => F.conv2d(torch.ones(1, 1, 5, 5, { dtype: torch.float64 }), torch.ones(16, 1, 3, 3)),
    /expected scalar type Double but found Float/,
  );
  assert.throws(
    () =>
      F.conv2d(torch.ones(1, 4, 5, 5), torch.ones(6, 4, 3, 3), null, {
        padding: "same",
        stride: 2,
      }),
    /padding='same' is not supported for strided convolutions/,
  );
  assert.throws(
    () => F.maxPool2d(torch.ones(1, 4, 5, 5), 3, { padding: 2 }),
    /pad should be at most half of kernel size, but got pad=2 and kernel_size=3/,
  );
  assert.throws(
    () => F.maxPool2d(torch.ones(1, 4, 2, 2), 3),
    /Given input size: \(4x2x2\). Calculated output size: \(4x0x0\). Output size is too small/,
  );
  assert.throws(
    () => F.layerNorm(torch.ones(2, 3), [4]),
    /Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of size\[2, 3\]/,
  );
  assert.throws(
    () => F.groupNorm(torch.ones(2, 3, 4), 2),
    /Expected number of channels in input to be divisible by num_groups/,
  );
  assert.throws(
    () => F.batchNorm(torch.ones(1, 3), null, null, { training: true }),
    /Expected more than 1 value per channel when training/,
  );
  assert.throws(
    () => new nn.BatchNorm2d(3).call(torch.ones(2, 3, 4)),
    /expected 4D input \(got 3D input\)/,
  );
});

test("MaxPool2d with returnIndices and ConvTranspose2d with an output size", () => {
  const [y, idx] = F.maxPool2dWithIndices(torch.arange(16).float().view(1, 4, 4), 2);
  assert.deepEqual(y.tolist(), [
    [
      [5, 7],
      [13, 15],
    ],
  ]);
  assert.deepEqual(idx.tolist(), [
    [
      [5, 7],
      [13, 15],
    ],
  ]);
  const up = new nn.ConvTranspose2d(2, 1, 3, { stride: 2, padding: 1 });
  assert.deepEqual((up.forward(torch.ones(1, 2, 4, 4), [8, 8]) as Tensor).shape, [1, 1, 8, 8]);
  assert.deepEqual(up.call(torch.ones(1, 2, 4, 4)).shape, [1, 1, 7, 7]);
});

test("max pooling propagates NaN with the index of the last NaN, as PyTorch", () => {
  const x = torch.tensor([
    [
      [1, NaN],
      [NaN, 2],
    ],
  ]);
  const [y, idx] = F.maxPool2dWithIndices(x, 2);
  assert.ok(Number.isNaN((y.tolist() as number[][][])[0][0][0]));
  assert.deepEqual(idx.tolist(), [[[2]]]);
});
