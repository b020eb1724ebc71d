/**
 * "Why is my grad null?": torch.autograd.explain(output, input) reads the graph behind
 * `output` and tells, in words, whether `output.backward()` will fill `input.grad`, and if not
 * why: the input does not require grad, the output has no graph, the input is not on the
 * output's graph (with where the chain is cut), the input is a non-leaf without retainGrad,
 * a hook changes the gradient, the graph was already freed. Nothing like it exists in
 * PyTorch. Also the internal graph walks used by tests (saved bytes).
 */
import { Tensor } from "../tensor.js";
import { AccumulateGrad, type Node, type SavedVariable } from "./node.js";
import { gradientEdge } from "./function.js";
import { grad as autogradGrad } from "./api.js";
import { provenanceOf } from "./provenance.js";
import { typeError } from "../errors.js";
import { CustomFunctionNode } from "./custom-function.js";

// ------------------------------------------------------------------------------------------
// graph walks

/** Every node reachable from `roots` (each once), in breadth-first order. */
export function reachableNodes(roots: readonly Tensor[]): Node[] {
  const seen = new Set<Node>();
  const order: Node[] = [];
  for (const r of roots) {
    const n = r.requiresGrad ? gradientEdge(r).node : null;
    if (n !== null && !seen.has(n)) {
      seen.add(n);
      order.push(n);
    }
  }
  for (let i = 0; i < order.length; i++) {
    for (const e of order[i].edges) {
      if (e.node !== null && !seen.has(e.node)) {
        seen.add(e.node);
        order.push(e.node);
      }
    }
  }
  return order;
}

/**
 * Bytes of tensor storage held by the SavedVariables of the graph behind `outputs` (each
 * storage counted once; values packed by saved-tensor hooks count when they are tensors).
 * Internal: used to show what checkpointing saves.
 * @example
 * const x = torch.ones(3, { requiresGrad: true });
 * const y = x.mul(x.add(1)); // MulBackward0 saves two float32 [3] tensors
 * savedTensorBytes(y); // 24

 */
export function savedTensorBytes(outputs: Tensor | readonly Tensor[]): number {
  const roots = outputs instanceof Tensor ? [outputs] : outputs;
  const storages = new Set<ArrayBufferView>();
  for (const n of reachableNodes(roots)) {
    for (const v of n.savedVariables()) {
      const h = v.held;
      if (h instanceof Tensor) storages.add(h.typedArray);
    }
  }
  let bytes = 0;
  for (const s of storages) bytes += s.byteLength;
  return bytes;
}

// ------------------------------------------------------------------------------------------
// explain

/** Options of explain. */
export interface ExplainOptions {
  /** what to call the output in the text (default "output") */
  outputName?: string;
  /** what to call the input in the text (default "input") */
  inputName?: string;
  /**
   * Also run a trial backward (autograd.grad with retainGraph: nothing is accumulated, but
   * hooks on the way are called) to report the gradient that would arrive and what tensor
   * hooks did to it. Default false: explain only reads the graph.
   */
  run?: boolean;
}

function describe(t: Tensor): string {
  return `${t.dtype.name} [${t.shape.join(", ")}]`;
}

/** Hints for inputs that look like leaves but are results of an op. */
const NON_LEAF_HINTS: Record<string, string> = {
  ToCopyBackward0:
    "it is the result of a dtype conversion (.to(), .float(), .double()): the leaf is the tensor before the conversion; create the leaf with the dtype you want, or call retainGrad()",
  CloneBackward0: "it is a clone(): the leaf is the tensor it was cloned from",
  SubBackward0:
    "if this is a parameter update like `w = w.sub(lr * w.grad)`, the new `w` is a non-leaf: update in place instead, `torch.noGrad(() => w.sub_(w.grad.mul(lr)))`",
  AddBackward0:
    "if this is a parameter update like `w = w.add(...)`, the new `w` is a non-leaf: update in place under torch.noGrad instead",
};

