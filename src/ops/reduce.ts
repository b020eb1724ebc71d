/**
 * Reductions over all dims, one dim or several (`keepdim` keeps them as size 1), and the
 * softmax family. A contiguous input whose reduced dims form one block (e.g. dim 0 of a
 * matrix, the leading dims un-broadcasting sums reduce) is reduced in place as
 * [outer, n, inner] (`reduceAxis`); otherwise the input is first permuted to put the reduced
 * dims last and made contiguous (no copy when it already is) and its rows are reduced.
 */
import { namedTuple } from "../named-tuple.js";
import { Tensor } from "../tensor.js";
import { DType, bool, int64, uint8 } from "../dtype.js";
import {
  Reduce,
  reduce,
  reduceAxis,
  cumsum as cumsumKernel,
  cumprod as cumprodKernel,
  cumExtreme as cumExtremeKernel,
  logcumsumexp as logcumsumexpKernel,
  softmax as softmaxKernel,
  softmaxBackward as softmaxBackwardKernel,
} from "../backend/reduce.js";
import { gather } from "../backend/copy.js";
import { normalizeDim, normalizeDims, numelOf } from "../shape.js";
import { alloc, allocOutput, castData, floatDtypeOf, wrap, scalarTypeName } from "./core.js";
import { needsGrad, recordWith, derivativeSlots } from "../autograd/function.js";
import { noGrad } from "../autograd/grad-mode.js";
import { runtimeError, indexError } from "../errors.js";

/** Note [derivative slots] */
const DEFS = derivativeSlots([
  "sum",
  "mean",
  "prod",
  "maxDim",
  "var",
  "std",
  "norm",
  "softmax",
  "logSoftmax",
]);

export type Dims = number | readonly number[] | null | undefined;

interface Plan {
  dims: number[];
  /** output shape (with or without kept dims) */
  outShape: number[];
  keptShape: number[];
  outer: number;
  inner: number;
}

const NO_DIMS: number[] = [];
/** the dims of a full reduction of a 1-d tensor (shared: plans are never mutated) */
const DIM_0: number[] = [0];

/*
 * Note [packed shapes]: a shape array the engine sees should have one V8 map (packed small
 * integers). TurboFan's inlined `Array.prototype.map`/`filter` make holey arrays where the
 * interpreter's made packed ones, so once `plan` was optimized (2.5-3.5 s into the MLP step of
 * bench workload 3) its shapes reached alloc, wrap, numel, numelOf, shapeEqual, contiguous,
 * viewStrides and addmm with a map their optimized code had never seen: eight functions
 * deoptimized at once (`node --trace-deopt`) and had to earn their optimization again, seconds
 * more of a slower step. Pushing the elements keeps the arrays packed in both tiers (with
 * AddmmBackward0's `needs` a literal, two deoptimizations remain after the first 2 s, not 12).
 */
function plan(t: Tensor, dim: Dims, keepdim: boolean): Plan {
  const nd = t.dim();
  // PyTorch's reductions run on TensorIterator, which takes at most 64 dims
  if (nd > 64) throw runtimeError("only tensors with up to 64 dims are supported");
  if ((dim === undefined || dim === null) && !keepdim) {
    // full reduction to a 0-dim tensor (the common case): no per-dim bookkeeping
    const dims = nd === 0 ? NO_DIMS : nd === 1 ? DIM_0 : normalizeDims(null, nd);
    const n = t.numel();
    return { dims, outShape: NO_DIMS, keptShape: NO_DIMS, outer: 1, inner: n };
  }
  // dim=[] reduces over every dim, as PyTorch 1.13's sum/mean/var/std/norm
  const all = dim === undefined || dim === null || (Array.isArray(dim) && dim.length === 0);
  const dims = all ? normalizeDims(null, nd) : normalizeDims(dim, nd);
  if (nd === 0) dims.length = 0; // a 0-dim tensor accepts dim 0 / -1, which names no dim
  // Note [packed shapes]: pushed, not `map`/`filter`
  const keptShape: number[] = [];
  const outShape: number[] = [];
  for (let i = 0; i < nd; i++) {
    const reduced = dims.includes(i);
    keptShape.push(reduced ? 1 : t.shape[i]);
    if (keepdim || !reduced) outShape.push(reduced ? 1 : t.shape[i]);
  }
  let inner = 1;
  for (const d of dims) inner *= t.shape[d];
  const outer = inner === 0 ? numelOf(outShape) : t.numel() / inner;
  return { dims, outShape, keptShape, outer, inner };
}

