/**
 * torch.save / torch.load in PyTorch's checkpoint format (what `torch.save` writes since 1.6):
 * a zip archive (stored entries, each entry's data aligned to 64 bytes) holding
 *
 *   <archive>/data.pkl   the object, a protocol-2 pickle in which every tensor is
 *                        `torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
 *                        requires_grad, OrderedDict())` and every storage a persistent id
 *                        `("storage", torch.FloatStorage, "<key>", "cpu", numel)`
 *   <archive>/data/<key> each storage's bytes (little-endian), once however many tensors view it
 *   <archive>/version    "3\n"
 *
 * Reading goes through the restricted unpickler of src/pickle.ts (Note [restricted unpickling]):
 * it accepts what PyTorch 1.13's `torch.load(weights_only=True)` accepts (tensors, parameters,
 * OrderedDict, dicts, lists, tuples, ints, strings, booleans, None, plus floats) and refuses any
 * other GLOBAL before anything else happens. Storages are checked against their records (the
 * declared element count must match the record's bytes exactly, so a huge `numel` allocates
 * nothing) and views against their storage (offset and strides in range). The zip container is
 * fflate's; entry sizes are bounded before anything inflates and every CRC-32 is checked.
 *
 * Note [pickle values in JavaScript]: Python lists and tuples load as arrays; a dict (or
 * OrderedDict) loads as a plain object when its keys are strings, or non-negative integers in
 * ascending order before the strings (the optimizer's `state`, keyed by parameter ids): JS
 * objects hold such keys as integers, in that order. Any other dict (keys of other types, or
 * strings that read as integers, or an order a plain object cannot keep) loads as a Map. Saving
 * inverts this: a plain object's integer-like keys are written as Python ints, a Map's keys as
 * they are. Numbers that are safe integers are written as Python ints, others as floats; bigints
 * as ints. Every storage class of the dtypes tensorgrad has loads in that dtype (float16 and
 * bfloat16 as their bit patterns, Note [half storage]).
 */
import { unzipSync, zipSync } from "fflate";
import { Tensor } from "./tensor.js";
import {
  bool,
  float32,
  float64,
  int32,
  int64,
  uint8,
  int8,
  int16,
  float16,
  bfloat16,
  complex64,
  complex128,
  dtypes,
  DType,
  type TypedArray,
} from "./dtype.js";
import { Parameter } from "./nn/parameter.js";
import { KeyError, RuntimeError, TypeError, UnpicklingError, ValueError } from "./errors.js";
import { nodeFs, nodePath, nodeZlib } from "./data/node-io.js";
import {
  MAX_NESTING,
  Pickler,
  PyDict,
  PyGlobal,
  PySet,
  PyTuple,
  pyTypeName,
  unpickle,
  type UnpickleHooks,
} from "./pickle.js";
import * as st from "./serialization.js";

// ---------------------------------------------------------------------------------------------
// storages

/** How a storage's bytes become one of tensorgrad's arrays. */
interface StorageKind {
  dtype: DType;
  itemsize: number;
  decode(bytes: Uint8Array, numel: number): TypedArray;
}

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A copy of the bytes as an array of `Ctor` (copied: a zip entry need not be aligned). */
function direct(
  Ctor: Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor,
  get: (v: DataView, i: number) => number,
) {
  return (bytes: Uint8Array, numel: number): TypedArray => {
    if (LITTLE) return new Ctor(bytes.slice().buffer, 0, numel);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Ctor(numel);
    for (let i = 0; i < numel; i++) out[i] = get(v, i);
    return out;
  };
}

function viaView(
  ArrayType: new (n: number) => TypedArray,
  get: (v: DataView, i: number) => number,
) {
  return (bytes: Uint8Array, numel: number): TypedArray => {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new ArrayType(numel);
    for (let i = 0; i < numel; i++) out[i] = get(v, i);
    return out;
  };
}

