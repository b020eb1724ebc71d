/**
 * Normalisation primitives: layer norm, group norm and batch norm (PyTorch's native_layer_norm,
 * native_group_norm, native_batch_norm). Each runs its forward as tensor ops under `noGrad` and
 * records a single node (NativeLayerNormBackward0, ...), whose formula (nn-derivatives.ts) is
 * written with tensor ops from the saved input, so it is differentiable again.
 *
 * All three normalise x over some dims of a "layout" of x (x itself, or [N, G, -1] for group
 * norm): xhat = (x - mean) * rstd with rstd = 1/sqrt(var + eps) (biased variance), then an
 * optional per-feature affine map.
 */
import { Tensor } from "../tensor.js";
import { allocOutput, checkTensor, contiguousData, onDevice, scalarTypeName } from "./core.js";
// Note [device composites] (ops/webgpu.ts)
import * as W from "./webgpu.js";
import { normalizeDim } from "../shape.js";
import { anyNeedsGrad, record } from "../autograd/function.js";
import { isGradEnabled, noGrad } from "../autograd/grad-mode.js";
import { anyTangent } from "../autograd/forward-ad.js";
import { layerNormBackward, layerNormForward } from "../backend/norm.js";
import { runtimeError } from "../errors.js";

/** What a normalisation node needs to recompute its statistics. */
export interface NormAttrs {
  kind: "layer" | "group" | "batch";
  eps: number;
  /** layer norm: the number of normalised trailing dims; group norm: the number of groups */
  n: number;
  /** batch norm in eval mode (or with given statistics): the constant mean and 1/sqrt(var + eps) */
  mean: Tensor | null;
  invstd: Tensor | null;
}

/** The layout x is normalised in, and the dims reduced there. */
function layout(x: Tensor, a: NormAttrs): { xl: Tensor; dims: number[] } {
  const nd = x.dim();
  if (a.kind === "layer") {
    return { xl: x, dims: Array.from({ length: a.n }, (_, i) => nd - a.n + i) };
  }
  if (a.kind === "group") return { xl: x.reshape([x.shape[0], a.n, -1]), dims: [2] };
  return { xl: x, dims: Array.from({ length: nd }, (_, i) => i).filter((d) => d !== 1) };
}

/** The affine parameters' shape broadcast against x: trailing (layer norm) or per channel. */
function paramView(p: Tensor, x: Tensor, a: NormAttrs): Tensor {
  if (a.kind === "layer" || x.dim() <= 2) return p;
  return p.reshape([p.shape[0], ...new Array<number>(x.dim() - 2).fill(1)]);
}

/** The dims of x the affine parameters' gradients sum over. */
function paramDims(x: Tensor, a: NormAttrs): number[] {
  const nd = x.dim();
  if (a.kind === "layer") return Array.from({ length: nd - a.n }, (_, i) => i);
  return Array.from({ length: nd }, (_, i) => i).filter((d) => d !== 1);
}

/**
 * xhat (in x's shape) and what the backward needs, computed with tensor ops (recorded when grad
 * mode is on, so formulas using it are differentiable).
 */
export function normalized(
  x: Tensor,
  a: NormAttrs,
): { xhat: Tensor; xhatL: Tensor; rstd: Tensor; dims: number[]; toLayout: (t: Tensor) => Tensor } {
  if (a.mean !== null && a.invstd !== null) {
    const m = paramView(a.mean, x, a);
    const r = paramView(a.invstd, x, a);
    const xhat = x.sub(m).mul(r);
    return { xhat, xhatL: xhat, rstd: r, dims: [], toLayout: (t) => t };
  }
  const { xl, dims } = layout(x, a);
  const mean = xl.mean(dims, true);
  const centered = xl.sub(mean);
  const variance = centered.mul(centered).mean(dims, true);
  const rstd = variance.add(a.eps).rsqrt();
  const xhatL = centered.mul(rstd);
  const xhat = a.kind === "group" ? xhatL.reshape(x.shape) : xhatL;
  const toLayout = a.kind === "group" ? (t: Tensor) => t.reshape(xl.shape) : (t: Tensor) => t;
  return { xhat, xhatL, rstd, dims, toLayout };
}

