// torch.autograd.gradcheck / gradgradcheck against PyTorch 1.13: results, the exact failure
// reports ("Jacobian mismatch for output i with respect to input j,\nnumerical:...\nanalytical:
// ...\n"), errors and warnings. Fixtures: scripts/fixtures/functional_fx.py, "gradcheck".
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { FX, type Err } from "./helpers/functional-fixtures.js";

const { gradcheck, gradgradcheck, GradcheckError } = torch.autograd;
const f64 = (v: number | number[] | number[][], requiresGrad = true): Tensor =>
  torch.tensor(v, { dtype: torch.float64, requiresGrad });

const X = [0.5, -1.2, 2.0];
const Y = [1.5, 0.3, -0.4];
const x = (): Tensor => f64(X);
const y = (): Tensor => f64(Y);
const A = (): Tensor =>
  f64([
    [0.1, 0.2, 0.3],
    [0.4, 0.5, 0.6],
  ]);
const B = (): Tensor =>
  f64([
    [0.7, -0.1],
    [0.2, 0.3],
    [-0.5, 0.9],
  ]);

/** fn(x) = (2x)^2 with a hook on 2x (None-safe, as in the fixture) */
function hooked(kind: "scale" | "nondet" | "notmul"): (t: Tensor) => Tensor {
  let cnt = 0;
  return (t: Tensor) => {
    const u = t.mul(2);
    u.registerHook((g) => {
      if (kind === "scale") return g.mul(1.5);
      if (kind === "nondet") return g.add(++cnt * 1e-9);
      return g.abs().sum().item() === 0 ? g.add(1) : g;
    });
    return u.pow(2);
  };
}

function secondOrderBug(p: Tensor, q: Tensor): Tensor {
  const t = p.mul(q);
  t.registerHook((g) => g.add(g.sub(g.detach()).mul(0.5)));
  return t.sin();
}

const CASES: Record<string, () => unknown> = {
  pass_two_inputs: () => gradcheck((p: Tensor, q: Tensor) => p.sin().mul(q.cos()), [x(), y()]),
  pass_single_tensor: () => gradcheck((t: Tensor) => t.exp(), x()),
  pass_matrix: () => gradcheck((p: Tensor, q: Tensor) => p.matmul(q).tanh(), [A(), B()]),
  pass_transposed_input: () =>
    gradcheck((p: Tensor) => p.exp(), [A().detach().t().requiresGrad_()]),
  pass_int_output: () => gradcheck((t: Tensor) => [t.mul(2), t.argmax()], [x()]),
  pass_const_output: () => gradcheck((t: Tensor) => t.detach().mul(0).add(1), [x()]),
  fail_detach: () => gradcheck((t: Tensor) => torch.sin(t.detach()).mul(t), [x()]),
  fail_detach_noraise: () =>
    gradcheck((t: Tensor) => torch.sin(t.detach()).mul(t), [x()], { raiseException: false }),
  fail_second_output: () =>
    gradcheck(
      (p: Tensor, q: Tensor, r: Tensor) => [q.mul(p), q.mul(r.detach()).mul(r)],
      [f64(Y, false), x(), y()],
    ),
  fail_no_diff_output: () => gradcheck((t: Tensor) => t.detach().mul(2), [x()]),
  err_no_requires_grad: () => gradcheck((t: Tensor) => t.mul(2), [f64(X, false)]),
  err_stride0: () =>
    gradcheck(
      (t: Tensor) => t.mul(2),
      [torch.ones(1, { dtype: torch.float64 }).expand(3).requiresGrad_()],
    ),
  warn_float32: () =>
    gradcheck((t: Tensor) => t.mul(2), [torch.tensor(X, { requiresGrad: true })], {
      eps: 1e-3,
      atol: 1e-2,
    }),
  fail_hook_scale: () => gradcheck(hooked("scale"), [x()]),
  fail_nondet: () => gradcheck(hooked("nondet"), [x()]),
  fail_nondet_tol_mul: () => gradcheck(hooked("nondet"), [x()], { nondetTol: 1e-6 }),
  fail_not_mul_by_grad_output: () => gradcheck(hooked("notmul"), [x()]),
  fail_hook_scale_atol: () => gradcheck(hooked("scale"), [x()], { atol: 100 }),
  fail_hook_scale_rtol: () => gradcheck(hooked("scale"), [x()], { rtol: 0.6 }),
  gg_pass: () =>
    gradgradcheck(
      (p: Tensor, q: Tensor) => p.mul(q).sin(),
      [x(), y()],
      [f64([0.3, -0.6, 0.9], false)],
    ),
  gg_pass_rg_grad_outputs: () =>
    gradgradcheck((p: Tensor, q: Tensor) => p.mul(q).sin(), [x(), y()], [f64([0.3, -0.6, 0.9])]),
  gg_pass_random: () => {
    torch.manualSeed(0);
    return gradgradcheck((p: Tensor, q: Tensor) => p.exp().mul(q).tanh(), [x(), y()]);
  },
  gg_first_order_ok: () => gradcheck(secondOrderBug, [x(), y()]),
  gg_fail: () => gradgradcheck(secondOrderBug, [x(), y()], [f64([0.3, -0.6, 0.9], false)]),
  gg_fail_noraise: () =>
    gradgradcheck(secondOrderBug, [x(), y()], [f64([0.3, -0.6, 0.9], false)], {
      raiseException: false,
    }),
  gg_matmul: () =>
    gradgradcheck(
      (p: Tensor, q: Tensor) => p.matmul(q).sigmoid(),
      [A(), B()],
      [
        f64(
          [
            [1, -0.5],
            [0.25, 2],
          ],
          false,
        ),
      ],
    ),
  gg_rng_after: () => {
    torch.manualSeed(0);
    gradgradcheck((t: Tensor) => t.pow(3), [x()]);
    return torch.rand(2).tolist();
  },
  ...complexCases(),
};

