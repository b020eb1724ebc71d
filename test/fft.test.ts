/**
 * torch.fft's helpers and the window functions against PyTorch 1.13 (test/fixtures/fft.json,
 * scripts/fixtures/fft_fx.py): hann/hamming/blackman/bartlett/kaiser windows at lengths 0, 1,
 * 2, 5, 8, 17, periodic and symmetric, float32 and float64, with their optional parameters;
 * fftfreq/rfftfreq; fftshift/ifftshift over all dims, single dims, dim lists; PyTorch's errors.
 * The transforms (fft ... ihfftn, src/registry/ops/spectral.ts): values, dtypes, grad_fn names
 * and input gradients of a real loss for float32/float64/complex64/complex128/int64 inputs,
 * every norm, n/s slicing and padding, dims, odd and prime lengths, sizes above the native
 * threshold; their errors. Their kernels are tested in test/native-fft.test.ts.
 *
 * Tolerance: windows compute the same steps in the same dtype (Note [window arithmetic] in
 * src/registry/ops/fft.ts); float32 values may differ from PyTorch's vectorised cos by an ulp.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as torch from "tensorgrad";

import { SPECTRAL_DTYPES, assertClose as close, flatValues, fromFlat } from "./helpers/spectral.js";

type Row = [string, (number | boolean)[], string, number[]];
const fx = JSON.parse(readFileSync(new URL("./fixtures/fft.json", import.meta.url), "utf8")) as {
  windows: Row[];
  freqs: Row[];
  shifts: [string, number[], number | number[] | null, number[]][];
  errors: [string, unknown[], string | null, string][];
};

const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const DTYPES: Record<string, torch.DType> = { float32: torch.float32, float64: torch.float64 };

function assertValues(t: torch.Tensor, want: number[], dtype: string, what: string): void {
  assert.equal(String(t.dtype), `torch.${dtype}`, `${what}: dtype`);
  assert.deepEqual(t.shape, [want.length], `${what}: shape`);
  const got = Array.from(t.typedArray as Float32Array | Float64Array);
  const tol = dtype === "float32" ? 2e-7 : 1e-15;
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])),
      `${what} [${i}]: ${got[i]} vs PyTorch's ${want[i]}`,
    );
}

test("window functions match PyTorch", () => {
  const f = torch as unknown as Record<string, (...a: unknown[]) => torch.Tensor>;
  for (const [name, args, dtype, want] of fx.windows) {
    const what = `${name}(${args.join(", ")}, dtype=${dtype})`;
    assertValues(f[camel(name)](...args, { dtype: DTYPES[dtype] }), want, dtype, what);
  }
  // the default dtype, and requires_grad on a factory
  const w = torch.hannWindow(4, { requiresGrad: true });
  assert.equal(w.requiresGrad, true);
  assert.equal(w.dtype, torch.float32);
});

test("fftfreq and rfftfreq match PyTorch", () => {
  const f = torch.fft as unknown as Record<string, (...a: unknown[]) => torch.Tensor>;
  for (const [name, args, dtype, want] of fx.freqs) {
    const what = `fft.${name}(${args.join(", ")}, dtype=${dtype})`;
    assertValues(f[name](...args, { dtype: DTYPES[dtype] }), want, dtype, what);
  }
});

test("fftshift and ifftshift match PyTorch", () => {
  const f = torch.fft as unknown as Record<string, (...a: unknown[]) => torch.Tensor>;
  for (const [name, shape, dim, want] of fx.shifts) {
    const numel = shape.reduce((a, b) => a * b, 1);
    const x = torch.arange(numel).reshape(shape);
    const y = dim === null ? f[name](x) : f[name](x, dim);
    assert.deepEqual(y.shape, shape);
    assert.deepEqual(Array.from(y.flatten().typedArray as Float64Array), want, `${name} ${dim}`);
  }
  // the gradient of a shift is the opposite shift (recorded as roll)
  const x = torch.arange(5, { dtype: torch.float64, requiresGrad: true });
  const y = torch.fft.fftshift(x);
  assert.equal(y.gradFn?.name(), "RollBackward0");
  const g = torch.arange(5, { dtype: torch.float64 });
  y.backward(g);
  // the adjoint of a shift by 5 // 2 is ifftshift, the shift by -(5 // 2) mod 5
  assert.deepEqual(
    Array.from(x.grad!.typedArray as Float64Array),
    Array.from(torch.fft.ifftshift(g).typedArray as Float64Array),
  );
  assert.notDeepEqual(
    Array.from(x.grad!.typedArray as Float64Array),
    Array.from(g.typedArray as Float64Array),
  );
});

test("window and frequency errors use PyTorch's words", () => {
  for (const [name, args, dtype, message] of fx.errors) {
    const parts = name.split(".");
    const ns = (parts.length === 2 ? torch.fft : torch) as unknown as Record<
      string,
      (...a: unknown[]) => unknown
    >;
    const call = args.map((a) => (a === "ones3" ? torch.ones(3) : a));
    if (dtype !== null)
      call.push({ dtype: (torch as unknown as Record<string, torch.DType>)[dtype] });
    assert.throws(
      () => ns[camel(parts[parts.length - 1])](...call),
      (e: Error) => e.message === message,
      `${name}(${args.join(", ")})`,
    );
  }
});

// ---------------------------------------------------------------------------------------------
// the transforms (src/registry/ops/spectral.ts): values, dtypes, grad_fn names and the input
// gradients of a real loss, against PyTorch 1.13
//
// Tolerance: tensorgrad transforms in double and rounds once, pocketfft's float kernels compute
// in float32, so float32 results agree to a few float32 ulps of the largest magnitude.

interface TransformCase {
  f: string;
  shape: number[];
  dtype: string;
  kwargs: Record<string, unknown>;
  x: number[];
  out_dtype: string;
  out_shape: number[];
  out: number[];
  w: number[];
  grad?: number[];
  grad_fn: string | null;
}
const tfx = fx as unknown as {
  transforms: TransformCase[];
  transform_errors: [string, number[], string, Record<string, unknown>, string][];
};
/** The fft tests' tolerances: float32 2e-6, float64 1e-13 (relative to the largest value). */
function assertCloseFft(got: number[], want: number[], dtype: string, what: string): void {
  close(got, want, dtype, what, { single: 2e-6, double: 1e-13 });
}

