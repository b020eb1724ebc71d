// torch.autograd.functional (vjp, jvp, jacobian, hessian, hvp, vhp) against PyTorch 1.13:
// values, result structure (Tensor or nested arrays as tuples), requiresGrad and gradFn names
// with createGraph, and the error messages (strict mode, v validation, types).
// Fixtures: scripts/fixtures/functional_fx.py, section "functional".
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { FX, expectTree, throwsLike, type Tree, type Err } from "./helpers/functional-fixtures.js";

const AF = torch.autograd.functional;
const f64 = (v: number | number[] | number[][], requiresGrad = false): Tensor =>
  torch.tensor(v, { dtype: torch.float64, requiresGrad });

const X = [
  [0.2, -0.4, 0.9],
  [1.1, 0.3, -0.7],
];
const V2 = [0.5, -1.5];
const a = [0.3, -0.2];
const b = [1.4, 0.6];
const M = [
  [0.2, -0.4],
  [0.9, 1.1],
];
const MV = [
  [1.0, 0.5],
  [-1.0, 2.0],
];

const x = (): Tensor => f64(X);
const expReducer = (t: Tensor): Tensor => t.exp().sum(1);
const adder = (p: Tensor, q: Tensor): Tensor => p.mul(2).add(q.mul(3));
const twoOut = (p: Tensor, q: Tensor): Tensor[] => [p.mul(q), p.sin()];
const powReducer = (t: Tensor): Tensor => t.pow(3).sum();
const powAdderReducer = (p: Tensor, q: Tensor): Tensor =>
  p.pow(2).mul(2).add(q.pow(2).mul(3)).sum();
const mixedScalar = (p: Tensor, q: Tensor): Tensor =>
  p.sin().mul(q.exp()).sum().add(p.mul(p).sum().mul(q.sum()));
const ones2 = (): Tensor => f64([1, 1]);
const ab = (): Tensor[] => [f64(a), f64(b)];
const unused = (p: Tensor): Tensor => p.mul(2);
const constant = (): Tensor => torch.ones(2, { dtype: torch.float64 });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- error cases pass wrong types on purpose
const anyFn = (f: unknown): any => f;

