/**
 * Replaying op_db samples (the fixtures of scripts/fixtures/opdb_fx.py and the modules built on
 * it) against tensorgrad: building the arguments, calling each variant, comparing results and
 * gradients with PyTorch's. test/opdb-dtypes.test.ts runs the samples of every dtype through it
 * (half types compared with PyTorch's half tolerances, integers exactly, complex through their
 * real views); test/opdb.test.ts documents the call forms and the known-failures mechanism.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";

import * as torch from "../../src/index.js";
import { Tensor } from "../../src/index.js";

import { decodeNumber, type Err, type NonFinite } from "./fixtures.js";

// ---------------------------------------------------------------------------------------------
// the fixture's shape (see scripts/fixtures/opdb_fx.py)

export type Variant = "function" | "method" | "inplace";
export type Form = "kwargs" | "positional";

/** An argument: tensor reference, tagged number, list, tuple, dtype, or a JSON primitive. */
export type Val =
  | null
  | boolean
  | string
  | { t: number }
  | { int: number }
  | { float: number | NonFinite }
  | { list: Val[] }
  | { tuple: Val[] }
  | { dtype: string };

export interface TRec {
  shape: number[];
  dtype: string;
  /** flat, row-major; null for uninitialised memory (torch.empty) */
  values: (number | boolean | NonFinite)[] | null;
  requires_grad: boolean;
  grad_fn?: string | null;
}

/** A result: a tensor record, a tuple/list of results, or a non-tensor value. */
export type Tree = Val | { tensor: TRec } | { list: Tree[] } | { tuple: Tree[] };

export interface Call {
  id: string;
  seed: number;
  tensors: TRec[];
  input: Val;
  args: Val[];
  kwargs: Record<string, Val>;
  schema: string | null;
  kwarg_positions: Record<string, number | null> | null;
  positional?: Val[];
  kwonly?: Record<string, Val>;
  positional_variants?: Variant[];
}

export interface Sample extends Call {
  dtype: string;
  out?: Tree;
  out_error?: Err | null;
  weights?: (TRec | null)[] | null;
  grads?: (TRec | null)[] | null;
  inplace: { out: Tree } | { error: Err } | null;
}

export interface ErrorSample extends Call {
  errors: Partial<Record<Variant, Err>>;
}

export interface Op {
  name: string;
  variant_test_name: string;
  section: "torch" | "functional" | "special" | "linalg" | "fft";
  autograd: boolean;
  variants: Variant[];
  samples: Sample[];
  errors: ErrorSample[];
}

// ---------------------------------------------------------------------------------------------
// names

/** PyTorch's snake_case name in camelCase: log_softmax -> logSoftmax (a trailing _ stays). */
export function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export type Fn = (...args: unknown[]) => unknown;

/** tensorgrad's function of an op (torch.x or torch.nn.functional.x), if it has one. */
export function functionOf(op: Op): Fn | null {
  const tail = op.name.split(".").pop()!;
  if (tail.startsWith("_")) return null; // private and dunder names have no camelCase twin
  const ns = (
    op.section === "functional"
      ? torch.nn.functional
      : op.section === "special"
        ? torch.special
        : op.section === "linalg"
          ? torch.linalg
          : op.section === "fft"
            ? torch.fft
            : torch
  ) as Record<string, unknown>;
  const f = ns[camel(tail)];
  return typeof f === "function" ? (f as Fn) : null;
}

/** A Python operator method's name (`__radd__`, `__getitem__`): kept as it is in JavaScript. */
const isDunder = (name: string): boolean => /^__[a-z0-9_]+__$/.test(name);

/**
 * The Tensor method name of a variant: x, or x_ in place (an op named x_ is that method); an
 * operator method `__x__` is the method of that very name (its in-place forms are dunders of
 * their own, `__iadd__`).
 */
export function methodName(op: Op, variant: "method" | "inplace"): string | null {
  if (isDunder(op.name)) return variant === "method" ? op.name : null;
  if (op.name.startsWith("_")) return null;
  const name = camel(op.name);
  return variant === "inplace" && !op.name.endsWith("_") ? `${name}_` : name;
}

function hasMethod(name: string | null): boolean {
  if (name === null) return false;
  return typeof (Tensor.prototype as unknown as Record<string, unknown>)[name] === "function";
}

export function variantPresent(op: Op, v: Variant): boolean {
  return v === "function" ? functionOf(op) !== null : hasMethod(methodName(op, v));
}

