// torch.func (functorch 1.13's grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian) against
// functorch: values, structure (arrays as tuples, objects as dicts), requiresGrad of results
// (differentiable only through tensors outside the transform), composition and error texts.
// Fixtures: scripts/fixtures/functional_fx.py, section "func".
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { FX, expectTree, throwsLike, type Tree, type Err } from "./helpers/functional-fixtures.js";

const { gradcheck } = torch.autograd;

const { grad, gradAndValue, valueAndGrad, vjp, jvp, jacrev, jacfwd, hessian } = torch.func;
const f64 = (v: number | number[] | number[][], requiresGrad = false): Tensor =>
  torch.tensor(v, { dtype: torch.float64, requiresGrad });

const xs = [0.3, -0.7, 1.2];
const ys = [0.5, 1.5, -0.4];
const x = (): Tensor => f64(xs);
const y = (): Tensor => f64(ys);
const M = (): Tensor =>
  f64([
    [0.1, 0.2],
    [0.3, 0.4],
  ]);
const f = (t: Tensor): Tensor => t.sin().sum();
const f2 = (p: Tensor, q: Tensor): Tensor => p.sin().mul(q).sum();
const sinProd = (t: Tensor): Tensor => t.sin().sum().mul(t.prod());
const w = f64(2.0, true);

/** complex128 from real and imaginary parts */
const cz = (re: number[], im: number[]): Tensor => torch.complex(f64(re), f64(im));
const z = (): Tensor => cz([1, 3], [2, -1]);
const tz = (): Tensor => cz([0.5, 2], [-1, 0.25]);
/** a result with each complex tensor as its real view (the fixture's records) */
const rv = (r: unknown): unknown =>
  r instanceof torch.Tensor
    ? r.dtype.isComplex
      ? torch.viewAsReal(r.resolveConj())
      : r
    : (r as unknown[]).map(rv);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- error cases pass wrong types on purpose
const anyV = (v: unknown): any => v;

