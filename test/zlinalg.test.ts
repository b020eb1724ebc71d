/**
 * Complex LU, Cholesky, triangular solves and determinants against PyTorch 1.13
 * (test/fixtures/zlinalg.json, scripts/fixtures/zlinalg_fx.py; complex values stored as their
 * view_as_real): the LU pivots exactly (izamax's |re| + |im| choice, Note [complex pivots] in
 * src/backend/linalg-complex.ts), factors, solutions and determinants within rounding; errors
 * for singular and non-positive-definite complex input in PyTorch's words. Then gradcheck in
 * complex128 of every op with a complex path here (numerical against analytical Jacobians,
 * Note [complex gradcheck]); op_db's complex samples with PyTorch's gradients are replayed by
 * test/opdb-dtypes.test.ts.
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

interface LuCase {
  name: string;
  A: FlatRec;
  LU: FlatRec;
  pivots: FlatRec;
  det?: FlatRec;
  sign?: FlatRec;
  logabsdet?: FlatRec;
}
interface CholCase {
  name: string;
  A: FlatRec;
  L: FlatRec;
  U: FlatRec;
}
interface TriCase {
  upper: boolean;
  left: boolean;
  unitriangular: boolean;
  A: FlatRec;
  B: FlatRec;
  X: FlatRec;
}
interface LdlCase {
  name: string;
  hermitian: boolean;
  A: FlatRec;
  B: FlatRec;
  LD: FlatRec;
  pivots: FlatRec;
  info: FlatRec;
  X: FlatRec;
}
const fx = readFixture<{
  ldl: LdlCase[];
  lu: LuCase[];
  cholesky: CholCase[];
  trisolve: TriCase[];
  errors: Record<string, Err & FlatRec & { sign: FlatRec; logabsdet: FlatRec }>;
}>("zlinalg.json");

/** a complex tensor from its view_as_real record */
const cx = (r: FlatRec): Tensor => torch.viewAsComplex(fromFlatRec(r));
const rtolOf = (r: FlatRec): number => (r.dtype === "float32" ? 3e-5 : 1e-10);

/** a complex tensor equal to a view_as_real record (shape, part dtype, values) */
function expectComplex(t: Tensor, r: FlatRec, what: string): void {
  assert.ok(t.dtype.isComplex, `${what}: complex dtype`);
  const re = torch.viewAsReal(t);
  assert.deepEqual(re.shape, r.shape, `${what}: shape`);
  assert.equal(re.dtype.name, r.dtype, `${what}: dtype`);
  closeValues(re.reshape([-1]).tolist(), decode(r.values), rtolOf(r), what);
}

function expectReal(t: Tensor, r: FlatRec, rtol: number, what: string): void {
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  closeValues(t.reshape([-1]).tolist(), decode(r.values), rtol, what);
}

test("complex LU: PyTorch's pivots exactly, factors, det and slogdet", () => {
  assert.ok(fx.lu.length >= 9);
  for (const c of fx.lu) {
    const A = cx(c.A);
    const { LU, pivots } = torch.linalg.luFactor(A);
    expectReal(pivots, c.pivots, 0, `${c.name}: pivots`);
    expectComplex(LU, c.LU, `${c.name}: LU`);
    if (c.det !== undefined) {
      expectComplex(torch.linalg.det(A), c.det, `${c.name}: det`);
      const { sign, logabsdet } = torch.linalg.slogdet(A);
      expectComplex(sign, c.sign!, `${c.name}: sign`);
      expectReal(logabsdet, c.logabsdet!, rtolOf(c.A), `${c.name}: logabsdet`);
    }
    // A = P L U
    const { P, L, U } = torch.linalg.lu(A);
    closeValues(
      torch.viewAsReal(P.matmul(L).matmul(U)).reshape([-1]).tolist(),
      decode(c.A.values),
      rtolOf(c.A) * 10,
      `${c.name}: P L U`,
    );
  }
});

test("complex Cholesky: L L^H from the lower triangle (the diagonal's real part), U = L^H", () => {
  for (const c of fx.cholesky) {
    const A = cx(c.A);
    expectComplex(torch.linalg.cholesky(A), c.L, `${c.name}: L`);
    expectComplex(torch.linalg.cholesky(A, { upper: true }), c.U, `${c.name}: U`);
    expectComplex(torch.cholesky(A), c.L, `${c.name}: torch.cholesky`);
    expectComplex(torch.linalg.choleskyEx(A).L, c.L, `${c.name}: cholesky_ex`);
  }
});

