/**
 * tensorgrad: PyTorch's tensors and autograd in TypeScript.
 *
 * @example
 * import * as torch from "tensorgrad";
 * const x = torch.tensor(1.0, { requiresGrad: true });
 * const y = x.pow(4).add(x.pow(3).mul(3)).add(x.pow(2).mul(3)).add(x.mul(5)).add(1);
 * y.backward();
 * console.log(x.grad); // tensor(24.)
 */
import "./install.js";
import { Tensor, Size } from "./tensor.js";
export type { NestedList } from "./tensor.js";
import "./generated/tensor-methods.js";
import type { DType, DTypeName } from "./dtype.js";
import * as I from "./ops/indexing.js";
import * as SP from "./ops/sparse.js";
import * as api from "./autograd/api.js";
import { finish, type TensorOptions } from "./ops/creation.js";
import { Node } from "./autograd/node.js";
import { forwardAd } from "./autograd/forward-ad-api.js";
import { Function as AutogradFunction, FunctionCtx } from "./autograd/custom-function.js";
import { savedTensorsHooks, disableSavedTensorsHooks } from "./autograd/saved-hooks.js";
import { checkOptions } from "./registry/ops/creation.js";
import {
  detectAnomaly,
  setDetectAnomaly,
  isAnomalyEnabled,
  isAnomalyCheckNanEnabled,
} from "./autograd/anomaly-mode.js";
import { checkpoint, checkpointWith, type CheckpointOptions } from "./autograd/checkpoint.js";
import * as nnModule from "./nn/index.js";
import { explain } from "./autograd/explain.js";
import * as functional from "./autograd/functional.js";
import * as data from "./data/data.js";
import { gradcheck, gradgradcheck, GradcheckError } from "./autograd/gradcheck.js";

export { Tensor, Size };
export type { ComplexValue } from "./tensor.js";
export { DType };
export type { DTypeName, TensorOptions };
export {
  float32,
  float64,
  float16,
  bfloat16,
  int8,
  int16,
  int32,
  int64,
  uint8,
  bool,
  complex32,
  complex64,
  complex128,
  getDefaultDtype,
  setDefaultDtype,
  promoteTypes,
  finfo,
  iinfo,
  FInfo,
  IInfo,
} from "./dtype.js";
import {
  complex32,
  complex64,
  complex128,
  float16,
  float32,
  float64,
  int16,
  int64,
  int32,
} from "./dtype.js";
/** torch.half: PyTorch's alias of float16. */
export const half = float16;
/** torch.short: PyTorch's alias of int16. */
export const short = int16;
/** torch.float: PyTorch's alias of float32. */
export const float = float32;
/** torch.double: PyTorch's alias of float64. */
export const double = float64;
/** torch.long: PyTorch's alias of int64. */
export const long = int64;
/** torch.int: PyTorch's alias of int32. */
export const int = int32;
/**
 * torch.chalf: PyTorch's alias of complex32.
 * @example String(torch.chalf) // "torch.complex32"
 */
export const chalf = complex32;
/** torch.cfloat: PyTorch's alias of complex64. */
export const cfloat = complex64;
/** torch.cdouble: PyTorch's alias of complex128. */
export const cdouble = complex128;

export {
  tensor,
  asTensor,
  asarray,
  frombuffer,
  type AsTensorOptions,
  type AsarrayOptions,
  type FrombufferOptions,
} from "./ops/creation.js";
export {
  manualSeed,
  initialSeed,
  seed,
  getRngState,
  setRngState,
  Generator,
  defaultGenerator,
  type GeneratorOptions,
} from "./generator.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
/** torch.testing: assertClose (PyTorch's assert_close), the deprecated assertAllclose, makeTensor */
export * as testing from "./testing.js";
/** torch.linalg: the registry's linalg ops (linalg.cross) */
export * as linalg from "./generated/linalg.js";
/** torch.special: the special functions (erfcx, logNdtr, besselJ0, xlog1py, zeta, ...) */
export * as special from "./generated/special.js";
/** torch.fft: discrete Fourier transforms and their helpers (fftfreq, fftshift, ...) */
export * as fft from "./generated/fft.js";
/**
 * torch.distributions: Normal, Categorical, MultivariateNormal, ... with exact seeded sampling,
 * logProb, entropy and klDivergence.
 * @example
 * torch.manualSeed(0);
 * new torch.distributions.Normal(0, 1).sample([2]); // tensor([ 1.5410, -0.2934])
 */