interface Walk {
  /** node -> [the node it was reached from, edge index] for the first time it was reached */
  parent: Map<Node, [Node, number] | null>;
  order: Node[];
  /** edges of tensor operands without grad history: [node, input index, shape, dtype] */
  cuts: [Node, number, readonly number[], string][];
  /** how many edges point at the target */
  uses: number;
  /** the node whose edge first reached the target (null: the root is the target) */
  targetFrom: [Node, number] | null;
  reached: boolean;
}

function walk(root: Node, target: Node | null, targetNr: number, rootNr: number): Walk {
  const w: Walk = {
    parent: new Map([[root, null]]),
    order: [root],
    cuts: [],
    uses: 0,
    targetFrom: null,
    reached: target === root && targetNr === rootNr,
  };
  for (let i = 0; i < w.order.length; i++) {
    const n = w.order[i];
    n.edges.forEach((e, k) => {
      if (e.node === null) {
        // non-tensor operands carry no dtype (NO_EDGE); tensors without history do
        if (e.dtypeName !== undefined && e.dtypeName !== "")
          w.cuts.push([n, k, e.shape ?? [], e.dtypeName]);
        return;
      }
      if (e.node === target && e.inputNr === targetNr) {
        w.uses++;
        if (!w.reached) {
          w.reached = true;
          w.targetFrom = [n, k];
        }
      }
      if (!w.parent.has(e.node)) {
        w.parent.set(e.node, [n, k]);
        w.order.push(e.node);
      }
    });
  }
  return w;
}

/** Node names from the root down to `n`. */
function pathTo(w: Walk, n: Node): Node[] {
  const path: Node[] = [];
  let cur: Node | null = n;
  while (cur !== null) {
    path.push(cur);
    const p: [Node, number] | null | undefined = w.parent.get(cur);
    cur = p == null ? null : p[0];
  }
  return path.reverse();
}

/** The nodes of the walk from which `target` can be reached (for hooks on the way). */
function nodesOnPaths(w: Walk, target: Node): Set<Node> {
  // Kahn's order of the walked subgraph, then a reverse sweep
  const indeg = new Map<Node, number>();
  for (const n of w.order) indeg.set(n, 0);
  for (const n of w.order)
    for (const e of n.edges) if (e.node !== null) indeg.set(e.node, indeg.get(e.node)! + 1);
  const stack = w.order.filter((n) => indeg.get(n) === 0);
  const topo: Node[] = [];
  while (stack.length > 0) {
    const n = stack.pop()!;
    topo.push(n);
    for (const e of n.edges) {
      if (e.node === null) continue;
      const d = indeg.get(e.node)! - 1;
      indeg.set(e.node, d);
      if (d === 0) stack.push(e.node);
    }
  }
  const on = new Set<Node>();
  for (let i = topo.length - 1; i >= 0; i--) {
    const n = topo[i];
    if (n === target || n.edges.some((e) => e.node !== null && on.has(e.node))) on.add(n);
  }
  return on;
}

/** Short summary of a gradient's values. */
function summarize(g: Tensor): string {
  const vals = (g.numel() === 1 ? [g.item()] : (g.detach().reshape(-1).tolist() as unknown[])).map(
    Number,
  );
  if (vals.some(Number.isNaN)) return "contains NaN";
  if (vals.every((v) => v === 0)) return "all zeros";
  const shown = vals.slice(0, 6).map((v) => String(Math.round(v * 1e4) / 1e4));
  return `[${shown.join(", ")}${vals.length > 6 ? ", ..." : ""}]`;
}

interface HookObservation {
  where: string;
  before: Tensor;
  after: Tensor;
}

/**
 * Run a trial backward from `output` to `input`, wrapping the tensor hooks on the way to
 * see what each does. Returns the gradient (or the error) and the observations.
 */
