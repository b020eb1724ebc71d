/**
 * Derivatives of backward passes against PyTorch 1.13: for every spec of
 * test/derivative-specs.json, the outputs, then three levels of derivatives (the gradients, the
 * derivatives of the gradients w.r.t. the head gradients and the inputs, and once more), each
 * with its values, its grad_fn name (e.g. TanhBackwardBackward0: PyTorch's backward of
 * tanh_backward) and whether it requires grad. Fixtures: scripts/fixtures/derivatives_fx.py.
 * Specs not marked otherwise are also gradchecked and gradgradchecked (finite differences).
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { DTypeName, Tensor } from "../src/index.js";
import * as BW from "../src/ops/backward.js";
import { decodeNumber, readFixture, readTestJson, type NonFinite } from "./helpers/fixtures.js";

type Value = number | NonFinite;

interface InputSpec {
  shape?: number[];
  values?: unknown;
  dtype?: DTypeName;
  domain?: "any" | "unit" | "positive";
  grad?: boolean;
}

interface Spec {
  name: string;
  py: string;
  js: string;
  inputs: InputSpec[];
  /** false: no finite-difference checks (a kink or a non-differentiable point is tested) */
  gradcheck?: boolean;
  /** false: gradcheck only (the second derivative is not continuous at the inputs) */
  gradgradcheck?: boolean;
  /** the levels recorded (default 3) and those whose grad_fn names are compared (default all), for the reason in `note` */
  levels?: number;
  namesUpTo?: number;
  note?: string;
}

interface GradRec {
  values: Value[];
  gradFn: string | null;
  requiresGrad: boolean;
}

interface Fixture {
  name: string;
  inputs: { shape: number[]; dtype: DTypeName; values: Value[] }[];
  outputs: { shape: number[]; dtype: DTypeName; values: Value[]; gradFn: string | null }[];
  levels: { weights: Value[][]; grads: (GradRec | null)[] }[];
}

type Fn = (t: typeof torch, ...xs: Tensor[]) => unknown;

const specs = readTestJson<Spec[]>("derivative-specs.json");
const fixtures = new Map(readFixture<Fixture[]>("derivatives.json").map((f) => [f.name, f]));

const compile = (js: string): Fn =>
  new Function("torch", "a", "b", "c", "d", `const F = torch.nn.functional; return (${js});`) as Fn;

function outputsOf(r: unknown): Tensor[] {
  if (r instanceof torch.Tensor) return [r];
  if (Array.isArray(r)) return r as Tensor[];
  throw new Error(`unexpected result ${String(r)}`);
}

const flat = (t: Tensor): number[] => {
  const c = t.detach().contiguous();
  return Array.from(c.typedArray.subarray(c.offset, c.offset + c.numel()), Number);
};

function tensorOf(values: Value[], shape: number[], dtype: DTypeName): Tensor {
  return torch.tensor(values.map(decodeNumber), { dtype: torch[dtype] }).reshape(shape);
}

function inputsOf(spec: Spec, fx: Fixture): Tensor[] {
  return fx.inputs.map((r, i) => {
    const t = tensorOf(r.values, r.shape, r.dtype);
    const grad = spec.inputs[i].grad ?? t.dtype.isFloatingPoint;
    return grad ? t.requiresGrad_() : t;
  });
}

/** float64 values: a relative tolerance for the differing summation orders, and a floor. */
function close(x: number, y: number): boolean {
  if (Number.isNaN(y)) return Number.isNaN(x);
  if (!Number.isFinite(y)) return x === y;
  return Math.abs(x - y) <= 1e-12 + 1e-9 * Math.abs(y);
}

function compareValues(errs: string[], what: string, got: number[], want: Value[]): void {
  const w = want.map(decodeNumber);
  if (got.length !== w.length) {
    errs.push(`${what}: ${got.length} values, expected ${w.length}`);
    return;
  }
  const bad = got.findIndex((x, i) => !close(x, w[i]));
  if (bad >= 0)
    errs.push(`${what}: values differ at ${bad}\n  got      [${got}]\n  expected [${w}]`);
}

/** A gradient against its record: none and zeros without a graph are interchangeable. */
function compareGrad(
  errs: string[],
  what: string,
  g: Tensor | null,
  r: GradRec | null,
  names: boolean,
): void {
  const inert = (vs: number[]): boolean => vs.every((v) => v === 0);
  if (r === null) {
    if (g !== null && (g.requiresGrad || !inert(flat(g))))
      errs.push(`${what}: expected none, got ${g.gradFn?.name() ?? "a tensor"} [${flat(g)}]`);
    return;
  }
  if (g === null) {
    if (r.requiresGrad || !inert(r.values.map(decodeNumber)))
      errs.push(`${what}: got none, expected ${r.gradFn} [${r.values}]`);
    return;
  }
  const name = g.gradFn?.name() ?? null;
  if (names && name !== r.gradFn) errs.push(`${what}: gradFn ${name} != expected ${r.gradFn}`);
  if (g.requiresGrad !== r.requiresGrad)
    errs.push(`${what}: requiresGrad ${g.requiresGrad} != expected ${r.requiresGrad}`);
  compareValues(errs, what, flat(g), r.values);
}