export * as distributions from "./distributions/index.js";
export {
  noGrad,
  enableGrad,
  setGradEnabled,
  isGradEnabled,
  inferenceMode,
  isInferenceModeEnabled,
  type ModeGuard,
} from "./autograd/grad-mode.js";
import {
  noGrad as noGradMode,
  enableGrad as enableGradMode,
  setGradEnabled as setGradEnabledMode,
  inferenceMode as inferenceModeMode,
} from "./autograd/grad-mode.js";
export { setPrintoptions, getPrintoptions, formatPyFloat } from "./print.js";
export { slice, type Slice, type IndexArg } from "./ops/indexing.js";
export type { Node };
export type { ValuesIndices, VarOptions } from "./ops/reduce.js";

// The ops declared in the registry (src/registry/ops), typed from their PyTorch schemas.
export * from "./generated/functions.js";
/** Python's NotImplemented, which the binary operator methods (`t.__radd__(x)`) return for an operand they refuse */
export { NotImplemented, NotImplementedType } from "./registry/ops/dunder.js";
export { broadcastShapes } from "./registry/ops/misc.js";

/** torch.is_inference(t): whether t was made under inferenceMode (Note [inference tensors]) */
export const isInference = (t: Tensor): boolean => t.isInference();
/** torch.index(x, ...indices): Python's x[...] (tensorgrad's spelling, as `x.index(...)`) */
export const index = (x: Tensor, ...indices: I.IndexArg[]): Tensor => x.index(...indices);

/**
 * torch.strided: the layout of dense tensors (`t.layout`), tensorgrad's only one.
 * @example torch.zeros(2).layout === torch.strided // true
 */
export const strided = "strided";
/**
 * torch.sparse_coo: the layout of sparse COO tensors (`t.layout`; Note [sparse tensors]).
 * @example torch.eye(2).toSparse().layout === torch.sparseCoo // true
 */
export const sparseCoo = "sparse_coo";
export {
  sparseCooTensor,
  type SparseCooOptions,
  type SparseData,
  type SparseAddmmOptions,
  type SparseSumOptions,
  type SparseSoftmaxOptions,
} from "./ops/sparse.js";
/**
 * torch.sparse: the operations on sparse COO tensors (Note [sparse tensors]): `mm` (sparse x
 * dense, differentiable in both), `sum`, `softmax`, `logSoftmax`.
 * @example
 * const a = torch.sparseCooTensor([[0, 1], [1, 0]], [2, 3], [2, 2]);
 * torch.sparse.mm(a, torch.ones(2, 1)); // tensor([[2.], [3.]])
 */
export const sparse = {
  /**
   * `torch.sparse.mm(sparse, dense)`: the product, dense, differentiable in both operands.
   * @example torch.sparse.mm(torch.eye(2).toSparse(), torch.ones(2, 1)) // tensor([[1.], [1.]])
   */
  mm: SP.sparseMm,
  /**
   * `torch.sparse.sum(input, dim, dtype)`: the sum of the stored values (dense over all dims).
   * @example torch.sparse.sum(torch.eye(2).toSparse()) // tensor(2.)
   */
  sum: SP.sparseSum,
  /**
   * `torch.sparse.softmax(input, dim, dtype)`: softmax over the stored entries along `dim`.
   * @example torch.sparse.softmax(torch.eye(2).toSparse(), 1).values() // tensor([1., 1.])
   */
  softmax: SP.sparseSoftmax,
  /**
   * `torch.sparse.log_softmax(input, dim, dtype)`: log of `torch.sparse.softmax`.
   * @example torch.sparse.logSoftmax(torch.eye(2).toSparse(), 1).values() // tensor([0., 0.])
   */
  logSoftmax: SP.sparseLogSoftmax,
  /**
   * `torch.sparse.addmm(mat, mat1, mat2, *, beta, alpha)`: beta * mat + alpha * (mat1 @ mat2).
   * @example torch.sparse.addmm(torch.zeros(2, 1), torch.eye(2).toSparse(), torch.ones(2, 1)) // tensor([[1.], [1.]])
   */
  addmm: SP.sparseAddmm,
  /**
   * Legacy `torch.sparse.FloatTensor(indices, values, size)` (keeps the values' dtype, as 1.13
   * does) or `torch.sparse.FloatTensor(...sizes)` (empty).
   * @example torch.sparse.FloatTensor([[0, 1]], [1, 2], [3])._nnz() // 2
   */
  FloatTensor: SP.legacySparse(float32),
  /**
   * Legacy `torch.sparse.DoubleTensor(indices, values, size)` or `(...sizes)`.
   * @example torch.sparse.DoubleTensor(2, 3).dtype // torch.float64
   */
  DoubleTensor: SP.legacySparse(float64),
  /**
   * Legacy `torch.sparse.LongTensor(indices, values, size)` or `(...sizes)`.
   * @example torch.sparse.LongTensor(2, 3).dtype // torch.int64
   */
  LongTensor: SP.legacySparse(int64),
  /**
   * Legacy `torch.sparse.IntTensor(indices, values, size)` or `(...sizes)`.
   * @example torch.sparse.IntTensor(2, 3).dtype // torch.int32
   */
  IntTensor: SP.legacySparse(int32),
};
export { spmmFn as spmm } from "./ops/sparse.js";
/**
 * PyTorch's memory formats (`torch.contiguous_format`, ...), for `memoryFormat` arguments:
 * `x.contiguous({ memoryFormat: torch.channelsLast })`.
 */
