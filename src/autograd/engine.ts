/**
 * The backward engine, after PyTorch's engine.cpp: count each node's dependencies, then run
 * nodes whose gradients are complete, later nodes first, in an iterative loop (no recursion,
 * so a chain of 100,000 ops is fine). It knows no op math: nodes compute their own gradients.
 *
 * Note [atomic backward]: leaf `.grad` updates, retained gradients and the freeing of saved
 * tensors are applied only after every node ran, so a backward pass that throws leaves
 * `.grad` and the graph as they were.
 */
import type { Tensor } from "../tensor.js";
import { AccumulateGrad, type Node } from "./node.js";
import { gradientEdge } from "./function.js";
import { noGrad, swapGradEnabled } from "./grad-mode.js";
import * as F from "./formula-ops.js";
import { isForwardADActive } from "./forward-ad.js";
import { alloc, allocOutput, castData, wrap } from "../ops/core.js";
import { Binary, binary } from "../backend/cpu.js";
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

/** Max-heap of ready nodes by sequence number. */
class ReadyQueue {
  readonly items: Node[] = [];
  get size(): number {
    return this.items.length;
  }
  push(n: Node): void {
    const a = this.items;
    a.push(n);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].sequenceNr >= a[i].sequenceNr) break;
      const t = a[p];
      a[p] = a[i];
      a[i] = t;
      i = p;
    }
  }
  pop(): Node {
    const a = this.items;
    const top = a[0];
    const last = a.pop() as Node;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].sequenceNr > a[m].sequenceNr) m = l;
        if (r < a.length && a[r].sequenceNr > a[m].sequenceNr) m = r;
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

function accumulateInto(node: Node, i: number, g: Tensor): void {
  let buf = node._buf;
  if (buf === null) buf = node._buf = newBuffer(node.numOutputs);
  const prev = buf[i];
  buf[i] = prev === null || prev === undefined ? g : sumGrads(prev, g);
}

/**
 * prev + g for the gradient buffers: a direct kernel call when nothing is being recorded and
 * both are plain same-shape, same-dtype contiguous tensors (the common case), else `add`.
 */
function sumGrads(prev: Tensor, g: Tensor): Tensor {
  if (
    prev.dtype === g.dtype &&
    !prev.requiresGrad &&
    !g.requiresGrad &&
    !isForwardADActive() &&
    F.sameShape(prev.shape, g.shape) &&
    prev.isContiguous() &&
    g.isContiguous()
  ) {
    const out = allocOutput(prev.shape, prev.dtype);
    binary(
      Binary.Add,
      prev.typedArray,
      prev.offset,
      1,
      g.typedArray,
      g.offset,
      1,
      out.typedArray,
      0,
      out.numel(),
    );
    return out;
  }
  return prev.add(g);
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
  stash: [Node, number, number, Buffer | null, boolean][] | null;
}
const activeRuns: RunFrame[] = [];