/** The affine map applied to xhat. */
function affine(xhat: Tensor, x: Tensor, w: Tensor | null, b: Tensor | null, a: NormAttrs): Tensor {
  let y = xhat;
  if (w !== null) y = y.mul(paramView(w, x, a));
  if (b !== null) y = y.add(paramView(b, x, a));
  return y;
}

/**
 * Input, weight and bias gradients of a normalisation node (tensor ops; differentiable):
 * dx = rstd * (gy - mean(gy) - xhat * mean(gy * xhat)) with gy = g * weight over the
 * normalised dims (dx = g * weight * invstd with constant statistics), dw = sum(g * xhat),
 * db = sum(g).
 */
export function normBackward(
  g: Tensor,
  x: Tensor,
  w: Tensor | null,
  a: NormAttrs,
  need: readonly [boolean, boolean, boolean],
): [Tensor | null, Tensor | null, Tensor | null] {
  if (
    g.dtype === x.dtype &&
    fusedLayer(x, w, null, a) &&
    !isGradEnabled() &&
    !anyTangent([g, x, w])
  )
    return layerBackward(g, x, w, a, need);
  const { xhat, xhatL, rstd, dims, toLayout } = normalized(x, a);
  let gx: Tensor | null = null;
  if (need[0]) {
    const gy = w === null ? g : g.mul(paramView(w, x, a));
    if (dims.length === 0) {
      gx = gy.mul(rstd);
    } else {
      const gl = toLayout(gy);
      const inner = gl.sub(gl.mean(dims, true)).sub(xhatL.mul(gl.mul(xhatL).mean(dims, true)));
      gx = inner.mul(rstd);
      if (a.kind === "group") gx = gx.reshape(x.shape);
    }
  }
  // no dims to sum when the normalised shape is the whole input (sum over [] would reduce all)
  const pd = paramDims(x, a);
  const sumP = (t: Tensor): Tensor => (pd.length === 0 ? t : t.sum(pd));
  const gw = need[1] && w !== null ? sumP(g.mul(xhat)).reshape(w.shape) : null;
  const gb = need[2] ? sumP(g) : null;
  return [gx, gw, gb];
}

/**
 * Forward-mode derivative of a normalisation: w * dxhat + dw * xhat + db with
 * dxhat = rstd * (dx - mean(dx) - xhat * mean(xhat * dx)) (dx * invstd with constant statistics).
 */
export function normJvp(
  dx: Tensor | null,
  dw: Tensor | null,
  db: Tensor | null,
  x: Tensor,
  w: Tensor | null,
  a: NormAttrs,
): Tensor | null {
  let out: Tensor | null = null;
  const add = (t: Tensor): void => {
    out = out === null ? t : out.add(t);
  };
  const { xhat, xhatL, rstd, dims, toLayout } = normalized(x, a);
  if (dx !== null) {
    let dxhat: Tensor;
    if (dims.length === 0) dxhat = dx.mul(rstd);
    else {
      const dl = toLayout(dx);
      dxhat = dl
        .sub(dl.mean(dims, true))
        .sub(xhatL.mul(xhatL.mul(dl).mean(dims, true)))
        .mul(rstd);
      if (a.kind === "group") dxhat = dxhat.reshape(x.shape);
    }
    add(w === null ? dxhat : dxhat.mul(paramView(w, x, a)));
  }
  if (dw !== null) add(xhat.mul(paramView(dw, x, a)));
  if (db !== null) add(paramView(db, x, a).expand(x.shape));
  return out;
}

/**
 * Whether layer norm of x with w and b fits the fused kernels (backend/norm.ts): float x, and
 * parameters of x's dtype or absent; the rows are x's last `a.n` dims.
 */
function fusedLayer(x: Tensor, w: Tensor | null, b: Tensor | null, a: NormAttrs): boolean {
  return (
    a.kind === "layer" &&
    a.mean === null &&
    x.numel() > 0 &&
    (x.dtype.name === "float32" || x.dtype.name === "float64") &&
    (w === null || w.dtype === x.dtype) &&
    (b === null || b.dtype === x.dtype)
  );
}

