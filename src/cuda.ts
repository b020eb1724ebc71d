/**
 * The parts of PyTorch's runtime a portable script touches on a machine without CUDA:
 * `torch.cuda` as a CPU-only PyTorch build answers it (`isAvailable()` false, seeding a no-op,
 * device queries an AssertionError), `torch.backends.cudnn`/`mps`/`cuda` flags, the
 * determinism switches, the float32 matmul precision setting, and the `torch.random` module.
 * So `const device = torch.cuda.isAvailable() ? "cuda" : "cpu"` ports as written.
 */
import { assertionError, runtimeError } from "./errors.js";
import { Tensor } from "./tensor.js";
import { cudaAmp } from "./amp.js";
import {
  defaultGenerator,
  getRngState,
  initialSeed,
  manualSeed,
  seed,
  setRngState,
  type Generator,
} from "./generator.js";

/** What a CPU-only PyTorch raises for any CUDA device query. */
function notCompiled(): never {
  throw assertionError("Torch not compiled with CUDA enabled");
}

/**
 * torch.cuda, as a PyTorch built without CUDA answers it: `isAvailable()` is false,
 * `deviceCount()` 0, seeding and `emptyCache()` do nothing (PyTorch queues CUDA seeds until
 * CUDA initialises, which never happens), memory counters are 0, and every query of a device
 * raises `AssertionError: Torch not compiled with CUDA enabled`. tensorgrad's accelerator is
 * WebGPU (`torch.webgpu`).
 * @example const device = torch.cuda.isAvailable() ? "cuda" : "cpu"; // "cpu"
 */
export const cuda = {
  /**
   * Whether a CUDA device can be used: always false.
   * @example torch.cuda.isAvailable() // false
   */
  isAvailable: (): boolean => false,
  /**
   * The number of CUDA devices: 0.
   * @example torch.cuda.deviceCount() // 0
   */
  deviceCount: (): number => 0,
  /**
   * Whether CUDA has been initialised: never.
   * @example torch.cuda.isInitialized() // false
   */
  isInitialized: (): boolean => false,
  /**
   * Seed the CUDA generator of the current device: nothing to seed (no error, as in PyTorch).
   * @example torch.cuda.manualSeed(0)
   */
  manualSeed: (_seed: number | bigint): void => undefined,
  /**
   * Seed every CUDA device's generator: nothing to seed.
   * @example torch.cuda.manualSeedAll(0)
   */
  manualSeedAll: (_seed: number | bigint): void => undefined,
  /**
   * Seed the current CUDA generator randomly: nothing to seed.
   * @example torch.cuda.seed()
   */
  seed: (): void => undefined,
  /**
   * Seed every CUDA generator randomly: nothing to seed.
   * @example torch.cuda.seedAll()
   */
  seedAll: (): void => undefined,
  /**
   * Release the CUDA caching allocator's unused blocks: nothing cached.
   * @example torch.cuda.emptyCache()
   */
  emptyCache: (): void => undefined,
  /**
   * Bytes held by CUDA tensors: 0.
   * @example torch.cuda.memoryAllocated() // 0
   */
  memoryAllocated: (_device?: unknown): number => 0,
  /**
   * The peak of memoryAllocated: 0.
   * @example torch.cuda.maxMemoryAllocated() // 0
   */
  maxMemoryAllocated: (_device?: unknown): number => 0,
  /**
   * Bytes reserved by the caching allocator: 0.
   * @example torch.cuda.memoryReserved() // 0
   */
  memoryReserved: (_device?: unknown): number => 0,
  /**
   * Wait for the device's kernels: raises, as without CUDA.
   * @example torch.cuda.isAvailable() || "no torch.cuda.synchronize() here"
   */
  synchronize: (_device?: unknown): never => notCompiled(),
  /**
   * The current device's index: raises, as without CUDA.
   * @example torch.cuda.isAvailable() || "no torch.cuda.currentDevice() here"
   */
  currentDevice: (): never => notCompiled(),
  /**
   * Select a device: raises, as without CUDA.
   * @example torch.cuda.isAvailable() || "no torch.cuda.setDevice(0) here"
   */
  setDevice: (_device: unknown): never => notCompiled(),
  /**
   * A device's name: raises, as without CUDA.
   * @example torch.cuda.isAvailable() || "no torch.cuda.getDeviceName() here"
   */
  getDeviceName: (_device?: unknown): never => notCompiled(),
  /**
   * A device's compute capability: raises, as without CUDA.
   * @example torch.cuda.isAvailable() || "no torch.cuda.getDeviceCapability() here"
   */
  getDeviceCapability: (_device?: unknown): never => notCompiled(),
  /**
   * Whether the device computes in bfloat16: raises, as without CUDA.
   * @example torch.cuda.isAvailable() || "no torch.cuda.isBf16Supported() here"
   */
  isBf16Supported: (): never => notCompiled(),
  /**
   * The CUDA generator's state: raises, as without CUDA.
   * @example torch.cuda.isAvailable() || "no torch.cuda.getRngState() here"
   */
  getRngState: (_device?: unknown): never => notCompiled(),
  /**
   * Set the CUDA generator's state: raises, as without CUDA.
   * @example torch.cuda.isAvailable() || "no torch.cuda.setRngState() here"
   */
  setRngState: (_state: unknown, _device?: unknown): never => notCompiled(),
  /**
   * torch.cuda.amp without CUDA: `autocast(...)` warns and changes nothing, `GradScaler` is a
   * pass-through (src/amp.ts).
   * @example const scaler = new torch.cuda.amp.GradScaler(); scaler.getScale() // 1
   */
  amp: cudaAmp,
};

