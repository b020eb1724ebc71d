/**
 * Containers: Sequential, ModuleList, ModuleDict. Children are registered under their keys
 * ("0", "1", ... for the sequences) and are also fields, so `seq[0]` works as in PyTorch.
 */
import type { Tensor } from "../tensor.js";
import { Module } from "./module.js";
import { ctorArgs } from "./ctor-args.js";
import { indexError, typeError } from "../errors.js";

function absIndex(idx: number, n: number): number {
  if (!Number.isInteger(idx) || !(-n <= idx && idx < n))
    throw indexError(`index ${idx} is out of range`);
  return idx < 0 ? idx + n : idx;
}

/**
 * The container's entries as PyTorch's `_modules.values()` gives them: a module added twice
 * (`Sequential(lin, act, lin)`) runs twice, where namedChildren would list it once.
 */
function entriesOf(m: Module): [string, Module][] {
  return m._ownModules().filter((e): e is [string, Module] => e[1] !== null);
}

/** Rebuild the children of `m` from `items` (names and order). */
function resetChildren(m: Module, items: [string, Module][]): void {
  for (const [name] of entriesOf(m)) m.deleteAttr(name);
  for (const [name, mod] of items) m.addModule(name, mod);
}

/**
 * A chain of modules: `forward(x)` feeds x through each in turn. Construct from modules, or
 * from an object / Map of named modules (PyTorch's OrderedDict form).
 *
 * @example
 * const model = new torch.nn.Sequential(
 *   new torch.nn.Linear(784, 256),
 *   new torch.nn.ReLU(),
 *   new torch.nn.Linear(256, 10),
 * );
 * const logits = model.call(torch.randn(32, 784));
 */
export class Sequential extends Module {
  [index: number]: Module;

  constructor(...args: Module[] | [Record<string, Module> | Map<string, Module>]) {
    super();
    if (args.length === 1 && !(args[0] instanceof Module)) {
      const named = args[0] as Record<string, Module> | Map<string, Module>;
      const entries = named instanceof Map ? Array.from(named) : Object.entries(named);
      for (const [k, m] of entries) this.addModule(k, m);
    } else {
      (args as Module[]).forEach((m, i) => this.addModule(String(i), m));
    }
  }

  /** Number of modules. */
  get length(): number {
    return entriesOf(this).length;
  }

  /**
   * The module at `idx` (negative counts from the end).
   * @example new torch.nn.Sequential(new torch.nn.Linear(2, 3), new torch.nn.ReLU()).get(-1) // ReLU()
   */
  get(idx: number): Module {
    const items = entriesOf(this);
    return items[absIndex(idx, items.length)][1];
  }

  /** Replace the module at `idx`. */
  set(idx: number, module: Module): void {
    const items = entriesOf(this);
    const key = items[absIndex(idx, items.length)][0];
    this.addModule(key, module);
  }

  /** Remove the module at `idx` (keys of the others are kept, as PyTorch's Sequential). */
  delete(idx: number): void {
    const items = entriesOf(this);
    this.deleteAttr(items[absIndex(idx, items.length)][0]);
  }

  /** A new Sequential of modules [start, end) with their keys (PyTorch's `seq[start:end]`). */
  slice(start?: number, end?: number): Sequential {
    return new Sequential(new Map(entriesOf(this).slice(start, end)));
  }

  /** Append a module (key: the current length). */
  append(module: Module): this {
    this.addModule(String(this.length), module);
    return this;
  }

  /** Insert a module at `index`; later modules are renumbered. */
  insert(index: number, module: Module): this {
    if (!(module instanceof Module)) throw typeError(`module should be of type: ${Module.name}`);
    const mods = entriesOf(this).map(([, m]) => m);
    const n = mods.length;
    if (!(-n <= index && index <= n)) throw indexError(`Index out of range: ${index}`);
    mods.splice(index < 0 ? index + n : index, 0, module);
    resetChildren(
      this,
      mods.map((m, i) => [String(i), m]),
    );
    return this;
  }

  /** Append each module. */
  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Iterates the modules in order (`for (const m of container)`). */
  [Symbol.iterator](): Iterator<Module> {
    const mods = entriesOf(this).map(([, m]) => m);
    return mods[Symbol.iterator]();
  }

  /** Feeds `input` through each module in turn (typed for tensors; any value flows through). */
  override forward(input: Tensor): Tensor {
    let x = input;
    for (const [, m] of entriesOf(this)) x = m.call(x) as Tensor;
    return x;
  }
}

/**
 * A list of modules, registered as children "0", "1", ... (no forward of its own).
 * @example
 * const layers = new torch.nn.ModuleList([new torch.nn.Linear(4, 4), new torch.nn.Linear(4, 4)]);
 * let x = torch.randn(2, 4);
 * for (const l of layers) x = l.call(x);
 */
export class ModuleList extends Module {
  [index: number]: Module;

  /** PyTorch's ModuleList(modules=None), positionally or by name. */
  constructor(
    modules?: Iterable<Module> | null | { modules?: Iterable<Module> | null },
    ...extra: never[]
  ) {
    super();
    const a = ctorArgs<{ modules: Iterable<Module> | null }>(
      "ModuleList",
      [modules, ...extra],
      ["modules"],
      { modules: null },
    );
    if (a.modules !== null) this.extend(a.modules);
  }

