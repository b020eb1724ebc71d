/**
 * In-place ops on views of tensors in a graph (Note [CopySlices] in src/ops/inplace.ts):
 * values, grad_fn names and gradients against PyTorch (scripts/fixtures/inplace_views_fx.py).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";

interface Case {
  name: string;
  x: number[];
  w: number[];
  out: number[];
  out_grad_fn: string;
  view_grad_fn: string;
  x_grad: number[] | null;
  w_grad: number[] | null;
}
const cases: Case[] = JSON.parse(
  readFileSync(new URL("./fixtures/inplace_views.json", import.meta.url), "utf8"),
);

/** The same programs as the fixture's Python sources, in tensorgrad. */
const programs: Record<string, (x: Tensor, w: Tensor) => { out: Tensor; view: Tensor }> = {
  "select then mul_": (x) => {
    const y = x.mul(2);
    const view = y.index(0);
    view.mul_(3);
    return { out: y, view };
  },
  "column add_ of a leaf-free base": (_x, w) => {
    const out = torch.zeros(2, 3, { dtype: torch.float64 });
    const view = out.index(":", 0);
    view.add_(w.index("0:2"));
    return { out, view };
  },
  "transposed view": (x, w) => {
    const y = x.mul(1);
    const view = y.t().index(1);
    view.add_(w.index(":2").mul(2));
    return { out: y, view };
  },
  "narrow then two in-place ops": (x, w) => {
    const y = x.add(0);
    const view = y.narrow(1, 1, 2);
    view.mul_(w.index("1:"));
    view.add_(1);
    return { out: y, view };
  },
  "view used after the write": (x, w) => {
    const y = x.mul(3);
    const view = y.index(1);
    view.sub_(w);
    return { out: y.mul(view), view };
  },
  "t_ of a non-leaf": (x, w) => {
    const y = x.mul(2);
    const view = y.t_();
    return { out: y.mul(w.index(":2")), view };
  },
  "t_ of a view": (x, w) => {
    const y = x.mul(1);
    const view = y.index(":", "1:");
    view.t_();
    return { out: view.mul(w.index("1:")), view };
  },
  "t_ of a base rebuilds its views": (x) => {
    const y = x.mul(1);
    const view = y.view(3, 2);
    y.t_();
    return { out: view.mul(2).add(y), view };
  },
  "unsqueeze_ then squeeze_": (x, w) => {
    const y = x.mul(w);
    y.unsqueeze_(0);
    const view = y.squeeze_();
    return { out: y.mul(3), view };
  },
  "transpose_ then a write": (x, w) => {
    const y = x.add(0);
    y.transpose_(0, 1);
    const view = y.index(0);
    view.mul_(w.index(":2"));
    return { out: y, view };
  },
};

const close = (a: number[], b: number[]): boolean =>
  a.length === b.length &&
  a.every((v, i) => Math.abs(v - b[i]) <= 1e-12 * Math.max(1, Math.abs(b[i])));

test("every fixture case has a program", () => {
  assert.deepEqual(cases.map((c) => c.name).sort(), Object.keys(programs).sort());
});

for (const c of cases) {
  test(`in-place on a view matches PyTorch: ${c.name}`, () => {
    const x = torch.tensor(c.x, { dtype: torch.float64 }).reshape(2, 3).requiresGrad_();
    const w = torch.tensor(c.w, { dtype: torch.float64, requiresGrad: true });
    const { out, view } = programs[c.name](x, w);
    assert.ok(close(out.detach().flatten().tolist() as number[], c.out), "values");
    assert.equal(out.gradFn?.name(), c.out_grad_fn);
    assert.equal(view.gradFn?.name(), c.view_grad_fn);
    out.sum().backward();
    const xg = x.grad === null ? null : (x.grad.flatten().tolist() as number[]);
    const wg = w.grad === null ? null : (w.grad.tolist() as number[]);
    assert.equal(xg === null, c.x_grad === null, "x.grad presence");
    assert.equal(wg === null, c.w_grad === null, "w.grad presence");
    if (xg !== null && c.x_grad !== null)
      assert.ok(close(xg, c.x_grad), `x.grad ${xg} vs ${c.x_grad}`);
    if (wg !== null && c.w_grad !== null)
      assert.ok(close(wg, c.w_grad), `w.grad ${wg} vs ${c.w_grad}`);
  });
}

test("an in-place op through a view is checked by finite differences (gradcheck)", () => {
  torch.manualSeed(1);
  const x = torch.randn(2, 3, { dtype: torch.float64, requiresGrad: true });
  const w = torch.randn(3, { dtype: torch.float64, requiresGrad: true });
  const ok = torch.autograd.gradcheck(
    (a: Tensor, b: Tensor) => {
      const y = a.mul(1);
      y.index(1).mul_(b);
      return y;
    },
    [x, w],
  );
  assert.equal(ok, true);
});
