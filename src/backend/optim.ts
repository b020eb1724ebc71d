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

// ---------------------------------------------------------------------------------------------
// NAdam, RAdam, Adamax, Adadelta, ASGD and Rprop: each reproduces the rounding of PyTorch 1.13's
// _single_tensor_* loop op by op, as above (native twins: scalar loops in native/optim.cc).

/** NAdam (torch.optim.nadam._single_tensor_nadam); `coefG`, `coefM` are -lr(1-mu)/(1-prod),
 * -lr mu_next/(1-prod_next), computed by the caller from the float32 mu_product. */
export function nadamStep(
  A: Arith,
  p: Arr,
  po: number,
  g: Arr,
  go: number,
  m: Arr,
  v: Arr,
  n: number,
  o: {
    beta1: number;
    beta2: number;
    eps: number;
    weightDecay: number;
    biasCorrection2: number;
    coefG: number;
    coefM: number;
  },
): void {
  const { r, fma } = A;
  const b1 = r(o.beta1);
  const b2 = r(o.beta2);
  const omb1 = r(1 - o.beta1);
  const omb2 = r(1 - o.beta2);
  const eps = r(o.eps);
  const wd = r(o.weightDecay);
  const useWd = o.weightDecay !== 0;
  const bc2 = r(o.biasCorrection2);
  const cg = r(o.coefG);
  const cm = r(o.coefM);
  if (worthNative(A, n, p)) {
    const flags = useWd ? OptFlag.WeightDecay : 0;
    if (native.nadamStep(p, po, g, go, n, m, v, b1, b2, omb1, omb2, eps, wd, bc2, cg, cm, flags))
      return;
  }
  for (let i = 0; i < n; i++) {
    let pv = p[po + i];
    let gr = g[go + i];
    if (useWd) gr = fma(pv, wd, gr);
    const mi = fma(gr, omb1, r(m[i] * b1));
    const vi = fma(r(omb2 * gr), gr, r(v[i] * b2));
    m[i] = mi;
    v[i] = vi;
    // denom = exp_avg_sq.div(bias_correction2).sqrt().add_(eps)
    const denom = r(r(Math.sqrt(r(vi / bc2))) + eps);
    // two addcdiv_: param + (value * t1) / denom
    pv = r(pv + r(r(cg * gr) / denom));
    p[po + i] = r(pv + r(r(cm * mi) / denom));
  }
}

/** RAdam (torch.optim.radam._single_tensor_radam); `rect` null when rho_t <= 5. */
export function radamStep(
  A: Arith,
  p: Arr,
  po: number,
  g: Arr,
  go: number,
  m: Arr,
  v: Arr,
  n: number,
  o: {
    lr: number;
    beta1: number;
    beta2: number;
    eps: number;
    weightDecay: number;
    biasCorrection1: number;
    biasCorrection2: number;
    rect: number | null;
  },
): void {
  const { r, fma } = A;
  const b1 = r(o.beta1);
  const b2 = r(o.beta2);
  const omb1 = r(1 - o.beta1);
  const omb2 = r(1 - o.beta2);
  const eps = r(o.eps);
  const wd = r(o.weightDecay);
  const useWd = o.weightDecay !== 0;
  const bc1 = r(o.biasCorrection1);
  const lr = r(o.lr);
  const sqrtBc2 = r(Math.sqrt(o.biasCorrection2));
  const rect = o.rect === null ? 0 : r(o.rect);
  const rectified = o.rect !== null;
  if (worthNative(A, n, p)) {
    const flags = (useWd ? OptFlag.WeightDecay : 0) | (rectified ? OptFlag.Rectified : 0);
    const args = [b1, b2, omb1, omb2, eps, wd, bc1, lr, sqrtBc2, rect] as const;
    if (native.radamStep(p, po, g, go, n, m, v, ...args, flags)) return;
  }
  for (let i = 0; i < n; i++) {
    const pv = p[po + i];
    let gr = g[go + i];
    if (useWd) gr = fma(pv, wd, gr);
    const mi = fma(gr, omb1, r(m[i] * b1));
    const vi = fma(r(omb2 * gr), gr, r(v[i] * b2));
    m[i] = mi;
    v[i] = vi;
    const corrected = r(mi / bc1);
    let upd = r(corrected * lr);
    if (rectified) {
      // adaptive_lr = sqrt(bc2) / (sqrt(v) + eps), a Python scalar over a tensor: reciprocal * scalar
      const adaptive = r(r(1 / r(r(Math.sqrt(vi)) + eps)) * sqrtBc2);
      upd = r(r(upd * adaptive) * rect);
    }
    p[po + i] = r(pv - upd);
  }
}

