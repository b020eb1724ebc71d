/**
 * Step-for-step parity with PyTorch: the same small CNN (conv3x3 1->16, ReLU, maxpool 2,
 * linear->10), the same seed, data, default initialisation and shuffled batches (a seeded
 * DataLoader), trained for 50 steps with SGD (momentum) and with Adam; every step's loss agrees
 * with PyTorch's (test/fixtures/parity_cnn.json, scripts/fixtures/layers_fx.py) to 1e-4
 * relative. Initialisation, forward, backward, data order and optimizer all at once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";

const { nn, optim } = torch;
const { DataLoader, TensorDataset } = torch.utils.data;
const fx = JSON.parse(readFileSync(new URL("./fixtures/parity_cnn.json", import.meta.url), "utf8"));

function train(optName: "sgd" | "adam"): { losses: number[]; final: Record<string, number> } {
  torch.manualSeed(0);
  const X = torch.rand(320, 1, 12, 12);
  const Y = torch.randint(0, 10, [320]);
  const model = new nn.Sequential(
    new nn.Conv2d(1, 16, 3),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(16 * 5 * 5, 10),
  );
  const opt =
    optName === "sgd"
      ? new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 })
      : new optim.Adam(model.parameters(), { lr: 0.003 });
  const loader = new DataLoader(new TensorDataset(X, Y), {
    batchSize: 32,
    shuffle: true,
    generator: new torch.Generator().manualSeed(1),
  });
  const losses: number[] = [];
  for (let epoch = 0; epoch < 5; epoch++) {
    for (const [xb, yb] of loader as Iterable<Tensor[]>) {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(model.call(xb) as Tensor, yb);
      loss.backward();
      opt.step();
      losses.push(loss.item() as number);
    }
  }
  const final: Record<string, number> = {};
  for (const [k, v] of Object.entries(model.stateDict())) final[k] = v.sum().item() as number;
  return { losses, final };
}

for (const optName of ["sgd", "adam"] as const) {
  test(`CNN trained with ${optName === "sgd" ? "SGD (momentum 0.9)" : "Adam"}: every step's loss matches PyTorch to 1e-4 relative`, () => {
    const want = fx[optName];
    const { losses, final } = train(optName);
    assert.equal(losses.length, 50);
    losses.forEach((l, i) => {
      const rel = Math.abs(l - want.losses[i]) / Math.abs(want.losses[i]);
      assert.ok(rel < 1e-4, `step ${i}: loss ${l} vs PyTorch ${want.losses[i]} (relative ${rel})`);
    });
    for (const [k, v] of Object.entries(want.final) as [string, number][]) {
      assert.ok(
        Math.abs(final[k] - v) <= 1e-3 * Math.max(1, Math.abs(v)),
        `${k}: ${final[k]} vs ${v}`,
      );
    }
  });
}
