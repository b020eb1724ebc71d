// torch.utils.checkpoint against PyTorch 1.13 (test/fixtures/custom.json), and what it saves.
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { savedTensorBytes } from "../src/autograd/explain.js";
import {
  FX,
  expectRec,
  throwsLike,
  withWarnings,
  userWarning,
  runReadmeSection,
} from "./helpers/custom-fixtures.js";

const K = FX.checkpoint;
const leaf = (v: number[]): Tensor => torch.tensor(v, { requiresGrad: true });

test("checkpoint: outputs, node, gradients of inputs and of closed-over parameters", () => {
  const fx = K.basic;
  const w = leaf([0.5, -1, 2]);
  const x = leaf([1, 2, 3]);
  const fn = (a: Tensor): Tensor => a.mul(w).sin().exp().mul(a);
  const y = torch.utils.checkpoint(fn, x);
  expectRec(y, fx.y, "y");
  assert.equal(y.gradFn!.name(), fx.grad_fn);
  assert.equal(String(y.gradFn).replace(/0x[0-9a-f]+/, "0x..."), fx.repr);
  assert.deepEqual(
    y.gradFn!.nextFunctions.map(([f]) => f?.name() ?? null),
    fx.next,
  );
  y.sum().backward();
  expectRec(x.grad, fx.x_grad, "x.grad");
  expectRec(w.grad, fx.w_grad, "w.grad");
});

test("checkpoint: errors with autograd.grad / backward({ inputs }) and a second backward", () => {
  const E = K.errors;
  const w = leaf([0.5, -1, 2]);
  const x = leaf([1, 2, 3]);
  const fn = (a: Tensor): Tensor => a.mul(w).sin().exp().mul(a);
  throwsLike(() => torch.autograd.grad(torch.utils.checkpoint(fn, x).sum(), [x]), E.grad);
  throwsLike(
    () =>
      torch.utils
        .checkpoint(fn, x)
        .sum()
        .backward(undefined, { inputs: [x] }),
    E.inputs,
  );
  const y = torch.utils.checkpoint(fn, x);
  y.sum().backward();
  throwsLike(() => y.sum().backward(), E.second_backward);
  // with retainGraph the inputs stay saved and a second backward recomputes again
  x.grad = null;
  const y2 = torch.utils.checkpoint(fn, x);
  y2.sum().backward(undefined, { retainGraph: true });
  y2.sum().backward();
  expectRec(x.grad, {
    ...K.basic.x_grad,
    values: (K.basic.x_grad.values as number[]).map((v: number) => 2 * v),
  });
});

test("checkpoint: warning when no input requires grad", () => {
  const fx = K.no_input_requires_grad;
  const w = leaf([0.5, -1, 2]);
  const r = withWarnings(() =>
    torch.utils.checkpoint((a: Tensor) => a.mul(w).sin().exp().mul(a), torch.ones(3)),
  );
  assert.deepEqual(r.warnings, fx.warnings.map(userWarning));
  expectRec(r.result, fx.y, "y");
});

test("checkpoint: several outputs and non-tensor arguments", () => {
  const fx = K.multi;
  const a = leaf([1, 1]);
  const b = torch.ones(2).mul(3);
  const [o1, o2] = torch.utils.checkpoint(
    (a: Tensor, k: number, b: Tensor) => [a.mul(k).add(b), a.sub(b)],
    a,
    2,
    b,
  );
  o1.sum().add(o2.sum().mul(2)).backward();
  expectRec(o1, fx.o1, "o1");
  expectRec(o2, fx.o2, "o2");
  assert.equal(o2.gradFn!.name(), fx.grad_fn);
  expectRec(a.grad, fx.a_grad, "a.grad");
});

test("checkpoint: random ops replay the forward's numbers (preserveRngState)", () => {
  const fx = K.rng;
  const x = leaf([1, 2, 3]);
  torch.manualSeed(0);
  const y = torch.utils.checkpoint((t: Tensor) => t.mul(torch.rand(3)), x);
  torch.rand(5); // move the generator on before backward
  y.sum().backward();
  expectRec(y, fx.y, "y");
  expectRec(x.grad, fx.x_grad, "x.grad = the forward's random numbers");
  // without preserving, the recomputation draws different numbers
  const x2 = leaf([1, 2, 3]);
  torch.manualSeed(0);
  const y2 = torch.utils.checkpointWith(
    { preserveRngState: false },
    (t: Tensor) => t.mul(torch.rand(3)),
    x2,
  );
  torch.rand(5);
  y2.sum().backward();
  assert.notDeepEqual(x2.grad!.tolist(), fx.x_grad.values);
});

/** A small MLP block: tanh(x W1) W2, then relu and a square (several saved activations). */
function block(x: Tensor, w1: Tensor, w2: Tensor): Tensor {
  return x.matmul(w1).tanh().matmul(w2).relu().square();
}

test("checkpoint saves fewer bytes and gives identical gradients", () => {
  torch.manualSeed(1);
  const x = torch.randn(16, 32, { requiresGrad: true });
  const w1 = torch.randn(32, 64, { requiresGrad: true });
  const w2 = torch.randn(64, 32, { requiresGrad: true });

  const plain = block(x, w1, w2).mul(x).sum();
  const plainBytes = savedTensorBytes(plain);
  plain.backward();
  const grads = [x, w1, w2].map((t) => t.grad!.clone());
  [x, w1, w2].forEach((t) => (t.grad = null));

  const ck = torch.utils.checkpoint(block, x, w1, w2).mul(x).sum();
  const ckBytes = savedTensorBytes(ck);
  ck.backward();
  // plain: x, w1, x@w1's tanh, w2, the relu input/output, the square's input, ... (float32)
  // checkpointed: the three inputs, saved once each by CheckpointFunctionBackward and MulBackward0
  const inputBytes = (16 * 32 + 32 * 64 + 64 * 32) * 4;
  assert.equal(ckBytes, inputBytes + 16 * 32 * 4); // + the block's output, saved by mul
  assert.ok(plainBytes > ckBytes * 1.2, `${plainBytes} vs ${ckBytes}`);
  [x, w1, w2].forEach((t, i) =>
    assert.deepEqual(t.grad!.tolist(), grads[i].tolist(), `grad ${i} identical`),
  );
  // saved tensors are freed after backward
  assert.equal(savedTensorBytes(ck), 0);
});

test("README: Checkpointing example runs", () => {
  runReadmeSection("Checkpointing");
});
