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
 */
import { Tensor } from "../tensor.js";
import { canReleasePoolBuffers, releasePoolBuffer } from "../backend/buffers.js";
import { currentSavedTensorsHooks } from "./saved-hooks.js";
import { isForwardADActive } from "./forward-ad.js";
import { OpNode } from "./function.js";
import type { Node } from "./node.js";

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
  const seen = new Set<Node>();
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.sequenceNr < firstSeq || n.isLeafSink || seen.has(n)) continue;
    seen.add(n);
    if (!(n instanceof OpNode)) return;
    for (const v of n.savedVariables()) {
      const held = v.held;
      if (held instanceof Tensor) kept.add(bufferOf(held));
      else if (held !== null) return;
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
}
