/**
 * torch.func (functorch 1.13's transforms, named torch.func since PyTorch 2.0): grad,
 * gradAndValue, vjp, jvp, jacrev, jacfwd and hessian, composable with each other
 * (`grad(grad(f))`, `jacfwd(jacrev(f))`, `grad` of a function that calls `jvp`, ...).
 *
 * Note [transforms on reverse mode]: functorch gives each transform its own autograd level.
 * tensorgrad has one graph, so a transform
 *   1. wraps the inputs it differentiates: a fresh leaf (`x.detach().requiresGrad_()`) when x
 *      does not require grad, else a differentiable alias (`x.view(x.shape)`), so that outer
 *      transforms (or plain autograd) still see x through it, and gradients w.r.t. the wrapper
 *      are told apart from gradients w.r.t. x when the function also captures x;
 *   2. differentiates with `autograd.grad`, recording the backward pass (`createGraph`) only if
 *      someone outside may differentiate the result: grad mode was on at the call and the
 *      function's outputs reach a leaf that is not one of this transform's wrappers (an outer
 *      transform's input, a captured parameter) or the cotangents require grad;
 *   3. unwraps the results: a result whose graph reaches only this transform's wrappers is
 *      detached; otherwise it keeps its graph, as functorch's results stay differentiable at
 *      outer levels.
 * `jvp` and `jacfwd` use the double-backward trick (forward-mode products from two reverse
 * passes: u -> J^T u is linear, so its gradient w.r.t. u applied to v is J v), which composes
 * with the other transforms as reverse mode does. `jacfwd` shares the first reverse pass across
 * all its columns. (torch.autograd.forwardAd exists, but its tangents are not recorded for
 * reverse mode, so transforms built on it would not nest.)
 *
 * Arguments and results may be pytrees: Tensors inside arrays (PyTorch's tuples) and plain
 * objects (dicts). `vmap` maps a function over a batch dimension (Note [batched tensors] in
 * registry/batching.ts); `jacrev` and `jacfwd` are a vmap of `vjp` / `jvp` over the standard
 * basis, as functorch's, and every transform works inside vmap (Note [grad inside vmap]).
 * `functionalCall` runs a module with given parameters and buffers.
 */
import { isNamedTuple, namedTuple } from "./named-tuple.js";
import { Tensor } from "./tensor.js";
import { grad as autogradGrad } from "./autograd/api.js";
import { enableGrad, isGradEnabled } from "./autograd/grad-mode.js";
import type { AccumulateGrad, Node } from "./autograd/node.js";
import { zeros, zerosLike as plainZerosLike } from "./ops/creation.js";
import { indexError, runtimeError, valueError } from "./errors.js";
import { pyTypeName, setBatchedVjp } from "./autograd/functional.js";
import {
  BatchedTensor,
  activeLevels,
  makeBatched,
  withVmapLevel,
  type Randomness,
} from "./registry/batching.js";
import { fn as registryFn } from "./registry/define.js";
import type { Module } from "./nn/module.js";

// ---------------------------------------------------------------------------------------------
// transforms on batched tensors (Note [batched tensors] in registry/batching.ts)
//
// Note [grad inside vmap]: autograd runs on the physical tensors, so a gradient is per sample
// only for inputs batched at every running vmap level: the transforms wrap an input that is not
// (a parameter shared by the batch) as a batched copy first (expanded, no memory), so that each
// sample differentiates its own slice, as functorch's per-level gradients. Cotangents are laid
// out as their outputs (expanded where unbatched) and gradients take their inputs' layout.

const registryStack = (ts: Tensor[], dim: number): Tensor => registryFn("stack")(ts, dim) as Tensor;

/** zeros shaped as `t` (batched as `t` inside vmap). */
function zerosLike(t: Tensor): Tensor {
  return t instanceof BatchedTensor ? (registryFn("zerosLike")(t) as Tensor) : plainZerosLike(t);
}

/** The physical tensor under every batching level of `t`. */
function physical(t: Tensor): Tensor {
  let p = t;
  while (p instanceof BatchedTensor) p = p.value;
  return p;
}

/** `x` batched at every running vmap level, batch dims in front (Note [grad inside vmap]). */
function batchedAtAllLevels(x: Tensor): Tensor {
  const ls = activeLevels();
  if (ls.length === 0) return x;
  let p = x;
  for (let i = ls.length - 1; i >= 0; i--) p = removeBatchDim(p, ls[i].level, ls[i].batchSize, 0);
  for (const l of ls) p = makeBatched(p, 0, l.level);
  return p;
}

/** The cotangent `ct` as a physical tensor laid out as `like`'s physical tensor. */
function alignPhysical(ct: Tensor, like: Tensor): Tensor {
  if (!(like instanceof BatchedTensor)) {
    if (ct instanceof BatchedTensor)
      throw runtimeError("vmap: a cotangent is batched where the output it belongs to is not");
    return ct;
  }
  let inner: Tensor;
  if (ct instanceof BatchedTensor && ct.level === like.level) {
    inner = ct.bdim === like.bdim ? ct.value : ct.value.movedim(ct.bdim, like.bdim);
  } else {
    const size = like.value.shape;
    inner = ct.unsqueeze(like.bdim).expand(size);
  }
  return alignPhysical(inner, like.value);
}

/** A physical gradient wrapped with the batching levels of the input it belongs to. */
function wrapLike(g: Tensor, like: Tensor): Tensor {
  if (!(like instanceof BatchedTensor)) return g;
  const chain: BatchedTensor[] = [];
  for (let p: Tensor = like; p instanceof BatchedTensor; p = p.value) chain.push(p);
  let out = g;
  for (let i = chain.length - 1; i >= 0; i--) out = makeBatched(out, chain[i].bdim, chain[i].level);
  return out;
}

// jacobian(..., { vectorize: true }): the vjp of a batch of cotangents as a vmap of the vjp
setBatchedVjp(
  (outputs, inputs, batchedGradOutputs, createGraph) =>
    vmap((...gos: Tensor[]) =>
      autogradGradB(outputs, inputs, {
        gradOutputs: gos,
        createGraph,
        retainGraph: true,
        allowUnused: true,
      }).map((g, k) => g ?? zerosLike(inputs[k])),
    )(...batchedGradOutputs) as Tensor[],
);

