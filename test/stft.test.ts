/**
 * torch.stft / torch.istft (src/registry/ops/stft.ts) against PyTorch 1.13
 * (test/fixtures/stft.json, scripts/fixtures/stft_fx.py): values, dtypes, shapes, grad_fn
 * names and the gradients of a real loss with respect to the signal (or spectrum) and a window
 * requiring grad, for float32/float64/complex64/complex128 inputs, real and complex windows,
 * win_length < n_fft, every pad mode, center on and off, normalized, onesided, istft's length
 * (cut and zero-padded), its deprecated real-view input and return_complex; their errors,
 * word for word, leaving the inputs unchanged.
 *
 * Tolerance: tensorgrad transforms in double and rounds once, pocketfft's float kernels compute
 * in float32 (as test/fft.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import * as torch from "tensorgrad";

import { SPECTRAL_DTYPES, assertClose as close, flatValues, fromFlat } from "./helpers/spectral.js";

interface WindowSpec {
  values: number[];
  dtype: string;
  grad: boolean;
}
interface Case {
  f: "stft" | "istft";
  shape: number[];
  dtype: string;
  x: number[];
  kwargs: Record<string, unknown>;
  window: WindowSpec | null;
  out_dtype: string;
  out_shape: number[];
  out: number[];
  w: number[];
  grad?: number[];
  wgrad?: number[];
  grad_fn: string | null;
}
interface ErrorCase {
  f: "stft" | "istft";
  shape: number[];
  dtype: string;
  kwargs: Record<string, unknown>;
  window: WindowSpec | null;
  type: string;
  message: string;
}
const fx = JSON.parse(readFileSync(new URL("./fixtures/stft.json", import.meta.url), "utf8")) as {
  cases: Case[];
  errors: ErrorCase[];
};

/** The stft tests' tolerances: float32 4e-6, float64 1e-12 (relative to the largest value). */
function assertCloseStft(got: number[], want: number[], dtype: string, what: string): void {
  close(got, want, dtype, what, { single: 4e-6, double: 1e-12 });
}

const fns = torch as unknown as Record<string, (x: torch.Tensor, o: object) => torch.Tensor>;

function windowOf(spec: WindowSpec | null): torch.Tensor | null {
  if (spec === null) return null;
  const w = fromFlat(
    spec.values,
    [spec.values.length / (spec.dtype.startsWith("complex") ? 2 : 1)],
    spec.dtype,
  );
  return spec.grad ? w.requiresGrad_() : w;
}

test("stft and istft match PyTorch: values, dtypes, grad_fn, gradients", () => {
  assert.ok(fx.cases.length >= 40, "the fixture's cases");
  const seen = new Set<string>();
  for (const c of fx.cases) {
    const what = `${c.f}(${c.dtype}[${c.shape.join(", ")}], ${JSON.stringify(c.kwargs)}, window=${c.window?.dtype ?? null})`;
    const x = fromFlat(c.x, c.shape, c.dtype);
    if (c.grad !== undefined) x.requiresGrad_();
    const window = windowOf(c.window);
    const out = fns[c.f](x, window === null ? c.kwargs : { ...c.kwargs, window });
    assert.equal(String(out.dtype), `torch.${c.out_dtype}`, `${what}: dtype`);
    assert.deepEqual(out.shape, c.out_shape, `${what}: shape`);
    assertCloseStft(flatValues(out), c.out, c.out_dtype, `${what}: values`);
    assert.equal(out.gradFn?.name() ?? null, c.grad_fn, `${what}: grad_fn`);
    seen.add(`${c.f}/${c.out_dtype}`);
    if (c.grad === undefined) continue;
    const view = out.dtype.isComplex ? torch.viewAsReal(out) : out;
    view
      .mul(torch.tensor(c.w, { dtype: view.dtype }).reshape(view.shape))
      .sum()
      .backward();
    assert.ok(x.grad !== null, `${what}: a gradient`);
    assertCloseStft(flatValues(x.grad), c.grad, c.dtype, `${what}: gradient`);
    if (c.wgrad !== undefined) {
      assert.ok(window?.grad, `${what}: the window's gradient`);
      assertCloseStft(
        flatValues(window.grad),
        c.wgrad,
        c.window!.dtype,
        `${what}: window gradient`,
      );
    }
  }
  // both directions, real and complex results
  for (const k of ["stft/complex64", "stft/float32", "istft/float32", "istft/complex128"])
    assert.ok(seen.has(k), k);
});

test("stft and istft raise PyTorch's errors and leave the input unchanged", () => {
  const errorClasses = torch as unknown as Record<string, new (...a: never[]) => Error>;
  for (const e of fx.errors) {
    const numel = e.shape.reduce((a, b) => a * b, 1);
    const x =
      e.dtype === "int64"
        ? torch.arange(numel).reshape(e.shape)
        : torch.linspace(-1, 1, numel, { dtype: SPECTRAL_DTYPES[e.dtype] }).reshape(e.shape);
    const before = flatValues(x);
    const window = windowOf(e.window);
    assert.throws(
      () => fns[e.f](x, window === null ? e.kwargs : { ...e.kwargs, window }),
      (err: Error) => err instanceof errorClasses[e.type] && err.message === e.message,
      `${e.f}(${e.dtype}[${e.shape.join(", ")}], ${JSON.stringify(e.kwargs)}): ${e.message}`,
    );
    assert.deepEqual(flatValues(x), before);
  }
});

test("the method forms are the functions", () => {
  const x = torch.linspace(-1, 1, 12);
  const a = torch.stft(x, 4, { returnComplex: true });
  const b = x.stft(4, { returnComplex: true, hopLength: 1 });
  assert.deepEqual(flatValues(a), flatValues(b));
  assert.deepEqual(flatValues(torch.istft(a, 4)), flatValues(a.istft(4)));
  // istft(stft(x)) is x (Note [istft envelope])
  assertCloseStft(flatValues(a.istft(4, { length: 12 })), flatValues(x), "float32", "round trip");
});
