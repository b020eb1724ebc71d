/**
 * torch.distributions.transforms: invertible maps with their log |det J|, which
 * TransformedDistribution pushes a base distribution through (transforms.py). `t.call(x)` is
 * Python's `t(x)`; `t.inv` the inverse transform. Transforms are not cached (PyTorch's
 * cache_size=0, its default).
 */
import type { Tensor } from "../tensor.js";
import { finfo } from "../dtype.js";
import { notImplementedError, valueError } from "../errors.js";
import {
  arange,
  atanh,
  cat,
  diagEmbed,
  eye,
  fullLike,
  ones,
  sigmoid,
  stack,
  zeros,
  zerosLike,
} from "../generated/functions.js";
import { logsigmoid, pad, softplus } from "../generated/nn-functional.js";
import { broadcastShapes } from "../registry/ops/misc.js";
import * as C from "./constraints.js";
import { broadcastAll, sumRightmost } from "./utils.js";

/** A transform's sign: a number for a constant one, a tensor for an elementwise one. */
export type Sign = number | Tensor;

/**
 * The base of the transforms: `call(x)`, `inv`, `logAbsDetJacobian(x, y)`, domain and codomain.
 * @example new torch.distributions.transforms.ExpTransform().call(torch.tensor([0])) // tensor([1.])
 */
export class Transform {
  private _inverse: Transform | undefined;
  /** whether the transform is bijective */
  get bijective(): boolean {
    return false;
  }
  /** the constraint of the inputs */
  get domain(): C.Constraint {
    throw notImplementedError("");
  }
  /** the constraint of the outputs */
  get codomain(): C.Constraint {
    throw notImplementedError("");
  }
  /** the event dim, when domain and codomain agree on it */
  get eventDim(): number {
    if (this.domain.eventDim === this.codomain.eventDim) return this.domain.eventDim;
    throw valueError("Please use either .domain.event_dim or .codomain.event_dim");
  }
  /** the sign of the Jacobian's determinant (for monotone transforms) */
  get sign(): Sign {
    throw notImplementedError("");
  }
  /** the inverse transform */
  get inv(): Transform {
    this._inverse ??= new InverseTransform(this);
    return this._inverse;
  }
  /** y = t(x) */
  call(x: Tensor): Tensor {
    return this.forwardMap(x);
  }
  /** x = t⁻¹(y) (the inverse's call) */
  inverseCall(y: Tensor): Tensor {
    return this.inverseMap(y);
  }
  /** the map itself (Python's `_call`) */
  protected forwardMap(_x: Tensor): Tensor {
    throw notImplementedError("");
  }
  /** the inverse map (Python's `_inverse`) */
  protected inverseMap(_y: Tensor): Tensor {
    throw notImplementedError("");
  }
  /** log |dy/dx| */
  logAbsDetJacobian(_x: Tensor, _y: Tensor): Tensor {
    throw notImplementedError("");
  }
  /** the output shape for an input shape */
  forwardShape(shape: readonly number[]): number[] {
    return [...shape];
  }
  /** the input shape for an output shape */
  inverseShape(shape: readonly number[]): number[] {
    return [...shape];
  }
  /** Python's `==` (identity unless a transform says otherwise). */
  equals(other: Transform): boolean {
    return this === other;
  }
  /** PyTorch's repr. */
  toString(): string {
    return `${this.constructor.name}()`;
  }
}

/** The inverse of a transform (Python's _InverseTransform). */
class InverseTransform extends Transform {
  constructor(private readonly base: Transform) {
    super();
  }
  override get domain(): C.Constraint {
    return this.base.codomain;
  }
  override get codomain(): C.Constraint {
    return this.base.domain;
  }
  override get bijective(): boolean {
    return this.base.bijective;
  }
  override get sign(): Sign {
    return this.base.sign;
  }
  override get inv(): Transform {
    return this.base;
  }
  override equals(other: Transform): boolean {
    return other instanceof InverseTransform && this.base.equals(other.base);
  }
  override toString(): string {
    return `_InverseTransform(${String(this.base)})`;
  }
  override call(x: Tensor): Tensor {
    return this.base.inverseCall(x);
  }
  override inverseCall(y: Tensor): Tensor {
    return this.base.call(y);
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    return this.base.logAbsDetJacobian(y, x).neg();
  }
  override forwardShape(shape: readonly number[]): number[] {
    return this.base.inverseShape(shape);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return this.base.forwardShape(shape);
  }
}

