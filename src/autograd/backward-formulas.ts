/**
 * Derivatives (reverse and forward mode) of PyTorch's `*_backward` ops (ops/backward.ts): the
 * double-backward formulas of derivatives.yaml and FunctionsManual.cpp (tanh_backward,
 * elu_double_backward, softmax_double_backward, mse_loss_double_backward, ...), written with
 * recorded ops and the backward ops themselves, so third and higher derivatives follow
 * PyTorch's graphs too. `derivatives.ts` declares these ops through `BackwardOpDefs` and
 * spreads `backwardDerivatives` into its table; `jvps.ts` spreads `backwardJvps`.
 *
 * Inputs: [grad_output, self or output (, target)] as PyTorch's op takes them; `grad` below is
 * the gradient flowing into the backward op's result.
 */
import type { Tensor } from "../tensor.js";
import type { Derivative, Grads } from "./derivatives.js";
import type { Jvp } from "./jvps.js";
import type { Reduction } from "../ops/nn.js";
import { nllLoss } from "../ops/nn.js";
import { rsub } from "../ops/elementwise.js";
import {
  BCE_EPSILON,
  binaryCrossEntropyBackward,
  eluBackward,
  embeddingDenseBackward,
  geluBackward,
  hardtanhBackward,
  huberLossBackward,
  leakyReluBackward,
  logSigmoidBackward,
  logSoftmaxBackwardData,
  indexPoolBackward,
  mseLossBackward,
  nllLossBackward,
  sigmoidBackward,
  smoothL1LossBackward,
  softmaxBackwardData,
  softplusBackward,
  tanhBackward,
  thresholdBackward,
} from "../ops/backward.js";
import type { IndexPool } from "../ops/pooling.js";
import { noGrad } from "./grad-mode.js";
import { divScalar, mulScalar, zeros, zerosLike } from "./formula-ops.js";

type EluAttrs = { alpha: number; scale: number; inputScale: number };
type LossSave = "gradOutput" | "self" | "target";

/** The backward ops: what each saves and its attributes (merged into OpDefs). */
export interface BackwardOpDefs {
  tanhBackward: { save: "gradOutput" | "output"; attrs: Record<string, never> };
  sigmoidBackward: { save: "gradOutput" | "output"; attrs: Record<string, never> };
  thresholdBackward: { save: "self"; attrs: { threshold: number } };
  eluBackward: { save: "gradOutput" | "self"; attrs: EluAttrs };
  softplusBackward: { save: "gradOutput" | "self"; attrs: { beta: number; threshold: number } };
  geluBackward: { save: "gradOutput" | "self"; attrs: { approximate: "none" | "tanh" } };
  leakyReluBackward: { save: "self"; attrs: { slope: number } };
  hardtanhBackward: { save: "self"; attrs: { min: number; max: number } };
  logSigmoidBackward: { save: "gradOutput" | "self" | "buffer"; attrs: Record<string, never> };
  softmaxBackwardData: { save: "gradOutput" | "output"; attrs: { dim: number } };
  logSoftmaxBackwardData: { save: "gradOutput" | "output"; attrs: { dim: number } };
  mseLossBackward: { save: LossSave; attrs: { reduction: Reduction } };
  smoothL1LossBackward: { save: LossSave; attrs: { reduction: Reduction; beta: number } };
  huberLossBackward: { save: LossSave; attrs: { reduction: Reduction; delta: number } };
  binaryCrossEntropyBackward: { save: LossSave | "weight"; attrs: { reduction: Reduction } };
  nllLossBackward: {
    save: "target" | "weight" | "totalWeight";
    attrs: { reduction: Reduction; ignoreIndex: number };
  };
  embeddingDenseBackward: {
    save: "indices";
    attrs: { numWeights: number; paddingIdx: number; scaleGradByFreq: boolean; sparse?: boolean };
  };
  maxPool2dBackward: IndexPoolBackwardDef;
  maxPool3dBackward: IndexPoolBackwardDef;
  adaptiveMaxPool2dBackward: IndexPoolBackwardDef;
  adaptiveMaxPool3dBackward: IndexPoolBackwardDef;
  fractionalMaxPool2dBackward: IndexPoolBackwardDef;
  fractionalMaxPool3dBackward: IndexPoolBackwardDef;
}

