/**
 * Forward-mode derivative rules (Jacobian-vector products), one per differentiable primitive:
 * the forward twin of `derivatives.ts` (PyTorch's `result:` formulas in derivatives.yaml).
 *
 * A rule maps the input tangents to the output tangent. It gets the tangents (null where an
 * input has none, i.e. a zero tangent; at least one is non-null), the inputs, the output(s), the
 * attributes and the `save` object the op passed to `record`. Rules are written with tensor ops
 * and run with tangent propagation suspended (so the formula's own ops carry no tangents) but
 * with reverse-mode recording as usual: a tangent that depends on tensors requiring grad has a
 * graph, so reverse-over-forward (and jacrev over jacfwd) differentiates through it.
 *
 * The result may have a smaller (broadcastable) shape or another dtype than the output;
 * `recordTangents` (forward-ad.ts) expands and casts it. View ops return views of the input
 * tangent (the tangent of a view is the same view of the tangent).
 *
 * The table's type `{ [K in Op]: Jvp<K> }` makes the compiler check that every op declared in
 * `OpDefs` has exactly one rule.
 */
import type { Tensor } from "../tensor.js";
import type { Op, OpDefs } from "./derivatives.js";
import * as F from "./formula-ops.js";
import { registerJvpTable } from "./forward-ad.js";
import { split as splitOp, unbind as unbindOp } from "../ops/views.js";
import { advancedIndex, indexPut } from "../ops/indexing.js";
import { nnJvps } from "./nn-derivatives.js";
import { layerJvps } from "./nn-formulas.js";
import { backwardJvps } from "./backward-formulas.js";
import { rnnJvps } from "./rnn-formulas.js";

type SaveArg = Tensor | null | undefined | (Tensor | null)[];
/** the `save` object given to `record` (entries may be null when reverse mode needs none) */
export type JvpSave<K extends Op> = { readonly [P in OpDefs[K]["save"]]?: SaveArg };
/** the op's output: an array for multi-output ops */
export type JvpOutput<K extends Op> = K extends "split" | "unbind" ? Tensor[] : Tensor;
/** the output tangent (one per output for multi-output ops); null: no tangent */
export type JvpResult<K extends Op> = K extends "split" | "unbind"
  ? (Tensor | null)[]
  : Tensor | null;

export type Jvp<K extends Op> = (
  tangents: readonly (Tensor | null)[],
  inputs: readonly (Tensor | null | undefined)[],
  out: JvpOutput<K>,
  attrs: OpDefs[K]["attrs"],
  save: JvpSave<K>,
) => JvpResult<K>;

/** torch.where, recorded (a formula of a tangent may itself be differentiated) */
const where = F.where;

/** a + b where null is a zero tangent */
function plus(a: Tensor | null, b: Tensor | null): Tensor | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.add(b);
}

/** The (non-null) tangent of input i: rules of single-input ops are only called with one. */
const t0 = (t: readonly (Tensor | null)[]): Tensor => t[0] as Tensor;
const x0 = (x: readonly (Tensor | null | undefined)[]): Tensor => x[0] as Tensor;
const x1 = (x: readonly (Tensor | null | undefined)[]): Tensor => x[1] as Tensor;
/** a tangent in the dtype of the primal it meets in a matrix product (which needs equal dtypes) */
const like = (t: Tensor, x: Tensor): Tensor => (t.dtype === x.dtype ? t : t.to(x.dtype));
/** the tangent of input i, zeros (in the output's float dtype) where it has none */
const orZeros = (t: Tensor | null, x: Tensor, out: Tensor): Tensor => t ?? F.zeros(x.shape, out);
const zeroTangent = (out: Tensor): Tensor => F.zerosLike(out);

/**
 * Note [linear JVPs] (src/registry/linear-jvp.ts) for the table's primitives: an op linear in
 * input 0 has the op, applied to input 0's tangent with the same attributes, as its rule.
 */
function linearOp<K extends Op>(
  apply: (t: Tensor, a: OpDefs[K]["attrs"], out: JvpOutput<K>, s: JvpSave<K>) => JvpResult<K>,
): Jvp<K> {
  return (t, _x, out, a, s) => apply(t0(t), a, out, s);
}

