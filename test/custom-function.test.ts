// Custom autograd functions (torch.autograd.Function) against PyTorch 1.13.
// Expected values come from test/fixtures/custom.json (scripts/fixtures/custom_fx.py).
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { FX, expectRec, throwsLike, runReadmeSection } from "./helpers/custom-fixtures.js";

type Ctx = torch.autograd.FunctionCtx;
const C = FX.custom;
const leaf = (v: number[]): Tensor => torch.tensor(v, { requiresGrad: true });
const names = (n: torch.Node): (string | null)[] =>
  n.nextFunctions.map(([f]) => (f === null ? null : f.name()));

class Exp extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    const r = x.exp();
    ctx.saveForBackward(r);
    return r;
  }
  static override backward(ctx: Ctx, g: Tensor): Tensor {
    const [r] = ctx.savedTensors;
    return g.mul(r!);
  }
}

test("Exp: values, gradient, node name, repr, next functions, freed graph", () => {
  const fx = C.exp;
  const x = leaf([1, 2]);
  const y = Exp.apply(x);
  expectRec(y, fx.y, "y");
  assert.equal(y.gradFn!.name(), fx.name);
  assert.equal(String(y.gradFn).replace(/0x[0-9a-f]+/, "0x..."), fx.repr);
  assert.deepEqual(names(y.gradFn!), fx.next);
  assert.equal(String(y), fx.printed);
  y.sum().backward();
  expectRec(x.grad, fx.x_grad, "x.grad");
  throwsLike(() => y.sum().backward(), fx.second_backward);
  const node = y.gradFn as unknown as { savedTensors: Tensor[] };
  throwsLike(() => node.savedTensors, fx.saved_after_free);
});

class ScaleAdd extends torch.autograd.Function {
  static seen: Record<string, unknown> = {};
  static override forward(ctx: Ctx, x: Tensor, k: number, w: Tensor): Tensor {
    ScaleAdd.seen.needs_forward = ctx.needsInputGrad.slice();
    ScaleAdd.seen.grad_enabled_forward = torch.isGradEnabled();
    ctx.k = k;
    return x.mul(k).add(w);
  }
  static override backward(ctx: Ctx, g: Tensor): (Tensor | null)[] {
    ScaleAdd.seen.needs_backward = ctx.needsInputGrad.slice();
    ScaleAdd.seen.grad_enabled_backward = torch.isGradEnabled();
    return [g.mul(ctx.k), null, g];
  }
}

test("several inputs, a non-tensor argument, ctx attributes, needsInputGrad, grad modes", () => {
  const fx = C.scale_add;
  const x = leaf([1, 2, 3]);
  const w = torch.tensor([1, 1, 1]);
  ScaleAdd.seen = {};
  const y = ScaleAdd.apply(x, 3, w);
  y.mul(torch.tensor([1, 2, 3]))
    .sum()
    .backward();
  expectRec(y, fx.y, "y");
  expectRec(x.grad, fx.x_grad, "x.grad");
  assert.deepEqual(names(y.gradFn!), fx.next);
  for (const k of [
    "needs_forward",
    "grad_enabled_forward",
    "needs_backward",
    "grad_enabled_backward",
  ])
    assert.deepEqual(ScaleAdd.seen[k], fx[k], k);

  ScaleAdd.seen = {};
  const r = torch.noGrad(() => ScaleAdd.apply(x, 2, w));
  expectRec(r, fx.no_grad.y, "noGrad y");
  assert.equal(r.gradFn, fx.no_grad.grad_fn);
  assert.deepEqual(ScaleAdd.seen.needs_forward, fx.no_grad.needs_forward);

  ScaleAdd.seen = {};
  const r2 = ScaleAdd.apply(w, 2, w);
  expectRec(r2, fx.no_input_requires_grad.y, "no input requires grad");
  assert.equal(r2.gradFn, fx.no_input_requires_grad.grad_fn);
  assert.deepEqual(ScaleAdd.seen.needs_forward, fx.no_input_requires_grad.needs_forward);
});

