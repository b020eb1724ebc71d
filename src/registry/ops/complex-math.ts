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

/**
 * realDtypes, with complex tensor arguments (which give a factory only their shape and dtype)
 * replaced by their real parts; without an explicit dtype the result takes the first complex
 * tensor's.
 */
function realArguments(values: readonly unknown[]): [unknown[], DType | null] {
  const [v, cd] = realDtypes(values);
  let like: DType | null = null;
  let explicit = false;
  const out = v.map((x) => {
    if (x instanceof DType) explicit = true;
    if (x instanceof Tensor && x.dtype.isComplex) {
      like ??= x.dtype;
      return x.real;
    }
    return x;
  });
  return [out, cd ?? (explicit ? null : like)];
}

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
    const [v, cd] = realArguments(values);
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
    const ac = f(a, c) as Tensor;
    const re = ac.sub(f(b, d) as Tensor);
    const im = (f(a, d) as Tensor).add(f(b, c) as Tensor);
    // matmul's node is the product it dispatches to (DotBackward0, MvBackward0, ...)
    return combine(re, im, name === "matmul" ? (ac.gradFn?.name() ?? node) : node);
  });
}
// products bilinear in their two operands, by the same four real products: dot, inner, outer,
// mv, kron, tensordot; vdot(x, y) = dot(conj x, y). The node is the real product's.
for (const name of ["dot", "vdot", "inner", "outer", "ger", "mv", "kron", "tensordot"]) {
  CUSTOM.set(name, (values, f) => {
    const [x, y, ...rest] = values as [Tensor, Tensor, ...unknown[]];
    if (["dot", "vdot", "mv"].includes(name) && x.dtype !== y.dtype)
      throw runtimeError(
        `expected scalar type ${scalarTypeName(x.dtype)} but found ${scalarTypeName(y.dtype)}`,
      );
    const like = x.dtype.isComplex ? x : y;
    const [a, b0] = parts(x, like);
    const b = name === "vdot" ? b0.neg() : b0;
    const [c, d] = parts(y, like);
    const g = name === "vdot" ? fn("dot") : f;
    const ac = g(a, c, ...rest) as Tensor;
    const re = ac.sub(g(b, d, ...rest) as Tensor);
    const im = (g(a, d, ...rest) as Tensor).add(g(b, c, ...rest) as Tensor);
    const node = name === "vdot" ? "VdotBackward0" : (ac.gradFn?.name() ?? undefined);
    return combine(re, im, node);
  });
}
// truth values: z is true where a != 0 or b != 0; the op runs on those bools
const truth = (v: unknown): unknown =>
  v instanceof Tensor && v.dtype.isComplex ? v.real.ne(0).logicalOr(v.imag.ne(0)) : v;