export const contiguousFormat = "contiguous_format";
/** torch.preserve_format: keep the input's layout (the default of `clone`, `*Like`). */
export const preserveFormat = "preserve_format";
/** torch.channels_last: NHWC strides for 4-d tensors (`x.contiguous({ memoryFormat })`). */
export const channelsLast = "channels_last";

/** torch.is_tensor(obj) */
export const isTensor = (x: unknown): x is Tensor => x instanceof Tensor;

/**
 * torch.autograd: backward, grad, Variable, custom functions, forward-mode AD, saved-tensor
 * hooks, anomaly detection, functional transforms and gradient checks.
 * @example
 * const x = torch.tensor([1, 2], { requiresGrad: true });
 * const [g] = torch.autograd.grad(x.pow(2).sum(), [x]);
 * console.log(String(g)); // tensor([2., 4.])
 */
export const autograd = {
  /** torch.autograd.backward(tensors, grads, { retainGraph, createGraph, inputs }). */
  backward: api.backward,
  /** torch.autograd.grad(outputs, inputs, { gradOutputs, retainGraph, createGraph, allowUnused }). */
  grad: api.grad,
  /** The deprecated torch.autograd.Variable: returns the tensor, optionally requiring grad. */
  Variable(data: Tensor, opts?: { requiresGrad?: boolean }): Tensor {
    const t = data.detach();
    return finish(t, opts);
  },
  /** torch.autograd.forward_ad: dualLevel, makeDual, unpackDual (forward-mode AD) */
  forwardAd,
  /** custom functions: `class F extends torch.autograd.Function { static forward/backward }` */
  Function: AutogradFunction,
  /** The `ctx` of a custom Function's forward and backward (saveForBackward, needsInputGrad). */
  FunctionCtx,
  /** torch.autograd.graph: savedTensorsHooks, disableSavedTensorsHooks */
  graph: {
    /** Pack/unpack hooks for the tensors saved for backward (PyTorch's saved_tensors_hooks). */
    savedTensorsHooks,
    /** Refuse saved-tensor hooks inside fn, with a message (disable_saved_tensors_hooks). */
    disableSavedTensorsHooks,
    /**
     * torch.autograd.graph.save_on_cpu: keep the tensors saved for backward on the CPU while
     * `fn` runs. tensorgrad's CPU tensors already live there, so they are saved as they are;
     * a WebGPU tensor stays on its device (reading it back is asynchronous, Note [webgpu
     * reads]). `pinMemory: true` asks for CUDA's pinned memory: PyTorch's error without CUDA.
     * @example torch.autograd.graph.saveOnCpu(() => torch.ones(2, { requiresGrad: true }).exp().sum())
     */
    saveOnCpu<T>(fn: () => T, opts: { pinMemory?: boolean } = {}): T {
      const pinned = opts.pinMemory === true;
      return savedTensorsHooks(
        (t: Tensor) => {
          if (pinned) checkOptions("strided", null, true);
          return t;
        },
        (t: Tensor) => t,
        fn,
      );
    },
  },
  /** torch.autograd.no_grad (torch.no_grad): run `fn` without recording. */
  noGrad: noGradMode,
  /** torch.autograd.enable_grad (torch.enable_grad): run `fn` recording. */
  enableGrad: enableGradMode,
  /** torch.autograd.set_grad_enabled (torch.set_grad_enabled). */
  setGradEnabled: setGradEnabledMode,
  /** torch.autograd.inference_mode (torch.inference_mode). */
  inferenceMode: inferenceModeMode,
  /**
   * torch.autograd.profiler: profile(fn, { recordShapes }) records every op call
   * (`aten::<op>`, Note [profiler events]); recordFunction(name, fn) a named range;
   * keyAverages().table({ sortBy, rowLimit }) prints PyTorch's table.
   */
  profiler: {
    /** Run and record `fn` (or start a profile to `exit()`). */
    profile,
    /** A named range in the running profile. */
    recordFunction,
    /** The class of profiles. */
    Profile,
    /** One recorded call. */
    FunctionEvent,
    /** The calls of one key summed. */
    FunctionEventAvg,
    /** A list of events with keyAverages() and table(). */
    EventList,
  },
  /** torch.autograd.detect_anomaly: forward stacks for failing backward nodes, NaN checks. */
  detectAnomaly,
  /** torch.autograd.set_detect_anomaly(mode): anomaly detection on or off. */
  setDetectAnomaly,
  /** torch.is_anomaly_enabled(): whether anomaly detection is on. */
  isAnomalyEnabled,
  /** "Why is my grad null?": explain(output, input) */
  explain,
  /** torch.autograd.functional: vjp, jvp, jacobian, hessian, hvp, vhp */
  functional,
  /** finite-difference checks of first and second derivatives */
  gradcheck,
  /** Second derivatives against finite differences of the first (gradgradcheck). */
  gradgradcheck,
  /** The error gradcheck and gradgradcheck throw on a mismatch. */
  GradcheckError,
};
/** Types under torch.autograd (`ctx: torch.autograd.FunctionCtx`). */
// eslint-disable-next-line @typescript-eslint/no-namespace -- types merged with the const above
export declare namespace autograd {
  /** The type of a custom Function class's instances. */
  type Function = AutogradFunction;
  /** The type of `ctx` in a custom Function (`static forward(ctx: torch.autograd.FunctionCtx, ...)`). */
  type FunctionCtx = import("./autograd/custom-function.js").FunctionCtx;
}
/**
 * torch.viz: pictures of the backward graph (torchviz's make_dot): makeDot(output, { params,
 * showAttrs, showSaved, maxAttrChars }) returns a Digraph with the DOT source; toSvg() renders it.
 */
