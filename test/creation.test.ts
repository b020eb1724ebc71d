// Creation functions, metadata, casts, type promotion and printing through the Tensor API,
// against PyTorch 1.13 (test/fixtures/behaviour.json, from scripts/fixtures/behaviour_fx.py).
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";

import * as torch from "../src/index.js";
import type { Tensor, DType } from "../src/index.js";
import { resultType } from "../src/dtype.js";
import { decode, readFixture, type Encoded, type Rec } from "./helpers/fixtures.js";
interface PromotionCase {
  a: [string, string | null];
  b: [string, string | null];
  result_type: string;
  add: string;
  add_values: Encoded;
  mul: string;
  div: string;
}

const FX = readFixture<{
  creation: Record<string, Rec>;
  meta: Record<string, unknown>;
  promotion: PromotionCase[];
  printing: Record<string, string>;
}>("behaviour.json");

function expectTensor(t: Tensor, r: Rec, what: string, rtol = 0): void {
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  assert.equal(t.requiresGrad, r.requires_grad, `${what}: requiresGrad`);
  const walk = (a: unknown, e: unknown, path: string): void => {
    if (Array.isArray(e)) {
      assert.ok(Array.isArray(a), `${path}: expected an array`);
      assert.equal(a.length, e.length, `${path}: length`);
      e.forEach((x, i) => walk(a[i], x, `${path}[${i}]`));
    } else if (typeof e === "number" && typeof a === "number" && rtol > 0) {
      assert.ok(Math.abs(a - e) <= rtol * Math.max(1, Math.abs(e)), `${path}: ${a} vs ${e}`);
    } else {
      assert.equal(a, e, path);
    }
  };
  walk(t.tolist(), decode(r.values), what);
}

const { float32, float64, int32, int64, bool } = torch;

test("creation functions match PyTorch (values, shape, dtype, requiresGrad)", () => {
  const baseI = torch.tensor([[1, 2, 3]], { dtype: int64 });
  const baseF = torch.tensor([1, 2], { dtype: float64 });
  const f = torch.tensor([-1.7, 2.5, 0, 3.9]);
  const t23 = torch.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const seeded = (seed: number, fn: () => Tensor) => () => {
    torch.manualSeed(seed);
    return fn();
  };
  const cases: Record<string, () => Tensor> = {
    tensor_scalar: () => torch.tensor(3.5),
    tensor_bool_scalar: () => torch.tensor(true),
    tensor_list: () => torch.tensor([1, 2, 3]),
    tensor_nested: () =>
      torch.tensor([
        [1, 2.5, 3],
        [4, 5, 6.25],
      ]),
    tensor_3d: () =>
      torch.tensor([
        [[1], [2]],
        [[3], [4]],
      ]),
    tensor_bools: () =>
      torch.tensor([
        [true, false],
        [false, true],
      ]),
    tensor_empty: () => torch.tensor([]),
    tensor_int64: () => torch.tensor([1.7, -1.7, 3], { dtype: int64 }),
    tensor_int32: () =>
      torch.tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: int32 },
      ),
    tensor_float64: () => torch.tensor([0.1, 0.2], { dtype: float64 }),
    tensor_to_bool: () => torch.tensor([0, 2, -1], { dtype: bool }),
    tensor_requires_grad: () => torch.tensor([1, 2], { requiresGrad: true }),
    typed_float32: () => torch.tensor(new Float32Array([0.1, 0.2])),
    typed_float64: () => torch.tensor(new Float64Array([0.1, 0.2])),
    typed_int32: () => torch.tensor(new Int32Array([1, -2, 3])),
    typed_float64_as_float32: () => torch.tensor(new Float64Array([0.1, 0.2]), { dtype: float32 }),
    zeros_varargs: () => torch.zeros(2, 3),
    zeros_array: () => torch.zeros([2, 3]),
    zeros_scalar_shape: () => torch.zeros([]),
    zeros_int64: () => torch.zeros(2, { dtype: int64 }),
    zeros_requires_grad: () => torch.zeros(2, 2, { requiresGrad: true }),
    ones_varargs: () => torch.ones(3),
    ones_float64: () => torch.ones([2, 2], { dtype: float64 }),
    ones_bool: () => torch.ones(2, { dtype: bool }),
    full: () => torch.full([2, 2], 7.5),
    full_bool: () => torch.full([3], true),
    full_int32: () => torch.full([2], 4, { dtype: int32 }),
    full_requires_grad: () => torch.full([2], 0.5, { requiresGrad: true }),
    zeros_like_int: () => torch.zerosLike(baseI),
    ones_like: () => torch.onesLike(baseF),
    ones_like_dtype: () => torch.onesLike(baseI, { dtype: float32 }),
    full_like: () => torch.fullLike(baseF, 2.5),
    zeros_like_rg: () => torch.zerosLike(baseF, { requiresGrad: true }),
    arange_end: () => torch.arange(5),
    arange_start_end: () => torch.arange(1, 4),
    arange_step: () => torch.arange(10, 0, -3),
    arange_float_step: () => torch.arange(0, 1, 0.25),
    arange_float_start: () => torch.arange(0.5, 3),
    arange_dtype: () => torch.arange(4, { dtype: float64 }),
    linspace: () => torch.linspace(0, 1, 5),
    linspace_neg: () => torch.linspace(-1, 1, 4),
    linspace_one: () => torch.linspace(2, 10, 1),
    linspace_float64: () => torch.linspace(0, 1, 3, { dtype: float64 }),
    linspace_thirds: () => torch.linspace(0, 1, 7),
    linspace_int64: () => torch.linspace(0, 5, 4, { dtype: int64 }),
    linspace_int64_neg: () => torch.linspace(-5, 0, 4, { dtype: int64 }),
    eye: () => torch.eye(3),
    eye_rect: () => torch.eye(2, 3),
    eye_int: () => torch.eye(2, { dtype: int64 }),
    rand: seeded(0, () => torch.rand(2, 3)),
    randn: seeded(0, () => torch.randn(5)),
    randn_float64: seeded(1, () => torch.randn(2, { dtype: float64 })),
    randint: seeded(0, () => torch.randint(0, 10, [6])),
    randint_high: seeded(0, () => torch.randint(5, [2, 2])),
    rand_requires_grad: seeded(0, () => torch.rand(2, { requiresGrad: true })),
    clone: () => t23.clone(),
    contiguous_t: () => t23.t().contiguous(),
    to_int64: () => f.to(int64),
    to_bool: () => f.to(bool),
    float_to_double: () => f.double(),
    float_long: () => f.long(),
    float_int: () => f.int(),
    float_bool: () => f.bool(),
    int_float: () => torch.tensor([1, 2], { dtype: int64 }).float(),
    bool_float: () => torch.tensor([true, false]).float(),
    bool_long: () => torch.tensor([true, false]).long(),
    double_rg: () => torch.tensor([1, 2], { requiresGrad: true }).double(),
  };
  assert.deepEqual(Object.keys(cases).sort(), Object.keys(FX.creation).sort());
  for (const [name, make] of Object.entries(cases)) expectTensor(make(), FX.creation[name], name);
});

