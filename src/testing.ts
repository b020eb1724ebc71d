/**
 * torch.testing: `assertClose` (PyTorch 1.13's torch.testing.assert_close, from
 * torch/testing/_comparison.py), the deprecated `assertAllclose` and `makeTensor`
 * (torch/testing/_creation.py).
 *
 * Inputs are compared as Python values: a Tensor is a tensor-like, a JS number a Python float,
 * a bigint a Python int, a boolean a bool, null / undefined None, an array a sequence and a
 * plain object or Map a mapping (compared key by key, keys sorted). Failures throw PyTorch's
 * errors with its messages ("Tensor-likes are not close!\n\nMismatched elements: ...").
 */
import { hypot } from "./backend/fma.js";
import { Tensor } from "./tensor.js";
import { AssertionError, runtimeError, typeError, ValueError } from "./errors.js";
import {
  complex128,
  finfo,
  float16,
  float32,
  float64,
  iinfo,
  int64,
  promoteTypes,
  type DType,
} from "./dtype.js";
import { parseDevice, type Device } from "./device.js";
import { formatFixed, formatPyFloat } from "./print.js";
import { noGrad } from "./autograd/grad-mode.js";
import { Parameter } from "./nn/parameter.js";
import {
  complex,
  isclose,
  rand,
  randint,
  repeatInterleave,
  rsub,
  viewAsReal,
} from "./generated/functions.js";
import { slice } from "./ops/indexing.js";
import { tensor as makeFromData } from "./ops/creation.js";

// ---------------------------------------------------------------------------------------------
// errors

type ErrorType = typeof AssertionError | typeof ValueError | typeof globalThis.TypeError;

/** An error with where it happened in nested inputs (PyTorch's ErrorMeta). */
class ErrorMeta {
  constructor(
    readonly type: ErrorType,
    readonly msg: string,
    readonly id: readonly PathItem[] = [],
  ) {}

  /** The user-facing error; `msg` replaces the generated message or maps it. */
  toError(msg?: string | ((generated: string) => string) | null): Error {
    let text: string;
    if (typeof msg === "string") text = msg;
    else {
      text = this.msg;
      if (this.id.length > 0)
        text += `\n\nThe failure occurred for item ${this.id.map((i) => `[${keyRepr(i)}]`).join("")}`;
      if (typeof msg === "function") text = msg(text);
    }
    return this.type === globalThis.TypeError ? typeError(text) : new this.type(text);
  }
}

/** A pair type cannot handle its inputs: the next one is tried (PyTorch's UnsupportedInputs). */
class UnsupportedInputs {}

type PathItem = number | string | bigint;

// ---------------------------------------------------------------------------------------------
// Python's spelling of values

