/**
 * Note [autocast dispatch]: automatic mixed precision as CPU-only PyTorch 1.13 has it
 * (aten/src/ATen/autocast_mode.{h,cpp}). While CPU autocast is enabled, a registry op with a
 * cast policy has its floating-point CPU arguments cast before it runs:
 *
 * - `lower_precision_fp`: to the autocast dtype (bfloat16), the matrix products and
 *   convolutions (mm, bmm, addmm, linear, matmul, conv1d/2d/3d, ...);
 * - `fp32`: to float32, the ops whose bfloat16 results lose too much (losses, linalg, fft,
 *   prod, 3-d pooling, ...);
 * - `promote`: to the widest floating type among the arguments, float32 winning over
 *   bfloat16 (stack, index_copy).
 *
 * float64 arguments are never cast, nor are integer, complex or device tensors. In-place and
 * out= forms are not cast either (PyTorch registers no autocast kernel for them). The lists are
 * PyTorch's AutocastCPU registrations, each op's policy read from what PyTorch 1.13 returns for
 * float32 and bfloat16 inputs (scripts/fixtures/autocast_fx.py records both; conv_transpose*
 * and prelu, lower precision in later releases, are float32 here). An op without a policy
 * runs on its arguments as they are.
 *
 * The casts are `Tensor.to(dtype)` calls, so autograd records a ToCopyBackward0 node between
 * each cast input and the op, and gradients reach float32 leaves in float32. As PyTorch's
 * `ExcludeDispatchKeyGuard`, autocast is off while a policy op casts and runs: the ops it calls
 * internally compute in the dtype it was given. A cast of a float32 leaf that requires grad to
 * the lower dtype is cached until the outermost autocast region exits (`cacheEnabled`), so a
 * weight used by several ops is cast, and recorded, once per region.
 *
 * Where tensorgrad composes a module from kernels called directly (nn.MultiheadAttention's
 * projections, the recurrent cells' at::linear, nn.ConvTranspose*), `autocastArgs`
 * (ops/autocast.ts, with the state and the casts) casts what PyTorch's op would, or the
 * composition calls the registry's op while autocast is on.
 *
 * Cost when autocast is off: the hook rides on the check every op call already makes for vmap
 * (Note [batched tensors]): an enabled region counts as one more level in `vmapState.depth`,
 * so the plain path is unchanged.
 */
import { autocastState, castArgs, type CastPolicy } from "../ops/autocast.js";
import { vmapState } from "./batching.js";
import type { Schema } from "./schema.js";

export { autocastArgs, autocastState, clearCastCache, type CastPolicy } from "../ops/autocast.js";

/** Whether the enabled CPU autocast counts in vmapState.depth (Note [autocast dispatch]). */
let counted = false;

const LOWER = [
  "conv1d",
  "conv1d.padding",
  "conv2d",
  "conv2d.padding",
  "conv3d",
  "conv3d.padding",
  "bmm",
  "mm",
  "baddbmm",
  "addmm",
  "addbmm",
  "linear",
  "_convolution.deprecated",
  "matmul",
  "conv_tbc",
];

const FP32 = [
  "conv_transpose1d",
  "conv_transpose2d.input",
  "conv_transpose3d.input",
  "avg_pool3d",
  "binary_cross_entropy",
  "grid_sampler",
  "polar",
  "prod",
  "prod.dim_int",
  "prod.dim_Dimname",
  "quantile",
  "quantile.scalar",
  "nanquantile",
  "nanquantile.scalar",
  "stft",
  "stft.center",
  "cdist",
  "grid_sampler_2d",
  "_grid_sampler_2d_cpu_fallback",
  "grid_sampler_3d",
  "trace",
  "view_as_complex",
  "cholesky",
  "cholesky_inverse",
  "cholesky_solve",
  "inverse",
  "lu_solve",
  "orgqr",
  "ormqr",
  "pinverse",
  "max_pool3d",
  "max_unpool2d",
  "max_unpool3d",
  "adaptive_avg_pool3d",
  "reflection_pad1d",
  "reflection_pad2d",
  "replication_pad1d",
  "replication_pad2d",
  "replication_pad3d",
  "mse_loss",
  "cosine_embedding_loss",
  "nll_loss",
  "nll_loss2d",
  "hinge_embedding_loss",
  "poisson_nll_loss",
  "smooth_l1_loss",
  "cross_entropy_loss",
  "l1_loss",
  "huber_loss",
  "margin_ranking_loss",
  "soft_margin_loss",
  "triplet_margin_loss",
  "multi_margin_loss",
  "ctc_loss.IntList",
  "ctc_loss.Tensor",
  "kl_div",
  "multilabel_margin_loss",
  "binary_cross_entropy_with_logits",
  "fft_fft",
  "fft_ifft",
  "fft_fft2",
  "fft_ifft2",
  "fft_fftn",
  "fft_ifftn",
  "fft_rfft",
  "fft_irfft",
  "fft_rfft2",
  "fft_irfft2",
  "fft_rfftn",
  "fft_irfftn",
  "fft_hfft",
  "fft_ihfft",
  "linalg_cond",
  "linalg_cond.p_str",
  "linalg_matrix_rank",
  "linalg_matrix_rank.tol_tensor",
  "linalg_matrix_rank.atol_rtol_tensor",
  "linalg_matrix_rank.atol_rtol_float",
  "linalg_solve",
  "linalg_cholesky",
  "linalg_svdvals",
  "linalg_eigvals",
  "linalg_eigvalsh",
  "linalg_inv",
  "linalg_householder_product",
  "linalg_tensorinv",
  "linalg_tensorsolve",
  "fake_quantize_per_tensor_affine",
  "geqrf",
  "_lu_with_info",
  "qr",
  "svd",
  "symeig",
  "triangular_solve",
  "fractional_max_pool2d",
  "fractional_max_pool3d",
  "adaptive_max_pool3d",
  "multilabel_margin_loss_forward",
  "linalg_qr",
  "linalg_cholesky_ex",
  "linalg_svd",
  "linalg_eig",
  "linalg_eigh",
  "linalg_lstsq",
  "linalg_inv_ex",
  "linalg_matrix_norm",
  "linalg_matrix_norm.str_ord",
];

