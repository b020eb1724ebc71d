/**
 * Custom autograd functions (torch.autograd.Function): a user class with static `forward` and
 * `backward`, applied with `Cls.apply(...args)`. `forward` runs under noGrad; its tensor
 * outputs get one node, `<ClassName>Backward` (PyTorch's name for custom nodes), whose `apply`
 * calls `backward` and checks what it returns as PyTorch does. The engine treats the node as
 * any other: it un-broadcasts and casts the returned gradients (Note [un-broadcasting]) and,
 * with `createGraph`, runs `backward` with grad mode on so tensor ops in it are recorded
 * (double backward). In a forward-AD dual level, an optional static `jvp(ctx, ...tangents)`
 * gives the outputs' tangents (forward-ad.ts's setTangent).
 */
import { Tensor } from "../tensor.js";
import { AccumulateGrad, FREED_GRAPH_MESSAGE, Node, SavedVariable, type Edge } from "./node.js";
import { isGradEnabled, noGrad } from "./grad-mode.js";
import { disownGradients } from "./owned-grads.js";
import { runtimeError, typeError } from "../errors.js";
import { alloc, pyTypeName } from "../ops/core.js";
import type { DType } from "../dtype.js";
import { moveRetainGrad } from "../ops/inplace.js";
import {
  anyTangent,
  getTangent,
  isForwardADActive,
  noForwardGrad,
  setTangent,
} from "./forward-ad.js";

/** PyTorch raises NotImplementedError for a missing forward/backward. */
function notImplemented(msg: string): Error {
  const e = new Error(msg);
  e.name = "NotImplementedError";
  return e;
}

/**
 * The `ctx` passed to `forward` and `backward`: saves tensors for backward, marks outputs
 * and carries any extra attributes you set on it (`ctx.scale = 2`).
 * @example
 * class Scale extends torch.autograd.Function {
 *   static forward(ctx: torch.autograd.FunctionCtx, x: torch.Tensor, k: number) {
 *     ctx.k = k; // any attribute, read back in backward
 *     return x.mul(k);
 *   }
 *   static backward(ctx: torch.autograd.FunctionCtx, g: torch.Tensor) {
 *     return [g.mul(ctx.k), null];
 *   }
 * }
 * const x = torch.ones(2, { requiresGrad: true });
 * Scale.apply(x, 3).sum().backward(); // x.grad: tensor([3., 3.])
 */
export class FunctionCtx {
  /** arbitrary attributes set by forward for backward */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- user attributes, as on PyTorch's ctx
  [attribute: string]: any;

  /** one per argument of forward: whether it is a tensor that requires grad */
  needsInputGrad: boolean[] = [];
  /** @internal tensors given to saveForBackward, until forward ends */
  _toSave: (Tensor | null)[] | null = null;
  /** @internal the SavedVariables made from them once forward ended (recorded calls only) */
  _saved: (SavedVariable | null)[] | null = null;
  /** @internal */
  _dirty: Set<Tensor> | null = null;
  /** @internal */
  _nonDifferentiable: Set<Tensor> | null = null;
  /** @internal */
  _materializeGrads = true;
  /** @internal set once the graph freed the saved tensors */
  _released = false;
  /** @internal tensors given to saveForForward (read by jvp through savedTensors) */
  _forwardSaved: (Tensor | null)[] | null = null;
  /** @internal true while jvp runs */
  _inJvp = false;

  /**
   * Save tensors (or null) for backward; read them back with `ctx.savedTensors`. Saving
   * through ctx (rather than as attributes) checks in-place modification and frees them
   * after backward, as PyTorch does.
   * @example
   * class Square extends torch.autograd.Function {
   *   static forward(ctx: torch.autograd.FunctionCtx, x: torch.Tensor) {
   *     ctx.saveForBackward(x);
   *     return x.mul(x);
   *   }
   *   static backward(ctx: torch.autograd.FunctionCtx, g: torch.Tensor) {
   *     const [x] = ctx.savedTensors;
   *     return g.mul(x!).mul(2);
   *   }
   * }
   * const x = torch.tensor([1, 2], { requiresGrad: true });
   * Square.apply(x).sum().backward(); // x.grad: tensor([2., 4.])
   */
  saveForBackward(...tensors: (Tensor | null | undefined)[]): void {
    tensors.forEach((t, i) => {
      if (t !== null && t !== undefined && !(t instanceof Tensor)) {
        throw typeError(
          `save_for_backward can only save variables, but argument ${i} is of type ${pyTypeName(t)}`,
        );
      }
    });
    this._toSave = tensors.map((t) => t ?? null);
  }