/** The storage classes tensorgrad reads, by their pickled names. */
const STORAGE_KINDS: Record<string, StorageKind> = {
  FloatStorage: {
    dtype: float32,
    itemsize: 4,
    decode: direct(Float32Array, (v, i) => v.getFloat32(4 * i, true)),
  },
  DoubleStorage: {
    dtype: float64,
    itemsize: 8,
    decode: direct(Float64Array, (v, i) => v.getFloat64(8 * i, true)),
  },
  IntStorage: {
    dtype: int32,
    itemsize: 4,
    decode: direct(Int32Array, (v, i) => v.getInt32(4 * i, true)),
  },
  // Note [int64 storage]: lo + hi·2^32 is one correctly rounded addition (exact below 2^53)
  LongStorage: {
    dtype: int64,
    itemsize: 8,
    decode: viaView(
      Float64Array,
      (v, i) => v.getUint32(8 * i, true) + v.getInt32(8 * i + 4, true) * 4294967296,
    ),
  },
  ByteStorage: { dtype: uint8, itemsize: 1, decode: (b) => b.slice() },
  BoolStorage: { dtype: bool, itemsize: 1, decode: (b) => b.map((x) => (x !== 0 ? 1 : 0)) },
  // the half types keep their bit patterns (Note [half storage])
  HalfStorage: {
    dtype: float16,
    itemsize: 2,
    decode: viaView(Uint16Array, (v, i) => v.getUint16(2 * i, true)),
  },
  BFloat16Storage: {
    dtype: bfloat16,
    itemsize: 2,
    decode: viaView(Uint16Array, (v, i) => v.getUint16(2 * i, true)),
  },
  ShortStorage: {
    dtype: int16,
    itemsize: 2,
    decode: viaView(Int16Array, (v, i) => v.getInt16(2 * i, true)),
  },
  CharStorage: { dtype: int8, itemsize: 1, decode: viaView(Int8Array, (v, i) => v.getInt8(i)) },
  // Note [complex storage]: numel complex elements are 2 * numel interleaved re/im values
  ComplexFloatStorage: {
    dtype: complex64,
    itemsize: 8,
    decode: (b, numel) => direct(Float32Array, (v, i) => v.getFloat32(4 * i, true))(b, 2 * numel),
  },
  ComplexDoubleStorage: {
    dtype: complex128,
    itemsize: 16,
    decode: (b, numel) => direct(Float64Array, (v, i) => v.getFloat64(8 * i, true))(b, 2 * numel),
  },
};

/** The storage class PyTorch pickles for each of tensorgrad's dtypes. */
const STORAGE_OF: Record<string, string> = {
  float32: "FloatStorage",
  float64: "DoubleStorage",
  int32: "IntStorage",
  int64: "LongStorage",
  uint8: "ByteStorage",
  bool: "BoolStorage",
  int8: "CharStorage",
  int16: "ShortStorage",
  float16: "HalfStorage",
  bfloat16: "BFloat16Storage",
  complex64: "ComplexFloatStorage",
  complex128: "ComplexDoubleStorage",
};

/** A loaded storage: one array shared by every tensor that views it. */
class Storage {
  constructor(
    readonly array: TypedArray,
    readonly dtype: DType,
    readonly kind: string,
  ) {}
}

// ---------------------------------------------------------------------------------------------
// the allow-list: PyTorch 1.13's `_get_allowed_globals()`, and what tensorgrad makes of each

type Allowed =
  | { kind: "OrderedDict" }
  | { kind: "rebuild_tensor_v2" }
  | { kind: "rebuild_tensor" }
  | { kind: "rebuild_parameter" }
  | { kind: "Parameter" }
  | { kind: "Size" }
  | { kind: "storage"; name: string }
  | { kind: "dtype"; dtype: DType | null }
  | { kind: "unsupported" };

const TENSOR_TYPES = [
  "BFloat16",
  "Bool",
  "Byte",
  "Char",
  "Double",
  "Float",
  "Half",
  "Int",
  "Long",
  "Short",
];
const STORAGE_TYPES = [...TENSOR_TYPES, "ComplexDouble", "ComplexFloat"];

function allowList(): Map<string, Allowed> {
  const m = new Map<string, Allowed>();
  m.set("collections.OrderedDict", { kind: "OrderedDict" });
  m.set("torch.nn.parameter.Parameter", { kind: "Parameter" });
  m.set("torch.Size", { kind: "Size" });
  m.set("torch._utils._rebuild_tensor_v2", { kind: "rebuild_tensor_v2" });
  m.set("torch._utils._rebuild_tensor", { kind: "rebuild_tensor" });
  m.set("torch._utils._rebuild_parameter", { kind: "rebuild_parameter" });
  const unsupported: Allowed = { kind: "unsupported" };
  for (const n of [
    "torch.serialization._get_layout",
    "torch.Tensor",
    "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_sparse_csr_tensor",
    "torch.storage.TypedStorage",
    "torch.storage.UntypedStorage",
  ])
    m.set(n, unsupported);
  for (const d of ["complex32", "float16", "int8", "int16"])
    m.set(`torch.${d}`, { kind: "dtype", dtype: null });
  for (const d of ["float32", "float64", "int32", "int64", "complex64", "complex128"])
    m.set(`torch.${d}`, { kind: "dtype", dtype: dtypes[d as "float32"] });
  for (const t of TENSOR_TYPES) {
    for (const mod of ["torch", "torch.cuda"]) m.set(`${mod}.${t}Tensor`, unsupported);
    if (t !== "Bool")
      for (const mod of ["torch.sparse", "torch.cuda.sparse"])
        m.set(`${mod}.${t}Tensor`, unsupported);
  }
  for (const s of STORAGE_TYPES) {
    m.set(`torch.${s}Storage`, { kind: "storage", name: `${s}Storage` });
    m.set(`torch.cuda.${s}Storage`, { kind: "storage", name: `${s}Storage` });
  }
  for (const q of ["QInt32", "QInt8", "QUInt2x4", "QUInt4x2", "QUInt8"])
    m.set(`torch.${q}Storage`, { kind: "storage", name: `${q}Storage` });
  return m;
}
let ALLOWED: Map<string, Allowed> | null = null;