/**
 * The dims a reduction of `t` over `dim` reduces, normalised as the kernels plan them: every dim
 * for null or [] (none for a 0-dim input).
 */
export function reducedDims(t: Tensor, dim: Dims): number[] {
  return plan(t, dim, true).dims;
}

/** The input's values with the reduced dims moved last, contiguous, in `dtype`. */
function reducedLast(t: Tensor, p: Plan, dtype: DType): Tensor["typedArray"] {
  const nd = t.dim();
  const keep: number[] = [];
  for (let i = 0; i < nd; i++) if (!p.dims.includes(i)) keep.push(i);
  const perm = keep.concat(p.dims);
  const identity = perm.every((d, i) => d === i);
  if (identity && t.isContiguous() && t.dtype === dtype) {
    return t.offset === 0 && t.typedArray.length === t.numel()
      ? t.typedArray
      : t.typedArray.subarray(t.offset, t.offset + t.numel());
  }
  const shape = perm.map((d) => t.shape[d]);
  const strides = perm.map((d) => t.strides[d]);
  const out = new t.dtype.ArrayType(t.numel());
  gather(t.typedArray, { shape, strides, offset: t.offset }, out);
  if (t.dtype === dtype) return out;
  return castData(wrap(out, shape, t.dtype), dtype);
}

/**
 * For a contiguous t: the number of elements after the last reduced dim (the `inner` of an
 * [outer, n, inner] view) when the reduced dims of size > 1 form one block with no kept dim of
 * size > 1 among them; -1 otherwise.
 */
function blockInner(t: Tensor, dims: readonly number[]): number {
  const shape = t.shape;
  let first = -1;
  let last = -1;
  for (const d of dims) {
    if (shape[d] === 1) continue;
    if (first < 0) first = d;
    last = d;
  }
  if (last < 0) return -1;
  for (let d = first + 1, k = 0; d < last; d++) {
    while (k < dims.length && dims[k] < d) k++;
    if (shape[d] !== 1 && dims[k] !== d) return -1;
  }
  let inner = 1;
  for (let d = last + 1; d < shape.length; d++) inner *= shape[d];
  return inner;
}

function run(op: Reduce, t: Tensor, p: Plan, inDtype: DType, outDtype: DType): Tensor {
  const out = alloc(p.outShape, outDtype);
  if (p.inner === 0 || p.outer === 0) {
    // the empty reduction's identity: 1 for products and all(); log(sum of no exponentials) =
    // log(0) = -inf for logsumexp (PyTorch's log(sum(exp(empty))))
    if (op === Reduce.Prod || op === Reduce.All) out.typedArray.fill(1);
    else if (op === Reduce.LogSumExp) out.typedArray.fill(-Infinity);
    return out;
  }
  if (
    p.outer === 1 &&
    t.dtype === inDtype &&
    t.offset === 0 &&
    t.typedArray.length === p.inner &&
    t.isContiguous()
  ) {
    // a full reduction of a contiguous tensor that is its whole storage
    reduce(op, t.typedArray, 1, p.inner, out.typedArray);
    return out;
  }
  if (p.outer > 1 && t.dtype === inDtype && t.isContiguous()) {
    // reduce in place: no permuted copy (p.outer = outer blocks * inner)
    const inner = blockInner(t, p.dims);
    if (inner > 0) {
      reduceAxis(op, t.typedArray, t.offset, p.outer / inner, p.inner, inner, out.typedArray);
      return out;
    }
  }
  reduce(op, reducedLast(t, p, inDtype), p.outer, p.inner, out.typedArray);
  return out;
}

/** Sums of integers and bools are int64; floats keep their dtype. */
function sumDtype(d: DType): DType {
  return d.isFloatingPoint ? d : int64;
}