for (const name of [
  "logical_and",
  "logical_or",
  "logical_xor",
  "logical_not",
  "all",
  "any",
  "count_nonzero",
  "nonzero",
  "argwhere",
]) {
  CUSTOM.set(name, (values, f) => f(...values.map(truth)));
}
// a complex number is nan (inf) when a part is; finite when both are; real when b == 0
CUSTOM.set("isnan", (values) => {
  const z = values[0] as Tensor;
  return z.real.isnan().logicalOr(z.imag.isnan());
});
CUSTOM.set("isinf", (values) => {
  const z = values[0] as Tensor;
  return z.real.isinf().logicalOr(z.imag.isinf());
});
CUSTOM.set("isfinite", (values) => {
  const z = values[0] as Tensor;
  return z.real.isfinite().logicalAnd(z.imag.isfinite());
});
CUSTOM.set("isreal", (values) => (values[0] as Tensor).imag.eq(0));
// sinh(a+ib) = sinh a cos b + i cosh a sin b; cosh(a+ib) = cosh a cos b + i sinh a sin b
unaryZ("sinh", ([a, b]) => [a.sinh().mul(b.cos()), a.cosh().mul(b.sin())]);
unaryZ("cosh", ([a, b]) => [a.cosh().mul(b.cos()), a.sinh().mul(b.sin())]);
// tan(a+ib) = (sin 2a + i sinh 2b) / (cos 2a + cosh 2b)
unaryZ("tan", ([a, b]) => {
  const den = a.mul(2).cos().add(b.mul(2).cosh());
  return [a.mul(2).sin().div(den), b.mul(2).sinh().div(den)];
});
// log2 z = log z / ln 2, log10 z = log z / ln 10
for (const [name, base] of [
  ["log2", Math.LN2],
  ["log10", Math.LN10],
] as const) {
  CUSTOM.set(name, (values) => {
    const z = values[0] as Tensor;
    const [a, b] = [z.real, z.imag];
    const node = `Log${name.slice(3)}Backward0`;
    return combine(a.hypot(b).log().div(base), b.atan2(a).div(base), node);
  });
}
// rsqrt z = 1 / sqrt z
CUSTOM.set("rsqrt", (values) => {
  const z = values[0] as Tensor;
  const [a, b] = [z.real, z.imag];
  const r = a.hypot(b).sqrt();
  const h = b.atan2(a).mul(0.5);
  const [re, im] = cdiv([r.mul(0).add(1), r.mul(0)], [r.mul(h.cos()), r.mul(h.sin())]);
  return combine(re, im, "RsqrtBackward0");
});
// addcmul: self + value t1 t2; addcdiv: self + value t1 / t2
for (const [name, op, node] of [
  ["addcmul", cmul, "AddcmulBackward0"],
  ["addcdiv", cdiv, "AddcdivBackward0"],
] as const) {
  CUSTOM.set(name, (values) => {
    const [self, t1, t2, value] = values as [Tensor, Tensor, Tensor, number];
    const like = [self, t1, t2].find((t) => t.dtype.isComplex)!;
    const [a, b] = parts(self, like);
    const [c, d] = op(parts(t1, like), parts(t2, like));
    return combine(a.add(c.mul(value)), b.add(d.mul(value)), node);
  });
}
// |z|-based reductions: a vector norm of z is that norm of |z|; var z = var a + var b
for (const name of ["norm", "linalg_vector_norm"]) {
  CUSTOM.set(name, (values, f) => {
    const z = values[0] as Tensor;
    // the nuclear norm is a matrix norm (singular values): not computed on |z|
    if (values.includes("nuc"))
      throw runtimeError(`"${name}_cpu" not implemented for '${scalarTypeName(z.dtype)}'`);
    const [v] = realDtypes(values);
    return f(z.real.hypot(z.imag), ...v.slice(1));
  });
}
// var z = var a + var b, std z = hypot(std a, std b) (the op's own overload on each part)
CUSTOM.set("var", (values, f) => {
  const [z, ...rest] = values as [Tensor, ...unknown[]];
  return named((f(z.real, ...rest) as Tensor).add(f(z.imag, ...rest) as Tensor), "VarBackward0");
});
CUSTOM.set("std", (values, f) => {
  const [z, ...rest] = values as [Tensor, ...unknown[]];
  const s = (f(z.real, ...rest) as Tensor).hypot(f(z.imag, ...rest) as Tensor);
  return named(s, "StdBackward0");
});
// z^2 = z * z (PyTorch's square is pow(z, 2))
CUSTOM.set("square", (values) => {
  const z = values[0] as Tensor;
  const [re, im] = cmul([z.real, z.imag], [z.real, z.imag]);
  return combine(re, im, "PowBackward0");
});
// sgn z = z / |z| (0 at 0)
CUSTOM.set("sgn", (values) => {
  const z = values[0] as Tensor;
  const r = z.real.hypot(z.imag);
  const safe = r.eq(0).logicalNot();
  const den = r.add(safe.logicalNot().to(r.dtype));
  return combine(z.real.div(den), z.imag.div(den), "SgnBackward0");
});
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
