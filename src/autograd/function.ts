/**
 * Recording: how an op's result joins the graph. Every differentiable op calls `record`
 * after computing its result (the single dispatch path: validate, kernel, wrap, record).
 */
import type { Tensor } from "../tensor.js";
import { isGradEnabled } from "./grad-mode.js";
import { AccumulateGrad, FREED_GRAPH_MESSAGE, Node, SavedVariable, type Edge } from "./node.js";
import { runtimeError } from "../errors.js";
import type { Derivative, Grads, Op, OpDefs } from "./derivatives.js";
import { allocLike } from "../ops/core.js";
import { float32 } from "../dtype.js";
import {
  anyNeedsGradOrTangent,
  isForwardADActive,
  needsGradOrTangent,
  needsNode,
  recordTangents,
} from "./forward-ad.js";

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

// every edge has the same four fields so the engine's loads stay monomorphic
const NO_EDGE: Edge = { node: null, inputNr: 0, shape: [], dtypeName: "" };

/**
 * The formulas, keyed by op, as a Map: a keyed load on a big table object with a varying key is
 * slow in V8, a Map lookup is not. Each node keeps its entry. The formula modules sit above the
 * ops they differentiate with, so they add themselves: derivatives.ts its table (when the
 * package entry loads it, src/install.ts), registry ops (src/registry/define.ts) theirs under
 * their schema's name.
 */
const DERIVATIVES = new Map<Op, Derivative<Op>>();

/** Add the formula of `key` (once). */
export function registerDerivative(key: Op, def: Derivative<Op>): void {
  if (DERIVATIVES.has(key)) throw new Error(`derivative '${key}' is registered twice`);
  DERIVATIVES.set(key, def);
  const slot = SLOTS.get(key);
  if (slot !== undefined) slot.def = def;
}

/**
 * Note [derivative slots]: an op module below the formulas records with its op's slot
 * (`recordWith(DEFS.mul.def, "mul", ...)`), which registration fills, instead of `record`'s
 * lookup of the formula by name: a Map lookup per recorded op was ~4% of a small graph's step.
 */
export type DerivativeSlots<K extends Op> = {
  readonly [P in K]: { def: Derivative<P> | undefined };
};
const SLOTS = new Map<Op, { def: Derivative<Op> | undefined }>();

/** The slots of `ops` (Note [derivative slots]). */
export function derivativeSlots<K extends Op>(ops: readonly K[]): DerivativeSlots<K> {
  const out: Record<string, { def: Derivative<Op> | undefined }> = {};
  for (const op of ops) {
    let slot = SLOTS.get(op);
    if (slot === undefined) SLOTS.set(op, (slot = { def: DERIVATIVES.get(op) }));
    out[op] = slot;
  }
  return out as unknown as DerivativeSlots<K>;
}

/** The registered formula of `key` (registry ops keep it to record without a lookup). */
export function derivativeOf(key: Op): Derivative<Op> | undefined {
  return DERIVATIVES.get(key);
}

/**
 * Note [declared saved set]: with strict checks on (tests), a formula reading a saved name its
 * entry did not declare fails instead of seeing `undefined`.
 */
let strictSaved = false;
export function setStrictSavedChecks(on: boolean): void {
  strictSaved = on;
}

function strictView(name: string, saved: Record<string, Tensor>): Record<string, Tensor> {
  return new Proxy(saved, {
    get(target, key) {
      if (typeof key === "string" && !(key in target))
        throw new Error(`${name}: the formula read '${key}', which its entry does not save`);
      return target[key as string];
    },
  });
}
const EMPTY_GRADS: Grads = [];
/** A missing output gradient: zeros of the output's shape, in its dtype when floating. */
const zeros = (shape: readonly number[], like: Tensor): Tensor =>
  allocLike(like, shape.slice(), like.dtype.differentiable ? like.dtype : float32);
/** what formulas of nodes that saved nothing receive (no allocation per backward) */
const NOTHING_SAVED: Record<string, Tensor> = Object.freeze({}) as Record<string, Tensor>;

/** A recorded op: its derivative entry, what it saved and its attributes. */
export class OpNode<K extends Op = Op> extends Node {
  /** @internal set once, by recordWith, right after construction */
  saved: Record<string, SavedVariable | SavedVariable[]>;
  /** multi-output nodes: the current gradients of each output (set by the engine) */
  gradOutputs: Grads = EMPTY_GRADS;
  private nameOverride: string | undefined;
  private readonly def: Derivative<K>;

  constructor(
    readonly op: K,
    edges: Edge[],
    saved: Record<string, SavedVariable | SavedVariable[]>,
    readonly attrs: OpDefs[K]["attrs"],
    nameOverride?: string,
    def?: Derivative<K>,
  ) {
    super(edges);
    this.saved = saved;
    this.nameOverride = nameOverride;
    this.def = def ?? (DERIVATIVES.get(op) as unknown as Derivative<K>);
  }

