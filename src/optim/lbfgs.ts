/**
 * torch.optim.LBFGS: limited-memory BFGS with an optional strong-Wolfe line search, a
 * transcription of PyTorch 1.13's torch/optim/lbfgs.py (its `_cubic_interpolate` and
 * `_strong_wolfe`).
 *
 * The flat vectors (gradient, direction, history) are arrays in the parameters' dtype, updated
 * with PyTorch's rounding (`add_(x, alpha)` is a fused multiply-add, `dot` sums products in
 * double as BLAS does). Its scalars are a mix of Python floats and 0-dim tensors (`gtd`, `ys`,
 * `ro`, `H_diag`, and a step `t` that becomes a tensor once derived from one); arithmetic and
 * comparisons involving a tensor happen in the tensor's dtype. `Num` keeps that distinction,
 * so every branch of the line search goes the way PyTorch's does.
 */
import { Tensor } from "../tensor.js";
import { enableGrad, noGrad } from "../autograd/grad-mode.js";
import { contiguousData, wrap } from "../ops/core.js";
import {
  Optimizer,
  arithOf,
  gradData,
  optimOptions,
  updateParam,
  type OptimArgs,
  type Params,
} from "./optimizer.js";
import { axpyInto, dotOf, F32, type Arith } from "../backend/optim.js";
import { runtimeError, valueError } from "../errors.js";

/** Options of LBFGS (PyTorch's keyword arguments, camelCase). */
export interface LBFGSOptions {
  /** default 1 */
  lr?: number;
  /** maximal number of iterations per `step()` (20) */
  maxIter?: number;
  /** maximal number of closure evaluations per `step()` (default maxIter * 5 / 4, floored) */
  maxEval?: number | null;
  /** termination tolerance on first-order optimality (1e-7) */
  toleranceGrad?: number;
  /** termination tolerance on function value / parameter changes (1e-9) */
  toleranceChange?: number;
  /** update history size (100) */
  historySize?: number;
  /** "strong_wolfe" or null (a fixed step of lr) */
  lineSearchFn?: "strong_wolfe" | null;
}

type Arr = Float32Array | Float64Array;

/** A Python number of lbfgs.py: a float (`t: false`) or a 0-dim tensor of the dtype (`t: true`). */
interface Num {
  v: number;
  t: boolean;
}

/** Python-float / 0-dim-tensor arithmetic in one dtype (`A.r` rounds to it). */
class Scalars {
  constructor(private readonly A: Arith) {}
  /** a Python float */
  f(v: number): Num {
    return { v, t: false };
  }
  /** a 0-dim tensor */
  T(v: number): Num {
    return { v: this.A.r(v), t: true };
  }
  private op(a: Num | number, b: Num | number, fn: (x: number, y: number) => number): Num {
    const x = typeof a === "number" ? this.f(a) : a;
    const y = typeof b === "number" ? this.f(b) : b;
    // a tensor operand: the Python scalar is cast to the dtype, the result rounded to it
    if (x.t || y.t) return this.T(fn(this.A.r(x.v), this.A.r(y.v)));
    return this.f(fn(x.v, y.v));
  }
  add(a: Num | number, b: Num | number): Num {
    return this.op(a, b, (x, y) => x + y);
  }
  sub(a: Num | number, b: Num | number): Num {
    return this.op(a, b, (x, y) => x - y);
  }
  mul(a: Num | number, b: Num | number): Num {
    return this.op(a, b, (x, y) => x * y);
  }
  div(a: Num | number, b: Num | number): Num {
    return this.op(a, b, (x, y) => x / y);
  }
  abs(a: Num): Num {
    return { v: Math.abs(a.v), t: a.t };
  }
  sqrt(a: Num): Num {
    return a.t ? this.T(Math.sqrt(a.v)) : this.f(Math.sqrt(a.v));
  }
  /** a < b (a comparison with a tensor happens in the dtype) */
  lt(a: Num | number, b: Num | number): boolean {
    const [x, y] = this.cmpArgs(a, b);
    return x < y;
  }
  le(a: Num | number, b: Num | number): boolean {
    const [x, y] = this.cmpArgs(a, b);
    return x <= y;
  }
  private cmpArgs(a: Num | number, b: Num | number): [number, number] {
    const x = typeof a === "number" ? this.f(a) : a;
    const y = typeof b === "number" ? this.f(b) : b;
    if (x.t || y.t) return [this.A.r(x.v), this.A.r(y.v)];
    return [x.v, y.v];
  }
  /** Python's min(a, b): b only when b < a */
  min(a: Num, b: Num): Num {
    return this.lt(b, a) ? b : a;
  }
  /** Python's max(a, b): b only when b > a */
  max(a: Num, b: Num): Num {
    return this.lt(a, b) ? b : a;
  }
}

