/**
 * The general (non-symmetric) eigenproblem (issue 14): torch.linalg.eig, torch.linalg.eigvals
 * and the removed torch.eig. Real float32/float64 matrices (batched over leading dims) give
 * complex64/complex128 eigenvalues and eigenvectors, computed as LAPACK's dgeev computes them
 * (src/backend/eig.ts, Note [eig normalisation]) on a Float64 copy of each matrix and rounded
 * once to the result dtype.
 *
 * Gradients: one LinalgEigBackward0 node for both outputs (eigvals records it too, with the
 * eigenvectors computed for the formula, as ATen's linalg_eigvals does when its input requires
 * grad), with PyTorch's linalg_eig_backward (backend eigBackward) and, the input being real,
 * the real part of the complex gradient (derivatives.yaml's handle_r_to_c). The formula runs
 * on the values (not on recorded ops), so it has no second derivative.
 */
import { namedTuple } from "../../named-tuple.js";
import type { Tensor } from "../../tensor.js";
import { toComplexDtype, toRealDtype, type DType } from "../../dtype.js";
import { contiguousData, scalarTypeName, wrap } from "../../ops/core.js";
import { linAlgError, runtimeError } from "../../errors.js";
import { anyNeedsGrad, record, registerDerivative, type OpNode } from "../../autograd/function.js";
import type { Op } from "../../autograd/derivatives.js";
import { eigBackward, eigGeneral } from "../../backend/eig.js";
import { eigComplex } from "../../backend/zeig.js";
import { registerJvp } from "../../autograd/forward-ad.js";
import { eye } from "../../ops/creation.js";
import { defineOp, fn } from "../define.js";
import { HALF_REFUSED } from "../half-compute.js";

type T = Tensor;

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** the tensor's values (interleaved re/im for a complex one) as a fresh Float64Array */
function f64(t: T): Float64Array {
  const n = t.numel() * t.dtype.lanes;
  const { data, offset } = contiguousData(t);
  const out = new Float64Array(n);
  out.set(data.subarray(offset, offset + n));
  return out;
}

/** a contiguous tensor of `dtype` holding `a` (rounded once for complex64) */
function make(a: Float64Array, shape: number[], dtype: DType): T {
  if (dtype.ArrayType === Float64Array) return wrap(a, shape, dtype);
  const out = new dtype.ArrayType(a.length);
  out.set(a);
  return wrap(out, shape, dtype);
}

/** linalg.eig's and linalg.eigvals' argument checks, in ATen's order */
function checkInput(name: string, A: T): void {
  const d = A.dtype;
  if (!d.isFloatingPoint && !d.isComplex)
    throw runtimeError(`Unknown Complex ScalarType for ${scalarTypeName(d)}`);
  if (A.dim() < 2)
    throw runtimeError(`${name}: The input tensor A must have at least 2 dimensions.`);
  const m = A.shape[A.dim() - 2];
  const n = A.shape[A.dim() - 1];
  if (m !== n)
    throw runtimeError(
      `${name}: A must be batches of square matrices, but they are ${m} by ${n} matrices`,
    );
  if (d.isHalf)
    throw runtimeError(`"linalg_eig_out_cpu" not implemented for '${scalarTypeName(d)}'`);
}

/**
 * The eigenvalues (and eigenvectors when `vectors`) of each matrix of the batch. `finite`:
 * refuse infinities and NaNs (linalg_eig's check); otherwise (eigvals without a gradient) a
 * matrix holding an infinity gives NaN eigenvalues, as dgeev's scaling by 0 and back by
 * infinity does.
 */
function eigKernel(A: T, vectors: boolean, finite: boolean): { L: T; V: T | null } {
  const n = A.shape[A.dim() - 1];
  const batch = A.shape.slice(0, -2);
  const count = prod(batch);
  const a = f64(A);
  if (finite && !a.every(Number.isFinite))
    throw runtimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.");
  const w = new Float64Array(2 * count * n);
  const v = vectors ? new Float64Array(2 * count * n * n) : null;
  const lanes = A.dtype.lanes;
  for (let b = 0; b < count; b++) {
    const o = b * n * n;
    let inf = false;
    for (let k = 0; k < n * n * lanes; k++) if (Math.abs(a[lanes * o + k]) === Infinity) inf = true;
    if (inf) {
      w.fill(NaN, 2 * b * n, 2 * (b + 1) * n);
      continue;
    }
    // complex input: zgeev's path (backend/zeig.ts), offsets in complex elements
    const info = A.dtype.isComplex
      ? eigComplex(a, o, n, w, b * n, v, b * n * n)
      : eigGeneral(a, o, n, w, 2 * b * n, v, 2 * b * n * n);
    if (info > 0)
      throw linAlgError(
        `linalg.eig: ${A.dim() > 2 ? `(Batch element ${b}): ` : ""}The algorithm failed to converge because the input matrix is ill-conditioned or has too many repeated eigenvalues (error code: ${info}).`,
      );
  }
  const dtype = toComplexDtype(A.dtype);
  return {
    L: make(w, [...batch, n], dtype),
    V: v === null ? null : make(v, [...batch, n, n], dtype),
  };
}

