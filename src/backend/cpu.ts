/**
 * The TypeScript CPU backend: the primitive kernels every tensor op is built from.
 *
 * Kernels work on typed arrays and layouts (shape, strides, offset); they never see a Tensor
 * (Note [layers]: backends do not import the tensor or autograd layers). Loops are plain `for`
 * loops over typed arrays with the operation chosen by a `switch` outside the loop, so there is
 * no per-element closure call or allocation.
 */
import type { TypedArray } from "../dtype.js";
import { tryNativeMatmul } from "./native.js";
import {
  tryNativeActivationBackward,
  tryNativeBinary,
  tryNativeClamp,
  tryNativeCopy,
  tryNativePowBackward,
  tryNativeUnary,
} from "./native-elementwise.js";
import {
  tryNativeCumsum,
  tryNativeReduce,
  tryNativeSoftmax,
  tryNativeSoftmaxBackward,
} from "./native-reduce.js";

export interface Layout {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * Element offsets of a strided layout, in row-major order of `shape` (strides may be 0 for
 * broadcast dims). Iterative odometer; O(numel).
 */
export function stridedOffsets(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): Int32Array {
  const nd = shape.length;
  let n = 1;
  for (let i = 0; i < nd; i++) n *= shape[i];
  const out = new Int32Array(n);
  if (n === 0) return out;
  if (nd === 0) {
    out[0] = offset;
    return out;
  }
  const last = nd - 1;
  const lastSize = shape[last];
  const lastStride = strides[last];
  const idx = new Array<number>(nd).fill(0);
  let base = offset;
  let k = 0;
  for (;;) {
    let p = base;
    for (let j = 0; j < lastSize; j++) {
      out[k++] = p;
      p += lastStride;
    }
    if (k >= n) break;
    // advance the odometer over dims [0, last)
    let d = last - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      base += strides[d];
      if (idx[d] < shape[d]) break;
      base -= strides[d] * shape[d];
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}

/**
 * Copy a strided source into a contiguous destination, converting element type the way a
 * typed-array store does. Callers converting to bool or integer types use `castInto`.
 */
export function gather(src: TypedArray, layout: Layout, dst: TypedArray, dstOffset = 0): void {
  const { shape, strides, offset } = layout;
  const nd = shape.length;
  // fast path: contiguous
  let contiguous = true;
  let expected = 1;
  for (let i = nd - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expected) {
      contiguous = false;
      break;
    }
    expected *= shape[i];
  }
  let n = 1;
  for (let i = 0; i < nd; i++) n *= shape[i];
  if (contiguous) {
    for (let i = 0; i < n; i++) dst[dstOffset + i] = src[offset + i];
    return;
  }
  // native strided copy (same element type; src/backend/native-elementwise.ts)
  if (tryNativeCopy(src, offset, strides, dst, dstOffset, null, shape, n)) return;
  const offs = stridedOffsets(shape, strides, offset);
  for (let i = 0; i < n; i++) dst[dstOffset + i] = src[offs[i]];
}

/** Write a contiguous source into a strided destination (the inverse of gather). */
export function scatter(src: TypedArray, dst: TypedArray, layout: Layout): void {
  const { shape } = layout;
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  // native strided copy (same element type; src/backend/native-elementwise.ts)
  if (tryNativeCopy(src, 0, null, dst, layout.offset, layout.strides, shape, n)) return;
  const offs = stridedOffsets(layout.shape, layout.strides, layout.offset);
  for (let i = 0; i < offs.length; i++) dst[offs[i]] = src[i];
}

/** Element conversion used by dtype casts: to bool is `x != 0`, to integers truncates. */
export const enum CastKind {
  Plain = 0,
  Bool = 1,
  Int64 = 2,
  Int32 = 3,
}

export function castInto(src: TypedArray, dst: TypedArray, n: number, kind: CastKind): void {
  switch (kind) {
    case CastKind.Bool:
      for (let i = 0; i < n; i++) dst[i] = src[i] !== 0 ? 1 : 0;
      break;
    // float -> integer truncates; NaN, infinities and out-of-range values give the type's
    // minimum (x86's cvttsd2si, which PyTorch's casts compile to)
    case CastKind.Int64:
      for (let i = 0; i < n; i++) {
        const v = Math.trunc(src[i]);
        dst[i] = v >= -9223372036854775808 && v < 9223372036854775808 ? v : -9223372036854775808;
      }
      break;
    case CastKind.Int32:
      for (let i = 0; i < n; i++) {
        const v = Math.trunc(src[i]);
        dst[i] = v >= -2147483648 && v <= 2147483647 ? v : -2147483648;
      }
      break;
    default:
      // a typed-array `set` converts each element as a store does, in one native loop (a
      // memcpy for one type); the plain loop is cheaper for a few elements
      if (n >= 64) dst.set(n === src.length ? src : src.subarray(0, n));
      else for (let i = 0; i < n; i++) dst[i] = src[i];
  }
}

// ---------------------------------------------------------------------------------------------
// Elementwise unary ops on contiguous inputs.

export const enum Unary {
  Neg,
  Abs,
  Sign,
  Exp,
  Log,
  Log1p,
  Expm1,
  Sqrt,
  Rsqrt,
  Reciprocal,
  Square,
  Sin,
  Cos,
  Tan,
  Tanh,
  Sigmoid,
  Relu,
  Floor,
  Ceil,
  Round,
  Trunc,
  IsNan,
  IsFinite,
  LogicalNot,
}

/** Round half to even, as torch.round does. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function unary(op: Unary, a: TypedArray, aOff: number, out: TypedArray, n: number): void {
  // native dispatch hook (src/backend/native-elementwise.ts): large float arrays
  if (tryNativeUnary(op, a, aOff, out, n)) return;
  switch (op) {
    case Unary.Neg:
      for (let i = 0; i < n; i++) out[i] = -a[aOff + i];
      break;
    case Unary.Abs:
      for (let i = 0; i < n; i++) out[i] = Math.abs(a[aOff + i]);
      break;
    case Unary.Sign:
      // sign(x) in {-1, 0, 1}; NaN gives 0, as PyTorch's (0 < x) - (x < 0)
      for (let i = 0; i < n; i++) {
        const x = a[aOff + i];
        out[i] = x > 0 ? 1 : x < 0 ? -1 : 0;
      }
      break;
    case Unary.Exp:
      for (let i = 0; i < n; i++) out[i] = Math.exp(a[aOff + i]);
      break;
    case Unary.Log:
      for (let i = 0; i < n; i++) out[i] = Math.log(a[aOff + i]);
      break;
    case Unary.Log1p:
      for (let i = 0; i < n; i++) out[i] = Math.log1p(a[aOff + i]);
      break;
    case Unary.Expm1:
      for (let i = 0; i < n; i++) out[i] = Math.expm1(a[aOff + i]);
      break;
    case Unary.Sqrt:
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(a[aOff + i]);
      break;
    case Unary.Rsqrt:
      for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(a[aOff + i]);
      break;
    case Unary.Reciprocal:
      for (let i = 0; i < n; i++) out[i] = 1 / a[aOff + i];
      break;
    case Unary.Square:
      for (let i = 0; i < n; i++) {
        const x = a[aOff + i];
        out[i] = x * x;
      }
      break;
    case Unary.Sin:
      for (let i = 0; i < n; i++) out[i] = Math.sin(a[aOff + i]);
      break;
    case Unary.Cos:
      for (let i = 0; i < n; i++) out[i] = Math.cos(a[aOff + i]);
      break;
    case Unary.Tan:
      for (let i = 0; i < n; i++) out[i] = Math.tan(a[aOff + i]);
      break;
    case Unary.Tanh:
      for (let i = 0; i < n; i++) out[i] = Math.tanh(a[aOff + i]);
      break;
    case Unary.Sigmoid:
      for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-a[aOff + i]));
      break;
    case Unary.Relu:
      // relu(nan) = nan, as PyTorch's clamp_min(0)
      for (let i = 0; i < n; i++) {
        const x = a[aOff + i];
        out[i] = x > 0 || x !== x ? x : 0;
      }
      break;
    case Unary.Floor:
      for (let i = 0; i < n; i++) out[i] = Math.floor(a[aOff + i]);
      break;
    case Unary.Ceil:
      for (let i = 0; i < n; i++) out[i] = Math.ceil(a[aOff + i]);
      break;
    case Unary.Round:
      for (let i = 0; i < n; i++) out[i] = roundHalfEven(a[aOff + i]);
      break;
    case Unary.Trunc:
      for (let i = 0; i < n; i++) out[i] = Math.trunc(a[aOff + i]);
      break;
    case Unary.IsNan:
      for (let i = 0; i < n; i++) out[i] = a[aOff + i] !== a[aOff + i] ? 1 : 0;
      break;
    case Unary.IsFinite:
      for (let i = 0; i < n; i++) out[i] = Number.isFinite(a[aOff + i]) ? 1 : 0;
      break;
    case Unary.LogicalNot:
      for (let i = 0; i < n; i++) out[i] = a[aOff + i] === 0 ? 1 : 0;
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Elementwise binary ops. Operands advance by aStep/bStep (1 for an array, 0 for a broadcast
// scalar), so one loop per op covers array-array, array-scalar and scalar-array.

export const enum Binary {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Atan2,
  FloorDiv,
  Remainder,
  LogicalAnd,
  LogicalOr,
}

/**
 * C's pow, which torch.pow follows: as Math.pow, except that 1 ** y is 1 for every y (NaN
 * included) and (-1) ** (+-Infinity) is 1, where Math.pow gives NaN.
 */
export function cPow(x: number, y: number): number {
  if (x === 1 || ((y === Infinity || y === -Infinity) && x === -1)) return 1;
  return Math.pow(x, y);
}

export function binary(
  op: Binary,
  a: TypedArray,
  aOff: number,
  aStep: number,
  b: TypedArray,
  bOff: number,
  bStep: number,
  out: TypedArray,
  outOff: number,
  n: number,
): void {
  // native dispatch hook (src/backend/native-elementwise.ts): large float arrays
  if (tryNativeBinary(op, a, aOff, aStep, b, bOff, bStep, out, outOff, n)) return;
  let i = outOff;
  let ia = aOff;
  let ib = bOff;
  n += outOff;
  switch (op) {
    case Binary.Add:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] + b[ib];
      break;
    case Binary.Sub:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] - b[ib];
      break;
    case Binary.Mul:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] * b[ib];
      break;
    case Binary.Div:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] / b[ib];
      break;
    case Binary.Pow:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = cPow(a[ia], b[ib]);
      break;
    case Binary.Maximum:
      // NaN propagates, as torch.maximum
      for (; i < n; i++, ia += aStep, ib += bStep) {
        const x = a[ia];
        const y = b[ib];
        out[i] = x !== x || y !== y ? NaN : x > y ? x : y;
      }
      break;
    case Binary.Minimum:
      for (; i < n; i++, ia += aStep, ib += bStep) {
        const x = a[ia];
        const y = b[ib];
        out[i] = x !== x || y !== y ? NaN : x < y ? x : y;
      }
      break;
    case Binary.Eq:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] === b[ib] ? 1 : 0;
      break;
    case Binary.Ne:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] !== b[ib] ? 1 : 0;
      break;
    case Binary.Lt:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] < b[ib] ? 1 : 0;
      break;
    case Binary.Le:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] <= b[ib] ? 1 : 0;
      break;
    case Binary.Gt:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] > b[ib] ? 1 : 0;
      break;
    case Binary.Ge:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] >= b[ib] ? 1 : 0;
      break;
    case Binary.Atan2:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = Math.atan2(a[ia], b[ib]);
      break;
    case Binary.FloorDiv:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = Math.floor(a[ia] / b[ib]);
      break;
    case Binary.Remainder:
      // Python-style modulo: the result has the sign of the divisor
      for (; i < n; i++, ia += aStep, ib += bStep) {
        const x = a[ia];
        const y = b[ib];
        const r = x % y;
        out[i] = r !== 0 && r < 0 !== y < 0 ? r + y : r;
      }
      break;
    case Binary.LogicalAnd:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] !== 0 && b[ib] !== 0 ? 1 : 0;
      break;
    case Binary.LogicalOr:
      for (; i < n; i++, ia += aStep, ib += bStep) out[i] = a[ia] !== 0 || b[ib] !== 0 ? 1 : 0;
      break;
  }
}

