/**
 * The ONNX graph a trace builds: nodes, initializers (parameters, buffers and constants) and
 * the names of traced values, with each value's dynamic dims (Note [dynamic dims]).
 */
import { Tensor } from "../tensor.js";
import type { DType } from "../dtype.js";
import { runtimeError } from "../errors.js";
import { DataType, type AttributeValue, type NodeValue, type TensorValue } from "./proto.js";

/** PyTorch's PYTORCH_GITHUB_ISSUES_URL (torch/onnx/_constants.py) */
const ISSUES_URL = "https://github.com/pytorch/pytorch/issues";

/**
 * PyTorch 1.13's UnsupportedOperatorError (torch/onnx/errors.py) for an op of the `aten`
 * domain without a mapping at any opset.
 */
export function unsupportedOperator(opName: string, opset: number): Error {
  return runtimeError(
    `Exporting the operator 'aten::${opName}' to ONNX opset version ${opset} is not supported. ` +
      `Please feel free to request support or submit a pull request on PyTorch GitHub: ${ISSUES_URL}`,
  );
}

/**
 * PyTorch's symbolic_helper._onnx_unsupported / _unimplemented wording for an op whose mapping
 * exists but not for these arguments.
 */
export function unsupportedCase(opName: string, msg: string): Error {
  return runtimeError(
    `Unsupported: ONNX export of operator ${opName}, ${msg}. Please feel free to request support or submit a pull request on PyTorch GitHub: ${ISSUES_URL}`,
  );
}

/** TensorProto.DataType of a dtype. */
export function onnxDataType(dtype: DType): number {
  switch (dtype.name) {
    case "float32":
      return DataType.FLOAT;
    case "float64":
      return DataType.DOUBLE;
    case "int64":
      return DataType.INT64;
    case "int32":
      return DataType.INT32;
    case "uint8":
      return DataType.UINT8;
    case "bool":
      return DataType.BOOL;
    default:
      throw runtimeError(`ONNX export: no ONNX data type for ${String(dtype)}`);
  }
}

/**
 * The little-endian bytes of a contiguous array of values in ONNX's layout for `dataType`
 * (int64 is stored as doubles here; ONNX wants two's-complement 64-bit integers).
 */
export function rawBytes(values: ArrayLike<number>, dataType: number): Uint8Array {
  const n = values.length;
  switch (dataType) {
    case DataType.FLOAT: {
      const b = new Uint8Array(4 * n);
      const dv = new DataView(b.buffer);
      for (let i = 0; i < n; i++) dv.setFloat32(4 * i, values[i], true);
      return b;
    }
    case DataType.DOUBLE: {
      const b = new Uint8Array(8 * n);
      const dv = new DataView(b.buffer);
      for (let i = 0; i < n; i++) dv.setFloat64(8 * i, values[i], true);
      return b;
    }
    case DataType.INT64: {
      const b = new Uint8Array(8 * n);
      const dv = new DataView(b.buffer);
      for (let i = 0; i < n; i++) dv.setBigInt64(8 * i, BigInt(values[i]), true);
      return b;
    }
    case DataType.INT32: {
      const b = new Uint8Array(4 * n);
      const dv = new DataView(b.buffer);
      for (let i = 0; i < n; i++) dv.setInt32(4 * i, values[i], true);
      return b;
    }
    default: // UINT8, BOOL: one byte each
      return Uint8Array.from(values);
  }
}

/** Attribute shorthands for Graph.op: a number is an int unless wrapped with `f()`. */
export type Attr = number | string | readonly number[] | { float: number } | { floats: number[] };

/** A float attribute (a plain number is an int). */
export const f = (v: number): { float: number } => ({ float: v });

function attribute(a: Attr): AttributeValue {
  if (typeof a === "number") return { type: "int", value: a };
  if (typeof a === "string") return { type: "string", value: a };
  if (Array.isArray(a)) return { type: "ints", value: a as readonly number[] };
  if ("float" in (a as object)) return { type: "float", value: (a as { float: number }).float };
  return { type: "floats", value: (a as { floats: number[] }).floats };
}

/**
 * Note [dynamic dims]: each traced value knows which of its dims follow a graph input's
 * dynamic axis (dynamicAxes), so the shapes written into the graph (Reshape targets, Slice
 * ends) keep them symbolic: Reshape copies such a dim (0) or infers it (-1) instead of baking
 * the traced size. By default an output dim is dynamic where an input of the op has a dynamic
 * dim of the same size at the same position counted from the left; ops that move dims
 * (transpose, reshape, ...) say where they go.
 */
