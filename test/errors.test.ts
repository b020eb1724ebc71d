// Errors in PyTorch's words: each message is str(exception) from real PyTorch 1.13
// (test/fixtures/behaviour.json, from scripts/fixtures/behaviour_fx.py).
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { readFixture, type Err } from "./helpers/fixtures.js";

const FX = readFixture<{
  errors: Record<string, Err>;
  engine: { atomic_inplace_nonleaf: { x_grad: { values: number[] } } };
}>("behaviour.json");
const R = FX.errors;

/** PyTorch's exception classes as ours: TypeError stays, IndexError is a RangeError. */
function expectedClass(pyType: string): ErrorConstructor {
  if (pyType === "TypeError") return TypeError;
  if (pyType === "IndexError") return RangeError;
  return Error;
}

function throwsLike(fn: () => unknown, e: Err, messageToo = true): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof expectedClass(e.type), `expected a ${e.type}, got ${String(err)}`);
    if (messageToo) assert.equal((err as Error).message, e.message);
    return true;
  });
}

const leaf = (values: number[]): Tensor => torch.tensor(values, { requiresGrad: true });

test("errors carry PyTorch's messages", () => {
  const x = leaf([1, 2, 3]);
  const freed = x.exp().sum();
  freed.backward();
  const a = leaf([1, 2, 3]);
  const s = a.exp();
  const d = s.mul(1);
  s.add_(1);
  const cases: Record<string, () => unknown> = {
    implicit_nonscalar: () => x.mul(2).backward(),
    freed_graph: () => freed.backward(),
    no_grad_fn: () => torch.ones(3).sum().backward(),
    inplace_saved: () => d.sum().backward(),
    inplace_leaf: () => x.add_(1),
    inplace_leaf_mul: () => x.mul_(2),
    inplace_leaf_zero: () => x.zero_(),
    requires_grad_int: () => torch.tensor([1, 2], { dtype: torch.int64 }).requiresGrad_(),
    requires_grad_int_create: () => torch.zeros(2, { dtype: torch.int64, requiresGrad: true }),
    requires_grad_setter_int: () => {
      torch.tensor([1, 2], { dtype: torch.int64 }).requiresGrad = true;
    },
    broadcast: () => torch.ones(2, 3).add(torch.ones(2, 4)),
    broadcast_1d: () => torch.ones(3).mul(torch.ones(4)),
    mm: () => torch.ones(2, 3).mm(torch.ones(4, 5)),
    matmul: () => torch.ones(2, 3).matmul(torch.ones(4, 5)),
    dim_range: () => torch.ones(2, 3).sum(2),
    dim_range_neg: () => torch.ones(2, 3).softmax(-3),
    view: () => torch.ones(2, 3).t().view(6),
    view_numel: () => torch.ones(2, 3).view(4, 2),
    view_two_infer: () => torch.ones(2, 3).view(-1, -1),
    expand: () => torch.ones(2, 3).expand(4, 3),
    cat: () => torch.cat([torch.ones(2, 3), torch.ones(2, 4)]),
    item: () => torch.ones(3).item(),
    grad_shape: () => x.mul(2).backward(torch.ones(2)),
    nonleaf_requires_grad: () => {
      x.mul(2).requiresGrad = false;
    },
    grad_unused: () => torch.autograd.grad(x.mul(2).sum(), [x, leaf([1])]),
    grad_input_no_grad: () => torch.autograd.grad(x.mul(2).sum(), [torch.ones(2)]),
    retain_grad_no_grad: () => torch.ones(2).retainGrad(),
    hook_no_grad: () => torch.ones(2).registerHook((g) => g),
    inplace_broadcast: () => torch.ones(3).add_(torch.ones(2, 3)),
    inplace_cast: () => torch.ones(3, { dtype: torch.int64 }).add_(1.5),
    string_operand: () => torch.ones(2, 3).add("a" as unknown as number),
    string_operand_mul: () => torch.ones(2, 3).mul("a" as unknown as number),
    tensor_ragged: () =>
      torch.tensor([
        [1, 2, 3],
        [1, 2],
      ]),
    tensor_string_scalar: () => torch.tensor("a" as unknown as number),
    bool_sub: () => torch.tensor([true]).sub(torch.tensor([false])),
    bool_sub_one: () => torch.tensor([true]).sub(1),
    clamp_tensor_number: () => torch.tensor([1, 2]).clamp(torch.ones(1), 1.5),
    clamp_number_tensor: () => torch.tensor([1, 2]).clamp(1, torch.ones(1)),
    clamp_tensor_broadcast: () => torch.tensor([1, 2]).clamp(torch.tensor([1, 2, 3])),
    clamp_none: () => torch.tensor([1, 2]).clamp(null, null),
    rsub_bool_tensors: () => torch.rsub(torch.tensor([true]), torch.tensor([true])),
    rsub_bool_other: () => torch.rsub(torch.tensor([1]), torch.tensor([true])),
    arange_step_zero: () => torch.arange(0, 3, 0),
    randint_bounds: () => torch.randint(5, 2, [2]),
  };
  // checked separately below
  const elsewhere = [
    "index_range",
    "select_range",
    "tensor_string",
    "shape_nan",
    "shape_nan_varargs",
  ];
  assert.deepEqual(
    Object.keys(cases).sort(),
    Object.keys(R)
      .filter((k) => !elsewhere.includes(k))
      .sort(),
  );
  const failures: string[] = [];
  for (const [name, fn] of Object.entries(cases)) {
    // JS has no ValueError: PyTorch's ValueErrors are plain Errors (or TypeErrors) here
    const e = R[name].type === "ValueError" ? { ...R[name], type: "Error" } : R[name];
    try {
      throwsLike(fn, e);
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
    }
  }
  assert.deepEqual(failures, []);
});

test("select() out of range", () => {
  throwsLike(() => torch.ones(3).select(0, 5), R.select_range);
});

test("index out of range", () => {
  throwsLike(() => torch.ones(3).index(5), R.index_range);
});

test("strings and NaN shapes give clear errors", () => {
  // A JS string is not a sequence, so ["a"] gets the scalar-string message (PyTorch: "too many
  // dimensions 'str'", because Python strings are sequences).
  throwsLike(() => torch.tensor(["a"] as unknown as number[]), {
    ...R.tensor_string_scalar,
    type: "TypeError",
  });
  // PyTorch words these in terms of its Python argument parser; the class is what carries over.
  throwsLike(() => torch.zeros(NaN), R.shape_nan, false);
  throwsLike(() => torch.zeros(2, NaN), R.shape_nan_varargs, false);
  throwsLike(() => torch.zeros([2, NaN]), R.shape_nan_varargs, false);
  throwsLike(() => torch.ones(2, NaN), R.shape_nan_varargs, false);
});

test("a failed op leaves the autograd state usable", () => {
  const x = leaf([1, 2, 3]);
  throwsLike(() => x.add_(1), R.inplace_leaf);
  assert.equal(x._versionNumber, 0);
  assert.deepEqual(x.tolist(), [1, 2, 3]);
  const y = x.mul(2);
  throwsLike(() => y.backward(), R.implicit_nonscalar);
  throwsLike(() => y.backward(torch.ones(2)), R.grad_shape);
  y.sum().backward();
  assert.deepEqual(x.grad!.tolist(), FX.engine.atomic_inplace_nonleaf.x_grad.values);
});
