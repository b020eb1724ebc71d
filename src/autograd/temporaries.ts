/**
 * Note [released temporaries]: a composite op (multi-head attention's forward) makes large
 * intermediate tensors that nothing needs once it returns: a product before its bias is
 * added, the packed projection before its heads are copied out, the scores before softmax
 * (whose backward reads only its result). PyTorch frees them when their last reference goes;
 * here their buffers would stay allocated until a garbage collection, and V8 schedules its
 * collections by these bytes. `releaseTemporaries` hands such buffers back to the native pool
 * (native/buffers.cc releaseBuffer) when it can prove nothing reaches them:
 * - the composite made them (not views of its inputs: the caller lists its inputs, and a
 *   temporary sharing a buffer with one is kept) and returns no tensor sharing their buffer;
 * - no node the composite recorded saved a tensor sharing their buffer (the graph is walked
 *   from the results through the nodes made since `firstSeq`; saved-tensor hooks, forward AD
 *   or a custom Function's node among them make it keep everything, since user code could
 *   hold what they see);
 * - they are plain tensors (a vmap BatchedTensor wraps storage it does not show).
 * Nodes keep their output tensors only for shape and dtype, which a released buffer keeps.
 *
 * Note [released saved temporaries]: most of a training step's forward bytes are the
 * intermediates nodes save for backward (attention's projected heads and weights, a
 * transformer layer's normalised input, its MLP's hidden activations: ~40 MB of a GPT step's
 * ~46 MB that otherwise waited for a collection). Those the composite made go back to the pool
 * when the last node saving them frees its saved variables (the engine's release after a
 * backward without retainGraph): a composite run between `beginComposite` and `endComposite`
 * logs the pool buffers it makes, and each such buffer that
 * - is not shared with the composite's inputs or results,
 * - is held by saved variables of nodes the walk above reached (the only references to it once
 *   the composite returns: its code keeps no intermediate, and the walk gives up on any node
 *   that user code could see through, as above),
 * gets a `SavedShare` counting those saved variables; `SavedVariable.release` counts down and
 * the last one hands the buffer back. A node that never runs keeps its share, and its buffer
 * goes to the collector as before. A buffer of a nested composite is counted once (by the
 * innermost, whose walk already saw every holder: none can appear once its results exist).
 * Buffers made while a composite runs inside a backward formula stay in the engine's log too.
 */
import { Tensor } from "../tensor.js";
import { canReleasePoolBuffers, releasePoolBuffer, setPoolLog } from "../backend/buffers.js";
import { currentSavedTensorsHooks } from "./saved-hooks.js";
import { isForwardADActive } from "./forward-ad.js";
import { OpNode } from "./function.js";
import { nextSequenceNr, type Node, type SavedVariable } from "./node.js";

/** Bytes from which a buffer may be a pool buffer (Note [buffer pool]). */
const POOL_MIN_BYTES = 65536;

const bufferOf = (t: Tensor): ArrayBuffer => t.typedArray.buffer as ArrayBuffer;

/**
 * Release the buffers of `temps` that nothing can reach once the composite returns `results`
 * (Note [released temporaries]). `inputs`: the composite's tensor arguments; `firstSeq`: the
 * node sequence number when it started (nextSequenceNr()).
 */
export function releaseTemporaries(
  temps: readonly Tensor[],
  results: readonly (Tensor | null)[],
  inputs: readonly (Tensor | null)[],
  firstSeq: number,
  made: readonly ArrayBuffer[] | null = null,
): void {
  if (!canReleasePoolBuffers || currentSavedTensorsHooks() !== null || isForwardADActive()) return;
  const kept = new Set<ArrayBuffer>();
  for (const t of temps) if (t.constructor !== Tensor) return;
  for (const t of inputs) if (t !== null) kept.add(bufferOf(t));
  const stack: Node[] = [];
  for (const t of results) {
    if (t === null) continue;
    if (t.constructor !== Tensor) return;
    kept.add(bufferOf(t));
    if (t.gradFn !== null) stack.push(t.gradFn);
  }
  // the buffers of inputs and results (never released), then those saved variables hold
  const pinned = made === null ? null : new Set(kept);
  const holders = made === null ? null : new Map<ArrayBuffer, SavedVariable[]>();
  const seen = new Set<Node>();
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.sequenceNr < firstSeq || n.isLeafSink || seen.has(n)) continue;
    seen.add(n);
    if (!(n instanceof OpNode)) return;
    for (const v of n.savedVariables()) {
      const held = v.held;
      if (held instanceof Tensor) {
        const b = bufferOf(held);
        kept.add(b);
        if (holders !== null) {
          const list = holders.get(b);
          if (list === undefined) holders.set(b, [v]);
          else list.push(v);
        }
      } else if (held !== null) return;
    }
    for (const e of n.edges) if (e.node !== null) stack.push(e.node);
  }
  for (const t of temps) {
    const b = bufferOf(t);
    if (b.byteLength >= POOL_MIN_BYTES && !kept.has(b)) {
      kept.add(b);
      releasePoolBuffer(b);
    }
  }
  // Note [released saved temporaries]
  if (made === null || pinned === null || holders === null) return;
  for (const b of made) {
    if (b.byteLength < POOL_MIN_BYTES || pinned.has(b)) continue;
    const list = holders.get(b);
    if (list === undefined || list.some((v) => v.share !== null)) continue;
    const share = { buffer: b, holders: list.length };
    for (const v of list) v.share = share;
  }
}

/** An open composite (Note [released saved temporaries]). */
export interface CompositeScope {
  firstSeq: number;
  made: ArrayBuffer[];
  outer: ArrayBuffer[] | null;
}

/**
 * Start a composite whose saved intermediates may go back to the pool after backward: null
 * when buffers cannot be released (no pool, saved-tensor hooks, forward AD).
 */
export function beginComposite(): CompositeScope | null {
  if (!canReleasePoolBuffers || currentSavedTensorsHooks() !== null || isForwardADActive())
    return null;
  const made: ArrayBuffer[] = [];
  return { firstSeq: nextSequenceNr(), made, outer: setPoolLog(made) };
}

/**
 * End a composite: release `temps` nothing holds now, and give the buffers it made that only
 * saved variables hold a share (Note [released saved temporaries]). Call it in a `finally`
 * (with `results` empty when the composite threw: nothing is released then).
 */
export function endComposite(
  scope: CompositeScope,
  temps: readonly Tensor[],
  results: readonly (Tensor | null)[],
  inputs: readonly (Tensor | null)[],
): void {
  setPoolLog(scope.outer);
  if (scope.outer !== null) for (const b of scope.made) scope.outer.push(b);
  if (results.length === 0) return;
  releaseTemporaries(temps, results, inputs, scope.firstSeq, scope.made);
}
