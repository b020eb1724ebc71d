/**
 * Neural-network primitives: erf, activations (gelu, silu, leaky_relu, elu, softplus),
 * addmm (nn.Linear), embedding and the loss functions PyTorch implements as single ops
 * (mse, smooth L1, Huber, binary cross entropy (with logits), nll). Each records one node
 * named as PyTorch's; forwards compute in the input's floating dtype, rounding each element
 * once. Their derivatives live in autograd/nn-formulas.ts.
 */
import { Tensor } from "../tensor.js";
import { bool, int64, int32, float64, getDefaultDtype } from "../dtype.js";
import { alloc, allocOutput, asDtype, contiguousData, onDevice, scalarTypeName } from "./core.js";
// Note [device composites] (ops/webgpu.ts)
import * as W from "./webgpu.js";
import { anyNeedsGrad, needsGrad, record } from "../autograd/function.js";
import { noGrad } from "../autograd/grad-mode.js";
import { noForwardGrad } from "../autograd/forward-ad.js";
import { broadcastBinaryInto, clamp } from "./elementwise.js";
import { Binary } from "../backend/elementwise.js";
import { indexError, runtimeError, valueError } from "../errors.js";
import { columnMajor, mm } from "./linalg.js";
import { numelOf, shapeEqual } from "../shape.js";
import { erfScalar } from "../backend/special.js";
import { gelu as geluKernel } from "../backend/activation.js";

export { erfScalar };

/** How a loss reduces its elementwise values. */
export type Reduction = "none" | "mean" | "sum";

// ---------------------------------------------------------------------------------------------
// helpers

function checkFloat(t: Tensor, kernel: string): void {
  if (!t.dtype.isFloatingPoint)
    throw runtimeError(`"${kernel}" not implemented for '${scalarTypeName(t.dtype)}'`);
}

/** The input's values, contiguous, and an output of the same shape and dtype. */
function io(a: Tensor): { x: Tensor["typedArray"]; xo: number; out: Tensor; n: number } {
  const { data, offset } = contiguousData(a);
  return { x: data, xo: offset, out: alloc(a.shape.slice(), a.dtype), n: a.numel() };
}

// ---------------------------------------------------------------------------------------------
// activations

/**
 * torch.erf(input) without recording (the registry's erf records ErfBackward0); integer and
 * bool inputs give the default float dtype.
 * @example torch.erf(torch.tensor([0, 1])) // tensor([0.0000, 0.8427])
 */
export function erf(a: Tensor): Tensor {
  const x0 = a.dtype.isFloatingPoint ? a : noGrad(() => a.to(getDefaultDtype()));
  const { x, xo, out, n } = io(x0);
  const o = out.typedArray;
  for (let i = 0; i < n; i++) o[i] = erfScalar(x[xo + i]);
  return out;
}

/**
 * torch.nn.functional.gelu(input, approximate='none' | 'tanh')
 * @example torch.nn.functional.gelu(torch.tensor([1])) // tensor([0.8413])
 */
export function gelu(a: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  if (approximate !== "none" && approximate !== "tanh")
    throw runtimeError(`approximate argument must be either none or tanh.`);
  checkFloat(a, "GeluKernelImpl");
  const { data, offset } = contiguousData(a);
  const out = allocOutput(a.shape.slice(), a.dtype);
  geluKernel(data, offset, out.typedArray, out.numel(), approximate === "tanh");
  if (needsGrad(a)) record("gelu", out, [a], { self: a }, { approximate });
  return out;
}

/** torch.nn.functional.silu(input) = x * sigmoid(x) */
export function silu(a: Tensor): Tensor {
  checkFloat(a, "silu");
  const { x, xo, out, n } = io(a);
  const o = out.typedArray;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    o[i] = v / (1 + Math.exp(-v));
  }
  if (needsGrad(a)) record("silu", out, [a], { self: a }, {});
  return out;
}

/**
 * torch.nn.functional.leaky_relu(input, negative_slope=0.01); `name`: the node's name when it
 * differs (leaky_relu_'s LeakyReluBackward1).
 */
export function leakyRelu(a: Tensor, slope = 0.01, name?: string): Tensor {
  checkFloat(a, "leaky_relu_cpu");
  const { x, xo, out, n } = io(a);
  const o = out.typedArray;
  const s = a.dtype === float64 ? slope : Math.fround(slope);
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    o[i] = v > 0 ? v : v * s;
  }
  if (needsGrad(a)) record("leakyRelu", out, [a], { self: a }, { slope }, name);
  return out;
}

