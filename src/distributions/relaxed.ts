/**
 * The relaxed (Concrete / Gumbel-softmax) distributions (relaxed_bernoulli.py,
 * relaxed_categorical.py): continuous stand-ins for Bernoulli and one-hot categorical draws at a
 * temperature, with reparameterized samples.
 */
import type { Tensor } from "../tensor.js";
import { logsumexp, rand } from "../generated/functions.js";
import { valueError } from "../errors.js";
import { ctorArgs } from "../nn/ctor-args.js";
import { tensor } from "../ops/creation.js";
import * as C from "./constraints.js";
import { Distribution, type DistributionOptions } from "./distribution.js";
import { Categorical } from "./discrete.js";
import { TransformedDistribution } from "./transformed.js";
import { ExpTransform, SigmoidTransform } from "./transforms.js";
import {
  type ShapeLike,
  type TensorLike,
  broadcastAll,
  clampProbs,
  logitsToProbs,
  probsToLogits,
} from "./utils.js";

/** The arguments of the relaxed distributions: a temperature, then probs or logits. */
export type RelaxedArgs<P> =
  | [temperature: TensorLike, probs?: P | null, logits?: P | null, options?: DistributionOptions]
  | [
      options: {
        /** the temperature λ (> 0) */
        temperature: TensorLike;
        /** the probabilities (exclusive with logits) */
        probs?: P | null;
        /** the logits (exclusive with probs) */
        logits?: P | null;
      } & DistributionOptions,
    ];

interface Bound<P> {
  temperature: TensorLike;
  probs: P | null;
  logits: P | null;
  validateArgs: boolean | null;
}

/** Binds (temperature, probs, logits, validate_args). */
function relaxedArgs<P>(cls: string, args: readonly unknown[]): Bound<P> {
  return ctorArgs<{
    temperature: TensorLike;
    probs: P | null;
    logits: P | null;
    validateArgs: boolean | null;
  }>(cls, args, ["temperature", "probs", "logits", "validateArgs"], {
    probs: null,
    logits: null,
    validateArgs: null,
  });
}

/** the temperature as a tensor of `like`'s dtype */
const asTensor = (t: TensorLike, like: Tensor): Tensor =>
  typeof t === "number" ? tensor(t, { dtype: like.dtype }) : t;

/**
 * The logit of a RelaxedBernoulli draw (torch.distributions.LogitRelaxedBernoulli).
 * @example new torch.distributions.LogitRelaxedBernoulli(torch.tensor([0.5]), torch.tensor([0.3])).batchShape.length // 1
 */
export class LogitRelaxedBernoulli extends Distribution {
  /** the temperature λ */
  temperature!: TensorLike;
  private _param!: Tensor;
  constructor(...args: RelaxedArgs<TensorLike>);
  constructor(...args: unknown[]) {
    super();
    const a = relaxedArgs<TensorLike>("LogitRelaxedBernoulli", args);
    this.temperature = a.temperature;
    if ((a.probs === null) === (a.logits === null)) {
      throw valueError("Either `probs` or `logits` must be specified, but not both.");
    }
    const given = (a.probs ?? a.logits) as TensorLike;
    const [t] = broadcastAll(given);
    if (a.probs !== null) this.params.probs = t;
    else this.params.logits = t;
    this._param = t;
    this.init(typeof given === "number" ? [] : t.shape, [], a.validateArgs);
  }
  /** the probabilities */
  get probs(): Tensor {
    return this.lazy("probs", () => logitsToProbs(this.params.logits, true));
  }
  /** the logits */
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
    return C.real;
  }
  override expand(batchShape: ShapeLike, instance?: this): LogitRelaxedBernoulli {
    const out = this.blank(instance);
    out.temperature = this.temperature;
    if (this.params.probs)
      out._param = out.params.probs = this.params.probs.expand([...batchShape]);
    if (this.params.logits)
      out._param = out.params.logits = this.params.logits.expand([...batchShape]);
    this.finishExpand(out, batchShape);
    return out;
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    // (logit(u) + logit(p)) / λ, u ~ U(0, 1), both clamped away from 0 and 1
    const shape = this.extendedShape(sampleShape);
    const probs = clampProbs(this.probs.expand(shape));
    const u = clampProbs(rand(shape, { dtype: probs.dtype }));
    return u
      .log()
      .sub(u.neg().log1p())
      .add(probs.log())
      .sub(probs.neg().log1p())
      .div(this.temperature);
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    const [logits, v] = broadcastAll(this.logits, value);
    const temp = asTensor(this.temperature, logits);
    const diff = logits.sub(v.mul(temp));
    return temp.log().add(diff).sub(diff.exp().log1p().mul(2));
  }
}

/**
 * A relaxed Bernoulli: sigmoid of a LogitRelaxedBernoulli, on [0, 1]
 * (torch.distributions.RelaxedBernoulli).
 * @example new torch.distributions.RelaxedBernoulli(torch.tensor([0.5]), torch.tensor([0.3])).hasRsample // true
 */
