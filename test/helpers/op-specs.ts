/**
 * The op table (test/op-specs.json, test/op-specs/*.json) and its PyTorch fixtures
 * (test/fixtures/ops.json), loaded from disk; the evaluation helpers they share with the
 * browser tests are in op-eval.ts.
 */
import { readdirSync } from "node:fs";
import { readFixture, readTestJson } from "./fixtures.js";
import type { Fixture, OpSpec } from "./op-eval.js";

export * from "./op-eval.js";

/** test/op-specs.json, then each family's file test/op-specs/<family>.json in name order. */
export const specs = [
  ...readTestJson<OpSpec[]>("op-specs.json"),
  ...readdirSync(new URL("../op-specs/", import.meta.url))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .flatMap((f) => readTestJson<OpSpec[]>(`op-specs/${f}`)),
];
export const fixtures = new Map<string, Fixture>(
  readFixture<Fixture[]>("ops.json").map((f) => [f.name, f]),
);