/** Row length D and row count of layer norm over x's last `a.n` dims. */
function rowsOf(x: Tensor, a: NormAttrs): [rows: number, D: number] {
  let D = 1;
  for (let i = x.dim() - a.n; i < x.dim(); i++) D *= x.shape[i];
  return [x.numel() / D, D];
}

/** Layer norm's forward in one kernel (mean and variance in double, each output rounded once). */
function layerForward(x: Tensor, w: Tensor | null, b: Tensor | null, a: NormAttrs): Tensor {
  const [rows, D] = rowsOf(x, a);
  const xd = contiguousData(x);
  const wd = w === null ? null : contiguousData(w);
  const bd = b === null ? null : contiguousData(b);
  const out = allocOutput(x.shape, x.dtype);
  layerNormForward(
    xd.data,
    xd.offset,
    rows,
    D,
    wd?.data ?? null,
    wd?.offset ?? 0,
    bd?.data ?? null,
    bd?.offset ?? 0,
    a.eps,
    out.typedArray,
  );
  return out;
}

/**
 * Layer norm's input, weight and bias gradients in one kernel, for a backward that records
 * nothing (no createGraph, no tangents): the formula of normBackward, fused.
 */
function layerBackward(
  g: Tensor,
  x: Tensor,
  w: Tensor | null,
  a: NormAttrs,
  need: readonly [boolean, boolean, boolean],
): [Tensor | null, Tensor | null, Tensor | null] {
  const [rows, D] = rowsOf(x, a);
  const gd = contiguousData(g);
  const xd = contiguousData(x);
  const wd = w === null ? null : contiguousData(w);
  const pshape = x.shape.slice(x.dim() - a.n);
  const gx = need[0] ? allocOutput(x.shape, x.dtype) : null;
  const gw = need[1] && w !== null ? allocOutput(w.shape, x.dtype) : null;
  const gb = need[2] ? allocOutput(pshape, x.dtype) : null;
  layerNormBackward(
    gd.data,
    gd.offset,
    xd.data,
    xd.offset,
    rows,
    D,
    wd?.data ?? null,
    wd?.offset ?? 0,
    a.eps,
    gx?.typedArray ?? null,
    gw?.typedArray ?? null,
    gb?.typedArray ?? null,
  );
  return [gx, gw, gb];
}

function run(x: Tensor, w: Tensor | null, b: Tensor | null, a: NormAttrs): Tensor {
  const out = fusedLayer(x, w, b, a)
    ? layerForward(x, w, b, a)
    : noGrad(() => affine(normalized(x, a).xhat, x, w, b, a));
  if (anyNeedsGrad([x, w, b])) {
    const name =
      a.kind === "layer"
        ? "nativeLayerNorm"
        : a.kind === "group"
          ? "nativeGroupNorm"
          : "nativeBatchNorm";
    record(name, out, [x, w, b], { self: x, weight: w }, a);
  }
  return out;
}

function checkFloat(x: Tensor, fn: string): void {
  if (!x.dtype.isFloatingPoint) {
    throw runtimeError(`"${fn}" not implemented for '${scalarTypeName(x.dtype)}'`);
  }
}

/**
 * PyTorch's _check_layer_norm_inputs, in its order: a non-empty normalized_shape, weight and
 * bias of that shape, then the input's trailing dims.
 */
function checkLayerNormInputs(
  x: Tensor,
  normalizedShape: readonly number[],
  weight: Tensor | null,
  bias: Tensor | null,
): void {
  const D = normalizedShape.length;
  const ns = `[${normalizedShape.join(", ")}]`;
  if (D === 0)
    throw runtimeError(
      `Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = ${ns}`,
    );
  for (const [p, name] of [
    [weight, "weight"],
    [bias, "bias"],
  ] as const) {
    if (p !== null && p.shape.join() !== normalizedShape.join()) {
      throw runtimeError(
        `Expected ${name} to be of same shape as normalized_shape, but got ${name} of shape [${p.shape.join(", ")}] and normalized_shape = ${ns}`,
      );
    }
  }
  const tail = x.shape.slice(x.dim() - D);
  if (x.dim() < D || tail.some((s, i) => s !== normalizedShape[i])) {
    throw runtimeError(
      `Given normalized_shape=${ns}, expected input with shape [*, ${normalizedShape.join(", ")}], but got input of size[${x.shape.join(", ")}]`,
    );
  }
}

