/**
 * Matrix products: matmul, mm, bmm, mv, dot, outer (ger). One `defineOp` per op (see
 * ../define.ts).
 *
 * mm, bmm and mv record their own nodes in the ops layer (src/ops/linalg.ts): each saves an
 * operand only when the other one requires grad, as PyTorch, and mm records the operands'
 * layouts for its backward (formula-ops.ts mmMat1Backward). matmul and outer are composites
 * whose pieces record (MmBackward0, UnsafeViewBackward0, MulBackward0, ... as PyTorch's).
 */
import { Tensor } from "../../tensor.js";
import * as L from "../../ops/linalg.js";
import * as P from "../../ops/products.js";
import { reshape } from "../../ops/views.js";
import { pyTypeName, scalarTypeName } from "../../ops/core.js";
import { halfAddmm, halfAddmv, halfAddr } from "../../ops/half-gemm.js";
import { HALF_OWN } from "../half-compute.js";
import { runtimeError, typeError, valueError } from "../../errors.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { broadcastShapes } from "../../shape.js";
import { bfloat16, getDefaultDtype as defaultDtype, int64, promoteTypes } from "../../dtype.js";
import { anyNeedsGrad, record, registerDerivative } from "../../autograd/function.js";
import { registerJvp } from "../../autograd/forward-ad.js";
import type { Op } from "../../autograd/derivatives.js";
import { defineOp, deprecated, fn, recordingOp } from "../define.js";
import { linear } from "../linear-jvp.js";

const torchWhere = (c: Tensor, a: Tensor, b: Tensor): Tensor => fn("where")(c, a, b) as Tensor;
const torchCat = (ts: Tensor[], dim: number): Tensor => fn("cat")(ts, dim) as Tensor;
const torchStack = (ts: Tensor[], dim: number): Tensor => fn("stack")(ts, dim) as Tensor;

defineOp({
  name: "matmul",
  variants: ["function", "method"],
  out: true,
  doc: "The matrix product with PyTorch's rules: dot for two vectors, mv/mm for vectors and matrices, broadcast batched products for more dims.",
  example: "torch.matmul(torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, 1])) // tensor([3., 7.])",
  overloads: [
    {
      schema: "matmul(Tensor self, Tensor other) -> Tensor",
      forward: (self: Tensor, other: Tensor) => L.matmul(self, other),
    },
  ],
});

defineOp({
  name: "mm",
  variants: ["function", "method"],
  out: true,
  doc: "The product of two matrices, (n x m) @ (m x p).",
  example: "torch.mm(torch.ones(2, 3), torch.ones(3, 4)).shape // [2, 4]",
  overloads: [
    {
      schema: "mm(Tensor self, Tensor mat2) -> Tensor",
      // kernel: HALF_OWN's (Note [half gemm])
      forward: (self: Tensor, mat2: Tensor, kernel?: L.ProductKernel) => L.mm(self, mat2, kernel),
    },
  ],
});

defineOp({
  name: "bmm",
  variants: ["function", "method"],
  out: true,
  doc: "Batched matrix products, (b x n x m) @ (b x m x p).",
  example: "torch.bmm(torch.ones(5, 2, 3), torch.ones(5, 3, 4)).shape // [5, 2, 4]",
  overloads: [
    {
      schema: "bmm(Tensor self, Tensor mat2) -> Tensor",
      forward: (self: Tensor, mat2: Tensor) => L.bmm(self, mat2),
    },
  ],
});

defineOp({
  name: "mv",
  variants: ["function", "method"],
  out: true,
  doc: "The product of a matrix and a vector, (n x m) @ (m).",
  example: "torch.mv(torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, 1])) // tensor([3., 7.])",
  overloads: [
    {
      schema: "mv(Tensor self, Tensor vec) -> Tensor",
      // kernel: HALF_OWN's (Note [half gemm])
      forward: (self: Tensor, vec: Tensor, kernel?: L.ProductKernel) => L.mv(self, vec, kernel),
    },
  ],
});

/** a tangent in the dtype of the primal it meets in a product (which needs equal dtypes) */
const like = (t: Tensor, x: Tensor): Tensor => (t.dtype === x.dtype ? t : t.to(x.dtype));

defineOp({
  name: "dot",
  variants: ["function", "method"],
  out: true,
  doc: "The inner product of two vectors of the same size and dtype.",
  example: "torch.dot(torch.tensor([1, 2]), torch.tensor([3, 4])) // tensor(11.)",
  overloads: [
    {
      schema: "dot(Tensor self, Tensor tensor) -> Tensor",
      forward: (self: Tensor, tensor: Tensor) => L.dot(self, tensor),
      derivative: {
        name: "DotBackward0",
        save: ["self", "tensor"],
        // d(a . b) = g b, g a
        grad: (g: Tensor, s: { self: Tensor; tensor: Tensor }) => [g.mul(s.tensor), g.mul(s.self)],
        // d(a . b) = da . b + a . db
        jvp: (t, p) => {
          const a = t.self === null ? null : like(t.self, p.tensor).dot(p.tensor);
          const b = t.tensor === null ? null : p.self.dot(like(t.tensor, p.self));
          return a === null ? b : b === null ? a : a.add(b);
        },
      },
    },
  ],
});

function check1d(t: Tensor, arg: string): void {
  if (t.dim() !== 1)
    throw runtimeError(`outer: Expected 1-D argument ${arg}, but got ${t.dim()}-D`);
}

/** at::outer: self.reshape({n, 1}) * vec2 (ReshapeAliasBackward0 under MulBackward0); ger calls it */
function outer(self: Tensor, vec2: Tensor): Tensor {
  check1d(self, "self");
  check1d(vec2, "vec2");
  return reshape(self, [self.shape[0], 1]).mul(vec2);
}

