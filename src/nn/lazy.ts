/**
 * Lazy modules (PyTorch's torch.nn.modules.lazy.LazyModuleMixin): layers whose input size is
 * inferred from the first input. Their parameters start as `UninitializedParameter`s (and
 * buffers as `UninitializedBuffer`s); a forward pre-hook registered at construction calls the
 * module's `initializeParameters(...input)` on the first call, which materialises them with the
 * inferred shapes and runs the layer's `resetParameters` (drawing from the generator then, as
 * PyTorch does, so after `torch.manualSeed` the values equal PyTorch's). The hook then removes
 * itself and the module becomes its non-lazy class (`clsToBecome`: LazyLinear -> Linear), as
 * PyTorch reassigns `__class__`. Loading a state dict into a lazy module materialises the
 * uninitialised tensors with the loaded shapes.
 *
 * A new lazy layer is a few lines: extend the concrete class, build it with zero sizes, replace
 * its parameters by `UninitializedParameter`s, implement `initializeParameters` and a
 * `resetParameters` that waits for them, and call `lazyInit(this, ConcreteClass)`. For a
 * convolution or batch norm of another dimension this is the pattern of LazyConv1d /
 * LazyBatchNorm1d below with its dimension: `convBaseOptions`, `lazyConvInit`,
 * `lazyConvReady`, `lazyConvInitialize(this, 3, input)` (and `normOptions`, `lazyNormInit`,
 * `lazyNormReady`, `lazyNormInitialize` for norms).
 */
import { Tensor } from "../tensor.js";
import { DType, int64 } from "../dtype.js";
import { noGrad } from "../autograd/grad-mode.js";
import { runtimeError, valueError } from "../errors.js";
import { empty, tensor } from "../ops/creation.js";
import { contiguousStrides } from "../shape.js";
import { Module, type HookHandle } from "./module.js";
import { Parameter } from "./parameter.js";
import { Linear } from "./linear.js";
import { ctorArgs, optional } from "./ctor-args.js";
import {
  Conv1d,
  Conv2d,
  Conv3d,
  ConvNd,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  convArgs,
  type ConvArgs,
  type ConvLayerOptions,
} from "./conv-layers.js";
import { BatchNorm1d, BatchNorm2d, BatchNormBase, type BatchNormOptions } from "./norm-layers.js";
import { BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d } from "./instance-norm.js";
import type { IntOrTuple } from "./functional.js";

/** Give `t` new uninitialised (zero-filled) storage of `shape` (PyTorch's `.data = empty(...)`). */
function materializeInto(t: Tensor, shape: readonly number[], dtype: DType): void {
  const n = shape.reduce((a, b) => a * b, 1);
  t.typedArray = new dtype.ArrayType(n) as typeof t.typedArray;
  t.shape = shape.slice();
  t.strides = contiguousStrides(t.shape);
  t.offset = 0;
  t.dtype = dtype;
}

/**
 * A parameter whose shape is not known yet (torch.nn.parameter.UninitializedParameter): an
 * empty tensor of the requested dtype until `materialize(shape)` gives it storage and turns it
 * into a plain Parameter (the same object, so references stay valid).
 * @example
 * const p = new torch.nn.UninitializedParameter();
 * String(p); // <UninitializedParameter>
 * p.materialize([2, 3]); // now a Parameter of shape [2, 3]
 */
export class UninitializedParameter extends Parameter {
  constructor(requiresGrad = true, dtype?: DType | { requiresGrad?: boolean; dtype?: DType }) {
    if (typeof requiresGrad === "object") ({ requiresGrad = true, dtype } = requiresGrad);
    if (dtype !== undefined && !(dtype instanceof DType)) dtype = dtype.dtype;
    super(empty([0], dtype ? { dtype } : {}), requiresGrad);
  }

  /** Create the storage with `shape` (dtype: this one's unless given) and become a Parameter. */
  materialize(shape: readonly number[], dtype?: DType): void {
    materializeInto(this, shape, dtype ?? this.dtype);
    Object.setPrototypeOf(this, Parameter.prototype);
  }

  override toString(): string {
    return "<UninitializedParameter>";
  }
}

