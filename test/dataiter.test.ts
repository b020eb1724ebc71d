/**
 * torch.utils.data's IterableDataset, ChainDataset (and `add`, PyTorch's `+`),
 * WeightedRandomSampler, defaultConvert, getWorkerInfo, the Sampler base class and DataLoader
 * over an IterableDataset, against PyTorch 1.13 (test/fixtures/dataiter.json, made by
 * scripts/fixtures/dataiter_fx.py): the indices and batches after the same seed, len(loader),
 * the warnings past a reported length, where the global generator is left, and the errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { readFixture } from "./helpers/fixtures.js";

const data = torch.utils.data;
const { DataLoader, IterableDataset, ChainDataset, TensorDataset, WeightedRandomSampler } = data;

interface Fixture {
  weighted: { name: string; seed: number; length: number; samples: number[][]; after: number[] }[];
  loaders: {
    name: string;
    seed: number;
    length: number | null;
    epochs: unknown[][];
    warnings: string[];
    after: number[];
  }[];
  chain: {
    items: number[];
    plus_items: number[];
    plus_type: string;
    plus_nested: string;
    length: number;
    concat_type: string;
    concat_len: number;
    concat_item: number[];
  };
  convert: { dict: unknown; list: unknown; number: number; same_tensor: boolean };
  worker_info: null;
  errors: Record<string, { type: string; message: string }>;
}

const FX = readFixture<Fixture>("dataiter.json");

/** 0, 1, ..., n - 1; no length. */
class Counter extends IterableDataset<number> {
  constructor(readonly n: number) {
    super();
  }
  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.n; i++) yield i;
  }
}

/** Counter that reports `len` as its length. */
class Sized extends Counter {
  constructor(
    n: number,
    readonly len: number,
  ) {
    super(n);
  }
  override get length(): number {
    return this.len;
  }
}

/** n tensors of torch.rand(2), drawn as the loader asks for them. */
class Noisy extends IterableDataset<Tensor> {
  constructor(readonly n: number) {
    super();
  }
  *[Symbol.iterator](): Iterator<Tensor> {
    for (let i = 0; i < this.n; i++) yield torch.rand(2);
  }
}

class Records extends IterableDataset<{ x: Tensor; y: number; name: string }> {
  *[Symbol.iterator](): Iterator<{ x: Tensor; y: number; name: string }> {
    for (let i = 0; i < 5; i++)
      yield { x: torch.full([2], i, { dtype: torch.float32 }), y: i, name: `r${i}` };
  }
}

/** A batch as plain values (tensors as lists), as dataiter_fx.py's tolist. */
function plain(b: unknown): unknown {
  if (b instanceof torch.Tensor) return b.tolist();
  if (Array.isArray(b)) return b.map(plain);
  if (b !== null && typeof b === "object")
    return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, plain(v)]));
  return b;
}

function near(a: unknown, e: unknown, what: string): void {
  if (typeof e === "number" && typeof a === "number")
    assert.ok(Math.abs(a - e) <= 1e-7 * (1 + Math.abs(e)), `${what}: ${a} vs PyTorch ${e}`);
  else if (Array.isArray(e)) {
    assert.ok(Array.isArray(a), `${what}: an array`);
    assert.equal(a.length, e.length, `${what}: length`);
    e.forEach((x, i) => near(a[i], x, `${what}[${i}]`));
  } else if (e !== null && typeof e === "object") {
    assert.deepEqual(Object.keys(a as object), Object.keys(e), `${what}: keys`);
    for (const [k, v] of Object.entries(e))
      near((a as Record<string, unknown>)[k], v, `${what}.${k}`);
  } else assert.deepEqual(a, e, what);
}

/** fn() with console.warn captured: its result and the warnings (without "UserWarning: "). */
function capture<T>(fn: () => T): [T, string[]] {
  const warned: string[] = [];
  const orig = console.warn;
  console.warn = (msg: string) => warned.push(String(msg).replace(/^UserWarning: /, ""));
  try {
    return [fn(), warned];
  } finally {
    console.warn = orig;
  }
}