/**
 * A sum or product in `dtype` (PyTorch's `dtype=`: the input is read as `dtype`, no
 * ToCopyBackward0 is recorded); an integer `dtype` accumulates in int64 first, as PyTorch does.
 */
function accumulate(op: Reduce, t: Tensor, p: Plan, dtype: DType | null): Tensor {
  if (dtype === null) {
    const dt = sumDtype(t.dtype);
    return run(op, t, p, dt, dt);
  }
  if (dtype.isFloatingPoint) return run(op, t, p, dtype, dtype);
  const acc = run(op, t, p, int64, int64);
  return dtype === int64 ? acc : wrap(castData(acc, dtype), acc.shape, dtype);
}

/**
 * torch.sum(input, dim?, keepdim=false)
 * @example torch.ones(2, 3).sum(1) // tensor([3., 3.])
 */
export function sum(t: Tensor, dim?: Dims, keepdim = false, dtype: DType | null = null): Tensor {
  const p = plan(t, dim, keepdim);
  const out = accumulate(Reduce.Sum, t, p, dtype);
  // an integer result (dtype=int64 of a float input) is not differentiable
  if (needsGrad(t) && out.dtype.isFloatingPoint)
    recordWith(
      DEFS.sum.def,
      "sum",
      out,
      [t],
      {},
      { dims: dim === undefined || dim === null ? null : p.dims, keepdim },
    );
  return out;
}

/** PyTorch's error for a mean in a non-floating dtype (the input's, or the `dtype=` asked). */
export function meanDtypeError(dtype: DType, which: "Input" | "Optional"): never {
  throw runtimeError(
    `mean(): could not infer output dtype. ${which} dtype must be either a floating point or complex dtype. Got: ${scalarTypeName(dtype)}`,
  );
}

/** torch.mean(input, dim?, keepdim=false); floating inputs only, as PyTorch. */
export function mean(t: Tensor, dim?: Dims, keepdim = false, dtype: DType | null = null): Tensor {
  if (dtype === null && !t.dtype.isFloatingPoint) meanDtypeError(t.dtype, "Input");
  if (dtype !== null && !dtype.isFloatingPoint) meanDtypeError(dtype, "Optional");
  const dt = dtype ?? t.dtype;
  const p = plan(t, dim, keepdim);
  const out = run(Reduce.Sum, t, p, dt, dt);
  const o = out.typedArray;
  for (let i = 0; i < o.length; i++) o[i] = o[i] / p.inner;
  if (needsGrad(t)) {
    recordWith(
      DEFS.mean.def,
      "mean",
      out,
      [t],
      {},
      { dims: dim === undefined || dim === null ? null : p.dims, keepdim, count: p.inner },
    );
  }
  return out;
}

/** torch.prod(input, dim?, keepdim=false) */
export function prod(t: Tensor, dim?: Dims, keepdim = false, dtype: DType | null = null): Tensor {
  const p = plan(t, dim, keepdim);
  const out = accumulate(Reduce.Prod, t, p, dtype);
  if (needsGrad(t) && out.dtype.isFloatingPoint) {
    recordWith(
      DEFS.prod.def,
      "prod",
      out,
      [t],
      { self: t, result: out },
      { dims: dim === undefined || dim === null ? null : p.dims, keepdim },
    );
  }
  return out;
}

function checkNonEmpty(t: Tensor, p: Plan, name: string): void {
  if (p.inner === 0) {
    if (p.dims.length === t.dim() || t.dim() === 0) {
      throw runtimeError(
        `${name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`,
      );
    }
    throw indexError(`${name}(): Expected reduction dim ${p.dims[0]} to have non-zero size.`);
  }
}

/**
 * max()/min() of all elements: a 0-dim tensor (not recorded: the registry's entry declares the
 * derivative, registry/ops/reduce.ts).
 */
function extremeAll(t: Tensor, isMax: boolean): Tensor {
  const p = plan(t, null, false);
  if (t.numel() === 0) {
    throw runtimeError(
      `${isMax ? "max" : "min"}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`,
    );
  }
  return run(isMax ? Reduce.Max : Reduce.Min, t, p, t.dtype, t.dtype);
}

