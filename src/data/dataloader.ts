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
import { multinomial } from "../generated/functions.js";
import { typeError, valueError } from "../errors.js";
import { TensorDataset, IterableDataset, itemOf, type DatasetLike } from "./dataset.js";

/**
 * The base class of samplers (torch.utils.data.Sampler): an iterable of indices (or of batches
 * of indices); a subclass defines `[Symbol.iterator]` and, for `len(loader)`, a `length` getter.
 *
 * @example
 * class Evens extends torch.utils.data.Sampler<number> {
 *   constructor(readonly n: number) { super(null); }
 *   *[Symbol.iterator]() { for (let i = 0; i < this.n; i += 2) yield i; }
 *   get length() { return Math.ceil(this.n / 2); }
 * }
 * [...new Evens(5)]; // [0, 2, 4]
 */
export abstract class Sampler<T = number> implements Iterable<T> {
  /** PyTorch's `Sampler.__init__(data_source)`, which keeps nothing. */
  constructor(_dataSource?: unknown) {}
  /** The indices (PyTorch's `__iter__`). */
  abstract [Symbol.iterator](): Iterator<T>;
}

/** What a sampler's `len()` needs. */
type Sized = { readonly length?: number };

/** PyTorch's len(): the `length`, or its TypeError for an object without one. */
function lenOf(o: Sized): number {
  const n = o.length;
  if (typeof n !== "number") throw typeError(`object of type '${o.constructor.name}' has no len()`);
  return n;
}

/**
 * Indices 0..n-1 in order.
 *
 * @example [...new torch.utils.data.SequentialSampler([10, 20, 30])] // [0, 1, 2]
 */