export const jvps: { [K in Op]: Jvp<K> } = {
  // convolution, pooling, normalisation (nn-derivatives.ts)
  ...nnJvps,
  // activations, addmm, embedding, losses (nn-formulas.ts)
  ...layerJvps,
  // PyTorch's *_backward ops (backward-formulas.ts)
  ...backwardJvps,
  // the fused LSTM layer (rnn-formulas.ts)
  ...rnnJvps,
  // d(a + alpha*b) = da + alpha*db
  add: (t, _x, _o, a) => plus(t[0], t[1] === null ? null : t[1].mul(a.alpha)),
  // d(a - alpha*b) = da - alpha*db
  sub: (t, _x, _o, a) => plus(t[0], t[1] === null ? null : t[1].mul(-a.alpha)),
  // d(other - alpha*self) = dother - alpha*dself
  rsub: (t, _x, _o, a) => plus(t[0] === null ? null : t[0].mul(-a.alpha), t[1] ?? null),
  // d(a*b) = da*b + a*db;  d(a*c) = da*c
  mul: (t, x, _o, a) => {
    if (x[1] == null) return t0(t).mul(a.scalar);
    return plus(t[0] === null ? null : t[0].mul(x1(x)), t[1] === null ? null : t[1].mul(x0(x)));
  },
  // d(a/b) = da/b - a*db/b^2 = (da - out*db)/b;  d(a/c) = da/c; a rounded quotient: 0
  div: (t, x, out, a) => {
    if (a.roundingMode !== null) return zeroTangent(out);
    if (x[1] == null) return t0(t).div(a.scalar);
    const b = x1(x);
    if (t[1] === null) return t0(t).div(b);
    const num = t[1].mul(out).neg();
    return (t[0] === null ? num : t[0].add(num)).div(b);
  },
  // d tanh x = (1 - tanh(x)^2)*dx
  tanh: (t, _x, out) => t0(t).mul(F.rsubScalar(out.mul(out), 1)),
  // d sigmoid x = sigmoid(x)*(1 - sigmoid(x))*dx
  sigmoid: (t, _x, out) => t0(t).mul(out.mul(F.rsubScalar(out, 1))),
  // d relu x = [x > 0]*dx
  relu: (t, _x, out) => t0(t).maskedFill(out.le(0), 0),
  // d clamp(x) = dx where min <= x <= max, else 0
  clamp: (t, x, _o, a) => {
    const self = x0(x);
    let keep = null as Tensor | null;
    if (a.min !== null) keep = self.ge(a.min);
    if (a.max !== null) keep = keep === null ? self.le(a.max) : keep.logicalAnd(self.le(a.max));
    return keep === null ? t0(t) : where(keep, t0(t), 0);
  },
  // the tangent of the operand the result comes from: max where min > max, else min below
  // min, max above max, self in between (the choices of the reverse formulas at ties)
  clampTensor: (t, x, out) => {
    const self = x0(x);
    const lo = x[1] ?? null;
    const hi = x[2] ?? null;
    const ts = orZeros(t[0], self, out);
    let r = ts;
    if (hi !== null) r = where(self.gt(hi), orZeros(t[2], hi, out), r);
    if (lo !== null) r = where(self.lt(lo), orZeros(t[1], lo, out), r);
    if (lo !== null && hi !== null) r = where(lo.gt(hi), orZeros(t[2], hi, out), r);
    return r;
  },
  // d max(x, min) = dx where x >= min, else dmin (0 for a number min)
  clampMin: (t, x, out, a) => {
    const self = x0(x);
    const b = x[1] ?? (a.bound as number);
    const db = typeof b === "number" ? 0 : orZeros(t[1], b, out);
    return where(self.ge(b), orZeros(t[0], self, out), db);
  },
  // d min(x, max) = dx where x <= max, else dmax (0 for a number max)
  clampMax: (t, x, out, a) => {
    const self = x0(x);
    const b = x[1] ?? (a.bound as number);
    const db = typeof b === "number" ? 0 : orZeros(t[1], b, out);
    return where(self.le(b), orZeros(t[0], self, out), db);
  },
  // linear: d sum(x) = sum(dx)
  sum: linearOp((t, a) => t.sum(a.dims, a.keepdim)),
  // linear: d mean(x) = mean(dx)
  mean: linearOp((t, a) => t.mean(a.dims, a.keepdim)),
  // d prod(x) = sum(dx_i * prod_{j != i} x_j)
  prod: (t, x, out, a) => {
    const self = x0(x);
    const r = F.restoreReduced(out, a.dims, a.keepdim, self.shape);
    // PyTorch's prod_backward with a gradient of ones
    const ones = F.zeros([], out).add(1).expand(self.shape);
    return t0(t)
      .mul(F.prodBackward(ones, self, r, a.dims))
      .sum(a.dims, a.keepdim);
  },
  // max(dim)/min(dim): dx at the selected index
  maxDim: (t, x, _o, a, s) => {
    if (x0(x).dim() === 0) return t0(t);
    const indices = s.indices as Tensor;
    const g = t0(t).gather(a.dim, a.keepdim ? indices : indices.unsqueeze(a.dim));
    return a.keepdim ? g : g.squeeze(a.dim);
  },
  // d var = 2/(N - correction) * sum((x - mean)*dx)
  var: (t, x, _o, a) => {
    const self = x0(x);
    const n = F.countOver(self.shape, a.dims);
    const centered = self.sub(self.mean(a.dims, true));
    return centered
      .mul(t0(t))
      .sum(a.dims, a.keepdim)
      .mul(2 / (n - a.correction));
  },
  // d std = d var / (2*std) = sum((x - mean)*dx) / ((N - correction)*std)  (0 where std == 0)
  std: (t, x, out, a) => {
    const self = x0(x);
    const n = F.countOver(self.shape, a.dims);
    const centered = self.sub(self.mean(a.dims, true));
    const num = centered.mul(t0(t)).sum(a.dims, a.keepdim);
    return where(out.eq(0), 0, num.div(out.mul(n - a.correction)));
  },
  // PyTorch's norm_jvp: sum(d||x||_p/dx * dx), the derivative as in norm_backward (p=inf: the
  // mean over the extreme elements; 0 where the norm is 0)
  norm: (t, x, out, a) => {
    const self = x0(x);
    const dx = t0(t);
    const sum = (v: Tensor): Tensor => v.sum(a.dims, a.keepdim);
    if (a.p === 0) return zeroTangent(out);
    if (a.p === 1) return sum(self.sign().mul(dx));
    if (a.p === 2) return sum(self.mul(dx)).div(out).maskedFill(out.eq(0), 0);
    const r = F.restoreReduced(out, a.dims, a.keepdim, self.shape);
    if (a.p === Infinity || a.p === -Infinity) {
      const isMax = self.abs().eq(r).logicalOr(self.isnan().logicalAnd(r.isnan())).to(out.dtype);
      const nbMax = F.restoreReduced(isMax.sum(a.dims, a.keepdim), a.dims, a.keepdim, self.shape);
      return sum(self.sign().mul(dx).mul(isMax).div(nbMax));
    }
    if (a.p < 1) {
      const pw = self
        .abs()
        .pow(a.p - 1)
        .maskedFill(self.eq(0), 0);
      return sum(pw.mul(self.sign().mul(dx))).mul(out.pow(1 - a.p));
    }
    const sumpow =
      a.p < 2
        ? sum(
            self
              .abs()
              .pow(a.p - 1)
              .mul(self.sign().mul(dx)),
          )
        : sum(
            self
              .abs()
              .pow(a.p - 2)
              .mul(self.mul(dx)),
          );
    return sumpow.div(out.pow(a.p - 1)).maskedFill(out.eq(0), 0);
  },
  // d softmax(x) = y*(dx - sum(y*dx))
  softmax: (t, _x, out, a) => {
    const dx = t0(t);
    return out.mul(dx.sub(dx.mul(out).sum(a.dim, true)));
  },
  // d log_softmax(x) = dx - sum(exp(y)*dx)
  logSoftmax: (t, _x, out, a) => {
    const dx = t0(t);
    return dx.sub(out.exp().mul(dx).sum(a.dim, true));
  },
  // d(A@B) = dA@B + A@dB
  mm: (t, x) => {
    const A = x0(x);
    const B = x1(x);
    return plus(
      t[0] === null ? null : like(t[0], B).mm(B),
      t[1] === null ? null : A.mm(like(t[1], A)),
    );
  },
  bmm: (t, x) => {
    const A = x0(x);
    const B = x1(x);
    return plus(
      t[0] === null ? null : like(t[0], B).bmm(B),
      t[1] === null ? null : A.bmm(like(t[1], A)),
    );
  },
  // d(A@v) = dA@v + A@dv
  mv: (t, x) => {
    const A = x0(x);
    const v = x1(x);
    return plus(
      t[0] === null ? null : like(t[0], v).mv(v),
      t[1] === null ? null : A.mv(like(t[1], A)),
    );
  },
  // views: the same view of the tangent
  view: linearOp((t, _a, out) => t.reshape(out.shape)),
  transpose: linearOp((t, a) => t.transpose(a.dim0, a.dim1)),
  permute: linearOp((t, a) => t.permute(a.dims)),
  expand: linearOp((t, _a, out) => t.expand(out.shape)),
  squeeze: linearOp((t, _a, out) => t.reshape(out.shape)),
  unsqueeze: linearOp((t, a) => t.unsqueeze(a.dim)),
  asStrided: linearOp((t, a) => F.asStridedOfContiguous(t, a.shape, a.strides, a.offset)),
  // linear: the tangent placed at the same positions in zeros
  embed: linearOp((t, a, out) => F.embed(t, out.shape, a.strides, a.offset)),
  // cat/stack of the tangents (zeros for inputs without one)
  cat: (t, x, out, a) => {
    const parts = x.map((xi, i) => {
      const ti = orZeros(t[i], xi as Tensor, out);
      return a.stack ? ti.unsqueeze(a.dim) : ti;
    });
    return F.cat(parts, a.dim);
  },
  // the tangent split into the same pieces
  split: linearOp((t, a, out) =>
    splitOp(
      t,
      out.map((o) => o.shape[a.dim]),
      a.dim,
    ),
  ),
  // the tangent's slices
  unbind: linearOp((t, a) => unbindOp(t, a.dim)),
  // linear: index the tangent
  index: linearOp((t, _a, _o, s) => advancedIndex(t, s.indices as (Tensor | null)[])),
  // d index_put(self, idx, v) = index_put(dself, idx, dv) (dv = 0 where values have none)
  indexPut: (t, x, out, a, s) => {
    const base = orZeros(t[0], x0(x), out);
    if (t[1] === null && a.accumulate) return base;
    const dv = t[1] ?? F.zeros([], out);
    return indexPut(base, s.indices as (Tensor | null)[], dv, a.accumulate);
  },
  // d x.to(dtype) = dx.to(dtype)
  toCopy: linearOp((t, _a, out) => t.to(out.dtype)),
  // the values no longer depend on the input
  fill: (_t, _x, out) => zeroTangent(out),
  // self.fill_(value): the value's tangent everywhere (cast to self's dtype)
  fillTensor: (t, _x, out) =>
    t[1] === null ? zeroTangent(out) : t[1].expand(out.shape).to(out.dtype),
  // self.copy_(src): the tangent of src, broadcast and cast to self's
  copy: (t, _x, out) => (t[1] === null ? zeroTangent(out) : t[1].expand(out.shape).to(out.dtype)),
};

/** Ops whose output is a view of input 0: their tangent is the same view of its tangent. */
export const VIEW_OPS: ReadonlySet<Op> = new Set<Op>([
  "view",
  "transpose",
  "permute",
  "expand",
  "squeeze",
  "unsqueeze",
  "asStrided",
  "split",
  "unbind",
]);

// the rules join forward AD's (forward-ad.ts) when this module is loaded (src/install.ts)
registerJvpTable(jvps, VIEW_OPS);
