/**
 * Linear algebra: mm, bmm, mv, dot are primitives over one strided matmul kernel (transposed
 * operands need no copy); matmul applies PyTorch's 1-D/2-D/batched broadcasting rules on top.
 */
import { Tensor } from "../tensor.js";
import { matmul as matmulKernel } from "../backend/matmul.js";
import { broadcastShapes, numelOf } from "../shape.js";
import { alloc, allocOutput, checkTensor, scalarTypeName } from "./core.js";
import { needsGrad, record } from "../autograd/function.js";
import { runtimeError } from "../errors.js";
import { expand, reshape, t2, transpose, unsafeView, unsqueeze } from "./views.js";

/**
 * Whether a matrix is column-major (a transposed contiguous matrix, as `W.t()` in linear):
 * recorded by mm and addmm, as PyTorch saves their inputs' strides, so the backward returns
 * each gradient in its input's layout (formula-ops.ts mmMat1Backward/mmMat2Backward).
 */
export function columnMajor(m: Tensor): boolean {
  return m.dim() === 2 && m.strides[0] === 1 && m.strides[1] === m.shape[0] && m.shape[1] > 1;
}

function sameDtype(a: Tensor, b: Tensor, what: string): void {
  if (a.dtype !== b.dtype) {
    throw runtimeError(
      `expected ${what} to have the same dtype, but got: ${a.dtype.name.replace("float32", "float").replace("float64", "double").replace("int64", "long int").replace("int32", "int")} != ${b.dtype.name.replace("float32", "float").replace("float64", "double").replace("int64", "long int").replace("int32", "int")}`,
    );
  }
}

/**
 * The values of a product the op has checked, in place of its strided float kernel: mm's
 * a @ b or mv's a @ v, a new tensor, no recording (the op records its own node). The registry
 * hands one over for the products that compute in a half type (HALF_OWN in
 * registry/half-compute.ts, Note [half gemm] in ./half-gemm.ts).
 */
export type ProductKernel = (a: Tensor, b: Tensor) => Tensor;

/**
 * torch.mm(a, b): (n x m) @ (m x p); `kernel`: the values' kernel (ProductKernel)
 * @example torch.mm(torch.ones(2, 3), torch.ones(3, 4)).shape // [2, 4]
 */
export function mm(a: Tensor, b: Tensor, kernel?: ProductKernel): Tensor {
  b = checkTensor(b, "mm", "mat2", 1);
  if (a.dim() !== 2) throw runtimeError("self must be a matrix");
  if (b.dim() !== 2) throw runtimeError("mat2 must be a matrix");
  if (a.shape[1] !== b.shape[0]) {
    throw runtimeError(
      `mat1 and mat2 shapes cannot be multiplied (${a.shape[0]}x${a.shape[1]} and ${b.shape[0]}x${b.shape[1]})`,
    );
  }
  sameDtype(a, b, "mat1 and mat2");
  const [m, k] = a.shape;
  const n = b.shape[1];
  if (kernel !== undefined) return recordMm(a, b, kernel(a, b));
  // the product kernel writes every element (zeros when k = 0)
  const out = allocOutput([m, n], a.dtype);
  matmulKernel(
    a.typedArray,
    a.offset,
    0,
    a.strides[0],
    a.strides[1],
    b.typedArray,
    b.offset,
    0,
    b.strides[0],
    b.strides[1],
    out.typedArray,
    1,
    m,
    k,
    n,
  );
  return recordMm(a, b, out);
}

/** mm's node on `out` = a @ b: each operand saved only when the other one requires grad */
function recordMm(a: Tensor, b: Tensor, out: Tensor): Tensor {
  if (needsGrad(a, b))
    record(
      "mm",
      out,
      [a, b],
      { self: b.requiresGrad ? a : null, other: a.requiresGrad ? b : null },
      { selfColumnMajor: columnMajor(a), otherColumnMajor: columnMajor(b) },
    );
  return out;
}

