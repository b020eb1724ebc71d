// Hooks: tensor hooks, node pre/post hooks, post-accumulate-grad hooks and saved-tensor hooks,
// against PyTorch 1.13 (test/fixtures/custom.json, scripts/fixtures/custom_fx.py).
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import {
  FX,
  expectRec,
  throwsLike,
  runReadmeSection,
  type Rec,
} from "./helpers/custom-fixtures.js";

const H = FX.hooks;
const leaf = (v: number[]): Tensor => torch.tensor(v, { requiresGrad: true });
type Entry = [string, ...unknown[]];

/** Compare a log of [label, tensor | tensor[] ...] entries with the fixture's. */
function expectLog(log: Entry[], fx: Entry[]): void {
  assert.deepEqual(
    log.map((e) => e[0]),
    fx.map((e) => e[0]),
    "call order",
  );
  log.forEach((e, i) => {
    e.slice(1).forEach((v, k) => {
      const want = fx[i][k + 1];
      const what = `${e[0]} arg ${k}`;
      if (Array.isArray(v)) {
        const ws = want as (Rec | null)[];
        // PyTorch's tuples have no trailing entries for absent inputs; ours may
        assert.ok(v.length >= ws.length, `${what}: length`);
        v.forEach((t, j) => expectRec(t as Tensor | null, ws[j] ?? null, `${what}[${j}]`));
      } else expectRec(v as Tensor, want as Rec, what);
    });
  });
}

test("call order of tensor hooks, retainGrad and node hooks along a chain; remove()", () => {
  const fx = H.order;
  let log: Entry[] = [];
  const x = leaf([1, 2]);
  const y = x.mul(2);
  const z = y.mul(3);
  const h1 = y.registerHook((g) => {
    log.push(["tensor-y1", g]);
    return g.add(1);
  });
  y.retainGrad();
  y.registerHook((g) => {
    log.push(["tensor-y2", g]);
    return g.mul(10);
  });
  y.gradFn!.registerPrehook((go) => void log.push(["pre-y", go]));
  y.gradFn!.registerHook((gi, go) => void log.push(["post-y", gi, go]));
  z.gradFn!.registerHook((gi, go) => void log.push(["post-z", gi, go]));
  x.registerHook((g) => void log.push(["tensor-x", g]));
  z.sum().backward(undefined, { retainGraph: true });
  expectLog(log, fx.log);
  expectRec(y.grad, fx.y_grad, "y.grad");
  expectRec(x.grad, fx.x_grad, "x.grad");

  log = [];
  h1.remove();
  x.grad = null;
  y.grad = null;
  z.sum().backward();
  expectLog(log, fx.after_remove.log);
  expectRec(y.grad, fx.after_remove.y_grad, "y.grad after remove");
  expectRec(x.grad, fx.after_remove.x_grad, "x.grad after remove");
});

test("node prehooks and hooks chain: each sees the previous replacement", () => {
  const fx = H.chain;
  const log: Entry[] = [];
  const x = leaf([1, 2]);
  const y = x.mul(2);
  y.gradFn!.registerHook((gi) => {
    log.push(["post1", gi]);
    return [gi[0]!.mul(2), null];
  });
  y.gradFn!.registerHook((gi) => {
    log.push(["post2", gi]);
    return [gi[0]!.add(1), null];
  });
  y.gradFn!.registerPrehook((go) => {
    log.push(["pre1", go]);
    return [go[0]!.mul(3)];
  });
  y.gradFn!.registerPrehook((go) => void log.push(["pre2", go]));
  y.sum().backward();
  expectLog(log, fx.log);
  expectRec(x.grad, fx.x_grad, "x.grad");
});

test("a leaf used twice: its hook runs once with the sum; a hook can zero the gradient", () => {
  const fx = H.leaf_twice;
  const seen: Tensor[] = [];
  const x = leaf([1, 2]);
  x.registerHook((g) => void seen.push(g));
  const hz = x.registerHook((g) => torch.zerosLike(g));
  x.mul(x).add(x.mul(3)).sum().backward();
  expectRec(x.grad, fx.x_grad, "zeroed");
  hz.remove();
  x.grad = null;
  x.mul(x).add(x.mul(3)).sum().backward();
  expectRec(x.grad, fx.after_remove.x_grad, "after remove");
  assert.equal(seen.length, fx.after_remove.log.length);
  seen.forEach((g, i) => expectRec(g, fx.after_remove.log[i], `seen ${i}`));
});

test("hooks on a custom function's node", () => {
  const fx = H.custom_node;
  class Exp extends torch.autograd.Function {
    static override forward(ctx: torch.autograd.FunctionCtx, x: Tensor): Tensor {
      const r = x.exp();
      ctx.saveForBackward(r);
      return r;
    }
    static override backward(ctx: torch.autograd.FunctionCtx, g: Tensor): Tensor {
      return g.mul(ctx.savedTensors[0]!);
    }
  }
  const log: Entry[] = [];
  const x = leaf([1, 2]);
  const y = Exp.apply(x);
  y.gradFn!.registerHook((gi, go) => void log.push(["post", gi, go]));
  y.gradFn!.registerPrehook((go) => void log.push(["pre", go]));
  y.mul(2).sum().backward();
  expectLog(log, fx.log);
  expectRec(x.grad, fx.x_grad, "x.grad");
});

