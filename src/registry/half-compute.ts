/**
 * Note [half compute]: how registry ops compute on float16 and bfloat16 (Note [half storage]
 * in backend/half.ts). PyTorch's CPU kernels for the half types load each element into
 * float32 (their opmath type), compute, and round the result to half. Here every registry op
 * that reads values does the same around its float32 path: half tensor arguments become
 * float32 copies, a half `dtype` argument becomes float32, the op runs, and each float32
 * result is rounded to the half type the op's result has in PyTorch: the requested `dtype`
 * when the op has one, else the promoted type of its tensor arguments when that is a half
 * type (a float32 result with a float32 operand stays float32). A `Tensor(a!)` argument
 * written to is written back (rounded) into the half tensor. Views (schemas returning
 * `Tensor(a)`) and in-place metadata changes move no values: they run on the bit patterns.
 * A call with no half tensor or dtype costs one dtype test per argument that can be one
 * (Note [argument kinds] in arg-kinds.ts). A differentiable result's graph is the float32 op
 * between two casts; the cast that rounds the result carries the op's node name (what PyTorch
 * records on the half result) and its gradient is the float32 op's, rounded once to half at
 * each input's cast, as PyTorch's backward kernels compute the half types in float32.
 */
import { Tensor } from "../tensor.js";
import { DType, complex32, complex64, float16, float32, resultType } from "../dtype.js";
import { castData, floatToHalf, wrap, writeInto } from "../ops/core.js";
import { noGrad } from "../autograd/grad-mode.js";
import { OpNode } from "../autograd/function.js";
import { runtimeError } from "../errors.js";
import { fromBFloat16Bits, toBFloat16Bits } from "../backend/half.js";
import type { Schema } from "./schema.js";
import { complexCall, composedResults, involvesComplex } from "./complex-compute.js";
import { checkChalf, involvesChalf } from "./chalf-compute.js";

/** PyTorch's ScalarType name of a half type, as its kernels' errors print it. */
const halfName = (d: DType): string =>
  d === float32 ? "Float" : d.name === "float16" ? "Half" : "BFloat16";

/** The type a half-stored dtype computes in: float32, or complex64 for complex32. */
const wideOf = (d: DType): DType => (d === complex32 ? complex64 : float32);

type Forward = (...args: unknown[]) => unknown;

/**
 * Ops whose CPU kernels refuse half tensors rather than computing in float32, by schema name:
 * the error message for a half type's ScalarType name (the fft ops: "Unsupported dtype Half").
 */
export const HALF_REFUSED = new Map<string, (halfType: string) => string>();

/**
 * Ops that compute in the half types themselves, as PyTorch's kernels do, instead of in float32
 * rounded once, by schema name (an in-place form's name ends in _). An entry's `forward` (or,
 * without one, the op's own forward) gets the half tensors and dtypes unconverted when
 * `applies` (default: always) says so for the call's values; other calls take the float32
 * path. With a `kernel`, the op's own forward gets it too, as one argument past the schema's:
 * the forward computes its values by it in place of its float kernel and records as always
 * (its own node, or the derivative its entry declares), so the entry names no saved set. The
 * kernel's type is the forward's (ProductKernel in ops/linalg.ts, AddProductKernel in
 * ops/products.ts). Complex32 calls of an entry without a `forward` or `kernel` go to the op's
 * complex composition on their float16 parts. The random fills (Note [half draws] in
 * random.ts) and the bfloat16 matrix products (Note [half gemm] in ops/half-gemm.ts) are here.
 */
export const HALF_OWN = new Map<
  string,
  {
    forward?: Forward;
    kernel?: (...args: never[]) => unknown;
    applies?: (values: readonly unknown[]) => boolean;
  }
>();

/**
 * Note [half stepwise]: unary ops whose 1.13 CPU kernel for bfloat16 rounds its intermediate
 * results to bfloat16 (Vectorized<BFloat16> converts each operation's result back, and c10's
 * BFloat16-math functions return BFloat16), by schema name (in-place forms too): the value of
 * one element given the bfloat16 rounding `q`. Calls with a bfloat16 input and no other
 * argument set take the float32 path (graph, gradients) and then these values, so the result
 * (and what the node saves of it) is PyTorch's. Each formula was checked on 2000 elements
 * against torch 1.13.1.
 */
export const HALF_STEPWISE = new Map<string, (x: number, q: (v: number) => number) => number>();

/** The stepwise values of a bfloat16 tensor (Note [half stepwise]), contiguous. */
function stepwiseOf(x: Tensor, f: (x: number, q: (v: number) => number) => number): Tensor {
  const q = (v: number): number => fromBFloat16Bits(toBFloat16Bits(v));
  const c = x.contiguous();
  const n = c.numel();
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++)
    out[i] = toBFloat16Bits(f(fromBFloat16Bits(c.typedArray[c.offset + i]), q));
  return wrap(out, x.shape.slice(), x.dtype);
}

