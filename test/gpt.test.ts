/**
 * The GPT example (examples/gpt/model.ts) against the same script in PyTorch 1.13
 * (scripts/fixtures/gpt_fx.py, test/fixtures/gpt.json): with the same seed the model starts
 * with the same parameters (its logits before training match) and 20 training steps (random
 * batches, dropout, AdamW with decay on matrices, cosine schedule, gradient clipping) give the
 * same losses to 1e-4 relative.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as torch from "tensorgrad";
import { CharVocab, GPT, getBatch, makeOptimizer, trainStep } from "../examples/gpt/model.js";
import { readFixture } from "./helpers/fixtures.js";

interface Fixture {
  seed: number;
  vocabSize: number;
  config: { blockSize: number; nLayer: number; nHead: number; nEmbd: number; dropout: number };
  train: {
    batchSize: number;
    lr: number;
    minLr: number;
    weightDecay: number;
    steps: number;
    gradClip: number;
  };
  logits0: number[];
  losses: number[];
}
const fx = readFixture<Fixture>("gpt.json");

test("GPT example: same initial logits and the same 20 training losses as PyTorch", () => {
  const text = readFileSync(new URL("../examples/gpt/shakespeare.txt", import.meta.url), "utf8");
  const vocab = new CharVocab(text);
  assert.equal(vocab.size, fx.vocabSize);
  const data = torch.tensor(vocab.encode(text), { dtype: torch.int64 });
  const train = data.narrow(0, 0, Math.floor(0.9 * data.shape[0]));
  torch.manualSeed(fx.seed);
  const model = new GPT({ vocabSize: vocab.size, ...fx.config });
  const opt = makeOptimizer(model, fx.train);
  const sched = new torch.optim.lrScheduler.CosineAnnealingLR(opt, fx.train.steps, fx.train.minLr);
  model.eval();
  const logits0 = torch.noGrad(() => model.call(train.narrow(0, 0, 16).view(1, 16))[0]);
  model.train();
  const got0 = logits0
    .select(0, 0)
    .narrow(0, 0, 3)
    .narrow(1, 0, 8)
    .reshape(-1)
    .tolist() as number[];
  got0.forEach((v, i) => {
    assert.ok(
      Math.abs(v - fx.logits0[i]) <= 1e-5 + 1e-4 * Math.abs(fx.logits0[i]),
      `logits0[${i}]`,
    );
  });
  fx.losses.forEach((expected, step) => {
    const [x, y] = getBatch(train, fx.train.batchSize, fx.config.blockSize);
    const loss = trainStep(model, opt, sched, x, y, fx.train);
    assert.ok(
      Math.abs(loss - expected) <= 1e-4 * Math.abs(expected),
      `step ${step + 1}: loss ${loss} vs PyTorch ${expected}`,
    );
  });
});