export * as viz from "./viz.js";
/**
 * torch.onnx: export(model, args, f, { inputNames, outputNames, dynamicAxes, opsetVersion })
 * writes a module's forward as an ONNX model (opsets 13 to 17; PyTorch 1.13's argument order).
 */
export * as onnx from "./onnx/index.js";
/** torch.func: grad, gradAndValue, vjp, jvp, jacrev, jacfwd, hessian (composable transforms) */
export * as func from "./func.js";
/** `torch.utils.checkpointSequential`'s options (PyTorch's keyword arguments). */
export interface CheckpointSequentialOptions extends CheckpointOptions {
  /**
   * PyTorch's `use_reentrant`: both of its implementations give the same gradients, and
   * tensorgrad has one; accepted for porting.
   */
  useReentrant?: boolean;
}

/**
 * torch.utils.checkpoint.checkpoint_sequential(functions, segments, input): run a Sequential
 * (or a list of modules and functions) in `segments` pieces, checkpointing all but the last,
 * so backward recomputes their activations. A Sequential contributes its children (each
 * module once, as PyTorch's `children()` lists them).
 * @example
 * const model = new torch.nn.Sequential(new torch.nn.Linear(4, 4), new torch.nn.ReLU(), new torch.nn.Linear(4, 1));
 * const y = torch.utils.checkpointSequential(model, 2, torch.randn(2, 4, { requiresGrad: true }));
 * y.sum().backward();
 */
