/**
 * Derivatives (reverse and forward mode) of the layer primitives of ops/nn.ts: the
 * activations, addmm, embedding and the losses. `derivatives.ts` declares these ops through
 * `LayerOpDefs` and spreads `layerDerivatives` into its table; `jvps.ts` spreads `layerJvps`.
 * As in PyTorch, most gradients are PyTorch's `*_backward` ops (ops/backward.ts: one pass
 * each, differentiable again with PyTorch's double-backward formulas); the rest are built from
 * recorded tensor ops, so they differentiate again under `createGraph` too.
 */
import type { Tensor } from "../tensor.js";
import type { Derivative } from "./derivatives.js";
import type { OpNode } from "./function.js";
import type { Jvp } from "./jvps.js";
import { isGradEnabled } from "./grad-mode.js";
import { isForwardADActive } from "./forward-ad.js";
import { alloc, contiguousData } from "../ops/core.js";
import { shapeEqual } from "../shape.js";
import { embedding, nllLoss, type Reduction } from "../ops/nn.js";
import {
  binaryCrossEntropyBackward,
  eluBackward,
  embeddingDenseBackward,
  geluBackward,
  hardtanhBackward,
  huberLossBackward,
  leakyReluBackward,
  logSigmoidBackward,
  mseLossBackward,
  nllLossBackward,
  smoothL1LossBackward,
  softplusBackward,
} from "../ops/backward.js";
import { divScalar, mmMat1Backward, mmMat2Backward } from "./formula-ops.js";
import { embeddingSparseBackward } from "../ops/sparse.js";

/** The layer primitives: what each saves and its attributes (merged into OpDefs). */
export interface LayerOpDefs {
  gelu: { save: "self"; attrs: { approximate: "none" | "tanh" } };
  silu: { save: "self"; attrs: Record<string, never> };
  leakyRelu: { save: "self"; attrs: { slope: number } };
  elu: { save: "self"; attrs: { alpha: number; scale: number; inputScale: number } };
  softplus: { save: "self"; attrs: { beta: number; threshold: number } };
  hardtanh: { save: "self"; attrs: { min: number; max: number } };
  logSigmoid: { save: "self" | "buffer"; attrs: Record<string, never> };
  linearAddmm: {
    save: "mat1" | "mat2";
    attrs: { mat1ColumnMajor: boolean; mat2ColumnMajor: boolean };
  };
  embedding: {
    save: "indices";
    attrs: { numWeights: number; paddingIdx: number; scaleGradByFreq: boolean; sparse?: boolean };
  };
  mseLoss: { save: "self" | "target"; attrs: { reduction: Reduction } };
  smoothL1Loss: { save: "self" | "target"; attrs: { reduction: Reduction; beta: number } };
  huberLoss: { save: "self" | "target"; attrs: { reduction: Reduction; delta: number } };
  binaryCrossEntropy: { save: "self" | "target" | "weight"; attrs: { reduction: Reduction } };
  bceWithLogits: {
    save: "self" | "target" | "weight" | "posWeight";
    attrs: { reduction: Reduction };
  };
  nllLoss: {
    save: "self" | "target" | "weight" | "totalWeight";
    attrs: { reduction: Reduction; ignoreIndex: number };
  };
}

type LayerOp = keyof LayerOpDefs;

/**
 * SiluBackward0: g * s * (1 + x (1 - s)), s = sigmoid(x). As PyTorch: one pass (silu_backward)
 * when no graph is recorded, else its composed, infinitely differentiable form.
 */
export function siluBackward(g: Tensor, x: Tensor): Tensor {
  if (
    !isGradEnabled() &&
    !isForwardADActive() &&
    g.dtype === x.dtype &&
    shapeEqual(g.shape, x.shape)
  ) {
    const gd = contiguousData(g);
    const xd = contiguousData(x);
    const out = alloc(x.shape.slice(), x.dtype);
    const o = out.typedArray;
    for (let i = 0; i < o.length; i++) {
      const v = xd.data[xd.offset + i];
      const s = 1 / (1 + Math.exp(-v));
      o[i] = gd.data[gd.offset + i] * (s * (1 + v * (1 - s)));
    }
    return out;
  }
  const s = x.sigmoid();
  return g.mul(s).mul(x.mul(s.rsub(1)).add(1));
}

