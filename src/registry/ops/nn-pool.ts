/**
 * Pooling in torch.nn.functional (and the torch.* builtins PyTorch also has): max, average,
 * adaptive max / average, LP, fractional max pooling and max unpooling in 1, 2 and 3 dims.
 * One N-d path per kind: a 1-D pooling is the 2-D one of a height-1 plane (as PyTorch's,
 * SqueezeBackward1 on top), 2-D and 3-D share the recording ops of src/ops/pooling.ts and one
 * kernel each (src/backend/pooling.ts). Argument checks are PyTorch's, in its order and words.
 */
import type { Tensor } from "../../tensor.js";
import { int64 } from "../../dtype.js";
import {
  adaptiveAvgPool as adaptiveAvgPoolOp,
  adaptiveMaxPool as adaptiveMaxPoolOp,
  avgPool as avgPoolOp,
  fractionalMaxPool as fractionalMaxPoolOp,
  maxPoolWithIndices as maxPoolOp,
  maxUnpool as maxUnpoolOp,
  poolOutputSize,
  type PoolArgs,
} from "../../ops/pooling.js";
import { fractionalIntervals } from "../../backend/pooling.js";
import { randUniform } from "../../ops/distributions.js";
import { alloc, scalarTypeName } from "../../ops/core.js";
import { isGradEnabled } from "../../autograd/grad-mode.js";
import { hasTangent } from "../../autograd/forward-ad.js";
import { indexError, runtimeError, valueError } from "../../errors.js";
import { defineOp, type Namespace } from "../define.js";

/** C++'s integer division (truncating towards zero). */
const cdiv = (a: number, b: number): number => Math.trunc(a / b);
const fmtShape = (s: readonly number[]): string => `[${s.join(", ")}]`;
/** c10's printing of an int list in adaptive pooling messages: `{a, b,c}` */
const braces = (s: readonly number[]): string =>
  `{${s.length > 1 ? `${s[0]}, ${s.slice(1).join(",")}` : s.join("")}}`;
const WORDS = ["", "", "two", "three"];

/**
 * PyTorch's pooling_output_shape checks, for one spatial dim: stride, then the padding against
 * the kernel size.
 */
function checkPoolPad(k: number, pad: number, stride: number): void {
  if (stride === 0) throw runtimeError("stride should not be zero");
  if (pad < 0) throw runtimeError(`pad must be non-negative, but got pad: ${pad}`);
  if (pad > cdiv(k, 2))
    throw runtimeError(
      `pad should be at most half of kernel size, but got pad=${pad} and kernel_size=${k}`,
    );
}

/** The four int[] arguments' length messages of max_poolNd / avg_poolNd. */
function lengthMessages(name: string, k: number) {
  const n = WORDS[k];
  if (name === "avg_pool3d")
    return {
      kernel: `avg_pool3d: kernel_size must be a single int, or a tuple of three ints`,
      stride: `avg_pool3d: stride must be omitted, a single int, or a tuple of three ints`,
      padding: `avg_pool3d: padding must be a single int, or a tuple of three ints`,
      dilation: "",
    };
  return {
    kernel: `${name}: kernel_size must either be a single int, or a tuple of ${n} ints`,
    stride: `${name}: stride must either be omitted, a single int, or a tuple of ${n} ints`,
    padding:
      name === "avg_pool2d"
        ? `avg_pool2d: padding must either be a single int, or a tuple of ${n} ints`
        : `${name}: padding must be either be a single int, or a tuple of ${n} ints`,
    dilation: `max_pool${k}d: dilation must be either a single int, or a tuple of ${n} ints`,
  };
}

/** An int[] argument of k entries from one value or k (PyTorch's `size() == 1 ? [0] : [i]`). */
const spread = (v: readonly number[], k: number): number[] =>
  v.length === 1 ? new Array<number>(k).fill(v[0]) : v.slice();

/**
 * The window arguments of a 2-D or 3-D pooling from PyTorch's int[] arguments (a single value
 * for every dim or one per dim; stride empty: the kernel), with the checks of its meta
 * function in order (argument lengths, pooling_output_shape, pool2d/pool3d_shape_check).
 */
