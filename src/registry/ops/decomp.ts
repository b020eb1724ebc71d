/**
 * Linear algebra: triangular solves, Cholesky, LU, determinants, inverses, QR, the matrix
 * exponential and the pseudo-inverse, as torch.* functions and methods and their torch.linalg
 * spellings. One `defineOp` per op (see ../define.ts); the kernels are src/backend/linalg.ts's,
 * run on Float64 copies of each matrix of the batch (leading dims, broadcast between operands
 * as PyTorch) and rounded once to the result dtype.
 *
 * Derivatives follow PyTorch 1.13's derivatives.yaml and FunctionsManual.cpp, written with
 * differentiable tensor ops (so second derivatives and forward-over-reverse work): the solves
 * in a formula call this file's own recorded ops. Multi-output ops (triangular_solve, slogdet,
 * lu_factor_ex, lu_unpack, qr) record one node for their differentiable outputs, as reduce.ts's
 * var_mean does.
 */
import { namedTuple } from "../../named-tuple.js";
import { Tensor } from "../../tensor.js";
import {
  DType,
  complex128,
  float64,
  int32,
  int64,
  promoteTypes,
  toRealDtype,
} from "../../dtype.js";
import { castData, contiguousData, scalarTypeName, wrap } from "../../ops/core.js";
import { linAlgError, notImplementedError, runtimeError, typeError } from "../../errors.js";
import { broadcastShapes, contiguousStrides } from "../../shape.js";
import { isGradEnabled, noGrad } from "../../autograd/grad-mode.js";
import { anyNeedsGrad, record, registerDerivative, type OpNode } from "../../autograd/function.js";
import { registerJvp } from "../../autograd/forward-ad.js";
import type { Op } from "../../autograd/derivatives.js";
import * as K from "../../backend/linalg.js";
import * as Z from "../../backend/zlinalg.js";
import * as ZL from "../../backend/linalg-complex.js";
import { norm as reduceNorm } from "../../ops/reduce.js";
import { defineOp, fn } from "../define.js";

type T = Tensor;
type Tangents = { readonly [name: string]: Tensor | null };
type Primals = { readonly [name: string]: Tensor };

// ---------------------------------------------------------------------------------------------
// helpers

/** the transpose of the last two dims (PyTorch's mT) */
const mT = (x: T): T => x.transpose(-2, -1);
/** the conjugate transpose of the last two dims (PyTorch's mH; mT for real tensors) */
const mH = (x: T): T => x.mH;
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * the tensor's values as a fresh Float64Array (or in `into`, when given), row-major
 * (interleaved re/im when complex)
 */
function f64(t: T, into?: Float64Array): Float64Array {
  const n = t.numel() * t.dtype.lanes;
  const { data, offset } = contiguousData(t);
  const out = into ?? new Float64Array(n);
  // typed-array set converts element by element natively (an element loop here is megamorphic
  // over the storage types: several times slower on a 512 x 512 matrix)
  out.set(data.subarray(offset, offset + n));
  return out;
}

/**
 * a contiguous tensor of `dtype` holding `a` (rounded once for float32 and complex64; a complex
 * `dtype` takes interleaved re/im values)
 */
function make(a: Float64Array, shape: number[], dtype: DType): T {
  if (dtype.ArrayType === Float64Array) return wrap(a, shape, dtype);
  const out = new dtype.ArrayType(a.length);
  out.set(a); // rounds each element as an assignment does
  return wrap(out, shape, dtype);
}

/** real values `a` as a tensor of `dtype` (imaginary parts 0 for a complex one) */
function makeReal(a: Float64Array, shape: number[], dtype: DType): T {
  if (!dtype.isComplex) return make(a, shape, dtype);
  const z = new Float64Array(2 * a.length);
  for (let i = 0; i < a.length; i++) z[2 * i] = a[i];
  return make(z, shape, dtype);
}

/** the n x n identity in `dtype` with leading `batch` dims */
function eye(n: number, dtype: DType, batch: readonly number[] = []): T {
  const b = prod(batch);
  const l = dtype.lanes;
  const a = new Float64Array(b * n * n * l);
  for (let k = 0; k < b; k++) for (let i = 0; i < n; i++) a[l * (k * n * n + i * n + i)] = 1;
  return make(a, [...batch, n, n], dtype);
}

/** `x` expanded to leading dims `batch` (its last two dims kept) */
const expandBatch = (x: T, batch: readonly number[]): T =>
  x.expand([...batch, ...x.shape.slice(-2)]);

const batchOf = (x: T): number[] => x.shape.slice(0, -2);

function checkAtLeast2d(name: string, x: T, arg = "A"): void {
  if (x.dim() < 2)
    throw runtimeError(`${name}: The input tensor ${arg} must have at least 2 dimensions.`);
}

function checkSquare(name: string | null, x: T): void {
  const m = x.shape[x.dim() - 2];
  const n = x.shape[x.dim() - 1];
  if (m !== n)
    throw runtimeError(
      `${name === null ? "" : `${name}: `}A must be batches of square matrices, but they are ${m} by ${n} matrices`,
    );
}

/** linalg's dtype check: floating point (or complex) input */
function checkFloating(name: string, x: T): void {
  if (!x.dtype.isFloatingPoint && !x.dtype.isComplex)
    throw runtimeError(
      `${name}: Expected a floating point or complex tensor as input. Got ${scalarTypeName(x.dtype)}`,
    );
}

/** AT_DISPATCH's error for a kernel without integer support */
function checkDispatch(kernel: string, x: T | DType): void {
  const d = x instanceof DType ? x : x.dtype;
  if (!d.isFloatingPoint && !d.isComplex)
    throw runtimeError(`"${kernel}" not implemented for '${scalarTypeName(d)}'`);
}

/** "(Batch element k): " in a batched input's error, as PyTorch's _linalg_check_errors */
const batchPrefix = (x: T, k: number): string => (x.dim() > 2 ? `(Batch element ${k}): ` : "");

/** the sum of the last two dims' diagonal: trace of each matrix of the batch */
const batchTrace = (x: T): T => x.diagonal(0, -2, -1).sum(-1);

// ---------------------------------------------------------------------------------------------
// triangular solves

/**
 * op(T) X = B for each matrix of the batch (op = transpose when `trans`, the conjugate
 * transpose when `conj` too), T [..., n, n] and B [..., n, k] with broadcast leading dims, in
 * `dtype` (complex: ../../backend/linalg-complex.ts's kernel).
 */
function triSolveBatched(
  tri: T,
  b: T,
  upper: boolean,
  trans: boolean,
  unit: boolean,
  dtype: DType,
  conj = false,
): T {
  const batch = broadcastShapes(batchOf(tri), batchOf(b));
  const n = tri.shape[tri.dim() - 1];
  const k = b.shape[b.dim() - 1];
  const ta = f64(expandBatch(tri.to(dtype), batch));
  const xb = f64(expandBatch(b.to(dtype), batch));
  const count = prod(batch);
  if (dtype.isComplex)
    for (let i = 0; i < count; i++)
      ZL.zTriSolve(ta, 2 * i * n * n, xb, 2 * i * n * k, n, k, upper, trans, conj, unit);
  else
    for (let i = 0; i < count; i++)
      K.triSolve(ta, i * n * n, xb, i * n * k, n, k, upper, trans, unit);
  return make(xb, [...batch, n, k], dtype);
}

/** linalg.solve_triangular through the registry (recorded: formulas use it) */
const solveTri = (a: T, b: T, upper: boolean, left = true, unitriangular = false): T =>
  fn("solveTriangular", "linalg")(a, b, { upper, left, unitriangular }) as T;

/** the triangle of `x` a triangular argument's gradient lives on */
const triPart = (x: T, upper: boolean, unit: boolean): T =>
  upper ? x.triu(unit ? 1 : 0) : x.tril(unit ? -1 : 0);

function solveTriangularForward(self: T, b: T, upper: boolean, left: boolean, unit: boolean): T {
  const name = "linalg.solve_triangular";
  checkAtLeast2d(name, self);
  checkAtLeast2d(name, b, "B");
  checkSquare(name, self);
  const n = self.shape[self.dim() - 1];
  const bRows = b.shape[b.dim() - 2];
  const bCols = b.shape[b.dim() - 1];
  if ((left ? bRows : bCols) !== n)
    throw runtimeError(
      `${name}: Incompatible shapes of A and B for the equation ${left ? "AX = B" : "XA = B"} (${n}x${n} and ${bRows}x${bCols})`,
    );
  checkDispatch("triangular_solve_cpu", self);
  const dtype = promoteTypes(self.dtype, b.dtype);
  // X A = B  <=>  A^T X^T = B^T
  return left
    ? triSolveBatched(self, b, upper, false, unit, dtype)
    : mT(triSolveBatched(self, mT(b), upper, true, unit, dtype)).contiguous();
}

defineOp({
  name: "solve_triangular",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "Solves A X = B (or X A = B with `left=false`) for triangular A (its upper or lower triangle; unit diagonal with `unitriangular`), batched.",
  example:
    "torch.linalg.solveTriangular(torch.tensor([[2., 1], [0, 4]]), torch.tensor([[3.], [4]]), { upper: true }) // tensor([[1.], [1.]])",
  overloads: [
    {
      schema:
        "linalg_solve_triangular(Tensor self, Tensor B, *, bool upper, bool left=True, bool unitriangular=False) -> Tensor",
      forward: solveTriangularForward,
      // linalg_solve_triangular_backward: left: gB = A^{-H} g, gA = -gB X^H; right (X A = B):
      // gB = g A^{-H}, gA = -X^H gB; gA restricted to A's triangle
      derivative: {
        name: "LinalgSolveTriangularBackward0",
        save: ["self", "result"],
        attrs: ["upper", "left", "unitriangular"],
        grad: (
          g: T,
          s: { self: T; result: T },
          a: { upper: boolean; left: boolean; unitriangular: boolean },
        ) => {
          const gB = solveTri(mH(s.self), g, !a.upper, a.left, a.unitriangular);
          const gA = a.left ? gB.matmul(mH(s.result)).neg() : mH(s.result).matmul(gB).neg();
          return [triPart(gA, a.upper, a.unitriangular), gB];
        },
        // dX = A^{-1}(dB - dA X) (left), (dB - X dA) A^{-1} (right), dA on A's triangle
        jvp: (
          t: Tangents,
          p: Primals,
          x: T,
          a: { upper: boolean; left: boolean; unitriangular: boolean },
        ) => {
          let rhs = t.B;
          if (t.self !== null) {
            const dA = triPart(t.self, a.upper, a.unitriangular);
            const term = a.left ? dA.matmul(x) : x.matmul(dA);
            rhs = rhs === null ? term.neg() : rhs.sub(term);
          }
          return rhs === null ? null : solveTri(p.self, rhs, a.upper, a.left, a.unitriangular);
        },
      },
    },
  ],
});

interface TriSolveAttrs {
  upper: boolean;
  transpose: boolean;
  unitriangular: boolean;
}

/** triangular_solve's node: gradients of (solution, cloned_coefficient) */
const TRI_SOLVE = "triangular_solve" as unknown as Op;
registerDerivative(TRI_SOLVE, {
  name: "TriangularSolveBackward0",
  save: ["A", "solution"],
  // triangular_solve_backward: gb = op(A)^{-H} gX (a triangular_solve with conj(A), the
  // transpose flag flipped), gA = -gb X^H (op(A) = A) or -conj(X) gb^T (op(A) = A^T) on A's
  // triangle, plus the coefficient's own gradient
  grad: (_g: T, s: { A: T; solution: T }, a: TriSolveAttrs, n: OpNode) => {
    const [gX, gM] = n.gradOutputs;
    let gb: T | null = null;
    let gA: T | null = null;
    if (gX != null) {
      gb = triangularSolve(gX, s.A.conj(), a.upper, !a.transpose, a.unitriangular)[0];
      const full = a.transpose
        ? s.solution.conj().matmul(mT(gb)).neg()
        : gb.matmul(mH(s.solution)).neg();
      gA = triPart(full, a.upper, a.unitriangular);
    }
    if (gM != null) gA = gA === null ? gM : gA.add(gM);
    return [gb, gA];
  },
} as never);
registerJvp(TRI_SOLVE, ((t: (T | null)[], inputs: T[], out: T[], a: TriSolveAttrs) => {
  const [tb, tA] = t;
  const [, A] = inputs;
  const [x, m] = out;
  let rhs = tb;
  if (tA !== null) {
    const dA = triPart(tA, a.upper, a.unitriangular);
    const term = (a.transpose ? mT(dA) : dA).matmul(x);
    rhs = rhs === null ? term.neg() : rhs.sub(term);
  }
  const dX =
    rhs === null ? x.mul(0) : triangularSolve(rhs, A, a.upper, a.transpose, a.unitriangular)[0];
  return [dX, tA === null ? m.mul(0) : tA.expand(m.shape)];
}) as never);

interface SolutionPair {
  solution: T;
  cloned_coefficient: T;
  0: T;
  1: T;
}

/** torch.triangular_solve(b, A): op(A) X = b; (X, A broadcast to X's batch) */

/**
 * ATen's linearSolveCheckInputs: b and A of one dtype, A square, and b's rows A's size (the
 * messages name the op).
 */
function linearSolveCheckInputs(b: Tensor, A: Tensor, name: string): void {
  if (b.dtype !== A.dtype)
    throw runtimeError(
      `Expected b and A to have the same dtype, but found b of type ${scalarTypeName(b.dtype)} and A of type ${scalarTypeName(A.dtype)} instead.`,
    );
  checkSquare(null, A);
  const n = A.shape[A.dim() - 1];
  const [bm, bk] = b.shape.slice(-2);
  if (bm !== n)
    throw runtimeError(
      `Incompatible matrix sizes for ${name}: each A matrix is ${n} by ${n} but each b matrix is ${bm} by ${bk}`,
    );
}

function triangularSolve(
  self: T,
  A: T,
  upper: boolean,
  transpose: boolean,
  unitriangular: boolean,
): [T, T] {
  for (const [x, arg] of [
    [self, "b"],
    [A, "A"],
  ] as const)
    if (x.dim() < 2)
      throw runtimeError(
        `torch.triangular_solve: Expected ${arg} to have at least 2 dimensions, but it has ${x.dim()} dimensions instead`,
      );
  linearSolveCheckInputs(self, A, "triangular_solve");
  checkDispatch("triangular_solve_cpu", A);
  const batch = broadcastShapes(batchOf(self), batchOf(A));
  const x = triSolveBatched(A, self, upper, transpose, unitriangular, A.dtype);
  const m = noGrad(() => expandBatch(A, batch).contiguous());
  if (anyNeedsGrad([self, A]))
    record(
      TRI_SOLVE,
      [x, m],
      [self, A],
      { A, solution: x } as never,
      {
        upper,
        transpose,
        unitriangular,
      } as never,
    );
  return [x, m];
}

