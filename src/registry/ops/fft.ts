/**
 * torch.fft's helpers and the window functions (issue 14): `torch.hannWindow`, `hammingWindow`,
 * `blackmanWindow`, `bartlettWindow`, `kaiserWindow` (factories, ATen's TensorFactories.cpp) and
 * `torch.fft.fftfreq`, `rfftfreq`, `fftshift`, `ifftshift` (ATen's SpectralOps.cpp). The
 * transforms themselves run on the kernels of src/backend/fft.ts.
 *
 * Note [window arithmetic]: ATen computes a window as tensor ops in the requested dtype
 * (`arange(L).mul_(2 pi / (L - 1)).cos_().mul_(-beta).add_(alpha)` for Hamming), each op
 * rounding to that dtype. The float32 forms here round after each of the same steps
 * (Math.fround), so they differ from PyTorch's only where its vectorised cos differs from V8's
 * (an ulp); float64 computes the same expression in double. Half dtypes compute in float32 and
 * round once.
 */
import type { Tensor } from "../../tensor.js";
import { DType, float32, float64, float16, getDefaultDtype } from "../../dtype.js";
import { runtimeError } from "../../errors.js";
import { normalizeDim } from "../../shape.js";
import { i0Scalar } from "../../backend/special.js";
import { defineOp, fn } from "../define.js";
import { allocating, checkOptions, type Device, type Layout } from "./creation.js";

const OPTS =
  "ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None";

/** c10's C++ type names, as TensorOptions prints them. */
const CPP_NAMES: Record<string, string> = {
  uint8: "unsigned char",
  int8: "signed char",
  int16: "short int",
  int32: "int",
  int64: "long int",
  bool: "bool",
};

/** ATen's window_function_checks, then the dtype the window is made in. */
function windowChecks(name: string, L: number, dtype: DType | null): DType {
  const dt = dtype ?? getDefaultDtype();
  if (!dt.isFloatingPoint)
    throw runtimeError(
      `${name} expects floating point dtypes, got: TensorOptions(dtype=${CPP_NAMES[dt.name] ?? dt.name}, device=cpu, layout=Strided (default), requires_grad=false (default), pinned_memory=false, memory_format=(nullopt))`,
    );
  if (L < 0)
    throw runtimeError(`${name} requires non-negative window_length, got window_length=${L}`);
  return dt;
}

/**
 * A window of length L in dtype dt: `value(i, N, round)` for i < L, N the symmetric length
 * (L + 1 when periodic), `round` the dtype's rounding (Note [window arithmetic]).
 */
function makeWindow(
  L: number,
  periodic: boolean,
  dt: DType,
  value: (i: number, N: number, round: (v: number) => number) => number,
): Tensor {
  if (L === 0) return allocating([0], dt, () => fn("zeros")([0], { dtype: dt }) as Tensor);
  if (L === 1) return fn("ones")([1], { dtype: dt }) as Tensor;
  const N = periodic ? L + 1 : L;
  const work = dt === float64 ? float64 : float32;
  const round = work === float64 ? (v: number) => v : Math.fround;
  const t = allocating([L], work, () => fn("empty")([L], { dtype: work }) as Tensor);
  const a = t.typedArray;
  for (let i = 0; i < L; i++) a[i] = value(i, N, round);
  return work === dt ? t : (t.to(dt) as Tensor);
}

/** ATen's hamming_window: alpha - beta cos(2 pi i / (N - 1)), stepwise in the dtype. */
function hamming(alpha: number, beta: number) {
  return (i: number, N: number, r: (v: number) => number): number => {
    const step = r((Math.PI * 2) / (N - 1));
    return r(r(r(Math.cos(r(i * step))) * r(-beta)) + r(alpha));
  };
}

function cosWindowDtype(name: string, L: number, dtype: DType | null): DType {
  const dt = windowChecks(name, L, dtype);
  // cos_ has no float16 CPU kernel in 1.13 (bfloat16 has one)
  if (dt === float16 && L > 1) throw runtimeError(`"cos_vml_cpu" not implemented for 'Half'`);
  return dt;
}

