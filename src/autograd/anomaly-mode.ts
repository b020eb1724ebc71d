/**
 * Anomaly detection (torch.autograd.detect_anomaly / set_detect_anomaly).
 *
 * Note [anomaly metadata]: while the mode is on, every node records the JS stack of the
 * forward call that created it (and, for nodes created during a backward with `createGraph`,
 * the node whose backward created it). The engine then prints that stack when a node's
 * backward throws, and checks every node's output gradients for NaN. While the mode is off
 * the only cost is one boolean test per created node.
 *
 * This module has no value imports: node.ts and engine.ts depend on it.
 */
import type { Tensor } from "../tensor.js";
import type { ModeGuard } from "./grad-mode.js";

/** Whether anomaly detection is on (read by the Node constructor; a live ESM binding). */
export let anomalyEnabled = false;
/** Whether the engine checks gradients for NaN while the mode is on. */
let checkNanEnabled = true;

/** What a node remembers in anomaly mode. */
export interface AnomalyMetadata {
  /** `new Error().stack` at the node's creation */
  stack: string | undefined;
  /** the node whose backward created this node (createGraph), if any */
  parent: AnomalyNode | null;
}

/** The part of a Node this module uses (a structural type: no import of node.ts). */
export interface AnomalyNode {
  name(): string;
  anomaly?: AnomalyMetadata;
}

/** The node whose backward is running (anomaly mode only): the parent of nodes it creates. */
let executing: AnomalyNode | null = null;

/** Record the forward stack of a node being created (called by Node's constructor). */
export function recordAnomalyMetadata(node: AnomalyNode): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack;
  Error.stackTraceLimit = limit;
  node.anomaly = { stack, parent: executing };
}

/**
 * Whether anomaly detection is enabled (torch.is_anomaly_enabled()).
 * @example torch.autograd.isAnomalyEnabled() // false
 */
export function isAnomalyEnabled(): boolean {
  return anomalyEnabled;
}

