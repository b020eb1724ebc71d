/**
 * The hand-written Tensor methods that run ops or autograd: backward and hooks, conversions,
 * printing, indexing, fills and random fills. src/tensor.ts sits below the ops and autograd
 * layers (docs/architecture.md), so these live here, a layer above both, and are installed on
 * `Tensor.prototype` when this module is loaded (src/install.ts, imported by the package entry),
 * as the registry installs its ops' methods. Their declarations merge into the class (the
 * `declare module` block), so users see one Tensor type.
 */
import { Size, Tensor, type NestedList } from "./tensor.js";
import {
  DType as DTypeClass,
  type DType,
  type DTypeName,
  bool,
  float32,
  float64,
  int32,
  int64,
  int8,
  int16,
  uint8,
  float16,
  bfloat16,
  complex32,
  complex64,
  complex128,
  toRealDtype,
  toDType,
  dtypes,
  getDefaultDtype,
} from "./dtype.js";
import { contiguousStrides } from "./shape.js";
import { removableHandle, type AccumulateGrad, type Node } from "./autograd/node.js";
import type { RemovableHandle, TensorHook } from "./autograd/node.js";
import { gradientEdge, needsGrad, record } from "./autograd/function.js";
import { noGrad } from "./autograd/grad-mode.js";
import { ValueError, runtimeError, typeError } from "./errors.js";
import { formatPyFloat, formatSparse, formatTensor, type PrintSource } from "./print.js";
import { getTangent } from "./autograd/forward-ad.js";
import * as V from "./ops/views.js";
import * as I from "./ops/indexing.js";
import { alloc, castData, scalarArray, valuesOf, wrap } from "./ops/core.js";
import { inplace } from "./ops/inplace.js";
import * as S from "./ops/sparse.js";
import { tensor as createTensor } from "./ops/creation.js";
import { backward as runBackwardApi, type BackwardOptions } from "./autograd/api.js";
import { Device, checkDeviceAvailable, parseDevice } from "./device.js";
import {
  deviceClone,
  deviceWriteInto,
  deviceZeros,
  isDevice,
  syncReadError,
  toCpu,
  toDevice,
} from "./ops/webgpu.js";

/** `t.to({ device, dtype })`'s options. */
export interface ToOptions {
  /** the device to move to ("cpu", "webgpu", a torch.device) */
  device?: Device | string | null;
  /** the dtype to convert to */
  dtype?: DType | DTypeName | null;
}

/**
 * Note [webgpu reads]: WebGPU reads a buffer only through `mapAsync`, so no synchronous call can
 * return a device tensor's values. The read path is PyTorch's with `await`: `await t.cpu()`
 * (a Promise on either device), `await t.tolistAsync()`, `await t.toStringAsync()`. The
 * synchronous reads (`item`, `tolist`, `to("cpu")`) raise an error naming the async form, and
 * `String(t)` shows the device tensor's device, size, dtype and grad_fn without values (a
 * print must not throw). Moving a tensor that requires grad to the device is refused: the
 * move's backward would bring the gradient back to the CPU synchronously.
 */
/** PyTorch's legacy type name of a tensor (`torch.FloatTensor`, `torch.sparse.FloatTensor`). */
function legacyTypeName(t: Tensor): string {
  return t._sparse === null
    ? t.dtype.tensorTypeName
    : t.dtype.tensorTypeName.replace(/^torch\./, "torch.sparse.");
}

/** A dense CPU tensor as print.ts reads it. */
function printSource(t: Tensor): PrintSource {
  const { data, offset } = valuesOf(t);
  return { shape: t.shape, dtype: t.dtype.name, get: (i: number) => data[offset + i] };
}

/** `str(t)` of a sparse COO tensor (Note [sparse tensors]): its indices, values and suffixes. */
function sparseStr(t: Tensor): string {
  const p = t._sparse as NonNullable<Tensor["_sparse"]>;
  return formatSparse(printSource(p.indices.detach()), printSource(p.values.detach()), t.shape, {
    requiresGrad: t.requiresGrad,
    gradFnName: t.gradFn !== null ? t.gradFn.name().replace(/^torch::autograd::/, "") : null,
    defaultDtype: getDefaultDtype().name,
  });
}

/** Note [webgpu reads]: a device tensor's synchronous print: its layout and autograd state. */
function deviceSummary(t: Tensor): string {
  const parts = [
    `device='webgpu:0'`,
    `size=(${t.shape.join(", ")}${t.shape.length === 1 ? "," : ""})`,
    `dtype=torch.${t.dtype.name}`,
  ];
  if (t.gradFn !== null)
    parts.push(`grad_fn=<${t.gradFn.name().replace(/^torch::autograd::/, "")}>`);
  else if (t.requiresGrad) parts.push("requires_grad=True");
  return `tensor(<values on the device: await t.toStringAsync()>, ${parts.join(", ")})`;
}