/**
 * The composition of transforms, applied in order (ComposeTransform).
 * @example new torch.distributions.transforms.ComposeTransform([new torch.distributions.transforms.ExpTransform()]).call(torch.tensor(0)) // tensor(1.)
 */
export class ComposeTransform extends Transform {
  /** the transforms, applied in order */
  readonly parts: Transform[];
  constructor(parts: readonly Transform[]) {
    super();
    this.parts = [...parts];
  }
  override equals(other: Transform): boolean {
    return (
      other instanceof ComposeTransform &&
      other.parts.length === this.parts.length &&
      this.parts.every((p, i) => p.equals(other.parts[i]))
    );
  }
  override get domain(): C.Constraint {
    if (this.parts.length === 0) return C.real;
    const domain = this.parts[0].domain;
    let eventDim = this.parts[this.parts.length - 1].codomain.eventDim;
    for (const part of [...this.parts].reverse()) {
      eventDim += part.domain.eventDim - part.codomain.eventDim;
      eventDim = Math.max(eventDim, part.domain.eventDim);
    }
    return eventDim > domain.eventDim ? C.independent(domain, eventDim - domain.eventDim) : domain;
  }
  override get codomain(): C.Constraint {
    if (this.parts.length === 0) return C.real;
    const codomain = this.parts[this.parts.length - 1].codomain;
    let eventDim = this.parts[0].domain.eventDim;
    for (const part of this.parts) {
      eventDim += part.codomain.eventDim - part.domain.eventDim;
      eventDim = Math.max(eventDim, part.codomain.eventDim);
    }
    return eventDim > codomain.eventDim
      ? C.independent(codomain, eventDim - codomain.eventDim)
      : codomain;
  }
  override get bijective(): boolean {
    return this.parts.every((p) => p.bijective);
  }
  override get sign(): Sign {
    let sign: Sign = 1;
    for (const p of this.parts) {
      const s = p.sign;
      sign = typeof sign === "number" && typeof s === "number" ? sign * s : mulSign(s, sign);
    }
    return sign;
  }
  override get inv(): Transform {
    return new ComposeTransform([...this.parts].reverse().map((p) => p.inv));
  }
  override call(x: Tensor): Tensor {
    return this.parts.reduce((v, p) => p.call(v), x);
  }
  override inverseCall(y: Tensor): Tensor {
    return [...this.parts].reverse().reduce((v, p) => p.inverseCall(v), y);
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    if (this.parts.length === 0) return zerosLike(x);
    const xs = [x];
    for (const part of this.parts.slice(0, -1)) xs.push(part.call(xs[xs.length - 1]));
    xs.push(y);
    let eventDim = this.domain.eventDim;
    let total: Tensor | undefined;
    this.parts.forEach((part, i) => {
      const term = sumRightmost(
        part.logAbsDetJacobian(xs[i], xs[i + 1]),
        eventDim - part.domain.eventDim,
      );
      total = total === undefined ? term : total.add(term);
      eventDim += part.codomain.eventDim - part.domain.eventDim;
    });
    return total as Tensor;
  }
  override forwardShape(shape: readonly number[]): number[] {
    return this.parts.reduce((s, p) => p.forwardShape(s), [...shape]);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return [...this.parts].reverse().reduce((s, p) => p.inverseShape(s), [...shape]);
  }
  override toString(): string {
    return `ComposeTransform(\n    ${this.parts.map(String).join(",\n    ")}\n)`;
  }
}

/** s * t for signs (a number times a tensor, or two tensors) */
function mulSign(s: Sign, t: Sign): Sign {
  if (typeof s === "number") return (t as Tensor).mul(s);
  return s.mul(t);
}

/**
 * The identity: a composition of no transforms (identity_transform).
 * @example torch.distributions.transforms.identityTransform.call(torch.tensor(2)) // tensor(2.)
 */
export const identityTransform = new ComposeTransform([]);

/**
 * y = exp(x) (ExpTransform).
 * @example new torch.distributions.transforms.ExpTransform().inv.call(torch.tensor(1)) // tensor(0.)
 */
export class ExpTransform extends Transform {
  override get domain(): C.Constraint {
    return C.real;
  }
  override get codomain(): C.Constraint {
    return C.positive;
  }
  override get bijective(): boolean {
    return true;
  }
  override get sign(): Sign {
    return 1;
  }
  override equals(other: Transform): boolean {
    return other instanceof ExpTransform;
  }
  protected override forwardMap(x: Tensor): Tensor {
    return x.exp();
  }
  protected override inverseMap(y: Tensor): Tensor {
    return y.log();
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return x;
  }
}