const CASES: Record<string, () => unknown> = {
  grad: () => grad(f)(x()),
  grad_rg: () => grad(f)(f64(xs, true)),
  grad_argnums1: () => grad(f2, { argnums: 1 })(x(), y()),
  grad_argnums_tuple: () => grad(f2, { argnums: [0, 1] })(x(), y()),
  grad_argnums_neg: () => grad(f2, { argnums: -1 })(x(), y()),
  grad_has_aux: () => grad((t: Tensor) => [t.sin().sum(), t.cos()], { hasAux: true })(x()),
  grad_grad: () => grad(grad((t: Tensor) => t.sin().mul(t.exp())))(f64(0.7)),
  grad_grad_grad: () => grad(grad(grad((t: Tensor) => t.tanh())))(f64(0.7)),
  grad_closure: () => grad((p: Tensor) => grad((q: Tensor) => p.mul(q).sin())(f64(0.4)))(f64(0.7)),
  grad_same_input: () => grad((p: Tensor) => grad((q: Tensor) => q.mul(p).mul(p))(p))(f64(0.7)),
  grad_pytree_dict: () =>
    grad((d: { a: Tensor; b: Tensor }) => d.a.mul(d.b).sum())({ a: x(), b: y() }),
  grad_pytree_tuple: () => grad((p: Tensor[]) => p[0].exp().mul(p[1]).sum())([x(), y()]),
  grad_and_value: () => gradAndValue(f)(x()),
  grad_and_value_aux: () =>
    gradAndValue((t: Tensor) => [t.sin().sum(), t.cos()], { hasAux: true })(x()),
  grad_closure_param: () => grad((t: Tensor) => w.mul(t.pow(2)).sum())(x()),
  grad_err_nonscalar: () => grad((t: Tensor) => t.sin())(x()),
  grad_err_aux: () => grad((t: Tensor) => t.sin().sum(), { hasAux: true })(x()),
  grad_err_argnum_range: () => grad(f2, { argnums: 2 })(x(), y()),
  grad_err_argnums_empty: () => grad(f2, { argnums: [] })(x(), y()),
  grad_err_argnums_dup: () => grad(f2, { argnums: [0, 0] })(x(), y()),
  grad_err_not_tensor_out: () => grad((_t: Tensor) => 3.5)(x()),
  grad_unused: () => grad((p: Tensor, _q: Tensor) => p.sum(), { argnums: 1 })(x(), y()),

  vjp: () => {
    const [o, fn] = vjp((p: Tensor, q: Tensor) => p.mul(q).exp(), x(), y());
    return [o, fn(f64([1, -1, 0.5]))];
  },
  vjp_multi: () => {
    const [o, fn] = vjp((p: Tensor) => [p.sin(), p.sum()], x());
    return [o, fn([f64([1, 2, 3]), f64(1)])];
  },
  vjp_rg: () => {
    const [o, fn] = vjp((p: Tensor) => p.sin(), f64(xs, true));
    return [o, fn(f64([1, 1, 1]))];
  },
  jvp: () => jvp((p: Tensor, q: Tensor) => p.mul(q).exp(), [x(), y()], [f64([1, 0, -1]), y()]),
  jvp_multi: () => jvp((p: Tensor) => [p.sin(), p.sum()], [x()], [f64([1, 2, 3])]),
  jvp_const: () => jvp(() => torch.ones(2, { dtype: torch.float64 }), [x()], [x()]),
  jvp_err_primals: () => jvp(f, anyV(x()), [x()]),
  jvp_err_structure: () => jvp(f2, [x(), y()], [x()]),

  jacrev: () => jacrev((t: Tensor) => t.sin())(x()),
  jacrev_argnums: () => jacrev((p: Tensor, q: Tensor) => p.mul(q.exp()), 1)(x(), y()),
  jacrev_argnums_tuple: () => jacrev((p: Tensor, q: Tensor) => p.mul(q.exp()), [0, 1])(x(), y()),
  jacrev_multi_out: () => jacrev((t: Tensor) => [t.sin(), t.sum()])(x()),
  jacrev_scalar_out: () => jacrev(f)(x()),
  jacrev_matrix: () => jacrev((m: Tensor) => m.matmul(m))(M()),
  jacrev_has_aux: () => jacrev((t: Tensor) => [t.sin(), t.cos()], { hasAux: true })(x()),
  jacrev_jacrev: () => jacrev(jacrev(sinProd))(x()),
  jacfwd: () => jacfwd((t: Tensor) => t.sin())(x()),
  jacfwd_argnums_tuple: () => jacfwd((p: Tensor, q: Tensor) => p.mul(q.exp()), [0, 1])(x(), y()),
  jacfwd_multi_out: () => jacfwd((t: Tensor) => [t.sin(), t.sum()])(x()),
  jacfwd_matrix: () => jacfwd((m: Tensor) => m.matmul(m))(M()),
  jacfwd_jacrev: () => jacfwd(jacrev(sinProd))(x()),
  jacrev_jacfwd: () => jacrev(jacfwd((t: Tensor) => t.exp().mul(t.sum()).sum()))(x()),
  hessian: () => hessian(sinProd)(x()),
  hessian_argnums: () =>
    hessian((p: Tensor, q: Tensor) => p.pow(2).mul(q.exp()).sum(), 1)(x(), y()),
  hessian_matrix: () => hessian((m: Tensor) => m.matmul(m).tanh().sum())(M()),
  grad_of_jvp: () =>
    grad((t: Tensor) =>
      (jvp((z: Tensor) => z.sin().mul(z), [t], [f64([1, 0.5, 2])])[1] as Tensor).sum(),
    )(x()),
  jacrev_of_grad: () => jacrev(grad((t: Tensor) => t.pow(3).mul(t.sum()).sum()))(x()),
  // complex primals (Note [complex tangents]); results as real views, as the fixture has them
  c_jvp: () => rv(jvp((a: Tensor) => a.mul(a).exp(), [z()], [tz()])),
  c_jvp_abs_real_tangent: () => rv(jvp((a: Tensor) => a.abs().mul(a), [z()], [f64([1, -2])])),
  c_jacfwd: () => rv(jacfwd((a: Tensor) => a.mul(a.sin()))(z())),
  c_jacfwd_abs: () => rv(jacfwd((a: Tensor) => a.abs())(z())),
  c_jacfwd_real_to_complex: () => rv(jacfwd((r: Tensor) => r.mul(z()))(x().narrow(0, 0, 2))),
  c_jacrev: () => rv(jacrev((a: Tensor) => a.mul(a.sin()))(z())),
  c_vjp: () => rv((vjp((a: Tensor) => a.mul(a), z())[1] as (t: Tensor) => unknown)(tz())),
};

