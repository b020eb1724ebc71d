/**
 * The distributions drawn through ATen's gamma and Poisson samplers (samplers.ts): Gamma, Chi2,
 * StudentT, Poisson (gamma.py, chi2.py, studentT.py, poisson.py).
 */
import type { Tensor } from "../tensor.js";
import { finfo } from "../dtype.js";
import { digamma, lgamma, where, xlogy } from "../generated/functions.js";
import { noGrad } from "../autograd/grad-mode.js";
import { ctorArgs } from "../nn/ctor-args.js";
import { valueError } from "../errors.js";
import { logsigmoid } from "../generated/nn-functional.js";
import * as C from "./constraints.js";
import { Distribution, ExponentialFamily, type DistributionOptions } from "./distribution.js";
import { poisson, standardGamma } from "../registry/samplers.js";
import {
  type ShapeLike,
  type TensorLike,
  allNumbers,
  broadcastAll,
  logitsToProbs,
  probsToLogits,
  standardNormal,
} from "./utils.js";

/** log Γ(1/2) = log √π */
const LGAMMA_HALF = 0.5 * Math.log(Math.PI);

/**
 * The gamma distribution with shape `concentration` and `rate` (torch.distributions.Gamma).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Gamma(torch.tensor([1.0]), torch.tensor([1.0])).sample(); // tensor([2.8824])
 */