/**
 * y = x^exponent on positive x (PowerTransform).
 * @example new torch.distributions.transforms.PowerTransform(2).call(torch.tensor(3)) // tensor(9.)
 */
export class PowerTransform extends Transform {
  /** the exponent */
  readonly exponent: Tensor;
  constructor(exponent: Tensor | number) {
    super();
    [this.exponent] = broadcastAll(exponent);
  }
  override get domain(): C.Constraint {
    return C.positive;
  }
  override get codomain(): C.Constraint {
    return C.positive;
  }
  override get bijective(): boolean {
    return true;
  }
  override get sign(): Sign {
    return 1;
  }
  override equals(other: Transform): boolean {
    return (
      other instanceof PowerTransform && Boolean(this.exponent.eq(other.exponent).all().item())
    );
  }
  protected override forwardMap(x: Tensor): Tensor {
    return x.pow(this.exponent);
  }
  protected override inverseMap(y: Tensor): Tensor {
    return y.pow(this.exponent.reciprocal());
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    return this.exponent.mul(y).div(x).abs().log();
  }
  override forwardShape(shape: readonly number[]): number[] {
    return broadcastShapes(shape, this.exponent.shape);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return broadcastShapes(shape, this.exponent.shape);
  }
}

/**
 * y = sigmoid(x), clipped to [tiny, 1 - eps] (SigmoidTransform).
 * @example new torch.distributions.transforms.SigmoidTransform().call(torch.tensor(0)) // tensor(0.5000)
 */
export class SigmoidTransform extends Transform {
  override get domain(): C.Constraint {
    return C.real;
  }
  override get codomain(): C.Constraint {
    return C.unitInterval;
  }
  override get bijective(): boolean {
    return true;
  }
  override get sign(): Sign {
    return 1;
  }
  override equals(other: Transform): boolean {
    return other instanceof SigmoidTransform;
  }
  protected override forwardMap(x: Tensor): Tensor {
    const f = finfo(x.dtype);
    return sigmoid(x).clamp(f.tiny, 1 - f.eps);
  }
  protected override inverseMap(y: Tensor): Tensor {
    const f = finfo(y.dtype);
    const c = y.clamp(f.tiny, 1 - f.eps);
    return c.log().sub(c.neg().log1p());
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    // log σ'(x) = -softplus(-x) - softplus(x)
    return softplus(x.neg()).neg().sub(softplus(x));
  }
}

/**
 * y = softplus(x) (SoftplusTransform).
 * @example new torch.distributions.transforms.SoftplusTransform().call(torch.tensor(0)) // tensor(0.6931)
 */
export class SoftplusTransform extends Transform {
  override get domain(): C.Constraint {
    return C.real;
  }
  override get codomain(): C.Constraint {
    return C.positive;
  }
  override get bijective(): boolean {
    return true;
  }
  override get sign(): Sign {
    return 1;
  }
  override equals(other: Transform): boolean {
    return other instanceof SoftplusTransform;
  }
  protected override forwardMap(x: Tensor): Tensor {
    return softplus(x);
  }
  protected override inverseMap(y: Tensor): Tensor {
    // log(1 - exp(-y)) + y
    return y.neg().expm1().neg().log().add(y);
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return softplus(x.neg()).neg();
  }
}

/**
 * y = tanh(x) (TanhTransform).
 * @example new torch.distributions.transforms.TanhTransform().call(torch.tensor(0)) // tensor(0.)
 */
export class TanhTransform extends Transform {
  override get domain(): C.Constraint {
    return C.real;
  }
  override get codomain(): C.Constraint {
    return C.interval(-1, 1);
  }
  override get bijective(): boolean {
    return true;
  }
  override get sign(): Sign {
    return 1;
  }
  override equals(other: Transform): boolean {
    return other instanceof TanhTransform;
  }
  protected override forwardMap(x: Tensor): Tensor {
    return x.tanh();
  }
  protected override inverseMap(y: Tensor): Tensor {
    return atanh(y);
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    // 2 (log 2 - x - softplus(-2x))
    return x
      .neg()
      .add(Math.log(2))
      .sub(softplus(x.mul(-2)))
      .mul(2);
  }
}

/**
 * y = |x| (AbsTransform; not bijective).
 * @example new torch.distributions.transforms.AbsTransform().call(torch.tensor(-2)) // tensor(2.)
 */
export class AbsTransform extends Transform {
  override get domain(): C.Constraint {
    return C.real;
  }
  override get codomain(): C.Constraint {
    return C.positive;
  }
  override equals(other: Transform): boolean {
    return other instanceof AbsTransform;
  }
  protected override forwardMap(x: Tensor): Tensor {
    return x.abs();
  }
  protected override inverseMap(y: Tensor): Tensor {
    return y;
  }
}

