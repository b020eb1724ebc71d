/**
 * torch.nn.utils.prune (PyTorch 1.13's torch/nn/utils/prune.py): a parameter `name` of a module
 * is reparametrised as `name = name_orig * name_mask`. The original values move to the parameter
 * `<name>_orig`, the 0/1 mask is the buffer `<name>_mask`, and a forward pre-hook (the pruning
 * method itself, as in PyTorch: a method object is callable) recomputes the attribute `name`
 * before every call. Pruning the same tensor again combines the methods in a PruningContainer
 * whose new mask is computed only on what the previous mask kept. The random methods draw from
 * the default generator as PyTorch's do (`rand_like` + topk, `rand` + kthvalue), so after the
 * same `torch.manualSeed` they prune the same entries.
 */
import { Tensor } from "../tensor.js";
import type { DType } from "../dtype.js";
import {
  assertionError,
  attributeError,
  indexError,
  keyError,
  typeError,
  valueError,
} from "../errors.js";
import { pyTypeName } from "../ops/core.js";
import { formatPyFloat } from "../print.js";
import { cat } from "../ops/views.js";
import {
  kthvalue,
  norm,
  onesLike,
  rand,
  randLike,
  topk,
  zerosLike,
} from "../generated/functions.js";
import type { IndexArg } from "../ops/indexing.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { ctorArgs, isOptionsObject } from "./ctor-args.js";

/** How a method picks what it prunes within what the previous mask kept. */
export type PruningType = "unstructured" | "structured" | "global";

/** The amount to prune: an integer is a count of units, a fraction in [0, 1] a share. */
export type PruningAmount = number;

function getAttr(m: Module, name: string): unknown {
  const v = (m as unknown as Record<string, unknown>)[name];
  if (v === undefined)
    throw attributeError(`'${m.constructor.name}' object has no attribute '${name}'`);
  return v;
}

