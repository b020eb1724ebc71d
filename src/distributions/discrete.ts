/**
 * Discrete distributions: Bernoulli, Categorical, OneHotCategorical, Geometric (bernoulli.py,
 * categorical.py, one_hot_categorical.py, geometric.py). Each takes `probs` or `logits` (not
 * both) and derives the other on first use, as PyTorch's lazy_property does.
 */
import type { Tensor } from "../tensor.js";
import { finfo, int64 } from "../dtype.js";
import { valueError } from "../errors.js";
import {
  arange,
  bernoulli,
  broadcastTensors,
  empty,
  eye,
  full,
  multinomial,
  zerosLike,
} from "../generated/functions.js";
import { binaryCrossEntropyWithLogits, oneHot } from "../generated/nn-functional.js";
import { noGrad } from "../autograd/grad-mode.js";
import { ctorArgs } from "../nn/ctor-args.js";
import * as C from "./constraints.js";
import { Distribution, ExponentialFamily, type DistributionOptions } from "./distribution.js";
import { pyFormat, tupleRepr } from "./format.js";
import {
  type ShapeLike,
  type TensorLike,
  broadcastAll,
  logitsToProbs,
  probsToLogits,
} from "./utils.js";

/** The arguments of a probs-or-logits distribution, positional or by name. */
export type ProbsLogitsArgs<P> =
  | [probs?: P | null, logits?: P | null, options?: DistributionOptions]
  | [
      options: {
        /** the probabilities (exclusive with logits) */
        probs?: P | null;
        /** the log-odds or unnormalized log-probabilities (exclusive with probs) */
        logits?: P | null;
      } & DistributionOptions,
    ];

interface ProbsLogits<P> {
  probs: P | null;
  logits: P | null;
  validateArgs: boolean | null;
}

/** Binds (probs, logits, validate_args); exactly one of probs and logits. */
function probsLogits<P>(cls: string, args: readonly unknown[]): ProbsLogits<P> {
  const a = ctorArgs<{ probs: P | null; logits: P | null; validateArgs: boolean | null }>(
    cls,
    args,
    ["probs", "logits", "validateArgs"],
    { probs: null, logits: null, validateArgs: null },
  );
  if ((a.probs === null) === (a.logits === null)) {
    throw valueError("Either `probs` or `logits` must be specified, but not both.");
  }
  return a;
}

/** values.view((-1,) + (1,) * len(batch)), expanded over the batch when `expand` */
function enumerateOver(values: Tensor, batchShape: readonly number[], expand: boolean): Tensor {
  const v = values.view([-1, ...batchShape.map(() => 1)]);
  return expand ? v.expand([-1, ...batchShape]) : v;
}

/**
 * The Bernoulli distribution: 1 with probability `probs` (torch.distributions.Bernoulli).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Bernoulli(torch.tensor([0.3, 0.9])).sample(); // tensor([0., 1.])
 */