/** The gradient of x^c: out[i] = g[i] * c * x[i]^(c-1) (g may be a broadcast scalar: gStep 0). */
export function powBackward(
  g: TypedArray,
  gOff: number,
  gStep: number,
  x: TypedArray,
  xOff: number,
  c: number,
  out: TypedArray,
  n: number,
): void {
  // native dispatch hook (src/backend/native-elementwise.ts): large float arrays
  if (tryNativePowBackward(g, gOff, gStep, x, xOff, c, out, n)) return;
  let ig = gOff;
  if (c === 2) {
    for (let i = 0; i < n; i++, ig += gStep) out[i] = g[ig] * 2 * x[xOff + i];
  } else {
    const c1 = c - 1;
    for (let i = 0; i < n; i++, ig += gStep) out[i] = g[ig] * (cPow(x[xOff + i], c1) * c);
  }
}

/**
 * The gradient of an activation from its saved result y, in one pass with the roundings of
 * the composed tensor ops it replaces (derivatives.ts): kind 0 (tanh): g * (1 - y*y); kind 1
 * (sigmoid): g * (y * (1 - y)); kind 2 (relu): y <= 0 ? 0 : g (g.maskedFill(y.le(0), 0)). g may
 * be a broadcast scalar (gStep 0).
 */
export function activationBackward(
  kind: 0 | 1 | 2,
  g: TypedArray,
  gOff: number,
  gStep: number,
  y: TypedArray,
  yOff: number,
  out: TypedArray,
  n: number,
): void {
  // native dispatch hook (src/backend/native-elementwise.ts): large float arrays
  if (tryNativeActivationBackward(kind, g, gOff, gStep, y, yOff, out, n)) return;
  // each intermediate is stored into `out` (rounded to its dtype) before the next step, as
  // the separate ops would round it
  let ig = gOff;
  if (kind === 0) {
    for (let i = 0; i < n; i++, ig += gStep) {
      const v = y[yOff + i];
      out[i] = v * v;
      out[i] = 1 - out[i];
      out[i] = g[ig] * out[i];
    }
  } else if (kind === 1) {
    for (let i = 0; i < n; i++, ig += gStep) {
      const v = y[yOff + i];
      out[i] = 1 - v;
      out[i] = v * out[i];
      out[i] = g[ig] * out[i];
    }
  } else {
    for (let i = 0; i < n; i++, ig += gStep) out[i] = y[yOff + i] <= 0 ? 0 : g[ig];
  }
}

