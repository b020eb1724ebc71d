/**
 * The backward engine, after PyTorch's engine.cpp: run the nodes reached from the roots, later
 * nodes first, each once all its gradients arrived, in an iterative loop (no recursion, so a
 * chain of 100,000 ops is fine). It knows no op math: nodes compute their own gradients.
 *
 * Note [sequence-order readiness]: every edge points from a node to an older one (a node's
 * inputs exist before it is built, so their nodes have smaller sequence numbers: Note
 * [sequence numbers]). Popping the reached nodes largest sequence number first therefore
 * reaches a node only after every reached node that feeds it ran: those are all newer, and a
 * node not yet reached cannot be newer than the popped one (it would be reached through a
 * newer node still waiting). So the walk needs no dependency counts, and no pass over the
 * graph before it, unlike PyTorch's engine; `inputs` (autograd.grad) still takes one, to mark
 * the nodes on a path to a wanted tensor.
 *
 * Note [atomic backward]: leaf `.grad` updates, retained gradients and the freeing of saved
 * tensors are applied only after every node ran, so a backward pass that throws leaves
 * `.grad` and the graph as they were.
 */
import { Tensor } from "../tensor.js";
import { AccumulateGrad, anyHookedSaves, type Node, type NodeHooks } from "./node.js";
import { OpNode, gradientEdge } from "./function.js";
import { disownGradients, endClaims } from "./owned-grads.js";
import { canReleasePoolBuffers, releasePoolBuffer, setPoolLog } from "../backend/buffers.js";
import { swapGradEnabled } from "./grad-mode.js";
import {
  accumulateGrad,
  addIntoSum,
  fitToInput,
  plainPair,
  sumGrads,
  sumPlain,
} from "./grad-accumulation.js";
import {
  anomalyEnabled,
  applyWithAnomaly,
  checkNanGradients,
  isAnomalyCheckNanEnabled,
} from "./anomaly-mode.js";

export interface EngineOptions {
  keepGraph: boolean;
  createGraph: boolean;
  /** tensors whose gradients are wanted; null: every leaf reached */
  inputs: readonly Tensor[] | null;
  /** true: accumulate into .grad (backward); false: return gradients (autograd.grad) */
  accumulate: boolean;
}

type Buffer = (Tensor | null)[];

/**
 * A list that keeps its backing store when emptied (`length = 0` would drop it, and the next
 * run would grow a fresh one: Note [engine work lists]).
 */
class WorkList<T> {
  readonly items: (T | null)[] = [];
  size = 0;
  push(x: T): void {
    this.items[this.size++] = x;
  }
  pop(): T {
    const x = this.items[--this.size] as T;
    this.items[this.size] = null;
    return x;
  }
  at(i: number): T {
    return this.items[i] as T;
  }
  clear(): void {
    const a = this.items;
    for (let i = 0; i < this.size; i++) a[i] = null;
    this.size = 0;
  }
}

/** Max-heap of ready nodes by sequence number. */
class ReadyQueue extends WorkList<Node> {
  override push(n: Node): void {
    const a = this.items as Node[];
    let i = this.size++;
    a[i] = n;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].sequenceNr >= a[i].sequenceNr) break;
      const t = a[p];
      a[p] = a[i];
      a[i] = t;
      i = p;
    }
  }
  override pop(): Node {
    const a = this.items as Node[];
    const top = a[0];
    const size = --this.size;
    const last = a[size];
    a[size] = null as unknown as Node;
    if (size > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < size && a[l].sequenceNr > a[m].sequenceNr) m = l;
        if (r < size && a[r].sequenceNr > a[m].sequenceNr) m = r;
        if (m === i) break;
        const t = a[m];
        a[m] = a[i];
        a[i] = t;
        i = m;
      }
    }
    return top;
  }
}

function newBuffer(n: number): Buffer {
  return n === 1 ? [null] : new Array<Tensor | null>(n).fill(null);
}

/**
 * Note [owned gradient sums]: the first sum at a buffer slot is a fresh tensor only the buffer
 * holds (bit i of `_owned`), so later gradients for the slot are added into it in place
 * instead of each allocating another sum (PyTorch's InputBuffer accumulates in place when it
 * holds the only reference). Gradients handed in are never written: they may be saved or
 * shared between edges.
 */