/** autograd.grad through batched tensors (physical outputs, aligned cotangents, wrapped results). */
function autogradGradB(
  outputs: Tensor[],
  inputs: Tensor[],
  opts: {
    gradOutputs?: Tensor[] | null;
    createGraph?: boolean;
    retainGraph?: boolean;
    allowUnused?: boolean;
  },
): (Tensor | null)[] {
  const batched =
    outputs.some((t) => t instanceof BatchedTensor) ||
    inputs.some((t) => t instanceof BatchedTensor) ||
    (opts.gradOutputs ?? []).some((t) => t instanceof BatchedTensor);
  if (!batched) return autogradGrad(outputs, inputs, opts);
  // a cotangent batched at a level its output is not (vmap of a vjp function): one backward
  // pass per sample of that level (the backward has no batching rules)
  const levelsOf = (t: Tensor): number[] => {
    const ls: number[] = [];
    for (let p: Tensor = t; p instanceof BatchedTensor; p = p.value) ls.push(p.level);
    return ls;
  };
  let extra = 0;
  (opts.gradOutputs ?? []).forEach((go, i) => {
    if (go === null || go === undefined) return;
    const outLevels = levelsOf(outputs[i]);
    for (const l of levelsOf(go)) if (!outLevels.includes(l) && l > extra) extra = l;
  });
  if (extra > 0) {
    const size = (activeLevels().find((l) => l.level === extra) as { batchSize: number }).batchSize;
    const per: (Tensor | null)[][] = [];
    for (let b = 0; b < size; b++) {
      const gos = (opts.gradOutputs as Tensor[]).map((go) =>
        go instanceof BatchedTensor && go.level === extra ? go.value.select(go.bdim, b) : go,
      );
      per.push(autogradGradB(outputs, inputs, { ...opts, gradOutputs: gos, retainGraph: true }));
    }
    return inputs.map((_, i) => {
      const gs = per.map((r) => r[i]);
      if (gs.every((g) => g === null)) return null;
      const full = gs.map((g) => g ?? zerosLike(inputs[i]));
      return makeBatched(registryStack(full, 0), 0, extra);
    });
  }
  const gos = outputs.map((o, i) => {
    const go = opts.gradOutputs?.[i];
    if (go !== undefined && go !== null) return alignPhysical(go, o);
    return registryFn("onesLike")(physical(o)) as Tensor;
  });
  const res = autogradGrad(outputs.map(physical), inputs.map(physical), {
    ...opts,
    gradOutputs: gos,
  });
  return res.map((g, i) => (g === null ? null : wrapLike(g, inputs[i])));
}

// ---------------------------------------------------------------------------------------------
// pytrees

/** A pytree: Tensors (and other leaves) nested in arrays (tuples) and plain objects (dicts). */
export type PyTree =
  | Tensor
  | number
  | boolean
  | string
  | null
  | undefined
  | readonly PyTree[]
  | { readonly [key: string]: PyTree };

type Spec =
  | { kind: "leaf" }
  | { kind: "tuple"; children: Spec[] }
  | { kind: "dict"; keys: string[]; children: Spec[]; named?: boolean };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || v instanceof Tensor) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function flatten(tree: unknown, leaves: unknown[] = []): [unknown[], Spec] {
  if (Array.isArray(tree)) {
    const children = tree.map((c: unknown) => flatten(c, leaves)[1]);
    return [leaves, { kind: "tuple", children }];
  }
  if (isPlainObject(tree)) {
    const keys = Object.keys(tree);
    const children = keys.map((k) => flatten(tree[k], leaves)[1]);
    // a named tuple comes back one (Note [named tuples])
    return [leaves, { kind: "dict", keys, children, named: isNamedTuple(tree) }];
  }
  leaves.push(tree);
  return [leaves, { kind: "leaf" }];
}

function unflatten(leaves: readonly unknown[], spec: Spec): unknown {
  let i = 0;
  const build = (s: Spec): unknown => {
    if (s.kind === "leaf") return leaves[i++];
    if (s.kind === "tuple") return s.children.map(build);
    const out: Record<string, unknown> = {};
    s.keys.forEach((k, j) => (out[k] = build(s.children[j])));
    return s.named === true ? namedTuple(out) : out;
  };
  return build(spec);
}

function specEqual(a: Spec, b: Spec): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "leaf") return true;
  const bc = (b as { children: Spec[] }).children;
  if (a.children.length !== bc.length) return false;
  if (a.kind === "dict" && a.keys.join("\0") !== (b as { keys: string[] }).keys.join("\0")) {
    return false;
  }
  return a.children.every((c, i) => specEqual(c, bc[i]));
}

const pyStr = (k: string): string => `'${k}'`;

/** Python's repr of a TreeSpec. */
function specRepr(s: Spec): string {
  if (s.kind === "leaf") return "*";
  const children = `[${s.children.map(specRepr).join(", ")}]`;
  if (s.kind === "tuple") return `TreeSpec(tuple, None, ${children})`;
  return `TreeSpec(dict, [${s.keys.map(pyStr).join(", ")}], ${children})`;
}

/** functorch's treespec_pprint. */
function specPprint(s: Spec): string {
  if (s.kind === "leaf") return "*";
  if (s.kind === "tuple") {
    const items = s.children.map(specPprint);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
  }
  return `{${s.keys.map((k, i) => `${pyStr(k)}: ${specPprint(s.children[i])}`).join(", ")}}`;
}

function treeMap(tree: unknown, fn: (leaf: unknown) => unknown): unknown {
  const [leaves, spec] = flatten(tree);
  return unflatten(leaves.map(fn), spec);
}

/** Python's repr of a flat list of leaves (for messages). */
function pyList(leaves: readonly unknown[]): string {
  return `[${leaves.map((l) => (l === null || l === undefined ? "None" : String(l))).join(", ")}]`;
}

// ---------------------------------------------------------------------------------------------
// argnums (functorch's _slice_argnums and friends)

/** Which positional argument(s) a transform differentiates: one index, or an array of them. */
export type Argnums = number | readonly number[];

