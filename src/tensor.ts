/**
 * The Tensor: a strided view over a typed array (so memory is the garbage collector's), with
 * autograd metadata, and the methods that need nothing above this layer (metadata, autograd
 * flags, item). This file sits below the ops and autograd layers (docs/architecture.md): the
 * methods that run ops or autograd are installed on the prototype by src/tensor-methods.ts, the
 * registry's ops by src/registry/define.ts.
 */
import { DType, type TypedArray, bool, bfloat16 } from "./dtype.js";
import { fromBFloat16Bits, fromHalfBits } from "./backend/half.js";
import { isContiguous as layoutContiguous, normalizeDim, numelOf, shapeEqual } from "./shape.js";
import type { AccumulateGrad, Node } from "./autograd/node.js";
import { isInferenceModeEnabled } from "./autograd/grad-mode.js";
import { runtimeError, typeError, valueError } from "./errors.js";
import { announceBackend } from "./backend/notice.js";
import { DeviceArray } from "./backend/webgpu.js";
import { cpuDevice, webgpuDevice, type Device } from "./device.js";

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
/** Note [backend notice]: whether this process has made a tensor (and named its backend). */
let madeTensor = false;

/**
 * Note [view regeneration]: rebuilds a stale view's grad_fn from its base's current history.
 * The in-place machinery above this layer (ops/inplace.ts) installs it when it is loaded: a view
 * can only go stale through an in-place op.
 */
let regenerateViewGradFn = (_view: Tensor): Node | null => {
  throw new Error("tensorgrad: view regeneration is not installed (ops/inplace.ts not loaded)");
};
/** @internal Installs Note [view regeneration]'s rebuild (called by ops/inplace.ts). */
export function setViewGradFnRegenerator(fn: (view: Tensor) => Node | null): void {
  regenerateViewGradFn = fn;
}

/** Note [rare tensor fields]: the fields most tensors never set, with their defaults. */
class RareFields {
  accumulateNode: AccumulateGrad | null = null;
  retainsGrad = false;
  fwGrad: Tensor | null = null;
  fwLevel = 0;
  wrappedNumber = false;
  viewVersion = 0;
  creationMeta: CreationMeta = "default";
  sparse: SparseParts | null = null;
}

/**
 * A sparse COO tensor's contents (Note [sparse tensors] in ops/sparse.ts): `indices`, an int64
 * tensor of shape [sparseDim, nnz], and `values`, of shape [nnz, ...denseDims]; `coalesced`
 * says the indices are sorted (row-major) and unique.
 */
export interface SparseParts {
  /** int64, [sparseDim, nnz]: column k is the position of the k-th stored block */
  indices: Tensor;
  /** [nnz, ...denseDims]: the stored blocks */
  values: Tensor;
  /** sorted without duplicates (PyTorch's `is_coalesced()`) */
  coalesced: boolean;
}

/** Storages marked shared by `shareMemory_` (PyTorch's share_memory_ moves them; here a mark). */
const SHARED = new WeakSet<object>();

/**
 * torch.Tensor: a strided n-dimensional view over a typed array, with PyTorch 1.13's autograd
 * metadata (`requiresGrad`, `grad`, `gradFn`). Made by factories (`torch.tensor`, `torch.zeros`,
 * `torch.randn`, ...) and ops; every registry op is also a method (`x.add(y)`, `x.sum(1)`), with
 * its in-place form (`x.add_(y)`). Printed (`String(t)`, `console.log(t)`) as PyTorch prints.
 *
 * @example
 * const x = torch.tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const y = x.mul(x).sum();
 * y.backward();
 * console.log(String(x.grad)); // tensor([[2., 4.], [6., 8.]])
 */
