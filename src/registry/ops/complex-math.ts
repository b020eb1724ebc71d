/**
 * Note [complex compute]'s compositions: complex factories and math as recorded real ops on
 * the parts (z = a + ib). Each result is put together by `combine`, named as PyTorch's node.
 */
import { Tensor } from "../../tensor.js";
import { DType, toRealDtype } from "../../dtype.js";
import { CUSTOM, combine, composedResults } from "../complex-compute.js";
import { fn } from "../define.js";
import { runtimeError } from "../../errors.js";
import { scalarTypeName } from "../../ops/core.js";
import { OpNode } from "../../autograd/function.js";

type Forward = (...args: unknown[]) => unknown;

/** The values with each complex dtype replaced by its parts' dtype, and that complex dtype. */
function realDtypes(values: readonly unknown[]): [unknown[], DType | null] {
  let cd: DType | null = null;
  const v = values.map((x) => {
    if (x instanceof DType && x.isComplex) {
      cd = x;
      return toRealDtype(x);
    }
    return x;
  });
  return [v, cd];
}

const viewAsComplex = (t: Tensor): Tensor => fn("viewAsComplex")(t) as Tensor;

// factories whose values are real: made in the parts' dtype, then cast (imaginary parts 0)
for (const name of [
  "ones",
  "full",
  "ones_like",
  "full_like",
  "eye",
  "arange",
  "linspace",
  "logspace",
  "scalar_tensor",
  "new_ones",
  "new_full",
]) {
  CUSTOM.set(name, (values, f) => {
    const [v, cd] = realDtypes(values);
    const r = f(...v) as Tensor;
    return cd === null ? r : r.to(cd);
  });
}

// random factories: PyTorch draws the real view (normal with std 1/sqrt(2) per part, so
// E|z|^2 = 1; uniform parts in [0, 1))
for (const [name, scale] of [
  ["randn", Math.SQRT1_2],
  ["rand", 1],
] as const) {
  CUSTOM.set(name, (values, f) => {
    const [v, cd] = realDtypes(values);
    v[0] = [...(v[0] as number[]), 2];
    let r = f(...v) as Tensor;
    if (scale !== 1) r = r.mul_(scale);
    r = viewAsComplex(r);
    return cd === null ? r : r;
  });
}

// |z| = hypot(a, b); angle z = atan2(b, a)
CUSTOM.set("abs", (values) => {
  const z = values[0] as Tensor;
  return named(z.real.hypot(z.imag), "AbsBackward0");
});
CUSTOM.set("angle", (values) => {
  const z = values[0] as Tensor;
  return named(z.imag.atan2(z.real), "AngleBackward0");
});

/**
 * A real result of a composition, its last node (made by the composition for this result only)
 * renamed to PyTorch's, kept from the op's own recording.
 */
function named(t: Tensor, name: string): Tensor {
  if (t.gradFn instanceof OpNode) t.gradFn.rename(name);
  composedResults.add(t);
  return t;
}

/**
 * A value's parts: a complex tensor's real views, a real tensor or number with imaginary +0
 * (as PyTorch's conversion to complex: a negative real's angle is +π, never -π).
 */
type Parts = [Tensor, Tensor];
const zerosLike = (t: Tensor): Tensor => (fn("zerosLike") as (t: Tensor) => Tensor)(t);
function parts(v: unknown, like: Tensor): Parts {
  if (v instanceof Tensor) {
    if (v.dtype.isComplex) return [v.real, v.imag];
    return [v, zerosLike(v)];
  }
  const t = (fn("fullLike") as (...a: unknown[]) => Tensor)(like.real, v as number);
  return [t, zerosLike(t)];
}
const cmul = ([a, b]: Parts, [c, d]: Parts): Parts => [
  a.mul(c).sub(b.mul(d)),
  a.mul(d).add(b.mul(c)),
];
const cdiv = ([a, b]: Parts, [c, d]: Parts): Parts => {
  const den = c.mul(c).add(d.mul(d));
  return [a.mul(c).add(b.mul(d)).div(den), b.mul(c).sub(a.mul(d)).div(den)];
};
const cexp = ([a, b]: Parts): Parts => {
  const r = a.exp();
  return [r.mul(b.cos()), r.mul(b.sin())];
};
const unaryZ = (name: string, f: (p: Parts) => Parts): void => {
  CUSTOM.set(name, (values) => {
    const z = values[0] as Tensor;
    const [re, im] = f([z.real, z.imag]);
    return combine(re, im, `${name[0].toUpperCase()}${name.slice(1)}Backward0`);
  });
};

