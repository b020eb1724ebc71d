/**
 * Forward-mode AD (torch.autograd.forward_ad): dual tensors carry a tangent next to their
 * value, and every op propagates it with its rule from `jvps.ts` as it runs.
 *
 * Note [forward AD state]: as PyTorch 1.13, one dual level at a time. A tensor's tangent lives
 * in `t._fwGrad`, tagged with the epoch of the level that set it (`t._fwLevel`); each level gets
 * a fresh epoch, so exiting a level drops every tangent of that level at once (they become
 * invisible, and are freed with their tensors). `propagating` is the hot-path flag read by
 * `needsGrad`/`record` (function.ts): true while a level is active and propagation is not
 * suspended. When it is false, forward AD costs the ops that one check.
 *
 * Note [in-place tangents]: an in-place op writes its result's tangent into self's tangent in
 * place when self has one of the same layout (so views of self, whose tangents are views of
 * it, see the change, as in PyTorch); an in-place op on a view without a tangent gives the base
 * a (zero) tangent with the base's layout and writes through the matching view of it. Rules of
 * non-view ops never return storage shared with an input tangent (record clones), so writing
 * into a tangent never reaches an unrelated tensor. When a tangent has a reverse-mode graph,
 * it is replaced instead of written into.
 */
import { Tensor } from "../tensor.js";
import { promoteTypes, type DType } from "../dtype.js";
import { runtimeError } from "../errors.js";
import { shapeEqual } from "../shape.js";
import { isGradEnabled } from "./grad-mode.js";
import { writeInto } from "../ops/core.js";
import type { Op, OpDefs } from "./derivatives.js";
import type { Jvp } from "./jvps.js";

let epochCounter = 0;
/** epoch of the active dual level; 0: none */
let levelEpoch = 0;
/** Note [forward AD state]: a level is active and tangents propagate */
let propagating = false;

/** The rules as a Map (a keyed load on the big table is slow), built on first use. */
let JVPS: Map<Op, Jvp<Op>> | null = null;
/**
 * The rules of jvps.ts and its view ops, which add themselves when loaded (src/install.ts):
 * they are written with ops, a layer above this one.
 */
let TABLE_JVPS: { readonly [K in Op]?: Jvp<K> } = {};
let VIEW_OPS: ReadonlySet<Op> = new Set<Op>();

/** Whether ops must propagate tangents (the one check ops pay when no level is active). */
export function isForwardADActive(): boolean {
  return propagating;
}

/** Whether a dual level is active (PyTorch's `_current_level >= 0`). */
export function isDualLevelActive(): boolean {
  return levelEpoch !== 0;
}