const CASES: Record<string, () => unknown> = {
  vjp_exp_reducer: () => AF.vjp(expReducer, x(), f64(V2)),
  vjp_exp_reducer_cg: () => AF.vjp(expReducer, x(), f64(V2), { createGraph: true }),
  vjp_exp_reducer_cg_rg: () => AF.vjp(expReducer, f64(X, true), f64(V2), { createGraph: true }),
  vjp_adder: () => AF.vjp(adder, ab(), ones2()),
  vjp_two_out: () => AF.vjp(twoOut, ab(), [f64([1, 2]), f64([-1, 0.5])]),
  vjp_scalar_no_v: () => AF.vjp(powReducer, f64(a)),
  vjp_err_no_v: () => AF.vjp(expReducer, x()),
  vjp_err_v_size: () => AF.vjp(expReducer, x(), f64([1, 2, 3])),
  vjp_err_v_len: () => AF.vjp(twoOut, ab(), [f64([1, 2])]),
  vjp_err_v_single: () => AF.vjp(expReducer, x(), [f64(V2), f64(V2)]),
  vjp_err_v_entry_size: () => AF.vjp(twoOut, ab(), [f64([1, 2]), f64([1])]),
  vjp_unused_nonstrict: () => AF.vjp(unused, ab(), ones2()),
  vjp_err_strict_unused: () => AF.vjp(unused, ab(), ones2(), { strict: true }),
  vjp_err_strict_no_grad: () => AF.vjp(constant, f64(a), ones2(), { strict: true }),
  vjp_const_nonstrict: () => AF.vjp(constant, f64(a), ones2()),
  vjp_err_strict_cg_linear: () =>
    AF.vjp(unused, f64(a), ones2(), { strict: true, createGraph: true }),
  vjp_err_type_inputs: () => AF.vjp(expReducer, anyFn(3)),
  vjp_err_type_tuple: () => AF.vjp(adder, anyFn([f64(a), 3])),
  vjp_err_type_output: () =>
    AF.vjp(
      anyFn(() => 3),
      f64(a),
    ),

  jvp_exp_reducer: () => AF.jvp(expReducer, x(), torch.ones(2, 3, { dtype: torch.float64 })),
  jvp_exp_reducer_cg: () =>
    AF.jvp(expReducer, x(), torch.ones(2, 3, { dtype: torch.float64 }), { createGraph: true }),
  jvp_adder: () => AF.jvp(adder, ab(), [ones2(), ones2()]),
  jvp_two_out: () => AF.jvp(twoOut, ab(), [f64([1, -2]), f64([0.5, 0.25])]),
  jvp_scalar_no_v: () => AF.jvp((t) => t.pow(2).mul(3), f64([0.7])),
  jvp_err_no_v: () => AF.jvp(expReducer, x()),
  jvp_err_v_size: () => AF.jvp(expReducer, x(), f64([1, 2])),
  jvp_unused_nonstrict: () => AF.jvp(unused, ab(), [ones2(), ones2()]),
  jvp_err_strict_unused: () => AF.jvp(unused, ab(), [ones2(), ones2()], { strict: true }),
  jvp_err_strict_no_grad: () => AF.jvp(constant, f64(a), ones2(), { strict: true }),
  jvp_const_nonstrict: () => AF.jvp(constant, f64(a), ones2()),

  jac_exp_reducer: () => AF.jacobian(expReducer, x()),
  jac_exp_reducer_cg: () => AF.jacobian(expReducer, x(), { createGraph: true }),
  jac_exp_reducer_vec: () => AF.jacobian(expReducer, x(), { vectorize: true }),
  jac_adder: () => AF.jacobian(adder, ab()),
  jac_two_out: () => AF.jacobian(twoOut, ab()),
  jac_two_out_vec: () => AF.jacobian(twoOut, ab(), { vectorize: true }),
  jac_one_in_two_out: () => AF.jacobian((t) => [t.exp(), t.sum()], f64(a)),
  jac_scalar_out: () => AF.jacobian(powReducer, f64(a)),
  jac_scalar_in: () => AF.jacobian((t) => t.mul(f64([1, 2])), f64(0.5)),
  jac_unused_nonstrict: () => AF.jacobian(unused, ab()),
  jac_err_strict_unused: () => AF.jacobian(unused, ab(), { strict: true }),
  jac_err_strict_no_grad: () => AF.jacobian(constant, f64(a), { strict: true }),
  jac_err_strict_cg_linear: () => AF.jacobian(unused, f64(a), { strict: true, createGraph: true }),
  jac_err_strict_vec: () => AF.jacobian(expReducer, x(), { strict: true, vectorize: true }),
  jac_fwd_vec: () => AF.jacobian(twoOut, ab(), { vectorize: true, strategy: "forward-mode" }),
  jac_err_fwd_novec: () => AF.jacobian(expReducer, x(), { strategy: "forward-mode" }),
  jac_err_fwd_cg: () =>
    AF.jacobian(expReducer, x(), { strategy: "forward-mode", createGraph: true, vectorize: true }),
  jac_err_fwd_strict: () =>
    AF.jacobian(expReducer, x(), { strategy: "forward-mode", strict: true, vectorize: true }),

  hess_pow_reducer: () => AF.hessian(powReducer, f64(M)),
  hess_pow_reducer_cg: () => AF.hessian(powReducer, f64(M), { createGraph: true }),
  hess_pow_adder: () => AF.hessian(powAdderReducer, ab()),
  hess_mixed: () => AF.hessian(mixedScalar, ab()),
  hess_mixed_vec: () => AF.hessian(mixedScalar, ab(), { vectorize: true }),
  hess_mixed_fwd: () =>
    AF.hessian(mixedScalar, ab(), { vectorize: true, outerJacobianStrategy: "forward-mode" }),
  hess_err_not_scalar: () => AF.hessian((t) => t.pow(2), f64(a)),
  hess_err_tuple_out: () => AF.hessian((t) => [t.sum(), t.sum()], f64(a)),
  hess_linear_nonstrict: () => AF.hessian((t) => t.mul(2).sum(), f64(a)),
  hess_err_strict_linear: () => AF.hessian((t) => t.mul(2).sum(), f64(a), { strict: true }),
  hess_err_strict_unused: () => AF.hessian((p) => p.pow(2).sum(), ab(), { strict: true }),
};