class Cube extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.pow(3);
  }
  static override backward(ctx: Ctx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(3).mul(x!.pow(2));
  }
}

test("double backward through a custom function whose backward uses tensor ops", () => {
  const fx = C.double_backward;
  const x = leaf([1, 2]);
  const [gx] = torch.autograd.grad(Cube.apply(x).sum(), [x], { createGraph: true });
  expectRec(gx, fx.gx, "gx");
  assert.equal(gx!.gradFn!.name(), fx.gx_grad_fn);
  gx!.sum().backward();
  expectRec(x.grad, fx.x_grad, "x.grad");
});

class MulInplace extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    x.mul_(2);
    ctx.markDirty(x);
    return x;
  }
  static override backward(_ctx: Ctx, g: Tensor): Tensor {
    return g.mul(2);
  }
}

class DirtyNotReturned extends torch.autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    x.mul_(2);
    ctx.markDirty(x);
    return x.mul(1);
  }
  static override backward(_ctx: Ctx, g: Tensor): Tensor {
    return g.mul(2);
  }
}

test("markDirty: in-place forward moves the input's history to the custom node", () => {
  const fx = C.mark_dirty;
  const x = leaf([1, 2]);
  const a = x.mul(1);
  const y = MulInplace.apply(a);
  assert.equal(y === a, fx.same_object);
  expectRec(y, fx.y, "y");
  assert.equal(a.gradFn!.name(), fx.grad_fn);
  assert.equal(a._versionNumber, fx.version);
  assert.deepEqual(names(a.gradFn!), fx.next);
  throwsLike(() => MulInplace.apply(leaf([1, 2])), fx.leaf_error);
  throwsLike(() => DirtyNotReturned.apply(leaf([1]).mul(1)), fx.not_returned_error);
  y.sum().backward();
  expectRec(x.grad, fx.x_grad, "x.grad");
});

/** sort with indices marked non-differentiable (sorting done in JS) */
class SortFn extends torch.autograd.Function {
  static gi: Tensor | null = null;
  static override forward(ctx: Ctx, x: Tensor): Tensor[] {
    const v = x.tolist() as number[];
    const order = v.map((_, i) => i).sort((p, q) => v[p] - v[q]);
    const s = torch.tensor(order.map((i) => v[i]));
    const i = torch.tensor(order, { dtype: torch.int64 });
    ctx.markNonDifferentiable(i);
    ctx.saveForBackward(i);
    return [s, i];
  }
  static override backward(ctx: Ctx, gs: Tensor, gi: Tensor): Tensor {
    SortFn.gi = gi;
    const [i] = ctx.savedTensors;
    return torch.zerosLike(gs).scatterAdd(0, i!, gs);
  }
}

test("markNonDifferentiable: indices do not require grad, backward gets zeros for them", () => {
  const fx = C.non_differentiable;
  const x = leaf([3, 1, 2]);
  const [s, i] = SortFn.apply(x);
  s.mul(torch.tensor([1, 2, 3]))
    .sum()
    .backward();
  expectRec(s, fx.values, "values");
  expectRec(i, fx.indices, "indices");
  assert.equal(i.gradFn, fx.indices_grad_fn);
  expectRec(x.grad, fx.x_grad, "x.grad");
  expectRec(SortFn.gi, fx.backward_gi, "gi seen by backward");
});

class TwoOut extends torch.autograd.Function {
  static seen: [Tensor | null, Tensor | null][] = [];
  static override forward(ctx: Ctx, x: Tensor, materialize: boolean): Tensor[] {
    ctx.setMaterializeGrads(materialize);
    return [x.mul(2), x.mul(3)];
  }
  static override backward(_ctx: Ctx, g1: Tensor | null, g2: Tensor | null): (Tensor | null)[] {
    TwoOut.seen.push([g1, g2]);
    let r = torch.zerosLike((g1 ?? g2)!);
    if (g1 !== null) r = r.add(g1.mul(2));
    if (g2 !== null) r = r.add(g2.mul(3));
    return [r, null];
  }
}

