/**
 * torch.onnx.export: runs a module's forward once under an op tracer (Note [op tracing]) and
 * writes the ONNX graph of what it computed.
 *
 * Note [export tracing]: every registry op call reaches the tracer with its schema and
 * arguments. An op with a mapping (symbolic.ts) runs, then its mapping emits ONNX nodes from
 * its arguments' values to its result, and the ops it calls inside are not traced. An op
 * without one runs with tracing on, so the registry ops it is made of are traced; if its
 * result is still not a traced value while an argument was, nothing maps it: PyTorch's
 * UnsupportedOperatorError names it. A tensor computed outside the registry (a hand-written
 * kernel call) is caught where it is used: the forward runs with autograd recording, so such a
 * tensor carries a gradFn newer than the export's start, whose name gives the op. A tensor the
 * trace did not compute and that no traced value reached (a mask made in the constructor, an
 * arange) is a constant of the graph; parameters and buffers are initializers under their
 * names in `namedParameters()` / `namedBuffers()`, as in PyTorch's export.
 */
import { Tensor } from "../tensor.js";
import { valueError, typeError, runtimeError } from "../errors.js";
import { enableGrad } from "../autograd/grad-mode.js";
import { nextSequenceNr } from "../autograd/node.js";
import { withOpTracer, type OpTracer } from "../registry/op-trace.js";
import type { Schema } from "../registry/schema.js";
import { Module } from "../nn/module.js";
import { MultiheadAttention } from "../nn/attention.js";
import type { AttentionForwardOptions } from "../nn/mha-functional.js";
import { nodeFs } from "../data/node-io.js";
import { Graph, onnxDataType, unsupportedOperator } from "./graph.js";
import { encodeModel, type ValueInfo } from "./proto.js";
import { symbolicOf, type Call } from "./symbolic.js";
import { mhaSymbolic } from "./attention.js";

/** dynamic_axes: per input/output name, its dynamic dims, as `{ 0: "batch" }` or `[0]`. */
export type DynamicAxes = Record<string, Record<number, string> | readonly number[]>;

/** torch.onnx.export's options (PyTorch's keyword arguments, camelCased). */
export interface ExportOptions {
  /** write the parameters as initializers (default true; false is not supported) */
  exportParams?: boolean;
  /** print the graph's nodes (default false) */
  verbose?: boolean;
  /** "EVAL" (default): the model runs in eval mode, as PyTorch's TrainingMode.EVAL */
  training?: "EVAL" | "PRESERVE" | "TRAINING";
  /** names of the graph inputs, in order (default `input.1`, `input.2`, ...)*/
  inputNames?: readonly string[];
  /** names of the graph outputs, in order */
  outputNames?: readonly string[];
  /** "ONNX" (default) */
  operatorExportType?: "ONNX";
  /** 13 to 17 (default 14, PyTorch 1.13's default) */
  opsetVersion?: number | null;
  /** accepted for PyTorch's signature (constants are folded at trace time anyway) */
  doConstantFolding?: boolean;
  /** dims of inputs and outputs whose size may differ from the traced one */
  dynamicAxes?: DynamicAxes | null;
  /** also list the initializers as graph inputs (default false) */
  keepInitializersAsInputs?: boolean | null;
  /** not supported: custom domains */
  customOpsets?: Record<string, number> | null;
  /** not supported: modules as ONNX functions */
  exportModulesAsFunctions?: boolean;
}

const NAMES: readonly (keyof ExportOptions)[] = [
  "exportParams",
  "verbose",
  "training",
  "inputNames",
  "outputNames",
  "operatorExportType",
  "opsetVersion",
  "doConstantFolding",
  "dynamicAxes",
  "keepInitializersAsInputs",
  "customOpsets",
  "exportModulesAsFunctions",
];

/** PyTorch 1.13's ONNX_DEFAULT_OPSET and ONNX_MAX_OPSET (torch/onnx/_constants.py) */
const DEFAULT_OPSET = 14;
const MAX_OPSET = 17;
const MIN_OPSET = 13;

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" &&
  v !== null &&
  !Array.isArray(v) &&
  !(v instanceof Tensor) &&
  Object.getPrototypeOf(v) === Object.prototype;

