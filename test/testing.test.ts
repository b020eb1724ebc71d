/**
 * torch.testing.assertClose and the deprecated assertAllclose against PyTorch 1.13's
 * assert_close / assert_allclose (test/fixtures/testing.json, made by
 * scripts/fixtures/testing_fx.py): which calls pass, and the type and exact message of the
 * error of those that fail, and the warnings. Python floats are JS numbers, Python ints bigints.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { decodeNumber, readFixture, type NonFinite } from "./helpers/fixtures.js";

interface Case {
  name: string;
  error: { type: string; message: string } | null;
  warnings: string[];
}
interface MakeCase {
  name: string;
  seed: number;
  shape: number[];
  dtype: string;
  values: (number | NonFinite)[];
  strides: number[];
  requires_grad: boolean;
  after: number[];
}
const FX = readFixture<{ cases: Case[]; make_tensor: MakeCase[] }>("testing.json");

const { assertClose, assertAllclose, makeTensor } = torch.testing;
const T = (v: unknown, dtype?: torch.DType): Tensor =>
  torch.tensor(v as number[], dtype === undefined ? {} : { dtype });
const F64 = torch.float64;
const I64 = torch.int64;
const idx = (...i: number[]): Tensor => torch.tensor(i, { dtype: I64 });
const arange = (n: number): Tensor => torch.arange(n, { dtype: torch.float32 });

function stridedPair(): [Tensor, Tensor] {
  return [torch.zeros(2, 3), torch.zeros(3, 2).t()];
}

/** Each case's call, as testing_fx.py makes it. */
const CASES: Record<string, () => void> = {
  equal_f32: () => assertClose(T([1, 2, 3]), T([1, 2, 3])),
  close_f32: () => assertClose(T([1, 2, 3]), T([1, 2, 3.00001])),
  mismatch_one: () => assertClose(T([1, 2, 3]), T([1, 2, 3.1])),
  mismatch_two: () => assertClose(T([1, 4, 5]), T([1, 2, 3])),
  mismatch_2d: () =>
    assertClose(
      T([
        [0.5, -1.25, 3],
        [2, 0, 7.5],
      ]),
      T([
        [0.5, -1, 3],
        [2.5, 1e-3, 7.5],
      ]),
    ),
  mismatch_zero_expected: () => assertClose(T([1, 0.5]), T([1, 0])),
  mismatch_equality: () => assertClose(T([1, 2, 3]), T([1, 2, 3.00001]), { rtol: 0, atol: 0 }),
  mismatch_tols: () => assertClose(T([1, 2, 3]), T([1, 2.2, 3]), { rtol: 0.01, atol: 0.05 }),
  pass_tols: () => assertClose(T([1, 2, 3]), T([1, 2.02, 3]), { rtol: 0.01, atol: 0 }),
  mismatch_f64: () => assertClose(T([1, 2], F64), T([1, 2.0000003], F64)),
  pass_f64: () => assertClose(T([1, 2], F64), T([1, 2.0000001], F64)),
  mismatch_int: () => assertClose(T([1, 2, 3], I64), T([1, 2, 4], I64)),
  mismatch_int_neg: () =>
    assertClose(
      T(
        [
          [5, -7],
          [3, 0],
        ],
        I64,
      ),
      T(
        [
          [5, 2],
          [3, 3],
        ],
        I64,
      ),
    ),
  mismatch_int32: () => assertClose(T([10, 20], torch.int32), T([10, 23], torch.int32)),
  mismatch_bool: () => assertClose(T([true, false, true]), T([true, true, true])),
  mismatch_0d: () => assertClose(T(1.5), T(1.25)),
  mismatch_0d_int: () => assertClose(T(3, I64), T(5, I64)),
  mismatch_0d_zero: () => assertClose(T(1), T(0)),
  nan_default: () => assertClose(T(NaN), T(NaN)),
  nan_equal: () => assertClose(T([1, NaN]), T([1, NaN]), { equalNan: true }),
  nan_vector: () => assertClose(T([1, NaN, 2]), T([1, NaN, 2])),
  nan_one_side: () => assertClose(T([1, NaN, 5]), T([1, 2, 3])),
  inf_equal: () => assertClose(T([Infinity, -Infinity]), T([Infinity, -Infinity])),
  inf_mismatch: () => assertClose(T([Infinity, 1]), T([-Infinity, 1])),
  inf_vs_finite: () => assertClose(T([1, Infinity]), T([1, 1e30])),
  many_one_of_16: () => assertClose(arange(16), arange(16).indexFill(0, idx(9), 100)),
  many_ties: () => assertClose(T([0, 2, 0, 2]), T([1, 1, 1, 1])),
  many_3d: () =>
    assertClose(
      arange(24).reshape(2, 3, 4).div(7),
      arange(24).reshape(2, 3, 4).div(7).indexFill(2, idx(1, 3), 0.5),
    ),
  f16: () => assertClose(T([1, 2], torch.float16), T([1, 2.01], torch.float16)),
  f16_pass: () => assertClose(T([1, 2], torch.float16), T([1, 2.001], torch.float16)),
  complex_pass: () =>
    assertClose(
      torch.complex(T([1, 2]), T([0.5, -1])),
      torch.complex(T([1, 2]), T([0.5, -1.000001])),
    ),
  complex_mismatch: () =>
    assertClose(torch.complex(T([1, 2]), T([0.5, -1])), torch.complex(T([1, 2.5]), T([0.5, 1]))),
  complex_0d: () => assertClose(torch.complex(T(1), T(2)), torch.complex(T(1), T(2.5))),
  complex_f64: () =>
    assertClose(torch.complex(T([3], F64), T([4], F64)), torch.complex(T([3], F64), T([4.1], F64))),
  shape: () => assertClose(T([1, 2]), T([[1, 2]])),
  dtype: () => assertClose(T([1, 2]), T([1, 2], F64)),
  dtype_unchecked: () => assertClose(T([1, 2]), T([1, 2], F64), { checkDtype: false }),
  dtype_unchecked_mismatch: () => assertClose(T([1, 2]), T([1, 2.5], F64), { checkDtype: false }),
  dtype_int_float_unchecked: () => assertClose(T([1, 2], I64), T([1, 2.5]), { checkDtype: false }),
  stride_unchecked: () => assertClose(...stridedPair()),
  stride_checked: () => assertClose(...stridedPair(), { checkStride: true }),
  stride_checked_same: () =>
    assertClose(torch.zeros(2, 3), torch.ones(2, 3).mul(0), { checkStride: true }),
  layout_checked: () => assertClose(T([1]), T([1]), { checkLayout: true, checkDevice: true }),
  only_rtol: () => assertClose(T([1]), T([1]), { rtol: 0.1 }),
  only_atol: () => assertClose(T([1]), T([1]), { atol: 0.1 }),
  msg_str: () =>
    assertClose(T([1, 4, 5]), T([1, 2, 3]), { msg: "Argh, the tensors are not close!" }),
  msg_fn: () => assertClose(T([1, 4, 5]), T([1, 2, 3]), { msg: (m) => `Header\n\n${m}\n\nFooter` }),
  msg_fn_nested: () =>
    assertClose([T([1]), T([2])], [T([1]), T([3])], { msg: (m) => m.toUpperCase() }),
  parameter: () => assertClose(new torch.nn.Parameter(T([1, 2])), T([1, 2])),
  parameter_no_subclasses: () =>
    assertClose(new torch.nn.Parameter(T([1, 2])), T([1, 2]), { allowSubclasses: false }),
  tensor_vs_float: () => assertClose(T(1), 1.0),
  list_vs_tensor: () => assertClose([1.0, 2.0], T([1, 2])),
  str_vs_str: () => assertClose("a", "a"),
  float_close: () => assertClose(1.0, 1.0 + 1e-8),
  float_mismatch: () => assertClose(1.0, 1.1),
  float_zero: () => assertClose(1e-9, 0.0),
  float_equality: () => assertClose(1e-9, 1e-10, { rtol: 0, atol: 0 }),
  float_tols: () => assertClose(1.0, 1.5, { rtol: 0.1, atol: 0.2 }),
  float_nan: () => assertClose(NaN, NaN),
  float_nan_equal: () => assertClose(NaN, NaN, { equalNan: true }),
  float_inf: () => assertClose(Infinity, Infinity),
  float_inf_mismatch: () => assertClose(Infinity, -Infinity),
  int_equal: () => assertClose(3n, 3n),
  int_mismatch: () => assertClose(1n, 2n),
  int_zero: () => assertClose(7n, 0n),
  int_float: () => assertClose(1n, 1.0),
  int_float_unchecked: () => assertClose(1n, 1.0, { checkDtype: false }),
  int_float_unchecked_mismatch: () => assertClose(2n, 1.5, { checkDtype: false }),
  bool_equal: () => assertClose(true, true),
  bool_mismatch: () => assertClose(true, false),
  none_equal: () => assertClose(null, null),
  none_mismatch: () => assertClose(null, 1.0),
  none_mismatch_rev: () => assertClose(2.5, null),
  list_equal: () => assertClose([1.0, 2.0], [1.0, 2.0]),
  list_mismatch: () => assertClose([1.0, 2.0], [1.0, 2.5]),
  list_length: () => assertClose([1.0, 2.0], [1.0, 2.0, 3.0]),
  list_tensors: () => assertClose([T([1]), T([2, 3])], [T([1]), T([2, 3.5])]),
  nested: () =>
    assertClose({ b: T([1]), a: [T([1, 2]), 1.0] }, { b: T([1]), a: [T([1, 2.5]), 1.0] }),
  nested_deep: () => assertClose([{ x: [1.0, [2.0, 3.0]] }], [{ x: [1.0, [2.0, 3.25]] }]),
  nested_sorted_first: () => assertClose({ z: 1.0, a: 2.0 }, { z: 1.5, a: 2.5 }),
  dict_keys: () => assertClose({ a: 1.0, b: 2.0 }, { a: 1.0, c: 2.0, d: 3.0 }),
  dict_keys_nested: () => assertClose([{ a: 1.0 }], [{ b: 1.0 }]),
  dict_int_keys: () =>
    assertClose(
      new Map([
        [2, 1.0],
        [1, 2.0],
      ]),
      new Map([
        [2, 1.0],
        [1, 2.5],
      ]),
    ),
  nested_only_rtol: () => assertClose([1.0, [T([1])]], [1.0, [T([1])]], { rtol: 0.5 }),
  allclose_pass: () => assertAllclose(T([1, 2]), [1.0, 2.00001]),
  allclose_mismatch: () => assertAllclose(T([1, 2]), [1.0, 2.01]),
  allclose_nan: () => assertAllclose(T([1, NaN]), T([1, NaN])),
  allclose_nan_unequal: () => assertAllclose(T([1, NaN]), T([1, NaN]), { equalNan: false }),
  allclose_dtypes: () => assertAllclose(T([1, 2]), T([1, 2.0001], F64)),
  allclose_tols: () => assertAllclose(T([1, 2]), T([1, 2.5]), 0.1, 0.1),
  allclose_msg: () => assertAllclose(T([1, 2]), T([1, 2.5]), { msg: "not close" }),
  allclose_only_rtol: () => assertAllclose(T([1]), T([1]), { rtol: 0.1 }),
  allclose_scalar: () => assertAllclose(2.0, 2.0),
  make_int_grad: () => makeTensor(3, { dtype: I64, device: "cpu", requiresGrad: true }),
  make_nan: () => makeTensor(3, { dtype: torch.float32, device: "cpu", low: NaN }),
  make_low_high: () => makeTensor(3, { dtype: torch.float32, device: "cpu", low: 2, high: 1 }),
};

