/**
 * torch.autograd.gradcheck and gradgradcheck: PyTorch 1.13's slow mode, step for step
 * (torch/autograd/gradcheck.py), with its checks, warnings and error messages.
 *
 * gradcheck compares, for every differentiable output and every input that requires grad, the
 * numerical Jacobian (central differences: each input element perturbed by ±eps in place) with
 * the analytical one (one vector-Jacobian product per output element, computed twice to catch
 * non-determinism). Both are laid out as PyTorch's: one row per input element, one column per
 * output element. Then it checks that a zero grad_output gives zero gradients and that the
 * backward handles undefined (null) output gradients.
 *
 * Complex inputs and outputs follow PyTorch's Wirtinger convention (Note [complex gradcheck]).
 *
 * Not implemented: fast_mode, check_forward_ad, check_batched_grad (vmap), sparse inputs.
 */

/*
 * Note [complex gradcheck]: PyTorch 1.13's `_gradcheck_real_imag`. A complex output is checked
 * as two real functions: first torch.imag, then torch.real applied to every complex output
 * (failures then start "While considering the imaginary part of complex outputs only, "). So
 * every checked output is real. For a complex input z = x + iy of a real output s, the
 * numerical Jacobian row is the conjugate Wirtinger derivative ds/dx + i ds/dy, each part a
 * central difference with the real or the imaginary part perturbed by eps; the analytical row is
 * the vector-Jacobian product, which for complex inputs is exactly that gradient (Note [complex
 * compute]). Jacobians of complex inputs are complex (the input's dtype) and are compared with
 * torch.allclose's complex modulus.
 */
import { Tensor } from "../tensor.js";
import { grad as autogradGrad } from "./api.js";
import { noGrad } from "./grad-mode.js";
import { alloc } from "../ops/core.js";
import { zerosLike } from "../ops/creation.js";
import { randUniform } from "../ops/distributions.js";
import { promoteTypes, float64, complex128, toRealDtype } from "../dtype.js";
import { interleave } from "../ops/complex.js";
import { formatPyFloat } from "../print.js";
import { runtimeError } from "../errors.js";
import { shapeEqual } from "../shape.js";

/** The error gradcheck and gradgradcheck throw (PyTorch's GradcheckError, a RuntimeError). */
export class GradcheckError extends Error {
  override name = "GradcheckError";
}

/** A function of the inputs returning a Tensor or an array of Tensors. */
export type GradcheckFn = (...inputs: never[]) => Tensor | readonly Tensor[] | readonly unknown[];

/** Options of gradcheck (PyTorch's keyword arguments, camelCased). */
export interface GradcheckOptions {
  /** perturbation for the finite differences (default 1e-6) */
  eps?: number;
  /** absolute tolerance (default 1e-5) */
  atol?: number;
  /** relative tolerance (default 1e-3) */
  rtol?: number;
  /** throw a GradcheckError with PyTorch's report on failure (default true); else return false */
  raiseException?: boolean;
  /** tolerance between two backward passes with the same inputs (default 0) */
  nondetTol?: number;
  /** check that undefined (null) output gradients are handled as zeros (default true) */
  checkUndefinedGrad?: boolean;
  /** check that gradients have their inputs' dtypes (default false) */
  checkGradDtypes?: boolean;
}

/** Options of gradgradcheck: gradcheck's, and PyTorch's `gen_non_contig_grad_outputs`. */
export interface GradgradcheckOptions extends GradcheckOptions {
  /** (PyTorch's) make generated grad outputs non-contiguous: not supported, must be false */
  genNonContigGradOutputs?: boolean;
}

const UNDEFINED_GRAD_BC =
  'Backwards compatibility: New undefined gradient support checking feature is enabled by default, but it may break existing callers of this function. If this is true for you, you can call this function with "check_undefined_grad=False" to disable the feature';

const FAILED_NONDET_MSG = `

NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with \`nondet_tol=<tol>\` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have \`gradcheck_nondet_tol=<tol>\`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have \`gradcheck_nondet_tol=<tol>\`
`;

function warn(msg: string): void {
  console.warn(`UserWarning: ${msg}`);
}

function asTuple(x: unknown): unknown[] {
  return Array.isArray(x) ? x.slice() : [x];
}

