/**
 * Tensor-level helpers used by derivative formulas and the engine. Everything here is built
 * from recorded ops, so formulas stay differentiable (Note [un-broadcasting] in
 * derivatives.ts).
 */
import { realAlias } from "../ops/complex.js";
import type { Tensor } from "../tensor.js";
import { dtypes, resultType, type DTypeName } from "../dtype.js";
import { shapeEqual } from "../shape.js";
import { alloc, allocLike, allocOutput, onDevice, scalarIn } from "../ops/core.js";
import { isGradEnabled, noGrad } from "./grad-mode.js";
import { ownGradient } from "./owned-grads.js";
import { isForwardADActive, noForwardGrad } from "./forward-ad.js";
import { needsGrad, record } from "./function.js";
import {
  Binary,
  binary as binaryKernel,
  powBackward as powBackwardKernel,
} from "../backend/elementwise.js";
import {
  rsub,
  broadcastBinaryInto,
  binaryKernel as elementwiseKernel,
} from "../ops/elementwise.js";
import {
  embed as embedOp,
  asStridedOfContiguous as asStridedOp,
  cat as catOp,
  stack as stackOp,
  expand as expandOp,
  permute as permuteOp,
  reshape as reshapeOp,
  unsqueeze as unsqueezeOp,
  view as viewOp,
} from "../ops/views.js";
import { indexBackward as indexBwd, indexPutBackward as indexPutBwd } from "../ops/indexing.js";
import type { OpNode } from "./function.js";

export const zerosLike = (g: Tensor): Tensor => allocLike(g, g.shape.slice(), g.dtype);
export const zeros = (shape: readonly number[], like: Tensor): Tensor =>
  allocLike(like, shape.slice(), like.dtype.differentiable ? like.dtype : dtypes.float32);
/**
 * torch.where(c, a, b), recorded (WhereBackward0) through the registry's Tensor.where. A number
 * operand becomes a 0-dim tensor of its dtype against the other operand, which promotes as
 * PyTorch's wrapped number does.
 */
export function where(c: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const ta = typeof a === "number" ? wrapped(a, b) : a;
  const tb = typeof b === "number" ? wrapped(b, ta) : b;
  return ta.where(c, tb);
}
function wrapped(v: number, other: Tensor | number): Tensor {
  const dtype = resultType([v, other]);
  const t = alloc([], dtype);
  t.typedArray[0] = scalarIn(v, dtype);
  return t;
}

/**
 * t * s for a C++ Scalar s in PyTorch's formulas (mul.Scalar: MulBackward1, where a Python
 * number is a wrapped tensor: MulBackward0). Same values as t.mul(s).
 */
export function mulScalar(t: Tensor, s: number): Tensor {
  const out = noForwardGrad(() => noGrad(() => t.mul(s)));
  if (needsGrad(t)) record("mul", out, [t, null], {}, { scalar: s }, "MulBackward1");
  return out;
}

/**
 * t - alpha * s for a C++ Scalar s (sub.Scalar, reached through subtract.Scalar, which Python
 * numbers bind to as subtract is not one of the ops whose numbers the parser wraps:
 * SubBackward1). Same values as t.sub(s, alpha).
 */
export function subScalar(t: Tensor, s: number, alpha: number): Tensor {
  const out = noForwardGrad(() => noGrad(() => t.sub(s, { alpha })));
  if (needsGrad(t)) record("sub", out, [t, null], {}, { alpha }, "SubBackward1");
  return out;
}

/** t / s for a C++ Scalar s (div.Scalar: DivBackward1). Same values as t.div(s). */
export function divScalar(t: Tensor, s: number): Tensor {
  const out = noForwardGrad(() => noGrad(() => t.div(s)));
  if (needsGrad(t))
    record("div", out, [t, null], {}, { scalar: s, roundingMode: null }, "DivBackward1");
  return out;
}
/** s - t */
export const rsubScalar = (t: Tensor, s: number): Tensor => rsub(t, s);
export const embed = embedOp;

/**
 * d(A@B)/dA = g @ B^T, given back in A's layout: for a column-major A (PyTorch's
 * mm_mat1_backward) (B @ g^T)^T, so the gradient of a transposed weight is contiguous after
 * its TBackward and accumulates into .grad without a strided pass.
 */
export function mmMat1Backward(g: Tensor, mat2: Tensor, mat1ColumnMajor: boolean): Tensor {
  // a fresh product only the engine holds (Note [stolen gradients])
  return mat1ColumnMajor ? mat2.mm(g.t()).t() : ownGradient(g.mm(mat2.t()));
}