  /** The number of entries (Python's `len(container)`). */
  get length(): number {
    return entriesOf(this).length;
  }

  /** The module at `idx` (negative counts from the end). */
  get(idx: number): Module {
    const items = entriesOf(this);
    return items[absIndex(idx, items.length)][1];
  }

  /** Replace the module at `idx`. */
  set(idx: number, module: Module): void {
    const n = this.length;
    this.addModule(String(absIndex(idx, n)), module);
  }

  /** Remove the module at `idx`; the rest are renumbered. */
  delete(idx: number): void {
    const mods = entriesOf(this).map(([, m]) => m);
    mods.splice(absIndex(idx, mods.length), 1);
    resetChildren(
      this,
      mods.map((m, i) => [String(i), m]),
    );
  }

  /** Remove and return the module at `idx`. */
  pop(idx = -1): Module {
    const m = this.get(idx);
    this.delete(idx);
    return m;
  }

  /** A new ModuleList of the modules [start, end). */
  slice(start?: number, end?: number): ModuleList {
    return new ModuleList(
      entriesOf(this)
        .slice(start, end)
        .map(([, m]) => m),
    );
  }

  /** Append a module. */
  append(module: Module): this {
    this.addModule(String(this.length), module);
    return this;
  }

  /** Append each module. */
  extend(modules: Iterable<Module>): this {
    if (modules === null || typeof (modules as Iterable<Module>)[Symbol.iterator] !== "function")
      throw typeError(
        `ModuleList.extend should be called with an iterable, but got ${typeof modules}`,
      );
    for (const m of modules) this.append(m);
    return this;
  }

  /** Insert a module before `index`. */
  insert(index: number, module: Module): void {
    const mods = entriesOf(this).map(([, m]) => m);
    const n = mods.length;
    const i = index < 0 ? Math.max(0, index + n) : Math.min(index, n);
    mods.splice(i, 0, module);
    resetChildren(
      this,
      mods.map((m, j) => [String(j), m]),
    );
  }

  /** Iterates the modules in order (`for (const m of container)`). */
  [Symbol.iterator](): Iterator<Module> {
    const mods = entriesOf(this).map(([, m]) => m);
    return mods[Symbol.iterator]();
  }
}

/**
 * A dictionary of modules, registered under their keys.
 * @example
 * const heads = new torch.nn.ModuleDict({ cls: new torch.nn.Linear(8, 10), box: new torch.nn.Linear(8, 4) });
 * heads.get("cls").call(torch.randn(2, 8));
 */
export class ModuleDict extends Module {
  /**
   * PyTorch's ModuleDict(modules=None): a single plain object is the mapping itself (not an
   * options object); with more arguments they bind as PyTorch's.
   */
  constructor(
    modules?: Record<string, Module> | Map<string, Module> | [string, Module][] | null,
    ...extra: never[]
  ) {
    super();
    const m =
      extra.length === 0
        ? modules
        : ctorArgs<{ modules: typeof modules }>("ModuleDict", [modules, ...extra], ["modules"], {
            modules: null,
          }).modules;
    if (m !== undefined && m !== null) this.update(m);
  }

  /** The number of entries (Python's `len(container)`). */
  get length(): number {
    return entriesOf(this).length;
  }

  /** The module under `key`. */
  get(key: string): Module {
    const found = entriesOf(this).find(([k]) => k === key);
    if (found === undefined) {
      const e = new Error(`'${key}'`);
      e.name = "KeyError";
      throw e;
    }
    return found[1];
  }

  /** Add or replace the module under `key`. */
  set(key: string, module: Module): void {
    this.addModule(key, module);
  }

  /** Whether `key` is present. */
  has(key: string): boolean {
    return entriesOf(this).some(([k]) => k === key);
  }

  /** Remove and return the module under `key`. */
  pop(key: string): Module {
    const m = this.get(key);
    this.deleteAttr(key);
    return m;
  }

  /** Remove every module. */
  clear(): void {
    for (const [k] of entriesOf(this)) this.deleteAttr(k);
  }

  /** The keys, in insertion order (Python's `d.keys()`). */
  keys(): string[] {
    return entriesOf(this).map(([k]) => k);
  }
  /** The modules, in insertion order (Python's `d.values()`). */
  values(): Module[] {
    return entriesOf(this).map(([, m]) => m);
  }
  /** [key, module] pairs, in insertion order (Python's `d.items()`). */
  items(): [string, Module][] {
    return entriesOf(this);
  }

  /** Add the modules of an object, Map or list of pairs. */
  update(modules: Record<string, Module> | Map<string, Module> | [string, Module][]): void {
    const entries =
      modules instanceof Map
        ? Array.from(modules)
        : Array.isArray(modules)
          ? modules
          : Object.entries(modules);
    for (const [k, m] of entries) this.addModule(k, m);
  }

  /** Iterates the keys, as Python's `for k in dict`. */
  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }
}
