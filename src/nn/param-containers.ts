/**
 * ParameterList and ParameterDict (torch.nn.modules.container): parameters held in a list or a
 * dictionary, registered under their index ("0", "1", ...) or key, so that every Module method
 * (parameters(), stateDict(), to()) sees them. Tensors put in are wrapped as Parameters; other
 * values are kept as plain entries, as in PyTorch 1.13. Also the deprecated Container.
 */
import { Tensor } from "../tensor.js";
import {
  attributeError,
  indexError,
  keyError,
  runtimeError,
  typeError,
  valueError,
} from "../errors.js";
import { pyTypeName } from "../ops/core.js";
import { Module } from "./module.js";
import { ctorArgs } from "./ctor-args.js";
import { Parameter } from "./parameter.js";

type Entry = unknown;

/** Store `value` under `name`: a tensor as a registered Parameter, anything else as a field. */
function setEntry(m: Module, name: string, value: Entry): void {
  const v = value instanceof Tensor && !(value instanceof Parameter) ? new Parameter(value) : value;
  const registered = m.namedParameters("", false).some(([n]) => n === name);
  if (v instanceof Parameter || (v === null && registered)) {
    if (Object.prototype.hasOwnProperty.call(m, name) && !registered) m.deleteAttr(name);
    if (registered) (m as unknown as Record<string, unknown>)[name] = v;
    else m.registerParameter(name, v as Parameter | null);
    return;
  }
  if (registered) m.deleteAttr(name);
  Object.defineProperty(m, name, {
    value: v,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** One line of the extra repr: a tensor's kind, type and size, or another value's type. */
function entryLine(k: string, p: Entry, typeName: (t: Tensor) => string): string {
  if (p instanceof Tensor) {
    const size = p.shape.join("x");
    const kind = p instanceof Parameter ? "Parameter" : "Tensor";
    return `  (${k}): ${kind} containing: [${typeName(p)} of size ${size}]`;
  }
  return `  (${k}): Object of type: ${pyTypeName(p)}`;
}

/**
 * A list of parameters (or other values), registered as "0", "1", ...
 * @example
 * const ps = new torch.nn.ParameterList([torch.randn(2, 3), torch.randn(3)]);
 * ps.get(0); // a Parameter
 * String(ps); // ParameterList(\n    (0): Parameter containing: [torch.float32 of size 2x3]\n ...
 */
export class ParameterList extends Module {
  declare private _size: number;

  /** PyTorch's ParameterList(values=None), positionally or by name. */
  constructor(
    values?: Iterable<Entry> | null | { values?: Iterable<Entry> | null },
    ...extra: never[]
  ) {
    super();
    Object.defineProperty(this, "_size", { value: 0, writable: true, enumerable: false });
    const a = ctorArgs<{ values: Iterable<Entry> | null }>(
      "ParameterList",
      [values, ...extra],
      ["values"],
      { values: null },
    );
    if (a.values !== null) this.extend(a.values);
  }

  private _abs(idx: number): string {
    if (typeof idx !== "number" || !Number.isInteger(idx))
      throw typeError(`'${pyTypeName(idx)}' object cannot be interpreted as an integer`);
    const n = this._size;
    if (!(-n <= idx && idx < n)) throw indexError(`index ${idx} is out of range`);
    return String(idx < 0 ? idx + n : idx);
  }

  /** Number of entries. */
  get length(): number {
    return this._size;
  }

  /**
   * The entry at `idx` (negative counts from the end).
   * @example new torch.nn.ParameterList([torch.zeros(1), torch.ones(1)]).get(-1) // Parameter containing: tensor([1.], requires_grad=True)
   */
  get(idx: number): Entry {
    return (this as unknown as Record<string, Entry>)[this._abs(idx)];
  }

  /** Replace the entry at `idx` (a tensor becomes a Parameter). */
  set(idx: number, value: Entry): void {
    setEntry(this, this._abs(idx), value);
  }

  /** A new ParameterList of the entries [start, end) (PyTorch's `plist[start:end]`). */
  slice(start?: number, end?: number): ParameterList {
    const items = Array.from(this).slice(start, end);
    return new ParameterList(items);
  }

  /** Append a value (a tensor becomes a Parameter). */
  append(value: Entry): this {
    const i = this._size;
    this._size += 1;
    this.set(i, value);
    return this;
  }

  /** Append each value. */
  extend(values: Iterable<Entry>): this {
    if (
      values === null ||
      typeof values !== "object" ||
      values instanceof Tensor ||
      typeof (values as Iterable<Entry>)[Symbol.iterator] !== "function"
    )
      throw typeError(
        `ParameterList.extend should be called with an iterable, but got ${values instanceof Tensor ? "Tensor" : pyTypeName(values)}`,
      );
    for (const v of values) this.append(v);
    return this;
  }

  /** The parameters, in order (`for (const p of list)`). */
  [Symbol.iterator](): Iterator<Entry> {
    const items: Entry[] = [];
    for (let i = 0; i < this._size; i++) items.push(this.get(i));
    return items[Symbol.iterator]();
  }

  override extraRepr(): string {
    return Array.from(this, (p, k) => entryLine(String(k), p, (t) => String(t.dtype))).join("\n");
  }

  /** A ParameterList is not callable (PyTorch's error). */
  override call(): never {
    throw runtimeError("ParameterList should not be called.");
  }
}

/**
 * An ordered dictionary of parameters (or other values), registered under their keys. A plain
 * object's entries are added in sorted key order (PyTorch sorts a plain dict); a Map, a list of
 * pairs or another ParameterDict keep their order.
 * @example
 * const pd = new torch.nn.ParameterDict({ left: torch.randn(5, 10), right: torch.randn(5, 10) });
 * pd.get("left").shape; // [5, 10]
 */
export class ParameterDict extends Module {
  declare private _keys: string[];

  /**
   * PyTorch's ParameterDict(parameters=None): a single plain object is the mapping itself (not
   * an options object); with more arguments they bind as PyTorch's.
   */
  constructor(parameters?: ParameterDictInit | null, ...extra: never[]) {
    super();
    Object.defineProperty(this, "_keys", { value: [], writable: true, enumerable: false });
    const p =
      extra.length === 0
        ? parameters
        : ctorArgs<{ parameters: ParameterDictInit | null }>(
            "ParameterDict",
            [parameters, ...extra],
            ["parameters"],
            { parameters: null },
          ).parameters;
    if (p !== undefined && p !== null) this.update(p);
  }

  private _attr(key: unknown): string {
    if (typeof key !== "string")
      throw typeError(
        `Index given to ParameterDict cannot be used as a key as it is not a string (type is '${pyTypeName(key)}'). Open an issue on github if you need non-string keys.`,
      );
    return key;
  }

  /** Number of entries. */
  get length(): number {
    return this._keys.length;
  }

  /**
   * The value under `key`; `defaultValue` when absent if given (Python's `get`), else
   * PyTorch's AttributeError (its `pd[key]`).
   * @example new torch.nn.ParameterDict({ left: torch.ones(1) }).get("left") // Parameter containing: tensor([1.], requires_grad=True)

   */
  get(key: string, ...defaultValue: [Entry?]): Entry {
    const attr = this._attr(key);
    if (!this._keys.includes(attr)) {
      if (defaultValue.length > 0) return defaultValue[0] ?? null;
      throw attributeError(`'ParameterDict' object has no attribute '${attr}'`);
    }
    return (this as unknown as Record<string, Entry>)[attr];
  }

  /** Add or replace the value under `key` (a tensor becomes a Parameter). */
  set(key: string, value: Entry): void {
    const attr = this._attr(key);
    if (!this._keys.includes(attr)) this._keys.push(attr);
    setEntry(this, attr, value);
  }

  /** Remove the entry under `key` (Python's `del pd[key]`). */
  delete(key: string): void {
    const i = this._keys.indexOf(key);
    if (i < 0) throw keyErrorOf(key);
    this._keys.splice(i, 1);
    this.deleteAttr(this._attr(key));
  }

  /** Whether `key` is present. */
  has(key: string): boolean {
    return this._keys.includes(key);
  }

  /** A new ParameterDict with the same entries (the same Parameter objects). */
  copy(): ParameterDict {
    return new ParameterDict(this._keys.map((k): [string, Entry] => [k, this.get(k)]));
  }

  /** The value under `key`, inserting `defaultValue` first if absent. */
  setdefault(key: string, defaultValue: Entry = null): Entry {
    if (!this.has(key)) this.set(key, defaultValue);
    return this.get(key);
  }

  /** Remove every entry. */
  clear(): void {
    for (const k of this._keys.slice()) this.delete(k);
  }

  /** Remove and return the value under `key`. */
  pop(key: string): Entry {
    const v = this.get(key);
    this.delete(key);
    return v;
  }

  /** Remove and return the last inserted entry. */
  popitem(): [string, Entry] {
    if (this._keys.length === 0) throw keyErrorOf("popitem(): dictionary is empty");
    const k = this._keys[this._keys.length - 1];
    return [k, this.pop(k)];
  }

  /** A new ParameterDict with `keys`, each holding `defaultValue`. */
  fromkeys(keys: Iterable<string>, defaultValue: Entry = null): ParameterDict {
    return new ParameterDict(Array.from(keys, (k): [string, Entry] => [k, defaultValue]));
  }

  /** The keys, in insertion order (Python's `d.keys()`). */
  keys(): string[] {
    return this._keys.slice();
  }
  /** The entries, in insertion order (Python's `d.values()`). */
  values(): Entry[] {
    return this._keys.map((k) => this.get(k));
  }
  /** [key, entry] pairs, in insertion order (Python's `d.items()`). */
  items(): [string, Entry][] {
    return this._keys.map((k) => [k, this.get(k)]);
  }

  /** Add (overwriting) the entries of an object (in sorted key order), Map, pairs or ParameterDict. */
  update(parameters: ParameterDictInit): void {
    if (parameters instanceof ParameterDict || parameters instanceof Map) {
      for (const [k, v] of parameters instanceof Map ? parameters : parameters.items())
        this.set(k, v);
      return;
    }
    if (
      parameters === null ||
      typeof parameters !== "object" ||
      parameters instanceof Tensor ||
      parameters instanceof Module
    )
      throw typeError(
        `ParametersDict.update should be called with an iterable of key/value pairs, but got ${pyTypeName(parameters)}`,
      );
    if (!Array.isArray(parameters) && !(Symbol.iterator in parameters)) {
      const entries = Object.entries(parameters as Record<string, Entry>);
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [k, v] of entries) this.set(k, v);
      return;
    }
    let j = 0;
    for (const p of parameters as Iterable<unknown>) {
      if (!Array.isArray(p))
        throw typeError(
          `ParameterDict update sequence element #${j} should be Iterable; is${pyTypeName(p)}`,
        );
      if (p.length !== 2)
        throw valueError(
          `ParameterDict update sequence element #${j} has length ${p.length}; 2 is required`,
        );
      this.set(p[0] as string, p[1]);
      j++;
    }
  }

  /** The keys, in insertion order, as iterating a Python dict. */
  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }

  override extraRepr(): string {
    return this.items()
      .map(([k, p]) => entryLine(k, p, (t) => t.dtype.tensorTypeName))
      .join("\n");
  }

  /** A ParameterDict is not callable (PyTorch's error). */
  override call(): never {
    throw runtimeError("ParameterDict should not be called.");
  }
}

/** What a ParameterDict is built or updated from. */
export type ParameterDictInit =
  Record<string, Entry> | Map<string, Entry> | Iterable<[string, Entry]> | ParameterDict;

function keyErrorOf(key: string): Error {
  return keyError(`'${key}'`);
}

/**
 * The deprecated torch.nn.Container: a Module whose keyword arguments become children (warns,
 * as PyTorch does; subclass Module instead).
 * @example new torch.nn.Container({ fc: new torch.nn.Linear(2, 2) })
 */
export class Container extends Module {
  constructor(modules: Record<string, Module> = {}) {
    super();
    console.warn(
      "UserWarning: nn.Container is deprecated. All of it's functionality is now implemented in nn.Module. Subclass that instead.",
    );
    for (const [k, m] of Object.entries(modules)) this.addModule(k, m);
  }
}
