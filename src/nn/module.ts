/**
 * torch.nn.Module: the base class of every layer and model.
 *
 * Note [module registration]: JavaScript has no `__setattr__`, so a Module discovers its
 * parameters and children from its own enumerable fields: every field holding a `Parameter`
 * is a parameter, every field holding a `Module` a child, registered in the order the fields
 * were first assigned (PyTorch's registration order). The registry (`_parameters`,
 * `_modules`, `_buffers`: ordered name sets) is refreshed on every traversal, so
 * `this.fc1 = new Linear(3, 2)` in a constructor or class field works as in PyTorch, and a
 * later `model.fc1 = other` replaces the child in place. Buffers are plain tensors, so (as in
 * PyTorch) they must be registered explicitly with `registerBuffer`. The values always live in
 * the fields; the registry only keeps names and order.
 */
import { Tensor } from "../tensor.js";
import { DType, type DTypeName, toDType, float32, float64 } from "../dtype.js";
import { isGradEnabled, noGrad } from "../autograd/grad-mode.js";
import type { Node } from "../autograd/node.js";
import {
  assertionError,
  attributeError,
  keyError,
  runtimeError,
  typeError,
  valueError,
} from "../errors.js";
import { Function as AutogradFunction, type FunctionCtx } from "../autograd/custom-function.js";
import { Parameter } from "./parameter.js";
import { forwardArgs, isOptionsObject } from "./ctor-args.js";
import { castData, pyTypeName } from "../ops/core.js";
import { contiguousStrides, shapeEqual } from "../shape.js";
import { VersionCounter } from "../tensor.js";
import { Device, checkDeviceAvailable, parseDevice } from "../device.js";

/** A state dict: tensors keyed by PyTorch's dotted names, in PyTorch's order. */
export type StateDict = Record<string, Tensor>;

/** What `loadStateDict` returns (PyTorch's `_IncompatibleKeys`). */
export interface IncompatibleKeys {
  /** Keys the module has that the state dict lacks. */
  missingKeys: string[];
  /** Keys of the state dict the module does not have. */
  unexpectedKeys: string[];
}

/** Options of namedModules (PyTorch's named_modules keywords). */
export interface NamedModulesOptions {
  /** Modules already visited (skipped). */
  memo?: Set<Module> | null;
  /** Prepended to every name (default ""). */
  prefix?: string;
  /** Yield a module reachable by several paths once (default true). */
  removeDuplicate?: boolean;
}

/** Options of namedParameters / namedBuffers. */
export interface NamedMembersOptions {
  /** Prepended to every name (default ""). */
  prefix?: string;
  /** Include the members of submodules (default true). */
  recurse?: boolean;
  /** PyTorch 2.0's keyword: list a tensor shared by several modules once (default) or each time */
  removeDuplicate?: boolean;
}

/** Options of Module.to. */
export interface ModuleToOptions {
  /** Only "cpu". */
  device?: unknown;
  /** The floating-point dtype to convert parameters and buffers to. */
  dtype?: DType | DTypeName | null;
  /** Accepted for PyTorch compatibility. */
  nonBlocking?: boolean;
  /** Accepted for PyTorch compatibility. */
  memoryFormat?: unknown;
}

