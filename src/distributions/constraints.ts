/**
 * torch.distributions.constraints: the regions a parameter or a sample must lie in. `check(value)`
 * gives a bool tensor of `sample_shape + batch_shape` (the `eventDim` rightmost dims reduced);
 * `String(c)` is PyTorch's repr (`GreaterThan(lower_bound=0.0)`).
 */
import { Tensor } from "../tensor.js";
import { bool, finfo } from "../dtype.js";
import { formatPyFloat } from "../print.js";
import { pyFormat } from "./format.js";
import { notImplementedError, valueError } from "../errors.js";
import { cat as catTensors, full, isclose, stack as stackTensors } from "../generated/functions.js";
import { choleskyEx, eigvalsh, vectorNorm } from "../generated/linalg.js";

/** A bound: a number or a tensor broadcast against the value. */
export type Bound = number | Tensor;

/** A real bound as Python prints it (`0.0`, a tensor's repr). */
const realRepr = (b: Bound): string => (typeof b === "number" ? formatPyFloat(b) : pyFormat(b));
/** An integer bound as Python prints it (`0`). */
const intRepr = (b: Bound): string => (typeof b === "number" ? String(b) : pyFormat(b));

/** lower <= value, lower a number or tensor. */
const le = (lower: Bound, value: Tensor): Tensor =>
  typeof lower === "number" ? value.ge(lower) : lower.le(value);
/** lower < value */
const lt = (lower: Bound, value: Tensor): Tensor =>
  typeof lower === "number" ? value.gt(lower) : lower.lt(value);

/**
 * The base of the constraints: `check(value)` says, per event, whether `value` satisfies it.
 * @example torch.distributions.constraints.positive.check(torch.tensor([1, -1])) // tensor([ True, False])
 */
export class Constraint {
  /** whether the constrained space is discrete */
  get isDiscrete(): boolean {
    return false;
  }
  /** how many rightmost dims make one event */
  get eventDim(): number {
    return 0;
  }
  /** PyTorch's class name without its leading underscore */
  protected get reprName(): string {
    return "Constraint";
  }
  /** the constraint's kind: PyTorch's class name without its underscore (`GreaterThan`) */
  get kind(): string {
    return this.reprName;
  }
  /** A bool tensor: which events of `value` satisfy the constraint. */
  check(_value: Tensor): Tensor {
    throw notImplementedError("");
  }
  /** PyTorch's repr. */
  toString(): string {
    return `${this.reprName}()`;
  }
}

/**
 * Placeholder for parameters whose support depends on other parameters (constraints.dependent):
 * never checked.
 * @example torch.distributions.constraints.isDependent(torch.distributions.constraints.dependent) // true
 */
export class Dependent extends Constraint {
  constructor(
    private readonly _isDiscrete?: boolean,
    private readonly _eventDim?: number,
  ) {
    super();
  }
  override get isDiscrete(): boolean {
    if (this._isDiscrete === undefined)
      throw notImplementedError(".is_discrete cannot be determined statically");
    return this._isDiscrete;
  }
  override get eventDim(): number {
    if (this._eventDim === undefined)
      throw notImplementedError(".event_dim cannot be determined statically");
    return this._eventDim;
  }
  protected override get reprName(): string {
    return "Dependent";
  }
  /** `dependent(is_discrete=..., event_dim=...)`: a dependent constraint with static attributes. */
  with(options: { isDiscrete?: boolean; eventDim?: number }): Dependent {
    return new Dependent(
      options.isDiscrete ?? this._isDiscrete,
      options.eventDim ?? this._eventDim,
    );
  }
  override check(_value: Tensor): Tensor {
    throw valueError("Cannot determine validity of dependent constraint");
  }
}

/**
 * Whether `c` is a dependent constraint (constraints.is_dependent).
 * @example torch.distributions.constraints.isDependent(torch.distributions.constraints.real) // false
 */
export const isDependent = (c: Constraint): boolean => c instanceof Dependent;

/**
 * A constraint checked over `reinterpretedBatchNdims` more rightmost dims (constraints.independent).
 * @example String(torch.distributions.constraints.independent(torch.distributions.constraints.real, 1)) // "IndependentConstraint(Real(), 1)"
 */