// ---------------------------------------------------------------------------------------------
// reading

/** A refusal while unpickling (`loadZip` prefixes PyTorch's "Weights only load failed."). */
const loadError = (msg: string): never => {
  throw new UnpicklingError(msg);
};

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

/** A size or stride tuple: non-negative safe integers. */
function intTuple(v: unknown, what: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (items === null || !items.every((x) => isInt(x) && x >= 0))
    return loadError(
      `a tensor's ${what} must be a tuple of non-negative ints, got ${pyTypeName(v)}`,
    );
  return items as number[];
}

/** `_rebuild_tensor`: a tensor viewing `storage` after checking the view stays inside it. */
function rebuildTensor(
  storage: unknown,
  offset: unknown,
  sizeV: unknown,
  strideV: unknown,
): Tensor {
  if (!(storage instanceof Storage))
    return loadError(`a tensor's storage must be a storage, got ${pyTypeName(storage)}`);
  if (!isInt(offset) || offset < 0)
    return loadError(`a tensor's storage offset must be a non-negative int, got ${String(offset)}`);
  const size = intTuple(sizeV, "size");
  const stride = intTuple(strideV, "stride");
  if (size.length !== stride.length)
    loadError(
      `a tensor's size (${size.length} dims) and stride (${stride.length} dims) differ in length`,
    );
  const n = storage.array.length / storage.dtype.lanes; // elements (Note [complex storage])
  let numel = 1;
  let last = offset;
  for (let d = 0; d < size.length; d++) {
    numel *= size[d];
    last += (size[d] - 1) * stride[d];
  }
  if (!Number.isSafeInteger(numel) || !Number.isSafeInteger(last))
    loadError(`a tensor of size [${size.join(", ")}] overflows`);
  if (numel === 0 ? offset > n : last >= n)
    loadError(
      `a tensor of size [${size.join(", ")}], stride [${stride.join(", ")}] and storage offset ${offset} reaches element ${last} of a storage of ${n} elements`,
    );
  return new Tensor(storage.array, size.slice(), stride.slice(), offset, storage.dtype);
}

function setRequiresGrad(t: Tensor, v: unknown): void {
  if (typeof v !== "boolean") loadError(`requires_grad must be a bool, got ${pyTypeName(v)}`);
  if (v === true) {
    if (!t.dtype.isFloatingPoint)
      throw new RuntimeError(
        "only Tensors of floating point and complex dtype can require gradients",
      );
    t.requiresGrad_(true);
  }
}

