/**
 * Note [released gradients] (src/autograd/engine.ts): in a plain backward the engine hands the
 * pool buffers of gradients only it can reach back to the native pool as soon as they are
 * consumed. Every gradient user code can see (hooks, retainGrad, custom functions, saved-tensor
 * hooks, `.grad`) must keep its values, and the gradients must equal those of a run that
 * releases nothing (autograd.grad with `inputs`, createGraph). Tensors here are 256 x 256
 * float32 (256 KB), above the pool's 64 KB threshold.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { nativeAddon } from "../src/backend/native.js";
import { filled, skip } from "./helpers/native.js";
import { poolBuffersReleased } from "../src/backend/buffers.js";
import { firstGradientCopies } from "../src/autograd/grad-accumulation.js";

const N = 256;
const poolSkip = skip !== false ? skip : nativeAddon?.releaseBuffer ? false : "no buffer pool";

const data = (seed: number): Tensor =>
  torch
    .tensor(Array.from(filled(Float32Array, N * N, seed)), { requiresGrad: true })
    .reshape([N, N]);
const leaf = (seed: number): Tensor => data(seed).detach().requiresGrad_();

/** A graph whose gradients meet (x is used three times), with views and a matrix product. */
function graph(x: Tensor, w: Tensor): Tensor {
  const h = x.matmul(w).tanh();
  const v = h.t().reshape([N, N]).mul(x);
  return v.add(x.exp()).sigmoid().mul(h).sum();
}

/** The gradients of `graph` by autograd.grad with `inputs`: a run that releases nothing. */
function reference(x: Tensor, w: Tensor): Tensor[] {
  return torch.autograd.grad(graph(x, w), [x, w]) as Tensor[];
}

const same = (a: Tensor, b: Tensor, what: string): void => {
  assert.equal(a.typedArray.length, b.typedArray.length, `${what}: storage length`);
  assert.deepEqual(Array.from(a.flatten().typedArray), Array.from(b.flatten().typedArray), what);
};

test("backward gives the gradients of a run that releases nothing", () => {
  const x = leaf(1);
  const w = leaf(2);
  const [gx, gw] = reference(x, w);
  graph(x, w).backward();
  same(x.grad!, gx, "x.grad");
  same(w.grad!, gw, "w.grad");
  // a second backward accumulates into .grad
  graph(x, w).backward();
  same(x.grad!, gx.mul(2), "x.grad after two");
  // createGraph (nothing released) agrees
  const x2 = leaf(1);
  const w2 = leaf(2);
  graph(x2, w2).backward(null, { createGraph: true });
  same(x2.grad!.detach(), gx, "x.grad under createGraph");
});

test(
  "the consumed gradients' buffers go back to the pool during backward",
  { skip: poolSkip },
  () => {
    // a chain of 20 ops: each one's incoming gradient is dead once it ran (the first tanh's
    // too: its input is large, `largeInput`), and the last result becomes x.grad (Note
    // [counted stolen gradients]): 19
    const chain = (x: Tensor): Tensor => {
      let h = x;
      for (let i = 0; i < 20; i++) h = h.tanh();
      return h.sum();
    };
    const x = leaf(3);
    let before = poolBuffersReleased();
    chain(x).backward();
    assert.ok(poolBuffersReleased() - before >= 19, `released ${poolBuffersReleased() - before}`);
    const gx = x.grad!.clone();
    // runs that hand gradients to user code or record them release nothing
    before = poolBuffersReleased();
    const [g] = torch.autograd.grad(chain(x), [x]) as Tensor[];
    x.grad = null;
    chain(x).backward(null, { createGraph: true });
    assert.equal(poolBuffersReleased(), before);
    same(g, gx, "autograd.grad");
    same(x.grad!.detach(), gx, "createGraph");
  },
);

test("gradients seen by hooks and retainGrad keep their values", () => {
  const x = leaf(5);
  const w = leaf(6);
  const [gx] = reference(x, w);
  const seen: Tensor[] = [];
  const h = x.matmul(w);
  h.registerHook((g) => void seen.push(g));
  h.retainGrad();
  const t = h.tanh();
  t.gradFn!.registerHook((gi, go) => {
    seen.push(gi[0]!, go[0]!);
  });
  const v = t.t().reshape([N, N]).mul(x);
  v.add(x.exp()).sigmoid().mul(t).sum().backward();
  same(x.grad!, gx, "x.grad");
  // the hook's gradient and the retained one are the same values, still readable
  same(seen[0], h.grad!, "tensor hook vs retained");
  for (const [i, s] of seen.entries()) assert.equal(s.typedArray.length, N * N, `seen ${i}`);
});

test("a leaf's tensor hook keeps the gradient it saw", () => {
  const x = leaf(11);
  const kept: Tensor[] = [];
  x.registerHook((g) => void kept.push(g));
  x.tanh().exp().sum().backward();
  assert.equal(kept.length, 1);
  same(kept[0], x.grad!, "hooked gradient");
});

