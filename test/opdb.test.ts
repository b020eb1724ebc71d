/**
 * PyTorch's own operator database, replayed against tensorgrad.
 *
 * test/fixtures/opdb.json (scripts/fixtures/opdb_fx.py) holds, for every OpInfo of PyTorch
 * 1.13's `op_db` named like a torch.* function, a Tensor method or a torch.nn.functional
 * function, a few of its `sample_inputs` (inputs, args, kwargs; outputs with grad_fn names;
 * gradients of sum_i sum(out_i * w_i)) and its `error_inputs` (the exception PyTorch raises).
 * For each op that tensorgrad has (`torch[camelName]`, `torch.nn.functional[camelName]`,
 * `torch.special[camelName]` for op_db's `special.*` entries, `torch.linalg[camelName]` for
 * its `linalg.*` ones (test/fixtures/opdb_linalg.json), `torch.fft[camelName]` for its `fft.*`
 * ones (test/fixtures/opdb_fft.json, with complex64 samples),
 * `t[camelName]`, `t[camelName_]`; a Python operator method named `__x__` is the Tensor method
 * of exactly that name, `t.__radd__`, and has no function; other names starting with `_` are
 * private and absent), every sample is called in each variant PyTorch has:
 *   - kwargs form:     fn(input, ...args, { camelCasedKwargs })
 *   - positional form: fn(...argsInSchemaOrder, { keywordOnlyKwargs }), when the sample has a
 *     kwarg that is not keyword-only (the fixture holds this call, checked against PyTorch)
 * and compared with PyTorch: values (float32 within rtol 1e-5 + atol 1e-5, gradients 10x
 * looser), shape, dtype, requiresGrad, grad_fn name, gradients; in-place variants run on a
 * clone of the input and must return it. Error samples must throw PyTorch's class
 * (torch.RuntimeError, ...) with PyTorch's message and leave every input unchanged.
 *
 * Ops and variants tensorgrad lacks are counted, not tested (the coverage lines printed at the
 * end). Every sample of a present op must pass in the variants tensorgrad has, except those
 * listed in test/opdb-known-failures.json (sample id -> what goes wrong, as "the call -> the
 * failure"): the to-do list of the argument binder. A listed sample that passes fails the
 * test, so the list only shrinks: delete its line. `OPDB_UPDATE_KNOWN=1 node --import tsx --test test/opdb.test.ts`
 * rewrites the list from the failures of the run (review its diff: it should only lose lines).
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { readFixture, readTestJson } from "./helpers/fixtures.js";
import {
  fullName,
  runError,
  runSample,
  settleKnownFailures,
  UPDATE_KNOWN,
  variantsOf,
  type Call,
  type Op,
  type Outcome,
  type Variant,
} from "./helpers/opdb.js";

const fixture = readFixture<{ torch: string; ops: Op[] }>("opdb.json");
// op_db's linalg.* OpInfos: a file of their own (scripts/fixtures/opdb_linalg_fx.py)
const linalgFixture = readFixture<{ torch: string; ops: Op[] }>("opdb_linalg.json");
// op_db's fft.* OpInfos: a file of their own (scripts/fixtures/opdb_fft_fx.py)
const fftFixture = readFixture<{ torch: string; ops: Op[] }>("opdb_fft.json");
const KNOWN_PATH = "opdb-known-failures.json";
const known = readTestJson<Record<string, string>>(KNOWN_PATH);

// ---------------------------------------------------------------------------------------------
// the tests

/** Failures of each sample that ran (at least one call). */
const observed = new Map<string, string[]>();
const ops = [...fixture.ops, ...linalgFixture.ops, ...fftFixture.ops];
const present = ops.filter((op) => variantsOf(op).length > 0);

for (const op of present) {
  test(`${op.section}: ${fullName(op)}`, () => {
    const problems: string[] = [];
    const cases: [string, () => Outcome][] = [
      ...op.samples.map((s): [string, () => Outcome] => [s.id, () => runSample(op, s)]),
      ...op.errors.map((e): [string, () => Outcome] => [e.id, () => runError(op, e)]),
    ];
    for (const [id, run] of cases) {
      const { failures, checks } = run();
      if (checks === 0) continue; // only in variants tensorgrad lacks
      observed.set(id, failures);
      if (failures.length > 0 && !(id in known)) problems.push(`${id}: ${failures.join("; ")}`);
      if (failures.length === 0 && id in known) {
        problems.push(`${id} passes now: delete its line from test/${KNOWN_PATH}`);
      }
    }
    if (!UPDATE_KNOWN) assert.deepEqual(problems, []);
  });
}

/** "passing/run" of these samples. */
function tally(samples: Call[]): string {
  const run = samples.filter((s) => observed.has(s.id));
  return `${run.filter((s) => observed.get(s.id)!.length === 0).length}/${run.length}`;
}

test("opdb: coverage, and the known-failures list names only samples of present ops", () => {
  for (const section of ["torch", "functional", "special", "linalg", "fft"] as const) {
    const all = ops.filter((op) => op.section === section);
    const have = present.filter((op) => op.section === section);
    const names = (list: Op[]): number => new Set(list.map((op) => op.name)).size;
    const variants = (list: Op[], f: (op: Op) => Variant[]): number =>
      new Set(list.flatMap((op) => f(op).map((v) => `${op.name} ${v}`))).size;
    console.log(
      `opdb ${section} (PyTorch ${fixture.torch}): ${names(have)}/${names(all)} ops present ` +
        `(variants ${variants(all, variantsOf)}/${variants(all, (op) => op.variants)}); ` +
        `samples passing ${tally(have.flatMap((op) => op.samples))}, ` +
        `error samples passing ${tally(have.flatMap((op) => op.errors))}`,
    );
  }
  settleKnownFailures(
    KNOWN_PATH,
    known,
    observed,
    new Set(present.flatMap((op) => [...op.samples, ...op.errors].map((s) => s.id))),
  );
});
