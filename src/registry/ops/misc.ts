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
import { Size, Tensor, type ComplexValue } from "../../tensor.js";
import {
  alloc,
  asDtype,
  allocOutput,
  floatDtypeOf,
  pyTypeName,
  scalarIn,
  scalarTypeName,
} from "../../ops/core.js";
import * as R from "../../ops/reduce.js";
import { runtimeError, typeError } from "../../errors.js";
import {
  DType,
  bool,
  getDefaultDtype,
  int64,
  promoteTypes,
  resultType,
  uint8,
} from "../../dtype.js";
import { contiguousStrides, normalizeDim, shapeEqual } from "../../shape.js";
import { checkInferenceWrite } from "../../ops/inplace.js";
import { allocating, checkOptions, type Device, type Layout } from "./creation.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { formatPyFloat } from "../../print.js";
import { scalarArg } from "./elementwise.js";
import { nativeBatchNorm, nativeLayerNorm } from "../../ops/normalization.js";
import * as F from "../../autograd/formula-ops.js";
import { defineOp, fn } from "../define.js";
import { combine } from "../complex-compute.js";
import { linear } from "../linear-jvp.js";

// ---------------------------------------------------------------------------------------------
// complex-number ops on real tensors

/** The input itself: what PyTorch's conj, resolve_conj, resolve_neg and real give a real tensor. */
const identity = (self: Tensor): Tensor => self;

/**
 * Note [complex conj]: tensorgrad has no conjugate bit. conj of a complex tensor is a new
 * tensor with negated imaginary parts (conj_physical's values, recorded as ConjBackward0), so
 * is_conj is always false and resolve_conj returns its input. A real tensor's conj is itself.
 */
function conjForward(self: Tensor): Tensor {
  if (!self.dtype.isComplex) return self;
  return combine(self.real, self.imag.neg(), "ConjBackward0");
}

/** The real part of a complex tensor: a strided view (PyTorch's select of view_as_real). */
function realForward(self: Tensor): Tensor {
  if (!self.dtype.isComplex) return self;
  return (fn("viewAsReal")(self) as Tensor).select(-1, 0);
}

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
    example: `const x = torch.ones(2); torch.${name === "conj" ? "conj" : name === "resolve_conj" ? "resolveConj" : "resolveNeg"}(x) === x // true`,
    overloads: [
      {
        schema: `${name}(Tensor(a) self) -> Tensor(a)`,
        // Note [complex conj]: conj of a complex tensor is eager (conj_physical)
        forward: name === "conj" ? conjForward : identity,
      },
    ],
  });
}

defineOp({
  name: "real",
  variants: ["function"],
  doc: "The real part: of a complex tensor a real view sharing its storage; of a real tensor the input itself.",
  example: "const x = torch.ones(2); torch.real(x) === x // true",
  overloads: [{ schema: "real(Tensor(a) self) -> Tensor(a)", forward: realForward }],
});

/** torch.imag: a real view of the imaginary parts; a real tensor raises PyTorch's error. */
function imagForward(self: Tensor): Tensor {
  if (!self.dtype.isComplex)
    throw runtimeError("imag is not implemented for tensors with non-complex dtypes.");
  return (fn("viewAsReal")(self) as Tensor).select(-1, 1);
}

defineOp({
  name: "imag",
  variants: ["function"],
  doc: "The imaginary part of a complex tensor: a real view sharing its storage. A real tensor raises PyTorch's error.",
  example: "torch.imag(torch.complex(torch.ones(2), torch.tensor([3, 4]))) // tensor([3., 4.])",
  overloads: [{ schema: "imag(Tensor(a) self) -> Tensor(a)", forward: imagForward }],
});

