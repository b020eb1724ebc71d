/**
 * The samplers of ATen's Distributions.cpp/.h that torch.distributions calls and tensorgrad's op
 * registry lacks: `_standard_gamma` (with its reparameterized gradient `_standard_gamma_grad`),
 * `poisson` and `_sample_dirichlet`. Each draws from the generator in PyTorch's order (one
 * element after another, row-major, as cpu_serial_kernel visits a contiguous output) with the
 * same double-precision uniforms (uniform53) and cached Box-Muller normals (normalDouble), so a
 * seeded run gives PyTorch's numbers. log is glibc's (glibcLog); pow and exp are JavaScript's,
 * which can differ from glibc's in the last bit of a double: that reaches a float result only in
 * the rare draw whose double lies on a rounding boundary.
 */
import type { Tensor } from "../tensor.js";
import { float32, float64 } from "../dtype.js";
import { glibcLog, type CPUGeneratorImpl } from "../random.js";
import { defaultGenerator } from "../generator.js";
import { runtimeError } from "../errors.js";
import { Function as AutogradFunction, type FunctionCtx } from "../autograd/custom-function.js";
import { tensor } from "../ops/creation.js";

/** float32's smallest normal (std::numeric_limits<float>::min()) */
const FLT_MIN = 1.1754943508222875e-38;
/** double's smallest normal */
const DBL_MIN = 2.2250738585072014e-308;
/** 1.0f / 3.0f, the float constant sample_gamma subtracts */
const THIRD_F = Math.fround(1 / 3);
/** 0.0331f as a double */
const C0331_F = Math.fround(0.0331);

/** A tensor's values in row-major order. */
function values(t: Tensor): number[] {
  return t.detach().contiguous().reshape(-1).tolist() as number[];
}

/** A tensor of `shape` and `t`'s dtype from row-major values. */
function like(t: Tensor, vals: ArrayLike<number>): Tensor {
  const data = t.dtype === float64 ? Float64Array.from(vals) : Float32Array.from(vals);
  return tensor(data, { dtype: t.dtype === float64 ? float64 : float32 }).reshape(t.shape);
}

/**
 * sample_gamma (Distributions.h): Marsaglia and Tsang's acceptance-rejection on double uniforms
 * and normals, alpha boosted by one (and the result scaled by u^(1/alpha)) below 1. `isFloat`
 * follows scalar_t = float: alpha and the boost's arithmetic round to float32 before d is formed.
 */
export function sampleGamma(alpha0: number, isFloat: boolean, gen: CPUGeneratorImpl): number {
  const rd = isFloat ? Math.fround : (v: number): number => v;
  let alpha = rd(alpha0);
  let scale = 1.0;
  if (alpha < 1) {
    if (alpha === 0) return 0;
    scale *= Math.pow(1 - gen.uniform53(), rd(1 / alpha));
    alpha = rd(alpha + 1);
  }
  // d = alpha - 1/3 (in scalar_t, with the float constant), c = 1 / sqrt(9 d)
  const d = rd(alpha - THIRD_F);
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let y: number;
    do {
      x = gen.normalDouble(0, 1);
      y = 1 + c * x;
    } while (y <= 0);
    const v = y * y * y;
    const u = 1 - gen.uniform53();
    const xx = x * x;
    if (u < 1 - C0331_F * xx * xx) return rd(scale * d * v);
    if (glibcLog(u) < 0.5 * xx + d * (1 - v + glibcLog(v))) return rd(scale * d * v);
  }
}

/** One Gamma(alpha, 1) draw per element of `alpha` (_s_gamma_cpu), floored at the dtype's min. */
export function standardGammaForward(alpha: Tensor, gen: CPUGeneratorImpl): Tensor {
  const isFloat = alpha.dtype !== float64;
  const min = isFloat ? FLT_MIN : DBL_MIN;
  const out = values(alpha).map((a) => Math.max(min, sampleGamma(a, isFloat, gen)));
  return like(alpha, out);
}

