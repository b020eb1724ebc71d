/**
 * The protobuf encoding of the ONNX messages torch.onnx.export writes: ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto, ValueInfoProto (with TypeProto and TensorShapeProto)
 * and OperatorSetIdProto. Field numbers and types are onnx.proto's (ONNX 1.12,
 * onnx/onnx.proto); the wire format is protobuf's: a field is a key `(number << 3) | wireType`
 * then a varint (wire type 0), a length-prefixed byte string or message (2) or 4 little-endian
 * bytes (5: float). onnx.proto is proto2: repeated scalars are written one key per element
 * except `[packed = true]` fields (none written here: tensor data goes in raw_data).
 */

/** A message under construction: its encoded fields as byte chunks. */
class Writer {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  /**
   * A varint: 7 bits per byte, low first, high bit set on every byte but the last; a negative
   * int64 is its two's complement as an unsigned 64-bit number (ten bytes).
   */
  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    while (x >= 0x80n) {
      out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    out.push(Number(x));
    this.push(Uint8Array.from(out));
  }

  private key(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** int32 / int64 / enum / bool (wire type 0). */
  int(field: number, v: number | bigint | boolean): this {
    this.key(field, 0);
    this.varint(typeof v === "boolean" ? (v ? 1 : 0) : v);
    return this;
  }

  /** float (wire type 5: IEEE binary32, little-endian). */
  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  /** bytes (wire type 2). */
  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.varint(b.length);
    this.push(b);
    return this;
  }

  /** string (wire type 2, UTF-8). */
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  /** An embedded message (wire type 2). */
  message(field: number, m: Writer): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** TensorProto.DataType values (onnx.proto) of the dtypes tensorgrad has. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  DOUBLE: 11,
} as const;

/** An initializer or constant: dims and data_type with its bytes in raw_data (little-endian). */
export interface TensorValue {
  name: string;
  dims: readonly number[];
  dataType: number;
  raw: Uint8Array;
}

/** An attribute of a node; `type` is AttributeProto.AttributeType. */
export type AttributeValue =
  | { type: "float"; value: number }
  | { type: "int"; value: number }
  | { type: "string"; value: string }
  | { type: "tensor"; value: TensorValue }
  | { type: "floats"; value: readonly number[] }
  | { type: "ints"; value: readonly number[] };

/** AttributeProto.AttributeType (onnx.proto) */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

export interface NodeValue {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: Readonly<Record<string, AttributeValue>>;
}

/** A graph input or output: element type and dims (a string names a dynamic dim). */
export interface ValueInfo {
  name: string;
  elemType: number;
  dims: readonly (number | string)[];
}

export interface ModelValue {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  graph: {
    name: string;
    nodes: readonly NodeValue[];
    initializers: readonly TensorValue[];
    inputs: readonly ValueInfo[];
    outputs: readonly ValueInfo[];
  };
}

/** TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9. */
function tensorProto(t: TensorValue): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType).string(8, t.name).bytes(9, t.raw);
  return w;
}

/**
 * AttributeProto: name = 1, f = 2, i = 3, s = 4, t = 5, floats = 7, ints = 8, type = 20.
 */
function attributeProto(name: string, a: AttributeValue): Writer {
  const w = new Writer().string(1, name);
  switch (a.type) {
    case "float":
      w.float(2, a.value);
      break;
    case "int":
      w.int(3, a.value);
      break;
    case "string":
      w.string(4, a.value);
      break;
    case "tensor":
      w.message(5, tensorProto(a.value));
      break;
    case "floats":
      for (const v of a.value) w.float(7, v);
      break;
    case "ints":
      for (const v of a.value) w.int(8, v);
      break;
  }
  return w.int(20, ATTRIBUTE_TYPE[a.type]);
}

/** NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5. */
function nodeProto(n: NodeValue): Writer {
  const w = new Writer();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [k, a] of Object.entries(n.attributes)) w.message(5, attributeProto(k, a));
  return w;
}

/**
 * ValueInfoProto: name = 1, type = 2. TypeProto: tensor_type = 1; TypeProto.Tensor:
 * elem_type = 1, shape = 2; TensorShapeProto: dim = 1; Dimension: dim_value = 1,
 * dim_param = 2.
 */
function valueInfoProto(v: ValueInfo): Writer {
  const shape = new Writer();
  for (const d of v.dims) {
    const dim = new Writer();
    if (typeof d === "number") dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new Writer().int(1, v.elemType).message(2, shape);
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tensorType));
}

/**
 * GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12.
 * ModelProto: ir_version = 1, producer_name = 2, producer_version = 3, graph = 7,
 * opset_import = 8; OperatorSetIdProto: domain = 1, version = 2 (the default domain "" is left
 * unset).
 */
export function encodeModel(m: ModelValue): Uint8Array {
  const g = new Writer();
  for (const n of m.graph.nodes) g.message(1, nodeProto(n));
  g.string(2, m.graph.name);
  for (const t of m.graph.initializers) g.message(5, tensorProto(t));
  for (const i of m.graph.inputs) g.message(11, valueInfoProto(i));
  for (const o of m.graph.outputs) g.message(12, valueInfoProto(o));
  return new Writer()
    .int(1, m.irVersion)
    .string(2, m.producerName)
    .string(3, m.producerVersion)
    .message(7, g)
    .message(8, new Writer().int(2, m.opsetVersion))
    .finish();
}