test("setMaterializeGrads: null for unused outputs when off, zeros when on", () => {
  const fx = C.materialize;
  const x = leaf([1, 2, 3]);
  TwoOut.seen = [];
  TwoOut.apply(x, false)[1].sum().backward();
  TwoOut.apply(x, true)[0].sum().backward();
  assert.equal(TwoOut.seen.length, fx.seen.length);
  TwoOut.seen.forEach(([a, b], k) => {
    expectRec(a, fx.seen[k][0], `call ${k} g1`);
    expectRec(b, fx.seen[k][1], `call ${k} g2`);
  });
  expectRec(x.grad, fx.x_grad, "x.grad");
});

class NonTensorOut extends torch.autograd.Function {
  static seen: unknown[][] = [];
  static override forward(_ctx: Ctx, x: Tensor): [Tensor, number, Tensor] {
    return [x.mul(2), 5, x.long()];
  }
  static override backward(_ctx: Ctx, g: Tensor, h: null, gi: Tensor): Tensor {
    NonTensorOut.seen.push([g, h, gi]);
    return g.mul(2);
  }
}

test("non-tensor and integer outputs: passed through; backward gets null / integer zeros", () => {
  const fx = C.non_tensor_outputs;
  const x = leaf([1, 2]);
  const r = NonTensorOut.apply(x);
  r[0].sum().backward();
  expectRec(r[0], fx.out0, "out0");
  assert.equal(r[1], fx.out1);
  expectRec(r[2], fx.out2, "out2 (int64, not differentiable)");
  assert.equal(NonTensorOut.seen.length, fx.seen.length);
  expectRec(NonTensorOut.seen[0][0] as Tensor, fx.seen[0][0], "g");
  assert.equal(NonTensorOut.seen[0][1], fx.seen[0][1]);
  expectRec(NonTensorOut.seen[0][2] as Tensor, fx.seen[0][2], "integer zeros");
  expectRec(x.grad, fx.x_grad, "x.grad");
});

class Identity extends torch.autograd.Function {
  static override forward(_ctx: Ctx, x: Tensor): Tensor {
    return x;
  }
  static override backward(_ctx: Ctx, g: Tensor): Tensor {
    return g.mul(5);
  }
}

test("an input returned as-is comes back as a view carrying the custom node", () => {
  const fx = C.identity;
  const x = leaf([1, 2]);
  const y = Identity.apply(x);
  assert.equal(y === x, fx.same_object);
  assert.equal(y._base === x, fx.is_view);
  assert.equal(y.gradFn!.name(), fx.grad_fn);
  assert.ok(x.isLeaf);
  y.sum().backward();
  expectRec(x.grad, fx.x_grad, "x.grad");
});

/** A one-input function whose backward returns `result(g)`, named `name`. */
function returning(name: string, result: (g: Tensor) => unknown): typeof torch.autograd.Function {
  const cls = class extends torch.autograd.Function {
    static override forward(_ctx: Ctx, x: Tensor): Tensor {
      return x.mul(2);
    }
    static override backward(_ctx: Ctx, g: Tensor): Tensor {
      return result(g) as Tensor;
    }
  };
  Object.defineProperty(cls, "name", { value: name });
  return cls;
}

test("gradients are un-broadcast and cast by the engine, as for built-in nodes", () => {
  const x = leaf([1, 2]);
  returning("Expandable", () => torch.ones(3, 2))
    .apply(x)
    .sum()
    .backward();
  expectRec(x.grad, C.expandable.x_grad, "summed");
  const x2 = leaf([1, 2]);
  returning("Cast", () => torch.ones(2, { dtype: torch.float64 }))
    .apply(x2)
    .sum()
    .backward();
  expectRec(x2.grad, C.cast.x_grad, "cast to float32");
});

