/**
 * Automatic mixed precision as a CPU-only PyTorch 1.13 has it: `torch.autocast` (CPU regions
 * compute the matrix products and convolutions in bfloat16, Note [autocast dispatch] in
 * registry/autocast.ts), `torch.cpu.amp.autocast`, and the CUDA forms, which warn and do nothing
 * without CUDA, as `torch.cuda.amp.GradScaler` does (a pass-through), so AMP training scripts
 * port line by line.
 */
import { DType, bfloat16, float16 } from "./dtype.js";
import { assertionError, attributeError, runtimeError, typeError } from "./errors.js";
import type { Tensor } from "./tensor.js";
import { pyTypeName } from "./ops/core.js";
import { autocastState, clearCastCache, writeCpuEnabled } from "./registry/autocast.js";
import type { ModeGuard } from "./autograd/grad-mode.js";

/** The warnings given so far: Python's default filter shows each once (one call site each). */
const warned = new Set<string>();

function warn(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`UserWarning: ${message}`);
}

/**
 * @internal Forget the warnings given (tests check each case's warnings, as the fixture's
 * `warnings.simplefilter("always")` shows them).
 */
export function resetAmpWarnings(): void {
  warned.clear();
}

/**
 * torch.is_autocast_cpu_enabled(): whether CPU autocast is on here.
 * @example torch.autocast("cpu", () => torch.isAutocastCpuEnabled()) // true
 */
export function isAutocastCpuEnabled(): boolean {
  return autocastState.cpu;
}

/**
 * torch.set_autocast_cpu_enabled(flag): turn CPU autocast on or off (what `torch.autocast`
 * does on entering and leaving a region).
 * @example
 * torch.setAutocastCpuEnabled(true);
 * torch.mm(torch.ones(2, 2), torch.ones(2, 2)).dtype; // torch.bfloat16
 * torch.setAutocastCpuEnabled(false);
 */
export function setAutocastCpuEnabled(flag: boolean): void {
  writeCpuEnabled(Boolean(flag));
}

/**
 * torch.get_autocast_cpu_dtype(): the lower-precision dtype of CPU autocast (bfloat16 unless
 * set).
 * @example torch.getAutocastCpuDtype() // torch.bfloat16
 */
export function getAutocastCpuDtype(): DType {
  return autocastState.cpuDtype;
}

/**
 * torch.set_autocast_cpu_dtype(dtype): bfloat16, the only dtype CPU autocast has in 1.13
 * (another raises PyTorch's RuntimeError).
 * @example torch.setAutocastCpuDtype(torch.bfloat16)
 */
export function setAutocastCpuDtype(dtype: DType): void {
  if (!(dtype instanceof DType))
    throw typeError(`dtype must be a torch.dtype (got ${pyTypeName(dtype)})`);
  if (dtype !== bfloat16)
    throw runtimeError("Currently, AutocastCPU only support Bfloat16 as the autocast_cpu_dtype");
  autocastState.cpuDtype = dtype;
}

/**
 * torch.is_autocast_enabled(): whether CUDA autocast is on (settable, never in effect: no CUDA).
 * @example torch.isAutocastEnabled() // false
 */
export function isAutocastEnabled(): boolean {
  return autocastState.gpu;
}

/**
 * torch.set_autocast_enabled(flag): the CUDA autocast flag (ops run on the CPU: no effect).
 * @example torch.setAutocastEnabled(false)
 */
export function setAutocastEnabled(flag: boolean): void {
  autocastState.gpu = Boolean(flag);
}

/**
 * torch.get_autocast_gpu_dtype(): CUDA autocast's dtype (float16 unless set).
 * @example torch.getAutocastGpuDtype() // torch.float16
 */
export function getAutocastGpuDtype(): DType {
  return autocastState.gpuDtype;
}

/**
 * torch.set_autocast_gpu_dtype(dtype).
 * @example torch.setAutocastGpuDtype(torch.float16)
 */
export function setAutocastGpuDtype(dtype: DType): void {
  if (!(dtype instanceof DType))
    throw typeError(`dtype must be a torch.dtype (got ${pyTypeName(dtype)})`);
  autocastState.gpuDtype = dtype;
}

/**
 * torch.is_autocast_cache_enabled(): whether casts of float32 leaf parameters are kept for the
 * rest of the outermost region.
 * @example torch.isAutocastCacheEnabled() // true
 */
