/**
 * torch.nn.functional's losses: one `defineOp` per function (see ../define.ts), in the
 * `nn.functional` namespace. They are Python functions in PyTorch (`python`, Note [Python
 * functions] in binder.ts) with their full signatures, including the deprecated `size_average`
 * and `reduce` slots, which still choose the reduction (with PyTorch's warning). Forwards are
 * the recording ops of src/ops/nn.ts or compositions of tensor ops, as PyTorch's.
 */
import { Tensor, Size } from "../../tensor.js";
import { int32, int64 } from "../../dtype.js";
import * as NN from "../../ops/nn.js";
import type { Reduction } from "../../ops/nn.js";
import * as R from "../../ops/reduce.js";
import { onDevice, scalarTypeName } from "../../ops/core.js";
import { broadcastShapes, shapeEqual } from "../../shape.js";
import { runtimeError, valueError } from "../../errors.js";
import { defineOp, fn } from "../define.js";
import { warn } from "./nn.js";

/** torch.nn._reduction.get_enum: a reduction's name checked ('elementwise_mean' is 'mean'). */
export function getEnum(reduction: string): Reduction {
  if (reduction === "none" || reduction === "mean" || reduction === "sum") return reduction;
  if (reduction === "elementwise_mean") {
    warn("reduction='elementwise_mean' is deprecated, please use reduction='mean' instead.");
    return "mean";
  }
  throw valueError(`${reduction} is not a valid value for reduction`);
}

/**
 * torch.nn._reduction.legacy_get_string: the reduction the deprecated size_average / reduce
 * flags choose (None counts as True), with PyTorch's warning.
 */
export function legacyGetString(sizeAverage: boolean | null, reduce: boolean | null): Reduction {
  const avg = sizeAverage ?? true;
  const red = reduce ?? true;
  const ret: Reduction = avg && red ? "mean" : red ? "sum" : "none";
  warn(`size_average and reduce args will be deprecated, please use reduction='${ret}' instead.`);
  return ret;
}

/** The reduction of a loss from its reduction argument and the legacy flags. */
function reductionOf(reduction: string, sizeAverage: boolean | null, reduce: boolean | null) {
  return sizeAverage !== null || reduce !== null
    ? legacyGetString(sizeAverage, reduce)
    : getEnum(reduction);
}