/** digamma_one (Distributions.h) in double: recurrence up to 10, then the asymptotic series. */
function digammaOne(x0: number): number {
  const PSI_10 = 2.251752589066721;
  let x = x0;
  if (x === 0) return Infinity;
  let additional = 0;
  if (x < 0) {
    if (x === Math.floor(x)) return Infinity;
    additional = -Math.PI / Math.tan(Math.PI * x);
    x = 1 - x;
  }
  let result = 0;
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  if (x === 10) return result + PSI_10 + additional;
  const A = [
    0.08333333333333333, -0.021092796092796094, 0.007575757575757576, -0.004166666666666667,
    0.003968253968253968, -0.008333333333333333, 0.08333333333333333,
  ];
  let y = 0;
  if (x < 1.0e17) {
    const z = 1.0 / (x * x);
    let p = 0;
    for (const a of A) p = p * z + a;
    y = z * p;
  }
  return result + Math.log(x) - 0.5 / x - y + additional;
}

/**
 * standard_gamma_grad_one (Distributions.h): -(∂/∂alpha cdf(x; alpha)) / pdf(x; alpha), the
 * reparameterized gradient of a Gamma(alpha, 1) draw x: a Taylor series for small x, Rice's
 * saddle point expansion for large alpha, a bivariate rational approximation otherwise.
 */
export function standardGammaGradOne(alpha: number, x: number): number {
  if (x < 0.8) {
    let numer = 1;
    let denom = alpha;
    let series1 = numer / denom;
    let series2 = numer / (denom * denom);
    for (let i = 1; i <= 5; ++i) {
      numer *= -x / i;
      denom += 1;
      series1 += numer / denom;
      series2 += numer / (denom * denom);
    }
    const powXAlpha = Math.pow(x, alpha);
    const gammaPdf = Math.pow(x, alpha - 1) * Math.exp(-x);
    const gammaCdf = powXAlpha * series1;
    const gammaCdfAlpha = (Math.log(x) - digammaOne(alpha)) * gammaCdf - powXAlpha * series2;
    const result = -gammaCdfAlpha / gammaPdf;
    return Number.isNaN(result) ? 0 : result;
  }
  if (alpha > 8) {
    if (0.9 * alpha <= x && x <= 1.1 * alpha) {
      const numer1 = 1 + 24 * alpha * (1 + 12 * alpha);
      const numer2 =
        1440 * (alpha * alpha) +
        6 * x * (53 - 120 * x) -
        (65 * x * x) / alpha +
        alpha * (107 + 3600 * x);
      const denom = 1244160 * (alpha * alpha) * (alpha * alpha);
      return (numer1 * numer2) / denom;
    }
    const denom = Math.sqrt(8 * alpha);
    const term2 = denom / (alpha - x);
    const term3 = Math.pow(x - alpha - alpha * Math.log(x / alpha), -1.5);
    const term23 = x < alpha ? term2 - term3 : term2 + term3;
    const term1 =
      Math.log(x / alpha) * term23 -
      (Math.sqrt(2 / alpha) * (alpha + x)) / ((alpha - x) * (alpha - x));
    const stirling = 1 + (1 / (12 * alpha)) * (1 + 1 / (24 * alpha));
    const numer = x * term1;
    return (-stirling * numer) / denom;
  }
  const u = Math.log(x / alpha);
  const v = Math.log(alpha);
  const coef = [
    [0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084],
    [
      0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915,
      -0.00058392623,
    ],
    [
      0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326,
      0.00085092367, -1.5247877e-7,
    ],
  ];
  const cv = coef[0].map((c0, i) => c0 + u * (coef[1][i] + u * coef[2][i]));
  const p = cv[0] + v * (cv[1] + v * (cv[2] + v * cv[3]));
  const q = cv[4] + v * (cv[5] + v * (cv[6] + v * cv[7]));
  return Math.exp(p / q);
}

/**
 * torch._standard_gamma_grad(alpha, x): the elementwise reparameterized gradient.
 * @example torch.distributions.samplers.standardGammaGrad(torch.tensor([2.0]), torch.tensor([1.0])) // tensor([0.7507])
 */
export function standardGammaGrad(alpha: Tensor, x: Tensor): Tensor {
  const a = values(alpha);
  const xs = values(x);
  return like(
    alpha,
    a.map((ai, i) => standardGammaGradOne(ai, xs[i])),
  );
}

