/**
 * Complex linalg against PyTorch 1.13 (test/fixtures/zqr.json, scripts/fixtures/zqr_fx.py):
 * linalg.qr (Householder with zgeqrf's real diagonal), householder_product, eigh (zheevd's
 * phases: Note [Hermitian tridiagonal]), svd (zgesdd's phases: Note [complex SVD]), eig
 * (zgeev's order and normalisation), pinv and lstsq, with their gradients (sum of each output's
 * real view, or of a gauge-free function of it: |V|, U diag(S) Vh, times fixed weights), and the
 * phase errors PyTorch's backward raises for a loss that depends on the vectors' phases.
 *
 * Eigenvectors and singular vectors are compared up to each column's sign (the sign of a real
 * tridiagonal or bidiagonal problem's vector is a gauge LAPACK fixes its own way; the phase is
 * LAPACK's); eig's vectors exactly (zgeev's normalisation fixes them).
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { closeValues, decode, readFixture, throwsLike, type Err } from "./helpers/fixtures.js";

interface Rec {
  shape: number[];
  dtype: string;
  values: number[];
}
type Kind = "id" | "abs" | "recon" | null;
interface Case {
  name: string;
  op: string;
  opts: { mode?: string; uplo?: string; full?: boolean; hermitian?: boolean; driver?: string };
  inputs: Rec[];
  outs: Rec[];
  loss: Kind[];
  weights: (Rec | null)[];
  grads: Rec[];
}
const fx = readFixture<{ cases: Case[]; errors: { op: string; error: Err }[] }>("zqr.json");

const DT: Record<string, torch.DType> = {
  complex64: torch.complex64,
  complex128: torch.complex128,
  float32: torch.float32,
  float64: torch.float64,
  int64: torch.int64,
};
const REAL: Record<string, torch.DType> = { complex64: torch.float32, complex128: torch.float64 };

/** a tensor from its record (a complex one's values are its flat real view) */
function make(r: Rec): Tensor {
  const v = decode(r.values) as number[];
  const real = REAL[r.dtype];
  if (real === undefined) return torch.tensor(v, { dtype: DT[r.dtype] }).reshape(r.shape);
  return torch.viewAsComplex(torch.tensor(v, { dtype: real }).reshape([...r.shape, 2]));
}
const flat = (t: Tensor): number[] =>
  (t.dtype.isComplex ? torch.viewAsReal(t.detach()) : t.detach())
    .reshape([-1])
    .tolist() as number[];

function run(c: Case, inputs: Tensor[]): Tensor[] {
  const o = c.opts;
  const tuple = (r: unknown, k: number): Tensor[] =>
    Array.from({ length: k }, (_x, i) => (r as Record<number, Tensor>)[i]);
  switch (c.op) {
    case "qr":
      return tuple(torch.linalg.qr(inputs[0], o.mode ?? "reduced"), 2);
    case "householder_product":
      return [torch.linalg.householderProduct(inputs[0], inputs[1])];
    case "eigh":
      return tuple(torch.linalg.eigh(inputs[0], { UPLO: o.uplo }), 2);
    case "svd":
      return tuple(torch.linalg.svd(inputs[0], { fullMatrices: o.full }), 3);
    case "eig":
      return tuple(torch.linalg.eig(inputs[0]), 2);
    case "pinv":
      return [torch.linalg.pinv(inputs[0], { hermitian: o.hermitian })];
    case "lstsq":
      return [tuple(torch.linalg.lstsq(inputs[0], inputs[1], { driver: o.driver }), 1)[0]];
  }
  throw new Error(`unknown op ${c.op}`);
}

/** signs (+-1) aligning the columns (or rows) of `t` with the record's: [...batch, k] */
function signsOf(t: Tensor, r: Rec, rows: boolean): Tensor {
  const x = rows ? t.mT : t;
  const [m, k] = x.shape.slice(-2);
  const got = flat(x.contiguous());
  const want = flat(rows ? make(r).mT.contiguous() : make(r));
  const signs: number[] = [];
  for (let b = 0; b < got.length / (2 * m * k); b++)
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let i = 0; i < m; i++)
        for (let l = 0; l < 2; l++) {
          const at = 2 * (b * m * k + i * k + j) + l;
          dot += got[at] * want[at];
        }
      signs.push(dot < 0 ? -1 : 1);
    }
  return torch.tensor(signs, { dtype: REAL[t.dtype.name] }).reshape([...x.shape.slice(0, -2), k]);
}

/**
 * The outputs with each vector column (eigh's V, svd's U) multiplied by the sign that aligns
 * it with PyTorch's, and svd's Vh rows by their U column's sign (a complete Vh's extra rows by
 * their own): constants, so the loss's gradient is unchanged.
 */