/** Adamax (torch.optim.adamax._single_tensor_adamax). */
export function adamaxStep(
  A: Arith,
  p: Arr,
  po: number,
  g: Arr,
  go: number,
  m: Arr,
  u: Arr,
  n: number,
  o: {
    beta1: number;
    beta2: number;
    eps: number;
    weightDecay: number;
    maximize: boolean;
    /** -lr / (1 - beta1^step) */
    negClr: number;
  },
): void {
  const { r, fma } = A;
  const b1 = r(o.beta1);
  const b2 = r(o.beta2);
  const omb1 = r(1 - o.beta1);
  const eps = r(o.eps);
  const wd = r(o.weightDecay);
  const useWd = o.weightDecay !== 0;
  const negClr = r(o.negClr);
  const maximize = o.maximize;
  if (worthNative(A, n, p)) {
    const flags = (maximize ? OptFlag.Maximize : 0) | (useWd ? OptFlag.WeightDecay : 0);
    if (native.adamaxStep(p, po, g, go, n, m, u, b1, b2, omb1, eps, wd, negClr, flags)) return;
  }
  for (let i = 0; i < n; i++) {
    const pv = p[po + i];
    let gr = g[go + i];
    if (maximize) gr = -gr;
    if (useWd) gr = fma(pv, wd, gr);
    const mi = fma(gr, omb1, r(m[i] * b1));
    m[i] = mi;
    // exp_inf = amax(stack(exp_inf * beta2, |grad| + eps)), NaN propagating
    const a = r(u[i] * b2);
    const b = r(Math.abs(gr) + eps);
    const ui = a !== a || b !== b ? NaN : a > b ? a : b;
    u[i] = ui;
    p[po + i] = r(pv + r(r(negClr * mi) / ui));
  }
}

/** Adadelta (torch.optim.adadelta._single_tensor_adadelta). */
export function adadeltaStep(
  A: Arith,
  p: Arr,
  po: number,
  g: Arr,
  go: number,
  sq: Arr,
  acc: Arr,
  n: number,
  o: { lr: number; rho: number; eps: number; weightDecay: number; maximize: boolean },
): void {
  const { r, fma } = A;
  const rho = r(o.rho);
  const omr = r(1 - o.rho);
  const eps = r(o.eps);
  const wd = r(o.weightDecay);
  const useWd = o.weightDecay !== 0;
  const negLr = r(-o.lr);
  const maximize = o.maximize;
  if (worthNative(A, n, p)) {
    const flags = (maximize ? OptFlag.Maximize : 0) | (useWd ? OptFlag.WeightDecay : 0);
    if (native.adadeltaStep(p, po, g, go, n, sq, acc, rho, omr, eps, wd, negLr, flags)) return;
  }
  for (let i = 0; i < n; i++) {
    const pv = p[po + i];
    let gr = g[go + i];
    if (maximize) gr = -gr;
    if (useWd) gr = fma(pv, wd, gr);
    const s = fma(r(omr * gr), gr, r(sq[i] * rho));
    sq[i] = s;
    const std = r(Math.sqrt(r(s + eps)));
    const delta = r(r(r(Math.sqrt(r(acc[i] + eps))) / std) * gr);
    acc[i] = fma(r(omr * delta), delta, r(acc[i] * rho));
    p[po + i] = fma(delta, negLr, pv);
  }
}

/** ASGD (torch.optim.asgd._single_tensor_asgd); `eta`, `mu` are the float32 state values
 * before this step; `ax` null when mu == 1 (ax becomes a copy of the parameter). */
