/**
 * kl_divergence and register_kl (kl.py): KL(p ‖ q) by the most specific registered pair of
 * distribution classes, with PyTorch's closed forms for the pairs of the distributions here.
 */
import type { Tensor } from "../tensor.js";
import {
  diagEmbed,
  digamma,
  fullLike,
  lgamma,
  matmul,
  onesLike,
  where,
} from "../generated/functions.js";
import { solveTriangular } from "../generated/linalg.js";
import { softplus } from "../generated/nn-functional.js";
import { broadcastShapes } from "../registry/ops/misc.js";
import { warn } from "../registry/ops/nn.js";
import { grad as gradOf } from "../autograd/api.js";
import { notImplementedError, typeError, valueError } from "../errors.js";
import { Distribution, ExponentialFamily } from "./distribution.js";
import { Cauchy, Exponential, Laplace, Normal, Uniform } from "./continuous.js";
import { Bernoulli, Categorical, Geometric, OneHotCategorical } from "./discrete.js";
import { Independent } from "./independent.js";
import { Gamma, Poisson } from "./gamma.js";
import { Beta, Dirichlet } from "./dirichlet.js";
import { Binomial } from "./binomial.js";
import { ContinuousBernoulli } from "./continuous-bernoulli.js";
import {
  LowRankMultivariateNormal,
  lowrankLogdet,
  lowrankMahalanobis,
} from "./lowrank-vonmises.js";
import { MultivariateNormal, batchMahalanobis } from "./multivariate-normal.js";
import { Gumbel, HalfNormal, Pareto, TransformedDistribution } from "./transformed.js";
import { eulerConstant, sameShape, sumRightmost } from "./utils.js";

/** A class whose instances are P (abstract ones included), whatever its constructor takes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any constructor signature
export type ClassOf<P> = abstract new (...args: any[]) => P;
/** A distribution class. */
export type DistributionClass = ClassOf<Distribution>;

/** A KL implementation for a pair of classes. */
export type KlFn<P extends Distribution = Distribution, Q extends Distribution = Distribution> = (
  p: P,
  q: Q,
) => Tensor;

const REGISTRY = new Map<DistributionClass, Map<DistributionClass, KlFn>>();
const MEMO = new Map<DistributionClass, Map<DistributionClass, KlFn | null>>();

const isSubclass = (a: DistributionClass, b: DistributionClass): boolean =>
  a === b || a.prototype instanceof b;

/**
 * Registers `fn` as KL(p ‖ q) for p of class `typeP` and q of class `typeQ` (register_kl); the
 * most specific registered pair wins.
 * @example
 * class MyNormal extends torch.distributions.Normal {}
 * torch.distributions.registerKl(MyNormal, MyNormal, (p, q) => torch.zeros(p.batchShape));
 */
export function registerKl<P extends Distribution, Q extends Distribution>(
  typeP: ClassOf<P>,
  typeQ: ClassOf<Q>,
  fn: KlFn<P, Q>,
): KlFn<P, Q> {
  for (const [t, which] of [
    [typeP, "p"],
    [typeQ, "q"],
  ] as const) {
    if (typeof t !== "function" || !isSubclass(t, Distribution))
      throw typeError(`Expected type_${which} to be a Distribution subclass but got ${String(t)}`);
  }
  const P: DistributionClass = typeP;
  const Q: DistributionClass = typeQ;
  let row = REGISTRY.get(P);
  if (!row) REGISTRY.set(P, (row = new Map()));
  row.set(Q, fn as KlFn);
  MEMO.clear();
  return fn;
}

/** _Match.__le__: lexicographic by subclass, stopping at the first differing type. */
function matchLe(a: DistributionClass[], b: DistributionClass[]): boolean {
  for (let i = 0; i < a.length; i++) {
    if (!isSubclass(a[i], b[i])) return false;
    if (a[i] !== b[i]) break;
  }
  return true;
}

/** min over `_Match`es as Python's min() does (the first of the smallest). */
function minMatch(ms: DistributionClass[][]): DistributionClass[] {
  let best = ms[0];
  for (const m of ms.slice(1)) if (!matchLe(best, m)) best = m;
  return best;
}