/** AddmmBackward0: bias gets g (un-broadcast by the engine), mat1 g @ mat2^T, mat2 mat1^T @ g. */
export function addmmBackward(
  g: Tensor,
  mat1: Tensor | undefined,
  mat2: Tensor | undefined,
  needs: readonly boolean[],
  a: { mat1ColumnMajor: boolean; mat2ColumnMajor: boolean },
): (Tensor | null)[] {
  return [
    needs[0] ? g : null,
    needs[1] && mat2 ? mmMat1Backward(g, mat2, a.mat1ColumnMajor) : null,
    needs[2] && mat1 ? mmMat2Backward(g, mat1, a.mat2ColumnMajor) : null,
  ];
}

/**
 * A composite loss backward's grad_output and the division by numel of a mean: PyTorch divides
 * the product, ((...) * g) / numel (DivBackward1); without a graph being recorded the division
 * moves onto the one-element g instead (same value up to rounding, one full-size pass fewer).
 */
function meanScaled(
  g: Tensor,
  x: Tensor,
  reduction: Reduction,
): { g: Tensor; finish: (t: Tensor) => Tensor } {
  if (reduction !== "mean") return { g, finish: (t) => t };
  if (!isGradEnabled() && !isForwardADActive()) return { g: g.div(x.numel()), finish: (t) => t };
  return { g, finish: (t) => divScalar(t, x.numel()) };
}

/** binary_cross_entropy_target_backward: -logit(x) g [* w] [/ numel] */
export function bceTargetBackward(
  g: Tensor,
  x: Tensor,
  weight: Tensor | undefined,
  reduction: Reduction,
): Tensor {
  const m = meanScaled(g, x, reduction);
  let r = x.neg().log1p().sub(x.log()).mul(m.g);
  if (weight !== undefined) r = r.mul(weight);
  return m.finish(r);
}

/**
 * BinaryCrossEntropyWithLogitsBackward0 for the input (PyTorch's composite
 * binary_cross_entropy_with_logits_backward): (sigmoid(x) - t) g, with a pos_weight p
 * ((1 + (p - 1) t) sigmoid(x) - p t) g, [* w] [/ numel].
 */
export function bceWithLogitsBackward(
  g: Tensor,
  x: Tensor,
  t: Tensor,
  weight: Tensor | undefined,
  posWeight: Tensor | undefined,
  reduction: Reduction,
): Tensor {
  const m = meanScaled(g, x, reduction);
  let r: Tensor;
  if (posWeight !== undefined) {
    const pt = posWeight.mul(t);
    r = pt.add(1).sub(t).mul(x.sigmoid()).sub(pt).mul(m.g);
  } else {
    r = x.sigmoid().sub(t).mul(m.g);
  }
  if (weight !== undefined) r = r.mul(weight);
  return m.finish(r);
}

/** log(sigmoid(z)) computed stably: min(z, 0) - log1p(exp(-|z|)) */
function logSigmoid(z: Tensor): Tensor {
  return z.clamp(null, 0).sub(z.abs().neg().exp().log1p());
}

/**
 * binary_cross_entropy_with_logits_target_backward: -x g, with a pos_weight p
 * (log_sigmoid(-x) - p log_sigmoid(x)) g, [* w] [/ numel].
 */
export function bceWithLogitsTargetBackward(
  g: Tensor,
  x: Tensor,
  weight: Tensor | undefined,
  posWeight: Tensor | undefined,
  reduction: Reduction,
): Tensor {
  const m = meanScaled(g, x, reduction);
  let r =
    posWeight !== undefined
      ? logSigmoid(x.neg()).sub(logSigmoid(x).mul(posWeight)).mul(m.g)
      : x.neg().mul(m.g);
  if (weight !== undefined) r = r.mul(weight);
  return m.finish(r);
}

/** a saved entry that was passed as null is absent */
const opt = (t: Tensor | undefined): Tensor | undefined => t ?? undefined;

/** (input, target) gradients of a loss whose target gradient is its backward with the two swapped */
function symmetricLoss(
  n: OpNode,
  backward: (a: Tensor, b: Tensor) => Tensor,
  x: Tensor,
  t: Tensor,
): (Tensor | null)[] {
  return [n.needsInputGrad(0) ? backward(x, t) : null, n.needsInputGrad(1) ? backward(t, x) : null];
}

