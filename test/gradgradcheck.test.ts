/**
 * The public torch.autograd.gradcheck and gradgradcheck (PyTorch 1.13's slow mode) over the op
 * table: every spec of test/op-specs.json that test/ops.test.ts gradchecks (same selection rule
 * and inputs, from test/helpers/op-specs.ts: the fixture's values, floating inputs in float64,
 * requiring grad as the spec says), with default tolerances. gradgradcheck draws its grad
 * outputs from the global generator, seeded per spec.
 *
 * Piecewise-linear ops (relu, abs, clamp, floor, max, ...) have a zero second derivative away
 * from their kinks; their gradgradcheck is meaningful only if no input sits within eps of a
 * kink, and there it still checks the gradient's linear dependence on the grad output (the
 * 0/1 masks). Those specs get a second gradgradcheck with eps = 1e-2 (see PIECEWISE below).
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import {
  compile,
  fixtures,
  gradcheckInputs,
  isGradchecked,
  outputsOf,
  specs,
} from "./helpers/op-specs.js";
import type { Fixture, OpSpec } from "./helpers/op-specs.js";

const { gradcheck, gradgradcheck } = torch.autograd;

const checked = specs.filter((s) => isGradchecked(s) && fixtures.has(s.name));

/**
 * Specs built from piecewise-linear ops (kinks at 0, integers, half-integers, clamp bounds,
 * ties of max/min, sign changes of comparisons), possibly times polynomials of degree <= 3.
 * Between kinks their gradient is a polynomial of degree <= 2 in the inputs and linear in the
 * grad outputs, so central differences of the gradient are exact for any eps: gradgradcheck
 * with eps = 1e-2 passes exactly when no input is within 1e-2 of a kink, i.e. when the default
 * check (eps = 1e-6) is far from straddling one.
 */
const PIECEWISE =
  /\b(relu|abs|sign|floor|ceil|round|clamp|maximum|minimum|max|min|amax|amin)\(|norm\((a, )?(1|Infinity)\b|\.(gt|lt)\(/;

/** The spec as a function of its inputs returning a list of tensors. */
function specFn(spec: OpSpec): (...xs: Tensor[]) => Tensor[] {
  const fn = compile(spec.js);
  return (...xs) => outputsOf(fn(torch, ...xs));
}

// `eps` is set only by specs whose output is float32 even for float64 inputs (conversions to
// float32): a 1e-6 perturbation is below float32 resolution there.
const optsOf = (spec: OpSpec): { eps?: number } =>
  spec.eps === undefined ? {} : { eps: spec.eps };

test("the op table gives gradcheck and gradgradcheck something to check", () => {
  assert.ok(checked.length > 250, `${checked.length} gradchecked specs`);
  assert.ok(checked.filter((s) => PIECEWISE.test(s.js)).length > 40);
});

test("gradgradcheck fails on a backward that is not differentiable (control)", () => {
  // correct first derivative, but the saved input is detached: no second derivative
  class DetachedSin extends torch.autograd.Function {
    static override forward(ctx: torch.autograd.FunctionCtx, x: Tensor): Tensor {
      ctx.saveForBackward(x);
      return x.sin();
    }
    static override backward(ctx: torch.autograd.FunctionCtx, g: Tensor): Tensor {
      const [x] = ctx.savedTensors;
      return g.mul(x!.detach().cos());
    }
  }
  const f = (x: Tensor): Tensor => DetachedSin.apply(x);
  const x = (): Tensor =>
    torch.tensor([0.5, -1.2, 2], { dtype: torch.float64, requiresGrad: true });
  assert.ok(gradcheck(f, [x()]));
  torch.manualSeed(0);
  assert.equal(gradgradcheck(f, [x()], null, { raiseException: false }), false);
});

for (const spec of checked) {
  const fx = fixtures.get(spec.name) as Fixture;
  const f = specFn(spec);
  test(`gradcheck: ${spec.name}`, () => {
    assert.ok(gradcheck(f, gradcheckInputs(spec, fx), optsOf(spec)));
  });
  if (spec.noDoubleBackward !== undefined) {
    // the second derivative raises PyTorch's error instead
    test(`gradgradcheck refused: ${spec.name}`, () => {
      torch.manualSeed(0);
      assert.throws(
        () => gradgradcheck(f, gradcheckInputs(spec, fx), null, optsOf(spec)),
        (e: Error) =>
          e.name === "RuntimeError" &&
          /^derivative for aten::\w+ is not implemented$/.test(e.message),
      );
    });
    continue;
  }
  test(`gradgradcheck: ${spec.name}`, () => {
    torch.manualSeed(0);
    assert.ok(gradgradcheck(f, gradcheckInputs(spec, fx), null, optsOf(spec)));
    if (PIECEWISE.test(spec.js)) {
      torch.manualSeed(0);
      assert.ok(
        gradgradcheck(f, gradcheckInputs(spec, fx), null, { eps: 1e-2 }),
        "an input within 1e-2 of a kink",
      );
    }
  });
}