/**
 * The flags PyTorch keeps for backends tensorgrad does not have, with PyTorch's defaults on a
 * CPU-only build; setting one is kept and read back, and changes nothing (tensorgrad's kernels
 * are deterministic and do not use TF32).
 */
export const foreignBackends = {
  /**
   * torch.backends.cudnn: `isAvailable()` false; `enabled`, `benchmark`, `deterministic`,
   * `allowTf32` settable as in PyTorch.
   * @example torch.backends.cudnn.deterministic = true;
   */
  cudnn: {
    /** Whether cuDNN can be used: false. */
    isAvailable: (): boolean => false,
    /** PyTorch's default, true. */
    enabled: true,
    /** PyTorch's default, false. */
    benchmark: false,
    /** PyTorch's default, false. */
    deterministic: false,
    /** PyTorch's default, true. */
    allowTf32: true,
  },
  /**
   * torch.backends.mps (Apple's Metal): neither built nor available.
   * @example torch.backends.mps.isAvailable() // false
   */
  mps: {
    /** Whether an MPS device can be used: false. */
    isAvailable: (): boolean => false,
    /** Whether PyTorch was built with MPS: false. */
    isBuilt: (): boolean => false,
  },
  /**
   * torch.backends.cuda: not built; `matmul.allowTf32` settable (PyTorch's default false).
   * @example torch.backends.cuda.matmul.allowTf32 // false
   */
  cuda: {
    /** Whether PyTorch was built with CUDA: false. */
    isBuilt: (): boolean => false,
    /** CUDA matmul settings. */
    matmul: {
      /** TF32 in CUDA matmuls (PyTorch's default, false). */
      allowTf32: false,
    },
  },
};

let deterministic = false;
let deterministicWarnOnly = false;

/** `torch.useDeterministicAlgorithms`'s options. */
export interface DeterministicOptions {
  /** Warn instead of raising where an op has no deterministic implementation. */
  warnOnly?: boolean;
}

/**
 * torch.use_deterministic_algorithms(mode, { warnOnly }): record the setting. Every tensorgrad
 * kernel is deterministic already (threads split work by fixed ranges and reduce in a fixed
 * order), so no op ever raises or warns for it.
 * @example
 * torch.useDeterministicAlgorithms(true);
 * torch.areDeterministicAlgorithmsEnabled(); // true
 * torch.useDeterministicAlgorithms(false);
 */