export class IndependentConstraint extends Constraint {
  constructor(
    /** the constraint of each entry */
    readonly baseConstraint: Constraint,
    /** how many more rightmost dims make an event */
    readonly reinterpretedBatchNdims: number,
  ) {
    super();
  }
  override get isDiscrete(): boolean {
    return this.baseConstraint.isDiscrete;
  }
  override get eventDim(): number {
    return this.baseConstraint.eventDim + this.reinterpretedBatchNdims;
  }
  override check(value: Tensor): Tensor {
    const result = this.baseConstraint.check(value);
    const n = this.reinterpretedBatchNdims;
    if (result.dim() < n) {
      const expected = this.baseConstraint.eventDim + n;
      throw valueError(`Expected value.dim() >= ${expected} but got ${value.dim()}`);
    }
    return result.reshape([...result.shape.slice(0, result.dim() - n), -1]).all(-1);
  }
  protected override get reprName(): string {
    return "IndependentConstraint";
  }
  override toString(): string {
    return `IndependentConstraint(${String(this.baseConstraint)}, ${this.reinterpretedBatchNdims})`;
  }
}

/** A constraint with a fixed repr name and check (the parameterless ones). */
class Simple extends Constraint {
  constructor(
    private readonly name: string,
    private readonly fn: (v: Tensor) => Tensor,
    private readonly discrete = false,
    private readonly dims = 0,
  ) {
    super();
  }
  override get isDiscrete(): boolean {
    return this.discrete;
  }
  override get eventDim(): number {
    return this.dims;
  }
  protected override get reprName(): string {
    return this.name;
  }
  override check(value: Tensor): Tensor {
    return this.fn(value);
  }
}

/** A constraint with bounds, printed `Name(lower_bound=..., upper_bound=...)`. */
class Bounded extends Constraint {
  constructor(
    private readonly name: string,
    private readonly bounds: [string, Bound][],
    private readonly fn: (v: Tensor) => Tensor,
    private readonly discrete: boolean,
    /** bounds print as Python ints (`greater_than(n - 1)` with an int n) */
    private readonly intBounds = discrete,
  ) {
    super();
  }
  override get isDiscrete(): boolean {
    return this.discrete;
  }
  /** the lower bound (undefined for an upper-bound-only constraint) */
  get lowerBound(): Bound | undefined {
    return this.bounds.find(([k]) => k === "lower_bound")?.[1];
  }
  /** the upper bound (undefined for a lower-bound-only constraint) */
  get upperBound(): Bound | undefined {
    return this.bounds.find(([k]) => k === "upper_bound")?.[1];
  }
  protected override get reprName(): string {
    return this.name;
  }
  override check(value: Tensor): Tensor {
    return this.fn(value);
  }
  override toString(): string {
    const show = this.intBounds ? intRepr : realRepr;
    return `${this.name}(${this.bounds.map(([k, b]) => `${k}=${show(b)}`).join(", ")})`;
  }
}
export type { Bounded };

/** value % 1 == 0 */
const isInteger = (v: Tensor): Tensor => v.remainder(1).eq(0);

/**
 * Integers in [lowerBound, upperBound] (constraints.integer_interval).
 * @example String(torch.distributions.constraints.integerInterval(0, 2)) // "IntegerInterval(lower_bound=0, upper_bound=2)"
 */
export const integerInterval = (lowerBound: Bound, upperBound: Bound): Bounded =>
  new Bounded(
    "IntegerInterval",
    [
      ["lower_bound", lowerBound],
      ["upper_bound", upperBound],
    ],
    (v) => isInteger(v).logicalAnd(le(lowerBound, v)).logicalAnd(v.le(upperBound)),
    true,
  );
/**
 * Integers <= upperBound (constraints.integer_less_than).
 * @example String(torch.distributions.constraints.integerLessThan(3)) // "IntegerLessThan(upper_bound=3)"
 */
export const integerLessThan = (upperBound: Bound): Bounded =>
  new Bounded(
    "IntegerLessThan",
    [["upper_bound", upperBound]],
    (v) => isInteger(v).logicalAnd(v.le(upperBound)),
    true,
  );
/**
 * Integers >= lowerBound (constraints.integer_greater_than).
 * @example String(torch.distributions.constraints.integerGreaterThan(1)) // "IntegerGreaterThan(lower_bound=1)"
 */
export const integerGreaterThan = (lowerBound: Bound): Bounded =>
  new Bounded(
    "IntegerGreaterThan",
    [["lower_bound", lowerBound]],
    (v) => isInteger(v).logicalAnd(le(lowerBound, v)),
    true,
  );
