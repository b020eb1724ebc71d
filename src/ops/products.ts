/**
 * Contractions composed of views, sums and batched matrix products, as ATen's Linear.cpp
 * composes them: einsum (left-to-right pairwise contraction through sumproduct_pair) and
 * tensordot. Every piece records its own node, so gradients (and grad_fn names) follow from
 * the composed ops as in PyTorch.
 */
import type { Tensor } from "../tensor.js";
import { contiguousStrides, normalizeDim } from "../shape.js";
import { indexError, runtimeError } from "../errors.js";
import { promoteTypes as promoteTypesOf } from "../dtype.js";
import { noGrad } from "../autograd/grad-mode.js";
import { bmm, mm, mv } from "./linalg.js";
import { broadcastBinaryInto } from "./elementwise.js";
import { Binary } from "../backend/elementwise.js";
import { scalarTypeName } from "./core.js";
import {
  expand,
  permute,
  reshape,
  stack as torchStack,
  stridedView,
  unsafeView,
  unsqueeze,
  view,
} from "./views.js";

/**
 * Tensor.diagonal(0, d1, d2) as a view: d1 and d2 removed, their diagonal appended last
 * (DiagonalBackward0, through the strided-view node of Note [strided views for autograd]).
 */
function diagonalView(t: Tensor, d1: number, d2: number): Tensor {
  const cs = contiguousStrides(t.shape);
  const keep = (_: number, k: number) => k !== d1 && k !== d2;
  const n = Math.min(t.shape[d1], t.shape[d2]);
  return stridedView(
    t,
    t.shape.filter(keep).concat([n]),
    t.strides.filter(keep).concat([t.strides[d1] + t.strides[d2]]),
    t.offset,
    { strides: cs.filter(keep).concat([cs[d1] + cs[d2]]), offset: 0 },
    "DiagonalBackward0",
  );
}

/** Tensor.movedim(src, dst) for single dims: a permute (PermuteBackward0), as ATen's movedim. */
function movedim(t: Tensor, src: number, dst: number): Tensor {
  const nd = t.dim();
  const s = src < 0 ? src + nd : src;
  const order = t.shape.map((_, i) => i).filter((i) => i !== s);
  order.splice(dst, 0, s);
  return permute(t, order);
}

/**
 * ATen's sumproduct_pair: (left * right).sum(sumDims, keepdim) for operands of equal rank
 * (broadcast dims of size 1), as one bmm: the dims in both operands and the output (lro) are
 * the batch, those only in left (lo) the rows, the summed ones the inner dim and those only in
 * right (ro) the columns; permutes and reshapes are views whenever the layout allows, so a
 * large contraction is one call of the fast matmul kernel.
 */
function sumproductPair(left: Tensor, right: Tensor, sumDims: number[], keepdim: boolean): Tensor {
  if (left.dim() !== right.dim()) throw runtimeError("number of dimensions must match");
  if (sumDims.length === 0) return left.mul(right);
  const dim = left.dim();
  const isSum = new Array<boolean>(dim).fill(false);
  for (const d of sumDims) isSum[d] = true;
  const lro: number[] = [];
  const lo: number[] = [];
  const ro: number[] = [];
  let lroSize = 1;
  let loSize = 1;
  let roSize = 1;
  let sumSize = 1;
  for (let i = 0; i < dim; i++) {
    const sl = left.shape[i] !== 1;
    const sr = right.shape[i] !== 1;
    if (isSum[i]) {
      if (sl && sr) {
        if (left.shape[i] !== right.shape[i])
          throw runtimeError("non-broadcast dimensions must match");
        sumSize *= left.shape[i];
      } else if (sl) left = left.sum(i, true);
      else if (sr) right = right.sum(i, true);
    } else if (sl && sr) {
      if (left.shape[i] !== right.shape[i])
        throw runtimeError("non-broadcast dimensions must match");
      lro.push(i);
      lroSize *= left.shape[i];
    } else if (sl) {
      lo.push(i);
      loSize *= left.shape[i];
    } else {
      ro.push(i);
      roSize *= right.shape[i];
    }
  }
  const outSize = [
    ...lro.map((d) => left.shape[d]),
    ...lo.map((d) => left.shape[d]),
    ...sumDims.map(() => 1),
    ...ro.map((d) => right.shape[d]),
  ];
  // bmm's checks (no promotion across the product)
  if (left.dtype !== right.dtype)
    throw runtimeError(`expected scalar type ${typeName(left)} but found ${typeName(right)}`);
  if (left.dtype.name === "bool") throw runtimeError(`"bmm" not implemented for 'Bool'`);
  const lperm = [...lro, ...lo, ...sumDims, ...ro];
  const rperm = [...lro, ...sumDims, ...ro, ...lo];
  const operm = new Array<number>(outSize.length).fill(-1);
  let k = 0;
  for (const d of [...lro, ...lo, ...sumDims, ...ro]) operm[d] = k++;
  const l3 = reshape(permute(left, lperm), [lroSize, loSize, sumSize]);
  const r3 = reshape(permute(right, rperm), [lroSize, sumSize, roSize]);
  let result = permute(view(bmm(l3, r3), outSize), operm);
  if (!keepdim) {
    const sizes = result.shape.filter((_, i) => !isSum[i]);
    result = view(result, sizes);
  }
  return result;
}