/**
 * y = loc + scale x, over `eventDim` rightmost dims (AffineTransform).
 * @example new torch.distributions.transforms.AffineTransform(1, 2).call(torch.tensor(3)) // tensor(7.)
 */
export class AffineTransform extends Transform {
  private readonly _eventDim: number;
  constructor(
    /** the shift */
    readonly loc: Tensor | number,
    /** the factor */
    readonly scale: Tensor | number,
    eventDim = 0,
  ) {
    super();
    this._eventDim = eventDim;
  }
  override get eventDim(): number {
    return this._eventDim;
  }
  override get domain(): C.Constraint {
    return this._eventDim === 0 ? C.real : C.independent(C.real, this._eventDim);
  }
  override get codomain(): C.Constraint {
    return this.domain;
  }
  override get bijective(): boolean {
    return true;
  }
  override get sign(): Sign {
    const s = this.scale;
    if (typeof s === "number") return s > 0 ? 1 : s < 0 ? -1 : 0;
    return s.sign();
  }
  override equals(other: Transform): boolean {
    if (!(other instanceof AffineTransform)) return false;
    const same = (a: Tensor | number, b: Tensor | number): boolean =>
      typeof a === "number" && typeof b === "number"
        ? a === b
        : Boolean((typeof a === "number" ? (b as Tensor).eq(a) : a.eq(b)).all().item());
    return same(this.loc, other.loc) && same(this.scale, other.scale);
  }
  protected override forwardMap(x: Tensor): Tensor {
    // loc + scale x
    const sx = x.mul(this.scale);
    return typeof this.loc === "number" ? sx.add(this.loc) : this.loc.add(sx);
  }
  protected override inverseMap(y: Tensor): Tensor {
    return y.sub(this.loc).div(this.scale);
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    let shape = x.shape;
    const scale = this.scale;
    let result =
      typeof scale === "number" ? fullLike(x, Math.log(Math.abs(scale))) : scale.abs().log();
    if (this._eventDim) {
      result = result.view([...result.shape.slice(0, -this._eventDim), -1]).sum(-1);
      shape = shape.slice(0, -this._eventDim);
    }
    return result.expand(shape);
  }
  override forwardShape(shape: readonly number[]): number[] {
    const ls = typeof this.loc === "number" ? [] : this.loc.shape;
    const ss = typeof this.scale === "number" ? [] : this.scale.shape;
    return broadcastShapes(shape, ls, ss);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return this.forwardShape(shape);
  }
}

/**
 * A transform over `reinterpretedBatchNdims` more rightmost dims: its log-det summed over them
 * (IndependentTransform).
 * @example new torch.distributions.transforms.IndependentTransform(new torch.distributions.transforms.ExpTransform(), 1).codomain.eventDim // 1
 */
export class IndependentTransform extends Transform {
  constructor(
    /** the transform of each entry */
    readonly baseTransform: Transform,
    /** how many more rightmost dims make an event */
    readonly reinterpretedBatchNdims: number,
  ) {
    super();
  }
  override get domain(): C.Constraint {
    return C.independent(this.baseTransform.domain, this.reinterpretedBatchNdims);
  }
  override get codomain(): C.Constraint {
    return C.independent(this.baseTransform.codomain, this.reinterpretedBatchNdims);
  }
  override get bijective(): boolean {
    return this.baseTransform.bijective;
  }
  override get sign(): Sign {
    return this.baseTransform.sign;
  }
  protected override forwardMap(x: Tensor): Tensor {
    if (x.dim() < this.domain.eventDim) throw valueError("Too few dimensions on input");
    return this.baseTransform.call(x);
  }
  protected override inverseMap(y: Tensor): Tensor {
    if (y.dim() < this.codomain.eventDim) throw valueError("Too few dimensions on input");
    return this.baseTransform.inv.call(y);
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    return sumRightmost(this.baseTransform.logAbsDetJacobian(x, y), this.reinterpretedBatchNdims);
  }
  override forwardShape(shape: readonly number[]): number[] {
    return this.baseTransform.forwardShape(shape);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return this.baseTransform.inverseShape(shape);
  }
  override toString(): string {
    return `IndependentTransform(${String(this.baseTransform)}, ${this.reinterpretedBatchNdims})`;
  }
}

/**
 * Unconstrained vectors to the simplex of one more dim by stick breaking: iterated sigmoids
 * (StickBreakingTransform).
 * @example new torch.distributions.transforms.StickBreakingTransform().call(torch.zeros(2)) // tensor([0.3333, 0.3333, 0.3333])
 */