/** Python's repr of a key or scalar: 'a' for a string, 1.0 for a float, 1 for an int. */
function pyRepr(v: unknown): string {
  if (typeof v === "string") {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    const esc = v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
    return q + (q === "'" ? esc.replace(/'/g, "\\'") : esc) + q;
  }
  return pyStr(v);
}

/** A sequence index or mapping key as Python's repr: an integral number is an int. */
function keyRepr(k: unknown): string {
  return typeof k === "number" && Number.isInteger(k) ? String(k) : pyRepr(k);
}

/** Python's str of a value as PyTorch's messages interpolate it. */
function pyStr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return formatPyFloat(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  return String(v);
}

/** Python's `type(x)` as printed: `<class 'float'>`. */
function pyType(v: unknown): string {
  let name: string;
  if (v === null || v === undefined) name = "NoneType";
  else if (typeof v === "boolean") name = "bool";
  else if (typeof v === "number") name = "float";
  else if (typeof v === "bigint") name = "int";
  else if (typeof v === "string") name = "str";
  else if (Array.isArray(v)) name = "list";
  else if (v instanceof Parameter) name = "torch.nn.parameter.Parameter";
  else if (v instanceof Tensor) name = "torch.Tensor";
  else if (isMapping(v)) name = "dict";
  else name = (v as object).constructor?.name ?? "object";
  return `<class '${name}'>`;
}

/** A Python tuple of ints: (2,) or (1, 2) or (). */
function pyTuple(xs: readonly number[]): string {
  return xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(", ")})`;
}

function isMapping(v: unknown): v is Map<unknown, unknown> | Record<string, unknown> {
  if (v instanceof Map) return true;
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

// ---------------------------------------------------------------------------------------------
// tolerances

/** {dtype: [rtol, atol]} (PyTorch's _DTYPE_PRECISIONS). */
const DTYPE_PRECISIONS: Record<string, [number, number]> = {
  float16: [0.001, 1e-5],
  bfloat16: [0.016, 1e-5],
  float32: [1.3e-6, 1e-5],
  float64: [1e-7, 1e-7],
  complex32: [0.001, 1e-5],
  complex64: [1.3e-6, 1e-5],
  complex128: [1e-7, 1e-7],
};

/**
 * The default [rtol, atol] for inputs of these dtypes: the loosest of each (0 for integral and
 * bool dtypes), as torch.testing._comparison.default_tolerances.
 * @example torch.testing.defaultTolerances(torch.float32, torch.float64) // [0.0000013, 0.00001]
 */
export function defaultTolerances(...inputs: (Tensor | DType)[]): [number, number] {
  let rtol = 0;
  let atol = 0;
  for (const x of inputs) {
    const d = x instanceof Tensor ? x.dtype : x;
    const [r, a] = DTYPE_PRECISIONS[d.name] ?? [0, 0];
    rtol = Math.max(rtol, r);
    atol = Math.max(atol, a);
  }
  return [rtol, atol];
}

function getTolerances(
  dtypes: DType[],
  rtol: number | null | undefined,
  atol: number | null | undefined,
  id: readonly PathItem[],
): [number, number] {
  const noR = rtol === null || rtol === undefined;
  const noA = atol === null || atol === undefined;
  if (noR !== noA)
    throw new ErrorMeta(
      ValueError,
      `Both 'rtol' and 'atol' must be either specified or omitted, but got no ${noR ? "rtol" : "atol"}.`,
      id,
    );
  if (!noR && !noA) return [rtol, atol];
  return defaultTolerances(...dtypes);
}

// ---------------------------------------------------------------------------------------------
// mismatch messages

/** A Python scalar in a message: a float (JS number) or an int (bigint). */
type PyNumber = number | bigint;

function makeMismatchMsg(o: {
  defaultIdentifier: string;
  identifier?: string;
  extra?: string;
  absDiff: PyNumber;
  absDiffIdx?: number[];
  atol: number;
  relDiff: PyNumber;
  relDiffIdx?: number[];
  rtol: number;
}): string {
  const equality = o.rtol === 0 && o.atol === 0;
  const diffMsg = (
    type: string,
    diff: PyNumber,
    idx: number[] | undefined,
    tol: number,
  ): string => {
    let m =
      idx === undefined
        ? `${type[0].toUpperCase()}${type.slice(1)} difference: ${pyStr(diff)}`
        : `Greatest ${type} difference: ${pyStr(diff)} at index ${pyTuple(idx)}`;
    if (!equality) m += ` (up to ${formatPyFloat(tol)} allowed)`;
    return `${m}\n`;
  };
  let msg = `${o.identifier ?? o.defaultIdentifier} are not ${equality ? "equal" : "close"}!\n\n`;
  if (o.extra) msg += `${o.extra.trim()}\n`;
  msg += diffMsg("absolute", o.absDiff, o.absDiffIdx, o.atol);
  msg += diffMsg("relative", o.relDiff, o.relDiffIdx, o.rtol);
  return msg.trim();
}

/** |a - b| and |a - b| / |b| of two Python scalars (inf when b == 0; int - int stays an int). */
function scalarDiffs(a: PyNumber, b: PyNumber): [PyNumber, number] {
  if (typeof a === "bigint" && typeof b === "bigint") {
    const d = a > b ? a - b : b - a;
    return [d, b === 0n ? Infinity : Number(d) / Math.abs(Number(b))];
  }
  const d = Math.abs(Number(a) - Number(b));
  return [d, Number(b) === 0 ? Infinity : d / Math.abs(Number(b))];
}

function makeScalarMismatchMsg(
  actual: PyNumber,
  expected: PyNumber,
  rtol: number,
  atol: number,
  identifier?: string,
): string {
  const [absDiff, relDiff] = scalarDiffs(actual, expected);
  return makeMismatchMsg({
    defaultIdentifier: "Scalars",
    identifier,
    absDiff,
    atol,
    relDiff,
    rtol,
  });
}

/** A 0-d tensor's value as Python's item() gives it: an int for integral dtypes. */
function item(t: Tensor): PyNumber {
  const v = t.item() as number | boolean;
  return t.dtype.isFloatingPoint ? Number(v) : BigInt(Number(v));
}

/**
 * The scalar message of two 0-d complex tensors: |a - b| and |a - b| / |b| as Python's
 * abs(complex) (hypot), inf when b == 0.
 */
function complexScalarMismatchMsg(a: Tensor, b: Tensor, rtol: number, atol: number): string {
  const [ar, ai] = (viewAsReal(a).tolist() as number[]).map(Number);
  const [br, bi] = (viewAsReal(b).tolist() as number[]).map(Number);
  const absDiff = hypot(ar - br, ai - bi);
  const absB = hypot(br, bi);
  return makeMismatchMsg({
    defaultIdentifier: "Scalars",
    absDiff,
    atol,
    relDiff: absB === 0 ? Infinity : absDiff / absB,
    rtol,
  });
}

function makeTensorMismatchMsg(
  actual: Tensor,
  expected: Tensor,
  mismatches: Tensor,
  rtol: number,
  atol: number,
): string {
  const shape = mismatches.shape;
  const unravel = (flat: number): number[] => {
    const out: number[] = [];
    for (let d = shape.length - 1; d >= 0; d--) {
      out.push(flat % shape[d]);
      flat = Math.floor(flat / shape[d]);
    }
    return out.reverse();
  };
  const n = mismatches.numel();
  const total = Number(mismatches.sum().item());
  const extra = `Mismatched elements: ${total} / ${n} (${formatFixed((total / n) * 100, 1)}%)`;
  if (actual.dtype.isComplex) {
    const [absDiff, absIdx, relDiff, relIdx] = complexDiffs(actual, expected, mismatches);
    return makeMismatchMsg({
      defaultIdentifier: "Tensor-likes",
      extra,
      absDiff,
      absDiffIdx: unravel(absIdx),
      atol,
      relDiff,
      relDiffIdx: unravel(relIdx),
      rtol,
    });
  }
  const aFlat = actual.flatten();
  const bFlat = expected.flatten();
  const matchesFlat = mismatches.flatten().logicalNot();
  // only the mismatches count: |a - b| with the matching elements zeroed, then its max
  const absDiff = aFlat.sub(bFlat).abs().maskedFill(matchesFlat, 0);
  const maxAbs = absDiff.max(0);
  // |a - b| / |b| (true division: float32 for integral inputs, as in PyTorch)
  const relDiff = absDiff.div(bFlat.abs()).maskedFill(matchesFlat, 0);
  const maxRel = relDiff.max(0);
  return makeMismatchMsg({
    defaultIdentifier: "Tensor-likes",
    extra,
    absDiff: item(maxAbs.values),
    absDiffIdx: unravel(Number(maxAbs.indices.item())),
    atol,
    relDiff: item(maxRel.values),
    relDiffIdx: unravel(Number(maxRel.indices.item())),
    rtol,
  });
}

/** The first index of the greatest value, a NaN winning (torch.max(x, 0) of a 1-D tensor). */
function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) {
    if (Number.isNaN(xs[best])) break;
    if (Number.isNaN(xs[i]) || xs[i] > xs[best]) best = i;
  }
  return best;
}

/**
 * The greatest |a - b| and |a - b| / |b| of complex tensors over the mismatches, with their
 * flat indices: PyTorch's moduli are glibc's hypot (correctly rounded), which V8's Math.hypot
 * (and so tensorgrad's complex abs) misses by an ulp at times, so they are computed here.
 */
function complexDiffs(a: Tensor, b: Tensor, mismatches: Tensor): [number, number, number, number] {
  const pairs = (t: Tensor): number[] =>
    (viewAsReal(t.contiguous()).reshape(-1).tolist() as number[]).map(Number);
  const av = pairs(a);
  const bv = pairs(b);
  const mis = (mismatches.reshape(-1).tolist() as boolean[]).map(Boolean);
  const abs: number[] = [];
  const rel: number[] = [];
  mis.forEach((m, i) => {
    const d = hypot(av[2 * i] - bv[2 * i], av[2 * i + 1] - bv[2 * i + 1]);
    abs.push(m ? d : 0);
    rel.push(m ? d / hypot(bv[2 * i], bv[2 * i + 1]) : 0);
  });
  const ia = argmax(abs);
  const ir = argmax(rel);
  return [abs[ia], ia, rel[ir], ir];
}

// ---------------------------------------------------------------------------------------------
// pairs

/** The options of `assertClose` (PyTorch's keyword arguments, camelCased). */
export interface AssertCloseOptions {
  /** Allow a Tensor subclass (Parameter) against a Tensor (default true). */
  allowSubclasses?: boolean;
  /** Relative tolerance; given with `atol` or neither (defaults by dtype). */
  rtol?: number | null;
  /** Absolute tolerance; given with `rtol` or neither (defaults by dtype). */
  atol?: number | null;
  /** Two NaNs count as equal (default false). */
  equalNan?: boolean;
  /**
   * Tensors must be on the same device (default true). The values are read synchronously, so
   * WebGPU tensors are compared after `await t.cpu()`.
   */
  checkDevice?: boolean;
  /** Tensors must have the same dtype (default true; else they are promoted to a common one). */
  checkDtype?: boolean;
  /** Tensors must have the same layout (default true; tensorgrad's are all strided). */
  checkLayout?: boolean;
  /** Tensors must have the same strides (default false). */
  checkStride?: boolean;
  /** The message of a failure, or a function mapping the generated message to it. */
  msg?: string | ((generated: string) => string) | null;
}

type Options = Required<Omit<AssertCloseOptions, "msg" | "rtol" | "atol">> & {
  rtol: number | null | undefined;
  atol: number | null | undefined;
};

interface Pair {
  compare(): void;
}

function nonePair(actual: unknown, expected: unknown, id: readonly PathItem[]): Pair {
  const isNone = (v: unknown): boolean => v === null || v === undefined;
  if (!isNone(actual) && !isNone(expected)) throw new UnsupportedInputs();
  return {
    compare() {
      if (!(isNone(actual) && isNone(expected)))
        throw new ErrorMeta(
          AssertionError,
          `None mismatch: ${pyStr(actual)} is not ${pyStr(expected)}`,
          id,
        );
    },
  };
}

function booleanPair(actual: unknown, expected: unknown, id: readonly PathItem[]): Pair {
  if (typeof actual !== "boolean" || typeof expected !== "boolean") throw new UnsupportedInputs();
  return {
    compare() {
      if (actual !== expected)
        throw new ErrorMeta(
          AssertionError,
          `Booleans mismatch: ${pyStr(actual)} is not ${pyStr(expected)}`,
          id,
        );
    },
  };
}

const isNumber = (v: unknown): v is PyNumber => typeof v === "number" || typeof v === "bigint";

function numberPair(actual: unknown, expected: unknown, id: readonly PathItem[], o: Options): Pair {
  if (!isNumber(actual) || !isNumber(expected)) throw new UnsupportedInputs();
  // a Python float is float64, an int int64
  const dtypeOf = (v: PyNumber): DType => (typeof v === "bigint" ? int64 : float64);
  const [rtol, atol] = getTolerances([dtypeOf(actual), dtypeOf(expected)], o.rtol, o.atol, id);
  return {
    compare() {
      if (o.checkDtype && typeof actual !== typeof expected)
        throw new ErrorMeta(
          AssertionError,
          `The (d)types do not match: ${pyType(actual)} != ${pyType(expected)}.`,
          id,
        );
      const a = Number(actual);
      const e = Number(expected);
      // Python compares an int and a float exactly; two ints exactly as ints
      if (
        typeof actual === "bigint" && typeof expected === "bigint" ? actual === expected : a === e
      )
        return;
      if (o.equalNan && Number.isNaN(a) && Number.isNaN(e)) return;
      const absDiff = Math.abs(a - e);
      if (Number.isFinite(absDiff) && absDiff <= atol + rtol * Math.abs(e)) return;
      throw new ErrorMeta(AssertionError, makeScalarMismatchMsg(actual, expected, rtol, atol), id);
    },
  };
}

function tensorLikePair(
  actual: unknown,
  expected: unknown,
  id: readonly PathItem[],
  o: Options,
): Pair {
  if (!(actual instanceof Tensor) || !(expected instanceof Tensor)) throw new UnsupportedInputs();
  const related = actual instanceof expected.constructor || expected instanceof actual.constructor;
  if (!related) throw new UnsupportedInputs();
  if (!o.allowSubclasses && actual.constructor !== expected.constructor)
    throw new UnsupportedInputs();
  const [rtol, atol] = getTolerances([actual.dtype, expected.dtype], o.rtol, o.atol, id);
  const fail = (msg: string): never => {
    throw new ErrorMeta(AssertionError, msg, id);
  };
  const mismatch = (attr: string, a: string, e: string): never =>
    fail(`The values for attribute '${attr}' do not match: ${a} != ${e}.`);
  return {
    compare() {
      let a = actual;
      let e = expected;
      // attributes: shape, (layout: always strided here) stride, device, dtype
      if (a.shape.length !== e.shape.length || a.shape.some((s, i) => s !== e.shape[i]))
        mismatch("shape", String(a.size()), String(e.size()));
      if (o.checkStride && a.strides.some((s, i) => s !== e.strides[i]))
        mismatch("stride()", pyTuple(a.strides), pyTuple(e.strides));
      if (o.checkDevice && String(a.device) !== String(e.device))
        mismatch("device", String(a.device), String(e.device));
      if (o.checkDtype && a.dtype !== e.dtype) mismatch("dtype", String(a.dtype), String(e.dtype));
      noGrad(() => {
        // PyTorch moves tensors of different devices to the CPU; here a device tensor's values
        // are read asynchronously (Note [webgpu reads]), which a synchronous assertion cannot
        if (a.device.type !== "cpu" || e.device.type !== "cpu")
          throw runtimeError(
            "torch.testing.assertClose compares CPU tensors: move device tensors with `await t.cpu()` first",
          );
        // a common dtype when dtypes differ
        if (a.dtype !== e.dtype) {
          const d = promoteTypes(a.dtype, e.dtype);
          a = a.to(d);
          e = e.to(d);
        }
        // compare in the widest dtype of the kind (bool counts as integral)
        const wide = a.dtype.isComplex ? complex128 : a.dtype.isFloatingPoint ? float64 : int64;
        a = a.to(wide);
        e = e.to(wide);
        const matches = a.dtype.isComplex
          ? complexIsclose(a, e, rtol, atol, o.equalNan)
          : isclose(a, e, { rtol, atol, equalNan: o.equalNan });
        if (matches.all().item()) return;
        if (a.dim() === 0)
          fail(
            a.dtype.isComplex
              ? complexScalarMismatchMsg(a, e, rtol, atol)
              : makeScalarMismatchMsg(item(a), item(e), rtol, atol),
          );
        fail(makeTensorMismatchMsg(a, e, matches.logicalNot(), rtol, atol));
      });
    },
  };
}

/**
 * torch.isclose of complex tensors: equal, or (equalNan) both NaN (a part NaN), or
 * |a - b| finite and <= atol + |rtol * b| (moduli).
 */
function complexIsclose(
  a: Tensor,
  b: Tensor,
  rtol: number,
  atol: number,
  equalNan: boolean,
): Tensor {
  let close = a.eq(b);
  if (equalNan) close = close.logicalOr(a.isnan().logicalAnd(b.isnan()));
  if (rtol === 0 && atol === 0) return close;
  const allowed = b.mul(rtol).abs().add(atol);
  const actual = a.sub(b).abs();
  return close.logicalOr(actual.isfinite().logicalAnd(actual.le(allowed)));
}

const PAIR_TYPES = [nonePair, booleanPair, numberPair, tensorLikePair];

/** PyTorch's originate_pairs: recurse through sequences and mappings, then try each pair type. */
function originatePairs(
  actual: unknown,
  expected: unknown,
  o: Options,
  id: readonly PathItem[] = [],
): Pair[] {
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length)
      throw new ErrorMeta(
        AssertionError,
        `The length of the sequences mismatch: ${actual.length} != ${expected.length}`,
        id,
      );
    return actual.flatMap((a, i) => originatePairs(a, expected[i], o, [...id, i]));
  }
  if (isMapping(actual) && isMapping(expected)) {
    const entries = (m: Map<unknown, unknown> | Record<string, unknown>): Map<unknown, unknown> =>
      m instanceof Map ? m : new Map(Object.entries(m));
    const am = entries(actual);
    const em = entries(expected);
    const sortKeys = (ks: unknown[]): unknown[] =>
      ks.every((k) => typeof k === "number" || typeof k === "bigint")
        ? ks.sort((x, y) => Number(x) - Number(y))
        : ks.every((k) => typeof k === "string")
          ? ks.sort((x, y) => ((x as string) < (y as string) ? -1 : x === y ? 0 : 1))
          : ks;
    const missing = sortKeys([...em.keys()].filter((k) => !am.has(k)));
    const additional = sortKeys([...am.keys()].filter((k) => !em.has(k)));
    if (missing.length > 0 || additional.length > 0)
      throw new ErrorMeta(
        AssertionError,
        "The keys of the mappings do not match:\n" +
          `Missing keys in the actual mapping: [${missing.map(keyRepr).join(", ")}]\n` +
          `Additional keys in the actual mapping: [${additional.map(keyRepr).join(", ")}]`,
        id,
      );
    return sortKeys([...am.keys()]).flatMap((k) =>
      originatePairs(am.get(k), em.get(k), o, [...id, k as PathItem]),
    );
  }
  for (const pairType of PAIR_TYPES) {
    try {
      return [pairType(actual, expected, id, o)];
    } catch (e) {
      if (e instanceof UnsupportedInputs) continue;
      throw e;
    }
  }
  throw new ErrorMeta(
    globalThis.TypeError,
    `No comparison pair was able to handle inputs of type ${pyType(actual)} and ${pyType(expected)}.`,
    id,
  );
}

/**
 * Asserts that `actual` and `expected` are close (torch.testing.assert_close): same shape,
 * device, dtype (and strides with `checkStride`), and |actual - expected| <= atol + rtol *
 * |expected| elementwise, with rtol/atol by dtype unless given (float32: 1.3e-6, 1e-5; float64:
 * 1e-7, 1e-7; integral and bool: 0, 0). NaNs match only with `equalNan`; infinities only
 * themselves. Numbers, booleans, null, arrays and objects / Maps (nested) compare elementwise.
 * Throws PyTorch's AssertionError ("Tensor-likes are not close!..."), ValueError or TypeError.
 * @example torch.testing.assertClose(torch.tensor([1, 2]), torch.tensor([1, 2.000001])) // undefined
 */
export function assertClose(
  actual: unknown,
  expected: unknown,
  options: AssertCloseOptions = {},
): void {
  const o: Options = {
    allowSubclasses: options.allowSubclasses ?? true,
    rtol: options.rtol,
    atol: options.atol,
    equalNan: options.equalNan ?? false,
    checkDevice: options.checkDevice ?? true,
    checkDtype: options.checkDtype ?? true,
    checkLayout: options.checkLayout ?? true,
    checkStride: options.checkStride ?? false,
  };
  let pairs: Pair[];
  try {
    pairs = originatePairs(actual, expected, o);
  } catch (e) {
    if (e instanceof ErrorMeta) throw e.toError();
    throw e;
  }
  for (const pair of pairs) {
    try {
      pair.compare();
    } catch (e) {
      if (e instanceof ErrorMeta) throw e.toError(options.msg);
      throw e;
    }
  }
}

/** The legacy defaults of assert_allclose: {dtype: [rtol, atol]}. */
const LEGACY_PRECISIONS: Record<string, [number, number]> = {
  float16: [1e-3, 1e-3],
  float32: [1e-4, 1e-5],
  float64: [1e-5, 1e-8],
};

/** Options of the deprecated `assertAllclose`. */
export interface AssertAllcloseOptions {
  /** relative tolerance (with atol, or neither: the legacy defaults by dtype) */
  rtol?: number | null;
  /** absolute tolerance */
  atol?: number | null;
  /** two NaNs count as equal (default true here) */
  equalNan?: boolean;
  /** the message of a failure ("" for the generated one) */
  msg?: string;
}

/**
 * The deprecated torch.testing.assert_allclose: non-tensors become tensors (expected in
 * actual's dtype), legacy default tolerances (float32: rtol 1e-4, atol 1e-5), NaNs equal, dtypes
 * promoted; then a FutureWarning pointing to `assertClose`.
 * @example torch.testing.assertAllclose(torch.tensor([1, 2]), [1, 2.00001]) // undefined
 */
export function assertAllclose(
  actual: unknown,
  expected: unknown,
  rtol?: number | null | AssertAllcloseOptions,
  atol?: number | null | AssertAllcloseOptions,
  equalNan?: boolean | AssertAllcloseOptions,
  msg?: string | AssertAllcloseOptions,
): void {
  const positional = [rtol, atol, equalNan, msg];
  const names = ["rtol", "atol", "equalNan", "msg"] as const;
  const o: AssertAllcloseOptions = {};
  let last = positional.length - 1;
  while (last >= 0 && positional[last] === undefined) last--;
  if (last >= 0 && isMapping(positional[last])) {
    Object.assign(o, positional[last]);
    positional[last] = undefined;
  }
  positional.forEach((v, i) => {
    if (v !== undefined) (o as Record<string, unknown>)[names[i]] = v;
  });
  const a = actual instanceof Tensor ? actual : makeFromData(actual as number);
  const e =
    expected instanceof Tensor ? expected : makeFromData(expected as number, { dtype: a.dtype });
  let r = o.rtol;
  let t = o.atol;
  if ((r === null || r === undefined) && (t === null || t === undefined)) {
    const [ra, aa] = LEGACY_PRECISIONS[a.dtype.name] ?? [0, 0];
    const [re, ae] = LEGACY_PRECISIONS[e.dtype.name] ?? [0, 0];
    r = Math.max(ra, re);
    t = Math.max(aa, ae);
  }
  assertClose(a, e, {
    rtol: r,
    atol: t,
    equalNan: o.equalNan ?? true,
    checkDevice: true,
    checkDtype: false,
    checkStride: false,
    msg: o.msg || null,
  });
  console.warn(
    "FutureWarning: torch.testing.assert_allclose() is deprecated since 1.12 and will be removed in 1.14. Use torch.testing.assert_close() instead. For detailed upgrade instructions see https://github.com/pytorch/pytorch/issues/61844.",
  );
}

/** Options of `makeTensor` (PyTorch's keyword arguments, camelCased). */
export interface MakeTensorOptions {
  /** the dtype of the result (required, as in PyTorch) */
  dtype: DType;
  /** its device (default the CPU) */
  device?: DeviceLike;
  /** the inclusive lower bound (defaults by dtype: 0 for bool and uint8, else -9) */
  low?: number | null;
  /** the exclusive upper bound (defaults by dtype: 2 for bool, 10 for integers, 9 for floats) */
  high?: number | null;
  /** a floating result requires grad (an error for integral dtypes) */
  requiresGrad?: boolean;
  /** a non-contiguous result (every other element of a buffer twice as long in the last dim) */
  noncontiguous?: boolean;
  /** replace zeros by 1 (integral) or finfo(dtype).tiny (floating; tiny + tiny j for complex) */
  excludeZero?: boolean;
}

/** A device as `makeTensor` takes it: a name or a Device. */
export type DeviceLike = "cpu" | "webgpu" | "webgpu:0" | Device;

const INTEGRAL = ["uint8", "int8", "int16", "int32", "int64"];
const FLOATING = ["float16", "bfloat16", "float32", "float64"];
const COMPLEX: Record<string, DType> = {
  complex32: float16,
  complex64: float32,
  complex128: float64,
};

/**
 * A tensor of `shape` with values drawn uniformly from [low, high) as
 * torch.testing.make_tensor: `randint(low, high)` for integral dtypes (bounds floored / ceiled),
 * high * r + low * (1 - r) with r = rand(shape) for floating ones (the real part, then the
 * imaginary part for complex), bounds clamped to the dtype's finite range. The same draws as
 * PyTorch after the same seed.
 * @example torch.testing.makeTensor([2, 3], { dtype: torch.float32, low: -1, high: 1 }).shape // [2, 3]
 */
export function makeTensor(
  ...args: [...shape: (number | readonly number[])[], options: MakeTensorOptions]
): Tensor {
  const o = args[args.length - 1] as MakeTensorOptions;
  const dims = args.slice(0, -1) as (number | readonly number[])[];
  const shape: number[] =
    dims.length === 1 && Array.isArray(dims[0]) ? [...(dims[0] as number[])] : (dims as number[]);
  const dtype = o.dtype;
  const device = String(parseDevice(o.device ?? "cpu") ?? o.device) as "cpu" | "webgpu:0";
  const name = dtype.name;
  const isFloating = FLOATING.includes(name) || name in COMPLEX;
  if (o.requiresGrad && !isFloating)
    throw new ValueError("make_tensor: requires_grad must be False for integral dtype");
  // defaults, NaN and order checks, then the bounds clamped to [lowest, highest]
  const bounds = (
    lowest: number,
    highest: number,
    defLow: number,
    defHigh: number,
  ): [number, number] => {
    let low = o.low ?? defLow;
    let high = o.high ?? defHigh;
    if (Number.isNaN(low) || Number.isNaN(high))
      throw new ValueError("make_tensor: one of low or high was NaN!");
    if (low > high) throw new ValueError("make_tensor: low must be weakly less than high!");
    low = Math.min(Math.max(low, lowest), highest);
    high = Math.min(Math.max(high, lowest), highest);
    return INTEGRAL.includes(name) ? [Math.floor(low), Math.ceil(high)] : [low, high];
  };
  // high * r + low * (1 - r), in the tensor's dtype as PyTorch's scalar arithmetic
  const uniformFloat = (d: DType, low: number, high: number): Tensor => {
    const r = rand(shape, { dtype: d, device });
    return r.mul(high).add(rsub(r, 1).mul(low));
  };
  let result: Tensor;
  if (name === "bool") result = randint(0, 2, shape, { dtype, device });
  else if (INTEGRAL.includes(name)) {
    const info = iinfo(dtype);
    const [low, high] = bounds(Number(info.min), Number(info.max), name === "uint8" ? 0 : -9, 10);
    result = randint(low, high, shape, { dtype, device });
  } else if (FLOATING.includes(name)) {
    const info = finfo(dtype);
    const [low, high] = bounds(info.min, info.max, -9, 9);
    result = uniformFloat(dtype, low, high);
  } else if (name in COMPLEX) {
    const fd = COMPLEX[name];
    const info = finfo(fd);
    const [low, high] = bounds(info.min, info.max, -9, 9);
    const real = uniformFloat(fd, low, high);
    const imag = uniformFloat(fd, low, high);
    result = complex(real, imag);
  } else
    throw typeError(
      `The requested dtype '${String(dtype)}' is not supported by torch.testing.make_tensor(). To request support, file an issue at: https://github.com/pytorch/pytorch/issues`,
    );
  if (o.noncontiguous && result.numel() > 1)
    result = repeatInterleave(result, 2, -1).index("...", slice(null, null, 2));
  if (o.excludeZero) {
    const zero = result.eq(0);
    if (name in COMPLEX) {
      const tiny = finfo(COMPLEX[name]).tiny;
      result.maskedFill_(
        zero,
        complex(tensorOf(tiny, COMPLEX[name]), tensorOf(tiny, COMPLEX[name])),
      );
    } else result.maskedFill_(zero, isFloating ? finfo(dtype).tiny : 1);
  }
  if (isFloating) result.requiresGrad_(o.requiresGrad ?? false);
  return result;
}

const tensorOf = (v: number, dtype: DType): Tensor => makeFromData(v, { dtype });
