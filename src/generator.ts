/**
 * torch.Generator as users see it: random.ts's engine (`CPUGeneratorImpl`) with its state as a
 * uint8 tensor in PyTorch's byte layout, the default generator, the module-level seeding
 * functions (manual_seed, seed, initial_seed, get_rng_state, set_rng_state). Random ops take a
 * generator as their keyword-only `generator` argument, checked by the op registry's binder.
 */
// numel through the shape: this module is used below the op registry (which installs t.numel)
import { numelOf } from "./shape.js";
import { Tensor } from "./tensor.js";
import { uint8 } from "./dtype.js";
import { CPUGeneratorImpl, STATE_SIZE, pyType } from "./random.js";
import { overflowError, runtimeError, typeError, valueError } from "./errors.js";

/** The device types PyTorch 1.13 parses at the start of a device string. */
const DEVICE_TYPES = [
  "cpu",
  "cuda",
  "ipu",
  "xpu",
  "mkldnn",
  "opengl",
  "opencl",
  "ideep",
  "hip",
  "ve",
  "fpga",
  "ort",
  "xla",
  "lazy",
  "vulkan",
  "mps",
  "meta",
  "hpu",
  "privateuseone",
];

/** `torch.Generator(device)`: only CPU generators exist, as in a CPU build of PyTorch. */
function checkDevice(device: unknown): void {
  if (device === undefined || device === null) return;
  let type: string;
  if (typeof device === "number" && Number.isInteger(device))
    type = "cuda"; // an index: cuda:N
  else if (typeof device === "string") {
    const m = /^([a-z]+)(?::(.*))?$/.exec(device);
    if (m === null || !DEVICE_TYPES.includes(m[1])) {
      throw runtimeError(
        `Expected one of ${DEVICE_TYPES.join(", ")} device type at start of device string: ${device}`,
      );
    }
    if (m[2] !== undefined && !/^(0|[1-9]\d*)$/.test(m[2])) {
      throw runtimeError(`Invalid device string: '${device}'`);
    }
    type = m[1];
  } else {
    throw typeError(
      `Generator(): argument 'device' (position 1) must be torch.device, not ${pyType(device)}`,
    );
  }
  if (type !== "cpu") {
    throw runtimeError(
      `Device type ${type.toUpperCase()} is not supported for torch.Generator() api.`,
    );
  }
}

/** Options of `new torch.Generator({ device })`. */
export interface GeneratorOptions {
  /** The device of the generator: "cpu" (the only one; others raise PyTorch's error). */
  device?: string;
}

/**
 * torch.Generator: an independent stream of PyTorch's CPU random numbers. Pass it to any random
 * op as `{ generator }`; the same seed gives PyTorch's numbers.
 *
 * @example
 * const g = new torch.Generator().manualSeed(2147483647);
 * torch.rand(3, { generator: g }); // tensor([0.7081, 0.3542, 0.1054]), as PyTorch
 * const s = g.getState(); // a uint8 tensor of 5056 bytes, PyTorch's layout
 * g.setState(s);
 */
export class Generator extends CPUGeneratorImpl {
  /**
   * `torch.Generator(device='cpu')`: a generator seeded with PyTorch's default seed
   * (67280421310721). The device is "cpu" (a string, or `{ device }`); others raise PyTorch's
   * error.
   */
  constructor(device?: string | GeneratorOptions, ...extra: never[]) {
    super();
    if (extra.length > 0) {
      throw typeError(
        `Generator() takes from 0 to 1 positional arguments but ${1 + extra.length} were given`,
      );
    }
    if (typeof device === "object" && device !== null && !Array.isArray(device)) {
      for (const k of Object.keys(device)) {
        if (k !== "device")
          throw typeError(`Generator() got an unexpected keyword argument '${k}'`);
      }
      checkDevice(device.device);
    } else checkDevice(device);
  }

  /** The generator's device type: "cpu". */
  get device(): string {
    return "cpu";
  }