/**
 * A buffer whose shape is not known yet (torch.nn.parameter.UninitializedBuffer); becomes a
 * plain Tensor on `materialize(shape)`.
 * @example new torch.nn.UninitializedBuffer().materialize([4])
 */
export class UninitializedBuffer extends Tensor {
  constructor(requiresGrad = false, dtype?: DType | { requiresGrad?: boolean; dtype?: DType }) {
    if (typeof requiresGrad === "object") ({ requiresGrad = false, dtype } = requiresGrad);
    if (dtype !== undefined && !(dtype instanceof DType)) dtype = dtype.dtype;
    const t = empty([0], dtype ? { dtype } : {});
    super(t.typedArray, [0], [1], 0, t.dtype);
    if (requiresGrad) this.requiresGrad_(true);
  }

  /** Create the storage with `shape` and become a plain Tensor. */
  materialize(shape: readonly number[], dtype?: DType): void {
    materializeInto(this, shape, dtype ?? this.dtype);
    Object.setPrototypeOf(this, Tensor.prototype);
  }

  override toString(): string {
    return "<UninitializedBuffer>";
  }
}

/** Whether `t` is an uninitialised parameter or buffer (PyTorch's `is_lazy`). */
export function isLazy(t: unknown): t is UninitializedParameter | UninitializedBuffer {
  return t instanceof UninitializedParameter || t instanceof UninitializedBuffer;
}

/** Whether a module's own parameters or buffers include uninitialised ones. */
export function hasUninitializedParams(m: Module): boolean {
  return (
    m.namedParameters("", false).some(([, p]) => isLazy(p)) ||
    m.namedBuffers("", false).some(([, b]) => isLazy(b))
  );
}

/** What a lazy module implements. */
export interface LazyModule extends Module {
  /** Materialise and initialise the parameters from the first call's arguments. */
  initializeParameters(...input: never[]): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any module class (constructor arguments vary)
type ModuleClass = abstract new (...args: any[]) => Module;

const LAZY_HOOK = Symbol("tensorgrad.lazy.initializeHook");
let warned = false;

/**
 * Make `m` lazy (PyTorch's LazyModuleMixin.__init__): register the forward pre-hook that
 * initialises its parameters on the first call, after which `m` becomes a `clsToBecome`.
 */
export function lazyInit(m: LazyModule, clsToBecome: ModuleClass | null): void {
  if (!warned) {
    warned = true;
    console.warn(
      "UserWarning: Lazy modules are a new feature under heavy development so changes to the API or functionality can happen at any moment.",
    );
  }
  const handle: HookHandle = m.registerForwardPreHook((module, input) => {
    (module as LazyModule).initializeParameters(...(input as never[]));
    if (hasUninitializedParams(module))
      throw runtimeError(`module ${module.constructor.name} has not been fully initialized`);
    handle.remove();
    delete (module as unknown as Record<symbol, unknown>)[LAZY_HOOK];
    if (clsToBecome !== null) Object.setPrototypeOf(module, clsToBecome.prototype);
    return undefined;
  });
  Object.defineProperty(m, LAZY_HOOK, { value: handle, configurable: true, enumerable: false });
}

// ---------------------------------------------------------------------------------------------
// LazyLinear

/**
 * torch.nn.LazyLinear: a Linear whose `in_features` is the last size of its first input.
 * @example
 * const fc = new torch.nn.LazyLinear(3);
 * String(fc); // LazyLinear(in_features=0, out_features=3, bias=True)
 * fc.call(torch.randn(2, 5)); // fc is now a Linear(in_features=5, out_features=3, bias=True)
 */
export class LazyLinear extends Linear implements LazyModule {
  constructor(
    outFeatures: number | { outFeatures?: number; bias?: boolean; dtype?: DType },
    ...rest: [(boolean | { bias?: boolean; dtype?: DType })?, unknown?, unknown?]
  ) {
    const o = ctorArgs<{
      outFeatures: number;
      bias: boolean;
      device: unknown;
      dtype: DType | null;
    }>("LazyLinear", [outFeatures, ...rest], ["outFeatures", "bias", "device", "dtype"], {
      bias: true,
      device: null,
      dtype: null,
    });
    const dtype = o.dtype ?? undefined;
    super(0, 0, { bias: false, dtype });
    this.weight = new UninitializedParameter(true, dtype);
    this.outFeatures = o.outFeatures;
    if (o.bias) this.bias = new UninitializedParameter(true, dtype);
    lazyInit(this, Linear);
  }