/** The backward of an index pooling: `k` spatial dims. */
type IndexPoolBackwardDef = { save: "indices"; attrs: { k: number } };
type IndexPoolBackwardOp = `${IndexPool}Backward`;

type BackwardOp = keyof BackwardOpDefs;

/** a saved entry that was passed as null is absent */
const opt = (t: Tensor | undefined): Tensor | null => t ?? null;

/** elu_double_backward (is_result false): elu_backward(grad * grad_output * input_scale, self) * [self < 0] */
function eluDoubleBackward(grad: Tensor, go: Tensor, x: Tensor, a: EluAttrs): Tensor {
  const inner = mulScalar(grad.mul(go), a.inputScale);
  return eluBackward(inner, x, a.alpha, a.scale, a.inputScale).mul(x.lt(0).to(grad.dtype));
}

/** softplus_double_backward: sigmoid_backward(grad, sigmoid(beta x)) * [beta x < threshold] * beta */
function softplusDoubleBackward(grad: Tensor, x: Tensor, beta: number, threshold: number): Tensor {
  const bx = mulScalar(x, beta);
  const masked = sigmoidBackward(grad, bx.sigmoid()).mul(bx.lt(threshold).to(grad.dtype));
  return mulScalar(masked, beta);
}

const M_2_SQRTPI = 2 / Math.sqrt(Math.PI);
const GELU_BETA = Math.SQRT2 * M_2_SQRTPI * 0.5;
const GELU_KAPPA = 0.044715;

/** gelu_double_backward: ggI * gO * gelu''(x) */
function geluDoubleBackward(ggI: Tensor, gO: Tensor, x: Tensor, approximate: string): Tensor {
  if (approximate === "tanh") {
    // gelu'(x) = 0.5 g h + f g h with f = x/2, g = 1 - tanh(inner)^2 (sech^2), h = inner'
    const inner = mulScalar(x.add(mulScalar(x.pow(3), GELU_KAPPA)), GELU_BETA);
    const t = inner.tanh();
    const f = mulScalar(x, 0.5);
    const g = rsub(t.mul(t), 1);
    const h = mulScalar(mulScalar(x.mul(x), 3 * GELU_KAPPA).add(1), GELU_BETA);
    const fPrimeGh = mulScalar(g, 0.5).mul(h);
    // g' = 2 sech * (-sech tanh) * h = -2 g tanh h
    const gPrime = mulScalar(g.mul(t), -2).mul(h);
    const gPrimeFh = f.mul(h).mul(gPrime);
    const hPrime = mulScalar(x, 6 * GELU_KAPPA * GELU_BETA);
    const hPrimeFg = f.mul(g).mul(hPrime);
    return ggI.mul(gO).mul(mulScalar(fPrimeGh, 2).add(gPrimeFh).add(hPrimeFg));
  }
  const kBeta = M_2_SQRTPI * Math.SQRT1_2 * 0.5;
  const pdf = mulScalar(mulScalar(x.mul(x), -0.5).exp(), kBeta);
  const dpdfDx = x.neg().mul(pdf);
  return ggI.mul(gO).mul(mulScalar(pdf, 2).add(x.mul(dpdfDx)));
}

/** log_sigmoid_double_backward: grad * (sigmoid(x) - 1) * sigmoid(x) */
function logSigmoidDoubleBackward(grad: Tensor, x: Tensor): Tensor {
  const z = x.sigmoid();
  return grad.mul(z.sub(1)).mul(z);
}

