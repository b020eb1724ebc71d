/**
 * torch.nn.utils.parametrize (PyTorch 1.13): a module's parameter or buffer `name` expressed as
 * a function of others. `registerParametrization(module, "weight", P)` moves the tensor to
 * `module.parametrizations.weight.original` (after P.rightInverse, when P has one) and makes
 * `module.weight` a property computing P(original) on every read (or once per `cached` block);
 * assigning `module.weight = x` stores rightInverse(x). As in PyTorch, the module's class
 * becomes a subclass named `Parametrized<Class>` holding these properties, removed with the
 * last parametrization.
 */
import { Tensor } from "../tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { runtimeError, valueError } from "../errors.js";
import { pyTypeName } from "../ops/core.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { ModuleDict, ModuleList } from "./container.js";

/** A parametrization: a module whose forward maps the original tensor(s) to the tensor. */
export interface Parametrization extends Module {
  /** Optional: a tensor (or tensors) that forward maps to `value`. */
  rightInverse?(value: Tensor): Tensor | Tensor[];
}

const sizeStr = (t: Tensor): string => `torch.Size([${t.shape.join(", ")}])`;
const sameShape = (a: Tensor, b: Tensor): boolean =>
  a.shape.length === b.shape.length && a.shape.every((s, i) => s === b.shape[i]);

function typeNameOf(v: unknown): string {
  return v instanceof Tensor ? "Tensor" : pyTypeName(v);
}

/** PyTorch's `t.set_(src)`: t shares src's storage, shape and strides from now on. */
function setData(t: Tensor, src: Tensor): void {
  if (t === src) return;
  t.typedArray = src.typedArray;
  t.shape = src.shape.slice();
  t.strides = src.strides.slice();
  t.offset = src.offset;
  t.dtype = src.dtype;
}

/** A parameter if `original` is one (or requires grad), else a buffer. */
function registerParameterOrBuffer(m: Module, name: string, t: Tensor): void {
  if (t instanceof Parameter) m.registerParameter(name, t);
  else m.registerBuffer(name, t);
}

/** Whether a thrown error is Python's NotImplementedError. */
const isNotImplemented = (e: unknown): boolean =>
  e instanceof Error && e.name === "NotImplementedError";

/**
 * The chain of parametrizations of one tensor (PyTorch's ParametrizationList): forward applies
 * them in order to `original` (or `original0`, `original1`, ... when the first one's
 * rightInverse returns several tensors).
 */
export class ParametrizationList extends ModuleList {
  /** Whether the shape and dtype checks are skipped. */
  declare unsafe: boolean;
  /** Whether the original is one tensor (not several). */
  declare isTensor: boolean;
  /** The number of original tensors. */
  declare ntensors: number;
  /** The unparametrized tensor (PyTorch's `original`). */
  declare original?: Tensor;

  constructor(modules: Parametrization[], original: Tensor, unsafe = false) {
    if (modules.length === 0) throw valueError("ParametrizationList requires one or more modules.");
    super(modules);
    Object.defineProperty(this, "unsafe", { value: unsafe, writable: true });
    const originalDtype = original.dtype;
    const shapeBefore = original.shape.slice();
    let next: Tensor | Tensor[] = original;
    noGrad(() => {
      for (const m of [...modules].reverse()) {
        if (typeof m.rightInverse !== "function") continue;
        try {
          next = m.rightInverse(next as Tensor);
        } catch (e) {
          if (!isNotImplemented(e)) throw e;
        }
      }
    });
    const result = next as Tensor | Tensor[] | unknown;
    if (!(result instanceof Tensor) && !Array.isArray(result))
      throw valueError(
        `'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). Got ${pyTypeName(result)}`,
      );
    Object.defineProperty(this, "isTensor", { value: result instanceof Tensor, writable: true });
    Object.defineProperty(this, "ntensors", {
      value: result instanceof Tensor ? 1 : result.length,
      writable: true,
    });
    if (result instanceof Tensor) {
      if (original.dtype !== result.dtype)
        throw valueError(
          `When \`right_inverse\` outputs one tensor, it may not change the dtype.\noriginal.dtype: ${String(original.dtype)}\nright_inverse(original).dtype: ${String(result.dtype)}`,
        );
      noGrad(() => setData(original, result));
      registerParameterOrBuffer(this, "original", original);
    } else {
      result.forEach((o, i) => {
        if (!(o instanceof Tensor))
          throw valueError(
            `'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). Got element ${i} of the sequence with type ${typeNameOf(o)}.`,
          );
        let oi: Tensor = o;
        if (original instanceof Parameter) oi = new Parameter(o);
        oi.requiresGrad_(original.requiresGrad);
        registerParameterOrBuffer(this, `original${i}`, oi);
      });
    }
    if (!this.unsafe) {
      const z: unknown = this.forward();
      if (!(z instanceof Tensor))
        throw valueError(`A parametrization must return a tensor. Got ${typeNameOf(z)}.`);
      if (z.dtype !== originalDtype)
        throw valueError(
          `Registering a parametrization may not change the dtype of the tensor, unless \`unsafe\` flag is enabled.\nunparametrized dtype: ${String(originalDtype)}\nparametrized dtype: ${String(z.dtype)}`,
        );
      if (z.shape.length !== shapeBefore.length || z.shape.some((s, i) => s !== shapeBefore[i]))
        throw valueError(
          `Registering a parametrization may not change the shape of the tensor, unless \`unsafe\` flag is enabled.\nunparametrized shape: torch.Size([${shapeBefore.join(", ")}])\nparametrized shape: ${sizeStr(z)}`,
        );
    }
  }

