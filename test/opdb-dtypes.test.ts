/**
 * PyTorch's operator database in the dtypes beyond float32/float64/int64 (issue 14): uint8,
 * int8, int16, float16, bfloat16, complex64, complex128.
 *
 * test/fixtures/opdb_dtypes.json (scripts/fixtures/opdb_dtypes_fx.py) holds, for every op_db
 * OpInfo of the torch/functional/special/linalg sections and each of those dtypes it supports
 * on CPU, two of its samples in that dtype, with PyTorch's results and (where the dtype is
 * among the op's backward dtypes) the gradients of sum_i sum(out_i * w_i). Each sample is
 * replayed in every variant tensorgrad has, in its kwargs form (test/opdb.test.ts checks the
 * positional forms), through test/helpers/opdb.ts: result dtype, shape, requiresGrad, grad_fn,
 * values (integers exactly, overflow wrapping included; half types within PyTorch's half
 * tolerances, about one unit in the last place; complex through their real views) and
 * gradients.
 *
 * Samples that fail are listed in test/opdb-dtypes-known-failures.json (sample id -> "[the
 * reason] the call -> what goes wrong"); a listed sample that passes fails the test, so the
 * list only shrinks. `OPDB_UPDATE_KNOWN=1 node --import tsx --test test/opdb-dtypes.test.ts`
 * rewrites it: lines of samples that pass go, new failures come in without a reason (add one).
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { readFixture, readTestJson } from "./helpers/fixtures.js";
import {
  fullName,
  runSample,
  settleKnownFailures,
  UPDATE_KNOWN,
  variantsOf,
  type Op,
  type Sample,
} from "./helpers/opdb.js";

const fixture = readFixture<{ torch: string; ops: Op[] }>("opdb_dtypes.json");
const KNOWN_PATH = "opdb-dtypes-known-failures.json";
const known = readTestJson<Record<string, string>>(KNOWN_PATH);

/** Failures of each sample that ran (at least one call). */
const observed = new Map<string, string[]>();
const present = fixture.ops.filter((op) => variantsOf(op).length > 0);

for (const op of present) {
  test(`${op.section}: ${fullName(op)}`, () => {
    const problems: string[] = [];
    for (const s of op.samples) {
      const { failures, checks } = runSample(op, s);
      if (checks === 0) continue; // only in variants tensorgrad lacks
      observed.set(s.id, failures);
      if (failures.length > 0 && !(s.id in known)) problems.push(`${s.id}: ${failures.join("; ")}`);
      if (failures.length === 0 && s.id in known) {
        problems.push(`${s.id} passes now: delete its line from test/${KNOWN_PATH}`);
      }
    }
    if (!UPDATE_KNOWN) assert.deepEqual(problems, []);
  });
}

const DTYPE_ORDER = [
  "uint8",
  "int8",
  "int16",
  "float16",
  "bfloat16",
  "complex32",
  "complex64",
  "complex128",
];

test("opdb dtypes: coverage per dtype, and the known-failures list names only present samples", () => {
  const all = fixture.ops.flatMap((op) => op.samples.map((s): [Op, Sample] => [op, s]));
  for (const dtype of DTYPE_ORDER) {
    const of = all.filter(([, s]) => s.dtype === dtype);
    const ran = of.filter(([, s]) => observed.has(s.id));
    const passing = ran.filter(([, s]) => observed.get(s.id)!.length === 0);
    const withGrads = ran.filter(([, s]) => s.grads);
    const gradsPassing = withGrads.filter(([, s]) => observed.get(s.id)!.length === 0);
    const ops = (list: [Op, Sample][]): number => new Set(list.map(([op]) => fullName(op))).size;
    const pct = ran.length === 0 ? 100 : (100 * passing.length) / ran.length;
    console.log(
      `opdb ${dtype} (PyTorch ${fixture.torch}): ${ops(ran)}/${ops(of)} ops present; ` +
        `samples passing ${passing.length}/${ran.length} (${pct.toFixed(1)}%), ` +
        `with gradients ${gradsPassing.length}/${withGrads.length}`,
    );
  }
  settleKnownFailures(
    KNOWN_PATH,
    known,
    observed,
    new Set(present.flatMap((op) => op.samples.map((s) => s.id))),
  );
});