function checkpointSequential(
  functions: nnModule.Sequential | (nnModule.Module | ((x: Tensor) => Tensor))[],
  segments: number,
  input: Tensor,
  opts: CheckpointSequentialOptions = {},
): Tensor {
  const fns = functions instanceof nnModule.Sequential ? functions.children() : functions;
  const run =
    (start: number, end: number) =>
    (x: Tensor): Tensor => {
      for (let j = start; j <= end; j++) {
        const f = fns[j];
        x = f instanceof nnModule.Module ? (f.call(x) as Tensor) : f(x);
      }
      return x;
    };
  const segmentSize = Math.floor(fns.length / segments);
  // the last segment is not checkpointed (its activations are needed for backward at once)
  let end = -1;
  for (let start = 0; start < segmentSize * (segments - 1); start += segmentSize) {
    end = start + segmentSize - 1;
    input = checkpointWith(
      { preserveRngState: opts.preserveRngState ?? true },
      run(start, end),
      input,
    );
  }
  return run(end + 1, fns.length - 1)(input);
}

/** torch.utils: checkpoint(fn, ...args), checkpointWith(options, fn, ...args), data. */
export const utils = {
  /** torch.utils.checkpoint.checkpoint(fn, ...args): recompute fn's activations in backward. */
  checkpoint,
  /** torch.utils.checkpoint.checkpoint_sequential(functions, segments, input). */
  checkpointSequential,
  /** checkpoint with options first: checkpointWith({ preserveRngState }, fn, ...args). */
  checkpointWith,
  /** torch.utils.data: datasets, samplers, DataLoader, MNIST. */
  data,
};
/** Types under torch.utils.data (`loader: torch.utils.data.DataLoader<...>`). */
// eslint-disable-next-line @typescript-eslint/no-namespace -- types merged with the const above
export declare namespace utils {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- torch.utils.data's types
  namespace data {
    /** A map-style dataset: `getItem(i)` and `length` (torch.utils.data.Dataset). */
    type Dataset<T = unknown> = import("./data/dataset.js").Dataset<T>;
    /** Samples `[t0[i], t1[i], ...]` of tensors sharing their first dim. */
    type TensorDataset = import("./data/dataset.js").TensorDataset;
    /** The samples of a dataset at given indices. */
    type Subset<T> = import("./data/dataset.js").Subset<T>;
    /** Datasets one after another. */
    type ConcatDataset<T> = import("./data/dataset.js").ConcatDataset<T>;
    /** An iterable-style dataset: `[Symbol.iterator]` (and optionally `length`). */
    type IterableDataset<T = unknown> = import("./data/dataset.js").IterableDataset<T>;
    /** Iterable-style datasets one after another. */
    type ChainDataset<T = unknown> = import("./data/dataset.js").ChainDataset<T>;
    /** Indices drawn by torch.multinomial with the given weights. */
    type WeightedRandomSampler = import("./data/dataloader.js").WeightedRandomSampler;
    /** Anything with `getItem(i)` and `length`. */
    type DatasetLike<T> = import("./data/dataset.js").DatasetLike<T>;
    /** Iterates a dataset in (shuffled) batches of type B. */
    type DataLoader<
      T = unknown,
      B = import("./data/dataloader.js").Collated<T>,
    > = import("./data/dataloader.js").DataLoader<T, B>;
    /** DataLoader's options (batchSize, shuffle, sampler, dropLast, collateFn, generator). */
    type DataLoaderOptions<T, B> = import("./data/dataloader.js").DataLoaderOptions<T, B>;
    /** The batch type the default collate makes from samples of type T. */
    type Collated<T> = import("./data/dataloader.js").Collated<T>;
    /** The base class of samplers: an iterable of indices (a `length` for len(loader)). */
    type Sampler<T = number> = import("./data/dataloader.js").Sampler<T>;
    /** MNIST-style IDX files as a dataset of [image, label]. */
    type MNIST = import("./data/idx.js").MNIST;
    /** A parsed IDX file: `{ type, shape, data }`. */
    type IdxArray = import("./data/idx.js").IdxArray;
  }
}
/** torch.set_num_threads / get_num_threads: threads of the native kernels (when built). */
export { setNumThreads, getNumThreads } from "./backend/native.js";
import { nativeStatus, wasmStatus } from "./backend/native.js";
/**
 * Which kernels run: `torch.backends.native.active` is true when the native addon is loaded
 * (the package's prebuilt binary for this platform, or built from source by `npm install`;
 * `TENSORGRAD_BACKEND=js|native` forces a choice); `reason` names it, or says why there is
 * none, in the words of the line the first tensor prints (`TENSORGRAD_QUIET=1` silences it).
 * @example torch.backends.native.active ? "native kernels" : torch.backends.native.reason
 */