  /**
   * @internal gives a node a composition made its own the name of PyTorch's node for the whole
   * op (Note [complex compute]: abs of a complex tensor is a hypot node named AbsBackward0)
   */
  rename(name: string): void {
    this.nameOverride = name;
  }

  /** The node's PyTorch name, from the table (computed on demand: only printing needs it). */
  name(): string {
    if (this.nameOverride !== undefined) return this.nameOverride;
    const n = this.def.name;
    return typeof n === "string" ? n : (n as (a: OpDefs[K]["attrs"]) => string)(this.attrs);
  }

  inputShape(i: number): readonly number[] {
    const m = this.edges[i]?.shape;
    if (m === undefined) throw new Error(`${this.name()}: no metadata for input ${i}`);
    return m;
  }

  /**
   * Note [freed graph]: whether PyTorch saves this op's number operand as a wrapped 0-dim
   * tensor (MulBackward0, DivBackward0), which tensorgrad keeps as an attribute instead.
   */
  get savesScalarOperand(): boolean {
    return this.def.savesScalar === true;
  }

  /** The names this op's entry may save (its declared saved set), saved or not this time. */
  get declaredSaved(): readonly string[] {
    return this.def.save as readonly string[];
  }

  /** A saved list of tensors (e.g. the index tensors of advanced indexing). */
  savedList(name: string): (Tensor | null)[] {
    const s = this.saved[name];
    if (!Array.isArray(s)) throw new Error(`${this.name()}: ${name} is not a list`);
    return s.map((v) => (v === null ? null : v.unpack()));
  }

  /** Whether a saved tensor unpacks through saved-tensor hooks (user code). */
  unpacksWithHooks(): boolean {
    const saved = this.saved;
    for (const key in saved) {
      const v = saved[key];
      if (Array.isArray(v)) {
        for (const x of v) if (x !== null && x.hooked) return true;
      } else if (v.hooked) return true;
    }
    return false;
  }

  /** The output gradients with missing ones filled by zeros (PyTorch's materialize_grads). */
  materializedGradOutputs(): Tensor[] {
    return this.gradOutputs.map((g, i) => g ?? zeros(this.outputShape(i), this.outputDtypeProbe));
  }
  /** shapes of the outputs of a multi-output node (single-output nodes use the probe's) */
  outputShapes: (readonly number[])[] | null = null;
  outputShape(i: number): readonly number[] {
    return this.outputShapes === null ? this.outputDtypeProbe.shape : this.outputShapes[i];
  }
  outputDtypeProbe!: Tensor;

  apply(gradOutputs: Grads): Grads {
    this.gradOutputs = gradOutputs;
    return this.run(gradOutputs[0]);
  }

  override applyOne(gradOutput: Tensor | null): Grads {
    // an op that returned a list (of one tensor) reads its gradients as a list
    if (this.outputShapes !== null) this.gradOutputs = [gradOutput];
    return this.run(gradOutput);
  }

  private run(gradOutput: Tensor | null): Grads {
    // Note [freed graph]: an entry that saves a scalar operand as a tensor in PyTorch
    // (MulBackward0, DivBackward0) fails a second backward even when it kept no tensor here
    if (this.released && this.def.savesScalar === true) throw runtimeError(FREED_GRAPH_MESSAGE);
    const def = this.def;
    const saved = this.saved;
    let unpacked: Record<string, Tensor> = NOTHING_SAVED;
    if (saved !== NO_SAVED)
      for (const key in saved) {
        const v = saved[key];
        if (Array.isArray(v)) continue;
        if (unpacked === NOTHING_SAVED) unpacked = {};
        unpacked[key] = v.unpack();
      }
    let g = gradOutput;
    if (g === null || g === undefined) {
      // Note [undefined gradients]: PyTorch's generated nodes return undefined gradients for
      // every input when none of their output gradients is defined (any_grad_defined), so a
      // formula's undefined gradient (ord-0 norm_backward's `{}`) stays None downstream
      if (this.gradOutputs.every((x) => x === null || x === undefined)) {
        this.gradOutputs = EMPTY_GRADS;
        return this.edges.map(() => null);
      }
      g = zeros(this.outputShape(0), this.outputDtypeProbe);
    }
    if (strictSaved) unpacked = strictView(this.name(), unpacked);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- K is erased at this point; the table entry and its saved record match by construction
    const r: Grads = (def.grad as any)(g, unpacked, this.attrs, this);
    // the engine may release these gradients' buffers once this node ran (Note [released
    // gradients]), so the node keeps no reference to them
    this.gradOutputs = EMPTY_GRADS;
    return r;
  }

