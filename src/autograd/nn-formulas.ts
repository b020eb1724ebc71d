/**
 * Derivatives (reverse and forward mode) of the layer primitives of ops/nn.ts: erf, the
 * activations, addmm, embedding and the losses. `derivatives.ts` declares these ops through
 * `LayerOpDefs` and spreads `layerDerivatives` into its table; `jvps.ts` spreads `layerJvps`.
 * Formulas are built from recorded tensor ops, so they differentiate again under
 * `createGraph`; without a graph being recorded, the activations take a fused single-pass
 * kernel (same math).
 */
import type { Tensor } from "../tensor.js";
import type { Derivative } from "./derivatives.js";
import type { Jvp } from "./jvps.js";
import { isGradEnabled } from "./grad-mode.js";
import { isForwardADActive } from "./forward-ad.js";
import { alloc, contiguousData } from "../ops/core.js";
import { where, gt } from "../ops/elementwise.js";
import { embedding, erf, erfScalar, nllLoss, type Reduction } from "../ops/nn.js";
import { int64 } from "../dtype.js";
import { numelOf } from "../shape.js";
import { mmMat1Backward, mmMat2Backward, sameShape, zeros } from "./formula-ops.js";

/** The layer primitives: what each saves and its attributes (merged into OpDefs). */
export interface LayerOpDefs {
  erf: { save: "self"; attrs: Record<string, never> };
  gelu: { save: "self"; attrs: { approximate: "none" | "tanh" } };
  silu: { save: "self"; attrs: Record<string, never> };
  leakyRelu: { save: "self"; attrs: { slope: number } };
  elu: { save: "self"; attrs: { alpha: number; scale: number; inputScale: number } };
  softplus: { save: "self"; attrs: { beta: number; threshold: number } };
  addmm: { save: "mat1" | "mat2"; attrs: { mat1ColumnMajor: boolean; mat2ColumnMajor: boolean } };
  embedding: {
    save: "indices";
    attrs: { numWeights: number; paddingIdx: number; scaleGradByFreq: boolean };
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
    save: "target" | "weight" | "totalWeight";
    attrs: { reduction: Reduction; ignoreIndex: number };
  };
}

type LayerOp = keyof LayerOpDefs;
/** which of (input, target) need a gradient */
type Needs = readonly [boolean, boolean];

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SQRT1_2 = Math.SQRT1_2;
const GELU_ALPHA = TWO_OVER_SQRT_PI * SQRT1_2 * 0.5; // 1/sqrt(2 pi)
const GELU_BETA = Math.SQRT2 * TWO_OVER_SQRT_PI * 0.5;
const GELU_KAPPA = 0.044715;

type Kind = "gelu" | "geluTanh" | "silu" | "leakyRelu" | "elu" | "softplus";

/** d act(x)/dx at one value. */
function actDeriv(kind: Kind, x: number, p: readonly number[]): number {
  switch (kind) {
    case "gelu": {
      const cdf = 0.5 * (1 + erfScalar(x * SQRT1_2));
      const pdf = Math.exp(-0.5 * x * x) * GELU_ALPHA;
      return cdf + x * pdf;
    }
    case "geluTanh": {
      const x2 = x * x;
      const inner = GELU_BETA * (x + GELU_KAPPA * x2 * x);
      const t = Math.tanh(inner);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_BETA * (1 + 3 * GELU_KAPPA * x2);
    }
    case "silu": {
      const s = 1 / (1 + Math.exp(-x));
      return s * (1 + x * (1 - s));
    }
    case "leakyRelu":
      return x > 0 ? 1 : p[0];
    case "elu":
      // p = [alpha, scale, inputScale]
      return x <= 0 ? p[2] * p[0] * p[1] * Math.exp(x * p[2]) : p[1];
    case "softplus": {
      // p = [beta, threshold]
      const bx = x * p[0];
      if (bx > p[1]) return 1;
      const z = Math.exp(bx);
      return z / (z + 1);
    }
  }
}

