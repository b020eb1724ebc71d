/**
 * The losses and distances of torch.nn.functional beyond loss.ts's (issue 11): poisson_nll,
 * gaussian_nll, cosine_embedding, hinge_embedding, margin_ranking, multi_margin,
 * multilabel_margin, multilabel_soft_margin, soft_margin, triplet_margin (with distance),
 * ctc_loss and pdist, plus the ATen ops PyTorch also has at torch.* (torch.ctc_loss,
 * torch.hinge_embedding_loss, ..., whose `reduction` is at::Reduction's int: 0 none, 1 mean,
 * 2 sum), and torch.pairwise_distance / torch.cosine_similarity over nn.ts's forwards.
 *
 * The F functions are Python functions (`python`): they map the deprecated size_average /
 * reduce flags and the reduction string as torch.nn._reduction does, then call the ATen op.
 * The ATen composites are written as ATen writes them, so the graph has PyTorch's nodes
 * (MeanBackward0 over ClampMinBackward0 ...); the ops ATen implements as kernels with their
 * own backward (soft_margin_loss, multi_margin_loss, multilabel_margin_loss, _ctc_loss,
 * _pdist_forward) record SoftMarginLossBackward0, MultiMarginLossBackward0,
 * MultilabelMarginLossBackward0, CtcLossBackward0 and PdistBackward0 over the kernels of
 * src/backend/loss.ts.
 */
import { Tensor, Size } from "../../tensor.js";
import { getDefaultDtype, int64 } from "../../dtype.js";
import { alloc, contiguousData, scalarTypeName } from "../../ops/core.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { noForwardGrad } from "../../autograd/forward-ad.js";
import { needsGrad, record, registerDerivative } from "../../autograd/function.js";
import type { Op } from "../../autograd/derivatives.js";
import { where } from "../../autograd/formula-ops.js";
import * as NN from "../../ops/nn.js";
import { shapeEqual, broadcastShapes } from "../../shape.js";
import { notImplementedError, runtimeError, valueError } from "../../errors.js";
import { defineOp, fn, getOp, recordingOp } from "../define.js";
import { getEnum, legacyGetString, xlogy } from "./loss.js";
import {
  ctcBackward,
  ctcForward,
  multiMarginBackward,
  multiMarginForward,
  multilabelMarginBackward,
  multilabelMarginForward,
  pdistBackward,
  pdistForward,
  type CtcProblem,
  type FloatArray,
  type NumArray,
} from "../../backend/loss.js";

// ---------------------------------------------------------------------------------------------
// reductions

/** at::Reduction: 0 none, 1 mean, 2 sum. */
type ReductionEnum = number;
/**
 * A torch.* op's reduction argument. A schema default (`int reduction=Mean`) arrives as its
 * name; PyTorch 1.13's Python parser reads such a default with atol, as 0: called from Python
 * without `reduction`, torch.hinge_embedding_loss & co. do not reduce (F's functions always pass
 * one).
 */
const enumOf = (r: number | string): ReductionEnum => (typeof r === "string" ? 0 : r);
const ENUM = { none: 0, mean: 1, sum: 2 } as const;

/**
 * The reduction enum of an F loss: torch.nn._reduction.legacy_get_enum when size_average or
 * reduce is given (with PyTorch's warning), else get_enum(reduction).
 */
function reductionEnum(
  reduction: string,
  sizeAverage: boolean | null,
  reduce: boolean | null,
): ReductionEnum {
  return ENUM[
    sizeAverage !== null || reduce !== null
      ? legacyGetString(sizeAverage, reduce)
      : getEnum(reduction)
  ];
}

/** ATen's apply_loss_reduction: mean for 1, sum for 2, the elementwise loss otherwise. */
function applyReduction(t: Tensor, reduction: ReductionEnum): Tensor {
  return reduction === 1 ? t.mean() : reduction === 2 ? t.sum() : t;
}

/** t + s for a C++ Scalar s (add.Scalar: AddBackward1, where a Python number gives AddBackward0). */
function addScalar(t: Tensor, s: number): Tensor {
  const out = noForwardGrad(() => noGrad(() => t.add(s)));
  if (needsGrad(t)) record("add", out, [t, null], {}, { alpha: 1 }, "AddBackward1");
  return out;
}

/** A kernel's float-only dispatch error ("x" not implemented for 'Long'). */
function checkFloating(t: Tensor, kernel: string): void {
  if (!t.dtype.isFloatingPoint)
    throw runtimeError(`"${kernel}" not implemented for '${scalarTypeName(t.dtype)}'`);
}

/** A tensor's values, contiguous, as the kernels read them. */
function valuesOf(t: Tensor): { data: NumArray; offset: number } {
  const { data, offset } = contiguousData(t);
  return { data: data as NumArray, offset };
}

// ---------------------------------------------------------------------------------------------
// poisson_nll_loss

/**
 * ATen's poisson_nll_loss: exp(x) - t x (log_input), else x - t log(x + eps); `full` adds
 * Stirling's t log t - t + log(2 pi t) / 2 where t > 1.
 */
function poissonNll(
  input: Tensor,
  target: Tensor,
  logInput: boolean,
  full: boolean,
  eps: number,
  reduction: ReductionEnum,
): Tensor {
  let loss = logInput
    ? input.exp().sub(target.mul(input))
    : input.sub(target.mul(input.add(eps).log()));
  if (full) {
    const stirling = target
      .mul(target.log())
      .sub(target)
      .add(
        target
          .mul(2 * Math.PI)
          .log()
          .mul(0.5),
      );
    loss = loss.add(stirling.maskedFill(target.le(1), 0));
  }
  return applyReduction(loss, reduction);
}

defineOp({
  name: "poisson_nll_loss",
  variants: ["function"],
  doc: "poisson_nll_loss(input, target, log_input, full, eps, reduction): the ATen op of F.poisson_nll_loss (reduction 0 none, 1 mean, 2 sum).",
  example:
    "torch.poissonNllLoss(torch.tensor([0, 1]), torch.tensor([1, 2]), true, false, 1e-8, 1) // tensor(0.8591)",
  overloads: [
    {
      schema:
        "poisson_nll_loss(Tensor input, Tensor target, bool log_input, bool full, float eps, int reduction) -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        logInput: boolean,
        full: boolean,
        eps: number,
        reduction: number,
      ) => poissonNll(input, target, logInput, full, Number(eps), reduction),
    },
  ],
});