/** In-place ops that only change a tensor's metadata (no values move). */
const METADATA_ONLY =
  /^(t|transpose|swapaxes|swapdims|squeeze|unsqueeze|detach|as_strided|resize|resize_as)_$/;

/** Ops reading only a tensor's metadata (numel, size, ...). */
const READS_METADATA =
  /^(numel|nelement|size|sym_size|dim|ndimension|stride|storage_offset|element_size|is_\w+|_version|output_nr|get_device|_nnz|data_ptr)$/;

/** Whether a schema's op moves or reads no values: a view, a metadata query or change. */
function movesNoValues(schema: Schema): boolean {
  const ret = schema.text.slice(schema.text.lastIndexOf("->"));
  return (
    /Tensor\([a-z]\)/.test(ret) ||
    METADATA_ONLY.test(schema.name) ||
    READS_METADATA.test(schema.name)
  );
}

/**
 * The slow path of a call with half operands (Note [half compute]), or null when the op moves
 * no values. It takes the argument array and runs `f` directly when no argument is half (a
 * WebGPU call falling back to the CPU reaches it that way). The per-call test that sends a
 * call here is the registry's one scan of its arguments (Note [argument kinds] in
 * arg-kinds.ts). `differentiable`: the forward records its own graph (no derivative in the
 * entry), so the conversions are recorded casts.
 */
