/**
 * torch.distributions against real PyTorch 1.13 (test/fixtures/distributions.json, written by
 * scripts/fixtures/distributions_fx.py): reprs, shapes, validation errors, seeded samples,
 * rsample and log_prob gradients, cdf/icdf, moments, entropy, expand, enumerate_support, KL
 * divergences and constraints.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import {
  type Err,
  type FlatRec,
  closeValues,
  decodeNumber,
  fromFlatRec,
  readFixture,
} from "./helpers/fixtures.js";

const D = torch.distributions;
const T = torch.distributions.transforms;

interface TensorArg {
  t: FlatRec;
  grad: boolean;
}
interface TransformSpec {
  cls: string;
  transform: true;
  args?: Arg[];
  inv?: boolean;
}
interface DistSpec {
  cls: string;
  args: Arg[];
  kwargs: Record<string, Arg>;
}
type Arg = number | string | null | TensorArg | DistSpec | TransformSpec | Arg[];
type Attempt<V> = { ok: V } | { error: Err };
interface WithGrads {
  value: FlatRec;
  grads: (FlatRec | null)[];
}
interface Case {
  name: string;
  spec: DistSpec;
  seed?: number;
  sample_shape?: number[];
  value?: TensorArg;
  q?: TensorArg;
  expand_shape?: number[];
  touch?: string[];
  ctor_error?: Err;
  repr: string;
  batch_shape: number[];
  event_shape: number[];
  has_rsample: boolean;
  support: Attempt<string>;
  props: Record<string, Attempt<FlatRec>>;
  sample: Attempt<FlatRec>;
  rsample: Attempt<WithGrads>;
  log_prob?: Attempt<WithGrads>;
  cdf?: Attempt<FlatRec>;
  icdf?: Attempt<FlatRec>;
  expand?: Attempt<{
    batch_shape: number[];
    repr: string;
    sample: FlatRec;
    log_prob: FlatRec | null;
  }>;
  enumerate?: Attempt<[FlatRec, FlatRec]>;
  repr_after?: string;
}
interface KlCase {
  name: string;
  p: DistSpec;
  q: DistSpec;
  value?: FlatRec;
  error?: Err;
}
interface ConstraintCase {
  name: string;
  args: Arg[];
  value: string;
  repr: string;
  event_dim: number | null;
  is_discrete: boolean | null;
  check?: FlatRec;
  error?: Err;
}
interface TransformRec {
  repr: string;
  y: Attempt<FlatRec>;
  inv: Attempt<FlatRec>;
  ladj: Attempt<FlatRec>;
  domain: Attempt<string>;
  codomain: Attempt<string>;
  bijective: Attempt<boolean>;
  forward_shape: Attempt<number[]>;
  inverse_shape: Attempt<number[]>;
}
interface TransformCase extends TransformRec {
  spec: TransformSpec;
  x: TensorArg;
}
interface RegistryCase {
  name: string;
  args: Arg[];
  x: TensorArg;
  biject_to: TransformRec | { error: Err };
  transform_to: TransformRec | { error: Err };
}
interface Fixture {
  torch: string;
  cases: Case[];
  kl: KlCase[];
  constraints: { values: Record<string, TensorArg>; cases: ConstraintCase[] };
  transforms: TransformCase[];
  registry: RegistryCase[];
}

const fx = readFixture<Fixture>("distributions.json");

/** float32 results of transcendental chains agree with PyTorch's to a few ulps */
const RTOL = 2e-5;

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

type Ctor = new (...args: unknown[]) => torch.distributions.Distribution;
type TransformCtor = new (...args: unknown[]) => torch.distributions.transforms.Transform;

function isTensorArg(a: Arg): a is TensorArg {
  return typeof a === "object" && a !== null && "t" in a;
}
function isTransformSpec(a: Arg): a is TransformSpec {
  return typeof a === "object" && a !== null && "transform" in a;
}
function isDistSpec(a: Arg): a is DistSpec {
  return typeof a === "object" && a !== null && "cls" in a && !("transform" in a);
}

/** A fixture argument as the TypeScript call takes it; tensors requiring grad go to `leaves`. */
function build(a: Arg, leaves: Tensor[]): unknown {
  if (Array.isArray(a)) return a.map((x) => build(x, leaves));
  if (isTensorArg(a)) {
    const t = fromFlatRec(a.t, a.grad);
    if (a.grad) leaves.push(t);
    return t;
  }
  if (isTransformSpec(a)) {
    const C = (T as unknown as Record<string, TransformCtor>)[a.cls];
    const t = new C(...(a.args ?? []).map((x) => build(x, leaves)));
    return a.inv ? t.inv : t;
  }
  if (isDistSpec(a)) return make(a, leaves);
  return a;
}

