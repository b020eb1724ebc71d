/**
 * Forward-mode AD (torch.autograd.forwardAd):
 * 1. every differentiable spec of test/op-specs.json (and extra cases for ops the specs do not
 *    reach: advanced indexing, index_put, scatter_add, in-place ops): the JVP from forward mode
 *    equals J·v with J built row by row from reverse mode, for float64 inputs and random
 *    tangents, to 1e-8; also with tangents on the first input only, and under noGrad;
 * 2. PyTorch 1.13's dual_level/make_dual/unpack_dual behaviour, error messages and reprs
 *    (test/fixtures/forward_ad.json, made by scripts/fixtures/forward_ad_fx.py);
 * 3. higher order: forward-over-reverse Hessian-vector products against reverse-over-reverse,
 *    reverse-over-forward, and gradients through tangents that require grad.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { runReadmeSection } from "./helpers/custom-fixtures.js";
import { decode, readFixture, type Encoded, type Err, type Rec } from "./helpers/fixtures.js";
import {
  compile as compileSpec,
  fixtures as opFixtures,
  flat,
  isFloat,
  makeInput,
  needsGrad,
  outputsOf,
  specs,
  type Fixture,
  type OpSpec,
} from "./helpers/op-specs.js";

const fw = torch.autograd.forwardAd;
const f64 = { dtype: torch.float64 };

// ---------------------------------------------------------------------------------------------
// helpers

type Fn = (...xs: Tensor[]) => unknown;

/**
 * J·v from reverse mode: for each floating output, one vector-Jacobian product per element
 * (a one-hot gradOutput) gives a row of J; its dot product with the tangents is that element
 * of the JVP. Null for non-floating outputs.
 */
function reverseJvp(fn: Fn, xs: Tensor[], vs: (Tensor | null)[]): (number[] | null)[] {
  const ins = xs.map((x, i) => (vs[i] === null ? x : x.detach().requiresGrad_()));
  const wrt = ins.filter((_, i) => vs[i] !== null);
  const vflat = vs.filter((v): v is Tensor => v !== null).map(flat);
  return outputsOf(fn(...ins)).map((o) => {
    if (!o.dtype.isFloatingPoint) return null;
    const res = new Array<number>(o.numel()).fill(0);
    if (!o.requiresGrad) return res;
    for (let r = 0; r < res.length; r++) {
      const onehot = torch.zeros(o.shape, { dtype: o.dtype });
      onehot.typedArray[r] = 1;
      const gs = torch.autograd.grad([o], wrt, {
        gradOutputs: [onehot],
        retainGraph: true,
        allowUnused: true,
      });
      let s = 0;
      gs.forEach((g, j) => {
        if (g === null) return;
        const gv = flat(g);
        for (let k = 0; k < gv.length; k++) s += gv[k] * vflat[j][k];
      });
      res[r] = s;
    }
    return res;
  });
}

interface ForwardResult {
  jvps: (number[] | null)[];
  outputs: Tensor[];
  problems: string[];
}

/** The JVP from forward mode: make the inputs dual, run fn, unpack each output's tangent. */
function forwardJvp(fn: Fn, xs: Tensor[], vs: (Tensor | null)[], noGrad = false): ForwardResult {
  return fw.dualLevel(() => {
    const problems: string[] = [];
    const duals = xs.map((x, i) => (vs[i] === null ? x : fw.makeDual(x, vs[i] as Tensor)));
    const run = (): Tensor[] => outputsOf(fn(...duals));
    const outputs = noGrad ? torch.noGrad(run) : run();
    const jvps = outputs.map((o, k) => {
      if (!o.dtype.isFloatingPoint) {
        if (fw.unpackDual(o).tangent !== null) problems.push(`output ${k}: non-float tangent`);
        return null;
      }
      const t = fw.unpackDual(o).tangent;
      if (t === null) return new Array<number>(o.numel()).fill(0);
      if (t.shape.join() !== o.shape.join())
        problems.push(`output ${k}: tangent shape [${t.shape}] != [${o.shape}]`);
      if (t.dtype !== o.dtype) problems.push(`output ${k}: tangent ${t.dtype} != ${o.dtype}`);
      return flat(t);
    });
    return { jvps, outputs, problems };
  });
}

/** Compare forward and reverse JVPs (entries where the output is NaN are skipped). */
function compareJvps(
  fwd: ForwardResult,
  rev: (number[] | null)[],
  tol = (o: Tensor): number => (o.dtype === torch.float64 ? 1e-8 : 1e-5),
): string[] {
  const errs = fwd.problems.slice();
  if (fwd.jvps.length !== rev.length) return [...errs, `${fwd.jvps.length} vs ${rev.length}`];
  fwd.jvps.forEach((f, k) => {
    const r = rev[k];
    if (f === null || r === null) return;
    const o = flat(fwd.outputs[k]);
    const eps = tol(fwd.outputs[k]);
    const bad = f.findIndex(
      (x, i) => !Number.isNaN(o[i]) && !(Math.abs(x - r[i]) <= eps * (1 + Math.abs(r[i]))),
    );
    if (bad >= 0)
      errs.push(
        `output ${k} at ${bad}: forward ${f[bad]}, reverse ${r[bad]}\n  fwd [${f}]\n  rev [${r}]`,
      );
  });
  return errs;
}

