/**
 * Table-driven op tests: every spec of test/op-specs.json is evaluated here (its `js`
 * expression) and compared with PyTorch 1.13 (test/fixtures/ops.json, made by
 * scripts/fixtures/ops_fx.py from the same specs' `py` expressions): output shapes, dtypes,
 * values and grad_fn names, gradients of sum_i sum(out_i * w_i), second derivatives for
 * "order": 2 specs, and a float64 finite-difference gradcheck for "gradcheck" specs
 * (torch.autograd.gradcheck, and gradgradcheck with fixed grad outputs for "order": 2 ones).
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import {
  checkSpec,
  compile,
  fixtures,
  gradcheckInputs,
  isGradchecked,
  outputsOf,
  specs,
} from "./helpers/op-specs.js";
import type { OpSpec } from "./helpers/op-specs.js";

const { gradcheck, gradgradcheck, GradcheckError } = torch.autograd;

/**
 * gradgradcheck's grad outputs: fixed values in (-1, 1) for the differentiable outputs (k-th
 * floating output: sin(1 + 7k + 3.7i) * 0.9), not requiring grad, so that only the second
 * derivatives w.r.t. the inputs are checked. test/gradgradcheck.test.ts runs PyTorch's default
 * (random grad outputs requiring grad) on the same specs.
 */
function fixedGradOutputs(outs: Tensor[]): Tensor[] {
  return outs
    .filter((o) => o.dtype.isFloatingPoint)
    .map((o, k) => ({ o, k }))
    .filter(({ o }) => o.requiresGrad)
    .map(({ o, k }) => {
      const g = torch.zerosLike(o);
      for (let i = 0; i < g.numel(); i++) g.typedArray[i] = Math.sin(1 + 7 * k + 3.7 * i) * 0.9;
      return g;
    });
}

/** Run a gradcheck; its failure report (which output and input, both Jacobians) names the spec. */
function expectGradcheck(what: string, spec: OpSpec, run: () => boolean): void {
  let ok: boolean;
  try {
    ok = run();
  } catch (e) {
    if (e instanceof GradcheckError) assert.fail(`${what} of ${spec.js}: ${e.message}`);
    throw e;
  }
  assert.ok(ok, `${what} of ${spec.js} returned false`);
}

test("every spec has a fixture (else run /usr/bin/python3 scripts/gen_fixtures.py)", () => {
  const names = new Set<string>();
  for (const s of specs) {
    assert.ok(!names.has(s.name), `duplicate spec name ${s.name}`);
    names.add(s.name);
    assert.ok(fixtures.has(s.name), `no fixture for ${s.name}`);
  }
  assert.equal(fixtures.size, specs.length, "stale fixtures: regenerate them");
});

test("every differentiable spec is gradchecked", () => {
  const missing = specs
    .filter(
      (s) => !isGradchecked(s) && fixtures.get(s.name)?.outputs.some((o) => o.gradFn !== null),
    )
    .map((s) => s.name);
  // ties, non-differentiable points and special values (NaN, inf: finite differences are
  // meaningless there): gradients compared with PyTorch only. The eigh solver's large-matrix
  // path (tridiagonal QL, n >= 32) has the same backward as the gradchecked small specs; its
  // rows check the solver's values and gradients against PyTorch (a gradcheck at 40x40 would
  // be 1,600 perturbed solves, and its gradgradcheck far more)
  const allowed = /ties|argmax of|comparison of|to int64 of|p=0|one element|special|QL path/;
  assert.deepEqual(
    missing.filter((n) => !allowed.test(n)),
    [],
  );
});

for (const spec of specs) {
  const fx = fixtures.get(spec.name);
  if (fx === undefined) continue;
  test(spec.name, () => {
    const errs = checkSpec(spec, fx);
    if (errs.length > 0) assert.fail(`${spec.js}\n${errs.join("\n")}`);
  });
  if (isGradchecked(spec)) {
    test(`gradcheck: ${spec.name}`, () => {
      const fn = compile(spec.js);
      const f = (...xs: Tensor[]): Tensor[] => outputsOf(fn(torch, ...xs));
      // gradients must also have their inputs' dtypes
      const opts = { ...(spec.eps === undefined ? {} : { eps: spec.eps }), checkGradDtypes: true };
      expectGradcheck("gradcheck", spec, () => gradcheck(f, gradcheckInputs(spec, fx), opts));
      if (spec.order === 2) {
        const inputs = gradcheckInputs(spec, fx);
        const gos = fixedGradOutputs(f(...inputs));
        expectGradcheck("gradgradcheck", spec, () => gradgradcheck(f, inputs, gos, opts));
      }
    });
  }
}
