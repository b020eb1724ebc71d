/**
 * torch.Generator as users see it: random.ts's engine (`CPUGeneratorImpl`) with its state as a
 * uint8 tensor in PyTorch's byte layout, the default generator, the module-level seeding
 * functions (manual_seed, seed, initial_seed, get_rng_state, set_rng_state), and the check of
 * the `generator` argument every random op takes.
 */
// numel through the shape: this module is used below the op registry (which installs t.numel)
import { numelOf } from "./shape.js";
import { Tensor } from "./tensor.js";
import { DType, uint8 } from "./dtype.js";
import { CPUGeneratorImpl, STATE_SIZE, nondeterministicSeed, pyType } from "./random.js";
import { overflowError, runtimeError, typeError, valueError, type TypeError } from "./errors.js";

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
export const defaultGenerator: Generator = new Generator();
defaultGenerator.manualSeed(nondeterministicSeed());

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

// ------------------------------------------------------------------------------------------------
// the `generator` argument of random ops

/** Python's type name of an argument as PyTorch's argument errors print it. */
function argTypeName(v: unknown): string {
  if (v instanceof DType) return "torch.dtype";
  if (v instanceof CPUGeneratorImpl) return "torch.Generator";
  return pyType(v);
}

/** camelCase option name -> PyTorch's snake_case keyword. */
const snakeCase = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A trailing options object (PyTorch's keyword arguments), not a value argument. */
function isOptions(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Tensor) &&
    !(v instanceof DType) &&
    !(v instanceof CPUGeneratorImpl) &&
    !ArrayBuffer.isView(v)
  );
}

/**
 * The "got (...)" part of PyTorch's invalid-combination error (invalid_arguments.cpp
 * `_argDesc`): each positional type then each keyword as name=type, every one followed by ", ",
 * the last separator dropped only when there are positional arguments (hence "(generator=int, )").
 */
function describeArgs(args: readonly unknown[]): string {
  const last = args.length > 0 ? args[args.length - 1] : undefined;
  const positional = isOptions(last) ? args.slice(0, -1) : args;
  let r = "(";
  for (const a of positional) r += `${argTypeName(a)}, `;
  if (isOptions(last)) {
    for (const [k, v] of Object.entries(last)) {
      if (v !== undefined) r += `${snakeCase(k)}=${argTypeName(v)}, `;
    }
  }
  if (positional.length > 0) r = r.slice(0, -2);
  return `${r})`;
}

/**
 * PyTorch 1.13's signatures of the random functions that have several overloads: a wrong
 * `generator` is reported against all of them ("received an invalid combination of arguments").
 * Methods are keyed "Tensor.<name>" (their signatures omit self).
 */
const OVERLOADS: Record<string, readonly string[]> = {
  rand: [
    "(tuple of ints size, *, torch.Generator generator, tuple of names names, torch.dtype dtype, torch.layout layout, torch.device device, bool pin_memory, bool requires_grad)",
    "(tuple of ints size, *, torch.Generator generator, Tensor out, torch.dtype dtype, torch.layout layout, torch.device device, bool pin_memory, bool requires_grad)",
    "(tuple of ints size, *, Tensor out, torch.dtype dtype, torch.layout layout, torch.device device, bool pin_memory, bool requires_grad)",
    "(tuple of ints size, *, tuple of names names, torch.dtype dtype, torch.layout layout, torch.device device, bool pin_memory, bool requires_grad)",
  ],
  randint: [
    "(int high, tuple of ints size, *, torch.Generator generator, Tensor out, torch.dtype dtype, torch.layout layout, torch.device device, bool pin_memory, bool requires_grad)",
    "(int high, tuple of ints size, *, Tensor out, torch.dtype dtype, torch.layout layout, torch.device device, bool pin_memory, bool requires_grad)",
    "(int low, int high, tuple of ints size, *, torch.Generator generator, Tensor out, torch.dtype dtype, torch.layout layout, torch.device device, bool pin_memory, bool requires_grad)",
    "(int low, int high, tuple of ints size, *, Tensor out, torch.dtype dtype, torch.layout layout, torch.device device, bool pin_memory, bool requires_grad)",
  ],
  randperm: [
    "(int n, *, torch.Generator generator, Tensor out, torch.dtype dtype, torch.layout layout, torch.device device, bool pin_memory, bool requires_grad)",
    "(int n, *, Tensor out, torch.dtype dtype, torch.layout layout, torch.device device, bool pin_memory, bool requires_grad)",
  ],
  bernoulli: [
    "(Tensor input, *, torch.Generator generator, Tensor out)",
    "(Tensor input, float p, *, torch.Generator generator)",
  ],
  "Tensor.bernoulli": ["(*, torch.Generator generator)", "(float p, *, torch.Generator generator)"],
  "Tensor.bernoulli_": [
    "(Tensor p, *, torch.Generator generator)",
    "(float p, *, torch.Generator generator)",
  ],
  "Tensor.random_": [
    "(*, torch.Generator generator)",
    "(int from, int to, *, torch.Generator generator)",
    "(int to, *, torch.Generator generator)",
  ],
};
OVERLOADS.randn = OVERLOADS.rand;

/**
 * The generator a random op draws from: `g` when it is a torch.Generator, the default generator
 * when it is null or undefined. Anything else raises PyTorch's TypeError: against the one
 * signature that fits the call ("multinomial(): argument 'generator' must be torch.Generator,
 * not int"), or, for functions with several overloads that fit (`fn` in OVERLOADS; `args` the
 * call's arguments, trailing options object included), against all of them.
 *
 * @example
 * const gen = generatorArg(opts.generator, "multinomial"); // then draw from gen
 */
export function generatorArg(g: unknown, fn: string, args?: readonly unknown[]): CPUGeneratorImpl {
  if (g === undefined || g === null) return defaultGenerator;
  if (g instanceof CPUGeneratorImpl) return g;
  if (OVERLOADS[fn] !== undefined && args !== undefined) throw invalidCombination(fn, args);
  const name = fn.startsWith("Tensor.") ? fn.slice(7) : fn;
  throw typeError(`${name}(): argument 'generator' must be torch.Generator, not ${argTypeName(g)}`);
}

/**
 * PyTorch's TypeError for a call that fits none of a random function's overloads (`fn` a key
 * of OVERLOADS): "<name>() received an invalid combination of arguments - got (...), but
 * expected one of:" and the signatures, one per line.
 */
export function invalidCombination(fn: string, args: readonly unknown[]): TypeError {
  const name = fn.startsWith("Tensor.") ? fn.slice(7) : fn;
  return typeError(
    `${name}() received an invalid combination of arguments - got ${describeArgs(args)}, but expected one of:\n` +
      (OVERLOADS[fn] ?? []).map((o) => ` * ${o}\n`).join(""),
  );
}