/** F.mse_loss & co.: warn when the sizes differ, then torch.broadcast_tensors(input, target). */
function broadcastPair(input: Tensor, target: Tensor): [Tensor, Tensor] {
  if (shapeEqual(input.shape, target.shape)) return [input, target];
  warn(
    `Using a target size (${new Size(target.shape)}) that is different to the input size (${new Size(input.shape)}). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
  );
  const shape = broadcastShapes(input.shape, target.shape);
  return [
    shapeEqual(input.shape, shape) ? input : input.expand(shape),
    shapeEqual(target.shape, shape) ? target : target.expand(shape),
  ];
}

/** apply_loss_reduction */
function reduce(t: Tensor, reduction: Reduction): Tensor {
  return reduction === "none" ? t : reduction === "mean" ? t.mean() : t.sum();
}

defineOp({
  name: "mse_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "mse_loss(input, target) = mean((input - target)^2) (or summed, or elementwise).",
  example: "F.mseLoss(torch.tensor([1, 2]), torch.tensor([1, 4])) // tensor(2.)",
  overloads: [
    {
      schema:
        "mse_loss(Tensor input, Tensor target, bool? size_average=None, bool? reduce=None, str reduction='mean') -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
      ) => {
        const [a, b] = broadcastPair(input, target);
        return NN.mseLoss(a, b, reductionOf(reduction, sizeAverage, red));
      },
    },
  ],
});

defineOp({
  name: "l1_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "l1_loss(input, target) = mean(|input - target|).",
  example: "F.l1Loss(torch.tensor([1, 2]), torch.tensor([1, 4])) // tensor(1.)",
  overloads: [
    {
      schema:
        "l1_loss(Tensor input, Tensor target, bool? size_average=None, bool? reduce=None, str reduction='mean') -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
      ) => {
        const r = sizeAverage !== null || red !== null ? legacyGetString(sizeAverage, red) : null;
        const [a, b] = broadcastPair(input, target);
        return reduce(a.sub(b).abs(), r ?? getEnum(reduction));
      },
    },
  ],
});

defineOp({
  name: "smooth_l1_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "smooth_l1_loss(input, target, beta): 0.5 d^2 / beta where |d| < beta, else |d| - beta / 2.",
  example: "F.smoothL1Loss(torch.tensor([0, 0]), torch.tensor([0.5, 3])) // tensor(1.3125)",
  overloads: [
    {
      schema:
        "smooth_l1_loss(Tensor input, Tensor target, bool? size_average=None, bool? reduce=None, str reduction='mean', float beta=1.0) -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
        beta: number,
      ) => {
        const r = sizeAverage !== null || red !== null ? legacyGetString(sizeAverage, red) : null;
        const [a, b] = broadcastPair(input, target);
        const rd = r ?? getEnum(reduction);
        if (beta < 0)
          throw runtimeError("smooth_l1_loss does not support negative values for beta.");
        return NN.smoothL1Loss(a, b, rd, Number(beta));
      },
    },
  ],
});

defineOp({
  name: "huber_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "huber_loss(input, target, delta): 0.5 d^2 where |d| < delta, else delta (|d| - delta / 2).",
  example: "F.huberLoss(torch.tensor([0, 0]), torch.tensor([0.5, 3])) // tensor(1.3125)",
  overloads: [
    {
      schema:
        "huber_loss(Tensor input, Tensor target, str reduction='mean', float delta=1.0) -> Tensor",
      forward: (input: Tensor, target: Tensor, reduction: string, delta: number) => {
        const [a, b] = broadcastPair(input, target);
        const rd = getEnum(reduction);
        if (!(delta > 0))
          throw runtimeError("huber_loss does not support non-positive values for delta.");
        return NN.huberLoss(a, b, rd, Number(delta));
      },
    },
  ],
});

defineOp({
  name: "nll_loss",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "nll_loss(log_probs, target, weight, ignore_index): -weight[t] * log_probs[n, t], reduced.",
  example:
    "F.nllLoss(torch.tensor([[-1, -2]]), torch.tensor([1], { dtype: torch.long })) // tensor(2.)",
  overloads: [
    {
      schema:
        "nll_loss(Tensor input, Tensor target, Tensor? weight=None, bool? size_average=None, int ignore_index=-100, bool? reduce=None, str reduction='mean') -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        weight: Tensor | null,
        sizeAverage: boolean | null,
        ignoreIndex: number,
        red: boolean | null,
        reduction: string,
      ) => NN.nllLoss(input, target, weight, reductionOf(reduction, sizeAverage, red), ignoreIndex),
    },
  ],
});

/** torch._C._nn.cross_entropy_loss: log_softmax over the class dim, then the NLL. */
function crossEntropy(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null,
  red: Reduction,
  ignoreIndex: number,
  ls: number,
): Tensor {
  if (ls < 0 || ls > 1)
    throw runtimeError(`label_smoothing must be between 0.0 and 1.0. Got: ${ls}`);
  const classDim = input.dim() === 1 ? 0 : 1;
  const C = input.shape[classDim];
  // Note [device composites] (ops/webgpu.ts): the registry's log_softmax runs on the device
  const logp = onDevice(input) ? input.logSoftmax(classDim) : R.logSoftmax(input, classDim);
  const wShape = input.dim() === 1 ? [C] : input.shape.map((_, i) => (i === 1 ? C : 1));
  if (shapeEqual(input.shape, target.shape) && target.dtype.isFloatingPoint) {
    // class probabilities: -sum(w_c * t_c * log p_c), t smoothed towards the uniform 1/C
    if (ignoreIndex !== -100)
      throw runtimeError("ignore_index is not supported for floating point target");
    const t = ls > 0 ? target.mul(1 - ls).add(ls / C) : target;
    let prod = logp.mul(t);
    if (weight !== null) prod = prod.mul(weight.view(wShape));
    if (red === "none") return prod.sum(classDim).neg();
    if (red === "sum") return prod.sum().neg();
    return prod
      .sum()
      .neg()
      .div(input.numel() / C);
  }
  if (target.dtype !== int64 && target.dtype !== int32)
    throw runtimeError(`expected scalar type Long but found ${scalarTypeName(target.dtype)}`);
  const nll = NN.nllLoss(logp, target, weight, red, ignoreIndex);
  if (ls === 0) return nll;
  // label smoothing: (1 - ls) * nll + ls / C * the mean (over kept targets) of -sum_c w_c log p_c
  const ignoreMask = target.eq(ignoreIndex);
  let smooth =
    weight !== null ? logp.mul(weight.view(wShape)).sum(classDim).neg() : logp.sum(classDim).neg();
  smooth = smooth.maskedFill(ignoreMask, 0);
  let ret: Tensor;
  if (red === "mean") {
    if (weight !== null) {
      const kept = target.index(ignoreMask.logicalNot()).flatten();
      ret = smooth.sum().div(weight.indexSelect(0, kept).sum());
    } else ret = smooth.sum().div(ignoreMask.logicalNot().sum());
  } else if (red === "sum") ret = smooth.sum();
  else ret = smooth;
  return nll.mul(1 - ls).add(ret.mul(ls / C));
}

defineOp({
  name: "cross_entropy",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "cross_entropy(logits, target): log_softmax then nll_loss for class indices, or -sum(target * log_softmax) for class probabilities; with weight, ignore_index, label_smoothing.",
  example:
    "F.crossEntropy(torch.tensor([[0, 0]]), torch.tensor([1], { dtype: torch.long })) // tensor(0.6931)",
  overloads: [
    {
      schema:
        "cross_entropy(Tensor input, Tensor target, Tensor? weight=None, bool? size_average=None, int ignore_index=-100, bool? reduce=None, str reduction='mean', float label_smoothing=0.0) -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        weight: Tensor | null,
        sizeAverage: boolean | null,
        ignoreIndex: number,
        red: boolean | null,
        reduction: string,
        labelSmoothing: number,
      ) =>
        crossEntropy(
          input,
          target,
          weight,
          reductionOf(reduction, sizeAverage, red),
          ignoreIndex,
          Number(labelSmoothing),
        ),
    },
  ],
});

defineOp({
  name: "binary_cross_entropy",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "binary_cross_entropy(probs, target, weight) = -mean(w (t log p + (1 - t) log(1 - p))).",
  example: "F.binaryCrossEntropy(torch.tensor([0.5]), torch.tensor([1])) // tensor(0.6931)",
  overloads: [
    {
      schema:
        "binary_cross_entropy(Tensor input, Tensor target, Tensor? weight=None, bool? size_average=None, bool? reduce=None, str reduction='mean') -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        weight: Tensor | null,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
      ) => {
        const rd = reductionOf(reduction, sizeAverage, red);
        if (!shapeEqual(input.shape, target.shape))
          throw valueError(
            `Using a target size (${new Size(target.shape)}) that is different to the input size (${new Size(input.shape)}) is deprecated. Please ensure they have the same size.`,
          );
        let w = weight;
        if (w !== null && !shapeEqual(w.shape, target.shape))
          w = w.expand(broadcastShapes(target.shape, w.shape));
        return NN.binaryCrossEntropy(input, target, w, rd);
      },
    },
  ],
});

defineOp({
  name: "binary_cross_entropy_with_logits",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "binary_cross_entropy_with_logits(logits, target, weight, pos_weight): sigmoid and binary cross entropy in one numerically stable op.",
  example: "F.binaryCrossEntropyWithLogits(torch.tensor([0]), torch.tensor([1])) // tensor(0.6931)",
  overloads: [
    {
      schema:
        "binary_cross_entropy_with_logits(Tensor input, Tensor target, Tensor? weight=None, bool? size_average=None, bool? reduce=None, str reduction='mean', Tensor? pos_weight=None) -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        weight: Tensor | null,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
        posWeight: Tensor | null,
      ) => {
        const rd = reductionOf(reduction, sizeAverage, red);
        if (!shapeEqual(input.shape, target.shape))
          throw valueError(
            `Target size (${new Size(target.shape)}) must be the same as input size (${new Size(input.shape)})`,
          );
        return NN.binaryCrossEntropyWithLogits(input, target, weight, posWeight, rd);
      },
    },
  ],
});

/**
 * ATen's at::xlogy(t, t) = t * log(t), 0 where t == 0 (XlogyBackward0: the target's gradient
 * is NaN at 0, as PyTorch's)
 */
export function xlogy(t: Tensor): Tensor {
  return fn("xlogy")(t, t) as Tensor;
}

defineOp({
  name: "kl_div",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "kl_div(log_probs, target): target * (log(target) - input), reduced ('batchmean' divides the sum by the batch size).",
  example:
    "F.klDiv(torch.tensor([[-1, -1]]), torch.tensor([[0.5, 0.5]]), { reduction: 'batchmean' }) // tensor(0.3069)",
  overloads: [
    {
      schema:
        "kl_div(Tensor input, Tensor target, bool? size_average=None, bool? reduce=None, str reduction='mean', bool log_target=False) -> Tensor",
      forward: (
        input: Tensor,
        target: Tensor,
        sizeAverage: boolean | null,
        red: boolean | null,
        reduction: string,
        logTarget: boolean,
      ) => {
        let rd: Reduction;
        if (sizeAverage !== null || red !== null) rd = legacyGetString(sizeAverage, red);
        else {
          if (reduction === "mean")
            warn(
              "reduction: 'mean' divides the total loss by both the batch size and the support size.'batchmean' divides only by the batch size, and aligns with the KL div math definition.'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            );
          rd = getEnum(reduction === "batchmean" ? "sum" : reduction);
        }
        if (!input.dtype.isFloatingPoint || !target.dtype.isFloatingPoint)
          throw runtimeError("kl_div: Integral inputs not supported.");
        const out = logTarget
          ? target.exp().mul(target.sub(input))
          : xlogy(target).sub(target.mul(input));
        const r = reduce(out, rd);
        return reduction === "batchmean" && input.dim() !== 0 ? r.div(input.shape[0]) : r;
      },
    },
  ],
});
