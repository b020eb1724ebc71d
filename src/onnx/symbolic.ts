/**
 * The ONNX mapping of registry ops (PyTorch's torch/onnx/symbolic_opset*.py for tensorgrad):
 * one function per op, keyed by the op's schema name (`add`) or name and overload
 * (`flatten.using_ints`), emitting the ONNX nodes that compute the op's result from its
 * arguments' values. Opsets 13 to 17: Split, Squeeze, Unsqueeze and ReduceSum take their axes
 * as an input (13), the Reduce* ops other than ReduceSum as an attribute (until 18);
 * LayerNormalization exists from 17 (a decomposition before).
 */
import { Tensor } from "../tensor.js";
import { resultType, type DType } from "../dtype.js";
import { runtimeError } from "../errors.js";
import { f, onnxDataType, unsupportedCase, type Graph } from "./graph.js";

/** One traced call as a mapping sees it. */
export interface Call {
  readonly g: Graph;
  /** the op's schema name (messages) */
  readonly op: string;
  /** the arguments by schema parameter name (defaults filled in) */
  readonly a: Readonly<Record<string, unknown>>;
  /** the op's result (computed already) */
  readonly out: unknown;
  /** The value of a tensor argument (a number becomes a 0-dim constant of `dtype`). */
  v(x: unknown, dtype?: DType): string;
  /** Which dims of a tensor argument are dynamic (Note [dynamic dims]). */
  dyn(t: Tensor): readonly boolean[];
  /** Set output `i`'s dynamic dims (instead of the default rule). */
  setDyn(i: number, dyn: readonly boolean[]): void;
}

/** A mapping: the value names of the result's tensors, in order. */
export type Symbolic = (c: Call) => string | readonly string[];

const SYMBOLICS = new Map<string, Symbolic>();

/** The mapping of an op by `name.overload`, then by `name`. */
export function symbolicOf(name: string, overload: string): Symbolic | undefined {
  return (
    (overload !== "" ? SYMBOLICS.get(`${name}.${overload}`) : undefined) ?? SYMBOLICS.get(name)
  );
}

/**
 * The registry ops torch.onnx.export maps to ONNX nodes, by schema name (`name.overload` where
 * the mapping is per overload); nn.MultiheadAttention is mapped as a module.
 * @example torch.onnx.supportedOps().includes("linear") // true
 */
export function mappedOps(): string[] {
  return [...SYMBOLICS.keys()].sort();
}

function def(names: string | readonly string[], s: Symbolic): void {
  for (const n of typeof names === "string" ? [names] : names) SYMBOLICS.set(n, s);
}

// ---------------------------------------------------------------------------------------------
// helpers

/** the op's `self` (or `input`, as Python functions name it) */
const self = (c: Call): Tensor => (c.a.self ?? c.a.input) as Tensor;
const outT = (c: Call): Tensor => c.out as Tensor;
const wrapDim = (d: number, rank: number): number => (d < 0 ? d + rank : d);
const ints = (v: unknown): number[] => (typeof v === "number" ? [v] : [...(v as number[])]);

/** a value of `x` cast to `dtype` when its dtype differs */
function cast(c: Call, x: unknown, dtype: DType): string {
  const name = c.v(x, dtype);
  if (x instanceof Tensor && x.dtype !== dtype)
    return c.g.op1("Cast", [name], { to: onnxDataType(dtype) });
  return name;
}

/** both operands of a binary op in `dtype` */
const pair = (c: Call, x: unknown, y: unknown, dtype: DType): [string, string] => [
  cast(c, x, dtype),
  cast(c, y, dtype),
];

/** the promoted dtype of a binary op's operands */
function promoted(x: unknown, y: unknown): DType {
  const ops = [x, y].map((v) =>
    v instanceof Tensor ? { dtype: v.dtype, ndim: v.dim() } : (v as number | boolean),
  );
  return resultType(ops);
}

/**
 * Note [dynamic dims] for Reshape: the target shape with each dynamic input dim kept
 * symbolic: copied (0) where it stays at its position with its size, or inferred (-1) for the
 * one output dim it is merged into; the output's dynamic dims.
 */
