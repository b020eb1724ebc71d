/**
 * The Tensor: a strided view over a typed array (so memory is the garbage collector's), with
 * autograd metadata. Methods delegate to the op modules; this file holds no op math.
 */
import {
  DType,
  type DTypeName,
  type TypedArray,
  bool,
  float32,
  float64,
  int32,
  int64,
  toDType,
  getDefaultDtype,
} from "./dtype.js";
import {
  contiguousStrides,
  isContiguous as layoutContiguous,
  normalizeDim,
  numelOf,
  shapeEqual,
} from "./shape.js";
import type { Node, RemovableHandle, TensorHook } from "./autograd/node.js";
import { removableHandle, type AccumulateGrad } from "./autograd/node.js";
import { gradientEdge, needsGrad, record } from "./autograd/function.js";
import { isInferenceModeEnabled, noGrad } from "./autograd/grad-mode.js";
import { runtimeError, typeError } from "./errors.js";
import { formatPyFloat, formatTensor } from "./print.js";
import { getTangent } from "./autograd/forward-ad.js";
import * as V from "./ops/views.js";
import * as I from "./ops/indexing.js";
import { castData, contiguousData, wrap } from "./ops/core.js";
import { inplace, regenerateViewGradFn } from "./ops/inplace.js";
import { backward as runBackwardApi, type BackwardOptions } from "./autograd/api.js";

/** Note [version counter]: shared by a tensor and its views; bumped by in-place ops. */
export class VersionCounter {
  value = 0;
}

/**
 * How a view was made (PyTorch's CreationMeta; Note [view regeneration]): in grad mode
 * ("default"), under noGrad ("noGrad"), under inferenceMode ("inference"), or as an output of
 * an op returning several views such as split ("multiOutput"). Only "default" views may be
 * modified in place (directly or through their base) where autograd would have to rebuild
 * their history.
 */
export type CreationMeta = "default" | "noGrad" | "inference" | "multiOutput";

let warnedNonLeafGrad = false;
const NO_OPTIONS: BackwardOptions = {};

export class Tensor {
  /**
   * The storage: the typed array this tensor views (shared with its views), read through
   * `shape`, `strides` and `offset`. PyTorch's `t.data` is the `data` accessor below.
   */
  typedArray: TypedArray;
  /** sizes; Note [immutable shapes]: never mutated in place */
  shape: number[];
  strides: number[];
  offset: number;
  dtype: DType;
  /** @internal the stored grad_fn, read through `gradFn` (Note [view regeneration]) */
  _gradFn: Node | null = null;
  /** which output of gradFn this tensor is */
  outputNr = 0;
  /** @internal a leaf's requires_grad flag (non-leaves require grad through gradFn) */
  _requiresGrad = false;
  /** @internal the accumulated gradient behind `grad` */
  _grad: Tensor | null = null;
  /** @internal created on first use (most tensors are never saved, viewed or modified in place) */
  _versionCounter: VersionCounter | null;
  /** @internal for views: the tensor whose storage this views */
  _base: Tensor | null;
  /** @internal a leaf's AccumulateGrad node, created on first use */
  _accumulateNode: AccumulateGrad | null = null;
  /** @internal */
  _retainsGrad = false;
  /** @internal forward AD: the tangent, valid while `_fwLevel` is the active dual level's epoch */
  _fwGrad: Tensor | null = null;
  /** @internal */
  _fwLevel = 0;
  /**
   * @internal Note [wrapped numbers]: a 0-dim tensor made from a JS number passed where a
   * Tensor goes (`torch.add(2, t)`); type promotion ranks it as a number, as PyTorch's
   * wrapped numbers.
   */
  _wrappedNumber = false;
  /**
   * @internal views: the version counter's value when the view's grad_fn was last set
   * (PyTorch's attr_version; Note [view regeneration])
   */
  _viewVersion: number;
  /** @internal views: the mode the view was made in (Note [view regeneration]) */
  _creationMeta: CreationMeta = "default";
  /** @internal made under inferenceMode (Note [inference tensors]) */
  _inference: boolean;

