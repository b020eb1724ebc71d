/**
 * torch.utils.data samplers, default_collate and DataLoader (single process). Iteration
 * consumes the random generators exactly as PyTorch 1.13's does: each epoch first draws the
 * loader's base seed (random64 from the loader's generator, or the default one), then a
 * shuffling sampler draws its permutation (`randperm(n)` from its generator, or from a fresh
 * generator seeded from the default one), and after the last batch one more `randperm` (Python's
 * `randperm(n)[:0]`). So `torch.manualSeed(s)` (or a seeded generator) gives PyTorch's batches.
 */
import { Tensor } from "../tensor.js";
import { bool, float64, int64 } from "../dtype.js";
import { Generator, defaultGenerator } from "../generator.js";
import { randpermArray, randomInt64 } from "../ops/randperm.js";
import { tensor } from "../ops/creation.js";
import { stack } from "../ops/views.js";
import { TensorDataset, itemOf, type DatasetLike } from "./dataset.js";

/** A sampler: an iterable of indices with a length. */
export interface Sampler<T = number> extends Iterable<T> {
  readonly length: number;
}

/**
 * Indices 0..n-1 in order.
 *
 * @example [...new torch.utils.data.SequentialSampler([10, 20, 30])] // [0, 1, 2]
 */
export class SequentialSampler implements Sampler<number> {
  constructor(private readonly dataSource: { readonly length: number }) {}
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.dataSource.length; i++) yield i;
  }
  get length(): number {
    return this.dataSource.length;
  }
}

/**
 * Random indices: permutations of 0..n-1 (or, with `replacement`, uniform draws in batches of
 * 32), as PyTorch's RandomSampler.
 *
 * @example [...new torch.utils.data.RandomSampler([..."abcde"], { generator: new torch.Generator().manualSeed(0) })] // [4, 0, 1, 3, 2]

 */
export class RandomSampler implements Sampler<number> {
  readonly replacement: boolean;
  readonly generator: Generator | null;
  private readonly numSamplesOpt: number | null;
  constructor(
    private readonly dataSource: { readonly length: number },
    opts: { replacement?: boolean; numSamples?: number | null; generator?: Generator | null } = {},
  ) {
    this.replacement = opts.replacement ?? false;
    this.generator = opts.generator ?? null;
    this.numSamplesOpt = opts.numSamples ?? null;
    if (
      this.numSamplesOpt !== null &&
      !(Number.isInteger(this.numSamplesOpt) && this.numSamplesOpt > 0)
    ) {
      throw new Error(
        `num_samples should be a positive integer value, but got num_samples=${this.numSamplesOpt}`,
      );
    }
  }
  get numSamples(): number {
    return this.numSamplesOpt ?? this.dataSource.length;
  }
  get length(): number {
    return this.numSamples;
  }
  *[Symbol.iterator](): Iterator<number> {
    const n = this.dataSource.length;
    let g = this.generator;
    if (g === null) g = new Generator().manualSeed(randomInt64(defaultGenerator));
    const m = this.numSamples;
    if (this.replacement) {
      // torch.randint(high=n, size=(32,)) per 32 samples: one 32-bit draw each (n < 2^32)
      const draw = (k: number): number[] => {
        const out: number[] = [];
        for (let i = 0; i < k; i++) out.push((g as Generator).random() % n);
        return out;
      };
      for (let b = 0; b < Math.floor(m / 32); b++) yield* draw(32);
      yield* draw(m % 32);
    } else {
      for (let b = 0; b < Math.floor(m / n); b++) yield* randpermArray(n, g);
      yield* randpermArray(n, g).slice(0, m % n);
    }
  }
}

/**
 * Indices of a subset, in random order.
 *
 * @example new torch.utils.data.SubsetRandomSampler([0, 5, 7])
 */
export class SubsetRandomSampler implements Sampler<number> {
  constructor(
    readonly indices: readonly number[],
    readonly generator: Generator = defaultGenerator,
  ) {}
  *[Symbol.iterator](): Iterator<number> {
    for (const i of randpermArray(this.indices.length, this.generator)) yield this.indices[i];
  }
  get length(): number {
    return this.indices.length;
  }
}