test("complex triangular solves: upper/lower, left/right, unitriangular", () => {
  assert.equal(fx.trisolve.length, 8);
  for (const c of fx.trisolve) {
    const what = `upper=${c.upper} left=${c.left} unit=${c.unitriangular}`;
    const [A, B] = [cx(c.A), cx(c.B)];
    const { upper, left, unitriangular } = c;
    expectComplex(torch.linalg.solveTriangular(A, B, { upper, left, unitriangular }), c.X, what);
    if (left)
      expectComplex(
        torch.triangularSolve(B, A, upper, false, unitriangular).solution,
        c.X,
        `${what}: triangular_solve`,
      );
  }
});

test("complex LDL (symmetric: zsytrf, Hermitian: zhetrf): PyTorch's pivots exactly, LD and X", () => {
  assert.ok(fx.ldl.filter((c) => c.pivots.values.some((p) => Number(p) < 0)).length >= 4);
  for (const c of fx.ldl) {
    const A = cx(c.A);
    const { hermitian } = c;
    const { LD, pivots, info } = torch.linalg.ldlFactorEx(A, { hermitian });
    expectReal(pivots, c.pivots, 0, `${c.name}: pivots`);
    expectReal(info, c.info, 0, `${c.name}: info`);
    expectComplex(LD, c.LD, `${c.name}: LD`);
    // X from PyTorch's own factors, and from ours
    const B = cx(c.B);
    expectComplex(
      torch.linalg.ldlSolve(cx(c.LD), fromFlatRec(c.pivots), B, { hermitian }),
      c.X,
      `${c.name}: X`,
    );
    expectComplex(torch.linalg.ldlSolve(LD, pivots, B, { hermitian }), c.X, `${c.name}: X (ours)`);
  }
});

test("complex singular and non-positive-definite input: PyTorch's errors and infos", () => {
  const e = fx.errors;
  const notpd = torch.complex(
    torch
      .tensor([
        [1, 0],
        [0, 1],
      ])
      .double(),
    torch
      .tensor([
        [0, 2],
        [-2, 0],
      ])
      .double(),
  );
  throwsLike(() => torch.linalg.cholesky(notpd), e.cholesky);
  throwsLike(() => torch.cholesky(notpd), e.torch_cholesky);
  const good = cx(fx.cholesky[0].A).narrow(0, 0, 2).narrow(1, 0, 2);
  throwsLike(() => torch.linalg.cholesky(torch.stack([good, notpd])), e.cholesky_batched);
  throwsLike(
    () => torch.linalg.choleskyEx(notpd.to(torch.complex64), { checkErrors: true }),
    e.cholesky_ex_check,
  );
  expectReal(torch.linalg.choleskyEx(notpd).info, e.cholesky_ex_info, 0, "cholesky_ex info");
  // a rank-one matrix: the second column is twice the first
  const col = torch.complex(torch.tensor([1, 0]).double(), torch.tensor([1, 1]).double());
  const rank1 = torch.stack([col, col.mul(2)], 1);
  throwsLike(() => torch.linalg.luFactor(rank1), e.lu_factor);
  expectReal(torch.linalg.luFactorEx(rank1).info, e.lu_factor_ex_info, 0, "lu_factor_ex info");
  expectComplex(torch.linalg.det(rank1), e.det_singular, "det singular");
  const { sign, logabsdet } = torch.linalg.slogdet(rank1);
  expectComplex(sign, e.slogdet_singular.sign, "slogdet singular sign");
  expectReal(logabsdet, e.slogdet_singular.logabsdet, 0, "slogdet singular logabsdet");
});

function decodeRecord(cases: LuCase[], name: string): FlatRec {
  const c = cases.find((x) => x.name === name);
  assert.ok(c !== undefined, name);
  return c.A;
}