export function useDeterministicAlgorithms(
  mode: boolean,
  opts: DeterministicOptions | boolean = {},
): void {
  if (typeof mode !== "boolean")
    throw runtimeError(`use_deterministic_algorithms expects a bool, but got ${typeof mode}`);
  deterministic = mode;
  deterministicWarnOnly = typeof opts === "boolean" ? opts : (opts.warnOnly ?? false);
}

/**
 * torch.are_deterministic_algorithms_enabled()
 * @example typeof torch.areDeterministicAlgorithmsEnabled() // "boolean"
 */
export const areDeterministicAlgorithmsEnabled = (): boolean => deterministic;

/**
 * torch.is_deterministic_algorithms_warn_only_enabled()
 * @example typeof torch.isDeterministicAlgorithmsWarnOnlyEnabled() // "boolean"
 */
export const isDeterministicAlgorithmsWarnOnlyEnabled = (): boolean => deterministicWarnOnly;

/**
 * torch.set_deterministic_debug_mode(mode): 0/"default", 1/"warn" or 2/"error", as
 * useDeterministicAlgorithms(false), (true, { warnOnly: true }) and (true).
 * @example
 * torch.setDeterministicDebugMode("warn");
 * torch.getDeterministicDebugMode(); // 1
 * torch.setDeterministicDebugMode("default");
 */
export function setDeterministicDebugMode(mode: number | "default" | "warn" | "error"): void {
  const m = typeof mode === "string" ? ["default", "warn", "error"].indexOf(mode) : mode;
  if (typeof mode === "string" && m < 0)
    throw runtimeError(
      `invalid value of debug_mode, expected one of \`default\`, \`warn\`, \`error\`, but got ${mode}`,
    );
  if (m === 0) useDeterministicAlgorithms(false);
  else if (m === 1) useDeterministicAlgorithms(true, { warnOnly: true });
  else if (m === 2) useDeterministicAlgorithms(true);
  else
    throw runtimeError(`invalid value of debug_mode, expected 0, 1, or 2, but got ${String(mode)}`);
}

/**
 * torch.get_deterministic_debug_mode(): 0, 1 or 2 (see setDeterministicDebugMode).
 * @example [0, 1, 2].includes(torch.getDeterministicDebugMode()) // true
 */
export const getDeterministicDebugMode = (): number =>
  !deterministic ? 0 : deterministicWarnOnly ? 1 : 2;

let matmulPrecision: "highest" | "high" | "medium" = "highest";

/**
 * torch.set_float32_matmul_precision("highest" | "high" | "medium"): recorded and read back;
 * tensorgrad's float32 products always compute in float32 ("highest"). Another value warns,
 * as PyTorch does, and changes nothing.
 * @example
 * torch.setFloat32MatmulPrecision("high");
 * torch.getFloat32MatmulPrecision(); // "high"
 * torch.setFloat32MatmulPrecision("highest");
 */
export function setFloat32MatmulPrecision(precision: string): void {
  if (precision === "highest" || precision === "high" || precision === "medium")
    matmulPrecision = precision;
  else
    console.warn(
      `Warning: ${precision} is not one of 'highest', 'high', or 'medium'; the current setFloat32MatmulPrecision call has no effect. (function setFloat32MatmulPrecision)`,
    );
}

/**
 * torch.get_float32_matmul_precision()
 * @example typeof torch.getFloat32MatmulPrecision() // "string"
 */
export const getFloat32MatmulPrecision = (): string => matmulPrecision;

/**
 * torch.random.fork_rng: run `fn` and restore the default generator's state afterwards (also
 * when `fn` throws or its promise rejects); with `enabled: false`, just run it.
 * @example
 * // the draws inside do not move the global stream
 * torch.random.forkRng(() => torch.rand(2));
 */