function hooks(records: (name: string) => Uint8Array | undefined): UnpickleHooks {
  const storages = new Map<string, Storage>();
  const allowed = (ALLOWED ??= allowList());
  const unsupported = (g: PyGlobal): never =>
    loadError(`tensorgrad cannot load ${g.fullName} (sparse, meta, quantized or legacy tensors)`);
  return {
    global: (full) => allowed.get(full),
    newobj(cls, args) {
      if ((cls.value as Allowed).kind !== "Parameter")
        return loadError(`Trying to instantiate unsupported class <class '${cls.fullName}'>`);
      const [data, rg = true] = args;
      if (!(data instanceof Tensor)) return loadError("Parameter's data must be a tensor");
      if (typeof rg !== "boolean") return loadError("Parameter's requires_grad must be a bool");
      return new Parameter(data, rg);
    },
    reduce(fn, args) {
      const a = fn.value as Allowed;
      switch (a.kind) {
        case "OrderedDict":
          if (args.length !== 0) loadError("OrderedDict is rebuilt without arguments");
          return new PyDict(true);
        case "rebuild_tensor_v2": {
          // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
          if (args.length !== 6 && args.length !== 7)
            loadError(`_rebuild_tensor_v2 takes 6 arguments, got ${args.length}`);
          const t = rebuildTensor(args[0], args[1], args[2], args[3]);
          if (!(args[5] instanceof PyDict)) loadError("backward_hooks must be an OrderedDict");
          setRequiresGrad(t, args[4]);
          return t;
        }
        case "rebuild_tensor":
          if (args.length !== 4) loadError(`_rebuild_tensor takes 4 arguments, got ${args.length}`);
          return rebuildTensor(args[0], args[1], args[2], args[3]);
        case "rebuild_parameter": {
          // (data, requires_grad, backward_hooks)
          if (args.length !== 3)
            loadError(`_rebuild_parameter takes 3 arguments, got ${args.length}`);
          const [data, rg] = args;
          if (!(data instanceof Tensor)) return loadError("a parameter's data must be a tensor");
          if (typeof rg !== "boolean")
            return loadError("a parameter's requires_grad must be a bool");
          return new Parameter(data, rg);
        }
        case "Size":
          if (args.length !== 1) loadError("torch.Size takes one tuple");
          return intTuple(args[0], "torch.Size");
        default:
          return unsupported(fn);
      }
    },
    build(inst, state) {
      // OrderedDict's instance attributes (a state dict's `_metadata`): not kept
      if (inst instanceof PyDict && inst.ordered) return state instanceof PyDict || state === null;
      return false;
    },
    persistentLoad(pid) {
      // ("storage", storage_type, key, location, numel)
      const items = pid instanceof PyTuple ? pid.items : [];
      if (items.length !== 5) return loadError("a storage's persistent id must be a 5-tuple");
      const [, type, key, location, numel] = items;
      if (!(type instanceof PyGlobal) || (type.value as Allowed).kind !== "storage")
        return loadError(`a storage's type must be a storage class, got ${pyTypeName(type)}`);
      if (typeof key !== "string" || typeof location !== "string")
        return loadError("a storage's key and location must be strings");
      // a non-negative int: a number, or a bigint (LONG1) only a record's length can refute
      if (!((isInt(numel) && numel >= 0) || (typeof numel === "bigint" && numel >= 0n)))
        return loadError(`a storage's size must be a non-negative int, got ${String(numel)}`);
      const name = (type.value as { name: string }).name;
      const kind = STORAGE_KINDS[name];
      if (kind === undefined) return loadError(`tensorgrad has no dtype for torch.${name}`);
      const cached = storages.get(key);
      if (cached !== undefined) {
        if (cached.kind !== name || cached.array.length / cached.dtype.lanes !== numel)
          loadError(`storage ${key} is declared twice with different types or sizes`);
        return cached;
      }
      const rec = records(`data/${key}`);
      if (rec === undefined)
        return loadError(`PytorchStreamReader failed locating file data/${key}: file not found`);
      // exact in BigInt: a declared size is checked against bytes already read, never allocated
      const declared = BigInt(numel as number | bigint) * BigInt(kind.itemsize);
      if (BigInt(rec.length) !== declared)
        loadError(
          `storage data/${key} has ${rec.length} bytes, but its pickle declares ${numel} elements of torch.${name} (${declared} bytes)`,
        );
      const s = new Storage(kind.decode(rec, Number(numel)), kind.dtype, name);
      storages.set(key, s);
      return s;
    },
  };
}

/** Strings that read as Python ints (no "-0", no leading zeros: those stay strings). */
const INT_KEY = /^(0|-?[1-9][0-9]*)$/;
/** Keys a plain object keeps as integers, in ascending order before its other keys. */
const MAX_INDEX = 2 ** 32 - 2;

