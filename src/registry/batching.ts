/**
 * vmap's batched tensors and the dispatch of registry ops on them (functorch 1.13's
 * BatchedTensorImpl, DynamicLayer and BatchedFallback).
 *
 * Note [batched tensors]: inside `torch.func.vmap` each mapped input is a `BatchedTensor`: a
 * Tensor whose shape is the logical (per-sample) shape, holding the physical tensor `value`
 * (which has the batch dimension at `bdim`) and the vmap `level` it belongs to. Nested vmaps
 * nest wrappers: the inner vmap's level is higher and its wrapper is the outer object. A
 * BatchedTensor has no storage of its own (reading `typedArray` throws): every registry op
 * checks for batched arguments (one comparison while no vmap runs) and then
 *   1. takes the highest level among its arguments and unwraps the arguments of that level;
 *   2. runs the op's batching rule (`OpDecl.batch`, or the table in batch-rules.ts) on the
 *      physical values, which calls ops on them (these dispatch again, for lower levels);
 *   3. or, with no rule, loops: slices every batched argument along its batch dimension, calls
 *      the op per sample and stacks the results (the fallback, with PyTorch's warning);
 *   4. wraps the results at that level.
 * Autograd records on the physical tensors, so gradients flow through vmap unchanged.
 */
import { isNamedTuple, namedTuple } from "../named-tuple.js";
import { Tensor } from "../tensor.js";
import { runtimeError } from "../errors.js";
import type { Schema } from "./schema.js";

export type Randomness = "error" | "different" | "same";

/** One running vmap. */
export interface VmapLevel {
  readonly level: number;
  readonly batchSize: number;
  readonly randomness: Randomness;
}

const levels: VmapLevel[] = [];
let nextLevel = 1;

/**
 * The number of running vmaps plus running op tracers plus an enabled CPU autocast (0 outside
 * all three: ops take their plain path; Note [op tracing] in op-trace.ts, Note [autocast
 * dispatch] in autocast.ts). An object field, not a `let`, so per-op copies of the op wrappers
 * (Note [per-op closures]) can read it.
 */
export const vmapState = { depth: 0, tracers: 0, autocast: 0 };

/** Run `body` inside a new vmap level of `batchSize` samples. */
export function withVmapLevel<T>(
  batchSize: number,
  randomness: Randomness,
  body: (l: VmapLevel) => T,
): T {
  const l: VmapLevel = { level: nextLevel++, batchSize, randomness };
  levels.push(l);
  vmapState.depth = levels.length + vmapState.tracers + vmapState.autocast;
  try {
    return body(l);
  } finally {
    levels.pop();
    vmapState.depth = levels.length + vmapState.tracers + vmapState.autocast;
  }
}

/**
 * While a batching rule of level L runs, the ops it calls on the physical tensors see only the
 * levels below L (functorch excludes a level's own layer while its rule runs): random ops there
 * must not apply level L's randomness again.
 */
let ceiling = Infinity;
const visibleLevels = (): VmapLevel[] => levels.filter((l) => l.level < ceiling);

/** The running vmap levels, outermost first. */
export function activeLevels(): readonly VmapLevel[] {
  return levels;
}

function levelInfo(level: number): VmapLevel {
  const l = levels.find((x) => x.level === level);
  if (l === undefined)
    throw runtimeError(
      "vmap: a BatchedTensor escaped the vmap it was created in (its level is no longer running)",
    );
  return l;
}

/** Note [batched tensors]. */
export class BatchedTensor extends Tensor {
  readonly value: Tensor;
  readonly bdim: number;
  readonly level: number;

  constructor(value: Tensor, bdim: number, level: number) {
    super(
      new value.dtype.ArrayType(0),
      value.shape.filter((_, i) => i !== bdim),
      value.strides.filter((_, i) => i !== bdim),
      0,
      value.dtype,
    );
    this.value = value;
    this.bdim = bdim;
    this.level = level;
  }

  override get gradFn(): Tensor["gradFn"] {
    return this.value.gradFn;
  }
  override set gradFn(_node: Tensor["gradFn"]) {
    throw runtimeError("vmap: cannot set the grad_fn of a BatchedTensor");
  }
  override get requiresGrad(): boolean {
    return this.value.requiresGrad;
  }
  override set requiresGrad(flag: boolean) {
    this.value.requiresGrad = flag;
  }
  override requiresGrad_(flag = true): this {
    this.value.requiresGrad_(flag);
    return this;
  }
  override get isLeaf(): boolean {
    return this.value.isLeaf;
  }