defineOp({
  name: "conj_physical",
  variants: ["function", "method", "inplace"],
  out: true,
  doc: "The complex conjugate, computed eagerly: for a real tensor the input itself (in place: unchanged, recorded as ConjPhysicalBackward1).",
  example: "torch.conjPhysical(torch.tensor([1, -2])) // tensor([ 1., -2.])",
  overloads: [
    {
      schema: "conj_physical(Tensor self) -> Tensor",
      forward: (self: Tensor) =>
        self.dtype.isComplex ? combine(self.real, self.imag.neg(), "ConjPhysicalBackward0") : self,
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
    example: `torch.ones(2).${name === "is_conj" ? "isConj" : "isNeg"}() // false`,
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
    return realForward(this);
  },
  configurable: true,
  enumerable: false,
});
Object.defineProperty(Tensor.prototype, "imag", {
  get(this: Tensor): Tensor {
    return imagForward(this);
  },
  configurable: true,
  enumerable: false,
});

declare module "../../tensor.js" {
  interface Tensor {
    /**
     * The real part (PyTorch's `t.real`): of a complex tensor a real view of its storage
     * (Note [complex storage]), of a real tensor the tensor itself.
     */
    readonly real: Tensor;
    /**
     * The imaginary part (PyTorch's `t.imag`): of a complex tensor a real view of its storage;
     * raises PyTorch's error for a real tensor.
     */
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

// ---------------------------------------------------------------------------------------------
// broadcast_shapes, sum_to_size, constant_pad_nd

/** Python's repr of a value that broadcast_shapes refuses, for its message. */
function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "string") return `'${v}'`;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return formatPyFloat(v);
  return String(v);
}

/** Python's isinstance(v, int): an integer number or a bool. */
const isInt = (v: unknown): v is number | boolean =>
  typeof v === "boolean" || (typeof v === "number" && Number.isInteger(v));

/**
 * torch.broadcast_shapes(*shapes): the shape that tensors of the given shapes broadcast to,
 * without making them (torch/functional.py's Python body, its checks in its order). A shape is
 * an int or an array of ints (a tuple, a list or a torch.Size).
 * @example torch.broadcastShapes([2], [3, 1], [1, 1, 1]) // [1, 3, 2]

 */
export function broadcastShapes(...shapes: (number | boolean | readonly number[])[]): Size {
  let maxLen = 0;
  for (const s of shapes) {
    if (isInt(s)) maxLen = Math.max(maxLen, 1);
    else if (Array.isArray(s)) maxLen = Math.max(maxLen, s.length);
  }
  const result = new Array<number>(maxLen).fill(1);
  for (const s0 of shapes) {
    const shape: unknown = isInt(s0) ? [Number(s0)] : (s0 as unknown);
    if (!Array.isArray(shape))
      throw runtimeError(
        `('Input shapes should be of type ints, a tuple of ints, or a list of ints, got ', ${pyRepr(shape)})`,
      );
    for (let i = -1; i >= -shape.length; i--) {
      const raw: unknown = shape[shape.length + i];
      if (typeof raw !== "number" && typeof raw !== "boolean")
        throw typeError(`'<' not supported between instances of '${pyTypeName(raw)}' and 'int'`);
      const d = Number(raw);
      if (d < 0)
        throw runtimeError(`Trying to create tensor with negative dimension (${d}): (${d})`);
      const k = maxLen + i;
      if (d === 1 || d === result[k]) continue;
      if (result[k] !== 1)
        throw runtimeError("Shape mismatch: objects cannot be broadcast to a single shape");
      result[k] = d;
    }
  }
  // torch.Size(result): every size an int
  const bad = result.findIndex((d) => !Number.isInteger(d));
  if (bad >= 0) throw typeError(`torch.Size() takes an iterable of 'int' (item ${bad} is 'float')`);
  return new Size(result);
}

/**
 * ATen's sum_to: the sum over the leading dims and the dims where `size` is 1 (kept), then a
 * view to `size` when there were leading dims; the tensor itself when nothing is summed, and
 * sum() for an empty size (SumBackward0 / SumBackward1 / ViewBackward0, as PyTorch).
 */
function sumToSize(self: Tensor, size: number[]): Tensor {
  const sizes = self.shape;
  // is_expandable_to(size, self.sizes())
  const expandable =
    size.length <= sizes.length &&
    size.every((s, i) => {
      const t = sizes[sizes.length - size.length + i];
      return s === t || s === 1;
    });
  if (!expandable)
    throw runtimeError(
      `size {[${size.join(", ")}]} is not expandable to size {[${sizes.join(", ")}]}.`,
    );
  if (size.length === 0) return self.sum();
  const leading = sizes.length - size.length;
  const dims: number[] = [];
  for (let i = 0; i < leading; i++) dims.push(i);
  for (let i = leading; i < sizes.length; i++)
    if (size[i - leading] === 1 && sizes[i] !== 1) dims.push(i);
  const summed = dims.length > 0 ? self.sum(dims, true) : self;
  return leading > 0 ? summed.view(size) : summed;
}

defineOp({
  name: "sum_to_size",
  variants: ["method"],
  doc: "Sums the tensor down to `size`, a shape it is broadcastable from: over its leading dims and the dims where `size` is 1.",
  example: "torch.ones(2, 3).sumToSize(1, 3) // tensor([[2., 2., 2.]])",
  overloads: [{ schema: "sum_to_size(Tensor self, int[] size) -> Tensor", forward: sumToSize }],
});

/**
 * ATen's constant_pad_nd: pad[2k], pad[2k + 1] are the amounts before and after the k-th dim
 * from the last; negative amounts narrow the input first. The result is filled with `value`
 * (in the input's dtype) and the (narrowed) input copied into its interior; only negative or
 * zero amounts give a copy of the narrowed input.
 */
function constantPadNd(self: Tensor, pad: number[], value: number | boolean | Tensor): Tensor {
  if (pad.length % 2 !== 0)
    throw runtimeError(`Length of pad must be even but instead it equals ${pad.length}`);
  const lInp = self.dim();
  const lPad = pad.length / 2;
  const lDiff = lInp - lPad;
  if (lInp < lPad)
    throw runtimeError(
      `Length of pad should be no more than twice the number of dimensions of the input. Pad length is ${pad.length}while the input has ${lInp}dimensions.`,
    );
  return noGrad(() => {
    let c = self;
    let allNonPositive = true;
    for (let i = lDiff; i < lInp; i++) {
      const k = 2 * (lInp - i - 1);
      if (pad[k] < 0) c = c.narrow(i, -pad[k], c.shape[i] + pad[k]);
      else if (pad[k] !== 0) allNonPositive = false;
      if (pad[k + 1] < 0) c = c.narrow(i, 0, c.shape[i] + pad[k + 1]);
      else if (pad[k + 1] !== 0) allNonPositive = false;
    }
    if (allNonPositive) return c.clone();
    const shape = self.shape.slice(0, lDiff);
    for (let i = 0; i < lPad; i++) {
      const k = pad.length - (i + 1) * 2;
      const d = self.shape[lDiff + i] + pad[k] + pad[k + 1];
      if (d <= 0)
        throw runtimeError(
          `The input size ${self.shape[lDiff + i]}, plus negative padding ${pad[k]} and ${pad[k + 1]} resulted in a negative output size, which is invalid. Check dimension ${lDiff + i} of your input.`,
        );
      shape.push(d);
    }
    const out = alloc(shape, self.dtype);
    // the value in the input's dtype (truncated for integers, as fill_)
    out.typedArray.fill(scalarIn(Number(scalarArg(value)), self.dtype));
    if (out.numel() === 0) return out;
    let inner = out;
    for (let i = lDiff; i < lInp; i++) {
      const k = 2 * (lInp - i - 1);
      if (pad[k] > 0) inner = inner.narrow(i, pad[k], inner.shape[i] - pad[k]);
      if (pad[k + 1] > 0) inner = inner.narrow(i, 0, inner.shape[i] - pad[k + 1]);
    }
    inner.copy_(c);
    return out;
  });
}

defineOp({
  name: "constant_pad_nd",
  variants: ["function"],
  doc: "Pads the last dims with `value`: `pad` lists (before, after) amounts from the last dim backwards; negative amounts crop.",
  example: "torch.constantPadNd(torch.tensor([1, 2]), [1, 2], 9) // tensor([9., 1., 2., 9., 9.])",
  overloads: [
    {
      schema: "constant_pad_nd(Tensor self, int[] pad, Scalar value=0) -> Tensor",
      forward: constantPadNd,
      // the adjoint of padding is cropping: constant_pad_nd(grad, -pad) (and the JVP pads the
      // tangent with zeros)
      derivative: {
        name: "ConstantPadNdBackward0",
        save: [],
        attrs: ["pad"],
        grad: (g, _s, a: { pad: number[] }) => [
          fnConstantPadNd(
            g,
            a.pad.map((p) => -p),
          ),
        ],
        jvp: linear((t, a: { pad: number[] }) => fnConstantPadNd(t, a.pad)),
      },
    },
  ],
});

/** constant_pad_nd through the registry (recorded: formulas stay differentiable). */
const fnConstantPadNd = (x: Tensor, pad: number[]): Tensor => fn("constantPadNd")(x, pad) as Tensor;

// ---------------------------------------------------------------------------------------------
// logspace, new_empty_strided, resize_, resize_as_

const OPTS =
  "ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None";

/**
 * ATen's logspace_out on CPU: base ** (start + step * i) for the first half, base ** (end -
 * step * (steps - 1 - i)) for the second, with step = (end - start) / (steps - 1). Floating
 * dtypes take start and end in the dtype, the step and the power in double; integer dtypes
 * compute in float (start and end truncated first) and truncate the power. One step: base **
 * start, filled.
 */
function logspaceValues(
  start: number,
  end: number,
  steps: number,
  base: number,
  dt: DType,
): Tensor {
  if (dt === bool) throw runtimeError(`"logspace_cpu" not implemented for 'Bool'`);
  const out = alloc([steps], dt);
  const o = out.typedArray;
  if (steps === 1) {
    o[0] = scalarIn(Math.pow(base, start), dt);
    return out;
  }
  const half = Math.floor(steps / 2);
  if (!dt.isFloatingPoint) {
    const f = Math.fround;
    const b = f(base);
    const [s, e] = [Math.trunc(start), Math.trunc(end)];
    const step = f(f(e - s) / (steps - 1));
    for (let i = 0; i < steps; i++) {
      const x = i < half ? f(s + f(step * i)) : f(e - f(step * (steps - i - 1)));
      o[i] = scalarIn(f(Math.pow(b, x)), dt);
    }
    return out;
  }
  const [s, e] = [scalarIn(start, dt), scalarIn(end, dt)];
  const step = scalarIn(e - s, dt) / (steps - 1);
  for (let i = 0; i < steps; i++)
    o[i] = Math.pow(base, i < half ? s + step * i : e - step * (steps - i - 1));
  return out;
}

defineOp({
  name: "logspace",
  variants: ["function"],
  out: true,
  doc: "`steps` values from base ** start to base ** end, evenly spaced in the exponent (the default float dtype unless `dtype`).",
  example: "torch.logspace(0, 2, 3) // tensor([  1.,  10., 100.])",
  overloads: [
    {
      schema: `logspace(Scalar start, Scalar end, int steps, float base=10.0, *, ${OPTS}) -> Tensor`,
      forward: (
        start: number | boolean | Tensor,
        end: number | boolean | Tensor,
        steps: number,
        base: number,
        dtype: DType | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => {
        checkOptions(layout, device, pinMemory);
        if (steps < 0) throw runtimeError("number of steps must be non-negative");
        const dt = dtype ?? getDefaultDtype();
        return allocating([steps], dt, () =>
          logspaceValues(Number(scalarArg(start)), Number(scalarArg(end)), steps, Number(base), dt),
        );
      },
    },
  ],
});

/** new_empty_strided / empty_strided: zeros of `size` over the storage `stride` reaches. */
function emptyStrided(
  size: number[],
  stride: number[],
  dtype: DType,
  layout: Layout,
  device: Device,
  pinMemory: boolean | null,
): Tensor {
  checkOptions(layout, device, pinMemory);
  const neg = size.find((d) => d < 0);
  if (neg !== undefined)
    throw runtimeError(
      `Trying to create tensor with negative dimension ${neg}: [${size.join(", ")}]`,
    );
  if (size.length !== stride.length)
    throw runtimeError(
      `dimensionality of sizes (${size.length}) must match dimensionality of strides (${stride.length})`,
    );
  // the storage the strides reach: 1 + sum (size_i - 1) * stride_i, none for no element
  let storage = 1;
  if (size.includes(0)) storage = 0;
  else
    for (let i = 0; i < size.length; i++) {
      if (stride[i] < 0)
        throw runtimeError(
          `Storage size calculation overflowed with sizes=[${size.join(", ")}] and strides=[${stride.join(", ")}]`,
        );
      storage += (size[i] - 1) * stride[i];
    }
  return allocating([storage], dtype, () => {
    const data = alloc([storage], dtype).typedArray;
    return new Tensor(data, size.slice(), stride.slice(), 0, dtype);
  });
}

defineOp({
  name: "new_empty_strided",
  variants: ["method"],
  doc: "An uninitialised tensor (zeros here) of `size` laid out with `stride`, in this tensor's dtype unless `dtype` is given.",
  example: "torch.ones(1).newEmptyStrided([2, 3], [1, 2]).strides // [1, 2]",
  overloads: [
    {
      schema: `new_empty_strided(Tensor self, SymInt[] size, SymInt[] stride, *, ${OPTS}) -> Tensor`,
      forward: (
        self: Tensor,
        size: number[],
        stride: number[],
        dtype: DType | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => emptyStrided(size, stride, dtype ?? self.dtype, layout, device, pinMemory),
    },
  ],
});

/**
 * resize_'s element count as PyTorch's numel: the sizes multiplied as unsigned 64-bit
 * integers (a negative size wraps), an overflow past int64 refused; (0, -1) is 0 elements.
 */
function resizeNumel(size: readonly number[]): number {
  let n = 1n;
  const max = 2n ** 63n - 1n;
  for (const d of size) {
    n *= d < 0 ? 2n ** 64n + BigInt(d) : BigInt(d);
    if (n > max) throw runtimeError("numel: integer multiplication overflow");
  }
  return Number(n);
}

/**
 * resize_(size): this tensor takes `size` with contiguous strides over its storage from its
 * offset (the same size keeps its strides). A storage too small grows, its elements kept and
 * the new ones uninitialised (zeros here); tensors sharing the old storage keep it (PyTorch's
 * views would see the grown storage). Not recorded: a tensor requiring grad is refused, and
 * the version does not move, as PyTorch.
 */
function resizeTo(self: Tensor, size: number[], memoryFormat: string | null): Tensor {
  if (self.requiresGrad) throw runtimeError("cannot resize variables that require grad");
  checkInferenceWrite(self);
  if (memoryFormat !== null && memoryFormat !== "contiguous_format") {
    const name = memoryFormat === "preserve_format" ? "Preserve" : memoryFormat;
    throw runtimeError(`Unsupported memory format${name}`);
  }
  const numel = resizeNumel(size);
  if (shapeEqual(self.shape, size)) return self;
  const needed = self.offset + numel;
  // Note [complex storage]: a complex element is `lanes` (2) array elements
  const lanes = self.dtype.lanes;
  if (needed * lanes > self.typedArray.length) {
    const grown = allocating([needed], self.dtype, () => alloc([needed], self.dtype)).typedArray;
    grown.set(self.typedArray.subarray(0, Math.min(self.typedArray.length, needed * lanes)));
    self.typedArray = grown;
  }
  self.shape = size.slice();
  self.strides = contiguousStrides(size);
  return self;
}

defineOp({
  name: "resize_",
  variants: ["method"],
  doc: "In place: this tensor becomes `size` (contiguous), its storage grown if needed (new elements uninitialised: zeros here); refused for a tensor requiring grad.",
  example: "torch.arange(6).resize_(2, 2) // tensor([[0, 1], [2, 3]])",
  overloads: [
    {
      schema:
        "resize_(Tensor(a!) self, SymInt[] size, *, MemoryFormat? memory_format=None) -> Tensor(a!)",
      forward: resizeTo,
    },
  ],
});

defineOp({
  name: "resize_as_",
  variants: ["method"],
  doc: "In place: this tensor resized to `theTemplate`'s size (resize_).",
  example: "torch.arange(6).resizeAs_(torch.ones(2, 2)).shape // [2, 2]",
  overloads: [
    {
      schema:
        "resize_as_(Tensor(a!) self, Tensor the_template, *, MemoryFormat? memory_format=None) -> Tensor(a!)",
      forward: (self: Tensor, template: Tensor, memoryFormat: string | null) =>
        resizeTo(self, template.shape, memoryFormat),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// torch.fill_ / torch.zero_: the function forms of Tensor.fill_ / Tensor.zero_ (tensor-methods.ts);
// fill_'s overloads in PyTorch's order (its parser lists the Tensor value first)

defineOp({
  name: "fill_",
  variants: ["function"],
  doc: "In place: every element of self set to `value` (a number, or a 0-dim tensor whose gradient is the sum of self's).",
  example: "torch.fill_(torch.zeros(2), 3) // tensor([3., 3.])",
  overloads: [
    {
      schema: "fill_.Tensor(Tensor(a!) self, Tensor value) -> Tensor(a!)",
      // Tensor.fill_ checks the value and records FillBackward3
      forward: (self: Tensor, value: Tensor) => self.fill_(value),
    },
    {
      schema: "fill_.Scalar(Tensor(a!) self, Scalar value) -> Tensor(a!)",
      forward: (self: Tensor, value: number | boolean) => self.fill_(value),
    },
  ],
});

defineOp({
  name: "fill",
  variants: ["function"],
  doc: "A new tensor shaped and typed like input with every element `value` (out of place; FillBackward0, or FillBackward1 for a tensor value, whose gradient is the sum of the output's).",
  example: "torch.fill(torch.zeros(2), 3) // tensor([3., 3.])",
  overloads: [
    // the Tensor overload first, as PyTorch's parser lists (and tries) them
    {
      schema: "fill.Tensor(Tensor self, Tensor value) -> Tensor",
      forward: (self: Tensor, value: Tensor) => noGrad(() => self.clone().fill_(value)),
      derivative: {
        name: "FillBackward1",
        save: [],
        grad: (g: Tensor) => [F.zerosLike(g), g.sum()],
        jvp: (t, _p, result) =>
          t.value === null ? F.zerosLike(result) : F.zerosLike(result).add(t.value),
      },
    },
    {
      schema: "fill.Scalar(Tensor self, Scalar value) -> Tensor",
      forward: (self: Tensor, value: number | boolean | Tensor) =>
        noGrad(() => self.clone().fill_(scalarArg(value))),
      derivative: {
        name: "FillBackward0",
        save: [],
        grad: (g: Tensor) => [F.zerosLike(g)],
        jvp: (_t, _p, result) => F.zerosLike(result),
      },
    },
  ],
});

defineOp({
  name: "zero_",
  variants: ["function"],
  doc: "In place: every element of self set to zero.",
  example: "torch.zero_(torch.ones(2)) // tensor([0., 0.])",
  overloads: [
    { schema: "zero_(Tensor(a!) self) -> Tensor(a!)", forward: (self: Tensor) => self.zero_() },
  ],
});

// ---------------------------------------------------------------------------------------------
// Tensor queries and dtype rules: is_floating_point, is_complex (their method forms are the
// Tensor class's own), is_nonzero, is_same_size, is_signed, type_as, result_type, can_cast

for (const [name, test, example] of [
  [
    "is_floating_point",
    (t: Tensor) => t.dtype.isFloatingPoint,
    "torch.isFloatingPoint(torch.zeros(2)) // true",
  ],
  ["is_complex", (t: Tensor) => t.dtype.isComplex, "torch.isComplex(torch.zeros(2)) // false"],
] as const) {
  defineOp({
    name,
    variants: ["function"],
    doc: `Whether input's dtype is ${name === "is_complex" ? "complex" : "a floating-point type"} (as \`input.${name === "is_complex" ? "isComplex" : "isFloatingPoint"}()\`).`,
    example,
    overloads: [{ schema: `${name}(Tensor self) -> bool`, forward: test }],
  });
}

defineOp({
  name: "is_nonzero",
  variants: ["function", "method"],
  doc: "Whether a one-element tensor's value is not zero (NaN counts as nonzero), as Python's `bool(t)`.",
  example: "torch.tensor([0.5]).isNonzero() // true",
  overloads: [
    {
      schema: "is_nonzero(Tensor self) -> bool",
      forward: (self: Tensor) => {
        const n = self.numel();
        if (n === 0) throw runtimeError("Boolean value of Tensor with no values is ambiguous");
        if (n > 1)
          throw runtimeError("Boolean value of Tensor with more than one value is ambiguous");
        const v = self.item<number | boolean | ComplexValue>();
        return typeof v === "object" ? v.re !== 0 || v.im !== 0 : Boolean(v) || Number.isNaN(v);
      },
    },
  ],
});

defineOp({
  name: "is_same_size",
  variants: ["function", "method"],
  doc: "Whether input and other have the same shape.",
  example: "torch.isSameSize(torch.zeros(2, 3), torch.ones(2, 3)) // true",
  overloads: [
    {
      schema: "is_same_size(Tensor self, Tensor other) -> bool",
      forward: (self: Tensor, other: Tensor) => shapeEqual(self.shape, other.shape),
    },
  ],
});

defineOp({
  name: "is_signed",
  variants: ["function", "method"],
  doc: "Whether input's dtype is signed: every dtype but uint8 and bool.",
  example: "torch.tensor([1], { dtype: torch.uint8 }).isSigned() // false",
  overloads: [
    {
      schema: "is_signed(Tensor self) -> bool",
      forward: (self: Tensor) => self.dtype !== uint8 && self.dtype !== bool,
    },
  ],
});

defineOp({
  name: "type_as",
  variants: ["method"],
  doc: "This tensor in other's dtype (itself when they match), as `t.to(other.dtype)`.",
  example:
    "torch.tensor([1.5, 2]).typeAs(torch.tensor([1], { dtype: torch.int64 })) // tensor([1, 2])",
  overloads: [
    {
      schema: "type_as(Tensor self, Tensor other) -> Tensor",
      forward: (self: Tensor, other: Tensor) => self.to(other.dtype),
    },
  ],
});

/** result_type's operand: a tensor, or a Python number (a Scalar, or a 0-dim tensor's value). */
type ResultOperand = Tensor | number | boolean;

defineOp({
  name: "result_type",
  variants: ["function"],
  doc: "The dtype an arithmetic op on these operands computes in (PyTorch's type promotion: dimensioned tensors over 0-dim ones over numbers, within a category).",
  example: "torch.resultType(torch.tensor([1], { dtype: torch.int32 }), 2.5) // torch.float32",
  overloads: [
    // in the order PyTorch's parser lists (and tries) them
    { schema: "result_type.Tensor(Tensor tensor, Tensor other) -> ScalarType", forward: promoted },
    {
      schema: "result_type.Scalar_Tensor(Scalar scalar, Tensor tensor) -> ScalarType",
      forward: promoted,
    },
    { schema: "result_type.Scalar(Tensor tensor, Scalar other) -> ScalarType", forward: promoted },
    {
      schema: "result_type.Scalar_Scalar(Scalar scalar1, Scalar scalar2) -> ScalarType",
      forward: promoted,
    },
  ],
});
function promoted(a: ResultOperand, b: ResultOperand): DType {
  return resultType([a, b]);
}

defineOp({
  name: "can_cast",
  variants: ["function"],
  doc: "Whether a cast from one dtype to another is allowed by PyTorch's casting rules (no complex to real, floating to integral, or non-bool to bool).",
  example: "torch.canCast(torch.float64, torch.int32) // false",
  overloads: [
    {
      schema: "can_cast(ScalarType from, ScalarType to) -> bool",
      forward: (from: DType, to: DType) =>
        !(from.isComplex && !to.isComplex) &&
        !(from.category >= 2 && to.category <= 1) &&
        !(from !== bool && to === bool),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// fill_diagonal_, scalar_tensor, empty_strided, vander, frobenius_norm, nuclear_norm

defineOp({
  name: "fill_diagonal_",
  variants: ["method"],
  doc: "In place: the main diagonal (the elements whose indices are all equal; every dim of a 3-d or larger tensor must match) set to `fillValue`; with `wrap`, a tall matrix's diagonal restarts every `width + 1` rows.",
  example: "torch.zeros(2, 2).fillDiagonal_(1) // tensor([[1., 0.], [0., 1.]])",
  overloads: [
    {
      schema: "fill_diagonal_(Tensor(a!) self, Scalar fill_value, bool wrap=False) -> Tensor(a!)",
      // ATen's composite: fill_ on as_strided views of the diagonal (so CopySlices records it)
      forward: (self: Tensor, fillValue: number | boolean | Tensor, wrap: boolean) => {
        const nd = self.dim();
        if (nd < 2) throw runtimeError("dimensions must larger than 1");
        const [height, width] = self.shape;
        if (nd > 2 && self.shape.some((d) => d !== height))
          throw runtimeError("all dimensions of input must be of equal length");
        const value = scalarArg(fillValue);
        const stride = self.strides.reduce((a, b) => a + b, 0);
        const size = Math.min(height, width);
        self.asStrided([size], [stride], self.offset).fill_(value);
        if (wrap && nd === 2 && height > width + 1) {
          const step = width + 1;
          const wrapSize = Math.floor((self.numel() + step - 1) / step) - size;
          const offset = self.offset + self.strides[0] * (width + 1);
          self.asStrided([wrapSize], [stride], offset).fill_(value);
        }
        return self;
      },
    },
  ],
});

defineOp({
  name: "scalar_tensor",
  variants: ["function"],
  doc: "A 0-dim tensor holding `s`, in the default dtype unless `dtype` is given.",
  example: "torch.scalarTensor(3) // tensor(3.)",
  overloads: [
    {
      schema: `scalar_tensor(Scalar s, *, ${OPTS}) -> Tensor`,
      forward: (
        s: number | boolean | Tensor,
        dtype: DType | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => {
        checkOptions(layout, device, pinMemory);
        const dt = dtype ?? getDefaultDtype();
        return allocating([], dt, () => {
          const t = alloc([], dt);
          t.typedArray[0] = scalarIn(Number(scalarArg(s)), dt);
          return t;
        });
      },
    },
  ],
});

defineOp({
  name: "empty_strided",
  variants: ["function"],
  doc: "An uninitialised tensor (zeros here) of `size` laid out with `stride`, in the default dtype unless `dtype` is given.",
  example: "torch.emptyStrided([2, 3], [1, 2]).stride() // [1, 2]",
  overloads: [
    {
      schema: `empty_strided(SymInt[] size, SymInt[] stride, *, ${OPTS}) -> Tensor`,
      forward: (
        size: number[],
        stride: number[],
        dtype: DType | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => emptyStrided(size, stride, dtype ?? getDefaultDtype(), layout, device, pinMemory),
    },
  ],
});

defineOp({
  name: "vander",
  variants: ["function"],
  doc: "The Vandermonde matrix of the 1-d `x`: column j is x^(N-1-j) (x^j with `increasing`), N columns (default len(x)), integers in int64.",
  example:
    "torch.vander(torch.tensor([1, 2, 3], { dtype: torch.int64 })) // tensor([[1, 1, 1], [4, 2, 1], [9, 3, 1]])",
  overloads: [
    {
      schema: "vander(Tensor x, int? N=None, bool increasing=False) -> Tensor",
      // ATen's composite: empty filled with ones, then columns 1.. written with x and their
      // running product (in place, so the nodes and version counts are PyTorch's)
      forward: (x: Tensor, nArg: number | null, increasing: boolean) => {
        if (x.dim() !== 1) throw runtimeError("x must be a one-dimensional tensor.");
        const n = nArg ?? x.shape[0];
        if (n < 0) throw runtimeError("N must be non-negative.");
        const dtype = promoteTypes(x.dtype, int64);
        let result = (fn("empty") as EmptyFn)([x.numel(), n], { dtype });
        if (n > 0) result.fill_(1);
        if (n > 1) {
          result.narrow(1, 1, n - 1).copy_(x.unsqueeze(1));
          result.narrow(1, 1, n - 1).copy_(result.narrow(1, 1, n - 1).cumprod(1));
        }
        if (!increasing) result = result.flip([1]);
        return result;
      },
    },
  ],
});
type EmptyFn = (size: number[], options: { dtype: DType }) => Tensor;

/** at::norm's refusal of integer and bool input. */
function floatingNormInput(self: Tensor): Tensor {
  if (!self.dtype.isFloatingPoint)
    throw runtimeError(
      `norm(): input dtype should be either floating point or complex. Got ${scalarTypeName(self.dtype)} instead.`,
    );
  return self;
}

defineOp({
  name: "frobenius_norm",
  variants: ["function"],
  out: true,
  doc: "The Frobenius norm, sqrt(sum |x|²), over all elements or over up to two `dim`s (as torch.linalg.norm).",
  example: "torch.frobeniusNorm(torch.ones(2, 2)) // tensor(2.)",
  overloads: [
    {
      schema: "frobenius_norm(Tensor self) -> Tensor",
      out: false,
      // at::norm(self): p = 2 over everything (NormBackward0)
      forward: (self: Tensor) =>
        R.norm(floatingNormInput(self), 2, undefined, false, null, "NormBackward0"),
    },
    {
      schema: "frobenius_norm.dim(Tensor self, int[1] dim, bool keepdim=False) -> Tensor",
      // ATen: norm(self, 2, dim) for up to one dim, else sqrt(sum(self * self)) (of the real
      // part of conj(self) * self for complex input)
      forward: (self: Tensor, dim: number[], keepdim: boolean) => {
        if (dim.length > 2)
          throw runtimeError(
            `Expected at most 2 dimensions, but got ${dim.length} dimensions instead.`,
          );
        if (dim.length < 2) return R.norm(floatingNormInput(self), 2, dim, keepdim);
        const [d0, d1] = dim.map((d) => normalizeDim(d, self.dim()));
        if (d0 === d1)
          throw runtimeError(`Expected dims to be different, got [${dim.join(", ")}] instead`);
        const sq = self.dtype.isComplex ? self.conj().mul(self).real : self.mul(self);
        return sq.sum([d0, d1], keepdim).sqrt();
      },
    },
  ],
});

defineOp({
  name: "nuclear_norm",
  variants: ["function"],
  out: true,
  doc: "The nuclear norm, the sum of the singular values, of a matrix (or over two `dim`s), as torch.linalg.matrix_norm(input, 'nuc').",
  example: "torch.nuclearNorm(torch.eye(3)) // tensor(3.)",
  overloads: [
    // the dim overload first, as PyTorch's parser lists them
    {
      schema: "nuclear_norm.dim(Tensor self, int[2] dim, bool keepdim=False) -> Tensor",
      forward: (self: Tensor, dim: number[], keepdim: boolean) =>
        matrixNorm(self, "nuc", dim, keepdim),
    },
    {
      schema: "nuclear_norm(Tensor self, bool keepdim=False) -> Tensor",
      forward: (self: Tensor, keepdim: boolean) => {
        if (self.dim() !== 2)
          throw runtimeError(
            `Expected a tensor with 2 dimensions, but got a tensor with ${self.dim()} dimensions instead.`,
          );
        return matrixNorm(self, "nuc", [0, 1], keepdim);
      },
    },
  ],
});
const matrixNorm = (self: Tensor, ord: string, dim: number[], keepdim: boolean): Tensor =>
  (fn("matrixNorm", "linalg") as (...a: unknown[]) => Tensor)(self, ord, dim, keepdim);
