/**
 * The argument binder: one for every op, function and method alike, built from PyTorch's schema
 * strings. It binds a JavaScript call the way PyTorch's Python argument parser
 * (torch/csrc/utils/python_arg_parser.cpp) binds a Python call:
 *
 * - each argument positionally in PyTorch's order, or by its camelCased name in a trailing
 *   options object (`x.sum(1, { keepdim: true })`); keyword-only arguments (after `*`) only by
 *   name; `undefined` means "not given" (the default), `null` is Python's None;
 * - overloads tried in PyTorch's order, the first whose arguments all type-check wins
 *   (`max()`, `max(other)`, `max(dim, keepdim)`);
 * - a single `int[]` parameter also takes varargs (`x.view(2, 3)`, `torch.zeros(2, 3)`), and
 *   `int[N]` takes a single int (repeated N times);
 * - failures raise PyTorch's TypeErrors word for word ("sum() received an invalid combination of
 *   arguments - got (...), but expected one of: ...", "argument 'dim' must be int, not float").
 *
 * Note [binder fast path]: a call whose arguments each pass their parameter's check goes
 * through a caller specialised at load time for the overload and the argument count: a few type
 * checks and one direct call of the forward with the defaults filled in. Positional arguments
 * need no allocation; the compiled callers (compileCallable) also convert int lists (a list, an
 * `int[N]` from one int, the varargs list `x.view(3, 2)`) and read a trailing options object
 * whose keys are all the parameters' camelCased names. Anything else (an int given as a tensor,
 * an unknown key, `out=`, an error) takes the general path, which implements the parser's full
 * rules and stays the single source of truth: a fast caller binds only what the general path
 * binds, as it binds it (test/binder-fastpath.test.ts compares the two).
 */
import { isForeignDevice, parseDevice } from "../device.js";
import { camelCase, type Param, type Schema } from "./schema.js";
import { runtimeError, typeError } from "../errors.js";

/** What the binder needs to recognise values it cannot import (the layers below the registry). */
export interface BinderHost {
  isTensor(v: unknown): boolean;
  /** a 0-dim tensor that does not require grad (PyTorch accepts one for a Scalar) */
  isScalarTensor(v: unknown): boolean;
  /** an integer-dtype tensor of one element (PyTorch accepts one for an int) */
  isIntTensor(v: unknown): boolean;
  /** the value of such a tensor (what the forward receives for the int) */
  intValue(v: unknown): number;
  isDType(v: unknown): boolean;
  isGenerator(v: unknown): boolean;
  /** Python's type name of a JS value ("Tensor", "int", "float", "str", "list", ...) */
  pyTypeName(v: unknown): string;
}

let host: BinderHost | null = null;
/** the host's tensor test, held directly: it runs on every call's fast path */
let isTensorValue: (v: unknown) => boolean = () => false;
/** Called once by the registry when the tensor layer is loaded. */
export function setBinderHost(h: BinderHost): void {
  host = h;
  isTensorValue = h.isTensor;
}
function H(): BinderHost {
  if (host === null) throw new Error("tensorgrad: the op registry was used before it was loaded");
  return host;
}

// ---------------------------------------------------------------------------------------------
// parameter checks

type Check = (v: unknown) => boolean;

const isInt = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v);
/** 2^63: ints at or beyond it do not fit PyTorch's int64 */
const INT64_BOUND = 2 ** 63;
/** an int that fits int64 (what the parser unpacks): -2^63 (int64's min, `random_(-2**63, None)`) too */
const isInt64 = (v: unknown): boolean =>
  isInt(v) && (v as number) < INT64_BOUND && (v as number) >= -INT64_BOUND;

/**
 * PyTorch's parser takes any Python int for an int parameter, then fails unpacking one beyond
 * int64 (a RuntimeError, whichever overload it was trying): `F.one_hot(t, 2**63)`. In a list
 * such an element is refused as a type instead ("found element of type int").
 */
function checkOverflow(p: Param, v: unknown): void {
  if ((p.base === "int" || p.base === "SymInt") && isInt(v) && !isInt64(v))
    throw runtimeError("Overflow when unpacking long");
}
const isNumber = (v: unknown): boolean => typeof v === "number" || typeof v === "boolean";

/** Whether a single value passes the (non-list) base type of `p`. */
function baseCheck(p: Param, numbersAsTensors: boolean): Check {
  switch (p.base) {
    case "Tensor":
      return numbersAsTensors
        ? (v) => typeof v === "number" || isTensorValue(v) || typeof v === "boolean"
        : (v) => isTensorValue(v);
    case "int":
    case "SymInt":
      // Python's bool is an int, but PyTorch's parser refuses it for int parameters
      return (v) => isInt64(v) || H().isIntTensor(v);
    case "float":
      return (v) => isNumber(v);
    case "bool":
      return (v) => typeof v === "boolean";
    case "str":
      return (v) => typeof v === "string";
    case "Scalar":
      return (v) => isNumber(v) || H().isScalarTensor(v);
    case "ScalarType":
      return (v) => H().isDType(v);
    case "Generator":
      return (v) => H().isGenerator(v);
    case "Layout":
      return (v) => v === "strided";
    case "Device":
      // a device tensorgrad lacks ("cuda") binds, to be refused as PyTorch refuses it
      return (v) => v === "cpu" || parseDevice(v) !== null || isForeignDevice(v);
    case "MemoryFormat":
      return (v) => v === "contiguous_format" || v === "preserve_format" || v === "channels_last";
    case "Dimname":
      // a name (Note [named overloads]: such overloads bind only to raise PyTorch's error)
      return (v) => typeof v === "string";
  }
}

/**
 * Whether None is accepted for `p` and means its default: optionals, and (PyTorch's parser) an
 * int list whose default is the empty list (`int[2] stride=[]`: `avg_pool2d(x, 2, None)`).
 */
export function acceptsNone(p: Param): boolean {
  return p.optional || (p.list && Array.isArray(p.default) && p.default.length === 0);
}

/**
 * Note [untyped parameters]: a Python function's body may check an argument itself, with its
 * own messages, where the schema language has no type for it (torch.norm's `p`: a number, "fro"
 * or "nuc"). Such parameters take any value but the options object; the forward checks them.
 */
const ANY: Check = (v) => !isOptions(v);

/** The check of a parameter's full type: None for optionals, lists, single ints for int[N]. */
function paramCheck(p: Param, numbersAsTensors: boolean): Check {
  const base = baseCheck(p, numbersAsTensors);
  let check: Check;
  if (!p.list) check = base;
  else {
    const single = p.listSize > 0 && (p.base === "int" || p.base === "SymInt");
    // an element's type: any int (one beyond int64 is refused by badElement, as PyTorch's
    // unpacking refuses it)
    // (a Scalar list takes numbers only: PyTorch's is_scalar_list)
    const elType =
      single || p.base === "int"
        ? (v: unknown) => isInt(v) || base(v)
        : p.base === "Scalar"
          ? isNumber
          : base;
    // `Tensor?[]` takes no None from Python in 1.13 (its parser checks a list of Tensors)
    // a name may be None (PyTorch's THPUtils_checkDimname)
    const el =
      (p.elementOptional && p.base !== "Tensor") || p.base === "Dimname"
        ? (v: unknown) => v === null || elType(v)
        : elType;
    // PyTorch's parser looks at the first element only; `convertList` checks the others
    check = (v) => {
      if (Array.isArray(v)) return v.length === 0 || el(v[0]) || p.base === "Tensor";
      // `Dimname[1]` takes one name, as `int[1]` one int
      if (p.base === "Dimname") return p.listSize === 1 && typeof v === "string";
      return single && isInt64(v);
    };
  }
  return acceptsNone(p) ? (v) => v === null || check(v) : check;
}

