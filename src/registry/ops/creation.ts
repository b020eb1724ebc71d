/**
 * Creation functions (non-random): zeros, ones, empty, full, arange, linspace, eye and the
 * `*_like` forms. One `defineOp` per op (see ../define.ts). Their schemas carry PyTorch's tensor
 * options (dtype, layout, device, pin_memory), which makes them factories: `requires_grad` is
 * accepted too and set after construction (Note [factory signatures] in ../binder.ts). `size`
 * is a list or varargs (`torch.zeros(2, 3)`, `torch.zeros([2, 3])`).
 *
 * torch.tensor stays hand-written (ops/creation.ts): its data argument (nested lists, numbers,
 * typed arrays) is not a schema type.
 */
import type { Tensor } from "../../tensor.js";
import { DType, bool, int64, getDefaultDtype } from "../../dtype.js";
import * as C from "../../ops/creation.js";
import { alloc } from "../../ops/core.js";
import { runtimeError } from "../../errors.js";
import { defineOp } from "../define.js";

export type Layout = "strided" | null;
export type Device = "cpu" | null;

/** The tensor options PyTorch accepts on a CPU-only build: strided, cpu, unpinned memory. */
export function checkOptions(_layout: Layout, _device: Device, pinMemory: boolean | null): void {
  if (pinMemory === true)
    throw runtimeError(
      "Pinned memory requires CUDA. PyTorch splits its backend into two shared libraries: a CPU library and a CUDA library; this error has occurred because you are trying to use some CUDA functionality, but the CUDA library has not been loaded by the dynamic linker for some reason.  The CUDA library MUST be loaded, EVEN IF you don't directly use any symbols from the CUDA library! One common culprit is a lack of -Wl,--no-as-needed in your link arguments; many dynamic linkers will delete dynamic library dependencies if you don't depend on any of their symbols.  You can check if this has occurred by using ldd on your binary to see if there is a dependency on *_cuda.so library.",
    );
}

const INT64_MAX = 2n ** 63n - 1n;

/**
 * A new tensor of `size`, checked as PyTorch's allocation is: no negative dimension, a storage
 * size that fits int64, and memory for it (a JavaScript typed array holds fewer elements than
 * PyTorch's CPU allocator, so that failure comes sooner here, with the allocator's message).
 */
function allocChecked(size: readonly number[], dtype: DType): Tensor {
  return allocating(size, dtype, () => alloc(size.slice(), dtype));
}

/** `make()`, which allocates a tensor of `size`, with PyTorch's size and allocation errors. */
export function allocating(size: readonly number[], dtype: DType, make: () => Tensor): Tensor {
  let approx = dtype.itemsize;
  for (const d of size) {
    if (d < 0)
      throw runtimeError(
        `Trying to create tensor with negative dimension ${d}: [${size.join(", ")}]`,
      );
    approx *= d;
  }
  // the byte count: exact as a double below 2^53 (every small size), else counted as a BigInt
  let bytes: bigint | number = approx;
  if (!Number.isSafeInteger(approx)) {
    bytes = BigInt(dtype.itemsize);
    for (const d of size) bytes *= BigInt(d);
    if (bytes > INT64_MAX) {
      const text = size.map((d) => BigInt(d).toString()).join(", ");
      throw runtimeError(`Storage size calculation overflowed with sizes=[${text}]`);
    }
  }
  try {
    return make();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw runtimeError(
      `[enforce fail at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to allocate ${bytes} bytes. Error code 12 (Cannot allocate memory)`,
    );
  }
}

/** A new tensor of `size` filled with `value`. */
function filled(size: readonly number[], dtype: DType, value: number): Tensor {
  const t = allocChecked(size, dtype);
  if (value !== 0) t.typedArray.fill(value);
  return t;
}

/** A number as the dtype stores it: booleans are 0/1 (any non-zero is true), integers truncate. */
function storedAs(v: number | boolean, dtype: DType): number {
  const n = Number(v);
  if (dtype === bool) return n !== 0 ? 1 : 0;
  if (!dtype.isFloatingPoint) return Math.trunc(n);
  return n;
}

