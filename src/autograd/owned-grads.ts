/**
 * Note [stolen gradients]: PyTorch's AccumulateGrad makes a leaf's first gradient the tensor
 * the backward produced, without a copy, when nothing else can see that tensor (its use count:
 * only the engine holds it) and it has the leaf's layout; otherwise it clones. JavaScript has no
 * use count, so the formulas whose result is a fresh tensor nobody else holds say so here
 * (`ownGradient`: the products of mm's backward, a whole new matrix each, 4 MB at n = 1024) and
 * the engine forgets the claim wherever user code could take a reference: gradients a hook, a
 * custom Function's backward or an autograd.grad capture sees, and the root gradients handed
 * to backward (`disownGradients`). accumulateGrad then takes an owned, contiguous, unviewed
 * gradient as the leaf's `.grad` (once: a second leaf given the same tensor copies it).
 * Claims live for one outermost backward run (`endClaims`); a run that made none (a small
 * graph without products) pays no set look-ups.
 */
import type { Tensor } from "../tensor.js";

let owned = new WeakSet<Tensor>();
/** claims made in this run (an upper bound on the set's size) */
let claims = 0;

/** Claim: `t` is a fresh result only the engine holds (returns `t`). */
export function ownGradient(t: Tensor): Tensor {
  owned.add(t);
  claims++;
  return t;
}

/** Forget the claim on each gradient (user code may now hold it). */
export function disownGradients(gs: readonly (Tensor | null | undefined)[]): void {
  if (claims === 0) return;
  for (let i = 0; i < gs.length; i++) {
    const g = gs[i];
    if (g !== null && g !== undefined) owned.delete(g);
  }
}

/** Whether `g` was claimed; the claim is used up (true at most once per claim). */
export function takeOwnedGradient(g: Tensor): boolean {
  return claims !== 0 && owned.delete(g);
}

/**
 * The end of an outermost backward run: its unused claims lapse (their tensors were dropped,
 * or copied into `.grad`; none can reach a later run's accumulation unseen).
 */
export function endClaims(): void {
  if (claims === 0) return;
  owned = new WeakSet<Tensor>();
  claims = 0;
}