/** torch.bmm(a, b): batched (B x n x m) @ (B x m x p) */
export function bmm(a: Tensor, b: Tensor): Tensor {
  b = checkTensor(b, "bmm", "mat2", 1);
  if (a.dim() !== 3) throw runtimeError(`batch1 must be a 3D tensor`);
  if (b.dim() !== 3) throw runtimeError(`batch2 must be a 3D tensor`);
  const [B, m, k] = a.shape;
  if (b.shape[0] !== B || b.shape[1] !== k) {
    throw runtimeError(
      `Expected size for first two dimensions of batch2 tensor to be: [${B}, ${k}] but got: [${b.shape[0]}, ${b.shape[1]}].`,
    );
  }
  sameDtype(a, b, "scalar type");
  const n = b.shape[2];
  const out = allocOutput([B, m, n], a.dtype);
  matmulKernel(
    a.typedArray,
    a.offset,
    a.strides[0],
    a.strides[1],
    a.strides[2],
    b.typedArray,
    b.offset,
    b.strides[0],
    b.strides[1],
    b.strides[2],
    out.typedArray,
    B,
    m,
    k,
    n,
  );
  if (needsGrad(a, b))
    record(
      "bmm",
      out,
      [a, b],
      { self: b.requiresGrad ? a : null, other: a.requiresGrad ? b : null },
      {},
    );
  return out;
}

/** torch.mv(mat, vec): (n x m) @ (m); `kernel`: the values' kernel (ProductKernel) */
export function mv(a: Tensor, v: Tensor, kernel?: ProductKernel): Tensor {
  v = checkTensor(v, "mv", "vec", 1);
  if (a.dim() !== 2 || v.dim() !== 1) {
    throw runtimeError(`vector + matrix @ vector expected, got 1, ${a.dim()}, ${v.dim()}`);
  }
  if (a.shape[1] !== v.shape[0]) {
    throw runtimeError(
      `size mismatch, got ${a.shape[0]}, ${a.shape[0]}x${a.shape[1]},${v.shape[0]}`,
    );
  }
  sameDtype(a, v, "mat and vec");
  const [m, k] = a.shape;
  if (kernel !== undefined) return recordMv(a, v, kernel(a, v));
  const out = alloc([m], a.dtype);
  matmulKernel(
    a.typedArray,
    a.offset,
    0,
    a.strides[0],
    a.strides[1],
    v.typedArray,
    v.offset,
    0,
    v.strides[0],
    1,
    out.typedArray,
    1,
    m,
    k,
    1,
  );
  return recordMv(a, v, out);
}

/** mv's node on `out` = a @ v: each operand saved only when the other one requires grad */
function recordMv(a: Tensor, v: Tensor, out: Tensor): Tensor {
  if (needsGrad(a, v))
    record(
      "mv",
      out,
      [a, v],
      { self: v.requiresGrad ? a : null, vec: a.requiresGrad ? v : null },
      {},
    );
  return out;
}

/** torch.dot(a, b): inner product of two 1-D tensors */
export function dot(a: Tensor, b: Tensor): Tensor {
  b = checkTensor(b, "dot", "tensor", 1);
  if (a.dim() !== 1 || b.dim() !== 1) {
    throw runtimeError(`1D tensors expected, but got ${a.dim()}D and ${b.dim()}D tensors`);
  }
  if (a.shape[0] !== b.shape[0]) {
    throw runtimeError(
      `inconsistent tensor size, expected tensor [${a.shape[0]}] and src [${b.shape[0]}] to have the same number of elements, but got ${a.shape[0]} and ${b.shape[0]} elements respectively`,
    );
  }
  if (a.dtype !== b.dtype) {
    throw runtimeError(
      `dot : expected both vectors to have same dtype, but found ${scalarTypeName(a.dtype)} and ${scalarTypeName(b.dtype)}`,
    );
  }
  const k = a.shape[0];
  const out = alloc([], a.dtype);
  matmulKernel(
    a.typedArray,
    a.offset,
    0,
    0,
    a.strides[0],
    b.typedArray,
    b.offset,
    0,
    b.strides[0],
    1,
    out.typedArray,
    1,
    1,
    k,
    1,
  );
  return out; // recorded by the registry (DotBackward0)
}

/**
 * PyTorch's should_fold: matmul folds the batch of a >= 3-D `t` into mm rows when the other
 * operand is 1-D or 2-D, except for a [B, n, m] whose last two dims are transposed over a
 * contiguous batch (bmm takes that without a copy).
 */