/**
 * Minimiser of the cubic interpolating (x1, f1, g1), (x2, f2, g2), clamped to the bounds
 * (PyTorch's `_cubic_interpolate`, from minFunc's polyinterp).
 */
function cubicInterpolate(
  S: Scalars,
  x1: Num,
  f1: Num,
  g1: Num,
  x2: Num,
  f2: Num,
  g2: Num,
  bounds?: [Num, Num],
): Num {
  const [xminBound, xmaxBound] = bounds ?? (S.le(x1, x2) ? [x1, x2] : [x2, x1]);
  // d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2); d2 = sqrt(d1^2 - g1 g2)
  const d1 = S.sub(S.add(g1, g2), S.div(S.mul(3, S.sub(f1, f2)), S.sub(x1, x2)));
  const d2Square = S.sub(S.mul(d1, d1), S.mul(g1, g2));
  if (S.le(0, d2Square)) {
    const d2 = S.sqrt(d2Square);
    const minPos = S.le(x1, x2)
      ? S.sub(
          x2,
          S.mul(S.sub(x2, x1), S.div(S.sub(S.add(g2, d2), d1), S.add(S.sub(g2, g1), S.mul(2, d2)))),
        )
      : S.sub(
          x1,
          S.mul(S.sub(x1, x2), S.div(S.sub(S.add(g1, d2), d1), S.add(S.sub(g1, g2), S.mul(2, d2)))),
        );
    return S.min(S.max(minPos, xminBound), xmaxBound);
  }
  return S.div(S.add(xminBound, xmaxBound), 2);
}

type ObjFunc = (x: Arr[], t: Num, d: Arr) => [Num, Arr];

/**
 * Line search for a step t along d satisfying the strong Wolfe conditions (sufficient decrease
 * c1, curvature c2): bracketing, then zoom by cubic interpolation (PyTorch's `_strong_wolfe`).
 * Returns the new loss, its flat gradient, t and the number of evaluations.
 */
