/**
 * A tensor of either layout as the sparse fixtures record it (scripts/fixtures/common.py's
 * `layout_rec`): a sparse COO tensor by its size, indices, values and coalesced flag, a strided
 * one by shape and values; both with requires_grad and grad_fn.
 */
import type { Tensor } from "../../src/index.js";

export function layoutRecord(t: Tensor | null): unknown {
  if (t === null) return null;
  const gradFn = t.gradFn === null ? null : t.gradFn.name().replace(/^torch::autograd::/, "");
  if (t.isSparse)
    return {
      layout: "sparse_coo",
      size: Array.from(t.shape),
      dtype: t.dtype.name,
      indices: t._indices().tolist(),
      values: t._values().detach().tolist(),
      coalesced: t.isCoalesced(),
      requires_grad: t.requiresGrad,
      grad_fn: gradFn,
    };
  return {
    layout: "strided",
    shape: Array.from(t.shape),
    dtype: t.dtype.name,
    values: t.detach().tolist(),
    requires_grad: t.requiresGrad,
    grad_fn: gradFn,
  };
}
