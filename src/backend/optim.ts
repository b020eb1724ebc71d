/**
 * Update kernels of the optimizers (the twins of native/optim.cc): one fused pass per parameter that reproduces, element by
 * element, the rounding of PyTorch 1.13's single-tensor (foreach=False) CPU path. Every
 * PyTorch op rounds to the parameter's dtype; on x86-64 with AVX2, `add(x, alpha=a)` is a fused
 * multiply-add `fma(x, a, self)`, `addcmul(t1, t2, value=v)` is `fma(v*t1, t2, self)`,
 * `addcdiv(t1, t2, value=v)` is `self + (v*t1)/t2`, and Python float scalars are rounded to
 * the dtype first. A float32 fma is emulated exactly in double arithmetic (`fmaf`, fma.ts).
 *
 * With the native backend, steps of at least a few dozen elements run in native/optim.cc,
 * which performs the same operations with hardware fma (bit-identical; test/native-nn.test.ts).
 * These loops are the twins, and compute the scalar constants for both.
 */
import { OptFlag } from "./abi.js";
import { fma64, fmaf } from "./fma.js";
import { nativeKernels } from "./native.js";

const native = nativeKernels("optim");

/**
 * Parameters from which an optimizer step goes native. Measured (float32 SGD with momentum,
 * µs per call TS vs native): 16 elements 0.52 vs 0.58, 32: 1.3 vs 0.8, 256: 4.0 vs 0.9.
 */
const MIN_OPT_ELEMENTS = 32;

const fround = Math.fround;

const ident = (x: number): number => x;

/** Rounding and fma of a dtype: float32 (true) or float64. */
export interface Arith {
  r: (x: number) => number;
  fma: (a: number, b: number, c: number) => number;
}
export const F32: Arith = { r: fround, fma: fmaf };
export const F64: Arith = { r: ident, fma: fma64 };

type Arr = Float32Array | Float64Array;

/** Whether a step of n elements goes native: large enough, and `A` the arithmetic of p's type. */
function worthNative(A: Arith, n: number, p: Arr): boolean {
  return n >= MIN_OPT_ELEMENTS && (A === F32) === p instanceof Float32Array;
}

/** SGD (torch.optim.sgd._single_tensor_sgd). `buf` null: no momentum; `init`: first step. */
export function sgdStep(
  A: Arith,
  p: Arr,
  po: number,
  g: Arr,
  go: number,
  buf: Arr | null,
  init: boolean,
  n: number,
  o: {
    lr: number;
    weightDecay: number;
    momentum: number;
    dampening: number;
    nesterov: boolean;
    maximize: boolean;
  },
): void {
  const { r, fma } = A;
  const wd = r(o.weightDecay);
  const mom = r(o.momentum);
  const damp = r(1 - o.dampening);
  const negLr = r(-o.lr);
  const useWd = o.weightDecay !== 0;
  const maximize = o.maximize;
  const nesterov = o.nesterov;
  if (worthNative(A, n, p)) {
    const flags =
      (maximize ? OptFlag.Maximize : 0) |
      (useWd ? OptFlag.WeightDecay : 0) |
      (buf !== null ? OptFlag.Momentum : 0) |
      (init ? OptFlag.Init : 0) |
      (nesterov ? OptFlag.Nesterov : 0);
    if (native.sgdStep(p, po, g, go, n, buf, wd, mom, damp, negLr, flags)) return;
  }
  for (let i = 0; i < n; i++) {
    let d = g[go + i];
    if (maximize) d = -d;
    const pv = p[po + i];
    if (useWd) d = fma(pv, wd, d);
    if (buf !== null) {
      let b: number;
      if (init) b = d;
      else b = fma(d, damp, r(buf[i] * mom));
      buf[i] = b;
      d = nesterov ? fma(b, mom, d) : b;
    }
    p[po + i] = fma(d, negLr, pv);
  }
}

