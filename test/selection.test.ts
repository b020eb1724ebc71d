/**
 * Large inputs against PyTorch (test/fixtures/selection.json, scripts/fixtures/selection_fx.py):
 * sorted topk of long rows, which takes the radix selection (Note [topk by radix select]) when
 * the k + 1 first keys are distinct and libstdc++'s order otherwise, and cumsum / cumprod of long
 * rows and columns. The inputs are drawn with PyTorch's generator stream after manualSeed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import { readFixture } from "./helpers/fixtures.js";

interface TopkCase {
  dtype: "float32" | "float64";
  seed: number;
  n: number;
  k: number;
  largest: boolean;
  ties: boolean;
  indices: number[];
}
interface CumCase {
  dtype: "float32" | "float64";
  op: "cumsum" | "cumprod";
  seed: number;
  shape: number[];
  dim: number;
  /** torch.rand(shape) - 0.5 instead of factors near 1 */
  exact?: boolean;
  at: number[];
  values: number[];
}
const fx = readFixture<{ topk: TopkCase[]; cum: CumCase[] }>("selection.json");

for (const c of fx.topk) {
  test(`topk of ${c.n} ${c.dtype}, k=${c.k}, largest=${c.largest}${c.ties ? ", ties" : ""}`, () => {
    torch.manualSeed(c.seed);
    let x = torch.rand([c.n], { dtype: torch[c.dtype] });
    if (c.ties) x = torch.floor(x.mul(64)).div(64);
    const { values, indices } = torch.topk(x, c.k, { largest: c.largest });
    assert.deepEqual(Array.from(indices.typedArray), c.indices);
    assert.deepEqual(
      Array.from(values.typedArray),
      c.indices.map((i) => x.typedArray[i]),
    );
  });
}

for (const c of fx.cum) {
  test(`${c.op} of ${c.dtype} [${c.shape}] along dim ${c.dim}${c.exact ? " (exact sums)" : ""}`, () => {
    torch.manualSeed(c.seed);
    const r = torch.rand(c.shape, { dtype: torch[c.dtype] });
    const x = c.exact ? r.sub(0.5) : r.mul(0.002).add(0.999 - (c.op === "cumsum" ? 0.5 : 0));
    const y = torch[c.op](x, c.dim).reshape(-1).typedArray;
    assert.deepEqual(
      c.at.map((j) => y[j]),
      c.values,
    );
  });
}