declare module "./tensor.js" {
  interface Tensor {
    /**
     * Compute gradients of this tensor w.r.t. graph leaves (accumulated into their `.grad`).
     * @example const x = torch.ones(3, { requiresGrad: true }); const y = x.mul(2); y.backward(torch.ones(3), { retainGraph: true }); y.sum().backward(); x.grad // tensor([4., 4., 4.])
     */
    backward(gradient?: Tensor | null, opts?: BackwardOptions): void;
    /**
     * Register `hook(grad)`, called with this tensor's gradient; returning a tensor replaces it.
     * @example const x = torch.ones(2, { requiresGrad: true }); const h = x.registerHook((g) => g.mul(2)); x.sum().backward(); h.remove(); x.grad // tensor([2., 2.])
     */
    registerHook(hook: TensorHook): RemovableHandle;
    /**
     * Register `hook(tensor)`, called after this leaf's .grad was updated (PyTorch's
     * `register_post_accumulate_grad_hook`).
     * @example
     * const w = torch.ones(2, { requiresGrad: true });
     * const h = w.registerPostAccumulateGradHook((t) => console.log(String(t.grad)));
     * w.sum().backward(); // prints tensor([1., 1.])
     * h.remove();
     */
    registerPostAccumulateGradHook(hook: (t: Tensor) => void): RemovableHandle;
    /** @internal Note [in-place shadow]: this tensor's graph identity before an in-place op (see ops/inplace.ts). */
    _shadow(copyValues: boolean): Tensor;

    /**
     * Nested JS arrays of the values (booleans for bool tensors); a number for a 0-dim tensor.
     * Name the shape you expect: `t.tolist<number[][]>()`.
     * @example torch.tensor([[1, 2], [3, 4]]).tolist() // [[1, 2], [3, 4]]
     */
    tolist<T = NestedList>(): T;
    /** What PyTorch's print(t) shows. */
    toString(): string;

    /**
     * A copy converted to `dtype` and/or moved to a device (this tensor itself when nothing
     * changes): `t.to(torch.float64)`, `t.to("webgpu")`, `t.to("webgpu", torch.float32)`,
     * `t.to({ device, dtype })`. Moving to the CPU reads device values, which WebGPU does only
     * asynchronously: use `await t.cpu()` (Note [webgpu reads]).
     * @example torch.tensor([1, 2]).to(torch.float64) // tensor([1., 2.], dtype=torch.float64)
     */
    to(target: DType | DTypeName | Device | string | ToOptions, dtype?: DType | DTypeName): Tensor;
    /** @internal the dtype conversion of `to` */
    toDtype(dtype: DType | DTypeName): Tensor;
    /**
     * PyTorch's `t.cuda()`: tensorgrad has no CUDA device, so this raises what a CPU-only
     * PyTorch raises (AssertionError: Torch not compiled with CUDA enabled). Use `t.webgpu()`.
     * @example torch.cuda.isAvailable() ? "unreachable" : "cpu"
     */
    cuda(): Tensor;
    /**
     * This tensor on the WebGPU device (`t.to("webgpu")`, as PyTorch's `t.cuda()`); needs
     * `await torch.webgpu.init()` first.
     * @example torch.webgpu.isAvailable() ? torch.ones(2).webgpu().device : "webgpu unavailable"
     */
    webgpu(): Tensor;
    /**
     * This tensor on the CPU, as a Promise (PyTorch's `t.cpu()`, asynchronous because WebGPU
     * reads are): resolves to the tensor itself when it already is on the CPU.
     * @example (await torch.ones(2).cpu()).tolist() // [1, 1]
     */
    cpu(): Promise<Tensor>;
    /**
     * `tolist()` for a tensor on any device: `await t.tolistAsync()` (Note [webgpu reads]).
     * @example await torch.ones(2).tolistAsync() // [1, 1]
     */
    tolistAsync<T = NestedList>(): Promise<T>;
    /**
     * What PyTorch's print(t) shows, for a tensor on any device (a device tensor's values are
     * read asynchronously; its synchronous `toString()` shows its layout only).
     * @example await torch.ones(2).toStringAsync() // "tensor([1., 1.])"
     */
    toStringAsync(): Promise<string>;
    /**
     * This tensor as float32 (PyTorch's `t.float()`; itself when already float32).
     * @example torch.arange(2).float() // tensor([0., 1.])
     */
    float(): Tensor;
    /**
     * This tensor as float64 (PyTorch's `t.double()`).
     * @example torch.tensor([0.5]).double() // tensor([0.5000], dtype=torch.float64)
     */
    double(): Tensor;
    /**
     * This tensor as int64, truncating toward zero (PyTorch's `t.long()`).
     * @example torch.tensor([1.7, -1.7]).long() // tensor([ 1, -1])
     */
    long(): Tensor;
    /**
     * This tensor as int32, truncating toward zero (PyTorch's `t.int()`).
     * @example torch.tensor([2.5]).int() // tensor([2], dtype=torch.int32)
     */
    int(): Tensor;
    /**
     * This tensor as bool: nonzero elements true (PyTorch's `t.bool()`).
     * @example torch.tensor([0, 2]).bool() // tensor([False,  True])
     */
    bool(): Tensor;
    /**
     * This tensor as float16, rounding to nearest even (PyTorch's `t.half()`).
     * @example torch.tensor([0.1]).half() // tensor([0.1000], dtype=torch.float16)
     */
    half(): Tensor;
    /**
     * PyTorch's `t.type()`: without an argument the legacy type name ("torch.HalfTensor");
     * with a dtype or such a name, this tensor cast to it (itself when the type matches).
     * @example torch.tensor([1.5]).type(torch.float16) // tensor([1.5000], dtype=torch.float16)
     */
    type(): string;
    /**
     * This tensor cast to `dtype`, given as a dtype, its name or its legacy type name
     * ("torch.HalfTensor"); itself when the type matches (PyTorch's `t.type(dtype)`).
     * @example torch.tensor([1.5]).type("torch.HalfTensor") // tensor([1.5000], dtype=torch.float16)
     */
    type(dtype: DType | DTypeName | string | { readonly dtype: DType }): Tensor;
    /**
     * This tensor as bfloat16, rounding to nearest even (PyTorch's `t.bfloat16()`).
     * @example torch.tensor([0.1]).bfloat16() // tensor([0.1001], dtype=torch.bfloat16)
     */
    bfloat16(): Tensor;
    /**
     * This tensor as complex32, each part rounded to float16 (PyTorch's `t.chalf()`).
     * @example torch.tensor([0.1]).chalf().dtype // torch.complex32
     */
    chalf(): Tensor;
    /**
     * This tensor as complex64 (PyTorch's `t.cfloat()`).
     * @example torch.tensor([1]).cfloat() // tensor([1.+0.j])
     */
    cfloat(): Tensor;
    /**
     * This tensor as complex128 (PyTorch's `t.cdouble()`).
     * @example torch.tensor([1]).cdouble() // tensor([1.+0.j], dtype=torch.complex128)
     */
    cdouble(): Tensor;
    /**
     * This tensor as int8 (PyTorch's `t.char()`): floats truncate, then wrap modulo 256.
     * @example torch.tensor([1.7, 200]).char() // tensor([  1, -56], dtype=torch.int8)
     */
    char(): Tensor;
    /**
     * This tensor as int16 (PyTorch's `t.short()`).
     * @example torch.tensor([-1.5, 3]).short() // tensor([-1,  3], dtype=torch.int16)
     */
    short(): Tensor;
    /**
     * This tensor as uint8 (PyTorch's `t.byte()`): floats truncate, then wrap modulo 256.
     * @example torch.tensor([1, -1]).byte() // tensor([  1, 255], dtype=torch.uint8)
     */
    byte(): Tensor;
    /**
     * Ones of this tensor's shape and dtype (`torch.onesLike(t)`).
     * @example torch.zeros(2).onesLike() // tensor([1., 1.])
     */
    onesLike(): Tensor;