/** (values, indices) of max/min along one dim, as torch.return_types.max. */
export interface ValuesIndices {
  /** The selected values. */
  values: Tensor;
  /** Their indices along the reduced dim (int64). */
  indices: Tensor;
  /** values, by position (PyTorch's `result[0]`). */
  0: Tensor;
  /** indices, by position (PyTorch's `result[1]`). */
  1: Tensor;
}

function extremeDim(t: Tensor, dim: number, keepdim: boolean, isMax: boolean): ValuesIndices {
  const p = plan(t, dim, keepdim);
  checkNonEmpty(t, p, isMax ? "max" : "min");
  const indices = run(isMax ? Reduce.ArgMax : Reduce.ArgMin, t, p, t.dtype, int64);
  const values = run(isMax ? Reduce.Max : Reduce.Min, t, p, t.dtype, t.dtype);
  if (needsGrad(t)) {
    recordWith(
      DEFS.maxDim.def,
      "maxDim",
      values,
      [t],
      { indices },
      { dim: p.dims[0] ?? 0, keepdim, name: isMax ? "MaxBackward0" : "MinBackward0" },
    );
  }
  return namedTuple({ values, indices, 0: values, 1: indices });
}

/** torch.max(input) or torch.max(input, dim, keepdim) -> {values, indices}; torch.max(a, b) = maximum. */
export function max(t: Tensor): Tensor;
export function max(t: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(t: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? extremeAll(t, true) : extremeDim(t, dim, keepdim, true);
}

export function min(t: Tensor): Tensor;
export function min(t: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(t: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? extremeAll(t, false) : extremeDim(t, dim, keepdim, false);
}

function amaxImpl(t: Tensor, dim: Dims, keepdim: boolean, isMax: boolean): Tensor {
  const p = plan(
    t,
    dim === undefined || (Array.isArray(dim) && dim.length === 0) ? null : dim,
    keepdim,
  );
  checkNonEmpty(t, p, isMax ? "amax" : "amin");
  return run(isMax ? Reduce.Max : Reduce.Min, t, p, t.dtype, t.dtype);
}
/** torch.amax(input, dim=(), keepdim=false); not recorded (the registry's entry records) */
export const amax = (t: Tensor, dim?: Dims, keepdim = false): Tensor =>
  amaxImpl(t, dim, keepdim, true);
/** torch.amin(input, dim=(), keepdim=false) */
export const amin = (t: Tensor, dim?: Dims, keepdim = false): Tensor =>
  amaxImpl(t, dim, keepdim, false);

/** torch.argmax(input, dim?, keepdim=false): int64 indices (of the flattened input without dim). */
export function argmax(t: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argImpl(t, dim, keepdim, true);
}
export function argmin(t: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argImpl(t, dim, keepdim, false);
}
function argImpl(
  t: Tensor,
  dim: number | null | undefined,
  keepdim: boolean,
  isMax: boolean,
): Tensor {
  const name = isMax ? "argmax" : "argmin";
  if (dim === undefined || dim === null) {
    if (t.numel() === 0) {
      throw runtimeError(
        `${name}(): Expected reduction dim to be specified for input.numel() == 0.`,
      );
    }
    const flat = wrap(castData(t, t.dtype), [t.numel()], t.dtype);
    const out = run(
      isMax ? Reduce.ArgMax : Reduce.ArgMin,
      flat,
      plan(flat, 0, false),
      t.dtype,
      int64,
    );
    return keepdim
      ? wrap(
          out.typedArray,
          t.shape.map(() => 1),
          int64,
        )
      : out;
  }
  const p = plan(t, dim, keepdim);
  checkNonEmpty(t, p, name);
  return run(isMax ? Reduce.ArgMax : Reduce.ArgMin, t, p, t.dtype, int64);
}

/** Options of var and std: the correction (or unbiased), dims and keepdim. */
export interface VarOptions {
  /** Subtracted from the number of elements in the divisor: 1 (Bessel's correction, the default) or 0. */
  correction?: number;
  /** PyTorch's `unbiased` (true = correction 1) */
  unbiased?: boolean;
  /** Keep the reduced dims with size 1 (default false). */
  keepdim?: boolean;
}

function correctionOf(o: VarOptions | boolean | undefined): number {
  if (typeof o === "boolean") return o ? 1 : 0;
  if (o?.correction !== undefined) return o.correction;
  if (o?.unbiased !== undefined) return o.unbiased ? 1 : 0;
  return 1;
}

function varCore(t: Tensor, p: Plan, correction: number, keepdim: boolean): Tensor {
  // var = sum((x - mean)^2) / (N - correction)
  return noGrad(() => {
    const centered = t.sub(t.mean(p.dims, true));
    const ss = sum(centered.mul(centered), p.dims, keepdim);
    return ss.div(Math.max(0, p.inner - correction));
  });
}

/**
 * torch.var(input, dim?, {correction=1 | unbiased, keepdim})
 * @example torch.tensor([1, 2, 3, 4]).var() // tensor(1.6667)
 */
export function variance(
  t: Tensor,
  dim?: Dims,
  opts?: VarOptions | boolean,
  keepdimArg?: boolean,
): Tensor {
  checkFloat(t);
  const keepdim = keepdimArg ?? (typeof opts === "object" ? (opts.keepdim ?? false) : false);
  const p = plan(t, dim, keepdim);
  const correction = correctionOf(opts);
  const out = varCore(t, p, correction, keepdim);
  if (needsGrad(t))
    recordWith(
      DEFS.var.def,
      "var",
      out,
      [t],
      { self: t },
      { dims: p.dims, keepdim, correction, dimGiven: given(dim) },
    );
  return out;
}

/** torch.std(input, dim?, {correction=1 | unbiased, keepdim}) */
export function std(
  t: Tensor,
  dim?: Dims,
  opts?: VarOptions | boolean,
  keepdimArg?: boolean,
): Tensor {
  checkFloat(t);
  const keepdim = keepdimArg ?? (typeof opts === "object" ? (opts.keepdim ?? false) : false);
  const p = plan(t, dim, keepdim);
  const correction = correctionOf(opts);
  const out = noGrad(() => varCore(t, p, correction, keepdim).sqrt());
  if (needsGrad(t))
    recordWith(
      DEFS.std.def,
      "std",
      out,
      [t],
      { self: t, result: out },
      { dims: p.dims, keepdim, correction, dimGiven: given(dim) },
    );
  return out;
}

/** Whether a reduction's dim argument names dims (PyTorch's dim=None or dim=[] reduce all). */
function given(dim: Dims): boolean {
  return dim !== undefined && dim !== null && !(Array.isArray(dim) && dim.length === 0);
}

function checkFloat(t: Tensor): void {
  if (!t.dtype.isFloatingPoint)
    throw runtimeError("std and var only support floating point and complex dtypes");
}

/**
 * torch.norm(input, p=2, dim?, keepdim=false): the vector p-norm over the given dims; with
 * `dtype`, computed on the input cast to it (one node, NormBackward3, as at::norm's dtype form).
 * @example torch.tensor([3, 4]).norm() // tensor(5.)
 */
export function norm(
  t: Tensor,
  p: number | "fro" = 2,
  dim?: Dims,
  keepdim = false,
  dtype: DType | null = null,
  /** the node's name when not torch.norm's (linalg.vector_norm: LinalgVectorNormBackward0) */
  nodeName?: string,
): Tensor {
  if (!t.dtype.isFloatingPoint) {
    throw runtimeError(
      `linalg.vector_norm: Expected a floating point or complex tensor as input. Got ${scalarTypeName(t.dtype)}`,
    );
  }
  const pn = p === "fro" ? 2 : p;
  const pl = plan(t, dim, keepdim);
  const kd = keepdim;
  const out = noGrad(() => {
    // the extreme of no elements: 0, as PyTorch's vector_norm
    if ((pn === Infinity || pn === -Infinity) && pl.inner === 0)
      return alloc(pl.outShape, dtype ?? t.dtype);
    const a = (dtype === null ? t : t.to(dtype)).abs();
    if (pn === Infinity) return amax(a, pl.dims, kd);
    if (pn === -Infinity) return amin(a, pl.dims, kd);
    if (pn === 0) return sum(a.ne(0).to(a.dtype), pl.dims, kd);
    if (pn === 1) return sum(a, pl.dims, kd);
    if (pn === 2) return sum(a.mul(a), pl.dims, kd).sqrt();
    return sum(a.pow(pn), pl.dims, kd).pow(1 / pn);
  });
  if (needsGrad(t))
    recordWith(
      DEFS.norm.def,
      "norm",
      out,
      [t],
      { self: t, result: out },
      { p: pn, dims: pl.dims, keepdim },
      nodeName ?? (dtype === null ? undefined : "NormBackward3"),
    );
  return out;
}

/**
 * torch.logsumexp(input, dim, keepdim=false) = log(sum(exp(x))) computed stably; not recorded
 * (the registry's entry records).
 */
export function logsumexp(t: Tensor, dim: Dims, keepdim = false): Tensor {
  const dt = floatDtypeOf(t.dtype);
  const p = plan(t, dim, keepdim);
  return run(Reduce.LogSumExp, t, p, dt, dt);
}

/**
 * torch.cumsum(input, dim, dtype?): running sums along dim, in `dtype` (default: the input's,
 * int64 for integers); not recorded (the registry's entry records).
 */
export function cumsum(t: Tensor, dim: number, dtype: DType | null = null): Tensor {
  const d = normalizeDim(dim, t.dim());
  const dt = dtype ?? (t.dtype.isFloatingPoint ? t.dtype : int64);
  const nd = t.dim();
  if (nd === 0) return wrap(castData(t, dt), [], dt);
  // scan the middle axis of the contiguous input viewed as [outer, n, inner]
  const { data, offset } = contiguousIn(t, dt);
  const { outer, n, inner } = around(t.shape, d);
  // every element is written: no zero fill
  const out = allocOutput(t.shape.slice(), dt);
  cumsumKernel(data, offset, outer, n, inner, out.typedArray);
  return out;
}

/**
 * torch.cumprod(input, dim, dtype?): running products along dim, in `dtype` (default: the
 * input's, int64 for integers and bools); not recorded (the registry's entry records).
 */
export function cumprod(t: Tensor, dim: number, dtype: DType | null = null): Tensor {
  const d = normalizeDim(dim, t.dim());
  const dt = dtype ?? (t.dtype.isFloatingPoint ? t.dtype : int64);
  if (t.dim() === 0) return wrap(castData(t, dt), [], dt);
  const { data, offset } = contiguousIn(t, dt);
  const { outer, n, inner } = around(t.shape, d);
  const out = allocOutput(t.shape.slice(), dt);
  cumprodKernel(data, offset, outer, n, inner, out.typedArray);
  return out;
}

/**
 * torch.cummax / cummin(input, dim): the running extreme along dim and the int64 index it
 * came from (`{ values, indices }`); not recorded.
 */
export function cumExtreme(t: Tensor, dim: number, isMax: boolean): ValuesIndices {
  const d = normalizeDim(dim, t.dim());
  const values = alloc(t.shape.slice(), t.dtype);
  const indices = alloc(t.shape.slice(), int64);
  if (t.numel() > 0) {
    const { data, offset } = contiguousIn(t, t.dtype);
    const { outer, n, inner } = around(t.shape, d);
    cumExtremeKernel(data, offset, outer, n, inner, values.typedArray, indices.typedArray, isMax);
  }
  return namedTuple({ values, indices, 0: values, 1: indices });
}

/** torch.logcumsumexp(input, dim): running log(sum(exp)) along dim (floating inputs); not recorded. */
export function logcumsumexp(t: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, t.dim());
  const out = alloc(t.shape.slice(), t.dtype);
  if (t.numel() === 0) return out;
  const { data, offset } = contiguousIn(t, t.dtype);
  const { outer, n, inner } = around(t.shape, d);
  logcumsumexpKernel(data, offset, outer, n, inner, out.typedArray);
  return out;
}

/**
 * torch.softmax(input, dim) = exp(x - max) / sum(exp(x - max))
 * @example torch.tensor([1, 2, 3]).softmax(0)
 */
export function softmax(t: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, t.dim());
  const out = softmaxForward(t, d, false);
  if (needsGrad(t)) recordWith(DEFS.softmax.def, "softmax", out, [t], { result: out }, { dim: d });
  return out;
}

