/**
 * Shape ops: repeat, tile, flip, fliplr, flipud, roll, tril, triu, diag, diagonal, diag_embed,
 * diagflat, movedim/moveaxis, swapaxes/swapdims, unbind. One `defineOp` per op (see ../define.ts).
 *
 * The copies (flip, roll, repeat, diag, diag_embed) are one strided copy each between the input's
 * layout and the result's (src/backend/shape.ts): flip reads with negated strides, repeat reads
 * through zero strides, roll copies its blocks; the views (diagonal, movedim, swapaxes, unbind)
 * only change shape, strides and offset.
 */
import { Tensor } from "../../tensor.js";
import { DType, int64 } from "../../dtype.js";
import * as V from "../../ops/views.js";
import { allocOutput, alloc, castData, scalarTypeName, wrap } from "../../ops/core.js";
import { noGrad } from "../../autograd/grad-mode.js";
import {
  contiguousStrides,
  inferShape,
  normalizeDim,
  normalizeDims,
  shapeEqual,
} from "../../shape.js";
import { indexError, notImplementedError, runtimeError } from "../../errors.js";
import { copyStrided, triangleMask } from "../../backend/shape.js";
import { stridedOffsets } from "../../backend/copy.js";
import { needsGrad, record } from "../../autograd/function.js";
import { defineOp, fn } from "../define.js";
import { inplaceView } from "./views.js";
import { linear } from "../linear-jvp.js";

// ---------------------------------------------------------------------------------------------
// repeat / tile

/** at::empty's check of a result size */
function checkSize(shape: readonly number[]): void {
  const neg = shape.find((s) => s < 0);
  if (neg !== undefined)
    throw runtimeError(
      `Trying to create tensor with negative dimension ${neg}: [${shape.join(", ")}]`,
    );
}

/**
 * self.repeat(repeats): self (with leading size-1 dims up to repeats.length) tiled repeats[i]
 * times along dim i. One strided copy: the result read as [r0, s0, r1, s1, ...] row-major is
 * self read with stride 0 over each r_i.
 */
function repeatKernel(self: Tensor, repeats: number[]): Tensor {
  if (repeats.length < self.dim())
    throw runtimeError(
      "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
    );
  const lead = repeats.length - self.dim();
  const padShape = [...new Array<number>(lead).fill(1), ...self.shape];
  const padStrides = [...new Array<number>(lead).fill(0), ...self.strides];
  // (+ 0: a 0 * -1 size is 0, not -0)
  const target = padShape.map((s, i) => s * repeats[i] + 0);
  checkSize(target);
  const out = allocOutput(target, self.dtype);
  const shape: number[] = [];
  const strides: number[] = [];
  repeats.forEach((r, i) => {
    shape.push(r, padShape[i]);
    strides.push(0, padStrides[i]);
  });
  copyStrided(
    self.typedArray,
    { strides, offset: self.offset },
    out.typedArray,
    { strides: contiguousStrides(shape), offset: 0 },
    shape,
  );
  return out;
}

/**
 * PyTorch's repeat_backward: the leading new dims summed away, then each repeated dim split
 * into (repeat, size) and the repeat summed; zeros when a repeat is 0.
 */
function repeatBackward(g: Tensor, repeats: number[], inputShape: readonly number[]): Tensor {
  if (repeats.includes(0)) return alloc(inputShape.slice(), g.dtype);
  const lead = g.dim() - inputShape.length;
  for (let i = 0; i < lead; i++) g = g.sum(0);
  const sizes: number[] = [];
  const sumDims: number[] = [];
  inputShape.forEach((s, d) => {
    const r = repeats[d + lead];
    if (r !== 1) {
      sizes.push(r);
      sumDims.push(sizes.length - 1);
    }
    sizes.push(s);
  });
  g = g.reshape(sizes);
  return sumDims.length > 0 ? g.sum(sumDims) : g;
}

defineOp({
  name: "repeat",
  variants: ["method"],
  doc: "The tensor tiled repeats[i] times along dim i (leading dims added when there are more repeats than dims); a copy.",
  example: "torch.tensor([1, 2]).repeat(2, 2) // tensor([[1., 2., 1., 2.], [1., 2., 1., 2.]])",
  overloads: [
    {
      schema: "repeat(Tensor self, SymInt[] repeats) -> Tensor",
      forward: repeatKernel,
      derivative: {
        name: "RepeatBackward0",
        save: [],
        attrs: ["repeats"],
        grad: (g: Tensor, _s: object, a: { repeats: number[] }, n) => [
          repeatBackward(g, a.repeats, n.inputShape(0)),
        ],
        jvp: linear((t, a: { repeats: number[] }) => t.repeat(a.repeats)),
      },
    },
  ],
});

