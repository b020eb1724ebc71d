/**
 * `torch.safetensors`: state dicts in the safetensors format, byte for byte what Python's
 * `safetensors.torch.save_file` writes (and it reads what that writes). `torch.save` writes it
 * for a path ending in `.safetensors` and `torch.load` reads it by content (src/ptfile.ts):
 *
 *   8 bytes   N, the header's length (little-endian uint64)
 *   N bytes   the header: compact JSON, `__metadata__` (string to string) first, then one entry
 *             per tensor `{"dtype":"F32","shape":[2,3],"data_offsets":[begin,end]}`, padded with
 *             spaces to a multiple of 8 bytes
 *   the rest  the tensors' bytes (little-endian, row-major), in the header's order: by dtype
 *             (I64, F64, C64, F32, I32, BOOL: safetensors' dtype order, descending), then by name
 *
 * Reading validates everything before touching the data (header size, UTF-8, JSON shape, known
 * dtypes, shapes, offsets contiguous, in bounds and of the right length), so a malformed or
 * truncated file gets a clear error, never an out-of-bounds read.
 */
import { Tensor } from "./tensor.js";
import {
  bool,
  bfloat16,
  complex64,
  float16,
  float32,
  float64,
  int8,
  int16,
  int32,
  int64,
  uint8,
  type DType,
} from "./dtype.js";
import { contiguousData, wrap } from "./ops/core.js";
import { nodeFs } from "./data/node-io.js";

/** A state dict: tensors by name (an object or a Map). */
export type TensorDict = Record<string, Tensor> | Map<string, Tensor>;

/** Options of `serialize` / `torch.safetensors.save` (and `torch.save` to a .safetensors path). */
export interface SaveOptions {
  /** string key-value pairs stored in the header's `__metadata__` */
  metadata?: Record<string, string> | null;
}

/** A deserialised file: the tensors (sorted by name, as Python's load_file) and the metadata. */
export interface Loaded {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string> | null;
}

/** safetensors dtypes: [name, byte size, rank in safetensors' Dtype order]. */
const ST_DTYPES: Record<string, { size: number; rank: number }> = {
  BOOL: { size: 1, rank: 0 },
  U8: { size: 1, rank: 1 },
  I8: { size: 1, rank: 2 },
  F8_E5M2: { size: 1, rank: 3 },
  F8_E4M3: { size: 1, rank: 4 },
  I16: { size: 2, rank: 5 },
  U16: { size: 2, rank: 6 },
  F16: { size: 2, rank: 7 },
  BF16: { size: 2, rank: 8 },
  I32: { size: 4, rank: 9 },
  U32: { size: 4, rank: 10 },
  F32: { size: 4, rank: 11 },
  C64: { size: 8, rank: 12 },
  F64: { size: 8, rank: 13 },
  I64: { size: 8, rank: 14 },
  U64: { size: 8, rank: 15 },
};

const TO_ST: Record<string, string> = {
  float32: "F32",
  float64: "F64",
  int32: "I32",
  int64: "I64",
  bool: "BOOL",
  float16: "F16",
  bfloat16: "BF16",
  int16: "I16",
  int8: "I8",
  uint8: "U8",
  // the format has no complex128 (safetensors' Dtype stops at C64)
  complex64: "C64",
};

/** safetensors' MAX_HEADER_SIZE */
const MAX_HEADER = 100_000_000;

function entriesOf(d: TensorDict): [string, Tensor][] {
  if (d instanceof Map) return Array.from(d);
  if (d === null || typeof d !== "object") {
    throw new TypeError(`expected a state dict (an object or Map of tensors), got ${d}`);
  }
  return Object.entries(d);
}

/**
 * Names from a file are plain data: an own property even for `__proto__` (an assignment would
 * set the object's prototype instead, and the tensor would vanish from its keys).
 */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

const UTF8 = new TextEncoder();