/** d(A@B)/dB = A^T @ g, in B's layout: (g^T @ A)^T for a column-major B (mm_mat2_backward). */
export function mmMat2Backward(g: Tensor, mat1: Tensor, mat2ColumnMajor: boolean): Tensor {
  return mat2ColumnMajor ? g.t().mm(mat1).t() : ownGradient(mat1.t().mm(g));
}
/**
 * g / s with g.div(s)'s values (its kernel call), without the op's dispatch and recording when
 * nothing is recorded: a mean's backward divides its gradient on every step.
 */
export function divGrad(g: Tensor, s: number): Tensor {
  if (
    isGradEnabled() ||
    isForwardADActive() ||
    !g.dtype.isFloatingPoint ||
    g.dtype.isHalf ||
    onDevice(g)
  )
    return g.div(s);
  return elementwiseKernel(Binary.Div, g, s, g.dtype, g.dtype);
}
/**
 * Elements up to which `meanAllGrad` fills a new array; above, the quotient is expanded (a view:
 * no write of the input's size, and the next formula reads it with stride 0).
 */
const MEAN_FILL_MAX = 4096;
/** count and g / count, in each float dtype: the Div kernel's operand and result */
const meanScratch = { float32: new Float32Array(2), float64: new Float64Array(2) };

/**
 * d mean(x) / dx for a mean over every element: g / count at each of x's positions (PyTorch's
 * mean_backward, grad.expand(sizes) / numel). A small x, when nothing is recorded, gets a new
 * contiguous array filled with the quotient (the Div kernel's, computed once): one tensor, of
 * x's own shape array, which the engine hands on without fitting; otherwise the quotient is
 * broadcast back as `restoreReduced` does.
 */
export function meanAllGrad(g: Tensor, count: number, shape: readonly number[]): Tensor {
  const name = g.dtype.name;
  if (
    count > MEAN_FILL_MAX ||
    (name !== "float32" && name !== "float64") ||
    isGradEnabled() ||
    isForwardADActive() ||
    onDevice(g)
  )
    return restoreReduced(divGrad(g, count), null, false, shape);
  const q = meanScratch[name];
  q[0] = count;
  binaryKernel(Binary.Div, g.typedArray, g.offset, 0, q, 0, 0, q, 1, 1);
  // Note [immutable shapes]: the input's shape array is shared, never written
  const out = allocOutput(shape as number[], g.dtype);
  out.typedArray.fill(q[1]);
  return out;
}
/** dst += g in place, for a contiguous `dst` of g's shape and dtype (any layout of g). */
export function addInto(dst: Tensor, g: Tensor): void {
  // Note [complex storage]: both parts at once, as real values
  if (dst.dtype.isComplex) return addInto(realAlias(dst), realAlias(g));
  if (onDevice(dst)) {
    noGrad(() => dst.add_(g));
    return;
  }
  if (g.isContiguous()) {
    const n = dst.numel();
    binaryKernel(
      Binary.Add,
      dst.typedArray,
      dst.offset,
      1,
      g.typedArray,
      g.offset,
      1,
      dst.typedArray,
      dst.offset,
      n,
    );
  } else {
    // a strided gradient (e.g. a transposed weight gradient) in one pass, no temporary
    broadcastBinaryInto(Binary.Add, dst, g, dst.shape, dst.typedArray, dst.offset);
  }
}
export const asStridedOfContiguous = asStridedOp;
/**
 * The views of the view formulas, from the ops layer: a shape list given to the method would
 * take the binder's general path (Note [binder fast path]) in every view's backward.
 */
export const reshape = (t: Tensor, shape: readonly number[]): Tensor => reshapeOp(t, shape.slice());
export const permute = (t: Tensor, dims: number[]): Tensor => permuteOp(t, dims);
export const cat = (ts: Tensor[], dim: number): Tensor => catOp(ts, dim);
export const stack = (ts: Tensor[], dim: number): Tensor => stackOp(ts, dim);
export const indexBackward = indexBwd;
export function indexPutBackward(
  g: Tensor,
  indices: (Tensor | null)[],
  accumulate: boolean,
  node: OpNode,
): (Tensor | null)[] {
  return indexPutBwd(g, indices, accumulate, node.inputShape(1));
}

/**
 * Note [fused backward]: the step (0: g is one value broadcast, 1: g is contiguous) at which a
 * fused backward kernel reads g against the contiguous saved tensor x; null when a graph is
 * being recorded, forward AD is active (the composed ops carry tangents: forward-over-reverse)
 * or the operands are not plain, and the caller composes tensor ops instead.
 */
function fusedGradStep(g: Tensor, x: Tensor): 0 | 1 | null {
  if (
    isGradEnabled() ||
    isForwardADActive() ||
    g.dtype !== x.dtype ||
    // Note [half compute]: PyTorch composes these formulas, each op rounding to half
    x.dtype.isHalf ||
    !x.isContiguous()
  )
    return null;
  // g broadcast from one value (e.g. by a mean's backward) is read as a scalar
  if (g.numel() === 1 || g.strides.every((st) => st === 0)) return 0;
  return g.isContiguous() && shapeEqual(g.shape, x.shape) ? 1 : null;
}

