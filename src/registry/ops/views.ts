/**
 * Views and shape ops: reshape, view, flatten, squeeze, unsqueeze, transpose, t, permute,
 * expand, narrow, select, cat/concat, stack, split, chunk, clone, contiguous, detach. One
 * `defineOp` per op (see ../define.ts).
 *
 * The views record their own nodes in the ops layer (src/ops/views.ts): their derivatives are
 * the linear maps of the view machinery (Note [strided views for autograd]), and cat/stack and
 * split are list-input and multi-output ops. clone declares its derivative here.
 */
import { Tensor } from "../../tensor.js";
import { DType, float32, int32 } from "../../dtype.js";
import * as V from "../../ops/views.js";
import { castData, wrap } from "../../ops/core.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { needsGrad, record } from "../../autograd/function.js";
import { checkInferenceWrite, checkInplace, moveRetainGrad } from "../../ops/inplace.js";
import { normalizeDim } from "../../shape.js";
import { noteDetached } from "../../autograd/provenance.js";
import { notImplementedError, runtimeError } from "../../errors.js";
import { defineOp } from "../define.js";
import { linear } from "../linear-jvp.js";

type MemoryFormat = "contiguous_format" | "preserve_format" | "channels_last";

defineOp({
  name: "reshape",
  variants: ["function", "method"],
  doc: "The same elements in a new shape (one size may be -1): a view when the strides allow it, else a copy.",
  example: "torch.arange(6).reshape(2, 3) // tensor([[0, 1, 2], [3, 4, 5]])",
  overloads: [
    {
      schema: "reshape(Tensor(a) self, SymInt[] shape) -> Tensor(a)",
      forward: (self: Tensor, shape: number[]) => V.reshape(self, shape),
    },
  ],
});

/**
 * view(dtype): the same memory read as another dtype of the same element size (no autograd, as
 * PyTorch's view.dtype). tensorgrad stores int64 in float64 arrays and bool in bytes (Note
 * [int64 storage]), so only float32 <-> int32 can share their memory.
 */
function viewDtype(self: Tensor, dtype: DType): Tensor {
  let data = self.typedArray;
  if (dtype !== self.dtype) {
    const pair = [self.dtype, dtype];
    if (!pair.includes(float32) || !pair.includes(int32))
      throw notImplementedError(
        `view(dtype): tensorgrad can only reinterpret float32 as int32 and back (int64 is stored as float64 and bool as bytes), not ${self.dtype.name} as ${dtype.name}`,
      );
    const View = dtype.ArrayType as unknown as new (
      b: ArrayBufferLike,
      o: number,
      n: number,
    ) => Tensor["typedArray"];
    data = new View(data.buffer, data.byteOffset, data.length);
  }
  const out = noGrad(() => V.makeView(self, self.shape.slice(), self.strides.slice(), self.offset));
  out.typedArray = data;
  out.dtype = dtype;
  return out;
}

defineOp({
  name: "view",
  variants: ["method"],
  doc: "A view of the same storage in a new shape (one size may be -1); fails when the strides do not allow it (use reshape). view(dtype) reads the memory as another dtype.",
  example: "torch.arange(6).view(2, 3) // tensor([[0, 1, 2], [3, 4, 5]])",
  overloads: [
    {
      schema: "view.dtype(Tensor(a) self, ScalarType dtype) -> Tensor(a)",
      forward: viewDtype,
    },
    {
      schema: "view(Tensor(a) self, SymInt[] size) -> Tensor(a)",
      forward: (self: Tensor, size: number[]) => V.view(self, size),
    },
  ],
});

defineOp({
  name: "view_as",
  variants: ["method"],
  doc: "self.view(other.size()).",
  example: "torch.arange(6).viewAs(torch.zeros(2, 3)).shape // [2, 3]",
  overloads: [
    {
      schema: "view_as(Tensor(a) self, Tensor other) -> Tensor(a)",
      forward: (self: Tensor, other: Tensor) => V.view(self, other.shape.slice()),
    },
  ],
});