/** Adam / AdamW (torch.optim.adam._single_tensor_adam, adamw._single_tensor_adamw). */
export function adamStep(
  A: Arith,
  p: Arr,
  po: number,
  g: Arr,
  go: number,
  m: Arr,
  v: Arr,
  vmax: Arr | null,
  n: number,
  o: {
    step: number;
    lr: number;
    beta1: number;
    beta2: number;
    eps: number;
    weightDecay: number;
    maximize: boolean;
    /** AdamW: decoupled weight decay */
    decoupled: boolean;
  },
): void {
  const { r, fma } = A;
  const b1 = r(o.beta1);
  const b2 = r(o.beta2);
  const omb1 = r(1 - o.beta1);
  const omb2 = r(1 - o.beta2);
  const eps = r(o.eps);
  const wd = r(o.weightDecay);
  const useWd = !o.decoupled && o.weightDecay !== 0;
  const decay = r(1 - o.lr * o.weightDecay);
  const bc1 = 1 - Math.pow(o.beta1, o.step);
  const bc2 = 1 - Math.pow(o.beta2, o.step);
  const negStepSize = r(-(o.lr / bc1));
  const bc2Sqrt = r(Math.sqrt(bc2));
  const maximize = o.maximize;
  const decoupled = o.decoupled;
  if (worthNative(A, n, p)) {
    const flags =
      (maximize ? OptFlag.Maximize : 0) |
      (useWd ? OptFlag.WeightDecay : 0) |
      (decoupled ? OptFlag.Decoupled : 0) |
      (vmax !== null ? OptFlag.Amsgrad : 0);
    const ran = native.adamStep(
      p,
      po,
      g,
      go,
      n,
      m,
      v,
      vmax,
      b1,
      b2,
      omb1,
      omb2,
      eps,
      wd,
      decay,
      negStepSize,
      bc2Sqrt,
      flags,
    );
    if (ran) return;
  }
  for (let i = 0; i < n; i++) {
    let pv = p[po + i];
    let gr = g[go + i];
    if (maximize) gr = -gr;
    if (decoupled) pv = r(pv * decay);
    else if (useWd) gr = fma(pv, wd, gr);
    const mi = fma(gr, omb1, r(m[i] * b1));
    const vi = fma(r(omb2 * gr), gr, r(v[i] * b2));
    m[i] = mi;
    v[i] = vi;
    let vx = vi;
    if (vmax !== null) {
      const prev = vmax[i];
      vx = prev !== prev || vi !== vi ? NaN : prev > vi ? prev : vi;
      vmax[i] = vx;
    }
    const denom = r(r(r(Math.sqrt(vx)) / bc2Sqrt) + eps);
    p[po + i] = r(pv + r(r(negStepSize * mi) / denom));
  }
}

/** RMSprop (torch.optim.rmsprop._single_tensor_rmsprop). */
export function rmspropStep(
  A: Arith,
  p: Arr,
  po: number,
  g: Arr,
  go: number,
  sq: Arr,
  gavg: Arr | null,
  buf: Arr | null,
  n: number,
  o: {
    lr: number;
    alpha: number;
    eps: number;
    weightDecay: number;
    momentum: number;
    maximize: boolean;
  },
): void {
  const { r, fma } = A;
  const alpha = r(o.alpha);
  const oma = r(1 - o.alpha);
  const eps = r(o.eps);
  const wd = r(o.weightDecay);
  const useWd = o.weightDecay !== 0;
  const mom = r(o.momentum);
  const negLr = r(-o.lr);
  const maximize = o.maximize;
  if (worthNative(A, n, p)) {
    const flags =
      (maximize ? OptFlag.Maximize : 0) |
      (useWd ? OptFlag.WeightDecay : 0) |
      (gavg !== null ? OptFlag.Centered : 0) |
      (buf !== null ? OptFlag.Momentum : 0);
    if (native.rmspropStep(p, po, g, go, n, sq, gavg, buf, alpha, oma, eps, wd, mom, negLr, flags))
      return;
  }
  for (let i = 0; i < n; i++) {
    const pv = p[po + i];
    let gr = g[go + i];
    if (maximize) gr = -gr;
    if (useWd) gr = fma(pv, wd, gr);
    const s = fma(r(oma * gr), gr, r(sq[i] * alpha));
    sq[i] = s;
    let avg: number;
    if (gavg !== null) {
      const ga = fma(gr, oma, r(gavg[i] * alpha));
      gavg[i] = ga;
      avg = r(Math.sqrt(fma(-ga, ga, s)));
    } else {
      avg = r(Math.sqrt(s));
    }
    avg = r(avg + eps);
    if (buf !== null) {
      const b = r(r(buf[i] * mom) + r(gr / avg));
      buf[i] = b;
      p[po + i] = fma(b, negLr, pv);
    } else {
      p[po + i] = r(pv + r(r(negLr * gr) / avg));
    }
  }
}

/** Adagrad (torch.optim.adagrad._single_tensor_adagrad), dense gradients. */
export function adagradStep(
  A: Arith,
  p: Arr,
  po: number,
  g: Arr,
  go: number,
  sum: Arr,
  n: number,
  o: {
    step: number;
    lr: number;
    lrDecay: number;
    weightDecay: number;
    eps: number;
    maximize: boolean;
  },
): void {
  const { r, fma } = A;
  const wd = r(o.weightDecay);
  const useWd = o.weightDecay !== 0;
  const eps = r(o.eps);
  const clr = o.lr / (1 + (o.step - 1) * o.lrDecay);
  const negClr = r(-clr);
  const maximize = o.maximize;
  if (worthNative(A, n, p)) {
    const flags = (maximize ? OptFlag.Maximize : 0) | (useWd ? OptFlag.WeightDecay : 0);
    if (native.adagradStep(p, po, g, go, n, sum, wd, eps, negClr, flags)) return;
  }
  for (let i = 0; i < n; i++) {
    const pv = p[po + i];
    let gr = g[go + i];
    if (maximize) gr = -gr;
    if (useWd) gr = fma(pv, wd, gr);
    const s = fma(gr, gr, sum[i]);
    sum[i] = s;
    const std = r(r(Math.sqrt(s)) + eps);
    p[po + i] = r(pv + r(r(negClr * gr) / std));
  }
}