const NUM_LETTERS = 26;
const TOTAL_LABELS = 2 * NUM_LETTERS;
/** the code of "..." among the labels (0-25 for A-Z, 26-51 for a-z) */
const ELLIPSIS = TOTAL_LABELS;

const isAlpha = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const toSubscript = (c: string): number =>
  c >= "A" && c <= "Z" ? c.charCodeAt(0) - 65 : c.charCodeAt(0) - 97 + NUM_LETTERS;
const toLabel = (s: number): string =>
  String.fromCharCode(s < NUM_LETTERS ? s + 65 : s - NUM_LETTERS + 97);

/**
 * ATen's einsum: parse the equation into labels per operand, align every operand to the dims
 * [output labels..., contracted labels...] (diagonals for repeated labels, unsqueezes for
 * missing ones), then contract the operands pairwise (left to right, or in `path`'s order)
 * with sumproductPair, summing each contracted dim as soon as no later operand has it.
 */
export function einsum(
  equation: string,
  operands: readonly Tensor[],
  path: number[] | null,
): Tensor {
  if (operands.length === 0) throw runtimeError("einsum(): must provide at least one operand");
  const numOps = operands.length;
  if (path !== null) {
    const pathSize = numOps === 1 ? 1 : (numOps - 1) * 2;
    if (path.length !== pathSize)
      throw runtimeError(
        `einsum(): expected contraction path given in path parameter to have size ${pathSize} but got ${path.length}`,
      );
  }
  const arrow = equation.indexOf("->");
  const lhs = arrow < 0 ? equation : equation.slice(0, arrow);
  const opLabels: number[][] = operands.map(() => []);
  let ellInInput = false;
  let curr = 0;
  for (let i = 0; i < lhs.length; i++) {
    const c = lhs[i];
    if (c === " ") continue;
    if (c === ".") {
      if (ellInInput)
        throw runtimeError(
          `einsum(): found '.' for operand ${curr} for which an ellipsis was already found`,
        );
      if (!(i + 2 < lhs.length && lhs[++i] === "." && lhs[++i] === "."))
        throw runtimeError(
          `einsum(): found '.' for operand ${curr} that is not part of any ellipsis`,
        );
      opLabels[curr].push(ELLIPSIS);
      ellInInput = true;
    } else if (c === ",") {
      curr++;
      if (curr >= numOps)
        throw runtimeError("einsum(): fewer operands were provided than specified in the equation");
      ellInInput = false;
    } else {
      if (!isAlpha(c))
        throw runtimeError(
          `einsum(): invalid subscript given at index ${i} in the equation string, subscripts must be in [a-zA-Z]`,
        );
      opLabels[curr].push(toSubscript(c));
    }
  }
  if (curr !== numOps - 1)
    throw runtimeError("einsum(): more operands were provided than specified in the equation");

  const labelCount = new Array<number>(TOTAL_LABELS).fill(0);
  // the most dims any ellipsis covers
  let ellNumDim = 0;
  for (let i = 0; i < numOps; i++) {
    const ndims = operands[i].dim();
    let nlabels = opLabels[i].length;
    let hasEllipsis = false;
    for (const label of opLabels[i]) {
      if (label === ELLIPSIS) {
        nlabels--;
        hasEllipsis = true;
        ellNumDim = Math.max(ellNumDim, ndims - nlabels);
      } else labelCount[label]++;
    }
    if (hasEllipsis ? nlabels > ndims : nlabels !== ndims)
      throw runtimeError(
        `einsum(): the number of subscripts in the equation (${nlabels}${hasEllipsis ? ") is more than the number of dimensions (" : ") does not match the number of dimensions ("}${ndims}) for operand ${i}${hasEllipsis ? "" : " and no ellipsis was given"}`,
      );
  }

  // each label's index in the aligned dims: output dims first, then the contracted ones
  const labelPermIndex = new Array<number>(TOTAL_LABELS).fill(-1);
  let permIndex = 0;
  let ellIndex = 0;
  let ellInOutput = false;
  if (arrow < 0) {
    // implicit output: the ellipsis dims, then the labels seen once, alphabetically
    permIndex = ellNumDim;
    ellInOutput = true;
    for (let label = 0; label < TOTAL_LABELS; label++)
      if (labelCount[label] === 1) labelPermIndex[label] = permIndex++;
  } else {
    const rhs = equation.slice(arrow + 2);
    for (let i = 0; i < rhs.length; i++) {
      const c = rhs[i];
      if (c === " ") continue;
      if (c === ".") {
        if (ellInOutput)
          throw runtimeError(
            "einsum(): found '.' for output but an ellipsis (...) was already found",
          );
        if (!(i + 2 < rhs.length && rhs[++i] === "." && rhs[++i] === "."))
          throw runtimeError(
            "einsum(): found '.' for output that is not part of any ellipsis (...)",
          );
        ellIndex = permIndex;
        permIndex += ellNumDim;
        ellInOutput = true;
      } else {
        if (!isAlpha(c))
          throw runtimeError(
            `einsum(): invalid subscript given at index ${lhs.length + 2 + i} in the equation string, subscripts must be in [a-zA-Z]`,
          );
        const index = toSubscript(c);
        if (!(labelCount[index] > 0 && labelPermIndex[index] === -1))
          throw runtimeError(
            `einsum(): output subscript ${c}${labelPermIndex[index] > -1 ? " appears more than once in the output" : " does not appear in the equation for any input operand"}`,
          );
        labelPermIndex[index] = permIndex++;
      }
    }
  }
  const outNumDim = permIndex;
  if (!ellInOutput) {
    ellIndex = permIndex;
    permIndex += ellNumDim;
  }
  for (let label = 0; label < TOTAL_LABELS; label++)
    if (labelCount[label] > 0 && labelPermIndex[label] === -1) labelPermIndex[label] = permIndex++;

  // align: sizes checked, diagonals of repeated labels, missing dims unsqueezed, permuted;
  // dimCounts[d]: how many operands have aligned dim d of size != 1
  const labelSize = new Array<number>(TOTAL_LABELS).fill(1);
  const ellSizes = new Array<number>(ellNumDim).fill(1);
  const dimCounts = new Array<number>(permIndex).fill(0);
  let ops: Tensor[] = [];
  for (let i = 0; i < numOps; i++) {
    let op = operands[i];
    const permutation = new Array<number>(permIndex).fill(-1);
    let dim = 0;
    for (const s of opLabels[i]) {
      if (s === ELLIPSIS) {
        const ndim = operands[i].dim() - (opLabels[i].length - 1);
        for (let j = ellNumDim - ndim; j < ellNumDim; j++) {
          if (op.shape[dim] !== 1) {
            if (!(ellSizes[j] === 1 || ellSizes[j] === op.shape[dim]))
              throw runtimeError(
                `einsum(): dimension ${dim} covered by ellipsis in operand ${i}has size ${op.shape[dim]} which does not broadcast with previously seen ellipsis with size ${ellSizes[j]} for the respective dimension`,
              );
            ellSizes[j] = op.shape[dim];
            dimCounts[ellIndex + j]++;
          }
          permutation[ellIndex + j] = dim++;
        }
      } else if (permutation[labelPermIndex[s]] === -1) {
        if (op.shape[dim] !== 1) {
          if (!(labelSize[s] === 1 || labelSize[s] === op.shape[dim]))
            throw runtimeError(
              `einsum(): subscript ${toLabel(s)} has size ${op.shape[dim]} for operand ${i} which does not broadcast with previously seen size ${labelSize[s]}`,
            );
          labelSize[s] = op.shape[dim];
          dimCounts[labelPermIndex[s]]++;
        }
        permutation[labelPermIndex[s]] = dim++;
      } else {
        // a repeated label: its diagonal, moved to where the label first appeared
        const prev = permutation[labelPermIndex[s]];
        if (op.shape[dim] !== op.shape[prev])
          throw runtimeError(
            `einsum(): subscript ${toLabel(s)} is repeated for operand ${i} but the sizes don't match, ${op.shape[dim]} != ${op.shape[prev]}`,
          );
        op = movedim(diagonalView(op, prev, dim), -1, prev);
      }
    }
    for (let p = 0; p < permutation.length; p++) {
      if (permutation[p] === -1) {
        op = unsqueeze(op, dim);
        permutation[p] = dim++;
      }
    }
    ops.push(permute(op, permutation));
  }

  let step = 0;
  while (ops.length > 1) {
    let i = 0;
    let j = 1;
    if (path !== null) {
      i = path[step++];
      j = path[step++];
      if (j < i) [i, j] = [j, i];
      if (!(i !== j && i >= 0 && j < ops.length))
        throw runtimeError(
          `einsum(): invalid contraction (${i}, ${j}${i === j ? ") cannot contract an operand with itself" : ") operand index is out of bounds"}`,
        );
    }
    let a = ops[i];
    let b = ops[j];
    ops = ops.filter((_, k) => k !== i && k !== j);
    // the dims no other operand has: summed in the product, or beforehand in one operand
    const sumDims: number[] = [];
    const aSum: number[] = [];
    const bSum: number[] = [];
    for (let d = outNumDim; d < permIndex; d++) {
      if (a.shape[d] !== 1 && b.shape[d] !== 1) {
        if (--dimCounts[d] === 1) {
          sumDims.push(d);
          dimCounts[d] = 0;
        }
      } else if (dimCounts[d] === 1) {
        if (a.shape[d] !== 1) {
          aSum.push(d);
          dimCounts[d] = 0;
        } else if (b.shape[d] !== 1) {
          bSum.push(d);
          dimCounts[d] = 0;
        }
      }
    }
    if (aSum.length > 0) a = a.sum(aSum, true);
    if (bSum.length > 0) b = b.sum(bSum, true);
    const r = sumproductPair(a, b, sumDims, true);
    if (path !== null) ops.push(r);
    else ops.unshift(r);
  }

  if (permIndex - outNumDim > 0) {
    // with several operands the contracted dims are all 1 by now
    if (numOps > 1) return view(ops[0], ops[0].shape.slice(0, outNumDim));
    const dims: number[] = [];
    for (let d = outNumDim; d < permIndex; d++) dims.push(d);
    return ops[0].sum(dims);
  }
  return ops[0];
}

