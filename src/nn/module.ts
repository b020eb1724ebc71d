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
import { noGrad } from "../autograd/grad-mode.js";
import { runtimeError, typeError } from "../errors.js";
import { Parameter } from "./parameter.js";
import { castData, pyTypeName } from "../ops/core.js";
import { contiguousStrides, shapeEqual } from "../shape.js";
import { VersionCounter } from "../tensor.js";

/** A state dict: tensors keyed by PyTorch's dotted names, in PyTorch's order. */
export type StateDict = Record<string, Tensor>;

/** What `loadStateDict` returns (PyTorch's `_IncompatibleKeys`). */
export interface IncompatibleKeys {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** A handle whose `remove()` unregisters a hook. */
export interface HookHandle {
  remove(): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- forward signatures vary by module
type AnyArgs = any[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- forward results vary by module
type AnyResult = any;

export type ForwardPreHook = (module: Module, args: AnyArgs) => AnyArgs | AnyResult | void;
export type ForwardHook = (module: Module, args: AnyArgs, output: AnyResult) => AnyResult | void;

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
}

const REG = Symbol("tensorgrad.module.registry");

/** torch.typename of a value, for PyTorch's assignment errors. */
function typeName(v: unknown): string {
  if (v instanceof Tensor) return v.dtype.tensorTypeName;
  if (v instanceof Module) return v.constructor.name;
  return pyTypeName(v);
}

function keyError(msg: string): Error {
  const e = new Error(msg);
  e.name = "KeyError";
  return e;
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
    const reg = this[REG];
    if (reg.preHooks.length === 0 && reg.hooks.length === 0) {
      return this.forward(...args);
    }
    let a: AnyArgs = args;
    for (const h of reg.preHooks.slice()) {
      const r = h(this, a);
      if (r !== undefined) a = Array.isArray(r) ? r : [r];
    }
    let out = this.forward(...a);
    for (const h of reg.hooks.slice()) {
      const r = h(this, a, out);
      if (r !== undefined) out = r;
    }
    return out;
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
    const rec = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(this)) {
      const v = rec[key];
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
        const v = rec[name];
        if (v !== null && v !== undefined && !(v instanceof Parameter))
          throw typeError(
            `cannot assign '${typeName(v)}' as parameter '${name}' (torch.nn.Parameter or None expected)`,
          );
      }
    }
    for (const name of reg.modules) {
      if (!Object.prototype.hasOwnProperty.call(this, name)) reg.modules.delete(name);
      else {
        const v = rec[name];
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
        const v = rec[name];
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
   * @example this.registerParameter("scale", new torch.nn.Parameter(torch.ones(1)));
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
   * @example this.registerBuffer("runningMean", torch.zeros(4));
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
   * @example seq.addModule("relu", new torch.nn.ReLU());
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
    const rec = this as unknown as Record<string, Parameter | null>;
    return Array.from(reg.parameters, (n) => [n, rec[n] ?? null]);
  }
  private _ownBuffers(): [string, Tensor | null][] {
    const reg = this._sync();
    const rec = this as unknown as Record<string, Tensor | null>;
    return Array.from(reg.buffers, (n) => [n, rec[n] ?? null]);
  }
  private _ownModules(): [string, Module | null][] {
    const reg = this._sync();
    const rec = this as unknown as Record<string, Module | null>;
    return Array.from(reg.modules, (n) => [n, rec[n] ?? null]);
  }

  /**
   * Every submodule with its dotted name, this module first ("" as its name), each module once.
   * @example for (const [name, m] of model.namedModules()) console.log(name, m.constructor.name);
   */
  namedModules(
    memo: Set<Module> = new Set(),
    prefix = "",
    removeDuplicate = true,
  ): [string, Module][] {
    const out: [string, Module][] = [];
    const visit = (m: Module, p: string): void => {
      if (removeDuplicate) {
        if (memo.has(m)) return;
        memo.add(m);
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
   * @example model.modules().length
   */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * The direct children with their names.
   * @example model.namedChildren() // [["fc1", Linear], ["fc2", Linear]]
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
  namedParameters(prefix = "", recurse = true): [string, Parameter][] {
    return this._namedMembers((m) => m._ownParameters(), prefix, recurse);
  }

  /**
   * Every parameter (what an optimizer takes).
   * @example new torch.optim.SGD(model.parameters(), { lr: 0.1 })
   */
  parameters(recurse = true): Parameter[] {
    return this.namedParameters("", recurse).map(([, p]) => p);
  }

  /** Every buffer with its dotted name. */
  namedBuffers(prefix = "", recurse = true): [string, Tensor][] {
    return this._namedMembers((m) => m._ownBuffers(), prefix, recurse);
  }

  /** Every buffer. */
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers("", recurse).map(([, b]) => b);
  }

  /**
   * The submodule at a dotted path ("" is this module).
   * @example model.getSubmodule("encoder.0")
   */
  getSubmodule(target: string): Module {
    if (target === "") return this;
    let mod = this as Module;
    for (const item of target.split(".")) {
      const names = new Set(mod._ownModules().map(([n]) => n));
      const child = (mod as unknown as Record<string, unknown>)[item];
      if (!names.has(item) || !(child instanceof Module)) {
        throw new Error(`${mod.constructor.name} has no attribute \`${item}\``);
      }
      mod = child;
    }
    return mod;
  }

  /** The parameter at a dotted path. */
  getParameter(target: string): Parameter {
    const i = target.lastIndexOf(".");
    const mod = this.getSubmodule(i < 0 ? "" : target.slice(0, i));
    const name = i < 0 ? target : target.slice(i + 1);
    const p = (mod as unknown as Record<string, unknown>)[name];
    if (!(p instanceof Parameter)) throw new Error(`\`${name}\` is not an nn.Parameter`);
    return p;
  }

  // -------------------------------------------------------------------------------------------
  // modes and bulk operations

  /**
   * Set training mode (`true`) or evaluation mode on this module and all descendants.
   * @example model.train(); model.eval();
   */
  train(mode = true): this {
    if (typeof mode !== "boolean") throw new Error("training mode is expected to be boolean");
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
   * @example model.zeroGrad();
   */
  zeroGrad(opts: { setToNone?: boolean } | boolean = {}): void {
    const setToNone = typeof opts === "boolean" ? opts : (opts.setToNone ?? false);
    for (const p of this.parameters()) zeroGradOf(p, setToNone);
  }

  /**
   * Call `fn` on every submodule (children first) and on this module; returns this.
   * @example model.apply((m) => { if (m instanceof torch.nn.Linear) torch.nn.init.zeros_(m.bias); });
   */
  apply(fn: (m: Module) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Convert the floating-point parameters and buffers to `dtype`, in place (the Parameter
   * objects are kept, so optimizers holding them stay valid, as PyTorch).
   * @example model.to(torch.float64);
   */
  to(dtype: DType | DTypeName): this {
    const d = toDType(dtype);
    if (d === undefined) throw typeError(`to() received an invalid dtype: ${String(dtype)}`);
    if (!d.isFloatingPoint) {
      throw typeError(
        `nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=${String(d)}`,
      );
    }
    return this._apply((t) => (t.dtype.isFloatingPoint ? convertInPlace(t, d) : t));
  }

  /** `to(torch.float64)` */
  double(): this {
    return this.to(float64);
  }
  /** `to(torch.float32)` */
  float(): this {
    return this.to(float32);
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
   * @example model.loadStateDict(other.stateDict());
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

  /**
   * `hook(module, args, output)` runs after forward; a non-undefined result replaces the output.
   * @example const h = model.registerForwardHook((m, args, out) => console.log(out.shape)); h.remove();
   */
  registerForwardHook(hook: ForwardHook): HookHandle {
    const list = this[REG].hooks;
    list.push(hook);
    return { remove: () => removeFrom(list, hook) };
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
 * @example zeroGradOf(p, false) // p.grad zeroed in place
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
  if (g.isContiguous()) g.typedArray.fill(0, g.offset, g.offset + g.numel());
  else noGrad(() => g.zero_());
}

/** Change a tensor's dtype in place (PyTorch's `param.data = param.data.to(dtype)`). */
function convertInPlace(t: Tensor, d: DType): Tensor {
  if (t.dtype === d) return t;
  const data = castData(t, d);
  t.typedArray = data;
  t.strides = contiguousStrides(t.shape);
  t.offset = 0;
  t.dtype = d;
  t._base = null;
  t._versionCounter = new VersionCounter();
  return t;
}
