/**
 * Inference tensors against PyTorch 1.13 (test/fixtures/inference.json, from
 * scripts/fixtures/inference_fx.py; Note [inference tensors]): which tensors are inference
 * tensors, and the errors for saving one for backward, updating one in place and making one
 * require grad outside inferenceMode. Each case runs the fixture's steps in the same order.
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
  | { kind: "value"; value: string | boolean | null };
type Steps = Record<string, Outcome>;

const FX = readFixture<Record<string, Steps>>("inference.json");
const f64 = { dtype: torch.float64 };

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
const V = (value: string | boolean | null): Outcome => ({ kind: "value", value });
function E(fn: () => unknown): Outcome {
  try {
    fn();
  } catch (e) {
    return { kind: "error", type: (e as Error).name, message: (e as Error).message };
  }
  return { kind: "value", value: "no error" };
}
const leaf = (values: number[]): Tensor =>
  torch.tensor(values, { dtype: torch.float64, requiresGrad: true });

/** An inference tensor, a normal tensor and the results of ops inside the mode. */
function madeInside(): [Tensor, Tensor, Tensor, Tensor] {
  const normal = torch.tensor([1, 2, 3], f64);
  return torch.inferenceMode(() => {
    const t = torch.ones(3, f64);
    const viewOfNormal = normal.index("0:2");
    normal.add_(1);
    const product = normal.mul(2);
    return [t, normal, viewOfNormal, product];
  });
}

/**
 * Outcome of an in-place call that must fail; a failed call changes nothing here (PyTorch
 * writes before its version-counter check raises; tensorgrad checks before writing).
 */
function unchanged(t: Tensor, fn: () => unknown): Outcome {
  const before = t.tolist();
  const out = E(fn);
  assert.deepEqual(t.tolist(), before, "a failed in-place call leaves the tensor unchanged");
  return out;
}

const programs: Record<string, (R: Steps) => void> = {
  which_tensors_are_inference(R) {
    const [t, normal, viewOfNormal, product] = madeInside();
    R.created = V(t.isInference());
    R.op_result = V(product.isInference());
    R.view_of_normal = V(viewOfNormal.isInference());
    R.normal_after_inplace = V(normal.isInference());
    R.normal_values = T(normal);
    R.view_outside = V(t.view(3).isInference());
    R.detach_outside = V(t.detach().isInference());
    R.data_outside = V(t.data.isInference());
    R.clone_outside = V(t.clone().isInference());
    R.result_outside = V(t.add(1).isInference());
    R.function = V(torch.isInference(t));
    const x = leaf([1, 2]);
    const y = torch.inferenceMode(() => x.mul(2));
    R.y = T(y);
    R.y_inference = V(y.isInference());
  },
  inplace_outside_the_mode(R) {
    const [t] = madeInside();
    const w = leaf([1, 2, 3]);
    R.add_ = unchanged(t, () => t.add_(1));
    R.mul_grad_operand = unchanged(t, () => t.mul_(w));
    R.fill_ = unchanged(t, () => t.fill_(2));
    R.zero_ = unchanged(t, () => t.zero_());
    R.copy_ = unchanged(t, () => t.copy_(torch.zeros(3)));
    R.uniform_ = unchanged(t, () => t.uniform_());
    R.view = unchanged(t, () => t.index("0:2").add_(1));
    R.setitem = unchanged(t, () => t.indexPut_([0], 5));
    R.no_grad = unchanged(t, () => torch.noGrad(() => t.add_(1)));
    R.out = unchanged(t, () => torch.add(torch.ones(3), 1, { out: t }));
    R.broadcast_first = E(() => t.add_(torch.ones(4)));
    R.overlap_first = E(() => t.index("0:1").expand(3).add_(1));
    R.w_grad = T(w.grad);
  },
  inplace_inside_the_mode(R) {
    const [t] = madeInside();
    torch.inferenceMode(() => {
      t.add_(1);
      t.index("0:2").mul_(3);
    });
    R.t = T(t);
  },
  saved_for_backward(R) {
    const [t] = madeInside();
    const w = leaf([1, 2, 3]);
    R.mul = E(() => t.mul(w));
    R.pow = E(() => t.pow(w));
    R.view_mul = E(() => t.view(3).mul(w));
    R.mm = E(() => t.view(1, 3).mm(w.view(3, 1)));
    R.grad = E(() => torch.autograd.grad(w.mul(t).sum(), [w]));
    R.add_saves_nothing = T(t.add(w));
    R.clone_works = T(t.clone().mul(w));
    const x = leaf([1, 2]);
    const y = torch.inferenceMode(() => x.mul(2));
    R.result_of_mode = E(() => y.mul(x).sum());
    R.w_grad = T(w.grad);
  },
  requires_grad_outside_the_mode(R) {
    const [t, i, inside, created] = torch.inferenceMode(() => [
      torch.ones(2, f64),
      torch.ones(2, { dtype: torch.int64 }),
      torch.ones(2, f64).requiresGrad_(),
      torch.ones(2, { dtype: torch.float64, requiresGrad: true }),
    ]);
    R.inside = T(inside);
    R.created_inside = T(created);
    R.requires_grad_ = E(() => t.requiresGrad_());
    R.setter = E(() => (t.requiresGrad = true));
    R.integer_first = E(() => i.requiresGrad_());
    R.false_is_fine = T(t.requiresGrad_(false));
    R.version = E(() => t._versionNumber);
    created.mul(2).sum().backward();
    R.created_grad = T(created.grad);
  },
};

test("every fixture case has a program and every program a fixture case", () => {
  assert.deepEqual(Object.keys(programs).sort(), Object.keys(FX).sort());
});

for (const [name, expected] of Object.entries(FX)) {
  test(`inference tensors as PyTorch: ${name}`, () => {
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
