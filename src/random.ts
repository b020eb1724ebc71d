/**
 * Random numbers identical to PyTorch 1.13's CPU generator, bit for bit.
 *
 * What mirrors what in ATen (aten/src/ATen/...):
 * - `Generator` is `at::CPUGeneratorImpl` (CPUGeneratorImpl.cpp): the mt19937 engine of
 *   core/MT19937RNGEngine.h plus the cached second Box-Muller sample.
 * - `fillUniform` is `uniform_kernel` (native/cpu/DistributionTemplates.h) with
 *   `uniform_real_distribution` / `transformation::uniform_real` (core/DistributionsHelper.h,
 *   core/TransformationHelper.h).
 * - `fillNormal` is `normal_kernel`: `normal_fill_AVX2` (the Cephes-style `log256_ps` and
 *   `sincos256_ps` of native/cpu/avx_mathfun.h) for float32 with >= 16 elements, `normal_fill` for
 *   float64 with >= 16 elements, and `normal_distribution<double>` otherwise.
 * - `fillRandint` is `random_from_to_kernel` with `uniform_int_from_to_distribution`.
 *
 * Bit-exactness notes. The reference is the Debian build of torch 1.13.1 running its AVX2 kernels
 * on x86-64 with glibc 2.36, and every detail below was checked against its machine code:
 * - GCC contracts many `a * b + c` into fused multiply-adds in those kernels (e.g. `x * range +
 *   from` in uniform_, `z * std + mean` in normal_, the polynomial steps of log256_ps). `fmaf` and
 *   `fma64` compute correctly rounded FMAs so each contraction is reproduced where it happens.
 * - The double Box-Muller paths call glibc's `log` and `sincos` (GCC merges std::sin/std::cos),
 *   whose FMA builds differ from Math.log / Math.sin / Math.cos in the last bit for a few percent
 *   of inputs; `glibcLog` / `glibcSincos` reimplement them exactly.
 */

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

/** A snapshot of a Generator, as returned by `getState()`. */
export interface GeneratorState {
  /** the seed as a decimal string (uint64) */
  seed: string;
  left: number;
  next: number;
  /** the 624 mt19937 state words */
  state: number[];
  /** cached second sample of `at::normal_distribution<double>`, or null */
  nextDoubleNormal: number | null;
}

/**
 * A pseudo-random generator equivalent to PyTorch's CPU `torch.Generator`.
 *
 * @example
 * const g = new Generator().manualSeed(0);
 * const out = new Float32Array(4);
 * fillUniform(out, false, 0, 1, g); // == torch.rand(4, generator=torch.Generator().manual_seed(0))
 */
export class Generator {
  /** mt19937 state words (mt19937_data_pod::state_) */
  private readonly mt = new Uint32Array(MT_N);
  private left = 1;
  private next = 0;
  private seed = DEFAULT_RNG_SEED;
  /** next_double_normal_sample_ of CPUGeneratorImpl: valid only while `hasNextDoubleNormal` */
  private nextDoubleNormal = 0;
  private hasNextDoubleNormal = false;

  constructor(seed: number | bigint = DEFAULT_RNG_SEED) {
    this.manualSeed(seed);
  }

