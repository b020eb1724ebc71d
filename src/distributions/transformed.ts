/**
 * TransformedDistribution (transformed_distribution.py) and the distributions PyTorch builds on
 * it: LogNormal (exp of a Normal), Gumbel (a transformed Uniform), HalfNormal (|Normal|).
 */
import type { Tensor } from "../tensor.js";
import { finfo } from "../dtype.js";
import { valueError } from "../errors.js";
import {
  digamma,
  full,
  fullLike,
  lgamma,
  onesLike,
  where,
  zerosLike,
} from "../generated/functions.js";
import { ctorArgs } from "../nn/ctor-args.js";
import * as C from "./constraints.js";
import { Distribution, type DistributionOptions } from "./distribution.js";
import { Independent } from "./independent.js";
import { Cauchy, Exponential, Normal, Uniform, type LocScaleArgs } from "./continuous.js";
import {
  AbsTransform,
  AffineTransform,
  ComposeTransform,
  ExpTransform,
  PowerTransform,
  type Sign,
  StickBreakingTransform,
  Transform,
} from "./transforms.js";
import {
  type ShapeLike,
  type TensorLike,
  allNumbers,
  broadcastAll,
  eulerConstant,
  sameShape,
  sumRightmost,
} from "./utils.js";

/**
 * A base distribution pushed through a sequence of transforms
 * (torch.distributions.TransformedDistribution); log_prob by the change of variables.
 * @example
 * const T = torch.distributions.transforms;
 * const d = new torch.distributions.TransformedDistribution(new torch.distributions.Normal(0, 1), [new T.ExpTransform()]);
 * d.logProb(torch.tensor(1)); // tensor(-0.9189)
 */