/** Rust's String ordering: byte-wise on UTF-8. */
function compareBytes(a: string, b: string): number {
  const x = UTF8.encode(a);
  const y = UTF8.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** Little-endian bytes of a tensor's values (row-major). */
function tensorBytes(t: Tensor): Uint8Array {
  const n = t.numel();
  const { data, offset } = contiguousData(t);
  switch (t.dtype) {
    case complex64: {
      // interleaved re/im float32 pairs, as numpy's complex64 bytes (Note [complex storage])
      const out = new Float32Array(2 * n);
      for (let i = 0; i < 2 * n; i++) out[i] = data[offset + i];
      return leBytes(out);
    }
    case float32: {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = data[offset + i];
      return leBytes(out);
    }
    case float64: {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = data[offset + i];
      return leBytes(out);
    }
    case int32: {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = data[offset + i];
      return leBytes(out);
    }
    case int64: {
      const out = new Uint8Array(8 * n);
      const v = new DataView(out.buffer);
      for (let i = 0; i < n; i++) v.setBigInt64(8 * i, BigInt(Math.trunc(data[offset + i])), true);
      return out;
    }
    case bool: {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = data[offset + i] !== 0 ? 1 : 0;
      return out;
    }
    default: {
      // uint8, int8, and the 16-bit types (float16/bfloat16 as their bit patterns, Note
      // [half storage]): the stored elements themselves
      if (t.dtype.itemsize > 2) throw new TypeError(`cannot save a tensor of dtype ${t.dtype}`);
      const out = new t.dtype.ArrayType(n) as Uint8Array | Int8Array | Int16Array | Uint16Array;
      out.set(data.subarray(offset, offset + n));
      return out instanceof Uint8Array ? out : leBytes(out);
    }
  }
}

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function leBytes(
  a: Float32Array | Float64Array | Int32Array | Int8Array | Int16Array | Uint16Array,
): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE) return bytes;
  const size = a.BYTES_PER_ELEMENT;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size)
    for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j];
  return out;
}

/**
 * Serialise tensors to safetensors bytes (what `safetensors.torch.save` returns).
 *
 * @example
 * const bytes = torch.safetensors.serialize({ weight: torch.ones(2, 2) });
 */