export function isAutocastCacheEnabled(): boolean {
  return autocastState.cacheEnabled;
}

/**
 * torch.set_autocast_cache_enabled(flag).
 * @example torch.setAutocastCacheEnabled(true)
 */
export function setAutocastCacheEnabled(flag: boolean): void {
  autocastState.cacheEnabled = Boolean(flag);
}

/**
 * torch.clear_autocast_cache(): drop the cached casts (done when the outermost region exits).
 * @example torch.clearAutocastCache()
 */
export function clearAutocastCache(): void {
  clearCastCache();
}

/**
 * torch.autocast_increment_nesting(): one more open region; returns the new depth.
 * @example const depth = torch.autocastIncrementNesting(); torch.autocastDecrementNesting(); depth // 1
 */
export function autocastIncrementNesting(): number {
  return ++autocastState.nesting;
}

/**
 * torch.autocast_decrement_nesting(): one region fewer; returns the new depth.
 * @example torch.autocastIncrementNesting(); torch.autocastDecrementNesting() // 0
 */
export function autocastDecrementNesting(): number {
  return --autocastState.nesting;
}

/** `torch.autocast`'s options (PyTorch's keyword arguments, camelCased). */
export interface AutocastOptions {
  /** the lower-precision dtype (CPU: bfloat16 only; another disables autocast with a warning) */
  dtype?: DType | null;
  /** whether autocasting is on in the region (default true) */
  enabled?: boolean;
  /** whether casts of leaf float32 parameters are cached in the region (default: the current setting) */
  cacheEnabled?: boolean | null;
}

/**
 * A `torch.autocast` region (PyTorch's `autocast` object): `enter()` and `exit()` are its
 * `__enter__` and `__exit__`; `run(fn)` runs a function inside it; a guard returned by
 * `torch.autocast(...)` has already entered.
 */
export class AutocastMode implements ModeGuard {
  /** "cpu" or "cuda" */
  readonly device: string;
  /** the dtype the region sets */
  readonly fastDtype: DType;
  private readonly enabled: boolean;
  private readonly cacheEnabled: boolean;
  private prev = false;
  private prevDtype: DType = bfloat16;
  private prevCache = true;
  private entered = false;

  /**
   * PyTorch's `autocast.__init__(device_type, dtype=None, enabled=True, cache_enabled=None)`:
   * the checks and warnings happen here.
   * @example new torch.AutocastMode("cpu").run(() => torch.isAutocastCpuEnabled()) // true
   */
  constructor(deviceType: string, opts: AutocastOptions = {}) {
    this.device = deviceType;
    let fast: DType;
    if (deviceType === "cuda") fast = autocastState.gpuDtype;
    else if (deviceType === "cpu") fast = autocastState.cpuDtype;
    // PyTorch's xpu branch reads torch.xpu, which a CPU-only build lacks
    else if (deviceType === "xpu") throw attributeError("module 'torch' has no attribute 'xpu'");
    else throw runtimeError("User specified autocast device_type must be 'cuda' or 'cpu'");
    let cache = autocastState.cacheEnabled;
    let enabled = opts.enabled ?? true;
    if (enabled && deviceType === "cuda") {
      warn("User provided device_type of 'cuda', but CUDA is not available. Disabling");
      enabled = false;
    }
    if (opts.dtype != null) fast = opts.dtype;
    if (opts.cacheEnabled != null) cache = opts.cacheEnabled;
    if (deviceType === "cpu" && fast !== bfloat16) {
      warn(
        "In CPU autocast, but the target dtype is not supported. Disabling autocast.\nCPU Autocast only supports dtype of torch.bfloat16 currently.",
      );
      enabled = false;
    }
    // torch.cuda.is_bf16_supported() queries the device: without CUDA, its AssertionError
    if (deviceType === "cuda" && fast === bfloat16)
      throw assertionError("Torch not compiled with CUDA enabled");
    this.fastDtype = fast;
    this.enabled = enabled;
    this.cacheEnabled = cache;
  }

