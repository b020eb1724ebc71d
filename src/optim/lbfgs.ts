/**
 * torch.optim.LBFGS: limited-memory BFGS with an optional strong-Wolfe line search, a
 * transcription of PyTorch 1.13's torch/optim/lbfgs.py (its `_cubic_interpolate` and
 * `_strong_wolfe`). The flat direction and gradient vectors are tensors in the parameters'
 * dtype; the scalars PyTorch keeps as 0-dim tensors (`ys`, `ro`, `H_diag`, `al`, `gtd`) are
 * 0-dim tensors here too, and the line search's step lengths are numbers.
 */
import { Tensor } from "../tensor.js";
import { enableGrad, noGrad } from "../autograd/grad-mode.js";
import { cat } from "../ops/views.js";
import { Optimizer, optimOptions, type OptimArgs, type ParamGroup, type Params } from "./optimizer.js";
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

const num = (t: Tensor | number): number => (t instanceof Tensor ? (t.item() as number) : t);

/**
 * Minimiser of the cubic interpolating (x1, f1, g1), (x2, f2, g2), clamped to the bounds
 * (PyTorch's `_cubic_interpolate`, from minFunc's polyinterp).
 */
function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: [number, number],
): number {
  const [xminBound, xmaxBound] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  // d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2); d2 = sqrt(d1^2 - g1 g2)
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos =
      x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, xminBound), xmaxBound);
  }
  return (xminBound + xmaxBound) / 2;
}

type ObjFunc = (x: Tensor[], t: number, d: Tensor) => [number, Tensor];

/**
 * Line search for a step t along d satisfying the strong Wolfe conditions (sufficient decrease
 * c1, curvature c2): bracketing, then zoom by cubic interpolation (PyTorch's `_strong_wolfe`).
 * Returns the new loss, its flat gradient, t and the number of evaluations.
 */
function strongWolfe(
  objFunc: ObjFunc,
  x: Tensor[],
  t0: number,
  d: Tensor,
  f: number,
  g0: Tensor,
  gtd: number,
  c1 = 1e-4,
  c2 = 0.9,
  toleranceChange = 1e-9,
  maxLs = 25,
): [number, Tensor, number, number] {
  let t = t0;
  const dNorm = num(d.abs().max());
  const g = g0.clone();
  let [fNew, gNew] = objFunc(x, t, d);
  let lsFuncEvals = 1;
  let gtdNew = num(gNew.dot(d));
  let tPrev = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: Tensor[] = [];
  let bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    // the Armijo condition fails, or the function rose: the minimum is bracketed
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.clone()];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      bracket = [t];
      bracketF = [fNew];
      bracketG = [gNew];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.clone()];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    // extrapolate
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew.clone();
    gtdPrev = gtdNew;
    [fNew, gNew] = objFunc(x, t, d);
    lsFuncEvals += 1;
    gtdNew = num(gNew.dot(d));
    lsIter += 1;
  }
  if (lsIter === maxLs) {
    bracket = [0, t];
    bracketF = [f, fNew];
    bracketG = [g, gNew];
  }
  // zoom until a point satisfies the conditions or the bracket is too small
  let insufProgress = false;
  let [lowPos, highPos] = bracketF[0] <= bracketF[bracketF.length - 1] ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
    t = cubicInterpolate(
      bracket[0],
      bracketF[0],
      bracketGtd[0],
      bracket[1],
      bracketF[1],
      bracketGtd[1],
    );
    // safeguard: keep t at least 10% of the bracket away from its ends
    const bmax = Math.max(...bracket);
    const bmin = Math.min(...bracket);
    const eps = 0.1 * (bmax - bmin);
    if (Math.min(bmax - t, t - bmin) < eps) {
      if (insufProgress || t >= bmax || t <= bmin) {
        t = Math.abs(t - bmax) < Math.abs(t - bmin) ? bmax - eps : bmin + eps;
        insufProgress = false;
      } else insufProgress = true;
    } else insufProgress = false;
    [fNew, gNew] = objFunc(x, t, d);
    lsFuncEvals += 1;
    gtdNew = num(gNew.dot(d));
    lsIter += 1;
    if (fNew > f + c1 * t * gtd || fNew >= bracketF[lowPos]) {
      bracket[highPos] = t;
      bracketF[highPos] = fNew;
      bracketG[highPos] = gNew.clone();
      bracketGtd[highPos] = gtdNew;
      [lowPos, highPos] = bracketF[0] <= bracketF[1] ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) done = true;
      else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0) {
        bracket[highPos] = bracket[lowPos];
        bracketF[highPos] = bracketF[lowPos];
        bracketG[highPos] = bracketG[lowPos];
        bracketGtd[highPos] = bracketGtd[lowPos];
      }
      bracket[lowPos] = t;
      bracketF[lowPos] = fNew;
      bracketG[lowPos] = gNew.clone();
      bracketGtd[lowPos] = gtdNew;
    }
  }
  return [bracketF[lowPos], bracketG[lowPos], bracket[lowPos], lsFuncEvals];
}

