/**
 * Step-for-step parity with PyTorch: the same MLP (20 -> 32 ReLU -> 10) trained in tensorgrad
 * and in PyTorch 1.13 (test/fixtures/optim.json, section "parity", made by
 * scripts/fixtures/optim_fx.py): same seed (so the same default initialisation), same data and
 * batches (16 per step, from the fixture), cross entropy, SGD with momentum and Adam, 50 steps
 * each. The loss at every step agrees to 1e-4 relative, and so do the final weights.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";

interface Rec {
  shape: number[];
  dtype: string;
  values: number[];
}
interface Parity {
  data: Rec;
  labels: Rec;
  batch: number;
  steps: number;
  runs: { name: string; seed: number; losses: number[]; final: Record<string, Rec> }[];
}

const FX = (
  JSON.parse(readFileSync(new URL("./fixtures/optim.json", import.meta.url), "utf8")) as {
    parity: Parity;
  }
).parity;

const X = torch.tensor(FX.data.values).reshape(FX.data.shape);
const Y = torch.tensor(FX.labels.values, { dtype: torch.int64 });
const N = X.shape[0];

const OPTIMIZERS: Record<string, (ps: torch.nn.Parameter[]) => torch.optim.Optimizer> = {
  sgd_momentum: (ps) => new torch.optim.SGD(ps, { lr: 0.05, momentum: 0.9 }),
  adam: (ps) => new torch.optim.Adam(ps, { lr: 0.01 }),
};

for (const run of FX.runs) {
  test(`MLP training matches PyTorch step for step: ${run.name}, ${FX.steps} steps`, () => {
    torch.manualSeed(run.seed);
    const model = new torch.nn.Sequential(
      new torch.nn.Linear(20, 32),
      new torch.nn.ReLU(),
      new torch.nn.Linear(32, 10),
    );
    const opt = OPTIMIZERS[run.name](model.parameters());
    let worst = 0;
    for (let step = 0; step < FX.steps; step++) {
      const i = (step * FX.batch) % N;
      const xb = X.narrow(0, i, FX.batch);
      const yb = Y.narrow(0, i, FX.batch);
      opt.zeroGrad();
      const loss = torch.nn.functional.crossEntropy(model.call(xb) as Tensor, yb);
      loss.backward();
      opt.step();
      const got = loss.item() as number;
      const want = run.losses[step];
      const rel = Math.abs(got - want) / Math.abs(want);
      worst = Math.max(worst, rel);
      assert.ok(rel <= 1e-4, `step ${step}: loss ${got} vs PyTorch ${want} (rel ${rel})`);
    }
    const sd = model.stateDict();
    for (const [k, r] of Object.entries(run.final)) {
      const got = sd[k].reshape(-1).tolist() as number[];
      r.values.forEach((e, j) =>
        assert.ok(Math.abs(got[j] - e) <= 1e-4 * Math.max(1, Math.abs(e)), `${k}[${j}]`),
      );
    }
    assert.ok(worst <= 1e-4);
    if (process.env.PARITY_VERBOSE) console.log(run.name, "worst relative loss difference", worst);
  });
}