/** Random float64 tangents, one per input that `pick` selects. */
function tangentsFor(xs: Tensor[], pick: (x: Tensor, i: number) => boolean): (Tensor | null)[] {
  return xs.map((x, i) => (pick(x, i) ? torch.randn(x.shape, f64) : null));
}

// ---------------------------------------------------------------------------------------------
// 1. op specs: forward mode against reverse mode

/** The spec's inputs from the fixture's values (the spec's domains), floats as float64. */
function specInputs(spec: OpSpec, fx: Fixture): { xs: Tensor[]; diff: boolean[] } {
  const diff = spec.inputs.map((inp) => needsGrad(spec, inp));
  const xs = spec.inputs.map((inp, i) => {
    const dtype = inp.dtype ?? "float32";
    return makeInput(inp, fx.inputs[i].values, isFloat(dtype) ? "float64" : dtype, false);
  });
  return { xs, diff };
}

function compile(js: string): Fn {
  const f = compileSpec(js);
  return (...xs: Tensor[]) => f(torch, ...xs);
}

const differentiable = specs.filter(
  (s) => s.gradcheck && s.noForwardAd === undefined && opFixtures.has(s.name),
);

// ops without a forward-mode formula: forward mode raises PyTorch's NotImplementedError
for (const spec of specs.filter((s) => s.noForwardAd !== undefined && opFixtures.has(s.name))) {
  test(`jvp refused: ${spec.name}`, () => {
    const fx = opFixtures.get(spec.name) as Fixture;
    const fn = compile(spec.js);
    const { xs, diff } = specInputs(spec, fx);
    const vs = tangentsFor(xs, (_, i) => diff[i]);
    assert.throws(
      () => forwardJvp(fn, xs, vs),
      (e: Error) =>
        e.name === "NotImplementedError" && /^Trying to use forward AD with /.test(e.message),
    );
  });
}

test("the op specs give forward mode something to check", () => {
  assert.ok(differentiable.length > 250, `${differentiable.length} differentiable specs`);
});

for (const spec of differentiable) {
  test(`jvp: ${spec.name}`, () => {
    const fx = opFixtures.get(spec.name) as Fixture;
    const fn = compile(spec.js);
    const { xs, diff } = specInputs(spec, fx);
    torch.manualSeed(7);
    const errs: string[] = [];
    // all differentiable inputs dual
    const vs = tangentsFor(xs, (_, i) => diff[i]);
    const rev = reverseJvp(fn, xs, vs);
    errs.push(...compareJvps(forwardJvp(fn, xs, vs), rev));
    // forward mode needs no grad mode
    errs.push(...compareJvps(forwardJvp(fn, xs, vs, true), rev).map((e) => `noGrad: ${e}`));
    // only the first differentiable input dual (zero tangents elsewhere)
    const first = diff.indexOf(true);
    if (diff.filter(Boolean).length > 1) {
      const v1 = vs.map((v, i) => (i === first ? v : null));
      errs.push(
        ...compareJvps(forwardJvp(fn, xs, v1), reverseJvp(fn, xs, v1)).map((e) => `one: ${e}`),
      );
    }
    if (errs.length > 0) assert.fail(`${spec.js}\n${errs.join("\n")}`);
  });
}

// Ops and paths the specs do not reach. `ref` (when given) is an out-of-place equivalent for the
// reverse-mode side, where reverse mode cannot follow (in-place ops through views).
interface ExtraCase {
  name: string;
  shapes: number[][];
  fn: Fn;
  ref?: Fn;
  positive?: boolean;
}
const i64 = (v: number[] | number[][]): Tensor => torch.tensor(v, { dtype: torch.int64 });