interface Case {
  res?: Tree;
  error?: Err;
}

test("every fixture case has a TypeScript twin", () => {
  assert.deepEqual(
    Object.keys(FX.func).filter((k) => !(k in CASES)),
    [],
  );
});

for (const [name, run] of Object.entries(CASES)) {
  test(`func: ${name}`, () => {
    const fx = FX.func[name] as Case;
    assert.ok(fx !== undefined, "no fixture");
    if (fx.error !== undefined) return throwsLike(run, fx.error);
    expectTree(run(), fx.res as Tree, name, { rtol: 1e-10 });
  });
}

test("valueAndGrad is gradAndValue", () => {
  assert.equal(valueAndGrad, gradAndValue);
});

test("grad(grad(f)) to the 4th order matches the closed form", () => {
  const d4 = grad(grad(grad(grad((t: Tensor) => t.sin()))));
  const t = f64(0.9);
  assert.ok(Math.abs(((d4(t) as Tensor).item() as number) - Math.sin(0.9)) < 1e-12);
});

test("hessian = jacfwd(jacrev(f)) = jacrev(jacrev(f)) = autograd.functional.hessian", () => {
  const t = x();
  const g = (p: Tensor): Tensor => p.exp().mul(p.sin()).sum().mul(p.pow(2).sum());
  const h1 = hessian(g)(t) as Tensor;
  const h2 = jacrev(jacrev(g))(t) as Tensor;
  const h3 = torch.autograd.functional.hessian(g, t);
  assert.ok(torch.allclose(h1, h2, 1e-12, 1e-12));
  assert.ok(torch.allclose(h1, h3, 1e-12, 1e-12));
});

test("results are differentiable w.r.t. tensors outside the transform", () => {
  // a gradient penalty: d/dw of |grad_x f(x, w)|^2
  const wt = f64([0.5, -1, 2], true);
  const gx = grad((t: Tensor) => t.mul(wt).sin().sum())(x()) as Tensor;
  assert.ok(gx.requiresGrad);
  assert.ok(
    gradcheck(
      (ww) => (grad((t: Tensor) => t.mul(ww).sin().sum())(x()) as Tensor).pow(2).sum(),
      [wt],
    ),
  );
  // under noGrad, results are plain tensors
  const gx2 = torch.noGrad(() => grad((t: Tensor) => t.mul(wt).sin().sum())(x())) as Tensor;
  assert.equal(gx2.requiresGrad, false);
  assert.ok(torch.allclose(gx, gx2));
});

test("inputs that require grad stay connected through the transform", () => {
  const t = f64(xs, true);
  const g = grad((p: Tensor) => p.pow(3).sum())(t) as Tensor; // 3 t^2
  const [d] = torch.autograd.grad(g.sum(), [t]);
  assert.ok(torch.allclose(d as Tensor, t.detach().mul(6)));
  assert.equal(t.grad, null, "nothing accumulated into the input");
});