function pyTuple(xs: readonly number[]): string {
  return xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(", ")})`;
}

function validateArgnum(argnum: unknown, numArgs: number): number {
  if (typeof argnum !== "number" || !Number.isInteger(argnum)) {
    throw runtimeError(`argnum must be int, got: ${pyTypeName(argnum)}`);
  }
  if (argnum >= 0 && argnum < numArgs) return argnum;
  if (argnum < 0 && argnum >= -numArgs) return argnum + numArgs;
  throw runtimeError(`Got argnum=${argnum}, but only ${numArgs} positional inputs`);
}

/** Normalised argnums (a number, or an array for a tuple). */
function validateArgnums(argnums: unknown, numArgs: number): number | number[] {
  if (typeof argnums === "number") return validateArgnum(argnums, numArgs);
  if (!Array.isArray(argnums)) {
    throw runtimeError(`argnums must be int or Tuple[int, ...], got: ${pyTypeName(argnums)}`);
  }
  const res = argnums.map((a: unknown) => validateArgnum(a, numArgs));
  if (res.length === 0) throw runtimeError("argnums must be non-empty");
  if (new Set(res).size !== res.length) {
    throw runtimeError(`argnums elements must be unique, got ${pyTuple(argnums as number[])}`);
  }
  return res;
}

/** The differentiated arguments: one argument for a number, an array of them otherwise. */
function sliceArgs(args: readonly unknown[], argnums: number | number[]): unknown {
  return typeof argnums === "number" ? args[argnums] : argnums.map((i) => args[i]);
}

function replaceArgs(
  args: readonly unknown[],
  diff: unknown,
  argnums: number | number[],
): unknown[] {
  const out = args.slice();
  if (typeof argnums === "number") out[argnums] = diff;
  else argnums.forEach((i, k) => (out[i] = (diff as unknown[])[k]));
  return out;
}

// ---------------------------------------------------------------------------------------------
// levels (Note [transforms on reverse mode])

/**
 * Wrappers of transforms that have returned: private to them, so never "outside" for anyone
 * (an enclosing transform must not keep a graph because of its inner transforms' wrappers).
 */
const retired = new WeakSet<Tensor>();

/** One transform's wrappers and the test of whether a result must keep its graph. */
class Level {
  /** the fresh leaves this transform created */
  private readonly own = new Set<Tensor>();

  /** The transform returned: its wrappers are private from now on. */
  retire(): void {
    for (const t of this.own) retired.add(t);
  }
  /** nodes known to reach none but this transform's own leaves */
  private readonly clean = new Set<Node>();

  /** Step 1: the tensor the function sees in place of `x`. */
  wrap(x: unknown): Tensor {
    if (!(x instanceof Tensor)) {
      throw runtimeError(`Thing passed to transform API must be Tensor, got ${pyTypeName(x)}`);
    }
    const b = batchedAtAllLevels(x);
    if (b.requiresGrad) return b.view(b.shape);
    const w = b.detach().requiresGrad_();
    this.own.add(w);
    this.own.add(physical(w));
    return w;
  }

  /** A leaf requiring grad that belongs to this transform (the jvp trick's cotangents). */
  fresh(like: Tensor): Tensor {
    const u = zerosLike(like).requiresGrad_(true);
    this.own.add(u);
    this.own.add(physical(u));
    return u;
  }

  /** Whether `t`'s graph reaches a leaf requiring grad that is not this transform's. */
  reachesOuter(t: unknown): boolean {
    if (!(t instanceof Tensor) || !t.requiresGrad) return false;
    if (t.gradFn === null) return !this.own.has(t) && !retired.has(t);
    const seen: Node[] = [];
    const visited = new Set<Node>();
    const stack: Node[] = [t.gradFn];
    while (stack.length > 0) {
      const n = stack.pop() as Node;
      if (visited.has(n) || this.clean.has(n)) continue;
      visited.add(n);
      seen.push(n);
      if (n.isLeafSink) {
        const v = (n as AccumulateGrad).variable;
        if (!this.own.has(v) && !retired.has(v)) return true;
        continue;
      }
      for (const e of n.edges) if (e.node !== null) stack.push(e.node);
    }
    for (const n of seen) this.clean.add(n);
    return false;
  }

  /** Step 3: a result as the caller sees it. */
  unwrap(t: unknown): unknown {
    if (!(t instanceof Tensor) || !t.requiresGrad) return t;
    return this.reachesOuter(t) ? t : t.detach();
  }

  unwrapTree(tree: unknown): unknown {
    return treeMap(tree, (l) => this.unwrap(l));
  }
}

/**
 * autograd.grad over the outputs that require grad; zeros where no gradient flows (functorch's
 * _autograd_grad), or null entries when `keepNull`.
 */
function gradOrZeros(
  outputs: readonly Tensor[],
  inputs: readonly Tensor[],
  gradOutputs: readonly Tensor[] | null,
  createGraph: boolean,
  retainGraph: boolean,
  keepNull = false,
): (Tensor | null)[] {
  const outs: Tensor[] = [];
  const gos: Tensor[] = [];
  outputs.forEach((o, i) => {
    if (o.requiresGrad) {
      outs.push(o);
      if (gradOutputs !== null) gos.push(gradOutputs[i]);
    }
  });
  const res =
    outs.length === 0
      ? inputs.map(() => null)
      : autogradGradB(outs, inputs.slice(), {
          gradOutputs: gradOutputs === null ? null : gos,
          createGraph,
          retainGraph,
          allowUnused: true,
        });
  return keepNull ? res : res.map((g, i) => g ?? zerosLike(inputs[i]));
}

function checkOutputs(flat: readonly unknown[], api: string): asserts flat is Tensor[] {
  if (flat.length < 1 || (flat.length === 1 && (flat[0] === null || flat[0] === undefined))) {
    throw runtimeError(
      `${api}: Expected f to be a function that has non-empty output (got output = ${pyList(flat)})`,
    );
  }
  for (const o of flat) {
    if (!(o instanceof Tensor)) {
      throw runtimeError(
        `${api}: expected f(*primals) to return only tensors, got unsupported type ${pyTypeName(o)}`,
      );
    }
  }
}

function splitAux(output: unknown, api: string): [unknown, unknown] {
  if (!(Array.isArray(output) && output.length === 2)) {
    throw runtimeError(
      `${api}: output of function f should be a tuple: (output, aux) if has_aux is True`,
    );
  }
  return [output[0], output[1]];
}

// ---------------------------------------------------------------------------------------------
// grad, gradAndValue

/** Options of func.grad and func.gradAndValue (functorch's keyword arguments). */
export interface GradOptions {
  /** which positional argument(s) to differentiate (default 0); an array gives an array */
  argnums?: Argnums;
  /** `fn` returns `[output, aux]`; aux is passed through, not differentiated */
  hasAux?: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- transforms take any arguments
type AnyArgs = any[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- results are pytrees of the caller's shape
type Result = any;

function parseOpts(opts: Argnums | GradOptions | undefined): { argnums: Argnums; hasAux: boolean } {
  if (typeof opts === "number" || Array.isArray(opts)) return { argnums: opts, hasAux: false };
  const o = (opts ?? {}) as GradOptions;
  return { argnums: o.argnums ?? 0, hasAux: o.hasAux ?? false };
}

/**
 * torch.func.grad_and_value (functorch.grad_and_value): a function returning
 * `[gradient, value]` (`[gradient, [value, aux]]` with `hasAux`).
 * @example
 * const x = torch.tensor([0, 1]);
 * const [g, v] = torch.func.gradAndValue((x) => x.sin().sum())(x); // g = cos(x), v = sum(sin(x))
 */
export function gradAndValue<A extends AnyArgs>(
  fn: (...args: A) => unknown,
  opts?: Argnums | GradOptions,
): (...args: A) => [Result, Result] {
  const { argnums, hasAux } = parseOpts(opts);
  return (...args: A) => {
    const outerGrad = isGradEnabled();
    return enableGrad(() => {
      const level = new Level();
      try {
        return gradAndValueIn(level, fn, args, argnums, hasAux, outerGrad);
      } finally {
        level.retire();
      }
    });
  };
}

function gradAndValueIn<A extends AnyArgs>(
  level: Level,
  fn: (...args: A) => unknown,
  args: A,
  argnums: Argnums,
  hasAux: boolean,
  outerGrad: boolean,
): [Result, Result] {
  const api = "grad_and_value(f)(*args)";
  const nums = validateArgnums(argnums, args.length);
  const diff = treeMap(sliceArgs(args, nums), (l) => level.wrap(l));
  let output = fn(...(replaceArgs(args, diff, nums) as A));
  let aux: unknown;
  if (hasAux) [output, aux] = splitAux(output, api);
  if (!(output instanceof Tensor)) {
    throw runtimeError(`${api}: Expected f(*args) to return a Tensor, got ${pyTypeName(output)}`);
  }
  if (output.dim() !== 0) {
    throw runtimeError(
      `${api}: Expected f(*args) to return a scalar Tensor, got tensor with ${output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?`,
    );
  }
  const [flatDiff, spec] = flatten(diff);
  const createGraph = outerGrad && level.reachesOuter(output);
  const grads = gradOrZeros([output], flatDiff as Tensor[], null, createGraph, createGraph);
  const g = level.unwrapTree(unflatten(grads, spec));
  const value = level.unwrap(output);
  return [g, hasAux ? [value, level.unwrapTree(aux)] : value];
}

/** torch.func.grad_and_value under JAX's name. */
export const valueAndGrad = gradAndValue;

/**
 * torch.func.grad (functorch.grad): a function returning the gradient of `fn` (which must
 * return a scalar Tensor) w.r.t. argument `argnums` (default 0; an array gives an array of
 * gradients; pytree arguments give gradients of the same structure). Composable: `grad(grad(f))`.
 * @example
 * const dsin = torch.func.grad((x) => x.sin().sum());
 * dsin(torch.tensor([0, 1])); // cos(x)
 * @example
 * const d2 = torch.func.grad(torch.func.grad((x) => x.pow(3))); // x ↦ 6x
 * d2(torch.tensor(2)); // tensor(12.)
 * @example
 * const [x, y] = [torch.tensor([1, 2]), torch.tensor([3, 4])];
 * const [gx, gy] = torch.func.grad((x, y) => x.mul(y).sum(), { argnums: [0, 1] })(x, y); // [y, x]
 */
export function grad<A extends AnyArgs>(
  fn: (...args: A) => unknown,
  opts?: Argnums | GradOptions,
): (...args: A) => Result {
  const gv = gradAndValue(fn, opts);
  const hasAux = parseOpts(opts).hasAux;
  return (...args: A) => {
    const [g, value] = gv(...args);
    return hasAux ? [g, (value as unknown[])[1]] : g;
  };
}

// ---------------------------------------------------------------------------------------------
// vjp

const VJP = "vjp(f, *primals)";

/** vjp's second result: cotangents (the structure of the outputs) -> gradients per primal. */
export type VjpFn = (cotangents: PyTree) => Result[];

interface Linear {
  output: unknown;
  aux: unknown;
  flatOut: Tensor[];
  outSpec: Spec;
  flatPrimals: Tensor[];
  primalsSpec: Spec;
  level: Level;
  /** grad mode was on and the outputs reach outside this transform */
  outer: boolean;
}

/** Run `fn` on wrapped primals (functorch's _vjp_with_argnums, up to the backward). */
function trace(
  fn: (...args: AnyArgs) => unknown,
  args: readonly unknown[],
  argnums: number | number[] | null,
  hasAux: boolean,
  api: string,
): Linear {
  const outerGrad = isGradEnabled();
  return enableGrad(() => {
    const level = new Level();
    let diff: unknown;
    let callArgs: unknown[];
    if (argnums === null) {
      diff = treeMap(args.slice(), (l) => level.wrap(l));
      callArgs = diff as unknown[];
    } else {
      diff = treeMap(sliceArgs(args, argnums), (l) => level.wrap(l));
      callArgs = replaceArgs(args, diff, argnums);
    }
    let output = fn(...callArgs);
    let aux: unknown;
    if (hasAux) {
      [output, aux] = splitAux(output, api);
      aux = level.unwrapTree(aux);
    }
    const [flatOut, outSpec] = flatten(output);
    checkOutputs(flatOut, api);
    for (const o of flatOut) {
      if (!o.dtype.differentiable) {
        throw runtimeError(
          `vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got Tensor with dtype ${o.dtype}`,
        );
      }
    }
    const [flatPrimals, primalsSpec] = flatten(diff);
    const outer = outerGrad && flatOut.some((o) => level.reachesOuter(o));
    level.retire();
    return {
      output: level.unwrapTree(output),
      aux,
      flatOut,
      outSpec,
      flatPrimals: flatPrimals as Tensor[],
      primalsSpec,
      level,
      outer,
    };
  });
}

function makeVjpFn(lin: Linear): (cotangents: unknown) => unknown {
  return (cotangents: unknown) => {
    const [flatCt, ctSpec] = flatten(cotangents);
    if (!specEqual(ctSpec, lin.outSpec)) {
      throw runtimeError(
        `Expected pytree structure of cotangents to be the same as pytree structure of outputs to the function. cotangents: ${specPprint(ctSpec)}, primal output: ${specPprint(lin.outSpec)}`,
      );
    }
    const cts = flatCt as Tensor[];
    const createGraph = isGradEnabled() && (lin.outer || cts.some((c) => c.requiresGrad));
    const grads = enableGrad(() =>
      gradOrZeros(lin.flatOut, lin.flatPrimals, cts, createGraph, true),
    );
    return lin.level.unwrapTree(unflatten(grads, lin.primalsSpec));
  };
}

/**
 * torch.func.vjp (functorch.vjp): `[fn(...primals), vjpFn]`, where `vjpFn(cotangents)` returns
 * the vector-Jacobian products, one per primal (an array, as functorch's tuple).
 * @example
 * const x = torch.randn(3);
 * const [y, vjpFn] = torch.func.vjp((x) => x.sin(), x);
 * const [dx] = vjpFn(torch.ones(3)); // cos(x)
 */
export function vjp(fn: (...primals: AnyArgs) => unknown, ...primals: unknown[]): [Result, VjpFn] {
  const lin = trace(fn, primals, null, false, "vjp(f, *primals)");
  return [lin.output, makeVjpFn(lin) as VjpFn];
}

// ---------------------------------------------------------------------------------------------
// jvp (double-backward trick) and the linearisation shared with jacfwd

const JVP = "jvp(f, primals, tangents)";

interface Forward {
  output: unknown;
  aux: unknown;
  flatOut: Tensor[];
  outSpec: Spec;
  flatPrimals: Tensor[];
  primalsSpec: Spec;
  /** J v for flat tangents v (zeros, or null with keepNull, where an output is independent) */
  push(tangents: readonly Tensor[], keepNull?: boolean): (Tensor | null)[];
}

/**
 * Wrap the primals, run `fn` and the first reverse pass u -> J^T u with fresh cotangents u;
 * `push(v)` is then one reverse pass of that w.r.t. u, applied to v.
 */
function linearize(
  fn: (...args: AnyArgs) => unknown,
  args: readonly unknown[],
  argnums: number | number[] | null,
  hasAux: boolean,
): Forward {
  const outerGrad = isGradEnabled();
  return enableGrad(() => {
    const level = new Level();
    const diff =
      argnums === null
        ? treeMap(args.slice(), (l) => level.wrap(l))
        : treeMap(sliceArgs(args, argnums), (l) => level.wrap(l));
    const callArgs = argnums === null ? (diff as unknown[]) : replaceArgs(args, diff, argnums);
    let output = fn(...callArgs);
    let aux: unknown;
    if (hasAux) {
      [output, aux] = splitAux(output, JVP);
      aux = level.unwrapTree(aux);
    }
    const [flatOut, outSpec] = flatten(output);
    checkOutputs(flatOut, JVP);
    const [flatPrimalsU, primalsSpec] = flatten(diff);
    const flatPrimals = flatPrimalsU as Tensor[];
    const outer = outerGrad && flatOut.some((o) => level.reachesOuter(o));
    // u -> J^T u, recorded so that it can be differentiated w.r.t. u
    const us = flatOut.map((o) => (o.requiresGrad ? level.fresh(o) : null));
    const live = flatOut.filter((o) => o.requiresGrad);
    const gradInputs =
      live.length === 0
        ? flatPrimals.map(() => null)
        : autogradGradB(live, flatPrimals, {
            gradOutputs: us.filter((u): u is Tensor => u !== null),
            createGraph: true,
            allowUnused: true,
          });
    const gi: Tensor[] = [];
    const giIdx: number[] = [];
    gradInputs.forEach((g, i) => {
      if (g !== null && g.requiresGrad) {
        gi.push(g);
        giIdx.push(i);
      }
    });
    const push = (tangents: readonly Tensor[], keepNull = false): (Tensor | null)[] => {
      const createGraph = isGradEnabled() && (outer || tangents.some((t) => t.requiresGrad));
      const uList = us.filter((u): u is Tensor => u !== null);
      let res: (Tensor | null)[] = uList.map(() => null);
      if (gi.length > 0 && uList.length > 0) {
        res = enableGrad(() =>
          autogradGradB(gi, uList, {
            gradOutputs: giIdx.map((i) => tangents[i]),
            createGraph,
            retainGraph: true,
            allowUnused: true,
          }),
        );
      }
      let k = 0;
      return flatOut.map((o, i) => {
        const r = us[i] === null ? null : res[k++];
        if (r === null) return keepNull ? null : zerosLike(o);
        return level.unwrap(r) as Tensor;
      });
    };
    level.retire();
    return {
      output: level.unwrapTree(output),
      aux,
      flatOut,
      outSpec,
      flatPrimals,
      primalsSpec,
      push,
    };
  });
}

function checkTensorList(xs: readonly unknown[], argname: string): asserts xs is Tensor[] {
  if (xs.length === 0) {
    throw runtimeError(`${JVP}: Expected ${argname} to contain at least one Tensor.`);
  }
  for (const x of xs) {
    if (!(x instanceof Tensor)) {
      throw runtimeError(
        `${JVP}: Expected ${argname} to only contain Tensors, got ${pyTypeName(x)}`,
      );
    }
  }
}

/** Options of func.jvp. */
export interface JvpOptions {
  /** throw when an output does not depend on the primals (default false: zeros) */
  strict?: boolean;
  /** `fn` returns `[output, aux]`; the result is then `[output, jvpOut, aux]` */
  hasAux?: boolean;
}

/**
 * torch.func.jvp (functorch.jvp): `[fn(...primals), J·tangents]`, by the double-backward trick
 * (see Note [transforms on reverse mode]). `primals` and `tangents` are arrays (tuples) of the
 * same structure.
 * @example
 * const x = torch.randn(3);
 * const [y, dy] = torch.func.jvp((x) => x.sin(), [x], [torch.ones(3)]); // dy = cos(x)
 */
export function jvp(
  fn: (...primals: AnyArgs) => unknown,
  primals: readonly unknown[],
  tangents: readonly unknown[],
  opts: JvpOptions = {},
): Result[] {
  return jvpWithArgnums(fn, primals, tangents, null, opts);
}

function jvpWithArgnums(
  fn: (...primals: AnyArgs) => unknown,
  primals: readonly unknown[],
  tangents: unknown,
  argnums: number | number[] | null,
  opts: JvpOptions,
): Result[] {
  if (!Array.isArray(primals)) {
    throw runtimeError(
      `${JVP}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).`,
    );
  }
  const diffArgs = argnums === null ? primals : sliceArgs(primals, argnums);
  const [flatP, pSpec] = flatten(diffArgs);
  const [flatT, tSpec] = flatten(tangents);
  if (!specEqual(pSpec, tSpec)) {
    throw runtimeError(
      `${JVP}: Expected primals and tangents to have the same python structure. For example, if primals is a tuple of 3 tensors, tangents also must be. Got primals with structure ${specRepr(pSpec)} and tangents with structure ${specRepr(tSpec)}`,
    );
  }
  checkTensorList(flatP, "primals");
  checkTensorList(flatT, "tangents");
  flatP.forEach((p, i) => {
    const t = flatT[i];
    if (p.shape.length !== t.shape.length || p.shape.some((s, k) => s !== t.shape[k])) {
      throw runtimeError(
        `Trying to set a forward gradient that has a different size than that of the original Tensor, this is not supported. Tensor is of size [${p.shape.join(", ")}] while the given forward gradient is of size [${t.shape.join(", ")}].`,
      );
    }
  });
  const lin = linearize(fn, primals, argnums, opts.hasAux ?? false);
  // a real tangent of a complex primal is a direction along the real axis: the same tangent
  // as a complex one (forward AD keeps it real; the reverse passes need the primal's dtype)
  const pushed = flatT.map((t, i) =>
    flatP[i].dtype.isComplex && !t.dtype.isComplex ? t.to(flatP[i].dtype) : t,
  );
  const outs = lin.push(pushed, true).map((t, i) => {
    if (t !== null) return t;
    if (opts.strict) {
      throw runtimeError(
        "jvp(f, primals, tangents, strict=True): The output of f is independent of the inputs. This is not allowed with strict=True.",
      );
    }
    return zerosLike(lin.flatOut[i]);
  });
  const tangentOut = unflatten(outs, lin.outSpec);
  return opts.hasAux ? [lin.output, tangentOut, lin.aux] : [lin.output, tangentOut];
}

// ---------------------------------------------------------------------------------------------
// jacrev, jacfwd, hessian

/** Options of func.jacrev, func.jacfwd and func.hessian. */
export interface JacOptions {
  /** which positional argument(s) (default 0); an array gives an array of Jacobians */
  argnums?: Argnums;
  /** `fn` returns `[output, aux]`; the result is then `[jacobian, aux]` */
  hasAux?: boolean;
}

function parseJacOpts(
  argnums: Argnums | JacOptions | undefined,
  opts: JacOptions | undefined,
): { argnums: Argnums; hasAux: boolean } {
  if (typeof argnums === "number" || Array.isArray(argnums)) {
    return { argnums, hasAux: opts?.hasAux ?? false };
  }
  const o = (argnums ?? opts ?? {}) as JacOptions;
  return { argnums: o.argnums ?? 0, hasAux: o.hasAux ?? false };
}

/**
 * torch.func.jacrev (functorch.jacrev): a function returning the Jacobian of `fn` w.r.t.
 * argument `argnums` (default 0) by reverse mode, one vector-Jacobian product per output
 * element. Shape `[...output.shape, ...input.shape]`; arrays for several outputs or argnums.
 * @example
 * torch.func.jacrev((x) => x.sin())(torch.tensor([0, 0])); // tensor([[1., 0.], [0., 1.]])
 * @example
 * const f = (x: torch.Tensor) => x.pow(3).sum();
 * const hess = torch.func.jacrev(torch.func.jacrev(f)); // Hessian by reverse-over-reverse
 * hess(torch.tensor([1, 2])); // diag(6x): tensor([[ 6.,  0.], [ 0., 12.]])
 */
export function jacrev<A extends AnyArgs>(
  fn: (...args: A) => unknown,
  argnums?: Argnums | JacOptions,
  opts?: JacOptions,
): (...args: A) => Result {
  const o = parseJacOpts(argnums, opts);
  return (...args: A) => {
    const nums = validateArgnums(o.argnums, args.length);
    const lin = trace(fn as (...a: AnyArgs) => unknown, args, nums, o.hasAux, VJP);
    const numels = lin.flatOut.map((t) => t.numel());
    const total = numels.reduce((s, n) => s + n, 0);
    const starts = numels.map((_, i) => numels.slice(0, i).reduce((s, n) => s + n, 0));
    // functorch's jacrev: vmap of the vector-Jacobian product over the standard basis of the
    // outputs (row k: a one-hot cotangent for output element k). The vjp runs inside vmap, so
    // the forward runs once on `total` copies of the primals and one backward pass gives every
    // row (Note [grad inside vmap]).
    const basis = lin.flatOut.map((out, i) => {
      const b = zeros([total, numels[i]], { dtype: out.dtype });
      // a complex element is two array slots (Note [complex storage]): 1 + 0i
      const lanes = out.dtype.lanes;
      for (let k = 0; k < numels[i]; k++)
        b.typedArray[((starts[i] + k) * numels[i] + k) * lanes] = 1;
      return b.view([total, ...out.shape]);
    });
    const rows: Tensor[] =
      total === 0
        ? []
        : (vmap(
            (...cts: Tensor[]) => {
              const inner = trace(fn as (...a: AnyArgs) => unknown, args, nums, o.hasAux, VJP);
              return flatten(makeVjpFn(inner)(unflatten(cts, inner.outSpec)))[0];
              // functorch evaluates the function once: random ops draw once for all rows
            },
            { randomness: "same" },
          )(...basis) as Tensor[]);
    const jac = lin.flatOut.map((out, i) =>
      lin.flatPrimals.map((primal, p) => {
        const shape = [...out.shape, ...primal.shape];
        return numels[i] === 0
          ? zeros(shape, { dtype: primal.dtype })
          : rows[p].narrow(0, starts[i], numels[i]).view(shape);
      }),
    );
    const res = assembleJac(jac, lin.outSpec, lin.primalsSpec);
    return o.hasAux ? [res, lin.aux] : res;
  };
}

/**
 * jac[o][p] (flat outputs by flat primals) in functorch's structure: per output, the primals'
 * structure (for a number argnums, that argument's own structure), then the outputs'.
 */
function assembleJac(jac: Tensor[][], outSpec: Spec, primalsSpec: Spec): unknown {
  return unflatten(
    jac.map((row) => unflatten(row, primalsSpec)),
    outSpec,
  );
}

/**
 * torch.func.jacfwd (functorch.jacfwd): the Jacobian by forward products, one column per input
 * element (double-backward trick, first pass shared by all columns). Same results and
 * structure as jacrev.
 * @example
 * torch.func.jacfwd((x) => x.sin())(torch.tensor([0, 0])); // tensor([[1., 0.], [0., 1.]])
 * @example
 * const f = (x: torch.Tensor) => x.pow(3).sum();
 * const hess = torch.func.jacfwd(torch.func.jacrev(f)); // forward-over-reverse Hessian
 * hess(torch.tensor([1, 2])); // diag(6x): tensor([[ 6.,  0.], [ 0., 12.]])
 */
export function jacfwd<A extends AnyArgs>(
  fn: (...args: A) => unknown,
  argnums?: Argnums | JacOptions,
  opts?: JacOptions,
): (...args: A) => Result {
  const o = parseJacOpts(argnums, opts);
  return (...args: A) => {
    const nums = validateArgnums(o.argnums, args.length);
    const [flatP] = flatten(sliceArgs(args, nums));
    checkTensorList(flatP, "primals");
    const lin = linearize(fn as (...a: AnyArgs) => unknown, args, nums, o.hasAux);
    // functorch's jacfwd: vmap of the Jacobian-vector product over the standard basis of the
    // inputs (column e: a one-hot tangent for input element e); the linearisation runs inside
    // vmap, so its two reverse passes give every column at once
    const numels = lin.flatPrimals.map((t) => t.numel());
    const total = numels.reduce((s, n) => s + n, 0);
    const starts = numels.map((_, i) => numels.slice(0, i).reduce((s, n) => s + n, 0));
    const basis = lin.flatPrimals.map((q, p) => {
      const b = zeros([total, numels[p]], { dtype: q.dtype });
      const lanes = q.dtype.lanes; // 1 + 0i for a complex element
      for (let k = 0; k < numels[p]; k++)
        b.typedArray[((starts[p] + k) * numels[p] + k) * lanes] = 1;
      return b.view([total, ...q.shape]);
    });
    const cols: Tensor[] =
      total === 0
        ? []
        : (vmap(
            (...ts: Tensor[]) => {
              const inner = linearize(fn as (...a: AnyArgs) => unknown, args, nums, o.hasAux);
              return inner.push(ts);
            },
            { randomness: "same" },
          )(...basis) as Tensor[]);
    const jacT: Tensor[][] = lin.flatPrimals.map((primal, p) =>
      lin.flatOut.map((out, i) => {
        const shape = [...out.shape, ...primal.shape];
        if (numels[p] === 0) return zeros(shape, { dtype: out.dtype });
        // [n, ...out.shape] -> [...out.shape, n] -> [...out.shape, ...primal.shape]
        return cols[i].narrow(0, starts[p], numels[p]).movedim(0, -1).reshape(shape);
      }),
    );
    const jac = lin.flatOut.map((_, i) => jacT.map((col) => col[i]));
    const res = assembleJac(jac, lin.outSpec, lin.primalsSpec);
    return o.hasAux ? [res, lin.aux] : res;
  };
}

/**
 * torch.func.hessian (functorch.hessian): `jacfwd(jacrev(fn, argnums), argnums)`.
 * @example
 * torch.func.hessian((x) => x.pow(3).sum())(torch.tensor([1, 2])); // tensor([[ 6.,  0.], [ 0., 12.]])
 */
export function hessian<A extends AnyArgs>(
  fn: (...args: A) => unknown,
  argnums: Argnums = 0,
): (...args: A) => Result {
  return jacfwd(jacrev(fn, argnums), argnums);
}

// ---------------------------------------------------------------------------------------------
// vmap (Note [batched tensors] in registry/batching.ts)

/** in_dims / out_dims: an int, null (not mapped), or a tree matching the arguments/outputs. */
export type Dims = number | null | readonly Dims[] | { readonly [key: string]: Dims };

/** Options of func.vmap: the mapped dims of the arguments and the outputs. */
export interface VmapOptions {
  /** where each argument's mapped dim is (default 0); null: not mapped */
  inDims?: Dims;
  /** where the outputs' mapped dim goes (default 0) */
  outDims?: Dims;
  /** what random ops do inside: "error" (default), "different" per sample, "same" shared */
  randomness?: Randomness;
  /** run the batch in chunks of this many samples (torch.func.vmap's chunk_size) */
  chunkSize?: number | null;
}

/** Python's repr of an in_dims/out_dims value. */
function dimsRepr(d: unknown): string {
  if (d === null || d === undefined) return "None";
  if (Array.isArray(d)) {
    const items = d.map(dimsRepr);
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
  }
  if (isPlainObject(d)) {
    return `{${Object.keys(d)
      .map((k) => `${pyStr(k)}: ${dimsRepr(d[k])}`)
      .join(", ")}}`;
  }
  if (typeof d === "string") return pyStr(d);
  if (typeof d === "boolean") return d ? "True" : "False";
  return String(d);
}

/** functorch's _get_name: the function's name (a lambda's is `<lambda>`). */
function fnName(f: unknown): string {
  const n = typeof f === "function" ? f.name : "";
  return n === "" ? "<lambda>" : n;
}

/** torch.utils._pytree._broadcast_to_and_flatten: `tree`'s leaves repeated over `spec`. */
function broadcastToAndFlatten(tree: unknown, spec: Spec): unknown[] | null {
  const leafCount = (s: Spec): number =>
    s.kind === "leaf" ? 1 : s.children.reduce((n, c) => n + leafCount(c), 0);
  if (!Array.isArray(tree) && !isPlainObject(tree)) return new Array(leafCount(spec)).fill(tree);
  if (spec.kind === "leaf") return null;
  if (Array.isArray(tree)) {
    if (spec.kind !== "tuple" || tree.length !== spec.children.length) return null;
    const out: unknown[] = [];
    for (let i = 0; i < tree.length; i++) {
      const f = broadcastToAndFlatten(tree[i], spec.children[i]);
      if (f === null) return null;
      out.push(...f);
    }
    return out;
  }
  const obj = tree as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (spec.kind !== "dict" || keys.join("\0") !== spec.keys.join("\0")) return null;
  const out: unknown[] = [];
  for (let i = 0; i < keys.length; i++) {
    const f = broadcastToAndFlatten(obj[keys[i]], spec.children[i]);
    if (f === null) return null;
    out.push(...f);
  }
  return out;
}

function parseVmapOpts(
  inDims: Dims | VmapOptions | undefined,
  outDims: Dims | undefined,
  rest: VmapOptions | Randomness | undefined,
): Required<VmapOptions> {
  if (isPlainObject(inDims) && outDims === undefined && rest === undefined) {
    const o = inDims as VmapOptions;
    return {
      inDims: o.inDims === undefined ? 0 : o.inDims,
      outDims: o.outDims === undefined ? 0 : o.outDims,
      randomness: o.randomness ?? "error",
      chunkSize: o.chunkSize ?? null,
    };
  }
  const r: VmapOptions = typeof rest === "string" ? { randomness: rest } : (rest ?? {});
  return {
    inDims: inDims === undefined ? 0 : (inDims as Dims),
    outDims: outDims === undefined ? 0 : outDims,
    randomness: r.randomness ?? "error",
    chunkSize: r.chunkSize ?? null,
  };
}

/**
 * torch.func.vmap (functorch.vmap in 1.13): `fn` mapped over a dimension of its inputs. Each
 * input with an int in `inDims` is seen by `fn` without that dim (a BatchedTensor); ops run
 * once on the whole batch through their batching rules (or a loop where an op has none, with
 * PyTorch's warning). Outputs get the mapped dim at `outDims`. Nests, and composes with grad,
 * vjp, jvp, jacrev, jacfwd and hessian in both orders.
 * @example
 * torch.func.vmap(torch.dot)(torch.ones(5, 3), torch.ones(5, 3)); // tensor([3., 3., 3., 3., 3.])
 * @example
 * const [xs, w] = [torch.randn(8, 3), torch.randn(3, 2)];
 * torch.func.vmap((x, w) => x.matmul(w), [0, null])(xs, w); // w shared by every sample
 * @example
 * const loss = (w: torch.Tensor, x: torch.Tensor, y: torch.Tensor) => x.matmul(w).sub(y).pow(2).sum();
 * const [w, xs, ys] = [torch.randn(3), torch.randn(8, 3), torch.randn(8)];
 * torch.func.vmap(torch.func.grad(loss), { inDims: [null, 0, 0] })(w, xs, ys); // per-sample grads [8, 3]
 */
export function vmap<A extends AnyArgs>(
  func: (...args: A) => unknown,
  inDims?: Dims | VmapOptions,
  outDims?: Dims,
  opts?: VmapOptions | Randomness,
): (...args: A) => Result {
  const o = parseVmapOpts(inDims, outDims, opts);
  if (!["error", "different", "same"].includes(o.randomness as string)) {
    throw runtimeError(
      `Only allowed values for randomness are 'error', 'different', or 'same'. Got ${String(o.randomness)}`,
    );
  }
  if (o.chunkSize !== null && !(o.chunkSize > 0)) {
    throw valueError(
      `vmap: chunk_size should be None or greater than 0. (got ${dimsRepr(o.chunkSize)})`,
    );
  }
  return (...args: A) => {
    checkOutDimsInts(o.outDims, func);
    const [batchSize, flatInDims, flatArgs, argsSpec] = processBatchedInputs(o.inDims, args, func);
    if (o.chunkSize === null || o.chunkSize >= batchSize) {
      return flatVmap(func, batchSize, flatInDims, flatArgs, argsSpec, o);
    }
    // chunks along each mapped dim, vmapped one by one, concatenated at out_dims
    const chunkSize = o.chunkSize;
    const outs: unknown[] = [];
    for (let start = 0; start < batchSize; start += chunkSize) {
      const n = Math.min(chunkSize, batchSize - start);
      const chunkArgs = flatArgs.map((a, i) =>
        flatInDims[i] === null ? a : (a as Tensor).narrow(flatInDims[i] as number, start, n),
      );
      outs.push(flatVmap(func, n, flatInDims, chunkArgs, argsSpec, o));
    }
    const [first, outSpec] = flatten(outs[0]);
    const flatOutDims = broadcastToAndFlatten(o.outDims, outSpec) as number[];
    const cat = (ts: Tensor[], d: number): Tensor => catFn(ts, d);
    const flatRes = first.map((_, k) =>
      cat(
        outs.map((out) => (flatten(out)[0] as Tensor[])[k]),
        flatOutDims[k],
      ),
    );
    return unflatten(flatRes, outSpec);
  };
}

const catFn = (ts: Tensor[], d: number): Tensor => registryFn("cat")(ts, d) as Tensor;

function checkOutDimsInts(outDims: Dims, func: unknown): void {
  if (typeof outDims === "number") return;
  const [leaves] = flatten(outDims);
  for (const l of leaves) {
    if (typeof l !== "number" || !Number.isInteger(l)) {
      throw valueError(
        `vmap(${fnName(func)}, ..., out_dims=${dimsRepr(outDims)}): \`out_dims\` must be an int or a python collection of ints representing where in the outputs the vmapped dimension should appear.`,
      );
    }
  }
}