/**
 * torch.nn.functional.elu(input, alpha=1): x > 0 ? x : alpha*(exp(x) - 1) (with PyTorch's scale
 * and input_scale); `name`: the node's name when it differs (elu_'s EluBackward1).
 */
export function elu(a: Tensor, alpha = 1, scale = 1, inputScale = 1, name?: string): Tensor {
  return eluOp(a, alpha, scale, inputScale, name);
}

/**
 * torch.celu(input, alpha=1) = elu(input, alpha, 1, 1/alpha), recorded as CeluBackward0 (celu_:
 * CeluBackward1).
 */
export function celu(a: Tensor, alpha = 1, name = "CeluBackward0"): Tensor {
  return eluOp(a, alpha, 1, 1 / alpha, name);
}

function eluOp(a: Tensor, alpha: number, scale: number, inputScale: number, name?: string): Tensor {
  checkFloat(a, "elu_cpu");
  const { x, xo, out, n } = io(a);
  const o = out.typedArray;
  const negcoef = alpha * scale;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    o[i] = v <= 0 ? Math.expm1(v * inputScale) * negcoef : v * scale;
  }
  if (needsGrad(a)) record("elu", out, [a], { self: a }, { alpha, scale, inputScale }, name);
  return out;
}

/** torch.nn.functional.softplus(input, beta=1, threshold=20) = log(1 + exp(beta*x))/beta, linear above threshold. */
export function softplus(a: Tensor, beta = 1, threshold = 20): Tensor {
  checkFloat(a, "softplus_cpu");
  const { x, xo, out, n } = io(a);
  const o = out.typedArray;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    const bx = v * beta;
    o[i] = bx > threshold ? v : Math.log1p(Math.exp(bx)) / beta;
  }
  if (needsGrad(a)) record("softplus", out, [a], { self: a }, { beta, threshold });
  return out;
}

/**
 * torch.nn.functional.hardtanh(input, min_val=-1, max_val=1): input clamped to [min_val,
 * max_val] (HardtanhBackward0: the gradient is 0 at and beyond the bounds).
 * @example hardtanh(torch.tensor([-2, 0.5, 2])) // tensor([-1.0000, 0.5000, 1.0000])
 */
export function hardtanh(a: Tensor, min = -1, max = 1): Tensor {
  if (a.dtype === bool) throw runtimeError("Bool inputs not supported for hardtanh");
  // an integer tensor keeps its dtype (ATen's hardtanh clamps in the input's type; float
  // bounds promote clamp's result, whose values then truncate back)
  const out = noGrad(() =>
    noForwardGrad(() => {
      const r = clamp(a, min, max);
      return r.dtype === a.dtype ? r : r.to(a.dtype);
    }),
  );
  if (out.dtype.isFloatingPoint && needsGrad(a))
    record("hardtanh", out, [a], { self: a }, { min, max });
  return out;
}

/**
 * torch.nn.functional.logsigmoid(input) = log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)),
 * as PyTorch's log_sigmoid_forward with its buffer exp(-|x|) (LogSigmoidBackward0).
 * @example logSigmoid(torch.tensor([0])) // tensor([-0.6931])
 */
export function logSigmoid(a: Tensor): Tensor {
  checkFloat(a, "log_sigmoid_forward");
  const { x, xo, out, n } = io(a);
  const buffer = alloc(a.shape.slice(), a.dtype);
  const o = out.typedArray;
  const z = buffer.typedArray;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    z[i] = Math.exp(-Math.abs(v));
    o[i] = Math.min(v, 0) - Math.log1p(z[i]);
  }
  if (needsGrad(a)) record("logSigmoid", out, [a], { self: a, buffer }, {});
  return out;
}

// ---------------------------------------------------------------------------------------------
// linear algebra for layers

/**
 * Whether bias can be added into prod's own storage: prod is mm's fresh contiguous result, and
 * bias has its dtype and broadcasts to its shape ([N], [1, N], [M, N], [M, 1], [] ...).
 */
function biasFits(bias: Tensor, prod: Tensor): boolean {
  if (bias.dtype !== prod.dtype || bias.dim() > 2 || !prod.isContiguous() || prod.offset !== 0)
    return false;
  if (prod.typedArray.length !== prod.numel()) return false;
  for (let i = 1; i <= bias.dim(); i++) {
    const s = bias.shape[bias.dim() - i];
    if (s !== 1 && s !== prod.shape[prod.dim() - i]) return false;
  }
  return true;
}