function strongWolfe(
  S: Scalars,
  A: Arith,
  objFunc: ObjFunc,
  x: Arr[],
  t0: Num,
  d: Arr,
  f: Num,
  g0: Arr,
  gtd: Num,
  c1 = 1e-4,
  c2 = 0.9,
  toleranceChange = 1e-9,
  maxLs = 25,
): [Num, Arr, Num, number] {
  let t = t0;
  const dNorm = S.T(absMax(d));
  const g = g0.slice();
  let [fNew, gNew] = objFunc(x, t, d);
  let lsFuncEvals = 1;
  let gtdNew = S.T(dotOf(A, gNew, d));
  let tPrev: Num = S.f(0);
  let fPrev = f;
  let gPrev = g;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: Num[] = [];
  let bracketF: Num[] = [];
  let bracketG: Arr[] = [];
  let bracketGtd: Num[] = [];
  // f + c1 t gtd: the sufficient-decrease (Armijo) bound
  const armijo = (tt: Num): Num => S.add(f, S.mul(S.mul(c1, tt), gtd));
  const curvature = S.mul(-c2, gtd);
  while (lsIter < maxLs) {
    // the Armijo condition fails, or the function rose: the minimum is bracketed
    if (S.lt(armijo(t), fNew) || (lsIter > 1 && S.le(fPrev, fNew))) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.slice()];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (S.le(S.abs(gtdNew), curvature)) {
      bracket = [t];
      bracketF = [fNew];
      bracketG = [gNew];
      done = true;
      break;
    }
    if (S.le(0, gtdNew)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.slice()];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    // extrapolate
    const minStep = S.add(t, S.mul(0.01, S.sub(t, tPrev)));
    const maxStep = S.mul(t, 10);
    const tmp = t;
    t = cubicInterpolate(S, tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew.slice();
    gtdPrev = gtdNew;
    [fNew, gNew] = objFunc(x, t, d);
    lsFuncEvals += 1;
    gtdNew = S.T(dotOf(A, gNew, d));
    lsIter += 1;
  }
  if (lsIter === maxLs) {
    bracket = [S.f(0), t];
    bracketF = [f, fNew];
    bracketG = [g, gNew];
  }
  // zoom until a point satisfies the conditions or the bracket is too small
  let insufProgress = false;
  let [lowPos, highPos] = S.le(bracketF[0], bracketF[bracketF.length - 1]) ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (S.lt(S.mul(S.abs(S.sub(bracket[1], bracket[0])), dNorm), toleranceChange)) break;
    t = cubicInterpolate(
      S,
      bracket[0],
      bracketF[0],
      bracketGtd[0],
      bracket[1],
      bracketF[1],
      bracketGtd[1],
    );
    // safeguard: keep t at least 10% of the bracket away from its ends
    const bmax = S.max(bracket[0], bracket[1]);
    const bmin = S.min(bracket[0], bracket[1]);
    const eps = S.mul(0.1, S.sub(bmax, bmin));
    if (S.lt(S.min(S.sub(bmax, t), S.sub(t, bmin)), eps)) {
      if (insufProgress || S.le(bmax, t) || S.le(t, bmin)) {
        t = S.lt(S.abs(S.sub(t, bmax)), S.abs(S.sub(t, bmin)))
          ? S.sub(bmax, eps)
          : S.add(bmin, eps);
        insufProgress = false;
      } else insufProgress = true;
    } else insufProgress = false;
    [fNew, gNew] = objFunc(x, t, d);
    lsFuncEvals += 1;
    gtdNew = S.T(dotOf(A, gNew, d));
    lsIter += 1;
    if (S.lt(armijo(t), fNew) || S.le(bracketF[lowPos], fNew)) {
      bracket[highPos] = t;
      bracketF[highPos] = fNew;
      bracketG[highPos] = gNew.slice();
      bracketGtd[highPos] = gtdNew;
      [lowPos, highPos] = S.le(bracketF[0], bracketF[1]) ? [0, 1] : [1, 0];
    } else {
      if (S.le(S.abs(gtdNew), curvature)) done = true;
      else if (S.le(0, S.mul(gtdNew, S.sub(bracket[highPos], bracket[lowPos])))) {
        bracket[highPos] = bracket[lowPos];
        bracketF[highPos] = bracketF[lowPos];
        bracketG[highPos] = bracketG[lowPos];
        bracketGtd[highPos] = bracketGtd[lowPos];
      }
      bracket[lowPos] = t;
      bracketF[lowPos] = fNew;
      bracketG[lowPos] = gNew.slice();
      bracketGtd[lowPos] = gtdNew;
    }
  }
  return [bracketF[lowPos], bracketG[lowPos], bracket[lowPos], lsFuncEvals];
}

function absMax(a: Arr): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m || v !== v) m = v;
  }
  return m;
}

/** sum(|a|) in the dtype, accumulated in order. */
function absSum(A: Arith, a: Arr): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s = A.r(s + Math.abs(a[i]));
  return s;
}

/**
 * L-BFGS. One parameter group only; `step(closure)` runs up to maxIter iterations, calling the
 * closure (which must zero the gradients, compute the loss, call backward and return it) as
 * often as the iterations and the line search need. State (on the first parameter, as
 * PyTorch): `func_evals`, `n_iter`, `d`, `t`, `old_dirs`, `old_stps`, `ro`, `H_diag`,
 * `prev_flat_grad`, `prev_loss`, `al` (tensors, and `t` / `H_diag` numbers while PyTorch's are
 * Python floats).
 * @example
 * const model = new torch.nn.Linear(3, 1);
 * const [x, y] = [torch.randn(16, 3), torch.randn(16, 1)];
 * const lossFn = (out: torch.Tensor, target: torch.Tensor) => torch.nn.functional.mseLoss(out, target);
 * const opt = new torch.optim.LBFGS(model.parameters(), { lineSearchFn: "strong_wolfe" });
 * opt.step(() => { opt.zeroGrad(); const loss = lossFn(model.call(x), y); loss.backward(); return loss; });
 */