export class Bernoulli extends ExponentialFamily {
  private _param!: Tensor;
  constructor(...args: ProbsLogitsArgs<TensorLike>);
  constructor(...args: unknown[]) {
    super();
    const a = probsLogits<TensorLike>("Bernoulli", args);
    const given = (a.probs ?? a.logits) as TensorLike;
    const [t] = broadcastAll(given);
    if (a.probs !== null) this.params.probs = t;
    else this.params.logits = t;
    this._param = t;
    this.init(typeof given === "number" ? [] : t.shape, [], a.validateArgs);
  }
  /** the probability of 1 */
  get probs(): Tensor {
    return this.lazy("probs", () => logitsToProbs(this.params.logits, true));
  }
  /** the log-odds of 1 */
  get logits(): Tensor {
    return this.lazy("logits", () => probsToLogits(this.params.probs, true));
  }
  /** the shape of the given parameter */
  get paramShape(): number[] {
    return this._param.shape;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { probs: C.unitInterval, logits: C.real };
  }
  override get support(): C.Constraint {
    return C.boolean;
  }
  override get hasEnumerateSupport(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.probs;
  }
  override get mode(): Tensor {
    // 1 where p > 1/2, 0 where p < 1/2, NaN at a tie
    const p = this.probs;
    return p.ge(0.5).to(p.dtype).maskedFill(p.eq(0.5), NaN);
  }
  override get variance(): Tensor {
    return this.probs.mul(this.probs.neg().add(1));
  }
  override expand(batchShape: ShapeLike, instance?: this): Bernoulli {
    const out = this.blank(instance);
    if (this.params.probs)
      out._param = out.params.probs = this.params.probs.expand([...batchShape]);
    if (this.params.logits)
      out._param = out.params.logits = this.params.logits.expand([...batchShape]);
    this.finishExpand(out, batchShape);
    return out;
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    return noGrad(() => bernoulli(this.probs.expand(shape)));
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    const [logits, v] = broadcastAll(this.logits, value);
    return binaryCrossEntropyWithLogits(logits, v, { reduction: "none" }).neg();
  }
  override entropy(): Tensor {
    return binaryCrossEntropyWithLogits(this.logits, this.probs, { reduction: "none" });
  }
  override enumerateSupport(expand = true): Tensor {
    return enumerateOver(arange(2, { dtype: this._param.dtype }), this.batchShape, expand);
  }
  override get naturalParams(): Tensor[] {
    return [this.probs.div(this.probs.neg().add(1)).log()];
  }
  override logNormalizer(x: Tensor): Tensor {
    return x.exp().add(1).log();
  }
  override get meanCarrierMeasure(): number {
    return 0;
  }
}

/**
 * The categorical distribution over 0..K-1 (torch.distributions.Categorical); `probs` need not
 * sum to one (they are normalized), `logits` are normalized to log-probabilities.
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Categorical(torch.tensor([0.2, 0.3, 0.5])).sample([4]); // tensor([2, 2, 1, 2])
 */
export class Categorical extends Distribution {
  /** the given (normalized) parameter */
  protected _param!: Tensor;
  /** K, the number of categories */
  protected _numEvents!: number;
  constructor(...args: ProbsLogitsArgs<Tensor>);
  constructor(...args: unknown[]) {
    super();
    const a = probsLogits<Tensor>("Categorical", args);
    if (a.probs !== null) {
      if (a.probs.dim() < 1)
        throw valueError("`probs` parameter must be at least one-dimensional.");
      this._param = this.params.probs = a.probs.div(a.probs.sum(-1, true));
    } else {
      const logits = a.logits as Tensor;
      if (logits.dim() < 1)
        throw valueError("`logits` parameter must be at least one-dimensional.");
      this._param = this.params.logits = logits.sub(logits.logsumexp(-1, true));
    }
    this._numEvents = this._param.shape[this._param.dim() - 1];
    const batch = this._param.dim() > 1 ? this._param.shape.slice(0, -1) : [];
    this.init(batch, [], a.validateArgs);
  }
  /** the event probabilities */
  get probs(): Tensor {
    return this.lazy("probs", () => logitsToProbs(this.params.logits));
  }
  /** the normalized log-probabilities */
  get logits(): Tensor {
    return this.lazy("logits", () => probsToLogits(this.params.probs));
  }
  /** the shape of the given parameter */
  get paramShape(): number[] {
    return this._param.shape;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { probs: C.simplex, logits: C.realVector };
  }
  override get support(): C.Constraint {
    return C.integerInterval(0, this._numEvents - 1);
  }
  override get hasEnumerateSupport(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return full(this.extendedShape(), NaN, { dtype: this.probs.dtype });
  }
  override get mode(): Tensor {
    return this.probs.argmax(-1);
  }
  override get variance(): Tensor {
    return full(this.extendedShape(), NaN, { dtype: this.probs.dtype });
  }
  override expand(batchShape: ShapeLike, instance?: this): Categorical {
    const out = this.blank(instance);
    const paramShape = [...batchShape, this._numEvents];
    if (this.params.probs) out._param = out.params.probs = this.params.probs.expand(paramShape);
    if (this.params.logits) out._param = out.params.logits = this.params.logits.expand(paramShape);
    out._numEvents = this._numEvents;
    this.finishExpand(out, batchShape);
    return out;
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    const n = sampleShape.reduce((a, b) => a * b, 1);
    return noGrad(() => {
      const probs2d = this.probs.reshape([-1, this._numEvents]);
      return multinomial(probs2d, n, true).T.reshape(this.extendedShape(sampleShape));
    });
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    const [v, logPmf] = broadcastTensors(value.long().unsqueeze(-1), this.logits);
    return logPmf.gather(-1, v.narrow(-1, 0, 1)).squeeze(-1);
  }
  override entropy(): Tensor {
    const minReal = finfo(this.logits.dtype).min;
    const logits = this.logits.clamp(minReal);
    return logits.mul(this.probs).sum(-1).neg();
  }
  override enumerateSupport(expand = true): Tensor {
    return enumerateOver(arange(this._numEvents, { dtype: int64 }), this.batchShape, expand);
  }
}

