/**
 * The base of torch.distributions (distribution.py): batch and event shapes, argument and
 * sample validation with PyTorch's messages, `expand`, and PyTorch's repr.
 *
 * Parameters live in `params` (Python's instance `__dict__`): the repr and the argument checks
 * see only those set, so a lazily derived parameter (`Categorical.logits` from `probs`) appears
 * once it has been read, as in PyTorch.
 */
import { Tensor, Size } from "../tensor.js";
import { enableGrad, noGrad } from "../autograd/grad-mode.js";
import { grad as gradOf } from "../autograd/api.js";
import { NotImplementedError, notImplementedError, valueError } from "../errors.js";
import { warn } from "../registry/ops/nn.js";
import { snake } from "../nn/ctor-args.js";
import { pyFormat, tupleRepr } from "./format.js";
import { type Constraint, isDependent } from "./constraints.js";
import { type ShapeLike, sameShape, size } from "./utils.js";

/** The options every distribution's constructor takes last. */
export interface DistributionOptions {
  /** check the parameters (and later the values scored) against their constraints; null: the default */
  validateArgs?: boolean | null;
}

/** The Python module of each distribution class (for `<class '...'>` in messages). */
const PY_MODULES: Record<string, string> = {
  Normal: "normal",
  Uniform: "uniform",
  Exponential: "exponential",
  Laplace: "laplace",
  Cauchy: "cauchy",
  Bernoulli: "bernoulli",
  Categorical: "categorical",
  OneHotCategorical: "one_hot_categorical",
  OneHotCategoricalStraightThrough: "one_hot_categorical",
  Geometric: "geometric",
  Independent: "independent",
  MultivariateNormal: "multivariate_normal",
  TransformedDistribution: "transformed_distribution",
  LogNormal: "log_normal",
  HalfNormal: "half_normal",
  Gumbel: "gumbel",
  Gamma: "gamma",
  Chi2: "chi2",
  StudentT: "studentT",
  Poisson: "poisson",
  Dirichlet: "dirichlet",
  Beta: "beta",
  FisherSnedecor: "fishersnedecor",
  NegativeBinomial: "negative_binomial",
  LogitRelaxedBernoulli: "relaxed_bernoulli",
  RelaxedBernoulli: "relaxed_bernoulli",
  ExpRelaxedCategorical: "relaxed_categorical",
  RelaxedOneHotCategorical: "relaxed_categorical",
  HalfCauchy: "half_cauchy",
  Pareto: "pareto",
  Weibull: "weibull",
  Binomial: "binomial",
  Multinomial: "multinomial",
  Kumaraswamy: "kumaraswamy",
  LogisticNormal: "logistic_normal",
  LowRankMultivariateNormal: "lowrank_multivariate_normal",
  VonMises: "von_mises",
  LKJCholesky: "lkj_cholesky",
  Wishart: "wishart",
  ContinuousBernoulli: "continuous_bernoulli",
  MixtureSameFamily: "mixture_same_family",
};

/**
 * Distribution: the abstract base class of probability distributions.
 * @example
 * const d = new torch.distributions.Normal(torch.zeros(2), torch.ones(2));
 * String(d.batchShape); // "torch.Size([2])"
 */
export abstract class Distribution {
  /** the default of `validateArgs` (Python's `__debug__`: on) */
  private static defaultValidate = true;

  /**
   * Sets whether validation is on by default (Distribution.set_default_validate_args).
   * @example torch.distributions.Distribution.setDefaultValidateArgs(false)
   */
  static setDefaultValidateArgs(value: boolean): void {
    if (value !== true && value !== false) throw valueError("");
    Distribution.defaultValidate = value;
  }

  /** the parameters set on the instance (Python's `__dict__`), by camelCase name */
  protected params: Record<string, Tensor> = {};
  private _batchShape: Size = new Size([]);
  private _eventShape: Size = new Size([]);
  /** this instance's validation setting, when given */
  protected _validateArgs: boolean | undefined;

  /**
   * A distribution of the given shapes, as `super().__init__(batch_shape, event_shape,
   * validate_args)` in a PyTorch subclass. JavaScript runs this before the subclass sets its
   * parameters, so the parameter checks run in `init`, which the distributions here call last
   * (a subclass with `argConstraints` calls it too).
   */
  constructor(
    batchShape: ShapeLike = [],
    eventShape: ShapeLike = [],
    options: DistributionOptions = {},
  ) {
    this._batchShape = size(batchShape);
    this._eventShape = size(eventShape);
    this._validateArgs = options.validateArgs ?? undefined;
  }

  /** whether validation is on for this instance */
  get validateArgs(): boolean {
    return this._validateArgs ?? Distribution.defaultValidate;
  }