/**
 * Whether an argument shows unmarked in the "invalid combination" list. PyTorch's
 * invalid_arguments.cpp matches by the printed type name, not by the parser's rules: `float`
 * takes int, `int` takes int, any other name only a value whose type prints the same, so a
 * `Number` or `tuple of ints` parameter marks every argument and None is always marked.
 */
function displayCheck(type: string): Check {
  if (type === "float") return (v) => ["float", "int"].includes(H().pyTypeName(v));
  return (v) => H().pyTypeName(v) === type;
}

/** PyTorch's type_name() of a parameter, as its error messages print it. */
export function pyParamType(p: Param): string {
  const names: Record<string, string> = {
    Tensor: "Tensor",
    int: "int",
    SymInt: "SymInt",
    float: "float",
    bool: "bool",
    str: "str",
    Scalar: "Number",
    ScalarType: "torch.dtype",
    Generator: "torch.Generator",
    Layout: "torch.layout",
    Device: "torch.device",
    MemoryFormat: "torch.memory_format",
    Dimname: "name",
  };
  if (!p.list) return names[p.base];
  if (p.base === "Tensor") return "tuple of Tensors";
  if (p.base === "Dimname") return "tuple of names";
  if (p.base === "SymInt") return "tuple of SymInts";
  if (p.base === "Scalar") return "tuple of Scalars";
  return `tuple of ${names[p.base]}s`;
}

// ---------------------------------------------------------------------------------------------
// signatures

/** One overload as the parser sees it (self removed for the method form). */
export interface Signature {
  readonly schema: Schema;
  /** the parameters a caller passes, in order (method: without self) */
  readonly params: readonly Param[];
  /** Python names of `params` (`self` printed as `input` for functions) */
  readonly pyNames: readonly string[];
  readonly checks: readonly Check[];
  /** index in schema.params of each of `params` */
  readonly slots: readonly number[];
  /** where `self` goes in the forward's arguments (method form), else -1 */
  readonly selfSlot: number;
  /** positional parameters (before `*`) */
  readonly maxPos: number;
  /** parameters without a default */
  readonly minArgs: number;
  readonly allowVarargsIntList: boolean;
  /** PyTorch's display form, "(Tensor input, int dim, *, torch.dtype dtype, Tensor out)" */
  readonly display: string;
  /** the display form's parameter count as format_invalid_args counts it ("*" included) */
  readonly displayCount: number;
  /** display parameter names by position (the count check of format_invalid_args) */
  readonly displayNames: readonly string[];
  /** the display form's parameters' types for the "!type!" marks */
  readonly displayChecks: readonly Check[];
  readonly hasOut: boolean;
  /** never bound (a named-tensor overload): listed in errors only */
  readonly listedOnly: boolean;
  /** a listed-only overload's error for a call only it binds (Note [named overloads]) */
  readonly namedError: ((values: readonly unknown[]) => Error | null) | null;
  /** a deprecated signature: bound, never listed (PyTorch's deprecated.yaml) */
  readonly hidden: boolean;
  /** the parameters with no type check (Note [untyped parameters]) */
  readonly untyped: readonly boolean[];
  readonly forward: (...args: unknown[]) => unknown;
  /** the forward's argument count (the schema's parameters) */
  readonly arity: number;
  readonly defaults: readonly unknown[];
  /** fast path: a caller per positional argument count, or null (Note [binder fast path]) */
  readonly fast: readonly (FastCaller | null)[];
}

/**
 * A specialised caller: `self` (method form) and up to four positional arguments; returns
 * FAST_MISS when an argument fails its check.
 */
export type FastCaller = (
  self: unknown,
  a0: unknown,
  a1: unknown,
  a2: unknown,
  a3: unknown,
) => unknown;

/** Most positional arguments a fast caller takes. */
export const FAST_MAX_ARGS = 4;

export interface SignatureSpec {
  schema: Schema;
  forward: ((...args: never[]) => unknown) | null;
  numbersAsTensors: boolean;
  /** the function form lists `*, Tensor out` (an out= variant exists) */
  hasOut: boolean;
  hidden?: boolean;
  /** parameters the forward checks itself (Note [untyped parameters]) */
  untyped?: readonly string[];
  /** a named-tensor overload's error for a call that binds it (Note [named overloads]) */
  named?: (values: readonly unknown[]) => Error | null;
}

/**
 * Note [factory signatures]: an overload with PyTorch's tensor options (keyword-only `dtype`,
 * `layout`, `device`, `pin_memory`: zeros, arange, eye, zeros_like, ...) is a factory function.
 * PyTorch's Python binding (torchgen's python.py) moves the tensor options to the end, after
 * the other keyword-only arguments and `out`, and appends `bool requires_grad=False`. The
 * forward receives `requires_grad` as one more argument after the schema's; the registry sets
 * it on the result (define.ts).
 */
const TENSOR_OPTIONS = ["dtype", "layout", "device", "pin_memory"];

/** Whether a schema has PyTorch's tensor options (Note [factory signatures]). */
export function isFactory(schema: Schema): boolean {
  return TENSOR_OPTIONS.every((n) => schema.params.some((p) => p.name === n && p.keywordOnly));
}

const REQUIRES_GRAD: Param = {
  name: "requires_grad",
  jsName: "requiresGrad",
  base: "bool",
  list: false,
  listSize: 0,
  optional: true,
  elementOptional: false,
  hasDefault: true,
  default: false,
  keywordOnly: true,
  mutable: false,
};

/** Build a signature for the function form (method = false) or the method form. */
export function makeSignature(spec: SignatureSpec, method: boolean): Signature {
  const { schema } = spec;
  const all = schema.params;
  let selfSlot = -1;
  if (method) {
    selfSlot = all.findIndex((p) => p.name === "self");
    if (selfSlot < 0) throw new Error(`${schema.text}: a method needs a 'self' parameter`);
  }
  let slots: number[] = [];
  let params: Param[] = [];
  // mutable parameters are out= arguments, bound apart; an in-place op's `Tensor(a!) self` is
  // its first argument in the function form (torch.ldexp_(t, other))
  all.forEach((p, i) => {
    if (i !== selfSlot && !(p.mutable && p.name !== "self")) {
      slots.push(i);
      params.push(p);
    }
  });
  // Note [factory signatures]: the tensor options go last, then requires_grad (its own slot
  // after the schema's arguments)
  const factory = isFactory(schema);
  if (factory) {
    const order = params.map((_p, i) => i);
    const rank = (i: number): number => TENSOR_OPTIONS.indexOf(params[i].name);
    order.sort((a, b) => rank(a) - rank(b) || a - b);
    slots = [...order.map((i) => slots[i]), all.length];
    params = [...order.map((i) => params[i]), REQUIRES_GRAD];
  }
  // the function form calls a Tensor `self` "input"; a Scalar `self` (pow.Scalar, where.Scalar)
  // keeps its name, as PyTorch's parser prints and binds it
  const pyNames = params.map((p) =>
    !method && p.name === "self" && p.base === "Tensor" ? "input" : p.name,
  );
  const untyped = params.map((p) => spec.untyped?.includes(p.name) ?? false);
  const checks = params.map((p, i) => (untyped[i] ? ANY : paramCheck(p, spec.numbersAsTensors)));
  const maxPos = params.filter((p) => !p.keywordOnly).length;
  const minArgs = params.filter((p) => !p.hasDefault).length;
  const hasOut = spec.hasOut && !method;
  // display: "(Tensor input, int dim, *, torch.dtype dtype, Tensor out)"
  const parts: string[] = [];
  const displayNames: string[] = [];
  const displayChecks: Check[] = [];
  let kw = false;
  const star = (): void => {
    if (kw) return;
    kw = true;
    parts.push("*");
    displayNames.push("*");
    displayChecks.push(() => false);
  };
  const outPart = (): void => {
    star();
    const multi = schema.returns.length > 1;
    parts.push(multi ? "tuple of Tensors out" : "Tensor out");
    displayNames.push("out");
    displayChecks.push((v) => H().isTensor(v));
  };
  // a factory lists `out` before its tensor options (Note [factory signatures])
  const outAt = hasOut && factory ? params.findIndex((p) => p.name === TENSOR_OPTIONS[0]) : -1;
  params.forEach((p, i) => {
    if (i === outAt) outPart();
    if (p.keywordOnly) star();
    parts.push(`${pyParamType(p)} ${pyNames[i]}`);
    displayNames.push(pyNames[i]);
    displayChecks.push(untyped[i] ? ANY : displayCheck(pyParamType(p)));
  });
  if (hasOut && outAt < 0) outPart();
  // an int list's scalar default is that value for each element (`int[2] padding=0` is [0, 0])
  const defaults = all.map((p) =>
    !p.hasDefault
      ? undefined
      : p.list && typeof p.default === "number"
        ? new Array<number>(Math.max(p.listSize, 1)).fill(p.default)
        : p.default,
  );
  if (factory) defaults.push(false);
  const sig: Omit<Signature, "fast"> = {
    schema,
    params,
    pyNames,
    checks,
    slots,
    selfSlot,
    maxPos,
    minArgs,
    allowVarargsIntList:
      maxPos === 1 && params[0].list && (params[0].base === "int" || params[0].base === "SymInt"),
    display: `(${parts.join(", ")})`,
    // PyTorch parses "()" as one (empty) argument when it counts a signature's arguments
    displayCount: Math.max(parts.length, 1),
    displayNames,
    displayChecks,
    hasOut,
    listedOnly: spec.forward === null || params.some((p) => p.base === "Dimname"),
    namedError: spec.named ?? null,
    hidden: spec.hidden ?? false,
    untyped,
    forward: (spec.forward ?? (() => undefined)) as (...args: unknown[]) => unknown,
    arity: all.length + (factory ? 1 : 0),
    defaults,
  };
  return { ...sig, fast: fastCallers(sig) };
}

