/**
 * Evaluating one spec of the op table against its PyTorch fixture: inputs, the call, and the
 * comparison of values, dtypes, grad_fn names, gradients and second derivatives. No Node
 * built-ins, so the same code runs in Node (test/ops.test.ts) and, bundled, in a browser page
 * (test/browser.test.ts).
 */
import * as torch from "../../src/index.js";
import type { DTypeName, Tensor } from "../../src/index.js";
import { decodeNumber, type NonFinite } from "./decode.js";

export { decodeNumber as decode };
const decode = decodeNumber;

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

function tolerance(dtype: string): { rtol: number; atol: number } {
  if (dtype === "float32") return { rtol: 1e-5, atol: 1e-6 };
  if (dtype === "float64") return { rtol: 1e-9, atol: 1e-12 };
  return { rtol: 0, atol: 0 };
}

function close(x: number, y: number, rtol: number, atol: number): boolean {
  if (Number.isNaN(y)) return Number.isNaN(x);
  if (!Number.isFinite(y)) return x === y;
  return Math.abs(x - y) <= atol + rtol * Math.abs(y);
}

/** Compare a tensor with expected values; push descriptions of mismatches to `errs`. */
function compareValues(
  errs: string[],
  what: string,
  t: Tensor,
  expected: Value[],
  shape: readonly number[],
  dtype: string,
  tolDtype = dtype,
): void {
  if (t.shape.join() !== shape.join()) {
    errs.push(`${what}: shape [${t.shape}] != expected [${shape}]`);
    return;
  }
  if (t.dtype.name !== dtype) errs.push(`${what}: dtype ${t.dtype.name} != expected ${dtype}`);
  const got = flat(t);
  const want = expected.map(decode);
  const { rtol, atol } = tolerance(tolDtype);
  const bad = got.findIndex((x, i) => !close(x, want[i], rtol, atol));
  if (bad >= 0) {
    errs.push(
      `${what}: values differ at ${bad}: got ${got[bad]}, expected ${want[bad]}\n  got      [${got.join(", ")}]\n  expected [${want.join(", ")}]`,
    );
  }
}

/**
 * Gradients: fixture null (not reached) and all-zero gradients are treated as equal. `tolDtype`:
 * a float64 gradient computed in float32 (mixed-dtype ops) is compared at float32 tolerance.
 */
function compareGrads(
  errs: string[],
  what: string,
  got: (Tensor | null)[],
  expected: (Value[] | null)[],
  inputs: Tensor[],
  tolDtype: (x: Tensor) => string,
): void {
  got.forEach((g, j) => {
    const want = expected[j];
    const x = inputs[j];
    const label = `${what} ${j}`;
    if (want === null) {
      if (g !== null && flat(g).some((v) => v !== 0))
        errs.push(`${label}: expected none, got [${flat(g)}]`);
      return;
    }
    if (g === null) {
      if (want.some((v) => decode(v) !== 0)) errs.push(`${label}: got none, expected [${want}]`);
      return;
    }
    compareValues(errs, label, g, want, x.shape, x.dtype.name, tolDtype(x));
  });
}

function weightedSum(ts: (Tensor | null)[], ws: (Tensor | null)[]): Tensor | null {
  let loss: Tensor | null = null;
  ts.forEach((t, k) => {
    const w = ws[k];
    if (t === null || w === null) return;
    const term = t.mul(w).sum();
    loss = loss === null ? term : loss.add(term);
  });
  return loss;
}

export function checkSpec(spec: OpSpec, fx: Fixture): string[] {
  const errs: string[] = [];
  const fn = compile(spec.js);
  const inputs = spec.inputs.map((inp, i) =>
    makeInput(inp, fx.inputs[i].values, inp.dtype ?? "float32", needsGrad(spec, inp)),
  );
  const outs = outputsOf(fn(torch, ...inputs));
  if (outs.length !== fx.outputs.length) {
    return [`${outs.length} outputs, expected ${fx.outputs.length}`];
  }
  outs.forEach((o, k) => {
    const e = fx.outputs[k];
    compareValues(errs, `output ${k}`, o, e.values, e.shape, e.dtype);
    const name = o.gradFn === null ? null : o.gradFn.name();
    if (name !== e.gradFn) errs.push(`output ${k}: gradFn ${name} != expected ${e.gradFn}`);
  });
  if (fx.weights === undefined) return errs;

  const gradInputs = inputs.filter((_, i) => needsGrad(spec, spec.inputs[i]));
  const ws = fx.weights.map((w, k) =>
    w === null || !outs[k].dtype.isFloatingPoint
      ? null
      : torch.tensor(w.map(decode), { dtype: outs[k].dtype }).reshape(outs[k].shape),
  );
  const loss = weightedSum(outs, ws);
  if (fx.grads === null || fx.grads === undefined) {
    if (loss !== null && loss.requiresGrad) errs.push("loss requires grad, PyTorch's does not");
    return errs;
  }
  if (loss === null || !loss.requiresGrad) return [...errs, "loss does not require grad"];
  const order2 = spec.order === 2;
  const mixed =
    spec.inputs.some((inp) => (inp.dtype ?? "float32") === "float32") ||
    fx.outputs.some((o) => o.dtype === "float32");
  const tolDtype = (x: Tensor): string => (mixed ? "float32" : x.dtype.name);
  const grads = torch.autograd.grad(loss, gradInputs, { allowUnused: true, createGraph: order2 });
  compareGrads(errs, "grad of input", grads, fx.grads, gradInputs, tolDtype);
  if (!order2) return errs;

  const vs = (fx.v ?? []).map((v, j) =>
    torch.tensor(v.map(decode), { dtype: gradInputs[j].dtype }).reshape(gradInputs[j].shape),
  );
  const live = grads.map((g) => (g !== null && g.requiresGrad ? g : null));
  const loss2 = weightedSum(live, vs);
  if (fx.second === null || fx.second === undefined) {
    if (loss2 !== null) errs.push("first derivatives require grad, PyTorch's do not");
    return errs;
  }
  if (loss2 === null) return [...errs, "first derivatives do not require grad"];
  const second = torch.autograd.grad(loss2, gradInputs, { allowUnused: true });
  compareGrads(errs, "second derivative of input", second, fx.second, gradInputs, tolDtype);
  return errs;
}