defineOp({
  name: "flatten",
  variants: ["function", "method"],
  doc: "Dims start_dim..end_dim merged into one (a view when possible, as reshape).",
  example: "torch.ones(2, 3, 4).flatten(1).shape // [2, 12]",
  overloads: [
    {
      schema:
        "flatten.named_out_dim(Tensor(a) self, int start_dim, int end_dim, Dimname out_dim) -> Tensor(a)",
      forward: null,
      named: { creates: true },
    },
    {
      schema: "flatten.using_ints(Tensor(a) self, int start_dim=0, int end_dim=-1) -> Tensor(a)",
      forward: (self: Tensor, startDim: number, endDim: number) =>
        V.flatten(self, startDim, endDim),
    },
    {
      schema:
        "flatten.using_names(Tensor(a) self, Dimname start_dim, Dimname end_dim, Dimname out_dim) -> Tensor(a)",
      forward: null,
    },
    {
      schema: "flatten.DimnameList(Tensor(a) self, Dimname[] dims, Dimname out_dim) -> Tensor(a)",
      forward: null,
    },
  ],
});

defineOp({
  name: "squeeze",
  variants: ["function", "method"],
  doc: "A view without the dims of size 1 (all of them, or only `dim`).",
  example: "torch.zeros(2, 1, 3).squeeze().shape // [2, 3]",
  overloads: [
    {
      schema: "squeeze(Tensor(a) self) -> Tensor(a)",
      forward: (self: Tensor) => V.squeeze(self),
    },
    {
      schema: "squeeze.dim(Tensor(a) self, int dim) -> Tensor(a)",
      forward: (self: Tensor, dim: number) => V.squeeze(self, dim),
    },
    { schema: "squeeze.dimname(Tensor(a) self, Dimname dim) -> Tensor(a)", forward: null },
  ],
});

defineOp({
  name: "unsqueeze",
  variants: ["function", "method"],
  doc: "A view with a new dim of size 1 at `dim`.",
  example: "torch.zeros(2, 3).unsqueeze(1).shape // [2, 1, 3]",
  overloads: [
    {
      schema: "unsqueeze(Tensor(a) self, int dim) -> Tensor(a)",
      forward: (self: Tensor, dim: number) => V.unsqueeze(self, dim),
    },
  ],
});

defineOp({
  name: "transpose",
  variants: ["function", "method"],
  doc: "A view with dims dim0 and dim1 swapped.",
  example: "torch.zeros(2, 3).transpose(0, 1).shape // [3, 2]",
  overloads: [
    {
      schema: "transpose.int(Tensor(a) self, int dim0, int dim1) -> Tensor(a)",
      forward: (self: Tensor, dim0: number, dim1: number) => V.transpose(self, dim0, dim1),
    },
    {
      schema: "transpose.Dimname(Tensor(a) self, Dimname dim0, Dimname dim1) -> Tensor(a)",
      forward: null,
      named: { nameArg: "dim1" },
    },
  ],
});

defineOp({
  name: "t",
  variants: ["function", "method"],
  doc: "The transpose of a matrix (a view); vectors and scalars are returned as they are.",
  example: "torch.tensor([[1, 2], [3, 4]]).t() // tensor([[1., 3.], [2., 4.]])",
  overloads: [{ schema: "t(Tensor(a) self) -> Tensor(a)", forward: (self: Tensor) => V.t2(self) }],
});

/**
 * The in-place views t_, transpose_, squeeze_ and unsqueeze_: self takes the view's shape and
 * strides over the same storage (a view stays a view of its base), its version moves (views of
 * the same storage rebuild their history, Note [view regeneration]) and its history moves to
 * the view's node, named as PyTorch's in-place twin (TBackward1, ...). The view is computed
 * first, so a failing call changes nothing.
 */