function accumulateInto(node: Node, i: number, g: Tensor, own: Owned | null): void {
  if (node.numOutputs === 1) {
    const prev = node._g0;
    if (prev === null) {
      node._g0 = g;
      if (own !== null) own.hold(g);
    } else node._g0 = sumOwned(node, 1, prev, g, own);
    return;
  }
  let buf = node._buf;
  if (buf === null) buf = node._buf = newBuffer(node.numOutputs);
  const prev = buf[i];
  if (prev === null || prev === undefined) {
    buf[i] = g;
    if (own !== null) own.hold(g);
    return;
  }
  buf[i] = sumOwned(node, i < 30 ? 1 << i : 0, prev, g, own);
}

/** sumInto, with the slot's change of content counted (Note [released gradients]). */
function sumOwned(node: Node, bit: number, prev: Tensor, g: Tensor, own: Owned | null): Tensor {
  const sum = sumInto(node, bit, prev, g);
  if (own !== null && sum !== prev) {
    own.hold(sum);
    own.drop(prev);
  }
  return sum;
}

/** prev + g at the slot of `bit` (Note [owned gradient sums]): the slot's new content. */
function sumInto(node: Node, bit: number, prev: Tensor, g: Tensor): Tensor {
  if (!plainPair(prev, g)) return sumGrads(prev, g);
  if ((node._owned & bit) !== 0) {
    addIntoSum(prev, g);
    return prev;
  }
  node._owned |= bit;
  return sumPlain(prev, g);
}

/**
 * Note [released gradients]: a training step's gradients are mostly large buffers from the
 * native pool (Note [buffer pool]) that no code but the engine can reach once made, yet each
 * would stay allocated until a garbage collection finds it dead, and V8 schedules its
 * collections by these bytes (a GPT step's backward made ~70 MB of them). So, in a run that
 * records nothing (no createGraph), wants no `inputs` and is not nested in another, the engine
 * counts the references its gradient slots and pending leaf gradients hold to each pool buffer
 * a built-in formula made (Note [buffer pool] logs them while the node's backward and the
 * hand-off of its results run), and hands a buffer back to the pool when its count drops to
 * zero: after the node that consumed it ran, or after the commit copied or added it into
 * `.grad`; the buffers a formula made that no slot holds (its temporaries, results that were
 * summed into a slot or fitted to their input's shape) go back when the node is done. The
 * rule is sound because such a buffer is reachable from nothing else:
 * - built-in formulas (OpNode) run with grad mode off and save nothing, keep no state between
 *   calls (no cache holds a tensor), and see the gradients only as arguments; a backward run
 *   nested in a formula logs nothing; what a formula returns may be its input gradient itself
 *   or a view of it, which is why the count is per ArrayBuffer, not per tensor;
 * - user code that could keep a gradient never sees a counted one: a node with hooks
 *   (registerHook, retainGrad, module hooks), a custom Function's node, a node whose saved
 *   tensors unpack through saved-tensor hooks, and a leaf with hooks all take their gradients
 *   out of the count for the rest of the run (`escape`), before they run;
 * - `.grad` gets a copy or an in-place sum (accumulateGrad), or the gradient itself when it
 *   steals it (Note [stolen gradients]): such a gradient leaves the count after the commit.
 * Counting starts at the run's first pool buffer, or at its first node when a root's node has
 * an input large enough for a pool buffer (`largeInput`; a small graph, which makes none, pays
 * only a check per node); what was made before it is not counted and goes to the collector. A
 * gradient that is not a plain Tensor (a vmap BatchedTensor wraps its storage) switches the
 * counting off for the rest of the run. A failed run releases nothing more; its buffers go to
 * the collector as before.
 */
/**
 * The storage buffers behind a gradient: its own, or a sparse one's indices and values (Note
 * [sparse tensors]: its own storage is empty), so a sparse gradient's parts count as held.
 */