/** g * c * x^(c-1) in one kernel (Note [fused backward]); null otherwise. */
export function fusedPowBackward(g: Tensor, x: Tensor, c: number): Tensor | null {
  // device tensors take the formula's op-by-op form (Note [device dispatch] in ops/webgpu.ts)
  if (onDevice(g) || onDevice(x)) return null;
  const gStep = fusedGradStep(g, x);
  if (gStep === null) return null;
  const out = allocOutput(x.shape, x.dtype);
  powBackwardKernel(
    g.typedArray,
    g.offset,
    gStep,
    x.typedArray,
    x.offset,
    c,
    out.typedArray,
    x.numel(),
  );
  return out;
}

/** Number of elements over `dims` of `shape`. */
export function countOver(shape: readonly number[], dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= shape[d];
  return n;
}

/**
 * A reduction's output (or its gradient) broadcast back to the input `shape`: re-insert the
 * reduced dims (unless keepdim) and expand.
 */
export function restoreReduced(
  g: Tensor,
  dims: readonly number[] | null,
  keepdim: boolean,
  shape: readonly number[],
): Tensor {
  // the ops-layer views directly: this runs in every reduction's backward, and a shape list
  // would take the binder's general path
  let r = g;
  if (dims === null) {
    // a 0-dim g expands to any shape directly
    if (r.dim() !== 0)
      r = reshapeOp(
        r,
        shape.map(() => 1),
      );
  } else if (!keepdim) {
    for (const d of dims) r = unsqueezeOp(r, d);
  }
  return shapeEqual(r.shape, shape) ? r : expandOp(r, shape.slice());
}

/**
 * PyTorch's prod_backward: g (restored to self's shape) times d prod / d x_i, the product of
 * the other elements. Without zeros that is result/x_i (NaN where x_i and the result are
 * infinite). With a zero, the products of the elements before and after each one
 * (prod_safe_zeros_backward: exclusive cumprods from both ends, so inf * 0 gives NaN where
 * PyTorch's does); the full product with two or more zeros is 0 outside grad mode.
 */
export function prodBackward(
  g: Tensor,
  self: Tensor,
  resultRestored: Tensor,
  dims: readonly number[] | null,
): Tensor {
  if (self.dim() === 0) return g;
  const zeros = self.eq(0).sum().item() as number;
  if (zeros === 0) return g.mul(resultRestored.div(self));
  if (dims === null) {
    if (!isGradEnabled() && zeros > 1) return zerosLike(g.expand(self.shape));
    return prodSafeZerosBackward(g.reshape(-1), self.reshape(-1), 0).reshape(self.shape);
  }
  return prodSafeZerosBackward(g, self, dims[0]);
}

/** g * prod_{j<i} x_j * prod_{j>i} x_j along dim (exclusive cumprods, the second reversed). */
function prodSafeZerosBackward(g: Tensor, x: Tensor, dim: number): Tensor {
  if (x.numel() === 0) return g.expand(x.shape);
  const n = x.shape[dim];
  const onesShape = x.shape.slice();
  onesShape[dim] = 1;
  const ones = zeros(onesShape, x).add(1);
  const before = cat([ones, x.narrow(dim, 0, n - 1)], dim).cumprod(dim);
  const after = cat([ones, x.narrow(dim, 1, n - 1).flip([dim])], dim)
    .cumprod(dim)
    .flip([dim]);
  return g.mul(before.mul(after));
}

/** Note [un-broadcasting]: sum `t` down to `shape` (leading dims and size-1 dims). */
export function sumTo(t: Tensor, shape: readonly number[]): Tensor {
  // an empty gradient of an empty input is zeros (e.g. cat's skipped legacy empty 1-D inputs:
  // [0, n] -> [0], not a broadcast); [3, 0] -> [3, 1] sums as any other
  if (t.numel() === 0 && shape.includes(0)) return zeros(shape, t);
  const lead = t.dim() - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < t.dim(); i++) {
    if (i < lead || (shape[i - lead] === 1 && t.shape[i] !== 1)) dims.push(i);
  }
  let r = dims.length > 0 ? t.sum(dims, true) : t;
  // as PyTorch's sum_to: a view drops the leading dims (ViewBackward0 when differentiated)
  if (!shapeEqual(r.shape, shape)) r = viewOp(r.contiguous(), shape.slice());
  return r;
}

export function castTo(t: Tensor, dtypeName: string): Tensor {
  return t.to(dtypes[dtypeName as DTypeName]);
}