function setAttr(m: Module, name: string, v: unknown): void {
  (m as unknown as Record<string, unknown>)[name] = v;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** A mask copied into contiguous memory (PyTorch's clone(memory_format=contiguous_format)). */
function contiguousClone(t: Tensor): Tensor {
  return t.isContiguous() ? t.clone() : t.contiguous();
}

/** Python's round(): halves to even. */
function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Python's str() of an amount: an integer as itself, a fraction as its repr. */
function amountStr(amount: number): string {
  return Number.isInteger(amount) ? String(amount) : formatPyFloat(amount);
}

/** _validate_pruning_amount_init: a number, an integer >= 0 or a fraction in [0, 1]. */
function validateAmountInit(amount: unknown): number {
  if (typeof amount === "boolean") return Number(amount);
  if (typeof amount !== "number")
    throw typeError(`Invalid type for amount: ${String(amount)}. Must be int or float.`);
  if (
    (Number.isInteger(amount) && amount < 0) ||
    (!Number.isInteger(amount) && !(amount >= 0 && amount <= 1))
  )
    throw valueError(
      `amount=${amountStr(amount)} should either be a float in the range [0, 1] or a non-negative integer`,
    );
  return amount;
}

/** _compute_nparams_toprune: the count itself, or round(amount * size) for a fraction. */
function nparamsToPrune(amount: number, size: number): number {
  return Number.isInteger(amount) ? amount : pyRound(amount * size);
}

/** _validate_pruning_amount: no more units than there are. */
function validateAmount(amount: number, size: number): void {
  if (amount > size)
    throw valueError(
      `amount=${amount} should be smaller than the number of parameters to prune=${size}`,
    );
}

function validateStructured(t: Tensor): void {
  if (t.dim() <= 1)
    throw valueError(
      `Structured pruning can only be applied to multidimensional tensors. Found tensor of shape ${String(t.size())} with ${t.dim()} dims`,
    );
}

function validateDim(t: Tensor, dim: number): void {
  if (dim >= t.dim())
    throw indexError(`Invalid index ${dim} for tensor of size ${String(t.size())}`);
}

/** t.shape[dim] with Python's negative indexing. */
function shapeAt(t: Tensor, dim: number): number {
  const s = t.shape.at(dim);
  if (s === undefined) throw indexError("tuple index out of range");
  return s;
}

/** `[:, ..., idx, ..., :]` with `idx` at `dim` (Python's slc[dim] = idx, negative dim too). */
function dimSlice(n: number, dim: number, idx: Tensor): IndexArg[] {
  const slc: IndexArg[] = Array.from({ length: n }, () => ":");
  slc[dim < 0 ? dim + n : dim] = idx;
  return slc;
}

/** _compute_norm: the `n`-norm over every dim but `dim`, one value per channel. */
function channelNorm(t: Tensor, n: NormOrder, dim: number): Tensor {
  const dims = Array.from({ length: t.dim() }, (_, i) => i);
  const d = dim < 0 ? dims.at(dim) : dim;
  return norm(t, n, { dim: dims.filter((i) => i !== d) });
}

let nextId = 0x7f3a5c000000;

/** Python's default object repr. */
function objectRepr(o: object, id: number): string {
  return `<torch.nn.utils.prune.${o.constructor.name} object at 0x${id.toString(16)}>`;
}

/** The pruning methods of this module, which a ported script names as PyTorch's classes. */
const BUILTIN = new Set([
  "PruningContainer",
  "Identity",
  "RandomUnstructured",
  "L1Unstructured",
  "RandomStructured",
  "LnStructured",
  "CustomFromMask",
]);

/** Python's repr of a class. */
function classRepr(cls: { name: string }): string {
  return BUILTIN.has(cls.name)
    ? `<class 'torch.nn.utils.prune.${cls.name}'>`
    : `<class '${cls.name}'>`;
}

/** A pruning method's class: what `apply` and globalUnstructured construct. */
export type PruningMethodClass<M extends BasePruningMethod = BasePruningMethod> = abstract new (
  ...args: never[]
) => M;

// A method is its own forward pre-hook, as PyTorch's (`module._forward_pre_hooks` holds the
// method objects): the instances are functions `(module, inputs) => void`.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the call signature of the callable instances
export interface BasePruningMethod {
  /** PyTorch's `__call__`: `module[name] = applyMask(module)` (the forward pre-hook). */
  (module: Module, inputs?: unknown): void;
}

/**
 * The base class of pruning methods (torch.nn.utils.prune.BasePruningMethod): a subclass gives
 * `PRUNING_TYPE` and `computeMask(t, defaultMask)`; `apply(module, name, ...)` prunes a module's
 * tensor with it. Instances are callable: each is the forward pre-hook that recomputes
 * `module[name] = name_orig * name_mask`.
 * @example
 * class EveryOther extends torch.nn.utils.prune.BasePruningMethod {
 *   PRUNING_TYPE = "unstructured" as const;
 *   computeMask(t: torch.Tensor, defaultMask: torch.Tensor): torch.Tensor {
 *     const mask = defaultMask.clone();
 *     mask.view(-1).indexPut_(["::2"], 0);
 *     return mask;
 *   }
 * }
 * const m = new torch.nn.Linear(3, 2);
 * EveryOther.apply(m, "bias");
 * m.bias_mask; // tensor([0., 1.])
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface
export abstract class BasePruningMethod {
  /** The name of the tensor pruned (PyTorch's `_tensor_name`), set by `apply`. */
  declare _tensorName: string | undefined;
  /** "unstructured", "structured" or "global" (see PruningContainer.computeMask). */
  abstract readonly PRUNING_TYPE: PruningType;
  declare private readonly _id: number;

  constructor() {
    const hook = ((module: Module): void => {
      setAttr(module, hook.tensorName(), hook.applyMask(module));
    }) as unknown as BasePruningMethod;
    // a function's own `length` and `name` would hide a method's properties of those names
    delete (hook as unknown as { length?: number }).length;
    delete (hook as unknown as { name?: string }).name;
    Object.setPrototypeOf(hook, new.target.prototype);
    Object.defineProperty(hook, "_id", { value: nextId, enumerable: false });
    nextId += 0x50;
    hook._tensorName = undefined;
    return hook;
  }

  /** The tensor's name, or PyTorch's AttributeError before `apply` set it. */
  private tensorName(): string {
    if (this._tensorName === undefined)
      throw attributeError(`'${this.constructor.name}' object has no attribute '_tensor_name'`);
    return this._tensorName;
  }

  /**
   * The mask for `t` (the importance scores), on top of `defaultMask` (the previous mask, or
   * ones): entries it zeroes stay zero.
   * @example new torch.nn.utils.prune.L1Unstructured(1).computeMask(torch.tensor([3, -1, 2]), torch.ones(3)) // tensor([1., 0., 1.])
   */
  abstract computeMask(t: Tensor, defaultMask: Tensor): Tensor;

  /**
   * `module[name + "_mask"] * module[name + "_orig"]` (the mask cast to the tensor's dtype).
   * @example
   * const m = torch.nn.utils.prune.identity(new torch.nn.Linear(2, 2), "weight");
   * const hook = m._forwardPreHooks()[0] as torch.nn.utils.prune.BasePruningMethod;
   * hook.applyMask(m).equal(m.weight_orig); // true
   */
  applyMask(module: Module): Tensor {
    const name = this.tensorName();
    const mask = getAttr(module, `${name}_mask`) as Tensor;
    const orig = getAttr(module, `${name}_orig`) as Tensor;
    return mask.to(orig.dtype as DType).mul(orig);
  }

  /**
   * Prune `module[name]` with a method of this class built from `args` (a trailing options
   * object may carry `importanceScores`, the tensor ranked in place of the parameter, and the
   * constructor's options): the parameter moves to `<name>_orig`, the mask is the buffer
   * `<name>_mask`, and the method becomes a forward pre-hook. A tensor pruned before is pruned
   * again through a PruningContainer (only what its mask kept). Returns the hook.
   * @example
   * const m = new torch.nn.Linear(4, 2);
   * torch.nn.utils.prune.L1Unstructured.apply(m, "weight", 0.5);
   * Object.keys(m.stateDict()); // ["bias", "weight_orig", "weight_mask"]
   */
  static apply(module: Module, name: string, ...args: unknown[]): BasePruningMethod {
    const cls = this as unknown as new (...a: unknown[]) => BasePruningMethod;
    let importanceScores: Tensor | null = null;
    const ctor = args.slice();
    const last = ctor[ctor.length - 1];
    if (isOptionsObject(last)) {
      const { importanceScores: s, ...rest } = last;
      importanceScores = (s as Tensor | null | undefined) ?? null;
      ctor.pop();
      if (Object.keys(rest).length > 0) ctor.push(rest);
    }
    // _get_composite_method: the pruning hook of `name` (at most one) leaves the hooks and the
    // new method joins it in a container
    const hooks = module._forwardPreHooks();
    const old = hooks.filter(
      (h): h is BasePruningMethod => h instanceof BasePruningMethod && h._tensorName === name,
    );
    if (old.length > 1)
      throw assertionError(
        `Avoid adding multiple pruning hooks to the                same tensor ${name} of module ${String(module)}. Use a PruningContainer.`,
      );
    for (const h of old) hooks.splice(hooks.indexOf(h), 1);
    let method = new cls(...ctor);
    method._tensorName = name;
    if (old.length === 1) {
      const prev = old[0];
      if (prev instanceof PruningContainer) {
        prev.addPruningMethod(method);
        method = prev;
      } else {
        const container = new PruningContainer(prev);
        container.addPruningMethod(method);
        method = container;
      }
    }
    const orig = getAttr(module, name) as Tensor;
    let scores: Tensor;
    if (importanceScores !== null) {
      if (!sameShape(importanceScores.shape, orig.shape))
        throw assertionError(
          `importance_scores should have the same shape as parameter                 ${name} of ${String(module)}`,
        );
      scores = importanceScores;
    } else scores = orig;
    let defaultMask: Tensor;
    const first = !(method instanceof PruningContainer);
    if (first) {
      module.registerParameter(`${name}_orig`, orig as Parameter);
      module.deleteAttr(name);
      defaultMask = onesLike(orig);
    } else {
      defaultMask = contiguousClone((getAttr(module, `${name}_mask`) as Tensor).detach());
    }
    try {
      const mask = method.computeMask(scores, defaultMask);
      module.registerBuffer(`${name}_mask`, mask);
      setAttr(module, name, method.applyMask(module));
      module.registerForwardPreHook(method);
    } catch (e) {
      // roll back: the parameter is `name` again
      if (first) {
        const o = getAttr(module, `${name}_orig`) as Parameter;
        module.registerParameter(name, o);
        module.deleteAttr(`${name}_orig`);
      }
      throw e;
    }
    return method;
  }

  /**
   * `t` pruned: `t * computeMask(importanceScores ?? t, defaultMask ?? ones)`.
   * @example new torch.nn.utils.prune.L1Unstructured(2).prune(torch.tensor([3, -1, 2, 0.5])) // tensor([3., -0., 2., 0.])
   */
  prune(
    t: Tensor,
    defaultMask:
      Tensor | null | { defaultMask?: Tensor | null; importanceScores?: Tensor | null } = null,
    importanceScores: Tensor | null = null,
  ): Tensor {
    if (isOptionsObject(defaultMask)) {
      importanceScores = defaultMask.importanceScores ?? null;
      defaultMask = defaultMask.defaultMask ?? null;
    }
    let scores = t;
    if (importanceScores !== null) {
      if (!sameShape(importanceScores.shape, t.shape))
        throw assertionError("importance_scores should have the same shape as tensor t");
      scores = importanceScores;
    }
    const dm = (defaultMask as Tensor | null) ?? onesLike(t);
    return t.mul(this.computeMask(scores, dm));
  }

  /**
   * Make the pruning permanent: `module[name]` becomes the parameter `<name>_orig` (the same
   * Parameter object) holding the pruned values; `<name>_orig` and `<name>_mask` go. The hook
   * stays registered (the function `remove` also drops it).
   * @example
   * const m = torch.nn.utils.prune.l1Unstructured(new torch.nn.Linear(2, 2), "weight", 1);
   * const hook = m._forwardPreHooks()[0] as torch.nn.utils.prune.BasePruningMethod;
   * hook.remove(m);
   */
  remove(module: Module): void {
    const name = this.tensorName();
    const weight = this.applyMask(module);
    if ((module as unknown as Record<string, unknown>)[name] !== undefined) module.deleteAttr(name);
    const params = new Map(module.namedParameters("", false));
    const orig = params.get(`${name}_orig`);
    if (orig === undefined) throw keyError(`'${name}_orig'`);
    orig.data = weight.data;
    module.deleteAttr(`${name}_orig`);
    module.deleteAttr(`${name}_mask`);
    module.registerParameter(name, orig);
  }

  /** Python's default repr, `<torch.nn.utils.prune.L1Unstructured object at 0x...>`. */
  toString(): string {
    return objectRepr(this, this._id);
  }
}

/**
 * The pruning methods applied one after another to one tensor (torch.nn.utils.prune's
 * PruningContainer): its mask is the last method's, computed on what the earlier mask kept.
 * Iterable, with `length` and `getItem(i)` (PyTorch's len, iter and indexing).
 * @example
 * const m = new torch.nn.Linear(4, 3);
 * torch.nn.utils.prune.l1Unstructured(m, "weight", 0.25);
 * torch.nn.utils.prune.randomStructured(m, "weight", 1, 0);
 * const hook = m._forwardPreHooks()[0] as torch.nn.utils.prune.PruningContainer;
 * [...hook].map((h) => h.constructor.name); // ["L1Unstructured", "RandomStructured"]
 */
export class PruningContainer extends BasePruningMethod {
  readonly PRUNING_TYPE: PruningType = "unstructured";
  /** The methods in the order they were applied. */
  declare _pruningMethods: BasePruningMethod[];

  constructor(...methods: BasePruningMethod[]) {
    super();
    this._pruningMethods = [];
    if (methods.length === 1) {
      this._tensorName = methods[0]._tensorName;
      this.addPruningMethod(methods[0]);
    } else {
      for (const m of methods) this.addPruningMethod(m);
    }
  }

  /**
   * Add a method acting on the same tensor.
   * @example
   * const a = new torch.nn.utils.prune.Identity();
   * a._tensorName = "weight";
   * const c = new torch.nn.utils.prune.PruningContainer(a);
   * const b = new torch.nn.utils.prune.L1Unstructured(1);
   * b._tensorName = "weight";
   * c.addPruningMethod(b);
   */
  addPruningMethod(method: BasePruningMethod | null): void {
    if (!(method instanceof BasePruningMethod) && method !== null)
      throw typeError(`<class '${pyTypeName(method)}'> is not a BasePruningMethod subclass`);
    if (method !== null) {
      if (this._tensorName === undefined)
        throw attributeError("'PruningContainer' object has no attribute '_tensor_name'");
      if (this._tensorName !== method._tensorName)
        throw valueError(
          `Can only add pruning methods acting on the parameter named '${this._tensorName}' to PruningContainer ${String(this)}. Found '${String(method._tensorName)}'`,
        );
    }
    this._pruningMethods.push(method as BasePruningMethod);
  }

  /** The number of methods (PyTorch's len). */
  override get length(): number {
    return this._pruningMethods.length;
  }

  /** The `idx`-th method (negative from the end, as Python's indexing). */
  getItem(idx: number): BasePruningMethod {
    const m = this._pruningMethods.at(idx);
    if (m === undefined) throw indexError("tuple index out of range");
    return m;
  }

  /**
   * The methods in the order they were applied (PyTorch's iter).
   * @example [...new torch.nn.utils.prune.PruningContainer()].length // 0
   */
  [Symbol.iterator](): Iterator<BasePruningMethod> {
    return this._pruningMethods[Symbol.iterator]();
  }

  /**
   * The last method's mask on the part of `t` that `defaultMask` left: unstructured methods see
   * the entries where the mask is 1 (as a flat tensor), structured ones the channels along
   * their `dim` not yet all zero, global ones all of `t`; the result is `defaultMask` with that
   * part replaced.
   * @example
   * const a = new torch.nn.utils.prune.Identity();
   * a._tensorName = "w";
   * const c = new torch.nn.utils.prune.PruningContainer(a);
   * const b = new torch.nn.utils.prune.L1Unstructured(1);
   * b._tensorName = "w";
   * c.addPruningMethod(b);
   * c.computeMask(torch.tensor([3, 1, 2]), torch.tensor([1, 0, 1])); // tensor([1., 0., 0.])
   */
  computeMask(t: Tensor, defaultMask: Tensor): Tensor {
    const method = this._pruningMethods[this._pruningMethods.length - 1];
    const mask = defaultMask;
    const newMask = mask.to(t.dtype as DType);
    const nDims = t.dim();
    let slc: IndexArg[];
    if (method.PRUNING_TYPE === "unstructured") {
      slc = [mask.eq(1)];
    } else if (method.PRUNING_TYPE === "structured") {
      const dimOf = (method as unknown as { dim?: number }).dim;
      if (dimOf === undefined)
        throw attributeError(
          'Pruning methods of PRUNING_TYPE "structured" need to have the attribute `dim` defined.',
        );
      let dim = dimOf;
      if (dim < 0) dim = nDims + dim;
      if (dim < 0) throw indexError(`Index is out of bounds for tensor with dimensions ${nDims}`);
      const others = Array.from({ length: nDims }, (_, d) => d).filter((d) => d !== dim);
      const keepChannel = mask.sum(others).ne(0);
      slc = dimSlice(nDims, dim, keepChannel);
    } else if (method.PRUNING_TYPE === "global") {
      slc = Array.from({ length: t.shape.length }, () => ":");
    } else {
      throw valueError(`Unrecognized PRUNING_TYPE ${String(method.PRUNING_TYPE)}`);
    }
    const partial = method.computeMask(t.index(...slc), mask.index(...slc));
    newMask.indexPut_(slc, partial.to(newMask.dtype as DType));
    return newMask;
  }
}

/**
 * A method that prunes nothing: the mask is all ones (torch.nn.utils.prune.Identity).
 * @example torch.nn.utils.prune.Identity.apply(new torch.nn.Linear(2, 2), "weight")
 */
export class Identity extends BasePruningMethod {
  readonly PRUNING_TYPE: PruningType = "unstructured";

  /**
   * The default mask unchanged.
   * @example new torch.nn.utils.prune.Identity().computeMask(torch.ones(2), torch.ones(2)) // tensor([1., 1.])
   */
  computeMask(_t: Tensor, defaultMask: Tensor): Tensor {
    return defaultMask;
  }

  /**
   * Reparametrise `module[name]` with a mask of ones.
   * @example torch.nn.utils.prune.Identity.apply(new torch.nn.Linear(2, 2), "weight")
   */
  static override apply(module: Module, name: string): Identity {
    return super.apply(module, name) as Identity;
  }
}

/**
 * Prune `amount` entries at random (torch.nn.utils.prune.RandomUnstructured): those with the
 * largest of `rand_like(t)`.
 * @example torch.nn.utils.prune.RandomUnstructured.apply(new torch.nn.Linear(4, 2), "weight", 0.5)
 */
export class RandomUnstructured extends BasePruningMethod {
  readonly PRUNING_TYPE: PruningType = "unstructured";
  /** the count (an integer) or share (a fraction in [0, 1]) of entries to prune */
  amount: PruningAmount;

  constructor(amount: PruningAmount | { amount: PruningAmount }) {
    super();
    const a = ctorArgs<{ amount: number }>("RandomUnstructured", [amount], ["amount"], {});
    this.amount = validateAmountInit(a.amount);
  }

  /**
   * The default mask with `amount` more entries zeroed, picked by `topk(rand_like(t))`.
   * @example torch.manualSeed(0); new torch.nn.utils.prune.RandomUnstructured(2).computeMask(torch.randn(4), torch.ones(4))
   */
  computeMask(t: Tensor, defaultMask: Tensor): Tensor {
    const size = t.numel();
    const k = nparamsToPrune(this.amount, size);
    validateAmount(k, size);
    const mask = contiguousClone(defaultMask);
    if (k !== 0) {
      const prob = randLike(t);
      const { indices } = topk(prob.view(-1), k);
      mask.view(-1).indexPut_([indices], 0);
    }
    return mask;
  }

  /**
   * Prune `amount` random entries of `module[name]`.
   * @example torch.nn.utils.prune.RandomUnstructured.apply(new torch.nn.Linear(4, 2), "weight", { amount: 3 })
   */
  static override apply(
    module: Module,
    name: string,
    amount: PruningAmount | { amount: PruningAmount },
  ): RandomUnstructured {
    const a = ctorArgs<{ module: Module; name: string; amount: number }>(
      "RandomUnstructured",
      [module, name, amount],
      ["module", "name", "amount"],
      {},
      { method: "apply" },
    );
    return super.apply(a.module, a.name, { amount: a.amount }) as RandomUnstructured;
  }
}

/**
 * Prune the `amount` entries of smallest magnitude (torch.nn.utils.prune.L1Unstructured).
 * @example torch.nn.utils.prune.L1Unstructured.apply(new torch.nn.Linear(4, 2), "weight", 0.5)
 */
export class L1Unstructured extends BasePruningMethod {
  readonly PRUNING_TYPE: PruningType = "unstructured";
  /** the count (an integer) or share (a fraction in [0, 1]) of entries to prune */
  amount: PruningAmount;

  constructor(amount: PruningAmount | { amount: PruningAmount }) {
    super();
    const a = ctorArgs<{ amount: number }>("L1Unstructured", [amount], ["amount"], {});
    this.amount = validateAmountInit(a.amount);
  }

  /**
   * The default mask with the `amount` entries of smallest |t| zeroed (`topk(|t|, largest=False)`).
   * @example new torch.nn.utils.prune.L1Unstructured(0.5).computeMask(torch.tensor([1, -3, 0.5, 2]), torch.ones(4)) // tensor([0., 1., 0., 1.])
   */
  computeMask(t: Tensor, defaultMask: Tensor): Tensor {
    const size = t.numel();
    const k = nparamsToPrune(this.amount, size);
    validateAmount(k, size);
    const mask = contiguousClone(defaultMask);
    if (k !== 0) {
      const { indices } = topk(t.abs().view(-1), k, { largest: false });
      mask.view(-1).indexPut_([indices], 0);
    }
    return mask;
  }

  /**
   * Prune the `amount` smallest entries of `module[name]` (ranked by `importanceScores` when
   * given).
   * @example torch.nn.utils.prune.L1Unstructured.apply(new torch.nn.Linear(4, 2), "weight", { amount: 3 })
   */
  static override apply(
    module: Module,
    name: string,
    amount: PruningAmount | { amount: PruningAmount; importanceScores?: Tensor | null },
    importanceScores?: Tensor | null,
  ): L1Unstructured {
    const a = ctorArgs<{
      module: Module;
      name: string;
      amount: number;
      importanceScores: Tensor | null;
    }>(
      "L1Unstructured",
      [module, name, amount, importanceScores],
      ["module", "name", "amount", "importanceScores"],
      { importanceScores: null },
      { method: "apply" },
    );
    return super.apply(a.module, a.name, {
      amount: a.amount,
      importanceScores: a.importanceScores,
    }) as L1Unstructured;
  }
}

/**
 * Prune `amount` whole channels along `dim` at random (torch.nn.utils.prune.RandomStructured):
 * those with the smallest of `rand(channels)`.
 * @example torch.nn.utils.prune.RandomStructured.apply(new torch.nn.Conv2d(3, 4, 3), "weight", 0.5, 0)
 */
export class RandomStructured extends BasePruningMethod {
  readonly PRUNING_TYPE: PruningType = "structured";
  /** the count (an integer) or share (a fraction in [0, 1]) of channels to prune */
  amount: PruningAmount;
  /** the dim indexing the channels */
  dim: number;

  constructor(
    amount: PruningAmount | { amount: PruningAmount; dim?: number },
    dim?: number | { dim?: number },
  ) {
    super();
    const a = ctorArgs<{ amount: number; dim: number }>(
      "RandomStructured",
      [amount, dim],
      ["amount", "dim"],
      { dim: -1 },
    );
    this.amount = validateAmountInit(a.amount);
    this.dim = a.dim;
  }

  /**
   * Ones on the channels whose `rand(channels)` is above the `k`-th smallest (k the channels
   * to prune), times the default mask.
   * @example torch.manualSeed(0); new torch.nn.utils.prune.RandomStructured(1, 0).computeMask(torch.randn(3, 2), torch.ones(3, 2))
   */
  computeMask(t: Tensor, defaultMask: Tensor): Tensor {
    validateStructured(t);
    validateDim(t, this.dim);
    const size = shapeAt(t, this.dim);
    const k = nparamsToPrune(this.amount, size);
    validateAmount(k, size);
    if (k === 0) return defaultMask;
    const prob = rand(size);
    const threshold = kthvalue(prob, k).values;
    const channelMask = prob.gt(threshold);
    const mask = zerosLike(t);
    mask.indexPut_(dimSlice(t.dim(), this.dim, channelMask), 1);
    mask.mul_(defaultMask.to(mask.dtype as DType));
    return mask;
  }

  /**
   * Prune `amount` random channels of `module[name]` along `dim`.
   * @example torch.nn.utils.prune.RandomStructured.apply(new torch.nn.Linear(4, 2), "weight", { amount: 1, dim: 0 })
   */
  static override apply(
    module: Module,
    name: string,
    amount: PruningAmount | { amount: PruningAmount; dim?: number },
    dim?: number,
  ): RandomStructured {
    const a = ctorArgs<{ module: Module; name: string; amount: number; dim: number }>(
      "RandomStructured",
      [module, name, amount, dim],
      ["module", "name", "amount", "dim"],
      { dim: -1 },
      { method: "apply" },
    );
    return super.apply(a.module, a.name, { amount: a.amount, dim: a.dim }) as RandomStructured;
  }
}

/** The norm orders of LnStructured: a number (inf and -inf too), "fro" or "nuc". */
export type NormOrder = number | "fro" | "nuc";

/**
 * Prune the `amount` channels along `dim` of smallest `n`-norm (torch.nn.utils.prune.LnStructured).
 * @example torch.nn.utils.prune.LnStructured.apply(new torch.nn.Conv2d(3, 4, 3), "weight", 0.5, 2, 0)
 */
export class LnStructured extends BasePruningMethod {
  readonly PRUNING_TYPE: PruningType = "structured";
  /** the count (an integer) or share (a fraction in [0, 1]) of channels to prune */
  amount: PruningAmount;
  /** the norm's order (torch.norm's p) */
  n: NormOrder;
  /** the dim indexing the channels */
  dim: number;

  constructor(
    amount: PruningAmount | { amount: PruningAmount; n: NormOrder; dim?: number },
    n?: NormOrder,
    dim?: number,
  ) {
    super();
    const a = ctorArgs<{ amount: number; n: NormOrder; dim: number }>(
      "LnStructured",
      [amount, n, dim],
      ["amount", "n", "dim"],
      { dim: -1 },
    );
    this.amount = validateAmountInit(a.amount);
    this.n = a.n;
    this.dim = a.dim;
  }

  /**
   * Ones on the channels of the `size - k` largest `n`-norms (`topk`), times the default mask.
   * @example new torch.nn.utils.prune.LnStructured(1, 2, 0).computeMask(torch.tensor([[1, 1], [3, 0]]), torch.ones(2, 2)) // tensor([[0., 0.], [1., 1.]])
   */
  computeMask(t: Tensor, defaultMask: Tensor): Tensor {
    validateStructured(t);
    validateDim(t, this.dim);
    const size = shapeAt(t, this.dim);
    const k = nparamsToPrune(this.amount, size);
    validateAmount(k, size);
    const norms = channelNorm(t, this.n, this.dim);
    const { indices } = topk(norms, size - k, { largest: true });
    if (k === 0) return defaultMask;
    const mask = zerosLike(t);
    mask.indexPut_(dimSlice(t.dim(), this.dim, indices), 1);
    mask.mul_(defaultMask.to(mask.dtype as DType));
    return mask;
  }

  /**
   * Prune the `amount` channels of `module[name]` along `dim` of smallest `n`-norm (of
   * `importanceScores` when given).
   * @example torch.nn.utils.prune.LnStructured.apply(new torch.nn.Linear(4, 2), "weight", { amount: 1, n: 1, dim: 1 })
   */
  static override apply(
    module: Module,
    name: string,
    amount:
      | PruningAmount
      | { amount: PruningAmount; n: NormOrder; dim: number; importanceScores?: Tensor | null },
    n?: NormOrder,
    dim?: number,
    importanceScores?: Tensor | null,
  ): LnStructured {
    const a = ctorArgs<{
      module: Module;
      name: string;
      amount: number;
      n: NormOrder;
      dim: number;
      importanceScores: Tensor | null;
    }>(
      "LnStructured",
      [module, name, amount, n, dim, importanceScores],
      ["module", "name", "amount", "n", "dim", "importanceScores"],
      { importanceScores: null },
      { method: "apply" },
    );
    return super.apply(a.module, a.name, {
      amount: a.amount,
      n: a.n,
      dim: a.dim,
      importanceScores: a.importanceScores,
    }) as LnStructured;
  }
}

/**
 * Prune with a given mask (torch.nn.utils.prune.CustomFromMask): the default mask times it.
 * @example torch.nn.utils.prune.CustomFromMask.apply(new torch.nn.Linear(2, 2), "bias", torch.tensor([0, 1]))
 */
export class CustomFromMask extends BasePruningMethod {
  readonly PRUNING_TYPE: PruningType = "global";
  /** the mask to apply */
  mask: Tensor;

  constructor(mask: Tensor | { mask: Tensor }) {
    super();
    this.mask = ctorArgs<{ mask: Tensor }>("CustomFromMask", [mask], ["mask"], {}).mask;
  }

  /**
   * `defaultMask * mask` (the mask cast to the default mask's dtype).
   * @example new torch.nn.utils.prune.CustomFromMask(torch.tensor([0, 1])).computeMask(torch.ones(2), torch.ones(2)) // tensor([0., 1.])
   */
  computeMask(_t: Tensor, defaultMask: Tensor): Tensor {
    if (!sameShape(defaultMask.shape, this.mask.shape)) throw assertionError("");
    return defaultMask.mul(this.mask.to(defaultMask.dtype as DType));
  }

  /**
   * Prune `module[name]` with `mask`.
   * @example torch.nn.utils.prune.CustomFromMask.apply(new torch.nn.Linear(2, 2), "bias", { mask: torch.tensor([1, 0]) })
   */
  static override apply(
    module: Module,
    name: string,
    mask: Tensor | { mask: Tensor },
  ): CustomFromMask {
    const a = ctorArgs<{ module: Module; name: string; mask: Tensor }>(
      "CustomFromMask",
      [module, name, mask],
      ["module", "name", "mask"],
      {},
      { method: "apply" },
    );
    return super.apply(a.module, a.name, { mask: a.mask }) as CustomFromMask;
  }
}

/**
 * Reparametrise `module[name]` as `name_orig * name_mask` with a mask of ones (prunes nothing);
 * returns the module.
 * @example
 * const m = torch.nn.utils.prune.identity(new torch.nn.Linear(2, 3), "weight");
 * m.weight_mask; // tensor of ones, shape [3, 2]
 */
export function identity<M extends Module>(module: M, name: string | { name: string }): M {
  const a = ctorArgs<{ name: string }>("identity", [name], ["name"], {});
  Identity.apply(module, a.name);
  return module;
}

/**
 * Prune `amount` random entries of `module[name]` (an integer: a count; a fraction in [0, 1]:
 * a share of the entries not pruned yet); returns the module.
 * @example
 * torch.manualSeed(0);
 * const m = torch.nn.utils.prune.randomUnstructured(new torch.nn.Linear(3, 2), "weight", { amount: 0.3 });
 * m.weight_mask; // two of the six entries 0, as PyTorch's after the same seed
 */
export function randomUnstructured<M extends Module>(
  module: M,
  name: string | { name: string; amount: PruningAmount },
  amount?: PruningAmount | { amount: PruningAmount },
): M {
  const a = ctorArgs<{ name: string; amount: number }>(
    "random_unstructured",
    [name, amount],
    ["name", "amount"],
    {},
  );
  RandomUnstructured.apply(module, a.name, a.amount);
  return module;
}

/**
 * Prune the `amount` entries of `module[name]` of smallest magnitude (or of smallest
 * `importanceScores`); returns the module.
 * @example
 * const m = torch.nn.utils.prune.l1Unstructured(new torch.nn.Linear(3, 2), "weight", { amount: 0.3 });
 * Object.keys(m.stateDict()); // ["bias", "weight_orig", "weight_mask"]
 */
export function l1Unstructured<M extends Module>(
  module: M,
  name: string | { name: string; amount: PruningAmount; importanceScores?: Tensor | null },
  amount?: PruningAmount | { amount: PruningAmount; importanceScores?: Tensor | null },
  importanceScores?: Tensor | null | { importanceScores?: Tensor | null },
): M {
  const a = ctorArgs<{ name: string; amount: number; importanceScores: Tensor | null }>(
    "l1_unstructured",
    [name, amount, importanceScores],
    ["name", "amount", "importanceScores"],
    { importanceScores: null },
  );
  L1Unstructured.apply(module, a.name, a.amount, a.importanceScores);
  return module;
}

/**
 * Prune `amount` random channels of `module[name]` along `dim`; returns the module.
 * @example torch.nn.utils.prune.randomStructured(new torch.nn.Conv2d(3, 4, 3), "weight", { amount: 0.5, dim: 0 })
 */
export function randomStructured<M extends Module>(
  module: M,
  name: string | { name: string; amount: PruningAmount; dim: number },
  amount?: PruningAmount | { amount: PruningAmount; dim: number },
  dim?: number | { dim: number },
): M {
  const a = ctorArgs<{ name: string; amount: number; dim: number }>(
    "random_structured",
    [name, amount, dim],
    ["name", "amount", "dim"],
    {},
  );
  RandomStructured.apply(module, a.name, a.amount, a.dim);
  return module;
}

/**
 * Prune the `amount` channels of `module[name]` along `dim` with the smallest `n`-norm (of
 * `importanceScores` when given); returns the module.
 * @example torch.nn.utils.prune.lnStructured(new torch.nn.Conv2d(3, 4, 3), "weight", { amount: 0.5, n: 2, dim: 0 })
 */
export function lnStructured<M extends Module>(
  module: M,
  name:
    | string
    | {
        name: string;
        amount: PruningAmount;
        n: NormOrder;
        dim: number;
        importanceScores?: Tensor | null;
      },
  amount?:
    | PruningAmount
    | { amount: PruningAmount; n: NormOrder; dim: number; importanceScores?: Tensor | null },
  n?: NormOrder | { n: NormOrder; dim: number; importanceScores?: Tensor | null },
  dim?: number | { dim: number; importanceScores?: Tensor | null },
  importanceScores?: Tensor | null | { importanceScores?: Tensor | null },
): M {
  const a = ctorArgs<{
    name: string;
    amount: number;
    n: NormOrder;
    dim: number;
    importanceScores: Tensor | null;
  }>(
    "ln_structured",
    [name, amount, n, dim, importanceScores],
    ["name", "amount", "n", "dim", "importanceScores"],
    { importanceScores: null },
  );
  LnStructured.apply(module, a.name, a.amount, a.n, a.dim, a.importanceScores);
  return module;
}

/** A (module, parameter name) pair of globalUnstructured. */
export type ModuleParam = readonly [Module, string];

/** Importance scores of globalUnstructured: a Map keyed by `[module, name]` pairs (or its entries). */
export type ImportanceScores =
  Map<ModuleParam, Tensor> | readonly (readonly [ModuleParam, Tensor])[];

/**
 * Prune the tensors `parameters` (`[module, name]` pairs) together: one mask from
 * `pruningMethod` (an unstructured method class, built from `kwargs`, e.g. `{ amount: 0.2 }`)
 * over all their entries flattened into one vector (`importanceScores`, a Map keyed by the
 * pairs, ranks a tensor by other values), then each tensor is pruned with its slice through
 * CustomFromMask.
 * @example
 * const net = new torch.nn.Sequential(new torch.nn.Linear(4, 3), new torch.nn.ReLU(), new torch.nn.Linear(3, 2));
 * torch.nn.utils.prune.globalUnstructured(
 *   [[net.get(0), "weight"], [net.get(2), "weight"]],
 *   torch.nn.utils.prune.L1Unstructured,
 *   { amount: 0.2 },
 * );
 */
export function globalUnstructured(
  parameters: Iterable<ModuleParam>,
  pruningMethod: new (...args: never[]) => BasePruningMethod,
  importanceScores: ImportanceScores | null | Record<string, unknown> = null,
  kwargs: Record<string, unknown> = {},
): void {
  if (isOptionsObject(importanceScores)) {
    const { importanceScores: s, ...rest } = importanceScores;
    kwargs = { ...rest, ...kwargs };
    importanceScores = (s as ImportanceScores | null | undefined) ?? null;
  }
  if (
    parameters === null ||
    typeof (parameters as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function"
  )
    throw typeError("global_unstructured(): parameters is not an Iterable");
  const params = Array.from(parameters);
  const scores: [ModuleParam, Tensor][] = [];
  if (importanceScores !== null) {
    if (importanceScores instanceof Map) scores.push(...importanceScores);
    else if (Array.isArray(importanceScores) && importanceScores.every((e) => Array.isArray(e)))
      scores.push(...(importanceScores as [ModuleParam, Tensor][]));
    else throw typeError("global_unstructured(): importance_scores must be of type dict");
  }
  const scoreOf = (m: Module, name: string): Tensor | undefined =>
    scores.find(([[sm, sn]]) => sm === m && sn === name)?.[1];
  const flat = (ts: Tensor[]): Tensor =>
    cat(
      ts.map((t) => t.reshape(-1)),
      0,
    );
  const relevant = flat(
    params.map(([m, name]) => scoreOf(m, name) ?? (getAttr(m, name) as Tensor)),
  );
  const defaultMask = flat(
    params.map(([m, name]) => {
      const mask = (m as unknown as Record<string, unknown>)[`${name}_mask`];
      return mask instanceof Tensor ? mask : onesLike(getAttr(m, name) as Tensor);
    }),
  );
  const container = new PruningContainer();
  container._tensorName = "temp";
  const ctor = pruningMethod as unknown as new (...a: unknown[]) => BasePruningMethod;
  const method = new ctor(kwargs);
  method._tensorName = "temp";
  if (method.PRUNING_TYPE !== "unstructured")
    throw typeError(
      `Only "unstructured" PRUNING_TYPE supported for the \`pruning_method\`. Found method ${classRepr(pruningMethod)} of type ${method.PRUNING_TYPE}`,
    );
  container.addPruningMethod(method);
  const finalMask = container.computeMask(relevant, defaultMask);
  let pointer = 0;
  for (const [m, name] of params) {
    const param = getAttr(m, name) as Tensor;
    const n = param.numel();
    const paramMask = finalMask.narrow(0, pointer, n).viewAs(param);
    customFromMask(m, name, paramMask);
    pointer += n;
  }
}

/**
 * Prune `module[name]` with a given 0/1 mask (times any earlier mask); returns the module.
 * @example
 * const m = torch.nn.utils.prune.customFromMask(new torch.nn.Linear(5, 3), "bias", torch.tensor([0, 1, 0]));
 * m.bias; // tensor([0., b1, 0.])
 */
export function customFromMask<M extends Module>(
  module: M,
  name: string | { name: string; mask: Tensor },
  mask?: Tensor | { mask: Tensor },
): M {
  const a = ctorArgs<{ name: string; mask: Tensor }>(
    "custom_from_mask",
    [name, mask],
    ["name", "mask"],
    {},
  );
  CustomFromMask.apply(module, a.name, a.mask);
  return module;
}

/**
 * Make the pruning of `module[name]` permanent and drop its hook: `name` is a plain parameter
 * again holding the pruned values (`<name>_orig` and `<name>_mask` go). Returns the module.
 * @example
 * const m = torch.nn.utils.prune.l1Unstructured(new torch.nn.Linear(3, 2), "weight", 2);
 * torch.nn.utils.prune.remove(m, "weight");
 * m.namedParameters().map(([n]) => n); // ["bias", "weight"]
 */
export function remove<M extends Module>(module: M, name: string): M {
  const hooks = module._forwardPreHooks();
  const i = hooks.findIndex((h) => h instanceof BasePruningMethod && h._tensorName === name);
  if (i >= 0) {
    (hooks[i] as BasePruningMethod).remove(module);
    hooks.splice(i, 1);
    return module;
  }
  throw valueError(
    `Parameter '${name}' of module ${String(module)} has to be pruned before pruning can be removed`,
  );
}

/**
 * Whether `module` or a module under it has a pruning hook.
 * @example torch.nn.utils.prune.isPruned(new torch.nn.Linear(2, 2)) // false
 */
export function isPruned(module: Module): boolean {
  for (const [, sub] of module.namedModules()) {
    if (sub._forwardPreHooks().some((h) => h instanceof BasePruningMethod)) return true;
  }
  return false;
}