const extraCases: ExtraCase[] = [
  { name: "index with tensors", shapes: [[3, 4]], fn: (a) => a.index([0, 2, 2]) },
  { name: "index with a slice and a tensor", shapes: [[3, 4]], fn: (a) => a.index(":", [1, 3]) },
  { name: "index with a mask", shapes: [[3, 4]], fn: (a) => a.index(a.gt(0)) },
  {
    name: "indexPut_ rows",
    shapes: [
      [3, 4],
      [2, 4],
    ],
    fn: (a, b) => a.mul(1).indexPut_([i64([0, 2])], b),
  },
  {
    name: "indexPut_ accumulate with repeats",
    shapes: [
      [3, 4],
      [2, 4],
    ],
    fn: (a, b) => a.mul(1).indexPut_([i64([1, 1])], b, true),
  },
  {
    name: "indexPut_ a number",
    shapes: [[3, 4]],
    fn: (a) => a.mul(2).indexPut_([0, ":"], 5),
  },
  {
    name: "indexPut_ into a constant",
    shapes: [[2, 4]],
    fn: (b) => torch.zeros([3, 4], f64).indexPut_([i64([2, 0])], b),
  },
  {
    name: "scatterAdd",
    shapes: [
      [2, 3],
      [2, 3],
    ],
    fn: (a, b) =>
      a.scatterAdd(
        1,
        i64([
          [0, 1, 1],
          [2, 0, 0],
        ]),
        b,
      ),
  },
  {
    name: "scatterAdd into a constant",
    shapes: [[2, 3]],
    fn: (b) =>
      torch.zeros([2, 3], f64).scatterAdd(
        1,
        i64([
          [0, 1, 1],
          [2, 0, 0],
        ]),
        b,
      ),
  },
  {
    name: "maskedFill with a tensor value",
    shapes: [[2, 3], []],
    fn: (a, v) => a.maskedFill(a.gt(0), v),
  },
  {
    name: "cat with a constant",
    shapes: [[2, 3]],
    fn: (a) => torch.cat([torch.ones([1, 3], f64), a, a.exp()]),
  },
  { name: "stack", shapes: [[3], [3]], fn: (a, b) => torch.stack([a, b.sin()], 1) },
  { name: "chunk", shapes: [[4, 3]], fn: (a) => a.chunk(2) },
  {
    name: "add_ with alpha",
    shapes: [[2, 3], [3]],
    fn: (a, b) => a.mul(1).add_(b, { alpha: 2 }),
  },
  { name: "sub_ a number", shapes: [[2, 3]], fn: (a) => a.mul(2).sub_(3).exp() },
  {
    name: "mul_",
    shapes: [
      [2, 3],
      [2, 3],
    ],
    fn: (a, b) => a.mul(1).mul_(b),
  },
  {
    name: "div_",
    shapes: [
      [2, 3],
      [2, 3],
    ],
    fn: (a, b) => a.mul(1).div_(b),
    positive: true,
  },
  { name: "pow_", shapes: [[2, 3]], fn: (a) => a.mul(1).pow_(3) },
  { name: "clamp_", shapes: [[2, 3]], fn: (a) => a.mul(1).clamp_(-0.5, 0.5) },
  { name: "neg_ twice", shapes: [[2, 3]], fn: (a) => a.mul(2).neg_().neg_() },
  {
    name: "fill_",
    shapes: [
      [2, 3],
      [2, 3],
    ],
    fn: (a, b) => a.mul(1).fill_(2).add(b),
  },
  { name: "zero_", shapes: [[2, 3]], fn: (a) => a.mul(1).zero_().add(a) },
  { name: "copy_ broadcast", shapes: [[2, 3], [3]], fn: (a, b) => a.mul(1).copy_(b) },
  {
    name: "copy_ into a view",
    shapes: [[3, 4], [4]],
    fn: (a, b) => {
      const c = a.mul(1);
      c.select(0, 1).copy_(b);
      return c;
    },
    ref: (a, b) => a.mul(1).indexPut_([1], b),
  },
  {
    name: "copy_ into a view of a constant",
    shapes: [[4]],
    fn: (b) => {
      const c = torch.zeros([3, 4], f64);
      c.narrow(0, 2, 1).copy_(b);
      return c.mul(c.add(1));
    },
    ref: (b) => {
      const c = torch.zeros([3, 4], f64).indexPut_([2], b);
      return c.mul(c.add(1));
    },
  },
  {
    name: "mul_ on a view",
    shapes: [[3, 4], [4]],
    fn: (a, b) => {
      const c = a.mul(1);
      c.select(0, 0).mul_(b);
      return c;
    },
    ref: (a, b) => torch.cat([a.select(0, 0).mul(b).unsqueeze(0), a.narrow(0, 1, 2)]),
  },
  {
    name: "a view sees an in-place op on its base",
    shapes: [
      [3, 4],
      [3, 4],
    ],
    fn: (a, b) => {
      const c = a.mul(1);
      const v = c.select(0, 1);
      c.mul_(b);
      return v;
    },
    ref: (a, b) => a.mul(b).select(0, 1),
  },
];

for (const c of extraCases) {
  test(`jvp (extra): ${c.name}`, () => {
    torch.manualSeed(11);
    const xs = c.shapes.map((s) => {
      const x = torch.randn(s, f64);
      return c.positive ? x.abs().add(0.5) : x;
    });
    const vs = tangentsFor(xs, () => true);
    const errs = compareJvps(forwardJvp(c.fn, xs, vs), reverseJvp(c.ref ?? c.fn, xs, vs));
    if (xs.length > 1) {
      const v1 = vs.map((v, i) => (i === 0 ? v : null));
      errs.push(...compareJvps(forwardJvp(c.fn, xs, v1), reverseJvp(c.ref ?? c.fn, xs, v1)));
    }
    if (errs.length > 0) assert.fail(errs.join("\n"));
  });
}

// ---------------------------------------------------------------------------------------------
// 2. PyTorch fixtures

const fixture = readFixture<{
  cases: Record<string, Record<string, unknown>>;
  readme: { dual: string; jvp: string; hvp: number[] };
}>("forward_ad.json");
const readme = fixture.readme;

/** Recorded values (nested lists) decoded, in row-major order. */
const flatValues = (v: Encoded): number[] => [decode(v)].flat(Infinity) as number[];

function recOf(t: Tensor | null): Rec | null {
  if (t === null) return null;
  return {
    shape: t.shape.slice(),
    dtype: t.dtype.name,
    values: flat(t),
    requires_grad: t.requiresGrad,
  };
}