/** PyTorch's positional order after (model, args, f), then a trailing options object. */
function bindOptions(rest: readonly unknown[]): ExportOptions {
  const out: Record<string, unknown> = {};
  let pos = [...rest];
  const last = pos[pos.length - 1];
  // a plain object given as the 9th or 11th argument after f is dynamicAxes or customOpsets
  if (isPlainObject(last) && pos.length !== 9 && pos.length !== 11) {
    pos = pos.slice(0, -1);
    for (const [k, v] of Object.entries(last)) {
      if (!NAMES.includes(k as keyof ExportOptions))
        throw typeError(`export() got an unexpected keyword argument '${snake(k)}'`);
      out[k] = v;
    }
  }
  if (pos.length > NAMES.length)
    throw typeError(
      `export() takes from 3 to ${NAMES.length + 3} positional arguments but ${pos.length + 3} were given`,
    );
  pos.forEach((v, i) => {
    if (v === undefined) return;
    if (NAMES[i] in out)
      throw typeError(`export() got multiple values for argument '${snake(NAMES[i])}'`);
    out[NAMES[i]] = v;
  });
  return out as ExportOptions;
}

/** Output tensors of a forward's result (tuples and lists flattened, None dropped). */
function flattenOutputs(r: unknown): Tensor[] {
  if (r instanceof Tensor) return [r];
  if (Array.isArray(r)) return r.flatMap(flattenOutputs);
  if (typeof r === "object" && r !== null && 0 in r) return flattenOutputs(tensorsOf(r));
  if (r === null || r === undefined) return [];
  throw runtimeError(
    `Only tuples, lists and Variables are supported as JIT inputs/outputs. Dictionaries and strings are also accepted, but their usage is not recommended. Here, received an input of unsupported type: ${typeof r}`,
  );
}

