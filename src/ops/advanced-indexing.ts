/**
 * ATen's advanced indexing (TensorAdvancedIndexing.cpp): `make_info`'s validation and layout
 * of an index list (`structure`), the source offsets it reads (`offsets`), and the two
 * out-of-place primitives built on them, `advancedIndex` (gather, IndexBackward0) and
 * `indexPut` (scatter, IndexPutBackward0). Python's indexing front end (indexing.ts) and the
 * in-place machinery (inplace.ts, Note [CopySlices]) both build on this module.
 */
import type { Tensor } from "../tensor.js";
import { bfloat16, bool, int32, int64, type DType } from "../dtype.js";
import { numelOf, shapeEqual } from "../shape.js";
import { alloc, castData, contiguousData, wrap } from "./core.js";
import { expand, makeView } from "./views.js";
import { anyNeedsGrad, needsGrad, record } from "../autograd/function.js";
import { noGrad } from "../autograd/grad-mode.js";
import { indexError, runtimeError } from "../errors.js";
import { stridedOffsets } from "../backend/copy.js";
import { fromBFloat16Bits, fromHalfBits, toBFloat16Bits, toHalfBits } from "../backend/half.js";

// ---------------------------------------------------------------------------------------------
// Advanced indexing: the plan (result shape and source offsets)

export interface Structure {
  /** the index list with masks expanded to integer tensors (as saved for backward) */
  indices: (Tensor | null)[];
  /** the indexing result's shape */
  shape: number[];
  pre: number[];
  adv: number[];
  post: number[];
  /** broadcast shape of the index tensors */
  bshape: number[];
}

/** nonzero(mask) as one int64 tensor per mask dim. */
function maskCoordinates(mask: Tensor): Tensor[] {
  const { data, offset } = contiguousData(mask);
  const n = mask.numel();
  const nd = mask.dim();
  const coords: number[][] = Array.from({ length: nd }, () => []);
  const pos = new Array<number>(nd).fill(0);
  for (let i = 0; i < n; i++) {
    if (data[offset + i] !== 0) for (let d = 0; d < nd; d++) coords[d].push(pos[d]);
    for (let d = nd - 1; d >= 0; d--) {
      if (++pos[d] < mask.shape[d]) break;
      pos[d] = 0;
    }
  }
  return coords.map((c) => wrap(Float64Array.from(c), [c.length], int64));
}

function broadcastAll(shapes: readonly (readonly number[])[]): number[] | null {
  const nd = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = nd - s.length + i;
      if (s[i] === out[j] || s[i] === 1) continue;
      if (out[j] !== 1) return null;
      out[j] = s[i];
    }
  }
  return out;
}

function shapeStr(s: readonly number[]): string {
  return `[${s.join(", ")}]`;
}

/**
 * make_info: validate the index list against `shape` (PyTorch's checks and messages, in its
 * order) and lay out the result: the broadcast index shape goes where the indexed dims were
 * when they are adjacent, else in front.
 */
export function structure(shape: readonly number[], raw: readonly (Tensor | null)[]): Structure {
  for (const x of raw) {
    if (x !== null && x.dtype !== int64 && x.dtype !== int32 && x.dtype !== bool) {
      throw indexError("tensors used as indices must be long, byte or bool tensors");
    }
  }
  const indices: (Tensor | null)[] = [];
  for (const x of raw) {
    if (x === null || x.dtype !== bool) {
      indices.push(x);
      continue;
    }
    for (let j = 0; j < x.dim(); j++) {
      const src = indices.length + j;
      if (src >= shape.length) {
        const n = Math.max(shape.length, 1);
        throw indexError(
          `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${src})`,
        );
      }
      if (x.shape[j] !== shape[src]) {
        throw indexError(
          `The shape of the mask ${shapeStr(x.shape)} at index ${j} does not match the shape of the indexed tensor ${shapeStr(shape)} at index ${src}`,
        );
      }
    }
    indices.push(...maskCoordinates(x));
  }
  if (indices.length > shape.length) {
    throw indexError(
      `too many indices for tensor of dimension ${shape.length} (got ${indices.length})`,
    );
  }
  const defined = indices.filter((x): x is Tensor => x !== null);
  const bshape = broadcastAll(defined.map((x) => x.shape));
  if (bshape === null) {
    throw indexError(
      `shape mismatch: indexing tensors could not be broadcast together with shapes ${defined.map((x) => shapeStr(x.shape)).join(", ")}`,
    );
  }
  const adv: number[] = [];
  const rest: number[] = [];
  for (let d = 0; d < shape.length; d++) (indices[d] ? adv : rest).push(d);
  const adjacent = adv.length === 0 || adv[adv.length - 1] - adv[0] + 1 === adv.length;
  const pre = adjacent ? rest.filter((d) => adv.length === 0 || d < adv[0]) : [];
  const post = adjacent ? rest.filter((d) => adv.length > 0 && d > adv[0]) : rest;
  if (adv.some((d) => shape[d] === 0) && !bshape.includes(0)) {
    throw indexError("index is out of bounds for dimension with size 0");
  }
  const out = [...pre.map((d) => shape[d]), ...bshape, ...post.map((d) => shape[d])];
  return { indices, shape: out, pre, adv, post, bshape };
}