function shouldFold(t: Tensor, otherDim: number): boolean {
  if (t.dim() < 3 || (otherDim !== 1 && otherDim !== 2)) return false;
  const [s, z] = [t.strides, t.shape];
  return !(t.dim() === 3 && otherDim === 2 && s[2] !== 1 && s[0] === z[1] * z[2]);
}

/**
 * torch.matmul(a, b) with PyTorch's rules: dot for 1-D·1-D, mm for 2-D, mv for 2-D·1-D,
 * and broadcast batched products for N-D.
 * @example const x = torch.tensor([[1, 2]]); torch.matmul(x.T, x) // tensor([[1., 2.], [2., 4.]])

 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  b = checkTensor(b, "matmul", "other", 1);
  const da = a.dim();
  const db = b.dim();
  if (da === 0 || db === 0) {
    throw runtimeError(
      `both arguments to matmul need to be at least 1D, but they are ${da}D and ${db}D`,
    );
  }
  if (da === 1 && db === 1) return a.dot(b); // the registry's dot records DotBackward0
  if (da === 2 && db === 1) return mv(a, b);
  if (da === 1 && db === 2) {
    if (a.shape[0] !== b.shape[0]) {
      throw runtimeError(
        `mat1 and mat2 shapes cannot be multiplied (1x${a.shape[0]} and ${b.shape[0]}x${b.shape[1]})`,
      );
    }
    // PyTorch: mm(a.unsqueeze(0), b).squeeze_(0), recorded as SqueezeBackward3
    return unsafeView(mm(unsqueeze(a, 0), b), [b.shape[1]], "SqueezeBackward3");
  }
  if (da === 2 && db === 2) return mm(a, b);
  if (shouldFold(a, db)) {
    // fold the batch into rows: (..., n, m) @ (m, p)
    const bb = db === 1 ? unsqueeze(b, 1) : b;
    const rows = numelOf(a.shape.slice(0, -1));
    const m = a.shape[da - 1];
    if (m !== bb.shape[0]) {
      // PyTorch folds into mv for a vector b, mm for a matrix: their messages
      throw runtimeError(
        db === 1
          ? `size mismatch, got ${rows}, ${rows}x${m},${b.shape[0]}`
          : `mat1 and mat2 shapes cannot be multiplied (${rows}x${m} and ${bb.shape[0]}x${bb.shape[1]})`,
      );
    }
    const r = mm(reshape(a, [rows, m]), bb);
    const outShape = a.shape.slice(0, -1).concat(db === 1 ? [] : [bb.shape[1]]);
    return unsafeView(r, outShape);
  }
  if (shouldFold(b, da)) {
    // PyTorch folds b's batch into rows too: (b^T @ a^T)^T, made contiguous (CloneBackward0)
    const bt = transpose(b, -2, -1);
    const rows = numelOf(bt.shape.slice(0, -1));
    const folded = reshape(bt, [rows, bt.shape[db - 1]]);
    const lead = bt.shape.slice(0, -1);
    if (da === 1) return unsafeView(mv(folded, a), lead);
    const r = unsafeView(mm(folded, t2(a)), lead.concat([a.shape[0]]));
    return transpose(r, -2, -1).contiguous();
  }
  // general batched case
  const aa = da === 1 ? unsqueeze(a, 0) : a;
  const bb = db === 1 ? unsqueeze(b, 1) : b;
  const n = aa.shape[aa.dim() - 2];
  const m = aa.shape[aa.dim() - 1];
  const m2 = bb.shape[bb.dim() - 2];
  const p = bb.shape[bb.dim() - 1];
  const batch = broadcastShapes(aa.shape.slice(0, -2), bb.shape.slice(0, -2));
  if (m !== m2) {
    throw runtimeError(
      `Expected size for first two dimensions of batch2 tensor to be: [${numelOf(batch)}, ${m}] but got: [${numelOf(batch)}, ${m2}].`,
    );
  }
  const B = numelOf(batch);
  const a3 = reshape(expand(aa, batch.concat([n, m])), [B, n, m]);
  const b3 = reshape(expand(bb, batch.concat([m, p])), [B, m, p]);
  let out = bmm(a3, b3);
  const outShape = batch.concat(da === 1 ? [] : [n], db === 1 ? [] : [p]);
  out = unsafeView(out, outShape);
  return out;
}
