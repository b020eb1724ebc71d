/**
 * torch.nn.init's trunc_normal_, orthogonal_, dirac_, sparse_ and the deprecated names without
 * the underscore against PyTorch 1.13 (test/fixtures/nninit.json, made by
 * scripts/fixtures/nninit_fx.py): the values after the same seed (float32 tolerance: erfinv and
 * the QR factorisation round differently from PyTorch's kernels in the last bits), the warnings
 * and the errors. test/nn.test.ts covers the other initialisers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { decodeNumber, readFixture, type NonFinite } from "./helpers/fixtures.js";

const init = torch.nn.init;

interface Rec {
  shape: number[];
  dtype: "float32" | "float64";
  values: (number | NonFinite)[];
}
interface Case {
  name: string;
  seed: number;
  shape: number[];
  out: Rec;
  warnings: string[];
}
interface Fixture {
  fns: Case[];
  deprecated: Case[];
  errors: Record<string, { type: string; message: string }>;
}

const FX = readFixture<Fixture>("nninit.json");

/** Each case's call, as nninit_fx.py makes it. */
const FNS: Record<string, (t: Tensor) => Tensor> = {
  trunc_normal: (t) => init.truncNormal_(t),
  trunc_normal_std: (t) => init.truncNormal_(t, { std: 0.02 }),
  trunc_normal_args: (t) => init.truncNormal_(t, 0.5, 2.0, -1.0, 3.0),
  trunc_normal_narrow: (t) => init.truncNormal_(t, { mean: 1.0, a: 0.9, b: 1.2 }),
  trunc_normal_f64: (t) => init.truncNormal_(t.double(), 0.0, 0.5),
  trunc_normal_far_mean: (t) => init.truncNormal_(t, { mean: 5.0, std: 1.0 }),
  trunc_normal_far_below: (t) => init.truncNormal_(t, -10.0, 2.0, -2.0, 2.0),
  orthogonal: (t) => init.orthogonal_(t),
  orthogonal_wide: (t) => init.orthogonal_(t),
  orthogonal_square_gain: (t) => init.orthogonal_(t, { gain: 2.0 }),
  orthogonal_conv: (t) => init.orthogonal_(t),
  orthogonal_row: (t) => init.orthogonal_(t),
  orthogonal_col: (t) => init.orthogonal_(t),
  orthogonal_big: (t) => init.orthogonal_(t),
  orthogonal_big_wide: (t) => init.orthogonal_(t, 0.5),
  orthogonal_f64: (t) => init.orthogonal_(t.double()),
  orthogonal_empty: (t) => init.orthogonal_(t),
  dirac_3d: (t) => init.dirac_(t),
  dirac_4d: (t) => init.dirac_(t),
  dirac_5d: (t) => init.dirac_(t),
  dirac_groups: (t) => init.dirac_(t, 2),
  dirac_groups3: (t) => init.dirac_(t, { groups: 3 }),
  sparse: (t) => init.sparse_(t, 0.1),
  sparse_half: (t) => init.sparse_(t, 0.5, { std: 0.1 }),
  sparse_most: (t) => init.sparse_(t, { sparsity: 0.9 }),
  sparse_none: (t) => init.sparse_(t, 0.0),
  sparse_big: (t) => init.sparse_(t, 0.3),
  uniform_kw: (t) => init.uniform_(t, { b: 0.5 }),
  uniform_a_kw: (t) => init.uniform_(t, -2.0, { b: -1.0 }),
  normal_kw: (t) => init.normal_(t, { std: 0.1 }),
  constant_kw: (t) => init.constant_(t, { val: -1.5 }),
  xavier_uniform_kw: (t) => init.xavierUniform_(t, { gain: 0.5 }),
  xavier_normal_kw: (t) => init.xavierNormal_(t, { gain: 3.0 }),
};

const DEPRECATED: Record<string, (t: Tensor) => Tensor> = {
  uniform: (t) => init.uniform(t, -0.3, 0.7),
  normal: (t) => init.normal(t, 0.5, 2.0),
  constant: (t) => init.constant(t, 0.25),
  eye: (t) => init.eye(t),
  dirac: (t) => init.dirac(t),
  xavier_uniform: (t) => init.xavierUniform(t),
  xavier_normal: (t) => init.xavierNormal(t, 2.0),
  kaiming_uniform: (t) => init.kaimingUniform(t),
  kaiming_normal: (t) => init.kaimingNormal(t, { mode: "fan_out" }),
  orthogonal: (t) => init.orthogonal(t),
  sparse: (t) => init.sparse(t, 0.5),
};

