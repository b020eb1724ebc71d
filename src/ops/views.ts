/**
 * Views and shape ops. Views share storage (and the version counter) with their base: only
 * shape, strides and offset change, no kernel runs. cat/stack/split/gather live here too.
 */
import { Tensor, type CreationMeta } from "../tensor.js";
import { DType, promoteTypes, int64, realLayout } from "../dtype.js";
import {
  contiguousStrides,
  inferShape,
  normalizeDim,
  numelOf,
  shapeEqual,
  viewStrides,
} from "../shape.js";
import {
  alloc,
  allocLike,
  allocOutput,
  castData,
  checkTensor,
  contiguousData,
  onDevice,
  wrap,
  writeInto,
} from "./core.js";
import { anyNeedsGrad, needsGrad, recordWith, derivativeSlots } from "../autograd/function.js";
import { isGradEnabled, isInferenceModeEnabled, noGrad } from "../autograd/grad-mode.js";
import { indexError, runtimeError, typeError } from "../errors.js";
import { scatter, stridedOffsets, tryNativeCopy } from "../backend/copy.js";

/** Note [derivative slots] */
const DEFS = derivativeSlots([
  "view",
  "transpose",
  "permute",
  "expand",
  "squeeze",
  "unsqueeze",
  "asStrided",
  "embed",
  "cat",
  "split",
  "unbind",
]);

/** A view of t's storage with a new layout (no autograd). */
export function makeView(t: Tensor, shape: number[], strides: number[], offset: number): Tensor {
  const out = new Tensor(t.typedArray, shape, strides, offset, t.dtype, t._version, t._base ?? t);
  // Note [view regeneration]: the mode the view is made in (a view of a view inherits a
  // non-default one)
  if (!isGradEnabled())
    out._creationMeta = creationMeta(t, isInferenceModeEnabled() ? "inference" : "noGrad");
  else if (t._base !== null) out._creationMeta = t._creationMeta;
  return out;
}

/** PyTorch's propagate_creation_meta for a view of `t` made with `meta` ("default": t's). */
function creationMeta(t: Tensor, meta: CreationMeta): CreationMeta {
  if (t._base === null) return meta;
  if (meta === "default" || t._creationMeta === "inference") return t._creationMeta;
  return meta;
}

/**
 * Tensor.view(*shape): same storage, new shape; fails when strides do not allow it.
 * @example torch.arange(6).view(2, 3)
 */
export function view(t: Tensor, shape: number[], name = "ViewBackward0"): Tensor {
  const s = inferShape(shape, t.numel());
  const st = viewStrides(t.shape, t.strides, s);
  if (st === null) {
    throw runtimeError(
      "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
    );
  }
  const out = makeView(t, s, st, t.offset);
  if (needsGrad(t)) recordWith(DEFS.view.def, "view", out, [t], {}, { name });
  return out;
}

/**
 * ATen's _unsafe_view: `t`'s storage under a new shape, recorded as UnsafeViewBackward0 (or
 * `name`), but not a view: for results of ops that reshape a fresh temporary only they hold
 * (matmul's folded products), so in-place ops on the result move its own history (it has no
 * base to go through), as in PyTorch.
 */
export function unsafeView(t: Tensor, shape: number[], name = "UnsafeViewBackward0"): Tensor {
  const s = inferShape(shape, t.numel());
  const st = viewStrides(t.shape, t.strides, s);
  // (a layout that cannot take the shape gets a contiguous copy of the values)
  const out =
    st !== null
      ? new Tensor(t.typedArray, s, st, t.offset, t.dtype)
      : wrap(castData(t, t.dtype), s, t.dtype);
  if (needsGrad(t)) recordWith(DEFS.view.def, "view", out, [t], {}, { name });
  return out;
}

/** Tensor.reshape(*shape): a view when possible, else a copy. */
export function reshape(t: Tensor, shape: number[]): Tensor {
  const s = inferShape(shape, t.numel());
  const st = viewStrides(t.shape, t.strides, s);
  if (st !== null) {
    const out = makeView(t, s, st, t.offset);
    if (needsGrad(t))
      recordWith(DEFS.view.def, "view", out, [t], {}, { name: "ReshapeAliasBackward0" });
    return out;
  }
  // as PyTorch: a copy (CloneBackward0), then _unsafe_view (UnsafeViewBackward0)
  const c = t.clone({ memoryFormat: "contiguous_format" });
  const out = wrap(c.typedArray, s, t.dtype);
  if (needsGrad(c))
    recordWith(DEFS.view.def, "view", out, [c], {}, { name: "UnsafeViewBackward0" });
  return out;
}

