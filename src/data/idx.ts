/**
 * Readers for the IDX format MNIST and Fashion-MNIST ship in (plain or gzip), and an MNIST
 * dataset over a folder of such files (torchvision's layout: `train-images-idx3-ubyte[.gz]`,
 * `train-labels-idx1-ubyte[.gz]`, `t10k-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`).
 *
 * IDX: two zero bytes, a type byte (0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float,
 * 0x0E double), the number of dimensions, each dimension as a big-endian uint32, then the data,
 * big-endian, row-major.
 */
import type { Tensor } from "../tensor.js";
import { float32, float64, int64, type DType } from "../dtype.js";
import { wrap } from "../ops/core.js";
import { Dataset } from "./dataset.js";
import { nodeFs, nodePath, nodeZlib } from "./node-io.js";

/** A decoded IDX array: its element type, shape and values (host byte order). */
export interface IdxArray {
  type: "ubyte" | "byte" | "short" | "int" | "float" | "double";
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, [IdxArray["type"], number]> = {
  0x08: ["ubyte", 1],
  0x09: ["byte", 1],
  0x0b: ["short", 2],
  0x0c: ["int", 4],
  0x0d: ["float", 4],
  0x0e: ["double", 8],
};

/**
 * Decode IDX bytes (gunzipped first when they start with gzip's magic 1f 8b). Malformed or
 * truncated input throws a descriptive error.
 *
 * @example
 * // an IDX file of three unsigned bytes: magic 0x00000801 (ubyte, 1 dim), size 3, the data
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]);
 * const { shape, data } = torch.utils.data.readIdx(bytes); // shape [3], data Uint8Array [7, 2, 1]
 */
export function readIdx(bytes: Uint8Array): IdxArray {
  let b = bytes;
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    b = new Uint8Array(nodeZlib().gunzipSync(b));
  }
  if (b.length < 4)
    throw new Error(`not an IDX file: ${b.length} bytes, less than the 4-byte header`);
  if (b[0] !== 0 || b[1] !== 0)
    throw new Error("not an IDX file: the magic number must start with two zero bytes");
  const t = TYPES[b[2]];
  if (t === undefined)
    throw new Error(`not an IDX file: unknown element type 0x${b[2].toString(16)}`);
  const [type, size] = t;
  const nd = b[3];
  const headerLen = 4 + 4 * nd;
  if (b.length < headerLen)
    throw new Error(`truncated IDX file: ${b.length} bytes, the header needs ${headerLen}`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shape: number[] = [];
  let n = 1;
  for (let i = 0; i < nd; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    n *= d;
  }
  const need = headerLen + n * size;
  if (b.length < need) {
    throw new Error(
      `truncated IDX file: shape [${shape.join(", ")}] of ${type} needs ${need} bytes, got ${b.length}`,
    );
  }
  let data: IdxArray["data"];
  switch (type) {
    case "ubyte":
      data = b.slice(headerLen, need);
      break;
    case "byte":
      data = new Int8Array(b.slice(headerLen, need).buffer);
      break;
    case "short":
      data = new Int16Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getInt16(headerLen + 2 * i, false);
      break;
    case "int":
      data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getInt32(headerLen + 4 * i, false);
      break;
    case "float":
      data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(headerLen + 4 * i, false);
      break;
    default:
      data = new Float64Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getFloat64(headerLen + 8 * i, false);
  }
  return { type, shape, data };
}

/**
 * Read an IDX file (plain or .gz).
 *
 * @example
 * const { writeFileSync } = await import("node:fs");
 * writeFileSync("labels-idx1-ubyte", new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]));
 * const labels = torch.utils.data.readIdxFile("labels-idx1-ubyte"); // gzip (.gz) files read too
 */
export function readIdxFile(path: string): IdxArray {
  return readIdx(new Uint8Array(nodeFs().readFileSync(path)));
}

/**
 * An IDX array as a tensor: integer types as int64 (or `dtype`), float as float32, double as
 * float64; `div` divides the values (255 for images in [0, 1] with dtype float32, as
 * torchvision's ToTensor).
 *
 * @example
 * const bytes = new Uint8Array([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255]); // ubyte [1, 2]
 * const images = torch.utils.data.idxToTensor(torch.utils.data.readIdx(bytes), { dtype: torch.float32, div: 255 });
 * // tensor([[0., 1.]])
 */
export function idxToTensor(a: IdxArray, opts: { dtype?: DType; div?: number } = {}): Tensor {
  const dtype =
    opts.dtype ?? (a.type === "float" ? float32 : a.type === "double" ? float64 : int64);
  const n = a.data.length;
  const out = new dtype.ArrayType(n);
  const d = opts.div ?? 1;
  const src = a.data;
  if (d === 1) for (let i = 0; i < n; i++) out[i] = src[i];
  else for (let i = 0; i < n; i++) out[i] = src[i] / d;
  return wrap(out, a.shape.slice(), dtype);
}

/** Find `name` or `name.gz` in `root`. */
function findFile(root: string, name: string): string {
  const fs = nodeFs();
  const path = nodePath();
  for (const candidate of [name, `${name}.gz`]) {
    const p = path.join(root, candidate);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`${name}[.gz] not found in ${root}`);
}

/**
 * An MNIST-style dataset from a folder of IDX files (MNIST, Fashion-MNIST, KMNIST, ...), like
 * torchvision's `MNIST(root, train=...)` with `ToTensor()`: samples are
 * `[image float32 [1, H, W] in [0, 1], label int64]`. `tensors()` gives the whole split at once
 * (`[images [N, 1, H, W], labels [N]]`) for a TensorDataset.
 *
 * @example
 * // a stand-in for the real files (two 2x2 images): MNIST's names, IDX format, optionally .gz
 * const { mkdirSync, writeFileSync } = await import("node:fs");
 * mkdirSync("mnist", { recursive: true });
 * writeFileSync("mnist/t10k-images-idx3-ubyte", new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 255, 255, 0, 9, 9, 9, 9]));
 * writeFileSync("mnist/t10k-labels-idx1-ubyte", new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 3, 5]));
 * const test = new torch.utils.data.MNIST("mnist", { train: false });
 * test.length; // 2 (10000 for the real test set)
 * const [images, labels] = test.tensors();

 */
export class MNIST extends Dataset<[Tensor, Tensor]> {
  /** raw pixels, [N, H, W] */
  readonly images: IdxArray;
  /** raw labels, [N] */
  readonly labels: IdxArray;