export const fullName = (op: Op): string =>
  op.variant_test_name ? `${op.name}.${op.variant_test_name}` : op.name;

// ---------------------------------------------------------------------------------------------
// building arguments

export const DTYPES: Record<string, torch.DType> = Object.fromEntries(
  [
    torch.float32,
    torch.float64,
    torch.float16,
    torch.bfloat16,
    torch.complex32,
    torch.complex64,
    torch.complex128,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.uint8,
    torch.bool,
  ].map((d) => [d.name, d]),
);

export function makeTensor(r: TRec): Tensor {
  const dtype = DTYPES[r.dtype];
  const n = r.shape.reduce((a, b) => a * b, 1) * dtype.lanes;
  const values = r.values ?? new Array<number>(n).fill(0);
  const flatValues = values.map((v) => (typeof v === "boolean" ? v : decodeNumber(v)));
  // a complex record holds its real view (each real part, then its imaginary part)
  const t = dtype.isComplex
    ? torch
        .viewAsComplex(
          torch
            .tensor(flatValues, {
              dtype:
                dtype === torch.complex64
                  ? torch.float32
                  : dtype === torch.complex32
                    ? torch.float16
                    : torch.float64,
            })
            .reshape([...r.shape, 2]),
        )
        .clone()
    : torch.tensor(flatValues, { dtype }).reshape(r.shape);
  return r.requires_grad ? t.requiresGrad_() : t;
}

export function isTagged<K extends string>(v: unknown, key: K): v is Record<K, unknown> {
  return typeof v === "object" && v !== null && key in v;
}

/** An argument with tensor references resolved in `tensors`. */
export function decodeVal(v: Val, tensors: Tensor[]): unknown {
  if (v === null || typeof v !== "object") return v;
  if ("t" in v) return tensors[v.t];
  if ("int" in v) return v.int;
  if ("float" in v) return decodeNumber(v.float);
  if ("list" in v) return v.list.map((x) => decodeVal(x, tensors));
  if ("tuple" in v) return v.tuple.map((x) => decodeVal(x, tensors));
  if ("dtype" in v) return DTYPES[v.dtype];
  throw new Error(`unknown argument encoding ${JSON.stringify(v)}`);
}

function options(kw: Record<string, Val>, tensors: Tensor[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(kw).map(([k, v]) => [camel(k), decodeVal(v, tensors)]));
}

/** The argument list of a call form: positional arguments, then the options object if any. */
export function callArgs(c: Call, form: Form, tensors: Tensor[]): unknown[] {
  const positional = form === "kwargs" ? [c.input, ...c.args] : c.positional!;
  const kw = form === "kwargs" ? c.kwargs : c.kwonly!;
  const args = positional.map((v) => decodeVal(v, tensors));
  if (Object.keys(kw).length > 0) args.push(options(kw, tensors));
  return args;
}

/** Forms to try: kwargs always; positional where PyTorch accepts it for this variant. */
function formsOf(c: Call, variant: Variant): Form[] {
  const positional = c.positional !== undefined && c.positional_variants?.includes(variant);
  return positional ? ["kwargs", "positional"] : ["kwargs"];
}

interface Invocation {
  result: unknown;
  tensors: Tensor[];
  /** the tensor an in-place variant wrote into (a clone of the input) */
  target?: Tensor;
}

/** Calls one variant in one form on fresh tensors, right after seeding as the fixture did. */
export function invoke(op: Op, c: Call, variant: Variant, form: Form): Invocation {
  const tensors = c.tensors.map(makeTensor);
  const args = callArgs(c, form, tensors);
  torch.manualSeed(c.seed);
  if (variant === "function") return { result: functionOf(op)!(...args), tensors };
  const self = args[0];
  if (!(self instanceof Tensor)) throw new Error("method call on a non-tensor input");
  const name = methodName(op, variant)!;
  if (variant === "method") {
    const m = (self as unknown as Record<string, Fn>)[name];
    return { result: m.apply(self, args.slice(1)), tensors };
  }
  const target = self.clone();
  const m = (target as unknown as Record<string, Fn>)[name];
  return { result: m.apply(target, args.slice(1)), tensors, target };
}