function defineWindow(
  name: string,
  doc: string,
  example: string,
  make: (L: number, periodic: boolean, extra: number[], dt: DType | null) => Tensor,
  extraSchemas: [string, string[]][] = [],
): void {
  const tail = (
    L: number,
    periodic: boolean,
    extra: number[],
    dtype: DType | null,
    layout: Layout,
    device: Device,
    pinMemory: boolean | null,
  ): Tensor => {
    checkOptions(layout, device, pinMemory);
    return make(L, periodic, extra, dtype);
  };
  defineOp({
    name,
    variants: ["function"],
    doc,
    example,
    overloads: [
      {
        schema: `${name}(int window_length, *, ${OPTS}) -> Tensor`,
        forward: (L: number, dt: DType | null, lay: Layout, dev: Device, pin: boolean | null) =>
          tail(L, true, [], dt, lay, dev, pin),
      },
      {
        schema: `${name}.periodic(int window_length, bool periodic, *, ${OPTS}) -> Tensor`,
        forward: (
          L: number,
          periodic: boolean,
          dt: DType | null,
          lay: Layout,
          dev: Device,
          pin: boolean | null,
        ) => tail(L, periodic, [], dt, lay, dev, pin),
      },
      ...extraSchemas.map(([overload, params]) => ({
        schema: `${name}.${overload}(int window_length, bool periodic, ${params
          .map((p) => `float ${p}`)
          .join(", ")}, *, ${OPTS}) -> Tensor`,
        forward: (L: number, periodic: boolean, ...rest: unknown[]) => {
          const extra = rest.slice(0, params.length) as number[];
          const [dt, lay, dev, pin] = rest.slice(params.length) as [
            DType | null,
            Layout,
            Device,
            boolean | null,
          ];
          return tail(L, periodic, extra, dt, lay, dev, pin);
        },
      })),
    ],
  });
}

defineWindow(
  "hann_window",
  "The Hann window 0.5 - 0.5 cos(2 pi n / N) of `window_length` points (N = length when `periodic`, the default, else length - 1).",
  "torch.hannWindow(4) // tensor([0.0000, 0.5000, 1.0000, 0.5000])",
  (L, periodic, _extra, dtype) => {
    const dt = cosWindowDtype("hann_window", L, dtype);
    return makeWindow(L, periodic, dt, hamming(0.5, 0.5));
  },
);

defineWindow(
  "hamming_window",
  "The Hamming window alpha - beta cos(2 pi n / N) (alpha = 0.54, beta = 0.46 by default; N = length when `periodic`, else length - 1).",
  "torch.hammingWindow(4) // tensor([0.0800, 0.5400, 1.0000, 0.5400])",
  (L, periodic, extra, dtype) => {
    const dt = cosWindowDtype("hamming_window", L, dtype);
    return makeWindow(L, periodic, dt, hamming(extra[0] ?? 0.54, extra[1] ?? 0.46));
  },
  [
    ["periodic_alpha", ["alpha"]],
    ["periodic_alpha_beta", ["alpha", "beta"]],
  ],
);

defineWindow(
  "blackman_window",
  "The Blackman window 0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N) (N = length when `periodic`, else length - 1).",
  "torch.blackmanWindow(4) // tensor([-2.9802e-08,  3.4000e-01,  1.0000e+00,  3.4000e-01])",
  (L, periodic, _extra, dtype) => {
    const dt = cosWindowDtype("blackman_window", L, dtype);
    // ATen: w = arange(N) * (pi / (N - 1)); cos(4 w) * 0.08 - cos(2 w) * 0.5 + 0.42
    return makeWindow(L, periodic, dt, (i, N, r) => {
      const w = r(i * r(Math.PI / (N - 1)));
      const a = r(r(Math.cos(r(w * 4))) * r(0.08));
      const b = r(r(Math.cos(r(w * 2))) * 0.5);
      return r(r(a - b) + r(0.42));
    });
  },
);

defineWindow(
  "bartlett_window",
  "The Bartlett (triangular) window 1 - |2n / N - 1| (N = length when `periodic`, else length - 1).",
  "torch.bartlettWindow(5) // tensor([0.0000, 0.4000, 0.8000, 0.8000, 0.4000])",
  (L, periodic, _extra, dtype) => {
    const dt = windowChecks("bartlett_window", L, dtype);
    // ATen: w = arange(N) * (2 / (N - 1)); the second half (from (N - 1) / 2 + 1) becomes 2 - w
    return makeWindow(L, periodic, dt, (i, N, r) => {
      const w = r(i * r(2 / (N - 1)));
      return i >= ((N - 1) >> 1) + 1 ? r(r(-w) + 2) : w;
    });
  },
);

