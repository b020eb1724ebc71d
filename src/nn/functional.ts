/**
 * torch.nn.functional: activations, linear layers, dropout, embedding and losses with
 * PyTorch's argument conventions (positional tensors, an options object for the keyword
 * arguments) and graphs (node names) where cheap. Convolution, pooling and normalisation come
 * from functional-layers.ts and are re-exported here.
 *
 * @example
 * import * as torch from "tensorgrad";
 * const F = torch.nn.functional;
 * const loss = F.crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 */
import { Tensor, Size } from "../tensor.js";
import { bool, float32, float64, int64, int32 } from "../dtype.js";
import { noGrad } from "../autograd/grad-mode.js";
import * as NN from "../ops/nn.js";
import type { Reduction } from "../ops/nn.js";
import * as E from "../ops/elementwise.js";
import * as R from "../ops/reduce.js";
import { inplace } from "../ops/inplace.js";
import { alloc } from "../ops/core.js";
import { broadcastShapes, shapeEqual } from "../shape.js";
import { fillBernoulli, type CPUGeneratorImpl } from "../random.js";
import { defaultGenerator } from "../generator.js";
import { runtimeError, valueError } from "../errors.js";

export * from "./functional-layers.js";
export type { Reduction };

function checkReduction(r: string | undefined): Reduction {
  const red = r ?? "mean";
  if (red !== "none" && red !== "mean" && red !== "sum")
    throw valueError(`${red} is not a valid value for reduction`);
  return red;
}

function warn(msg: string): void {
  console.warn(`UserWarning: ${msg}`);
}

// ---------------------------------------------------------------------------------------------
// activations

/** `{ inplace }` of the activations that can modify their input. */
export interface InplaceOption {
  inplace?: boolean;
}

function maybeInplace(
  x: Tensor,
  opts: InplaceOption | boolean | undefined,
  savesSelf: boolean,
  f: (t: Tensor) => Tensor,
): Tensor {
  const inp = typeof opts === "boolean" ? opts : (opts?.inplace ?? false);
  if (!inp) return f(x);
  inplace(x, savesSelf, f);
  return x;
}

/**
 * relu(x) = max(x, 0).
 * @example F.relu(torch.tensor([-1, 2])) // tensor([0., 2.])
 */
export function relu(x: Tensor, opts?: InplaceOption | boolean): Tensor {
  return maybeInplace(x, opts, false, E.relu);
}

/**
 * relu6(x) = min(max(x, 0), 6)
 * @example F.relu6(x)
 */
export function relu6(x: Tensor, opts?: InplaceOption | boolean): Tensor {
  return hardtanh(x, 0, 6, opts);
}

/**
 * hardtanh(x, minVal=-1, maxVal=1) = clamp(x, minVal, maxVal)
 * @example F.hardtanh(x, -2, 2)
 */
export function hardtanh(
  x: Tensor,
  minVal = -1,
  maxVal = 1,
  opts?: InplaceOption | boolean,
): Tensor {
  return maybeInplace(x, opts, true, (t) => E.clamp(t, minVal, maxVal));
}

/**
 * leaky_relu(x, negativeSlope=0.01): x where x > 0, else negativeSlope * x.
 * @example F.leakyRelu(x, 0.2)
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01, opts?: InplaceOption | boolean): Tensor {
  return maybeInplace(x, opts, true, (t) => NN.leakyRelu(t, negativeSlope));
}

/**
 * gelu(x, { approximate: "none" | "tanh" }): x * Phi(x) (exact with erf, or the tanh form).
 * @example F.gelu(x, { approximate: "tanh" })
 */
export function gelu(
  x: Tensor,
  opts: { approximate?: "none" | "tanh" } | "none" | "tanh" = {},
): Tensor {
  const approximate = typeof opts === "string" ? opts : (opts.approximate ?? "none");
  return NN.gelu(x, approximate);
}

/**
 * silu(x) = x * sigmoid(x) (also called swish).
 * @example F.silu(x)
 */
export function silu(x: Tensor, opts?: InplaceOption | boolean): Tensor {
  return maybeInplace(x, opts, true, NN.silu);
}

/**
 * elu(x, alpha=1): x where x > 0, else alpha * (exp(x) - 1).
 * @example F.elu(x, 0.5)
 */
