/**
 * The WebGPU device's cases, shared by test/webgpu.test.ts (Node, the `webgpu` package) and the
 * browser test (headless Chromium's WebGPU): each runs ops on the device and on the CPU and
 * returns both results, which the caller compares within float32 tolerances. No Node
 * built-ins: the browser bundle imports this file.
 */
import * as torch from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

const F = torch.nn.functional;

export interface CaseResult {
  name: string;
  cpu: number[];
  device: number[];
  shapeCpu: number[];
  shapeDevice: number[];
}

const flat = async (t: Tensor): Promise<number[]> =>
  ((await t.cpu()).reshape(-1).tolist() as (number | boolean)[]).map(Number);

/** A case: `f` run on CPU inputs and on their device copies. */
type Case = [name: string, inputs: () => Tensor[], f: (...xs: Tensor[]) => Tensor];

export const CASES: Case[] = [
  ["add broadcast", () => [torch.randn(3, 4), torch.randn(4)], (a, b) => a.add(b)],
  [
    "add alpha",
    () => [torch.randn(2, 3), torch.randn(2, 3)],
    (a, b) => torch.add(a, b, { alpha: 2.5 }),
  ],
  ["sub scalar", () => [torch.randn(5)], (a) => a.sub(1.5)],
  ["mul broadcast", () => [torch.randn(2, 1, 3), torch.randn(4, 1)], (a, b) => a.mul(b)],
  ["div", () => [torch.randn(6), torch.rand(6).add(0.5)], (a, b) => a.div(b)],
  ["rsub-like neg", () => [torch.randn(4)], (a) => a.neg()],
  ["exp", () => [torch.randn(7)], (a) => a.exp()],
  ["log", () => [torch.rand(7).add(0.1)], (a) => a.log()],
  ["sqrt", () => [torch.rand(7)], (a) => a.sqrt()],
  ["tanh", () => [torch.randn(7)], (a) => a.tanh()],
  ["sigmoid", () => [torch.randn(7)], (a) => a.sigmoid()],
  ["relu", () => [torch.randn(9)], (a) => a.relu()],
  ["abs", () => [torch.randn(9)], (a) => a.abs()],
  ["pow 2", () => [torch.randn(5)], (a) => a.pow(2)],
  ["pow 3 negative base", () => [torch.randn(5)], (a) => a.pow(3)],
  ["maximum", () => [torch.randn(3, 3), torch.randn(3)], (a, b) => torch.maximum(a, b)],
  ["gt", () => [torch.randn(3, 3), torch.randn(3, 3)], (a, b) => a.gt(b)],
  [
    "where",
    () => [torch.randn(4), torch.randn(4), torch.randn(4)],
    (c, a, b) => torch.where(c.gt(0), a, b),
  ],
  ["transposed view + add", () => [torch.randn(3, 4), torch.randn(4, 3)], (a, b) => a.t().add(b)],
  ["sum all", () => [torch.randn(5, 6)], (a) => a.sum()],
  ["sum dim keepdim", () => [torch.randn(3, 4, 5)], (a) => a.sum(1, true)],
  ["sum dims", () => [torch.randn(3, 4, 5)], (a) => a.sum([0, 2])],
  ["mean dim", () => [torch.randn(4, 6)], (a) => a.mean(1)],
  ["amax", () => [torch.randn(4, 6)], (a) => a.amax(0)],
  ["max dim values", () => [torch.randn(4, 6)], (a) => a.max(1).values],
  ["max dim indices", () => [torch.randn(4, 6)], (a) => a.max(1).indices],
  ["softmax", () => [torch.randn(3, 5)], (a) => a.softmax(1)],
  ["softmax dim 0", () => [torch.randn(3, 5)], (a) => a.softmax(0)],
  ["log_softmax", () => [torch.randn(3, 5)], (a) => a.logSoftmax(-1)],
  ["mm", () => [torch.randn(5, 7), torch.randn(7, 3)], (a, b) => a.mm(b)],
  ["mm 33x20 @ 20x17 (tiles)", () => [torch.randn(33, 20), torch.randn(20, 17)], (a, b) => a.mm(b)],
  ["matmul transposed", () => [torch.randn(6, 4), torch.randn(5, 4)], (a, b) => a.matmul(b.t())],
  ["bmm", () => [torch.randn(2, 3, 4), torch.randn(2, 4, 5)], (a, b) => torch.bmm(a, b)],
  [
    "matmul broadcast batch",
    () => [torch.randn(2, 1, 3, 4), torch.randn(3, 4, 2)],
    (a, b) => a.matmul(b),
  ],
  ["matmul vector", () => [torch.randn(3, 4), torch.randn(4)], (a, b) => a.matmul(b)],
  [
    "linear",
    () => [torch.randn(4, 3), torch.randn(5, 3), torch.randn(5)],
    (x, w, b) => torch.nn.functional.linear(x, w, b),
  ],
  ["reshape of a transpose", () => [torch.randn(3, 4)], (a) => a.t().reshape(12)],
  [
    "gather",
    () => [
      torch.randn(3, 4),
      torch.tensor(
        [
          [0, 3],
          [1, 1],
          [2, 0],
        ],
        { dtype: torch.int64 },
      ),
    ],
    (a, i) => a.gather(1, i),
  ],
  [
    "index_select",
    () => [torch.randn(4, 3), torch.tensor([3, 0, 0], { dtype: torch.int64 })],
    (a, i) => a.indexSelect(0, i),
  ],
  [
    "scatter_add",
    () => [
      torch.zeros(3, 4),
      torch.tensor(
        [
          [0, 3, 3],
          [1, 1, 0],
        ],
        { dtype: torch.int64 },
      ),
      torch.ones(2, 3),
    ],
    (a, i, s) => a.scatterAdd(1, i, s),
  ],
  [
    "in-place add_ on a view",
    () => [torch.randn(3, 4), torch.randn(4)],
    (a, b) => {
      const c = a.clone();
      c.narrow(0, 1, 1).add_(b);
      return c;
    },
  ],
  [
    "conv2d",
    () => [torch.randn(2, 3, 7, 6), torch.randn(4, 3, 3, 2), torch.randn(4)],
    (x, w, b) => torch.conv2d(x, w, b, 1, 1),
  ],
  [
    "conv2d strided dilated grouped",
    () => [torch.randn(1, 4, 9, 9), torch.randn(6, 2, 3, 3)],
    (x, w) => torch.conv2d(x, w, null, 2, [1, 0], 2, 2),
  ],
  ["max_pool2d", () => [torch.randn(2, 3, 6, 7)], (x) => torch.nn.functional.maxPool2d(x, 2)],
  [
    "max_pool2d stride padding",
    () => [torch.randn(1, 2, 7, 7)],
    (x) => torch.nn.functional.maxPool2d(x, 3, 2, 1),
  ],
  // losses, normalization, scans (Note [device composites] in src/ops/webgpu.ts)
  [
    "cross_entropy",
    () => [torch.randn(5, 4), torch.tensor([0, 3, 1, 1, 2], { dtype: torch.int64 })],
    (x, t) => F.crossEntropy(x, t),
  ],
  [
    "cross_entropy weight ignore_index sum",
    () => [
      torch.randn(5, 4),
      torch.tensor([0, 3, -100, 1, 2], { dtype: torch.int64 }),
      torch.rand(4).add(0.5),
    ],
    (x, t, w) => F.crossEntropy(x, t, { weight: w, reduction: "sum" }),
  ],
  [
    "cross_entropy label_smoothing",
    () => [torch.randn(5, 4), torch.tensor([0, 3, 2, 1, 2], { dtype: torch.int64 })],
    (x, t) => F.crossEntropy(x, t, { labelSmoothing: 0.1 }),
  ],
  [
    "cross_entropy probabilities",
    () => [torch.randn(3, 4), torch.rand(3, 4).softmax(1)],
    (x, t) => F.crossEntropy(x, t),
  ],
  [
    "nll_loss 4-D none",
    () => [
      torch.randn(2, 3, 2, 2).logSoftmax(1),
      torch.tensor([0, 2, 1, 1, 2, 0, 0, 1], { dtype: torch.int64 }).view(2, 2, 2),
    ],
    (x, t) => F.nllLoss(x, t, { reduction: "none" }),
  ],
  [
    "nll_loss weight ignore mean",
    () => [
      torch.randn(4, 3),
      torch.tensor([2, 1, 1, 0], { dtype: torch.int64 }),
      torch.tensor([0.2, 1.5, 0.7]),
    ],
    (x, t, w) => F.nllLoss(x, t, { weight: w, ignoreIndex: 1 }),
  ],
  [
    "nll_loss unbatched",
    () => [torch.randn(4), torch.tensor(2, { dtype: torch.int64 })],
    (x, t) => F.nllLoss(x, t),
  ],
  ["mse_loss", () => [torch.randn(3, 4), torch.randn(3, 4)], (a, b) => F.mseLoss(a, b)],
  [
    "mse_loss none",
    () => [torch.randn(3, 4), torch.randn(3, 4)],
    (a, b) => F.mseLoss(a, b, { reduction: "none" }),
  ],
  ["l1_loss", () => [torch.randn(3, 4), torch.randn(3, 4)], (a, b) => F.l1Loss(a, b)],
  [
    "smooth_l1_loss beta",
    () => [torch.randn(3, 4), torch.randn(3, 4)],
    (a, b) => F.smoothL1Loss(a, b, { beta: 0.5, reduction: "sum" }),
  ],
  ["huber_loss", () => [torch.randn(3, 4).mul(3), torch.randn(3, 4)], (a, b) => F.huberLoss(a, b)],
  [
    "binary_cross_entropy weight",
    () => [torch.rand(3, 4), torch.rand(3, 4), torch.rand(3, 4)],
    (p, t, w) => F.binaryCrossEntropy(p, t, { weight: w }),
  ],
  [
    "binary_cross_entropy_with_logits pos_weight",
    () => [torch.randn(3, 4).mul(4), torch.rand(3, 4), torch.rand(4).add(0.5)],
    (x, t, pw) => F.binaryCrossEntropyWithLogits(x, t, { posWeight: pw }),
  ],
  [
    "binary_cross_entropy_with_logits none",
    () => [torch.randn(3, 4).mul(4), torch.rand(3, 4)],
    (x, t) => F.binaryCrossEntropyWithLogits(x, t, { reduction: "none" }),
  ],
  [
    "layer_norm affine",
    () => [torch.randn(2, 3, 4), torch.randn(3, 4), torch.randn(3, 4)],
    (x, w, b) => F.layerNorm(x, [3, 4], w, b),
  ],
  [
    "batch_norm training (output)",
    () => [torch.randn(4, 3, 2, 2), torch.randn(3), torch.randn(3)],
    (x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }),
  ],
  [
    "batch_norm training (running statistics)",
    () => [torch.randn(4, 3, 5), torch.randn(3), torch.rand(3).add(0.5)],
    (x, rm, rv) => {
      const m = rm.clone();
      const v = rv.clone();
      F.batchNorm(x, m, v, { training: true, momentum: 0.3 });
      return torch.stack([m, v]);
    },
  ],
  [
    "batch_norm eval",
    () => [torch.randn(4, 3), torch.randn(3), torch.rand(3).add(0.5)],
    (x, rm, rv) => F.batchNorm(x, rm, rv),
  ],
  ["cumsum dim 1", () => [torch.randn(3, 5)], (a) => a.cumsum(1)],
  ["cumsum dim 0 of a view", () => [torch.randn(5, 3)], (a) => a.t().cumsum(0)],
  [
    "cumsum int64",
    () => [torch.tensor([3, -1, 4, 1, 5], { dtype: torch.int64 })],
    (a) => a.cumsum(0),
  ],
  ["argmax dim", () => [torch.randn(4, 6)], (a) => a.argmax(1)],
  ["argmax all", () => [torch.randn(4, 6)], (a) => a.argmax()],
  ["argmin dim keepdim", () => [torch.randn(4, 6)], (a) => a.argmin(0, true)],
  ["min dim values", () => [torch.randn(4, 6)], (a) => a.min(1).values],
  [
    "pow tensor tensor (negative bases, integer exponents)",
    () => [torch.randn(6), torch.tensor([0, 1, 2, 3, -1, 0.5])],
    (a, b) => a.pow(b),
  ],
  ["clamp", () => [torch.randn(9)], (a) => a.clamp(-0.5, 0.7)],
  ["log1p", () => [torch.rand(7)], (a) => a.log1p()],
  ["logical_and", () => [torch.randn(6), torch.randn(6)], (a, b) => a.gt(0).logicalAnd(b.gt(0))],
  ["masked_fill", () => [torch.randn(6), torch.randn(6)], (a, m) => a.maskedFill(m.gt(0), 2.5)],
  [
    "zeros_like ones_like",
    () => [torch.randn(2, 3)],
    (a) => torch.onesLike(a).add(torch.zerosLike(a)),
  ],
  ["sum to float of bool", () => [torch.randn(8)], (a) => a.gt(0).sum()],
  ["to float64 on device", () => [torch.randn(4)], (a) => a.to(torch.float64).mul(2)],
  // gelu over the tails too (Note [webgpu erfc]: Phi's relative accuracy for x << 0)
  ["gelu", () => [torch.randn(4, 5).mul(4)], (a) => F.gelu(a)],
  ["gelu tails", () => [torch.linspace(-12, 12, 25)], (a) => F.gelu(a)],
  ["gelu tanh", () => [torch.randn(4, 5).mul(4)], (a) => F.gelu(a, { approximate: "tanh" })],
  [
    "gelu tanh tails",
    () => [torch.linspace(-40, 40, 17)],
    (a) => F.gelu(a, { approximate: "tanh" }),
  ],
  ["gelu of a transposed view", () => [torch.randn(3, 4)], (a) => F.gelu(a.t())],
  [
    "embedding",
    () => [
      torch.tensor(
        [
          [0, 3, 3],
          [4, 1, 0],
        ],
        { dtype: torch.int64 },
      ),
      torch.randn(5, 4),
    ],
    (i, w) => F.embedding(i, w),
  ],
  [
    "embedding padding_idx, int32 indices, a view of the weight",
    () => [torch.tensor([2, 0, 2, 1], { dtype: torch.int32 }), torch.randn(4, 3)],
    (i, w) => F.embedding(i, w.t(), { paddingIdx: -1 }),
  ],
  ["var", () => [torch.randn(4, 6)], (a) => a.var()],
  ["var dim", () => [torch.randn(4, 6, 3)], (a) => a.var(1)],
  [
    "var dims correction keepdim",
    () => [torch.randn(4, 6, 3)],
    (a) => a.var([0, 2], { correction: 2, keepdim: true }),
  ],
  ["var unbiased=False", () => [torch.randn(5, 3)], (a) => a.var(0, false)],
  ["std", () => [torch.randn(4, 6)], (a) => a.std()],
  ["std dim keepdim", () => [torch.randn(4, 6).t()], (a) => a.std(0, true, true)],
  ["std correction 0", () => [torch.randn(2, 7)], (a) => a.std(-1, { correction: 0 })],
];

