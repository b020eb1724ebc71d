/**
 * Graph nodes, as PyTorch's autograd: a `Node` per recorded op, `Edge`s to the nodes that
 * produced its inputs, and an `AccumulateGrad` sink per leaf. The engine (engine.ts) walks
 * them; it knows no op math: a node's `apply` does.
 */
import type { Tensor } from "../tensor.js";
import { runtimeError, typeError } from "../errors.js";
import { anomalyEnabled, recordAnomalyMetadata, type AnomalyMetadata } from "./anomaly-mode.js";
import { callPackHook, currentSavedTensorsHooks, type SavedTensorsHooks } from "./saved-hooks.js";
import { releasePoolBuffer } from "../backend/buffers.js";

/**
 * A pool buffer only saved variables hold (Note [released saved temporaries],
 * temporaries.ts): `holders` of them have not been released yet.
 */
export interface SavedShare {
  buffer: ArrayBuffer;
  holders: number;
}

/**
 * Where a gradient goes: input `inputNr` of `node` (null: no gradient needed). Edges made by
 * `record` also carry the input's shape and dtype, which the engine uses to un-broadcast.
 */
export interface Edge {
  readonly node: Node | null;
  readonly inputNr: number;
  readonly shape?: readonly number[];
  readonly dtypeName?: string;
}

export type TensorHook = (grad: Tensor) => Tensor | void | undefined;
export type NodeHook = (
  gradInputs: (Tensor | null)[],
  gradOutputs: (Tensor | null)[],
) => (Tensor | null)[] | void | undefined;
export type NodePrehook = (gradOutputs: (Tensor | null)[]) => (Tensor | null)[] | void | undefined;

/** A handle whose remove() unregisters a hook. */
export interface RemovableHandle {
  remove(): void;
}

export function removableHandle<T>(list: T[], item: T): RemovableHandle {
  return {
    remove(): void {
      const i = list.indexOf(item);
      if (i >= 0) list.splice(i, 1);
    },
  };
}

let sequenceCounter = 0;

/** Whether a tensor was ever saved through saved-tensor hooks (SavedVariable.hooked). */
let hookedSaves = false;

/** False until some tensor is saved through saved-tensor hooks: then no node's saves are. */
export function anyHookedSaves(): boolean {
  return hookedSaves;
}

/** The sequence number the next node will get (nodes made from now on have this or more). */
export function nextSequenceNr(): number {
  return sequenceCounter;
}
/** a stable pseudo-address for printing, as PyTorch's `<AddBackward0 object at 0x...>` */
const ADDRESS_BASE = 0x7f3a1c000000;

/**
 * Note [node hooks]: a node's hooks and retainGrad targets. Most nodes have none, so they
 * live in one object made on first registration: a node stays small, and the engine tests one
 * field (`_hooks`) to skip all of them.
 */
export class NodeHooks {
  pre: NodePrehook[] | null = null;
  post: NodeHook[] | null = null;
  /** hooks registered on the output tensors (t.registerHook), by output number */
  tensorPre: Map<number, TensorHook[]> | null = null;
  /** retainGrad targets, by output number */
  retainGrad: Map<number, Tensor> | null = null;
}

/**
 * A node of the backward graph (PyTorch's torch.autograd.graph.Node): `t.gradFn` of a tensor
 * made by a differentiable op. `name()`, `nextFunctions`, hooks and saved tensors, as PyTorch.
 * @example
 * const x = torch.tensor([1, 2], { requiresGrad: true });
 * const y = x.mul(2).sum();
 * console.log(y.gradFn?.name()); // SumBackward0
 */