    /** Reversed dims (PyTorch's .T) */
    get T(): Tensor;
    /** The transpose of each matrix (the last two dims; PyTorch's .mT, a view) */
    get mT(): Tensor;
    /** The conjugate transpose of each matrix (.mH): .mT for a real tensor */
    get mH(): Tensor;
    /** The conjugate transpose of a matrix (.H; a 0-dim tensor is returned as it is) */
    get H(): Tensor;
    /**
     * Indexing like Python's `t[...]`: integers, slices (`":"`, `"1:3"`, `"::2"`,
     * `torch.slice(1, 3)`), `null` for a new axis, `"..."`, integer/boolean tensors and arrays.
     * @example torch.arange(6).view(2, 3).index(0, "1:") // tensor([1, 2])
     */
    index(...indices: I.IndexArg[]): Tensor;
    /**
     * Write like Python's `t[indices] = values`; returns this tensor. With `accumulate` (or
     * `{ accumulate }`), values are added, repeated indices summing. For a list of index tensors
     * this is ATen's index_put_ (whose None entries, which PyTorch 1.13's Python binding refuses,
     * would differ: `null` here is Python's None in `t[None]`, a new axis).
     * @example torch.zeros(2, 2).indexPut_([0, ":"], 5) // tensor([[5., 5.], [0., 0.]])
     */
    indexPut_(
      indices: I.IndexArg[] | I.IndexArg,
      values: Tensor | number,
      accumulate?: boolean | { accumulate?: boolean },
    ): this;