/**
 * Note [binder fast path]: callers for k positional arguments, when every parameter from k on
 * has a default and needs no conversion (an `int[N]` given one int, a list given as varargs,
 * and options objects take the general path).
 */
function fastCallers(sig: Omit<Signature, "fast">): (FastCaller | null)[] {
  const out: (FastCaller | null)[] = [];
  if (sig.listedOnly) return out;
  const { params, slots, selfSlot, defaults, forward, arity } = sig;
  // an int given as a tensor needs converting: the general path takes it
  const checks = sig.checks.map((c, i) =>
    !sig.untyped[i] && (params[i].base === "int" || params[i].base === "SymInt")
      ? params[i].optional
        ? (v: unknown) => v === null || isInt64(v)
        : isInt64
      : c,
  );
  for (let k = 0; k <= Math.min(sig.maxPos, FAST_MAX_ARGS); k++) {
    let ok = k >= sig.minArgs;
    for (let i = 0; i < k; i++) if (params[i].list) ok = false;
    for (let i = k; i < params.length; i++) if (!params[i].hasDefault) ok = false;
    if (!ok) {
      out.push(null);
      continue;
    }
    // source of each forward argument: -2 self, -1 its default, i >= 0 call argument i
    const src = new Array<number>(arity).fill(-1);
    if (selfSlot >= 0) src[selfSlot] = -2;
    for (let i = 0; i < k; i++) src[slots[i]] = i;
    out.push(
      prefixCaller(k, selfSlot, src, checks, forward, defaults) ??
        makeFast(k, src, checks, forward, defaults),
    );
  }
  return out;
}

/**
 * The common shape: self (method form) first, then the k call arguments in order, then
 * defaults. One closure per shape, no per-argument dispatch.
 */
function prefixCaller(
  k: number,
  selfSlot: number,
  src: readonly number[],
  c: readonly Check[],
  f: (...args: unknown[]) => unknown,
  d: readonly unknown[],
): FastCaller | null {
  const method = selfSlot === 0;
  if (selfSlot > 0) return null;
  const first = method ? 1 : 0;
  for (let j = first; j < src.length; j++) {
    if (src[j] !== (j - first < k ? j - first : -1)) return null;
  }
  if (src.length - first > 4) return null;
  const NO = FAST_MISS;
  const [c0, c1, c2, c3] = c;
  if (method) {
    const [, d1, d2, d3, d4] = d;
    switch (k) {
      case 0:
        return (s) => f(s, d1, d2, d3, d4);
      case 1:
        return (s, a0) => (c0(a0) ? f(s, a0, d2, d3, d4) : NO);
      case 2:
        return (s, a0, a1) => (c0(a0) && c1(a1) ? f(s, a0, a1, d3, d4) : NO);
      case 3:
        return (s, a0, a1, a2) => (c0(a0) && c1(a1) && c2(a2) ? f(s, a0, a1, a2, d4) : NO);
      default:
        return (s, a0, a1, a2, a3) =>
          c0(a0) && c1(a1) && c2(a2) && c3(a3) ? f(s, a0, a1, a2, a3) : NO;
    }
  }
  const [d0, d1, d2, d3] = d;
  switch (k) {
    case 0:
      return () => f(d0, d1, d2, d3);
    case 1:
      return (_s, a0) => (c0(a0) ? f(a0, d1, d2, d3) : NO);
    case 2:
      return (_s, a0, a1) => (c0(a0) && c1(a1) ? f(a0, a1, d2, d3) : NO);
    case 3:
      return (_s, a0, a1, a2) => (c0(a0) && c1(a1) && c2(a2) ? f(a0, a1, a2, d3) : NO);
    default:
      return (_s, a0, a1, a2, a3) =>
        c0(a0) && c1(a1) && c2(a2) && c3(a3) ? f(a0, a1, a2, a3) : NO;
  }
}

function makeFast(
  k: number,
  src: readonly number[],
  c: readonly Check[],
  f: (...args: unknown[]) => unknown,
  d: readonly unknown[],
): FastCaller {
  const c0 = c[0];
  const c1 = c[1];
  const c2 = c[2];
  const c3 = c[3];
  const check: (a0: unknown, a1: unknown, a2: unknown, a3: unknown) => boolean =
    k === 0
      ? () => true
      : k === 1
        ? (a0) => c0(a0)
        : k === 2
          ? (a0, a1) => c0(a0) && c1(a1)
          : k === 3
            ? (a0, a1, a2) => c0(a0) && c1(a1) && c2(a2)
            : (a0, a1, a2, a3) => c0(a0) && c1(a1) && c2(a2) && c3(a3);
  const pick = (
    j: number,
    self: unknown,
    a0: unknown,
    a1: unknown,
    a2: unknown,
    a3: unknown,
  ): unknown => {
    switch (src[j]) {
      case -2:
        return self;
      case -1:
        return d[j];
      case 0:
        return a0;
      case 1:
        return a1;
      case 2:
        return a2;
      default:
        return a3;
    }
  };
  const NO = FAST_MISS;
  switch (src.length) {
    case 0:
      return (_s, a0, a1, a2, a3) => (check(a0, a1, a2, a3) ? f() : NO);
    case 1:
      return (s, a0, a1, a2, a3) => (check(a0, a1, a2, a3) ? f(pick(0, s, a0, a1, a2, a3)) : NO);
    case 2:
      return (s, a0, a1, a2, a3) =>
        check(a0, a1, a2, a3) ? f(pick(0, s, a0, a1, a2, a3), pick(1, s, a0, a1, a2, a3)) : NO;
    case 3:
      return (s, a0, a1, a2, a3) =>
        check(a0, a1, a2, a3)
          ? f(pick(0, s, a0, a1, a2, a3), pick(1, s, a0, a1, a2, a3), pick(2, s, a0, a1, a2, a3))
          : NO;
    case 4:
      return (s, a0, a1, a2, a3) =>
        check(a0, a1, a2, a3)
          ? f(
              pick(0, s, a0, a1, a2, a3),
              pick(1, s, a0, a1, a2, a3),
              pick(2, s, a0, a1, a2, a3),
              pick(3, s, a0, a1, a2, a3),
            )
          : NO;
    default:
      return (s, a0, a1, a2, a3) => {
        if (!check(a0, a1, a2, a3)) return NO;
        const v = new Array<unknown>(src.length);
        for (let j = 0; j < src.length; j++) v[j] = pick(j, s, a0, a1, a2, a3);
        return f(...v);
      };
  }
}