export abstract class Node {
  /** Note [sequence numbers]: creation order; the engine runs later nodes first, as PyTorch. */
  readonly sequenceNr = sequenceCounter++;
  /** true only for AccumulateGrad (a field test is cheaper than instanceof in the engine) */
  declare readonly isLeafSink: boolean;
  /** The node's inputs in the graph: one edge (next node, input number) per input. */
  edges: Edge[];
  /** How many outputs the op had, so how many gradients the node takes. */
  numOutputs = 1;
  /**
   * Note [engine scratch]: per-run state kept on the node (faster than maps on small graphs):
   * the id of the run that last visited it, whether the run queued it, its gradient buffer and
   * whether it must run. A backward started from inside a hook of another backward must not
   * share nodes with it.
   */
  _run = 0;
  _queued = false;
  _buf: (Tensor | null)[] | null = null;
  /** a single-output node's gradient slot, without a buffer array (Note [engine scratch]) */
  _g0: Tensor | null = null;
  /** which buffer slots hold a sum the engine made (Note [owned gradient sums]) */
  _owned = 0;
  _needed = false;
  /** Note [node hooks] */
  _hooks: NodeHooks | null = null;
  /** Note [anomaly metadata]: set only while anomaly detection is on (anomaly-mode.ts) */
  declare anomaly?: AnomalyMetadata;

  constructor(edges: Edge[]) {
    this.edges = edges;
    if (anomalyEnabled) recordAnomalyMetadata(this);
  }

  private hooks(): NodeHooks {
    return this._hooks ?? (this._hooks = new NodeHooks());
  }
  /** hooks run before the node (registerPrehook) */
  get preHooks(): NodePrehook[] | null {
    return this._hooks === null ? null : this._hooks.pre;
  }
  /** hooks run after the node (registerHook) */
  get postHooks(): NodeHook[] | null {
    return this._hooks === null ? null : this._hooks.post;
  }
  /** hooks registered on the output tensors (t.registerHook), by output number */
  get tensorPreHooks(): Map<number, TensorHook[]> | null {
    return this._hooks === null ? null : this._hooks.tensorPre;
  }
  /** retainGrad targets (tensors whose `.grad` the node fills), by output number */
  get retainGradTargets(): Map<number, Tensor> | null {
    return this._hooks === null ? null : this._hooks.retainGrad;
  }
  /** Replaces the retainGrad targets (null: none). */
  set retainGradTargets(v: Map<number, Tensor> | null) {
    if (v !== null || this._hooks !== null) this.hooks().retainGrad = v;
  }

  /** The tensors this node saved for backward (graph inspection: explain, saved bytes). */
  savedVariables(): readonly SavedVariable[] {
    return [];
  }

  /** A stable pseudo address, as Python prints in `<MulBackward0 object at 0x...>`. */
  get address(): number {
    return ADDRESS_BASE + this.sequenceNr * 0x30;
  }

  /** The node's name as PyTorch gives it (`MulBackward0`, `AccumulateGrad`, ...). */
  abstract name(): string;

  /** gradients w.r.t. outputs -> gradients w.r.t. inputs (one per edge) */
  abstract apply(gradOutputs: (Tensor | null)[]): (Tensor | null)[];

  /** `apply` of a single-output node given its one gradient (OpNode skips the array). */
  applyOne(g: Tensor | null): (Tensor | null)[] {
    return this.apply([g]);
  }

  /** Free saved tensors (called by the engine unless retainGraph). */
  release(): void {}

  /** PyTorch's next_functions: [node, inputNr] per input. */
  get nextFunctions(): [Node | null, number][] {
    return this.edges.map((e) => [e.node, e.inputNr]);
  }

  /** Whether the gradient for input `i` is needed. */
  needsInputGrad(i: number): boolean {
    return this.edges[i] !== undefined && this.edges[i].node !== null;
  }

  /**
   * Register a hook called after this node computes its input gradients:
   * `hook(gradInputs, gradOutputs)` may return replacement gradInputs.
   * @example
   * const x = torch.tensor([1, 2], { requiresGrad: true });
   * const y = x.mul(2);
   * y.gradFn!.registerHook((gradInputs, gradOutputs) => console.log(String(gradInputs[0])));
   * y.sum().backward(); // prints tensor([2., 2.])

   */
  registerHook(fn: NodeHook): RemovableHandle {
    const h = this.hooks();
    if (h.post === null) h.post = [];
    h.post.push(fn);
    return removableHandle(h.post, fn);
  }

