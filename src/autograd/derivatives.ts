/**
 * Derivative formulas as data, one entry per differentiable primitive (PyTorch's
 * derivatives.yaml). Each entry names its backward node, lists exactly what it saves for
 * backward, and computes input gradients with tensor ops, so a backward pass run with
 * `createGraph: true` is itself recorded and can be differentiated again.
 *
 * Note [un-broadcasting]: formulas return gradients in the broadcast (output) shape; the
 * engine sums each back to its input's shape and casts to its dtype, once, for every op.
 * Formulas receive `g`, the gradient of output 0 (multi-output ops read `node.gradOutputs`).
 *
 * The table's type `{ [K in Op]: Derivative<K> }` makes the compiler check that every op
 * declared in `OpDefs` has exactly one formula.
 */
import type { Tensor } from "../tensor.js";
import { registerDerivative, type OpNode } from "./function.js";
import * as F from "./formula-ops.js";
import {
  logSoftmaxBackwardData,
  sigmoidBackward,
  softmaxBackwardData,
  tanhBackward,
  thresholdBackward,
} from "../ops/backward.js";
import { nnDerivatives, type NnOpDefs } from "./nn-derivatives.js";
import { layerDerivatives, type LayerOpDefs } from "./nn-formulas.js";
import { backwardDerivatives, type BackwardOpDefs } from "./backward-formulas.js";
import { rnnDerivatives, type RnnOpDefs } from "./rnn-formulas.js";

/**
 * Every differentiable primitive: the tensors it may save and its non-tensor attributes (the
 * neural-network ones are declared by NnOpDefs in nn-derivatives.ts).
 */
export interface OpDefs extends NnOpDefs, LayerOpDefs, BackwardOpDefs, RnnOpDefs {
  add: { save: never; attrs: { alpha: number } };
  sub: { save: never; attrs: { alpha: number } };
  rsub: { save: never; attrs: { alpha: number; tensorOther: boolean } };
  mul: { save: "self" | "other"; attrs: { scalar: number } };
  div: { save: "self" | "other"; attrs: { scalar: number; roundingMode: string | null } };
  tanh: { save: "result"; attrs: Record<string, never> };
  sigmoid: { save: "result"; attrs: Record<string, never> };
  relu: { save: "result"; attrs: Record<string, never> };
  clamp: { save: "self"; attrs: { min: number | null; max: number | null } };
  clampTensor: { save: "self" | "min" | "max"; attrs: Record<string, never> };
  clampMin: { save: "self" | "bound"; attrs: { bound: number | null } };
  clampMax: { save: "self" | "bound"; attrs: { bound: number | null } };
  sum: { save: never; attrs: { dims: number[] | null; keepdim: boolean } };
  mean: { save: never; attrs: { dims: number[] | null; keepdim: boolean; count: number } };
  prod: { save: "self" | "result"; attrs: { dims: number[] | null; keepdim: boolean } };
  maxDim: { save: "indices"; attrs: { dim: number; keepdim: boolean; name: string } };
  var: { save: "self"; attrs: VarAttrs };
  std: { save: "self" | "result"; attrs: VarAttrs };
  norm: { save: "self" | "result"; attrs: { p: number; dims: number[]; keepdim: boolean } };
  softmax: { save: "result"; attrs: { dim: number } };
  logSoftmax: { save: "result"; attrs: { dim: number } };
  mm: { save: "self" | "other"; attrs: { selfColumnMajor: boolean; otherColumnMajor: boolean } };
  bmm: { save: "self" | "other"; attrs: Record<string, never> };
  mv: { save: "self" | "vec"; attrs: Record<string, never> };
  view: { save: never; attrs: { name: string } };
  transpose: { save: never; attrs: { dim0: number; dim1: number; name: string } };
  permute: { save: never; attrs: { dims: number[] } };
  expand: { save: never; attrs: Record<string, never> };
  squeeze: { save: never; attrs: { name: string } };
  unsqueeze: { save: never; attrs: { dim: number } };
  asStrided: {
    save: never;
    attrs: { name: string; shape: number[]; strides: number[]; offset: number };
  };
  embed: { save: never; attrs: { shape: number[]; strides: number[]; offset: number } };
  cat: { save: never; attrs: { dim: number; sizes: number[]; stack?: boolean } };
  split: { save: never; attrs: { dim: number } };
  unbind: { save: never; attrs: { dim: number } };
  index: { save: "indices"; attrs: { nIndices: number } };
  indexPut: { save: "indices"; attrs: { accumulate: boolean } };
  toCopy: { save: never; attrs: { realInput?: boolean } };
  fill: { save: never; attrs: Record<string, never> };
  fillTensor: { save: never; attrs: Record<string, never> };
  copy: { save: never; attrs: Record<string, never> };
}