const weightedSum = (ts: Tensor[], ws: Tensor[]): Tensor =>
  ts.map((t, i) => t.mul(ws[i]).sum()).reduce((a, b) => a.add(b));

function check(spec: Spec, fx: Fixture): string[] {
  const errs: string[] = [];
  const inputs = inputsOf(spec, fx);
  const outs = outputsOf(compile(spec.js)(torch, ...inputs));
  if (outs.length !== fx.outputs.length) return [`${outs.length} outputs, expected more`];
  outs.forEach((o, k) => {
    const e = fx.outputs[k];
    if (o.shape.join() !== e.shape.join()) errs.push(`output ${k}: shape [${o.shape}]`);
    if (o.dtype.name !== e.dtype) errs.push(`output ${k}: dtype ${o.dtype.name} != ${e.dtype}`);
    const name = o.gradFn?.name() ?? null;
    if (name !== e.gradFn) errs.push(`output ${k}: gradFn ${name} != expected ${e.gradFn}`);
    compareValues(errs, `output ${k}`, flat(o), e.values);
  });
  if (errs.length > 0) return errs;
  let wrt = inputs.filter((t) => t.requiresGrad);
  const diffOuts = outs.filter((o) => o.requiresGrad);
  let grads: (Tensor | null)[] = [];
  fx.levels.forEach((level, k) => {
    if (errs.length > 0) return;
    // what this level differentiates: the outputs, then the gradients that require grad
    const live = k === 0 ? diffOuts : grads.filter((g): g is Tensor => g?.requiresGrad === true);
    if (live.length !== level.weights.length) {
      errs.push(
        `level ${k + 1}: ${live.length} tensors require grad, PyTorch's ${level.weights.length}`,
      );
      return;
    }
    const weights = level.weights.map((w, i) =>
      tensorOf(w, live[i].shape, live[i].dtype.name as DTypeName),
    );
    if (k === 0) {
      weights.forEach((w) => w.requiresGrad_());
      grads = torch.autograd.grad(live, wrt, {
        gradOutputs: weights,
        createGraph: true,
        allowUnused: true,
      });
      wrt = [...weights, ...wrt];
    } else {
      grads = torch.autograd.grad(weightedSum(live, weights), wrt, {
        createGraph: true,
        allowUnused: true,
      });
    }
    const names = k < (spec.namesUpTo ?? 3);
    grads.forEach((g, i) =>
      compareGrad(errs, `level ${k + 1} grad ${i}`, g, level.grads[i], names),
    );
  });
  const last = fx.levels.length;
  if (errs.length === 0 && last < (spec.levels ?? 3) && grads.some((g) => g?.requiresGrad))
    errs.push(`level ${last}: gradients require grad, PyTorch's do not`);
  return errs;
}

/** Deterministic tangents in (-1, 1), different for each tensor k. */
function tangentLike(t: Tensor, k: number): Tensor {
  const v = torch.zerosLike(t.detach());
  for (let i = 0; i < v.numel(); i++) v.typedArray[i] = Math.sin(1 + 5 * k + 3.7 * i);
  return v;
}

/**
 * The tangents forward mode gives the outputs (the ops' JVP rules) and the gradients (the
 * backward formulas' JVP rules, PyTorch's forward-over-reverse) against central differences
 * in the inputs and the head gradients.
 */