function processBatchedInputs(
  inDims: Dims,
  args: readonly unknown[],
  func: unknown,
): [number, (number | null)[], unknown[], Spec] {
  const name = fnName(func);
  // an f-string shows the value's str(): a string without quotes
  const shown = typeof inDims === "string" ? inDims : dimsRepr(inDims);
  const head = `vmap(${name}, in_dims=${shown}, ...)(<inputs>)`;
  if (!(typeof inDims === "number" && Number.isInteger(inDims)) && !Array.isArray(inDims)) {
    throw valueError(
      `${head}: expected \`in_dims\` to be int or a (potentially nested) tuple matching the structure of inputs, got: ${pyTypeName(inDims)}.`,
    );
  }
  if (args.length === 0) {
    throw valueError(
      `vmap(${name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying to vmap over a function with no inputs. The latter is unsupported.`,
    );
  }
  const [flatArgs, argsSpec] = flatten(args.slice());
  const flat = broadcastToAndFlatten(inDims, argsSpec);
  if (flat === null) {
    throw valueError(
      `${head}: in_dims is not compatible with the structure of \`inputs\`. in_dims has structure ${specRepr(flatten(inDims)[1])} but inputs has structure ${specRepr(argsSpec)}.`,
    );
  }
  const flatInDims = flat.map((d, i) => {
    const arg = flatArgs[i];
    if (d !== null && d !== undefined && !(typeof d === "number" && Number.isInteger(d))) {
      throw valueError(
        `${head}: Got in_dim=${dimsRepr(d)} for an input but in_dim must be either an integer dimension or None.`,
      );
    }
    if (typeof d === "number" && !(arg instanceof Tensor)) {
      throw valueError(
        `${head}: Got in_dim=${d} for an input but the input is of type ${pyTypeName(arg)}. We cannot vmap over non-Tensor arguments, please use None as the respective in_dim`,
      );
    }
    if (typeof d !== "number") return null;
    const n = (arg as Tensor).dim();
    if (d < -n || d >= n) {
      throw valueError(
        `${head}: Got in_dim=${d} for some input, but that input is a Tensor of dimensionality ${n} so expected in_dim to satisfy -${n} <= in_dim < ${n}.`,
      );
    }
    return d < 0 ? ((d % n) + n) % n : d;
  });
  const sizes = flatInDims.flatMap((d, i) =>
    d === null ? [] : [(flatArgs[i] as Tensor).shape[d]],
  );
  if (sizes.length === 0) throw valueError("vmap: Expected at least one Tensor to vmap over");
  if (sizes.some((s) => s !== sizes[0])) {
    throw valueError(
      `vmap: Expected all tensors to have the same size in the mapped dimension, got sizes [${sizes.join(", ")}] for the mapped dimension`,
    );
  }
  return [sizes[0], flatInDims, flatArgs, argsSpec];
}