  /**
   * Python's `Distribution.__init__`: the shapes, then the checks of the parameters set (in
   * `params`) against `argConstraints`, with PyTorch's ValueError.
   */
  protected init(
    batchShape: ShapeLike = [],
    eventShape: ShapeLike = [],
    validateArgs: boolean | null = null,
  ): void {
    this._batchShape = size(batchShape);
    this._eventShape = size(eventShape);
    this._validateArgs = validateArgs ?? undefined;
    if (!this.validateArgs) return;
    let argConstraints: Record<string, Constraint>;
    try {
      argConstraints = this.argConstraints;
    } catch (e) {
      if (!(e instanceof NotImplementedError)) throw e;
      argConstraints = {};
      warn(
        `${this.pyClass} does not define \`arg_constraints\`. ` +
          "Please set `arg_constraints = {}` or initialize the distribution " +
          "with `validate_args=False` to turn off validation.",
      );
    }
    for (const [param, constraint] of Object.entries(argConstraints)) {
      if (isDependent(constraint)) continue; // cannot be checked
      const value = this.checkedParam(param);
      if (value === undefined) continue; // lazily constructed: skipped
      const valid = constraint.check(value);
      if (!valid.all().item()) {
        throw valueError(
          `Expected parameter ${snake(param)} ` +
            `(Tensor of shape ${tupleRepr(value.shape)}) ` +
            `of distribution ${this.repr()} ` +
            `to satisfy the constraint ${String(constraint)}, ` +
            `but found invalid values:\n${pyFormat(value)}`,
        );
      }
    }
  }

  /** The value `init` checks for a parameter: the one set, undefined for a lazy one not yet made. */
  protected checkedParam(name: string): Tensor | undefined {
    return this.params[name];
  }

  /** A parameter set on the instance, or the lazy one computed (under enableGrad) and kept. */
  protected lazy(name: string, compute: () => Tensor): Tensor {
    let v = this.params[name];
    if (v === undefined) {
      v = enableGrad(compute);
      this.params[name] = v;
    }
    return v;
  }

  /** A blank instance of this class for `expand` (Python's `self.__new__(type(self))`). */
  protected blank(instance?: this): this {
    if (instance) return instance;
    const out = Object.create(Object.getPrototypeOf(this) as object) as this;
    out.params = {};
    return out;
  }

  /** Finishes an expanded instance: its shapes, no checks, this instance's validation setting. */
  protected finishExpand(
    out: Distribution,
    batchShape: ShapeLike,
    eventShape: ShapeLike = this._eventShape,
  ): void {
    out.init(batchShape, eventShape, false);
    out._validateArgs = this._validateArgs;
  }

  /**
   * The shape over which the parameters are batched.
   * @example String(new torch.distributions.Normal(torch.zeros(3), 1).batchShape) // "torch.Size([3])"
   */
  get batchShape(): Size {
    return this._batchShape;
  }

  /**
   * The shape of a single sample (without batching).
   * @example String(new torch.distributions.Normal(0, 1).eventShape) // "torch.Size([])"
   */
  get eventShape(): Size {
    return this._eventShape;
  }

  /** The constraints each parameter must satisfy, by camelCase name, in PyTorch's order. */
  get argConstraints(): Record<string, Constraint> {
    throw notImplementedError("");
  }

  /** The constraint the distribution's values satisfy. */
  get support(): Constraint {
    throw notImplementedError("");
  }

  /** Whether `rsample` is implemented (reparameterized samples carry gradients). */
  get hasRsample(): boolean {
    return false;
  }

  /** Whether `enumerateSupport` is implemented. */
  get hasEnumerateSupport(): boolean {
    return false;
  }

  /** The mean. */
  get mean(): Tensor {
    throw notImplementedError("");
  }

  /** The mode. */
  get mode(): Tensor {
    throw notImplementedError(`${this.pyClass} does not implement mode`);
  }

  /** The variance. */
  get variance(): Tensor {
    throw notImplementedError("");
  }

  /** The standard deviation: variance.sqrt(). */
  get stddev(): Tensor {
    return this.variance.sqrt();
  }

  /**
   * Returns a new distribution with the batch dims expanded to `batchShape` (parameters expanded,
   * no new memory, no new checks).
   */
  expand(_batchShape: ShapeLike, _instance?: this): Distribution {
    throw notImplementedError("");
  }

  /**
   * A `sampleShape`-shaped sample (sample_shape + batch_shape + event_shape), without gradients.
   * @example torch.manualSeed(0); new torch.distributions.Normal(0, 1).sample([2]).shape // [2]
   */
  sample(sampleShape: ShapeLike = []): Tensor {
    return noGrad(() => this.rsample(sampleShape));
  }

  /** A reparameterized sample: gradients flow to the parameters. */
  rsample(_sampleShape: ShapeLike = []): Tensor {
    throw notImplementedError("");
  }

  /**
   * n samples (sample_n, deprecated in PyTorch for sample([n])).
   * @example torch.manualSeed(0); new torch.distributions.Normal(0, 1).sampleN(3).shape // [3]
   */
  sampleN(n: number): Tensor {
    warn("sample_n will be deprecated. Use .sample((n,)) instead");
    return this.sample([n]);
  }

  /** The log of the density or mass function at `value`. */
  logProb(_value: Tensor): Tensor {
    throw notImplementedError("");
  }