export class Gamma extends ExponentialFamily {
  constructor(
    ...args:
      | [concentration: TensorLike, rate: TensorLike, options?: DistributionOptions]
      | [
          options: {
            /** the shape α */
            concentration: TensorLike;
            /** the rate β */
            rate: TensorLike;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      concentration: TensorLike;
      rate: TensorLike;
      validateArgs: boolean | null;
    }>("Gamma", args, ["concentration", "rate", "validateArgs"], { validateArgs: null });
    this.setupGamma(a.concentration, a.rate, a.validateArgs);
  }
  /** Python's Gamma.__init__ body (Chi2 runs it with its own arguments). */
  protected setupGamma(
    concentration: TensorLike,
    rate: TensorLike,
    validateArgs: boolean | null,
  ): void {
    [this.params.concentration, this.params.rate] = broadcastAll(concentration, rate);
    const batch = allNumbers(concentration, rate) ? [] : this.concentration.shape;
    this.init(batch, [], validateArgs);
  }
  /** the shape α */
  get concentration(): Tensor {
    return this.params.concentration;
  }
  /** the rate β */
  get rate(): Tensor {
    return this.params.rate;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { concentration: C.positive, rate: C.positive };
  }
  override get support(): C.Constraint {
    return C.nonnegative;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.concentration.div(this.rate);
  }
  override get mode(): Tensor {
    return this.concentration.sub(1).div(this.rate).clamp(0);
  }
  override get variance(): Tensor {
    return this.concentration.div(this.rate.pow(2));
  }
  override expand(batchShape: ShapeLike, instance?: this): Gamma {
    const out = this.blank(instance);
    out.params.concentration = this.concentration.expand([...batchShape]);
    out.params.rate = this.rate.expand([...batchShape]);
    this.finishExpand(out, batchShape);
    return out;
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    // X / β with X ~ Gamma(α, 1), floored at the dtype's tiny without recording
    const shape = this.extendedShape(sampleShape);
    const value = standardGamma(this.concentration.expand(shape)).div(this.rate.expand(shape));
    noGrad(() => value.detach().clamp_(finfo(value.dtype).tiny));
    return value;
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // α log β + (α - 1) log x - β x - log Γ(α)
    return xlogy(this.concentration, this.rate)
      .add(xlogy(this.concentration.sub(1), value))
      .sub(this.rate.mul(value))
      .sub(lgamma(this.concentration));
  }
  override entropy(): Tensor {
    // α - log β + log Γ(α) + (1 - α) ψ(α)
    const a = this.concentration;
    return a
      .sub(this.rate.log())
      .add(lgamma(a))
      .add(a.neg().add(1.0).mul(digamma(a)));
  }
  override get naturalParams(): Tensor[] {
    return [this.concentration.sub(1), this.rate.neg()];
  }
  override logNormalizer(x: Tensor, y: Tensor): Tensor {
    return lgamma(x.add(1)).add(x.add(1).mul(y.reciprocal().neg().log()));
  }
  override get meanCarrierMeasure(): number {
    return 0;
  }
}

/**
 * The chi-squared distribution with `df` degrees of freedom: Gamma(df / 2, 1 / 2)
 * (torch.distributions.Chi2).
 * @example new torch.distributions.Chi2(torch.tensor([3.0])).mean // tensor([3.])
 */
export class Chi2 extends Gamma {
  constructor(
    ...args:
      | [df: TensorLike, options?: DistributionOptions]
      | [
          options: {
            /** the degrees of freedom */
            df: TensorLike;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super(1, 1, { validateArgs: false });
    const a = ctorArgs<{ df: TensorLike; validateArgs: boolean | null }>(
      "Chi2",
      args,
      ["df", "validateArgs"],
      { validateArgs: null },
    );
    this.params = {};
    const half = typeof a.df === "number" ? 0.5 * a.df : a.df.mul(0.5);
    this.setupGamma(half, 0.5, a.validateArgs);
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { df: C.positive };
  }
  protected override checkedParam(name: string): Tensor | undefined {
    return name === "df" ? this.df : undefined;
  }
  /** the degrees of freedom */
  get df(): Tensor {
    return this.concentration.mul(2);
  }
  override expand(batchShape: ShapeLike, instance?: this): Chi2 {
    return super.expand(batchShape, instance) as Chi2;
  }
}

/**
 * Student's t distribution with `df` degrees of freedom, location and scale
 * (torch.distributions.StudentT).
 * @example new torch.distributions.StudentT(torch.tensor([2.0])).logProb(torch.tensor([0.0])) // tensor([-1.0397])
 */
export class StudentT extends Distribution {
  private chi2!: Chi2;
  constructor(
    ...args:
      | [df: TensorLike, loc?: TensorLike, scale?: TensorLike, options?: DistributionOptions]
      | [
          options: {
            /** the degrees of freedom */
            df: TensorLike;
            /** the location */
            loc?: TensorLike;
            /** the scale */
            scale?: TensorLike;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      df: TensorLike;
      loc: TensorLike;
      scale: TensorLike;
      validateArgs: boolean | null;
    }>("StudentT", args, ["df", "loc", "scale", "validateArgs"], {
      loc: 0,
      scale: 1,
      validateArgs: null,
    });
    [this.params.df, this.params.loc, this.params.scale] = broadcastAll(a.df, a.loc, a.scale);
    this.chi2 = new Chi2(this.df);
    this.init(this.df.shape, [], a.validateArgs);
  }
  /** the degrees of freedom */
  get df(): Tensor {
    return this.params.df;
  }
  /** the location */
  get loc(): Tensor {
    return this.params.loc;
  }
  /** the scale */
  get scale(): Tensor {
    return this.params.scale;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { df: C.positive, loc: C.real, scale: C.positive };
  }
  override get support(): C.Constraint {
    return C.real;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.loc.clone().maskedFill(this.df.le(1), NaN);
  }
  override get mode(): Tensor {
    return this.loc;
  }
  override get variance(): Tensor {
    // scale² df / (df - 2) for df > 2, inf for 1 < df <= 2, NaN for df <= 1
    const df = this.df;
    const big = df.gt(2);
    // the denominator is kept away from 0 where the entry is not used, so no NaN flows back
    const v = this.scale
      .pow(2)
      .mul(df)
      .div(where(big, df.sub(2), 1));
    return where(big, v, df)
      .maskedFill(df.le(2).logicalAnd(df.gt(1)), Infinity)
      .maskedFill(df.le(1), NaN);
  }
  override expand(batchShape: ShapeLike, instance?: this): StudentT {
    const out = this.blank(instance);
    for (const k of ["df", "loc", "scale"]) out.params[k] = this.params[k].expand([...batchShape]);
    out.chi2 = this.chi2.expand(batchShape);
    this.finishExpand(out, batchShape);
    return out;
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    // loc + scale X / sqrt(Z / df), X ~ N(0, 1), Z ~ χ²(df)
    const X = standardNormal(this.extendedShape(sampleShape), this.df.dtype);
    const Z = this.chi2.rsample(sampleShape);
    const Y = X.mul(Z.div(this.df).rsqrt());
    return this.loc.add(this.scale.mul(Y));
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    const y = value.sub(this.loc).div(this.scale);
    const Z = this.scale
      .log()
      .add(this.df.log().mul(0.5))
      .add(0.5 * Math.log(Math.PI))
      .add(lgamma(this.df.mul(0.5)))
      .sub(lgamma(this.df.add(1).mul(0.5)));
    return this.df.add(1).mul(-0.5).mul(y.pow(2).div(this.df).log1p()).sub(Z);
  }
  override entropy(): Tensor {
    const df = this.df;
    const lbeta = lgamma(df.mul(0.5))
      .add(LGAMMA_HALF)
      .sub(lgamma(df.add(1).mul(0.5)));
    return this.scale
      .log()
      .add(
        df
          .add(1)
          .mul(0.5)
          .mul(digamma(df.add(1).mul(0.5)).sub(digamma(df.mul(0.5)))),
      )
      .add(df.log().mul(0.5))
      .add(lbeta);
  }
}

/**
 * The Poisson distribution with `rate` λ (torch.distributions.Poisson).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Poisson(torch.tensor([4.0])).sample(); // tensor([7.])
 */
export class Poisson extends ExponentialFamily {
  constructor(
    ...args:
      | [rate: TensorLike, options?: DistributionOptions]
      | [
          options: {
            /** the rate λ */
            rate: TensorLike;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{ rate: TensorLike; validateArgs: boolean | null }>(
      "Poisson",
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
    return { rate: C.nonnegative };
  }
  override get support(): C.Constraint {
    return C.nonnegativeInteger;
  }
  override get mean(): Tensor {
    return this.rate;
  }
  override get mode(): Tensor {
    return this.rate.floor();
  }
  override get variance(): Tensor {
    return this.rate;
  }
  override expand(batchShape: ShapeLike, instance?: this): Poisson {
    const out = this.blank(instance);
    out.params.rate = this.rate.expand([...batchShape]);
    this.finishExpand(out, batchShape);
    return out;
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    return noGrad(() => poisson(this.rate.expand(shape)));
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // x log λ - λ - log Γ(x + 1)
    const [rate, v] = broadcastAll(this.rate, value);
    return v.xlogy(rate).sub(rate).sub(v.add(1).lgamma());
  }
  override get naturalParams(): Tensor[] {
    return [this.rate.log()];
  }
  override logNormalizer(x: Tensor): Tensor {
    return x.exp();
  }
}

/**
 * Fisher-Snedecor's F distribution with `df1` and `df2` degrees of freedom
 * (torch.distributions.FisherSnedecor).
 * @example new torch.distributions.FisherSnedecor(torch.tensor([3.0]), torch.tensor([5.0])).mean // tensor([1.6667])
 */
export class FisherSnedecor extends Distribution {
  private gamma1!: Gamma;
  private gamma2!: Gamma;
  constructor(
    ...args:
      | [df1: TensorLike, df2: TensorLike, options?: DistributionOptions]
      | [
          options: {
            /** the numerator's degrees of freedom */
            df1: TensorLike;
            /** the denominator's degrees of freedom */
            df2: TensorLike;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{ df1: TensorLike; df2: TensorLike; validateArgs: boolean | null }>(
      "FisherSnedecor",
      args,
      ["df1", "df2", "validateArgs"],
      { validateArgs: null },
    );
    [this.params.df1, this.params.df2] = broadcastAll(a.df1, a.df2);
    this.gamma1 = new Gamma(this.df1.mul(0.5), this.df1);
    this.gamma2 = new Gamma(this.df2.mul(0.5), this.df2);
    this.init(allNumbers(a.df1, a.df2) ? [] : this.df1.shape, [], a.validateArgs);
  }
  /** the numerator's degrees of freedom */
  get df1(): Tensor {
    return this.params.df1;
  }
  /** the denominator's degrees of freedom */
  get df2(): Tensor {
    return this.params.df2;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { df1: C.positive, df2: C.positive };
  }
  override get support(): C.Constraint {
    return C.positive;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override expand(batchShape: ShapeLike, instance?: this): FisherSnedecor {
    const out = this.blank(instance);
    out.params.df1 = this.df1.expand([...batchShape]);
    out.params.df2 = this.df2.expand([...batchShape]);
    out.gamma1 = this.gamma1.expand(batchShape);
    out.gamma2 = this.gamma2.expand(batchShape);
    this.finishExpand(out, batchShape);
    return out;
  }
  override get mean(): Tensor {
    const df2 = this.df2.clone().maskedFill(this.df2.le(2), NaN);
    return df2.div(df2.sub(2));
  }
  override get mode(): Tensor {
    const mode = this.df1.sub(2).div(this.df1).mul(this.df2).div(this.df2.add(2));
    return mode.maskedFill(this.df1.le(2), NaN);
  }
  override get variance(): Tensor {
    const df2 = this.df2.clone().maskedFill(this.df2.le(4), NaN);
    return df2
      .pow(2)
      .mul(2)
      .mul(this.df1.add(df2).sub(2))
      .div(this.df1.mul(df2.sub(2).pow(2)).mul(df2.sub(4)));
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    // (X1 / df1) / (X2 / df2) with Xi ~ χ²(dfi), as Gamma(df/2, df) draws
    const shape = this.extendedShape(sampleShape);
    const X1 = this.gamma1.rsample(sampleShape).view(shape);
    const X2 = this.gamma2.rsample(sampleShape).view(shape);
    const tiny = finfo(X2.dtype).tiny;
    const X2c = X2.clamp(tiny);
    return X1.div(X2c).clamp(tiny);
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    const ct1 = this.df1.mul(0.5);
    const ct2 = this.df2.mul(0.5);
    const ct3 = this.df1.div(this.df2);
    const t1 = lgamma(ct1.add(ct2)).sub(lgamma(ct1)).sub(lgamma(ct2));
    const t2 = ct1.mul(ct3.log()).add(ct1.sub(1).mul(value.log()));
    const t3 = ct1.add(ct2).mul(ct3.mul(value).log1p());
    return t1.add(t2).sub(t3);
  }
}

/**
 * The number of successes before `totalCount` failures of Bernoulli(probs) trials
 * (torch.distributions.NegativeBinomial), drawn as Poisson(Gamma(totalCount, exp(-logits))).
 * @example new torch.distributions.NegativeBinomial(3, torch.tensor([0.5])).mean // tensor([3.])
 */
export class NegativeBinomial extends Distribution {
  private _param!: Tensor;
  constructor(
    ...args:
      | [
          totalCount: TensorLike,
          probs?: TensorLike | null,
          logits?: TensorLike | null,
          options?: DistributionOptions,
        ]
      | [
          options: {
            /** the number of failures (>= 0) */
            totalCount: TensorLike;
            /** the success probability (exclusive with logits) */
            probs?: TensorLike | null;
            /** the success log-odds (exclusive with probs) */
            logits?: TensorLike | null;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      totalCount: TensorLike;
      probs: TensorLike | null;
      logits: TensorLike | null;
      validateArgs: boolean | null;
    }>("NegativeBinomial", args, ["totalCount", "probs", "logits", "validateArgs"], {
      probs: null,
      logits: null,
      validateArgs: null,
    });
    if ((a.probs === null) === (a.logits === null)) {
      throw valueError("Either `probs` or `logits` must be specified, but not both.");
    }
    const name = a.probs !== null ? "probs" : "logits";
    const [count, p] = broadcastAll(a.totalCount, (a.probs ?? a.logits) as TensorLike);
    this.params.totalCount = count.to(p.dtype);
    this.params[name] = p;
    this._param = p;
    this.init(p.shape, [], a.validateArgs);
  }
  /** the number of failures */
  get totalCount(): Tensor {
    return this.params.totalCount;
  }
  /** the success probability */
  get probs(): Tensor {
    return this.lazy("probs", () => logitsToProbs(this.params.logits, true));
  }
  /** the success log-odds */
  get logits(): Tensor {
    return this.lazy("logits", () => probsToLogits(this.params.probs, true));
  }
  /** the shape of the given parameter */
  get paramShape(): number[] {
    return this._param.shape;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { totalCount: C.greaterThanEq(0), probs: C.halfOpenInterval(0, 1), logits: C.real };
  }
  override get support(): C.Constraint {
    return C.nonnegativeInteger;
  }
  override expand(batchShape: ShapeLike, instance?: this): NegativeBinomial {
    const out = this.blank(instance);
    out.params.totalCount = this.totalCount.expand([...batchShape]);
    if (this.params.probs)
      out._param = out.params.probs = this.params.probs.expand([...batchShape]);
    if (this.params.logits)
      out._param = out.params.logits = this.params.logits.expand([...batchShape]);
    this.finishExpand(out, batchShape);
    return out;
  }
  override get mean(): Tensor {
    return this.totalCount.mul(this.logits.exp());
  }
  override get mode(): Tensor {
    return this.totalCount.sub(1).mul(this.logits.exp()).floor().clamp(0.0);
  }
  override get variance(): Tensor {
    return this.mean.div(this.logits.neg().sigmoid());
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    return noGrad(() => {
      const gamma = new Gamma(this.totalCount, this.logits.neg().exp(), { validateArgs: false });
      return poisson(gamma.sample(sampleShape));
    });
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    const n = this.totalCount;
    const logUnnormalized = n
      .mul(logsigmoid(this.logits.neg()))
      .add(value.mul(logsigmoid(this.logits)));
    const logNormalization = lgamma(n.add(value))
      .neg()
      .add(lgamma(value.add(1.0)))
      .add(lgamma(n));
    const masked = logNormalization.maskedFill(n.add(value).eq(0.0), 0.0);
    return logUnnormalized.sub(masked);
  }
}
