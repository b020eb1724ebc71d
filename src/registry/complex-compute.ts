/**
 * Note [complex compute]: how registry ops compute on complex64 and complex128 (Note [complex
 * storage] in dtype.ts). There are no complex kernels: an op given a complex tensor (or a
 * complex `dtype`) computes from the real and imaginary parts, which are strided real views of
 * the same storage (`t.real`, `t.imag`), with recorded real ops, so autograd comes from the real
 * ops' formulas. This is PyTorch's convention: for a real loss L of z = x + iy the gradient is
 * dL/dx + i dL/dy, exactly the gradient of the real view. The parts are put together by one
 * recorded `complex` node named after the op (MulBackward0, SumBackward0, ...), so grad_fn
 * names are PyTorch's. Half compute's argument scan (Note [half compute]) finds the complex
 * operands (`dtype.needsConversion`), so calls without complex operands pay nothing more.
 *
 * Each op is in one of these tables:
 * - PASS: the op's own forward handles complex tensors (the complex-only ops, zeros, copy_).
 * - LINEAR / STRUCTURAL: ops R-linear in their value operands (add, sum, cat, index, ...):
 *   the op runs on the real parts and on the imaginary parts. LINEAR ops promote every tensor
 *   operand to complex (an int tensor or number added to a complex tensor has imaginary part
 *   0); STRUCTURAL ops leave bool and integer tensors alone (indices, masks).
 * - SCALED: mul/div by a real operand scale both parts by it (complex by complex is custom).
 * - CUSTOM: a composition of recorded ops (mul, exp, matmul, abs, ...).
 * Anything else raises PyTorch's "not implemented for 'ComplexFloat'" error (its kernel's
 * name where PyTorch's message names one), never computing on the interleaved storage. *
 * Note [complex tangents]: forward-mode AD takes the same path. A complex dual tensor's parts
 * `z.real`, `z.imag` are views, so their tangents are the same views of its tangent (Re dz,
 * Im dz); each real op of a composition applies its real JVP, and `combine` (the recorded
 * `complex` op) puts the parts' tangents together. That is the R-linear directional derivative
 * PyTorch's forward AD computes: f'(z) dz for holomorphic f, and for the others (abs, angle,
 * sgn, real-valued reductions) what derivatives.yaml's `result:` formulas give, e.g. for abs
 * Re(conj(sgn z) dz). So a composed result that has a tangent keeps it: the op's own `jvp`,
 * written for real operands, is skipped as its node is (define.ts's recording step). Only the
 * PASS ops' rules (views, real/imag/conj, view_as_real/complex, complex/polar, the FFTs) see
 * complex tangents; test/opdb-fwd.test.ts replays op_db's complex128 samples against PyTorch's
 * tangents.
 */
import { Tensor } from "../tensor.js";
import { DType, promoteTypes, resultType, toComplexDtype, toRealDtype } from "../dtype.js";
import { alloc, scalarTypeName } from "../ops/core.js";
import { needsGrad, recordWith, derivativeOf } from "../autograd/function.js";
import type { Op } from "../autograd/derivatives.js";
import { runtimeError } from "../errors.js";
import type { Schema } from "./schema.js";
import { interleave } from "../ops/complex.js";

type Forward = (...args: unknown[]) => unknown;

/**
 * Results a complex composition recorded itself: the op's own recording step leaves them be
 * (their graph is the composition's).
 */
export const composedResults = new WeakSet<Tensor>();

let buildComplex = (): void => {
  throw new Error("tensorgrad: registry/ops/complex.ts not loaded");
};
/** @internal installs the build of the `complex` op, whose node compositions record */
export function setComplexBuilder(f: () => void): void {
  buildComplex = f;
}

/** re + i im as one recorded `complex` node named `name` (Note [complex compute]). */
export function combine(re: Tensor, im: Tensor, name?: string): Tensor {
  if (re.dtype !== im.dtype) {
    const d = promoteTypes(re.dtype, im.dtype);
    re = re.to(d);
    im = im.to(d);
  }
  if (!re.dtype.isFloatingPoint || re.dtype.name === "bfloat16") {
    // integer parts (a sum of an int tensor's parts does not occur: complex parts are float);
    // float16 parts make complex32 (Note [complex32])
    const d = toRealDtype(toComplexDtype(re.dtype));
    re = re.to(d);
    im = im.to(d);
  }
  const out = interleave(re, im);
  if (needsGrad(re) || needsGrad(im)) {
    buildComplex();
    recordWith(
      derivativeOf("complex" as Op),
      "complex" as Op,
      out,
      [re, im],
      {} as never,
      {} as never,
      name,
    );
    composedResults.add(out);
  }
  return out;
}

