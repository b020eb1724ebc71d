/**
 * Note [per-op closures]: V8 keeps type feedback per function literal, not per closure, so a
 * wrapper that one factory builds for every op (the vmap check, the recording step) has one
 * call site `forward(a, b)` shared by hundreds of ops: megamorphic, never inlined, and each
 * call pays a full dispatch. `perOp` gives an op its own copy of such a factory, compiled
 * from the factory's source text, so the copy's call sites see one op only. The factory must
 * be self-contained (it reads nothing but its parameters and globals: the copy is compiled
 * outside its module). Where `new Function` is refused (a page's Content-Security-Policy
 * without 'unsafe-eval'), the shared factory is used: the same behaviour, a little slower.
 */
let evalWorks: boolean | null = null;

/**
 * A copy of `factory` of its own (Note [per-op closures]); `tag` (the op's name) keeps V8's
 * compilation cache from handing back one shared copy for the same source text.
 * @example
 * const makeWrapper = (f: (x: number) => number) => (x: number) => f(x) * 2;
 * const make = perOp(makeWrapper, "mul");
 * make((x) => x + 1)(3); // 8

 */
export function perOp<F extends (...args: never[]) => unknown>(factory: F, tag: string): F {
  if (evalWorks === false) return factory;
  try {
    const copy = new Function(`return (${factory.toString()}); // ${tag.replace(/\n/g, " ")}`)();
    evalWorks = true;
    return copy as F;
  } catch (e) {
    if (evalWorks === true) throw e; // a bug in the factory's source, not a refused eval
    evalWorks = false;
    return factory;
  }
}

/**
 * A function compiled from generated source (`new Function(...params, body)`), or null where
 * eval is refused (the caller then uses its general, slower form). Used for per-op code whose
 * object shapes depend on the op (Note [per-op closures]).
 */
export function compileOrNull(params: readonly string[], body: string): unknown {
  if (evalWorks === false) return null;
  try {
    const f: unknown = new Function(...params, body);
    evalWorks = true;
    return f;
  } catch (e) {
    if (evalWorks === true) throw e; // a bug in the generated source, not a refused eval
    evalWorks = false;
    return null;
  }
}