export class StickBreakingTransform extends Transform {
  override get domain(): C.Constraint {
    return C.realVector;
  }
  override get codomain(): C.Constraint {
    return C.simplex;
  }
  override get bijective(): boolean {
    return true;
  }
  override equals(other: Transform): boolean {
    return other instanceof StickBreakingTransform;
  }
  /** K + 1 - (1, 2, ..., K): the offsets that make x = 0 the uniform point */
  private static offset(x: Tensor, k: number, plus: number): Tensor {
    return ones([k], { dtype: x.dtype }).cumsum(-1).neg().add(plus);
  }
  protected override forwardMap(x: Tensor): Tensor {
    const k = x.shape[x.dim() - 1];
    const offset = StickBreakingTransform.offset(x, k, k + 1);
    const f = finfo(x.dtype);
    const z = sigmoid(x.sub(offset.log())).clamp(f.tiny, 1 - f.eps);
    const zCumprod = z.neg().add(1).cumprod(-1);
    return pad(z, [0, 1], { value: 1 }).mul(pad(zCumprod, [1, 0], { value: 1 }));
  }
  protected override inverseMap(y: Tensor): Tensor {
    const k = y.shape[y.dim() - 1] - 1;
    const yCrop = y.narrow(-1, 0, k);
    const offset = StickBreakingTransform.offset(y, k, k + 1);
    const sf = yCrop.cumsum(-1).neg().add(1).clamp(finfo(y.dtype).tiny);
    return yCrop.log().sub(sf.log()).add(offset.log());
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    const k = x.shape[x.dim() - 1];
    const xs = x.sub(StickBreakingTransform.offset(x, k, k + 1).log());
    // 1 - σ(x) = e^{-x} σ(x)
    return xs
      .neg()
      .add(logsigmoid(xs))
      .add(y.narrow(-1, 0, k).log())
      .sum(-1);
  }
  override forwardShape(shape: readonly number[]): number[] {
    if (shape.length < 1) throw valueError("Too few dimensions on input");
    return [...shape.slice(0, -1), shape[shape.length - 1] + 1];
  }
  override inverseShape(shape: readonly number[]): number[] {
    if (shape.length < 1) throw valueError("Too few dimensions on input");
    return [...shape.slice(0, -1), shape[shape.length - 1] - 1];
  }
}

/**
 * Unconstrained vectors to the simplex by softmax (SoftmaxTransform; not bijective).
 * @example new torch.distributions.transforms.SoftmaxTransform().call(torch.zeros(2)) // tensor([0.5000, 0.5000])
 */
export class SoftmaxTransform extends Transform {
  override get domain(): C.Constraint {
    return C.realVector;
  }
  override get codomain(): C.Constraint {
    return C.simplex;
  }
  override equals(other: Transform): boolean {
    return other instanceof SoftmaxTransform;
  }
  protected override forwardMap(x: Tensor): Tensor {
    const probs = x.sub(x.max(-1, true).values).exp();
    return probs.div(probs.sum(-1, true));
  }
  protected override inverseMap(y: Tensor): Tensor {
    return y.log();
  }
  override forwardShape(shape: readonly number[]): number[] {
    if (shape.length < 1) throw valueError("Too few dimensions on input");
    return [...shape];
  }
  override inverseShape(shape: readonly number[]): number[] {
    if (shape.length < 1) throw valueError("Too few dimensions on input");
    return [...shape];
  }
}

/**
 * Unconstrained square matrices to lower Cholesky factors: the strict lower triangle kept, the
 * diagonal exponentiated (LowerCholeskyTransform).
 * @example new torch.distributions.transforms.LowerCholeskyTransform().call(torch.zeros(2, 2)) // tensor([[1., 0.], [0., 1.]])
 */
export class LowerCholeskyTransform extends Transform {
  override get domain(): C.Constraint {
    return C.independent(C.real, 2);
  }
  override get codomain(): C.Constraint {
    return C.lowerCholesky;
  }
  override equals(other: Transform): boolean {
    return other instanceof LowerCholeskyTransform;
  }
  protected override forwardMap(x: Tensor): Tensor {
    return x.tril(-1).add(diagEmbed(x.diagonal(0, -2, -1).exp()));
  }
  protected override inverseMap(y: Tensor): Tensor {
    return y.tril(-1).add(diagEmbed(y.diagonal(0, -2, -1).log()));
  }
}