/** out[i] = cond[i] ? a[i] : b[i] over contiguous, equally sized inputs. */
export function where(
  cond: TypedArray,
  a: TypedArray,
  b: TypedArray,
  out: TypedArray,
  n: number,
): void {
  for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? a[i] : b[i];
}

/** clamp with optional bounds (NaN propagates, as torch.clamp). */
export function clamp(
  a: TypedArray,
  aOff: number,
  out: TypedArray,
  n: number,
  lo: number,
  hi: number,
): void {
  // native dispatch hook (src/backend/native-elementwise.ts): large float arrays
  if (tryNativeClamp(a, aOff, out, n, lo, hi)) return;
  for (let i = 0; i < n; i++) {
    // min(max(x, lo), hi): hi wins when lo > hi; NaN propagates
    const y = a[aOff + i] < lo ? lo : a[aOff + i];
    out[i] = y > hi ? hi : y;
  }
}

// ---------------------------------------------------------------------------------------------
// Reductions. `reduce` works over the innermost axis of a contiguous [outer, inner] input;
// `reduceAxis` over the middle axis of a contiguous [outer, n, inner] one (a leading or middle
// dim reduced in place, no permuted copy). Both accumulate in JS numbers (double), so float32
// sums are rounded once. The native kernels (native/reduce.cc) compute the same.

