/**
 * Python's operator methods of torch.Tensor under their Python names (`t.__radd__(2)`,
 * `t.__rsub__(2)`, `t.__getitem__(i)`, ...), as PyTorch 1.13 defines them:
 *
 * - The C-level ones (python_variable_methods.cpp) are the named op's binding itself:
 *   `__add__` and `__radd__` are `add`, `__iadd__` is `add_`, `__truediv__` is `div`,
 *   `__mod__` is `remainder`, `__eq__` is `eq`, ... (same overloads, keywords, grad_fn).
 * - The Python-level ones (torch/_tensor.py) are one-line bodies: `__rsub__(self, other)` is
 *   `torch.rsub(self, other)`, `__rdiv__` (and `__rtruediv__`) `self.reciprocal() * other`,
 *   `__rmod__` `torch.remainder(other, self)`, `__rpow__` `torch.tensor(other,
 *   dtype=torch.result_type(other, self)) ** self`, `__floordiv__`/`__rfloordiv__`
 *   floor_divide either way round, `__rmatmul__` `torch.matmul(other, self)`.
 * - Every binary one (C or Python) is wrapped by TypeError_to_NotImplemented_ /
 *   _handle_torch_function_and_wrap_type_error_to_not_implemented: a TypeError (an argument
 *   the binding refuses) returns `NotImplemented` instead of raising, so that Python tries the
 *   other operand's reflected method. `torch.NotImplemented` is that value here.
 * - `__pos__`, `__neg__`, `__abs__` are `positive`, `neg`, `abs` without the wrapper.
 * - `__len__`, `__bool__`, `__float__`, `__int__`, `__index__`, `__contains__`, `__iter__`,
 *   `__reversed__` are Python's len(t), bool(t), float(t), int(t), operator.index(t), `x in t`,
 *   iter(t) and reversed(t).
 * - `__getitem__(index)` is Python's `t[index]` (`t.index(...)`), `__setitem__(index, value)`
 *   `t[index] = value` (`t.indexPut_`); a tuple index is several arguments here, an array one
 *   index that PyTorch's treatSequenceAsTuple reads as a tuple when it holds a tensor, an array,
 *   a slice, `null` or `"..."` (`t[[[0, 1], [1, 2]]]` is `t[[0, 1], [1, 2]]`), else as an index
 *   list.
 * The bitwise and shift operators (`__and__`, `__rand__`, `__lshift__`, ...) live with the
 * bitwise ops.
 */
import { Tensor } from "../../tensor.js";
import { resultType } from "../../dtype.js";
import { tensor } from "../../ops/creation.js";
import { TypeError as PyTypeError, overflowError, runtimeError, valueError } from "../../errors.js";
import { pyTypeName } from "../../ops/core.js";
import type { IndexArg } from "../../ops/indexing.js";
import { fn } from "../define.js";

/** Python's NotImplemented: what a binary operator method returns for an operand it refuses. */
export class NotImplementedType {
  /** Python's repr: "NotImplemented". */
  toString(): string {
    return "NotImplemented";
  }
}
export const NotImplemented: NotImplementedType = Object.freeze(new NotImplementedType());

export type Method = (this: Tensor, ...args: unknown[]) => unknown;
export type Result = Tensor | NotImplementedType;

/** Runs `f`; a TypeError (PyTorch's or JavaScript's) becomes NotImplemented. */
function toNotImplemented(f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    if (e instanceof PyTypeError || e instanceof globalThis.TypeError) return NotImplemented;
    throw e;
  }
}

/** A C-level dunder: the named Tensor method's own binding, TypeErrors as NotImplemented. */
export function aliasOf(method: string): Method {
  return function (this: Tensor, ...args: unknown[]) {
    return toNotImplemented(() => {
      const m = (this as unknown as Record<string, Method>)[method];
      return m.apply(this, args);
    });
  };
}

function isOptions(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === "object" &&
    v !== null &&
    !(v instanceof Tensor) &&
    !Array.isArray(v) &&
    Object.getPrototypeOf(v) === Object.prototype
  );
}

/**
 * A Python-level dunder `def __x__(self, other)`: `other` positionally or as `{ other }`.
 * CPython's argument errors are TypeErrors, which the wrapper turns into NotImplemented.
 */
