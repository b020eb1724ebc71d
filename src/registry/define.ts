/**
 * The op registry: one declaration per op, in the spirit of PyTorch's native_functions.yaml +
 * derivatives.yaml. An entry holds the op's PyTorch 1.13 schema string(s) verbatim, its
 * variants (function `torch.x`, method `t.x`, in-place `t.x_`), each overload's forward, its
 * derivative (backward node name, the saved set, the formula, the JVP rule) and a doc line with
 * an example. From it follow:
 *
 * - the argument binder of every call form (binder.ts), checking types and sizes once;
 * - recording: an overload that declares a derivative is recorded by the registry, saving
 *   exactly the declared names (schema arguments or `result`), and its formula receives only
 *   those (Note [declared saved set]);
 * - the in-place variant: computed out of place on a shadow of self and written back
 *   (Note [in-place shadow] in ops/inplace.ts), with version counter and CopySlices;
 * - `out=`: computed, then written into the given tensor (resized as PyTorch does);
 * - the generated declarations (`scripts/gen-api.ts`: src/generated/*.ts) and docs/ops.md.
 *
 * Adding an op is one `defineOp` entry (plus its kernel if it is a new primitive) and test rows;
 * see docs/adding-an-op.md.
 */
import { namedTuple } from "../named-tuple.js";
import { Tensor } from "../tensor.js";
import { DType, bool, float64, int32, int64 } from "../dtype.js";
import { CPUGeneratorImpl } from "../random.js";
import { parseSchema, camelCase, type Schema } from "./schema.js";
import {
  FAST_MAX_ARGS,
  FAST_MISS,
  bindCall,
  bindPython,
  bindPythonWrapper,
  compileCallable,
  isFactory,
  isOptions,
  makeSignature,
  parsePyParams,
  setBinderHost,
  type PyParam,
  type Signature,
} from "./binder.js";
import {
  anyNeedsGrad,
  derivativeOf,
  needsGrad,
  recordWith,
  registerDerivative,
  type OpNode,
} from "../autograd/function.js";
import { kindAware } from "./arg-kinds.js";
import { sparseCall } from "../ops/sparse.js";
import { composedResults } from "./complex-compute.js";
import { registerJvp } from "../autograd/forward-ad.js";
import { isGradEnabled } from "../autograd/grad-mode.js";
import {
  assertNoInternalOverlap,
  checkInferenceWrite,
  inplace,
  writeInto,
} from "../ops/inplace.js";
import { castData, pyTypeName, scalarTypeName } from "../ops/core.js";
import { notImplementedError, runtimeError } from "../errors.js";
import { contiguousStrides, shapeEqual } from "../shape.js";
import type { Op } from "../autograd/derivatives.js";
import { batchedCall, setStack, vmapState, type BatchSpec } from "./batching.js";
import { activeTracer } from "./op-trace.js";
import { compileOrNull, perOp } from "./per-op.js";
import { TORCH_INPLACE_FUNCTIONS } from "./inplace-functions.js";
import { toDevice } from "../ops/webgpu.js";
import { checkDeviceAvailable, parseDevice } from "../device.js";
import { batchRuleFor } from "./batch-rules.js";
import { autocastCall, autocastPolicy, autocastState, outsideAutocast } from "./autocast.js";

setStack((ts, dim) => fn("stack")(ts, dim) as Tensor);

setBinderHost({
  isTensor: (v) => v instanceof Tensor,
  isScalarTensor: (v) => v instanceof Tensor && v.dim() === 0 && !v.requiresGrad,
  isIntTensor: (v) =>
    v instanceof Tensor && v.numel() === 1 && (v.dtype === int64 || v.dtype === int32),
  intValue: (v) => Number((v as Tensor).item()),
  isDType: (v) => v instanceof DType,
  isGenerator: (v) => v instanceof CPUGeneratorImpl,
  pyTypeName: (v) =>
    v instanceof DType
      ? "torch.dtype"
      : v instanceof CPUGeneratorImpl
        ? "torch._C.Generator"
        : isPlainObject(v)
          ? "dict"
          : pyTypeName(v),
});

