/**
 * torch.linalg.ldlFactorEx / ldlFactor / ldlSolve against PyTorch 1.13 (test/fixtures/ldl.json,
 * scripts/fixtures/ldl_fx.py): symmetric indefinite matrices whose Bunch-Kaufman pivoting takes
 * 1 x 1 and 2 x 2 blocks, batched and broadcast, a zero and a singular matrix (info > 0). The
 * pivots and info equal PyTorch's exactly (LAPACK's format); LD and X within rounding (float32
 * inputs: PyTorch factors in float32, tensorgrad in float64 rounded once). Errors with
 * PyTorch's type and words; the outputs' NotImplemented nodes and their backward error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import {
  closeValues,
  decode,
  fromFlatRec,
  readFixture,
  throwsLike,
  type Err,
  type FlatRec,
} from "./helpers/fixtures.js";

interface Case {
  name: string;
  A: FlatRec;
  B: FlatRec;
  LD: FlatRec;
  pivots: FlatRec;
  info: FlatRec;
  X: FlatRec;
}
const fx = readFixture<{
  cases: Case[];
  errors: Record<string, Err>;
  grad: Record<string, string | Err>;
}>("ldl.json");

function expectFlat(t: Tensor, r: FlatRec, rtol: number, what: string): void {
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  closeValues(t.reshape([-1]).tolist(), decode(r.values), rtol, what);
}

test("ldlFactorEx and ldlSolve match PyTorch (pivots and info exactly)", () => {
  assert.ok(fx.cases.length >= 10);
  for (const c of fx.cases) {
    const A = fromFlatRec(c.A);
    const B = fromFlatRec(c.B);
    const rtol = c.A.dtype === "float32" ? 2e-4 : 1e-9;
    const { LD, pivots, info } = torch.linalg.ldlFactorEx(A);
    expectFlat(pivots, c.pivots, 0, `${c.name}: pivots`);
    expectFlat(info, c.info, 0, `${c.name}: info`);
    expectFlat(LD, c.LD, rtol, `${c.name}: LD`);
    // X from PyTorch's own factors (so a singular D's inf/nan pattern is sytrs's), and from ours
    const X = torch.linalg.ldlSolve(fromFlatRec(c.LD), fromFlatRec(c.pivots), B);
    expectFlat(X, c.X, rtol, `${c.name}: X`);
    if (
      decode(c.info.values) instanceof Array &&
      (decode(c.info.values) as number[]).every((v) => v === 0)
    )
      expectFlat(
        torch.linalg.ldlSolve(LD, pivots, B),
        c.X,
        rtol * 100,
        `${c.name}: X (own factors)`,
      );
  }
});

test("ldlFactor returns (LD, pivots); errors and autograd as PyTorch's", () => {
  const e = fx.errors;
  const LDp = torch.linalg.ldlFactor(
    torch.tensor([
      [4, 2],
      [2, 3],
    ]),
  );
  const { LD, pivots } = LDp;
  const b = torch.rand(2, 2);
  const cases: [string, () => unknown][] = [
    ["factor zero", () => torch.linalg.ldlFactor(torch.zeros(3, 3))],
    [
      "factor_ex check zero",
      () => torch.linalg.ldlFactorEx(torch.zeros(3, 3), { checkErrors: true }),
    ],
    [
      "factor batched zero",
      () => torch.linalg.ldlFactor(torch.stack([torch.eye(3), torch.zeros(3, 3)])),
    ],
    ["factor not square", () => torch.linalg.ldlFactor(torch.ones(2, 3))],
    ["factor 1-D", () => torch.linalg.ldlFactor(torch.ones(3))],
    ["factor int", () => torch.linalg.ldlFactor(torch.ones([3, 3], { dtype: torch.int64 }))],
    ["solve 1-D B", () => torch.linalg.ldlSolve(LD, pivots, torch.rand(2))],
    ["solve dtype", () => torch.linalg.ldlSolve(LD, pivots, b.double())],
    ["solve pivots shape", () => torch.linalg.ldlSolve(LD, pivots.narrow(0, 0, 1), b)],
    ["solve sizes", () => torch.linalg.ldlSolve(LD, pivots, torch.rand(3, 2))],
    ["solve not square", () => torch.linalg.ldlSolve(torch.ones(2, 3), pivots, b)],
    ["solve 1-D LD", () => torch.linalg.ldlSolve(torch.ones(2), pivots, b)],
  ];
  assert.deepEqual(cases.map(([k]) => k).sort(), Object.keys(e).sort());
  for (const [k, f] of cases) throwsLike(f, e[k], (err) => assert.equal(err.name, e[k].type, k));

  const x = torch.tensor(
    [
      [4, 2],
      [2, 3],
    ],
    { requiresGrad: true },
  );
  const f = torch.linalg.ldlFactor(x);
  const y = torch.rand([2, 1], { requiresGrad: true });
  const X = torch.linalg.ldlSolve(LD, pivots, y);
  const g = fx.grad;
  for (const [t, k] of [
    [f.LD, "factor"],
    [X, "solve"],
  ] as const) {
    assert.equal(t.gradFn?.name().split("::").pop(), g[`${k} grad_fn`], `${k}: grad_fn`);
    const err = g[`${k} backward`] as Err;
    throwsLike(
      () => t.sum().backward(),
      err,
      (er) => assert.equal(er.name, err.type),
    );
  }
});