export function elu(x: Tensor, alpha = 1.0, opts?: InplaceOption | boolean): Tensor {
  return maybeInplace(x, opts, true, (t) => NN.elu(t, alpha));
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/**
 * selu(x) = scale * elu(x, alpha) with the self-normalising constants.
 * @example F.selu(x)
 */
export function selu(x: Tensor, opts?: InplaceOption | boolean): Tensor {
  return maybeInplace(x, opts, true, (t) => NN.elu(t, SELU_ALPHA, SELU_SCALE));
}

/**
 * celu(x, alpha=1) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
 * @example F.celu(x, 0.5)
 */
export function celu(x: Tensor, alpha = 1.0, opts?: InplaceOption | boolean): Tensor {
  return maybeInplace(x, opts, true, (t) => NN.elu(t, alpha, 1, 1 / alpha));
}

/**
 * softplus(x, beta=1, threshold=20) = log(1 + exp(beta x)) / beta, x above the threshold.
 * @example F.softplus(x, 2)
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  return NN.softplus(x, beta, threshold);
}

/**
 * logsigmoid(x) = log(sigmoid(x)) = -softplus(-x)
 * @example F.logsigmoid(x)
 */
export function logsigmoid(x: Tensor): Tensor {
  return NN.softplus(x.neg()).neg();
}

/**
 * sigmoid(x) = 1 / (1 + exp(-x))
 * @example F.sigmoid(x)
 */
export function sigmoid(x: Tensor): Tensor {
  return E.sigmoid(x);
}

/**
 * tanh(x)
 * @example F.tanh(x)
 */
export function tanh(x: Tensor): Tensor {
  return E.tanh(x);
}

/**
 * softsign(x) = x / (1 + |x|)
 * @example F.softsign(x)
 */
export function softsign(x: Tensor): Tensor {
  return x.div(x.abs().add(1));
}

/**
 * mish(x) = x * tanh(softplus(x))
 * @example F.mish(x)
 */
export function mish(x: Tensor): Tensor {
  return x.mul(NN.softplus(x).tanh());
}

/**
 * hardsigmoid(x) = clamp(x/6 + 1/2, 0, 1)
 * @example F.hardsigmoid(x)
 */
export function hardsigmoid(x: Tensor): Tensor {
  return x.div(6).add(0.5).clamp(0, 1);
}

/**
 * hardswish(x) = x * hardsigmoid(x)
 * @example F.hardswish(x)
 */
export function hardswish(x: Tensor): Tensor {
  return x.mul(hardsigmoid(x));
}

/** PyTorch's legacy implicit softmax dim (with its deprecation warning). */
function softmaxDim(name: string, ndim: number): number {
  warn(
    `Implicit dimension choice for ${name} has been deprecated. Change the call to include dim=X as an argument.`,
  );
  return ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1;
}

/**
 * softmax(x, dim): exp(x) / sum(exp(x)) along dim.
 * @example F.softmax(logits, -1)
 */
export function softmax(x: Tensor, dim?: number | null): Tensor {
  return R.softmax(x, dim ?? softmaxDim("softmax", x.dim()));
}

/**
 * log_softmax(x, dim) = x - logsumexp(x, dim).
 * @example F.logSoftmax(logits, 1)
 */
export function logSoftmax(x: Tensor, dim?: number | null): Tensor {
  return R.logSoftmax(x, dim ?? softmaxDim("log_softmax", x.dim()));
}

/**
 * softmin(x, dim) = softmax(-x, dim)
 * @example F.softmin(x, 1)
 */
export function softmin(x: Tensor, dim?: number | null): Tensor {
  return R.softmax(x.neg(), dim ?? softmaxDim("softmin", x.dim()));
}

/**
 * normalize(x, p=2, dim=1, eps=1e-12): x / max(||x||_p, eps) along dim.
 * @example F.normalize(embeddings, 2, -1)
 */
export function normalize(x: Tensor, p = 2.0, dim = 1, eps = 1e-12): Tensor {
  const denom = R.norm(x, p, dim, true).clamp(eps).expand(x.shape.slice());
  return x.div(denom);
}

// ---------------------------------------------------------------------------------------------
// linear layers

/**
 * linear(x, weight, bias?) = x @ weight^T + bias, as PyTorch's (addmm for 2-D inputs).
 * @example F.linear(torch.randn(4, 3), torch.randn(2, 3), torch.zeros(2)).shape // [4, 2]
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const b = bias ?? null;
  if (b !== null && input.dim() === 2) return NN.addmm(b, input, weight.t());
  if (b !== null && input.dim() === 3 && input.isContiguous()) {
    const [n0, n1, k] = input.shape;
    const r = NN.addmm(b, input.view(n0 * n1, k), weight.t());
    return r.view(n0, n1, r.shape[1]);
  }
  const out = input.matmul(weight.t());
  return b === null ? out : out.add(b);
}

/**
 * bilinear(x1, x2, weight, bias?): y_o = x1^T W_o x2 + b_o, weight [out, in1, in2].
 * @example F.bilinear(a, b, torch.randn(5, 3, 4))
 */
export function bilinear(
  input1: Tensor,
  input2: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
): Tensor {
  if (input1.dim() !== input2.dim())
    throw runtimeError(
      `bilinear(): input dimensions do not match: got ${input1.dim()} and ${input2.dim()}`,
    );
  for (let i = 0; i < input1.dim() - 1; i++) {
    if (input1.shape[i] !== input2.shape[i])
      throw runtimeError(
        `bilinear(): input batch dimensions do not match: got ${input1.shape[i]} and ${input2.shape[i]}`,
      );
  }
  if (weight.dim() !== 3) throw runtimeError("bilinear(): weight must be a 3-D tensor");
  const [O, I, J] = weight.shape;
  if (input1.shape[input1.dim() - 1] !== I)
    throw runtimeError(
      `bilinear(): input1 size does not match weight size: got ${input1.shape[input1.dim() - 1]} but expected ${I}`,
    );
  if (input2.shape[input2.dim() - 1] !== J)
    throw runtimeError(
      `bilinear(): input2 size does not match weight size: got ${input2.shape[input2.dim() - 1]} but expected ${J}`,
    );
  const lead = input1.shape.slice(0, -1);
  const N = lead.reduce((a, b) => a * b, 1);
  const x1 = input1.reshape(N, I);
  const x2 = input2.reshape(N, 1, J);
  // (x1 @ W viewed as [I, O*J]) -> [N, O, J], times x2, summed over J
  const w = weight.permute(1, 0, 2).reshape(I, O * J);
  let out = x1.mm(w).view(N, O, J).mul(x2).sum(2);
  if (bias !== undefined && bias !== null) out = out.add(bias);
  return out.reshape(lead.concat([O]));
}

// ---------------------------------------------------------------------------------------------
// dropout and embedding

/** Options of dropout. */
export interface DropoutOptions {
  training?: boolean;
  inplace?: boolean;
}

/**
 * Fill `out` with bernoulli(p) samples, as PyTorch's CPU `bernoulli_(p)`: one double uniform per
 * element (two 32-bit draws), 1 where it is < p.
 * @example const mask = new Float32Array(10); F.bernoulliFill(mask, 0.8);
 */
export function bernoulliFill(
  out: Float32Array | Float64Array,
  p: number,
  gen: CPUGeneratorImpl = defaultGenerator,
): void {
  fillBernoulli(out, p, gen);
}

/**
 * dropout(x, p=0.5, { training=true, inplace=false }): zero each element with probability p
 * and scale the rest by 1/(1-p). The mask draws from the generator as PyTorch's CPU
 * `bernoulli_` does, so a seeded run drops the same elements as PyTorch.
 * @example F.dropout(x, 0.2, { training: model.training })
 */
export function dropout(x: Tensor, p = 0.5, opts: DropoutOptions | boolean = {}): Tensor {
  const o = typeof opts === "boolean" ? { training: opts } : opts;
  const training = o.training ?? true;
  if (p < 0 || p > 1)
    throw valueError(`dropout probability has to be between 0 and 1, but got ${p}`);
  if (p === 0 || !training || x.numel() === 0) return x;
  if (!x.dtype.isFloatingPoint)
    throw runtimeError(`"bernoulli_scalar_cpu_" not implemented for '${x.dtype.name}'`);
  let noise: Tensor;
  if (p === 1) noise = alloc([], x.dtype);
  else {
    noise = alloc(x.shape.slice(), x.dtype);
    const nd = noise.typedArray as Float32Array | Float64Array;
    // PyTorch's dropout takes no generator: the mask comes from the default one
    bernoulliFill(nd, 1 - p, defaultGenerator);
    // noise.div_(1 - p), in the tensor's dtype
    const scale = x.dtype === float64 ? 1 - p : Math.fround(1 - p);
    for (let i = 0; i < nd.length; i++) nd[i] = nd[i] / scale;
  }
  if (o.inplace) {
    inplace(x, false, (t) => t.mul(noise));
    return x;
  }
  return x.mul(noise);
}

/** Options of embedding. */
export interface EmbeddingOptions {
  paddingIdx?: number | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  sparse?: boolean;
}

/**
 * embedding(input, weight, opts): rows of `weight` at the int64 indices in `input`.
 * @example F.embedding(torch.tensor([[0, 2]], { dtype: torch.int64 }), torch.randn(3, 4)).shape // [1, 2, 4]
 */
export function embedding(input: Tensor, weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  let paddingIdx = opts.paddingIdx ?? null;
  if (paddingIdx !== null) {
    if (paddingIdx > 0) {
      if (!(paddingIdx < weight.shape[0]))
        throw new Error("Padding_idx must be within num_embeddings");
    } else if (paddingIdx < 0) {
      if (!(paddingIdx >= -weight.shape[0]))
        throw new Error("Padding_idx must be within num_embeddings");
      paddingIdx = weight.shape[0] + paddingIdx;
    }
  }
  if (opts.maxNorm !== undefined && opts.maxNorm !== null) {
    embeddingRenorm_(weight, input, opts.maxNorm, opts.normType ?? 2);
  }
  return NN.embedding(weight, input, paddingIdx ?? -1, opts.scaleGradByFreq ?? false);
}

/**
 * Rescale (in place, without recording) the rows of weight used by `indices` whose norm exceeds maxNorm.
 * @example F.embeddingRenorm_(emb.weight, idx, 1.0, 2)
 */
export function embeddingRenorm_(
  weight: Tensor,
  indices: Tensor,
  maxNorm: number,
  normType: number,
): void {
  noGrad(() => {
    const seen = new Set<number>();
    const idx = indices.contiguous();
    for (let i = 0; i < idx.numel(); i++) {
      const k = idx.typedArray[idx.offset + i];
      if (seen.has(k)) continue;
      seen.add(k);
      const row = weight.select(0, k);
      const norm = R.norm(row, normType).item() as number;
      if (norm > maxNorm) {
        const scale = maxNorm / (norm + 1e-7);
        const s = weight.dtype === float64 ? scale : Math.fround(scale);
        for (let j = 0; j < row.numel(); j++) {
          const off = row.offset + j * row.strides[0];
          weight.typedArray[off] = weight.typedArray[off] * s;
        }
      }
    }
    weight._version.value++;
  });
}

/**
 * one_hot(tensor, numClasses=-1): int64 [..., numClasses] with a 1 at each index.
 * @example F.oneHot(torch.tensor([0, 2], { dtype: torch.int64 }), 3)
 */
export function oneHot(t: Tensor, numClasses = -1): Tensor {
  if (t.dtype !== int64) throw runtimeError("one_hot is only applicable to index tensor.");
  const vals = t.contiguous();
  const n = t.numel();
  let C = numClasses;
  if (C === -1) {
    if (n === 0) throw runtimeError("Can not infer total number of classes from empty tensor.");
    C = 0;
    for (let i = 0; i < n; i++) C = Math.max(C, vals.typedArray[vals.offset + i] + 1);
  }
  const out = alloc(t.shape.concat([C]), int64);
  for (let i = 0; i < n; i++) {
    const k = vals.typedArray[vals.offset + i];
    if (k < 0) throw runtimeError("Class values must be non-negative.");
    if (k >= C) throw runtimeError("Class values must be smaller than num_classes.");
    out.typedArray[i * C + k] = 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// losses

/** `{ reduction }` of every loss: "mean" (default), "sum" or "none". */
export interface ReductionOptions {
  reduction?: Reduction;
}

/** broadcast_tensors(input, target), warning as PyTorch when the sizes differ. */
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

function reduce(t: Tensor, reduction: Reduction): Tensor {
  return reduction === "none" ? t : reduction === "mean" ? t.mean() : t.sum();
}

/**
 * mse_loss(input, target, { reduction }) = mean((input - target)^2).
 * @example F.mseLoss(pred, y)
 */
export function mseLoss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const red = checkReduction(opts.reduction);
  const [a, b] = broadcastPair(input, target);
  return NN.mseLoss(a, b, red);
}

/**
 * l1_loss(input, target, { reduction }) = mean(|input - target|).
 * @example F.l1Loss(pred, target, { reduction: "sum" })
 */
export function l1Loss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const red = checkReduction(opts.reduction);
  const [a, b] = broadcastPair(input, target);
  return reduce(a.sub(b).abs(), red);
}

/**
 * smooth_l1_loss(input, target, { reduction, beta=1 })
 * @example F.smoothL1Loss(pred, target, { beta: 0.5 })
 */
export function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  opts: ReductionOptions & { beta?: number } = {},
): Tensor {
  const red = checkReduction(opts.reduction);
  const beta = opts.beta ?? 1.0;
  if (beta < 0) throw runtimeError("smooth_l1_loss does not support negative values for beta.");
  const [a, b] = broadcastPair(input, target);
  return NN.smoothL1Loss(a, b, red, beta);
}

