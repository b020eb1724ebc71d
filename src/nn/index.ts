/**
 * torch.nn: modules, layers, losses, and the functional / init / utils namespaces.
 *
 * @example
 * import * as torch from "tensorgrad";
 * const model = new torch.nn.Sequential(
 *   new torch.nn.Linear(784, 256),
 *   new torch.nn.ReLU(),
 *   new torch.nn.Linear(256, 10),
 * );
 * console.log(String(model));
 */
export {
  Module,
  zeroGradOf,
  type StateDict,
  type IncompatibleKeys,
  type LoadStateDictPostHook,
  type HookHandle,
  type ForwardHook,
  type ForwardPreHook,
  type CallableModule,
  // Module machinery (h-nnmod): hooks of every module, option types
  type BackwardHook,
  type NamedModulesOptions,
  type NamedMembersOptions,
  type ModuleToOptions,
  registerModuleForwardPreHook,
  registerModuleForwardHook,
  registerModuleFullBackwardHook,
  registerModuleBackwardHook,
} from "./module.js";
// lazy modules (h-nnmod): the mechanism (lazyInit & co.) is exported for other lazy layers
export {
  UninitializedParameter,
  UninitializedBuffer,
  LazyLinear,
  LazyConv1d,
  LazyConv2d,
  LazyConvTranspose1d,
  LazyConvTranspose2d,
  LazyConv3d,
  LazyConvTranspose3d,
  LazyBatchNorm3d,
  LazyInstanceNorm1d,
  LazyInstanceNorm2d,
  LazyInstanceNorm3d,
  LazyBatchNorm1d,
  LazyBatchNorm2d,
  isLazy,
  hasUninitializedParams,
  lazyInit,
  lazyConvInit,
  lazyConvInitialize,
  lazyNormInit,
  lazyNormInitialize,
  type LazyModule,
} from "./lazy.js";
// parameter containers (h-nnmod)
export {
  ParameterList,
  ParameterDict,
  Container,
  type ParameterDictInit,
} from "./param-containers.js";
export { Parameter, isParameter } from "./parameter.js";
export { Sequential, ModuleList, ModuleDict } from "./container.js";
export { Identity, Linear, Bilinear, Flatten, Unflatten, type LinearOptions } from "./linear.js";
export { Dropout, Embedding, type EmbeddingModuleOptions } from "./dropout.js";
export * from "./activation.js";
export * from "./loss.js";
// issue 11, losses and distances (h-nnloss)
export { PairwiseDistance, CosineSimilarity } from "./distance.js";
export { AdaptiveLogSoftmaxWithLoss, type ASMOutput } from "./adaptive.js";
// convolution, pooling, normalisation layers
export * from "./conv-layers.js";
export * from "./pooling-layers.js";
export * from "./norm-layers.js";
// recurrent layers and attention
export {
  RNNBase,
  RNN,
  LSTM,
  GRU,
  RNNCellBase,
  RNNCell,
  LSTMCell,
  GRUCell,
  type RNNOptions,
} from "./rnn.js";
export {
  MultiheadAttention,
  NonDynamicallyQuantizableLinear,
  type MultiheadAttentionOptions,
  type AttentionForwardOptions,
} from "./attention.js";

// transformers (h-nntf)
export {
  Transformer,
  TransformerEncoder,
  TransformerDecoder,
  TransformerEncoderLayer,
  TransformerDecoderLayer,
  generateSquareSubsequentMask,
  type Activation,
  type TransformerLayerOptions,
  type TransformerOptions,
  type EncoderMasks,
  type DecoderMasks,
  type TransformerMasks,
} from "./transformer.js";
// issue 11: activations, dropout, normalisation, embedding bag (h-nnact)
export * from "./activation-extra.js";
export * from "./dropout-layers.js";
export * from "./instance-norm.js";
export * from "./embedding-bag.js";

export { DataParallel } from "./data-parallel.js";

export * as functional from "./functional.js";
export * as init from "./init.js";
export * as utils from "./utils.js";
// padding, upsampling and vision layers (issue 11: padding / resampling family)
export * from "./resample-layers.js";
