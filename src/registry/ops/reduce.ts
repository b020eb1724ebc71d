/**
 * Reductions. One `defineOp` per op (see ../define.ts).
 */
import type { Tensor } from "../../tensor.js";
import type { DType } from "../../dtype.js";
import * as R from "../../ops/reduce.js";
import { defineOp } from "../define.js";

/** `dtype=`: the input is cast first (recorded: ToCopyBackward0 under the reduction, as PyTorch). */
const cast = (self: Tensor, dtype: DType | null): Tensor =>
  dtype === null ? self : self.to(dtype);

/** An integer sum accumulates in int64 unless `dtype` asks for another type. */
const exact = (r: Tensor, dtype: DType | null): Tensor =>
  dtype === null || r.dtype === dtype ? r : r.to(dtype);

defineOp({
  name: "sum",
  variants: ["function", "method"],
  out: true,
  doc: "Sum of all elements, or over `dim` (keeping reduced dims of size 1 with `keepdim`).",
  example: "torch.tensor([[1, 2], [3, 4]]).sum(1) // tensor([3., 7.])",
  overloads: [
    {
      schema: "sum(Tensor self, *, ScalarType? dtype=None) -> Tensor",
      out: false,
      forward: (self: Tensor, dtype: DType | null) => exact(R.sum(cast(self, dtype)), dtype),
    },
    {
      schema:
        "sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: (self: Tensor, dim: number[] | null, keepdim: boolean, dtype: DType | null) =>
        exact(R.sum(cast(self, dtype), dim, keepdim), dtype),
    },
    {
      schema:
        "sum.dim_DimnameList(Tensor self, Dimname[1] dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: null,
    },
  ],
});

defineOp({
  name: "mean",
  variants: ["function", "method"],
  out: true,
  doc: "Mean of all elements, or over `dim` (floating-point inputs, or with `dtype`).",
  example: "torch.tensor([1, 2, 3, 4]).mean() // tensor(2.5000)",
  overloads: [
    {
      schema: "mean(Tensor self, *, ScalarType? dtype=None) -> Tensor",
      out: false,
      forward: (self: Tensor, dtype: DType | null) => R.mean(cast(self, dtype)),
    },
    {
      schema:
        "mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: (self: Tensor, dim: number[] | null, keepdim: boolean, dtype: DType | null) =>
        R.mean(cast(self, dtype), dim, keepdim),
    },
    {
      schema:
        "mean.names_dim(Tensor self, Dimname[1] dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
      forward: null,
    },
  ],
});