/** _dispatch_kl: the most specific match, warning when the two orders disagree. */
function dispatch(typeP: DistributionClass, typeQ: DistributionClass): KlFn | null {
  const matches: DistributionClass[][] = [];
  for (const [sp, row] of REGISTRY) {
    for (const sq of row.keys()) {
      if (isSubclass(typeP, sp) && isSubclass(typeQ, sq)) matches.push([sp, sq]);
    }
  }
  if (matches.length === 0) return null;
  const [leftP, leftQ] = minMatch(matches);
  const [rightQ, rightP] = minMatch(matches.map((m) => [m[1], m[0]]));
  const leftFn = REGISTRY.get(leftP)?.get(leftQ) as KlFn;
  const rightFn = REGISTRY.get(rightP)?.get(rightQ) as KlFn;
  if (leftFn !== rightFn) {
    warn(
      `Ambiguous kl_divergence(${typeP.name}, ${typeQ.name}). Please register_kl(${leftP.name}, ${rightQ.name})`,
    );
  }
  return leftFn;
}

/**
 * KL(p ‖ q), batched over the batch shape (kl_divergence).
 * @example
 * const p = new torch.distributions.Normal(0, 1);
 * const q = new torch.distributions.Normal(1, 2);
 * torch.distributions.klDivergence(p, q); // tensor(0.4431)
 */
export function klDivergence(p: Distribution, q: Distribution): Tensor {
  const tp = p.constructor as DistributionClass;
  const tq = q.constructor as DistributionClass;
  let row = MEMO.get(tp);
  if (!row) MEMO.set(tp, (row = new Map()));
  let fn = row.get(tq);
  if (fn === undefined) {
    fn = dispatch(tp, tq);
    row.set(tq, fn);
  }
  if (fn === null) {
    throw notImplementedError(
      `No KL(p || q) is implemented for p type ${p.name} and q type ${q.name}`,
    );
  }
  return fn(p, q);
}

/** a tensor of inf like `t` */
const infiniteLike = (t: Tensor): Tensor => fullLike(t, Infinity);

/** the trace of X Xᵀ over trailing batch dims */
function batchTraceXXT(bmat: Tensor): Tensor {
  const n = bmat.size(-1);
  const m = bmat.size(-2);
  return bmat
    .reshape([-1, m * n])
    .pow(2)
    .sum(-1)
    .reshape(bmat.shape.slice(0, -2));
}

// ---- same families ----

registerKl(Bernoulli, Bernoulli, (p, q) => {
  const t1 = p.probs
    .mul(softplus(q.logits.neg()).sub(softplus(p.logits.neg())))
    .maskedFill(q.probs.eq(0), Infinity);
  const t1b = t1.maskedFill(p.probs.eq(0), 0);
  const t2 = p.probs
    .neg()
    .add(1)
    .mul(softplus(q.logits).sub(softplus(p.logits)))
    .maskedFill(q.probs.eq(1), Infinity);
  const t2b = t2.maskedFill(p.probs.eq(1), 0);
  return t1b.add(t2b);
});

/** Σ p (log p - log q), inf where q = 0 < p */
function klCategorical(p: Categorical, q: Categorical): Tensor {
  const t = p.probs.mul(p.logits.sub(q.logits));
  const t1 = t.maskedFill(q.probs.eq(0).expandAs(t), Infinity);
  return t1.maskedFill(p.probs.eq(0).expandAs(t), 0).sum(-1);
}
registerKl(Categorical, Categorical, klCategorical);

registerKl(Exponential, Exponential, (p, q) => {
  const rateRatio = q.rate.div(p.rate);
  return rateRatio.log().neg().add(rateRatio).sub(1);
});

registerKl(ExponentialFamily, ExponentialFamily, (p, q) => {
  if (p.constructor !== q.constructor) {
    throw notImplementedError(
      "The cross KL-divergence between different exponential families cannot " +
        "                            be computed using Bregman divergences",
    );
  }
  // the Bregman divergence of the log normalizer: A(θq) - A(θp) - (θq - θp)·∇A(θp)
  const pNparams = p.naturalParams.map((np) => np.detach().requiresGrad_());
  const qNparams = q.naturalParams;
  const lgNormal = p.logNormalizer(...pNparams);
  const gradients = gradOf(lgNormal.sum(), pNparams, { createGraph: true });
  let result = q.logNormalizer(...qNparams).sub(lgNormal);
  pNparams.forEach((pnp, i) => {
    const term = qNparams[i].sub(pnp).mul(gradients[i] as Tensor);
    result = result.sub(sumRightmost(term, q.eventShape.length));
  });
  return result;
});

registerKl(Gumbel, Gumbel, (p, q) => {
  const ct1 = p.scale.div(q.scale);
  const ct2 = q.loc.div(q.scale);
  const ct3 = p.loc.div(q.scale);
  const t1 = ct1.log().neg().sub(ct2).add(ct3);
  const t2 = ct1.mul(eulerConstant);
  const t3 = ct2.add(ct1.add(1).lgamma()).sub(ct3).exp();
  return t1
    .add(t2)
    .add(t3)
    .sub(1 + eulerConstant);
});