test("a custom Function that keeps its gradient sees it intact", () => {
  const kept: Tensor[] = [];
  class Keep extends torch.autograd.Function {
    static override forward(_ctx: unknown, x: Tensor): Tensor {
      return x.mul(1);
    }
    static override backward(_ctx: unknown, g: Tensor): Tensor {
      // kept and handed on as is: the next node's formula consumes the very same buffer
      kept.push(g);
      return g;
    }
  }
  const x = leaf(7);
  const w = leaf(8);
  const y = (Keep.apply(x.matmul(w)) as Tensor).tanh().mul(x).sum();
  y.backward();
  const x2 = leaf(7);
  const w2 = leaf(8);
  const h2 = x2.matmul(w2);
  const [g] = torch.autograd.grad(h2.tanh().mul(x2).sum(), [h2]) as Tensor[];
  same(kept[0], g, "kept gradient");
});

test("tensors kept by saved-tensor hooks stay intact", () => {
  const packed: Tensor[] = [];
  const x = leaf(9);
  const w = leaf(10);
  const loss = torch.autograd.graph.savedTensorsHooks(
    (t: Tensor) => t,
    (t: Tensor) => {
      const c = t.clone();
      packed.push(c);
      return c;
    },
    () => graph(x, w),
  );
  loss.backward();
  const [gx] = reference(x, w);
  same(x.grad!, gx, "x.grad");
  for (const [i, p] of packed.entries()) assert.equal(p.typedArray.length, p.numel(), `kept ${i}`);
});

/**
 * Note [released temporaries] (src/autograd/temporaries.ts): multi-head attention hands its
 * unsaved intermediates back to the pool when it returns. Its outputs, weights and gradients
 * must equal a run under identity saved-tensor hooks, which releases nothing.
 */
test("attention's released temporaries change no output or gradient", () => {
  const run = (hooked: boolean, needWeights: boolean, grad: boolean) => {
    torch.manualSeed(0);
    const mha = new torch.nn.MultiheadAttention(64, 4);
    // [L, N, E] = [64, 8, 64]: the packed projection is 393 KB, the scores 512 KB
    const x = torch.randn([64, 8, 64], { requiresGrad: grad });
    const mask = torch.nn.Transformer.generateSquareSubsequentMask(64);
    const before = poolBuffersReleased();
    const f = () => mha.forward(x, x, x, { attnMask: mask, needWeights });
    const [out, w] = !grad
      ? torch.noGrad(f)
      : hooked
        ? torch.autograd.graph.savedTensorsHooks(
            (t: Tensor) => t,
            (t: Tensor) => t,
            f,
          )
        : f();
    const released = poolBuffersReleased() - before;
    if (grad)
      out
        .pow(2)
        .sum()
        .add(w === null ? 0 : w.sum())
        .backward();
    const grads = grad ? [x.grad!, ...mha.parameters().map((p) => p.grad!)] : [];
    return { out, w, grads, released };
  };
  for (const needWeights of [false, true]) {
    const ref = run(true, needWeights, true);
    const got = run(false, needWeights, true);
    same(got.out, ref.out, "output");
    if (needWeights) same(got.w!, ref.w!, "weights");
    ref.grads.forEach((g, i) => same(got.grads[i], g, `gradient ${i}`));
    const inference = run(false, needWeights, false);
    same(inference.out, ref.out, "output without grad");
    assert.equal(ref.released, 0, "under saved-tensor hooks");
    if (poolSkip === false) {
      assert.ok(got.released >= 4, `released ${got.released}`);
      assert.ok(inference.released > got.released, `no grad: ${inference.released}`);
    }
  }
});

/**
 * Note [released saved temporaries] (src/autograd/temporaries.ts): the intermediates attention
 * and a transformer layer made and only their nodes saved go back to the pool when backward
 * frees the graph. Outputs and gradients must equal a run under identity saved-tensor hooks
 * (nothing released), a second backward after retainGraph must still work, and a tensor user
 * code saw (a forward hook on a sublayer) must keep its values.
 */
/** The distinct pool-sized buffers the saved variables of `t`'s graph hold. */
function savedBuffers(t: Tensor): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const stack = t.gradFn === null ? [] : [t.gradFn];
  const seen = new Set<unknown>();
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const v of n.savedVariables()) {
      const h = v.held;
      if (h instanceof torch.Tensor && h.typedArray.byteLength >= 65536)
        out.add(h.typedArray.buffer as ArrayBuffer);
    }
    for (const [next] of n.nextFunctions) if (next !== null) stack.push(next);
  }
  return [...out];
}

const LAYER_CASES = [
  { normFirst: true, batchFirst: true, activation: "gelu" },
  { normFirst: false, batchFirst: false, activation: "relu" },
  { normFirst: true, batchFirst: false, activation: "relu" },
] as const;