export function reshapeTarget(
  inShape: readonly number[],
  dyn: readonly boolean[],
  target: readonly number[],
): [number[], boolean[]] {
  const numel = inShape.reduce((p, d) => p * d, 1);
  const known = target.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const shape = target.map((d) => (d === -1 ? numel / known : d));
  const outDyn = shape.map(() => false);
  if (!dyn.some((d) => d)) return [[...target], outDyn];
  const res = [...shape];
  // copied dims: a prefix of equal dims
  let k = 0;
  while (k < inShape.length && k < shape.length && inShape[k] === shape[k]) {
    if (dyn[k]) {
      res[k] = 0;
      outDyn[k] = true;
    }
    k++;
  }
  // dynamic dims past the prefix: the output dim whose running product first covers them
  const rest = dyn.map((d, i) => d && i >= k).flatMap((d, i) => (d ? [i] : []));
  if (rest.length > 0) {
    const inProd = inShape.slice(0, rest[rest.length - 1] + 1).reduce((p, d) => p * d, 1);
    let p = 1;
    let j = 0;
    while (j < shape.length && p * shape[j] < inProd) p *= shape[j++];
    const spread = rest.length > 1 && new Set(rest.map(() => j)).size !== 1;
    if (j < shape.length && !spread && !res.includes(-1)) {
      res[j] = -1;
      outDyn[j] = true;
    }
  }
  return [res, outDyn];
}

function reshape(c: Call, x: Tensor, target: readonly number[]): string {
  const [shape, dyn] = reshapeTarget(x.shape, c.dyn(x), target);
  c.setDyn(0, dyn);
  return c.g.op1("Reshape", [c.v(x), c.g.ints(shape)]);
}

/**
 * PyTorch's UnsupportedOperatorError for an op whose ONNX form needs a newer opset ("Support
 * for this operator was added in version N, try exporting with this version."); undefined when
 * the opset has it.
 */
function onlyFrom(c: Call, opset: number): undefined {
  if (c.g.opset >= opset) return undefined;
  throw runtimeError(
    `Exporting the operator 'aten::${c.op}' to ONNX opset version ${c.g.opset} is not supported. ` +
      `Support for this operator was added in version ${opset}, try exporting with this version.`,
  );
}

// ---------------------------------------------------------------------------------------------
// elementwise

