/**
 * Note [complex compute]'s compositions: complex factories and math as recorded real ops on
 * the parts (z = a + ib). Each result is put together by `combine`, named as PyTorch's node.
 */
import { Tensor } from "../../tensor.js";
import { DType, complex128, float64, toRealDtype } from "../../dtype.js";
import { CUSTOM, combine, composedResults, notImplemented } from "../complex-compute.js";
import { fn } from "../define.js";
import { HALF_OWN } from "../half-compute.js";
import { runtimeError } from "../../errors.js";
import { scalarTypeName } from "../../ops/core.js";
import { OpNode } from "../../autograd/function.js";
import { namedTuple } from "../../named-tuple.js";
import type { Generator } from "../../generator.js";
import { isGradEnabled } from "../../autograd/grad-mode.js";

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
for (const name of [
  "dot",
  "vdot",
  "inner",
  "outer",
  "ger",
  "mv",
  "kron",
  "tensordot",
  "cross",
  "linalg_cross",
]) {
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
  CUSTOM.set(name, (values, f, declared) => {
    const z = values[0] as Tensor;
    // the nuclear norm is a matrix norm (singular values): the op's own forward (matrix_norm)
    if (values.includes("nuc")) return declared(...values);
    const [v] = realDtypes(values);
    // |z| with a zero gradient where z = 0 (PyTorch's norm backward there, sgn(0) = 0): hypot
    // of (1, 0) in place of (0, 0), masked out, so no 0 / 0 enters the graph
    const zero = z.real.eq(0).logicalAnd(z.imag.eq(0));
    const abs = z.real.maskedFill(zero, 1).hypot(z.imag).maskedFill(zero, 0);
    return f(abs, ...v.slice(1));
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
for (const name of ["ne", "not_equal"]) {
  CUSTOM.set(name, (values) => {
    const like = values[0] as Tensor;
    const [a, b] = parts(values[0], like);
    const [c, d] = parts(values[1], like);
    return a.ne(c).logicalOr(b.ne(d));
  });
}

// Inverse trigonometric and hyperbolic functions through the principal log and sqrt (the
// branch cuts of C99's casin/cacos/catan/..., PyTorch's): asin z = -i log(iz + sqrt(1 - z^2)),
// acos z = -i log(z + i sqrt(1 - z^2)) (exactly real where z is real beyond ±1, as PyTorch's),
// atan z = (i/2) log((i + z) / (i - z)) (PyTorch's vectorized form), asinh z =
// log(z + sqrt(z^2 + 1)), acosh z = log(z + sqrt(z + 1) sqrt(z - 1)), atanh z =
// (log(1 + z) - log(1 - z)) / 2. Holomorphic, so the real view's gradient is PyTorch's
// conj(f'(z)) grad.
const clog = ([a, b]: Parts): Parts => [a.hypot(b).log(), b.atan2(a)];
// sqrt without trigonometry (exact on the axes, as PyTorch's): with r = |z|,
// a >= 0: t + i b/(2t), t = sqrt((r + a)/2); a < 0: |b|/(2u) + i copysign(u, b),
// u = sqrt((r - a)/2) (each branch smooth in a, so the gradient at a = 0 is the derivative's;
// a zero t or u computed as 1 where its branch is not taken or the root is 0, so no NaN
// reaches the gradient)
const where = fn("where") as (c: Tensor, x: Tensor, y: Tensor) => Tensor;
const nonzero = (t: Tensor): Tensor => where(t.eq(0), t.mul(0).add(1), t);
const csqrt = ([a, b]: Parts): Parts => {
  const r = a.hypot(b);
  const t = nonzero(r.add(a).mul(0.5).sqrt());
  const u = nonzero(r.sub(a).mul(0.5).sqrt());
  const nonneg = a.ge(0);
  const zero = r.eq(0);
  const re = where(nonneg, t, b.abs().div(u.mul(2)));
  const im = where(nonneg, b.div(t.mul(2)), u.copysign(b));
  return [where(zero, re.mul(0), re), where(zero, im.mul(0), im)];
};
const cadd = ([a, b]: Parts, [c, d]: Parts): Parts => [a.add(c), b.add(d)];
const csub = ([a, b]: Parts, [c, d]: Parts): Parts => [a.sub(c), b.sub(d)];
const plus = ([a, b]: Parts, x: number): Parts => [a.add(x), b.mul(1)];
const rsub1 = ([a, b]: Parts): Parts => [a.neg().add(1), b.neg()];
const timesI = ([a, b]: Parts): Parts => [b.neg(), a];
const casin = (z: Parts): Parts => {
  const [c, d] = clog(cadd(timesI(z), csqrt(rsub1(cmul(z, z)))));
  return [d, c.neg()];
};
unaryZ("asin", casin);
unaryZ("acos", (z) => {
  const [c, d] = clog(cadd(z, timesI(csqrt(rsub1(cmul(z, z))))));
  return [d, c.neg()];
});
unaryZ("atan", (z) => {
  const [a, b] = z;
  const [c, d] = clog(cdiv([a, b.add(1)], [a.neg(), b.neg().add(1)]));
  // (i/2)(c + id) = -d/2 + i c/2
  return [d.mul(-0.5), c.mul(0.5)];
});
unaryZ("asinh", (z) => clog(cadd(z, csqrt(plus(cmul(z, z), 1)))));
unaryZ("acosh", (z) => clog(cadd(z, cmul(csqrt(plus(z, 1)), csqrt(plus(z, -1))))));
unaryZ("atanh", (z) => {
  const [c, d] = csub(clog(plus(z, 1)), clog(rsub1(z)));
  return [c.mul(0.5), d.mul(0.5)];
});
// asinh_, acosh_, atanh_ have no derivative in PyTorch 1.13 (their node, AsinhBackward1, ...,
// raises in backward): the values computed without a graph, the op's own node recorded
for (const name of ["asinh", "acosh", "atanh"]) {
  const outOfPlace = CUSTOM.get(name)!;
  CUSTOM.set(`${name}_`, (values, f, declared) =>
    outOfPlace([(values[0] as Tensor).detach()], f, declared),
  );
}
// the arc* aliases (arcsin, ..., arctanh_): the same compositions, PyTorch's node names
for (const name of [
  "asin",
  "acos",
  "atan",
  "asinh",
  "acosh",
  "atanh",
  "asinh_",
  "acosh_",
  "atanh_",
])
  CUSTOM.set(`arc${name.slice(1)}`, CUSTOM.get(name)!);

// softmax, log_softmax, softmin given a real `dtype`: the input is cast to it first, which keeps
// the real part (PyTorch's complex -> real conversion), so the op runs on z.real; the gradient
// is real (imaginary part 0). Without one PyTorch's kernels refuse complex.
for (const name of ["softmax", "log_softmax", "softmin"]) {
  CUSTOM.set(name, (values, f) => {
    const z = values[0] as Tensor;
    const dtype = values.find((v): v is DType => v instanceof DType);
    if (dtype === undefined || dtype.isComplex)
      throw notImplemented(name === "softmin" ? "softmax" : name, z.dtype);
    const r = f(z.real, ...values.slice(1)) as Tensor;
    return named(r, r.gradFn?.name() ?? "");
  });
}

// complex32 given a real dtype: PyTorch casts it to that dtype too (complex32 has no kernel of
// its own), so the op runs on z.real, a float16 view cast exactly
for (const [name, js] of [
  ["softmax", "softmax"],
  ["log_softmax", "logSoftmax"],
] as const) {
  HALF_OWN.set(name, {
    applies: ([z, dim, dtype]) =>
      z instanceof Tensor &&
      z.dtype.name === "complex32" &&
      typeof dim === "number" &&
      dtype instanceof DType &&
      !dtype.isComplex,
    forward: (z, dim, dtype) => fn(js)((z as Tensor).real, dim, dtype),
  });
}

// beta self + alpha x y for the products mm, mv, outer, bmm (summed for addbmm), by real parts:
// re = beta s_re + alpha (a c - b d), im = beta s_im + alpha (a d + b c), two fused real calls
// each; real beta and alpha (PyTorch's complex scalars are not taken here)
for (const name of ["addmm", "addmv", "addr", "addbmm", "baddbmm"]) {
  const node = `${name[0].toUpperCase()}${name.slice(1)}Backward0`;
  const compose = (values: unknown[], inplace: boolean): Tensor => {
    const [self, x, y, beta, alpha] = values as [Tensor, Tensor, Tensor, number, number];
    for (const t of [x, y])
      if (t.dtype !== self.dtype)
        throw runtimeError(
          `expected scalar type ${scalarTypeName(self.dtype)} but found ${scalarTypeName(t.dtype)}`,
        );
    if (inplace && name === "addr" && self.dim() !== 2)
      throw runtimeError(`2D tensor expected, got ${self.dim()}D tensor for input`);
    const g = fn(name) as (...a: unknown[]) => Tensor;
    const [sr, si] = parts(self, self);
    const [a, b] = parts(x, self);
    const [c, d] = parts(y, self);
    const re = g(g(sr, a, c, { beta, alpha }), b, d, { alpha: -alpha });
    const im = g(g(si, a, d, { beta, alpha }), b, c, { alpha });
    if (inplace && name !== "addbmm" && re.shape.join() !== self.shape.join())
      throw runtimeError(
        `Bad in-place call: input tensor size [${self.shape.join(", ")}] and output tensor size [${re.shape.join(", ")}] should match`,
      );
    return combine(re, im, node);
  };
  CUSTOM.set(name, (values) => compose(values, false));
  CUSTOM.set(`${name}_`, (values) => compose(values, true));
}

// products along a dim by complex multiplication in order, z_0 z_1 ... z_{n-1} (the empty
// product 1); prod over all elements is over the flattened tensor
const slot = (p: Parts, dim: number, k: number): Parts => [
  p[0].narrow(dim, k, 1),
  p[1].narrow(dim, k, 1),
];
function prodAlong(p: Parts, dim: number): Parts {
  const n = p[0].shape[dim];
  if (n === 0) {
    const one = p[0].sum(dim, true).mul(0).add(1);
    return [one, one.mul(0)];
  }
  let acc = slot(p, dim, 0);
  for (let k = 1; k < n; k++) acc = cmul(acc, slot(p, dim, k));
  return acc;
}
const castComplex = (z: Tensor, dtype: unknown): Tensor =>
  dtype instanceof DType && dtype !== z.dtype ? z.to(dtype) : z;
CUSTOM.set("prod", (values) => {
  const [self, second] = values as [Tensor, unknown];
  if (typeof second !== "number") {
    const z = castComplex(self, second);
    const [re, im] = prodAlong([z.real.reshape(-1), z.imag.reshape(-1)], 0);
    return combine(re.reshape([]), im.reshape([]), "ProdBackward0");
  }
  const [, dim, keepdim, dtype] = values as [Tensor, number, boolean, unknown];
  const z = castComplex(self, dtype);
  const zeroDim = z.dim() === 0;
  const d = zeroDim ? 0 : dim < 0 ? dim + z.dim() : dim;
  const p: Parts = zeroDim ? [z.real.reshape([1]), z.imag.reshape([1])] : [z.real, z.imag];
  let [re, im] = prodAlong(p, d);
  if (zeroDim || !keepdim) [re, im] = [re.squeeze(d), im.squeeze(d)];
  return combine(re, im, "ProdBackward1");
});
// cumprod: the running products z_0, z_0 z_1, ... along dim
CUSTOM.set("cumprod", (values) => {
  const [self, dim, dtype] = values as [Tensor, number, unknown];
  const z = castComplex(self, dtype);
  const zeroDim = z.dim() === 0;
  const d = zeroDim ? 0 : dim < 0 ? dim + z.dim() : dim;
  const p: Parts = zeroDim ? [z.real.reshape([1]), z.imag.reshape([1])] : [z.real, z.imag];
  const n = p[0].shape[d];
  const outs: Parts[] = [];
  for (let k = 0; k < n; k++) outs.push(k === 0 ? slot(p, d, 0) : cmul(outs[k - 1], slot(p, d, k)));
  const cat = fn("cat") as (ts: Tensor[], dim: number) => Tensor;
  let [re, im] =
    n === 0
      ? [p[0].mul(1), p[1].mul(1)]
      : [
          cat(
            outs.map((o) => o[0]),
            d,
          ),
          cat(
            outs.map((o) => o[1]),
            d,
          ),
        ];
  if (zeroDim) [re, im] = [re.reshape([]), im.reshape([])];
  return combine(re, im, "CumprodBackward0");
});
// lerp(self, end, w) = self + w (end - self); a number weight is lerp.Scalar (LerpBackward0),
// a tensor weight lerp.Tensor (LerpBackward1)
const lerp = (values: unknown[]): Tensor => {
  const [self, end, weight] = values as [Tensor, Tensor, unknown];
  const like = [self, end, weight].find((t) => t instanceof Tensor && t.dtype.isComplex) as Tensor;
  const s = parts(self, like);
  const [re, im] = cadd(s, cmul(parts(weight, like), csub(parts(end, like), s)));
  return combine(re, im, typeof weight === "number" ? "LerpBackward0" : "LerpBackward1");
};
CUSTOM.set("lerp", lerp);
CUSTOM.set("lerp_", lerp);
// float_power with a complex operand computes in complex128: the operands cast, then pow
// (PowBackward0/1/2 as pow's); float_power_ needs self complex128 already
const floatPower = (values: unknown[], inplace: boolean): Tensor => {
  const self = values[0];
  if (inplace && self instanceof Tensor && self.dtype !== complex128)
    throw runtimeError(
      `the base given to float_power_ has dtype ${scalarTypeName(self.dtype)} but the operation's result requires dtype ComplexDouble`,
    );
  // complex64 -> complex128 part by part, recorded (ToCopyBackward0 as PyTorch's cast)
  const c128 = (v: unknown): unknown => {
    if (!(v instanceof Tensor) || v.dtype === complex128) return v;
    if (!v.dtype.isComplex) return v.to(complex128);
    return combine(v.real.to(float64), v.imag.to(float64), "ToCopyBackward0");
  };
  return (fn("pow") as (...a: unknown[]) => Tensor)(c128(values[0]), c128(values[1]));
};
CUSTOM.set("float_power", (values) => floatPower(values, false));
CUSTOM.set("float_power_", (values) => floatPower(values, true));
// sinc z = sin(πz) / (πz), 1 at z = 0 (computed at z = 1 there, so no NaN reaches the gradient)
CUSTOM.set("sinc", (values) => {
  const z = values[0] as Tensor;
  const zero = z.real.eq(0).logicalAnd(z.imag.eq(0)).to(z.real.dtype);
  const nonzero = zero.neg().add(1);
  const a = z.real.add(zero).mul(Math.PI);
  const b = z.imag.mul(Math.PI);
  const [re, im] = cdiv([a.sin().mul(b.cosh()), a.cos().mul(b.sinh())], [a, b]);
  return combine(re.mul(nonzero).add(zero), im.mul(nonzero), "SincBackward0");
});
// softsign z = z / (1 + |z|), tanhshrink z = z - tanh z, silu z = z sigmoid(z): PyTorch's own
// compositions (nodes DivBackward0, SubBackward0, MulBackward0)
CUSTOM.set("softsign", (values) => {
  const z = values[0] as Tensor;
  return z.div(z.abs().add(1));
});
CUSTOM.set("tanhshrink", (values) => {
  const z = values[0] as Tensor;
  return z.sub(z.tanh());
});
CUSTOM.set("silu", (values) => {
  const [z, inplace] = values as [Tensor, boolean];
  const r = z.mul(z.sigmoid());
  return inplace ? z.copy_(r) : r;
});
// linear(x, W, b) = x W^T + b and the convolutions, bilinear in (x, W) plus the bias, on the
// parts: re = op(a, Wr, br) - op(b, Wi), im = op(a, Wi, bi) + op(b, Wr) (the other arguments
// as given); the node is the real op's with bias (AddBackward0, ConvolutionBackward0, ...)
for (const name of [
  "linear",
  "conv1d",
  "conv2d",
  "conv3d",
  "conv_transpose1d",
  "conv_transpose2d",
  "conv_transpose3d",
]) {
  CUSTOM.set(name, (values, f) => {
    const [x, w, bias, ...rest] = values as [Tensor, Tensor, Tensor | null, ...unknown[]];
    const like = [x, w, bias].find((t) => t instanceof Tensor && t.dtype.isComplex) as Tensor;
    const [a, b] = parts(x, like);
    const [wr, wi] = parts(w, like);
    const [br, bi] = bias == null ? [null, null] : parts(bias, like);
    const first = f(a, wr, br, ...rest) as Tensor;
    const re = first.sub(f(b, wi, null, ...rest) as Tensor);
    const im = (f(a, wi, bi, ...rest) as Tensor).add(f(b, wr, null, ...rest) as Tensor);
    // PyTorch's complex convolutions end in an add (ConvolutionBackward0 is the real one's)
    return combine(re, im, name === "linear" ? first.gradFn?.name() : "AddBackward0");
  });
}
// linalg.vecdot(x, y) = sum(conj(x) y) over dim: PyTorch's vdot for two vectors
CUSTOM.set("linalg_vecdot", (values) => {
  const [x, y, dim] = values as [Tensor, Tensor, number];
  if (x.dim() === 1 && y.dim() === 1 && (dim === -1 || dim === 0))
    return (fn("vdot") as (x: Tensor, y: Tensor) => Tensor)(x, y);
  const like = x.dtype.isComplex ? x : y;
  const [a, b] = parts(x, like);
  const [re, im] = cmul([a, b.neg()], parts(y, like));
  const sr = re.sum(dim);
  return combine(sr, im.sum(dim), sr.gradFn?.name());
});
// var_mean / std_mean: var z = var a + var b, std z = hypot(std a, std b), mean z = mean a +
// i mean b; both results named VarMeanBackward0 (StdMeanBackward0)
for (const [name, node] of [
  ["var_mean", "VarMeanBackward0"],
  ["std_mean", "StdMeanBackward0"],
] as const) {
  CUSTOM.set(name, (values, f) => {
    const [z, ...rest] = values as [Tensor, ...unknown[]];
    const [vr, mr] = f(z.real, ...rest) as [Tensor, Tensor];
    const [vi, mi] = f(z.imag, ...rest) as [Tensor, Tensor];
    const spread = name === "var_mean" ? vr.add(vi) : vr.hypot(vi);
    return [named(spread, node), combine(mr, mi, node)];
  });
}

// Composite ops whose forward is made of ops with complex paths: the forward runs on the
// complex tensors as it is (its nodes are its parts', as PyTorch's composites)
for (const name of [
  "trapz",
  "trapezoid",
  "cumulative_trapezoid",
  "l1_loss",
  "normalize",
  "pairwise_distance",
  "linalg_matrix_power",
  "linalg_multi_dot",
  "linalg_vander",
]) {
  CUSTOM.set(name, (values, _recorded, declared) => declared(...values));
}

// ldexp z = z * 2^other (PyTorch's composite, MulBackward0 and PowBackward2); ldexp_ is mul's
// out= form: refused when an operand requires grad
const twoPow = (other: Tensor): Tensor => (fn("pow") as (...a: unknown[]) => Tensor)(2, other);
CUSTOM.set("ldexp", (values) => {
  const [self, other] = values as [Tensor, Tensor];
  return self.mul(
    other.dtype.isComplex ? twoPow(other) : twoPow(other.to(toRealDtype(self.dtype))),
  );
});
CUSTOM.set("ldexp_", (values) => {
  const [self, other] = values as [Tensor, Tensor];
  if (isGradEnabled() && (self.requiresGrad || other.requiresGrad))
    throw runtimeError(
      "mul(): functions with out=... arguments don't support automatic differentiation, but one of the arguments requires grad.",
    );
  return self.mul_(
    other.dtype.isComplex ? twoPow(other) : twoPow(other.to(toRealDtype(self.dtype))),
  );
});
// normalize: z / max(||z||_p, eps) along dim; pairwise_distance: ||x1 - x2 + eps||_p over the
// last dim (complex norms are the norms of |z|)
CUSTOM.set("normalize", (values) => {
  const [input, p, dim, eps, out] = values as [Tensor, number, number, number, Tensor | null];
  if (out != null) throw notImplemented("normalize", input.dtype);
  const norm = input.norm(Number(p), dim, true) as Tensor;
  return input.div(norm.clampMin(Number(eps)).expand(input.shape));
});
CUSTOM.set("pairwise_distance", (values) => {
  const [x1, x2, p, eps, keepdim] = values as [Tensor, Tensor, number, number, boolean];
  const innermost = Math.max(x1.dim(), x2.dim()) - 1;
  return x1.sub(x2).add(Number(eps)).norm(Number(p), innermost, keepdim) as Tensor;
});

// eq_ / ne_ / not_equal_: the truth values written into self as 1 or 0 (imaginary part 0)
for (const name of ["eq", "ne", "not_equal"]) {
  const outOfPlace = CUSTOM.get(name)!;
  CUSTOM.set(`${name}_`, (values, f, declared) => {
    const self = values[0] as Tensor;
    const r = (outOfPlace(values, f, declared) as Tensor).to(toRealDtype(self.dtype));
    return combine(r, zerosLike(r));
  });
}
// gradient is linear in the values (the spacing real): the op on each part, put together
CUSTOM.set("gradient", (values, f) => {
  const [z, ...rest] = values as [Tensor, ...unknown[]];
  const re = f(z.real, ...rest) as Tensor[];
  const im = f(z.imag, ...rest) as Tensor[];
  return re.map((r, i) => combine(r, im[i], r.gradFn?.name()));
});

// conj_physical_: conj z = a - ib, written into self (PyTorch names its node ConjPhysicalBackward1)
CUSTOM.set("conj_physical_", (values) => {
  const z = values[0] as Tensor;
  return combine(z.real.mul(1), z.imag.neg(), "ConjPhysicalBackward1");
});

// cov z = E[(z - μ)(z - μ)^H]: with the real covariance S of the rows of a and b stacked,
// re = S_aa + S_bb, im = S_ba - S_ab (Σ (a_j + i b_j)(a_k - i b_k)); squeezed as PyTorch's
CUSTOM.set("cov", (values, f) => {
  const [z, ...rest] = values as [Tensor, ...unknown[]];
  const vector = z.dim() < 2;
  const a = vector ? z.real.reshape([1, -1]) : z.real;
  const b = vector ? z.imag.reshape([1, -1]) : z.imag;
  const n = a.shape[0];
  const S = f((fn("cat") as (ts: Tensor[], d: number) => Tensor)([a, b], 0), ...rest) as Tensor;
  const block = (i: number, j: number): Tensor => S.narrow(0, i * n, n).narrow(1, j * n, n);
  const re = block(0, 0).add(block(1, 1));
  const im = block(1, 0).sub(block(0, 1));
  return combine(re.squeeze(), im.squeeze(), "SqueezeBackward0");
});
// corrcoef: cov over the outer product of the standard deviations (the diagonal's real
// part), each part clipped to [-1, 1] (PyTorch's); a single variable gives c / c
CUSTOM.set("corrcoef", (values) => {
  const c = (fn("cov") as (z: Tensor) => Tensor)(values[0] as Tensor);
  if (c.dim() === 0) return c.div(c);
  const sd = c.real.diagonal().sqrt();
  const r = c.div(sd.reshape([-1, 1])).div(sd.reshape([1, -1]));
  return combine(r.real.clip(-1, 1), r.imag.clip(-1, 1), "ComplexBackward0");
});

// Square solves through the real embedding A + iB -> [[A, -B], [B, A]] (2n x 2n): its inverse
// is [[X, -Y], [Y, X]] for (A + iB)^-1 = X + iY, and it maps [Br; Bi] to [Xr; Xi] for
// (A + iB) X = B. The real op's own derivative gives the real view's gradient.
const catT = fn("cat") as (ts: Tensor[], d: number) => Tensor;
const embedParts = (a: Tensor, b: Tensor): Tensor =>
  catT([catT([a, b.neg()], -1), catT([b, a], -1)], -2);
const embed = (z: Tensor): Tensor => embedParts(z.real, z.imag);
const mT = (t: Tensor): Tensor => t.transpose(-2, -1);
/** An op's result tensor: itself, or a (result, info) named tuple's first field. */
const firstOf = (r: unknown): Tensor =>
  r instanceof Tensor ? r : (r as Record<number, Tensor>)[0];
/** The result with its first tensor replaced (the named tuple's fields that hold it). */
function withFirst(r: unknown, out: Tensor): unknown {
  if (r instanceof Tensor) return out;
  const old = firstOf(r);
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r as object)) fields[k] = v === old ? out : v;
  return namedTuple(fields);
}
for (const name of ["linalg_inv", "inverse", "linalg_inv_ex"]) {
  CUSTOM.set(name, (values, f) => {
    const [z, ...rest] = values as [Tensor, ...unknown[]];
    const n = z.shape[z.dim() - 1];
    const r = f(embed(z), ...rest);
    const inv = firstOf(r);
    const top = inv.narrow(-1, 0, n);
    return withFirst(r, combine(top.narrow(-2, 0, n), top.narrow(-2, n, n), inv.gradFn?.name()));
  });
}
// exp is a polynomial limit, so exp(embed Z) = embed(exp Z): the top-left block and the
// bottom-left one are exp(Z)'s real and imaginary parts
for (const name of ["matrix_exp", "linalg_matrix_exp"]) {
  CUSTOM.set(name, (values, f) => {
    const z = values[0] as Tensor;
    const n = z.shape[z.dim() - 1];
    const r = f(embed(z)) as Tensor;
    const left = r.narrow(-1, 0, n);
    return combine(left.narrow(-2, 0, n), left.narrow(-2, n, n), r.gradFn?.name());
  });
}
for (const name of ["linalg_solve", "linalg_solve_ex"]) {
  CUSTOM.set(name, (values, f) => {
    const [A, B, left, ...rest] = values as [Tensor, Tensor, boolean, ...unknown[]];
    const like = A.dtype.isComplex ? A : B;
    if (A.dtype !== B.dtype)
      throw runtimeError(
        `linalg.solve: Expected A and B to have the same dtype, but found A of type ${scalarTypeName(A.dtype)} and B of type ${scalarTypeName(B.dtype)} instead`,
      );
    const n = A.shape[A.dim() - 1];
    // X A = B is A^T X^T = B^T
    const vector =
      B.dim() === 1 || (B.dim() === A.dim() - 1 && B.shape.join() === A.shape.slice(0, -1).join());
    const [br, bi] = parts(B, like);
    const flip = !left && !vector;
    const Ae = embed(flip ? mT(A) : A);
    const rhs = vector ? catT([br, bi], -1) : catT(flip ? [mT(br), mT(bi)] : [br, bi], -2);
    const r = f(Ae, rhs, true, ...rest);
    const x = firstOf(r);
    const d = vector ? -1 : -2;
    let [xr, xi] = [x.narrow(d, 0, n), x.narrow(d, n, n)];
    if (flip) [xr, xi] = [mT(xr), mT(xi)];
    return withFirst(r, combine(xr, xi, x.gradFn?.name()));
  });
}

// randn_like / rand_like: randn / rand of the input's shape (their real-view draws above)
for (const name of ["randn", "rand"]) {
  CUSTOM.set(`${name}_like`, (values) => {
    const [self, dtype] = values as [Tensor, DType | null];
    const d = dtype ?? self.dtype;
    return (fn(name) as (...a: unknown[]) => Tensor)(self.shape.slice(), { dtype: d });
  });
}
// uniform_: both parts of each element uniform in [from, to), drawn on the real view
CUSTOM.set("uniform_", (values) => {
  const [self, from, to, generator] = values as [Tensor, number, number, Generator | null];
  (fn("viewAsReal") as (t: Tensor) => Tensor)(self).uniform_(from, to, { generator });
  return self;
});

// Through the same embedding (a *-homomorphism: embed(M^H) = embed(M)^T, and embed(M) has M's
// singular values, each twice; pinv has complex kernels, registry/ops/decomp.ts): svdvals and matrix_rank from
// embed M's (pairs averaged, so each pair's gradient is basis-free; rank halved); eigvalsh from
// the embedding of the Hermitian matrix PyTorch reads off the UPLO triangle
const pairMean = (s: Tensor): Tensor => {
  const k = s.shape[s.dim() - 1] / 2;
  return s.reshape([...s.shape.slice(0, -1), k, 2]).mean(-1);
};
CUSTOM.set("linalg_svdvals", (values, f) => {
  const [z, ...rest] = values as [Tensor, ...unknown[]];
  return named(pairMean(f(embed(z), ...rest) as Tensor), "LinalgSvdBackward0");
});
CUSTOM.set("linalg_matrix_rank", (values, f) => {
  const [z, ...rest] = values as [Tensor, ...unknown[]];
  return (fn("floorDivide") as (a: Tensor, b: number) => Tensor)(f(embed(z), ...rest) as Tensor, 2);
});
/**
 * The Hermitian matrix PyTorch's eigh reads off z's `lower` (or upper) triangle (the diagonal's
 * real part), with z's own gradient: PyTorch's backward (V diag(g) V^H) is on the whole input,
 * not folded onto the triangle.
 */
function hermitianOf(z: Tensor, lower: boolean): Tensor {
  const tri = (t: Tensor): Tensor => (lower ? t.tril(-1) : t.triu(1));
  const [al, bl] = [tri(z.real), tri(z.imag)];
  const diag = (fn("diagEmbed") as (t: Tensor) => Tensor)(z.real.diagonal(0, -2, -1));
  const h = combine(al.add(mT(al)).add(diag), bl.sub(mT(bl)));
  return z.add(h.sub(z).detach());
}
CUSTOM.set("linalg_eigvalsh", (values, f) => {
  const [z, uplo] = values as [Tensor, string];
  const h = hermitianOf(z, uplo.toUpperCase() === "L");
  return named(pairMean(f(embed(h), "L") as Tensor), "LinalgEighBackward0");
});

// matrix norms: 'fro', ±1, ±inf are those of |z|; 'nuc', ±2 (singular values) those of the
// embedding over the last two dims (σ each twice: the nuclear norm halved, PyTorch's node name
// kept); linalg.norm dispatches to them or to the vector norm as for real inputs
const matrixNormZ = (values: unknown[], f: Forward): Tensor => {
  const [z, ord, dim, keepdim, dtype] = values as [
    Tensor,
    number | string,
    number[],
    boolean,
    DType | null,
  ];
  const real = dtype instanceof DType ? toRealDtype(dtype) : null;
  if (!(ord === "nuc" || ord === 2 || ord === -2))
    return f(z.real.hypot(z.imag), ord, dim, keepdim, real) as Tensor;
  const dims = dim.map((d) => (d < 0 ? d + z.dim() : d));
  const move = (t: Tensor): Tensor => t.movedim(dims, [-2, -1]);
  let r = f(embedParts(move(z.real), move(z.imag)), ord, [-2, -1], false, real) as Tensor;
  if (ord === "nuc") {
    const node = r.gradFn?.name();
    r = r.mul(0.5);
    if (node !== undefined) named(r, node);
  }
  if (keepdim) for (const d of [...dims].sort((x, y) => x - y)) r = r.unsqueeze(d);
  return r;
};
CUSTOM.set("linalg_matrix_norm", (values, f) => {
  const r = matrixNormZ(values, f);
  return named(r, r.gradFn?.name() ?? "");
});
CUSTOM.set("linalg_norm", (values) => {
  const [x, ord, dim, keepdim, dtype] = values as [
    Tensor,
    number | string | null,
    number[] | null,
    boolean,
    DType | null,
  ];
  const matrix =
    typeof ord === "string" ||
    (ord !== null && ((dim !== null && dim.length === 2) || (dim === null && x.dim() === 2)));
  if (matrix)
    return (fn("matrixNorm", "linalg") as (...a: unknown[]) => Tensor)(
      x,
      ord,
      dim ?? [0, 1],
      keepdim,
      { dtype },
    );
  return (fn("vectorNorm", "linalg") as (...a: unknown[]) => Tensor)(x, ord ?? 2, dim, keepdim, {
    dtype,
  });
});

export type { Forward };