/**
 * ATen's tensordot: the dims of dims1 (of a) contracted with those of dims2 (of b), as one mm
 * of a permuted to [kept, contracted] and b to [contracted, kept]; a contracted dim of size 1
 * on one side is summed on the other first.
 */
export function tensordot(a: Tensor, b: Tensor, dims1: number[], dims2: number[]): Tensor {
  if (dims1.length !== dims2.length)
    throw runtimeError("both dimension lists should have same length");
  const raw1 = dims1;
  const raw2 = dims2;
  dims1 = dims1.map((d) => normalizeDim(d, a.dim()));
  dims2 = dims2.map((d) => normalizeDim(d, b.dim()));
  let csize = 1;
  let t1 = a;
  let t2 = b;
  for (let i = 0; i < dims1.length; i++) {
    const s1 = a.shape[dims1[i]];
    const s2 = b.shape[dims2[i]];
    if (s2 === 1) t1 = t1.sum(dims1[i], true);
    else if (s1 === 1) t2 = t2.sum(dims2[i], true);
    else {
      if (s1 !== s2)
        throw runtimeError(
          `contracted dimensions need to match, but first has size ${s1} in dim ${raw1[i]} and second has size ${s2} in dim ${raw2[i]}`,
        );
      csize *= s1;
    }
  }
  const c1 = new Set(dims1);
  const c2 = new Set(dims2);
  const p1: number[] = [];
  const p2: number[] = [...dims2];
  const rsizes: number[] = [];
  let size1 = 1;
  let size2 = 1;
  for (let i = 0; i < a.dim(); i++) {
    if (!c1.has(i)) {
      p1.push(i);
      size1 *= t1.shape[i];
      rsizes.push(t1.shape[i]);
    }
  }
  p1.push(...dims1);
  for (let i = 0; i < b.dim(); i++) {
    if (!c2.has(i)) {
      p2.push(i);
      size2 *= t2.shape[i];
      rsizes.push(t2.shape[i]);
    }
  }
  if (a.dtype !== b.dtype)
    throw runtimeError(`expected scalar type ${typeName(a)} but found ${typeName(b)}`);
  const m1 = reshape(permute(t1, p1), [size1, csize]);
  const m2 = reshape(permute(t2, p2), [csize, size2]);
  return reshape(mm(m1, m2), rsizes);
}

