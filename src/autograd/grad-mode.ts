/**
 * Grad modes: whether ops record the graph. One global flag, as PyTorch's thread-local
 * GradMode (JavaScript runs one task at a time), plus per-task modes for async callbacks
 * (Note [async grad mode]).
 */
import type { AsyncLocalStorage } from "node:async_hooks";

let gradEnabled = true;
let inferenceEnabled = false;

/**
 * Note [async grad mode]: `noGrad(async () => ...)` (and enableGrad / inferenceMode) runs the
 * async function inside an AsyncLocalStorage scope holding its own mode, so the mode survives
 * its awaits and does not leak into tasks that interleave with it. A scope lives until its
 * promise settles; afterwards work it left behind (timers, un-awaited promises) sees the
 * enclosing mode again. While no scope is alive, `asyncScopes === 0` and the mode is the two
 * module variables above: `isGradEnabled()` (on every op's path) only pays for one extra
 * comparison, and the storage is disabled, so Node's promise hooks cost nothing either.
 * Synchronous mode changes inside a scope (sync callbacks, guards, the engine) write to that
 * scope's mode. Without AsyncLocalStorage (browsers), async callbacks keep the old global
 * behaviour: the mode is set for everyone until the promise settles.
 */
interface AsyncMode {
  grad: boolean;
  inference: boolean;
  /** the scope this one was opened in (null: the global mode) */
  parent: AsyncMode | null;
  /** false once the scope's promise settled */
  open: boolean;
}
type StorageCtor = new () => AsyncLocalStorage<AsyncMode>;

let asyncScopes = 0;
let storage: AsyncLocalStorage<AsyncMode> | null = null;
let Storage: StorageCtor | null = loadStorage();
const AsyncFunction = (async () => {}).constructor;
let warnedPromise = false;

/** AsyncLocalStorage where the runtime has it, found at run time (the browser build has none). */
function loadStorage(): StorageCtor | null {
  type Proc = { getBuiltinModule?: (id: string) => unknown; versions?: { node?: string } };
  const proc = (globalThis as { process?: Proc }).process;
  try {
    const mod = proc?.getBuiltinModule?.("node:async_hooks") as
      { AsyncLocalStorage?: StorageCtor } | undefined;
    if (mod?.AsyncLocalStorage !== undefined) return mod.AsyncLocalStorage;
  } catch {
    // not Node
  }
  if (proc?.versions?.node !== undefined) {
    // Node < 20.16 has no getBuiltinModule: import it (ready long before the first await)
    const id = "node:async_hooks";
    import(/* webpackIgnore: true */ /* @vite-ignore */ id).then(
      (m: { AsyncLocalStorage: StorageCtor }) => {
        Storage = m.AsyncLocalStorage;
      },
      () => {},
    );
  }
  return null;
}

/** The innermost open async scope of the running task; null: the global mode applies. */
function activeScope(): AsyncMode | null {
  let s = storage?.getStore() ?? null;
  while (s !== null && !s.open) s = s.parent;
  return s;
}

/** Set both modes where the running code's mode lives (its async scope, else global). */
function writeMode(target: AsyncMode | null, grad: boolean, inference: boolean): void {
  if (target === null) {
    gradEnabled = grad;
    inferenceEnabled = inference;
  } else {
    target.grad = grad;
    target.inference = inference;
  }
}

function currentTarget(): AsyncMode | null {
  return asyncScopes === 0 ? null : activeScope();
}

/** Run an async function in its own scope (Note [async grad mode]). */
function runScoped<T>(grad: boolean, inference: boolean, fn: () => T, ctor: StorageCtor): T {
  const st = (storage ??= new ctor());
  const scope: AsyncMode = { grad, inference, parent: currentTarget(), open: true };
  asyncScopes++;
  const close = (): void => {
    scope.open = false;
    if (--asyncScopes === 0) st.disable(); // no promise hooks while no scope is alive
  };
  let result: T;
  try {
    result = st.run(scope, fn);
  } catch (e) {
    close();
    throw e;
  }
  return (result as Promise<unknown>).finally(close) as T;
}

// `using` guards need Symbol.dispose, which Node 20 does not define yet.
const symbolCtor = Symbol as unknown as { dispose?: symbol };
if (symbolCtor.dispose === undefined) symbolCtor.dispose = Symbol.for("Symbol.dispose");

/** A guard that restores the previous mode when disposed (`using _ = torch.noGrad()`). */
export interface ModeGuard extends Disposable {
  /** restore the previous mode (same as disposing) */
  exit(): void;
}

/** Set the grad mode and return the previous one (internal; no guard object). */
export function swapGradEnabled(flag: boolean): boolean {
  if (asyncScopes === 0) {
    const prev = gradEnabled;
    gradEnabled = flag;
    return prev;
  }
  const target = activeScope();
  const prev = target === null ? gradEnabled : target.grad;
  writeMode(target, flag, target === null ? inferenceEnabled : target.inference);
  return prev;
}

/**
 * torch.is_grad_enabled(): whether ops record the graph here (in this async scope, if any).
 * @example torch.noGrad(() => torch.isGradEnabled()) // false
 */
