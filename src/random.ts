/**
 * Random numbers identical to PyTorch 1.13's CPU generator, bit for bit.
 *
 * What mirrors what in ATen (aten/src/ATen/...):
 * - `CPUGeneratorImpl` is `at::CPUGeneratorImpl` (CPUGeneratorImpl.cpp): the mt19937 engine of
 *   core/MT19937RNGEngine.h plus the cached Box-Muller samples, and its state in the byte layout
 *   of `CPUGeneratorImplState`. The public `torch.Generator` (src/generator.ts) extends it with
 *   tensors for `getState` / `setState`.
 * - `fillUniform` is `uniform_kernel` (native/cpu/DistributionTemplates.h) with
 *   `uniform_real_distribution` / `transformation::uniform_real` (core/DistributionsHelper.h,
 *   core/TransformationHelper.h).
 * - `fillNormal` is `normal_kernel`: `normal_fill_AVX2` (the Cephes-style `log256_ps` and
 *   `sincos256_ps` of native/cpu/avx_mathfun.h) for float32 with >= 16 elements, `normal_fill` for
 *   float64 with >= 16 elements, and `normal_distribution<double>` otherwise.
 * - `fillRandint` is `random_from_to_kernel` with `uniform_int_from_to_distribution`.
 * - `exponentialDouble` is `exponential_distribution<double>` (the kernel of `exponential_`,
 *   which multinomial's sampling without replacement draws from).
 *
 * Bit-exactness notes. The reference is the Debian build of torch 1.13.1 running its AVX2 kernels
 * on x86-64 with glibc 2.36, and every detail below was checked against its machine code:
 * - GCC contracts many `a * b + c` into fused multiply-adds in those kernels (e.g. `x * range +
 *   from` in uniform_, `z * std + mean` in normal_, the polynomial steps of log256_ps). `fmaf` and
 *   `fma64` (backend/fma.ts) compute correctly rounded FMAs so each contraction is reproduced
 *   where it happens.
 * - The double Box-Muller paths call libm's `log` and `sincos` (GCC merges std::sin/std::cos).
 *   `glibcLog` follows the FMA build of glibc's log, which is ARM's optimized-routines code
 *   (MIT OR Apache-2.0 WITH LLVM-exception), bit for bit. For sin/cos we use Math.sin/Math.cos,
 *   which differ from glibc in the last bit for a few percent of inputs: float64 normal samples
 *   match PyTorch to 1 ulp (see `glibcSincos`).
 */
import { fma64, fmaf } from "./backend/fma.js";
import { fromBFloat16Bits, fromHalfBits, toBFloat16Bits, toHalfBits } from "./backend/half.js";
import { runtimeError } from "./errors.js";

const TWO_POW_M24 = 1 / 16777216; // 2^-24
const TWO_POW_M53 = 1 / 9007199254740992; // 2^-53
const TWO_POW_32 = 4294967296;
/** c10::pi<double> * 2 */
const TWO_PI = 2 * Math.PI;

/** torch.Generator()'s seed when none is given: c10::detail::default_rng_seed_val. */
const DEFAULT_RNG_SEED = 67280421310721n;

const MT_N = 624;
const MT_M = 397;
const MATRIX_A = 0x9908b0df;
const UMASK = 0x80000000;
const LMASK = 0x7fffffff;

const U64_MASK = (1n << 64n) - 1n;

/**
 * Note [generator state layout]: `get_state()` is a memcpy of this x86-64 struct
 * (CPUGeneratorImpl.cpp), little-endian, 5056 bytes, padding zeroed:
 *
 *     offset  field                                  (CPUGeneratorImplStateLegacy legacy_pod)
 *          0  uint64 the_initial_seed
 *          8  int32  left                            (1..624: words left before the next twist)
 *         12  int32  seeded                          (1 once seeded)
 *         16  uint64 next                            (0..624: index of the next state word)
 *         24  uint64 state[624]                      (the mt19937 words, zero-extended)
 *       5016  double normal_x, normal_y, normal_rho  (normal_y: the cached double sample)
 *       5040  int32  normal_is_valid
 *       5048  float  next_float_normal_sample        (CPUGeneratorImplState from here)
 *       5052  bool   is_next_float_normal_sample_valid
 *
 * `set_state` also takes the 5048-byte legacy struct alone, whose cached sample was stored as
 * Box-Muller intermediates: r sin(2 pi normal_x) with r = normal_rho.
 */
export const STATE_SIZE = 5056;
/** sizeof(CPUGeneratorImplStateLegacy) */
export const LEGACY_STATE_SIZE = 5048;
const OFF_SEED = 0;
const OFF_LEFT = 8;
const OFF_SEEDED = 12;
const OFF_NEXT = 16;
const OFF_STATE = 24;
const OFF_NORMAL_X = 5016;
const OFF_NORMAL_Y = 5024;
const OFF_NORMAL_RHO = 5032;
const OFF_NORMAL_VALID = 5040;
const OFF_FLOAT_NORMAL = 5048;
const OFF_FLOAT_NORMAL_VALID = 5052;

/** Python's type name of a value in PyTorch's messages ("int", "float", "NoneType", "Tensor"). */
export function pyType(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "str";
  if (Array.isArray(v)) return "list";
  if (typeof v === "function") return "function";
  return (v as object).constructor?.name ?? "object";
}

/**
 * The seed as PyTorch's `Generator.manual_seed` reads a Python int (THPGenerator_manualSeed):
 * an integer in [-2^63, 2^64), negative ones taken modulo 2^64. Anything but an integer is
 * "manual_seed expected a long, but got float" (bool too, as in PyTorch).
 */
export function parseSeed(seed: unknown): bigint {
  let s: bigint;
  if (typeof seed === "bigint") s = seed;
  else if (typeof seed === "number" && Number.isInteger(seed)) s = BigInt(seed);
  else throw runtimeError(`manual_seed expected a long, but got ${pyType(seed)}`);
  if (s < -(1n << 63n) || s > U64_MASK) throw runtimeError("Overflow when unpacking long");
  return s & U64_MASK;
}

/**
 * PyTorch's CPU generator (`at::CPUGeneratorImpl`): the mt19937 engine, its seed, and the cached
 * second Box-Muller samples. Ops take one explicitly; `torch.Generator` is its public face.
 *
 * @example
 * const g = new CPUGeneratorImpl().manualSeed(0);
 * const out = new Float32Array(4);
 * fillUniform(out, false, 0, 1, g); // == torch.rand(4, generator=torch.Generator().manual_seed(0))
 */
export class CPUGeneratorImpl {
  /** mt19937 state words (mt19937_data_pod::state_) */
  private readonly mt = new Uint32Array(MT_N);
  private left = 1;
  private next = 0;
  /** the uint64 seed (mt19937_data_pod::seed_) */
  private seedValue = DEFAULT_RNG_SEED;
  /** next_double_normal_sample_: valid only while `hasNextDoubleNormal` */
  private nextDoubleNormal = 0;
  private hasNextDoubleNormal = false;
  /**
   * next_float_normal_sample_: no CPU kernel of PyTorch 1.13 draws float normals one at a time,
   * so it is only ever set by `setStateBytes` and carried along for a faithful `getStateBytes`.
   */
  private nextFloatNormal = 0;
  private hasNextFloatNormal = false;
  /**
   * Note [deferred seed]: a generator made by `seedLater()` (the default generator) draws its
   * non-deterministic seed when it is first used (a draw, `initialSeed`, `getState`), not when
   * the package loads: Node's `crypto.getRandomValues` loads WebCrypto and the stream modules,
   * a tenth of the import cost (bench/startup.mjs). Draws refill the state through `twist`
   * first (`left` is 1 after seeding), so the check costs nothing per draw.
   */
  private seedPending = false;