function buffersOf(t: Tensor): ArrayBuffer[] {
  const sp = t._rare === null ? null : t._rare.sparse;
  if (sp === null) return [t.typedArray.buffer as ArrayBuffer];
  return [sp.indices.typedArray.buffer as ArrayBuffer, sp.values.typedArray.buffer as ArrayBuffer];
}

class Owned {
  readonly refs = new Map<ArrayBuffer, number>();
  /** the pool buffers the running node's backward made (setPoolLog) */
  readonly log: ArrayBuffer[] = [];
  off = false;
  /** set at the run's first pool buffer: nodes are counted from then on */
  active = false;

  /** `t` is now held by a gradient slot or the pending leaf gradients. */
  hold(t: Tensor): void {
    // nothing counted or made (a small graph): no buffer to look up (reading `.buffer` of a
    // small typed array would make V8 allocate one)
    if (this.off || (this.log.length === 0 && this.refs.size === 0)) return;
    if (t.constructor !== Tensor) {
      this.off = true;
      this.refs.clear();
      return;
    }
    for (const b of buffersOf(t)) {
      const c = this.refs.get(b);
      if (c !== undefined) this.refs.set(b, c + 1);
      else if (this.log.includes(b)) this.refs.set(b, 1);
    }
  }

  /** A slot or pending leaf gradient no longer holds `t`: release its buffer at zero. */
  drop(t: Tensor | null | undefined): void {
    if (t === null || t === undefined || this.off || this.refs.size === 0) return;
    for (const b of buffersOf(t)) {
      const c = this.refs.get(b);
      if (c === undefined) continue;
      if (c > 1) this.refs.set(b, c - 1);
      else {
        this.refs.delete(b);
        releasePoolBuffer(b);
      }
    }
  }

  /**
   * Whether the engine's count says one slot or pending leaf gradient alone holds `t`'s
   * buffer, a buffer a built-in formula made (Note [counted stolen gradients]).
   */
  soleHolder(t: Tensor): boolean {
    if (this.off || this.refs.size === 0 || t.constructor !== Tensor) return false;
    return buffersOf(t).every((b) => this.refs.get(b) === 1);
  }

  /** `t` is kept outside the engine: never release its buffer. */
  escapeTensor(t: Tensor): void {
    if (!this.off) for (const b of buffersOf(t)) this.refs.delete(b);
  }

  /** The node's gradients reach code that may keep them: never release their buffers. */
  escape(node: Node): void {
    if (this.off || this.refs.size === 0) return;
    const g0 = node._g0;
    if (g0 !== null) for (const b of buffersOf(g0)) this.refs.delete(b);
    const buf = node._buf;
    if (buf === null) return;
    for (let i = 0; i < buf.length; i++) {
      const t = buf[i];
      if (t !== null && t !== undefined) for (const b of buffersOf(t)) this.refs.delete(b);
    }
  }

  clear(): void {
    if (this.refs.size !== 0) this.refs.clear();
    if (this.log.length !== 0) this.log.length = 0;
    this.off = false;
    this.active = false;
  }
}
const TOP_OWNED = new Owned();

/**
 * Elements from which an input's gradient may be a pool buffer (64 KB of a 4-byte dtype: the
 * pool's threshold, buffers.ts POOL_MIN_BYTES).
 */
const POOL_MIN_ELEMENTS = 16384;

/**
 * Whether one of a node's inputs is large enough for its gradient to come from the buffer pool:
 * a run whose root node has one counts from its first node (Note [released gradients]), so
 * that the first formulas' results (those of a loss's backward, whose own incoming gradient is
 * an expanded scalar) go back to the pool too. (Checked once per run, for the roots: a check
 * per node cost the small graphs' runs ~1.5% of their instructions.)
 */
function largeInput(node: Node): boolean {
  const edges = node.edges;
  for (let i = 0; i < edges.length; i++) {
    const s = edges[i].shape;
    if (s === undefined) continue;
    let n = 1;
    for (let d = 0; d < s.length; d++) n *= s[d];
    if (n >= POOL_MIN_ELEMENTS) return true;
  }
  return false;
}

/** Whether a node's backward is a built-in formula that runs no user code (Note [released gradients]). */
function plainFormula(node: Node): boolean {
  return node instanceof OpNode && (!anyHookedSaves() || !node.unpacksWithHooks());
}