// Note [half compute] would run half input in float32: ATen's kernel refuses it (the dtype
// check runs before the shape checks here, after them in ATen)
for (const op of ["linalg_eig", "linalg_eigvals"])
  HALF_REFUSED.set(op, (t) => `"linalg_eig_out_cpu" not implemented for '${t}'`);

const EIG = "linalg_eig" as unknown as Op;

registerDerivative(EIG, {
  name: "LinalgEigBackward0",
  save: ["L", "V"],
  grad: (_g: T, s: { L: T; V: T }, a: { complexInput: boolean }, node: OpNode) => {
    const [gL, gV] = node.gradOutputs;
    if (!gL && !gV) return [null];
    const n = s.L.shape[s.L.dim() - 1];
    const batch = s.L.shape.slice(0, -1);
    const count = prod(batch);
    const L = f64(s.L);
    const V = f64(s.V);
    const GL = gL ? f64(gL) : null;
    const GV = gV ? f64(gV) : null;
    const out = new Float64Array(2 * count * n * n);
    let defect = 0;
    for (let b = 0; b < count; b++) {
      const d = eigBackward(
        n,
        L,
        2 * b * n,
        V,
        2 * b * n * n,
        GL,
        2 * b * n,
        GV,
        2 * b * n * n,
        out,
        2 * b * n * n,
      );
      defect = d > defect || Number.isNaN(d) ? d : defect;
    }
    // at::allclose(imag(diag(V^H gV)), 0, rtol=1e-2, atol=1e-2) over the whole batch
    if (!(defect <= 1e-2))
      throw runtimeError(
        "linalg_eig_backward: The eigenvectors in the complex case are specified up to multiplication by e^{i phi}. The specified loss function depends on this quantity, so it is ill-defined.",
      );
    // complex input: the complex gradient itself
    if (a.complexInput) return [make(out, [...batch, n, n], s.L.dtype)];
    // handle_r_to_c: a real input's gradient is the real part
    const real = new Float64Array(count * n * n);
    for (let k = 0; k < real.length; k++) real[k] = out[2 * k];
    return [make(real, [...batch, n, n], toRealDtype(s.L.dtype))];
  },
} as never);

/**
 * linalg_eig_jvp (non-Hermitian): with dP = V^{-1} dA V (dA made complex), dL = diag(dP) and
 * dV = dX - V Re(diag(V^H dX)), dX = V (dP / E with a zero diagonal), E_ij = L_j - L_i: the
 * eigenvectors' tangent keeps each column's normalisation (Re <v, dv> = 0).
 */
registerJvp(EIG, ((t: (T | null)[], _i: T[], out: T[]) => {
  const [L, V] = out;
  if (t[0] === null) return [L.mul(0), V.mul(0)];
  const dA = t[0].to(L.dtype);
  const dP = fn("solve", "linalg")(V, dA.matmul(V)) as T;
  const dL = dP.diagonal(0, -2, -1);
  const n = L.shape[L.dim() - 1];
  const offDiagonal = eye(n, { dtype: toRealDtype(L.dtype) })
    .neg()
    .add(1);
  // the diagonal's 0/0 is masked to 0 (ATen zeroes it after the division)
  const E = L.unsqueeze(-2).sub(L.unsqueeze(-1));
  const dX = V.matmul(dP.div(E.add(offDiagonal.neg().add(1))).mul(offDiagonal));
  const dV = dX.sub(V.mul(V.mH.matmul(dX).diagonal(0, -2, -1).real.unsqueeze(-2)));
  return [dL, dV];
}) as never);

/** eig's (or eigvals') result, recorded when A requires grad */
function eig(A: T, name: string, vectors: boolean): { L: T; V: T | null } {
  checkInput(name, A);
  const grad = anyNeedsGrad([A]);
  const r = eigKernel(A, vectors || grad, vectors || grad);
  if (grad)
    record(
      EIG,
      [r.L, r.V!],
      [A],
      { L: r.L, V: r.V! } as never,
      { complexInput: A.dtype.isComplex } as never,
    );
  return { L: r.L, V: vectors ? r.V : null };
}