  constructor(
    data: TypedArray,
    shape: number[],
    strides: number[],
    offset: number,
    dtype: DType,
    version?: VersionCounter,
    base?: Tensor | null,
  ) {
    this.typedArray = data;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.dtype = dtype;
    this._versionCounter = version ?? null;
    this._base = base ?? null;
    this._viewVersion = version === undefined ? 0 : version.value;
    // Note [inference tensors]: a view is one when its base is; anything else when made in the mode
    this._inference = base != null ? base._inference : isInferenceModeEnabled();
  }

  /**
   * grad_fn: the node that produced this tensor, null for leaves. Note [view regeneration]: a
   * view whose storage was modified in place since its grad_fn was set (through its base or
   * another view) gets a fresh AsStridedBackward0 from its base's current history on read, as
   * PyTorch's VariableHooks::grad_fn. Tensors that are not views pay one comparison.
   */
  get gradFn(): Node | null {
    if (this._base !== null && this._viewVersion !== (this._versionCounter as VersionCounter).value)
      return regenerateViewGradFn(this);
    return this._gradFn;
  }
  set gradFn(node: Node | null) {
    this._gradFn = node;
    if (this._base !== null) {
      this._viewVersion = (this._versionCounter as VersionCounter).value;
      // a view an op recorded a node for (e.g. split's outputs, sliced under noGrad first)
      // counts as made in grad mode
      if (node !== null && this._creationMeta === "noGrad") this._creationMeta = "default";
    }
  }

  /**
   * PyTorch's `t.data`: a tensor sharing this one's storage, detached from the graph, with its
   * own version counter (in-place changes through it are invisible to autograd, as in PyTorch).
   * @example p.data.sub_(p.grad.mul(lr)); loss.data.item();
   */
  get data(): Tensor {
    const d = new Tensor(this.typedArray, this.shape, this.strides, this.offset, this.dtype);
    d._inference = this._inference;
    return d;
  }
  /**
   * `t.data = other` (PyTorch's set_data): this tensor now views other's storage, shape and
   * dtype, keeping its own autograd identity.
   */
  set data(other: Tensor) {
    if (!(other instanceof Tensor))
      throw typeError(`data must be a Tensor, not ${other === null ? "NoneType" : typeof other}`);
    if (this.gradFn !== null || this._requiresGrad) {
      if (other.dtype !== this.dtype && !other.dtype.isFloatingPoint)
        throw runtimeError(
          "data set to a tensor that requires gradients must be floating point or complex dtype",
        );
    }
    this.typedArray = other.typedArray;
    this.shape = other.shape;
    this.strides = other.strides;
    this.offset = other.offset;
    this.dtype = other.dtype;
  }

  /** @internal Note [version counter] */
  get _version(): VersionCounter {
    return this._versionCounter ?? (this._versionCounter = new VersionCounter());
  }

  // -------------------------------------------------------------------------------------------
  // metadata

  /** t.size() -> torch.Size; t.size(dim) -> number */
  size(): Size;
  size(dim: number): number;
  size(dim?: number): Size | number {
    if (dim === undefined) return new Size(this.shape);
    return this.shape[normalizeDim(dim, this.dim())];
  }
  dim(): number {
    return this.shape.length;
  }
  get ndim(): number {
    return this.shape.length;
  }
  isContiguous(): boolean {
    return layoutContiguous(this.shape, this.strides);
  }
  isFloatingPoint(): boolean {
    return this.dtype.isFloatingPoint;
  }
  /** the current version (number of in-place modifications) */
  get _versionNumber(): number {
    if (this._inference) throw runtimeError("Inference tensors do not track version counter.");
    return this._version.value;
  }
  /**
   * Whether this is an inference tensor: made under `torch.inferenceMode` (Note [inference
   * tensors]). Outside the mode it cannot be saved for backward or modified in place.
   * @example torch.inferenceMode(() => torch.ones(2)).isInference() // true
   */
  isInference(): boolean {
    return this._inference;
  }

  // -------------------------------------------------------------------------------------------
  // autograd metadata