for (const name of ["hvp", "vhp"] as const) {
  const fn = AF[name];
  Object.assign(CASES, {
    [`${name}_pow_reducer`]: () => fn(powReducer, f64(M), f64(MV)),
    [`${name}_pow_reducer_cg`]: () => fn(powReducer, f64(M), f64(MV), { createGraph: true }),
    [`${name}_mixed`]: () => fn(mixedScalar, ab(), [f64([1, -1]), f64([0.5, 2])]),
    [`${name}_scalar_no_v`]: () => fn((t) => t.pow(4).sum(), f64([0.7])),
    [`${name}_err_no_v`]: () => fn(powReducer, f64(a)),
    [`${name}_err_not_scalar`]: () => fn((t) => t.pow(2), f64(a), f64(a)),
    [`${name}_err_tuple_out`]: () => fn((t) => [t.sum()], f64(a), f64(a)),
    [`${name}_linear_nonstrict`]: () => fn((t) => t.mul(2).sum(), f64(a), f64(a)),
    [`${name}_err_strict_linear`]: () =>
      fn((t) => t.mul(2).sum(), f64(a), f64(a), { strict: true }),
    [`${name}_err_strict_unused`]: () =>
      fn((p) => p.pow(2).sum(), ab(), [f64(a), f64(b)], { strict: true }),
    [`${name}_err_strict_cg_quadratic`]: () =>
      fn((t) => t.pow(2).sum(), f64(a), f64(a), { strict: true, createGraph: true }),
  });
}

/**
 * PyTorch's hessian with outer_jacobian_strategy="forward-mode" returns tensors that require
 * grad (its jacobian's forward path skips the detach); ours are detached. Values only.
 */
const VALUES_ONLY = new Set(["hess_mixed_fwd"]);
/** Arrays are tuples here (PyTorch rejects a list of inputs): not compared. */
const SKIP = new Set(["vjp_list_inputs"]);

interface Case {
  out?: Tree;
  res?: Tree;
  error?: Err;
}

test("every fixture case has a TypeScript twin", () => {
  const missing = Object.keys(FX.functional).filter((k) => !SKIP.has(k) && !(k in CASES));
  assert.deepEqual(missing, []);
});

for (const [name, run] of Object.entries(CASES)) {
  test(`functional: ${name}`, () => {
    const fx = FX.functional[name] as Case;
    assert.ok(fx !== undefined, "no fixture");
    if (fx.error !== undefined) return throwsLike(run, fx.error);
    const r = run();
    const opts = { rtol: 1e-10, gradFn: !VALUES_ONLY.has(name) };
    if (VALUES_ONLY.has(name)) {
      // compare values through detached copies
      const strip = (v: unknown): unknown =>
        Array.isArray(v) ? v.map(strip) : (v as Tensor).detach();
      const t = (tr: Tree): Tree =>
        tr === null
          ? null
          : "t" in tr
            ? { t: { ...tr.t, requires_grad: false, grad_fn: null } }
            : "tuple" in tr
              ? { tuple: tr.tuple.map(t) }
              : tr;
      return expectTree(strip(r), t(fx.res as Tree), name, opts);
    }
    if (fx.out !== undefined) {
      assert.ok(Array.isArray(r) && r.length === 2, "[output, result]");
      expectTree(r[0], fx.out, `${name} output`, opts);
      expectTree(r[1], fx.res as Tree, `${name} result`, opts);
    } else {
      expectTree(r, fx.res as Tree, name, opts);
    }
  });
}

test("arrays of inputs are PyTorch's tuples", () => {
  const [out, [dx, dy]] = AF.vjp(adder, ab(), ones2());
  assert.deepEqual(
    out.tolist(),
    [2 * 0.3 + 3 * 1.4, 2 * -0.2 + 3 * 0.6].map((v) => v),
  );
  assert.deepEqual(dx.tolist(), [2, 2]);
  assert.deepEqual(dy.tolist(), [3, 3]);
});

test("inputs given to the functions are fresh tensors (closures see the originals)", () => {
  const w = f64(a);
  // fn captures w and also receives it: only the argument is differentiated
  const J = AF.jacobian((t) => t.mul(w), w);
  assert.ok(
    torch.equal(
      J,
      f64([
        [0.3, 0],
        [0, -0.2],
      ]),
    ),
  );
});

test("createGraph results are differentiable w.r.t. inputs that require grad", () => {
  const t = f64([0.5, 1.5], true);
  const H = AF.hessian((p) => p.pow(3).sum(), t, { createGraph: true });
  assert.ok(H.requiresGrad);
  const [d] = torch.autograd.grad(H.sum(), [t]);
  assert.deepEqual(d?.tolist(), [6, 6]);
  // without createGraph the results are detached
  const H2 = AF.hessian((p) => p.pow(3).sum(), t);
  assert.equal(H2.requiresGrad, false);
});

test("the functions leave the caller's grad mode alone", () => {
  const r = torch.noGrad(() => AF.jacobian((p) => p.exp(), f64(a)));
  assert.equal(r.requiresGrad, false);
  assert.equal(torch.isGradEnabled(), true);
  const [, v] = torch.noGrad(() => AF.vjp((p) => p.exp().sum(), f64(a)));
  assert.equal(v.requiresGrad, false);
});