function stashIfActive(n: Node, frame: RunFrame): void {
  if (n._run === 0) return;
  for (let i = 0; i < activeRuns.length - 1; i++) {
    if (activeRuns[i].run === n._run) {
      (frame.stash ??= []).push([n, n._run, n._deps, n._buf, n._needed]);
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
  const frame: RunFrame = { run: ++runCounter, withInputs: opts.inputs !== null, stash: null };
  activeRuns.push(frame);
  try {
    return execute(roots, rootGrads, opts, frame);
  } finally {
    activeRuns.pop();
    const st = frame.stash;
    if (st !== null) {
      for (let i = st.length - 1; i >= 0; i--) {
        const [n, r, d, b, nd] = st[i];
        n._run = r;
        n._deps = d;
        n._buf = b;
        n._needed = nd;
      }
    }
    swapGradEnabled(prev);
  }
}

function execute(
  roots: readonly Tensor[],
  rootGrads: readonly Tensor[],
  opts: EngineOptions,
  frame: RunFrame,
): (Tensor | null)[] {
  // Note [engine scratch]: nodes visited by this run carry `_run === run`.
  const run = frame.run;
  const nested = activeRuns.length > 1;
  const rootNodes: Node[] = [];
  for (let i = 0; i < roots.length; i++) {
    const e = gradientEdge(roots[i]);
    const n = e.node;
    if (n === null) continue;
    if (n._run !== run) {
      if (nested) stashIfActive(n, frame);
      n._run = run;
      n._deps = 0;
      n._buf = null;
      n._needed = true;
      rootNodes.push(n);
    }
    accumulateInto(n, e.inputNr, rootGrads[i]);
  }

  // 1. Dependencies: how many edges from reachable nodes point at each node.
  const withInputs = opts.inputs !== null;
  const order: Node[] | null = withInputs ? [] : null;
  const stack = rootNodes.slice();
  while (stack.length > 0) {
    const n = stack.pop() as Node;
    if (order !== null) order.push(n);
    const edges = n.edges;
    for (let i = 0; i < edges.length; i++) {
      const c = edges[i].node;
      if (c === null) continue;
      if (c._run !== run) {
        if (nested) stashIfActive(c, frame);
        c._run = run;
        c._deps = 1;
        c._buf = null;
        c._needed = true;
        stack.push(c);
      } else c._deps++;
    }
  }

  // 2. Capture points for `inputs`, and which nodes must run to reach them.
  let captures: Map<Node, [number, number][]> | null = null;
  const results: (Tensor | null)[] = [];
  if (order !== null) {
    const caps = new Map<Node, [number, number][]>();
    captures = caps;
    opts.inputs!.forEach((t, k) => {
      const e = gradientEdge(t);
      results.push(null);
      if (e.node === null || e.node._run !== run) return;
      let list = caps.get(e.node);
      if (list === undefined) caps.set(e.node, (list = []));
      list.push([e.inputNr, k]);
    });
    markNeeded(order, caps);
  }

  // 3. Run ready nodes, later-created first.
  let pendingRetain: [Tensor, Tensor][] | null = null;
  const ran: Node[] = [];
  const leafNodes: AccumulateGrad[] = [];
  const leafGrads: Tensor[] = [];
  const queue = new ReadyQueue();
  for (let i = 0; i < rootNodes.length; i++) if (rootNodes[i]._deps === 0) queue.push(rootNodes[i]);
  while (queue.size > 0) {
    const node = queue.pop();
    const buf = node._buf ?? newBuffer(node.numOutputs);
    node._buf = null;
    // tensor hooks (t.registerHook) may replace a gradient; then retainGrad sees the result
    if (node.tensorPreHooks !== null) {
      for (const [outNr, hooks] of node.tensorPreHooks) {
        for (const h of hooks.slice()) {
          const g = buf[outNr];
          if (g === null || g === undefined) continue;
          const r = h(g);
          if (r !== undefined && r !== null) buf[outNr] = r;
        }
      }
    }
    if (node.retainGradTargets !== null && opts.accumulate) {
      for (const [outNr, t] of node.retainGradTargets) {
        const g = buf[outNr];
        if (g) (pendingRetain ??= []).push([t, g]);
      }
    }
    if (captures !== null) {
      const caps = captures.get(node);
      if (caps !== undefined) {
        for (const [outNr, k] of caps) {
          const g = buf[outNr] ?? null;
          results[k] = g;
          // a non-leaf input that also retains its grad is accumulated once (above)
          const retained = node.retainGradTargets?.get(outNr) === opts.inputs![k];
          if (opts.accumulate && !node.isLeafSink && g !== null && !retained) {
            (pendingRetain ??= []).push([opts.inputs![k], g]);
          }
        }
      }
    }
    // a captured non-leaf (autograd.grad w.r.t. an intermediate) only runs if gradients must
    // flow on through it to another wanted node
    let shouldRun = node._needed;
    if (shouldRun && captures !== null && !node.isLeafSink && captures.has(node)) {
      shouldRun = node.edges.some((e) => e.node !== null && e.node._needed);
    }
    if (node.isLeafSink) {
      const g = buf[0];
      if (opts.accumulate && shouldRun && g) {
        leafNodes.push(node as AccumulateGrad);
        leafGrads.push(g);
      }
      continue;
    }
    let gradInputs: (Tensor | null)[] = EMPTY;
    if (shouldRun) {
      let gradOutputs = buf;
      if (node.preHooks !== null) {
        for (const h of node.preHooks) {
          const r = h(gradOutputs);
          if (r) gradOutputs = r;
        }
      }
      if (anomalyEnabled) {
        const go = gradOutputs;
        gradInputs = applyWithAnomaly(node, () => node.apply(go));
      } else gradInputs = node.apply(gradOutputs);
      if (node.postHooks !== null) {
        for (const h of node.postHooks) {
          const r = h(gradInputs, gradOutputs);
          if (r) gradInputs = r;
        }
      }
      if (anomalyEnabled && isAnomalyCheckNanEnabled()) checkNanGradients(node, gradInputs);
      ran.push(node);
    }
    const edges = node.edges;
    for (let i = 0; i < edges.length; i++) {
      const e = edges[i];
      const child = e.node;
      if (child === null) continue;
      const g = gradInputs[i] ?? null;
      if (g !== null && child._needed) {
        accumulateInto(child, e.inputNr, fitToInput(g, e.shape!, e.dtypeName!));
      }
      if (--child._deps === 0) queue.push(child);
    }
  }

  // 4. Commit (Note [atomic backward]).
  if (!opts.keepGraph) for (let i = 0; i < ran.length; i++) ran[i].release();
  if (pendingRetain !== null) {
    for (const [t, g] of pendingRetain) accumulateGrad(t, g, opts.createGraph, true);
  }
  for (let i = 0; i < leafNodes.length; i++) {
    const node = leafNodes[i];
    accumulateGrad(node.variable, leafGrads[i], opts.createGraph);
    if (node.postAccumulateHooks.length > 0) {
      for (const h of node.postAccumulateHooks) h(node.variable);
    }
  }
  return results;
}

const EMPTY: (Tensor | null)[] = [];

/**
 * Mark the nodes on some path from the roots to a capture point (`_needed`), by a reverse
 * sweep over a topological order (Kahn's algorithm on a copy of the dependency counts).
 */
function markNeeded(order: readonly Node[], captures: ReadonlyMap<Node, unknown>): void {
  const count = new Map<Node, number>();
  for (const n of order) count.set(n, n._deps);
  const topo: Node[] = [];
  const stack = order.filter((n) => n._deps === 0);
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

/** Note [un-broadcasting]: sum a gradient back to its input's shape and cast to its dtype. */
function fitToInput(g: Tensor, shape: readonly number[], dtypeName: string): Tensor {
  let r = g;
  if (!F.sameShape(r.shape, shape)) r = F.sumTo(r, shape);
  if (r.dtype.name !== dtypeName) r = F.castTo(r, dtypeName);
  return r;
}

/**
 * AccumulateGrad: `t.grad += g`, owning its own storage (Note [atomic backward]). `retained`:
 * a non-leaf's retained gradient (PyTorch's retain_grad hook).
 */
export function accumulateGrad(t: Tensor, g: Tensor, createGraph: boolean, retained = false): void {
  const prev = t._grad;
  if (prev === null) {
    // a fresh copy: the engine may hand the same tensor to several leaves; with createGraph,
    // recorded as PyTorch does: a copy into new storage (grad_fn=<CopyBackwards>) for a leaf,
    // a clone (CloneBackward0) for a retained gradient
    if (createGraph) t._grad = retained ? g.clone() : alloc(g.shape.slice(), g.dtype).copy_(g);
    else t._grad = wrap(castData(g, g.dtype), g.shape.slice(), g.dtype);
  } else if (createGraph || prev.requiresGrad) {
    const was = swapGradEnabled(createGraph);
    try {
      t._grad = prev.add(g);
    } finally {
      swapGradEnabled(was);
    }
  } else if (prev.dtype === g.dtype && prev.isContiguous() && F.sameShape(prev.shape, g.shape)) {
    // fast path: in-place add on the owned, contiguous .grad (any layout of g)
    F.addInto(prev, g);
    prev._version.value++;
  } else {
    noGrad(() => prev.add_(g));
  }
}