test("gradcheck in complex128: LU, determinants, Cholesky, triangular solves, matrix_exp", () => {
  const { gradcheck } = torch.autograd;
  const A = (name: string): Tensor => cx(decodeRecord(fx.lu, name)).detach();
  const A3 = A("random 3");
  const wide = A("wide");
  const tall = A("tall");
  const B = cx(fx.trisolve[0].B).narrow(0, 0, 3).detach();
  const { LU, pivots } = torch.linalg.luFactor(A3);
  const leaf = (t: Tensor): Tensor => t.clone().requiresGrad_();
  const I = torch.eye(3, { dtype: torch.complex128 });
  // Hermitian positive-definite functions of a free matrix (op_db's Cholesky wrappers)
  const hpd = (x: Tensor): Tensor => x.matmul(x.mH).add(I);
  const cases: [string, (...a: Tensor[]) => Tensor | Tensor[], Tensor[]][] = [
    ["linalg.lu_factor", (x) => torch.linalg.luFactor(x).LU, [A3]],
    ["linalg.lu_factor wide", (x) => torch.linalg.luFactor(x).LU, [wide]],
    ["linalg.lu_factor tall", (x) => torch.linalg.luFactor(x).LU, [tall]],
    ["linalg.lu", (x) => [torch.linalg.lu(x).L, torch.linalg.lu(x).U], [A3]],
    ["linalg.lu wide", (x) => [torch.linalg.lu(x).L, torch.linalg.lu(x).U], [wide]],
    ["linalg.lu tall", (x) => [torch.linalg.lu(x).L, torch.linalg.lu(x).U], [tall]],
    ["lu_unpack", (x) => [torch.luUnpack(x, pivots).L, torch.luUnpack(x, pivots).U], [LU]],
    ...(
      [
        [true, false],
        [true, true],
        [false, false],
        [false, true],
      ] as const
    ).map(([left, adjoint]): [string, (...a: Tensor[]) => Tensor, Tensor[]] => [
      `linalg.lu_solve left=${left} adjoint=${adjoint}`,
      (lu, b) => torch.linalg.luSolve(lu, pivots, b, { left, adjoint }),
      [LU, left ? B : B.mT],
    ]),
    ["lu_solve", (b, lu) => torch.luSolve(b, lu, pivots), [B, LU]],
    ["linalg.det", (x) => torch.linalg.det(x), [A3]],
    [
      "linalg.slogdet",
      (x) => [torch.linalg.slogdet(x).sign, torch.linalg.slogdet(x).logabsdet],
      [A3],
    ],
    ["logdet", (x) => torch.logdet(x), [A3]],
    ["linalg.cholesky", (x) => torch.linalg.cholesky(hpd(x)), [A3]],
    ["linalg.cholesky upper", (x) => torch.linalg.cholesky(hpd(x), { upper: true }), [A3]],
    ["cholesky upper", (x) => torch.cholesky(hpd(x), true), [A3]],
    ["linalg.cholesky_ex", (x) => torch.linalg.choleskyEx(hpd(x)).L, [A3]],
    ["cholesky_solve", (b, x) => torch.choleskySolve(b, torch.linalg.cholesky(hpd(x))), [B, A3]],
    [
      "cholesky_solve upper",
      (b, x) => torch.choleskySolve(b, torch.linalg.cholesky(hpd(x), { upper: true }), true),
      [B, A3],
    ],
    ["cholesky_inverse", (x) => torch.choleskyInverse(torch.linalg.cholesky(hpd(x))), [A3]],
    [
      "cholesky_inverse upper",
      (x) => torch.choleskyInverse(torch.linalg.cholesky(hpd(x), { upper: true }), true),
      [A3],
    ],
    ...([true, false] as const).flatMap((upper) =>
      ([true, false] as const).map((left): [string, (...a: Tensor[]) => Tensor, Tensor[]] => [
        `linalg.solve_triangular upper=${upper} left=${left}`,
        (a, b) => torch.linalg.solveTriangular(upper ? a.triu() : a.tril(), b, { upper, left }),
        [A3, left ? B : B.mT],
      ]),
    ),
    ...([true, false] as const).map(
      (transpose): [string, (...a: Tensor[]) => Tensor[], Tensor[]] => [
        `triangular_solve transpose=${transpose}`,
        (b, a) => {
          const r = torch.triangularSolve(b, a.triu(), true, transpose);
          return [r.solution, r.cloned_coefficient];
        },
        [B, A3],
      ],
    ),
    [
      "linalg.tensorsolve",
      (a, b) => torch.linalg.tensorsolve(a, b),
      [A3, B.narrow(1, 0, 1).reshape([3])],
    ],
    ["matrix_exp", (x) => torch.matrixExp(x.mul(0.5)), [A3]],
  ];
  for (const [name, f, inputs] of cases) {
    const args = inputs.map(leaf);
    assert.equal(
      gradcheck(f as (...a: Tensor[]) => Tensor, args, { atol: 1e-5, rtol: 1e-3 }),
      true,
      name,
    );
  }
});