const isTensor = (x: unknown): x is Tensor => x instanceof Tensor;
const isFloat = (x: unknown): x is Tensor => x instanceof Tensor && x.dtype.isFloatingPoint;
const isComplexT = (x: unknown): x is Tensor => x instanceof Tensor && x.dtype.isComplex;

function differentiableOutputs(x: unknown): Tensor[] {
  return asTuple(x).filter((o): o is Tensor => isTensor(o) && o.requiresGrad);
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

/** The values of `t` in row-major order (a complex tensor's: real part, then imaginary part). */
function flatValues(t: Tensor): number[] {
  if (t.dtype.isComplex)
    return elementOffsets(t).flatMap((o) => [
      t.typedArray[2 * o] as number,
      t.typedArray[2 * o + 1] as number,
    ]);
  return elementOffsets(t).map((o) => Number(t.typedArray[o]));
}

/** The real and (complex tensors) imaginary parts of `t` in row-major order. */
function flatParts(t: Tensor): { re: number[]; im: number[] | null } {
  const offs = elementOffsets(t);
  if (!t.dtype.isComplex) return { re: offs.map((o) => Number(t.typedArray[o])), im: null };
  return {
    re: offs.map((o) => t.typedArray[2 * o] as number),
    im: offs.map((o) => t.typedArray[2 * o + 1] as number),
  };
}

/** A rows x cols matrix (Jacobian) as a Tensor of `dtype`; a complex one has imaginary parts. */
class Jacobian {
  readonly data: Float64Array;
  readonly imag: Float64Array | null;
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly dtype: Tensor["dtype"],
  ) {
    this.data = new Float64Array(rows * cols);
    this.imag = dtype.isComplex ? new Float64Array(rows * cols) : null;
  }
  setColumn(c: number, values: { re: readonly number[]; im: readonly number[] | null }): void {
    for (let r = 0; r < this.rows; r++) {
      this.data[r * this.cols + c] = values.re[r];
      if (this.imag !== null && values.im !== null) this.imag[r * this.cols + c] = values.im[r];
    }
  }
  setRow(r: number, re: readonly number[], im: readonly number[] | null = null): void {
    for (let c = 0; c < this.cols; c++) {
      this.data[r * this.cols + c] = re[c];
      if (this.imag !== null && im !== null) this.imag[r * this.cols + c] = im[c];
    }
  }
  tensor(): Tensor {
    const t = alloc([this.rows, this.cols], this.dtype);
    const a = t.typedArray;
    const im = this.imag;
    if (im === null) for (let i = 0; i < this.data.length; i++) a[i] = this.data[i];
    else {
      for (let i = 0; i < this.data.length; i++) {
        a[2 * i] = this.data[i];
        a[2 * i + 1] = im[i];
      }
    }
    return t;
  }
}

function sizeStr(shape: readonly number[]): string {
  return `torch.Size([${shape.join(", ")}])`;
}

// ---------------------------------------------------------------------------------------------
// inputs and numerical Jacobians

function checkInputs(tupled: readonly unknown[]): void {
  let any = false;
  tupled.forEach((inp, idx) => {
    if (!isTensor(inp) || !inp.requiresGrad) return;
    if (inp.dtype !== float64 && inp.dtype !== complex128) {
      warn(
        `Input #${idx} requires gradient and is not a double precision floating point or complex. This check will likely fail if all the inputs are not of double precision floating point or complex. `,
      );
    }
    if (!inp.strides.every((st, i) => st > 0 || inp.shape[i] <= 1)) {
      throw runtimeError(
        `The ${idx}th input has a dimension with stride 0. gradcheck only supports inputs that are non-overlapping to be able to compute the numerical gradients correctly. You should call .contiguous on the input before passing it to gradcheck.`,
      );
    }
    any = true;
    inp.retainGrad();
  });
  if (!any) {
    throw runtimeError(
      "gradcheck expects at least one input tensor to require gradient, but none of the them have requires_grad=True.",
    );
  }
}

type Fn = (...inputs: unknown[]) => unknown;

/**
 * Numerical Jacobians: for each input requiring grad, one Jacobian per floating output
 * (input numel x output numel), in the output's dtype.
 */