/**
 * The storage offset of every result element (row-major), for a tensor of `shape` laid out
 * with `strides`/`offset`. Checks the index values as PyTorch's kernel does: only when the
 * result is non-empty, first failing element first, reporting the index's position among the
 * index tensors as its "dimension".
 */
export function offsets(
  st: Structure,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Int32Array {
  const total = numelOf(st.shape);
  const nb = numelOf(st.bshape);
  const advOff = new Float64Array(nb);
  if (total > 0 && st.adv.length > 0) {
    const reads = st.adv.map((d) => {
      const x = st.indices[d] as Tensor;
      const lead = st.bshape.length - x.dim();
      const bstr = st.bshape.map((size, i) =>
        i < lead || x.shape[i - lead] === 1 ? 0 : x.strides[i - lead],
      );
      return { data: x.typedArray, offs: stridedOffsets(st.bshape, bstr, x.offset) };
    });
    for (let b = 0; b < nb; b++) {
      let o = 0;
      for (let j = 0; j < st.adv.length; j++) {
        const d = st.adv[j];
        const size = shape[d];
        const v = reads[j].data[reads[j].offs[b]];
        if (v < -size || v >= size) {
          throw indexError(`index ${v} is out of bounds for dimension ${j} with size ${size}`);
        }
        o += (v < 0 ? v + size : v) * strides[d];
      }
      advOff[b] = o;
    }
  }
  const preOffs = stridedOffsets(
    st.pre.map((d) => shape[d]),
    st.pre.map((d) => strides[d]),
    offset,
  );
  const postOffs = stridedOffsets(
    st.post.map((d) => shape[d]),
    st.post.map((d) => strides[d]),
    0,
  );
  const out = new Int32Array(total);
  if (total === 0) return out;
  let k = 0;
  for (let p = 0; p < preOffs.length; p++) {
    for (let b = 0; b < nb; b++) {
      const base = preOffs[p] + advOff[b];
      for (let q = 0; q < postOffs.length; q++) out[k++] = base + postOffs[q];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The primitives: index (gather) and indexPut (scatter), out of place

/**
 * Advanced indexing of t by a list with one slot per leading dim (null: the dim is taken
 * whole), as ATen's `index(self, indices)`: a copy, recorded as IndexBackward0.
 * @example advancedIndex(torch.eye(3), [null, torch.tensor([0, 2], { dtype: torch.int64 })]) // tensor([[1., 0.], [0., 0.], [0., 1.]])
 */
export function advancedIndex(t: Tensor, indices: readonly (Tensor | null)[]): Tensor {
  const st = structure(t.shape, indices);
  const offs = offsets(st, t.shape, t.strides, t.offset);
  const out = alloc(st.shape, t.dtype);
  const src = t.typedArray;
  const dst = out.typedArray;
  if (t.dtype.lanes === 2) {
    // Note [complex storage]: an element is the (re, im) pair at twice its offset
    for (let k = 0; k < offs.length; k++) {
      dst[2 * k] = src[2 * offs[k]];
      dst[2 * k + 1] = src[2 * offs[k] + 1];
    }
  } else {
    for (let k = 0; k < offs.length; k++) dst[k] = src[offs[k]];
  }
  if (needsGrad(t)) {
    record("index", out, [t], { indices: st.indices }, { nIndices: st.indices.length });
  }
  return out;
}

/** A shape without its leading 1s (PyTorch's slicePrefix1sSize). */
export function stripLeadingOnes(shape: readonly number[]): number[] {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  return shape.slice(i);
}

function expandable(from: readonly number[], to: readonly number[]): boolean {
  if (from.length > to.length) return false;
  const lead = to.length - from.length;
  return from.every((s, i) => s === 1 || s === to[lead + i]);
}

/** values (leading 1s dropped) broadcast to `shape` as contiguous data of `dtype`. */
function valuesData(values: Tensor, shape: number[], dtype: DType): Tensor["typedArray"] {
  const s = stripLeadingOnes(values.shape);
  const drop = values.dim() - s.length;
  const v = makeView(values, s, values.strides.slice(drop), values.offset);
  const e = noGrad(() => expand(v, shape));
  return castData(e, dtype);
}

/**
 * Out-of-place index_put: a copy of self with `values` (broadcast to the indexing result,
 * cast to self's dtype) written at the indexed positions, or added there when `accumulate`
 * (repeated indices then sum; without accumulate the last write wins, as PyTorch's CPU kernel).
 * Recorded as IndexPutBackward0 (or `name`) with inputs [self, values].
 * @example indexPut(torch.zeros(3), [torch.tensor([0, 0], { dtype: torch.int64 })], torch.tensor([1, 2]), true) // tensor([3., 0., 0.])

 */
export function indexPut(
  self: Tensor,
  indices: readonly (Tensor | null)[],
  values: Tensor,
  accumulate: boolean,
  name?: string,
): Tensor {
  const st = structure(self.shape, indices);
  checkValuesShape(values, st.shape, true);
  const out = wrap(castData(self, self.dtype), self.shape.slice(), self.dtype);
  const offs = offsets(st, out.shape, out.strides, 0);
  const v = valuesData(values, st.shape, self.dtype);
  const o = out.typedArray;
  // Note [complex storage]: a complex element is `lanes` = 2 array slots (re, im), each part
  // written or added on its own
  const lanes = self.dtype.lanes;
  if (accumulate && self.dtype === bool) {
    for (let k = 0; k < offs.length; k++) o[offs[k]] = o[offs[k]] !== 0 || v[k] !== 0 ? 1 : 0;
  } else if (accumulate && self.dtype.isHalfStored) {
    // Note [half storage]: bit patterns. ATen's CPU kernel adds in the half type
    // (`*dst += *src` on Half / complex<Half>), so every sum is rounded to it on the way
    const dec = self.dtype === bfloat16 ? fromBFloat16Bits : fromHalfBits;
    const enc = self.dtype === bfloat16 ? toBFloat16Bits : toHalfBits;
    for (let k = 0; k < offs.length; k++) {
      for (let j = 0; j < lanes; j++) {
        const i = lanes * offs[k] + j;
        o[i] = enc(dec(o[i]) + dec(v[lanes * k + j]));
      }
    }
  } else if (accumulate) {
    for (let k = 0; k < offs.length; k++) {
      for (let j = 0; j < lanes; j++) o[lanes * offs[k] + j] += v[lanes * k + j];
    }
  } else {
    for (let k = 0; k < offs.length; k++) {
      for (let j = 0; j < lanes; j++) o[lanes * offs[k] + j] = v[lanes * k + j];
    }
  }
  if (anyNeedsGrad([self, values])) {
    record("indexPut", out, [self, values], { indices: st.indices }, { accumulate }, name);
  }
  return out;
}

/**
 * The value-shape checks of `t[idx] = v`: index_put's message when there are index tensors,
 * else copy_'s (expand) messages. Both drop v's leading 1s first.
 */
export function checkValuesShape(values: Tensor, shape: number[], advanced: boolean): void {
  if (values.dim() === 0 || shapeEqual(values.shape, shape)) return;
  const s = stripLeadingOnes(values.shape);
  if (advanced) {
    if (!expandable(s, shape)) {
      throw runtimeError(
        `shape mismatch: value tensor of shape ${shapeStr(s)} cannot be broadcast to indexing result of shape ${shapeStr(shape)}`,
      );
    }
    return;
  }
  valuesData(values, shape, values.dtype); // throws expand's messages
}