/**
 * huber_loss(input, target, { reduction, delta=1 })
 * @example F.huberLoss(pred, target, { delta: 2 })
 */
export function huberLoss(
  input: Tensor,
  target: Tensor,
  opts: ReductionOptions & { delta?: number } = {},
): Tensor {
  const red = checkReduction(opts.reduction);
  const delta = opts.delta ?? 1.0;
  if (!(delta > 0))
    throw runtimeError("huber_loss does not support non-positive values for delta.");
  const [a, b] = broadcastPair(input, target);
  return NN.huberLoss(a, b, red, delta);
}

/** Options of nll_loss and cross_entropy. */
export interface NLLLossOptions extends ReductionOptions {
  /** a weight per class */
  weight?: Tensor | null;
  /** target value that contributes nothing (default -100) */
  ignoreIndex?: number;
}

/**
 * nll_loss(logProbs, target, { weight, ignoreIndex=-100, reduction }): -logProbs[n, target[n]].
 * @example F.nllLoss(F.logSoftmax(logits, 1), labels)
 */
export function nllLoss(input: Tensor, target: Tensor, opts: NLLLossOptions = {}): Tensor {
  const red = checkReduction(opts.reduction);
  return NN.nllLoss(input, target, opts.weight ?? null, red, opts.ignoreIndex ?? -100);
}