test("size(), dim(), numel(), dtype, item(), tolist()", () => {
  const M = FX.meta;
  const t = torch.zeros(2, 3);
  assert.equal(String(t.size()), M.size_str);
  assert.equal(inspect(t.size()), M.size_str);
  assert.deepEqual(Array.from(t.size()), M.size_list);
  assert.deepEqual(t.shape, M.size_list);
  assert.equal(t.size(1), M.size_1);
  assert.equal(t.size(-1), M.size_neg);
  assert.equal(t.dim(), M.dim);
  assert.equal(t.numel(), M.numel);
  assert.equal(String(t.dtype), M.dtype_str);
  assert.equal(t.dtype, float32);
  assert.equal(String(torch.tensor(1).size()), M.scalar_size_str);
  assert.equal(torch.tensor(1).dim(), M.scalar_dim);
  assert.equal(String(torch.zeros(4, 1, 2).size()), M.size_3d_str);
  assert.equal(torch.tensor([2.5]).item(), M.item_float);
  assert.equal(torch.tensor(0.1).item(), M.item_float32_round);
  assert.equal(torch.tensor(true).item(), M.item_bool);
  assert.equal(torch.tensor([[7]], { dtype: int64 }).item(), M.item_int);
  assert.deepEqual(
    torch
      .tensor([
        [1, 2],
        [3, 4],
      ])
      .tolist(),
    M.tolist,
  );
  assert.deepEqual(torch.tensor([true, false]).tolist(), M.tolist_bool);
  assert.deepEqual(torch.tensor([[1, 2]], { dtype: int32 }).tolist(), M.tolist_int);
  assert.equal(torch.tensor(1.5).tolist(), M.tolist_scalar);
  const a = torch.tensor([1, 2]);
  const c = a.clone();
  c.add_(1);
  assert.deepEqual([a.tolist(), c.tolist()], M.clone_independent);
  const tt = torch
    .tensor([
      [1, 2],
      [3, 4],
    ])
    .t();
  assert.deepEqual([tt.isContiguous(), tt.contiguous().isContiguous()], M.contiguous_flags);
  assert.deepEqual([float32, float64, int32, int64, bool].map(String), M.dtype_names);
  const x = torch.tensor([1, 2], { requiresGrad: true });
  assert.equal(x.clone().gradFn!.name(), M.clone_grad_fn);
  assert.equal(x.to(float32) === x, M.to_same_dtype_is_self);
  const empties = [
    torch.empty(2, 3),
    torch.empty([2], { dtype: int64 }),
    torch.emptyLike(torch.ones(3, { dtype: float64 }), { requiresGrad: true }),
  ];
  assert.deepEqual(
    empties.map((e) => [e.shape, e.dtype.name, e.requiresGrad]),
    M.empty,
  );
});