test("PyTorch's errors for what backward returns and for misuse", () => {
  const E = C.errors;
  const x = leaf([1, 2]);
  class Two extends torch.autograd.Function {
    static override forward(_ctx: Ctx, x: Tensor, k: number): Tensor {
      return x.mul(k);
    }
  }
  const withBackward = (name: string, back: (g: Tensor) => unknown) => {
    const cls = class extends Two {
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return back(g) as Tensor;
      }
    };
    Object.defineProperty(cls, "name", { value: name });
    return cls;
  };
  throwsLike(
    () =>
      withBackward("TooFew", (g) => g.mul(2))
        .apply(x, 3)
        .sum()
        .backward(),
    E.too_few,
  );
  throwsLike(
    () =>
      withBackward("NotNone", (g) => [g.mul(2), g])
        .apply(x, 3)
        .sum()
        .backward(),
    E.not_none,
  );
  assert.equal(E.extra_none, null);
  withBackward("ExtraNone", (g) => [g.mul(2), null, null])
    .apply(x, 3)
    .sum()
    .backward();
  throwsLike(
    () =>
      withBackward("TooMany", (g) => [g.mul(2), null, g])
        .apply(x, 3)
        .sum()
        .backward(),
    E.too_many,
  );
  class BadShape extends torch.autograd.Function {
    static override forward(_ctx: Ctx, k: number, x: Tensor): Tensor {
      return x.mul(k);
    }
    static override backward(): (Tensor | null)[] {
      return [null, torch.ones(3)];
    }
  }
  throwsLike(() => BadShape.apply(2, x).sum().backward(), E.bad_shape);
  throwsLike(
    () =>
      returning("NotTensor", () => 3)
        .apply(x)
        .sum()
        .backward(),
    E.not_tensor,
  );
  class NoBackward extends torch.autograd.Function {
    static override forward(_ctx: Ctx, x: Tensor): Tensor {
      return x.mul(2);
    }
  }
  throwsLike(() => NoBackward.apply(x).sum().backward(), E.no_backward);
  class NoForward extends torch.autograd.Function {}
  throwsLike(() => NoForward.apply(x), E.no_forward);
  class SaveNumber extends torch.autograd.Function {
    static override forward(ctx: Ctx, x: Tensor): Tensor {
      ctx.saveForBackward(3 as unknown as Tensor);
      return x;
    }
  }
  throwsLike(() => SaveNumber.apply(x), E.save_number);
});

test("saved tensors: version checks name the right node, as PyTorch", () => {
  const E = C.errors;
  const x = leaf([1, 2]);
  const y = Exp.apply(x);
  torch.noGrad(() => y.add_(1));
  throwsLike(() => y.sum().backward(), E.version_output);
  class SaveInput extends torch.autograd.Function {
    static override forward(ctx: Ctx, x: Tensor): Tensor {
      ctx.saveForBackward(x);
      return x.mul(2);
    }
    static override backward(ctx: Ctx, g: Tensor): Tensor {
      return g.mul(ctx.savedTensors[0]!);
    }
  }
  const a = x.mul(1);
  const y2 = SaveInput.apply(a);
  a.add_(1);
  throwsLike(() => y2.sum().backward(), E.version_input);
});

test("built-in ops: a saved input rebased by an in-place op names its current node", () => {
  // the same rule as custom functions (PyTorch names the tensor's grad_fn at unpack time)
  const x = leaf([0, 1]);
  const a = x.mul(1);
  const y = a.sin();
  a.add_(1);
  throwsLike(() => y.sum().backward(), {
    type: "RuntimeError",
    message: FX.anomaly.version.error.message.replace(
      /Hint: .*$/,
      "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).",
    ),
  });
});

test("retainGraph keeps saved tensors; hooks see the custom node like any other", () => {
  const x = leaf([1, 2]);
  const y = Exp.apply(x);
  y.sum().backward(undefined, { retainGraph: true });
  y.sum().backward();
  expectRec(x.grad, {
    ...C.exp.x_grad,
    values: (C.exp.x_grad.values as number[]).map((v: number) => 2 * v),
  });
});

