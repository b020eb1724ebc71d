/**
 * Views and in-place ops against PyTorch 1.13 (test/fixtures/views_inplace.json, from
 * scripts/fixtures/views_inplace_fx.py), from the differential fuzzer's findings: a view's
 * history rebuilt after an in-place op on its base or another view (Note [view regeneration]),
 * the errors for views that may not be modified in place, in-place ops on views of a detached
 * leaf, writes into expanded memory, narrow with a tensor start and index_select on a 0-dim
 * input. Each case runs the fixture's steps in the same order and records the same outcomes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { closeValues, decode, readFixture, type Encoded } from "./helpers/fixtures.js";

type Outcome =
  | {
      kind: "tensor";
      shape: number[];
      dtype: string;
      values: Encoded;
      requires_grad: boolean;
      grad_fn: string | null;
    }
  | { kind: "error"; type: string; message: string }
  | { kind: "value"; value: string | boolean | number | null };

const FX = readFixture<Record<string, Record<string, Outcome>>>("views_inplace.json");

type Steps = Record<string, Outcome>;
const f64 = { dtype: torch.float64 };
const i64 = { dtype: torch.int64 };

/** A snapshot of t when taken (values, requiresGrad, grad_fn name); null as a value. */
function T(t: Tensor | null): Outcome {
  if (t === null) return { kind: "value", value: null };
  return {
    kind: "tensor",
    shape: t.shape.slice(),
    dtype: t.dtype.name,
    values: t.tolist() as Encoded,
    requires_grad: t.requiresGrad,
    grad_fn: t.gradFn?.name() ?? null,
  };
}
const V = (value: string | boolean | number | null): Outcome => ({ kind: "value", value });
/** What fn() throws (the fixture says it must). */
function E(fn: () => unknown): Outcome {
  try {
    fn();
  } catch (e) {
    return { kind: "error", type: (e as Error).name, message: (e as Error).message };
  }
  return { kind: "value", value: "no error" };
}
/** t's grad_fn name, or what reading it throws. */
function G(t: Tensor): Outcome {
  try {
    return V(t.gradFn?.name() ?? null);
  } catch (e) {
    return { kind: "error", type: (e as Error).name, message: (e as Error).message };
  }
}
const leaf = (values: number[] | number[][]): Tensor =>
  torch.tensor(values, { dtype: torch.float64, requiresGrad: true });
/** 0.5, -1, 1.5, -2, ... in a fresh (non-view) float64 tensor of this shape */
function grid(...shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, (_, k) => (k + 1) * 0.5 * (k % 2 === 0 ? 1 : -1));
  return torch.tensor(vals, f64).reshape(shape).clone();
}
const expanded = (): Tensor => torch.tensor([1, 2, 3], f64).expand(4, 3);

