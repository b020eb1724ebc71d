/**
 * Indexing with PyTorch's basic and advanced semantics. (Being written; see issue 2.)
 */
import type { Tensor } from "../tensor.js";

/** A Python slice `start:stop:step`. */
export interface Slice {
  readonly start: number | null;
  readonly stop: number | null;
  readonly step: number | null;
}

export type IndexArg = number | null | string | Slice | Tensor | number[] | boolean[] | boolean;

export function slice(
  start: number | null = null,
  stop: number | null = null,
  step: number | null = null,
): Slice {
  return { start, stop, step };
}

export function index(t: Tensor, idx: IndexArg[]): Tensor {
  void idx;
  return t;
}

export function indexPut_(
  t: Tensor,
  idx: IndexArg[],
  values: Tensor | number,
  accumulate = false,
): Tensor {
  void idx;
  void values;
  void accumulate;
  return t;
}

export function indexBackward(
  g: Tensor,
  inputShape: readonly number[],
  indices: (Tensor | null)[],
): (Tensor | null)[] {
  void inputShape;
  void indices;
  return [g];
}

export function indexPutBackward(
  g: Tensor,
  indices: (Tensor | null)[],
  accumulate: boolean,
  valuesShape: readonly number[],
): (Tensor | null)[] {
  void indices;
  void accumulate;
  void valuesShape;
  return [g, null];
}