/** Compare a recorded tensor (or null) with ours, values to float32 precision. */
function sameRec(what: string, got: Rec | null, want: Rec | null): string[] {
  if (want === null || got === null)
    return want === got
      ? []
      : [`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`];
  const errs: string[] = [];
  if (got.shape.join() !== want.shape.join())
    errs.push(`${what}: shape [${got.shape}] != [${want.shape}]`);
  if (got.dtype !== want.dtype) errs.push(`${what}: dtype ${got.dtype} != ${want.dtype}`);
  if (got.requires_grad !== want.requires_grad)
    errs.push(`${what}: requires_grad ${got.requires_grad} != ${want.requires_grad}`);
  const g = got.values as number[];
  const w = flatValues(want.values);
  const tol = want.dtype === "float64" ? 1e-12 : 1e-6;
  if (
    g.length !== w.length ||
    g.some((x, i) => !(Math.abs(x - w[i]) <= tol * (1 + Math.abs(w[i]))))
  )
    errs.push(`${what}: values [${g}] != [${w}]`);
  return errs;
}

/** The exception `fn` throws, as {type, message} in PyTorch's terms (null: none). */
function errOf(fn: () => unknown): Err | null {
  try {
    fn();
  } catch (e) {
    const err = e as Error;
    const type =
      err instanceof RangeError
        ? "ValueError"
        : err instanceof TypeError
          ? "TypeError"
          : "RuntimeError";
    // a failed scenario must not leave a level behind
    if (fw.isDualLevelActive()) fw.exitDualLevel();
    return { type, message: err.message };
  }
  return null;
}

const X = [1, 2];
const T = [3, 4];
const tangentRec = (t: Tensor): Rec | null => recOf(fw.unpackDual(t).tangent);
/** complex128 values from [re, im] pairs */
const cplx = (v: [number, number][]): Tensor => torch.viewAsComplex(torch.tensor(v, f64));
const ZC: [number, number][] = [
  [1, 2],
  [3, -1],
];
const TC: [number, number][] = [
  [0.5, -1],
  [2, 0.25],
];
/** A tangent's record; a complex one as its real view (as the fixture records it). */
function ctangentRec(t: Tensor): Rec | null {
  const g = fw.unpackDual(t).tangent;
  return recOf(g !== null && g.dtype.isComplex ? torch.viewAsReal(g.resolveConj()) : g);
}