/** softmax_double_backward: go * grad - sum(y * go) * grad - go * sum(y * grad) */
function softmaxDoubleBackward(grad: Tensor, go: Tensor, dim: number, y: Tensor): Tensor {
  return go
    .mul(grad)
    .sub(y.mul(go).sum(dim, true).mul(grad))
    .sub(go.mul(y.mul(grad).sum(dim, true)));
}

/** x / numel for a mean loss (an in-place div by a Scalar in PyTorch: DivBackward1) */
const meanDiv = (t: Tensor, x: Tensor, reduction: Reduction): Tensor =>
  reduction === "mean" ? divScalar(t, x.numel()) : t;

/**
 * The derivative of a loss backward w.r.t. its grad_output (PyTorch's
 * *_double_backward_grad_output): the backward op again for an unreduced loss, else the sum of
 * grad times the backward for a unit grad_output.
 */
function lossGradOutput(
  grad: Tensor,
  go: Tensor,
  reduction: Reduction,
  backward: (g: Tensor) => Tensor,
): Tensor {
  if (reduction === "none") return backward(grad);
  return backward(go.onesLike()).mul(grad).sum();
}

/** mse_loss_double_backward: 2 * grad (/ numel for a mean) */
const mseDoubleBackward = (grad: Tensor, x: Tensor, reduction: Reduction): Tensor =>
  meanDiv(mulScalar(grad, 2), x, reduction);

/** smooth_l1_loss_double_backward: grad * [|x - t| < beta] / beta (/ numel); 0 for beta 0 */
function smoothL1DoubleBackward(
  grad: Tensor,
  x: Tensor,
  t: Tensor,
  reduction: Reduction,
  beta: number,
): Tensor {
  if (beta === 0) return zerosLike(grad);
  const d = x.sub(t).abs();
  return meanDiv(divScalar(grad.mul(d.lt(beta).to(grad.dtype)), beta), x, reduction);
}

/** huber_loss_double_backward: grad * [|x - t| < delta] (/ numel) */
function huberDoubleBackward(
  grad: Tensor,
  x: Tensor,
  t: Tensor,
  reduction: Reduction,
  delta: number,
): Tensor {
  const d = x.sub(t).abs();
  return meanDiv(grad.mul(d.lt(delta).to(grad.dtype)), x, reduction);
}

/** binary_cross_entropy_double_backward (w.r.t. self): (x^2 - 2xt + t) / ((x + eps)^2 (1 - x + eps)^2) * grad * go [* w] [/ numel] */
function bceDoubleBackward(
  go: Tensor,
  grad: Tensor,
  x: Tensor,
  t: Tensor,
  w: Tensor | null,
  reduction: Reduction,
): Tensor {
  const num = x.mul(x).sub(mulScalar(x, 2).mul(t)).add(t);
  const den = x.add(BCE_EPSILON).pow(2).mul(rsub(x, 1).add(BCE_EPSILON).pow(2));
  let gI = num.div(den).mul(grad.mul(go));
  if (w !== null) gI = gI.mul(w);
  return meanDiv(gI, x, reduction);
}

/** binary_cross_entropy_double_backward_target: -grad * go [* w] / max((1 - x) x, eps) [/ numel] */
function bceDoubleBackwardTarget(
  grad: Tensor,
  go: Tensor,
  x: Tensor,
  w: Tensor | null,
  reduction: Reduction,
): Tensor {
  let res = grad.neg().mul(go);
  if (w !== null) res = res.mul(w);
  // the clamp is applied untracked, as PyTorch's in-place clamp_min_ under a NoGradGuard: the
  // derivative flows through (1 - x) x as if unclamped
  const denom = rsub(x, 1).mul(x);
  noGrad(() => denom.clamp_(BCE_EPSILON, null));
  return meanDiv(res.div(denom), x, reduction);
}