/**
 * The half line (lowerBound, inf] (constraints.greater_than).
 * @example String(torch.distributions.constraints.greaterThan(0)) // "GreaterThan(lower_bound=0.0)"
 */
export const greaterThan = (lowerBound: Bound): Bounded =>
  new Bounded("GreaterThan", [["lower_bound", lowerBound]], (v) => lt(lowerBound, v), false);
/**
 * greater_than with a bound Python holds as an int (printed `GreaterThan(lower_bound=1)`).
 * @example String(torch.distributions.constraints.greaterThanInt(1)) // "GreaterThan(lower_bound=1)"
 */
export const greaterThanInt = (lowerBound: number): Bounded =>
  new Bounded("GreaterThan", [["lower_bound", lowerBound]], (v) => lt(lowerBound, v), false, true);
/**
 * The half line [lowerBound, inf) (constraints.greater_than_eq).
 * @example String(torch.distributions.constraints.greaterThanEq(0)) // "GreaterThanEq(lower_bound=0.0)"
 */
export const greaterThanEq = (lowerBound: Bound): Bounded =>
  new Bounded("GreaterThanEq", [["lower_bound", lowerBound]], (v) => le(lowerBound, v), false);
/**
 * The half line [-inf, upperBound) (constraints.less_than).
 * @example String(torch.distributions.constraints.lessThan(1)) // "LessThan(upper_bound=1.0)"
 */
export const lessThan = (upperBound: Bound): Bounded =>
  new Bounded("LessThan", [["upper_bound", upperBound]], (v) => v.lt(upperBound), false);
/**
 * The interval [lowerBound, upperBound] (constraints.interval).
 * @example String(torch.distributions.constraints.interval(0, 1)) // "Interval(lower_bound=0.0, upper_bound=1.0)"
 */
export const interval = (lowerBound: Bound, upperBound: Bound): Bounded =>
  new Bounded(
    "Interval",
    [
      ["lower_bound", lowerBound],
      ["upper_bound", upperBound],
    ],
    (v) => le(lowerBound, v).logicalAnd(v.le(upperBound)),
    false,
  );
/**
 * The interval [lowerBound, upperBound) (constraints.half_open_interval).
 * @example String(torch.distributions.constraints.halfOpenInterval(0, 1)) // "HalfOpenInterval(lower_bound=0.0, upper_bound=1.0)"
 */
export const halfOpenInterval = (lowerBound: Bound, upperBound: Bound): Bounded =>
  new Bounded(
    "HalfOpenInterval",
    [
      ["lower_bound", lowerBound],
      ["upper_bound", upperBound],
    ],
    (v) => le(lowerBound, v).logicalAnd(v.lt(upperBound)),
    false,
  );

/**
 * Any constraint that cannot be checked (constraints.dependent).
 * @example String(torch.distributions.constraints.dependent) // "Dependent()"
 */
export const dependent = new Dependent();
/**
 * independent(constraint, n): `constraint` checked over n more rightmost dims.
 * @example torch.distributions.constraints.independent(torch.distributions.constraints.positive, 1).eventDim // 1
 */
export const independent = (
  c: Constraint,
  reinterpretedBatchNdims: number,
): IndependentConstraint => new IndependentConstraint(c, reinterpretedBatchNdims);
/**
 * {0, 1} (constraints.boolean).
 * @example torch.distributions.constraints.boolean.check(torch.tensor([0, 0.5])) // tensor([ True, False])
 */
export const boolean: Constraint = new Simple("Boolean", (v) => v.eq(0).logicalOr(v.eq(1)), true);
/**
 * One-hot vectors (constraints.one_hot).
 * @example torch.distributions.constraints.oneHot.check(torch.tensor([0, 1])) // tensor(True)
 */
export const oneHot: Constraint = new Simple(
  "OneHot",
  (v) => v.eq(0).logicalOr(v.eq(1)).all(-1).logicalAnd(v.sum(-1).eq(1)),
  true,
  1,
);
/**
 * Integers >= 0 (constraints.nonnegative_integer).
 * @example String(torch.distributions.constraints.nonnegativeInteger) // "IntegerGreaterThan(lower_bound=0)"
 */
export const nonnegativeInteger = integerGreaterThan(0);
/**
 * Integers >= 1 (constraints.positive_integer).
 * @example String(torch.distributions.constraints.positiveInteger) // "IntegerGreaterThan(lower_bound=1)"
 */