/**
 * Transforms applied to consecutive slices along `dim`, as torch.cat joins them (CatTransform).
 * @example new torch.distributions.transforms.CatTransform([new torch.distributions.transforms.ExpTransform(), new torch.distributions.transforms.AbsTransform()], 0, [1, 1]).call(torch.tensor([0, -2])) // tensor([1., 2.])
 */
export class CatTransform extends Transform {
  /** the transforms, one per slice */
  readonly transforms: Transform[];
  /** each slice's length */
  readonly lengths: number[];
  constructor(
    tseq: readonly Transform[],
    /** the dim sliced */
    readonly dim = 0,
    lengths?: readonly number[],
  ) {
    super();
    this.transforms = [...tseq];
    this.lengths = lengths ? [...lengths] : this.transforms.map(() => 1);
  }
  override get eventDim(): number {
    return Math.max(...this.transforms.map((t) => t.eventDim));
  }
  override get bijective(): boolean {
    return this.transforms.every((t) => t.bijective);
  }
  override get domain(): C.Constraint {
    return C.cat(
      this.transforms.map((t) => t.domain),
      this.dim,
      this.lengths,
    );
  }
  override get codomain(): C.Constraint {
    return C.cat(
      this.transforms.map((t) => t.codomain),
      this.dim,
      this.lengths,
    );
  }
  /** `fn` on each slice pair, joined along dim */
  private each(x: Tensor, fn: (t: Transform, xs: Tensor) => Tensor): Tensor {
    let start = 0;
    const parts = this.transforms.map((t, i) => {
      const xs = x.narrow(this.dim, start, this.lengths[i]);
      start += this.lengths[i];
      return fn(t, xs);
    });
    return cat(parts, this.dim);
  }
  protected override forwardMap(x: Tensor): Tensor {
    return this.each(x, (t, xs) => t.call(xs));
  }
  protected override inverseMap(y: Tensor): Tensor {
    return this.each(y, (t, ys) => t.inv.call(ys));
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    let start = 0;
    const eventDim = this.eventDim;
    const parts = this.transforms.map((t, i) => {
      const xs = x.narrow(this.dim, start, this.lengths[i]);
      const ys = y.narrow(this.dim, start, this.lengths[i]);
      start += this.lengths[i];
      let l = t.logAbsDetJacobian(xs, ys);
      if (t.eventDim < eventDim) l = sumRightmost(l, eventDim - t.eventDim);
      return l;
    });
    let dim = this.dim;
    if (dim >= 0) dim -= x.dim();
    dim += eventDim;
    if (dim < 0) return cat(parts, dim);
    return parts.reduce((a, b) => a.add(b));
  }
}

/**
 * Transforms applied to the slices `x.select(dim, i)`, restacked (StackTransform).
 * @example new torch.distributions.transforms.StackTransform([new torch.distributions.transforms.ExpTransform(), new torch.distributions.transforms.AbsTransform()]).call(torch.tensor([0, -2])) // tensor([1., 2.])
 */
export class StackTransform extends Transform {
  /** the transforms, one per index along dim */
  readonly transforms: Transform[];
  constructor(
    tseq: readonly Transform[],
    /** the dim selected along */
    readonly dim = 0,
  ) {
    super();
    this.transforms = [...tseq];
  }
  override get bijective(): boolean {
    return this.transforms.every((t) => t.bijective);
  }
  override get domain(): C.Constraint {
    return C.stack(
      this.transforms.map((t) => t.domain),
      this.dim,
    );
  }
  override get codomain(): C.Constraint {
    return C.stack(
      this.transforms.map((t) => t.codomain),
      this.dim,
    );
  }
  private slices(z: Tensor): Tensor[] {
    const n = z.size(this.dim);
    return Array.from({ length: n }, (_, i) => z.select(this.dim, i));
  }
  protected override forwardMap(x: Tensor): Tensor {
    const xs = this.slices(x);
    return stack(
      this.transforms.slice(0, xs.length).map((t, i) => t.call(xs[i])),
      this.dim,
    );
  }
  protected override inverseMap(y: Tensor): Tensor {
    const ys = this.slices(y);
    return stack(
      this.transforms.slice(0, ys.length).map((t, i) => t.inv.call(ys[i])),
      this.dim,
    );
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    const xs = this.slices(x);
    const ys = this.slices(y);
    return stack(
      this.transforms.slice(0, xs.length).map((t, i) => t.logAbsDetJacobian(xs[i], ys[i])),
      this.dim,
    );
  }
}

