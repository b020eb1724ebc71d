// tensorgrad (the built dist/). The parent sets TENSORGRAD_BACKEND=js, =native or =wasm for the child;
// with =native, importing tensorgrad fails when the addon is not built.
import * as torch from "../../dist/index.js";
import { SHAPES, randomF32, randomLabels } from "../lib/harness.mjs";

const { nn, optim } = torch;
// Note [browser bench devices]: load("webgpu") (bench/browser/page.mjs) puts every input, label
// and model on torch.device("webgpu"); each step then ends by awaiting the device's queued work
// (torch.webgpu.synchronize(), as a CUDA benchmark synchronizes), so the time is the GPU's.
let device = "cpu";
const onDevice = (t) => (device === "cpu" ? t : t.to(device));
// (a leaf of the given shape, as bench/torch_runner.py makes them: a reshape of a leaf that
// requires grad is a view whose gradient lands on the flat leaf, whose .grad the steps' `x.grad =
// null` never clears, so each backward added into it: 1M-element adds PyTorch's run does not do)
const f32 = (data, shape, requiresGrad = false) =>
  onDevice(torch.tensor(Array.from(data)).reshape(shape)).requiresGrad_(requiresGrad);
const labels = (n, k) =>
  onDevice(torch.tensor(Array.from(randomLabels(n, k)), { dtype: torch.int64 }));
/** A step, awaited to the end of its device work on WebGPU (Note [browser bench devices]). */
const synced = (step) =>
  device === "cpu"
    ? step
    : async () => {
        step();
        await torch.webgpu.synchronize();
      };

function matmul(n) {
  const a = f32(randomF32(n * n, 1, 1), [n, n], true);
  const b = f32(randomF32(n * n, 1, 2), [n, n], true);
  return synced(() => {
    a.grad = null;
    b.grad = null;
    const c = torch.matmul(a, b);
    c.backward(torch.onesLike(c));
  });
}

function train(model, x, y) {
  if (device !== "cpu") model.to(device);
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  return synced(() => {
    opt.zeroGrad();
    const loss = nn.functional.crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
  });
}

async function backendInfo() {
  if (device !== "cpu") return `WebGPU device (${torch.webgpu.adapterInfo() || "adapter"})`;
  const status = torch.backends.native;
  if (status.backend === "wasm") {
    // "SIMD128, 2 threads", without what follows (why the addon did not load)
    return `WebAssembly backend (${status.reason.replace(/^TENSORGRAD_BACKEND=wasm, /, "").split(";")[0]})`;
  }
  return status.active ? `native backend (${status.simd})` : "TypeScript backend";
}

/** examples/gpt's model (bench/torch_runner.py builds the same), dropout 0. */
function gpt() {
  const { layers, heads, width, context, batch, vocab } = SHAPES.gpt;
  torch.manualSeed(0);
  const tok = new nn.Embedding(vocab, width);
  const pos = new nn.Embedding(context, width);
  const blocks = Array.from(
    { length: layers },
    () =>
      new nn.TransformerEncoderLayer(width, heads, 4 * width, 0.0, {
        activation: "gelu",
        batchFirst: true,
        normFirst: true,
      }),
  );
  const lnF = new nn.LayerNorm(width);
  const head = new nn.Linear(width, vocab, { bias: false });
  const model = new nn.ModuleList([tok, pos, ...blocks, lnF, head]);
  const mask = nn.Transformer.generateSquareSubsequentMask(context);
  const positions = torch.arange(context);
  const ids = (seed) =>
    torch.tensor(Array.from(randomLabels(batch * context, vocab, seed)), { dtype: torch.int64 });
  const x = ids(7).reshape([batch, context]);
  const y = ids(8);
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
  return () => {
    opt.zeroGrad();
    let h = tok.forward(x).add(pos.forward(positions));
    for (const b of blocks) h = b.forward(h, mask);
    const logits = head.forward(lnF.forward(h));
    nn.functional.crossEntropy(logits.view(batch * context, vocab), y).backward();
    opt.step();
  };
}

function lstm() {
  const { batch, seq, inp, hidden, layers } = SHAPES.lstm;
  torch.manualSeed(0);
  const model = new nn.LSTM(inp, hidden, { numLayers: layers });
  const x = f32(randomF32(seq * batch * inp), [seq, batch, inp]);
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  return () => {
    opt.zeroGrad();
    const [out] = model.forward(x);
    out.pow(2).mean().backward();
    opt.step();
  };
}

export async function load(variant) {
  device = variant === "webgpu" ? "webgpu" : "cpu";
  return {
    info: await backendInfo(),
    workloads: {
      tiny: () => {
        const x = onDevice(torch.tensor([1, 2, 3, 4])).requiresGrad_();
        return synced(() => x.mul(2).add(1).pow(2).mean().backward());
      },
      poly: () => {
        const x = onDevice(torch.tensor(1.0)).requiresGrad_();
        return synced(() =>
          x.pow(4).add(x.pow(3).mul(3)).add(x.pow(2).mul(3)).add(x.mul(5)).add(1).backward(),
        );
      },
      mlp: () => {
        const { batch, inp, hidden, out } = SHAPES.mlp;
        torch.manualSeed(0);
        const model = new nn.Sequential(
          new nn.Linear(inp, hidden),
          new nn.ReLU(),
          new nn.Linear(hidden, out),
        );
        return train(model, f32(randomF32(batch * inp), [batch, inp]), labels(batch, out));
      },
      matmul256: () => matmul(256),
      matmul512: () => matmul(512),
      matmul1024: () => matmul(1024),
      elementwise: () => {
        const { n } = SHAPES.elementwise;
        const x = f32(randomF32(n, 1, 1), [n]);
        const w = f32(randomF32(n, 1, 2), [n], true);
        const b = f32(randomF32(n, 1, 3), [n], true);
        return synced(() => {
          w.grad = null;
          b.grad = null;
          torch.tanh(x.mul(w).add(b)).pow(2).mean().backward();
        });
      },
      cnn: () => {
        const { batch, channels, side, out } = SHAPES.cnn;
        torch.manualSeed(0);
        const half = (side - 2) >> 1;
        const model = new nn.Sequential(
          new nn.Conv2d(1, channels, 3),
          new nn.ReLU(),
          new nn.MaxPool2d(2),
          new nn.Flatten(),
          new nn.Linear(channels * half * half, out),
        );
        const x = f32(randomF32(batch * side * side), [batch, 1, side, side]);
        return train(model, x, labels(batch, out));
      },
      gpt,
      lstm,
    },
  };
}