function isPlainObject(v: unknown): boolean {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

// ---------------------------------------------------------------------------------------------
// declarations

/** The saved tensors a formula reads: exactly the declared names. */
export type SavedOf<S extends string> = { readonly [K in S]: Tensor };

/**
 * An overload's derivative, PyTorch's derivatives.yaml entry: the backward node's name, the
 * schema arguments (or `result`) it saves, the non-tensor arguments it reads, the formula (one
 * gradient per tensor argument of the schema, in order; null where none) and the forward-mode
 * rule (the output tangent from the tangents of the tensor arguments, null entries being zero).
 */
export interface DerivativeDecl<S extends string = string, A extends object = object> {
  name: string;
  save: readonly S[];
  /** the non-tensor arguments the formula and the JVP read (kept on the node) */
  attrs?: readonly (keyof A & string)[];
  grad(g: Tensor, saved: SavedOf<S>, attrs: A, node: OpNode): (Tensor | null)[];
  jvp(
    tangents: { readonly [name: string]: Tensor | null },
    primals: { readonly [name: string]: Tensor },
    result: Tensor,
    attrs: A,
  ): Tensor | null;
}

export interface OverloadDecl {
  /** PyTorch 1.13's schema, verbatim from native_functions.yaml */
  schema: string;
  /**
   * The forward, taking the schema's arguments in order (defaults filled in). With `derivative`
   * it only computes; without, it records its own node (ops with a hand-written recording).
   * null: an overload listed in errors but never bound (named tensors).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each overload's forward has its own typed signature; the binder checks the arguments against the schema before the call
  forward: ((...args: any[]) => unknown) | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- formulas type their own saved set and attributes
  derivative?: DerivativeDecl<any, any>;
  /** an out= variant of this overload exists (default: the entry's `out`) */
  out?: boolean;
  /** a deprecated signature (PyTorch's deprecated.yaml): bound, never listed in errors */
  hidden?: boolean;
  /**
   * Checks of the out= tensor(s) that PyTorch makes before computing, given the out tensor(s)
   * and the schema's arguments (frexp_out refuses a mantissa of another dtype than the
   * input's; TensorIterator's cast check comes before a kernel's dtype dispatch; a structured
   * kernel's fixed output dtype: isin's bool); writeOut's checks follow the computation.
   */
  // out: a Tensor, or the Tensor list of a multi-output op's out= (each check types its own)
  checkOut?: (out: never, ...args: never[]) => void;
  /**
   * A named-tensor overload (`forward: null`) whose error differs from "Name 'a' not found in
   * Tensor[None, None]." for its first name argument (Note [named overloads]): `nyi`, the op
   * PyTorch's reportNYIDimnameOverload names (gather, any, squeeze_); `nameArg`, the name
   * argument PyTorch looks up first (transpose resolves dim1 before dim0); `creates`, an
   * overload that names the result's dims (flatten's out_dim from int dims), which needs named
   * tensors.
   */
  named?: { nyi?: string; nameArg?: string; creates?: boolean };
  /**
   * The `out=` form's own checks of the out tensor(s), with the schema's arguments, run after
   * the forward and before the result is written (quantile's "out tensor must be same dtype as
   * the input tensor", which PyTorch's out kernel checks after its argument checks)
   */
  checkOutAfter?: (out: Tensor | Tensor[], ...values: never[]) => void;
  /**
   * The in-place form's own forward and derivative, for ops whose `x_` differs from `x`
   * (derivatives.yaml's `eq_.Scalar`: the result in self's dtype, zero gradients, EqBackward0;
   * `eq` gives bools and has no entry). The derivative is registered under `x_.overload`.
   * `false`: this overload has no in-place form (native_functions.yaml lists no
   * `x_.overload`: scatter_add_ has no Dimname overload), though the op has an "inplace" variant.
   */
  inplace?:
    | false
    | {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as `forward`
        forward: (...args: any[]) => unknown;
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as `derivative`
        derivative?: DerivativeDecl<any, any>;
      };
}

export type Variant = "function" | "method" | "inplace";

/**
 * Where the function form lives: `torch.x`, `torch.nn.functional.x`, `torch.linalg.x`, ...
 * Ops outside `torch` are Python functions in PyTorch: their schema is written in the same
 * language from the Python signature (`softplus(Tensor input, Scalar beta=1, Scalar
 * threshold=20) -> Tensor`), and have no method form.
 */
export type Namespace = "torch" | "nn.functional" | "linalg" | "special" | "fft";

/**
 * A `boolean_dispatch` Python function: the function the flag argument chooses, itself a
 * dispatch when they nest (torch.unique: return_counts, then return_inverse).
 */
export interface PythonDispatch {
  flag: string;
  ifTrue: string | PythonDispatch;
  ifFalse: string | PythonDispatch;
}

export interface OpDecl {
  /** PyTorch's Python name (`log_softmax`); the JS name is its camelCase unless `jsName` */
  name: string;
  jsName?: string;
  /** default "torch" */
  namespace?: Namespace;
  variants: readonly Variant[];
  /** in PyTorch's order: binding tries them in turn and errors list them so */
  overloads: readonly OverloadDecl[];
  /** the method form's overloads when they differ from the function's */
  methodOverloads?: readonly OverloadDecl[];
  /** an `out=` variant exists for every overload (the function form accepts and lists `out`) */
  out?: boolean;
  /** PyTorch's parser accepts numbers for Tensor arguments (add, sub, mul, div, ...) */
  numbersAsTensors?: boolean;
  /**
   * A pure-Python function in PyTorch (most of torch.nn.functional, torch.norm and its method
   * Tensor.norm, named so in messages): CPython's argument-count
   * and keyword errors (Note [Python functions] in binder.ts); one overload, no out=. `true`,
   * or the Python function's own name when it differs from `name` (F.threshold is
   * `_threshold`), or for a `boolean_dispatch` function (F.max_pool2d) the names of the two
   * functions its flag argument chooses between.
   */
  python?: true | string | PythonDispatch;
  /**
   * A torch op whose public forms are Python wrappers that choose between overload sets by
   * their arguments' values (torch/functional.py, torch/_tensor.py: `torch.split` and
   * `Tensor.split` call `torch._VF.split` for an int, `split_with_sizes` otherwise). Their
   * untyped parameter lists (`"tensor, split_size_or_sections, dim=0"`; the method's with `self`
   * first) bind the call with CPython's errors (Note [Python functions]), then `body` receives
   * the values in order and does what the Python body does, calling the overloads through the
   * entry's `vf` (PyTorch's `torch._VF.x`) or other ops.
   */
  pythonWrapper?: {
    /** absent: the function form is the builtin (Tensor.unflatten is Python, torch.unflatten not) */
    function?: string;
    /** absent: no method form */
    method?: string;
    body: (...args: unknown[]) => unknown;
    /**
     * The function form's TypeScript call signatures (`(equation: string, ...operands:
     * Tensor[]): Tensor`), for a wrapper whose `*args` parameter list the schema cannot type
     * (torch.einsum)
     */
    declarations?: readonly string[];
  };
  /**
   * Parameters the forward checks itself, which take any value (Note [untyped parameters] in
   * binder.ts: torch.norm's `p`, a number or a string)
   */
  untyped?: readonly string[];
  /** TypeScript types of parameters the schema language cannot say (`p: number | "fro"`) */
  tsTypes?: Readonly<Record<string, string>>;
  /**
   * The batching rule under `torch.func.vmap` (Note [batched tensors] in batching.ts): a
   * function of the unwrapped arguments and their batch dims, or `{ decompose }` computing the
   * op from other ops. Absent: the rule of batch-rules.ts's table for this op, else the loop
   * fallback with PyTorch's performance warning.
   */
  batch?: BatchSpec;
  /** one line, for JSDoc and docs/ops.md */
  doc: string;
  /** a one-line example */
  example?: string;
}

export interface OpEntry extends OpDecl {
  readonly jsName: string;
  readonly namespace: Namespace;
  readonly schemas: readonly Schema[];
  readonly functionSigs: readonly Signature[];
  readonly methodSigs: readonly Signature[];
  readonly inplaceSigs: readonly Signature[];
  /** `torch.x_(self, ...)`: the in-place overloads as a function (TORCH_INPLACE_FUNCTIONS) */
  readonly inplaceFunctionSigs: readonly Signature[];
  /** `pythonWrapper` ops: the parameters of the function and method forms */
  readonly pyFunctionParams: readonly PyParam[] | null;
  readonly pyMethodParams: readonly PyParam[] | null;
}

const REGISTRY = new Map<string, OpEntry>();
/** each op's builder (Note [lazy ops]) */
const BUILDERS = new Map<string, () => BuiltOp>();

/** Every registered op, in registration order. */
export function registeredOps(): OpEntry[] {
  for (const load of FAMILY_LOADERS) load();
  return [...REGISTRY.values()];
}

/** A registered op by namespace and JS name (`getOp("sum")`, `getOp("softplus", "nn.functional")`). */
export function getOp(jsName: string, namespace: Namespace = "torch"): OpEntry | undefined {
  const k = key(namespace, jsName);
  FAMILY.get(k)?.();
  return REGISTRY.get(k);
}

/**
 * Note [lazy op families]: in the Node bundle (scripts/build-dist.mjs) an op family's module
 * (src/registry/ops/<family>.ts) is evaluated on the first use of one of its ops, not when the
 * package loads: evaluating every family's declarations was most of the import's cost (issue
 * 12). The build's generated manifest (src/generated/op-families.ts, `npm run gen`) lists each
 * family's op keys and Tensor methods; `declareFamilies` installs a forwarder for each method
 * and makes `fn`, `getOp`, `builtFunction` and `registeredOps` load the family first. A
 * family's load runs its module (defineOp replaces the forwarders with its own, Note [lazy
 * ops]), so after it the program's references are the ones an eager import makes. Run from the
 * sources (tests, tsx) every family is imported eagerly and FAMILY stays empty.
 */
const FAMILY = new Map<string, () => void>();
/** every lazy family's loader (registeredOps loads them all) */
const FAMILY_LOADERS: (() => void)[] = [];
type Declared = { keys: string[]; functions: string[]; methods: string[] };
/** What defineOp installs while recordDeclarations runs; null otherwise (nothing recorded). */
let declared: Declared | null = null;
/**
 * @internal defineOp's installations from now on (op keys, function keys, Tensor method names,
 * in order), for the manifest of op families (scripts/op-families.ts).
 */
export function recordDeclarations(): Declared {
  return (declared ??= { keys: [], functions: [], methods: [] });
}

/**
 * Installs the lazy op families of a manifest (Note [lazy op families]): `[family, op keys,
 * function keys, method names]` (space-separated; a function key `k:name` names its forwarder
 * `name`, else the key's last word); `load(family)` evaluates a family's module.
 */
export function declareFamilies(
  families: readonly (readonly [string, string, string, string])[],
  load: (family: string) => void,
): void {
  const proto = Tensor.prototype as unknown as Record<string, unknown>;
  const words = (s: string): string[] => (s === "" ? [] : s.split(" "));
  for (const [family, keys, functions, methods] of families) {
    // a family some module imported already declared its ops
    if (words(keys).some((k) => REGISTRY.has(k))) continue;
    let loaded = false;
    const loader = (): void => {
      if (loaded) return;
      loaded = true;
      load(family);
    };
    FAMILY_LOADERS.push(loader);
    for (const k of words(keys)) FAMILY.set(k, loader);
    for (const spec of words(functions)) {
      const colon = spec.indexOf(":");
      const k = colon < 0 ? spec : spec.slice(0, colon);
      const name = colon < 0 ? k.slice(k.lastIndexOf(".") + 1) : spec.slice(colon + 1);
      const stub = lazyCallable(name, () => {
        loader();
        const f = FUNCTIONS.get(k);
        if (f === undefined || f === stub) throw new Error(`op '${k}' not declared by ${family}`);
        return f;
      });
      FUNCTIONS.set(k, stub);
    }
    for (const m of words(methods)) {
      const stub = lazyCallable(m, () => {
        loader();
        const f = proto[m];
        if (typeof f !== "function" || f === stub)
          throw new Error(`method '${m}' not declared by ${family}`);
        return f as Callable;
      });
      proto[m] = stub;
    }
  }
}

const key = (namespace: Namespace, jsName: string): string =>
  namespace === "torch" ? jsName : `${namespace}.${jsName}`;

// ---------------------------------------------------------------------------------------------
// recording through the declared derivative

/**
 * Note [declared saved set]: a formula receives only the names its `save` lists, each a schema
 * argument or `result`; registration refuses other names, and `setStrictSavedChecks` (tests)
 * makes a formula that reads an undeclared name fail.
 */
function withDerivative(
  schema: Schema,
  forward: (...args: unknown[]) => unknown,
  d: DerivativeDecl,
): (...args: unknown[]) => unknown {
  const key = schema.overload === "" ? schema.name : `${schema.name}.${schema.overload}`;
  const slotOf = new Map(schema.params.map((p, i) => [p.name, i]));
  for (const name of d.save) {
    if (name !== "result" && !slotOf.has(name))
      throw new Error(`${schema.text}: '${name}' in save is not an argument or 'result'`);
  }
  for (const name of d.attrs ?? []) {
    if (!slotOf.has(name))
      throw new Error(`${schema.text}: attribute '${name}' is not an argument`);
  }
  // tensor arguments: the node's inputs, in schema order
  const tensorSlots = schema.params.flatMap((p, i) => (p.base === "Tensor" && !p.list ? [i] : []));
  const saveSlots = d.save.map((n) => (n === "result" ? -1 : (slotOf.get(n) as number)));
  const attrSlots = (d.attrs ?? []).map((n) => slotOf.get(n) as number);
  const tensorNames = tensorSlots.map((i) => schema.params[i].name);
  registerDerivative(key as Op, {
    name: d.name,
    save: d.save as never,
    grad: d.grad as never,
  });
  registerJvp(key as Op, (tangents, inputs, out, attrs) => {
    const t: Record<string, Tensor | null> = {};
    const p: Record<string, Tensor> = {};
    tensorNames.forEach((n, i) => {
      t[n] = tangents[i];
      const x = inputs[i];
      if (x != null) p[n] = x;
    });
    return d.jvp(t, p, out as Tensor, attrs as object);
  });
  const EMPTY = Object.freeze({});
  const saveNames = d.save;
  const attrNames = d.attrs ?? [];
  const def = derivativeOf(key as Op);
  // Note [complex compute]: a complex composition's result carries its own graph and its own
  // tangent (Note [complex tangents]; checked only for a result that has a node or a tangent)
  const recordCall =
    compiledRecordCall(key, def, saveNames, saveSlots, attrNames, attrSlots, EMPTY) ??
    ((values: readonly unknown[], out: Tensor, inputs: (Tensor | null)[]) => {
      if ((out._gradFn !== null || out._fwGrad !== null) && composedResults.has(out)) return out;
      const save: Record<string, Tensor | null> = {};
      for (let j = 0; j < saveNames.length; j++) {
        const s = saveSlots[j];
        const v = s < 0 ? out : values[s];
        save[saveNames[j]] = v instanceof Tensor ? v : null;
      }
      let attrs: Record<string, unknown> = EMPTY;
      if (attrNames.length > 0) {
        attrs = {};
        for (let j = 0; j < attrNames.length; j++) attrs[attrNames[j]] = values[attrSlots[j]];
      }
      recordWith(def, key as Op, out, inputs, save as never, attrs as never);
      return out;
    });
  const asTensor = (v: unknown): Tensor | null => (v instanceof Tensor ? v : null);
  // an integer or bool result is not differentiable (cumsum(x, dtype=int64)): not recorded.
  // One and two arguments (unary and binary ops, the hot ones): no argument array unless the
  // call is recorded; a copy of the wrapper per op (Note [per-op closures])
  if (schema.params.length === 1)
    return perOp(recordingCall1, key)(forward, needsGrad, recordCall, Tensor, tensorSlots.length);
  if (schema.params.length === 2)
    return perOp(recordingCall2, key)(forward, needsGrad, recordCall, Tensor, tensorSlots);
  return (...values: unknown[]) => {
    const out = forward(...values) as Tensor;
    const inputs = tensorSlots.map((i) => asTensor(values[i]));
    return anyNeedsGrad(inputs) && out.dtype.differentiable ? recordCall(values, out, inputs) : out;
  };
}

type RecordCall = (values: unknown[], out: Tensor, inputs: (Tensor | null)[]) => Tensor;

/**
 * withDerivative's recording step compiled for one op: its saved record and attributes built
 * as object literals with the op's own keys (one shape per op, where a loop writing
 * computed keys makes every op's objects slow dictionary-like ones), and its formula at hand.
 * Null where eval is refused.
 */
function compiledRecordCall(
  key: string,
  def: unknown,
  saveNames: readonly string[],
  saveSlots: readonly number[],
  attrNames: readonly string[],
  attrSlots: readonly number[],
  empty: object,
): RecordCall | null {
  const saveSrc = saveNames
    .map((n, j) => {
      const v = saveSlots[j] < 0 ? "out" : `values[${saveSlots[j]}]`;
      return `${JSON.stringify(n)}: ${v} instanceof T ? ${v} : null`;
    })
    .join(", ");
  const attrSrc =
    attrNames.length === 0
      ? "EMPTY"
      : `{ ${attrNames.map((n, j) => `${JSON.stringify(n)}: values[${attrSlots[j]}]`).join(", ")} }`;
  const make = compileOrNull(
    ["recordWith", "def", "key", "T", "EMPTY", "composed"],
    `return function recordCall(values, out, inputs) {
  if ((out._gradFn !== null || out._fwGrad !== null) && composed.has(out)) return out;
  recordWith(def, key, out, inputs, { ${saveSrc} }, ${attrSrc});
  return out;
}; // ${key.replace(/\n/g, " ")}`,
  ) as ((...a: unknown[]) => RecordCall) | null;
  return make === null ? null : make(recordWith, def, key, Tensor, empty, composedResults);
}

/** withDerivative's wrapper of a one-argument forward; self-contained (Note [per-op closures]). */
function recordingCall1(
  forward: (...args: unknown[]) => unknown,
  needs: typeof needsGrad,
  recordCall: RecordCall,
  TensorClass: typeof Tensor,
  tensorCount: number,
): (a: unknown) => unknown {
  return (a: unknown) => {
    const out = forward(a) as Tensor;
    const ta = tensorCount === 1 && a instanceof TensorClass ? a : null;
    return needs(ta) && out.dtype.differentiable ? recordCall([a], out, [ta]) : out;
  };
}

/** withDerivative's wrapper of a two-argument forward; self-contained (Note [per-op closures]). */
function recordingCall2(
  forward: (...args: unknown[]) => unknown,
  needs: typeof needsGrad,
  recordCall: RecordCall,
  TensorClass: typeof Tensor,
  tensorSlots: readonly number[],
): (a: unknown, b: unknown) => unknown {
  const s0 = tensorSlots[0];
  const s1 = tensorSlots[1];
  return (a: unknown, b: unknown) => {
    const out = forward(a, b) as Tensor;
    const v0 = s0 === 0 ? a : b;
    const t0 = s0 !== undefined && v0 instanceof TensorClass ? v0 : null;
    const t1 = s1 !== undefined && b instanceof TensorClass ? b : null;
    if (!needs(t0, t1) || !out.dtype.differentiable) return out;
    return recordCall([a, b], out, s1 === undefined ? (s0 === undefined ? [] : [t0]) : [t0, t1]);
  };
}

/**
 * A recording primitive without a call form of its own: `forward` (taking `schema`'s arguments)
 * wrapped to record `derivative` as an entry's overload does. For the builtins a Python
 * function calls with its own in-place flag (F.hardswish(x, inplace=True) is
 * torch._C._nn.hardswish_), whose node the registered function cannot record itself.
 * For instance `recordingOp("hardswish(Tensor self) -> Tensor", kernel, { name: "HardswishBackward0", ... })`.
 */
export function recordingOp<F extends (...args: never[]) => Tensor>(
  schema: string,
  forward: F,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- formulas type their own saved set and attributes
  derivative: DerivativeDecl<any, any>,
): F {
  // built on first call (Note [lazy ops])
  return lazyCallable(forward.name, () =>
    withDerivative(
      parseSchema(schema),
      forward as unknown as (...args: unknown[]) => unknown,
      derivative,
    ),
  ) as unknown as F;
}

// ---------------------------------------------------------------------------------------------
// out= and in-place

function canCast(from: DType, to: DType): boolean {
  if (from.isFloatingPoint && !to.isFloatingPoint) return false;
  if (from.name !== "bool" && to.name === "bool") return false;
  return true;
}

/** Write `r` into `out` (PyTorch's out= semantics: resize when needed, cast, no autograd). */
/**
 * A multi-output op's `out=(a, b, ...)`: each output written into its tensor as writeOut does;
 * the result has the op's own form (a named tuple's fields, or an array) holding the out tensors.
 */
function writeOuts(name: string, r: unknown, outs: Tensor[], inputs: readonly unknown[]): unknown {
  const fields = r as Record<string | number, unknown>;
  const written = outs.map((o, i) => writeOut(name, fields[i], o, inputs));
  if (Array.isArray(r)) return written;
  // a named tuple: each field (`values`, `0`, ...) to the out tensor of its position
  const res: Record<string, unknown> = {};
  for (const k of Object.keys(fields))
    res[k] = written[outs.findIndex((_o, i) => fields[i] === fields[k])];
  return namedTuple(res);
}

export function writeOut(
  name: string,
  r: unknown,
  out: Tensor,
  inputs: readonly unknown[],
): Tensor {
  if (!(r instanceof Tensor)) throw runtimeError(`${name}(): out= is not supported for this op`);
  if (
    isGradEnabled() &&
    (out.requiresGrad || inputs.some((v) => v instanceof Tensor && v.requiresGrad))
  )
    throw runtimeError(
      `${name}(): functions with out=... arguments don't support automatic differentiation, but one of the arguments requires grad.`,
    );
  assertNoInternalOverlap(out); // before the cast check, as TensorIterator
  if (!canCast(r.dtype, out.dtype))
    throw runtimeError(
      `result type ${scalarTypeName(r.dtype)} can't be cast to the desired output type ${scalarTypeName(out.dtype)}`,
    );
  checkInferenceWrite(out);
  if (!shapeEqual(out.shape, r.shape)) {
    if (out.numel() !== 0)
      console.warn(
        `UserWarning: An output with one or more elements was resized since it had shape [${out.shape.join(", ")}], which does not match the required output shape [${r.shape.join(", ")}]. This behavior is deprecated, and in a future PyTorch release outputs will not be resized unless they have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).`,
      );
    out.typedArray = castData(r, out.dtype);
    out.shape = r.shape.slice();
    out.strides = contiguousStrides(out.shape);
    out.offset = 0;
  } else writeInto(out, r);
  out._version.value++;
  return out;
}

/**
 * A factory called with `out=` makes its values in out's dtype (`torch.zeros(2, out=int64)`
 * gives integer zeros; ATen's factory_out kernels fill `out` itself), so the forward gets
 * out's dtype when none is given; a different `dtype` is PyTorch's parser error.
 */
function factoryOutDtype(schema: Schema, values: unknown[], out: Tensor): void {
  if (!isFactory(schema)) return;
  const slot = schema.params.findIndex((p) => p.name === "dtype");
  if (slot < 0) return;
  const dtype = values[slot];
  // null, or a default the schema spells (randint's `dtype=long`): out's dtype
  if (!(dtype instanceof DType)) values[slot] = out.dtype;
  else if (dtype !== out.dtype)
    throw runtimeError(
      `dtype ${scalarTypeName(dtype)} does not match dtype of out parameter (${scalarTypeName(out.dtype)})`,
    );
}

/** The in-place form of an overload: computed on self's shadow, written back, self returned. */
function inplaceForward(
  schema: Schema,
  forward: (...args: unknown[]) => unknown,
  savesSelf: boolean,
): (...args: unknown[]) => unknown {
  const selfSlot = schema.params.findIndex((p) => p.name === "self");
  return (...values: unknown[]) => {
    const self = values[selfSlot] as Tensor;
    // Note [sparse tensors]: no in-place kernels on a sparse self (its shadow would be dense)
    if (self._rare !== null && self._rare.sparse !== null)
      return sparseCall(schema.name, schema.overload, values, true, () => null);
    inplace(self, savesSelf, (prev) => {
      const v = values.slice();
      v[selfSlot] = prev;
      return forward(...v) as Tensor;
    });
    return self;
  };
}

/**
 * A factory's forward (Note [factory signatures] in binder.ts): the schema's arguments, then
 * `requires_grad`, set on the new tensor after construction (with PyTorch's dtype check).
 */
function factoryForward(
  schema: Schema,
  forward: (...args: unknown[]) => unknown,
): (...args: unknown[]) => unknown {
  const n = schema.params.length;
  const deviceAt = schema.params.findIndex((p) => p.name === "device");
  return (...values: unknown[]) => {
    if (deviceAt >= 0) checkDeviceAvailable(values[deviceAt]);
    let r = forward(...values) as Tensor;
    // Note [device dispatch]: a factory builds on the CPU and uploads
    if (
      deviceAt >= 0 &&
      values[deviceAt] != null &&
      parseDevice(values[deviceAt])?.type === "webgpu"
    )
      r = toDevice(r);
    if (values[n] === true) {
      if (!r.dtype.differentiable)
        throw runtimeError(
          "Only Tensors of floating point and complex dtype can require gradients",
        );
      r.requiresGrad_(true);
    }
    return r;
  };
}

// ---------------------------------------------------------------------------------------------
// call forms

export type Callable = (...args: unknown[]) => unknown;

/** Each overload's `checkOut`, by its parsed schema (shared by its call forms' signatures). */
const OUT_CHECKS = new WeakMap<Schema, NonNullable<OverloadDecl["checkOut"]>>();
/** Each overload's `checkOutAfter`, likewise. */
const OUT_CHECKS_AFTER = new WeakMap<Schema, NonNullable<OverloadDecl["checkOutAfter"]>>();

type Binder = (self: unknown, args: unknown[]) => ReturnType<typeof bindCall>;

function makeCallable(
  pyName: string,
  sigs: readonly Signature[],
  method: boolean,
  numbersAsTensors: boolean,
  pythonBind?: Binder,
): Callable {
  const bound = sigs.filter((s) => !s.listedOnly);
  const bind: Binder = pythonBind ?? ((self, args) => bindCall(pyName, sigs, self, args));
  const slow = (self: unknown, args: unknown[]): unknown => {
    const b = bind(self, args);
    if (b.out instanceof Tensor) factoryOutDtype(b.sig.schema, b.values, b.out);
    if (b.out !== undefined && b.out !== null)
      OUT_CHECKS.get(b.sig.schema)?.(b.out as never, ...(b.values as never[]));
    if (b.out === undefined || b.out === null) return b.sig.forward(...b.values);
    // Note [autocast dispatch]: PyTorch's out= overloads have no autocast kernel
    const r = autocastState.cpu
      ? outsideAutocast(() => b.sig.forward(...b.values))
      : b.sig.forward(...b.values);
    OUT_CHECKS_AFTER.get(b.sig.schema)?.(b.out as Tensor | Tensor[], ...(b.values as never[]));
    if (Array.isArray(b.out)) return writeOuts(pyName, r, b.out as Tensor[], b.values);
    return writeOut(pyName, r, b.out as Tensor, b.values);
  };
  // a Python function binds by CPython's rules: positional fast callers only
  const converting = pythonBind === undefined;
  const compiled = compileCallable(
    pyName,
    sigs,
    method,
    slow,
    Tensor,
    numbersAsTensors,
    converting,
  );
  if (compiled !== null) return compiled;
  // Note [binder fast path]: overloads are tried in order; an overload without a caller for
  // this argument count ends the fast attempt (only the general path can decide it)
  const attempt = (
    self: unknown,
    n: number,
    a0: unknown,
    a1: unknown,
    a2: unknown,
    a3: unknown,
  ): unknown => {
    for (let i = 0; i < bound.length; i++) {
      const c = bound[i].fast[n];
      if (c === undefined || c === null) return FAST_MISS;
      const r = c(self, a0, a1, a2, a3);
      if (r !== FAST_MISS) return r;
    }
    return FAST_MISS;
  };
  if (method) {
    return function (this: unknown, a0?: unknown, a1?: unknown, a2?: unknown, a3?: unknown) {
      const n = arguments.length;
      if (n <= FAST_MAX_ARGS) {
        const r = attempt(this, n, a0, a1, a2, a3);
        if (r !== FAST_MISS) return r;
      }
      // eslint-disable-next-line prefer-rest-params -- the fast path above must not allocate
      return slow(this, Array.prototype.slice.call(arguments) as unknown[]);
    };
  }
  return function (a0?: unknown, a1?: unknown, a2?: unknown, a3?: unknown) {
    const n = arguments.length;
    if (n <= FAST_MAX_ARGS) {
      const r = attempt(undefined, n, a0, a1, a2, a3);
      if (r !== FAST_MISS) return r;
    }
    // eslint-disable-next-line prefer-rest-params -- the fast path above must not allocate
    return slow(undefined, Array.prototype.slice.call(arguments) as unknown[]);
  };
}

/** A number as PyTorch's wrapped-number tensor (float64, int64 or bool; Note [wrapped numbers]). */
function wrapNumber(v: number | boolean): Tensor {
  const dtype = typeof v === "boolean" ? bool : Number.isInteger(v) ? int64 : float64;
  const t = new Tensor(new dtype.ArrayType(1), [], [], 0, dtype);
  t.typedArray[0] = Number(v);
  t._wrappedNumber = true;
  return t;
}

const FUNCTIONS = new Map<string, Callable>();

/**
 * The binder of a Python function's call (Note [Python functions]): CPython's messages name
 * the Python function, chosen by the flag argument for a `boolean_dispatch` one (read before
 * binding, as boolean_dispatch reads it: the keyword, else the positional slot).
 */
function pythonBinder(decl: OpDecl, name: string, sig: Signature): Binder {
  const py = decl.python;
  if (py === undefined) throw new Error(`op '${decl.name}' is not a Python function`);
  if (typeof py !== "object") {
    const pyName = py === true ? decl.name : py;
    return (_self, args) => bindPython(pyName, name, sig, args);
  }
  const flagOf = (d: PythonDispatch, args: unknown[]): unknown => {
    const slot = sig.params.findIndex((p) => p.name === d.flag);
    if (slot < 0) throw new Error(`op '${decl.name}': no argument '${d.flag}' to dispatch on`);
    const { jsName, name: snake } = sig.params[slot];
    const last = args[args.length - 1];
    const kw = isOptions(last) ? last : null;
    return (
      kw?.[jsName] ??
      kw?.[snake] ??
      (slot < args.length - (kw === null ? 0 : 1) ? args[slot] : false)
    );
  };
  const resolve = (d: string | PythonDispatch, args: unknown[]): string =>
    typeof d === "string" ? d : resolve(flagOf(d, args) ? d.ifTrue : d.ifFalse, args);
  return (_self, args) => bindPython(resolve(py, args), name, sig, args);
}

/** A Python wrapper's form (OpDecl.pythonWrapper): CPython's binding, then its body. */
function wrapperCallable(
  qualname: string,
  params: readonly PyParam[],
  method: boolean,
  body: (...args: unknown[]) => unknown,
): Callable {
  if (method)
    return function (this: unknown, ...args: unknown[]) {
      return body(...bindPythonWrapper(qualname, params, this, true, args));
    };
  return (...args: unknown[]) =>
    body(...bindPythonWrapper(qualname, params, undefined, false, args));
}

/**
 * An op's call as the binder makes it (Note [batched tensors]): `f` outside vmap (one
 * comparison, no argument array for the common arities), the batched call inside. Copied per
 * op (Note [per-op closures]): self-contained.
 */
function batchableCall(
  f: (...args: unknown[]) => unknown,
  batched: (values: unknown[]) => unknown,
  state: { depth: number },
): (...args: unknown[]) => unknown {
  return function (a?: unknown, b?: unknown, c?: unknown): unknown {
    const n = arguments.length;
    if (state.depth === 0) {
      if (n === 1) return f(a);
      if (n === 2) return f(a, b);
      if (n === 3) return f(a, b, c);
      // eslint-disable-next-line prefer-rest-params, prefer-spread -- the plain path passes `arguments` on without copying it
      return f.apply(undefined, arguments as unknown as unknown[]);
    }
    // eslint-disable-next-line prefer-rest-params -- as above
    return batched(Array.prototype.slice.call(arguments) as unknown[]);
  } as (...args: unknown[]) => unknown;
}

/**
 * Note [lazy ops]: declaring an op costs next to nothing; its schemas are parsed, its
 * derivative registered and its callers compiled (Note [binder fast path], Note [per-op
 * closures]) on its first use: the first call of any of its forms, or the first read of its
 * signatures (registeredOps()). The function forms are small forwarders to the built callable,
 * the methods accessors that replace themselves with it, so a program pays at import only for
 * the ops it calls, when it calls them (importing every op's compiled callers took ~0.8 s of
 * CPU).
 */
type BuiltOp = Pick<
  OpEntry,
  | "schemas"
  | "functionSigs"
  | "methodSigs"
  | "inplaceSigs"
  | "inplaceFunctionSigs"
  | "pyFunctionParams"
  | "pyMethodParams"
> & {
  fn: Callable;
  vf: Callable;
  method: Callable | null;
  inplace: Callable | null;
  inplaceFunction: Callable | null;
};

/**
 * The forwarder of a lazy form, named `name`. One function literal for every op (copying it per
 * op, Note [per-op closures], cost more at import than it saves): the program's own references
 * are swapped for the built callable (the generated modules' bindings through `fn`'s `onBuilt`,
 * Tensor.prototype's methods, FUNCTIONS), so only a reference captured before the first call
 * keeps forwarding.
 *
 * Note [named forwarders]: the name comes from a computed property key (the language names a
 * function literal after its key). `Object.defineProperty(f, "name", ...)` would turn each of
 * the ~1500 forwarders into a dictionary-mode object: 5x the memory and 3x the time, a tenth
 * of the import cost (bench/startup.mjs). The literal holding it has a null prototype, which
 * V8 makes a dictionary: with an ordinary prototype, each new name added a hidden class to the
 * one transition tree all these literals share, whose insertion is linear in its size (~2000
 * names: ~19M instructions of the import, `valgrind --tool=callgrind`).
 */
function lazyCallable(name: string, make: () => Callable): Callable {
  let impl: Callable | null = null;
  const f = {
    // a dictionary-mode holder (Note [named forwarders])
    __proto__: null,
    [name]: function (this: unknown): unknown {
      if (impl === null) impl = make();
      // eslint-disable-next-line prefer-rest-params -- forwarded as is: the count matters to the binder
      return impl.apply(this, arguments as unknown as unknown[]);
    },
  }[name] as Callable;
  return f;
}

/**
 * A Tensor method that replaces itself with `make()`'s callable on its first call. A plain
 * value swap: redefining an accessor as a data property would turn Tensor.prototype into a
 * dictionary-mode object, and every method load on every tensor 2-3x slower. Installed while
 * Tensor.prototype is still a dictionary (Note [Tensor.prototype during import]).
 */
function lazyMethod(name: string, make: () => Callable): void {
  const proto = Tensor.prototype as unknown as Record<string, unknown>;
  const stub = lazyCallable(name, () => {
    const f = make();
    if (proto[name] === stub) proto[name] = f;
    return f;
  });
  proto[name] = stub;
}

/** What a registry entry reads from its built op (Note [lazy ops]), as getters. */
const ENTRY_PROTO: object = {};
for (const f of [
  "schemas",
  "functionSigs",
  "methodSigs",
  "inplaceSigs",
  "inplaceFunctionSigs",
  "pyFunctionParams",
  "pyMethodParams",
] as const) {
  Object.defineProperty(ENTRY_PROTO, f, {
    get(this: OpEntry) {
      return (BUILDERS.get(key(this.namespace, this.jsName)) as () => BuiltOp)()[f];
    },
  });
}

/**
 * The schema's leading word (`/^\w+/`), by a scan: the regular expression's match array was a
 * tenth of defineOp's cost (`node --cpu-prof`).
 */
function leadingWord(schema: string): string | undefined {
  let i = 0;
  for (; i < schema.length; i++) {
    const c = schema.charCodeAt(i);
    const word = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
    if (!word) break;
  }
  return i === 0 ? undefined : schema.slice(0, i);
}

/** Whether a schema string has a `self` parameter (its in-place form needs one). */
const hasSelfParam = (schema: string): boolean =>
  /[ (]self[,)= ]/.test(schema.slice(0, schema.indexOf("->")));

/** Whether an op has an in-place method, from its declaration alone (buildOp checks it). */
const hasInplaceForm = (decl: OpDecl): boolean =>
  decl.variants.includes("inplace") &&
  (decl.methodOverloads ?? decl.overloads).some(
    (o) => o.inplace !== false && hasSelfParam(o.schema),
  );

/**
 * Declare an op; installs its method forms on Tensor and returns its function form (`fn`) and
 * the binder of its overloads (`vf`, PyTorch's `torch._VF.x`: the function form unless the op
 * is a Python wrapper, OpDecl.pythonWrapper). Built on first use (Note [lazy ops]).
 * For instance `export const atan2 = defineOp({ name: "atan2", ... }).fn;` (docs/adding-an-op.md).

 */
export function defineOp(decl: OpDecl): OpEntry & { fn: Callable; vf: Callable } {
  const jsName = decl.jsName ?? camelCase(decl.name);
  const namespace = decl.namespace ?? "torch";
  const k = key(namespace, jsName);
  if (REGISTRY.has(k)) throw new Error(`op '${k}' is declared twice`);
  if (namespace !== "torch" && decl.variants.some((v) => v !== "function"))
    throw new Error(`op '${k}': only torch ops have method forms`);
  if (
    decl.python !== undefined &&
    (decl.overloads.length !== 1 || (decl.methodOverloads?.length ?? 1) !== 1)
  )
    throw new Error(`op '${k}': a Python function has one signature`);
  const batchSpec = decl.batch ?? batchRuleFor(namespace, decl.name);
  let built: BuiltOp | null = null;
  const build = (): BuiltOp => (built ??= buildOp(decl, jsName, namespace, batchSpec));
  const has = (v: Variant): boolean => decl.variants.includes(v);
  const hasInplace = hasInplaceForm(decl);
  const fnName = leadingWord(decl.overloads[0].schema) ?? jsName;
  const fnForm = has("function")
    ? lazyCallable(fnName, () => swapIn(k, build().fn))
    : notAFunction(decl.name);
  // the built fields are ENTRY_PROTO's getters
  const entry = Object.assign(Object.create(ENTRY_PROTO) as object, decl, {
    batch: batchSpec,
    jsName,
    namespace,
  }) as OpEntry & { fn: Callable; vf: Callable };
  entry.fn = fnForm;
  // buildOp's `fn` is its `vf` unless a Python wrapper has a function form: then the forwarder
  // is shared (one function less per op at import)
  entry.vf =
    has("function") && decl.pythonWrapper?.function !== undefined
      ? lazyCallable(fnName, () => build().vf)
      : fnForm;
  REGISTRY.set(k, entry);
  BUILDERS.set(k, build);
  if (has("method")) lazyMethod(jsName, () => build().method as Callable);
  if (hasInplace) lazyMethod(`${jsName}_`, () => build().inplace as Callable);
  if (has("function")) FUNCTIONS.set(k, fnForm);
  const inplaceFunction =
    hasInplace && namespace === "torch" && TORCH_INPLACE_FUNCTIONS.has(decl.name);
  if (inplaceFunction)
    FUNCTIONS.set(
      key(namespace, `${jsName}_`),
      lazyCallable(`${fnName}_`, () =>
        swapIn(key(namespace, `${jsName}_`), build().inplaceFunction as Callable),
      ),
    );
  if (declared !== null) {
    // the manifest of lazy op families (Note [lazy op families])
    declared.keys.push(k);
    const named = (fk: string, name: string): string =>
      name === fk.slice(fk.lastIndexOf(".") + 1) ? fk : `${fk}:${name}`;
    if (has("function")) declared.functions.push(named(k, fnName));
    if (inplaceFunction) declared.functions.push(named(`${jsName}_`, `${fnName}_`));
    if (has("method")) declared.methods.push(jsName);
    if (hasInplace) declared.methods.push(`${jsName}_`);
  }
  return entry;
}

/** Everything defineOp defers (Note [lazy ops]): the parsed schemas, signatures and callers. */
function buildOp(
  decl: OpDecl,
  jsName: string,
  namespace: Namespace,
  batchSpec: BatchSpec | undefined,
): BuiltOp {
  const k = key(namespace, jsName);
  const numbersAsTensors = decl.numbersAsTensors ?? false;
  // Note [batched tensors]: one comparison on the plain path; the batched one inside vmap
  const batchable = (
    schema: Schema,
    f: ((...args: unknown[]) => unknown) | null,
    isInplace: boolean,
  ): ((...args: unknown[]) => unknown) | null => {
    if (f === null) return null;
    const name = isInplace ? `${schema.name}_` : schema.name;
    // Note [autocast dispatch]: an op with a cast policy (in-place forms have none) is cast
    // first under CPU autocast, then comes back through `g` with autocast off
    const policy = isInplace ? null : autocastPolicy(schema);
    // the common arities without an argument array: these run on every op call
    // Note [op tracing]: a running tracer takes the call when no vmap level runs
    const batched = (values: unknown[]): unknown => {
      if (policy !== null && autocastState.cpu) {
        const p = typeof policy === "function" ? policy(values) : policy;
        if (p !== null) return autocastCall(p, g, values);
      }
      const tracer = activeTracer();
      return tracer !== null
        ? tracer(name, schema, f, values)
        : batchedCall(name, schema, batchSpec, g, f, values, isInplace);
    };
    const g = perOp(batchableCall, name)(f, batched, vmapState);
    return g;
  };
  const prepare = (o: OverloadDecl) => {
    const schema = parseSchema(o.schema);
    if (o.checkOut !== undefined) OUT_CHECKS.set(schema, o.checkOut);
    if (o.checkOutAfter !== undefined) OUT_CHECKS_AFTER.set(schema, o.checkOutAfter);
    const declared = o.forward as ((...args: unknown[]) => unknown) | null;
    // Note [argument kinds]: device operands run on their device, float16/bfloat16 operands
    // compute in float32, complex ones on their real parts through `recorded` (Note [complex
    // compute]); one scan of the arguments decides
    let recorded: ((...args: unknown[]) => unknown) | null = null;
    const raw =
      declared === null
        ? null
        : kindAware(schema, declared, o.derivative === undefined, false, () => recorded);
    let forward = raw;
    if (forward !== null && o.derivative !== undefined)
      forward = withDerivative(schema, forward, o.derivative);
    recorded = forward;
    if (forward !== null && isFactory(schema)) forward = factoryForward(schema, forward);
    let inplaceFwd = forward;
    let inplaceDerivative = o.derivative;
    if (raw !== null && o.inplace !== undefined && o.inplace !== false) {
      const f = kindAware(
        schema,
        o.inplace.forward as (...args: unknown[]) => unknown,
        o.inplace.derivative === undefined,
        true,
      );
      inplaceDerivative = o.inplace.derivative;
      inplaceFwd =
        inplaceDerivative === undefined
          ? f
          : withDerivative({ ...schema, name: `${schema.name}_` }, f, inplaceDerivative);
    }
    return {
      schema,
      forward: batchable(schema, forward, false),
      named: raw === null ? namedOverloadError(schema, o.named) : undefined,
      inplaceFwd,
      savesSelf: inplaceDerivative?.save.includes("self") ?? true,
      out: o.out ?? decl.out ?? false,
      hidden: o.hidden ?? false,
      hasInplace: o.inplace !== false,
    };
  };
  // an overload shared by the function and method lists is prepared (and its derivative
  // registered) once
  const prepared = new Map<OverloadDecl, ReturnType<typeof prepare>>();
  const prep = (o: OverloadDecl): ReturnType<typeof prepare> => {
    let p = prepared.get(o);
    if (p === undefined) prepared.set(o, (p = prepare(o)));
    return p;
  };
  const fnOverloads = decl.overloads.map(prep);
  const mOverloads =
    decl.methodOverloads === undefined ? fnOverloads : decl.methodOverloads.map(prep);
  const sig = (
    o: ReturnType<typeof prepare>,
    method: boolean,
    forward = o.forward,
    hasOut = o.out,
  ) =>
    makeSignature(
      {
        schema: o.schema,
        forward,
        numbersAsTensors,
        hasOut,
        hidden: o.hidden,
        untyped: decl.untyped,
        named: o.named,
      },
      method,
    );
  const has = (v: Variant) => decl.variants.includes(v);
  // Note [wrapped numbers]: the function form may get a number as `self` (torch.add(2, t))
  const wrapSelf = (o: ReturnType<typeof prepare>): typeof o.forward => {
    const f = o.forward;
    const selfSlot = o.schema.params.findIndex((p) => p.name === "self");
    if (!numbersAsTensors || f === null || selfSlot < 0) return f;
    return (...v: unknown[]) => {
      const s = v[selfSlot];
      if (typeof s === "number" || typeof s === "boolean") v[selfSlot] = wrapNumber(s);
      return f(...v);
    };
  };
  const functionSigs = has("function") ? fnOverloads.map((o) => sig(o, false, wrapSelf(o))) : [];
  const methodSigs = has("method") ? mOverloads.map((o) => sig(o, true)) : [];
  const inplaceOverloads = has("inplace")
    ? mOverloads
        .filter((o) => o.hasInplace && o.schema.params.some((p) => p.name === "self"))
        .map((o) => ({
          o,
          forward:
            o.inplaceFwd === null
              ? null
              : batchable(o.schema, inplaceForward(o.schema, o.inplaceFwd, o.savesSelf), true),
        }))
    : [];
  const inplaceSigs = inplaceOverloads.map(({ o, forward }) => sig(o, true, forward));
  // torch.abs_(t): the same overloads bound as a function (self is the first argument)
  const inplaceFunctionSigs =
    namespace === "torch" && TORCH_INPLACE_FUNCTIONS.has(decl.name)
      ? inplaceOverloads.map(({ o, forward }) => sig(o, false, forward, false))
      : [];
  // messages name the schema's function: F.logsigmoid is the builtin log_sigmoid
  const msgName = fnOverloads[0].schema.name;
  const vf =
    functionSigs.length > 0
      ? makeCallable(
          msgName,
          functionSigs,
          false,
          numbersAsTensors,
          decl.python === undefined ? undefined : pythonBinder(decl, msgName, functionSigs[0]),
        )
      : notAFunction(decl.name);
  const wrapper = decl.pythonWrapper;
  const pyFunctionParams = wrapper?.function === undefined ? null : parsePyParams(wrapper.function);
  const pyMethodParams = wrapper?.method === undefined ? null : parsePyParams(wrapper.method);
  const methodName = decl.python === undefined ? msgName : `Tensor.${msgName}`;
  const method =
    methodSigs.length === 0
      ? null
      : wrapper !== undefined && pyMethodParams !== null
        ? wrapperCallable(`Tensor.${decl.name}`, pyMethodParams as PyParam[], true, wrapper.body)
        : makeCallable(
            methodName,
            methodSigs,
            true,
            numbersAsTensors,
            decl.python === undefined
              ? undefined
              : (self, args) => bindPython(methodName, msgName, methodSigs[0], args, self),
          );
  const inplace =
    inplaceSigs.length === 0
      ? null
      : makeCallable(`${msgName}_`, inplaceSigs, true, numbersAsTensors);
  const inplaceFunction =
    inplaceFunctionSigs.length === 0
      ? null
      : makeCallable(`${msgName}_`, inplaceFunctionSigs, false, numbersAsTensors);
  // defineOp installed the forms from the declaration alone: they must be these
  if ((method !== null) !== has("method") || (inplace !== null) !== hasInplaceForm(decl))
    throw new Error(`op '${k}': its forms differ from its declaration's`);
  return {
    schemas: fnOverloads.map((o) => o.schema),
    functionSigs,
    methodSigs,
    inplaceSigs,
    inplaceFunctionSigs,
    pyFunctionParams,
    pyMethodParams,
    fn:
      wrapper === undefined || pyFunctionParams === null || functionSigs.length === 0
        ? vf
        : wrapperCallable(decl.name, pyFunctionParams as PyParam[], false, wrapper.body),
    vf,
    method,
    inplace,
    inplaceFunction,
  };
}

/**
 * Note [named overloads]: tensorgrad has no named tensors, so a call that binds only a
 * Dimname overload (binder.ts tries them after every other) raises what PyTorch raises for an
 * unnamed tensor: the first name looked up is not among its dims' names (all None), or the
 * op's not-yet-implemented message. A call that would create named dims (`names=`, flatten's
 * `out_dim` from int dims) works in PyTorch and is refused here.
 */
function namedOverloadError(
  schema: Schema,
  named: OverloadDecl["named"],
): (values: readonly unknown[]) => Error | null {
  const nameParams = schema.params.filter((p) => p.base === "Dimname");
  const lookedUp = nameParams.find((p) => p.name === (named?.nameArg ?? nameParams[0]?.name));
  const at = schema.params.findIndex((p) => p === lookedUp);
  const tensorAt = schema.params.findIndex((p) => p.base === "Tensor");
  return (values) => {
    if (named?.nyi !== undefined)
      return runtimeError(
        `${named.nyi}: You passed a dimname (string) to this op in place of a dimension index but it does not yet support this behavior. Please pass a dimension index to work around this.`,
      );
    const v = at < 0 ? null : values[at];
    // `names=None`: no names, the plain overload's call (binder.ts rebinds without it)
    if (v === null && tensorAt < 0) return null;
    const first: unknown = tensorAt < 0 ? null : values[tensorAt];
    const t = Array.isArray(first) ? (first[0] as unknown) : first;
    if (named?.creates === true || v === null || !(t instanceof Tensor))
      return notImplementedError(
        `${schema.name}: named tensors (dimension names) are not supported by tensorgrad`,
      );
    const name = Array.isArray(v) ? (v[0] as unknown) : v;
    if (name === null) return runtimeError("Please look up dimensions by name, got: name = None.");
    const dims = new Array<string>(t.dim()).fill("None").join(", ");
    return runtimeError(`Name '${String(name)}' not found in Tensor[${dims}].`);
  };
}

const warnedDeprecated = new Set<string>();
/** PyTorch's warning for a deprecated signature (once per op, as Python's warnings do). */
export function deprecated(name: string, old: string, replacement: string): void {
  if (warnedDeprecated.has(name)) return;
  warnedDeprecated.add(name);
  console.warn(
    `UserWarning: This overload of ${name} is deprecated:\n\t${old}\nConsider using one of the following signatures instead:\n\t${replacement}`,
  );
}

function notAFunction(name: string): Callable {
  return () => {
    throw new TypeError(`torch.${name} is a Tensor method only`);
  };
}

/**
 * The callable an op's function form forwards to once built (Note [lazy ops]): its compiled
 * caller, for inspection.
 */
export function builtFunction(jsName: string, namespace: Namespace = "torch"): Callable {
  FAMILY.get(key(namespace, jsName))?.();
  const e = BUILDERS.get(key(namespace, jsName));
  if (e === undefined) throw new Error(`op '${key(namespace, jsName)}' has no function form`);
  return e().fn;
}

/** Bindings to swap for an op's built function form (Note [lazy ops]), by key. */
const SWAPS = new Map<string, ((f: Callable, key: string) => void)[]>();
/**
 * The keys whose FUNCTIONS entry is the built callable: the others still hold defineOp's
 * forwarder (a set of the keys swapped so far, not a WeakSet of every forwarder made at
 * import: its insertions were ~2% of the package's evaluation, `node --cpu-prof`).
 */
const SWAPPED = new Set<string>();

/** A function form is built: FUNCTIONS and the bindings given to `fn` take it. */
function swapIn(k: string, f: Callable): Callable {
  FUNCTIONS.set(k, f);
  SWAPPED.add(k);
  const swaps = SWAPS.get(k);
  if (swaps !== undefined) {
    SWAPS.delete(k);
    for (const s of swaps) s(f, k);
  }
  return f;
}

/**
 * The function form of a registered op (`fn("atan2")`, `fn("softplus", "nn.functional")`);
 * `onBuilt` is given the built callable and the op's key when the op is built (Note [lazy
 * ops]), so that a module's binding of this form can become it (Note [one swap per module]).
 */
export function fn(
  jsName: string,
  namespace: Namespace = "torch",
  onBuilt?: (f: Callable, key: string) => void,
): Callable {
  const k = key(namespace, jsName);
  const f = FUNCTIONS.get(k);
  if (f === undefined) throw new Error(`op '${k}' has no function form`);
  if (onBuilt !== undefined && !SWAPPED.has(k)) {
    const swaps = SWAPS.get(k);
    if (swaps === undefined) SWAPS.set(k, [onBuilt]);
    else swaps.push(onBuilt);
  }
  return f;
}