  override resetParameters(): void {
    if (!hasUninitializedParams(this) && this.inFeatures !== 0) super.resetParameters();
  }

  initializeParameters(input: Tensor): void {
    if (!hasUninitializedParams(this)) return;
    noGrad(() => {
      this.inFeatures = input.shape[input.dim() - 1];
      (this.weight as UninitializedParameter).materialize([this.outFeatures, this.inFeatures]);
      if (this.bias !== null) (this.bias as UninitializedParameter).materialize([this.outFeatures]);
      this.resetParameters();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// convolutions

/**
 * A lazy convolution's arguments bound as PyTorch's LazyConvXd.__init__ binds them (no
 * in_channels): the arguments of the zero-channel, bias-free base (ours come later), and the
 * bound arguments.
 */
export function convBaseOptions(
  cls: string,
  transposed: boolean,
  args: unknown[],
): [ConvArgs, ConvArgs] {
  const o = convArgs(cls, transposed, args, true);
  return [{ ...o, outChannels: 0, bias: false }, o];
}

/** The convolution part of a lazy ConvNd's construction (PyTorch's LazyConvXd __init__). */
export function lazyConvInit(
  m: ConvNd & LazyModule,
  args: ConvArgs,
  clsToBecome: ModuleClass,
): void {
  const dtype = args.dtype ?? undefined;
  m.weight = new UninitializedParameter(true, dtype);
  m.outChannels = args.outChannels;
  if (args.bias ?? true) m.bias = new UninitializedParameter(true, dtype);
  lazyInit(m, clsToBecome);
}

/**
 * PyTorch's _LazyConvXdMixin.initialize_parameters for `n` spatial dims: in_channels from the
 * input (dim 1 batched, dim 0 unbatched), then the weight and bias materialised and initialised.
 */
export function lazyConvInitialize(m: ConvNd, n: number, input: Tensor): void {
  if (!hasUninitializedParams(m)) return;
  const noBatch = n + 1;
  if (input.dim() !== noBatch && input.dim() !== noBatch + 1)
    throw runtimeError(
      `Expected ${noBatch}D (unbatched) or ${noBatch + 1}D (batched) input to ${m.constructor.name}, but got input of size: torch.Size([${input.shape.join(", ")}])`,
    );
  m.inChannels = input.dim() === noBatch + 1 ? input.shape[1] : input.shape[0];
  if (m.inChannels % m.groups !== 0) throw valueError("in_channels must be divisible by groups");
  noGrad(() => {
    const w = m.weight as UninitializedParameter;
    if (m.transposed) w.materialize([m.inChannels, m.outChannels / m.groups, ...m.kernelSize]);
    else w.materialize([m.outChannels, m.inChannels / m.groups, ...m.kernelSize]);
    if (m.bias !== null) (m.bias as UninitializedParameter).materialize([m.outChannels]);
    m.resetParameters();
  });
}

/** PyTorch's _LazyConvXdMixin.reset_parameters: only once materialised. */
export function lazyConvReady(m: ConvNd): boolean {
  return !hasUninitializedParams(m) && m.inChannels !== 0;
}

type ConvRest = unknown[];

/**
 * torch.nn.LazyConv1d(out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
 * bias=True, padding_mode='zeros'): a Conv1d whose in_channels come from the first input.
 * @example new torch.nn.LazyConv1d(4, 3).call(torch.randn(2, 5, 9)).shape // [2, 4, 7]
 */
export class LazyConv1d extends Conv1d implements LazyModule {
  constructor(outChannels: number | ConvLayerOptions, kernelSize?: IntOrTuple, ...rest: ConvRest) {
    const [base, o] = convBaseOptions("LazyConv1d", false, [outChannels, kernelSize, ...rest]);
    super(base);
    lazyConvInit(this, o, Conv1d);
  }
  override resetParameters(): void {
    if (lazyConvReady(this)) super.resetParameters();
  }
  initializeParameters(input: Tensor): void {
    lazyConvInitialize(this, 1, input);
  }
}

/**
 * torch.nn.LazyConv2d: a Conv2d whose in_channels come from the first input.
 * @example new torch.nn.LazyConv2d(4, 3).call(torch.randn(2, 5, 9, 9)).shape // [2, 4, 7, 7]
 */
export class LazyConv2d extends Conv2d implements LazyModule {
  constructor(outChannels: number | ConvLayerOptions, kernelSize?: IntOrTuple, ...rest: ConvRest) {
    const [base, o] = convBaseOptions("LazyConv2d", false, [outChannels, kernelSize, ...rest]);
    super(base);
    lazyConvInit(this, o, Conv2d);
  }
  override resetParameters(): void {
    if (lazyConvReady(this)) super.resetParameters();
  }
  initializeParameters(input: Tensor): void {
    lazyConvInitialize(this, 2, input);
  }
}

/**
 * torch.nn.LazyConvTranspose1d(out_channels, kernel_size, stride=1, padding=0,
 * output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros').
 * @example new torch.nn.LazyConvTranspose1d(4, 3).call(torch.randn(2, 5, 9)).shape // [2, 4, 11]
 */
export class LazyConvTranspose1d extends ConvTranspose1d implements LazyModule {
  constructor(outChannels: number | ConvLayerOptions, kernelSize?: IntOrTuple, ...rest: ConvRest) {
    const [base, o] = convBaseOptions("LazyConvTranspose1d", true, [
      outChannels,
      kernelSize,
      ...rest,
    ]);
    super(base);
    lazyConvInit(this, o, ConvTranspose1d);
  }
  override resetParameters(): void {
    if (lazyConvReady(this)) super.resetParameters();
  }
  initializeParameters(input: Tensor): void {
    lazyConvInitialize(this, 1, input);
  }
}

/**
 * torch.nn.LazyConvTranspose2d: a ConvTranspose2d whose in_channels come from the first input.
 * @example new torch.nn.LazyConvTranspose2d(4, 2, { stride: 2 }).call(torch.randn(1, 3, 5, 5)).shape // [1, 4, 10, 10]
 */
export class LazyConvTranspose2d extends ConvTranspose2d implements LazyModule {
  constructor(outChannels: number | ConvLayerOptions, kernelSize?: IntOrTuple, ...rest: ConvRest) {
    const [base, o] = convBaseOptions("LazyConvTranspose2d", true, [
      outChannels,
      kernelSize,
      ...rest,
    ]);
    super(base);
    lazyConvInit(this, o, ConvTranspose2d);
  }
  override resetParameters(): void {
    if (lazyConvReady(this)) super.resetParameters();
  }
  initializeParameters(input: Tensor): void {
    lazyConvInitialize(this, 2, input);
  }
}

/**
 * torch.nn.LazyConv3d(out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
 * bias=True, padding_mode='zeros').
 * @example new torch.nn.LazyConv3d(4, 3).call(torch.randn(1, 2, 5, 5, 5)).shape // [1, 4, 3, 3, 3]
 */
export class LazyConv3d extends Conv3d implements LazyModule {
  constructor(outChannels: number | ConvLayerOptions, kernelSize?: IntOrTuple, ...rest: ConvRest) {
    const [base, o] = convBaseOptions("LazyConv3d", false, [outChannels, kernelSize, ...rest]);
    super(base);
    lazyConvInit(this, o, Conv3d);
  }
  override resetParameters(): void {
    if (lazyConvReady(this)) super.resetParameters();
  }
  initializeParameters(input: Tensor): void {
    lazyConvInitialize(this, 3, input);
  }
}

/**
 * torch.nn.LazyConvTranspose3d(out_channels, kernel_size, stride=1, padding=0,
 * output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros').
 * @example new torch.nn.LazyConvTranspose3d(4, 3).call(torch.randn(1, 2, 3, 3, 3)).shape // [1, 4, 5, 5, 5]
 */
export class LazyConvTranspose3d extends ConvTranspose3d implements LazyModule {
  constructor(outChannels: number | ConvLayerOptions, kernelSize?: IntOrTuple, ...rest: ConvRest) {
    const [base, o] = convBaseOptions("LazyConvTranspose3d", true, [
      outChannels,
      kernelSize,
      ...rest,
    ]);
    super(base);
    lazyConvInit(this, o, ConvTranspose3d);
  }
  override resetParameters(): void {
    if (lazyConvReady(this)) super.resetParameters();
  }
  initializeParameters(input: Tensor): void {
    lazyConvInitialize(this, 3, input);
  }
}

// ---------------------------------------------------------------------------------------------
// normalisation

const NORM_NAMES = ["eps", "momentum", "affine", "trackRunningStats", "device", "dtype"];

/**
 * PyTorch's _LazyNormBase.__init__ after the zero-feature base: uninitialised weight and bias
 * (affine), running statistics (track_running_stats) and a fresh batch counter.
 */
export function lazyNormInit(
  m: BatchNormBase & LazyModule,
  o: BatchNormOptions,
  clsToBecome: ModuleClass,
): void {
  m.affine = o.affine ?? true;
  m.trackRunningStats = o.trackRunningStats ?? true;
  const dtype = o.dtype ?? undefined;
  if (m.affine) {
    m.weight = new UninitializedParameter(true, dtype);
    m.bias = new UninitializedParameter(true, dtype);
  }
  if (m.trackRunningStats) {
    m.running_mean = new UninitializedBuffer(false, dtype);
    m.running_var = new UninitializedBuffer(false, dtype);
    m.num_batches_tracked = tensor(0, { dtype: int64 });
  }
  lazyInit(m, clsToBecome);
}

/** PyTorch's _LazyNormBase.initialize_parameters: num_features = input.shape[1]. */
export function lazyNormInitialize(m: BatchNormBase, input: Tensor): void {
  if (!hasUninitializedParams(m)) return;
  noGrad(() => {
    m.numFeatures = input.shape[1];
    const c = [m.numFeatures];
    if (m.affine) {
      (m.weight as UninitializedParameter).materialize(c);
      (m.bias as UninitializedParameter).materialize(c);
    }
    if (m.trackRunningStats) {
      (m.running_mean as UninitializedBuffer).materialize(c);
      (m.running_var as UninitializedBuffer).materialize(c);
    }
    m.resetParameters();
  });
}

/** PyTorch's _LazyNormBase.reset_parameters condition: materialised, with features. */
export function lazyNormReady(m: BatchNormBase): boolean {
  return !hasUninitializedParams(m) && m.numFeatures !== 0;
}

/** A lazy norm's arguments (eps, momentum, affine, track_running_stats, dtype) as options. */
export function normOptions(rest: unknown[]): BatchNormOptions {
  // not given stays undefined: lazyNormInit and the base apply PyTorch's defaults
  return ctorArgs("_LazyNormBase", rest, NORM_NAMES, optional(NORM_NAMES)) as BatchNormOptions;
}

/**
 * torch.nn.LazyBatchNorm1d(eps=1e-05, momentum=0.1, affine=True, track_running_stats=True): a
 * BatchNorm1d whose num_features is the first input's dim 1.
 * @example
 * const bn = new torch.nn.LazyBatchNorm1d();
 * bn.call(torch.randn(4, 3));
 * console.log(String(bn)); // BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)

 */
export class LazyBatchNorm1d extends BatchNorm1d implements LazyModule {
  constructor(...rest: unknown[]) {
    const o = normOptions(rest);
    super(0, { ...o, affine: false, trackRunningStats: false });
    lazyNormInit(this, o, BatchNorm1d);
  }
  override resetParameters(): void {
    if (lazyNormReady(this)) super.resetParameters();
  }
  initializeParameters(input: Tensor): void {
    lazyNormInitialize(this, input);
  }
}

/**
 * torch.nn.LazyBatchNorm2d: a BatchNorm2d whose num_features is the first input's dim 1.
 * @example new torch.nn.LazyBatchNorm2d().call(torch.randn(2, 3, 4, 4))
 */
export class LazyBatchNorm2d extends BatchNorm2d implements LazyModule {
  constructor(...rest: unknown[]) {
    const o = normOptions(rest);
    super(0, { ...o, affine: false, trackRunningStats: false });
    lazyNormInit(this, o, BatchNorm2d);
  }
  override resetParameters(): void {
    if (lazyNormReady(this)) super.resetParameters();
  }
  initializeParameters(input: Tensor): void {
    lazyNormInitialize(this, input);
  }
}

/**
 * torch.nn.LazyBatchNorm3d(eps=1e-05, momentum=0.1, affine=True, track_running_stats=True): a BatchNorm3d
 * whose num_features is the first input's dim 1 (the lazy form's defaults are BatchNorm's).
 * @example new torch.nn.LazyBatchNorm3d().call(torch.randn(2, 3, 2, 2, 2))
 */
export class LazyBatchNorm3d extends BatchNorm3d implements LazyModule {
  constructor(...rest: unknown[]) {
    const o = normOptions(rest);
    super(0, { ...o, affine: false, trackRunningStats: false });
    lazyNormInit(this, o, BatchNorm3d);
  }
  override resetParameters(): void {
    if (lazyNormReady(this)) super.resetParameters();
  }
  initializeParameters(input: Tensor): void {
    lazyNormInitialize(this, input);
  }
}

/**
 * torch.nn.LazyInstanceNorm1d(eps=1e-05, momentum=0.1, affine=True, track_running_stats=True): a InstanceNorm1d
 * whose num_features is the first input's dim 1 (the lazy form's defaults are BatchNorm's).
 * @example new torch.nn.LazyInstanceNorm1d().call(torch.randn(2, 3, 5))
 */
export class LazyInstanceNorm1d extends InstanceNorm1d implements LazyModule {
  constructor(...rest: unknown[]) {
    const o = normOptions(rest);
    super(0, { ...o, affine: false, trackRunningStats: false });
    lazyNormInit(this, o, InstanceNorm1d);
  }
  override resetParameters(): void {
    if (lazyNormReady(this)) super.resetParameters();
  }
  initializeParameters(input: Tensor): void {
    lazyNormInitialize(this, input);
  }
}

/**
 * torch.nn.LazyInstanceNorm2d(eps=1e-05, momentum=0.1, affine=True, track_running_stats=True): a InstanceNorm2d
 * whose num_features is the first input's dim 1 (the lazy form's defaults are BatchNorm's).
 * @example new torch.nn.LazyInstanceNorm2d().call(torch.randn(2, 3, 4, 4))
 */
export class LazyInstanceNorm2d extends InstanceNorm2d implements LazyModule {
  constructor(...rest: unknown[]) {
    const o = normOptions(rest);
    super(0, { ...o, affine: false, trackRunningStats: false });
    lazyNormInit(this, o, InstanceNorm2d);
  }
  override resetParameters(): void {
    if (lazyNormReady(this)) super.resetParameters();
  }
  initializeParameters(input: Tensor): void {
    lazyNormInitialize(this, input);
  }
}

/**
 * torch.nn.LazyInstanceNorm3d(eps=1e-05, momentum=0.1, affine=True, track_running_stats=True): a InstanceNorm3d
 * whose num_features is the first input's dim 1 (the lazy form's defaults are BatchNorm's).
 * @example new torch.nn.LazyInstanceNorm3d().call(torch.randn(2, 3, 2, 2, 2))
 */
export class LazyInstanceNorm3d extends InstanceNorm3d implements LazyModule {
  constructor(...rest: unknown[]) {
    const o = normOptions(rest);
    super(0, { ...o, affine: false, trackRunningStats: false });
    lazyNormInit(this, o, InstanceNorm3d);
  }
  override resetParameters(): void {
    if (lazyNormReady(this)) super.resetParameters();
  }
  initializeParameters(input: Tensor): void {
    lazyNormInitialize(this, input);
  }
}