  /**
   * Enter the region (`__enter__`): set the device's flag and dtype and the cache setting. A
   * CPU region of another dtype than bfloat16 raises here (after turning CPU autocast off), as
   * PyTorch's `torch.set_autocast_cpu_dtype` does.
   * @example const m = new torch.AutocastMode("cpu"); m.enter(); m.exit();
   */
  enter(): this {
    this.prevCache = autocastState.cacheEnabled;
    if (this.device === "cpu") {
      this.prev = autocastState.cpu;
      this.prevDtype = autocastState.cpuDtype;
      writeCpuEnabled(this.enabled);
      // a region built with another dtype (it warned and is disabled) fails here, as in PyTorch
      setAutocastCpuDtype(this.fastDtype);
    } else {
      this.prev = autocastState.gpu;
      this.prevDtype = autocastState.gpuDtype;
      autocastState.gpuDtype = this.fastDtype;
      autocastState.gpu = this.enabled;
    }
    autocastState.nesting++;
    autocastState.cacheEnabled = this.cacheEnabled;
    this.entered = true;
    return this;
  }

  /**
   * Leave the region (`__exit__`): restore what `enter` found; the outermost region clears
   * the cast cache. A second call does nothing.
   * @example const m = torch.autocast("cpu"); m.exit(); torch.isAutocastCpuEnabled() // false
   */
  exit(): void {
    if (!this.entered) return;
    this.entered = false;
    if (--autocastState.nesting === 0) clearCastCache();
    if (this.device === "cpu") {
      writeCpuEnabled(this.prev);
      autocastState.cpuDtype = this.prevDtype;
    } else {
      autocastState.gpu = this.prev;
      autocastState.gpuDtype = this.prevDtype;
    }
    autocastState.cacheEnabled = this.prevCache;
  }

  /** Same as `exit()` (`using m = torch.autocast("cpu")`). */
  [Symbol.dispose](): void {
    this.exit();
  }

  /**
   * Run `fn` inside the region and return its result; a promise keeps the region (for every
   * task, as PyTorch's thread-local state in one thread) until it settles.
   * @example new torch.AutocastMode("cpu").run(() => torch.mm(torch.ones(1, 1), torch.ones(1, 1))).dtype // torch.bfloat16
   */
  run<T>(fn: () => T): T {
    this.enter();
    let r: T;
    try {
      r = fn();
    } catch (e) {
      this.exit();
      throw e;
    }
    if (r instanceof Promise) return r.finally(() => this.exit()) as T;
    this.exit();
    return r;
  }

  /**
   * The decorator form (`@torch.autocast("cpu")`): `fn` run inside a region on each call.
   * @example const f = new torch.AutocastMode("cpu").wrap(() => torch.isAutocastCpuEnabled()); f() // true
   */
  wrap<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return (...args: A) => this.run(() => fn(...args));
  }
}

type Fn<T> = () => T;
/** A positional argument of `torch.autocast` after the device (dtype, enabled, cacheEnabled), or its options. */
export type AutocastArg = DType | boolean | null | undefined | AutocastOptions;

const isFn = (v: unknown): v is Fn<unknown> => typeof v === "function";

const isOptionsObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !(v instanceof DType) && !Array.isArray(v);

const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Keyword arguments against a Python `__init__`'s (`qualname`), with CPython's errors for an
 * unknown name or one given positionally too.
 */
function checkKeywords(
  qualname: string,
  names: readonly string[],
  given: Record<string, unknown>,
  positional: number,
): void {
  for (const k of Object.keys(given)) {
    const at = names.indexOf(k);
    if (at < 0) throw typeError(`${qualname}() got an unexpected keyword argument '${k}'`);
    if (at < positional)
      throw typeError(`${qualname}() got multiple values for argument '${snake(k)}'`);
  }
}

/**
 * (dtype, enabled, cacheEnabled) or (enabled, dtype, cacheEnabled) positionally, or an options
 * object last, into options; `before` counts the positional parameters ahead of them in
 * Python's `__init__` (self, and torch.autocast's device_type), for CPython's count error.
 */
function parseOptions(
  names: readonly (keyof AutocastOptions)[],
  args: unknown[],
  before: number,
): AutocastOptions {
  const last = args[args.length - 1];
  const hasOpts = isOptionsObject(last);
  const positional = hasOpts ? args.slice(0, -1) : args;
  if (positional.length > names.length)
    throw typeError(
      `autocast.__init__() takes from ${before} to ${before + names.length} positional arguments but ${before + positional.length} were given`,
    );
  const opts: Record<string, unknown> = {};
  positional.forEach((v, i) => (opts[names[i]] = v));
  if (hasOpts) {
    checkKeywords("autocast.__init__", names, last, positional.length);
    Object.assign(opts, last);
  }
  return opts as AutocastOptions;
}