export function pyBinary(body: (self: Tensor, other: unknown) => unknown): Method {
  return function (this: Tensor, ...args: unknown[]) {
    let other: unknown;
    const last = args[args.length - 1];
    if (args.length === 1 && isOptions(last)) {
      const keys = Object.keys(last);
      if (keys.length !== 1 || keys[0] !== "other") return NotImplemented;
      other = last.other;
    } else if (args.length === 1) other = args[0];
    else return NotImplemented;
    return toNotImplemented(() => body(this, other));
  };
}

const call = (name: string, ...args: unknown[]): unknown => fn(name)(...args);

/**
 * PyTorch's treatSequenceAsTuple (python_variable_indexing.cpp) for a list index: a tuple of
 * indices when it holds (among fewer than 32 items) a tensor, a sequence, a slice, None or
 * Ellipsis; otherwise one index list.
 */
function indicesOf(args: unknown[]): IndexArg[] {
  if (args.length !== 1 || !Array.isArray(args[0])) return args as IndexArg[];
  const list = args[0] as unknown[];
  if (list.length >= 32) return args as IndexArg[];
  const asTuple = list.some(
    (x) =>
      x === null ||
      x instanceof Tensor ||
      Array.isArray(x) ||
      typeof x === "string" ||
      (typeof x === "object" && "step" in x),
  );
  return asTuple ? (list as IndexArg[]) : (args as IndexArg[]);
}

/** float(t) / int(t)'s check: one element (Python's ValueError otherwise). */
function oneValue(t: Tensor): number {
  if (t.numel() !== 1)
    throw valueError("only one element tensors can be converted to Python scalars");
  return Number(t.item());
}

const methods: Record<string, Method> = {
  __add__: aliasOf("add"),
  __radd__: aliasOf("add"),
  __iadd__: aliasOf("add_"),
  __sub__: aliasOf("sub"),
  __isub__: aliasOf("sub_"),
  __mul__: aliasOf("mul"),
  __rmul__: aliasOf("mul"),
  __imul__: aliasOf("mul_"),
  __div__: aliasOf("div"),
  __truediv__: aliasOf("div"),
  __idiv__: aliasOf("div_"),
  __itruediv__: aliasOf("div_"),
  __mod__: aliasOf("remainder"),
  __imod__: aliasOf("remainder_"),
  __ifloordiv__: aliasOf("floorDivide_"),
  __matmul__: aliasOf("matmul"),
  __pow__: aliasOf("pow"),
  __ipow__: aliasOf("pow_"),
  __eq__: aliasOf("eq"),
  __ne__: aliasOf("ne"),
  __lt__: aliasOf("lt"),
  __le__: aliasOf("le"),
  __gt__: aliasOf("gt"),
  __ge__: aliasOf("ge"),
  __rsub__: pyBinary((self, other) => call("rsub", self, other)),
  // 1/self * other: MulBackward0 (ReciprocalBackward0 below it), as PyTorch's Python body
  __rdiv__: pyBinary((self, other) => self.reciprocal().mul(other as Tensor)),
  __rtruediv__: pyBinary((self, other) => self.reciprocal().mul(other as Tensor)),
  __rmod__: pyBinary((self, other) => call("remainder", other, self)),
  // a new tensor of other (detached, as torch.tensor copies) in the promoted dtype, to the
  // power self: PowBackward1 (pow.Tensor_Tensor)
  __rpow__: pyBinary((self, other) => {
    const o = other as Tensor | number | boolean;
    const dtype = resultType([o, self]);
    const base = o instanceof Tensor ? o.detach().clone().to(dtype) : tensor(o, { dtype });
    return base.pow(self);
  }),
  __floordiv__: pyBinary((self, other) => call("floorDivide", self, other)),
  __rfloordiv__: pyBinary((self, other) => call("floorDivide", other, self)),
  __rmatmul__: pyBinary((self, other) => call("matmul", other, self)),
  __pos__: function (this: Tensor, ...args: unknown[]) {
    return (this.positive as Method).apply(this, args);
  },
  __neg__: function (this: Tensor, ...args: unknown[]) {
    return (this.neg as Method).apply(this, args);
  },
  __abs__: function (this: Tensor, ...args: unknown[]) {
    return (this.abs as Method).apply(this, args);
  },
  // Python's protocols: len(t), bool(t), float(t), int(t), operator.index(t), x in t, iter(t)
  __len__: function (this: Tensor) {
    if (this.dim() === 0) throw new PyTypeError("len() of a 0-d tensor");
    return this.shape[0];
  },
  __bool__: isNonzero,
  __nonzero__: isNonzero,
  __float__: function (this: Tensor) {
    return oneValue(this);
  },
  __int__: toInt,
  __long__: toInt,
  __index__: function (this: Tensor) {
    if (this.dtype.isFloatingPoint || this.numel() !== 1)
      throw new PyTypeError(
        "only integer tensors of a single element can be converted to an index",
      );
    return Number(this.item());
  },
  // (element == self).any().item() for a tensor or a number
  __contains__: function (this: Tensor, element: unknown) {
    if (!(element instanceof Tensor) && typeof element !== "number" && typeof element !== "boolean")
      throw runtimeError(
        `Tensor.__contains__ only supports Tensor or scalar, but you passed in a <class '${pyTypeName(element)}'>.`,
      );
    return this.eq(element).any().item() as boolean;
  },
  // the sub-tensors along dim 0 (unbind), as Python's iteration over a tensor
  __iter__: function (this: Tensor) {
    if (this.dim() === 0) throw new PyTypeError("iteration over a 0-d tensor");
    return this.unbind(0)[Symbol.iterator]();
  },
  // reversed(t): flipped along dim 0 (FlipBackward0); a 0-dim tensor is returned itself
  __reversed__: function (this: Tensor) {
    return this.dim() === 0 ? this : this.flip(0);
  },
  __getitem__: function (this: Tensor, ...args: unknown[]) {
    return this.index(...indicesOf(args));
  },
  // Python's __setitem__ returns None
  __setitem__: function (this: Tensor, ...args: unknown[]) {
    if (args.length !== 2) throw new PyTypeError(`expected 2 arguments, got ${args.length}`);
    const [index, value] = args;
    this.indexPut_(indicesOf([index]), value as Tensor | number);
    return undefined;
  },
};