function flatVmap(
  func: (...args: AnyArgs) => unknown,
  batchSize: number,
  flatInDims: (number | null)[],
  flatArgs: unknown[],
  argsSpec: Spec,
  o: Required<VmapOptions>,
): unknown {
  return withVmapLevel(batchSize, o.randomness, (l) => {
    const batched = flatArgs.map((a, i) =>
      flatInDims[i] === null ? a : makeBatched(a as Tensor, flatInDims[i], l.level),
    );
    const out = func(...(unflatten(batched, argsSpec) as AnyArgs));
    return unwrapBatched(out, o.outDims, l.level, batchSize, func);
  });
}

function unwrapBatched(
  out: unknown,
  outDims: Dims,
  level: number,
  batchSize: number,
  func: unknown,
): unknown {
  const [flatOut, outSpec] = flatten(out);
  for (const t of flatOut) {
    if (!(t instanceof Tensor)) {
      throw valueError(
        `vmap(${fnName(func)}, ...): \`${fnName(func)}\` must only return Tensors, got type ${pyTypeName(t)} as a return.`,
      );
    }
  }
  const incompatible = (): never => {
    throw valueError(
      `vmap(${fnName(func)}, ..., out_dims=${dimsRepr(outDims)})(<inputs>): out_dims is not compatible with the structure of \`outputs\`. out_dims has structure ${specRepr(flatten(outDims)[1])} but outputs has structure ${specRepr(outSpec)}.`,
    );
  };
  let flatOutDims: unknown[];
  if (out instanceof Tensor) {
    if (typeof outDims === "number") flatOutDims = [outDims];
    else if (Array.isArray(outDims) && outDims.length === 1) flatOutDims = outDims;
    else return incompatible();
  } else {
    flatOutDims = broadcastToAndFlatten(outDims, outSpec) ?? incompatible();
  }
  const res = (flatOut as Tensor[]).map((t, i) =>
    removeBatchDim(t, level, batchSize, flatOutDims[i] as number),
  );
  return unflatten(res, outSpec);
}