export class Graph {
  readonly nodes: NodeValue[] = [];
  readonly initializers: TensorValue[] = [];
  private readonly names = new Map<Tensor, string>();
  private readonly dyn = new Map<string, readonly boolean[]>();
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(
    readonly opset: number,
    /** parameters and buffers by tensor: their dotted names (initializers on first use) */
    private readonly params: Map<Tensor, string>,
  ) {}

  /** A fresh value name for an output of `opType` (PyTorch's `onnx::Add_12` style). */
  fresh(opType: string): string {
    return `onnx::${opType}_${this.counter++}`;
  }

  /** Bind `t` to the value `name` (its dims' dynamism: `dyn`, default none). */
  bind(t: Tensor, name: string, dyn?: readonly boolean[]): void {
    this.names.set(t, name);
    if (dyn !== undefined && dyn.some((d) => d)) this.dyn.set(name, dyn);
  }

  /** The value name of a traced tensor, or undefined. */
  nameOf(t: Tensor): string | undefined {
    return this.names.get(t);
  }

  isTraced(t: Tensor): boolean {
    return this.names.has(t);
  }

  /** Which dims of value `name` are dynamic. */
  dynOf(name: string): readonly boolean[] {
    return this.dyn.get(name) ?? [];
  }

  /**
   * The value of a tensor argument: its traced name, or its parameter/buffer initializer, or a
   * new constant initializer holding its current values (a tensor the trace did not make).
   */
  value(t: Tensor): string {
    const n = this.names.get(t);
    if (n !== undefined) return n;
    const p = this.params.get(t);
    const name = p ?? this.fresh("Constant");
    this.addTensor(name, t);
    this.names.set(t, name);
    return name;
  }

  /** An initializer with the current values of `t`. */
  addTensor(name: string, t: Tensor): void {
    if (this.used.has(name)) return;
    this.used.add(name);
    const dt = onnxDataType(t.dtype);
    const c = t.contiguous();
    const values = c.typedArray.subarray(c.offset, c.offset + c.numel()) as ArrayLike<number>;
    this.initializers.push({ name, dims: t.shape, dataType: dt, raw: rawBytes(values, dt) });
  }

  /** A constant initializer of `values` with `dims` (default: 1-D) and `dataType`. */
  constant(values: readonly number[], dataType: number, dims?: readonly number[]): string {
    const name = this.fresh("Constant");
    this.used.add(name);
    this.initializers.push({
      name,
      dims: dims ?? [values.length],
      dataType,
      raw: rawBytes(values, dataType),
    });
    return name;
  }

  /** A 1-D int64 constant (shapes, axes, starts and ends). */
  ints(values: readonly number[]): string {
    return this.constant(values, DataType.INT64);
  }

  /** A 0-dim constant of `dtype`'s ONNX type. */
  scalar(value: number, dtype: DType): string {
    return this.constant([value], onnxDataType(dtype), []);
  }

  /** Add a node; its outputs' names. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, Attr>> = {},
    nOutputs = 1,
  ): string[] {
    const outputs = Array.from({ length: nOutputs }, () => this.fresh(opType));
    const attributes: Record<string, AttributeValue> = {};
    for (const [k, v] of Object.entries(attrs)) attributes[k] = attribute(v);
    this.nodes.push({
      opType,
      name: `/${opType}_${this.nodes.length}`,
      inputs,
      outputs,
      attributes,
    });
    return outputs;
  }

  /** A one-output node. */
  op1(
    opType: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, Attr>> = {},
  ): string {
    return this.op(opType, inputs, attrs)[0];
  }

  /** Rename a value in every node and binding (graph outputs take the user's names). */
  rename(from: string, to: string): void {
    const r = (v: string): string => (v === from ? to : v);
    this.nodes.forEach((n, i) => {
      this.nodes[i] = { ...n, inputs: n.inputs.map(r), outputs: n.outputs.map(r) };
    });
    for (const [t, n] of this.names) if (n === from) this.names.set(t, to);
    const d = this.dyn.get(from);
    if (d !== undefined) this.dyn.set(to, d);
  }

  /** Whether `t` is a value of the graph (traced, or a parameter/buffer). */
  isKnown(t: unknown): boolean {
    return t instanceof Tensor && (this.names.has(t) || this.params.has(t));
  }
}