function forwardOverReverse(spec: Spec, fx: Fixture): string[] {
  const fn = compile(spec.js);
  const fw = torch.autograd.forwardAd;
  const base = inputsOf(spec, fx);
  const outs = outputsOf(fn(torch, ...base)).filter((o) => o.requiresGrad);
  const heads = fx.levels[0].weights.map((w, i) =>
    tensorOf(w, outs[i].shape, outs[i].dtype.name as DTypeName),
  );
  const diff = base.map((x) => x.requiresGrad);
  const tx = base.map((x, k) => (diff[k] ? tangentLike(x, k) : null));
  const th = heads.map((h, k) => tangentLike(h, 100 + k));
  /**
   * The outputs and then the gradients at inputs x + e tx and heads + e th (their tangents,
   * from forward mode, when `dual`)
   */
  const gradients = (e: number, dual: boolean): (Tensor | null)[] => {
    const leaves = base.map((x, k) => {
      const t = tx[k];
      if (t === null) return x;
      return (e === 0 ? x.detach() : x.detach().add(t.mul(e))).requiresGrad_();
    });
    const hs = heads.map((h, k) => (e === 0 ? h : h.add(th[k].mul(e))));
    const ins = dual
      ? leaves.map((x, k) => (diff[k] ? fw.makeDual(x, tx[k] as Tensor) : x))
      : leaves;
    const hin = dual ? hs.map((h, k) => fw.makeDual(h, th[k])) : hs;
    const ys = outputsOf(fn(torch, ...ins)).filter((o) => o.requiresGrad);
    const gs = torch.autograd.grad(
      ys,
      leaves.filter((_, k) => diff[k]),
      {
        gradOutputs: hin,
        createGraph: true,
        allowUnused: true,
      },
    );
    const all = [...ys, ...gs];
    return dual ? all.map((g) => (g === null ? null : fw.unpackDual(g).tangent)) : all;
  };
  const jvp = fw.dualLevel(() => gradients(0, true).map((t) => (t === null ? null : flat(t))));
  const eps = 1e-6;
  const plus = gradients(eps, false);
  const minus = gradients(-eps, false);
  const errs: string[] = [];
  plus.forEach((gp, i) => {
    if (gp === null) return;
    const gm = flat(minus[i] as Tensor);
    const fd = flat(gp).map((v, j) => (v - gm[j]) / (2 * eps));
    const got = jvp[i] ?? fd.map(() => 0);
    const bad = fd.findIndex((v, j) => !(Math.abs(got[j] - v) <= 1e-6 + 1e-5 * Math.abs(v)));
    const what = i < outs.length ? `output ${i}` : `gradient ${i - outs.length}`;
    if (bad >= 0) errs.push(`${what}: tangent [${got}] != finite differences [${fd}]`);
  });
  return errs;
}

test("every spec has a fixture (else run /usr/bin/python3 scripts/gen_fixtures.py derivatives)", () => {
  for (const s of specs) assert.ok(fixtures.has(s.name), `no fixture for ${s.name}`);
  assert.equal(fixtures.size, specs.length, "stale fixtures: regenerate them");
});

for (const spec of specs) {
  const fx = fixtures.get(spec.name);
  if (fx === undefined) continue;
  test(spec.name, () => {
    const errs = check(spec, fx);
    if (errs.length > 0) assert.fail(`${spec.js}\n${errs.join("\n")}`);
  });
  if (spec.gradcheck === false) continue;
  if (spec.gradgradcheck !== false) {
    test(`forward mode and forward over reverse: ${spec.name}`, () => {
      const errs = forwardOverReverse(spec, fx);
      if (errs.length > 0) assert.fail(`${spec.js}\n${errs.join("\n")}`);
    });
  }
  test(`gradcheck: ${spec.name}`, () => {
    const fn = compile(spec.js);
    const f = (...xs: Tensor[]): Tensor[] => outputsOf(fn(torch, ...xs));
    assert.ok(torch.autograd.gradcheck(f, inputsOf(spec, fx)));
    if (spec.gradgradcheck === false) return;
    torch.manualSeed(0);
    assert.ok(torch.autograd.gradgradcheck(f, inputsOf(spec, fx)));
  });
}

test("loss backwards: the one-pass loop (small inputs) and the composed ops (large) agree", () => {
  // a large input takes the composed native ops, its 8-element slices the one-pass loop; both
  // must give PyTorch's kernel values (checked above on small inputs)
  torch.manualSeed(1);
  const x = torch.randn([64, 8], { dtype: torch.float64 }).mul(2);
  const t = torch.randn([64, 8], { dtype: torch.float64 });
  const g = torch.randn([64, 8], { dtype: torch.float64 });
  const ops: [string, (g: Tensor, x: Tensor, t: Tensor) => Tensor][] = [
    ["mse", (gi, xi, ti) => BW.mseLossBackward(gi, xi, ti, "none")],
    ["smooth_l1", (gi, xi, ti) => BW.smoothL1LossBackward(gi, xi, ti, "none", 0.7)],
    ["smooth_l1 beta 0", (gi, xi, ti) => BW.smoothL1LossBackward(gi, xi, ti, "none", 0)],
    ["huber", (gi, xi, ti) => BW.huberLossBackward(gi, xi, ti, "none", 0.7)],
  ];
  for (const [name, f] of ops) {
    const whole = flat(f(g, x, t));
    const rows = Array.from({ length: 64 }, (_, i) =>
      flat(f(g.select(0, i), x.select(0, i), t.select(0, i))),
    ).flat();
    const bad = whole.findIndex((v, i) => !close(v, rows[i]));
    assert.equal(bad, -1, `${name}: ${whole[bad]} vs ${rows[bad]}`);
  }
});
