/**
 * torch.utils.data datasets: Dataset, TensorDataset, Subset, ConcatDataset and randomSplit
 * (whose permutation is PyTorch's, so a seeded split picks the same samples).
 */
import { Tensor } from "../tensor.js";
import { Generator, defaultGenerator } from "../generator.js";
import { randpermArray } from "../ops/randperm.js";
import { assertionError, notImplementedError, typeError } from "../errors.js";

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

  /**
   * This dataset followed by `other` (PyTorch's `dataset + other`): a ConcatDataset, or for an
   * IterableDataset a ChainDataset.
   * @example
   * const a = new torch.utils.data.TensorDataset(torch.arange(3));
   * a.add(new torch.utils.data.TensorDataset(torch.arange(2))).length // 5
   */
  add(other: Dataset<T>): Dataset<T> {
    return new ConcatDataset([this, other]);
  }
}

/**
 * An iterable-style dataset (torch.utils.data.IterableDataset): subclasses define
 * `[Symbol.iterator]` (PyTorch's `__iter__`), and may define a `length` getter (`__len__`).
 * DataLoader iterates it in order (no sampler), batching `batchSize` samples at a time.
 *
 * @example
 * class Range extends torch.utils.data.IterableDataset<number> {
 *   constructor(readonly n: number) { super(); }
 *   *[Symbol.iterator]() { for (let i = 0; i < this.n; i++) yield i; }
 * }
 * const loader = new torch.utils.data.DataLoader(new Range(5), { batchSize: 2 });
 * [...loader].map((b) => b.tolist()); // [[0, 1], [2, 3], [4]]
 */
export abstract class IterableDataset<T = unknown> extends Dataset<T> implements Iterable<T> {
  /** The samples, in order (PyTorch's `__iter__`). */
  abstract [Symbol.iterator](): Iterator<T>;

  /** PyTorch's Dataset.__getitem__: an iterable-style dataset has no indexing. */
  getItem(_index: number): T {
    throw notImplementedError("");
  }

  /** PyTorch's len() of a dataset without `__len__`: a TypeError (a subclass may define it). */
  get length(): number {
    throw typeError(`object of type '${this.constructor.name}' has no len()`);
  }

  /**
   * This dataset then `other` (PyTorch's `iterable_dataset + other`): a ChainDataset.
   * @example
   * const ds = new torch.utils.data.ChainDataset([]);
   * [...ds.add(new torch.utils.data.ChainDataset([])).datasets].length // 2
   */
  override add(other: Dataset<T>): ChainDataset<T> {
    return new ChainDataset([this, other]);
  }
}

/**
 * Iterable-style datasets one after another (torch.utils.data.ChainDataset); its length is the
 * sum of theirs. Every one must be an IterableDataset (PyTorch's AssertionError otherwise, raised
 * when it is reached).
 *
 * @example
 * class Range extends torch.utils.data.IterableDataset<number> {
 *   constructor(readonly n: number) { super(); }
 *   *[Symbol.iterator]() { for (let i = 0; i < this.n; i++) yield i; }
 * }
 * [...new torch.utils.data.ChainDataset([new Range(2), new Range(3)])]; // [0, 1, 0, 1, 2]
 */
export class ChainDataset<T = unknown> extends IterableDataset<T> {
  constructor(readonly datasets: Iterable<Dataset<T>>) {
    super();
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const d of this.datasets) {
      if (!(d instanceof IterableDataset))
        throw assertionError("ChainDataset only supports IterableDataset");
      yield* d as IterableDataset<T>;
    }
  }

  override get length(): number {
    let total = 0;
    for (const d of this.datasets) {
      if (!(d instanceof IterableDataset))
        throw assertionError("ChainDataset only supports IterableDataset");
      total += d.length;
    }
    return total;
  }
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
    for (const d of datasets)
      if (d instanceof IterableDataset)
        throw assertionError("ConcatDataset does not support IterableDataset");
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