/** PyTorch's dtype of a Python number: bool, int (integral numbers here) or float. */
function scalarDtype(v: number | boolean): DType {
  if (typeof v === "boolean") return bool;
  return Number.isInteger(v) ? int64 : getDefaultDtype();
}

const OPTS =
  "ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None";

/** zeros / ones / empty: `size` filled with a constant (empty: zeros, PyTorch's is uninitialised). */
function constant(name: "zeros" | "ones" | "empty", value: number, doc: string, example: string) {
  const memoryFormat = name === "empty" ? ", MemoryFormat? memory_format=None" : "";
  const forward = (
    size: number[],
    dtype: DType | null,
    layout: Layout,
    device: Device,
    pinMemory: boolean | null,
  ): Tensor => {
    checkOptions(layout, device, pinMemory);
    return filled(size, dtype ?? getDefaultDtype(), value);
  };
  defineOp({
    name,
    variants: ["function"],
    doc,
    example,
    overloads: [
      {
        schema: `${name}.names(int[] size, *, Dimname[]? names, ${OPTS}${memoryFormat}) -> Tensor`,
        forward: null,
      },
      {
        schema: `${name}${name === "empty" ? ".memory_format" : ""}(SymInt[] size, *, ${OPTS}${memoryFormat}) -> Tensor`,
        out: true,
        forward,
      },
    ],
  });
}

constant(
  "zeros",
  0,
  "A tensor of zeros of the given size (varargs or a list).",
  "torch.zeros(2, 3) // tensor([[0., 0., 0.], [0., 0., 0.]])",
);
constant(
  "ones",
  1,
  "A tensor of ones of the given size (varargs or a list).",
  "torch.ones(2, 3) // tensor([[1., 1., 1.], [1., 1., 1.]])",
);
constant(
  "empty",
  0,
  "A new tensor of the given size; uninitialised in PyTorch, zero-filled here.",
  "torch.empty(2, 3)",
);