function trial(
  output: Tensor,
  input: Tensor,
  on: Set<Node>,
  names: { out: string; inp: string },
): { grad: Tensor | null; error: string | null; seen: HookObservation[] } {
  const seen: HookObservation[] = [];
  const restore: (() => void)[] = [];
  for (const n of on) {
    if (n.tensorPreHooks === null) continue;
    for (const [nr, list] of n.tensorPreHooks) {
      const original = list.slice();
      const isInput = n === gradientEdge(input).node && nr === gradientEdge(input).inputNr;
      list.forEach((h, k) => {
        list[k] = (g: Tensor) => {
          const r = h(g);
          const after = r instanceof Tensor ? r : g;
          const where = isInput
            ? `tensor hook #${k + 1} on ${names.inp}`
            : `tensor hook #${k + 1} on output ${nr} of ${n.name()}`;
          seen.push({ where, before: g, after });
          return r;
        };
      });
      restore.push(() => list.splice(0, list.length, ...original));
    }
  }
  try {
    const head = output.numel() === 1 ? undefined : [output.detach().onesLike()];
    const [g] = autogradGrad(output, [input], {
      retainGraph: true,
      allowUnused: true,
      gradOutputs: head,
    });
    return { grad: g, error: null, seen };
  } catch (e) {
    return { grad: null, error: (e as Error).message.split("\n")[0], seen };
  } finally {
    for (const r of restore) r();
  }
}

/**
 * "Why is my grad null?": a readable account of whether `output.backward()` will populate
 * `input.grad`, and if not, why and what to change. It reads the graph only (no gradient is
 * computed) unless `{ run: true }`, which also runs a trial backward to report the gradient
 * that would arrive and what tensor hooks did to it.
 *
 * Explains: the input does not require grad (and whether it came from detach()); the output
 * has no graph; the input is not on the output's graph (with the places where the output's
 * graph takes operands without grad history, i.e. where the chain was cut, and whether the
 * input was ever recorded or was modified in place); the input is a non-leaf without
 * retainGrad (naming its grad_fn); hooks on the way that may replace the gradient; a graph
 * already freed; and otherwise the path of nodes the gradient takes.
 * @example
 * const x = torch.tensor([1, 2, 3], { requiresGrad: true });
 * const w = torch.tensor([1, 1, 1], { requiresGrad: true });
 * const y = x.detach().mul(2).mul(w).sum();
 * console.log(torch.autograd.explain(y, x, { inputName: "x", outputName: "y" }));
 * // x.grad will stay null: y does not depend on x through the graph (x is not on y's graph).
 * //   - x takes part in a graph, but not in y's.
 * //   - the chain most likely breaks at input 0 of MulBackward0 (float32 [3]): ...
 */
export function explain(output: Tensor, input: Tensor, opts: ExplainOptions = {}): string {
  if (!(output instanceof Tensor)) throw typeError("explain(): output must be a Tensor");
  if (!(input instanceof Tensor)) throw typeError("explain(): input must be a Tensor");
  const lines: string[] = [];
  const c: Explanation = {
    out: opts.outputName ?? "output",
    inp: opts.inputName ?? "input",
    lines,
    note: (s: string): void => void lines.push(`  - ${s}`),
  };
  if (!input.requiresGrad) explainNoGrad(c, input);
  else if (!output.requiresGrad) explainNoGraph(c, output);
  else {
    const rootEdge = gradientEdge(output);
    const isLeaf = input.gradFn === null;
    const g: Located = {
      isLeaf,
      target: isLeaf ? input._accumulateNode : input.gradFn,
      targetNr: isLeaf ? 0 : input.outputNr,
      w: null as unknown as Walk,
    };
    g.w = walk(rootEdge.node as Node, g.target, g.targetNr, rootEdge.inputNr);
    if (!g.w.reached) explainUnreached(c, input, g);
    else explainReached(c, input, output, g, opts);
  }
  return lines.join("\n");
}

/** What every step writes to: the names used in the text, and the lines. */
interface Explanation {
  out: string;
  inp: string;
  lines: string[];
  note(s: string): void;
}

/** Where the input sits in the graph: its node, and the walk from the output's node. */
interface Located {
  isLeaf: boolean;
  target: Node | null;
  targetNr: number;
  w: Walk;
}