registerKl(Geometric, Geometric, (p, q) =>
  p.entropy().neg().sub(q.probs.neg().log1p().div(p.probs)).sub(q.logits),
);

/** KL of two normals: (r + ((μp - μq)/σq)² - 1 - log r) / 2, r = (σp/σq)² */
function klNormalNormal(p: Normal, q: Normal): Tensor {
  const varRatio = p.scale.div(q.scale).pow(2);
  const t1 = p.loc.sub(q.loc).div(q.scale).pow(2);
  return varRatio.add(t1).sub(1).sub(varRatio.log()).mul(0.5);
}
registerKl(Normal, Normal, klNormalNormal);

registerKl(HalfNormal, HalfNormal, (p, q) =>
  klNormalNormal(p.baseDist as Normal, q.baseDist as Normal),
);

registerKl(Laplace, Laplace, (p, q) => {
  const scaleRatio = p.scale.div(q.scale);
  const locAbsDiff = p.loc.sub(q.loc).abs();
  const t1 = scaleRatio.log().neg();
  const t2 = locAbsDiff.div(q.scale);
  const t3 = scaleRatio.mul(locAbsDiff.neg().div(p.scale).exp());
  return t1.add(t2).add(t3).sub(1);
});

registerKl(MultivariateNormal, MultivariateNormal, (p, q) => {
  if (!sameShape(p.eventShape, q.eventShape)) {
    throw valueError(
      "KL-divergence between two Multivariate Normals with                          different event shapes cannot be computed",
    );
  }
  const pL = p._unbroadcastedScaleTril;
  const qL = q._unbroadcastedScaleTril;
  const halfTerm1 = qL
    .diagonal(0, -2, -1)
    .log()
    .sum(-1)
    .sub(pL.diagonal(0, -2, -1).log().sum(-1));
  const combined = broadcastShapes(qL.shape.slice(0, -2), pL.shape.slice(0, -2));
  const n = p.eventShape[0];
  const qTril = qL.expand([...combined, n, n]);
  const pTril = pL.expand([...combined, n, n]);
  const term2 = batchTraceXXT(solveTriangular(qTril, pTril, { upper: false }));
  const term3 = batchMahalanobis(qL, q.loc.sub(p.loc));
  return halfTerm1.add(term2.add(term3).sub(n).mul(0.5));
});

registerKl(OneHotCategorical, OneHotCategorical, (p, q) =>
  klCategorical(p._categorical, q._categorical),
);

registerKl(TransformedDistribution, TransformedDistribution, (p, q) => {
  const same =
    p.transforms.length === q.transforms.length &&
    p.transforms.every((t, i) => t.equals(q.transforms[i]));
  if (!same) throw notImplementedError("");
  if (!sameShape(p.eventShape, q.eventShape)) throw notImplementedError("");
  return klDivergence(p.baseDist, q.baseDist);
});

registerKl(Uniform, Uniform, (p, q) => {
  const result = q.high.sub(q.low).div(p.high.sub(p.low)).log();
  return result.maskedFill(q.low.gt(p.low).logicalOr(q.high.lt(p.high)), Infinity);
});

registerKl(Independent, Independent, (p, q) => {
  if (p.reinterpretedBatchNdims !== q.reinterpretedBatchNdims) throw notImplementedError("");
  return sumRightmost(klDivergence(p.baseDist, q.baseDist), p.reinterpretedBatchNdims);
});

registerKl(Cauchy, Cauchy, (p, q) => {
  // log((σp + σq)² + (μp - μq)²) - log(4 σp σq)
  const t1 = p.scale.add(q.scale).pow(2).add(p.loc.sub(q.loc).pow(2)).log();
  const t2 = p.scale.mul(4).mul(q.scale).log();
  return t1.sub(t2);
});

// ---- different families ----

for (const Q of [Uniform] as const) registerKl(Exponential, Q, (p) => infiniteLike(p.rate));

registerKl(Exponential, Gumbel, (p, q) => {
  const scaleRateProd = p.rate.mul(q.scale);
  const locScaleRatio = q.loc.div(q.scale);
  const t1 = scaleRateProd.log().sub(1);
  const t2 = locScaleRatio.exp().mul(scaleRateProd).div(scaleRateProd.add(1));
  const t3 = scaleRateProd.reciprocal();
  return t1.sub(locScaleRatio).add(t2).add(t3);
});