export function forkRng<T>(fn: () => T, opts: { enabled?: boolean } = {}): T {
  if (opts.enabled === false) return fn();
  const state = getRngState();
  let async = false;
  try {
    const r = fn();
    if (r instanceof Promise) {
      async = true;
      return r.finally(() => setRngState(state)) as T;
    }
    return r;
  } finally {
    if (!async) setRngState(state);
  }
}

/**
 * torch.random: the default CPU generator's seeding and state, as PyTorch's `torch.random`
 * module (the same functions as `torch.manualSeed` & co.), and `forkRng`.
 * @example torch.random.manualSeed(0); torch.random.initialSeed() // 0
 */
export const random = {
  /**
   * Seed the default generator (torch.manual_seed).
   * @example torch.random.manualSeed(0)
   */
  manualSeed: manualSeed as (seed: number | bigint) => Generator,
  /**
   * Seed the default generator from a nondeterministic source; returns the seed.
   * @example typeof torch.random.seed() // "number"
   */
  seed: seed as () => number,
  /**
   * The default generator's initial seed.
   * @example torch.random.manualSeed(3); torch.random.initialSeed() // 3
   */
  initialSeed: initialSeed as () => number,
  /**
   * The default generator's state, a uint8 tensor in PyTorch's layout.
   * @example torch.random.getRngState().shape // [5056]
   */
  getRngState: getRngState as () => Tensor,
  /**
   * Restore the default generator's state.
   * @example torch.random.setRngState(torch.random.getRngState())
   */
  setRngState: setRngState as (state: Tensor) => void,
  /**
   * Run a function and restore the default generator's state afterwards.
   * @example torch.random.forkRng(() => torch.rand(2))
   */
  forkRng,
  /**
   * The default CPU generator (torch.default_generator).
   * @example torch.random.defaultGenerator.initialSeed()
   */
  defaultGenerator: defaultGenerator as Generator,
};

/**
 * torch.typename(obj): a tensor's type name (`torch.FloatTensor`), else Python's name of the
 * value's type (`int`, `float`, `str`, `bool`, `NoneType`, `list`, ...).
 * @example torch.typename(torch.zeros(2)) // "torch.FloatTensor"
 */
export function typename(obj: unknown): string {
  if (obj instanceof Tensor) return obj.dtype.tensorTypeName;
  if (obj === null || obj === undefined) return "NoneType";
  if (typeof obj === "number") return Number.isInteger(obj) ? "int" : "float";
  if (typeof obj === "boolean") return "bool";
  if (typeof obj === "string") return "str";
  if (Array.isArray(obj)) return "list";
  const ctor = (obj as { constructor?: { name?: string } }).constructor?.name;
  return ctor === undefined || ctor === "Object" ? "dict" : ctor;
}

/**
 * torch.is_storage(obj): false, tensorgrad has no storage objects.
 * @example torch.isStorage(torch.zeros(2)) // false
 */
export const isStorage = (_obj: unknown): boolean => false;

let interopThreads = 1;
let interopSet = false;

/**
 * torch.get_num_interop_threads(): the threads running independent ops side by side. tensorgrad
 * runs one op at a time (its kernels use torch.getNumThreads() threads), so 1 unless set.
 * @example torch.getNumInteropThreads() // 1
 */
export const getNumInteropThreads = (): number => interopThreads;

/**
 * torch.set_num_interop_threads(n): recorded (read back by getNumInteropThreads); as in
 * PyTorch, only once (a second call, which aborts PyTorch's process, raises its message
 * here), and n must be positive.
 * @example typeof torch.setNumInteropThreads // "function"
 */
export function setNumInteropThreads(n: number): void {
  if (!(Number.isInteger(n) && n > 0))
    throw runtimeError("set_num_interop_threads expects a positive integer");
  if (interopSet)
    throw runtimeError(
      "Error: cannot set number of interop threads after parallel work has started or set_num_interop_threads called",
    );
  interopSet = true;
  interopThreads = n;
}