/** prod + bias written over prod (one pass over memory mm just wrote; the sum is the same). */
function addBiasInPlace(prod: Tensor, bias: Tensor): Tensor {
  broadcastBinaryInto(Binary.Add, prod, bias, prod.shape, prod.typedArray, 0);
  return prod;
}

/**
 * torch.addmm(bias, mat1, mat2) with beta = alpha = 1: bias + mat1 @ mat2 (nn.Linear's 2-D path).
 * @example addmm(torch.ones(2), torch.eye(2), torch.tensor([[1, 2], [3, 4]])) // tensor([[2., 3.], [4., 5.]])
 */
export function addmm(bias: Tensor, mat1: Tensor, mat2: Tensor): Tensor {
  const prod = noGrad(() => mm(mat1, mat2));
  const out = biasFits(bias, prod) ? addBiasInPlace(prod, bias) : noGrad(() => prod.add(bias));
  if (!shapeEqual(out.shape, prod.shape)) {
    throw runtimeError(
      `The expanded size of the tensor (${prod.shape[1]}) must match the existing size (${bias.shape[bias.dim() - 1]}) at non-singleton dimension 1.  Target sizes: [${prod.shape.join(", ")}].  Tensor sizes: [${bias.shape.join(", ")}]`,
    );
  }
  if (anyNeedsGrad([bias, mat1, mat2])) {
    record(
      "linearAddmm",
      out,
      [bias, mat1, mat2],
      { mat1: mat2.requiresGrad ? mat1 : null, mat2: mat1.requiresGrad ? mat2 : null },
      { mat1ColumnMajor: columnMajor(mat1), mat2ColumnMajor: columnMajor(mat2) },
    );
  }
  return out;
}

/**
 * torch.embedding(weight, indices, padding_idx, scale_grad_by_freq, sparse): rows of `weight`;
 * with `sparse` the weight's gradient is a sparse COO tensor (embeddingSparseBackward).
 * @example embedding(torch.eye(3), torch.tensor([2, 0], { dtype: torch.int64 }))
 */
export function embedding(
  weight: Tensor,
  indices: Tensor,
  paddingIdx = -1,
  scaleGradByFreq = false,
  sparse = false,
): Tensor {
  if (weight.dim() !== 2) throw runtimeError("'weight' must be 2-D");
  if (indices.dtype !== int64 && indices.dtype !== int32) {
    throw runtimeError(
      `Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.${scalarTypeName(indices.dtype)}Tensor instead (while checking arguments for embedding)`,
    );
  }
  const [V, D] = weight.shape;
  const idx = contiguousData(indices);
  const n = indices.numel();
  const w = contiguousData(weight);
  const out = alloc(indices.shape.concat([D]), weight.dtype);
  const o = out.typedArray;
  const wd = w.data;
  const id = idx.data;
  const io = idx.offset;
  const wo = w.offset;
  for (let i = 0; i < n; i++) {
    const k = id[io + i];
    if (!(k >= 0 && k < V)) throw indexError("index out of range in self");
    const src = wo + k * D;
    // a row: one block copy when long enough to pay for the view (1024x128 float32: 204 -> 44
    // µs); out has the weight's dtype, so both are arrays of one type
    if (D >= 32) (o as Float64Array).set(wd.subarray(src, src + D) as Float64Array, i * D);
    else for (let j = 0; j < D; j++) o[i * D + j] = wd[src + j];
  }
  if (needsGrad(weight)) {
    record(
      "embedding",
      out,
      [weight],
      { indices },
      { numWeights: V, paddingIdx, scaleGradByFreq, sparse },
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// losses

/** Reduce elementwise losses (no autograd). */
function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === "none") return loss;
  return noGrad(() => (reduction === "mean" ? loss.mean() : loss.sum()));
}

function checkReduction(r: string): Reduction {
  if (r === "none" || r === "mean" || r === "sum") return r;
  throw valueError(`${r} is not a valid value for reduction`);
}

function sameShapeAs(input: Tensor, target: Tensor, what: string): void {
  if (!shapeEqual(input.shape, target.shape)) {
    throw runtimeError(
      `${what}: the input and target must have the same shape, got [${input.shape.join(", ")}] and [${target.shape.join(", ")}]`,
    );
  }
}

/**
 * mse_loss(input, target, reduction): (input - target)^2, reduced (MseLossBackward0).
 * Input and target have the same shape (nn.functional broadcasts them first).
 */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = "mean"): Tensor {
  checkReduction(reduction);
  sameShapeAs(input, target, "mse_loss");
  if (onDevice(input)) return W.deviceMseLoss(input, target, reduction);
  const loss = noGrad(() => {
    const d = input.sub(target);
    return d.mul(d);
  });
  const out = reduce(loss, reduction);
  if (needsGrad(input, target))
    record("mseLoss", out, [input, target], { self: input, target }, { reduction });
  return out;
}