/**
 * torch.native_layer_norm: layer norm's output (NativeLayerNormBackward0) with the statistics
 * PyTorch saves for the backward, the mean and 1/sqrt(biased variance + eps) over the
 * normalised dims (kept as size-1 dims; not differentiable outputs).
 */
export function nativeLayerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
): [Tensor, Tensor, Tensor] {
  x = checkTensor(x, "native_layer_norm", "input", 0);
  checkFloat(x, "LayerNormKernelImpl");
  checkLayerNormInputs(x, normalizedShape, weight, bias);
  const a: NormAttrs = { kind: "layer", eps, n: normalizedShape.length, mean: null, invstd: null };
  const out = run(x, weight, bias, a);
  const [mean, rstd] = stats(x, a, true);
  return [out, mean, rstd];
}

/** The mean and 1/sqrt(biased variance + eps) over the normalised dims, detached. */
function stats(x: Tensor, a: NormAttrs, keepdim: boolean): [Tensor, Tensor] {
  return noGrad(() => {
    const { xl, dims } = layout(x.detach(), a);
    const mean = xl.mean(dims, true);
    const centered = xl.sub(mean);
    const rstd = centered.mul(centered).mean(dims, keepdim).add(a.eps).rsqrt();
    return [keepdim ? mean : mean.reshape([-1]), rstd];
  });
}

/**
 * torch.nn.functional.layer_norm: normalise over the trailing `normalizedShape` dims.
 *
 * @example
 * layerNorm(torch.tensor([[1, 2, 3]]), [3]) // tensor([[-1.2247,  0.0000,  1.2247]])

 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  x = checkTensor(x, "layer_norm", "input", 0);
  checkFloat(x, "LayerNormKernelImpl");
  checkLayerNormInputs(x, normalizedShape, weight, bias);
  const D = normalizedShape.length;
  if (onDevice(x)) return W.deviceLayerNorm(x, D, weight, bias, eps);
  return run(x, weight, bias, { kind: "layer", eps, n: D, mean: null, invstd: null });
}

/**
 * torch.nn.functional.group_norm: x [N, C, *] normalised over each of `numGroups` groups of
 * channels (and all spatial positions), then a per-channel affine map.
 *
 * @example
 * groupNorm(torch.randn(2, 4, 3), 2).shape // [2, 4, 3]
 */
export function groupNorm(
  x: Tensor,
  numGroups: number,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  x = checkTensor(x, "group_norm", "input", 0);
  checkFloat(x, "GroupNormKernelImpl");
  if (x.dim() < 2) {
    throw runtimeError(`Expected at least 2 dimensions for input tensor but received ${x.dim()}`);
  }
  const C = x.shape[1];
  if (numGroups <= 0 || C % numGroups !== 0) {
    throw runtimeError(
      `Expected number of channels in input to be divisible by num_groups, but got input of shape [${x.shape.join(", ")}] and num_groups=${numGroups}`,
    );
  }
  for (const [p, name] of [
    [weight, "weight"],
    [bias, "bias"],
  ] as const) {
    if (p !== null && (p.dim() !== 1 || p.shape[0] !== C)) {
      throw runtimeError(
        `Expected ${name} to be a vector of size equal to the number of channels in input, but got ${name} of shape [${p.shape.join(", ")}] and input of shape [${x.shape.join(", ")}]`,
      );
    }
  }
  return run(x, weight, bias, { kind: "group", eps, n: numGroups, mean: null, invstd: null });
}

