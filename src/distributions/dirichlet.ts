/**
 * Dirichlet and Beta (dirichlet.py, beta.py), drawn through ATen's _sample_dirichlet with its
 * reparameterized gradient _dirichlet_grad (samplers.ts).
 */
import type { Tensor } from "../tensor.js";
import { digamma, lgamma, stack, where } from "../generated/functions.js";
import { tensor } from "../ops/creation.js";
import { oneHot } from "../generated/nn-functional.js";
import { valueError } from "../errors.js";
import { ctorArgs } from "../nn/ctor-args.js";
import * as C from "./constraints.js";
import { ExponentialFamily, type DistributionOptions } from "./distribution.js";
import { dirichlet } from "../registry/samplers.js";
import { type ShapeLike, type TensorLike, broadcastAll } from "./utils.js";

/**
 * The Dirichlet distribution over the simplex with `concentration` α (its last dim the event)
 * (torch.distributions.Dirichlet).
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Dirichlet(torch.tensor([1.0, 2.0])).sample(); // tensor([0.6866, 0.3134])
 */
export class Dirichlet extends ExponentialFamily {
  constructor(
    ...args:
      | [concentration: Tensor, options?: DistributionOptions]
      | [
          options: {
            /** α, positive, the last dim the event */
            concentration: Tensor;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{ concentration: Tensor; validateArgs: boolean | null }>(
      "Dirichlet",
      args,
      ["concentration", "validateArgs"],
      { validateArgs: null },
    );
    const c = a.concentration;
    if (c.dim() < 1)
      throw valueError("`concentration` parameter must be at least one-dimensional.");
    this.params.concentration = c;
    this.init(c.shape.slice(0, -1), c.shape.slice(-1), a.validateArgs);
  }
  /** α */
  get concentration(): Tensor {
    return this.params.concentration;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { concentration: C.independent(C.positive, 1) };
  }
  override get support(): C.Constraint {
    return C.simplex;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override expand(batchShape: ShapeLike, instance?: this): Dirichlet {
    const out = this.blank(instance);
    out.params.concentration = this.concentration.expand([...batchShape, ...this.eventShape]);
    this.finishExpand(out, batchShape);
    return out;
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    return dirichlet(this.concentration.expand(this.extendedShape(sampleShape)));
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // Σ (α - 1) log x + log Γ(Σ α) - Σ log Γ(α)
    const a = this.concentration;
    return value
      .log()
      .mul(a.sub(1.0))
      .sum(-1)
      .add(lgamma(a.sum(-1)))
      .sub(lgamma(a).sum(-1));
  }
  override get mean(): Tensor {
    return this.concentration.div(this.concentration.sum(-1, true));
  }
  override get mode(): Tensor {
    // (α - 1)₊ normalized; a one-hot at the largest when every α < 1
    const am1 = this.concentration.sub(1).clamp(0.0);
    const mode = am1.div(am1.sum(-1, true));
    const mask = this.concentration.lt(1).all(-1);
    const k = am1.shape[am1.dim() - 1];
    const hot = oneHot(mode.argmax(-1), k).to(mode.dtype);
    return where(mask.unsqueeze(-1), hot, mode);
  }
  override get variance(): Tensor {
    const a = this.concentration;
    const con0 = a.sum(-1, true);
    return a.mul(con0.sub(a)).div(con0.pow(2).mul(con0.add(1)));
  }
  override entropy(): Tensor {
    const a = this.concentration;
    const k = a.size(-1);
    const a0 = a.sum(-1);
    return lgamma(a)
      .sum(-1)
      .sub(lgamma(a0))
      .sub(a0.neg().add(k).mul(digamma(a0)))
      .sub(a.sub(1.0).mul(digamma(a)).sum(-1));
  }
  override get naturalParams(): Tensor[] {
    return [this.concentration];
  }
  override logNormalizer(x: Tensor): Tensor {
    return x
      .lgamma()
      .sum(-1)
      .sub(lgamma(x.sum(-1)));
  }
}

/**
 * The beta distribution on [0, 1] with `concentration1` (α) and `concentration0` (β)
 * (torch.distributions.Beta), the first coordinate of a Dirichlet([α, β]).
 * @example new torch.distributions.Beta(2, 3).mean // tensor(0.4000)
 */
export class Beta extends ExponentialFamily {
  /** the Dirichlet([α, β]) whose first coordinate this is */
  _dirichlet!: Dirichlet;
  constructor(
    ...args:
      | [concentration1: TensorLike, concentration0: TensorLike, options?: DistributionOptions]
      | [
          options: {
            /** α */
            concentration1: TensorLike;
            /** β */
            concentration0: TensorLike;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      concentration1: TensorLike;
      concentration0: TensorLike;
      validateArgs: boolean | null;
    }>("Beta", args, ["concentration1", "concentration0", "validateArgs"], {
      validateArgs: null,
    });
    let both: Tensor;
    if (typeof a.concentration1 === "number" && typeof a.concentration0 === "number") {
      both = tensor([a.concentration1, a.concentration0]);
    } else {
      const [c1, c0] = broadcastAll(a.concentration1, a.concentration0);
      both = stack([c1, c0], -1);
    }
    this._dirichlet = new Dirichlet(both, { validateArgs: a.validateArgs });
    this.init(this._dirichlet.batchShape, [], a.validateArgs);
  }
  protected override checkedParam(name: string): Tensor | undefined {
    if (name === "concentration1") return this.concentration1;
    return name === "concentration0" ? this.concentration0 : undefined;
  }
  /** α */
  get concentration1(): Tensor {
    return this._dirichlet.concentration.select(-1, 0);
  }
  /** β */
  get concentration0(): Tensor {
    return this._dirichlet.concentration.select(-1, 1);
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
  override expand(batchShape: ShapeLike, instance?: this): Beta {
    const out = this.blank(instance);
    out._dirichlet = this._dirichlet.expand(batchShape);
    this.finishExpand(out, batchShape);
    return out;
  }
  override get mean(): Tensor {
    return this.concentration1.div(this.concentration1.add(this.concentration0));
  }
  override get mode(): Tensor {
    return this._dirichlet.mode.select(-1, 0);
  }
  override get variance(): Tensor {
    const total = this.concentration1.add(this.concentration0);
    return this.concentration1.mul(this.concentration0).div(total.pow(2).mul(total.add(1)));
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    return this._dirichlet.rsample(sampleShape).select(-1, 0);
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    return this._dirichlet.logProb(stack([value, value.neg().add(1.0)], -1));
  }
  override entropy(): Tensor {
    return this._dirichlet.entropy();
  }
  override get naturalParams(): Tensor[] {
    return [this.concentration1, this.concentration0];
  }
  override logNormalizer(x: Tensor, y: Tensor): Tensor {
    return lgamma(x)
      .add(lgamma(y))
      .sub(lgamma(x.add(y)));
  }
}