export const backends = {
  /** The native addon's status: `active`, and `reason` (which binary, or why there is none). */
  native: nativeStatus,
  /**
   * The WebAssembly backend (the addon's kernels compiled to WebAssembly, the default where
   * the addon does not load, browsers included): `active`, `reason`, and the settable
   * `enabled`, as PyTorch's `torch.backends.mkldnn.enabled`.
   * @example torch.backends.wasm.enabled // true
   */
  wasm: wasmStatus,
  ...foreignBackends,
};
export {
  cuda,
  random,
  forkRng,
  useDeterministicAlgorithms,
  areDeterministicAlgorithmsEnabled,
  isDeterministicAlgorithmsWarnOnlyEnabled,
  setDeterministicDebugMode,
  getDeterministicDebugMode,
  setFloat32MatmulPrecision,
  getFloat32MatmulPrecision,
  typename,
  isStorage,
  getNumInteropThreads,
  setNumInteropThreads,
  type DeterministicOptions,
} from "./cuda.js";
import { foreignBackends } from "./cuda.js";
export {
  autocast,
  AutocastMode,
  isAutocastCpuEnabled,
  setAutocastCpuEnabled,
  getAutocastCpuDtype,
  setAutocastCpuDtype,
  isAutocastEnabled,
  setAutocastEnabled,
  getAutocastGpuDtype,
  setAutocastGpuDtype,
  isAutocastCacheEnabled,
  setAutocastCacheEnabled,
  clearAutocastCache,
  autocastIncrementNesting,
  autocastDecrementNesting,
  GradScaler,
  type AutocastOptions,
  type DeviceAutocastOptions,
  type GradScalerOptions,
  type Steppable,
  type AutocastArg,
  type CustomFwdOptions,
  type CtxFunction,
} from "./amp.js";
import { cpuAmp } from "./amp.js";
/**
 * torch.cpu: the CPU device's `amp` module (`torch.cpu.amp.autocast`).
 * @example torch.cpu.amp.autocast(() => torch.isAutocastCpuEnabled()) // true
 */
export const cpu = {
  /**
   * torch.cpu.amp: `autocast` for CPU regions.
   * @example torch.cpu.amp.autocast({ enabled: false }, () => torch.isAutocastCpuEnabled()) // false
   */
  amp: cpuAmp,
};
export {
  FloatTensor,
  DoubleTensor,
  HalfTensor,
  BFloat16Tensor,
  LongTensor,
  IntTensor,
  ShortTensor,
  CharTensor,
  ByteTensor,
  BoolTensor,
  setDefaultTensorType,
  type LegacyTensorType,
  type LegacyArgs,
} from "./legacy-types.js";
import {
  profile,
  recordFunction,
  Profile,
  FunctionEvent,
  FunctionEventAvg,
  EventList,
  profilerProfile,
  schedule,
  ProfilerActivity,
  ProfilerAction,
  ScheduledProfile,
} from "./profiler.js";
export { Profile, FunctionEvent, FunctionEventAvg, EventList, ScheduledProfile, ProfilerAction };
export type {
  ProfileOptions,
  ProfilerOptions,
  ScheduleOptions,
  TableOptions,
  RecordFunctionGuard,
  ProfilerActionName,
  EventStats,
} from "./profiler.js";
/**
 * torch.profiler: profile(fn?, { activities, schedule, onTraceReady, recordShapes }) with
 * `step()`, schedule, recordFunction, ProfilerActivity, ProfilerAction (PyTorch's Kineto
 * profiler API over the same events as torch.autograd.profiler).
 * @example
 * const prof = torch.profiler.profile(() => torch.ones(4).exp());
 * prof.keyAverages().table({ sortBy: "self_cpu_time_total" }).includes("aten::exp") // true
 */
