// torch.autograd.explain: "why is my grad null?". No PyTorch counterpart: each branch is checked
// for its key statements, and every verdict is checked against what backward then does.
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { runReadmeSection } from "./helpers/custom-fixtures.js";

const explain = torch.autograd.explain;
const leaf = (v: number[]): Tensor => torch.tensor(v, { requiresGrad: true });

/** The verdict (first line) and the rest. */
function parts(s: string): { verdict: string; body: string } {
  const [verdict, ...rest] = s.split("\n");
  return { verdict, body: rest.join("\n") };
}

/** Check the verdict against reality: run output.backward() and look at input.grad. */
function verify(text: string, output: Tensor, input: Tensor): void {
  const { verdict } = parts(text);
  const before = input._grad?.clone() ?? null;
  let threw: Error | null = null;
  try {
    output.backward(output.numel() === 1 ? undefined : torch.onesLike(output), {
      retainGraph: true,
    });
  } catch (e) {
    threw = e as Error;
  }
  const after = input._grad;
  if (verdict.includes("will be populated")) {
    assert.equal(threw, null, `said populated but backward threw: ${threw?.message}`);
    assert.ok(after !== null, "said populated, but .grad is null");
  } else if (verdict.includes("will stay null")) {
    assert.ok(after === null, "said null, but .grad was set");
  } else if (verdict.includes("will not be updated")) {
    assert.ok(threw !== null, "said backward throws");
    assert.deepEqual(after?.tolist() ?? null, before?.tolist() ?? null);
  } else assert.fail(`unknown verdict: ${verdict}`);
}

test("the input does not require grad: plain, integer, made by detach()", () => {
  const x = leaf([1, 2, 3]);
  const plain = torch.ones(3);
  let s = explain(x.mul(plain).sum(), plain);
  assert.match(parts(s).verdict, /^input\.grad will stay null: input does not require grad\.$/);
  assert.match(s, /requiresGrad_\(\)/);
  verify(s, x.mul(plain).sum(), plain);

  const ints = torch.tensor([1, 2], { dtype: torch.int64 });
  s = explain(x.sum(), ints);
  assert.match(s, /input is int64: only floating point tensors can require gradients/);

  const d = x.detach();
  const y = x.mul(d).sum();
  s = explain(y, d, { inputName: "d", outputName: "loss" });
  assert.match(parts(s).verdict, /^d\.grad will stay null: d does not require grad/);
  assert.match(s, /d was made by detach\(\) of a leaf that requires grad/);
  const d2 = x.mul(2).detach();
  assert.match(explain(y, d2), /detach\(\) of a tensor with grad_fn=MulBackward0/);
  verify(s, y, d);
});

test("the output has no graph: computed under noGrad, or detached", () => {
  const x = leaf([1, 2, 3]);
  const y = torch.noGrad(() => x.mul(2)).sum();
  const s = explain(y, x);
  assert.match(parts(s).verdict, /output\.backward\(\) throws .*does not require grad/);
  assert.match(s, /under torch\.noGrad/);
  assert.throws(() => y.backward(), /does not require grad and does not have a grad_fn/);
  assert.equal(x.grad, null);
  const s2 = explain(x.mul(2).detach(), x, { outputName: "y" });
  assert.match(s2, /y was made by detach\(\) of a tensor with grad_fn=MulBackward0/);
});

test("not on the path: never recorded (only used under noGrad), with the cut named", () => {
  const w = leaf([1, 1, 1]);
  const u = leaf([5, 5, 5]);
  const y = w.mul(torch.noGrad(() => u.mul(2))).sum();
  const s = explain(y, u, { inputName: "u", outputName: "y" });
  assert.match(parts(s).verdict, /^u\.grad will stay null: y does not depend on u/);
  assert.match(s, /u has never been used by an op that recorded the graph/);
  assert.match(s, /the chain most likely breaks at input 1 of MulBackward0 \(float32 \[3\]\)/);
  assert.match(s, /y depends on 1 leaf tensor requiring grad: float32 \[3\]/);
  verify(s, y, u);
});