  override toString(): string {
    const inner = String(this.value)
      .split("\n")
      .map((l) => `    ${l}`)
      .join("\n");
    return `BatchedTensor(lvl=${this.level}, bdim=${this.bdim}, value=\n${inner}\n)`;
  }
}

// a BatchedTensor has no storage: code that reads it directly (no batching rule, no fallback:
// hand-written kernels called on a batched tensor) fails instead of computing on garbage
Object.defineProperty(BatchedTensor.prototype, "typedArray", {
  get(): never {
    throw runtimeError(
      "vmap: this operation reads a BatchedTensor's memory directly and cannot run inside vmap (tensorgrad has no batching rule for it); move it out of the vmapped function",
    );
  },
  set(_v: unknown) {
    // the base constructor's placeholder
  },
  configurable: true,
});

/** `x` wrapped at `level` with the batch dimension at `bdim` (null: unbatched, `x` itself). */
export function makeBatched(x: Tensor, bdim: number | null, level: number): Tensor {
  return bdim === null ? x : new BatchedTensor(x, bdim, level);
}

/** The highest level among the batched tensors in `values` (lists of tensors included); 0: none. */
export function maxLevel(values: readonly unknown[]): number {
  let m = 0;
  for (const v of values) {
    if (v instanceof BatchedTensor) {
      if (v.level > m) m = v.level;
    } else if (Array.isArray(v)) {
      for (const e of v) if (e instanceof BatchedTensor && e.level > m) m = e.level;
    }
  }
  return m;
}

/** A batch-dim of one argument: a number or null, or per element for a list of tensors. */
export type BDim = number | null | (number | null)[];

/** `x` unwrapped at `level`: its value and batch dim, or itself and null. */
export function unwrapAt(x: unknown, level: number): [unknown, number | null] {
  if (x instanceof BatchedTensor && x.level === level) return [x.value, x.bdim];
  return [x, null];
}

/** `x` (physical, batch dim at `bdim`) with the batch dim moved to the front. */
export function moveBdimToFront(x: Tensor, bdim: number | null, batchSize: number): Tensor {
  if (bdim === null) return x.unsqueeze(0).expand([batchSize, ...x.shape]);
  if (bdim === 0) return x;
  // the batch dim first, the others in order (a permute: a view)
  const rest = Array.from({ length: x.dim() }, (_, i) => i).filter((i) => i !== bdim);
  return x.permute([bdim, ...rest]);
}

/** What a batching rule receives. */
export interface BatchCall {
  /** the schema of the overload called */
  readonly schema: Schema;
  /** the arguments, unwrapped at this level (tensors of lower levels stay wrapped) */
  readonly values: unknown[];
  /** per argument, the batch dim of the unwrapped tensor (null: not batched at this level) */
  readonly bdims: BDim[];
  readonly batchSize: number;
  /** the overload itself (it dispatches again for lower levels) */
  readonly call: (...values: unknown[]) => unknown;
  /** the arguments as the op received them (batched): decomposition rules call ops on them */
  readonly original: unknown[];
}

/**
 * A batching rule: the result (a Tensor or an array of them) and the batch dim all of its
 * tensors carry (null: not batched), or `null` to let the fallback loop run.
 */
export type BatchRule = (c: BatchCall) => [unknown, number | null] | null;

/**
 * A decomposition "rule": the result computed from other ops on the batched arguments themselves
 * (they dispatch on their own), or null for the fallback.
 */
export interface Decomposition {
  decompose: (...values: unknown[]) => unknown;
}

export type BatchSpec = BatchRule | Decomposition;

const warned = new Set<string>();

function fallbackWarning(name: string): void {
  if (warned.has(name)) return;
  warned.add(name);
  console.warn(
    `UserWarning: There is a performance drop because we have not yet implemented the batching rule for aten::${name}. Please file us an issue on GitHub so that we can prioritize its implementation.`,
  );
}