  /**
   * Reseeds the engine and drops the cached normal sample (CPUGeneratorImpl::set_current_seed).
   * The seed is taken modulo 2^64 like Python's `torch.manual_seed` (so -1 means 2^64 - 1);
   * mt19937 itself only uses its low 32 bits (mt19937_engine::init_with_uint32).
   *
   * @example
   * new Generator().manualSeed(42).initialSeed(); // 42
   */
  manualSeed(seed: number | bigint): this {
    let s: bigint;
    if (typeof seed === "bigint") s = seed;
    else {
      if (!Number.isInteger(seed))
        throw new TypeError(`manual_seed expected an integer, got ${seed}`);
      s = BigInt(seed);
    }
    if (s < -(1n << 63n) || s > U64_MASK) {
      throw new RangeError(
        "Overflow when unpacking long: seed must be within the range [-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff]",
      );
    }
    s &= U64_MASK;
    this.seed = s;
    this.hasNextDoubleNormal = false;
    this.nextDoubleNormal = 0;
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
   * The seed last given to `manualSeed` (torch.Generator.initial_seed()). Exact up to 2^53.
   *
   * @example
   * new Generator().manualSeed(7).initialSeed(); // 7
   */
  initialSeed(): number {
    return Number(this.seed);
  }

  /** Non-deterministically reseeds (torch.Generator.seed()) and returns the new seed. */
  seedRandomly(): number {
    const s = nondeterministicSeed();
    this.manualSeed(s);
    return Number(s);
  }

  /**
   * A copy of the full generator state, including the cached normal sample.
   *
   * @example
   * const s = g.getState(); fillUniform(a, false, 0, 1, g); g.setState(s); fillUniform(b, false, 0, 1, g); // a == b
   */
  getState(): GeneratorState {
    return {
      seed: this.seed.toString(),
      left: this.left,
      next: this.next,
      state: Array.from(this.mt),
      nextDoubleNormal: this.hasNextDoubleNormal ? this.nextDoubleNormal : null,
    };
  }

  /** Restores a state produced by `getState()` (CPUGeneratorImpl::set_state). */
  setState(st: GeneratorState): this {
    if (
      !Array.isArray(st.state) ||
      st.state.length !== MT_N ||
      !(st.left > 0 && st.left <= MT_N) ||
      !(st.next >= 0 && st.next <= MT_N)
    ) {
      throw new Error("Invalid mt19937 state");
    }
    this.seed = BigInt(st.seed) & U64_MASK;
    this.left = st.left;
    this.next = st.next;
    this.mt.set(st.state);
    this.hasNextDoubleNormal = st.nextDoubleNormal !== null;
    this.nextDoubleNormal = st.nextDoubleNormal ?? 0;
    return this;
  }

  /** mt19937_engine::next_state: regenerates all 624 words at once. */
  private twist(): void {
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
   * One tempered 32-bit output (CPUGeneratorImpl::random), as an unsigned integer in [0, 2^32).
   *
   * @example
   * new Generator().manualSeed(5489).random(); // 3499211612, std::mt19937's first output
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
   * CPUGeneratorImpl::random64 = (random() << 32) | random(), as a BigInt in [0, 2^64).
   *
   * @example
   * new Generator().manualSeed(0).random64(); // a bigint
   */
  random64(): bigint {
    const hi = this.random();
    const lo = this.random();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /**
   * `transformation::uniform_real<double>(random64(), 0, 1)`: the low 53 bits of random64()
   * times 2^-53, in [0, 1). The first draw supplies the high bits.
   */
  uniform53(): number {
    const hi = this.random();
    const lo = this.random();
    return ((hi & 0x1fffff) * TWO_POW_32 + lo) * TWO_POW_M53;
  }

  /**
   * `at::normal_distribution<double>(mean, std)` (DistributionsHelper.h) as compiled in PyTorch
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
}

function nondeterministicSeed(): bigint {
  // c10::detail::getNonDeterministicRandom: 64 random bits (from /dev/urandom in PyTorch).
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } })
    .crypto;
  if (c?.getRandomValues) {
    const w = c.getRandomValues(new Uint32Array(2));
    return (BigInt(w[0]) << 32n) | BigInt(w[1]);
  }
  return (
    BigInt(Math.floor(Math.random() * TWO_POW_32)) * 4294967296n +
    BigInt(Math.floor(Math.random() * TWO_POW_32))
  );
}

/**
 * The process-wide generator used when none is passed (at::detail::getDefaultCPUGenerator).
 * Like PyTorch's, it starts from a non-deterministic seed.
 */
export const defaultGenerator: Generator = new Generator(nondeterministicSeed());

/**
 * torch.manual_seed: seeds the default generator and returns it.
 *
 * @example
 * manualSeed(0);
 * const x = new Float32Array(4);
 * fillUniform(x, false, 0, 1); // [0.4963, 0.7682, 0.0885, 0.1320] like torch.rand(4)
 */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}

/**
 * torch.initial_seed: the default generator's seed.
 *
 * @example
 * manualSeed(3); initialSeed(); // 3
 */
export function initialSeed(): number {
  return defaultGenerator.initialSeed();
}

// ------------------------------------------------------------------------------------------------
// Exact floating-point helpers

/** Scratch views used to reinterpret float bits without allocating. */
const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);
const f64buf = new Float64Array(1);
const u64words = new Uint32Array(f64buf.buffer);
/** index of the low / high 32-bit word of a float64 in `u64words` (little- or big-endian hosts) */
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

const fround = Math.fround;

/**
 * x + y rounded to odd (Boldo & Melquiond): the exact sum if representable, else whichever of
 * its two neighbouring doubles has an odd last mantissa bit. Rounding such a value once more to
 * a narrower precision (or adding it into an exact sum) never double-rounds.
 */
function addRoundToOdd(x: number, y: number): number {
  const s = x + y;
  // Knuth's TwoSum: e is the exact rounding error of x + y
  const bb = s - x;
  const e = x - (s - bb) + (y - bb);
  if (e === 0 || s !== s || s === Infinity || s === -Infinity) return s;
  f64buf[0] = s;
  if ((u64words[LO] & 1) === 1) return s;
  // s is even: its odd neighbour towards the exact value is one step of the bit pattern away
  // (s != 0 here, since a sum that rounds to zero is exact).
  if (e > 0 === s > 0) {
    if (u64words[LO] === 0xffffffff) {
      u64words[LO] = 0;
      u64words[HI]++;
    } else u64words[LO]++;
  } else {
    if (u64words[LO] === 0) {
      u64words[LO] = 0xffffffff;
      u64words[HI]--;
    } else u64words[LO]--;
  }
  return f64buf[0];
}

const SPLITTER = 134217729; // 2^27 + 1, Veltkamp's splitting constant

/**
 * Correctly rounded double fused multiply-add fma(a, b, c) = RN(a * b + c), as the x86 FMA3
 * instructions compute it. Dekker's TwoProduct gives a*b = ph + pl exactly, TwoSum gives
 * c + ph = sh + sl exactly, and RN(sh + RO(sl + pl)) is the correctly rounded result
 * (Boldo & Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using
 * rounding to odd", 2008). Assumes no overflow or underflow, which holds for every use here.
 */
function fma64(a: number, b: number, c: number): number {
  const ph = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const pl = ah * bh - ph + ah * bl + al * bh + al * bl;
  if (pl === 0) return ph + c; // exact product: a single rounding
  const sh = c + ph;
  const bb = sh - c;
  const sl = c - (sh - bb) + (ph - bb);
  return sh + addRoundToOdd(sl, pl);
}

/**
 * Correctly rounded float32 fused multiply-add for float32 a, b, c (`_mm256_fmadd_ps`, or a
 * GCC-contracted `a * b + c` on floats): a*b is exact in a double (24 + 24 <= 53 bits), so
 * round-to-odd of the double sum followed by rounding to float32 is correct.
 */
function fmaf(a: number, b: number, c: number): number {
  return fround(addRoundToOdd(a * b, c));
}

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
function glibcLog(x: number): number {
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

/**
 * `__sincostab` of glibc's sysdeps/ieee754/dbl-64/sincostab.c (IBM Accurate Mathematical
 * Library): for i = 0..109, sin(i/128) and cos(i/128) as double-double pairs (sn, ssn, cs, ccs).
 */
const SINCOS_TAB = hexDoubles(
  "000000000000000000000000000000003ff000000000000000000000000000003f7fffeaaaaeeeefbc1e45e2ec67b77c" +
    "3fefffc0001555523c8f4a01a0196dae3f8fffaaaaeeeed5bc02ab639a9f07773fefff000155549f3c828a28a03a5ef3" +
    "3f97ff70010332553bfefe2b515273363feffdc006bff7e63c8ae6dae86977bd3f9ffeaaaeeee86fbc3cd406fb224ae2" +
    "3feffc00155527d3bc83b54492d89b5b3fa3feb2b12d45d53c34ec54203d1c113feff9c03414a7ba3c6991f4be6c59bf" +
    "3fa7fdc01032fba9bc4599bdf46e997a3feff7006bfdf99fbc78b3b560648d5f3fabfc6d78586dac3c18e4fd03dbf236" +
    "3feff3c0c8103a313c74856dbddc0e663faffaaaeeed4edbbc42d16d32684b693feff0015549f4d33c8328387b99426f" +
    "3fb1fc343d808befbc5f3d32e6f3be4f3fefebc222a8ef9f3c57934934f54c773fb3facb12d1755bbc5921915299468c" +
    "3fefe7034129ef6fbc6cbf4337c96f973fb5f911fd10b737bc50184f02be91023fefe1c4c3c873ebbc35a9c9057c4a02" +
    "3fb7f701032550e43c3afc2d1800501a3fefdc06bf7e6b9b3c831902b535f8db3fb9f4902d55d1f93c52696d7eac1dc1" +
    "3fefd5c94b43e000bc62e768cb4f92f93fbbf1b78568391d3c5e91841dea4cc83fefcf0c800e99b13c6ea3d786d186ac" +
    "3fbdee6f16c1cce6bc450f8e2fb716733fefc7d078d1bc883c8075d2447db6853fbfeaaeee86ee36bc4afcb2bcc6f03b" +
    "3fefc015527d5bd33c8b68f35094efb83fc0f3378ddd71d13c6d8468724f0f9e3fefb7db2bfe06953c821dadf4f65ab1" +
    "3fc1f0d3d7afceafbc66ef95099769a53fefaf22263c4bd3bc552ace133a27693fc2ee285e4ab88fbc6e4d0f05dee058" +
    "3fefa5ea641c36f23c404da6ed17cc7c3fc3eb312c5d66cb3c647d666b66cb913fef9c340a7cc4283c8c5b6b063b7462" +
    "3fc4e7ea4dc5f27b3c5949db2ac072fc3fef91ff40374d01bc67d03f4d3a9e4c3fc5e44fcfa126f3bc66f443063f89b6" +
    "3fef874c2e1eecf6bc8c6514e1332b163fc6e05dc05a4d4cbbd32c5c8b81c9403fef7c1afeffde24bc78f55bc47540b1" +
    "3fc7dc102fbaf2b53c45ab50e23c97c33fef706bdf9ece1cbc8698c80c36dcb43fc8d7632efaa944bc620fa262cbb953" +
    "3fef643efeb82acd3c76b00ac1fe28ac3fc9d252d0cec3123c59c43d80b1137d3fef57948cff67973c6e3a0d3e03b1d5" +
    "3fcaccdb297a0765bc59883b57d6cdeb3fef4a6cbd1e3a793c813df0edaebb573fcbc6f84edc61993c69c1a56a7b0cab" +
    "3fef3cc7c3b3d16ebc621a3ad28a34943fccc0a6588289a3bc6868d09bc87c6b3fef2ea5d753ffed3c8cc4215f56d583" +
    "3fcdb9e15fb5a5d0bc632e20d6cc6fc23fef20073086649f3c7b940416c1984b3fceb2a57f8ae5a3bc60be06af572ceb" +
    "3fef10ec09c5873b3c8d9072762c12833fcfaaeed4f31577bc615d88508e32b83fef01549f7deea13c8d3c1e99e5cafd" +
    "3fd0515cbf65155cbc79b8c29dfd8ec83feef141300d2f26bc82aa1b08ded3723fd0cd00cef36436bc79fb0a0c93e2b5" +
    "3feee0b1fbc0f11cbc4bfd2380bbc3b13fd14861aa94ddebbc6be881b5b615a43feecfa744d5efa1bc556d0a4af541d0" +
    "3fd1c37d64c6b8763c746076fe0dcff53feebe214f76efa8bc802f9f12ba543e3fd23e52111aaf36bc74f080334eff18" +
    "3feeac2061bbaf4f3c62c1d53e94658d3fd2b8ddc43eb49f3c61553899f2d8073fee99a4c3a7cd83bc82264b1bc53ce8" +
    "3fd3331e94049f873c7e0cb6b40c302c3fee86aebf29a9ed3c89397afdbb58a73fd3ad129769d3d83c003d5504878398" +
    "3fee733ea0193d40bc86428b3546ce133fd426b7e69ee697bc7f09c75705c59f3fee5f54b436e9d03c87eb0fd02fc8bc" +
    "3fd4a00c9b0f3d203c7823ba6bb08ead3fee4af14b2a449cbc868ca02e8a68333fd5190ecf68a77a3c7b357155eef0f3" +
    "3fee3614b680d6a5bc727793aa0152373fd591bc9fa2f5973c67c74bac3fe0cb3fee20bf49acd6c1bc5660aec7ef636c" +
    "3fd60a14290787753c5b1fd80ba891333fee0af15a03dbce3c5fe8e702771ae63fd682138a38d7f7bc7d889202444aad" +
    "3fedf4ab3ebd875ebc8e2d8a7e6736c43fd6f9b8e33a02553c742bc14ee9da0d3feddded50f228d6bc6e80c8d42ba2bf" +
    "3fd7710255764214bc66ead7314bb6ce3fedc6b7eb9959123c54b364776dcd353fd7e7ee03c86d4ebc7b63bcdabf5af2" +
    "3fedaf0b6b888e833c8a249e2b5e5cea3fd85e7a128269493c78a40e9b5face03fed96e82f71a9dc3c8ff61bd5d2039d" +
    "3fd8d4a4a774992f3c744a02ea7663263fed7e4e97e17b4abc63b770352bed943fd94a6be9f546c5bc769ce13e683f58" +
    "3fed653f073e4040bc876236434bec373fd9bfce02e805103c709e39a320b0a43fed4bb9e1c619e03c8f34bb77858f61" +
    "3fda34c91cc50ccabc5a310e3b50cecd3fed31bf8d8d7c063c7e60dd3089cbdd3fdaa95b63a09277bc66293eb13c0381" +
    "3fed1750727d94f03c80d52b1ec1a48e3fdb1d8305321617bc7ae242cb99f5193fecfc6cfa52ad9f3c88b5b5508f2a0d" +
    "3fdb913e30dbac43bc7e38ad2f6c3ff13fece115909a82e53c81f139bb31109a3fdc048b17b140a33c619fe6757e9fa7" +
    "3fecc54aa2b2972e3c64ee162ba83a983fdc7767ec7fd19ebc5eb14d1a3d58263feca90c9fc67d0bbc646a81485e3462" +
    "3fdce9d2e3d4a51fbc62fc8a12dae2983fec8c5bf8ce1a843c7ab3d1a15901233fdd5bca340476613c728a44a75fc29c" +
    "3fec6f39208be53bbc8741dbfbaadb423fddcd4c15329c9a3c70d4c6e171fd9a3fec51a48b8b175ebc61bbb43b9aa880" +
    "3fde3e56c1582a69bc50a4821099f88f3fec339eb01ddd81bc8caaf5ee82c5c03fdeaee8744b05f0bc5789b43c9b027d" +
    "3fec1528065b7d50bc8892111312e8283fdf1eff6bc4f97b3c717212f8a7525c3febf641081e75363c8b7bd71628a9a1" +
    "3fdf8e99e76abc973c59d950af2d00a33febd6ea310294f53c731bbcc88c109d3fdffdb628d2f57a3c6f4a992e905b6a" +
    "3febb723fe630f323c772bd2452d0a393fe0362939c69955bc82d8cd78397b013feb96eeef58840e3c545a3cc78fade0" +
    "3fe06d3686946e5b3c83f5ae4538ff1b3feb764b84b704c2bc8f5848c21b389b3fe0a4021e9e1001bc86f643a13914f6" +
    "3feb553a410c104e3c58ff7947027a163fe0da8b26b5672ebc8a58def0bee9093feb33bba89c89483c8ea6a51d1f6ca9" +
    "3fe110d0c4b69c3b3c8d9189988099813feb11d04162a4c63c71dd561efbc0c23fe146d21f8b7f823c7bf9535e2739a8" +
    "3feaef78930bd275bc7f836279746f943fe17c8e5f2eedb03c635e57102e24883feaccb526f69de53c88fb6a8dd6b6cc" +
    "3fe1b204acb02fddbc5f190c70cbb5ff3feaa98688308913bc0b83d607cd50703fe1e7343236574c3c722a3fa4f41d5a" +
    "3fea85ed4373e02d3c69be06385ec7923fe21c1c1b0394cf3c5e5b324b23aa313fea61e9e72586af3c858330e2fd453f" +
    "3fe250bb93788bbb3c7ea3d02457bcce3fea3d7d0352bdcfbc868dbaeca196693fe28511c917a067bc801df1d9a16b70" +
    "3fea18a729aee4453c395e25736c03583fe2b91dea88421ebc8fa371db216ab03fe9f368ed912f85bc81d200c5791606" +
    "3fe2ecdf279a30823c8d3557e0e7e37e3fe9cdc2e3f25e5c3c83f99112993f623fe32054b148bc4f3c8f6b42095a135b" +
    "3fe9a7b5a36a65143c8722cfcc9fa7a93fe3537db9be03673c6b327e7af040f03fe98141c42e13103c8d1ff80488f08d" +
    "3fe386597456282bbc710fada93b07a83fe95a67e00cb1fdbc80befda21f862d3fe3b8e715a2840abc797653a7d2f07b" +
    "3fe93328926d9e92bc8bb77003600cda3fe3eb25d36cd53abc5be570e1570fc03fe90b84784ddaf7bc70feb10ab93b87" +
    "3fe41d14e4ba67903c84608fd287ecf53fe8e37c303d9ad1bc6463a4b53d4bf83fe44eb381cf386bbc83ed6c1e6a5505" +
    "3fe8bb105a5dc9003c8863e03e9474c13fe48000e431159fbc8b194a7463ed103fe89241985d871f3c8c48d9c413ed84" +
    "3fe4b0fc46aab7613c20da05738cc59a3fe869108d77a6c63c7338ffe2bfe9dd3fe4e1a4e54ed51bbc8a492f89b7c76a" +
    "3fe83f7dde701ca0bc4152cf609bc6e83fe511f9fd7b351cbc85c0e861c488313fe8158a31916d5dbc6de8b90b8228de" +
    "3fe541facddbb7243c7232c28520d3913fe7eb362eaa14883c5a1d65a4a5959f3fe571a6966d59b33c5c843b4d0fb198" +
    "3fe7c0827f09e54fbc6c73d6d72aee683fe5a0fc98813a12bc8d82e2b7d4227b3fe7956fcd7f6543bc8ab276e9d45ae4" +
    "3fe5cffc16bf8f0d3c896cb370eb578a3fe769fec655211fbc6827d5cf8c68c53fe5fea4552a9e573c80b6cef7ee20b7" +
    "3fe73e30174efba1bc65d3ae3d94ad5f3fe62cf49921ac79bc8edd9855b6241a3fe712046fa776783c8425b0a5029c81" +
    "3fe65aec2963e7553c8126f96b71053c3fe6e57c800cf55e3c860286dedbd0a63fe6888a4e134b2fbc86b7d37644d5e6" +
    "3fe6b898fa9efb5d3c715ac786ccf4b23fe6b5ce50b7821abc65d5158f702e0f3fe68b5a92eb6253bc89a91ad985f89c" +
    "3fe6e2b77c40bde1bc70e729857fad533fe65dc1fdeb8cbabc597c1b47337c773fe70f451d0a8c403c697ede3885770d" +
    "3fe62fcff20191c73c6d9143895756ef3fe73b7680dea578bc72248306dc12a23fe6018526f563df3c846ca5e0e432d0" +
    "3fe7674af6f7b5243c7e9d3f94ac84a83fe5d2e255f1f17a3c80314104c8892b3fe792c1d0041d52bc8abf05eeb354eb" +
    "3fe5a3e8398240773c8428aa2759be623fe7bdda5e28b3c23c4ad1197ccd03933fe574978d8e83f23c8f4714af282d23" +
    "3fe7e893f50379593c80eefbaa650c4c3fe544f10f592ca5bc8e7ae8e6c7a62f3fe812ede9ae4ba4bc87830adf402dda" +
    "3fe514f57d7bf3da3c747a108073c259",
);

// usncs.h constants (s_sin.c's sn3..cs6 and TAYLOR_SIN's s1..s5), as IEEE-754 bit patterns
const USNCS = hexDoubles(
  "bfc55555555555153f811110e829872f3fe0000000000000bfa55555555555353f56c16bedd9e239" +
    "bfc55555555555553f81111111110ecebf2a01a019db08b83ec71de27b9a7ed9be5addffc2fcdf59" +
    "42c80000000000003ff921fb54442d183c91a62633145c073ff921fb58000000be4dde973c000000" +
    "bc8cb3b398000000bacd747f23e32ed73fe45f306dc9c8834338000000000000",
);
const SN3 = USNCS[0];
const SN5 = USNCS[1];
const CS2 = USNCS[2]; // 0.5
const CS4 = USNCS[3];
const CS6 = USNCS[4];
const S1 = USNCS[5];
const S2 = USNCS[6];
const S3 = USNCS[7];
const S4 = USNCS[8];
const S5 = USNCS[9];
const BIG = USNCS[10]; // 1.5 * 2^45: adding it rounds |x| to a multiple of 1/128
const HP0 = USNCS[11]; // pi/2 = hp0 + hp1
const HP1 = USNCS[12];
const MP1 = USNCS[13]; // pi/2 = mp1 + mp2 + pp3 + pp4 for reduce_sincos
const MP2 = USNCS[14];
const PP3 = USNCS[15];
const PP4 = USNCS[16];
const HPINV = USNCS[17]; // 2/pi
const TOINT = USNCS[18]; // 1.5 * 2^52: adding it rounds to an integer

function isNegative(x: number): boolean {
  return x < 0 || (x === 0 && 1 / x < 0);
}

/** TAYLOR_SIN of s_sin.c: sin(a + da) ~ a + (((s5 xx + s4) xx + s3) xx + s2) xx + s1) a - da/2) xx + da. */
function sinTaylor(a: number, da: number): number {
  const xx = a * a;
  let p = fma64(xx, S5, S4);
  p = fma64(xx, p, S3);
  p = fma64(xx, p, S2);
  p = fma64(xx, p, S1);
  const t = fma64(xx, fma64(p, a, -(da * 0.5)), da);
  return a + t;
}

/**
 * do_sin of s_sin.c: sin(x + dx) for |x| < 0.855469. Split |x| = X_i + x' with X_i = i/128 from
 * the table, then sin(X_i + x') = sn + (ssn + s ccs - sn c) + cs s, where s ~ sin x' and
 * c ~ 1 - cos x' are short Taylor polynomials. Tiny |x| < 0.126 uses TAYLOR_SIN directly.
 */
function doSin(x: number, dx: number): number {
  if (Math.abs(x) < 0.126) return sinTaylor(x, dx);
  if (x <= 0) dx = -dx;
  const ax = Math.abs(x);
  const u = BIG + ax;
  const xr = ax - (u - BIG);
  const k = (u - BIG) * 512; // 4 * (index i = (u - big) * 128)
  const sn = SINCOS_TAB[k];
  const ssn = SINCOS_TAB[k + 1];
  const cs = SINCOS_TAB[k + 2];
  const ccs = SINCOS_TAB[k + 3];
  const xx = xr * xr;
  const s = fma64(xx * xr, fma64(xx, SN5, SN3), dx) + xr;
  const c = fma64(dx, xr, xx * fma64(fma64(xx, CS6, CS4), xx, CS2));
  let cor = fma64(s, ccs, ssn);
  cor = fma64(-c, sn, cor);
  cor = fma64(s, cs, cor);
  const res = cor + sn;
  return isNegative(x) ? -Math.abs(res) : Math.abs(res);
}

/** do_cos of s_sin.c: cos(x + dx) = cs - (s ssn + cs c + sn s - ccs) with the same split as doSin. */
function doCos(x: number, dx: number): number {
  if (x < 0) dx = -dx;
  const ax = Math.abs(x);
  const u = BIG + ax;
  const xr = ax - (u - BIG) + dx;
  const k = (u - BIG) * 512;
  const sn = SINCOS_TAB[k];
  const ssn = SINCOS_TAB[k + 1];
  const cs = SINCOS_TAB[k + 2];
  const ccs = SINCOS_TAB[k + 3];
  const xx = xr * xr;
  const s = fma64(xr * xx, fma64(xx, SN5, SN3), xr);
  const c = xx * fma64(fma64(xx, CS6, CS4), xx, CS2);
  let cor = fma64(-ssn, s, ccs);
  cor = fma64(-c, cs, cor);
  cor = fma64(-s, sn, cor);
  return cor + cs;
}

/** Outputs of glibcSincos (kept in module slots so the hot loops allocate nothing). */
let sinD = 0;
let cosD = 0;

/**
 * glibc's sincos(x) (sysdeps/ieee754/dbl-64/s_sincos.c, FMA build), which GCC substitutes for the
 * std::sin / std::cos pair in PyTorch's Box-Muller code. |x| < 0.855469: doSin/doCos directly;
 * |x| < 2.426265: reduce against pi/2 = hp0 + hp1; |x| < 105414350: x = n pi/2 + (a + da) with
 * pi/2 split in four parts (reduce_sincos), then pick/sign by quadrant n. Larger |x| (never reached
 * here) falls back to Math.sin / Math.cos. Results in `sinD` / `cosD`.
 */
function glibcSincos(x: number): void {
  f64buf[0] = x;
  const k = u64words[HI] & 0x7fffffff;
  if (k < 0x3e400000) {
    sinD = x;
    cosD = 1;
  } else if (k < 0x3feb6000) {
    sinD = doSin(x, 0);
    cosD = doCos(x, 0);
  } else if (k < 0x400368fd) {
    const y = HP0 - Math.abs(x);
    const a = y + HP1;
    const da = y - a + HP1;
    const s = doCos(a, da);
    sinD = isNegative(x) ? -Math.abs(s) : Math.abs(s);
    cosD = doSin(a, da);
  } else if (k < 0x419921fb) {
    // reduce_sincos
    const t = fma64(x, HPINV, TOINT);
    const xn = t - TOINT;
    const n = xn & 3;
    let y = fma64(-xn, MP1, x);
    y = fma64(-xn, MP2, y);
    const t2 = fma64(-xn, PP3, y);
    let db = fma64(-xn, PP3, y - t2);
    const b = fma64(-xn, PP4, t2);
    db += fma64(-xn, PP4, t2 - b);
    let a = b;
    let da = db;
    if (n === 1 || n === 2) {
      a = -a;
      da = -da;
    }
    const s = doSin(a, da);
    let c = doCos(a, da);
    if (n & 2) c = -c;
    if (n & 1) {
      sinD = c;
      cosD = s;
    } else {
      sinD = s;
      cosD = c;
    }
  } else {
    sinD = Math.sin(x);
    cosD = Math.cos(x);
  }
}

// ------------------------------------------------------------------------------------------------
// AVX2 float32 Box-Muller (normal_fill_16_AVX2 with avx_mathfun.h), emulated lane by lane

// Constants of avx_mathfun.h, each stored as a float32 (the _PS256_CONST arrays are float).
const SQRTHF = fround(0.707106781186547524);
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
const MINUS_DP3 = fround(-3.77489497744594108e-8);
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
// public fills

/**
 * Fills `out` like `tensor.uniform_(from, to)` / `torch.rand` on a contiguous tensor
 * (uniform_kernel + transformation::uniform_real). float32: x = (random() & (2^24 - 1)) * 2^-24,
 * result x * (to - from) + from in float32 (one draw per element). float64:
 * x = (random64() & (2^53 - 1)) * 2^-53, result x * (to - from) + from in double (two draws).
 *
 * @example
 * manualSeed(0);
 * const x = new Float32Array(2);
 * fillUniform(x, false, 0, 1); // torch.rand(2): [0.4963, 0.7682]
 */
export function fillUniform(
  out: Float32Array | Float64Array,
  isDouble: boolean,
  from: number,
  to: number,
  gen: Generator = defaultGenerator,
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
    for (let i = 0; i < n; i++) {
      const x = (gen.random() & 0xffffff) * TWO_POW_M24;
      out[i] = fmaf(x, range, f);
    }
  }
}

/**
 * Fills `out` like `tensor.normal_(mean, std)` / `torch.randn` on a contiguous tensor
 * (normal_kernel). With n >= 16 elements: first n uniforms in [0, 1) (float32: 1 draw each,
 * float64: 2 draws each), Box-Muller over each block of 16 (first 8 -> radius, last 8 -> angle);
 * if n % 16 != 0 the last 16 slots are refilled with fresh uniforms and transformed again
 * (overwriting the tail of the previous block). float32 uses the AVX2 kernel's float math.
 * With n < 16: each element is at::normal_distribution<double>, which consumes the generator's
 * cached second sample first; float32 rounds the double result.
 *
 * @example
 * manualSeed(0);
 * const x = new Float32Array(3);
 * fillNormal(x, false, 0, 1); // torch.randn(3): [1.5410, -0.2934, -2.1788]
 */
export function fillNormal(
  out: Float32Array | Float64Array,
  isDouble: boolean,
  mean: number,
  std: number,
  gen: Generator = defaultGenerator,
): void {
  const n = out.length;
  if (!(std >= 0)) throw new RangeError(`normal expects std >= 0.0, but found std ${std}`);
  if (n >= 16) {
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
      for (let i = 0; i < n; i++) data[i] = (gen.random() & 0xffffff) * TWO_POW_M24;
      for (let i = 0; i + 16 <= n; i += 16) normalFill16AVX2(data, i, m, s);
      if (n % 16 !== 0) {
        for (let i = n - 16; i < n; i++) data[i] = (gen.random() & 0xffffff) * TWO_POW_M24;
        normalFill16AVX2(data, n - 16, m, s);
      }
    }
    return;
  }
  // normal_distribution<double> per element, then static_cast<scalar_t> (a Float32Array store
  // rounds to nearest, like the C++ cast)
  for (let i = 0; i < n; i++) out[i] = gen.normalDouble(mean, std);
}

/**
 * Fills `out` like `tensor.random_(low, high)` / `torch.randint(low, high, shape)` on a contiguous
 * tensor (random_from_to_kernel, uniform_int_from_to_distribution): range = high - low; each
 * element is low + random() % range (one 32-bit draw), except that int64 and floating tensors use
 * low + random64() % range (two draws) when range >= 2^32. int64 tensors are Float64Arrays (exact
 * below 2^53); pass bigint bounds for int64 bounds beyond 2^53.
 *
 * @example
 * manualSeed(0);
 * const x = new Float64Array(3);
 * fillRandint(x, 0, 10); // torch.randint(0, 10, (3,)): [4, 9, 3]
 */
export function fillRandint(
  out: Float32Array | Float64Array | Int32Array,
  low: number | bigint,
  high: number | bigint,
  gen: Generator = defaultGenerator,
): void {
  if (
    (typeof low === "number" && !Number.isInteger(low)) ||
    (typeof high === "number" && !Number.isInteger(high))
  ) {
    throw new TypeError(`randint expects integer bounds, got ${low} and ${high}`);
  }
  const lo = BigInt(low);
  const range = BigInt(high) - lo;
  if (range <= 0n) {
    throw new RangeError(
      `random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`,
    );
  }
  const n = out.length;
  if (range < 0x100000000n || out instanceof Int32Array) {
    // uint32 % range, plus base; every intermediate is an exact double
    const r = Number(range);
    const base = Number(lo);
    for (let i = 0; i < n; i++) out[i] = (gen.random() % r) + base;
  } else {
    for (let i = 0; i < n; i++) out[i] = Number((gen.random64() % range) + lo);
  }
}