export function inplaceView(self: Tensor, view: (prev: Tensor) => Tensor): Tensor {
  checkInplace(self);
  checkInferenceWrite(self);
  const out = view(self._shadow(false));
  // its node, read before the version moves (which would make the view `out` rebuild it)
  const node = out.gradFn;
  self.shape = out.shape;
  self.strides = out.strides;
  self.offset = out.offset;
  self._version.value++;
  if (node !== null) {
    if (self._retainsGrad) moveRetainGrad(self, node, out.outputNr);
    self.gradFn = node;
    self.outputNr = out.outputNr;
  }
  // forward AD: the tangent becomes the same view of the tangent
  if (out._fwGrad !== null) {
    self._fwGrad = out._fwGrad;
    self._fwLevel = out._fwLevel;
  }
  return self;
}

/** A view computed without recording, then recorded as `op` under PyTorch's in-place name. */
function renamed(prev: Tensor, compute: () => Tensor, recordAs: (out: Tensor) => void): Tensor {
  const out = noGrad(compute);
  if (needsGrad(prev)) recordAs(out);
  return out;
}

defineOp({
  name: "t_",
  variants: ["method"],
  doc: "In place: self becomes its transpose (a matrix's; vectors and scalars stay).",
  example: "torch.zeros(2, 3).t_().shape // [3, 2]",
  overloads: [
    {
      schema: "t_(Tensor(a!) self) -> Tensor(a!)",
      forward: (self: Tensor) => {
        if (self.dim() > 2)
          throw runtimeError(
            `t_() expects a tensor with <= 2 dimensions, but self is ${self.dim()}D`,
          );
        return inplaceView(self, (p) => V.transpose(p, 0, p.dim() < 2 ? 0 : 1, "TBackward1"));
      },
    },
  ],
});

defineOp({
  name: "transpose_",
  variants: ["method"],
  doc: "In place: self's dims dim0 and dim1 swapped.",
  example: "torch.zeros(2, 3).transpose_(0, 1).shape // [3, 2]",
  overloads: [
    {
      schema: "transpose_(Tensor(a!) self, int dim0, int dim1) -> Tensor(a!)",
      forward: (self: Tensor, dim0: number, dim1: number) =>
        inplaceView(self, (p) => V.transpose(p, dim0, dim1, "TransposeBackward1")),
    },
  ],
});

defineOp({
  name: "squeeze_",
  variants: ["method"],
  doc: "In place: self without its dims of size 1 (all of them, or only `dim`).",
  example: "torch.zeros(2, 1, 3).squeeze_().shape // [2, 3]",
  overloads: [
    {
      schema: "squeeze_(Tensor(a!) self) -> Tensor(a!)",
      forward: (self: Tensor) =>
        inplaceView(self, (p) =>
          renamed(
            p,
            () => V.squeeze(p),
            (out) => record("squeeze", out, [p], {}, { name: "SqueezeBackward2" }),
          ),
        ),
    },
    {
      schema: "squeeze_.dim(Tensor(a!) self, int dim) -> Tensor(a!)",
      forward: (self: Tensor, dim: number) =>
        inplaceView(self, (p) =>
          renamed(
            p,
            () => V.squeeze(p, dim),
            (out) => record("squeeze", out, [p], {}, { name: "SqueezeBackward3" }),
          ),
        ),
    },
    {
      schema: "squeeze_.dimname(Tensor(a!) self, Dimname dim) -> Tensor(a!)",
      forward: null,
      named: { nyi: "squeeze" },
    },
  ],
});