  /** Store the original(s) that map to `value` (the last parametrization's inverse first). */
  rightInverse(value: Tensor): void {
    noGrad(() => {
      let v: Tensor | Tensor[] = value;
      for (const m of (Array.from(this) as Parametrization[]).reverse()) {
        if (typeof m.rightInverse !== "function")
          throw runtimeError(
            `parametrization ${m.constructor.name} does not implement right_inverse.`,
          );
        v = m.rightInverse(v as Tensor);
      }
      if (this.isTensor) {
        if (!(v instanceof Tensor))
          throw valueError(`\`right_inverse\` should return a tensor. Got ${typeNameOf(v)}`);
        const original = this.original as Tensor;
        if (v.dtype !== original.dtype)
          throw valueError(
            `The tensor returned by \`right_inverse\` has dtype ${String(v.dtype)} while \`original\` has dtype ${String(original.dtype)}`,
          );
        setData(original, v);
      } else {
        if (!Array.isArray(v))
          throw valueError(
            `'right_inverse' must return a sequence of tensors. Got ${typeNameOf(v)}.`,
          );
        if (v.length !== this.ntensors)
          throw valueError(
            `'right_inverse' must return a sequence of tensors of length ${this.ntensors}. Got a sequence of lenght ${v.length}.`,
          );
        v.forEach((t, i) => {
          const oi = (this as unknown as Record<string, Tensor>)[`original${i}`];
          if (!(t instanceof Tensor))
            throw valueError(
              `\`right_inverse\` must return a sequence of tensors. Got element ${i} of type ${typeNameOf(t)}`,
            );
          if (t.dtype !== oi.dtype)
            throw valueError(
              `Tensor ${i} returned by \`right_inverse\` has dtype ${String(t.dtype)} while \`original${i}\` has dtype ${String(oi.dtype)}`,
            );
          setData(oi, t);
        });
      }
    });
  }

  /** The parametrized tensor: the parametrizations applied in order to the original(s). */
  override forward(): Tensor {
    const mods = Array.from(this) as Module[];
    const rec = this as unknown as Record<string, Tensor>;
    let x: Tensor = this.isTensor
      ? (mods[0].call(rec.original) as Tensor)
      : (mods[0].call(
          ...Array.from({ length: this.ntensors }, (_, i) => rec[`original${i}`]),
        ) as Tensor);
    for (const m of mods.slice(1)) x = m.call(x) as Tensor;
    return x;
  }
}

// ---------------------------------------------------------------------------------------------
// caching

let cacheEnabled = 0;
let cache = new Map<string, Tensor>();
const moduleIds = new WeakMap<Module, number>();
let nextId = 0;

function cacheKey(m: Module, name: string): string {
  let id = moduleIds.get(m);
  if (id === undefined) moduleIds.set(m, (id = nextId++));
  return `${id}:${name}`;
}

/**
 * Run `fn` with parametrized tensors computed once per module and name, however often they are
 * read (PyTorch's `with parametrize.cached():`); the cache is dropped when the outermost block
 * ends.
 * @example
 * const rnn = new torch.nn.RNNCell(3, 4);
 * torch.nn.utils.parametrize.registerParametrization(rnn, "weight_hh", new torch.nn.Identity());
 * const x = torch.randn(5, 2, 3);
 * let h = torch.zeros(2, 4);
 * // weight_hh is computed once for the 5 steps
 * torch.nn.utils.parametrize.cached(() => { for (let t = 0; t < 5; t++) h = rnn.call(x.select(0, t), h); });
 */