/** new D[cls](...args, { camelCased kwargs }) */
function make(spec: DistSpec, leaves: Tensor[]): torch.distributions.Distribution {
  const C = (D as unknown as Record<string, Ctor>)[spec.cls];
  const args = spec.args.map((a) => build(a, leaves));
  const kw = Object.entries(spec.kwargs);
  if (kw.length > 0)
    args.push(Object.fromEntries(kw.map(([k, v]) => [camel(k), build(v, leaves)])));
  return new C(...args);
}

/** A tensor equals a flat record: shape, dtype, values. */
function expectFlat(t: unknown, r: FlatRec, what: string, rtol = RTOL): void {
  assert.ok(t instanceof torch.Tensor, `${what}: expected a tensor`);
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  closeValues(t.detach().reshape(-1).tolist(), r.values.map(decodeNumber), rtol, what);
}

/** `fn` throws PyTorch's error: the same class name and message. */
function expectError(fn: () => unknown, e: Err, what: string): void {
  assert.throws(
    fn,
    (err: unknown) => {
      assert.ok(err instanceof Error, `${what}: expected an Error`);
      assert.equal(err.name, e.type, `${what}: error type (${err.message})`);
      assert.equal(err.message, e.message, `${what}: message`);
      return true;
    },
    `${what}: expected ${e.type}: ${e.message}`,
  );
}

/** Runs `fn` and checks it against an Attempt (a value compared by `check`, or an error). */
function expectAttempt<V>(
  fn: () => unknown,
  a: Attempt<V>,
  what: string,
  check: (got: unknown, want: V) => void,
): void {
  if ("error" in a) return expectError(fn, a.error, what);
  check(fn(), a.ok);
}

function expectGrads(leaves: Tensor[], grads: (FlatRec | null)[], what: string): void {
  assert.equal(leaves.length, grads.length, `${what}: leaves`);
  leaves.forEach((l, i) => {
    const g = grads[i];
    if (g === null) assert.equal(l.grad, null, `${what}: grad ${i} should be None`);
    else expectFlat(l.grad, g, `${what}: grad ${i}`);
  });
}

const clearGrads = (leaves: Tensor[]): void => leaves.forEach((l) => (l.grad = null));

test("fixture covers the requested ground", () => {
  const classes = new Set(fx.cases.map((c) => c.spec.cls));
  for (const c of [
    "Normal",
    "Uniform",
    "Bernoulli",
    "Categorical",
    "OneHotCategorical",
    "Exponential",
    "Laplace",
    "Cauchy",
    "LogNormal",
    "Geometric",
    "MultivariateNormal",
    "Independent",
    "TransformedDistribution",
    "Gamma",
    "Chi2",
    "StudentT",
    "Poisson",
    "Dirichlet",
    "Beta",
    "Binomial",
    "Multinomial",
    "ContinuousBernoulli",
    "MixtureSameFamily",
    "Kumaraswamy",
    "LogisticNormal",
    "LowRankMultivariateNormal",
    "VonMises",
    "LKJCholesky",
    "Wishart",
  ])
    assert.ok(classes.has(c), c);
  assert.ok(fx.kl.length >= 25);
});

