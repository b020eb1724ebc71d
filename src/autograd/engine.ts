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
import { noGrad, setGradEnabled } from "./grad-mode.js";
import * as F from "./formula-ops.js";

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
  private items: Node[] = [];
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
      [a[p], a[i]] = [a[i], a[p]];
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
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

function accumulateInto(buf: Buffer, i: number, g: Tensor): void {
  const prev = buf[i];
  buf[i] = prev === null || prev === undefined ? g : prev.add(g);
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
  const guard = setGradEnabled(opts.createGraph);
  try {
    return execute(roots, rootGrads, opts);
  } finally {
    guard.exit();
  }
}

function execute(
  roots: readonly Tensor[],
  rootGrads: readonly Tensor[],
  opts: EngineOptions,
): (Tensor | null)[] {
  const buffers = new Map<Node, Buffer>();
  const rootNodes: Node[] = [];
  for (let i = 0; i < roots.length; i++) {
    const e = gradientEdge(roots[i]);
    if (e.node === null) continue;
    let buf = buffers.get(e.node);
    if (buf === undefined) {
      buf = new Array<Tensor | null>(e.node.numOutputs).fill(null);
      buffers.set(e.node, buf);
      rootNodes.push(e.node);
    }
    accumulateInto(buf, e.inputNr, rootGrads[i]);
  }

  // 1. Dependencies: how many edges from reachable nodes point at each node.
  const deps = new Map<Node, number>();
  const order: Node[] = [];
  {
    const stack: Node[] = [];
    for (const r of rootNodes) {
      if (!deps.has(r)) {
        deps.set(r, 0);
        stack.push(r);
      }
    }
    while (stack.length > 0) {
      const n = stack.pop() as Node;
      order.push(n);
      for (const e of n.edges) {
        const c = e.node;
        if (c === null) continue;
        const d = deps.get(c);
        if (d === undefined) {
          deps.set(c, 1);
          stack.push(c);
        } else deps.set(c, d + 1);
      }
    }
  }

  // 2. Capture points for `inputs`, and which nodes must run to reach them.
  let captures: Map<Node, [number, number][]> | null = null;
  let needed: Set<Node> | null = null;
  const results: (Tensor | null)[] = [];
  if (opts.inputs !== null) {
    captures = new Map();
    opts.inputs.forEach((t, k) => {
      const e = gradientEdge(t);
      results.push(null);
      if (e.node === null) return;
      let list = captures!.get(e.node);
      if (list === undefined) captures!.set(e.node, (list = []));
      list.push([e.inputNr, k]);
    });
    needed = neededNodes(order, deps, captures);
  }

  // 3. Run ready nodes, later-created first.
  const pendingLeaf: [AccumulateGrad, Tensor][] = [];
  const pendingRetain: [Tensor, Tensor][] = [];
  const pendingNonLeafInputs: [Tensor, Tensor][] = [];
  const ran: Node[] = [];
  const queue = new ReadyQueue();
  for (const r of rootNodes) if (deps.get(r) === 0) queue.push(r);
  while (queue.size > 0) {
    const node = queue.pop();
    const buf = buffers.get(node) as Buffer;
    buffers.delete(node);
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
    if (node.retainGradTargets !== null && (needed === null || opts.accumulate)) {
      for (const [outNr, t] of node.retainGradTargets) {
        const g = buf[outNr];
        if (g) pendingRetain.push([t, g]);
      }
    }
    const caps = captures?.get(node);
    if (caps !== undefined) {
      for (const [outNr, k] of caps) {
        const g = buf[outNr] ?? null;
        results[k] = g;
        if (opts.accumulate && !(node instanceof AccumulateGrad) && g !== null) {
          pendingNonLeafInputs.push([opts.inputs![k], g]);
        }
      }
    }
    const shouldRun = needed === null || needed.has(node);
    if (node instanceof AccumulateGrad) {
      const g = buf[0];
      if (opts.accumulate && shouldRun && g) pendingLeaf.push([node, g]);
      continue;
    }
    let gradInputs: (Tensor | null)[] = [];
    if (shouldRun) {
      let gradOutputs = buf;
      for (const h of node.preHooks) {
        const r = h(gradOutputs);
        if (r) gradOutputs = r;
      }
      gradInputs = node.apply(gradOutputs);
      for (const h of node.postHooks) {
        const r = h(gradInputs, gradOutputs);
        if (r) gradInputs = r;
      }
      ran.push(node);
    }
    const edges = node.edges;
    for (let i = 0; i < edges.length; i++) {
      const e = edges[i];
      const child = e.node;
      if (child === null) continue;
      let g = gradInputs[i] ?? null;
      if (g !== null && (needed === null || needed.has(child))) {
        g = fitToInput(g, node.inputMeta[i]!.shape, node.inputMeta[i]!.dtypeName);
        let cb = buffers.get(child);
        if (cb === undefined) {
          cb = new Array<Tensor | null>(child.numOutputs).fill(null);
          buffers.set(child, cb);
        }
        accumulateInto(cb, e.inputNr, g);
      } else if (!buffers.has(child)) {
        buffers.set(child, new Array<Tensor | null>(child.numOutputs).fill(null));
      }
      const d = (deps.get(child) as number) - 1;
      deps.set(child, d);
      if (d === 0) queue.push(child);
    }
  }

  // 4. Commit (Note [atomic backward]).
  if (!opts.keepGraph) for (const n of ran) n.release();
  for (const [t, g] of pendingRetain) accumulateGrad(t, g, opts.createGraph);
  for (const [t, g] of pendingNonLeafInputs) accumulateGrad(t, g, opts.createGraph);
  for (const [node, g] of pendingLeaf) {
    accumulateGrad(node.variable, g, opts.createGraph);
    for (const h of node.postAccumulateHooks) h(node.variable);
  }
  return results;
}

/** Nodes on some path from the roots to a capture point (reverse topological sweep). */
function neededNodes(
  order: readonly Node[],
  deps: ReadonlyMap<Node, number>,
  captures: ReadonlyMap<Node, unknown>,
): Set<Node> {
  // Kahn's algorithm over a copy of the dependency counts gives a topological order.
  const count = new Map(deps);
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
  const needed = new Set<Node>();
  for (let i = topo.length - 1; i >= 0; i--) {
    const n = topo[i];
    if (captures.has(n) || n.edges.some((e) => e.node !== null && needed.has(e.node))) {
      needed.add(n);
    }
  }
  return needed;
}

/** Note [un-broadcasting]: sum a gradient back to its input's shape and cast to its dtype. */
function fitToInput(g: Tensor, shape: readonly number[], dtypeName: string): Tensor {
  let r = g;
  if (!F.sameShape(r.shape, shape)) r = F.sumTo(r, shape);
  if (r.dtype.name !== dtypeName) r = F.castTo(r, dtypeName);
  return r;
}

/** AccumulateGrad: `t.grad += g`, owning its own storage (Note [atomic backward]). */
export function accumulateGrad(t: Tensor, g: Tensor, createGraph: boolean): void {
  const prev = t._gradRaw;
  if (prev === null) {
    t._gradRaw = createGraph ? g : noGrad(() => g.detach().clone());
  } else if (createGraph || prev.requiresGrad) {
    const guard = setGradEnabled(createGraph);
    try {
      t._gradRaw = prev.add(g);
    } finally {
      guard.exit();
    }
  } else {
    noGrad(() => prev.add_(g));
  }
}