/** _standard_gamma as an autograd function: d sample / d alpha = _standard_gamma_grad. */
class StandardGamma extends AutogradFunction {
  static override forward(ctx: FunctionCtx, alpha: Tensor, gen: CPUGeneratorImpl): Tensor {
    const out = standardGammaForward(alpha, gen);
    ctx.saveForBackward(alpha, out);
    return out;
  }
  static override backward(ctx: FunctionCtx, grad: Tensor | null): (Tensor | null)[] {
    const [alpha, out] = ctx.savedTensors as Tensor[];
    return [grad === null ? null : grad.mul(standardGammaGrad(alpha, out)), null];
  }
}

/**
 * torch._standard_gamma(alpha): one Gamma(alpha, 1) draw per element, PyTorch's exact stream,
 * differentiable in alpha (the implicit reparameterization gradient).
 * @example
 * torch.manualSeed(0);
 * torch.distributions.samplers.standardGamma(torch.tensor([1.0, 2.0])); // tensor([2.8824, 1.3158])
 */
export function standardGamma(alpha: Tensor, generator: CPUGeneratorImpl | null = null): Tensor {
  return StandardGamma.apply(alpha, generator ?? defaultGenerator) as Tensor;
}

/**
 * sample_poisson (Distributions.cpp): Hörmann's transformed rejection for rate >= 10, Knuth's
 * product of uniforms below.
 */
export function samplePoisson(lambda: number, gen: CPUGeneratorImpl): number {
  if (!(lambda >= 0)) throw runtimeError("invalid Poisson rate, expected rate to be non-negative");
  if (lambda >= 10) {
    const slam = Math.sqrt(lambda);
    const loglam = glibcLog(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const U = gen.uniform53() - 0.5;
      const V = gen.uniform53();
      const us = 0.5 - Math.abs(U);
      const k = Math.floor(((2 * a) / us + b) * U + lambda + 0.43);
      if (us >= 0.07 && V <= vr) return k;
      if (k < 0 || (us < 0.013 && V > us)) continue;
      if (
        glibcLog(V) + glibcLog(invalpha) - glibcLog(a / (us * us) + b) <=
        -lambda + k * loglam - lgamma(k + 1)
      )
        return k;
    }
  }
  if (lambda === 0) return 0;
  const enlam = Math.exp(-lambda);
  let X = 0;
  let prod = 1.0;
  for (;;) {
    prod *= gen.uniform53();
    if (prod > enlam) X += 1;
    else return X;
  }
}

/** log Γ(n) for a positive integer n (the Poisson rejection test's lgamma(k + 1)): log((n-1)!) */
function lgamma(n: number): number {
  let s = 0;
  for (let i = 2; i < n; i++) s += Math.log(i);
  return s;
}

/**
 * torch.poisson(rates): one Poisson draw per element (_s_poisson_cpu), in the rates' dtype.
 * @example
 * torch.manualSeed(0);
 * torch.distributions.samplers.poisson(torch.tensor([1.0, 4.0])); // tensor([2., 5.])
 */
export function poisson(rate: Tensor, generator: CPUGeneratorImpl | null = null): Tensor {
  const gen = generator ?? defaultGenerator;
  return like(
    rate,
    values(rate).map((l) => samplePoisson(l, gen)),
  );
}

/**
 * torch._sample_dirichlet(alpha) (_s_dirichlet_cpu): a Gamma(alpha, 1) draw per element in
 * double (floored at double's min), each normalized by its row's sum over the last dim and
 * clamped to [min, largest value below 1] of the dtype.
 * @example
 * torch.manualSeed(0);
 * torch.distributions.samplers.sampleDirichlet(torch.tensor([1.0, 2.0])); // tensor([0.6866, 0.3134])
 */
export function sampleDirichlet(alpha: Tensor, generator: CPUGeneratorImpl | null = null): Tensor {
  const gen = generator ?? defaultGenerator;
  const isFloat = alpha.dtype !== float64;
  const gamma = values(alpha).map((a) => Math.max(DBL_MIN, sampleGamma(a, false, gen)));
  const g = tensor(Float64Array.from(gamma), { dtype: float64 }).reshape(alpha.shape);
  const sums = values(g.sum(-1, true).expand(alpha.shape));
  const min = isFloat ? FLT_MIN : DBL_MIN;
  const max = isFloat ? 1 - 2 ** -24 : 1 - 2 ** -53;
  const rd = isFloat ? Math.fround : (v: number): number => v;
  return like(
    alpha,
    gamma.map((v, i) => Math.min(max, Math.max(min, rd(v / sums[i])))),
  );
}

