/**
 * biject_to and transform_to (constraint_registry.py): the transform from unconstrained space
 * onto a constraint's region, looked up by the constraint's kind.
 */
import { notImplementedError, typeError } from "../errors.js";
import * as C from "./constraints.js";
import {
  AffineTransform,
  CatTransform,
  ComposeTransform,
  CorrCholeskyTransform,
  ExpTransform,
  IndependentTransform,
  LowerCholeskyTransform,
  SigmoidTransform,
  SoftmaxTransform,
  StackTransform,
  StickBreakingTransform,
  type Transform,
  identityTransform,
} from "./transforms.js";

/** A constraint class as the registry keys it: an instance, a factory (greaterThan) or a kind. */
export type ConstraintKey = C.Constraint | string | ((...args: never[]) => C.Constraint);

/** the kinds of the constraint factories (Python registers the classes they are) */
const FACTORY_KINDS = new Map<unknown, string>([
  [C.independent, "IndependentConstraint"],
  [C.greaterThan, "GreaterThan"],
  [C.greaterThanEq, "GreaterThanEq"],
  [C.lessThan, "LessThan"],
  [C.interval, "Interval"],
  [C.halfOpenInterval, "HalfOpenInterval"],
  [C.integerInterval, "IntegerInterval"],
  [C.cat, "Cat"],
  [C.stack, "Stack"],
  [C.multinomial, "Multinomial"],
]);

/**
 * A registry of transforms onto constraints (ConstraintRegistry): `register(constraint, factory)`
 * and `call(constraint)`.
 * @example torch.distributions.transformTo.call(torch.distributions.constraints.positive).call(torch.tensor(0)) // tensor(1.)
 */
export class ConstraintRegistry {
  private readonly registry = new Map<string, (c: C.Constraint) => Transform>();

  /**
   * Registers `factory` for the constraints of `constraint`'s kind; returns the factory.
   * @typeParam F the factory's type, returned as given
   */
  register<F extends (c: C.Constraint) => Transform>(constraint: ConstraintKey, factory: F): F {
    let kind: string | undefined;
    if (constraint instanceof C.Constraint) kind = constraint.kind;
    else if (typeof constraint === "string") kind = constraint;
    else kind = FACTORY_KINDS.get(constraint);
    if (kind === undefined) {
      throw typeError(
        "Expected constraint to be either a Constraint subclass or instance, " +
          `but got ${String(constraint)}`,
      );
    }
    this.registry.set(kind, factory);
    return factory;
  }

  /** The transform for `constraint` (Python's `registry(constraint)`). */
  call(constraint: C.Constraint): Transform {
    const factory = this.registry.get(constraint.kind);
    if (!factory) throw notImplementedError(`Cannot transform _${constraint.kind} constraints`);
    return factory(constraint);
  }
}

/**
 * Bijective transforms onto each constraint (biject_to).
 * @example String(torch.distributions.bijectTo.call(torch.distributions.constraints.simplex)) // "StickBreakingTransform()"
 */
export const bijectTo = new ConstraintRegistry();
/**
 * Transforms onto each constraint, not necessarily bijective (transform_to).
 * @example String(torch.distributions.transformTo.call(torch.distributions.constraints.simplex)) // "SoftmaxTransform()"
 */
export const transformTo = new ConstraintRegistry();

const both = (key: ConstraintKey, f: (c: C.Constraint) => Transform): void => {
  bijectTo.register(key, f);
  transformTo.register(key, f);
};

both(C.real, () => identityTransform);
bijectTo.register(C.independent, (c) => {
  const i = c as C.IndependentConstraint;
  return new IndependentTransform(bijectTo.call(i.baseConstraint), i.reinterpretedBatchNdims);
});
transformTo.register(C.independent, (c) => {
  const i = c as C.IndependentConstraint;
  return new IndependentTransform(transformTo.call(i.baseConstraint), i.reinterpretedBatchNdims);
});
// positive and nonnegative are GreaterThan(0) and GreaterThanEq(0): exp then shift
const greater = (c: C.Constraint): Transform => {
  const lower = (c as C.Bounded).lowerBound as C.Bound;
  return new ComposeTransform([new ExpTransform(), new AffineTransform(lower, 1)]);
};
both(C.greaterThan, greater);
both(C.greaterThanEq, greater);
both(C.lessThan, (c) => {
  const upper = (c as C.Bounded).upperBound as C.Bound;
  return new ComposeTransform([new ExpTransform(), new AffineTransform(upper, -1)]);
});
const toInterval = (c: C.Constraint): Transform => {
  const b = c as C.Bounded;
  const lower = b.lowerBound as C.Bound;
  const upper = b.upperBound as C.Bound;
  if (lower === 0 && upper === 1) return new SigmoidTransform();
  const scale =
    typeof upper === "number" && typeof lower === "number"
      ? upper - lower
      : typeof upper === "number"
        ? (lower as Exclude<C.Bound, number>).neg().add(upper)
        : upper.sub(lower);
  return new ComposeTransform([new SigmoidTransform(), new AffineTransform(lower, scale)]);
};
both(C.interval, toInterval);
both(C.halfOpenInterval, toInterval);
bijectTo.register(C.simplex, () => new StickBreakingTransform());
transformTo.register(C.simplex, () => new SoftmaxTransform());
transformTo.register(C.lowerCholesky, () => new LowerCholeskyTransform());
both(C.corrCholesky, () => new CorrCholeskyTransform());
for (const reg of [bijectTo, transformTo]) {
  reg.register(C.cat, (c) => {
    const k = c as C.Cat;
    return new CatTransform(
      k.cseq.map((x) => reg.call(x)),
      k.dim,
      k.lengths,
    );
  });
  reg.register(C.stack, (c) => {
    const k = c as C.Stack;
    return new StackTransform(
      k.cseq.map((x) => reg.call(x)),
      k.dim,
    );
  });
}
