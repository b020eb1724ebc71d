/**
 * torch.autograd.functional: vjp, jvp, jacobian, hessian, hvp and vhp, after PyTorch 1.13's
 * torch/autograd/functional.py (same steps, same results, same errors).
 *
 * Structure: `inputs` is a Tensor or an array of Tensors (an array plays PyTorch's tuple), and
 * so is what the user function returns. Results mirror PyTorch's: a Tensor where PyTorch gives
 * a Tensor, nested arrays where it gives (nested) tuples.
 *
 * `jvp` and `hvp` use the double-backward trick (reverse mode twice), as PyTorch does.
 * `vectorize: true` computes the rows as PyTorch does, by a vmap over the cotangents (torch.func's,
 * installed from above; its backward runs once per row, as the graph is already built): the same
 * results as `vectorize: false`. `strategy: "forward-mode"`
 * (which PyTorch only allows with `vectorize: true`) computes columns with the double-backward
 * trick.
 */
import { Tensor } from "../tensor.js";
import { grad as autogradGrad } from "./api.js";
import { enableGrad, isGradEnabled, setGradEnabled } from "./grad-mode.js";
import { zeros, zerosLike } from "../ops/creation.js";
import { stack } from "../ops/views.js";
import { runtimeError, typeError } from "../errors.js";
import { shapeEqual } from "../shape.js";

/**
 * Vector-Jacobian products for a batch of cotangents (PyTorch's autograd.grad with
 * is_grads_batched, a vmap over the backward pass): per input, the gradients stacked along a
 * new leading dim. Installed by torch.func (src/func.ts, a layer above), which has vmap;
 * `jacobian(..., { vectorize: true })` uses it.
 */
export type BatchedVjp = (
  outputs: Tensor[],
  inputs: Tensor[],
  batchedGradOutputs: Tensor[],
  createGraph: boolean,
) => (Tensor | null)[];
let batchedVjp: BatchedVjp | null = null;
/** @internal installs the batched vjp (src/func.ts) */
export function setBatchedVjp(f: BatchedVjp): void {
  batchedVjp = f;
}

/** What the user function may return: a Tensor or an array of Tensors (PyTorch's tuple). */
export type FnOutput = Tensor | readonly Tensor[];
/** A function of tensors, as torch.autograd.functional expects. */
export type TensorFn<R extends FnOutput = FnOutput> = (...inputs: Tensor[]) => R;
/** A Tensor or an array of Tensors (PyTorch's "Tensor or tuple of Tensors"). */
export type Tensors = Tensor | readonly Tensor[];

/** A Tensor for a Tensor, an array for an array (tuple). */
export type Like<T> = T extends Tensor ? Tensor : Tensor[];
/** jacobian's result: Tensor, Tensor[] (one of the two is a tuple) or Tensor[][]. */
export type JacobianOf<R, I> = R extends Tensor
  ? I extends Tensor
    ? Tensor
    : Tensor[]
  : I extends Tensor
    ? Tensor[]
    : Tensor[][];
/** hessian's result: a Tensor for a single input, Tensor[][] for an array of inputs. */
export type HessianOf<I> = I extends Tensor ? Tensor : Tensor[][];

/** Options of torch.autograd.functional's vjp, jvp, hvp and vhp. */
export interface FunctionalOptions {
  /** compute the result in a differentiable way (default false) */
  createGraph?: boolean;
  /** throw when an output is independent of an input instead of returning zeros (default false) */
  strict?: boolean;
}

/** Options of torch.autograd.functional.jacobian. */
export interface JacobianOptions extends FunctionalOptions {
  /**
   * PyTorch batches the backward passes with vmap; tensorgrad computes the same result one row
   * at a time (no vmap), so this only changes which options are allowed.
   */
  vectorize?: boolean;
  /** "reverse-mode" (default) or "forward-mode" (needs vectorize: true) */
  strategy?: "reverse-mode" | "forward-mode";
}

/** Options of torch.autograd.functional.hessian. */
export interface HessianOptions extends FunctionalOptions {
  /** As jacobian's vectorize: the same result, computed one row at a time. */
  vectorize?: boolean;
  /** how the outer Jacobian is computed: "reverse-mode" (default) or "forward-mode" */
  outerJacobianStrategy?: "reverse-mode" | "forward-mode";
}