/**
 * L-BFGS. One parameter group only; `step(closure)` runs up to maxIter iterations, calling the
 * closure (which must zero the gradients, compute the loss, call backward and return it) as
 * often as the iterations and the line search need. State (on the first parameter, as
 * PyTorch): `func_evals`, `n_iter`, `d`, `t`, `old_dirs`, `old_stps`, `ro`, `H_diag`,
 * `prev_flat_grad`, `prev_loss`, `al`.
 * @example
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

  private _gatherFlatGrad(): Tensor {
    return cat(
      this._params.map((p) =>
        p._grad === null ? p.newZeros([p.numel()]) : p._grad.reshape([-1]),
      ),
      0,
    );
  }

  /** p += stepSize * update[p's slice], parameter by parameter. */
  private _addGrad(stepSize: number, update: Tensor): void {
    let offset = 0;
    for (const p of this._params) {
      const n = p.numel();
      p.add_(update.narrow(0, offset, n).view(p.shape), { alpha: stepSize });
      offset += n;
    }
  }

  private _cloneParam(): Tensor[] {
    return this._params.map((p) => p.clone());
  }

  private _setParam(data: Tensor[]): void {
    this._params.forEach((p, i) => p.copy_(data[i]));
  }

  private _directionalEvaluate(
    closure: () => Tensor | number,
    x: Tensor[],
    t: number,
    d: Tensor,
  ): [number, Tensor] {
    this._addGrad(t, d);
    const loss = num(enableGrad(closure));
    const flatGrad = this._gatherFlatGrad();
    this._setParam(x);
    return [loss, flatGrad];
  }

  /**
   * Run the L-BFGS iterations; returns the closure's first loss.
   * @example opt.step(closure)
   */
  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    if (closure === undefined)
      throw new TypeError("step() missing 1 required positional argument: 'closure'");
    this._stepCount++;
    return noGrad(() => this._lbfgs(closure));
  }

  private _lbfgs(closure: () => Tensor | number): Tensor | number {
    const group = this.paramGroups[0] as ParamGroup;
    const lr = group.lr;
    const maxIter = group.maxIter as number;
    const maxEval = group.maxEval as number;
    const toleranceGrad = group.toleranceGrad as number;
    const toleranceChange = group.toleranceChange as number;
    const lineSearchFn = group.lineSearchFn as string | null;
    const historySize = group.historySize as number;

    let state = this.state.get(this._params[0]);
    if (state === undefined) {
      state = {};
      this.state.set(this._params[0], state);
    }
    state.func_evals ??= 0;
    state.n_iter ??= 0;

    const origLoss = enableGrad(closure);
    let loss = num(origLoss);
    let currentEvals = 1;
    state.func_evals = (state.func_evals as number) + 1;

    let flatGrad = this._gatherFlatGrad();
    let optCond = num(flatGrad.abs().max()) <= toleranceGrad;
    // optimal condition
    if (optCond) return origLoss;

    let d = state.d as Tensor | undefined;
    let t = state.t === undefined ? undefined : num(state.t as Tensor | number);
    let oldDirs = state.old_dirs as Tensor[] | undefined;
    let oldStps = state.old_stps as Tensor[] | undefined;
    let ro = state.ro as Tensor[] | undefined;
    let hDiag = state.H_diag as Tensor | number | undefined;
    let prevFlatGrad = (state.prev_flat_grad as Tensor | null | undefined) ?? null;
    let prevLoss = state.prev_loss as number | undefined;

    let nIter = 0;
    while (nIter < maxIter) {
      nIter += 1;
      state.n_iter = (state.n_iter as number) + 1;
      // the descent direction
      if (state.n_iter === 1) {
        d = flatGrad.neg();
        oldDirs = [];
        oldStps = [];
        ro = [];
        hDiag = 1;
      } else {
        const dirs = oldDirs as Tensor[];
        const stps = oldStps as Tensor[];
        const ros = ro as Tensor[];
        // the L-BFGS update (y = Δgrad, s = t d)
        const y = flatGrad.sub(prevFlatGrad as Tensor);
        const s = (d as Tensor).mul(t as number);
        const ys = y.dot(s);
        if (num(ys) > 1e-10) {
          // update the memory, dropping the oldest pair when full
          if (dirs.length === historySize) {
            dirs.shift();
            stps.shift();
            ros.shift();
          }
          dirs.push(y);
          stps.push(s);
          ros.push(ys.reciprocal());
          // the initial Hessian approximation H_diag = y·s / y·y
          hDiag = ys.div(y.dot(y));
        }
        const numOld = dirs.length;
        if (!("al" in state)) state.al = new Array<Tensor | null>(historySize).fill(null);
        const al = state.al as (Tensor | null)[];
        // two-loop recursion: q = -grad, then r = H q
        const q = flatGrad.neg();
        for (let i = numOld - 1; i >= 0; i--) {
          al[i] = stps[i].dot(q).mul(ros[i]);
          q.add_(dirs[i], { alpha: -num(al[i] as Tensor) });
        }
        const r = q.mul(hDiag as Tensor | number);
        d = r;
        for (let i = 0; i < numOld; i++) {
          const beI = dirs[i].dot(r).mul(ros[i]);
          r.add_(stps[i], { alpha: num((al[i] as Tensor).sub(beI)) });
        }
      }
      if (prevFlatGrad === null) prevFlatGrad = flatGrad.clone();
      else prevFlatGrad.copy_(flatGrad);
      prevLoss = loss;
      // the step length: 1 / |grad|_1 (at most 1) on the first iteration, lr after
      if (state.n_iter === 1) {
        const inv = num(flatGrad.abs().sum().reciprocal());
        t = (inv < 1 ? inv : 1) * lr;
      } else t = lr;
      const dd = d as Tensor;
      const gtd = num(flatGrad.dot(dd));
      // directional derivative below the tolerance: stop
      if (gtd > -toleranceChange) break;

      let lsFuncEvals = 0;
      if (lineSearchFn !== null) {
        if (lineSearchFn !== "strong_wolfe") throw runtimeError("only 'strong_wolfe' is supported");
        const xInit = this._cloneParam();
        const objFunc: ObjFunc = (x, tt, dir) => this._directionalEvaluate(closure, x, tt, dir);
        [loss, flatGrad, t, lsFuncEvals] = strongWolfe(objFunc, xInit, t, dd, loss, flatGrad, gtd);
        this._addGrad(t, dd);
        optCond = num(flatGrad.abs().max()) <= toleranceGrad;
      } else {
        // a fixed step, and re-evaluate unless this is the last iteration
        this._addGrad(t, dd);
        if (nIter !== maxIter) {
          loss = num(enableGrad(closure));
          flatGrad = this._gatherFlatGrad();
          optCond = num(flatGrad.abs().max()) <= toleranceGrad;
          lsFuncEvals = 1;
        }
      }
      currentEvals += lsFuncEvals;
      state.func_evals = (state.func_evals as number) + lsFuncEvals;

      // the stopping conditions
      if (nIter === maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      if (num(dd.mul(t).abs().max()) <= toleranceChange) break;
      if (Math.abs(loss - (prevLoss as number)) < toleranceChange) break;
    }
    state.d = d;
    state.t = t;
    state.old_dirs = oldDirs;
    state.old_stps = oldStps;
    state.ro = ro;
    state.H_diag = hDiag;
    state.prev_flat_grad = prevFlatGrad;
    state.prev_loss = prevLoss;
    return origLoss;
  }
}