// ---------------------------------------------------------------------------------------------
// beta * self + alpha * product: addmm, addmv, addr, addbmm, baddbmm

/** a Scalar in an integer computation: ATen converts alpha and beta to the integer type */
const scalarFor = (t: Tensor, v: number | boolean): number =>
  t.dtype.isFloatingPoint ? Number(v) : Math.trunc(Number(v));

/**
 * beta * self + alpha * prod (self already expanded to prod's shape), as BLAS's gemm: with
 * beta = 0 self is not read, so NaN and inf in it do not propagate. Untracked: the registry
 * records the op's own node.
 */
function combine(
  self: Tensor,
  prod: Tensor,
  beta: number | boolean,
  alpha: number | boolean,
): Tensor {
  return noGrad(() => {
    const b = scalarFor(prod, beta);
    const a = scalarFor(prod, alpha);
    if (a === 1 && b === 1 && self.dtype === prod.dtype && ownsContiguous(prod)) {
      // self + prod written over the product (a fresh buffer of mm / bmm): no second buffer
      broadcastBinaryInto(Binary.Add, prod, self, prod.shape, prod.typedArray, 0);
      return prod;
    }
    let r = a === 1 ? prod : prod.mul(a);
    if (b !== 0) r = r.add(b === 1 ? self : self.mul(b));
    return r;
  });
}