for (const c of fx.cases) {
  test(`matches torch: ${c.name}`, () => {
    const leaves: Tensor[] = [];
    if (c.ctor_error) {
      expectError(() => make(c.spec, leaves), c.ctor_error, "constructor");
      return;
    }
    const d = make(c.spec, leaves);
    assert.equal(String(d), c.repr, "repr");
    assert.deepEqual([...d.batchShape], c.batch_shape, "batchShape");
    assert.deepEqual([...d.eventShape], c.event_shape, "eventShape");
    assert.equal(d.hasRsample, c.has_rsample, "hasRsample");
    expectAttempt(
      () => String(d.support),
      c.support,
      "support",
      (g, w) => assert.equal(g, w, "support"),
    );
    const props: Record<string, () => unknown> = {
      mean: () => d.mean,
      mode: () => d.mode,
      variance: () => d.variance,
      stddev: () => d.stddev,
      entropy: () => d.entropy(),
      perplexity: () => d.perplexity(),
    };
    for (const [k, fn] of Object.entries(props)) {
      expectAttempt(fn, c.props[k], k, (g, w) => expectFlat(g, w, k));
    }
    const shape = c.sample_shape ?? [];
    const seed = c.seed ?? 0;
    expectAttempt(
      () => {
        torch.manualSeed(seed);
        return d.sample(shape);
      },
      c.sample,
      "sample",
      (g, w) => {
        expectFlat(g, w, "sample");
        assert.equal((g as Tensor).requiresGrad, false, "sample requires no grad");
      },
    );
    expectAttempt(
      () => {
        clearGrads(leaves);
        torch.manualSeed(seed);
        const x = d.rsample(shape);
        if (x.requiresGrad) x.sum().backward();
        return x;
      },
      c.rsample,
      "rsample",
      (g, w) => {
        expectFlat(g, w.value, "rsample");
        expectGrads(leaves, w.grads, "rsample");
      },
    );
    const value = c.value;
    if (value && c.log_prob) {
      expectAttempt(
        () => {
          clearGrads(leaves);
          const y = d.logProb(build(value, []) as Tensor);
          if (y.requiresGrad) y.sum().backward();
          return y;
        },
        c.log_prob,
        "logProb",
        (g, w) => {
          expectFlat(g, w.value, "logProb");
          expectGrads(leaves, w.grads, "logProb");
        },
      );
    }
    if (value && c.cdf) {
      expectAttempt(
        () => d.cdf(build(value, []) as Tensor),
        c.cdf,
        "cdf",
        (g, w) => expectFlat(g, w, "cdf"),
      );
    }
    const q = c.q;
    if (q && c.icdf) {
      expectAttempt(
        () => d.icdf(build(q, []) as Tensor),
        c.icdf,
        "icdf",
        (g, w) => expectFlat(g, w, "icdf"),
      );
    }
    const expandShape = c.expand_shape;
    if (expandShape && c.expand) {
      expectAttempt(
        () => {
          const e = d.expand(expandShape);
          torch.manualSeed(seed);
          const s = e.sample();
          const lp = value ? e.logProb(build(value, []) as Tensor) : null;
          return { e, s, lp };
        },
        c.expand,
        "expand",
        (g, w) => {
          const { e, s, lp } = g as {
            e: torch.distributions.Distribution;
            s: Tensor;
            lp: Tensor | null;
          };
          assert.deepEqual([...e.batchShape], w.batch_shape, "expand batchShape");
          assert.equal(String(e), w.repr, "expand repr");
          expectFlat(s, w.sample, "expand sample");
          if (w.log_prob) expectFlat(lp, w.log_prob, "expand logProb");
        },
      );
    }
    if (c.enumerate) {
      expectAttempt(
        () => [d.enumerateSupport(), d.enumerateSupport(false)],
        c.enumerate,
        "enumerateSupport",
        (g, w) => {
          const [a, b] = g as Tensor[];
          expectFlat(a, w[0], "enumerateSupport");
          expectFlat(b, w[1], "enumerateSupport(false)");
        },
      );
    } else {
      assert.equal(d.hasEnumerateSupport, false, "hasEnumerateSupport");
    }
    if (c.touch && c.repr_after !== undefined) {
      const dict = d as unknown as Record<string, unknown>;
      for (const name of c.touch) void dict[camel(name)];
      assert.equal(String(d), c.repr_after, "repr after reading the lazy parameters");
    }
  });
}

for (const k of fx.kl) {
  test(`klDivergence matches torch: ${k.name}`, () => {
    const p = make(k.p, []);
    const q = make(k.q, []);
    if (k.error) expectError(() => D.klDivergence(p, q), k.error, "klDivergence");
    else expectFlat(D.klDivergence(p, q), k.value as FlatRec, "klDivergence");
  });
}

const CONSTRAINTS = D.constraints as unknown as Record<string, unknown>;

for (const c of fx.constraints.cases) {
  test(`constraint matches torch: ${c.name}(${c.args.map((a) => JSON.stringify(a).slice(0, 20)).join(", ")})`, () => {
    let con = CONSTRAINTS[camel(c.name)] as torch.distributions.constraints.Constraint;
    if (c.name === "independent") {
      const base = CONSTRAINTS[c.args[0] as string] as torch.distributions.constraints.Constraint;
      con = D.constraints.independent(base, c.args[1] as number);
    } else if (c.args.length > 0) {
      const f = con as unknown as (...a: unknown[]) => torch.distributions.constraints.Constraint;
      con = f(...c.args.map((a) => build(a, [])));
    }
    assert.equal(String(con), c.repr, "repr");
    if (c.event_dim !== null) assert.equal(con.eventDim, c.event_dim, "eventDim");
    if (c.is_discrete !== null) assert.equal(con.isDiscrete, c.is_discrete, "isDiscrete");
    const value = build(fx.constraints.values[c.value], []) as Tensor;
    if (c.error) expectError(() => con.check(value), c.error, "check");
    else expectFlat(con.check(value), c.check as FlatRec, "check", 0);
  });
}