registerKl(Exponential, Normal, (p, q) => {
  const varNormal = q.scale.pow(2);
  const rateSqr = p.rate.pow(2);
  const t1 = rateSqr.mul(varNormal).mul(2).mul(Math.PI).log().mul(0.5);
  const t2 = rateSqr.reciprocal();
  const t3 = q.loc.div(p.rate);
  const t4 = q.loc.pow(2).mul(0.5);
  return t1.sub(1).add(t2.sub(t3).add(t4).div(varNormal));
});

for (const Q of [Exponential, Uniform] as DistributionClass[])
  registerKl(Gumbel, Q, (p) => infiniteLike(p.loc));

registerKl(Gumbel, Normal, (p, q) => {
  const paramRatio = p.scale.div(q.scale);
  const t1 = paramRatio.div(Math.sqrt(2 * Math.PI)).log();
  const t2 = paramRatio.mul(Math.PI).mul(0.5).pow(2).div(3);
  const t3 = p.loc.add(p.scale.mul(eulerConstant)).sub(q.loc).div(q.scale).pow(2).mul(0.5);
  return t1
    .neg()
    .add(t2)
    .add(t3)
    .sub(eulerConstant + 1);
});

for (const Q of [Exponential, Uniform] as DistributionClass[])
  registerKl(Laplace, Q, (p) => infiniteLike(p.loc));

registerKl(Laplace, Normal, (p, q) => {
  const varNormal = q.scale.pow(2);
  const scaleSqrVarRatio = p.scale.pow(2).div(varNormal);
  const t1 = scaleSqrVarRatio.mul(2).div(Math.PI).log().mul(0.5);
  const t2 = p.loc.pow(2).mul(0.5);
  const t3 = p.loc.mul(q.loc);
  const t4 = q.loc.pow(2).mul(0.5);
  return t1.neg().add(scaleSqrVarRatio).add(t2.sub(t3).add(t4).div(varNormal)).sub(1);
});

for (const Q of [Exponential, Uniform] as DistributionClass[])
  registerKl(Normal, Q, (p) => infiniteLike(p.loc));

registerKl(Normal, Gumbel, (p, q) => {
  const meanScaleRatio = p.loc.div(q.scale);
  const varScaleSqrRatio = p.scale.div(q.scale).pow(2);
  const locScaleRatio = q.loc.div(q.scale);
  const t1 = varScaleSqrRatio.log().mul(0.5);
  const t2 = meanScaleRatio.sub(locScaleRatio);
  const t3 = meanScaleRatio.neg().add(varScaleSqrRatio.mul(0.5)).add(locScaleRatio).exp();
  return t1
    .neg()
    .add(t2)
    .add(t3)
    .sub(0.5 * (1 + Math.log(2 * Math.PI)));
});

registerKl(Normal, Laplace, (p, q) => {
  const locDiff = p.loc.sub(q.loc);
  const scaleRatio = p.scale.div(q.scale);
  const locDiffScaleRatio = locDiff.div(p.scale);
  const t1 = scaleRatio.log();
  const t2 = p.scale.mul(Math.sqrt(2 / Math.PI)).mul(locDiffScaleRatio.pow(2).mul(-0.5).exp());
  const t3 = locDiff.mul(locDiffScaleRatio.mul(Math.sqrt(0.5)).erf());
  return t1
    .neg()
    .add(t2.add(t3).div(q.scale))
    .sub(0.5 * (1 + Math.log(0.5 * Math.PI)));
});

registerKl(Uniform, Exponential, (p, q) => {
  const result = q.rate.mul(p.high.add(p.low)).div(2).sub(p.high.sub(p.low).mul(q.rate).log());
  return result.maskedFill(p.low.lt(0), Infinity);
});

registerKl(Uniform, Gumbel, (p, q) => {
  const commonTerm = q.scale.div(p.high.sub(p.low));
  const highLocDiff = p.high.sub(q.loc).div(q.scale);
  const lowLocDiff = p.low.sub(q.loc).div(q.scale);
  const t1 = commonTerm.log().add(highLocDiff.add(lowLocDiff).mul(0.5));
  const t2 = commonTerm.mul(highLocDiff.neg().exp().sub(lowLocDiff.neg().exp()));
  return t1.sub(t2);
});

registerKl(Uniform, Normal, (p, q) => {
  const commonTerm = p.high.sub(p.low);
  const t1 = q.scale
    .mul(Math.sqrt(Math.PI * 2))
    .div(commonTerm)
    .log();
  const t2 = commonTerm.pow(2).div(12);
  const t3 = p.high.add(p.low).sub(q.loc.mul(2)).div(2).pow(2);
  return t1.add(t2.add(t3).mul(0.5).div(q.scale.pow(2)));
});