let runCounter = 0;

/**
 * Note [reentrant backward]: a backward started while another runs (from a hook, a custom
 * function's backward, checkpoint) may reach nodes the outer run is still using (a shared
 * leaf's AccumulateGrad, say). The inner run stashes the outer run's scratch of such nodes
 * (Note [engine scratch]) when it first visits them and restores it when it ends.
 */
interface RunFrame {
  run: number;
  withInputs: boolean;
  stash: [Node, number, boolean, Buffer | null, Tensor | null, boolean, number][] | null;
}
const activeRuns: RunFrame[] = [];
const TOP_FRAME: RunFrame = { run: 0, withInputs: false, stash: null };

function stashIfActive(n: Node, frame: RunFrame): void {
  if (n._run === 0) return;
  for (let i = 0; i < activeRuns.length - 1; i++) {
    if (activeRuns[i].run === n._run) {
      (frame.stash ??= []).push([n, n._run, n._queued, n._buf, n._g0, n._needed, n._owned]);
      return;
    }
  }
}

/**
 * PyTorch's torch.autograd._is_checkpoint_valid(): false while the running backward was
 * given `inputs` (autograd.grad, backward({ inputs })), which checkpointing cannot support.
 */
export function isCheckpointValid(): boolean {
  const top = activeRuns[activeRuns.length - 1];
  return top === undefined || !top.withInputs;
}

/**
 * Run backward from `roots` with head gradients `rootGrads` (validated by the caller).
 * Returns the gradients of `opts.inputs` (null where none flowed) when inputs are given.
 */
export function runBackward(
  roots: readonly Tensor[],
  rootGrads: readonly Tensor[],
  opts: EngineOptions,
): (Tensor | null)[] {
  const prev = swapGradEnabled(opts.createGraph);
  // Note [engine work lists]: the outermost run reuses one frame and one set of lists
  const outermost = activeRuns.length === 0;
  const frame: RunFrame = outermost ? TOP_FRAME : { run: 0, withInputs: false, stash: null };
  frame.run = ++runCounter;
  frame.withInputs = opts.inputs !== null;
  frame.stash = null;
  activeRuns.push(frame);
  const scratch = outermost ? TOP_SCRATCH : new Scratch();
  // a run nested in a formula's backward makes buffers that formula did not (Note [released
  // gradients])
  const outerLog = outermost ? null : setPoolLog(null);
  try {
    return execute(roots, rootGrads, opts, frame, scratch);
  } finally {
    if (!outermost) setPoolLog(outerLog);
    else TOP_OWNED.clear();
    scratch.clear();
    activeRuns.pop();
    if (outermost) endClaims();
    const st = frame.stash as RunFrame["stash"];
    if (st !== null) {
      for (let i = st.length - 1; i >= 0; i--) {
        const [n, r, d, b, g0, nd, o] = st[i];
        n._run = r;
        n._queued = d;
        n._buf = b;
        n._g0 = g0;
        n._needed = nd;
        n._owned = o;
      }
    }
    swapGradEnabled(prev);
  }
}

/**
 * What one run collects for the commit step (Note [atomic backward]), and its work lists.
 * Note [engine work lists]: the outermost run reuses one Scratch (a backward of a small graph
 * would otherwise spend much of its time growing fresh arrays); runs nested in it (a hook's
 * backward) get their own. Emptied after every run, so it holds no tensor between runs.
 */
class Scratch {
  /** retained and captured non-leaf gradients: [tensor, gradient] */
  retain: [Tensor, Tensor][] | null = null;
  /** nodes that ran (their saved tensors are freed unless keepGraph) */
  readonly ran = new WorkList<Node>();
  readonly leafNodes = new WorkList<AccumulateGrad>();
  readonly leafGrads = new WorkList<Tensor>();
  readonly rootNodes = new WorkList<Node>();
  readonly stack = new WorkList<Node>();
  readonly queue = new ReadyQueue();

