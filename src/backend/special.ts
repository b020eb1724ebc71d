/**
 * Special functions on doubles for the elementwise kernels (elementwise.ts; their C++ twins are
 * in native/elementwise.cc): erf and erfc (fdlibm's s_erf.c), erfinv (PyTorch's calc_erfinv,
 * aten/src/ATen/native/Math.h) and sinc. Float32 tensors compute here in double and round once.
 */

// erf (fdlibm's s_erf.c algorithm; coefficients from Sun Microsystems' fdlibm, freely
// redistributable)

const ERX = 8.45062911510467529297e-1;
const EFX8 = 1.02703333676410069053;
const PP = [
  1.28379167095512558561e-1, -3.2504210724700149937e-1, -2.84817495755985104766e-2,
  -5.77027029648944159157e-3, -2.37630166566501626084e-5,
];
const QQ = [
  3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3,
  1.32494738004321644526e-4, -3.9602282787753681232e-6,
];
const PA = [
  -2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1,
  3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2,
  -2.166375594868790843e-3,
];
const QA = [
  1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2,
  1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.1984499846799107417e-2,
];
const RA = [
  -9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1,
  -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2,
  -8.12874355063065934246e1, -9.81432934416914548592,
];
const SA = [
  1.96512716674392571292e1, 1.376577541435190426e2, 4.34565877475229228821e2,
  6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2,
  6.57024977031928170135, -6.04244152148580987438e-2,
];
const RB = [
  -9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1,
  -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3,
  -4.83519191608651397019e2,
];
const SB = [
  3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3,
  3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2,
  -2.24409524465858183362e1,
];

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LOW = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/** x with the low 32 bits of its double representation cleared. */
function truncLow(x: number): number {
  f64[0] = x;
  u32[LOW] = 0;
  return f64[0];
}

function poly(c: readonly number[], z: number): number {
  let r = c[c.length - 1];
  for (let i = c.length - 2; i >= 0; i--) r = r * z + c[i];
  return r;
}
/** 1 + z*(c0 + z*(c1 + ...)) */
function poly1(c: readonly number[], z: number): number {
  return 1 + z * poly(c, z);
}

/**
 * The error function in double precision (< 1 ulp).
 * @example erfScalar(1) // 0.8427007929497149
 */
export function erfScalar(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax === Infinity) return x > 0 ? 1 : -1;
  if (ax < 0.84375) {
    if (ax < 3.725290298461914e-9) return (8 * x + EFX8 * x) / 8;
    const z = x * x;
    const y = poly(PP, z) / poly1(QQ, z);
    return x + x * y;
  }
  let y: number;
  if (ax < 1.25) {
    const s = ax - 1;
    y = ERX + poly(PA, s) / poly1(QA, s);
  } else if (ax < 6) {
    const s = 1 / (ax * ax);
    let R: number;
    let S: number;
    if (ax < 1 / 0.35) {
      R = poly(RA, s);
      S = poly1(SA, s);
    } else {
      R = poly(RB, s);
      S = poly1(SB, s);
    }
    const z = truncLow(ax);
    y = 1 - (Math.exp(-z * z - 0.5625) * Math.exp((z - ax) * (z + ax) + R / S)) / ax;
  } else {
    y = 1;
  }
  return x < 0 ? -y : y;
}

/**
 * The complementary error function 1 - erf(x) in double precision, without the cancellation
 * of 1 - erf(x) for large x (fdlibm's erfc, same coefficients as erfScalar).
 * @example erfcScalar(1) // 0.15729920705028513
 */
export function erfcScalar(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 0.84375) {
    if (ax < 1.3877787807814457e-17) return 1 - x;
    const z = x * x;
    const y = poly(PP, z) / poly1(QQ, z);
    // x < 1/4 (negative x included): 1 - (x + x*y); else 1/2 - (x*y + (x - 1/2))
    if (x < 0.25) return 1 - (x + x * y);
    return 0.5 - (x * y + (x - 0.5));
  }
  if (ax < 1.25) {
    const s = ax - 1;
    const pq = poly(PA, s) / poly1(QA, s);
    return x >= 0 ? 1 - ERX - pq : 1 + (ERX + pq);
  }
  if (ax < 28) {
    if (x <= -6) return 2;
    const s = 1 / (ax * ax);
    let R: number;
    let S: number;
    if (ax < 1 / 0.35) {
      R = poly(RA, s);
      S = poly1(SA, s);
    } else {
      R = poly(RB, s);
      S = poly1(SB, s);
    }
    const z = truncLow(ax);
    const r = Math.exp(-z * z - 0.5625) * Math.exp((z - ax) * (z + ax) + R / S);
    return x > 0 ? r / ax : 2 - r / ax;
  }
  return x > 0 ? 0 : 2;
}