/** 1. The input does not require grad. */
function explainNoGrad(c: Explanation, input: Tensor): void {
  const { out, inp, lines, note } = c;
  lines.push(`${inp}.grad will stay null: ${inp} does not require grad.`);
  const how = provenanceOf(input);
  if (!input.dtype.isFloatingPoint) {
    note(
      `${inp} is ${input.dtype.name}: only floating point tensors can require gradients; ` +
        `convert it first (${inp}.float()).`,
    );
  } else if (how !== undefined) {
    note(`${inp} was made by ${how}: gradients never flow into such a tensor.`);
    note(`use the tensor it was made from, or compute it with grad mode on.`);
  } else {
    note(
      `${inp} is a tensor with requiresGrad=false and no grad_fn: a leaf that was never ` +
        `marked, or a result computed without recording (under torch.noGrad / ` +
        `inferenceMode, or only from tensors that do not require grad).`,
    );
    note(
      `create it with { requiresGrad: true } or call ${inp}.requiresGrad_() before using ` +
        `it to compute ${out}.`,
    );
  }
}

/** 2. The output has no graph. */
function explainNoGraph(c: Explanation, output: Tensor): void {
  const { out, inp, lines, note } = c;
  lines.push(
    `${inp}.grad will stay null: ${out}.backward() throws ("element 0 of tensors does not ` +
      `require grad and does not have a grad_fn"): ${out} has no graph.`,
  );
  const how = provenanceOf(output);
  if (how !== undefined) note(`${out} was made by ${how}.`);
  else
    note(
      `${out} was computed without recording: under torch.noGrad / inferenceMode (or ` +
        `setGradEnabled(false)), through detach(), or only from tensors that do not ` +
        `require grad. Since ${inp} requires grad, the chain from ${inp} to ${out} was cut ` +
        `by one of these.`,
    );
  note(`compute ${out} from ${inp} with grad mode on and without detach().`);
}

/** 3. The input is not on the output's graph: where the chain breaks. */
function explainUnreached(c: Explanation, input: Tensor, g: Located): void {
  const { out, inp, lines, note } = c;
  const { isLeaf, target, w } = g;
  lines.push(
    `${inp}.grad will stay null: ${out} does not depend on ${inp} through the graph ` +
      `(${inp} is not on ${out}'s graph).`,
  );
  const neverRecorded = isLeaf && target === null;
  let inplace = false;
  if (neverRecorded) {
    note(
      `${inp} has never been used by an op that recorded the graph: every use of it ran ` +
        `under torch.noGrad / inferenceMode, went through ${inp}.detach(), or happened ` +
        `before ${inp} was made to require grad (requiresGrad_() after use).`,
    );
  } else if (!isLeaf && input._versionNumber > 0) {
    const older = (input.gradFn as Node).edges
      .map((e) => e.node)
      .find((n): n is Node => n !== null && w.parent.has(n));
    if (older !== undefined) {
      inplace = true;
      note(
        `${inp} was modified in place after ${out} used it: its grad_fn is now ` +
          `${(input.gradFn as Node).name()}, while ${out} depends on its earlier value ` +
          `(${older.name()}). Call retainGrad() on the tensor before the in-place op, or ` +
          `compute ${out} after it.`,
      );
    }
  } else {
    note(`${inp} takes part in a graph, but not in ${out}'s.`);
  }
  if (inplace) {
    // the cause is found; the cuts of the graph are beside the point
  } else if (w.cuts.length > 0) {
    const likely = w.cuts.filter(
      ([, , s, d]) => d === input.dtype.name && s.join() === input.shape.join(),
    );
    const show = (c: [Node, number, readonly number[], string]): string =>
      `input ${c[1]} of ${c[0].name()} (${c[3]} [${c[2].join(", ")}])`;
    if (likely.length === 1) {
      note(
        `the chain most likely breaks at ${show(likely[0])}: that operand had no grad ` +
          `history, and it has ${inp}'s shape and dtype. It was probably ` +
          (neverRecorded ? `${inp} itself, used before it required grad, or ` : "") +
          `computed from ${inp} under torch.noGrad / inferenceMode, via detach(), or by ` +
          `copying values (torch.tensor(${inp}.tolist())).`,
      );
    } else {
      note(
        `${out}'s graph takes operands without grad history at: ` +
          w.cuts.slice(0, 8).map(show).join("; ") +
          (w.cuts.length > 8 ? `; ... (${w.cuts.length} in all)` : "") +
          `. If ${inp} should reach ${out}, the chain breaks at one of these: that operand ` +
          `was computed from ${inp} under torch.noGrad / inferenceMode or via detach().`,
      );
    }
  } else {
    note(
      `${out}'s graph has no operand without grad history, so ${inp} was not used to ` +
        `compute ${out} at all: check that you passed the tensor you meant (not a copy, or ` +
        `a tensor replaced by reassignment).`,
    );
  }
  const leaves = w.order
    .filter((n): n is AccumulateGrad => n instanceof AccumulateGrad)
    .map((n) => describe(n.variable));
  if (leaves.length > 0) {
    note(
      `${out} depends on ${leaves.length} leaf tensor${leaves.length > 1 ? "s" : ""} ` +
        `requiring grad: ${leaves.slice(0, 6).join(", ")}${leaves.length > 6 ? ", ..." : ""}.`,
    );
  }
}