  /** Register a hook called before this node runs: `hook(gradOutputs)` may replace them. */
  registerPrehook(fn: NodePrehook): RemovableHandle {
    const h = this.hooks();
    if (h.pre === null) h.pre = [];
    h.pre.push(fn);
    return removableHandle(h.pre, fn);
  }

  /** Register a hook on output `outputNr`'s gradient (what `t.registerHook` does on non-leaves). */
  addTensorPreHook(outputNr: number, fn: TensorHook): RemovableHandle {
    const h = this.hooks();
    if (h.tensorPre === null) h.tensorPre = new Map();
    let list = h.tensorPre.get(outputNr);
    if (list === undefined) {
      list = [];
      h.tensorPre.set(outputNr, list);
    }
    list.push(fn);
    return removableHandle(list, fn);
  }

  /** Python's repr: `<MulBackward0 object at 0x...>`. */
  toString(): string {
    return `<${this.name()} object at 0x${this.address.toString(16)}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** Note [freed graph]: the message PyTorch gives when saved tensors were already released. */
export const FREED_GRAPH_MESSAGE =
  "Trying to backward through the graph a second time (or directly access saved tensors after " +
  "they have already been freed). Saved intermediate values of the graph are freed when you call " +
  ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the " +
  "graph a second time or if you need to access saved tensors after calling backward.";

/**
 * A tensor saved for backward, with the version it had when saved (Note [version counter]:
 * in-place ops bump a counter shared by a tensor and its views; unpacking a saved tensor
 * whose counter moved raises PyTorch's error).
 */
export class SavedVariable {
  private tensor: Tensor | null;
  private readonly version: number;
  private readonly producer: Node | null;
  private readonly producerOutputNr: number;
  /**
   * Note [saved outputs]: `record` (and custom functions) create the node, then wire its
   * outputs, then save; so a saved tensor whose grad_fn is the newest node is an output of
   * the node saving it. PyTorch names that node in the version error, and the tensor's
   * current grad_fn for other saved tensors.
   */
  private readonly isOutput: boolean;
  /** saved-tensor hooks (saved-hooks.ts): the packed value is kept instead of the tensor */
  private readonly hooks: SavedTensorsHooks | null;
  private packed: unknown = null;
  private readonly leafAccumulate: AccumulateGrad | null = null;
  private released = false;

  /**
   * `internal`: a tensor the library made to hold for backward (no saved-tensor hooks, any
   * mode), not one an op saves from its inputs or outputs.
   */
  constructor(t: Tensor, internal = false) {
    // Note [inference tensors]: checked before anything else, as PyTorch
    if (t._inference && !internal)
      throw runtimeError(
        "Inference tensors cannot be saved for backward. To work around you can make a clone to get a normal tensor and use it in autograd.",
      );
    this.version = t._versionValue;
    this.producer = t.gradFn;
    this.producerOutputNr = t.outputNr;
    this.isOutput = t.gradFn !== null && t.gradFn.sequenceNr === sequenceCounter - 1;
    const hooks = internal ? null : currentSavedTensorsHooks();
    this.hooks = hooks;
    if (hooks === null) {
      this.tensor = t;
      return;
    }
    this.tensor = null;
    hookedSaves = true;
    if (t.gradFn === null && t._requiresGrad)
      this.leafAccumulate = t._accumulateNode ?? (t._accumulateNode = new AccumulateGrad(t));
    this.packed = callPackHook(hooks, t);
    if (t._version.value !== this.version) {
      throw runtimeError(
        "A saved tensor pack hook is modifying its input in place. Tensors provided as input " +
          "to pack hook can not be modified by in-place operations as this can lead to " +
          "unexpected side-effects. Please open an issue if you need to perform in-place " +
          "operations on the input to a pack hook.",
      );
    }
  }

  unpack(): Tensor {
    if (this.released) throw runtimeError(FREED_GRAPH_MESSAGE);
    if (this.hooks !== null) return this.unpackHooked(this.hooks);
    const t = this.tensor as Tensor;
    if (t._versionValue !== this.version) {
      const desc = `[${t.dtype.tensorTypeName} [${t.shape.join(", ")}]]`;
      const node = this.isOutput ? this.producer : t.gradFn;
      const which =
        node !== null ? `, which is output ${this.producerOutputNr} of ${node.name()},` : "";
      const hint = anomalyEnabled
        ? "Hint: the backtrace further above shows the operation that failed to compute its " +
          "gradient. The variable in question was changed in there or anywhere later. Good luck!"
        : "Hint: enable anomaly detection to find the operation that failed to compute its " +
          "gradient, with torch.autograd.set_detect_anomaly(True).";
      throw runtimeError(
        `one of the variables needed for gradient computation has been modified by an inplace ` +
          `operation: ${desc}${which} is at version ${t._version.value}; expected version ` +
          `${this.version} instead. ${hint}`,
      );
    }
    return t;
  }

  /** With hooks: unpack, then give the values the saved tensor's place in the graph. */
  private unpackHooked(hooks: SavedTensorsHooks): Tensor {
    const v = hooks.unpack(this.packed) as unknown;
    if (typeof v !== "object" || v === null || !("dtype" in v) || !("detach" in v)) {
      const type =
        typeof v === "number"
          ? Number.isInteger(v)
            ? "int"
            : "float"
          : v === null || v === undefined
            ? "NoneType"
            : typeof v === "string"
              ? "str"
              : typeof v === "boolean"
                ? "bool"
                : Array.isArray(v)
                  ? "list"
                  : ((v as object).constructor?.name ?? typeof v);
      throw typeError(
        `Output of saved tensor unpack_hook expected to be a Tensor but got result of type ${type}`,
      );
    }
    const r = (v as Tensor).detach();
    if (this.producer !== null) {
      r.gradFn = this.producer;
      r.outputNr = this.producerOutputNr;
    } else if (this.leafAccumulate !== null) {
      r._requiresGrad = true;
      r._accumulateNode = this.leafAccumulate;
    }
    return r;
  }

  /** What this holds (the tensor, or the packed value under hooks); null once released. */
  get held(): unknown {
    if (this.released) return null;
    return this.hooks !== null ? this.packed : this.tensor;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Whether unpacking runs saved-tensor hooks (user code). */
  get hooked(): boolean {
    return this.hooks !== null;
  }

  /** Note [released saved temporaries]: the buffer this shares with other holders, if any. */
  share: SavedShare | null = null;

  release(): void {
    this.released = true;
    this.tensor = null;
    this.packed = null;
    const share = this.share;
    if (share !== null) {
      this.share = null;
      if (--share.holders === 0) releasePoolBuffer(share.buffer);
    }
  }
}

/** The sink for a leaf: adds incoming gradients into `variable.grad`. */
export class AccumulateGrad extends Node {
  /** hooks run after .grad is updated (registerPostAccumulateGradHook) */
  postAccumulateHooks: ((t: Tensor) => void)[] = [];

  constructor(readonly variable: Tensor) {
    super([]);
  }

  name(): string {
    // PyTorch's name() is "torch::autograd::AccumulateGrad"; its repr, and our name, is the short one.
    return "AccumulateGrad";
  }

  apply(): (Tensor | null)[] {
    // The engine accumulates (it knows whether a graph is being created); see engine.ts.
    return [];
  }
}

// Per-class constants live on the prototypes (no per-instance field to initialise).
(Node.prototype as { isLeafSink: boolean }).isLeafSink = false;
(AccumulateGrad.prototype as { isLeafSink: boolean }).isLeafSink = true;