  get requiresGrad(): boolean {
    return this._requiresGrad || this.gradFn !== null;
  }
  set requiresGrad(flag: boolean) {
    // PyTorch's setter words this error differently from requires_grad_()
    if (flag === true && this.gradFn === null && !this.dtype.isFloatingPoint)
      throw runtimeError("only Tensors of floating point and complex dtype can require gradients");
    this.requiresGrad_(flag);
  }

  /**
   * Set requires_grad in place (leaves only) and return this tensor.
   * @example const x = torch.randn(2, 2).requiresGrad_();
   */
  requiresGrad_(flag = true): this {
    if (typeof flag !== "boolean")
      throw typeError(
        `requires_grad_(): argument 'requires_grad' must be bool, not ${typeof flag}`,
      );
    if (this.gradFn !== null) {
      if (!flag) {
        throw runtimeError(
          "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().",
        );
      }
      return this;
    }
    if (flag && !this.dtype.isFloatingPoint) {
      throw runtimeError("only Tensors of floating point dtype can require gradients");
    }
    if (flag && this._inference && !isInferenceModeEnabled())
      throw runtimeError(
        "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.",
      );
    this._requiresGrad = flag;
    return this;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The accumulated gradient (leaves and tensors that retainGrad()). */
  get grad(): Tensor | null {
    if (this.gradFn !== null && !this._retainsGrad && !warnedNonLeafGrad) {
      warnedNonLeafGrad = true;
      console.warn(
        "UserWarning: The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more informations.",
      );
    }
    return this._grad;
  }
  set grad(g: Tensor | null) {
    if (g !== null && g !== undefined) {
      if (!(g instanceof Tensor))
        throw typeError(
          `assigned grad expected to be a Tensor or None but got grad of type ${typeof g}`,
        );
      if (g.dtype !== this.dtype) throw runtimeError("assigned grad has data of a different type");
      if (!shapeEqual(g.shape, this.shape))
        throw runtimeError("assigned grad has data of a different size");
    }
    this._grad = g ?? null;
  }

  /**
   * Compute gradients of this tensor w.r.t. graph leaves (accumulated into their `.grad`).
   * @example y.backward(); y.backward(torch.ones(3), { retainGraph: true });
   */
  backward(gradient?: Tensor | null, opts?: BackwardOptions): void {
    runBackwardApi(
      this,
      gradient === undefined || gradient === null ? null : [gradient],
      opts ?? NO_OPTIONS,
    );
  }

  /** Detach in place: becomes a leaf that does not require grad. */
  detach_(): this {
    if (this._base !== null && this.gradFn !== null) {
      throw runtimeError(
        "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence detach_() cannot be called on these gradients. To fix this error, please refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.",
      );
    }
    this.gradFn = null;
    this.outputNr = 0;
    this._requiresGrad = false;
    return this;
  }

  /** Keep the gradient of this non-leaf tensor in `.grad` after backward. */
  retainGrad(): void {
    if (!this.requiresGrad)
      throw runtimeError("can't retain_grad on Tensor that has requires_grad=False");
    if (this.gradFn === null || this._retainsGrad) return;
    this._retainsGrad = true;
    const node = this.gradFn;
    if (node.retainGradTargets === null) node.retainGradTargets = new Map();
    node.retainGradTargets.set(this.outputNr, this);
  }
  get retainsGrad(): boolean {
    return this._retainsGrad;
  }

  /**
   * Register `hook(grad)`, called with this tensor's gradient; returning a tensor replaces it.
   * @example const h = x.registerHook((g) => g.mul(2)); h.remove();
   */
  registerHook(hook: TensorHook): RemovableHandle {
    if (!this.requiresGrad)
      throw runtimeError("cannot register a hook on a tensor that doesn't require gradient");
    const e = gradientEdge(this);
    return (e.node as Node).addTensorPreHook(e.inputNr, hook);
  }

  /** Register `hook(tensor)`, called after this leaf's .grad was updated. */
  registerPostAccumulateGradHook(hook: (t: Tensor) => void): RemovableHandle {
    if (this.gradFn !== null)
      throw runtimeError("post accumulate grad hooks cannot be registered on non-leaf tensors");
    if (!this.requiresGrad)
      throw runtimeError("cannot register a hook on a tensor that doesn't require gradient");
    const node = gradientEdge(this).node as AccumulateGrad;
    node.postAccumulateHooks.push(hook);
    return removableHandle(node.postAccumulateHooks, hook);
  }

  /** @internal Note [in-place shadow]: this tensor's graph identity before an in-place op (see ops/inplace.ts). */
  _shadow(copyValues: boolean): Tensor {
    // not a view even when this is one: its history is frozen (Note [view regeneration]); a
    // copy is a clone (a normal tensor), an alias is an inference tensor when this is one
    const t = copyValues
      ? new Tensor(
          castData(this, this.dtype),
          this.shape,
          contiguousStrides(this.shape),
          0,
          this.dtype,
        )
      : new Tensor(
          this.typedArray,
          this.shape,
          this.strides,
          this.offset,
          this.dtype,
          this._version,
        );
    if (!copyValues) t._inference = this._inference;
    t._requiresGrad = this._requiresGrad;
    t._gradFn = this.gradFn;
    t.outputNr = this.outputNr;
    t._accumulateNode = this._accumulateNode;
    t._fwGrad = this._fwGrad;
    t._fwLevel = this._fwLevel;
    return t;
  }

  // -------------------------------------------------------------------------------------------
  // values

  /**
   * The value of a one-element tensor as a JS number (a boolean for bool tensors: ask for it
   * with `t.item<boolean>()`).
   * @example torch.tensor([2.5]).item() // 2.5
   */
  item<T extends number | boolean = number>(): T;
  item(): number | boolean {
    const n = this.numel();
    if (n !== 1) throw runtimeError("only one element tensors can be converted to Python scalars");
    const v = this.typedArray[this.offset];
    return this.dtype === bool ? v !== 0 : v;
  }

  /**
   * Nested JS arrays of the values (booleans for bool tensors); a number for a 0-dim tensor.
   * Name the shape you expect: `t.tolist<number[][]>()`.
   * @example torch.tensor([[1, 2], [3, 4]]).tolist() // [[1, 2], [3, 4]]
   */
  tolist<T = NestedList>(): T;
  tolist(): unknown {
    const { data, offset } = contiguousData(this);
    const isBool = this.dtype === bool;
    const shape = this.shape;
    let k = offset;
    const build = (d: number): unknown => {
      if (d === shape.length) {
        const v = data[k++];
        return isBool ? v !== 0 : v;
      }
      const out = new Array<unknown>(shape[d]);
      for (let i = 0; i < shape[d]; i++) out[i] = build(d + 1);
      return out;
    };
    return build(0);
  }

  /** What PyTorch's print(t) shows. */
  toString(): string {
    const { data, offset } = contiguousData(this);
    return formatTensor(
      { shape: this.shape, dtype: this.dtype.name, get: (i: number) => data[offset + i] },
      {
        requiresGrad: this.requiresGrad,
        // Python's repr shows the node's class name: name() but for "torch::autograd::" nodes
        gradFnName:
          this.gradFn !== null ? this.gradFn.name().replace(/^torch::autograd::/, "") : null,
        defaultDtype: getDefaultDtype().name,
        tangent: this._fwGrad === null ? null : tangentStr(this),
      },
    );
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** A copy converted to `dtype` (this tensor itself when the dtype already matches). */
  to(dtype: DType | DTypeName): Tensor {
    const d = toDType(dtype);
    if (d === undefined || d === this.dtype) return this;
    const out = wrap(castData(this, d), this.shape.slice(), d);
    if (needsGrad(this) && d.isFloatingPoint) record("toCopy", out, [this], {}, {});
    return out;
  }
  float(): Tensor {
    return this.to(float32);
  }
  double(): Tensor {
    return this.to(float64);
  }
  long(): Tensor {
    return this.to(int64);
  }
  int(): Tensor {
    return this.to(int32);
  }
  bool(): Tensor {
    return this.to(bool);
  }
  onesLike(): Tensor {
    const t = wrap(new this.dtype.ArrayType(this.numel()), this.shape.slice(), this.dtype);
    t.typedArray.fill(1);
    return t;
  }

  // -------------------------------------------------------------------------------------------
  // elementwise

  // -------------------------------------------------------------------------------------------
  // reductions

  // -------------------------------------------------------------------------------------------
  // indexing

  /** Reversed dims (PyTorch's .T) */
  get T(): Tensor {
    const nd = this.dim();
    return V.permute(
      this,
      Array.from({ length: nd }, (_, i) => nd - 1 - i),
    );
  }
  /**
   * Indexing like Python's `t[...]`: integers, slices (`":"`, `"1:3"`, `"::2"`,
   * `torch.slice(1, 3)`), `null` for a new axis, `"..."`, integer/boolean tensors and arrays.
   * @example x.index(0, "1:") // x[0, 1:]
   */
  index(...indices: I.IndexArg[]): Tensor {
    return I.index(this, indices);
  }
  /**
   * Write like Python's `t[indices] = values`; returns this tensor. With `accumulate` (or
   * `{ accumulate }`), values are added, repeated indices summing. For a list of index tensors
   * this is ATen's index_put_ (whose None entries, which PyTorch 1.13's Python binding refuses,
   * would differ: `null` here is Python's None in `t[None]`, a new axis).
   * @example x.indexPut_([0, ":"], 5) // x[0, :] = 5
   */
  indexPut_(
    indices: I.IndexArg[] | I.IndexArg,
    values: Tensor | number,
    accumulate: boolean | { accumulate?: boolean } = false,
  ): this {
    I.indexPut_(
      this,
      Array.isArray(indices) ? (indices as I.IndexArg[]) : [indices],
      values,
      typeof accumulate === "object" && accumulate !== null
        ? (accumulate.accumulate ?? false)
        : accumulate,
    );
    return this;
  }

  // -------------------------------------------------------------------------------------------
  // in-place

  /** Fill with zeros (ZeroBackward0). */
  zero_(): this {
    return this.fillWith(0, "ZeroBackward0");
  }
  /** Fill with a value (FillBackward2). */
  fill_(value: number | boolean): this {
    return this.fillWith(Number(value), "FillBackward2");
  }
  private fillWith(value: number, name: string): this {
    // fills write one value everywhere: PyTorch does not check them for internal overlap
    inplace(
      this,
      false,
      (p) => {
        const out = wrap(new this.dtype.ArrayType(this.numel()), this.shape.slice(), this.dtype);
        out.typedArray.fill(value);
        if (needsGrad(p)) record("fill", out, [p], {}, {}, name);
        return out;
      },
      false,
    );
    return this;
  }
  /** Copy src's values (broadcast, cast) into this tensor. */
  copy_(src: Tensor): this {
    if (!(src instanceof Tensor))
      throw typeError(`copy_(): argument 'other' (position 1) must be Tensor, not ${typeof src}`);
    inplace(this, false, (p) => {
      const b = noGrad(() => V.expand(src, this.shape.slice()));
      const out = wrap(castData(b, this.dtype), this.shape.slice(), this.dtype);
      if (needsGrad(p, src)) record("copy", out, [p, src], {}, {});
      return out;
    });
    return this;
  }
}

/** What `tolist()` returns: numbers (or booleans) nested as deep as the tensor's dims. */
export type NestedList = number | boolean | NestedList[];

/** torch.Size: an array of sizes that prints as PyTorch does. */
export class Size extends Array<number> {
  constructor(shape: readonly number[] | number) {
    if (typeof shape === "number") {
      super(shape);
    } else {
      super(shape.length);
      for (let i = 0; i < shape.length; i++) this[i] = shape[i];
    }
  }
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }
  numel(): number {
    return numelOf(this);
  }
  override toString(): string {
    return `torch.Size([${Array.from(this).join(", ")}])`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** Python's `format(tangent)` in a dual tensor's repr: a 0-dim tangent prints as a float. */
function tangentStr(t: Tensor): string | null {
  const g = getTangent(t);
  if (g === null) return null;
  return g.dim() === 0 ? formatPyFloat(Number(g.typedArray[g.offset])) : g.toString();
}