/** t is contiguous and alone in its storage (mm's and bmm's results) */
function ownsContiguous(t: Tensor): boolean {
  return t.isContiguous() && t.offset === 0 && t.typedArray.length === t.numel();
}

function sameDtype(a: Tensor, b: Tensor, what: string): void {
  if (a.dtype !== b.dtype) throw runtimeError(`${what} must have the same dtype`);
}

function notForBool(t: Tensor, kernel: string): void {
  if (t.dtype.name === "bool") throw runtimeError(`"${kernel}" not implemented for 'Bool'`);
}

/**
 * The values of an add-product the op has checked, in place of its float composition: addmm's
 * beta self + alpha (x @ y), addmv's beta self + alpha (x @ y) or addr's beta self + alpha
 * outer(x, y), a new tensor, no recording (the registry records the op's declared derivative).
 * The registry hands one over for the products that compute in a half type (HALF_OWN in
 * registry/half-compute.ts, Note [half gemm] in ./half-gemm.ts).
 */
export type AddProductKernel = (
  self: Tensor,
  x: Tensor,
  y: Tensor,
  beta: number,
  alpha: number,
) => Tensor;

/** `kernel`'s values (AddProductKernel), none of its steps recorded */
const byKernel = (
  kernel: AddProductKernel,
  self: Tensor,
  x: Tensor,
  y: Tensor,
  beta: number | boolean,
  alpha: number | boolean,
): Tensor => noGrad(() => kernel(self, x, y, Number(beta), Number(alpha)));

/**
 * torch.addmm: beta * self + alpha * (mat1 @ mat2), self broadcast to the product's shape;
 * `kernel`: the values' kernel (AddProductKernel)
 */
