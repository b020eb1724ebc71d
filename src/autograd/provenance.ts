/**
 * Note [provenance]: where a tensor without grad history came from, when it came from one
 * with history (`detach()` of a tensor that requires grad). Kept in a WeakMap (no field on
 * every tensor, nothing kept alive) and read only by torch.autograd.explain. No imports:
 * tensor.ts depends on this module.
 */

const notes = new WeakMap<object, string>();

/** How `t` lost its grad history, if recorded. */
export function provenanceOf(t: object): string | undefined {
  return notes.get(t);
}

interface MaybeTensor {
  requiresGrad?: unknown;
  gradFn?: { name(): string } | null;
}

/** Called by detach(): records "detach() of a tensor with grad_fn=MulBackward0". */
export function noteDetached(result: object, source: MaybeTensor): void {
  const fn = source.gradFn;
  notes.set(
    result,
    fn != null
      ? `detach() of a tensor with grad_fn=${fn.name()}`
      : "detach() of a leaf that requires grad",
  );
}