function numericalJacobians(
  fn: Fn,
  inputs: readonly unknown[],
  funcOut: unknown,
  eps: number,
): Jacobian[][] {
  const outs = asTuple(funcOut);
  const floatIdx = outs.map((o, k) => (isFloat(o) ? k : -1)).filter((k) => k >= 0);
  const result: Jacobian[][] = [];
  inputs.forEach((inp) => {
    if (!isTensor(inp) || !inp.requiresGrad) return;
    // complex inputs: Jacobians of the input's dtype (PyTorch's _combine_jacobian_cols)
    const jacs = floatIdx.map(
      (k) =>
        new Jacobian(
          inp.numel(),
          (outs[k] as Tensor).numel(),
          inp.dtype.isComplex ? inp.dtype : (outs[k] as Tensor).dtype,
        ),
    );
    const run = (): Tensor[] => {
      const r = asTuple(fn(...inputs));
      return noGrad(() => r.map((o) => (o as Tensor).clone()));
    };
    /** central differences of the outputs with storage slot `slot` perturbed by eps */
    const differences = (slot: number): number[][] => {
      // perturb the storage directly (PyTorch's x.data: no version bump)
      const orig = inp.typedArray[slot] as number;
      inp.typedArray[slot] = orig - eps;
      const outa = run();
      inp.typedArray[slot] = orig + eps;
      const outb = run();
      inp.typedArray[slot] = orig;
      return noGrad(() => {
        outa.forEach((a, k) => {
          const b = outb[k];
          if (!shapeEqual(a.shape, b.shape)) {
            throw new Error(
              `Expected \`func\` to return outputs with the same shape when inputs are perturbed on index {idx} by ${formatPyFloat(eps)}, but got: shapes ${sizeStr(a.shape)} and ${sizeStr(b.shape)}.`,
            );
          }
          if (a.dtype !== b.dtype) {
            throw new Error(
              `Expected \`func\` to return outputs with the same dtype when inputs are perturbed on index {idx} by ${formatPyFloat(eps)}, but got: dtypes ${a.dtype} and ${b.dtype}.`,
            );
          }
        });
        return floatIdx.map((k) => flatValues(outb[k].sub(outa[k]).div(2 * eps)));
      });
    };
    elementOffsets(inp).forEach((off, dIdx) => {
      if (!inp.dtype.isComplex) {
        differences(off).forEach((d, q) => jacs[q].setRow(dIdx, d));
        return;
      }
      // conjugate Wirtinger derivative ds/dx + i ds/dy (Note [complex gradcheck])
      const dsDx = differences(2 * off);
      const dsDy = differences(2 * off + 1);
      dsDx.forEach((d, q) => jacs[q].setRow(dIdx, d, dsDy[q]));
    });
    result.push(jacs);
  });
  return result;
}

// ---------------------------------------------------------------------------------------------
// analytical Jacobians

/** Jacobians of `output` w.r.t. each input requiring grad, from one backward per element. */
function analyticalRows(
  diffInputs: Tensor[],
  output: Tensor,
): { jacs: Jacobian[]; sizesOk: boolean; typesOk: boolean } {
  const n = output.numel();
  const jacs = diffInputs.map((t) => new Jacobian(t.numel(), n, t.dtype));
  let sizesOk = true;
  let typesOk = true;
  for (let j = 0; j < n; j++) {
    const go = zerosLike(output);
    go.typedArray[j] = 1; // fresh contiguous zeros: element j is at offset j
    const grads = autogradGrad([output], diffInputs, {
      gradOutputs: [go],
      retainGraph: true,
      allowUnused: true,
    });
    grads.forEach((g, i) => {
      const inp = diffInputs[i];
      if (g === null) return; // a zero column
      if (!shapeEqual(g.shape, inp.shape)) sizesOk = false;
      else if (g.dtype !== inp.dtype) typesOk = false;
      if (g.numel() !== inp.numel()) throw new Error("AssertionError");
      jacs[i].setColumn(j, flatParts(g));
    });
  }
  return { jacs, sizesOk, typesOk };
}