export const enum Reduce {
  Sum,
  Prod,
  Max,
  Min,
  ArgMax,
  ArgMin,
  LogSumExp,
  Any,
  All,
}

export function reduce(
  op: Reduce,
  a: TypedArray,
  outer: number,
  inner: number,
  out: TypedArray,
): void {
  if (tryNativeReduce(op, a, 0, outer, inner, 1, out)) return;
  switch (op) {
    case Reduce.Sum:
      for (let o = 0; o < outer; o++) {
        let s = 0;
        const base = o * inner;
        for (let i = 0; i < inner; i++) s += a[base + i];
        out[o] = s;
      }
      break;
    case Reduce.Prod:
      for (let o = 0; o < outer; o++) {
        let s = 1;
        const base = o * inner;
        for (let i = 0; i < inner; i++) s *= a[base + i];
        out[o] = s;
      }
      break;
    case Reduce.Max:
    case Reduce.ArgMax:
      for (let o = 0; o < outer; o++) {
        const base = o * inner;
        let best = a[base];
        let bi = 0;
        for (let i = 1; i < inner && best === best; i++) {
          const x = a[base + i];
          // NaN wins, as in PyTorch's max
          if (x > best || x !== x) {
            best = x;
            bi = i;
          }
        }
        out[o] = op === Reduce.Max ? best : bi;
      }
      break;
    case Reduce.Min:
    case Reduce.ArgMin:
      for (let o = 0; o < outer; o++) {
        const base = o * inner;
        let best = a[base];
        let bi = 0;
        for (let i = 1; i < inner && best === best; i++) {
          const x = a[base + i];
          if (x < best || x !== x) {
            best = x;
            bi = i;
          }
        }
        out[o] = op === Reduce.Min ? best : bi;
      }
      break;
    case Reduce.LogSumExp:
      // log(sum(exp(x))) = m + log(sum(exp(x - m))) with m = max(x), for stability
      for (let o = 0; o < outer; o++) {
        const base = o * inner;
        let m = -Infinity;
        for (let i = 0; i < inner; i++) if (a[base + i] > m) m = a[base + i];
        if (m === -Infinity || m === Infinity) {
          out[o] = m;
          continue;
        }
        let s = 0;
        for (let i = 0; i < inner; i++) s += Math.exp(a[base + i] - m);
        out[o] = m + Math.log(s);
      }
      break;
    case Reduce.Any:
      for (let o = 0; o < outer; o++) {
        let r = 0;
        const base = o * inner;
        for (let i = 0; i < inner; i++) if (a[base + i] !== 0) r = 1;
        out[o] = r;
      }
      break;
    case Reduce.All:
      for (let o = 0; o < outer; o++) {
        let r = 1;
        const base = o * inner;
        for (let i = 0; i < inner; i++) if (a[base + i] === 0) r = 0;
        out[o] = r;
      }
      break;
  }
}

