/**
 * Loss and distance kernels on typed arrays (never a Tensor): PyTorch's CPU loops for pdist
 * (aten/src/ATen/native/cpu/DistanceOpsKernel.cpp), the CTC forward-backward algorithm
 * (LossCTC.cpp, after Graves et al. 2006), multi_margin_loss (LossMultiMargin.cpp) and
 * multilabel_margin_loss (LossMultiLabelMargin.cpp), forward and backward. Values are
 * accumulated in double and rounded once when stored into a float32 output.
 */

/** A float tensor's storage. */
export type FloatArray = Float32Array | Float64Array;
/** Any numeric storage (int64 is held in a Float64Array, see Note [int64 storage]). */
export type NumArray = Float32Array | Float64Array | Int32Array | Uint8Array;

// ---------------------------------------------------------------------------------------------
// pdist

/**
 * pdist: the p-norm distance of every pair of rows i < j of the contiguous n x m matrix `x`
 * (from offset xo), in row-major pair order, written to `out` (length n (n - 1) / 2).
 * p = 0 counts the differing coordinates, p = inf takes the largest |difference|.
 */
export function pdistForward(
  x: FloatArray,
  xo: number,
  n: number,
  m: number,
  p: number,
  out: FloatArray,
): void {
  // differences in the input's precision, as PyTorch's float kernel computes them
  const diff: (u: number, v: number) => number =
    x instanceof Float32Array ? (u, v) => Math.fround(u - v) : (u, v) => u - v;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const a = xo + i * m;
    for (let j = i + 1; j < n; j++, k++) {
      const b = xo + j * m;
      let acc = 0;
      if (p === 0) {
        for (let c = 0; c < m; c++) if (x[a + c] !== x[b + c]) acc += 1;
      } else if (p === 1) {
        for (let c = 0; c < m; c++) acc += Math.abs(diff(x[a + c], x[b + c]));
      } else if (p === 2) {
        for (let c = 0; c < m; c++) {
          const d = diff(x[a + c], x[b + c]);
          acc += d * d;
        }
        acc = Math.sqrt(acc);
      } else if (p === Infinity) {
        for (let c = 0; c < m; c++) acc = Math.max(acc, Math.abs(diff(x[a + c], x[b + c])));
      } else {
        for (let c = 0; c < m; c++) acc += Math.pow(Math.abs(diff(x[a + c], x[b + c])), p);
        acc = Math.pow(acc, 1 / p);
      }
      out[k] = acc;
    }
  }
}

/**
 * _pdist_backward: d/dx of sum_k g[k] * dist[k] into `out` (n x m, zeroed by the caller). Per
 * coordinate difference d of a pair at distance r (PyTorch's per-p backward rules):
 * p = 0: 0; p = 1: sign(d); p < 2: sign(d) |d|^(p-1) / r^(p-1) (0 where r = 0, or d = 0 with
 * p < 1); p = 2: d / r (0 where r = 0); p = inf: sign(d) where |d| = r; otherwise
 * d |d|^(p-2) / r^(p-1) (0 where r = 0). Row i gains the term, row j loses it.
 */