// ---- the gamma and Poisson families ----

registerKl(Gamma, Gamma, (p, q) => {
  const t1 = q.concentration.mul(p.rate.div(q.rate).log());
  const t2 = lgamma(q.concentration).sub(lgamma(p.concentration));
  const t3 = p.concentration.sub(q.concentration).mul(digamma(p.concentration));
  const t4 = q.rate.sub(p.rate).mul(p.concentration.div(p.rate));
  return t1.add(t2).add(t3).add(t4);
});

registerKl(Poisson, Poisson, (p, q) =>
  p.rate.mul(p.rate.log().sub(q.rate.log())).sub(p.rate.sub(q.rate)),
);

registerKl(Bernoulli, Poisson, (p, q) =>
  p.entropy().neg().sub(p.probs.mul(q.rate.log()).sub(q.rate)),
);

registerKl(Exponential, Gamma, (p, q) => {
  const ratio = q.rate.div(p.rate);
  const t1 = q.concentration.neg().mul(ratio.log());
  return t1
    .add(ratio)
    .add(lgamma(q.concentration))
    .add(q.concentration.mul(eulerConstant))
    .sub(1 + eulerConstant);
});

registerKl(Gamma, Uniform, (p) => infiniteLike(p.concentration));

registerKl(Gamma, Exponential, (p, q) =>
  p.entropy().neg().sub(q.rate.log()).add(q.rate.mul(p.concentration).div(p.rate)),
);

registerKl(Gamma, Gumbel, (p, q) => {
  const betaScaleProd = p.rate.mul(q.scale);
  const locScaleRatio = q.loc.div(q.scale);
  const a = p.concentration;
  const t1 = a.sub(1).mul(digamma(a)).sub(lgamma(a)).sub(a);
  const t2 = betaScaleProd.log().add(a.div(betaScaleProd));
  const t3 = locScaleRatio
    .exp()
    .mul(betaScaleProd.reciprocal().add(1).pow(a.neg()))
    .sub(locScaleRatio);
  return t1.add(t2).add(t3);
});

registerKl(Gamma, Normal, (p, q) => {
  const varNormal = q.scale.pow(2);
  const betaSqr = p.rate.pow(2);
  const a = p.concentration;
  const t1 = betaSqr.mul(varNormal).mul(2).mul(Math.PI).log().mul(0.5).sub(a).sub(lgamma(a));
  const t2 = a.pow(2).add(a).mul(0.5).div(betaSqr);
  const t3 = q.loc.mul(a).div(p.rate);
  const t4 = q.loc.pow(2).mul(0.5);
  return t1.add(a.sub(1).mul(digamma(a))).add(t2.sub(t3).add(t4).div(varNormal));
});

for (const P of [Gumbel, Laplace, Normal] as DistributionClass[])
  registerKl(P, Gamma, (p) => infiniteLike((p as Normal).loc));

registerKl(Poisson, Bernoulli, (p) => infiniteLike(p.rate));

registerKl(Uniform, Gamma, (p, q) => {
  const commonTerm = p.high.sub(p.low);
  const t1 = commonTerm.log();
  const t2 = lgamma(q.concentration).sub(q.concentration.mul(q.rate.log()));
  const xLogX = (t: Tensor): Tensor => t.mul(t.log());
  const t3 = q.concentration
    .neg()
    .add(1)
    .mul(xLogX(p.high).sub(xLogX(p.low)).sub(commonTerm))
    .div(commonTerm);
  const t4 = q.rate.mul(p.high.add(p.low)).div(2);
  return t1.neg().add(t2).add(t3).add(t4).maskedFill(p.low.lt(0), Infinity);
});

// ---- Dirichlet and Beta ----

registerKl(Beta, Beta, (p, q) => {
  const sumP = p.concentration1.add(p.concentration0);
  const sumQ = q.concentration1.add(q.concentration0);
  const t1 = lgamma(q.concentration1).add(lgamma(q.concentration0)).add(lgamma(sumP));
  const t2 = lgamma(p.concentration1).add(lgamma(p.concentration0)).add(lgamma(sumQ));
  const t3 = p.concentration1.sub(q.concentration1).mul(digamma(p.concentration1));
  const t4 = p.concentration0.sub(q.concentration0).mul(digamma(p.concentration0));
  const t5 = sumQ.sub(sumP).mul(digamma(sumP));
  return t1.sub(t2).add(t3).add(t4).add(t5);
});