/** torch.log_softmax(input, dim) = x - logsumexp(x) */
export function logSoftmax(t: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, t.dim());
  const out = softmaxForward(t, d, true);
  if (needsGrad(t))
    recordWith(DEFS.logSoftmax.def, "logSoftmax", out, [t], { result: out }, { dim: d });
  return out;
}

/** [outer, n, inner] of a shape around dim d (1-sized for a 0-dim tensor). */
function around(shape: readonly number[], d: number): { outer: number; n: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < d; i++) outer *= shape[i];
  for (let i = d + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, n: shape.length === 0 ? 1 : shape[d], inner };
}

/** t's elements, contiguous, in dtype (its own storage when it already is). */
function contiguousIn(t: Tensor, dtype: DType): { data: Tensor["typedArray"]; offset: number } {
  if (t.dtype === dtype && t.isContiguous()) return { data: t.typedArray, offset: t.offset };
  return { data: castData(t, dtype), offset: 0 };
}

/** softmax / log_softmax along d in one kernel (cpu.ts `softmax`); floating inputs only. */
function softmaxForward(t: Tensor, d: number, log: boolean): Tensor {
  // PyTorch has no integer softmax kernel (integer inputs go through `dtype=`); its kernel
  // along the last dim has its own name
  if (!t.dtype.isFloatingPoint) {
    const kernel =
      d === t.dim() - 1
        ? `${log ? "log_softmax" : "softmax"}_lastdim_kernel_impl`
        : "softmax_kernel_impl";
    throw runtimeError(`"${kernel}" not implemented for '${scalarTypeName(t.dtype)}'`);
  }
  const dt = t.dtype;
  const out = allocOutput(t.shape.slice(), dt);
  if (out.typedArray.length === 0) return out;
  const { data, offset } = contiguousIn(t, dt);
  const { outer, n, inner } = around(t.shape, d);
  softmaxKernel(data, offset, outer, n, inner, out.typedArray, log);
  return out;
}

