/**
 * torch.linalg.eig / eigvals against PyTorch 1.13 (test/fixtures/eig.json,
 * scripts/fixtures/eig_fx.py): eigenvalues in LAPACK geev's order, eigenvectors with geev's
 * normalisation (unit norm, largest component real: Note [eig normalisation] in
 * src/backend/eig.ts), batching, empty inputs, gradients (LinalgEigBackward0, with the real
 * part taken for real input), gradcheck, errors in PyTorch's words and torch.eig's removal.
 *
 * Eigenvector signs: float64 inputs of order up to 10 give PyTorch's vectors exactly (up to
 * rounding); in larger ones LAPACK's sign of a vector can hinge on rounding (Note [eig
 * normalisation]), and for float32 PyTorch runs LAPACK's single-precision sgeev, whose signs
 * differ from dgeev's for about half of the vectors, so those are compared up to each
 * column's sign (after checking geev's normalisation exactly).
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
  L: FlatRec;
  V: FlatRec;
}
interface GradCase {
  name: string;
  kind: "L" | "L+absV" | "absV" | "realV" | "eigvals";
  A: FlatRec;
  W: [FlatRec, FlatRec];
  grad: FlatRec;
}
const fx = readFixture<{
  cases: Case[];
  grads: GradCase[];
  errors: Record<string, Err>;
  nonfinite: { name: string; A: FlatRec; L: FlatRec }[];
  grad_fn: Record<string, string>;
  prints: { A: FlatRec; L: string; V: string }[];
}>("eig.json");

/** a complex tensor's values as its flat real view (re, im pairs) */
const flatReal = (t: Tensor): number[] => torch.viewAsReal(t).reshape([-1]).tolist() as number[];

/** float32 results round once from float64 (PyTorch computes in float32: looser) */
const rtolOf = (r: FlatRec): number => (r.dtype === "float32" ? 2e-4 : 1e-9);

function expectComplex(t: Tensor, r: FlatRec, rtol: number, what: string): void {
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  closeValues(flatReal(t), decode(r.values), rtol, what);
}

/** V's columns multiplied by the signs (+-1) that align them with the record's */
function alignSigns(V: Tensor, r: FlatRec): { V: Tensor; flips: number } {
  const n = V.shape.at(-1)!;
  const got = flatReal(V);
  const want = decode(r.values) as number[];
  const signs: number[] = [];
  let flips = 0;
  for (let b = 0; b < got.length / (2 * n * n); b++)
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = 0; i < n; i++)
        for (let l = 0; l < 2; l++) {
          const at = 2 * (b * n * n + i * n + j) + l;
          dot += got[at] * want[at];
        }
      signs.push(dot < 0 ? -1 : 1);
      if (dot < 0) flips++;
    }
  const d = torch.tensor(signs, { dtype: V.real.dtype }).reshape([...V.shape.slice(0, -2), 1, n]);
  return { V: V.mul(d), flips };
}

/** geev's normalisation: each column of unit 2-norm with its largest component real */
function checkNormalised(V: Tensor, what: string): void {
  const n = V.shape.at(-1)!;
  const v = flatReal(V);
  const tol = V.dtype === torch.complex64 ? 1e-5 : 1e-12;
  for (let b = 0; b < v.length / (2 * n * n); b++)
    for (let j = 0; j < n; j++) {
      let norm = 0;
      let best = 0;
      const mods: number[] = [];
      for (let i = 0; i < n; i++) {
        const re = v[2 * (b * n * n + i * n + j)];
        const im = v[2 * (b * n * n + i * n + j) + 1];
        mods.push(re * re + im * im);
        norm += mods[i];
        best = Math.max(best, mods[i]);
      }
      // a largest component (ties within rounding: any of them) is real
      const real = mods.some(
        (m, i) => m >= best - tol && Math.abs(v[2 * (b * n * n + i * n + j) + 1]) <= tol,
      );
      assert.ok(Math.abs(norm - 1) <= tol * 10, `${what}: column ${j} has norm^2 ${norm}`);
      assert.ok(real, `${what}: column ${j}'s largest component is real`);
    }
}