    /** Fill with zeros (ZeroBackward0). */
    zero_(): this;
    /**
     * Fill with a value: a number (FillBackward2) or a 0-dim tensor, whose gradient is the sum
     * of this tensor's (FillBackward3).
     */
    fill_(value: number | boolean | Tensor | { value: number | boolean | Tensor }): this;
    /** Copy src's values (broadcast, cast) into this tensor. */
    copy_(src: Tensor): this;
    /**
     * PyTorch's `t.apply_(callable)`: each element replaced by `fn(element)` (cast back to this
     * tensor's dtype), in place, on the CPU; refused for a tensor that requires grad.
     * @example torch.tensor([1, 2, 3]).apply_((v) => v * 2) // tensor([2., 4., 6.])
     */
    apply_(fn: (v: number) => number | boolean): this;
    /**
     * PyTorch's `t.map_(other, callable)`: each element replaced by `fn(element, otherElement)`
     * with `other` broadcast to this tensor's shape, in place, on the CPU.
     * @example torch.tensor([1, 2]).map_(torch.tensor([10, 20]), (a, b) => a + b) // tensor([11., 22.])
     */
    map_(other: Tensor, fn: (a: number, b: number) => number | boolean): this;
    /**
     * PyTorch's `t.map2_(x, y, callable)`: each element replaced by `fn(element, xElement,
     * yElement)` with `x` and `y` broadcast to this tensor's shape, in place, on the CPU.
     * @example torch.ones(2).map2_(torch.ones(2), torch.tensor([3, 4]), (a, b, c) => a + b + c) // tensor([5., 6.])
     */
    map2_(x: Tensor, y: Tensor, fn: (a: number, b: number, c: number) => number | boolean): this;
    /**
     * PyTorch's `t.to_dense(dtype)`: a sparse tensor as a strided one (duplicate entries summed;
     * grad_fn ToDenseBackward0); a strided tensor is already dense, so this tensor itself
     * (converted when `dtype` differs). Note [sparse tensors].
     * @example torch.sparseCooTensor([[0, 1]], [2, 3], [3]).toDense() // tensor([2., 3., 0.])
     */
    toDense(dtype?: DType | DTypeName | null): Tensor;
    /**
     * PyTorch's `t.to_sparse(sparse_dim)`: a sparse COO tensor of the nonzero blocks over the
     * first `sparseDim` dims (all by default), coalesced (grad_fn ToSparseBackward0).
     * @example torch.tensor([0, 2, 0]).toSparse()._nnz() // 1
     */
    toSparse(sparseDim?: number | null): Tensor;
    /**
     * PyTorch's `t.to_sparse_coo()`: `toSparse()`.
     * @example torch.tensor([0, 2, 0]).toSparseCoo().layout // "sparse_coo"
     */
    toSparseCoo(): Tensor;
    /**
     * PyTorch's `t.coalesce()` of a sparse tensor: indices sorted and unique, duplicates summed
     * (this tensor when already coalesced; grad_fn CoalesceBackward0).
     * @example torch.sparseCooTensor([[1, 1]], [2, 3], [2]).coalesce().values() // tensor([5.])
     */
    coalesce(): Tensor;
    /**
     * PyTorch's `t.is_coalesced()`: whether a sparse tensor's indices are sorted and unique.
     * @example torch.tensor([0, 2]).toSparse().isCoalesced() // true
     */
    isCoalesced(): boolean;
    /**
     * PyTorch's `t.indices()`: a coalesced sparse tensor's int64 indices, [sparseDim, nnz]
     * (PyTorch's error on an uncoalesced one: use `_indices()` or `coalesce()`).
     * @example torch.tensor([0, 2]).toSparse().indices() // tensor([[1]])
     */
    indices(): Tensor;
    /**
     * PyTorch's `t.values()`: a coalesced sparse tensor's values, [nnz, ...denseDims].
     * @example torch.tensor([0, 2]).toSparse().values() // tensor([2.])
     */
    values(): Tensor;
    /**
     * PyTorch's `t._indices()`: a sparse tensor's indices, coalesced or not.
     * @example torch.sparseCooTensor([[1, 1]], [2, 3], [2])._indices() // tensor([[1, 1]])
     */
    _indices(): Tensor;
    /**
     * PyTorch's `t._values()`: a sparse tensor's values, coalesced or not.
     * @example torch.sparseCooTensor([[1, 1]], [2, 3], [2])._values() // tensor([2., 3.])
     */
    _values(): Tensor;
    /**
     * PyTorch's `t._nnz()`: the number of stored entries of a sparse tensor.
     * @example torch.sparseCooTensor([[1, 1]], [2, 3], [2])._nnz() // 2
     */
    _nnz(): number;
    /**
     * PyTorch's `t.sparse_dim()`: the number of sparse dims (0 for a strided tensor).
     * @example torch.eye(2).toSparse().sparseDim() // 2
     */
    sparseDim(): number;
    /**
     * PyTorch's `t.dense_dim()`: the number of dense dims of each stored block (every dim of a
     * strided tensor).
     * @example torch.eye(2).toSparse(1).denseDim() // 1
     */
    denseDim(): number;
    /**
     * PyTorch's `t.new_tensor(data, dtype, device, requires_grad)`: a new leaf tensor copied
     * from `data`, in this tensor's dtype unless `dtype` is given (a tensor `data` is copied
     * with PyTorch's warning to prefer `clone().detach()`).
     * @example torch.zeros(1, { dtype: torch.float64 }).newTensor([1, 2]) // tensor([1., 2.], dtype=torch.float64)
     */
    newTensor(
      data: NestedList | Tensor | ArrayLike<number>,
      opts?: {
        dtype?: DType | DTypeName | null;
        device?: Device | string | null;
        requiresGrad?: boolean;
      },
    ): Tensor;
  }
}

/** Element values as numbers, for the callables of apply_/map_ (bools as 0/1 become booleans). */
function elementsOf(t: Tensor): (number | boolean)[] {
  return t.reshape(-1).tolist<(number | boolean)[]>();
}

let warnedNewTensor = false;

/**
 * apply_ / map_: the callable's results, cast to t's dtype, written over t's elements (a
 * copy_ of the new values, so views and version counters see an in-place write).
 */
function applyElementwise<T extends Tensor>(
  t: T,
  name: "apply_" | "map_" | "map2_",
  others: Tensor[],
  f: (values: (number | boolean)[]) => number | boolean,
): T {
  if (needsGrad(t) || others.some((o) => needsGrad(o)))
    throw runtimeError(
      `Can't call ${name}() on Variable that requires grad. Use var.detach().${name}() instead.`,
    );
  if (t.isWebgpu || others.some((o) => o.isWebgpu))
    throw typeError(`${name} is only implemented on CPU tensors`);
  const a = elementsOf(t);
  const bs = others.map((o) => elementsOf(noGrad(() => V.expand(o, t.shape.slice()))));
  const values = a.map((v, i) => f([v, ...bs.map((b) => b[i])]));
  const out = createTensor(
    values.map((v) => (typeof v === "boolean" ? Number(v) : v)),
    { dtype: t.dtype },
  ).reshape(t.shape.slice());
  noGrad(() => t.copy_(out));
  return t;
}