function checkAnalytical(
  diffInputs: Tensor[],
  output: Tensor,
  nondetTol: number,
  checkGradDtypes: boolean,
): Jacobian[] {
  // computed twice to detect non-determinism ("reentrancy")
  const first = analyticalRows(diffInputs, output);
  const second = analyticalRows(diffInputs, output);
  let reentrant = true;
  first.jacs.forEach((j1, i) => {
    const j2 = second.jacs[i];
    if (j1.data.length === 0) return;
    let max = 0;
    for (let k = 0; k < j1.data.length; k++) {
      const dIm = j1.imag !== null && j2.imag !== null ? j1.imag[k] - j2.imag[k] : 0;
      max = Math.max(max, Math.hypot(j1.data[k] - j2.data[k], dIm));
    }
    if (max > nondetTol) reentrant = false;
  });
  if (!first.typesOk && checkGradDtypes) throw new GradcheckError("Gradient has dtype mismatch");
  if (!first.sizesOk) throw new GradcheckError("Analytical gradient has incorrect size");
  if (!reentrant) {
    throw new GradcheckError(
      `Backward is not reentrant, i.e., running backward with same input and grad_output multiple times gives different values, although analytical gradient matches numerical gradient.The tolerance for nondeterminism was ${formatPyFloat(nondetTol)}.${FAILED_NONDET_MSG}`,
    );
  }
  return first.jacs;
}

/**
 * torch.allclose after type promotion: |a - n| <= atol + rtol * |n| everywhere (complex: the
 * modulus).
 */