function autocastWith(device: string, names: readonly (keyof AutocastOptions)[], args: unknown[]) {
  const fn = args.length > 0 && isFn(args[args.length - 1]) ? args.pop() : undefined;
  const mode = new AutocastMode(device, parseOptions(names, args, 2));
  return fn === undefined ? mode.enter() : mode.run(fn as Fn<unknown>);
}

/**
 * torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None): with a function
 * last, run it in an autocast region and return its result; without, enter the region and
 * return it (`exit()` it, or `using`). Arguments positionally in PyTorch's order or as
 * options. CPU regions compute the matrix products and convolutions in bfloat16 and the
 * precision-sensitive ops in float32 (Note [autocast dispatch] in registry/autocast.ts);
 * "cuda" warns and does nothing without CUDA.
 * @example
 * const model = new torch.nn.Linear(4, 2);
 * const out = torch.autocast("cpu", () => model.call(torch.randn(3, 4)));
 * out.dtype; // torch.bfloat16
 * out.gradFn.name(); // "AddmmBackward0"
 * @example
 * const region = torch.autocast("cpu", { dtype: torch.bfloat16 });
 * torch.mm(torch.ones(2, 2), torch.ones(2, 2)).dtype; // torch.bfloat16
 * region.exit();
 */
export function autocast<T>(deviceType: string, fn: () => T): T;
export function autocast<T>(deviceType: string, opts: AutocastOptions, fn: () => T): T;
export function autocast<T>(
  deviceType: string,
  dtype: DType | null,
  enabled: boolean,
  cacheEnabled: boolean | null,
  fn: () => T,
): T;
export function autocast(deviceType: string, ...args: AutocastArg[]): AutocastMode;
export function autocast(deviceType: string, ...args: unknown[]): unknown {
  return autocastWith(deviceType, ["dtype", "enabled", "cacheEnabled"], args);
}

/** The options of `torch.cpu.amp.autocast` and `torch.cuda.amp.autocast`. */
export type DeviceAutocastOptions = AutocastOptions;

/**
 * torch.cpu.amp.autocast(enabled=True, dtype=torch.bfloat16, cache_enabled=True): the same
 * as `torch.autocast("cpu", ...)`, with these defaults and argument order.
 * @example torch.cpu.amp.autocast(() => torch.isAutocastCpuEnabled()) // true
 */
function cpuAutocast<T>(fn: () => T): T;
function cpuAutocast<T>(opts: DeviceAutocastOptions, fn: () => T): T;
function cpuAutocast(...args: AutocastArg[]): AutocastMode;
function cpuAutocast(...args: unknown[]): unknown {
  return deviceAutocast("cpu", bfloat16, args);
}

/**
 * torch.cuda.amp.autocast(enabled=True, dtype=torch.float16, cache_enabled=True): without
 * CUDA, PyTorch warns "User provided device_type of 'cuda', but CUDA is not available.
 * Disabling" and the region changes nothing; so here.
 * @example torch.cuda.amp.autocast(() => torch.mm(torch.ones(1, 1), torch.ones(1, 1))).dtype // torch.float32
 */
function cudaAutocast<T>(fn: () => T): T;
function cudaAutocast<T>(opts: DeviceAutocastOptions, fn: () => T): T;
function cudaAutocast(...args: AutocastArg[]): AutocastMode;
function cudaAutocast(...args: unknown[]): unknown {
  return deviceAutocast("cuda", float16, args);
}

function deviceAutocast(device: string, defaultDtype: DType, args: unknown[]): unknown {
  const fn = args.length > 0 && isFn(args[args.length - 1]) ? args.pop() : undefined;
  const o = parseOptions(["enabled", "dtype", "cacheEnabled"], args, 1);
  const mode = new AutocastMode(device, {
    enabled: o.enabled ?? true,
    dtype: o.dtype ?? defaultDtype,
    cacheEnabled: o.cacheEnabled ?? true,
  });
  return fn === undefined ? mode.enter() : mode.run(fn as Fn<unknown>);
}

/** An optimizer as GradScaler sees it: something with `step`. */
export interface Steppable {
  /** One optimization step (its arguments, a closure, as the optimizer takes them). */
  step(...args: never[]): unknown;
}