/** Options of cross_entropy. */
export interface CrossEntropyOptions extends NLLLossOptions {
  /** mix the target with the uniform distribution: (1 - s) * target + s / C */
  labelSmoothing?: number;
}

/**
 * cross_entropy(logits, target, opts): log_softmax then nll_loss for class indices (int64
 * target), or -sum(target * log_softmax) for class probabilities (a float target shaped like the
 * input); `labelSmoothing`, `weight`, `ignoreIndex` and `reduction` as PyTorch's.
 * @example F.crossEntropy(logits, torch.tensor([1, 0], { dtype: torch.int64 }))
 */
export function crossEntropy(
  input: Tensor,
  target: Tensor,
  opts: CrossEntropyOptions = {},
): Tensor {
  const red = checkReduction(opts.reduction);
  const ls = opts.labelSmoothing ?? 0.0;
  const weight = opts.weight ?? null;
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (ls < 0 || ls > 1)
    throw runtimeError(`label_smoothing must be between 0.0 and 1.0. Got: ${ls}`);
  const classDim = input.dim() === 1 ? 0 : 1;
  const C = input.shape[classDim];
  const logp = R.logSoftmax(input, classDim);
  const wShape = input.dim() === 1 ? [C] : input.shape.map((_, i) => (i === 1 ? C : 1));
  if (shapeEqual(input.shape, target.shape) && target.dtype.isFloatingPoint) {
    // class probabilities
    if (ignoreIndex !== -100)
      throw runtimeError("ignore_index is not supported for floating point target");
    const t = ls > 0 ? target.mul(1 - ls).add(ls / C) : target;
    let prod = logp.mul(t);
    if (weight !== null) prod = prod.mul(weight.view(wShape));
    if (red === "none") return prod.sum(classDim).neg();
    if (red === "sum") return prod.sum().neg();
    const n = input.numel() / C;
    return prod.sum().neg().div(n);
  }
  if (target.dtype !== int64 && target.dtype !== int32)
    throw runtimeError(
      `expected scalar type Long but found ${target.dtype === float32 ? "Float" : target.dtype === float64 ? "Double" : target.dtype === bool ? "Bool" : "Int"}`,
    );
  const nll = NN.nllLoss(logp, target, weight, red, ignoreIndex);
  if (ls === 0) return nll;
  const ignoreMask = target.eq(ignoreIndex);
  let smooth =
    weight !== null ? logp.mul(weight.view(wShape)).sum(classDim).neg() : logp.sum(classDim).neg();
  smooth = smooth.maskedFill(ignoreMask, 0);
  let ret: Tensor;
  if (red === "mean") {
    if (weight !== null) {
      const kept = target.index(ignoreMask.logicalNot()).flatten();
      ret = smooth.sum().div(weight.indexSelect(0, kept).sum());
    } else {
      ret = smooth.sum().div(ignoreMask.logicalNot().sum());
    }
  } else if (red === "sum") ret = smooth.sum();
  else ret = smooth;
  return nll.mul(1 - ls).add(ret.mul(ls / C));
}