export const layerDerivatives: { [K in LayerOp]: Derivative<K> } = {
  gelu: {
    name: "GeluBackward0",
    save: ["self"],
    grad: (g, s, a) => [geluBackward(g, s.self, a.approximate)],
  },
  silu: { name: "SiluBackward0", save: ["self"], grad: (g, s) => [siluBackward(g, s.self)] },
  leakyRelu: {
    name: "LeakyReluBackward0",
    save: ["self"],
    grad: (g, s, a) => [leakyReluBackward(g, s.self, a.slope)],
  },
  // also CeluBackward0 (ops/nn.ts celu names its node)
  elu: {
    name: "EluBackward0",
    save: ["self"],
    grad: (g, s, a) => [eluBackward(g, s.self, a.alpha, a.scale, a.inputScale)],
  },
  softplus: {
    name: "SoftplusBackward0",
    save: ["self"],
    grad: (g, s, a) => [softplusBackward(g, s.self, a.beta, a.threshold)],
  },
  hardtanh: {
    name: "HardtanhBackward0",
    save: ["self"],
    grad: (g, s, a) => [hardtanhBackward(g, s.self, a.min, a.max)],
  },
  logSigmoid: {
    name: "LogSigmoidBackward0",
    save: ["self", "buffer"],
    grad: (g, s) => [logSigmoidBackward(g, s.self, s.buffer)],
  },
  linearAddmm: {
    name: "AddmmBackward0",
    save: ["mat1", "mat2"],
    grad: (g, s, a, n) =>
      addmmBackward(
        g,
        opt(s.mat1),
        opt(s.mat2),
        // (a literal: Note [packed shapes] in ops/reduce.ts, arrays `map` makes in optimized
        // code have another map than the interpreter's)
        [n.needsInputGrad(0), n.needsInputGrad(1), n.needsInputGrad(2)],
        a,
      ),
  },
  // embedding_backward: embedding_dense_backward (EmbeddingDenseBackwardBackward0 when
  // differentiated again), or with sparse=True embedding_sparse_backward's COO gradient
  embedding: {
    name: "EmbeddingBackward0",
    save: ["indices"],
    grad: (g, s, a) => [
      a.sparse === true
        ? embeddingSparseBackward(g, s.indices, a.numWeights, a.paddingIdx, a.scaleGradByFreq)
        : embeddingDenseBackward(g, s.indices, a.numWeights, a.paddingIdx, a.scaleGradByFreq),
    ],
  },
  mseLoss: {
    name: "MseLossBackward0",
    save: ["self", "target"],
    grad: (g, s, a, n) =>
      symmetricLoss(n, (x, t) => mseLossBackward(g, x, t, a.reduction), s.self, s.target),
  },
  smoothL1Loss: {
    name: "SmoothL1LossBackward0",
    save: ["self", "target"],
    grad: (g, s, a, n) =>
      symmetricLoss(
        n,
        (x, t) => smoothL1LossBackward(g, x, t, a.reduction, a.beta),
        s.self,
        s.target,
      ),
  },
  huberLoss: {
    name: "HuberLossBackward0",
    save: ["self", "target"],
    grad: (g, s, a, n) =>
      symmetricLoss(
        n,
        (x, t) => huberLossBackward(g, x, t, a.reduction, a.delta),
        s.self,
        s.target,
      ),
  },
  binaryCrossEntropy: {
    name: "BinaryCrossEntropyBackward0",
    save: ["self", "target", "weight"],
    grad: (g, s, a, n) => [
      n.needsInputGrad(0)
        ? binaryCrossEntropyBackward(g, s.self, s.target, opt(s.weight) ?? null, a.reduction)
        : null,
      n.needsInputGrad(1) ? bceTargetBackward(g, s.self, opt(s.weight), a.reduction) : null,
    ],
  },
  bceWithLogits: {
    name: "BinaryCrossEntropyWithLogitsBackward0",
    save: ["self", "target", "weight", "posWeight"],
    grad: (g, s, a, n) => [
      n.needsInputGrad(0)
        ? bceWithLogitsBackward(g, s.self, s.target, opt(s.weight), opt(s.posWeight), a.reduction)
        : null,
      n.needsInputGrad(1)
        ? bceWithLogitsTargetBackward(g, s.self, opt(s.weight), opt(s.posWeight), a.reduction)
        : null,
    ],
  },
  nllLoss: {
    name: "NllLossBackward0",
    save: ["self", "target", "weight", "totalWeight"],
    grad: (g, s, a) => [
      nllLossBackward(
        g,
        s.self,
        s.target,
        opt(s.weight) ?? null,
        s.totalWeight,
        a.reduction,
        a.ignoreIndex,
      ),
    ],
  },
};

// ---------------------------------------------------------------------------------------------
// forward mode: elementwise ops scale the tangent by the derivative (the backward op with
// grad_output = tangent); losses reduce (elementwise derivative * tangent) as the forward reduces

type Inputs = readonly (Tensor | null | undefined)[];
const X = (x: Inputs, i: number): Tensor => x[i] as Tensor;
const T = (t: readonly (Tensor | null)[]): Tensor => t[0] as Tensor;
/** a tangent in the primal's dtype */
const like = (t: Tensor, x: Tensor): Tensor => (t.dtype === x.dtype ? t : t.to(x.dtype));
const saved = (v: unknown): Tensor | undefined => (v == null ? undefined : (v as Tensor));

