/**
 * Finite-difference gradient checks, after torch.autograd.gradcheck / gradgradcheck.
 *
 * `gradcheck(fn, inputs)` compares, for every floating output and every input that requires
 * grad, the numerical Jacobian (central differences: perturb one input element by ±eps, in
 * place, and re-run `fn` without grad) with the analytical one (one vector-Jacobian product per
 * output element: `torch.autograd.grad(out, inputs, { gradOutputs: onehot })`). An entry passes
 * when |analytical - numerical| <= atol + rtol * |numerical|. Run it in float64: float32 rounding
 * swamps the differences at eps = 1e-6.
 */
import * as torch from "../../src/index.js";
import type { Tensor } from "../../src/index.js";

export type GradcheckFn = (...inputs: Tensor[]) => Tensor | readonly Tensor[];

export interface GradcheckOptions {
  /** perturbation for the central differences (default 1e-6) */
  eps?: number;
  /** absolute tolerance (default 1e-5) */
  atol?: number;
  /** relative tolerance (default 1e-3) */
  rtol?: number;
  /** throw a descriptive error on a mismatch (default true); otherwise return false */
  raiseException?: boolean;
}

export class GradcheckError extends Error {
  override name = "GradcheckError";
}

function outputsOf(r: Tensor | readonly Tensor[]): Tensor[] {
  return r instanceof torch.Tensor ? [r] : Array.from(r as readonly Tensor[]);
}