export function poolArgs(
  name: "max_pool2d" | "avg_pool2d" | "max_pool3d" | "avg_pool3d",
  x: Tensor,
  kernel: readonly number[],
  stride: readonly number[] | null,
  padding: readonly number[],
  dilation: readonly number[],
  ceilMode: boolean,
): PoolArgs {
  const k = name.endsWith("3d") ? 3 : 2;
  const isMax = name.startsWith("max");
  const msg = lengthMessages(name, k);
  if (kernel.length !== 1 && kernel.length !== k) throw runtimeError(msg.kernel);
  const st = stride ?? [];
  if (st.length !== 0 && st.length !== 1 && st.length !== k) throw runtimeError(msg.stride);
  if (padding.length !== 1 && padding.length !== k) throw runtimeError(msg.padding);
  if (dilation.length !== 1 && dilation.length !== k) throw runtimeError(msg.dilation);
  const ks = spread(kernel, k);
  const ss = st.length === 0 ? ks.slice() : spread(st, k);
  const ps = spread(padding, k);
  const ds = spread(dilation, k);
  const nd = x.dim();
  const s = x.shape;
  if (k === 2) {
    if (isMax && nd !== 3 && nd !== 4)
      throw runtimeError("non-empty 3D or 4D (batch mode) tensor expected for input");
    if (!isMax && nd < 3)
      throw indexError(
        `Dimension out of range (expected to be in range of [${-Math.max(nd, 1)}, ${Math.max(nd, 1) - 1}], but got -3)`,
      );
  } else if (nd !== 4 && nd !== 5) {
    throw runtimeError("non-empty 4D or 5D (batch mode) tensor expected for input");
  }
  for (let i = 0; i < k; i++) checkPoolPad(ks[i], ps[i], ss[i]);
  const sp = s.slice(nd - k);
  const out = sp.map((v, i) => poolOutputSize(v, ks[i], ps[i], ss[i], ds[i], ceilMode));
  const C = s[nd - k - 1];
  if (k === 2) {
    // pool2d_shape_check
    const [kh, kw] = ks;
    if (kh <= 0 || kw <= 0)
      throw runtimeError(`kernel size should be greater than zero, but got kH: ${kh} kW: ${kw}`);
    if (ss[0] <= 0 || ss[1] <= 0)
      throw runtimeError(`stride should be greater than zero, but got dH: ${ss[0]} dW: ${ss[1]}`);
    if (ds[0] <= 0 || ds[1] <= 0)
      throw runtimeError(
        `dilation should be greater than zero, but got dilationH: ${ds[0]} dilationW: ${ds[1]}`,
      );
    const validDims = s[nd - 3] !== 0 && s[nd - 2] !== 0;
    if (!((nd === 3 && s[0] !== 0 && validDims) || (nd === 4 && validDims && s[3] !== 0)))
      throw runtimeError(
        `Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[${s.join(", ")}]`,
      );
  } else {
    // pool3d_shape_check
    const [kt, kh, kw] = ks;
    if (kt <= 0 || kh <= 0 || kw <= 0)
      throw runtimeError(
        `kernel size should be greater than zero, but got kT: ${kt} kH: ${kh} kW: ${kw}`,
      );
    if (ss.some((v) => v <= 0))
      throw runtimeError(
        `stride should be greater than zero, but got dT: ${ss[0]} dH: ${ss[1]} dW: ${ss[2]}`,
      );
    if (ds.some((v) => v <= 0))
      throw runtimeError(
        `dilation should be greater than zero, but got dilationT: ${ds[0]} dilationH: ${ds[1]} dilationW: ${ds[2]}`,
      );
    const fn = isMax ? "max_pool3d_with_indices_out_cpu_template()" : "avg_pool3d()";
    for (let i = nd === 5 ? 1 : 0; i < nd; i++) {
      if (s[i] <= 0)
        throw runtimeError(
          `${fn}: Expected input's non-batch dimensions to have positive length, but input has a shape of ${fmtShape(s)} and non-batch dimension ${s[i]} has length zero!`,
        );
    }
    if (!isMax && (sp[0] < kt || sp[1] < kh || sp[2] < kw))
      throw runtimeError(
        `input image (T: ${sp[0]} H: ${sp[1]} W: ${sp[2]}) smaller than kernel size (kT: ${kt} kH: ${kh} kW: ${kw})`,
      );
  }
  if (out.some((v) => v < 1))
    throw runtimeError(
      `Given input size: (${[C, ...sp].join("x")}). Calculated output size: (${[C, ...out].join("x")}). Output size is too small`,
    );
  return { kernel: ks, stride: ss, padding: ps, dilation: ds, ceilMode };
}

const maxPoolSchema = (name: string, k: number, ret: string): string =>
  `${name}(Tensor input, int[${k}] kernel_size, int[${k}]? stride=None, int[${k}] padding=0, int[${k}] dilation=1, bool ceil_mode=False, bool return_indices=False) -> ${ret}`;
/** torch.max_poolNd's builtin schema (native_functions.yaml) */
const builtinMaxPoolSchema = (name: string, k: number, ret: string): string =>
  `${name}(Tensor self, int[${k}] kernel_size, int[${k}] stride=[], int[${k}] padding=0, int[${k}] dilation=1, bool ceil_mode=False) -> ${ret}`;

/** max_pool2d / max_pool3d with the indices (flat positions in each plane or volume, int64). */
function maxPoolPair(
  k: 2 | 3,
  input: Tensor,
  kernel: number[],
  stride: number[] | null,
  padding: number[],
  dilation: number[],
  ceilMode: boolean,
): [Tensor, Tensor] {
  const a = poolArgs(`max_pool${k}d`, input, kernel, stride, padding, dilation, ceilMode);
  if (k === 3 && !input.dtype.isFloatingPoint)
    throw runtimeError(
      `"max_pool3d_with_indices_cpu" not implemented for '${scalarTypeName(input.dtype)}'`,
    );
  // an empty batch: empty values and indices
  if (input.numel() === 0) {
    const shape = input.shape
      .slice(0, input.dim() - k)
      .concat(
        input.shape
          .slice(input.dim() - k)
          .map((v, i) =>
            poolOutputSize(v, a.kernel[i], a.padding[i], a.stride[i], a.dilation[i], ceilMode),
          ),
      );
    return [alloc(shape, input.dtype), alloc(shape.slice(), int64)];
  }
  return maxPoolOp(input, a);
}

/** The namespaces of a builtin PyTorch has as torch.x and F.x. */
const BOTH: readonly Namespace[] = ["torch", "nn.functional"];

for (const k of [2, 3] as const) {
  const name = `max_pool${k}d`;
  defineOp({
    name,
    namespace: "nn.functional",
    python: { flag: "return_indices", ifTrue: `${name}_with_indices`, ifFalse: `_${name}` },
    variants: ["function"],
    doc: `${name}(x, kernel_size): the maximum of each window (stride defaults to the kernel size); \`[values, indices]\` with \`return_indices\`.`,
    example:
      k === 2
        ? "F.maxPool2d(torch.arange(16).float().view(1, 4, 4), 2) // tensor([[[ 5.,  7.], [13., 15.]]])"
        : "F.maxPool3d(torch.arange(8).float().view(1, 2, 2, 2), 2) // tensor([[[[7.]]]])",
    overloads: [
      {
        schema: maxPoolSchema(name, k, "Tensor"),
        forward: (
          input: Tensor,
          kernel: number[],
          stride: number[] | null,
          padding: number[],
          dilation: number[],
          ceilMode: boolean,
          returnIndices: boolean,
        ) => {
          const r = maxPoolPair(k, input, kernel, stride, padding, dilation, ceilMode);
          return returnIndices ? r : r[0];
        },
      },
    ],
  });
  defineOp({
    name,
    variants: ["function"],
    doc: `torch.${name}(x, kernel_size): the maximum of each window (the builtin F.${name} calls).`,
    example:
      k === 2
        ? "torch.maxPool2d(torch.arange(16).float().view(1, 4, 4), 2) // tensor([[[ 5.,  7.], [13., 15.]]])"
        : "torch.maxPool3d(torch.arange(8).float().view(1, 2, 2, 2), 2) // tensor([[[[7.]]]])",
    overloads: [
      {
        schema: builtinMaxPoolSchema(name, k, "Tensor"),
        forward: (
          input: Tensor,
          kernel: number[],
          stride: number[],
          padding: number[],
          dilation: number[],
          ceilMode: boolean,
        ) => maxPoolPair(k, input, kernel, stride, padding, dilation, ceilMode)[0],
      },
    ],
  });
  defineOp({
    name: `${name}_with_indices`,
    namespace: "nn.functional",
    python: true,
    variants: ["function"],
    doc: `${name}_with_indices(x, kernel_size): \`[values, indices]\` of max pooling, the indices flat positions in each ${k === 2 ? "H*W plane" : "D*H*W volume"}.`,
    example:
      k === 2
        ? "F.maxPool2dWithIndices(torch.arange(4).float().view(1, 2, 2), 2)[1] // tensor([[[3]]])"
        : "F.maxPool3dWithIndices(torch.arange(8).float().view(1, 2, 2, 2), 2)[1] // tensor([[[[7]]]])",
    overloads: [
      {
        schema: maxPoolSchema(`${name}_with_indices`, k, "(Tensor, Tensor)"),
        forward: (
          input: Tensor,
          kernel: number[],
          stride: number[] | null,
          padding: number[],
          dilation: number[],
          ceilMode: boolean,
        ) => maxPoolPair(k, input, kernel, stride, padding, dilation, ceilMode),
      },
    ],
  });
}