  /** The cumulative distribution function at `value`. */
  cdf(_value: Tensor): Tensor {
    throw notImplementedError("");
  }

  /** The inverse cumulative distribution function at `value`. */
  icdf(_value: Tensor): Tensor {
    throw notImplementedError("");
  }

  /** Every value of a discrete distribution's support, along dim 0. */
  enumerateSupport(_expand = true): Tensor {
    throw notImplementedError("");
  }

  /** The entropy, of shape batch_shape. */
  entropy(): Tensor {
    throw notImplementedError("");
  }

  /**
   * The perplexity: exp(entropy).
   * @example new torch.distributions.Bernoulli(0.5).perplexity() // tensor(2.)
   */
  perplexity(): Tensor {
    return this.entropy().exp();
  }

  /** sample_shape + batch_shape + event_shape (_extended_shape). */
  protected extendedShape(sampleShape: ShapeLike = []): number[] {
    return [...sampleShape, ...this._batchShape, ...this._eventShape];
  }

  /** Checks a value scored by logProb/cdf against the shapes and the support (_validate_sample). */
  protected validateSample(value: unknown): void {
    if (!(value instanceof Tensor))
      throw valueError("The value argument to log_prob must be a Tensor");
    const ev = this._eventShape;
    const start = value.dim() - ev.length;
    if (start < 0 || !sameShape(value.shape.slice(start), ev)) {
      throw valueError(
        `The right-most size of value must match event_shape: ${String(value.size())} vs ${String(ev)}.`,
      );
    }
    const actual = value.shape;
    const expected = [...this._batchShape, ...ev];
    for (let k = 1; k <= Math.min(actual.length, expected.length); k++) {
      const i = actual[actual.length - k];
      const j = expected[expected.length - k];
      if (i !== 1 && j !== 1 && i !== j) {
        throw valueError(
          `Value is not broadcastable with batch_shape+event_shape: ${String(value.size())} vs ${String(size(expected))}.`,
        );
      }
    }
    let support: Constraint;
    try {
      support = this.support;
    } catch (e) {
      if (!(e instanceof NotImplementedError)) throw e;
      warn(
        `${this.pyClass} does not define \`support\` to enable ` +
          "sample validation. Please initialize the distribution with " +
          "`validate_args=False` to turn off validation.",
      );
      return;
    }
    if (!support.check(value).all().item()) {
      throw valueError(
        "Expected value argument " +
          `(Tensor of shape ${tupleRepr(value.shape)}) ` +
          `to be within the support (${String(support)}) ` +
          `of the distribution ${this.repr()}, ` +
          `but found invalid values:\n${pyFormat(value)}`,
      );
    }
  }

  /** Python's `str(type(self))`: `<class 'torch.distributions.normal.Normal'>` */
  private get pyClass(): string {
    const module = PY_MODULES[this.name];
    return `<class '${module ? `torch.distributions.${module}.${this.name}` : this.name}'>`;
  }

  /** The class name PyTorch prints. */
  get name(): string {
    return this.constructor.name;
  }

  /** PyTorch's repr: the set parameters, by size (or value when they hold one element). */
  protected repr(): string {
    const parts = Object.keys(this.argConstraints)
      .filter((k) => this.params[k] !== undefined)
      .map((k) => {
        const v = this.params[k];
        return `${snake(k)}: ${v.numel() === 1 ? pyFormat(v) : String(v.size())}`;
      });
    return `${this.name}(${parts.join(", ")})`;
  }

  /**
   * PyTorch's repr.
   * @example String(new torch.distributions.Normal(torch.zeros(2), torch.ones(2))) // "Normal(loc: torch.Size([2]), scale: torch.Size([2]))"
   */
  toString(): string {
    return this.repr();
  }
}

/**
 * Exponential families (exp_family.py): the entropy from the log normalizer's gradient (a
 * Bregman divergence) when a subclass gives natural parameters.
 */
export abstract class ExponentialFamily extends Distribution {
  /** the natural parameters θ */
  get naturalParams(): Tensor[] {
    throw notImplementedError("");
  }
  /** the log normalizer A(θ) at natural parameters */
  logNormalizer(..._naturalParams: Tensor[]): Tensor {
    throw notImplementedError("");
  }
  /** E[log h(x)], the mean of the carrier measure */
  get meanCarrierMeasure(): number {
    throw notImplementedError("");
  }
  /**
   * The entropy by the Bregman identity: A(θ) - θ·∇A(θ) - E[log h(x)], ∇A by autograd.
   */
  override entropy(): Tensor {
    const carrier = this.meanCarrierMeasure;
    const nparams = this.naturalParams.map((p) => p.detach().requiresGrad_());
    const lgNormal = this.logNormalizer(...nparams);
    const gradients = gradOf(lgNormal.sum(), nparams, { createGraph: true });
    let result = lgNormal.add(-carrier);
    nparams.forEach((np, i) => {
      const g = gradients[i] as Tensor;
      result = result.sub(
        np
          .mul(g)
          .reshape([...this.batchShape, -1])
          .sum(-1),
      );
    });
    return result;
  }
}