export class Tensor {
  /**
   * The storage: the typed array this tensor views (shared with its views), read through
   * `shape`, `strides` and `offset`. PyTorch's `t.data` is the `data` accessor below.
   */
  typedArray: TypedArray;
  /** sizes; Note [immutable shapes]: never mutated in place */
  shape: number[];
  /**
   * Elements to step in `typedArray` per step along each dim (PyTorch's `t.stride()`).
   * @example torch.zeros(2, 3).strides // [3, 1]
   */
  strides: number[];
  /**
   * Where this tensor's first element is in `typedArray` (PyTorch's `t.storage_offset()`).
   * @example torch.arange(4).narrow(0, 1, 2).offset // 1
   */
  offset: number;
  /**
   * The element type (PyTorch's `t.dtype`).
   * @example torch.tensor([1, 2]).dtype // torch.float32
   */
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
  /**
   * @internal Note [rare tensor fields]: what only leaves, views, retained or forward-AD
   * tensors use lives in one object made on first write (`_rare`), read through the accessors
   * below: most tensors are intermediate results, and a smaller object is a cheaper allocation.
   */
  _rare: RareFields | null = null;
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
    if (version !== undefined && version.value !== 0) this._viewVersion = version.value;
    // Note [inference tensors]: a view is one when its base is; anything else when made in the mode
    this._inference = base != null ? base._inference : isInferenceModeEnabled();
    if (!madeTensor) {
      madeTensor = true;
      announceBackend();
    }
  }

  /** @internal Note [rare tensor fields] */
  private rare(): RareFields {
    return this._rare ?? (this._rare = new RareFields());
  }
  /** @internal a leaf's AccumulateGrad node, created on first use */
  get _accumulateNode(): AccumulateGrad | null {
    return this._rare === null ? null : this._rare.accumulateNode;
  }
  set _accumulateNode(v: AccumulateGrad | null) {
    if (v !== null || this._rare !== null) this.rare().accumulateNode = v;
  }
  /** @internal */
  get _retainsGrad(): boolean {
    return this._rare === null ? false : this._rare.retainsGrad;
  }
  set _retainsGrad(v: boolean) {
    if (v || this._rare !== null) this.rare().retainsGrad = v;
  }
  /** @internal forward AD: the tangent, valid while `_fwLevel` is the active dual level's epoch */
  get _fwGrad(): Tensor | null {
    return this._rare === null ? null : this._rare.fwGrad;
  }
  set _fwGrad(v: Tensor | null) {
    if (v !== null || this._rare !== null) this.rare().fwGrad = v;
  }
  /** @internal */
  get _fwLevel(): number {
    return this._rare === null ? 0 : this._rare.fwLevel;
  }
  set _fwLevel(v: number) {
    if (v !== 0 || this._rare !== null) this.rare().fwLevel = v;
  }
  /**
   * @internal Note [wrapped numbers]: a 0-dim tensor made from a JS number passed where a
   * Tensor goes (`torch.add(2, t)`); type promotion ranks it as a number, as PyTorch's
   * wrapped numbers.
   */
  get _wrappedNumber(): boolean {
    return this._rare === null ? false : this._rare.wrappedNumber;
  }
  set _wrappedNumber(v: boolean) {
    if (v || this._rare !== null) this.rare().wrappedNumber = v;
  }
  /**
   * @internal views: the version counter's value when the view's grad_fn was last set
   * (PyTorch's attr_version; Note [view regeneration])
   */
  get _viewVersion(): number {
    return this._rare === null ? 0 : this._rare.viewVersion;
  }
  set _viewVersion(v: number) {
    if (v !== 0 || this._rare !== null) this.rare().viewVersion = v;
  }
  /**
   * @internal Note [sparse tensors] (ops/sparse.ts): a sparse COO tensor's indices and values;
   * null for every dense (strided) tensor.
   */
  get _sparse(): SparseParts | null {
    return this._rare === null ? null : this._rare.sparse;
  }
  set _sparse(v: SparseParts | null) {
    if (v !== null || this._rare !== null) this.rare().sparse = v;
  }
  /** @internal views: the mode the view was made in (Note [view regeneration]) */
  get _creationMeta(): CreationMeta {
    return this._rare === null ? "default" : this._rare.creationMeta;
  }
  set _creationMeta(v: CreationMeta) {
    if (v !== "default" || this._rare !== null) this.rare().creationMeta = v;
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
  /** Sets the node that produced this tensor (autograd internals and custom functions). */
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
   * @example const p = torch.ones(2, { requiresGrad: true }); p.sum().backward(); p.data.sub_(p.grad.mul(0.1)); p // tensor([0.9000, 0.9000], requires_grad=True)
   */
  get data(): Tensor {
    const d = new Tensor(this.typedArray, this.shape, this.strides, this.offset, this.dtype);
    d._inference = this._inference;
    // Note [sparse tensors]: the alias shares the sparse parts
    if (this._rare !== null && this._rare.sparse !== null) d._sparse = this._rare.sparse;
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
  /**
   * @internal the version, without making a counter: a tensor that has none was never
   * modified in place (or viewed), so it is at version 0
   */
  get _versionValue(): number {
    return this._versionCounter === null ? 0 : this._versionCounter.value;
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
  /**
   * The number of dimensions (PyTorch's `t.dim()`).
   * @example torch.zeros(2, 3).dim() // 2
   */
  dim(): number {
    return this.shape.length;
  }
  /**
   * The number of dimensions (PyTorch's `t.ndimension()`, an alias of `t.dim()`).
   * @example torch.zeros(2, 3).ndimension() // 2
   */
  ndimension(): number {
    return this.shape.length;
  }
  /**
   * The number of elements (PyTorch's `t.nelement()`, an alias of `t.numel()`).
   * @example torch.zeros(2, 3).nelement() // 6
   */
  nelement(): number {
    return numelOf(this.shape);
  }
  /**
   * The elements to step in storage per step along each dim (PyTorch's `t.stride()`), or
   * along `dim` alone.
   * @example torch.zeros(2, 3).stride() // [3, 1]
   */
  stride(): number[];
  stride(dim: number): number;
  stride(dim?: number | null): number[] | number {
    if (dim === undefined || dim === null) return this.strides.slice();
    return this.strides[normalizeDim(dim, this.dim())];
  }
  /**
   * The index of the first element in storage (PyTorch's `t.storage_offset()`).
   * @example torch.zeros(2, 3).select(0, 1).storageOffset() // 3
   */
  storageOffset(): number {
    return this.offset;
  }
  /**
   * The size in bytes of one element (PyTorch's `t.element_size()`).
   * @example torch.zeros(2, { dtype: torch.float64 }).elementSize() // 8
   */
  elementSize(): number {
    return this.dtype.itemsize;
  }
  /**
   * PyTorch's `t.get_device()`: -1 for a CPU tensor, the device index (0) on WebGPU.
   * @example torch.zeros(2).getDevice() // -1
   */
  getDevice(): number {
    return this.typedArray instanceof DeviceArray ? 0 : -1;
  }
  /**
   * The memory layout (PyTorch's `t.layout`): `torch.strided`, or `torch.sparseCoo` for a
   * sparse COO tensor (Note [sparse tensors]).
   * @example torch.zeros(2).layout // "strided"
   */
  get layout(): "strided" | "sparse_coo" {
    return this._sparse === null ? "strided" : "sparse_coo";
  }
  /**
   * PyTorch's `t.is_sparse`: whether this is a sparse COO tensor (Note [sparse tensors]).
   * @example torch.zeros(2).toSparse().isSparse // true
   */
  get isSparse(): boolean {
    return this._sparse !== null;
  }
  /**
   * PyTorch's `t.is_quantized`: always false (tensorgrad has no quantized dtypes).
   * @example torch.zeros(2).isQuantized // false
   */
  get isQuantized(): boolean {
    return false;
  }
  /**
   * PyTorch's device predicates for backends tensorgrad does not have (`t.is_mps`, `t.is_xpu`,
   * `t.is_ipu`, `t.is_vulkan`, `t.is_ort`, `t.is_mkldnn`): always false.
   * @example torch.zeros(2).isMps // false
   */
  get isMps(): boolean {
    return false;
  }
  /** PyTorch's `t.is_xpu`: always false. @example torch.zeros(2).isXpu // false */
  get isXpu(): boolean {
    return false;
  }
  /** PyTorch's `t.is_ipu`: always false. @example torch.zeros(2).isIpu // false */
  get isIpu(): boolean {
    return false;
  }
  /** PyTorch's `t.is_vulkan`: always false. @example torch.zeros(2).isVulkan // false */
  get isVulkan(): boolean {
    return false;
  }
  /** PyTorch's `t.is_ort`: always false. @example torch.zeros(2).isOrt // false */
  get isOrt(): boolean {
    return false;
  }
  /** PyTorch's `t.is_mkldnn`: always false (no MKL-DNN layout). @example torch.zeros(2).isMkldnn // false */
  get isMkldnn(): boolean {
    return false;
  }
  /** PyTorch's `t.is_nested`: always false (no nested tensors). @example torch.zeros(2).isNested // false */
  get isNested(): boolean {
    return false;
  }
  /**
   * PyTorch's `t.is_pinned()`: false, pinned memory is CUDA's.
   * @example torch.zeros(2).isPinned() // false
   */
  isPinned(): boolean {
    return false;
  }
  /**
   * PyTorch's `t.is_shared()`: whether the storage is shared between threads: held in a
   * SharedArrayBuffer, or marked by `shareMemory_()`.
   * @example torch.zeros(2).isShared() // false
   */
  isShared(): boolean {
    const a = this.typedArray as { buffer?: unknown };
    return (
      SHARED.has(this.typedArray) ||
      (typeof SharedArrayBuffer !== "undefined" && a.buffer instanceof SharedArrayBuffer)
    );
  }
  /**
   * PyTorch's `t.share_memory_()`: marks the storage (and so every view of it) shared, and
   * returns this tensor. JavaScript has no fork: workers share memory through a
   * SharedArrayBuffer, which a tensor built over one (`torch.frombuffer`) already uses.
   * @example torch.zeros(2).shareMemory_().isShared() // true
   */
  shareMemory_(): this {
    SHARED.add(this.typedArray);
    return this;
  }
  /**
   * PyTorch's `t.is_meta`: always false (tensorgrad has no meta device).
   * @example torch.zeros(2).isMeta // false
   */
  get isMeta(): boolean {
    return false;
  }
  /**
   * The number of dimensions, as a property (PyTorch's `t.ndim`).
   * @example torch.zeros(2, 3).ndim // 2
   */
  get ndim(): number {
    return this.shape.length;
  }
  /**
   * Whether the elements are laid out row-major without gaps (PyTorch's `t.is_contiguous()`).
   * @example torch.zeros(2, 3).t().isContiguous() // false
   */
  isContiguous(): boolean {
    return layoutContiguous(this.shape, this.strides);
  }
  /**
   * Whether the dtype is a floating-point type (PyTorch's `t.is_floating_point()`).
   * @example torch.arange(3).isFloatingPoint() // false
   */
  isFloatingPoint(): boolean {
    return this.dtype.isFloatingPoint;
  }
  /**
   * Whether the dtype is complex64 or complex128 (PyTorch's `t.is_complex()`).
   * @example torch.zeros(2, { dtype: torch.complex64 }).isComplex() // true
   */
  isComplex(): boolean {
    return this.dtype.isComplex;
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

  /**
   * Whether autograd records operations on this tensor (PyTorch's `t.requires_grad`): set on
   * leaves, true for results of recorded ops on such tensors.
   * @example torch.ones(2, { requiresGrad: true }).mul(2).requiresGrad // true
   */
  get requiresGrad(): boolean {
    return this._requiresGrad || this.gradFn !== null;
  }
  /** Sets requires_grad on a leaf (`t.requiresGrad = true`), as `requiresGrad_(flag)`. */
  set requiresGrad(flag: boolean) {
    // PyTorch's setter words this error differently from requires_grad_()
    if (
      flag === true &&
      this.gradFn === null &&
      !this.dtype.isFloatingPoint &&
      !this.dtype.isComplex
    )
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
    if (flag && !this.dtype.isFloatingPoint && !this.dtype.isComplex) {
      throw runtimeError("only Tensors of floating point dtype can require gradients");
    }
    if (flag && this._inference && !isInferenceModeEnabled())
      throw runtimeError(
        "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.",
      );
    this._requiresGrad = flag;
    return this;
  }

  /**
   * Whether this tensor has no grad_fn (PyTorch's `t.is_leaf`): made by the user, not by a
   * recorded op. Only leaves get `.grad` filled by backward (unless `retainGrad()`).
   * @example torch.ones(2, { requiresGrad: true }).mul(2).isLeaf // false
   */
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
  /** Replaces the gradient (same dtype and shape) or clears it with null (PyTorch's `t.grad = g`). */
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
  /**
   * Whether a non-leaf keeps its gradient in `.grad` (after `retainGrad()`; PyTorch's
   * `t.retains_grad`).
   * @example torch.ones(2, { requiresGrad: true }).mul(2).retainsGrad // false
   */
  get retainsGrad(): boolean {
    return this._retainsGrad;
  }

  // -------------------------------------------------------------------------------------------
  // values

  /**
   * The value of a one-element tensor as a JS number (a boolean for bool tensors: ask for it
   * with `t.item<boolean>()`).
   * @example torch.tensor([2.5]).item() // 2.5
   */
  item<T extends number | boolean | ComplexValue = number>(): T;
  item(): number | boolean | ComplexValue {
    if (this.typedArray instanceof DeviceArray)
      throw runtimeError(
        "item(): this tensor is on the webgpu device, whose values can only be read asynchronously: use `(await t.cpu()).item()`",
      );
    // Note [sparse tensors]: no storage to read (PyTorch raises a ValueError here)
    if (this._sparse !== null)
      throw valueError("only one element tensors can be converted to Python scalars");
    const n = this.numel();
    if (n !== 1) throw runtimeError("only one element tensors can be converted to Python scalars");
    const v = this.typedArray[this.offset * this.dtype.lanes];
    // Note [complex storage]: a complex element is { re, im }
    if (this.dtype.isComplex) {
      const im = this.typedArray[2 * this.offset + 1];
      // Note [complex32]: float16 bit patterns
      if (this.dtype.isHalfStored) return { re: fromHalfBits(v), im: fromHalfBits(im) };
      return { re: v, im };
    }
    if (this.dtype.isHalf) return this.dtype === bfloat16 ? fromBFloat16Bits(v) : fromHalfBits(v);
    return this.dtype === bool ? v !== 0 : v;
  }

  /**
   * Where the storage lives (PyTorch's `t.device`): `cpu`, or `webgpu:0` for a tensor moved
   * with `t.to("webgpu")` (Note [webgpu storage]).
   * @example String(torch.ones(2).device) // "cpu"
   */
  get device(): Device {
    return this.typedArray instanceof DeviceArray ? webgpuDevice : cpuDevice;
  }
  /**
   * Whether the tensor is on the WebGPU device (as PyTorch's `t.is_cuda` for CUDA).
   * @example torch.ones(2).isWebgpu // false
   */
  get isWebgpu(): boolean {
    return this.typedArray instanceof DeviceArray;
  }
  /**
   * Whether the tensor is on the CPU (PyTorch's `t.is_cpu`).
   * @example torch.ones(2).isCpu // true
   */
  get isCpu(): boolean {
    return !(this.typedArray instanceof DeviceArray);
  }
  /**
   * PyTorch's `t.is_cuda`: always false (tensorgrad has no CUDA device).
   * @example torch.ones(2).isCuda // false
   */
  get isCuda(): boolean {
    return false;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** What `tolist()` returns: numbers (or booleans) nested as deep as the tensor's dims. */
export type NestedList = number | boolean | ComplexValue | NestedList[];

/**
 * A complex number as `item()` and `tolist()` return it (PyTorch returns Python's `complex`):
 * the real part `re` and the imaginary part `im`.
 */
export interface ComplexValue {
  /** The real part (Python's `z.real`). */
  re: number;
  /** The imaginary part (Python's `z.imag`). */
  im: number;
}

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
  /**
   * The number of elements a tensor of this size has (PyTorch's `torch.Size.numel()`).
   * @example torch.zeros(2, 3).size().numel() // 6
   */
  numel(): number {
    return numelOf(this);
  }
  /**
   * How many dims have size `value` (Python's `tuple.count`).
   * @example new torch.Size([2, 3, 2]).count(2) // 2
   */
  count(value: number): number {
    let n = 0;
    for (const d of this) if (d === value) n++;
    return n;
  }
  /**
   * The first dim of size `value` (Python's `tuple.index`), searched in [start, stop).
   * @example new torch.Size([2, 3, 2]).index(3) // 1
   */
  index(value: number, start = 0, stop = this.length): number {
    const norm = (i: number): number =>
      Math.min(Math.max(i < 0 ? i + this.length : i, 0), this.length);
    for (let i = norm(start); i < norm(stop); i++) if (this[i] === value) return i;
    throw valueError("tuple.index(x): x not in tuple");
  }
  override toString(): string {
    return `torch.Size([${Array.from(this).join(", ")}])`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}
