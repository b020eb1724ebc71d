/**
 * Gradient arithmetic of the backward pass, kept out of the engine (which only walks the
 * graph): summing the gradients that meet at a node, fitting a gradient to its input's shape
 * and dtype (Note [un-broadcasting]), and accumulating into `.grad` (Note [atomic backward]).
 */
import type { Tensor } from "../tensor.js";
import { noGrad, swapGradEnabled } from "./grad-mode.js";
import * as F from "./formula-ops.js";
import { isForwardADActive } from "./forward-ad.js";
import { shapeEqual } from "../shape.js";
import { alloc, allocOutput, castData, onDevice, wrap } from "../ops/core.js";
import { Binary, binary } from "../backend/elementwise.js";
import { takeOwnedGradient } from "./owned-grads.js";
import { makeSparse } from "../ops/sparse.js";

/**
 * A leaf's first sparse gradient, as PyTorch's AccumulateGrad takes it: contiguous parts are
 * taken into a new tensor (`_sparse_coo_tensor_unsafe`, coalesced only with at most one
 * entry), others copied (`clone()`, which keeps the flag). Nothing writes the parts in place.
 */
function sparseLeafGrad(g: Tensor): Tensor {
  const p = g._sparse as NonNullable<Tensor["_sparse"]>;
  const taken = p.indices.isContiguous() && p.values.isContiguous();
  return makeSparse(p.indices, p.values, g.shape, taken ? p.indices.shape[1] <= 1 : p.coalesced);
}

/**
 * Whether two gradients meeting at a buffer slot take the plain sum (`sumPlain`,
 * `addIntoSum`): nothing is recorded, same shape and dtype, both contiguous.
 */
export function plainPair(prev: Tensor, g: Tensor): boolean {
  return (
    prev.dtype === g.dtype &&
    !prev.dtype.needsConversion &&
    (prev._rare === null || prev._rare.sparse === null) &&
    (g._rare === null || g._rare.sparse === null) &&
    !prev.requiresGrad &&
    !g.requiresGrad &&
    !isForwardADActive() &&
    shapeEqual(prev.shape, g.shape) &&
    prev.isContiguous() &&
    g.isContiguous() &&
    !onDevice(prev)
  );
}

/** prev + g for a pair that is not plain (`plainPair`): `add`, recorded under createGraph. */
export function sumGrads(prev: Tensor, g: Tensor): Tensor {
  // Note [sparse tensors]: sparse + dense is dense + sparse (PyTorch's add takes it that way round)
  return prev._sparse !== null && g._sparse === null ? g.add(prev) : prev.add(g);
}

/** prev + g into a fresh tensor by one kernel call, for a plain pair (`plainPair`). */
export function sumPlain(prev: Tensor, g: Tensor): Tensor {
  const out = allocOutput(prev.shape, prev.dtype);
  binary(
    Binary.Add,
    prev.typedArray,
    prev.offset,
    1,
    g.typedArray,
    g.offset,
    1,
    out.typedArray,
    0,
    out.numel(),
  );
  return out;
}

/**
 * sum += g in place, for a plain pair whose `sum` is a fresh tensor only the engine's buffer
 * holds (Note [owned gradient sums]).
 */
export function addIntoSum(sum: Tensor, g: Tensor): void {
  F.addInto(sum, g);
}

/** Note [un-broadcasting]: sum a gradient back to its input's shape and cast to its dtype. */
export function fitToInput(g: Tensor, shape: readonly number[], dtypeName: string): Tensor {
  let r = g;
  if (!shapeEqual(r.shape, shape)) r = F.sumTo(r, shape);
  if (r.dtype.name !== dtypeName) r = F.castTo(r, dtypeName);
  return r;
}

/**
 * Whether leaf `t` may take `g` itself as its first gradient (Note [stolen gradients]): a
 * claimed fresh result, not recorded, alone in its whole storage, contiguous, of t's shape.
 */
function stealable(t: Tensor, g: Tensor, counted: boolean): boolean {
  return (
    g._base === null &&
    g.gradFn === null &&
    !g.requiresGrad &&
    g.offset === 0 &&
    g.typedArray.length === g.numel() &&
    g.isContiguous() &&
    shapeEqual(g.shape, t.shape) &&
    (takeOwnedGradient(g) || counted)
  );
}

let firstGradCopies = 0;

/**
 * How many first gradients accumulateGrad has copied into new storage (rather than taken,
 * Note [stolen gradients]) outside createGraph and off the device: the tests' count.
 */
export function firstGradientCopies(): number {
  return firstGradCopies;
}

/**
 * AccumulateGrad: `t.grad += g`, owning its own storage (Note [atomic backward]). `retained`:
 * a non-leaf's retained gradient (PyTorch's retain_grad hook). `counted`: the engine's count
 * says nothing else holds g's buffer (Note [counted stolen gradients], engine.ts).
 */
export function accumulateGrad(
  t: Tensor,
  g: Tensor,
  createGraph: boolean,
  retained = false,
  counted = false,
): void {
  const prev = t._grad;
  // Note [sparse tensors]: a sparse gradient stays sparse (its own wrapper over the same parts,
  // which nothing writes in place); sparse and dense ones sum to a dense one
  if (g._sparse !== null || (prev !== null && prev._sparse !== null)) {
    if (prev === null) t._grad = sparseLeafGrad(g);
    else {
      const was = swapGradEnabled(createGraph);
      try {
        t._grad = sumGrads(prev, g);
      } finally {
        swapGradEnabled(was);
      }
    }
    return;
  }
  if (prev === null) {
    // a fresh copy: the engine may hand the same tensor to several leaves; with createGraph,
    // recorded as PyTorch does: a copy into new storage (grad_fn=<CopyBackwards>) for a leaf,
    // a clone (CloneBackward0) for a retained gradient
    if (createGraph) t._grad = retained ? g.clone() : alloc(g.shape.slice(), g.dtype).copy_(g);
    else if (!retained && stealable(t, g, counted)) t._grad = g;
    else if (onDevice(g)) t._grad = noGrad(() => g.clone());
    else {
      firstGradCopies++;
      t._grad = wrap(castData(g, g.dtype), g.shape.slice(), g.dtype);
    }
  } else if (createGraph || prev.requiresGrad) {
    const was = swapGradEnabled(createGraph);
    try {
      t._grad = prev.add(g);
    } finally {
      swapGradEnabled(was);
    }
  } else if (prev.dtype === g.dtype && prev.isContiguous() && shapeEqual(prev.shape, g.shape)) {
    // fast path: in-place add on the owned, contiguous .grad (any layout of g)
    F.addInto(prev, g);
    prev._version.value++;
  } else {
    noGrad(() => prev.add_(g));
  }
}