const fftFns = torch.fft as unknown as Record<string, (...a: unknown[]) => torch.Tensor>;

test("torch.fft transforms match PyTorch: values, dtypes, grad_fn, gradients", () => {
  assert.ok(tfx.transforms.length > 600, "the fixture's cases");
  for (const c of tfx.transforms) {
    const what = `fft.${c.f}(${c.dtype}[${c.shape.join(", ")}], ${JSON.stringify(c.kwargs)})`;
    const x = fromFlat(c.x, c.shape, c.dtype);
    if (c.grad !== undefined) x.requiresGrad_();
    const out = fftFns[c.f](x, c.kwargs);
    assert.equal(String(out.dtype), `torch.${c.out_dtype}`, `${what}: dtype`);
    assert.deepEqual(out.shape, c.out_shape, `${what}: shape`);
    assertCloseFft(flatValues(out), c.out, c.out_dtype, `${what}: values`);
    assert.equal(out.gradFn?.name() ?? null, c.grad_fn, `${what}: grad_fn`);
    if (c.grad === undefined) continue;
    const view = out.dtype.isComplex ? torch.viewAsReal(out) : out;
    const w = torch.tensor(c.w, { dtype: view.dtype }).reshape(view.shape);
    view.mul(w).sum().backward();
    assert.ok(x.grad !== null, `${what}: a gradient`);
    assertCloseFft(flatValues(x.grad), c.grad, c.dtype, `${what}: gradient`);
  }
});

test("torch.fft transforms raise PyTorch's errors", () => {
  for (const [f, shape, dtype, kwargs, message] of tfx.transform_errors) {
    const x = torch.ones(shape, { dtype: SPECTRAL_DTYPES[dtype] });
    assert.throws(
      () => fftFns[f](x, kwargs),
      (e: Error) => e.message === message,
      `fft.${f}(${dtype}[${shape.join(", ")}], ${JSON.stringify(kwargs)}): ${message}`,
    );
  }
});

test("torch.fft transforms: second derivatives match PyTorch", () => {
  const cases = (
    fx as unknown as {
      gradgrad: { name: string; shape: number[]; x: number[]; g: number[]; gg: number[] }[];
    }
  ).gradgrad;
  // the losses of fft_fx.py's gradgrad_real and gradgrad_complex
  const losses: Record<string, (x: torch.Tensor) => torch.Tensor> = {
    real: (x) => {
      const y = torch.fft.rfft(x, 8, -1, "ortho");
      return torch
        .viewAsReal(y)
        .pow(2)
        .sum()
        .add(torch.fft.irfft(y.mul(y), 7).pow(3).sum());
    },
    complex: (x) => {
      const y = torch.fft.fft2(x, [4, 5]);
      const z = torch.fft.ifftn(y.mul(y), { norm: "forward" });
      return torch
        .viewAsReal(z)
        .pow(3)
        .sum()
        .add(torch.fft.hfft(y, 6, 0).pow(2).sum());
    },
  };
  assert.deepEqual(
    cases.map((c) => c.name),
    Object.keys(losses),
  );
  for (const c of cases) {
    const dtype = c.name === "real" ? "float64" : "complex128";
    const x = fromFlat(c.x, c.shape, dtype).requiresGrad_();
    const [g] = torch.autograd.grad(losses[c.name](x), x, { createGraph: true });
    assert.ok(g !== null, `${c.name}: a gradient`);
    assertCloseFft(flatValues(g), c.g, dtype, `${c.name}: gradient`);
    const gv = g.dtype.isComplex ? torch.viewAsReal(g) : g;
    const [gg] = torch.autograd.grad(gv.pow(2).sum(), x);
    assert.ok(gg !== null, `${c.name}: a second derivative`);
    assertCloseFft(flatValues(gg), c.gg, dtype, `${c.name}: second derivative`);
  }
});