function plus(a: Tensor | null, b: Tensor | null): Tensor | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.add(b);
}

/** reduce an elementwise tangent as the loss reduces its values */
function reduceTangent(t: Tensor | null, reduction: Reduction): Tensor | null {
  if (t === null || reduction === "none") return t;
  return reduction === "mean" ? t.mean() : t.sum();
}

/**
 * sum_i d_i * t_i over (input, target), with the elementwise derivatives d_i the unreduced
 * backward for a unit grad_output gives
 */
function lossJvp(
  t: readonly (Tensor | null)[],
  x: Inputs,
  reduction: Reduction,
  dInput: (ones: Tensor) => Tensor,
  dTarget: (ones: Tensor) => Tensor,
): Tensor | null {
  const ones = X(x, 0).onesLike();
  const a = t[0] === null ? null : dInput(ones).mul(t[0]);
  const b = t[1] === null ? null : dTarget(ones).mul(t[1]);
  return reduceTangent(plus(a, b), reduction);
}

export const layerJvps: { [K in LayerOp]: Jvp<K> } = {
  gelu: (t, x, _o, a) => geluBackward(T(t), X(x, 0), a.approximate),
  silu: (t, x) => siluBackward(T(t), X(x, 0)),
  leakyRelu: (t, x, _o, a) => leakyReluBackward(T(t), X(x, 0), a.slope),
  elu: (t, x, _o, a) => eluBackward(T(t), X(x, 0), a.alpha, a.scale, a.inputScale),
  softplus: (t, x, _o, a) => softplusBackward(T(t), X(x, 0), a.beta, a.threshold),
  hardtanh: (t, x, _o, a) => hardtanhBackward(T(t), X(x, 0), a.min, a.max),
  logSigmoid: (t, x, _o, _a, s) => logSigmoidBackward(T(t), X(x, 0), s.buffer as Tensor),
  // d(b + m1 @ m2) = db + dm1 @ m2 + m1 @ dm2
  linearAddmm: (t, x) => {
    const m1 = X(x, 1);
    const m2 = X(x, 2);
    let r: Tensor | null = t[0];
    if (t[1] !== null) r = plus(r, like(t[1], m1).mm(m2));
    if (t[2] !== null) r = plus(r, m1.mm(like(t[2], m2)));
    return r;
  },
  // linear in the weight
  embedding: (t, _x, _o, a, s) =>
    embedding(T(t), s.indices as Tensor, a.paddingIdx, a.scaleGradByFreq),
  mseLoss: (t, x, _o, a) =>
    lossJvp(
      t,
      x,
      a.reduction,
      (g) => mseLossBackward(g, X(x, 0), X(x, 1), "none"),
      (g) => mseLossBackward(g, X(x, 1), X(x, 0), "none"),
    ),
  smoothL1Loss: (t, x, _o, a) =>
    lossJvp(
      t,
      x,
      a.reduction,
      (g) => smoothL1LossBackward(g, X(x, 0), X(x, 1), "none", a.beta),
      (g) => smoothL1LossBackward(g, X(x, 1), X(x, 0), "none", a.beta),
    ),
  huberLoss: (t, x, _o, a) =>
    lossJvp(
      t,
      x,
      a.reduction,
      (g) => huberLossBackward(g, X(x, 0), X(x, 1), "none", a.delta),
      (g) => huberLossBackward(g, X(x, 1), X(x, 0), "none", a.delta),
    ),
  binaryCrossEntropy: (t, x, _o, a, s) =>
    lossJvp(
      t,
      x,
      a.reduction,
      (g) => binaryCrossEntropyBackward(g, X(x, 0), X(x, 1), saved(s.weight) ?? null, "none"),
      (g) => bceTargetBackward(g, X(x, 0), saved(s.weight), "none"),
    ),
  bceWithLogits: (t, x, _o, a, s) =>
    lossJvp(
      t,
      x,
      a.reduction,
      (g) =>
        bceWithLogitsBackward(g, X(x, 0), X(x, 1), saved(s.weight), saved(s.posWeight), "none"),
      (g) => bceWithLogitsTargetBackward(g, X(x, 0), saved(s.weight), saved(s.posWeight), "none"),
    ),
  // linear in the input (the mean divides by the same total weight)
  nllLoss: (t, _x, _o, a, s) =>
    nllLoss(T(t), s.target as Tensor, saved(s.weight) ?? null, a.reduction, a.ignoreIndex),
};
