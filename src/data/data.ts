/**
 * torch.utils.data: datasets, samplers, DataLoader, randomSplit and the IDX (MNIST) readers.
 *
 * @example
 * const { DataLoader, TensorDataset } = torch.utils.data;
 * const [x, y] = [torch.randn(100, 3), torch.randint(0, 2, [100])];

 * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 32, shuffle: true });
 */
export {
  Dataset,
  IterableDataset,
  ChainDataset,
  TensorDataset,
  Subset,
  ConcatDataset,
  randomSplit,
} from "./dataset.js";
export type { DatasetLike } from "./dataset.js";
export {
  DataLoader,
  Sampler,
  SequentialSampler,
  RandomSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
  BatchSampler,
  defaultCollate,
  defaultConvert,
  getWorkerInfo,
} from "./dataloader.js";
export type { DataLoaderOptions } from "./dataloader.js";
export { readIdx, readIdxFile, idxToTensor, MNIST } from "./idx.js";
export type { IdxArray } from "./idx.js";