defineOp({
  name: "full",
  variants: ["function"],
  doc: "A tensor of the given size filled with `fill_value` (dtype from the value: bool, int64 for integers, else the default).",
  example: "torch.full([2, 2], 0.5) // tensor([[0.5000, 0.5000], [0.5000, 0.5000]])",
  overloads: [
    {
      schema: `full.names(int[] size, Scalar fill_value, *, Dimname[]? names, ${OPTS}) -> Tensor`,
      forward: null,
    },
    {
      schema: `full(SymInt[] size, Scalar fill_value, *, ${OPTS}) -> Tensor`,
      out: true,
      forward: (
        size: number[],
        fillValue: number | boolean | Tensor,
        dtype: DType | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => {
        checkOptions(layout, device, pinMemory);
        const v = scalarValue(fillValue);
        const dt = dtype ?? scalarDtype(v);
        return filled(size, dt, storedAs(v, dt));
      },
    },
  ],
});

/** A Scalar argument's value (a 0-dim tensor gives its element). */
function scalarValue(v: number | boolean | Tensor): number | boolean {
  return typeof v === "object" ? (v.item() as number | boolean) : v;
}

/** The *_like forms: the input's size, and its dtype unless `dtype` is given. */
function like(
  name: "zeros_like" | "ones_like" | "empty_like",
  value: number,
  doc: string,
  example: string,
) {
  defineOp({
    name,
    variants: ["function"],
    doc,
    example,
    overloads: [
      {
        schema: `${name}(Tensor self, *, ${OPTS}, MemoryFormat? memory_format=None) -> Tensor`,
        forward: (
          self: Tensor,
          dtype: DType | null,
          layout: Layout,
          device: Device,
          pinMemory: boolean | null,
        ) => {
          checkOptions(layout, device, pinMemory);
          const dt = dtype ?? self.dtype;
          return filled(self.shape, dt, storedAs(value, dt));
        },
      },
    ],
  });
}

like(
  "zeros_like",
  0,
  "Zeros in the input's size (and dtype unless given).",
  "torch.zerosLike(torch.ones(2, 3)) // tensor([[0., 0., 0.], [0., 0., 0.]])",
);
like(
  "ones_like",
  1,
  "Ones in the input's size (and dtype unless given).",
  "torch.onesLike(torch.zeros(2, 3)) // tensor([[1., 1., 1.], [1., 1., 1.]])",
);
like(
  "empty_like",
  0,
  "A new tensor in the input's size (and dtype unless given); zero-filled here.",
  "torch.emptyLike(torch.zeros(2, 3)).shape // [2, 3]",
);

defineOp({
  name: "full_like",
  variants: ["function"],
  doc: "`fill_value` in the input's size (and dtype unless given).",
  example: "torch.fullLike(torch.zeros(2), 7) // tensor([7., 7.])",
  overloads: [
    {
      schema: `full_like(Tensor self, Scalar fill_value, *, ${OPTS}, MemoryFormat? memory_format=None) -> Tensor`,
      forward: (
        self: Tensor,
        fillValue: number | boolean | Tensor,
        dtype: DType | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => {
        checkOptions(layout, device, pinMemory);
        const dt = dtype ?? self.dtype;
        return filled(self.shape, dt, storedAs(scalarValue(fillValue), dt));
      },
    },
  ],
});

/** A number as PyTorch's c10::Scalar prints it in arange's errors (inf, -inf, nan). */
function scalarText(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return String(v);
}

/**
 * arange's and range's checks, in ATen's words (arange's sign message says "larger bound"
 * where range's says "lower bound").
 */
function checkRange(start: number, end: number, step: number, bound: "larger" | "lower"): void {
  if (!Number.isFinite(start) || !Number.isFinite(end))
    throw runtimeError(`unsupported range: ${scalarText(start)} -> ${scalarText(end)}`);
  if (step === 0) throw runtimeError("step must be nonzero");
  if ((step > 0 && end < start) || (step < 0 && end > start))
    throw runtimeError(`upper bound and ${bound} bound inconsistent with step sign`);
}

/**
 * arange: start + i*step for i < ceil((end - start)/step); int64 when every argument is an
 * integer (PyTorch: a Python int), else the default dtype.
 */
function arangeForward(
  startArg: number | boolean | Tensor,
  endArg: number | boolean | Tensor,
  stepArg: number | boolean | Tensor,
  dtype: DType | null,
  layout: Layout,
  device: Device,
  pinMemory: boolean | null,
): Tensor {
  checkOptions(layout, device, pinMemory);
  const args = [startArg, endArg, stepArg].map(scalarValue);
  const [start, end, step] = args.map(Number);
  const dt =
    dtype ?? (args.every((v) => scalarDtype(v) !== getDefaultDtype()) ? int64 : getDefaultDtype());
  checkRange(start, end, step, "larger");
  const n = Math.ceil((end - start) / step);
  if (n > Number(INT64_MAX)) throw runtimeError("invalid size, possible overflow?");
  const t = allocChecked([n], dt);
  const a = t.typedArray;
  for (let i = 0; i < n; i++) a[i] = storedAs(start + i * step, dt);
  return t;
}

defineOp({
  name: "arange",
  variants: ["function"],
  doc: "Values from `start` (default 0) up to `end` (exclusive) by `step`; int64 when all are integers.",
  example: "torch.arange(4) // tensor([0, 1, 2, 3])",
  overloads: [
    {
      schema: `arange(Scalar end, *, ${OPTS}) -> Tensor`,
      out: true,
      forward: (
        end: number | boolean | Tensor,
        dtype: DType | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => arangeForward(0, end, 1, dtype, layout, device, pinMemory),
    },
    {
      schema: `arange.start(Scalar start, Scalar end, *, ${OPTS}) -> Tensor`,
      forward: (
        start: number | boolean | Tensor,
        end: number | boolean | Tensor,
        dtype: DType | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => arangeForward(start, end, 1, dtype, layout, device, pinMemory),
    },
    {
      schema: `arange.start_step(Scalar start, Scalar end, Scalar step=1, *, ${OPTS}) -> Tensor`,
      out: true,
      forward: arangeForward,
    },
  ],
});

let warnedRange = false;

/**
 * torch.range (deprecated): start, start + step, ... up to and including `end`, so
 * floor((end - start) / step) + 1 values (ATen's range: the count truncated toward zero),
 * always in the default dtype unless `dtype` is given. Warns once, as Python's default filter
 * shows PyTorch's warning once.
 */
function rangeForward(
  startArg: number | boolean | Tensor,
  endArg: number | boolean | Tensor,
  stepArg: number | boolean | Tensor,
  dtype: DType | null,
  layout: Layout,
  device: Device,
  pinMemory: boolean | null,
): Tensor {
  if (!warnedRange) {
    warnedRange = true;
    console.warn(
      "UserWarning: torch.range is deprecated and will be removed in a future release because its behavior is inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in [start, end).",
    );
  }
  checkOptions(layout, device, pinMemory);
  const [start, end, step] = [startArg, endArg, stepArg].map((v) => Number(scalarValue(v)));
  const dt = dtype ?? getDefaultDtype();
  checkRange(start, end, step, "lower");
  const n = Math.trunc((end - start) / step + 1);
  const t = allocChecked([n], dt);
  const a = t.typedArray;
  for (let i = 0; i < n; i++) a[i] = storedAs(start + i * step, dt);
  return t;
}

defineOp({
  name: "range",
  variants: ["function"],
  doc: "Deprecated (use torch.arange): values from `start` to `end` inclusive by `step`, in the default dtype.",
  example: "torch.range(1, 4) // tensor([1., 2., 3., 4.])",
  // PyTorch binds torch.range by hand, with this one signature
  overloads: [
    {
      schema: `range.step(Scalar start, Scalar end, Scalar step=1, *, ${OPTS}) -> Tensor`,
      out: true,
      forward: rangeForward,
    },
  ],
});

defineOp({
  name: "linspace",
  variants: ["function"],
  out: true,
  doc: "`steps` evenly spaced values from `start` to `end` inclusive.",
  example: "torch.linspace(0, 1, 5) // tensor([0.0000, 0.2500, 0.5000, 0.7500, 1.0000])",
  overloads: [
    {
      schema: `linspace(Scalar start, Scalar end, int steps, *, ${OPTS}) -> Tensor`,
      forward: (
        start: number | boolean | Tensor,
        end: number | boolean | Tensor,
        steps: number,
        dtype: DType | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => {
        checkOptions(layout, device, pinMemory);
        if (steps < 0) throw runtimeError("number of steps must be non-negative");
        const dt = dtype ?? getDefaultDtype();
        return allocating([steps], dt, () =>
          C.linspace(Number(scalarValue(start)), Number(scalarValue(end)), steps, { dtype: dt }),
        );
      },
    },
  ],
});

/** eye: n x m with ones on the diagonal. */
function eyeForward(
  n: number,
  m: number,
  dtype: DType | null,
  layout: Layout,
  device: Device,
  pinMemory: boolean | null,
): Tensor {
  checkOptions(layout, device, pinMemory);
  if (n < 0) throw runtimeError(`n must be greater or equal to 0, got ${n}`);
  if (m < 0) throw runtimeError(`m must be greater or equal to 0, got ${m}`);
  // an int beyond int64 does not convert (PyTorch's parser)
  if (n > Number(INT64_MAX) || m > Number(INT64_MAX))
    throw runtimeError("Overflow when unpacking long");
  const dt = dtype ?? getDefaultDtype();
  const t = allocChecked([n, m], dt);
  for (let i = 0; i < Math.min(n, m); i++) t.typedArray[i * m + i] = 1;
  return t;
}

defineOp({
  name: "eye",
  variants: ["function"],
  out: true,
  doc: "The n x m identity matrix (m = n by default).",
  example: "torch.eye(2) // tensor([[1., 0.], [0., 1.]])",
  overloads: [
    {
      schema: `eye(int n, *, ${OPTS}) -> Tensor`,
      forward: (
        n: number,
        dtype: DType | null,
        layout: Layout,
        device: Device,
        pinMemory: boolean | null,
      ) => eyeForward(n, n, dtype, layout, device, pinMemory),
    },
    { schema: `eye.m(int n, int m, *, ${OPTS}) -> Tensor`, forward: eyeForward },
  ],
});
