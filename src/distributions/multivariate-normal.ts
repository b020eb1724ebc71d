/**
 * MultivariateNormal (multivariate_normal.py): a Gaussian over vectors given by its covariance,
 * precision or lower Cholesky factor; everything runs on the unbroadcast Cholesky factor L
 * (Σ = L Lᵀ).
 */
import type { Tensor } from "../tensor.js";
import { valueError } from "../errors.js";
import { choleskyInverse, eye, flip, matmul, transpose } from "../generated/functions.js";
import { cholesky, solveTriangular } from "../generated/linalg.js";
import { broadcastShapes } from "../registry/ops/misc.js";
import { ctorArgs } from "../nn/ctor-args.js";
import * as C from "./constraints.js";
import { Distribution, type DistributionOptions } from "./distribution.js";
import { type ShapeLike, standardNormal } from "./utils.js";

/** Batched matrix-vector product: bmat @ bvec (_batch_mv). */
export function batchMv(bmat: Tensor, bvec: Tensor): Tensor {
  return matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1);
}

/**
 * The squared Mahalanobis distance xᵀ(LLᵀ)⁻¹x = |L⁻¹x|² over batches (_batch_mahalanobis):
 * x's batch dims are regrouped so one triangular solve serves every L of the batch.
 */
export function batchMahalanobis(bL: Tensor, bx: Tensor): Tensor {
  const n = bx.size(-1);
  const bxBatchShape = bx.shape.slice(0, -1);
  const bxBatchDims = bxBatchShape.length;
  const bLBatchDims = bL.dim() - 2;
  const outerBatchDims = bxBatchDims - bLBatchDims;
  const oldBatchDims = outerBatchDims + bLBatchDims;
  const newBatchDims = outerBatchDims + 2 * bLBatchDims;
  // reshape bx to (..., 1, j, i, 1, n) so its batch lines up with bL's
  const bxNewShape = bx.shape.slice(0, outerBatchDims);
  bL.shape.slice(0, -2).forEach((sL, k) => {
    const sx = bx.shape[outerBatchDims + k];
    bxNewShape.push(Math.floor(sx / sL), sL);
  });
  bxNewShape.push(n);
  let x = bx.reshape(bxNewShape);
  const range = (a: number, b: number, step = 1): number[] => {
    const out: number[] = [];
    for (let i = a; i < b; i += step) out.push(i);
    return out;
  };
  const permuteDims = [
    ...range(0, outerBatchDims),
    ...range(outerBatchDims, newBatchDims, 2),
    ...range(outerBatchDims + 1, newBatchDims, 2),
    newBatchDims,
  ];
  x = x.permute(permuteDims);
  const flatL = bL.reshape([-1, n, n]); // b x n x n
  const flatX = x.reshape([-1, flatL.size(0), n]); // c x b x n
  const flatXSwap = flatX.permute(1, 2, 0); // b x n x c
  const mSwap = solveTriangular(flatL, flatXSwap, { upper: false }).pow(2).sum(-2); // b x c
  const M = mSwap.t(); // c x b
  const permutedM = M.reshape(x.shape.slice(0, -1));
  const permuteInvDims = range(0, outerBatchDims);
  for (let i = 0; i < bLBatchDims; i++) permuteInvDims.push(outerBatchDims + i, oldBatchDims + i);
  return permutedM.permute(permuteInvDims).reshape(bxBatchShape);
}

/** The lower Cholesky factor of P⁻¹ from the precision P (_precision_to_scale_tril). */
export function precisionToScaleTril(P: Tensor): Tensor {
  const Lf = cholesky(flip(P, [-2, -1]));
  const LInv = transpose(flip(Lf, [-2, -1]), -2, -1);
  const Id = eye(P.shape[P.dim() - 1], { dtype: P.dtype });
  return solveTriangular(LInv, Id, { upper: false });
}

/** The options of MultivariateNormal: exactly one of the three matrices. */
export interface MultivariateNormalOptions extends DistributionOptions {
  /** Σ, symmetric positive definite */
  covarianceMatrix?: Tensor | null;
  /** Σ⁻¹, symmetric positive definite */
  precisionMatrix?: Tensor | null;
  /** L, lower triangular with a positive diagonal, Σ = L Lᵀ */
  scaleTril?: Tensor | null;
}

/**
 * The multivariate normal N(loc, Σ), Σ given as `covarianceMatrix`, `precisionMatrix` (Σ⁻¹) or
 * `scaleTril` (L with Σ = L Lᵀ) (torch.distributions.MultivariateNormal).
 * @example
 * torch.manualSeed(0);
 * const d = new torch.distributions.MultivariateNormal(torch.zeros(2), { covarianceMatrix: torch.eye(2) });
 * d.sample(); // tensor([ 1.5410, -0.2934])
 */
