/**
 * Train a small character-level GPT on Shakespeare and sample from it, PyTorch style.
 *
 *   npm run gpt                                   # 4 layers, 4 heads, width 128, context 64
 *   npm run gpt -- --steps 200 --sample-every 100
 *   npm run gpt -- --layers 2 --width 64 --steps 300 --temperature 0.8
 *
 * Options: --steps N (default 500), --batch N (16), --block N (context length, 64),
 * --layers N (4), --heads N (4), --width N (128), --dropout P (0.1), --lr X (1e-3),
 * --eval-every N (100), --sample-every N (250), --sample-len N (300), --temperature X (1.0),
 * --seed N (1337), --text FILE (default: shakespeare.txt beside this file, ~200 KB of the plays,
 * public domain).
 *
 * The model is examples/gpt/model.ts: token + position embeddings, pre-norm
 * TransformerEncoderLayers with a causal mask, GELU MLP, LayerNorm, a linear head. AdamW
 * (weight decay 0.1 on matrices, betas 0.9/0.95), the learning rate annealed from --lr to
 * --lr/10 on a cosine over the run, gradients clipped to norm 1. Each step draws a batch of
 * random windows; a progress bar shows the loss and speed, and every --eval-every steps the
 * mean loss over 20 train and 20 validation batches (90% / 10% split of the text) is printed;
 * samples are drawn with torch.multinomial.
 */
import { readFileSync } from "node:fs";
import * as torch from "tensorgrad";

import { CharVocab, GPT, getBatch, makeOptimizer, trainStep, type TrainConfig } from "./model.js";

type Tensor = torch.Tensor;

function arg(name: string, fallback: number): number;
function arg(name: string, fallback: string): string;
function arg(name: string, fallback: number | string): number | string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  return typeof fallback === "number" ? Number(v) : v;
}

const isTTY = process.stdout.isTTY === true;

/** A one-line progress bar, redrawn in place on a terminal (printed at milestones otherwise). */
function progress(done: number, total: number, stats: string, final: boolean): void {
  if (!isTTY && !final) return;
  const width = 24;
  const filled = Math.round((width * done) / total);
  const bar = "█".repeat(filled) + "░".repeat(width - filled);
  const line = `step ${bar} ${String(done).padStart(String(total).length)}/${total} ${stats}`;
  if (isTTY) process.stdout.write(`\r${line}${final ? "\n" : ""}`);
  else console.log(line);
}

/** Mean loss over `iters` random batches of each split, in eval mode without recording. */
function estimateLoss(
  model: GPT,
  splits: Record<string, Tensor>,
  batch: number,
  block: number,
  iters = 20,
): Record<string, number> {
  model.eval();
  const out: Record<string, number> = {};
  torch.noGrad(() => {
    for (const [name, data] of Object.entries(splits)) {
      let sum = 0;
      for (let i = 0; i < iters; i++) {
        const [x, y] = getBatch(data, batch, block);
        sum += model.call(x, y)[1]?.item() as number;
      }
      out[name] = sum / iters;
    }
  });
  model.train();
  return out;
}

function main(): void {
  const textPath = arg("text", new URL("./shakespeare.txt", import.meta.url).pathname);
  const text = readFileSync(textPath, "utf8");
  const vocab = new CharVocab(text);
  const data = torch.tensor(vocab.encode(text), { dtype: torch.int64 });
  const n = Math.floor(0.9 * data.shape[0]);
  const splits = { train: data.narrow(0, 0, n), val: data.narrow(0, n, data.shape[0] - n) };

  torch.manualSeed(arg("seed", 1337));
  const block = arg("block", 64);
  const model = new GPT({
    vocabSize: vocab.size,
    blockSize: block,
    nLayer: arg("layers", 4),
    nHead: arg("heads", 4),
    nEmbd: arg("width", 128),
    dropout: arg("dropout", 0.1),
  });
  const lr = arg("lr", 1e-3);
  const cfg: TrainConfig = {
    batchSize: arg("batch", 16),
    lr,
    minLr: lr / 10,
    weightDecay: 0.1,
    steps: arg("steps", 500),
    gradClip: 1.0,
  };
  const params = model.parameters().reduce((s, p) => s + p.numel(), 0);
  console.log(
    `${text.length.toLocaleString("en-US")} characters, vocabulary of ${vocab.size}; ` +
      `${params.toLocaleString("en-US")} parameters`,
  );
  const opt = makeOptimizer(model, cfg);
  const sched = new torch.optim.lrScheduler.CosineAnnealingLR(opt, cfg.steps, cfg.minLr);
  const evalEvery = arg("eval-every", 100);
  const sampleEvery = arg("sample-every", 250);
  const sampleLen = arg("sample-len", 300);
  const temperature = arg("temperature", 1.0);

  const sample = (): void => {
    model.eval();
    const start = torch.tensor([vocab.encode("\n")], { dtype: torch.int64 });
    const out = model.generate(start, sampleLen, temperature);
    model.train();
    console.log(`--- sample ---\n${vocab.decode(out.select(0, 0).tolist() as number[])}\n---`);
  };

  const t0 = performance.now();
  let avg = 0;
  for (let step = 1; step <= cfg.steps; step++) {
    const [x, y] = getBatch(splits.train, cfg.batchSize, block);
    const loss = trainStep(model, opt, sched, x, y, cfg);
    avg = step === 1 ? loss : 0.9 * avg + 0.1 * loss;
    const secs = (performance.now() - t0) / 1000;
    const milestone = step % evalEvery === 0 || step === cfg.steps;
    const stats = `loss ${avg.toFixed(4)}  lr ${opt.paramGroups[0].lr.toExponential(2)}  ${((1000 * secs) / step).toFixed(0)} ms/step`;
    progress(step, cfg.steps, stats, milestone);
    if (milestone) {
      const l = estimateLoss(model, splits, cfg.batchSize, block);
      console.log(`step ${step}: train loss ${l.train.toFixed(4)}, val loss ${l.val.toFixed(4)}`);
    }
    if (step % sampleEvery === 0 || step === cfg.steps) sample();
  }
  console.log(`trained ${cfg.steps} steps in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
}

main();