/** `GradScaler`'s options (PyTorch's keyword arguments, camelCased). */
export interface GradScalerOptions {
  /** the initial scale (PyTorch's default 2**16; unused when disabled) */
  initScale?: number;
  /** the scale's growth factor (default 2.0; unused when disabled) */
  growthFactor?: number;
  /** the scale's backoff factor (default 0.5; unused when disabled) */
  backoffFactor?: number;
  /** steps without inf/NaN before the scale grows (default 2000; unused when disabled) */
  growthInterval?: number;
  /** whether to scale (default true: warns and disables without CUDA) */
  enabled?: boolean;
}

const GRAD_SCALER_ARGS = [
  "initScale",
  "growthFactor",
  "backoffFactor",
  "growthInterval",
  "enabled",
] as const;

/**
 * torch.cuda.amp.GradScaler(init_scale=2.**16, growth_factor=2.0, backoff_factor=0.5,
 * growth_interval=2000, enabled=True) on a machine without CUDA: constructed enabled, it
 * warns "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling." and,
 * as with `enabled: false`, is a pass-through: `scale(loss)` returns `loss`, `step(opt)` calls
 * `opt.step()`, `unscale_` and `update` do nothing, `getScale()` is 1. As in PyTorch, a
 * disabled scaler keeps none of its factors: `getGrowthFactor()` & co. raise AttributeError
 * until set.
 * @example
 * const model = new torch.nn.Linear(2, 1);
 * const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1 });
 * const scaler = new torch.cuda.amp.GradScaler({ enabled: false });
 * scaler.scale(model.call(torch.ones(1, 2)).sum()).backward();
 * scaler.step(opt);
 * scaler.update();
 */
export class GradScaler {
  private readonly _enabled: boolean;
  private _growthFactor?: number;
  private _backoffFactor?: number;
  private _growthInterval?: number;

  /**
   * Arguments positionally in PyTorch's order or as options.
   * @example new torch.cuda.amp.GradScaler({ enabled: false }).isEnabled() // false
   */
  constructor(
    initScale: number | GradScalerOptions = 2 ** 16,
    growthFactor = 2.0,
    backoffFactor = 0.5,
    growthInterval = 2000,
    enabled = true,
  ) {
    if (arguments.length > 5)
      throw typeError(
        `GradScaler.__init__() takes from 1 to 6 positional arguments but ${arguments.length + 1} were given`,
      );
    if (typeof initScale === "object")
      checkKeywords(
        "GradScaler.__init__",
        GRAD_SCALER_ARGS,
        initScale as Record<string, unknown>,
        0,
      );
    const o: GradScalerOptions =
      typeof initScale === "object"
        ? initScale
        : { initScale, growthFactor, backoffFactor, growthInterval, enabled };
    if (o.enabled ?? true) {
      // amp_definitely_not_available(): no CUDA (and no torch_xla)
      warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.");
    }
    // enabled only where CUDA is available: never here, so the factors are not kept
    this._enabled = false;
  }

  /**
   * Multiply outputs by the scale: a disabled scaler returns them unmodified (the same object).
   * @example const loss = torch.ones(1); new torch.cuda.amp.GradScaler({ enabled: false }).scale(loss) === loss // true
   */
  scale<T>(outputs: T): T {
    return outputs;
  }

  /**
   * Divide the optimizer's gradients by the scale: nothing to do when disabled.
   * @example new torch.cuda.amp.GradScaler({ enabled: false }).unscale_(new torch.optim.SGD([torch.zeros(1, { requiresGrad: true })], { lr: 1 }))
   */
  unscale_(_optimizer: Steppable): void {
    return undefined;
  }

  /**
   * `optimizer.step(...args)` (a disabled scaler checks nothing) and its result.
   * @example new torch.cuda.amp.GradScaler({ enabled: false }).step(new torch.optim.SGD([torch.zeros(1, { requiresGrad: true })], { lr: 1 }))
   */
  step<O extends Steppable>(optimizer: O, ...args: Parameters<O["step"]>): ReturnType<O["step"]> {
    return optimizer.step(...args) as ReturnType<O["step"]>;
  }

  /**
   * Update the scale: nothing to do when disabled.
   * @example new torch.cuda.amp.GradScaler({ enabled: false }).update()
   */
  update(_newScale?: number | Tensor | null): void {
    return undefined;
  }