export class TransformedDistribution extends Distribution {
  /** the distribution transformed */
  baseDist!: Distribution;
  /** the transforms, applied in order */
  transforms!: Transform[];
  constructor(
    ...args:
      | [
          baseDistribution: Distribution,
          transforms: Transform | Transform[],
          options?: DistributionOptions,
        ]
      | [
          options: {
            baseDistribution: Distribution;
            transforms: Transform | Transform[];
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      baseDistribution: Distribution;
      transforms: Transform | Transform[];
      validateArgs: boolean | null;
    }>("TransformedDistribution", args, ["baseDistribution", "transforms", "validateArgs"], {
      validateArgs: null,
    });
    this.setup(a.baseDistribution, a.transforms, a.validateArgs);
  }
  /** the body of PyTorch's __init__ (subclasses build their base first) */
  protected setup(
    baseDistribution: Distribution,
    transforms: Transform | Transform[],
    validateArgs: boolean | null,
  ): void {
    if (transforms instanceof Transform) this.transforms = [transforms];
    else if (Array.isArray(transforms)) {
      if (!transforms.every((t) => t instanceof Transform))
        throw valueError("transforms must be a Transform or a list of Transforms");
      this.transforms = transforms;
    } else {
      throw valueError(`transforms must be a Transform or list, but was ${String(transforms)}`);
    }
    let base = baseDistribution;
    const baseShape = [...base.batchShape, ...base.eventShape];
    const baseEventDim = base.eventShape.length;
    const transform = new ComposeTransform(this.transforms);
    const domainEventDim = transform.domain.eventDim;
    if (baseShape.length < domainEventDim) {
      throw valueError(
        `base_distribution needs to have shape with size at least ${domainEventDim}, but got torch.Size([${baseShape.join(", ")}]).`,
      );
    }
    const shape = transform.forwardShape(baseShape);
    const expandedBaseShape = transform.inverseShape(shape);
    if (!sameShape(baseShape, expandedBaseShape)) {
      base = base.expand(expandedBaseShape.slice(0, expandedBaseShape.length - baseEventDim));
    }
    const reinterpreted = domainEventDim - baseEventDim;
    if (reinterpreted > 0) base = new Independent(base, reinterpreted);
    this.baseDist = base;
    const eventDim = transform.codomain.eventDim + Math.max(baseEventDim - domainEventDim, 0);
    const cut = shape.length - eventDim;
    this.init(shape.slice(0, cut), shape.slice(cut), validateArgs);
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return {};
  }
  override get support(): C.Constraint {
    if (this.transforms.length === 0) return this.baseDist.support;
    let support = this.transforms[this.transforms.length - 1].codomain;
    if (this.eventShape.length > support.eventDim)
      support = C.independent(support, this.eventShape.length - support.eventDim);
    return support;
  }
  override get hasRsample(): boolean {
    return this.baseDist.hasRsample;
  }
  override expand(batchShape: ShapeLike, instance?: this): TransformedDistribution {
    const out = this.blank(instance);
    let shape = [...batchShape, ...this.eventShape];
    for (const t of [...this.transforms].reverse()) shape = t.inverseShape(shape);
    out.baseDist = this.baseDist.expand(
      shape.slice(0, shape.length - this.baseDist.eventShape.length),
    );
    out.transforms = this.transforms;
    this.finishExpand(out, batchShape);
    return out;
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    return noGradApply(this.baseDist.sample(sampleShape), this.transforms);
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    return this.transforms.reduce((x, t) => t.call(x), this.baseDist.rsample(sampleShape));
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // log p(y) = log p_base(x) - Σ log |det J_t(x)| along the chain back from y
    let eventDim = this.eventShape.length;
    let logProb: Tensor | number = 0.0;
    let y = value;
    for (const t of [...this.transforms].reverse()) {
      const x = t.inv.call(y);
      eventDim += t.domain.eventDim - t.codomain.eventDim;
      const term = sumRightmost(t.logAbsDetJacobian(x, y), eventDim - t.domain.eventDim);
      logProb = typeof logProb === "number" ? term.neg().add(logProb) : logProb.sub(term);
      y = x;
    }
    const base = sumRightmost(this.baseDist.logProb(y), eventDim - this.baseDist.eventShape.length);
    return typeof logProb === "number" ? base.add(logProb) : logProb.add(base);
  }
  /** Flips a cdf for a decreasing chain (_monotonize_cdf). */
  private monotonizeCdf(value: Tensor): Tensor {
    let sign: Sign = 1;
    for (const t of this.transforms) {
      const s = t.sign;
      sign = typeof sign === "number" && typeof s === "number" ? sign * s : mulSigns(sign, s);
    }
    if (typeof sign === "number" && sign === 1) return value;
    return value.sub(0.5).mul(sign).add(0.5);
  }
  override cdf(value: Tensor): Tensor {
    let v = value;
    for (const t of [...this.transforms].reverse()) v = t.inv.call(v);
    if (this.validateArgs) (this.baseDist as TransformedDistribution).validateSample(v);
    return this.monotonizeCdf(this.baseDist.cdf(v));
  }
  override icdf(value: Tensor): Tensor {
    const v = this.baseDist.icdf(this.monotonizeCdf(value));
    return this.transforms.reduce((x, t) => t.call(x), v);
  }
}

/** sign products mixing numbers and tensors */
function mulSigns(a: Sign, b: Sign): Sign {
  if (typeof a === "number") return (b as Tensor).mul(a);
  return a.mul(b);
}

/** a sample pushed through the transforms without recording (sample's no_grad) */
function noGradApply(x: Tensor, transforms: Transform[]): Tensor {
  let v = x;
  for (const t of transforms) v = t.call(v);
  return v.detach();
}

/**
 * exp(X) for X ~ Normal(loc, scale) (torch.distributions.LogNormal).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.LogNormal(torch.tensor([0.0]), torch.tensor([1.0])).sample(); // tensor([4.6692])
 */
export class LogNormal extends TransformedDistribution {
  constructor(...args: LocScaleArgs);
  constructor(...args: unknown[]) {
    super(new Normal(0, 1), [], { validateArgs: false });
    const a = ctorArgs<{ loc: TensorLike; scale: TensorLike; validateArgs: boolean | null }>(
      "LogNormal",
      args,
      ["loc", "scale", "validateArgs"],
      { validateArgs: null },
    );
    const base = new Normal(a.loc, a.scale, { validateArgs: a.validateArgs });
    this.setup(base, new ExpTransform(), a.validateArgs);
  }
  protected override checkedParam(name: string): Tensor | undefined {
    if (name === "loc") return this.loc;
    return name === "scale" ? this.scale : undefined;
  }
  private get normal(): Normal {
    return this.baseDist as Normal;
  }
  /** the mean of log X */
  get loc(): Tensor {
    return this.normal.loc;
  }
  /** the standard deviation of log X */
  get scale(): Tensor {
    return this.normal.scale;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { loc: C.real, scale: C.positive };
  }
  override get support(): C.Constraint {
    return C.positive;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.loc.add(this.scale.pow(2).div(2)).exp();
  }
  override get mode(): Tensor {
    return this.loc.sub(this.scale.square()).exp();
  }
  override get variance(): Tensor {
    const s2 = this.scale.pow(2);
    return s2.exp().sub(1).mul(this.loc.mul(2).add(s2).exp());
  }
  override entropy(): Tensor {
    return this.baseDist.entropy().add(this.loc);
  }
  override expand(batchShape: ShapeLike, instance?: this): LogNormal {
    return super.expand(batchShape, instance) as LogNormal;
  }
}

/**
 * |X| for X ~ Normal(0, scale) (torch.distributions.HalfNormal).
 * @example new torch.distributions.HalfNormal(torch.tensor([1.0])).mean // tensor([0.7979])
 */
export class HalfNormal extends TransformedDistribution {
  constructor(
    ...args:
      | [scale: TensorLike, options?: DistributionOptions]
      | [options: { scale: TensorLike } & DistributionOptions]
  );
  constructor(...args: unknown[]) {
    super(new Normal(0, 1), [], { validateArgs: false });
    const a = ctorArgs<{ scale: TensorLike; validateArgs: boolean | null }>(
      "HalfNormal",
      args,
      ["scale", "validateArgs"],
      { validateArgs: null },
    );
    const base = new Normal(0, a.scale, { validateArgs: false });
    this.setup(base, new AbsTransform(), a.validateArgs);
  }
  protected override checkedParam(name: string): Tensor | undefined {
    return name === "scale" ? this.scale : undefined;
  }
  /** the scale of the folded normal */
  get scale(): Tensor {
    return (this.baseDist as Normal).scale;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { scale: C.positive };
  }
  override get support(): C.Constraint {
    return C.nonnegative;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.scale.mul(Math.sqrt(2 / Math.PI));
  }
  override get mode(): Tensor {
    return zerosLike(this.scale);
  }
  override get variance(): Tensor {
    return this.scale.pow(2).mul(1 - 2 / Math.PI);
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // log 2 + log p_normal(x), -inf below 0
    const lp = this.baseDist.logProb(value).add(Math.log(2));
    return where(value.ge(0), lp, -Infinity);
  }
  override cdf(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    return this.baseDist.cdf(value).mul(2).sub(1);
  }
  override icdf(prob: Tensor): Tensor {
    return this.baseDist.icdf(prob.add(1).div(2));
  }
  override entropy(): Tensor {
    return this.baseDist.entropy().sub(Math.log(2));
  }
  override expand(batchShape: ShapeLike, instance?: this): HalfNormal {
    return super.expand(batchShape, instance) as HalfNormal;
  }
}

/**
 * The Gumbel distribution: loc - scale log(-log U), U ~ Uniform(tiny, 1 - eps)
 * (torch.distributions.Gumbel).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Gumbel(torch.tensor([1.0]), torch.tensor([2.0])).sample().shape; // [1]
 */
export class Gumbel extends TransformedDistribution {
  constructor(...args: LocScaleArgs);
  constructor(...args: unknown[]) {
    super(new Normal(0, 1), [], { validateArgs: false });
    const a = ctorArgs<{ loc: TensorLike; scale: TensorLike; validateArgs: boolean | null }>(
      "Gumbel",
      args,
      ["loc", "scale", "validateArgs"],
      { validateArgs: null },
    );
    const [loc, scale] = broadcastAll(a.loc, a.scale);
    this.params.loc = loc;
    this.params.scale = scale;
    const f = finfo(loc.dtype);
    const base = allNumbers(a.loc, a.scale)
      ? new Uniform(f.tiny, 1 - f.eps)
      : new Uniform(fullLike(loc, f.tiny), fullLike(loc, 1 - f.eps));
    // x = loc - scale log(-log u)
    const transforms = [
      new ExpTransform().inv,
      new AffineTransform(0, onesLike(scale).neg()),
      new ExpTransform().inv,
      new AffineTransform(a.loc, scale.neg()),
    ];
    this.setup(base, transforms, a.validateArgs);
  }
  /** the location (mode) */
  get loc(): Tensor {
    return this.params.loc;
  }
  /** the scale β */
  get scale(): Tensor {
    return this.params.scale;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { loc: C.real, scale: C.positive };
  }
  override get support(): C.Constraint {
    return C.real;
  }
  override expand(batchShape: ShapeLike, instance?: this): Gumbel {
    const out = this.blank(instance);
    out.params.loc = this.loc.expand([...batchShape]);
    out.params.scale = this.scale.expand([...batchShape]);
    return super.expand(batchShape, out) as Gumbel;
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // -(z + exp(-z)) - log(scale), z = (x - loc) / scale
    const y = this.loc.sub(value).div(this.scale);
    return y.sub(y.exp()).sub(this.scale.log());
  }
  override get mean(): Tensor {
    return this.loc.add(this.scale.mul(eulerConstant));
  }
  override get mode(): Tensor {
    return this.loc;
  }
  override get stddev(): Tensor {
    return this.scale.mul(Math.PI / Math.sqrt(6));
  }
  override get variance(): Tensor {
    return this.stddev.pow(2);
  }
  override entropy(): Tensor {
    return this.scale.log().add(1 + eulerConstant);
  }
}

/**
 * |X| for X ~ Cauchy(0, scale) (torch.distributions.HalfCauchy).
 * @example new torch.distributions.HalfCauchy(torch.tensor([1.0])).logProb(torch.tensor([1.0])) // tensor([-1.1447])
 */
export class HalfCauchy extends TransformedDistribution {
  constructor(
    ...args:
      | [scale: TensorLike, options?: DistributionOptions]
      | [
          options: {
            /** the scale of the folded Cauchy */
            scale: TensorLike;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    const a = ctorArgs<{ scale: TensorLike; validateArgs: boolean | null }>(
      "HalfCauchy",
      args,
      ["scale", "validateArgs"],
      { validateArgs: null },
    );
    super(new Cauchy(0, a.scale, { validateArgs: false }), new AbsTransform(), {
      validateArgs: a.validateArgs,
    });
  }
  protected override checkedParam(name: string): Tensor | undefined {
    return name === "scale" ? this.scale : undefined;
  }
  /** the scale */
  get scale(): Tensor {
    return (this.baseDist as Cauchy).scale;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { scale: C.positive };
  }
  override get support(): C.Constraint {
    return C.nonnegative;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return full(this.extendedShape(), Infinity, { dtype: this.scale.dtype });
  }
  override get mode(): Tensor {
    return zerosLike(this.scale);
  }
  override get variance(): Tensor {
    return this.baseDist.variance;
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    const lp = this.baseDist.logProb(value).add(Math.log(2));
    return where(value.ge(0), lp, -Infinity);
  }
  override cdf(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    return this.baseDist.cdf(value).mul(2).sub(1);
  }
  override icdf(prob: Tensor): Tensor {
    return this.baseDist.icdf(prob.add(1).div(2));
  }
  override entropy(): Tensor {
    return this.baseDist.entropy().sub(Math.log(2));
  }
  override expand(batchShape: ShapeLike, instance?: this): HalfCauchy {
    return super.expand(batchShape, instance) as HalfCauchy;
  }
}

/**
 * The Pareto distribution: scale · exp(E), E ~ Exponential(alpha) (torch.distributions.Pareto).
 * @example new torch.distributions.Pareto(1, 3).mean // tensor(1.5000)
 */
export class Pareto extends TransformedDistribution {
  constructor(
    ...args:
      | [scale: TensorLike, alpha: TensorLike, options?: DistributionOptions]
      | [
          options: {
            /** the scale (the minimum) */
            scale: TensorLike;
            /** the shape α */
            alpha: TensorLike;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    const a = ctorArgs<{ scale: TensorLike; alpha: TensorLike; validateArgs: boolean | null }>(
      "Pareto",
      args,
      ["scale", "alpha", "validateArgs"],
      { validateArgs: null },
    );
    const [scale, alpha] = broadcastAll(a.scale, a.alpha);
    const base = new Exponential(alpha, { validateArgs: a.validateArgs });
    super(base, [new ExpTransform(), new AffineTransform(0, scale)], {
      validateArgs: false,
    });
    this.params.scale = scale;
    this.params.alpha = alpha;
    this.init(this.batchShape, this.eventShape, a.validateArgs);
  }
  /** the scale (the minimum) */
  get scale(): Tensor {
    return this.params.scale;
  }
  /** the shape α */
  get alpha(): Tensor {
    return this.params.alpha;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { alpha: C.positive, scale: C.positive };
  }
  override get support(): C.Constraint {
    return C.greaterThanEq(this.scale);
  }
  override get mean(): Tensor {
    const a = this.alpha.clamp(1);
    return a.mul(this.scale).div(a.sub(1));
  }
  override get mode(): Tensor {
    return this.scale;
  }
  override get variance(): Tensor {
    const a = this.alpha.clamp(2);
    return this.scale
      .pow(2)
      .mul(a)
      .div(a.sub(1).pow(2).mul(a.sub(2)));
  }
  override entropy(): Tensor {
    return this.scale.div(this.alpha).log().add(this.alpha.reciprocal().add(1));
  }
  override expand(batchShape: ShapeLike, instance?: this): Pareto {
    const out = this.blank(instance);
    out.params.scale = this.scale.expand([...batchShape]);
    out.params.alpha = this.alpha.expand([...batchShape]);
    return super.expand(batchShape, out) as Pareto;
  }
}

/**
 * The Weibull distribution: scale · E^(1/concentration), E ~ Exponential(1)
 * (torch.distributions.Weibull).
 * @example new torch.distributions.Weibull(1, 1).mean // tensor(1.)
 */
export class Weibull extends TransformedDistribution {
  /** 1 / concentration */
  concentrationReciprocal!: Tensor;
  constructor(
    ...args:
      | [scale: TensorLike, concentration: TensorLike, options?: DistributionOptions]
      | [
          options: {
            /** the scale λ */
            scale: TensorLike;
            /** the shape k */
            concentration: TensorLike;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    const a = ctorArgs<{
      scale: TensorLike;
      concentration: TensorLike;
      validateArgs: boolean | null;
    }>("Weibull", args, ["scale", "concentration", "validateArgs"], { validateArgs: null });
    const [scale, concentration] = broadcastAll(a.scale, a.concentration);
    const recip = concentration.reciprocal();
    const base = new Exponential(onesLike(scale), { validateArgs: a.validateArgs });
    super(base, [new PowerTransform(recip), new AffineTransform(0, scale)], {
      validateArgs: false,
    });
    this.params.scale = scale;
    this.params.concentration = concentration;
    this.concentrationReciprocal = recip;
    this.init(this.batchShape, this.eventShape, a.validateArgs);
  }
  /** the scale λ */
  get scale(): Tensor {
    return this.params.scale;
  }
  /** the shape k */
  get concentration(): Tensor {
    return this.params.concentration;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { scale: C.positive, concentration: C.positive };
  }
  override get support(): C.Constraint {
    return C.positive;
  }
  override expand(batchShape: ShapeLike, instance?: this): Weibull {
    const out = this.blank(instance);
    out.params.scale = this.scale.expand([...batchShape]);
    out.params.concentration = this.concentration.expand([...batchShape]);
    out.concentrationReciprocal = out.params.concentration.reciprocal();
    out.baseDist = this.baseDist.expand(batchShape);
    out.transforms = [
      new PowerTransform(out.concentrationReciprocal),
      new AffineTransform(0, out.params.scale),
    ];
    this.finishExpand(out, batchShape);
    return out;
  }
  override get mean(): Tensor {
    return this.scale.mul(lgamma(this.concentrationReciprocal.add(1)).exp());
  }
  override get mode(): Tensor {
    const k = this.concentration;
    return this.scale.mul(k.sub(1).div(k).pow(k.reciprocal()));
  }
  override get variance(): Tensor {
    const r = this.concentrationReciprocal;
    return this.scale.pow(2).mul(
      lgamma(r.mul(2).add(1))
        .exp()
        .sub(lgamma(r.add(1)).mul(2).exp()),
    );
  }
  override entropy(): Tensor {
    const r = this.concentrationReciprocal;
    return r.neg().add(1).mul(eulerConstant).add(this.scale.mul(r).log()).add(1);
  }
}

/**
 * The Kumaraswamy distribution on [0, 1]: (1 - U^(1/b))^(1/a), U ~ Uniform(0, 1)
 * (torch.distributions.Kumaraswamy).
 * @example new torch.distributions.Kumaraswamy(torch.tensor([1.0]), torch.tensor([1.0])).mean // tensor([0.5000])
 */
export class Kumaraswamy extends TransformedDistribution {
  constructor(
    ...args:
      | [concentration1: TensorLike, concentration0: TensorLike, options?: DistributionOptions]
      | [
          options: {
            /** a */
            concentration1: TensorLike;
            /** b */
            concentration0: TensorLike;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    const a = ctorArgs<{
      concentration1: TensorLike;
      concentration0: TensorLike;
      validateArgs: boolean | null;
    }>("Kumaraswamy", args, ["concentration1", "concentration0", "validateArgs"], {
      validateArgs: null,
    });
    const [c1, c0] = broadcastAll(a.concentration1, a.concentration0);
    const base = new Uniform(fullLike(c0, 0), fullLike(c0, 1), { validateArgs: a.validateArgs });
    const transforms = [
      new PowerTransform(c0.reciprocal()),
      new AffineTransform(1.0, -1.0),
      new PowerTransform(c1.reciprocal()),
    ];
    super(base, transforms, { validateArgs: false });
    this.params.concentration1 = c1;
    this.params.concentration0 = c0;
    this.init(this.batchShape, this.eventShape, a.validateArgs);
  }
  /** a */
  get concentration1(): Tensor {
    return this.params.concentration1;
  }
  /** b */
  get concentration0(): Tensor {
    return this.params.concentration0;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { concentration1: C.positive, concentration0: C.positive };
  }
  override get support(): C.Constraint {
    return C.unitInterval;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override expand(batchShape: ShapeLike, instance?: this): Kumaraswamy {
    const out = this.blank(instance);
    out.params.concentration1 = this.concentration1.expand([...batchShape]);
    out.params.concentration0 = this.concentration0.expand([...batchShape]);
    return super.expand(batchShape, out) as Kumaraswamy;
  }
  /** E[X^n] = b B(1 + n/a, b) */
  private moments(n: number): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const arg1 = a.reciprocal().mul(n).add(1);
    const logValue = lgamma(arg1)
      .add(lgamma(b))
      .sub(lgamma(arg1.add(b)));
    return b.mul(logValue.exp());
  }
  override get mean(): Tensor {
    return this.moments(1);
  }
  override get mode(): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const logMode = b.reciprocal().mul(b.neg().log1p()).sub(b.neg().mul(a).log1p());
    return logMode.maskedFill(b.lt(1).logicalOr(a.lt(1)), NaN).exp();
  }
  override get variance(): Tensor {
    return this.moments(2).sub(this.mean.pow(2));
  }
  override entropy(): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const t1 = a.reciprocal().neg().add(1);
    const t0 = b.reciprocal().neg().add(1);
    const H0 = digamma(b.add(1)).add(eulerConstant);
    return t0.add(t1.mul(H0)).sub(a.log()).sub(b.log());
  }
}

/**
 * The logistic normal: a Normal pushed onto the simplex by stick breaking
 * (torch.distributions.LogisticNormal).
 * @example new torch.distributions.LogisticNormal(torch.zeros(2), torch.ones(2)).eventShape.length // 1
 */
export class LogisticNormal extends TransformedDistribution {
  constructor(...args: LocScaleArgs);
  constructor(...args: unknown[]) {
    const a = ctorArgs<{ loc: TensorLike; scale: TensorLike; validateArgs: boolean | null }>(
      "LogisticNormal",
      args,
      ["loc", "scale", "validateArgs"],
      { validateArgs: null },
    );
    let base: Distribution = new Normal(a.loc, a.scale, { validateArgs: a.validateArgs });
    if (base.batchShape.length === 0) base = base.expand([1]);
    super(base, new StickBreakingTransform(), { validateArgs: a.validateArgs });
  }
  protected override checkedParam(name: string): Tensor | undefined {
    if (name === "loc") return this.loc;
    return name === "scale" ? this.scale : undefined;
  }
  private get normal(): Normal {
    return (this.baseDist as Independent).baseDist as Normal;
  }
  /** the location of the underlying normal */
  get loc(): Tensor {
    return this.normal.loc;
  }
  /** the scale of the underlying normal */
  get scale(): Tensor {
    return this.normal.scale;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { loc: C.real, scale: C.positive };
  }
  override get support(): C.Constraint {
    return C.simplex;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override expand(batchShape: ShapeLike, instance?: this): LogisticNormal {
    return super.expand(batchShape, instance) as LogisticNormal;
  }
}