/** functorch's _remove_batch_dim: the mapped dim of `level` moved (or expanded) to `outDim`. */
function removeBatchDim(t: Tensor, level: number, batchSize: number, outDim: number): Tensor {
  if (t instanceof BatchedTensor && t.level === level) {
    const n = t.value.dim();
    const d = wrapOutDim(outDim, n);
    return t.bdim === d ? t.value : t.value.movedim(t.bdim, d);
  }
  const n = t.dim() + 1;
  const d = wrapOutDim(outDim, n);
  return t.unsqueeze(d).expand([...t.shape.slice(0, d), batchSize, ...t.shape.slice(d)]);
}

function wrapOutDim(d: number, n: number): number {
  if (d < -n || d >= n) {
    throw indexError(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${d})`,
    );
  }
  return d < 0 ? d + n : d;
}

// ---------------------------------------------------------------------------------------------
// functionalCall

/** Named tensors: an object (dict) or a Map keyed by PyTorch's dotted names. */
export type NamedTensors = Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>;

/**
 * torch.func.functional_call (torch.nn.utils.stateless.functional_call in 1.13): calls
 * `module` with its parameters and buffers replaced by the given tensors (one dict, or an
 * array of dicts with distinct keys), then restores them, also when the call throws. `args`
 * is an array of positional arguments (a single non-array value is one argument); `kwargs`
 * become a trailing options object.
 * @example
 * const model = new torch.nn.Linear(3, 2);
 * const params = Object.fromEntries(model.namedParameters().map(([k, v]) => [k, v.detach()]));
 * torch.func.functionalCall(model, params, [torch.randn(4, 3)]);
 * @example
 * // per-sample gradients (PyTorch's tutorial)
 * const model = new torch.nn.Linear(3, 4);
 * const params = Object.fromEntries(model.namedParameters().map(([k, v]) => [k, v.detach()]));
 * const buffers = {};
 * const [xs, ys] = [torch.randn(8, 3), torch.randint(0, 4, [8])];
 * type P = Record<string, torch.Tensor>;
 * const loss = (p: P, b: P, x: torch.Tensor, y: torch.Tensor) =>
 *   F.crossEntropy(torch.func.functionalCall(model, [p, b], [x.unsqueeze(0)]), y.unsqueeze(0));

 * torch.func.vmap(torch.func.grad(loss), [null, null, 0, 0])(params, buffers, xs, ys);
 */
export function functionalCall(
  module: Module,
  parameterAndBufferDicts: NamedTensors | readonly NamedTensors[],
  args?: unknown,
  kwargs?: Readonly<Record<string, unknown>> | null,
): Result {
  const entries = (d: NamedTensors): [string, Tensor][] =>
    d instanceof Map ? [...d.entries()] : Object.entries(d as Record<string, Tensor>);
  let all: [string, Tensor][];
  if (Array.isArray(parameterAndBufferDicts)) {
    const dicts = parameterAndBufferDicts as readonly NamedTensors[];
    if (!dicts.every((d) => d instanceof Map || isPlainObject(d))) {
      throw valueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries");
    }
    all = dicts.flatMap(entries);
    const seen = new Map<string, number>();
    for (const [k] of all) seen.set(k, (seen.get(k) ?? 0) + 1);
    const repeated = [...seen].filter(([, n]) => n > 1).map(([k]) => pyStr(k));
    if (repeated.length > 0) {
      throw valueError(
        `[${repeated.join(", ")}] appeared in multiple dictionaries; behavior of functional call is ambiguous`,
      );
    }
  } else if (parameterAndBufferDicts instanceof Map || isPlainObject(parameterAndBufferDicts)) {
    all = entries(parameterAndBufferDicts as NamedTensors);
  } else {
    throw valueError(
      `Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got ${pyTypeName(parameterAndBufferDicts)}`,
    );
  }
  const callArgs: unknown[] = Array.isArray(args) ? args.slice() : args === undefined ? [] : [args];
  if (kwargs !== undefined && kwargs !== null && Object.keys(kwargs).length > 0) {
    callArgs.push(kwargs);
  }
  // swap each named tensor into its module's field, remembering the original
  const restore: [Record<string, unknown>, string, unknown][] = [];
  try {
    for (const [name, value] of all) {
      const dot = name.lastIndexOf(".");
      const owner = (dot < 0
        ? module
        : module.getSubmodule(name.slice(0, dot))) as unknown as Record<string, unknown>;
      const field = name.slice(dot + 1);
      restore.push([owner, field, owner[field]]);
      owner[field] = value;
    }
    return (module as unknown as { call(...a: unknown[]): unknown }).call(...callArgs);
  } finally {
    for (let i = restore.length - 1; i >= 0; i--) {
      const [owner, field, old] = restore[i];
      owner[field] = old;
    }
  }
}