/** What CumulativeDistributionTransform needs of a distribution. */
export interface CdfDistribution {
  /** the distribution's support */
  readonly support: C.Constraint;
  /** F(x) */
  cdf(value: Tensor): Tensor;
  /** F⁻¹(p) */
  icdf(value: Tensor): Tensor;
  /** log f(x) */
  logProb(value: Tensor): Tensor;
}

/**
 * x ↦ F(x), a distribution's cdf, onto the unit interval (CumulativeDistributionTransform).
 * @example new torch.distributions.transforms.CumulativeDistributionTransform(new torch.distributions.Normal(0, 1)).call(torch.tensor(0)) // tensor(0.5000)
 */
export class CumulativeDistributionTransform extends Transform {
  constructor(
    /** the distribution whose cdf this is */
    readonly distribution: CdfDistribution,
  ) {
    super();
  }
  override get bijective(): boolean {
    return true;
  }
  override get domain(): C.Constraint {
    return this.distribution.support;
  }
  override get codomain(): C.Constraint {
    return C.unitInterval;
  }
  override get sign(): Sign {
    return 1;
  }
  protected override forwardMap(x: Tensor): Tensor {
    return this.distribution.cdf(x);
  }
  protected override inverseMap(y: Tensor): Tensor {
    return this.distribution.icdf(y);
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return this.distribution.logProb(x);
  }
}

/** the mask of tril_matrix_to_vec: entry (i, j) kept when j <= i + diag */
function trilMask(n: number, diag: number): Tensor {
  const r = arange(n);
  return r.lt(r.view([-1, 1]).add(diag + 1));
}

/**
 * The entries of each matrix's lower triangle (below diagonal `diag`) as a vector, row by row
 * (utils.tril_matrix_to_vec).
 * @example torch.distributions.transforms.trilMatrixToVec(torch.tensor([[1, 0], [2, 3]])) // tensor([1., 2., 3.])
 */
export function trilMatrixToVec(mat: Tensor, diag = 0): Tensor {
  const n = mat.shape[mat.dim() - 1];
  if (diag < -n || diag >= n)
    throw valueError(`diag (${diag}) provided is outside [${-n}, ${n - 1}].`);
  const mask = trilMask(n, diag).expand(mat.shape);
  return mat.maskedSelect(mask).reshape([...mat.shape.slice(0, -2), -1]);
}

/**
 * A vector back into the lower triangle (below diagonal `diag`) of a square matrix, row by row
 * (utils.vec_to_tril_matrix).
 * @example torch.distributions.transforms.vecToTrilMatrix(torch.tensor([1, 2, 3])) // tensor([[1., 0.], [2., 3.]])
 */
export function vecToTrilMatrix(vec: Tensor, diag = 0): Tensor {
  const m = vec.shape[vec.dim() - 1];
  // n solves n(n+1)/2 + ... = m for the triangle below diagonal `diag`
  const b = 1 + 2 * diag;
  const n = (-b + Math.sqrt(b * b + 8 * m + 4 * Math.abs(diag) * (diag + 1))) / 2;
  const eps = finfo(vec.dtype).eps;
  if (Math.round(n) - n > eps) {
    throw valueError(
      `The size of last dimension is ${m} which cannot be expressed as ` +
        "the lower triangular part of a square D x D matrix.",
    );
  }
  const size = Math.round(n);
  const shape = [...vec.shape.slice(0, -1), size, size];
  const mask = trilMask(size, diag).expand(shape);
  return zeros(shape, { dtype: vec.dtype }).maskedScatter(mask, vec.contiguous());
}

/**
 * Unconstrained vectors of length D(D-1)/2 to Cholesky factors of D × D correlation matrices:
 * tanh, then a signed stick breaking along each row (CorrCholeskyTransform).
 * @example new torch.distributions.transforms.CorrCholeskyTransform().call(torch.zeros(1)) // tensor([[1., 0.], [0., 1.]])
 */