/** Tensor.flatten(startDim=0, endDim=-1) */
export function flatten(t: Tensor, startDim = 0, endDim = -1): Tensor {
  if (t.dim() === 0) return reshape(t, [1]);
  const s = normalizeDim(startDim, t.dim());
  const e = normalizeDim(endDim, t.dim());
  if (s > e) throw runtimeError("flatten() has invalid args: start_dim cannot come after end_dim");
  if (s === e) return t;
  const shape = t.shape
    .slice(0, s)
    .concat([numelOf(t.shape.slice(s, e + 1))], t.shape.slice(e + 1));
  return reshape(t, shape);
}

/** Tensor.transpose(dim0, dim1) */
export function transpose(
  t: Tensor,
  dim0: number,
  dim1: number,
  name = "TransposeBackward0",
): Tensor {
  const nd = t.dim();
  const a = normalizeDim(dim0, nd);
  const b = normalizeDim(dim1, nd);
  const shape = t.shape.slice();
  const strides = t.strides.slice();
  if (nd > 0) {
    [shape[a], shape[b]] = [shape[b], shape[a]];
    [strides[a], strides[b]] = [strides[b], strides[a]];
  }
  const out = makeView(t, shape, strides, t.offset);
  if (needsGrad(t))
    recordWith(DEFS.transpose.def, "transpose", out, [t], {}, { dim0: a, dim1: b, name });
  return out;
}

/** Tensor.t(): transpose of a matrix (vectors unchanged). */
export function t2(t: Tensor): Tensor {
  if (t.dim() > 2) {
    throw runtimeError(`t() expects a tensor with <= 2 dimensions, but self is ${t.dim()}D`);
  }
  if (t.dim() < 2) {
    const out = makeView(t, t.shape.slice(), t.strides.slice(), t.offset);
    if (needsGrad(t))
      recordWith(
        DEFS.transpose.def,
        "transpose",
        out,
        [t],
        {},
        { dim0: 0, dim1: 0, name: "TBackward0" },
      );
    return out;
  }
  return transpose(t, 0, 1, "TBackward0");
}

/** Tensor.permute(*dims) */
export function permute(t: Tensor, dims: number[]): Tensor {
  const nd = t.dim();
  if (dims.length !== nd) {
    throw runtimeError(
      `permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${nd} is not equal to len(dims) = ${dims.length}`,
    );
  }
  const d = dims.map((x) => normalizeDim(x, nd));
  if (new Set(d).size !== d.length)
    throw runtimeError("permute(): duplicate dims are not allowed.");
  const out = makeView(
    t,
    d.map((i) => t.shape[i]),
    d.map((i) => t.strides[i]),
    t.offset,
  );
  if (needsGrad(t)) recordWith(DEFS.permute.def, "permute", out, [t], {}, { dims: d });
  return out;
}

/** Tensor.expand(*sizes): broadcast to a larger shape without copying (-1 keeps a size). */
export function expand(t: Tensor, sizes: number[]): Tensor {
  const nd = t.dim();
  if (sizes.length < nd) {
    throw runtimeError(
      `expand(${t.dtype.tensorTypeName}{[${t.shape.join(", ")}]}, size=[${sizes.join(", ")}]): the number of sizes provided (${sizes.length}) must be greater or equal to the number of dimensions in the tensor (${nd})`,
    );
  }
  const lead = sizes.length - nd;
  const shape = new Array<number>(sizes.length);
  const strides = new Array<number>(sizes.length);
  // ATen's inferExpandGeometry, from the last dim: a leading dim is a size-1 dim whose stride
  // continues the next one's; -1 keeps a size (not in a leading dim); a size-1 dim takes any
  // size (even a negative one) with stride 0
  for (let i = sizes.length - 1; i >= 0; i--) {
    const j = i - lead;
    let size = j >= 0 ? t.shape[j] : 1;
    let stride = j >= 0 ? t.strides[j] : i + 1 < sizes.length ? shape[i + 1] * strides[i + 1] : 1;
    let want = sizes[i];
    if (want === -1) {
      if (j < 0)
        throw runtimeError(
          `The expanded size of the tensor (${want}) isn't allowed in a leading, non-existing dimension ${i}`,
        );
      want = size;
    }
    if (size !== want) {
      if (size !== 1)
        throw runtimeError(
          `The expanded size of the tensor (${want}) must match the existing size (${size}) at non-singleton dimension ${i}.  Target sizes: [${sizes.join(", ")}].  Tensor sizes: [${t.shape.join(", ")}]`,
        );
      size = want;
      stride = 0;
    }
    shape[i] = size;
    strides[i] = stride;
  }
  // the result's numel, as a product of unsigned 64-bit sizes: a negative size overflows it
  // unless another size is 0
  if (shape.some((s) => s < 0) && !shape.includes(0))
    throw runtimeError("numel: integer multiplication overflow");
  const out = makeView(t, shape, strides, t.offset);
  if (needsGrad(t)) recordWith(DEFS.expand.def, "expand", out, [t], {}, {});
  return out;
}