const WEIGHTED: Record<string, () => InstanceType<typeof WeightedRandomSampler>> = {
  replacement: () =>
    new WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, { replacement: true }),
  no_replacement: () =>
    new WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, { replacement: false }),
  many: () => new WeightedRandomSampler([1, 2, 3, 4], 40),
  tensor_weights: () => new WeightedRandomSampler(torch.tensor([0.5, 0.0, 1.5]), 6, true),
  generator: () =>
    new WeightedRandomSampler([2.0, 1.0, 1.0], 8, {
      generator: new torch.Generator().manualSeed(7),
    }),
  // PyTorch's WeightedRandomSampler([1.0] * 4, 4, replacement=False)
  all: () => new WeightedRandomSampler([1.0, 1.0, 1.0, 1.0], { numSamples: 4, replacement: false }),
};

test("WeightedRandomSampler draws PyTorch's indices", () => {
  assert.deepEqual(Object.keys(WEIGHTED).sort(), FX.weighted.map((c) => c.name).sort());
  for (const c of FX.weighted) {
    torch.manualSeed(c.seed);
    const s = WEIGHTED[c.name]();
    assert.equal(s.length, c.length);
    assert.deepEqual(
      [0, 1].map(() => [...s]),
      c.samples,
      c.name,
    );
    near(torch.rand(2).tolist(), c.after, `${c.name}: after`);
  }
});

const ds10 = (): InstanceType<typeof TensorDataset> =>
  new TensorDataset(torch.arange(10), torch.arange(10).mul(10));

const LOADERS: Record<string, [() => Iterable<unknown> & { length: number }, boolean]> = {
  iterable_batched: [() => new DataLoader(new Counter(10), { batchSize: 3 }), false],
  iterable_drop_last: [
    () => new DataLoader(new Counter(10), { batchSize: 3, dropLast: true }),
    false,
  ],
  iterable_unbatched: [() => new DataLoader(new Counter(4), { batchSize: null }), false],
  iterable_collate: [
    () =>
      new DataLoader(new Counter(7), {
        batchSize: 2,
        collateFn: (b: number[]) => b.reduce((x, y) => x + y, 0),
      }),
    false,
  ],
  iterable_unbatched_collate: [
    () =>
      new DataLoader(new Counter(3), {
        batchSize: null,
        collateFn: (s) => (s as unknown as number) * 10,
      }),
    false,
  ],
  iterable_len: [() => new DataLoader(new Sized(7, 7), { batchSize: 2 }), true],
  iterable_len_drop: [
    () => new DataLoader(new Sized(7, 7), { batchSize: 2, dropLast: true }),
    true,
  ],
  iterable_len_short: [() => new DataLoader(new Sized(5, 3), { batchSize: null }), true],
  iterable_noisy: [() => new DataLoader(new Noisy(5), { batchSize: 2 }), false],
  iterable_generator: [
    () =>
      new DataLoader(new Noisy(3), {
        batchSize: 2,
        generator: new torch.Generator().manualSeed(3),
      }),
    false,
  ],
  iterable_records: [() => new DataLoader(new Records(), { batchSize: 2 }), false],
  iterable_shuffle_false: [
    () => new DataLoader(new Counter(3), { batchSize: 2, shuffle: false }),
    false,
  ],
  chain: [() => new DataLoader(new Counter(3).add(new Counter(4)), { batchSize: 3 }), false],
  weighted_loader: [
    () =>
      new DataLoader(ds10(), {
        batchSize: 4,
        sampler: new WeightedRandomSampler([1, 1, 1, 1, 1, 3, 3, 3, 3, 3], 10),
      }),
    true,
  ],
  map_unbatched: [() => new DataLoader(ds10(), { batchSize: null }), true],
};

/** Python's object reprs name the fixture module and an address. */
const noRepr = (s: string): string => s.replace(/<[^>]* object( at 0x[0-9a-f]+)?>/g, "<object>");

test("DataLoader over an IterableDataset (and the map-style cases beside it) gives PyTorch's batches", () => {
  assert.deepEqual(Object.keys(LOADERS).sort(), FX.loaders.map((c) => c.name).sort());
  for (const c of FX.loaders) {
    const [make, callLen] = LOADERS[c.name];
    torch.manualSeed(c.seed);
    const loader = make();
    const length = callLen ? loader.length : null;
    assert.equal(length, c.length, `${c.name}: length`);
    const [epochs, warned] = capture(() => [0, 1].map(() => Array.from(loader, plain)));
    near(epochs, c.epochs, c.name);
    assert.deepEqual(warned.map(noRepr), c.warnings.map(noRepr), `${c.name}: warnings`);
    near(torch.rand(2).tolist(), c.after, `${c.name}: after`);
  }
});