/** Our version of each fixture scenario: the record PyTorch's made. */
const scenarios: Record<string, () => Record<string, unknown>> = {
  "make_dual outside a level": () => ({
    error: errOf(() => fw.makeDual(torch.tensor(X), torch.tensor(T))),
  }),
  "nested levels": () => ({ error: errOf(() => fw.dualLevel(() => fw.enterDualLevel())) }),
  "tangent size mismatch": () => ({
    error: errOf(() => fw.dualLevel(() => fw.makeDual(torch.ones(2), torch.ones(3)))),
  }),
  "tangent size mismatch 2-D": () => ({
    error: errOf(() => fw.dualLevel(() => fw.makeDual(torch.ones(2, 3), torch.ones(3, 2)))),
  }),
  "integer primal": () => ({
    error: errOf(() =>
      fw.dualLevel(() => fw.makeDual(torch.tensor(X, { dtype: torch.int64 }), torch.tensor(T))),
    ),
  }),
  "integer tangent": () => ({
    error: errOf(() =>
      fw.dualLevel(() => fw.makeDual(torch.tensor(X), torch.tensor(X, { dtype: torch.int64 }))),
    ),
  }),
  "make_dual of a dual tensor": () => ({
    error: errOf(() =>
      fw.dualLevel(() => {
        const d = fw.makeDual(torch.tensor(X), torch.tensor(T));
        fw.makeDual(d, torch.tensor(T));
      }),
    ),
  }),
  "dual tangent": () => ({
    error: errOf(() =>
      fw.dualLevel(() => {
        const d = fw.makeDual(torch.tensor(X), torch.tensor(T));
        fw.makeDual(torch.tensor(X), d);
      }),
    ),
  }),
  "make_dual with an invalid level": () => ({
    error: errOf(() =>
      fw.dualLevel(() => fw.makeDual(torch.tensor(X), torch.tensor(T), { level: 3 })),
    ),
  }),
  "unpack_dual with an invalid level": () => {
    const error = errOf(() =>
      fw.dualLevel(() =>
        fw.unpackDual(fw.makeDual(torch.tensor(X), torch.tensor(T)), { level: 3 }),
      ),
    );
    const plain = fw.dualLevel(() => fw.unpackDual(torch.tensor(X), { level: 3 }));
    return { error, plain: recOf(plain.primal), plain_tangent: recOf(plain.tangent) };
  },
  "exit without a level": () => ({ error: errOf(() => fw.exitDualLevel()) }),
  "exit another level": () => ({
    error: errOf(() => fw.dualLevel(() => fw.exitDualLevel({ level: 5 }))),
  }),
  levels: () => {
    const level = fw.enterDualLevel();
    fw.exitDualLevel({ level });
    return { enter: level, context: fw.dualLevel((l) => l) };
  },
  "unpack outside a level": () => {
    const x = torch.tensor(X);
    const up = fw.unpackDual(x);
    return { same: up.primal === x, tangent: recOf(up.tangent) };
  },
  "make_dual and unpack_dual": () =>
    fw.dualLevel(() => {
      const x = torch.tensor(X);
      const d = fw.makeDual(x, torch.tensor(T));
      const { primal: p, tangent: t } = fw.unpackDual(d);
      const { primal: q, tangent: u } = fw.unpackDual(x);
      return {
        repr: String(d),
        primal: recOf(p),
        tangent: recOf(t),
        primal_is_view_of_input: p._base === x,
        dual_is_view_of_input: d._base === x,
        input_tangent: tangentRec(x),
        plain_same: q === x,
        plain_tangent: recOf(u),
      };
    }),
  "tangents dropped on exit": () => {
    const { d, y, inside } = fw.dualLevel(() => {
      const d = fw.makeDual(torch.tensor(X), torch.tensor(T));
      const y = d.mul(d);
      return { d, y, inside: tangentRec(y) };
    });
    return { inside, after_y: tangentRec(y), after_d: tangentRec(d), repr: String(y) };
  },
  repr: () =>
    fw.dualLevel(() => ({
      vector: String(fw.makeDual(torch.ones(2), torch.ones(2).mul(0.1))),
      scalar: String(fw.makeDual(torch.tensor(0.1), torch.tensor(0.1))),
      "float64 requires grad": String(
        fw.makeDual(
          torch.tensor(0.1, { dtype: torch.float64, requiresGrad: true }),
          torch.tensor(0.1, f64),
        ),
      ),
      matrix: String(
        fw.makeDual(
          torch.ones([2, 3], { dtype: torch.float64, requiresGrad: true }),
          torch.arange(6, f64).reshape(2, 3),
        ),
      ),
      "op result": String(fw.makeDual(torch.tensor(X), torch.tensor(T)).exp()),
    })),
  "complex repr": () =>
    fw.dualLevel(() => {
      const z = fw.makeDual(cplx(ZC), cplx(TC));
      const j = (v: number): Tensor => torch.viewAsComplex(torch.tensor([0, v]));
      return {
        vector: String(z),
        sum: String(z.sum()),
        imaginary: String(
          z
            .select(0, 0)
            .mul(0)
            .add(fw.makeDual(j(1), j(2.5))),
        ),
        "negative zero imaginary part": String(
          fw.makeDual(cplx(ZC).select(0, 0), torch.viewAsComplex(torch.tensor([1, -0], f64))),
        ),
        "real part zero": String(z.select(0, 1).imag.mul(z.select(0, 1))),
      };
    }),
  "reverse mode names": () =>
    fw.dualLevel(() => {
      const xr = torch.tensor(X, { requiresGrad: true });
      const d = fw.makeDual(xr, torch.tensor(T));
      const z = d.exp();
      return {
        dual: d.gradFn?.name() ?? null,
        primal: fw.unpackDual(d).primal.gradFn?.name() ?? null,
        op: z.gradFn?.name() ?? null,
        tangent: tangentRec(z),
      };
    }),
  no_grad: () =>
    fw.dualLevel(() => {
      const d = fw.makeDual(torch.tensor(X), torch.tensor(T));
      const w = torch.noGrad(() => d.sin());
      return { tangent: tangentRec(w), requires_grad: w.requiresGrad };
    }),
  views: () =>
    fw.dualLevel(() => {
      const d = fw.makeDual(torch.tensor(X), torch.tensor(T));
      const m = fw.makeDual(torch.zeros(2, 3), torch.arange(6).float().reshape(2, 3));
      return {
        view: tangentRec(d.view(2, 1)),
        t: tangentRec(torch.arange(6).float().reshape(2, 3).add(m).t()),
        select: tangentRec(d.index(1)),
        detach: tangentRec(d.detach()),
      };
    }),
  functions: () =>
    fw.dualLevel(() => {
      const d3 = fw.makeDual(torch.tensor([1, 2, 3]), torch.tensor([1, -1, 2]));
      return {
        "sum of squares": tangentRec(d3.mul(d3).sum()),
        softmax: tangentRec(d3.softmax(0)),
        matmul: tangentRec(torch.ones(2, 3).matmul(d3)),
        cumsum: tangentRec(d3.cumsum(0)),
        norm: tangentRec(d3.norm()),
        max: tangentRec(d3.max()),
        where: tangentRec(torch.where(d3.gt(1.5), d3.mul(2), torch.zeros(3))),
        cat: tangentRec(torch.cat([d3, torch.ones(2)])),
        comparison: tangentRec(d3.gt(1)),
        argmax: tangentRec(d3.argmax()),
      };
    }),
  dtypes: () =>
    fw.dualLevel(() => {
      const d = fw.makeDual(torch.tensor(X), torch.tensor(T));
      return {
        double: tangentRec(d.double()),
        long: tangentRec(d.long()),
        "f32 dual + f64": tangentRec(d.add(torch.ones(2, f64))),
        broadcast: tangentRec(d.add(torch.ones(3, 2))),
      };
    }),
  "float64 tangent of a float32 primal": () =>
    fw.dualLevel(() => {
      const d64 = fw.makeDual(torch.tensor(X), torch.tensor(T, f64));
      return { tangent: tangentRec(d64), square: tangentRec(d64.mul(d64)) };
    }),
  "complex primal": () =>
    fw.dualLevel(() => {
      const z = fw.makeDual(cplx(ZC), cplx(TC));
      const realDual = fw.makeDual(torch.ones(2, f64), torch.tensor(T, f64));
      const fns: [string, (z: Tensor) => Tensor][] = [
        ["tangent", (z) => z],
        ["mul", (z) => z.mul(z)],
        ["exp", (z) => z.exp()],
        ["abs", (z) => z.abs()],
        ["angle", (z) => z.angle()],
        ["sgn", (z) => z.sgn()],
        ["conj", (z) => z.conj()],
        ["real", (z) => z.real],
        ["imag", (z) => z.imag],
        ["sum", (z) => z.sum()],
        ["mul by a real dual", (z) => z.mul(realDual)],
        ["fft", (z) => torch.fft.fft(z)],
        ["view_as_real", (z) => torch.viewAsReal(z)],
      ];
      return Object.fromEntries(fns.map(([name, f]) => [name, ctangentRec(f(z))]));
    }),
  "mixed real and complex tangents": () =>
    fw.dualLevel(() => ({
      "real tangent of a complex primal": ctangentRec(fw.makeDual(cplx(ZC), torch.tensor(T, f64))),
      "complex tangent of a real primal": ctangentRec(fw.makeDual(torch.tensor(X, f64), cplx(TC))),
    })),
  "tangent requiring grad": () =>
    fw.dualLevel(() => {
      const tt = torch.ones(2, { requiresGrad: true });
      const dd = fw.makeDual(torch.tensor(X), tt);
      const e = dd.exp();
      return {
        same: fw.unpackDual(dd).tangent === tt,
        dual_requires_grad: dd.requiresGrad,
        tangent: tangentRec(e),
        tangent_grad_fn: fw.unpackDual(e).tangent?.gradFn?.name() ?? null,
      };
    }),
  "in-place": () =>
    fw.dualLevel(() => {
      const d = fw.makeDual(torch.tensor(X), torch.tensor(T));
      const c = torch.zeros(2);
      c.add_(d);
      const first = tangentRec(c);
      c.mul_(2);
      const e = torch.zeros(3);
      e.index("1:").copy_(d);
      return { add_: first, mul_: tangentRec(c), "copy_ into a view": tangentRec(e) };
    }),
  "in-place aliasing": () =>
    fw.dualLevel(() => {
      const base = torch.tensor([1, 2, 3]);
      const dv = fw.makeDual(base, torch.tensor([1, 1, 1]));
      dv.mul_(2);
      const user = torch.ones(2);
      const du = fw.makeDual(torch.ones(2), user);
      du.mul_(3);
      const d3 = fw.makeDual(torch.ones(3), torch.ones(3));
      const view = d3.index("1:");
      d3.mul_(3);
      const viewAfterBase = tangentRec(view);
      view.add_(1);
      return {
        "base of a dual view": tangentRec(base),
        "dual view": tangentRec(dv),
        "user tangent": recOf(user),
        "view after base mul_": viewAfterBase,
        "base after view add_": tangentRec(d3),
        fill_: tangentRec(d3.clone().fill_(2)),
      };
    }),
  "forward over reverse": () =>
    fw.dualLevel(() => {
      const xp = torch.tensor([0.5, -1, 2], { dtype: torch.float64, requiresGrad: true });
      const vv = torch.tensor([1, 0.5, -2], f64);
      const xd = fw.makeDual(xp, vv);
      const f = xd.sin().mul(xd).sum().add(xd.mul(xd).prod());
      const [g] = torch.autograd.grad(f, xp, { createGraph: true }) as Tensor[];
      return { grad: recOf(g), hvp: tangentRec(g) };
    }),
};