const f32 = { dtype: torch.float32, device: "cpu" } as const;
/** Each make_tensor call of testing_fx.py's MAKE. */
const MAKE: Record<string, () => Tensor> = {
  f32: () => makeTensor([3, 4], f32),
  f32_bounds: () => makeTensor(2, 5, { ...f32, low: -1, high: 1 }),
  f32_low_only: () => makeTensor([20], { ...f32, low: 5 }),
  f32_huge: () => makeTensor(4, { ...f32, low: -1e300, high: 1e300 }),
  f64: () => makeTensor(3, 3, { dtype: F64, device: "cpu", requiresGrad: true }),
  f16: () => makeTensor(6, { dtype: torch.float16, device: "cpu" }),
  bf16: () => makeTensor(6, { dtype: torch.bfloat16, device: "cpu", low: 0, high: 1 }),
  i64: () => makeTensor(2, 8, { dtype: I64, device: "cpu" }),
  i32_bounds: () => makeTensor(10, { dtype: torch.int32, device: "cpu", low: -2.5, high: 2.5 }),
  i8: () => makeTensor(10, { dtype: torch.int8, device: "cpu", low: -1000, high: 1000 }),
  u8: () => makeTensor(10, { dtype: torch.uint8, device: "cpu" }),
  bool: () => makeTensor(3, 3, { dtype: torch.bool, device: "cpu" }),
  noncontig: () => makeTensor(3, 4, { ...f32, noncontiguous: true }),
  noncontig_int: () => makeTensor(5, { dtype: I64, device: "cpu", noncontiguous: true }),
  noncontig_one: () => makeTensor(1, { ...f32, noncontiguous: true }),
  exclude_zero_int: () =>
    makeTensor(30, { dtype: I64, device: "cpu", low: -1, high: 2, excludeZero: true }),
  exclude_zero_bool: () => makeTensor(10, { dtype: torch.bool, device: "cpu", excludeZero: true }),
  exclude_zero_float: () => makeTensor(5, { ...f32, low: 0, high: 0, excludeZero: true }),
  complex64: () => makeTensor(2, 3, { dtype: torch.complex64, device: "cpu" }),
  empty: () => makeTensor(0, 3, f32),
  scalar: () => makeTensor([], f32),
};