  clear(): void {
    this.retain = null;
    this.ran.clear();
    this.leafNodes.clear();
    this.leafGrads.clear();
    this.rootNodes.clear();
    this.stack.clear();
    this.queue.clear();
  }
}
const TOP_SCRATCH = new Scratch();
/** the results of a run without `inputs` (nothing is returned) */
const NO_RESULTS: (Tensor | null)[] = [];

function execute(
  roots: readonly Tensor[],
  rootGrads: readonly Tensor[],
  opts: EngineOptions,
  frame: RunFrame,
  pending: Scratch,
): (Tensor | null)[] {
  const queue = pending.queue;
  const withInputs = opts.inputs !== null;
  seedRoots(roots, rootGrads, frame, withInputs ? pending.rootNodes : null, queue);
  const results: (Tensor | null)[] = withInputs ? [] : NO_RESULTS;
  const captures = withInputs
    ? captureInputs(reachable(pending.rootNodes, frame, pending.stack), opts, frame.run, results)
    : null;
  // Note [released gradients]: only in an outermost run that records nothing and wants no inputs
  const own =
    canReleasePoolBuffers && !opts.createGraph && !withInputs && frame === TOP_FRAME
      ? TOP_OWNED
      : null;
  // the log stays on for the run; each counted node starts it afresh, so what other nodes,
  // hooks or the commit make is never taken for a formula's
  const outerLog = own !== null ? setPoolLog(own.log) : null;
  // a root whose node has a large input counts from the start (`largeInput`)
  if (own !== null) {
    for (let i = 0; i < roots.length && !own.active; i++) {
      const n = roots[i].gradFn;
      if (n !== null && largeInput(n)) own.active = true;
    }
  }
  try {
    runNodes(queue, frame, opts, captures, results, pending, own);
    commit(pending, opts, own);
  } finally {
    if (own !== null) setPoolLog(outerLog);
  }
  if (own !== null && own.refs.size !== 0) {
    // the leaf gradients were copied or added into .grad, or taken as it (Note [stolen
    // gradients]): a taken one is the leaf's now and never released
    for (let i = 0; i < pending.leafGrads.size; i++) {
      const g = pending.leafGrads.at(i);
      // a sparse gradient's parts live on in the leaf's own sparse wrapper over them
      // (Note [sparse tensors]): they are the leaf's now too
      if (pending.leafNodes.at(i).variable._grad === g || g._sparse !== null) own.escapeTensor(g);
      else own.drop(g);
    }
  }
  return results;
}

/** The walk: run every queued node (Note [sequence-order readiness]). */
function runNodes(
  queue: ReadyQueue,
  frame: RunFrame,
  opts: EngineOptions,
  captures: ReadonlyMap<Node, [number, number][]> | null,
  results: (Tensor | null)[],
  pending: Scratch,
  own: Owned | null,
): void {
  // Note [sequence-order readiness]: the newest reached node has all its gradients
  while (queue.size > 0) {
    const node = queue.pop();
    let gradInputs: (Tensor | null)[];
    if (captures === null && node._hooks === null && !anomalyEnabled) {
      if (node.isLeafSink) {
        // a leaf without hooks: its gradient waits for the commit (runNode's leaf case), still
        // counted (Note [released gradients])
        const g = takeGrad(node);
        if (opts.accumulate && g) {
          pending.leafNodes.push(node as AccumulateGrad);
          pending.leafGrads.push(g);
        }
        continue;
      }
      // counting starts with the run's first pool buffer: a small graph never pays for it
      if (own !== null && !own.off && (own.active || own.log.length !== 0) && plainFormula(node)) {
        own.active = true;
        runCounted(node, queue, frame, own, pending);
        continue;
      }
      if (own !== null && own.refs.size !== 0) own.escape(node);
      // the common node, inline: no hooks, nothing captured, not a leaf
      gradInputs =
        node.numOutputs === 1 ? node.applyOne(takeGrad(node)) : node.apply(takeBuffer(node));
      pending.ran.push(node);
    } else {
      if (own !== null && own.refs.size !== 0) own.escape(node);
      gradInputs = runNode(node, opts, captures, results, pending);
    }
    propagate(node, gradInputs, queue, frame, null);
  }
}