test("every forward AD fixture has a scenario", () => {
  assert.deepEqual(Object.keys(scenarios).sort(), Object.keys(fixture.cases).sort());
});

for (const [name, want] of Object.entries(fixture.cases)) {
  test(`PyTorch: ${name}`, () => {
    const run = scenarios[name];
    assert.ok(run !== undefined, `no scenario for ${name}`);
    const got = run();
    assert.ok(!fw.isDualLevelActive(), "the scenario left a level active");
    const errs: string[] = [];
    for (const [key, w] of Object.entries(want)) {
      const g = got[key];
      const isRec = (v: unknown): v is Rec =>
        v !== null && typeof v === "object" && "shape" in (v as object);
      if (isRec(w) || isRec(g))
        errs.push(...sameRec(key, (g ?? null) as Rec | null, w as Rec | null));
      else if (JSON.stringify(g) !== JSON.stringify(w))
        errs.push(`${key}: got ${JSON.stringify(g)}, expected ${JSON.stringify(w)}`);
    }
    if (errs.length > 0) assert.fail(errs.join("\n"));
  });
}

// ---------------------------------------------------------------------------------------------
// 3. higher order

/** A small scalar function touching views, reductions and products. */
function scalarFn(x: Tensor): Tensor {
  const y = x.sin().mul(x.narrow(0, 1, 3).sum());
  return y.mul(y).sum().add(x.select(0, 0).exp().mul(x.norm())).add(x.softmax(0).dot(x));
}

function rand(n: number, seed: number): Tensor {
  torch.manualSeed(seed);
  return torch.randn(n, f64);
}