/**
 * Groups a sampler's indices into batches of `batchSize` (the last one smaller unless
 * `dropLast`).
 *
 * @example [...new torch.utils.data.BatchSampler(new SequentialSampler([..."abcdefg"]), 3, false)] // [[0, 1, 2], [3, 4, 5], [6]]
 */
export class BatchSampler implements Sampler<number[]> {
  constructor(
    readonly sampler: Iterable<number> & { readonly length: number },
    readonly batchSize: number,
    readonly dropLast: boolean,
  ) {
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      throw new Error(
        `batch_size should be a positive integer value, but got batch_size=${batchSize}`,
      );
    }
  }
  *[Symbol.iterator](): Iterator<number[]> {
    let batch: number[] = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
}

/**
 * torch.utils.data.default_collate: tensors are stacked along a new first dim; numbers become a
 * tensor (int64 for integers, float64 otherwise); booleans a bool tensor; strings stay a list;
 * arrays and objects are collated position by position / key by key.
 *
 * @example
 * defaultCollate([[torch.ones(2), 0], [torch.zeros(2), 1]]) // [tensor([[1., 1.], [0., 0.]]), tensor([0, 1])]
 */
export function defaultCollate(batch: readonly unknown[]): unknown {
  const elem = batch[0];
  if (elem instanceof Tensor) return stack(batch as Tensor[], 0);
  if (typeof elem === "number") {
    const ints = (batch as number[]).every((v) => Number.isInteger(v));
    return tensor(batch as number[], { dtype: ints ? int64 : float64 });
  }
  if (typeof elem === "boolean") return tensor(batch as boolean[], { dtype: bool });
  if (typeof elem === "string" || elem === null || elem === undefined) return batch.slice();
  if (Array.isArray(elem)) {
    const n = elem.length;
    if ((batch as unknown[][]).some((e) => e.length !== n)) {
      throw new Error("each element in list of batch should be of equal size");
    }
    return elem.map((_, k) => defaultCollate((batch as unknown[][]).map((e) => e[k])));
  }
  if (elem instanceof Map) {
    return new Map(
      Array.from(elem.keys()).map((k) => [
        k,
        defaultCollate((batch as Map<unknown, unknown>[]).map((e) => e.get(k))),
      ]),
    );
  }
  if (typeof elem === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(elem as object)) {
      out[k] = defaultCollate((batch as Record<string, unknown>[]).map((e) => e[k]));
    }
    return out;
  }
  throw new TypeError(
    `default_collate: batch must contain tensors, numbers, dicts or lists; found ${typeof elem}`,
  );
}

/**
 * The type of `defaultCollate`'s batch of samples of type T: tensors, numbers and booleans
 * stacked into one tensor, strings (and null) kept as an array, arrays, tuples and objects
 * collated field by field. A DataLoader without `collateFn` yields this.
 */
export type Collated<T> = T extends Tensor | number | boolean
  ? Tensor
  : T extends string | null | undefined
    ? T[]
    : T extends Map<infer K, infer V>
      ? Map<K, Collated<V>>
      : T extends object
        ? { [K in keyof T]: Collated<T[K]> }
        : unknown;

/** Options of DataLoader. */
export interface DataLoaderOptions<T, B> {
  /** samples per batch (default 1); null: no batching (each sample through collateFn alone) */
  batchSize?: number | null;
  /** reshuffle every epoch (a RandomSampler over the dataset) */
  shuffle?: boolean;
  /** a custom order of indices (excludes shuffle) */
  sampler?: Iterable<number> & { readonly length: number };
  /** a custom order of batches of indices (excludes batchSize, shuffle, sampler, dropLast) */
  batchSampler?: Iterable<number[]> & { readonly length: number };
  /** drop the last incomplete batch */
  dropLast?: boolean;
  /** merge a list of samples into a batch (default: defaultCollate) */
  collateFn?: (samples: T[]) => B;
  /** the generator for shuffling and the per-epoch base seed (default: the global one) */
  generator?: Generator;
}