/** fn() with console.warn captured: the error it threw (or null) and the warnings. */
function run(fn: () => void): [Error | null, string[]] {
  const seen: string[] = [];
  const orig = console.warn;
  console.warn = (...a: unknown[]) => void seen.push(a.map(String).join(" "));
  try {
    fn();
    return [null, seen];
  } catch (e) {
    return [e as Error, seen];
  } finally {
    console.warn = orig;
  }
}

test("every fixture case has its call here", () => {
  assert.deepEqual(
    FX.cases.map((c) => c.name).filter((n) => !(n in CASES)),
    [],
  );
});

for (const c of FX.cases) {
  test(`torch.testing: ${c.name}`, () => {
    const [err, warned] = run(CASES[c.name]);
    if (c.error === null) assert.equal(err, null, err?.message);
    else {
      assert.ok(err !== null, `expected ${c.error.type}: ${c.error.message}`);
      assert.equal(err.name, c.error.type);
      assert.equal(err.message, c.error.message);
    }
    assert.deepEqual(warned, c.warnings);
  });
}

for (const c of FX.make_tensor) {
  test(`torch.testing.makeTensor: ${c.name} after manualSeed (bit-exact)`, () => {
    torch.manualSeed(c.seed);
    const t = MAKE[c.name]();
    const after = torch.rand(2);
    assert.deepEqual(t.shape, c.shape);
    assert.equal(String(t.dtype), c.dtype);
    assert.deepEqual(t.strides, c.strides);
    assert.equal(t.requiresGrad, c.requires_grad);
    const flat = t.dtype.isComplex ? torch.viewAsReal(t.detach()) : t.detach();
    const values = (flat.reshape(-1).tolist() as (number | boolean)[]).map(Number);
    assert.deepEqual(values, c.values.map(decodeNumber));
    assert.deepEqual(after.tolist(), c.after);
  });
}

test("torch.testing.assertClose: the errors are instances of PyTorch's classes", () => {
  assert.throws(() => assertClose(1.0, 2.0), torch.AssertionError);
  assert.throws(() => assertClose("a", "a"), torch.TypeError);
  assert.throws(() => assertClose(T([1]), T([1]), { rtol: 0.1 }), torch.ValueError);
});
