/**
 * In-place ops. Each computes its result out of place from a "shadow" of self (self's graph
 * identity, with a copy of its values only when the op's derivative saves `self`), writes the
 * result into self's storage, bumps the version counter and moves self's history to the new
 * node, as PyTorch's rebase_history does. Views of the modified storage rebuild their own
 * history when next read (Note [view regeneration]).
 */
import { Tensor, setViewGradFnRegenerator, type VersionCounter } from "../tensor.js";
import { DType, bool, int64 } from "../dtype.js";
import { isGradEnabled, isInferenceModeEnabled } from "../autograd/grad-mode.js";
import { stridedOffsets } from "../backend/copy.js";
import { scalarTypeName, wrap, writeInto } from "./core.js";
import { indexPut } from "./advanced-indexing.js";
import { OpNode, gradientEdge, needsGrad, record } from "../autograd/function.js";
import { runtimeError } from "../errors.js";
import { contiguousStrides, shapeEqual } from "../shape.js";
import { SavedVariable, type Node } from "../autograd/node.js";
import { isForwardADActive, setInplaceTangent } from "../autograd/forward-ad.js";

function canCast(from: DType, to: DType): boolean {
  // PyTorch's can_cast: no float -> integral, no non-bool -> bool
  if (from.isFloatingPoint && !to.isFloatingPoint) return false;
  if (from !== bool && to === bool) return false;
  return true;
}

/**
 * Raise PyTorch's errors for in-place ops on leaves that require grad (and their views), and
 * on views that may not be modified in place (check_inplace).
 */
export function checkInplace(self: Tensor): void {
  if (!isGradEnabled()) return;
  // a view that requires grad (PyTorch counts a view whose base requires grad) made under
  // noGrad / inferenceMode or by split: Note [view regeneration]
  const base = self._base;
  if (
    base !== null &&
    self._creationMeta !== "default" &&
    (self._gradFn !== null || base.requiresGrad)
  )
    throw viewRebaseError(self, false);
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
  checkOverlap = true,
): Tensor {
  checkInplace(self);
  if (checkOverlap) assertNoInternalOverlap(self);
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
  // an operand required grad: the view's history must be rebuilt (Note [view regeneration])
  if (r.gradFn !== null && self._base !== null && self._creationMeta !== "default")
    throw viewRebaseError(self, false);
  checkInferenceWrite(self);
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

/**
 * Note [inference tensors]: an inference tensor is written (in place or as out=) only inside
 * inferenceMode. PyTorch raises when bumping the version, after the kernel's own checks (and
 * after it wrote); here before writing, so a failed call changes nothing.
 */
export function checkInferenceWrite(t: Tensor): void {
  if (t._inference && !isInferenceModeEnabled()) {
    throw runtimeError(
      "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details.",
    );
  }
}

/** retainGrad follows the tensor to its new node, as PyTorch moves its retains_grad hook. */
export function moveRetainGrad(self: Tensor, node: Node, outputNr: number): void {
  const prev = self._gradFn?.retainGradTargets;
  if (prev != null && prev.get(self.outputNr) === self) prev.delete(self.outputNr);
  (node.retainGradTargets ??= new Map()).set(outputNr, self);
}

// writeInto lives in core.ts, below autograd recording (forward-ad.ts writes tangents with it)
export { writeInto } from "./core.js";

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
  const coords = viewCoordinates(view, base);
  inplace(base, false, (prev) => indexPut(prev, coords, r, false, "CopySlices"));
  // the view now reads the base's new history at its positions
  view.gradFn = null;
  view.outputNr = 0;
  if (needsGrad(base)) {
    const v = viewOfBase(view, base);
    if (v.op === "asStrided") record("asStrided", view, [base], {}, v.attrs);
    else if (v.op === "expand") record("expand", view, [base], {}, v.attrs, "AsStridedBackward0");
    else record("index", view, [base], { indices: coords }, v.attrs, "AsStridedBackward0");
  }
}

/**
 * Each element's coordinates in `base` (one int64 tensor of the view's shape per base dim),
 * for any layout of the base: a storage offset is a row-major position when the base is
 * contiguous, else it is looked up among the base's own offsets.
 */
function viewCoordinates(view: Tensor, base: Tensor): Tensor[] {
  const offs = stridedOffsets(view.shape, view.strides, view.offset);
  const n = offs.length;
  const pos = new Float64Array(n);
  if (base.isContiguous()) {
    for (let k = 0; k < n; k++) pos[k] = offs[k] - base.offset;
  } else {
    const baseOffs = stridedOffsets(base.shape, base.strides, base.offset);
    const at = new Map<number, number>();
    for (let k = baseOffs.length - 1; k >= 0; k--) at.set(baseOffs[k], k);
    for (let k = 0; k < n; k++) pos[k] = at.get(offs[k]) as number;
  }
  const rowMajor = contiguousStrides(base.shape);
  return base.shape.map((size, d) => {
    const c = new Float64Array(n);
    for (let k = 0; k < n; k++) c[k] = Math.floor(pos[k] / rowMajor[d]) % size;
    return wrap(c, view.shape.slice(), int64);
  });
}

type ViewOfBase =
  | {
      op: "asStrided";
      attrs: { name: string; shape: number[]; strides: number[]; offset: number };
    }
  | { op: "index"; attrs: { nIndices: number } }
  | { op: "expand"; attrs: Record<string, never> };

