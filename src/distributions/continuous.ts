/**
 * Univariate continuous distributions with closed forms: Normal, Uniform, Exponential, Laplace,
 * Cauchy (normal.py, uniform.py, exponential.py, laplace.py, cauchy.py). Samples draw from the
 * generator exactly as PyTorch's do, so a seeded run gives PyTorch's values.
 */
import type { Tensor } from "../tensor.js";
import { finfo } from "../dtype.js";
import { valueError } from "../errors.js";
import {
  atan,
  empty,
  erf,
  erfinv,
  full,
  lt,
  normal,
  rand,
  tan,
  zerosLike,
} from "../generated/functions.js";
import { ctorArgs } from "../nn/ctor-args.js";
import * as C from "./constraints.js";
import { Distribution, ExponentialFamily, type DistributionOptions } from "./distribution.js";
import {
  type ShapeLike,
  type TensorLike,
  allNumbers,
  broadcastAll,
  standardNormal,
} from "./utils.js";

/** The arguments of a (loc, scale) family, positional or by name. */
export type LocScaleArgs =
  | [loc: TensorLike, scale: TensorLike, options?: DistributionOptions]
  | [
      options: {
        /** the location */
        loc: TensorLike;
        /** the scale */
        scale: TensorLike;
      } & DistributionOptions,
    ];

interface LocScale {
  loc: TensorLike;
  scale: TensorLike;
  validateArgs: boolean | null;
}

/** Binds (loc, scale, validate_args) as PyTorch's __init__ does. */
function locScale(cls: string, args: readonly unknown[]): LocScale {
  return ctorArgs<{ loc: TensorLike; scale: TensorLike; validateArgs: boolean | null }>(
    cls,
    args,
    ["loc", "scale", "validateArgs"],
    { validateArgs: null },
  );
}

/** log(sqrt(2π)) */
const LOG_SQRT_2PI = Math.log(Math.sqrt(2 * Math.PI));

/**
 * The normal distribution N(loc, scale²) (torch.distributions.Normal).
 * @example
 * torch.manualSeed(0);
 * const d = new torch.distributions.Normal(torch.tensor([0.0]), torch.tensor([1.0]));
 * d.sample(); // tensor([1.5410])
 */
export class Normal extends ExponentialFamily {
  constructor(...args: LocScaleArgs);
  constructor(...args: unknown[]) {
    super();
    const a = locScale("Normal", args);
    [this.params.loc, this.params.scale] = broadcastAll(a.loc, a.scale);
    this.init(allNumbers(a.loc, a.scale) ? [] : this.loc.shape, [], a.validateArgs);
  }
  /** the mean */
  get loc(): Tensor {
    return this.params.loc;
  }
  /** the standard deviation */
  get scale(): Tensor {
    return this.params.scale;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { loc: C.real, scale: C.positive };
  }
  override get support(): C.Constraint {
    return C.real;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.loc;
  }
  override get mode(): Tensor {
    return this.loc;
  }
  override get stddev(): Tensor {
    return this.scale;
  }
  override get variance(): Tensor {
    return this.stddev.pow(2);
  }
  override expand(batchShape: ShapeLike, instance?: this): Normal {
    const out = this.blank(instance);
    out.params.loc = this.loc.expand([...batchShape]);
    out.params.scale = this.scale.expand([...batchShape]);
    this.finishExpand(out, batchShape);
    return out;
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    return noGradNormal(this.loc.expand(shape), this.scale.expand(shape));
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    // loc + eps * scale, eps ~ N(0, 1)
    const eps = standardNormal(this.extendedShape(sampleShape), this.loc.dtype);
    return this.loc.add(eps.mul(this.scale));
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // -(x - loc)² / (2 var) - log(scale) - log(sqrt(2π))
    const var_ = this.scale.pow(2);
    return value
      .sub(this.loc)
      .pow(2)
      .neg()
      .div(var_.mul(2))
      .sub(this.scale.log())
      .sub(LOG_SQRT_2PI);
  }
  override cdf(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // (1 + erf((x - loc) / (scale √2))) / 2
    return erf(value.sub(this.loc).mul(this.scale.reciprocal()).div(Math.SQRT2)).add(1).mul(0.5);
  }
  override icdf(value: Tensor): Tensor {
    // loc + scale √2 erfinv(2p - 1)
    return this.loc.add(this.scale.mul(erfinv(value.mul(2).sub(1))).mul(Math.SQRT2));
  }
  override entropy(): Tensor {
    // 1/2 + log(2π)/2 + log(scale)
    return this.scale.log().add(0.5 + 0.5 * Math.log(2 * Math.PI));
  }
  override get naturalParams(): Tensor[] {
    return [this.loc.div(this.scale.pow(2)), this.scale.pow(2).reciprocal().mul(-0.5)];
  }
  override logNormalizer(x: Tensor, y: Tensor): Tensor {
    return x.pow(2).mul(-0.25).div(y).add(y.reciprocal().mul(-Math.PI).log().mul(0.5));
  }
  override get meanCarrierMeasure(): number {
    return 0;
  }
}