/** Returned by a fast caller whose checks failed (the general path takes over). */
export const FAST_MISS: unique symbol = Symbol("tensorgrad.fastMiss") as never;

// ---------------------------------------------------------------------------------------------
// the general path

/** A plain options object `{ ... }` (not a tensor, list, dtype or generator). */
export function isOptions(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

interface Failure {
  kind: "types" | "keywords" | "count";
}

/** snake_case key of a camelCase options key (for messages and for matching). */
function keyToPy(key: string, sig: Signature): string {
  const i = sig.params.findIndex((p) => p.jsName === key || p.name === key);
  if (i >= 0) return sig.pyNames[i];
  if (key === "out") return "out";
  return key;
}

/**
 * Try to bind `args` (positional) and `kw` (options) to `sig`. Returns the forward's arguments
 * and the out tensor, or a failure; with `raise`, throws PyTorch's specific error instead.
 */
function tryBind(
  name: string,
  sig: Signature,
  self: unknown,
  args: readonly unknown[],
  kw: Record<string, unknown> | null,
  raise: boolean,
): { values: unknown[]; out: unknown } | Failure {
  let nargs = args.length;
  let pos = args;
  if (nargs > sig.maxPos) {
    // PyTorch's varargs int list (`x.view(2, 3)`): the first argument is bound as it is when it
    // passes the list's check (a list, or one int for `int[1]`), the other positional arguments
    // then ignored unless a keyword-only parameter follows (too many arguments); else, when it
    // is an int (or a tensor), every positional argument is the list; else its type error
    const first = sig.allowVarargsIntList ? args[0] : undefined;
    const firstOk = sig.allowVarargsIntList && sig.checks[0](first);
    if (firstOk && sig.params.length === 1) {
      pos = [first];
      nargs = 1;
    } else if (sig.allowVarargsIntList && !firstOk && (isInt(first) || isTensorValue(first))) {
      pos = [args.slice()];
      nargs = 1;
    } else if (sig.allowVarargsIntList && !firstOk) {
      if (raise) throw typeError(argTypeMessage(name, sig, 0, first, true));
      return { kind: "types" };
    } else {
      if (raise) {
        const m = sig.maxPos;
        // PyTorch's extra_args counts required keyword-only arguments in min_args: "takes
        // from 1 to 0 positional arguments" (round(*, int decimals) given one)
        if (sig.minArgs !== m)
          throw typeError(
            `${name}() takes from ${sig.minArgs} to ${m} positional arguments but ${nargs} were given`,
          );
        throw typeError(
          `${name}() takes ${m} positional argument${m === 1 ? "" : "s"} but ${nargs} ${nargs === 1 ? "was" : "were"} given`,
        );
      }
      return { kind: "count" };
    }
  }
  const values = sig.defaults.slice();
  if (sig.selfSlot >= 0) values[sig.selfSlot] = self;
  const used = new Set<string>();
  const missing: string[] = [];
  let fail: Failure | null = null;
  for (let i = 0; i < sig.params.length; i++) {
    const p = sig.params[i];
    let v: unknown;
    let given = false;
    let positional = false;
    const kwKey =
      kw === null
        ? undefined
        : p.jsName in kw
          ? p.jsName
          : p.name in kw
            ? p.name
            : sig.pyNames[i] in kw
              ? sig.pyNames[i]
              : undefined;
    if (i < nargs && !p.keywordOnly) {
      v = pos[i];
      given = v !== undefined;
      positional = true;
      if (kwKey !== undefined && kw![kwKey] !== undefined) {
        if (raise)
          throw typeError(`${name}() got multiple values for argument '${sig.pyNames[i]}'`);
        return { kind: "keywords" };
      }
    } else if (kwKey !== undefined) {
      used.add(kwKey);
      v = kw![kwKey];
      given = v !== undefined;
    }
    if (!given) {
      if (!p.hasDefault) {
        // PyTorch raises at the first missing parameter, naming it and every later one without
        // a default (given or not); its plural is inverted ("missing 1 required positional
        // arguments")
        if (raise) {
          const names = sig.params.flatMap((q, j) =>
            j >= i && !q.hasDefault ? [`"${sig.pyNames[j]}"`] : [],
          );
          throw typeError(
            `${name}() missing ${names.length} required positional argument${names.length === 1 ? "s" : ""}: ${names.join(", ")}`,
          );
        }
        missing.push(sig.pyNames[i]);
      }
      continue;
    }
    if (sig.allowVarargsIntList && i === 0 && positional && nargs === 1 && !Array.isArray(v))
      if (isInt(v) || isTensorValue(v)) v = [v];
    checkOverflow(p, v);
    if (!sig.checks[i](v)) {
      if (raise) throw typeError(argTypeMessage(name, sig, i, v, positional));
      fail ??= { kind: "types" };
      continue;
    }
    if (p.list && Array.isArray(v)) {
      const bad = badElement(p, sig.checks[i], v);
      if (bad >= 0) {
        // a conversion error: raised whatever the mode, as PyTorch's r.intlist(i) does
        throw typeError(
          p.base === "Tensor"
            ? `expected Tensor as element ${bad} in argument ${i}, but got ${H().pyTypeName(v[bad])}`
            : p.base === "Dimname"
              ? `expected None or string for Dimname but got ${H().pyTypeName(v[bad])}`
              : `${name}(): argument '${sig.pyNames[i]}' must be ${pyParamType(p)}, but found element of type ${H().pyTypeName(v[bad])} at pos ${bad + 1}`,
        );
      }
    }
    // an untyped parameter reaches the forward as given (Note [untyped parameters])
    values[sig.slots[i]] = sig.untyped[i] ? v : convert(p, v);
  }
  let out: unknown = undefined;
  if (kw !== null) {
    for (const key of Object.keys(kw)) {
      if (used.has(key)) continue;
      if (key === "out" && sig.hasOut) {
        out = kw[key];
        // a multi-output op takes a tuple of Tensors, one per output
        const outputs = sig.schema.returns.length;
        const ok = outputs > 1 ? Array.isArray(out) : H().isTensor(out);
        if (out !== undefined && out !== null && !ok) {
          if (raise)
            throw typeError(
              `${name}(): argument 'out' must be ${outputs > 1 ? "tuple of Tensors" : "Tensor"}, not ${H().pyTypeName(out)}`,
            );
          return { kind: "types" };
        }
        if (Array.isArray(out)) {
          // conversion errors, raised whatever the mode (PyTorch's r.tensorlist_n<N>)
          if (out.length !== outputs)
            throw typeError(`expected tuple of ${outputs} elements but got ${out.length}`);
          const bad = out.findIndex((t) => !H().isTensor(t));
          if (bad >= 0)
            throw typeError(
              `expected Tensor as element ${bad} in argument ${sig.params.length}, but got ${H().pyTypeName(out[bad])}`,
            );
        }
        continue;
      }
      // a key matching a positional parameter already given positionally was handled above
      const i = sig.params.findIndex(
        (p, j) => p.jsName === key || p.name === key || sig.pyNames[j] === key,
      );
      if (i >= 0 && i < nargs) continue;
      if (raise) throw typeError(`${name}() got an unexpected keyword argument '${key}'`);
      return { kind: "keywords" };
    }
  }
  if (missing.length > 0) return { kind: "count" };
  if (fail !== null) return fail;
  return { values, out };
}

/** The first element of list `v` that `check` (of the whole list) refuses, or -1. */
function badElement(p: Param, check: Check, v: readonly unknown[]): number {
  for (let k = 0; k < v.length; k++) {
    const x = v[k];
    if ((p.elementOptional || p.base === "Dimname") && x === null && p.base !== "Tensor") continue;
    if (!check([x])) return k;
    if (p.base === "Tensor" && !isTensorValue(x)) return k;
    if ((p.base === "int" || p.base === "SymInt") && isInt(x) && !isInt64(x)) return k;
  }
  return -1;
}

/**
 * `int[N]` given one int -> N copies; lists copied (the forward may keep them); a one-element
 * integer tensor given for an int becomes its value, as PyTorch's parser reads it (`toInt64`).
 */
function convert(p: Param, v: unknown): unknown {
  if (v === null && !p.optional && p.list) return []; // None for `int[] x=[]` (acceptsNone)
  if (v === null) return v;
  const int = p.base === "int" || p.base === "SymInt";
  const el = (x: unknown): unknown =>
    int && x !== null && typeof x !== "number" ? H().intValue(x) : x;
  if (!p.list) return el(v);
  if (!Array.isArray(v)) return new Array<unknown>(p.listSize).fill(el(v));
  return int ? v.map(el) : v.slice();
}

function argTypeMessage(
  name: string,
  sig: Signature,
  i: number,
  v: unknown,
  positional: boolean,
): string {
  const p = sig.params[i];
  const where = positional
    ? `argument '${sig.pyNames[i]}' (position ${i + 1})`
    : `argument '${sig.pyNames[i]}'`;
  return `${name}(): ${where} must be ${pyParamType(p)}, not ${H().pyTypeName(v)}`;
}

// ---------------------------------------------------------------------------------------------
// an overload set

export interface Bound {
  sig: Signature;
  values: unknown[];
  out: unknown;
}

/**
 * Bind a call to the first overload that accepts it, or throw PyTorch's error. `args` may end
 * with an options object.
 */
export function bindCall(
  name: string,
  sigs: readonly Signature[],
  self: unknown,
  rawArgs: readonly unknown[],
): Bound {
  let args = rawArgs;
  let kw: Record<string, unknown> | null = null;
  if (args.length > 0 && isOptions(args[args.length - 1])) {
    kw = args[args.length - 1] as Record<string, unknown>;
    args = args.slice(0, -1);
  }
  // trailing undefineds are "not given"
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  if (n !== args.length) args = args.slice(0, n);
  for (const sig of sigs) {
    if (sig.listedOnly) continue;
    const r = tryBind(name, sig, self, args, kw, false);
    if ("values" in r) return { sig, values: r.values, out: r.out };
  }
  // Note [named overloads]: tensorgrad has no named tensors. A call that only a named-tensor
  // overload (Dimname arguments, `names=`) binds raises what PyTorch raises for it on an
  // unnamed tensor ("Name 'a' not found in Tensor[None, None]."), after every other overload
  // had its turn, so `torch.zeros(2)` never reaches `zeros.names`. `names=None` (no names at
  // all) is the plain overload's call without that keyword.
  for (const sig of sigs) {
    if (sig.namedError === null) continue;
    const r = tryBind(name, sig, self, args, kw, false);
    if (!("values" in r)) continue;
    const e = sig.namedError(r.values);
    if (e !== null) throw e;
    const rest = { ...kw };
    for (const p of sig.params) {
      if (p.base !== "Dimname") continue;
      delete rest[p.jsName];
      delete rest[p.name];
    }
    return bindCall(name, sigs, self, [...args, rest]);
  }
  // a method without parameters is a plain Python method (METH_NOARGS): Python's own message
  if (sigs.length === 1 && sigs[0].selfSlot >= 0 && sigs[0].params.length === 0) {
    const n = args.length + (kw === null ? 0 : 1);
    throw typeError(`_TensorBase.${name}() takes no arguments (${n} given)`);
  }
  throw invalidArguments(name, sigs, self, args, kw);
}

/** Python's list of names in a message: 'a'; 'a' and 'b'; 'a', 'b', and 'c'. */
function pyNameList(names: readonly string[]): string {
  const q = names.map((n) => `'${n}'`);
  if (q.length <= 2) return q.join(" and ");
  return `${q.slice(0, -1).join(", ")}, and ${q[q.length - 1]}`;
}

/**
 * Note [Python functions]: most of torch.nn.functional is plain Python (`def dropout(input,
 * p=0.5, training=True, inplace=False)`), bound by CPython rather than PyTorch's parser: one
 * signature, no overloads; the keyword arguments first, in the order given (an unknown name, or
 * one already given by position), then too many positional arguments, then the missing ones,
 * each with CPython's message (`pyName` is the Python function's own name: F.max_pool2d is
 * `_max_pool2d`). Python itself checks no types: a wrong type surfaces from the builtin the
 * function calls (`name`, the schema's), which PyTorch's wrappers call positionally, so it is
 * the parser's positional message ("argument 'min_val' (position 2) must be Number, not str").
 */
export function bindPython(
  pyName: string,
  name: string,
  sig: Signature,
  rawArgs: readonly unknown[],
  self?: unknown,
): Bound {
  // a Python method (Tensor.norm) counts self among its positional arguments
  const s = sig.selfSlot >= 0 ? 1 : 0;
  let args = rawArgs;
  let kw: Record<string, unknown> | null = null;
  if (args.length > 0 && isOptions(args[args.length - 1])) {
    kw = args[args.length - 1] as Record<string, unknown>;
    args = args.slice(0, -1);
  }
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  const given = new Array<unknown>(sig.params.length).fill(undefined);
  for (let i = 0; i < Math.min(n, sig.maxPos); i++) given[i] = args[i];
  if (kw !== null) {
    for (const key of Object.keys(kw)) {
      if (kw[key] === undefined) continue;
      const i = sig.params.findIndex(
        (p, j) => p.jsName === key || p.name === key || sig.pyNames[j] === key,
      );
      if (i < 0) throw typeError(`${pyName}() got an unexpected keyword argument '${key}'`);
      if (given[i] !== undefined)
        throw typeError(`${pyName}() got multiple values for argument '${sig.pyNames[i]}'`);
      given[i] = kw[key];
    }
  }
  if (n > sig.maxPos) {
    const max = sig.maxPos + s;
    const min = sig.params.filter((p) => !p.keywordOnly && !p.hasDefault).length + s;
    const takes =
      min === max
        ? `${max} positional argument${max === 1 ? "" : "s"}`
        : `from ${min} to ${max} positional arguments`;
    const got = n + s;
    throw typeError(`${pyName}() takes ${takes} but ${got} ${got === 1 ? "was" : "were"} given`);
  }
  const missing = sig.params.flatMap((p, i) =>
    !p.hasDefault && given[i] === undefined ? [sig.pyNames[i]] : [],
  );
  if (missing.length > 0) {
    const k = missing.length;
    throw typeError(
      `${pyName}() missing ${k} required positional argument${k === 1 ? "" : "s"}: ${pyNameList(missing)}`,
    );
  }
  const values = sig.defaults.slice();
  if (s === 1) values[sig.selfSlot] = self;
  for (let i = 0; i < sig.params.length; i++) {
    const v = given[i];
    if (v === undefined) continue;
    const p = sig.params[i];
    checkOverflow(p, v);
    if (!sig.checks[i](v))
      throw typeError(
        `${name}(): argument '${sig.pyNames[i]}' (position ${i + 1}) must be ${pyParamType(p)}, not ${H().pyTypeName(v)}`,
      );
    if (p.list && Array.isArray(v)) {
      const bad = badElement(p, sig.checks[i], v);
      if (bad >= 0)
        throw typeError(
          `${name}(): argument '${sig.pyNames[i]}' must be ${pyParamType(p)}, but found element of type ${H().pyTypeName(v[bad])} at pos ${bad + 1}`,
        );
    }
    // an untyped parameter reaches the forward as given (Note [untyped parameters])
    values[sig.slots[i]] = sig.untyped[i] ? v : convert(p, v);
  }
  return { sig, values, out: undefined };
}

/** PyTorch's print_error: a specific message when one overload is plausible, else the list. */
function invalidArguments(
  name: string,
  sigs: readonly Signature[],
  self: unknown,
  args: readonly unknown[],
  kw: Record<string, unknown> | null,
): Error {
  const kwKeys = kw === null ? [] : Object.keys(kw).filter((k) => kw[k] !== undefined);
  const numArgs = args.length + kwKeys.length;
  // PyTorch's print_error: one signature raises its own error; else, when exactly one visible
  // signature takes this many arguments, that one's; else the list of visible signatures
  const visible = sigs.filter((s) => !s.hidden);
  const plausible = visible.filter(
    (s) => numArgs >= s.minArgs && numArgs <= s.params.length + (s.hasOut ? 1 : 0),
  );
  const single = sigs.length === 1 ? sigs[0] : plausible.length === 1 ? plausible[0] : null;
  if (single !== null) {
    try {
      tryBind(name, single, self, args, kw, true);
    } catch (e) {
      return e as Error;
    }
  }
  const h = H();
  // a camelCased key in PyTorch's spelling, from the first signature that has it
  const py = (k: string): string => {
    for (const s of visible) {
      const n = keyToPy(k, s);
      if (n !== k || s.params.some((p) => p.name === k)) return n;
    }
    return k;
  };
  // the keyword arguments as PyTorch's unordered map lists them (reverse insertion order)
  const kwList = kwKeys
    .slice()
    .reverse()
    .map((k) => [py(k), kw![k]] as const);
  // PyTorch's _argDesc: each argument followed by ", ", the last ", " erased only when there
  // are positional arguments ("(correction=int, )")
  const plain = (): string => {
    const all = [
      ...args.map((a) => h.pyTypeName(a)),
      ...kwList.map(([k, v]) => `${k}=${h.pyTypeName(v)}`),
    ];
    return `(${all.join(", ")}${args.length === 0 && kwList.length > 0 ? ", " : ""})`;
  };
  const marked = (s: Signature): string => {
    const parts: string[] = [];
    const all = [...args, ...kwList.map(([, v]) => v)];
    all.forEach((v, i) => {
      const ok = i < s.displayChecks.length && s.displayChecks[i](v);
      const kwName = i >= args.length ? `${s.displayNames[i] ?? ""}=` : "";
      const t = formatted(v);
      parts.push(ok ? `${kwName}${t}` : `!${kwName}${t}!`);
    });
    return `(${parts.join(", ")})`;
  };
  // PyTorch 1.13's _argcountMatch: the display's parameter count ("*" and "out" included)
  const countMatch = (s: Signature): boolean => numArgs === s.displayCount;
  if (visible.length === 1) {
    const s = visible[0];
    return typeError(
      `${name}() received an invalid combination of arguments - got ${countMatch(s) ? marked(s) : plain()}, but expected ${s.display}`,
    );
  }
  let msg = `${name}() received an invalid combination of arguments - got ${plain()}, but expected one of:\n`;
  for (const s of visible) {
    msg += ` * ${s.display}\n`;
    if (countMatch(s)) {
      const start = Math.max(s.displayCount - kwList.length, 0);
      const names = s.displayNames.slice(start);
      const unmatched = kwList.map(([k]) => k).filter((k) => !names.includes(k));
      if (unmatched.length > 0)
        msg += `      didn't match because some of the keywords were incorrect: ${unmatched.join(", ")}\n`;
      else
        msg += `      didn't match because some of the arguments have invalid types: ${marked(s)}\n`;
    }
  }
  return typeError(msg);
}

/** A value as _formattedArgDesc prints it: lists as "list of [int, float]". */
function formatted(v: unknown): string {
  const h = H();
  if (Array.isArray(v)) return `list of [${v.map((x) => h.pyTypeName(x)).join(", ")}]`;
  return h.pyTypeName(v);
}

/** A parameter of a Python function (`dim=0`): its name and default. */
export interface PyParam {
  readonly name: string;
  /** the camelCased name users pass in the options object */
  readonly jsName: string;
  readonly hasDefault: boolean;
  readonly default: unknown;
  /** `*args`: takes every remaining positional argument (as an array); later ones are keyword-only */
  readonly varargs?: boolean;
}

/**
 * A Python parameter list, `"tensor, split_size_or_sections, dim=0"` (defaults are Python
 * literals: numbers, True/False, None; `*tensors` collects the remaining positionals).
 */
export function parsePyParams(text: string): PyParam[] {
  return text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => {
      if (p.startsWith("*")) {
        const name = p.slice(1);
        return { name, jsName: camelCase(name), hasDefault: true, default: [], varargs: true };
      }
      const eq = p.indexOf("=");
      const name = (eq < 0 ? p : p.slice(0, eq)).trim();
      const d = eq < 0 ? "" : p.slice(eq + 1).trim();
      const value =
        d === "None"
          ? null
          : d === "True"
            ? true
            : d === "False"
              ? false
              : /^'.*'$/.test(d)
                ? d.slice(1, -1)
                : Number(d);
      return { name, jsName: camelCase(name), hasDefault: eq >= 0, default: value };
    });
}