test("linalg.eig matches PyTorch: eigenvalues, normalised eigenvectors, batches", () => {
  assert.ok(fx.cases.length >= 20);
  for (const c of fx.cases) {
    const A = fromFlatRec(c.A);
    const rtol = rtolOf(c.A);
    const { eigenvalues: L, eigenvectors: V } = torch.linalg.eig(A);
    expectComplex(L, c.L, rtol, `${c.name}: eigenvalues`);
    // eigvals gives the same values (geev without vectors: the same Schur form)
    expectComplex(torch.linalg.eigvals(A), c.L, rtol, `${c.name}: eigvals`);
    checkNormalised(V, `${c.name}: eigenvectors`);
    const { V: aligned, flips } = alignSigns(V, c.V);
    // Note [eig normalisation]: from order ~16 a vector's sign can hinge on rounding in LAPACK
    // itself (the bulge's last reflector of a QR sweep that is converging): compared up to sign
    if (c.A.dtype === "float64" && c.A.shape.at(-1)! <= 10)
      assert.equal(flips, 0, `${c.name}: eigenvector signs`);
    expectComplex(aligned, c.V, rtol * 10, `${c.name}: eigenvectors`);
    // A V = V diag(L)
    if (A.numel() > 0) {
      const Ac = A.to(L.dtype);
      const res = Ac.matmul(V)
        .sub(V.mul(L.unsqueeze(-2)))
        .abs()
        .max()
        .item() as number;
      assert.ok(res < (c.A.dtype === "float32" ? 1e-4 : 1e-10) * 100, `${c.name}: A V - V L`);
    }
  }
});

/** The fixture's loss on our outputs (eig_fx.py's loss_of) */
function lossOf(kind: GradCase["kind"], A: Tensor, W: Tensor[]): Tensor {
  if (kind === "eigvals") return torch.viewAsReal(torch.linalg.eigvals(A)).mul(W[0]).sum();
  const { eigenvalues: L, eigenvectors: V } = torch.linalg.eig(A);
  const l = torch.viewAsReal(L).mul(W[0]).sum();
  if (kind === "L") return l;
  if (kind === "L+absV") return l.add(V.abs().mul(W[1]).sum());
  if (kind === "absV") return V.abs().mul(W[1]).sum();
  return V.real.mul(W[1]).sum();
}

test("linalg.eig / eigvals gradients match PyTorch's linalg_eig_backward", () => {
  assert.ok(fx.grads.length >= 8);
  for (const c of fx.grads) {
    const A = fromFlatRec(c.A, true);
    const W = c.W.map((w) => fromFlatRec(w));
    lossOf(c.kind, A, W).backward();
    assert.equal(A.grad!.dtype.name, c.grad.dtype, `${c.name}: grad dtype`);
    assert.deepEqual(A.grad!.shape, c.grad.shape, `${c.name}: grad shape`);
    closeValues(
      A.grad!.reshape([-1]).tolist(),
      decode(c.grad.values),
      rtolOf(c.A) * 100,
      `${c.name}: A.grad`,
    );
  }
  const x = torch.randn(3, 3, { requiresGrad: true });
  const { eigenvalues, eigenvectors } = torch.linalg.eig(x);
  assert.equal(eigenvalues.gradFn?.name(), fx.grad_fn.eigenvalues);
  assert.equal(eigenvectors.gradFn?.name(), fx.grad_fn.eigenvectors);
  assert.equal(torch.linalg.eigvals(x).gradFn?.name(), fx.grad_fn.eigvals);
  // no input requiring grad: nothing recorded
  assert.equal(torch.linalg.eig(x.detach()).eigenvalues.gradFn, null);
});