export const positiveInteger = integerGreaterThan(1);
/**
 * The extended real line, NaN excluded (constraints.real).
 * @example torch.distributions.constraints.real.check(torch.tensor([1, NaN])) // tensor([ True, False])
 */
export const real: Constraint = new Simple("Real", (v) => v.eq(v));
/**
 * Vectors of reals (constraints.real_vector).
 * @example torch.distributions.constraints.realVector.eventDim // 1
 */
export const realVector = independent(real, 1);
/**
 * (0, inf] (constraints.positive).
 * @example String(torch.distributions.constraints.positive) // "GreaterThan(lower_bound=0.0)"
 */
export const positive = greaterThan(0);
/**
 * [0, inf) (constraints.nonnegative).
 * @example String(torch.distributions.constraints.nonnegative) // "GreaterThanEq(lower_bound=0.0)"
 */
export const nonnegative = greaterThanEq(0);
/**
 * [0, 1] (constraints.unit_interval).
 * @example String(torch.distributions.constraints.unitInterval) // "Interval(lower_bound=0.0, upper_bound=1.0)"
 */
export const unitInterval = interval(0, 1);
/**
 * The unit simplex over the last dim: x >= 0 and |sum(x) - 1| < 1e-6 (constraints.simplex).
 * @example torch.distributions.constraints.simplex.check(torch.tensor([0.25, 0.75])) // tensor(True)
 */
export const simplex: Constraint = new Simple(
  "Simplex",
  (v) => v.ge(0).all(-1).logicalAnd(v.sum(-1).sub(1).abs().lt(1e-6)),
  false,
  1,
);
/**
 * Nonnegative integer vectors summing to at most `upperBound` (constraints.multinomial).
 * @example torch.distributions.constraints.multinomial(3).check(torch.tensor([1, 2])) // tensor(True)
 */
export const multinomial = (upperBound: number): Constraint =>
  new Simple("Multinomial", (x) => x.ge(0).all(-1).logicalAnd(x.sum(-1).le(upperBound)), true, 1);

/** value.tril() == value over each matrix */
const isLowerTriangular = (v: Tensor): Tensor =>
  v
    .tril()
    .eq(v)
    .reshape([...v.shape.slice(0, -2), -1])
    .min(-1).values;

/**
 * Lower-triangular square matrices (constraints.lower_triangular).
 * @example torch.distributions.constraints.lowerTriangular.check(torch.eye(2)) // tensor(True)
 */
export const lowerTriangular: Constraint = new Simple(
  "LowerTriangular",
  isLowerTriangular,
  false,
  2,
);
/** lower triangular with a positive diagonal */
const isLowerCholesky = (v: Tensor): Tensor =>
  isLowerTriangular(v).logicalAnd(v.diagonal(0, -2, -1).gt(0).min(-1).values);
/**
 * Lower-triangular matrices with a positive diagonal (constraints.lower_cholesky).
 * @example torch.distributions.constraints.lowerCholesky.check(torch.eye(2)) // tensor(True)
 */
export const lowerCholesky: Constraint = new Simple("LowerCholesky", isLowerCholesky, false, 2);
/**
 * Lower Cholesky factors whose rows have unit length (constraints.corr_cholesky).
 * @example torch.distributions.constraints.corrCholesky.check(torch.eye(2)) // tensor(True)
 */
export const corrCholesky: Constraint = new Simple(
  "CorrCholesky",
  (v) => {
    // tol = eps * n * 10, PyTorch's fudge factor
    const tol = finfo(v.dtype).eps * v.size(-1) * 10;
    const rowNorm = vectorNorm(v.detach(), { dim: -1 });
    return isLowerCholesky(v).logicalAnd(rowNorm.sub(1).abs().le(tol).all(-1));
  },
  false,
  2,
);
/** whether each matrix is square, as a bool tensor of the batch shape */
const isSquare = (v: Tensor): Tensor =>
  full(v.shape.slice(0, -2), v.shape[v.dim() - 2] === v.shape[v.dim() - 1], { dtype: bool });
/** square and close to its transpose (atol 1e-6) */
function isSymmetric(v: Tensor): Tensor {
  const sq = isSquare(v);
  if (!sq.all().item()) return sq;
  return isclose(v, v.mT, { atol: 1e-6 }).all(-2).all(-1);
}
/**
 * Square matrices (constraints.square).
 * @example torch.distributions.constraints.square.check(torch.zeros(2, 2)) // tensor(True)
 */
