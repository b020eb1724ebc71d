/**
 * Grad modes: whether ops record the graph. One global flag, as PyTorch's thread-local
 * GradMode (JavaScript runs one task at a time; see the README for async code).
 */

let gradEnabled = true;
let inferenceEnabled = false;

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
  const prev = gradEnabled;
  gradEnabled = flag;
  return prev;
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

export function isInferenceModeEnabled(): boolean {
  return inferenceEnabled;
}

/**
 * torch.set_grad_enabled(flag).
 * @example torch.setGradEnabled(false); const y = x.mul(2); torch.setGradEnabled(true);
 */
export function setGradEnabled(flag: boolean): ModeGuard {
  const prev = gradEnabled;
  gradEnabled = Boolean(flag);
  return guard(() => {
    gradEnabled = prev;
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
  inference: boolean,
  fn: (() => T) | undefined,
): T | ModeGuard {
  const prevGrad = gradEnabled;
  const prevInf = inferenceEnabled;
  gradEnabled = enabled;
  inferenceEnabled = inference;
  const restore = (): void => {
    gradEnabled = prevGrad;
    inferenceEnabled = prevInf;
  };
  if (fn === undefined) return guard(restore);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) {
    // The mode applies to the synchronous part of an async function; it is restored when the
    // promise settles.
    return result.finally(restore) as T;
  }
  restore();
  return result;
}

/**
 * torch.no_grad(): run `fn` without recording the graph and return its result; with no
 * argument, return a guard for `using`.
 * @example const y = torch.noGrad(() => x.mul(2)); // y.requiresGrad === false
 */
export function noGrad<T>(fn: () => T): T;
export function noGrad(): ModeGuard;
export function noGrad<T>(fn?: () => T): T | ModeGuard {
  return withMode(false, inferenceEnabled, fn);
}

/**
 * torch.enable_grad(): run `fn` with recording on (inside noGrad, for example).
 * @example torch.noGrad(() => torch.enableGrad(() => x.mul(2))).requiresGrad === true
 */
export function enableGrad<T>(fn: () => T): T;
export function enableGrad(): ModeGuard;
export function enableGrad<T>(fn?: () => T): T | ModeGuard {
  return withMode(true, inferenceEnabled, fn);
}

/**
 * torch.inference_mode(): like noGrad, for code that will never need gradients.
 * @example const y = torch.inferenceMode(() => model.forward(x));
 */
export function inferenceMode<T>(fn: () => T): T;
export function inferenceMode(): ModeGuard;
export function inferenceMode<T>(fn?: () => T): T | ModeGuard {
  return withMode(false, true, fn);
}