/** Tensor.squeeze(dim?) */
export function squeeze(t: Tensor, dim?: number): Tensor {
  let keep: number[];
  if (dim === undefined) keep = t.shape.map((_, i) => i).filter((i) => t.shape[i] !== 1);
  else {
    const d = normalizeDim(dim, t.dim());
    keep = t.shape.map((_, i) => i).filter((i) => i !== d || t.dim() === 0 || t.shape[i] !== 1);
  }
  const out = makeView(
    t,
    keep.map((i) => t.shape[i]),
    keep.map((i) => t.strides[i]),
    t.offset,
  );
  if (needsGrad(t))
    recordWith(
      DEFS.squeeze.def,
      "squeeze",
      out,
      [t],
      {},
      { name: dim === undefined ? "SqueezeBackward0" : "SqueezeBackward1" },
    );
  return out;
}

/** Tensor.unsqueeze(dim) */
export function unsqueeze(t: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, t.dim() + 1);
  const shape = t.shape.slice();
  const strides = t.strides.slice();
  const st = d < t.dim() ? shape[d] * strides[d] : 1;
  shape.splice(d, 0, 1);
  strides.splice(d, 0, st);
  const out = makeView(t, shape, strides, t.offset);
  if (needsGrad(t)) recordWith(DEFS.unsqueeze.def, "unsqueeze", out, [t], {}, { dim: d });
  return out;
}

/**
 * Note [strided views for autograd]: select, narrow and slicing record an `asStrided` node
 * whose strides and offset are relative to a *contiguous* tensor of the input's shape, so the
 * backward (`embed`) can place the gradient into fresh zeros without knowing the input's
 * memory layout.
 */
export function stridedView(
  t: Tensor,
  shape: number[],
  strides: number[],
  offset: number,
  rel: { strides: number[]; offset: number },
  name: string,
): Tensor {
  const out = makeView(t, shape, strides, offset);
  if (needsGrad(t)) {
    recordWith(
      DEFS.asStrided.def,
      "asStrided",
      out,
      [t],
      {},
      { name, shape, strides: rel.strides, offset: rel.offset },
    );
  }
  return out;
}

/**
 * Record an existing view `out` of t as an `asStrided` node named `name` (its strides and
 * offset relative to a contiguous tensor of t's shape, Note [strided views for autograd]).
 */
export function recordStrided(
  t: Tensor,
  out: Tensor,
  name: string,
  rel: { strides: number[]; offset: number },
): void {
  recordWith(
    DEFS.asStrided.def,
    "asStrided",
    out,
    [t],
    {},
    {
      name,
      shape: out.shape.slice(),
      strides: rel.strides,
      offset: rel.offset,
    },
  );
}

/** Tensor.select(dim, index): the slice at `index`, without dim. */
export function select(t: Tensor, dim: number, index: number): Tensor {
  if (t.dim() === 0) throw indexError("select() cannot be applied to a 0-dim tensor.");
  const d = normalizeDim(dim, t.dim());
  const size = t.shape[d];
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw indexError(
      `select(): index ${index} out of range for tensor of size [${t.shape.join(", ")}] at dimension ${d}`,
    );
  }
  const i = index < 0 ? index + size : index;
  const cs = contiguousStrides(t.shape);
  const shape = t.shape.filter((_, k) => k !== d);
  const strides = t.strides.filter((_, k) => k !== d);
  const relStrides = cs.filter((_, k) => k !== d);
  return stridedView(
    t,
    shape,
    strides,
    t.offset + i * t.strides[d],
    { strides: relStrides, offset: i * cs[d] },
    "SelectBackward0",
  );
}