const UNARY: Record<string, string> = {
  relu: "Relu",
  sigmoid: "Sigmoid",
  tanh: "Tanh",
  exp: "Exp",
  log: "Log",
  sqrt: "Sqrt",
  abs: "Abs",
  neg: "Neg",
  negative: "Neg",
  reciprocal: "Reciprocal",
  sin: "Sin",
  cos: "Cos",
  tan: "Tan",
  erf: "Erf",
  floor: "Floor",
  ceil: "Ceil",
  sign: "Sign",
  logical_not: "Not",
  selu: "Selu",
  softsign: "Softsign",
};
for (const [name, onnx] of Object.entries(UNARY)) def(name, (c) => c.g.op1(onnx, [c.v(self(c))]));
def("rsqrt", (c) => c.g.op1("Reciprocal", [c.g.op1("Sqrt", [c.v(self(c))])]));
def("square", (c) => {
  const x = c.v(self(c));
  return c.g.op1("Mul", [x, x]);
});
def("silu", (c) => {
  const x = c.v(self(c));
  return c.g.op1("Mul", [x, c.g.op1("Sigmoid", [x])]);
});
def("mish", (c) => {
  const x = c.v(self(c));
  return c.g.op1("Mul", [x, c.g.op1("Tanh", [c.g.op1("Softplus", [x])])]);
});
def("log_sigmoid", (c) => {
  const x = c.v(self(c));
  return c.g.op1("Neg", [c.g.op1("Softplus", [c.g.op1("Neg", [x])])]);
});
// gelu(x) = x/2 (1 + erf(x/√2)); approximate='tanh': x/2 (1 + tanh(√(2/π) (x + 0.044715 x³)))
def("gelu", (c) => {
  const x = self(c);
  const g = c.g;
  const xv = c.v(x);
  const k = (v: number): string => g.scalar(v, x.dtype);
  let inner: string;
  if (c.a.approximate === "tanh") {
    const cube = g.op1("Mul", [g.op1("Mul", [xv, xv]), xv]);
    const sum = g.op1("Add", [xv, g.op1("Mul", [cube, k(0.044715)])]);
    inner = g.op1("Tanh", [g.op1("Mul", [sum, k(Math.sqrt(2 / Math.PI))])]);
  } else {
    inner = g.op1("Erf", [g.op1("Div", [xv, k(Math.SQRT2)])]);
  }
  return g.op1("Mul", [g.op1("Mul", [xv, g.op1("Add", [inner, k(1)])]), k(0.5)]);
});
def("leaky_relu", (c) =>
  c.g.op1("LeakyRelu", [c.v(self(c))], { alpha: f(c.a.negative_slope as number) }),
);
// elu(x) = scale (x > 0 ? x : alpha (exp(x) - 1)) with input_scale 1: Elu, or Selu (gamma = scale)
def("elu", (c) => {
  // F.elu's schema has no scale / input_scale (both 1)
  if ((c.a.input_scale ?? 1) !== 1)
    throw unsupportedCase("elu", "does not support input_scale other than 1");
  const alpha = f(c.a.alpha as number);
  if ((c.a.scale ?? 1) === 1) return c.g.op1("Elu", [c.v(self(c))], { alpha });
  return c.g.op1("Selu", [c.v(self(c))], { alpha, gamma: f(c.a.scale as number) });
});
def("celu", (c) => c.g.op1("Celu", [c.v(self(c))], { alpha: f(c.a.alpha as number) }));
def("hardsigmoid", (c) =>
  c.g.op1("HardSigmoid", [c.v(self(c))], { alpha: f(1 / 6), beta: f(0.5) }),
);
// hardswish(x) = x hardsigmoid(x): HardSwish from opset 14
def("hardswish", (c) => {
  const x = c.v(self(c));
  if (c.g.opset >= 14) return c.g.op1("HardSwish", [x]);
  return c.g.op1("Mul", [x, c.g.op1("HardSigmoid", [x], { alpha: f(1 / 6), beta: f(0.5) })]);
});
// softplus(x) = log(1 + exp(βx)) / β (PyTorch's export ignores the threshold, as here)
def("softplus", (c) => {
  const x = self(c);
  const beta = c.a.beta as number;
  if (beta === 1) return c.g.op1("Softplus", [c.v(x)]);
  const b = c.g.scalar(beta, x.dtype);
  return c.g.op1("Div", [c.g.op1("Softplus", [c.g.op1("Mul", [c.v(x), b])]), b]);
});
def("prelu", (c) => {
  const x = self(c);
  const w = c.a.weight as Tensor;
  let wv = c.v(w);
  // a [C] weight applies along dim 1: shaped [C, 1, ..., 1] to broadcast from the right
  if (x.dim() > 2 && w.numel() > 1)
    wv = c.g.op1("Unsqueeze", [wv, c.g.ints(Array.from({ length: x.dim() - 2 }, (_, i) => i + 1))]);
  return c.g.op1("PRelu", [c.v(x), wv]);
});
function clip(c: Call, x: Tensor, lo: unknown, hi: unknown): string {
  const bound = (b: unknown): string =>
    b === null || b === undefined ? "" : cast(c, b instanceof Tensor ? b : Number(b), x.dtype);
  return c.g.op1("Clip", [c.v(x), bound(lo), bound(hi)]);
}
def("hardtanh", (c) => clip(c, self(c), c.a.min_val, c.a.max_val));
def("relu6", (c) => clip(c, self(c), 0, 6));
def(["clamp", "clip"], (c) => clip(c, self(c), c.a.min, c.a.max));
def("clamp_min", (c) => clip(c, self(c), c.a.min, null));
def("clamp_max", (c) => clip(c, self(c), null, c.a.max));

