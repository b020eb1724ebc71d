/**
 * Which registry ops run on torch.complex32 (Note [complex32] in dtype.ts), and PyTorch 1.13's
 * CPU errors for the others. PyTorch's CPU kernels dispatch ComplexHalf for few ops: creation,
 * copies and casts, views, indexing, cat/stack, add/sub/mul, neg, abs, sgn, eq/ne, the isX
 * tests and a few more (op_db lists them in `dtypes`). The ops listed here compute complex32
 * through complex64 (Note [half compute]); any other op given a complex32 tensor or dtype
 * raises the error PyTorch's kernel raises, `"<kernel>" not implemented for 'ComplexHalf'`.
 */
import { Tensor } from "../tensor.js";
import { DType, complex32 } from "../dtype.js";
import { runtimeError } from "../errors.js";
import { notImplemented } from "./complex-compute.js";

/** Schema names (in-place forms without their `_`) whose PyTorch kernels take ComplexHalf. */
const CHALF_OPS = new Set([
  "add",
  "sub",
  "subtract",
  "rsub",
  "__radd__",
  "__rsub__",
  "__rmul__",
  "mul",
  "multiply",
  "neg",
  "negative",
  "positive",
  "abs",
  "absolute",
  "sgn",
  "eq",
  "ne",
  "not_equal",
  "conj_physical",
  "resolve_conj",
  "resolve_neg",
  "isfinite",
  "isinf",
  "isnan",
  "isreal",
  "isclose",
  "allclose",
  "count_nonzero",
  "any",
  "all",
  "cat",
  "concat",
  "concatenate",
  "stack",
  "hstack",
  "vstack",
  "dstack",
  "column_stack",
  "atleast_1d",
  "atleast_2d",
  "atleast_3d",
  "block_diag",
  "diag_embed",
  "where",
  "fill",
  "zero",
  "masked_fill",
  "roll",
  "fft_fftshift",
  "fft_ifftshift",
  "index_select",
  "index_add",
  "index_put",
  "index",
  "nonzero",
  "repeat",
  "tile",
  "repeat_interleave",
  "outer",
  "kron",
  "diff",
  "clone",
  "contiguous",
  "narrow_copy",
  "expand_copy",
  "unfold_copy",
  "movedim_copy",
  "split_copy",
  "as_strided_scatter",
  "copy",
  "to",
  "_to_copy",
  "type_as",
  "complex",
  "is_nonzero",
  "full",
  "full_like",
  "new_full",
  "ones",
  "ones_like",
  "new_ones",
  "zeros",
  "zeros_like",
  "new_zeros",
  "empty",
  "empty_like",
  "new_empty",
  "new_empty_strided",
  "empty_strided",
  "rand",
  "rand_like",
  "randn",
  "randn_like",
  "normal",
  "uniform",
]);

/**
 * PyTorch's kernel names in its ComplexHalf dispatch errors where they are not `<op>_cpu` (ops
 * failing on every complex dtype use complex-compute's tables).
 */
const KERNELS: Record<string, string> = {
  ...Object.fromEntries(
    [
      "exp",
      "log",
      "sqrt",
      "sin",
      "cos",
      "tan",
      "tanh",
      "asin",
      "acos",
      "atan",
      "log10",
      "log2",
      "log1p",
      "expm1",
    ].map((k) => [k, `${k}_vml_cpu`]),
  ),
  mean: "sum_cpu",
  cumsum: "cumsum_out_cpu",
  cumprod: "cumprod_out_cpu",
  pow: "pow",
  square: "pow",
  float_power: "pow",
  matmul: "dot",
  dot: "dot",
  vdot: "vdot",
  mm: "addmm_impl_cpu_",
  addmm: "addmm_impl_cpu_",
  inner: "addmm_impl_cpu_",
  mv: "addmv_impl_cpu",
  bmm: "bmm",
  trace: "trace",
  fliplr: "flip_cpu",
  flipud: "flip_cpu",
  rot90: "flip_cpu",
  diag: "diag",
  tril: "tril",
  triu: "triu",
  gather: "scatter_gather_tensor_cpu",
  scatter: "scatter_gather_tensor_cpu",
  scatter_add: "scatter_gather_tensor_cpu",
  take_along_dim: "scatter_gather_tensor_cpu",
  masked_select: "masked_select",
  masked_scatter: "masked_scatter",
  unique: "unique",
  equal: "equal_cpu",
  exp2: "exp2",
  nan_to_num: "nan_to_num",
  cross: "cross",
  linalg_cross: "cross",
  cov: "sum_cpu",
  corrcoef: "sum_cpu",
  trapezoid: "sum_cpu",
  cumulative_trapezoid: "cumsum_out_cpu",
};

/** Whether an op's values hold a complex32 tensor or the complex32 dtype. */
export function involvesChalf(values: readonly unknown[]): boolean {
  for (const v of values) {
    if (v instanceof Tensor) {
      if (v.dtype === complex32) return true;
    } else if (v === complex32) {
      return true;
    } else if (Array.isArray(v)) {
      for (const t of v) if (t instanceof Tensor && t.dtype === complex32) return true;
    }
  }
  return false;
}

/** Raises PyTorch's error unless the op (by schema name) runs on complex32. */
export function checkChalf(name: string): void {
  const base = name.endsWith("_") && !name.endsWith("__") ? name.slice(0, -1) : name;
  if (CHALF_OPS.has(base)) return;
  const k = KERNELS[base];
  if (k !== undefined) throw runtimeError(`"${k}" not implemented for 'ComplexHalf'`);
  throw notImplemented(base, complex32 as DType);
}