/** binary_cross_entropy_double_backward_grad_output: grad * (x - t) / ((x + eps)(1 - x + eps)) [* w], summed (/ numel) when reduced */
function bceDoubleBackwardGradOutput(
  grad: Tensor,
  x: Tensor,
  t: Tensor,
  w: Tensor | null,
  reduction: Reduction,
): Tensor {
  let ggO = x
    .sub(t)
    .div(x.add(BCE_EPSILON).mul(rsub(x, 1).add(BCE_EPSILON)))
    .mul(grad);
  if (w !== null) ggO = ggO.mul(w);
  if (reduction === "none") return ggO;
  return meanDiv(ggO.sum(), x, reduction);
}

/** max_pool_double_backward: grad gathered at the maxima's positions, in the pooled shape */
function maxPoolDoubleBackward(grad: Tensor, indices: Tensor, k = 2): Tensor {
  const size = [...indices.shape.slice(0, indices.dim() - k), -1];
  return grad.contiguous().view(size).gather(-1, indices.view(size)).view(indices.shape);
}

/** embedding_dense_double_backward: the rows of grad at the indices (0 at the padding index) */
function embeddingDenseDoubleBackward(grad: Tensor, indices: Tensor, paddingIdx: number): Tensor {
  let gg = grad.indexSelect(0, indices.reshape([-1]));
  if (paddingIdx >= 0) gg = gg.maskedFill(indices.eq(paddingIdx).reshape([-1, 1]), 0);
  return gg.view([...indices.shape, -1]);
}

/** d (g scattered to indices) = grad gathered at the indices; self gets zeros */
function indexPoolDoubleBackward<K extends IndexPoolBackwardOp>(name: string): Derivative<K> {
  const d: Derivative<"maxPool2dBackward"> = {
    name,
    save: ["indices"],
    grad: (grad, s, a, n) => [
      n.needsInputGrad(0) ? maxPoolDoubleBackward(grad, s.indices, a.k) : null,
      n.needsInputGrad(1) ? zeros(n.inputShape(1), grad) : null,
    ],
  };
  // the index poolings' backwards share one definition (IndexPoolBackwardDef)
  return d as unknown as Derivative<K>;
}