/** Ops whose forward handles complex tensors itself. */
const PASS = new Set([
  "view_as_real",
  // linalg.eig / eigvals check their input dtype themselves (registry/ops/eig.ts)
  // the Householder ops run complex kernels (registry/ops/decomp.ts, backend/zlinalg.ts)
  "geqrf",
  "ormqr",
  "linalg_householder_product",
  "orgqr",
  "linalg_qr",
  "qr",
  // the Hermitian eigenproblem: zhetrd's tridiagonal, then the real one's
  "linalg_eigh",
  "symeig",
  // the SVD: zgebd2's real bidiagonal, then the real one's (Note [complex SVD])
  "linalg_svd",
  "svd",
  // compositions of the above and of complex-capable ops (registry/ops/decomp.ts)
  "linalg_pinv",
  "pinverse",
  "linalg_lstsq",
  "linalg_cond",
  "linalg_eig",
  "linalg_eigvals",
  // complex kernels of LU, Cholesky and triangular solves (backend/linalg-complex.ts) and
  // formulas with conjugate transposes (registry/ops/decomp.ts)
  "triangular_solve",
  "linalg_solve_triangular",
  "cholesky",
  "linalg_cholesky",
  "linalg_cholesky_ex",
  "cholesky_solve",
  "cholesky_inverse",
  "linalg_lu_factor",
  "linalg_lu_factor_ex",
  "lu",
  "lu_unpack",
  "linalg_lu",
  "linalg_lu_solve",
  "lu_solve",
  "det",
  "linalg_det",
  "slogdet",
  "linalg_slogdet",
  "logdet",
  "linalg_tensorsolve",
  "linalg_ldl_factor",
  "linalg_ldl_factor_ex",
  "linalg_ldl_solve",
  // the transforms of ops/spectral.ts compute on the interleaved storage themselves
  "_fft_c2c",
  "_fft_r2c",
  "_fft_c2r",
  ...["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"].flatMap((k) => [
    `fft_${k}`,
    `fft_${k}2`,
    `fft_${k}n`,
  ]),
  // compositions of the transforms and views (registry/ops/stft.ts)
  "stft",
  "istft",
  // rolls (registry/ops/fft.ts), which take complex tensors themselves
  "fft_fftshift",
  "fft_ifftshift",
  // index_put_ writes through Tensor.indexPut_, whose primitive (ops/advanced-indexing.ts)
  // moves and adds both parts of each element itself
  "index_put_",
  // the dropouts return a complex input itself without training (or p = 0); training draws
  // bernoulli noise, which refuses complex as PyTorch's (registry/ops/nn-dropout.ts)
  ...["dropout", "feature_dropout", "alpha_dropout", "feature_alpha_dropout"].flatMap((k) => [
    k,
    `${k}_`,
  ]),
  "dropout1d",
  "dropout2d",
  "dropout3d",
  // clone, as_strided and copy_ of the complex tensor itself: as_strided's storage offset
  // and strides count complex elements (the parts' views would count real slots)
  "as_strided_scatter",
  "view_as_complex",
  "complex",
  "polar",
  "real",
  "imag",
  "conj",
  "conj_physical",
  "resolve_conj",
  "resolve_neg",
  "is_conj",
  "is_neg",
  "is_complex",
  "is_floating_point",
  "zeros",
  "empty",
  "zeros_like",
  "empty_like",
  "new_zeros",
  "new_empty",
  "new_empty_strided",
  "resize_",
  "resize_as_",
  "copy_",
  "alias",
  "detach",
  "numel",
  "is_nonzero",
  "is_same_size",
  "is_signed",
  "is_floating_point",
  "is_complex",
  "can_cast",
  "result_type",
  "to",
  "_to_copy",
  "type_as",
  "isclose",
  "allclose",
  "equal",
]);

/** R-linear ops: every tensor operand is made complex. */
const LINEAR = new Set([
  "add",
  "sub",
  "subtract",
  "rsub",
  "neg",
  "negative",
  "positive",
  "sum",
  "nansum",
  "mean",
  "cumsum",
  "trace",
  "__radd__",
  "__rsub__",
]);

