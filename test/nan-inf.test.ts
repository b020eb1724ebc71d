/**
 * NaN, +-inf, zeros and empty inputs through softmax, log_softmax, cross-entropy, clamp,
 * max/min/amax/amin, prod/cumprod and logsumexp: values, grad_fn names and gradients against
 * PyTorch 1.13 (test/fixtures/nan_inf.json, scripts/fixtures/nan_inf_fx.py). NaN must be NaN
 * where PyTorch's is, and an infinity of the same sign.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/index.js";
import { Tensor } from "../src/index.js";
import { decodeNumber, readFixture, type NonFinite } from "./helpers/fixtures.js";

interface FlatRec {
  shape: number[];
  dtype: string;
  values: (number | NonFinite)[];
  requires_grad?: boolean;
  grad_fn?: string | null;
}

interface Case {
  name: string;
  js: string;
  input: FlatRec;
  outputs: FlatRec[];
  weights: ((number | NonFinite)[] | null)[];
  grad: FlatRec | null;
}

const CASES = readFixture<Case[]>("nan_inf.json");
const DTYPES: Record<string, torch.DType> = { float32: torch.float32, float64: torch.float64 };

/** Equal within rtol 1e-6 (float32: 1e-5), NaN where NaN, infinities of the same sign. */
function expectValues(what: string, got: Tensor, want: FlatRec): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  assert.equal(got.dtype.name, want.dtype, `${what}: dtype`);
  const rtol = want.dtype === "float32" ? 1e-5 : 1e-6;
  const flat = got.reshape(-1).tolist() as number[];
  want.values.forEach((w, k) => {
    const y = decodeNumber(w);
    const x = flat[k];
    const ok =
      Number.isNaN(y) || !Number.isFinite(y)
        ? Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))
        : Math.abs(x - y) <= rtol * (1 + Math.abs(y));
    assert.ok(ok, `${what}[${k}]: got ${x}, expected ${y} (got [${flat.join(", ")}])`);
  });
}

for (const c of CASES) {
  test(c.name, () => {
    const dtype = DTYPES[c.input.dtype];
    const values = c.input.values.map(decodeNumber);
    const x = torch.tensor(values, { dtype }).reshape(c.input.shape).requiresGrad_(true);
    const f = new Function("torch", "F", `return ${c.js};`)(torch, torch.nn.functional) as (
      x: Tensor,
    ) => unknown;
    const out = f(x);
    const outs: Tensor[] =
      out instanceof Tensor
        ? [out]
        : [(out as Record<number, Tensor>)[0], (out as Record<number, Tensor>)[1]];
    assert.equal(outs.length, c.outputs.length);
    outs.forEach((o, i) => {
      expectValues(`${c.js} output ${i}`, o, c.outputs[i]);
      assert.equal(o.gradFn?.name() ?? null, c.outputs[i].grad_fn ?? null, `output ${i} grad_fn`);
    });
    if (c.grad === null) return;
    let loss: Tensor | null = null;
    outs.forEach((o, i) => {
      const w = c.weights[i];
      if (w === null || !o.requiresGrad) return;
      const term = o
        .mul(torch.tensor(w.map(decodeNumber), { dtype: o.dtype }).reshape(o.shape))
        .sum();
      loss = loss === null ? term : loss.add(term);
    });
    const [g] = torch.autograd.grad(loss as unknown as Tensor, [x], { allowUnused: true });
    expectValues(`${c.js} grad`, g as Tensor, c.grad);
  });
}
