/**
 * The op table (test/op-specs.json) and its PyTorch fixtures (test/fixtures/ops.json), with the
 * input construction and the gradcheck selection rule shared by test/ops.test.ts,
 * test/gradgradcheck.test.ts and test/forward-ad.test.ts.
 */
import { readdirSync } from "node:fs";
import * as torch from "../../src/index.js";
import type { DTypeName, Tensor } from "../../src/index.js";
import { decodeNumber, readFixture, readTestJson, type NonFinite } from "./fixtures.js";

export { decodeNumber as decode } from "./fixtures.js";

export interface InputSpec {
  shape: number[];
  dtype?: DTypeName;
  domain?: "any" | "positive" | "unit" | "nonzero" | "int" | "special";
  grad?: boolean;
  transpose?: boolean;
}

export interface OpSpec {
  name: string;
  py: string;
  js: string;
  inputs: InputSpec[];
  grad?: boolean;
  gradcheck?: boolean;
  order?: 1 | 2;
  /** gradcheck's perturbation, for ops whose output is float32 even in gradcheck */
  eps?: number;
  /**
   * The op has no forward-mode formula in PyTorch (derivatives.yaml lists no `result:`, as for
   * index_reduce): the reason; test/forward-ad.test.ts then expects PyTorch's
   * NotImplementedError instead of comparing tangents.
   */
  noForwardAd?: string;
  /**
   * The op's backward has no derivative in PyTorch (its `*_backward` op has no derivatives.yaml
   * entry, as _segment_reduce_backward): the reason; test/gradgradcheck.test.ts then expects
   * PyTorch's "derivative for aten::... is not implemented" instead of a gradgradcheck.
   */
  noDoubleBackward?: string;
}

export type Value = number | NonFinite;

export interface FxOutput {
  shape: number[];
  dtype: DTypeName;
  values: Value[];
  gradFn: string | null;
}

export interface Fixture {
  name: string;
  inputs: { values: Value[] }[];
  outputs: FxOutput[];
  weights?: (Value[] | null)[];
  grads?: (Value[] | null)[] | null;
  v?: Value[][];
  second?: (Value[] | null)[] | null;
}

export type OpFn = (t: typeof torch, a?: Tensor, b?: Tensor, c?: Tensor) => unknown;

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

export const isFloat = (d: DTypeName): boolean => d === "float32" || d === "float64";

export function needsGrad(spec: OpSpec, inp: InputSpec): boolean {
  return inp.grad ?? (!!spec.grad && isFloat(inp.dtype ?? "float32"));
}

/** Whether test/ops.test.ts runs a finite-difference gradcheck on the spec. */
export const isGradchecked = (spec: OpSpec): boolean => !!spec.gradcheck;

/** The input from its stored (pre-transpose, contiguous) values, as the fixture made it. */
export function makeInput(
  inp: InputSpec,
  values: Value[],
  dtype: DTypeName,
  grad: boolean,
): Tensor {
  const shape = inp.shape.slice();
  if (inp.transpose) {
    const n = shape.length;
    [shape[n - 2], shape[n - 1]] = [shape[n - 1], shape[n - 2]];
  }
  let t = torch.tensor(values.map(decodeNumber), { dtype }).reshape(shape);
  if (inp.transpose) t = t.transpose(-2, -1);
  if (grad) t.requiresGrad_();
  return t;
}

export function compile(js: string): OpFn {
  return new Function("torch", "a", "b", "c", `return (${js});`) as OpFn;
}

/** Row-major values (bools as 0/1). */
export function flat(t: Tensor): number[] {
  const c = t.detach().contiguous();
  return Array.from(c.typedArray.subarray(c.offset, c.offset + c.numel()), Number);
}

/**
 * A result as a list of tensors: a tensor, an array, or a named tuple (`{ values, indices }`,
 * `{ min, max }`: its fields are also at 0, 1, ... as torch.return_types are).
 */
export function outputsOf(r: unknown): Tensor[] {
  if (r instanceof torch.Tensor) return [r];
  if (Array.isArray(r)) return r as Tensor[];
  if (r !== null && typeof r === "object" && 0 in r) {
    const out: Tensor[] = [];
    const t = r as Record<number, Tensor | undefined>;
    for (let i = 0; t[i] !== undefined; i++) out.push(t[i] as Tensor);
    return out;
  }
  throw new Error(`unexpected result ${String(r)}`);
}

/** The spec's inputs in float64 (floating ones), for finite differences. */
export function gradcheckInputs(spec: OpSpec, fx: Fixture): Tensor[] {
  return spec.inputs.map((inp, i) => {
    const dtype = inp.dtype ?? "float32";
    const grad = needsGrad(spec, inp);
    return makeInput(inp, fx.inputs[i].values, isFloat(dtype) ? "float64" : dtype, grad);
  });
}