/** The input is reached: a non-leaf (4), a freed graph (5), or populated with notes (6). */
function explainReached(
  c: Explanation,
  input: Tensor,
  output: Tensor,
  g: Located,
  opts: ExplainOptions,
): void {
  const { out, inp } = c;
  const { isLeaf, target, w } = g;
  const last = w.targetFrom === null ? [] : pathTo(w, w.targetFrom[0]);
  const pathNames = [
    w.targetFrom === null ? `${out} (= ${inp})` : out,
    ...last.map((n) => n.name()),
  ];
  if (isLeaf) pathNames.push("AccumulateGrad", `${inp}.grad`);
  else pathNames.push(`${(input.gradFn as Node).name()} (${inp}'s grad_fn)`);
  const path = `path: ${pathNames.join(" → ")}`;
  const on = target !== null ? nodesOnPaths(w, target) : new Set<Node>();

  if (!isLeaf && !input.retainsGrad) return explainNonLeaf(c, input, path);
  // 5. the graph on the way was already freed: backward throws
  const freed = [...on].find(
    (n) =>
      n.savedVariables().some((v: SavedVariable) => v.isReleased) ||
      (n instanceof CustomFunctionNode && n.ctx._released && n.ctx._saved !== null),
  );
  if (freed !== undefined) return explainFreed(c, path, freed);
  explainPopulated(c, input, output, g, opts, path, on);
}

/** 4. A non-leaf without retainGrad: a gradient reaches it but is not kept. */
function explainNonLeaf(c: Explanation, input: Tensor, path: string): void {
  const { out, inp, lines, note } = c;
  const fnName = (input.gradFn as Node).name();
  lines.push(
    `${inp}.grad will stay null: ${inp} is not a leaf (grad_fn=${fnName}) and does not ` +
      `retain its gradient. A gradient does reach it:`,
  );
  note(path);
  const hint = NON_LEAF_HINTS[fnName];
  if (hint !== undefined) note(hint + ".");
  note(
    `call ${inp}.retainGrad() before ${out}.backward(), or take the gradient with ` +
      `torch.autograd.grad(${out}, [${inp}]).`,
  );
  const leafBelow = (input.gradFn as Node).edges.find((e) => e.node instanceof AccumulateGrad);
  if (leafBelow !== undefined)
    note(
      `the leaf ${inp} was computed from is a ` +
        `${describe((leafBelow.node as AccumulateGrad).variable)} tensor: its .grad will be populated.`,
    );
}

