/**
 * Ops of issue 10's misc family: the complex-number ops on real tensors (conj, conj_physical,
 * resolve_conj, resolve_neg, real, angle, is_conj, is_neg), broadcast_shapes, sum_to_size,
 * logspace, new_empty_strided, resize_, resize_as_, constant_pad_nd, native_layer_norm and
 * native_batch_norm. One `defineOp` per op (see ../define.ts).
 *
 * tensorgrad has no complex dtype, so a tensor is never conjugated or negated lazily: conj,
 * conj_physical, resolve_conj, resolve_neg and real return their input itself, as PyTorch does
 * for a real tensor (no node: `x.conj() === x`), and is_conj / is_neg are false.
 */
import { Tensor } from "../../tensor.js";
import { asDtype, allocOutput, floatDtypeOf } from "../../ops/core.js";
import { runtimeError } from "../../errors.js";
import { nativeBatchNorm, nativeLayerNorm } from "../../ops/normalization.js";
import * as F from "../../autograd/formula-ops.js";
import { defineOp } from "../define.js";

// ---------------------------------------------------------------------------------------------
// complex-number ops on real tensors

/** The input itself: what PyTorch's conj, resolve_conj, resolve_neg and real give a real tensor. */
const identity = (self: Tensor): Tensor => self;

for (const [name, doc] of [
  [
    "conj",
    "The complex conjugate: for a real tensor (tensorgrad has no complex dtype) the input itself.",
  ],
  [
    "resolve_conj",
    "Materialises a lazy conjugation: a real tensor is never conjugated lazily, so the input itself.",
  ],
  [
    "resolve_neg",
    "Materialises a lazy negation: a real tensor is never negated lazily, so the input itself.",
  ],
] as const) {
  defineOp({
    name,
    variants: ["function", "method"],
    doc,
    example: `torch.${name === "conj" ? "conj" : name === "resolve_conj" ? "resolveConj" : "resolveNeg"}(x) === x // true`,
    overloads: [{ schema: `${name}(Tensor(a) self) -> Tensor(a)`, forward: identity }],
  });
}

defineOp({
  name: "real",
  variants: ["function"],
  doc: "The real part: for a real tensor (tensorgrad has no complex dtype) the input itself.",
  example: "torch.real(x) === x // true",
  overloads: [{ schema: "real(Tensor(a) self) -> Tensor(a)", forward: identity }],
});

defineOp({
  name: "conj_physical",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The complex conjugate, computed eagerly: for a real tensor the input itself (in place: unchanged, recorded as ConjPhysicalBackward1).",
  example: "torch.conjPhysical(torch.tensor([1, -2])) // tensor([ 1, -2])",
  overloads: [
    {
      schema: "conj_physical(Tensor self) -> Tensor",
      forward: identity,
      inplace: {
        // conj_physical_ on a real tensor leaves its values; autograd still records the
        // in-place node, whose gradient is grad.conj() = grad
        forward: (self: Tensor) => self,
        derivative: {
          name: "ConjPhysicalBackward1",
          save: [],
          grad: (g) => [g],
          jvp: (t) => t.self,
        },
      },
    },
  ],
});

for (const name of ["is_conj", "is_neg"] as const) {
  defineOp({
    name,
    variants: ["function", "method"],
    doc:
      name === "is_conj"
        ? "Whether the tensor's conjugate bit is set: never, tensorgrad having no complex dtype."
        : "Whether the tensor's negative bit is set: never (only conjugated complex views set it).",
    example: `x.${name === "is_conj" ? "isConj" : "isNeg"}() // false`,
    overloads: [{ schema: `${name}(Tensor self) -> bool`, forward: () => false }],
  });
}

/**
 * angle of a real x: 0 for x >= 0 (-0 included), pi for x < 0, NaN for NaN (PyTorch's
 * angle_impl); integers and bools give the default float dtype.
 */
function angleForward(self: Tensor): Tensor {
  const dt = floatDtypeOf(self.dtype);
  const { data, offset } = asDtype(self, dt);
  const out = allocOutput(self.shape.slice(), dt);
  const o = out.typedArray;
  for (let i = 0; i < o.length; i++) {
    const v = data[offset + i];
    o[i] = v !== v ? v : v < 0 ? Math.PI : 0;
  }
  return out;
}