function sliceArg(v: unknown, bd: BDim, b: number): unknown {
  if (Array.isArray(bd))
    return (v as unknown[]).map((e, i) => (bd[i] === null ? e : (e as Tensor).select(bd[i], b)));
  return bd === null ? v : (v as Tensor).select(bd, b);
}

/** Ops whose result shape depends on the values: PyTorch refuses them under vmap. */
const DYNAMIC = new Set(["nonzero", "masked_select", "unique", "unique_consecutive", "argwhere"]);

/** Ops that draw random numbers (Note [vmap randomness]). */
const RANDOM = new Set([
  "rand",
  "randn",
  "randint",
  "randperm",
  "rand_like",
  "randn_like",
  "randint_like",
  "normal",
  "bernoulli",
  "multinomial",
  "poisson",
  "dropout",
  "uniform_",
  "normal_",
  "exponential_",
  "cauchy_",
  "log_normal_",
  "geometric_",
  "bernoulli_",
  "random_",
]);

/** The loop over the batch (functorch's BatchedFallback). */
function fallback(name: string, c: BatchCall, inplace: boolean): [unknown, number | null] {
  fallbackWarning(name);
  const results: unknown[] = [];
  for (let b = 0; b < c.batchSize; b++) {
    results.push(c.call(...c.values.map((v, i) => sliceArg(v, c.bdims[i], b))));
  }
  if (inplace) return [c.values[0], c.bdims[0] as number | null];
  const first = results[0];
  if (first instanceof Tensor) return [stack(results as Tensor[]), 0];
  if (Array.isArray(first)) {
    const outs = first.map((_, k) => stack(results.map((r) => (r as Tensor[])[k])));
    return [outs, 0];
  }
  if (isRecord(first) && Object.values(first).every((v) => v instanceof Tensor)) {
    const outs = mapRecord(first, (_, k) =>
      stack(results.map((r) => (r as Record<string, Tensor>)[k])),
    );
    return [outs, 0];
  }
  throw runtimeError(
    `Batching rule not implemented for aten::${name}. We could not generate a fallback.`,
  );
}

let stackFn: ((ts: Tensor[], dim: number) => Tensor) | null = null;
/** @internal torch.stack, given by define.ts (this module sits below it). */
export function setStack(f: (ts: Tensor[], dim: number) => Tensor): void {
  stackFn = f;
}
const stack = (ts: Tensor[]): Tensor => (stackFn as (ts: Tensor[], dim: number) => Tensor)(ts, 0);

/**
 * A registry overload called with arguments: the batched path when one is batched (Note
 * [batched tensors]) or a random op runs inside vmap (Note [vmap randomness]), else `forward`.
 */
export function batchedCall(
  name: string,
  schema: Schema,
  spec: BatchSpec | undefined,
  self: (...values: unknown[]) => unknown,
  forward: (...values: unknown[]) => unknown,
  values: unknown[],
  inplace: boolean,
): unknown {
  let level = maxLevel(values);
  if (RANDOM.has(name)) checkRandomness();
  // levels at or above the ceiling were unwrapped by the rule running
  if (level >= ceiling) level = 0;
  if (level === 0) {
    if (RANDOM.has(name)) return randomUnbatched(name, schema, forward, values);
    return forward(...values);
  }
  const info = levelInfo(level);
  if (DYNAMIC.has(name))
    throw runtimeError(
      `vmap: We do not support batching operators that can output dynamic shape. Attempted to vmap over aten::${name}. Please voice your support in https://github.com/pytorch/functorch/issues/256`,
    );
  const unwrapped: unknown[] = [];
  const bdims: BDim[] = [];
  for (const v of values) {
    if (Array.isArray(v) && v.some((e) => e instanceof Tensor)) {
      const us = v.map((e) => unwrapAt(e, level));
      unwrapped.push(us.map((u) => u[0]));
      bdims.push(us.map((u) => u[1]));
    } else {
      const [u, bd] = unwrapAt(v, level);
      unwrapped.push(u);
      bdims.push(bd);
    }
  }
  const c: BatchCall = {
    schema,
    values: unwrapped,
    bdims,
    batchSize: info.batchSize,
    call: self,
    original: values,
  };
  if (inplace) {
    const selfBd = bdims[0];
    if (selfBd === null) {
      // PyTorch's in-place broadcast check, seen on the physical tensors
      const self = values[0] as Tensor;
      throw runtimeError(
        `output with shape [${self.shape.join(", ")}] doesn't match the broadcast shape [${[info.batchSize, ...self.shape].join(", ")}]`,
      );
    }
    const saved = ceiling;
    ceiling = level;
    try {
      if (RANDOM.has(name)) {
        if (info.randomness !== "different")
          throw runtimeError(
            `vmap: randomness="same" is not supported for the in-place sampler ${name} on a batched tensor`,
          );
        c.call(...unwrapped);
      } else fallback(name, c, true);
    } finally {
      ceiling = saved;
    }
    return values[0];
  }
  // a decomposition calls ops on the batched arguments: every level stays visible
  if (spec !== undefined && typeof spec !== "function" && !RANDOM.has(name)) {
    const r = spec.decompose(...values);
    if (r !== null) return r;
  }
  const saved = ceiling;
  ceiling = level;
  try {
    let res: [unknown, number | null] | null = null;
    if (RANDOM.has(name)) res = randomBatched(name, c, info);
    else if (typeof spec === "function") res = spec(c);
    if (res === null) res = fallback(name, c, false);
    const [out, bdim] = res;
    return wrapResult(out, bdim, level);
  } finally {
    ceiling = saved;
  }
}

