/**
 * Forward-mode AD on complex128 and float64 tensors (issue 14: "forward-mode where
 * supports_forward_ad"), against PyTorch's own tangents.
 *
 * test/fixtures/opdb_fwd.json (scripts/fixtures/opdb_fwd_fx.py) holds, for every op_db OpInfo
 * of the torch/functional/special/linalg/fft sections with `supports_forward_ad`, two samples
 * of each of complex128 and float64 among its backward dtypes, with a tangent for each input
 * requiring grad (complex for complex inputs, real for real ones) and PyTorch's output tangents
 * (`unpack_dual(out).tangent` inside one dual level). Each sample is replayed the same way in
 * the function variant (the method where there is none), kwargs form: every output tangent is
 * compared (shape, dtype, values within the gradient tolerance of test/helpers/opdb.ts; an
 * output PyTorch gives no tangent must have none or a zero one).
 *
 * Samples that fail are listed in test/opdb-fwd-known-failures.json (sample id -> "the call ->
 * what goes wrong"); a listed sample that passes fails the test, so the list only shrinks.
 * `OPDB_UPDATE_KNOWN=1 node --import tsx --test test/opdb-fwd.test.ts` rewrites it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import * as torch from "../src/index.js";
import { Tensor } from "../src/index.js";
import { readFixture, readTestJson } from "./helpers/fixtures.js";
import {
  alignGauge,
  callArgs,
  checkTensor,
  checkTree,
  describe,
  failure,
  fullName,
  functionOf,
  makeTensor,
  methodName,
  settleKnownFailures,
  UPDATE_KNOWN,
  variantPresent,
  type Fn,
  type Op,
  type Sample,
  type TRec,
} from "./helpers/opdb.js";

interface FwdSample extends Sample {
  tangents: (TRec | null)[];
  out_tangents: (TRec | null)[] | null;
  fwd_error: { type: string; message: string } | null;
}

type FwdOp = Omit<Op, "samples"> & { samples: FwdSample[] };

const fixture = readFixture<{ torch: string; ops: FwdOp[] }>("opdb_fwd.json");
const KNOWN_PATH = "opdb-fwd-known-failures.json";
const known = readTestJson<Record<string, string>>(KNOWN_PATH);
const fw = torch.autograd.forwardAd;

/** The variant the fixture called: the function, else the method. */
function variantOf(op: Op): "function" | "method" | null {
  if (op.variants.includes("function")) return variantPresent(op, "function") ? "function" : null;
  return op.variants.includes("method") && variantPresent(op, "method") ? "method" : null;
}

/** The output tangents of one sample, checked against PyTorch's (throws on a mismatch). */
function runJvp(op: Op, s: FwdSample, variant: "function" | "method"): void {
  const primals = s.tensors.map((r) => makeTensor({ ...r, requires_grad: false }));
  fw.dualLevel(() => {
    const duals = primals.map((p, j) => {
      const t = s.tangents[j];
      return t === null ? p : fw.makeDual(p, makeTensor(t));
    });
    const args = callArgs(s, "kwargs", duals);
    torch.manualSeed(s.seed);
    let result: unknown;
    if (variant === "function") result = functionOf(op)!(...args);
    else {
      const self = args[0] as Tensor;
      const m = (self as unknown as Record<string, Fn>)[methodName(op, "method")!];
      result = m.apply(self, args.slice(1));
    }
    // the primal values first (their tensors, in the fixture's order; requiresGrad as recorded
    // is not compared: the replay's inputs do not require grad)
    const outs = checkTree(alignGauge(op, result, s.out!), stripGrad(s.out!), "result");
    const want = s.out_tangents!;
    assert.equal(outs.length, want.length, "number of output tensors");
    outs.forEach((o, i) => {
      const got = fw.unpackDual(o).tangent;
      const w = want[i];
      if (w === null) {
        const zero = got === null || got.abs().max().item() === 0;
        assert.ok(zero, `output ${i}: PyTorch gives no tangent, got ${String(got)}`);
        return;
      }
      assert.ok(got !== null, `output ${i}: no tangent, PyTorch gives one`);
      checkTensor(got, w, `tangent of output ${i}`, true);
    });
  });
}

/** The result tree without requires_grad and grad_fn (the replay runs without reverse mode). */
function stripGrad<T>(tree: T): T {
  return JSON.parse(JSON.stringify(tree), (k: string, v: unknown) =>
    k === "requires_grad" ? false : k === "grad_fn" ? undefined : v,
  ) as T;
}

const observed = new Map<string, string[]>();
const present = fixture.ops.filter((op) => variantOf(op) !== null);

for (const op of present) {
  test(`forward AD: ${fullName(op)}`, () => {
    const variant = variantOf(op)!;
    const problems: string[] = [];
    for (const s of op.samples) {
      if (s.fwd_error !== null) continue; // none in PyTorch 1.13's selection (checked below)
      const failures: string[] = [];
      try {
        runJvp(op, s, variant);
      } catch (err) {
        failures.push(failure(describe(op, s, variant, "kwargs"), err));
      }
      observed.set(s.id, failures);
      if (failures.length > 0 && !(s.id in known)) problems.push(`${s.id}: ${failures[0]}`);
      if (failures.length === 0 && s.id in known)
        problems.push(`${s.id} passes now: delete its line from test/${KNOWN_PATH}`);
    }
    if (!UPDATE_KNOWN) assert.deepEqual(problems, []);
  });
}

test("forward AD: coverage, and the known-failures list names only present samples", () => {
  const all = fixture.ops.flatMap((op) => op.samples.map((s): [FwdOp, FwdSample] => [op, s]));
  const refused = all.filter(([, s]) => s.fwd_error !== null).map(([, s]) => s.id);
  assert.deepEqual(refused, [], "samples PyTorch's forward AD refuses (replay them as errors)");
  const ran = all.filter(([, s]) => observed.has(s.id));
  const ops = (list: [FwdOp, FwdSample][]): number =>
    new Set(list.map(([op]) => fullName(op))).size;
  for (const dtype of ["complex128", "float64"]) {
    const r = ran.filter(([, s]) => s.dtype === dtype);
    const pass = r.filter(([, s]) => observed.get(s.id)!.length === 0);
    const failingOps = ops(r.filter(([, s]) => observed.get(s.id)!.length > 0));
    console.log(
      `opdb forward AD ${dtype} (PyTorch ${fixture.torch}): ${ops(r)}/` +
        `${ops(all.filter(([, s]) => s.dtype === dtype))} ops present; samples passing ` +
        `${pass.length}/${r.length}, ops with every sample passing ${ops(r) - failingOps}/${ops(r)}`,
    );
  }
  settleKnownFailures(
    KNOWN_PATH,
    known,
    observed,
    new Set(present.flatMap((op) => op.samples.map((s) => s.id))),
  );
});
