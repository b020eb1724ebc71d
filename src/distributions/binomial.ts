/**
 * Binomial and Multinomial (binomial.py, multinomial.py): Binomial draws through ATen's
 * sample_binomial (samplers.ts), Multinomial as counts of categorical draws.
 */
import type { Tensor } from "../tensor.js";
import { arange, lgamma, zeros } from "../generated/functions.js";
import { noGrad } from "../autograd/grad-mode.js";
import { notImplementedError, valueError } from "../errors.js";
import { ctorArgs } from "../nn/ctor-args.js";
import { tensor } from "../ops/creation.js";
import * as C from "./constraints.js";
import { Distribution, type DistributionOptions } from "./distribution.js";
import { Categorical } from "./discrete.js";
import { binomial } from "../registry/samplers.js";
import {
  type ShapeLike,
  type TensorLike,
  broadcastAll,
  logitsToProbs,
  probsToLogits,
} from "./utils.js";

/** (max(x, 0) + x - min(x, 0)) / 2: x clamped at 0 with a gradient of 1/2 at 0 */
const clampByZero = (x: Tensor): Tensor => x.clamp(0).add(x).sub(x.clamp(null, 0)).div(2);

/** The arguments of Binomial: a count, then probs or logits. */
export type BinomialArgs =
  | [
      totalCount?: TensorLike,
      probs?: TensorLike | null,
      logits?: TensorLike | null,
      options?: DistributionOptions,
    ]
  | [
      options: {
        /** the number of trials */
        totalCount?: TensorLike;
        /** the success probability (exclusive with logits) */
        probs?: TensorLike | null;
        /** the success log-odds (exclusive with probs) */
        logits?: TensorLike | null;
      } & DistributionOptions,
    ];

/**
 * The number of successes in `totalCount` Bernoulli(probs) trials (torch.distributions.Binomial).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Binomial(10, torch.tensor([0.5])).sample(); // tensor([7.])
 */
export class Binomial extends Distribution {
  private _param!: Tensor;
  constructor(...args: BinomialArgs);
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      totalCount: TensorLike;
      probs: TensorLike | null;
      logits: TensorLike | null;
      validateArgs: boolean | null;
    }>("Binomial", args, ["totalCount", "probs", "logits", "validateArgs"], {
      totalCount: 1,
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
  /** the number of trials */
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
    return { totalCount: C.nonnegativeInteger, probs: C.unitInterval, logits: C.real };
  }
  override get support(): C.Constraint {
    return C.integerInterval(0, this.totalCount);
  }
  override get hasEnumerateSupport(): boolean {
    return true;
  }
  override expand(batchShape: ShapeLike, instance?: this): Binomial {
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
    return this.totalCount.mul(this.probs);
  }
  override get mode(): Tensor {
    return this.totalCount.add(1).mul(this.probs).floor().clamp(null, this.totalCount);
  }
  override get variance(): Tensor {
    return this.totalCount.mul(this.probs).mul(this.probs.neg().add(1));
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    const shape = this.extendedShape(sampleShape);
    return noGrad(() => binomial(this.totalCount.expand(shape), this.probs.expand(shape)));
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // k logit - log k! - log (n-k)! - (n max(logit, 0) + n log1p(e^-|logit|) - log n!)
    const n = this.totalCount;
    const logits = this.logits;
    const logFactorialN = lgamma(n.add(1));
    const logFactorialK = lgamma(value.add(1));
    const logFactorialNmk = lgamma(n.sub(value).add(1));
    const normalize = n
      .mul(clampByZero(logits))
      .add(n.mul(logits.abs().neg().exp().log1p()))
      .sub(logFactorialN);
    return value.mul(logits).sub(logFactorialK).sub(logFactorialNmk).sub(normalize);
  }
  /** the common total count, or the NotImplementedError of an inhomogeneous one */
  private homogeneousCount(what: string): number {
    const total = Math.trunc(this.totalCount.max().item() as number);
    if ((this.totalCount.min().item() as number) !== total) {
      throw notImplementedError(`Inhomogeneous total count not supported by \`${what}\`.`);
    }
    return total;
  }
  override entropy(): Tensor {
    this.homogeneousCount("entropy");
    const logProb = this.logProb(this.enumerateSupport(false));
    return logProb.exp().mul(logProb).sum(0).neg();
  }
  override enumerateSupport(expand = true): Tensor {
    const total = this.homogeneousCount("enumerate_support");
    const values = arange(1 + total, { dtype: this._param.dtype }).view([
      -1,
      ...this.batchShape.map(() => 1),
    ]);
    return expand ? values.expand([-1, ...this.batchShape]) : values;
  }
}