  constructor(seed: number | bigint = DEFAULT_RNG_SEED) {
    this.manualSeed(seed);
  }

  /**
   * Reseeds the engine and drops the cached normal samples (CPUGeneratorImpl::set_current_seed).
   * The seed is an integer in [-2^63, 2^64), negative ones taken modulo 2^64 as PyTorch does (so
   * -1 means 2^64 - 1); mt19937 itself only uses its low 32 bits (init_with_uint32). A bigint
   * gives seeds beyond 2^53 exactly.
   *
   * @example
   * new CPUGeneratorImpl().manualSeed(42).initialSeed(); // 42
   */
  manualSeed(seed: number | bigint): this {
    const s = parseSeed(seed);
    this.seedPending = false;
    this.seedValue = s;
    this.hasNextDoubleNormal = false;
    this.nextDoubleNormal = 0;
    this.hasNextFloatNormal = false;
    this.nextFloatNormal = 0;
    // init_with_uint32: state[0] = seed & 0xffffffff; state[j] = 1812433253 * (s ^ (s >> 30)) + j (mod 2^32)
    const mt = this.mt;
    mt[0] = Number(s & 0xffffffffn);
    for (let j = 1; j < MT_N; j++) {
      const prev = mt[j - 1];
      mt[j] = Math.imul(1812433253, prev ^ (prev >>> 30)) + j;
    }
    this.left = 1;
    this.next = 0;
    return this;
  }

  /**
   * The seed last given to `manualSeed` (torch.Generator.initial_seed()), as a uint64. A number
   * (exact up to 2^53, which every seed `seed()` picks is); `initialSeedBigInt` gives it exactly.
   *
   * @example
   * new CPUGeneratorImpl().manualSeed(7).initialSeed(); // 7
   */
  initialSeed(): number {
    if (this.seedPending) this.manualSeed(nondeterministicSeed());
    return Number(this.seedValue);
  }

  /**
   * The seed last given to `manualSeed`, exactly, as a bigint in [0, 2^64).
   *
   * @example
   * new CPUGeneratorImpl().manualSeed(-1).initialSeedBigInt(); // 18446744073709551615
   */
  initialSeedBigInt(): bigint {
    if (this.seedPending) this.manualSeed(nondeterministicSeed());
    return this.seedValue;
  }

  /**
   * torch.Generator.seed(): reseeds from a non-deterministic source and returns the new seed.
   * PyTorch draws 64 bits from /dev/urandom; this draws 53 (as PyTorch's CUDA generators do), so
   * the returned number is exact and `manualSeed(g.seed())` replays the stream.
   *
   * @example
   * const s = new CPUGeneratorImpl().seed(); Number.isSafeInteger(s) && s >= 0 // true
   */
  seed(): number {
    const s = nondeterministicSeed();
    this.manualSeed(s);
    return Number(s);
  }

  /**
   * @internal The full state in PyTorch's byte layout (Note [generator state layout]): what
   * `torch.Generator.get_state()` holds, so states move between PyTorch and tensorgrad.
   *
   * @example
   * const g = new CPUGeneratorImpl().manualSeed(0);
   * const [a, b] = [new Float32Array(3), new Float32Array(3)];
   * const s = g.getStateBytes(); fillUniform(a, false, 0, 1, g); g.setStateBytes(s); fillUniform(b, false, 0, 1, g); // a == b
   */
  getStateBytes(): Uint8Array {
    if (this.seedPending) this.manualSeed(nondeterministicSeed());
    const bytes = new Uint8Array(STATE_SIZE);
    const v = new DataView(bytes.buffer);
    v.setBigUint64(OFF_SEED, this.seedValue, true);
    v.setInt32(OFF_LEFT, this.left, true);
    v.setInt32(OFF_SEEDED, 1, true);
    v.setBigUint64(OFF_NEXT, BigInt(this.next), true);
    for (let i = 0; i < MT_N; i++) v.setUint32(OFF_STATE + 8 * i, this.mt[i], true);
    if (this.hasNextDoubleNormal) {
      v.setFloat64(OFF_NORMAL_Y, this.nextDoubleNormal, true);
      v.setInt32(OFF_NORMAL_VALID, 1, true);
    }
    if (this.hasNextFloatNormal) {
      v.setFloat32(OFF_FLOAT_NORMAL, this.nextFloatNormal, true);
      bytes[OFF_FLOAT_NORMAL_VALID] = 1;
    }
    return bytes;
  }

  /**
   * @internal Restores a state in PyTorch's byte layout (CPUGeneratorImpl::set_state): 5056 bytes, or the
   * 5048-byte legacy struct. Nothing changes when the state is invalid.
   *
   * @example
   * const [g, other] = [new CPUGeneratorImpl().manualSeed(0), new CPUGeneratorImpl().manualSeed(1)];
   * g.setStateBytes(other.getStateBytes()); // g now continues other's stream
   */
  setStateBytes(bytes: Uint8Array): this {
    const n = bytes.length;
    if (n !== STATE_SIZE && n !== LEGACY_STATE_SIZE) {
      throw runtimeError(
        `Expected either a CPUGeneratorImplStateLegacy of size ${LEGACY_STATE_SIZE} or a CPUGeneratorImplState of size ${STATE_SIZE} but found the input RNG state size to be ${n}`,
      );
    }
    const v = new DataView(bytes.buffer, bytes.byteOffset, n);
    const left = v.getInt32(OFF_LEFT, true);
    const seeded = v.getInt32(OFF_SEEDED, true) !== 0;
    // next is stored as uint64 and read back as uint32 (static_cast<uint32_t>)
    const next = v.getUint32(OFF_NEXT, true);
    // mt19937_engine::is_valid
    if (!seeded || !(left > 0 && left <= MT_N) || !(next <= MT_N)) {
      throw runtimeError("Invalid mt19937 state");
    }
    let hasDouble = false;
    let double = 0;
    let hasFloat = false;
    let float = 0;
    if (v.getInt32(OFF_NORMAL_VALID, true) !== 0) {
      hasDouble = true;
      if (n === STATE_SIZE) double = v.getFloat64(OFF_NORMAL_Y, true);
      else {
        // legacy: the sample was kept as Box-Muller intermediates
        const r = v.getFloat64(OFF_NORMAL_RHO, true);
        double = r * Math.sin(TWO_PI * v.getFloat64(OFF_NORMAL_X, true));
      }
    }
    if (n === STATE_SIZE && bytes[OFF_FLOAT_NORMAL_VALID] !== 0) {
      hasFloat = true;
      float = v.getFloat32(OFF_FLOAT_NORMAL, true);
    }
    this.seedPending = false;
    this.seedValue = v.getBigUint64(OFF_SEED, true);
    this.left = left;
    this.next = next;
    // the legacy struct keeps uint64 words; the engine's are their low 32 bits (std::copy)
    for (let i = 0; i < MT_N; i++) this.mt[i] = v.getUint32(OFF_STATE + 8 * i, true);
    this.hasNextDoubleNormal = hasDouble;
    this.nextDoubleNormal = double;
    this.hasNextFloatNormal = hasFloat;
    this.nextFloatNormal = float;
    return this;
  }