/**
 * out[o*inner + i] = op over r < n of a[aOff + (o*n + r)*inner + i] (n >= 1): the rows of each
 * outer block are combined column by column, in row order, with the same per-element rules as
 * `reduce` (NaN wins max/min and stays; the first extreme's index; logsumexp shifted by the
 * column max). With inner == 1 this is `reduce` on a row.
 */
export function reduceAxis(
  op: Reduce,
  a: TypedArray,
  aOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
): void {
  if (inner === 1) {
    reduce(op, aOff === 0 ? a : a.subarray(aOff, aOff + outer * n), outer, n, out);
    return;
  }
  if (tryNativeReduce(op, a, aOff, outer, n, inner, out)) return;
  const acc = new Float64Array(inner);
  const idx = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = aOff + o * n * inner;
    const ob = o * inner;
    switch (op) {
      case Reduce.Sum:
      case Reduce.Prod:
        for (let i = 0; i < inner; i++) acc[i] = a[base + i];
        for (let r = 1; r < n; r++) {
          const row = base + r * inner;
          if (op === Reduce.Sum) for (let i = 0; i < inner; i++) acc[i] += a[row + i];
          else for (let i = 0; i < inner; i++) acc[i] *= a[row + i];
        }
        for (let i = 0; i < inner; i++) out[ob + i] = acc[i];
        break;
      case Reduce.Max:
      case Reduce.Min:
      case Reduce.ArgMax:
      case Reduce.ArgMin: {
        const isMax = op === Reduce.Max || op === Reduce.ArgMax;
        for (let i = 0; i < inner; i++) {
          acc[i] = a[base + i];
          idx[i] = 0;
        }
        for (let r = 1; r < n; r++) {
          const row = base + r * inner;
          for (let i = 0; i < inner; i++) {
            const x = a[row + i];
            const b = acc[i];
            if (b === b && ((isMax ? x > b : x < b) || x !== x)) {
              acc[i] = x;
              idx[i] = r;
            }
          }
        }
        const src = op === Reduce.Max || op === Reduce.Min ? acc : idx;
        for (let i = 0; i < inner; i++) out[ob + i] = src[i];
        break;
      }
      case Reduce.LogSumExp:
        for (let i = 0; i < inner; i++) {
          let m = -Infinity;
          for (let r = 0; r < n; r++) {
            const x = a[base + r * inner + i];
            if (x > m) m = x;
          }
          if (m === -Infinity || m === Infinity) {
            out[ob + i] = m;
            continue;
          }
          let s = 0;
          for (let r = 0; r < n; r++) s += Math.exp(a[base + r * inner + i] - m);
          out[ob + i] = m + Math.log(s);
        }
        break;
      case Reduce.Any:
      case Reduce.All: {
        const isAny = op === Reduce.Any;
        for (let i = 0; i < inner; i++) out[ob + i] = isAny ? 0 : 1;
        for (let r = 0; r < n; r++) {
          const row = base + r * inner;
          for (let i = 0; i < inner; i++)
            if ((a[row + i] !== 0) === isAny) out[ob + i] = isAny ? 1 : 0;
        }
        break;
      }
    }
  }
}