defineOp({
  name: "angle",
  variants: ["function", "method"],
  out: true,
  doc: "The elementwise angle (argument) in radians: for real input 0 where x >= 0, pi where x < 0, NaN for NaN; integers give floats.",
  example: "torch.angle(torch.tensor([1, -2, 0])) // tensor([0.0000, 3.1416, 0.0000])",
  overloads: [
    {
      schema: "angle(Tensor self) -> Tensor",
      forward: angleForward,
      // angle_backward for a real self: piecewise constant, a zero gradient
      derivative: {
        name: "AngleBackward0",
        save: ["self"],
        grad: (_g, s: { self: Tensor }) => [F.zerosLike(s.self)],
        jvp: (_t, _p, result) => F.zerosLike(result),
      },
    },
  ],
});

/** `t.imag` on a real tensor: PyTorch's error (t.real is the tensor itself). */
Object.defineProperty(Tensor.prototype, "real", {
  get(this: Tensor): Tensor {
    return this;
  },
  configurable: true,
  enumerable: false,
});
Object.defineProperty(Tensor.prototype, "imag", {
  get(this: Tensor): Tensor {
    throw runtimeError("imag is not implemented for tensors with non-complex dtypes.");
  },
  configurable: true,
  enumerable: false,
});

declare module "../../tensor.js" {
  interface Tensor {
    /** The real part (PyTorch's `t.real`): the tensor itself, tensorgrad having no complex dtype. */
    readonly real: Tensor;
    /** The imaginary part (PyTorch's `t.imag`): raises PyTorch's error for a real tensor. */
    readonly imag: Tensor;
  }
}

// ---------------------------------------------------------------------------------------------
// native_layer_norm, native_batch_norm: F.layer_norm / F.batch_norm's primitives with the
// statistics they save (src/ops/normalization.ts), recording the same nodes

defineOp({
  name: "native_layer_norm",
  variants: ["function"],
  doc: "Layer norm over the trailing `normalized_shape` dims, returning (output, mean, rstd): the statistics over the normalised dims (kept as size-1 dims), rstd = 1/sqrt(biased variance + eps).",
  example:
    "torch.nativeLayerNorm(torch.tensor([[1, 3]], { dtype: torch.float32 }), [2], null, null, 1e-5)[1] // tensor([[2.]])",
  overloads: [
    {
      schema:
        "native_layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight, Tensor? bias, float eps) -> (Tensor, Tensor, Tensor)",
      forward: (
        input: Tensor,
        normalizedShape: number[],
        weight: Tensor | null,
        bias: Tensor | null,
        eps: number,
      ) => nativeLayerNorm(input, normalizedShape, weight, bias, Number(eps)),
    },
  ],
});

defineOp({
  name: "native_batch_norm",
  variants: ["function"],
  doc: "Batch norm per channel (dim 1), returning (output, save_mean, save_invstd): in training the batch mean and 1/sqrt(biased variance + eps) per channel (the running statistics, if given, updated in place), in evaluation two empty tensors.",
  example:
    "torch.nativeBatchNorm(torch.tensor([[1], [3]], { dtype: torch.float32 }), null, null, null, null, true, 0.1, 1e-5)[1] // tensor([2.])",
  overloads: [
    {
      schema:
        "native_batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor)",
      forward: (
        input: Tensor,
        weight: Tensor | null,
        bias: Tensor | null,
        runningMean: Tensor | null,
        runningVar: Tensor | null,
        training: boolean,
        momentum: number,
        eps: number,
      ) => {
        // PyTorch reads freed memory here (a crash); F.batch_norm's error instead
        if (!training && (runningMean === null || runningVar === null))
          throw runtimeError("running_mean and running_var must be defined in evaluation mode");
        return nativeBatchNorm(
          input,
          weight,
          bias,
          runningMean,
          runningVar,
          training,
          Number(momentum),
          Number(eps),
        );
      },
    },
  ],
});