defineOp({
  name: "unsqueeze_",
  variants: ["method"],
  doc: "In place: self with a new dim of size 1 at `dim`.",
  example: "torch.zeros(2, 3).unsqueeze_(0).shape // [1, 2, 3]",
  overloads: [
    {
      schema: "unsqueeze_(Tensor(a!) self, int dim) -> Tensor(a!)",
      forward: (self: Tensor, dim: number) =>
        inplaceView(self, (p) =>
          renamed(
            p,
            () => V.unsqueeze(p, dim),
            (out) =>
              record(
                "unsqueeze",
                out,
                [p],
                {},
                { dim: normalizeDim(dim, p.dim() + 1) },
                "UnsqueezeBackward1",
              ),
          ),
        ),
    },
  ],
});

defineOp({
  name: "permute",
  variants: ["function", "method"],
  doc: "A view with the dims reordered: dim i of the result is dim dims[i] of the input.",
  example: "torch.zeros(2, 3, 4).permute(2, 0, 1).shape // [4, 2, 3]",
  overloads: [
    {
      schema: "permute(Tensor(a) self, int[] dims) -> Tensor(a)",
      forward: (self: Tensor, dims: number[]) => V.permute(self, dims),
    },
  ],
});

defineOp({
  name: "expand",
  variants: ["method"],
  doc: "A view broadcast to a larger size without copying (-1 keeps a size; new dims lead).",
  example: "torch.tensor([1, 2]).expand(3, 2) // tensor([[1., 2.], [1., 2.], [1., 2.]])",
  overloads: [
    {
      // `implicit` only marks expansions made by broadcasting in TorchScript: no effect here
      schema: "expand(Tensor(a) self, SymInt[] size, *, bool implicit=False) -> Tensor(a)",
      forward: (self: Tensor, size: number[]) => V.expand(self, size),
    },
  ],
});

defineOp({
  name: "expand_as",
  variants: ["method"],
  doc: "self.expand(other.size()).",
  example: "torch.tensor([1, 2]).expandAs(torch.zeros(2, 2)) // tensor([[1., 2.], [1., 2.]])",
  overloads: [
    {
      schema: "expand_as(Tensor(a) self, Tensor other) -> Tensor(a)",
      forward: (self: Tensor, other: Tensor) => V.expand(self, other.shape.slice()),
    },
  ],
});

defineOp({
  name: "narrow",
  variants: ["function", "method"],
  doc: "A view of `length` elements from `start` along `dim` (start may be a 0-dim integer tensor).",
  example: "torch.arange(5).narrow(0, 1, 3) // tensor([1, 2, 3])",
  overloads: [
    {
      schema: "narrow.Tensor(Tensor(a) self, int dim, Tensor start, int length) -> Tensor(a)",
      forward: (self: Tensor, dim: number, start: Tensor, length: number) => {
        // at::native::narrow(self, dim, Tensor start, length): the start's value, then narrow
        if (start.dim() !== 0 || start.dtype.category !== 1)
          throw runtimeError("start must be an 0-dim integral Tensor.");
        return V.narrow(self, dim, Number(start.item()), length);
      },
    },
    {
      schema: "narrow(Tensor(a) self, int dim, int start, int length) -> Tensor(a)",
      forward: (self: Tensor, dim: number, start: number, length: number) =>
        V.narrow(self, dim, start, length),
    },
  ],
});

defineOp({
  name: "select",
  variants: ["function", "method"],
  doc: "A view of the slice at `index` along `dim`, without that dim (Python's x[:, i]).",
  example: "torch.tensor([[1, 2], [3, 4]]).select(1, 0) // tensor([1., 3.])",
  overloads: [
    {
      schema: "select.int(Tensor(a) self, int dim, int index) -> Tensor(a)",
      forward: (self: Tensor, dim: number, index: number) => V.select(self, dim, index),
    },
    {
      schema: "select.Dimname(Tensor(a) self, Dimname dim, int index) -> Tensor(a)",
      forward: null,
    },
  ],
});