/**
 * Run a built-in formula's node with its gradients counted (Note [released gradients]): the
 * pool buffers its backward and the hand-off make are logged, the slots it fills hold them,
 * its own gradients are dropped once its results are handed on, and what it made that no slot
 * holds is released.
 */
function runCounted(
  node: Node,
  queue: ReadyQueue,
  frame: RunFrame,
  own: Owned,
  pending: Scratch,
): void {
  const one = node.numOutputs === 1;
  const g0 = one ? takeGrad(node) : null;
  const buf = one ? null : takeBuffer(node);
  const log = own.log;
  if (log.length !== 0) log.length = 0;
  const gradInputs = one ? node.applyOne(g0) : node.apply(buf!);
  pending.ran.push(node);
  propagate(node, gradInputs, queue, frame, own);
  // what the formula made and no slot holds (its temporaries, results summed into a slot or
  // fitted to their input's shape) is already unreachable
  if (log.length !== 0) {
    for (let i = 0; i < log.length; i++) if (!own.refs.has(log[i])) releasePoolBuffer(log[i]);
    log.length = 0;
  }
  if (one) own.drop(g0);
  else for (let i = 0; i < buf!.length; i++) own.drop(buf![i]);
}

/** Note [engine scratch]: give a node this run's scratch (stashing an outer run's). */
function visit(n: Node, frame: RunFrame): void {
  if (activeRuns.length > 1) stashIfActive(n, frame);
  n._run = frame.run;
  n._queued = false;
  n._buf = null;
  n._g0 = null;
  n._owned = 0;
  n._needed = true;
}

/**
 * Hand each root node its head gradient and queue it; with `inputs`, also list the root nodes
 * (`rootNodes`) for the pass that marks the needed nodes.
 */
function seedRoots(
  roots: readonly Tensor[],
  rootGrads: readonly Tensor[],
  frame: RunFrame,
  rootNodes: WorkList<Node> | null,
  queue: ReadyQueue,
): void {
  // (the caller holds the root gradients: Note [stolen gradients])
  disownGradients(rootGrads);
  for (let i = 0; i < roots.length; i++) {
    const root = roots[i];
    // gradientEdge without its edge object: the root's node and output number
    let n: Node | null = root.gradFn;
    let nr = root.outputNr;
    if (n === null) {
      const e = gradientEdge(root);
      n = e.node;
      nr = e.inputNr;
    }
    if (n === null) continue;
    if (n._run !== frame.run) {
      visit(n, frame);
      n._queued = true;
      queue.push(n);
      if (rootNodes !== null) rootNodes.push(n);
    }
    accumulateInto(n, nr, rootGrads[i], null);
  }
}

/** The nodes reachable from the root nodes, in discovery order, each visited (for markNeeded). */
function reachable(rootNodes: WorkList<Node>, frame: RunFrame, stack: WorkList<Node>): Node[] {
  const order: Node[] = [];
  for (let i = 0; i < rootNodes.size; i++) stack.push(rootNodes.at(i));
  while (stack.size > 0) {
    const n = stack.pop();
    order.push(n);
    const edges = n.edges;
    for (let i = 0; i < edges.length; i++) {
      const c = edges[i].node;
      if (c === null) continue;
      if (c._run !== frame.run) {
        visit(c, frame);
        stack.push(c);
      }
    }
  }
  return order;
}

/** The capture points of `inputs` (node -> [output nr, input index]) and the nodes needed. */
function captureInputs(
  order: readonly Node[],
  opts: EngineOptions,
  run: number,
  results: (Tensor | null)[],
): Map<Node, [number, number][]> {
  const caps = new Map<Node, [number, number][]>();
  opts.inputs!.forEach((t, k) => {
    const e = gradientEdge(t);
    results.push(null);
    if (e.node === null || e.node._run !== run) return;
    let list = caps.get(e.node);
    if (list === undefined) caps.set(e.node, (list = []));
    list.push([e.inputNr, k]);
  });
  markNeeded(order, caps);
  return caps;
}

/** The node's gradient buffer, taken from it (the engine's scratch on the node is reset). */
function takeBuffer(node: Node): Buffer {
  if (node.numOutputs === 1) return [takeGrad(node)];
  const buf = node._buf ?? newBuffer(node.numOutputs);
  node._buf = null;
  node._owned = 0;
  return buf;
}