  /**
   * The current scale: 1.0 when disabled.
   * @example new torch.cuda.amp.GradScaler({ enabled: false }).getScale() // 1
   */
  getScale(): number {
    return 1.0;
  }

  /**
   * The growth factor (AttributeError on a disabled scaler until set, as in PyTorch).
   * @example const s = new torch.cuda.amp.GradScaler({ enabled: false }); s.setGrowthFactor(3); s.getGrowthFactor() // 3
   */
  getGrowthFactor(): number {
    return this.attr("_growth_factor", this._growthFactor);
  }

  /**
   * Set the growth factor.
   * @example new torch.cuda.amp.GradScaler({ enabled: false }).setGrowthFactor(2)
   */
  setGrowthFactor(newFactor: number): void {
    this._growthFactor = newFactor;
  }

  /**
   * The backoff factor (AttributeError on a disabled scaler until set).
   * @example const s = new torch.cuda.amp.GradScaler({ enabled: false }); s.setBackoffFactor(0.25); s.getBackoffFactor() // 0.25
   */
  getBackoffFactor(): number {
    return this.attr("_backoff_factor", this._backoffFactor);
  }

  /**
   * Set the backoff factor.
   * @example new torch.cuda.amp.GradScaler({ enabled: false }).setBackoffFactor(0.5)
   */
  setBackoffFactor(newFactor: number): void {
    this._backoffFactor = newFactor;
  }

  /**
   * The growth interval (AttributeError on a disabled scaler until set).
   * @example const s = new torch.cuda.amp.GradScaler({ enabled: false }); s.setGrowthInterval(10); s.getGrowthInterval() // 10
   */
  getGrowthInterval(): number {
    return this.attr("_growth_interval", this._growthInterval);
  }

  /**
   * Set the growth interval.
   * @example new torch.cuda.amp.GradScaler({ enabled: false }).setGrowthInterval(100)
   */
  setGrowthInterval(newInterval: number): void {
    this._growthInterval = newInterval;
  }

  /**
   * Whether the scaler scales: never without CUDA.
   * @example new torch.cuda.amp.GradScaler({ enabled: false }).isEnabled() // false
   */
  isEnabled(): boolean {
    return this._enabled;
  }

  /**
   * The scaler's state: empty when disabled.
   * @example Object.keys(new torch.cuda.amp.GradScaler({ enabled: false }).stateDict()).length // 0
   */
  stateDict(): Record<string, number> {
    return {};
  }

  /**
   * Load a state: a disabled scaler ignores it.
   * @example new torch.cuda.amp.GradScaler({ enabled: false }).loadStateDict({})
   */
  loadStateDict(_stateDict: Record<string, number>): void {
    return undefined;
  }

  private attr(name: string, v: number | undefined): number {
    if (v === undefined) throw attributeError(`'GradScaler' object has no attribute '${name}'`);
    return v;
  }
}

/** `customFwd`'s options (PyTorch's keyword argument, camelCased). */
export interface CustomFwdOptions {
  /** the dtype CUDA tensors are cast to when forward runs under CUDA autocast (no CUDA here) */
  castInputs?: DType | null;
}

/** A custom Function's `forward` or `backward`: `ctx` first. */
export type CtxFunction<A extends unknown[], R> = (ctx: object, ...args: A) => R;

const fwdUsedAutocast = "_fwdUsedAutocast";

function decorateFwd<A extends unknown[], R>(
  fwd: CtxFunction<A, R>,
  castInputs: DType | null,
): CtxFunction<A, R> {
  return (ctx: object, ...args: A): R => {
    const c = ctx as Record<string, unknown>;
    if (castInputs === null) {
      c[fwdUsedAutocast] = isAutocastEnabled();
      return fwd(ctx, ...args);
    }
    const on = isAutocastEnabled();
    c[fwdUsedAutocast] = false;
    // PyTorch casts the CUDA floating tensors to castInputs here: there are none
    if (on) return cudaAutocast({ enabled: false }, () => fwd(ctx, ...args));
    return fwd(ctx, ...args);
  };
}