/** `SoftmaxBackward0` -> `softmax`, `NativeLayerNormBackward0` -> `native_layer_norm` */
function opOfNode(nodeName: string): string {
  return nodeName
    .replace(/Backward\d*$/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

/**
 * Export `model` run on `args` to ONNX (PyTorch 1.13's `torch.onnx.export`): writes the model
 * to `f` (a path; null writes nothing) and returns its bytes. The model runs once in eval mode
 * (its modes are restored after); parameters and buffers become initializers under their
 * `namedParameters()` names. Opsets 13 to 17 (default 14). An op without an ONNX mapping
 * raises PyTorch's error naming it, and nothing is written.
 *
 * Arguments after `f` follow PyTorch's order (exportParams, verbose, training, inputNames,
 * outputNames, operatorExportType, opsetVersion, doConstantFolding, dynamicAxes, ...) or come
 * by name in a trailing options object.
 *
 * @example
 * const model = new torch.nn.Sequential(new torch.nn.Linear(4, 3), new torch.nn.ReLU());
 * torch.onnx.export(model, torch.randn(2, 4), "model.onnx", {
 *   inputNames: ["x"],
 *   outputNames: ["y"],
 *   dynamicAxes: { x: { 0: "batch" }, y: { 0: "batch" } },
 * });
 */
export function exportModel(
  model: Module,
  args: Tensor | readonly unknown[],
  f: string | null = null,
  ...rest: unknown[]
): Uint8Array {
  const o = bindOptions(rest);
  const opset = o.opsetVersion ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset > MAX_OPSET || opset < 7)
    throw valueError(`Unsupported ONNX opset version: ${opset}`);
  if (opset < MIN_OPSET)
    throw valueError(
      `Unsupported ONNX opset version: ${opset} (tensorgrad exports opset versions ${MIN_OPSET} to ${MAX_OPSET})`,
    );
  if (o.exportParams === false) throw valueError("exportParams=false is not supported");
  if (o.customOpsets != null && Object.keys(o.customOpsets).length > 0)
    throw valueError("customOpsets is not supported");
  if (o.exportModulesAsFunctions === true)
    throw valueError("exportModulesAsFunctions is not supported");
  if (!(model instanceof Module))
    throw typeError("torch.onnx.export: model must be a torch.nn.Module");
  const inputs = args instanceof Tensor ? [args] : [...args];
  const graphInputs = inputs.filter((x): x is Tensor => x instanceof Tensor);
  const inputNames = graphInputs.map((_, i) => o.inputNames?.[i] ?? `input.${i + 1}`);
  const dynamicAxes = o.dynamicAxes ?? {};
  const dimNames = (name: string, rank: number): (string | null)[] => {
    const spec = dynamicAxes[name];
    const out: (string | null)[] = Array.from({ length: rank }, () => null);
    if (spec === undefined) return out;
    if (Array.isArray(spec)) spec.forEach((d, i) => (out[d] = `${name}_dynamic_axes_${i + 1}`));
    else for (const [d, n] of Object.entries(spec)) out[Number(d)] = n as string;
    return out;
  };

  // parameters and buffers by tensor: the first name of a shared one
  const params = new Map<Tensor, string>();
  for (const [n, p] of model.namedParameters()) if (!params.has(p)) params.set(p, n);
  for (const [n, b] of model.namedBuffers()) if (!params.has(b)) params.set(b, n);
  const graph = new Graph(opset, params);

  // the inputs as the forward sees them: float ones record autograd (Note [export tracing])
  const fed = inputs.map((x) => {
    if (!(x instanceof Tensor)) return x;
    const t = x.dtype.isFloatingPoint ? x.detach().requiresGrad_(true) : x.detach();
    const name = inputNames[graphInputs.indexOf(x)];
    graph.bind(
      t,
      name,
      dimNames(name, t.dim()).map((d) => d !== null),
    );
    return t;
  });
  const startSeq = nextSequenceNr();

  // a tensor argument's value; one computed outside the registry since the start is refused
  const valueOf = (t: Tensor): string => {
    if (!graph.isKnown(t)) {
      const node = t.gradFn;
      if (node !== null && node.sequenceNr >= startSeq)
        throw runtimeError(
          `Exporting the operator 'aten::${opOfNode(node.name())}' to ONNX opset version ${opset} is not supported: it was computed outside the op registry that torch.onnx.export traces (by code that calls tensorgrad's kernels directly)`,
        );
    }
    return graph.value(t);
  };

  let suspended = 0;
  const run = <T>(body: () => T): T => {
    suspended++;
    try {
      return body();
    } finally {
      suspended--;
    }
  };

  const tracer: OpTracer = (name, schema, forward, values) => {
    if (suspended > 0) return forward(...values);
    const symbolic = symbolicOf(schema.name, schema.overload);
    const inplace = name.endsWith("_") && !schema.name.endsWith("_");
    if (symbolic === undefined) {
      const out = forward(...values);
      const outs = tensorsOf(out);
      if (outs.some((t) => !graph.isKnown(t) || inplace) && values.some(reaches))
        throw unsupportedOperator(inplace ? `${schema.name}_` : schema.name, opset);
      return out;
    }
    // the in-place form's self is read before it is written
    const selfName =
      inplace && values[0] instanceof Tensor ? run(() => valueOf(values[0] as Tensor)) : null;
    const out = run(() => forward(...values));
    run(() => emit(schema, symbolic, values, out, selfName));
    return out;
  };

  /** whether an argument is (or holds) a value of the graph */
  const reaches = (v: unknown): boolean =>
    Array.isArray(v)
      ? v.some(reaches)
      : v instanceof Tensor &&
        (graph.isKnown(v) || (v.gradFn !== null && v.gradFn.sequenceNr >= startSeq));

  const emit = (
    schema: Schema,
    symbolic: (c: Call) => string | readonly string[],
    values: unknown[],
    out: unknown,
    selfName: string | null,
  ): void => {
    const a: Record<string, unknown> = {};
    schema.params.forEach((p, i) => (a[p.name] = values[i]));
    const outs = tensorsOf(out);
    const dyns = new Map<number, readonly boolean[]>();
    const argTensors = values.flatMap((v) =>
      v instanceof Tensor ? [v] : Array.isArray(v) ? v.filter((e) => e instanceof Tensor) : [],
    ) as Tensor[];
    const call: Call = {
      g: graph,
      op: schema.name,
      a,
      out,
      v: (x, dtype) => {
        if (x instanceof Tensor)
          return selfName !== null && x === values[0] ? selfName : valueOf(x);
        if (typeof x === "number" || typeof x === "boolean") {
          const dt = dtype ?? (out instanceof Tensor ? out.dtype : undefined);
          if (dt === undefined)
            throw runtimeError(`ONNX export of ${schema.name}: no dtype for ${x}`);
          return graph.scalar(Number(x), dt);
        }
        throw runtimeError(`ONNX export of ${schema.name}: expected a tensor argument`);
      },
      dyn: (t) => {
        const n = graph.nameOf(t);
        return n === undefined ? [] : graph.dynOf(n);
      },
      setDyn: (i, d) => dyns.set(i, d),
    };
    const r = symbolic(call);
    const names = typeof r === "string" ? [r] : r;
    outs.forEach((t, i) => {
      const d = dyns.get(i) ?? defaultDyn(t, argTensors);
      graph.bind(t, names[i], d);
    });
  };

  /** Note [dynamic dims]'s default: same position from the left, same size. */
  const defaultDyn = (t: Tensor, args: Tensor[]): boolean[] =>
    t.shape.map((s, j) =>
      args.some((x) => {
        const n = graph.nameOf(x);
        return n !== undefined && graph.dynOf(n)[j] === true && x.shape[j] === s;
      }),
    );

  // nn.MultiheadAttention is mapped as a whole (attention.ts), for the time of the export
  const mhaProto = MultiheadAttention.prototype;
  const mhaForward = Object.getOwnPropertyDescriptor(mhaProto, "forward")?.value as (
    this: MultiheadAttention,
    ...a: unknown[]
  ) => [Tensor, Tensor | null];
  const mhaExport = function (
    this: MultiheadAttention,
    query: Tensor,
    key: Tensor,
    value: Tensor,
    opts: AttentionForwardOptions = {},
  ): [Tensor, Tensor | null] {
    if (suspended > 0) return mhaForward.call(this, query, key, value, opts);
    const res = run(() => mhaForward.call(this, query, key, value, opts));
    run(() => {
      for (const t of [query, key, value, opts.attnMask, opts.keyPaddingMask])
        if (t instanceof Tensor) valueOf(t);
      const [outName, wName] = mhaSymbolic(graph, this, query, key, value, opts);
      const qd = graph.dynOf(graph.nameOf(query) ?? "");
      graph.bind(res[0], outName, qd);
      const batchDim = this.batchFirst ? 0 : 1;
      if (res[1] !== null && wName !== null) graph.bind(res[1], wName, [qd[batchDim] ?? false]);
    });
    return res;
  };

  // PyTorch's TrainingMode.EVAL: every module in eval mode for the trace, modes restored after
  const modes = model.modules().map((m) => [m, m.training] as const);
  const train = o.training === "TRAINING";
  if (o.training !== "PRESERVE") model.train(train);
  let result: unknown;
  Object.defineProperty(mhaProto, "forward", {
    value: mhaExport,
    configurable: true,
    writable: true,
  });
  try {
    result = withOpTracer(tracer, () =>
      enableGrad(() => (model.call as (...a: unknown[]) => unknown)(...fed)),
    );
  } finally {
    Object.defineProperty(mhaProto, "forward", {
      value: mhaForward,
      configurable: true,
      writable: true,
    });
    for (const [m, t] of modes) m.training = t;
  }

  // outputs: each a value of its own under the user's name
  const outTensors = flattenOutputs(result);
  const outputs: ValueInfo[] = [];
  const seen = new Set<string>();
  const inputSet = new Set(inputNames);
  outTensors.forEach((t, i) => {
    let name = valueOf(t);
    const wanted = o.outputNames?.[i];
    const isInit = graph.initializers.some((x) => x.name === name);
    if (
      seen.has(name) ||
      inputSet.has(name) ||
      isInit ||
      (wanted !== undefined && wanted !== name && params.has(t))
    ) {
      const d = graph.dynOf(name);
      name = graph.op1("Identity", [name]);
      graph.bind(t, name, d);
    }
    if (wanted !== undefined && wanted !== name) {
      graph.rename(name, wanted);
      name = wanted;
    }
    seen.add(name);
    const given = dimNames(name, t.dim());
    const d = graph.dynOf(name);
    outputs.push({
      name,
      elemType: onnxDataType(t.dtype),
      dims: t.shape.map((s, j) => given[j] ?? (d[j] ? `${name}_dim_${j}` : s)),
    });
  });
  const graphInputsInfo: ValueInfo[] = graphInputs.map((t, i) => {
    const names = dimNames(inputNames[i], t.dim());
    return {
      name: inputNames[i],
      elemType: onnxDataType(t.dtype),
      dims: t.shape.map((s, j) => names[j] ?? s),
    };
  });
  if (o.keepInitializersAsInputs === true)
    for (const init of graph.initializers)
      graphInputsInfo.push({ name: init.name, elemType: init.dataType, dims: init.dims });
  if (o.verbose === true)
    for (const n of graph.nodes)
      console.log(`${n.outputs.join(", ")} = ${n.opType}(${n.inputs.join(", ")})`);
  const bytes = encodeModel({
    irVersion: 8,
    opsetVersion: opset,
    producerName: "tensorgrad",
    producerVersion: "0.1.0",
    graph: {
      name: "main_graph",
      nodes: graph.nodes,
      initializers: graph.initializers,
      inputs: graphInputsInfo,
      outputs,
    },
  });
  if (f !== null) nodeFs().writeFileSync(f, bytes);
  return bytes;
}

/** The tensors of an op's result. */
function tensorsOf(out: unknown): Tensor[] {
  if (out instanceof Tensor) return [out];
  if (Array.isArray(out)) return out.filter((t): t is Tensor => t instanceof Tensor);
  // a named tuple (max.dim's { values, indices }, also indexable as 0, 1)
  if (typeof out === "object" && out !== null && 0 in out) {
    const items: unknown[] = [];
    for (let i = 0; i in out; i++) items.push((out as Record<number, unknown>)[i]);
    return tensorsOf(items);
  }
  return [];
}
