/**
 * Graph nodes, as PyTorch's autograd: a `Node` per recorded op, `Edge`s to the nodes that
 * produced its inputs, and an `AccumulateGrad` sink per leaf. The engine (engine.ts) walks
 * them; it knows no op math: a node's `apply` does.
 */
import type { Tensor } from "../tensor.js";
import { runtimeError } from "../errors.js";

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
/** a stable pseudo-address for printing, as PyTorch's `<AddBackward0 object at 0x...>` */
const ADDRESS_BASE = 0x7f3a1c000000;

export abstract class Node {
  /** Note [sequence numbers]: creation order; the engine runs later nodes first, as PyTorch. */
  readonly sequenceNr = sequenceCounter++;
  /** true only for AccumulateGrad (a field test is cheaper than instanceof in the engine) */
  declare readonly isLeafSink: boolean;
  edges: Edge[];
  numOutputs = 1;
  preHooks: NodePrehook[] | null = null;
  postHooks: NodeHook[] | null = null;
  /**
   * Note [engine scratch]: per-run state kept on the node (faster than maps on small graphs):
   * the id of the run that last visited it, its remaining dependency count, its gradient
   * buffer and whether it must run. A backward started from inside a hook of another backward
   * must not share nodes with it.
   */
  _run = 0;
  _deps = 0;
  _buf: (Tensor | null)[] | null = null;
  _needed = false;
  /** hooks registered on the output tensors (t.registerHook), by output number */
  tensorPreHooks: Map<number, TensorHook[]> | null = null;
  /** retainGrad targets, by output number */
  retainGradTargets: Map<number, Tensor> | null = null;

  constructor(edges: Edge[]) {
    this.edges = edges;
  }

  get address(): number {
    return ADDRESS_BASE + this.sequenceNr * 0x30;
  }

  abstract name(): string;

  /** gradients w.r.t. outputs -> gradients w.r.t. inputs (one per edge) */
  abstract apply(gradOutputs: (Tensor | null)[]): (Tensor | null)[];

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
   * @example y.gradFn.registerHook((gi, go) => console.log(gi));
   */
  registerHook(fn: NodeHook): RemovableHandle {
    if (this.postHooks === null) this.postHooks = [];
    this.postHooks.push(fn);
    return removableHandle(this.postHooks, fn);
  }

  /** Register a hook called before this node runs: `hook(gradOutputs)` may replace them. */
  registerPrehook(fn: NodePrehook): RemovableHandle {
    if (this.preHooks === null) this.preHooks = [];
    this.preHooks.push(fn);
    return removableHandle(this.preHooks, fn);
  }

  addTensorPreHook(outputNr: number, fn: TensorHook): RemovableHandle {
    if (this.tensorPreHooks === null) this.tensorPreHooks = new Map();
    let list = this.tensorPreHooks.get(outputNr);
    if (list === undefined) {
      list = [];
      this.tensorPreHooks.set(outputNr, list);
    }
    list.push(fn);
    return removableHandle(list, fn);
  }

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

  constructor(t: Tensor) {
    this.tensor = t;
    this.version = t._version.value;
    this.producer = t.gradFn;
    this.producerOutputNr = t.outputNr;
  }

  unpack(): Tensor {
    const t = this.tensor;
    if (t === null) throw runtimeError(FREED_GRAPH_MESSAGE);
    if (t._version.value !== this.version) {
      const desc = `[${t.dtype.tensorTypeName} [${t.shape.join(", ")}]]`;
      const which =
        this.producer !== null
          ? `, which is output ${this.producerOutputNr} of ${this.producer.name()},`
          : "";
      throw runtimeError(
        `one of the variables needed for gradient computation has been modified by an inplace ` +
          `operation: ${desc}${which} is at version ${t._version.value}; expected version ` +
          `${this.version} instead. Hint: enable anomaly detection to find the operation that ` +
          `failed to compute its gradient, with torch.autograd.set_detect_anomaly(True).`,
      );
    }
    return t;
  }

  release(): void {
    this.tensor = null;
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
