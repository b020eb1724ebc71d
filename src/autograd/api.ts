/**
 * The public face of reverse mode: Tensor.backward, torch.autograd.backward and
 * torch.autograd.grad. Validates arguments with PyTorch's messages, then runs the engine.
 */
import type { Tensor } from "../tensor.js";
import { runBackward } from "./engine.js";
import { runtimeError, typeError } from "../errors.js";
import { alloc, allocLike, onDevice, scalarArray } from "../ops/core.js";
import { shapeEqual } from "../shape.js";

/** Options of `t.backward()` and `torch.autograd.backward()`. */
export interface BackwardOptions {
  /** Keep the graph's saved tensors for another backward (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, so the gradients can be differentiated again (default false). */
  createGraph?: boolean;
  /** accumulate only into these tensors' .grad */
  inputs?: Tensor | Tensor[];
}

/** Options of `torch.autograd.grad()`. */
export interface GradOptions {
  /** The vector of the vector-Jacobian product, one per output (default: ones for scalar outputs). */
  gradOutputs?: Tensor | (Tensor | null)[] | null;
  /** Keep the graph's saved tensors for another backward (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, so the gradients can be differentiated again (default false). */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on instead of raising (default false). */
  allowUnused?: boolean;
}

function sizeStr(shape: readonly number[]): string {
  return `torch.Size([${shape.join(", ")}])`;
}

/** Head gradients: given ones checked against their outputs, missing ones implicit (scalars). */
function makeGrads(
  outputs: readonly Tensor[],
  grads: readonly (Tensor | null | undefined)[] | null,
): Tensor[] {
  return outputs.map((out, i) => {
    const g = grads === null ? null : (grads[i] ?? null);
    if (g === null) {
      if (out.numel() !== 1)
        throw runtimeError("grad can be implicitly created only for scalar outputs");
      if (!out.dtype.isFloatingPoint) {
        throw runtimeError(
          `grad can be implicitly created only for real scalar outputs but got ${out.dtype}`,
        );
      }
      // on the output's device (Note [device dispatch] in ops/webgpu.ts)
      if (onDevice(out)) return allocLike(out, out.shape.slice(), out.dtype, 1);
      const one = alloc(out.shape.slice(), out.dtype);
      one.typedArray[0] = scalarArray(1, out.dtype)[0];
      return one;
    }
    if (typeof g !== "object" || !("shape" in g)) {
      throw typeError(`gradient must be a Tensor or None, but got ${typeof g}`);
    }
    if (
      g.numel() !== out.numel() ||
      (g.shape.length !== out.shape.length && g.numel() !== 1) ||
      !shapeEqual(g.shape, out.shape)
    ) {
      throw runtimeError(
        `Mismatch in shape: grad_output[${i}] has a shape of ${sizeStr(g.shape)} and output[${i}] has a shape of ${sizeStr(out.shape)}.`,
      );
    }
    if (g.dtype.isFloatingPoint !== out.dtype.isFloatingPoint) {
      throw runtimeError(
        `For complex Tensors, both grad_output and output are required to have the same dtype. Mismatch in dtype: grad_output[${i}] has a dtype of ${g.dtype} and output[${i}] has a dtype of ${out.dtype}.`,
      );
    }
    return g;
  });
}

function checkRequiresGrad(outputs: readonly Tensor[]): void {
  outputs.forEach((t, i) => {
    if (!t.requiresGrad) {
      throw runtimeError(
        `element ${i} of tensors does not require grad and does not have a grad_fn`,
      );
    }
  });
}

function asList<T>(v: T | T[] | readonly T[]): T[] {
  return Array.isArray(v) ? (v as T[]).slice() : [v as T];
}

/**
 * torch.autograd.backward(tensors, gradTensors?, options): accumulate gradients of `tensors`
 * into the leaves' `.grad`.
 * @example const x = torch.tensor([1, 2, 3], { requiresGrad: true }); torch.autograd.backward([x.mul(2)], [torch.ones(3)]); x.grad // tensor([2., 2., 2.])
 */
const PLAIN_BACKWARD = { keepGraph: false, createGraph: false, inputs: null, accumulate: true };

export function backward(
  tensors: Tensor | Tensor[],
  gradTensors?: Tensor | (Tensor | null)[] | null,
  opts: BackwardOptions = {},
): void {
  if (
    !Array.isArray(tensors) &&
    (gradTensors === undefined || gradTensors === null) &&
    opts.retainGraph === undefined &&
    opts.createGraph === undefined &&
    opts.inputs === undefined &&
    tensors.gradFn !== null &&
    tensors.numel() === 1 &&
    tensors.dtype.isFloatingPoint
  ) {
    // fast path of the common `loss.backward()`: a scalar with a graph, no options
    const one = onDevice(tensors)
      ? allocLike(tensors, tensors.shape, tensors.dtype, 1)
      : alloc(tensors.shape, tensors.dtype);
    if (!onDevice(one)) one.typedArray[0] = scalarArray(1, tensors.dtype)[0];
    runBackward([tensors], [one], PLAIN_BACKWARD);
    return;
  }
  const outs = asList(tensors);
  const grads = gradTensors === undefined || gradTensors === null ? null : asList(gradTensors);
  const heads = makeGrads(outs, grads);
  checkRequiresGrad(outs);
  const inputs = opts.inputs === undefined ? null : asList(opts.inputs);
  if (inputs !== null && inputs.length === 0)
    throw runtimeError("'inputs' argument to backward() cannot be empty.");
  runBackward(outs, heads, {
    keepGraph: opts.retainGraph ?? opts.createGraph ?? false,
    createGraph: opts.createGraph ?? false,
    inputs,
    accumulate: true,
  });
}

/**
 * torch.autograd.grad(outputs, inputs, options): gradients of outputs w.r.t. inputs, returned
 * (not accumulated into .grad).
 * @example const x = torch.tensor([1, 2], { requiresGrad: true }); const [dx] = torch.autograd.grad(x.pow(3).sum(), [x], { createGraph: true }); dx.requiresGrad // true
 */
export function grad(
  outputs: Tensor | Tensor[],
  inputs: Tensor | Tensor[],
  opts: GradOptions = {},
): (Tensor | null)[] {
  const outs = asList(outputs);
  const ins = asList(inputs);
  const go =
    opts.gradOutputs === undefined || opts.gradOutputs === null ? null : asList(opts.gradOutputs);
  const heads = makeGrads(outs, go);
  checkRequiresGrad(outs);
  ins.forEach((t) => {
    if (!t.requiresGrad)
      throw runtimeError("One of the differentiated Tensors does not require grad");
  });
  const res = runBackward(outs, heads, {
    keepGraph: opts.retainGraph ?? opts.createGraph ?? false,
    createGraph: opts.createGraph ?? false,
    inputs: ins,
    accumulate: false,
  });
  if (!opts.allowUnused && res.some((r) => r === null)) {
    throw runtimeError(
      "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.",
    );
  }
  return res;
}