export function addmm(
  self: Tensor,
  mat1: Tensor,
  mat2: Tensor,
  beta: number | boolean,
  alpha: number | boolean,
  kernel?: AddProductKernel,
): Tensor {
  if (mat1.dim() !== 2) throw runtimeError(`mat1 must be a matrix, got ${mat1.dim()}-D tensor`);
  if (mat2.dim() !== 2) throw runtimeError(`mat2 must be a matrix, got ${mat2.dim()}-D tensor`);
  if (mat1.shape[1] !== mat2.shape[0])
    throw runtimeError(
      `mat1 and mat2 shapes cannot be multiplied (${mat1.shape[0]}x${mat1.shape[1]} and ${mat2.shape[0]}x${mat2.shape[1]})`,
    );
  sameDtype(mat1, mat2, "mat1 and mat2");
  sameDtype(self, mat2, "self and mat2");
  notForBool(self, "addmm_impl_cpu_");
  if (kernel !== undefined) return byKernel(kernel, self, mat1, mat2, beta, alpha);
  const s = noGrad(() => expand(self, [mat1.shape[0], mat2.shape[1]]));
  return combine(
    s,
    noGrad(() => mm(mat1, mat2)),
    beta,
    alpha,
  );
}

/**
 * torch.addmv: beta * self + alpha * (mat @ vec); self takes mat's dtype; `kernel`: the
 * values' kernel (AddProductKernel)
 */
export function addmv(
  self: Tensor,
  mat: Tensor,
  vec: Tensor,
  beta: number | boolean,
  alpha: number | boolean,
  kernel?: AddProductKernel,
): Tensor {
  if (!(mat.dim() === 2 && vec.dim() === 1 && self.dim() <= 1))
    throw runtimeError(
      `vector + matrix @ vector expected, got ${self.dim()}, ${mat.dim()}, ${vec.dim()}`,
    );
  const selfSize = self.dim() === 0 ? 1 : self.shape[0];
  if (!(mat.shape[1] === vec.shape[0] && (mat.shape[0] === self.numel() || self.numel() === 1)))
    throw runtimeError(
      `size mismatch, got ${selfSize}, ${mat.shape[0]}x${mat.shape[1]},${vec.shape[0]}`,
    );
  if (mat.dtype !== vec.dtype)
    throw runtimeError(`expected scalar type ${typeName(mat)} but found ${typeName(vec)}`);
  if (kernel !== undefined) return byKernel(kernel, self, mat, vec, beta, alpha);
  const s = noGrad(() => expand(self.to(mat.dtype), [mat.shape[0]]));
  const r = combine(
    s,
    noGrad(() => mv(mat, vec)),
    beta,
    alpha,
  );
  return r;
}

const typeName = (t: Tensor): string => scalarTypeName(t.dtype);

/**
 * torch.addr: beta * self + alpha * outer(vec1, vec2), in the promoted dtype (bool: or/and);
 * `kernel`: the values' kernel (AddProductKernel)
 */
export function addr(
  self: Tensor,
  vec1: Tensor,
  vec2: Tensor,
  beta: number | boolean,
  alpha: number | boolean,
  kernel?: AddProductKernel,
): Tensor {
  if (vec1.dim() !== 1)
    throw runtimeError(`addr: Expected 1-D argument vec1, but got ${vec1.dim()}-D`);
  if (vec2.dim() !== 1)
    throw runtimeError(`addr: Expected 1-D argument vec2, but got ${vec2.dim()}-D`);
  if (kernel !== undefined) return byKernel(kernel, self, vec1, vec2, beta, alpha);
  return noGrad(() => {
    const dt = [self, vec1, vec2].map((t) => t.dtype).reduce((x, y) => promoteTypesOf(x, y));
    if (!dt.isFloatingPoint && dt.name !== "bool") {
      if (!Number.isInteger(Number(beta)))
        throw runtimeError(
          "For integral input tensors, argument beta must not be a floating point number.",
        );
      if (!Number.isInteger(Number(alpha)))
        throw runtimeError(
          "For integral input tensors, argument alpha must not be a floating point number.",
        );
    }
    const s = expand(self, [vec1.shape[0], vec2.shape[0]]);
    const outer = unsqueeze(vec1.to(dt), 1).mul(vec2.to(dt));
    if (dt.name === "bool") {
      // ATen's addr for bools: (beta && self) || (alpha && outer)
      const a = alpha ? outer : outer.ne(outer);
      return beta ? a.logicalOr(s) : a.clone();
    }
    return combine(s.to(dt), outer, beta, alpha);
  });
}