/**
 * torch.cuda.amp.custom_fwd(fwd, cast_inputs=None): a custom Function's forward that records
 * on `ctx._fwdUsedAutocast` whether CUDA autocast was on (so `customBwd` runs backward in the
 * same state); with `castInputs`, forward runs with CUDA autocast off. Without CUDA the flag is
 * `torch.isAutocastEnabled()`, false unless set. Called with options only, it returns the
 * decorator.
 * @example
 * class Double extends torch.autograd.Function {
 *   static forward = torch.cuda.amp.customFwd((ctx: object, x: torch.Tensor) => x.mul(2));
 *   static backward = torch.cuda.amp.customBwd((ctx: object, g: torch.Tensor) => g.mul(2));
 * }
 * const x = torch.ones(2, { requiresGrad: true });
 * Double.apply(x).sum().backward(); // x.grad: tensor([2., 2.])
 */
function customFwd<A extends unknown[], R>(
  fwd: CtxFunction<A, R>,
  opts?: CustomFwdOptions,
): CtxFunction<A, R>;
function customFwd(
  opts: CustomFwdOptions,
): <A extends unknown[], R>(fwd: CtxFunction<A, R>) => CtxFunction<A, R>;
function customFwd<A extends unknown[], R>(
  fwd: CtxFunction<A, R> | CustomFwdOptions,
  opts: CustomFwdOptions = {},
): unknown {
  if (typeof fwd !== "function") {
    const castInputs = fwd.castInputs ?? null;
    return <B extends unknown[], S>(f: CtxFunction<B, S>) => decorateFwd(f, castInputs);
  }
  return decorateFwd(fwd, opts.castInputs ?? null);
}

/**
 * torch.cuda.amp.custom_bwd(bwd): a custom Function's backward run in the CUDA autocast state
 * its forward recorded (`torch.cuda.amp.autocast(ctx._fwdUsedAutocast)`: without CUDA, a
 * forward that saw the flag on makes backward warn and run without it).
 * @example
 * class Neg extends torch.autograd.Function {
 *   static forward = torch.cuda.amp.customFwd((ctx: object, x: torch.Tensor) => x.neg());
 *   static backward = torch.cuda.amp.customBwd((ctx: object, g: torch.Tensor) => g.neg());
 * }
 * Neg.apply(torch.ones(1, { requiresGrad: true })).sum().backward();
 */
function customBwd<A extends unknown[], R>(bwd: CtxFunction<A, R>): CtxFunction<A, R> {
  return (ctx: object, ...args: A): R => {
    const used = (ctx as Record<string, unknown>)[fwdUsedAutocast];
    if (used === undefined)
      throw attributeError(
        `'${ctx.constructor.name}' object has no attribute '_fwd_used_autocast'`,
      );
    return cudaAutocast({ enabled: Boolean(used) }, () => bwd(ctx, ...args));
  };
}

/**
 * torch.cpu.amp: `autocast` for CPU regions.
 * @example torch.cpu.amp.autocast({ enabled: false }, () => torch.isAutocastCpuEnabled()) // false
 */
export const cpuAmp = {
  /**
   * torch.cpu.amp.autocast(enabled=True, dtype=torch.bfloat16, cache_enabled=True).
   * @example torch.cpu.amp.autocast(() => torch.mm(torch.ones(1, 1), torch.ones(1, 1))).dtype // torch.bfloat16
   */
  autocast: cpuAutocast,
};

/**
 * torch.cuda.amp without CUDA: `autocast` warns and does nothing, `GradScaler` is a
 * pass-through.
 * @example new torch.cuda.amp.GradScaler({ enabled: false }).getScale() // 1
 */
export const cudaAmp = {
  /**
   * torch.cuda.amp.autocast(enabled=True, dtype=torch.float16, cache_enabled=True): warns
   * and does nothing without CUDA.
   * @example torch.cuda.amp.autocast(() => torch.isAutocastEnabled()) // false
   */
  autocast: cudaAutocast,
  /**
   * torch.cuda.amp.GradScaler: a pass-through without CUDA.
   * @example new torch.cuda.amp.GradScaler({ enabled: false }).scale(torch.ones(1))
   */
  GradScaler,
  /**
   * torch.cuda.amp.custom_fwd: see `customBwd`.
   * @example const fwd = torch.cuda.amp.customFwd((ctx, x) => x.mul(2));
   */
  customFwd,
  /**
   * torch.cuda.amp.custom_bwd: backward in the CUDA autocast state of forward.
   * @example const bwd = torch.cuda.amp.customBwd((ctx, g) => g.mul(2));
   */
  customBwd,
};