export function isGradEnabled(): boolean {
  // hot path: one comparison unless an async scope is alive (Note [async grad mode])
  return asyncScopes === 0 ? gradEnabled : (activeScope()?.grad ?? gradEnabled);
}

/**
 * torch.is_inference_mode_enabled().
 * @example torch.inferenceMode(() => torch.isInferenceModeEnabled()) // true
 */
export function isInferenceModeEnabled(): boolean {
  return asyncScopes === 0 ? inferenceEnabled : (activeScope()?.inference ?? inferenceEnabled);
}

/**
 * torch.set_grad_enabled(flag). Inside an async scope (Note [async grad mode]) it sets that
 * scope's mode.
 * @example const x = torch.ones(2, { requiresGrad: true }); torch.setGradEnabled(false); const y = x.mul(2); torch.setGradEnabled(true); y.requiresGrad // false
 */
export function setGradEnabled(flag: boolean): ModeGuard {
  const target = currentTarget();
  const prev = isGradEnabled();
  const inference = isInferenceModeEnabled();
  writeMode(target, Boolean(flag), inference);
  return guard(() => {
    if (target === null) gradEnabled = prev;
    else target.grad = prev;
  });
}

function guard(restore: () => void): ModeGuard {
  let done = false;
  const exit = (): void => {
    if (!done) {
      done = true;
      restore();
    }
  };
  return { exit, [Symbol.dispose]: exit };
}

function withMode<T>(
  enabled: boolean,
  inference: boolean | null,
  fn: (() => T) | undefined,
): T | ModeGuard {
  const target = currentTarget();
  const prevGrad = target === null ? gradEnabled : target.grad;
  const prevInf = target === null ? inferenceEnabled : target.inference;
  const inf = inference ?? prevInf;
  if (fn !== undefined && Storage !== null && fn.constructor === AsyncFunction) {
    return runScoped(enabled, inf, fn, Storage);
  }
  writeMode(target, enabled, inf);
  const restore = (): void => writeMode(target, prevGrad, prevInf);
  if (fn === undefined) return guard(restore);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) {
    // Without AsyncLocalStorage (browsers) the mode stays set, for every task, until the
    // promise settles. With it, only an async function gets its own scope: a plain function
    // returning a promise had the mode for its synchronous part only.
    if (Storage === null) return result.finally(restore) as T;
    restore();
    if (!warnedPromise) {
      warnedPromise = true;
      console.warn(
        "UserWarning: noGrad/enableGrad/inferenceMode was given a function that is not async but returned a Promise: the mode applied to its synchronous part only. Pass an async function to keep the mode across awaits.",
      );
    }
    return result;
  }
  restore();
  return result;
}

/**
 * torch.no_grad(): run `fn` without recording the graph and return its result; with no
 * argument, return a guard for `using`. Given an async function, in Node, the mode holds across
 * its awaits for that task alone (Note [async grad mode]).
 * @example const x = torch.ones(2, { requiresGrad: true }); const y = torch.noGrad(() => x.mul(2)); y.requiresGrad // false
 * @example
 * const model = new torch.nn.Linear(3, 1);
 * const nextBatch = async () => torch.randn(4, 3);
 * const loss = await torch.noGrad(async () => model.call(await nextBatch()).sum());
 * loss.requiresGrad; // false: grad mode stays off across the await

 */
export function noGrad<T>(fn: () => T): T;
export function noGrad(): ModeGuard;
export function noGrad<T>(fn?: () => T): T | ModeGuard {
  return withMode(false, null, fn);
}

/**
 * torch.enable_grad(): run `fn` with recording on (inside noGrad, for example).
 * @example torch.noGrad(() => torch.enableGrad(() => torch.ones(2, { requiresGrad: true }).mul(2))).requiresGrad // true
 */
export function enableGrad<T>(fn: () => T): T;
export function enableGrad(): ModeGuard;
export function enableGrad<T>(fn?: () => T): T | ModeGuard {
  return withMode(true, null, fn);
}

/**
 * torch.inference_mode(): like noGrad, for code that will never need gradients.
 *
 * Note [inference tensors]: every tensor made while the mode is on is an inference tensor
 * (`Tensor._inference`, set by the constructor; a view is one exactly when its base is, so a
 * view of a normal tensor made in the mode is normal, and in-place ops in the mode do not
 * change what a tensor is). Outside the mode an inference tensor cannot be saved for backward
 * (SavedVariable's constructor), updated in place (`inplace()`, after the kernel's own checks,
 * as PyTorch's version-counter bump; unlike PyTorch nothing is written first) or made to
 * require grad (`requiresGrad_`), each with PyTorch's message.
 * @example const y = torch.inferenceMode(() => torch.ones(2).mul(2)); y.isInference() // true
 */
export function inferenceMode<T>(fn: () => T): T;
export function inferenceMode(): ModeGuard;
export function inferenceMode<T>(fn?: () => T): T | ModeGuard {
  return withMode(false, true, fn);
}