/** Tensor.size(d) with ATen's errors (the add* ops read sizes before checking ranks) */
function sizeAt(t: Tensor, d: number): number {
  if (t.dim() === 0) throw indexError(`Dimension specified as ${d} but tensor has no dimensions`);
  return t.shape[normalizeDim(d, t.dim())];
}

/** torch.addbmm: beta * self + alpha * sum_b (batch1[b] @ batch2[b]) */
export function addbmm(
  self: Tensor,
  batch1: Tensor,
  batch2: Tensor,
  beta: number | boolean,
  alpha: number | boolean,
): Tensor {
  const s = noGrad(() => expand(self, [sizeAt(batch1, 1), sizeAt(batch2, 2)]));
  if (batch1.dim() !== 3) throw runtimeError("batch1 must be a 3D tensor");
  if (batch2.dim() !== 3) throw runtimeError("batch2 must be a 3D tensor");
  if (batch1.shape[0] !== batch2.shape[0])
    throw runtimeError(
      `batch1 and batch2 must have same number of batches, got ${batch1.shape[0]} and ${batch2.shape[0]}`,
    );
  if (batch1.shape[2] !== batch2.shape[1])
    throw runtimeError(
      `Incompatible matrix sizes for bmm (${batch1.shape[1]}x${batch1.shape[2]} and ${batch2.shape[1]}x${batch2.shape[2]})`,
    );
  sameDtype(batch1, batch2, "mat1 and mat2");
  sameDtype(self, batch2, "self and mat2");
  notForBool(self, "addbmm_impl_cpu_");
  // sum_b A[b] @ B[b] = [A[0] | A[1] | ...] @ [B[0]; B[1]; ...]: one product of k*batch inner size
  const [nb, n, k] = batch1.shape;
  const p = batch2.shape[2];
  const prod = noGrad(() =>
    mm(reshape(permute(batch1, [1, 0, 2]), [n, nb * k]), reshape(batch2, [nb * k, p])),
  );
  return combine(s, prod, beta, alpha);
}

/** torch.baddbmm: beta * self + alpha * (batch1 @ batch2), per batch; self takes batch1's dtype */
export function baddbmm(
  self: Tensor,
  batch1: Tensor,
  batch2: Tensor,
  beta: number | boolean,
  alpha: number | boolean,
): Tensor {
  const s = noGrad(() => expand(self, [sizeAt(batch1, 0), sizeAt(batch1, 1), sizeAt(batch2, 2)]));
  if (batch1.dim() !== 3) throw runtimeError("batch1 must be a 3D tensor");
  if (batch2.dim() !== 3) throw runtimeError("batch2 must be a 3D tensor");
  const prod = noGrad(() => bmm(batch1, batch2));
  return combine(
    noGrad(() => s.to(prod.dtype)),
    prod,
    beta,
    alpha,
  );
}

// ---------------------------------------------------------------------------------------------
// kron, trace, cross, chain_matmul

/**
 * ATen's kron: a viewed as [a0, 1, a1, 1, ...] times b as [1, b0, 1, b1, ...] (both padded
 * to the larger rank), the product's pairs of dims merged (UnsafeViewBackward0).
 */
export function kron(a: Tensor, b: Tensor): Tensor {
  const nd = Math.max(a.dim(), b.dim());
  const pad = (t: Tensor) => new Array<number>(nd - t.dim()).fill(1).concat(t.shape);
  const as = pad(a);
  const bs = pad(b);
  const aView = reshape(
    a,
    as.flatMap((s) => [s, 1]),
  );
  const bView = reshape(
    b,
    bs.flatMap((s) => [1, s]),
  );
  const prod = aView.mul(bView);
  return unsafeView(
    prod,
    as.map((s, i) => s * bs[i]),
  );
}

/** the sum of a matrix's diagonal; integers sum in int64 (the registry records TraceBackward0) */
export function trace(t: Tensor): Tensor {
  if (t.dim() !== 2)
    throw runtimeError(`trace: expected a matrix, but got tensor with dim ${t.dim()}`);
  if (t.dtype.name === "bool") throw runtimeError(`"trace" not implemented for 'Bool'`);
  return noGrad(() => diagonalView(t, 0, 1).sum());
}

/**
 * linalg_cross(a, b, dim): the cross product of 3-vectors along dim, after broadcasting;
 * untracked (the registry records LinalgCrossBackward0).
 */