/** smooth_l1_loss(input, target, reduction, beta): 0.5 d^2/beta where |d| < beta, else |d| - beta/2. */
export function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  reduction: Reduction = "mean",
  beta = 1,
): Tensor {
  checkReduction(reduction);
  sameShapeAs(input, target, "smooth_l1_loss");
  if (onDevice(input)) return W.deviceSmoothLoss(input, target, reduction, beta, false);
  const loss = elementwiseLoss(input, target, (z) =>
    z < beta ? (0.5 * z * z) / beta : z - 0.5 * beta,
  );
  const out = reduce(loss, reduction);
  if (needsGrad(input, target))
    record("smoothL1Loss", out, [input, target], { self: input, target }, { reduction, beta });
  return out;
}

/** huber_loss(input, target, reduction, delta): 0.5 d^2 where |d| < delta, else delta(|d| - delta/2). */
export function huberLoss(
  input: Tensor,
  target: Tensor,
  reduction: Reduction = "mean",
  delta = 1,
): Tensor {
  checkReduction(reduction);
  sameShapeAs(input, target, "huber_loss");
  if (onDevice(input)) return W.deviceSmoothLoss(input, target, reduction, delta, true);
  const loss = elementwiseLoss(input, target, (z) =>
    z < delta ? 0.5 * z * z : delta * (z - 0.5 * delta),
  );
  const out = reduce(loss, reduction);
  if (needsGrad(input, target))
    record("huberLoss", out, [input, target], { self: input, target }, { reduction, delta });
  return out;
}

/** f(|input - target|) elementwise, with |input - target| rounded to the dtype first. */
function elementwiseLoss(input: Tensor, target: Tensor, f: (z: number) => number): Tensor {
  const d = noGrad(() => input.sub(target).abs());
  const out = alloc(d.shape.slice(), d.dtype);
  const o = out.typedArray;
  const src = d.typedArray;
  for (let i = 0; i < src.length; i++) o[i] = f(src[i]);
  return out;
}

/**
 * binary_cross_entropy(input, target, weight, reduction): -w (t log x + (1 - t) log(1 - x)),
 * logs clamped at -100 as PyTorch.
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null = null,
  reduction: Reduction = "mean",
): Tensor {
  checkReduction(reduction);
  checkFloat(input, "binary_cross_entropy");
  if (onDevice(input)) return W.deviceBinaryCrossEntropy(input, target, weight, reduction);
  const x = contiguousData(input);
  const t = asDtype(target, input.dtype);
  const n = input.numel();
  const loss = alloc(input.shape.slice(), input.dtype);
  const o = loss.typedArray;
  for (let i = 0; i < n; i++) {
    const xv = x.data[x.offset + i];
    const tv = t.data[t.offset + i];
    if (!(xv >= 0 && xv <= 1))
      throw runtimeError("all elements of input should be between 0 and 1");
    if (!(tv >= 0 && tv <= 1))
      throw runtimeError("all elements of target should be between 0 and 1");
    o[i] = (tv - 1) * Math.max(Math.log1p(-xv), -100) - tv * Math.max(Math.log(xv), -100);
  }
  const weighted = weight === null ? loss : noGrad(() => loss.mul(weight));
  const out = reduce(weighted, reduction);
  if (needsGrad(input, target))
    record(
      "binaryCrossEntropy",
      out,
      [input, target],
      { self: input, target, weight },
      { reduction },
    );
  return out;
}

/**
 * binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction), computed as
 * PyTorch's numerically stable form.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null = null,
  posWeight: Tensor | null = null,
  reduction: Reduction = "mean",
): Tensor {
  checkReduction(reduction);
  if (onDevice(input)) return W.deviceBceWithLogits(input, target, weight, posWeight, reduction);
  const loss = noGrad(() => {
    const maxVal = input.neg().clamp(0);
    const logTerm = maxVal.neg().exp().add(input.neg().sub(maxVal).exp()).log();
    let l: Tensor;
    if (posWeight !== null) {
      const logWeight = posWeight.sub(1).mul(target).add(1);
      l = target
        .rsub(1)
        .mul(input)
        .add(logWeight.mul(logTerm.add(maxVal)));
    } else {
      l = target.rsub(1).mul(input).add(maxVal).add(logTerm);
    }
    return weight !== null ? l.mul(weight) : l;
  });
  const out = reduce(loss, reduction);
  if (needsGrad(input, target))
    record(
      "bceWithLogits",
      out,
      [input, target],
      { self: input, target, weight, posWeight },
      { reduction },
    );
  return out;
}

/**
 * nll_loss(input, target, weight, reduction, ignore_index): -weight[t] * input[n, t], with
 * the classes along dim 1 (dim 0 for an unbatched 1-D input), for any number of extra dims.
 */