/**
 * Bind a call to a Python wrapper `def qualname(params)` over overloads (torch/functional.py,
 * torch/_tensor.py: `torch.split`, `Tensor.split`) as CPython does, with its messages (Note
 * [Python functions]): untyped parameters (the wrapper's body calls ops that check), the
 * others by name from a trailing options object (camelCased or Python names); `self` (method
 * form) is the first parameter, as Python counts it. Returns the values in order, defaults
 * filled in.
 */
export function bindPythonWrapper(
  qualname: string,
  params: readonly PyParam[],
  self: unknown,
  method: boolean,
  rawArgs: readonly unknown[],
): unknown[] {
  let args = rawArgs;
  let kw: Record<string, unknown> | null = null;
  if (args.length > 0 && isOptions(args[args.length - 1])) {
    kw = args[args.length - 1] as Record<string, unknown>;
    args = args.slice(0, -1);
  }
  let n = args.length;
  while (n > 0 && args[n - 1] === undefined) n--;
  let given: unknown[] = method ? [self, ...args.slice(0, n)] : args.slice(0, n);
  const star = params.findIndex((p) => p.varargs === true);
  if (star >= 0 && given.length >= star) {
    // `*args`: the remaining positionals as one value; the parameters after it by keyword only
    given = [...given.slice(0, star), given.slice(star)];
  }
  const values = new Array<unknown>(params.length).fill(undefined);
  for (let i = 0; i < Math.min(given.length, params.length); i++) values[i] = given[i];
  // CPython's order: keywords first (unexpected, then multiple values), then the counts
  if (kw !== null) {
    for (const key of Object.keys(kw)) {
      if (kw[key] === undefined) continue;
      const i = params.findIndex((p) => p.jsName === key || p.name === key);
      if (i < 0 || (method && i === 0) || params[i].varargs === true)
        throw typeError(`${qualname}() got an unexpected keyword argument '${key}'`);
      if (i < given.length)
        throw typeError(`${qualname}() got multiple values for argument '${params[i].name}'`);
      values[i] = kw[key];
    }
  }
  if (given.length > params.length && star < 0) {
    const max = params.length;
    const min = params.filter((p) => !p.hasDefault).length;
    const takes = min === max ? `${max}` : `from ${min} to ${max}`;
    const were = given.length === 1 ? "was" : "were";
    throw typeError(
      `${qualname}() takes ${takes} positional argument${max === 1 ? "" : "s"} but ${given.length} ${were} given`,
    );
  }
  const missing = params.filter((p, i) => values[i] === undefined && !p.hasDefault);
  if (missing.length > 0)
    throw typeError(
      `${qualname}() missing ${missing.length} required positional argument${missing.length === 1 ? "" : "s"}: ${pyNameList(missing.map((p) => p.name))}`,
    );
  params.forEach((p, i) => {
    if (values[i] === undefined) values[i] = p.default;
  });
  return values;
}