/** A dict as a plain object when one keeps its keys and order exactly, else as a Map. */
function dictValue(
  d: PyDict,
  conv: (v: unknown) => unknown,
): Record<string, unknown> | Map<unknown, unknown> {
  let plain = true;
  let lastInt = -1;
  let sawString = false;
  for (const k of d.map.keys()) {
    if (typeof k === "string") {
      sawString = true;
      if (INT_KEY.test(k)) plain = false;
    } else if (isInt(k) && k >= 0 && k <= MAX_INDEX && !sawString && k > lastInt) lastInt = k;
    else plain = false;
    if (!plain) break;
  }
  if (!plain) {
    const m = new Map<unknown, unknown>();
    for (const [k, v] of d.map) m.set(k instanceof PyTuple ? conv(k) : k, conv(v));
    return m;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of d.map)
    // an own property even for "__proto__" (an assignment would set the prototype)
    Object.defineProperty(out, String(k), {
      value: conv(v),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/**
 * The unpickled graph as JavaScript values (Note [pickle values in JavaScript]), shared objects
 * staying shared; cycles and nesting past MAX_NESTING are refused (a consumer walking the result
 * would not end, or overflow its stack).
 */
function toJs(root: unknown): unknown {
  const done = new Map<object, unknown>();
  const active = new Set<object>();
  let depth = 0;
  const conv = (v: unknown): unknown => {
    if (v === null || typeof v !== "object" || v instanceof Tensor) return v;
    if (v instanceof Storage)
      return loadError("tensorgrad has no storage objects: save tensors rather than storages");
    if (v instanceof PyGlobal) {
      const a = v.value as Allowed;
      if (a.kind === "dtype") return a.dtype ?? loadError(`tensorgrad has no dtype ${v.fullName}`);
      return loadError(
        `${v.fullName} is not data tensorgrad can return (a class or function never called)`,
      );
    }
    const prev = done.get(v);
    if (prev !== undefined) return prev;
    if (active.has(v)) return loadError("the pickle's containers form a cycle");
    if (++depth > MAX_NESTING) loadError(`the pickle nests deeper than ${MAX_NESTING} levels`);
    active.add(v);
    let out: unknown;
    if (Array.isArray(v)) out = v.map(conv);
    else if (v instanceof PyTuple) out = v.items.map(conv);
    else if (v instanceof PyDict) out = dictValue(v, conv);
    else if (v instanceof PySet) out = new Set([...v.items].map(conv));
    else out = loadError(`cannot return a ${pyTypeName(v)}`);
    active.delete(v);
    depth--;
    done.set(v, out);
    return out;
  };
  return conv(root);
}

const zipError = (msg: string): never => {
  throw new RuntimeError(`PytorchStreamReader failed reading zip archive: ${msg}`);
};

/** CRC-32 (IEEE), the zip entries' checksum. */
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();
/** Node's native zlib.crc32 (Node 20.15+), about 9x the table loop; null where absent. */
let nativeCrc: ((b: Uint8Array) => number) | null | undefined;
function crc32(b: Uint8Array): number {
  if (nativeCrc === undefined) {
    try {
      const z = nodeZlib();
      nativeCrc = typeof z.crc32 === "function" ? (x) => z.crc32(x) : null;
    } catch {
      nativeCrc = null; // a browser: the table loop
    }
  }
  if (nativeCrc !== null) return nativeCrc(b);
  let c = -1;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** The central directory's names and CRC-32s (fflate's unzip does not check them). */
function centralCrcs(bytes: Uint8Array): Map<string, number> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let e = bytes.length - 22;
  while (e >= 0 && v.getUint32(e, true) !== 0x06054b50) {
    if (bytes.length - e > 65557) e = -1;
    else e--;
  }
  if (e < 0) return zipError("failed finding central directory");
  let count = v.getUint16(e + 10, true);
  let off = v.getUint32(e + 16, true);
  if (e >= 20 && v.getUint32(e - 20, true) === 0x07064b50) {
    const z = Number(v.getBigUint64(e - 12, true));
    if (z + 56 > bytes.length || v.getUint32(z, true) !== 0x06064b50)
      return zipError("invalid zip64 end of central directory");
    count = Number(v.getBigUint64(z + 32, true));
    off = Number(v.getBigUint64(z + 48, true));
  }
  const out = new Map<string, number>();
  const dec = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (off + 46 > bytes.length || v.getUint32(off, true) !== 0x02014b50)
      return zipError("invalid central directory entry");
    const fnl = v.getUint16(off + 28, true);
    if (off + 46 + fnl > bytes.length) return zipError("invalid central directory entry");
    out.set(dec.decode(bytes.subarray(off + 46, off + 46 + fnl)), v.getUint32(off + 16, true));
    off += 46 + fnl + v.getUint16(off + 30, true) + v.getUint16(off + 32, true);
  }
  return out;
}

/** Deflate cannot expand data more than 1032-fold; a larger declared size is a lie. */
const MAX_RATIO = 1032;
/** The largest total of uncompressed entries read (a typed array's limit). */
const MAX_TOTAL = 2 ** 31;

/** The archive's entries, checked: known compression, bounded sizes, lengths and CRCs. */
function readZip(bytes: Uint8Array): Map<string, Uint8Array> {
  if (bytes.length < 22) zipError("failed finding central directory");
  const crcs = centralCrcs(bytes);
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter(f) {
        if (f.compression !== 0 && f.compression !== 8)
          zipError(`file ${f.name}: unsupported compression method ${f.compression}`);
        if (f.compression === 0 && f.originalSize !== f.size)
          zipError(`file ${f.name}: stored entry of ${f.size} bytes declares ${f.originalSize}`);
        if (f.originalSize > f.size * MAX_RATIO + 1024)
          zipError(`file ${f.name}: declares ${f.originalSize} bytes from ${f.size} compressed`);
        total += f.originalSize;
        if (total > MAX_TOTAL) zipError(`the entries exceed ${MAX_TOTAL} bytes`);
        return true;
      },
    });
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    return zipError((err as Error).message);
  }
  const out = new Map<string, Uint8Array>();
  for (const [name, data] of Object.entries(files)) {
    const crc = crcs.get(name);
    if (crc === undefined) zipError(`file ${name} is not in the central directory`);
    if (crc32(data) !== crc)
      throw new RuntimeError(
        `PytorchStreamReader failed reading file ${name}: file read failed (CRC-32 mismatch: truncated or corrupted archive)`,
      );
    out.set(name, data);
  }
  return out;
}