export function asgdStep(
  A: Arith,
  p: Arr,
  po: number,
  g: Arr,
  go: number,
  ax: Arr,
  n: number,
  o: { lambd: number; eta: number; mu: number; weightDecay: number; maximize: boolean },
): void {
  const { r, fma } = A;
  const wd = r(o.weightDecay);
  const useWd = o.weightDecay !== 0;
  const decay = r(1 - o.lambd * o.eta);
  const negEta = r(-o.eta);
  const mu = r(o.mu);
  const average = o.mu !== 1;
  const maximize = o.maximize;
  if (worthNative(A, n, p)) {
    const flags =
      (maximize ? OptFlag.Maximize : 0) |
      (useWd ? OptFlag.WeightDecay : 0) |
      (average ? OptFlag.Average : 0);
    if (native.asgdStep(p, po, g, go, n, ax, wd, decay, negEta, mu, flags)) return;
  }
  for (let i = 0; i < n; i++) {
    let pv = p[po + i];
    let gr = g[go + i];
    if (maximize) gr = -gr;
    if (useWd) gr = fma(pv, wd, gr);
    pv = r(pv * decay);
    pv = fma(gr, negEta, pv);
    p[po + i] = pv;
    // ax += (param - ax) * mu, or ax = param while mu is 1
    ax[i] = average ? r(ax[i] + r(r(pv - ax[i]) * mu)) : pv;
  }
}

/** Rprop (torch.optim.rprop._single_tensor_rprop). */
export function rpropStep(
  A: Arith,
  p: Arr,
  po: number,
  g: Arr,
  go: number,
  prev: Arr,
  stepSize: Arr,
  n: number,
  o: {
    etaminus: number;
    etaplus: number;
    stepSizeMin: number;
    stepSizeMax: number;
    maximize: boolean;
  },
): void {
  const { r } = A;
  const etaminus = r(o.etaminus);
  const etaplus = r(o.etaplus);
  const lo = r(o.stepSizeMin);
  const hi = r(o.stepSizeMax);
  const maximize = o.maximize;
  if (worthNative(A, n, p)) {
    const flags = maximize ? OptFlag.Maximize : 0;
    if (native.rpropStep(p, po, g, go, n, prev, stepSize, etaminus, etaplus, lo, hi, flags)) return;
  }
  for (let i = 0; i < n; i++) {
    let gr = g[go + i];
    if (maximize) gr = -gr;
    const prod = r(gr * prev[i]);
    // sign(grad * prev) mapped to etaplus / etaminus / 1 (NaN stays NaN)
    const sign = prod > 0 ? etaplus : prod < 0 ? etaminus : prod === 0 ? 1 : NaN;
    let ss = r(stepSize[i] * sign);
    // clamp_(min, max): NaN stays NaN
    if (ss < lo) ss = lo;
    else if (ss > hi) ss = hi;
    stepSize[i] = ss;
    if (sign === etaminus) gr = 0;
    const sg = gr > 0 ? 1 : gr < 0 ? -1 : gr === 0 ? 0 : NaN;
    // addcmul_(sign(grad), step_size, value=-1)
    p[po + i] = r(p[po + i] - sg * ss);
    prev[i] = gr;
  }
}

// ---------------------------------------------------------------------------------------------
// LBFGS vector operations (torch.optim.lbfgs on flat float32/float64 vectors)

/** y += alpha * x, as PyTorch's `y.add_(x, alpha=alpha)` (a fused multiply-add per element). */
export function axpyInto(A: Arith, y: Arr, x: Arr, alpha: number): void {
  const a = A.r(alpha);
  const { fma } = A;
  for (let i = 0; i < y.length; i++) y[i] = fma(x[i], a, y[i]);
}

/**
 * x · y as PyTorch's CPU `dot` (BLAS ?dot): each product rounded to the dtype, summed in
 * double, the sum rounded once. OpenBLAS's sdot does exactly this below 32 elements; above,
 * its vector kernel sums blocks of 32 in another order (so long float32 dots may differ in the
 * last bit).
 */
export function dotOf(A: Arith, x: Arr, y: Arr): number {
  const { r } = A;
  let acc = 0;
  for (let i = 0; i < x.length; i++) acc += r(x[i] * y[i]);
  return r(acc);
}