// binary arithmetic in the result's dtype: add(x, y, alpha) = x + alpha y
function arith(onnx: string, withAlpha: boolean): Symbolic {
  return (c) => {
    const dt = outT(c).dtype;
    const [x, y0] = pair(c, self(c), c.a.other, dt);
    let y = y0;
    const alpha = withAlpha ? (c.a.alpha as number | undefined) : 1;
    if (alpha !== undefined && alpha !== 1) y = c.g.op1("Mul", [y, c.g.scalar(alpha, dt)]);
    return c.g.op1(onnx, [x, y]);
  };
}
def(["add", "add.Tensor", "add.Scalar"], arith("Add", true));
def(["sub", "sub.Tensor", "sub.Scalar"], arith("Sub", true));
def(["mul", "mul.Tensor", "mul.Scalar"], arith("Mul", false));
def(["div.Tensor", "div.Scalar", "true_divide.Tensor", "true_divide.Scalar"], arith("Div", false));
def(["rsub.Tensor", "rsub.Scalar"], (c) => {
  // rsub(x, y, alpha) = y - alpha x
  const dt = outT(c).dtype;
  const [x0, y] = pair(c, self(c), c.a.other, dt);
  const alpha = c.a.alpha as number;
  const x = alpha === 1 ? x0 : c.g.op1("Mul", [x0, c.g.scalar(alpha, dt)]);
  return c.g.op1("Sub", [y, x]);
});
def(["pow.Tensor_Scalar", "pow.Tensor_Tensor", "pow.Scalar"], (c) => {
  const dt = outT(c).dtype;
  const base = c.a.self;
  return c.g.op1("Pow", [cast(c, base, dt), cast(c, c.a.exponent, dt)]);
});
def(["maximum", "minimum", "max.other", "min.other"], (c) => {
  const dt = outT(c).dtype;
  return c.g.op1(c.op.startsWith("max") ? "Max" : "Min", pair(c, self(c), c.a.other, dt));
});
const COMPARE: Record<string, [string, boolean]> = {
  eq: ["Equal", false],
  ne: ["Equal", true],
  lt: ["Less", false],
  le: ["LessOrEqual", false],
  gt: ["Greater", false],
  ge: ["GreaterOrEqual", false],
};
for (const [name, [onnx, negate]] of Object.entries(COMPARE)) {
  def(name, (c) => {
    const r = c.g.op1(onnx, pair(c, self(c), c.a.other, promoted(self(c), c.a.other)));
    return negate ? c.g.op1("Not", [r]) : r;
  });
}
def(["where.self", "where.ScalarSelf", "where.ScalarOther", "where.Scalar"], (c) => {
  const dt = outT(c).dtype;
  return c.g.op1("Where", [c.v(c.a.condition), cast(c, c.a.self, dt), cast(c, c.a.other, dt)]);
});
def(["masked_fill.Scalar", "masked_fill.Tensor"], (c) => {
  const x = self(c);
  return c.g.op1("Where", [c.v(c.a.mask), cast(c, c.a.value, x.dtype), c.v(x)]);
});

// ---------------------------------------------------------------------------------------------
// matrix products

// linear(x, W, b) = x Wᵀ + b: Gemm for a 2-D input (PyTorch's export), MatMul + Add otherwise
def("linear", (c) => {
  const x = self(c);
  const w = c.a.weight as Tensor;
  const b = c.a.bias as Tensor | null;
  if (x.dim() === 2 && b !== null) return c.g.op1("Gemm", [c.v(x), c.v(w), c.v(b)], { transB: 1 });
  const wt = c.g.op1("Transpose", [c.v(w)], { perm: [1, 0] });
  const y = c.g.op1("MatMul", [c.v(x), wt]);
  return b === null ? y : c.g.op1("Add", [y, c.v(b)]);
});
def(["matmul", "mm", "bmm"], (c) => c.g.op1("MatMul", [c.v(self(c)), c.v(c.a.other ?? c.a.mat2)]));
// addmm(b, m1, m2, β, α) = β b + α m1 m2
def("addmm", (c) =>
  c.g.op1("Gemm", [c.v(c.a.mat1), c.v(c.a.mat2), c.v(self(c))], {
    alpha: f(c.a.alpha as number),
    beta: f(c.a.beta as number),
  }),
);
def("baddbmm", (c) => {
  const dt = outT(c).dtype;
  const g = c.g;
  let prod = g.op1("MatMul", [c.v(c.a.batch1), c.v(c.a.batch2)]);
  if (c.a.alpha !== 1) prod = g.op1("Mul", [prod, g.scalar(c.a.alpha as number, dt)]);
  if (c.a.beta === 0) return prod;
  let base = c.v(self(c));
  if (c.a.beta !== 1) base = g.op1("Mul", [base, g.scalar(c.a.beta as number, dt)]);
  return g.op1("Add", [base, prod]);
});
def("t", (c) => {
  const x = self(c);
  return x.dim() < 2 ? c.g.op1("Identity", [c.v(x)]) : transpose(c, x, [1, 0]);
});

// ---------------------------------------------------------------------------------------------
// convolution, pooling, normalisation

const spatial = (x: Tensor): number => x.dim() - 2;
const nTimes = (v: unknown, n: number): number[] => {
  const l = ints(v);
  return l.length === 1 ? Array.from({ length: n }, () => l[0]) : l;
};