// calc_erfinv's rational approximations (a translation of MATLAB's erfinv by Gary L. Pavlis, 1996)
const EI_A = [0.886226899, -1.645349621, 0.914624893, -0.140543331];
const EI_B = [-2.118377725, 1.442710462, -0.329097515, 0.012229801];
const EI_C = [-1.970840454, -1.624906493, 3.429567803, 1.641345311];
const EI_D = [3.5438892, 1.6370678];
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * The inverse error function as PyTorch's calc_erfinv: a rational first guess (central range
 * |y| <= 0.7, tails through sqrt(-log((1 - |y|)/2))), then two Newton steps on erf(x) = y.
 * NaN outside [-1, 1], +-inf at +-1.
 * @example erfinvScalar(0.5) // 0.4769362762044699
 */
export function erfinvScalar(y: number): number {
  const ay = Math.abs(y);
  if (ay > 1) return NaN;
  if (ay === 1) return y > 0 ? Infinity : -Infinity;
  let x: number;
  if (ay <= 0.7) {
    const z = y * y;
    const num = ((EI_A[3] * z + EI_A[2]) * z + EI_A[1]) * z + EI_A[0];
    const dem = (((EI_B[3] * z + EI_B[2]) * z + EI_B[1]) * z + EI_B[0]) * z + 1;
    x = (y * num) / dem;
  } else {
    const z = Math.sqrt(-Math.log((1 - ay) / 2));
    const num = ((EI_C[3] * z + EI_C[2]) * z + EI_C[1]) * z + EI_C[0];
    const dem = (EI_D[1] * z + EI_D[0]) * z + 1;
    // copysign(num, y) / dem
    x = (y < 0 || Object.is(y, -0) ? -Math.abs(num) : Math.abs(num)) / dem;
  }
  x = x - (erfScalar(x) - y) / (TWO_OVER_SQRT_PI * Math.exp(-x * x));
  x = x - (erfScalar(x) - y) / (TWO_OVER_SQRT_PI * Math.exp(-x * x));
  return x;
}

/**
 * The normalized sinc sin(pi x) / (pi x), 1 at 0, as PyTorch's kernel.
 * @example sincScalar(0.5) // 0.6366197723675814
 */
export function sincScalar(x: number): number {
  if (x === 0) return 1;
  const p = Math.PI * x;
  return Math.sin(p) / p;
}

// ---------------------------------------------------------------------------------------------
// Gamma-function family

/** Lanczos coefficients (g = 7, n = 9): Gamma(x+1) ~ sqrt(2 pi) t^(x+1/2) e^-t A(x), t = x+7.5 */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log|Gamma(x)| (C's lgamma, which torch.lgamma calls): the Lanczos approximation for x >= 1/2
 * (absolute error ~1e-15, so exact zeros at 1 and 2 come out within 1e-15), the reflection
 * log(pi / |sin(pi x)|) - lgamma(1 - x) below; +inf at 0 and the negative integers.
 * @example lgammaScalar(0.5) // 0.5723649429247001
 */
export function lgammaScalar(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity || x === -Infinity) return Infinity;
  if (x <= 0 && x === Math.trunc(x)) return Infinity;
  if (x === 1 || x === 2) return 0;
  if (x < 0.5) {
    // |sin(pi x)| through x's distance to the nearest integer (exact; pi x loses digits for
    // large |x|, and sin near pi loses them next to the poles)
    const s = Math.abs(Math.sin(Math.PI * (x - Math.round(x))));
    return Math.log(Math.PI / s) - lgammaScalar(1 - x);
  }
  const y = x - 1;
  let a = LANCZOS[0];
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (y + i);
  const t = y + 7.5;
  return HALF_LOG_2PI + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** digamma(10) = H_9 - Euler's gamma (calc_digamma's PSI_10) */
const PSI_10 = 2.251752589066721;
/** The asymptotic series' coefficients B_2k / 2k, highest power first (Cephes' psi) */
const PSI_A = [1 / 12, -691 / 32760, 1 / 132, -1 / 240, 1 / 252, -1 / 120, 1 / 12];