/** Beta(alpha, beta)'s gradient in alpha for x near 0: a Taylor expansion (_beta_grad_alpha_small). */
function betaGradAlphaSmall(x: number, alpha: number, beta: number): number {
  const factor = digammaOne(alpha) - digammaOne(alpha + beta) - Math.log(x);
  let numer = 1;
  let series = (numer / alpha) * (factor + 1 / alpha);
  for (let i = 1; i <= 10; ++i) {
    numer *= ((i - beta) * x) / i;
    const denom = alpha + i;
    series += (numer / denom) * (factor + 1 / denom);
  }
  const result = x * Math.pow(1 - x, -beta) * series;
  return Number.isNaN(result) ? 0 : result;
}

/** Beta(alpha, beta)'s gradient in beta for x near 0: a Taylor expansion (_beta_grad_beta_small). */
function betaGradBetaSmall(x: number, alpha: number, beta: number): number {
  const factor = digammaOne(alpha + beta) - digammaOne(beta);
  let numer = 1;
  let betas = 1;
  let dbetas = 0;
  let series = factor / alpha;
  for (let i = 1; i <= 8; ++i) {
    numer *= -x / i;
    dbetas = dbetas * (beta - i) + betas;
    betas = betas * (beta - i);
    series += (numer / (alpha + i)) * (dbetas + factor * betas);
  }
  const result = -Math.pow(1 - x, 1 - beta) * series;
  return Number.isNaN(result) ? 0 : result;
}

/** Beta's gradient in alpha for large alpha and beta: Rice's saddle point (_beta_grad_alpha_mid). */
function betaGradAlphaMid(x: number, alpha: number, beta: number): number {
  const total = alpha + beta;
  const mean = alpha / total;
  const std = Math.sqrt((alpha * beta) / (total + 1)) / total;
  if (mean - 0.1 * std <= x && x <= mean + 0.1 * std) {
    // avoid the singularity at x = mean
    const poly =
      47 * x * (beta * beta) * (beta * beta) +
      alpha *
        ((43 + 20 * (16 + 27 * beta) * x) * (beta * beta) * beta +
          alpha *
            (3 * (59 + 180 * beta - 90 * x) * (beta * beta) +
              alpha *
                ((453 + 1620 * beta * (1 - x) - 455 * x) * beta +
                  alpha * (8 * (1 - x) * (135 * beta - 11)))));
    const prefactorNum = ((1 + 12 * alpha) * (1 + 12 * beta)) / (total * total);
    const prefactorDen = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total);
    return ((prefactorNum / (1 - x)) * poly) / prefactorDen;
  }
  const prefactor = -x / Math.sqrt((2 * alpha * beta) / total);
  const stirling =
    ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha)) *
      (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))) /
    (1 + 1 / (12 * total) + 1 / (288 * total * total));
  const term1Num = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * (beta * beta);
  const axbx = alpha * (x - 1) + beta * x;
  const term1Den = Math.sqrt((2 * alpha) / beta) * Math.pow(total, 1.5) * axbx * axbx;
  const term1 = term1Num / term1Den;
  const term2 = 0.5 * Math.log(alpha / (total * x));
  const term3Num = Math.sqrt((8 * alpha * beta) / total);
  const term3Den = beta * x + alpha * (x - 1);
  const term3 = term3Num / term3Den;
  const term4Base =
    beta * Math.log(beta / (total * (1 - x))) + alpha * Math.log(alpha / (total * x));
  const term4 = Math.pow(term4Base, -1.5);
  const term1234 = term1 + term2 * (term3 + (x < mean ? term4 : -term4));
  return stirling * prefactor * term1234;
}