  /**
   * torch.Generator.get_state(): the state as a new uint8 tensor of 5056 bytes, laid out as
   * PyTorch's (Note [generator state layout] in random.ts), so a state saved by one library
   * restores in the other.
   *
   * @example
   * const g = new torch.Generator().manualSeed(0);
   * const s = g.getState(); const a = torch.rand(3, { generator: g });

   * g.setState(s); torch.rand(3, { generator: g }); // equals a
   */
  getState(): Tensor {
    return new Tensor(this.getStateBytes(), [STATE_SIZE], [1], 0, uint8);
  }

  /**
   * torch.Generator.set_state(state): restores a state from `getState()` (or PyTorch's
   * `get_state()`): a contiguous uint8 tensor of 5056 bytes (or 5048, PyTorch's legacy layout).
   * Returns the generator.
   */
  setState(state: Tensor): this {
    if (!(state instanceof Tensor)) {
      throw typeError(`expected a torch.ByteTensor, but got ${pyType(state)}`);
    }
    if (state.dtype !== uint8) throw typeError("RNG state must be a torch.ByteTensor");
    if (!state.isContiguous()) throw runtimeError("RNG state must be contiguous");
    const n = numelOf(state.shape);
    const bytes = (state.typedArray as Uint8Array).subarray(state.offset, state.offset + n);
    return this.setStateBytes(bytes);
  }

  /** Printed as Python prints a generator (without the address). */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "<torch._C.Generator object>";
  }
}

/**
 * torch.default_generator: what random ops draw from without `{ generator }`. Like PyTorch's,
 * it starts from a non-deterministic seed.
 */
export const defaultGenerator: Generator = new Generator().seedLater(); // Note [deferred seed]

/** Python's int(v) for torch.manual_seed's argument (which the Python wrapper converts first). */
function pythonInt(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (typeof v === "number") {
    if (Number.isNaN(v)) throw valueError("cannot convert float NaN to integer");
    if (!Number.isFinite(v)) throw overflowError("cannot convert float infinity to integer");
    return BigInt(Math.trunc(v));
  }
  if (typeof v === "string") {
    const s = v.trim();
    if (/^[+-]?\d+(_\d+)*$/.test(s)) return BigInt(s.replace(/_/g, ""));
    throw valueError(`invalid literal for int() with base 10: '${v}'`);
  }
  if (v instanceof Tensor) {
    if (numelOf(v.shape) !== 1) {
      throw valueError("only one element tensors can be converted to Python scalars");
    }
    return pythonInt(v.typedArray[v.offset]);
  }
  throw typeError(
    `int() argument must be a string, a bytes-like object or a real number, not '${pyType(v)}'`,
  );
}

/**
 * torch.manual_seed(seed): seeds the default generator and returns it. As in PyTorch the seed
 * goes through int() first (1.5 seeds 1), then must lie in [-2^63, 2^64).
 *
 * @example
 * torch.manualSeed(0);
 * torch.rand(4); // tensor([0.4963, 0.7682, 0.0885, 0.1320]), as PyTorch
 */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(pythonInt(seed));
}

/**
 * torch.seed(): seeds the default generator non-deterministically and returns the seed (53
 * random bits, so `torch.manualSeed(torch.seed())` replays the stream; see CPUGeneratorImpl.seed).
 *
 * @example
 * const s = torch.seed(); const a = torch.rand(2);
 * torch.manualSeed(s); torch.rand(2); // equals a
 */
export function seed(): number {
  return defaultGenerator.seed();
}

/**
 * torch.initial_seed(): the default generator's seed.
 *
 * @example
 * torch.manualSeed(3); torch.initialSeed(); // 3
 */
export function initialSeed(): number {
  return defaultGenerator.initialSeed();
}

/**
 * torch.get_rng_state(): the default generator's state, a uint8 tensor (see Generator.getState).
 *
 * @example
 * const s = torch.getRngState(); const a = torch.randn(3);
 * torch.setRngState(s); torch.randn(3); // equals a
 */
export function getRngState(): Tensor {
  return defaultGenerator.getState();
}

/** torch.set_rng_state(newState): restores the default generator's state. */
export function setRngState(newState: Tensor): void {
  defaultGenerator.setState(newState);
}