  /**
   * The tensors given to saveForBackward. Throws PyTorch's errors if one was modified in
   * place since, or if the graph was already freed by a backward without `retainGraph`.
   * @example
   * class Exp extends torch.autograd.Function {
   *   static forward(ctx: torch.autograd.FunctionCtx, x: torch.Tensor) {
   *     const result = x.exp();
   *     ctx.saveForBackward(x, result);
   *     return result;
   *   }
   *   static backward(ctx: torch.autograd.FunctionCtx, g: torch.Tensor) {
   *     const [, result] = ctx.savedTensors;
   *     return g.mul(result!);
   *   }
   * }
   * Exp.apply(torch.zeros(2, { requiresGrad: true })).sum().backward();
   */
  get savedTensors(): (Tensor | null)[] {
    if (this._inJvp && this._forwardSaved !== null) return this._forwardSaved.slice();
    if (this._saved !== null) return this._saved.map((v) => (v === null ? null : v.unpack()));
    if (this._released) throw runtimeError(FREED_GRAPH_MESSAGE);
    return this._toSave === null ? [] : this._toSave.slice();
  }

  /**
   * Save tensors for `jvp` (forward mode); jvp reads them with `ctx.savedTensors`.
   * @example
   * class Exp extends torch.autograd.Function {
   *   static forward(ctx: torch.autograd.FunctionCtx, x: torch.Tensor) {
   *     const result = x.exp();
   *     ctx.saveForForward(result);
   *     return result;
   *   }
   *   static jvp(ctx: torch.autograd.FunctionCtx, t: torch.Tensor) {
   *     const [result] = ctx.savedTensors;
   *     return t.mul(result!);
   *   }
   * }
   * const fwAD = torch.autograd.forwardAd;
   * fwAD.dualLevel(() => {
   *   const x = fwAD.makeDual(torch.zeros(2), torch.ones(2));
   *   console.log(String(fwAD.unpackDual(Exp.apply(x)).tangent)); // tensor([1., 1.])
   * });
   */
  saveForForward(...tensors: (Tensor | null | undefined)[]): void {
    tensors.forEach((t, i) => {
      if (t !== null && t !== undefined && !(t instanceof Tensor)) {
        throw typeError(
          `save_for_forward expects all arguments to be tensors; but got ${pyTypeName(t)} at position ${i}`,
        );
      }
    });
    this._forwardSaved = tensors.map((t) => t ?? null);
  }

  /**
   * Declare inputs that forward modified in place (they must be returned as outputs).
   * @example
   * class Double_ extends torch.autograd.Function {
   *   static forward(ctx: torch.autograd.FunctionCtx, x: torch.Tensor) {
   *     x.mul_(2);
   *     ctx.markDirty(x);
   *     return x;
   *   }
   *   static backward(_ctx: torch.autograd.FunctionCtx, g: torch.Tensor) {
   *     return g.mul(2);
   *   }
   * }
   * const a = torch.ones(2, { requiresGrad: true });
   * const y = Double_.apply(a.clone()); // modifies the clone in place
   */
  markDirty(...tensors: Tensor[]): void {
    this._dirty = new Set(tensors);
  }

  /**
   * Declare outputs that are not differentiable (indices, masks): they do not require grad
   * and backward receives zeros (or null, see setMaterializeGrads) for them.
   * @example
   * class SortFn extends torch.autograd.Function {
   *   static forward(ctx: torch.autograd.FunctionCtx, x: torch.Tensor) {
   *     const [values, indices] = x.sort();
   *     ctx.markNonDifferentiable(indices);
   *     ctx.saveForBackward(indices);
   *     return [values, indices];
   *   }
   *   static backward(ctx: torch.autograd.FunctionCtx, g: torch.Tensor) {
   *     const [indices] = ctx.savedTensors;
   *     return torch.zerosLike(g).scatter(0, indices!, g);
   *   }
   * }
   * const [values, indices] = SortFn.apply(torch.tensor([3, 1, 2], { requiresGrad: true }));
   * // indices.requiresGrad === false
   */
  markNonDifferentiable(...tensors: Tensor[]): void {
    this._nonDifferentiable = new Set(tensors);
  }