/** A single-output node's gradient, taken from it (`takeBuffer` without the array). */
function takeGrad(node: Node): Tensor | null {
  const g = node._g0;
  node._g0 = null;
  node._owned = 0;
  return g;
}

/** Tensor hooks (t.registerHook) may replace a gradient; retainGrad then sees the result. */
function runTensorHooks(hooks: NodeHooks, buf: Buffer): void {
  if (hooks.tensorPre === null) return;
  for (const [outNr, list] of hooks.tensorPre) {
    for (const h of list.slice()) {
      const g = buf[outNr];
      if (g === null || g === undefined) continue;
      const r = h(g);
      if (r !== undefined && r !== null) buf[outNr] = r;
    }
  }
}

/** Gradients the run hands back or retains at this node (retainGrad, `inputs`). */
function collectAtNode(
  node: Node,
  buf: Buffer,
  opts: EngineOptions,
  captures: ReadonlyMap<Node, [number, number][]> | null,
  results: (Tensor | null)[],
  pending: Scratch,
): void {
  const retainTargets = node._hooks === null ? null : node._hooks.retainGrad;
  if (retainTargets !== null && opts.accumulate) {
    for (const [outNr, t] of retainTargets) {
      const g = buf[outNr];
      if (g) (pending.retain ??= []).push([t, g]);
    }
  }
  const caps = captures?.get(node);
  if (caps === undefined) return;
  for (const [outNr, k] of caps) {
    const g = buf[outNr] ?? null;
    results[k] = g;
    // a non-leaf input that also retains its grad is accumulated once (above)
    const retained = retainTargets?.get(outNr) === opts.inputs![k];
    if (opts.accumulate && !node.isLeafSink && g !== null && !retained) {
      (pending.retain ??= []).push([opts.inputs![k], g]);
    }
  }
}

/** Run one ready node: hooks, its backward (with anomaly checks), and what it leaves to commit. */
function runNode(
  node: Node,
  opts: EngineOptions,
  captures: ReadonlyMap<Node, [number, number][]> | null,
  results: (Tensor | null)[],
  pending: Scratch,
): (Tensor | null)[] {
  const buf = takeBuffer(node);
  const hooks = node._hooks;
  // hooks and captures may keep a reference (Note [stolen gradients])
  if (hooks !== null || captures !== null) disownGradients(buf);
  if (hooks !== null) runTensorHooks(hooks, buf);
  if (hooks !== null || captures !== null)
    collectAtNode(node, buf, opts, captures, results, pending);
  // a captured non-leaf (autograd.grad w.r.t. an intermediate) only runs if gradients must
  // flow on through it to another wanted node
  let shouldRun = node._needed;
  if (shouldRun && captures !== null && !node.isLeafSink && captures.has(node)) {
    shouldRun = node.edges.some((e) => e.node !== null && e.node._needed);
  }
  if (node.isLeafSink) {
    const g = buf[0];
    if (opts.accumulate && shouldRun && g) {
      pending.leafNodes.push(node as AccumulateGrad);
      pending.leafGrads.push(g);
    }
    return EMPTY;
  }
  if (!shouldRun) return EMPTY;
  let gradOutputs = buf;
  if (hooks !== null && hooks.pre !== null) {
    for (const h of hooks.pre) {
      const r = h(gradOutputs);
      if (r) gradOutputs = r;
    }
  }
  let gradInputs: (Tensor | null)[];
  if (anomalyEnabled) {
    const go = gradOutputs;
    gradInputs = applyWithAnomaly(node, () => node.apply(go));
  } else gradInputs = node.apply(gradOutputs);
  if (hooks !== null && hooks.post !== null) {
    for (const h of hooks.post) {
      const r = h(gradInputs, gradOutputs);
      if (r) gradInputs = r;
    }
    disownGradients(gradInputs);
  }
  if (anomalyEnabled && isAnomalyCheckNanEnabled()) checkNanGradients(node, gradInputs);
  pending.ran.push(node);
  return gradInputs;
}