def(["conv1d", "conv2d", "conv3d"], (c) => {
  const x = self(c);
  const w = c.a.weight as Tensor;
  const n = w.dim() - 2;
  if (typeof c.a.padding === "string")
    throw unsupportedCase(c.op, `padding='${c.a.padding}' is not supported`);
  const pads = nTimes(c.a.padding, n);
  const inputs = [c.v(x), c.v(w)];
  if (c.a.bias !== null && c.a.bias !== undefined) inputs.push(c.v(c.a.bias));
  return c.g.op1("Conv", inputs, {
    kernel_shape: w.shape.slice(2),
    strides: nTimes(c.a.stride, n),
    pads: [...pads, ...pads],
    dilations: nTimes(c.a.dilation, n),
    group: c.a.groups as number,
  });
});
def(["max_pool1d", "max_pool2d", "max_pool3d"], (c) => {
  const x = self(c);
  const n = Number(c.op.slice(-2, -1));
  if (c.a.return_indices === true)
    throw unsupportedCase(c.op, "return_indices=True is not supported");
  const k = nTimes(c.a.kernel_size, n);
  const s = c.a.stride === null || ints(c.a.stride).length === 0 ? k : nTimes(c.a.stride, n);
  const p = nTimes(c.a.padding, n);
  if (spatial(x) < n) throw unsupportedCase(c.op, "unbatched input is not supported");
  return c.g.op1("MaxPool", [c.v(x)], {
    kernel_shape: k,
    strides: s,
    pads: [...p, ...p],
    dilations: nTimes(c.a.dilation, n),
    ceil_mode: c.a.ceil_mode === true ? 1 : 0,
  });
});
def(["avg_pool1d", "avg_pool2d", "avg_pool3d"], (c) => {
  const x = self(c);
  const n = Number(c.op.slice(-2, -1));
  if (c.a.divisor_override !== null && c.a.divisor_override !== undefined)
    throw unsupportedCase(c.op, "divisor_override is not supported");
  const k = nTimes(c.a.kernel_size, n);
  const s = c.a.stride === null || ints(c.a.stride).length === 0 ? k : nTimes(c.a.stride, n);
  const p = nTimes(c.a.padding, n);
  return c.g.op1("AveragePool", [c.v(x)], {
    kernel_shape: k,
    strides: s,
    pads: [...p, ...p],
    ceil_mode: c.a.ceil_mode === true ? 1 : 0,
    count_include_pad: c.a.count_include_pad === false ? 0 : 1,
  });
});
// adaptive average pooling: global for output 1, a fixed window where the input divides evenly
def(["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d"], (c) => {
  const x = self(c);
  const out = c.out as Tensor;
  const n = Number(c.op.slice(-2, -1));
  const inSp = x.shape.slice(-n);
  const outSp = out.shape.slice(-n);
  if (outSp.every((d) => d === 1)) return c.g.op1("GlobalAveragePool", [c.v(x)]);
  if (inSp.some((d, i) => d % outSp[i] !== 0))
    throw unsupportedCase(c.op, "output size that is not factor of input size");
  const k = inSp.map((d, i) => d / outSp[i]);
  return c.g.op1("AveragePool", [c.v(x)], { kernel_shape: k, strides: k });
});
def("batch_norm", (c) => {
  const x = self(c);
  if (c.a.training === true) throw unsupportedCase("batch_norm", "training mode is not supported");
  const C = x.shape[1];
  const g = c.g;
  const ones = (): string =>
    g.constant(
      Array.from({ length: C }, () => 1),
      onnxDataType(x.dtype),
    );
  const zeros = (): string =>
    g.constant(
      Array.from({ length: C }, () => 0),
      onnxDataType(x.dtype),
    );
  const opt = (t: unknown, d: () => string): string => (t instanceof Tensor ? c.v(t) : d());
  return g.op1(
    "BatchNormalization",
    [
      c.v(x),
      opt(c.a.weight, ones),
      opt(c.a.bias, zeros),
      opt(c.a.running_mean, zeros),
      opt(c.a.running_var, ones),
    ],
    { epsilon: f(c.a.eps as number), momentum: f(1 - (c.a.momentum as number)) },
  );
});
// layer_norm: (x - mean) / sqrt(var + eps) * w + b over the last len(normalized_shape) dims
def("layer_norm", (c) => {
  const x = self(c);
  const g = c.g;
  const k = (c.a.normalized_shape as number[]).length;
  const eps = c.a.eps as number;
  const w = c.a.weight as Tensor | null;
  const b = c.a.bias as Tensor | null;
  if (g.opset >= 17) {
    const scale =
      w !== null
        ? c.v(w)
        : g.constant(
            Array.from({ length: x.shape.slice(-k).reduce((p, d) => p * d, 1) }, () => 1),
            onnxDataType(x.dtype),
            x.shape.slice(-k),
          );
    const inputs = [c.v(x), scale];
    if (b !== null) inputs.push(c.v(b));
    return g.op1("LayerNormalization", inputs, { axis: -k, epsilon: f(eps) });
  }
  const axes = Array.from({ length: k }, (_, i) => i - k);
  const xv = c.v(x);
  const d = g.op1("Sub", [xv, g.op1("ReduceMean", [xv], { axes })]);
  const variance = g.op1("ReduceMean", [g.op1("Mul", [d, d])], { axes });
  const std = g.op1("Sqrt", [g.op1("Add", [variance, g.scalar(eps, x.dtype)])]);
  let y = g.op1("Div", [d, std]);
  if (w !== null) y = g.op1("Mul", [y, c.v(w)]);
  if (b !== null) y = g.op1("Add", [y, c.v(b)]);
  return y;
});
def(
  ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"],
  (c) => {
    if (c.a.train === true || c.a.training === true)
      throw unsupportedCase(c.op, "training mode is not supported (export runs in eval mode)");
    return c.g.op1("Identity", [c.v(self(c))]);
  },
);
def("embedding", (c) => {
  if (c.a.max_norm !== null && c.a.max_norm !== undefined)
    throw unsupportedCase("embedding", "max_norm is not supported");
  return c.g.op1("Gather", [c.v(c.a.weight), c.v(c.a.input ?? c.a.indices)], { axis: 0 });
});
def(["softmax.int", "softmax"], (c) => softmaxLike(c, "Softmax"));
def(["log_softmax.int", "log_softmax"], (c) => softmaxLike(c, "LogSoftmax"));
function softmaxLike(c: Call, onnx: string): string {
  const x = self(c);
  const dt = c.a.dtype as DType | null | undefined;
  const xv = dt !== null && dt !== undefined ? cast(c, x, dt) : c.v(x);
  return c.g.op1(onnx, [xv], { axis: wrapDim(c.a.dim as number, Math.max(x.dim(), 1)) });
}

