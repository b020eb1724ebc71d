// Anomaly detection (detectAnomaly / setDetectAnomaly) against PyTorch 1.13: NaN checks, the
// messages and the forward tracebacks printed as warnings (test/fixtures/custom.json).
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import {
  FX,
  expectRec,
  throwsLike,
  withWarnings,
  runReadmeSection,
  type Err,
} from "./helpers/custom-fixtures.js";

const A = FX.anomaly;
const ag = torch.autograd;
const leaf = (v: number[]): Tensor => torch.tensor(v, { requiresGrad: true });

/**
 * Our warnings as PyTorch emits them: one per warning, the parent chain ("Previous calculation
 * was induced by ...") as separate ones; first lines only, without "UserWarning: ".
 */
function firstLines(ws: string[]): string[] {
  return ws.flatMap((w) =>
    w
      .replace(/^UserWarning: /, "")
      .split(/\n\n+(?=Previous calculation)/)
      .map((p) => p.trim().split("\n")[0]),
  );
}

/** detectAnomaly(fn) with warnings captured; checks the error and the warnings. */
function expectScenario(
  fx: { error: Err | null; warnings: string[]; inside: boolean },
  fn: () => void,
  opts?: { checkNan?: boolean },
): { error?: unknown; warnings: string[] } {
  let inside = false;
  const r = withWarnings(() =>
    ag.detectAnomaly(() => {
      inside = ag.isAnomalyEnabled();
      fn();
    }, opts),
  );
  assert.equal(inside, fx.inside);
  if (fx.error === null) assert.equal(r.error, undefined);
  else
    throwsLike(() => {
      throw r.error;
    }, fx.error);
  assert.deepEqual(firstLines(r.warnings), fx.warnings);
  return r;
}

test("isAnomalyEnabled: off by default, on inside detectAnomaly, restored after", () => {
  assert.equal(ag.isAnomalyEnabled(), A.enabled_default);
  assert.equal(torch.isAnomalyEnabled(), A.enabled_default);
  withWarnings(() => ag.detectAnomaly(() => assert.equal(ag.isAnomalyEnabled(), true)));
  assert.equal(ag.isAnomalyEnabled(), A.enabled_after);
  // restored when fn throws, too
  withWarnings(() =>
    ag.detectAnomaly(() => {
      throw new Error("boom");
    }),
  );
  assert.equal(ag.isAnomalyEnabled(), false);
});

test("NaN in a node's output gradients: PyTorch's error, with the forward traceback", () => {
  const x = leaf([0, 1]);
  const r = expectScenario(A.div, () => x.div(x).sum().backward());
  // the traceback's top frame is the line of this file that called div
  const trace = r.warnings[1];
  const top = trace.split("\n")[1];
  assert.match(top, /anomaly\.test\.ts:\d+:\d+/);
  assert.doesNotMatch(trace, /src\/(ops|autograd)\//, "library frames are dropped");
  assert.equal((r.error as { forwardTraceback?: string }).forwardTraceback, trace.slice(13));
  // nothing was accumulated (Note [atomic backward])
  assert.equal(x.grad, null);
});

test("NaN checks: sqrt at 0, a custom function's backward", () => {
  const x = leaf([0, 1]);
  expectScenario(A.sqrt, () => x.sqrt().mul(0).sum().backward());
  class Bad extends torch.autograd.Function {
    static override forward(_ctx: torch.autograd.FunctionCtx, x: Tensor): Tensor {
      return x.mul(1);
    }
    static override backward(_ctx: torch.autograd.FunctionCtx, g: Tensor): Tensor {
      return g.mul(NaN);
    }
  }
  expectScenario(A.custom, () => Bad.apply(x).sum().backward());
});

test("errors thrown by a node's backward print its traceback; the version hint changes", () => {
  const x = leaf([0, 1]);
  expectScenario(A.version, () => {
    const a = x.mul(1);
    const y = a.sin();
    a.add_(1);
    y.sum().backward();
  });
});

test("checkNan: false disables the NaN check; finite gradients pass", () => {
  const x = leaf([0, 1]);
  expectScenario(A.no_check_nan, () => x.div(x).sum().backward(), { checkNan: false });
  expectRec(x.grad, A.no_check_nan.x_grad, "x.grad with NaN");
  x.grad = null;
  expectScenario(A.fine, () => x.mul(2).sum().backward());
  expectRec(x.grad, A.fine.x_grad, "x.grad");
});

test("setDetectAnomaly: a node recorded before the mode was on has no forward information", () => {
  const fx = A.no_forward_info;
  const x = leaf([0, 1]);
  const y = x.div(x);
  assert.equal((y.gradFn as { anomaly?: unknown }).anomaly, undefined, "zero cost when off");
  const r = withWarnings(() => {
    ag.setDetectAnomaly(true);
    try {
      y.sum().backward();
    } finally {
      ag.setDetectAnomaly(false);
    }
  });
  throwsLike(() => {
    throw r.error;
  }, fx.error);
  assert.deepEqual(
    r.warnings.map((w) => w.replace(/^UserWarning: /, "")),
    fx.warnings,
  );
  assert.equal(ag.isAnomalyEnabled(), A.enabled_after);
  // guard form
  {
    using _g = ag.setDetectAnomaly(true);
    assert.equal(ag.isAnomalyEnabled(), true);
  }
  assert.equal(ag.isAnomalyEnabled(), false);
});

test("createGraph: nodes made by a backward name the node whose backward made them", () => {
  const x = leaf([0, 1]);
  const r = expectScenario(A.parent, () => {
    const y = x.sqrt();
    const [g] = ag.grad(y.sum(), [x], { createGraph: true });
    g!.mul(0).sum().backward();
  });
  const trace = r.warnings[1];
  // both tracebacks point into this file: the grad() call, then the sqrt() call
  assert.equal(trace.match(/anomaly\.test\.ts:\d+/g)!.length >= 2, true);
});

test("README: Anomaly detection example runs", () => {
  const out = runReadmeSection("Anomaly detection");
  assert.match(out, /returned nan values/);
});