/**
 * Tensor.narrow(dim, start, length): `length` elements from `start` along dim (a view).
 * `start` may be a 0-dim integer tensor (PyTorch's narrow.Tensor overload).
 * @example torch.arange(8).view(2, 4).narrow(1, torch.tensor(1, { dtype: torch.int64 }), 2) // tensor([[1, 2], [5, 6]])
 */
export function narrow(t: Tensor, dim: number, start: number | Tensor, length: number): Tensor {
  if (start instanceof Tensor) {
    if (start.dim() !== 0 || start.dtype.category !== 1)
      throw runtimeError("start must be an 0-dim integral Tensor.");
    start = Number(start.item());
  }
  if (t.dim() === 0) throw runtimeError("narrow() cannot be applied to a 0-dim tensor.");
  const d = normalizeDim(dim, t.dim());
  const size = t.shape[d];
  // start == size is valid (an empty slice at the end) but not a valid dim to wrap
  const s = start === size ? start : normalizeDim(start, size);
  if (length < 0 || s > size - length) {
    throw runtimeError(`start (${s}) + length (${length}) exceeds dimension size (${size}).`);
  }
  return slice(t, d, s, s + length, 1);
}

/** A step slice [start:stop:step] along dim (bounds already clamped and normalised). */
export function slice(t: Tensor, d: number, start: number, stop: number, step: number): Tensor {
  const len = Math.max(0, Math.ceil((stop - start) / step));
  const cs = contiguousStrides(t.shape);
  const shape = t.shape.slice();
  const strides = t.strides.slice();
  shape[d] = len;
  strides[d] = t.strides[d] * step;
  const rel = cs.slice();
  rel[d] = cs[d] * step;
  return stridedView(
    t,
    shape,
    strides,
    t.offset + start * t.strides[d],
    { strides: rel, offset: start * cs[d] },
    "SliceBackward0",
  );
}

/** Place g into zeros of `shape` at the positions of a view (strides/offset relative to contiguous). */
export function embed(
  g: Tensor,
  shape: readonly number[],
  strides: number[],
  offset: number,
): Tensor {
  const dev = onDevice(g);
  const out = dev ? allocLike(g, shape.slice(), g.dtype) : alloc(shape.slice(), g.dtype);
  // g's layout straight to its place in one strided copy, or through a contiguous copy of g
  // (a contiguous g may start at an offset, e.g. a narrowed gradient); on the device, the
  // device's strided copy (Note [device dispatch] in ops/webgpu.ts)
  if (dev) writeInto(new Tensor(out.typedArray, g.shape, strides, offset, g.dtype), g);
  else if (g.dtype.isComplex) {
    // Note [complex storage]: the copy runs on the real layouts (a trailing dim of 2)
    const src = contiguousData(g);
    const data = src.offset === 0 ? src.data : src.data.subarray(src.offset);
    scatter(data, out.typedArray, realLayout({ shape: g.shape.slice(), strides, offset }));
  } else if (
    !tryNativeCopy(
      g.typedArray,
      g.offset,
      g.strides,
      out.typedArray,
      offset,
      strides,
      g.shape,
      g.numel(),
    )
  ) {
    const src = contiguousData(g);
    const data = src.offset === 0 ? src.data : src.data.subarray(src.offset);
    scatter(data, out.typedArray, { shape: g.shape, strides, offset });
  }
  if (needsGrad(g))
    recordWith(DEFS.embed.def, "embed", out, [g], {}, { shape: g.shape.slice(), strides, offset });
  return out;
}