export type Op = keyof OpDefs;
/** var/std: the reduced dims (all when no dim was given: `dimGiven` false) */
export type VarAttrs = { dims: number[]; keepdim: boolean; correction: number; dimGiven: boolean };
export type Saved<K extends Op> = { readonly [P in OpDefs[K]["save"]]: Tensor };
export type Grads = (Tensor | null)[];

export interface Derivative<K extends Op> {
  /** the backward node's name (a function of the attributes where PyTorch's name varies) */
  name: string | ((attrs: OpDefs[K]["attrs"]) => string);
  /** exactly what this op keeps for backward */
  save: readonly OpDefs[K]["save"][];
  /**
   * Note [freed graph]: PyTorch saves this op's number operand as a wrapped scalar tensor, so
   * a second backward through the freed node fails even when no tensor was saved here.
   */
  savesScalar?: boolean;
  /** input gradients from the output gradient `g` */
  grad(g: Tensor, s: Saved<K>, a: OpDefs[K]["attrs"], node: OpNode): Grads;
}

const zero = (g: Tensor): Tensor => F.zerosLike(g);

/** t with size-1 dims inserted at `dims` (ascending): a reduction's result in keepdim form. */
function unsqueezeMultiple(t: Tensor, dims: readonly number[]): Tensor {
  let r = t;
  for (const d of [...dims].sort((p, q) => p - q)) r = r.unsqueeze(d);
  return r;
}

/**
 * PyTorch's var_backward: (2 / (N - correction)) * g * (x - mean), over all elements when no
 * dim was given, else over `dims` with g unsqueezed back (unless keepdim).
 */
export function varBackward(g: Tensor, x: Tensor, a: VarAttrs): Tensor {
  if (x.dim() === 0 || !a.dimGiven) {
    return F.mulScalar(g, 2 / (x.numel() - a.correction)).mul(x.sub(x.mean()));
  }
  const gk = !a.keepdim && x.dim() > 1 ? unsqueezeMultiple(g, a.dims) : g;
  const dof = F.countOver(x.shape, a.dims) - a.correction;
  return F.mulScalar(gk, 2 / dof).mul(x.sub(x.mean(a.dims, true)));
}

/**
 * PyTorch's norm_backward: g * d||x||_p/dx with g and the norm in keepdim form. p = 0: none
 * (piecewise constant); 1: sgn(x) g; 2: g x/||x|| (0 where the norm is 0); inf: g sgn(x)
 * shared among the extreme elements (and NaNs); p < 1: sgn(x) |x|^(p-1) (0 at x = 0)
 * g ||x||^(1-p); otherwise sgn(x) |x|^(p-1) g / ||x||^(p-1) (0 where the norm is 0).
 */