  /**
   * Whether backward receives zero tensors (true, the default) or null for outputs whose
   * gradient is not defined.
   * @example
   * class Pair extends torch.autograd.Function {
   *   static forward(ctx: torch.autograd.FunctionCtx, x: torch.Tensor) {
   *     ctx.setMaterializeGrads(false);
   *     return [x.mul(2), x.mul(3)];
   *   }
   *   static backward(_ctx: torch.autograd.FunctionCtx, g1: torch.Tensor | null, g2: torch.Tensor | null) {
   *     // only the second output was used: g1 is null instead of zeros
   *     return g2!.mul(3).add(g1 === null ? 0 : g1.mul(2));
   *   }
   * }
   * const x = torch.ones(2, { requiresGrad: true });
   * Pair.apply(x)[1].sum().backward(); // x.grad: tensor([3., 3.])
   */
  setMaterializeGrads(value: boolean): void {
    this._materializeGrads = Boolean(value);
  }
}

/** What backward may return: one gradient per argument of forward (null for non-tensors). */
export type BackwardResult = Tensor | null | undefined | (Tensor | null | undefined)[];

/** The static side every custom function has (used to type `apply`). */
export interface FunctionClass {
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each subclass declares its own signature
  forward(ctx: FunctionCtx, ...args: any[]): any;
  backward(ctx: FunctionCtx, ...grads: (Tensor | null)[]): BackwardResult;
  jvp?(ctx: FunctionCtx, ...tangents: (Tensor | null)[]): BackwardResult;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- argument lists of forward
type Rest<P> = P extends [any, ...infer R] ? R : never;

/**
 * Base class of custom autograd functions (torch.autograd.Function). Subclass it with static
 * `forward(ctx, ...args)` and `backward(ctx, ...gradOutputs)`, then call `Cls.apply(...args)`.
 * forward returns a tensor or an array of outputs (PyTorch's tuple); backward returns one
 * gradient per argument of forward, null for non-tensor arguments or inputs that need none.
 * @example
 * class Exp extends torch.autograd.Function {
 *   static forward(ctx: torch.autograd.FunctionCtx, x: torch.Tensor) {
 *     const r = x.exp();
 *     ctx.saveForBackward(r);
 *     return r;
 *   }
 *   static backward(ctx: torch.autograd.FunctionCtx, g: torch.Tensor) {
 *     const [r] = ctx.savedTensors;
 *     return g.mul(r!);
 *   }
 * }
 * const y = Exp.apply(torch.ones(2, { requiresGrad: true })); // y.gradFn.name() === "ExpBackward"
 */
export class Function {
  /** Compute the outputs (runs under noGrad). Override in the subclass. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- overridden with the subclass's own signature
  static forward(_ctx: FunctionCtx, ..._args: any[]): any {
    throw notImplemented("You must implement the forward function for custom autograd.Function.");
  }

  /** Gradients of the inputs from those of the outputs. Override in the subclass. */
  static backward(_ctx: FunctionCtx, ..._grads: (Tensor | null)[]): BackwardResult {
    throw notImplemented(
      "You must implement either the backward or vjp method for your custom autograd.Function " +
        "to use it with backward mode AD.",
    );
  }

