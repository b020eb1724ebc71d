/**
 * LKJCholesky (lkj_cholesky.py): the LKJ distribution over Cholesky factors of correlation
 * matrices, sampled by the onion method (Beta-distributed radii on random hypersphere directions).
 */
import type { Tensor } from "../tensor.js";
import { finfo } from "../dtype.js";
import { arange, cat, diagEmbed, lgamma, mvlgamma, randn, zeros } from "../generated/functions.js";
import { valueError } from "../errors.js";
import { ctorArgs } from "../nn/ctor-args.js";
import * as C from "./constraints.js";
import { Distribution, type DistributionOptions } from "./distribution.js";
import { Beta } from "./dirichlet.js";
import { type ShapeLike, type TensorLike, broadcastAll } from "./utils.js";

/**
 * LKJ(concentration) over the lower Cholesky factors of `dim` × `dim` correlation matrices
 * (torch.distributions.LKJCholesky).
 * @example new torch.distributions.LKJCholesky(3, 0.5).eventShape.length // 2
 */
export class LKJCholesky extends Distribution {
  /** the matrix size */
  dim!: number;
  private beta!: Beta;
  constructor(
    ...args:
      | [dim: number, concentration?: TensorLike, options?: DistributionOptions]
      | [
          options: {
            /** the matrix size (>= 2) */
            dim: number;
            /** η (> 0) */
            concentration?: TensorLike;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{ dim: number; concentration: TensorLike; validateArgs: boolean | null }>(
      "LKJCholesky",
      args,
      ["dim", "concentration", "validateArgs"],
      { concentration: 1.0, validateArgs: null },
    );
    if (a.dim < 2) {
      throw valueError(
        `Expected dim to be an integer greater than or equal to 2. Found dim=${a.dim}.`,
      );
    }
    this.dim = a.dim;
    [this.params.concentration] = broadcastAll(a.concentration);
    const conc = this.concentration;
    // Beta(offset + 1/2, η + (d - 2)/2 - offset/2) with offset = (0, 0, 1, ..., d - 2)
    const marginalConc = conc.add(0.5 * (this.dim - 2));
    let offset = arange(this.dim - 1, { dtype: conc.dtype });
    offset = cat([zeros([1], { dtype: conc.dtype }), offset]);
    const betaConc1 = offset.add(0.5);
    const betaConc0 = marginalConc.unsqueeze(-1).sub(offset.mul(0.5));
    this.beta = new Beta(betaConc1, betaConc0);
    this.init(conc.shape, [this.dim, this.dim], a.validateArgs);
  }
  /** η */
  get concentration(): Tensor {
    return this.params.concentration;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { concentration: C.positive };
  }
  override get support(): C.Constraint {
    return C.corrCholesky;
  }
  override expand(batchShape: ShapeLike, instance?: this): LKJCholesky {
    const out = this.blank(instance);
    out.dim = this.dim;
    out.params.concentration = this.concentration.expand([...batchShape]);
    out.beta = this.beta.expand([...batchShape, this.dim]);
    this.finishExpand(out, batchShape);
    return out;
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    // rows: sqrt(y) times a uniform direction of the strict lower part; the diagonal completes
    // each row to unit length
    const y = this.beta.sample(sampleShape).unsqueeze(-1);
    const uNormal = randn(this.extendedShape(sampleShape), { dtype: y.dtype }).tril(-1);
    const uHyper = uNormal.div(uNormal.norm(2, -1, true));
    uHyper.select(-2, 0).fill_(0.0);
    const w = y.sqrt().mul(uHyper);
    const eps = finfo(w.dtype).tiny;
    const diag = w.pow(2).sum(-1).neg().add(1).clamp(eps).sqrt();
    return w.add(diagEmbed(diag));
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    const d = this.dim;
    const diagElems = value.diagonal(0, -1, -2).narrow(-1, 1, d - 1);
    const order = this.concentration
      .sub(1)
      .unsqueeze(-1)
      .mul(2)
      .add(d)
      .sub(arange(2, d + 1));
    const unnormalized = order.mul(diagElems.log()).sum(-1);
    const dm1 = d - 1;
    const alpha = this.concentration.add(0.5 * dm1);
    const denominator = lgamma(alpha).mul(dm1);
    const numerator = mvlgamma(alpha.sub(0.5), dm1);
    const piConstant = 0.5 * dm1 * Math.log(Math.PI);
    const normalize = numerator.add(piConstant).sub(denominator);
    return unnormalized.sub(normalize);
  }
}