/** Hessian-vector product by reverse over reverse: grad(<grad f(x), v>). */
function hvpReverse(f: (x: Tensor) => Tensor, x0: Tensor, v: Tensor): number[] {
  const x = x0.detach().requiresGrad_();
  const [g] = torch.autograd.grad(f(x), x, { createGraph: true }) as Tensor[];
  const [h] = torch.autograd.grad(g.mul(v).sum(), x) as Tensor[];
  return flat(h);
}

function assertClose(got: number[], want: number[], tol = 1e-9): void {
  assert.equal(got.length, want.length);
  got.forEach((g, i) =>
    assert.ok(
      Math.abs(g - want[i]) <= tol * (1 + Math.abs(want[i])),
      `at ${i}: ${g} vs ${want[i]}\n  got  [${got}]\n  want [${want}]`,
    ),
  );
}

test("forward over reverse: Hessian-vector product equals reverse over reverse", () => {
  const x0 = rand(5, 1);
  const v = rand(5, 2);
  const want = hvpReverse(scalarFn, x0, v);
  for (const createGraph of [true, false]) {
    const got = fw.dualLevel(() => {
      const x = x0.detach().requiresGrad_();
      const xd = fw.makeDual(x, v);
      const [g] = torch.autograd.grad(scalarFn(xd), x, { createGraph }) as Tensor[];
      return flat(fw.unpackDual(g).tangent as Tensor);
    });
    assertClose(got, want);
  }
});

test("reverse over forward: the gradient of J·v is H·v", () => {
  const x0 = rand(5, 3);
  const v = rand(5, 4);
  const want = hvpReverse(scalarFn, x0, v);
  const x = x0.detach().requiresGrad_();
  const jv = fw.dualLevel(() => fw.unpackDual(scalarFn(fw.makeDual(x, v))).tangent as Tensor);
  assert.ok(jv.requiresGrad);
  const [h] = torch.autograd.grad(jv, x) as Tensor[];
  assertClose(flat(h), want);
});

test("Hessian by forward over reverse (jacfwd(jacrev)) and reverse over forward (jacrev(jacfwd))", () => {
  const f = (x: Tensor): Tensor => x.pow(3).mul(x.cumsum(0)).sum().add(x.exp().mul(x).prod());
  const n = 4;
  const x0 = rand(n, 5).mul(0.5);
  const basis = (j: number): Tensor => torch.zeros(n, f64).indexPut_([j], 1);
  const H = Array.from({ length: n }, (_, j) => hvpReverse(f, x0, basis(j)));
  for (let j = 0; j < n; j++) {
    const col = fw.dualLevel(() => {
      const x = x0.detach().requiresGrad_();
      const [g] = torch.autograd.grad(f(fw.makeDual(x, basis(j))), x, {
        createGraph: true,
      }) as Tensor[];
      return flat(fw.unpackDual(g).tangent as Tensor);
    });
    assertClose(col, H[j]);
    const x = x0.detach().requiresGrad_();
    const jv = fw.dualLevel(() => fw.unpackDual(f(fw.makeDual(x, basis(j)))).tangent as Tensor);
    assertClose(flat((torch.autograd.grad(jv, x) as Tensor[])[0]), H[j]);
  }
});

test("a tangent that requires grad: d<w, J·v>/dv = Jᵀw", () => {
  const x = rand(4, 6);
  const w = rand(4, 7);
  const g = (a: Tensor): Tensor => a.sin().mul(a.cumsum(0)).softmax(0);
  const v = rand(4, 8).requiresGrad_();
  const jv = fw.dualLevel(() => fw.unpackDual(g(fw.makeDual(x, v))).tangent as Tensor);
  const [dv] = torch.autograd.grad(jv.mul(w).sum(), v) as Tensor[];
  const xr = x.detach().requiresGrad_();
  const [want] = torch.autograd.grad(g(xr), xr, { gradOutputs: [w] }) as Tensor[];
  assertClose(flat(dv), flat(want));
});

test("double forward over reverse through select/narrow (embed's tangent)", () => {
  const f = (x: Tensor): Tensor =>
    x
      .select(0, 1)
      .mul(x.narrow(0, 0, 2).pow(2))
      .sum();
  const x0 = rand(3, 9).reshape(3);
  const v = rand(3, 10);
  const want = hvpReverse(f, x0, v);
  const got = fw.dualLevel(() => {
    const x = x0.detach().requiresGrad_();
    const [g] = torch.autograd.grad(f(fw.makeDual(x, v)), x, { createGraph: true }) as Tensor[];
    return flat(fw.unpackDual(g).tangent as Tensor);
  });
  assertClose(got, want);
});

// ---------------------------------------------------------------------------------------------
// 4. levels, guards and the helpers for custom functions

test("dualLevel as a `using` guard; tangents dropped on exit", () => {
  let y: Tensor;
  {
    using level = fw.dualLevel();
    assert.equal(level.level, 0);
    assert.ok(fw.isDualLevelActive());
    y = fw.makeDual(torch.tensor([1, 2]), torch.tensor([1, 1])).mul(3);
    assert.deepEqual(flat(fw.unpackDual(y).tangent as Tensor), [3, 3]);
  }
  assert.ok(!fw.isDualLevelActive());
  assert.equal(fw.unpackDual(y).tangent, null);
  assert.equal(String(y), "tensor([3., 6.])");
  // a new level does not see the old tangents
  fw.dualLevel(() => assert.equal(fw.unpackDual(y).tangent, null));
});

