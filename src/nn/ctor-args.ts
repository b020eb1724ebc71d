/**
 * The one binder of module constructor arguments: PyTorch's `__init__(self, a, b=..., *, c=...)`
 * called from TypeScript with the values positionally in PyTorch's order, or by camelCased name
 * in a trailing options object, or both. Wrong calls raise CPython 3.11's TypeErrors
 * (`Cls.__init__() ...`, names in snake_case as Python spells them), checked in CPython's order:
 * keyword arguments (unexpected, given twice), then too many positional arguments, then missing
 * positional, then missing keyword-only ones.
 */
import { typeError } from "../errors.js";

/** A plain options object (`{...}`): never a Tensor, DType, Module, array or function. */
export function isOptionsObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/** A camelCase name as Python spells it: dimFeedforward -> dim_feedforward. */
export const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** CPython's list of names: 'a', 'a' and 'b', 'a', 'b', and 'c'. */
function nameList(names: readonly string[]): string {
  const q = names.map((n) => `'${snake(n)}'`);
  if (q.length <= 2) return q.join(" and ");
  return `${q.slice(0, -1).join(", ")}, and ${q[q.length - 1]}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** How a signature is bound beyond its positional names and defaults. */
export interface CtorSpec {
  /** keyword-only parameters (after `*` in Python): only from the options object */
  kwOnly?: readonly string[];
  /** the method bound, for the messages: "__init__" (default) or "forward" */
  method?: string;
}

/**
 * Binds `args` (positional values, then optionally an options object) to `names` (camelCase,
 * PyTorch's order) and `spec.kwOnly`; `defaults` holds the optional ones (a name without a
 * default is required). Trailing `undefined` positionals and `undefined` options count as not
 * given; `null` is Python's None.
 * @example ctorArgs("Threshold", [0.1, 20, { inplace: true }], ["threshold", "value", "inplace"], { inplace: false })
 */
export function ctorArgs<T extends Record<string, unknown>>(
  cls: string,
  args: readonly unknown[],
  names: readonly (keyof T & string)[],
  defaults: NoInfer<Partial<T>>,
  spec: CtorSpec = {},
): T {
  const fn = `${cls}.${spec.method ?? "__init__"}()`;
  const kwOnly = spec.kwOnly ?? [];
  const leading = 1; // `self`, counted in CPython's messages
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  let positional = args.slice(0, n);
  let opts: Record<string, unknown> = {};
  // an options object may only trail (a plain object is never a positional argument here)
  if (n > 0 && isOptionsObject(args[n - 1])) {
    positional = args.slice(0, n - 1);
    opts = args[n - 1] as Record<string, unknown>;
  }
  const out: Record<string, unknown> = {};
  positional.forEach((v, i) => {
    if (i < names.length && v !== undefined) out[names[i]] = v;
  });
  let kwOnlyGiven = 0;
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined) continue;
    const isKwOnly = kwOnly.includes(k);
    if (!isKwOnly && !names.includes(k as keyof T & string))
      throw typeError(`${fn} got an unexpected keyword argument '${snake(k)}'`);
    if (k in out) throw typeError(`${fn} got multiple values for argument '${snake(k)}'`);
    if (isKwOnly) kwOnlyGiven++;
    out[k] = v;
  }
  const required = names.filter((k) => !(k in defaults));
  if (positional.length > names.length) {
    const most = names.length + leading;
    const least = required.length + leading;
    const takes =
      least === most
        ? `takes ${plural(most, "positional argument")}`
        : `takes from ${least} to ${most} positional arguments`;
    const given = positional.length + leading;
    const was = given === 1 ? "was" : "were";
    const gave =
      kwOnlyGiven > 0
        ? `${plural(given, "positional argument")} (and ${plural(kwOnlyGiven, "keyword-only argument")}) ${was} given`
        : `${given} ${was} given`;
    throw typeError(`${fn} ${takes} but ${gave}`);
  }
  const missing = required.filter((k) => !(k in out));
  if (missing.length > 0)
    throw typeError(
      `${fn} missing ${plural(missing.length, "required positional argument")}: ${nameList(missing)}`,
    );
  const missingKw = kwOnly.filter((k) => !(k in out) && !(k in defaults));
  if (missingKw.length > 0)
    throw typeError(
      `${fn} missing ${plural(missingKw.length, "required keyword-only argument")}: ${nameList(missingKw)}`,
    );
  for (const k of [...names, ...kwOnly]) if (!(k in out)) out[k] = (defaults as T)[k];
  return out as T;
}

/** Defaults of `undefined` for `names`: every one optional, "not given" left to the caller. */
export function optional<K extends string>(names: readonly K[]): Partial<Record<K, unknown>> {
  return Object.fromEntries(names.map((k) => [k, undefined])) as Partial<Record<K, unknown>>;
}

/**
 * A module's `forward` arguments with PyTorch's keyword arguments bound (`m(input=x)`):
 * `positional` then the values of `kwargs` by the camelCased names of `forward`'s parameters
 * (`params`, PyTorch's order, an optional one marked `name?`), as one positional list, with
 * CPython's TypeErrors (`Cls.forward() ...`). An optional parameter not given is left
 * `undefined`, so forward's own default applies.
 * @example forwardArgs("Linear", [], { input: 7 }, ["input"]) // [7]

 */
export function forwardArgs(
  cls: string,
  positional: readonly unknown[],
  kwargs: Record<string, unknown>,
  params: readonly string[],
): unknown[] {
  const names = params.map((p) => (p.endsWith("?") ? p.slice(0, -1) : p));
  const defaults = optional(names.filter((_, i) => params[i].endsWith("?")));
  const a = ctorArgs(cls, [...positional, kwargs], names, defaults, { method: "forward" });
  const out = names.map((k) => a[k]);
  while (out.length > 0 && out[out.length - 1] === undefined) out.pop();
  return out;
}