function wrapResult(out: unknown, bdim: number | null, level: number): unknown {
  if (out instanceof Tensor) return makeBatched(out, bdim, level);
  if (Array.isArray(out)) return out.map((o) => wrapResult(o, bdim, level));
  if (isRecord(out)) return mapRecord(out, (v) => wrapResult(v, bdim, level));
  return out;
}

/** A plain object of results (torch.return_types: max(dim)'s `{ values, indices, 0, 1 }`). */
function isRecord(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || v instanceof Tensor) return false;
  return Object.getPrototypeOf(v) === Object.prototype;
}

function mapRecord(
  r: Record<string, unknown>,
  f: (v: unknown, k: string) => unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(r)) out[k] = f(r[k], k);
  return isNamedTuple(r) ? namedTuple(out) : out;
}

// ---------------------------------------------------------------------------------------------
// Note [vmap randomness]: vmap's `randomness` flag says what a random op does inside it:
// "error" refuses it, "same" draws one sample shared by the batch, "different" draws one per
// sample (a factory gets the batch size prepended to its size, as functorch's
// RandomBatchRules; an op on a batched tensor draws on the physical tensor).

function checkRandomness(): void {
  for (const l of visibleLevels()) {
    if (l.randomness === "error")
      throw runtimeError(
        "vmap: called random operation while in randomness error mode. Please either use the 'same' or 'different' randomness flags on vmap or perform the randomness operation out of vmap",
      );
  }
}

/** A random op with no batched argument, inside vmap. */
function randomUnbatched(
  name: string,
  schema: Schema,
  forward: (...values: unknown[]) => unknown,
  values: unknown[],
): unknown {
  // innermost "different" levels each add their batch dim; "same" ones draw once
  const different = visibleLevels().filter((l) => l.randomness === "different");
  if (different.length === 0) return forward(...values);
  const sizeAt = schema.params.findIndex((p) => p.name === "size");
  const likeAt = name.endsWith("_like") ? 0 : -1;
  const sizes = different.map((l) => l.batchSize);
  let out: Tensor;
  if (sizeAt >= 0) {
    const v = values.slice();
    v[sizeAt] = [...sizes, ...(values[sizeAt] as number[])];
    out = forward(...v) as Tensor;
  } else if (likeAt >= 0) {
    const x = values[0] as Tensor;
    const v = values.slice();
    v[0] = x.expand([...sizes, ...x.shape]).contiguous();
    out = forward(...v) as Tensor;
  } else {
    throw runtimeError(
      `vmap: randomness="different" is not supported for aten::${name} with no batched input`,
    );
  }
  for (let i = 0; i < different.length; i++) out = makeBatched(out, 0, different[i].level);
  return out;
}

