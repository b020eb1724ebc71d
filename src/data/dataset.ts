/**
 * torch.utils.data datasets: Dataset, TensorDataset, Subset, ConcatDataset and randomSplit
 * (whose permutation is PyTorch's, so a seeded split picks the same samples).
 */
import { Tensor } from "../tensor.js";
import { Generator, defaultGenerator } from "../generator.js";
import { randpermArray } from "../ops/randperm.js";

/**
 * A map-style dataset: `getItem(i)` for i in [0, length). Subclass it, or pass any object with
 * `getItem` and `length` (or a plain array) to DataLoader.
 *
 * @example
 * class Squares extends torch.utils.data.Dataset<[number, number]> {
 *   get length() { return 10; }
 *   getItem(i: number): [number, number] { return [i, i * i]; }
 * }
 */
export abstract class Dataset<T = unknown> {
  /** The sample at `index` (PyTorch's `dataset[index]`). */
  abstract getItem(index: number): T;
  /** The number of samples (PyTorch's `len(dataset)`). */
  abstract get length(): number;
}

/** What DataLoader and the helpers accept as a dataset. */
export type DatasetLike<T> = { getItem(index: number): T; readonly length: number } | readonly T[];

/** Sample `i` of a dataset or array. */
export function itemOf<T>(ds: DatasetLike<T>, i: number): T {
  return Array.isArray(ds) ? (ds as readonly T[])[i] : (ds as Dataset<T>).getItem(i);
}

/**
 * Samples are the i-th rows of each tensor (all of the same first size).
 *
 * @example
 * const ds = new torch.utils.data.TensorDataset(torch.randn(100, 3), torch.randint(0, 2, [100]));
 * const [x, y] = ds.getItem(0); // x [3], y []
 */
export class TensorDataset extends Dataset<Tensor[]> {
  readonly tensors: Tensor[];
  constructor(...tensors: Tensor[]) {
    super();
    if (tensors.length === 0 || tensors.some((t) => t.dim() === 0)) {
      throw new Error("TensorDataset needs at least one tensor with a first dimension");
    }
    const n = tensors[0].shape[0];
    if (tensors.some((t) => t.shape[0] !== n)) throw new Error("Size mismatch between tensors");
    this.tensors = tensors;
  }
  getItem(index: number): Tensor[] {
    return this.tensors.map((t) => t.select(0, index));
  }
  get length(): number {
    return this.tensors[0].shape[0];
  }
}

/**
 * The samples of `dataset` at `indices`, in that order.
 *
 * @example
 * const ds = new torch.utils.data.TensorDataset(torch.arange(100));
 * const firstTen = new torch.utils.data.Subset(ds, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 */
export class Subset<T> extends Dataset<T> {
  constructor(
    readonly dataset: DatasetLike<T>,
    readonly indices: readonly number[],
  ) {
    super();
  }
  getItem(index: number): T {
    const i = this.indices[index < 0 ? index + this.indices.length : index];
    if (i === undefined) throw new RangeError(`index ${index} is out of range`);
    return itemOf(this.dataset, i);
  }
  get length(): number {
    return this.indices.length;
  }
}

/**
 * Datasets one after another.
 *
 * @example
 * const trainSet = new torch.utils.data.TensorDataset(torch.arange(8));
 * const extraSet = new torch.utils.data.TensorDataset(torch.arange(2));
 * const both = new torch.utils.data.ConcatDataset([trainSet, extraSet]); // 10 samples
 */
export class ConcatDataset<T> extends Dataset<T> {
  private readonly ends: number[] = [];
  constructor(readonly datasets: readonly DatasetLike<T>[]) {
    super();
    if (datasets.length === 0) throw new Error("datasets should not be an empty iterable");
    let s = 0;
    for (const d of datasets) {
      s += d.length;
      this.ends.push(s);
    }
  }
  getItem(index: number): T {
    const n = this.length;
    if (index < 0) {
      if (-index > n)
        throw new RangeError("absolute value of index should not exceed dataset length");
      index += n;
    }
    const k = this.ends.findIndex((e) => index < e);
    if (k < 0) throw new RangeError(`index ${index} is out of range`);
    return itemOf(this.datasets[k], index - (k === 0 ? 0 : this.ends[k - 1]));
  }
  get length(): number {
    return this.ends[this.ends.length - 1];
  }
}

/**
 * torch.utils.data.random_split: split into non-overlapping subsets of the given lengths (or
 * fractions summing to 1), from `randperm(n, generator)`, so it matches PyTorch's split.
 *
 * @example
 * const ds = new torch.utils.data.TensorDataset(torch.arange(10000));
 * const [train, test] = torch.utils.data.randomSplit(ds, [8000, 2000], new torch.Generator().manualSeed(42));
 */
export function randomSplit<T>(
  dataset: DatasetLike<T>,
  lengths: readonly number[],
  generator: Generator = defaultGenerator,
): Subset<T>[] {
  const n = dataset.length;
  let sizes = lengths.slice();
  const total = lengths.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) <= 1e-9 && total <= 1) {
    // fractions: floor(n * f) each, the remainder handed out round-robin
    sizes = lengths.map((f, i) => {
      if (f < 0 || f > 1) throw new Error(`Fraction at index ${i} is not between 0 and 1`);
      return Math.floor(n * f);
    });
    const rest = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < rest; i++) sizes[i % sizes.length] += 1;
  }
  if (sizes.reduce((a, b) => a + b, 0) !== n) {
    throw new Error("Sum of input lengths does not equal the length of the input dataset!");
  }
  const perm = randpermArray(n, generator);
  const out: Subset<T>[] = [];
  let offset = 0;
  for (const len of sizes) {
    out.push(new Subset(dataset, perm.slice(offset, offset + len)));
    offset += len;
  }
  return out;
}