defineOp({
  name: "poisson_nll_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "poisson_nll_loss(input, target): the negative log likelihood of target ~ Poisson(exp(input)) (or Poisson(input) without log_input), reduced.",
  example: "F.poissonNllLoss(torch.tensor([0, 1]), torch.tensor([1, 2])) // tensor(0.8591)",
  overloads: [
    {
      schema:
        "poisson_nll_loss(Tensor input, Tensor target, bool log_input=True, bool full=False, bool? size_average=None, float eps=1e-08, bool? reduce=None, str reduction='mean') -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        logInput: boolean,
        full: boolean,
        sizeAverage: boolean | null,
        eps: number,
        red: boolean | null,
        reduction: string,
      ) => {
        const r =
          sizeAverage !== null || red !== null ? legacyGetString(sizeAverage, red) : reduction;
        if (r !== "none" && r !== "mean" && r !== "sum") throw valueError(`${r} is not valid`);
        return poissonNll(input, target, logInput, full, Number(eps), ENUM[r]);
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// torch.kl_div, torch.binary_cross_entropy_with_logits: the ATen ops of loss.ts's F functions

defineOp({
  name: "kl_div",
  variants: ["function"],
  doc: "kl_div(input, target, reduction, log_target) = target * (log(target) - input) (exp(target) * (target - input) with log_target), the ATen op of F.kl_div (reduction 0 none, 1 mean, 2 sum).",
  example: "torch.klDiv(torch.tensor([-1, -1]), torch.tensor([0.5, 0.5]), 2) // tensor(0.3069)",
  overloads: [
    {
      schema:
        "kl_div(Tensor self, Tensor target, int reduction=Mean, *, bool log_target=False) -> Tensor",
      forward: (self: Tensor, target: Tensor, reduction: number | string, logTarget: boolean) => {
        if (!self.dtype.isFloatingPoint || !target.dtype.isFloatingPoint)
          throw runtimeError("kl_div: Integral inputs not supported.");
        const out = logTarget
          ? target.exp().mul(target.sub(self))
          : xlogy(target).sub(target.mul(self));
        return applyReduction(out, enumOf(reduction));
      },
    },
  ],
});

/** An in-place operand's shape check: `other` must broadcast to `shape`. */
function checkInplaceBroadcast(shape: readonly number[], other: readonly number[]): void {
  const b = broadcastShapes(shape, other);
  if (!shapeEqual(b, shape))
    throw runtimeError(
      `output with shape [${shape.join(", ")}] doesn't match the broadcast shape [${b.join(", ")}]`,
    );
}

defineOp({
  name: "binary_cross_entropy_with_logits",
  variants: ["function"],
  doc: "binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction): the ATen op of F.binary_cross_entropy_with_logits (reduction 0 none, 1 mean, 2 sum); the loss has target's shape.",
  example:
    "torch.binaryCrossEntropyWithLogits(torch.tensor([0]), torch.tensor([1]), null, null, 1) // tensor(0.6931)",
  overloads: [
    {
      schema:
        "binary_cross_entropy_with_logits(Tensor self, Tensor target, Tensor? weight=None, Tensor? pos_weight=None, int reduction=Mean) -> Tensor",
      forward: (
        self: Tensor,
        target: Tensor,
        weight: Tensor | null,
        posWeight: Tensor | null,
        reduction: number | string,
      ) => {
        // ATen computes (1 - target).mul_(input)...: input broadcast to target's shape, and
        // loss.mul_(weight)
        checkInplaceBroadcast(target.shape, self.shape);
        if (weight !== null) checkInplaceBroadcast(target.shape, weight.shape);
        const x = shapeEqual(self.shape, target.shape) ? self : self.expand(target.shape);
        const w =
          weight === null || shapeEqual(weight.shape, target.shape)
            ? weight
            : weight.expand(target.shape);
        const r = enumOf(reduction);
        return NN.binaryCrossEntropyWithLogits(
          x,
          target,
          w,
          posWeight,
          r === 1 ? "mean" : r === 2 ? "sum" : "none",
        );
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// gaussian_nll_loss

defineOp({
  name: "gaussian_nll_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "gaussian_nll_loss(input, target, var) = (log(max(var, eps)) + (input - target)^2 / max(var, eps)) / 2, reduced; var per element or one per row (homoscedastic).",
  example:
    "F.gaussianNllLoss(torch.tensor([0, 1]), torch.tensor([1, 1]), torch.tensor([1, 1])) // tensor(0.2500)",
  overloads: [
    {
      schema:
        "gaussian_nll_loss(Tensor input, Tensor target, Tensor var, bool full=False, float eps=1e-06, str reduction='mean') -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        variance: Tensor,
        full: boolean,
        eps: number,
        reduction: string,
      ) => {
        let v = variance;
        if (!shapeEqual(v.shape, input.shape)) {
          const lead = input.shape.slice(0, -1);
          // one variance per row: unsqueeze to broadcast over the last dim
          if (shapeEqual(lead, v.shape)) v = v.unsqueeze(-1);
          else if (!(
            shapeEqual(lead, v.shape.slice(0, -1)) &&
            v.dim() > 0 &&
            v.shape[v.dim() - 1] === 1
          ))
            throw valueError("var is of incorrect size");
        }
        if (reduction !== "none" && reduction !== "mean" && reduction !== "sum")
          throw valueError(`${reduction} is not valid`);
        if (noGrad(() => v.lt(0).any().item())) throw valueError("var has negative entry/entries");
        // var.clone(), clamped at eps in place without recording (gradients pass unclamped)
        v = v.clone();
        noGrad(() => v.clamp_(Number(eps)));
        let loss = v.log().add(input.sub(target).pow(2).div(v)).mul(0.5);
        if (full) loss = loss.add(0.5 * Math.log(2 * Math.PI));
        return reduction === "mean" ? loss.mean() : reduction === "sum" ? loss.sum() : loss;
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss

/** ATen's cosine_embedding_loss (EPSILON 1e-12 added to the squared norms). */
function cosineEmbedding(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  margin: number,
  reduction: ReductionEnum,
): Tensor {
  const td = target.dim();
  if (td !== 1 && td !== 0)
    throw runtimeError("0D or 1D target tensor expected, multi-target not supported");
  // PyTorch 1.13 checks input1's dimensions only (input2's show in the sums below)
  if (td === 1 ? input1.dim() !== 2 : input1.dim() !== 1)
    throw runtimeError(
      `${td}D target tensor expects ${td + 1}D input tensors, but found inputs with sizes [${input1.shape.join(", ")}] and [${input2.shape.join(", ")}].`,
    );
  const EPSILON = 1e-12;
  const prodSum = input1.mul(input2).sum(td);
  const mag1 = addScalar(input1.mul(input1).sum(td), EPSILON);
  const mag2 = addScalar(input2.mul(input2).sum(td), EPSILON);
  const denom = mag1.mul(mag2).sqrt();
  const cos = prodSum.div(denom);
  const zeros = alloc(cos.shape.slice(), cos.dtype);
  const pos = cos.rsub(1);
  const neg = cos.sub(margin).clampMin(0);
  const outPos = where(target.eq(1), pos, zeros);
  const outNeg = where(target.eq(-1), neg, zeros);
  return applyReduction(outPos.add(outNeg), reduction);
}

/** ATen's hinge_embedding_loss: x where target != -1, plus max(0, margin - x) where target != 1. */
function hingeEmbedding(
  input: Tensor,
  target: Tensor,
  margin: number,
  reduction: ReductionEnum,
): Tensor {
  const zeros = alloc(input.shape.slice(), input.dtype);
  const marginClamp = input.rsub(margin).clampMin(0);
  const outMargin = where(target.ne(1), marginClamp, zeros);
  const outSelf = where(target.ne(-1), input, zeros);
  return applyReduction(outMargin.add(outSelf), reduction);
}

/** ATen's margin_ranking_loss: max(0, -target (x1 - x2) + margin). */
function marginRanking(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  margin: number,
  reduction: ReductionEnum,
): Tensor {
  // margin is a C++ double: integer inputs' difference (computed and wrapped in their type)
  // promotes to the default float dtype when it is added
  const diff = target.neg().mul(input1.sub(input2));
  const d = diff.dtype.isFloatingPoint || diff.dtype.isComplex ? diff : diff.to(getDefaultDtype());
  return applyReduction(addScalar(d, margin).clampMin(0), reduction);
}

defineOp({
  name: "cosine_embedding_loss",
  variants: ["function"],
  doc: "cosine_embedding_loss(x1, x2, y, margin, reduction): 1 - cos(x1, x2) where y = 1, max(0, cos - margin) where y = -1 (ATen op; reduction 0 none, 1 mean, 2 sum).",
  example:
    "torch.cosineEmbeddingLoss(torch.tensor([[1, 0]]), torch.tensor([[0, 1]]), torch.tensor([1])) // tensor([1.])",
  overloads: [
    {
      schema:
        "cosine_embedding_loss(Tensor input1, Tensor input2, Tensor target, float margin=0.0, int reduction=Mean) -> Tensor",
      forward: (x1: Tensor, x2: Tensor, t: Tensor, margin: number, reduction: number | string) =>
        cosineEmbedding(x1, x2, t, Number(margin), enumOf(reduction)),
    },
  ],
});

defineOp({
  name: "hinge_embedding_loss",
  variants: ["function"],
  doc: "hinge_embedding_loss(x, y, margin, reduction): x where y = 1, max(0, margin - x) where y = -1 (ATen op; reduction 0 none, 1 mean, 2 sum).",
  example:
    "torch.hingeEmbeddingLoss(torch.tensor([0.5, 2]), torch.tensor([-1, 1])) // tensor([0.5000, 2.0000])",
  overloads: [
    {
      schema:
        "hinge_embedding_loss(Tensor self, Tensor target, float margin=1.0, int reduction=Mean) -> Tensor",
      forward: (self: Tensor, t: Tensor, margin: number, reduction: number | string) =>
        hingeEmbedding(self, t, Number(margin), enumOf(reduction)),
    },
  ],
});

defineOp({
  name: "margin_ranking_loss",
  variants: ["function"],
  doc: "margin_ranking_loss(x1, x2, y, margin, reduction) = max(0, -y (x1 - x2) + margin) (ATen op; reduction 0 none, 1 mean, 2 sum).",
  example:
    "torch.marginRankingLoss(torch.tensor([1, 2]), torch.tensor([2, 1]), torch.tensor([1, 1])) // tensor([1., 0.])",
  overloads: [
    {
      schema:
        "margin_ranking_loss(Tensor input1, Tensor input2, Tensor target, float margin=0.0, int reduction=Mean) -> Tensor",
      forward: (x1: Tensor, x2: Tensor, t: Tensor, margin: number, reduction: number | string) =>
        marginRanking(x1, x2, t, Number(margin), enumOf(reduction)),
    },
  ],
});

defineOp({
  name: "cosine_embedding_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "cosine_embedding_loss(x1, x2, y): 1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, reduced.",
  example:
    "F.cosineEmbeddingLoss(torch.tensor([[1, 0]]), torch.tensor([[0, 1]]), torch.tensor([1])) // tensor(1.)",
  overloads: [
    {
      schema:
        "cosine_embedding_loss(Tensor input1, Tensor input2, Tensor target, float margin=0, bool? size_average=None, bool? reduce=None, str reduction='mean') -> Tensor",
      forward: (
        x1: Tensor,
        x2: Tensor,
        t: Tensor,
        margin: number,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
      ) => cosineEmbedding(x1, x2, t, Number(margin), reductionEnum(reduction, sizeAverage, red)),
    },
  ],
});

defineOp({
  name: "hinge_embedding_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "hinge_embedding_loss(x, y, margin): x where y = 1, max(0, margin - x) where y = -1, reduced.",
  example: "F.hingeEmbeddingLoss(torch.tensor([0.5, 2]), torch.tensor([-1, 1])) // tensor(1.2500)",
  overloads: [
    {
      schema:
        "hinge_embedding_loss(Tensor input, Tensor target, float margin=1.0, bool? size_average=None, bool? reduce=None, str reduction='mean') -> Tensor",
      forward: (
        input: Tensor,
        t: Tensor,
        margin: number,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
      ) => hingeEmbedding(input, t, Number(margin), reductionEnum(reduction, sizeAverage, red)),
    },
  ],
});

defineOp({
  name: "margin_ranking_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "margin_ranking_loss(x1, x2, y, margin) = max(0, -y (x1 - x2) + margin), reduced.",
  example:
    "F.marginRankingLoss(torch.tensor([1, 2]), torch.tensor([2, 1]), torch.tensor([1, 1])) // tensor(0.5000)",
  overloads: [
    {
      schema:
        "margin_ranking_loss(Tensor input1, Tensor input2, Tensor target, float margin=0, bool? size_average=None, bool? reduce=None, str reduction='mean') -> Tensor",
      forward: (
        x1: Tensor,
        x2: Tensor,
        t: Tensor,
        margin: number,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
      ) => {
        const r = reductionEnum(reduction, sizeAverage, red);
        if (x1.dim() !== x2.dim() || x1.dim() !== t.dim())
          throw runtimeError(
            `margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: ${new Size(x1.shape)}, input2: ${new Size(x2.shape)}, target: ${new Size(t.shape)} `,
          );
        return marginRanking(x1, x2, t, Number(margin), r);
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// soft_margin_loss, multilabel_soft_margin_loss

// soft_margin_loss(x, y) = log(1 + exp(-y x)); d/dx = -y z / (1 + z) with z = exp(-y x),
// divided by numel for the mean (ATen's soft_margin_loss_backward)
const softMarginOp = recordingOp(
  "soft_margin_loss(Tensor self, Tensor target, int reduction) -> Tensor",
  (self: Tensor, target: Tensor, reduction: number) =>
    noGrad(() => {
      const out = self.neg().mul(target);
      if (!shapeEqual(out.shape, self.shape))
        throw runtimeError(
          `output with shape [${self.shape.join(", ")}] doesn't match the broadcast shape [${out.shape.join(", ")}]`,
        );
      return applyReduction(out.exp().add(1).log(), reduction);
    }),
  {
    name: "SoftMarginLossBackward0",
    save: ["self", "target"],
    attrs: ["reduction"],
    grad: (g: Tensor, s: { self: Tensor; target: Tensor }, a: { reduction: number }) => {
      const norm = a.reduction === 1 ? 1 / s.self.numel() : 1;
      const z = s.target.neg().mul(s.self).exp();
      return [s.target.mul(z).mul(-norm).div(z.add(1)).mul(g), null];
    },
    // the reduced elementwise derivative times the tangent; the target has none (as in 1.13)
    jvp: (
      t: { self: Tensor | null },
      p: { self: Tensor; target: Tensor },
      _r: Tensor,
      a: { reduction: number },
    ) => {
      if (t.self === null) return null;
      const z = p.target.neg().mul(p.self).exp();
      return applyReduction(p.target.mul(z).neg().div(z.add(1)).mul(t.self), a.reduction);
    },
  },
);

defineOp({
  name: "soft_margin_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "soft_margin_loss(x, y) = log(1 + exp(-y x)), reduced (y in {-1, 1}).",
  example: "F.softMarginLoss(torch.tensor([0, 2]), torch.tensor([1, -1])) // tensor(1.4100)",
  overloads: [
    {
      schema:
        "soft_margin_loss(Tensor input, Tensor target, bool? size_average=None, bool? reduce=None, str reduction='mean') -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
      ) => softMarginOp(input, target, reductionEnum(reduction, sizeAverage, red)),
    },
  ],
});

defineOp({
  name: "multilabel_soft_margin_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "multilabel_soft_margin_loss(x, y, weight) = -mean over classes of w (y logsigmoid(x) + (1 - y) logsigmoid(-x)), reduced over the batch.",
  example:
    "F.multilabelSoftMarginLoss(torch.tensor([[0, 2]]), torch.tensor([[1, 0]])) // tensor(1.4100)",
  overloads: [
    {
      schema:
        "multilabel_soft_margin_loss(Tensor input, Tensor target, Tensor? weight=None, bool? size_average=None, bool? reduce=None, str reduction='mean') -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        weight: Tensor | null,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
      ) => {
        const r =
          sizeAverage !== null || red !== null ? legacyGetString(sizeAverage, red) : reduction;
        let loss = target
          .mul(NN.logSigmoid(input))
          .add(target.rsub(1).mul(NN.logSigmoid(input.neg())))
          .neg();
        if (weight !== null) loss = loss.mul(weight);
        const classDim = input.dim() - 1;
        loss = loss.sum(classDim).div(input.shape[classDim]);
        if (r === "none") return loss;
        if (r === "mean") return loss.mean();
        if (r === "sum") return loss.sum();
        throw valueError(`${r} is not valid`);
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// multi_margin_loss, multilabel_margin_loss

/** nframe and dim of a multi-margin input, with ATen's check of its shape. */
function marginFrames(input: Tensor): [number, number] {
  const nd = input.dim();
  const valid =
    (nd === 2 && input.shape[1] !== 0) || (nd === 1 && input.shape[0] !== 0) || nd === 0;
  if (!valid)
    throw runtimeError(
      `Expected non-empty vector or matrix with optional 0-dim batch size, but got: [${input.shape.join(", ")}]`,
    );
  return nd <= 1 ? [1, nd === 0 ? 1 : input.shape[0]] : [input.shape[0], input.shape[1]];
}

/** The output gradient of row t: one value for a reduced (or 0-dim) output, else g[t]. */
function rowGrad(g: Tensor): (t: number) => number {
  const { data, offset } = valuesOf(g);
  return g.dim() === 0 ? () => data[offset] : (t) => data[offset + t];
}

interface MultiMarginAttrs {
  p: number;
  margin: number;
  reduction: number;
}

// multi_margin_loss: the CPU kernel and its backward (multi_margin_loss_backward)
const multiMarginOp = recordingOp(
  "multi_margin_loss(Tensor self, Tensor target, Scalar p=1, Scalar margin=1, Tensor? weight=None, int reduction=Mean) -> Tensor",
  (
    self: Tensor,
    target: Tensor,
    p: number,
    margin: number,
    weight: Tensor | null,
    reduction: number,
  ) => {
    if (p !== 1 && p !== 2) throw runtimeError("only p == 1 and p == 2 supported");
    const [nframe, dim] = marginFrames(self);
    if (!(target.dim() <= 1 && target.numel() === nframe))
      throw runtimeError(`inconsistent target size, got: [${target.shape.join(", ")}]`);
    const out = alloc(reduction === 0 && target.dim() > 0 ? [nframe] : [], self.dtype);
    if (self.numel() === 0) return out;
    checkFloating(self, "multi_margin_loss_cpu_kernel");
    const x = valuesOf(self);
    const t = valuesOf(target);
    const w = weight === null ? null : valuesOf(weight.to(self.dtype));
    const rows = new Float64Array(nframe);
    const ok = multiMarginForward(
      x.data as FloatArray,
      x.offset,
      t.data,
      t.offset,
      nframe,
      dim,
      p,
      margin,
      w === null ? null : (w.data as FloatArray),
      w?.offset ?? 0,
      rows,
    );
    if (ok < 0) throw runtimeError("target out of range");
    const o = out.typedArray;
    if (reduction === 0 && out.dim() > 0) for (let i = 0; i < nframe; i++) o[i] = rows[i];
    else {
      let sum = 0;
      for (let i = 0; i < nframe; i++) sum += rows[i];
      o[0] = reduction === 1 ? sum / nframe : sum;
    }
    return out;
  },
  {
    name: "MultiMarginLossBackward0",
    save: ["self", "target", "weight"],
    attrs: ["p", "margin", "reduction"],
    grad: (g: Tensor, s: { self: Tensor; target: Tensor; weight: Tensor }, a: MultiMarginAttrs) =>
      noGrad(() => {
        const [nframe, dim] = marginFrames(s.self);
        const out = alloc(s.self.shape.slice(), s.self.dtype);
        if (s.self.numel() === 0) return [out, null, null];
        const x = valuesOf(s.self);
        const t = valuesOf(s.target);
        // an absent optional weight is saved as null
        const weight = (s.weight as Tensor | undefined) ?? null;
        const w = weight === null ? null : valuesOf(weight.to(s.self.dtype));
        multiMarginBackward(
          x.data as FloatArray,
          x.offset,
          t.data,
          t.offset,
          nframe,
          dim,
          a.p,
          a.margin,
          w === null ? null : (w.data as FloatArray),
          w?.offset ?? 0,
          a.reduction === 1 ? 1 / (nframe * dim) : 1 / dim,
          rowGrad(g),
          out.typedArray as FloatArray,
        );
        return [out, null, null];
      }),
    jvp: () => {
      throw notImplementedError(
        "Trying to use forward AD with multi_margin_loss that does not support it because it has not been implemented yet.",
      );
    },
  },
);

defineOp({
  name: "multi_margin_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "multi_margin_loss(x, y, p, margin, weight): sum over classes d != y of w[y] max(0, margin - x[y] + x[d])^p / C, reduced over the batch.",
  example: "F.multiMarginLoss(torch.tensor([[0.1, 0.8]]), torch.tensor([1])) // tensor(0.1500)",
  overloads: [
    {
      schema:
        "multi_margin_loss(Tensor input, Tensor target, int p=1, float margin=1.0, Tensor? weight=None, bool? size_average=None, bool? reduce=None, str reduction='mean') -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        p: number,
        margin: number,
        weight: Tensor | null,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
      ) => {
        const r = reductionEnum(reduction, sizeAverage, red);
        if (p !== 1 && p !== 2) throw valueError("only p == 1 and p == 2 supported");
        if (weight !== null && weight.dim() !== 1)
          throw valueError("weight must be one-dimensional");
        return multiMarginOp(input, target, p, Number(margin), weight, r);
      },
    },
  ],
});

// multilabel_margin_loss: the CPU kernel (is_target kept for the backward)
const multilabelMarginOp = recordingOp(
  "multilabel_margin_loss(Tensor self, Tensor target, int reduction=Mean) -> Tensor",
  (self: Tensor, target: Tensor, reduction: number) => {
    const [nframe, dim] = marginFrames(self);
    const ok =
      self.dim() <= 1
        ? target.dim() <= 1 && target.numel() === dim
        : target.dim() === 2 && target.shape[0] === nframe && target.shape[1] === dim;
    if (!ok)
      throw runtimeError(`inconsistent size [${target.shape.join(", ")}] for argument #2 'target'`);
    const out = alloc(reduction !== 0 || target.dim() <= 1 ? [] : [nframe], self.dtype);
    if (self.numel() === 0) return out;
    const t = valuesOf(target);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < target.numel(); i++) {
      lo = Math.min(lo, t.data[t.offset + i]);
      hi = Math.max(hi, t.data[t.offset + i]);
    }
    if (lo < -1 || hi >= dim) throw runtimeError("argument #2 'target' is out of range");
    checkFloating(self, "multilabel_margin_loss_forward_out_frame");
    const x = valuesOf(self);
    const rows = new Float64Array(nframe);
    multilabelMarginForward(
      x.data as FloatArray,
      x.offset,
      t.data,
      t.offset,
      nframe,
      dim,
      new Uint8Array(nframe * dim),
      rows,
    );
    const o = out.typedArray;
    if (out.dim() > 0) for (let i = 0; i < nframe; i++) o[i] = rows[i];
    else {
      let sum = 0;
      for (let i = 0; i < nframe; i++) sum += rows[i];
      o[0] = reduction === 1 ? sum / nframe : sum;
    }
    return out;
  },
  {
    name: "MultilabelMarginLossBackward0",
    save: ["self", "target"],
    attrs: ["reduction"],
    grad: (g: Tensor, s: { self: Tensor; target: Tensor }, a: { reduction: number }) =>
      noGrad(() => {
        const [nframe, dim] = marginFrames(s.self);
        const out = alloc(s.self.shape.slice(), s.self.dtype);
        if (s.self.numel() === 0) return [out, null];
        const x = valuesOf(s.self);
        const t = valuesOf(s.target);
        const isTarget = new Uint8Array(nframe * dim);
        multilabelMarginForward(
          x.data as FloatArray,
          x.offset,
          t.data,
          t.offset,
          nframe,
          dim,
          isTarget,
          new Float64Array(nframe),
        );
        multilabelMarginBackward(
          x.data as FloatArray,
          x.offset,
          t.data,
          t.offset,
          nframe,
          dim,
          isTarget,
          a.reduction === 1 ? 1 / (nframe * dim) : 1 / dim,
          rowGrad(g),
          out.typedArray as FloatArray,
        );
        return [out, null];
      }),
    jvp: () => {
      throw notImplementedError(
        "Trying to use forward AD with multilabel_margin_loss that does not support it because it has not been implemented yet.",
      );
    },
  },
);

defineOp({
  name: "multilabel_margin_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "multilabel_margin_loss(x, y): for the target classes j of a row (its labels before the first -1) and the other classes d, sum max(0, 1 - x[j] + x[d]) / C, reduced.",
  example:
    "F.multilabelMarginLoss(torch.tensor([[0.1, 0.2, 0.4, 0.8]]), torch.tensor([[3, 0, -1, 1]])) // tensor(0.8500)",
  overloads: [
    {
      schema:
        "multilabel_margin_loss(Tensor input, Tensor target, bool? size_average=None, bool? reduce=None, str reduction='mean') -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
      ) => multilabelMarginOp(input, target, reductionEnum(reduction, sizeAverage, red)),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// triplet margin losses

/** ATen's triplet_margin_loss: max(0, margin + d(a, p) - d(a, n)), d the pairwise p-distance. */
function tripletMargin(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  margin: number,
  p: number,
  eps: number,
  swap: boolean,
  reduction: ReductionEnum,
): Tensor {
  const [ad, pd, nd] = [anchor.dim(), positive.dim(), negative.dim()];
  if (!(ad === pd && pd === nd))
    throw runtimeError(
      `All inputs should have same dimension but got ${ad}D, ${pd}D and ${nd}D inputs.`,
    );
  const pairwise = fn("pairwiseDistance");
  const distPos = pairwise(anchor, positive, p, eps) as Tensor;
  let distNeg = pairwise(anchor, negative, p, eps) as Tensor;
  if (swap) distNeg = distNeg.minimum(pairwise(positive, negative, p, eps) as Tensor);
  return applyReduction(addScalar(distPos, margin).sub(distNeg).clampMin(0), reduction);
}

defineOp({
  name: "triplet_margin_loss",
  variants: ["function"],
  doc: "triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction) = max(0, margin + d(a, p) - d(a, n)) (ATen op; reduction 0 none, 1 mean, 2 sum).",
  example:
    "torch.tripletMarginLoss(torch.tensor([[0, 0]]), torch.tensor([[0, 1]]), torch.tensor([[3, 4]])) // tensor([0.])",
  overloads: [
    {
      schema:
        "triplet_margin_loss(Tensor anchor, Tensor positive, Tensor negative, float margin=1.0, float p=2, float eps=1e-06, bool swap=False, int reduction=Mean) -> Tensor",
      forward: (
        a: Tensor,
        pos: Tensor,
        neg: Tensor,
        margin: number,
        p: number,
        eps: number,
        swap: boolean,
        reduction: number | string,
      ) =>
        tripletMargin(a, pos, neg, Number(margin), Number(p), Number(eps), swap, enumOf(reduction)),
    },
  ],
});

defineOp({
  name: "triplet_margin_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "triplet_margin_loss(anchor, positive, negative, margin, p) = max(0, margin + ||a - p||_p - ||a - n||_p), reduced; `swap` uses min(d(a, n), d(p, n)).",
  example:
    "F.tripletMarginLoss(torch.tensor([[0, 0]]), torch.tensor([[0, 1]]), torch.tensor([[0, 1.5]])) // tensor(0.5000)",
  overloads: [
    {
      schema:
        "triplet_margin_loss(Tensor anchor, Tensor positive, Tensor negative, float margin=1.0, float p=2, float eps=1e-06, bool swap=False, bool? size_average=None, bool? reduce=None, str reduction='mean') -> Tensor",
      forward: (
        a: Tensor,
        pos: Tensor,
        neg: Tensor,
        margin: number,
        p: number,
        eps: number,
        swap: boolean,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
      ) =>
        tripletMargin(
          a,
          pos,
          neg,
          Number(margin),
          Number(p),
          Number(eps),
          swap,
          reductionEnum(reduction, sizeAverage, red),
        ),
    },
  ],
});

/** A distance function given to triplet_margin_with_distance_loss. */
export type DistanceFunction = (x1: Tensor, x2: Tensor) => Tensor;

defineOp({
  name: "triplet_margin_with_distance_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  untyped: ["distance_function"],
  tsTypes: {
    distance_function:
      "((x1: Tensor, x2: Tensor) => Tensor) | { call(x1: Tensor, x2: Tensor): Tensor } | null",
  },
  doc: "triplet_margin_with_distance_loss(anchor, positive, negative, { distanceFunction, margin, swap }) = max(0, d(a, p) - d(a, n) + margin), reduced; d defaults to pairwise_distance.",
  example:
    "F.tripletMarginWithDistanceLoss(torch.tensor([[0, 0]]), torch.tensor([[0, 1]]), torch.tensor([[0, 1.5]])) // tensor(0.5000)",
  overloads: [
    {
      schema:
        "triplet_margin_with_distance_loss(Tensor anchor, Tensor positive, Tensor negative, *, Tensor? distance_function=None, float margin=1.0, bool swap=False, str reduction='mean') -> Tensor",
      forward: (
        a: Tensor,
        pos: Tensor,
        neg: Tensor,
        distanceFunction: DistanceFunction | null,
        margin: number,
        swap: boolean,
        reduction: string,
      ) => {
        // a function, or a module (anything with call(x1, x2), as nn.PairwiseDistance)
        const df = distanceFunction as
          DistanceFunction | { call(a: Tensor, b: Tensor): Tensor } | null;
        const dist: DistanceFunction =
          df === null
            ? (x1, x2) => fn("pairwiseDistance", "nn.functional")(x1, x2) as Tensor
            : typeof df === "function"
              ? df
              : (x1, x2) => df.call(x1, x2);
        const positiveDist = dist(a, pos);
        let negativeDist = dist(a, neg);
        if (swap) negativeDist = fn("min")(negativeDist, dist(pos, neg)) as Tensor;
        const output = positiveDist.sub(negativeDist).add(Number(margin)).clamp(0);
        const r = ENUM[getEnum(reduction)];
        return r === 1 ? output.mean() : r === 2 ? output.sum() : output;
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// pdist, and torch.pairwise_distance / torch.cosine_similarity

// _pdist_forward: the kernel; _pdist_backward: PyTorch's per-p rules (PdistBackward0)
const pdistOp = recordingOp(
  "_pdist_forward(Tensor self, float p=2) -> Tensor",
  (self: Tensor, p: number) => {
    const n = self.shape[0];
    const m = self.shape[1];
    const out = alloc([n <= 1 ? 0 : (n * (n - 1)) / 2], self.dtype);
    if (n <= 1 || m === 0) return out;
    const x = valuesOf(self);
    pdistForward(x.data as FloatArray, x.offset, n, m, p, out.typedArray as FloatArray);
    return out;
  },
  {
    name: "PdistBackward0",
    save: ["self", "result"],
    attrs: ["p"],
    grad: (g: Tensor, s: { self: Tensor; result: Tensor }, a: { p: number }) =>
      noGrad(() => {
        const [n, m] = s.self.shape;
        const out = alloc([n, m], s.self.dtype);
        if (n <= 1 || m === 0) return [out];
        const x = valuesOf(s.self);
        const gv = valuesOf(g.contiguous());
        const d = valuesOf(s.result);
        pdistBackward(
          gv.data as FloatArray,
          gv.offset,
          x.data as FloatArray,
          x.offset,
          (d.offset === 0 ? d.data : d.data.subarray(d.offset)) as FloatArray,
          n,
          m,
          a.p,
          out.typedArray as FloatArray,
        );
        return [out];
      }),
    jvp: () => {
      throw notImplementedError(
        "Trying to use forward AD with _pdist_forward that does not support it because it has not been implemented yet.",
      );
    },
  },
);

/** ATen's pdist: its checks, then _pdist_forward on the contiguous input. */
function pdist(self: Tensor, p: number): Tensor {
  if (self.dim() !== 2) throw runtimeError(`pdist only supports 2D tensors, got: ${self.dim()}D`);
  if (!self.dtype.isFloatingPoint) throw runtimeError("pdist only supports floating-point dtypes");
  if (!(p >= 0)) throw runtimeError("pdist only supports non-negative p values");
  return pdistOp(self.contiguous(), p);
}

for (const namespace of ["torch", "nn.functional"] as const)
  defineOp({
    name: "pdist",
    namespace,
    variants: ["function"],
    doc: "pdist(x, p): the p-norm distances between every pair of rows of x (n x m), i < j in row-major order: n (n - 1) / 2 values.",
    example: `${namespace === "torch" ? "torch" : "F"}.pdist(torch.tensor([[0, 0], [3, 4], [6, 8]])) // tensor([ 5., 10.,  5.])`,
    overloads: [
      {
        schema: "pdist(Tensor self, float p=2) -> Tensor",
        forward: (self: Tensor, p: number) => pdist(self, Number(p)),
      },
    ],
  });

// torch.pairwise_distance and torch.cosine_similarity: the ATen ops F's are (nn.ts)
for (const name of ["pairwise_distance", "cosine_similarity"] as const) {
  const f = getOp(
    name === "pairwise_distance" ? "pairwiseDistance" : "cosineSimilarity",
    "nn.functional",
  );
  if (f === undefined) throw new Error(`nn.functional.${name} is not registered`);
  defineOp({
    name,
    variants: ["function"],
    doc: f.doc,
    example: f.example?.replace(/^F\./, "torch."),
    overloads: f.overloads,
  });
}

// ---------------------------------------------------------------------------------------------
// ctc_loss

interface CtcAttrs {
  problem: Omit<CtcProblem, "logProbs" | "lpOffset">;
  zeroInfinity: boolean;
}

// _ctc_loss's backward (derivatives.yaml: log_probs: _ctc_loss_backward(grad, ..., result0,
// result1, blank, zero_infinity)); not differentiable itself, as in PyTorch
registerDerivative("_ctc_loss" as Op, {
  name: "CtcLossBackward0",
  save: ["log_probs", "result0", "result1"] as never,
  grad: ((g: Tensor, s: Record<string, Tensor>, a: CtcAttrs) =>
    noGrad(() => {
      const lp = valuesOf(s.log_probs.contiguous());
      const nll = valuesOf(s.result0);
      const alpha = valuesOf(s.result1);
      const out = alloc(s.log_probs.shape.slice(), s.log_probs.dtype);
      const gv = valuesOf(g.contiguous());
      ctcBackward(
        { ...a.problem, logProbs: lp.data as FloatArray, lpOffset: lp.offset },
        gv.data as FloatArray,
        gv.offset,
        g.dim() === 0 ? 0 : 1,
        nll.data as FloatArray,
        alpha.data as FloatArray,
        a.zeroInfinity,
        out.typedArray as FloatArray,
      );
      return [out];
    })) as never,
});

/** An int[] or integer tensor of lengths as numbers (ATen's ctc_loss.Tensor conversion). */
function lengthsOf(v: Tensor | number[], name: string): number[] {
  if (!(v instanceof Tensor)) return v.map(Number);
  if (!(v.dtype === int64 || v.dtype.name === "int32" || v.dtype.name === "uint8"))
    throw runtimeError(`${name} must be integral`);
  return (v.to(int64).reshape([-1]).tolist() as number[]).map(Number);
}

/** ATen's ctc_loss (CPU): _ctc_loss over (T, B, C), zero_infinity, then the reduction. */
function ctcLoss(
  logProbsIn: Tensor,
  targetsIn: Tensor,
  inputLengthsIn: Tensor | number[],
  targetLengthsIn: Tensor | number[],
  blank: number,
  reduction: ReductionEnum,
  zeroInfinity: boolean,
): Tensor {
  const inputLengths = lengthsOf(inputLengthsIn, "input_lengths");
  const targetLengths = lengthsOf(targetLengthsIn, "target_lengths");
  const batched = logProbsIn.dim() === 3;
  const logProbs = batched ? logProbsIn : logProbsIn.unsqueeze(1);
  checkFloating(logProbs, "ctc_loss_cpu");
  const targets = noGrad(() => targetsIn.to(int64));
  const c = "ctc_loss_cpu";
  if (logProbs.dim() !== 3)
    throw runtimeError(
      `Expected ${logProbs.dim()}-dimensional tensor, but got 3-dimensional tensor for argument #1 'log_probs' (while checking arguments for ${c})`,
    );
  if (targets.dim() < 1 || targets.dim() >= 3)
    throw runtimeError(
      `Expected 1 to 2 dimensions, but got ${targets.dim()}-dimensional tensor for argument #2 'targets' (while checking arguments for ${c})`,
    );
  const [T, B, C] = logProbs.shape;
  if (!(blank >= 0 && blank < C)) throw runtimeError("blank must be in label range");
  if (inputLengths.length !== B) throw runtimeError("input_lengths must be of size batch_size");
  if (targetLengths.length !== B) throw runtimeError("target_lengths must be of size batch_size");
  const tgOffsets: number[] = [];
  let maxTarget = 0;
  let tgStride: number;
  const tv = valuesOf(targets);
  const sizeError = (expected: number, dim: number) =>
    runtimeError(
      `Expected tensor to have size ${expected} at dimension ${dim}, but got size ${targets.shape[dim]} for argument #2 'targets' (while checking arguments for ${c})`,
    );
  if (targets.dim() === 1) {
    let pos = 0;
    for (let b = 0; b < B; b++) {
      tgOffsets.push(tv.offset + pos);
      pos += targetLengths[b];
      maxTarget = Math.max(maxTarget, targetLengths[b]);
    }
    tgStride = 1;
    if (targets.shape[0] !== pos) throw sizeError(pos, 0);
  } else {
    for (let b = 0; b < B; b++) {
      tgOffsets.push(tv.offset + b * targets.shape[1]);
      maxTarget = Math.max(maxTarget, targetLengths[b]);
    }
    tgStride = 1;
    if (targets.shape[0] !== B) throw sizeError(B, 0);
    if (targets.shape[1] < maxTarget)
      throw runtimeError(
        `Expected tensor to have size at least ${maxTarget} at dimension 1, but got size ${targets.shape[1]} for argument #2 'targets' (while checking arguments for ${c})`,
      );
  }
  for (let b = 0; b < B; b++) {
    if (inputLengths[b] > T)
      throw runtimeError(
        `Expected input_lengths to have value at most ${T}, but got value ${inputLengths[b]} (while checking arguments for ${c})`,
      );
  }
  const S = 2 * maxTarget + 1;
  const lp = valuesOf(logProbs.contiguous());
  const problem = {
    T,
    B,
    C,
    targets: tv.data,
    tgOffsets,
    tgStride,
    inputLengths,
    targetLengths,
    S,
    blank,
  };
  const nll = alloc([B], logProbs.dtype);
  const logAlpha = alloc([B, T, S], logProbs.dtype);
  ctcForward(
    { ...problem, logProbs: lp.data as FloatArray, lpOffset: lp.offset },
    nll.typedArray as FloatArray,
    logAlpha.typedArray as FloatArray,
  );
  if (needsGrad(logProbs))
    record(
      "_ctc_loss" as Op,
      nll,
      [logProbs],
      { log_probs: logProbs, result0: nll, result1: logAlpha } as never,
      { problem, zeroInfinity } as never,
    );
  let res = nll;
  if (zeroInfinity) res = where(res.eq(Infinity), alloc([], res.dtype), res);
  if (reduction === 1) {
    // the target lengths clamped at 1, in the loss's dtype
    const tl = alloc([B], res.dtype);
    targetLengths.forEach((v, b) => (tl.typedArray[b] = Math.max(v, 1)));
    return res.div(tl).mean();
  }
  if (reduction === 2) return res.sum();
  return batched ? res : res.squeeze(0);
}

defineOp({
  name: "ctc_loss",
  variants: ["function"],
  doc: "ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity): the connectionist temporal classification loss (ATen op; reduction 0 none, 1 mean, 2 sum).",
  example:
    "torch.ctcLoss(torch.zeros(2, 1, 2), torch.tensor([[1]]), [2], [1], 0, 2) // tensor(-1.0986)",
  overloads: [
    {
      schema:
        "ctc_loss.IntList(Tensor log_probs, Tensor targets, int[] input_lengths, int[] target_lengths, int blank=0, int reduction=Mean, bool zero_infinity=False) -> Tensor",
      forward: (
        lp: Tensor,
        targets: Tensor,
        il: number[],
        tl: number[],
        blank: number,
        reduction: number | string,
        zeroInfinity: boolean,
      ) => ctcLoss(lp, targets, il, tl, blank, enumOf(reduction), zeroInfinity),
    },
    {
      schema:
        "ctc_loss.Tensor(Tensor log_probs, Tensor targets, Tensor input_lengths, Tensor target_lengths, int blank=0, int reduction=Mean, bool zero_infinity=False) -> Tensor",
      forward: (
        lp: Tensor,
        targets: Tensor,
        il: Tensor,
        tl: Tensor,
        blank: number,
        reduction: number | string,
        zeroInfinity: boolean,
      ) => ctcLoss(lp, targets, il, tl, blank, enumOf(reduction), zeroInfinity),
    },
  ],
});

defineOp({
  name: "ctc_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  untyped: ["input_lengths", "target_lengths"],
  tsTypes: { input_lengths: "Tensor | number[]", target_lengths: "Tensor | number[]" },
  doc: "ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity): the connectionist temporal classification loss of log-probabilities (T, N, C) or (T, C) against padded (N, S) or concatenated targets; 'mean' divides each loss by its target length.",
  example: "F.ctcLoss(torch.zeros(2, 1, 2), torch.tensor([[1]]), [2], [1]) // tensor(-1.0986)",
  overloads: [
    {
      schema:
        "ctc_loss(Tensor log_probs, Tensor targets, Tensor input_lengths, Tensor target_lengths, int blank=0, str reduction='mean', bool zero_infinity=False) -> Tensor",
      forward: (
        lp: Tensor,
        targets: Tensor,
        il: Tensor | number[],
        tl: Tensor | number[],
        blank: number,
        reduction: string,
        zeroInfinity: boolean,
      ) => fn("ctcLoss")(lp, targets, il, tl, blank, ENUM[getEnum(reduction)], zeroInfinity),
    },
  ],
});