  /**
   * Run forward and, when an input requires grad and grad mode is on, record a
   * `<ClassName>Backward` node for its outputs.
   * @example
   * class Cube extends torch.autograd.Function {
   *   static forward(ctx: torch.autograd.FunctionCtx, x: torch.Tensor) {
   *     ctx.saveForBackward(x);
   *     return x.pow(3);
   *   }
   *   static backward(ctx: torch.autograd.FunctionCtx, g: torch.Tensor) {
   *     const [x] = ctx.savedTensors;
   *     return g.mul(x!.pow(2)).mul(3);
   *   }
   * }
   * const y = Cube.apply(torch.tensor([2], { requiresGrad: true })); // grad_fn=<CubeBackward>

   */
  static apply<C extends FunctionClass>(
    this: C,
    ...args: Rest<Parameters<C["forward"]>>
  ): ReturnType<C["forward"]> {
    return applyFunction(this, args) as ReturnType<C["forward"]>;
  }
}

interface OutputMeta {
  shape: number[];
  dtype: DType;
}

/** The edge to `t`'s producer, with the metadata the engine un-broadcasts with. */
function edgeTo(t: Tensor): Edge {
  let node: Node | null = t.gradFn;
  let nr = t.outputNr;
  if (node === null) {
    nr = 0;
    if (t._requiresGrad) node = t._accumulateNode ?? (t._accumulateNode = new AccumulateGrad(t));
  }
  return { node, inputNr: nr, shape: t.shape, dtypeName: t.dtype.name };
}

/** A tensor viewing `t` with no history (PyTorch returns unmodified inputs as views). */
function alias(t: Tensor): Tensor {
  return new Tensor(t.typedArray, t.shape, t.strides, t.offset, t.dtype, t._version, t._base ?? t);
}

function applyFunction(cls: FunctionClass, args: unknown[]): unknown {
  const ctx = new FunctionCtx();
  const inputs = new Set<Tensor>();
  const tensorArgs: Tensor[] = [];
  /** for each argument of forward, its edge number (-1: not a tensor) */
  const edgeOf: number[] = [];
  for (const a of args) {
    const isTensor = a instanceof Tensor;
    ctx.needsInputGrad.push(isTensor && a.requiresGrad);
    edgeOf.push(isTensor ? tensorArgs.length : -1);
    if (isTensor) {
      tensorArgs.push(a);
      inputs.add(a);
    }
  }
  const executable = isGradEnabled() && ctx.needsInputGrad.some((b) => b);

  // Forward mode: forward sees no tangents; jvp gives the outputs theirs (below).
  const fw = isForwardADActive();
  const withTangents = fw && anyTangent(tensorArgs);
  const raw: unknown = fw
    ? noForwardGrad(() => noGrad(() => cls.forward(ctx, ...args)))
    : noGrad(() => cls.forward(ctx, ...args));
  const isTuple = Array.isArray(raw);
  const outs: unknown[] = isTuple ? (raw as unknown[]).slice() : [raw];

  if (ctx._dirty !== null) {
    for (const d of ctx._dirty) {
      if (!outs.includes(d)) {
        throw runtimeError(
          "Some elements marked as dirty during the forward method were not returned as output. " +
            "The inputs that are modified inplace must all be outputs of the Function.",
        );
      }
    }
  }

  let node: CustomFunctionNode | null = null;
  if (executable) {
    // edges before outputs are wired: a dirty input's history moves to the new node
    const edges = tensorArgs.map(edgeTo);
    const meta = outs.map((o) =>
      o instanceof Tensor ? { shape: o.shape.slice(), dtype: o.dtype } : null,
    );
    node = new CustomFunctionNode(cls, ctx, edges, edgeOf, meta);
  }

  for (let i = 0; i < outs.length; i++) {
    const o = outs[i];
    if (!(o instanceof Tensor)) continue;
    const isInput = inputs.has(o);
    const isDirty = ctx._dirty !== null && ctx._dirty.has(o);
    const differentiable =
      node !== null &&
      o.dtype.differentiable &&
      (ctx._nonDifferentiable === null || !ctx._nonDifferentiable.has(o));
    if (!differentiable) {
      if (!o.requiresGrad) {
        if (isInput && !isDirty) outs[i] = alias(o);
      } else {
        // detached aliases, rather than changing the tensor's own requires_grad
        outs[i] = isInput ? o.detach() : o.detach_();
      }
      continue;
    }
    const n = node as CustomFunctionNode;
    if (isDirty) {
      if (o.gradFn === null && o.requiresGrad)
        throw runtimeError(
          "a leaf Variable that requires grad has been used in an in-place operation.",
        );
      o._version.value++;
      if (o._retainsGrad) moveRetainGrad(o, n, i);
      o.gradFn = n;
      o.outputNr = i;
    } else {
      const t = isInput ? alias(o) : o;
      t.gradFn = n;
      t.outputNr = i;
      outs[i] = t;
    }
  }

  // saved after the outputs joined the graph: a saved output knows its producer (this node)
  if (node !== null && ctx._toSave !== null) {
    ctx._saved = ctx._toSave.map((t) => (t === null ? null : new SavedVariable(t)));
    ctx._toSave = null;
  }
  if (withTangents) applyJvp(cls, ctx, args, outs);
  return isTuple ? outs : outs[0];
}

/**
 * Forward mode: call `jvp(ctx, ...tangents)` (one per argument of forward: the input's
 * tangent, zeros for tensors without one, null for non-tensors) and give each floating
 * tensor output the tangent returned for it.
 */
function applyJvp(cls: FunctionClass, ctx: FunctionCtx, args: unknown[], outs: unknown[]): void {
  if (cls.jvp === undefined) {
    throw notImplemented(
      "You must implement the jvp function for custom autograd.Function to use it with forward mode AD.",
    );
  }
  const tangents = args.map((a) => {
    if (!(a instanceof Tensor)) return null;
    return getTangent(a) ?? alloc(a.shape.slice(), a.dtype);
  });
  let r: BackwardResult;
  ctx._inJvp = true;
  try {
    // with propagation off, as PyTorch: tensors saved for forward keep their tangents
    r = noForwardGrad(() => (cls.jvp as NonNullable<FunctionClass["jvp"]>)(ctx, ...tangents));
  } finally {
    ctx._inJvp = false;
  }
  const list = Array.isArray(r) ? r : [r];
  if (list.length !== outs.length) {
    throw runtimeError(
      `Function's jvp returned an invalid number of forward gradients (expected ${outs.length} but got ${list.length})`,
    );
  }
  outs.forEach((o, i) => {
    const t = list[i] ?? null;
    if (o instanceof Tensor && o.dtype.differentiable && t !== null) setTangent(o, t);
  });
}

function expandableTo(shape: readonly number[], target: readonly number[]): boolean {
  if (shape.length > target.length) return false;
  for (let i = 1; i <= shape.length; i++) {
    const s = shape[shape.length - i];
    const t = target[target.length - i];
    if (s !== t && s !== 1) return false;
  }
  return true;
}

/**
 * The node of a custom function's outputs (PyTorch's BackwardCFunction): named
 * `<ClassName>Backward`, one edge per tensor argument of forward.
 */
export class CustomFunctionNode extends Node {
  constructor(
    readonly fnClass: FunctionClass,
    readonly ctx: FunctionCtx,
    edges: Edge[],
    /** for each argument of forward, its edge number (-1: not a tensor) */
    private readonly edgeOf: readonly number[],
    private readonly outputMeta: readonly (OutputMeta | null)[],
  ) {
    super(edges);
    this.numOutputs = outputMeta.length;
  }