/** Options of binary_cross_entropy. */
export interface BCEOptions extends ReductionOptions {
  /** a rescaling weight broadcast to the input */
  weight?: Tensor | null;
}

/**
 * binary_cross_entropy(probs, target, { weight, reduction }) = -mean(t log p + (1 - t) log(1 - p)).
 * @example F.binaryCrossEntropy(torch.sigmoid(z), y)
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: BCEOptions = {}): Tensor {
  const red = checkReduction(opts.reduction);
  if (!shapeEqual(input.shape, target.shape))
    throw valueError(
      `Using a target size (${new Size(target.shape)}) that is different to the input size (${new Size(input.shape)}) is deprecated. Please ensure they have the same size.`,
    );
  let w = opts.weight ?? null;
  if (w !== null && !shapeEqual(w.shape, target.shape))
    w = w.expand(broadcastShapes(target.shape, w.shape));
  return NN.binaryCrossEntropy(input, target, w, red);
}

/** Options of binary_cross_entropy_with_logits. */
export interface BCEWithLogitsOptions extends BCEOptions {
  /** weight of the positive examples, per class (broadcast along the last dim) */
  posWeight?: Tensor | null;
}

/**
 * binary_cross_entropy_with_logits(logits, target, { weight, posWeight, reduction }): sigmoid
 * and binary cross entropy in one numerically stable op.
 * @example F.binaryCrossEntropyWithLogits(z, y, { posWeight: torch.tensor([3]) })
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  opts: BCEWithLogitsOptions = {},
): Tensor {
  const red = checkReduction(opts.reduction);
  if (!shapeEqual(input.shape, target.shape))
    throw valueError(
      `Target size (${new Size(target.shape)}) must be the same as input size (${new Size(input.shape)})`,
    );
  return NN.binaryCrossEntropyWithLogits(
    input,
    target,
    opts.weight ?? null,
    opts.posWeight ?? null,
    red,
  );
}

/** Options of kl_div. */
export interface KLDivOptions {
  /** "mean" (PyTorch's default, with its warning), "batchmean", "sum" or "none" */
  reduction?: Reduction | "batchmean";
  /** whether the target is given as log-probabilities */
  logTarget?: boolean;
}

