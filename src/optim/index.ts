/**
 * torch.optim: optimizers and learning-rate schedulers.
 *
 * @example
 * const model = new torch.nn.Linear(3, 1);
 * const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
 * const sched = new torch.optim.lrScheduler.CosineAnnealingLR(opt, 100);

 */
export {
  Optimizer,
  required,
  type ParamGroup,
  type ParamGroupInput,
  type Params,
  type ParamState,
  type OptimizerStateDict,
  type LegacyOptimizerStateDict,
  type OptimArgs,
} from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, AdamW, type AdamOptions } from "./adam.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { Adagrad, type AdagradOptions } from "./adagrad.js";
export { NAdam, RAdam, type NAdamOptions, type RAdamOptions } from "./nadam.js";
export { Adamax, Adadelta, type AdamaxOptions, type AdadeltaOptions } from "./adamax.js";
export { ASGD, Rprop, type ASGDOptions, type RpropOptions } from "./asgd.js";
export { LBFGS, type LBFGSOptions } from "./lbfgs.js";
export { SparseAdam, type SparseAdamOptions } from "./sparse-adam.js";
export * as lrScheduler from "./lr-scheduler.js";
/** torch.optim.swa_utils: AveragedModel, SWALR, updateBn (Stochastic Weight Averaging). */
export * as swaUtils from "./swa-utils.js";