/** complex inputs and outputs (Note [complex gradcheck]); the fixture's `cx` */
function complexCases(): Record<string, () => unknown> {
  const cx = (
    re: number[] | number[][],
    im: number[] | number[][],
    dtype = torch.complex128,
    rg = true,
  ): Tensor => torch.complex(f64(re, false), f64(im, false)).to(dtype).requiresGrad_(rg);
  const z = (): Tensor => cx([0.5, -1.2, 2.0], [0.3, 0.8, -0.7]);
  const w = (): Tensor => cx([1.5, 0.3, -0.4], [-0.2, 0.6, 1.1]);
  const cm = (): Tensor =>
    cx(
      [
        [0.1, 0.2, 0.3],
        [0.4, 0.5, 0.6],
      ],
      [
        [0.3, -0.1, 0.2],
        [0.0, 0.7, -0.4],
      ],
    );
  const cn = (): Tensor =>
    cx(
      [
        [0.7, -0.1],
        [0.2, 0.3],
        [-0.5, 0.9],
      ],
      [
        [0.1, 0.2],
        [-0.3, 0.4],
        [0.5, 0.0],
      ],
    );
  // failing cases print Jacobians: positive parts, since the signed zeros of zero gradients
  // differ from PyTorch's where a part is negative (0 * -1.2 = -0 in its complex multiply)
  const zp = (): Tensor => cx([0.5, 1.2, 2.0], [0.3, 0.8, 0.7]);
  const detachMul = (a: Tensor): Tensor => a.detach().mul(a);
  return {
    c_mul: () => gradcheck((a: Tensor, b: Tensor) => a.mul(b), [z(), w()]),
    c_div: () => gradcheck((a: Tensor, b: Tensor) => a.div(b), [z(), w()]),
    c_exp: () => gradcheck((a: Tensor) => a.exp(), [z()]),
    c_abs: () => gradcheck((a: Tensor) => a.abs(), [z()]),
    c_matmul: () => gradcheck((a: Tensor, b: Tensor) => a.matmul(b), [cm(), cn()]),
    c_sum: () => gradcheck((a: Tensor) => a.sum(), [z()]),
    c_pow: () => gradcheck((a: Tensor, b: Tensor) => a.pow(b), [z(), w()]),
    c_real_times_complex: () =>
      gradcheck((p: Tensor, a: Tensor) => [p.mul(a), p.sin()], [x(), z()]),
    c_fail_detach: () => gradcheck(detachMul, [zp()]),
    c_fail_second_output_real: () =>
      gradcheck((a: Tensor) => [a.mul(2), detachMul(a).abs()], [zp()]),
    c_fail_noraise: () => gradcheck(detachMul, [zp()], { raiseException: false }),
    c_warn_complex64: () =>
      gradcheck((a: Tensor) => a.mul(2), [cx([0.5, -1.2], [0.3, 0.8], torch.complex64)], {
        eps: 1e-3,
        atol: 1e-2,
      }),
    gg_c_mul_exp: () =>
      gradgradcheck(
        (a: Tensor, b: Tensor) => a.mul(b).exp(),
        [z(), w()],
        [cx([0.3, -0.6, 0.9], [0.1, 0.2, -0.5], torch.complex128, false)],
      ),
    gg_c_random: () => {
      torch.manualSeed(0);
      const r = gradgradcheck((a: Tensor) => a.mul(a).sum(), [z()]);
      return [r, torch.rand(2).tolist()];
    },
  };
}