// ---------------------------------------------------------------------------------------------
// utilities (PyTorch's underscore helpers of the same names)

/** Python's type() of a JavaScript value, for messages that quote it. */
export function pyTypeName(v: unknown): string {
  let name: string;
  if (v === null || v === undefined) name = "NoneType";
  else if (typeof v === "number") name = Number.isInteger(v) ? "int" : "float";
  else if (typeof v === "boolean") name = "bool";
  else if (typeof v === "string") name = "str";
  else if (typeof v === "function") name = "function";
  else if (Array.isArray(v)) name = "tuple";
  else name = "dict";
  return `<class '${name}'>`;
}

/** Whether `inp` was a tuple (array), and it as an array of Tensors (checked). */
function asTuple(inp: unknown, argName: string, fnName: string): [boolean, Tensor[]] {
  const isTuple = Array.isArray(inp);
  const arr = (isTuple ? inp : [inp]) as unknown[];
  arr.forEach((el, i) => {
    if (!(el instanceof Tensor)) {
      throw typeError(
        isTuple
          ? `The ${argName} given to ${fnName} must be either a Tensor or a tuple of Tensors but the value at index ${i} has type ${pyTypeName(el)}.`
          : `The ${argName} given to ${fnName} must be either a Tensor or a tuple of Tensors but the given ${argName} has type ${pyTypeName(el)}.`,
      );
    }
  });
  return [isTuple, (arr as Tensor[]).slice()];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- nested tuples of any depth
type Nested = any;

/** Undo asTuple: unpack what was not a tuple (one flag, or [outputs, inputs] flags). */
function tuplePostprocess(res: Nested[], toUnpack: boolean | [boolean, boolean]): Nested {
  let r: Nested = res;
  if (Array.isArray(toUnpack)) {
    if (!toUnpack[1]) r = (r as Nested[]).map((el: Nested[]) => el[0]);
    if (!toUnpack[0]) r = r[0];
  } else if (!toUnpack) {
    r = r[0];
  }
  return r;
}

/**
 * Fresh tensors for the inputs, so that inputs given as arguments differ from the same tensors
 * captured by the user function: a differentiable alias when gradients must flow back to them,
 * else a detached copy requiring grad (when needed internally).
 */
function gradPreprocess(inputs: Tensor[], createGraph: boolean, needGraph: boolean): Tensor[] {
  return inputs.map((inp) =>
    createGraph && inp.requiresGrad ? inp.view(inp.shape) : inp.detach().requiresGrad_(needGraph),
  );
}

/** Detach results unless a graph was asked for (recursively over nested tuples). */
function gradPostprocess(inputs: Nested[], createGraph: boolean): Nested[] {
  if (inputs[0] instanceof Tensor) {
    return createGraph ? inputs : (inputs as Tensor[]).map((t) => t.detach());
  }
  return inputs.map((inp: Nested[]) => gradPostprocess(inp, createGraph));
}

function sizeStr(shape: readonly number[]): string {
  return `torch.Size([${shape.join(", ")}])`;
}

function validateV(v: Tensor[], other: Tensor[], isOtherTuple: boolean): void {
  if (other.length !== v.length) {
    if (isOtherTuple) {
      throw runtimeError(
        `v is a tuple of invalid length: should be ${other.length} but got ${v.length}.`,
      );
    }
    throw runtimeError("The given v should contain a single Tensor.");
  }
  v.forEach((elV, idx) => {
    const elOther = other[idx];
    if (!shapeEqual(elV.shape, elOther.shape)) {
      const prepend = isOtherTuple ? `Entry ${idx} in ` : "";
      throw runtimeError(
        `${prepend}v has invalid size: should be ${sizeStr(elOther.shape)} but got ${sizeStr(elV.shape)}.`,
      );
    }
  });
}

type InputType = "outputs" | "grad_inputs" | "jacobian" | "hessian";

function checkRequiresGrad(
  inputs: readonly (Tensor | null)[],
  inputType: InputType,
  strict: boolean,
): void {
  if (!strict) return;
  inputs.forEach((inp, i) => {
    if (inp === null) {
      throw runtimeError(
        `The output of the user-provided function is independent of input ${i}. This is not allowed in strict mode.`,
      );
    }
    if (!inp.requiresGrad) {
      if (inputType === "hessian") {
        throw runtimeError(
          `The hessian of the user-provided function with respect to input ${i} is independent of the input. This is not allowed in strict mode. You should ensure that your function is thrice differentiable and that the hessian depends on the inputs.`,
        );
      } else if (inputType === "jacobian") {
        throw runtimeError(
          `While computing the hessian, found that the jacobian of the user-provided function with respect to input ${i} is independent of the input. This is not allowed in strict mode. You should ensure that your function is twice differentiable and that the jacobian depends on the inputs (this would be violated by a linear function for example).`,
        );
      } else if (inputType === "grad_inputs") {
        throw runtimeError(
          `The gradient with respect to input ${i} is independent of the inputs of the user-provided function. This is not allowed in strict mode.`,
        );
      } else {
        throw runtimeError(
          `Output ${i} of the user-provided function does not require gradients. The outputs must be computed in a differentiable manner from the input when running in strict mode.`,
        );
      }
    }
  });
}

/** autograd.grad that skips outputs that are null or do not require grad (all null if none). */
function autogradGradSkip(
  outputs: readonly (Tensor | null)[],
  inputs: Tensor[],
  gradOutputs: readonly (Tensor | null)[] | null,
  createGraph: boolean,
  retainGraph?: boolean,
): (Tensor | null)[] {
  const gos = gradOutputs ?? outputs.map(() => null);
  const newOutputs: Tensor[] = [];
  const newGradOutputs: (Tensor | null)[] = [];
  outputs.forEach((out, i) => {
    if (out !== null && out.requiresGrad) {
      newOutputs.push(out);
      newGradOutputs.push(gos[i]);
    }
  });
  if (newOutputs.length === 0) return inputs.map(() => null);
  return autogradGrad(newOutputs, inputs, {
    gradOutputs: newGradOutputs,
    allowUnused: true,
    createGraph,
    retainGraph: retainGraph ?? createGraph,
  });
}

type Stage = "back" | "back_trick" | "double_back" | "double_back_trick";

function fillInZeros(
  grads: readonly (Tensor | null)[],
  refs: readonly Tensor[],
  strict: boolean,
  createGraph: boolean,
  stage: Stage,
): Tensor[] {
  return grads.map((g, i) => {
    if (g === null) {
      if (strict) {
        if (stage === "back") {
          throw runtimeError(
            `The output of the user-provided function is independent of input ${i}. This is not allowed in strict mode.`,
          );
        } else if (stage === "back_trick") {
          throw runtimeError(
            `The gradient with respect to the input is independent of entry ${i} in the grad_outputs when using the double backward trick to compute forward mode gradients. This is not allowed in strict mode.`,
          );
        } else if (stage === "double_back") {
          throw runtimeError(
            `The jacobian of the user-provided function is independent of input ${i}. This is not allowed in strict mode.`,
          );
        } else {
          throw runtimeError(
            `The hessian of the user-provided function is independent of entry ${i} in the grad_jacobian. This is not allowed in strict mode as it prevents from using the double backward trick to replace forward mode AD.`,
          );
        }
      }
      return zerosLike(refs[i]);
    }
    if (strict && createGraph && !g.requiresGrad) {
      if (!stage.includes("double")) {
        throw runtimeError(
          `The jacobian of the user-provided function is independent of input ${i}. This is not allowed in strict mode when create_graph=True.`,
        );
      }
      throw runtimeError(
        `The hessian of the user-provided function is independent of input ${i}. This is not allowed in strict mode when create_graph=True.`,
      );
    }
    return g;
  });
}

/** Run `fn` with grad mode set to `flag` (PyTorch's `with torch.set_grad_enabled(flag)`). */
function withGradEnabled<T>(flag: boolean, fn: () => T): T {
  const guard = setGradEnabled(flag);
  try {
    return fn();
  } finally {
    guard.exit();
  }
}

// ---------------------------------------------------------------------------------------------
// public API

/**
 * torch.autograd.functional.vjp: the output of `fn(...inputs)` and the vector-Jacobian product
 * `v^T J` (the shape of the inputs). `v` may be omitted when `fn` returns a single element.
 * @example
 * const x = torch.rand(4, 4);
 * const [out, vjp] = torch.autograd.functional.vjp((x) => x.exp().sum(1), x, torch.ones(4));
 * @example
 * // several inputs: an array in, an array of results out
 * const [x, y] = [torch.rand(2), torch.rand(2)];
 * const [out, [dx, dy]] = vjp((x, y) => x.mul(2).add(y.mul(3)), [x, y], torch.ones(2));
 */
export function vjp<I extends Tensors, R extends FnOutput>(
  fn: TensorFn<R>,
  inputs: I,
  v?: Tensors | null,
  opts: FunctionalOptions = {},
): [Like<R>, Like<I>] {
  const createGraph = opts.createGraph ?? false;
  const strict = opts.strict ?? false;
  const [isInputsTuple, ins, isOutputsTuple, outs, vs] = enableGrad(() => {
    const [isIn, raw] = asTuple(inputs, "inputs", "vjp");
    const ins = gradPreprocess(raw, createGraph, true);
    const [isOut, outs] = asTuple(fn(...ins), "outputs of the user-provided function", "vjp");
    checkRequiresGrad(outs, "outputs", strict);
    let vs: Tensor[] | null = null;
    if (v !== undefined && v !== null) {
      vs = gradPreprocess(asTuple(v, "v", "vjp")[1], createGraph, false);
      validateV(vs, outs, isOut);
    } else if (outs.length !== 1 || outs[0].numel() !== 1) {
      throw runtimeError(
        "The vector v can only be None if the user-provided function returns a single Tensor with a single element.",
      );
    }
    return [isIn, ins, isOut, outs, vs] as const;
  });
  const enable = createGraph ? true : isGradEnabled();
  const res = withGradEnabled(enable, () => {
    const gradRes = autogradGradSkip(outs, ins, vs, createGraph);
    return fillInZeros(gradRes, ins, strict, createGraph, "back");
  });
  return [
    tuplePostprocess(gradPostprocess(outs, createGraph), isOutputsTuple),
    tuplePostprocess(gradPostprocess(res, createGraph), isInputsTuple),
  ];
}

/**
 * torch.autograd.functional.jvp: the output of `fn(...inputs)` and the Jacobian-vector product
 * `J v` (the shape of the outputs), by the double-backward trick as in PyTorch. `v` may be
 * omitted when the input is a single element.
 * @example
 * const x = torch.rand(4, 4);
 * const [out, jvp] = torch.autograd.functional.jvp((x) => x.exp().sum(1), x, torch.ones(4, 4));
 */
export function jvp<I extends Tensors, R extends FnOutput>(
  fn: TensorFn<R>,
  inputs: I,
  v?: Tensors | null,
  opts: FunctionalOptions = {},
): [Like<R>, Like<R>] {
  const createGraph = opts.createGraph ?? false;
  const strict = opts.strict ?? false;
  const [isOutputsTuple, outs, gradOutputs, gradInputs, vs] = enableGrad(() => {
    const [isIn, raw] = asTuple(inputs, "inputs", "jvp");
    const ins = gradPreprocess(raw, createGraph, true);
    let vs: Tensor[] | null = null;
    if (v !== undefined && v !== null) {
      vs = gradPreprocess(asTuple(v, "v", "jvp")[1], createGraph, false);
      validateV(vs, ins, isIn);
    } else if (ins.length !== 1 || ins[0].numel() !== 1) {
      throw runtimeError(
        "The vector v can only be None if the input to the user-provided function is a single Tensor with a single element.",
      );
    }
    const [isOut, outs] = asTuple(fn(...ins), "outputs of the user-provided function", "jvp");
    checkRequiresGrad(outs, "outputs", strict);
    // The backward is linear in grad_outputs, so their value does not matter (no inf or nan).
    const gradOutputs = outs.map((out) => zerosLike(out, { requiresGrad: true }));
    const gradInputs = autogradGradSkip(outs, ins, gradOutputs, true);
    checkRequiresGrad(gradInputs, "grad_inputs", strict);
    return [isOut, outs, gradOutputs, gradInputs, vs] as const;
  });
  const second = (): Tensor[] => {
    const gradRes = autogradGradSkip(gradInputs, gradOutputs, vs, createGraph);
    return fillInZeros(gradRes, outs, strict, createGraph, "back_trick");
  };
  const res = createGraph ? enableGrad(second) : second();
  return [
    tuplePostprocess(gradPostprocess(outs, createGraph), isOutputsTuple),
    tuplePostprocess(gradPostprocess(res, createGraph), isOutputsTuple),
  ];
}

/** Jacobian columns by forward directions (double-backward trick), PyTorch's _jacfwd. */
function jacfwd(fn: TensorFn, inputs: Tensors, strict: boolean, vectorize: boolean): Nested {
  if (strict) {
    throw runtimeError(
      'torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are not supported together (yet). Please either set `strict=False` or `strategy="reverse-mode"`.',
    );
  }
  const [isInputsTuple, raw] = asTuple(inputs, "inputs", "jacobian");
  if (!vectorize) {
    throw runtimeError(
      "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly implemented for `vectorize=True`.",
    );
  }
  return enableGrad(() => {
    // inputs that already require grad keep their graph (hessian's outer Jacobian needs it)
    const ins = raw.map((t) => (t.requiresGrad ? t.view(t.shape) : t.detach().requiresGrad_()));
    const [isOutputsTuple, outs] = asTuple(fn(...ins), "outputs", "jacobian");
    const gradOutputs = outs.map((out) => zerosLike(out, { requiresGrad: true }));
    const gradInputs = autogradGradSkip(outs, ins, gradOutputs, true);
    // jac[i][j]: output i by input j, one column per element of input j
    const jac = outs.map((out, i) =>
      ins.map((inp, j) => {
        const cols: Tensor[] = [];
        for (let e = 0; e < inp.numel(); e++) {
          const basis = ins.map((t) => zerosLike(t));
          basis[j].typedArray[e] = 1; // fresh contiguous zeros: element e is at offset e
          const g = autogradGradSkip(gradInputs, [gradOutputs[i]], basis, false, true)[0];
          cols.push(g === null ? zerosLike(out) : g.detach());
        }
        const stacked = cols.length > 0 ? stack(cols, -1) : zerosLike(out).unsqueeze(-1);
        return stacked.reshape([...out.shape, ...inp.shape]);
      }),
    );
    return tuplePostprocess(jac, [isOutputsTuple, isInputsTuple]);
  });
}

/**
 * torch.autograd.functional.jacobian: the Jacobian of `fn` at `inputs`. A Tensor of shape
 * `[...output.shape, ...input.shape]` for one input and one output; arrays (PyTorch's tuples)
 * when either is an array: `jac[i][j]` is output i by input j.
 * @example
 * torch.autograd.functional.jacobian((x) => x.exp().sum(1), torch.rand(2, 2)).shape // [2, 2, 2]
 * @example
 * const [x, y] = [torch.rand(3), torch.rand(3)];
 * const [[dAdx, dAdy]] = jacobian((x, y) => [x.mul(y)], [x, y]);
 */
export function jacobian<I extends Tensors, R extends FnOutput>(
  fn: TensorFn<R>,
  inputs: I,
  opts: JacobianOptions = {},
): JacobianOf<R, I> {
  const createGraph = opts.createGraph ?? false;
  const strict = opts.strict ?? false;
  const vectorize = opts.vectorize ?? false;
  const strategy = opts.strategy ?? "reverse-mode";
  if (strategy !== "forward-mode" && strategy !== "reverse-mode") {
    throw runtimeError(
      'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use "reverse-mode".',
    );
  }
  if (strategy === "forward-mode") {
    if (createGraph) {
      throw runtimeError(
        'torch.autograd.functional.jacobian: `create_graph=True` and `strategy="forward-mode"` are not supported together (yet). Please either set `create_graph=False` or `strategy="reverse-mode"`.',
      );
    }
    return jacfwd(fn, inputs, strict, vectorize) as JacobianOf<R, I>;
  }
  return enableGrad(() => {
    const [isInputsTuple, raw] = asTuple(inputs, "inputs", "jacobian");
    const ins = gradPreprocess(raw, createGraph, true);
    const [isOutputsTuple, outs] = asTuple(
      fn(...ins),
      "outputs of the user-provided function",
      "jacobian",
    );
    checkRequiresGrad(outs, "outputs", strict);
    if (vectorize && strict) {
      throw runtimeError(
        "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported together. Please either set `strict=False` or `vectorize=False`.",
      );
    }
    if (vectorize && batchedVjp !== null) {
      // PyTorch's vectorized path: the standard basis of the flattened outputs as one batch of
      // cotangents, one batched vjp, split back per output
      const numels = outs.map((o) => o.numel());
      const total = numels.reduce((a, b) => a + b, 0);
      let start = 0;
      const basis = outs.map((o, i) => {
        const b = zeros([total, numels[i]], { dtype: o.dtype });
        for (let k = 0; k < numels[i]; k++) b.typedArray[(start + k) * numels[i] + k] = 1;
        start += numels[i];
        return b;
      });
      const vj = batchedVjp(
        outs.map((o) => o.reshape([-1])),
        ins,
        basis,
        createGraph,
      ).map((g, k) => g ?? zerosLike(ins[k]).expand([total, ...ins[k].shape]));
      let s0 = 0;
      const jac = outs.map((out, i) => {
        const row = ins.map((inp, k) =>
          vj[k].narrow(0, s0, numels[i]).view([...out.shape, ...inp.shape]),
        );
        s0 += numels[i];
        return row;
      });
      return tuplePostprocess(gradPostprocess(jac, createGraph), [
        isOutputsTuple,
        isInputsTuple,
      ]) as JacobianOf<R, I>;
    }
    const jac: Tensor[][] = outs.map((out, i) => {
      const jacI: Tensor[][] = ins.map(() => []);
      const flat = out.reshape([-1]);
      for (let j = 0; j < out.numel(); j++) {
        const vj = autogradGradSkip([flat.select(0, j)], ins, null, createGraph, true);
        vj.forEach((vjEl, elIdx) => {
          if (vjEl !== null) {
            if (strict && createGraph && !vjEl.requiresGrad) {
              throw runtimeError(
                `The jacobian of the user-provided function is independent of input ${i}. This is not allowed in strict mode when create_graph=True.`,
              );
            }
            jacI[elIdx].push(vjEl);
          } else {
            if (strict) {
              throw runtimeError(
                `Output ${i} of the user-provided function is independent of input ${elIdx}. This is not allowed in strict mode.`,
              );
            }
            jacI[elIdx].push(zerosLike(ins[elIdx]));
          }
        });
      }
      return jacI.map((rows, elIdx) => {
        return stack(rows, 0).view([...out.shape, ...ins[elIdx].shape]);
      });
    });
    return tuplePostprocess(gradPostprocess(jac, createGraph), [
      isOutputsTuple,
      isInputsTuple,
    ]) as JacobianOf<R, I>;
  });
}

/**
 * torch.autograd.functional.hessian: the Hessian of a scalar function. A Tensor of shape
 * `[...input.shape, ...input.shape]` for one input; for an array of inputs, `H[i][j]` is the
 * block for inputs i and j.
 * @example
 * torch.autograd.functional.hessian((x) => x.pow(3).sum(), torch.rand(2, 2)).shape // [2, 2, 2, 2]
 */
export function hessian<I extends Tensors>(
  fn: TensorFn<FnOutput>,
  inputs: I,
  opts: HessianOptions = {},
): HessianOf<I> {
  const strict = opts.strict ?? false;
  const outer = opts.outerJacobianStrategy ?? "reverse-mode";
  const [isInputsTuple, ins] = asTuple(inputs, "inputs", "hessian");
  if (outer !== "forward-mode" && outer !== "reverse-mode") {
    throw runtimeError('Expected strategy to be either "forward-mode" or "reverse-mode".');
  }
  const ensureSingleOutputFunction = (...inp: Tensor[]): Tensor => {
    const out = fn(...inp);
    const [isOutTuple, tOut] = asTuple(out, "outputs of the user-provided function", "hessian");
    checkRequiresGrad(tOut, "outputs", strict);
    if (isOutTuple || !(out instanceof Tensor)) {
      throw runtimeError("The function given to hessian should return a single Tensor");
    }
    if (out.numel() !== 1) {
      throw runtimeError(
        "The Tensor returned by the function given to hessian should contain a single element",
      );
    }
    return out.squeeze();
  };
  const jacFunc = (...inp: Tensor[]): Tensor[] => {
    const args = outer === "forward-mode" ? inp.map((t) => t.requiresGrad_(true)) : inp;
    const jac = jacobian(ensureSingleOutputFunction, args, { createGraph: true });
    checkRequiresGrad(jac, "jacobian", strict);
    return jac;
  };
  const res = jacobian(jacFunc, ins, {
    createGraph: opts.createGraph ?? false,
    strict,
    vectorize: opts.vectorize ?? false,
    strategy: outer,
  });
  return tuplePostprocess(res, [isInputsTuple, isInputsTuple]) as HessianOf<I>;
}

/**
 * torch.autograd.functional.vhp: the output of a scalar function and the vector-Hessian
 * product `v^T H` (the shape of the inputs).
 * @example
 * const x = torch.rand(2, 2);
 * const [out, vhp] = torch.autograd.functional.vhp((x) => x.pow(3).sum(), x, torch.ones(2, 2));
 */
export function vhp<I extends Tensors>(
  fn: TensorFn<FnOutput>,
  inputs: I,
  v?: Tensors | null,
  opts: FunctionalOptions = {},
): [Tensor, Like<I>] {
  return hessianProduct("vhp", fn, inputs, v, opts);
}

/**
 * torch.autograd.functional.hvp: the output of a scalar function and the Hessian-vector
 * product `H v` (the shape of the inputs), by the double-backward trick as in PyTorch.
 * @example
 * const x = torch.rand(2, 2);
 * const [out, hvp] = torch.autograd.functional.hvp((x) => x.pow(3).sum(), x, torch.ones(2, 2));

 */
export function hvp<I extends Tensors>(
  fn: TensorFn<FnOutput>,
  inputs: I,
  v?: Tensors | null,
  opts: FunctionalOptions = {},
): [Tensor, Like<I>] {
  return hessianProduct("hvp", fn, inputs, v, opts);
}

function hessianProduct<I extends Tensors>(
  name: "vhp" | "hvp",
  fn: TensorFn<FnOutput>,
  inputs: I,
  v: Tensors | null | undefined,
  opts: FunctionalOptions,
): [Tensor, Like<I>] {
  const createGraph = opts.createGraph ?? false;
  const strict = opts.strict ?? false;
  const [isInputsTuple, ins, isOutputsTuple, outs, vs, jac, gradJac, doubleBack] = enableGrad(
    () => {
      const [isIn, raw] = asTuple(inputs, "inputs", name);
      const ins = gradPreprocess(raw, createGraph, true);
      let vs: Tensor[] | null = null;
      if (v !== undefined && v !== null) {
        vs = gradPreprocess(asTuple(v, "v", name)[1], createGraph, false);
        validateV(vs, ins, isIn);
      } else if (ins.length !== 1 || ins[0].numel() !== 1) {
        throw runtimeError(
          "The vector v can only be None if the input to the user-provided function is a single Tensor with a single element.",
        );
      }
      const out = fn(...ins);
      const [isOut, outs] = asTuple(out, "outputs of the user-provided function", name);
      checkRequiresGrad(outs, "outputs", strict);
      if (isOut || !(outs[0] instanceof Tensor)) {
        throw runtimeError(`The function given to ${name} should return a single Tensor`);
      }
      if (outs[0].numel() !== 1) {
        throw runtimeError(
          `The Tensor returned by the function given to ${name} should contain a single element`,
        );
      }
      const jac = autogradGradSkip(outs, ins, null, true);
      checkRequiresGrad(jac, "jacobian", strict);
      if (name === "vhp") return [isIn, ins, isOut, outs, vs, jac, null, null] as const;
      const gradJac = ins.map((inp) => zerosLike(inp, { requiresGrad: true }));
      const doubleBack = autogradGradSkip(jac, ins, gradJac, true);
      checkRequiresGrad(jac, "hessian", strict);
      return [isIn, ins, isOut, outs, vs, jac, gradJac, doubleBack] as const;
    },
  );
  const enable = createGraph ? true : isGradEnabled();
  const res = withGradEnabled(enable, () => {
    if (name === "vhp") {
      const gradRes = autogradGradSkip(jac, ins, vs, createGraph);
      return fillInZeros(gradRes, ins, strict, createGraph, "double_back");
    }
    const gradRes = autogradGradSkip(doubleBack!, gradJac!, vs, createGraph);
    return fillInZeros(gradRes, ins, strict, createGraph, "double_back_trick");
  });
  return [
    tuplePostprocess(gradPostprocess(outs, createGraph), isOutputsTuple),
    tuplePostprocess(gradPostprocess(res, createGraph), isInputsTuple),
  ];
}