const NO_OPTIONS: BackwardOptions = {};

/**
 * The implementations, written as a subclass so that `this` is a Tensor; `install` copies them
 * (their property descriptors: non-enumerable methods and the `T` getter, as a class declares
 * them) onto `Tensor.prototype`. The subclass itself is never instantiated.
 */
class TensorMethods extends Tensor {
  override backward(gradient?: Tensor | null, opts?: BackwardOptions): void {
    runBackwardApi(
      this,
      gradient === undefined || gradient === null ? null : [gradient],
      opts ?? NO_OPTIONS,
    );
  }

  override registerHook(hook: TensorHook): RemovableHandle {
    if (!this.requiresGrad)
      throw runtimeError("cannot register a hook on a tensor that doesn't require gradient");
    const e = gradientEdge(this);
    return (e.node as Node).addTensorPreHook(e.inputNr, hook);
  }

  override registerPostAccumulateGradHook(hook: (t: Tensor) => void): RemovableHandle {
    if (this.gradFn !== null)
      throw runtimeError("post accumulate grad hooks cannot be registered on non-leaf tensors");
    if (!this.requiresGrad)
      throw runtimeError("cannot register a hook on a tensor that doesn't require gradient");
    const node = gradientEdge(this).node as AccumulateGrad;
    node.postAccumulateHooks.push(hook);
    return removableHandle(node.postAccumulateHooks, hook);
  }