/**
 * kl_div(logProbs, target, { reduction, logTarget }): target * (log(target) - input), reduced.
 * @example F.klDiv(F.logSoftmax(z, 1), p, { reduction: "batchmean" })
 */
export function klDiv(input: Tensor, target: Tensor, opts: KLDivOptions = {}): Tensor {
  const reduction = opts.reduction ?? "mean";
  if (reduction === "mean")
    warn(
      "reduction: 'mean' divides the total loss by both the batch size and the support size.'batchmean' divides only by the batch size, and aligns with the KL div math definition.'mean' will be changed to behave the same as 'batchmean' in the next major release.",
    );
  const red = reduction === "batchmean" ? "sum" : checkReduction(reduction);
  let out: Tensor;
  if (opts.logTarget) out = target.exp().mul(target.sub(input));
  else out = xlogy(target).sub(target.mul(input));
  let r = reduce(out, red);
  if (reduction === "batchmean" && input.dim() !== 0) r = r.div(input.shape[0]);
  return r;
}

/** xlogy(t, t) = t * log(t), 0 where t == 0 */
function xlogy(t: Tensor): Tensor {
  const zero = t.eq(0);
  const safe = E.where(zero, 1, t);
  return E.where(zero, 0, t.mul(safe.log()));
}

/**
 * cosine_similarity(x1, x2, dim=1, eps=1e-8) = x1.x2 / (max(|x1|, eps) max(|x2|, eps))
 * @example F.cosineSimilarity(a, b, 1)
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, dim = 1, eps = 1e-8): Tensor {
  const n1 = R.norm(x1, 2, dim).clamp(eps);
  const n2 = R.norm(x2, 2, dim).clamp(eps);
  return x1.mul(x2).sum(dim).div(n1.mul(n2));
}
