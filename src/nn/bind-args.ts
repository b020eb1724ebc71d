/**
 * Binding a module constructor's arguments as Python binds them: positional values in PyTorch's
 * order, then a trailing options object by camelCased name (issue 11, h-nnloss).
 */
import { typeError } from "../errors.js";

/** A plain options object (not a Tensor, array, function or module). */
export function isOptionsObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/**
 * Bind a constructor's arguments as Python would: positional values in PyTorch's order
 * (`names`), then a trailing options object by camelCased name; keyword-only names
 * (`kwOnly`) only from the options. Unknown option names are TypeErrors, as Python's.
 */
export function bindArgs(
  cls: string,
  raw: readonly unknown[],
  names: readonly string[],
  kwOnly: readonly string[] = [],
): Record<string, unknown> {
  const args = raw.slice();
  while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
  const opts = args.length > 0 && isOptionsObject(args[args.length - 1]) ? args.pop() : {};
  if (args.length > names.length)
    throw typeError(
      `${cls}.__init__() takes ${names.length === 0 ? "1 positional argument" : `from 1 to ${names.length + 1} positional arguments`} but ${args.length + 1} were given`,
    );
  const out: Record<string, unknown> = {};
  args.forEach((v, i) => (out[names[i]] = v));
  for (const [k, v] of Object.entries(opts as Record<string, unknown>)) {
    if (!names.includes(k) && !kwOnly.includes(k))
      throw typeError(`${cls}.__init__() got an unexpected keyword argument '${k}'`);
    if (k in out) throw typeError(`${cls}.__init__() got multiple values for argument '${k}'`);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
