/**
 * torch.autograd.forward_ad's public functions. `makeDual` and `unpackDual` record their aliases
 * with the ops layer, so they live above it; the tangent state and its propagation through ops
 * (forward-ad.ts) sit below it.
 */
import { Tensor } from "../tensor.js";
import { shapeEqual } from "../shape.js";
import { runtimeError } from "../errors.js";
import { makeView } from "../ops/views.js";
import { writeInto } from "../ops/core.js";
import { record } from "./function.js";
import {
  anyTangent,
  currentLevel,
  dualLevel,
  emptyStrided,
  enterDualLevel,
  exitDualLevel,
  getTangent,
  hasTangent,
  isDualLevelActive,
  needsNode,
  nestedTangentError,
  noForwardGrad,
  noLevelError,
  setTangent,
  sizeMismatch,
  type LevelOptions,
} from "./forward-ad.js";

/**
 * forward_ad.make_dual(tensor, tangent): a view of `tensor` carrying `tangent` (used as is when
 * it has the primal's layout, else copied into it). Differentiable in reverse mode.
 * @example
 * torch.autograd.forwardAd.dualLevel(() => {
 *   const x = forwardAd.makeDual(torch.tensor([1, 2]), torch.tensor([1, 0]));
 * });
 */
export function makeDual(tensor: Tensor, tangent: Tensor, opts: LevelOptions = {}): Tensor {
  if (!(tensor instanceof Tensor) || !(tangent instanceof Tensor))
    throw new TypeError("make_dual(): expected Tensor arguments");
  const level = opts.level ?? currentLevel();
  if (level < 0) throw noLevelError();
  // Python's ValueError; RangeError is the closest built-in (as for indexing)
  if (!tensor.dtype.isFloatingPoint && !tensor.dtype.isComplex)
    throw new RangeError(
      `Expected primal to be floating point or complex, but got: torch.${tensor.dtype.name}`,
    );
  if (!tangent.dtype.isFloatingPoint && !tangent.dtype.isComplex)
    throw new RangeError(
      `Expected tangent to be floating point or complex, but got: torch.${tangent.dtype.name}`,
    );
  if (hasTangent(tensor))
    throw runtimeError(
      `Making a dual Tensor based on a Tensor that already has a forward gradient at the same level ${level} is not supported.`,
    );
  if (level !== currentLevel()) throw runtimeError("Invalid level given to _make_dual");
  if (hasTangent(tangent)) throw nestedTangentError();
  if (!shapeEqual(tensor.shape, tangent.shape)) throw sizeMismatch(tensor, tangent);
  // the alias (ViewBackward0 in reverse mode); the primal has no tangent, so none propagates
  const out = makeView(tensor, tensor.shape.slice(), tensor.strides.slice(), tensor.offset);
  if (needsNode([tensor])) record("view", out, [tensor], {}, { name: "ViewBackward0" });
  let tg = tangent;
  if (!shapeEqual(tg.strides, tensor.strides) && !tg.requiresGrad && !hasOverlap(tensor)) {
    // PyTorch keeps the tangent when its layout matches the primal's, else copies it into one
    const copy = emptyStrided(tensor, tg.dtype);
    writeInto(copy, tg);
    tg = copy;
  }
  setTangent(out, tg); // checked above: a level is active, same size, tg has no tangent
  return out;
}

/** forward_ad.unpack_dual's result (PyTorch's UnpackedDualTensor). */
export interface UnpackedDual {
  /** a view of the tensor without its tangent */
  primal: Tensor;
  /** its tangent at the level, as is; null when it has none */
  tangent: Tensor | null;
}

/**
 * forward_ad.unpack_dual(tensor): its primal (a view without the tangent) and its tangent.
 * Outside a dual level, the tensor itself and null.
 * @example
 * torch.autograd.forwardAd.dualLevel(() => {
 *   const x = forwardAd.makeDual(torch.tensor([1, 2]), torch.tensor([1, 0]));
 *   const { primal, tangent } = forwardAd.unpackDual(x.mul(3)); // tangent: tensor([3., 0.])
 * });
 */
export function unpackDual(tensor: Tensor, opts: LevelOptions = {}): UnpackedDual {
  const level = opts.level ?? currentLevel();
  if (level < 0) return { primal: tensor, tangent: null };
  const valid = level === currentLevel();
  // (PyTorch checks the level only for a tensor that has a tangent)
  if (!valid && hasTangent(tensor)) throw runtimeError("Invalid level given to _fw_primal");
  const primal = makeView(tensor, tensor.shape.slice(), tensor.strides.slice(), tensor.offset);
  if (needsNode([tensor])) {
    // reverse mode sees an identity (PyTorch's torch::autograd::Identity); no tangent
    noForwardGrad(() => record("view", primal, [tensor], {}, { name: "Identity" }));
  }
  return { primal, tangent: valid ? getTangent(tensor) : null };
}

/**
 * torch.autograd.forwardAd: forward-mode AD with dual tensors.
 * @example
 * const fwAD = torch.autograd.forwardAd;
 * fwAD.dualLevel(() => {
 *   const x = fwAD.makeDual(torch.tensor([1, 2]), torch.tensor([1, 1]));

 *   fwAD.unpackDual(x.mul(x)).tangent; // tensor([2., 4.])
 * });
 */
export const forwardAd = {
  /** forward_ad.dual_level: runs fn inside a new dual level (tangents live while it runs). */
  dualLevel,
  /** forward_ad.make_dual(tensor, tangent, { level }): a dual tensor carrying the tangent. */
  makeDual,
  /** forward_ad.unpack_dual(tensor, { level }): `{ primal, tangent }` (tangent null if none). */
  unpackDual,
  /** forward_ad.enter_dual_level(): opens a dual level and returns its number. */
  enterDualLevel,
  /** forward_ad.exit_dual_level({ level }): closes the level, dropping its tangents. */
  exitDualLevel,
  /** The tangent a tensor carries at the current level, or null. */
  getTangent,
  /** Sets a tensor's tangent at the current level. */
  setTangent,
  /** Whether a tensor carries a tangent at the current level. */
  hasTangent,
  /** Whether any of the tensors carries a tangent. */
  anyTangent,
  /** Runs fn with forward gradients off (tangents are not propagated). */
  noForwardGrad,
  /** Whether a dual level is open. */
  isDualLevelActive,
};

function hasOverlap(t: Tensor): boolean {
  for (let i = 0; i < t.shape.length; i++) if (t.strides[i] === 0 && t.shape[i] > 1) return true;
  return false;
}