/**
 * The digamma function as PyTorch's calc_digamma (aten/src/ATen/native/Math.h): -+inf at -+0,
 * NaN at the negative integers, reflection for x < 0, recurrence up to x >= 10, then the
 * asymptotic series.
 * @example digammaScalar(1) // -0.5772156649015329
 */
export function digammaScalar(x: number): number {
  if (x === 0) return Object.is(x, -0) ? Infinity : -Infinity;
  if (x < 0) {
    if (x === Math.trunc(x)) return NaN;
    // tan(pi r) of the fractional part r is more accurate than tan(pi x)
    const r = x - Math.trunc(x);
    return digammaScalar(1 - x) - Math.PI / Math.tan(Math.PI * r);
  }
  let result = 0;
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  if (x === 10) return result + PSI_10;
  let y = 0;
  if (x < 1e17) {
    const z = 1 / (x * x);
    let p = PSI_A[0];
    for (let i = 1; i < PSI_A.length; i++) p = p * z + PSI_A[i];
    y = z * p;
  }
  return result + Math.log(x) - 0.5 / x - y;
}

/**
 * The trigamma function as PyTorch's calc_trigamma: reflection below 1/2, six recurrence
 * steps, then the asymptotic series.
 * @example trigammaScalar(1) // 1.6449340668482264
 */
export function trigammaScalar(x: number): number {
  let sign = 1;
  let result = 0;
  if (x < 0.5) {
    sign = -1;
    const s = Math.sin(Math.PI * x);
    result -= (Math.PI * Math.PI) / (s * s);
    x = 1 - x;
  }
  for (let i = 0; i < 6; i++) {
    result += 1 / (x * x);
    x += 1;
  }
  const ixx = 1 / (x * x);
  result += (1 + 1 / (2 * x) + ixx * (1 / 6 - ixx * (1 / 30 - ixx * (1 / 42)))) / x;
  return sign * result;
}

/** (2k)! / B_2k for k = 1..12 (Cephes zeta's A[]), from the Bernoulli numbers. */
const ZETA_A = ((): number[] => {
  const bernoulli = [
    1 / 6,
    -1 / 30,
    1 / 42,
    -1 / 30,
    5 / 66,
    -691 / 2730,
    7 / 6,
    -3617 / 510,
    43867 / 798,
    -174611 / 330,
    854513 / 138,
    -236364091 / 2730,
  ];
  let f = 1;
  return bernoulli.map((b, i) => {
    f *= (2 * i + 1) * (2 * i + 2);
    return f / b;
  });
})();
const MACHEP = 1.11022302462515654042e-16;

/**
 * The Hurwitz zeta function sum_k (k + q)^-x (Cephes' zeta, which PyTorch's polygamma uses):
 * direct summation, then the Euler-Maclaurin tail.
 * @example zetaScalar(2, 1) // 1.6449340668482264
 */
export function zetaScalar(x: number, q: number): number {
  if (x === 1) return Infinity;
  if (x < 1) return NaN;
  if (q <= 0) {
    if (q === Math.trunc(q)) return Infinity;
    if (x !== Math.trunc(x)) return NaN;
  }
  let s = Math.pow(q, -x);
  let a = q;
  let i = 0;
  let b = 0;
  while (i < 9 || a <= 9) {
    i += 1;
    a += 1;
    b = Math.pow(a, -x);
    s += b;
    if (-MACHEP * s < b && b < MACHEP * s) return s;
  }
  const w = a;
  s += (b * w) / (x - 1);
  s -= 0.5 * b;
  a = 1;
  let k = 0;
  for (let j = 0; j < 12; j++) {
    a *= x + k;
    b /= w;
    let t = (a * b) / ZETA_A[j];
    s += t;
    t = Math.abs(t / s);
    if (t < MACHEP) return s;
    k += 1;
    a *= x + k;
    b /= w;
    k += 1;
  }
  return s;
}

/**
 * polygamma(n, x) as PyTorch's calc_polygamma: digamma for n = 0, trigamma for n = 1, else
 * (-1)^(n+1) n! zeta(n + 1, x).
 * @example polygammaScalar(2, 1) // -2.4041138063191885
 */
export function polygammaScalar(n: number, x: number): number {
  if (n === 0) return digammaScalar(x);
  if (n === 1) return trigammaScalar(x);
  return (n % 2 === 1 ? 1 : -1) * Math.exp(lgammaScalar(n + 1)) * zetaScalar(n + 1, x);
}