/**
 * One-hot vectors drawn from a categorical distribution (torch.distributions.OneHotCategorical).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.OneHotCategorical(torch.tensor([0.2, 0.3, 0.5])).sample(); // tensor([0., 0., 1.])
 */
export class OneHotCategorical extends Distribution {
  /** the categorical distribution of the hot index (PyTorch's `_categorical`) */
  _categorical!: Categorical;
  constructor(...args: ProbsLogitsArgs<Tensor>);
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      probs: Tensor | null;
      logits: Tensor | null;
      validateArgs: boolean | null;
    }>("OneHotCategorical", args, ["probs", "logits", "validateArgs"], {
      probs: null,
      logits: null,
      validateArgs: null,
    });
    this._categorical = new Categorical(a.probs, a.logits);
    const ps = this._categorical.paramShape;
    this.init(this._categorical.batchShape, ps.slice(-1), a.validateArgs);
  }
  protected override checkedParam(name: string): Tensor | undefined {
    if (name === "probs") return this.probs;
    if (name === "logits") return this.logits;
    return undefined;
  }
  /** the event probabilities */
  get probs(): Tensor {
    return this._categorical.probs;
  }
  /** the normalized log-probabilities */
  get logits(): Tensor {
    return this._categorical.logits;
  }
  /** the shape of the given parameter */
  get paramShape(): number[] {
    return this._categorical.paramShape;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { probs: C.simplex, logits: C.realVector };
  }
  override get support(): C.Constraint {
    return C.oneHot;
  }
  override get hasEnumerateSupport(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this._categorical.probs;
  }
  override get mode(): Tensor {
    const probs = this._categorical.probs;
    const mode = probs.argmax(-1);
    return oneHot(mode, probs.shape[probs.dim() - 1]).to(probs.dtype);
  }
  override get variance(): Tensor {
    const p = this._categorical.probs;
    return p.mul(p.neg().add(1));
  }
  override expand(batchShape: ShapeLike, instance?: this): OneHotCategorical {
    const out = this.blank(instance);
    out._categorical = this._categorical.expand(batchShape);
    this.finishExpand(out, batchShape);
    return out;
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    const probs = this._categorical.probs;
    const indices = this._categorical.sample(sampleShape);
    return oneHot(indices, this._categorical.paramShape.at(-1) as number).to(probs.dtype);
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    return this._categorical.logProb(value.max(-1).indices);
  }
  override entropy(): Tensor {
    return this._categorical.entropy();
  }
  override enumerateSupport(expand = true): Tensor {
    const n = this.eventShape[0];
    const values = eye(n, { dtype: this._categorical.probs.dtype }).view([
      n,
      ...this.batchShape.map(() => 1),
      n,
    ]);
    return expand ? values.expand([n, ...this.batchShape, n]) : values;
  }
}