export const backwardDerivatives: { [K in BackwardOp]: Derivative<K> } = {
  // d tanh_backward(go, y) = tanh_backward(grad, y), grad * -2 y go
  tanhBackward: {
    name: "TanhBackwardBackward0",
    save: ["gradOutput", "output"],
    grad: (grad, s, _a, n) => [
      n.needsInputGrad(0) ? tanhBackward(grad, s.output) : null,
      n.needsInputGrad(1) ? grad.mul(mulScalar(s.output, -2).mul(s.gradOutput)) : null,
    ],
  },
  // d sigmoid_backward(go, y) = sigmoid_backward(grad, y), grad * go * (1 - 2y)
  sigmoidBackward: {
    name: "SigmoidBackwardBackward0",
    save: ["gradOutput", "output"],
    grad: (grad, s, _a, n) => [
      n.needsInputGrad(0) ? sigmoidBackward(grad, s.output) : null,
      n.needsInputGrad(1) ? grad.mul(s.gradOutput).mul(mulScalar(s.output, -2).add(1)) : null,
    ],
  },
  // threshold_backward is linear in go and piecewise constant in self
  thresholdBackward: {
    name: "ThresholdBackwardBackward0",
    save: ["self"],
    grad: (grad, s, a, n) => [
      n.needsInputGrad(0) ? thresholdBackward(grad, s.self, a.threshold) : null,
      n.needsInputGrad(1) ? zerosLike(grad) : null,
    ],
  },
  eluBackward: {
    name: "EluBackwardBackward0",
    save: ["gradOutput", "self"],
    grad: (grad, s, a, n) => [
      n.needsInputGrad(0) ? eluBackward(grad, s.self, a.alpha, a.scale, a.inputScale) : null,
      n.needsInputGrad(1) ? eluDoubleBackward(grad, s.gradOutput, s.self, a) : null,
    ],
  },
  softplusBackward: {
    name: "SoftplusBackwardBackward0",
    save: ["gradOutput", "self"],
    grad: (grad, s, a, n) => [
      n.needsInputGrad(0) ? softplusBackward(grad, s.self, a.beta, a.threshold) : null,
      n.needsInputGrad(1)
        ? softplusDoubleBackward(grad.mul(s.gradOutput), s.self, a.beta, a.threshold)
        : null,
    ],
  },
  geluBackward: {
    name: "GeluBackwardBackward0",
    save: ["gradOutput", "self"],
    grad: (grad, s, a, n) => [
      n.needsInputGrad(0) ? geluBackward(grad, s.self, a.approximate) : null,
      n.needsInputGrad(1) ? geluDoubleBackward(grad, s.gradOutput, s.self, a.approximate) : null,
    ],
  },
  leakyReluBackward: {
    name: "LeakyReluBackwardBackward0",
    save: ["self"],
    grad: (grad, s, a, n) => [
      n.needsInputGrad(0) ? leakyReluBackward(grad, s.self, a.slope) : null,
      n.needsInputGrad(1) ? zerosLike(grad) : null,
    ],
  },
  hardtanhBackward: {
    name: "HardtanhBackwardBackward0",
    save: ["self"],
    grad: (grad, s, a, n) => [
      n.needsInputGrad(0) ? hardtanhBackward(grad, s.self, a.min, a.max) : null,
      n.needsInputGrad(1) ? zerosLike(grad) : null,
    ],
  },
  logSigmoidBackward: {
    name: "LogSigmoidBackwardBackward0",
    save: ["gradOutput", "self", "buffer"],
    grad: (grad, s, _a, n) => [
      n.needsInputGrad(0) ? logSigmoidBackward(grad, s.self, s.buffer) : null,
      n.needsInputGrad(1) ? logSigmoidDoubleBackward(grad.mul(s.gradOutput), s.self) : null,
    ],
  },
  softmaxBackwardData: {
    name: "SoftmaxBackwardDataBackward0",
    save: ["gradOutput", "output"],
    grad: (grad, s, a, n) => [
      n.needsInputGrad(0) ? softmaxBackwardData(grad, s.output, a.dim) : null,
      n.needsInputGrad(1) ? softmaxDoubleBackward(grad, s.gradOutput, a.dim, s.output) : null,
    ],
  },
  // d (go - exp(y) sum(go)) = grad - sum(grad exp(y)), -sum(go) exp(y) grad
  logSoftmaxBackwardData: {
    name: "LogSoftmaxBackwardDataBackward0",
    save: ["gradOutput", "output"],
    grad: (grad, s, a, n) => [
      n.needsInputGrad(0) ? grad.sub(grad.mul(s.output.exp()).sum(a.dim, true)) : null,
      n.needsInputGrad(1)
        ? s.gradOutput.sum(a.dim, true).neg().mul(s.output.exp()).mul(grad)
        : null,
    ],
  },
  mseLossBackward: {
    name: "MseLossBackwardBackward0",
    save: ["gradOutput", "self", "target"],
    grad: (grad, s, a, n) => [
      n.needsInputGrad(0)
        ? lossGradOutput(grad, s.gradOutput, a.reduction, (g) =>
            mseLossBackward(g, s.self, s.target, a.reduction),
          )
        : null,
      n.needsInputGrad(1) ? mseDoubleBackward(grad.mul(s.gradOutput), s.self, a.reduction) : null,
      n.needsInputGrad(2)
        ? mseDoubleBackward(grad.mul(s.gradOutput), s.target, a.reduction).neg()
        : null,
    ],
  },
  smoothL1LossBackward: {
    name: "SmoothL1LossBackwardBackward0",
    save: ["gradOutput", "self", "target"],
    grad: (grad, s, a, n) => {
      const dbl = (): Tensor =>
        smoothL1DoubleBackward(grad.mul(s.gradOutput), s.self, s.target, a.reduction, a.beta);
      return [
        n.needsInputGrad(0)
          ? lossGradOutput(grad, s.gradOutput, a.reduction, (g) =>
              smoothL1LossBackward(g, s.self, s.target, a.reduction, a.beta),
            )
          : null,
        n.needsInputGrad(1) ? dbl() : null,
        n.needsInputGrad(2) ? dbl().neg() : null,
      ];
    },
  },
  huberLossBackward: {
    name: "HuberLossBackwardBackward0",
    save: ["gradOutput", "self", "target"],
    grad: (grad, s, a, n) => {
      const dbl = (): Tensor =>
        huberDoubleBackward(grad.mul(s.gradOutput), s.self, s.target, a.reduction, a.delta);
      return [
        n.needsInputGrad(0)
          ? lossGradOutput(grad, s.gradOutput, a.reduction, (g) =>
              huberLossBackward(g, s.self, s.target, a.reduction, a.delta),
            )
          : null,
        n.needsInputGrad(1) ? dbl() : null,
        n.needsInputGrad(2) ? dbl().neg() : null,
      ];
    },
  },
  binaryCrossEntropyBackward: {
    name: "BinaryCrossEntropyBackwardBackward0",
    save: ["gradOutput", "self", "target", "weight"],
    grad: (grad, s, a, n): Grads => {
      const w = opt(s.weight);
      return [
        n.needsInputGrad(0)
          ? bceDoubleBackwardGradOutput(grad, s.self, s.target, w, a.reduction)
          : null,
        n.needsInputGrad(1)
          ? bceDoubleBackward(s.gradOutput, grad, s.self, s.target, w, a.reduction)
          : null,
        n.needsInputGrad(2)
          ? bceDoubleBackwardTarget(grad, s.gradOutput, s.self, w, a.reduction)
          : null,
      ];
    },
  },
  // linear in go: d = nll_loss(grad); piecewise constant in self
  nllLossBackward: {
    name: "NllLossBackwardBackward0",
    save: ["target", "weight", "totalWeight"],
    grad: (grad, s, a, n) => [
      n.needsInputGrad(0)
        ? nllLoss(grad, s.target, opt(s.weight), a.reduction, a.ignoreIndex)
        : null,
      n.needsInputGrad(1) ? zerosLike(grad) : null,
    ],
  },
  embeddingDenseBackward: {
    name: "EmbeddingDenseBackwardBackward0",
    save: ["indices"],
    grad: (grad, s, a) => [embeddingDenseDoubleBackward(grad, s.indices, a.paddingIdx)],
  },
  maxPool2dBackward: indexPoolDoubleBackward("MaxPool2DWithIndicesBackwardBackward0"),
  maxPool3dBackward: indexPoolDoubleBackward("MaxPool3DWithIndicesBackwardBackward0"),
  adaptiveMaxPool2dBackward: indexPoolDoubleBackward("AdaptiveMaxPool2DBackwardBackward0"),
  adaptiveMaxPool3dBackward: indexPoolDoubleBackward("AdaptiveMaxPool3DBackwardBackward0"),
  fractionalMaxPool2dBackward: indexPoolDoubleBackward("FractionalMaxPool2DBackwardBackward0"),
  fractionalMaxPool3dBackward: indexPoolDoubleBackward("FractionalMaxPool3DBackwardBackward0"),
};