export const square: Constraint = new Simple("Square", isSquare, false, 2);
/**
 * Symmetric matrices (constraints.symmetric).
 * @example torch.distributions.constraints.symmetric.check(torch.eye(2)) // tensor(True)
 */
export const symmetric: Constraint = new Simple("Symmetric", isSymmetric, false, 2);
/**
 * Symmetric matrices with nonnegative eigenvalues (constraints.positive_semidefinite).
 * @example torch.distributions.constraints.positiveSemidefinite.check(torch.eye(2)) // tensor(True)
 */
export const positiveSemidefinite: Constraint = new Simple(
  "PositiveSemidefinite",
  (v) => {
    const sym = isSymmetric(v);
    if (!sym.all().item()) return sym;
    return eigvalsh(v).ge(0).all(-1);
  },
  false,
  2,
);
/**
 * Symmetric matrices with a Cholesky factor (constraints.positive_definite).
 * @example torch.distributions.constraints.positiveDefinite.check(torch.eye(2)) // tensor(True)
 */
export const positiveDefinite: Constraint = new Simple(
  "PositiveDefinite",
  (v) => {
    const sym = isSymmetric(v);
    if (!sym.all().item()) return sym;
    return choleskyEx(v).info.eq(0);
  },
  false,
  2,
);

/**
 * Applies constraints to consecutive slices along `dim` (constraints.cat), as torch.cat joins them.
 * @example torch.distributions.constraints.cat([torch.distributions.constraints.real, torch.distributions.constraints.positive], 0, [1, 1]).check(torch.tensor([-1, 1])) // tensor([True, True])
 */
export class Cat extends Constraint {
  /** the constraints, one per slice */
  readonly cseq: Constraint[];
  /** each slice's length along dim */
  readonly lengths: number[];
  constructor(
    cseq: readonly Constraint[],
    /** the dim sliced */
    readonly dim = 0,
    lengths?: readonly number[],
  ) {
    super();
    this.cseq = [...cseq];
    this.lengths = lengths ? [...lengths] : this.cseq.map(() => 1);
  }
  override get isDiscrete(): boolean {
    return this.cseq.some((c) => c.isDiscrete);
  }
  override get eventDim(): number {
    return Math.max(...this.cseq.map((c) => c.eventDim));
  }
  protected override get reprName(): string {
    return "Cat";
  }
  override check(value: Tensor): Tensor {
    let start = 0;
    const checks = this.cseq.map((c, i) => {
      const v = value.narrow(this.dim, start, this.lengths[i]);
      start += this.lengths[i];
      return c.check(v);
    });
    return catTensors(checks, this.dim);
  }
}
/**
 * constraints.cat(cseq, dim, lengths)
 * @example torch.distributions.constraints.cat([torch.distributions.constraints.real], 0).eventDim // 0
 */
export const cat = (cseq: readonly Constraint[], dim = 0, lengths?: readonly number[]): Cat =>
  new Cat(cseq, dim, lengths);

/**
 * Applies constraints to the slices `value.select(dim, i)` (constraints.stack).
 * @example torch.distributions.constraints.stack([torch.distributions.constraints.real, torch.distributions.constraints.positive]).check(torch.tensor([-1, 1])) // tensor([True, True])
 */
export class Stack extends Constraint {
  /** the constraints, one per index along dim */
  readonly cseq: Constraint[];
  constructor(
    cseq: readonly Constraint[],
    /** the dim selected along */
    readonly dim = 0,
  ) {
    super();
    this.cseq = [...cseq];
  }
  override get isDiscrete(): boolean {
    return this.cseq.some((c) => c.isDiscrete);
  }
  override get eventDim(): number {
    let dim = Math.max(...this.cseq.map((c) => c.eventDim));
    if (this.dim + dim < 0) dim += 1;
    return dim;
  }
  protected override get reprName(): string {
    return "Stack";
  }
  override check(value: Tensor): Tensor {
    const n = value.size(this.dim);
    const checks = this.cseq.slice(0, n).map((c, i) => c.check(value.select(this.dim, i)));
    return stackTensors(checks, this.dim);
  }
}
/**
 * constraints.stack(cseq, dim)
 * @example torch.distributions.constraints.stack([torch.distributions.constraints.real]).eventDim // 0
 */
export const stack = (cseq: readonly Constraint[], dim = 0): Stack => new Stack(cseq, dim);