export class MultivariateNormal extends Distribution {
  /** L, the lower Cholesky factor of Σ, before broadcasting */
  protected unbroadcastedScaleTril!: Tensor;
  constructor(
    ...args:
      | [
          loc: Tensor,
          covarianceMatrix?: Tensor | null,
          precisionMatrix?: Tensor | null,
          scaleTril?: Tensor | null,
          options?: DistributionOptions,
        ]
      | [loc: Tensor, options: MultivariateNormalOptions]
      | [options: { loc: Tensor } & MultivariateNormalOptions]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      loc: Tensor;
      covarianceMatrix: Tensor | null;
      precisionMatrix: Tensor | null;
      scaleTril: Tensor | null;
      validateArgs: boolean | null;
    }>(
      "MultivariateNormal",
      args,
      ["loc", "covarianceMatrix", "precisionMatrix", "scaleTril", "validateArgs"],
      { covarianceMatrix: null, precisionMatrix: null, scaleTril: null, validateArgs: null },
    );
    const { loc, covarianceMatrix: cov, precisionMatrix: prec, scaleTril: tril } = a;
    if (loc.dim() < 1) throw valueError("loc must be at least one-dimensional.");
    if (Number(cov !== null) + Number(tril !== null) + Number(prec !== null) !== 1) {
      throw valueError(
        "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.",
      );
    }
    let batchShape: number[];
    const locBatch = loc.shape.slice(0, -1);
    if (tril !== null) {
      if (tril.dim() < 2)
        throw valueError(
          "scale_tril matrix must be at least two-dimensional, " +
            "with optional leading batch dimensions",
        );
      batchShape = broadcastShapes(tril.shape.slice(0, -2), locBatch);
      this.params.scaleTril = tril.expand([...batchShape, -1, -1]);
    } else if (cov !== null) {
      if (cov.dim() < 2)
        throw valueError(
          "covariance_matrix must be at least two-dimensional, " +
            "with optional leading batch dimensions",
        );
      batchShape = broadcastShapes(cov.shape.slice(0, -2), locBatch);
      this.params.covarianceMatrix = cov.expand([...batchShape, -1, -1]);
    } else {
      const p = prec as Tensor;
      if (p.dim() < 2)
        throw valueError(
          "precision_matrix must be at least two-dimensional, " +
            "with optional leading batch dimensions",
        );
      batchShape = broadcastShapes(p.shape.slice(0, -2), locBatch);
      this.params.precisionMatrix = p.expand([...batchShape, -1, -1]);
    }
    this.params.loc = loc.expand([...batchShape, -1]);
    this.init(batchShape, this.loc.shape.slice(-1), a.validateArgs);
    if (tril !== null) this.unbroadcastedScaleTril = tril;
    else if (cov !== null) this.unbroadcastedScaleTril = cholesky(cov);
    else this.unbroadcastedScaleTril = precisionToScaleTril(prec as Tensor);
  }
  /** the mean */
  get loc(): Tensor {
    return this.params.loc;
  }
  /** batch + event + event */
  private get matrixShape(): number[] {
    return [...this.batchShape, ...this.eventShape, ...this.eventShape];
  }
  /** L, the lower Cholesky factor of the covariance */
  get scaleTril(): Tensor {
    return this.lazy("scaleTril", () => this.unbroadcastedScaleTril.expand(this.matrixShape));
  }
  /** Σ = L Lᵀ */
  get covarianceMatrix(): Tensor {
    return this.lazy("covarianceMatrix", () =>
      matmul(this.unbroadcastedScaleTril, this.unbroadcastedScaleTril.mT).expand(this.matrixShape),
    );
  }
  /** Σ⁻¹ */
  get precisionMatrix(): Tensor {
    return this.lazy("precisionMatrix", () =>
      choleskyInverse(this.unbroadcastedScaleTril).expand(this.matrixShape),
    );
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return {
      loc: C.realVector,
      covarianceMatrix: C.positiveDefinite,
      precisionMatrix: C.positiveDefinite,
      scaleTril: C.lowerCholesky,
    };
  }
  override get support(): C.Constraint {
    return C.realVector;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override get mean(): Tensor {
    return this.loc;
  }
  override get mode(): Tensor {
    return this.loc;
  }
  override get variance(): Tensor {
    return this.unbroadcastedScaleTril
      .pow(2)
      .sum(-1)
      .expand([...this.batchShape, ...this.eventShape]);
  }
  override expand(batchShape: ShapeLike, instance?: this): MultivariateNormal {
    const out = this.blank(instance);
    const locShape = [...batchShape, ...this.eventShape];
    const covShape = [...batchShape, ...this.eventShape, ...this.eventShape];
    out.params.loc = this.loc.expand(locShape);
    out.unbroadcastedScaleTril = this.unbroadcastedScaleTril;
    for (const k of ["covarianceMatrix", "scaleTril", "precisionMatrix"]) {
      const v = this.params[k];
      if (v !== undefined) out.params[k] = v.expand(covShape);
    }
    this.finishExpand(out, batchShape);
    return out;
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    // loc + L eps, eps ~ N(0, I)
    const eps = standardNormal(this.extendedShape(sampleShape), this.loc.dtype);
    return this.loc.add(batchMv(this.unbroadcastedScaleTril, eps));
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // -(k log(2π) + M) / 2 - log det L
    const diff = value.sub(this.loc);
    const M = batchMahalanobis(this.unbroadcastedScaleTril, diff);
    const halfLogDet = this.unbroadcastedScaleTril.diagonal(0, -2, -1).log().sum(-1);
    return M.add(this.eventShape[0] * Math.log(2 * Math.PI))
      .mul(-0.5)
      .sub(halfLogDet);
  }
  override entropy(): Tensor {
    // k (1 + log 2π) / 2 + log det L
    const halfLogDet = this.unbroadcastedScaleTril.diagonal(0, -2, -1).log().sum(-1);
    const H = halfLogDet.add(0.5 * this.eventShape[0] * (1.0 + Math.log(2 * Math.PI)));
    return this.batchShape.length === 0 ? H : H.expand([...this.batchShape]);
  }
  /** L before broadcasting (the kl divergence reads it) */
  get _unbroadcastedScaleTril(): Tensor {
    return this.unbroadcastedScaleTril;
  }
}