// ---------------------------------------------------------------------------------------------
// forward mode

const fwAD = torch.autograd.forwardAd;

class ExpJ extends torch.autograd.Function {
  static seen: { t?: Tensor; tk?: unknown } = {};
  static override forward(ctx: Ctx, x: Tensor, k: number): Tensor {
    const r = x.exp().mul(k);
    ctx.saveForBackward(r);
    ctx.saveForForward(r);
    return r;
  }
  static override backward(ctx: Ctx, g: Tensor): (Tensor | null)[] {
    return [g.mul(ctx.savedTensors[0]!), null];
  }
  static jvp(ctx: Ctx, t: Tensor, tk: Tensor | null): Tensor {
    ExpJ.seen = { t, tk };
    return t.mul(ctx.savedTensors[0]!);
  }
}

test("jvp: forward-mode AD through a custom function", () => {
  const J = C.jvp;
  fwAD.dualLevel(() => {
    const x = fwAD.makeDual(torch.tensor([0, 1]), torch.tensor([1, 2]));
    const y = ExpJ.apply(x, 2);
    const u = fwAD.unpackDual(y);
    expectRec(u.primal, J.exp.primal, "primal");
    expectRec(u.tangent, J.exp.tangent, "tangent");
    expectRec(ExpJ.seen.t, J.exp.t, "tangent given to jvp");
    assert.equal(ExpJ.seen.tk, J.exp.tk);
    throwsLike(() => Exp.apply(x), J.no_jvp);
    class TwoJ extends torch.autograd.Function {
      static tw: Tensor | null = null;
      static override forward(_ctx: Ctx, x: Tensor, w: Tensor): Tensor[] {
        return [x.mul(w), x.add(w)];
      }
      static jvp(_ctx: Ctx, tx: Tensor, tw: Tensor): Tensor {
        TwoJ.tw = tw;
        return tx.mul(2);
      }
    }
    throwsLike(() => TwoJ.apply(x, torch.ones(2)), J.count);
    expectRec(TwoJ.tw, J.count_seen.tw, "zeros for an input without tangent");
    class BadJ extends torch.autograd.Function {
      static override forward(_ctx: Ctx, x: Tensor): Tensor {
        return x.mul(2);
      }
      static jvp(): Tensor {
        return torch.ones(3);
      }
    }
    throwsLike(() => BadJ.apply(x), J.size);
    const y2 = ExpJ.apply(torch.ones(2), 1);
    expectRec(fwAD.unpackDual(y2).tangent, J.no_tangent_input, "no tangent in, none out");
  });
});

test("jvp and backward together: the tangent carries a reverse-mode graph", () => {
  const J = C.jvp.both;
  class Both extends torch.autograd.Function {
    static override forward(ctx: Ctx, x: Tensor): Tensor {
      ctx.saveForBackward(x);
      ctx.saveForForward(x);
      return x.mul(x);
    }
    static override backward(ctx: Ctx, g: Tensor): Tensor {
      return ctx.savedTensors[0]!.mul(2).mul(g);
    }
    static jvp(ctx: Ctx, t: Tensor): Tensor {
      return ctx.savedTensors[0]!.mul(2).mul(t);
    }
  }
  fwAD.dualLevel(() => {
    const p = leaf([1, 3]);
    const y = Both.apply(fwAD.makeDual(p, torch.tensor([1, 1])));
    const t = fwAD.unpackDual(y).tangent!;
    expectRec(fwAD.unpackDual(y).primal, { ...J.y, requires_grad: true }, "y");
    expectRec(t, J.tangent, "tangent");
    assert.equal(t.gradFn!.name(), J.tangent_grad_fn);
  });
});

test("README: Custom functions example runs", () => {
  runReadmeSection("Custom functions");
});
