/**
 * LowRankMultivariateNormal (lowrank_multivariate_normal.py): a Gaussian with covariance
 * W Wᵀ + diag(D), computed through the capacitance matrix I + Wᵀ D⁻¹ W; and VonMises
 * (von_mises.py), the circular normal, sampled by Best and Fisher's rejection scheme.
 */
import type { Tensor } from "../tensor.js";
import { bool } from "../dtype.js";
import {
  broadcastTensors,
  cos,
  diagEmbed,
  eye,
  matmul,
  rand,
  where,
  zeros,
} from "../generated/functions.js";
import { cholesky, solveTriangular } from "../generated/linalg.js";
import { noGrad } from "../autograd/grad-mode.js";
import { valueError } from "../errors.js";
import { ctorArgs } from "../nn/ctor-args.js";
import * as C from "./constraints.js";
import { Distribution, type DistributionOptions } from "./distribution.js";
import { batchMahalanobis, batchMv } from "./multivariate-normal.js";
import {
  type ShapeLike,
  type TensorLike,
  broadcastAll,
  sameShape,
  size,
  standardNormal,
} from "./utils.js";

/** L with L Lᵀ = I + Wᵀ D⁻¹ W (_batch_capacitance_tril) */
function capacitanceTril(W: Tensor, D: Tensor): Tensor {
  const m = W.size(-1);
  const WtDinv = W.mT.div(D.unsqueeze(-2));
  const K = matmul(WtDinv, W).add(eye(m, { dtype: W.dtype }));
  return cholesky(K);
}

/** log det(W Wᵀ + D) = 2 Σ log diag(capacitance) + Σ log D */
export function lowrankLogdet(D: Tensor, capTril: Tensor): Tensor {
  return capTril.diagonal(0, -2, -1).log().sum(-1).mul(2).add(D.log().sum(-1));
}

/** xᵀ (W Wᵀ + D)⁻¹ x by Woodbury: Σ x²/D - |L⁻¹ Wᵀ D⁻¹ x|² */
export function lowrankMahalanobis(W: Tensor, D: Tensor, x: Tensor, capTril: Tensor): Tensor {
  const WtDinv = W.mT.div(D.unsqueeze(-2));
  const WtDinvX = batchMv(WtDinv, x);
  const term1 = x.pow(2).div(D).sum(-1);
  const term2 = batchMahalanobis(capTril, WtDinvX);
  return term1.sub(term2);
}

/**
 * A multivariate normal with covariance `covFactor covFactorᵀ + diag(covDiag)`
 * (torch.distributions.LowRankMultivariateNormal).
 * @example new torch.distributions.LowRankMultivariateNormal(torch.zeros(2), torch.tensor([[1.0], [0.0]]), torch.ones(2)).variance // tensor([2., 1.])
 */