const ERRORS: Record<string, () => unknown> = {
  dirac_2d: () => init.dirac_(torch.empty(3, 4)),
  dirac_6d: () => init.dirac_(torch.empty(1, 1, 1, 1, 1, 1)),
  dirac_groups: () => init.dirac_(torch.empty(5, 2, 3), 2),
  orthogonal_1d: () => init.orthogonal_(torch.empty(4)),
  sparse_3d: () => init.sparse_(torch.empty(2, 3, 4), 0.5),
  sparse_1d: () => init.sparse_(torch.empty(4), 0.5),
};

/** fn() with console.warn captured: its result and the warnings (without "UserWarning: "). */
function capture<T>(fn: () => T): [T, string[]] {
  const seen: string[] = [];
  const orig = console.warn;
  console.warn = (...a: unknown[]) => void seen.push(a.map(String).join(" "));
  try {
    return [fn(), seen.map((m) => m.replace(/^UserWarning: /, ""))];
  } finally {
    console.warn = orig;
  }
}

/**
 * The cases whose uniform samples lie near -1, where erfinv's slope (sqrt(pi)/2 e^(x^2)) turns
 * the last-bit difference of float32 erfinv (PyTorch's calc_erfinv takes its Newton steps in
 * float, tensorgrad's in double) into ~1e-5.
 */
const TAIL = new Set(["trunc_normal_far_mean", "trunc_normal_far_below"]);

function close(actual: Tensor, expected: Rec, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  assert.equal(actual.dtype.name, expected.dtype, `${what}: dtype`);
  const a = (actual.contiguous().reshape(-1).tolist() as number[]).map(Number);
  const e = expected.values.map(decodeNumber);
  // float32: a few ulps of the values (|x| <= ~4); float64: 1e-12
  const tol = expected.dtype === "float32" ? (TAIL.has(what) ? 2e-5 : 2e-6) : 1e-12;
  assert.equal(a.length, e.length, `${what}: numel`);
  for (let i = 0; i < e.length; i++)
    if (!(a[i] === e[i] || Math.abs(a[i] - e[i]) <= tol * (1 + Math.abs(e[i]))))
      assert.fail(`${what}[${i}]: ${a[i]} vs PyTorch ${e[i]}`);
}

function runCase(c: Case, fn: (t: Tensor) => Tensor): void {
  torch.manualSeed(c.seed);
  const [out, warned] = capture(() => fn(torch.empty(c.shape)));
  close(out, c.out, c.name);
  assert.deepEqual(warned, c.warnings, `${c.name}: warnings`);
}

for (const c of FX.fns) {
  test(`nn.init: ${c.name} after manualSeed`, () => runCase(c, FNS[c.name]));
}

for (const c of FX.deprecated) {
  test(`nn.init (deprecated): ${c.name} warns and fills as the underscored one`, () =>
    runCase(c, DEPRECATED[c.name]));
}

test("nn.init: the deprecated names are named as PyTorch's", () => {
  for (const c of FX.deprecated) {
    const camel = c.name.replace(/_([a-z])/g, (_m, ch: string) => ch.toUpperCase());
    assert.equal((init as unknown as Record<string, () => void>)[camel].name, camel);
  }
});

test("nn.init: errors in PyTorch's words", () => {
  for (const [name, e] of Object.entries(FX.errors)) {
    assert.throws(ERRORS[name], (err: Error) => {
      assert.equal(err.name, e.type, name);
      assert.equal(err.message, e.message, name);
      return true;
    });
  }
});

test("nn.init: the new initialisers do not record, return their tensor, keep requires_grad", () => {
  const w = torch.empty(4, 3, 3, { requiresGrad: true });
  for (const f of [() => init.truncNormal_(w), () => init.orthogonal_(w), () => init.dirac_(w)]) {
    assert.equal(f(), w);
    assert.equal(w.gradFn, null);
    assert.equal(w.requiresGrad, true);
  }
  const m = torch.empty(5, 4, { requiresGrad: true });
  assert.equal(init.sparse_(m, 0.5), m);
  assert.equal(m.gradFn, null);
});

test("nn.init: argument binding (options objects, Python's TypeErrors)", () => {
  assert.throws(
    () => init.truncNormal_(torch.empty(2), 0, { mean: 1 }),
    /trunc_normal_\(\) got multiple values for argument 'mean'/,
  );
  assert.throws(
    () => init.truncNormal_(torch.empty(2), { sd: 1 } as never),
    /trunc_normal_\(\) got an unexpected keyword argument 'sd'/,
  );
  assert.throws(
    () => init.sparse_(torch.empty(2, 2), {}),
    /sparse_\(\) missing 1 required positional argument: 'sparsity'/,
  );
  assert.throws(
    () => init.constant_(torch.empty(2), {} as { val: number }),
    /constant_\(\) missing 1 required positional argument: 'val'/,
  );
  assert.throws(
    () => init.uniform_(torch.empty(2), 0, { a: 1 } as { b?: number }),
    /uniform_\(\) got multiple values for argument 'a'/,
  );
});
