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
  compile,
  decode,
  fixtures,
  flat,
  gradcheckInputs,
  isGradchecked,
  makeInput,
  needsGrad,
  outputsOf,
  specs,
} from "./helpers/op-specs.js";
import type { Fixture, OpSpec, Value } from "./helpers/op-specs.js";

const { gradcheck, gradgradcheck, GradcheckError } = torch.autograd;

function tolerance(dtype: string): { rtol: number; atol: number } {
  if (dtype === "float32") return { rtol: 1e-5, atol: 1e-6 };
  if (dtype === "float64") return { rtol: 1e-9, atol: 1e-12 };
  return { rtol: 0, atol: 0 };
}

function close(x: number, y: number, rtol: number, atol: number): boolean {
  if (Number.isNaN(y)) return Number.isNaN(x);
  if (!Number.isFinite(y)) return x === y;
  return Math.abs(x - y) <= atol + rtol * Math.abs(y);
}

/** Compare a tensor with expected values; push descriptions of mismatches to `errs`. */
function compareValues(
  errs: string[],
  what: string,
  t: Tensor,
  expected: Value[],
  shape: readonly number[],
  dtype: string,
  tolDtype = dtype,
): void {
  if (t.shape.join() !== shape.join()) {
    errs.push(`${what}: shape [${t.shape}] != expected [${shape}]`);
    return;
  }
  if (t.dtype.name !== dtype) errs.push(`${what}: dtype ${t.dtype.name} != expected ${dtype}`);
  const got = flat(t);
  const want = expected.map(decode);
  const { rtol, atol } = tolerance(tolDtype);
  const bad = got.findIndex((x, i) => !close(x, want[i], rtol, atol));
  if (bad >= 0) {
    errs.push(
      `${what}: values differ at ${bad}: got ${got[bad]}, expected ${want[bad]}\n  got      [${got.join(", ")}]\n  expected [${want.join(", ")}]`,
    );
  }
}

/**
 * Gradients: fixture null (not reached) and all-zero gradients are treated as equal. `tolDtype`:
 * a float64 gradient computed in float32 (mixed-dtype ops) is compared at float32 tolerance.
 */
function compareGrads(
  errs: string[],
  what: string,
  got: (Tensor | null)[],
  expected: (Value[] | null)[],
  inputs: Tensor[],
  tolDtype: (x: Tensor) => string,
): void {
  got.forEach((g, j) => {
    const want = expected[j];
    const x = inputs[j];
    const label = `${what} ${j}`;
    if (want === null) {
      if (g !== null && flat(g).some((v) => v !== 0))
        errs.push(`${label}: expected none, got [${flat(g)}]`);
      return;
    }
    if (g === null) {
      if (want.some((v) => decode(v) !== 0)) errs.push(`${label}: got none, expected [${want}]`);
      return;
    }
    compareValues(errs, label, g, want, x.shape, x.dtype.name, tolDtype(x));
  });
}

function weightedSum(ts: (Tensor | null)[], ws: (Tensor | null)[]): Tensor | null {
  let loss: Tensor | null = null;
  ts.forEach((t, k) => {
    const w = ws[k];
    if (t === null || w === null) return;
    const term = t.mul(w).sum();
    loss = loss === null ? term : loss.add(term);
  });
  return loss;
}

function checkSpec(spec: OpSpec, fx: Fixture): string[] {
  const errs: string[] = [];
  const fn = compile(spec.js);
  const inputs = spec.inputs.map((inp, i) =>
    makeInput(inp, fx.inputs[i].values, inp.dtype ?? "float32", needsGrad(spec, inp)),
  );
  const outs = outputsOf(fn(torch, ...inputs));
  if (outs.length !== fx.outputs.length) {
    return [`${outs.length} outputs, expected ${fx.outputs.length}`];
  }
  outs.forEach((o, k) => {
    const e = fx.outputs[k];
    compareValues(errs, `output ${k}`, o, e.values, e.shape, e.dtype);
    const name = o.gradFn === null ? null : o.gradFn.name();
    if (name !== e.gradFn) errs.push(`output ${k}: gradFn ${name} != expected ${e.gradFn}`);
  });
  if (fx.weights === undefined) return errs;

  const gradInputs = inputs.filter((_, i) => needsGrad(spec, spec.inputs[i]));
  const ws = fx.weights.map((w, k) =>
    w === null || !outs[k].dtype.isFloatingPoint
      ? null
      : torch.tensor(w.map(decode), { dtype: outs[k].dtype }).reshape(outs[k].shape),
  );
  const loss = weightedSum(outs, ws);
  if (fx.grads === null || fx.grads === undefined) {
    if (loss !== null && loss.requiresGrad) errs.push("loss requires grad, PyTorch's does not");
    return errs;
  }
  if (loss === null || !loss.requiresGrad) return [...errs, "loss does not require grad"];
  const order2 = spec.order === 2;
  const mixed =
    spec.inputs.some((inp) => (inp.dtype ?? "float32") === "float32") ||
    fx.outputs.some((o) => o.dtype === "float32");
  const tolDtype = (x: Tensor): string => (mixed ? "float32" : x.dtype.name);
  const grads = torch.autograd.grad(loss, gradInputs, { allowUnused: true, createGraph: order2 });
  compareGrads(errs, "grad of input", grads, fx.grads, gradInputs, tolDtype);
  if (!order2) return errs;

  const vs = (fx.v ?? []).map((v, j) =>
    torch.tensor(v.map(decode), { dtype: gradInputs[j].dtype }).reshape(gradInputs[j].shape),
  );
  const live = grads.map((g) => (g !== null && g.requiresGrad ? g : null));
  const loss2 = weightedSum(live, vs);
  if (fx.second === null || fx.second === undefined) {
    if (loss2 !== null) errs.push("first derivatives require grad, PyTorch's do not");
    return errs;
  }
  if (loss2 === null) return [...errs, "first derivatives do not require grad"];
  const second = torch.autograd.grad(loss2, gradInputs, { allowUnused: true });
  compareGrads(errs, "second derivative of input", second, fx.second, gradInputs, tolDtype);
  return errs;
}

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
  // meaningless there): gradients compared with PyTorch only
  const allowed = /ties|argmax of|comparison of|to int64 of|p=0|one element|special/;
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