  /**
   * @internal Seeds the generator non-deterministically on its first use (Note [deferred seed]).
   */
  seedLater(): this {
    this.manualSeed(DEFAULT_RNG_SEED);
    this.seedPending = true;
    return this;
  }

  /** mt19937_engine::next_state: regenerates all 624 words at once. */
  private twist(): void {
    // Note [deferred seed]: seeding leaves left = 1, so the first draw lands here
    if (this.seedPending) this.manualSeed(nondeterministicSeed());
    const mt = this.mt;
    let kk = 0;
    for (; kk < MT_N - MT_M; kk++) {
      const y = (mt[kk] & UMASK) | (mt[kk + 1] & LMASK);
      mt[kk] = mt[kk + MT_M] ^ (y >>> 1) ^ (mt[kk + 1] & 1 ? MATRIX_A : 0);
    }
    for (; kk < MT_N - 1; kk++) {
      const y = (mt[kk] & UMASK) | (mt[kk + 1] & LMASK);
      mt[kk] = mt[kk + MT_M - MT_N] ^ (y >>> 1) ^ (mt[kk + 1] & 1 ? MATRIX_A : 0);
    }
    const y = (mt[MT_N - 1] & UMASK) | (mt[0] & LMASK);
    mt[MT_N - 1] = mt[MT_M - 1] ^ (y >>> 1) ^ (mt[0] & 1 ? MATRIX_A : 0);
    this.left = MT_N;
    this.next = 0;
  }

  /**
   * @internal One tempered 32-bit output (CPUGeneratorImpl::random), as an unsigned integer in [0, 2^32).
   *
   * @example
   * new CPUGeneratorImpl().manualSeed(5489).random(); // 3499211612
   */
  random(): number {
    if (--this.left === 0) this.twist();
    let y = this.mt[this.next++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /**
   * @internal CPUGeneratorImpl::random64 = (random() << 32) | random(), as a BigInt in [0, 2^64).
   *
   * @example
   * typeof new CPUGeneratorImpl().manualSeed(0).random64(); // "bigint"

   */
  random64(): bigint {
    const hi = this.random();
    const lo = this.random();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /**
   * @internal `transformation::uniform_real<double>(random64(), 0, 1)`: the low 53 bits of random64()
   * times 2^-53, in [0, 1). The first draw supplies the high bits.
   */
  uniform53(): number {
    const hi = this.random();
    const lo = this.random();
    return ((hi & 0x1fffff) * TWO_POW_32 + lo) * TWO_POW_M53;
  }

  /**
   * @internal `transformation::uniform_real<float>(random(), 0, 1)`: the low 24 bits of one draw times
   * 2^-24, in [0, 1) (exact in float32).
   */
  uniform24(): number {
    return (this.random() & 0xffffff) * TWO_POW_M24;
  }

  /**
   * @internal `at::normal_distribution<double>(mean, std)` (DistributionsHelper.h) as compiled in PyTorch
   * 1.13: if a sample is cached, consume it; otherwise Box-Muller on two doubles drawn in the
   * order u1, u2: r = sqrt(-2 log(1 - u2)), theta = 2 pi u1, cache r sin(theta) and use
   * r cos(theta). The result is fma(z, std, mean) (transformation::normal, fused by GCC).
   */
  normalDouble(mean: number, std: number): number {
    let z: number;
    if (this.hasNextDoubleNormal) {
      this.hasNextDoubleNormal = false;
      z = this.nextDoubleNormal;
    } else {
      const u1 = this.uniform53();
      const u2 = this.uniform53();
      const r = Math.sqrt(glibcLog(1 - u2) * -2);
      glibcSincos(TWO_PI * u1);
      this.nextDoubleNormal = r * sinD;
      this.hasNextDoubleNormal = true;
      z = cosD * r;
    }
    return fma64(z, std, mean);
  }

  /**
   * @internal `at::exponential_distribution<double>(lambda)` (DistributionsHelper.h): u = uniform53(),
   * then transformation::exponential on CPU, (-1 / lambda) * log(1 - u), with glibc's log.
   */
  exponentialDouble(lambda: number): number {
    return (-1 / lambda) * glibcLog(1 - this.uniform53());
  }
}

/**
 * c10::detail::getNonDeterministicRandom, limited to 53 bits (see `CPUGeneratorImpl.seed`):
 * crypto.getRandomValues where present, Math.random otherwise.
 */
export function nondeterministicSeed(): bigint {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } })
    .crypto;
  if (c?.getRandomValues) {
    const w = c.getRandomValues(new Uint32Array(2));
    return (BigInt(w[0] & 0x1fffff) << 32n) | BigInt(w[1]);
  }
  return (
    BigInt(Math.floor(Math.random() * 0x200000)) * 4294967296n +
    BigInt(Math.floor(Math.random() * TWO_POW_32))
  );
}

// ------------------------------------------------------------------------------------------------
// Exact floating-point helpers (the FMAs are in backend/fma.ts)

/** Scratch views used to reinterpret float bits without allocating. */
const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);
const f64buf = new Float64Array(1);
const u64words = new Uint32Array(f64buf.buffer);
/** index of the low / high 32-bit word of a float64 in `u64words` (little- or big-endian hosts) */
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

const fround = Math.fround;