interface Case {
  result?: unknown;
  error?: Err;
  warnings: string[];
}

test("every fixture case has a TypeScript twin", () => {
  assert.deepEqual(
    Object.keys(FX.gradcheck).filter((k) => !(k in CASES)),
    [],
  );
});

for (const [name, run] of Object.entries(CASES)) {
  test(`gradcheck: ${name}`, () => {
    const fx = FX.gradcheck[name] as Case;
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (m: string) => warnings.push(m.replace(/^UserWarning: /, ""));
    let result: unknown;
    let error: unknown = null;
    try {
      result = run();
    } catch (e) {
      error = e;
    } finally {
      console.warn = warn;
    }
    if (fx.error !== undefined) {
      assert.ok(error instanceof Error, `expected an error, got ${String(result)}`);
      assert.equal(error.message, fx.error.message);
      assert.equal(error instanceof GradcheckError, fx.error.type === "GradcheckError", "type");
    } else {
      if (error !== null) throw error;
      assert.deepEqual(result, fx.result);
    }
    assert.deepEqual(warnings, fx.warnings);
  });
}

test("the failure report has PyTorch's layout", () => {
  const t = f64([1, 2]);
  assert.throws(
    () => gradcheck((p: Tensor) => p.detach().mul(p), [t]),
    (e: unknown) => {
      assert.ok(e instanceof GradcheckError);
      assert.equal(e.name, "GradcheckError");
      assert.match(
        e.message,
        /^Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor\(\[\[2\.0000, 0\.0000\],\n {8}\[0\.0000, 4\.0000\]\], dtype=torch\.float64\)\nanalytical:tensor\(\[\[1\., 0\.\],\n {8}\[0\., 2\.\]\], dtype=torch\.float64\)\n$/,
      );
      return true;
    },
  );
});

test("gradcheck leaves inputs, their versions and the grad mode unchanged", () => {
  const t = x();
  const before = t.tolist();
  const v = t._version.value;
  assert.ok(gradcheck((p: Tensor) => p.exp().sum(), [t]));
  assert.deepEqual(t.tolist(), before);
  assert.equal(t._version.value, v);
  assert.equal(t.grad, null);
  assert.equal(torch.isGradEnabled(), true);
});

test("checkUndefinedGrad can be turned off; non-tensor inputs pass through", () => {
  assert.ok(
    gradcheck((p: Tensor, k: number) => p.mul(k).sin(), [x(), 3] as const, {
      checkUndefinedGrad: false,
    }),
  );
});