  name(): string {
    return `${this.fnClass.name}Backward`;
  }

  override toString(): string {
    return `<torch.autograd.function.${this.name()} object at 0x${this.address.toString(16)}>`;
  }

  /** PyTorch's grad_fn.saved_tensors */
  get savedTensors(): (Tensor | null)[] {
    return this.ctx.savedTensors;
  }

  /** PyTorch's grad_fn.needs_input_grad */
  get needsInputGradients(): boolean[] {
    return this.ctx.needsInputGrad;
  }

  override savedVariables(): readonly SavedVariable[] {
    const s = this.ctx._saved;
    return s === null ? [] : s.filter((v): v is SavedVariable => v !== null);
  }

  override release(): void {
    this.ctx._released = true;
    const s = this.ctx._saved;
    if (s !== null) for (const v of s) v?.release();
  }

  apply(gradOutputs: (Tensor | null)[]): (Tensor | null)[] {
    // the user's backward may keep them (Note [stolen gradients])
    disownGradients(gradOutputs);
    const ctx = this.ctx;
    const name = this.name();
    const grads = this.outputMeta.map((m, i) => {
      const g = gradOutputs[i] ?? null;
      if (g !== null || m === null || !ctx._materializeGrads) return g;
      return alloc(m.shape.slice(), m.dtype);
    });
    const r = this.fnClass.backward(ctx, ...grads);
    const list = Array.isArray(r) ? r : [r];
    const expected = this.edgeOf.length;
    if (list.length < expected || list.slice(expected).some((g) => g != null)) {
      throw runtimeError(
        `function ${name} returned an incorrect number of gradients (expected ${expected}, got ${list.length})`,
      );
    }
    const out = new Array<Tensor | null>(this.edges.length).fill(null);
    for (let i = 0; i < expected; i++) {
      const g = list[i] ?? null;
      const k = this.edgeOf[i];
      if (g === null) continue;
      if (k < 0) {
        throw runtimeError(
          `function ${name} returned a gradient different than None at position ${i + 1}, but ` +
            `the corresponding forward input was not a Variable`,
        );
      }
      if (!(g instanceof Tensor))
        throw runtimeError(`expected Variable or None (got ${pyTypeName(g)})`);
      const e = this.edges[k];
      if (e.node === null) continue;
      const want = e.shape as readonly number[];
      if (!expandableTo(want, g.shape)) {
        throw runtimeError(
          `Function ${name} returned an invalid gradient at index ${k} - got [${g.shape.join(", ")}] ` +
            `but expected shape compatible with [${want.join(", ")}]`,
        );
      }
      out[k] = g;
    }
    return out;
  }
}