registerKl(Dirichlet, Dirichlet, (p, q) => {
  const sumP = p.concentration.sum(-1);
  const sumQ = q.concentration.sum(-1);
  const t1 = lgamma(sumP).sub(lgamma(sumQ));
  const t2 = lgamma(p.concentration).sub(lgamma(q.concentration)).sum(-1);
  const t3 = p.concentration.sub(q.concentration);
  const t4 = digamma(p.concentration).sub(digamma(sumP).unsqueeze(-1));
  return t1.sub(t2).add(t3.mul(t4).sum(-1));
});

registerKl(Beta, Exponential, (p, q) =>
  p
    .entropy()
    .neg()
    .sub(q.rate.log())
    .add(q.rate.mul(p.concentration1.div(p.concentration1.add(p.concentration0)))),
);

registerKl(Beta, Gamma, (p, q) => {
  const t1 = p.entropy().neg();
  const t2 = lgamma(q.concentration).sub(q.concentration.mul(q.rate.log()));
  const t3 = q.concentration
    .sub(1)
    .mul(digamma(p.concentration1).sub(digamma(p.concentration1.add(p.concentration0))));
  const t4 = q.rate.mul(p.concentration1).div(p.concentration1.add(p.concentration0));
  return t1.add(t2).sub(t3).add(t4);
});

registerKl(Beta, Normal, (p, q) => {
  const total = p.concentration1.add(p.concentration0);
  const eBeta = p.concentration1.div(total);
  const varNormal = q.scale.pow(2);
  const t1 = p.entropy().neg();
  const t2 = varNormal.mul(2).mul(Math.PI).log().mul(0.5);
  const t3 = eBeta.mul(eBeta.neg().add(1)).div(total.add(1)).add(eBeta.pow(2)).mul(0.5);
  const t4 = q.loc.mul(eBeta);
  const t5 = q.loc.pow(2).mul(0.5);
  return t1.add(t2).add(t3.sub(t4).add(t5).div(varNormal));
});

registerKl(Beta, Uniform, (p, q) => {
  const result = p.entropy().neg().add(q.high.sub(q.low).log());
  return result.maskedFill(q.low.gt(0).logicalOr(q.high.lt(1)), Infinity);
});

for (const P of [Exponential, Gamma] as DistributionClass[])
  registerKl(P, Beta, (p) => infiniteLike((p as Gamma).rate));
for (const P of [Gumbel, Laplace, Normal] as DistributionClass[])
  registerKl(P, Beta, (p) => infiniteLike((p as Normal).loc));

registerKl(Uniform, Beta, (p, q) => {
  const commonTerm = p.high.sub(p.low);
  const xLogX = (t: Tensor): Tensor => t.mul(t.log());
  const t1 = commonTerm.log();
  const t2 = q.concentration1
    .sub(1)
    .mul(xLogX(p.high).sub(xLogX(p.low)).sub(commonTerm))
    .div(commonTerm);
  const t3 = q.concentration0
    .sub(1)
    .mul(
      xLogX(p.high.neg().add(1))
        .sub(xLogX(p.low.neg().add(1)))
        .add(commonTerm),
    )
    .div(commonTerm);
  const t4 = lgamma(q.concentration1)
    .add(lgamma(q.concentration0))
    .sub(lgamma(q.concentration1.add(q.concentration0)));
  const result = t3.add(t4).sub(t1).sub(t2);
  return result.maskedFill(p.high.gt(1).logicalOr(p.low.lt(0)), Infinity);
});

// ---- Pareto ----

registerKl(Pareto, Pareto, (p, q) => {
  const scaleRatio = p.scale.div(q.scale);
  const alphaRatio = q.alpha.div(p.alpha);
  const t1 = q.alpha.mul(scaleRatio.log());
  const t2 = alphaRatio.log().neg();
  const result = t1.add(t2).add(alphaRatio).sub(1);
  return result.maskedFill(p.scale.lt(q.scale), Infinity);
});

registerKl(Pareto, Exponential, (p, q) => {
  const scaleRateProd = p.scale.mul(q.rate);
  const t1 = p.alpha.div(scaleRateProd).log();
  const t2 = p.alpha.reciprocal();
  const t3 = p.alpha.mul(scaleRateProd).div(p.alpha.sub(1));
  return t1.sub(t2).add(t3).sub(1).maskedFill(p.alpha.le(1), Infinity);
});

registerKl(Pareto, Gamma, (p, q) => {
  const commonTerm = p.scale.log().add(p.alpha.reciprocal());
  const t1 = p.alpha.log().sub(commonTerm);
  const t2 = lgamma(q.concentration).sub(q.concentration.mul(q.rate.log()));
  const t3 = q.concentration.neg().add(1).mul(commonTerm);
  const t4 = q.rate.mul(p.alpha).mul(p.scale).div(p.alpha.sub(1));
  return t1.add(t2).add(t3).add(t4).sub(1).maskedFill(p.alpha.le(1), Infinity);
});