export class CorrCholeskyTransform extends Transform {
  override get domain(): C.Constraint {
    return C.realVector;
  }
  override get codomain(): C.Constraint {
    return C.corrCholesky;
  }
  override get bijective(): boolean {
    return true;
  }
  override equals(other: Transform): boolean {
    return other instanceof CorrCholeskyTransform;
  }
  protected override forwardMap(x: Tensor): Tensor {
    const eps = finfo(x.dtype).eps;
    const t = x.tanh().clamp(-1 + eps, 1 - eps);
    let r = vecToTrilMatrix(t, -1);
    const z = r.pow(2);
    const z1mCumprodSqrt = z.neg().add(1).sqrt().cumprod(-1);
    r = r.add(eye(r.shape[r.dim() - 1], { dtype: r.dtype }));
    const k = z1mCumprodSqrt.shape[z1mCumprodSqrt.dim() - 1];
    return r.mul(pad(z1mCumprodSqrt.narrow(-1, 0, k - 1), [1, 0], { value: 1 }));
  }
  protected override inverseMap(y: Tensor): Tensor {
    const yCumsum = y.mul(y).cumsum(-1).neg().add(1);
    const k = yCumsum.shape[yCumsum.dim() - 1];
    const shifted = pad(yCumsum.narrow(-1, 0, k - 1), [1, 0], { value: 1 });
    const yVec = trilMatrixToVec(y, -1);
    const cumsumVec = trilMatrixToVec(shifted, -1);
    const t = yVec.div(cumsumVec.sqrt());
    // atanh(t) = log((1 + t) / (1 - t)) / 2
    return t.add(1).div(t.neg().add(1)).log().div(2);
  }
  override logAbsDetJacobian(x: Tensor, y: Tensor): Tensor {
    const y1mCumsum = y.mul(y).cumsum(-1).neg().add(1);
    const stickBreaking = trilMatrixToVec(y1mCumsum, -2).log().sum(-1).mul(0.5);
    const tanhLogdet = x
      .add(softplus(x.mul(-2)))
      .sub(Math.log(2))
      .sum(-1)
      .mul(-2);
    return stickBreaking.add(tanhLogdet);
  }
  override forwardShape(shape: readonly number[]): number[] {
    if (shape.length < 1) throw valueError("Too few dimensions on input");
    const N = shape[shape.length - 1];
    const D = Math.round(Math.sqrt(0.25 + 2 * N) + 0.5);
    if ((D * (D - 1)) / 2 !== N) throw valueError("Input is not a flattend lower-diagonal number");
    return [...shape.slice(0, -1), D, D];
  }
  override inverseShape(shape: readonly number[]): number[] {
    if (shape.length < 2) throw valueError("Too few dimensions on input");
    if (shape[shape.length - 2] !== shape[shape.length - 1])
      throw valueError("Input is not square");
    const D = shape[shape.length - 1];
    return [...shape.slice(0, -2), (D * (D - 1)) / 2];
  }
}

/**
 * Reshapes the rightmost dims from `inShape` to `outShape` (ReshapeTransform).
 * @example new torch.distributions.transforms.ReshapeTransform([4], [2, 2]).call(torch.zeros(3, 4)).shape // [3, 2, 2]
 */
export class ReshapeTransform extends Transform {
  /** the event shape of the inputs */
  readonly inShape: number[];
  /** the event shape of the outputs */
  readonly outShape: number[];
  constructor(inShape: readonly number[], outShape: readonly number[]) {
    super();
    this.inShape = [...inShape];
    this.outShape = [...outShape];
    const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);
    if (numel(this.inShape) !== numel(this.outShape)) {
      throw valueError("in_shape, out_shape have different numbers of elements");
    }
  }
  override get bijective(): boolean {
    return true;
  }
  override get domain(): C.Constraint {
    return C.independent(C.real, this.inShape.length);
  }
  override get codomain(): C.Constraint {
    return C.independent(C.real, this.outShape.length);
  }
  protected override forwardMap(x: Tensor): Tensor {
    return x.reshape([...x.shape.slice(0, x.dim() - this.inShape.length), ...this.outShape]);
  }
  protected override inverseMap(y: Tensor): Tensor {
    return y.reshape([...y.shape.slice(0, y.dim() - this.outShape.length), ...this.inShape]);
  }
  override logAbsDetJacobian(x: Tensor, _y: Tensor): Tensor {
    return zeros(x.shape.slice(0, x.dim() - this.inShape.length), { dtype: x.dtype });
  }
  /** shape[:cut] + to, after checking shape[cut:] is `from` */
  private static swap(shape: readonly number[], from: number[], to: number[]): number[] {
    if (shape.length < from.length) throw valueError("Too few dimensions on input");
    const cut = shape.length - from.length;
    const tail = shape.slice(cut);
    if (tail.some((v, i) => v !== from[i])) {
      throw valueError(
        `Shape mismatch: expected torch.Size([${tail.join(", ")}]) but got torch.Size([${from.join(", ")}])`,
      );
    }
    return [...shape.slice(0, cut), ...to];
  }
  override forwardShape(shape: readonly number[]): number[] {
    return ReshapeTransform.swap(shape, this.inShape, this.outShape);
  }
  override inverseShape(shape: readonly number[]): number[] {
    return ReshapeTransform.swap(shape, this.outShape, this.inShape);
  }
}