/** Read a PyTorch zip checkpoint's object. */
function loadZip(bytes: Uint8Array): unknown {
  const files = readZip(bytes);
  const first = files.keys().next();
  if (first.done === true) return zipError("the archive is empty");
  const slash = first.value.indexOf("/");
  const prefix = slash < 0 ? "" : first.value.slice(0, slash + 1);
  // PyTorch 2.x records the byte order; every storage reader here is little-endian
  const order = files.get(`${prefix}byteorder`);
  if (order !== undefined && new TextDecoder().decode(order) !== "little")
    throw new RuntimeError(
      `torch.load: the checkpoint's storages are ${new TextDecoder().decode(order)}-endian; tensorgrad reads little-endian ones`,
    );
  const pkl = files.get(`${prefix}data.pkl`);
  if (pkl === undefined)
    throw new RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found");
  try {
    return toJs(
      unpickle(
        pkl,
        hooks((name) => files.get(prefix + name)),
      ),
    );
  } catch (e) {
    if (!(e instanceof UnpicklingError)) throw e;
    // PyTorch's wording, less its advice to retry with weights_only=False (tensorgrad has none)
    throw new UnpicklingError(
      `Weights only load failed. tensorgrad's torch.load reads tensors and plain data only, as PyTorch's weights_only=True (save a module or optimizer as its state_dict()). WeightsUnpickler error: ${e.message}`,
    );
  }
}

/** Bytes of a file or of the caller's array. */
function bytesOf(f: string | Uint8Array): Uint8Array {
  if (f instanceof Uint8Array) return f;
  if (typeof f === "string") return new Uint8Array(nodeFs().readFileSync(f));
  throw new TypeError(
    `torch.load expects a path or a Uint8Array, got ${f === null ? "null" : typeof f}`,
  );
}

/** torch.load's options (PyTorch's `map_location` and `weights_only`). */
export interface LoadOptions {
  /** where tensors go: only the CPU ("cpu", or null) */
  mapLocation?: string | null;
  /** only true (the default here): the pickle is never run */
  weightsOnly?: boolean;
}

/** What `torch.load` returns: a state dict by default; name the type of other checkpoints. */
export type LoadResult = Record<string, Tensor>;

/**
 * torch.load(f): read a checkpoint from a path or bytes. PyTorch's zip format (`torch.save` of
 * PyTorch 1.6+ or tensorgrad) goes through a weights-only unpickler: tensors (shared storages
 * and views kept), dicts, lists, tuples (as arrays), numbers, strings, booleans and None load;
 * anything else (any other class or function in the pickle) is refused with an
 * `UnpicklingError`, nothing from the file being executed. A safetensors file (detected by
 * content) loads as its state dict, as tensorgrad's torch.load did before.
 *
 * `mapLocation` may only be the CPU (every tensor loads there) and `weightsOnly` only true:
 * tensorgrad has no loading that runs a pickle's code.
 *
 * @example
 * const model = new torch.nn.Linear(2, 2);
 * torch.save(model.stateDict(), "model.pt");
 * torch.save({ model: model.stateDict(), epoch: 3 }, "ckpt.pt");
 * model.loadStateDict(torch.load("model.pt"));
 * const ckpt = torch.load<{ model: Record<string, torch.Tensor>; epoch: number }>("ckpt.pt");
 * torch.load("model.pt", { mapLocation: "cpu", weightsOnly: true });
 */
export function load<T = LoadResult>(f: string | Uint8Array, opts: LoadOptions = {}): T {
  for (const k of Object.keys(opts))
    if (k !== "mapLocation" && k !== "weightsOnly")
      throw new TypeError(`load() got an unexpected keyword argument '${k}'`);
  const loc = opts.mapLocation;
  if (loc != null && !(typeof loc === "string" && /^cpu(:0)?$/.test(loc)))
    throw new ValueError(
      `torch.load: tensorgrad loads every tensor to the CPU; mapLocation ${JSON.stringify(loc)} is not supported`,
    );
  if (opts.weightsOnly === false)
    throw new ValueError(
      "torch.load: tensorgrad only loads weights (weightsOnly: false, which runs the pickle's code, does not exist here)",
    );
  const bytes = bytesOf(f);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = bytes.length >= 4 ? v.getUint32(0, true) : 0;
  // "PK\x03\x04" (an archive) or "PK\x05\x06" (an empty one)
  if (magic === 0x04034b50 || magic === 0x06054b50) return loadZip(bytes) as T;
  // the legacy format (torch.save(..., _use_new_zipfile_serialization=False)) starts with a pickle
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] <= 5)
    throw new RuntimeError(
      "torch.load: this is PyTorch's legacy (pre-1.6, non-zip) format, which tensorgrad does not read; re-save it in PyTorch with torch.save(obj, path)",
    );
  // safetensors: an 8-byte header length, then the JSON header's "{"
  if (bytes.length > 8 && bytes[8] === 0x7b) return st.deserialize(bytes).tensors as T;
  throw new RuntimeError(
    "torch.load: the data is neither a PyTorch checkpoint (a zip archive, as torch.save writes) nor a safetensors file",
  );
}

// ---------------------------------------------------------------------------------------------
// writing

