/**
 * Wishart (wishart.py): distributions over positive definite matrices, sampled by Bartlett's
 * decomposition (chi-squared diagonal, normal strict lower triangle), including PyTorch 1.13's
 * resampling loop after the support check.
 */
import type { Tensor } from "../tensor.js";
import {
  arange,
  choleskySolve,
  digamma,
  eye,
  matmul,
  mvlgamma,
  ones,
  randn,
} from "../generated/functions.js";
import { cholesky as choleskyLinalg, slogdet } from "../generated/linalg.js";
import { bool, finfo } from "../dtype.js";
import { assertionError, valueError } from "../errors.js";
import { warn } from "../registry/ops/nn.js";
import { broadcastShapes } from "../registry/ops/misc.js";
import { ctorArgs } from "../nn/ctor-args.js";
import { tensor } from "../ops/creation.js";
import * as C from "./constraints.js";
import { ExponentialFamily, type DistributionOptions } from "./distribution.js";
import { pyFormat } from "./format.js";
import { Chi2 } from "./gamma.js";
import { precisionToScaleTril } from "./multivariate-normal.js";
import { type ShapeLike, type TensorLike } from "./utils.js";

const LOG_2 = Math.log(2);

/** Σ_{i<p} ψ(x - i/2), the multivariate digamma function */
function mvdigamma(x: Tensor, p: number): Tensor {
  if (
    !x
      .gt((p - 1) / 2)
      .all()
      .item()
  ) {
    throw assertionError("Wrong domain for multivariate digamma function.");
  }
  const half = arange(p, { dtype: x.dtype }).div(2);
  return digamma(x.unsqueeze(-1).sub(half.expand([...x.shape, -1]))).sum(-1);
}

/** The options of Wishart: exactly one of the three matrices. */
export interface WishartOptions extends DistributionOptions {
  /** Σ, symmetric positive definite */
  covarianceMatrix?: Tensor | null;
  /** Σ⁻¹, symmetric positive definite */
  precisionMatrix?: Tensor | null;
  /** L with Σ = L Lᵀ */
  scaleTril?: Tensor | null;
}

/**
 * The Wishart distribution with `df` degrees of freedom and scale Σ
 * (torch.distributions.Wishart).
 * @example new torch.distributions.Wishart(3, { covarianceMatrix: torch.eye(2) }).mean // tensor([[3., 0.], [0., 3.]])
 */