test("forward AD in complex128: jvp against central differences", () => {
  const A = cx(decodeRecord(fx.lu, "random 3")).detach();
  // a direction: the top-left 3 x 3 block of the first Cholesky case's matrix
  const dir = cx(fx.cholesky[0].A).narrow(0, 0, 3).narrow(1, 0, 3).detach();
  const B = cx(fx.trisolve[0].B).narrow(0, 0, 3).detach();
  const I = torch.eye(3, { dtype: torch.complex128 });
  const hpd = (x: Tensor): Tensor => x.matmul(x.mH).add(I);
  const { LU, pivots } = torch.linalg.luFactor(A);
  const cases: [string, (x: Tensor) => Tensor][] = [
    ["linalg.det", (x) => torch.linalg.det(x)],
    ["linalg.slogdet sign", (x) => torch.linalg.slogdet(x).sign],
    ["linalg.slogdet logabsdet", (x) => torch.linalg.slogdet(x).logabsdet],
    ["linalg.lu_factor", (x) => torch.linalg.luFactor(x).LU],
    ["linalg.lu U", (x) => torch.linalg.lu(x).U],
    ["linalg.lu_solve adjoint", (x) => torch.linalg.luSolve(LU, pivots, x, { adjoint: true })],
    ["linalg.lu_solve LU", (x) => torch.linalg.luSolve(LU.add(x.mul(0.1)), pivots, B)],
    ["linalg.cholesky upper", (x) => torch.linalg.cholesky(hpd(x), { upper: true })],
    ["cholesky_solve", (x) => torch.choleskySolve(B, torch.linalg.cholesky(hpd(x)))],
    ["cholesky_inverse", (x) => torch.choleskyInverse(torch.linalg.cholesky(hpd(x)))],
    [
      "linalg.solve_triangular right",
      (x) => torch.linalg.solveTriangular(x.triu(), B.mT, { upper: true, left: false }),
    ],
    ["triangular_solve transpose", (x) => torch.triangularSolve(B, x.tril(), false, true).solution],
    ["matrix_exp", (x) => torch.matrixExp(x.mul(0.5))],
  ];
  const eps = 1e-6;
  for (const [name, f] of cases) {
    const [, t] = torch.func.jvp(f, [A], [dir]) as [Tensor, Tensor];
    const fd = f(A.add(dir.mul(eps)))
      .sub(f(A.sub(dir.mul(eps))))
      .div(2 * eps);
    const err = fd.sub(t).abs().max().item() as number;
    assert.ok(err < 1e-6, `${name}: jvp off by ${err}`);
  }
});

test("gradgradcheck in complex128: the formulas are differentiable complex tensor ops", () => {
  const { gradgradcheck } = torch.autograd;
  // 2 x 2 (second derivatives cost the square of the first's)
  const A = cx(decodeRecord(fx.lu, "random 2")).detach();
  const B = cx(fx.trisolve[0].B).narrow(0, 0, 2).detach();
  const I = torch.eye(2, { dtype: torch.complex128 });
  const hpd = (x: Tensor): Tensor => x.matmul(x.mH).add(I);
  const cases: [string, (...a: Tensor[]) => Tensor, Tensor[]][] = [
    ["linalg.det", (x) => torch.linalg.det(x), [A]],
    ["linalg.slogdet", (x) => torch.linalg.slogdet(x).logabsdet, [A]],
    ["linalg.lu_factor", (x) => torch.linalg.luFactor(x).LU, [A]],
    [
      "linalg.lu_solve",
      (x, b) => {
        const { LU, pivots } = torch.linalg.luFactor(x);
        return torch.linalg.luSolve(LU, pivots, b);
      },
      [A, B],
    ],
    ["linalg.cholesky", (x) => torch.linalg.cholesky(hpd(x)), [A]],
    ["cholesky_solve", (b, x) => torch.choleskySolve(b, torch.linalg.cholesky(hpd(x))), [B, A]],
    ["cholesky_inverse", (x) => torch.choleskyInverse(torch.linalg.cholesky(hpd(x))), [A]],
    [
      "linalg.solve_triangular",
      (x, b) => torch.linalg.solveTriangular(x.triu(), b, { upper: true }),
      [A, B],
    ],
    ["triangular_solve", (b, x) => torch.triangularSolve(b, x.triu()).solution, [B, A]],
  ];
  for (const [name, f, inputs] of cases) {
    const args = inputs.map((t) => t.clone().requiresGrad_());
    assert.equal(gradgradcheck(f, args, null, { atol: 1e-5, rtol: 1e-3 }), true, name);
  }
});