// ---------------------------------------------------------------------------------------------
// compiled callers

/**
 * The fast-path test of one argument expression `a` against parameter i of signature `si`:
 * exact (the general path's check) except that an int given as a tensor fails (the general path
 * converts it).
 */
function checkExpr(p: Param, si: number, i: number, a: string, numbersAsTensors: boolean): string {
  let e: string;
  switch (p.base) {
    case "Tensor":
      e = numbersAsTensors
        ? `(typeof ${a} === "number" || ${a} instanceof T || typeof ${a} === "boolean")`
        : `${a} instanceof T`;
      break;
    case "int":
    case "SymInt":
      e = intExpr(a);
      break;
    case "float":
      e = `(typeof ${a} === "number" || typeof ${a} === "boolean")`;
      break;
    case "bool":
      e = `typeof ${a} === "boolean"`;
      break;
    default:
      e = `C${si}[${i}](${a})`;
  }
  return p.optional ? `(${a} === null || ${e})` : e;
}

/** An int that fits int64 (isInt64), inline; booleans fail as PyTorch's parser refuses them. */
const intExpr = (a: string): string =>
  `(typeof ${a} === "number" && Number.isInteger(${a}) && Math.abs(${a}) < ${INT64_BOUND})`;

/** An int list parameter (`int[]`, `SymInt[2]`, `int[1]?`): the fast path converts it. */
const isIntList = (p: Param): boolean => p.list && (p.base === "int" || p.base === "SymInt");