// ---------------------------------------------------------------------------------------------
// forward mode: the op is linear in grad_output; the self/output term is the Jacobian of its
// elementwise map (the double backward's formula where that map is diagonal)

type Inputs = readonly (Tensor | null | undefined)[];
const X = (x: Inputs, i: number): Tensor => x[i] as Tensor;

function plus(a: Tensor | null, b: Tensor | null): Tensor | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.add(b);
}

/** a term that is present only when tangent i is */
const term = (
  t: readonly (Tensor | null)[],
  i: number,
  f: (ti: Tensor) => Tensor,
): Tensor | null => (t[i] === null ? null : f(t[i] as Tensor));

/** the tangent of a loss backward: the op on go's tangent plus the elementwise terms of self and target */
function lossJvp(
  t: readonly (Tensor | null)[],
  backward: (g: Tensor) => Tensor,
  dSelf: (ts: Tensor) => Tensor,
  dTarget: (tt: Tensor) => Tensor,
): Tensor | null {
  return plus(plus(term(t, 0, backward), term(t, 1, dSelf)), term(t, 2, dTarget));
}

const mulGo = (x: Inputs, ti: Tensor): Tensor => ti.mul(X(x, 0));

/** linear in grad_output: the same scatter of its tangent */
function indexPoolBackwardJvp<K extends IndexPoolBackwardOp>(kind: IndexPool): Jvp<K> {
  const j: Jvp<"maxPool2dBackward"> = (t, x, out, _a, s) =>
    term(t, 0, (tg) => indexPoolBackward(tg, X(x, 1), s.indices as Tensor, kind)) ?? zerosLike(out);
  // one definition for the index poolings' backwards (IndexPoolBackwardDef)
  return j as unknown as Jvp<K>;
}