function allclose(a: Jacobian, n: Jacobian, rtol: number, atol: number): boolean {
  const p = promoteTypes(a.dtype, n.dtype);
  const f32 = toRealDtype(p) !== float64;
  const cast = (v: number): number => (f32 ? Math.fround(v) : v);
  for (let k = 0; k < a.data.length; k++) {
    const x = cast(a.data[k]);
    const y = cast(n.data[k]);
    const xi = cast(a.imag?.[k] ?? 0);
    const yi = cast(n.imag?.[k] ?? 0);
    if (x === y && xi === yi) continue;
    const diff = cast(Math.hypot(x - y, xi - yi));
    if (!(diff <= atol + rtol * cast(Math.hypot(y, yi)))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// the checks

function slowGradcheck(
  fn: Fn,
  funcOut: unknown,
  inputs: readonly unknown[],
  outputs: Tensor[],
  o: Required<Omit<GradcheckOptions, "raiseException">>,
  complexIndices: readonly number[] = [],
  testImag = false,
): void {
  const outs = asTuple(funcOut);
  if (outputs.length === 0) {
    for (const perInput of numericalJacobians(fn, inputs, funcOut, o.eps)) {
      for (const jac of perInput) {
        if (jac.data.some((v) => v !== 0)) {
          throw new GradcheckError("Numerical gradient for function expected to be zero");
        }
      }
    }
    return;
  }
  // numerical[input][floating output] -> per differentiable output, per input
  const numerical = numericalJacobians(fn, inputs, funcOut, o.eps);
  const floatOuts = outs.filter(isFloat);
  const diffInputs = inputs.filter((t): t is Tensor => isTensor(t) && t.requiresGrad);
  outputs.forEach((out, i) => {
    const q = floatOuts.indexOf(out);
    const analytical = checkAnalytical(diffInputs, out, o.nondetTol, o.checkGradDtypes);
    analytical.forEach((a, j) => {
      const n = numerical[j][q];
      if (!allclose(a, n, o.rtol, o.atol)) {
        const prefix = complexIndices.includes(i)
          ? `While considering the ${testImag ? "imaginary" : "real"} part of complex outputs only, `
          : "";
        throw new GradcheckError(
          `${prefix}Jacobian mismatch for output ${i} with respect to input ${j},\nnumerical:${String(n.tensor())}\nanalytical:${String(a.tensor())}\n`,
        );
      }
    });
  });
}

function testBackwardMulByGradOutput(outputs: Tensor[], inputs: readonly unknown[]): void {
  const diffInputs = inputs.filter((t): t is Tensor => isTensor(t) && t.requiresGrad);
  if (diffInputs.length === 0) throw new GradcheckError("no Tensors requiring grad found in input");
  const grads = autogradGrad(outputs, diffInputs, {
    gradOutputs: outputs.map((out) => zerosLike(out)),
    allowUnused: true,
  });
  grads.forEach((gi, k) => {
    if (gi === null) return;
    const di = diffInputs[k];
    if (!flatValues(gi).every((v) => v === 0)) {
      throw new GradcheckError("backward not multiplied by grad_output");
    }
    if (gi.dtype !== di.dtype) throw new GradcheckError("grad is incorrect type");
    if (!shapeEqual(gi.shape, di.shape)) throw new GradcheckError("grad is incorrect size");
  });
}

/**
 * PyTorch wraps outputs in UndefinedGrad nodes, whose backward gives undefined gradients. Here a
 * prehook on each chosen output's node replaces that output's gradient with null, which the
 * node must treat as zeros.
 */
function testUndefinedBackwardMode(fn: Fn, outputs: Tensor[], inputs: readonly unknown[]): void {
  const diffInputs = inputs.filter((t): t is Tensor => isTensor(t) && t.requiresGrad);
  if (diffInputs.length === 0) throw new GradcheckError("no Tensors requiring grad found in input");
  const check = (outs: Tensor[], undefinedIdx: (i: number) => boolean): void => {
    const handles = outs
      .map((out, i) => {
        const node = out.gradFn;
        if (!undefinedIdx(i) || node === null) return null;
        const nr = out.outputNr;
        return node.registerPrehook((gos) => gos.map((g, k) => (k === nr ? null : g)));
      })
      .filter((h) => h !== null);
    let gradsInput: (Tensor | null)[];
    try {
      gradsInput = autogradGrad(outs, diffInputs, {
        gradOutputs: outs.map((out) => zerosLike(out)),
        allowUnused: true,
      });
    } catch {
      warn(UNDEFINED_GRAD_BC);
      throw new GradcheckError(
        'Expected backward function to handle undefined output grads. Please look at "Notes about undefined output gradients" in "tools/autograd/derivatives.yaml"',
      );
    } finally {
      for (const h of handles) h.remove();
    }
    for (const gi of gradsInput) {
      if (gi !== null && !flatValues(gi).every((v) => v === 0)) {
        warn(UNDEFINED_GRAD_BC);
        throw new GradcheckError(
          'Expected all input grads to be undefined or zero when all output grads are undefined or zero. Please look at "Notes about undefined output gradients" in "tools/autograd/derivatives.yaml"',
        );
      }
    }
  };
  const all = differentiableOutputs(fn(...inputs));
  check(all, () => true);
  if (all.length > 1) {
    for (let k = 0; k < outputs.length; k++) {
      check(differentiableOutputs(fn(...inputs)), (i) => i === k);
    }
  }
}

function gradcheckHelper(
  fn: Fn,
  inputs: unknown,
  o: Required<Omit<GradcheckOptions, "raiseException">>,
): boolean {
  const tupled = asTuple(inputs);
  checkInputs(tupled);
  const funcOut = fn(...tupled);
  const outputs = differentiableOutputs(funcOut);
  if (asTuple(funcOut).some(isComplexT)) {
    // Note [complex gradcheck]: the imaginary parts, then the real parts
    const complexIdx = outputs
      .map((out, i) => (out.dtype.isComplex ? i : -1))
      .filter((i) => i >= 0);
    const part =
      (which: "real" | "imag"): Fn =>
      (...args) =>
        asTuple(fn(...args)).map((out) => (isComplexT(out) ? out[which] : out));
    for (const which of ["imag", "real"] as const) {
      const partFn = part(which);
      const partOut = partFn(...tupled);
      slowGradcheck(
        partFn,
        partOut,
        tupled,
        differentiableOutputs(partOut),
        o,
        complexIdx,
        which === "imag",
      );
    }
  } else {
    slowGradcheck(fn, funcOut, tupled, outputs, o);
  }
  testBackwardMulByGradOutput(outputs, tupled);
  if (o.checkUndefinedGrad) testUndefinedBackwardMode(fn, outputs, tupled);
  return true;
}

function fullOptions(opts: GradcheckOptions): Required<Omit<GradcheckOptions, "raiseException">> {
  return {
    eps: opts.eps ?? 1e-6,
    atol: opts.atol ?? 1e-5,
    rtol: opts.rtol ?? 1e-3,
    nondetTol: opts.nondetTol ?? 0,
    checkUndefinedGrad: opts.checkUndefinedGrad ?? true,
    checkGradDtypes: opts.checkGradDtypes ?? false,
  };
}

/**
 * torch.autograd.gradcheck: check the gradients of `fn` w.r.t. the `inputs` that require grad
 * (float64, as in PyTorch; other dtypes warn) against finite differences. Returns true, or
 * throws a GradcheckError with PyTorch's report ("Jacobian mismatch for output 0 with respect to
 * input 0,\nnumerical:tensor(...)\nanalytical:tensor(...)\n"); with `raiseException: false`,
 * returns false instead.
 * @example
 * const x = torch.randn(3, { dtype: torch.float64, requiresGrad: true });
 * torch.autograd.gradcheck((x) => x.sin().mul(x), [x]); // true
 * @example
 * const y = torch.randn(3, { dtype: torch.float64, requiresGrad: true });
 * torch.autograd.gradcheck((y) => y.detach().sin().mul(y), [y], { raiseException: false }); // false
 */
export function gradcheck<F extends GradcheckFn>(
  fn: F,
  inputs: Tensor | readonly unknown[],
  opts: GradcheckOptions = {},
): boolean {
  const o = fullOptions(opts);
  if (opts.raiseException === false) {
    try {
      return gradcheckHelper(fn as unknown as Fn, inputs, o);
    } catch (e) {
      if (e instanceof GradcheckError) return false;
      throw e;
    }
  }
  return gradcheckHelper(fn as unknown as Fn, inputs, o);
}

/**
 * torch.autograd.gradgradcheck: gradcheck of the gradients of `fn` (computed with
 * `createGraph: true`) w.r.t. the inputs and the grad outputs, i.e. a check of the second
 * derivatives. `gradOutputs` defaults to random values in [-1, 1) requiring grad, drawn from
 * the global generator as PyTorch's torch.testing.make_tensor does.
 * @example
 * const x = torch.randn(3, { dtype: torch.float64, requiresGrad: true });
 * const y = torch.randn(3, { dtype: torch.float64, requiresGrad: true });
 * torch.autograd.gradgradcheck((x, y) => x.mul(y).sin(), [x, y]); // true

 */
export function gradgradcheck<F extends GradcheckFn>(
  fn: F,
  inputs: Tensor | readonly unknown[],
  gradOutputs?: Tensor | readonly Tensor[] | null,
  opts: GradgradcheckOptions = {},
): boolean {
  if (opts.genNonContigGradOutputs) {
    throw runtimeError("gradgradcheck: genNonContigGradOutputs is not supported");
  }
  const f = fn as unknown as Fn;
  const tupled = asTuple(inputs);
  let tupledGradOutputs: Tensor[];
  if (gradOutputs === undefined || gradOutputs === null) {
    tupledGradOutputs = differentiableOutputs(f(...tupled)).map((x) => {
      const dtype = x.dtype.isFloatingPoint || x.dtype.isComplex ? x.dtype : float64;
      // make_tensor(low=-1, high=1): high * r + low * (1 - r); complex: real part drawn first
      const uniform = (): Tensor => {
        const r = randUniform(x.shape, toRealDtype(dtype), null);
        return noGrad(() => r.mul(1).add(r.rsub(1).mul(-1)));
      };
      if (!dtype.isComplex) return uniform().requiresGrad_(true);
      const re = uniform();
      const im = uniform();
      return interleave(re, im).requiresGrad_(true);
    });
  } else {
    tupledGradOutputs = asTuple(gradOutputs) as Tensor[];
  }
  const numOutputs = tupledGradOutputs.length;
  const diffInputIdx = new Set(tupled.map((x, i) => (isTensor(x) && x.requiresGrad ? i : -1)));
  const diffGradOutputIdx = new Set(tupledGradOutputs.map((x, i) => (x.requiresGrad ? i : -1)));
  const newFunc = (...args: unknown[]): Tensor[] => {
    const inputArgs = args
      .slice(0, args.length - numOutputs)
      .map((x, i) => (diffInputIdx.has(i) ? (x as Tensor).requiresGrad_() : x));
    const outputs = differentiableOutputs(f(...inputArgs));
    const gos = args
      .slice(args.length - numOutputs)
      .map((x, i) => (diffGradOutputIdx.has(i) ? (x as Tensor).requiresGrad_() : x)) as Tensor[];
    const diffInputArgs = inputArgs.filter((_, i) => diffInputIdx.has(i)) as Tensor[];
    const gradInputs = autogradGrad(outputs, diffInputArgs, {
      gradOutputs: gos,
      createGraph: true,
      allowUnused: true,
    });
    return gradInputs.filter((g): g is Tensor => g !== null);
  };
  return gradcheck(newFunc, [...tupled, ...tupledGradOutputs], opts);
}