/** @internal PyTorch's level number: 0 inside a dual level, -1 outside. */
export function currentLevel(): number {
  return levelEpoch === 0 ? -1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Tangent access (also the helpers for custom autograd Functions)

/**
 * The tangent of `t` at the active dual level, or null (none, or no level is active).
 * @example
 * const fwAD = torch.autograd.forwardAd;
 * fwAD.dualLevel(() => {
 *   const x = fwAD.makeDual(torch.tensor([1, 2]), torch.tensor([1, 0]));
 *   console.log(String(getTangent(x))); // tensor([1., 0.]): the tangent given to makeDual
 * });
 */
export function getTangent(t: Tensor): Tensor | null {
  const g = t._fwGrad;
  return g !== null && t._fwLevel === levelEpoch ? g : null;
}

/** Whether `t` has a tangent at the active dual level. */
export function hasTangent(t: Tensor): boolean {
  return t._fwGrad !== null && t._fwLevel === levelEpoch;
}

function setRaw(t: Tensor, tangent: Tensor | null): void {
  t._fwGrad = tangent;
  t._fwLevel = tangent === null ? 0 : levelEpoch;
}

/** @internal */
export function sizeMismatch(primal: Tensor, tangent: Tensor): Error {
  return runtimeError(
    `Trying to set a forward gradient that has a different size than that of the original Tensor, this is not supported. Tensor is of size [${primal.shape.join(", ")}] while the given forward gradient is of size [${tangent.shape.join(", ")}].`,
  );
}

/** @internal */
export function noLevelError(): Error {
  return runtimeError(
    "Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() first.",
  );
}

/**
 * Set (or with null, remove) the tangent of `t` in place at the active dual level: for custom
 * Functions whose `jvp` computed their outputs' tangents. Checks as makeDual.
 * @example
 * torch.autograd.forwardAd.dualLevel(() => {
 *   const out = torch.zeros(2);
 *   setTangent(out, torch.ones(2)); // out is now a dual tensor
 * });
 */
export function setTangent(t: Tensor, tangent: Tensor | null): void {
  if (levelEpoch === 0) throw noLevelError();
  if (tangent !== null) {
    if (!shapeEqual(t.shape, tangent.shape)) throw sizeMismatch(t, tangent);
    if (hasTangent(tangent)) throw nestedTangentError();
  }
  setRaw(t, tangent);
}

/** Whether any of `inputs` has a tangent at the active level. */
export function anyTangent(inputs: readonly (Tensor | null | undefined)[]): boolean {
  if (levelEpoch === 0) return false;
  for (const t of inputs) if (t != null && hasTangent(t)) return true;
  return false;
}

/**
 * Run `fn` with tangent propagation off (inside a level; tangents stay attached), e.g. for the
 * forward of a custom Function whose `jvp` computes the output tangents itself.
 * @example
 * const fwAD = torch.autograd.forwardAd;
 * fwAD.dualLevel(() => {
 *   const x = fwAD.makeDual(torch.ones(2), torch.ones(2));
 *   const out = noForwardGrad(() => x.mul(2)); // out has no tangent
 * });
 */
export function noForwardGrad<T>(fn: () => T): T {
  const prev = propagating;
  propagating = false;
  try {
    return fn();
  } finally {
    propagating = prev;
  }
}

// ---------------------------------------------------------------------------------------------
// The dispatch hooks (called by function.ts while `propagating`)

/** needsGrad with a level active: recording (grad mode, requiresGrad) or a tangent. */
export function needsGradOrTangent(
  a: Tensor | null | undefined,
  b: Tensor | null | undefined,
): boolean {
  const ge = isGradEnabled();
  if (a != null && ((ge && a.requiresGrad) || hasTangent(a))) return true;
  return b != null && ((ge && b.requiresGrad) || hasTangent(b));
}

export function anyNeedsGradOrTangent(inputs: readonly (Tensor | null | undefined)[]): boolean {
  const ge = isGradEnabled();
  for (const t of inputs) if (t != null && ((ge && t.requiresGrad) || hasTangent(t))) return true;
  return false;
}

/** Whether a backward node must be built (grad mode on and an input requires grad). */
export function needsNode(inputs: readonly (Tensor | null | undefined)[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t != null && t.requiresGrad) return true;
  return false;
}

/** The rule table of jvps.ts and the ops whose output is a view of input 0. */
export function registerJvpTable(rules: { [K in Op]: Jvp<K> }, viewOps: ReadonlySet<Op>): void {
  TABLE_JVPS = rules;
  VIEW_OPS = viewOps;
  JVPS = null;
}

/** JVP rules of registry ops (src/registry/define.ts), keyed by their schema's name. */
const REGISTERED_JVPS = new Map<Op, Jvp<Op>>();
export function registerJvp(key: Op, rule: Jvp<Op>): void {
  REGISTERED_JVPS.set(key, rule);
  JVPS?.set(key, rule);
}

/**
 * Give the (floating or complex) outputs of `op` their tangents from its rule, when an input
 * has one. The rule runs with propagation suspended; its result is expanded to the output's
 * shape, promoted to the output's dtype and, for non-view ops, never shares an input
 * tangent's storage (Note [in-place tangents]).
 */
export function recordTangents<K extends Op>(
  op: K,
  outputs: Tensor | Tensor[],
  inputs: readonly (Tensor | null | undefined)[],
  save: object,
  attrs: OpDefs[K]["attrs"],
): void {
  const n = inputs.length;
  const tangents = new Array<Tensor | null>(n);
  let any = false;
  for (let i = 0; i < n; i++) {
    const x = inputs[i];
    const g = x == null ? null : getTangent(x);
    tangents[i] = g;
    if (g !== null) any = true;
  }
  if (!any) return;
  JVPS ??= new Map<Op, Jvp<Op>>([
    ...(Object.entries(TABLE_JVPS) as [Op, Jvp<Op>][]),
    ...REGISTERED_JVPS,
  ]);
  const rule = JVPS.get(op) as unknown as Jvp<K>;
  const isView = VIEW_OPS.has(op);
  const prev = propagating;
  propagating = false;
  try {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- K is erased here; `outputs` and `save` match the op by construction (record's signature)
    const res = rule(tangents, inputs, outputs as any, attrs, save as any) as
      Tensor | null | (Tensor | null)[];
    if (Array.isArray(outputs)) {
      const list = res as (Tensor | null)[];
      for (let k = 0; k < outputs.length; k++) {
        const o = outputs[k];
        const g = list[k];
        if (g != null && o.dtype.differentiable) setRaw(o, fit(g, o, tangents, isView));
      }
    } else if (res !== null && outputs.dtype.differentiable) {
      setRaw(outputs, fit(res as Tensor, outputs, tangents, isView));
    }
  } finally {
    propagating = prev;
  }
}

/** A rule's result as the output's tangent: its shape, a dtype it promotes to, own storage. */
function fit(
  g: Tensor,
  out: Tensor,
  inputTangents: readonly (Tensor | null)[],
  isView: boolean,
): Tensor {
  let r = g;
  // broadcasting: materialize, as PyTorch (a tangent never has overlapping memory)
  if (!shapeEqual(r.shape, out.shape)) r = r.expand(out.shape.slice()).contiguous();
  if (r.dtype !== out.dtype) {
    const d = promoteTypes(r.dtype, out.dtype);
    if (d !== r.dtype) r = r.to(d);
  }
  if (!isView) {
    for (let i = 0; i < inputTangents.length; i++) {
      const ti = inputTangents[i];
      if (ti !== null && ti.typedArray === r.typedArray) {
        r = r.clone();
        break;
      }
    }
  }
  return r;
}

/**
 * Note [in-place tangents]: after `self` was overwritten by an in-place op whose out-of-place
 * result has tangent `rt`, make `rt` self's tangent.
 */
export function setInplaceTangent(self: Tensor, rt: Tensor): void {
  const cur = getTangent(self);
  if (cur !== null && writable(cur, self, rt)) {
    writeTangent(cur, rt);
    return;
  }
  const base = self._base;
  let bt = base === null ? null : getTangent(base);
  if (base !== null && !rt.requiresGrad && (bt === null || !bt.requiresGrad)) {
    if (bt === null || !writable(bt, base, rt)) {
      const fresh = emptyStrided(base, bt?.dtype ?? base.dtype);
      if (bt !== null) writeInto(fresh, bt);
      setRaw(base, fresh);
      bt = fresh;
    }
    // the view of the base's tangent at self's position (same layout as the base)
    const view = new Tensor(
      bt.typedArray,
      self.shape.slice(),
      self.strides.slice(),
      bt.offset + (self.offset - base.offset),
      bt.dtype,
      bt._version,
      bt._base ?? bt,
    );
    writeTangent(view, rt);
    setRaw(self, view);
    return;
  }
  setRaw(self, rt);
}

/** Whether `rt` may be written into tangent `t` of `primal` (same layout, no graphs). */
function writable(t: Tensor, primal: Tensor, rt: Tensor): boolean {
  return (
    !t.requiresGrad &&
    !rt.requiresGrad &&
    shapeEqual(t.shape, primal.shape) &&
    shapeEqual(t.strides, primal.strides)
  );
}

function writeTangent(t: Tensor, values: Tensor): void {
  writeInto(t, values);
  t._version.value++;
}

/** @internal Zeros with `p`'s shape and strides (PyTorch's empty_strided), in their own storage. */
export function emptyStrided(p: Tensor, dtype: DType): Tensor {
  let span = 1;
  for (let i = 0; i < p.shape.length; i++) {
    if (p.shape[i] === 0) {
      span = 0;
      break;
    }
    span += (p.shape[i] - 1) * p.strides[i];
  }
  return new Tensor(new dtype.ArrayType(span), p.shape.slice(), p.strides.slice(), 0, dtype);
}

// ---------------------------------------------------------------------------------------------
// Public API: torch.autograd.forwardAd

/** A guard that exits the dual level when disposed (`using _ = forwardAd.dualLevel()`). */
export interface DualLevelGuard extends Disposable {
  /** the level entered (always 0: PyTorch supports one level) */
  readonly level: number;
  /** exit the level (same as disposing) */
  exit(): void;
}

/**
 * forward_ad.enter_dual_level(): start a dual level and return it (0). Prefer dualLevel().
 * @example
 * const fwAD = torch.autograd.forwardAd;
 * const level = fwAD.enterDualLevel(); // 0
 * const x = fwAD.makeDual(torch.ones(2), torch.ones(2));
 * fwAD.exitDualLevel();
 */
export function enterDualLevel(): number {
  if (levelEpoch !== 0) throw runtimeError("Nested forward mode AD is not supported at the moment");
  levelEpoch = ++epochCounter;
  propagating = true;
  return 0;
}

/**
 * forward_ad.exit_dual_level(level?): end the dual level; every tangent made in it is dropped.
 * @example
 * const fwAD = torch.autograd.forwardAd;
 * fwAD.enterDualLevel();
 * fwAD.exitDualLevel(); // tangents made at the level are dropped
 */
export function exitDualLevel(opts: { level?: number } = {}): void {
  const cur = currentLevel();
  const level = opts.level ?? cur;
  if (level !== cur) {
    throw runtimeError(
      "Trying to exit a forward AD level that was not the last one that was created. This is not supported.",
    );
  }
  if (level < 0) throw runtimeError("Dual level must be a positive number.");
  levelEpoch = 0;
  propagating = false;
}

/**
 * forward_ad.dual_level(): run `fn` inside a dual level and return its result (tangents are
 * dropped when it returns, or when its promise settles); with no argument, a guard for `using`.
 * @example
 * const fwAD = torch.autograd.forwardAd;
 * const jvp = fwAD.dualLevel(() => {
 *   const x = fwAD.makeDual(torch.tensor([1, 2]), torch.tensor([1, 0]));
 *   return fwAD.unpackDual(x.sin()).tangent; // cos(x) * [1, 0]
 * });

 */
export function dualLevel<T>(fn: (level: number) => T): T;
export function dualLevel(): DualLevelGuard;
export function dualLevel<T>(fn?: (level: number) => T): T | DualLevelGuard {
  const level = enterDualLevel();
  const epoch = levelEpoch;
  let done = false;
  const exit = (): void => {
    // a guard exits only the level it entered
    if (done || levelEpoch !== epoch) return;
    done = true;
    exitDualLevel();
  };
  if (fn === undefined) return { level, exit, [Symbol.dispose]: exit };
  let result: T;
  try {
    result = fn(level);
  } catch (e) {
    exit();
    throw e;
  }
  if (result instanceof Promise) return result.finally(exit) as T;
  exit();
  return result;
}

/** forward_ad.make_dual / unpack_dual's optional level. */
export interface LevelOptions {
  /** The dual level the tangent belongs to (default: the innermost active level). */
  level?: number;
}

/** @internal */
export function nestedTangentError(): Error {
  return runtimeError(
    "Setting a forward grad that itself has a forward gradient at the same level0 is not supported.",
  );
}