/**
 * Note [binder fast path], int lists: what the general path binds for an int list parameter,
 * or FAST_MISS where it would do anything else (convert an int tensor, raise, refuse). `single`:
 * how a lone int binds: 0 refused (`int[]`), N > 0 repeated N times (`int[N]`), -1 as a
 * one-element list (the varargs list given one int positionally, `x.view(6)`). A list binds as a
 * copy (the forward may keep it); every element an int within int64 (a bool, float, nested list
 * or hole is the general path's to refuse).
 */
function fastIntList(v: unknown, single: number, optional: boolean): unknown {
  if (typeof v === "number") {
    if (single === 0 || !isInt64(v)) return FAST_MISS;
    return single < 0 ? [v] : new Array<number>(single).fill(v);
  }
  if (v === null) return optional ? null : FAST_MISS;
  if (!Array.isArray(v)) return FAST_MISS;
  const n = v.length;
  const out = new Array<number>(n);
  for (let k = 0; k < n; k++) {
    const x: unknown = v[k];
    if (typeof x !== "number" || !Number.isInteger(x) || Math.abs(x) >= INT64_BOUND)
      return FAST_MISS;
    out[k] = x;
  }
  return out;
}

/**
 * Note [binder fast path], tensor lists: a `Tensor[]` (cat, stack) binds as a copy when every
 * element is a tensor (the general path raises "expected Tensor as element ..." otherwise).
 */
function fastTensorList(v: unknown): unknown {
  if (!Array.isArray(v)) return FAST_MISS;
  const n = v.length;
  const out = new Array<unknown>(n);
  for (let k = 0; k < n; k++) {
    const x: unknown = v[k];
    if (!isTensorValue(x)) return FAST_MISS;
    out[k] = x;
  }
  return out;
}

/** A list parameter the fast path converts: int lists, and `Tensor[]` without None elements. */
function listConverter(p: Param, single: number, optional: boolean, a: string): string | null {
  if (isIntList(p)) return `IL(${a}, ${single}, ${optional})`;
  if (p.base === "Tensor" && !p.elementOptional && !p.optional) return `TL(${a})`;
  return null;
}

/**
 * Whether the general path refuses `n` positional arguments for `sig` by their count alone,
 * before it looks at any value or at the options object (tryBind's first test).
 */
const countRefuses = (sig: Signature, n: number): boolean =>
  n > sig.maxPos && !sig.allowVarargsIntList;

/**
 * Whether the positional caller `sig.fast[n]` refuses exactly what the general path refuses
 * without raising: its checks are the general ones (no int, which the general path may convert
 * from a tensor or refuse with an overflow error, no list). Only after such a caller may the
 * next overload's new forms be tried.
 */
function exactFast(sig: Signature, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const p = sig.params[i];
    if (p.list || p.base === "int" || p.base === "SymInt") return false;
  }
  return true;
}

/** Most arguments a compiled caller names (varargs ints and an options object included). */
const COMPILED_MAX_ARGS = 8;

/**
 * Note [binder fast path], the converting forms: the source of one overload's caller for `n`
 * positional arguments (a0...) and, with `kw`, an options object `o`, or null where the general
 * path must bind. It binds what tryBind binds, or breaks out of its block:
 * - a varargs int list (`x.view(3, 2)`, `torch.zeros(2, 3)`): every argument an int in int64;
 * - int list parameters given a list, or one int (`int[N]`: repeated; the varargs list: [v]);
 *   a tensor list (`torch.cat([a, b], 1)`) every element a tensor;
 * - the options object's keys all camelCased names of parameters not given positionally (any
 *   other key, `out`, a snake_case spelling, is the general path's), each value passing its
 *   check; `undefined` is "not given".
 */
function convertingSource(
  sig: Signature,
  si: number,
  n: number,
  kw: boolean,
  numbersAsTensors: boolean,
): string | null {
  const { params } = sig;
  if (sig.untyped.some((u) => u)) return null;
  const label = `b${si}`;
  const stmts: string[] = [];
  const vals: string[] = new Array<string>(params.length);
  let first = n; // the first parameter not given positionally
  if (n > sig.maxPos) {
    // the varargs int list: every positional argument an element (tryBind's "every positional
    // argument is the list"); an `int[N]` list takes its first argument alone, not this form
    if (!sig.allowVarargsIntList || params[0].listSize !== 0 || n < 2) return null;
    stmts.push(
      `if (!(${Array.from({ length: n }, (_u, k) => intExpr(`a${k}`)).join(" && ")})) break ${label};`,
    );
    vals[0] = `[${Array.from({ length: n }, (_u, k) => `a${k}`).join(", ")}]`;
    first = 1;
  } else {
    for (let i = 0; i < n; i++) {
      const p = params[i];
      if (p.list) {
        const single = sig.allowVarargsIntList && i === 0 && n === 1 ? -1 : p.listSize;
        const conv = listConverter(p, single, p.optional, `a${i}`);
        if (conv === null) return null;
        stmts.push(`const v${i} = ${conv}; if (v${i} === M) break ${label};`);
        vals[i] = `v${i}`;
      } else {
        stmts.push(`if (!(${checkExpr(p, si, i, `a${i}`, numbersAsTensors)})) break ${label};`);
        vals[i] = `a${i}`;
      }
    }
  }
  const keys: string[] = [];
  for (let i = first; i < params.length; i++) {
    const p = params[i];
    const d = `D${si}[${sig.slots[i]}]`;
    if (!kw) {
      if (!p.hasDefault) return null;
      vals[i] = d;
      continue;
    }
    keys.push(p.jsName);
    const v = `k${i}`;
    // the general path reads the snake_case or Python name when the camelCased one is absent
    const other = [...new Set([p.name, sig.pyNames[i]])].filter((s) => s !== p.jsName);
    const absent = [
      ...other.map((s) => `${JSON.stringify(s)} in o`),
      ...(p.hasDefault ? [] : ["true"]),
    ];
    stmts.push(`let ${v} = o[${JSON.stringify(p.jsName)}];`);
    let given: string;
    const conv = p.list ? listConverter(p, p.listSize, p.optional, v) : null;
    if (conv !== null) given = `{ ${v} = ${conv}; if (${v} === M) break ${label}; }`;
    else if (p.list) given = `break ${label};`;
    else given = `if (!(${checkExpr(p, si, i, v, numbersAsTensors)})) break ${label};`;
    stmts.push(
      `if (${v} === undefined) { ${absent.length > 0 ? `if (${absent.join(" || ")}) break ${label}; ` : ""}${v} = ${d}; } else ${given}`,
    );
    vals[i] = v;
  }
  if (kw)
    stmts.push(
      `for (const key in o) if (${keys.length === 0 ? "true" : keys.map((k) => `key !== ${JSON.stringify(k)}`).join(" && ")}) break ${label};`,
    );
  const args: string[] = [];
  for (let j = 0; j < sig.arity; j++) {
    if (j === sig.selfSlot) args.push("this");
    else {
      const i = sig.slots.indexOf(j);
      args.push(i >= 0 ? vals[i] : `D${si}[${j}]`);
    }
  }
  stmts.push(`return F${si}(${args.join(", ")});`);
  return `${label}: {\n${stmts.join("\n")}\n}`;
}