  override _shadow(copyValues: boolean): Tensor {
    // not a view even when this is one: its history is frozen (Note [view regeneration]); a
    // copy is a clone (a normal tensor), an alias is an inference tensor when this is one
    const t = copyValues
      ? isDevice(this)
        ? deviceClone(this)
        : new Tensor(
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

  override tolist<T = NestedList>(): T;
  override tolist(): unknown {
    if (isDevice(this)) throw syncReadError("tolist()");
    if (this._sparse !== null) throw S.noStorageError();
    const { data, offset } = valuesOf(this);
    const isBool = this.dtype === bool;
    const isComplex = this.dtype.isComplex;
    const shape = this.shape;
    let k = offset;
    const build = (d: number): unknown => {
      if (d === shape.length) {
        // Note [complex storage]: a complex element is returned as { re, im }
        if (isComplex) {
          const c = { re: data[k], im: data[k + 1] };
          k += 2;
          return c;
        }
        const v = data[k++];
        return isBool ? v !== 0 : v;
      }
      const out = new Array<unknown>(shape[d]);
      for (let i = 0; i < shape[d]; i++) out[i] = build(d + 1);
      return out;
    };
    return build(0);
  }

  override toString(): string {
    // Note [webgpu reads]: no synchronous read of device values; the layout and autograd state
    // print, the values with `await t.toStringAsync()`
    if (isDevice(this)) return deviceSummary(this);
    if (this._sparse !== null) return sparseStr(this);
    const { data, offset } = valuesOf(this);
    return formatTensor(
      this.dtype.isComplex
        ? {
            // Note [complex storage]: interleaved parts
            shape: this.shape,
            dtype: this.dtype.name,
            get: (i: number) => data[offset + 2 * i],
            getImag: (i: number) => data[offset + 2 * i + 1],
          }
        : { shape: this.shape, dtype: this.dtype.name, get: (i: number) => data[offset + i] },
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

  override to(
    target: DType | DTypeName | Device | string | ToOptions,
    dtype?: DType | DTypeName,
  ): Tensor {
    // PyTorch's forms: to(dtype), to(device, dtype?), to({ device, dtype })
    let dev: Device | null = null;
    let want: DType | DTypeName | undefined;
    checkDeviceAvailable(
      target !== null && typeof target === "object" && !(target instanceof Device)
        ? (target as ToOptions).device
        : target,
    );
    if (
      target instanceof DTypeClass ||
      (typeof target === "string" && parseDevice(target) === null)
    )
      want = target as DType | DTypeName;
    else if (typeof target === "string" || target instanceof Device) {
      dev = parseDevice(target);
      if (dev === null)
        throw runtimeError(`tensorgrad has no ${String(target)} device (cpu and webgpu only)`);
      want = dtype;
    } else {
      const o = target as ToOptions;
      if (o.device != null) {
        dev = parseDevice(o.device);
        if (dev === null)
          throw runtimeError(`tensorgrad has no ${String(o.device)} device (cpu and webgpu only)`);
      }
      want = o.dtype ?? undefined;
    }
    const cast = want === undefined ? this : this.toDtype(want);
    if (dev === null || dev.type === cast.device.type) return cast;
    if (this._sparse !== null)
      throw runtimeError("tensorgrad's sparse tensors live on the CPU (no sparse WebGPU kernels)");
    if (dev.type === "cpu")
      throw runtimeError(
        "to('cpu'): this tensor is on the webgpu device, whose values can only be read asynchronously: use `await t.cpu()`",
      );
    // Note [webgpu reads]: the move's backward would read device values synchronously
    if (needsGrad(cast))
      throw runtimeError(
        "to('webgpu') of a tensor that requires grad: tensorgrad cannot carry gradients back across devices (WebGPU reads are asynchronous); move the leaf itself: t.detach().to('webgpu').requiresGrad_()",
      );
    return toDevice(cast);
  }

  override cuda(): Tensor {
    checkDeviceAvailable("cuda");
    return this;
  }

  override webgpu(): Tensor {
    return this.to("webgpu");
  }

  override async cpu(): Promise<Tensor> {
    return toCpu(this);
  }

  override async tolistAsync<T = NestedList>(): Promise<T> {
    return (await toCpu(this)).tolist<T>();
  }

  override async toStringAsync(): Promise<string> {
    if (!isDevice(this)) return this.toString();
    const c = await toCpu(this);
    const { data, offset } = valuesOf(c);
    return formatTensor(
      { shape: c.shape, dtype: c.dtype.name, get: (i: number) => data[offset + i] },
      {
        requiresGrad: this.requiresGrad,
        gradFnName:
          this.gradFn !== null ? this.gradFn.name().replace(/^torch::autograd::/, "") : null,
        defaultDtype: getDefaultDtype().name,
        device: "webgpu:0",
      },
    );
  }

  override toDtype(dtype: DType | DTypeName): Tensor {
    const d = toDType(dtype);
    if (d === undefined || d === this.dtype) return this;
    if (this._sparse !== null) return S.sparseTo(this, d);
    if (isDevice(this)) {
      const out = deviceZeros(this.shape.slice(), d);
      deviceWriteInto(out, this);
      if (needsGrad(this) && d.isFloatingPoint) record("toCopy", out, [this], {}, {});
      return out;
    }
    const out = wrap(castData(this, d), this.shape.slice(), d);
    // a cast to a complex dtype records a node too (its gradient: the real part for a real
    // input), as PyTorch's _to_copy does
    if (needsGrad(this) && (d.isFloatingPoint || d.isComplex))
      record("toCopy", out, [this], {}, { realInput: d.isComplex && !this.dtype.isComplex });
    return out;
  }
  override float(): Tensor {
    return this.to(float32);
  }
  override double(): Tensor {
    return this.to(float64);
  }
  override long(): Tensor {
    return this.to(int64);
  }
  override int(): Tensor {
    return this.to(int32);
  }
  override bool(): Tensor {
    return this.to(bool);
  }
  override onesLike(): Tensor {
    const t = wrap(new this.dtype.ArrayType(this.numel()), this.shape.slice(), this.dtype);
    t.typedArray.fill(scalarArray(1, this.dtype)[0]);
    return t;
  }
  override type(): string;
  override type(dtype: DType | DTypeName | string | { readonly dtype: DType }): Tensor;
  override type(dtype?: DType | DTypeName | string | { readonly dtype: DType }): string | Tensor {
    if (dtype === undefined) return this.dtype.tensorTypeName;
    // a legacy type (torch.DoubleTensor) carries its dtype
    if (typeof dtype === "function") return this.to((dtype as { dtype: DType }).dtype);
    if (typeof dtype === "string" && dtype.startsWith("torch.")) {
      const d = Object.values(dtypes).find(
        (x) => x.tensorTypeName === dtype || `torch.${x.name}` === dtype,
      );
      if (d === undefined) throw new ValueError(`invalid type: '${dtype}'`);
      return this.to(d);
    }
    return this.to(dtype as DType | DTypeName);
  }
  override half(): Tensor {
    return this.to(float16);
  }
  override bfloat16(): Tensor {
    return this.to(bfloat16);
  }
  override chalf(): Tensor {
    return this.to(complex32);
  }
  override cfloat(): Tensor {
    return this.to(complex64);
  }
  override cdouble(): Tensor {
    return this.to(complex128);
  }
  override char(): Tensor {
    return this.to(int8);
  }
  override short(): Tensor {
    return this.to(int16);
  }
  override byte(): Tensor {
    return this.to(uint8);
  }

  // -------------------------------------------------------------------------------------------
  // indexing

  override get T(): Tensor {
    const nd = this.dim();
    // Note [sparse tensors]: a sparse matrix transposes through the registry's sparse kernel
    if (this._sparse !== null) {
      if (nd > 2) throw S.sparseUnsupported("permute");
      return nd < 2 ? this : this.t();
    }
    return V.permute(
      this,
      Array.from({ length: nd }, (_, i) => nd - 1 - i),
    );
  }
  override get mT(): Tensor {
    if (this.dim() < 2)
      throw runtimeError(
        `tensor.mT is only supported on matrices or batches of matrices. Got ${this.dim()}-D tensor.`,
      );
    if (this._sparse !== null) return this.transpose(-2, -1);
    return V.transpose(this, -2, -1);
  }
  override get mH(): Tensor {
    if (this.dim() < 2)
      throw runtimeError(
        `tensor.mH is only supported on matrices or batches of matrices. Got ${this.dim()}-D tensor.`,
      );
    // Note [complex conj]: a complex tensor's conjugate is a new tensor (no conjugate bit)
    const t = this._sparse !== null ? this.transpose(-2, -1) : V.transpose(this, -2, -1);
    return this.dtype.isComplex ? t.conj() : t;
  }
  override get H(): Tensor {
    const nd = this.dim();
    if (nd === 0) return this.dtype.isComplex ? this.conj() : this;
    if (nd !== 2)
      throw runtimeError(
        `tensor.H is only supported on matrices (2-D tensors). Got ${nd}-D tensor.${nd > 2 ? " For batches of matrices, consider using tensor.mH" : ""}`,
      );
    const t = this._sparse !== null ? this.transpose(0, 1) : V.transpose(this, 0, 1);
    return this.dtype.isComplex ? t.conj() : t;
  }
  override index(...indices: I.IndexArg[]): Tensor {
    if (this._sparse !== null) {
      // Note [sparse tensors]: integers select (s[i], s[i, j]); other indices have no kernel
      if (indices.length === 0 || !indices.every((i) => typeof i === "number"))
        throw S.sparseUnsupported("index.Tensor");
      return (indices as number[]).reduce<Tensor>((t, i) => t.select(0, i), this);
    }
    return I.index(this, indices);
  }
  override indexPut_(
    indices: I.IndexArg[] | I.IndexArg,
    values: Tensor | number,
    accumulate: boolean | { accumulate?: boolean } = false,
  ): this {
    if (this._sparse !== null) throw typeError("Cannot assign to a sparse tensor");
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

  override zero_(): this {
    if (this._sparse !== null) {
      S.sparseZero_(this);
      return this;
    }
    return fillWith(this, 0, "ZeroBackward0");
  }
  override fill_(arg: number | boolean | Tensor | { value: number | boolean | Tensor }): this {
    // PyTorch's keyword form: fill_({ value })
    if (this._sparse !== null) throw S.sparseUnsupported("fill_.Scalar");
    const value =
      typeof arg === "object" && !(arg instanceof Tensor) && arg !== null ? arg.value : arg;
    if (!(value instanceof Tensor)) {
      // the stored element (a half type's bit pattern, Note [half storage]); a complex
      // tensor's real part (Note [complex storage])
      const stored = scalarArray(Number(value), toRealDtype(this.dtype))[0];
      return fillWith(this, stored, "FillBackward2", null, this.dtype.isComplex ? 0 : null);
    }
    if (value.dim() !== 0)
      throw runtimeError(
        `fill_ only supports 0-dimension value tensor but got tensor with ${value.dim()} dimensions.`,
      );
    // the value cast to this tensor's dtype as PyTorch's fill_ casts it (its stored element)
    const cast = noGrad(() => value.to(this.dtype));
    const lanes = this.dtype.lanes;
    const im = lanes === 2 ? Number(cast.typedArray[2 * cast.offset + 1]) : null;
    const re = Number(cast.typedArray[cast.offset * lanes]);
    return fillWith(this, re, "FillBackward3", value, im);
  }
  override apply_(fn: (v: number) => number | boolean): this {
    if (this._sparse !== null) throw S.noStorageError();
    return applyElementwise(this, "apply_", [], ([v]) => fn(v as number));
  }
  override map_(other: Tensor, fn: (a: number, b: number) => number | boolean): this {
    if (!(other instanceof Tensor))
      throw typeError(`map_(): argument 'tensor' must be Tensor, not ${typeof other}`);
    if (this._sparse !== null || other._sparse !== null) throw S.noStorageError();
    return applyElementwise(this, "map_", [other], ([a, b]) => fn(a as number, b as number));
  }
  override map2_(
    x: Tensor,
    y: Tensor,
    fn: (a: number, b: number, c: number) => number | boolean,
  ): this {
    if (!(x instanceof Tensor) || !(y instanceof Tensor))
      throw typeError("map2_(): arguments 'x' and 'y' must be Tensors");
    if (this._sparse !== null || x._sparse !== null || y._sparse !== null) throw S.noStorageError();
    return applyElementwise(this, "map2_", [x, y], ([a, b, c]) =>
      fn(a as number, b as number, c as number),
    );
  }
  override toDense(dtype?: DType | DTypeName | null): Tensor {
    if (this._sparse !== null) {
      const d = S.toDense(this);
      return dtype === undefined || dtype === null ? d : d.to(dtype);
    }
    return dtype === undefined || dtype === null ? this : this.to(dtype);
  }
  override toSparse(sparseDim: number | null = null): Tensor {
    return S.toSparse(this, sparseDim);
  }
  override toSparseCoo(): Tensor {
    return S.toSparse(this, null);
  }
  override coalesce(): Tensor {
    return S.coalesce(this);
  }
  override isCoalesced(): boolean {
    return S.isCoalesced(this);
  }
  override indices(): Tensor {
    return S.indicesOf(this, true);
  }
  override values(): Tensor {
    return S.valuesOfSparse(this, true);
  }
  override _indices(): Tensor {
    return S.indicesOf(this, false);
  }
  override _values(): Tensor {
    return S.valuesOfSparse(this, false);
  }
  override _nnz(): number {
    return S.nnzOf(this);
  }
  override sparseDim(): number {
    return S.sparseDim(this);
  }
  override denseDim(): number {
    return S.denseDim(this);
  }
  override newTensor(
    data: NestedList | Tensor | ArrayLike<number>,
    opts: {
      dtype?: DType | DTypeName | null;
      device?: Device | string | null;
      requiresGrad?: boolean;
    } = {},
  ): Tensor {
    if (data instanceof Tensor && !warnedNewTensor) {
      warnedNewTensor = true;
      console.warn(
        "UserWarning: To copy construct from a tensor, it is recommended to use sourceTensor.clone().detach() or sourceTensor.clone().detach().requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
      );
    }
    const dtype = opts.dtype ?? this.dtype;
    const src = data instanceof Tensor ? noGrad(() => data.detach()) : data;
    let t = createTensor(src as Parameters<typeof createTensor>[0], { dtype });
    if (opts.device != null) t = t.to(opts.device);
    else if (this.isWebgpu) t = t.to("webgpu");
    if (opts.requiresGrad === true) t.requiresGrad_(true);
    return t;
  }
  override copy_(src: Tensor): this {
    if (!(src instanceof Tensor))
      throw typeError(`copy_(): argument 'other' (position 1) must be Tensor, not ${typeof src}`);
    if (this._sparse !== null || src._sparse !== null) {
      // PyTorch copies sparse to sparse (resizing self); between layouts it refuses
      if (this._sparse === null || src._sparse === null)
        throw runtimeError(
          `copy_() between dense and sparse Tensors is not implemented! Found self type = ${legacyTypeName(this)} and src type = ${legacyTypeName(src)}`,
        );
      S.sparseCopy_(this, src);
      return this;
    }
    inplace(this, false, (p) => {
      const b = noGrad(() => V.expand(src, this.shape.slice()));
      const out = wrap(castData(b, this.dtype), this.shape.slice(), this.dtype);
      if (needsGrad(p, src)) record("copy", out, [p, src], {}, {});
      return out;
    });
    return this;
  }
}

/**
 * zero_ / fill_: one value written everywhere, recorded as `name`; `source` is the 0-dim
 * tensor the value came from (fill_(Tensor)), which then gets the gradient.
 */
function fillWith<T extends Tensor>(
  self: T,
  value: number,
  name: string,
  source: Tensor | null = null,
  imag: number | null = null,
): T {
  // fills write one value everywhere: PyTorch does not check them for internal overlap
  inplace(
    self,
    false,
    (p) => {
      const out = alloc(self.shape.slice(), self.dtype);
      if (imag === null) out.typedArray.fill(value);
      else {
        // Note [complex storage]: interleaved (value, imag) pairs
        const a = out.typedArray;
        for (let i = 0; i < a.length; i += 2) {
          a[i] = value;
          a[i + 1] = imag;
        }
      }
      if (source !== null) {
        if (needsGrad(p, source)) record("fillTensor", out, [p, source], {}, {});
      } else if (needsGrad(p)) record("fill", out, [p], {}, {}, name);
      return out;
    },
    false,
  );
  return self;
}

/** Python's `format(tangent)` in a dual tensor's repr: a 0-dim tangent prints as a float. */
function tangentStr(t: Tensor): string | null {
  const g = getTangent(t);
  if (g === null) return null;
  if (g.dim() !== 0) return g.toString();
  const v = g.typedArray;
  return g.dtype.isComplex
    ? formatPyComplex(Number(v[2 * g.offset]), Number(v[2 * g.offset + 1]))
    : formatPyFloat(Number(v[g.offset]));
}

/**
 * Python's repr of a complex number: `(1+2j)`, `(1-0j)`, `2.5j` (a real part +0 is left out);
 * the parts as repr(float) without its ".0" (CPython's complex_repr, format code 'r').
 */
function formatPyComplex(re: number, im: number): string {
  const part = (x: number): string => {
    const s = formatPyFloat(x);
    return s.endsWith(".0") ? s.slice(0, -2) : s;
  };
  if (re === 0 && !Object.is(re, -0)) return `${part(im)}j`;
  const negative = im < 0 || Object.is(im, -0);
  return `(${part(re)}${negative ? "-" : "+"}${part(Math.abs(im))}j)`;
}

for (const name of Object.getOwnPropertyNames(TensorMethods.prototype)) {
  // a registry op of the same name installed first wins, as it replaced the class's method
  if (name === "constructor" || Object.prototype.hasOwnProperty.call(Tensor.prototype, name))
    continue;
  Object.defineProperty(
    Tensor.prototype,
    name,
    Object.getOwnPropertyDescriptor(TensorMethods.prototype, name) as PropertyDescriptor,
  );
}

/**
 * Note [devtools formatter]: a browser's console shows an object as its fields (a Tensor as
 * `Tensor {typedArray: Float32Array(3), shape: ...}`), never as its text, and Node's
 * `util.inspect.custom` is Node's alone. Chromium's and Firefox's developer tools (and Node's
 * inspector, which is Chromium's) call the custom formatters listed in
 * `globalThis.devtoolsFormatters` when "custom formatters" is on in their settings: this one
 * shows a tensor, a torch.Size or a dtype as Python prints it (`console.log(t)` then reads
 * `tensor([1., 2.], requires_grad=True)`). Other objects are left to the next formatter.
 */
interface DevtoolsFormatter {
  header(value: unknown): unknown[] | null;
  hasBody(): boolean;
}
const devtoolsFormatter: DevtoolsFormatter = {
  header(value) {
    if (!(value instanceof Tensor || value instanceof Size || value instanceof DTypeClass))
      return null;
    return ["span", { style: "white-space: pre; font-family: monospace" }, String(value)];
  },
  hasBody: () => false,
};
{
  const g = globalThis as { devtoolsFormatters?: unknown };
  if (g.devtoolsFormatters === undefined) g.devtoolsFormatters = [devtoolsFormatter];
  else if (Array.isArray(g.devtoolsFormatters)) g.devtoolsFormatters.push(devtoolsFormatter);
}