/** Runs every case on both devices (inputs drawn once, seeded). */
export async function runCases(): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const [name, inputs, f] of CASES) {
    torch.manualSeed(0);
    const xs = inputs();
    const cpu = f(...xs);
    const dev = f(...xs.map((x) => x.to("webgpu")));
    out.push({
      name,
      cpu: await flat(cpu),
      device: await flat(dev),
      shapeCpu: cpu.shape,
      shapeDevice: dev.shape,
    });
  }
  return out;
}

/** Gradients of a small graph on both devices: [name, cpu grad, device grad]. */
export async function runGradCases(): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  const graphs: [string, (x: Tensor, w: Tensor) => Tensor][] = [
    ["mm relu sum", (x, w) => x.mm(w).relu().sum()],
    ["softmax weighted", (x, w) => x.mm(w).softmax(1).mul(torch.arange(3).to(x.device)).sum()],
    [
      "conv2d maxpool",
      (x, w) =>
        torch.nn.functional
          .maxPool2d(
            torch.conv2d(x.view(1, 1, 4, 5), w.view(3, 1, 5, 1).narrow(2, 0, 2), null, 1, 1),
            2,
          )
          .pow(2)
          .sum(),
    ],
    [
      "narrow select index backward",
      (x, w) =>
        x
          .narrow(1, 1, 3)
          .mul(w.select(1, 0).narrow(0, 0, 3))
          .sum()
          .add(x.index(0, ":").sum()),
    ],
    ["log_softmax mean", (x, w) => x.mm(w).logSoftmax(1).mean()],
    [
      "tanh sigmoid broadcast pow",
      (x, w) => x.tanh().sum(0).unsqueeze(1).mul(w.sigmoid()).pow(2).mean(),
    ],
    ["pow 3 sqrt", (x, w) => x.abs().add(1).sqrt().pow(3).sum().mul(w.pow(2).sum())],
    ["exp div", (x, w) => x.exp().div(x.abs().add(1)).sum(1).sum().mul(w.sum())],
    [
      "cross_entropy weight ignore_index",
      (x, w) =>
        F.crossEntropy(
          x.mm(w),
          torch.tensor([2, -100, 0, 1], { dtype: torch.int64 }).to(x.device),
          {
            weight: w.sum(0).abs(),
          },
        ),
    ],
    [
      "cross_entropy label_smoothing",
      (x, w) =>
        F.crossEntropy(x.mm(w), torch.tensor([2, 1, 0, 1], { dtype: torch.int64 }).to(x.device), {
          labelSmoothing: 0.2,
        }),
    ],
    ["mse_loss", (x, w) => F.mseLoss(x.mm(w), x.narrow(1, 0, 3).mul(2))],
    ["smooth_l1_loss", (x, w) => F.smoothL1Loss(x.mm(w), x.narrow(1, 1, 3), { beta: 0.7 })],
    [
      "binary_cross_entropy",
      (x, w) => F.binaryCrossEntropy(x.mm(w).sigmoid(), x.narrow(1, 0, 3).sigmoid()),
    ],
    [
      "binary_cross_entropy_with_logits pos_weight",
      (x, w) =>
        F.binaryCrossEntropyWithLogits(x.mm(w), x.narrow(1, 0, 3).sigmoid(), {
          posWeight: w.sum(0).abs(),
        }),
    ],
    [
      "layer_norm affine",
      (x, w) =>
        F.layerNorm(x, [5], w.sum(1), w.narrow(1, 0, 1).view(-1))
          .pow(3)
          .sum(),
    ],
    [
      "batch_norm training",
      (x, w) =>
        F.batchNorm(x.view(2, 2, 5), null, null, {
          weight: w.narrow(0, 0, 2).sum(1),
          training: true,
        })
          .pow(3)
          .sum(),
    ],
    ["cumsum", (x, w) => x.cumsum(1).mul(x.mm(w).cumsum(0).sum(1, true)).sum()],
    ["max dim", (x, w) => x.max(1).values.sum().add(x.mm(w).min(0).values.pow(2).sum())],
    [
      "pow tensor tensor",
      (x, w) =>
        x
          .abs()
          .add(0.5)
          .pow(x.mm(w).narrow(1, 0, 1).tanh())
          .sum(),
    ],
    ["clamp", (x, w) => x.mm(w).clamp(-0.5, 0.5).mul(x.sum(1, true)).sum()],
    [
      "gelu",
      (x, w) =>
        F.gelu(x.mul(2).mm(w))
          .mul(x.narrow(1, 0, 3))
          .sum(),
    ],
    [
      "gelu tanh",
      (x, w) =>
        F.gelu(x.mul(2).mm(w), { approximate: "tanh" })
          .mul(x.narrow(1, 0, 3))
          .sum(),
    ],
    [
      "embedding padding_idx",
      (x, w) =>
        F.embedding(
          torch
            .tensor(
              [
                [0, 2, 4],
                [2, 2, 1],
              ],
              { dtype: torch.int64 },
            )
            .to(x.device),
          w,
          {
            paddingIdx: 1,
          },
        )
          .mul(x.narrow(0, 0, 2).narrow(1, 0, 3).unsqueeze(2))
          .pow(2)
          .sum(),
    ],
    [
      "embedding scale_grad_by_freq",
      (x, w) =>
        F.embedding(torch.tensor([3, 0, 3, 3, 1], { dtype: torch.int64 }).to(x.device), w, {
          scaleGradByFreq: true,
        })
          .mul(x.t().narrow(1, 0, 3))
          .pow(2)
          .sum(),
    ],
    ["var", (x, w) => x.mm(w).var(0).mul(w.sum(0)).sum().add(x.var())],
    [
      "std correction keepdim",
      (x, w) =>
        x
          .mm(w)
          .std(1, { correction: 0, keepdim: true })
          .mul(x.narrow(1, 0, 1))
          .sum()
          .add(w.std()),
    ],
  ];
  for (const [name, g] of graphs) {
    torch.manualSeed(1);
    const x0 = torch.randn(4, 5);
    const w0 = torch.randn(5, 3);
    const run = async (dev: "cpu" | "webgpu"): Promise<number[]> => {
      const x = (dev === "cpu" ? x0.clone() : x0.to("webgpu")).requiresGrad_();
      const w = (dev === "cpu" ? w0.clone() : w0.to("webgpu")).requiresGrad_();
      g(x, w).backward();
      return [...(await flat(x.grad!)), ...(await flat(w.grad!))];
    };
    const cpu = await run("cpu");
    const device = await run("webgpu");
    out.push({ name, cpu, device, shapeCpu: [cpu.length], shapeDevice: [device.length] });
  }
  return out;
}