export function halfPath(
  schema: Schema,
  f: Forward,
  differentiable: boolean,
  recorded: () => Forward | null = () => null,
): ((values: readonly unknown[]) => unknown) | null {
  if (movesNoValues(schema)) return null;
  const tensorSlots: number[] = [];
  const listSlots: number[] = [];
  const dtypeSlots: number[] = [];
  const mutable: boolean[] = [];
  schema.params.forEach((p, i) => {
    if (p.base === "Tensor") (p.list ? listSlots : tensorSlots).push(i);
    else if (p.base === "ScalarType") dtypeSlots.push(i);
    mutable.push(p.mutable);
  });
  const involvesHalf = (values: readonly unknown[]): boolean => {
    for (let k = 0; k < tensorSlots.length; k++) {
      const t = values[tensorSlots[k]];
      if (t instanceof Tensor && t.dtype.needsConversion) return true;
    }
    for (let k = 0; k < dtypeSlots.length; k++) {
      const d = values[dtypeSlots[k]];
      if (d instanceof DType && d.needsConversion) return true;
    }
    for (let k = 0; k < listSlots.length; k++) {
      const l = values[listSlots[k]];
      if (Array.isArray(l) && l.some((t) => t instanceof Tensor && t.dtype.needsConversion))
        return true;
    }
    return false;
  };
  // Note [complex32]: complex32 operands' casts are always recorded: the complex64 op records
  // its own graph (Note [complex compute]), which the rounded result keeps
  const toFloat = (t: Tensor, recordCasts: boolean): Tensor => {
    const w = wideOf(t.dtype);
    return recordCasts ? t.to(w) : noGrad(() => wrap(castData(t, w), t.shape.slice(), w));
  };
  const refusal = HALF_REFUSED.get(schema.name);
  const ownPath = (values: readonly unknown[]): unknown => {
    const own = HALF_OWN.get(schema.name);
    if (own === undefined || (own.applies !== undefined && !own.applies(values))) return null;
    if (own.forward !== undefined) return { r: own.forward(...values) };
    if (own.kernel !== undefined) return { r: f(...values, own.kernel) };
    if (involvesChalf(values)) checkChalf(schema.name);
    if (involvesComplex(values)) return { r: complexCall(schema, f, values.slice(), recorded()) };
    return { r: f(...values) };
  };
  const run = (values: readonly unknown[]): unknown => {
    const own = ownPath(values) as { r: unknown } | null;
    if (own !== null) return own.r;
    const stepwise = HALF_STEPWISE.get(schema.name);
    const x0 = values[0];
    const stepped =
      stepwise !== undefined &&
      x0 instanceof Tensor &&
      x0.dtype.name === "bfloat16" &&
      values.slice(1).every((v) => v === null || v === undefined)
        ? noGrad(() => stepwiseOf(x0, stepwise))
        : null;
    const r = run2(values);
    if (stepped !== null && r instanceof Tensor && r.dtype === stepped.dtype)
      noGrad(() => writeInto(r, stepped));
    return r;
  };
  const run2 = (values: readonly unknown[]): unknown => {
    // Note [complex32]: complex32 operands compute in complex64, when PyTorch's kernel takes
    // them; then (Note [complex compute]) the complex64 values as the other complex types
    const chalf = involvesChalf(values);
    if (chalf) checkChalf(schema.name);
    else if (involvesComplex(values)) return complexCall(schema, f, values.slice(), recorded());
    if (refusal !== undefined)
      for (const s of tensorSlots) {
        const t = values[s];
        if (t instanceof Tensor && t.dtype.isHalf) throw runtimeError(refusal(halfName(t.dtype)));
      }
    const v = values.slice();
    const orig: Tensor[] = [];
    const conv: Tensor[] = [];
    const written: number[] = [];
    const operands: Tensor[] = [];
    const convert = (t: Tensor): Tensor => {
      operands.push(t);
      if (!t.dtype.isHalfStored) return t;
      const c = toFloat(t, differentiable || chalf);
      orig.push(t);
      conv.push(c);
      return c;
    };
    for (const s of tensorSlots) {
      const t = v[s];
      if (!(t instanceof Tensor)) continue;
      v[s] = convert(t);
      if (mutable[s] && t.dtype.isHalfStored) written.push(conv.length - 1);
    }
    for (const s of listSlots) {
      const l = v[s];
      if (Array.isArray(l)) v[s] = l.map((t: unknown) => (t instanceof Tensor ? convert(t) : t));
    }
    let target: DType | undefined;
    let explicit = false;
    for (const s of dtypeSlots) {
      const d = v[s];
      if (!(d instanceof DType)) continue;
      explicit = true;
      if (d.isHalfStored) {
        target = d;
        v[s] = wideOf(d);
      }
    }
    if (!explicit && operands.length > 0) {
      const rt = resultType(operands);
      if (rt.isHalfStored) target = rt;
    }
    let r: unknown;
    try {
      r = chalf && involvesComplex(v) ? complexCall(schema, f, v, recorded()) : f(...v);
    } catch (e) {
      if (chalf && e instanceof Error)
        e.message = e.message.replace("'ComplexFloat'", "'ComplexHalf'");
      // a kernel's "not implemented for 'Float'" names the dtype the caller passed
      const name = orig.length > 0 ? orig[0].dtype : target;
      if (e instanceof Error && name !== undefined && name.isHalf) {
        if (e.message.includes("for 'Float'"))
          e.message = e.message.replace("for 'Float'", `for '${halfName(name)}'`);
        // an in-place op's dtype check (float_power_: "the base given to float_power_ has
        // dtype Half but ...") names the caller's tensor too
        else if (e.message.includes(" has dtype Float but "))
          e.message = e.message.replace(
            " has dtype Float but ",
            ` has dtype ${halfName(name)} but `,
          );
      }
      throw e;
    }
    for (const k of written) noGrad(() => writeInto(orig[k], conv[k]));
    const back = (x: unknown): unknown => {
      if (Array.isArray(x)) return x.map(back);
      if (x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) {
        // a named tuple: { values, indices }
        const o: Record<string, unknown> = {};
        for (const [k, e] of Object.entries(x)) o[k] = back(e);
        return o;
      }
      if (!(x instanceof Tensor)) return x;
      const k = conv.indexOf(x);
      if (k >= 0) return orig[k];
      if (target === undefined) return x;
      // the wide result's half type: the target, or its real or complex counterpart (abs of
      // complex32 is float16, complex of two float16 tensors complex32)
      const to =
        x.dtype === wideOf(target)
          ? target
          : target === complex32 && x.dtype === float32
            ? float16
            : target === float16 && x.dtype === complex64
              ? complex32
              : null;
      if (to === null) return x;
      if (differentiable || (chalf && x.gradFn !== null)) {
        // the float32 result (which its node may save, as tanh's does) takes the half values
        // in place, so the formulas read what PyTorch's read: the rounded result
        const c = x.contiguous();
        const lanes = c.dtype.lanes;
        const n = c.numel() * lanes;
        const rounded = castData(floatToHalf(c, to), c.dtype);
        c.typedArray.set(rounded.subarray(0, n), c.offset * lanes);
        const out = c.to(to);
        // the rounding cast takes the name of the op's own node (PyTorch records one node, the
        // op's, on the half result: AddBackward0, not ToCopyBackward0)
        const inner = x.gradFn;
        if (out.gradFn instanceof OpNode && inner !== null) out.gradFn.rename(inner.name());
        if (chalf) composedResults.add(out);
        return out;
      }
      return wrap(castData(x, to), x.shape.slice(), to);
    };
    return back(r);
  };
  return (values) => (involvesHalf(values) ? run(values) : f(...values));
}