/** torch.normal(mean, std) without recording (Normal.sample). */
function noGradNormal(mean: Tensor, std: Tensor): Tensor {
  return mean.requiresGrad || std.requiresGrad
    ? normal(mean.detach(), std.detach())
    : normal(mean, std);
}

/**
 * The uniform distribution on [low, high) (torch.distributions.Uniform).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Uniform(0, 2).sample([2]); // tensor([0.9925, 1.5364])
 */
export class Uniform extends Distribution {
  constructor(
    ...args:
      | [low: TensorLike, high: TensorLike, options?: DistributionOptions]
      | [options: { low: TensorLike; high: TensorLike } & DistributionOptions]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{ low: TensorLike; high: TensorLike; validateArgs: boolean | null }>(
      "Uniform",
      args,
      ["low", "high", "validateArgs"],
      { validateArgs: null },
    );
    [this.params.low, this.params.high] = broadcastAll(a.low, a.high);
    this.init(allNumbers(a.low, a.high) ? [] : this.low.shape, [], a.validateArgs);
    if (this.validateArgs && !lt(this.low, this.high).all().item()) {
      throw valueError("Uniform is not defined when low>= high");
    }
  }
  /** the lower bound (included) */
  get low(): Tensor {
    return this.params.low;
  }
  /** the upper bound (excluded) */
  get high(): Tensor {
    return this.params.high;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    const dep = C.dependent.with({ isDiscrete: false, eventDim: 0 });
    return { low: dep, high: dep };
  }
  override get support(): C.Constraint {
    return C.interval(this.low, this.high);
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.high.add(this.low).div(2);
  }
  override get mode(): Tensor {
    return this.high.mul(NaN);
  }
  override get stddev(): Tensor {
    return this.high.sub(this.low).div(12 ** 0.5);
  }
  override get variance(): Tensor {
    return this.high.sub(this.low).pow(2).div(12);
  }
  override expand(batchShape: ShapeLike, instance?: this): Uniform {
    const out = this.blank(instance);
    out.params.low = this.low.expand([...batchShape]);
    out.params.high = this.high.expand([...batchShape]);
    this.finishExpand(out, batchShape);
    return out;
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    // low + u (high - low), u ~ U[0, 1)
    const u = rand(this.extendedShape(sampleShape), { dtype: this.low.dtype });
    return this.low.add(u.mul(this.high.sub(this.low)));
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // log(1[low <= x < high]) - log(high - low)
    const lb = this.low.le(value).to(this.low.dtype);
    const ub = this.high.gt(value).to(this.low.dtype);
    return lb.mul(ub).log().sub(this.high.sub(this.low).log());
  }
  override cdf(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    return value.sub(this.low).div(this.high.sub(this.low)).clamp(0, 1);
  }
  override icdf(value: Tensor): Tensor {
    return value.mul(this.high.sub(this.low)).add(this.low);
  }
  override entropy(): Tensor {
    return this.high.sub(this.low).log();
  }
}

/**
 * The exponential distribution with rate λ (torch.distributions.Exponential).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Exponential(torch.tensor([2.0])).sample(); // tensor([1.7542])
 */
export class Exponential extends ExponentialFamily {
  constructor(
    ...args:
      | [rate: TensorLike, options?: DistributionOptions]
      | [options: { rate: TensorLike } & DistributionOptions]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{ rate: TensorLike; validateArgs: boolean | null }>(
      "Exponential",
      args,
      ["rate", "validateArgs"],
      { validateArgs: null },
    );
    [this.params.rate] = broadcastAll(a.rate);
    this.init(typeof a.rate === "number" ? [] : this.rate.shape, [], a.validateArgs);
  }
  /** the rate λ */
  get rate(): Tensor {
    return this.params.rate;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { rate: C.positive };
  }
  override get support(): C.Constraint {
    return C.nonnegative;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.rate.reciprocal();
  }
  override get mode(): Tensor {
    return zerosLike(this.rate);
  }
  override get stddev(): Tensor {
    return this.rate.reciprocal();
  }
  override get variance(): Tensor {
    return this.rate.pow(-2);
  }
  override expand(batchShape: ShapeLike, instance?: this): Exponential {
    const out = this.blank(instance);
    out.params.rate = this.rate.expand([...batchShape]);
    this.finishExpand(out, batchShape);
    return out;
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    // E / λ, E ~ Exp(1)
    const e = empty(this.extendedShape(sampleShape), { dtype: this.rate.dtype }).exponential_();
    return e.div(this.rate);
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    return this.rate.log().sub(this.rate.mul(value));
  }
  override cdf(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    return this.rate.neg().mul(value).exp().neg().add(1);
  }
  override icdf(value: Tensor): Tensor {
    return value.neg().add(1).log().neg().div(this.rate);
  }
  override entropy(): Tensor {
    return this.rate.log().neg().add(1);
  }
  override get naturalParams(): Tensor[] {
    return [this.rate.neg()];
  }
  override logNormalizer(x: Tensor): Tensor {
    return x.neg().log().neg();
  }
  override get meanCarrierMeasure(): number {
    return 0;
  }
}

