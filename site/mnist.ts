/**
 * The MNIST page: examples/mnist's CNN (conv3x3 1->16, ReLU, maxpool 2, linear -> 10) trained
 * in the page with Adam on the `mnist` package's 10,000 digits (split 8,000 / 2,000 as
 * examples/mnist/data.ts splits them), with a live plot of the loss and the accuracy, on the
 * backend chosen in the selector (Note [site backends]).
 */
import * as torch from "tensorgrad";

import { detectBackends, readScalar, toDevice, useBackend, type BackendId } from "./backends.js";

const { nn, optim } = torch;
type Tensor = torch.Tensor;

/** One point of the plot. */
export interface Point {
  step: number;
  loss: number;
  /** the batch's accuracy */
  acc: number;
}

/** What a run did (also `globalThis.siteMnist.last`, read by test/site.test.ts). */
export interface Summary {
  backend: BackendId;
  steps: number;
  history: Point[];
  /** accuracy on the 2,000 test digits (or the part evaluated), by step */
  tests: { step: number; acc: number }[];
  msPerStep: number;
  stopped: boolean;
}

interface Digits {
  train: { images: Tensor; labels: Tensor };
  test: { images: Tensor; labels: Tensor };
}

/** The digits scripts/build-site.ts wrote (uint8 pixels, uint8 labels), split as in Node. */
async function loadDigits(): Promise<Digits> {
  const [pixels, labels] = await Promise.all(
    ["data/mnist-images.bin", "data/mnist-labels.bin"].map(async (f) => {
      const r = await fetch(f);
      if (!r.ok) throw new Error(`${f}: ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    }),
  );
  const n = labels.length;
  const images = torch
    .tensor(Float32Array.from(pixels, (p) => p / 255))
    .reshape([n, 1, 28, 28])
    // torchvision's Normalize((0.1307,), (0.3081,)): MNIST's pixel mean and standard deviation
    .sub(0.1307)
    .div(0.3081);
  const y = torch.tensor(Array.from(labels), { dtype: torch.int64 });
  const test = Math.round(n / 5);
  const [trainSet, testSet] = torch.utils.data.randomSplit(
    new torch.utils.data.TensorDataset(images, y),
    [n - test, test],
    new torch.Generator().manualSeed(0),
  );
  const take = (s: torch.utils.data.Subset<Tensor[]>) => {
    const idx = torch.tensor(s.indices.slice(), { dtype: torch.int64 });
    return { images: images.indexSelect(0, idx), labels: y.indexSelect(0, idx) };
  };
  return { train: take(trainSet), test: take(testSet) };
}

function cnn(): torch.nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(16 * 13 * 13, 10),
  );
}

/** Loss (left axis) and accuracy (right axis, 0-100%) against the step. */
function plot(canvas: HTMLCanvasElement, s: Summary, total: number): void {
  const g = canvas.getContext("2d");
  if (g === null) return;
  const w = canvas.width;
  const h = canvas.height;
  const pad = { l: 44, r: 44, t: 12, b: 26 };
  g.clearRect(0, 0, w, h);
  g.font = "11px sans-serif";
  g.strokeStyle = "#ccc";
  g.strokeRect(pad.l, pad.t, w - pad.l - pad.r, h - pad.t - pad.b);
  const maxLoss = Math.max(2.5, ...s.history.map((p) => p.loss));
  const x = (step: number) => pad.l + ((w - pad.l - pad.r) * step) / Math.max(1, total);
  const yLoss = (v: number) => pad.t + (h - pad.t - pad.b) * (1 - v / maxLoss);
  const yAcc = (v: number) => pad.t + (h - pad.t - pad.b) * (1 - v);
  g.fillStyle = "#555";
  g.textAlign = "right";
  for (const v of [0, maxLoss / 2, maxLoss]) g.fillText(v.toFixed(1), pad.l - 4, yLoss(v) + 4);
  g.textAlign = "left";
  for (const v of [0, 0.5, 1]) g.fillText(`${v * 100}%`, w - pad.r + 4, yAcc(v) + 4);
  g.textAlign = "center";
  g.fillText(`step (of ${total})`, w / 2, h - 6);
  const line = (color: string, ys: (p: Point) => number) => {
    g.strokeStyle = color;
    g.lineWidth = 1.5;
    g.beginPath();
    s.history.forEach((p, i) =>
      i === 0 ? g.moveTo(x(p.step), ys(p)) : g.lineTo(x(p.step), ys(p)),
    );
    g.stroke();
  };
  line("#1f77b4", (p) => yLoss(p.loss));
  line("#ff7f0e", (p) => yAcc(p.acc));
  g.fillStyle = "#2ca02c";
  for (const t of s.tests) {
    g.beginPath();
    g.arc(x(t.step), yAcc(t.acc), 4, 0, 2 * Math.PI);
    g.fill();
  }
}

let stopRequested = false;
let digits: Promise<Digits> | null = null;

/** Accuracy on the first `n` test digits, in eval mode without recording. */
async function testAccuracy(model: torch.nn.Module, d: Digits, n: number, device: string) {
  model.eval();
  let correct = 0;
  for (let i = 0; i < n; i += 500) {
    const len = Math.min(500, n - i);
    const c = torch.noGrad(() => {
      const logits = model.call(toDevice(d.test.images.narrow(0, i, len), device)) as Tensor;
      return logits
        .argmax(1)
        .eq(toDevice(d.test.labels.narrow(0, i, len), device))
        .sum();
    });
    correct += await readScalar(c);
  }
  model.train();
  return correct / n;
}

/**
 * Train for `steps` batches of `batchSize` (Adam, lr 2e-3, as `npm run mnist` trains the CNN),
 * calling `onStep` after each; evaluates on `testSize` test digits every `evalEvery` steps and
 * at the end.
 */
export async function train(
  opts: {
    steps?: number;
    batchSize?: number;
    backend?: BackendId;
    evalEvery?: number;
    testSize?: number;
    onStep?: (s: Summary) => void;
  } = {},
): Promise<Summary> {
  const { steps = 125, batchSize = 64, backend = "typescript", evalEvery = 50 } = opts;
  const testSize = opts.testSize ?? 2000;
  stopRequested = false;
  const device = useBackend(backend);
  digits ??= loadDigits();
  const d = await digits;
  torch.manualSeed(0);
  const model = toDevice(cnn(), device);
  const opt = new optim.Adam(model.parameters(), { lr: 2e-3 });
  const gen = new torch.Generator().manualSeed(0);
  const n = d.train.images.shape[0];
  const summary: Summary = {
    backend,
    steps: 0,
    history: [],
    tests: [],
    msPerStep: 0,
    stopped: false,
  };
  let order = torch.randperm(n, { generator: gen });
  let at = 0;
  let busy = 0;
  for (let step = 1; step <= steps; step++) {
    if (stopRequested) {
      summary.stopped = true;
      break;
    }
    if (at + batchSize > n) {
      order = torch.randperm(n, { generator: gen });
      at = 0;
    }
    const t0 = performance.now();
    const idx = order.narrow(0, at, batchSize);
    at += batchSize;
    const x = toDevice(d.train.images.indexSelect(0, idx), device);
    const y = toDevice(d.train.labels.indexSelect(0, idx), device);
    opt.zeroGrad();
    const logits = model.call(x) as Tensor;
    const loss = nn.functional.crossEntropy(logits, y);
    loss.backward();
    opt.step();
    const lossValue = await readScalar(loss);
    const correct = await readScalar(torch.noGrad(() => logits.argmax(1).eq(y).sum()));
    busy += performance.now() - t0;
    summary.steps = step;
    summary.msPerStep = busy / step;
    summary.history.push({ step, loss: lossValue, acc: correct / batchSize });
    if (step % evalEvery === 0 || step === steps)
      summary.tests.push({ step, acc: await testAccuracy(model, d, testSize, device) });
    opts.onStep?.(summary);
    // let the page draw
    await new Promise((r) => setTimeout(r, 0));
  }
  return summary;
}

async function main(): Promise<void> {
  const select = document.getElementById("backend") as HTMLSelectElement;
  const status = document.getElementById("status")!;
  const canvas = document.getElementById("plot") as HTMLCanvasElement;
  const start = document.getElementById("start") as HTMLButtonElement;
  const stop = document.getElementById("stop") as HTMLButtonElement;
  const stepsInput = document.getElementById("steps") as HTMLInputElement;
  for (const b of await detectBackends()) {
    const o = document.createElement("option");
    o.value = b.id;
    o.textContent = b.available ? b.label : `${b.label} (not available)`;
    o.title = b.detail;
    o.disabled = !b.available;
    select.append(o);
    if (b.active) select.value = b.id;
  }
  const api = { train, last: null as Summary | null, stop: () => (stopRequested = true) };
  (globalThis as { siteMnist?: typeof api }).siteMnist = api;
  stop.onclick = () => api.stop();
  start.onclick = async () => {
    start.disabled = true;
    document.body.dataset.state = "training";
    const total = Number(stepsInput.value) || 125;
    status.textContent = "loading the digits…";
    try {
      api.last = await train({
        steps: total,
        // mnist.html?test=N: evaluate on the first N test digits (the tests keep it short)
        testSize: Number(new URLSearchParams(location.search).get("test") ?? "") || 2000,
        backend: select.value as BackendId,
        onStep: (s) => {
          plot(canvas, s, total);
          const p = s.history[s.history.length - 1];
          const t = s.tests[s.tests.length - 1];
          status.textContent =
            `step ${s.steps}/${total}  loss ${p.loss.toFixed(4)}  batch accuracy ${(100 * p.acc).toFixed(1)}%` +
            (t === undefined
              ? ""
              : `  test accuracy ${(100 * t.acc).toFixed(2)}% (step ${t.step})`) +
            `  ${s.msPerStep.toFixed(0)} ms/step`;
        },
      });
    } catch (e) {
      status.textContent = `${(e as Error).name}: ${(e as Error).message}`;
    }
    start.disabled = false;
    document.body.dataset.state = "done";
  };
  document.body.dataset.ready = "true";
}

void main();