export function normBackward(
  grad: Tensor,
  x: Tensor,
  p: number,
  norm: Tensor,
  dims: readonly number[],
  keepdim: boolean,
): Tensor | null {
  let g = grad;
  let nrm = norm;
  if (!keepdim && x.dim() !== 0) {
    g = unsqueezeMultiple(g, dims);
    nrm = unsqueezeMultiple(nrm, dims);
  }
  if (p === 0) return null;
  if (p === 1) return x.sign().mul(g);
  if (p === 2) return g.mul(x.div(nrm).maskedFill(nrm.eq(0), 0));
  if (p === Infinity || p === -Infinity) {
    const xAbs = x.abs();
    const mask = xAbs.eq(nrm).logicalOr(xAbs.isnan());
    return x.sign().mul(g.div(mask.sum(dims.slice(), true)).mul(mask));
  }
  if (p < 1) {
    const scaled = x.sign().mul(
      x
        .abs()
        .pow(p - 1)
        .maskedFill(x.eq(0), 0),
    );
    return scaled.mul(g).mul(nrm.pow(1 - p));
  }
  const scaled = p < 2 ? x.sign().mul(x.abs().pow(p - 1)) : x.mul(x.abs().pow(p - 2));
  const scaleV = g.div(nrm.pow(p - 1)).maskedFill(nrm.eq(0), 0);
  return scaled.mul(scaleV);
}

/** clamp_backward for self: where(min <= x <= max, g, 0) with the absent bounds left out. */
function clampSelfGrad(
  g: Tensor,
  x: Tensor,
  lo: Tensor | number | null,
  hi: Tensor | number | null,
): Tensor {
  if (lo !== null && hi !== null) return F.where(x.ge(lo).logicalAnd(x.le(hi)), g, 0);
  if (lo !== null) return F.where(x.ge(lo), g, 0);
  if (hi !== null) return F.where(x.le(hi), g, 0);
  return g;
}
/** -alpha*g as PyTorch's maybe_multiply(-grad, alpha) */
const negAlpha = (g: Tensor, alpha: number): Tensor =>
  alpha === 1 ? g.neg() : F.mulScalar(g.neg(), alpha);