/**
 * The value of the softmax / log_softmax backward (softmax: y*(g - sum(g*y)); log_softmax:
 * g - exp(y)*sum(g), along dim) in one kernel, recording nothing (ops/backward.ts records);
 * null when g and y differ in shape or dtype (the caller then composes tensor ops).
 */
export function softmaxBackward(g: Tensor, y: Tensor, dim: number, log: boolean): Tensor | null {
  if (g.dtype !== y.dtype || !g.dtype.isFloatingPoint) return null;
  const shape = y.shape;
  if (g.shape.length !== shape.length || g.shape.some((s, i) => s !== shape[i])) return null;
  const out = allocOutput(shape.slice(), y.dtype);
  if (out.typedArray.length === 0) return out;
  const gd = contiguousIn(g, g.dtype);
  const yd = contiguousIn(y, y.dtype);
  const { outer, n, inner } = around(shape, dim);
  softmaxBackwardKernel(
    gd.data,
    gd.offset,
    yd.data,
    yd.offset,
    outer,
    n,
    inner,
    out.typedArray,
    log,
  );
  return out;
}

/** torch.any(input, dim?, keepdim=false): a bool tensor (uint8 for uint8 input, as PyTorch). */
export function any(t: Tensor, dim?: number, keepdim = false): Tensor {
  const p = plan(t, dim, keepdim);
  return run(Reduce.Any, t, p, t.dtype, t.dtype === uint8 ? uint8 : bool);
}
/** torch.all(input, dim?, keepdim=false): a bool tensor (uint8 for uint8 input, as PyTorch). */
export function all(t: Tensor, dim?: number, keepdim = false): Tensor {
  const p = plan(t, dim, keepdim);
  return run(Reduce.All, t, p, t.dtype, t.dtype === uint8 ? uint8 : bool);
}

/** torch.numel(input): the number of elements. */
export function numel(t: Tensor): number {
  return numelOf(t.shape);
}