/** the rational correction's coefficients c[2][3][3][4] (dirichlet_grad_one) */
const DIRICHLET_C = [
  [
    [
      [1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
      [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
      [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013],
    ],
    [
      [0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
      [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
      [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-5],
    ],
    [
      [-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
      [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
      [0.005900514878, -0.001936558688, -9.495446725e-6, 5.385558597e-5],
    ],
  ],
  [
    [
      [1, -0.02924021934, -0.04438342661, 0.007285809825],
      [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
      [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149],
    ],
    [
      [0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
      [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
      [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-5],
    ],
    [
      [0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-5],
      [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-5],
      [-0.0003477407336, 6.959756487e-5, 1.097287507e-5, -1.650964693e-6],
    ],
  ],
];

/**
 * dirichlet_grad_one (Distributions.h): the scaled reparameterized gradient
 * -(∂/∂alpha cdf(x; alpha, beta)) / pdf(x; alpha, beta) / (1 - x) of a Beta(alpha, total - alpha)
 * draw x, by Taylor expansions near 0 and 1, a saddle point for large parameters, or a rational
 * correction to an analytic approximation. `isFloat`: the branch tests in float32, as scalar_t.
 */
export function dirichletGradOne(
  x: number,
  alpha: number,
  total: number,
  isFloat: boolean,
): number {
  const rd = isFloat ? Math.fround : (v: number): number => v;
  const beta = rd(total - alpha);
  const boundary = rd(rd(total * x) * rd(1 - x));
  if (x <= 0.5 && boundary < 2.5) return betaGradAlphaSmall(x, alpha, beta);
  if (x >= 0.5 && boundary < 0.75) return -betaGradBetaSmall(rd(1 - x), beta, alpha);
  if (alpha > 6 && beta > 6) return betaGradAlphaMid(x, alpha, total - alpha);
  const u = Math.log(x);
  const a = Math.log(alpha) - u;
  const b = Math.log(total) - a;
  const powU = [1, u, u * u];
  const powA = [1, a, a * a];
  let p = 0;
  let q = 0;
  for (let i = 0; i < 3; ++i) {
    for (let j = 0; j < 3; ++j) {
      const ua = powU[i] * powA[j];
      const c0 = DIRICHLET_C[0][i][j];
      const c1 = DIRICHLET_C[1][i][j];
      p += ua * (c0[0] + b * (c0[1] + b * (c0[2] + b * c0[3])));
      q += ua * (c1[0] + b * (c1[1] + b * (c1[2] + b * c1[3])));
    }
  }
  const approx = (x * (digammaOne(total) - digammaOne(alpha))) / (total - alpha);
  return (p / q) * approx;
}

/**
 * torch._dirichlet_grad(x, alpha, total): dirichletGradOne elementwise.
 * @example torch.distributions.samplers.dirichletGrad(torch.tensor([0.3]), torch.tensor([1.0]), torch.tensor([3.0])) // tensor([0.4123])
 */
export function dirichletGrad(x: Tensor, alpha: Tensor, total: Tensor): Tensor {
  const xs = values(x);
  const as = values(alpha.expand(x.shape));
  const ts = values(total.expand(x.shape));
  const isFloat = x.dtype !== float64;
  return like(
    x,
    xs.map((xi, i) => dirichletGradOne(xi, as[i], ts[i], isFloat)),
  );
}

/** _Dirichlet (dirichlet.py): the sample, and its reparameterized backward. */
class DirichletFn extends AutogradFunction {
  static override forward(ctx: FunctionCtx, concentration: Tensor, gen: CPUGeneratorImpl): Tensor {
    const x = sampleDirichlet(concentration, gen);
    ctx.saveForBackward(x, concentration);
    return x;
  }
  static override backward(ctx: FunctionCtx, grad: Tensor | null): (Tensor | null)[] {
    if (grad === null) return [null, null];
    const [x, concentration] = ctx.savedTensors as Tensor[];
    // grad * (g - Σ x g), grad = _dirichlet_grad(x, α, Σα)
    const total = concentration.sum(-1, true).expand(concentration.shape);
    const g = dirichletGrad(x, concentration, total);
    return [g.mul(grad.sub(x.mul(grad).sum(-1, true))), null];
  }
}

/**
 * A Dirichlet draw per row of `concentration`, differentiable in it (dirichlet.py's _Dirichlet).
 * @example
 * torch.manualSeed(0);
 * torch.distributions.samplers.dirichlet(torch.tensor([1.0, 2.0])).sum(); // tensor(1.)
 */
export function dirichlet(
  concentration: Tensor,
  generator: CPUGeneratorImpl | null = null,
): Tensor {
  return DirichletFn.apply(concentration, generator ?? defaultGenerator) as Tensor;
}

/** stirling_approx_tail: log k! - (Stirling's approximation), tabulated below 10 */
function stirlingApproxTail(k: number): number {
  const tail = [
    0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
    0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.010411265261972,
    0.00925546218271273, 0.00833056343336287,
  ];
  if (k <= 9) return tail[k];
  const kp1sq = (k + 1) * (k + 1);
  return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1);
}

/** binomial_inversion: the number of geometric waiting times that fit in `count` trials. */
function binomialInversion(
  count: number,
  prob: number,
  rd: (v: number) => number,
  gen: CPUGeneratorImpl,
): number {
  let geomSum = 0;
  let numGeom = 0;
  // log1p of a scalar_t: log1pf for float
  const logprob = rd(Math.log1p(-prob));
  for (;;) {
    const U = gen.uniform53();
    geomSum += Math.ceil(glibcLog(U) / logprob);
    if (geomSum > count) break;
    numGeom += 1;
  }
  return numGeom;
}

/** btrs: Hörmann's transformed rejection with squeeze for n p >= 10. */
function btrs(
  count: number,
  prob: number,
  rd: (v: number) => number,
  gen: CPUGeneratorImpl,
): number {
  // the scalar_t products round to float for float tensors (sqrtf of a float product)
  const stddev = rd(Math.sqrt(rd(rd(count * prob) * rd(1 - prob))));
  const b = 1.15 + 2.53 * stddev;
  const a = -0.0873 + 0.0248 * b + 0.01 * prob;
  const c = rd(count * prob) + 0.5;
  const vR = 0.92 - 4.2 / b;
  const r = rd(prob / rd(1 - prob));
  const alpha = (2.83 + 5.1 / b) * stddev;
  const m = Math.floor(rd((count + 1) * prob));
  for (;;) {
    const U = gen.uniform53() - 0.5;
    let V = gen.uniform53();
    const us = 0.5 - Math.abs(U);
    const k = rd(Math.floor(((2 * a) / us + b) * U + c));
    if (k < 0 || k > count) continue;
    if (us >= 0.07 && V <= vR) return k;
    V = glibcLog((V * alpha) / (a / (us * us) + b));
    const upperbound =
      (m + 0.5) * glibcLog((m + 1) / (r * (count - m + 1))) +
      (count + 1) * glibcLog((count - m + 1) / (count - k + 1)) +
      (k + 0.5) * glibcLog((r * (count - k + 1)) / (k + 1)) +
      stirlingApproxTail(m) +
      stirlingApproxTail(count - m) -
      stirlingApproxTail(k) -
      stirlingApproxTail(count - k);
    if (V <= upperbound) return k;
  }
}

/**
 * sample_binomial (Distributions.h): BTRS when the smaller of n p and n (1 - p) is at least 10,
 * inversion of geometric waiting times otherwise (counting failures when p > 1/2).
 */
export function sampleBinomial(
  count: number,
  prob: number,
  isFloat: boolean,
  gen: CPUGeneratorImpl,
): number {
  const rd = isFloat ? Math.fround : (v: number): number => v;
  if (count <= 0 || prob <= 0) return 0;
  if (prob >= 1) return count;
  if (prob <= 0.5) {
    if (rd(count * prob) >= 10) return btrs(count, prob, rd, gen);
    return binomialInversion(count, prob, rd, gen);
  }
  if (prob > 0.5) {
    const qprob = rd(1 - prob);
    if (rd(count * qprob) >= 10) return count - btrs(count, qprob, rd, gen);
    return count - binomialInversion(count, qprob, rd, gen);
  }
  return NaN;
}

/**
 * torch.binomial(count, prob): one Binomial(count, prob) draw per element (_s_binomial_cpu).
 * @example
 * torch.manualSeed(0);
 * torch.distributions.samplers.binomial(torch.tensor([10.0, 100.0]), torch.tensor([0.5, 0.2])); // tensor([ 7., 21.])
 */
export function binomial(
  count: Tensor,
  prob: Tensor,
  generator: CPUGeneratorImpl | null = null,
): Tensor {
  const gen = generator ?? defaultGenerator;
  const isFloat = count.dtype !== float64;
  const ps = values(prob);
  return like(
    count,
    values(count).map((n, i) => sampleBinomial(n, ps[i], isFloat, gen)),
  );
}
