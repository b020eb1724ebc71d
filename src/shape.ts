/**
 * Shape and stride arithmetic. Pure functions over number arrays; knows nothing of tensors.
 *
 * Note [immutable shapes]: a tensor's `shape` and `strides` arrays are never mutated after the
 * tensor is made, so autograd nodes may keep references to them instead of copies.
 */
import { indexError, runtimeError, typeError } from "./errors.js";

const NO_STRIDES: number[] = [];
const UNIT_STRIDES: number[] = [1];

export function contiguousStrides(shape: readonly number[]): number[] {
  const n = shape.length;
  // Note [immutable shapes]: stride arrays are never mutated, so these can be shared
  if (n === 0) return NO_STRIDES;
  if (n === 1) return UNIT_STRIDES;
  const strides = new Array<number>(n);
  let s = 1;
  for (let i = n - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i] > 1 ? shape[i] : 1;
  }
  return strides;
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i];
    if (d === 0) return true;
    if (d !== 1 && strides[i] !== expected) return false;
    expected *= d;
  }
  return true;
}

export function shapeEqual(a: readonly number[], b: readonly number[]): boolean {
  // results share their operand's shape array (Note [immutable shapes]): often the same one
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** maybe_wrap_dim: a possibly negative dim into [0, ndim), with PyTorch's error. */
export function normalizeDim(dim: number, ndim: number): number {
  if (typeof dim !== "number" || !Number.isInteger(dim)) {
    throw typeError(`dim must be an integer, but got ${String(dim)}`);
  }
  const n = ndim <= 0 ? 1 : ndim;
  if (dim < -n || dim >= n) {
    throw indexError(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
    );
  }
  return dim < 0 ? dim + n : dim;
}

/** Dims given as a number, an array or undefined (all dims) -> sorted unique list. */
export function normalizeDims(
  dim: number | readonly number[] | undefined | null,
  ndim: number,
): number[] {
  if (dim === undefined || dim === null) {
    const all = new Array<number>(ndim);
    for (let i = 0; i < ndim; i++) all[i] = i;
    return all;
  }
  const list = typeof dim === "number" ? [dim] : dim;
  const seen = new Array<boolean>(Math.max(ndim, 1)).fill(false);
  const out: number[] = [];
  for (const d of list) {
    const w = normalizeDim(d, ndim);
    if (seen[w]) throw runtimeError(`dim ${w} appears multiple times in the list of dims`);
    seen[w] = true;
    out.push(w);
  }
  return out.sort((a, b) => a - b);
}

/** infer_size: broadcast two shapes with PyTorch's error message. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    const offset = n - 1 - i;
    const da = a.length - 1 - offset;
    const db = b.length - 1 - offset;
    const sa = da >= 0 ? a[da] : 1;
    const sb = db >= 0 ? b[db] : 1;
    if (sa !== sb && sa !== 1 && sb !== 1) {
      throw runtimeError(
        `The size of tensor a (${sa}) must match the size of tensor b (${sb}) at non-singleton dimension ${i}`,
      );
    }
    out[i] = sa === 1 ? sb : sa;
  }
  return out;
}

/** Strides that view a tensor of `shape`/`strides` as `target` (broadcast): 0 on expanded dims. */
export function broadcastStrides(
  shape: readonly number[],
  strides: readonly number[],
  target: readonly number[],
): number[] {
  const n = target.length;
  const out = new Array<number>(n);
  const lead = n - shape.length;
  for (let i = 0; i < n; i++) {
    const j = i - lead;
    out[i] = j < 0 || shape[j] === 1 ? 0 : strides[j];
  }
  return out;
}

function checkSize(v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw typeError(
      `shape must be a list of integers, but got ${typeof v === "number" ? String(v) : typeof v}`,
    );
  }
  if (v < 0) throw runtimeError(`Trying to create tensor with negative dimension ${v}: [${v}]`);
  return v;
}

/**
 * Shape arguments as PyTorch accepts them: varargs `(2, 3)` or one array `([2, 3])`.
 * Returns the shape and the remaining trailing object (options), if any.
 */
export function parseShape(args: readonly unknown[]): { shape: number[]; rest: unknown[] } {
  if (args.length > 0 && Array.isArray(args[0])) {
    return { shape: (args[0] as unknown[]).map(checkSize), rest: args.slice(1) };
  }
  const shape: number[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (typeof a === "number") shape.push(checkSize(a));
    else break;
  }
  return { shape, rest: args.slice(i) };
}

/** Resolve a view/reshape target with at most one -1. */
export function inferShape(target: readonly number[], numel: number): number[] {
  let infer = -1;
  let prod = 1;
  const out = target.slice();
  for (let i = 0; i < out.length; i++) {
    const d = out[i];
    if (typeof d !== "number" || !Number.isInteger(d)) {
      throw typeError(`shape must be a list of integers, but got ${String(d)}`);
    }
    if (d === -1) {
      if (infer >= 0) throw runtimeError("only one dimension can be inferred");
      infer = i;
    } else if (d < 0) {
      throw runtimeError(`invalid shape dimension ${d}`);
    } else prod *= d;
  }
  if (infer >= 0) {
    if (prod === 0 || numel % prod !== 0) {
      throw runtimeError(`shape '[${target.join(", ")}]' is invalid for input of size ${numel}`);
    }
    out[infer] = numel / prod;
  } else if (prod !== numel) {
    throw runtimeError(`shape '[${target.join(", ")}]' is invalid for input of size ${numel}`);
  }
  return out;
}

/**
 * computeStride (as ATen's view): strides for viewing (shape, strides) as newShape without a
 * copy, or null when the memory layout does not allow it.
 */
export function viewStrides(
  shape: readonly number[],
  strides: readonly number[],
  newShape: readonly number[],
): number[] | null {
  const numel = numelOf(shape);
  if (numel === 0) return contiguousStrides(newShape);
  if (shape.length === 0) return new Array<number>(newShape.length).fill(1);
  const newStrides = new Array<number>(newShape.length).fill(0);
  let viewD = newShape.length - 1;
  let chunkBase = strides.length > 0 ? strides[strides.length - 1] : 1;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}