/** Element-moving ops: bool and integer operands (indices, masks) are left alone. */
const STRUCTURAL = new Set([
  "clone",
  "cat",
  "concat",
  "concatenate",
  "stack",
  "hstack",
  "vstack",
  "dstack",
  "flip",
  "fliplr",
  "flipud",
  "roll",
  "rot90",
  "repeat",
  "tile",
  "index_select",
  "gather",
  "take",
  "masked_select",
  "index",
  "where",
  "narrow_copy",
  "diag",
  "diag_embed",
  "diagonal_copy",
  "tril",
  "triu",
  "expand_copy",
  "repeat_interleave",
  "index_put",
  "scatter",
  "pad",
  "constant_pad_nd",
  "movedim_copy",
  "unfold_copy",
  "split_copy",
  "atleast_1d",
  "atleast_2d",
  "atleast_3d",
  "block_diag",
  "broadcast_tensors",
  "cartesian_prod",
  "column_stack",
  "combinations",
  "diagflat",
  "index_copy",
  "masked_scatter",
  "masked_scatter_",
  "masked_fill",
  "index_fill",
  "meshgrid",
  "pixel_shuffle",
  "pixel_unshuffle",
  "take_along_dim",
  "unfold",
  "index_add",
  "scatter_add",
  "put",
  "diff",
  "sum_to_size",
]);

/**
 * Structural ops' fill values: a real number is the real part of the value written (its
 * imaginary part 0), not written into both parts.
 */
const FILL_VALUES = new Set(["value"]);

/** Ops scaling both parts by a real operand (complex by complex is CUSTOM's). */
const SCALED = new Set(["mul", "multiply", "div", "divide", "true_divide"]);

/**
 * Compositions of recorded ops: given the schema's values (complex operands among them), the
 * op's recorded forward and its declared forward (without the complex dispatch), the result.
 */
export const CUSTOM = new Map<
  string,
  (values: unknown[], recorded: Forward, declared: Forward) => unknown
>();

/** PyTorch's error text for ops its CPU kernels do not run on complex tensors. */
const ERRORS: Record<string, string> = {
  max: '"max_all" not implemented for',
  min: '"min_all" not implemented for',
  argmax: '"argmax_cpu" not implemented for',
  argmin: '"argmin_cpu" not implemented for',
  sort: '"sorting_kernel_method_name" not implemented for',
  argsort: '"sorting_kernel_method_name" not implemented for',
  amax: '"max_values_cpu" not implemented for',
  amin: '"min_values_cpu" not implemented for',
  softmax: '"softmax_lastdim_kernel_impl" not implemented for',
  log_softmax: '"log_softmax_lastdim_kernel_impl" not implemented for',
  erf: '"erf_vml_cpu" not implemented for',
  round: '"round_vml_cpu" not implemented for',
};
const MESSAGES: Record<string, string> = {
  clamp: "clamp is not supported for complex types",
  clamp_min: "clamp is not supported for complex types",
  clamp_max: "clamp is not supported for complex types",
  relu: "clamp is not supported for complex types",
  floor: "floor is not supported for complex inputs",
  ceil: "ceil is not supported for complex inputs",
  trunc: "trunc is not supported for complex inputs",
  maximum: "maximum not implemented for complex tensors.",
  minimum: "minimum not implemented for complex tensors.",
  sign: "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use torch.sgn instead.",
  heaviside: "heaviside is not yet implemented for complex tensors.",
};

/** PyTorch's error for an op without a complex kernel (ERRORS, MESSAGES or its `<name>_cpu`). */
export function notImplemented(name: string, d: DType): Error {
  const m = MESSAGES[name];
  if (m !== undefined) return runtimeError(m);
  const k = ERRORS[name] ?? `"${name}_cpu" not implemented for`;
  return runtimeError(`${k} '${scalarTypeName(d)}'`);
}

/** Whether an op's values hold a complex tensor or a complex dtype. */
export function involvesComplex(values: readonly unknown[]): boolean {
  for (const v of values) {
    if (v instanceof Tensor) {
      if (v.dtype.isComplex) return true;
    } else if (v instanceof DType) {
      if (v.isComplex) return true;
    } else if (Array.isArray(v)) {
      for (const t of v) if (t instanceof Tensor && t.dtype.isComplex) return true;
    }
  }
  return false;
}

/** The first complex dtype among the values (for error messages). */
function complexOf(values: readonly unknown[]): DType {
  for (const v of values) {
    if (v instanceof Tensor && v.dtype.isComplex) return v.dtype;
    if (v instanceof DType && v.isComplex) return v;
    if (Array.isArray(v))
      for (const t of v) if (t instanceof Tensor && t.dtype.isComplex) return t.dtype;
  }
  throw new Error("complexOf: no complex operand");
}

/** Zeros in a real dtype, the imaginary part of a real operand made complex. */
const zerosOf = (t: Tensor, d: DType): Tensor => {
  const z = alloc(t.shape.slice(), d);
  if (t._wrappedNumber) z._wrappedNumber = true;
  return z;
};