test("registerPostAccumulateGradHook: sees the updated .grad; remove() stops it", () => {
  const x = leaf([1, 2]);
  const seen: Tensor[] = [];
  const h = x.registerPostAccumulateGradHook((t) => void seen.push(t.grad!.clone()));
  x.mul(x).sum().backward();
  x.mul(3).sum().backward();
  h.remove();
  x.mul(3).sum().backward();
  assert.equal(seen.length, H.post_accumulate.seen.length);
  seen.forEach((g, i) => expectRec(g, H.post_accumulate.seen[i], `seen ${i}`));
  assert.throws(
    () => x.mul(2).registerPostAccumulateGradHook(() => {}),
    /post accumulate grad hooks cannot be registered on non-leaf tensors/,
  );
});

// ---------------------------------------------------------------------------------------------
// saved-tensor hooks

const S = H.saved;
const hooksApi = torch.autograd.graph;

test("savedTensorsHooks: pack when saved (grad mode off), unpack when used", () => {
  let log: Entry[] = [];
  const pack = (t: Tensor): Tensor => {
    log.push(["pack", t.gradFn?.name() ?? null, t.requiresGrad, torch.isGradEnabled(), t]);
    return t.mul(1);
  };
  const unpack = (p: Tensor): Tensor => {
    log.push(["unpack", torch.isGradEnabled(), p]);
    return p;
  };
  const x = leaf([1, 2, 3]);
  const y = hooksApi.savedTensorsHooks(pack, unpack, () => x.exp().mul(x).sum());
  const plain = (e: Entry): unknown[] => e.filter((v) => !(v instanceof torch.Tensor));
  assert.deepEqual(
    log.map(plain),
    (S.forward_log as Entry[]).map((e) => e.slice(0, 4)),
  );
  log.forEach((e, i) => expectRec(e[4] as Tensor, S.forward_log[i][4], `packed ${i}`));
  log = [];
  y.backward();
  assert.deepEqual(
    log.map(plain),
    (S.backward_log as Entry[]).map((e) => e.slice(0, 2)),
  );
  log.forEach((e, i) => expectRec(e[2] as Tensor, S.backward_log[i][2], `unpacked ${i}`));
  expectRec(x.grad, S.x_grad, "x.grad");

  // with createGraph, unpack runs with grad mode on and the result is differentiable
  log = [];
  const y2 = hooksApi.savedTensorsHooks(pack, unpack, () => x.exp().mul(x).sum());
  const [g] = torch.autograd.grad(y2, [x], { createGraph: true });
  assert.deepEqual(
    log.map((e) => e.slice(0, 2)),
    S.create_graph_log,
  );
  expectRec(g, { ...S.create_graph_grad, requires_grad: true }, "grad");
});

test("savedTensorsHooks: nested (innermost wins), custom functions, no version check", () => {
  const x = leaf([1, 2, 3]);
  const log: unknown[] = [];
  const y = hooksApi.savedTensorsHooks(
    (t) => ["outer", t] as const,
    (p) => p[1],
    () =>
      hooksApi.savedTensorsHooks(
        (t) => ["inner", t] as const,
        (p) => {
          log.push(p[0]);
          return p[1];
        },
        () => x.sin(),
      ),
  );
  y.sum().backward();
  assert.deepEqual(log, S.nested);

  class Exp extends torch.autograd.Function {
    static override forward(ctx: torch.autograd.FunctionCtx, x: Tensor): Tensor {
      const r = x.exp();
      ctx.saveForBackward(r);
      return r;
    }
    static override backward(ctx: torch.autograd.FunctionCtx, g: Tensor): Tensor {
      return g.mul(ctx.savedTensors[0]!);
    }
  }
  const clog: unknown[][] = [];
  const e = hooksApi.savedTensorsHooks(
    (t) => {
      clog.push(["pack", t.gradFn?.name() ?? null]);
      return t;
    },
    (p) => {
      clog.push(["unpack"]);
      return p;
    },
    () => Exp.apply(x),
  );
  e.sum().backward();
  assert.deepEqual(clog, S.custom);

  // the unpacked tensor replaces the saved one, so no version check (as PyTorch)
  const a = x.mul(1);
  const s = hooksApi.savedTensorsHooks(
    (t) => t.mul(1),
    (t) => t,
    () => a.sin(),
  );
  torch.noGrad(() => a.add_(1));
  assert.equal(S.no_version_check, null);
  s.sum().backward();
});

test("savedTensorsHooks: PyTorch's errors; guard form with remove() and using", () => {
  const b = leaf([1, 1]).mul(1);
  hooksApi.savedTensorsHooks(
    (t) => t.add_(1),
    (t) => t,
    () => throwsLike(() => b.sin(), S.pack_inplace),
  );
  const x = leaf([1, 2, 3]);
  const y = hooksApi.savedTensorsHooks(
    () => 5,
    (p) => p as unknown as Tensor,
    () => x.sin(),
  );
  throwsLike(() => y.sum().backward(), S.unpack_not_tensor);
  throwsLike(
    () =>
      hooksApi.disableSavedTensorsHooks("no hooks here", () =>
        hooksApi.savedTensorsHooks(
          (t) => t,
          (t) => t,
          () => 0,
        ),
      ),
    S.disabled,
  );

  // guard with remove(): hooks apply until removed
  let packs = 0;
  const h = hooksApi.savedTensorsHooks(
    (t) => (packs++, t),
    (t) => t,
  );
  x.sin();
  h.remove();
  x.sin();
  assert.equal(packs, 1);
  {
    using _g = hooksApi.savedTensorsHooks(
      (t) => (packs++, t),
      (t) => t,
    );
    x.cos();
  }
  x.cos();
  assert.equal(packs, 2);
});

test("README: Hooks example runs", () => {
  runReadmeSection("Hooks");
});
