/**
 * Note [named tuples]: PyTorch returns several results as a torch.return_types.* named tuple,
 * which Python code both unpacks (`values, indices = x.sort()`) and reads by name
 * (`x.sort().values`) or position (`[0]`). Here such a result is a plain object with the named
 * fields and the positions `0..n-1` (enumerable, as they always were: printing and `deepEqual`
 * see the same object), plus, not enumerable, `length` and an iterator over the positions, so
 * `const [values, indices] = x.sort()` works as the Python unpacking does.
 */

/** A named tuple's iteration: its positional entries, in order. */
export type NamedTuple<T extends object> = T &
  Iterable<T[keyof T]> & {
    /** How many positions the tuple has (Python's `len(t)`). */
    readonly length: number;
  };

/**
 * Make `fields` (named fields and their positions `0..n-1`) iterable as a tuple (Note [named
 * tuples]).
 * @example [...namedTuple({ values: 1, indices: 2, 0: 1, 1: 2 })] // [1, 2]

 */
export function namedTuple<T extends object>(fields: T): NamedTuple<T> {
  let n = 0;
  while (Object.prototype.hasOwnProperty.call(fields, n)) n++;
  Object.defineProperty(fields, "length", { value: n, enumerable: false });
  Object.defineProperty(fields, Symbol.iterator, {
    enumerable: false,
    value: function* (this: Record<number, T[keyof T]>): Generator<T[keyof T]> {
      for (let i = 0; i < n; i++) yield this[i];
    },
  });
  return fields as NamedTuple<T>;
}

/** Whether `v` is a named tuple (Note [named tuples]). */
export function isNamedTuple(v: object): boolean {
  return Object.prototype.hasOwnProperty.call(v, Symbol.iterator) && "0" in v;
}