for (const name of ["cat", "concat", "concatenate"]) {
  defineOp({
    name,
    variants: ["function"],
    out: true,
    doc:
      name === "cat"
        ? "The tensors joined along an existing dim (sizes must match elsewhere; dtypes promote)."
        : "Alias of torch.cat.",
    example: `torch.${name}([torch.tensor([1, 2]), torch.tensor([3])]) // tensor([1., 2., 3.])`,
    overloads: [
      {
        schema: `${name}(Tensor[] tensors, int dim=0) -> Tensor`,
        forward: (tensors: Tensor[], dim: number) => V.cat(tensors, dim),
      },
      { schema: `${name}.names(Tensor[] tensors, Dimname dim) -> Tensor`, forward: null },
    ],
  });
}

defineOp({
  name: "stack",
  variants: ["function"],
  out: true,
  doc: "The tensors (all of one size) joined along a new dim.",
  example:
    "torch.stack([torch.tensor([1, 2]), torch.tensor([3, 4])]) // tensor([[1., 2.], [3., 4.]])",
  overloads: [
    {
      schema: "stack(Tensor[] tensors, int dim=0) -> Tensor",
      forward: (tensors: Tensor[], dim: number) => V.stack(tensors, dim),
    },
  ],
});

/** torch._VF.split_with_sizes (its function form), which Python's split calls */
const splitWithSizes = defineOp({
  name: "split_with_sizes",
  variants: ["function", "method"],
  doc: "Views of consecutive pieces of the given sizes along `dim` (they must sum to its size).",
  example: "torch.arange(5).splitWithSizes([2, 3]) // [tensor([0, 1]), tensor([2, 3, 4])]",
  overloads: [
    {
      schema: "split_with_sizes(Tensor(a -> *) self, int[] split_sizes, int dim=0) -> Tensor(a)[]",
      forward: (self: Tensor, sizes: number[], dim: number) => V.split(self, sizes, dim),
    },
  ],
}).fn;

/**
 * torch.split and Tensor.split are Python functions (torch/functional.py, torch/_tensor.py): a
 * tensor size is read as an int when it has one element, an int goes to split.Tensor
 * (`torch._VF.split`), anything else to split_with_sizes, whose errors the caller sees.
 */
const split = defineOp({
  name: "split",
  variants: ["function", "method"],
  doc: "Views of consecutive pieces along `dim`: of split_size each (the last may be smaller), or of the listed sizes.",
  example: "torch.arange(5).split(2) // [tensor([0, 1]), tensor([2, 3]), tensor([4])]",
  pythonWrapper: {
    function: "tensor, split_size_or_sections, dim=0",
    method: "self, split_size, dim=0",
    body: (self: unknown, size: unknown, dim: unknown) => {
      if (size instanceof Tensor && size.numel() === 1) size = Math.trunc(Number(size.item()));
      // Python's isinstance(split_size, int): integers (and bools, which the parser then refuses)
      if (Number.isInteger(size) || typeof size === "boolean") return split.vf(self, size, dim);
      return splitWithSizes(self, size, dim);
    },
  },
  overloads: [
    {
      schema: "split.Tensor(Tensor(a -> *) self, int split_size, int dim=0) -> Tensor(a)[]",
      forward: (self: Tensor, size: number, dim: number) => V.split(self, size, dim),
    },
    {
      schema: "split.sizes(Tensor(a -> *) self, int[] split_size, int dim=0) -> Tensor(a)[]",
      forward: (self: Tensor, sizes: number[], dim: number) => V.split(self, sizes, dim),
    },
  ],
});

defineOp({
  name: "chunk",
  variants: ["function", "method"],
  doc: "`chunks` views of (nearly) equal size along `dim`: each ceil(size / chunks), the last smaller; fewer when the size does not allow that many.",
  example: "torch.arange(5).chunk(2) // [tensor([0, 1, 2]), tensor([3, 4])]",
  overloads: [
    {
      schema: "chunk(Tensor(a -> *) self, int chunks, int dim=0) -> Tensor(a)[]",
      forward: (self: Tensor, chunks: number, dim: number) => V.chunk(self, chunks, dim),
    },
  ],
});

