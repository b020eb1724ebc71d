/**
 * Flat-value helpers shared by the fft and stft tests: their fixtures hold tensors as flat
 * lists (real and imaginary parts interleaved when complex), compared with a tolerance scaled
 * by the largest expected magnitude.
 */
import assert from "node:assert/strict";

import * as torch from "tensorgrad";

/** The dtypes the spectral fixtures name. */
export const SPECTRAL_DTYPES: Record<string, torch.DType> = {
  float16: torch.float16,
  float32: torch.float32,
  float64: torch.float64,
  complex64: torch.complex64,
  complex128: torch.complex128,
  int64: torch.int64,
};

/** A tensor of `shape` and `dtype` from its flat (interleaved when complex) values. */
export function fromFlat(x: number[], shape: number[], dtype: string): torch.Tensor {
  const dt = SPECTRAL_DTYPES[dtype];
  if (!dt.isComplex) return torch.tensor(x, { dtype: dt }).reshape(shape);
  const real = dtype === "complex64" ? torch.float32 : torch.float64;
  return torch.viewAsComplex(torch.tensor(x, { dtype: real }).reshape([...shape, 2]));
}

/** A tensor's values as a flat list (interleaved when complex). */
export function flatValues(t: torch.Tensor): number[] {
  const r = t.dtype.isComplex ? torch.viewAsReal(t) : t;
  return Array.from(r.contiguous().typedArray as Float32Array | Float64Array, Number);
}

/**
 * Asserts `got` matches PyTorch's `want` within `tol.single` (float32/complex64) or
 * `tol.double` (otherwise), times max(1, max |want|).
 */
export function assertClose(
  got: number[],
  want: number[],
  dtype: string,
  what: string,
  tol: { single: number; double: number },
): void {
  assert.equal(got.length, want.length, `${what}: length`);
  const scale = Math.max(1, ...want.map(Math.abs));
  const t = (dtype === "float32" || dtype === "complex64" ? tol.single : tol.double) * scale;
  for (let i = 0; i < want.length; i++)
    assert.ok(
      Math.abs(got[i] - want[i]) <= t,
      `${what} [${i}]: ${got[i]} vs PyTorch's ${want[i]} (tolerance ${t})`,
    );
}