export const derivatives: { [K in Op]: Derivative<K> } = {
  ...nnDerivatives,
  // activations, addmm, embedding, losses (nn-formulas.ts)
  ...layerDerivatives,
  // PyTorch's *_backward ops: the double backwards (backward-formulas.ts)
  ...backwardDerivatives,
  // the fused LSTM layer (rnn-formulas.ts)
  ...rnnDerivatives,
  // d(self + alpha*other) = g, alpha*g (PyTorch's maybe_multiply: no op for alpha 1)
  add: {
    name: "AddBackward0",
    save: [],
    grad: (g, _s, a) => [g, a.alpha === 1 ? g : F.mulScalar(g, a.alpha)],
  },
  // d(self - alpha*other) = g, -alpha*g
  sub: { name: "SubBackward0", save: [], grad: (g, _s, a) => [g, negAlpha(g, a.alpha)] },
  // d(other - alpha*self) = -alpha*g, g (input 0 is self; `other` is input 1 when a tensor)
  rsub: {
    name: (a) => (a.tensorOther ? "RsubBackward0" : "RsubBackward1"),
    save: [],
    grad: (g, _s, a) => (a.tensorOther ? [negAlpha(g, a.alpha), g] : [negAlpha(g, a.alpha)]),
  },
  // d(self*other) = g*other, g*self
  mul: {
    name: "MulBackward0",
    save: ["self", "other"],
    savesScalar: true,
    grad: (g, s, a, n) => [
      n.needsInputGrad(0) ? g.mul(s.other ?? a.scalar) : null,
      n.needsInputGrad(1) ? g.mul(s.self) : null,
    ],
  },
  // d(self/other) = g/other, -g*self/other^2; a rounded quotient (rounding_mode "trunc" or
  // "floor", DivBackward2) is piecewise constant: zero
  div: {
    name: "DivBackward0",
    save: ["self", "other"],
    savesScalar: true,
    grad: (g, s, a, n) =>
      a.roundingMode !== null
        ? [n.needsInputGrad(0) ? zero(g) : null, n.needsInputGrad(1) ? zero(g) : null]
        : [
            n.needsInputGrad(0) ? g.div(s.other ?? a.scalar) : null,
            n.needsInputGrad(1) ? g.neg().mul(s.self).div(s.other.mul(s.other)) : null,
          ],
  },
  // d tanh x = (1 - tanh(x)^2)*g: tanh_backward(g, result)
  tanh: { name: "TanhBackward0", save: ["result"], grad: (g, s) => [tanhBackward(g, s.result)] },
  // d sigmoid x = sigmoid(x)*(1 - sigmoid(x))*g: sigmoid_backward(g, result)
  sigmoid: {
    name: "SigmoidBackward0",
    save: ["result"],
    grad: (g, s) => [sigmoidBackward(g, s.result)],
  },
  // d relu x = [x > 0]*g: threshold_backward(g, result, 0)
  relu: {
    name: "ReluBackward0",
    save: ["result"],
    grad: (g, s) => [thresholdBackward(g, s.result, 0)],
  },
  // gradient passes where min <= x <= max (PyTorch's clamp_backward: the subgradient 1 at
  // the bounds, 0 at NaN)
  clamp: {
    name: "ClampBackward1",
    save: ["self"],
    grad: (g, s, a) => [clampSelfGrad(g, s.self, a.min, a.max)],
  },
  // clamp.Tensor: self as above; min gets g where x < min (and min < max), max where x > max
  // (or max < min, where the result is max)
  clampTensor: {
    name: "ClampBackward0",
    save: ["self", "min", "max"],
    grad: (g, s, _a, n) => {
      const lo = s.min as Tensor | undefined;
      const hi = s.max as Tensor | undefined;
      const x = s.self;
      let dmin: Tensor | null = null;
      let dmax: Tensor | null = null;
      if (lo !== undefined && hi !== undefined) {
        if (n.needsInputGrad(1)) dmin = F.where(x.lt(lo).logicalAnd(lo.lt(hi)), g, 0);
        if (n.needsInputGrad(2)) dmax = F.where(x.gt(hi).logicalOr(hi.lt(lo)), g, 0);
      } else if (lo !== undefined && n.needsInputGrad(1)) dmin = F.where(x.lt(lo), g, 0);
      else if (hi !== undefined && n.needsInputGrad(2)) dmax = F.where(x.gt(hi), g, 0);
      return [n.needsInputGrad(0) ? clampSelfGrad(g, x, lo ?? null, hi ?? null) : null, dmin, dmax];
    },
  },
  // clamp_min: g where x >= min to self, where x < min to a tensor min
  clampMin: {
    name: (a) => (a.bound === null ? "ClampMinBackward1" : "ClampMinBackward0"),
    save: ["self", "bound"],
    grad: (g, s, a, n) => {
      const b = s.bound ?? (a.bound as number);
      return [
        n.needsInputGrad(0) ? F.where(s.self.ge(b), g, 0) : null,
        n.needsInputGrad(1) ? F.where(s.self.lt(b), g, 0) : null,
      ];
    },
  },
  // clamp_max: g where x <= max to self, where x > max to a tensor max
  clampMax: {
    name: (a) => (a.bound === null ? "ClampMaxBackward1" : "ClampMaxBackward0"),
    save: ["self", "bound"],
    grad: (g, s, a, n) => {
      const b = s.bound ?? (a.bound as number);
      return [
        n.needsInputGrad(0) ? F.where(s.self.le(b), g, 0) : null,
        n.needsInputGrad(1) ? F.where(s.self.gt(b), g, 0) : null,
      ];
    },
  },
  // d sum = g broadcast back over the reduced dims
  sum: {
    name: (a) => (a.dims === null ? "SumBackward0" : "SumBackward1"),
    save: [],
    grad: (g, _s, a, n) => [F.restoreReduced(g, a.dims, a.keepdim, n.inputShape(0))],
  },
  // d mean = g/count broadcast back. Dividing the small g before broadcasting is cheaper; for
  // a zero-size mean (count 0) broadcast first, as PyTorch does, since g/0 would put NaN into
  // the double backward, whose gradient w.r.t. g must be 0
  mean: {
    name: (a) => (a.dims === null ? "MeanBackward0" : "MeanBackward1"),
    save: [],
    grad: (g, _s, a, n) => [
      a.count === 0
        ? F.restoreReduced(g, a.dims, a.keepdim, n.inputShape(0)).div(a.count)
        : a.dims === null
          ? F.meanAllGrad(g, a.count, n.inputShape(0))
          : F.restoreReduced(F.divGrad(g, a.count), a.dims, a.keepdim, n.inputShape(0)),
    ],
  },
  // d prod = g * (the product of the other elements): PyTorch's prod_backward
  prod: {
    name: (a) => (a.dims === null ? "ProdBackward0" : "ProdBackward1"),
    save: ["self", "result"],
    grad: (g, s, a, n) => {
      const shape = n.inputShape(0);
      const gr = F.restoreReduced(g, a.dims, a.keepdim, shape);
      const r = F.restoreReduced(s.result, a.dims, a.keepdim, shape);
      return [F.prodBackward(gr, s.self, r, a.dims)];
    },
  },
  // max(dim)/min(dim): g goes to the selected index
  maxDim: {
    name: (a) => a.name,
    save: ["indices"],
    grad: (g, s, a, n) => {
      const shape = n.inputShape(0);
      const gk = a.keepdim ? g : g.unsqueeze(a.dim);
      const ik = a.keepdim ? s.indices : s.indices.unsqueeze(a.dim);
      return [F.zeros(shape, g).scatterAdd(a.dim, ik, gk)];
    },
  },
  // d var = 2/(N - correction) * g * (x - mean)  (PyTorch's var_backward)
  var: { name: "VarBackward0", save: ["self"], grad: (g, s, a) => [varBackward(g, s.self, a)] },
  // d std = d var / (2 std), 0 where std is 0  (std_backward)
  std: {
    name: "StdBackward0",
    save: ["self", "result"],
    grad: (g, s, a) => [
      varBackward(g.div(F.mulScalar(s.result, 2)).maskedFill(s.result.eq(0), 0), s.self, a),
    ],
  },
  // d ||x||_p: PyTorch's norm_backward
  norm: {
    name: "NormBackward1",
    save: ["self", "result"],
    grad: (g, s, a) => [normBackward(g, s.self, a.p, s.result, a.dims, a.keepdim)],
  },
  // d softmax = y*(g - sum(g*y)): _softmax_backward_data(g, result, dim)
  softmax: {
    name: "SoftmaxBackward0",
    save: ["result"],
    grad: (g, s, a) => [softmaxBackwardData(g, s.result, a.dim)],
  },
  // d log_softmax = g - exp(y)*sum(g): _log_softmax_backward_data(g, result, dim)
  logSoftmax: {
    name: "LogSoftmaxBackward0",
    save: ["result"],
    grad: (g, s, a) => [logSoftmaxBackwardData(g, s.result, a.dim)],
  },
  // d(A@B) = g@B^T, A^T@g
  mm: {
    name: "MmBackward0",
    save: ["self", "other"],
    grad: (g, s, a, n) => [
      n.needsInputGrad(0) ? F.mmMat1Backward(g, s.other, a.selfColumnMajor) : null,
      n.needsInputGrad(1) ? F.mmMat2Backward(g, s.self, a.otherColumnMajor) : null,
    ],
  },
  bmm: {
    name: "BmmBackward0",
    save: ["self", "other"],
    grad: (g, s, _a, n) => [
      n.needsInputGrad(0) ? g.bmm(s.other.transpose(1, 2)) : null,
      n.needsInputGrad(1) ? s.self.transpose(1, 2).bmm(g) : null,
    ],
  },
  // d(A@v) = outer(g, v), A^T@g
  mv: {
    name: "MvBackward0",
    save: ["self", "vec"],
    grad: (g, s, _a, n) => [
      n.needsInputGrad(0) ? g.unsqueeze(1).mul(s.vec) : null,
      n.needsInputGrad(1) ? s.self.t().mv(g) : null,
    ],
  },
  // views: the gradient takes the input's shape back
  view: { name: (a) => a.name, save: [], grad: (g, _s, _a, n) => [F.reshape(g, n.inputShape(0))] },
  transpose: { name: (a) => a.name, save: [], grad: (g, _s, a) => [g.transpose(a.dim0, a.dim1)] },
  permute: {
    name: "PermuteBackward0",
    save: [],
    grad: (g, _s, a) => {
      const inv = new Array<number>(a.dims.length);
      a.dims.forEach((d, i) => (inv[d] = i));
      return [F.permute(g, inv)];
    },
  },
  // expand: the engine's un-broadcasting sums g back to the input shape
  expand: { name: "ExpandBackward0", save: [], grad: (g) => [g] },
  squeeze: {
    name: (a) => a.name,
    save: [],
    grad: (g, _s, _a, n) => [F.reshape(g, n.inputShape(0))],
  },
  unsqueeze: { name: "UnsqueezeBackward0", save: [], grad: (g, _s, a) => [g.squeeze(a.dim)] },
  // select/narrow/slicing: g placed into zeros of the input's shape at the viewed positions
  asStrided: {
    name: (a) => a.name,
    save: [],
    grad: (g, _s, a, n) => [F.embed(g, n.inputShape(0), a.strides, a.offset)],
  },
  // embed's adjoint is the view it fills
  embed: {
    name: "AsStridedScatterBackward0",
    save: [],
    grad: (g, _s, a, n) => [F.asStridedOfContiguous(g, n.inputShape(0), a.strides, a.offset)],
  },
  // cat: each input gets its slice of g
  cat: {
    name: "CatBackward0",
    save: [],
    grad: (g, _s, a) => {
      let start = 0;
      return a.sizes.map((size) => {
        const piece = g.narrow(a.dim, start, size);
        start += size;
        return a.stack ? piece.squeeze(a.dim) : piece; // stack: inputs lack the new dim
      });
    },
  },
  // split/chunk: the output gradients concatenated (missing ones are zeros)
  split: {
    name: "SplitBackward0",
    save: [],
    grad: (_g, _s, a, n) => [F.cat(n.materializedGradOutputs(), a.dim)],
  },
  // unbind_backward: the slices' gradients stacked back along dim (zeros where none)
  unbind: {
    name: "UnbindBackward0",
    save: [],
    grad: (_g, _s, a, n) => [F.stack(n.materializedGradOutputs(), a.dim)],
  },
  index: {
    name: "IndexBackward0",
    save: ["indices"],
    grad: (g, _s, _a, n) => F.indexBackward(g, n.inputShape(0), n.savedList("indices")),
  },
  // index_put(self, indices, values): d self = g with the written positions zeroed (unless
  // accumulate); d values = g at those positions
  indexPut: {
    name: "IndexPutBackward0",
    save: ["indices"],
    grad: (g, _s, a, n) => F.indexPutBackward(g, n.savedList("indices"), a.accumulate, n),
  },
  // a cast: g itself (the engine casts it back to the input's dtype); a real input cast to a
  // complex dtype takes the real part (derivatives.yaml's handle_r_to_c)
  toCopy: {
    name: "ToCopyBackward0",
    save: [],
    grad: (g, _s, a) => [a.realInput === true && g.dtype.isComplex ? g.real : g],
  },
  // random fills and samplers too (named after their op): a zero gradient for every input
  fill: { name: "FillBackward0", save: [], grad: (g, _s, _a, n) => n.edges.map(() => zero(g)) },
  // self.fill_(value) with a 0-dim tensor value: self's old value is overwritten; every
  // element is the value, so d value = sum(g)
  fillTensor: { name: "FillBackward3", save: [], grad: (g) => [zero(g), g.sum()] },
  // self.copy_(src): self's old value is overwritten; src gets g
  copy: { name: "CopyBackwards", save: [], grad: (g) => [zero(g), g] },
};

// the table joins recording's (function.ts) when this module is loaded (src/install.ts)
for (const op of Object.keys(derivatives) as Op[])
  registerDerivative(op, derivatives[op] as unknown as Derivative<Op>);