export class Wishart extends ExponentialFamily {
  private L!: Tensor;
  private chi2!: Chi2;
  private dfConstraint!: C.Constraint;
  constructor(
    ...args:
      | [
          df: TensorLike,
          covarianceMatrix?: Tensor | null,
          precisionMatrix?: Tensor | null,
          scaleTril?: Tensor | null,
          options?: DistributionOptions,
        ]
      | [df: TensorLike, options: WishartOptions]
      | [options: { df: TensorLike } & WishartOptions]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      df: TensorLike;
      covarianceMatrix: Tensor | null;
      precisionMatrix: Tensor | null;
      scaleTril: Tensor | null;
      validateArgs: boolean | null;
    }>(
      "Wishart",
      args,
      ["df", "covarianceMatrix", "precisionMatrix", "scaleTril", "validateArgs"],
      {
        covarianceMatrix: null,
        precisionMatrix: null,
        scaleTril: null,
        validateArgs: null,
      },
    );
    const { covarianceMatrix: cov, precisionMatrix: prec, scaleTril: tril } = a;
    if (Number(cov !== null) + Number(tril !== null) + Number(prec !== null) !== 1) {
      throw assertionError(
        "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.",
      );
    }
    const param = (cov ?? prec ?? tril) as Tensor;
    if (param.dim() < 2) {
      throw valueError(
        "scale_tril must be at least two-dimensional, with optional leading batch dimensions",
      );
    }
    let batchShape: number[];
    if (typeof a.df === "number") {
      batchShape = param.shape.slice(0, -2);
      this.params.df = tensor(a.df, { dtype: param.dtype });
    } else {
      batchShape = broadcastShapes(param.shape.slice(0, -2), a.df.shape);
      this.params.df = a.df.expand(batchShape);
    }
    const eventShape = param.shape.slice(-2);
    const p = eventShape[1];
    if (
      this.df
        .le(p - 1)
        .any()
        .item()
    ) {
      const shown = typeof a.df === "number" ? String(a.df) : pyFormat(a.df);
      throw valueError(`Value of df=${shown} expected to be greater than ndim - 1 = ${p - 1}.`);
    }
    const key = tril !== null ? "scaleTril" : cov !== null ? "covarianceMatrix" : "precisionMatrix";
    this.params[key] = param.expand([...batchShape, -1, -1]);
    this.dfConstraint = C.greaterThanInt(p - 1);
    if (this.df.lt(p).any().item()) {
      warn(
        "Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df < ndim.",
      );
    }
    this.init(batchShape, eventShape, a.validateArgs);
    if (tril !== null) this.L = tril;
    else if (cov !== null) this.L = choleskyOf(cov);
    else this.L = precisionToScaleTril(prec as Tensor);
    this.chi2 = this.makeChi2(batchShape);
  }
  /** χ²(df - i) for i < p, one per diagonal entry of Bartlett's factor */
  private makeChi2(batchShape: readonly number[]): Chi2 {
    const p = this.eventShape[1];
    return new Chi2(
      this.df.unsqueeze(-1).sub(arange(p, { dtype: this.L.dtype }).expand([...batchShape, -1])),
    );
  }
  /** the degrees of freedom */
  get df(): Tensor {
    return this.params.df;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return {
      covarianceMatrix: C.positiveDefinite,
      precisionMatrix: C.positiveDefinite,
      scaleTril: C.lowerCholesky,
      df: this.dfConstraint ?? C.greaterThan(0),
    };
  }
  override get support(): C.Constraint {
    return C.positiveDefinite;
  }
  override get hasRsample(): boolean {
    return true;
  }
  private get matrixShape(): number[] {
    return [...this.batchShape, ...this.eventShape];
  }
  /** L, the lower Cholesky factor of Σ */
  get scaleTril(): Tensor {
    return this.lazy("scaleTril", () => this.L.expand(this.matrixShape));
  }
  /** Σ */
  get covarianceMatrix(): Tensor {
    return this.lazy("covarianceMatrix", () =>
      matmul(this.L, this.L.transpose(-2, -1)).expand(this.matrixShape),
    );
  }
  /** Σ⁻¹ */
  get precisionMatrix(): Tensor {
    return this.lazy("precisionMatrix", () => {
      const identity = eye(this.eventShape[1], { dtype: this.L.dtype });
      return choleskySolve(identity, this.L).expand(this.matrixShape);
    });
  }
  override expand(batchShape: ShapeLike, instance?: this): Wishart {
    const out = this.blank(instance);
    const covShape = [...batchShape, ...this.eventShape];
    out.L = this.L.expand(covShape);
    out.params.df = this.df.expand([...batchShape]);
    out.dfConstraint = this.dfConstraint;
    for (const k of ["covarianceMatrix", "scaleTril", "precisionMatrix"]) {
      const v = this.params[k];
      if (v !== undefined) out.params[k] = v.expand(covShape);
    }
    this.finishExpand(out, batchShape);
    out.chi2 = out.makeChi2(batchShape);
    return out;
  }
  /** df viewed as batch + (1, 1) */
  private dfMatrix(): Tensor {
    return this.df.view([...this.batchShape, 1, 1]);
  }
  override get mean(): Tensor {
    return this.dfMatrix().mul(this.covarianceMatrix);
  }
  override get mode(): Tensor {
    const p = this.covarianceMatrix.shape[this.covarianceMatrix.dim() - 1];
    const factor = this.df.sub(p).sub(1);
    const masked = factor.maskedFill(factor.le(0), NaN);
    return masked.view([...this.batchShape, 1, 1]).mul(this.covarianceMatrix);
  }
  override get variance(): Tensor {
    const V = this.covarianceMatrix;
    const d = V.diagonal(0, -2, -1);
    return this.dfMatrix().mul(V.pow(2).add(d.unsqueeze(-1).mul(d.unsqueeze(-2))));
  }
  /** Bartlett: L A Aᵀ Lᵀ with A lower triangular, sqrt(χ²) diagonal, N(0, 1) below */
  private bartlett(sampleShape: readonly number[]): Tensor {
    const p = this.eventShape[1];
    const diag = this.chi2.rsample(sampleShape).sqrt();
    const noiseDiag = diag.clamp(finfoEps(diag)).diagEmbed(0, -2, -1);
    const k = (p * (p - 1)) / 2;
    const below = randn([...sampleShape, ...this.batchShape, k], { dtype: noiseDiag.dtype });
    const mask = ones([p, p], { dtype: bool }).tril(-1).expand(noiseDiag.shape);
    const noise = noiseDiag.maskedScatter(mask, below);
    const chol = matmul(this.L, noise);
    return matmul(chol, chol.transpose(-2, -1));
  }
  /** the support check reduced over the batch dims (PyTorch's `is_singular`, which is `check`) */
  private checked(sample: Tensor, leading: number): Tensor {
    const c = this.support.check(sample);
    if (this.batchShape.length === 0) return c;
    return c.reshape([...c.shape.slice(0, leading), -1]).any(-1);
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    let sample = this.bartlett(sampleShape);
    // PyTorch 1.13 names the support check `is_singular` and redraws where it holds: replicated
    // draw for draw, so the stream stays PyTorch's
    let flag = this.checked(sample, sampleShape.length);
    if (flag.any().item()) {
      warn("Singular sample detected.");
      const n = sampleShape.reduce((x, y) => x * y, 1);
      const rest = sample.shape.slice(sampleShape.length);
      for (let attempt = 0; attempt < 10; attempt++) {
        const idx = flag.reshape([-1]).nonzero().reshape([-1]);
        const count = idx.numel();
        const fresh = this.bartlett([count]);
        sample = sample
          .reshape([n, ...rest])
          .indexCopy(0, idx, fresh)
          .reshape([...sampleShape, ...rest]);
        const freshFlag = this.checked(fresh, 1).logicalNot();
        const flat = flag.reshape([-1]).clone();
        flat.indexCopy_(0, idx, freshFlag);
        flag = flat.reshape(flag.shape);
        if (!flag.any().item()) break;
      }
    }
    return sample;
  }
  override get naturalParams(): Tensor[] {
    const p = this.eventShape[1];
    return [this.precisionMatrix.div(-2), this.df.sub(p).sub(1).div(2)];
  }
  override logNormalizer(x: Tensor, y: Tensor): Tensor {
    const p = this.eventShape[1];
    const yp = y.add((p + 1) / 2);
    return yp
      .mul(
        slogdet(x.mul(-2))
          .logabsdet.neg()
          .add(LOG_2 * p),
      )
      .add(mvlgamma(yp, p));
  }
  override get meanCarrierMeasure(): number {
    return 0;
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    const nu = this.df;
    const p = this.eventShape[1];
    const logDetL = this.L.diagonal(0, -2, -1).log().sum(-1);
    return nu
      .neg()
      .mul(logDetL.add((p * LOG_2) / 2))
      .sub(mvlgamma(nu.div(2), p))
      .add(nu.sub(p).sub(1).div(2).mul(slogdet(value).logabsdet))
      .sub(choleskySolve(value, this.L).diagonal(0, -2, -1).sum(-1).div(2));
  }
  override entropy(): Tensor {
    const nu = this.df;
    const p = this.eventShape[1];
    const logDetL = this.L.diagonal(0, -2, -1).log().sum(-1);
    return logDetL
      .add((p * LOG_2) / 2)
      .mul(p + 1)
      .add(mvlgamma(nu.div(2), p))
      .sub(
        nu
          .sub(p)
          .sub(1)
          .div(2)
          .mul(mvdigamma(nu.div(2), p)),
      )
      .add(nu.mul(p).div(2));
  }
}

/** the Cholesky factor of a covariance (linalg.cholesky) */
function choleskyOf(cov: Tensor): Tensor {
  return choleskyLinalg(cov);
}

/** the dtype's machine epsilon (Wishart's _clamp_above_eps floor) */
function finfoEps(t: Tensor): number {
  return finfo(t.dtype).eps;
}