/** Hand each input gradient to its edge's node, queueing the nodes reached for the first time. */
function propagate(
  node: Node,
  gradInputs: readonly (Tensor | null)[],
  queue: ReadyQueue,
  frame: RunFrame,
  own: Owned | null,
): void {
  const edges = node.edges;
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i];
    const child = e.node;
    if (child === null) continue;
    if (child._run !== frame.run) visit(child, frame);
    if (!child._queued) {
      if (child.sequenceNr >= node.sequenceNr) throw outOfOrder(node, child);
      child._queued = true;
      queue.push(child);
    }
    const g = gradInputs[i] ?? null;
    if (g !== null && child._needed) {
      // the common gradient already fits: the input's own shape array and dtype
      const fits = g.shape === e.shape && g.dtype.name === e.dtypeName;
      accumulateInto(child, e.inputNr, fits ? g : fitToInput(g, e.shape!, e.dtypeName!), own);
    }
  }
}

/** A broken Note [sequence-order readiness]: a bug in whatever built this edge. */
function outOfOrder(node: Node, child: Node): Error {
  return new Error(
    `autograd engine: ${node.name()} (sequence number ${node.sequenceNr}) has an edge to the newer ${child.name()} (${child.sequenceNr})`,
  );
}

/**
 * Note [atomic backward]: free saved tensors, write retained and leaf gradients, run hooks.
 *
 * Note [counted stolen gradients]: PyTorch's AccumulateGrad takes a leaf's first gradient as
 * `.grad` without a copy when its use count says only the engine holds it (Note [stolen
 * gradients]). In a counted run (Note [released gradients]) the engine has that count for the
 * buffers built-in formulas made: a leaf gradient whose buffer has a count of one is held by
 * its pending entry alone (every other slot that held it has been consumed and dropped it,
 * user code never saw it: a node or leaf with hooks takes its gradients out of the count), so
 * accumulateGrad may take it as it takes a claimed one. Two leaves handed one tensor count two
 * and copy, as PyTorch's use count of two does. This spares a copy of every such gradient into
 * fresh memory: in a browser a fresh buffer's pages fault (Note [wasm buffer pool]), and the
 * elementwise chain of bench/browser.mjs copied 2 x 4 MB per step.
 */
function commit(pending: Scratch, opts: EngineOptions, own: Owned | null): void {
  if (!opts.keepGraph) for (let i = 0; i < pending.ran.size; i++) pending.ran.at(i).release();
  if (pending.retain !== null) {
    for (const [t, g] of pending.retain) accumulateGrad(t, g, opts.createGraph, true);
  }
  for (let i = 0; i < pending.leafNodes.size; i++) {
    const node = pending.leafNodes.at(i);
    const g = pending.leafGrads.at(i);
    accumulateGrad(node.variable, g, opts.createGraph, false, own !== null && own.soleHolder(g));
    if (node.postAccumulateHooks.length > 0) {
      for (const h of node.postAccumulateHooks) h(node.variable);
    }
  }
}

const EMPTY: (Tensor | null)[] = [];

/**
 * Mark the nodes on some path from the roots to a capture point (`_needed`), by a reverse
 * sweep over a topological order (Kahn's algorithm on a copy of the dependency counts).
 */
function markNeeded(order: readonly Node[], captures: ReadonlyMap<Node, unknown>): void {
  // how many edges from reachable nodes point at each node
  const count = new Map<Node, number>();
  for (const n of order) count.set(n, count.get(n) ?? 0);
  for (const n of order)
    for (const e of n.edges)
      if (e.node !== null) count.set(e.node, (count.get(e.node) as number) + 1);
  const topo: Node[] = [];
  const stack = order.filter((n) => count.get(n) === 0);
  while (stack.length > 0) {
    const n = stack.pop() as Node;
    topo.push(n);
    for (const e of n.edges) {
      if (e.node === null) continue;
      const d = (count.get(e.node) as number) - 1;
      count.set(e.node, d);
      if (d === 0) stack.push(e.node);
    }
  }
  for (let i = topo.length - 1; i >= 0; i--) {
    const n = topo[i];
    n._needed = captures.has(n) || n.edges.some((e) => e.node !== null && e.node._needed);
  }
}