function operand(spec: [string, string | null]): Tensor | number {
  const [kind, dt] = spec;
  if (kind === "int") return 2;
  if (kind === "float") return 2.5;
  const dtype = torch[dt as "float32"] as DType;
  if (kind === "tensor")
    return dtype === bool
      ? torch.tensor([true, false])
      : torch.tensor([1, 2], { dtype: dtype as DType });
  return dtype === bool ? torch.tensor(true) : torch.tensor(3, { dtype });
}

test("type promotion: result types and op dtypes (tensor, 0-dim, number operands)", () => {
  const bad: string[] = [];
  for (const c of FX.promotion) {
    const a = operand(c.a) as Tensor;
    const b = operand(c.b);
    const label = `${c.a.join(":")} op ${c.b.join(":")}`;
    const rt = resultType([a, b]).name;
    const add = a.add(b);
    const got = [rt, add.dtype.name, a.mul(b).dtype.name, a.div(b).dtype.name];
    const want = [c.result_type, c.add, c.mul, c.div];
    if (got.join() !== want.join()) bad.push(`${label}: got ${got} want ${want}`);
    assert.deepEqual(add.tolist(), decode(c.add_values), label);
  }
  assert.deepEqual(bad, []);
});

test("printing computed tensors: String(t), util.inspect(t), String(t.gradFn)", () => {
  const P = FX.printing;
  const mask = (s: string): string => s.replace(/0x[0-9a-f]+/g, "0x?");
  const x = torch.tensor([1, 2, 3], { requiresGrad: true });
  const w = torch.tensor(
    [
      [1, 2],
      [3, 4],
    ],
    { requiresGrad: true },
  );
  const d = torch.tensor([1.5, -2.25], { dtype: float64, requiresGrad: true });
  const got: Record<string, () => unknown> = {
    leaf: () => x,
    mul: () => x.mul(2),
    sum: () => x.mul(2).sum(),
    exp: () => x.exp(),
    mean: () => x.mean(),
    mm: () => w.mm(w),
    view: () => w.view(4),
    t: () => w.t(),
    double: () => torch.tensor([1.5, 2], { dtype: float64 }),
    double_mul: () => d.mul(3),
    double_scalar: () => d.mul(d).sum(),
    int64: () => torch.arange(6).reshape(2, 3),
    int64_scalar: () => torch.tensor(5, { dtype: int64 }),
    int32: () => torch.tensor([1, -20, 300], { dtype: int32 }),
    bool: () => x.gt(1.5),
    bool_scalar: () => torch.tensor(true),
    linspace: () => torch.linspace(0, 1, 5),
    eye: () => torch.eye(3),
    empty_2x0: () => torch.zeros(2, 0),
    sci: () => torch.tensor([1e-5, 1, 1000]),
    nonfinite: () => torch.tensor([1, -1, 0]).log(),
    summarized: () => torch.arange(2000).float(),
    randn: () => {
      torch.manualSeed(0);
      return torch.randn(3, 3);
    },
    rebased: () => {
      const y = x.mul(2);
      y.add_(1);
      return y;
    },
    grad: () => {
      x.mul(x).sum().backward();
      return x.grad;
    },
    detached: () => x.mul(2).detach(),
    grad_fn_add: () => x.add(1).gradFn,
    grad_fn_mul: () => x.mul(2).gradFn,
    accumulate_grad: () => x.mul(2).gradFn!.nextFunctions[0][0],
    size: () => torch.zeros(2, 3).size(),
    dtype: () => float64,
  };
  assert.deepEqual(Object.keys(got).sort(), Object.keys(P).sort());
  for (const [name, make] of Object.entries(got)) {
    const v = make();
    assert.equal(mask(String(v)), P[name], `String: ${name}`);
    assert.equal(mask(inspect(v)), P[name], `inspect: ${name}`);
  }
});
