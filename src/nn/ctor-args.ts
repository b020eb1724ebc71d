/**
 * Module constructor arguments as PyTorch's `__init__` takes them: positionally in PyTorch's
 * order, or by camelCased name in a trailing options object, with CPython's TypeErrors for too
 * many, missing, repeated or unknown arguments (Python 3.10+ wording, `Cls.__init__() ...`).
 */
import { Tensor } from "../tensor.js";
import { typeError } from "../errors.js";

const isOptions = (v: unknown): v is Record<string, unknown> =>
  v !== null &&
  typeof v === "object" &&
  !Array.isArray(v) &&
  !(v instanceof Tensor) &&
  Object.getPrototypeOf(v) === Object.prototype;

/** CPython's list of names: 'a', 'a' and 'b', 'a', 'b', and 'c'. */
function nameList(names: readonly string[]): string {
  const q = names.map((n) => `'${n}'`);
  if (q.length <= 2) return q.join(" and ");
  return `${q.slice(0, -1).join(", ")}, and ${q[q.length - 1]}`;
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Binds `args` (positional values, then optionally an options object) to `names` (camelCase,
 * PyTorch's order); `defaults` holds the optional ones (a name without a default is required).
 * @example ctorArgs("Threshold", [0.1, 20, { inplace: true }], ["threshold", "value", "inplace"], { inplace: false })
 */
export function ctorArgs<T extends Record<string, unknown>>(
  cls: string,
  args: readonly unknown[],
  names: readonly (keyof T & string)[],
  defaults: NoInfer<Partial<T>>,
): T {
  // trailing undefined positionals are omitted arguments
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  let positional = args.slice(0, n);
  let opts: Record<string, unknown> = {};
  // an options object may only trail (a plain object is never a positional argument here)
  if (n > 0 && isOptions(args[n - 1])) {
    positional = args.slice(0, n - 1);
    opts = args[n - 1] as Record<string, unknown>;
  }
  const required = names.filter((k) => !(k in defaults));
  if (positional.length > names.length) {
    const range =
      required.length === names.length
        ? `${names.length + 1}`
        : `from ${required.length + 1} to ${names.length + 1}`;
    throw typeError(
      `${cls}.__init__() takes ${range} positional arguments but ${positional.length + 1} were given`,
    );
  }
  const out: Record<string, unknown> = {};
  positional.forEach((v, i) => (out[names[i]] = v));
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined) continue;
    if (!names.includes(k as keyof T & string))
      throw typeError(`${cls}.__init__() got an unexpected keyword argument '${k}'`);
    if (k in out)
      throw typeError(`${cls}.__init__() got multiple values for argument '${snake(k)}'`);
    out[k] = v;
  }
  const missing = required.filter((k) => !(k in out));
  if (missing.length > 0)
    throw typeError(
      `${cls}.__init__() missing ${missing.length} required positional argument${missing.length > 1 ? "s" : ""}: ${nameList(missing.map(snake))}`,
    );
  for (const k of names) if (!(k in out)) out[k] = defaults[k];
  return out as T;
}