export class LowRankMultivariateNormal extends Distribution {
  private W!: Tensor;
  private D!: Tensor;
  private capTril!: Tensor;
  constructor(
    ...args:
      | [loc: Tensor, covFactor: Tensor, covDiag: Tensor, options?: DistributionOptions]
      | [
          options: {
            /** the mean */
            loc: Tensor;
            /** W, event × rank */
            covFactor: Tensor;
            /** D, positive */
            covDiag: Tensor;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      loc: Tensor;
      covFactor: Tensor;
      covDiag: Tensor;
      validateArgs: boolean | null;
    }>("LowRankMultivariateNormal", args, ["loc", "covFactor", "covDiag", "validateArgs"], {
      validateArgs: null,
    });
    const { loc, covFactor, covDiag } = a;
    if (loc.dim() < 1) throw valueError("loc must be at least one-dimensional.");
    const eventShape = loc.shape.slice(-1);
    if (covFactor.dim() < 2) {
      throw valueError(
        "cov_factor must be at least two-dimensional, with optional leading batch dimensions",
      );
    }
    if (!sameShape(covFactor.shape.slice(-2, -1), eventShape)) {
      throw valueError(`cov_factor must be a batch of matrices with shape ${eventShape[0]} x m`);
    }
    if (!sameShape(covDiag.shape.slice(-1), eventShape)) {
      throw valueError(
        `cov_diag must be a batch of vectors with shape ${String(size(eventShape))}`,
      );
    }
    let parts: Tensor[];
    try {
      parts = broadcastTensors(loc.unsqueeze(-1), covFactor, covDiag.unsqueeze(-1));
    } catch {
      throw valueError(
        `Incompatible batch shapes: loc ${String(loc.size())}, cov_factor ${String(covFactor.size())}, cov_diag ${String(covDiag.size())}`,
      );
    }
    this.params.loc = parts[0].select(-1, 0);
    this.params.covFactor = parts[1];
    this.params.covDiag = parts[2].select(-1, 0);
    this.W = covFactor;
    this.D = covDiag;
    this.capTril = capacitanceTril(covFactor, covDiag);
    this.init(this.loc.shape.slice(0, -1), eventShape, a.validateArgs);
  }
  /** the mean */
  get loc(): Tensor {
    return this.params.loc;
  }
  /** W before broadcasting (the KL divergences read it) */
  get _unbroadcastedCovFactor(): Tensor {
    return this.W;
  }
  /** D before broadcasting */
  get _unbroadcastedCovDiag(): Tensor {
    return this.D;
  }
  /** the Cholesky factor of the capacitance I + Wᵀ D⁻¹ W */
  get _capacitanceTril(): Tensor {
    return this.capTril;
  }
  /** W, broadcast to the batch */
  get covFactor(): Tensor {
    return this.params.covFactor;
  }
  /** D, broadcast to the batch */
  get covDiag(): Tensor {
    return this.params.covDiag;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return {
      loc: C.realVector,
      covFactor: C.independent(C.real, 2),
      covDiag: C.independent(C.positive, 1),
    };
  }
  override get support(): C.Constraint {
    return C.realVector;
  }
  override get hasRsample(): boolean {
    return true;
  }
  override expand(batchShape: ShapeLike, instance?: this): LowRankMultivariateNormal {
    const out = this.blank(instance);
    const locShape = [...batchShape, ...this.eventShape];
    out.params.loc = this.loc.expand(locShape);
    out.params.covDiag = this.covDiag.expand(locShape);
    out.params.covFactor = this.covFactor.expand([...locShape, this.covFactor.size(-1)]);
    out.W = this.W;
    out.D = this.D;
    out.capTril = this.capTril;
    this.finishExpand(out, batchShape);
    return out;
  }
  override get mean(): Tensor {
    return this.loc;
  }
  override get mode(): Tensor {
    return this.loc;
  }
  private get matrixShape(): number[] {
    return [...this.batchShape, ...this.eventShape, ...this.eventShape];
  }
  override get variance(): Tensor {
    return this.lazy("variance", () =>
      this.W.pow(2)
        .sum(-1)
        .add(this.D)
        .expand([...this.batchShape, ...this.eventShape]),
    );
  }
  /** the lower Cholesky factor of the covariance */
  get scaleTril(): Tensor {
    return this.lazy("scaleTril", () => {
      const n = this.eventShape[0];
      const dSqrt = this.D.sqrt().unsqueeze(-1);
      const DinvsqrtW = this.W.div(dSqrt);
      const K = matmul(DinvsqrtW, DinvsqrtW.mT).add(eye(n, { dtype: this.W.dtype }));
      return dSqrt.mul(cholesky(K)).expand(this.matrixShape);
    });
  }
  /** W Wᵀ + diag(D) */
  get covarianceMatrix(): Tensor {
    return this.lazy("covarianceMatrix", () =>
      matmul(this.W, this.W.mT).add(diagEmbed(this.D)).expand(this.matrixShape),
    );
  }
  /** (W Wᵀ + D)⁻¹ by Woodbury */
  get precisionMatrix(): Tensor {
    return this.lazy("precisionMatrix", () => {
      const WtDinv = this.W.mT.div(this.D.unsqueeze(-2));
      const A = solveTriangular(this.capTril, WtDinv, { upper: false });
      return diagEmbed(this.D.reciprocal()).sub(matmul(A.mT, A)).expand(this.matrixShape);
    });
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    // loc + W eps_W + sqrt(D) eps_D
    const shape = this.extendedShape(sampleShape);
    const wShape = [...shape.slice(0, -1), this.covFactor.size(-1)];
    const epsW = standardNormal(wShape, this.loc.dtype);
    const epsD = standardNormal(shape, this.loc.dtype);
    return this.loc.add(batchMv(this.W, epsW)).add(this.D.sqrt().mul(epsD));
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    const diff = value.sub(this.loc);
    const M = lowrankMahalanobis(this.W, this.D, diff, this.capTril);
    const logDet = lowrankLogdet(this.D, this.capTril);
    return logDet
      .add(this.eventShape[0] * Math.log(2 * Math.PI))
      .add(M)
      .mul(-0.5);
  }
  override entropy(): Tensor {
    const logDet = lowrankLogdet(this.D, this.capTril);
    const H = logDet.add(this.eventShape[0] * (1.0 + Math.log(2 * Math.PI))).mul(0.5);
    return this.batchShape.length === 0 ? H : H.expand([...this.batchShape]);
  }
}

/** Σ coef[i] yⁱ by Horner's rule (von_mises._eval_poly) */
function evalPoly(y: Tensor, coef: readonly number[]): Tensor {
  let result: Tensor | number = coef[coef.length - 1];
  for (let i = coef.length - 2; i >= 0; i--) {
    result = typeof result === "number" ? y.mul(result).add(coef[i]) : y.mul(result).add(coef[i]);
  }
  return result as Tensor;
}

const I0_SMALL = [1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2];
const I0_LARGE = [
  0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2, -0.2057706e-1, 0.2635537e-1,
  -0.1647633e-1, 0.392377e-2,
];
const I1_SMALL = [0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3];
const I1_LARGE = [
  0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1, 0.2282967e-1, -0.2895312e-1,
  0.1787654e-1, -0.420059e-2,
];

/** log I_order(x) for order 0 or 1 by Abramowitz and Stegun's polynomial approximations */
function logModifiedBesselFn(x: Tensor, order: 0 | 1): Tensor {
  const y0 = x.div(3.75);
  let small = evalPoly(y0.mul(y0), order === 0 ? I0_SMALL : I1_SMALL);
  if (order === 1) small = x.abs().mul(small);
  small = small.log();
  const y = x.reciprocal().mul(3.75);
  const large = x.sub(x.log().mul(0.5)).add(evalPoly(y, order === 0 ? I0_LARGE : I1_LARGE).log());
  return where(x.lt(3.75), small, large);
}

/**
 * The von Mises distribution on the circle (torch.distributions.VonMises).
 * @example new torch.distributions.VonMises(torch.tensor([0.0]), torch.tensor([1.0])).logProb(torch.tensor([0.0])) // tensor([-1.0738])
 */
export class VonMises extends Distribution {
  private proposalR!: Tensor;
  constructor(
    ...args:
      | [loc: TensorLike, concentration: TensorLike, options?: DistributionOptions]
      | [
          options: {
            /** the mean angle */
            loc: TensorLike;
            /** κ, the concentration */
            concentration: TensorLike;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      loc: TensorLike;
      concentration: TensorLike;
      validateArgs: boolean | null;
    }>("VonMises", args, ["loc", "concentration", "validateArgs"], { validateArgs: null });
    [this.params.loc, this.params.concentration] = broadcastAll(a.loc, a.concentration);
    const k = this.concentration;
    const tau = k.pow(2).mul(4).add(1).sqrt().add(1);
    const rho = tau.sub(tau.mul(2).sqrt()).div(k.mul(2));
    this.proposalR = rho.pow(2).add(1).div(rho.mul(2));
    this.init(this.loc.shape, [], a.validateArgs);
  }
  /** the mean angle */
  get loc(): Tensor {
    return this.params.loc;
  }
  /** κ */
  get concentration(): Tensor {
    return this.params.concentration;
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return { loc: C.real, concentration: C.positive };
  }
  override get support(): C.Constraint {
    return C.real;
  }
  override logProb(value: Tensor): Tensor {
    if (this.validateArgs) this.validateSample(value);
    // κ cos(x - loc) - log(2π) - log I0(κ)
    return this.concentration
      .mul(cos(value.sub(this.loc)))
      .sub(Math.log(2 * Math.PI))
      .sub(logModifiedBesselFn(this.concentration, 0));
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    return noGrad(() => {
      // Best and Fisher's rejection sampler, three uniforms per element per round
      const shape = this.extendedShape(sampleShape);
      const dtype = this.loc.dtype;
      let x = zeros(shape, { dtype });
      let done = zeros(shape, { dtype: bool });
      const r = this.proposalR;
      while (!done.all().item()) {
        const [u1, u2, u3] = rand([3, ...shape], { dtype }).unbind();
        const z = cos(u1.mul(Math.PI));
        const f = r.mul(z).add(1).div(r.add(z));
        const c = this.concentration.mul(r.sub(f));
        const accept = c
          .mul(c.neg().add(2))
          .sub(u2)
          .gt(0)
          .logicalOr(c.div(u2).log().add(1).sub(c).ge(0));
        if (accept.any().item()) {
          x = where(accept, u3.sub(0.5).sign().mul(f.acos()), x);
          done = done.logicalOr(accept);
        }
      }
      return x
        .add(Math.PI)
        .add(this.loc)
        .remainder(2 * Math.PI)
        .sub(Math.PI);
    });
  }
  override expand(batchShape: ShapeLike): VonMises {
    return new VonMises(
      this.loc.expand([...batchShape]),
      this.concentration.expand([...batchShape]),
      {
        validateArgs: this._validateArgs ?? null,
      },
    );
  }
  override get mean(): Tensor {
    return this.loc;
  }
  override get mode(): Tensor {
    return this.loc;
  }
  override get variance(): Tensor {
    return this.lazy("variance", () =>
      logModifiedBesselFn(this.concentration, 1)
        .sub(logModifiedBesselFn(this.concentration, 0))
        .exp()
        .neg()
        .add(1),
    );
  }
}