/**
 * The op on the real parts and on the imaginary parts, put together (LINEAR, STRUCTURAL and
 * SCALED ops).
 */
function componentwise(
  schema: Schema,
  values: readonly unknown[],
  recorded: Forward,
  kind: "linear" | "structural" | "scaled",
): unknown {
  const operands: Tensor[] = [];
  for (const v of values) {
    if (v instanceof Tensor) operands.push(v);
    else if (Array.isArray(v)) for (const t of v) if (t instanceof Tensor) operands.push(t);
  }
  const part = toRealDtype(toComplexDtype(resultType(operands)));
  // each complex operand's parts, to hand back an operand the op returns as it is
  const whole = new Map<Tensor, Tensor>();
  const split = (t: Tensor, inList: boolean): [Tensor, Tensor] => {
    if (t.dtype.isComplex) {
      const [a, b] = [t.real, t.imag];
      whole.set(a, t);
      whole.set(b, t);
      return [a, b];
    }
    const promote =
      kind === "linear" || (kind === "structural" && (inList || t.dtype.isFloatingPoint));
    return promote ? [t, zerosOf(t, part)] : [t, t];
  };
  const re: unknown[] = [];
  const im: unknown[] = [];
  schema.params.forEach((p, i) => {
    const v = values[i];
    if (v instanceof Tensor) {
      const [a, b] = split(v, false);
      re.push(a);
      im.push(b);
    } else if (Array.isArray(v) && p.base === "Tensor") {
      // Tensor?[] is index's list of index tensors: integers and bools, never promoted
      const promoteList = !p.elementOptional;
      const parts = v.map((t: unknown) => (t instanceof Tensor ? split(t, promoteList) : [t, t]));
      re.push(parts.map((x) => x[0]));
      im.push(parts.map((x) => x[1]));
    } else if (
      kind === "linear" &&
      typeof v === "number" &&
      (p.name === "other" || p.name === "self")
    ) {
      // a number operand of a linear op: its imaginary part is 0
      re.push(v);
      im.push(0);
    } else if (kind === "structural" && typeof v === "number" && FILL_VALUES.has(p.name)) {
      re.push(v);
      im.push(0);
    } else if (v instanceof DType && v.isComplex) {
      re.push(toRealDtype(v));
      im.push(toRealDtype(v));
    } else {
      re.push(v);
      im.push(v);
    }
  });
  return combineResults(recorded(...re), recorded(...im), whole);
}

/**
 * The real parts' and imaginary parts' results put together (tensors, or lists of them); an
 * operand's own parts returned unchanged (atleast_1d of a 1-d tensor) are that operand.
 */
function combineResults(r: unknown, m: unknown, whole: Map<Tensor, Tensor>): unknown {
  if (Array.isArray(r)) return r.map((x, i) => combineResults(x, (m as unknown[])[i], whole));
  const a = r as Tensor;
  const b = m as Tensor;
  const t = whole.get(a);
  if (t !== undefined && whole.get(b) === t && a !== b) return t;
  return combine(a, b, a.gradFn?.name() ?? b.gradFn?.name());
}

/**
 * The op on complex operands (Note [complex compute]): `f` is the op's forward, `recorded` the
 * op with its recording step (what the compositions call on real parts).
 */
export function complexCall(
  schema: Schema,
  f: Forward,
  values: unknown[],
  recorded: Forward | null,
): unknown {
  const name = schema.name;
  if (PASS.has(name)) return f(...values);
  // PyTorch's abs_ refuses complex tensors (|z| is real) before computing anything
  if (name === "abs_" || name === "absolute_")
    throw runtimeError("In-place abs is not supported for complex tensors.");
  const rec = recorded ?? f;
  if (LINEAR.has(name)) return componentwise(schema, values, rec, "linear");
  if (STRUCTURAL.has(name)) return componentwise(schema, values, rec, "structural");
  if (SCALED.has(name)) {
    let complexCount = 0;
    for (const v of values) if (v instanceof Tensor && v.dtype.isComplex) complexCount++;
    // a real divisor or factor; a complex divisor of a real tensor is CUSTOM's
    const first = values[0];
    const selfComplex = first instanceof Tensor && first.dtype.isComplex;
    if (complexCount === 1 && (selfComplex || name.startsWith("mul")))
      return componentwise(schema, values, rec, "scaled");
  }
  const custom = CUSTOM.get(name);
  if (custom !== undefined) return custom(values, rec, f);
  throw notImplemented(
    name.endsWith("_") && !name.endsWith("__") ? name.slice(0, -1) : name,
    complexOf(values),
  );
}