// exp z = e^a (cos b + i sin b); log z = log|z| + i angle z
unaryZ("exp", cexp);
unaryZ("log", ([a, b]) => [a.hypot(b).log(), b.atan2(a)]);
// 1/z = conj z / |z|^2
unaryZ("reciprocal", ([a, b]) => {
  const den = a.mul(a).add(b.mul(b));
  return [a.div(den), b.neg().div(den)];
});
// sqrt z = sqrt|z| (cos(θ/2) + i sin(θ/2)), the principal root
unaryZ("sqrt", ([a, b]) => {
  const r = a.hypot(b).sqrt();
  const h = b.atan2(a).mul(0.5);
  return [r.mul(h.cos()), r.mul(h.sin())];
});
// sin(a+ib) = sin a cosh b + i cos a sinh b; cos(a+ib) = cos a cosh b - i sin a sinh b
unaryZ("sin", ([a, b]) => [a.sin().mul(b.cosh()), a.cos().mul(b.sinh())]);
unaryZ("cos", ([a, b]) => [a.cos().mul(b.cosh()), a.sin().mul(b.sinh()).neg()]);
// tanh(a+ib) = (sinh 2a + i sin 2b) / (cosh 2a + cos 2b)
unaryZ("tanh", ([a, b]) => {
  const den = a.mul(2).cosh().add(b.mul(2).cos());
  return [a.mul(2).sinh().div(den), b.mul(2).sin().div(den)];
});
// sigmoid z = 1 / (1 + exp(-z))
unaryZ("sigmoid", ([a, b]) => {
  const [ea, eb] = cexp([a.neg(), b.neg()]);
  return cdiv([ea.mul(0).add(1), eb.mul(0)], [ea.add(1), eb]);
});

for (const name of ["mul", "multiply"]) {
  CUSTOM.set(name, (values) => {
    const like = (values[0] instanceof Tensor ? values[0] : values[1]) as Tensor;
    const [re, im] = cmul(parts(values[0], like), parts(values[1], like));
    return combine(re, im, "MulBackward0");
  });
}
for (const name of ["div", "divide", "true_divide"]) {
  CUSTOM.set(name, (values) => {
    const like = (
      values[1] instanceof Tensor && values[1].dtype.isComplex ? values[1] : values[0]
    ) as Tensor;
    const [re, im] = cdiv(parts(values[0], like), parts(values[1], like));
    return combine(re, im, "DivBackward0");
  });
}
// z^p for a real number p: |z|^p (cos pθ + i sin pθ)
// z^w otherwise (a tensor exponent, or a number base): exp(w log z), log z = log|z| + i angle z,
// as PyTorch's std::pow for complex operands; named as PyTorch's overloads: Tensor ^ Tensor is
// PowBackward1, Scalar ^ Tensor PowBackward2
CUSTOM.set("pow", (values) => {
  const [base, p] = values;
  if (base instanceof Tensor && base.dtype.isComplex && typeof p === "number") {
    const [a, b] = [base.real, base.imag];
    const r = a.hypot(b).pow(p);
    const t = b.atan2(a).mul(p);
    return combine(r.mul(t.cos()), r.mul(t.sin()), "PowBackward0");
  }
  const like = (base instanceof Tensor && base.dtype.isComplex ? base : (p as Tensor)) as Tensor;
  const [a, b] = parts(base, like);
  const logZ: Parts = [a.hypot(b).log(), b.atan2(a)];
  const [re, im] = cexp(cmul(parts(p, like), logZ));
  return combine(re, im, base instanceof Tensor ? "PowBackward1" : "PowBackward2");
});
// (A + iB)(C + iD) = (AC - BD) + i(AD + BC): four real products
for (const [name, node] of [
  ["matmul", "MmBackward0"],
  ["mm", "MmBackward0"],
  ["bmm", "BmmBackward0"],
] as const) {
  CUSTOM.set(name, (values, f) => {
    // PyTorch's matrix products take one dtype: no promotion to complex
    const [x, y] = values as [Tensor, Tensor];
    if (x.dtype !== y.dtype)
      throw runtimeError(
        `expected scalar type ${scalarTypeName(x.dtype)} but found ${scalarTypeName(y.dtype)}`,
      );
    const like = (values[0] as Tensor).dtype.isComplex
      ? (values[0] as Tensor)
      : (values[1] as Tensor);
    const [a, b] = parts(values[0], like);
    const [c, d] = parts(values[1], like);
    const re = (f(a, c) as Tensor).sub(f(b, d) as Tensor);
    const im = (f(a, d) as Tensor).add(f(b, c) as Tensor);
    return combine(re, im, node);
  });
}
// equality of both parts
CUSTOM.set("eq", (values) => {
  const like = values[0] as Tensor;
  const [a, b] = parts(values[0], like);
  const [c, d] = parts(values[1], like);
  return a.eq(c).logicalAnd(b.eq(d));
});
CUSTOM.set("ne", (values) => {
  const like = values[0] as Tensor;
  const [a, b] = parts(values[0], like);
  const [c, d] = parts(values[1], like);
  return a.ne(c).logicalOr(b.ne(d));
});

export type { Forward };