for (const name of ["outer", "ger"]) {
  defineOp({
    name,
    variants: ["function", "method"],
    out: true,
    doc:
      name === "outer"
        ? "The outer product of two vectors: out[i][j] = input[i] * vec2[j]."
        : "Alias of torch.outer.",
    example: `torch.${name}(torch.tensor([1, 2]), torch.tensor([3, 4])) // tensor([[3., 4.], [6., 8.]])`,
    overloads: [
      {
        schema: `${name}(Tensor self, Tensor vec2) -> Tensor`,
        forward: outer,
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// einsum: torch/functional.py's wrapper over _VF.einsum

/** torch/functional.py's parse_subscript: a sublist entry as a label (0-25 A-Z, 26-51 a-z) */
function parseSubscript(n: unknown): string {
  if (n === "...") return "...";
  if (typeof n === "number" && n >= 0 && n < 26) return String.fromCharCode(65 + n);
  if (typeof n === "number" && n >= 26 && n < 52) return String.fromCharCode(97 + n - 26);
  // Python compares the entry with `n >= 0` first
  if (typeof n !== "number" && typeof n !== "boolean")
    throw typeError(`'>=' not supported between instances of '${pyTypeName(n)}' and 'int'`);
  throw valueError("einsum(): subscript in subscript list is not within the valid range [0, 52)");
}

function sublistLabels(l: unknown): string {
  // Python iterates a string by characters
  if (typeof l === "string") return [...l].map(parseSubscript).join("");
  if (!Array.isArray(l)) throw typeError(`'${pyTypeName(l)}' object is not iterable`);
  return l.map(parseSubscript).join("");
}

/**
 * torch.einsum(*args): the equation and the operands (as varargs or one list), or the sublist
 * format (operand, sublist, operand, sublist, ..., [output sublist]) turned into an equation.
 * opt_einsum is absent from PyTorch 1.13 here, so the contraction goes left to right.
 */
function einsumWrapper(args: unknown[]): unknown {
  if (args.length < 2)
    throw valueError(
      "einsum(): must specify the equation string and at least one operand, or at least one operand and its subscripts list",
    );
  let equation: unknown;
  let operands: unknown[];
  if (args[0] instanceof Tensor) {
    const subs = args.filter((_, i) => i % 2 === 1);
    equation = subs.map(sublistLabels).join(",");
    if (args.length % 2 === 1) {
      equation += `->${sublistLabels(args[args.length - 1])}`;
      operands = args.slice(0, -1).filter((_, i) => i % 2 === 0);
    } else operands = args.filter((_, i) => i % 2 === 0);
  } else {
    equation = args[0];
    operands = args.slice(1);
  }
  // the old interface: the operands as one list
  if (operands.length === 1 && Array.isArray(operands[0]))
    return einsumWrapper([equation, ...(operands[0] as unknown[])]);
  return einsum.vf(equation, operands);
}

const einsum = defineOp({
  name: "einsum",
  variants: ["function"],
  doc: "The sum of products of the operands' elements over the dims whose subscripts (letters of `equation`) are not in the output: matrix products, batched products, traces, diagonals, outer products in one notation.",
  example: 'torch.einsum("ij,jk->ik", torch.ones(2, 3), torch.ones(3, 4)).shape // [2, 4]',
  pythonWrapper: {
    function: "*args",
    method: "",
    body: (args: unknown) => einsumWrapper(args as unknown[]),
    declarations: [
      "(equation: string, ...operands: Tensor[]): Tensor",
      "(equation: string, operands: readonly Tensor[]): Tensor",
      '(...operandsAndSublists: (Tensor | readonly (number | "...")[])[]): Tensor',
    ],
  },
  overloads: [
    {
      schema: "einsum(str equation, Tensor[] tensors, *, int[]? path=None) -> Tensor",
      forward: (equation: string, tensors: Tensor[], path: number[] | null) =>
        P.einsum(equation, tensors, path),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// beta * self + alpha * product

/** derivatives.yaml's maybe_multiply: t * s, or t itself when s is 1 */
const maybeMul = (t: Tensor, s: number | boolean): Tensor =>
  Number(s) === 1 ? t : t.mul(Number(s));

type Scalars = { beta: number | boolean; alpha: number | boolean };

/** d(beta self + alpha f(x, y)) = beta dself + alpha (f(dx, y) + f(x, dy)), f bilinear */
function addJvp(
  names: [string, string, string],
  f: (x: Tensor, y: Tensor) => Tensor,
): (
  t: { readonly [k: string]: Tensor | null },
  p: { readonly [k: string]: Tensor },
  r: Tensor,
  a: Scalars,
) => Tensor | null {
  const [self, x, y] = names;
  return (t, p, _r, a) => {
    const terms: Tensor[] = [];
    const ts = t[self];
    const tx = t[x];
    const ty = t[y];
    if (ts !== null && ts !== undefined) terms.push(maybeMul(like(ts, p[x]), a.beta));
    if (tx !== null && tx !== undefined) terms.push(maybeMul(f(like(tx, p[y]), p[y]), a.alpha));
    if (ty !== null && ty !== undefined) terms.push(maybeMul(f(p[x], like(ty, p[x])), a.alpha));
    return terms.length === 0 ? null : terms.reduce((u, v) => u.add(v));
  };
}

const ADD_DOC: Record<string, [string, string]> = {
  addmm: [
    "beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape (beta = 0 ignores input, NaN included).",
    "torch.addmm(torch.zeros(2), torch.ones(2, 3), torch.ones(3, 2), { alpha: 2 }) // tensor([[6., 6.], [6., 6.]])",
  ],
  addmv: [
    "beta * input + alpha * (mat @ vec) (beta = 0 ignores input, NaN included).",
    "torch.addmv(torch.ones(2), torch.ones(2, 3), torch.ones(3)) // tensor([4., 4.])",
  ],
  addr: [
    "beta * input + alpha * outer(vec1, vec2) (beta = 0 ignores input, NaN included).",
    "torch.addr(torch.zeros(2, 2), torch.tensor([1., 2.]), torch.tensor([3., 4.])) // tensor([[3., 4.], [6., 8.]])",
  ],
  addbmm: [
    "beta * input + alpha * sum over the batch of batch1[i] @ batch2[i] (beta = 0 ignores input, NaN included).",
    "torch.addbmm(torch.zeros(2, 2), torch.ones(3, 2, 4), torch.ones(3, 4, 2)) // tensor([[12., 12.], [12., 12.]])",
  ],
  baddbmm: [
    "beta * input + alpha * (batch1 @ batch2), per batch (beta = 0 ignores input, NaN included).",
    "torch.baddbmm(torch.zeros(2, 2), torch.ones(3, 2, 4), torch.ones(3, 4, 2)).shape // [3, 2, 2]",
  ],
};

function defineAdd(
  name: string,
  args: [string, string],
  forward: (
    s: Tensor,
    x: Tensor,
    y: Tensor,
    beta: number | boolean,
    alpha: number | boolean,
    kernel?: P.AddProductKernel,
  ) => Tensor,
  derivName: string,
  grad: (
    g: Tensor,
    x: Tensor | undefined,
    y: Tensor | undefined,
    a: Scalars,
  ) => [Tensor | null, Tensor | null],
  f: (x: Tensor, y: Tensor) => Tensor,
): void {
  const [x, y] = args;
  const derivative = {
    name: derivName,
    save: [x, y],
    attrs: ["beta", "alpha"],
    grad: (g: Tensor, s: Record<string, Tensor>, a: Scalars) => [
      maybeMul(g, a.beta),
      ...grad(g, s[x], s[y], a),
    ],
    jvp: addJvp(["self", x, y], f),
  };
  // the in-place form keeps self's shape: ATen refuses a product of another shape
  const inplaceForward = (
    self: Tensor,
    a: Tensor,
    b: Tensor,
    beta: number | boolean,
    alpha: number | boolean,
    kernel?: P.AddProductKernel,
  ): Tensor => {
    if (name === "addr" && self.dim() !== 2)
      throw runtimeError(`2D tensor expected, got ${self.dim()}D tensor for input`);
    const r = forward(self, a, b, beta, alpha, kernel);
    if (name !== "addbmm" && r.shape.join() !== self.shape.join())
      throw runtimeError(
        `Bad in-place call: input tensor size [${self.shape.join(", ")}] and output tensor size [${r.shape.join(", ")}] should match`,
      );
    return r;
  };
  // deprecated.yaml's positional beta (and alpha) first: the current overload, with a warning
  const warn = () =>
    deprecated(
      name,
      `${name}(Number beta, Tensor input, Number alpha, Tensor ${x}, Tensor ${y}, *, Tensor out)`,
      `${name}(Tensor input, Tensor ${x}, Tensor ${y}, *, Number beta, Number alpha, Tensor out)`,
    );
  const entry = defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc: ADD_DOC[name][0],
    example: ADD_DOC[name][1],
    overloads: [
      {
        schema: `${name}(Tensor self, Tensor ${x}, Tensor ${y}, *, Scalar beta=1, Scalar alpha=1) -> Tensor`,
        forward,
        derivative,
        inplace: { forward: inplaceForward, derivative },
      },
      {
        schema: `${name}(Scalar beta, Tensor self, Scalar alpha, Tensor ${x}, Tensor ${y}) -> Tensor`,
        hidden: true,
        forward: (beta: number, self: Tensor, alpha: number, a: Tensor, b: Tensor) => {
          warn();
          return entry.vf(self, a, b, { beta, alpha });
        },
      },
      {
        schema: `${name}(Scalar beta, Tensor self, Tensor ${x}, Tensor ${y}) -> Tensor`,
        hidden: true,
        forward: (beta: number, self: Tensor, a: Tensor, b: Tensor) => {
          warn();
          return entry.vf(self, a, b, { beta });
        },
      },
    ],
  });
}

defineAdd(
  "addmm",
  ["mat1", "mat2"],
  P.addmm,
  "AddmmBackward0",
  // mm_mat1_backward / mm_mat2_backward: g mat2^T, mat1^T g (times alpha)
  (g, m1, m2, a) => [
    m2 === undefined ? null : maybeMul(g.mm(m2.t()), a.alpha),
    m1 === undefined ? null : maybeMul(m1.t().mm(g), a.alpha),
  ],
  (x, y) => x.mm(y),
);

defineAdd(
  "addmv",
  ["mat", "vec"],
  P.addmv,
  "AddmvBackward0",
  // d mat = alpha g vec^T, d vec = alpha mat^T g
  (g, mat, vec, a) => [
    vec === undefined ? null : maybeMul(g.ger(vec), a.alpha),
    mat === undefined ? null : maybeMul(mat.t().mv(g), a.alpha),
  ],
  (x, y) => x.mv(y),
);

defineAdd(
  "addr",
  ["vec1", "vec2"],
  P.addr,
  "AddrBackward0",
  // d vec1 = alpha g vec2, d vec2 = alpha g^T vec1
  (g, v1, v2, a) => [
    v2 === undefined ? null : maybeMul(g.mv(v2), a.alpha),
    v1 === undefined ? null : maybeMul(g.t().mv(v1), a.alpha),
  ],
  (x, y) => x.outer(y),
);

defineAdd(
  "addbmm",
  ["batch1", "batch2"],
  P.addbmm,
  "AddbmmBackward0",
  // g is shared by every batch: d batch1[b] = alpha g batch2[b]^T, d batch2[b] = alpha batch1[b]^T g
  (g, b1, b2, a) => {
    const ge = (b: Tensor) => g.unsqueeze(0).expand(b.shape[0], g.shape[0], g.shape[1]);
    return [
      b2 === undefined ? null : maybeMul(ge(b2).bmm(b2.transpose(1, 2)), a.alpha),
      b1 === undefined ? null : maybeMul(b1.transpose(1, 2).bmm(ge(b1)), a.alpha),
    ];
  },
  // the sum over the batch of the products
  (x, y) => x.bmm(y).sum(0),
);

defineAdd(
  "baddbmm",
  ["batch1", "batch2"],
  P.baddbmm,
  "BaddbmmBackward0",
  (g, b1, b2, a) => [
    b2 === undefined ? null : maybeMul(g.bmm(b2.transpose(1, 2)), a.alpha),
    b1 === undefined ? null : maybeMul(b1.transpose(1, 2).bmm(g), a.alpha),
  ],
  (x, y) => x.bmm(y),
);

// ---------------------------------------------------------------------------------------------
// tensordot, inner, vdot, kron, trace, cross, chain_matmul

/** torch/functional.py's tensordot: dims an int n (the last n of a with the first n of b) or two lists */
function tensordotWrapper(a: unknown, b: unknown, dims: unknown, out: unknown): unknown {
  const bad = () =>
    runtimeError(
      `tensordot expects dims to be int or Tuple[List[int], List[int]] or List[List[int]] containing two lists, but got dims=${pyRepr(dims)}`,
    );
  let dimsA: unknown = [];
  let dimsB: unknown = [];
  if (dims instanceof Tensor) {
    if (dims.numel() > 1) {
      const l = dims.tolist() as number[][];
      [dimsA, dimsB] = l;
    } else dims = Number(dims.item());
  }
  if (Array.isArray(dims)) {
    if (dims.length !== 2)
      throw valueError(
        `${dims.length > 2 ? "too many" : "not enough"} values to unpack (expected 2${dims.length > 2 ? "" : `, got ${dims.length}`})`,
      );
    [dimsA, dimsB] = dims as unknown[];
  } else if (typeof dims === "number" && Number.isInteger(dims)) {
    if (dims < 0) throw runtimeError(`tensordot expects dims >= 0, but got dims=${dims}`);
    dimsA = Array.from({ length: dims }, (_, i) => i - dims);
    dimsB = Array.from({ length: dims }, (_, i) => i);
  } else if (!(dims instanceof Tensor)) throw bad();
  return out === null
    ? tensordot.vf(a, b, dimsA, dimsB)
    : tensordot.vf(a, b, dimsA, dimsB, { out });
}

/** a dims value as Python prints it in tensordot's message */
function pyRepr(v: unknown): string {
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isInteger(v) ? `${v}` : `${v}`;
  if (v === null || v === undefined) return "None";
  if (typeof v === "string") return `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  return `<${pyTypeName(v)} object>`;
}

const tensordot = defineOp({
  name: "tensordot",
  variants: ["function"],
  out: true,
  doc: "Contracts the last `dims` dims of `a` with the first `dims` of `b`, or the dims listed in `dims = [dimsA, dimsB]`, as one matrix product.",
  example: "torch.tensordot(torch.ones(2, 3), torch.ones(3, 4), 1).shape // [2, 4]",
  pythonWrapper: {
    function: "a, b, dims=2, out=None",
    method: "",
    body: tensordotWrapper,
    declarations: [
      "(a: Tensor, b: Tensor, dims?: number | readonly [readonly number[], readonly number[]] | Tensor, options?: { out?: Tensor | null }): Tensor",
      "(a: Tensor, b: Tensor, options: { dims?: number | readonly [readonly number[], readonly number[]] | Tensor; out?: Tensor | null }): Tensor",
    ],
  },
  overloads: [
    {
      schema: "tensordot(Tensor self, Tensor other, int[] dims_self, int[] dims_other) -> Tensor",
      forward: (self: Tensor, other: Tensor, d1: number[], d2: number[]) =>
        P.tensordot(self, other, d1, d2),
    },
  ],
});

defineOp({
  name: "inner",
  variants: ["function", "method"],
  out: true,
  doc: "The sum of products over the last dims of both inputs (a scalar times a tensor when either is 0-dim).",
  example: "torch.inner(torch.tensor([1, 2]), torch.tensor([3, 4])) // tensor(11.)",
  overloads: [
    {
      schema: "inner(Tensor self, Tensor other) -> Tensor",
      forward: (self: Tensor, other: Tensor) => {
        if (self.dim() === 0 || other.dim() === 0) return self.mul(other);
        const n1 = self.shape[self.dim() - 1];
        const n2 = other.shape[other.dim() - 1];
        if (n1 !== n2)
          throw runtimeError(
            `inner() the last dimension must match on both input tensors but got shapes [${self.shape.join(", ")}] and [${other.shape.join(", ")}]`,
          );
        return P.tensordot(self, other, [-1], [-1]);
      },
    },
  ],
});

defineOp({
  name: "vdot",
  variants: ["function", "method"],
  out: true,
  doc: "The dot product of two 1-D tensors, the first conjugated (tensorgrad has no complex dtypes: dot).",
  example: "torch.vdot(torch.tensor([1, 2]), torch.tensor([3, 4])) // tensor(11.)",
  overloads: [
    {
      schema: "vdot(Tensor self, Tensor other) -> Tensor",
      forward: (self: Tensor, other: Tensor) => L.dot(self, other),
      derivative: {
        name: "VdotBackward0",
        save: ["self", "other"],
        // real dtypes: d(a . b) = g b, g a
        grad: (g: Tensor, s: { self: Tensor; other: Tensor }) => [g.mul(s.other), g.mul(s.self)],
        jvp: (t, p) => {
          const a = t.self === null ? null : like(t.self, p.other).dot(p.other);
          const b = t.other === null ? null : p.self.dot(like(t.other, p.self));
          return a === null ? b : b === null ? a : a.add(b);
        },
      },
    },
  ],
});

defineOp({
  name: "kron",
  variants: ["function", "method"],
  out: true,
  doc: "The Kronecker product: every element of `input` times a copy of `other`, in blocks.",
  example: "torch.kron(torch.eye(2), torch.ones(2, 2)).shape // [4, 4]",
  overloads: [
    {
      schema: "kron(Tensor self, Tensor other) -> Tensor",
      forward: (self: Tensor, other: Tensor) => P.kron(self, other),
    },
  ],
});

defineOp({
  name: "trace",
  variants: ["function", "method"],
  doc: "The sum of the main diagonal of a matrix (integers sum in int64).",
  example: "torch.trace(torch.tensor([[1, 2], [3, 4]])) // tensor(5.)",
  overloads: [
    {
      schema: "trace(Tensor self) -> Tensor",
      forward: (self: Tensor) => P.trace(self),
      derivative: {
        name: "TraceBackward0",
        save: ["self"],
        // trace_backward: g on the diagonal, zeros elsewhere
        grad: (g: Tensor, s: { self: Tensor }) => {
          const [n, m] = s.self.shape;
          return [eyeLike(n, m, g).mul(g)];
        },
        jvp: linear((t) => t.trace()),
      },
    },
  ],
});

/** an n x m identity in g's dtype */
function eyeLike(n: number, m: number, g: Tensor): Tensor {
  const e = new Tensor(new g.dtype.ArrayType(n * m), [n, m], [m, 1], 0, g.dtype);
  for (let i = 0; i < Math.min(n, m); i++) e.typedArray[i * m + i] = 1;
  return e;
}

/** derivatives.yaml's linalg_cross: d self = cross(other, g), d other = cross(g, self) */
const crossDerivative = {
  name: "LinalgCrossBackward0",
  save: ["self", "other"],
  attrs: ["dim"],
  grad: (g: Tensor, s: { self: Tensor; other: Tensor }, a: { dim: number | null }) => {
    const d = a.dim ?? s.self.shape.indexOf(3);
    return [P.crossTracked(s.other, g, d), P.crossTracked(g, s.self, d)];
  },
  jvp: (
    t: { readonly [k: string]: Tensor | null },
    p: { readonly [k: string]: Tensor },
    _r: Tensor,
    a: { dim: number | null },
  ) => {
    const d = a.dim ?? p.self.shape.indexOf(3);
    const u = t.self === null ? null : P.crossTracked(like(t.self, p.other), p.other, d);
    const v = t.other === null ? null : P.crossTracked(p.self, like(t.other, p.self), d);
    return u === null ? v : v === null ? u : u.add(v);
  },
};

defineOp({
  name: "cross",
  variants: ["function", "method"],
  out: true,
  doc: "The cross product of 3-vectors along `dim` (by default the first dim of size 3), inputs broadcast.",
  example:
    "torch.cross(torch.tensor([1., 0, 0]), torch.tensor([0., 1, 0])) // tensor([0., 0., 1.])",
  overloads: [
    {
      schema: "cross(Tensor self, Tensor other, int? dim=None) -> Tensor",
      forward: (self: Tensor, other: Tensor, dim: number | null) => P.cross(self, other, dim),
      derivative: crossDerivative,
    },
  ],
});

defineOp({
  name: "cross",
  namespace: "linalg",
  variants: ["function"],
  out: true,
  doc: "The cross product of 3-vectors along `dim` (default -1), inputs broadcast.",
  example:
    "torch.linalg.cross(torch.tensor([1., 0, 0]), torch.tensor([0., 1, 0])) // tensor([0., 0., 1.])",
  overloads: [
    {
      schema: "linalg_cross(Tensor self, Tensor other, *, int dim=-1) -> Tensor",
      forward: (self: Tensor, other: Tensor, dim: number) => P.linalgCross(self, other, dim),
      derivative: crossDerivative,
    },
  ],
});

let warnedChainMatmul = false;

const chainMatmul = defineOp({
  name: "chain_matmul",
  variants: ["function"],
  out: true,
  doc: "The product of the given matrices, bracketed for the fewest multiply-adds (deprecated in PyTorch for torch.linalg.multi_dot).",
  example:
    "torch.chainMatmul(torch.ones(2, 3), torch.ones(3, 4), torch.ones(4, 5)).shape // [2, 5]",
  pythonWrapper: {
    function: "*matrices, out=None",
    method: "",
    body: (matrices: unknown, out: unknown) => {
      if (!warnedChainMatmul) {
        warnedChainMatmul = true;
        console.warn(
          "UserWarning: torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple parameters.",
        );
      }
      return out === null ? chainMatmul.vf(matrices) : chainMatmul.vf(matrices, { out });
    },
    declarations: [
      "(...matrices: Tensor[]): Tensor",
      "(...args: [...matrices: Tensor[], options: { out?: Tensor | null }]): Tensor",
    ],
  },
  overloads: [
    {
      schema: "chain_matmul(Tensor[] matrices) -> Tensor",
      forward: (matrices: Tensor[]) => P.chainMatmul(matrices),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// cdist

/**
 * The factor w of d dist[.., i, j] = sum_k w[.., i, j, k] (dx1[.., i, k] - dx2[.., j, k]) for
 * diff = x1_i - x2_j, as ATen's _cdist_backward: 0 for p = 0; sign(diff) for p = 1;
 * diff / dist for p = 2; sign(diff) |diff|^(p-1) / dist^(p-1) otherwise (p < 2 zero where
 * diff is); sign(diff) where |diff| attains the max for p = inf; zero where dist is 0.
 */
function cdistFactor(x1: Tensor, x2: Tensor, p: number, dist: Tensor): Tensor {
  const diff = x1.unsqueeze(-2).sub(x2.unsqueeze(-3));
  const d = dist.unsqueeze(-1);
  const zero = d.eq(0);
  let w: Tensor;
  if (p === 0) return diff.mul(0);
  if (p === 1) w = diff.sign();
  else if (p === 2) w = diff.div(d);
  else if (p === Infinity) w = diff.sign().mul(diff.abs().eq(d));
  else if (p < 2) {
    w = diff
      .sign()
      .mul(diff.abs().pow(p - 1))
      .div(d.pow(p - 1));
    if (p < 1) w = fnWhere(diff.eq(0), diff.mul(0), w);
  } else w = diff.mul(diff.abs().pow(p - 2)).div(d.pow(p - 1));
  return fnWhere(zero, diff.mul(0), w);
}

const fnWhere = torchWhere;

/** the p-norm distances of the rows of x1 and x2 (batch dims broadcast), directly */
function cdistDirect(x1: Tensor, x2: Tensor, p: number): Tensor {
  const diff = x1.unsqueeze(-2).sub(x2.unsqueeze(-3)).abs();
  if (p === 0) return diff.ne(0).sum(-1, false, { dtype: x1.dtype });
  if (p === Infinity) return diff.amax(-1);
  if (p === 1) return diff.sum(-1);
  if (p === 2) return diff.mul(diff).sum(-1).sqrt();
  return diff
    .pow(p)
    .sum(-1)
    .pow(1 / p);
}

/** ATen's _cdist_forward: recorded as CdistBackward0 */
const cdistForward = recordingOp(
  "_cdist_forward(Tensor x1, Tensor x2, float p, int? compute_mode) -> Tensor",
  (x1: Tensor, x2: Tensor, p: number, _mode: number | null) => noGrad(() => cdistDirect(x1, x2, p)),
  {
    name: "CdistBackward0",
    save: ["x1", "x2", "result"],
    attrs: ["p"],
    // d x1_i = sum_j g_ij w_ij, d x2_j = -sum_i g_ij w_ij
    grad: (g: Tensor, s: { x1: Tensor; x2: Tensor; result: Tensor }, a: { p: number }) => {
      const gw = cdistFactor(s.x1, s.x2, a.p, s.result).mul(g.unsqueeze(-1));
      return [gw.sum(-2), gw.sum(-3).neg()];
    },
    jvp: (t, pr, r, a: { p: number }) => {
      const w = cdistFactor(pr.x1, pr.x2, a.p, r);
      let d: Tensor | null = null;
      if (t.x1 !== null) d = t.x1.unsqueeze(-2);
      if (t.x2 !== null) d = d === null ? t.x2.unsqueeze(-3).neg() : d.sub(t.x2.unsqueeze(-3));
      return d === null ? null : w.mul(d).sum(-1);
    },
  },
);

/**
 * ATen's _euclidean_dist: |x1_i|^2 - 2 x1_i . x2_j + |x2_j|^2 as one matrix product of
 * [-2 x1, |x1|^2, 1] and [x2, 1, |x2|^2], clamped at 1e-30 and square-rooted in place.
 */
function euclideanDist(x1: Tensor, x2: Tensor): Tensor {
  const n1 = x1.pow(2).sum(-1, true);
  const n2 = x2.pow(2).sum(-1, true);
  const a = torchCat([x1.mul(-2), n1, n1.mul(0).add(1)], -1);
  const b = torchCat([x2, n2.mul(0).add(1), n2], -1);
  return a.matmul(b.transpose(-2, -1)).clampMin_(1e-30).sqrt_();
}

function cdist(x1: Tensor, x2: Tensor, p: number, mode: number | null): Tensor {
  if (x1.dim() < 2)
    throw runtimeError(`cdist only supports at least 2D tensors, X1 got: ${x1.dim()}D`);
  if (x2.dim() < 2)
    throw runtimeError(`cdist only supports at least 2D tensors, X2 got: ${x2.dim()}D`);
  const c1 = x1.shape[x1.dim() - 1];
  const c2 = x2.shape[x2.dim() - 1];
  if (c1 !== c2)
    throw runtimeError(`X1 and X2 must have the same number of columns. X1: ${c1} X2: ${c2}`);
  if (!x1.dtype.isFloatingPoint)
    throw runtimeError(
      `cdist only supports floating-point dtypes, X1 got: ${scalarTypeName(x1.dtype)}`,
    );
  if (!x2.dtype.isFloatingPoint)
    throw runtimeError(
      `cdist only supports floating-point dtypes, X2 got: ${scalarTypeName(x2.dtype)}`,
    );
  if (!(p >= 0)) throw runtimeError("cdist only supports non-negative p values");
  if (x1.dtype !== x2.dtype)
    throw runtimeError(
      `expected scalar type ${scalarTypeName(x1.dtype)} but found ${scalarTypeName(x2.dtype)}`,
    );
  const r1 = x1.shape[x1.dim() - 2];
  const r2 = x2.shape[x2.dim() - 2];
  const batch = broadcastShapes(x1.shape.slice(0, -2), x2.shape.slice(0, -2));
  const m = mode ?? 0;
  if (p === 2 && (m === 1 || (m === 0 && (r1 > 25 || r2 > 25)))) {
    const nb = batch.reduce((u, v) => u * v, 1);
    const e1 = x1.expand([...batch, r1, c1]).reshape([nb, r1, c1]);
    const e2 = x2.expand([...batch, r2, c2]).reshape([nb, r2, c2]);
    return euclideanDist(e1, e2).view([...batch, r1, r2]);
  }
  const e1 = x1.dim() - 2 === batch.length && x1.shape.slice(0, -2).join() === batch.join();
  const e2 = x2.dim() - 2 === batch.length && x2.shape.slice(0, -2).join() === batch.join();
  return cdistForward(
    e1 ? x1 : x1.expand([...batch, r1, c1]),
    e2 ? x2 : x2.expand([...batch, r2, c2]),
    p,
    mode,
  );
}

const cdistOp = defineOp({
  name: "cdist",
  variants: ["function"],
  doc: "The p-norm distances between the rows of `x1` and of `x2` (batch dims broadcast); p = 2 on more than 25 rows goes through one matrix product (compute_mode chooses).",
  example: "torch.cdist(torch.tensor([[0., 0]]), torch.tensor([[3., 4]])) // tensor([[5.]])",
  pythonWrapper: {
    function: "x1, x2, p=2., compute_mode='use_mm_for_euclid_dist_if_necessary'",
    method: "",
    body: (x1: unknown, x2: unknown, p: unknown, mode: unknown) => {
      if (mode === "use_mm_for_euclid_dist_if_necessary") return cdistOp.vf(x1, x2, p, null);
      if (mode === "use_mm_for_euclid_dist") return cdistOp.vf(x1, x2, p, 1);
      if (mode === "donot_use_mm_for_euclid_dist") return cdistOp.vf(x1, x2, p, 2);
      throw valueError(`${String(mode)} is not a valid value for compute_mode`);
    },
    declarations: [
      '(x1: Tensor, x2: Tensor, p?: number, computeMode?: "use_mm_for_euclid_dist_if_necessary" | "use_mm_for_euclid_dist" | "donot_use_mm_for_euclid_dist"): Tensor',
      '(x1: Tensor, x2: Tensor, options: { p?: number; computeMode?: "use_mm_for_euclid_dist_if_necessary" | "use_mm_for_euclid_dist" | "donot_use_mm_for_euclid_dist" }): Tensor',
    ],
  },
  overloads: [
    {
      schema: "cdist(Tensor x1, Tensor x2, float p=2, int? compute_mode=None) -> Tensor",
      forward: cdist,
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// block_diag, cartesian_prod, combinations

/** a block_diag input as the matrix it places: 0-d as 1 x 1, 1-d as one row */
const asBlock = (t: Tensor): [number, number] =>
  t.dim() === 0 ? [1, 1] : t.dim() === 1 ? [1, t.shape[0]] : [t.shape[0], t.shape[1]];

/** ATen's block_diag: the inputs along the diagonal of zeros, in the promoted dtype (untracked) */
function blockDiagKernel(tensors: readonly Tensor[]): Tensor {
  tensors.forEach((t, i) => {
    if (t.dim() > 2)
      throw runtimeError(
        `torch.block_diag: Input tensors must have 2 or fewer dimensions. Input ${i} has ${t.dim()} dimensions`,
      );
  });
  const dt =
    tensors.length === 0
      ? defaultDtype()
      : tensors.map((t) => t.dtype).reduce((a, b) => promoteTypes(a, b));
  const blocks = tensors.map(asBlock);
  // (no input gives a 1 x 0 matrix, as ATen)
  const rows = tensors.length === 0 ? 1 : blocks.reduce((s, b) => s + b[0], 0);
  const cols = blocks.reduce((s, b) => s + b[1], 0);
  return noGrad(() => {
    const out = new Tensor(new dt.ArrayType(rows * cols), [rows, cols], [cols, 1], 0, dt);
    let r = 0;
    let c = 0;
    tensors.forEach((t, i) => {
      const [n, m] = blocks[i];
      if (n * m > 0)
        out
          .narrow(0, r, n)
          .narrow(1, c, m)
          .copy_(t.reshape([n, m]));
      r += n;
      c += m;
    });
    return out;
  });
}

registerDerivative("block_diag" as Op, {
  name: "BlockDiagBackward0",
  save: [],
  // block_diag_backward: each input's block of g, in its shape and dtype
  grad: ((g: Tensor, _s: unknown, a: { shapes: number[][]; dtypes: Tensor["dtype"][] }) => {
    let r = 0;
    let c = 0;
    return a.shapes.map((shape, i) => {
      const [n, m] = shape.length === 0 ? [1, 1] : shape.length === 1 ? [1, shape[0]] : shape;
      const block = g.narrow(0, r, n).narrow(1, c, m).reshape(shape);
      r += n;
      c += m;
      return a.dtypes[i].isFloatingPoint ? block.to(a.dtypes[i]) : null;
    });
  }) as never,
});
registerJvp(
  "block_diag" as Op,
  ((tangents: readonly (Tensor | null)[], inputs: readonly (Tensor | null | undefined)[]) =>
    blockDiagKernel(tangents.map((t, i) => t ?? (inputs[i] as Tensor).mul(0)))) as never,
);

const blockDiag = defineOp({
  name: "block_diag",
  variants: ["function"],
  doc: "A block diagonal matrix of the inputs (0-d and 1-d ones as 1 x 1 and 1 x n blocks), zeros elsewhere, in the promoted dtype.",
  example:
    "torch.blockDiag(torch.ones(1, 2), torch.tensor(3)) // tensor([[1., 1., 0.], [0., 0., 3.]])",
  pythonWrapper: {
    function: "*tensors",
    method: "",
    body: (tensors: unknown) => blockDiag.vf(tensors),
    declarations: ["(...tensors: Tensor[]): Tensor"],
  },
  overloads: [
    {
      schema: "block_diag(Tensor[] tensors) -> Tensor",
      forward: (tensors: Tensor[]) => {
        const out = blockDiagKernel(tensors);
        if (anyNeedsGrad(tensors) && out.dtype.isFloatingPoint)
          record(
            "block_diag" as Op,
            out,
            tensors,
            {} as never,
            {
              shapes: tensors.map((t) => t.shape.slice()),
              dtypes: tensors.map((t) => t.dtype),
            } as never,
          );
        return out;
      },
    },
  ],
});

/** the checks of ATen's cartesian_prod and meshgrid */
function check1dVectors(tensors: readonly Tensor[]): void {
  for (const t of tensors)
    if (t.dim() !== 1)
      throw runtimeError(`Expect a 1D vector, but got shape [${t.shape.join(", ")}]`);
}

const cartesianProd = defineOp({
  name: "cartesian_prod",
  variants: ["function"],
  doc: "Every tuple of one element from each 1-D input, as the rows of a matrix (itertools.product's order); one input is returned as it is.",
  example:
    "torch.cartesianProd(torch.tensor([1, 2]), torch.tensor([3, 4])) // tensor([[1., 3.], [1., 4.], [2., 3.], [2., 4.]])",
  pythonWrapper: {
    function: "*tensors",
    method: "",
    body: (tensors: unknown) => cartesianProd.vf(tensors),
    declarations: ["(...tensors: Tensor[]): Tensor"],
  },
  overloads: [
    {
      schema: "cartesian_prod(Tensor[] tensors) -> Tensor",
      // ATen: meshgrid(indexing="ij") of the inputs, each grid flattened, stacked as columns
      forward: (tensors: Tensor[]) => {
        check1dVectors(tensors);
        if (tensors.length === 1) return tensors[0];
        if (tensors.length === 0) throw runtimeError("meshgrid expects a non-empty TensorList");
        if (tensors.some((t) => t.dtype !== tensors[0].dtype))
          throw runtimeError("meshgrid expects all tensors to have the same dtype");
        const sizes = tensors.map((t) => t.shape[0]);
        const cols = tensors.map((t, i) => {
          const shape = sizes.map((_, j) => (j === i ? sizes[i] : 1));
          return t.view(shape).expand(sizes).flatten();
        });
        return torchStack(cols, 1);
      },
    },
  ],
});

defineOp({
  name: "combinations",
  variants: ["function"],
  doc: "The r-element combinations of a 1-D tensor's elements (with repeats when `with_replacement`), as the rows of a matrix, in itertools' order.",
  example: "torch.combinations(torch.tensor([1, 2, 3])) // tensor([[1., 2.], [1., 3.], [2., 3.]])",
  overloads: [
    {
      schema: "combinations(Tensor self, int r=2, bool with_replacement=False) -> Tensor",
      forward: (self: Tensor, r: number, withReplacement: boolean) => {
        if (self.dim() !== 1)
          throw runtimeError(`Expect a 1D vector, but got shape [${self.shape.join(", ")}]`);
        if (r < 0) throw runtimeError(`Expect a non-negative number, but got ${r}`);
        if (r === 0) return new Tensor(new self.dtype.ArrayType(0), [0], [1], 0, self.dtype);
        // the index tuples i1 < i2 < ... (<= with replacement), in lexicographic order
        const n = self.shape[0];
        const rows: number[][] = [];
        const cur: number[] = [];
        const walk = (start: number) => {
          if (cur.length === r) {
            rows.push(cur.slice());
            return;
          }
          for (let i = start; i < n; i++) {
            cur.push(i);
            walk(withReplacement ? i : i + 1);
            cur.pop();
          }
        };
        walk(0);
        const cols = Array.from({ length: r }, (_, k) => {
          const idx = new Tensor(
            Float64Array.from(rows.map((row) => row[k])),
            [rows.length],
            [1],
            0,
            int64,
          );
          return self.indexSelect(0, idx);
        });
        return torchStack(cols, 1);
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// Note [half gemm]: bfloat16 mm/mv/addmm/addmv and half addr round as 1.13's CPU kernels do

const isBf16 = (v: unknown): v is Tensor => v instanceof Tensor && v.dtype === bfloat16;
const isHalf = (v: unknown): v is Tensor => v instanceof Tensor && v.dtype.isHalf;
/** mat1 [m, k] and mat2 [k, n] (the call's shape errors are the float32 path's) */
const productOk = (a: Tensor, b: Tensor): boolean =>
  a.dim() === 2 && b.dim() === 2 && a.shape[1] === b.shape[0];
const matVecOk = (a: Tensor, v: Tensor): boolean =>
  a.dim() === 2 && v.dim() === 1 && a.shape[1] === v.shape[0];
/** self broadcasts to the product's shape (an in-place form's own checks refuse another one) */
const selfOk = (self: Tensor, shape: number[]): boolean => {
  try {
    return broadcastShapes(self.shape, shape).join() === shape.join();
  } catch {
    return false;
  }
};

// the kernels take the checked operands: the ops' own forwards record (mm's and mv's nodes,
// the add-products' declared derivatives), in-place forms write into self as on float32
const halfMm: L.ProductKernel = (a, b) => halfAddmm(null, a, b, 0, 1);
const halfMv: L.ProductKernel = (a, v) => halfAddmv(null, a, v, 0, 1);
HALF_OWN.set("mm", {
  applies: ([a, b]) => isBf16(a) && isBf16(b) && productOk(a, b),
  kernel: halfMm,
});
HALF_OWN.set("mv", {
  applies: ([a, v]) => isBf16(a) && isBf16(v) && matVecOk(a, v),
  kernel: halfMv,
});
for (const sfx of ["", "_"]) {
  HALF_OWN.set(`addmm${sfx}`, {
    applies: ([s, a, b]) =>
      isBf16(s) && isBf16(a) && isBf16(b) && productOk(a, b) && selfOk(s, [a.shape[0], b.shape[1]]),
    kernel: halfAddmm satisfies P.AddProductKernel,
  });
  HALF_OWN.set(`addmv${sfx}`, {
    applies: ([s, a, v]) =>
      isBf16(s) && isBf16(a) && isBf16(v) && matVecOk(a, v) && selfOk(s, [a.shape[0]]),
    kernel: halfAddmv satisfies P.AddProductKernel,
  });
  HALF_OWN.set(`addr${sfx}`, {
    applies: ([s, a, b]) =>
      isHalf(s) &&
      isHalf(a) &&
      isHalf(b) &&
      s.dtype === a.dtype &&
      a.dtype === b.dtype &&
      a.dim() === 1 &&
      b.dim() === 1 &&
      selfOk(s, [a.shape[0], b.shape[0]]),
    kernel: halfAddr satisfies P.AddProductKernel,
  });
}
// at::matmul of 1-D and 2-D bfloat16 operands: mv, mm, or mm of the vector as a row
HALF_OWN.set("matmul", {
  applies: ([a, b]) =>
    isBf16(a) && isBf16(b) && a.dim() + b.dim() >= 3 && a.dim() <= 2 && b.dim() <= 2,
  forward: (a, b) => {
    const [x, y] = [a as Tensor, b as Tensor];
    const mm = fn("mm") as (p: Tensor, q: Tensor) => Tensor;
    if (x.dim() === 2 && y.dim() === 1) return (fn("mv") as typeof mm)(x, y);
    if (x.dim() === 1) return mm(x.unsqueeze(0), y).squeeze_(0);
    return mm(x, y);
  },
});
