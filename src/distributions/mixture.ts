/**
 * MixtureSameFamily (mixture_same_family.py): a Categorical mixture over the rightmost batch dim
 * of one component distribution.
 */
import type { Tensor } from "../tensor.js";
import { gather, logSoftmax, logsumexp } from "../generated/functions.js";
import { noGrad } from "../autograd/grad-mode.js";
import { valueError } from "../errors.js";
import { ctorArgs } from "../nn/ctor-args.js";
import type * as C from "./constraints.js";
import { Distribution, type DistributionOptions } from "./distribution.js";
import { Categorical } from "./discrete.js";
import type { ShapeLike } from "./utils.js";

/**
 * A mixture of the components along `componentDistribution`'s last batch dim, weighted by
 * `mixtureDistribution` (torch.distributions.MixtureSameFamily).
 * @example
 * const mix = new torch.distributions.Categorical(torch.ones(3));
 * const comp = new torch.distributions.Normal(torch.tensor([-1.0, 0.0, 1.0]), torch.ones(3));
 * new torch.distributions.MixtureSameFamily(mix, comp).mean; // tensor(0.)
 */
export class MixtureSameFamily extends Distribution {
  private _mixture!: Categorical;
  private _component!: Distribution;
  private numComponent!: number;
  private eventNdims!: number;
  constructor(
    ...args:
      | [
          mixtureDistribution: Categorical,
          componentDistribution: Distribution,
          options?: DistributionOptions,
        ]
      | [
          options: {
            /** the Categorical weights of the components */
            mixtureDistribution: Categorical;
            /** the components, batched along their last batch dim */
            componentDistribution: Distribution;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      mixtureDistribution: Categorical;
      componentDistribution: Distribution;
      validateArgs: boolean | null;
    }>(
      "MixtureSameFamily",
      args,
      ["mixtureDistribution", "componentDistribution", "validateArgs"],
      { validateArgs: null },
    );
    this._mixture = a.mixtureDistribution;
    this._component = a.componentDistribution;
    if (!(this._mixture instanceof Categorical)) {
      throw valueError(
        " The Mixture distribution needs to be an  instance of torch.distribtutions.Categorical",
      );
    }
    if (!(this._component instanceof Distribution)) {
      throw valueError(
        "The Component distribution need to be an instance of torch.distributions.Distribution",
      );
    }
    const mdbs = this._mixture.batchShape;
    const cdbs = this._component.batchShape.slice(0, -1);
    for (let k = 1; k <= Math.min(mdbs.length, cdbs.length); k++) {
      const s1 = mdbs[mdbs.length - k];
      const s2 = cdbs[cdbs.length - k];
      if (s1 !== 1 && s2 !== 1 && s1 !== s2) {
        throw valueError(
          `\`mixture_distribution.batch_shape\` (${String(mdbs)}) is not compatible with ` +
            `\`component_distribution.batch_shape\`(torch.Size([${cdbs.join(", ")}]))`,
        );
      }
    }
    const logits = this._mixture.logits;
    const km = logits.shape[logits.dim() - 1];
    const kc = this._component.batchShape[this._component.batchShape.length - 1];
    if (km !== kc) {
      throw valueError(
        `\`mixture_distribution component\` (${km}) does not equal ` +
          `\`component_distribution.batch_shape[-1]\` (${kc})`,
      );
    }
    this.numComponent = km;
    const eventShape = this._component.eventShape;
    this.eventNdims = eventShape.length;
    this.init(cdbs, eventShape, a.validateArgs);
  }
  /** the Categorical over the components */
  get mixtureDistribution(): Categorical {
    return this._mixture;
  }
  /** the component distributions */
  get componentDistribution(): Distribution {
    return this._component;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return {};
  }
  override get support(): C.Constraint {
    return this._component.support;
  }
  override expand(batchShape: ShapeLike, instance?: this): MixtureSameFamily {
    const out = this.blank(instance);
    out._component = this._component.expand([...batchShape, this.numComponent]);
    out._mixture = this._mixture.expand(batchShape);
    out.numComponent = this.numComponent;
    out.eventNdims = this.eventNdims;
    this.finishExpand(out, batchShape, out._component.eventShape);
    return out;
  }
  override get mean(): Tensor {
    const probs = this.padMixtureDimensions(this._mixture.probs);
    return probs.mul(this._component.mean).sum(-1 - this.eventNdims);
  }
  override get variance(): Tensor {
    const probs = this.padMixtureDimensions(this._mixture.probs);
    const meanCondVar = probs.mul(this._component.variance).sum(-1 - this.eventNdims);
    const varCondMean = probs
      .mul(this._component.mean.sub(this.pad(this.mean)).pow(2.0))
      .sum(-1 - this.eventNdims);
    return meanCondVar.add(varCondMean);
  }
  override cdf(x: Tensor): Tensor {
    const cdfX = this._component.cdf(this.pad(x));
    return cdfX.mul(this._mixture.probs).sum(-1);
  }
  override logProb(x: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(x);
    const logProbX = this._component.logProb(this.pad(x));
    const logMixProb = logSoftmax(this._mixture.logits, -1);
    return logsumexp(logProbX.add(logMixProb), -1);
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    return noGrad(() => {
      const gatherDim = sampleShape.length + this.batchShape.length;
      const es = this.eventShape;
      const mixSample = this._mixture.sample(sampleShape);
      const mixShape = mixSample.shape;
      const compSamples = this._component.sample(sampleShape);
      const r = mixSample
        .reshape([...mixShape, ...Array<number>(es.length + 1).fill(1)])
        .repeat([...mixShape.map(() => 1), 1, ...es]);
      return gather(compSamples, gatherDim, r).squeeze(gatherDim);
    });
  }
  /** x.unsqueeze(-1 - event_ndims): a component dim */
  private pad(x: Tensor): Tensor {
    return x.unsqueeze(-1 - this.eventNdims);
  }
  /** the mixture probabilities reshaped to broadcast against the components */
  private padMixtureDimensions(x: Tensor): Tensor {
    const distBatchNdims = this.batchShape.reduce((p, s) => p * s, 1);
    const catBatchNdims = this._mixture.batchShape.reduce((p, s) => p * s, 1);
    const padNdims = catBatchNdims === 1 ? 0 : distBatchNdims - catBatchNdims;
    const xs = x.shape;
    return x.reshape([
      ...xs.slice(0, -1),
      ...Array<number>(padNdims).fill(1),
      ...xs.slice(-1),
      ...Array<number>(this.eventNdims).fill(1),
    ]);
  }
  protected override repr(): string {
    return `MixtureSameFamily(\n  ${String(this._mixture)},\n  ${String(this._component)})`;
  }
}