/**
 * Inclusive scan along the middle axis of a contiguous [outer, n, inner] input starting at
 * aOff, into a contiguous out of the same shape; running sums kept in double.
 */
export function cumsum(
  a: TypedArray,
  aOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
): void {
  if (tryNativeCumsum(a, aOff, outer, n, inner, out)) return;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      const base = o * n * inner + i;
      for (let r = 0; r < n; r++) {
        s += a[aOff + base + r * inner];
        out[base + r * inner] = s;
      }
    }
  }
}

/**
 * softmax (log false) or log_softmax (log true) along the middle axis of a contiguous
 * [outer, n, inner] input from aOff, into a contiguous out. With m the max (NaN ignored) and
 * s = sum(exp(x - m)) in double: softmax = exp(x - m) (stored in out) / s; log_softmax =
 * x - lse, lse = m + log(s) (or m when m is infinite), rounded once. NaN anywhere makes the
 * slice NaN, and an all -inf slice is NaN (-inf - -inf), as PyTorch.
 */
export function softmax(
  a: TypedArray,
  aOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
  log: boolean,
): void {
  if (tryNativeSoftmax(a, aOff, outer, n, inner, out, log)) return;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const ob = o * n * inner + i;
      const base = aOff + ob;
      let m = -Infinity;
      for (let r = 0; r < n; r++) {
        const x = a[base + r * inner];
        if (x > m) m = x;
      }
      let s = 0;
      for (let r = 0; r < n; r++) {
        const e = Math.exp(a[base + r * inner] - m);
        s += e;
        if (!log) out[ob + r * inner] = e;
      }
      if (log) {
        const lse = m === Infinity || m === -Infinity ? m : m + Math.log(s);
        for (let r = 0; r < n; r++) out[ob + r * inner] = a[base + r * inner] - lse;
      } else {
        for (let r = 0; r < n; r++) out[ob + r * inner] = out[ob + r * inner] / s;
      }
    }
  }
}

/**
 * The backward of `softmax` along the middle axis of [outer, n, inner], y its result and g the
 * incoming gradient (both contiguous from their offsets), in double: softmax dx = y*(g - dot),
 * dot = sum(g*y); log_softmax dx = g - exp(y)*sum(g).
 */