/** The view (strides/offset relative to contiguous) of g's values. */
export function asStridedOfContiguous(
  g: Tensor,
  viewShape: readonly number[],
  strides: number[],
  offset: number,
): Tensor {
  const c = g.isContiguous() ? g : noGrad(() => g.contiguous());
  const out = makeView(c, viewShape.slice(), strides.slice(), c.offset + offset);
  if (needsGrad(g)) {
    recordWith(
      DEFS.asStrided.def,
      "asStrided",
      out,
      [g],
      {},
      { name: "AsStridedBackward0", shape: viewShape.slice(), strides, offset },
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Joining and splitting

/**
 * torch.cat(tensors, dim=0)
 * @example torch.cat([torch.zeros(2, 1), torch.ones(2, 2)], 1) // tensor([[0., 1., 1.], [0., 1., 1.]])

 */
export function cat(tensors: readonly Tensor[], dim = 0, name = "CatBackward0"): Tensor {
  if (!Array.isArray(tensors))
    throw typeError(
      "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not " + typeof tensors,
    );
  if (tensors.length === 0) throw runtimeError("torch.cat(): expected a non-empty list of Tensors");
  tensors.forEach((t, i) => checkTensor(t, "cat", `tensors[${i}]`, 1));
  // legacy rule: 1-D empty tensors are skipped
  const parts = tensors.filter((t) => !(t.dim() === 1 && t.shape[0] === 0));
  const ref = parts.length > 0 ? parts[0] : tensors[0];
  const nd = ref.dim();
  if (nd === 0)
    throw runtimeError(`zero-dimensional tensor (at position 0) cannot be concatenated`);
  const d = normalizeDim(dim, nd);
  let dtype: DType = tensors[0].dtype;
  for (const t of tensors) dtype = promoteTypes(dtype, t.dtype);
  let total = 0;
  parts.forEach((t, i) => {
    if (t.dim() !== nd) {
      throw runtimeError(`Tensors must have same number of dimensions: got ${nd} and ${t.dim()}`);
    }
    for (let k = 0; k < nd; k++) {
      if (k !== d && t.shape[k] !== ref.shape[k]) {
        throw runtimeError(
          `Sizes of tensors must match except in dimension ${d}. Expected size ${ref.shape[k]} but got size ${t.shape[k]} for tensor number ${i} in the list.`,
        );
      }
    }
    total += t.shape[d];
  });
  const shape = ref.shape.slice();
  shape[d] = total;
  // the parts cover every element
  const out = allocOutput(shape, dtype);
  const outStrides = out.strides;
  let start = 0;
  for (const t of parts) {
    if (dtype.isComplex) {
      // Note [complex storage]: the copy runs on the real layouts (a trailing dim of 2)
      const src = t.dtype === dtype ? contiguousData(t) : { data: castData(t, dtype), offset: 0 };
      const data = src.offset === 0 ? src.data : src.data.subarray(src.offset);
      const place = { shape: t.shape, strides: outStrides, offset: start * outStrides[d] };
      scatter(data, out.typedArray, realLayout(place));
      start += t.shape[d];
      continue;
    }
    // a part of the output's dtype: one strided copy from its layout to its place
    if (
      t.dtype === dtype &&
      tryNativeCopy(
        t.typedArray,
        t.offset,
        t.strides,
        out.typedArray,
        start * outStrides[d],
        outStrides,
        t.shape,
        t.numel(),
      )
    ) {
      start += t.shape[d];
      continue;
    }
    const src = t.dtype === dtype ? contiguousData(t) : { data: castData(t, dtype), offset: 0 };
    const data = src.offset === 0 ? src.data : src.data.subarray(src.offset);
    scatter(data, out.typedArray, {
      shape: t.shape,
      strides: outStrides,
      offset: start * outStrides[d],
    });
    start += t.shape[d];
  }
  if (anyNeedsGrad(tensors)) {
    const sizes = tensors.map((t) =>
      t.dim() === 1 && t.shape[0] === 0 && nd !== 1 ? 0 : t.shape[d],
    );
    // skipped empty 1-D inputs get an empty slice; the engine sums it back to shape [0]
    recordWith(DEFS.cat.def, "cat", out, tensors as Tensor[], {}, { dim: d, sizes }, name);
  }
  return out;
}

/** torch.stack(tensors, dim=0): join along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw runtimeError("stack expects a non-empty TensorList");
  const d = normalizeDim(dim, tensors[0].dim() + 1);
  tensors.forEach((t, i) => {
    if (!shapeEqual(t.shape, tensors[0].shape)) {
      throw runtimeError(
        `stack expects each tensor to be equal size, but got [${tensors[0].shape.join(", ")}] at entry 0 and [${t.shape.join(", ")}] at entry ${i}`,
      );
    }
  });
  // one StackBackward0 node whose edges go to the inputs themselves, as PyTorch
  const out = noGrad(() =>
    cat(
      tensors.map((t) => unsqueeze(t, d)),
      d,
    ),
  );
  if (anyNeedsGrad(tensors)) {
    const sizes = tensors.map(() => 1);
    recordWith(
      DEFS.cat.def,
      "cat",
      out,
      tensors as Tensor[],
      {},
      { dim: d, sizes, stack: true },
      "StackBackward0",
    );
  }
  return out;
}

/**
 * torch.split(tensor, splitSizeOrSections, dim=0): views of consecutive pieces.
 * @example torch.arange(5).split(2) // [tensor([0, 1]), tensor([2, 3]), tensor([4])]
 */
export function split(
  t: Tensor,
  sizeOrSections: number | readonly number[],
  dim = 0,
  /** unsafe_split: the outputs may be modified in place (no multi-output view guard) */
  unsafe = false,
): Tensor[] {
  const d = normalizeDim(dim, t.dim());
  const size = t.shape[d];
  let sizes: number[];
  if (typeof sizeOrSections === "number") {
    if (sizeOrSections <= 0 && size > 0)
      throw runtimeError(
        `split_size can only be 0 if dimension size is 0, but got dimension size of ${size}`,
      );
    sizes = [];
    for (let s = 0; s < size; s += sizeOrSections) sizes.push(Math.min(sizeOrSections, size - s));
    if (sizes.length === 0) sizes.push(0);
  } else {
    sizes = sizeOrSections.slice();
    const tot = sizes.reduce((a, b) => a + b, 0);
    if (tot !== size) {
      throw runtimeError(
        `split_with_sizes expects split_sizes to sum exactly to ${size} (input tensor's size at dimension ${d}), but got split_sizes=[${sizes.join(", ")}]`,
      );
    }
  }
  const outs: Tensor[] = [];
  let start = 0;
  noGrad(() => {
    for (const s of sizes) {
      outs.push(slice(t, d, start, start + s, 1));
      start += s;
    }
  });
  if (needsGrad(t)) {
    const name =
      typeof sizeOrSections === "number"
        ? unsafe
          ? "UnsafeSplitBackward0"
          : undefined
        : unsafe
          ? "UnsafeSplitWithSizesBackward0"
          : "SplitWithSizesBackward0";
    recordWith(DEFS.split.def, "split", outs, [t], {}, { dim: d }, name);
  }
  // outputs of an op returning several views: never modified in place (Note [view regeneration])
  if (isGradEnabled() && !unsafe) {
    const meta = creationMeta(t, "multiOutput");
    for (const o of outs) o._creationMeta = meta;
  }
  return outs;
}

/**
 * torch.unbind(tensor, dim=0): the slices along dim, each without it (select views), recorded
 * as one UnbindBackward0 node whose backward stacks the gradients (zeros where none).
 */
export function unbind(t: Tensor, dim = 0): Tensor[] {
  if (t.dim() === 0) throw indexError(`Dimension specified as ${dim} but tensor has no dimensions`);
  const d = normalizeDim(dim, t.dim());
  const outs = noGrad(() => Array.from({ length: t.shape[d] }, (_, i) => select(t, d, i)));
  if (needsGrad(t)) recordWith(DEFS.unbind.def, "unbind", outs, [t], {}, { dim: d });
  // outputs of an op returning several views: never modified in place (Note [view regeneration])
  if (isGradEnabled()) {
    const meta = creationMeta(t, "multiOutput");
    for (const o of outs) o._creationMeta = meta;
  }
  return outs;
}

/** torch.chunk(tensor, chunks, dim=0) (unsafe: torch.unsafe_chunk, see split) */
export function chunk(t: Tensor, chunks: number, dim = 0, unsafe = false): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0)
    throw runtimeError("chunk expects `chunks` to be greater than 0, got: " + chunks);
  const d = normalizeDim(dim, t.dim());
  const each = Math.ceil(t.shape[d] / chunks);
  return split(t, Math.max(each, t.shape[d] === 0 ? 1 : each), d, unsafe);
}

// ---------------------------------------------------------------------------------------------
// gather / scatter_add / index_select

function checkIndex(index: Tensor, fn: string): void {
  if (index.dtype !== int64) {
    throw runtimeError(`${fn}(): Expected dtype int64 for index`);
  }
}

/** Offsets into `t` for each position of `index` with the index value replacing `dim`. */
function gatherOffsets(t: Tensor, index: Tensor, d: number): Int32Array {
  if (index.dim() !== t.dim() && !(index.dim() <= 1 && t.dim() <= 1)) {
    throw runtimeError("Index tensor must have the same number of dimensions as input tensor");
  }
  const idx = contiguousData(index);
  const n = index.numel();
  const nd = index.dim();
  const out = new Int32Array(n);
  const pos = new Array<number>(nd).fill(0);
  const size = t.dim() === 0 ? 1 : t.shape[d];
  for (let i = 0; i < n; i++) {
    const v = idx.data[idx.offset + i];
    if (v < -size || v >= size) {
      throw runtimeError(`index ${v} is out of bounds for dimension ${d} with size ${size}`);
    }
    let off = t.offset;
    for (let k = 0; k < nd; k++) {
      if (k !== d && pos[k] >= t.shape[k]) {
        throw runtimeError(
          `Size does not match at dimension ${k} expected index [${index.shape.join(", ")}] to be smaller than self [${t.shape.join(", ")}] apart from dimension ${d}`,
        );
      }
      off += (k === d ? (v < 0 ? v + size : v) : pos[k]) * (t.strides[k] ?? 0);
    }
    out[i] = off;
    for (let k = nd - 1; k >= 0; k--) {
      if (++pos[k] < index.shape[k]) break;
      pos[k] = 0;
    }
  }
  return out;
}

/** torch.gather(input, dim, index): out[i][j] = input[index[i][j]][j] (dim 0). */
export function gather(t: Tensor, dim: number, index: Tensor): Tensor {
  checkIndex(index, "gather");
  const d = normalizeDim(dim, t.dim());
  const offs = gatherOffsets(t, index, d);
  const out = alloc(index.shape.slice(), t.dtype);
  const o = out.typedArray;
  for (let i = 0; i < offs.length; i++) o[i] = t.typedArray[offs[i]];
  return out; // recorded by the registry (GatherBackward0)
}

/** Tensor.scatter_add(dim, index, src), out of place: self + src summed at index. */
export function scatterAdd(t: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkIndex(index, "scatter_add");
  const d = normalizeDim(dim, t.dim());
  const out = alloc(t.shape.slice(), t.dtype);
  const self = contiguousData(t);
  out.typedArray.set(self.data.subarray(self.offset, self.offset + t.numel()));
  const offs = gatherOffsets(out, index, d);
  // src positions follow index's shape
  const srcOffs = stridedOffsets(index.shape, src.strides.slice(0, index.dim()), src.offset);
  const o = out.typedArray;
  for (let i = 0; i < offs.length; i++) o[offs[i]] += src.typedArray[srcOffs[i]];
  return out; // recorded by the registry (ScatterAddBackward0)
}

/**
 * torch.index_select(input, dim, index): the slices of input at `index` (a vector or a 0-dim
 * tensor of int32/int64 in [0, size)) along dim. A 0-dim input gives a 0-dim result.
 * @example torch.arange(6).view(2, 3).indexSelect(1, torch.tensor([2, 0], { dtype: torch.int64 }))
 */
export function indexSelect(t: Tensor, dim: number, index: Tensor): Tensor {
  if (index.dim() > 1) throw indexError("index_select(): Index is supposed to be a vector");
  if (index.dtype !== int64 && index.dtype.name !== "int32") {
    throw runtimeError("index_select(): Expected dtype int32 or int64 for index");
  }
  const d = normalizeDim(dim, t.dim());
  const k = index.numel();
  const size = t.dim() === 0 ? 1 : t.shape[d];
  const src = contiguousData(index);
  for (let i = 0; i < k; i++) {
    const v = src.data[src.offset + i];
    if (v < 0 || v >= size) throw indexError("index out of range in self");
  }
  if (t.dim() === 0) {
    // a scalar input: the 0-dim gather of its one element, as PyTorch's CPU kernel
    return gather(t, 0, alloc([], int64));
  }
  const shape = t.shape.slice();
  shape[d] = k;
  // index reshaped to broadcast along every other dim, then gathered
  const idxShape = t.shape.map((_, i) => (i === d ? k : 1));
  const idx = noGrad(() => reshape(index.to(int64), idxShape).expand(shape).contiguous());
  return gather(t, d, idx); // recorded by the registry (IndexSelectBackward0)
}