export function nllLoss(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null = null,
  reduction: Reduction = "mean",
  ignoreIndex = -100,
): Tensor {
  checkReduction(reduction);
  const nd = input.dim();
  if (nd < 1) throw runtimeError("input tensor should be 1D or 2D");
  if (target.dtype !== int64 && target.dtype !== int32) {
    throw runtimeError(`expected scalar type Long but found ${scalarTypeName(target.dtype)}`);
  }
  const classDim = nd === 1 ? 0 : 1;
  const C = input.shape[classDim];
  const batchShape = nd === 1 ? [] : [input.shape[0], ...input.shape.slice(2)];
  if (nd === 1 && target.dim() > 1)
    throw runtimeError("0D or 1D target tensor expected, multi-target not supported");
  if (nd === 2 && target.dim() !== 1) {
    throw runtimeError("0D or 1D target tensor expected, multi-target not supported");
  }
  if (nd >= 2 && input.shape[0] !== target.shape[0]) {
    throw valueError(
      `Expected input batch_size (${input.shape[0]}) to match target batch_size (${target.shape[0]}).`,
    );
  }
  if (nd > 2 && !shapeEqual(target.shape, batchShape)) {
    throw runtimeError(
      `Expected target size [${batchShape.join(", ")}], got [${target.shape.join(", ")}]`,
    );
  }
  if (weight !== null && (weight.dim() !== 1 || weight.numel() !== C)) {
    throw runtimeError(
      `weight tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: [${weight.shape.join(", ")}]`,
    );
  }
  if (onDevice(input)) return W.deviceNllLoss(input, target, weight, reduction, ignoreIndex);
  const P = numelOf(batchShape);
  const inner = nd > 2 ? numelOf(input.shape.slice(2)) : 1;
  const x = contiguousData(input);
  const t = contiguousData(target);
  const w = weight === null ? null : asDtype(weight, input.dtype);
  const perPos = alloc(batchShape, input.dtype);
  const pw = perPos.typedArray;
  let total = 0;
  for (let p = 0; p < P; p++) {
    const cls = t.data[t.offset + p];
    if (cls === ignoreIndex) continue;
    if (!(cls >= 0 && cls < C)) throw indexError(`Target ${cls} is out of bounds.`);
    const n = Math.floor(p / inner);
    const r = p % inner;
    const wv = w === null ? 1 : w.data[w.offset + cls];
    const xv = x.data[x.offset + (n * C + cls) * inner + r];
    pw[p] = -wv * xv;
    total += wv;
  }
  let out: Tensor;
  const dt = input.dtype;
  const totalWeight = alloc([], dt);
  totalWeight.typedArray[0] = total;
  if (reduction === "none") out = perPos;
  else {
    const s = noGrad(() => perPos.sum());
    if (reduction === "sum") out = s;
    else {
      out = alloc([], dt);
      out.typedArray[0] = s.typedArray[0] / totalWeight.typedArray[0];
    }
  }
  if (needsGrad(input)) {
    // PyTorch's nll_loss_nd: inputs of 3 or more dims go through nll_loss2d
    // (NllLoss2DBackward0), those other than 4-d reshaped, so an unreduced loss is a view of it
    record(
      "nllLoss",
      out,
      [input],
      { self: input, target, weight, totalWeight },
      { reduction, ignoreIndex },
      nd >= 3 ? "NllLoss2DBackward0" : undefined,
    );
    if (nd >= 3 && nd !== 4 && reduction === "none") return out.view(out.shape);
  }
  return out;
}