test("dualLevel exits on a throw and after an async function settles", async () => {
  assert.throws(
    () =>
      fw.dualLevel(() => {
        throw new Error("boom");
      }),
    /boom/,
  );
  assert.ok(!fw.isDualLevelActive());
  const p = fw.dualLevel(async () => {
    const d = fw.makeDual(torch.tensor([1]), torch.tensor([2]));
    await null;
    return fw.unpackDual(d.mul(d)).tangent;
  });
  assert.ok(fw.isDualLevelActive());
  const t = await p;
  assert.ok(!fw.isDualLevelActive());
  assert.deepEqual(flat(t as Tensor), [4]);
});

test("forward AD runs under noGrad and inferenceMode, and builds no graph there", () => {
  fw.dualLevel(() => {
    const x = torch.tensor([1, 2], { requiresGrad: true });
    const d = fw.makeDual(x, torch.tensor([1, 1]));
    const y = torch.noGrad(() => d.exp());
    assert.equal(y.gradFn, null);
    assertClose(flat(fw.unpackDual(y).tangent as Tensor), [Math.E, Math.exp(2)], 1e-6);
    const z = torch.inferenceMode(() => d.mul(2));
    assert.deepEqual(flat(fw.unpackDual(z).tangent as Tensor), [2, 2]);
  });
});

test("helpers for custom functions: getTangent, setTangent, noForwardGrad, anyTangent", () => {
  assert.throws(() => fw.setTangent(torch.ones(2), torch.ones(2)), /no level exists/);
  fw.dualLevel(() => {
    const x = torch.ones(2);
    assert.equal(fw.getTangent(x), null);
    assert.ok(!fw.anyTangent([x, null]));
    const t = torch.tensor([5, 6]);
    fw.setTangent(x, t);
    assert.equal(fw.getTangent(x), t);
    assert.ok(fw.hasTangent(x) && fw.anyTangent([null, x]));
    assert.throws(() => fw.setTangent(x, torch.ones(3)), /different size/);
    const y = fw.noForwardGrad(() => x.mul(2));
    assert.equal(fw.getTangent(y), null);
    assert.deepEqual(flat(fw.getTangent(x.mul(2)) as Tensor), [10, 12]);
    fw.setTangent(x, null);
    assert.equal(fw.getTangent(x), null);
  });
});

test("in-place ops on tangents with a graph replace them (the graph stays intact)", () => {
  const v = torch.ones(3, { requiresGrad: true });
  const tangent = fw.dualLevel(() => {
    const c = fw.makeDual(torch.tensor([1, 2, 3]), v).mul(1);
    c.mul_(torch.tensor([2, 3, 4]));
    c.narrow(0, 0, 2).add_(1); // a view of c: its own tangent, c's is not written into
    return fw.getTangent(c) as Tensor;
  });
  assert.deepEqual(flat(tangent), [2, 3, 4]);
  const [g] = torch.autograd.grad(tangent.mul(torch.tensor([1, 10, 100])).sum(), v) as Tensor[];
  assert.deepEqual(flat(g), [2, 30, 400]);
});

test("random fills zero the tangent, as PyTorch", () => {
  fw.dualLevel(() => {
    const t = torch.ones(3);
    const d = fw.makeDual(torch.ones(3), t);
    d.uniform_();
    assert.deepEqual(flat(fw.getTangent(d) as Tensor), [0, 0, 0]);
    assert.equal(fw.getTangent(d), t); // written in place
    const e = fw.makeDual(torch.ones(2), torch.ones(2)).mul(2);
    e.normal_();
    assert.deepEqual(flat(fw.getTangent(e) as Tensor), [0, 0]);
  });
});

test("no level: ops carry no tangents and makeDual fails", () => {
  assert.ok(!fw.isDualLevelActive());
  assert.throws(() => fw.makeDual(torch.ones(1), torch.ones(1)), /no level exists/);
  const x = torch.ones(2, { requiresGrad: true });
  const y = x.mul(2);
  assert.equal(y._fwGrad, null);
  assert.equal(y.gradFn?.name(), "MulBackward0");
});

test("non-contiguous primals: the tangent takes the primal's layout", () => {
  fw.dualLevel(() => {
    const p = torch.ones(2, 3).t();
    const d = fw.makeDual(p, torch.arange(6).float().reshape(3, 2));
    const t = fw.unpackDual(d).tangent as Tensor;
    assert.deepEqual(t.strides, p.strides);
    assert.deepEqual(t.tolist(), [
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    // as is when the layout matches
    const same = torch.ones(3, 2);
    assert.equal(fw.unpackDual(fw.makeDual(torch.zeros(3, 2), same)).tangent, same);
  });
});

test("README: Forward-mode AD example runs", () => {
  const out = runReadmeSection("Forward-mode AD").split("\n");
  const want = readme;
  assert.equal(out[0], want.dual);
  assert.equal(out[1], want.jvp);
  // the third line is Node's rendering of an array of numbers
  assert.deepEqual(JSON.parse(out[2].replace(/\s+/g, "")), want.hvp);
});