export class LBFGS extends Optimizer {
  private _params: Tensor[];

  constructor(params: Params, ...args: OptimArgs<LBFGSOptions>) {
    const o = optimOptions<LBFGSOptions>("LBFGS", args, [
      "lr",
      "maxIter",
      "maxEval",
      "toleranceGrad",
      "toleranceChange",
      "historySize",
      "lineSearchFn",
    ]);
    const maxIter = o.maxIter ?? 20;
    super(params, {
      lr: o.lr ?? 1,
      maxIter,
      maxEval: o.maxEval ?? Math.floor((maxIter * 5) / 4),
      toleranceGrad: o.toleranceGrad ?? 1e-7,
      toleranceChange: o.toleranceChange ?? 1e-9,
      historySize: o.historySize ?? 100,
      lineSearchFn: o.lineSearchFn ?? null,
    });
    if (this.paramGroups.length !== 1)
      throw valueError("LBFGS doesn't support per-parameter options (parameter groups)");
    this._params = this.paramGroups[0].params;
  }

  protected _updateGroup(): void {
    throw runtimeError("LBFGS.step() needs a closure");
  }

  private get _arith(): Arith {
    return this._params.length > 0 ? arithOf(this._params[0]) : F32;
  }

  private _newArr(n: number): Arr {
    return this._arith === F32 ? new Float32Array(n) : new Float64Array(n);
  }

  private _numel(): number {
    return this._params.reduce((s, p) => s + p.numel(), 0);
  }

  /** The gradients flattened into one vector (zeros for a parameter without one). */
  private _gatherFlatGrad(): Arr {
    const out = this._newArr(this._numel());
    let offset = 0;
    for (const p of this._params) {
      const n = p.numel();
      if (p._grad !== null) {
        // PyTorch's _gather_flat_grad reads a sparse gradient through to_dense()
        const g = gradData(p, p._grad.isSparse ? p._grad.toDense() : p._grad);
        out.set(g.data.subarray(g.offset, g.offset + n), offset);
      }
      offset += n;
    }
    return out;
  }

  /** p += stepSize * update[p's slice] (PyTorch's `p.add_(update, alpha=step_size)`). */
  private _addGrad(stepSize: number, update: Arr): void {
    let offset = 0;
    const A = this._arith;
    for (const p of this._params) {
      const n = p.numel();
      const u = update.subarray(offset, offset + n);
      updateParam(p, (pd, po) => axpyInto(A, pd.subarray(po, po + n), u, stepSize));
      offset += n;
    }
  }

  private _cloneParam(): Arr[] {
    return this._params.map((p) => {
      const { data, offset } = contiguousData(p);
      return (data as Arr).slice(offset, offset + p.numel());
    });
  }

  private _setParam(data: Arr[]): void {
    this._params.forEach((p, i) => updateParam(p, (pd, po) => pd.set(data[i], po)));
  }

  private _directionalEvaluate(
    closure: () => Tensor | number,
    x: Arr[],
    t: Num,
    d: Arr,
  ): [Num, Arr] {
    this._addGrad(t.v, d);
    const loss = toNumber(enableGrad(closure));
    const flatGrad = this._gatherFlatGrad();
    this._setParam(x);
    return [{ v: loss, t: false }, flatGrad];
  }