test("ChainDataset, add (PyTorch's +), and ConcatDataset of map-style datasets", () => {
  const c = new ChainDataset([new Counter(2), new Sized(3, 3)]);
  assert.deepEqual([...c], FX.chain.items);
  const d = new Sized(2, 2).add(new Sized(3, 3)).add(new Counter(1));
  assert.deepEqual([...d], FX.chain.plus_items);
  assert.equal(d.constructor.name, FX.chain.plus_type);
  assert.equal([...d.datasets][0].constructor.name, FX.chain.plus_nested);
  assert.equal(new ChainDataset([new Sized(2, 2), new Sized(3, 5)]).length, FX.chain.length);
  const concat = ds10().add(ds10());
  assert.equal(concat.constructor.name, FX.chain.concat_type);
  assert.equal(concat.length, FX.chain.concat_len);
  assert.deepEqual(plain(concat.getItem(13)), FX.chain.concat_item);
  assert.ok(c instanceof data.Dataset && c instanceof data.IterableDataset);
});

test("defaultConvert and getWorkerInfo", () => {
  const t = torch.arange(3);
  assert.deepEqual(plain(data.defaultConvert({ a: t, b: [1, 2], c: [t, "s"] })), FX.convert.dict);
  assert.deepEqual(data.defaultConvert([1, 2.5, "x"]), FX.convert.list);
  assert.equal(data.defaultConvert(3), FX.convert.number);
  assert.equal(data.defaultConvert(t) === t, FX.convert.same_tensor);
  assert.equal(data.getWorkerInfo(), FX.worker_info);
});

test("Sampler is a base class a custom sampler extends", () => {
  class Evens extends data.Sampler<number> {
    constructor(readonly n: number) {
      super(null);
    }
    *[Symbol.iterator](): Iterator<number> {
      for (let i = 0; i < this.n; i += 2) yield i;
    }
  }
  const loader = new DataLoader(ds10(), { sampler: new Evens(10), batchSize: 2 });
  assert.deepEqual(
    Array.from(loader, (b) => (b as Tensor[])[0].tolist()),
    [[0, 2], [4, 6], [8]],
  );
  // without a length, len(loader) is PyTorch's TypeError
  assert.throws(() => loader.length, { message: "object of type 'Evens' has no len()" });
  assert.ok(new data.RandomSampler([1, 2]) instanceof data.Sampler);
});

const ERRORS: Record<string, () => unknown> = {
  shuffle: () => new DataLoader(new Counter(3), { shuffle: true }),
  sampler: () => new DataLoader(new Counter(3), { sampler: Object.assign([0, 1], {}) }),
  batch_sampler: () => new DataLoader(new Counter(3), { batchSampler: [[0, 1]] }),
  no_len: () => new DataLoader(new Counter(3), { batchSize: 2 }).length,
  weighted_num_samples: () => new WeightedRandomSampler([1.0, 2.0], 0),
  weighted_num_samples_float: () => new WeightedRandomSampler([1.0, 2.0], 2.5),
  weighted_replacement: () =>
    new WeightedRandomSampler([1.0, 2.0], 2, { replacement: 1 as unknown as boolean }),
  weighted_2d: () =>
    new WeightedRandomSampler(
      torch.tensor([
        [1.0, 2.0],
        [3.0, 4.0],
      ]),
      2,
    ),
  weighted_too_many: () => [...new WeightedRandomSampler([1.0, 2.0], 3, { replacement: false })],
  weighted_negative: () => [...new WeightedRandomSampler([1.0, -2.0], 3)],
  chain_not_iterable: () => [...new ChainDataset<unknown>([new Counter(2), ds10()])],
  chain_len_not_iterable: () => new ChainDataset<unknown>([new Sized(2, 2), ds10()]).length,
  concat_iterable: () => new data.ConcatDataset<unknown>([ds10(), new Counter(3)]),
};

test("PyTorch's errors", () => {
  assert.deepEqual(Object.keys(ERRORS).sort(), Object.keys(FX.errors).sort());
  for (const [name, e] of Object.entries(FX.errors)) {
    assert.throws(ERRORS[name], (err: Error) => {
      assert.equal(err.constructor.name, e.type, `${name}: type`);
      assert.equal(err.message, e.message, `${name}: message`);
      return true;
    });
  }
});
