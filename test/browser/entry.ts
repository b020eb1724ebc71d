/**
 * The page side of test/browser.test.ts: the library and the op table's evaluation, bundled
 * for the browser (no Node built-ins), exposed as `globalThis.tensorgradTest`.
 */
import * as torch from "../../src/index.js";
import type { DTypeName } from "../../src/index.js";
import { decodeNumber, type NonFinite } from "../helpers/decode.js";
import { checkSpec, type Fixture, type OpSpec } from "../helpers/op-eval.js";

/** One spec's mismatches (or the error it threw). */
export interface SpecFailure {
  name: string;
  errors: string[];
}

/** Every spec with a fixture, evaluated as test/ops.test.ts evaluates it. */
function runOpTable(
  specs: OpSpec[],
  fixtures: Fixture[],
): { ran: number; failures: SpecFailure[] } {
  const byName = new Map(fixtures.map((f) => [f.name, f]));
  const failures: SpecFailure[] = [];
  let ran = 0;
  for (const spec of specs) {
    const fx = byName.get(spec.name);
    if (fx === undefined) continue;
    ran++;
    try {
      const errors = checkSpec(spec, fx);
      if (errors.length > 0) failures.push({ name: spec.name, errors });
    } catch (e) {
      failures.push({ name: spec.name, errors: [`threw ${String(e)}`] });
    }
  }
  return { ran, failures };
}

/** A print fixture's tensor (test/fixtures/print.json): its values, shape and dtype. */
export interface PrintCase {
  data: (number | NonFinite | "-0")[];
  shape: number[];
  dtype: DTypeName;
  requires_grad: boolean;
}

/** String(t) of each case's tensor, made with torch.tensor as a page would make it. */
function printAll(cases: PrintCase[]): string[] {
  return cases.map((c) => {
    const values = c.data.map((v) => (v === "-0" ? -0 : decodeNumber(v)));
    const t = torch.tensor(values, { dtype: c.dtype }).reshape(c.shape);
    return String(c.requires_grad ? t.requiresGrad_() : t);
  });
}

/** What the page exposes to the test (plain data in and out). */
export interface PageApi {
  runOpTable(specs: OpSpec[], fixtures: Fixture[]): { ran: number; failures: SpecFailure[] };
  printAll(cases: PrintCase[]): string[];
  backend: "native" | "typescript";
  hasProcess: boolean;
}

const api: PageApi = {
  runOpTable,
  printAll,
  backend: torch.backends.native.active ? "native" : "typescript",
  hasProcess: typeof (globalThis as { process?: unknown }).process !== "undefined",
};
(globalThis as { tensorgradTest?: PageApi }).tensorgradTest = api;