export class RelaxedBernoulli extends TransformedDistribution {
  constructor(...args: RelaxedArgs<TensorLike>);
  constructor(...args: unknown[]) {
    const a = relaxedArgs<TensorLike>("RelaxedBernoulli", args);
    const base = new LogitRelaxedBernoulli(a.temperature, a.probs, a.logits);
    super(base, new SigmoidTransform(), { validateArgs: a.validateArgs });
  }
  private get relaxed(): LogitRelaxedBernoulli {
    return this.baseDist as LogitRelaxedBernoulli;
  }
  protected override checkedParam(name: string): Tensor | undefined {
    if (name === "probs") return this.probs;
    return name === "logits" ? this.logits : undefined;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { probs: C.unitInterval, logits: C.real };
  }
  override get support(): C.Constraint {
    return C.unitInterval;
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** the temperature λ */
  get temperature(): TensorLike {
    return this.relaxed.temperature;
  }
  /** the probabilities */
  get probs(): Tensor {
    return this.relaxed.probs;
  }
  /** the logits */
  get logits(): Tensor {
    return this.relaxed.logits;
  }
  override expand(batchShape: ShapeLike, instance?: this): RelaxedBernoulli {
    return super.expand(batchShape, instance) as RelaxedBernoulli;
  }
}

/**
 * The log of a RelaxedOneHotCategorical draw (torch.distributions.ExpRelaxedCategorical).
 * @example new torch.distributions.ExpRelaxedCategorical(torch.tensor([0.5]), torch.tensor([0.2, 0.8])).eventShape.length // 1
 */
export class ExpRelaxedCategorical extends Distribution {
  /** the temperature λ */
  temperature!: TensorLike;
  /** the categorical distribution of the same probabilities */
  _categorical!: Categorical;
  constructor(...args: RelaxedArgs<Tensor>);
  constructor(...args: unknown[]) {
    super();
    const a = relaxedArgs<Tensor>("ExpRelaxedCategorical", args);
    this._categorical = new Categorical(a.probs, a.logits);
    this.temperature = a.temperature;
    const ps = this._categorical.paramShape;
    this.init(this._categorical.batchShape, ps.slice(-1), a.validateArgs);
  }
  protected override checkedParam(name: string): Tensor | undefined {
    if (name === "probs") return this.probs;
    return name === "logits" ? this.logits : undefined;
  }
  /** the probabilities */
  get probs(): Tensor {
    return this._categorical.probs;
  }
  /** the normalized logits */
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
    return C.realVector;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override expand(batchShape: ShapeLike, instance?: this): ExpRelaxedCategorical {
    const out = this.blank(instance);
    out.temperature = this.temperature;
    out._categorical = this._categorical.expand(batchShape);
    this.finishExpand(out, batchShape);
    return out;
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    // log softmax((logits + g) / λ), g = -log(-log u) Gumbel noise
    const shape = this.extendedShape(sampleShape);
    const u = clampProbs(rand(shape, { dtype: this.logits.dtype }));
    const gumbels = u.log().neg().log().neg();
    const scores = this.logits.add(gumbels).div(this.temperature);
    return scores.sub(logsumexp(scores, -1, true));
  }
  override logProb(value: Tensor): Tensor {
    const K = this.paramShape[this.paramShape.length - 1];
    if (this.validateArgs) this.validateSample(value);
    const [logits, v] = broadcastAll(this.logits, value);
    const temp = asTensor(this.temperature, logits);
    // log Γ(K) + (K - 1) log λ
    const logScale = tensor(K, { dtype: temp.dtype })
      .expand(temp.shape)
      .lgamma()
      .sub(temp.log().mul(-(K - 1)));
    const score = logits.sub(v.mul(temp));
    return score
      .sub(logsumexp(score, -1, true))
      .sum(-1)
      .add(logScale);
  }
}

/**
 * A relaxed one-hot categorical (Gumbel-softmax) on the simplex
 * (torch.distributions.RelaxedOneHotCategorical).
 * @example new torch.distributions.RelaxedOneHotCategorical(torch.tensor([0.5]), torch.tensor([0.2, 0.8])).hasRsample // true
 */
export class RelaxedOneHotCategorical extends TransformedDistribution {
  constructor(...args: RelaxedArgs<Tensor>);
  constructor(...args: unknown[]) {
    const a = relaxedArgs<Tensor>("RelaxedOneHotCategorical", args);
    const base = new ExpRelaxedCategorical(a.temperature, a.probs, a.logits, {
      validateArgs: a.validateArgs,
    });
    super(base, new ExpTransform(), { validateArgs: a.validateArgs });
  }
  private get relaxed(): ExpRelaxedCategorical {
    return this.baseDist as ExpRelaxedCategorical;
  }
  protected override checkedParam(name: string): Tensor | undefined {
    if (name === "probs") return this.probs;
    return name === "logits" ? this.logits : undefined;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { probs: C.simplex, logits: C.realVector };
  }
  override get support(): C.Constraint {
    return C.simplex;
  }
  override get hasRsample(): boolean {
    return true;
  }
  /** the temperature λ */
  get temperature(): TensorLike {
    return this.relaxed.temperature;
  }
  /** the probabilities */
  get probs(): Tensor {
    return this.relaxed.probs;
  }
  /** the logits */
  get logits(): Tensor {
    return this.relaxed.logits;
  }
  override expand(batchShape: ShapeLike, instance?: this): RelaxedOneHotCategorical {
    return super.expand(batchShape, instance) as RelaxedOneHotCategorical;
  }
}