defineOp({
  name: "eig",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The eigenvalues and eigenvectors of square matrices (batched), as complex tensors: A V = V diag(L). Each eigenvector has unit norm and its largest component real, as LAPACK's geev returns it.",
  example:
    "torch.linalg.eig(torch.tensor([[2., 0], [0, 3]])).eigenvalues // tensor([2.+0.j, 3.+0.j])",
  overloads: [
    {
      schema: "linalg_eig(Tensor self) -> (Tensor eigenvalues, Tensor eigenvectors)",
      forward: (self: T) => {
        const r = eig(self, "linalg.eig", true);
        return namedTuple({ eigenvalues: r.L, eigenvectors: r.V!, 0: r.L, 1: r.V! });
      },
    },
  ],
});

defineOp({
  name: "eigvals",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The eigenvalues of square matrices (batched), as a complex tensor, in the order of torch.linalg.eig's.",
  example: "torch.linalg.eigvals(torch.tensor([[0., -1], [1, 0]])) // tensor([0.+1.j, 0.-1.j])",
  overloads: [
    {
      schema: "linalg_eigvals(Tensor self) -> Tensor",
      forward: (self: T) => eig(self, "linalg.eigvals", false).L,
    },
  ],
});

/** torch/_linalg_utils.py's eig: removed since 1.9, raising for any arguments */
const removedEig = (): never => {
  throw runtimeError(
    "This function was deprecated since version 1.9 and is now removed. Please use the `torch.linalg.eig` function instead.",
  );
};

defineOp({
  name: "eig",
  variants: ["function", "method"],
  python: true,
  untyped: ["self", "eigenvectors", "e", "v"],
  tsTypes: { self: "unknown", eigenvectors: "unknown", e: "unknown", v: "unknown" },
  doc: "Removed in PyTorch 1.9 (use torch.linalg.eig): raises PyTorch's error, as torch.eig and Tensor.eig do in 1.13.",
  // (torch.eig itself only raises: the example shows its replacement)
  example: "torch.linalg.eig(torch.eye(2)).eigenvalues // tensor([1.+0.j, 1.+0.j])",
  overloads: [
    {
      schema:
        "eig(Tensor self, bool eigenvectors=False, *, Tensor? e=None, Tensor? v=None) -> (Tensor, Tensor)",
      forward: removedEig,
    },
  ],
  methodOverloads: [
    {
      schema: "eig(Tensor self, bool eigenvectors=False) -> (Tensor, Tensor)",
      forward: removedEig,
    },
  ],
});

// torch.solve / torch.lstsq / torch.matrix_rank (torch/_linalg_utils.py): removed since 1.9,
// raising for any arguments (lstsq's and matrix_rank's messages are Python tuples of two
// strings, so they print as one)
const removed = (message: string) => (): never => {
  throw runtimeError(message);
};
const TWO_PART = (fn: string): string =>
  `('This function was deprecated since version 1.9 and is now removed.', 'Please use the \`torch.linalg.${fn}\` function instead.')`;

for (const [name, message] of [
  [
    "solve",
    "This function was deprecated since version 1.9 and is now removed. Please use the `torch.linalg.solve` function instead.",
  ],
  ["lstsq", TWO_PART("lstsq")],
] as const) {
  defineOp({
    name,
    variants: ["function", "method"],
    python: true,
    untyped: ["input", "A", "out"],
    tsTypes: { input: "unknown", A: "unknown", out: "unknown" },
    doc: `Removed in PyTorch 1.9 (use torch.linalg.${name}): raises PyTorch's error, as torch.${name} and Tensor.${name} do in 1.13.`,
    example:
      name === "solve"
        ? "torch.linalg.solve(torch.eye(2), torch.ones(2)) // tensor([1., 1.])"
        : "torch.linalg.lstsq(torch.eye(2), torch.ones(2, 1)).solution // tensor([[1.], [1.]])",
    overloads: [
      {
        schema: `${name}(Tensor input, Tensor A, *, Tensor? out=None) -> (Tensor, Tensor)`,
        forward: removed(message),
      },
    ],
    methodOverloads: [
      {
        schema: `${name}(Tensor self, Tensor other) -> (Tensor, Tensor)`,
        forward: removed(message),
      },
    ],
  });
}

defineOp({
  name: "matrix_rank",
  variants: ["function"],
  python: true,
  untyped: ["input", "tol", "symmetric", "out"],
  tsTypes: { input: "unknown", tol: "unknown", symmetric: "unknown", out: "unknown" },
  doc: "Removed in PyTorch 1.9 (use torch.linalg.matrix_rank): raises PyTorch's error, as torch.matrix_rank does in 1.13.",
  example: "torch.linalg.matrixRank(torch.eye(2)) // tensor(2)",
  overloads: [
    {
      schema:
        "matrix_rank(Tensor input, float? tol=None, bool symmetric=False, *, Tensor? out=None) -> Tensor",
      forward: removed(TWO_PART("matrix_rank")),
    },
  ],
});