function aligned(c: Case, outs: Tensor[]): Tensor[] {
  const col = c.op === "eigh" ? 1 : c.op === "svd" ? 0 : -1;
  if (col < 0) return outs;
  const out = outs.slice();
  const d = signsOf(outs[col], c.outs[col], false);
  out[col] = outs[col].mul(d.unsqueeze(-2));
  if (c.op === "svd") {
    const vh = outs[2];
    const rows = vh.shape.at(-2)!;
    const shared = Math.min(rows, d.shape.at(-1)!, outs[1].shape.at(-1)!);
    const own = signsOf(vh, c.outs[2], true).narrow(-1, shared, rows - shared);
    const dv = torch.cat([d.narrow(-1, 0, shared), own], -1);
    out[2] = vh.mul(dv.unsqueeze(-1));
  }
  return out;
}

function term(kind: Kind, outs: Tensor[], i: number, w: Tensor): Tensor {
  const o = outs[i];
  if (kind === "abs") return o.abs().mul(w).sum();
  if (kind === "recon") {
    const [U, S, Vh] = outs;
    const k = S.shape.at(-1)!;
    const r = U.narrow(-1, 0, k)
      .mul(S.unsqueeze(-2))
      .matmul(Vh.narrow(-2, 0, k));
    return torch.viewAsReal(r).mul(w).sum();
  }
  return (o.dtype.isComplex ? torch.viewAsReal(o) : o).mul(w).sum();
}

/** complex64 results: PyTorch computes in float32, tensorgrad in float64 rounded once */
const rtolOf = (dtype: string, grad: boolean): number =>
  dtype === "complex64" || dtype === "float32" ? (grad ? 2e-3 : 2e-4) : grad ? 1e-7 : 1e-9;

for (const c of fx.cases) {
  test(`complex linalg: ${c.name}`, () => {
    const inputs = c.inputs.map((r) => make(r).requiresGrad_());
    const outs = aligned(c, run(c, inputs));
    c.outs.forEach((r, i) => {
      assert.deepEqual(outs[i].shape, r.shape, `output ${i}: shape`);
      assert.equal(outs[i].dtype.name, r.dtype, `output ${i}: dtype`);
      closeValues(flat(outs[i]), decode(r.values), rtolOf(r.dtype, false), `output ${i}`);
    });
    const terms = c.loss.flatMap((k, i) =>
      k === null ? [] : [term(k, outs, i, make(c.weights[i] as Rec))],
    );
    const total = terms.reduce((a, b) => a.add(b));
    const grads = torch.autograd.grad(total, inputs);
    c.grads.forEach((r, i) => {
      const g = grads[i];
      assert.ok(g !== null, `grad ${i}: expected a tensor`);
      assert.deepEqual(g.shape, r.shape, `grad ${i}: shape`);
      closeValues(flat(g), decode(r.values), rtolOf(r.dtype, true), `grad ${i}`);
    });
  });
}

for (const e of fx.errors) {
  test(`complex linalg: ${e.op}'s backward refuses a phase-dependent loss`, () => {
    const A = torch.randn([4, 4], { dtype: torch.complex128 }).requiresGrad_();
    const outs =
      e.op === "eigh"
        ? (torch.linalg.eigh(A) as unknown as Record<number, Tensor>)
        : (torch.linalg.svd(A, { fullMatrices: false }) as unknown as Record<number, Tensor>);
    const V = e.op === "eigh" ? outs[1] : outs[0];
    throwsLike(() => V.real.sum().backward(), e.error);
    assert.equal(A.grad, null, "no gradient accumulated");
  });
}

test("complex linalg: gradcheck of gauge-invariant functions (complex128)", () => {
  torch.manualSeed(3);
  const A = torch.randn([4, 3], { dtype: torch.complex128 }).requiresGrad_();
  const H = torch.randn([3, 3], { dtype: torch.complex128 }).requiresGrad_();
  const fns: [string, () => boolean][] = [
    [
      "svd: S, |U|, U diag(S) Vh",
      () =>
        torch.autograd.gradcheck(
          (x: Tensor) => {
            const r = torch.linalg.svd(x, { fullMatrices: false }) as unknown as Record<
              number,
              Tensor
            >;
            const recon = r[0].mul(r[1].unsqueeze(-2)).matmul(r[2]);
            return [r[1], r[0].abs(), torch.viewAsReal(recon)];
          },
          [A],
        ),
    ],
    [
      "qr: Q, R",
      () =>
        torch.autograd.gradcheck(
          (x: Tensor) => {
            const r = torch.linalg.qr(x) as unknown as Record<number, Tensor>;
            return [torch.viewAsReal(r[0]), torch.viewAsReal(r[1])];
          },
          [A],
        ),
    ],
    [
      "eigh: L, |V|",
      () =>
        torch.autograd.gradcheck(
          (x: Tensor) => {
            const r = torch.linalg.eigh(x.add(x.mH)) as unknown as Record<number, Tensor>;
            return [r[0], r[1].abs()];
          },
          [H],
        ),
    ],
    [
      "eig: L, |V|",
      () =>
        torch.autograd.gradcheck(
          (x: Tensor) => {
            const r = torch.linalg.eig(x) as unknown as Record<number, Tensor>;
            return [torch.viewAsReal(r[0]), r[1].abs()];
          },
          [H],
        ),
    ],
  ];
  for (const [name, f] of fns) assert.ok(f(), name);
});