/** Decodes a string of 16-hex-digit IEEE-754 bit patterns into doubles. */
function hexDoubles(hex: string): Float64Array {
  const out = new Float64Array(hex.length / 16);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < out.length; i++) {
    words[2 * i + HI] = parseInt(hex.slice(16 * i, 16 * i + 8), 16);
    words[2 * i + LO] = parseInt(hex.slice(16 * i + 8, 16 * i + 16), 16);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// glibc 2.36 libm, x86-64 FMA variants (what PyTorch's std::log and sincos resolve to on an AVX2
// machine). JavaScript's Math.log / Math.sin / Math.cos differ from glibc in the last bit for a few
// percent of inputs, so the double-precision normal samplers use these bit-exact emulations. Each
// line follows the machine code of __ieee754_log_fma / __sincos_fma, including which a*b+c the
// compiler fused (fma64) and which it rounded twice.

/**
 * `__log_data` of glibc's sysdeps/ieee754/dbl-64/e_log_data.c (from ARM's optimized-routines):
 * ln2hi, ln2lo, poly A[0..4], poly1 B[0..10], then 128 pairs (invc, logc).
 */
const LOG_DATA = hexDoubles(
  "3fe62e42fefa38003d2ef35793c76730bfe00000000000013fd555555551305bbfcfffffffeb45903fc999b324f10111" +
    "bfc55575e506c89fbfe00000000000003fd5555555555577bfcffffffffffdcb3fc999999995dd0cbfc55555556745a7" +
    "3fc24924a344de30bfbfffffa4423d653fbc7184282ad6cabfb999eb43b068ff3fb78182f7afd085bfb5521375d145cd" +
    "3ff734f0c3e0de9fbfd7cc7f79e690003ff713786a2ce91fbfd76feec20d00003ff6f26008fab5a0bfd713e31351e000" +
    "3ff6d1a61f138c7dbfd6b85b382878003ff6b1490bc5b4d1bfd65d55908078003ff69147332f0cbabfd602d076180000" +
    "3ff6719f18224223bfd5a8ca869090003ff6524f99a51ed9bfd54f43560350003ff63356aa8f24c4bfd4f637c36b4000" +
    "3ff614b36b9ddc14bfd49da7fda850003ff5f66452c65c4cbfd445923989a8003ff5d867b5912c4fbfd3edf439b0b800" +
    "3ff5babccb5b90debfd396ce448f70003ff59d61f2d91a78bfd3401e17bda0003ff5805612465687bfd2e9e2ef468000" +
    "3ff56397cee76bd3bfd2941b3830e0003ff54725e2a77f93bfd23ec58cda88003ff52aff42064583bfd1e9e129279000" +
    "3ff50f22dbb2bddfbfd1956d2b48f8003ff4f38f4734ded7bfd141679ab9f8003ff4d843cfde2840bfd0edd094ef9800" +
    "3ff4bd3ec078a3c8bfd09aa518db10003ff4a27fc3e0258abfd047e65263b8003ff4880524d48434bfcfeb224586f000" +
    "3ff46dce1b192d0bbfcf474a7517b0003ff453d9d3391854bfcea4443d1030003ff43a2744b4845abfce020d44e9b000" +
    "3ff420b54115f8fbbfcd60a22977f0003ff40782da3ef4b1bfccc001049590003ff3ee8f5d57fe8fbfcc202956891000" +
    "3ff3d5d9a00b4ce9bfcb81178d8110003ff3bd60c010c12bbfcae2c9ccd3d0003ff3a5242b75dab8bfca45402e129000" +
    "3ff38d22cd9fd002bfc9a877681df0003ff3755bc5847a1cbfc90c6d694830003ff35dce49ad36e2bfc87120a645c000" +
    "3ff34679984dd440bfc7d68fb41430003ff32f5cceffcb24bfc73cb83c6270003ff3187775a10d49bfc6a39a9b376000" +
    "3ff301c8373e3990bfc60b3154b7a0003ff2eb4ebb95f841bfc5737d762430003ff2d50a0219a9d1bfc4dc7b8fc23000" +
    "3ff2bef9a8b7fd2abfc4462c51d200003ff2a91c7a0c1babbfc3b08abc8300003ff293726014b530bfc31b996b490000" +
    "3ff27dfa5757a1f5bfc2875490a440003ff268b39b1d3bbfbfc1f3b9f879a0003ff2539d838ff5bdbfc160c8252ca000" +
    "3ff23eb7aac9083bbfc0ce7f57f720003ff22a012ba940b6bfc03cdc49fea0003ff2157996cc4132bfbf57bdbc4b8000" +
    "3ff201201dd2fc9bbfbe3708964040003ff1ecf4494d480bbfbd17983ef940003ff1d8f5528f6569bfbbf9674ed8a000" +
    "3ff1c52311577e7cbfbadc79202f60003ff1b17c74cb26e9bfb9c0c3e72880003ff19e010c2c1ab6bfb8a646b372c000" +
    "3ff18ab07bb670bdbfb78d01b3ac00003ff1778a25efbcb6bfb674f1453800003ff1648d354c31dabfb55e0e6d878000" +
    "3ff151b990275fddbfb4485cdea1e0003ff13f0ea432d24cbfb333d94d6aa0003ff12c8b7210f9dabfb22079f8c56000" +
    "3ff11a3028ecb531bfb10e46986220003ff107fbda8434afbfaffa6c6ad200003ff0f5ee0f4e6bb3bfadda8d4a774000" +
    "3ff0e4065d2a9fcebfabbcece48500003ff0d244632ca521bfa9a1894012c0003ff0c0a77ce2981abfa788583302c000" +
    "3ff0af2f83c636d1bfa5715e67d680003ff09ddb98a01339bfa35c8a496580003ff08cabaf52e7dfbfa149e364154000" +
    "3ff07b9f2f4e28fbbf9e72c082eb80003ff06ab58c358f19bf9a55f1525280003ff059eea5ecf92cbf963d62cf818000" +
    "3ff04949cdd12c90bf9228fb8caa00003ff038c6c6f0ada9bf8c317b20f900003ff02865137932a9bf8419355daa0000" +
    "3ff0182427ea7348bf781203c2ec00003ff008040614b195bf600409792400003fefe01ff726fa1a3f6feff384900000" +
    "3fefa11cc261ea743f87dc41353d00003fef6310b081992e3f93cea3c4c280003fef25f63ceeadcd3f9b9fc114890000" +
    "3feee9c8039113e73fa1b0d8ce1100003feeae8078cbb1ab3fa58a5bd001c0003fee741aa29d0c9b3fa95c8340d88000" +
    "3fee3a91830a99b53fad276aef5780003fee01e009609a563fb07598e598c0003fedca01e577bb983fb253f5e30d2000" +
    "3fed92f20b7c91033fb42edd8b3800003fed5cac66fb5cce3fb606598757c0003fed272caa5ede9d3fb7da76356a0000" +
    "3fecf26e3e6b2ccd3fb9ab434e1c60003fecbe6da2a779023fbb78c7bb0d60003fec8b266d37086d3fbd431332e72000" +
    "3fec5894bd5d58043fbf0a3171de60003fec26b533bb9f8c3fc067152b9140003febf583eeece73f3fc147858292b000" +
    "3febc4fd75db96c13fc2266ecdca30003feb951e0c864a283fc303d7a6c550003feb65e2c5ef3e2c3fc3dfc33c331000" +
    "3feb374867c9888b3fc4ba366b7a80003feb094b211d304a3fc5933928d1f0003feadbe885f2ef7e3fc66acd2418f000" +
    "3feaaf1d31603da23fc740f8ec6690003fea82e63fd358a73fc815c0f51af0003fea5740ef09738b3fc8e92954f68000" +
    "3fea2c2a90ab4b273fc9bb3602f840003fea01a01393f2d13fca8bed1c2c00003fe9d79f24db3c1b3fcb5b515c01d000" +
    "3fe9ae2505c7b1903fcc2967ccbcc0003fe9852ef297ce2f3fccf635d54860003fe95cbaeea44b753fcdc1bd3446c000" +
    "3fe934c69de748383fce8c01b8cfe0003fe90d4f2f6752e63fcf5509c01790003fe8e6528effd79d3fd00e6c121fb800" +
    "3fe8bfce9fcc007c3fd071b80e93d0003fe899c0dabec30e3fd0d46b9e8670003fe87427aa2317fb3fd13687334bd000" +
    "3fe84f00acb39a083fd1980d672348003fe82a49e8653e553fd1f8ffe0cc80003fe8060195f402603fd2595fd7636800" +
    "3fe7e22563e0a3293fd2b9300914a8003fe7beb377dcb5ad3fd31872104360003fe79baa679725c23fd377266dec1800" +
    "3fe77907f21706573fd3d54ffbaf30003fe756cadbd6130c3fd432eee32fe000",
);
const LN2HI = LOG_DATA[0];
const LN2LO = LOG_DATA[1];
const LA0 = LOG_DATA[2];
const LA1 = LOG_DATA[3];
const LA2 = LOG_DATA[4];
const LA3 = LOG_DATA[5];
const LA4 = LOG_DATA[6];
const LB0 = LOG_DATA[7];
const LB1 = LOG_DATA[8];
const LB2 = LOG_DATA[9];
const LB3 = LOG_DATA[10];
const LB4 = LOG_DATA[11];
const LB5 = LOG_DATA[12];
const LB6 = LOG_DATA[13];
const LB7 = LOG_DATA[14];
const LB8 = LOG_DATA[15];
const LB9 = LOG_DATA[16];
const LB10 = LOG_DATA[17];
const LOG_TAB_OFFSET = 18;
const TWO_POW_27 = 134217728;

/**
 * glibc's log(x) (sysdeps/ieee754/dbl-64/e_log.c, FMA build). For x near 1 (|x - 1| < ~1/16):
 * log1p(r) with r = x - 1 as r + B0 r^2 + r^3 P(r), where r^2 / 2 is kept in double-double
 * (rhi = r rounded to 26 bits). Otherwise x = 2^k z with z in [0.6875, 1.375): with the table's
 * c ~ z (invc ~ 1/c, logc = log c), r = z invc - 1 and
 * log x = k ln2 + logc + r + A0 r^2 + r^3 (A1 + A2 r + r^2 (A3 + A4 r)).
 */
export function glibcLog(x: number): number {
  f64buf[0] = x;
  let hi = u64words[HI];
  let lo = u64words[LO];
  if (hi >= 0x3fee0000 && hi < 0x3ff10900) {
    if (x === 1) return 0;
    const r = x - 1;
    const r2 = r * r;
    let pa = fma64(r, LB2, LB1);
    let pb = fma64(r, LB5, LB4);
    let pc = fma64(r, LB8, LB7);
    pa = fma64(r2, LB3, pa);
    pb = fma64(r2, LB6, pb);
    const r3 = r * r2;
    pc = fma64(r2, LB9, pc);
    pc = fma64(r3, LB10, pc);
    let p = fma64(pc, r3, pb);
    p = fma64(p, r3, pa);
    // rhi = r + w - w with w = r * 2^27 (both steps fused)
    const rw = fma64(r, TWO_POW_27, r);
    const rhi = fma64(-TWO_POW_27, r, rw);
    const rhi2 = rhi * rhi;
    const rlo = r - rhi;
    const h = fma64(rhi2, LB0, r);
    let l = fma64(rhi2, LB0, r - h);
    l = fma64(LB0 * rlo, r + rhi, l);
    return h + fma64(p, r3, l);
  }
  const top = hi >>> 16;
  if ((top - 0x0010) >>> 0 >= 0x7ff0 - 0x0010) {
    if (x === 0) return -Infinity;
    if (x === Infinity) return x;
    if (top & 0x8000 || (top & 0x7ff0) === 0x7ff0) return NaN;
    // subnormal: normalize
    f64buf[0] = x * 4503599627370496; // 2^52
    hi = u64words[HI] - (52 << 20);
    lo = u64words[LO];
  }
  const tmpHi = (hi - 0x3fe60000) | 0; // high word of ix - OFF (the low word of OFF is 0)
  const i = (tmpHi >>> 13) & 127;
  const k = tmpHi >> 20;
  u64words[HI] = (hi - (tmpHi & 0xfff00000)) >>> 0;
  u64words[LO] = lo;
  const z = f64buf[0];
  const invc = LOG_DATA[LOG_TAB_OFFSET + 2 * i];
  const logc = LOG_DATA[LOG_TAB_OFFSET + 2 * i + 1];
  const w = fma64(k, LN2HI, logc);
  const r = fma64(z, invc, -1);
  const a12 = fma64(r, LA2, LA1);
  const h = r + w;
  const r2 = r * r;
  let l = fma64(k, LN2LO, w - h + r);
  const rr2 = r * r2;
  let a34 = fma64(r, LA4, LA3);
  l = fma64(r2, LA0, l);
  a34 = fma64(a34, r2, a12);
  return fma64(rr2, a34, l) + h;
}

/** true for negative numbers and -0 */
function isNegative(x: number): boolean {
  return x < 0 || (x === 0 && 1 / x < 0);
}

/** Outputs of sincos (kept in module slots so the hot loops allocate nothing). */
let sinD = 0;
let cosD = 0;

/**
 * sin and cos of x for the double Box-Muller paths, where PyTorch calls libm's sincos. We use
 * the engine's Math.sin / Math.cos (fdlibm-derived), which agree with glibc except in the last
 * bit for a few percent of inputs; float64 samples therefore match PyTorch to within 1 ulp, and
 * float32 samples (rounded from these doubles) match exactly but for astronomically rare ties.
 */
function glibcSincos(x: number): void {
  sinD = Math.sin(x);
  cosD = Math.cos(x);
}

// ------------------------------------------------------------------------------------------------
// AVX2 float32 Box-Muller (normal_fill_16_AVX2 with avx_mathfun.h), emulated lane by lane

// Constants of avx_mathfun.h, each stored as a float32 (the _PS256_CONST arrays are float).
const SQRTHF = fround(0.7071067811865476); // sqrt(1/2)
const LOG_P0 = fround(7.0376836292e-2);
const LOG_P1 = fround(-1.151461031e-1);
const LOG_P2 = fround(1.167699874e-1);
const LOG_P3 = fround(-1.2420140846e-1);
const LOG_P4 = fround(1.4249322787e-1);
const LOG_P5 = fround(-1.6668057665e-1);
const LOG_P6 = fround(2.0000714765e-1);
const LOG_P7 = fround(-2.4999993993e-1);
const LOG_P8 = fround(3.3333331174e-1);
const LOG_Q1 = fround(-2.1219444e-4);
const LOG_Q2 = fround(0.693359375);

const MINUS_DP1 = fround(-0.78515625);
const MINUS_DP2 = fround(-2.4187564849853515625e-4);
const MINUS_DP3 = fround(-3.774894977445941e-8);
const SINCOF_P0 = fround(-1.9515295891e-4);
const SINCOF_P1 = fround(8.3321608736e-3);
const SINCOF_P2 = fround(-1.6666654611e-1);
const COSCOF_P0 = fround(2.443315711809948e-5);
const COSCOF_P1 = fround(-1.388731625493765e-3);
const COSCOF_P2 = fround(4.166664568298827e-2);
const FOPI = fround(1.27323954473516); // 4 / pi
/** `_mm256_set1_ps(2.0f * c10::pi<double>)`: 2 pi computed in double, then stored as float */
const TWO_PI_F = fround(2 * Math.PI);

/**
 * log256_ps (avx_mathfun.h) for one lane, x > 0 a float32: Cephes logf. Writes x = m 2^e with
 * m in [0.5, 1); if m < sqrt(1/2) uses (2m - 1, e - 1) instead of (m - 1, e); then
 * log x = x' + (x'^3 P(x') - x'^2 / 2) + e (q1 + q2), q1 + q2 = ln 2 split for extra precision.
 * The fused steps are the ones GCC emitted in libtorch's AVX2 kernel: the Horner steps of P, and
 * y z + e q1 (e q2 and z / 2 are exact, so fusing them changes nothing).
 */
function log256(xIn: number): number {
  f32buf[0] = xIn < 1.1754943508222875e-38 ? 1.1754943508222875e-38 : xIn; // max with min_norm_pos
  const bits = u32buf[0];
  let e = fround((bits >>> 23) - 0x7f + 1);
  u32buf[0] = (bits & ~0x7f800000) | 0x3f000000;
  let x = f32buf[0];
  const small = x < SQRTHF;
  const tmp0 = small ? x : 0;
  x = fround(x - 1);
  if (small) e = fround(e - 1);
  x = fround(x + tmp0);
  const z = fround(x * x);
  let y = fmaf(LOG_P0, x, LOG_P1);
  y = fmaf(y, x, LOG_P2);
  y = fmaf(y, x, LOG_P3);
  y = fmaf(y, x, LOG_P4);
  y = fmaf(y, x, LOG_P5);
  y = fmaf(y, x, LOG_P6);
  y = fmaf(y, x, LOG_P7);
  y = fmaf(y, x, LOG_P8);
  y = fround(y * x);
  y = fmaf(y, z, fround(e * LOG_Q1));
  y = fround(y - fround(z * 0.5));
  x = fround(x + y);
  x = fround(x + fround(e * LOG_Q2));
  return x;
}

/** Output slots of sincos256 (avoid allocating a pair per call). */
let sinOut = 0;
let cosOut = 0;

/**
 * sincos256_ps (avx_mathfun.h) for one lane (Cephes sinf/cosf): j = octant of |x| (rounded up
 * to even), reduce x -= j * pi/4 in three pieces (DP1 + DP2 + DP3 = pi/4), then evaluate the
 * cosine polynomial 1 - z/2 + z^2 (c0 z^2 + c1 z + c2) and the sine polynomial
 * x + x z (s0 z^2 + s1 z + s2) with z = x^2, choosing and signing them by octant.
 * Results in `sinOut` / `cosOut`.
 */
function sincos256(xIn: number): void {
  const negative = isNegative(xIn);
  let x = Math.abs(xIn);
  let j = Math.trunc(fround(x * FOPI)) | 0; // _mm256_cvttps_epi32
  j = (j + 1) & ~1;
  const y0 = j; // _mm256_cvtepi32_ps: exact for these small octant numbers
  const swapSin = (j & 4) !== 0;
  const polyMask = (j & 2) === 0;
  x = fmaf(y0, MINUS_DP1, x);
  x = fmaf(y0, MINUS_DP2, x);
  x = fmaf(y0, MINUS_DP3, x);
  const signCos = (~(j - 2) & 4) !== 0;
  const signSin = negative !== swapSin;

  const z = fround(x * x);
  let y = fmaf(COSCOF_P0, z, COSCOF_P1);
  y = fmaf(y, z, COSCOF_P2);
  y = fround(y * z);
  y = fmaf(y, z, -fround(z * 0.5));
  y = fround(y + 1);
  let y2 = fmaf(SINCOF_P0, z, SINCOF_P1);
  y2 = fmaf(y2, z, SINCOF_P2);
  y2 = fround(y2 * z);
  y2 = fmaf(y2, x, x);

  // select: the sine takes y2 on octants with (j & 2) == 0 and y otherwise; the cosine the other.
  // The `0 + v` / `v + 0` mirror the masked adds (they turn -0 into +0).
  let s: number;
  let c: number;
  if (polyMask) {
    s = y2 + 0;
    c = y + 0;
  } else {
    s = y + 0;
    c = y2 + 0;
  }
  sinOut = signSin ? -s : s;
  cosOut = signCos ? -c : c;
}

/**
 * normal_fill_16_AVX2 on data[off .. off+16): u1 = 1 - data[k] (in (0, 1]), u2 = data[k + 8],
 * radius = sqrt(-2 log u1), theta = 2 pi u2, data[k] = fma(radius cos theta, std, mean),
 * data[k + 8] = fma(radius sin theta, std, mean), for k in 0..7, all in float32.
 */
function normalFill16AVX2(data: Float32Array, off: number, mean: number, std: number): void {
  for (let k = off; k < off + 8; k++) {
    const u1 = fround(1 - data[k]);
    const u2 = data[k + 8];
    const radius = fround(Math.sqrt(fround(-2 * log256(u1))));
    const theta = fround(TWO_PI_F * u2);
    sincos256(theta);
    const n1 = fround(radius * cosOut);
    const n2 = fround(radius * sinOut);
    data[k] = fmaf(n1, std, mean);
    data[k + 8] = fmaf(n2, std, mean);
  }
}

/**
 * normal_fill_16<double> (DistributionTemplates.h) on data[off .. off+16): for k in 0..7,
 * radius = sqrt(-2 log(1 - data[k])), theta = 2 pi data[k + 8],
 * data[k] = fma(radius cos theta, std, mean), data[k + 8] = fma(radius sin theta, std, mean).
 */
function normalFill16Double(data: Float64Array, off: number, mean: number, std: number): void {
  for (let k = off; k < off + 8; k++) {
    const radius = Math.sqrt(glibcLog(1 - data[k]) * -2);
    glibcSincos(TWO_PI * data[k + 8]);
    data[k] = fma64(radius * cosD, std, mean);
    data[k + 8] = fma64(radius * sinD, std, mean);
  }
}

// ------------------------------------------------------------------------------------------------
// public fills: each writes `out` in order, which is the order PyTorch's kernels visit the
// elements (TensorIterator's memory order; the op layer maps it onto strided tensors)

/**
 * Fills `out` like `tensor.uniform_(from, to)` / `torch.rand` (uniform_kernel +
 * transformation::uniform_real). float32: x = (random() & (2^24 - 1)) * 2^-24, result
 * x * (to - from) + from in float32 (one draw per element). float64:
 * x = (random64() & (2^53 - 1)) * 2^-53, result x * (to - from) + from in double (two draws).
 *
 * @example
 * const g = new CPUGeneratorImpl().manualSeed(0);
 * const x = new Float32Array(2);
 * fillUniform(x, false, 0, 1, g); // torch.rand(2) after torch.manual_seed(0): [0.4963, 0.7682]
 */
export function fillUniform(
  out: Float32Array | Float64Array,
  isDouble: boolean,
  from: number,
  to: number,
  gen: CPUGeneratorImpl,
): void {
  const n = out.length;
  if (isDouble) {
    const range = to - from;
    if (from === 0 && range === 1) {
      for (let i = 0; i < n; i++) out[i] = gen.uniform53();
    } else {
      for (let i = 0; i < n; i++) out[i] = fma64(gen.uniform53(), range, from);
    }
  } else {
    const f = fround(from);
    const range = fround(fround(to) - f);
    for (let i = 0; i < n; i++) out[i] = fmaf(gen.uniform24(), range, f);
  }
}

/**
 * Fills `out` like `tensor.normal_(mean, std)` / `torch.randn` (normal_kernel). On a contiguous
 * tensor of n >= 16 elements (`contiguous`): first n uniforms in [0, 1) (float32: 1 draw each,
 * float64: 2 draws each), Box-Muller over each block of 16 (first 8 -> radius, last 8 -> angle);
 * if n % 16 != 0 the last 16 slots are refilled with fresh uniforms and transformed again
 * (overwriting the tail of the previous block). float32 uses the AVX2 kernel's float math.
 * Otherwise (n < 16, or a non-contiguous tensor): each element is
 * at::normal_distribution<double>, which consumes the generator's cached second sample first;
 * float32 rounds the double result.
 *
 * @example
 * const g = new CPUGeneratorImpl().manualSeed(0);
 * const x = new Float32Array(3);
 * fillNormal(x, false, 0, 1, g); // torch.randn(3) after torch.manual_seed(0): [1.5410, -0.2934, -2.1788]
 */
export function fillNormal(
  out: Float32Array | Float64Array,
  isDouble: boolean,
  mean: number,
  std: number,
  gen: CPUGeneratorImpl,
  contiguous = true,
): void {
  const n = out.length;
  if (!(std >= 0)) throw runtimeError(`normal expects std >= 0.0, but found std ${std}`);
  if (n >= 16 && contiguous) {
    if (isDouble) {
      const data = out as Float64Array;
      for (let i = 0; i < n; i++) data[i] = gen.uniform53();
      for (let i = 0; i + 16 <= n; i += 16) normalFill16Double(data, i, mean, std);
      if (n % 16 !== 0) {
        for (let i = n - 16; i < n; i++) data[i] = gen.uniform53();
        normalFill16Double(data, n - 16, mean, std);
      }
    } else {
      const data = out as Float32Array;
      const m = fround(mean);
      const s = fround(std);
      for (let i = 0; i < n; i++) data[i] = gen.uniform24();
      for (let i = 0; i + 16 <= n; i += 16) normalFill16AVX2(data, i, m, s);
      if (n % 16 !== 0) {
        for (let i = n - 16; i < n; i++) data[i] = gen.uniform24();
        normalFill16AVX2(data, n - 16, m, s);
      }
    }
    return;
  }
  // normal_distribution<double> per element, then static_cast<scalar_t> (a Float32Array store
  // rounds to nearest, like the C++ cast)
  for (let i = 0; i < n; i++) out[i] = gen.normalDouble(mean, std);
}

// ------------------------------------------------------------------------------------------------
// the half types' fills (Note [half draws])

/**
 * Note [half draws]: PyTorch's CPU kernels draw float16 and bfloat16 samples in the half type
 * itself, not in float32 and rounded once (checked against torch 1.13.1 on every element of
 * 1000-element draws):
 * - uniform_ (uniform_kernel with scalar_t = Half/BFloat16): from and to are cast to the half
 *   type, to - from is a half subtraction (rounded), and each element is
 *   (random() & (2^d - 1)) 2^-d * range + from in float, cast to half, with d the type's
 *   digits (11 for float16, 8 for bfloat16): one 32-bit draw per element, fewer bits used.
 * - normal_ on a contiguous tensor of >= 16 elements: `normal_fill<scalar_t>` (not the AVX2
 *   float kernel): n uniforms on [0, 1) as above, then per block of 16, for k in 0..7,
 *   u1 = 1 - data[k] (a half subtraction), radius = sqrt(-2 log u1) and theta = 2 pi u2 stored
 *   as half, data[k] = radius cos(theta) std + mean, data[k + 8] likewise with sin. float16
 *   evaluates log, sqrt, cos, sin and the products in float (c10::Half converts to float),
 *   rounding only at the stores; bfloat16 has c10's BFloat16-math overloads (std::log, sqrt,
 *   cos, sin of a BFloat16 return a BFloat16) and BFloat16 * BFloat16 products, so every step
 *   is rounded to bfloat16. A tail that is not a multiple of 16 redraws the last 16 as the
 *   float kernels do. Otherwise one normal_distribution<double> sample per element, cast.
 * Complex32 draws on its float16 view (uniform_ and normal_ of a complex tensor run on
 * view_as_real, normal with std / sqrt(2)).
 */
type HalfCodec = { enc: (x: number) => number; dec: (h: number) => number; digits: number };
const FLOAT16_CODEC: HalfCodec = { enc: toHalfBits, dec: fromHalfBits, digits: 11 };
const BFLOAT16_CODEC: HalfCodec = { enc: toBFloat16Bits, dec: fromBFloat16Bits, digits: 8 };

/**
 * Fills the 16-bit patterns `out` (float16, or bfloat16 when `bf16`) like `uniform_(from, to)`
 * on a half tensor (Note [half draws]).
 *
 * @example
 * const g = new CPUGeneratorImpl().manualSeed(0);
 * const bits = new Uint16Array(2);
 * fillUniformHalf(bits, false, 0, 1, g); // torch.rand(2, dtype=torch.float16)'s patterns
 */
export function fillUniformHalf(
  out: Uint16Array,
  bf16: boolean,
  from: number,
  to: number,
  gen: CPUGeneratorImpl,
): void {
  const { enc, dec, digits } = bf16 ? BFLOAT16_CODEC : FLOAT16_CODEC;
  const mask = (1 << digits) - 1;
  const scale = 2 ** -digits;
  const f = dec(enc(from));
  const range = dec(enc(dec(enc(to)) - f));
  for (let i = 0; i < out.length; i++) out[i] = enc(fmaf((gen.random() & mask) * scale, range, f));
}

/**
 * Fills the 16-bit patterns `out` (float16, or bfloat16 when `bf16`) like `normal_(mean, std)`
 * on a half tensor, `contiguous` telling whether it is one (Note [half draws]).
 *
 * @example
 * const g = new CPUGeneratorImpl().manualSeed(0);
 * const bits = new Uint16Array(16);
 * fillNormalHalf(bits, true, 0, 1, g); // torch.randn(16, dtype=torch.bfloat16)'s patterns
 */
export function fillNormalHalf(
  out: Uint16Array,
  bf16: boolean,
  mean: number,
  std: number,
  gen: CPUGeneratorImpl,
  contiguous = true,
): void {
  const n = out.length;
  if (!(std >= 0)) throw runtimeError(`normal expects std >= 0.0, but found std ${std}`);
  const { enc, dec, digits } = bf16 ? BFLOAT16_CODEC : FLOAT16_CODEC;
  if (!(n >= 16 && contiguous)) {
    for (let i = 0; i < n; i++) out[i] = enc(gen.normalDouble(mean, std));
    return;
  }
  const q = (x: number): number => dec(enc(x));
  // the steps bfloat16 rounds to its own type and float16 keeps in float
  const r = bf16 ? q : fround;
  const mask = (1 << digits) - 1;
  const scale = 2 ** -digits;
  const m = q(mean);
  const s = q(std);
  const data = new Float32Array(n);
  const fill16 = (off: number): void => {
    for (let k = off; k < off + 8; k++) {
      const u1 = q(1 - data[k]);
      const u2 = data[k + 8];
      const radius = q(r(Math.sqrt(r(-2 * r(Math.log(u1))))));
      // 2.0f * c10::pi<double> * u2 in double, stored as half (through float)
      const theta = q(fround(2 * Math.PI * u2));
      data[k] = q(r(r(radius * r(Math.cos(theta))) * s) + m);
      data[k + 8] = q(r(r(radius * r(Math.sin(theta))) * s) + m);
    }
  };
  for (let i = 0; i < n; i++) data[i] = (gen.random() & mask) * scale;
  for (let i = 0; i + 16 <= n; i += 16) fill16(i);
  if (n % 16 !== 0) {
    for (let i = n - 16; i < n; i++) data[i] = (gen.random() & mask) * scale;
    fill16(n - 16);
  }
  for (let i = 0; i < n; i++) out[i] = enc(data[i]);
}

/** Integer storage a random fill may write: int64 and float64 (Float64Array), int32, uint8, bool. */
export type RandomIntArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * Fills `out` like `tensor.random_(low, high)` / `torch.randint(low, high, shape)`
 * (random_from_to_kernel, uniform_int_from_to_distribution): range = high - low; each element
 * is low + random() % range (one 32-bit draw), except that int64 and floating tensors (`wide`)
 * use low + random64() % range (two draws) when range >= 2^32. int64 tensors are Float64Arrays
 * (exact below 2^53); pass bigint bounds for int64 bounds beyond 2^53. The caller checks
 * low < high.
 *
 * @example
 * const g = new CPUGeneratorImpl().manualSeed(0);
 * const x = new Float64Array(3);
 * fillRandint(x, 0, 10, g); // torch.randint(0, 10, (3,)) after torch.manual_seed(0): [4, 9, 3]
 */
export function fillRandint(
  out: RandomIntArray,
  low: number | bigint,
  high: number | bigint,
  gen: CPUGeneratorImpl,
  wide = out instanceof Float64Array || out instanceof Float32Array,
): void {
  const lo = BigInt(low);
  const range = BigInt(high) - lo;
  const n = out.length;
  if (range < 0x100000000n || !wide) {
    // uint32 % range, plus base; every intermediate is an exact double (a narrower store wraps
    // as the C++ cast to the element type does)
    const r = Number(range);
    const base = Number(lo);
    for (let i = 0; i < n; i++) out[i] = (gen.random() % r) + base;
  } else {
    for (let i = 0; i < n; i++) out[i] = Number((gen.random64() % range) + lo);
  }
}

/**
 * `random_()` without bounds (uniform_int_distribution + transformation::uniform_int): int64 and
 * float64 draw random64(), the others random(); the result is val % (max + 1) with max the
 * type's largest value (2^63 - 1, 2^31 - 1, 255), or 2^53 / 2^24 for float64 / float32
 * (val % (2^digits + 1)), and val & 1 for bool.
 *
 * @example
 * const x = new Float64Array(2); // int64 storage
 * fillRandomDefault(x, "int64", new CPUGeneratorImpl().manualSeed(0));
 */
export function fillRandomDefault(
  out: RandomIntArray,
  kind: "float32" | "float64" | "int64" | "int32" | "uint8" | "bool",
  gen: CPUGeneratorImpl,
): void {
  const n = out.length;
  switch (kind) {
    case "float64":
      for (let i = 0; i < n; i++) out[i] = Number(gen.random64() % 9007199254740993n);
      break;
    case "int64":
      for (let i = 0; i < n; i++) out[i] = Number(gen.random64() % 9223372036854775808n);
      break;
    case "float32":
      for (let i = 0; i < n; i++) out[i] = gen.random() % 16777217;
      break;
    case "int32":
      for (let i = 0; i < n; i++) out[i] = gen.random() % 2147483648;
      break;
    case "uint8":
      for (let i = 0; i < n; i++) out[i] = gen.random() % 256;
      break;
    case "bool":
      for (let i = 0; i < n; i++) out[i] = gen.random() & 1;
      break;
  }
}

/**
 * `random_(-2^63, None)` on int64 / float64 / float32 (uniform_int_full_range: the 64-bit draw
 * read as an int64, then cast).
 */
export function fillRandomFullRange(out: Float32Array | Float64Array, gen: CPUGeneratorImpl): void {
  for (let i = 0; i < out.length; i++) out[i] = Number(BigInt.asIntN(64, gen.random64()));
}

/**
 * Fills `out` like `tensor.exponential_(lambda)` (exponential_kernel: one
 * exponential_distribution<double> sample per element, cast to the element type).
 *
 * @example
 * const q = new Float32Array(4);
 * fillExponential(q, 1, new CPUGeneratorImpl().manualSeed(2147483647)); // [1.0937, 1.8544, 1.2857, 0.0597]
 */
export function fillExponential(
  out: Float32Array | Float64Array,
  lambda: number,
  gen: CPUGeneratorImpl,
): void {
  for (let i = 0; i < out.length; i++) out[i] = gen.exponentialDouble(lambda);
}

/**
 * Fills `out` like `tensor.bernoulli_(p)` with a number p (bernoulli_kernel, scalar p): one
 * double uniform per element (two 32-bit draws), 1 where it is < p.
 *
 * @example
 * const mask = new Float32Array(10);
 * fillBernoulli(mask, 0.8, new CPUGeneratorImpl().manualSeed(0));
 */
export function fillBernoulli(out: RandomIntArray, p: number, gen: CPUGeneratorImpl): void {
  for (let i = 0; i < out.length; i++) out[i] = gen.uniform53() < p ? 1 : 0;
}

/**
 * Fills `out` like `tensor.bernoulli_(p)` with a tensor p, given p's values element by element
 * (bernoulli_kernel, tensor p): a float64 p compares a double uniform (two draws) with p, a
 * float32 p a float uniform (one draw, 24 bits).
 *
 * @example
 * const out = new Float32Array(3);
 * fillBernoulliTensor(out, new Float32Array([0.1, 0.5, 0.9]), false, new CPUGeneratorImpl().manualSeed(0));
 */
export function fillBernoulliTensor(
  out: RandomIntArray,
  p: ArrayLike<number>,
  pIsDouble: boolean,
  gen: CPUGeneratorImpl,
): void {
  if (pIsDouble) for (let i = 0; i < out.length; i++) out[i] = gen.uniform53() < p[i] ? 1 : 0;
  else for (let i = 0; i < out.length; i++) out[i] = gen.uniform24() < p[i] ? 1 : 0;
}

/**
 * `cauchy_` (cpu/DistributionTemplates.h cauchy_kernel): per element, in visiting order,
 * `cauchy_distribution<double>`: u = uniform53(), median + sigma * tan(pi * (u - 0.5)) (the
 * multiply-add contracted to an FMA, as the kernel is compiled), cast to the element type.
 */
export function fillCauchy(
  out: Float32Array | Float64Array,
  median: number,
  sigma: number,
  gen: CPUGeneratorImpl,
): void {
  for (let i = 0; i < out.length; i++)
    out[i] = fma64(sigma, Math.tan(Math.PI * (gen.uniform53() - 0.5)), median);
}

/**
 * `log_normal_` (log_normal_kernel): `lognormal_distribution<double>`, exp of
 * `normal_distribution<double>(mean, std)` (normalDouble: Box-Muller with the cached sample).
 */
export function fillLogNormal(
  out: Float32Array | Float64Array,
  mean: number,
  std: number,
  gen: CPUGeneratorImpl,
): void {
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(gen.normalDouble(mean, std));
}

/**
 * `geometric_` (geometric_kernel): `geometric_distribution<double>`, u = uniform53(), then
 * ceil(log(u) / log1p(-p)), cast to the element type (any dtype).
 */
export function fillGeometric(out: RandomIntArray, p: number, gen: CPUGeneratorImpl): void {
  const denom = Math.log1p(-p);
  for (let i = 0; i < out.length; i++) out[i] = Math.ceil(glibcLog(gen.uniform53()) / denom);
}