/**
 * torch.nn.functional.batch_norm: x [N, C, *] normalised per channel. In training, with the
 * batch's statistics, and the running statistics (if given) move towards them in place:
 * running = (1 - momentum) * running + momentum * stat (the variance unbiased). Otherwise with
 * the running statistics.
 *
 * @example
 * const rm = torch.zeros(3), rv = torch.ones(3);
 * batchNorm(torch.randn(8, 3), rm, rv, null, null, true); // rm, rv updated
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  training = false,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  x = checkTensor(x, "batch_norm", "input", 0);
  checkFloat(x, "batch_norm");
  checkBatchNormInputs(x, runningMean, runningVar, weight, bias);
  const C = x.shape[1];
  if (training && x.numel() / C <= 1) {
    throw runtimeError(
      `Expected more than 1 value per channel when training, got input size torch.Size([${x.shape.join(", ")}])`,
    );
  }
  if (onDevice(x))
    return W.deviceBatchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
  return batchNormOut(x, runningMean, runningVar, weight, bias, training, momentum, eps);
}

/**
 * torch.native_batch_norm: batch norm's output (NativeBatchNormBackward0, the running
 * statistics updated in training) with the statistics PyTorch saves: in training the batch
 * mean and 1/sqrt(biased variance + eps) per channel, in evaluation two empty tensors (not
 * differentiable outputs). Unlike F.batch_norm, one value per channel is allowed.
 */
export function nativeBatchNorm(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  training: boolean,
  momentum: number,
  eps: number,
): [Tensor, Tensor, Tensor] {
  x = checkTensor(x, "native_batch_norm", "input", 0);
  checkFloat(x, "batch_norm");
  // the channel count is input.size(1): PyTorch's IndexError for fewer dims
  normalizeDim(1, x.dim());
  checkBatchNormInputs(x, runningMean, runningVar, weight, bias);
  const out = batchNormOut(x, runningMean, runningVar, weight, bias, training, momentum, eps);
  if (!training) {
    const empty = x.detach().reshape([-1]).narrow(0, 0, 0).clone();
    return [out, empty, empty.clone()];
  }
  const [mean, invstd] = stats(
    x,
    { kind: "batch", eps, n: x.shape[1], mean: null, invstd: null },
    false,
  );
  return [out, mean, invstd];
}

/** F.batch_norm's checks of the input and the per-channel tensors. */
function checkBatchNormInputs(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
): void {
  if (x.dim() < 2) {
    throw runtimeError(
      `Expected 2D or higher input to batch_norm, but got input of size [${x.shape.join(", ")}]`,
    );
  }
  const C = x.shape[1];
  for (const [p, name] of [
    [runningMean, "running_mean"],
    [runningVar, "running_var"],
    [weight, "weight"],
    [bias, "bias"],
  ] as const) {
    if (p !== null && p.numel() !== C) {
      throw runtimeError(`${name} should contain ${C} elements not ${p.numel()}`);
    }
  }
}

/** Batch norm's output, the running statistics updated in place in training. */
function batchNormOut(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  training: boolean,
  momentum: number,
  eps: number,
): Tensor {
  const C = x.shape[1];
  if (training) {
    const count = x.numel() / C;
    const a: NormAttrs = { kind: "batch", eps, n: C, mean: null, invstd: null };
    if (runningMean !== null || runningVar !== null) {
      noGrad(() => {
        const dims = layout(x, a).dims;
        const x64 = x.detach().double();
        const mean = x64.mean(dims);
        if (runningMean !== null) {
          const rm = runningMean
            .double()
            .mul(1 - momentum)
            .add(mean.mul(momentum));
          runningMean.copy_(rm);
        }
        if (runningVar !== null) {
          const c = x64.sub(x64.mean(dims, true));
          const unbiased = c
            .mul(c)
            .sum(dims)
            .div(count - 1);
          const rv = runningVar
            .double()
            .mul(1 - momentum)
            .add(unbiased.mul(momentum));
          runningVar.copy_(rv);
        }
      });
    }
    return run(x, weight, bias, a);
  }
  if (runningMean === null || runningVar === null) {
    throw runtimeError("running_mean and running_var must be defined in evaluation mode");
  }
  const [mean, invstd] = noGrad(() => [
    runningMean.to(x.dtype).clone(),
    runningVar.to(x.dtype).add(eps).rsqrt(),
  ]);
  return run(x, weight, bias, { kind: "batch", eps, n: C, mean, invstd });
}