export function pdistBackward(
  g: FloatArray,
  go: number,
  x: FloatArray,
  xo: number,
  dist: FloatArray,
  n: number,
  m: number,
  p: number,
  out: FloatArray,
): void {
  if (p === 0) return;
  const f32 = x instanceof Float32Array;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const a = xo + i * m;
    for (let j = i + 1; j < n; j++, k++) {
      const b = xo + j * m;
      const gk = g[go + k];
      const r = dist[k];
      const oi = i * m;
      const oj = j * m;
      if (p === 2) {
        // d / r, the common case without per-element branching
        if (r === 0) continue;
        const f = gk / r;
        for (let c = 0; c < m; c++) {
          const d = f32 ? Math.fround(x[a + c] - x[b + c]) : x[a + c] - x[b + c];
          out[oi + c] += f * d;
          out[oj + c] -= f * d;
        }
        continue;
      }
      for (let c = 0; c < m; c++) {
        const d = f32 ? Math.fround(x[a + c] - x[b + c]) : x[a + c] - x[b + c];
        let v: number;
        if (p === 1) v = Math.sign(d) * gk;
        else if (p < 2)
          v =
            r === 0 || (d === 0 && p < 1)
              ? 0
              : (Math.sign(d) * Math.pow(Math.abs(d), p - 1) * gk) / Math.pow(r, p - 1);
        else if (p === Infinity) v = Math.abs(d) === r ? Math.sign(d) * gk : 0;
        else v = r === 0 ? 0 : (d * Math.pow(Math.abs(d), p - 2) * gk) / Math.pow(r, p - 1);
        out[oi + c] += v;
        out[oj + c] -= v;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CTC

/**
 * The layout of a CTC problem: log_probs contiguous T x B x C; targets' values with each
 * batch element's start offset and the stride between its labels; the lengths per element.
 */
export interface CtcProblem {
  logProbs: FloatArray;
  lpOffset: number;
  T: number;
  B: number;
  C: number;
  targets: NumArray;
  tgOffsets: number[];
  tgStride: number;
  inputLengths: number[];
  targetLengths: number[];
  /** 2 * max target length + 1: the width of log_alpha's rows */
  S: number;
  blank: number;
}

/** l' of batch element b: the blank at even s, the target's label (s - 1) / 2 at odd s. */
function targetPrimes(pb: CtcProblem, b: number, targetLength: number): Int32Array {
  const out = new Int32Array(2 * targetLength + 1).fill(pb.blank);
  const base = pb.tgOffsets[b];
  for (let k = 0; k < targetLength; k++) out[2 * k + 1] = pb.targets[base + pb.tgStride * k];
  return out;
}

/** log(exp(a) + exp(b) + exp(c)) with -inf terms, as ATen's (the max of -infs taken as 0). */
function logSumExp3(a: number, b: number, c: number): number {
  let m = a;
  if (b > m) m = b;
  if (c > m) m = c;
  if (m === -Infinity) m = 0;
  return Math.log(Math.exp(a - m) + Math.exp(b - m) + Math.exp(c - m)) + m;
}

/**
 * _ctc_loss's forward: log alpha (B x T x S, eq. (6)-(7) of Graves et al. in log space,
 * la[t][s] = logsumexp(la[t-1][s], la[t-1][s-1], la[t-1][s-2] where l'[s-2] != l'[s]) +
 * lp[t][l'[s]]) and the negative log likelihood -log(alpha[T-1][2L] + alpha[T-1][2L-1]) per
 * batch element. Entries of log alpha beyond an element's lengths are left as allocated
 * (row t = 0 starts at -inf).
 */
export function ctcForward(pb: CtcProblem, nll: FloatArray, logAlpha: FloatArray): void {
  const { logProbs: lp, lpOffset, T, B, C, S } = pb;
  const lpAt = (t: number, b: number, c: number): number => lp[lpOffset + (t * B + b) * C + c];
  for (let b = 0; b < B; b++) {
    const la = b * T * S;
    for (let s = 0; s < S; s++) logAlpha[la + s] = -Infinity;
    const inputLength = pb.inputLengths[b];
    const targetLength = pb.targetLengths[b];
    if (inputLength === 0) {
      nll[b] = targetLength === 0 ? 0 : Infinity;
      continue;
    }
    const lpr = targetPrimes(pb, b, targetLength);
    logAlpha[la] = lpAt(0, b, pb.blank);
    if (targetLength > 0) logAlpha[la + 1] = lpAt(0, b, lpr[1]);
    for (let t = 1; t < inputLength; t++) {
      const prev = la + (t - 1) * S;
      const cur = la + t * S;
      for (let s = 0; s < 2 * targetLength + 1; s++) {
        const tp = lpr[s];
        const la1 = logAlpha[prev + s];
        const la2 = s > 0 ? logAlpha[prev + s - 1] : -Infinity;
        const la3 = s > 1 && lpr[s - 2] !== tp ? logAlpha[prev + s - 2] : -Infinity;
        logAlpha[cur + s] = logSumExp3(la1, la2, la3) + lpAt(t, b, tp);
      }
    }
    const last = la + (inputLength - 1) * S;
    if (targetLength === 0) nll[b] = -logAlpha[last];
    else {
      const l1 = logAlpha[last + 2 * targetLength];
      const l2 = logAlpha[last + 2 * targetLength - 1];
      let m = Math.max(l1, l2);
      if (m === -Infinity) m = 0;
      nll[b] = -(Math.log(Math.exp(l1 - m) + Math.exp(l2 - m)) + m);
    }
  }
}

/**
 * _ctc_loss_backward: the gradient with respect to log_probs (T x B x C, written to `grad`),
 * from log beta (eq. (10)-(11), the mirror of alpha) and eq. (16):
 * grad[t][b][c] = (exp(lp) - exp(log sum_{s: l'[s] = c} alpha[t][s] beta[t][s] + nll - lp)) * g[b],
 * zero after an element's input length, and zero throughout for an infinite loss when
 * `zeroInfinity`.
 */
export function ctcBackward(
  pb: CtcProblem,
  gradOut: FloatArray,
  gOffset: number,
  gStride: number,
  nll: FloatArray,
  logAlpha: FloatArray,
  zeroInfinity: boolean,
  grad: FloatArray,
): void {
  const { logProbs: lp, lpOffset, T, B, C, S } = pb;
  const idx = (t: number, b: number, c: number): number => (t * B + b) * C + c;
  const beta = new Float64Array(T * S);
  // the per-(t, c) collected log(alpha * beta), -inf for an empty sum
  const coll = new Float64Array(T * C);
  for (let b = 0; b < B; b++) {
    if (zeroInfinity && nll[b] === Infinity) {
      for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) grad[idx(t, b, c)] = 0;
      continue;
    }
    const inputLength = pb.inputLengths[b];
    const targetLength = pb.targetLengths[b];
    const la = b * T * S;
    const lpr = targetPrimes(pb, b, targetLength);
    coll.fill(-Infinity);
    const logPlus = (t: number, c: number, v: number): void => {
      const cur = coll[t * C + c];
      if (cur === -Infinity) coll[t * C + c] = v;
      else {
        const m = Math.max(cur, v);
        coll[t * C + c] = Math.log(Math.exp(cur - m) + Math.exp(v - m)) + m;
      }
    };
    if (inputLength > 0) {
      const t = inputLength - 1;
      for (let s = 0; s < S; s++) beta[t * S + s] = -Infinity;
      beta[t * S + 2 * targetLength] = lp[lpOffset + idx(t, b, pb.blank)];
      coll[t * C + pb.blank] =
        logAlpha[la + t * S + 2 * targetLength] + beta[t * S + 2 * targetLength];
      if (targetLength > 0) {
        const tp = lpr[2 * targetLength - 1];
        beta[t * S + 2 * targetLength - 1] = lp[lpOffset + idx(t, b, tp)];
        coll[t * C + tp] =
          logAlpha[la + t * S + 2 * targetLength - 1] + beta[t * S + 2 * targetLength - 1];
      }
    }
    for (let t = inputLength - 2; t >= 0; t--) {
      for (let s = 2 * targetLength; s >= 0; s--) {
        const tp = lpr[s];
        const lb1 = beta[(t + 1) * S + s];
        const lb2 = s < 2 * targetLength ? beta[(t + 1) * S + s + 1] : -Infinity;
        const lb3 =
          s < 2 * targetLength - 1 && lpr[s + 2] !== tp ? beta[(t + 1) * S + s + 2] : -Infinity;
        const v = logSumExp3(lb1, lb2, lb3) + lp[lpOffset + idx(t, b, tp)];
        beta[t * S + s] = v;
        logPlus(t, tp, logAlpha[la + t * S + s] + v);
      }
    }
    const gr = gradOut[gOffset + b * gStride];
    const nl = nll[b];
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < C; c++) {
        const i = idx(t, b, c);
        if (t >= inputLength) grad[i] = 0;
        else {
          const l = lp[lpOffset + i];
          grad[i] = (Math.exp(l) - Math.exp(coll[t * C + c] + nl - l)) * gr;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// multi-margin losses

/**
 * multi_margin_loss per sample: sum_{d != y} w[y] max(0, margin - x[y] + x[d])^p / dim, for
 * each of the nframe rows of the contiguous nframe x dim input. Returns -1 when a target is out
 * of range (the caller raises), else writes `out` (one value per row).
 */
export function multiMarginForward(
  x: FloatArray,
  xo: number,
  target: NumArray,
  to: number,
  nframe: number,
  dim: number,
  p: number,
  margin: number,
  weight: FloatArray | null,
  wo: number,
  out: Float64Array,
): number {
  for (let t = 0; t < nframe; t++) {
    const y = target[to + t];
    if (!(y >= 0 && y < dim)) return -1;
    const row = xo + t * dim;
    const xy = x[row + y];
    let sum = 0;
    for (let d = 0; d < dim; d++) {
      if (d === y) continue;
      const z = margin - xy + x[row + d];
      if (z > 0) {
        let h = p === 1 ? z : z * z;
        if (weight !== null) h *= weight[wo + y];
        sum += h;
      }
    }
    out[t] = sum / dim;
  }
  return 0;
}

/**
 * multi_margin_loss_backward: per row, d/dx[d] = w[y] * (p == 1 ? 1 : 2 z) * scale where
 * z = margin - x[y] + x[d] > 0, and x[y] gets minus their sum; each row times its output
 * gradient gRow[t] (scale is 1 / (nframe dim) for the mean, else 1 / dim).
 */
export function multiMarginBackward(
  x: FloatArray,
  xo: number,
  target: NumArray,
  to: number,
  nframe: number,
  dim: number,
  p: number,
  margin: number,
  weight: FloatArray | null,
  wo: number,
  scale: number,
  gRow: (t: number) => number,
  out: FloatArray,
): void {
  for (let t = 0; t < nframe; t++) {
    const y = target[to + t];
    const row = xo + t * dim;
    const xy = x[row + y];
    const gr = gRow(t);
    let gy = 0;
    for (let d = 0; d < dim; d++) {
      if (d === y) continue;
      const z = margin - xy + x[row + d];
      if (z > 0) {
        let h = p === 1 ? scale : 2 * scale * z;
        if (weight !== null) h *= weight[wo + y];
        gy -= h;
        out[t * dim + d] = h * gr;
      } else out[t * dim + d] = 0;
    }
    out[t * dim + y] = gy * gr;
  }
}

/**
 * multilabel_margin_loss per sample: with the target classes j (the row's leading labels up to
 * the first -1), sum_j sum_{d not a target} max(0, 1 - x[j] + x[d]) / dim. Also marks
 * `isTarget` (nframe x dim) with 1 at the target classes.
 */
export function multilabelMarginForward(
  x: FloatArray,
  xo: number,
  target: NumArray,
  to: number,
  nframe: number,
  dim: number,
  isTarget: Uint8Array,
  out: Float64Array,
): void {
  for (let t = 0; t < nframe; t++) {
    const row = xo + t * dim;
    const trow = to + t * dim;
    for (let k = 0; k < dim; k++) {
      const j = target[trow + k];
      if (j < 0) break;
      isTarget[t * dim + j] = 1;
    }
    let sum = 0;
    for (let k = 0; k < dim; k++) {
      const j = target[trow + k];
      if (j < 0) break;
      const xj = x[row + j];
      for (let d = 0; d < dim; d++) {
        if (isTarget[t * dim + d] === 0) {
          const z = 1 - xj + x[row + d];
          if (z > 0) sum += z;
        }
      }
    }
    out[t] = sum / dim;
  }
}

/**
 * multilabel_margin_loss_backward: each violated pair (target j, non-target d) adds `scale` to
 * d/dx[d] and subtracts it from d/dx[j]; each row times its output gradient gRow[t].
 */
export function multilabelMarginBackward(
  x: FloatArray,
  xo: number,
  target: NumArray,
  to: number,
  nframe: number,
  dim: number,
  isTarget: Uint8Array,
  scale: number,
  gRow: (t: number) => number,
  out: FloatArray,
): void {
  const acc = new Float64Array(dim);
  for (let t = 0; t < nframe; t++) {
    const row = xo + t * dim;
    const trow = to + t * dim;
    acc.fill(0);
    for (let k = 0; k < dim; k++) {
      const j = target[trow + k];
      if (j < 0) break;
      const xj = x[row + j];
      for (let d = 0; d < dim; d++) {
        if (isTarget[t * dim + d] === 0 && 1 - xj + x[row + d] > 0) {
          acc[j] -= scale;
          acc[d] += scale;
        }
      }
    }
    const gr = gRow(t);
    for (let d = 0; d < dim; d++) out[t * dim + d] = acc[d] * gr;
  }
}