/**
 * Counts of `totalCount` categorical draws (torch.distributions.Multinomial).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Multinomial(10, torch.tensor([0.2, 0.3, 0.5])).sample(); // tensor([1., 3., 6.])
 */
export class Multinomial extends Distribution {
  /** the number of draws */
  totalCount!: number;
  /** the categorical distribution of each draw */
  _categorical!: Categorical;
  private binomial!: Binomial;
  constructor(
    ...args:
      | [
          totalCount?: number,
          probs?: Tensor | null,
          logits?: Tensor | null,
          options?: DistributionOptions,
        ]
      | [
          options: {
            /** the number of draws */
            totalCount?: number;
            /** the event probabilities (exclusive with logits) */
            probs?: Tensor | null;
            /** the event log-probabilities (exclusive with probs) */
            logits?: Tensor | null;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      totalCount: number;
      probs: Tensor | null;
      logits: Tensor | null;
      validateArgs: boolean | null;
    }>("Multinomial", args, ["totalCount", "probs", "logits", "validateArgs"], {
      totalCount: 1,
      probs: null,
      logits: null,
      validateArgs: null,
    });
    if (!Number.isInteger(a.totalCount)) {
      throw notImplementedError("inhomogeneous total_count is not supported");
    }
    this.totalCount = a.totalCount;
    this._categorical = new Categorical(a.probs, a.logits);
    this.binomial = new Binomial(a.totalCount, this.probs);
    const ps = this._categorical.paramShape;
    this.init(this._categorical.batchShape, ps.slice(-1), a.validateArgs);
  }
  protected override checkedParam(name: string): Tensor | undefined {
    if (name === "probs") return this.probs;
    return name === "logits" ? this.logits : undefined;
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
    return C.multinomial(this.totalCount);
  }
  override get mean(): Tensor {
    return this.probs.mul(this.totalCount);
  }
  override get variance(): Tensor {
    return this.probs.mul(this.totalCount).mul(this.probs.neg().add(1));
  }
  override expand(batchShape: ShapeLike, instance?: this): Multinomial {
    const out = this.blank(instance);
    out.totalCount = this.totalCount;
    out._categorical = this._categorical.expand(batchShape);
    out.binomial = this.binomial;
    this.finishExpand(out, batchShape);
    return out;
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    // totalCount categorical draws, counted per category (scatter_add along the event dim)
    const samples = this._categorical.sample([this.totalCount, ...sampleShape]);
    const dims = [...Array(samples.dim()).keys()];
    dims.push(dims.shift() as number);
    const perm = samples.permute(dims);
    const counts = zeros(this.extendedShape(sampleShape), { dtype: perm.dtype });
    counts.scatterAdd_(-1, perm, perm.clone().fill_(1));
    return counts.to(this.probs.dtype);
  }
  override entropy(): Tensor {
    const n = tensor(this.totalCount);
    const catEntropy = this._categorical.entropy();
    const term1 = n.mul(catEntropy).sub(lgamma(n.add(1)));
    const support = this.binomial.enumerateSupport(false).narrow(0, 1, this.totalCount);
    const binomialProbs = this.binomial.logProb(support).exp();
    const weights = lgamma(support.add(1));
    const term2 = binomialProbs.mul(weights).sum([0, -1]);
    return term1.add(term2);
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    const [l, v] = broadcastAll(this.logits, value);
    // log n! - Σ log x! + Σ x log p, with 0 · (-inf) = 0
    const logits = l.clone().maskedFill(v.eq(0).logicalAnd(l.eq(-Infinity)), 0);
    const logFactorialN = lgamma(v.sum(-1).add(1));
    const logFactorialXs = lgamma(v.add(1)).sum(-1);
    const logPowers = logits.mul(v).sum(-1);
    return logFactorialN.sub(logFactorialXs).add(logPowers);
  }
}