/** A transform's behaviour against its record. */
function expectTransform(
  t: torch.distributions.transforms.Transform,
  x: Tensor,
  r: TransformRec,
): void {
  assert.equal(String(t), r.repr, "repr");
  const eq = (g: unknown, w: unknown): void => assert.deepEqual(g, w);
  expectAttempt(
    () => t.call(x),
    r.y,
    "call",
    (g, w) => expectFlat(g, w, "call"),
  );
  expectAttempt(
    () => t.inv.call(t.call(x)),
    r.inv,
    "inv",
    (g, w) => expectFlat(g, w, "inv"),
  );
  expectAttempt(
    () => t.logAbsDetJacobian(x, t.call(x)),
    r.ladj,
    "logAbsDetJacobian",
    (g, w) => expectFlat(g, w, "logAbsDetJacobian"),
  );
  expectAttempt(() => String(t.domain), r.domain, "domain", eq);
  expectAttempt(() => String(t.codomain), r.codomain, "codomain", eq);
  expectAttempt(() => t.bijective, r.bijective, "bijective", eq);
  expectAttempt(
    () => t.forwardShape(x.shape),
    r.forward_shape,
    "forwardShape",
    (g, w) => assert.deepEqual([...(g as number[])], w),
  );
  expectAttempt(
    () => t.inverseShape(t.call(x).shape),
    r.inverse_shape,
    "inverseShape",
    (g, w) => assert.deepEqual([...(g as number[])], w),
  );
}

for (const c of fx.transforms) {
  test(`transform matches torch: ${c.repr.replace(/\s+/g, " ")} (${c.spec.cls})`, () => {
    const t = build(c.spec, []) as torch.distributions.transforms.Transform;
    expectTransform(t, build(c.x, []) as Tensor, c);
  });
}

for (const c of fx.registry) {
  test(`bijectTo / transformTo match torch: ${c.name}(${c.args.length} args)`, () => {
    let con = CONSTRAINTS[camel(c.name)] as torch.distributions.constraints.Constraint;
    if (c.args.length > 0) {
      const f = con as unknown as (...a: unknown[]) => torch.distributions.constraints.Constraint;
      con = f(...c.args.map((a) => build(a, [])));
    }
    const x = build(c.x, []) as Tensor;
    for (const [reg, r] of [
      [D.bijectTo, c.biject_to],
      [D.transformTo, c.transform_to],
    ] as const) {
      if ("error" in r) expectError(() => reg.call(con), r.error, "registry");
      else expectTransform(reg.call(con), x, r);
    }
  });
}

test("Distribution.setDefaultValidateArgs turns the checks off and on", () => {
  D.Distribution.setDefaultValidateArgs(false);
  try {
    const d = new D.Normal(torch.tensor([0]), torch.tensor([-1]));
    assert.equal(String(d), "Normal(loc: tensor([0.]), scale: tensor([-1.]))");
  } finally {
    D.Distribution.setDefaultValidateArgs(true);
  }
  const bad = fx.cases.find((c) => c.name === "Normal bad scale") as Case;
  expectError(() => make(bad.spec, []), bad.ctor_error as Err, "validation back on");
});

test("registerKl: a subclass falls back to its base's pair, and its own registration wins", () => {
  class MyNormal extends D.Normal {}
  const rec = fx.kl.find((k) => k.name === "Normal Normal") as KlCase;
  const p = make(rec.p, []);
  const q = make(rec.q, []);
  const mine = new MyNormal(p.mean, p.stddev);
  // most specific registered pair: (Normal, Normal), as PyTorch's dispatch finds it
  expectFlat(D.klDivergence(mine, q), rec.value as FlatRec, "klDivergence(MyNormal, Normal)");
  D.registerKl(MyNormal, D.Normal, (a) => torch.zerosLike(a.mean));
  assert.deepEqual(D.klDivergence(mine, q).tolist(), [0, 0]);
  assert.throws(
    () => D.registerKl(Object as never, D.Normal, () => torch.zeros(1)),
    /Expected type_p to be a Distribution subclass/,
  );
});

test("a user subclass passes its shapes to the base constructor, as in PyTorch", () => {
  class Flat extends D.Distribution {
    constructor() {
      super([2], [3]);
    }
  }
  const f = new Flat();
  assert.deepEqual([...f.batchShape], [2]);
  assert.deepEqual([...f.eventShape], [3]);
});

test("a subclass without argConstraints or support validates nothing and warns, as PyTorch", () => {
  class Bare extends D.Distribution {
    constructor() {
      super([2]);
      this.init([2], [], true);
    }
    override logProb(value: Tensor): Tensor {
      this.validateSample(value);
      return value;
    }
  }
  const warn = console.warn;
  const seen: string[] = [];
  console.warn = (m: string) => void seen.push(m);
  try {
    const b = new Bare();
    b.logProb(torch.zeros(2));
  } finally {
    console.warn = warn;
  }
  assert.equal(seen.length, 2);
  assert.match(seen[0], /does not define `arg_constraints`/);
  assert.match(seen[1], /does not define `support` to enable sample validation/);
});