export const profiler = {
  /** Run and record `fn`, or start a profile to drive with step() and exit(). */
  profile: profilerProfile,
  /** A named range in the running profile. */
  recordFunction,
  /** The action at each step. */
  schedule,
  /** What a profile records. */
  ProfilerActivity,
  /** What a profile does at a step. */
  ProfilerAction,
  /** The class of torch.profiler.profile's profiles. */
  ScheduledProfile,
};
export { safetensors } from "./serialization.js";
export { save, load, type LoadResult, type LoadOptions } from "./ptfile.js";
/** torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled() */
export { isAnomalyEnabled, isAnomalyCheckNanEnabled };
/**
 * torch.set_anomaly_enabled(mode, check_nan=True): anomaly detection on or off for the rest of
 * the program (torch.autograd.setDetectAnomaly without its guard).
 * @example
 * torch.setAnomalyEnabled(true, false);
 * torch.isAnomalyCheckNanEnabled(); // false
 * torch.setAnomalyEnabled(false);
 */
export function setAnomalyEnabled(mode: boolean, checkNan = true): void {
  setDetectAnomaly(mode, checkNan);
}
export type { ExplainOptions } from "./autograd/explain.js";
export type { CheckpointOptions } from "./autograd/checkpoint.js";
export type { BackwardResult } from "./autograd/custom-function.js";
export type { HooksGuard } from "./autograd/saved-hooks.js";
export type { DetectAnomalyOptions } from "./autograd/anomaly-mode.js";
export type { DualLevelGuard, LevelOptions } from "./autograd/forward-ad.js";
export type { UnpackedDual } from "./autograd/forward-ad-api.js";
export type { BackwardOptions, GradOptions } from "./autograd/api.js";
export type { GradcheckOptions, GradgradcheckOptions, GradcheckFn } from "./autograd/gradcheck.js";
export type {
  FunctionalOptions,
  JacobianOptions,
  HessianOptions,
  TensorFn,
} from "./autograd/functional.js";
export type { DType as dtype };
void float64;
/** PyTorch's exception types: `catch (e) { if (e instanceof torch.RuntimeError) ... }` */
export {
  RuntimeError,
  TypeError,
  IndexError,
  ValueError,
  NotImplementedError,
  OverflowError,
  AssertionError,
  AttributeError,
  KeyError,
  LinAlgError,
  // PyTorch's class name (torch._C._LinAlgError), as errors report it
  LinAlgError as _LinAlgError,
  UnpicklingError,
} from "./errors.js";

export { Device, device, type DeviceType } from "./device.js";
export type { ToOptions } from "./tensor-methods.js";
import {
  adapterInfo as webgpuAdapterInfo,
  deviceReady as webgpuReady,
  initDevice as webgpuInit,
  synchronize as webgpuSynchronize,
} from "./ops/webgpu.js";
import type { GpuLike, GpuAdapterLike, GpuAdapterInfoLike } from "./backend/webgpu.js";
export type { GpuLike, GpuAdapterLike, GpuAdapterInfoLike };
/**
 * torch.webgpu, the WebGPU device (as torch.cuda for CUDA; Note [webgpu reads] in
 * tensor-methods.ts). `await torch.webgpu.init()` requests the adapter once (WebGPU adapters
 * are asynchronous): from `navigator.gpu` in a browser, or from the GPU object given (in Node
 * the `webgpu` package's `create([])`); it resolves to false when there is none.
 * @example await torch.webgpu.init(); torch.webgpu.isAvailable()
 */
export const webgpu = {
  /** Requests the device: `gpu` defaults to `navigator.gpu`; false when no adapter is found. */
  init(gpu?: GpuLike): Promise<boolean> {
    const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
    return webgpuInit(gpu ?? nav?.gpu);
  },
  /** Whether `init` found a device (PyTorch's torch.cuda.is_available()). */
  isAvailable(): boolean {
    return webgpuReady();
  },
  /** Resolves when the device has run every queued kernel (torch.cuda.synchronize()). */
  synchronize(): Promise<void> {
    return webgpuSynchronize();
  },
  /** The adapter's vendor, architecture and description. */
  adapterInfo(): string {
    return webgpuAdapterInfo();
  },
};