export function cached<T>(fn: () => T): T {
  cacheEnabled++;
  try {
    return fn();
  } finally {
    cacheEnabled--;
    if (cacheEnabled === 0) cache = new Map();
  }
}

// ---------------------------------------------------------------------------------------------
// registration

const PARAMETRIZED = Symbol("tensorgrad.parametrize.originalClass");

type ModuleClass = { prototype: Module; name: string };

/** PyTorch's _inject_new_class: the module becomes a `Parametrized<Class>` subclass. */
function injectNewClass(m: Module): void {
  const cls = Object.getPrototypeOf(m).constructor as new (...args: never[]) => Module;
  const sub = class extends cls {};
  Object.defineProperty(sub, "name", { value: `Parametrized${cls.name}` });
  Object.defineProperty(sub, PARAMETRIZED, { value: cls });
  Object.setPrototypeOf(m, sub.prototype);
}

/** PyTorch's _inject_property: `m[name]` reads the parametrization (cached in a cached block). */
function injectProperty(m: Module, name: string): void {
  const proto = Object.getPrototypeOf(m) as object;
  Object.defineProperty(proto, name, {
    configurable: true,
    enumerable: false,
    get(this: Module): Tensor {
      const p = parametrizationsOf(this)!.get(name) as ParametrizationList;
      if (cacheEnabled === 0) return p.call();
      const key = cacheKey(this, name);
      let t = cache.get(key);
      if (t === undefined) {
        t = p.call() as Tensor;
        cache.set(key, t);
      }
      return t;
    },
    set(this: Module, value: Tensor) {
      (parametrizationsOf(this)!.get(name) as ParametrizationList).rightInverse(value);
    },
  });
}

function parametrizationsOf(m: Module): ModuleDict | null {
  const p = (m as unknown as Record<string, unknown>).parametrizations;
  return p instanceof ModuleDict ? p : null;
}

/**
 * Whether `module` has parametrizations (on `tensorName`, if given).
 * @example
 * const m = new torch.nn.Linear(2, 2);
 * torch.nn.utils.parametrize.registerParametrization(m, "weight", new torch.nn.Identity());
 * torch.nn.utils.parametrize.isParametrized(m, "weight"); // true
 */
export function isParametrized(module: Module, tensorName?: string | null): boolean {
  const p = parametrizationsOf(module);
  if (p === null) return false;
  if (tensorName === undefined || tensorName === null) return p.length > 0;
  return p.has(tensorName);
}

/**
 * Parametrize `module[tensorName]` by `parametrization` (PyTorch's register_parametrization);
 * a second call on the same name chains the new parametrization after the first. With
 * `{ unsafe: true }` the dtype and shape checks are skipped.
 * @example
 * class Symmetric extends torch.nn.Module {
 *   forward(x: torch.Tensor) { return x.triu().add(x.triu(1).transpose(0, 1)); }
 * }
 * const layer = new torch.nn.Linear(3, 3);
 * torch.nn.utils.parametrize.registerParametrization(layer, "weight", new Symmetric());
 */