/** avg_pool2d / avg_pool3d (torch._C._nn builtins: F.avg_pool2d is the builtin itself). */
function avgPoolNd(
  k: 2 | 3,
  self: Tensor,
  kernel: number[],
  stride: number[],
  padding: number[],
  ceilMode: boolean,
  countIncludePad: boolean,
  divisorOverride: number | null,
): Tensor {
  const name = `avg_pool${k}d` as const;
  const msg = lengthMessages(name, k);
  if (kernel.length !== 1 && kernel.length !== k) throw runtimeError(msg.kernel);
  if (stride.length !== 0 && stride.length !== 1 && stride.length !== k)
    throw runtimeError(msg.stride);
  if (padding.length !== 1 && padding.length !== k) throw runtimeError(msg.padding);
  if (divisorOverride === 0) throw runtimeError("divisor must be not zero");
  const a = poolArgs(name, self, kernel, stride, padding, [1], ceilMode);
  if (k === 3 && !self.dtype.isFloatingPoint)
    throw runtimeError(
      `"avg_pool3d_out_frame" not implemented for '${scalarTypeName(self.dtype)}'`,
    );
  return avgPoolOp(self, { ...a, countIncludePad, divisorOverride: divisorOverride ?? 0 });
}

for (const k of [2, 3] as const) {
  const name = `avg_pool${k}d`;
  defineOp({
    name,
    namespace: "nn.functional",
    variants: ["function"],
    out: true,
    doc: `${name}(x, kernel_size): the mean of each window (stride defaults to the kernel size).`,
    example:
      k === 2
        ? "F.avgPool2d(torch.arange(16).float().view(1, 4, 4), 2) // tensor([[[ 2.5000,  4.5000], [10.5000, 12.5000]]])"
        : "F.avgPool3d(torch.arange(8).float().view(1, 2, 2, 2), 2) // tensor([[[[3.5000]]]])",
    overloads: [
      {
        schema: `${name}(Tensor self, int[${k}] kernel_size, int[${k}] stride=[], int[${k}] padding=0, bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor`,
        forward: (
          self: Tensor,
          kernel: number[],
          stride: number[],
          padding: number[],
          ceilMode: boolean,
          countIncludePad: boolean,
          divisorOverride: number | null,
        ) =>
          avgPoolNd(k, self, kernel, stride, padding, ceilMode, countIncludePad, divisorOverride),
      },
    ],
  });
}

// 1-D pooling: the 2-D pooling of the input with a height-1 plane (unsqueeze(-2) ... squeeze(-2),
// SqueezeBackward1), as PyTorch's, with its 1-D argument checks

/** checkDimRange(name, self, 2, 4) */
function checkDims1d(name: string, x: Tensor): void {
  if (x.dim() < 2 || x.dim() > 3)
    throw runtimeError(
      `Expected 2 to 3 dimensions, but got ${x.dim()}-dimensional tensor for argument #1 'self' (while checking arguments for ${name})`,
    );
}

/** check1d(name, arg, v) */
function check1d(name: string, arg: string, v: readonly number[]): void {
  if (v.length !== 1)
    throw runtimeError(`${name}() argument '${arg}' should contain one int (got ${v.length})`);
}

/** max_pool1d_with_indices: 2-D max pooling of the unsqueezed input, values and indices. */
function maxPool1dPair(
  input: Tensor,
  kernel: number[],
  stride: number[] | null,
  padding: number[],
  dilation: number[],
  ceilMode: boolean,
): [Tensor, Tensor] {
  const st = stride === null || stride.length === 0 ? kernel : stride;
  checkDims1d("max_pool1d", input);
  check1d("max_pool1d", "kernel_size", kernel);
  check1d("max_pool1d", "stride", st);
  check1d("max_pool1d", "padding", padding);
  check1d("max_pool1d", "dilation", dilation);
  const [v, i] = maxPoolPair(
    2,
    input.unsqueeze(-2),
    [1, kernel[0]],
    [1, st[0]],
    [0, padding[0]],
    [1, dilation[0]],
    ceilMode,
  );
  return [v.squeeze(-2), i.squeeze(-2)];
}

/**
 * max_pool1d's values: with a graph to record (or a tangent), through max_pool1d_with_indices;
 * otherwise PyTorch's indices-free path, with its own checks (check_max_pool1d), which allows
 * an empty output.
 */