export class SequentialSampler extends Sampler<number> {
  constructor(private readonly dataSource: { readonly length: number }) {
    super(dataSource);
  }
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
export class RandomSampler extends Sampler<number> {
  readonly replacement: boolean;
  readonly generator: Generator | null;
  private readonly numSamplesOpt: number | null;
  constructor(
    private readonly dataSource: { readonly length: number },
    opts: { replacement?: boolean; numSamples?: number | null; generator?: Generator | null } = {},
  ) {
    super(dataSource);
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
export class SubsetRandomSampler extends Sampler<number> {
  constructor(
    readonly indices: readonly number[],
    readonly generator: Generator = defaultGenerator,
  ) {
    super(indices);
  }
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
export class BatchSampler extends Sampler<number[]> {
  constructor(
    readonly sampler: Iterable<number> & Sized,
    readonly batchSize: number,
    readonly dropLast: boolean,
  ) {
    super(sampler);
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
    const n = lenOf(this.sampler);
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
}

/** Python's str() of a number or a bool. */
function pyStr(v: unknown): string {
  if (typeof v === "boolean") return v ? "True" : "False";
  return String(v);
}

/**
 * Indices drawn with the given (unnormalised) weights (torch.utils.data.WeightedRandomSampler):
 * each epoch is `torch.multinomial(weights, numSamples, replacement, { generator })`, so a seed
 * gives PyTorch's indices.
 *
 * @example
 * const s = new torch.utils.data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, { generator: new torch.Generator().manualSeed(0) });
 * [...s].length; // 5
 */
export class WeightedRandomSampler extends Sampler<number> {
  /** the weights, as a float64 vector */
  readonly weights: Tensor;
  readonly numSamples: number;
  readonly replacement: boolean;
  readonly generator: Generator | null;

  constructor(
    weights: readonly number[] | Tensor,
    numSamples:
      number | { numSamples: number; replacement?: boolean; generator?: Generator | null },
    replacement: boolean | { replacement?: boolean; generator?: Generator | null } = true,
    generator: Generator | null = null,
  ) {
    super(null);
    if (typeof numSamples === "object" && numSamples !== null)
      ({ numSamples, replacement = true, generator = null } = numSamples);
    if (typeof replacement === "object" && replacement !== null)
      ({ replacement = true, generator = null } = replacement);
    if (typeof numSamples !== "number" || !Number.isInteger(numSamples) || numSamples <= 0)
      throw valueError(
        `num_samples should be a positive integer value, but got num_samples=${pyStr(numSamples)}`,
      );
    if (typeof replacement !== "boolean")
      throw valueError(
        `replacement should be a boolean value, but got replacement=${pyStr(replacement)}`,
      );
    const w =
      weights instanceof Tensor
        ? weights.to(float64)
        : tensor(weights as number[], { dtype: float64 });
    if (w.dim() !== 1)
      throw valueError(
        `weights should be a 1d sequence but given weights have shape (${w.shape.join(", ")}${w.dim() === 1 ? "," : ""})`,
      );
    this.weights = w;
    this.numSamples = numSamples;
    this.replacement = replacement;
    this.generator = generator;
  }

  *[Symbol.iterator](): Iterator<number> {
    const idx = multinomial(this.weights, this.numSamples, this.replacement, {
      generator: this.generator,
    });
    yield* idx.tolist() as number[];
  }

  get length(): number {
    return this.numSamples;
  }
}

/** PyTorch's _InfiniteConstantSampler: the sampler of a loader over an IterableDataset. */
class InfiniteConstantSampler extends Sampler<null> {
  *[Symbol.iterator](): Iterator<null> {
    for (;;) yield null;
  }
}

/**
 * torch.utils.data.get_worker_info: the worker's id, count, seed and dataset inside a loader's
 * worker process, null in the main process. tensorgrad's DataLoader loads in the main process
 * (PyTorch's num_workers=0), so this is always null.
 *
 * @example torch.utils.data.getWorkerInfo() // null
 */
export function getWorkerInfo(): null {
  return null;
}

/**
 * torch.utils.data.default_convert, what a loader without batching (`batchSize: null`) applies
 * to each sample: tensors as they are, arrays, Maps and plain objects converted element by
 * element (new containers), anything else unchanged.
 *
 * @example torch.utils.data.defaultConvert({ a: torch.arange(2), b: [1, "x"] }) // { a: tensor([0, 1]), b: [1, "x"] }
 */
export function defaultConvert(data: unknown): unknown {
  if (data instanceof Tensor) return data;
  if (data instanceof Map)
    return new Map(Array.from(data, ([k, v]) => [k, defaultConvert(v)] as const));
  if (Array.isArray(data)) return data.map(defaultConvert);
  if (
    data !== null &&
    typeof data === "object" &&
    Object.getPrototypeOf(data) === Object.prototype
  ) {
    return Object.fromEntries(
      Object.entries(data as Record<string, unknown>).map(([k, v]) => [k, defaultConvert(v)]),
    );
  }
  return data;
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
  /** reshuffle every epoch (a RandomSampler over the dataset; not for an IterableDataset) */
  shuffle?: boolean;
  /** a custom order of indices (excludes shuffle; not for an IterableDataset) */
  sampler?: Iterable<number> & Sized;
  /** a custom order of batches of indices (excludes batchSize, shuffle, sampler, dropLast) */
  batchSampler?: Iterable<number[]> & Sized;
  /** drop the last incomplete batch */
  dropLast?: boolean;
  /** merge a list of samples into a batch (default: defaultCollate; unbatched: defaultConvert) */
  collateFn?: (samples: T[]) => B;
  /** the generator for shuffling and the per-epoch base seed (default: the global one) */
  generator?: Generator;
}

/** Python's repr of an option's value, for DataLoader's messages. */
function pyRepr(v: unknown): string {
  if (typeof v === "boolean") return v ? "True" : "False";
  if (v === null) return "None";
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "object") return `<${(v as object).constructor.name} object>`;
  return String(v);
}

/**
 * torch.utils.data.DataLoader: iterate a dataset in (shuffled) batches. `for (const batch of
 * loader)`; `loader.length` is the number of batches. An IterableDataset is read in its own
 * order (no shuffle or sampler), `batchSize` samples at a time, as PyTorch's loader reads it. A TensorDataset with the default collate is
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
  readonly dataset: DatasetLike<T> | IterableDataset<T>;
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  readonly sampler: Iterable<number | null> & Sized;
  readonly batchSampler: (Iterable<(number | null)[]> & Sized) | null;
  readonly generator: Generator | null;
  readonly collateFn: (samples: T[]) => B;
  private readonly customCollate: boolean;
  /** len(dataset) of an IterableDataset when `length` was read (PyTorch's warning compares) */
  private iterableLenCalled: number | null = null;

  constructor(dataset: DatasetLike<T> | IterableDataset<T>, opts: DataLoaderOptions<T, B> = {}) {
    this.dataset = dataset;
    const iterable = dataset instanceof IterableDataset;
    if (iterable) {
      if (opts.shuffle !== undefined && opts.shuffle !== false)
        throw valueError(
          `DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=${pyRepr(opts.shuffle)}`,
        );
      if (opts.sampler !== undefined)
        throw valueError(
          `DataLoader with IterableDataset: expected unspecified sampler option, but got sampler=${pyRepr(opts.sampler)}`,
        );
      if (opts.batchSampler !== undefined)
        throw valueError(
          `DataLoader with IterableDataset: expected unspecified batch_sampler option, but got batch_sampler=${pyRepr(opts.batchSampler)}`,
        );
    }
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
    const mapDs = dataset as DatasetLike<T>;
    this.sampler =
      opts.sampler ??
      (iterable
        ? new InfiniteConstantSampler()
        : shuffle
          ? new RandomSampler(mapDs, { generator: this.generator })
          : new SequentialSampler(mapDs));
    this.batchSampler =
      opts.batchSampler ??
      (batchSize !== null
        ? new BatchSampler(this.sampler as Iterable<number> & Sized, batchSize, dropLast)
        : null);
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.customCollate = opts.collateFn !== undefined;
    this.collateFn =
      opts.collateFn ??
      (this.batchSampler !== null
        ? (s: T[]) => defaultCollate(s) as B
        : (s: T[]) => defaultConvert(s) as B);
  }

  /**
   * The number of batches per epoch (PyTorch's `len(loader)`); for an IterableDataset, from its
   * `length` (PyTorch's TypeError when it has none).
   */
  get length(): number {
    if (this.dataset instanceof IterableDataset) {
      const n = lenOf(this.dataset);
      this.iterableLenCalled = n;
      if (this.batchSize === null) return n;
      return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    }
    return lenOf(this.batchSampler ?? this.sampler);
  }

  /** One epoch of batches. */
  *[Symbol.iterator](): Iterator<B> {
    if (this.dataset instanceof IterableDataset) {
      yield* this.iterateIterable(this.dataset);
      return;
    }
    const indexIter = (this.batchSampler ?? this.sampler)[Symbol.iterator]();
    // _BaseDataLoaderIter draws its base seed before the sampler runs
    randomInt64(this.generator ?? defaultGenerator);
    const ds = this.dataset;
    const fast = !this.customCollate && ds instanceof TensorDataset;
    for (let r = indexIter.next(); !r.done; r = indexIter.next()) {
      if (this.batchSampler === null) {
        // no auto-batching: each sample through collateFn (PyTorch's default_convert by default)
        const sample = itemOf(ds, r.value as number);
        yield this.collateFn(sample as unknown as T[]);
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

  /**
   * PyTorch's _IterableDatasetFetcher: the dataset's iterator is made after the base seed is
   * drawn; a batch takes the next `batchSize` samples (a short last one unless `dropLast`); with
   * no batching each sample goes through collateFn. Past the length `length` reported, each
   * sample warns as PyTorch's loader does.
   */
  private *iterateIterable(ds: IterableDataset<T>): IterableIterator<B> {
    const lenCalled = this.iterableLenCalled;
    randomInt64(this.generator ?? defaultGenerator);
    const it = ds[Symbol.iterator]();
    let yielded = 0;
    const counted = (b: B): B => {
      yielded += 1;
      if (lenCalled !== null && yielded > lenCalled)
        console.warn(
          `UserWarning: Length of IterableDataset ${datasetRepr(ds)} was reported to be ${lenCalled} (when accessing len(dataloader)), but ${yielded} samples have been fetched. `,
        );
      return b;
    };
    const size = this.batchSize;
    if (size === null) {
      for (let r = it.next(); !r.done; r = it.next())
        yield counted(this.collateFn(r.value as unknown as T[]));
      return;
    }
    for (;;) {
      const data: T[] = [];
      let ended = false;
      while (data.length < size) {
        const r = it.next();
        if (r.done === true) {
          ended = true;
          break;
        }
        data.push(r.value);
      }
      if (data.length === 0 || (this.dropLast && data.length < size)) return;
      yield counted(this.collateFn(data));
      if (ended) return;
    }
  }
}

/** Python's default repr of a dataset object (without an address). */
function datasetRepr(ds: object): string {
  const s = String(ds);
  return s === "[object Object]" ? `<${ds.constructor.name} object>` : s;
}