// unsafe_chunk / unsafe_split / unsafe_split_with_sizes: chunk and split whose outputs may be
// modified in place (PyTorch's UnsafeSplitBackward0 / UnsafeSplitWithSizesBackward0 nodes)

defineOp({
  name: "unsafe_chunk",
  variants: ["function", "method"],
  doc: "chunk whose outputs may be modified in place (the caller vouches no two are written through one another).",
  example: "torch.arange(5).unsafeChunk(2) // [tensor([0, 1, 2]), tensor([3, 4])]",
  overloads: [
    {
      schema: "unsafe_chunk(Tensor self, int chunks, int dim=0) -> Tensor[]",
      forward: (self: Tensor, chunks: number, dim: number) => V.chunk(self, chunks, dim, true),
    },
  ],
});

defineOp({
  name: "unsafe_split",
  variants: ["function", "method"],
  doc: "split into pieces of `splitSize` whose outputs may be modified in place.",
  example: "torch.arange(5).unsafeSplit(2) // [tensor([0, 1]), tensor([2, 3]), tensor([4])]",
  overloads: [
    {
      schema: "unsafe_split.Tensor(Tensor self, SymInt split_size, int dim=0) -> Tensor[]",
      forward: (self: Tensor, size: number, dim: number) => V.split(self, size, dim, true),
    },
  ],
});

defineOp({
  name: "unsafe_split_with_sizes",
  variants: ["function", "method"],
  doc: "split_with_sizes whose outputs may be modified in place.",
  example: "torch.arange(5).unsafeSplitWithSizes([2, 3]) // [tensor([0, 1]), tensor([2, 3, 4])]",
  overloads: [
    {
      schema: "unsafe_split_with_sizes(Tensor self, SymInt[] split_sizes, int dim=0) -> Tensor[]",
      forward: (self: Tensor, sizes: number[], dim: number) => V.split(self, sizes, dim, true),
    },
  ],
});

/**
 * PyTorch's is_non_overlapping_and_dense: the elements fill a block of storage exactly once (a
 * contiguous tensor with its dims permuted), so a copy may keep the strides.
 */
function nonOverlappingAndDense(t: Tensor): boolean {
  const n = t.dim();
  if (n === 1) return t.shape[0] < 2 || t.strides[0] === 1;
  // dims by stride, size 0 and 1 dims last
  const perm = t.shape.map((_, i) => i);
  perm.sort((a, b) =>
    t.shape[a] < 2 ? (t.shape[b] < 2 ? 0 : 1) : t.shape[b] < 2 ? -1 : t.strides[a] - t.strides[b],
  );
  let require = 1;
  for (const d of perm) {
    if (t.shape[d] < 2) return true;
    if (t.strides[d] !== require) return false;
    require *= t.shape[d];
  }
  return true;
}

/** PyTorch's channels-last strides of a 4-D shape (N, C, H, W): C fastest, then W, H, N. */
function channelsLastStrides(shape: readonly number[]): number[] {
  const [, c, h, w] = shape;
  const s3 = c;
  const s2 = s3 * w;
  return [s2 * h, 1, s2, s3];
}

function checkChannelsLast(t: Tensor): void {
  if (t.dim() !== 4) throw runtimeError("required rank 4 tensor to use channels_last format");
}

/** compute_channels_last_contiguous_2d: C, W, H, N of sizes != 1 nested in that order. */
function isChannelsLastContiguous(t: Tensor): boolean {
  if (t.dim() !== 4) return false;
  let expected = 1;
  for (const d of [1, 3, 2, 0]) {
    if (t.shape[d] !== 1) {
      if (t.strides[d] !== expected) return false;
      expected *= t.shape[d];
    }
  }
  return true;
}