registerKl(Pareto, Normal, (p, q) => {
  const varNormal = q.scale.pow(2).mul(2);
  const commonTerm = p.scale.div(p.alpha.sub(1));
  const t1 = q.scale
    .mul(Math.sqrt(2 * Math.PI))
    .mul(p.alpha)
    .div(p.scale)
    .log();
  const t2 = p.alpha.reciprocal();
  const t3 = p.alpha.mul(commonTerm.pow(2)).div(p.alpha.sub(2));
  const t4 = p.alpha.mul(commonTerm).sub(q.loc).pow(2);
  const result = t1.sub(t2).add(t3.add(t4).div(varNormal)).sub(1);
  return result.maskedFill(p.alpha.le(2), Infinity);
});

for (const Q of [Beta, Uniform] as DistributionClass[])
  registerKl(Pareto, Q, (p) => infiniteLike((p as Pareto).scale));
registerKl(Exponential, Pareto, (p) => infiniteLike(p.rate));
registerKl(Gamma, Pareto, (p) => infiniteLike(p.concentration));
registerKl(Beta, Pareto, (p) => infiniteLike(p.concentration1));
for (const P of [Gumbel, Laplace, Normal] as DistributionClass[])
  registerKl(P, Pareto, (p) => infiniteLike((p as Normal).loc));

registerKl(Uniform, Pareto, (p, q) => {
  const support = p.high.sub(p.low);
  const xLogX = (t: Tensor): Tensor => t.mul(t.log());
  const t1 = q.alpha.mul(q.scale.pow(q.alpha)).mul(support).log();
  const t2 = xLogX(p.high).sub(xLogX(p.low)).sub(support).div(support);
  const result = t2.mul(q.alpha.add(1)).sub(t1);
  return result.maskedFill(p.low.lt(q.scale), Infinity);
});

// ---- Binomial ----

registerKl(Binomial, Binomial, (p, q) => {
  if (p.totalCount.lt(q.totalCount).any().item()) {
    throw notImplementedError(
      "KL between Binomials where q.total_count > p.total_count is not implemented",
    );
  }
  const kl = p.totalCount.mul(
    p.probs.mul(p.logits.sub(q.logits)).add(p.probs.neg().log1p()).sub(q.probs.neg().log1p()),
  );
  return kl.maskedFill(p.totalCount.gt(q.totalCount), Infinity);
});

registerKl(Poisson, Binomial, (p) => infiniteLike(p.rate));

// ---- ContinuousBernoulli ----

registerKl(ContinuousBernoulli, ContinuousBernoulli, (p, q) => {
  const t1 = p.mean.mul(p.logits.sub(q.logits));
  const t2 = p.contBernLogNorm().add(p.probs.neg().log1p());
  const t3 = q.contBernLogNorm().neg().sub(q.probs.neg().log1p());
  return t1.add(t2).add(t3);
});

registerKl(Beta, ContinuousBernoulli, (p, q) =>
  p.entropy().neg().sub(p.mean.mul(q.logits)).sub(q.probs.neg().log1p()).sub(q.contBernLogNorm()),
);

registerKl(ContinuousBernoulli, Pareto, (p) => infiniteLike(p.probs));

registerKl(ContinuousBernoulli, Exponential, (p, q) =>
  p.entropy().neg().sub(q.rate.log()).add(q.rate.mul(p.mean)),
);

registerKl(ContinuousBernoulli, Normal, (p, q) => {
  const t1 = p.entropy().neg();
  const t2 = q.loc
    .div(q.scale)
    .square()
    .add(Math.log(2 * Math.PI))
    .mul(0.5)
    .add(q.scale.log());
  const t3 = p.variance
    .add(p.mean.square())
    .sub(q.loc.mul(2).mul(p.mean))
    .div(q.scale.square().mul(2.0));
  return t1.add(t2).add(t3);
});

registerKl(ContinuousBernoulli, Uniform, (p, q) => {
  const result = p.entropy().neg().add(q.high.sub(q.low).log());
  const out = q.low.ge(0).logicalOr(q.high.le(1));
  return where(out, onesLike(result).mul(Infinity), result);
});

for (const P of [Exponential, Gamma, Pareto] as DistributionClass[])
  registerKl(P, ContinuousBernoulli, (p) =>
    infiniteLike(
      p instanceof Exponential
        ? p.rate
        : p instanceof Gamma
          ? p.concentration
          : (p as Pareto).scale,
    ),
  );
