/**
 * Saved-tensor hooks (torch.autograd.graph.saved_tensors_hooks): a stack of (pack, unpack)
 * pairs. While a pair is on top, every tensor saved for backward (SavedVariable's
 * constructor, node.ts) is passed to `pack` and only the packed value is kept; `unpack`
 * turns it back into a tensor when backward needs it.
 *
 * No value imports besides grad-mode: node.ts depends on this module.
 */
import type { Tensor } from "../tensor.js";
import { noGrad, type ModeGuard } from "./grad-mode.js";

/** `pack(tensor)` -> anything; `unpack(packed)` -> a tensor with the same values. */
export interface SavedTensorsHooks<P = unknown> {
  pack: (t: Tensor) => P;
  unpack: (packed: P) => Tensor;
}

/** Hooks in effect, innermost last. */
const stack: SavedTensorsHooks[] = [];
/** set by disableSavedTensorsHooks: the error registering hooks raises */
let disabledMessage: string | null = null;

/** The hooks a tensor saved now goes through (null: save the tensor itself). */
export function currentSavedTensorsHooks(): SavedTensorsHooks | null {
  return stack.length === 0 ? null : stack[stack.length - 1];
}

/**
 * Call a pack hook as PyTorch does: with grad mode off (ops in it record nothing and so save
 * nothing) and without the hooks themselves (no recursion).
 */
export function callPackHook(hooks: SavedTensorsHooks, t: Tensor): unknown {
  const saved = stack.splice(0, stack.length);
  try {
    return noGrad(() => hooks.pack(t));
  } finally {
    stack.push(...saved);
  }
}

/** A guard for `using` that also has PyTorch's handle-style `remove()`. */
export interface HooksGuard extends ModeGuard {
  /** same as exit(): pop these hooks */
  remove(): void;
}

function makeGuard(restore: () => void): HooksGuard {
  let done = false;
  const exit = (): void => {
    if (done) return;
    done = true;
    restore();
  };
  return { exit, remove: exit, [Symbol.dispose]: exit };
}

function scoped<T>(g: HooksGuard, fn: (() => T) | undefined): T | HooksGuard {
  if (fn === undefined) return g;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    g.exit();
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => g.exit()) as T;
  g.exit();
  return result;
}

/**
 * torch.autograd.graph.saved_tensors_hooks(pack, unpack): run `fn` with these hooks on every
 * tensor saved for backward and return its result; without `fn`, return a guard (`using`, or
 * call `.remove()`). `pack` runs when the tensor is saved (with grad mode off), `unpack` when
 * backward uses it; the unpacked tensor keeps the saved one's place in the graph.
 * @example
 * // keep saved tensors as float64 copies
 * const x = torch.randn(3, { requiresGrad: true });
 * const y = torch.autograd.graph.savedTensorsHooks(
 *   (t) => t.double(),
 *   (p) => p.float(),
 *   () => x.exp().mul(x),
 * );
 * y.sum().backward();
 * // or: using _ = torch.autograd.graph.savedTensorsHooks(pack, unpack);
 */
export function savedTensorsHooks<P, T>(
  pack: (t: Tensor) => P,
  unpack: (packed: P) => Tensor,
  fn: () => T,
): T;
export function savedTensorsHooks<P>(
  pack: (t: Tensor) => P,
  unpack: (packed: P) => Tensor,
): HooksGuard;
export function savedTensorsHooks<P, T>(
  pack: (t: Tensor) => P,
  unpack: (packed: P) => Tensor,
  fn?: () => T,
): T | HooksGuard {
  if (typeof pack !== "function" || typeof unpack !== "function")
    throw new TypeError("saved_tensors_hooks(): pack_hook and unpack_hook must be callables");
  if (disabledMessage !== null) throw new Error(disabledMessage);
  const entry = { pack, unpack } as SavedTensorsHooks;
  stack.push(entry);
  const g = makeGuard(() => {
    const i = stack.lastIndexOf(entry);
    if (i >= 0) stack.splice(i, 1);
  });
  return scoped(g, fn);
}

/**
 * torch.autograd.graph.disable_saved_tensors_hooks(message): while active, registering
 * saved-tensor hooks throws `message` (and entering it while hooks are active throws it too),
 * for features that do not work with them.
 * @example
 * const x = torch.randn(3, { requiresGrad: true });
 * const y = torch.autograd.graph.disableSavedTensorsHooks("no hooks here", () => x.exp());

 */
export function disableSavedTensorsHooks<T>(message: string, fn: () => T): T;
export function disableSavedTensorsHooks(message: string): HooksGuard;
export function disableSavedTensorsHooks<T>(message: string, fn?: () => T): T | HooksGuard {
  if (stack.length > 0) throw new Error(message);
  const prev = disabledMessage;
  disabledMessage = message;
  return scoped(
    makeGuard(() => {
      disabledMessage = prev;
    }),
    fn,
  );
}