/** bool(t): the one element's truth (is_nonzero), PyTorch's errors for more or none. */
function isNonzero(this: Tensor): boolean {
  const n = this.numel();
  if (n === 0) throw runtimeError("Boolean value of Tensor with no values is ambiguous");
  if (n > 1) throw runtimeError("Boolean value of Tensor with more than one value is ambiguous");
  return Number(this.item()) !== 0;
}

/** int(t): the one element truncated toward zero; NaN and infinities refused as Python's int(). */
function toInt(this: Tensor): number {
  const v = oneValue(this);
  if (Number.isNaN(v)) throw valueError("cannot convert float NaN to integer");
  if (!Number.isFinite(v)) throw overflowError("cannot convert float infinity to integer");
  return Math.trunc(v) + 0;
}

for (const [name, m] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, {
    value: m,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

declare module "../../tensor.js" {
  interface Tensor {
    /** `self + other` (Python's `+`): `add`; NotImplemented for an operand add refuses. */
    __add__(other: Tensor | number | boolean, options?: { alpha?: number }): Result;
    /** `other + self`: `add` (addition commutes; AddBackward0). */
    __radd__(other: Tensor | number | boolean, options?: { alpha?: number }): Result;
    /** `self += other`: `add_`. */
    __iadd__(other: Tensor | number | boolean, options?: { alpha?: number }): Result;
    /** `self - other`: `sub`. */
    __sub__(other: Tensor | number | boolean, options?: { alpha?: number }): Result;
    /** `other - self`: `torch.rsub(self, other)` (RsubBackward0/1). */
    __rsub__(other: Tensor | number | boolean | { other: Tensor | number | boolean }): Result;
    /** `self -= other`: `sub_`. */
    __isub__(other: Tensor | number | boolean, options?: { alpha?: number }): Result;
    /** `self * other`: `mul`. */
    __mul__(other: Tensor | number | boolean): Result;
    /** `other * self`: `mul`. */
    __rmul__(other: Tensor | number | boolean): Result;
    /** `self *= other`: `mul_`. */
    __imul__(other: Tensor | number | boolean): Result;
    /** `self / other` (Python 2's name): `div`. */
    __div__(other: Tensor | number | boolean, options?: { roundingMode?: string | null }): Result;
    /** `self / other`: `div`. */
    __truediv__(
      other: Tensor | number | boolean,
      options?: { roundingMode?: string | null },
    ): Result;
    /** `self /= other`: `div_`. */
    __idiv__(other: Tensor | number | boolean, options?: { roundingMode?: string | null }): Result;
    /** `self /= other`: `div_`. */
    __itruediv__(
      other: Tensor | number | boolean,
      options?: { roundingMode?: string | null },
    ): Result;
    /** `other / self` (Python 2's name): `self.reciprocal() * other` (MulBackward0). */
    __rdiv__(other: Tensor | number | boolean | { other: Tensor | number | boolean }): Result;
    /** `other / self`: `self.reciprocal() * other` (MulBackward0). */
    __rtruediv__(other: Tensor | number | boolean | { other: Tensor | number | boolean }): Result;
    /** `self % other`: `remainder`. */
    __mod__(other: Tensor | number | boolean): Result;
    /** `other % self`: `torch.remainder(other, self)`. */
    __rmod__(other: Tensor | number | boolean | { other: Tensor | number | boolean }): Result;
    /** `self %= other`: `remainder_`. */
    __imod__(other: Tensor | number | boolean): Result;
    /** `self // other`: `torch.floor_divide(self, other)`. */
    __floordiv__(other: Tensor | number | boolean | { other: Tensor | number | boolean }): Result;
    /** `other // self`: `torch.floor_divide(other, self)`. */
    __rfloordiv__(other: Tensor | number | boolean | { other: Tensor | number | boolean }): Result;
    /** `self //= other`: `floor_divide_`. */
    __ifloordiv__(other: Tensor | number | boolean): Result;
    /** `self @ other`: `matmul`. */
    __matmul__(other: Tensor): Result;
    /** `other @ self`: `torch.matmul(other, self)`. */
    __rmatmul__(other: Tensor | { other: Tensor }): Result;
    /** `self ** exponent`: `pow`. */
    __pow__(exponent: Tensor | number | boolean): Result;
    /** `other ** self`: a new tensor of other in the promoted dtype, to the power self (PowBackward1). */
    __rpow__(other: Tensor | number | boolean | { other: Tensor | number | boolean }): Result;
    /** `self **= exponent`: `pow_`. */
    __ipow__(exponent: Tensor | number | boolean): Result;
    /** `self == other`: `eq`. */
    __eq__(other: Tensor | number | boolean): Result;
    /** `self != other`: `ne`. */
    __ne__(other: Tensor | number | boolean): Result;
    /** `self < other`: `lt`. */
    __lt__(other: Tensor | number | boolean): Result;
    /** `self <= other`: `le`. */
    __le__(other: Tensor | number | boolean): Result;
    /** `self > other`: `gt`. */
    __gt__(other: Tensor | number | boolean): Result;
    /** `self >= other`: `ge`. */
    __ge__(other: Tensor | number | boolean): Result;
    /** `+self`: `positive`. */
    __pos__(): Tensor;
    /** `-self`: `neg`. */
    __neg__(): Tensor;
    /** `abs(self)`: `abs`. */
    __abs__(): Tensor;
    /** `len(self)`: the size of dim 0 (a TypeError for a 0-dim tensor). */
    __len__(): number;
    /** `bool(self)`: whether the one element is nonzero (more or no elements: RuntimeError). */
    __bool__(): boolean;
    /** `bool(self)` (Python 2's name). */
    __nonzero__(): boolean;
    /** `float(self)`: the one element. */
    __float__(): number;
    /** `int(self)`: the one element truncated toward zero. */
    __int__(): number;
    /** `int(self)` (Python 2's name). */
    __long__(): number;
    /** `operator.index(self)`: the one element of an integer tensor. */
    __index__(): number;
    /** `element in self`: whether any element equals `element` (a number or a tensor). */
    __contains__(element: Tensor | number | boolean): boolean;
    /** `iter(self)`: the sub-tensors along dim 0. */
    __iter__(): IterableIterator<Tensor>;
    /** `reversed(self)`: flipped along dim 0 (a 0-dim tensor itself). */
    __reversed__(): Tensor;
    /** `self[index]` (`t.index(...)`); several arguments are a tuple index. */
    __getitem__(...index: IndexArg[]): Tensor;
    /** `self[index] = value` (`t.indexPut_`); returns undefined, as Python's None. */
    __setitem__(index: IndexArg | IndexArg[], value: Tensor | number | boolean): undefined;
  }
}
