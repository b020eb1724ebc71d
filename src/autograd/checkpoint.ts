/**
 * Activation checkpointing (torch.utils.checkpoint, the reentrant variant): the forward runs
 * under noGrad keeping only the inputs; backward runs it again with grad mode on and
 * backpropagates through the recomputed graph. Built on custom functions: the node is
 * `CheckpointFunctionBackward`, as PyTorch's.
 */
import { Tensor } from "../tensor.js";
import { Function, type FunctionCtx } from "./custom-function.js";
import { enableGrad } from "./grad-mode.js";
import { backward } from "./api.js";
import { isCheckpointValid } from "./engine.js";
import { runtimeError } from "../errors.js";
import { defaultGenerator } from "../generator.js";

const INVALID =
  "Checkpointing is not compatible with .grad() or when an `inputs` parameter is passed to " +
  ".backward(). Please use .backward() and do not pass its `inputs` argument.";

/** A tensor sharing `t`'s values as a new leaf with the same requiresGrad. */
function detachVariable(t: Tensor): Tensor {
  const d = t.detach();
  if (t.requiresGrad) d.requiresGrad_(true);
  return d;
}

class CheckpointFunction extends Function {
  static override forward(
    ctx: FunctionCtx,
    run: (...args: unknown[]) => unknown,
    preserveRngState: boolean,
    ...args: unknown[]
  ): unknown {
    ctx.run = run;
    ctx.rngState = preserveRngState ? defaultGenerator.getStateBytes() : null;
    // only tensors go through saveForBackward (version checks, freed after backward)
    ctx.tensorPositions = [] as number[];
    ctx.others = args.map((a, i) => {
      if (a instanceof Tensor) {
        (ctx.tensorPositions as number[]).push(i);
        return null;
      }
      return a;
    });
    ctx.saveForBackward(...args.filter((a): a is Tensor => a instanceof Tensor));
    return run(...args);
  }

  static override backward(ctx: FunctionCtx, ...grads: (Tensor | null)[]): (Tensor | null)[] {
    if (!isCheckpointValid()) throw runtimeError(INVALID);
    const inputs = (ctx.others as unknown[]).slice();
    const saved = ctx.savedTensors;
    (ctx.tensorPositions as number[]).forEach((p, k) => (inputs[p] = saved[k]));
    const detached = inputs.map((a) => (a instanceof Tensor ? detachVariable(a) : a));

    const state = ctx.rngState as Uint8Array | null;
    const current = state !== null ? defaultGenerator.getStateBytes() : null;
    if (state !== null) defaultGenerator.setStateBytes(state);
    let raw: unknown;
    try {
      raw = enableGrad(() => (ctx.run as (...a: unknown[]) => unknown)(...detached));
    } finally {
      if (current !== null) defaultGenerator.setStateBytes(current);
    }
    const outs = Array.isArray(raw) ? raw : [raw];
    const outputsWithGrad: Tensor[] = [];
    const gradsWithOutputs: Tensor[] = [];
    outs.forEach((o, i) => {
      const g = grads[i] ?? null;
      if (o instanceof Tensor && o.requiresGrad && g !== null) {
        outputsWithGrad.push(o);
        gradsWithOutputs.push(g);
      }
    });
    if (outputsWithGrad.length === 0) {
      throw runtimeError(
        "none of output has requires_grad=True, this checkpoint() is not necessary",
      );
    }
    backward(outputsWithGrad, gradsWithOutputs);
    return [
      null,
      null,
      ...detached.map((d) => (d instanceof Tensor && d.requiresGrad ? d._grad : null)),
    ];
  }
}

/** Options of checkpointWith. */
export interface CheckpointOptions {
  /**
   * Replay the default generator's state when recomputing, so random ops (dropout) draw the
   * same numbers as in the forward (default true, as PyTorch's preserve_rng_state).
   */
  preserveRngState?: boolean;
}

/**
 * torch.utils.checkpoint.checkpoint(fn, *args): run `fn(...args)` without keeping its
 * intermediate results; backward recomputes them. Saves memory for compute. Works with
 * `.backward()` (not with autograd.grad or `backward({ inputs })`, as in PyTorch); tensors
 * `fn` closes over (parameters) receive their gradients during that recomputation.
 * @example
 * const x = torch.randn(4, { requiresGrad: true });
 * const w = torch.randn(4, { requiresGrad: true });
 * const y = torch.utils.checkpoint((a: torch.Tensor) => a.mul(w).sin().exp(), x);
 * y.sum().backward(); // same x.grad and w.grad as without checkpointing
 */
export function checkpoint<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
  return checkpointWith({}, fn, ...args);
}

/**
 * checkpoint with options (PyTorch's keyword arguments).
 * @example
 * const x = torch.randn(4, { requiresGrad: true });
 * const y = torch.utils.checkpointWith({ preserveRngState: false }, (a: torch.Tensor) => a.sin(), x);
 * y.sum().backward();

 */
export function checkpointWith<A extends unknown[], R>(
  opts: CheckpointOptions,
  fn: (...args: A) => R,
  ...args: A
): R {
  if (!args.some((a) => a instanceof Tensor && a.requiresGrad)) {
    console.warn("UserWarning: None of the inputs have requires_grad=True. Gradients will be None");
  }
  return CheckpointFunction.apply(
    fn as (...a: unknown[]) => unknown,
    opts.preserveRngState ?? true,
    ...args,
  ) as R;
}
