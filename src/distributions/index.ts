/**
 * torch.distributions: probability distributions with sampling (exactly PyTorch's draws for a
 * seeded generator), reparameterized samples, log densities, KL divergences, constraints and
 * transforms, as PyTorch 1.13's package.
 * @example
 * torch.manualSeed(0);
 * const d = new torch.distributions.Normal(torch.tensor([0.0]), torch.tensor([1.0]));
 * d.logProb(d.sample()); // tensor([-2.1063])
 */
export { Distribution, ExponentialFamily, type DistributionOptions } from "./distribution.js";
export { Normal, Uniform, Exponential, Laplace, Cauchy, type LocScaleArgs } from "./continuous.js";
export {
  Bernoulli,
  Categorical,
  OneHotCategorical,
  OneHotCategoricalStraightThrough,
  Geometric,
  type ProbsLogitsArgs,
} from "./discrete.js";
export { Independent } from "./independent.js";
export { MultivariateNormal, type MultivariateNormalOptions } from "./multivariate-normal.js";
export {
  TransformedDistribution,
  LogNormal,
  HalfNormal,
  Gumbel,
  HalfCauchy,
  Pareto,
  Weibull,
  Kumaraswamy,
  LogisticNormal,
} from "./transformed.js";
export { ContinuousBernoulli } from "./continuous-bernoulli.js";
export { MixtureSameFamily } from "./mixture.js";
export { LowRankMultivariateNormal, VonMises } from "./lowrank-vonmises.js";
export { LKJCholesky } from "./lkj.js";
export { Wishart, type WishartOptions } from "./wishart.js";
export { Gamma, Chi2, StudentT, Poisson, FisherSnedecor, NegativeBinomial } from "./gamma.js";
export {
  LogitRelaxedBernoulli,
  RelaxedBernoulli,
  ExpRelaxedCategorical,
  RelaxedOneHotCategorical,
  type RelaxedArgs,
} from "./relaxed.js";
export { Dirichlet, Beta } from "./dirichlet.js";
export { Binomial, Multinomial, type BinomialArgs } from "./binomial.js";
export { klDivergence, registerKl, type KlFn, type DistributionClass, type ClassOf } from "./kl.js";
export {
  bijectTo,
  transformTo,
  ConstraintRegistry,
  type ConstraintKey,
} from "./constraint-registry.js";
/** torch.distributions.constraints: the regions parameters and values must lie in. */
export * as constraints from "./constraints.js";
export {
  Transform,
  AbsTransform,
  AffineTransform,
  CatTransform,
  ComposeTransform,
  CorrCholeskyTransform,
  CumulativeDistributionTransform,
  ExpTransform,
  IndependentTransform,
  LowerCholeskyTransform,
  PowerTransform,
  ReshapeTransform,
  SigmoidTransform,
  SoftmaxTransform,
  SoftplusTransform,
  StackTransform,
  StickBreakingTransform,
  TanhTransform,
  identityTransform,
} from "./transforms.js";
/** torch.distributions.transforms: invertible maps for TransformedDistribution. */
export * as transforms from "./transforms.js";
/** The samplers of ATen torch.distributions draws through (_standard_gamma, poisson, ...). */
export * as samplers from "../registry/samplers.js";
/** torch.distributions.utils: broadcastAll, probsToLogits, logitsToProbs, clampProbs. */
export * as utils from "./utils.js";
export type { TensorLike, ShapeLike } from "./utils.js";