export function linalgCross(a: Tensor, b: Tensor, dim: number): Tensor {
  if (a.dim() !== b.dim())
    throw runtimeError("linalg.cross: inputs must have the same number of dimensions.");
  const d = normalizeDim(dim, a.dim());
  if (a.shape[d] !== 3 || b.shape[d] !== 3)
    throw runtimeError(
      `linalg.cross: inputs dimension ${dim} must have length 3. Got ${a.shape[d]} and ${b.shape[d]}`,
    );
  if (a.dtype !== b.dtype)
    throw runtimeError(`expected scalar type ${typeName(a)} but found ${typeName(b)}`);
  return noGrad(() => {
    const c = (t: Tensor, i: number) => t.select(d, i);
    const comp = (i: number, j: number) =>
      c(a, i)
        .mul(c(b, j))
        .sub(c(a, j).mul(c(b, i)));
    return torchStack([comp(1, 2), comp(2, 0), comp(0, 1)], d);
  });
}

/** torch.cross: linalg_cross over `dim`, by default the first dim of size 3 of the input */
export function cross(a: Tensor, b: Tensor, dim: number | null): Tensor {
  if (dim === null) {
    const i = a.shape.indexOf(3);
    if (i < 0) throw runtimeError("no dimension of size 3 in input");
    dim = i;
  }
  return linalgCross(a, b, dim);
}

/** linalg_cross composed of tracked ops (for the derivative formulas and their own gradients) */
export function crossTracked(a: Tensor, b: Tensor, dim: number): Tensor {
  const c = (t: Tensor, i: number) => t.select(dim, i);
  const comp = (i: number, j: number) =>
    c(a, i)
      .mul(c(b, j))
      .sub(c(a, j).mul(c(b, i)));
  return torchStack([comp(1, 2), comp(2, 0), comp(0, 1)], dim);
}

/**
 * ATen's linalg_multi_dot (chain_matmul's implementation) for matrices: the product in the
 * order of fewest multiply-adds (the cheaper bracketing of three, the classic dynamic program
 * for more), the result viewed to its shape (ViewBackward0); one matrix is cloned.
 */
export function chainMatmul(ms: readonly Tensor[]): Tensor {
  if (ms.length === 0) throw runtimeError("chain_matmul(): Expected one or more matrices");
  for (const m of ms)
    if (m.dim() !== 2) throw runtimeError(`Tensor dimension is ${m.dim()}, expected 2 instead.`);
  if (ms.length === 1) return ms[0].clone();
  const n = ms.length;
  for (let i = 0; i + 1 < n; i++)
    if (ms[i].shape[1] !== ms[i + 1].shape[0])
      throw runtimeError(
        `multi_dot(): tensors ${i} and ${i + 1} with shapes [${ms[i].shape.join(", ")}] and [${ms[i + 1].shape.join(", ")}] cannot be multiplied`,
      );
  const outShape = [ms[0].shape[0], ms[n - 1].shape[1]];
  let r: Tensor;
  if (n === 2) r = mm(ms[0], ms[1]);
  else if (n === 3) {
    const [a, b, c] = ms;
    const [a0, a1] = a.shape;
    const [b1, c1] = [b.shape[1], c.shape[1]];
    const cost1 = a0 * c1 * (a1 + b1); // (a b) c
    const cost2 = a1 * (a0 * c1 + b1 * c1); // a (b c)
    r = cost1 > cost2 ? mm(a, mm(b, c)) : mm(mm(a, b), c);
  } else {
    // p[i] x p[i+1] is matrix i; cost[i][j], split[i][j] over the chain i..j
    const p = [...ms.map((m) => m.shape[0]), ms[n - 1].shape[1]];
    const cost = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const split = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let len = 1; len < n; len++) {
      for (let i = 0; i + len < n; i++) {
        const j = i + len;
        cost[i][j] = Infinity;
        for (let k = i; k < j; k++) {
          const q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1];
          if (q < cost[i][j]) {
            cost[i][j] = q;
            split[i][j] = k;
          }
        }
      }
    }
    const chain = (i: number, j: number): Tensor =>
      i === j ? ms[i] : mm(chain(i, split[i][j]), chain(split[i][j] + 1, j));
    r = chain(0, n - 1);
  }
  return view(r, outShape);
}