/** Storage offset of each element of `t`, in row-major order of its shape. */
function elementOffsets(t: Tensor): number[] {
  const n = t.numel();
  const out = new Array<number>(n);
  const nd = t.dim();
  const idx = new Array<number>(nd).fill(0);
  for (let i = 0; i < n; i++) {
    let off = t.offset;
    for (let k = 0; k < nd; k++) off += idx[k] * t.strides[k];
    out[i] = off;
    for (let k = nd - 1; k >= 0; k--) {
      if (++idx[k] < t.shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

/** The values of `t` in row-major order as float64 numbers. */
function values(t: Tensor): Float64Array {
  return Float64Array.from(elementOffsets(t), (o) => Number(t.data[o]));
}

function fmt(m: number[][]): string {
  return m.map((row) => row.map((v) => v.toPrecision(6)).join(" ")).join("\n");
}

/**
 * Check `fn`'s gradients w.r.t. the `inputs` that require grad against finite differences.
 * @example gradcheck((x, y) => x.mul(y).sin(), [x, y]) // true, or throws GradcheckError
 */
export function gradcheck(
  fn: GradcheckFn,
  inputs: readonly Tensor[],
  opts: GradcheckOptions = {},
): boolean {
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  const raise = opts.raiseException ?? true;
  const diff = inputs
    .map((t, i) => ({ t, i }))
    .filter(({ t }) => t.requiresGrad && t.dtype.isFloatingPoint);
  if (diff.length === 0) {
    throw new GradcheckError("gradcheck expects at least one input tensor to require gradient");
  }
  for (const { t, i } of diff) {
    const offs = elementOffsets(t);
    if (new Set(offs).size !== offs.length) {
      throw new GradcheckError(
        `input ${i} has overlapping memory (an expanded view): perturbing one element would move several`,
      );
    }
  }

  // analytical Jacobians: jac[o][j] is numel(out o) x numel(input j), one backward per row
  const outs = outputsOf(fn(...inputs));
  const floatOuts = outs.map((o, k) => ({ o, k })).filter(({ o }) => o.dtype.isFloatingPoint);
  const analytical = floatOuts.map(({ o }) => {
    const n = o.numel();
    const rows = diff.map(({ t }) =>
      Array.from({ length: n }, () => new Array<number>(t.numel()).fill(0)),
    );
    if (!o.requiresGrad) return rows;
    for (let r = 0; r < n; r++) {
      const onehot = torch.zerosLike(o);
      onehot.data[r] = 1;
      const grads = torch.autograd.grad(
        [o],
        diff.map(({ t }) => t),
        { gradOutputs: [onehot], retainGraph: true, allowUnused: true },
      );
      grads.forEach((g, j) => {
        if (g === null) return;
        const t = diff[j].t;
        if (g.dtype !== t.dtype || g.shape.join() !== t.shape.join()) {
          throw new GradcheckError(
            `gradient of input ${diff[j].i} has dtype ${g.dtype} and shape [${g.shape}], expected ${t.dtype} and [${t.shape}]`,
          );
        }
        const gv = values(g);
        for (let c = 0; c < gv.length; c++) rows[j][r][c] = gv[c];
      });
    }
    return rows;
  });

  // numerical Jacobians, one column per perturbed input element
  const numerical = floatOuts.map(({ o }) =>
    diff.map(({ t }) =>
      Array.from({ length: o.numel() }, () => new Array<number>(t.numel()).fill(0)),
    ),
  );
  const evalNoGrad = (): Float64Array[] =>
    torch.noGrad(() => {
      const r = outputsOf(fn(...inputs));
      return floatOuts.map(({ k }) => values(r[k]));
    });
  diff.forEach(({ t }, j) => {
    const offs = elementOffsets(t);
    offs.forEach((off, c) => {
      const orig = t.data[off];
      t.data[off] = orig + eps;
      const plus = evalNoGrad();
      t.data[off] = orig - eps;
      const minus = evalNoGrad();
      t.data[off] = orig;
      floatOuts.forEach((_, q) => {
        for (let r = 0; r < plus[q].length; r++) {
          numerical[q][j][r][c] = (plus[q][r] - minus[q][r]) / (2 * eps);
        }
      });
    });
  });

  for (let q = 0; q < floatOuts.length; q++) {
    for (let j = 0; j < diff.length; j++) {
      const a = analytical[q][j];
      const nm = numerical[q][j];
      let bad = false;
      for (let r = 0; r < a.length && !bad; r++) {
        for (let c = 0; c < a[r].length; c++) {
          const x = a[r][c];
          const y = nm[r][c];
          if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
            bad = true;
            break;
          }
        }
      }
      if (bad) {
        if (!raise) return false;
        throw new GradcheckError(
          `Jacobian mismatch for output ${floatOuts[q].k} with respect to input ${diff[j].i},\n` +
            `numerical:\n${fmt(nm)}\nanalytical:\n${fmt(a)}`,
        );
      }
    }
  }
  return true;
}

/**
 * Check second derivatives: gradcheck of x -> autograd.grad(fn(x), x, { gradOutputs, createGraph })
 * with fixed `gradOutputs` (default: deterministic values in (-1, 1) for every floating output).
 */
export function gradgradcheck(
  fn: GradcheckFn,
  inputs: readonly Tensor[],
  gradOutputs?: readonly Tensor[] | null,
  opts: GradcheckOptions = {},
): boolean {
  const diff = inputs.filter((t) => t.requiresGrad && t.dtype.isFloatingPoint);
  const probe = outputsOf(fn(...inputs)).filter((o) => o.dtype.isFloatingPoint);
  const gos =
    gradOutputs ??
    probe.map((o, k) => {
      const g = torch.zerosLike(o);
      for (let i = 0; i < g.numel(); i++) g.data[i] = Math.sin(1 + 7 * k + 3.7 * i) * 0.9;
      return g;
    });
  // grad mode on even inside gradcheck's no-grad evaluations: this function differentiates
  const first: GradcheckFn = (...xs) =>
    torch.enableGrad(() => {
      const outs = outputsOf(fn(...xs)).filter((o) => o.dtype.isFloatingPoint);
      const live = outs.map((o, k) => ({ o, g: gos[k] })).filter(({ o }) => o.requiresGrad);
      const wrt = xs.filter((t) => diff.includes(t));
      if (live.length === 0) return wrt.map((t) => torch.zerosLike(t));
      const grads = torch.autograd.grad(
        live.map(({ o }) => o),
        wrt,
        { gradOutputs: live.map(({ g }) => g), createGraph: true, allowUnused: true },
      );
      return grads.map((g, j) => g ?? torch.zerosLike(wrt[j]));
    });
  return gradcheck(first, inputs, opts);
}