/** The bytes of a whole storage, little-endian, as PyTorch stores `dtype`. */
function storageBytes(a: TypedArray, dtype: DType): Uint8Array {
  if (dtype === int64) {
    const out = new Uint8Array(8 * a.length);
    const v = new DataView(out.buffer);
    for (let i = 0; i < a.length; i++) {
      // an integral double split exactly: hi = floor(x / 2^32), lo = x - hi·2^32
      const x = Math.trunc(a[i]);
      const hi = Math.floor(x / 4294967296);
      v.setUint32(8 * i, x - hi * 4294967296, true);
      v.setInt32(8 * i + 4, hi | 0, true);
    }
    return out;
  }
  if (dtype === bool) return Uint8Array.from(a as Uint8Array, (x) => (x !== 0 ? 1 : 0));
  if (LITTLE || a.BYTES_PER_ELEMENT === 1)
    return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const out = new Uint8Array(a.byteLength);
  const v = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (dtype === float32 || dtype === complex64) v.setFloat32(4 * i, a[i], true);
    else if (dtype === float64 || dtype === complex128) v.setFloat64(8 * i, a[i], true);
    else if (a.BYTES_PER_ELEMENT === 2) v.setUint16(2 * i, a[i] & 0xffff, true);
    else v.setInt32(4 * i, a[i], true);
  }
  return out;
}

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

class Writer {
  readonly p = new Pickler();
  /** storages by their array: key and dtype */
  readonly storages = new Map<TypedArray, { key: string; dtype: DType }>();
  private depth = 0;
  /** the containers being written (an object met again inside itself is a cycle) */
  private readonly active = new Set<object>();

  value(v: unknown): void {
    const p = this.p;
    if (v === null || v === undefined) return p.none();
    switch (typeof v) {
      case "boolean":
        return p.bool(v);
      case "number":
        return Number.isSafeInteger(v) && !Object.is(v, -0) ? p.int(v) : p.float(v);
      case "bigint":
        return p.int(v);
      case "string":
        return p.str(v);
      case "object":
        break;
      default:
        throw new TypeError(`torch.save: cannot save a ${typeof v}`);
    }
    if (v instanceof Tensor) return this.tensor(v);
    if (v instanceof DType) {
      if (!["float32", "float64", "int32", "int64", "complex64", "complex128"].includes(v.name))
        throw new TypeError(`torch.save: PyTorch 1.13's weights-only loading has no ${String(v)}`);
      return p.global("torch", v.name);
    }
    if (this.active.has(v))
      throw new ValueError(
        "torch.save: the object contains itself (a cycle torch.load would refuse)",
      );
    if (p.recall(v)) return;
    if (++this.depth > MAX_NESTING)
      throw new ValueError(
        `torch.save: the object nests deeper than ${MAX_NESTING} levels (or contains itself)`,
      );
    this.active.add(v);
    if (Array.isArray(v)) {
      p.emptyList();
      p.memoize(v);
      if (v.length > 0) {
        p.mark();
        for (const x of v) this.value(x);
        p.appends();
      }
    } else if (v instanceof Map) {
      this.dict(v, [...v.entries()]);
    } else if (isPlainObject(v)) {
      const entries = Object.entries(v).map(([k, x]): [unknown, unknown] => {
        const n = Number(k);
        return [INT_KEY.test(k) && Number.isSafeInteger(n) ? n : k, x];
      });
      this.dict(v, entries);
    } else {
      const name = (v as object).constructor?.name ?? "object";
      throw new TypeError(
        `torch.save: cannot save a ${name}; checkpoints hold tensors, numbers, strings, booleans, null, arrays, plain objects and Maps`,
      );
    }
    this.active.delete(v);
    this.depth--;
  }

  private dict(v: object, entries: [unknown, unknown][]): void {
    const p = this.p;
    p.emptyDict();
    p.memoize(v);
    if (entries.length === 0) return;
    p.mark();
    for (const [k, x] of entries) {
      if (k !== null && typeof k === "object")
        throw new TypeError(
          `torch.save: a dict key must be a string, number, boolean or null, got ${pyTypeName(k)}`,
        );
      this.value(k);
      this.value(x);
    }
    p.setitems();
  }

  private tensor(t: Tensor): void {
    const p = this.p;
    if (p.recall(t)) return;
    if (t instanceof Parameter) {
      // Parameter.__reduce_ex__: _rebuild_parameter(self.data, self.requires_grad, OrderedDict())
      p.global("torch._utils", "_rebuild_parameter");
      this.rebuild(t, false);
      p.bool(t.requiresGrad);
      this.emptyOrderedDict();
      p.tuple(3);
      p.reduce();
    } else this.rebuild(t, t.requiresGrad);
    p.memoize(t);
  }

