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
import { pyTypeName } from "../../ops/core.js";
import { runtimeError, typeError, valueError } from "../../errors.js";
import { defineOp } from "../define.js";

defineOp({
  name: "matmul",
  variants: ["function", "method"],
  out: true,
  doc: "The matrix product with PyTorch's rules: dot for two vectors, mv/mm for vectors and matrices, broadcast batched products for more dims.",
  example: "torch.matmul(torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, 1])) // tensor([3, 7])",
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
      forward: (self: Tensor, mat2: Tensor) => L.mm(self, mat2),
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
  example: "torch.mv(torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, 1])) // tensor([3, 7])",
  overloads: [
    {
      schema: "mv(Tensor self, Tensor vec) -> Tensor",
      forward: (self: Tensor, vec: Tensor) => L.mv(self, vec),
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
  example: "torch.dot(torch.tensor([1, 2]), torch.tensor([3, 4])) // tensor(11)",
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
    example: `torch.${name}(torch.tensor([1, 2]), torch.tensor([3, 4])) // tensor([[3, 4], [6, 8]])`,
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
  throw valueError("einsum(): subscript in subscript list is not within the valid range [0, 52)");
}

function sublistLabels(l: unknown): string {
  if (!Array.isArray(l))
    throw typeError(`'${pyTypeName(l)}' object is not iterable`);
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