/** g * act'(x) in one pass, when no graph is recorded and the operands are plain; else null. */
function fused(kind: Kind, g: Tensor, x: Tensor, p: readonly number[]): Tensor | null {
  if (isGradEnabled() || g.dtype !== x.dtype || !sameShape(g.shape, x.shape)) return null;
  const gd = contiguousData(g);
  const xd = contiguousData(x);
  const out = alloc(x.shape.slice(), x.dtype);
  const o = out.typedArray;
  const n = o.length;
  for (let i = 0; i < n; i++)
    o[i] = gd.data[gd.offset + i] * actDeriv(kind, xd.data[xd.offset + i], p);
  return out;
}

/** d erf(x) = 2/sqrt(pi) exp(-x^2) g */
export function erfBackward(g: Tensor, x: Tensor): Tensor {
  return x.pow(2).neg().exp().mul(TWO_OVER_SQRT_PI).mul(g);
}

/** GeluBackward0 */
export function geluBackward(g: Tensor, x: Tensor, approximate: "none" | "tanh"): Tensor {
  const f = fused(approximate === "tanh" ? "geluTanh" : "gelu", g, x, []);
  if (f !== null) return f;
  if (approximate === "tanh") {
    const x2 = x.mul(x);
    const inner = x.add(x2.mul(x).mul(GELU_KAPPA)).mul(GELU_BETA);
    const t = inner.tanh();
    const left = t.add(1).mul(0.5);
    const right = x
      .mul(0.5)
      .mul(t.mul(t).rsub(1))
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
}

/** SiluBackward0: g * s * (1 + x (1 - s)), s = sigmoid(x) */
export function siluBackward(g: Tensor, x: Tensor): Tensor {
  const f = fused("silu", g, x, []);
  if (f !== null) return f;
  const s = x.sigmoid();
  return g.mul(s.mul(x.mul(s.rsub(1)).add(1)));
}

/** LeakyReluBackward0 */
export function leakyReluBackward(g: Tensor, x: Tensor, slope: number): Tensor {
  const f = fused("leakyRelu", g, x, [slope]);
  if (f !== null) return f;
  return where(gt(x, 0), g, g.mul(slope));
}

/** EluBackward0 */
export function eluBackward(
  g: Tensor,
  x: Tensor,
  alpha: number,
  scale: number,
  inputScale: number,
): Tensor {
  const f = fused("elu", g, x, [alpha, scale, inputScale]);
  if (f !== null) return f;
  const neg = g.mul(
    x
      .mul(inputScale)
      .exp()
      .mul(inputScale * alpha * scale),
  );
  return where(x.le(0), neg, g.mul(scale));
}

/** SoftplusBackward0 */
export function softplusBackward(g: Tensor, x: Tensor, beta: number, threshold: number): Tensor {
  const f = fused("softplus", g, x, [beta, threshold]);
  if (f !== null) return f;
  const bx = x.mul(beta);
  const z = bx.exp();
  return where(bx.gt(threshold), g, g.mul(z).div(z.add(1)));
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

/** EmbeddingBackward0: rows of g summed into a zero [numWeights, D] gradient. */
export function embeddingBackward(
  g: Tensor,
  indices: Tensor,
  numWeights: number,
  paddingIdx: number,
  scaleGradByFreq: boolean,
): Tensor {
  const D = g.shape[g.dim() - 1];
  const n = indices.numel();
  const idx = contiguousData(indices);
  const flatIdx = alloc([n, D], int64);
  const fi = flatIdx.typedArray;
  const counts = scaleGradByFreq ? new Float64Array(numWeights) : null;
  let anyPad = false;
  for (let i = 0; i < n; i++) {
    const k = idx.data[idx.offset + i];
    if (k === paddingIdx) anyPad = true;
    if (counts) counts[k]++;
    fi.fill(k, i * D, (i + 1) * D);
  }
  let rows = g.reshape([n, D]);
  if (anyPad || counts) {
    const scale = alloc([n, 1], g.dtype);
    for (let i = 0; i < n; i++) {
      const k = idx.data[idx.offset + i];
      scale.typedArray[i] = k === paddingIdx ? 0 : counts ? 1 / counts[k] : 1;
    }
    rows = rows.mul(scale);
  }
  return zeros([numWeights, D], g).scatterAdd(0, flatIdx, rows);
}

/** The incoming gradient spread over the elementwise loss shape (divided by numel for mean). */
function spread(g: Tensor, shape: readonly number[], reduction: Reduction): Tensor {
  if (reduction === "none") return g;
  const gg = reduction === "mean" ? g.div(numelOf(shape)) : g;
  return gg.expand(shape.slice());
}

/** MseLossBackward0: 2 (x - t) g, and its negative for the target. */
export function mseLossBackward(
  g: Tensor,
  x: Tensor,
  t: Tensor,
  reduction: Reduction,
  n: Needs,
): (Tensor | null)[] {
  const gi = x
    .sub(t)
    .mul(2)
    .mul(spread(g, x.shape, reduction));
  return [n[0] ? gi : null, n[1] ? gi.neg() : null];
}

/** SmoothL1LossBackward0: g * clamp((x - t)/beta, -1, 1) */
export function smoothL1LossBackward(
  g: Tensor,
  x: Tensor,
  t: Tensor,
  reduction: Reduction,
  beta: number,
  n: Needs,
): (Tensor | null)[] {
  const d = x.sub(t);
  const gn = spread(g, x.shape, reduction);
  // beta = 0 is L1 (PyTorch's kernel: -g where d <= 0, g where d > 0)
  const gi = beta === 0 ? where(d.le(0), gn.neg(), gn) : d.div(beta).clamp(-1, 1).mul(gn);
  return [n[0] ? gi : null, n[1] ? gi.neg() : null];
}

/** HuberLossBackward0: g * clamp(x - t, -delta, delta) */
export function huberLossBackward(
  g: Tensor,
  x: Tensor,
  t: Tensor,
  reduction: Reduction,
  delta: number,
  n: Needs,
): (Tensor | null)[] {
  const gi = x
    .sub(t)
    .clamp(-delta, delta)
    .mul(spread(g, x.shape, reduction));
  return [n[0] ? gi : null, n[1] ? gi.neg() : null];
}

/** BinaryCrossEntropyBackward0: w (x - t) / max((1 - x) x, 1e-12) g; target: w (log(1-x) - log x) g */
export function bceBackward(
  g: Tensor,
  x: Tensor,
  t: Tensor,
  weight: Tensor | undefined,
  reduction: Reduction,
  n: Needs,
): (Tensor | null)[] {
  let gn = spread(g, x.shape, reduction);
  if (weight !== undefined) gn = gn.mul(weight);
  return [
    n[0] ? x.sub(t).div(x.rsub(1).mul(x).clamp(1e-12)).mul(gn) : null,
    n[1] ? x.neg().log1p().sub(x.log()).mul(gn) : null,
  ];
}

/** log(sigmoid(z)) computed stably: min(z, 0) - log1p(exp(-|z|)) */
function logSigmoid(z: Tensor): Tensor {
  return z.clamp(null, 0).sub(z.abs().neg().exp().log1p());
}

/** BinaryCrossEntropyWithLogitsBackward0 */
export function bceWithLogitsBackward(
  g: Tensor,
  x: Tensor,
  t: Tensor,
  weight: Tensor | undefined,
  posWeight: Tensor | undefined,
  reduction: Reduction,
  n: Needs,
): (Tensor | null)[] {
  let gn = spread(g, x.shape, reduction);
  if (weight !== undefined) gn = gn.mul(weight);
  let gi: Tensor | null = null;
  let gt_: Tensor | null = null;
  if (n[0]) {
    if (posWeight !== undefined) {
      const pt = posWeight.mul(t);
      gi = pt.add(1).sub(t).mul(x.sigmoid()).sub(pt).mul(gn);
    } else {
      gi = x.sigmoid().sub(t).mul(gn);
    }
  }
  if (n[1]) {
    gt_ =
      posWeight !== undefined
        ? logSigmoid(x.neg()).sub(logSigmoid(x).mul(posWeight)).mul(gn)
        : x.neg().mul(gn);
  }
  return [gi, gt_];
}

/** NllLossBackward0: -w[t] g (over the total weight for mean) at each target class. */
export function nllLossBackward(
  g: Tensor,
  target: Tensor,
  weight: Tensor | undefined,
  totalWeight: Tensor,
  reduction: Reduction,
  ignoreIndex: number,
  shape: readonly number[],
): Tensor {
  const nd = shape.length;
  const classDim = nd === 1 ? 0 : 1;
  const batchShape = nd === 1 ? [] : [shape[0], ...shape.slice(2)];
  const P = numelOf(batchShape);
  const t = contiguousData(target);
  const w = weight === undefined ? null : contiguousData(weight);
  const total = Number(totalWeight.typedArray[totalWeight.offset]);
  if (!isGradEnabled() && !isForwardADActive()) {
    // no graph recorded: write each position's one non-zero straight into a zero gradient
    // (the composed ops below allocate and scatter five tensors); the coefficient and the
    // product are rounded to g's dtype as there
    const C = shape[classDim];
    const inner = nd > 2 ? numelOf(shape.slice(2)) : 1;
    const out = alloc(shape.slice(), g.dtype);
    const o = out.typedArray;
    const gd = contiguousData(reduction === "none" ? g : g.reshape([]));
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
  const coef = alloc(batchShape, g.dtype);
  const idx = alloc(batchShape, int64);
  for (let p = 0; p < P; p++) {
    const cls = t.data[t.offset + p];
    if (cls === ignoreIndex) continue;
    idx.typedArray[p] = cls;
    const wv = w === null ? 1 : Number(w.data[w.offset + cls]);
    coef.typedArray[p] = reduction === "mean" ? -wv / total : -wv;
  }
  const gp = reduction === "none" ? g : g.expand(batchShape);
  const src = gp.mul(coef).unsqueeze(classDim);
  return zeros(shape, g).scatterAdd(classDim, idx.unsqueeze(classDim), src);
}
/** a saved entry that was passed as null is absent */
const opt = (t: Tensor | undefined): Tensor | undefined => t ?? undefined;

export const layerDerivatives: { [K in LayerOp]: Derivative<K> } = {
  erf: { name: "ErfBackward0", save: ["self"], grad: (g, s) => [erfBackward(g, s.self)] },
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
  addmm: {
    name: "AddmmBackward0",
    save: ["mat1", "mat2"],
    grad: (g, s, a, n) =>
      addmmBackward(
        g,
        opt(s.mat1),
        opt(s.mat2),
        [0, 1, 2].map((i) => n.needsInputGrad(i)),
        a,
      ),
  },
  embedding: {
    name: "EmbeddingBackward0",
    save: ["indices"],
    grad: (g, s, a) => [
      embeddingBackward(g, s.indices, a.numWeights, a.paddingIdx, a.scaleGradByFreq),
    ],
  },
  mseLoss: {
    name: "MseLossBackward0",
    save: ["self", "target"],
    grad: (g, s, a, n) => mseLossBackward(g, s.self, s.target, a.reduction, needs2(n)),
  },
  smoothL1Loss: {
    name: "SmoothL1LossBackward0",
    save: ["self", "target"],
    grad: (g, s, a, n) => smoothL1LossBackward(g, s.self, s.target, a.reduction, a.beta, needs2(n)),
  },
  huberLoss: {
    name: "HuberLossBackward0",
    save: ["self", "target"],
    grad: (g, s, a, n) => huberLossBackward(g, s.self, s.target, a.reduction, a.delta, needs2(n)),
  },
  binaryCrossEntropy: {
    name: "BinaryCrossEntropyBackward0",
    save: ["self", "target", "weight"],
    grad: (g, s, a, n) => bceBackward(g, s.self, s.target, opt(s.weight), a.reduction, needs2(n)),
  },
  bceWithLogits: {
    name: "BinaryCrossEntropyWithLogitsBackward0",
    save: ["self", "target", "weight", "posWeight"],
    grad: (g, s, a, n) =>
      bceWithLogitsBackward(
        g,
        s.self,
        s.target,
        opt(s.weight),
        opt(s.posWeight),
        a.reduction,
        needs2(n),
      ),
  },
  nllLoss: {
    name: "NllLossBackward0",
    save: ["target", "weight", "totalWeight"],
    grad: (g, s, a, n) => [
      nllLossBackward(
        g,
        s.target,
        opt(s.weight),
        s.totalWeight,
        a.reduction,
        a.ignoreIndex,
        n.inputShape(0),
      ),
    ],
  },
};

function needs2(n: { needsInputGrad(i: number): boolean }): Needs {
  return [n.needsInputGrad(0), n.needsInputGrad(1)];
}

// ---------------------------------------------------------------------------------------------
// forward mode: elementwise ops scale the tangent by the derivative (the backward formula with
// g = tangent); losses reduce (elementwise derivative * tangent) as the forward reduces

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

/** sum_i d_i * t_i over (input, target) with elementwise derivatives d (from the backward with g = 1) */
function lossJvp(
  t: readonly (Tensor | null)[],
  x: Inputs,
  reduction: Reduction,
  grads: (ones: Tensor, needs: Needs) => (Tensor | null)[],
): Tensor | null {
  const input = X(x, 0);
  const ones = input.onesLike();
  const d = grads(ones, [t[0] !== null, t[1] !== null]);
  const a = t[0] !== null && d[0] !== null ? d[0].mul(t[0]) : null;
  const b = t[1] !== null && d[1] !== null ? d[1].mul(t[1]) : null;
  return reduceTangent(plus(a, b), reduction);
}

export const layerJvps: { [K in LayerOp]: Jvp<K> } = {
  erf: (t, x) => erfBackward(T(t), X(x, 0)),
  gelu: (t, x, _o, a) => geluBackward(T(t), X(x, 0), a.approximate),
  silu: (t, x) => siluBackward(T(t), X(x, 0)),
  leakyRelu: (t, x, _o, a) => leakyReluBackward(T(t), X(x, 0), a.slope),
  elu: (t, x, _o, a) => eluBackward(T(t), X(x, 0), a.alpha, a.scale, a.inputScale),
  softplus: (t, x, _o, a) => softplusBackward(T(t), X(x, 0), a.beta, a.threshold),
  // d(b + m1 @ m2) = db + dm1 @ m2 + m1 @ dm2
  addmm: (t, x) => {
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
    lossJvp(t, x, a.reduction, (g, n) => mseLossBackward(g, X(x, 0), X(x, 1), "none", n)),
  smoothL1Loss: (t, x, _o, a) =>
    lossJvp(t, x, a.reduction, (g, n) =>
      smoothL1LossBackward(g, X(x, 0), X(x, 1), "none", a.beta, n),
    ),
  huberLoss: (t, x, _o, a) =>
    lossJvp(t, x, a.reduction, (g, n) =>
      huberLossBackward(g, X(x, 0), X(x, 1), "none", a.delta, n),
    ),
  binaryCrossEntropy: (t, x, _o, a, s) =>
    lossJvp(t, x, a.reduction, (g, n) =>
      bceBackward(g, X(x, 0), X(x, 1), saved(s.weight), "none", n),
    ),
  bceWithLogits: (t, x, _o, a, s) =>
    lossJvp(t, x, a.reduction, (g, n) =>
      bceWithLogitsBackward(g, X(x, 0), X(x, 1), saved(s.weight), saved(s.posWeight), "none", n),
    ),
  // linear in the input (the mean divides by the same total weight)
  nllLoss: (t, _x, _o, a, s) =>
    nllLoss(T(t), s.target as Tensor, saved(s.weight) ?? null, a.reduction, a.ignoreIndex),
};
