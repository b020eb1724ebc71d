/**
 * torch.nn.utils.stateless (PyTorch 1.13): functionalCall runs a module with some of its
 * parameters and buffers replaced, by dotted name, for one call. As PyTorch 1.13 swaps the
 * module's class for one whose `__getattribute__` / `__setattr__` look the names up in the
 * dictionary, a replaced field here is shadowed by an accessor that reads and writes the
 * dictionary (so a forward's `this.weight` is the tensor passed in, and an assignment, like a
 * buffer update, lands in the dictionary); the module's own tensors are untouched, and what
 * parameters() or stateDict() report during the call are the module's own (Note [stateless
 * fields], nn/module.ts). Everything is restored when the call returns or throws.
 */
import { Tensor } from "../tensor.js";
import { attributeError } from "../errors.js";
import { Module, STORED_FIELD } from "./module.js";
import { isOptionsObject } from "./ctor-args.js";

/** The tensors to use, by dotted name: a Map or a plain object. */
export type ParametersAndBuffers = Map<string, Tensor> | Record<string, Tensor>;

/** Python's `warnings.warn(msg)` (a UserWarning). */
function warn(msg: string): void {
  console.warn(`UserWarning: ${msg}`);
}

/** The dictionary's get / set / entries, over a Map or an object. */
function dictOf(d: ParametersAndBuffers): {
  get(k: string): unknown;
  set(k: string, v: unknown): void;
  entries(): [string, unknown][];
} {
  if (d instanceof Map)
    return {
      get: (k) => d.get(k),
      set: (k, v) => d.set(k, v as Tensor),
      entries: () => [...d],
    };
  const rec = d as Record<string, unknown>;
  return {
    get: (k) => rec[k],
    set: (k, v) => {
      rec[k] = v;
    },
    entries: () => Object.entries(rec),
  };
}

/** A module whose fields are shadowed: what to put back. */
interface Swap {
  module: Module;
  /** PyTorch's `_attr_to_path`: field -> dotted name in the dictionary */
  attrToPath: Map<string, string>;
  /** the own property descriptors the accessors replaced (undefined: none) */
  saved: Map<string, PropertyDescriptor | undefined>;
}

/**
 * Run `module.call(...args, kwargs)` with the tensors of `parametersAndBuffers` in place of the
 * module's parameters and buffers of those dotted names (`"0.weight"`, `"bn.running_mean"`),
 * then put the module's own back, even when the call throws (PyTorch 1.13's
 * torch.nn.utils.stateless.functional_call). `args` is an array of the positional arguments (a
 * single non-array argument may be given alone). Assignments the forward makes to a replaced
 * name (a buffer update) go into the dictionary, as PyTorch's. Two different tensors for one tied
 * tensor warn as PyTorch 1.13 does (the last one is used).
 * @example
 * const lin = new torch.nn.Linear(3, 2);
 * const out = torch.nn.utils.stateless.functionalCall(lin, { weight: torch.ones(2, 3), bias: torch.zeros(2) }, [torch.ones(1, 3)]);
 * out; // tensor([[3., 3.]])
 */
export function functionalCall<M extends Module>(
  module: M,
  parametersAndBuffers: ParametersAndBuffers,
  args: unknown,
  kwargs: Record<string, unknown> | null = null,
): ReturnType<M["forward"]> {
  const dict = dictOf(parametersAndBuffers);
  const swaps = new Map<Module, Swap>();
  // tied tensors: the first replacement of each original (PyTorch's replaced_tensors_map)
  const replaced = new Map<unknown, unknown>();
  const className = (m: Module): string =>
    swaps.has(m) ? `StatelessReplacer${m.constructor.name}` : m.constructor.name;
  const restore = (): void => {
    for (const { module: m, saved } of swaps.values()) {
      for (const [name, d] of saved) {
        if (d === undefined) delete (m as unknown as Record<string, unknown>)[name];
        else Object.defineProperty(m, name, d);
      }
    }
  };
  try {
    for (const [fullPath, tensor] of dict.entries()) {
      const path = fullPath.split(".");
      let m: Module = module;
      for (const part of path.slice(0, -1)) {
        const next = (m as unknown as Record<string, unknown>)[part];
        if (next === undefined)
          throw attributeError(`'${className(m)}' object has no attribute '${part}'`);
        m = next as Module;
      }
      const name = path[path.length - 1];
      const rec = m as unknown as Record<string, unknown>;
      if (rec[name] !== undefined) {
        const old = rec[name];
        if (!replaced.has(old)) replaced.set(old, tensor);
        else if (replaced.get(old) !== tensor)
          warn(
            "functional_call was passed multiple values for tied weights. This behavior is deprecated and will be an error in future versions",
          );
      }
      let swap = swaps.get(m);
      if (swap === undefined) {
        swap = { module: m, attrToPath: new Map(), saved: new Map() };
        swaps.set(m, swap);
      }
      swap.attrToPath.set(name, fullPath);
      if (!swap.saved.has(name)) shadow(swap, name, dict);
    }
    const positional: unknown[] = Array.isArray(args) ? args : [args];
    const kw = kwargs !== null && isOptionsObject(kwargs) && Object.keys(kwargs).length > 0;
    const call = module.call as (...a: unknown[]) => ReturnType<M["forward"]>;
    return kw ? call.call(module, ...positional, kwargs) : call.call(module, ...positional);
  } finally {
    restore();
  }
}

/** Shadow the field `name` of `swap.module` by an accessor into the dictionary. */
function shadow(swap: Swap, name: string, dict: ReturnType<typeof dictOf>): void {
  const m = swap.module;
  const own = Object.getOwnPropertyDescriptor(m, name);
  swap.saved.set(name, own);
  const path = (): string => swap.attrToPath.get(name) as string;
  const get = Object.assign(() => dict.get(path()), {
    // the registry's view of the field (Note [stateless fields])
    [STORED_FIELD]: {
      value: own === undefined ? undefined : own.get ? own.get.call(m) : own.value,
    },
  });
  Object.defineProperty(m, name, {
    get,
    set: (v: unknown) => dict.set(path(), v),
    enumerable: own?.enumerable ?? false,
    configurable: true,
  });
}