/**
 * OneHotCategorical with straight-through gradients: rsample = sample + (probs - probs.detach())
 * (torch.distributions.OneHotCategoricalStraightThrough).
 * @example new torch.distributions.OneHotCategoricalStraightThrough(torch.tensor([0.5, 0.5])).hasRsample // true
 */
export class OneHotCategoricalStraightThrough extends OneHotCategorical {
  override get hasRsample(): boolean {
    return true;
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    const samples = this.sample(sampleShape);
    const probs = this._categorical.probs;
    return samples.add(probs.sub(probs.detach()));
  }
}

/**
 * The number of failures before the first success of Bernoulli(probs) trials
 * (torch.distributions.Geometric).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Geometric(torch.tensor([0.3])).sample(); // tensor([1.])
 */
export class Geometric extends Distribution {
  constructor(...args: ProbsLogitsArgs<TensorLike>);
  constructor(...args: unknown[]) {
    super();
    const a = probsLogits<TensorLike>("Geometric", args);
    const given = (a.probs ?? a.logits) as TensorLike;
    const [t] = broadcastAll(given);
    if (a.probs !== null) this.params.probs = t;
    else this.params.logits = t;
    this.init(typeof given === "number" ? [] : t.shape, [], a.validateArgs);
    if (this.validateArgs && a.probs !== null) {
      const value = this.probs;
      const valid = value.gt(0);
      if (!valid.all().item()) {
        const invalid = value.detach().maskedSelect(valid.logicalNot());
        throw valueError(
          "Expected parameter probs " +
            `(Tensor of shape ${tupleRepr(value.shape)}) ` +
            `of distribution ${this.repr()} ` +
            `to be positive but found invalid values:\n${pyFormat(invalid)}`,
        );
      }
    }
  }
  /** the probability of success of each trial */
  get probs(): Tensor {
    return this.lazy("probs", () => logitsToProbs(this.params.logits, true));
  }
  /** the log-odds of success */
  get logits(): Tensor {
    return this.lazy("logits", () => probsToLogits(this.params.probs, true));
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { probs: C.unitInterval, logits: C.real };
  }
  override get support(): C.Constraint {
    return C.nonnegativeInteger;
  }
  override get mean(): Tensor {
    return this.probs.reciprocal().sub(1);
  }
  override get mode(): Tensor {
    return zerosLike(this.probs);
  }
  override get variance(): Tensor {
    return this.probs.reciprocal().sub(1).div(this.probs);
  }
  override expand(batchShape: ShapeLike, instance?: this): Geometric {
    const out = this.blank(instance);
    if (this.params.probs) out.params.probs = this.params.probs.expand([...batchShape]);
    if (this.params.logits) out.params.logits = this.params.logits.expand([...batchShape]);
    this.finishExpand(out, batchShape);
    return out;
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    // floor(log(u) / log1p(-p)), u ~ U[tiny, 1)
    const shape = this.extendedShape(sampleShape);
    const probs = this.probs;
    const tiny = finfo(probs.dtype).tiny;
    return noGrad(() => {
      const u = empty(shape, { dtype: probs.dtype }).uniform_(tiny, 1);
      return u.log().div(probs.neg().log1p()).floor();
    });
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // x log1p(-p) + log(p), with 0 log(0) = 0 at p = 1, x = 0
    const [v, p] = broadcastAll(value, this.probs);
    const probs = p.clone().maskedFill(p.eq(1).logicalAnd(v.eq(0)), 0);
    return v.mul(probs.neg().log1p()).add(this.probs.log());
  }
  override entropy(): Tensor {
    return binaryCrossEntropyWithLogits(this.logits, this.probs, { reduction: "none" }).div(
      this.probs,
    );
  }
}