// aten::cat is registered too, but in 1.13 its kernel casts nothing (cat promotes by itself,
// recording no ToCopyBackward0; test/fixtures/autocast.json's cat_mixed), so it has no policy
const PROMOTE = ["stack", "index_copy", "index_copy.dimname"];

/**
 * tensorgrad ops that are not AutocastCPU registrations, with the policy that gives PyTorch's
 * result dtypes: Python functions of PyTorch calling a registered op first (F.cross_entropy
 * is aten::cross_entropy_loss, F.ctc_loss aten::ctc_loss, F.grid_sample aten::grid_sampler,
 * torch.lu aten::_lu_with_info, F.max_unpool1d aten::max_unpool2d, torch.istft
 * aten::fft_irfft), and PyTorch composites whose result comes from a lower-precision op
 * (tensordot and inner end in mm, linalg.pinv in matmul), which are single ops here.
 */
const TENSORGRAD_FP32 = ["cross_entropy", "ctc_loss", "grid_sample", "lu", "max_unpool1d", "istft"];
const TENSORGRAD_LOWER = [
  "tensordot",
  "inner",
  "linalg_pinv",
  "linalg_pinv.atol_rtol_tensor",
  "linalg_pinv.atol_rtol_float",
  "linalg_pinv.rcond_tensor",
];

/** Every op with a policy, by `name` or `name.overload` as the registry's schemas spell them. */
export const AUTOCAST_CPU_POLICY: ReadonlyMap<string, CastPolicy> = new Map<string, CastPolicy>([
  ...LOWER.map((k): [string, CastPolicy] => [k, "lower_precision_fp"]),
  ...FP32.map((k): [string, CastPolicy] => [k, "fp32"]),
  ...PROMOTE.map((k): [string, CastPolicy] => [k, "promote"]),
  ...TENSORGRAD_FP32.map((k): [string, CastPolicy] => [k, "fp32"]),
  ...TENSORGRAD_LOWER.map((k): [string, CastPolicy] => [k, "lower_precision_fp"]),
]);

/** The keys of AUTOCAST_CPU_POLICY that are tensorgrad's forms, not PyTorch registrations. */
export const TENSORGRAD_FORMS: ReadonlySet<string> = new Set([
  ...TENSORGRAD_FP32,
  ...TENSORGRAD_LOWER,
]);

/** A policy that depends on the call's arguments (null: none for this call). */
export type ArgPolicy = (values: readonly unknown[]) => CastPolicy | null;

/**
 * F.pad (input, pad, mode, value) is a Python function of PyTorch: its reflect and replicate
 * modes call the registered reflection_pad* and replication_pad* (fp32), the others
 * constant_pad_nd or a circular composition (no policy).
 */
const padPolicy: ArgPolicy = (values) =>
  values[2] === "reflect" || values[2] === "replicate" ? "fp32" : null;

/** An overload's CPU autocast policy; null: it runs on its arguments as they are. */
export function autocastPolicy(schema: Schema): CastPolicy | ArgPolicy | null {
  const k = schema.overload === "" ? schema.name : `${schema.name}.${schema.overload}`;
  if (k === "pad") return padPolicy;
  return AUTOCAST_CPU_POLICY.get(k) ?? null;
}

/** Turn CPU autocast on or off, keeping its share of vmapState.depth. */
export function writeCpuEnabled(flag: boolean): void {
  autocastState.cpu = flag;
  if (flag !== counted) {
    counted = flag;
    const d = flag ? 1 : -1;
    vmapState.autocast += d;
    vmapState.depth += d;
  }
}

/** Run `fn` with CPU autocast off (an op's out= form, which PyTorch does not autocast). */
export function outsideAutocast<T>(fn: () => T): T {
  const prev = autocastState.cpu;
  autocastState.cpu = false;
  try {
    return fn();
  } finally {
    autocastState.cpu = prev;
  }
}

/**
 * A policy op's call under CPU autocast (Note [autocast dispatch]): its arguments cast, then
 * `forward` (the op's own wrapper: vmap and tracing still see the call), with autocast off
 * for both, as PyTorch's ExcludeDispatchKeyGuard.
 */
export function autocastCall(
  policy: CastPolicy,
  forward: (...values: unknown[]) => unknown,
  values: readonly unknown[],
): unknown {
  autocastState.cpu = false;
  try {
    return forward(...castArgs(policy, values));
  } finally {
    autocastState.cpu = true;
  }
}