export function registerParametrization<M extends Module>(
  module: M,
  tensorName: string,
  parametrization: Parametrization,
  opts: { unsafe?: boolean } = {},
): M {
  const unsafe = opts.unsafe ?? false;
  parametrization.train(module.training);
  if (isParametrized(module, tensorName)) {
    if (!unsafe) {
      const y = (module as unknown as Record<string, Tensor>)[tensorName];
      const x: unknown = parametrization.call(y);
      if (!(x instanceof Tensor))
        throw valueError(`A parametrization must return a tensor. Got ${typeNameOf(x)}.`);
      if (x.dtype !== y.dtype)
        throw valueError(
          `Registering a parametrization may not change the dtype of the tensor, unless the \`unsafe\` flag is enabled.\nmodule.${tensorName}.dtype: ${String(y.dtype)}\nparametrization(module.${tensorName}).dtype: ${String(x.dtype)}`,
        );
      if (!sameShape(x, y))
        throw valueError(
          `Registering a parametrization may not change the shape of the tensor, unless the \`unsafe\` flag is enabled.\nmodule.${tensorName}.shape: ${sizeStr(y)}\nparametrization(module.${tensorName}).shape: ${sizeStr(x)}`,
        );
      if (typeof parametrization.rightInverse === "function") {
        let z: unknown = undefined;
        try {
          z = parametrization.rightInverse(x);
        } catch (e) {
          if (!isNotImplemented(e)) throw e;
        }
        if (z !== undefined) {
          if (!(z instanceof Tensor))
            throw valueError(
              `parametrization.right_inverse must return a tensor. Got: ${typeNameOf(z)}`,
            );
          if (z.dtype !== y.dtype)
            throw valueError(
              `The tensor returned by parametrization.right_inverse must have the same dtype as module.${tensorName}, unless the \`unsafe\` flag is enabled.\nmodule.${tensorName}.dtype: ${String(y.dtype)}\nreturned dtype: ${String(z.dtype)}`,
            );
          if (!sameShape(z, y))
            throw valueError(
              `The tensor returned by parametrization.right_inverse must have the same shape as module.${tensorName}, unless the \`unsafe\` flag is enabled.\nmodule.${tensorName}.shape: ${sizeStr(y)}\nreturned shape: ${sizeStr(z)}`,
            );
        }
      }
    }
    const list = parametrizationsOf(module)!.get(tensorName) as ParametrizationList;
    list.append(parametrization);
    list.unsafe ||= unsafe;
    return module;
  }
  const own = new Set([
    ...module.namedParameters("", false).map(([n]) => n),
    ...module.namedBuffers("", false).map(([n]) => n),
  ]);
  if (!own.has(tensorName))
    throw valueError(
      `Module '${String(module)}' does not have a parameter, a buffer, or a parametrized element with name '${tensorName}'`,
    );
  const original = (module as unknown as Record<string, Tensor>)[tensorName];
  const list = new ParametrizationList([parametrization], original, unsafe);
  module.deleteAttr(tensorName);
  if (!isParametrized(module)) {
    injectNewClass(module);
    (module as unknown as Record<string, unknown>).parametrizations = new ModuleDict();
  }
  injectProperty(module, tensorName);
  parametrizationsOf(module)!.set(tensorName, list);
  return module;
}

/**
 * Remove the parametrizations of `module[tensorName]`: it becomes a parameter (or buffer)
 * again, holding the parametrized value (`leaveParametrized`, the default) or the original.
 * @example
 * const m = new torch.nn.Linear(2, 2);
 * torch.nn.utils.parametrize.registerParametrization(m, "weight", new torch.nn.Identity());
 * torch.nn.utils.parametrize.removeParametrizations(m, "weight"); // weight is a Parameter again
 */
export function removeParametrizations<M extends Module>(
  module: M,
  tensorName: string,
  leaveParametrized: boolean | { leaveParametrized?: boolean } = true,
): M {
  if (typeof leaveParametrized === "object")
    leaveParametrized = leaveParametrized.leaveParametrized ?? true;
  if (!isParametrized(module, tensorName))
    throw valueError(`Module ${String(module)} does not have a parametrization on ${tensorName}`);
  const dict = parametrizationsOf(module)!;
  const list = dict.get(tensorName) as ParametrizationList;
  let original: Tensor;
  if (list.isTensor) {
    original = list.original as Tensor;
    if (leaveParametrized) {
      const t = noGrad(() => (module as unknown as Record<string, Tensor>)[tensorName]);
      noGrad(() => setData(original, t));
    }
  } else {
    if (!leaveParametrized)
      throw valueError(
        "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized in terms of a sequence of tensors.",
      );
    const t = (module as unknown as Record<string, Tensor>)[tensorName];
    original = t.requiresGrad ? new Parameter(t) : t;
  }
  const proto = Object.getPrototypeOf(module) as object;
  delete (proto as Record<string, unknown>)[tensorName];
  dict.pop(tensorName);
  registerParameterOrBuffer(module, tensorName, original);
  if (!isParametrized(module)) {
    module.deleteAttr("parametrizations");
    const orig = (proto.constructor as unknown as Record<symbol, ModuleClass>)[PARAMETRIZED];
    Object.setPrototypeOf(module, orig.prototype);
  }
  return module;
}

/**
 * The module's class before parametrization (PyTorch's type_before_parametrizations).
 * @example
 * const m = new torch.nn.Linear(2, 2);
 * torch.nn.utils.parametrize.registerParametrization(m, "weight", new torch.nn.Identity());
 * torch.nn.utils.parametrize.typeBeforeParametrizations(m) === torch.nn.Linear; // true

 */
export function typeBeforeParametrizations(module: Module): ModuleClass {
  const cls = Object.getPrototypeOf(module).constructor as ModuleClass & Record<symbol, unknown>;
  return isParametrized(module) ? (cls[PARAMETRIZED] as ModuleClass) : cls;
}