  /** `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())` */
  private rebuild(t: Tensor, requiresGrad: boolean): void {
    const p = this.p;
    // Note [sparse tensors]: no storage to write (PyTorch pickles the indices and values)
    if (t.isSparse)
      throw new RuntimeError(
        "tensorgrad cannot save sparse tensors yet: save t._indices(), t._values() and t.shape",
      );
    const kind = STORAGE_OF[t.dtype.name];
    // complex32: PyTorch 1.13 has no storage class to pickle it with
    if (kind === undefined) throw new KeyError(`dtype torch.${t.dtype.name} is not recognized`);
    let s = this.storages.get(t.typedArray);
    if (s === undefined) {
      s = { key: String(this.storages.size), dtype: t.dtype };
      this.storages.set(t.typedArray, s);
    } else if (s.dtype !== t.dtype) {
      throw new RuntimeError(
        "Cannot save multiple tensors or storages that view the same data as different types",
      );
    }
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.mark();
    p.mark();
    p.str("storage");
    p.global("torch", kind);
    p.str(s.key);
    p.str("cpu");
    p.int(t.typedArray.length / t.dtype.lanes);
    p.tuple(5);
    p.persid();
    p.int(t.offset);
    this.ints(t.shape);
    this.ints(t.strides);
    p.bool(requiresGrad);
    this.emptyOrderedDict();
    p.tuple(6);
    p.reduce();
  }

  private ints(xs: number[]): void {
    if (xs.length > 3) this.p.mark();
    for (const x of xs) this.p.int(x);
    this.p.tuple(xs.length);
  }

  private emptyOrderedDict(): void {
    this.p.global("collections", "OrderedDict");
    this.p.tuple(0);
    this.p.reduce();
  }
}

/** Records' data start on multiples of 64 bytes, as PyTorch's writer aligns them (for mmap). */
const ALIGN = 64;

/** PyTorch's zip checkpoint of `obj`; `archive` names the top folder (PyTorch: the file's stem). */
export function serializeCheckpoint(obj: unknown, archive = "archive"): Uint8Array {
  const w = new Writer();
  w.value(obj);
  const pkl = w.p.finish();
  const records: [string, Uint8Array][] = [[`${archive}/data.pkl`, pkl]];
  const byKey = [...w.storages.entries()].sort(([, a], [, b]) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  for (const [arr, { key, dtype }] of byKey)
    records.push([`${archive}/data/${key}`, storageBytes(arr, dtype)]);
  records.push([`${archive}/version`, new TextEncoder().encode("3\n")]);
  // each local header is 30 bytes + the name + an extra field ("FB", PyTorch's padding id)
  // sized so the data starts on a multiple of ALIGN
  const zippable: Record<
    string,
    [Uint8Array, { level: 0; mtime: Date; extra: Record<number, Uint8Array> }]
  > = {};
  let offset = 0;
  const mtime = new Date(1980, 0, 1);
  for (const [name, data] of records) {
    const head = offset + 30 + new TextEncoder().encode(name).length + 4;
    const pad = (ALIGN - (head % ALIGN)) % ALIGN;
    zippable[name] = [data, { level: 0, mtime, extra: { 0x4246: new Uint8Array(pad).fill(0x5a) } }];
    offset = head + pad + data.length;
  }
  return zipSync(zippable);
}

/**
 * torch.save(obj, f?): write `obj` in PyTorch's checkpoint format, which PyTorch 1.13 loads
 * with `torch.load(f)` (and with `weights_only=True` when it holds no floats: 1.13's
 * weights-only unpickler refuses Python floats, which optimizer state dicts contain). Tensors
 * that share storage (views) stay shared. With no `f`, returns the bytes. A path ending in
 * `.safetensors` writes a safetensors file instead (a state dict only; `{ metadata }` allowed),
 * as tensorgrad's torch.save did before.
 *
 * @example
 * const model = new torch.nn.Linear(2, 2);
 * const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1 });
 * torch.save(model.stateDict(), "model.pt");
 * torch.save({ model: model.stateDict(), optimizer: opt.stateDict(), epoch: 3 }, "ckpt.pt");

 * const bytes = torch.save(model.stateDict());
 */
export function save(obj: unknown): Uint8Array;
export function save(obj: unknown, f: string, opts?: st.SaveOptions): void;
export function save(obj: unknown, f?: string, opts: st.SaveOptions = {}): Uint8Array | void {
  if (f === undefined) return serializeCheckpoint(obj);
  if (typeof f !== "string") throw new TypeError(`torch.save expects a path, got ${typeof f}`);
  if (f.endsWith(".safetensors")) return st.save(obj as st.TensorDict, f, opts);
  if (opts.metadata != null)
    throw new ValueError("torch.save: metadata is stored only in .safetensors files");
  const path = nodePath();
  const stem = path.basename(f, path.extname(f)) || "archive";
  nodeFs().writeFileSync(f, serializeCheckpoint(obj, stem));
}