  /**
   * Run the L-BFGS iterations; returns the closure's first loss.
   * @example
   * const w = torch.zeros(2, { requiresGrad: true });
   * const opt = new torch.optim.LBFGS([w]);
   * const closure = () => {
   *   opt.zeroGrad();
   *   const loss = w.sub(torch.tensor([1, 2])).pow(2).sum();
   *   loss.backward();
   *   return loss;
   * };
   * opt.step(closure); // w is now close to [1, 2]

   */
  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    if (closure === undefined)
      throw new TypeError("step() missing 1 required positional argument: 'closure'");
    this._checkNoDeviceParams();
    this._stepCount++;
    return noGrad(() => this._lbfgs(closure));
  }

  private _lbfgs(closure: () => Tensor | number): Tensor | number {
    const group = this.paramGroups[0];
    const lr = group.lr;
    const maxIter = group.maxIter as number;
    const maxEval = group.maxEval as number;
    const toleranceGrad = group.toleranceGrad as number;
    const toleranceChange = group.toleranceChange as number;
    const lineSearchFn = group.lineSearchFn as string | null;
    const historySize = group.historySize as number;
    const A = this._arith;
    const S = new Scalars(A);
    const r = A.r;
    const dtype = this._params[0].dtype;
    const n = this._numel();
    const vec = (a: Arr): Tensor => wrap(a, [a.length], dtype);
    const arr = (t: Tensor): Arr => (t.contiguous().to(dtype).typedArray as Arr).slice();
    const scalar = (v: Num): Tensor | number => (v.t ? wrap(this._newArrOf(v.v), [], dtype) : v.v);
    const fromState = (v: unknown): Num | undefined =>
      v === undefined || v === null
        ? undefined
        : v instanceof Tensor
          ? S.T(toNumber(v))
          : S.f(v as number);

    let state = this.state.get(this._params[0]);
    if (state === undefined) {
      state = {};
      this.state.set(this._params[0], state);
    }
    state.func_evals ??= 0;
    state.n_iter ??= 0;

    // evaluate the initial f(x) and df/dx
    const origLoss = enableGrad(closure);
    let loss: Num = S.f(toNumber(origLoss));
    let currentEvals = 1;
    state.func_evals = (state.func_evals as number) + 1;

    let flatGrad = this._gatherFlatGrad();
    let optCond = S.le(S.T(absMax(flatGrad)), toleranceGrad);
    // optimal condition
    if (optCond) return origLoss;

    // the state tensors as arrays (a loaded state dict's too)
    let d: Arr | undefined = state.d instanceof Tensor ? arr(state.d) : undefined;
    // (a loaded `ro` / `al` entry is a 0-dim tensor, as PyTorch's)
    let t = fromState(state.t);
    let oldDirs = (state.old_dirs as Tensor[] | undefined)?.map(arr);
    let oldStps = (state.old_stps as Tensor[] | undefined)?.map(arr);
    let ro = (state.ro as Tensor[] | undefined)?.map((v) => S.T(toNumber(v)));
    let hDiag = fromState(state.H_diag);
    let prevFlatGrad: Arr | null =
      state.prev_flat_grad instanceof Tensor ? arr(state.prev_flat_grad) : null;
    let prevLoss = fromState(state.prev_loss);
    let al = (state.al as (Tensor | null)[] | undefined)?.map((v) =>
      v === null ? null : S.T(toNumber(v)),
    );

    let nIter = 0;
    while (nIter < maxIter) {
      nIter += 1;
      state.n_iter = (state.n_iter as number) + 1;
      // the descent direction
      if (state.n_iter === 1) {
        d = flatGrad.map((v) => -v) as Arr;
        oldDirs = [];
        oldStps = [];
        ro = [];
        hDiag = S.f(1);
      } else {
        const dirs = oldDirs as Arr[];
        const stps = oldStps as Arr[];
        const ros = ro as Num[];
        // the L-BFGS update: y = grad - prev grad, s = t d
        const y = flatGrad.map((v, i) => r(v - (prevFlatGrad as Arr)[i])) as Arr;
        const tt = r((t as Num).v);
        const s = (d as Arr).map((v) => r(v * tt)) as Arr;
        const ys = S.T(dotOf(A, y, s));
        if (S.lt(1e-10, ys)) {
          // update the memory, dropping the oldest pair when full
          if (dirs.length === historySize) {
            dirs.shift();
            stps.shift();
            ros.shift();
          }
          dirs.push(y);
          stps.push(s);
          ros.push(S.div(1, ys));
          // the initial Hessian approximation H_diag = y·s / y·y
          hDiag = S.div(ys, S.T(dotOf(A, y, y)));
        }
        const numOld = dirs.length;
        al ??= new Array<Num | null>(historySize).fill(null);
        // two-loop recursion: q = -grad, then r = H q
        const q = flatGrad.map((v) => -v) as Arr;
        for (let i = numOld - 1; i >= 0; i--) {
          const a = S.mul(S.T(dotOf(A, stps[i], q)), ros[i]);
          al[i] = a;
          axpyInto(A, q, dirs[i], -a.v);
        }
        const h = r((hDiag as Num).v);
        const rr = q.map((v) => r(v * h)) as Arr;
        d = rr;
        for (let i = 0; i < numOld; i++) {
          const beI = S.mul(S.T(dotOf(A, dirs[i], rr)), ros[i]);
          axpyInto(A, rr, stps[i], S.sub(al[i] as Num, beI).v);
        }
      }
      if (prevFlatGrad === null) prevFlatGrad = flatGrad.slice();
      else prevFlatGrad.set(flatGrad);
      prevLoss = loss;
      // the step length: min(1, 1 / |grad|_1) * lr on the first iteration, lr after
      if (state.n_iter === 1) {
        t = S.mul(S.min(S.f(1), S.div(1, S.T(absSum(A, flatGrad)))), lr);
      } else t = S.f(lr);
      const dd = d as Arr;
      const gtd = S.T(dotOf(A, flatGrad, dd));
      // directional derivative below the tolerance: stop
      if (S.lt(-toleranceChange, gtd)) break;

      let lsFuncEvals = 0;
      if (lineSearchFn !== null) {
        if (lineSearchFn !== "strong_wolfe") throw runtimeError("only 'strong_wolfe' is supported");
        const xInit = this._cloneParam();
        const objFunc: ObjFunc = (x, tt, dir) => this._directionalEvaluate(closure, x, tt, dir);
        [loss, flatGrad, t, lsFuncEvals] = strongWolfe(
          S,
          A,
          objFunc,
          xInit,
          t,
          dd,
          loss,
          flatGrad,
          gtd,
        );
        this._addGrad(t.v, dd);
        optCond = S.le(S.T(absMax(flatGrad)), toleranceGrad);
      } else {
        // a fixed step, and re-evaluate unless this is the last iteration
        this._addGrad(t.v, dd);
        if (nIter !== maxIter) {
          loss = S.f(toNumber(enableGrad(closure)));
          flatGrad = this._gatherFlatGrad();
          optCond = S.le(S.T(absMax(flatGrad)), toleranceGrad);
          lsFuncEvals = 1;
        }
      }
      currentEvals += lsFuncEvals;
      state.func_evals = (state.func_evals as number) + lsFuncEvals;

      // the stopping conditions
      if (nIter === maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      const tv = r(t.v);
      let stepMax = 0;
      for (let i = 0; i < n; i++) stepMax = Math.max(stepMax, Math.abs(r(dd[i] * tv)));
      if (S.le(S.T(stepMax), toleranceChange)) break;
      if (Math.abs(loss.v - (prevLoss as Num).v) < toleranceChange) break;
    }
    // (None, PyTorch's value of what was never set, is null)
    state.d = d === undefined ? null : vec(d);
    state.t = t === undefined ? null : scalar(t);
    state.old_dirs = oldDirs?.map(vec) ?? null;
    state.old_stps = oldStps?.map(vec) ?? null;
    state.ro = ro?.map(scalar) ?? null;
    state.H_diag = hDiag === undefined ? null : scalar(hDiag);
    state.prev_flat_grad = prevFlatGrad === null ? null : vec(prevFlatGrad);
    state.prev_loss = prevLoss === undefined ? null : prevLoss.v;
    if (al !== undefined) state.al = al.map((v) => (v === null ? null : scalar(v)));
    return origLoss;
  }

  private _newArrOf(v: number): Arr {
    const a = this._newArr(1);
    a[0] = v;
    return a;
  }
}

function toNumber(v: Tensor | number): number {
  return v instanceof Tensor ? (v.item() as number) : v;
}