test("jvp with tangents that require grad: differentiable w.r.t. the tangents", () => {
  const v = f64([1, 2, 3], true);
  const [, tout] = jvp((p: Tensor) => p.sin(), [x()], [v]);
  const [dv] = torch.autograd.grad((tout as Tensor).sum(), [v]);
  assert.ok(torch.allclose(dv as Tensor, x().cos()));
});

test("vjpFn can be called several times; non-tensor outputs are rejected", () => {
  const [, fn] = vjp((p: Tensor) => p.exp(), x());
  const [a1] = fn(f64([1, 1, 1]));
  const [a2] = fn(f64([2, 2, 2]));
  assert.ok(torch.allclose(a2, a1.mul(2)));
  assert.throws(
    () => fn([f64([1, 1, 1])]),
    /Expected pytree structure of cotangents to be the same as pytree structure of outputs to the function. cotangents: \(\*,\), primal output: \*/,
  );
  assert.throws(
    () => vjp(() => 3, x()),
    /vjp\(f, \*primals\): expected f\(\*primals\) to return only tensors, got unsupported type <class 'int'>/,
  );
  assert.throws(
    () => vjp((p: Tensor) => p.argmax(), x()),
    /All outputs of f must be floating-point or complex Tensors, got Tensor with dtype torch.int64/,
  );
  assert.throws(
    () => grad(f)(anyV(3.5)),
    /Thing passed to transform API must be Tensor, got <class 'float'>/,
  );
});

test("jvp checks tangent sizes and honours strict", () => {
  assert.throws(
    () => jvp((p: Tensor) => p, [f64([1, 2, 3])], [f64([1, 2])]),
    /Trying to set a forward gradient that has a different size than that of the original Tensor, this is not supported. Tensor is of size \[3\] while the given forward gradient is of size \[2\]./,
  );
  assert.throws(
    () => jvp(() => torch.ones(2, { dtype: torch.float64 }), [x()], [x()], { strict: true }),
    /The output of f is independent of the inputs. This is not allowed with strict=True./,
  );
  const [o, t, aux] = jvp((p: Tensor) => [p.exp(), p.cos()], [x()], [f64([1, 1, 1])], {
    hasAux: true,
  });
  assert.ok(torch.allclose(o as Tensor, x().exp()));
  assert.ok(torch.allclose(t as Tensor, x().exp()));
  assert.ok(torch.allclose(aux as Tensor, x().cos()));
});

test("transforms ignore an outer noGrad and leave the grad mode alone", () => {
  const g = torch.noGrad(() => grad(f)(x())) as Tensor;
  assert.ok(torch.allclose(g, x().cos()));
  const J = torch.noGrad(() => jacfwd((t: Tensor) => t.exp())(x())) as Tensor;
  assert.equal(J.requiresGrad, false);
  assert.equal(torch.isGradEnabled(), true);
});

test("no perturbation confusion: d/dx [x * d/dy (x + y)] = 1", () => {
  const d = grad((p: Tensor) => p.mul(grad((q: Tensor) => p.add(q))(f64(1)) as Tensor))(f64(2));
  assert.equal((d as Tensor).item(), 1);
  // same input object passed to the inner transform and captured by it
  const d2 = grad((p: Tensor) => grad((q: Tensor) => q.mul(p))(p) as Tensor)(f64(3));
  assert.equal((d2 as Tensor).item(), 1);
});

test("forward-over-reverse: jvp(grad(f)) is a Hessian-vector product", () => {
  const v = f64([1, -2, 0.5]);
  const [g, hv] = jvp(grad(f), [x()], [v]);
  assert.ok(torch.allclose(g as Tensor, x().cos()));
  assert.ok(torch.allclose(hv as Tensor, x().sin().neg().mul(v)));
  const [, hvp] = torch.autograd.functional.hvp(f, x(), v);
  assert.ok(torch.allclose(hv as Tensor, hvp));
});