/** A random op with a batched argument (its first, the tensor drawn like or from). */
function randomBatched(
  name: string,
  c: BatchCall,
  info: VmapLevel,
): [unknown, number | null] | null {
  const bd = c.bdims[0] as number | null;
  if (info.randomness === "same" && bd !== null) {
    // one draw of the logical shape, shared: draw like sample 0 where the op only needs the
    // shape (rand_like, dropout's mask), else the fallback cannot share it
    if (name.endsWith("_like")) {
      const v = c.values.slice();
      v[0] = (c.values[0] as Tensor).select(bd, 0);
      return [c.call(...v), null];
    }
    if (name === "dropout") {
      const x = c.values[0] as Tensor;
      const v = c.values.slice();
      v[0] = x.select(bd, 0).detach().mul(0).add(1);
      const mask = c.call(...v) as Tensor;
      return [x.mul(mask.unsqueeze(bd)), bd];
    }
    // the loop would draw per sample
    throw runtimeError(
      `vmap: randomness="same" is not supported by tensorgrad for aten::${name} on a batched input`,
    );
  }
  if (c.values.slice(1).some((_, i) => c.bdims[i + 1] !== null)) return null;
  return [c.call(...c.values), bd];
}

// ---------------------------------------------------------------------------------------------
// the hand-written Tensor methods (tensor-methods.ts) on batched tensors

type Methods = Record<string, (this: BatchedTensor, ...args: unknown[]) => unknown>;
const proto = BatchedTensor.prototype as unknown as Methods;
const tensorProto = Tensor.prototype as unknown as Methods;
/**
 * Note [Tensor.prototype during import]: V8 keeps a prototype that has served an inline cache
 * in fast mode, where each added property copies the object's hidden class and descriptor
 * array: installing the registry's ~500 methods one by one (defineOp) was then quadratic, 56M
 * instructions, a fifth of the import's cost (`valgrind --tool=callgrind` on
 * bench/startup.mjs's process). Until its first use Tensor.prototype is a dictionary, where an
 * addition is one hash-table insertion; the first method load on a tensor makes it fast (one
 * pass), so method calls run as before. A store through an inline cache into an object makes
 * its prototypes fast too, so this module's top level (which runs before the registry's)
 * defines BatchedTensor's methods with defineProperty rather than assigning them.
 */
function protoSet(name: string, f: (this: BatchedTensor, ...args: unknown[]) => unknown): void {
  Object.defineProperty(proto, name, {
    value: f,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
// casts keep the layout: the physical tensor cast, the same batch dim
for (const name of ["to", "float", "double", "long", "int", "bool"]) {
  protoSet(name, function (...args: unknown[]): unknown {
    const v = tensorProto[name].apply(this.value as BatchedTensor, args) as Tensor;
    return v === this.value ? this : new BatchedTensor(v, this.bdim, this.level);
  });
}
for (const name of ["zero_", "fill_"]) {
  protoSet(name, function (...args: unknown[]): unknown {
    tensorProto[name].apply(this.value as BatchedTensor, args);
    return this;
  });
}
/** Per sample, as the fallback: indexing (`t[...]`) and copies from another tensor. */
function perSample(name: string, inplace: boolean) {
  return function (this: BatchedTensor, ...args: unknown[]): unknown {
    const l = levelInfo(this.level);
    const outs: Tensor[] = [];
    const saved = ceiling;
    ceiling = this.level;
    try {
      for (let b = 0; b < l.batchSize; b++) {
        const sample = this.value.select(this.bdim, b);
        const a = args.map((v) => {
          if (!(v instanceof BatchedTensor) || v.level !== this.level) return v;
          return v.value.select(v.bdim, b);
        });
        outs.push(tensorProto[name].apply(sample as BatchedTensor, a) as Tensor);
      }
    } finally {
      ceiling = saved;
    }
    if (inplace) return this;
    return new BatchedTensor(stack(outs), 0, this.level);
  };
}
protoSet("index", perSample("index", false));
protoSet("copy_", perSample("copy_", true));
protoSet("indexPut_", perSample("indexPut_", true));
Object.defineProperty(BatchedTensor.prototype, "T", {
  get(this: BatchedTensor): Tensor {
    return this.permute(Array.from({ length: this.dim() }, (_, i) => this.dim() - 1 - i));
  },
  configurable: true,
});
Object.defineProperty(BatchedTensor.prototype, "mT", {
  get(this: BatchedTensor): Tensor {
    return this.transpose(-2, -1);
  },
  configurable: true,
});