const programs: Record<string, (R: Steps) => void> = {
  // 1. a view's history after an in-place op on its base or another view
  pow_on_base_then_view(R) {
    const x = leaf([0.5, 2.0]);
    const v = x.pow(-2);
    const w = v.view(2);
    v.pow_(2);
    R.w_grad_fn = G(w);
    R.v_grad_fn = G(v);
    R.w = T(w);
    w.sum().backward();
    R.x_grad = T(x.grad);
  },
  max_values_t_then_zero_base(R) {
    const x = leaf([
      [1, 3],
      [2, 0.5],
    ]);
    const vals = x.max(1).values;
    const t = vals.t();
    R.t_before = G(t);
    vals.zero_();
    R.t_grad_fn = G(t);
    R.vals_grad_fn = G(vals);
    t.mul(torch.tensor([2, 3], f64))
      .sum()
      .backward();
    R.x_grad = T(x.grad);
  },
  max_values_t_then_zero_view(R) {
    const x = leaf([
      [1, 3],
      [2, 0.5],
    ]);
    const vals = x.max(1).values;
    const t = vals.t();
    const w = vals.view(2);
    t.zero_();
    R.t_grad_fn = G(t);
    R.vals_grad_fn = G(vals);
    R.w_grad_fn = G(w);
    w.add(vals).sum().backward();
    R.x_grad = T(x.grad);
  },
  matmul_3d_1d_narrow_mul_(R) {
    const a = grid(2, 3, 4).requiresGrad_();
    const b = leaf([1, -2, 0.5, 3]);
    const r = a.matmul(b);
    R.r_grad_fn = G(r);
    r.narrow(1, 0, 2).mul_(2);
    R.r_after = T(r);
    r.mul(r).sum().backward();
    R.a_grad = T(a.grad);
    R.b_grad = T(b.grad);
  },
  matmul_1d_2d_narrow_mul_(R) {
    const a = leaf([1, -2, 0.5]);
    const b = grid(3, 4).requiresGrad_();
    const r = a.matmul(b);
    R.r_grad_fn = G(r);
    r.narrow(0, 1, 2).mul_(3);
    R.r_after = T(r);
    r.mul(r).sum().backward();
    R.a_grad = T(a.grad);
    R.b_grad = T(b.grad);
  },
  matmul_1d_3d_select_add_(R) {
    const a = leaf([1, -2, 0.5]);
    const b = grid(2, 3, 4).requiresGrad_();
    const r = a.matmul(b);
    R.r_grad_fn = G(r);
    r.index(1).add_(a.sum());
    R.r_after = T(r);
    r.mul(r).sum().backward();
    R.a_grad = T(a.grad);
    R.b_grad = T(b.grad);
  },
  matmul_batched_then_view_read(R) {
    const a = grid(2, 2, 3).requiresGrad_();
    const b = grid(2, 3, 2).requiresGrad_();
    const r = a.matmul(b);
    const v = r.index(0);
    r.mul_(2);
    R.r_grad_fn = G(r);
    R.v_grad_fn = G(v);
    v.mul(v).sum().backward();
    R.a_grad = T(a.grad);
    R.b_grad = T(b.grad);
  },
  sibling_view_modified(R) {
    const x = grid(2, 3).requiresGrad_();
    const w = leaf([1, 2, 3]);
    const y = x.mul(1);
    const a = y.index(0);
    const b = y.index(":", 1);
    a.mul_(w);
    R.a_grad_fn = G(a);
    R.b_grad_fn = G(b);
    R.y_grad_fn = G(y);
    R.b = T(b);
    b.mul(b).sum().backward();
    R.x_grad = T(x.grad);
    R.w_grad = T(w.grad);
  },
  expanded_view_of_modified_base(R) {
    const x = leaf([1, 2]);
    const b = x.mul(1);
    const e = b.expand(3, 2);
    b.mul_(3);
    R.e_grad_fn = G(e);
    R.e = T(e);
    e.mul(torch.arange(6, f64).view(3, 2)).sum().backward();
    R.x_grad = T(x.grad);
  },
  view_of_noncontiguous_leaf_base(R) {
    const z = grid(2, 3).t().detach().requiresGrad_();
    const v = z.index(1);
    torch.noGrad(() => z.mul_(2));
    R.v_grad_fn = G(v);
    R.v = T(v);
    v.mul(torch.tensor([1, 2], f64))
      .sum()
      .backward();
    R.z_grad = T(z.grad);
  },
  view_modified_under_no_grad(R) {
    const x = grid(4).requiresGrad_();
    const y = x.mul(1);
    const v = y.index("0:2");
    torch.noGrad(() => v.mul_(2));
    R.v_grad_fn = G(v);
    R.y_grad_fn = G(y);
    v.mul(v).sum().backward();
    R.x_grad = T(x.grad);
  },
  base_gains_grad_through_inplace(R) {
    const a = torch.zeros(3, f64);
    const v = a.index("0:2");
    const p = leaf([1, 2, 3]);
    R.before = V(v.requiresGrad);
    a.add_(p);
    R.after = V(v.requiresGrad);
    R.v_grad_fn = G(v);
    v.mul(v).sum().backward();
    R.p_grad = T(p.grad);
  },
  retain_grad_follows_regenerated_view(R) {
    const x = leaf([1, 2]);
    const b = x.mul(1);
    const w = b.view(2);
    w.retainGrad();
    let calls = 0;
    w.registerHook(() => {
      calls++;
    });
    b.mul_(3);
    w.mul(w).sum().backward();
    R.w_grad = T(w.grad);
    R.x_grad = T(x.grad);
    R.hook_calls = V(calls);
  },
  leaf_stepped_under_no_grad(R) {
    const x = grid(3).requiresGrad_();
    const v = x.index("0:2");
    R.before = G(v);
    torch.noGrad(() => x.mul_(2));
    R.v_grad_fn = G(v);
    R.x_leaf = V(x.isLeaf);
    v.mul(v).sum().backward();
    R.x_grad = T(x.grad);
  },
  chained_views_then_base_add_(R) {
    const x = grid(2, 3).requiresGrad_();
    const w = leaf([1, -1]);
    const y = x.mul(1);
    const v = y.t().index(1);
    y.add_(1);
    R.v_grad_fn = G(v);
    R.v = T(v);
    v.mul(w).sum().backward();
    R.x_grad = T(x.grad);
    R.w_grad = T(w.grad);
  },
  double_backward_through_rebuilt_views(R) {
    const x = leaf([1.5, -2.0]);
    const b = x.mul(x);
    const e = b.expand(3, 2);
    const v = b.index("0:1");
    b.mul_(x);
    R.e_grad_fn = G(e);
    R.v_grad_fn = G(v);
    const [g] = torch.autograd.grad(e.mul(e).sum().add(v.pow(3).sum()), [x], {
      createGraph: true,
    });
    R.g = T(g!);
    const [gg] = torch.autograd.grad(g!.sum(), [x]);
    R.gg = T(gg!);
  },
  fill_names(R) {
    const x = leaf([1, 2, 3]);
    let y = x.mul(1);
    y.zero_();
    R.zero_ = G(y);
    y = x.mul(1);
    y.fill_(2);
    R.fill_ = G(y);
    y = x.mul(1);
    y.uniform_();
    R.uniform_ = G(y);
    y = x.mul(1);
    y.normal_();
    R.normal_ = G(y);
    y = x.mul(1);
    const v = y.index("0:2");
    v.uniform_();
    R.uniform_view = G(v);
    R.uniform_base = G(y);
    y.sum().backward();
    R.x_grad = T(x.grad);
  },

  // views that may not be modified in place
  split_output_modified(R) {
    const x = grid(4).requiresGrad_();
    const y = x.mul(1);
    const [a] = y.split(2);
    R.direct = E(() => a.mul_(2));
    R.y_unchanged = T(y);
    R.a_unchanged = T(a);
    y.mul_(2);
    R.indirect = G(a);
  },
  chunk_and_split_with_sizes_outputs(R) {
    const x = grid(4).requiresGrad_();
    const y = x.mul(1);
    const [a] = y.chunk(2);
    R.chunk = E(() => a.mul_(2));
    const [, b] = y.split([1, 3]);
    R.split_with_sizes = E(() => b.add_(1));
    const c = a.index("0:1");
    R.view_of_split = E(() => c.mul_(2));
    const d = a.view(2);
    y.mul_(2);
    R.view_of_split_indirect = G(d);
  },
  split_of_tensor_without_grad(R) {
    const z = torch.zeros(4, f64);
    const [a] = z.split(2);
    const w = leaf([1, 2]);
    R.with_grad_operand = E(() => a.add_(w));
    a.add_(1);
    R.z = T(z);
  },
  no_grad_view_modified(R) {
    const x = grid(3).requiresGrad_();
    const y = x.mul(1);
    const v = torch.noGrad(() => y.index("0:2"));
    R.direct = E(() => v.mul_(2));
    R.y_unchanged = T(y);
    const u = torch.noGrad(() => x.index("0:2"));
    R.leaf_direct = E(() => u.mul_(2));
    y.mul_(2);
    R.indirect = G(v);
  },
  no_grad_view_with_grad_operand(R) {
    const a = torch.zeros(3, f64);
    const v = torch.noGrad(() => a.index("0:2"));
    const w = leaf([1, 2]);
    R.grad_operand = E(() => v.add_(w));
    R.a_unchanged = T(a);
    v.add_(1);
    R.a = T(a);
    R.v_grad_fn = G(v);
  },
  no_grad_view_of_base_gaining_grad(R) {
    const p = torch.zeros(3, f64);
    const q = torch.noGrad(() => p.index("0:2"));
    p.add_(leaf([1, 2, 3]));
    R.indirect = G(q);
  },
  no_grad_view_modified_under_no_grad(R) {
    const x = grid(3).requiresGrad_();
    const y = x.mul(1);
    const v = torch.noGrad(() => {
      const view = y.index("0:2");
      view.mul_(2);
      return view;
    });
    R.y = T(y);
    R.indirect = G(v);
  },
  inference_mode_view_modified(R) {
    const x = grid(3).requiresGrad_();
    const y = x.mul(1);
    const v = torch.inferenceMode(() => y.index("0:2"));
    R.is_inference = V(v.isInference());
    R.direct = E(() => v.mul_(2));
    y.mul_(2);
    R.indirect = G(v);
  },

  // 2. in-place on a view of a leaf made by detach()
  view_of_detached_leaf(R) {
    const base = grid(2, 4);
    const x = base.index(":", "::2").detach().requiresGrad_();
    R.x_is_leaf = V(x.isLeaf);
    R.fill_ = E(() => x.select(0, 0).fill_(7));
    R.mul_ = E(() => x.index(1).mul_(2));
    R.x_unchanged = T(x);
    R.base_unchanged = T(base);
    torch.noGrad(() => x.select(0, 0).fill_(7));
    R.x_after_no_grad = T(x);
    R.base_after_no_grad = T(base);
  },

  // 3. writes into expanded memory
  expanded_writes(R) {
    R.add_ = E(() => expanded().add_(1));
    R.add_tensor = E(() => expanded().add_(torch.ones(4, 3, f64)));
    R.sub_ = E(() => expanded().sub_(1, { alpha: 2 }));
    R.mul_ = E(() => expanded().mul_(2));
    R.div_ = E(() => expanded().div_(2));
    R.pow_ = E(() => expanded().pow_(2));
    R.neg_ = E(() => expanded().neg_());
    R.clamp_ = E(() => expanded().clamp_(0, 1));
    R.copy_ = E(() => expanded().copy_(torch.ones(4, 3)));
    R.uniform_ = E(() => expanded().uniform_());
    R.normal_ = E(() => expanded().normal_());
    R.transposed = E(() =>
      torch
        .tensor([[1], [2]])
        .expand(2, 3)
        .t()
        .add_(1),
    );
    R.unsqueezed = E(() => expanded().unsqueeze(0).mul_(2));
    R.detached = E(() => expanded().detach().add_(1));
    R.data = E(() => expanded().data.add_(1));
    R.before_shape = E(() => expanded().add_(torch.ones(5)));
    R.before_cast = E(() => torch.tensor([1, 2], i64).expand(2, 2).add_(1.5));
    R.out = E(() => torch.add(torch.ones(4, 3, f64), 1, { out: expanded() }));
    R.out_before_shape = E(() => torch.add(torch.ones(2, 3), 1, { out: expanded() }));
  },
  expanded_writes_allowed(R) {
    const b = torch.tensor([1, 2, 3], f64);
    b.expand(4, 3).fill_(2);
    R.fill_ = T(b);
    b.expand(4, 3).zero_();
    R.zero_ = T(b);
    const s = torch.tensor([5], f64);
    s.expand(1, 1).add_(1);
    R.size_one = T(s);
    const e = torch.ones(0, 1, f64).expand(0, 3);
    e.add_(1);
    R.empty = T(e);
    const c = torch.tensor([1, 2, 3], f64);
    const k = c.expand(4, 3).contiguous();
    k.add_(1);
    R.contiguous_copy = T(k);
    R.c = T(c);
  },
  expanded_write_with_grad(R) {
    const x = leaf([1, 2, 3]);
    R.leaf_first = E(() => x.expand(4, 3).add_(1));
    const y = x.mul(1);
    R.graph = E(() => y.expand(4, 3).add_(1));
    R.y_unchanged = T(y);
    const w = leaf([1, 2, 3]);
    R.with_grad_operand = E(() => y.expand(4, 3).mul_(w));
    R.y_still_unchanged = T(y);
  },

  // 5. narrow with a 0-dim tensor start; index_select on a 0-dim input
  narrow_tensor_start(R) {
    const x = torch.arange(12, f64).reshape(3, 4).requiresGrad_();
    const r = x.narrow(1, torch.tensor(1, i64), 2);
    R.int64 = T(r);
    R.negative = T(x.narrow(1, torch.tensor(-3, i64), 2));
    R.int32 = T(x.narrow(0, torch.tensor(2, { dtype: torch.int32 }), 1));
    R.function = T(torch.narrow(x, 0, torch.tensor(1, i64), 1));
    R.at_end = T(x.narrow(1, torch.tensor(4, i64), 0));
    R.float = E(() => x.narrow(1, torch.tensor(1), 2));
    R.one_dim = E(() => x.narrow(1, torch.tensor([1], i64), 2));
    R.bool = E(() => x.narrow(1, torch.tensor(true), 2));
    R.out_of_range = E(() => x.narrow(1, torch.tensor(5, i64), 0));
    R.too_long = E(() => x.narrow(1, torch.tensor(3, i64), 2));
    R.zero_dim_self = E(() => torch.tensor(1).narrow(0, torch.tensor(0, i64), 1));
    r.mul(r).sum().backward();
    R.x_grad = T(x.grad);
  },
  narrow_int_start(R) {
    const x = torch.arange(12, f64).reshape(3, 4);
    R.start_5 = E(() => x.narrow(1, 5, 0));
    R.start_minus_5 = E(() => x.narrow(1, -5, 0));
    R.start_4 = T(x.narrow(1, 4, 0));
    R.start_minus_4 = T(x.narrow(1, -4, 1));
    R.length = E(() => x.narrow(1, 2, 3));
    R.negative_length = E(() => x.narrow(1, 2, -1));
    R.empty_dim = E(() => torch.ones(2, 0).narrow(1, 1, 0));
    R.empty_dim_start_0 = T(torch.ones(2, 0, f64).narrow(1, 0, 0));
  },
  index_select_zero_dim(R) {
    const s = torch.tensor(2.5, { dtype: torch.float64, requiresGrad: true });
    const r = s.indexSelect(0, torch.tensor([0], i64));
    R.vector_index = T(r);
    R.scalar_index = T(s.indexSelect(0, torch.tensor(0, i64)));
    R.dim_minus_1 = T(s.indexSelect(-1, torch.tensor([0], i64)));
    R.int32 = T(s.indexSelect(0, torch.tensor([0], { dtype: torch.int32 })));
    R.dim_1 = E(() => s.indexSelect(1, torch.tensor([0], i64)));
    R.out_of_range = E(() => s.indexSelect(0, torch.tensor([1], i64)));
    R.negative = E(() => s.indexSelect(0, torch.tensor([-1], i64)));
    R.float_index = E(() => s.indexSelect(0, torch.tensor([0])));
    R.matrix_index = E(() => s.indexSelect(0, torch.tensor([[0]], i64)));
    r.mul(3).sum().backward();
    R.s_grad = T(s.grad);
    const v = torch.tensor([1, 2, 3], f64);
    R.scalar_index_of_vector = T(v.indexSelect(0, torch.tensor(2, i64)));
    R.vector_out_of_range = E(() => v.indexSelect(0, torch.tensor([3], i64)));
    R.vector_negative = E(() => v.indexSelect(0, torch.tensor([-1], i64)));
  },
};

test("every fixture case has a program and every program a fixture case", () => {
  assert.deepEqual(Object.keys(programs).sort(), Object.keys(FX).sort());
});

for (const [name, expected] of Object.entries(FX)) {
  test(`views and in-place ops as PyTorch: ${name}`, () => {
    const R: Steps = {};
    programs[name](R);
    assert.deepEqual(Object.keys(R), Object.keys(expected), "the same steps");
    for (const [step, want] of Object.entries(expected)) {
      const got = R[step];
      const where = `${name}.${step}`;
      if (want.kind === "tensor") {
        assert.equal(got.kind, "tensor", `${where}: ${JSON.stringify(got)}`);
        if (got.kind !== "tensor") continue;
        assert.deepEqual(got.shape, want.shape, `${where}: shape`);
        assert.equal(got.dtype, want.dtype, `${where}: dtype`);
        assert.equal(got.requires_grad, want.requires_grad, `${where}: requiresGrad`);
        assert.equal(got.grad_fn, want.grad_fn, `${where}: grad_fn`);
        closeValues(got.values, decode(want.values), 1e-12, where);
      } else {
        assert.deepEqual(got, want, where);
      }
    }
  });
}
