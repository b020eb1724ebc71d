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
function standardGammaForward(alpha: Tensor, gen: CPUGeneratorImpl): Tensor {
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