defineWindow(
  "kaiser_window",
  "The Kaiser window I0(beta sqrt(1 - ((n - N/2) / (N/2))^2)) / I0(beta) (beta = 12 by default; N = length when `periodic`, else length - 1).",
  "torch.kaiserWindow(4) // tensor([5.2773e-05, 2.1567e-01, 1.0000e+00, 2.1567e-01])",
  (L, periodic, extra, dtype) => {
    const dt = windowChecks("kaiser_window", L, dtype);
    const beta = extra[0] ?? 12;
    // ATen's kaiser_window kernel, in the dtype's opmath type: alpha = (N - 1) / 2
    return makeWindow(L, periodic, dt, (i, N, r) => {
      const alpha = r((N - 1) / 2);
      const b = r(beta);
      const q = r(r(i - alpha) / alpha);
      return r(r(i0Scalar(r(b * r(Math.sqrt(r(1 - r(q * q))))))) / r(i0Scalar(b)));
    });
  },
  [["beta", ["beta"]]],
);

/** fftfreq / rfftfreq: k / (n d), as ATen computes it: arange(...).mul_(1 / (n d)). */
function freqs(name: string, n: number, d: number, dtype: DType | null, rfft: boolean): Tensor {
  const dt = dtype ?? getDefaultDtype();
  if (!dt.isFloatingPoint) throw runtimeError(`${name} requires a floating point or complex dtype`);
  const len = rfft ? Math.floor(n / 2) + 1 : n;
  const work = dt === float64 ? float64 : float32;
  const r = work === float64 ? (v: number) => v : Math.fround;
  const t = allocating([len], work, () => fn("empty")([len], { dtype: work }) as Tensor);
  const a = t.typedArray;
  const step = r(1 / (n * d));
  const split = Math.floor((n + 1) / 2);
  // fftfreq: 0, 1, ..., (n - 1) / 2, then -(n / 2), ..., -1 (C++ integer division)
  for (let k = 0; k < len; k++) a[k] = r((rfft || k < split ? k : k - n) * step);
  return work === dt ? t : (t.to(dt) as Tensor);
}

for (const [name, rfft, doc, example] of [
  [
    "fftfreq",
    false,
    "The sample frequencies of a length-`n` transform with sample spacing `d`: [0, 1, ..., (n - 1) / 2, -(n / 2), ..., -1] / (d n).",
    "torch.fft.fftfreq(5) // tensor([ 0.0000,  0.2000,  0.4000, -0.4000, -0.2000])",
  ],
  [
    "rfftfreq",
    true,
    "The sample frequencies of rfft's output for a length-`n` signal with sample spacing `d`: [0, 1, ..., n / 2] / (d n).",
    "torch.fft.rfftfreq(5) // tensor([0.0000, 0.2000, 0.4000])",
  ],
] as const) {
  defineOp({
    name,
    namespace: "fft",
    variants: ["function"],
    out: true,
    doc,
    example,
    overloads: [
      {
        schema: `fft_${name}(int n, float d=1.0, *, ${OPTS}) -> Tensor`,
        forward: (
          n: number,
          d: number,
          dtype: DType | null,
          layout: Layout,
          device: Device,
          pinMemory: boolean | null,
        ) => {
          checkOptions(layout, device, pinMemory);
          if (n < 0 && !rfft)
            throw runtimeError(`Trying to create tensor with negative dimension ${n}: [${n}]`);
          return freqs(name, n, d, dtype, rfft);
        },
      },
    ],
  });
}

for (const [name, inverse, doc, example] of [
  [
    "fftshift",
    false,
    "Moves the zero-frequency term to the centre: rolls each of `dim` (all dims by default) by size / 2.",
    "torch.fft.fftshift(torch.fft.fftfreq(5)) // tensor([-0.4000, -0.2000,  0.0000,  0.2000,  0.4000])",
  ],
  [
    "ifftshift",
    true,
    "The inverse of fftshift: rolls each of `dim` (all dims by default) by (size + 1) / 2.",
    "torch.fft.ifftshift(torch.fft.fftshift(torch.arange(5))) // tensor([0, 1, 2, 3, 4])",
  ],
] as const) {
  defineOp({
    name,
    namespace: "fft",
    variants: ["function"],
    doc,
    example,
    overloads: [
      {
        schema: `fft_${name}(Tensor self, int[1]? dim=None) -> Tensor`,
        forward: (self: Tensor, dim: number[] | null) => {
          const nd = self.dim();
          const dims = dim === null ? [...Array(nd).keys()] : dim.map((d) => normalizeDim(d, nd));
          const shifts = dims.map((d) => {
            const s = self.shape[d];
            return inverse ? Math.floor((s + 1) / 2) : Math.floor(s / 2);
          });
          return fn("roll")(self, shifts, dims) as Tensor;
        },
      },
    ],
  });
}
