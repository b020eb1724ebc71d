/**
 * PyTorch's `*_backward` ATen ops (tanh_backward, threshold_backward, elu_backward,
 * _softmax_backward_data, mse_loss_backward, ...) as differentiable primitives: the first
 * derivative formulas of the activations and losses call them, so a gradient computed with
 * `createGraph` has PyTorch's node (TanhBackwardBackward0, ...) and differentiates with
 * PyTorch's double-backward formulas (autograd/backward-formulas.ts), to any order.
 *
 * Each op computes its value without recording the pieces (one fused kernel where one exists,
 * otherwise composed ops run untracked), then records one node when an input needs it. Without
 * `createGraph` nothing is recorded and the fused kernels keep the first backward one pass.
 * Inputs that PyTorch's op takes but whose derivative is zero there (threshold_backward's self)
 * are inputs here too, so whether a gradient requires grad follows PyTorch.
 */
import type { Tensor } from "../tensor.js";
import { float32 } from "../dtype.js";
import {
  Activation,
  activationBackward as activationBackwardKernel,
  nativeWorth,
} from "../backend/elementwise.js";
import { anyNeedsGrad, needsGrad, record } from "../autograd/function.js";
import { noGrad } from "../autograd/grad-mode.js";
import { noForwardGrad } from "../autograd/forward-ad.js";
import { alloc, allocOutput, contiguousData, floatToHalf, halfToFloat } from "./core.js";
import { whereForward as where, rsub } from "./elementwise.js";
import { softmaxBackward as softmaxBackwardKernel } from "./reduce.js";
import { erf, type Reduction } from "./nn.js";
import { indexPoolBackward as indexPoolBackwardKernel, type IndexPool } from "./pooling.js";
import { numelOf } from "../shape.js";
import { geluBackward as geluBackwardKernel } from "../backend/activation.js";
import { ScatterOp, scatter as scatterKernel } from "../backend/scatter.js";