/**
 * The copy itself, as at::clone: preserve_format (None) keeps the strides of a
 * non-overlapping and dense input (copying its block of storage) and is contiguous otherwise;
 * contiguous_format is row-major; channels_last (4-D) has C fastest.
 */
function cloneData(self: Tensor, format: MemoryFormat | null): Tensor {
  const fmt = format ?? "preserve_format";
  if (fmt === "channels_last") {
    checkChannelsLast(self);
    // NHWC row-major data is the channels-last layout of NCHW
    const nhwc = noGrad(() => V.permute(self, [0, 2, 3, 1]));
    const data = castData(nhwc, self.dtype);
    return new Tensor(data, self.shape.slice(), channelsLastStrides(self.shape), 0, self.dtype);
  }
  if (fmt === "preserve_format" && !self.isContiguous() && nonOverlappingAndDense(self)) {
    // the elements occupy [offset, offset + numel) of the storage: copy that block
    const n = self.numel();
    const data = self.typedArray.slice(self.offset, self.offset + n);
    return new Tensor(data, self.shape.slice(), self.strides.slice(), 0, self.dtype);
  }
  return wrap(castData(self, self.dtype), self.shape.slice(), self.dtype);
}

defineOp({
  name: "clone",
  variants: ["function", "method"],
  doc: "A copy with its own storage (memory_format: the copy's layout; by default the input's when it is dense, else contiguous).",
  example: "torch.tensor([1, 2]).clone() // tensor([1., 2.])",
  overloads: [
    {
      schema: "clone(Tensor self, *, MemoryFormat? memory_format=None) -> Tensor",
      forward: cloneData,
      derivative: {
        name: "CloneBackward0",
        save: [],
        // the identity
        grad: (g: Tensor) => [g],
        jvp: linear((t) => t.clone()),
      },
    },
  ],
});

defineOp({
  name: "contiguous",
  variants: ["method"],
  doc: "This tensor if it is contiguous in memory_format, else a copy that is (CloneBackward0).",
  example: "torch.zeros(2, 3).t().contiguous().isContiguous() // true",
  overloads: [
    {
      schema:
        "contiguous(Tensor(a) self, *, MemoryFormat memory_format=contiguous_format) -> Tensor(a)",
      // at::contiguous: self when it is contiguous in that format (preserve_format: plainly
      // contiguous), else a clone in it (preserve_format refused)
      forward: (self: Tensor, format: MemoryFormat) => {
        if (format === "channels_last" ? isChannelsLastContiguous(self) : self.isContiguous())
          return self;
        if (format === "preserve_format")
          throw runtimeError("preserve memory format is unsupported by the contiguous operator");
        return self.clone({ memoryFormat: format });
      },
    },
  ],
});

defineOp({
  name: "detach",
  variants: ["function", "method"],
  doc: "A new tensor sharing this one's storage and version counter, detached from the graph (never requires grad).",
  example: "torch.ones(2, { requiresGrad: true }).detach().requiresGrad // false",
  overloads: [
    {
      schema: "detach(Tensor(a) self) -> Tensor(a)",
      // not a view (no `_base`, as PyTorch's detach): in-place ops on it or its views never
      // reach this tensor's history
      forward: (self: Tensor) => {
        const d = new Tensor(
          self.typedArray,
          self.shape,
          self.strides,
          self.offset,
          self.dtype,
          self._version,
        );
        d._inference = self._inference;
        if (self.requiresGrad) noteDetached(d, self); // Note [provenance]
        return d;
      },
    },
  ],
});

// torch.detach_(t); the method is Tensor.detach_ (tensor.ts)
defineOp({
  name: "detach_",
  variants: ["function"],
  doc: "In place: self detached from the graph (it becomes a leaf that does not require grad).",
  example: "torch.detach_(torch.ones(2).mul(1)).gradFn // null",
  overloads: [
    { schema: "detach_(Tensor(a!) self) -> Tensor(a!)", forward: (self: Tensor) => self.detach_() },
  ],
});