export function softmaxBackward(
  g: TypedArray,
  gOff: number,
  y: TypedArray,
  yOff: number,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
  log: boolean,
): void {
  if (tryNativeSoftmaxBackward(g, gOff, y, yOff, outer, n, inner, out, log)) return;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const ob = o * n * inner + i;
      let s = 0;
      for (let r = 0; r < n; r++) {
        const k = ob + r * inner;
        s += log ? g[gOff + k] : g[gOff + k] * y[yOff + k];
      }
      for (let r = 0; r < n; r++) {
        const k = ob + r * inner;
        out[k] = log ? g[gOff + k] - Math.exp(y[yOff + k]) * s : y[yOff + k] * (g[gOff + k] - s);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Matrix multiply: out[b] (m x n, contiguous) = A[b] (m x k) @ B[b] (k x n), with arbitrary
// strides for A and B (so transposed operands need no copy) and batch strides (0 = broadcast).

export function matmul(
  a: TypedArray,
  aOff: number,
  aBatch: number,
  aRow: number,
  aCol: number,
  b: TypedArray,
  bOff: number,
  bBatch: number,
  bRow: number,
  bCol: number,
  out: TypedArray,
  batch: number,
  m: number,
  k: number,
  n: number,
): void {
  // --- native dispatch hook (src/backend/native.ts): large float32/float64 products run in
  // the C++ addon when it is loaded; everything else continues on the TypeScript loops below.
  if (
    tryNativeMatmul(a, aOff, aBatch, aRow, aCol, b, bOff, bBatch, bRow, bCol, out, batch, m, k, n)
  )
    return;
  // --- end of native dispatch hook
  for (let bt = 0; bt < batch; bt++) {
    const ab = aOff + bt * aBatch;
    const ob = bt * m * n;
    let B = b;
    let bb = bOff + bt * bBatch;
    let br = bRow;
    if (bCol !== 1) {
      if (bRow === 1 && aCol === 1) {
        // B is a transposed contiguous matrix: each output is a dot product of two
        // contiguous runs (a row of A, a column of B)
        matmulDot(a, ab, aRow, b, bb, bCol, out, ob, m, k, n);
        continue;
      }
      // pack this batch's B into contiguous rows, then use the row kernel
      B = new Float64Array(k * n);
      for (let p = 0; p < k; p++) {
        const src = bb + p * bRow;
        for (let j = 0; j < n; j++) B[p * n + j] = b[src + j * bCol];
      }
      bb = 0;
      br = n;
    }
    matmulRows(a, ab, aRow, aCol, B, bb, br, out, ob, m, k, n);
  }
}

/**
 * C = A B with B's rows contiguous: out row i = sum_p A[i,p] * B[p,:], four rows of A at a
 * time so each B row is read once per four output rows. Sums are kept in doubles (float32
 * products summed in double, rounded once on store).
 */
function matmulRows(
  a: TypedArray,
  ab: number,
  aRow: number,
  aCol: number,
  b: TypedArray,
  bb: number,
  bRow: number,
  out: TypedArray,
  ob: number,
  m: number,
  k: number,
  n: number,
): void {
  const acc = new Float64Array(4 * n);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    acc.fill(0);
    const r0 = ab + i * aRow;
    const r1 = r0 + aRow;
    const r2 = r1 + aRow;
    const r3 = r2 + aRow;
    for (let p = 0; p < k; p++) {
      const pc = p * aCol;
      const a0 = a[r0 + pc];
      const a1 = a[r1 + pc];
      const a2 = a[r2 + pc];
      const a3 = a[r3 + pc];
      const brow = bb + p * bRow;
      for (let j = 0; j < n; j++) {
        const bv = b[brow + j];
        acc[j] += a0 * bv;
        acc[n + j] += a1 * bv;
        acc[2 * n + j] += a2 * bv;
        acc[3 * n + j] += a3 * bv;
      }
    }
    const o = ob + i * n;
    for (let j = 0; j < 4 * n; j++) out[o + j] = acc[j];
  }
  for (; i < m; i++) {
    acc.fill(0, 0, n);
    const r = ab + i * aRow;
    for (let p = 0; p < k; p++) {
      const av = a[r + p * aCol];
      const brow = bb + p * bRow;
      for (let j = 0; j < n; j++) acc[j] += av * b[brow + j];
    }
    const o = ob + i * n;
    for (let j = 0; j < n; j++) out[o + j] = acc[j];
  }
}

/** C = A B where A's rows and B's columns are contiguous: out[i,j] = dot(A[i,:], B[:,j]). */
function matmulDot(
  a: TypedArray,
  ab: number,
  aRow: number,
  b: TypedArray,
  bb: number,
  bCol: number,
  out: TypedArray,
  ob: number,
  m: number,
  k: number,
  n: number,
): void {
  for (let i = 0; i < m; i++) {
    const r = ab + i * aRow;
    for (let j = 0; j < n; j++) {
      const c = bb + j * bCol;
      // four partial sums for instruction-level parallelism
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        s0 += a[r + p] * b[c + p];
        s1 += a[r + p + 1] * b[c + p + 1];
        s2 += a[r + p + 2] * b[c + p + 2];
        s3 += a[r + p + 3] * b[c + p + 3];
      }
      for (; p < k; p++) s0 += a[r + p] * b[c + p];
      out[ob + i * n + j] = s0 + s1 + (s2 + s3);
    }
  }
}