/** `fn`'s value with no graph and no tangents recorded (a primitive's value from composed ops). */
export function untracked<T>(fn: () => T): T {
  return noForwardGrad(() => noGrad(fn));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The step at which a fused kernel reads g against the contiguous y (0: g is one value
 * broadcast, 1: g contiguous of y's shape); null when the operands do not fit one pass.
 */
function gradStep(g: Tensor, y: Tensor): 0 | 1 | null {
  if (g.dtype !== y.dtype || !y.dtype.isFloatingPoint || !y.isContiguous()) return null;
  if (g.numel() === 1 || g.strides.every((st) => st === 0)) return 0;
  return g.isContiguous() && sameShape(g.shape, y.shape) ? 1 : null;
}

/** tanh, sigmoid and threshold-at-0 backward in one kernel; null when it does not apply. */
function fusedActivation(g: Tensor, y: Tensor, kind: Activation): Tensor | null {
  if (y.dtype.isHalf && g.dtype === y.dtype) {
    // Note [half compute]: PyTorch's kernel computes the formula in float32, rounding once
    const r = fusedActivation(halfToFloat(g), halfToFloat(y), kind);
    return r === null ? null : floatToHalf(r, y.dtype);
  }
  const step = gradStep(g, y);
  if (step === null) return null;
  const out = allocOutput(y.shape, y.dtype);
  activationBackwardKernel(
    kind,
    g.typedArray,
    g.offset,
    step,
    y.typedArray,
    y.offset,
    out.typedArray,
    y.numel(),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// activations

/**
 * tanh_backward(grad_output, output) = grad_output * (1 - output^2)
 * @example tanhBackward(torch.ones(2), torch.tensor([0, 0.5])) // tensor([1.0000, 0.7500])
 */
export function tanhBackward(g: Tensor, y: Tensor): Tensor {
  const out =
    fusedActivation(g, y, Activation.TanhBackward) ?? untracked(() => g.mul(rsub(y.mul(y), 1)));
  if (needsGrad(g, y)) record("tanhBackward", out, [g, y], { gradOutput: g, output: y }, {});
  return out;
}

/**
 * sigmoid_backward(grad_output, output) = grad_output * output * (1 - output)
 * @example sigmoidBackward(torch.ones(2), torch.tensor([0.5, 1])) // tensor([0.2500, 0.0000])
 */
export function sigmoidBackward(g: Tensor, y: Tensor): Tensor {
  const out =
    fusedActivation(g, y, Activation.SigmoidBackward) ?? untracked(() => g.mul(y.mul(rsub(y, 1))));
  if (needsGrad(g, y)) record("sigmoidBackward", out, [g, y], { gradOutput: g, output: y }, {});
  return out;
}

/**
 * threshold_backward(grad_output, self, threshold): 0 where self <= threshold, else
 * grad_output (relu's backward, on its result).
 * @example thresholdBackward(torch.ones(3), torch.tensor([0, 1, 2]), 0) // tensor([0., 1., 1.])

 */
export function thresholdBackward(g: Tensor, self: Tensor, threshold: number): Tensor {
  const out =
    (threshold === 0 ? fusedActivation(g, self, Activation.ReluBackward) : null) ??
    untracked(() => where(self.le(threshold), 0, g));
  if (needsGrad(g, self)) record("thresholdBackward", out, [g, self], { self }, { threshold });
  return out;
}

/** The activations whose backward is one pass over (grad_output, self). */
const enum Act {
  Elu,
  Softplus,
  LeakyRelu,
  Hardtanh,
}

/**
 * One element of an activation's backward: grad_output `g` times the derivative at `x` (p: the
 * activation's parameters). One function with a switch, so the loop calling it stays
 * monomorphic.
 */
function actBackward(kind: Act, g: number, x: number, p: readonly number[]): number {
  switch (kind) {
    case Act.Elu:
      // p = [alpha * scale, scale, input_scale]
      return x <= 0 ? g * p[2] * p[0] * Math.exp(x * p[2]) : g * p[1];
    case Act.Softplus: {
      // p = [beta, threshold]
      const bx = x * p[0];
      if (bx > p[1]) return g;
      const z = Math.exp(bx);
      return (g * z) / (z + 1);
    }
    case Act.LeakyRelu:
      return x > 0 ? g : g * p[0];
    case Act.Hardtanh:
      return x <= p[0] || x >= p[1] ? 0 : g;
  }
}

/**
 * An activation's backward over g and x (same shape and dtype) in one pass, each element
 * rounded once; null when the operands differ (the caller composes ops).
 */
function fusedAct(kind: Act, g: Tensor, x: Tensor, p: readonly number[]): Tensor | null {
  if (g.dtype !== x.dtype || !sameShape(g.shape, x.shape)) return null;
  const gd = contiguousData(g);
  const xd = contiguousData(x);
  const out = alloc(x.shape.slice(), x.dtype);
  const o = out.typedArray;
  for (let i = 0; i < o.length; i++)
    o[i] = actBackward(kind, gd.data[gd.offset + i], xd.data[xd.offset + i], p);
  return out;
}

/**
 * elu_backward(grad_output, alpha, scale, input_scale, is_result=False, self):
 * grad_output * input_scale * alpha * scale * exp(self * input_scale) where self <= 0, else
 * grad_output * scale.
 */
export function eluBackward(
  g: Tensor,
  x: Tensor,
  alpha: number,
  scale: number,
  inputScale: number,
): Tensor {
  const negcoef = alpha * scale;
  const out =
    fusedAct(Act.Elu, g, x, [negcoef, scale, inputScale]) ??
    untracked(() =>
      where(x.le(0), g.mul(inputScale).mul(negcoef).mul(x.mul(inputScale).exp()), g.mul(scale)),
    );
  if (needsGrad(g, x))
    record("eluBackward", out, [g, x], { gradOutput: g, self: x }, { alpha, scale, inputScale });
  return out;
}

/**
 * softplus_backward(grad_output, self, beta, threshold): grad_output where beta*self >
 * threshold, else grad_output * z / (z + 1) with z = exp(beta*self).
 */
export function softplusBackward(g: Tensor, x: Tensor, beta: number, threshold: number): Tensor {
  const out =
    fusedAct(Act.Softplus, g, x, [beta, threshold]) ??
    untracked(() => {
      const bx = x.mul(beta);
      const z = bx.exp();
      return where(bx.gt(threshold), g, g.mul(z).div(z.add(1)));
    });
  if (needsGrad(g, x))
    record("softplusBackward", out, [g, x], { gradOutput: g, self: x }, { beta, threshold });
  return out;
}

const M_2_SQRTPI = 2 / Math.sqrt(Math.PI);
const SQRT1_2 = Math.SQRT1_2;
/** 1/sqrt(2 pi): the standard normal density's constant */
const GELU_ALPHA = M_2_SQRTPI * SQRT1_2 * 0.5;
/** sqrt(2/pi) */
const GELU_BETA = Math.SQRT2 * M_2_SQRTPI * 0.5;
const GELU_KAPPA = 0.044715;

/** gelu'(self) * grad_output in one pass (backend/activation.ts); null when the operands differ. */
function fusedGelu(g: Tensor, x: Tensor, tanhApprox: boolean): Tensor | null {
  if (g.dtype !== x.dtype || !sameShape(g.shape, x.shape)) return null;
  const gd = contiguousData(g);
  const xd = contiguousData(x);
  const out = allocOutput(x.shape, x.dtype);
  geluBackwardKernel(
    gd.data,
    gd.offset,
    xd.data,
    xd.offset,
    out.typedArray,
    out.numel(),
    tanhApprox,
  );
  return out;
}

/** gelu_backward(grad_output, self, approximate): grad_output * gelu'(self). */
export function geluBackward(g: Tensor, x: Tensor, approximate: "none" | "tanh"): Tensor {
  const tanhApprox = approximate === "tanh";
  const out =
    fusedGelu(g, x, tanhApprox) ??
    untracked(() => {
      if (tanhApprox) {
        const x2 = x.mul(x);
        const inner = x.add(x2.mul(x).mul(GELU_KAPPA)).mul(GELU_BETA);
        const t = inner.tanh();
        const left = t.add(1).mul(0.5);
        const right = x
          .mul(0.5)
          .mul(rsub(t.mul(t), 1))
          .mul(
            x2
              .mul(3 * GELU_KAPPA)
              .add(1)
              .mul(GELU_BETA),
          );
        return g.mul(left.add(right));
      }
      const cdf = erf(x.mul(SQRT1_2)).add(1).mul(0.5);
      const pdf = x.mul(x).mul(-0.5).exp().mul(GELU_ALPHA);
      return g.mul(cdf.add(x.mul(pdf)));
    });
  if (needsGrad(g, x))
    record("geluBackward", out, [g, x], { gradOutput: g, self: x }, { approximate });
  return out;
}

/** leaky_relu_backward(grad_output, self, negative_slope): grad_output where self > 0, else grad_output * negative_slope. */
export function leakyReluBackward(g: Tensor, x: Tensor, slope: number): Tensor {
  const out =
    fusedAct(Act.LeakyRelu, g, x, [slope]) ?? untracked(() => where(x.gt(0), g, g.mul(slope)));
  if (needsGrad(g, x)) record("leakyReluBackward", out, [g, x], { self: x }, { slope });
  return out;
}

/** hardtanh_backward(grad_output, self, min_val, max_val): 0 where self <= min_val or self >= max_val, else grad_output. */
export function hardtanhBackward(g: Tensor, x: Tensor, min: number, max: number): Tensor {
  const out =
    fusedAct(Act.Hardtanh, g, x, [min, max]) ??
    untracked(() => where(x.le(min).logicalOr(x.ge(max)), 0, g));
  if (needsGrad(g, x)) record("hardtanhBackward", out, [g, x], { self: x }, { min, max });
  return out;
}

/**
 * log_sigmoid_backward(grad_output, self, buffer) with buffer = exp(-|self|):
 * grad_output * (max_deriv - sign * z/(1 + z)), max_deriv = [self < 0], sign = self < 0 ? 1 : -1.
 */
export function logSigmoidBackward(g: Tensor, x: Tensor, buffer: Tensor): Tensor {
  let out: Tensor;
  if (g.dtype === x.dtype && sameShape(g.shape, x.shape) && sameShape(buffer.shape, x.shape)) {
    const gd = contiguousData(g);
    const xd = contiguousData(x);
    const zd = contiguousData(buffer);
    out = alloc(x.shape.slice(), x.dtype);
    const o = out.typedArray;
    for (let i = 0; i < o.length; i++) {
      const neg = xd.data[xd.offset + i] < 0;
      const z = zd.data[zd.offset + i];
      o[i] = ((neg ? 1 : 0) - (neg ? 1 : -1) * (z / (1 + z))) * gd.data[gd.offset + i];
    }
  } else {
    out = untracked(() => {
      const frac = buffer.div(buffer.add(1));
      return where(x.lt(0), rsub(frac, 1), frac.neg()).mul(g);
    });
  }
  if (needsGrad(g, x))
    record("logSigmoidBackward", out, [g, x], { gradOutput: g, self: x, buffer }, {});
  return out;
}

// ---------------------------------------------------------------------------------------------
// softmax

/**
 * _softmax_backward_data(grad_output, output, dim): output * (grad_output - sum(grad_output *
 * output, dim)).
 */
export function softmaxBackwardData(g: Tensor, y: Tensor, dim: number): Tensor {
  const out =
    softmaxBackwardKernel(g, y, dim, false) ??
    untracked(() => y.mul(g.sub(g.mul(y).sum(dim, true))));
  if (needsGrad(g, y))
    record("softmaxBackwardData", out, [g, y], { gradOutput: g, output: y }, { dim });
  return out;
}

/** _log_softmax_backward_data(grad_output, output, dim): grad_output - exp(output) * sum(grad_output, dim). */
export function logSoftmaxBackwardData(g: Tensor, y: Tensor, dim: number): Tensor {
  const out =
    softmaxBackwardKernel(g, y, dim, true) ?? untracked(() => g.sub(y.exp().mul(g.sum(dim, true))));
  if (needsGrad(g, y))
    record("logSoftmaxBackwardData", out, [g, y], { gradOutput: g, output: y }, { dim });
  return out;
}

// ---------------------------------------------------------------------------------------------
// losses: grad_output is 0-dim for a reduced loss and broadcasts over the input

/** The factor a reduced loss's gradient carries: 1/numel for a mean, else 1. */
const meanNorm = (x: Tensor, reduction: Reduction): number =>
  reduction === "mean" ? 1 / x.numel() : 1;

/** The pointwise losses whose backward is one pass over (grad_output, self, target). */
const enum Loss {
  Mse,
  SmoothL1,
  Huber,
}

/**
 * One element of a loss backward from d = self - target and grad_output g (p: [norm, beta or
 * delta]), as PyTorch's kernels.
 */
function lossBackward(kind: Loss, g: number, d: number, p: readonly number[]): number {
  const norm = p[0];
  switch (kind) {
    case Loss.Mse:
      return norm * d * g;
    case Loss.SmoothL1:
      if (d <= -p[1]) return -norm * g;
      if (d >= p[1]) return norm * g;
      return (norm * d * g) / p[1];
    case Loss.Huber:
      if (d <= -p[1]) return -norm * g * p[1];
      if (d >= p[1]) return norm * g * p[1];
      return norm * d * g;
  }
}

/**
 * A loss backward in one pass for self and target of one shape and dtype and a grad_output of
 * one value (a reduced loss) or of their shape; null otherwise (the caller composes ops).
 */
function fusedLoss(
  kind: Loss,
  g: Tensor,
  x: Tensor,
  t: Tensor,
  p: readonly number[],
): Tensor | null {
  // large inputs: the composed ops' native kernels are faster than one JavaScript pass
  if (nativeWorth(x.numel())) return null;
  if (!x.dtype.isFloatingPoint || t.dtype !== x.dtype || g.dtype !== x.dtype) return null;
  if (!sameShape(x.shape, t.shape)) return null;
  // one value broadcast (g of a reduced loss: 0-dim), or g of x's shape
  const one = g.numel() === 1 && g.dim() <= x.dim();
  if (!one && !sameShape(g.shape, x.shape)) return null;
  const gd = contiguousData(g);
  const xd = contiguousData(x);
  const td = contiguousData(t);
  const out = alloc(x.shape.slice(), x.dtype);
  const o = out.typedArray;
  const f32 = x.dtype === float32;
  for (let i = 0; i < o.length; i++) {
    // self - target rounded to the dtype, as the kernel computes it
    const d = xd.data[xd.offset + i] - td.data[td.offset + i];
    const gv = gd.data[gd.offset + (one ? 0 : i)];
    o[i] = lossBackward(kind, gv, f32 ? Math.fround(d) : d, p);
  }
  return out;
}

/** mse_loss_backward(grad_output, self, target, reduction) = norm * (self - target) * grad_output, norm = 2 (2/numel for a mean). */
export function mseLossBackward(g: Tensor, x: Tensor, t: Tensor, reduction: Reduction): Tensor {
  const norm = 2 * meanNorm(x, reduction);
  const out = fusedLoss(Loss.Mse, g, x, t, [norm]) ?? untracked(() => x.sub(t).mul(norm).mul(g));
  if (anyNeedsGrad([g, x, t]))
    record("mseLossBackward", out, [g, x, t], { gradOutput: g, self: x, target: t }, { reduction });
  return out;
}

/**
 * smooth_l1_loss_backward(grad_output, self, target, reduction, beta), d = self - target:
 * -norm*g where d <= -beta, norm*g where d >= beta, else norm*d*g/beta (norm: 1/numel for a
 * mean, else 1).
 */
export function smoothL1LossBackward(
  g: Tensor,
  x: Tensor,
  t: Tensor,
  reduction: Reduction,
  beta: number,
): Tensor {
  const norm = meanNorm(x, reduction);
  // composed: norm g clamp(d/beta, -1, 1) (beta 0: -norm g where d <= 0, else norm g)
  const out =
    fusedLoss(Loss.SmoothL1, g, x, t, [norm, beta]) ??
    untracked(() => {
      const d = x.sub(t);
      const ng = g.mul(norm);
      if (beta === 0) return where(d.le(0), ng.neg(), ng);
      return d.div(beta).clamp(-1, 1).mul(ng);
    });
  if (anyNeedsGrad([g, x, t]))
    record(
      "smoothL1LossBackward",
      out,
      [g, x, t],
      { gradOutput: g, self: x, target: t },
      { reduction, beta },
    );
  return out;
}

/**
 * huber_loss_backward(grad_output, self, target, reduction, delta), d = self - target:
 * -norm*g*delta where d <= -delta, norm*g*delta where d >= delta, else norm*d*g.
 */
export function huberLossBackward(
  g: Tensor,
  x: Tensor,
  t: Tensor,
  reduction: Reduction,
  delta: number,
): Tensor {
  const norm = meanNorm(x, reduction);
  // composed: norm g clamp(d, -delta, delta)
  const out =
    fusedLoss(Loss.Huber, g, x, t, [norm, delta]) ??
    untracked(() => x.sub(t).clamp(-delta, delta).mul(g.mul(norm)));
  if (anyNeedsGrad([g, x, t]))
    record(
      "huberLossBackward",
      out,
      [g, x, t],
      { gradOutput: g, self: x, target: t },
      { reduction, delta },
    );
  return out;
}

/** The binary cross entropy's smallest denominator (1 - x) x, as PyTorch's EPSILON. */
export const BCE_EPSILON = 1e-12;

/**
 * binary_cross_entropy_backward(grad_output, self, target, weight, reduction):
 * grad_output * (self - target) / max((1 - self) * self, 1e-12) [* weight] [/ numel].
 */
export function binaryCrossEntropyBackward(
  g: Tensor,
  x: Tensor,
  t: Tensor,
  weight: Tensor | null,
  reduction: Reduction,
): Tensor {
  const out = untracked(() => {
    let r = g.mul(x.sub(t)).div(rsub(x, 1).mul(x).clamp(BCE_EPSILON, null));
    if (weight !== null) r = r.mul(weight);
    return reduction === "mean" ? r.div(x.numel()) : r;
  });
  if (anyNeedsGrad([g, x, t]))
    record(
      "binaryCrossEntropyBackward",
      out,
      [g, x, t],
      { gradOutput: g, self: x, target: t, weight },
      { reduction },
    );
  return out;
}

/**
 * nll_loss_backward(grad_output, self, target, weight, reduction, ignore_index, total_weight):
 * zeros of self's shape with -weight[t] * grad_output (over the total weight for a mean) at
 * each target class (classes along dim 1, dim 0 for an unbatched 1-D input).
 */
export function nllLossBackward(
  g: Tensor,
  self: Tensor,
  target: Tensor,
  weight: Tensor | null,
  totalWeight: Tensor,
  reduction: Reduction,
  ignoreIndex: number,
): Tensor {
  const out = nllLossBackwardValue(
    g,
    self.shape,
    target,
    weight,
    totalWeight,
    reduction,
    ignoreIndex,
  );
  if (needsGrad(g, self))
    record(
      "nllLossBackward",
      out,
      [g, self],
      { target, weight, totalWeight },
      { reduction, ignoreIndex },
    );
  return out;
}

function nllLossBackwardValue(
  g: Tensor,
  shape: readonly number[],
  target: Tensor,
  weight: Tensor | null,
  totalWeight: Tensor,
  reduction: Reduction,
  ignoreIndex: number,
): Tensor {
  const nd = shape.length;
  const classDim = nd === 1 ? 0 : 1;
  const batchShape = nd === 1 ? [] : [shape[0], ...shape.slice(2)];
  const P = numelOf(batchShape);
  const C = shape[classDim];
  const inner = nd > 2 ? numelOf(shape.slice(2)) : 1;
  const t = contiguousData(target);
  const w = weight === null ? null : contiguousData(weight);
  const total = Number(totalWeight.typedArray[totalWeight.offset]);
  // each position's one non-zero, -w[t] * g (over the total weight for a mean), rounded to g's
  // dtype as the coefficient and the product would be
  const out = alloc(shape.slice(), g.dtype);
  const o = out.typedArray;
  const gd = contiguousData(reduction === "none" ? g : untracked(() => g.reshape([])));
  for (let p = 0; p < P; p++) {
    const cls = t.data[t.offset + p];
    if (cls === ignoreIndex) continue;
    const wv = w === null ? 1 : Number(w.data[w.offset + cls]);
    const k = (Math.floor(p / inner) * C + cls) * inner + (p % inner);
    o[k] = reduction === "mean" ? -wv / total : -wv;
    o[k] = o[k] * gd.data[gd.offset + (reduction === "none" ? p : 0)];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// embedding and pooling

/**
 * embedding_dense_backward(grad_output, indices, num_weights, padding_idx, scale_grad_by_freq):
 * the rows of grad_output summed into zeros of [num_weights, D] at their indices (none for the
 * padding index; each divided by its index's count with scale_grad_by_freq).
 */
export function embeddingDenseBackward(
  g: Tensor,
  indices: Tensor,
  numWeights: number,
  paddingIdx: number,
  scaleGradByFreq: boolean,
): Tensor {
  const D = g.shape[g.dim() - 1];
  const n = indices.numel();
  const idx = contiguousData(indices);
  const gd = contiguousData(g);
  const out = alloc([numWeights, D], g.dtype);
  const o = out.typedArray;
  const counts = scaleGradByFreq ? new Float64Array(numWeights) : null;
  if (counts !== null) for (let i = 0; i < n; i++) counts[idx.data[idx.offset + i]]++;
  if (counts === null && paddingIdx < 0 && D > 0) {
    // index_add_(0, indices, grad), as PyTorch's CPU kernel: each row of out gets its rows of
    // grad in index order, by the scatter walk (native from 4096 elements: 1024x128 float32,
    // one thread, 223 -> 34 µs); the forward checked the indices
    scatterKernel(
      ScatterOp.Accumulate,
      o,
      0,
      [0, 1],
      D,
      numWeights,
      idx.data,
      idx.offset,
      [1, 0],
      gd.data,
      gd.offset,
      [D, 1],
      [n, D],
    );
  } else {
    for (let i = 0; i < n; i++) {
      const k = idx.data[idx.offset + i];
      if (k === paddingIdx) continue;
      const scale = counts === null ? 1 : 1 / counts[k];
      for (let j = 0; j < D; j++) {
        const v = gd.data[gd.offset + i * D + j];
        o[k * D + j] += counts === null ? v : v * scale;
      }
    }
  }
  if (needsGrad(g))
    record(
      "embeddingDenseBackward",
      out,
      [g],
      { indices },
      { numWeights, paddingIdx, scaleGradByFreq },
    );
  return out;
}

/** The backward op of each index pooling (its grad_fn is <Name>BackwardBackward0). */
const INDEX_POOL_BACKWARD = {
  maxPool2d: "maxPool2dBackward",
  maxPool3d: "maxPool3dBackward",
  adaptiveMaxPool2d: "adaptiveMaxPool2dBackward",
  adaptiveMaxPool3d: "adaptiveMaxPool3dBackward",
  fractionalMaxPool2d: "fractionalMaxPool2dBackward",
  fractionalMaxPool3d: "fractionalMaxPool3dBackward",
} as const;

/** Spatial dims of each index pooling. */
export const INDEX_POOL_DIMS: Record<IndexPool, number> = {
  maxPool2d: 2,
  maxPool3d: 3,
  adaptiveMaxPool2d: 2,
  adaptiveMaxPool3d: 3,
  fractionalMaxPool2d: 2,
  fractionalMaxPool3d: 3,
};

/**
 * max_pool2d_with_indices_backward (and max_pool3d's, adaptive_max_pool*'s,
 * fractional_max_pool*'s backward) (grad_output, self, ..., indices): grad_output added into
 * zeros of self's shape at the positions of the maxima.
 */
export function indexPoolBackward(
  g: Tensor,
  self: Tensor,
  indices: Tensor,
  kind: IndexPool = "maxPool2d",
): Tensor {
  const k = INDEX_POOL_DIMS[kind];
  const out = indexPoolBackwardKernel(g, indices, self.shape, k);
  if (needsGrad(g, self)) record(INDEX_POOL_BACKWARD[kind], out, [g, self], { indices }, { k });
  return out;
}

/** max_pool2d_with_indices_backward (the 2-D name). */
export const maxPool2dWithIndicesBackward = (g: Tensor, self: Tensor, indices: Tensor): Tensor =>
  indexPoolBackward(g, self, indices, "maxPool2d");