/**
 * A small MLP (Linear-ReLU-Linear, MSE) trained for a few SGD steps on each device from the
 * same initial weights: the losses per step and the final weights.
 */
export async function runMlp(
  makeOpt: (ps: Tensor[]) => torch.optim.Optimizer = (ps) =>
    new torch.optim.SGD(ps, { lr: 0.1, momentum: 0.9 }),
): Promise<{ cpu: number[]; device: number[] }> {
  const train = async (dev: "cpu" | "webgpu"): Promise<number[]> => {
    torch.manualSeed(0);
    const model = new torch.nn.Sequential(
      new torch.nn.Linear(4, 16),
      new torch.nn.ReLU(),
      new torch.nn.Linear(16, 2),
    );
    const x = torch.randn(32, 4);
    const y = x
      .narrow(1, 0, 2)
      .mul(x.narrow(1, 2, 2))
      .tanh();
    if (dev === "webgpu") model.to("webgpu");
    const xd = x.to(dev === "webgpu" ? "webgpu" : "cpu");
    const yd = y.to(dev === "webgpu" ? "webgpu" : "cpu");
    const opt = makeOpt(model.parameters());
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      opt.zeroGrad();
      const d = (model.call(xd) as Tensor).sub(yd);
      const loss = d.mul(d).mean();
      loss.backward();
      opt.step();
      losses.push(...(await flat(loss)));
    }
    const ws: number[] = [];
    for (const p of model.parameters()) ws.push(...(await flat(p)));
    return [...losses, ...ws];
  };
  return { cpu: await train("cpu"), device: await train("webgpu") };
}

/** The optimizers whose steps run on the device, each as runMlp trains with it. */
export const OPTIMIZERS: [string, (ps: Tensor[]) => torch.optim.Optimizer][] = [
  ["SGD momentum", (ps) => new torch.optim.SGD(ps, { lr: 0.1, momentum: 0.9 })],
  [
    "SGD nesterov weight_decay",
    (ps) => new torch.optim.SGD(ps, { lr: 0.1, momentum: 0.5, nesterov: true, weightDecay: 0.01 }),
  ],
  ["Adam", (ps) => new torch.optim.Adam(ps, { lr: 0.01 })],
  [
    "Adam weight_decay amsgrad",
    (ps) => new torch.optim.Adam(ps, { lr: 0.01, weightDecay: 0.1, amsgrad: true }),
  ],
  ["AdamW", (ps) => new torch.optim.AdamW(ps, { lr: 0.01 })],
  [
    "AdamW maximize",
    (ps) => new torch.optim.AdamW(ps, { lr: 0.01, maximize: true, weightDecay: 0.05 }),
  ],
];