/**
 * The Laplace distribution (torch.distributions.Laplace).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Laplace(0, 1).sample([2]); // tensor([-0.0075,  0.7688])
 */
export class Laplace extends Distribution {
  constructor(...args: LocScaleArgs);
  constructor(...args: unknown[]) {
    super();
    const a = locScale("Laplace", args);
    [this.params.loc, this.params.scale] = broadcastAll(a.loc, a.scale);
    this.init(allNumbers(a.loc, a.scale) ? [] : this.loc.shape, [], a.validateArgs);
  }
  /** the location (median) */
  get loc(): Tensor {
    return this.params.loc;
  }
  /** the scale b */
  get scale(): Tensor {
    return this.params.scale;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { loc: C.real, scale: C.positive };
  }
  override get support(): C.Constraint {
    return C.real;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.loc;
  }
  override get mode(): Tensor {
    return this.loc;
  }
  override get variance(): Tensor {
    return this.scale.pow(2).mul(2);
  }
  override get stddev(): Tensor {
    return this.scale.mul(2 ** 0.5);
  }
  override expand(batchShape: ShapeLike, instance?: this): Laplace {
    const out = this.blank(instance);
    out.params.loc = this.loc.expand([...batchShape]);
    out.params.scale = this.scale.expand([...batchShape]);
    this.finishExpand(out, batchShape);
    return out;
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    // loc - scale sign(u) log1p(-|u|), u ~ U[eps - 1, 1)
    const eps = finfo(this.loc.dtype).eps;
    const u = empty(this.extendedShape(sampleShape), { dtype: this.loc.dtype }).uniform_(
      eps - 1,
      1,
    );
    return this.loc.sub(this.scale.mul(u.sign()).mul(u.abs().neg().log1p()));
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // -log(2 scale) - |x - loc| / scale
    return this.scale.mul(2).log().neg().sub(value.sub(this.loc).abs().div(this.scale));
  }
  override cdf(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // 1/2 - sign(x - loc) expm1(-|x - loc| / scale) / 2
    const d = value.sub(this.loc);
    return d.sign().mul(0.5).mul(d.abs().neg().div(this.scale).expm1()).neg().add(0.5);
  }
  override icdf(value: Tensor): Tensor {
    const term = value.sub(0.5);
    return this.loc.sub(this.scale.mul(term.sign()).mul(term.abs().mul(-2).log1p()));
  }
  override entropy(): Tensor {
    return this.scale.mul(2).log().add(1);
  }
}

/**
 * The Cauchy distribution (torch.distributions.Cauchy).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Cauchy(0, 1).sample().shape; // []
 */
export class Cauchy extends Distribution {
  constructor(...args: LocScaleArgs);
  constructor(...args: unknown[]) {
    super();
    const a = locScale("Cauchy", args);
    [this.params.loc, this.params.scale] = broadcastAll(a.loc, a.scale);
    this.init(allNumbers(a.loc, a.scale) ? [] : this.loc.shape, [], a.validateArgs);
  }
  /** the location (median) */
  get loc(): Tensor {
    return this.params.loc;
  }
  /** the half width at half maximum */
  get scale(): Tensor {
    return this.params.scale;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { loc: C.real, scale: C.positive };
  }
  override get support(): C.Constraint {
    return C.real;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return full(this.extendedShape(), NaN, { dtype: this.loc.dtype });
  }
  override get mode(): Tensor {
    return this.loc;
  }
  override get variance(): Tensor {
    return full(this.extendedShape(), Infinity, { dtype: this.loc.dtype });
  }
  override expand(batchShape: ShapeLike, instance?: this): Cauchy {
    const out = this.blank(instance);
    out.params.loc = this.loc.expand([...batchShape]);
    out.params.scale = this.scale.expand([...batchShape]);
    this.finishExpand(out, batchShape);
    return out;
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    const eps = empty(this.extendedShape(sampleShape), { dtype: this.loc.dtype }).cauchy_();
    return this.loc.add(eps.mul(this.scale));
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // -log(π) - log(scale) - log(1 + ((x - loc) / scale)²)
    return this.scale
      .log()
      .neg()
      .add(-Math.log(Math.PI))
      .sub(value.sub(this.loc).div(this.scale).pow(2).add(1).log());
  }
  override cdf(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    return atan(value.sub(this.loc).div(this.scale)).div(Math.PI).add(0.5);
  }
  override icdf(value: Tensor): Tensor {
    return tan(value.sub(0.5).mul(Math.PI)).mul(this.scale).add(this.loc);
  }
  override entropy(): Tensor {
    return this.scale.log().add(Math.log(4 * Math.PI));
  }
}