  override savedVariables(): readonly SavedVariable[] {
    const out: SavedVariable[] = [];
    for (const k in this.saved) {
      const v = this.saved[k];
      if (Array.isArray(v)) {
        for (const x of v) if (x !== null) out.push(x);
      } else out.push(v);
    }
    return out;
  }

  private released = false;
  /** Note [freed graph]: released SavedVariables throw PyTorch's "second time" error. */
  override release(): void {
    this.released = true;
    const saved = this.saved;
    if (saved === NO_SAVED) return;
    for (const k in saved) {
      const v = saved[k];
      if (Array.isArray(v)) for (const x of v) x?.release();
      else v.release();
    }
  }
}

type SaveArg = Tensor | null | undefined | (Tensor | null)[];
/** the saved record of nodes that save nothing (never written: `record` fills fresh ones) */
const NO_SAVED: Record<string, SavedVariable | SavedVariable[]> = Object.freeze({}) as Record<
  string,
  SavedVariable | SavedVariable[]
>;

/** Whether an op with these tensor inputs should be recorded (or, in a dual level, has tangents). */
export function needsGrad(a: Tensor | null | undefined, b?: Tensor | null): boolean {
  if (isForwardADActive()) return needsGradOrTangent(a, b);
  if (!isGradEnabled()) return false;
  return (a != null && a.requiresGrad) || (b != null && b.requiresGrad);
}

export function anyNeedsGrad(inputs: readonly (Tensor | null | undefined)[]): boolean {
  if (isForwardADActive()) return anyNeedsGradOrTangent(inputs);
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t != null && t.requiresGrad) return true;
  return false;
}

/**
 * Record `op` producing `outputs` from `inputs` (null for non-tensor operands). Saves the
 * entries of `save` named in the table, only those that are tensors. Call only when
 * `anyNeedsGrad(inputs)`. In a dual level (forward-ad.ts), also gives the outputs their
 * tangents, and builds the node only when grad mode is on and an input requires grad.
 */
export function record<K extends Op>(
  op: K,
  outputs: Tensor | Tensor[],
  inputs: readonly (Tensor | null | undefined)[],
  save: { [P in OpDefs[K]["save"]]?: SaveArg },
  attrs: OpDefs[K]["attrs"],
  nameOverride?: string,
): OpNode<K> | null {
  return recordWith(undefined, op, outputs, inputs, save, attrs, nameOverride);
}

/** `record` with the op's registered formula at hand (`derivativeOf(op)`): no table lookup. */
export function recordWith<K extends Op>(
  def: Derivative<K> | undefined,
  op: K,
  outputs: Tensor | Tensor[],
  inputs: readonly (Tensor | null | undefined)[],
  save: { [P in OpDefs[K]["save"]]?: SaveArg },
  attrs: OpDefs[K]["attrs"],
  nameOverride?: string,
): OpNode<K> | null {
  // the one check forward AD adds to recording when no dual level is active
  const fw = isForwardADActive();
  if (fw && !needsNode(inputs)) {
    recordTangents(op, outputs, inputs, save, attrs);
    return null;
  }
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
        if (t._requiresGrad)
          node = t._accumulateNode ?? (t._accumulateNode = new AccumulateGrad(t));
      }
      edges[i] = { node, inputNr: nr, shape: t.shape, dtypeName: t.dtype.name };
    }
  }
  const node = new OpNode(op, edges, NO_SAVED, attrs, nameOverride, def);
  if (Array.isArray(outputs)) {
    node.numOutputs = outputs.length;
    node.outputShapes = outputs.map((o) => o.shape);
    node.outputDtypeProbe = outputs[0];
    for (let i = 0; i < outputs.length; i++) {
      outputs[i].gradFn = node;
      outputs[i].outputNr = i;
    }
  } else {
    node.outputDtypeProbe = outputs;
    outputs.gradFn = node;
    outputs.outputNr = 0;
  }
  // saved after the outputs joined the graph: a saved output knows its producer (this node).
  // `save` may only name keys the table's `save` list declares (checked by its type); a node
  // that saves nothing keeps the shared empty record
  let saved = NO_SAVED;
  for (const key in save) {
    const v = (save as Record<string, SaveArg>)[key];
    if (v == null) continue;
    if (saved === NO_SAVED) node.saved = saved = {};
    if (Array.isArray(v)) {
      saved[key] = v.map((x) =>
        x === null ? (null as unknown as SavedVariable) : new SavedVariable(x),
      );
    } else {
      saved[key] = new SavedVariable(v);
    }
  }
  if (fw) recordTangents(op, outputs, inputs, save, attrs);
  return node;
}