/** Whether NaN checks are on (anomaly mode with checkNan). */
export function isAnomalyCheckNanEnabled(): boolean {
  return anomalyEnabled && checkNanEnabled;
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

function setMode(enabled: boolean, checkNan: boolean): () => void {
  const prev = anomalyEnabled;
  const prevNan = checkNanEnabled;
  anomalyEnabled = enabled;
  checkNanEnabled = checkNan;
  return () => {
    anomalyEnabled = prev;
    checkNanEnabled = prevNan;
  };
}

/**
 * torch.autograd.set_detect_anomaly(mode, check_nan=True): turn anomaly detection on or off.
 * Returns a guard that restores the previous setting (for `using`), so both the call form and
 * the scoped form work.
 * @example
 * torch.autograd.setDetectAnomaly(true);
 * // ... forward and backward: a NaN gradient now throws, naming the op and its forward stack
 * torch.autograd.setDetectAnomaly(false);
 */
export function setDetectAnomaly(mode: boolean, checkNan = true): ModeGuard {
  return guard(setMode(Boolean(mode), checkNan));
}

/** Options of detectAnomaly. */
export interface DetectAnomalyOptions {
  /** check each node's output gradients for NaN (default true) */
  checkNan?: boolean;
}

const ENABLED_WARNING =
  "UserWarning: Anomaly Detection has been enabled. This mode will increase the runtime and " +
  "should only be enabled for debugging.";

/**
 * torch.autograd.detect_anomaly(): run `fn` with anomaly detection on and return its result
 * (restored when `fn` returns, throws or, for an async `fn`, settles); with no function,
 * return a guard for `using`. Warns, as PyTorch, that the mode is slow.
 * @example
 * const x = torch.tensor([0, 1], { requiresGrad: true });
 * try {
 *   torch.autograd.detectAnomaly(() => {
 *     const y = x.div(x); // 0/0 at x[0]
 *     y.sum().backward(); // throws "Function 'DivBackward0' returned nan values in its 1th output."
 *   });
 * } catch (e) {
 *   console.log((e as Error).message);
 * }

 * // or: using _ = torch.autograd.detectAnomaly();
 */
export function detectAnomaly<T>(fn: () => T, opts?: DetectAnomalyOptions): T;
export function detectAnomaly(opts?: DetectAnomalyOptions): ModeGuard;
export function detectAnomaly<T>(
  fnOrOpts?: (() => T) | DetectAnomalyOptions,
  opts?: DetectAnomalyOptions,
): T | ModeGuard {
  const fn = typeof fnOrOpts === "function" ? fnOrOpts : undefined;
  const o = (typeof fnOrOpts === "function" ? opts : fnOrOpts) ?? {};
  console.warn(ENABLED_WARNING);
  const restore = setMode(true, o.checkNan ?? true);
  if (fn === undefined) return guard(restore);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

// ------------------------------------------------------------------------------------------
// Reporting (used by the engine while the mode is on)

/**
 * The file URL and path prefixes of this library's own modules (src/ or dist/); null where this
 * module's URL has no parent to resolve against (a bundle run as an inline, `data:` or `blob:`
 * script in a page: `new URL("../", "about:blank")` throws), and then no frame is taken for the
 * library's by its location.
 */
const OWN = ownPrefixes();
function ownPrefixes(): { url: string; path: string } | null {
  try {
    const u = new URL("../", import.meta.url);
    return { url: u.href, path: decodeURIComponent(u.pathname) };
  } catch {
    return null;
  }
}

/**
 * The frames of a recorded stack that belong to the user's code: drops the "Error" line,
 * this library's own frames and Node's internals, so the top frame is the user's call.
 */
export function userFrames(stack: string | undefined): string[] {
  if (stack === undefined) return [];
  return stack
    .split("\n")
    .slice(1)
    .filter(
      (l) =>
        (OWN === null || (!l.includes(OWN.url) && !l.includes(OWN.path))) &&
        !l.includes("node:internal") &&
        !l.includes("(native)"),
    );
}

/**
 * The text PyTorch warns with when a node's backward fails in anomaly mode:
 * "Error detected in DivBackward0. Traceback of forward call that caused the error: ...",
 * followed by the "Previous calculation was induced by ..." chain of parent nodes.
 */
export function forwardTraceback(node: AnomalyNode): string {
  const parts: string[] = [];
  let n: AnomalyNode | null = node;
  let first = true;
  while (n !== null) {
    const meta: AnomalyMetadata | undefined = n.anomaly;
    const name = n.name();
    if (meta === undefined) {
      if (first) {
        parts.push(
          `Error detected in ${name}. No forward pass information available. Enable detect ` +
            `anomaly during forward pass for more information.`,
        );
      }
      break;
    }
    const frames = userFrames(meta.stack).join("\n");
    parts.push(
      first
        ? `Error detected in ${name}. Traceback of forward call that caused the error:\n${frames}`
        : `\n\nPrevious calculation was induced by ${name}. Traceback of forward call that ` +
            `induced the previous calculation:\n${frames}`,
    );
    first = false;
    n = meta.parent;
  }
  return parts.join("\n");
}

/** Print the forward traceback of `node` as PyTorch's UserWarning does. */
export function warnForwardTraceback(node: AnomalyNode): void {
  console.warn(`UserWarning: ${forwardTraceback(node)}`);
}

/**
 * Run `node.apply(gradOutputs)` in anomaly mode: nodes created meanwhile (createGraph) record
 * `node` as their parent, and a failure prints the forward traceback before it propagates.
 */
export function applyWithAnomaly<N extends AnomalyNode, G>(node: N, apply: () => G): G {
  const prev = executing;
  executing = node;
  try {
    return apply();
  } catch (e) {
    attachTraceback(e, node);
    throw e;
  } finally {
    executing = prev;
  }
}

/** Print the traceback once per error, and keep it on the error as `forwardTraceback`. */
function attachTraceback(e: unknown, node: AnomalyNode): void {
  if (typeof e !== "object" || e === null || "forwardTraceback" in e) return;
  const text = forwardTraceback(node);
  (e as { forwardTraceback?: string }).forwardTraceback = text;
  console.warn(`UserWarning: ${text}`);
}

/** Whether a tensor holds a NaN (floating dtypes only; reads its strided elements). */
function hasNaN(t: Tensor): boolean {
  if (!t.dtype.isFloatingPoint) return false;
  const { typedArray, shape, strides } = t;
  const nd = shape.length;
  let n = 1;
  for (let d = 0; d < nd; d++) n *= shape[d];
  if (n === 0) return false;
  const idx = new Array<number>(nd).fill(0);
  let off = t.offset;
  for (let k = 0; k < n; k++) {
    if (Number.isNaN(typedArray[off])) return true;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return false;
}

/**
 * PyTorch's NaN check of a node's outputs in anomaly mode: throws
 * "Function 'DivBackward0' returned nan values in its 1th output." after printing the forward
 * traceback of the node (the error also carries it as `forwardTraceback`).
 */
export function checkNanGradients(node: AnomalyNode, grads: readonly (Tensor | null)[]): void {
  for (let i = 0; i < grads.length; i++) {
    const g = grads[i];
    if (g !== null && g !== undefined && hasNaN(g)) {
      const e = new Error(`Function '${node.name()}' returned nan values in its ${i}th output.`);
      attachTraceback(e, node);
      throw e;
    }
  }
}