export const backwardJvps: { [K in BackwardOp]: Jvp<K> } = {
  tanhBackward: (t, x) =>
    plus(
      term(t, 0, (tg) => tanhBackward(tg, X(x, 1))),
      term(t, 1, (ty) => ty.mul(mulScalar(X(x, 1), -2).mul(X(x, 0)))),
    ),
  sigmoidBackward: (t, x) =>
    plus(
      term(t, 0, (tg) => sigmoidBackward(tg, X(x, 1))),
      term(t, 1, (ty) => ty.mul(X(x, 0)).mul(mulScalar(X(x, 1), -2).add(1))),
    ),
  thresholdBackward: (t, x, out, a) =>
    term(t, 0, (tg) => thresholdBackward(tg, X(x, 1), a.threshold)) ?? zerosLike(out),
  eluBackward: (t, x, _o, a) =>
    plus(
      term(t, 0, (tg) => eluBackward(tg, X(x, 1), a.alpha, a.scale, a.inputScale)),
      term(t, 1, (tx) => eluDoubleBackward(tx, X(x, 0), X(x, 1), a)),
    ),
  softplusBackward: (t, x, _o, a) =>
    plus(
      term(t, 0, (tg) => softplusBackward(tg, X(x, 1), a.beta, a.threshold)),
      term(t, 1, (tx) => softplusDoubleBackward(mulGo(x, tx), X(x, 1), a.beta, a.threshold)),
    ),
  geluBackward: (t, x, _o, a) =>
    plus(
      term(t, 0, (tg) => geluBackward(tg, X(x, 1), a.approximate)),
      term(t, 1, (tx) => geluDoubleBackward(tx, X(x, 0), X(x, 1), a.approximate)),
    ),
  leakyReluBackward: (t, x, out, a) =>
    term(t, 0, (tg) => leakyReluBackward(tg, X(x, 1), a.slope)) ?? zerosLike(out),
  hardtanhBackward: (t, x, out, a) =>
    term(t, 0, (tg) => hardtanhBackward(tg, X(x, 1), a.min, a.max)) ?? zerosLike(out),
  logSigmoidBackward: (t, x, _o, _a, s) =>
    plus(
      term(t, 0, (tg) => logSigmoidBackward(tg, X(x, 1), s.buffer as Tensor)),
      term(t, 1, (tx) => logSigmoidDoubleBackward(mulGo(x, tx), X(x, 1))),
    ),
  // d y (go - sum(go y)) = dy (go - sum(go y)) - y sum(go dy), plus the op on d go
  softmaxBackwardData: (t, x, _o, a) => {
    const go = X(x, 0);
    const y = X(x, 1);
    return plus(
      term(t, 0, (tg) => softmaxBackwardData(tg, y, a.dim)),
      term(t, 1, (ty) =>
        ty.mul(go.sub(go.mul(y).sum(a.dim, true))).sub(y.mul(go.mul(ty).sum(a.dim, true))),
      ),
    );
  },
  // d (go - exp(y) sum(go)) = the op on d go - exp(y) dy sum(go)
  logSoftmaxBackwardData: (t, x, _o, a) => {
    const go = X(x, 0);
    const y = X(x, 1);
    return plus(
      term(t, 0, (tg) => logSoftmaxBackwardData(tg, y, a.dim)),
      term(t, 1, (ty) => y.exp().mul(ty).mul(go.sum(a.dim, true)).neg()),
    );
  },
  mseLossBackward: (t, x, _o, a) =>
    lossJvp(
      t,
      (tg) => mseLossBackward(tg, X(x, 1), X(x, 2), a.reduction),
      (ts) => mseDoubleBackward(mulGo(x, ts), X(x, 1), a.reduction),
      (tt) => mseDoubleBackward(mulGo(x, tt), X(x, 1), a.reduction).neg(),
    ),
  smoothL1LossBackward: (t, x, _o, a) => {
    const dbl = (v: Tensor): Tensor =>
      smoothL1DoubleBackward(mulGo(x, v), X(x, 1), X(x, 2), a.reduction, a.beta);
    return lossJvp(
      t,
      (tg) => smoothL1LossBackward(tg, X(x, 1), X(x, 2), a.reduction, a.beta),
      dbl,
      (tt) => dbl(tt).neg(),
    );
  },
  huberLossBackward: (t, x, _o, a) => {
    const dbl = (v: Tensor): Tensor =>
      huberDoubleBackward(mulGo(x, v), X(x, 1), X(x, 2), a.reduction, a.delta);
    return lossJvp(
      t,
      (tg) => huberLossBackward(tg, X(x, 1), X(x, 2), a.reduction, a.delta),
      dbl,
      (tt) => dbl(tt).neg(),
    );
  },
  binaryCrossEntropyBackward: (t, x, _o, a, s) => {
    const w = (s.weight as Tensor | null | undefined) ?? null;
    const [go, self, target] = [X(x, 0), X(x, 1), X(x, 2)];
    return lossJvp(
      t,
      (tg) => binaryCrossEntropyBackward(tg, self, target, w, a.reduction),
      (ts) => bceDoubleBackward(go, ts, self, target, w, a.reduction),
      (tt) => bceDoubleBackwardTarget(tt, go, self, w, a.reduction),
    );
  },
  nllLossBackward: (t, x, out, a, s) =>
    term(t, 0, (tg) =>
      nllLossBackward(
        tg,
        X(x, 1),
        s.target as Tensor,
        (s.weight as Tensor | null | undefined) ?? null,
        s.totalWeight as Tensor,
        a.reduction,
        a.ignoreIndex,
      ),
    ) ?? zerosLike(out),
  embeddingDenseBackward: (t, _x, _o, a, s) =>
    embeddingDenseBackward(
      t[0] as Tensor,
      s.indices as Tensor,
      a.numWeights,
      a.paddingIdx,
      a.scaleGradByFreq,
    ),
  maxPool2dBackward: indexPoolBackwardJvp("maxPool2d"),
  maxPool3dBackward: indexPoolBackwardJvp("maxPool3d"),
  adaptiveMaxPool2dBackward: indexPoolBackwardJvp("adaptiveMaxPool2d"),
  adaptiveMaxPool3dBackward: indexPoolBackwardJvp("adaptiveMaxPool3d"),
  fractionalMaxPool2dBackward: indexPoolBackwardJvp("fractionalMaxPool2d"),
  fractionalMaxPool3dBackward: indexPoolBackwardJvp("fractionalMaxPool3d"),
};