defineOp({
  name: "triangular_solve",
  variants: ["function", "method"],
  out: true,
  doc: "Solves op(A) X = b for triangular A (upper by default; op = transpose with `transpose`), batched: `(solution, cloned_coefficient)`.",
  example:
    "torch.triangularSolve(torch.tensor([[3.], [4]]), torch.tensor([[2., 1], [0, 4]])).solution // tensor([[1.], [1.]])",
  overloads: [
    {
      schema:
        "triangular_solve(Tensor self, Tensor A, bool upper=True, bool transpose=False, bool unitriangular=False) -> (Tensor solution, Tensor cloned_coefficient)",
      forward: (self: T, A: T, upper: boolean, transpose: boolean, unitriangular: boolean) => {
        const [x, m] = triangularSolve(self, A, upper, transpose, unitriangular);
        const r: SolutionPair = namedTuple({ solution: x, cloned_coefficient: m, 0: x, 1: m });
        return r;
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// Cholesky

/**
 * The Cholesky factors of the batch: L (lower) or U = L^H (upper; LAPACK reads A's upper
 * triangle, the lower one of A^H), and each matrix's info (0, or the order of the first
 * leading minor that is not positive-definite). Complex: A = L L^H (zpotrf).
 */
function choleskyFactor(x: T, upper: boolean): { factor: T; info: number[] } {
  const n = x.shape[x.dim() - 1];
  const batch = batchOf(x);
  const a = f64(upper ? mH(x) : x);
  const count = prod(batch);
  const info: number[] = [];
  const complex = x.dtype.isComplex;
  for (let i = 0; i < count; i++)
    info.push(complex ? ZL.zCholesky(a, 2 * i * n * n, n) : K.cholesky(a, i * n * n, n));
  const l = make(a, [...batch, n, n], x.dtype);
  return { factor: upper ? mH(l).contiguous() : l, info };
}

function notPositiveDefinite(name: string, x: T, info: number[]): void {
  const k = info.findIndex((v) => v !== 0);
  if (k >= 0)
    throw linAlgError(
      `${name}: ${batchPrefix(x, k)}The factorization could not be completed because the input is not positive-definite (the leading minor of order ${info[k]} is not positive-definite).`,
    );
}

interface UpperAttr {
  upper: boolean;
}

/**
 * cholesky_backward: with L lower (L = U^H for upper), gA = L^{-H} Φ(L^H gL) L^{-1}, Φ(X) =
 * (tril(X) + tril(X, -1)^H) / 2, which is symmetric.
 */
function choleskyBackward(g: T, L0: T, upper: boolean): T {
  const L = upper ? mH(L0) : L0;
  const gL = upper ? mH(g) : g;
  let gA = mH(L).matmul(gL).tril();
  gA = gA.add(mH(gA.tril(-1))).mul(0.5);
  gA = solveTri(mH(L), gA, true, true);
  return solveTri(L, gA, false, false);
}

/** cholesky_jvp: dL = L Φ(L^{-1} dA L^{-H}), Φ(X) = tril(X) - diag(X) / 2 */
function choleskyJvp(dA: T, L0: T, upper: boolean): T {
  const L = upper ? mH(L0) : L0;
  let dL = solveTri(L, dA, false, true);
  dL = solveTri(mH(L), dL, true, false);
  dL = dL.tril().sub(dL.diagonal(0, -2, -1).mul(0.5).diagEmbed());
  dL = L.matmul(dL);
  return upper ? mH(dL) : dL;
}

const choleskyDerivative = (name: string) => ({
  name,
  save: ["result"],
  attrs: ["upper"],
  grad: (g: T, s: { result: T }, a: UpperAttr) => [choleskyBackward(g, s.result, a.upper)],
  jvp: (t: Tangents, _p: Primals, r: T, a: UpperAttr) =>
    t.self === null ? null : choleskyJvp(t.self, r, a.upper),
});

defineOp({
  name: "cholesky",
  variants: ["function", "method"],
  out: true,
  doc: "The Cholesky factor of symmetric positive-definite matrices: L with A = L L^T, or U with A = U^T U when `upper` (deprecated in favour of torch.linalg.cholesky).",
  example: "torch.cholesky(torch.tensor([[4., 2], [2, 5]])) // tensor([[2., 0.], [1., 2.]])",
  overloads: [
    {
      schema: "cholesky(Tensor self, bool upper=False) -> Tensor",
      forward: (self: T, upper: boolean) => {
        checkAtLeast2d("cholesky", self);
        checkSquare("cholesky", self);
        checkDispatch("cholesky_cpu", self);
        const { factor, info } = choleskyFactor(self, upper);
        notPositiveDefinite("cholesky", self, info);
        return factor;
      },
      derivative: choleskyDerivative("CholeskyBackward0"),
    },
  ],
});

function linalgCholesky(self: T, upper: boolean): { factor: T; info: number[] } {
  const name = "linalg.cholesky";
  checkAtLeast2d(name, self);
  checkSquare(name, self);
  checkFloating(name, self);
  return choleskyFactor(self, upper);
}

defineOp({
  name: "cholesky",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The Cholesky factor L of symmetric positive-definite matrices (A = L L^T; U = L^T with `upper`), batched.",
  example: "torch.linalg.cholesky(torch.tensor([[4., 2], [2, 5]])) // tensor([[2., 0.], [1., 2.]])",
  overloads: [
    {
      schema: "linalg_cholesky(Tensor self, *, bool upper=False) -> Tensor",
      forward: (self: T, upper: boolean) => {
        const { factor, info } = linalgCholesky(self, upper);
        notPositiveDefinite("linalg.cholesky", self, info);
        return factor;
      },
      derivative: choleskyDerivative("LinalgCholeskyExBackward0"),
    },
  ],
});

const CHOLESKY_EX = "linalg_cholesky_ex" as unknown as Op;
registerDerivative(CHOLESKY_EX, {
  name: "LinalgCholeskyExBackward0",
  save: ["result"],
  grad: (g: T, s: { result: T }, a: UpperAttr) => [choleskyBackward(g, s.result, a.upper)],
} as never);
registerJvp(CHOLESKY_EX, ((t: (T | null)[], _i: T[], out: T, a: UpperAttr) =>
  t[0] === null ? null : choleskyJvp(t[0], out, a.upper)) as never);

/** the int32 info tensor of a batch ([] for one matrix) */
const infoTensor = (info: number[], batch: number[]): T =>
  make(Float64Array.from(info), batch, int32);

defineOp({
  name: "cholesky_ex",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "linalg.cholesky without the error: `(L, info)`, info > 0 the order of the first leading minor that is not positive-definite (raised with `checkErrors`).",
  example:
    "torch.linalg.choleskyEx(torch.tensor([[1., 2], [2, 1]])).info // tensor(2, dtype=torch.int32)",
  overloads: [
    {
      schema:
        "linalg_cholesky_ex(Tensor self, *, bool upper=False, bool check_errors=False) -> (Tensor L, Tensor info)",
      forward: (self: T, upper: boolean, checkErrors: boolean) => {
        const { factor, info } = linalgCholesky(self, upper);
        if (checkErrors) notPositiveDefinite("linalg.cholesky_ex", self, info);
        if (anyNeedsGrad([self]))
          record(CHOLESKY_EX, factor, [self], { result: factor } as never, { upper } as never);
        const inf = infoTensor(info, batchOf(self));
        return namedTuple({ L: factor, info: inf, 0: factor, 1: inf });
      },
    },
  ],
});

/** A^{-1} B with A = L L^H (U^H U when `upper`) from the factor: two triangular solves */
function cholSolveKernel(b: T, f: T, upper: boolean): T {
  const lower = upper ? mH(f) : f;
  const y = triSolveBatched(lower, b, false, false, false, b.dtype);
  return triSolveBatched(lower, y, false, true, false, b.dtype, true);
}

/** cholesky_solve through the registry (recorded) */
const cholSolve = (b: T, f: T, upper: boolean): T => fn("choleskySolve")(b, f, upper) as T;

defineOp({
  name: "cholesky_solve",
  variants: ["function", "method"],
  out: true,
  doc: "Solves A X = B given the Cholesky factor of A (`input2`: L, or U with `upper`), batched with broadcast leading dims.",
  example:
    "torch.choleskySolve(torch.tensor([[4.], [2]]), torch.tensor([[2., 0], [0, 1]])) // tensor([[1.], [2.]])",
  overloads: [
    {
      schema: "cholesky_solve(Tensor self, Tensor input2, bool upper=False) -> Tensor",
      forward: (self: T, input2: T, upper: boolean) => {
        for (const [x, arg] of [
          [self, "b"],
          [input2, "u"],
        ] as const)
          if (x.dim() < 2)
            throw runtimeError(
              `${arg} should have at least 2 dimensions, but has ${x.dim()} dimensions instead`,
            );
        linearSolveCheckInputs(self, input2, "cholesky_solve");
        checkDispatch("cholesky_solve_cpu", self);
        return cholSolveKernel(self, input2, upper);
      },
      // cholesky_solve_backward: gB = A^{-1} g; with S = gB X^H + X gB^H, gL = -S L (lower),
      // gU = -U S (upper)
      derivative: {
        name: "CholeskySolveBackward0",
        save: ["input2", "result"],
        attrs: ["upper"],
        grad: (g: T, s: { input2: T; result: T }, a: UpperAttr) => {
          const gB = cholSolve(g, s.input2, a.upper);
          let common = gB.matmul(mH(s.result));
          common = common.add(mH(common));
          const gF = a.upper ? s.input2.matmul(common).neg() : common.matmul(s.input2).neg();
          return [gB, gF];
        },
        // dX = A^{-1}(dB - dA X), dA = dK + dK^H, dK = dU^H U (upper) or dL L^H
        jvp: (t: Tangents, p: Primals, x: T, a: UpperAttr) => {
          let rhs = t.self;
          if (t.input2 !== null) {
            const f = p.input2;
            const dK = a.upper ? mH(t.input2).matmul(f) : t.input2.matmul(mH(f));
            const term = dK.add(mH(dK)).matmul(x);
            rhs = rhs === null ? term.neg() : rhs.sub(term);
          }
          return rhs === null ? null : cholSolve(rhs, p.input2, a.upper);
        },
      },
    },
  ],
});

defineOp({
  name: "cholesky_inverse",
  variants: ["function", "method"],
  out: true,
  doc: "The inverse of A = L L^T (U^T U with `upper`) from its Cholesky factor, batched.",
  example:
    "torch.choleskyInverse(torch.tensor([[2., 0], [0, 1]])) // tensor([[0.2500, 0.0000], [0.0000, 1.0000]])",
  overloads: [
    {
      schema: "cholesky_inverse(Tensor self, bool upper=False) -> Tensor",
      forward: (self: T, upper: boolean) => {
        checkAtLeast2d("cholesky_inverse", self);
        checkSquare("cholesky_inverse", self);
        checkDispatch("cholesky_inverse_out_cpu", self);
        const n = self.shape[self.dim() - 1];
        return cholSolveKernel(eye(n, self.dtype, batchOf(self)), self, upper);
      },
      // cholesky_inverse_backward: S = A^{-1}(g + g^H)A^{-1}; gL = -S L, gU = -U S
      derivative: {
        name: "CholeskyInverseBackward0",
        save: ["self", "result"],
        attrs: ["upper"],
        grad: (g: T, s: { self: T; result: T }, a: UpperAttr) => {
          const common = s.result.matmul(g.add(mH(g)).matmul(s.result));
          return [a.upper ? s.self.matmul(common).neg() : common.matmul(s.self).neg()];
        },
        // d A^{-1} = -A^{-1} dA A^{-1}, dA = dK + dK^H
        jvp: (t: Tangents, p: Primals, inv: T, a: UpperAttr) => {
          if (t.self === null) return null;
          const dK = a.upper ? mH(t.self).matmul(p.self) : t.self.matmul(mH(p.self));
          return inv
            .matmul(dK.add(mH(dK)))
            .matmul(inv)
            .neg();
        },
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// LU factorization, inverse, determinants

interface LuResult {
  /** the LU factors, [..., m, n], Float64 (interleaved re/im when `complex`) */
  lu: Float64Array;
  /** 1-based pivots, [..., min(m, n)] */
  piv: Int32Array;
  info: number[];
  batch: number[];
  m: number;
  n: number;
  complex: boolean;
}

/**
 * Note [solve's LU scratch]: linalg.solve's LU factors never leave solveKernel, so they go in
 * one Float64Array kept between calls (up to LU_SCRATCH_MAX elements) instead of a fresh one:
 * a fresh multi-megabyte array is zeroed and its pages fault in on first touch, a tenth of a
 * 512 x 512 solve.
 */
const LU_SCRATCH_MAX = 1 << 21;
let luScratch = new Float64Array(0);

function luKernel(x: T, pivot = true, scratch = false): LuResult {
  const [m, n] = x.shape.slice(-2);
  const batch = batchOf(x);
  const count = prod(batch);
  const size = x.numel() * x.dtype.lanes;
  let into: Float64Array | undefined;
  if (scratch && size <= LU_SCRATCH_MAX) {
    if (luScratch.length < size) luScratch = new Float64Array(size);
    into = luScratch.subarray(0, size);
  }
  const lu = f64(x, into);
  const k = Math.min(m, n);
  const piv = new Int32Array(count * k);
  const info: number[] = [];
  const complex = x.dtype.isComplex;
  for (let i = 0; i < count; i++)
    info.push(
      complex
        ? ZL.zLuFactor(lu, 2 * i * m * n, m, n, piv, i * k, pivot)
        : K.luFactor(lu, i * m * n, m, n, piv, i * k, pivot),
    );
  return { lu, piv, info, batch, m, n, complex };
}

/**
 * A^{-1} B (A^{-H} B with `trans`: A^T for real A) from LU factors of square A (B n x k per
 * matrix, same batch), Float64 in place
 */
function luSolveInPlace(r: LuResult, b: Float64Array, k: number, trans = false): void {
  const { lu, piv, n, complex } = r;
  const count = prod(r.batch);
  const w = complex ? 2 : 1;
  const tri = (lo: number, bo: number, upper: boolean, tr: boolean, unit: boolean): void => {
    if (complex) ZL.zTriSolve(lu, lo, b, bo, n, k, upper, tr, true, unit);
    else K.triSolve(lu, lo, b, bo, n, k, upper, tr, unit);
  };
  for (let i = 0; i < count; i++) {
    const bo = w * i * n * k;
    const lo = w * i * n * n;
    if (!trans) {
      // P^T b (the row swaps in order), then L^{-1}, then U^{-1}
      for (let j = 0; j < n; j++) swapRows(b, bo, w * k, j, piv[i * n + j] - 1);
      tri(lo, bo, false, false, true);
      tri(lo, bo, true, false, false);
    } else {
      // A^H = U^H L^H P^T: x = P L^{-H} U^{-H} b
      tri(lo, bo, true, true, false);
      tri(lo, bo, false, true, true);
      for (let j = n - 1; j >= 0; j--) swapRows(b, bo, w * k, j, piv[i * n + j] - 1);
    }
  }
}

function swapRows(b: Float64Array, o: number, k: number, i: number, j: number): void {
  if (i === j) return;
  for (let c = 0; c < k; c++) {
    const t = b[o + i * k + c];
    b[o + i * k + c] = b[o + j * k + c];
    b[o + j * k + c] = t;
  }
}

/** the inverse of each matrix (inf/nan where singular) and the LAPACK infos */
function invKernel(x: T): { inv: T; info: number[] } {
  const r = luKernel(x);
  const n = r.n;
  const b = f64(eye(n, float64, r.batch));
  luSolveInPlace(r, b, n);
  return { inv: make(b, [...r.batch, n, n], x.dtype), info: r.info };
}

function checkInvInput(x: T): void {
  const name = "linalg.inv";
  checkAtLeast2d(name, x);
  checkSquare(name, x);
  checkFloating(name, x);
}

function singularInverse(x: T, info: number[], name = "linalg.inv"): void {
  const k = info.findIndex((v) => v !== 0);
  if (k >= 0)
    throw linAlgError(
      `${name}: ${batchPrefix(x, k)}The diagonal element ${info[k]} is zero, the inversion could not be completed because the input matrix is singular.`,
    );
}

/** linalg_inv_ex's derivative: gA = -X^H g X^H (the JVP, -X dA X, is each entry's) */
const invDerivative = {
  name: "LinalgInvExBackward0",
  save: ["result"],
  grad: (g: T, s: { result: T }) => [
    mT(s.result)
      .matmul(g.matmul(mT(s.result)))
      .neg(),
  ],
};

for (const [name, ns, argName] of [
  ["inv", "linalg", "A"],
  ["inverse", "torch", "self"],
] as const) {
  defineOp({
    name,
    namespace: ns,
    variants: ns === "torch" ? ["function", "method"] : ["function"],
    out: true,
    doc: "The inverse of square matrices, batched (linalg.inv: the singular input's error names the zero pivot).",
    example: `torch.${ns === "torch" ? "" : "linalg."}${name}(torch.tensor([[2., 0], [0, 4]])) // tensor([[0.5000, 0.0000], [0.0000, 0.2500]])`,
    overloads: [
      {
        schema: `${ns === "torch" ? "" : "linalg_"}${name}(Tensor ${argName}) -> Tensor`,
        forward: (x: T) => {
          checkInvInput(x);
          const { inv, info } = invKernel(x);
          singularInverse(x, info);
          return inv;
        },
        derivative: {
          ...invDerivative,
          jvp: (t: Tangents, _p: Primals, x: T) => {
            const d = t[argName];
            return d === null ? null : x.matmul(d).matmul(x).neg();
          },
        },
      },
    ],
  });
}

const INV_EX = "linalg_inv_ex" as unknown as Op;
registerDerivative(INV_EX, {
  name: invDerivative.name,
  save: ["result"],
  grad: invDerivative.grad,
} as never);
registerJvp(INV_EX, ((t: (T | null)[], _i: T[], x: T) =>
  t[0] === null ? null : x.matmul(t[0]).matmul(x).neg()) as never);

/** linalg.inv_ex through the registry (recorded) */
const invEx = (a: T): T => (fn("invEx", "linalg")(a) as { inverse: T }).inverse;

defineOp({
  name: "inv_ex",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "linalg.inv without the error: `(inverse, info)`, info > 0 the index of a zero pivot (raised with `checkErrors`).",
  example:
    "torch.linalg.invEx(torch.tensor([[2., 0], [0, 4]])).inverse // tensor([[0.5000, 0.0000], [0.0000, 0.2500]])",
  overloads: [
    {
      schema:
        "linalg_inv_ex(Tensor A, *, bool check_errors=False) -> (Tensor inverse, Tensor info)",
      forward: (A: T, checkErrors: boolean) => {
        checkInvInput(A);
        const { inv, info } = invKernel(A);
        if (checkErrors) singularInverse(A, info, "linalg.inv_ex");
        if (anyNeedsGrad([A])) record(INV_EX, inv, [A], { result: inv } as never, {} as never);
        const inf = infoTensor(info, batchOf(A));
        return namedTuple({ inverse: inv, info: inf, 0: inv, 1: inf });
      },
    },
  ],
});

/**
 * sign and log|det| of each matrix from its LU factors (sign 0, -inf for a singular one);
 * complex: the sign det / |det| (interleaved re/im), the product of u_jj / |u_jj| and the
 * pivots' parity
 */
function slogdetKernel(x: T): { sign: Float64Array; logabs: Float64Array; batch: number[] } {
  const r = luKernel(x);
  const n = r.n;
  const count = prod(r.batch);
  if (r.complex) {
    const sign = new Float64Array(2 * count);
    const logabs = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      let sr = 1;
      let si = 0;
      let l = 0;
      for (let j = 0; j < n; j++) {
        const q = 2 * (i * n * n + j * n + j);
        const [dr, di] = [r.lu[q], r.lu[q + 1]];
        const a = Math.hypot(dr, di);
        if (r.piv[i * n + j] !== j + 1) [sr, si] = [-sr, -si];
        [sr, si] = [(sr * dr - si * di) / a, (sr * di + si * dr) / a];
        l += Math.log(a);
      }
      if (r.info[i] !== 0) [sr, si] = [0, 0];
      const bad = Number.isNaN(l);
      sign[2 * i] = bad ? NaN : sr;
      sign[2 * i + 1] = bad ? NaN : si;
      logabs[i] = l;
    }
    return { sign, logabs, batch: r.batch };
  }
  const sign = new Float64Array(count);
  const logabs = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let s = 1;
    let l = 0;
    for (let j = 0; j < n; j++) {
      const d = r.lu[i * n * n + j * n + j];
      if (r.piv[i * n + j] !== j + 1) s = -s;
      if (d < 0) s = -s;
      l += Math.log(Math.abs(d));
    }
    if (r.info[i] !== 0) s = 0;
    sign[i] = Number.isNaN(l) ? NaN : s;
    logabs[i] = l;
  }
  return { sign, logabs, batch: r.batch };
}

const SLOGDET = "linalg_slogdet" as unknown as Op;
registerDerivative(SLOGDET, {
  name: "LinalgSlogdetBackward0",
  save: ["A"],
  // slogdet_backward: g A^{-H}, g = g_logabsdet (real A: the sign is locally constant), and
  // for complex A g = g_logabsdet - i Im(conj(g_sign) sign)
  grad: (_g: T, s: { A: T; sign: T }, _a: object, n: OpNode) => {
    const [gs, gl0] = n.gradOutputs;
    const complex = s.A.dtype.isComplex;
    if (!complex && gl0 == null) return [null];
    let gl: T | null = gl0 ?? null;
    if (complex && gs != null) {
      const im = gs.conj().mul(s.sign).imag;
      const term = (fn("complex") as (a: T, b: T) => T)(im.mul(0), im.neg());
      gl = gl === null ? term : term.add(gl);
    }
    if (gl === null) return [null];
    return [mH(invEx(s.A)).mul(gl.unsqueeze(-1).unsqueeze(-1))];
  },
} as never);
// slogdet_jvp: d log|det A| = Re tr(A^{-1} dA); the sign's tangent is zero for real A, and
// sign i Im tr(A^{-1} dA) for complex A
registerJvp(SLOGDET, ((t: (T | null)[], inputs: T[], out: T[]) => {
  const dA = t[0];
  if (dA === null) return [out[0].mul(0), out[1].mul(0)];
  const tr = batchTrace(invEx(inputs[0]).matmul(dA));
  if (!tr.dtype.isComplex) return [out[0].mul(0), tr];
  const im = tr.imag;
  const dSign = out[0].mul((fn("complex") as (a: T, b: T) => T)(im.mul(0), im));
  return [dSign, tr.real];
}) as never);

function slogdet(A: T, name: string): [T, T] {
  checkAtLeast2d(name, A);
  checkSquare(name, A);
  checkFloating(name, A);
  const { sign, logabs, batch } = slogdetKernel(A);
  const s = make(sign, batch, A.dtype);
  const l = make(logabs, batch, A.dtype.isComplex ? toRealDtype(A.dtype) : A.dtype);
  if (anyNeedsGrad([A])) record(SLOGDET, [s, l], [A], { A, sign: s } as never, {} as never);
  return [s, l];
}

for (const [name, ns, arg] of [
  ["slogdet", "linalg", "A"],
  ["slogdet", "torch", "self"],
] as const) {
  defineOp({
    name,
    namespace: ns,
    variants: ns === "torch" ? ["function", "method"] : ["function"],
    out: true,
    doc: "The sign and the natural log of the absolute value of the determinant, batched: `(sign, logabsdet)` (0 and -inf for a singular matrix).",
    example: `torch.${ns === "torch" ? "" : "linalg."}slogdet(torch.tensor([[-2., 0], [0, 4]])).logabsdet // tensor(2.0794)`,
    overloads: [
      {
        schema: `${ns === "torch" ? "" : "linalg_"}slogdet(Tensor ${arg}) -> (Tensor sign, Tensor logabsdet)`,
        forward: (A: T) => {
          const [s, l] = slogdet(A, "linalg.slogdet");
          return namedTuple({ sign: s, logabsdet: l, 0: s, 1: l });
        },
      },
    ],
  });
}

defineOp({
  name: "logdet",
  variants: ["function", "method"],
  doc: "The natural log of the determinant, batched: nan for a negative determinant, -inf for a singular matrix.",
  example: "torch.logdet(torch.tensor([[2., 0], [0, 4]])) // tensor(2.0794)",
  overloads: [
    {
      schema: "logdet(Tensor self) -> Tensor",
      // at::logdet: where(sign == -1, nan, logabsdet) (WhereBackward0 over the slogdet node);
      // complex: log(sign) + logabsdet (AddBackward0)
      forward: (self: T) => {
        const [s, l] = slogdet(self, "logdet");
        if (self.dtype.isComplex) return s.log().add(l);
        return fn("where")(s.eq(-1), NaN, l) as T;
      },
    },
  ],
});

/** the determinant of each matrix (the product of U's diagonal and the pivots' parity) */
function detKernel(x: T): T {
  if (x.dtype.isComplex) {
    const lu = luKernel(x);
    const n = lu.n;
    const count = prod(lu.batch);
    const r = new Float64Array(2 * count);
    for (let i = 0; i < count; i++) {
      let [pr, pi] = [1, 0];
      for (let j = 0; j < n; j++) {
        const q = 2 * (i * n * n + j * n + j);
        [pr, pi] = [pr * lu.lu[q] - pi * lu.lu[q + 1], pr * lu.lu[q + 1] + pi * lu.lu[q]];
        if (lu.piv[i * n + j] !== j + 1) [pr, pi] = [-pr, -pi];
      }
      r[2 * i] = pr;
      r[2 * i + 1] = pi;
    }
    return make(r, lu.batch, x.dtype);
  }
  const { sign, logabs, batch } = slogdetKernel(x);
  const r = new Float64Array(sign.length);
  const n = x.shape[x.dim() - 1];
  const lu = luKernel(x);
  for (let i = 0; i < r.length; i++) {
    // the product itself (exp(log) loses the last bits): sign * prod |u_jj|
    let p = 1;
    for (let j = 0; j < n; j++) p *= lu.lu[i * n * n + j * n + j];
    let parity = 1;
    for (let j = 0; j < n; j++) if (lu.piv[i * n + j] !== j + 1) parity = -parity;
    r[i] = Number.isNaN(logabs[i]) ? NaN : parity * p;
  }
  return make(r, batch, x.dtype);
}

/**
 * Note [det derivatives]: PyTorch 1.13's linalg_det_backward / linalg_det_jvp. The JVP and the
 * first-order gradient solve with the LU factors of A, an exactly zero pivot replaced by the
 * dtype's eps (det is C^1, so the perturbed matrix's value is the limit's approximation). PyTorch
 * factors A^T for a real contiguous A; its LAPACK scales by the pivot's reciprocal where
 * tensorgrad's LU divides, so A^T's factors round differently here, and A's match op_db's
 * singular samples (real and complex) to the last bit. With these factors a nearly
 * singular A's tiny det and huge inverse share their rounding, so their product (the
 * adjugate) is accurate. A gradient recorded for higher orders (create_graph) uses the SVD
 * A = U diag(S) Vh where |det| < 100 eps: adj(A)^H = conj(det U det Vh) U diag(prod_{j != i}
 * S_j) Vh, which needs no inverse; elsewhere it solves A^H G = g conj(det) I.
 */
function perturbedLu(A: T): { LU: T; pivots: T } {
  const { LU, pivots } = fn("luFactorEx", "linalg")(A) as { LU: T; pivots: T };
  const eps = realEps(A.dtype);
  const diag = LU.diagonal(0, -2, -1);
  const bump = diag.eq(0).to(LU.dtype).mul(eps);
  return { LU: LU.add(fn("diagEmbed")(bump) as T), pivots };
}

/** at::native::_get_epsilon of the real counterpart of `d` (finfo(d).eps) */
const realEps = (d: DType): number =>
  d === float64 || d === complex128 ? 2.220446049250313e-16 : 1.1920929e-7;

function detBackward(g: T, det: T, A: T): T {
  const n = A.shape[A.dim() - 1];
  const dg = g.mul(det.conj());
  const D = eye(n, A.dtype, batchOf(A)).mul(dg.unsqueeze(-1).unsqueeze(-1));
  if (!isGradEnabled()) {
    const { LU, pivots } = perturbedLu(A);
    return luSolve(LU, pivots, D, true, true);
  }
  const eps = realEps(A.dtype);
  const singular = (M: T, gg: T): T => {
    const { U, S, Vh } = fn("svd", "linalg")(M) as { U: T; S: T; Vh: T };
    const detOf = fn("det", "linalg") as (x: T) => T;
    const alpha = detOf(U).mul(detOf(Vh)).conj().mul(gg);
    // prod_safe_zeros_backward: each singular value's co-product prod_{j != i} S_j
    const co: T[] = [];
    for (let i = 0; i < n; i++)
      co.push(
        S.narrow(-1, 0, i)
          .prod(-1)
          .mul(S.narrow(-1, i + 1, n - i - 1).prod(-1)),
      );
    const P = (fn("stack")(co, -1) as T).mul(alpha.unsqueeze(-1));
    return U.mul(P.unsqueeze(-2)).matmul(Vh);
  };
  // A^H G = g conj(det) I
  const nonsingular = (M: T, DD: T): T => fn("solve", "linalg")(mH(M), DD) as T;
  // ATen's masked_fmap: one formula for all when the mask is uniform, else each on its
  // matrices, written into a fresh tensor (IndexPutBackward0)
  const mask = det.abs().lt(100 * eps);
  const count = mask.sum().item() as number;
  if (count === 0) return nonsingular(A, D);
  if (count === mask.numel()) return singular(A, g);
  const inv = mask.logicalNot();
  const ret = fn("emptyLike")(A) as T;
  ret.indexPut_([mask], singular(A.index(mask), g.index(mask)));
  ret.indexPut_([inv], nonsingular(A.index(inv), D.index(inv)));
  return ret;
}

for (const [name, ns, arg] of [
  ["det", "linalg", "A"],
  ["det", "torch", "self"],
] as const) {
  defineOp({
    name,
    namespace: ns,
    variants: ns === "torch" ? ["function", "method"] : ["function"],
    out: ns === "linalg",
    doc: "The determinant of square matrices, batched.",
    example: `torch.${ns === "torch" ? "" : "linalg."}det(torch.tensor([[2., 1], [1, 4]])) // tensor(7.)`,
    overloads: [
      {
        schema: `${ns === "torch" ? "" : "linalg_"}det(Tensor ${arg}) -> Tensor`,
        forward: (A: T) => {
          const nm = "linalg.det";
          checkAtLeast2d(nm, A);
          checkSquare(nm, A);
          checkFloating(nm, A);
          return detKernel(A);
        },
        // linalg_det_backward: the cofactor matrix g conj(det) A^{-H}; no gradient (undefined)
        // for an empty A, as ATen returns (Note [det derivatives])
        derivative: {
          name: "LinalgDetBackward0",
          save: [arg, "result"],
          grad: (g: T, s: Primals & { result: T }) => [
            s[arg].numel() === 0 ? null : detBackward(g, s.result, s[arg]),
          ],
          // linalg_det_jvp: d det A = det A tr(A^{-1} dA), A^{-1} dA from det's own LU
          jvp: (t: Tangents, p: Primals, r: T) => {
            const d = t[arg];
            if (d === null) return null;
            const { LU, pivots } = perturbedLu(p[arg]);
            return batchTrace(luSolve(LU, pivots, d, true, false)).mul(r);
          },
        },
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// matrix exponential

function matrixExpForward(self: T): T {
  checkAtLeast2d("linalg.matrix_exp", self);
  checkSquare("linalg.matrix_exp", self);
  checkFloating("matrix_exp", self);
  const n = self.shape[self.dim() - 1];
  const batch = batchOf(self);
  const a = f64(self);
  const out = new Float64Array(a.length);
  const count = prod(batch);
  for (let i = 0; i < count; i++) K.matrixExp(a, i * n * n, n, out, i * n * n);
  return make(out, [...batch, n, n], self.dtype);
}

/**
 * linalg_matrix_exp_differential: the Fréchet derivative of exp at A in direction E is the
 * upper-right block of exp([[A, E], [0, A]]); the adjoint (backward) uses A^H for A.
 */
function matrixExpDifferential(A: T, E: T, adjoint: boolean): T {
  const n = A.shape[A.dim() - 1];
  const X = adjoint ? mH(A) : A;
  const cat = fn("cat");
  const top = cat([X, E], -1) as T;
  const bottom = cat([X.mul(0), X], -1) as T;
  const meta = cat([top, bottom], -2) as T;
  const ex = fn("matrixExp")(meta) as T;
  return ex.narrow(-2, 0, n).narrow(-1, n, n);
}

for (const ns of ["torch", "linalg"] as const) {
  defineOp({
    name: "matrix_exp",
    namespace: ns,
    variants: ns === "torch" ? ["function", "method"] : ["function"],
    doc: "The matrix exponential exp(A) = sum_k A^k / k!, batched (scaling and squaring).",
    example: `torch.${ns === "torch" ? "" : "linalg."}matrixExp(torch.zeros(2, 2)) // tensor([[1., 0.], [0., 1.]])`,
    overloads: [
      {
        schema: `${ns === "torch" ? "" : "linalg_"}matrix_exp(Tensor self) -> Tensor`,
        forward: matrixExpForward,
        derivative: {
          name: "LinalgMatrixExpBackward0",
          save: ["self"],
          grad: (g: T, s: { self: T }) => [matrixExpDifferential(s.self, g, true)],
          jvp: (t: Tangents, p: Primals) =>
            t.self === null ? null : matrixExpDifferential(p.self, t.self, false),
        },
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// LU: lu_factor(_ex), torch.lu, lu_unpack, linalg.lu, lu_solve

const luAt = (name: string, x: T): void => {
  if (x.dim() < 2)
    throw runtimeError(
      `${name}: Expected tensor with 2 or more dimensions. Got size: [${x.shape.join(", ")}] instead`,
    );
};

function checkPivot(pivot: boolean): void {
  if (!pivot)
    throw runtimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU");
}

/** the LU factors as a tensor, the pivots (int32) and info tensors */
function luFactorTensors(A: T, pivot: boolean): { LU: T; pivots: T; info: T; infos: number[] } {
  luAt("torch.lu_factor", A);
  checkDispatch("lu_cpu", A);
  checkPivot(pivot);
  const r = luKernel(A);
  const k = Math.min(r.m, r.n);
  const LU = make(r.lu, A.shape.slice(), A.dtype);
  const pivots = wrap(r.piv, [...r.batch, k], int32);
  return { LU, pivots, info: infoTensor(r.info, r.batch), infos: r.info };
}

/** P L U of a factorization: P from the pivots (P^T A = A[perm]), L unit lower m x k, U k x n */
function unpackPivots(piv: T, m: number, dtype: DType): T {
  const k = piv.shape[piv.dim() - 1];
  const batch = piv.shape.slice(0, -1);
  const count = prod(batch);
  const p = f64(piv);
  const out = new Float64Array(count * m * m);
  const perm = new Int32Array(m);
  for (let b = 0; b < count; b++) {
    for (let i = 0; i < m; i++) perm[i] = i;
    for (let j = 0; j < k; j++) {
      const q = p[b * k + j] - 1;
      if (!(q >= 0 && q < m))
        throw runtimeError(
          "pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive.Did you properly pass the result of lu_factor?",
        );
      const t = perm[j];
      perm[j] = perm[q];
      perm[q] = t;
    }
    // (P^T A)[i] = A[perm[i]]: P[perm[i], i] = 1
    for (let i = 0; i < m; i++) out[b * m * m + perm[i] * m + i] = 1;
  }
  return makeReal(out, [...batch, m, m], dtype);
}

/** L (m x k, unit diagonal) and U (k x n) of packed LU factors, as tensor ops (differentiable) */
function splitLU(LU: T): [T, T] {
  const [m, n] = LU.shape.slice(-2);
  const k = Math.min(m, n);
  const lower = (m > n ? LU : LU.narrow(-1, 0, k)).tril(-1);
  const L = lower.add(eyeRect(m, k, LU.dtype));
  const U = (n > m ? LU : LU.narrow(-2, 0, k)).triu();
  return [L, U];
}

/** the m x k matrix with ones on its diagonal */
function eyeRect(m: number, k: number, dtype: DType): T {
  const a = new Float64Array(m * k);
  for (let i = 0; i < Math.min(m, k); i++) a[i * k + i] = 1;
  return makeReal(a, [m, k], dtype);
}

const cat = (ts: T[], dim: number): T => fn("cat")(ts, dim) as T;

/**
 * linalg_lu_backward for A = P L U (m x n, k = min(m, n)), derived as PyTorch's from
 * dA' = P^T dA = dL U + L dU:
 * - m = n: gA = P L^{-H} (tril(L^H gL, -1) + triu(gU U^H)) U^{-H};
 * - m < n (U = [U1 U2]): gM = tril(L^H gL - gU2 U2^H, -1) + triu(gU1 U1^H),
 *   gA = P L^{-H} [gM U1^{-H}, gU2];
 * - m > n (L = [L1; L2]): gM = tril(L1^H gL1, -1) + triu(gU U^H - L2^H gL2),
 *   gA = P [L1^{-H} gM; gL2] U^{-H}.
 */
function luBackward(gL0: T | null, gU0: T | null, P: T, L: T, U: T): T {
  const m = L.shape[L.dim() - 2];
  const n = U.shape[U.dim() - 1];
  const gL = gL0 ?? L.mul(0);
  const gU = gU0 ?? U.mul(0);
  if (m === n) {
    const gM = mH(L)
      .matmul(gL)
      .tril(-1)
      .add(gU.matmul(mH(U)).triu());
    const x = solveTri(mH(L), gM, true, true, true);
    return P.matmul(solveTri(mH(U), x, false, false));
  }
  if (m < n) {
    const U1 = U.narrow(-1, 0, m);
    const U2 = U.narrow(-1, m, n - m);
    const gU1 = gU.narrow(-1, 0, m);
    const gU2 = gU.narrow(-1, m, n - m);
    const gM = mH(L)
      .matmul(gL)
      .sub(gU2.matmul(mH(U2)))
      .tril(-1)
      .add(gU1.matmul(mH(U1)).triu());
    const gX1 = solveTri(mH(U1), gM, false, false);
    return P.matmul(solveTri(mH(L), cat([gX1, gU2], -1), true, true, true));
  }
  const L1 = L.narrow(-2, 0, n);
  const L2 = L.narrow(-2, n, m - n);
  const gL1 = gL.narrow(-2, 0, n);
  const gL2 = gL.narrow(-2, n, m - n);
  const gM = mH(L1)
    .matmul(gL1)
    .tril(-1)
    .add(gU.matmul(mH(U)).sub(mH(L2).matmul(gL2)).triu());
  const top = solveTri(mH(L1), gM, true, true, true);
  return P.matmul(solveTri(mH(U), cat([top, gL2], -2), false, false));
}

/**
 * linalg_lu_jvp: with dA' = P^T dA,
 * - m = n: M = L^{-1} dA' U^{-1}, dL = L tril(M, -1), dU = triu(M) U;
 * - m < n: X = L^{-1} dA' = [X1 X2], M = X1 U1^{-1}, dL = L tril(M, -1),
 *   dU = [triu(M) U1, X2 - tril(M, -1) U2];
 * - m > n: M = L1^{-1} dA'1 U^{-1}, dL = [L1 tril(M, -1); dA'2 U^{-1} - L2 triu(M)],
 *   dU = triu(M) U.
 */
function luJvp(dA: T, P: T, L: T, U: T): [T, T] {
  const m = L.shape[L.dim() - 2];
  const n = U.shape[U.dim() - 1];
  const dAp = mH(P).matmul(dA);
  if (m === n) {
    const M = solveTri(U, solveTri(L, dAp, false, true, true), true, false);
    return [L.matmul(M.tril(-1)), M.triu().matmul(U)];
  }
  if (m < n) {
    const X = solveTri(L, dAp, false, true, true);
    const U1 = U.narrow(-1, 0, m);
    const U2 = U.narrow(-1, m, n - m);
    const M = solveTri(U1, X.narrow(-1, 0, m), true, false);
    const lowM = M.tril(-1);
    const dU = cat([M.triu().matmul(U1), X.narrow(-1, m, n - m).sub(lowM.matmul(U2))], -1);
    return [L.matmul(lowM), dU];
  }
  const L1 = L.narrow(-2, 0, n);
  const L2 = L.narrow(-2, n, m - n);
  const M = solveTri(U, solveTri(L1, dAp.narrow(-2, 0, n), false, true, true), true, false);
  const upM = M.triu();
  const dL2 = solveTri(U, dAp.narrow(-2, n, m - n), true, false).sub(L2.matmul(upM));
  return [cat([L1.matmul(M.tril(-1)), dL2], -2), upM.matmul(U)];
}

/** lu_unpack through the registry (recorded) */
const luUnpack = (LU: T, piv: T): { P: T; L: T; U: T } =>
  fn("luUnpack")(LU, piv) as { P: T; L: T; U: T };

const LU_FACTOR_EX = "linalg_lu_factor_ex" as unknown as Op;
registerDerivative(LU_FACTOR_EX, {
  name: "LinalgLuFactorExBackward0",
  save: ["LU", "pivots"],
  // lu_factor_ex_backward: linalg_lu_backward with gL = tril(g, -1), gU = triu(g) of the
  // packed gradient
  grad: (g: T, s: { LU: T; pivots: T }) => {
    const { P, L, U } = luUnpack(s.LU, s.pivots);
    const [m, n] = g.shape.slice(-2);
    const k = Math.min(m, n);
    const gL = (m > n ? g : g.narrow(-1, 0, k)).tril(-1);
    const gU = (n > m ? g : g.narrow(-2, 0, k)).triu();
    return [luBackward(gL, gU, P, L, U)];
  },
} as never);
registerJvp(LU_FACTOR_EX, ((t: (T | null)[], _i: T[], LU: T, _a: object) => {
  const dA = t[0];
  if (dA === null) return null;
  // the pivots: a factorization of LU's own P (LU = packed factors with P^T A = L U)
  const { P, L, U } = luUnpack(LU, luPivotsOf.get(LU) as T);
  const [dL, dU] = luJvp(dA, P, L, U);
  const [m, n] = LU.shape.slice(-2);
  // packed: dL's strictly lower part plus dU, each padded to m x n
  const dLU =
    m === n
      ? dL.add(dU)
      : m < n
        ? cat([dL, dU.narrow(-1, m, n - m).mul(0)], -1).add(dU)
        : dL.add(cat([dU, dL.narrow(-2, n, m - n).mul(0)], -2));
  return dLU;
}) as never);

/**
 * The JVPs see only the differentiable outputs: the pivots of a recorded LU and the P of a
 * recorded linalg.lu, by output
 */
const luPivotsOf = new WeakMap<T, T>();
const linalgLuP = new WeakMap<T, T>();

/** linalg_lu_factor_ex: (LU, pivots, info), recorded */
function luFactorEx(A: T, pivot: boolean): { LU: T; pivots: T; info: T; infos: number[] } {
  const r = luFactorTensors(A, pivot);
  luPivotsOf.set(r.LU, r.pivots);
  if (anyNeedsGrad([A]))
    record(LU_FACTOR_EX, r.LU, [A], { LU: r.LU, pivots: r.pivots } as never, {} as never);
  return r;
}

function luSingular(name: string, A: T, infos: number[]): void {
  const k = infos.findIndex((v) => v !== 0);
  if (k >= 0)
    throw runtimeError(
      `${name}: ${batchPrefix(A, k)}U[${infos[k]},${infos[k]}] is zero and using it on lu_solve would result in a division by zero. If you still want to perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)`,
    );
}

defineOp({
  name: "lu_factor_ex",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The LU factorization with partial pivoting, packed: `(LU, pivots, info)` (pivots 1-based int32, info > 0 marks a zero pivot of U).",
  example:
    "torch.linalg.luFactorEx(torch.tensor([[1., 2], [3, 4]])).pivots // tensor([2, 2], dtype=torch.int32)",
  overloads: [
    {
      schema:
        "linalg_lu_factor_ex(Tensor A, *, bool pivot=True, bool check_errors=False) -> (Tensor LU, Tensor pivots, Tensor info)",
      forward: (A: T, pivot: boolean, checkErrors: boolean) => {
        const r = luFactorEx(A, pivot);
        if (checkErrors) luSingular("torch.linalg.lu_factor_ex", A, r.infos);
        return namedTuple({
          LU: r.LU,
          pivots: r.pivots,
          info: r.info,
          0: r.LU,
          1: r.pivots,
          2: r.info,
        });
      },
    },
  ],
});

defineOp({
  name: "lu_factor",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The LU factorization with partial pivoting, packed: `(LU, pivots)`; a zero pivot of U raises.",
  example:
    "torch.linalg.luFactor(torch.tensor([[1., 2], [3, 4]])).LU // tensor([[3.0000, 4.0000], [0.3333, 0.6667]])",
  overloads: [
    {
      schema: "linalg_lu_factor(Tensor A, *, bool pivot=True) -> (Tensor LU, Tensor pivots)",
      forward: (A: T, pivot: boolean) => {
        const r = luFactorEx(A, pivot);
        luSingular("torch.linalg.lu_factor", A, r.infos);
        return namedTuple({ LU: r.LU, pivots: r.pivots, 0: r.LU, 1: r.pivots });
      },
    },
  ],
});

/** torch.functional.lu: torch._lu_with_info (linalg_lu_factor_ex; its check_errors unused in 1.13) */
function luPython(A: T, pivot: boolean, getInfos: boolean, out: T[] | null = null): T[] {
  const r = luFactorEx(A, pivot);
  const res = getInfos ? [r.LU, r.pivots, r.info] : [r.LU, r.pivots];
  if (out === null) return res;
  if (out.length !== res.length)
    throw typeError(`expected tuple of ${res.length} elements but got ${out.length}`);
  // out[i].resize_as_(result[i]).copy_(result[i])
  out.forEach((o, i) => {
    o.typedArray = castData(res[i], o.dtype);
    o.shape = res[i].shape.slice();
    o.strides = contiguousStrides(o.shape);
    o.offset = 0;
    o._version.value++;
  });
  return out;
}

defineOp({
  name: "lu",
  variants: ["function", "method"],
  // boolean_dispatch on get_infos (torch/functional.py)
  python: { flag: "get_infos", ifTrue: "_lu_with_infos", ifFalse: "_lu_no_infos" },
  doc: "The LU factorization with partial pivoting (torch.functional.lu): `[LU, pivots]`, or `[LU, pivots, infos]` with `getInfos`.",
  example: "torch.lu(torch.tensor([[1., 2], [3, 4]]))[1] // tensor([2, 2], dtype=torch.int32)",
  overloads: [
    {
      schema: "lu(Tensor A, bool pivot=True, bool get_infos=False, Tensor[]? out=None) -> Tensor[]",
      forward: luPython,
    },
  ],
  methodOverloads: [
    {
      schema: "lu(Tensor self, bool pivot=True, bool get_infos=False) -> Tensor[]",
      forward: (self: T, pivot: boolean, getInfos: boolean) => luPython(self, pivot, getInfos),
    },
  ],
});

const LU_UNPACK = "lu_unpack" as unknown as Op;
registerDerivative(LU_UNPACK, {
  name: "LuUnpackBackward0",
  save: [],
  // lu_unpack_backward: the strictly lower part of gL and the upper part of gU, packed m x n
  grad: (_g: T, _s: object, a: { m: number; n: number }, node: OpNode) => {
    const [gL0, gU0] = node.gradOutputs;
    const { m, n } = a;
    const k = Math.min(m, n);
    const gL = gL0 == null ? null : gL0.tril(-1);
    const gU = gU0 == null ? null : gU0.triu();
    if (m === n) return [gL === null ? gU : gU === null ? gL : gL.add(gU), null];
    const zl = (x: T) => x.mul(0);
    if (m < n) {
      // gL is m x m: padded with zeros to m x n
      const gLp =
        gL === null
          ? null
          : cat([gL, zl(gL.narrow(-1, 0, 1)).expand([...gL.shape.slice(0, -1), n - k])], -1);
      return [gLp === null ? gU : gU === null ? gLp : gLp.add(gU), null];
    }
    const gUp =
      gU === null
        ? null
        : cat([gU, zl(gU.narrow(-2, 0, 1)).expand([...gU.shape.slice(0, -2), m - k, n])], -2);
    return [gL === null ? gUp : gUp === null ? gL : gL.add(gUp), null];
  },
} as never);
registerJvp(LU_UNPACK, ((t: (T | null)[], _i: T[], out: T[], a: { m: number; n: number }) => {
  const d = t[0];
  const [L, U] = out;
  if (d === null) return [L.mul(0), U.mul(0)];
  const { m, n } = a;
  const dL = (m >= n ? d : d.narrow(-1, 0, m)).tril(-1);
  const dU = (n >= m ? d : d.narrow(-2, 0, n)).triu();
  return [dL, dU];
}) as never);

defineOp({
  name: "lu_unpack",
  variants: ["function"],
  out: true,
  doc: "P, L, U from packed LU factors and pivots (torch.linalg.lu_factor's): A = P L U.",
  example:
    "torch.luUnpack(...Object.values(torch.linalg.luFactor(torch.tensor([[1., 2], [3, 4]]))).slice(0, 2)).P // tensor([[0., 1.], [1., 0.]])",
  overloads: [
    {
      schema:
        "lu_unpack(Tensor LU_data, Tensor LU_pivots, bool unpack_data=True, bool unpack_pivots=True) -> (Tensor P, Tensor L, Tensor U)",
      forward: (LU: T, piv: T, unpackData: boolean, unpackPivots: boolean) => {
        luAt("torch.lu_unpack", LU);
        if (piv.dtype !== int32)
          throw runtimeError(
            "torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\nNote: this function is intended to be used with the output produced by torch.linalg.lu_factor",
          );
        const [m, n] = LU.shape.slice(-2);
        const empty = (): T => make(new Float64Array(0), [0], LU.dtype);
        const P = unpackPivots ? unpackPivots_(piv, m, LU) : empty();
        let L = empty();
        let U = empty();
        if (unpackData) {
          [L, U] = noGrad(() => splitLU(LU)).map((x) => x.contiguous()) as [T, T];
          if (anyNeedsGrad([LU]) && (LU.dtype.isFloatingPoint || LU.dtype.isComplex))
            record(LU_UNPACK, [L, U], [LU, piv], {} as never, { m, n } as never);
        }
        return namedTuple({ P, L, U, 0: P, 1: L, 2: U });
      },
    },
  ],
});

function unpackPivots_(piv: T, m: number, LU: T): T {
  if (piv.shape[piv.dim() - 1] !== Math.min(m, LU.shape[LU.dim() - 1]))
    throw runtimeError(
      "pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive.Did you properly pass the result of lu_factor?",
    );
  return unpackPivots(piv, m, LU.dtype);
}

const LINALG_LU = "linalg_lu" as unknown as Op;
registerDerivative(LINALG_LU, {
  name: "LinalgLuBackward0",
  save: ["P", "L", "U"],
  grad: (_g: T, s: { P: T; L: T; U: T }, _a: object, node: OpNode) => {
    const [gL, gU] = node.gradOutputs;
    return [luBackward(gL ?? null, gU ?? null, s.P, s.L, s.U)];
  },
} as never);
registerJvp(LINALG_LU, ((t: (T | null)[], _i: T[], out: T[]) => {
  const [L, U] = out;
  if (t[0] === null) return [L.mul(0), U.mul(0)];
  return luJvp(t[0], linalgLuP.get(L) as T, L, U);
}) as never);

defineOp({
  name: "lu",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The LU factorization with partial pivoting, unpacked: `(P, L, U)` with A = P L U.",
  example:
    "torch.linalg.lu(torch.tensor([[1., 2], [3, 4]])).U // tensor([[3.0000, 4.0000], [0.0000, 0.6667]])",
  overloads: [
    {
      schema: "linalg_lu(Tensor A, *, bool pivot=True) -> (Tensor P, Tensor L, Tensor U)",
      forward: (A: T, pivot: boolean) => {
        luAt("linalg.lu", A);
        checkDispatch("lu_cpu", A);
        checkPivot(pivot);
        const r = luFactorTensors(A, pivot);
        const m = A.shape[A.dim() - 2];
        const P = unpackPivots(r.pivots, m, A.dtype);
        const [L, U] = noGrad(() => splitLU(r.LU)).map((x) => x.contiguous()) as [T, T];
        if (anyNeedsGrad([A])) {
          linalgLuP.set(L, P);
          record(LINALG_LU, [L, U], [A], { P, L, U } as never, {} as never);
        }
        return namedTuple({ P, L, U, 0: P, 1: L, 2: U });
      },
    },
  ],
});

interface LuSolveAttrs {
  left: boolean;
  adjoint: boolean;
}

/** X from op(A) X = B (left) or X op(A) = B, A = P L U packed in LU (op = transpose with adjoint) */
function luSolveKernel(LU: T, piv: T, B: T, left: boolean, adjoint: boolean): T {
  const n = LU.shape[LU.dim() - 1];
  const batch = broadcastShapes(broadcastShapes(batchOf(LU), piv.shape.slice(0, -1)), batchOf(B));
  const lu = f64(expandBatch(LU, batch));
  const pv = Int32Array.from(f64(piv.expand([...batch, n])));
  // X op(A) = B  <=>  op(A)^T X^T = B^T
  // (X op(A) = B  <=>  op(A)^H X^H = B^H for complex A)
  const rhs = left ? B : mH(B);
  const k = rhs.shape[rhs.dim() - 1];
  const b = f64(expandBatch(rhs, batch));
  const complex = LU.dtype.isComplex;
  luSolveInPlace(
    { lu, piv: pv, info: [], batch, m: n, n, complex },
    b,
    k,
    left ? adjoint : !adjoint,
  );
  const x = make(b, [...batch, n, k], B.dtype);
  return left ? x : mH(x).contiguous();
}

/** linalg.lu_solve through the registry (recorded) */
const luSolve = (LU: T, piv: T, B: T, left: boolean, adjoint: boolean): T =>
  fn("luSolve", "linalg")(LU, piv, B, { left, adjoint }) as T;

/**
 * linalg_lu_solve_LU (PyTorch's adjoint of linalg_lu_solve_jvp), A = P L U:
 * left != adjoint: gR = U^{-H} op2(-gX) op2(X)^H, gU = triu(gR), gL = tril(L^{-H} gR U^H, -1);
 * left == adjoint: gR = -P^T op3(X) op1(op2(gX)) P L^{-H}, gL = tril(gR, -1),
 * gU = triu(L^H gR U^{-H}).
 */
function luSolveLUBackward(gX: T, LU: T, piv: T, X: T, a: LuSolveAttrs): T {
  const { P, L, U } = luUnpack(LU, piv);
  if (a.left !== a.adjoint) {
    const prod2 = a.left ? gX.neg().matmul(mH(X)) : mH(gX).neg().matmul(X);
    const gR = solveTri(mH(U), prod2, false, true);
    const gL = solveTri(mH(L), gR.matmul(mH(U)), true, true, true).tril(-1);
    return gL.add(gR.triu());
  }
  const inner = a.left ? X.matmul(mH(gX)) : mH(X).matmul(gX);
  const gR = solveTri(mH(L), mH(P).matmul(inner).matmul(P).neg(), true, false, true);
  const gU = solveTri(mH(U), mH(L).matmul(gR), false, false).triu();
  return gR.tril(-1).add(gU);
}

function checkLuSolve(LU: T, piv: T, B: T, left: boolean): void {
  checkAtLeast2d("torch.linalg.lu_solve", LU);
  checkSquare("torch.linalg.lu_solve", LU);
  checkAtLeast2d("linalg.lu_solve", B, "B");
  const n = LU.shape[LU.dim() - 1];
  const [bm, bk] = B.shape.slice(-2);
  if ((left ? bm : bk) !== n)
    throw runtimeError(
      `linalg.lu_solve: Incompatible shapes of A and B for the equation ${left ? "AX = B" : "XA = B"} (${n}x${n} and ${bm}x${bk})`,
    );
  checkFloating("torch.linalg.lu_solve", LU);
  if (LU.dtype !== B.dtype)
    throw runtimeError(
      `linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type ${scalarTypeName(LU.dtype)} and B of type ${scalarTypeName(B.dtype)} instead`,
    );
  if (piv.dtype !== int32)
    throw runtimeError("linalg.lu_solve: pivots should be a Tensor of scalar type torch.int32");
  if (piv.shape[piv.dim() - 1] !== n)
    throw runtimeError(
      "linalg.lu_solve: Number of pivots per batch should be same as the dimension of the matrix",
    );
}

const luSolveDerivative = (luArg: string, pivArg: string, bArg: string, bFirst: boolean) => ({
  name: "LinalgLuSolveBackward0",
  save: [luArg, pivArg, "result"],
  attrs: bFirst ? [] : ["left", "adjoint"],
  grad: (g: T, s: Primals, a0: Partial<LuSolveAttrs>) => {
    const a = { left: a0.left ?? true, adjoint: a0.adjoint ?? false };
    const gB = luSolve(s[luArg], s[pivArg], g, a.left, !a.adjoint);
    const gLU = luSolveLUBackward(g, s[luArg], s[pivArg], s.result, a);
    return bFirst ? [gB, gLU, null] : [gLU, null, gB];
  },
  // dX = op(A)^{-1}(dB - op(dA) X) (left), (dB - X op(dA)) op(A)^{-1} (right), with
  // dA = P (dL U + L dU) from the tangent of the packed factors
  jvp: (t: Tangents, p: Primals, x: T, a0: Partial<LuSolveAttrs>) => {
    const a = { left: a0.left ?? true, adjoint: a0.adjoint ?? false };
    let rhs = t[bArg];
    const dLU = t[luArg];
    if (dLU !== null) {
      const { P, L, U } = luUnpack(p[luArg], p[pivArg]);
      let dA = P.matmul(dLU.tril(-1).matmul(U).add(L.matmul(dLU.triu())));
      if (a.adjoint) dA = mH(dA);
      const term = a.left ? dA.matmul(x) : x.matmul(dA);
      rhs = rhs === null ? term.neg() : rhs.sub(term);
    }
    return rhs === null ? null : luSolve(p[luArg], p[pivArg], rhs, a.left, a.adjoint);
  },
});

defineOp({
  name: "lu_solve",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "Solves A X = B (X A = B with `left=false`; A^H with `adjoint`) from A's packed LU factors and pivots, batched.",
  example:
    "torch.linalg.luSolve(...Object.values(torch.linalg.luFactor(torch.tensor([[2., 0], [0, 4]]))).slice(0, 2), torch.tensor([[2.], [4]])) // tensor([[1.], [1.]])",
  overloads: [
    {
      schema:
        "linalg_lu_solve(Tensor LU, Tensor pivots, Tensor B, *, bool left=True, bool adjoint=False) -> Tensor",
      forward: (LU: T, pivots: T, B: T, left: boolean, adjoint: boolean) => {
        checkLuSolve(LU, pivots, B, left);
        return luSolveKernel(LU, pivots, B, left, adjoint);
      },
      derivative: luSolveDerivative("LU", "pivots", "B", false),
    },
  ],
});

defineOp({
  name: "lu_solve",
  variants: ["function", "method"],
  out: true,
  doc: "Solves A X = b from A's packed LU factors and pivots (deprecated in favour of torch.linalg.lu_solve, whose arguments are reversed).",
  example:
    "torch.luSolve(torch.tensor([[2.], [4]]), ...Object.values(torch.linalg.luFactor(torch.tensor([[2., 0], [0, 4]]))).slice(0, 2)) // tensor([[1.], [1.]])",
  overloads: [
    {
      schema: "lu_solve(Tensor self, Tensor LU_data, Tensor LU_pivots) -> Tensor",
      forward: (self: T, LU: T, piv: T) => {
        checkLuSolve(LU, piv, self, true);
        return luSolveKernel(LU, piv, self, true, false);
      },
      derivative: luSolveDerivative("LU_data", "LU_pivots", "self", true),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// QR: geqrf, ormqr, linalg.qr, torch.qr

/**
 * derivatives.yaml's `not_implemented`: geqrf and ormqr outputs carry a node whose backward
 * raises (PyTorch's GeqrfBackward0, OrmqrBackward0).
 */
function notImplementedNode(op: string, name: string): Op {
  const key = op as unknown as Op;
  registerDerivative(key, {
    name,
    save: [],
    grad: () => {
      throw notImplementedError(`the derivative for '${op}' is not implemented.`);
    },
  } as never);
  return key;
}
const GEQRF = notImplementedNode("geqrf", "GeqrfBackward0");
const ORMQR = notImplementedNode("ormqr", "OrmqrBackward0");

/** the packed Householder factorization of each matrix: (a, tau) as LAPACK's geqrf */
function geqrfKernel(x: T): {
  a: Float64Array;
  tau: Float64Array;
  batch: number[];
  m: number;
  n: number;
} {
  const [m, n] = x.shape.slice(-2);
  const batch = batchOf(x);
  const count = prod(batch);
  const k = Math.min(m, n);
  const a = f64(x);
  const tau = new Float64Array(count * k * x.dtype.lanes);
  const kernel = x.dtype.isComplex ? Z.zgeqrf : K.geqrf;
  for (let i = 0; i < count; i++) kernel(a, i * m * n, m, n, tau, i * k);
  return { a, tau, batch, m, n };
}

defineOp({
  name: "geqrf",
  variants: ["function", "method"],
  out: true,
  doc: "LAPACK's geqrf: the QR factorization as R (on and above the diagonal) and Householder reflectors (below) with their `tau`.",
  example:
    "torch.geqrf(torch.tensor([[3., 1], [4, 2]])).a // tensor([[-5.0000, -2.2000], [ 0.5000,  0.4000]])",
  overloads: [
    {
      schema: "geqrf(Tensor self) -> (Tensor a, Tensor tau)",
      forward: (self: T) => {
        if (self.dim() < 2)
          throw runtimeError("torch.geqrf: input must have at least 2 dimensions.");
        if (!self.dtype.isComplex) checkDispatch("geqrf_cpu", self);
        const r = geqrfKernel(self);
        const a = make(r.a, self.shape.slice(), self.dtype);
        const tau = make(r.tau, [...r.batch, Math.min(r.m, r.n)], self.dtype);
        if (anyNeedsGrad([self])) record(GEQRF, [a, tau], [self], {} as never, {} as never);
        return namedTuple({ a, tau, 0: a, 1: tau });
      },
    },
  ],
});

defineOp({
  name: "ormqr",
  variants: ["function", "method"],
  out: true,
  doc: "LAPACK's ormqr: multiplies `input3` by the Q of geqrf's (`self`, `input2` = tau), on the left or the right, transposed or not.",
  example:
    "torch.ormqr(...Object.values(torch.geqrf(torch.eye(2))).slice(0, 2), torch.eye(2)) // tensor([[1., 0.], [0., 1.]])",
  overloads: [
    {
      schema:
        "ormqr(Tensor self, Tensor input2, Tensor input3, bool left=True, bool transpose=False) -> Tensor",
      forward: (self: T, tau: T, other: T, left: boolean, transpose: boolean) => {
        const nm = "torch.ormqr";
        if (self.dim() < 2) throw runtimeError(`${nm}: input must have at least 2 dimensions.`);
        if (other.dim() < 2) throw runtimeError(`${nm}: other must have at least 2 dimensions.`);
        const side = left ? -2 : -1;
        const k = tau.dim() === 0 ? 1 : tau.shape[tau.dim() - 1];
        const mIn = self.shape[self.dim() - 2];
        const otherSide = other.shape[other.dim() + side];
        if (otherSide < k)
          throw runtimeError(
            `${nm}: other.shape[${side}] must be greater than or equal to tau.shape[-1]`,
          );
        if (otherSide !== mIn)
          throw runtimeError(`${nm}: other.shape[${side}] must be equal to input.shape[-2]`);
        if (k > self.shape[self.dim() - 1])
          throw runtimeError(`${nm}: tau.shape[-1] must be less than or equal to input.shape[-1]`);
        if (self.dim() - tau.dim() !== 1)
          throw runtimeError(
            `${nm}: Expected tau to have one dimension less than input, but got tau.ndim equal to ${tau.dim()} and input.ndim is equal to ${self.dim()}`,
          );
        if (self.dim() !== other.dim())
          throw runtimeError(
            `${nm}: Expected other to have the same number of dimensions as input, but got other.ndim equal to ${other.dim()} and input.ndim is equal to ${self.dim()}`,
          );
        if (self.dtype !== tau.dtype)
          throw runtimeError(
            `${nm}: Expected input and tau to have the same dtype, but input has dtype${scalarTypeName(self.dtype)} and tau has dtype ${scalarTypeName(tau.dtype)}`,
          );
        if (self.dtype !== other.dtype)
          throw runtimeError(
            `${nm}: Expected input and other to have the same dtype, but input has dtype${scalarTypeName(self.dtype)} and other has dtype ${scalarTypeName(other.dtype)}`,
          );
        if (!self.dtype.isComplex) checkDispatch("ormqr_cpu", self);
        const batch = batchOf(other);
        const nIn = self.shape[self.dim() - 1];
        const [r, c] = other.shape.slice(-2);
        const a = f64(self);
        const tv = f64(tau);
        const cm = f64(other);
        const count = prod(batch);
        // complex: `transpose` is the conjugate transpose (Note [complex reflectors])
        const kernel = self.dtype.isComplex ? Z.zunmqr : K.ormqr;
        for (let i = 0; i < count; i++)
          kernel(a, i * mIn * nIn, nIn, k, tv, i * k, cm, i * r * c, r, c, left, transpose);
        const out = make(cm, other.shape.slice(), other.dtype);
        if (anyNeedsGrad([self, tau, other]))
          record(ORMQR, out, [self, tau, other], {} as never, {} as never);
        return out;
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// linalg.householder_product (torch.orgqr)

/**
 * The reflectors' vectors of householder_product's `input`: v_i = e_i + the part of column i
 * below the diagonal (the m x k unit lower-trapezoidal V), and H_i = I - tau_i v_i v_i^T.
 */
function householderFactors(A: T, tau: T): { v: T[]; H: T[]; E: T; I: T } {
  const [m, n] = A.shape.slice(-2);
  const k = tau.shape[tau.dim() - 1];
  const batch = batchOf(A);
  const I = eye(m, A.dtype);
  const V = A.narrow(-1, 0, k)
    .tril(-1)
    .add(I.narrow(-1, 0, k));
  const v: T[] = [];
  const H: T[] = [];
  for (let i = 0; i < k; i++) {
    const vi = V.narrow(-1, i, 1);
    v.push(vi);
    const t = tau.narrow(-1, i, 1).unsqueeze(-1);
    H.push(I.sub(vi.matmul(mH(vi)).mul(t)));
  }
  return { v, H, E: expandBatch(I.narrow(-1, 0, n), batch), I };
}

/**
 * householder_product's backward: Q = H_0 ... H_{k-1} E (E the first n columns of I), so with
 * L_i = H_0 ... H_{i-1}, R_i = H_{i+1} ... H_{k-1} E and M_i = L_i^H G R_i^H (the gradient
 * of H_i = I - tau_i v_i v_i^H): d tau_i = -v_i^H M_i v_i and
 * d v_i = -(conj(tau_i) M_i + tau_i M_i^H) v_i (for real input -tau_i (M_i + M_i^T) v_i), whose
 * entries below the diagonal are column i's gradient (v_i's unit and zeros are constants); the
 * gradients are PyTorch's for complex input (dL/d re + i dL/d im). Written with tensor ops, so
 * it differentiates again.
 */
function householderProductBackward(g: T, A: T, tau: T): [T, T] {
  const [m, n] = A.shape.slice(-2);
  const k = tau.shape[tau.dim() - 1];
  const { v, H, E, I } = householderFactors(A, tau);
  const rights: T[] = new Array<T>(k);
  let R = E;
  for (let i = k - 1; i >= 0; i--) {
    rights[i] = R;
    R = H[i].matmul(R);
  }
  let L = expandBatch(I, batchOf(A));
  const cols: T[] = [];
  const dtaus: T[] = [];
  for (let i = 0; i < k; i++) {
    const M = mH(L).matmul(g).matmul(mH(rights[i]));
    dtaus.push(mH(v[i]).matmul(M).matmul(v[i]).squeeze(-1).neg());
    const t = tau.narrow(-1, i, 1).unsqueeze(-1);
    const dv = A.dtype.isComplex
      ? M.matmul(v[i]).mul(t.conj()).add(mH(M).matmul(v[i]).mul(t)).neg()
      : M.add(mT(M)).matmul(v[i]).mul(t).neg();
    // only the entries below the diagonal are free
    const below = make(
      Float64Array.from({ length: m }, (_x, r) => (r > i ? 1 : 0)),
      [m, 1],
      toRealDtype(A.dtype),
    );
    cols.push(dv.mul(below));
    L = L.matmul(H[i]);
  }
  const cat = fn("cat");
  const zeros = (c: number): T => A.narrow(-1, 0, c).mul(0);
  const gA = k === 0 ? A.mul(0) : (cat([...cols, zeros(n - k)], -1) as T);
  const gtau = k === 0 ? tau.mul(0) : (cat(dtaus, -1) as T);
  return [gA, gtau];
}

/**
 * dQ = sum_i L_i dH_i R_i with H_i = I - tau_i v_i v_i^H, so dH_i = -(dtau_i v_i v_i^H +
 * tau_i (dv_i v_i^H + v_i dv_i^H)): the tangent of v_i^H is dv_i^H (householder_product_jvp's
 * conjugations; for real input ^H is ^T)
 */
function householderProductJvp(dA: T | null, dtau: T | null, A: T, tau: T): T | null {
  if (dA === null && dtau === null) return null;
  const k = tau.shape[tau.dim() - 1];
  const { v, H, E } = householderFactors(A, tau);
  const dV = dA === null ? null : dA.narrow(-1, 0, k).tril(-1);
  let out: T | null = null;
  let L: T | null = null;
  for (let i = 0; i < k; i++) {
    let R = E;
    for (let j = k - 1; j > i; j--) R = H[j].matmul(R);
    const vi = v[i];
    const t = tau.narrow(-1, i, 1).unsqueeze(-1);
    let dH = vi.mul(0).matmul(mH(vi));
    if (dtau !== null) dH = dH.add(vi.matmul(mH(vi)).mul(dtau.narrow(-1, i, 1).unsqueeze(-1)));
    if (dV !== null) {
      const dv = dV.narrow(-1, i, 1);
      dH = dH.add(
        dv
          .matmul(mH(vi))
          .add(vi.matmul(mH(dv)))
          .mul(t),
      );
    }
    const term = (L === null ? dH : L.matmul(dH)).matmul(R).neg();
    out = out === null ? term : out.add(term);
    L = L === null ? H[i] : L.matmul(H[i]);
  }
  return out ?? E.mul(0);
}

function householderProduct(A: T, tau: T): T {
  const nm = "torch.linalg.householder_product";
  if (A.dim() < 2) throw runtimeError(`${nm}: input must have at least 2 dimensions.`);
  const [m, n] = A.shape.slice(-2);
  if (m < n)
    throw runtimeError(`${nm}: input.shape[-2] must be greater than or equal to input.shape[-1]`);
  const k = tau.dim() === 0 ? 1 : tau.shape[tau.dim() - 1];
  if (n < k)
    throw runtimeError(`${nm}: input.shape[-1] must be greater than or equal to tau.shape[-1]`);
  if (A.dim() - tau.dim() !== 1)
    throw runtimeError(
      `${nm}: Expected tau to have one dimension less than input, but got tau.ndim equal to ${tau.dim()} and input.ndim is equal to ${A.dim()}`,
    );
  const batch = batchOf(A);
  if (tau.shape.slice(0, -1).join() !== batch.join())
    throw runtimeError(
      `${nm}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got [${tau.shape.slice(0, -1).join(", ")}]`,
    );
  if (A.dtype !== tau.dtype)
    throw runtimeError(
      `${nm}: tau dtype ${scalarTypeName(tau.dtype)} does not match input dtype ${scalarTypeName(A.dtype)}`,
    );
  if (!A.dtype.isComplex) checkDispatch("orgqr_cpu", A);
  // Q = H_0 ... H_{k-1} applied to the first n columns of I (LAPACK's orgqr through ormqr)
  const a = f64(A);
  const tv = f64(tau);
  const count = prod(batch);
  const lanes = A.dtype.lanes;
  const Q = new Float64Array(count * m * n * lanes);
  const kernel = A.dtype.isComplex ? Z.zunmqr : K.ormqr;
  for (let b = 0; b < count; b++) {
    for (let i = 0; i < n; i++) Q[lanes * (b * m * n + i * n + i)] = 1;
    kernel(a, b * m * n, n, k, tv, b * k, Q, b * m * n, m, n, true, false);
  }
  return make(Q, A.shape.slice(), A.dtype);
}

const householderDerivative = (self: string, tau: string) => ({
  name: "LinalgHouseholderProductBackward0",
  save: [self, tau],
  grad: (g: T, s: Primals) => householderProductBackward(g, s[self], s[tau]),
  jvp: (t: Tangents, p: Primals) => householderProductJvp(t[self], t[tau], p[self], p[tau]),
});

defineOp({
  name: "householder_product",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The first n columns of the product H_0 ... H_{k-1} of the Householder reflectors H_i = I - tau_i v_i v_i^T stored below the diagonal of `input` (LAPACK's orgqr), batched.",
  example:
    "torch.linalg.householderProduct(...Object.values(torch.geqrf(torch.tensor([[3., 1], [4, 2]]))).slice(0, 2)) // tensor([[-0.6000, -0.8000], [-0.8000,  0.6000]])",
  overloads: [
    {
      schema: "linalg_householder_product(Tensor input, Tensor tau) -> Tensor",
      forward: householderProduct,
      derivative: householderDerivative("input", "tau"),
    },
  ],
});

defineOp({
  name: "orgqr",
  variants: ["function", "method"],
  out: true,
  doc: "Alias of `torch.linalg.householderProduct`: the first n columns of the product of the Householder reflectors of geqrf's (`self`, `input2` = tau).",
  example:
    "torch.orgqr(...Object.values(torch.geqrf(torch.tensor([[3., 1], [4, 2]]))).slice(0, 2)) // tensor([[-0.6000, -0.8000], [-0.8000,  0.6000]])",
  overloads: [
    {
      schema: "orgqr(Tensor self, Tensor input2) -> Tensor",
      forward: householderProduct,
      derivative: householderDerivative("self", "input2"),
    },
  ],
});

/** Q (m x m complete, m x k reduced; empty for mode 'r') and R of each matrix */
function qrKernel(x: T, mode: string): [T, T] {
  const r = geqrfKernel(x);
  const { m, n, batch } = r;
  const k = Math.min(m, n);
  const count = prod(batch);
  const qCols = mode === "complete" ? m : k;
  const rRows = mode === "complete" ? m : k;
  const lanes = x.dtype.lanes;
  const R = new Float64Array(count * rRows * n * lanes);
  for (let b = 0; b < count; b++)
    for (let i = 0; i < Math.min(rRows, m); i++)
      for (let j = i; j < n; j++)
        for (let l = 0; l < lanes; l++)
          R[lanes * (b * rRows * n + i * n + j) + l] = r.a[lanes * (b * m * n + i * n + j) + l];
  const Rt = make(R, [...batch, rRows, n], x.dtype);
  if (mode === "r") return [make(new Float64Array(0), [0], x.dtype), Rt];
  const Q = new Float64Array(count * m * qCols * lanes);
  const kernel = x.dtype.isComplex ? Z.zunmqr : K.ormqr;
  for (let b = 0; b < count; b++) {
    for (let i = 0; i < Math.min(m, qCols); i++) Q[lanes * (b * m * qCols + i * qCols + i)] = 1;
    kernel(r.a, b * m * n, n, k, r.tau, b * k, Q, b * m * qCols, m, qCols, true, false);
  }
  return [make(Q, [...batch, m, qCols], x.dtype), Rt];
}

/**
 * linalg_qr_backward for m >= n (reduced): M = R gR^H - gQ^H Q,
 * gA = (gQ + Q copyltu(M)) R^{-H}, copyltu(M) = tril(M, -1) + tril(M, -1)^H + Re diag(M).
 * For m < n (A = Q [R1 R2]): gA = [backward(gQ + (Q R2) gR2^H, gR1), Q gR2].
 * Complex input: R's diagonal is real (Note [complex reflectors]), so Q^H dQ is skew-Hermitian
 * with its imaginary diagonal fixed by dA: only Re diag(M) enters (the adjoint of dR R^{-1}'s
 * real diagonal). R^{-H} is a general solve there (no complex triangular solve yet).
 */
function qrBackward(gQ0: T | null, gR0: T | null, Q: T, R: T, mode: string): T {
  if (mode === "r")
    throw runtimeError(
      "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.",
    );
  const m = Q.shape[Q.dim() - 2];
  const n = R.shape[R.dim() - 1];
  if (mode === "complete" && m > n)
    throw runtimeError(
      "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.",
    );
  const gQ = gQ0 ?? Q.mul(0);
  const gR = gR0 ?? R.mul(0);
  const complex = Q.dtype.isComplex;
  const square = (gQs: T, gRs: T, Rs: T): T => {
    const M = Rs.matmul(mH(gRs)).sub(mH(gQs).matmul(Q));
    // tril(M, -1) + diag(M) / 2 plus its adjoint: diagonal Re M_ii
    const half = complex ? M.tril(-1).add(M.tril().triu().mul(0.5)) : null;
    const sym = half !== null ? half.add(mH(half)) : M.tril().add(mT(M.tril(-1)));
    const rhs = gQs.add(Q.matmul(sym));
    if (complex) return fn("solve", "linalg")(mH(Rs), rhs, { left: false }) as T;
    return solveTri(mT(Rs), rhs, false, false);
  };
  if (m >= n) return square(gQ, gR, R);
  const R1 = R.narrow(-1, 0, m);
  const R2 = R.narrow(-1, m, n - m);
  const gR1 = gR.narrow(-1, 0, m);
  const gR2 = gR.narrow(-1, m, n - m);
  const gA1 = square(gQ.add(Q.matmul(R2).matmul(mH(gR2))), gR1, R1);
  return cat([gA1, Q.matmul(gR2)], -1);
}

/**
 * linalg_qr_jvp (m >= n): C = Q^H dA R^{-1}, Ω = tril(C, -1) - tril(C, -1)^H + i Im diag(C) (Q^H dQ),
 * dR = (C - Ω) R, dQ = dA R^{-1} - Q (C - Ω); m < n: (dQ, dR1) from A1, dR2 = Q^H (dA2 - dQ R2).
 */
function qrJvp(dA: T, Q: T, R: T, mode: string): [T, T] {
  const m = Q.shape[Q.dim() - 2];
  const n = R.shape[R.dim() - 1];
  if (mode === "complete" && m > n)
    throw runtimeError(
      "The QR decomposition is not differentiable when mode='complete' and nrows > ncols.",
    );
  const square = (dAs: T, Rs: T): [T, T] => {
    const dARinv = solveTri(Rs, dAs, true, false);
    const C = mH(Q).matmul(dARinv);
    // Ω = Q^H dQ: tril(C, -1) - tril(C, -1)^H, plus i Im diag(C) for complex input (R's
    // diagonal stays real): tril(C) with a halved diagonal, minus its conjugate transpose
    const half = C.tril().sub(C.diagonal(0, -2, -1).mul(0.5).diagEmbed());
    const CmO = C.sub(half.sub(mH(half)));
    return [dARinv.sub(Q.matmul(CmO)), CmO.matmul(Rs)];
  };
  if (m >= n) return square(dA, R);
  const [dQ, dR1] = square(dA.narrow(-1, 0, m), R.narrow(-1, 0, m));
  const dR2 = mH(Q).matmul(dA.narrow(-1, m, n - m).sub(dQ.matmul(R.narrow(-1, m, n - m))));
  return [dQ, cat([dR1, dR2], -1)];
}

const LINALG_QR = "linalg_qr" as unknown as Op;
registerDerivative(LINALG_QR, {
  name: "LinalgQrBackward0",
  save: ["Q", "R"],
  grad: (_g: T, s: { Q: T; R: T }, a: { mode: string }, node: OpNode) => {
    const [gQ, gR] = node.gradOutputs;
    return [qrBackward(gQ ?? null, gR ?? null, s.Q, s.R, a.mode)];
  },
} as never);
registerJvp(LINALG_QR, ((t: (T | null)[], _i: T[], out: T[], a: { mode: string }) => {
  const [Q, R] = out;
  if (t[0] === null) return [Q.mul(0), R.mul(0)];
  if (a.mode === "r")
    throw runtimeError(
      "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to differentiate through linalg.qr.",
    );
  return qrJvp(t[0], Q, R, a.mode);
}) as never);

function linalgQr(A: T, mode: string): { Q: T; R: T; 0: T; 1: T } {
  checkAtLeast2d("linalg.qr", A);
  if (!A.dtype.isComplex) checkFloating("linalg.qr", A);
  if (mode !== "reduced" && mode !== "complete" && mode !== "r")
    throw runtimeError(
      `qr received unrecognized mode '${mode}' but expected one of 'reduced' (default), 'r', or 'complete'`,
    );
  const [Q, R] = qrKernel(A, mode);
  if (anyNeedsGrad([A])) record(LINALG_QR, [Q, R], [A], { Q, R } as never, { mode } as never);
  return namedTuple({ Q, R, 0: Q, 1: R });
}

defineOp({
  name: "qr",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The QR factorization A = Q R (Householder, LAPACK's signs), batched; `mode` 'reduced' (default), 'complete' or 'r' (R only).",
  example:
    "torch.linalg.qr(torch.tensor([[3., 1], [4, 2]])).R // tensor([[-5.0000, -2.2000], [ 0.0000,  0.4000]])",
  overloads: [
    {
      schema: "linalg_qr(Tensor A, str mode='reduced') -> (Tensor Q, Tensor R)",
      forward: linalgQr,
    },
  ],
});

defineOp({
  name: "qr",
  variants: ["function", "method"],
  out: true,
  doc: "The QR factorization A = Q R, reduced (`some`, default) or complete (deprecated in favour of torch.linalg.qr).",
  example:
    "torch.qr(torch.tensor([[3., 1], [4, 2]])).R // tensor([[-5.0000, -2.2000], [ 0.0000,  0.4000]])",
  overloads: [
    {
      schema: "qr(Tensor self, bool some=True) -> (Tensor Q, Tensor R)",
      forward: (self: T, some: boolean) => linalgQr(self, some ? "reduced" : "complete"),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// SVD: linalg.svd, torch.svd, linalg.svdvals; pseudo-inverse

/**
 * U, S, Vh of each matrix (one-sided Jacobi; natively Golub-Kahan from 48 columns, Note
 * [Golub-Kahan SVD] in native/linalg.cc; a wide matrix through its transpose)
 */
/**
 * Note [complex SVD]: zgesdd's reduction of a complex p x q matrix (p >= q) to a real
 * bidiagonal B, whose real SVD (svdJacobi) gives U_B, V_B: A = Q B P^H (zgebd2, Q p x p) or,
 * from p >= floor(17 q / 9) (zgesdd's MNTHR1), A = Q_r R first (zgeqrf, Q_r p x uc) and R =
 * Q_b B P^H. Then U = Q [Q_b] U_B (the complete U's last columns Q's), V = P V_B: each
 * singular pair's phase is LAPACK's, its sign the real SVD's (the gauge). A wide matrix goes
 * through A^H (zgebd2 of A^H builds A's reflectors: zgelq2 and the lower bidiagonal form conjugate
 * the rows first, zlacgv). Writes S (q), U (p x uc, interleaved) and V (q x q, interleaved).
 */
function zsvd(
  a: Float64Array,
  o: number,
  p: number,
  q: number,
  uc: number,
  s: Float64Array,
  so: number,
  u: Float64Array | null,
  uo: number,
  v: Float64Array | null,
  vo: number,
): void {
  const viaQr = p >= Math.floor((q * 17) / 9);
  // the matrix bidiagonalized (R when viaQr) and the outer Q (p x uc)
  let inner: Float64Array;
  let outer: Float64Array | null = null;
  let outerCols = p;
  if (viaQr) {
    const r = a.slice(2 * o, 2 * (o + p * q));
    const tau = new Float64Array(2 * q);
    Z.zgeqrf(r, 0, p, q, tau, 0);
    inner = new Float64Array(2 * q * q);
    for (let i = 0; i < q; i++)
      for (let j = i; j < q; j++) {
        inner[2 * (i * q + j)] = r[2 * (i * q + j)];
        inner[2 * (i * q + j) + 1] = r[2 * (i * q + j) + 1];
      }
    if (u !== null) {
      outer = new Float64Array(2 * p * uc);
      for (let i = 0; i < Math.min(p, uc); i++) outer[2 * (i * uc + i)] = 1;
      Z.zunmqr(r, 0, q, q, tau, 0, outer, 0, p, uc, true, false);
      outerCols = uc;
    }
  } else inner = a.slice(2 * o, 2 * (o + p * q));
  const rows = viaQr ? q : p;
  const d = new Float64Array(q);
  const e = new Float64Array(q);
  const qb = new Float64Array(2 * rows * rows);
  const pb = new Float64Array(2 * q * q);
  Z.zgebrd(inner, rows, q, d, e, qb, pb);
  if (!viaQr) {
    outer = qb;
    outerCols = p;
  }
  const b = new Float64Array(q * q);
  for (let i = 0; i < q; i++) {
    b[i * q + i] = d[i];
    if (i + 1 < q) b[i * q + i + 1] = e[i];
  }
  const ub = u === null ? null : new Float64Array(q * q);
  const vb = v === null ? null : new Float64Array(q * q);
  K.svdJacobi(b, 0, q, q, s, so, ub, 0, q, vb, 0);
  // (complex c x q) times (real q x q) into the interleaved matrix at `out[2 oo..]`
  const times = (
    c: Float64Array,
    ld: number,
    rowsC: number,
    r: Float64Array,
    out: Float64Array,
    oo: number,
    ldo: number,
  ): void => {
    for (let i = 0; i < rowsC; i++)
      for (let j = 0; j < q; j++) {
        let re = 0;
        let im = 0;
        for (let k = 0; k < q; k++) {
          re += c[2 * (i * ld + k)] * r[k * q + j];
          im += c[2 * (i * ld + k) + 1] * r[k * q + j];
        }
        out[2 * (oo + i * ldo + j)] = re;
        out[2 * (oo + i * ldo + j) + 1] = im;
      }
  };
  if (v !== null && vb !== null) times(pb, q, q, vb, v, vo, q);
  if (u === null || ub === null || outer === null) return;
  // U_inner = Q_b U_B (q x q) when via QR, else U_B itself; U = outer [U_inner, I]
  let uInner: Float64Array;
  if (viaQr) {
    uInner = new Float64Array(2 * q * q);
    times(qb, q, q, ub, uInner, 0, q);
  } else {
    uInner = new Float64Array(2 * q * q);
    for (let k = 0; k < q * q; k++) uInner[2 * k] = ub[k];
  }
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < q; j++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < q; k++) {
        const cr = outer[2 * (i * outerCols + k)];
        const ci = outer[2 * (i * outerCols + k) + 1];
        const xr = uInner[2 * (k * q + j)];
        const xi = uInner[2 * (k * q + j) + 1];
        re += cr * xr - ci * xi;
        im += cr * xi + ci * xr;
      }
      u[2 * (uo + i * uc + j)] = re;
      u[2 * (uo + i * uc + j) + 1] = im;
    }
    for (let j = q; j < uc; j++) {
      u[2 * (uo + i * uc + j)] = outer[2 * (i * outerCols + j)];
      u[2 * (uo + i * uc + j) + 1] = outer[2 * (i * outerCols + j) + 1];
    }
  }
}

function svdKernel(x: T, full: boolean, computeUV: boolean): { U: T; S: T; Vh: T } {
  const [m, n] = x.shape.slice(-2);
  const batch = batchOf(x);
  const count = prod(batch);
  const k = Math.min(m, n);
  const tall = m >= n;
  if (x.dtype.isComplex) {
    // A = U S V^H (m >= n) or A^H = U' S V'^H: U = V', V = U' (Note [complex SVD])
    const src = f64(tall ? x : mH(x));
    const p = tall ? m : n;
    const q = k;
    const uc = full ? p : q;
    const s = new Float64Array(count * q);
    const u = computeUV ? new Float64Array(2 * count * p * uc) : null;
    const v = computeUV ? new Float64Array(2 * count * q * q) : null;
    for (let b = 0; b < count; b++)
      zsvd(src, b * p * q, p, q, uc, s, b * q, u, b * p * uc, v, b * q * q);
    const S = make(s, [...batch, q], toRealDtype(x.dtype));
    if (!computeUV) return { U: S, S, Vh: S };
    const Ut = make(u as Float64Array, [...batch, p, uc], x.dtype);
    const Vt = make(v as Float64Array, [...batch, q, q], x.dtype);
    return tall ? { U: Ut, S, Vh: mH(Vt).contiguous() } : { U: Vt, S, Vh: mH(Ut).contiguous() };
  }
  // work on B = A (m >= n) or A^T: B = U' S V'^T, p x q with p >= q
  const src = f64(tall ? x : mT(x));
  const p = tall ? m : n;
  const q = k;
  const uc = full ? p : q;
  const s = new Float64Array(count * q);
  const u = computeUV ? new Float64Array(count * p * uc) : null;
  const v = computeUV ? new Float64Array(count * q * q) : null;
  for (let b = 0; b < count; b++)
    K.svdJacobi(src, b * p * q, p, q, s, b * q, u, b * p * uc, uc, v, b * q * q);
  const S = make(s, [...batch, q], x.dtype);
  if (!computeUV) return { U: S, S, Vh: S };
  const Ut = make(u as Float64Array, [...batch, p, uc], x.dtype);
  const Vt = make(v as Float64Array, [...batch, q, q], x.dtype);
  // A = U S Vh; for A^T = U' S V'^T: U = V', Vh = U'^T
  return tall ? { U: Ut, S, Vh: mT(Vt).contiguous() } : { U: Vt, S, Vh: mT(Ut).contiguous() };
}

/**
 * svd_backward (real): with E_ij = s_j^2 - s_i^2 (1 on the diagonal), J = skew(U^H gU),
 * K = skew(V^H gV): gA = U [(J S + S K) / E + diag(gS)] V^H, plus (I - U U^H) gU S^{-1} V^H
 * (m > n) or U S^{-1} gV^H (I - V V^H) (m < n). Full matrices are narrowed to k columns.
 */
function svdBackward(gU0: T | null, gS: T | null, gVh0: T | null, U0: T, S: T, Vh0: T): T {
  const k = S.shape[S.dim() - 1];
  const m = U0.shape[U0.dim() - 2];
  const n = Vh0.shape[Vh0.dim() - 1];
  const U = U0.shape[U0.dim() - 1] === k ? U0 : U0.narrow(-1, 0, k);
  const Vh = Vh0.shape[Vh0.dim() - 2] === k ? Vh0 : Vh0.narrow(-2, 0, k);
  const gU = gU0 === null ? null : gU0.shape[gU0.dim() - 1] === k ? gU0 : gU0.narrow(-1, 0, k);
  const gVh =
    gVh0 === null ? null : gVh0.shape[gVh0.dim() - 2] === k ? gVh0 : gVh0.narrow(-2, 0, k);
  if (gU === null && gVh === null) {
    const g = gS ?? S.mul(0);
    return m >= n ? U.matmul(g.unsqueeze(-1).mul(Vh)) : U.mul(g.unsqueeze(-2)).matmul(Vh);
  }
  const complex = U.dtype.isComplex;
  const skew = (a: T): T => a.sub(mH(a));
  const S2 = S.mul(S);
  const E = S2.unsqueeze(-2).sub(S2.unsqueeze(-1)).add(eye(k, S.dtype));
  const V = mH(Vh);
  const gV = gVh === null ? null : mH(gVh);
  const UhgU = gU === null ? null : skew(mH(U).matmul(gU));
  const VhgV = gV === null ? null : skew(mH(V).matmul(gV));
  // the loss must not depend on the pairs' phases: Im diag(U^H gU) + Im diag(V^H gV) = 0
  // (at::allclose(a, -b, rtol=1e-2, atol=1e-2), PyTorch's words)
  if (complex) {
    const imU = UhgU === null ? S.mul(0) : UhgU.diagonal(0, -2, -1).imag;
    const imV = VhgV === null ? S.mul(0) : VhgV.diagonal(0, -2, -1).imag.neg();
    if (!imU.sub(imV).abs().le(imV.abs().mul(1e-2).add(1e-2)).all().item())
      throw runtimeError(
        "svd_backward: The singular vectors in the complex case are specified up to multiplication by e^{i phi}. The specified loss function depends on this phase term, making it ill-defined.",
      );
  }
  let inner: T | null = null;
  if (UhgU !== null) inner = UhgU.mul(S.unsqueeze(-2));
  if (VhgV !== null) {
    const t = S.unsqueeze(-1).mul(VhgV);
    inner = inner === null ? t : inner.add(t);
  }
  let gA = (inner as T).div(E);
  if (gS !== null) gA = gA.add(gS.diagEmbed());
  // complex: the diagonal's imaginary part, i Im diag(U^H gU) / S (skew's diagonal is 2 i Im)
  if (complex && UhgU !== null && VhgV !== null)
    gA = gA.add(UhgU.diagonal(0, -2, -1).div(S.mul(2)).diagEmbed());
  if (m > n && gU !== null) {
    gA = U.matmul(gA);
    const gUSinv = gU.div(S.unsqueeze(-2));
    gA = gA.add(gUSinv).sub(U.matmul(mH(U).matmul(gUSinv)));
    return gA.matmul(Vh);
  }
  if (m < n && gV !== null) {
    gA = gA.matmul(Vh);
    const SinvgVh = (gVh as T).div(S.unsqueeze(-1));
    gA = gA.add(SinvgVh).sub(SinvgVh.matmul(V).matmul(Vh));
    return U.matmul(gA);
  }
  return U.matmul(gA).matmul(Vh);
}

/**
 * svd_jvp: dX = U^H dA V, dS = Re diag(dX), Ω_U = (dX S + S dX^H) / E,
 * Ω_V = (S dX + dX^H S) / E (zero diagonal), dU = U Ω_U (+ (I - U U^H) dA V S^{-1}, m > k),
 * dVh = (V Ω_V (+ (I - V V^H) dA^H U S^{-1}, n > k))^H. Full matrices: the completed columns'
 * tangents are left zero.
 */
function svdJvp(dA: T, U0: T, S: T, Vh0: T): [T, T, T] {
  const k = S.shape[S.dim() - 1];
  const m = U0.shape[U0.dim() - 2];
  const n = Vh0.shape[Vh0.dim() - 1];
  const U = U0.shape[U0.dim() - 1] === k ? U0 : U0.narrow(-1, 0, k);
  const Vh = Vh0.shape[Vh0.dim() - 2] === k ? Vh0 : Vh0.narrow(-2, 0, k);
  const V = mH(Vh);
  const dX = mH(U).matmul(dA).matmul(V);
  const diag = dX.diagonal(0, -2, -1);
  const dS = diag.dtype.isComplex ? diag.real : diag;
  const S2 = S.mul(S);
  const offDiag = eye(k, S.dtype).neg().add(1);
  const E = S2.unsqueeze(-2).sub(S2.unsqueeze(-1)).add(eye(k, S.dtype));
  const Su = S.unsqueeze(-2);
  const Sr = S.unsqueeze(-1);
  const omU = dX
    .mul(Su)
    .add(Sr.mul(mH(dX)))
    .div(E)
    .mul(offDiag);
  const omV = Sr.mul(dX).add(mH(dX).mul(Su)).div(E).mul(offDiag);
  let dU = U.matmul(omU);
  let dV = V.matmul(omV);
  // complex: Im diag(U^H dA V) = S (Im diag(U^H dU) - Im diag(V^H dV)); the gauge puts it all
  // in U (i Im(dX_jj) / s_j on U^H dU's diagonal), as linalg_svd_jvp does
  if (diag.dtype.isComplex) dU = dU.add(U.mul(diag.sub(dS).div(S).unsqueeze(-2)));
  if (m > k) dU = dU.add(dA.matmul(V).sub(U.matmul(dX)).div(Su));
  if (n > k)
    dV = dV.add(
      mH(dA)
        .matmul(U)
        .sub(V.matmul(mH(dX)))
        .div(Su),
    );
  const padCols = (x: T, c: number): T =>
    x.shape[x.dim() - 1] === c
      ? x
      : cat(
          [
            x,
            x
              .narrow(-1, 0, 1)
              .mul(0)
              .expand([...x.shape.slice(0, -1), c - k]),
          ],
          -1,
        );
  return [padCols(dU, U0.shape[U0.dim() - 1]), dS, mH(padCols(dV, Vh0.shape[Vh0.dim() - 2]))];
}

const LINALG_SVD = "linalg_svd" as unknown as Op;
registerDerivative(LINALG_SVD, {
  name: "LinalgSvdBackward0",
  save: ["U", "S", "Vh"],
  grad: (_g: T, s: { U: T; S: T; Vh: T }, _a: object, node: OpNode) => {
    const g = node.gradOutputs;
    return [svdBackward(g[0] ?? null, g[1] ?? null, g[2] ?? null, s.U, s.S, s.Vh)];
  },
} as never);
registerJvp(LINALG_SVD, ((t: (T | null)[], _i: T[], out: T[]) => {
  if (t[0] === null) return out.map((o) => o.mul(0));
  return svdJvp(t[0], out[0], out[1], out[2]);
}) as never);

/** linalg_svd: the recorded (U, S, Vh); only S recorded when `computeUV` is false */
function linalgSvd(A: T, full: boolean, computeUV: boolean): { U: T; S: T; Vh: T } {
  checkAtLeast2d("linalg.svd", A);
  if (!A.dtype.isComplex) checkFloating("linalg.svd", A);
  const grad = anyNeedsGrad([A]);
  // the gradient of S needs U and V
  const r = svdKernel(A, full, computeUV || grad);
  // U and Vh are recorded as outputs even when not returned (svdvals): the formula's U and Vh
  // then carry their own history, for second derivatives
  if (grad)
    record(LINALG_SVD, [r.U, r.S, r.Vh], [A], { U: r.U, S: r.S, Vh: r.Vh } as never, {} as never);
  return r;
}

function checkDriver(driver: string | null): void {
  if (driver !== null)
    throw runtimeError(
      "torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with cuSOLVER backend.",
    );
}

defineOp({
  name: "svd",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The singular value decomposition A = U diag(S) Vh, singular values descending, batched (one-sided Jacobi; singular vectors are defined up to sign).",
  example: "torch.linalg.svd(torch.tensor([[3., 0], [0, 4]])).S // tensor([4., 3.])",
  overloads: [
    {
      schema:
        "linalg_svd(Tensor A, bool full_matrices=True, *, str? driver=None) -> (Tensor U, Tensor S, Tensor Vh)",
      forward: (A: T, full: boolean, driver: string | null) => {
        checkDriver(driver);
        const r = linalgSvd(A, full, true);
        return namedTuple({ U: r.U, S: r.S, Vh: r.Vh, 0: r.U, 1: r.S, 2: r.Vh });
      },
    },
  ],
});

defineOp({
  name: "svdvals",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The singular values of matrices, descending, batched.",
  example: "torch.linalg.svdvals(torch.tensor([[3., 0], [0, 4]])) // tensor([4., 3.])",
  overloads: [
    {
      schema: "linalg_svdvals(Tensor A, *, str? driver=None) -> Tensor",
      forward: (A: T, driver: string | null) => {
        checkDriver(driver);
        return linalgSvd(A, false, false).S;
      },
    },
  ],
});

defineOp({
  name: "svd",
  variants: ["function", "method"],
  out: true,
  doc: "The singular value decomposition A = U diag(S) V^T (V, not Vh; reduced with `some`), batched; U and V zero-filled when not `computeUv`.",
  example: "torch.svd(torch.tensor([[3., 0], [0, 4]])).S // tensor([4., 3.])",
  overloads: [
    {
      schema:
        "svd(Tensor self, bool some=True, bool compute_uv=True) -> (Tensor U, Tensor S, Tensor V)",
      forward: (self: T, some: boolean, computeUv: boolean) => {
        if (self.dim() < 2)
          throw runtimeError(
            `linalg.svd: input should have at least 2 dimensions, but has ${self.dim()} dimensions instead`,
          );
        if (!computeUv) {
          const S = linalgSvd(self, false, false).S;
          const [m, n] = self.shape.slice(-2);
          const l = self.dtype.lanes;
          const U = make(
            new Float64Array(prod(batchOf(self)) * m * m * l),
            [...batchOf(self), m, m],
            self.dtype,
          );
          const V = make(
            new Float64Array(prod(batchOf(self)) * n * n * l),
            [...batchOf(self), n, n],
            self.dtype,
          );
          return namedTuple({ U, S, V, 0: U, 1: S, 2: V });
        }
        const r = linalgSvd(self, !some, true);
        // V = Vh^H (TransposeBackward0 over the svd node)
        const V = mH(r.Vh);
        return namedTuple({ U: r.U, S: r.S, V, 0: r.U, 1: r.S, 2: V });
      },
    },
  ],
});

/** pinv_backward, the adjoint of the JVP below: gA = -X^H G X^H + (I - A X) G^H X X^H + X^H X G^H (I - X A) */
function pinvBackward(g: T, X: T, A: T): T {
  const Xh = mH(X);
  const gh = mH(g);
  const m = A.shape[A.dim() - 2];
  const n = A.shape[A.dim() - 1];
  const t1 = Xh.matmul(g).matmul(Xh).neg();
  const t2 = eye(m, A.dtype).sub(A.matmul(X)).matmul(gh).matmul(X.matmul(Xh));
  const t3 = Xh.matmul(X)
    .matmul(gh)
    .matmul(eye(n, A.dtype).sub(X.matmul(A)));
  return t1.add(t2).add(t3);
}

/** pinv_jvp (Golub & Pereyra): dX = -X dA X + X X^H dA^H (I - A X) + (I - X A) dA^H X^H X */
function pinvJvp(dA: T, X: T, A: T): T {
  const Xh = mH(X);
  const dAh = mH(dA);
  const m = A.shape[A.dim() - 2];
  const n = A.shape[A.dim() - 1];
  const t1 = X.matmul(dA).matmul(X).neg();
  const t2 = X.matmul(Xh)
    .matmul(dAh)
    .matmul(eye(m, A.dtype).sub(A.matmul(X)));
  const t3 = eye(n, A.dtype).sub(X.matmul(A)).matmul(dAh).matmul(Xh).matmul(X);
  return t1.add(t2).add(t3);
}

const pinvDerivative = {
  name: "LinalgPinvBackward0",
  save: ["self", "result"],
  grad: (g: T, s: { self: T; result: T }) => [pinvBackward(g, s.result, s.self)],
  jvp: (t: Tangents, p: Primals, r: T) => (t.self === null ? null : pinvJvp(t.self, r, p.self)),
};

/** per-matrix tolerances: a number, or a tensor broadcast to the batch (null: absent) */
function tolerance(v: T | number | null, batch: number[]): Float64Array | null {
  if (v === null) return null;
  const count = prod(batch);
  if (typeof v === "number") return new Float64Array(count).fill(v);
  return f64(v.expand(batch));
}

/**
 * The pseudo-inverse from the SVD (eigh when `hermitian`): singular values at most
 * max(atol, rtol * s_max) are dropped.
 */
function pinvForward(
  self: T,
  atol: T | number | null,
  rtol: T | number | null,
  hermitian: boolean,
): T {
  if (self.dim() < 2 || !(self.dtype.isFloatingPoint || self.dtype.isComplex))
    throw runtimeError(
      `linalg.pinv(${scalarTypeName(self.dtype)}{[${self.shape.join(", ")}]}): expected a tensor with 2 or more dimensions of float, double, cfloat or cdouble types`,
    );
  const [m, n] = self.shape.slice(-2);
  const batch = batchOf(self);
  const count = prod(batch);
  const eps = toRealDtype(self.dtype) === float64 ? 2 ** -52 : 2 ** -23;
  const at = tolerance(atol, batch);
  // rtol absent: 0 where atol > 0, else eps * max(m, n)
  const rt =
    tolerance(rtol, batch) ??
    Float64Array.from({ length: count }, (_x, i) =>
      at !== null && at[i] > 0 ? 0 : eps * Math.max(m, n),
    );
  const k = Math.min(m, n);
  if (self.dtype.isComplex) return zpinv(self, at, rt, hermitian);
  const out = new Float64Array(count * n * m);
  if (hermitian) {
    checkSquare(null, self);
    const a = f64(self);
    const w = new Float64Array(n);
    const v = new Float64Array(n * n);
    for (let b = 0; b < count; b++) {
      K.symEig(a, b * n * n, n, false, w, 0, v, 0);
      let big = 0;
      for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(w[i]));
      const thr = Math.max(at === null ? 0 : at[b], rt[b] * big);
      for (let c = 0; c < n; c++) {
        if (!(Math.abs(w[c]) > thr)) continue;
        const inv = 1 / w[c];
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++)
            out[b * n * n + i * n + j] += v[i * n + c] * inv * v[j * n + c];
      }
    }
    return make(out, [...batch, n, m], self.dtype);
  }
  const r = svdKernel(self.dtype === float64 ? self : self.to(float64), false, true);
  const U = r.U.typedArray;
  const S = r.S.typedArray;
  const Vh = r.Vh.typedArray;
  for (let b = 0; b < count; b++) {
    const big = k > 0 ? S[b * k] : 0;
    const thr = Math.max(at === null ? 0 : at[b], rt[b] * big);
    // X = V diag(1/s) U^H: X_ij = sum_c Vh[c, i] U[j, c] / s_c
    for (let c = 0; c < k; c++) {
      const s = S[b * k + c];
      if (!(s > thr)) continue;
      for (let i = 0; i < n; i++) {
        const vic = Vh[b * k * n + c * n + i] / s;
        for (let j = 0; j < m; j++) out[b * n * m + i * m + j] += vic * U[b * m * k + j * k + c];
      }
    }
  }
  return make(out, [...batch, n, m], self.dtype);
}

/**
 * pinvForward for complex input: X = V diag(1/s) U^H from the complex SVD, or (`hermitian`)
 * V diag(1/λ) V^H from zheev of the lower triangle; values at most max(atol, rtol * max) dropped.
 */
function zpinv(self: T, at: Float64Array | null, rt: Float64Array, hermitian: boolean): T {
  const [m, n] = self.shape.slice(-2);
  const batch = batchOf(self);
  const count = prod(batch);
  const k = Math.min(m, n);
  const out = new Float64Array(2 * count * n * m);
  if (hermitian) {
    checkSquare(null, self);
    const a = f64(self);
    const w = new Float64Array(n);
    const v = new Float64Array(2 * n * n);
    for (let b = 0; b < count; b++) {
      zheev(a, b * n * n, n, false, w, 0, v, 0);
      let big = 0;
      for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(w[i]));
      const thr = Math.max(at === null ? 0 : at[b], rt[b] * big);
      for (let c = 0; c < n; c++) {
        if (!(Math.abs(w[c]) > thr)) continue;
        const inv = 1 / w[c];
        // v_ic conj(v_jc) / λ_c
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            const [ar, ai] = [v[2 * (i * n + c)], v[2 * (i * n + c) + 1]];
            const [br, bi] = [v[2 * (j * n + c)], v[2 * (j * n + c) + 1]];
            out[2 * (b * n * n + i * n + j)] += (ar * br + ai * bi) * inv;
            out[2 * (b * n * n + i * n + j) + 1] += (ai * br - ar * bi) * inv;
          }
      }
    }
    return make(out, [...batch, n, m], self.dtype);
  }
  const r = svdKernel(self.to(complex128), false, true);
  const U = r.U.typedArray;
  const S = r.S.typedArray;
  const Vh = r.Vh.typedArray;
  for (let b = 0; b < count; b++) {
    const big = k > 0 ? S[b * k] : 0;
    const thr = Math.max(at === null ? 0 : at[b], rt[b] * big);
    // X_ij = sum_c conj(Vh[c, i] U[j, c]) / s_c
    for (let c = 0; c < k; c++) {
      const s = S[b * k + c];
      if (!(s > thr)) continue;
      for (let i = 0; i < n; i++) {
        const vr = Vh[2 * (b * k * n + c * n + i)] / s;
        const vi = Vh[2 * (b * k * n + c * n + i) + 1] / s;
        for (let j = 0; j < m; j++) {
          const ur = U[2 * (b * m * k + j * k + c)];
          const ui = U[2 * (b * m * k + j * k + c) + 1];
          out[2 * (b * n * m + i * m + j)] += vr * ur - vi * ui;
          out[2 * (b * n * m + i * m + j) + 1] -= vr * ui + vi * ur;
        }
      }
    }
  }
  return make(out, [...batch, n, m], self.dtype);
}

defineOp({
  name: "pinv",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The Moore-Penrose pseudo-inverse, batched: singular values at most max(atol, rtol * s_max) count as zero (`hermitian`: from the eigendecomposition).",
  example:
    "torch.linalg.pinv(torch.tensor([[2., 0], [0, 0]])) // tensor([[0.5000, 0.0000], [0.0000, 0.0000]])",
  overloads: [
    {
      schema:
        "linalg_pinv.atol_rtol_tensor(Tensor self, *, Tensor? atol=None, Tensor? rtol=None, bool hermitian=False) -> Tensor",
      forward: pinvForward,
      derivative: pinvDerivative,
    },
    {
      schema:
        "linalg_pinv.atol_rtol_float(Tensor self, *, float? atol=None, float? rtol=None, bool hermitian=False) -> Tensor",
      forward: pinvForward,
      derivative: pinvDerivative,
    },
    {
      schema: "linalg_pinv.rcond_tensor(Tensor self, Tensor rcond, bool hermitian=False) -> Tensor",
      forward: (self: T, rcond: T, hermitian: boolean) => pinvForward(self, 0, rcond, hermitian),
      derivative: pinvDerivative,
    },
    {
      schema: "linalg_pinv(Tensor self, float rcond, bool hermitian=False) -> Tensor",
      forward: (self: T, rcond: number, hermitian: boolean) =>
        pinvForward(self, 0, rcond, hermitian),
      derivative: pinvDerivative,
    },
  ],
});

defineOp({
  name: "pinverse",
  variants: ["function", "method"],
  doc: "The Moore-Penrose pseudo-inverse (torch.linalg.pinv with `rtol` = `rcond`), batched.",
  example:
    "torch.pinverse(torch.tensor([[2., 0], [0, 0]])) // tensor([[0.5000, 0.0000], [0.0000, 0.0000]])",
  overloads: [
    {
      schema: "pinverse(Tensor self, float rcond=1e-15) -> Tensor",
      forward: (self: T, rcond: number) => pinvForward(self, 0, rcond, false),
      derivative: pinvDerivative,
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// the symmetric eigenproblem: linalg.eigh, linalg.eigvalsh, torch.symeig

/**
 * A complex Hermitian matrix's eigenvalues (ascending, into `w[wo..]`) and eigenvectors (columns
 * of the interleaved n x n matrix at `v[2 vo..]`) from the triangle at `a[2 o..]`, as zheevd:
 * the real tridiagonal T = Q^H A Q (Note [Hermitian tridiagonal]), T's real eigenproblem, then
 * V = Q Z.
 */
function zheev(
  a: Float64Array,
  o: number,
  n: number,
  upper: boolean,
  w: Float64Array,
  wo: number,
  v: Float64Array | null,
  vo: number,
): void {
  const h = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      // the triangle's (i, j) or the conjugate of its mirror; the diagonal's real part
      const read = i === j || (upper ? i < j : i > j);
      const src = 2 * (o + (read ? i * n + j : j * n + i));
      h[2 * (i * n + j)] = a[src];
      h[2 * (i * n + j) + 1] = i === j ? 0 : read ? a[src + 1] : -a[src + 1];
    }
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const q = new Float64Array(2 * n * n);
  Z.zhetrd(h, n, upper, d, e, q);
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    t[i * n + i] = d[i];
    if (i + 1 < n) t[i * n + i + 1] = t[(i + 1) * n + i] = e[i];
  }
  const z = v === null ? null : new Float64Array(n * n);
  K.symEig(t, 0, n, false, w, wo, z, 0);
  if (v === null || z === null) return;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < n; k++) {
        re += q[2 * (i * n + k)] * z[k * n + j];
        im += q[2 * (i * n + k) + 1] * z[k * n + j];
      }
      v[2 * (vo + i * n + j)] = re;
      v[2 * (vo + i * n + j) + 1] = im;
    }
}

/** eigenvalues ascending and eigenvectors (columns) of each matrix, from one triangle */
function eighKernel(x: T, upper: boolean, vectors: boolean): { L: T; V: T | null } {
  const n = x.shape[x.dim() - 1];
  const batch = batchOf(x);
  const count = prod(batch);
  const a = f64(x);
  if (x.dtype.isComplex) {
    const w = new Float64Array(count * n);
    const v = vectors ? new Float64Array(2 * count * n * n) : null;
    for (let b = 0; b < count; b++) zheev(a, b * n * n, n, upper, w, b * n, v, b * n * n);
    return {
      L: make(w, [...batch, n], toRealDtype(x.dtype)),
      V: v === null ? null : make(v, [...batch, n, n], x.dtype),
    };
  }
  const w = new Float64Array(count * n);
  const v = vectors ? new Float64Array(count * n * n) : null;
  for (let b = 0; b < count; b++) K.symEig(a, b * n * n, n, upper, w, b * n, v, b * n * n);
  return {
    L: make(w, [...batch, n], x.dtype),
    V: v === null ? null : make(v, [...batch, n, n], x.dtype),
  };
}

/**
 * linalg_eig_backward (hermitian): gA = V (skew(V^H gV) / 2 / E + diag(gL)) V^H,
 * E_ij = λ_j - λ_i (its diagonal replaced by gL when given); without gV, V diag(gL) V^H.
 * Complex V: the loss must not depend on each eigenvector's phase, Im diag(V^H gV) = 0
 * (PyTorch's check, its tolerance and words); the diagonal of the skew part is that imaginary
 * part, kept when there is no gL (as ATen's formula).
 */
function eighBackward(gL: T | null, gV: T | null, L: T, V: T): T | null {
  if (gV === null) return gL === null ? null : V.mul(gL.unsqueeze(-2)).matmul(mH(V));
  const n = L.shape[L.dim() - 1];
  let VhgV = mH(V).matmul(gV);
  if (V.dtype.isComplex) {
    const im = VhgV.diagonal(0, -2, -1).imag;
    // at::allclose(im, 0, rtol=1e-2, atol=1e-2): |im| <= 1e-2 everywhere (NaN fails)
    if (!im.abs().le(1e-2).all().item())
      throw runtimeError(
        "linalg_eigh_backward: The eigenvectors in the complex case are specified up to multiplication by e^{i phi}. The specified loss function depends on this quantity, so it is ill-defined.",
      );
  }
  VhgV = VhgV.sub(mH(VhgV)).mul(0.5);
  const I = eye(n, L.dtype);
  const E = L.unsqueeze(-2).sub(L.unsqueeze(-1)).add(I);
  let inner = VhgV.div(E);
  if (gL !== null) inner = inner.mul(I.neg().add(1)).add(gL.diagEmbed());
  return V.matmul(inner).matmul(mH(V));
}

/** linalg_eig_jvp (hermitian): with X = V^H dA V, dλ = diag(X), dV = V (X / E, zero diagonal) */
function eighJvp(dA: T, L: T, V: T): [T, T] {
  const n = L.shape[L.dim() - 1];
  const X = mH(V).matmul(dA).matmul(V);
  const I = eye(n, L.dtype);
  const E = L.unsqueeze(-2).sub(L.unsqueeze(-1)).add(I);
  // the eigenvalues' tangent is real (Re diag(X): X is Hermitian up to rounding)
  const dL = X.diagonal(0, -2, -1);
  return [dL.dtype.isComplex ? dL.real : dL, V.matmul(X.div(E).mul(I.neg().add(1)))];
}

for (const [op, name] of [
  ["linalg_eigh", "LinalgEighBackward0"],
  ["symeig", "SymeigBackward0"],
] as const) {
  const key = op as unknown as Op;
  registerDerivative(key, {
    name,
    save: ["L", "V"],
    grad: (_g: T, s: { L: T; V: T }, a: { vectors: boolean }, node: OpNode) => {
      const [gL, gV] = node.gradOutputs;
      if (!a.vectors && op === "symeig")
        throw runtimeError(
          "linalg_eig_backward: torch.symeig(A, eigenvectors=False) is not differentiable. Use torch.linalg.eigvalsh(A) instead.",
        );
      return [eighBackward(gL ?? null, gV ?? null, s.L, s.V)];
    },
  } as never);
  registerJvp(key, ((t: (T | null)[], _i: T[], out: T[]) => {
    if (t[0] === null) return out.map((o) => o.mul(0));
    return eighJvp(t[0], out[0], out[1]);
  }) as never);
}

function checkUplo(uplo: string): boolean {
  if (uplo !== "L" && uplo !== "U" && uplo !== "l" && uplo !== "u")
    throw runtimeError(`Expected UPLO argument to be 'L' or 'U', but got ${uplo}`);
  return uplo === "U" || uplo === "u";
}

/** eigh's (or symeig's) recorded result; eigenvalues only when `vectors` is false */
function eigh(
  A: T,
  upper: boolean,
  vectors: boolean,
  op: string,
  name: string,
  kernel: string,
): { L: T; V: T } {
  checkAtLeast2d(name, A);
  checkSquare(name, A);
  if (!A.dtype.isComplex) checkDispatch(kernel, A);
  const grad = anyNeedsGrad([A]);
  const r = eighKernel(A, upper, vectors || grad);
  const V = r.V ?? make(new Float64Array(0), [0], A.dtype);
  // V is recorded as an output even when not returned (eigvalsh): the formula's V then
  // carries its own history, for second derivatives
  if (grad)
    record(op as unknown as Op, [r.L, V], [A], { L: r.L, V } as never, { vectors } as never);
  return { L: r.L, V: vectors ? V : make(new Float64Array(0), [0], A.dtype) };
}

defineOp({
  name: "eigh",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The eigenvalues (ascending) and orthonormal eigenvectors of symmetric matrices from their lower (`UPLO='L'`) or upper triangle, batched (Jacobi; eigenvectors are defined up to sign).",
  example: "torch.linalg.eigh(torch.tensor([[2., 1], [1, 2]])).eigenvalues // tensor([1., 3.])",
  overloads: [
    {
      schema: 'linalg_eigh(Tensor self, str UPLO="L") -> (Tensor eigenvalues, Tensor eigenvectors)',
      forward: (self: T, uplo: string) => {
        const upper = checkUplo(uplo);
        const r = eigh(self, upper, true, "linalg_eigh", "linalg.eigh", "linalg_eigh_cpu");
        return namedTuple({ eigenvalues: r.L, eigenvectors: r.V, 0: r.L, 1: r.V });
      },
    },
  ],
});

defineOp({
  name: "eigvalsh",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The eigenvalues (ascending) of symmetric matrices from their lower (`UPLO='L'`) or upper triangle, batched.",
  example: "torch.linalg.eigvalsh(torch.tensor([[2., 1], [1, 2]])) // tensor([1., 3.])",
  overloads: [
    {
      schema: 'linalg_eigvalsh(Tensor self, str UPLO="L") -> Tensor',
      forward: (self: T, uplo: string) => {
        const upper = checkUplo(uplo);
        return eigh(self, upper, false, "linalg_eigh", "linalg.eigvalsh", "linalg_eigh_cpu").L;
      },
    },
  ],
});

defineOp({
  name: "symeig",
  variants: ["function", "method"],
  out: true,
  doc: "The eigenvalues (ascending) and, with `eigenvectors`, the eigenvectors of symmetric matrices from their upper (default) or lower triangle (deprecated in favour of torch.linalg.eigh).",
  example: "torch.symeig(torch.tensor([[2., 1], [1, 2]])).eigenvalues // tensor([1., 3.])",
  overloads: [
    {
      schema:
        "symeig(Tensor self, bool eigenvectors=False, bool upper=True) -> (Tensor eigenvalues, Tensor eigenvectors)",
      forward: (self: T, eigenvectors: boolean, upper: boolean) => {
        const r = eigh(self, upper, eigenvectors, "symeig", "linalg.symeig", "symeig_cpu");
        return namedTuple({ eigenvalues: r.L, eigenvectors: r.V, 0: r.L, 1: r.V });
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// linalg.solve, linalg.solve_ex, matrix_power

/** linalg.solve's vector case: B.ndim == 1, or B is A's shape without its last dim */
const isVectorRhs = (A: T, B: T): boolean =>
  B.dim() === 1 || (B.dim() === A.dim() - 1 && B.shape.every((s, i) => s === A.shape[i]));

/** X with A X = B (X A = B when not `left`) and the infos, A's batch broadcast with B's */
function solveKernel(
  A: T,
  B: T,
  left: boolean,
  name: string,
): { X: T; info: number[]; batch: number[] } {
  checkAtLeast2d(name, A);
  checkSquare(name, A);
  checkFloating(name, A);
  if (A.dtype !== B.dtype)
    throw runtimeError(
      `${name}: Expected A and B to have the same dtype, but found A of type ${scalarTypeName(A.dtype)} and B of type ${scalarTypeName(B.dtype)} instead`,
    );
  const vector = isVectorRhs(A, B);
  if (!vector && B.dim() < 2) checkAtLeast2d(name, B, "B");
  const Bm = vector ? B.unsqueeze(-1) : B;
  const n = A.shape[A.dim() - 1];
  const [bm, bk] = Bm.shape.slice(-2);
  if ((left ? bm : bk) !== n)
    throw runtimeError(
      `${name}: Incompatible shapes of A and B for the equation ${left ? "AX = B" : "XA = B"} (${n}x${n} and ${bm}x${bk})`,
    );
  const batch = broadcastShapes(batchOf(A), batchOf(Bm));
  const r = luKernel(expandBatch(A, batch).contiguous(), true, true); // Note [solve's LU scratch]
  const rhs = left ? Bm : mT(Bm);
  const k = rhs.shape[rhs.dim() - 1];
  const b = f64(expandBatch(rhs, batch));
  luSolveInPlace(r, b, k, !left);
  let X = make(b, [...batch, n, k], B.dtype);
  if (!left) X = mT(X).contiguous();
  if (vector) X = X.squeeze(-1);
  return { X, info: r.info, batch };
}

function solveSingular(A: T, info: number[], name: string): void {
  const k = info.findIndex((v) => v !== 0);
  if (k >= 0)
    throw linAlgError(
      `${name}: ${info.length > 1 || A.dim() > 2 ? `(Batch element ${k}): ` : ""}The solver failed because the input matrix is singular.`,
    );
}

/** linalg.solve through the registry (recorded) */
const linalgSolve = (A: T, B: T, left: boolean): T => fn("solve", "linalg")(A, B, { left }) as T;

/**
 * linalg_solve_backward: gB = solve(A^H, g) (left) or solve(A^H, g, left=false); gA = -gB X^H
 * (left) or -X^H gB, with the vector case's column vectors.
 */
function solveBackward(g: T, A: T, B: T, X: T, left: boolean): [T, T] {
  const gB = linalgSolve(mT(A), g, left);
  const vector = isVectorRhs(A, B);
  const gBm = vector ? gB.unsqueeze(-1) : gB;
  const Xm = vector ? X.unsqueeze(-1) : X;
  const gA = left ? gBm.matmul(mT(Xm)).neg() : mT(Xm).matmul(gBm).neg();
  return [gA, gB];
}

/** dX = A^{-1}(dB - dA X) (left), (dB - X dA) A^{-1} */
function solveJvp(dA: T | null, dB: T | null, A: T, B: T, X: T, left: boolean): T | null {
  const vector = isVectorRhs(A, B);
  let rhs = dB === null ? null : vector ? dB.unsqueeze(-1) : dB;
  if (dA !== null) {
    const Xm = vector ? X.unsqueeze(-1) : X;
    const term = left ? dA.matmul(Xm) : Xm.matmul(dA);
    rhs = rhs === null ? term.neg() : rhs.sub(term);
  }
  if (rhs === null) return null;
  const r = linalgSolve(A, rhs, left);
  return vector ? r.squeeze(-1) : r;
}

defineOp({
  name: "solve",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "Solves A X = B (X A = B with `left=false`) for square A, batched with broadcast leading dims; B may be a vector (or a batch of vectors).",
  example:
    "torch.linalg.solve(torch.tensor([[2., 0], [0, 4]]), torch.tensor([2., 4])) // tensor([1., 1.])",
  overloads: [
    {
      schema: "linalg_solve(Tensor A, Tensor B, *, bool left=True) -> Tensor",
      forward: (A: T, B: T, left: boolean) => {
        const r = solveKernel(A, B, left, "linalg.solve");
        solveSingular(A, r.info, "torch.linalg.solve");
        return r.X;
      },
      derivative: {
        name: "LinalgSolveExBackward0",
        save: ["A", "B", "result"],
        attrs: ["left"],
        grad: (g: T, s: { A: T; B: T; result: T }, a: { left: boolean }) =>
          solveBackward(g, s.A, s.B, s.result, a.left),
        jvp: (t: Tangents, p: Primals, x: T, a: { left: boolean }) =>
          solveJvp(t.A, t.B, p.A, p.B, x, a.left),
      },
    },
  ],
});

const SOLVE_EX = "linalg_solve_ex" as unknown as Op;
registerDerivative(SOLVE_EX, {
  name: "LinalgSolveExBackward0",
  save: ["A", "B", "result"],
  grad: (g: T, s: { A: T; B: T; result: T }, a: { left: boolean }) =>
    solveBackward(g, s.A, s.B, s.result, a.left),
} as never);
registerJvp(SOLVE_EX, ((t: (T | null)[], i: T[], x: T, a: { left: boolean }) =>
  solveJvp(t[0], t[1], i[0], i[1], x, a.left)) as never);

defineOp({
  name: "solve_ex",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "linalg.solve without the error: `(result, info)`, info > 0 for a singular matrix (raised with `checkErrors`).",
  example:
    "torch.linalg.solveEx(torch.tensor([[2., 0], [0, 4]]), torch.tensor([2., 4])).result // tensor([1., 1.])",
  overloads: [
    {
      schema:
        "linalg_solve_ex(Tensor A, Tensor B, *, bool left=True, bool check_errors=False) -> (Tensor result, Tensor info)",
      forward: (A: T, B: T, left: boolean, checkErrors: boolean) => {
        const r = solveKernel(A, B, left, "linalg.solve");
        if (checkErrors) solveSingular(A, r.info, "torch.linalg.solve_ex");
        if (anyNeedsGrad([A, B]))
          record(SOLVE_EX, r.X, [A, B], { A, B, result: r.X } as never, { left } as never);
        const info = infoTensor(r.info, r.batch);
        return namedTuple({ result: r.X, info, 0: r.X, 1: info });
      },
    },
  ],
});

/**
 * linalg_matrix_power as ATen composes it: n = 0 the identity (copied into a clone of A),
 * n < 0 through linalg.inv, then binary powering with matmul (n = 1: a clone; 2, 3 directly).
 */
function matrixPower(self: T, n0: number): T {
  checkAtLeast2d("linalg.matrix_power", self);
  checkSquare("linalg.matrix_power", self);
  let n = n0;
  let a = self;
  if (n === 0) {
    const m = self.shape[self.dim() - 1];
    return self.clone().copy_(eye(m, self.dtype).expand(self.shape));
  }
  if (n < 0) {
    a = fn("inv", "linalg")(self) as T;
    n = -n;
    if (n === 1) return a;
  }
  if (n === 1) return a.clone();
  if (n === 2) return a.matmul(a);
  if (n === 3) return a.matmul(a).matmul(a);
  let z: T | null = null;
  let result: T | null = null;
  while (n > 0) {
    const bit = n % 2;
    n = Math.floor(n / 2);
    z = z === null ? a : z.matmul(z);
    // n >= 4: result ends as a matmul product even when it starts as A itself (odd n)
    if (bit === 1) result = result === null ? z : result.matmul(z);
  }
  return result as T;
}

for (const ns of ["torch", "linalg"] as const) {
  defineOp({
    name: "matrix_power",
    namespace: ns,
    variants: ns === "torch" ? ["function", "method"] : ["function"],
    out: true,
    doc: "The integer power A^n of square matrices by repeated squaring (n < 0: of the inverse), batched.",
    example: `torch.${ns === "torch" ? "" : "linalg."}matrixPower(torch.tensor([[1., 1], [0, 1]]), 3) // tensor([[1., 3.], [0., 1.]])`,
    overloads: [
      {
        schema: `${ns === "torch" ? "" : "linalg_"}matrix_power(Tensor self, int n) -> Tensor`,
        forward: matrixPower,
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// norms: linalg.vector_norm, linalg.matrix_norm, linalg.norm

/** c10's printing of a dim list in these messages: one element bare, else bracketed */
const dimsText = (d: readonly number[]): string =>
  d.length === 1 ? `${d[0]}` : `[${d.join(", ")}]`;

function checkNormDtype(name: string, x: T, dtype: DType | null): void {
  if (dtype !== null && promoteTypes(x.dtype, dtype) !== dtype)
    throw runtimeError(
      `${name}: the dtype of the input (${scalarTypeName(x.dtype)}) should be convertible without narrowing to the specified dtype (${scalarTypeName(dtype)})`,
    );
}

/** linalg.vector_norm: the ord-norm over `dim` (all dims for null or []), LinalgVectorNormBackward0 */
function vectorNorm(
  x: T,
  ord: number,
  dim: number[] | null,
  keepdim: boolean,
  dtype: DType | null,
): T {
  checkFloating("linalg.vector_norm", x);
  checkNormDtype("linalg.vector_norm", x, dtype);
  if (Math.abs(ord) === Infinity && x.numel() === 0 && (dim === null || dim.length === 0))
    throw runtimeError(
      "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation does not have an identity",
    );
  const dims = dim === null || dim.length === 0 ? x.shape.map((_s, i) => i) : dim;
  return reduceNorm(x, ord, dims, keepdim, dtype, "LinalgVectorNormBackward0");
}

defineOp({
  name: "vector_norm",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The vector ord-norm (sum |x|^ord)^(1/ord) over `dim` (all dims by default); ord = inf, -inf, 0 give max |x|, min |x| and the count of non-zeros.",
  example: "torch.linalg.vectorNorm(torch.tensor([3., 4])) // tensor(5.)",
  overloads: [
    {
      schema:
        "linalg_vector_norm(Tensor self, Scalar ord=2, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: vectorNorm,
    },
  ],
});

/** the permutation moving dims d0, d1 to the end (in that order) */
function backshift(d0: number, d1: number, nd: number): number[] {
  const p: number[] = [];
  for (let i = 0; i < nd; i++) if (i !== d0 && i !== d1) p.push(i);
  return [...p, d0, d1];
}

function matrixNormChecks(A: T, dim: number[], dtype: DType | null): [number, number] {
  const name = "linalg.matrix_norm";
  checkAtLeast2d(name, A);
  checkFloating(name, A);
  if (dim.length !== 2) throw runtimeError(`${name}: dim must be a 2-tuple. Got ${dimsText(dim)}`);
  const nd = A.dim();
  const [d0, d1] = dim.map((d) => (d < 0 ? d + nd : d));
  if (d0 === d1) throw runtimeError(`${name}: dims must be different. Got (${d0}, ${d1})`);
  checkNormDtype(name, A, dtype);
  return [d0, d1];
}

/** ATen's linalg_matrix_norm: 2/-2 from svdvals, 1/-1/inf/-inf from column/row sums, fro, nuc */
function matrixNorm(
  A: T,
  ord: number | string,
  dim: number[],
  keepdim: boolean,
  dtype: DType | null,
): T {
  if (typeof ord === "number" && ![1, 2, Infinity].includes(Math.abs(ord)))
    throw runtimeError(`linalg.matrix_norm: Order ${ord} not supported.`);
  if (typeof ord === "string" && ord !== "fro" && ord !== "nuc")
    throw runtimeError(`linalg.matrix_norm: Order ${ord} not supported.`);
  const [d0, d1] = matrixNormChecks(A, dim, dtype);
  if (ord === "fro") return vectorNorm(A, 2, [d0, d1], keepdim, dtype);
  const maxMin = (x: T, d: number): T =>
    (ord as number) > 0 ? x.amax(d, keepdim) : x.amin(d, keepdim);
  if (ord === "nuc" || Math.abs(ord as number) === 2) {
    const perm = backshift(d0, d1, A.dim());
    const A_ = dtype === null ? A : A.to(dtype);
    const sv = fn("svdvals", "linalg")(A_.permute(perm)) as T;
    let r = ord === "nuc" ? sv.sum(-1, keepdim) : maxMin(sv, -1);
    if (keepdim) {
      const inv = new Array<number>(perm.length);
      perm.forEach((p, i) => (inv[p] = i));
      r = r.unsqueeze(-1).permute(inv);
    }
    return r;
  }
  // the inf norm is the 1 norm of the transpose; the first reduction shifts a later dim
  const [a, b] = Math.abs(ord as number) === Infinity ? [d1, d0] : [d0, d1];
  return maxMin(vectorNorm(A, 1, [a], keepdim, dtype), !keepdim && a < b ? b - 1 : b);
}

defineOp({
  name: "matrix_norm",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The matrix norm over the two dims `dim`: 'fro' (default), 'nuc', or ord = ±1, ±2, ±inf (max/min column sum, singular value, row sum).",
  example: "torch.linalg.matrixNorm(torch.tensor([[3., 0], [0, 4]]), 'nuc') // tensor(7.)",
  overloads: [
    {
      schema:
        "linalg_matrix_norm(Tensor self, Scalar ord, int[] dim=[-2,-1], bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: matrixNorm,
    },
    {
      schema:
        "linalg_matrix_norm.str_ord(Tensor self, str ord='fro', int[] dim=[-2,-1], bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: matrixNorm,
    },
  ],
});

function normDimCheck(dim: number[] | null, str: boolean): void {
  if (dim !== null && dim.length !== 1 && dim.length !== 2)
    throw runtimeError(
      `linalg.norm: If dim is specified, it ${str ? "mut" : "must"} be of length 1 or 2. Got [${dim.join(", ")}]`,
    );
}

function ordWithoutDim(x: T): void {
  if (x.dim() !== 1 && x.dim() !== 2)
    throw runtimeError(
      `linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got ${x.dim()}D.`,
    );
}

defineOp({
  name: "norm",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "linalg.vector_norm or linalg.matrix_norm by `ord` and `dim`: a matrix norm for a string ord, or a number ord over two dims (a 2-D input without dim); the 2-norm of the flattened input by default.",
  example: "torch.linalg.norm(torch.tensor([[3., 0], [0, 4]])) // tensor(5.)",
  overloads: [
    {
      schema:
        "linalg_norm(Tensor self, Scalar? ord=None, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: (
        x: T,
        ord: number | null,
        dim: number[] | null,
        keepdim: boolean,
        dtype: DType | null,
      ) => {
        normDimCheck(dim, false);
        if (dim === null && ord !== null) ordWithoutDim(x);
        if (ord !== null && ((dim !== null && dim.length === 2) || (dim === null && x.dim() === 2)))
          return matrixNorm(x, ord, dim ?? [0, 1], keepdim, dtype);
        return vectorNorm(x, ord ?? 2, dim, keepdim, dtype);
      },
    },
    {
      schema:
        "linalg_norm.ord_str(Tensor self, str ord, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: (x: T, ord: string, dim: number[] | null, keepdim: boolean, dtype: DType | null) => {
        normDimCheck(dim, true);
        if (dim === null) ordWithoutDim(x);
        return matrixNorm(x, ord, dim ?? [0, 1], keepdim, dtype);
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// composites: linalg.matmul, linalg.diagonal, linalg.vecdot, linalg.vander, linalg.matrix_rank,
// linalg.tensorinv, linalg.tensorsolve

defineOp({
  name: "matmul",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "Alias of torch.matmul.",
  example:
    "torch.linalg.matmul(torch.tensor([[1., 2], [3, 4]]), torch.tensor([1., 1])) // tensor([3., 7.])",
  overloads: [
    {
      schema: "linalg_matmul(Tensor self, Tensor other) -> Tensor",
      forward: (self: T, other: T) => self.matmul(other),
    },
  ],
});

defineOp({
  name: "diagonal",
  namespace: "linalg",
  variants: ["function"],
  doc: "torch.diagonal with the last two dims as default: the diagonal (offset `offset`) of each matrix, as a view.",
  example: "torch.linalg.diagonal(torch.tensor([[1., 2], [3, 4]])) // tensor([1., 4.])",
  overloads: [
    {
      schema:
        "linalg_diagonal(Tensor(a) A, *, int offset=0, int dim1=-2, int dim2=-1) -> Tensor(a)",
      forward: (A: T, offset: number, dim1: number, dim2: number) => A.diagonal(offset, dim1, dim2),
    },
  ],
});

defineOp({
  name: "vecdot",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The dot product of vectors along `dim` (default -1), inputs broadcast: sum(x * y, dim).",
  example: "torch.linalg.vecdot(torch.tensor([1., 2]), torch.tensor([3., 4])) // tensor(11.)",
  overloads: [
    {
      schema: "linalg_vecdot(Tensor x, Tensor y, *, int dim=-1) -> Tensor",
      // ATen: vdot for two vectors (VdotBackward0), else (x.conj() * y).sum(dim) (SumBackward1
      // over MulBackward0)
      forward: (x: T, y: T, dim: number) => {
        checkFloating("linalg.vecdot", x);
        if (x.dtype !== y.dtype)
          throw runtimeError(
            `linalg.vecdot: Expected x and y to have the same dtype, but found x of type ${scalarTypeName(x.dtype)} and y of type ${scalarTypeName(y.dtype)} instead`,
          );
        if (x.dim() === 1 && y.dim() === 1) return fn("vdot")(x, y) as T;
        return x.mul(y).sum(dim);
      },
    },
  ],
});

defineOp({
  name: "vander",
  namespace: "linalg",
  variants: ["function"],
  doc: "The Vandermonde matrix of `x`: columns x^0, x^1, ..., x^(N-1) (N = len(x) by default), batched over leading dims.",
  example:
    "torch.linalg.vander(torch.tensor([1., 2, 3])) // tensor([[1., 1., 1.], [1., 2., 4.], [1., 3., 9.]])",
  overloads: [
    {
      schema: "linalg_vander(Tensor x, *, int? N=None) -> Tensor",
      // ATen: cat([ones, cumprod(x.unsqueeze(-1).expand(..., N - 1), -1)], -1)
      forward: (x: T, N: number | null) => {
        if (x.dtype.name === "bool")
          throw runtimeError(
            `linalg.vander supports floating point, complex, and integer tensors, but got ${scalarTypeName(x.dtype)}`,
          );
        const x_ = x.dim() === 0 ? x.unsqueeze(-1) : x;
        const shape = x_.shape.slice();
        const n = N ?? shape[shape.length - 1];
        if (!(n > 1)) throw runtimeError("N must be greater than 1.");
        const result = x_
          .unsqueeze(-1)
          .expand([...shape, n - 1])
          .cumprod(-1);
        const ones = result.newOnes([...shape, 1]);
        return cat([ones, result], -1);
      },
    },
  ],
});

/** the rank: singular values (|eigenvalues| when hermitian) above max(atol, rtol * s_max) */
function matrixRank(x: T, atol: T | number | null, rtol: T | number | null, hermitian: boolean): T {
  if (x.dim() < 2)
    throw runtimeError(
      "torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.",
    );
  if (!x.dtype.isFloatingPoint)
    throw runtimeError("This function doesn't handle types other than float and double");
  const [m, n] = x.shape.slice(-2);
  const batch = batchOf(x);
  const count = prod(batch);
  const eps = x.dtype === float64 ? 2 ** -52 : 2 ** -23;
  const at = tolerance(atol, batch);
  const rt =
    tolerance(rtol, batch) ??
    Float64Array.from({ length: count }, (_x, i) =>
      at !== null && at[i] > 0 ? 0 : eps * Math.max(m, n),
    );
  const s = noGrad(() =>
    hermitian ? (fn("eigvalsh", "linalg")(x) as T).abs() : (fn("svdvals", "linalg")(x) as T),
  );
  const sv = f64(s);
  const k = s.shape[s.dim() - 1];
  const out = new Float64Array(count);
  for (let b = 0; b < count; b++) {
    let big = 0;
    for (let j = 0; j < k; j++) big = Math.max(big, sv[b * k + j]);
    const thr = Math.max(at === null ? 0 : at[b], rt[b] * big);
    for (let j = 0; j < k; j++) if (sv[b * k + j] > thr) out[b]++;
  }
  return make(out, batch, int64);
}

defineOp({
  name: "matrix_rank",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The numerical rank: the number of singular values above max(atol, rtol * s_max) (`tol`: an absolute tolerance), batched.",
  example: "torch.linalg.matrixRank(torch.tensor([[1., 2], [2, 4]])) // tensor(1)",
  overloads: [
    {
      schema:
        "linalg_matrix_rank.atol_rtol_tensor(Tensor input, *, Tensor? atol=None, Tensor? rtol=None, bool hermitian=False) -> Tensor",
      forward: matrixRank,
    },
    {
      schema:
        "linalg_matrix_rank.atol_rtol_float(Tensor self, *, float? atol=None, float? rtol=None, bool hermitian=False) -> Tensor",
      forward: matrixRank,
    },
    {
      schema:
        "linalg_matrix_rank.tol_tensor(Tensor input, Tensor tol, bool hermitian=False) -> Tensor",
      forward: (x: T, tol: T, hermitian: boolean) => matrixRank(x, tol, 0, hermitian),
    },
    {
      schema: "linalg_matrix_rank(Tensor self, float tol, bool hermitian=False) -> Tensor",
      forward: (x: T, tol: number, hermitian: boolean) => matrixRank(x, tol, 0, hermitian),
    },
  ],
});

defineOp({
  name: "tensorinv",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The inverse of a tensor as a linear map from its last dims to its first `ind` dims (the inverse of its reshape to a square matrix).",
  example: "torch.linalg.tensorinv(torch.eye(4).reshape(4, 2, 2), 1).shape // [2, 2, 4]",
  overloads: [
    {
      schema: "linalg_tensorinv(Tensor self, int ind=2) -> Tensor",
      forward: (self: T, ind: number) => {
        if (!(ind > 0))
          throw runtimeError(`Expected a strictly positive integer for 'ind', but got ${ind}`);
        const end = self.shape.slice(ind);
        const start = self.shape.slice(0, ind);
        const pe = prod(end);
        const ps = prod(start);
        if (pe !== ps)
          throw runtimeError(
            `Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), but got ${pe} != ${ps}`,
          );
        const inv = invEx(self.reshape([pe, pe]));
        return inv.reshape([...end, ...start]);
      },
    },
  ],
});

defineOp({
  name: "tensorsolve",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The X with tensordot(A, X, X.ndim) = B: A's dims `dims` moved last, reshaped to a square matrix and solved.",
  example: "torch.linalg.tensorsolve(torch.eye(6).reshape(2, 3, 6), torch.ones(2, 3)).shape // [6]",
  overloads: [
    {
      schema: "linalg_tensorsolve(Tensor self, Tensor other, int[]? dims=None) -> Tensor",
      forward: (self: T, other: T, dims: number[] | null) => {
        const nd = self.dim();
        let s = self;
        if (dims !== null)
          s = s.movedim(
            dims,
            dims.map((_d, i) => nd - dims.length + i),
          );
        const resultShape = s.shape.slice(other.dim());
        const rp = prod(resultShape);
        const op = prod(other.shape);
        if (rp !== op)
          throw runtimeError(
            `Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), but got ${rp} != ${op}`,
          );
        // complex: linalg.solve's complex path (Note [complex compute])
        const solve =
          self.dtype.isComplex || other.dtype.isComplex
            ? (a: T, b: T) => fn("solve", "linalg")(a, b) as T
            : (a: T, b: T) => linalgSolve(a, b, true);
        return solve(s.reshape([rp, rp]), other.flatten()).reshape(resultShape);
      },
    },
  ],
});

/** caffe2's TypeMeta names, as multi_dot's dtype message prints them */
const TYPE_META: Record<string, string> = {
  float32: "float",
  float64: "double",
  int64: "long int",
  int32: "int",
  uint8: "unsigned char",
  bool: "bool",
};

/**
 * ATen's multi_dot: 1-D ends viewed as a row/column, then mm in the cheapest order (the
 * 3-matrix cost comparison, else the matrix-chain dynamic program, first split on ties), viewed
 * to the ends' dims (ViewBackward0).
 */
function multiDot(ts: T[]): T {
  const n = ts.length;
  if (n < 2) throw runtimeError(`multi_dot(): expected at least 2 tensors but got ${n}`);
  const outShape: number[] = [];
  const m: T[] = ts.slice();
  if (ts[0].dim() === 1) m[0] = ts[0].unsqueeze(0);
  else if (ts[0].dim() === 2) outShape.push(ts[0].shape[0]);
  else throw runtimeError(`multi_dot(): the first tensor must be 1D or 2D but got ${ts[0].dim()}D`);
  const last = ts[n - 1];
  if (last.dim() === 1) m[n - 1] = last.unsqueeze(-1);
  else if (last.dim() === 2) outShape.push(last.shape[1]);
  else throw runtimeError(`multi_dot(): the last tensor must be 1D or 2D but got ${last.dim()}D`);
  for (let i = 1; i < n - 1; i++)
    if (ts[i].dim() !== 2)
      throw runtimeError(`multi_dot(): tensor ${i} must be 2D but got ${ts[i].dim()}D`);
  for (let i = 1; i < n; i++) {
    if (m[i].dtype !== m[0].dtype)
      throw runtimeError(
        `multi_dot(): all tensors must have be the same dtype but tensor 0 is ${TYPE_META[m[0].dtype.name]} and tensor ${i} ${TYPE_META[m[i].dtype.name]}`,
      );
    if (m[i - 1].shape[1] !== m[i].shape[0])
      throw runtimeError(
        `multi_dot(): tensors ${i - 1} and ${i} with shapes [${ts[i - 1].shape.join(", ")}] and [${ts[i].shape.join(", ")}] cannot be multiplied`,
      );
  }
  if (n === 2) return m[0].mm(m[1]).view(outShape);
  if (n === 3) {
    const [a, b] = m[0].shape;
    const [c, d] = m[2].shape;
    const cost1 = a * c * (b + d);
    const cost2 = b * d * (a + c);
    return (cost1 > cost2 ? m[0].mm(m[1].mm(m[2])) : m[0].mm(m[1]).mm(m[2])).view(outShape);
  }
  // matrix_chain_order: cost[i][j] of multiplying m[i..j], split[i][j] its best split
  const p = [m[0].shape[0], ...m.map((t) => t.shape[1])];
  const cost = m.map(() => new Array<number>(n).fill(0));
  const split = m.map(() => new Array<number>(n).fill(0));
  for (let l = 1; l < n; l++)
    for (let i = 0; i < n - l; i++) {
      const j = i + l;
      cost[i][j] = Infinity;
      for (let k = i; k < j; k++) {
        const q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1];
        if (q < cost[i][j]) {
          cost[i][j] = q;
          split[i][j] = k;
        }
      }
    }
  const chain = (i: number, j: number): T =>
    i === j ? m[i] : chain(i, split[i][j]).mm(chain(split[i][j] + 1, j));
  return chain(0, n - 1).view(outShape);
}

defineOp({
  name: "multi_dot",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The product of a chain of matrices in the cheapest order (the first and last may be vectors).",
  example:
    "torch.linalg.multiDot([torch.ones(2, 3), torch.ones(3, 4), torch.ones(4)]) // tensor([12., 12.])",
  overloads: [
    {
      schema: "linalg_multi_dot(Tensor[] tensors) -> Tensor",
      forward: multiDot,
    },
  ],
});

/** ATen's linalg_cond: ±2 (default) from the singular values, else norm(A) * norm(A^{-1}) */
function cond(A: T, ord: number | string | null): T {
  if (A.dim() < 2)
    throw runtimeError("linalg.cond: The input tensor must have at least 2 dimensions.");
  const o = ord ?? 2;
  const valid =
    typeof o === "string" ? o === "fro" || o === "nuc" : [1, 2, Infinity].includes(Math.abs(o));
  if (!valid) throw runtimeError(`linalg.cond got an invalid norm type: ${String(o)}`);
  // NumPy leaves 0 x 0 matrices undefined: 0
  const empty = (): T => make(new Float64Array(prod(batchOf(A))), batchOf(A), toRealDtype(A.dtype));
  if (typeof o === "number" && Math.abs(o) === 2) {
    if (A.numel() === 0) return empty();
    const s = fn("svdvals", "linalg")(A) as T;
    const sMax = s.narrow(-1, 0, 1);
    const sMin = s.narrow(-1, s.shape[s.dim() - 1] - 1, 1);
    return (o === -2 ? sMin.div(sMax) : sMax.div(sMin)).squeeze(-1);
  }
  checkSquare(
    `linalg.cond(ord=${typeof o === "number" ? String(o).replace("Infinity", "inf") : o})`,
    A,
  );
  if (A.numel() === 0) return empty();
  if (o === "nuc") {
    // the definition itself: matrix_norm(nuc) of an inverse with infinities raises
    const s = fn("svdvals", "linalg")(A) as T;
    return s.sum(-1).mul(s.reciprocal().sum(-1));
  }
  // _linalg_cond_helper: singular matrices' inverses filled with inf, in place as ATen does (so,
  // as in PyTorch, backward through it fails the saved inverse's version check), 0 * inf fixed
  // to inf
  const r = fn("invEx", "linalg")(A) as { inverse: T; info: T };
  const inverse = r.inverse.maskedFill_(r.info.gt(0).unsqueeze(-1).unsqueeze(-1), Infinity);
  const result = matrixNorm(A, o, [-2, -1], false, null).mul(
    matrixNorm(inverse, o, [-2, -1], false, null),
  );
  return result.nanToNum_(Infinity, Infinity, -Infinity);
}

defineOp({
  name: "cond",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The condition number in the `p` norm: s_max / s_min for p = 2 (default; -2 its inverse), else norm(A) * norm(inv(A)) (p = 'fro', 'nuc', ±1, ±inf; inf for a singular matrix).",
  example: "torch.linalg.cond(torch.tensor([[2., 0], [0, 1]])) // tensor(2.)",
  overloads: [
    {
      schema: "linalg_cond(Tensor self, Scalar? p=None) -> Tensor",
      forward: cond,
    },
    {
      schema: "linalg_cond.p_str(Tensor self, str p) -> Tensor",
      forward: cond,
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// linalg.lstsq

const LSTSQ = "linalg_lstsq" as unknown as Op;
registerDerivative(LSTSQ, {
  name: "LinalgLstsqBackward0",
  save: ["self", "b"],
  // linalg_lstsq_backward: through X = pinv(A) B: gA = pinv_backward(gX B^H, pinv(A), A),
  // gB = pinv(A)^H gX (B a column in the vector case)
  grad: (g: T, s: { self: T; b: T }) => {
    const vector = isVectorRhs(s.self, s.b);
    const gX = vector ? g.unsqueeze(-1) : g;
    const B = vector ? s.b.unsqueeze(-1) : s.b;
    const pinvA = fn("pinv", "linalg")(s.self) as T;
    const gA = pinvBackward(gX.matmul(mH(B)), pinvA, s.self);
    const gB = mH(pinvA).matmul(gX);
    return [gA, vector ? gB.squeeze(-1) : gB];
  },
} as never);
// dX = d(pinv A) B + pinv(A) dB
registerJvp(LSTSQ, ((t: (T | null)[], i: T[]) => {
  const [A, b] = i;
  const vector = isVectorRhs(A, b);
  const B = vector ? b.unsqueeze(-1) : b;
  const pinvA = fn("pinv", "linalg")(A) as T;
  let dX: T | null = null;
  if (t[0] !== null) dX = pinvJvp(t[0], pinvA, A).matmul(B);
  if (t[1] !== null) {
    const dB = pinvA.matmul(vector ? t[1].unsqueeze(-1) : t[1]);
    dX = dX === null ? dB : dX.add(dB);
  }
  return dX === null ? null : vector ? dX.squeeze(-1) : dX;
}) as never);

/**
 * The minimum-norm least-squares solution from the SVD (singular values at most rcond * s_max
 * dropped; rcond = eps * max(m, n) by default), with what LAPACK's drivers report: rank
 * (gelsy, gelsd, gelss), singular values (gelsd, gelss) and, for m > n and full rank, the
 * squared residuals (not gelsy).
 */
function lstsq(A: T, b: T, rcond: number | null, driver: string | null) {
  const nm = "torch.linalg.lstsq";
  if (A.dim() < 2) throw runtimeError(`${nm}: input must have at least 2 dimensions.`);
  const drv = driver ?? "gelsy";
  if (!["gels", "gelsy", "gelsd", "gelss"].includes(drv))
    throw runtimeError(`${nm}: parameter \`driver\` should be one of (gels, gelsy, gelsd, gelss)`);
  const ok = (d: DType): boolean => d.isFloatingPoint || d.isComplex;
  if (!ok(A.dtype) || !ok(b.dtype))
    throw runtimeError("This function doesn't handle types other than float and double");
  if (A.dtype !== b.dtype)
    throw runtimeError(
      `${nm}: Expected input and other to have the same dtype, but got input's dtype ${scalarTypeName(A.dtype)} and other's dtype ${scalarTypeName(b.dtype)}`,
    );
  const vector = isVectorRhs(A, b);
  const B = vector ? b.unsqueeze(-1) : b;
  const [m, n] = A.shape.slice(-2);
  if (B.shape[B.dim() - 2] !== m)
    throw runtimeError(`${nm}: input.size(-2) should match other.size(-2)`);
  const eps = toRealDtype(A.dtype) === float64 ? 2 ** -52 : 2 ** -23;
  const rtol = rcond === null || rcond <= 0 ? eps * Math.max(m, n) : rcond;
  const batch = broadcastShapes(batchOf(A), batchOf(B));
  const Ab = expandBatch(A, batch);
  const { X, S } = noGrad(() => {
    const pinvA = pinvForward(Ab, 0, rtol, false);
    return {
      X: pinvA.matmul(expandBatch(B, batch)).contiguous(),
      S: svdKernel(Ab, false, false).S,
    };
  });
  const sv = f64(S);
  const k = Math.min(m, n);
  const count = prod(batch);
  const ranks = new Float64Array(count);
  for (let i = 0; i < count; i++)
    for (let j = 0; j < k; j++) if (sv[i * k + j] > rtol * sv[i * k]) ranks[i]++;
  const empty = (dtype: DType): T => make(new Float64Array(0), [0], dtype);
  const rank = drv === "gels" ? empty(int64) : make(ranks, batch, int64);
  const real = toRealDtype(A.dtype);
  const singular = drv === "gelsd" || drv === "gelss" ? S : empty(real);
  let residuals = empty(real);
  if (m > n && drv !== "gelsy" && ranks.every((r) => r === n)) {
    const r = noGrad(() => Ab.matmul(X).sub(expandBatch(B, batch)));
    // |r|^2 summed over each column
    residuals = noGrad(() => (A.dtype.isComplex ? r.abs() : r).square().sum(-2));
  }
  const solution = vector ? X.squeeze(-1) : X;
  if (anyNeedsGrad([A, b])) record(LSTSQ, solution, [A, b], { self: A, b } as never, {} as never);
  return namedTuple({
    solution,
    residuals,
    rank,
    singular_values: singular,
    0: solution,
    1: residuals,
    2: rank,
    3: singular,
  });
}

defineOp({
  name: "lstsq",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The least-squares solution of A X = B (minimum norm for rank-deficient A), batched: `(solution, residuals, rank, singularValues)` as LAPACK's `driver` reports them.",
  example:
    "torch.linalg.lstsq(torch.tensor([[1., 0], [0, 1], [0, 0]]), torch.tensor([[1.], [2], [3]])).solution // tensor([[1.], [2.]])",
  overloads: [
    {
      schema:
        "linalg_lstsq(Tensor self, Tensor b, float? rcond=None, *, str? driver=None) -> (Tensor solution, Tensor residuals, Tensor rank, Tensor singular_values)",
      forward: lstsq,
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// LDL^T (Bunch-Kaufman, LAPACK's sytrf/sytrs): linalg.ldl_factor_ex, ldl_factor, ldl_solve

/** derivatives.yaml has no entry: outputs carry a NotImplemented node that raises, naming the op */
function atenNotImplemented(op: string): Op {
  const key = `decomp.${op}` as unknown as Op;
  registerDerivative(key, {
    name: "torch::autograd::NotImplemented",
    save: [],
    grad: () => {
      throw runtimeError(`derivative for aten::${op} is not implemented`);
    },
  } as never);
  return key;
}
const LDL_FACTOR_EX = atenNotImplemented("linalg_ldl_factor_ex");
const LDL_SOLVE = atenNotImplemented("linalg_ldl_solve");

/**
 * (LD, pivots, info) of each symmetric matrix: LD the lower triangle of dsytf2's packed
 * factors (the upper triangle zero, as PyTorch returns it), int32 pivots in LAPACK's format.
 * Complex A: zsytf2's L D L^T, or zhetf2's L D L^H with `hermitian`.
 */
function ldlFactorEx(
  A: T,
  name: string,
  hermitian = false,
): { LD: T; pivots: T; info: T; infos: number[] } {
  checkAtLeast2d(name, A);
  checkSquare(name, A);
  checkFloating(name, A);
  const n = A.shape[A.dim() - 1];
  const batch = batchOf(A);
  const count = prod(batch);
  const a = f64(A);
  const piv = new Int32Array(count * n);
  const infos: number[] = [];
  const w = A.dtype.isComplex ? 2 : 1;
  for (let b = 0; b < count; b++) {
    const o = w * b * n * n;
    infos.push(
      w === 2 ? ZL.zLdlFactor(a, o, n, piv, b * n, hermitian) : K.ldlFactor(a, o, n, piv, b * n),
    );
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) a.fill(0, o + w * (i * n + j), o + w * (i * n + j + 1));
  }
  const LD = make(a, A.shape.slice(), A.dtype);
  const pivots = wrap(piv, [...batch, n], int32);
  if (anyNeedsGrad([A])) record(LDL_FACTOR_EX, [LD], [A], {} as never, {} as never);
  return { LD, pivots, info: infoTensor(infos, batch), infos };
}

/** _linalg_check_errors has no case for sytrf's info: an internal assert */
function ldlCheckErrors(name: string, infos: number[]): void {
  const k = infos.findIndex((v) => v !== 0);
  if (k >= 0)
    throw runtimeError(
      `false INTERNAL ASSERT FAILED at "./aten/src/ATen/native/BatchLinearAlgebra.cpp":1491, please report a bug to PyTorch. ${name}: Unknown error code: ${infos[k]}.`,
    );
}

defineOp({
  name: "ldl_factor_ex",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The LDL^T factorization of symmetric matrices with Bunch-Kaufman pivoting (LAPACK's sytrf, lower), packed: `(LD, pivots, info)`; info > 0 marks an exactly zero diagonal entry of D.",
  example:
    "torch.linalg.ldlFactorEx(torch.tensor([[4., 2], [2, 3]])).LD // tensor([[4.0000, 0.0000], [0.5000, 2.0000]])",
  overloads: [
    {
      schema:
        "linalg_ldl_factor_ex(Tensor self, *, bool hermitian=False, bool check_errors=False) -> (Tensor LD, Tensor pivots, Tensor info)",
      forward: (self: T, hermitian: boolean, checkErrors: boolean) => {
        const r = ldlFactorEx(self, "torch.linalg.ldl_factor_ex", hermitian);
        if (checkErrors) ldlCheckErrors("torch.linalg.ldl_factor_ex", r.infos);
        return namedTuple({
          LD: r.LD,
          pivots: r.pivots,
          info: r.info,
          0: r.LD,
          1: r.pivots,
          2: r.info,
        });
      },
    },
  ],
});

defineOp({
  name: "ldl_factor",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The LDL^T factorization of symmetric matrices with Bunch-Kaufman pivoting (LAPACK's sytrf, lower), packed: `(LD, pivots)`; an exactly zero diagonal entry of D raises.",
  example:
    "torch.linalg.ldlFactor(torch.tensor([[4., 2], [2, 3]])).pivots // tensor([1, 2], dtype=torch.int32)",
  overloads: [
    {
      schema:
        "linalg_ldl_factor(Tensor self, *, bool hermitian=False) -> (Tensor LD, Tensor pivots)",
      forward: (self: T, hermitian: boolean) => {
        const r = ldlFactorEx(self, "torch.linalg.ldl_factor_ex", hermitian);
        ldlCheckErrors("torch.linalg.ldl_factor", r.infos);
        return namedTuple({ LD: r.LD, pivots: r.pivots, 0: r.LD, 1: r.pivots });
      },
    },
  ],
});

defineOp({
  name: "ldl_solve",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "Solves A X = B from linalg.ldlFactor's `(LD, pivots)` of symmetric A (LAPACK's sytrs), batched with broadcasting.",
  example:
    "torch.linalg.ldlSolve(...Object.values(torch.linalg.ldlFactor(torch.tensor([[4., 2], [2, 3]]))).slice(0, 2), torch.tensor([[6.], [5]])) // tensor([[1.], [1.]])",
  overloads: [
    {
      schema:
        "linalg_ldl_solve(Tensor LD, Tensor pivots, Tensor B, *, bool hermitian=False) -> Tensor",
      forward: (LD: T, pivots: T, B: T, hermitian: boolean) => {
        const name = "torch.linalg.ldl_solve";
        checkAtLeast2d(name, LD);
        checkSquare(name, LD);
        checkFloating(name, LD);
        if (B.dtype !== LD.dtype)
          throw runtimeError(
            `Expected b and A to have the same dtype, but found b of type ${scalarTypeName(B.dtype)} and A of type ${scalarTypeName(LD.dtype)} instead.`,
          );
        const n = LD.shape[LD.dim() - 1];
        const bm = B.size(-2);
        const c = B.size(-1);
        if (bm !== n)
          throw runtimeError(
            `Incompatible matrix sizes for ${name}: each A matrix is ${n} by ${n} but each b matrix is ${bm} by ${c}`,
          );
        const pshape = LD.shape.slice(0, -1);
        if (pivots.dim() !== pshape.length || pivots.shape.some((s, i) => s !== pshape[i]))
          throw runtimeError(
            `${name}: Expected LD.shape[:-1] and pivots.shape to be the same, but got pivots with shape [${pivots.shape.join(", ")}] instead`,
          );
        const batch = broadcastShapes(batchOf(LD), batchOf(B));
        const count = prod(batch);
        const ld = f64(expandBatch(LD, batch));
        const pv = f64(pivots.expand([...batch, n]));
        const b = f64(expandBatch(B, batch));
        if (LD.dtype.isComplex)
          for (let i = 0; i < count; i++)
            ZL.zLdlSolve(ld, 2 * i * n * n, n, pv, i * n, b, 2 * i * n * c, c, hermitian);
        else
          for (let i = 0; i < count; i++) K.ldlSolve(ld, i * n * n, n, pv, i * n, b, i * n * c, c);
        const X = make(b, [...batch, n, c], B.dtype);
        if (anyNeedsGrad([LD, B])) record(LDL_SOLVE, [X], [LD, B], {} as never, {} as never);
        return X;
      },
    },
  ],
});
