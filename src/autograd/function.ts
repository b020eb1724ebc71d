/**
 * Recording: how an op's result joins the graph. Every differentiable op calls `record`
 * after computing its result (the single dispatch path: validate, kernel, wrap, record).
 */
import type { Tensor } from "../tensor.js";
import { isGradEnabled } from "./grad-mode.js";
import { AccumulateGrad, Node, SavedVariable, type Edge } from "./node.js";
import { derivatives, type Grads, type Op, type OpDefs } from "./derivatives.js";
import * as F from "./formula-ops.js";

/** The edge to the node that produced `t` (its grad_fn, or the leaf's AccumulateGrad). */
export function gradientEdge(t: Tensor): Edge {
  if (t.gradFn !== null) return { node: t.gradFn, inputNr: t.outputNr };
  if (!t.requiresGrad) return NO_EDGE;
  let acc = t._accumulateNode;
  if (acc === null) {
    acc = new AccumulateGrad(t);
    t._accumulateNode = acc;
  }
  return { node: acc, inputNr: 0 };
}

const NO_EDGE: Edge = { node: null, inputNr: 0 };
const EMPTY_GRADS: Grads = [];

/** A recorded op: its derivative entry, what it saved and its attributes. */
export class OpNode<K extends Op = Op> extends Node {
  private readonly saved: Record<string, SavedVariable | SavedVariable[]>;
  /** multi-output nodes: the current gradients of each output (set by the engine) */
  gradOutputs: Grads = EMPTY_GRADS;
  private readonly nodeName: string;

  constructor(
    readonly op: K,
    edges: Edge[],
    saved: Record<string, SavedVariable | SavedVariable[]>,
    readonly attrs: OpDefs[K]["attrs"],
    nameOverride?: string,
  ) {
    super(edges);
    this.saved = saved;
    const n = derivatives[op].name;
    this.nodeName =
      nameOverride ?? (typeof n === "string" ? n : (n as (a: OpDefs[K]["attrs"]) => string)(attrs));
  }

  name(): string {
    return this.nodeName;
  }

  inputShape(i: number): readonly number[] {
    const m = this.edges[i]?.shape;
    if (m === undefined) throw new Error(`${this.nodeName}: no metadata for input ${i}`);
    return m;
  }

  /** A saved list of tensors (e.g. the index tensors of advanced indexing). */
  savedList(name: string): (Tensor | null)[] {
    const s = this.saved[name];
    if (!Array.isArray(s)) throw new Error(`${this.nodeName}: ${name} is not a list`);
    return s.map((v) => (v === null ? null : v.unpack()));
  }

  /** The output gradients with missing ones filled by zeros (PyTorch's materialize_grads). */
  materializedGradOutputs(): Tensor[] {
    return this.gradOutputs.map(
      (g, i) => g ?? F.zeros(this.outputShapes[i], this.outputDtypeProbe),
    );
  }
  outputShapes: (readonly number[])[] = [];
  outputDtypeProbe!: Tensor;

  apply(gradOutputs: Grads): Grads {
    const def = derivatives[this.op];
    const saved = this.saved;
    const unpacked: Record<string, Tensor> = {};
    for (const key of def.save as readonly string[]) {
      const v = saved[key];
      if (v !== undefined && !Array.isArray(v)) unpacked[key] = v.unpack();
    }
    this.gradOutputs = gradOutputs;
    let g = gradOutputs[0];
    if (g === null || g === undefined) g = F.zeros(this.outputShapes[0], this.outputDtypeProbe);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- K is erased at this point; the table entry and its saved record match by construction
    return (def.grad as any)(g, unpacked, this.attrs, this);
  }

  /** Note [freed graph]: released SavedVariables throw PyTorch's "second time" error. */
  override release(): void {
    const saved = this.saved;
    for (const k in saved) {
      const v = saved[k];
      if (Array.isArray(v)) for (const x of v) x?.release();
      else v.release();
    }
  }
}

type SaveArg = Tensor | null | undefined | (Tensor | null)[];

/** Whether an op with these tensor inputs should be recorded. */
export function needsGrad(a: Tensor | null | undefined, b?: Tensor | null): boolean {
  if (!isGradEnabled()) return false;
  return (a != null && a.requiresGrad) || (b != null && b.requiresGrad);
}

export function anyNeedsGrad(inputs: readonly (Tensor | null | undefined)[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t != null && t.requiresGrad) return true;
  return false;
}

/**
 * Record `op` producing `outputs` from `inputs` (null for non-tensor operands). Saves the
 * entries of `save` named in the table, only those that are tensors. Call only when
 * `anyNeedsGrad(inputs)`.
 */
export function record<K extends Op>(
  op: K,
  outputs: Tensor | Tensor[],
  inputs: readonly (Tensor | null | undefined)[],
  save: { [P in OpDefs[K]["save"]]?: SaveArg },
  attrs: OpDefs[K]["attrs"],
  nameOverride?: string,
): OpNode<K> {
  const n = inputs.length;
  const edges = new Array<Edge>(n);
  for (let i = 0; i < n; i++) {
    const t = inputs[i];
    if (t == null) {
      edges[i] = NO_EDGE;
    } else {
      // inline gradientEdge: this is the hottest path of recording
      let node: Node | null = t.gradFn;
      let nr = t.outputNr;
      if (node === null) {
        nr = 0;
        if (t._rg) node = t._accumulateNode ?? (t._accumulateNode = new AccumulateGrad(t));
      }
      edges[i] = { node, inputNr: nr, shape: t.shape, dtypeName: t.dtype.name };
    }
  }
  // `save` may only name keys the table's `save` list declares (checked by its type)
  const saved: Record<string, SavedVariable | SavedVariable[]> = {};
  for (const key in save) {
    const v = (save as Record<string, SaveArg>)[key];
    if (v == null) continue;
    if (Array.isArray(v)) {
      saved[key] = v.map((x) =>
        x === null ? (null as unknown as SavedVariable) : new SavedVariable(x),
      );
    } else {
      saved[key] = new SavedVariable(v);
    }
  }
  const node = new OpNode(op, edges, saved, attrs, nameOverride);
  if (Array.isArray(outputs)) {
    node.numOutputs = outputs.length;
    node.outputShapes = outputs.map((o) => o.shape);
    node.outputDtypeProbe = outputs[0];
    for (let i = 0; i < outputs.length; i++) {
      outputs[i].gradFn = node;
      outputs[i].outputNr = i;
    }
  } else {
    node.outputShapes = [outputs.shape];
    node.outputDtypeProbe = outputs;
    outputs.gradFn = node;
    outputs.outputNr = 0;
  }
  return node;
}