/** How a call looked, for failure messages: torch.sum(T, {dim, keepdim}). */
export function describe(op: Op, c: Call, variant: Variant, form: Form): string {
  const show = (v: Val): string => {
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    if ("t" in v) return "T";
    if ("int" in v) return String(v.int);
    if ("float" in v) return String(v.float);
    if ("list" in v) return `[${v.list.map(show).join(", ")}]`;
    if ("tuple" in v) return `[${v.tuple.map(show).join(", ")}]`;
    return `torch.${v.dtype}`;
  };
  const positional = form === "kwargs" ? [c.input, ...c.args] : c.positional!;
  const kw = form === "kwargs" ? c.kwargs : c.kwonly!;
  const parts = positional.map(show);
  const keys = Object.keys(kw).map(camel);
  if (keys.length > 0) parts.push(`{${keys.join(", ")}}`);
  const ns =
    op.section === "functional"
      ? "F"
      : op.section === "special" || op.section === "linalg" || op.section === "fft"
        ? `torch.${op.section}`
        : "torch";
  const tail = camel(op.name.split(".").pop()!);
  if (variant === "function") return `${ns}.${tail}(${parts.join(", ")})`;
  return `${parts[0]}.${methodName(op, variant)}(${parts.slice(1).join(", ")})`;
}

// ---------------------------------------------------------------------------------------------
// comparing

/**
 * |actual - expected| <= atol + rtol * |expected|. op_db's inputs are of magnitude 1 to 10, so
 * float32 sums of products (convolutions, reductions) in another order differ by ~1e-6
 * absolutely even where they cancel to a small result: atol 1e-5. Half types: PyTorch's own
 * defaults (torch.testing.assert_close: float16 rtol 1e-3, bfloat16 1.6e-2, about one unit in
 * the last place), atol 1e-5. Integers and bool: exact.
 */
export function tolerance(dtype: string, grad: boolean): { rtol: number; atol: number } {
  const k = grad ? 10 : 1;
  if (dtype === "float32" || dtype === "complex64") return { rtol: 1e-5 * k, atol: 1e-5 * k };
  if (dtype === "float64" || dtype === "complex128") return { rtol: 1e-9 * k, atol: 1e-12 * k };
  if (dtype === "float16" || dtype === "complex32") return { rtol: 1e-3 * k, atol: 1e-5 * k };
  if (dtype === "bfloat16") return { rtol: 1.6e-2 * k, atol: 1e-5 * k };
  return { rtol: 0, atol: 0 };
}

export function close(x: number, y: number, rtol: number, atol: number): boolean {
  if (Number.isNaN(y)) return Number.isNaN(x);
  if (!Number.isFinite(y)) return x === y;
  return Math.abs(x - y) <= atol + rtol * Math.abs(y);
}

/** The values in row-major order (complex: the real view's, each real then imaginary part). */
export function flat(t: Tensor): number[] {
  const d = t.detach();
  // half elements are 16-bit patterns (Note [half storage]): float32 holds each value exactly
  const r = d.dtype.isComplex ? torch.viewAsReal(d.resolveConj()) : d;
  const c = (r.dtype.isHalf ? r.float() : r).contiguous();
  return Array.from(c.typedArray.subarray(c.offset, c.offset + c.numel()), Number);
}