function maxPool1dValues(
  input: Tensor,
  kernel: number[],
  stride: number[] | null,
  padding: number[],
  dilation: number[],
  ceilMode: boolean,
): Tensor {
  const s = input.shape;
  const nd = input.dim();
  if (!((nd === 2 && s[0] !== 0 && s[1] !== 0) || (nd === 3 && s[1] !== 0 && s[2] !== 0)))
    throw runtimeError(
      `max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:[${s.join(", ")}]`,
    );
  if ((input.requiresGrad && isGradEnabled()) || hasTangent(input))
    return maxPool1dPair(input, kernel, stride, padding, dilation, ceilMode)[0];
  const st = stride ?? [];
  const sizeError = (arg: string, what: string, n: number) =>
    runtimeError(`max_pool1d() ${arg} must be ${what} of size 1 but got size ${n}`);
  if (kernel.length !== 1)
    throw sizeError("kernel_size", "an int, list of ints or tuple of ints", kernel.length);
  if (st.length > 1)
    throw sizeError("stride", "None, an int, list of ints, or tuple of ints", st.length);
  if (padding.length !== 1)
    throw sizeError("padding", "an int, list of ints, or tuple of ints", padding.length);
  if (dilation.length !== 1)
    throw sizeError("dilation", "an int, list of ints or tuple of ints", dilation.length);
  const k = kernel[0];
  const sw = st.length === 0 ? k : st[0];
  const p = padding[0];
  const d = dilation[0];
  if (k <= 0)
    throw runtimeError(`max_pool1d() kernel_size must be greater than zero, but got ${k}`);
  if (sw <= 0) throw runtimeError(`max_pool1d() stride must be greater than zero, but got ${sw}`);
  if (p < 0) throw runtimeError(`max_pool1d() padding must be non-negative, but got ${p}`);
  if (p > cdiv(k, 2))
    throw runtimeError(
      `max_pool1d() padding should be at most half of kernel size, but got padding=${p} and kernel_size=${k}`,
    );
  if (d <= 0) throw runtimeError(`max_pool1d() dilation must be greater than zero, but got ${d}`);
  const ow = poolOutputSize(s[nd - 1], k, p, sw, d, ceilMode);
  if (ow < 0) throw runtimeError(`max_pool1d() Invalid computed output size: ${ow}`);
  if (!input.dtype.isFloatingPoint)
    throw runtimeError(`"max_pool1d_impl" not implemented for '${scalarTypeName(input.dtype)}'`);
  if (ow === 0) return alloc(s.slice(0, -1).concat([0]), input.dtype);
  return maxPool1dPair(input, kernel, st, padding, dilation, ceilMode)[0];
}

defineOp({
  name: "max_pool1d",
  namespace: "nn.functional",
  python: { flag: "return_indices", ifTrue: "max_pool1d_with_indices", ifFalse: "_max_pool1d" },
  variants: ["function"],
  doc: "max_pool1d(x, kernel_size): the maximum of each window along the last dim; `[values, indices]` with `return_indices`.",
  example: "F.maxPool1d(torch.tensor([[1, 3, 2, 4]]), 2) // tensor([[3., 4.]])",
  overloads: [
    {
      schema: maxPoolSchema("max_pool1d", 1, "Tensor"),
      forward: (
        input: Tensor,
        kernel: number[],
        stride: number[] | null,
        padding: number[],
        dilation: number[],
        ceilMode: boolean,
        returnIndices: boolean,
      ) =>
        returnIndices
          ? maxPool1dPair(input, kernel, stride, padding, dilation, ceilMode)
          : maxPool1dValues(input, kernel, stride, padding, dilation, ceilMode),
    },
  ],
});

defineOp({
  name: "max_pool1d",
  variants: ["function"],
  doc: "torch.max_pool1d(x, kernel_size): the maximum of each window along the last dim (the builtin F.max_pool1d calls).",
  example: "torch.maxPool1d(torch.tensor([[1, 3, 2, 4]]), 2) // tensor([[3., 4.]])",
  overloads: [
    {
      schema: builtinMaxPoolSchema("max_pool1d", 1, "Tensor"),
      forward: (
        input: Tensor,
        kernel: number[],
        stride: number[],
        padding: number[],
        dilation: number[],
        ceilMode: boolean,
      ) => maxPool1dValues(input, kernel, stride, padding, dilation, ceilMode),
    },
  ],
});

defineOp({
  name: "max_pool1d_with_indices",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "max_pool1d_with_indices(x, kernel_size): `[values, indices]` of 1-D max pooling.",
  example: "F.maxPool1dWithIndices(torch.tensor([[1, 3, 2, 4]]), 2)[1] // tensor([[1, 3]])",
  overloads: [
    {
      schema: maxPoolSchema("max_pool1d_with_indices", 1, "(Tensor, Tensor)"),
      forward: (
        input: Tensor,
        kernel: number[],
        stride: number[] | null,
        padding: number[],
        dilation: number[],
        ceilMode: boolean,
      ) => maxPool1dPair(input, kernel, stride, padding, dilation, ceilMode),
    },
  ],
});

defineOp({
  name: "max_pool1d_with_indices",
  variants: ["function"],
  doc: "torch.max_pool1d_with_indices(x, kernel_size): `[values, indices]` of 1-D max pooling.",
  example: "torch.maxPool1dWithIndices(torch.tensor([[1, 3, 2, 4]]), 2)[1] // tensor([[1, 3]])",
  overloads: [
    {
      schema: builtinMaxPoolSchema("max_pool1d_with_indices", 1, "(Tensor, Tensor)"),
      forward: (
        input: Tensor,
        kernel: number[],
        stride: number[],
        padding: number[],
        dilation: number[],
        ceilMode: boolean,
      ) => maxPool1dPair(input, kernel, stride, padding, dilation, ceilMode),
    },
  ],
});