export function serialize(tensors: TensorDict, opts: SaveOptions = {}): Uint8Array {
  const items = entriesOf(tensors).map(([name, t]) => {
    if (!(t instanceof Tensor)) {
      throw new TypeError(
        `torch.save (safetensors) stores tensors only: "${name}" is ${t === null ? "null" : typeof t}`,
      );
    }
    const dtype = TO_ST[t.dtype.name];
    if (dtype === undefined) throw new TypeError(`cannot save a tensor of dtype ${t.dtype}`);
    return { name, t, dtype };
  });
  items.sort(
    (a, b) => ST_DTYPES[b.dtype].rank - ST_DTYPES[a.dtype].rank || compareBytes(a.name, b.name),
  );
  const header: string[] = [];
  const meta = opts.metadata ?? null;
  if (meta !== null) {
    const keys = Object.keys(meta).sort(compareBytes);
    for (const k of keys) {
      if (typeof meta[k] !== "string")
        throw new TypeError(`metadata values must be strings: "${k}" is ${typeof meta[k]}`);
    }
    header.push(
      `"__metadata__":{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(meta[k])}`).join(",")}}`,
    );
  }
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const { name, t, dtype } of items) {
    const bytes = tensorBytes(t);
    header.push(
      `${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${t.shape.join(",")}],"data_offsets":[${offset},${offset + bytes.length}]}`,
    );
    offset += bytes.length;
    blobs.push(bytes);
  }
  let json = UTF8.encode(`{${header.join(",")}}`);
  const pad = (8 - (json.length % 8)) % 8;
  if (pad > 0) {
    const padded = new Uint8Array(json.length + pad).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const b of blobs) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

const fail = (msg: string): never => {
  throw new SafetensorsError(`invalid safetensors data: ${msg}`);
};

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Parse and validate the header; returns the entries, the metadata and the data's start. */
function readHeader(bytes: Uint8Array): {
  entries: Entry[];
  metadata: Record<string, string> | null;
  start: number;
} {
  if (bytes.length < 8) fail(`${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) fail(`header length ${n64} exceeds the limit of ${MAX_HEADER}`);
  const n = Number(n64);
  if (8 + n > bytes.length) {
    fail(`header length ${n} runs past the end of the data (${bytes.length} bytes): truncated?`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail("the header is not valid UTF-8");
  }
  if (!text.startsWith("{")) fail("the header does not start with '{'");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    fail("the header is not a JSON object");
  }
  const obj = json as Record<string, unknown>;
  let metadata: Record<string, string> | null = null;
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(obj)) {
    if (name === "__metadata__") {
      if (info === null) continue;
      if (typeof info !== "object" || Array.isArray(info)) fail("__metadata__ is not an object");
      const meta: Record<string, string> = {};
      for (const [k, v] of Object.entries(info as object)) {
        if (typeof v !== "string") fail(`__metadata__["${k}"] is not a string`);
        setOwn(meta, k, v as string);
      }
      metadata = meta;
      continue;
    }
    if (info === null || typeof info !== "object" || Array.isArray(info)) {
      fail(`the entry for "${name}" is not an object`);
    }
    const { dtype, shape, data_offsets: offs } = info as Record<string, unknown>;
    if (typeof dtype !== "string" || !(dtype in ST_DTYPES)) {
      fail(`tensor "${name}" has an unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (
      !Array.isArray(shape) ||
      !shape.every((s) => typeof s === "number" && Number.isSafeInteger(s) && s >= 0)
    ) {
      fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((s) => typeof s === "number" && Number.isSafeInteger(s) && s >= 0)
    ) {
      fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as number[];
    let numel = 1;
    for (const s of shape as number[]) {
      numel *= s;
      if (!Number.isSafeInteger(numel)) fail(`tensor "${name}": the shape's size overflows`);
    }
    if (end < begin)
      fail(`tensor "${name}": data_offsets [${begin}, ${end}] end before they begin`);
    const expected = numel * ST_DTYPES[dtype as string].size;
    if (end - begin !== expected) {
      fail(
        `tensor "${name}" of dtype ${dtype} and shape [${(shape as number[]).join(", ")}] needs ${expected} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    entries.push({ name, dtype: dtype as string, shape: shape as number[], begin, end });
  }
  // the tensors tile the data exactly: no gaps, no overlaps, nothing past the end
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin !== pos) {
      fail(`tensor "${e.name}" starts at byte ${e.begin}, expected ${pos} (gap or overlap)`);
    }
    pos = e.end;
  }
  const dataLen = bytes.length - 8 - n;
  if (pos !== dataLen) {
    fail(
      pos > dataLen
        ? `the tensors need ${pos} bytes of data but only ${dataLen} follow the header: truncated file`
        : `${dataLen - pos} bytes after the last tensor's data are not described by the header`,
    );
  }
  return { entries, metadata, start: 8 + n };
}

function decode(e: Entry, bytes: Uint8Array, start: number): Tensor {
  const view = new DataView(bytes.buffer, bytes.byteOffset + start + e.begin, e.end - e.begin);
  let numel = 1;
  for (const s of e.shape) numel *= s;
  const shape = e.shape.slice();
  let dtype: DType;
  let read: (i: number) => number;
  switch (e.dtype) {
    case "F32":
      [dtype, read] = [float32, (i) => view.getFloat32(4 * i, true)];
      break;
    case "F64":
      [dtype, read] = [float64, (i) => view.getFloat64(8 * i, true)];
      break;
    case "C64":
      // 2 * numel float32 values: each element's real part, then its imaginary part
      [dtype, read] = [complex64, (i) => view.getFloat32(4 * i, true)];
      break;
    // the half types keep their bit patterns (Note [half storage])
    case "F16":
      [dtype, read] = [float16, (i) => view.getUint16(2 * i, true)];
      break;
    case "BF16":
      [dtype, read] = [bfloat16, (i) => view.getUint16(2 * i, true)];
      break;
    case "I32":
      [dtype, read] = [int32, (i) => view.getInt32(4 * i, true)];
      break;
    case "I64":
      [dtype, read] = [int64, (i) => Number(view.getBigInt64(8 * i, true))];
      break;
    case "U64":
      [dtype, read] = [int64, (i) => Number(view.getBigUint64(8 * i, true))];
      break;
    case "U32":
      [dtype, read] = [int64, (i) => view.getUint32(4 * i, true)];
      break;
    case "I16":
      [dtype, read] = [int16, (i) => view.getInt16(2 * i, true)];
      break;
    case "U16":
      [dtype, read] = [int32, (i) => view.getUint16(2 * i, true)];
      break;
    case "I8":
      [dtype, read] = [int8, (i) => view.getInt8(i)];
      break;
    case "U8":
      [dtype, read] = [uint8, (i) => view.getUint8(i)];
      break;
    case "BOOL":
      [dtype, read] = [bool, (i) => (view.getUint8(i) !== 0 ? 1 : 0)];
      break;
    default:
      throw new SafetensorsError(
        `tensor "${e.name}": dtype ${e.dtype} is not supported by tensorgrad`,
      );
  }
  const data = new dtype.ArrayType(dtype.lanes * numel);
  for (let i = 0; i < dtype.lanes * numel; i++) data[i] = read(i);
  return wrap(data, shape, dtype);
}

/**
 * Parse safetensors bytes (what Python's `safetensors.torch.save` produced). F16, BF16, I8,
 * I16, U8 and C64 load as float16, bfloat16, int8, int16, uint8 and complex64; U16 as int32;
 * U32/U64 as int64.
 *
 * @example
 * const bytes = torch.safetensors.serialize({ w: torch.ones(2) }, { metadata: { epoch: "1" } });
 * const { tensors, metadata } = torch.safetensors.deserialize(bytes); // { w: tensor([1., 1.]) }, { epoch: "1" }
 */
export function deserialize(bytes: Uint8Array): Loaded {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("deserialize expects a Uint8Array");
  const { entries, metadata, start } = readHeader(bytes);
  const names = entries.map((e) => e.name).sort(compareBytes);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const tensors: Record<string, Tensor> = {};
  for (const name of names) setOwn(tensors, name, decode(byName.get(name) as Entry, bytes, start));
  return { tensors, metadata };
}

/**
 * torch.safetensors.save(stateDict, path, { metadata? }): write a state dict as a .safetensors
 * file that Python loads with `safetensors.torch.load_file(path)` (and
 * `model.load_state_dict(...)`). `torch.save` does the same for a path ending in `.safetensors`.
 *
 * @example
 * const model = new torch.nn.Linear(2, 1);
 * torch.safetensors.save(model.stateDict(), "model.safetensors");
 */
export function save(stateDict: TensorDict, path: string, opts: SaveOptions = {}): void {
  nodeFs().writeFileSync(path, serialize(stateDict, opts));
}

/**
 * torch.safetensors.load(path): read a .safetensors file (from tensorgrad or Python's
 * `safetensors.torch.save_file`) as a state dict, keys sorted (what `torch.load` gives for one).
 *
 * @example
 * const model = new torch.nn.Linear(2, 1);
 * torch.safetensors.save(model.stateDict(), "model.safetensors");
 * model.loadStateDict(torch.safetensors.load("model.safetensors"));
 */
export function load(path: string): Record<string, Tensor> {
  return loadWithMetadata(path).tensors;
}

/** torch.safetensors.load that also returns the header's `__metadata__`. */
export function loadWithMetadata(path: string): Loaded {
  return deserialize(new Uint8Array(nodeFs().readFileSync(path)));
}

/**
 * The safetensors functions on bytes (no file system: these work in a browser too).
 *
 * @example
 * const model = new torch.nn.Linear(2, 1);
 * const bytes = torch.safetensors.serialize(model.stateDict());
 * model.loadStateDict(torch.safetensors.deserialize(bytes).tensors);
 */
export const safetensors = {
  /** A state dict as the bytes of a safetensors file (safetensors.torch.save). */
  serialize,
  /** The tensors and metadata of a safetensors file's bytes (safetensors.torch.load). */
  deserialize,
  /** Writes a state dict to a .safetensors file (safetensors.torch.save_file). */
  save,
  /** Reads a .safetensors file's tensors (safetensors.torch.load_file). */
  load,
  /** Reads a .safetensors file's tensors and metadata. */
  loadWithMetadata,
};