  constructor(root: string, opts: { train?: boolean } = {}) {
    super();
    const prefix = (opts.train ?? true) ? "train" : "t10k";
    this.images = readIdxFile(findFile(root, `${prefix}-images-idx3-ubyte`));
    this.labels = readIdxFile(findFile(root, `${prefix}-labels-idx1-ubyte`));
    if (this.images.shape.length !== 3) {
      throw new Error(`expected images of shape [N, H, W], got [${this.images.shape.join(", ")}]`);
    }
    if (this.labels.shape.length !== 1 || this.labels.shape[0] !== this.images.shape[0]) {
      throw new Error(
        `expected ${this.images.shape[0]} labels, got shape [${this.labels.shape.join(", ")}]`,
      );
    }
  }

  get length(): number {
    return this.images.shape[0];
  }

  getItem(index: number): [Tensor, Tensor] {
    const [, h, w] = this.images.shape;
    const px = h * w;
    const img = new Float32Array(px);
    const base = index * px;
    for (let i = 0; i < px; i++) img[i] = this.images.data[base + i] / 255;
    const label = new Float64Array([this.labels.data[index]]);
    return [wrap(img, [1, h, w], float32), wrap(label, [], int64)];
  }

  /** The whole split: images float32 [N, 1, H, W] in [0, 1] and labels int64 [N]. */
  tensors(): [Tensor, Tensor] {
    const [n, h, w] = this.images.shape;
    const x = idxToTensor(this.images, { dtype: float32, div: 255 }).reshape([n, 1, h, w]);
    return [x, idxToTensor(this.labels, { dtype: int64 })];
  }
}