test("not on the path: requiresGrad_() called after the tensor was used", () => {
  const w = leaf([1, 1, 1]);
  const late = torch.ones(3);
  const y = w.mul(late).sum();
  late.requiresGrad_();
  const s = explain(y, late);
  assert.match(s, /happened before input was made to require grad/);
  assert.match(s, /It was probably input itself, used before it required grad/);
  verify(s, y, late);
});

test("not on the path: cut by detach() (one likely place) or several candidate cuts", () => {
  const x = leaf([1, 2, 3]);
  const w = leaf([1, 1, 1]);
  const y = x.detach().mul(2).mul(w).sum();
  x.mul(1); // x takes part in some graph
  let s = explain(y, x);
  assert.match(s, /input takes part in a graph, but not in output's/);
  assert.match(s, /the chain most likely breaks at input 0 of MulBackward0/);
  verify(s, y, x);

  const z = leaf([1, 2]);
  const y2 = x.detach().mul(w).add(torch.ones(3)).sum().add(z.detach().sum());
  s = explain(y2, x);
  assert.match(s, /takes operands without grad history at: .*AddBackward0.*MulBackward0/);
  verify(s, y2, x);
});

test("not on the path: the output does not use the input at all", () => {
  const x = leaf([1, 2, 3]);
  const w = leaf([1, 1, 1]);
  x.mul(3);
  const y = w.mul(2).sum();
  const s = explain(y, x);
  assert.match(s, /no operand without grad history, so input was not used to compute output/);
  verify(s, y, x);
});

test("not on the path: the input was modified in place after the output used it", () => {
  const x = leaf([1, 2, 3]);
  const a = x.mul(2);
  a.retainGrad();
  const y = a.mul(3).sum();
  a.add_(1);
  const s = explain(y, a, { inputName: "a", outputName: "y" });
  assert.match(
    s,
    /a was modified in place after y used it: its grad_fn is now AddBackward0, while y depends on its earlier value \(MulBackward0\)/,
  );
  assert.doesNotMatch(s, /not used to compute/);
  verify(s, y, a);
});

test("a non-leaf without retainGrad: names its grad_fn, hints, and the leaf below it", () => {
  const x = leaf([1, 2]);
  const xd = x.double();
  const y = xd.mul(2).sum();
  let s = explain(y, xd, { inputName: "xd", outputName: "y" });
  assert.match(
    parts(s).verdict,
    /^xd\.grad will stay null: xd is not a leaf \(grad_fn=ToCopyBackward0\) and does not retain its gradient/,
  );
  assert.match(s, /path: y → SumBackward0 → MulBackward0 → ToCopyBackward0 \(xd's grad_fn\)/);
  assert.match(s, /dtype conversion/);
  assert.match(s, /xd\.retainGrad\(\)/);
  assert.match(s, /the leaf xd was computed from is a float32 \[2\] tensor/);
  verify(s, y, xd);

  let p = leaf([1, 2]);
  p = p.sub(p.mul(0.1));
  s = explain(p.mul(2).sum(), p, { inputName: "w" });
  assert.match(s, /grad_fn=SubBackward0/);
  assert.match(s, /parameter update/);

  // with retainGrad it is populated
  const h = x.mul(2);
  h.retainGrad();
  const y2 = h.mul(h).sum();
  s = explain(y2, h);
  assert.match(parts(s).verdict, /will be populated/);
  verify(s, y2, h);
});

test("populated: the path, non-scalar outputs, several uses, an existing .grad", () => {
  const x = leaf([1, 2, 3]);
  const y = x.mul(2).sum();
  let s = explain(y, x, { inputName: "x", outputName: "loss" });
  assert.equal(parts(s).verdict, "x.grad will be populated by loss.backward().");
  assert.match(s, /path: loss → SumBackward0 → MulBackward0 → AccumulateGrad → x\.grad/);
  verify(s, y, x);

  const v = x.mul(x);
  s = explain(v, x);
  assert.match(s, /output has 3 elements: output\.backward\(\) needs a gradient argument/);
  assert.match(s, /input is used 2 times in output's graph/);
  assert.match(s, /input\.grad already holds a gradient: the new one is added to it/);
  verify(s, v, x);

  const c = leaf([1, 2]);
  s = explain(c.sum(), c);
  assert.match(s, /AccumulateGrad/);
  assert.match(explain(c, c), /path: output \(= input\) → AccumulateGrad → input\.grad/);
});

test("hooks: listed statically; with run, a hook that zeroes or replaces the gradient", () => {
  const x = leaf([1, 2, 3]);
  x.registerHook((g) => g.mul(0));
  const y = x.mul(2).sum();
  let s = explain(y, x);
  assert.match(s, /hooks on the way may replace the gradient: 1 tensor hook on input/);
  s = explain(y, x, { run: true });
  assert.match(
    parts(s).verdict,
    /will be populated by output\.backward\(\), but with zeros: a hook/,
  );
  assert.match(s, /tensor hook #1 on input zeroed the gradient \(it was \[2, 2, 2\]\)/);
  assert.equal(x.grad, null, "the trial run accumulates nothing");
  verify(s, y, x);
  assert.deepEqual(x.grad!.tolist(), [0, 0, 0]);

  const a = leaf([1, 2]);
  const h = a.mul(3);
  h.registerHook((g) => g.add(1));
  h.gradFn!.registerPrehook(() => undefined);
  const y2 = h.sum();
  s = explain(y2, a);
  assert.match(s, /1 tensor hook on output 0 of MulBackward0/);
  assert.match(s, /1 prehook\(s\) on MulBackward0/);
  s = explain(y2, a, { run: true });
  assert.match(
    s,
    /tensor hook #1 on output 0 of MulBackward0 replaced the gradient: \[1, 1\] → \[2, 2\]/,
  );
  assert.match(parts(s).verdict, /: \[6, 6\]\.$/);
});

test("run: zeros from the ops on the path; a trial that throws is reported", () => {
  const r = leaf([-1, -2]);
  const s = explain(r.relu().sum(), r, { run: true });
  assert.match(s, /but with zeros: the ops on the path .* pass no gradient/);
  const c = leaf([1, 2]);
  const y = torch.utils.checkpoint((t: Tensor) => t.sin(), c).sum();
  const s2 = explain(y, c, { run: true });
  assert.match(s2, /the trial backward threw: Checkpointing is not compatible with \.grad\(\)/);
  verify(s2, y, c);
});

test("a graph already freed: backward will throw", () => {
  const q = leaf([1, 2]);
  const y = q.mul(q).sum();
  y.backward();
  const s = explain(y, q);
  assert.match(
    parts(s).verdict,
    /q?input\.grad will not be updated: output\.backward\(\) throws "Trying to backward through the graph a second time"/,
  );
  assert.match(s, /MulBackward0 released its saved tensors/);
  verify(s, y, q);
  // custom functions too
  class Sq extends torch.autograd.Function {
    static override forward(ctx: torch.autograd.FunctionCtx, x: Tensor): Tensor {
      ctx.saveForBackward(x);
      return x.mul(x);
    }
    static override backward(ctx: torch.autograd.FunctionCtx, g: Tensor): Tensor {
      return g.mul(2).mul(ctx.savedTensors[0]!);
    }
  }
  const z = Sq.apply(q).sum();
  z.backward();
  assert.match(explain(z, q), /SqBackward released its saved tensors/);
});

test("explain rejects non-tensors", () => {
  assert.throws(() => explain(1 as unknown as Tensor, leaf([1])), TypeError);
  assert.throws(() => explain(leaf([1]), null as unknown as Tensor), TypeError);
});

test("README: Why is my grad null? example runs", () => {
  const out = runReadmeSection("Why is my grad null?");
  assert.match(out, /will stay null/);
});