/** A tensor against its record; `grad` loosens the tolerance and skips the autograd fields. */
export function checkTensor(t: unknown, r: TRec, what: string, grad = false): void {
  assert.ok(t instanceof Tensor, `${what}: expected a tensor, got ${typeof t}`);
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype ${t.dtype.name} vs ${r.dtype}`);
  if (!grad) {
    assert.equal(t.requiresGrad, r.requires_grad, `${what}: requiresGrad`);
    if (r.grad_fn !== undefined) {
      const got = gaugeGradFn.has(t) ? gaugeGradFn.get(t) : (t.gradFn?.name() ?? null);
      assert.equal(got, r.grad_fn, `${what}: grad_fn ${got} vs ${r.grad_fn}`);
    }
  }
  if (r.values === null) return;
  const got = flat(t);
  const want = r.values.map((v) => (typeof v === "boolean" ? Number(v) : decodeNumber(v)));
  const { rtol, atol } = tolerance(r.dtype, grad);
  const bad = want.findIndex((y, i) => !close(got[i], y, rtol, atol));
  assert.ok(bad < 0, `${what}: values differ at ${bad}: ${got[bad]} vs ${want[bad]}`);
}

/**
 * Note [eigenvector gauge]: an eigenvector or a pair of singular vectors is defined up to its
 * sign (LAPACK picks one its own way), and so are the values and gradients that depend on it.
 * Before comparing, each such column (eigh's eigenvectors, svd's U; svd's Vh rows and
 * torch.svd's V columns share U's signs) is multiplied by the sign that aligns it with
 * PyTorch's: the product is a constant in the graph, so the gradients of sum(out * w) through
 * it are PyTorch's. `GAUGE` lists, per op, which result holds the vectors as columns and which
 * share their signs as rows (Vh) or columns (V). linalg.eig's complex eigenvectors are fixed by
 * LAPACK up to a sign only (unit norm, largest component real: Note [eig normalisation] in
 * src/backend/eig.ts), and that sign hinges on rounding (float32 input runs sgeev in PyTorch):
 * the sign of Re(<got, want>) aligns each column.
 */
const GAUGE: Record<string, { cols: number; rows?: number; alsoCols?: number }> = {
  "linalg.eig": { cols: 1 },
  "linalg.eigh": { cols: 1 },
  "linalg.svd": { cols: 0, rows: 2 },
  svd: { cols: 0, alsoCols: 2 },
  symeig: { cols: 1 },
};

/** grad_fn names of the aligned stand-ins (Note [eigenvector gauge]): their originals'. */
const gaugeGradFn = new WeakMap<Tensor, string | null>();

/** The result with its gauge columns aligned to the record's (Note [eigenvector gauge]). */
export function alignGauge(op: Op, result: unknown, tree: Tree): unknown {
  const g = GAUGE[op.name];
  if (g === undefined || !isTagged(tree, "tuple") || typeof result !== "object") return result;
  const seq = result as Record<number, unknown>;
  const items = tree.tuple as Tree[];
  const u = seq[g.cols];
  const rec = items[g.cols];
  if (!(u instanceof Tensor) || !isTagged(rec, "tensor")) return result;
  const r = rec.tensor as TRec;
  if (r.values === null || u.numel() === 0 || u.shape.join() !== r.shape.join()) return result;
  const [m, k] = u.shape.slice(-2);
  const got = flat(u);
  const want = r.values.map((v) => decodeNumber(v as number | NonFinite));
  const signs: number[] = [];
  // complex values are interleaved: Re(<got, want>) sums both parts' products
  const lanes = u.dtype.isComplex ? 2 : 1;
  for (let b = 0; b < got.length / (m * k * lanes); b++) {
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let i = 0; i < m; i++)
        for (let l = 0; l < lanes; l++) {
          const at = lanes * (b * m * k + i * k + j) + l;
          dot += got[at] * want[at];
        }
      signs.push(dot < 0 ? -1 : 1);
    }
  }
  const batch = u.shape.slice(0, -2);
  const d = torch
    .tensor(signs, { dtype: u.dtype.isComplex ? u.real.dtype : u.dtype })
    .reshape([...batch, 1, k]);
  const out = items.map((_t, i) => seq[i]);
  const swap = (i: number, f: (t: Tensor) => Tensor): void => {
    const t = out[i];
    if (!(t instanceof Tensor)) return;
    const a = f(t);
    gaugeGradFn.set(a, t.gradFn?.name() ?? null);
    out[i] = a;
  };
  swap(g.cols, (t) => t.mul(d));
  // Vh has min(m, n) rows: the first ones of U's columns
  if (g.rows !== undefined) swap(g.rows, (t) => t.mul(d.narrow(-1, 0, t.shape.at(-2)!).mT));
  if (g.alsoCols !== undefined) swap(g.alsoCols, (t) => t.mul(d.narrow(-1, 0, t.shape.at(-1)!)));
  return out;
}

/** A result against its tree; returns the result's tensors in the fixture's (pre-)order. */
export function checkTree(actual: unknown, tree: Tree, what: string): Tensor[] {
  if (isTagged(tree, "tensor")) {
    checkTensor(actual, tree.tensor as TRec, what);
    return [actual as Tensor];
  }
  if (isTagged(tree, "tuple") || isTagged(tree, "list")) {
    const items = (isTagged(tree, "tuple") ? tree.tuple : tree.list) as Tree[];
    assert.ok(typeof actual === "object" && actual !== null, `${what}: expected a sequence`);
    if (Array.isArray(actual)) assert.equal(actual.length, items.length, `${what}: length`);
    const seq = actual as Record<number, unknown>;
    return items.flatMap((t, i) => checkTree(seq[i], t, `${what}[${i}]`));
  }
  if (isTagged(tree, "int") || isTagged(tree, "float")) {
    const want = decodeVal(tree as Val, []) as number;
    assert.equal(typeof actual, "number", `${what}: expected a number`);
    assert.ok(close(actual as number, want, 1e-6, 1e-7), `${what}: ${String(actual)} vs ${want}`);
    return [];
  }
  if (isTagged(tree, "dtype")) {
    assert.equal(actual, DTYPES[tree.dtype as string], `${what}: dtype`);
    return [];
  }
  if (tree === null) assert.ok(actual === null || actual === undefined, `${what}: expected None`);
  else assert.equal(actual, tree, what);
  return [];
}

/**
 * The outputs a sample's loss reads, for the ops whose fixture applied op_db's
 * output_process_fn_grad (opdb_fx.py's GRAD_PROCESSED): linalg.eig's loss reads the eigenvalues
 * and abs(eigenvectors), as op_db's out_fn (a loss depending on the eigenvectors' phases is
 * ill-defined and raises).
 */
const GRAD_PROCESSED: Record<string, (outs: Tensor[], s: Sample) => Tensor[]> = {
  // samples op_db gives no out_fn (the empty ones) read V itself: their weight for V is that
  // of a complex tensor (V's shape and a trailing 2)
  "linalg.eig": ([L, V], s) => (s.weights?.[1]?.shape.length === V.dim() ? [L, V.abs()] : [L, V]),
};

/** Gradients of sum_i sum(out_i * w_i) against the fixture's. */
export function checkGrads(s: Sample, outs: Tensor[], tensors: Tensor[]): void {
  if (!s.grads || !s.weights) return;
  // a complex output enters as its real view (opdb_fx.py's gradients())
  const real = (t: Tensor): Tensor => (t.dtype.isComplex ? torch.viewAsReal(t.resolveConj()) : t);
  const terms = s.weights.flatMap((w, i) =>
    w === null ? [] : [real(outs[i]).mul(makeTensor(w)).sum()],
  );
  const total = terms.reduce((a, b) => a.add(b));
  const wrt = tensors.filter((t, j) => s.tensors[j].requires_grad && t.requiresGrad);
  assert.equal(
    wrt.length,
    s.tensors.filter((r) => r.requires_grad).length,
    "inputs requiring grad",
  );
  const grads = torch.autograd.grad(total, wrt, { allowUnused: true });
  let k = 0;
  s.tensors.forEach((r, j) => {
    if (!r.requires_grad) return;
    const g = grads[k++];
    const want = s.grads![j];
    if (want === null) assert.ok(g === null, `grad of input ${j}: expected None`);
    else checkTensor(g, want, `grad of input ${j}`, true);
  });
}

/**
 * The inputs of a call as they were recorded (values, shape, dtype, requiresGrad, no .grad on
 * leaves); `extra` pairs the clone an in-place variant wrote into with its input's record.
 */
export function checkUnchanged(tensors: Tensor[], c: Call, extra: [Tensor, TRec][] = []): void {
  const pairs: [Tensor, TRec][] = [
    ...tensors.map((t, j): [Tensor, TRec] => [t, c.tensors[j]]),
    ...extra,
  ];
  pairs.forEach(([t, r], j) => {
    checkTensor(t, { ...r, grad_fn: undefined }, `input ${j} after the error`);
    if (t.isLeaf) assert.equal(t.grad, null, `input ${j}: .grad after the error`);
  });
}

/** PyTorch's exception class as tensorgrad exports it. */
export function errorClass(type: string): new (...a: never[]) => Error {
  const cls = (torch as Record<string, unknown>)[type];
  return typeof cls === "function" ? (cls as new (...a: never[]) => Error) : Error;
}

export function expectError(fn: () => unknown, e: Err): void {
  let thrown: unknown = undefined;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown !== undefined, `no error, expected ${e.type}: ${e.message}`);
  assert.ok(thrown instanceof Error, "expected an Error");
  const got = `${thrown.constructor.name}: ${thrown.message}`;
  assert.ok(thrown instanceof errorClass(e.type), `expected ${e.type}, got ${got}`);
  assert.ok(thrown.message === e.message, `expected message "${e.message}", got ${got}`);
}

// ---------------------------------------------------------------------------------------------
// running samples

/** One line for a failure: the call and the first line of what went wrong. */
export function failure(what: string, err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const kind = e instanceof assert.AssertionError ? "" : `${e.constructor.name}: `;
  const msg = `${kind}${e.message}`.split("\n")[0];
  return `${what} -> ${msg.length > 160 ? `${msg.slice(0, 157)}...` : msg}`;
}

export const VARIANTS: Variant[] = ["function", "method", "inplace"];

/** The variants of an op that PyTorch and tensorgrad both have, in the order they are run. */
export function variantsOf(op: Op): Variant[] {
  return VARIANTS.filter((v) => op.variants.includes(v) && variantPresent(op, v));
}

/** What running a sample found: its failures (none: it passes) out of `checks` calls. */
export interface Outcome {
  failures: string[];
  checks: number;
}

/** Runs every variant and form of a sample that tensorgrad has. */
export function runSample(op: Op, s: Sample): Outcome {
  const out: Outcome = { failures: [], checks: 0 };
  for (const variant of variantsOf(op)) {
    if (variant === "inplace" ? s.inplace === null : s.out === undefined && !s.out_error) continue;
    if (variant !== "function" && !isTagged(s.input, "t")) continue;
    for (const form of formsOf(s, variant)) {
      out.checks++;
      try {
        if (variant === "inplace") {
          const expected = s.inplace!;
          if ("error" in expected) {
            expectError(() => invoke(op, s, variant, form), expected.error);
            continue;
          }
          const inv = invoke(op, s, variant, form);
          assert.ok(inv.result === inv.target, "an in-place method returns its tensor");
          checkTree(inv.target, expected.out, "result");
          continue;
        }
        if (s.out_error) {
          expectError(() => invoke(op, s, variant, form), s.out_error);
          continue;
        }
        const inv = invoke(op, s, variant, form);
        const outs = checkTree(alignGauge(op, inv.result, s.out!), s.out!, "result");
        checkGrads(s, GRAD_PROCESSED[op.name]?.(outs, s) ?? outs, inv.tensors);
      } catch (err) {
        out.failures.push(failure(describe(op, s, variant, form), err));
      }
    }
  }
  return out;
}

/** Runs an error sample in every variant and form that raises in PyTorch and tensorgrad has. */
export function runError(op: Op, e: ErrorSample): Outcome {
  const out: Outcome = { failures: [], checks: 0 };
  for (const variant of variantsOf(op).filter((v) => e.errors[v] !== undefined)) {
    for (const form of formsOf(e, variant)) {
      out.checks++;
      try {
        // fresh tensors made here, so that their state can be checked after the call
        const tensors = e.tensors.map(makeTensor);
        const args = callArgs(e, form, tensors);
        const self = args[0];
        const target = variant === "inplace" && self instanceof Tensor ? self.clone() : self;
        const call = (): unknown => {
          torch.manualSeed(e.seed);
          if (variant === "function") return functionOf(op)!(...args);
          const m = (target as Record<string, Fn>)[methodName(op, variant)!];
          return m.apply(target, args.slice(1));
        };
        expectError(call, e.errors[variant]!);
        const written: [Tensor, TRec][] =
          variant === "inplace" && isTagged(e.input, "t")
            ? [[target as Tensor, e.tensors[(e.input as { t: number }).t]]]
            : [];
        checkUnchanged(tensors, e, written);
      } catch (x) {
        out.failures.push(failure(describe(op, e, variant, form), x));
      }
    }
  }
  return out;
}

/** `OPDB_UPDATE_KNOWN=1`: the replays rewrite their known-failures files instead of checking. */
export const UPDATE_KNOWN = process.env.OPDB_UPDATE_KNOWN === "1";

/**
 * The end of an op_db replay's known-failures check. With OPDB_UPDATE_KNOWN=1, rewrites
 * test/<knownPath> from the observed failures: a sample still failing keeps its line (and the
 * reason written there), a new one gets its failures without a reason (add one). Otherwise
 * asserts that every listed sample is one of `sampleIds` (the present ops' samples).
 */
export function settleKnownFailures(
  knownPath: string,
  known: Record<string, string>,
  observed: ReadonlyMap<string, string[]>,
  sampleIds: ReadonlySet<string>,
): void {
  if (UPDATE_KNOWN) {
    const line = (f: string[]): string => {
      const text = f.join("; ");
      return text.length > 400 ? `${text.slice(0, 397)}...` : text;
    };
    const failing = [...observed.entries()].filter(([, f]) => f.length > 0);
    const list = Object.fromEntries(failing.map(([id, f]) => [id, known[id] ?? line(f)]));
    writeFileSync(
      new URL(`../${knownPath}`, import.meta.url),
      `${JSON.stringify(list, null, 2)}\n`,
    );
    return;
  }
  const stale = Object.keys(known).filter((id) => !sampleIds.has(id));
  assert.deepEqual(stale, [], `test/${knownPath} names samples of no present op`);
}