defineOp({
  name: "tile",
  variants: ["function", "method"],
  doc: "The tensor tiled dims[i] times along dim i: repeat, with dims padded by leading 1s to the tensor's rank.",
  example: "torch.tile(torch.tensor([1, 2]), [2]) // tensor([1., 2., 1., 2.])",
  overloads: [
    {
      schema: "tile(Tensor self, int[] dims) -> Tensor",
      forward: (self: Tensor, dims: number[]) => {
        const pad = self.dim() - dims.length;
        return self.repeat(pad > 0 ? [...new Array<number>(pad).fill(1), ...dims] : dims);
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// flip / fliplr / flipud / roll

/** out[..., i, ...] = self[..., n - 1 - i, ...] on the flipped dims: a read with negated strides */
function flipKernel(self: Tensor, dims: number[]): Tensor {
  const ds = normalizeDims(dims, self.dim());
  const strides = self.strides.slice();
  let offset = self.offset;
  for (const d of ds) {
    if (d >= self.dim() || self.shape[d] < 2) continue;
    offset += (self.shape[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  const out = allocOutput(self.shape.slice(), self.dtype);
  copyStrided(
    self.typedArray,
    { strides, offset },
    out.typedArray,
    { strides: out.strides, offset: 0 },
    self.shape,
  );
  return out;
}

const flip = defineOp({
  name: "flip",
  variants: ["function", "method"],
  doc: "A copy with the order of the elements reversed along the given dims.",
  example: "torch.flip(torch.tensor([[1, 2], [3, 4]]), [1]) // tensor([[2., 1.], [4., 3.]])",
  overloads: [
    {
      schema: "flip(Tensor self, int[] dims) -> Tensor",
      forward: flipKernel,
      derivative: {
        name: "FlipBackward0",
        save: [],
        attrs: ["dims"],
        // flipping is its own inverse
        grad: (g: Tensor, _s: object, a: { dims: number[] }) => [flip(g, a.dims)],
        jvp: linear((t, a: { dims: number[] }) => flip(t, a.dims)),
      },
    },
  ],
}).vf as (self: Tensor, dims: number[]) => Tensor;

defineOp({
  name: "fliplr",
  variants: ["function", "method"],
  doc: "flip along dim 1 (left/right); the input must have at least 2 dims.",
  example: "torch.fliplr(torch.tensor([[1, 2], [3, 4]])) // tensor([[2., 1.], [4., 3.]])",
  overloads: [
    {
      schema: "fliplr(Tensor self) -> Tensor",
      forward: (self: Tensor) => {
        if (self.dim() < 2) throw runtimeError("Input must be >= 2-d.");
        return flip(self, [1]);
      },
    },
  ],
});

defineOp({
  name: "flipud",
  variants: ["function", "method"],
  doc: "flip along dim 0 (up/down); the input must have at least 1 dim.",
  example: "torch.flipud(torch.tensor([[1, 2], [3, 4]])) // tensor([[3., 4.], [1., 2.]])",
  overloads: [
    {
      schema: "flipud(Tensor self) -> Tensor",
      forward: (self: Tensor) => {
        if (self.dim() < 1) throw runtimeError("Input must be >= 1-d.");
        return flip(self, [0]);
      },
    },
  ],
});

/**
 * roll along several dims at once: out[i] = self[(i - shift) mod n] on each rolled dim, so each
 * rolled dim splits into two blocks ([0, n - s) <- [s, n) and [n - s, n) <- [0, s), s = -shift
 * mod n) and every combination of blocks is one strided copy. A dim listed twice rolls by the
 * sum of its shifts, as PyTorch's roll of a roll.
 */
function rollDims(self: Tensor, shifts: readonly number[], dims: readonly number[]): Tensor {
  const nd = self.dim();
  const total = new Array<number>(nd).fill(0);
  dims.forEach((d, i) => (total[normalizeDim(d, nd)] += shifts[i]));
  const out = allocOutput(self.shape.slice(), self.dtype);
  if (self.numel() === 0) return out;
  // per dim: its blocks as [dst start, src start, length]
  const blocks = self.shape.map((n, d) => {
    const s = (((-total[d] % n) + n) % n) + 0;
    return s === 0
      ? [[0, 0, n]]
      : [
          [0, s, n - s],
          [n - s, 0, s],
        ];
  });
  const pick = new Array<number>(nd).fill(0);
  for (;;) {
    const shape: number[] = [];
    let src = self.offset;
    let dst = 0;
    for (let d = 0; d < nd; d++) {
      const [ds, ss, len] = blocks[d][pick[d]];
      shape.push(len);
      src += ss * self.strides[d];
      dst += ds * out.strides[d];
    }
    copyStrided(
      self.typedArray,
      { strides: self.strides, offset: src },
      out.typedArray,
      { strides: out.strides, offset: dst },
      shape,
    );
    let d = nd - 1;
    for (; d >= 0; d--) {
      if (++pick[d] < blocks[d].length) break;
      pick[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}

/** at::roll: no dims rolls the flattened tensor; otherwise one shift per dim */
function rollKernel(self: Tensor, shifts: number[], dims: number[]): Tensor {
  if (dims.length !== 1 || shifts.length !== 1) {
    if (shifts.length === 0) throw runtimeError("`shifts` required");
    if (dims.length === 0 && shifts.length === 1) {
      const flat = noGrad(() => V.reshape(self, [self.numel()]));
      return wrap(rollDims(flat, shifts, [0]).typedArray, self.shape.slice(), self.dtype);
    }
    if (shifts.length !== dims.length)
      throw runtimeError(
        `shifts and dimensions must align. shifts: ${shifts.length}, dims:${dims.length}`,
      );
  }
  return rollDims(self, shifts, dims);
}

const roll = defineOp({
  name: "roll",
  variants: ["function", "method"],
  doc: "The elements shifted circularly by shifts[i] along dims[i] (the flattened tensor when no dims are given).",
  example: "torch.roll(torch.tensor([1, 2, 3, 4]), 1) // tensor([4., 1., 2., 3.])",
  overloads: [
    {
      schema: "roll(Tensor self, int[1] shifts, int[1] dims=[]) -> Tensor",
      forward: rollKernel,
      derivative: {
        name: "RollBackward0",
        save: [],
        attrs: ["shifts", "dims"],
        // rolled back by the opposite shifts
        grad: (g: Tensor, _s: object, a: { shifts: number[]; dims: number[] }) => [
          roll(
            g,
            a.shifts.map((s) => -s),
            a.dims,
          ),
        ],
        jvp: linear((t, a: { shifts: number[]; dims: number[] }) => roll(t, a.shifts, a.dims)),
      },
    },
  ],
}).vf as (self: Tensor, shifts: number[], dims: number[]) => Tensor;

// ---------------------------------------------------------------------------------------------
// tril / triu

/** A contiguous copy of self with one triangle of each matrix (the last two dims) zeroed. */
function triangle(self: Tensor, k: number, lower: boolean): Tensor {
  // PyTorch checks the rank by wrapping dim -2
  normalizeDim(-2, self.dim());
  const out = wrap(castData(self, self.dtype), self.shape.slice(), self.dtype);
  const rows = self.shape[self.dim() - 2];
  const cols = self.shape[self.dim() - 1];
  const batches = rows * cols === 0 ? 0 : self.numel() / (rows * cols);
  triangleMask(out.typedArray, batches, rows, cols, k, lower);
  return out;
}

for (const [name, lower] of [
  ["tril", true],
  ["triu", false],
] as const) {
  const op = defineOp({
    name,
    variants: ["function", "method", "inplace"],
    out: true,
    doc: lower
      ? "The lower triangle of each matrix (the last two dims): elements with j - i <= diagonal kept, the others zero."
      : "The upper triangle of each matrix (the last two dims): elements with j - i >= diagonal kept, the others zero.",
    example: `torch.${name}(torch.ones(2, 2)) // tensor([[1., ${lower ? "0." : "1."}], [${lower ? "1." : "0."}, 1.]])`,
    overloads: [
      {
        schema: `${name}(Tensor self, int diagonal=0) -> Tensor`,
        forward: (self: Tensor, k: number) => triangle(self, k, lower),
        derivative: {
          name: lower ? "TrilBackward0" : "TriuBackward0",
          save: [],
          attrs: ["diagonal"],
          // a mask: its adjoint is the same mask
          grad: (g: Tensor, _s: object, a: { diagonal: number }) => [op(g, a.diagonal)],
          jvp: linear((t, a: { diagonal: number }) => op(t, a.diagonal)),
        },
      },
    ],
  }).vf as (self: Tensor, k: number) => Tensor;
}

// ---------------------------------------------------------------------------------------------
// diagonal / diag / diag_embed / diagflat

/**
 * at::diagonal's geometry: dims d1 and d2 dropped, a last dim added that steps along both
 * (stride s1 + s2) from offset k (k >= 0: column k of d2; k < 0: row -k of d1); an empty
 * diagonal keeps the offset.
 */
function diagonalLayout(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  k: number,
  d1: number,
  d2: number,
): { shape: number[]; strides: number[]; offset: number } {
  const size =
    k >= 0
      ? Math.max(Math.min(shape[d1], shape[d2] - k), 0)
      : Math.max(Math.min(shape[d1] + k, shape[d2]), 0);
  if (size > 0) offset += k >= 0 ? k * strides[d2] : -k * strides[d1];
  const keep = (_: number, i: number) => i !== d1 && i !== d2;
  return {
    shape: [...shape.filter(keep), size],
    strides: [...strides.filter(keep), strides[d1] + strides[d2]],
    offset,
  };
}

/** Wrapped and distinct diagonal dims (the message shows them as given). */
function diagDims(dim1: number, dim2: number, nd: number): [number, number] {
  const d1 = normalizeDim(dim1, nd);
  const d2 = normalizeDim(dim2, nd);
  if (d1 === d2) throw runtimeError(`diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  return [d1, d2];
}

/** self.diagonal(offset, dim1, dim2): a view (DiagonalBackward0 places g back on the diagonal) */
function diagonalView(self: Tensor, k: number, dim1: number, dim2: number): Tensor {
  const [d1, d2] = diagDims(dim1, dim2, self.dim());
  const v = diagonalLayout(self.shape, self.strides, self.offset, k, d1, d2);
  // Note [strided views for autograd]: the same diagonal of a contiguous tensor of self's shape
  const rel = diagonalLayout(self.shape, contiguousStrides(self.shape), 0, k, d1, d2);
  return V.stridedView(self, v.shape, v.strides, v.offset, rel, "DiagonalBackward0");
}

const diagonal = defineOp({
  name: "diagonal",
  variants: ["function", "method"],
  doc: "A view of the diagonal `offset` of the matrices spanned by dims dim1 and dim2 (offset > 0 above the main diagonal), as a last dim.",
  example: "torch.tensor([[1, 2], [3, 4]]).diagonal() // tensor([1., 4.])",
  overloads: [
    {
      schema:
        "diagonal.Dimname(Tensor(a) self, *, Dimname outdim, Dimname dim1, Dimname dim2, int offset=0) -> Tensor(a)",
      forward: null,
    },
    {
      schema: "diagonal(Tensor(a) self, int offset=0, int dim1=0, int dim2=1) -> Tensor(a)",
      forward: diagonalView,
    },
  ],
}).vf as (self: Tensor, offset: number, dim1: number, dim2: number) => Tensor;

/**
 * diag_embed's kernel: zeros of self's shape with its last dim replaced by two dims (at dim1
 * and dim2 of the result) of size n + |offset|, self copied onto their diagonal `offset`.
 */
function diagEmbedKernel(self: Tensor, k: number, dim1: number, dim2: number): Tensor {
  const nd = self.dim() + 1;
  const [d1, d2] = diagDims(dim1, dim2, nd);
  if (self.dim() === 0) throw indexError("Dimension specified as -1 but tensor has no dimensions");
  const m = Math.abs(k) + self.shape[self.dim() - 1];
  const shape = self.shape.slice(0, -1);
  shape.splice(Math.min(d1, d2), 0, m);
  shape.splice(Math.max(d1, d2), 0, m);
  const out = alloc(shape, self.dtype);
  const diag = diagonalLayout(shape, out.strides, 0, k, d1, d2);
  copyStrided(self.typedArray, self, out.typedArray, diag, self.shape);
  return out;
}

const diagEmbed = defineOp({
  name: "diag_embed",
  variants: ["function", "method"],
  doc: "Matrices (in dims dim1, dim2) whose diagonal `offset` holds the last dim of the input, zeros elsewhere.",
  example: "torch.diagEmbed(torch.tensor([1, 2])) // tensor([[1., 0.], [0., 2.]])",
  overloads: [
    {
      schema: "diag_embed(Tensor self, int offset=0, int dim1=-2, int dim2=-1) -> Tensor",
      forward: diagEmbedKernel,
      derivative: {
        name: "DiagEmbedBackward0",
        save: [],
        attrs: ["offset", "dim1", "dim2"],
        // the adjoint of placing on the diagonal is reading the diagonal
        grad: (g: Tensor, _s: object, a: { offset: number; dim1: number; dim2: number }) => [
          diagonal(g, a.offset, a.dim1, a.dim2),
        ],
        jvp: linear((t, a: { offset: number; dim1: number; dim2: number }) =>
          diagEmbed(t, a.offset, a.dim1, a.dim2),
        ),
      },
    },
  ],
}).vf as (self: Tensor, offset: number, dim1: number, dim2: number) => Tensor;

/** torch.diag: a vector's matrix (placed on diagonal k) or a matrix's diagonal k (a copy) */
function diagKernel(self: Tensor, k: number): Tensor {
  if (self.dim() === 1) {
    const n = self.shape[0];
    const m = n + Math.abs(k);
    const out = alloc([m, m], self.dtype);
    const diag = diagonalLayout([m, m], out.strides, 0, k, 0, 1);
    copyStrided(self.typedArray, self, out.typedArray, diag, self.shape);
    return out;
  }
  if (self.dim() !== 2) throw runtimeError("matrix or a vector expected");
  const v = diagonalLayout(self.shape, self.strides, self.offset, k, 0, 1);
  const out = allocOutput(v.shape, self.dtype);
  copyStrided(self.typedArray, v, out.typedArray, { strides: [1], offset: 0 }, v.shape);
  return out;
}

/**
 * diag_backward: a vector input's gradient is g's diagonal k; a matrix input's is g placed on
 * its diagonal k in zeros (embed: recorded, so it is differentiable again).
 */
function diagBackward(g: Tensor, shape: readonly number[], k: number): Tensor {
  if (shape.length === 1) return diagonal(g, k, 0, 1);
  const rel = diagonalLayout(shape, contiguousStrides(shape), 0, k, 0, 1);
  return V.embed(g, shape, rel.strides, rel.offset);
}

const diag = defineOp({
  name: "diag",
  variants: ["function", "method"],
  out: true,
  doc: "For a vector, the square matrix with it on diagonal `diagonal`; for a matrix, that diagonal as a vector (a copy).",
  example: "torch.diag(torch.tensor([1, 2])) // tensor([[1., 0.], [0., 2.]])",
  overloads: [
    {
      schema: "diag(Tensor self, int diagonal=0) -> Tensor",
      forward: diagKernel,
      derivative: {
        name: "DiagBackward0",
        save: [],
        attrs: ["diagonal"],
        grad: (g: Tensor, _s: object, a: { diagonal: number }, n) => [
          diagBackward(g, n.inputShape(0), a.diagonal),
        ],
        jvp: linear((t, a: { diagonal: number }) => diag(t, a.diagonal)),
      },
    },
  ],
}).vf as (self: Tensor, k: number) => Tensor;

defineOp({
  name: "diagflat",
  variants: ["function", "method"],
  doc: "The square matrix with the flattened input on diagonal `offset`.",
  example: "torch.diagflat(torch.tensor([[1, 2]])) // tensor([[1., 0.], [0., 2.]])",
  overloads: [
    {
      schema: "diagflat(Tensor self, int offset=0) -> Tensor",
      // at::diagflat: self.contiguous().view(-1).diag(offset)
      forward: (self: Tensor, k: number) => diag(V.view(self.contiguous(), [-1]), k),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// movedim / moveaxis / swapaxes / swapdims / unbind

/**
 * at::movedim: the dims at `source` moved to `destination`, the others keeping their order in
 * the remaining places (a permute; a 0-dim tensor gives an alias).
 */
function movedim(self: Tensor, src: number[], dst: number[]): Tensor {
  if (src.length !== dst.length)
    throw runtimeError(
      `movedim: Invalid source or destination dims: source ([${src.join(", ")}] dims) should contain the same number of dims as destination ([${dst.join(", ")}] dims)`,
    );
  const nd = self.dim();
  const ns = src.map((d) => normalizeDim(d, nd));
  const nt = dst.map((d) => normalizeDim(d, nd));
  if (new Set(ns).size !== ns.length)
    throw runtimeError(`movedim: repeated dim in \`source\` ([${src.join(", ")}])`);
  if (new Set(nt).size !== nt.length)
    throw runtimeError(`movedim: repeated dim in \`destination\` ([${dst.join(", ")}])`);
  if (nd === 0) return V.view(self, [], "AliasBackward0");
  const order = new Array<number>(nd).fill(-1);
  ns.forEach((s, i) => (order[nt[i]] = s));
  const rest = self.shape.map((_, i) => i).filter((i) => !ns.includes(i));
  let r = 0;
  for (let i = 0; i < nd; i++) if (order[i] === -1) order[i] = rest[r++];
  return V.permute(self, order);
}

for (const name of ["movedim", "moveaxis"]) {
  defineOp({
    name,
    variants: ["function", "method"],
    doc:
      name === "movedim"
        ? "A view with the dims at `source` moved to `destination` (the other dims keep their order)."
        : "Alias of torch.movedim.",
    example: `torch.zeros(2, 3, 4).${name}(0, 2).shape // [3, 4, 2]`,
    overloads: [
      {
        schema: `${name}.int(Tensor(a) self, int source, int destination) -> Tensor(a)`,
        forward: (self: Tensor, s: number, d: number) => movedim(self, [s], [d]),
      },
      {
        schema: `${name}.intlist(Tensor(a) self, int[] source, int[] destination) -> Tensor(a)`,
        forward: movedim,
      },
    ],
  });
}

for (const [name, a0, a1] of [
  ["swapaxes", "axis0", "axis1"],
  ["swapdims", "dim0", "dim1"],
] as const) {
  defineOp({
    name,
    variants: ["function", "method"],
    doc: "Alias of torch.transpose.",
    example: `torch.zeros(2, 3).${name}(0, 1).shape // [3, 2]`,
    overloads: [
      {
        schema: `${name}(Tensor(a) self, int ${a0}, int ${a1}) -> Tensor(a)`,
        forward: (self: Tensor, d0: number, d1: number) => V.transpose(self, d0, d1),
      },
    ],
  });
  defineOp({
    name: `${name}_`,
    variants: ["method"],
    doc: "Alias of Tensor.transpose_.",
    example: `torch.zeros(2, 3).${name}_(0, 1).shape // [3, 2]`,
    overloads: [
      {
        schema: `${name}_(Tensor(a!) self, int ${a0}, int ${a1}) -> Tensor(a!)`,
        forward: (self: Tensor, d0: number, d1: number) => self.transpose_(d0, d1),
      },
    ],
  });
}

defineOp({
  name: "unbind",
  variants: ["function", "method"],
  doc: "The slices along `dim`, each without that dim (views).",
  example: "torch.unbind(torch.tensor([[1, 2], [3, 4]])) // [tensor([1., 2.]), tensor([3., 4.])]",
  overloads: [
    {
      schema: "unbind.int(Tensor(a -> *) self, int dim=0) -> Tensor(a)[]",
      forward: (self: Tensor, dim: number) => V.unbind(self, dim),
    },
    { schema: "unbind.Dimname(Tensor(a -> *) self, Dimname dim) -> Tensor(a)[]", forward: null },
  ],
});

// ---------------------------------------------------------------------------------------------
// tensor_split / hsplit / vsplit / dsplit

/** at::slice's bounds: negative wraps once, then clamped to [0, size], end >= start */
function sliceView(self: Tensor, d: number, start: number, end: number): Tensor {
  const size = self.shape[d];
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = Math.min(Math.max(start, 0), size);
  end = Math.min(Math.max(end, start), size);
  return V.slice(self, d, start, end, 1);
}

function checkSplittable(self: Tensor): void {
  if (self.dim() === 0)
    throw runtimeError(
      "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims",
    );
}

/** tensor_split.sections: the first size % sections pieces one longer than the others */
function tensorSplitSections(self: Tensor, sections: number, dim: number): Tensor[] {
  checkSplittable(self);
  const d = normalizeDim(dim, self.dim());
  if (sections <= 0)
    throw runtimeError(`number of sections must be larger than 0, got ${sections}`);
  const size = self.shape[d];
  const small = Math.floor(size / sections);
  const extra = size % sections;
  const out: Tensor[] = [];
  let start = 0;
  for (let i = 0; i < sections; i++) {
    const len = i < extra ? small + 1 : small;
    out.push(sliceView(self, d, start, start + len));
    start += len;
  }
  return out;
}

/** tensor_split.indices: the pieces between consecutive indices (slices, clamped) */
function tensorSplitIndices(self: Tensor, indices: number[], dim: number): Tensor[] {
  checkSplittable(self);
  const d = normalizeDim(dim, self.dim());
  const out: Tensor[] = [];
  let start = 0;
  for (const end of indices) {
    out.push(sliceView(self, d, start, end));
    start = end;
  }
  out.push(sliceView(self, d, start, self.shape[d]));
  return out;
}

defineOp({
  name: "tensor_split",
  variants: ["function", "method"],
  doc: "Views of `sections` nearly equal pieces along `dim` (the first size % sections one longer), or of the pieces between the given indices.",
  example: "torch.arange(5).tensorSplit(2) // [tensor([0, 1, 2]), tensor([3, 4])]",
  overloads: [
    {
      schema:
        "tensor_split.tensor_indices_or_sections(Tensor(a -> *) self, Tensor tensor_indices_or_sections, int dim=0) -> Tensor(a)[]",
      forward: (self: Tensor, t: Tensor, dim: number) => {
        checkSplittable(self);
        if (t.dtype.name !== "int64")
          throw runtimeError(
            `tensor_split expected tensor_indices_or_sections to have dtype of long, but got ${scalarTypeName(t.dtype)}`,
          );
        if (t.dim() > 1)
          throw runtimeError(
            `tensor_split expected tensor_indices_or_sections to be a zero-dimensional or one-dimensional tensor, but got a tensor with ${t.dim()} dims`,
          );
        if (t.dim() === 0) return tensorSplitSections(self, Number(t.item()), dim);
        return tensorSplitIndices(self, t.tolist<number[]>(), dim);
      },
    },
    {
      schema: "tensor_split.sections(Tensor(a -> *) self, int sections, int dim=0) -> Tensor(a)[]",
      forward: tensorSplitSections,
    },
    {
      schema: "tensor_split.indices(Tensor(a -> *) self, int[] indices, int dim=0) -> Tensor(a)[]",
      forward: tensorSplitIndices,
    },
  ],
});

for (const [name, minDims, dimOf] of [
  ["hsplit", 1, (t: Tensor) => (t.dim() === 1 ? 0 : 1)],
  ["vsplit", 2, () => 0],
  ["dsplit", 3, () => 2],
] as const) {
  const check = (self: Tensor): number => {
    if (self.dim() < minDims)
      throw runtimeError(
        `torch.${name} requires a tensor with at least ${minDims} dimension, but got a tensor with ${self.dim()} dimensions!`,
      );
    return dimOf(self);
  };
  defineOp({
    name,
    variants: ["function", "method"],
    doc: `tensor_split along dim ${name === "hsplit" ? "1 (0 for a vector)" : name === "vsplit" ? "0" : "2"}: into equal sections (which must divide the size) or at the given indices.`,
    example: `torch.ones(4, 4, 4).${name}(2).length // 2`,
    overloads: [
      {
        schema: `${name}.int(Tensor(a -> *) self, int sections) -> Tensor(a)[]`,
        forward: (self: Tensor, sections: number) => {
          const d = check(self);
          if (sections === 0 || self.shape[d] % sections !== 0)
            throw runtimeError(
              `torch.${name} attempted to split along dimension ${d}, but the size of the dimension ${self.shape[d]} is not divisible by the split_size ${sections}!`,
            );
          return tensorSplitSections(self, sections, d);
        },
      },
      {
        schema: `${name}.array(Tensor(a -> *) self, int[] indices) -> Tensor(a)[]`,
        forward: (self: Tensor, indices: number[]) =>
          tensorSplitIndices(self, indices, check(self)),
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// hstack / vstack / dstack / column_stack / row_stack

/** at::atleast_1d/2d/3d of one tensor: reshape a scalar, unsqueeze the missing dims */
function atLeast(t: Tensor, n: 1 | 2 | 3): Tensor {
  if (t.dim() >= n) return t;
  if (t.dim() === 0) return V.reshape(t, new Array<number>(n).fill(1));
  if (n === 2) return V.unsqueeze(t, 0);
  // n === 3: a vector becomes [1, n, 1], a matrix [r, c, 1]
  return t.dim() === 1 ? V.unsqueeze(V.unsqueeze(t, 0), -1) : V.unsqueeze(t, -1);
}

function checkNonEmpty(tensors: Tensor[], name: string): void {
  if (tensors.length === 0) throw runtimeError(`${name} expects a non-empty TensorList`);
}

function hstack(tensors: Tensor[]): Tensor {
  checkNonEmpty(tensors, "hstack");
  const rep = tensors.map((t) => atLeast(t, 1));
  return V.cat(rep, rep[0].dim() === 1 ? 0 : 1);
}

function vstack(tensors: Tensor[]): Tensor {
  checkNonEmpty(tensors, "vstack");
  return V.cat(
    tensors.map((t) => atLeast(t, 2)),
    0,
  );
}

const stackOps: [string, string, (tensors: Tensor[]) => Tensor][] = [
  ["hstack", "The tensors joined column-wise: along dim 1 (dim 0 for vectors).", hstack],
  ["vstack", "The tensors joined row-wise (along dim 0), vectors as rows.", vstack],
  [
    "dstack",
    "The tensors joined depth-wise (along dim 2), lower-rank tensors made 3-D first.",
    (tensors) => {
      checkNonEmpty(tensors, "dstack");
      return V.cat(
        tensors.map((t) => atLeast(t, 3)),
        2,
      );
    },
  ],
  [
    "column_stack",
    "The tensors joined as columns: scalars and vectors become (n, 1) columns, then hstack.",
    (tensors) => {
      checkNonEmpty(tensors, "column_stack");
      return hstack(tensors.map((t) => (t.dim() <= 1 ? V.reshape(t, [t.numel(), 1]) : t)));
    },
  ],
  ["row_stack", "Alias of torch.vstack.", vstack],
];
for (const [name, doc, forward] of stackOps) {
  defineOp({
    name,
    variants: ["function"],
    out: true,
    doc,
    example: `torch.${camel(name)}([torch.tensor([1, 2]), torch.tensor([3, 4])])`,
    overloads: [{ schema: `${name}(Tensor[] tensors) -> Tensor`, forward }],
  });
}

function camel(name: string): string {
  return name.replace(/_(.)/g, (_, c: string) => c.toUpperCase());
}

// ---------------------------------------------------------------------------------------------
// broadcast_to / broadcast_tensors / unfold / reshape_as / ravel / narrow_copy / unflatten

defineOp({
  name: "broadcast_to",
  variants: ["function", "method"],
  doc: "A view of the tensor broadcast to `size` (expand).",
  example: "torch.broadcastTo(torch.tensor([1, 2]), [2, 2]) // tensor([[1., 2.], [1., 2.]])",
  overloads: [
    {
      schema: "broadcast_to(Tensor(a) self, int[] size) -> Tensor(a)",
      forward: (self: Tensor, size: number[]) => V.expand(self, size),
    },
  ],
});

const broadcastTensors = defineOp({
  name: "broadcast_tensors",
  variants: ["function"],
  doc: "The tensors expanded to their common broadcast shape (a tensor already of that shape is returned as it is).",
  example:
    "torch.broadcastTensors(torch.zeros(2, 1), torch.zeros(3)).map((t) => t.shape) // [[2, 3], [2, 3]]",
  // torch/functional.py's broadcast_tensors(*tensors): _VF.broadcast_tensors(tensors)
  pythonWrapper: { function: "*tensors", body: (tensors: unknown) => broadcastTensors.vf(tensors) },
  overloads: [
    {
      schema: "broadcast_tensors(Tensor[] tensors) -> Tensor[]",
      forward: (tensors: Tensor[]) => {
        let shape: number[] = [];
        tensors.forEach((t) => (shape = inferBroadcast(shape, t.shape)));
        return tensors.map((t) => (shapeEqual(t.shape, shape) ? t : V.expand(t, shape)));
      },
    },
  ],
});

/** at::infer_size: the broadcast of two shapes, with PyTorch's message */
function inferBroadcast(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    const offset = n - 1 - i;
    const da = a.length - 1 - offset;
    const db = b.length - 1 - offset;
    const sa = da >= 0 ? a[da] : 1;
    const sb = db >= 0 ? b[db] : 1;
    if (sa !== sb && sa !== 1 && sb !== 1)
      throw runtimeError(
        `The size of tensor a (${sa}) must match the size of tensor b (${sb}) at non-singleton dimension ${i}`,
      );
    out[i] = sa === 1 ? sb : sa;
  }
  return out;
}

/**
 * unfold_backward: g (the windows, a last dim of `size`) summed back into zeros of the input's
 * shape; each window element j lands at positions w * step + j along `dim`, one embed per j
 * (distinct positions within an embed; overlapping windows add up).
 */
function unfoldBackward(
  g: Tensor,
  shape: readonly number[],
  dim: number,
  size: number,
  step: number,
): Tensor {
  if (shape.length === 0) return g.reshape([]);
  const d = normalizeDim(dim, shape.length);
  const cs = contiguousStrides(shape);
  const strides = cs.slice();
  strides[d] = cs[d] * step;
  let acc: Tensor | null = null;
  for (let j = 0; j < size; j++) {
    const part = V.embed(g.select(-1, j), shape, strides, j * cs[d]);
    acc = acc === null ? part : acc.add(part);
  }
  return acc ?? alloc(shape.slice(), g.dtype);
}

defineOp({
  name: "unfold",
  variants: ["method"],
  doc: "A view of the windows of `size` elements every `step` along `dimension`, as a new last dim.",
  example: "torch.arange(5).unfold(0, 2, 2) // tensor([[0, 1], [2, 3]])",
  overloads: [
    {
      schema: "unfold(Tensor(a) self, int dimension, int size, int step) -> Tensor(a)",
      forward: (self: Tensor, dimension: number, size: number, step: number) => {
        const nd = self.dim();
        const d = normalizeDim(dimension, nd);
        const max = nd === 0 ? 1 : self.shape[d];
        if (size > max)
          throw runtimeError(
            `maximum size for tensor at dimension ${d} is ${max} but size is ${size}`,
          );
        if (step <= 0) throw runtimeError(`step is ${step} but must be > 0`);
        const shape = self.shape.slice();
        const strides = self.strides.slice();
        if (nd > 0) {
          shape[d] = Math.floor((self.shape[d] - size) / step) + 1;
          strides[d] = step * self.strides[d];
        }
        shape.push(size);
        strides.push(nd === 0 ? 1 : self.strides[d]);
        return V.makeView(self, shape, strides, self.offset);
      },
      derivative: {
        name: "UnfoldBackward0",
        save: [],
        attrs: ["dimension", "size", "step"],
        grad: (g: Tensor, _s: object, a: { dimension: number; size: number; step: number }, n) => [
          unfoldBackward(g, n.inputShape(0), a.dimension, a.size, a.step),
        ],
        jvp: linear((t, a: { dimension: number; size: number; step: number }) =>
          t.unfold(a.dimension, a.size, a.step),
        ),
      },
    },
  ],
});

defineOp({
  name: "reshape_as",
  variants: ["method"],
  doc: "self.reshape(other.size()).",
  example: "torch.arange(6).reshapeAs(torch.zeros(2, 3)).shape // [2, 3]",
  overloads: [
    {
      schema: "reshape_as(Tensor(a) self, Tensor other) -> Tensor(a)",
      forward: (self: Tensor, other: Tensor) => V.reshape(self, other.shape.slice()),
    },
  ],
});

defineOp({
  name: "ravel",
  variants: ["function", "method"],
  doc: "The elements as a vector: a view of a contiguous tensor, else of a contiguous copy.",
  example: "torch.tensor([[1, 2], [3, 4]]).ravel() // tensor([1., 2., 3., 4.])",
  overloads: [
    {
      schema: "ravel(Tensor(a) self) -> Tensor(a)",
      // at::ravel: self.contiguous().view(-1)
      forward: (self: Tensor) => V.view(self.contiguous(), [-1]),
    },
  ],
});

/** narrow_copy has no derivative in PyTorch 1.13: recorded with a node that raises */
const narrowCopyNotImplemented = {
  name: "torch::autograd::NotImplemented",
  save: [],
  grad: (): Tensor[] => {
    throw runtimeError("derivative for aten::narrow_copy is not implemented");
  },
  jvp: (): Tensor => {
    throw notImplementedError(
      "Trying to use forward AD with aten::narrow_copy that does not support it.",
    );
  },
};

defineOp({
  name: "narrow_copy",
  variants: ["function", "method"],
  out: true,
  doc: "A contiguous copy of narrow(dim, start, length).",
  example: "torch.arange(5).narrowCopy(0, 1, 3) // tensor([1, 2, 3])",
  overloads: [
    {
      schema: "narrow_copy(Tensor self, int dim, SymInt start, SymInt length) -> Tensor",
      forward: (self: Tensor, dim: number, start: number, length: number) => {
        const v = noGrad(() => V.narrow(self, dim, start, length));
        return wrap(castData(v, v.dtype), v.shape.slice(), v.dtype);
      },
      derivative: narrowCopyNotImplemented,
    },
  ],
});

const unflatten = defineOp({
  name: "unflatten",
  variants: ["function", "method"],
  // Tensor.unflatten is a Python method (torch/_tensor.py): an empty `sizes` is refused there,
  // named sizes (a list of (name, size) pairs) need named tensors; then the builtin
  pythonWrapper: {
    method: "self, dim, sizes",
    body: (self: unknown, dim: unknown, sizes: unknown) => {
      if (Array.isArray(sizes) && sizes.length === 0)
        throw runtimeError("unflatten: sizes must be non-empty");
      return unflatten.vf(self, dim, sizes);
    },
  },
  doc: "A view with dim `dim` split into dims of the given sizes (one may be -1).",
  example: "torch.zeros(2, 6).unflatten(1, [2, 3]).shape // [2, 2, 3]",
  overloads: [
    {
      schema:
        "unflatten.Dimname(Tensor(a) self, Dimname dim, int[] sizes, Dimname[] names) -> Tensor(a)",
      forward: null,
    },
    {
      schema: "unflatten.int(Tensor(a) self, int dim, int[] sizes) -> Tensor(a)",
      forward: (self: Tensor, dim: number, sizes: number[]) => {
        const d = normalizeDim(dim, self.dim());
        if (sizes.length === 0) throw runtimeError("unflatten: sizes must be non-empty");
        let inferred: number[];
        try {
          inferred = inferShape(sizes, self.dim() === 0 ? 1 : self.shape[d]);
        } catch (e) {
          // handle_unflatten_exception: a size mismatch in words, other errors wrapped
          const msg = (e as Error).message;
          if (msg.includes("is invalid for input of size"))
            throw runtimeError(
              `unflatten: Provided sizes [${sizes.join(", ")}] don't multiply up to the size of dim ${d} (${self.shape[d]}) in the input tensor`,
            );
          throw runtimeError(`unflatten got an unexpected error:\n${msg}`);
        }
        const shape = self.shape.slice();
        shape.splice(d, 1, ...inferred);
        return V.view(self, shape);
      },
    },
  ],
});

defineOp({
  name: "adjoint",
  variants: ["function", "method"],
  doc: "A view of the conjugate transpose of each matrix (the last two dims); the transpose, tensorgrad having no complex dtypes.",
  example: "torch.zeros(2, 3).adjoint().shape // [3, 2]",
  overloads: [
    {
      schema: "adjoint(Tensor(a) self) -> Tensor(a)",
      forward: (self: Tensor) => {
        if (self.dim() < 2)
          throw runtimeError(
            `tensor.adjoint() is only supported on matrices or batches of matrices. Got ${self.dim()}-D tensor.`,
          );
        return V.transpose(self, -2, -1);
      },
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// atleast_1d / atleast_2d / atleast_3d / meshgrid (Python functions of torch/functional.py)

for (const n of [1, 2, 3] as const) {
  const op = defineOp({
    name: `atleast_${n}d`,
    variants: ["function"],
    doc: `Each tensor with fewer than ${n} dims as a view with ${n} (${n === 3 ? "a vector becomes [1, n, 1], a matrix [r, c, 1]" : "size-1 dims in front"}); the others as they are. One tensor gives a tensor, several (or a list) a list.`,
    example: `torch.atleast${n}d(torch.tensor(1)).shape // [${new Array(n).fill(1).join(", ")}]`,
    // def atleast_Nd(*tensors): one argument is passed on as it is (a tensor or a list)
    pythonWrapper: {
      function: "*tensors",
      body: (tensors: unknown) => {
        const ts = tensors as unknown[];
        return op.vf(ts.length === 1 ? ts[0] : ts);
      },
    },
    overloads: [
      {
        schema: `atleast_${n}d(Tensor self) -> Tensor`,
        forward: (self: Tensor) => atLeast(self, n),
      },
      {
        schema: `atleast_${n}d.Sequence(Tensor[] tensors) -> Tensor[]`,
        forward: (tensors: Tensor[]) => tensors.map((t) => atLeast(t, n)),
      },
    ],
  });
}

/** at::meshgrid: each input (0-D or 1-D) viewed along its own dim and expanded to the grid */
function meshgrid(tensors: Tensor[], indexing: string): Tensor[] {
  if (tensors.length === 0) throw runtimeError("meshgrid expects a non-empty TensorList");
  for (let i = 0; i + 1 < tensors.length; i++)
    if (tensors[i].dtype !== tensors[i + 1].dtype)
      throw runtimeError("meshgrid expects all tensors to have the same dtype");
  const refs = tensors.slice();
  // xy: the first two inputs swap roles (NumPy's Cartesian indexing), and the grids back
  const swap = indexing === "xy" && refs.length >= 2;
  if (indexing !== "xy" && indexing !== "ij")
    throw runtimeError(
      `torch.meshgrid: indexing must be one of "xy" or "ij", but received: ${indexing}`,
    );
  if (swap) [refs[0], refs[1]] = [refs[1], refs[0]];
  for (const t of refs)
    if (t.dim() > 1)
      throw runtimeError(
        `torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got a ${t.dim()}-D tensor`,
      );
  const shape = refs.map((t) => t.numel());
  const grids = refs.map((t, i) => {
    const viewShape = shape.map((_, j) => (j === i ? -1 : 1));
    return V.expand(V.view(t, viewShape), shape);
  });
  if (swap) [grids[0], grids[1]] = [grids[1], grids[0]];
  return grids;
}

let meshgridWarned = false;

const meshgridOp = defineOp({
  name: "meshgrid",
  variants: ["function"],
  doc: "Coordinate grids of the 0-D or 1-D inputs: grid i is input i expanded along its own dim (indexing 'ij'; 'xy' swaps the first two dims, as NumPy).",
  example:
    'torch.meshgrid(torch.tensor([1, 2]), torch.tensor([3, 4, 5]), { indexing: "ij" })[0].shape // [2, 3]',
  // def meshgrid(*tensors, indexing=None): one list argument is the tensors; no indexing is
  // _VF.meshgrid(tensors), which warns and uses "ij"
  pythonWrapper: {
    function: "*tensors, indexing=None",
    body: (tensors: unknown, indexing: unknown) => {
      let ts = tensors as unknown[];
      if (ts.length === 1 && Array.isArray(ts[0])) ts = ts[0] as unknown[];
      return indexing === null ? meshgridOp.vf(ts) : meshgridOp.vf(ts, { indexing });
    },
  },
  overloads: [
    {
      schema: "meshgrid(Tensor[] tensors) -> Tensor[]",
      forward: (tensors: Tensor[]) => {
        if (!meshgridWarned) {
          meshgridWarned = true;
          console.warn(
            "UserWarning: torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
          );
        }
        return meshgrid(tensors, "ij");
      },
    },
    {
      schema: "meshgrid.indexing(Tensor[] tensors, *, str indexing) -> Tensor[]",
      forward: meshgrid,
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// rot90 / repeat_interleave / tril_indices / triu_indices / new_zeros, new_ones, new_empty, new_full

/**
 * at::rot90: k quarter turns from dims[0] towards dims[1]: one turn is a flip of dims[1] then
 * the two dims swapped (the result keeps the flipped copy's storage with swapped strides, not a
 * view), two a flip of both, three a flip of dims[0] then the swap, none a contiguous copy.
 */
function rot90Kernel(self: Tensor, k: number, dims: number[]): Tensor {
  const nd = self.dim();
  if (dims.length !== 2)
    throw runtimeError(`expected total rotation dims == 2, but got dims = ${dims.length}`);
  if (nd < 2) throw runtimeError(`expected total dims >= 2, but got total dims = ${nd}`);
  const [a, b] = dims;
  if (a === b || Math.abs(a - b) === nd)
    throw runtimeError(
      `expected rotation dims to be different, but got dim0 = ${a} and dim1 = ${b}`,
    );
  if (a >= nd || a < -nd) throw runtimeError(`Rotation dim0 out of range, dim0 = ${a}`);
  if (b >= nd || b < -nd) throw runtimeError(`Rotation dim1 out of range, dim1 = ${b}`);
  const turns = (4 + (k % 4)) % 4;
  if (turns === 0) return wrap(castData(self, self.dtype), self.shape.slice(), self.dtype);
  if (turns === 2) return flipKernel(self, dims);
  const f = flipKernel(self, [turns === 1 ? b : a]);
  const d0 = normalizeDim(a, nd);
  const d1 = normalizeDim(b, nd);
  const shape = f.shape.slice();
  const strides = f.strides.slice();
  [shape[d0], shape[d1]] = [shape[d1], shape[d0]];
  [strides[d0], strides[d1]] = [strides[d1], strides[d0]];
  return new Tensor(f.typedArray, shape, strides, 0, f.dtype);
}

const rot90 = defineOp({
  name: "rot90",
  variants: ["function", "method"],
  doc: "A copy rotated by k quarter turns in the plane of dims (from dims[0] towards dims[1]).",
  example: "torch.rot90(torch.tensor([[1, 2], [3, 4]])) // tensor([[2., 4.], [1., 3.]])",
  overloads: [
    {
      schema: "rot90(Tensor self, int k=1, int[] dims=[0,1]) -> Tensor",
      forward: rot90Kernel,
      derivative: {
        name: "Rot90Backward0",
        save: [],
        attrs: ["k", "dims"],
        // rotated back
        grad: (g: Tensor, _s: object, a: { k: number; dims: number[] }) => [rot90(g, -a.k, a.dims)],
        jvp: linear((t, a: { k: number; dims: number[] }) => rot90(t, a.k, a.dims)),
      },
    },
  ],
}).vf as (self: Tensor, k: number, dims: number[]) => Tensor;

/**
 * repeat_interleave.Tensor: index i repeated repeats[i] times (`repeats` a vector of int32 or
 * int64; the result in its dtype), output_size elements when given.
 */
function repeatInterleaveIndex(repeats: Tensor, outputSize: number | null): Tensor {
  const name = repeats.dtype.name;
  if (name !== "int64" && name !== "int32")
    throw runtimeError(
      `"repeat_interleave_cpu" not implemented for '${scalarTypeName(repeats.dtype)}'`,
    );
  if (repeats.dim() !== 1) throw runtimeError("repeat_interleave only accept 1D vector as repeat");
  const r = castData(repeats, repeats.dtype);
  let total = 0;
  for (let i = 0; i < r.length; i++) total += r[i];
  if (outputSize !== null) total = outputSize;
  else if (r.some((v) => v < 0)) throw runtimeError("repeats can not be negative");
  const out = alloc([total], repeats.dtype);
  const o = out.typedArray;
  let j = 0;
  for (let i = 0; i < r.length && j < total; i++)
    for (let c = 0; c < r[i] && j < total; c++) o[j++] = i;
  return out;
}

/** repeat_interleave(self, repeats, dim): index_select of self at the repeated indices */
function repeatInterleave(
  self: Tensor,
  repeats: Tensor,
  dim: number | null,
  outputSize: number | null,
): Tensor {
  let input = self;
  if (dim === null) {
    input = self.flatten();
    dim = 0;
  }
  const size = input.dim() === 0 ? 1 : input.shape[normalizeDim(dim, input.dim())];
  let reps = repeats;
  if (repeats.dim() === 0 || (repeats.dim() === 1 && repeats.shape[0] === 1))
    reps = noGrad(() => V.expand(V.reshape(repeats, [1]), [size]));
  else if (repeats.dim() === 1) {
    if (repeats.shape[0] !== size)
      throw runtimeError("repeats must have the same size as input along dim");
  } else throw runtimeError("repeats must be 0-dim or 1-dim tensor");
  return input.indexSelect(dim, repeatInterleaveIndex(reps, outputSize));
}

const repeatInterleaveSelf = [
  {
    schema:
      "repeat_interleave.self_Tensor(Tensor self, Tensor repeats, int? dim=None, *, int? output_size=None) -> Tensor",
    forward: repeatInterleave,
  },
  {
    schema:
      "repeat_interleave.self_int(Tensor self, int repeats, int? dim=None, *, int? output_size=None) -> Tensor",
    forward: (self: Tensor, repeats: number, dim: number | null, outputSize: number | null) => {
      const r = alloc([1], int64);
      r.typedArray[0] = repeats;
      return repeatInterleave(self, r, dim, outputSize);
    },
  },
];

defineOp({
  name: "repeat_interleave",
  variants: ["function", "method"],
  doc: "Each element (or each slice along `dim`) repeated `repeats` times in place (repeats: one count, or a count per element); of a vector of counts alone, each index repeated its count.",
  example: "torch.tensor([1, 2]).repeatInterleave(2) // tensor([1., 1., 2., 2.])",
  overloads: [
    ...repeatInterleaveSelf,
    {
      schema: "repeat_interleave.Tensor(Tensor repeats, *, int? output_size=None) -> Tensor",
      forward: repeatInterleaveIndex,
    },
  ],
  methodOverloads: repeatInterleaveSelf,
});

const OPTS =
  "ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None";

for (const [name, lower] of [
  ["tril_indices", true],
  ["triu_indices", false],
] as const) {
  defineOp({
    name,
    variants: ["function"],
    doc: `The coordinates (a 2 x N tensor: rows, then columns, in row-major order) of the ${lower ? "lower" : "upper"} triangle of a row x col matrix, from diagonal \`offset\` ${lower ? "down" : "up"}.`,
    example: `torch.${lower ? "trilIndices" : "triuIndices"}(2, 2) // tensor([[0, ${lower ? "1, 1], [0, 0, 1]" : "0, 1], [0, 1, 1]"}])`,
    overloads: [
      {
        schema: `${name}(int row, int col, int offset=0, *, ScalarType? dtype=long, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor`,
        forward: (
          row: number,
          col: number,
          offset: number,
          dtype: DType | "long" | null,
          _layout: unknown,
          _device: unknown,
          pinMemory: boolean | null,
        ) => {
          if (row < 0) throw runtimeError(`row must be non-negative, got${row}`);
          if (col < 0) throw runtimeError(`col must be non-negative, got${col}`);
          // the schema's default `long`, also for an explicit None
          const dt = dtype instanceof DType ? dtype : int64;
          if (pinMemory === true) return fn("empty")([0], { pinMemory: true }) as Tensor;
          const rows: number[] = [];
          const cols: number[] = [];
          for (let r = 0; r < row; r++) {
            const c0 = lower ? 0 : Math.max(0, r + offset);
            const c1 = lower ? Math.min(col - 1, r + offset) : col - 1;
            for (let c = c0; c <= c1; c++) {
              rows.push(r);
              cols.push(c);
            }
          }
          if (dt.name !== "int64" && dt.name !== "int32")
            throw runtimeError(`"${name}" not implemented for '${scalarTypeName(dt)}'`);
          const out = alloc([2, rows.length], dt);
          out.typedArray.set(rows, 0);
          out.typedArray.set(cols, rows.length);
          return out;
        },
      },
    ],
  });
}

/** new_zeros / new_ones / new_empty / new_full: the factory with self's dtype by default */
for (const [name, factory] of [
  ["new_empty", "empty"],
  ["new_full", "full"],
  ["new_zeros", "zeros"],
  ["new_ones", "ones"],
] as const) {
  const full = name === "new_full";
  defineOp({
    name,
    variants: ["method"],
    doc: `torch.${factory}(size${full ? ", fillValue" : ""}) with this tensor's dtype unless \`dtype\` is given.`,
    example: `torch.ones(2, { dtype: torch.int32 }).${camel(name)}([2]${full ? ", 7" : ""}).dtype // torch.int32`,
    overloads: [
      {
        schema: `${name}(Tensor self, SymInt[] size, ${full ? "Scalar fill_value, " : ""}*, ${OPTS}) -> Tensor`,
        forward: (self: Tensor, size: number[], ...rest: unknown[]) => {
          const [dtype, layout, device, pinMemory] = full ? rest.slice(1) : rest;
          const options = { dtype: dtype ?? self.dtype, layout, device, pinMemory };
          return (
            full ? fn(factory)(size, rest[0], options) : fn(factory)(size, options)
          ) as Tensor;
        },
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// as_strided

/**
 * as_strided's backward edge (AsStridedBackward0): each element's coordinates in self. A view
 * of distinct elements of a contiguous self is an `asStrided` node (its gradient placed into
 * zeros); shared elements or another layout of self go through `index` at the coordinates,
 * whose backward accumulates, as PyTorch's as_strided_backward sums overlapping positions.
 */
function recordAsStrided(self: Tensor, out: Tensor, name: string): void {
  const offs = stridedOffsets(out.shape, out.strides, out.offset);
  const own = stridedOffsets(self.shape, self.strides, self.offset);
  const at = new Map<number, number>();
  for (let k = own.length - 1; k >= 0; k--) at.set(own[k], k);
  const pos = new Float64Array(offs.length);
  for (let k = 0; k < offs.length; k++) {
    const p = at.get(offs[k]);
    if (p === undefined)
      throw notImplementedError(
        "as_strided: tensorgrad differentiates a view of the input's own elements only (this one reaches other elements of its storage)",
      );
    pos[k] = p;
  }
  const distinct = new Set(offs).size === offs.length;
  if (distinct && self.isContiguous()) {
    V.recordStrided(self, out, name, {
      strides: out.strides.slice(),
      offset: out.offset - self.offset,
    });
    return;
  }
  if (self.dim() === 0) {
    record("expand", out, [self], {}, {}, name);
    return;
  }
  const rowMajor = contiguousStrides(self.shape);
  const coords = self.shape.map((size, d) => {
    const c = new Float64Array(pos.length);
    for (let k = 0; k < pos.length; k++) c[k] = Math.floor(pos[k] / rowMajor[d]) % size;
    return wrap(c, out.shape.slice(), int64);
  });
  record("index", out, [self], { indices: coords }, { nIndices: self.dim() }, name);
}

/**
 * as_strided's checks and view, recorded as `nodeName` (as_strided_ makes self this view:
 * AsStridedBackward1).
 */
function asStridedView(
  self: Tensor,
  size: number[],
  stride: number[],
  storageOffset: number | null,
  nodeName = "AsStridedBackward0",
): Tensor {
  if (size.length !== stride.length) throw runtimeError("mismatch in length of strides and shape");
  if (stride.some((s) => s < 0))
    throw runtimeError(
      `as_strided: Negative strides are not supported at the moment, got strides: [${stride.join(", ")}]`,
    );
  if (size.some((s) => s < 0))
    throw runtimeError(
      `Storage size calculation overflowed with sizes=[${size.join(", ")}] and strides=[${stride.join(", ")}]`,
    );
  const offset = storageOffset ?? self.offset;
  if (offset < 0) throw runtimeError(`Tensor: invalid storage offset ${offset}`);
  // setStorage's bounds: the last element addressed must lie inside the storage
  const item = self.dtype.itemsize;
  const n = size.reduce((a, b) => a * b, 1);
  const need = n === 0 ? 0 : offset + 1 + size.reduce((a, s, i) => a + (s - 1) * stride[i], 0);
  if (need * item > self.typedArray.length * item)
    throw runtimeError(
      `setStorage: sizes [${size.join(", ")}], strides [${stride.join(", ")}], storage offset ${offset}, and itemsize ${item} requiring a storage size of ${need * item} are out of bounds for storage of size ${self.typedArray.length * item}`,
    );
  const out = V.makeView(self, size.slice(), stride.slice(), offset);
  if (needsGrad(self)) recordAsStrided(self, out, nodeName);
  return out;
}

defineOp({
  name: "as_strided",
  variants: ["function", "method"],
  doc: "A view of the storage with the given sizes, strides and storage offset (self's by default); strides must not be negative and the view must stay inside the storage.",
  example: "torch.arange(4).asStrided([2, 2], [1, 1]) // tensor([[0, 1], [1, 2]])",
  overloads: [
    {
      schema:
        "as_strided(Tensor(a) self, SymInt[] size, SymInt[] stride, SymInt? storage_offset=None) -> Tensor(a)",
      forward: asStridedView,
    },
  ],
});

defineOp({
  name: "as_strided_",
  variants: ["function", "method"],
  doc: "In place: self becomes the view of its storage with the given sizes, strides and storage offset (as_strided's checks).",
  example: "torch.arange(4).asStrided_([2, 2], [1, 1]) // tensor([[0, 1], [1, 2]])",
  overloads: [
    {
      schema:
        "as_strided_(Tensor(a!) self, SymInt[] size, SymInt[] stride, SymInt? storage_offset=None) -> Tensor(a!)",
      forward: (self: Tensor, size: number[], stride: number[], storageOffset: number | null) =>
        inplaceView(self, (p) =>
          asStridedView(p, size, stride, storageOffset, "AsStridedBackward1"),
        ),
    },
  ],
});