// ---------------------------------------------------------------------------------------------
// shapes and views

function transpose(c: Call, x: Tensor, perm: number[]): string {
  const d = c.dyn(x);
  c.setDyn(
    0,
    perm.map((p) => d[p] ?? false),
  );
  return c.g.op1("Transpose", [c.v(x)], { perm });
}
def(["view", "reshape", "_unsafe_view", "_reshape_alias"], (c) =>
  reshape(c, self(c), ints(c.a.size ?? c.a.shape)),
);
def(["view_as", "reshape_as"], (c) => reshape(c, self(c), (c.a.other as Tensor).shape));
def("flatten.using_ints", (c) => {
  const x = self(c);
  const r = Math.max(x.dim(), 1);
  const s = wrapDim(c.a.start_dim as number, r);
  const e = wrapDim(c.a.end_dim as number, r);
  // flatten(x, 1, -1) of a 2-D or more input is ONNX's Flatten (PyTorch's export)
  if (s === 1 && e === r - 1 && x.dim() >= 2) {
    c.setDyn(0, [c.dyn(x)[0] ?? false, false]);
    return c.g.op1("Flatten", [c.v(x)], { axis: 1 });
  }
  return reshape(c, x, outT(c).shape);
});
def("unflatten.int", (c) => reshape(c, self(c), outT(c).shape));
def(["transpose.int", "swapaxes", "swapdims"], (c) => {
  const x = self(c);
  const r = x.dim();
  const perm = Array.from({ length: r }, (_, i) => i);
  const d0 = wrapDim((c.a.dim0 ?? c.a.axis0) as number, r);
  const d1 = wrapDim((c.a.dim1 ?? c.a.axis1) as number, r);
  [perm[d0], perm[d1]] = [perm[d1], perm[d0]];
  return transpose(c, x, perm);
});
def("permute", (c) => {
  const x = self(c);
  return transpose(
    c,
    x,
    ints(c.a.dims).map((d) => wrapDim(d, x.dim())),
  );
});
def(["contiguous", "clone", "detach", "alias", "positive"], (c) =>
  c.g.op1("Identity", [c.v(self(c))]),
);
def(["unsqueeze"], (c) => {
  const x = self(c);
  const d = wrapDim(c.a.dim as number, x.dim() + 1);
  const dyn = [...c.dyn(x)];
  dyn.splice(d, 0, false);
  c.setDyn(0, dyn);
  return c.g.op1("Unsqueeze", [c.v(x), c.g.ints([d])]);
});
def(["squeeze", "squeeze.dim", "squeeze.dims"], (c) => {
  const x = self(c);
  const dims =
    c.a.dim === undefined
      ? x.shape.flatMap((s, i) => (s === 1 ? [i] : []))
      : ints(c.a.dim)
          .map((d) => wrapDim(d, Math.max(x.dim(), 1)))
          .filter((d) => x.shape[d] === 1);
  if (dims.length === 0) return c.g.op1("Identity", [c.v(x)]);
  c.setDyn(
    0,
    c.dyn(x).filter((_, i) => !dims.includes(i)),
  );
  return c.g.op1("Squeeze", [c.v(x), c.g.ints(dims)]);
});
// expand: a dim of size 1 in the shape keeps the input's (dynamic) dim under broadcasting
def("expand", (c) => {
  const x = self(c);
  const size = ints(c.a.size);
  const d = c.dyn(x);
  const off = size.length - x.dim();
  const shape = size.map((s, i) => (s === -1 || (i >= off && d[i - off]) ? 1 : s));
  return c.g.op1("Expand", [c.v(x), c.g.ints(shape)]);
});
def("expand_as", (c) => c.g.op1("Expand", [c.v(self(c)), c.g.op1("Shape", [c.v(c.a.other)])]));
def("cat", (c) => {
  const ts = (c.a.tensors as Tensor[]).filter((t) => !(t.dim() === 1 && t.shape[0] === 0));
  const r = Math.max(...ts.map((t) => t.dim()));
  return c.g.op1(
    "Concat",
    ts.map((t) => c.v(t)),
    { axis: wrapDim(c.a.dim as number, r) },
  );
});
def("stack", (c) => {
  const ts = c.a.tensors as Tensor[];
  const d = wrapDim(c.a.dim as number, ts[0].dim() + 1);
  const axes = c.g.ints([d]);
  return c.g.op1(
    "Concat",
    ts.map((t) => c.g.op1("Unsqueeze", [c.v(t), axes])),
    { axis: d },
  );
});
function split(c: Call, x: Tensor, dim: number, sizes: number[]): readonly string[] {
  const d = wrapDim(dim, x.dim());
  return c.g.op("Split", [c.v(x), c.g.ints(sizes)], { axis: d }, sizes.length);
}
const outSizes = (c: Call, dim: number): number[] => {
  const x = self(c);
  const d = wrapDim(dim, x.dim());
  return (c.out as Tensor[]).map((t) => t.shape[d]);
};
def(["chunk", "split.Tensor", "split_with_sizes", "split.sizes", "tensor_split.sections"], (c) =>
  split(c, self(c), c.a.dim as number, outSizes(c, c.a.dim as number)),
);
def("unbind.int", (c) => {
  const x = self(c);
  const d = wrapDim(c.a.dim as number, x.dim());
  const parts = split(
    c,
    x,
    d,
    Array.from({ length: x.shape[d] }, () => 1),
  );
  const axes = c.g.ints([d]);
  return parts.map((p) => c.g.op1("Squeeze", [p, axes]));
});
def(["narrow", "slice.Tensor"], (c) => {
  const x = self(c);
  const d = wrapDim(c.a.dim as number, x.dim());
  const start = (c.a.start as number | null) ?? 0;
  const begin = start < 0 ? start + x.shape[d] : start;
  const end =
    c.op === "narrow" ? begin + (c.a.length as number) : ((c.a.end as number | null) ?? 2 ** 62);
  const step = (c.a.step as number | undefined) ?? 1;
  return c.g.op1("Slice", [
    c.v(x),
    c.g.ints([begin]),
    c.g.ints([end]),
    c.g.ints([d]),
    c.g.ints([step]),
  ]);
});
def("select.int", (c) => {
  const x = self(c);
  const d = wrapDim(c.a.dim as number, x.dim());
  const dyn = c.dyn(x).filter((_, i) => i !== d);
  c.setDyn(0, dyn);
  return c.g.op1("Gather", [c.v(x), c.g.constant([c.a.index as number], 7, [])], { axis: d });
});
def("index_select", (c) => {
  const x = self(c);
  return c.g.op1("Gather", [c.v(x), c.v(c.a.index)], { axis: wrapDim(c.a.dim as number, x.dim()) });
});
def("gather", (c) => {
  const x = self(c);
  return c.g.op1("GatherElements", [c.v(x), c.v(c.a.index)], {
    axis: wrapDim(c.a.dim as number, x.dim()),
  });
});
def(
  ["tril", "triu"],
  (c) =>
    onlyFrom(c, 14) ??
    c.g.op1("Trilu", [c.v(self(c)), c.g.constant([c.a.diagonal as number], 7, [])], {
      upper: c.op === "triu" ? 1 : 0,
    }),
);
def("constant_pad_nd", (c) => {
  const x = self(c);
  const pad = ints(c.a.pad);
  const r = x.dim();
  // PyTorch's pad lists (begin, end) pairs from the last dim; ONNX all begins then all ends
  const begins = Array.from({ length: r }, () => 0);
  const ends = Array.from({ length: r }, () => 0);
  for (let i = 0; i < pad.length / 2; i++) {
    begins[r - 1 - i] = pad[2 * i];
    ends[r - 1 - i] = pad[2 * i + 1];
  }
  return c.g.op1(
    "Pad",
    [c.v(x), c.g.ints([...begins, ...ends]), cast(c, c.a.value ?? 0, x.dtype)],
    {
      mode: "constant",
    },
  );
});