test("linalg.eig / eigvals pass gradcheck (float64; phase-invariant losses)", () => {
  torch.manualSeed(3);
  const cases: [string, (a: Tensor) => Tensor][] = [
    ["eigvals", (a) => torch.viewAsReal(torch.linalg.eigvals(a))],
    ["eig values", (a) => torch.viewAsReal(torch.linalg.eig(a).eigenvalues)],
    ["abs(eigenvectors)", (a) => torch.linalg.eig(a).eigenvectors.abs()],
    [
      "V V^H",
      (a) => {
        const V = torch.linalg.eig(a).eigenvectors;
        return torch.viewAsReal(V.matmul(V.mH));
      },
    ],
  ];
  for (const shape of [
    [4, 4],
    [2, 3, 3],
  ]) {
    const A = torch.randn(shape, { dtype: torch.float64, requiresGrad: true });
    for (const [name, f] of cases)
      assert.ok(torch.autograd.gradcheck(f, [A]), `${name} ${JSON.stringify(shape)}`);
  }
});

test("eig and eigvals raise PyTorch's errors; torch.eig is removed", () => {
  const e = fx.errors;
  const N = NaN;
  const calls: Record<string, () => unknown> = {
    "eig int64": () => torch.linalg.eig(torch.ones(3, 3, { dtype: torch.int64 })),
    "eigvals int32": () => torch.linalg.eigvals(torch.ones(3, 3, { dtype: torch.int32 })),
    "eig bool": () => torch.linalg.eig(torch.ones(3, 3, { dtype: torch.bool })),
    "eig float16": () => torch.linalg.eig(torch.ones(3, 3, { dtype: torch.float16 })),
    "eig bfloat16": () => torch.linalg.eig(torch.ones(3, 3, { dtype: torch.bfloat16 })),
    "eig 1-D": () => torch.linalg.eig(torch.ones(3)),
    "eigvals 0-D": () => torch.linalg.eigvals(torch.tensor(1)),
    "eig not square": () => torch.linalg.eig(torch.ones(2, 3)),
    "eigvals not square": () => torch.linalg.eigvals(torch.ones(4, 2, 3)),
    "eig nan": () =>
      torch.linalg.eig(
        torch.tensor([
          [1, N],
          [0, 1],
        ]),
      ),
    "eig inf": () =>
      torch.linalg.eig(
        torch.tensor([
          [1, Infinity],
          [0, 1],
        ]),
      ),
    "eigvals nan with grad": () =>
      torch.linalg.eigvals(
        torch.tensor(
          [
            [1, N],
            [0, 1],
          ],
          { requiresGrad: true },
        ),
      ),
    "phase-dependent loss": () => {
      const A = torch.tensor(
        [
          [0, -1],
          [1, 0],
        ],
        { dtype: torch.float64, requiresGrad: true },
      );
      try {
        torch.linalg.eig(A).eigenvectors.real.sum().backward();
      } finally {
        assert.equal(A.grad, null, "a failed backward leaves .grad alone");
      }
    },
    "torch.eig": () => torch.eig(torch.eye(2)),
    "torch.eig eigenvectors": () => torch.eig(torch.eye(2), true),
    "Tensor.eig": () => torch.eye(2).eig(),
    "Tensor.eig eigenvectors": () => torch.eye(2).eig({ eigenvectors: true }),
  };
  assert.deepEqual(Object.keys(calls).sort(), Object.keys(e).sort(), "every recorded error");
  for (const [name, call] of Object.entries(calls)) {
    throwsLike(call, e[name], (err) =>
      assert.equal(err.constructor.name, e[name].type, `${name}: error class`),
    );
  }
});

test("eigvals without a gradient: infinities give NaN, NaN where geev's balancing isolates it", () => {
  assert.ok(fx.nonfinite.length >= 4);
  for (const c of fx.nonfinite)
    expectComplex(torch.linalg.eigvals(fromFlatRec(c.A)), c.L, 1e-9, c.name);
});

test("eig's results print as PyTorch's (the signs of zero imaginary parts)", () => {
  assert.ok(fx.prints.length >= 3);
  for (const p of fx.prints) {
    const { eigenvalues, eigenvectors } = torch.linalg.eig(fromFlatRec(p.A));
    assert.equal(eigenvalues.toString(), p.L);
    assert.equal(eigenvectors.toString(), p.V);
  }
});