/** 5. The graph on the way was already freed: backward throws. */
function explainFreed(c: Explanation, path: string, freed: Node): void {
  const { out, inp, lines, note } = c;
  lines.push(
    `${inp}.grad will not be updated: ${out}.backward() throws "Trying to backward through ` +
      `the graph a second time": an earlier backward already freed the graph on the way ` +
      `(${freed.name()} released its saved tensors).`,
  );
  note(path);
  note(
    `pass { retainGraph: true } to the earlier backward if you need to backward twice, or ` +
      `recompute ${out} (a training step usually recomputes the forward).`,
  );
}

/** 6. Populated, with notes (hooks, head gradient, accumulation; with run, the values). */
function explainPopulated(
  c: Explanation,
  input: Tensor,
  output: Tensor,
  g: Located,
  opts: ExplainOptions,
  path: string,
  on: Set<Node>,
): void {
  const { out, inp, lines, note } = c;
  const { isLeaf, target, targetNr, w } = g;
  const notes: string[] = [];
  if (output.numel() !== 1) {
    notes.push(
      `${out} has ${output.numel()} elements: ${out}.backward() needs a gradient argument ` +
        `(e.g. ${out}.backward(torch.onesLike(${out}))), else it throws "grad can be ` +
        `implicitly created only for scalar outputs".`,
    );
  }
  if (w.uses > 1) {
    notes.push(
      `${inp} is used ${w.uses} times in ${out}'s graph: its gradient is the sum of ` +
        `${w.uses} contributions.`,
    );
  }
  const hookNotes: string[] = [];
  for (const n of on) {
    if (n.tensorPreHooks !== null) {
      for (const [nr, list] of n.tensorPreHooks) {
        if (list.length === 0) continue;
        const own = n === target && nr === targetNr;
        hookNotes.push(
          own
            ? `${list.length} tensor hook${list.length > 1 ? "s" : ""} on ${inp}`
            : `${list.length} tensor hook${list.length > 1 ? "s" : ""} on output ${nr} of ${n.name()}`,
        );
      }
    }
    if (n.preHooks !== null && n.preHooks.length > 0)
      hookNotes.push(`${n.preHooks.length} prehook(s) on ${n.name()}`);
    if (n.postHooks !== null && n.postHooks.length > 0)
      hookNotes.push(`${n.postHooks.length} hook(s) on ${n.name()}`);
  }
  if (hookNotes.length > 0 && !opts.run) {
    notes.push(
      `hooks on the way may replace the gradient: ${hookNotes.join(", ")}. A hook that returns ` +
        `a tensor replaces it (pass { run: true } to see what they do).`,
    );
  }
  if (isLeaf && input.grad !== null) {
    notes.push(
      `${inp}.grad already holds a gradient: the new one is added to it (set ${inp}.grad = null, ` +
        `or zero it, between steps).`,
    );
  }

  let verdict = `${inp}.grad will be populated by ${out}.backward()`;
  if (opts.run && target !== null) {
    const t = trial(output, input, on, { out, inp });
    if (t.error !== null) notes.push(`the trial backward threw: ${t.error}`);
    for (const s of t.seen) {
      if (s.after === s.before) continue;
      const a = summarize(s.after);
      notes.push(
        a === "all zeros" && summarize(s.before) !== "all zeros"
          ? `${s.where} zeroed the gradient (it was ${summarize(s.before)})`
          : `${s.where} replaced the gradient: ${summarize(s.before)} → ${a}`,
      );
    }
    if (t.grad !== null) {
      const sum = summarize(t.grad);
      const changed = t.seen.some((s) => s.after !== s.before);
      if (sum === "all zeros") {
        verdict += changed
          ? `, but with zeros: a hook replaced the gradient (see below)`
          : `, but with zeros: the ops on the path (relu, clamp, masking, a zero factor) pass no gradient`;
      } else verdict += `: ${sum}`;
    }
  }
  lines.push(`${verdict}.`);
  note(path);
  for (const n of notes) note(n);
}