// ---------------------------------------------------------------------------------------------
// reductions

function dims(c: Call, x: Tensor): number[] | null {
  const d = c.a.dim;
  if (d === null || d === undefined) return null;
  const l = ints(d);
  return l.length === 0 ? null : l.map((i) => wrapDim(i, Math.max(x.dim(), 1)));
}
function reduce(onnx: string, axesAsInput: boolean): Symbolic {
  return (c) => {
    const x = self(c);
    const dt = c.a.dtype as DType | null | undefined;
    const xv = dt !== null && dt !== undefined ? cast(c, x, dt) : c.v(x);
    const axes = dims(c, x);
    const keepdims = c.a.keepdim === true ? 1 : 0;
    if (axes === null) return c.g.op1(onnx, [xv], { keepdims: 0 });
    if (axesAsInput) return c.g.op1(onnx, [xv, c.g.ints(axes)], { keepdims });
    return c.g.op1(onnx, [xv], { axes, keepdims });
  };
}
def(["sum", "sum.dim_IntList"], reduce("ReduceSum", true));
def(["mean", "mean.dim"], reduce("ReduceMean", false));
def(["amax", "max"], reduce("ReduceMax", false));
def(["amin", "min"], reduce("ReduceMin", false));
def(["prod", "prod.dim_int"], reduce("ReduceProd", false));
function minmaxDim(onnx: string, arg: string): Symbolic {
  return (c) => {
    const x = self(c);
    const axis = wrapDim(c.a.dim as number, Math.max(x.dim(), 1));
    const keepdims = c.a.keepdim === true ? 1 : 0;
    return [
      c.g.op1(onnx, [c.v(x)], { axes: [axis], keepdims }),
      c.g.op1(arg, [c.v(x)], { axis, keepdims }),
    ];
  };
}
def("max.dim", minmaxDim("ReduceMax", "ArgMax"));
def("min.dim", minmaxDim("ReduceMin", "ArgMin"));
function argReduce(onnx: string): Symbolic {
  return (c) => {
    const x = self(c);
    const d = c.a.dim as number | null;
    if (d === null) {
      const flat = c.g.op1("Reshape", [c.v(x), c.g.ints([-1])]);
      return c.g.op1(onnx, [flat], { axis: 0, keepdims: 0 });
    }
    const keepdims = c.a.keepdim === true ? 1 : 0;
    return c.g.op1(onnx, [c.v(x)], { axis: wrapDim(d, Math.max(x.dim(), 1)), keepdims });
  };
}
def("argmax", argReduce("ArgMax"));
def("argmin", argReduce("ArgMin"));
def("cumsum", (c) => {
  const x = self(c);
  const dt = c.a.dtype as DType | null | undefined;
  const xv = dt !== null && dt !== undefined ? cast(c, x, dt) : c.v(x);
  return c.g.op1("CumSum", [
    xv,
    c.g.constant([wrapDim(c.a.dim as number, Math.max(x.dim(), 1))], 7, []),
  ]);
});
