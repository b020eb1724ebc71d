/**
 * ContinuousBernoulli (continuous_bernoulli.py): the density ∝ p^x (1-p)^(1-x) on [0, 1], with
 * Taylor expansions of its normalizer and moments inside the unstable region around p = 1/2.
 */
import type { Tensor } from "../tensor.js";
import { binaryCrossEntropyWithLogits } from "../generated/nn-functional.js";
import { onesLike, rand, where, zerosLike } from "../generated/functions.js";
import { noGrad } from "../autograd/grad-mode.js";
import { valueError } from "../errors.js";
import { ctorArgs } from "../nn/ctor-args.js";
import * as C from "./constraints.js";
import { ExponentialFamily, type DistributionOptions } from "./distribution.js";
import {
  type ShapeLike,
  type TensorLike,
  broadcastAll,
  clampProbs,
  logitsToProbs,
  probsToLogits,
} from "./utils.js";

/**
 * The continuous Bernoulli distribution on [0, 1] (torch.distributions.ContinuousBernoulli).
 * @example new torch.distributions.ContinuousBernoulli(torch.tensor([0.3])).mean // tensor([0.4302])
 */
export class ContinuousBernoulli extends ExponentialFamily {
  private _param!: Tensor;
  private lims!: [number, number];
  constructor(
    ...args:
      | [
          probs?: TensorLike | null,
          logits?: TensorLike | null,
          lims?: [number, number],
          options?: DistributionOptions,
        ]
      | [
          options: {
            /** the parameter p (exclusive with logits) */
            probs?: TensorLike | null;
            /** log(p / (1 - p)) (exclusive with probs) */
            logits?: TensorLike | null;
            /** the unstable region around 1/2 (default [0.499, 0.501]) */
            lims?: [number, number];
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      probs: TensorLike | null;
      logits: TensorLike | null;
      lims: [number, number];
      validateArgs: boolean | null;
    }>("ContinuousBernoulli", args, ["probs", "logits", "lims", "validateArgs"], {
      probs: null,
      logits: null,
      lims: [0.499, 0.501],
      validateArgs: null,
    });
    if ((a.probs === null) === (a.logits === null)) {
      throw valueError("Either `probs` or `logits` must be specified, but not both.");
    }
    const given = (a.probs ?? a.logits) as TensorLike;
    let [t] = broadcastAll(given);
    if (a.probs !== null) {
      if (a.validateArgs !== null && !C.unitInterval.check(t).all().item()) {
        throw valueError("The parameter probs has invalid values");
      }
      t = clampProbs(t);
      this.params.probs = t;
    } else {
      this.params.logits = t;
    }
    this._param = t;
    this.lims = a.lims;
    this.init(typeof given === "number" ? [] : t.shape, [], a.validateArgs);
  }
  /** p, clamped away from 0 and 1 */
  get probs(): Tensor {
    return this.lazy("probs", () => clampProbs(logitsToProbs(this.params.logits, true)));
  }
  /** log(p / (1 - p)) */
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
    return C.unitInterval;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override expand(batchShape: ShapeLike, instance?: this): ContinuousBernoulli {
    const out = this.blank(instance);
    out.lims = this.lims;
    if (this.params.probs)
      out._param = out.params.probs = this.params.probs.expand([...batchShape]);
    if (this.params.logits)
      out._param = out.params.logits = this.params.logits.expand([...batchShape]);
    this.finishExpand(out, batchShape);
    return out;
  }
  /** p outside the unstable region [lims[0], lims[1]] */
  private outsideUnstableRegion(): Tensor {
    return this.probs.le(this.lims[0]).logicalOr(this.probs.gt(this.lims[1]));
  }
  /** p, or lims[0] inside the unstable region */
  private cutProbs(): Tensor {
    return where(this.outsideUnstableRegion(), this.probs, onesLike(this.probs).mul(this.lims[0]));
  }
  /** the log normalizer as a function of p (_cont_bern_log_norm) */
  contBernLogNorm(): Tensor {
    const cut = this.cutProbs();
    const belowHalf = where(cut.le(0.5), cut, zerosLike(cut));
    const aboveHalf = where(cut.ge(0.5), cut, onesLike(cut));
    const logNorm = cut
      .neg()
      .log1p()
      .sub(cut.log())
      .abs()
      .log()
      .sub(where(cut.le(0.5), belowHalf.mul(-2.0).log1p(), aboveHalf.mul(2.0).sub(1.0).log()));
    const x = this.probs.sub(0.5).pow(2);
    // log 2 + (4/3 + 104/45 x) x
    const taylor = x
      .mul(104.0 / 45.0)
      .add(4.0 / 3.0)
      .mul(x)
      .add(Math.log(2.0));
    return where(this.outsideUnstableRegion(), logNorm, taylor);
  }
  override get mean(): Tensor {
    const cut = this.cutProbs();
    const mus = cut
      .div(cut.mul(2.0).sub(1.0))
      .add(cut.neg().log1p().sub(cut.log()).reciprocal().mul(1.0));
    const x = this.probs.sub(0.5);
    const taylor = x
      .pow(2)
      .mul(16.0 / 45.0)
      .add(1.0 / 3.0)
      .mul(x)
      .add(0.5);
    return where(this.outsideUnstableRegion(), mus, taylor);
  }
  override get stddev(): Tensor {
    return this.variance.sqrt();
  }
  override get variance(): Tensor {
    const cut = this.cutProbs();
    const vars = cut
      .mul(cut.sub(1.0))
      .div(cut.mul(-2.0).add(1.0).pow(2))
      .add(cut.neg().log1p().sub(cut.log()).pow(2).reciprocal().mul(1.0));
    const x = this.probs.sub(0.5).pow(2);
    const taylor = x
      .mul(128 / 945.0)
      .neg()
      .add(1.0 / 15.0)
      .mul(x)
      .neg()
      .add(1.0 / 12.0);
    return where(this.outsideUnstableRegion(), vars, taylor);
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    const u = rand(this.extendedShape(sampleShape), { dtype: this.probs.dtype });
    return noGrad(() => this.icdf(u));
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    const u = rand(this.extendedShape(sampleShape), { dtype: this.probs.dtype });
    return this.icdf(u);
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    const [logits, v] = broadcastAll(this.logits, value);
    return binaryCrossEntropyWithLogits(logits, v, { reduction: "none" })
      .neg()
      .add(this.contBernLogNorm());
  }
  override cdf(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    const cut = this.cutProbs();
    const cdfs = cut
      .pow(value)
      .mul(cut.neg().add(1.0).pow(value.neg().add(1.0)))
      .add(cut)
      .sub(1.0)
      .div(cut.mul(2.0).sub(1.0));
    const unbounded = where(this.outsideUnstableRegion(), cdfs, value);
    return where(value.le(0.0), zerosLike(value), where(value.ge(1.0), onesLike(value), unbounded));
  }
  override icdf(value: Tensor): Tensor {
    const cut = this.cutProbs();
    const inner = cut
      .neg()
      .add(value.mul(cut.mul(2.0).sub(1.0)))
      .log1p()
      .sub(cut.neg().log1p())
      .div(cut.log().sub(cut.neg().log1p()));
    return where(this.outsideUnstableRegion(), inner, value);
  }
  override entropy(): Tensor {
    const logProbs0 = this.probs.neg().log1p();
    const logProbs1 = this.probs.log();
    return this.mean.mul(logProbs0.sub(logProbs1)).sub(this.contBernLogNorm()).sub(logProbs0);
  }
}
