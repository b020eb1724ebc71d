/**
 * torch.utils.data against PyTorch 1.13 (test/fixtures/layers.json, "data"): randperm, the
 * batches of shuffling DataLoaders (seeded generator, global seed, drop_last; and the draws
 * the loader leaves on the global generator), randomSplit, RandomSampler with replacement;
 * default collation; IDX files (plain and gzip, malformed ones).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";

const { DataLoader, TensorDataset, RandomSampler, Dataset } = torch.utils.data;
const fx = JSON.parse(
  readFileSync(new URL("./fixtures/layers.json", import.meta.url), "utf8"),
).data;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const ds10 = (): InstanceType<typeof TensorDataset> =>
  new TensorDataset(torch.arange(10), torch.arange(10).mul(10));

test("randperm matches PyTorch's permutations", () => {
  for (const { seed, n, perm } of fx.randperm) {
    const g = new torch.Generator().manualSeed(seed);
    assert.deepEqual(torch.randperm(n, { generator: g }).tolist(), perm, `seed ${seed}, n ${n}`);
  }
  torch.manualSeed(0);
  assert.deepEqual(torch.randperm(10).tolist(), [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]);
  assert.equal(torch.randperm(3).dtype, torch.int64);
});

test("a shuffling DataLoader with a seeded generator gives PyTorch's batches, epoch after epoch", () => {
  const g = new torch.Generator().manualSeed(7);
  const loader = new DataLoader(ds10(), { batchSize: 4, shuffle: true, generator: g });
  assert.equal(loader.length, 3);
  const epochs = range(3).map(() => Array.from(loader, (b) => (b as Tensor[])[0].tolist()));
  assert.deepEqual(epochs, fx.loader_generator);
});

test("without a generator the loader draws from the global one as PyTorch does", () => {
  torch.manualSeed(3);
  const loader = new DataLoader(ds10(), { batchSize: 3, shuffle: true, dropLast: true });
  assert.equal(loader.length, 3);
  const epochs = range(2).map(() => Array.from(loader, (b) => (b as Tensor[])[0].tolist()));
  assert.deepEqual(epochs, fx.loader_global.epochs);
  // the global generator is left where PyTorch's is
  const after = torch.rand(3).tolist() as number[];
  after.forEach((v, i) => assert.ok(Math.abs(v - fx.loader_global.after[i]) < 1e-7));

  torch.manualSeed(5);
  const seq = new DataLoader(ds10(), { batchSize: 5 });
  const labels = range(2).map(() => Array.from(seq, (b) => (b as Tensor[])[1].tolist()));
  assert.deepEqual(labels, fx.loader_sequential.epochs);
  const after2 = torch.rand(2).tolist() as number[];
  after2.forEach((v, i) => assert.ok(Math.abs(v - fx.loader_sequential.after[i]) < 1e-7));
});

test("randomSplit matches PyTorch (lengths and fractions)", () => {
  const [a, b] = torch.utils.data.randomSplit(
    range(10),
    [7, 3],
    new torch.Generator().manualSeed(42),
  );
  assert.deepEqual([a.indices, b.indices], fx.random_split.lengths);
  const parts = torch.utils.data.randomSplit(
    range(11),
    [0.5, 0.3, 0.2],
    new torch.Generator().manualSeed(1),
  );
  assert.deepEqual(
    parts.map((p) => p.indices),
    fx.random_split.fractions,
  );
  assert.equal(parts[0].getItem(1), fx.random_split.fractions[0][1]);
  assert.throws(() => torch.utils.data.randomSplit(range(10), [3, 3]), /Sum of input lengths/);
});

test("RandomSampler with replacement matches PyTorch", () => {
  const s = new RandomSampler(range(5), {
    replacement: true,
    numSamples: 40,
    generator: new torch.Generator().manualSeed(9),
  });
  assert.deepEqual([...s], fx.sampler_replacement);
});

test("default collation: tensors stacked, numbers to int64/float64 tensors, nested structures", () => {
  class Pairs extends Dataset<{ x: Tensor; y: number; w: number; tag: string }> {
    get length(): number {
      return 5;
    }
    getItem(i: number): { x: Tensor; y: number; w: number; tag: string } {
      return { x: torch.full([2], i), y: i, w: i + 0.5, tag: `s${i}` };
    }
  }
  const batches = Array.from(new DataLoader(new Pairs(), { batchSize: 2 }));
  assert.equal(batches.length, 3);
  const first = batches[0] as { x: Tensor; y: Tensor; w: Tensor; tag: string[] };
  assert.deepEqual(first.x.tolist(), [
    [0, 0],
    [1, 1],
  ]);
  assert.equal(first.y.dtype, torch.int64);
  assert.equal(first.w.dtype, torch.float64);
  assert.deepEqual(first.tag, ["s0", "s1"]);
  // a custom collate function and no batching
  const sums = Array.from(
    new DataLoader([1, 2, 3, 4, 5], {
      batchSize: 2,
      collateFn: (xs: number[]) => xs.reduce((a, b) => a + b),
    }),
  );
  assert.deepEqual(sums, [3, 7, 5]);
  assert.deepEqual(Array.from(new DataLoader([7, 8], { batchSize: null })), [7, 8]);
  assert.throws(
    () => new DataLoader([1], { sampler: [0], shuffle: true } as never),
    /mutually exclusive with shuffle/,
  );
});

function idxBytes(type: number, shape: number[], values: number[]): Uint8Array {
  const size = { 8: 1, 9: 1, 11: 2, 12: 4, 13: 4, 14: 8 }[type] as number;
  const b = new Uint8Array(4 + 4 * shape.length + size * values.length);
  const v = new DataView(b.buffer);
  b[2] = type;
  b[3] = shape.length;
  shape.forEach((s, i) => v.setUint32(4 + 4 * i, s, false));
  const o = 4 + 4 * shape.length;
  values.forEach((x, i) => {
    if (type === 8) v.setUint8(o + i, x);
    else if (type === 9) v.setInt8(o + i, x);
    else if (type === 11) v.setInt16(o + 2 * i, x, false);
    else if (type === 12) v.setInt32(o + 4 * i, x, false);
    else if (type === 13) v.setFloat32(o + 4 * i, x, false);
    else v.setFloat64(o + 8 * i, x, false);
  });
  return b;
}

test("IDX files: every element type, gzip, and clear errors for malformed input", () => {
  const { readIdx, idxToTensor } = torch.utils.data;
  const u8 = readIdx(idxBytes(8, [2, 3], [0, 1, 2, 253, 254, 255]));
  assert.equal(u8.type, "ubyte");
  assert.deepEqual(u8.shape, [2, 3]);
  assert.deepEqual(Array.from(u8.data), [0, 1, 2, 253, 254, 255]);
  assert.deepEqual(
    readIdx(gzipSync(idxBytes(12, [2], [-5, 70000]))).data,
    new Int32Array([-5, 70000]),
  );
  assert.deepEqual(Array.from(readIdx(idxBytes(11, [2], [-300, 300])).data), [-300, 300]);
  assert.deepEqual(Array.from(readIdx(idxBytes(9, [1], [-3])).data), [-3]);
  assert.deepEqual(Array.from(readIdx(idxBytes(13, [1], [1.5])).data), [1.5]);
  assert.deepEqual(Array.from(readIdx(idxBytes(14, [1], [0.1])).data), [0.1]);
  const t = idxToTensor(u8, { dtype: torch.float32, div: 255 });
  assert.equal(t.dtype, torch.float32);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(idxToTensor(u8).dtype, torch.int64);
  assert.throws(() => readIdx(new Uint8Array([0, 0])), /less than the 4-byte header/);
  assert.throws(() => readIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 1, 0])), /two zero bytes/);
  assert.throws(() => readIdx(new Uint8Array([0, 0, 7, 1, 0, 0, 0, 1, 0])), /unknown element type/);
  assert.throws(
    () => readIdx(new Uint8Array([0, 0, 8, 2, 0, 0, 0, 1])),
    /truncated IDX file: 8 bytes, the header needs 12/,
  );
  assert.throws(
    () => readIdx(idxBytes(8, [2, 3], [1, 2, 3, 4, 5, 6]).subarray(0, 15)),
    /truncated IDX file: shape \[2, 3\] of ubyte needs 18 bytes, got 15/,
  );
});

test("MNIST reads a folder of IDX files (plain or gzip) as torchvision does", () => {
  const dir = mkdtempSync(join(tmpdir(), "tg-mnist-"));
  const pixels = range(2 * 2 * 3).map((i) => i * 20);
  writeFileSync(join(dir, "t10k-images-idx3-ubyte.gz"), gzipSync(idxBytes(8, [2, 2, 3], pixels)));
  writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), idxBytes(8, [2], [7, 3]));
  const test = new torch.utils.data.MNIST(dir, { train: false });
  assert.equal(test.length, 2);
  const [img, label] = test.getItem(1);
  assert.deepEqual(img.shape, [1, 2, 3]);
  assert.equal(label.item(), 3);
  assert.equal(label.dtype, torch.int64);
  assert.ok(Math.abs((img.tolist() as number[][][])[0][0][0] - 120 / 255) < 1e-7);
  const [x, y] = test.tensors();
  assert.deepEqual(x.shape, [2, 1, 2, 3]);
  assert.deepEqual(y.tolist(), [7, 3]);
  assert.throws(
    () => new torch.utils.data.MNIST(dir, { train: true }),
    /train-images-idx3-ubyte\[\.gz\] not found/,
  );
});
