/** Python's formatting of tensors and shapes in the distributions' messages and reprs. */
import type { Tensor } from "../tensor.js";
import { formatPyFloat } from "../print.js";

/**
 * A tensor as Python's `'{}'.format(t)` prints it: a 0-dim tensor as its Python number (`0.0`,
 * `3`, `True`), any other as its repr.
 */
export function pyFormat(t: Tensor): string {
  if (t.dim() !== 0) return String(t);
  const v = t.item();
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v !== "number") return String(v);
  return t.dtype.isFloatingPoint ? formatPyFloat(v) : String(v);
}

/** Python's `tuple(shape)` repr: `()`, `(2,)`, `(2, 3)`. */
export const tupleRepr = (shape: readonly number[]): string =>
  shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