/** A handle whose `remove()` unregisters a hook. */
export interface HookHandle {
  /** Unregisters the hook (a second call does nothing). */
  remove(): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- forward signatures vary by module
type AnyArgs = any[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- forward results vary by module
type AnyResult = any;

export type ForwardPreHook = (module: Module, args: AnyArgs) => AnyArgs | AnyResult | void;
export type ForwardHook = (module: Module, args: AnyArgs, output: AnyResult) => AnyResult | void;
/**
 * `hook(module, gradInput, gradOutput)`: one entry per positional argument (forward output) of
 * the module, null where it is not a tensor or has no gradient; may return replacement
 * gradInput (same length).
 */
export type BackwardHook = (
  module: Module,
  gradInput: (Tensor | null)[],
  gradOutput: (Tensor | null)[],
) => (Tensor | null)[] | void | null | undefined;

/** A module that can also be called as a function (see `Module.callable()`). */
export type CallableModule<M extends Module> = M &
  ((...args: Parameters<M["forward"]>) => ReturnType<M["forward"]>);

interface Registry {
  parameters: Set<string>;
  buffers: Set<string>;
  nonPersistent: Set<string>;
  modules: Set<string>;
  preHooks: ForwardPreHook[];
  hooks: ForwardHook[];
  backwardHooks: BackwardHook[];
  /** PyTorch's `_is_full_backward_hook`: null until a backward hook is registered */
  isFullBackwardHook: boolean | null;
  /** PyTorch's `_load_state_dict_post_hooks` */
  loadPostHooks: LoadStateDictPostHook[];
}

/**
 * `hook(module, incompatibleKeys)` after loadStateDict has loaded `module` and its children:
 * it may remove keys from the two lists (so a strict load does not raise for them).
 */
export type LoadStateDictPostHook = (module: Module, incompatibleKeys: IncompatibleKeys) => void;

/** Hooks run by every module's call (torch.nn.modules.module.register_module_*_hook). */
const GLOBAL = {
  preHooks: [] as ForwardPreHook[],
  hooks: [] as ForwardHook[],
  backwardHooks: [] as BackwardHook[],
  isFullBackwardHook: null as boolean | null,
};

const MIXED_BACKWARD_HOOKS =
  "Cannot use both regular backward hooks and full backward hooks on a single Module. Please use only one of them.";
const MIXED_GLOBAL_BACKWARD_HOOKS =
  "Cannot use both regular backward hooks and full backward hooks as a global Module hook. Please use only one of them.";

/**
 * A forward pre-hook run by every module before its own (PyTorch's
 * torch.nn.modules.module.register_module_forward_pre_hook).
 * @example const h = torch.nn.registerModuleForwardPreHook((m, args) => undefined); h.remove();
 */
export function registerModuleForwardPreHook(hook: ForwardPreHook): HookHandle {
  GLOBAL.preHooks.push(hook);
  return { remove: () => removeFrom(GLOBAL.preHooks, hook) };
}

/**
 * A forward hook run by every module before its own (register_module_forward_hook).
 * @example const h = torch.nn.registerModuleForwardHook((m, args, out) => console.log(m.constructor.name)); h.remove();
 */
export function registerModuleForwardHook(hook: ForwardHook): HookHandle {
  GLOBAL.hooks.push(hook);
  return { remove: () => removeFrom(GLOBAL.hooks, hook) };
}

/**
 * A full backward hook run for every module (register_module_full_backward_hook).
 * @example const h = torch.nn.registerModuleFullBackwardHook((m, gi, go) => undefined); h.remove();
 */
export function registerModuleFullBackwardHook(hook: BackwardHook): HookHandle {
  if (GLOBAL.isFullBackwardHook === false) throw runtimeError(MIXED_GLOBAL_BACKWARD_HOOKS);
  GLOBAL.isFullBackwardHook = true;
  GLOBAL.backwardHooks.push(hook);
  return { remove: () => removeFrom(GLOBAL.backwardHooks, hook) };
}

/**
 * A (non-full, deprecated) backward hook for every module (register_module_backward_hook).
 * @example
 * try {
 *   const handle = torch.nn.registerModuleBackwardHook((m, gi, go) => undefined);
 *   handle.remove();
 * } catch (e) {
 *   // once a full backward hook was registered globally (even if removed since), as PyTorch:
 *   // "Cannot use both regular backward hooks and full backward hooks as a global Module hook. ..."
 * }

 */
export function registerModuleBackwardHook(hook: BackwardHook): HookHandle {
  if (GLOBAL.isFullBackwardHook === true) throw runtimeError(MIXED_GLOBAL_BACKWARD_HOOKS);
  GLOBAL.isFullBackwardHook = false;
  GLOBAL.backwardHooks.push(hook);
  return { remove: () => removeFrom(GLOBAL.backwardHooks, hook) };
}

/**
 * PyTorch's BackwardHookFunction (torch/nn/modules/_functions.py): the identity on its tensor
 * arguments, so that one node (`BackwardHookFunctionBackward`) sees the gradients of all of
 * them at once; arguments that do not require grad are marked non-differentiable.
 */
class BackwardHookFunction extends AutogradFunction {
  static override forward(ctx: FunctionCtx, ...args: Tensor[]): Tensor[] {
    ctx.markNonDifferentiable(...args.filter((a) => !a.requiresGrad));
    return args;
  }
  static override backward(_ctx: FunctionCtx, ...grads: (Tensor | null)[]): (Tensor | null)[] {
    return grads;
  }
}

/**
 * PyTorch's torch.utils.hooks.BackwardHook: wires the full backward hooks of one call. The
 * inputs pass through a BackwardHookFunction whose node's post-hook calls the user hooks with
 * (gradInput, gradOutput); the outputs pass through another whose pre-hook records gradOutput
 * (and, when no input requires grad, calls the hooks with null gradInputs right away).
 */
class BackwardHookState {
  gradOutputs: (Tensor | null)[] | null = null;
  nInputs = -1;
  inputIndex: number[] | null = null;
  nOutputs = -1;
  outputIndex: number[] | null = null;

  constructor(
    readonly module: Module,
    readonly hooks: BackwardHook[],
  ) {}

  private pack(
    indices: number[],
    values: readonly (Tensor | null)[],
    n: number,
  ): (Tensor | null)[] {
    const res = new Array<Tensor | null>(n).fill(null);
    indices.forEach((idx, k) => (res[idx] = values[k] ?? null));
    return res;
  }

  /** The args with their tensors passed through a BackwardHookFunction (when any needs grad). */
  private wrap(args: AnyArgs, onNode: (node: Node) => void): [AnyArgs, number[] | null] {
    const idx: number[] = [];
    const tensors: Tensor[] = [];
    let requiresGrad = false;
    args.forEach((a, i) => {
      if (a instanceof Tensor) {
        idx.push(i);
        tensors.push(a);
        requiresGrad ||= a.requiresGrad;
      }
    });
    if (!(requiresGrad && isGradEnabled())) return [args, null];
    const wrapped = BackwardHookFunction.apply(...tensors) as Tensor[];
    const node = wrapped.find(
      (t) => t.gradFn !== null && t.gradFn.name() === "BackwardHookFunctionBackward",
    )?.gradFn;
    if (node === undefined || node === null)
      throw runtimeError(
        "Error while setting up backward hooks. Please open an issue with a code sample to reproduce this.",
      );
    onNode(node);
    const out = args.slice();
    idx.forEach((i, k) => (out[i] = wrapped[k]));
    return [out, idx];
  }

  setupInputHook(args: AnyArgs): AnyArgs {
    const [res, idx] = this.wrap(args, (node) => {
      node.registerHook((gradInput) => {
        if (this.gradOutputs === null) return undefined; // reached without passing the outputs
        let res = this.pack(this.inputIndex!, gradInput, this.nInputs);
        for (const hook of this.hooks) {
          const out = hook(this.module, res, this.gradOutputs);
          if (out === undefined || out === null) continue;
          if (out.length !== res.length)
            throw runtimeError(
              `Backward hook returned an invalid number of grad_input, got ${out.length}, but expected ${res.length}`,
            );
          res = out;
        }
        this.gradOutputs = null;
        return this.inputIndex!.map((i) => res[i]);
      });
    });
    this.nInputs = args.length;
    this.inputIndex = idx;
    return res;
  }

  setupOutputHook(result: AnyResult): AnyResult {
    const isTuple = Array.isArray(result);
    const args: AnyArgs = isTuple ? (result as AnyArgs) : [result];
    const [res, idx] = this.wrap(args, (node) => {
      node.registerPrehook((gradOutput) => {
        this.gradOutputs = this.pack(this.outputIndex!, gradOutput, this.nOutputs);
        if (this.inputIndex === null) {
          // no input requires grad: the hooks run now, with null gradInputs
          const gradInputs = new Array<Tensor | null>(this.nInputs).fill(null);
          for (const hook of this.hooks) {
            const r = hook(this.module, gradInputs, this.gradOutputs);
            if (r !== undefined && r !== null && !r.every((g) => g === null))
              throw runtimeError(
                "Backward hook for Modules where no input requires gradient should always return None or None for all gradients.",
              );
          }
          this.gradOutputs = null;
        }
        return undefined;
      });
    });
    this.nOutputs = args.length;
    this.outputIndex = idx;
    return isTuple ? res : res[0];
  }
}

const REG = Symbol("tensorgrad.module.registry");

/**
 * Note [stateless fields]: torch.nn.utils.stateless.functionalCall (nn/stateless.ts) shadows a
 * module's field for one call with an accessor whose getter returns the tensor passed in (as
 * PyTorch 1.13's `__getattribute__` of its swapped class does) and carries the field's own value
 * under this key. The registry (parameters, buffers, children, the state dict) reads the own
 * value, so during the call `namedParameters()` gives the module's own tensors, as PyTorch's.
 */
export const STORED_FIELD = Symbol("tensorgrad.module.storedField");

/** The field `name` of `m` as the registry sees it (Note [stateless fields]). */
function storedField(m: Module, name: string): unknown {
  const d = Object.getOwnPropertyDescriptor(m, name);
  const get = d?.get as { [STORED_FIELD]?: { value: unknown } } | undefined;
  const stored = get?.[STORED_FIELD];
  return stored !== undefined ? stored.value : (m as unknown as Record<string, unknown>)[name];
}

/** torch.typename of a value, for PyTorch's assignment errors. */
function typeName(v: unknown): string {
  if (v instanceof Tensor) return v.dtype.tensorTypeName;
  if (v instanceof Module) return v.constructor.name;
  return pyTypeName(v);
}

function checkName(kind: string, name: unknown): asserts name is string {
  if (typeof name !== "string")
    throw typeError(`${kind} name should be a string. Got ${pyTypeName(name)}`);
  if (name.includes(".")) {
    throw keyError(
      kind === "module"
        ? `module name can't contain ".", got: ${name}`
        : `${kind} name can't contain "."`,
    );
  }
  if (name === "") throw keyError(`${kind} name can't be empty string ""`);
}

/**
 * PyTorch's Module._call_impl: forward pre-hooks, `forward`, forward hooks, backward hooks;
 * `bind` turns the (pre-hooked) positional arguments into forward's (keyword arguments bound).
 */
/**
 * Whether no forward or backward hook (global, or of `m` or a module under it) would see a
 * tensor while `m` runs: a composite layer may then release what it made (Note [released saved
 * temporaries], autograd/temporaries.ts).
 */
export function runsWithoutHooks(m: Module): boolean {
  if (GLOBAL.preHooks.length + GLOBAL.hooks.length + GLOBAL.backwardHooks.length > 0) return false;
  const visit = (x: Module): boolean => {
    const reg = x[REG];
    if (reg.preHooks.length + reg.hooks.length + reg.backwardHooks.length > 0) return false;
    for (const [, child] of x.namedChildren()) if (!visit(child)) return false;
    return true;
  };
  return visit(m);
}

function callImpl(m: Module, args: AnyArgs, bind: ((a: AnyArgs) => AnyArgs) | null): AnyResult {
  const reg = m[REG];
  if (
    reg.preHooks.length === 0 &&
    reg.hooks.length === 0 &&
    reg.backwardHooks.length === 0 &&
    GLOBAL.preHooks.length === 0 &&
    GLOBAL.hooks.length === 0 &&
    GLOBAL.backwardHooks.length === 0
  ) {
    return m.forward(...(bind === null ? args : bind(args)));
  }
  // PyTorch's Module._call_impl, in its order
  const full: BackwardHook[] = [];
  const nonFull: BackwardHook[] = [];
  if (GLOBAL.isFullBackwardHook !== null)
    (GLOBAL.isFullBackwardHook ? full : nonFull).push(...GLOBAL.backwardHooks);
  if (reg.isFullBackwardHook !== null)
    (reg.isFullBackwardHook ? full : nonFull).push(...reg.backwardHooks);
  let a: AnyArgs = args;
  for (const h of [...GLOBAL.preHooks, ...reg.preHooks]) {
    const r = h(m, a);
    if (r !== undefined && r !== null) a = Array.isArray(r) ? r : [r];
  }
  const bw = full.length > 0 ? new BackwardHookState(m, full) : null;
  if (bw !== null) a = bw.setupInputHook(a);
  let out = m.forward(...(bind === null ? a : bind(a)));
  for (const h of [...GLOBAL.hooks, ...reg.hooks]) {
    const r = h(m, a, out);
    if (r !== undefined && r !== null) out = r;
  }
  if (bw !== null) out = bw.setupOutputHook(out);
  if (nonFull.length > 0) {
    // the deprecated hooks: on the grad_fn of the first output tensor, with that node's own
    // gradients (PyTorch's _WrappedHook)
    let v: unknown = out;
    while (!(v instanceof Tensor) && Array.isArray(v)) v = v[0];
    const node = v instanceof Tensor ? v.gradFn : null;
    if (node !== null) {
      for (const h of nonFull) {
        node.registerHook((gi, go) => h(m, gi.slice(), go.slice()) ?? undefined);
      }
    }
  }
  return out;
}

/**
 * Base class for all neural network modules (torch.nn.Module). Subclasses assign layers and
 * parameters to fields and define `forward`; call a module with `m.call(x)` (PyTorch's
 * `m(x)`, running forward hooks) or `m.forward(x)`, or make a callable with `m.callable()`.
 *
 * @example
 * class Net extends torch.nn.Module {
 *   fc1 = new torch.nn.Linear(4, 8);
 *   fc2 = new torch.nn.Linear(8, 2);
 *   forward(x: torch.Tensor): torch.Tensor {
 *     return this.fc2.call(torch.relu(this.fc1.call(x)));
 *   }
 * }
 * const net = new Net();
 * net.namedParameters().map(([n]) => n); // ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
 * const y = net.call(torch.randn(3, 4));
 */
export class Module {
  /**
   * The camelCased names of PyTorch's `forward` parameters (an optional one marked `name?`),
   * declared by a module class whose `call` binds a trailing options object to them, as
   * PyTorch's `m(input=x)`: `new Linear(3, 2).call({ input: x })`. Undeclared (the default),
   * `call` passes its arguments through unchanged.
   */
  static forwardArgs?: readonly string[];

  /** whether the module is in training mode (see `train()` / `eval()`) */
  declare training: boolean;
  declare [REG]: Registry;

  constructor() {
    Object.defineProperty(this, REG, {
      value: {
        parameters: new Set<string>(),
        buffers: new Set<string>(),
        nonPersistent: new Set<string>(),
        modules: new Set<string>(),
        preHooks: [],
        hooks: [],
        backwardHooks: [],
        isFullBackwardHook: null,
        loadPostHooks: [],
      } satisfies Registry,
      enumerable: false,
      writable: false,
      configurable: false,
    });
    Object.defineProperty(this, "training", {
      value: true,
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }

  /**
   * The computation. Subclasses override it; the base raises PyTorch's error.
   * @example class Double extends torch.nn.Module { forward(x) { return x.mul(2); } }
   */

  forward(..._args: AnyArgs): AnyResult {
    throw runtimeError(
      `Module [${this.constructor.name}] is missing the required "forward" function`,
    );
  }

  /**
   * Run the module: forward pre-hooks, `forward`, forward hooks (PyTorch's `module(x)`).
   * @example const y = new torch.nn.Linear(3, 2).call(torch.randn(4, 3));
   */
  call(...args: Parameters<this["forward"]>): ReturnType<this["forward"]> {
    const params = (this.constructor as typeof Module).forwardArgs;
    if (params !== undefined && args.length > 0 && isOptionsObject(args[args.length - 1])) {
      // PyTorch's `m(*input, **kwargs)`: the hooks see the positional arguments only, forward
      // gets both, bound by name
      const kwargs = args[args.length - 1] as Record<string, unknown>;
      // CPython names the class that defines forward (Linear.forward() for a subclass)
      let owner = Object.getPrototypeOf(this) as object;
      while (!Object.prototype.hasOwnProperty.call(owner, "forward"))
        owner = Object.getPrototypeOf(owner) as object;
      const cls = (owner.constructor as { name: string }).name;
      const bind = (a: AnyArgs): AnyArgs => forwardArgs(cls, a, kwargs, params);
      return callImpl(this, args.slice(0, -1), bind) as ReturnType<this["forward"]>;
    }
    return callImpl(this, args, null) as ReturnType<this["forward"]>;
  }

  /**
   * This module as a function that runs `call`, keeping every property and method:
   * `const f = model.callable(); f(x); f.parameters()`.
   * @example const lin = new torch.nn.Linear(3, 2).callable(); const y = lin(torch.randn(3));
   */
  callable(): CallableModule<this> {
    const self = this as Module;
    const target = (...args: AnyArgs): AnyResult => self.call(...(args as never[]));
    return new Proxy(target, {
      apply: (_t, _this, args: AnyArgs) => self.call(...(args as never[])),
      get: (_t, k) => Reflect.get(self, k, self),
      set: (_t, k, v) => Reflect.set(self, k, v, self),
      has: (_t, k) => Reflect.has(self, k),
      deleteProperty: (_t, k) => Reflect.deleteProperty(self, k),
      ownKeys: () => Reflect.ownKeys(self),
      getOwnPropertyDescriptor: (_t, k) => {
        const d = Reflect.getOwnPropertyDescriptor(self, k);
        if (d !== undefined) d.configurable = true;
        return d;
      },
      defineProperty: (_t, k, d) => Reflect.defineProperty(self, k, d),
      getPrototypeOf: () => Reflect.getPrototypeOf(self),
    }) as unknown as CallableModule<this>;
  }

  // -------------------------------------------------------------------------------------------
  // registration (Note [module registration])

  /** Refresh the registry from the own fields. */
  private _sync(): Registry {
    const reg = this[REG];
    const value = (k: string): unknown => storedField(this, k);
    for (const key of Object.keys(this)) {
      const v = value(key);
      if (v instanceof Parameter) {
        if (!reg.parameters.has(key)) {
          reg.modules.delete(key);
          reg.buffers.delete(key);
          reg.parameters.add(key);
        }
      } else if (v instanceof Module) {
        if (!reg.modules.has(key)) {
          reg.parameters.delete(key);
          reg.buffers.delete(key);
          reg.modules.add(key);
        }
      }
    }
    for (const name of reg.parameters) {
      if (!Object.prototype.hasOwnProperty.call(this, name)) reg.parameters.delete(name);
      else {
        const v = value(name);
        if (v !== null && v !== undefined && !(v instanceof Parameter))
          throw typeError(
            `cannot assign '${typeName(v)}' as parameter '${name}' (torch.nn.Parameter or None expected)`,
          );
      }
    }
    for (const name of reg.modules) {
      if (!Object.prototype.hasOwnProperty.call(this, name)) reg.modules.delete(name);
      else {
        const v = value(name);
        if (v !== null && v !== undefined && !(v instanceof Module))
          throw typeError(
            `cannot assign '${typeName(v)}' as child module '${name}' (torch.nn.Module or None expected)`,
          );
      }
    }
    for (const name of reg.buffers) {
      if (!Object.prototype.hasOwnProperty.call(this, name)) {
        reg.buffers.delete(name);
        reg.nonPersistent.delete(name);
      } else {
        const v = value(name);
        if (v !== null && v !== undefined && !(v instanceof Tensor))
          throw typeError(
            `cannot assign '${typeName(v)}' as buffer '${name}' (torch.Tensor or None expected)`,
          );
      }
    }
    return reg;
  }

  private _exists(name: string, own: Set<string>): boolean {
    return name in this && !own.has(name);
  }

  /**
   * Register a parameter (or null: a registered name without a value, left out of the state
   * dict) under `name`; also available as the field `this[name]`.
   * @example
   * class Scale extends torch.nn.Module {
   *   constructor() {
   *     super();
   *     this.registerParameter("scale", new torch.nn.Parameter(torch.ones(1)));
   *   }
   * }
   * new Scale().stateDict(); // { scale: tensor([1.]) }
   */
  registerParameter(name: string, param: Parameter | null): void {
    checkName("parameter", name);
    const reg = this._sync();
    if (this._exists(name, reg.parameters)) throw keyError(`attribute '${name}' already exists`);
    if (param !== null && !(param instanceof Parameter)) {
      throw typeError(
        `cannot assign '${typeName(param)}' object to parameter '${name}' (torch.nn.Parameter or None required)`,
      );
    }
    if (param !== null && param.gradFn !== null) {
      throw new Error(
        `Cannot assign non-leaf Tensor to parameter '${name}'. Model parameters must be created explicitly. To express '${name}' as a function of another Tensor, compute the value in the forward() method.`,
      );
    }
    reg.parameters.add(name);
    setField(this, name, param);
  }

  /**
   * Register a buffer: state that is not a parameter (e.g. running statistics). Persistent
   * buffers are part of the state dict.
   * @example
   * class Stats extends torch.nn.Module {
   *   constructor() {
   *     super();
   *     this.registerBuffer("runningMean", torch.zeros(4));
   *   }
   * }
   * Object.keys(new Stats().stateDict()); // ["runningMean"]
   */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    checkName("buffer", name);
    const reg = this._sync();
    if (this._exists(name, reg.buffers)) throw keyError(`attribute '${name}' already exists`);
    if (tensor !== null && !(tensor instanceof Tensor)) {
      throw typeError(
        `cannot assign '${typeName(tensor)}' object to buffer '${name}' (torch Tensor or None required)`,
      );
    }
    reg.buffers.add(name);
    if (persistent) reg.nonPersistent.delete(name);
    else reg.nonPersistent.add(name);
    setField(this, name, tensor);
  }

  /**
   * Register a child module under `name` (also the field `this[name]`).
   * @example
   * const seq = new torch.nn.Sequential(new torch.nn.Linear(2, 2));
   * seq.addModule("relu", new torch.nn.ReLU()); // seq now ends with (relu): ReLU()
   */
  addModule(name: string, module: Module | null): void {
    if (module !== null && !(module instanceof Module))
      throw typeError(`${typeName(module)} is not a Module subclass`);
    if (typeof name !== "string")
      throw typeError(`module name should be a string. Got ${pyTypeName(name)}`);
    const reg = this._sync();
    if (this._exists(name, reg.modules)) throw keyError(`attribute '${name}' already exists`);
    checkName("module", name);
    reg.modules.add(name);
    setField(this, name, module);
  }

  /** Alias of `addModule`. */
  registerModule(name: string, module: Module | null): void {
    this.addModule(name, module);
  }

  /** Remove a registered parameter, buffer or child (Python's `del module.name`). */
  deleteAttr(name: string): void {
    const reg = this._sync();
    reg.parameters.delete(name);
    reg.buffers.delete(name);
    reg.nonPersistent.delete(name);
    reg.modules.delete(name);
    delete (this as unknown as Record<string, unknown>)[name];
  }

  // -------------------------------------------------------------------------------------------
  // traversal

  /** This module's own parameters as [name, value] (null values included). */
  private _ownParameters(): [string, Parameter | null][] {
    const reg = this._sync();
    return Array.from(reg.parameters, (n) => [n, (storedField(this, n) as Parameter) ?? null]);
  }
  private _ownBuffers(): [string, Tensor | null][] {
    const reg = this._sync();
    return Array.from(reg.buffers, (n) => [n, (storedField(this, n) as Tensor) ?? null]);
  }
  /**
   * @internal This module's own child slots in registration order, a module registered under
   * two names listed twice (PyTorch's `_modules`; namedChildren lists each module once).
   */
  _ownModules(): [string, Module | null][] {
    const reg = this._sync();
    return Array.from(reg.modules, (n) => [n, (storedField(this, n) as Module) ?? null]);
  }

  /**
   * Every submodule with its dotted name, this module first ("" as its name), each module once.
   * @example new torch.nn.Sequential(new torch.nn.Linear(2, 2)).namedModules().map(([name, m]) => `${name}: ${m.constructor.name}`) // [': Sequential', '0: Linear']
   */
  namedModules(
    memo: Set<Module> | null | NamedModulesOptions = new Set(),
    prefix = "",
    removeDuplicate = true,
  ): [string, Module][] {
    if (memo !== null && !(memo instanceof Set)) {
      ({ prefix = prefix, removeDuplicate = removeDuplicate } = memo);
      memo = memo.memo ?? null;
    }
    memo ??= new Set();
    const seen = memo;
    const out: [string, Module][] = [];
    const visit = (m: Module, p: string): void => {
      if (removeDuplicate) {
        if (seen.has(m)) return;
        seen.add(m);
      }
      out.push([p, m]);
      for (const [name, child] of m._ownModules()) {
        if (child === null) continue;
        visit(child, p === "" ? name : `${p}.${name}`);
      }
    };
    visit(this, prefix);
    return out;
  }

  /**
   * Every module of the tree, this one first.
   * @example new torch.nn.Sequential(new torch.nn.Linear(2, 2), new torch.nn.ReLU()).modules().length // 3
   */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * The direct children with their names.
   * @example new torch.nn.Sequential(new torch.nn.Linear(2, 2), new torch.nn.ReLU()).namedChildren().map(([n]) => n) // ['0', '1']
   */
  namedChildren(): [string, Module][] {
    const memo = new Set<Module>();
    const out: [string, Module][] = [];
    for (const [name, m] of this._ownModules()) {
      if (m !== null && !memo.has(m)) {
        memo.add(m);
        out.push([name, m]);
      }
    }
    return out;
  }

  /** The direct children. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  private _namedMembers<T extends Tensor>(
    get: (m: Module) => [string, T | null][],
    prefix: string,
    recurse: boolean,
    removeDuplicate = true,
  ): [string, T][] {
    const modules: [string, Module][] = recurse
      ? this.namedModules(new Set(), prefix, removeDuplicate)
      : [[prefix, this]];
    const memo = new Set<Tensor>();
    const out: [string, T][] = [];
    for (const [modPrefix, m] of modules) {
      for (const [k, v] of get(m)) {
        if (v === null || (removeDuplicate && memo.has(v))) continue;
        if (removeDuplicate) memo.add(v);
        out.push([modPrefix === "" ? k : `${modPrefix}.${k}`, v]);
      }
    }
    return out;
  }

  /**
   * Every parameter with its dotted name (`fc1.weight`), each parameter once.
   * @example new torch.nn.Linear(3, 2).namedParameters().map(([n]) => n) // ["weight", "bias"]
   */
  namedParameters(
    prefix: string | NamedMembersOptions = "",
    recurse = true,
    removeDuplicate = true,
  ): [string, Parameter][] {
    if (typeof prefix === "object")
      ({ prefix = "", recurse = true, removeDuplicate = true } = prefix);
    return this._namedMembers((m) => m._ownParameters(), prefix, recurse, removeDuplicate);
  }

  /**
   * Every parameter (what an optimizer takes).
   * @example new torch.optim.SGD(new torch.nn.Linear(2, 2).parameters(), { lr: 0.1 }).paramGroups[0].params.length // 2
   */
  parameters(recurse: boolean | { recurse?: boolean } = true): Parameter[] {
    if (typeof recurse === "object") recurse = recurse.recurse ?? true;
    return this.namedParameters("", recurse).map(([, p]) => p);
  }

  /**
   * Every buffer with its dotted name (options as namedParameters).
   * @example new torch.nn.BatchNorm1d(3).namedBuffers().map(([n]) => n)
   */
  namedBuffers(
    prefix: string | NamedMembersOptions = "",
    recurse = true,
    removeDuplicate = true,
  ): [string, Tensor][] {
    if (typeof prefix === "object")
      ({ prefix = "", recurse = true, removeDuplicate = true } = prefix);
    return this._namedMembers((m) => m._ownBuffers(), prefix, recurse, removeDuplicate);
  }

  /** Every buffer. */
  buffers(recurse: boolean | { recurse?: boolean } = true): Tensor[] {
    if (typeof recurse === "object") recurse = recurse.recurse ?? true;
    return this.namedBuffers("", recurse).map(([, b]) => b);
  }

  /**
   * The submodule at a dotted path ("" is this module).
   * @example String(new torch.nn.Sequential(new torch.nn.Sequential(new torch.nn.Linear(2, 2))).getSubmodule("0.0")) // 'Linear(in_features=2, out_features=2, bias=True)'
   */
  getSubmodule(target: string): Module {
    if (target === "") return this;
    let mod = this as Module;
    for (const item of target.split(".")) {
      if (!hasAttr(mod, item))
        throw attributeError(`${mod._getName()} has no attribute \`${item}\``);
      const child = (mod as unknown as Record<string, unknown>)[item];
      if (!(child instanceof Module)) throw attributeError(`\`${item}\` is not an nn.Module`);
      mod = child;
    }
    return mod;
  }

  /**
   * The parameter at a dotted path.
   * @example new torch.nn.Sequential(new torch.nn.Linear(2, 3)).getParameter("0.weight").shape // [3, 2]
   */
  getParameter(target: string): Parameter {
    const [mod, name] = this._resolve(target);
    const p = (mod as unknown as Record<string, unknown>)[name];
    if (!(p instanceof Parameter)) throw attributeError(`\`${name}\` is not an nn.Parameter`);
    return p;
  }

  /**
   * The buffer at a dotted path.
   * @example new torch.nn.Sequential(new torch.nn.BatchNorm1d(2)).getBuffer("0.running_mean") // tensor([0., 0.])
   */
  getBuffer(target: string): Tensor {
    const [mod, name] = this._resolve(target);
    if (!mod._sync().buffers.has(name)) throw attributeError(`\`${name}\` is not a buffer`);
    return (mod as unknown as Record<string, Tensor>)[name];
  }

  /** The module and attribute name of a dotted path (Python's rpartition(".")). */
  private _resolve(target: string): [Module, string] {
    const i = target.lastIndexOf(".");
    const mod = this.getSubmodule(i < 0 ? "" : target.slice(0, i));
    const name = i < 0 ? target : target.slice(i + 1);
    if (!hasAttr(mod, name)) throw attributeError(`${mod._getName()} has no attribute \`${name}\``);
    return [mod, name];
  }

  // -------------------------------------------------------------------------------------------
  // modes and bulk operations

  /**
   * Set training mode (`true`) or evaluation mode on this module and all descendants.
   * @example const model = new torch.nn.Dropout(0.5); model.train(); model.eval(); model.training // false
   */
  train(mode = true): this {
    if (typeof mode !== "boolean") throw valueError("training mode is expected to be boolean");
    this.training = mode;
    for (const m of this.children()) m.train(mode);
    return this;
  }

  /** Evaluation mode (`train(false)`): dropout off, batch norm uses running statistics. */
  eval(): this {
    return this.train(false);
  }

  /** Set requiresGrad on every parameter. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /**
   * Reset the gradients of every parameter: zero them (PyTorch 1.13's default) or set them to
   * null with `{ setToNone: true }`.
   * @example const model = new torch.nn.Linear(2, 1); model.call(torch.ones(2)).sum().backward(); model.zeroGrad(); model.bias.grad.tolist() // [0]
   */
  zeroGrad(opts: { setToNone?: boolean } | boolean = {}): void {
    const setToNone = typeof opts === "boolean" ? opts : (opts.setToNone ?? false);
    for (const p of this.parameters()) zeroGradOf(p, setToNone);
  }

  /**
   * Call `fn` on every submodule (children first) and on this module; returns this.
   * @example const model = new torch.nn.Sequential(new torch.nn.Linear(2, 2)); model.apply((m) => { if (m instanceof torch.nn.Linear) torch.nn.init.zeros_(m.bias); }); model.getParameter("0.bias") // Parameter containing: tensor([0., 0.], requires_grad=True)
   */
  apply(fn: (m: Module) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Convert the floating-point parameters and buffers to `dtype`, in place (the Parameter
   * objects are kept, so optimizers holding them stay valid, as PyTorch).
   * @example new torch.nn.Linear(2, 2).to(torch.float64).weight.dtype // torch.float64
   */
  to(
    target:
      DType | DTypeName | Tensor | ModuleToOptions | "cpu" | "webgpu" | Device | null | undefined,
    dtype?: DType | DTypeName | null | ModuleToOptions,
  ): this {
    // PyTorch's forms: to(dtype), to(tensor), to(device, dtype?), to({ device, dtype })
    let want: unknown = null;
    let device: unknown = null;
    if (target instanceof Tensor) want = target.dtype;
    else if (target instanceof DType) want = target;
    else if (target instanceof Device) device = target;
    else if (typeof target === "string" && !/^(cpu|cuda|meta|mps|xpu|webgpu)(:\d+)?$/.test(target))
      want = target;
    else if (target !== null && typeof target === "object") {
      ({ device = null, dtype: want = null } = target);
    } else device = target ?? null;
    if (dtype !== undefined && dtype !== null) {
      if (typeof dtype === "object" && !(dtype instanceof DType)) want = dtype.dtype ?? want;
      else want = dtype;
    }
    checkDeviceAvailable(device);
    if (parseDevice(device)?.type === "webgpu") {
      // Note [device dispatch]: each parameter and buffer moves (the objects are kept, as
      // PyTorch's module.to keeps its Parameters), then the dtype conversion below, on device
      this._apply((t) => {
        if (!t.isWebgpu) noGrad(() => (t.data = t.detach().to("webgpu")));
        return t;
      });
      device = null;
    }
    checkCpu(device);
    if (want === null || want === undefined) return this;
    const d = toDType(want as DType | DTypeName);
    if (d === undefined) throw typeError(`unknown dtype ${String(want)}`);
    if (!d.isFloatingPoint) {
      throw typeError(
        `nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=${String(d)}`,
      );
    }
    return this._apply((t) => (t.dtype.isFloatingPoint ? convertInPlace(t, d) : t));
  }

  /**
   * Cast every parameter and buffer (integer ones too) to `dstType`, in place.
   * @example new torch.nn.Linear(2, 2).type(torch.float64)
   */
  type(dstType: DType | DTypeName): this {
    const d = toDType(dstType);
    if (d === undefined) throw typeError(`unknown dtype ${String(dstType)}`);
    return this._apply((t) => convertInPlace(t, d));
  }

  /** `to(torch.float64)` on the floating-point parameters and buffers. */
  double(): this {
    return this.to(float64);
  }
  /** `to(torch.float32)` on the floating-point parameters and buffers. */
  float(): this {
    return this.to(float32);
  }
  /**
   * The module on the CPU: tensorgrad's only device, so this module unchanged.
   * @example new torch.nn.Linear(2, 2).cpu().weight.shape // [2, 2]
   */
  cpu(): this {
    return this;
  }
  /**
   * PyTorch's `module.share_memory()`: every parameter and buffer's storage marked shared
   * (`t.shareMemory_()`); returns the module.
   * @example new torch.nn.Linear(2, 2).shareMemory().weight.isShared() // true
   */
  shareMemory(): this {
    return this._apply((t) => t.shareMemory_());
  }
  /**
   * Move to a CUDA device: tensorgrad has none, so PyTorch's error of a CPU-only build.
   * @example
   * try {
   *   new torch.nn.Linear(2, 2).cuda();
   * } catch (e) {
   *   console.log((e as Error).message); // Torch not compiled with CUDA enabled
   * }
   */
  cuda(_device?: unknown): this {
    throw assertionError("Torch not compiled with CUDA enabled");
  }
  /**
   * PyTorch's `module.bfloat16()`: every floating-point parameter and buffer cast to bfloat16.
   * @example new torch.nn.Linear(2, 2).bfloat16().weight.dtype // torch.bfloat16
   */
  bfloat16(): this {
    return this.to("bfloat16" as DTypeName);
  }
  /**
   * PyTorch's `module.half()`: every floating-point parameter and buffer cast to float16.
   * @example new torch.nn.Linear(2, 2).half().weight.dtype // torch.float16
   */
  half(): this {
    return this.to("float16" as DTypeName);
  }

  /**
   * Replace every parameter's and buffer's storage by a new uninitialised one of the same
   * shape and dtype (PyTorch's `to_empty(device=...)`; tensorgrad's new storage is zero-filled).
   * The Parameter objects are kept.
   * @example new torch.nn.Linear(2, 2).toEmpty({ device: "cpu" }).weight.shape // [2, 2]
   */
  toEmpty(opts: { device: unknown } | string): this {
    const device = typeof opts === "string" ? opts : opts.device;
    checkCpu(device);
    return this._apply((t) => {
      t.typedArray = new t.dtype.ArrayType(t.numel()) as typeof t.typedArray;
      t.strides = contiguousStrides(t.shape);
      t.offset = 0;
      t._base = null;
      t._versionCounter = new VersionCounter();
      return t;
    });
  }

  private _apply(fn: (t: Tensor) => Tensor): this {
    for (const m of this.children()) m._apply(fn);
    noGrad(() => {
      for (const [, p] of this._ownParameters()) {
        if (p === null) continue;
        fn(p);
        const g = p._grad;
        if (g !== null) fn(g);
      }
      const rec = this as unknown as Record<string, Tensor | null>;
      for (const [name, b] of this._ownBuffers()) {
        if (b !== null) rec[name] = fn(b);
      }
    });
    return this;
  }

  // -------------------------------------------------------------------------------------------
  // state dict

  /**
   * Parameters and persistent buffers keyed by PyTorch's names (`0.weight`, `fc1.bias`),
   * detached (sharing storage), in PyTorch's order.
   * @example Object.keys(new torch.nn.Linear(3, 2).stateDict()) // ["weight", "bias"]
   */
  stateDict(opts: { prefix?: string; keepVars?: boolean } = {}): StateDict {
    const out: StateDict = {};
    const keep = opts.keepVars ?? false;
    const visit = (m: Module, prefix: string): void => {
      for (const [name, p] of m._ownParameters()) {
        if (p !== null) out[prefix + name] = keep ? p : p.detach();
      }
      const reg = m[REG];
      for (const [name, b] of m._ownBuffers()) {
        if (b !== null && !reg.nonPersistent.has(name)) out[prefix + name] = keep ? b : b.detach();
      }
      for (const [name, child] of m._ownModules()) {
        if (child !== null) visit(child, `${prefix}${name}.`);
      }
    };
    visit(this, opts.prefix ?? "");
    return out;
  }

  /**
   * Copy a state dict's tensors into this module's parameters and buffers. With `strict`
   * (the default), missing and unexpected keys raise PyTorch's error; returns the lists.
   * @example const model = new torch.nn.Linear(2, 2); const other = new torch.nn.Linear(2, 2); model.loadStateDict(other.stateDict()); model.weight.equal(other.weight) // true
   */
  loadStateDict(
    stateDict: StateDict | Map<string, Tensor>,
    opts: { strict?: boolean } | boolean = {},
  ): IncompatibleKeys {
    const strict = typeof opts === "boolean" ? opts : (opts.strict ?? true);
    if (stateDict === null || typeof stateDict !== "object") {
      throw typeError(`Expected state_dict to be dict-like, got ${pyTypeName(stateDict)}.`);
    }
    const sd: Map<string, unknown> =
      stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
    const missingKeys: string[] = [];
    const unexpectedKeys: string[] = [];
    const errorMsgs: string[] = [];
    const load = (m: Module, prefix: string): void => {
      const reg = m[REG];
      const local = new Map<string, Tensor>();
      for (const [name, p] of m._ownParameters()) if (p !== null) local.set(name, p);
      for (const [name, b] of m._ownBuffers())
        if (b !== null && !reg.nonPersistent.has(name)) local.set(name, b);
      for (const [name, param] of local) {
        const key = prefix + name;
        if (sd.has(key)) {
          let input = sd.get(key);
          if (!(input instanceof Tensor)) {
            errorMsgs.push(
              `While copying the parameter named "${key}", expected torch.Tensor or Tensor-like object from checkpoint but received <class '${pyTypeName(input)}'>`,
            );
            continue;
          }
          // a lazy module's uninitialised tensor takes the loaded shape (PyTorch's
          // LazyModuleMixin._lazy_load_hook)
          if (isUninitialized(param) && !isUninitialized(input))
            (param as unknown as { materialize(s: number[]): void }).materialize(input.shape);
          if (param.dim() === 0 && input.dim() === 1) input = input.select(0, 0);
          const inp = input as Tensor;
          if (!shapeEqual(inp.shape, param.shape)) {
            errorMsgs.push(
              `size mismatch for ${key}: copying a param with shape ${inp.size()} from checkpoint, the shape in current model is ${param.size()}.`,
            );
            continue;
          }
          try {
            noGrad(() => param.copy_(inp));
          } catch (ex) {
            errorMsgs.push(
              `While copying the parameter named "${key}", whose dimensions in the model are ${param.size()} and whose dimensions in the checkpoint are ${inp.size()}, an exception occurred : ('${(ex as Error).message}',).`,
            );
          }
        } else {
          missingKeys.push(key);
        }
      }
      {
        // computed whatever `strict` says (PyTorch passes strict=True here); raised only if strict
        const childNames = new Set(m._ownModules().map(([n]) => n));
        for (const key of sd.keys()) {
          if (key.startsWith(prefix)) {
            const inputName = key.slice(prefix.length).split(".", 1)[0];
            if (!childNames.has(inputName) && !local.has(inputName)) unexpectedKeys.push(key);
          }
        }
      }
      for (const [name, child] of m._ownModules()) {
        if (child !== null) load(child, `${prefix}${name}.`);
      }
      // PyTorch runs the post hooks with the lists as they stand after this module's subtree
      const incompatible = { missingKeys, unexpectedKeys };
      for (const hook of reg.loadPostHooks) {
        const out = hook(m, incompatible) as unknown;
        if (out !== undefined && out !== null)
          throw assertionError(
            "Hooks registered with ``register_load_state_dict_post_hook`` are notexpected to return new values, if incompatible_keys need to be modified,it should be done inplace.",
          );
      }
    };
    load(this, "");
    if (strict) {
      if (unexpectedKeys.length > 0)
        errorMsgs.unshift(
          `Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}. `,
        );
      if (missingKeys.length > 0)
        errorMsgs.unshift(
          `Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(", ")}. `,
        );
    }
    if (errorMsgs.length > 0) {
      throw runtimeError(
        `Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errorMsgs.join("\n\t")}`,
      );
    }
    return { missingKeys, unexpectedKeys };
  }

  /**
   * `hook(module, incompatibleKeys)` runs after loadStateDict has loaded this module (PyTorch's
   * `register_load_state_dict_post_hook`); it may remove entries from the key lists in place.
   * @example
   * const m = new torch.nn.Linear(2, 2);
   * m.registerLoadStateDictPostHook((_m, keys) => { keys.missingKeys.length = 0; });
   * m.loadStateDict({}).missingKeys // []
   */
  registerLoadStateDictPostHook(hook: LoadStateDictPostHook): HookHandle {
    const list = this[REG].loadPostHooks;
    list.push(hook);
    return { remove: () => removeFrom(list, hook) };
  }

  // -------------------------------------------------------------------------------------------
  // hooks

  /**
   * `hook(module, args)` runs before forward; a non-undefined result replaces the arguments
   * (an array, or a single argument).
   */
  registerForwardPreHook(hook: ForwardPreHook): HookHandle {
    const list = this[REG].preHooks;
    list.push(hook);
    return { remove: () => removeFrom(list, hook) };
  }

  /** @internal The forward pre-hooks, in order (weight_norm and spectral_norm find theirs). */
  _forwardPreHooks(): ForwardPreHook[] {
    return this[REG].preHooks;
  }

  /**
   * `hook(module, args, output)` runs after forward; a non-undefined result replaces the output.
   * @example const model = new torch.nn.Linear(2, 1); const h = model.registerForwardHook((m, args, out) => console.log(out.shape)); model.call(torch.ones(2)); h.remove();
   */
  registerForwardHook(hook: ForwardHook): HookHandle {
    const list = this[REG].hooks;
    list.push(hook);
    return { remove: () => removeFrom(list, hook) };
  }

  /**
   * `hook(module, gradInput, gradOutput)` runs when the gradients w.r.t. the module's inputs
   * have been computed: gradInput has one entry per positional argument of the call (null for
   * non-tensors), gradOutput one per output; a returned array replaces gradInput. The tensors
   * of the call pass through `BackwardHookFunctionBackward` nodes, as in PyTorch.
   * @example
   * const model = new torch.nn.Linear(2, 1);
   * model.registerFullBackwardHook((m, gradInput, gradOutput) => console.log(String(gradOutput[0])));
   * model.call(torch.ones(3, 2)).sum().backward(); // prints tensor([[1.], [1.], [1.]])
   */
  registerFullBackwardHook(hook: BackwardHook): HookHandle {
    const reg = this[REG];
    if (reg.isFullBackwardHook === false) throw runtimeError(MIXED_BACKWARD_HOOKS);
    reg.isFullBackwardHook = true;
    reg.backwardHooks.push(hook);
    return { remove: () => removeFrom(reg.backwardHooks, hook) };
  }

  /**
   * The deprecated backward hook: `hook(module, gradInput, gradOutput)` registered on the
   * grad_fn of the first output tensor, seeing that node's own gradients (PyTorch 1.13's
   * `register_backward_hook`; prefer registerFullBackwardHook).
   * @example const lin = new torch.nn.Linear(2, 1); const h = lin.registerBackwardHook((m, gi, go) => undefined); h.remove();
   */
  registerBackwardHook(hook: BackwardHook): HookHandle {
    const reg = this[REG];
    if (reg.isFullBackwardHook === true) throw runtimeError(MIXED_BACKWARD_HOOKS);
    reg.isFullBackwardHook = false;
    reg.backwardHooks.push(hook);
    return { remove: () => removeFrom(reg.backwardHooks, hook) };
  }

  // -------------------------------------------------------------------------------------------
  // printing

  /** The text inside the parentheses of this module's repr (PyTorch's `extra_repr`). */
  extraRepr(): string {
    return "";
  }

  /** The class name shown in the repr (PyTorch's `_get_name`). */
  protected _getName(): string {
    return this.constructor.name;
  }

  /**
   * PyTorch's module repr.
   * @example String(new torch.nn.Sequential(new torch.nn.Linear(2, 2), new torch.nn.ReLU()))
   * // Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n  (1): ReLU()\n)
   */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split("\n") : [];
    const childLines: string[] = [];
    for (const [key, m] of this._ownModules()) {
      const s = m === null ? "None" : addIndent(m.toString(), 2);
      childLines.push(`(${key}): ${s}`);
    }
    const lines = extraLines.concat(childLines);
    let main = `${this._getName()}(`;
    if (lines.length > 0) {
      if (extraLines.length === 1 && childLines.length === 0) main += extraLines[0];
      else main += `\n  ${lines.join("\n  ")}\n`;
    }
    return `${main})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** An UninitializedParameter / UninitializedBuffer (lazy.ts; recognised by its method). */
function isUninitialized(t: Tensor): boolean {
  const name = t.constructor.name;
  return name === "UninitializedParameter" || name === "UninitializedBuffer";
}

/** Python's hasattr on a module: a field, registered name or method. */
function hasAttr(m: Module, name: string): boolean {
  return name in m && (m as unknown as Record<string, unknown>)[name] !== undefined;
}

/** tensorgrad has one device, the CPU (a CPU build of PyTorch rejects CUDA the same way). */
function checkCpu(device: unknown): void {
  if (device === null || device === undefined) return;
  const type =
    typeof device === "object" ? (device as { type?: unknown }).type : String(device).split(":")[0];
  if (type === "cpu") return;
  // PyTorch's error of a CPU-only build for CUDA; other devices (meta, mps) do not exist here
  if (type === "cuda") throw assertionError("Torch not compiled with CUDA enabled");
  throw runtimeError(`tensorgrad has no ${String(type)} device, only the CPU`);
}

function addIndent(s: string, n: number): string {
  const lines = s.split("\n");
  if (lines.length === 1) return s;
  const first = lines.shift() as string;
  return `${first}\n${lines.map((l) => " ".repeat(n) + l).join("\n")}`;
}

function removeFrom<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

/** Define (or overwrite) an own enumerable field. */
function setField(m: Module, name: string, value: unknown): void {
  Object.defineProperty(m, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Optimizer/Module zero_grad for one parameter (PyTorch 1.13's semantics).
 * @example
 * const p = torch.ones(2, { requiresGrad: true });
 * p.sum().backward();
 * zeroGradOf(p, false); // p.grad zeroed in place: tensor([0., 0.])
 */
export function zeroGradOf(p: Tensor, setToNone: boolean): void {
  const g = p._grad;
  if (g === null) return;
  if (setToNone) {
    p._grad = null;
    return;
  }
  if (g.gradFn !== null) g.detach_();
  else g.requiresGrad_(false);
  // a sparse gradient has no storage to fill: zero_ empties it (Note [sparse tensors])
  if (g.isContiguous() && !g.isWebgpu && !g.isSparse)
    g.typedArray.fill(0, g.offset, g.offset + g.numel());
  else noGrad(() => g.zero_());
}

/** Change a tensor's dtype in place (PyTorch's `param.data = param.data.to(dtype)`). */
function convertInPlace(t: Tensor, d: DType): Tensor {
  if (t.dtype === d) return t;
  if (t.isWebgpu) {
    noGrad(() => (t.data = t.detach().to(d)));
    return t;
  }
  const data = castData(t, d);
  t.typedArray = data;
  t.strides = contiguousStrides(t.shape);
  t.offset = 0;
  t.dtype = d;
  t._base = null;
  t._versionCounter = new VersionCounter();
  return t;
}

/**
 * copy.deepcopy of a module tree (what PyTorch's `_get_clones` uses to stack transformer
 * layers): the same class and fields, every parameter and buffer a fresh leaf holding a copy
 * of the values (requires_grad kept), children copied recursively, the registry (order,
 * null-registered names, persistence) and hooks copied; other values are shared, arrays
 * copied. A tensor reached twice is copied once (deepcopy's memo).
 * @example
 * const layer1 = new torch.nn.Linear(2, 2);
 * const layer2 = deepcopyModule(layer1); // equal parameters, no shared storage

 */
export function deepcopyModule<M extends Module>(m: M, memo = new Map<object, unknown>()): M {
  const seen = memo.get(m);
  if (seen !== undefined) return seen as M;
  const copyValue = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    const hit = memo.get(v);
    if (hit !== undefined) return hit;
    let out: unknown;
    if (v instanceof Module) return deepcopyModule(v, memo);
    if (v instanceof Parameter) {
      out = noGrad(() => new Parameter(v.detach().clone(), v.requiresGrad));
    } else if (v instanceof Tensor) {
      out = noGrad(() =>
        v
          .detach()
          .clone()
          .requiresGrad_(v.requiresGrad && v.isLeaf),
      );
    } else if (Array.isArray(v)) {
      out = v.map(copyValue);
    } else return v;
    memo.set(v, out);
    return out;
  };
  // a bare instance of m's class: Module's constructor only (fresh registry), m's prototype
  const c = Reflect.construct(Module, [], m.constructor) as M;
  memo.set(m, c);
  const src = m[REG];
  const dst = c[REG];
  for (const name of src.parameters) dst.parameters.add(name);
  for (const name of src.buffers) dst.buffers.add(name);
  for (const name of src.nonPersistent) dst.nonPersistent.add(name);
  for (const name of src.modules) dst.modules.add(name);
  dst.preHooks.push(...src.preHooks);
  dst.hooks.push(...src.hooks);
  c.training = m.training;
  const rec = m as unknown as Record<string, unknown>;
  for (const key of Object.keys(m)) setField(c, key, copyValue(rec[key]));
  return c;
}