/**
 * Note [binder fast path], passing over: an overload with a required keyword-only parameter
 * (`rand.generator(int[] size, *, Generator? generator, ...)`, listed before `rand(int[] size,
 * ...)` as PyTorch lists it) never binds a call without an options object. The positional
 * callers may try the next overload instead of giving up when that one takes the same
 * positional parameters: whatever the general path would raise while trying the skipped one
 * (an int beyond int64, a bad list element) fails the next one's fast checks too.
 */
function passesOver(sig: Signature, next: Signature | undefined): boolean {
  if (next === undefined || !sig.params.some((p) => p.keywordOnly && !p.hasDefault)) return false;
  const positional = (s: Signature): string =>
    s.params
      .filter((p) => !p.keywordOnly)
      .map((p) => `${p.base}${p.list ? `[${p.listSize}]` : ""}${p.optional ? "?" : ""}`)
      .join(",");
  return positional(sig) === positional(next);
}

let compileWorks: boolean | null = null;

/** JavaScript's reserved words that PyTorch uses as op names. */
const RESERVED: ReadonlySet<string> = new Set(["var", "new", "delete", "in", "function"]);

/**
 * Note [binder fast path], compiled: one function per op and call form, generated from its
 * signatures, so every call site in it is monomorphic (closures built by one generic factory
 * share their type feedback across all ops, which makes the forward calls megamorphic). Where
 * `new Function` is refused (a page's Content-Security-Policy without 'unsafe-eval'), returns
 * null and the caller builds the closure form instead (positional calls only).
 *
 * For each argument count, overloads are tried in PyTorch's order: one the general path refuses
 * by the count alone is passed over; one with a positional caller (Note [binder fast path]) is
 * tried and, when its checks fail, the next; the first other overload gets a converting caller
 * (convertingSource) when every overload tried before it had exact checks, and ends the
 * attempt. A trailing options object is tried likewise against the first overload the count
 * does not refuse. `converting` false (a Python function, bound by CPython's rules: Note [Python
 * functions]) keeps to the positional callers.
 */
export function compileCallable(
  name: string,
  sigs: readonly Signature[],
  method: boolean,
  slow: (self: unknown, args: unknown[]) => unknown,
  tensorClass: unknown,
  numbersAsTensors: boolean,
  converting = true,
): ((...args: unknown[]) => unknown) | null {
  if (compileWorks === false) return null;
  const bound = sigs.filter((s) => !s.listedOnly);
  // the positional callers in the op's function; the converting ones in a second function it
  // calls when none took the call, so that the first stays small enough for V8 to inline
  const lines: string[] = [];
  const rest: string[] = [];
  const prelude: string[] = [];
  // the formal parameters: as many as the longest compiled call (most ops: FAST_MAX_ARGS)
  let maxArgs = FAST_MAX_ARGS;
  let restArgs = 0;
  for (let n = 0; n <= COMPILED_MAX_ARGS; n++) {
    const branch: string[] = [];
    const converted: string[] = [];
    // positional arguments only
    let exact = true;
    for (let si = 0; si < bound.length; si++) {
      const sig = bound[si];
      if (countRefuses(sig, n) || passesOver(sig, bound[si + 1])) continue;
      const fast = n <= FAST_MAX_ARGS ? sig.fast[n] : undefined;
      if (fast !== undefined && fast !== null) {
        const conds = sig.params
          .slice(0, n)
          .map((p, i) =>
            sig.untyped[i] ? `C${si}[${i}](a${i})` : checkExpr(p, si, i, `a${i}`, numbersAsTensors),
          );
        const args: string[] = [];
        for (let j = 0; j < sig.arity; j++) {
          if (j === sig.selfSlot) args.push("this");
          else {
            const i = sig.slots.indexOf(j);
            args.push(i >= 0 && i < n ? `a${i}` : `D${si}[${j}]`);
          }
        }
        const call = `return F${si}(${args.join(", ")});`;
        branch.push(conds.length === 0 ? call : `if (${conds.join(" && ")}) ${call}`);
        if (conds.length === 0) break;
        exact &&= exactFast(sig, n);
        continue;
      }
      const src =
        converting && exact ? convertingSource(sig, si, n, false, numbersAsTensors) : null;
      if (src !== null) converted.push(src);
      break;
    }
    // positional arguments, then an options object
    if (converting && n > 0) {
      const k = n - 1;
      const sig = bound.find((s) => !countRefuses(s, k));
      const src =
        sig === undefined
          ? null
          : convertingSource(sig, bound.indexOf(sig), k, true, numbersAsTensors);
      if (src !== null) converted.push(`if (isOptions(a${k})) {\nconst o = a${k};\n${src}\n}`);
    }
    if (branch.length > 0) {
      lines.push(`case ${n}: {\n${branch.join("\n")}\nbreak;\n}`);
      maxArgs = Math.max(maxArgs, n);
    }
    if (converted.length > 0) {
      rest.push(`case ${n}: {\n${converted.join("\n")}\nbreak;\n}`);
      restArgs = Math.max(restArgs, n);
    }
  }
  bound.forEach((_s, si) => {
    prelude.push(
      `const F${si} = S[${si}].forward;`,
      `const D${si} = S[${si}].defaults;`,
      `const C${si} = S[${si}].checks;`,
    );
  });
  // the op's name when it can name a function (not a reserved word such as `var`)
  const fname = /^[A-Za-z_$][\w$]*$/.test(name) && !RESERVED.has(name) ? name : "op";
  const formals = (k: number): string => Array.from({ length: k }, (_u, j) => `a${j}`).join(", ");
  const self = method ? "this" : "undefined";
  const slowCall = `return slow(${self}, Array.prototype.slice.call(arguments));`;
  const src =
    rest.length === 0
      ? `${prelude.join("\n")}
return function ${fname}(${formals(maxArgs)}) {
  switch (arguments.length) {
${lines.join("\n")}
  }
  ${slowCall}
};`
      : `${prelude.join("\n")}
function converting(${formals(restArgs)}) {
  switch (arguments.length) {
${rest.join("\n")}
  }
  ${slowCall}
}
return function ${fname}(${formals(maxArgs)}) {
  switch (arguments.length) {
${lines.join("\n")}
  }
  return converting.apply(this, arguments);
};`;
  try {
    const make = new Function("S", "T", "slow", "IL", "TL", "M", "isOptions", src) as (
      s: readonly Signature[],
      t: unknown,
      slow: (self: unknown, args: unknown[]) => unknown,
      il: typeof fastIntList,
      tl: typeof fastTensorList,
      m: typeof FAST_MISS,
      opts: typeof isOptions,
    ) => (...args: unknown[]) => unknown;
    compileWorks = true;
    return make(bound, tensorClass, slow, fastIntList, fastTensorList, FAST_MISS, isOptions);
  } catch (e) {
    if (compileWorks === true) throw e; // a bug in the generated source, not a refused eval
    compileWorks = false;
    return null;
  }
}