for (const c of LAYER_CASES) {
  test(`a transformer layer's saved temporaries go back after backward (${JSON.stringify(c)})`, () => {
    const run = (mode: "hooked" | "plain" | "retain" | "userHook") => {
      torch.manualSeed(0);
      const layer = new torch.nn.TransformerEncoderLayer(64, 4, 128, 0.0, c);
      // [64, 8, 64] (or batch first [8, 64, 64]) float32 activations: 128 KB, above the
      // pool's threshold
      const x = torch.randn(c.batchFirst ? [8, 64, 64] : [64, 8, 64], { requiresGrad: true });
      const mask = torch.nn.Transformer.generateSquareSubsequentMask(64);
      let seen: Tensor | null = null;
      if (mode === "userHook")
        layer.linear1.registerForwardHook((_m, _a, out) => void (seen = out as Tensor));
      const f = () => layer.forward(x, mask);
      const out =
        mode === "hooked"
          ? torch.autograd.graph.savedTensorsHooks(
              (t: Tensor) => t,
              (t: Tensor) => t,
              f,
            )
          : f();
      const seenCopy = seen === null ? null : (seen as Tensor).clone();
      const saved = savedBuffers(out);
      const loss = out.pow(2).sum();
      if (mode === "retain") {
        loss.backward(null, { retainGraph: true });
        loss.backward();
      } else loss.backward();
      const released = saved.filter((b) => b.byteLength === 0).length;
      if (seen !== null) same(seen, seenCopy!, "a hooked sublayer's output");
      const grads = [x.grad!, ...layer.parameters().map((p) => p.grad!)];
      return { out, grads, released };
    };
    const ref = run("hooked");
    for (const mode of ["plain", "retain", "userHook"] as const) {
      const got = run(mode);
      same(got.out, ref.out, `${mode}: output`);
      ref.grads.forEach((g, i) =>
        same(got.grads[i], mode === "retain" ? g.mul(2) : g, `${mode}: gradient ${i}`),
      );
      // the saved intermediates released: attention's heads, weights and projections, the
      // layer's normalised input and its MLP's hidden activations; none under saved-tensor
      // hooks, and not the linear1 output a forward hook saw
      assert.equal(ref.released, 0, "under saved-tensor hooks");
      if (poolSkip === false && mode !== "userHook")
        assert.ok(got.released >= 8, `${mode}: released ${got.released}`);
    }
  });
}

test(
  "a leaf gradient only the engine's count holds becomes .grad without a copy",
  { skip: poolSkip },
  () => {
    // Note [counted stolen gradients]: tanh(x*w+b)^2 (bench/browser.mjs's chain): b's
    // gradient is AddBackward's input gradient (also handed to MulBackward, which has run by
    // the commit), w's is MulBackward's product; both were copied before
    const x = leaf(1);
    const w = leaf(2);
    const b = leaf(3);
    const chain = (): Tensor => torch.tanh(x.mul(w).add(b)).pow(2).mean();
    const [gw, gb] = torch.autograd.grad(chain(), [w, b]) as Tensor[];
    const before = firstGradientCopies();
    const released = poolBuffersReleased();
    chain().backward();
    assert.equal(firstGradientCopies() - before, 0, "first gradients copied");
    // pow's backward (the first formula: its incoming gradient is mean's expanded scalar) made
    // a pool buffer that tanh's backward consumed
    assert.ok(poolBuffersReleased() - released >= 1, "pow's gradient released");
    same(w.grad!, gw, "w.grad");
    same(b.grad!, gb, "b.grad");
    // the taken buffers are the leaves' now: another step (which releases and reuses pool
    // buffers) leaves them as they were
    const [w1, b1] = [w.grad!, b.grad!];
    w.grad = null;
    b.grad = null;
    chain().backward();
    same(w1, gw, "the first w.grad after another step");
    same(b1, gb, "the first b.grad after another step");
    same(w.grad!, gw, "w.grad of the second step");
    assert.notEqual(w.grad!.typedArray.buffer, b.grad!.typedArray.buffer);
  },
);

test("two leaves handed one gradient tensor copy it: their .grad never share storage", () => {
  // AddBackward hands tanh's input gradient to both leaves: a count of two, so each copies
  // (PyTorch clones while the use count is above one)
  const a = leaf(1);
  const c = leaf(2);
  const before = firstGradientCopies();
  a.add(c).tanh().sum().backward();
  assert.equal(firstGradientCopies() - before, 2, "first gradients copied");
  assert.notEqual(a.grad!.typedArray.buffer, c.grad!.typedArray.buffer);
  const cBefore = Array.from(c.grad!.flatten().typedArray);
  a.grad!.add_(1);
  assert.deepEqual(Array.from(c.grad!.flatten().typedArray), cBefore, "c.grad after a.grad += 1");
});