for (const ns of BOTH) {
  defineOp({
    name: "avg_pool1d",
    namespace: ns,
    variants: ["function"],
    doc: "avg_pool1d(x, kernel_size): the mean of each window along the last dim.",
    example: `${ns === "torch" ? "torch" : "F"}.avgPool1d(torch.tensor([[1, 3, 2, 4]]), 2) // tensor([[2., 3.]])`,
    overloads: [
      {
        schema:
          "avg_pool1d(Tensor self, int[1] kernel_size, int[1] stride=[], int[1] padding=0, bool ceil_mode=False, bool count_include_pad=True) -> Tensor",
        forward: (
          self: Tensor,
          kernel: number[],
          stride: number[],
          padding: number[],
          ceilMode: boolean,
          countIncludePad: boolean,
        ) => {
          const st = stride.length === 0 ? kernel : stride;
          checkDims1d("avg_pool1d", self);
          check1d("avg_pool1d", "kernel_size", kernel);
          check1d("avg_pool1d", "stride", st);
          check1d("avg_pool1d", "padding", padding);
          const x = self.unsqueeze(-2);
          const a = poolArgs(
            "avg_pool2d",
            x,
            [1, kernel[0]],
            [1, st[0]],
            [0, padding[0]],
            [1],
            ceilMode,
          );
          return avgPoolOp(x, { ...a, countIncludePad, divisorOverride: 0 }).squeeze(-2);
        },
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// adaptive pooling

/**
 * F.adaptive_*_pool2d/3d's _list_with_default: None takes the input's size (the list needs
 * fewer dims than the input). PyTorch skips this check for a single int, which the binder has
 * already made a list: such a call on an input with too few dims gets this ValueError instead
 * of ATen's RuntimeError.
 */
function listWithDefault(input: Tensor, outputSize: readonly (number | null)[]): number[] {
  if (input.dim() <= outputSize.length)
    throw valueError(`Input dimension should be at least ${outputSize.length + 1}`);
  const nd = input.dim();
  return outputSize.map((v, i) => v ?? input.shape[nd - outputSize.length + i]);
}

/** adaptive_avg_pool2d / 3d's checks of the output size (after Python's None filling). */
function adaptiveAvgPool(k: 2 | 3, input: Tensor, size: number[]): Tensor {
  if (size.length !== k) throw runtimeError(`adaptive_avg_pool${k}d: output_size must be ${k}`);
  if (size.some((v) => v < 0))
    throw runtimeError(
      `adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received ${braces(size)}`,
    );
  if (input.dim() === k + 1 || input.dim() === k + 2) {
    for (let i = 1; i < input.dim(); i++) {
      if (input.shape[i] === 0)
        throw runtimeError(
          `adaptive_avg_pool${k}d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes ${fmtShape(input.shape)} with dimension ${i} being empty`,
        );
    }
  }
  return adaptiveAvgPoolOp(input, size);
}

for (const k of [2, 3] as const) {
  const name = `adaptive_avg_pool${k}d`;
  defineOp({
    name,
    namespace: "nn.functional",
    python: true,
    variants: ["function"],
    doc: `${name}(x, output_size): average pooling to a fixed output size (None keeps that input size).`,
    example:
      k === 2
        ? "F.adaptiveAvgPool2d(torch.ones(1, 4, 4), 1) // tensor([[[1.]]])"
        : "F.adaptiveAvgPool3d(torch.ones(1, 2, 4, 4), [1, 2, 2]).shape // [1, 1, 2, 2]",
    overloads: [
      {
        schema: `${name}(Tensor input, SymInt?[${k}] output_size) -> Tensor`,
        forward: (input: Tensor, outputSize: (number | null)[]) =>
          adaptiveAvgPool(k, input, listWithDefault(input, outputSize)),
      },
    ],
  });
}

for (const ns of BOTH) {
  defineOp({
    name: "adaptive_avg_pool1d",
    namespace: ns,
    variants: ["function"],
    doc: "adaptive_avg_pool1d(x, output_size): average pooling of the last dim to a fixed size.",
    example: `${ns === "torch" ? "torch" : "F"}.adaptiveAvgPool1d(torch.tensor([[1, 3, 2, 4]]), 2) // tensor([[2., 3.]])`,
    overloads: [
      {
        schema: "adaptive_avg_pool1d(Tensor self, int[1] output_size) -> Tensor",
        forward: (self: Tensor, outputSize: number[]) => {
          checkDims1d("adaptive_avg_pool1d", self);
          check1d("adaptive_avg_pool1d", "output_size", outputSize);
          return adaptiveAvgPool(2, self.unsqueeze(-2), [1, outputSize[0]]).squeeze(-2);
        },
      },
    ],
  });
}

/** adaptive_max_pool2d / 3d with PyTorch's checks: values and indices. */
function adaptiveMaxPool(k: 2 | 3, input: Tensor, size: number[]): [Tensor, Tensor] {
  const fn = `adaptive_max_pool${k}d`;
  const nd = input.dim();
  if (nd !== k + 1 && nd !== k + 2)
    throw runtimeError(
      `${fn}(): Expected ${k + 1}D or ${k + 2}D tensor, but got: ${fmtShape(input.shape)}`,
    );
  for (let i = 1; i < nd; i++) {
    if (input.shape[i] === 0)
      throw runtimeError(
        `${fn}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes ${fmtShape(input.shape)} with dimension ${i} being empty`,
      );
  }
  if (size.length !== k)
    throw runtimeError(`${fn}(): internal error: output_size.size() must be ${k}`);
  const outShape = input.shape.slice(0, nd - k).concat(size);
  const neg = outShape.find((v) => v < 0);
  if (neg !== undefined)
    throw runtimeError(
      `Trying to create tensor with negative dimension ${neg}: ${fmtShape(outShape)}`,
    );
  if (!input.dtype.isFloatingPoint)
    throw runtimeError(
      `"${k === 2 ? "adaptive_max_pool2d" : "adaptive_max_pool3d_cpu"}" not implemented for '${scalarTypeName(input.dtype)}'`,
    );
  return adaptiveMaxPoolOp(input, size);
}

/** adaptive_max_pool1d: 2-D adaptive max pooling of the unsqueezed input. */
function adaptiveMaxPool1d(self: Tensor, outputSize: number[]): [Tensor, Tensor] {
  checkDims1d("adaptive_max_pool1d", self);
  check1d("adaptive_max_pool1d", "output_size", outputSize);
  const x = self.unsqueeze(-2);
  if (outputSize[0] < 0)
    throw runtimeError(
      `Trying to create tensor with negative dimension ${outputSize[0]}: ${fmtShape([...x.shape.slice(0, -1), outputSize[0]])}`,
    );
  const [v, i] = adaptiveMaxPool(2, x, [1, outputSize[0]]);
  return [v.squeeze(-2), i.squeeze(-2)];
}

for (const k of [1, 2, 3] as const) {
  const name = `adaptive_max_pool${k}d`;
  const sizeType = k === 1 ? "int[1]" : `SymInt?[${k}]`;
  const run = (input: Tensor, outputSize: (number | null)[]): [Tensor, Tensor] =>
    k === 1
      ? adaptiveMaxPool1d(input, outputSize as number[])
      : adaptiveMaxPool(k, input, listWithDefault(input, outputSize));
  const ex =
    k === 1
      ? "F.adaptiveMaxPool1d(torch.tensor([[1, 3, 2, 4]]), 2) // tensor([[3, 4]])"
      : k === 2
        ? "F.adaptiveMaxPool2d(torch.arange(16).float().view(1, 4, 4), 2) // tensor([[[ 5.,  7.], [13., 15.]]])"
        : "F.adaptiveMaxPool3d(torch.arange(8).float().view(1, 2, 2, 2), 1) // tensor([[[[7.]]]])";
  defineOp({
    name,
    namespace: "nn.functional",
    python: { flag: "return_indices", ifTrue: `${name}_with_indices`, ifFalse: `_${name}` },
    variants: ["function"],
    doc: `${name}(x, output_size): max pooling to a fixed output size${k > 1 ? " (None keeps that input size)" : ""}; \`[values, indices]\` with \`return_indices\`.`,
    example: ex.replace("tensor([[3, 4]])", "tensor([[3., 4.]])"),
    overloads: [
      {
        schema: `${name}(Tensor input, ${sizeType} output_size, bool return_indices=False) -> Tensor`,
        forward: (input: Tensor, outputSize: (number | null)[], returnIndices: boolean) => {
          const r = run(input, outputSize);
          return returnIndices ? r : r[0];
        },
      },
    ],
  });
  defineOp({
    name: `${name}_with_indices`,
    namespace: "nn.functional",
    python: true,
    variants: ["function"],
    doc: `${name}_with_indices(x, output_size): \`[values, indices]\` of adaptive max pooling.`,
    example: `F.${k === 1 ? "adaptiveMaxPool1dWithIndices(torch.tensor([[1., 3, 2, 4]]), 2)[1] // tensor([[1, 3]])" : k === 2 ? "adaptiveMaxPool2dWithIndices(torch.arange(4).float().view(1, 2, 2), 1)[1] // tensor([[[3]]])" : "adaptiveMaxPool3dWithIndices(torch.arange(8).float().view(1, 2, 2, 2), 1)[1] // tensor([[[[7]]]])"}`,
    overloads: [
      {
        schema: `${name}_with_indices(Tensor input, ${sizeType} output_size, bool return_indices=False) -> (Tensor, Tensor)`,
        forward: (input: Tensor, outputSize: (number | null)[]) => run(input, outputSize),
      },
    ],
  });
}

defineOp({
  name: "adaptive_max_pool1d",
  variants: ["function"],
  doc: "torch.adaptive_max_pool1d(x, output_size): `[values, indices]` of adaptive max pooling along the last dim.",
  example: "torch.adaptiveMaxPool1d(torch.tensor([[1., 3, 2, 4]]), 2)[0] // tensor([[3., 4.]])",
  overloads: [
    {
      schema: "adaptive_max_pool1d(Tensor self, int[1] output_size) -> (Tensor, Tensor)",
      forward: (self: Tensor, outputSize: number[]) => adaptiveMaxPool1d(self, outputSize),
    },
  ],
});

// ---------------------------------------------------------------------------------------------
// LP pooling: F.lp_pool1d / lp_pool2d as torch/nn/functional.py composes them

for (const k of [1, 2] as const) {
  const name = `lp_pool${k}d`;
  defineOp({
    name,
    namespace: "nn.functional",
    python: true,
    variants: ["function"],
    doc: `${name}(x, norm_type, kernel_size): the p-norm of each window, (sum x^p)^(1/p) (avg_pool of x^p times the window size).`,
    example:
      k === 1
        ? "F.lpPool1d(torch.tensor([[3, 4]]), 2, 2) // tensor([[5.]])"
        : "F.lpPool2d(torch.ones(1, 2, 2), 1, 2) // tensor([[[4.]]])",
    overloads: [
      {
        schema: `${name}(Tensor input, float norm_type, ${k === 1 ? "int" : "int[2]"} kernel_size, int[${k}]? stride=None, bool ceil_mode=False) -> Tensor`,
        forward: (
          input: Tensor,
          normType: number,
          kernel: number | number[],
          stride: number[] | null,
          ceilMode: boolean,
        ) => {
          const x = input.pow(normType);
          const ks = typeof kernel === "number" ? [kernel] : kernel;
          const out =
            k === 1
              ? avgPool1dOf(x, ks, stride ?? [], ceilMode)
              : avgPoolNd(2, x, ks, stride ?? [], [0], ceilMode, true, null);
          // _pair(kernel_size): kw * kh
          const area = k === 1 ? ks[0] : ks.length === 1 ? ks[0] * ks[0] : ks[0] * ks[1];
          return out
            .sign()
            .mul(out.abs().relu())
            .mul(area)
            .pow(1 / normType);
        },
      },
    ],
  });
}

/** F.avg_pool1d(x, kernel, stride, 0, ceil_mode) through the registry op (its checks). */
function avgPool1dOf(x: Tensor, kernel: number[], stride: number[], ceilMode: boolean): Tensor {
  const st = stride.length === 0 ? kernel : stride;
  checkDims1d("avg_pool1d", x);
  check1d("avg_pool1d", "kernel_size", kernel);
  check1d("avg_pool1d", "stride", st);
  const u = x.unsqueeze(-2);
  const a = poolArgs("avg_pool2d", u, [1, kernel[0]], [1, st[0]], [0, 0], [1], ceilMode);
  return avgPoolOp(u, { ...a, countIncludePad: true, divisorOverride: 0 }).squeeze(-2);
}

// ---------------------------------------------------------------------------------------------
// fractional max pooling

/**
 * fractional_max_pool2d / 3d (ATen's): windows of `pool` placed by one random sample per plane
 * and dim (samples [N, C, k]; 2-D: sample 0 for the width, 1 for the height; 3-D: time, height,
 * width), with PyTorch's checks.
 */
function fractionalMaxPool(
  k: 2 | 3,
  input: Tensor,
  pool: number[],
  outputSize: number[],
  samples: Tensor,
): [Tensor, Tensor] {
  const fn = k === 2 ? "fractional_max_pool2d()" : "fractional_max_pool3d_out()";
  if (pool.length !== k && !(k === 3 && pool.length === 1))
    throw runtimeError(
      `fractional_max_pool${k}d: kernel_size must either be a single Int or tuple of Ints`,
    );
  if (outputSize.length !== k && !(k === 3 && outputSize.length === 1))
    throw runtimeError(
      `fractional_max_pool${k}d: output_size must either be a single Int or tuple of Ints`,
    );
  const ps = spread(pool, k);
  const os = spread(outputSize, k);
  const nd = input.dim();
  if (nd !== k + 1 && nd !== k + 2)
    throw runtimeError(
      `${fn}: Expected ${k + 1}D or ${k + 2}D tensor, but got: ${fmtShape(input.shape)}`,
    );
  for (let i = 1; i < nd; i++) {
    if (input.shape[i] === 0)
      throw runtimeError(
        `${fn}: Expected input to have non-zero size for non-batch dimensions, but got${fmtShape(input.shape)} with dimension ${i} being empty.`,
      );
  }
  const sp = input.shape.slice(nd - k);
  const dimNames = k === 2 ? ["height", "width"] : ["time", "height", "width"];
  for (let i = 0; i < k; i++) {
    if (os[i] + ps[i] - 1 > sp[i])
      throw runtimeError(
        `${fn}: pool ${dimNames[i]} ${ps[i]} too large relative to input ${dimNames[i]} ${sp[i]}`,
      );
  }
  if (!input.dtype.isFloatingPoint)
    throw runtimeError(
      `"fractional_max_pool${k}d_out_frame" not implemented for '${scalarTypeName(input.dtype)}'`,
    );
  if (samples.dtype !== input.dtype)
    throw runtimeError(
      `expected scalar type ${scalarTypeName(input.dtype)} but found ${scalarTypeName(samples.dtype)}`,
    );
  const N = nd === k + 2 ? input.shape[0] : 1;
  const C = input.shape[nd - k - 1];
  // PyTorch reads samples[n][c][0..k) without checking the shape: refuse what it would overread
  if (samples.numel() < N * C * k)
    throw runtimeError(
      `fractional_max_pool${k}d: expected _random_samples with at least ${N * C * k} elements, but got ${fmtShape(samples.shape)}`,
    );
  const u = samples.contiguous().typedArray;
  const off = samples.contiguous().offset;
  const round = input.dtype.name === "float32" ? Math.fround : (v: number) => v;
  const starts: number[][][] = [];
  for (let p = 0; p < N * C; p++) {
    const at = off + p * k;
    const seq = (dim: number, sample: number) =>
      fractionalIntervals(Number(u[at + sample]), sp[dim], os[dim], ps[dim], round);
    // 2-D: sample 0 places the columns, sample 1 the rows
    starts.push(k === 2 ? [seq(0, 1), seq(1, 0)] : [seq(0, 0), seq(1, 1), seq(2, 2)]);
  }
  return fractionalMaxPoolOp(input, ps, os, starts);
}

for (const k of [2, 3] as const) {
  const name = `fractional_max_pool${k}d`;
  const run = (
    input: Tensor,
    kernel: number[],
    outputSize: number[] | null,
    outputRatio: number | number[] | null,
    samples: Tensor | null,
  ): [Tensor, Tensor] => {
    if (outputSize === null && outputRatio === null)
      throw valueError(`${name} requires specifying either an output_size or an output_ratio`);
    let os = outputSize;
    if (os === null) {
      const r =
        typeof outputRatio === "number"
          ? new Array<number>(k).fill(outputRatio)
          : spread(outputRatio as number[], k);
      const nd = input.dim();
      os = r.map((v, i) => Math.trunc(input.shape[nd - k + i] * v));
    }
    let rs = samples;
    if (rs === null) {
      if (input.dim() < k + 1)
        throw indexError(
          `Dimension out of range (expected to be in range of [${-Math.max(input.dim(), 1)}, ${Math.max(input.dim(), 1) - 1}], but got ${-(k + 1)})`,
        );
      const nBatch = input.dim() === k + 1 ? 1 : input.shape[0];
      rs = randUniform([nBatch, input.shape[input.dim() - k - 1], k], input.dtype, null);
    }
    return fractionalMaxPool(k, input, kernel, os, rs);
  };
  const ex =
    k === 2
      ? "F.fractionalMaxPool2d(torch.randn(1, 8, 8), 2, { outputSize: 4 }).shape // [1, 4, 4]"
      : "F.fractionalMaxPool3d(torch.randn(1, 8, 8, 8), 2, { outputRatio: 0.5 }).shape // [1, 4, 4, 4]";
  // BroadcastingList of floats: one ratio or one per dim (_pair / _triple)
  const ratioUntyped = {
    untyped: ["output_ratio"],
    tsTypes: { output_ratio: "number | readonly number[] | null" },
  };
  const pySchema = (n: string, ret: string) =>
    `${n}(Tensor input, int[${k}] kernel_size, int[${k}]? output_size=None, float[${k}]? output_ratio=None, bool return_indices=False, Tensor? _random_samples=None) -> ${ret}`;
  defineOp({
    name,
    namespace: "nn.functional",
    python: { flag: "return_indices", ifTrue: `${name}_with_indices`, ifFalse: `_${name}` },
    ...ratioUntyped,
    variants: ["function"],
    doc: `${name}(x, kernel_size, output_size | output_ratio): max pooling over pseudo-randomly placed windows (one uniform sample per plane and dim, drawn as PyTorch draws them unless \`_random_samples\` gives them); \`[values, indices]\` with \`return_indices\`.`,
    example: ex,
    overloads: [
      {
        schema: pySchema(name, "Tensor"),
        forward: (
          input: Tensor,
          kernel: number[],
          outputSize: number[] | null,
          outputRatio: number | number[] | null,
          returnIndices: boolean,
          samples: Tensor | null,
        ) => {
          const r = run(input, kernel, outputSize, outputRatio, samples);
          return returnIndices ? r : r[0];
        },
      },
    ],
  });
  defineOp({
    name: `${name}_with_indices`,
    namespace: "nn.functional",
    python: true,
    ...ratioUntyped,
    variants: ["function"],
    doc: `${name}_with_indices(x, kernel_size, output_size | output_ratio): \`[values, indices]\` of fractional max pooling.`,
    example: ex
      .replace(`fractionalMaxPool${k}d(`, `fractionalMaxPool${k}dWithIndices(`)
      .replace(").shape", ")[0].shape"),
    overloads: [
      {
        schema: pySchema(`${name}_with_indices`, "(Tensor, Tensor)"),
        forward: (
          input: Tensor,
          kernel: number[],
          outputSize: number[] | null,
          outputRatio: number | number[] | null,
          _returnIndices: boolean,
          samples: Tensor | null,
        ) => run(input, kernel, outputSize, outputRatio, samples),
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// max unpooling

/** F._unpool_output_size: the default size, or `outputSize` (k or k + 2 entries) checked. */
function unpoolOutputSize(
  input: Tensor,
  kernel: readonly number[],
  stride: readonly number[],
  padding: readonly number[],
  outputSize: readonly number[] | null,
): number[] {
  const k = kernel.length;
  const s = input.shape;
  const def = kernel.map((kk, d) => (s[s.length - k + d] - 1) * stride[d] + kk - 2 * padding[d]);
  if (outputSize === null) return def;
  let os = outputSize.slice();
  if (os.length === k + 2) os = os.slice(2);
  if (os.length !== k)
    throw valueError(
      `output_size should be a sequence containing ${k} or ${k + 2} elements, but it has a length of '${os.length}'`,
    );
  for (let d = 0; d < k; d++) {
    const lo = def[d] - stride[d];
    const hi = def[d] + stride[d];
    if (!(lo < os[d] && os[d] < hi))
      throw valueError(
        `invalid output_size "[${outputSize.join(", ")}]" (dim ${d} must be between ${lo} and ${hi})`,
      );
  }
  return os;
}

/** max_unpool2d / max_unpool3d (ATen's checks). */
function maxUnpool(
  k: 2 | 3,
  self: Tensor,
  indices: Tensor,
  outputSize: number[],
  stride: number[],
): Tensor {
  const nd = self.dim();
  if (k === 2) {
    if (indices.dtype !== int64)
      throw runtimeError(
        `elements in indices should be type int64 but got: ${scalarTypeName(indices.dtype)}`,
      );
    if (outputSize.length !== 2)
      throw runtimeError(
        `There should be exactly two elements (height, width) in output_size, but got ${outputSize.length} elements.`,
      );
    if (nd !== 3 && nd !== 4)
      throw runtimeError(
        `Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with ${nd} dimensions.`,
      );
  } else {
    if (indices.dtype !== int64) throw runtimeError("elements in indices should be type int64");
    if (nd !== 4 && nd !== 5)
      throw runtimeError(
        `Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with ${nd} dimensions.`,
      );
    if (outputSize.length !== 3)
      throw runtimeError(
        `There should be exactly three elements (depth, height, width) in output_size, but got ${outputSize.length} elements.`,
      );
  }
  if (self.dim() !== indices.dim() || self.shape.some((v, i) => v !== indices.shape[i]))
    throw runtimeError(
      `Expected shape of indices to be same as that of the input tensor (${fmtShape(self.shape)}) but got indices tensor with shape: ${fmtShape(indices.shape)}`,
    );
  for (let i = 1; i < nd; i++) {
    if (self.shape[i] === 0)
      throw runtimeError(
        `${k === 2 ? "max_unpooling2d_forward_out_cpu()" : "max_unpooling3d_forward_out_cpu()"}: Expected input to have non-zero size for non-batch dimensions, but got ${fmtShape(self.shape)} with dimension ${i} being empty.`,
      );
  }
  if (k === 3 && stride.some((v) => v <= 0))
    throw runtimeError(`strides should be greater than zero, but got stride: ${fmtShape(stride)}`);
  if (!self.dtype.isFloatingPoint)
    throw runtimeError(`"max_unpool${k}d" not implemented for '${scalarTypeName(self.dtype)}'`);
  return maxUnpoolOp(self, indices, outputSize);
}

for (const k of [1, 2, 3] as const) {
  const name = `max_unpool${k}d`;
  defineOp({
    name,
    namespace: "nn.functional",
    python: true,
    variants: ["function"],
    doc: `${name}(x, indices, kernel_size): the partial inverse of max_pool${k}d, each value written at its index and zeros elsewhere (the output size from the window, or \`output_size\`).`,
    example:
      k === 1
        ? "F.maxUnpool1d(torch.tensor([[3., 4]]), torch.tensor([[1, 3]], { dtype: torch.int64 }), 2) // tensor([[0., 3., 0., 4.]])"
        : k === 2
          ? "F.maxUnpool2d(torch.tensor([[[5.]]]), torch.tensor([[[3]]], { dtype: torch.int64 }), 2) // tensor([[[0., 0.], [0., 5.]]])"
          : "F.maxUnpool3d(torch.tensor([[[[7.]]]]), torch.tensor([[[[7]]]], { dtype: torch.int64 }), 2).shape // [1, 2, 2, 2]",
    overloads: [
      {
        schema: `${name}(Tensor input, Tensor indices, int[${k}] kernel_size, int[${k}]? stride=None, int[${k}] padding=0, int[]? output_size=None) -> Tensor`,
        forward: (
          input: Tensor,
          indices: Tensor,
          kernel: number[],
          stride: number[] | null,
          padding: number[],
          outputSize: number[] | null,
        ) => {
          // _single / _pair / _triple
          const ks = spread(kernel, k);
          const ss = stride === null ? ks : spread(stride, k);
          const ps = spread(padding, k);
          const os = unpoolOutputSize(input, ks, ss, ps, outputSize);
          if (k === 1)
            return maxUnpool(2, input.unsqueeze(-1), indices.unsqueeze(-1), [os[0], 1], []).squeeze(
              -1,
            );
          return maxUnpool(k, input, indices, os, ss);
        },
      },
    ],
  });
}