for (const P of [Gumbel, Laplace, Normal] as DistributionClass[])
  registerKl(P, ContinuousBernoulli, (p) => infiniteLike((p as Normal).loc));

registerKl(Uniform, ContinuousBernoulli, (p, q) => {
  const result = p
    .entropy()
    .neg()
    .sub(p.mean.mul(q.logits))
    .sub(q.probs.neg().log1p())
    .sub(q.contBernLogNorm());
  const out = p.high.ge(1).logicalOr(p.low.le(0));
  return where(out, onesLike(result).mul(Infinity), result);
});

// ---- LowRankMultivariateNormal ----

/** ValueError for mismatched event shapes of (low-rank) multivariate normals */
function checkEvents(p: Distribution, q: Distribution, what: string): void {
  if (!sameShape(p.eventShape, q.eventShape)) {
    throw valueError(
      `KL-divergence between two ${what} with                          different event shapes cannot be computed`,
    );
  }
}

registerKl(LowRankMultivariateNormal, LowRankMultivariateNormal, (p, q) => {
  checkEvents(p, q, "Low Rank Multivariate Normals");
  const [pW, pD, pC] = [p._unbroadcastedCovFactor, p._unbroadcastedCovDiag, p._capacitanceTril];
  const [qW, qD, qC] = [q._unbroadcastedCovFactor, q._unbroadcastedCovDiag, q._capacitanceTril];
  const term1 = lowrankLogdet(qD, qC).sub(lowrankLogdet(pD, pC));
  const term3 = lowrankMahalanobis(qW, qD, q.loc.sub(p.loc), qC);
  const qWtqDinv = qW.mT.div(qD.unsqueeze(-2));
  const A = solveTriangular(qC, qWtqDinv, { upper: false });
  const term21 = pD.div(qD).sum(-1);
  const term22 = batchTraceXXT(pW.mul(qD.rsqrt().unsqueeze(-1)));
  const term23 = batchTraceXXT(A.mul(pD.sqrt().unsqueeze(-2)));
  const term24 = batchTraceXXT(matmul(A, pW));
  const term2 = term21.add(term22).sub(term23).sub(term24);
  return term1.add(term2).add(term3).sub(p.eventShape[0]).mul(0.5);
});

registerKl(MultivariateNormal, LowRankMultivariateNormal, (p, q) => {
  checkEvents(p, q, "(Low Rank) Multivariate Normals");
  const pL = p._unbroadcastedScaleTril;
  const [qW, qD, qC] = [q._unbroadcastedCovFactor, q._unbroadcastedCovDiag, q._capacitanceTril];
  const term1 = lowrankLogdet(qD, qC).sub(pL.diagonal(0, -2, -1).log().sum(-1).mul(2));
  const term3 = lowrankMahalanobis(qW, qD, q.loc.sub(p.loc), qC);
  const qWtqDinv = qW.mT.div(qD.unsqueeze(-2));
  const A = solveTriangular(qC, qWtqDinv, { upper: false });
  const term21 = batchTraceXXT(pL.mul(qD.rsqrt().unsqueeze(-1)));
  const term22 = batchTraceXXT(matmul(A, pL));
  return term1.add(term21.sub(term22)).add(term3).sub(p.eventShape[0]).mul(0.5);
});

registerKl(LowRankMultivariateNormal, MultivariateNormal, (p, q) => {
  checkEvents(p, q, "(Low Rank) Multivariate Normals");
  const qL = q._unbroadcastedScaleTril;
  const [pW, pD, pC] = [p._unbroadcastedCovFactor, p._unbroadcastedCovDiag, p._capacitanceTril];
  const term1 = qL.diagonal(0, -2, -1).log().sum(-1).mul(2).sub(lowrankLogdet(pD, pC));
  const term3 = batchMahalanobis(qL, q.loc.sub(p.loc));
  const combined = broadcastShapes(qL.shape.slice(0, -2), pW.shape.slice(0, -2));
  const n = p.eventShape[0];
  const qTril = qL.expand([...combined, n, n]);
  const pFactor = pW.expand([...combined, n, p.covFactor.size(-1)]);
  const pDiag = diagEmbed(pD.sqrt()).expand([...combined, n, n]);
  const term21 = batchTraceXXT(solveTriangular(qTril, pFactor, { upper: false }));
  const term22 = batchTraceXXT(solveTriangular(qTril, pDiag, { upper: false }));
  return term1.add(term21.add(term22)).add(term3).sub(n).mul(0.5);
});
