/**
 * In-place ops. Each computes its result out of place from a "shadow" of self (self's graph
 * identity, with a copy of its values only when the op's derivative saves `self`), writes the
 * result into self's storage, bumps the version counter and moves self's history to the new
 * node, as PyTorch's rebase_history does.
 */
import { Tensor } from "../tensor.js";
import { DType, bool, int64 } from "../dtype.js";
import { isGradEnabled } from "../autograd/grad-mode.js";
import { scatter, stridedOffsets } from "../backend/cpu.js";
import { castData, scalarTypeName, wrap } from "./core.js";
import { indexPut } from "./indexing.js";
import { needsGrad, record } from "../autograd/function.js";
import { runtimeError } from "../errors.js";
import { contiguousStrides, shapeEqual } from "../shape.js";
import type { Node } from "../autograd/node.js";
import { isForwardADActive, setInplaceTangent } from "../autograd/forward-ad.js";

function canCast(from: DType, to: DType): boolean {
  // PyTorch's can_cast: no float -> integral, no non-bool -> bool
  if (from.isFloatingPoint && !to.isFloatingPoint) return false;
  if (from !== bool && to === bool) return false;
  return true;
}

/** Raise PyTorch's errors for in-place ops on leaves that require grad (and their views). */
export function checkInplace(self: Tensor): void {
  if (!isGradEnabled()) return;
  if (self.gradFn === null && self.requiresGrad) {
    if (self._base !== null && self._base.requiresGrad) {
      throw runtimeError(
        "a view of a leaf Variable that requires grad is being used in an in-place operation.",
      );
    }
    throw runtimeError(
      "a leaf Variable that requires grad is being used in an in-place operation.",
    );
  }
  if (
    self._base !== null &&
    self._base.requiresGrad &&
    self._base.gradFn === null &&
    self.gradFn !== null
  ) {
    throw runtimeError(
      "a view of a leaf Variable that requires grad is being used in an in-place operation.",
    );
  }
}

/**
 * Run `compute` on self's shadow and write the result into self.
 * `copySelf`: whether the op's derivative saves `self` (then the shadow owns a copy).
 */
export function inplace(
  self: Tensor,
  copySelf: boolean,
  compute: (prev: Tensor) => Tensor,
): Tensor {
  checkInplace(self);
  const prev = self._shadow(copySelf && isGradEnabled());
  const r = compute(prev);
  if (!canCast(r.dtype, self.dtype)) {
    throw runtimeError(
      `result type ${scalarTypeName(r.dtype)} can't be cast to the desired output type ${scalarTypeName(self.dtype)}`,
    );
  }
  if (!shapeEqual(r.shape, self.shape)) {
    throw runtimeError(
      `output with shape [${self.shape.join(", ")}] doesn't match the broadcast shape [${r.shape.join(", ")}]`,
    );
  }
  if (r.gradFn !== null && self._base !== null) {
    copySlices(self, r);
    return self;
  }
  writeInto(self, r);
  self._version.value++;
  if (r.gradFn !== null) {
    if (self._retainsGrad) moveRetainGrad(self, r.gradFn, r.outputNr);
    self.gradFn = r.gradFn;
    self.outputNr = r.outputNr;
  }
  // forward AD: the tangent moves along (Note [in-place tangents] in forward-ad.ts)
  if (isForwardADActive() && r._fwGrad !== null) setInplaceTangent(self, r._fwGrad);
  return self;
}

/** retainGrad follows the tensor to its new node, as PyTorch moves its retains_grad hook. */
export function moveRetainGrad(self: Tensor, node: Node, outputNr: number): void {
  const prev = self.gradFn?.retainGradTargets;
  if (prev != null && prev.get(self.outputNr) === self) prev.delete(self.outputNr);
  (node.retainGradTargets ??= new Map()).set(outputNr, self);
}

/** Copy r's values (cast to self's dtype) into self's possibly strided storage. */
export function writeInto(self: Tensor, r: Tensor): void {
  const data = castData(r, self.dtype);
  if (self.isContiguous()) self.typedArray.set(data, self.offset);
  else scatter(data, self.typedArray, self);
}

/**
 * Note [CopySlices]: an in-place op on a view records its result into the view's *base*, as
 * PyTorch's CopySlices does: the base's history moves to a node that writes the result `r`
 * at the view's positions (an index_put with one coordinate tensor per base dim, so its
 * backward is the indexing machinery's), and the view becomes a strided view of the base's
 * new history. Gradients then flow to the base's earlier history for the untouched positions
 * and through `r` for the written ones.
 */
function copySlices(view: Tensor, r: Tensor): void {
  const base = view._base as Tensor;
  if (!base.isContiguous()) {
    throw runtimeError(
      "in-place operations on a view of a non-contiguous tensor that requires grad are not supported; apply the operation to a contiguous tensor or use an out-of-place op",
    );
  }
  // the view's elements as row-major positions in the base, then as coordinates per dim
  const offs = stridedOffsets(view.shape, view.strides, view.offset);
  const baseStrides = contiguousStrides(base.shape);
  const coords = base.shape.map((size, d) => {
    const c = new Float64Array(offs.length);
    for (let k = 0; k < offs.length; k++) {
      c[k] = Math.floor((offs[k] - base.offset) / baseStrides[d]) % size;
    }
    return wrap(c, view.shape.slice(), int64);
  });
  inplace(base, false, (prev) => indexPut(prev, coords, r, false, "CopySlices"));
  // the view now reads the base's new history at its positions
  const rel = { strides: view.strides.slice(), offset: view.offset - base.offset };
  view.gradFn = null;
  view.outputNr = 0;
  if (needsGrad(base)) {
    record(
      "asStrided",
      view,
      [base],
      {},
      {
        name: "AsStridedBackward0",
        shape: view.shape.slice(),
        strides: rel.strides,
        offset: rel.offset,
      },
    );
  }
}