/**
 * torch.utils.data.DataLoader: iterate a dataset in (shuffled) batches. `for (const batch of
 * loader)`; `loader.length` is the number of batches. A TensorDataset with the default collate is
 * batched with one `indexSelect` per tensor (same values as stacking the samples). Without
 * `collateFn` a batch has the type `Collated<T>`; with `batchSize: null` (samples unbatched) give
 * the type as `DataLoader<T, T>`.
 *
 * @example
 * torch.manualSeed(0);
 * const [x, y] = [torch.randn(256, 3), torch.randint(0, 10, [256])];
 * const loader = new torch.utils.data.DataLoader(new torch.utils.data.TensorDataset(x, y), {

 *   batchSize: 64,
 *   shuffle: true,
 * });
 * for (const [xb, yb] of loader) {
 *   // xb [64, ...], yb [64]: the same batches as PyTorch's loader after torch.manual_seed(0)
 * }
 */
export class DataLoader<T = unknown, B = Collated<T>> implements Iterable<B> {
  readonly dataset: DatasetLike<T>;
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  readonly sampler: Iterable<number> & { readonly length: number };
  readonly batchSampler: (Iterable<number[]> & { readonly length: number }) | null;
  readonly generator: Generator | null;
  readonly collateFn: (samples: T[]) => B;
  private readonly customCollate: boolean;

  constructor(dataset: DatasetLike<T>, opts: DataLoaderOptions<T, B> = {}) {
    this.dataset = dataset;
    const shuffle = opts.shuffle ?? false;
    this.generator = opts.generator ?? null;
    let batchSize = opts.batchSize === undefined ? 1 : opts.batchSize;
    let dropLast = opts.dropLast ?? false;
    if (opts.sampler !== undefined && shuffle) {
      throw new Error("sampler option is mutually exclusive with shuffle");
    }
    if (opts.batchSampler !== undefined) {
      if (batchSize !== 1 || shuffle || opts.sampler !== undefined || dropLast) {
        throw new Error(
          "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last",
        );
      }
      batchSize = null;
      dropLast = false;
    } else if (batchSize === null && dropLast) {
      throw new Error(
        "batch_size=None option disables auto-batching and is mutually exclusive with drop_last",
      );
    }
    this.sampler =
      opts.sampler ??
      (shuffle
        ? new RandomSampler(dataset, { generator: this.generator })
        : new SequentialSampler(dataset));
    this.batchSampler =
      opts.batchSampler ??
      (batchSize !== null ? new BatchSampler(this.sampler, batchSize, dropLast) : null);
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.customCollate = opts.collateFn !== undefined;
    this.collateFn = opts.collateFn ?? ((s: T[]) => defaultCollate(s) as B);
  }

  /** The number of batches per epoch (PyTorch's `len(loader)`). */
  get length(): number {
    return (this.batchSampler ?? this.sampler).length;
  }

  /** One epoch of batches. */
  *[Symbol.iterator](): Iterator<B> {
    const indexIter = (this.batchSampler ?? this.sampler)[Symbol.iterator]();
    // _BaseDataLoaderIter draws its base seed before the sampler runs
    randomInt64(this.generator ?? defaultGenerator);
    const ds = this.dataset;
    const fast = !this.customCollate && ds instanceof TensorDataset;
    for (let r = indexIter.next(); !r.done; r = indexIter.next()) {
      if (this.batchSampler === null) {
        // no auto-batching: samples as they are (PyTorch's default_convert), or collateFn(sample)
        const sample = itemOf(ds, r.value as number);
        yield (this.customCollate ? this.collateFn(sample as unknown as T[]) : sample) as B;
        continue;
      }
      const idx = r.value as number[];
      if (fast) {
        const it = tensor(idx, { dtype: int64 });
        yield (ds as TensorDataset).tensors.map((t) => t.indexSelect(0, it)) as B;
      } else {
        yield this.collateFn(idx.map((i) => itemOf(ds, i)));
      }
    }
  }
}