/**
 * How a node named AsStridedBackward0 takes the base's gradient to the view's elements: an
 * `asStrided` (its backward scatters into zeros; strides relative to the contiguous base)
 * when the base is contiguous and no two view elements share memory; otherwise an `index`
 * at the elements' coordinates (its backward accumulates, so shared elements sum); a 0-dim
 * base's views (every element is the one value) as an `expand`, summed back by the engine.
 */
function viewOfBase(view: Tensor, base: Tensor): ViewOfBase {
  const overlaps = hasInternalOverlap(view);
  if (!overlaps && base.isContiguous()) {
    const attrs = {
      name: "AsStridedBackward0",
      shape: view.shape.slice(),
      strides: view.strides.slice(),
      offset: view.offset - base.offset,
    };
    return { op: "asStrided", attrs };
  }
  if (base.dim() === 0) return { op: "expand", attrs: {} };
  return { op: "index", attrs: { nIndices: base.dim() } };
}

/**
 * Note [view regeneration]: a view shares its base's version counter and remembers the
 * counter's value when its grad_fn was set (`_viewVersion`, PyTorch's attr_version). An
 * in-place op on the base or on another view moves the counter, so the view's recorded history
 * describes values that are gone. Reading `gradFn` then rebuilds it, as PyTorch's
 * VariableHooks::grad_fn: a node named AsStridedBackward0 from the base's current history to
 * the view's elements (built directly, in any grad mode, without touching tangents), unless
 * the view neither had a grad_fn nor has a base that requires grad. Views made under noGrad,
 * under inferenceMode, or by an op returning several views (CreationMeta) raise PyTorch's
 * error instead, here and when modified in place themselves (checkInplace). retainGrad moves
 * to the new node; hooks registered on the old node stay there, as in PyTorch 1.13.
 */
export function regenerateViewGradFn(view: Tensor): Node | null {
  const base = view._base as Tensor;
  const old = view._gradFn;
  if (old === null && !base.requiresGrad) return null;
  if (view._creationMeta !== "default") throw viewRebaseError(view, true);
  const e = gradientEdge(base);
  const edges = [
    { node: e.node, inputNr: e.inputNr, shape: base.shape, dtypeName: base.dtype.name },
  ];
  const v = viewOfBase(view, base);
  let node: Node;
  if (v.op === "index") {
    // coordinates held for backward only: not a tensor the user saved (no hooks, any mode)
    const saved = viewCoordinates(view, base).map((c) => new SavedVariable(c, true));
    const n = new OpNode("index", edges, { indices: saved }, v.attrs, "AsStridedBackward0");
    n.outputDtypeProbe = view;
    node = n;
  } else if (v.op === "expand") {
    const n = new OpNode("expand", edges, {}, v.attrs, "AsStridedBackward0");
    n.outputDtypeProbe = view;
    node = n;
  } else {
    const n = new OpNode("asStrided", edges, {}, v.attrs);
    n.outputDtypeProbe = view;
    node = n;
  }
  if (view._retainsGrad) moveRetainGrad(view, node, 0);
  view._gradFn = node;
  view.outputNr = 0;
  view._viewVersion = (view._versionCounter as VersionCounter).value;
  return node;
}
setViewGradFnRegenerator(regenerateViewGradFn);

/**
 * PyTorch's handle_view_on_rebase: the error for a view that is not a "default" view
 * (Tensor._creationMeta) whose history would have to be rebuilt, because it is being modified
 * in place (`indirect` false) or its base or another view was.
 */
export function viewRebaseError(view: Tensor, indirect: boolean): Error {
  const meta = view._creationMeta;
  const fn = view._gradFn;
  const modified = indirect ? "its base or another view of its base has been" : "is being";
  let msg: string;
  if (meta === "inference" || meta === "noGrad" || fn === null) {
    const prefix =
      fn !== null
        ? `Output ${view.outputNr} of ${fn.name()} is a view of a view which was created in`
        : "A view was created in";
    msg =
      meta === "inference"
        ? `${prefix} inference mode and ${modified} modified inplace in normal mode.`
        : `${prefix} no_grad mode and ${modified} modified inplace with grad mode enabled.`;
  } else {
    msg = `Output ${view.outputNr} of ${fn.name()} is a view and ${modified} modified inplace.`;
  }
  if (meta === "multiOutput") {
    msg +=
      " This view is the output of a function that returns multiple views. Such functions do not allow the output views to be modified inplace. You should replace the inplace operation by an out-of-place one.";
  } else {
    const block = meta === "inference" ? "inference_mode" : "no_grad";
    msg += ` Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either both inside the ${block} block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).`;
  }
  return runtimeError(msg);
}

/**
 * PyTorch's has_internal_overlap, answering only "yes" or "not known to": a dim of size > 1
 * with stride 0 (an expanded tensor) makes several elements one memory location. Other
 * overlapping layouts (PyTorch's TOO_HARD) are let through, as PyTorch does.
 */
export function hasInternalOverlap(t: Tensor): boolean {
  const shape = t.shape;
  const strides = t.strides;
  let overlap = false;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 0) return false;
    if (strides[i] === 0 && shape[i] > 1) overlap = true;
  }
  return overlap;
}

/** PyTorch's assert_no_internal_overlap, which its in-place kernels run on their output. */
export function assertNoInternalOverlap(t: Tensor): void {
  if (hasInternalOverlap(t)) {
    throw runtimeError(
      "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.",
    );
  }
}
