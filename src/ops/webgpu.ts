/**
 * The WebGPU device in the op layer (Note [webgpu storage] in backend/webgpu.ts, Note [device
 * dispatch] below): device tensors, moves between devices, the same-device check, and the
 * device implementations of the registry's ops, each built from the backend's WGSL kernels.
 */
import { namedTuple } from "../named-tuple.js";
import { Tensor } from "../tensor.js";
import { DType, bool, float32, int64, resultType, type TypedArray } from "../dtype.js";
import {
  broadcastShapes,
  broadcastStrides,
  contiguousStrides,
  normalizeDim,
  numelOf,
} from "../shape.js";
import { assertionError, notImplementedError, runtimeError } from "../errors.js";
import { contiguousData, wrap, allocData, setDeviceWriteInto, scalarTypeName } from "./core.js";
import * as G from "../backend/webgpu.js";
import { DeviceArray, type GpuStorage } from "../backend/webgpu.js";
import { anyNeedsGrad, record, registerDerivative } from "../autograd/function.js";
import { noGrad as noGradDevice } from "../autograd/grad-mode.js";
import type { Op } from "../autograd/derivatives.js";

/** Whether `t` lives on the WebGPU device: one `instanceof` (Note [webgpu storage]). */
export function isDevice(t: Tensor): boolean {
  return t.typedArray instanceof DeviceArray;
}

function storage(t: Tensor): GpuStorage {
  return (t.typedArray as DeviceArray).storage;
}

function layout(t: Tensor): G.Layout {
  return { shape: t.shape, strides: t.strides, offset: t.offset };
}

/** A new contiguous device tensor over `s`. */
function deviceTensor(s: GpuStorage, shape: number[], dtype: DType): Tensor {
  return new Tensor(new DeviceArray(s), shape, contiguousStrides(shape), 0, dtype);
}

/** A new zero-filled device tensor. */
export function deviceZeros(shape: number[], dtype: DType): Tensor {
  return deviceTensor(G.allocStorage(numelOf(shape)), shape, dtype);
}

/** The device error of a synchronous read (Note [webgpu reads]). */
export function syncReadError(what: string): Error {
  return runtimeError(
    `${what}: this tensor is on the webgpu device, whose values can only be read asynchronously: use \`await t.cpu()\` first (or \`await t.tolistAsync()\`)`,
  );
}

/** A CPU tensor's values uploaded to the device (a contiguous copy). */
export function toDevice(t: Tensor): Tensor {
  if (isDevice(t)) return t;
  const { data, offset } = contiguousData(t);
  const n = t.numel();
  const vals = data.subarray(offset, offset + n) as TypedArray;
  const s = G.upload(
    vals instanceof Float32Array ? vals : Float32Array.from(vals as ArrayLike<number>),
  );
  return deviceTensor(s, t.shape.slice(), t.dtype);
}

/** A device tensor's values read back into a new CPU tensor (asynchronous; Note [webgpu reads]). */
export async function toCpu(t: Tensor): Promise<Tensor> {
  if (!isDevice(t)) return t;
  const c = contiguous(t);
  const f = await G.download(storage(c), t.numel());
  const out = allocData(f.length, t.dtype);
  if (t.dtype === bool) for (let i = 0; i < f.length; i++) out[i] = f[i] !== 0 ? 1 : 0;
  else out.set(f);
  return wrap(out, t.shape.slice(), t.dtype);
}

/** The tensor as a contiguous device tensor (itself when already). */
function contiguous(t: Tensor): Tensor {
  if (t.isContiguous() && t.offset === 0) return t;
  const out = deviceZeros(t.shape.slice(), t.dtype);
  G.unary("x", storage(t), layout(t), storage(out), layout(out));
  return out;
}

/** A device copy of `t` (the in-place machinery's shadow copy). */
export function deviceClone(t: Tensor): Tensor {
  const out = deviceZeros(t.shape.slice(), t.dtype);
  G.unary(castExpr(t.dtype, t.dtype), storage(t), layout(t), storage(out), layout(out));
  return out;
}

/** WGSL for x converted to `to` (from `from`): truncation to integers, 0/1 for bool. */
function castExpr(from: DType, to: DType): string {
  if (to === bool) return "select(0.0, 1.0, x != 0.0)";
  if (!to.isFloatingPoint && from.isFloatingPoint) return "trunc(x)";
  return "x";
}

/** Writes r's values (broadcast, cast to self's dtype) into device tensor self's strided storage. */
export function deviceWriteInto(self: Tensor, r: Tensor): void {
  const src = isDevice(r) ? r : toDevice(r);
  const st = broadcastStrides(src.shape, src.strides, self.shape);
  G.unary(
    castExpr(src.dtype, self.dtype),
    storage(src),
    { shape: self.shape, strides: st, offset: src.offset },
    storage(self),
    layout(self),
  );
}

setDeviceWriteInto(deviceWriteInto);

/** Ones of a device tensor's shape (the implicit gradient of backward()). */
export function deviceFull(shape: number[], dtype: DType, v: number): Tensor {
  const n = numelOf(shape);
  return deviceTensor(G.upload(new Float32Array(n).fill(v)), shape, dtype);
}

// ---------------------------------------------------------------------------------------------
// Note [device dispatch]

/**
 * Note [device dispatch]: each registry op's forward is wrapped (registry/arg-kinds.ts) so that
 * a call with a device tensor among its tensor arguments goes to `DEVICE_OPS[name]` instead of
 * the CPU kernels; the CPU path pays one test per tensor argument, shared with the half-dtype
 * test (Note [argument kinds]). The wrapper sits
 * below the recording step, so autograd records the same nodes on both devices and the
 * formulas run the device implementations of the ops they call. Layout-only ops (views) run
 * their CPU forward, which copies `typedArray` and so the device storage. An op without a
 * device implementation raises PyTorch's error for a backend without a kernel; operands on
 * two devices raise PyTorch's same-device error (a 0-dim CPU tensor, such as a wrapped number,
 * is a scalar operand, as in PyTorch).
 */
export type DeviceImpl = (values: unknown[], overload: string) => unknown;
const DEVICE_OPS = new Map<string, DeviceImpl>();

/**
 * The ops whose CPU forward only computes a layout or metadata, or only calls registry ops: they
 * run unchanged on device tensors.
 */
const LAYOUT_OPS = new Set([
  "view",
  "t",
  "transpose",
  "permute",
  "expand",
  "expand_as",
  "narrow",
  "select",
  "unsqueeze",
  "squeeze",
  "detach",
  "alias",
  "as_strided",
  "numpy_T",
  "movedim",
  "view_as",
  "unbind",
  "split",
  "chunk",
  "diagonal",
  // metadata, and composites whose CPU forward only calls registry ops
  "numel",
  "dim",
  "ndimension",
  "nelement",
  "size",
  "stride",
  "storage_offset",
  "is_contiguous",
  "is_floating_point",
  "is_complex",
  "is_same_size",
  "element_size",
  "result_type",
  "requires_grad_",
  "retain_grad",
  "reshape_as",
  "sum_to_size",
  "broadcast_to",
]);

/**
 * Composites whose CPU forward checks the arguments and then, for a device input, computes with
 * device ops (Note [device composites]); all their tensors must be on the device, as for a
 * device kernel (a CPU kernel would otherwise read a device tensor's empty typed array).
 */
const COMPOSITE_OPS = new Set([
  "square",
  "mse_loss",
  "l1_loss",
  "smooth_l1_loss",
  "huber_loss",
  "nll_loss",
  "cross_entropy",
  "binary_cross_entropy",
  "binary_cross_entropy_with_logits",
  "layer_norm",
  "batch_norm",
  "dropout",
]);

/** Whether an op name runs on the device (its CPU forward for layout-only ops). */
export function deviceOpKind(name: string): "layout" | "device" | null {
  if (LAYOUT_OPS.has(name) || COMPOSITE_OPS.has(name)) return "layout";
  return DEVICE_OPS.has(name) ? "device" : null;
}

function checkSameDevice(values: readonly unknown[]): void {
  for (const v of values) {
    const list = Array.isArray(v) ? v : [v];
    for (const t of list)
      if (t instanceof Tensor && !isDevice(t) && t.dim() > 0)
        throw runtimeError(
          "Expected all tensors to be on the same device, but found at least two devices, webgpu:0 and cpu!",
        );
  }
}

/** Runs op `name` on the device (Note [device dispatch]). */
export function deviceCall(
  name: string,
  overload: string,
  cpuForward: (...a: unknown[]) => unknown,
  values: unknown[],
): unknown {
  if (LAYOUT_OPS.has(name)) return cpuForward(...values);
  if (COMPOSITE_OPS.has(name)) {
    checkSameDevice(values);
    return cpuForward(...values);
  }
  const impl = DEVICE_OPS.get(name);
  if (impl === undefined)
    throw notImplementedError(
      `Could not run 'aten::${name}${overload === "" ? "" : "." + overload}' with arguments from the 'WebGPU' backend. tensorgrad's WebGPU device implements: ${[...DEVICE_OPS.keys()].sort().join(", ")}.`,
    );
  checkSameDevice(values);
  const out = impl(values, overload);
  const grad = DEVICE_GRADS.get(name);
  if (grad !== undefined && out instanceof Tensor && out.dtype.isFloatingPoint) {
    // cat and stack: the node's inputs are the list's tensors
    const operands = Array.isArray(values[0]) ? (values[0] as unknown[]) : values;
    const inputs = operands.map((v) => (v instanceof Tensor && isDevice(v) ? v : null));
    if (anyNeedsGrad(inputs)) {
      const fn = grad(values, out, overload);
      // sum(dim) and mean(dim) are PyTorch's SumBackward1 / MeanBackward1
      const node = (NODE_NAMES[name] ?? `${name}Backward0`).replace(
        /0$/,
        overload === "" || !/^(sum|mean)$/.test(name) ? "0" : "1",
      );
      record(DEVICE_OP, out, inputs, {} as never, { fn, name: node } as never);
    }
  }
  return out;
}

/**
 * Note [device autograd]: the device implementations replace the ops layer's kernels, and with
 * them the recording those do; an op listed here records one node (PyTorch's node name) whose
 * formula, a closure over the forward's operands, runs device ops. Ops whose registry entry
 * records its own node (withDerivative) replace this one with theirs, which runs on the device
 * through its formula's ops as well.
 */
type DeviceGrad = (
  values: unknown[],
  out: Tensor,
  overload: string,
) => (g: Tensor) => (Tensor | null)[];
const DEVICE_GRADS = new Map<string, DeviceGrad>();
const DEVICE_OP = "webgpuOp" as Op;
const NODE_NAMES: Record<string, string> = {
  add: "AddBackward0",
  sub: "SubBackward0",
  mul: "MulBackward0",
  div: "DivBackward0",
  neg: "NegBackward0",
  exp: "ExpBackward0",
  log: "LogBackward0",
  sqrt: "SqrtBackward0",
  tanh: "TanhBackward0",
  sigmoid: "SigmoidBackward0",
  relu: "ReluBackward0",
  abs: "AbsBackward0",
  pow: "PowBackward0",
  sum: "SumBackward0",
  mean: "MeanBackward0",
  mm: "MmBackward0",
  mv: "MvBackward0",
  bmm: "BmmBackward0",
  matmul: "MmBackward0",
  softmax: "SoftmaxBackward0",
  log_softmax: "LogSoftmaxBackward0",
  clone: "CloneBackward0",
  where: "WhereBackward0",
};
registerDerivative(DEVICE_OP, {
  name: (a: { name: string }) => a.name,
  save: [],
  grad: (g: Tensor, _s: unknown, a: { fn: (g: Tensor) => (Tensor | null)[]; name: string }) => {
    return a.fn(g);
  },
} as never);
const dg = (names: string | string[], f: DeviceGrad): void => {
  for (const n of Array.isArray(names) ? names : [names]) DEVICE_GRADS.set(n, f);
};
const T = (v: unknown): Tensor | null => (v instanceof Tensor && isDevice(v) ? v : null);
const alphaOf = (v: unknown[]): number => (typeof v[2] === "number" ? v[2] : 1);
dg("add", (v) => (g) => [g, alphaOf(v) === 1 ? g : g.mul(alphaOf(v))]);
dg("sub", (v) => (g) => [g, g.mul(-alphaOf(v))]);
dg("mul", (v) => (g) => [
  T(v[1]) ? g.mul(v[1] as Tensor) : g.mul(v[1] as Tensor | number),
  g.mul(v[0] as Tensor),
]);
dg("div", (v) => (g) => {
  const b = v[1] as Tensor | number;
  return [
    g.div(b),
    T(b)
      ? g
          .mul(v[0] as Tensor)
          .neg()
          .div((b as Tensor).mul(b))
      : null,
  ];
});
dg("neg", () => (g) => [g.neg()]);
// rsub(self, other, alpha) = other - alpha self (RsubBackward0 / RsubBackward1 with a number)
dg("rsub", (v) => (g) => [g.mul(-alphaOf(v)), T(v[1]) ? g : null]);
dg("mv", (v) => (g) => {
  const [a, x] = v as [Tensor, Tensor];
  return [T(a) ? g.unsqueeze(1).mul(x.unsqueeze(0)) : null, T(x) ? a.t().mv(g) : null];
});
dg("exp", (_v, out) => (g) => [g.mul(out)]);
dg("log", (v) => (g) => [g.div(v[0] as Tensor)]);
dg("sqrt", (_v, out) => (g) => [g.div(out.mul(2))]);
dg("tanh", (_v, out) => (g) => [g.mul(out.mul(out).rsub(1))]);
dg("sigmoid", (_v, out) => (g) => [g.mul(out.mul(out.rsub(1)))]);
dg("relu", (_v, out) => (g) => [g.mul(out.gt(0))]);
dg("abs", (v) => (g) => [g.mul((v[0] as Tensor).sign())]);
dg("clone", () => (g) => [g]);
dg("contiguous", () => (g) => [g]);
dg("pow", (v, _out, o) => (g) => {
  if (o !== "Tensor_Scalar") throw notImplementedError(`pow.${o}'s gradient on the webgpu device`);
  const e = scalarOf(v[1]) as number;
  const x = v[0] as Tensor;
  return [e === 0 ? g.mul(0) : g.mul(x.pow(e - 1).mul(e))];
});
dg("where", (v) => (g) => {
  const c = v[0] as Tensor;
  return [null, T(v[1]) ? torchWhere(c, g, 0) : null, T(v[2]) ? torchWhere(c, 0, g) : null];
});
const torchWhere = (c: Tensor, a: Tensor | number, b: Tensor | number): Tensor =>
  typeof a === "number" ? (b as Tensor).mul(c.logicalNot()) : a.mul(c);
/** g brought back over the reduced dims (unsqueezed where keepdim dropped them, then expanded). */
function unreduce(
  g: Tensor,
  x: Tensor,
  dims: number[] | null,
  keepdim: boolean,
  scale: number,
): Tensor {
  const nd = x.dim();
  let r = g;
  if (!keepdim && nd > 0) {
    const red =
      dims === null || dims.length === 0
        ? [...Array(nd).keys()]
        : dims.map((d) => normalizeDim(d, nd)).sort((a, b) => a - b);
    for (const d of red) r = r.unsqueeze(d);
  }
  r = r.expand(x.shape.slice());
  return scale === 1 ? r : r.mul(scale);
}
dg("sum", (v, _out, o) => (g) => {
  const x = v[0] as Tensor;
  return o === ""
    ? [unreduce(g, x, null, false, 1)]
    : [unreduce(g, x, v[1] as number[] | null, v[2] as boolean, 1)];
});
dg("mean", (v, out, o) => (g) => {
  const x = v[0] as Tensor;
  const scale = out.numel() / Math.max(x.numel(), 1);
  return o === ""
    ? [unreduce(g, x, null, false, scale)]
    : [unreduce(g, x, v[1] as number[] | null, v[2] as boolean, scale)];
});
dg(["mm", "matmul", "bmm"], (v) => (g) => {
  const a = v[0] as Tensor;
  const b = v[1] as Tensor;
  if (a.dim() < 2 || b.dim() < 2)
    throw notImplementedError("matmul's gradient with a 1-D operand on the webgpu device");
  return [T(a) ? g.matmul(b.mT) : null, T(b) ? a.mT.matmul(g) : null];
});
dg("softmax", (v, out) => (g) => {
  const dim = v[1] as number;
  return [out.mul(g.sub(g.mul(out).sum(dim, true)))];
});
dg("log_softmax", (v, out) => (g) => {
  const dim = v[1] as number;
  return [g.sub(out.exp().mul(g.sum(dim, true)))];
});

/** A scalar operand: a number, or a 0-dim CPU tensor's value. */
function scalarOf(v: unknown): number | null {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof Tensor && !isDevice(v))
    return Number(contiguousData(v).data[contiguousData(v).offset]);
  return null;
}

const dtypeOf = (v: unknown): { dtype: DType; ndim: number } | number =>
  v instanceof Tensor ? v : (v as number);

function unaryOp(expr: string, floatOut: boolean) {
  return (values: unknown[]): Tensor => {
    const x = values[0] as Tensor;
    const dt = floatOut && !x.dtype.isFloatingPoint ? float32 : x.dtype;
    const out = deviceZeros(x.shape.slice(), dt);
    G.unary(expr, storage(x), layout(x), storage(out), layout(out));
    return out;
  };
}

/** A binary op: `expr` of a, b and the scalar s (alpha); `cmp` ops return bool. */
function binaryOp(expr: string, kind: "arith" | "cmp" | "div") {
  return (values: unknown[]): Tensor => {
    const a = values[0];
    const b = values[1];
    const alphaArg = values.length > 2 && typeof values[2] === "number" ? values[2] : 1;
    const ta = a instanceof Tensor && isDevice(a) ? a : null;
    const tb = b instanceof Tensor && isDevice(b) ? b : null;
    let dt = resultType([dtypeOf(a), dtypeOf(b)]);
    if (kind === "div" && !dt.isFloatingPoint) dt = float32;
    const outDt = kind === "cmp" ? bool : dt;
    const shape = broadcastShapes(ta?.shape ?? [], tb?.shape ?? []);
    const out = deviceZeros(shape, outDt);
    const side = (t: Tensor | null, v: unknown): [GpuStorage, G.Layout] => {
      if (t !== null)
        return [
          storage(t),
          { shape, strides: broadcastStrides(t.shape, t.strides, shape), offset: t.offset },
        ];
      const s = G.upload(new Float32Array([scalarOf(v) ?? 0]));
      return [s, { shape, strides: shape.map(() => 0), offset: 0 }];
    };
    const [sa, la] = side(ta, a);
    const [sb, lb] = side(tb, b);
    let e = expr;
    // integer results truncate toward zero as the CPU kernels' integer arithmetic does
    if (kind === "arith" && !outDt.isFloatingPoint) e = `trunc(${expr})`;
    G.binary(e, sa, la, sb, lb, storage(out), shape, alphaArg);
    return out;
  };
}

const reg = (names: string | string[], f: DeviceImpl): void => {
  for (const n of Array.isArray(names) ? names : [names]) DEVICE_OPS.set(n, f);
};

// elementwise
reg("neg", unaryOp("-x", false));
reg("abs", unaryOp("abs(x)", false));
reg("exp", unaryOp("exp(x)", true));
reg("log", unaryOp("log(x)", true));
reg("sqrt", unaryOp("sqrt(x)", true));
reg("rsqrt", unaryOp("inverseSqrt(x)", true));
reg("sin", unaryOp("sin(x)", true));
reg("cos", unaryOp("cos(x)", true));
reg("tanh", unaryOp("tanh(x)", true));
reg("sigmoid", unaryOp("1.0 / (1.0 + exp(-x))", true));
reg("relu", unaryOp("max(x, 0.0)", false));
reg("reciprocal", unaryOp("1.0 / x", true));
reg("sign", unaryOp("sign(x)", false));
reg("sgn", unaryOp("sign(x)", false));
reg("clone", (v) => deviceClone(v[0] as Tensor));
reg("contiguous", (v) => contiguous(v[0] as Tensor));
reg("add", binaryOp("a + s * b", "arith"));
reg("sub", binaryOp("a - s * b", "arith"));
reg("rsub", binaryOp("b - s * a", "arith"));
reg("mul", binaryOp("a * b", "arith"));
reg("div", binaryOp("a / b", "div"));
reg("maximum", binaryOp("select(max(a, b), a + b, a != a || b != b)", "arith"));
reg("minimum", binaryOp("select(min(a, b), a + b, a != a || b != b)", "arith"));
reg("eq", binaryOp("select(0.0, 1.0, a == b)", "cmp"));
reg("ne", binaryOp("select(0.0, 1.0, a != b)", "cmp"));
reg("gt", binaryOp("select(0.0, 1.0, a > b)", "cmp"));
reg("ge", binaryOp("select(0.0, 1.0, a >= b)", "cmp"));
reg("lt", binaryOp("select(0.0, 1.0, a < b)", "cmp"));
reg("le", binaryOp("select(0.0, 1.0, a <= b)", "cmp"));
/**
 * WGSL for base^exponent as C's pow (WGSL's pow is undefined for a base <= 0): 1 for a zero
 * exponent, |x|^y with the sign of x for an odd integer y, NaN (sqrt of a negative number)
 * for a negative base and a non-integer exponent.
 */
const powExpr = (x: string, y: string): string =>
  `select(select(select(pow(abs(${x}), ${y}) * select(1.0, -1.0, ${x} < 0.0 && fract(${y} * 0.5) != 0.0), sqrt(min(${x}, -1.0)), ${x} < 0.0 && fract(${y}) != 0.0), pow(${x}, ${y}), ${x} > 0.0), 1.0, ${y} == 0.0)`;
// pow: x^2 and x^0.5 exactly as products/roots
reg("pow", (values, overload) => {
  if (overload === "Tensor_Scalar") {
    const x = values[0] as Tensor;
    const e = scalarOf(values[1]) as number;
    const expr = e === 2 ? "x * x" : e === 1 ? "x" : e === 0.5 ? "sqrt(x)" : powExpr("x", "s");
    const dt = x.dtype.isFloatingPoint || Number.isInteger(e) ? x.dtype : float32;
    const out = deviceZeros(x.shape.slice(), dt);
    G.unary(expr, storage(x), layout(x), storage(out), layout(out), e);
    return out;
  }
  return binaryOp(powExpr("a", "b"), "arith")(values);
});
reg("where", (values) => {
  const [c, a, b] = values as [Tensor, unknown, unknown];
  const tens = [c, a, b].map((v) => (v instanceof Tensor && isDevice(v) ? v : null));
  const shape = tens.reduce<number[]>((s, t) => (t === null ? s : broadcastShapes(s, t.shape)), []);
  const dt = resultType([dtypeOf(a), dtypeOf(b)]);
  const out = deviceZeros(shape, dt);
  const side = (t: Tensor | null, v: unknown): [GpuStorage, G.Layout] =>
    t !== null
      ? [
          storage(t),
          { shape, strides: broadcastStrides(t.shape, t.strides, shape), offset: t.offset },
        ]
      : [
          G.upload(new Float32Array([scalarOf(v) ?? 0])),
          { shape, strides: shape.map(() => 0), offset: 0 },
        ];
  const [sc, lc] = side(tens[0], c);
  const [sa, la] = side(tens[1], a);
  const [sb, lb] = side(tens[2], b);
  G.where(sc, lc, sa, la, sb, lb, storage(out), shape);
  return out;
});
reg("threshold_backward", (values) => {
  const [g, self, th] = values as [Tensor, Tensor, number];
  return binaryOp("select(a, 0.0, b <= s)", "arith")([g, self, scalarOf(th) ?? 0]);
});

reg("logical_not", unaryOp("select(0.0, 1.0, x == 0.0)", false));
reg("logical_and", binaryOp("select(0.0, 1.0, a != 0.0 && b != 0.0)", "cmp"));
reg("logical_or", binaryOp("select(0.0, 1.0, a != 0.0 || b != 0.0)", "cmp"));
reg("logical_xor", binaryOp("select(0.0, 1.0, (a != 0.0) != (b != 0.0))", "cmp"));
reg("isnan", (v) => {
  const x = v[0] as Tensor;
  const out = deviceZeros(x.shape.slice(), bool);
  G.unary("select(0.0, 1.0, x != x)", storage(x), layout(x), storage(out), layout(out));
  return out;
});
// log1p(x) = log(1 + x) * x / ((1 + x) - 1): exact to rounding where 1 + x rounds (Goldberg)
reg("log1p", unaryOp("select(log(1.0 + x) * x / ((1.0 + x) - 1.0), x, 1.0 + x == 1.0)", true));
reg("log_sigmoid", unaryOp("min(x, 0.0) - log(1.0 + exp(-abs(x)))", true));
reg("softplus", (v) => {
  const [, beta, th] = v as [Tensor, number, number];
  const b = scalarOf(beta) ?? 1;
  const t = scalarOf(th) ?? 20;
  // x where beta x > threshold, else log(1 + exp(beta x)) / beta
  return unaryOp(
    `select(log(1.0 + exp(x * ${f32(b)})) / ${f32(b)}, x, x * ${f32(b)} > ${f32(t)})`,
    true,
  )(v);
});
dg("softplus", (v) => (g) => {
  const [x, beta, th] = v as [Tensor, number, number];
  const b = scalarOf(beta) ?? 1;
  const z = x.mul(b);
  // d/dx = sigmoid(beta x) below the threshold, 1 above
  return [g.mul(z.sigmoid().maximum(z.gt(scalarOf(th) ?? 20)))];
});
dg("log_sigmoid", (v) => (g) => [g.mul((v[0] as Tensor).neg().sigmoid())]);
NODE_NAMES.softplus = "SoftplusBackward0";
NODE_NAMES.log_sigmoid = "LogSigmoidBackward0";
NODE_NAMES.contiguous = "CloneBackward0";
NODE_NAMES.rsub = "RsubBackward1";
/** A WGSL f32 literal of a JavaScript number. */
function f32(v: number): string {
  if (!Number.isFinite(v)) throw runtimeError(`tensorgrad: ${v} as a webgpu kernel constant`);
  const t = String(Math.fround(v));
  return /[.e]/.test(t) ? t : `${t}.0`;
}
// clamp with number bounds (ClampBackward1's formula: g where min <= x <= max)
function clampScalar(x: Tensor, lo: number | null, hi: number | null): Tensor {
  if (lo === null && hi === null)
    throw runtimeError("torch.clamp: At least one of 'min' or 'max' must not be None");
  const dt = x.dtype;
  const out = deviceZeros(x.shape.slice(), dt);
  let e = "x";
  // NaN propagates (PyTorch's clamp keeps NaN)
  if (lo !== null) e = `select(max(${e}, ${f32(lo)}), x, x != x)`;
  if (hi !== null) e = `select(min(${e}, ${f32(hi)}), x, x != x)`;
  G.unary(e, storage(x), layout(x), storage(out), layout(out));
  return out;
}
const bound = (v: unknown): number | null => (v === null || v === undefined ? null : scalarOf(v));
reg("clamp", (v, o) => {
  if (o === "Tensor" && (T(v[1]) !== null || T(v[2]) !== null))
    throw notImplementedError("clamp with tensor bounds on the webgpu device");
  return clampScalar(v[0] as Tensor, bound(v[1]), bound(v[2]));
});
reg("clamp_min", (v, o) => {
  if (o === "Tensor")
    throw notImplementedError("clamp_min with a tensor bound on the webgpu device");
  return clampScalar(v[0] as Tensor, bound(v[1]), null);
});
reg("clamp_max", (v, o) => {
  if (o === "Tensor")
    throw notImplementedError("clamp_max with a tensor bound on the webgpu device");
  return clampScalar(v[0] as Tensor, null, bound(v[1]));
});
dg("clamp", (v) => (g) => {
  const x = v[0] as Tensor;
  const lo = bound(v[1]);
  const hi = bound(v[2]);
  let m: Tensor | null = lo === null ? null : x.ge(lo);
  if (hi !== null) m = m === null ? x.le(hi) : m.logicalAnd(x.le(hi));
  return [g.mul(m as Tensor)];
});
dg("clamp_min", (v) => (g) => [g.mul((v[0] as Tensor).ge(bound(v[1]) as number))]);
dg("clamp_max", (v) => (g) => [g.mul((v[0] as Tensor).le(bound(v[1]) as number))]);
NODE_NAMES.clamp = "ClampBackward1";
NODE_NAMES.clamp_min = "ClampMinBackward0";
NODE_NAMES.clamp_max = "ClampMaxBackward0";
reg("masked_fill", (v) => {
  const [x, mask, value] = v as [Tensor, Tensor, unknown];
  if (T(value) !== null)
    throw notImplementedError("masked_fill with a device value on the webgpu device");
  const s = scalarOf(value) ?? 0;
  return binaryOp("select(a, s, b != 0.0)", "arith")([x, mask, s]);
});
dg("masked_fill", (v) => (g) => [g.mul((v[1] as Tensor).logicalNot()), null]);
NODE_NAMES.masked_fill = "MaskedFillBackward0";
// the *_like factories: the input's shape (and dtype unless given), on its device unless given
function likeOp(fill: (v: unknown[]) => number, dtypeAt: number) {
  return (v: unknown[]): Tensor => {
    const x = v[0] as Tensor;
    const dt = v[dtypeAt] instanceof DType ? (v[dtypeAt] as DType) : x.dtype;
    const dev = v[dtypeAt + 2];
    const val = fill(v);
    if (dev === "cpu" || String(dev) === "cpu") {
      const out = wrap(allocData(x.numel(), dt), x.shape.slice(), dt);
      if (val !== 0) out.typedArray.fill(val as never);
      return out;
    }
    return deviceFull(x.shape.slice(), dt, dt === bool ? (val !== 0 ? 1 : 0) : val);
  };
}
reg(
  "zeros_like",
  likeOp(() => 0, 1),
);
reg(
  "ones_like",
  likeOp(() => 1, 1),
);
reg(
  "empty_like",
  likeOp(() => 0, 1),
);
reg(
  "full_like",
  likeOp((v) => scalarOf(v[1]) ?? 0, 2),
);

// reductions: the reduced dims moved last and made contiguous, then one thread per row
function reduceDims(
  x: Tensor,
  dims: number[] | null,
  keepdim: boolean,
  op: G.RowReduce,
  mean: boolean,
  dtype: DType,
): Tensor {
  const nd = x.dim();
  const red =
    dims === null || dims.length === 0
      ? [...Array(nd).keys()]
      : dims.map((d) => normalizeDim(d, Math.max(nd, 1)));
  const keep = [...Array(nd).keys()].filter((d) => !red.includes(d));
  const perm = [...keep, ...red];
  const p = nd === 0 ? x : x.permute(perm);
  const c = contiguous(p);
  const rows = keep.reduce((a, d) => a * x.shape[d], 1);
  const len = red.reduce((a, d) => a * x.shape[d], 1);
  const outShape = keepdim
    ? x.shape.map((s, d) => (red.includes(d) ? 1 : s))
    : keep.map((d) => x.shape[d]);
  const out = deviceZeros(outShape, dtype);
  if (len === 0) return op === "sum" && !mean ? out : deviceFull(outShape, dtype, mean ? NaN : 0);
  G.reduceRows(op, storage(c), rows, len, storage(out), mean ? 1 / len : 1);
  return out;
}
const sumDtype = (x: Tensor, d: unknown): DType =>
  d instanceof DType ? d : x.dtype.isFloatingPoint ? x.dtype : int64;
reg("sum", (v, o) => {
  const x = v[0] as Tensor;
  if (o === "") return reduceDims(x, null, false, "sum", false, sumDtype(x, v[1]));
  return reduceDims(x, v[1] as number[] | null, v[2] as boolean, "sum", false, sumDtype(x, v[3]));
});
reg("mean", (v, o) => {
  const x = v[0] as Tensor;
  if (!x.dtype.isFloatingPoint && !(v[o === "" ? 1 : 3] instanceof DType))
    throw runtimeError(
      `mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${x.dtype.name === "int64" ? "Long" : x.dtype.name}`,
    );
  const dt = x.dtype;
  if (o === "") return reduceDims(x, null, false, "sum", true, dt);
  return reduceDims(x, v[1] as number[] | null, v[2] as boolean, "sum", true, dt);
});
reg("amax", (v) =>
  reduceDims(
    v[0] as Tensor,
    v[1] as number[],
    v[2] as boolean,
    "max",
    false,
    (v[0] as Tensor).dtype,
  ),
);
reg("amin", (v) =>
  reduceDims(
    v[0] as Tensor,
    v[1] as number[],
    v[2] as boolean,
    "min",
    false,
    (v[0] as Tensor).dtype,
  ),
);
reg("max", (v, o) => {
  const x = v[0] as Tensor;
  if (o === "") {
    if (x.numel() === 0)
      throw runtimeError(
        "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.",
      );
    return reduceDims(x, null, false, "max", false, x.dtype);
  }
  if (o === "other") return binaryOp("select(max(a, b), a + b, a != a || b != b)", "arith")(v);
  const dim = normalizeDim(v[1] as number, Math.max(x.dim(), 1));
  const keepdim = v[2] as boolean;
  return extremeDim(x, dim, keepdim, true);
});
reg("min", (v, o) => {
  const x = v[0] as Tensor;
  if (o === "") {
    if (x.numel() === 0)
      throw runtimeError(
        "min(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.",
      );
    return reduceDims(x, null, false, "min", false, x.dtype);
  }
  if (o === "other") return binaryOp("select(min(a, b), a + b, a != a || b != b)", "arith")(v);
  const dim = normalizeDim(v[1] as number, Math.max(x.dim(), 1));
  return extremeDim(x, dim, v[2] as boolean, false);
});
/**
 * max(dim) / min(dim): the values and their indices; the values record MaxBackward0 /
 * MinBackward0, whose formula puts g at the indices (PyTorch's value_selecting_reduction_backward:
 * zeros scattered with g along dim).
 */
function extremeDim(x: Tensor, dim: number, keepdim: boolean, isMax: boolean) {
  const values = reduceDims(x, [dim], keepdim, isMax ? "max" : "min", false, x.dtype);
  const indices = reduceDims(x, [dim], keepdim, isMax ? "argmax" : "argmin", false, int64);
  if (x.dtype.isFloatingPoint && anyNeedsGrad([x])) {
    const nd = x.dim();
    const fn = (g: Tensor): (Tensor | null)[] => {
      if (nd === 0) return [g];
      const gi = keepdim ? g : g.unsqueeze(dim);
      const ii = keepdim ? indices : indices.unsqueeze(dim);
      return [deviceZeros(x.shape.slice(), g.dtype).scatterAdd(dim, ii, gi)];
    };
    record(
      DEVICE_OP,
      values,
      [x],
      {} as never,
      {
        fn,
        name: isMax ? "MaxBackward0" : "MinBackward0",
      } as never,
    );
  }
  return namedTuple({ values, indices, 0: values, 1: indices });
}
reg("cumsum", (v) => {
  const x0 = v[0] as Tensor;
  const dtype = v[2] instanceof DType ? v[2] : x0.dtype.isFloatingPoint ? x0.dtype : int64;
  const x = x0.dtype === dtype ? x0 : x0.to(dtype);
  const nd = x.dim();
  if (nd === 0) return deviceClone(x);
  const dim = normalizeDim(v[1] as number, nd);
  const moved = dim === nd - 1 ? x : x.transpose(dim, nd - 1);
  const c = contiguous(moved);
  const len = c.shape[nd - 1];
  const out = deviceZeros(c.shape.slice(), dtype);
  G.cumsumRows(storage(c), c.numel() / Math.max(len, 1), len, storage(out));
  return dim === nd - 1 ? out : contiguous(out.transpose(dim, nd - 1));
});
for (const op of ["argmax", "argmin"] as const)
  reg(op, (v) => {
    const x = v[0] as Tensor;
    const dim = v[1] as number | null;
    if (dim === null) return reduceDims(x.reshape(-1), [0], false, op, false, int64);
    return reduceDims(x, [dim], v[2] as boolean, op, false, int64);
  });

// softmax along a dim: moved last, contiguous, one thread per row
function softmaxLike(log: boolean) {
  return (v: unknown[]): Tensor => {
    let x = v[0] as Tensor;
    if (v[2] instanceof DType) x = x.to(v[2]);
    const nd = x.dim();
    if (nd === 0) return log ? deviceZeros([], x.dtype) : deviceFull([], x.dtype, 1);
    const dim = normalizeDim(v[1] as number, nd);
    const moved = dim === nd - 1 ? x : x.transpose(dim, nd - 1);
    const c = contiguous(moved);
    const len = c.shape[nd - 1];
    const out = deviceZeros(c.shape.slice(), x.dtype);
    G.softmaxRows(log, storage(c), c.numel() / Math.max(len, 1), len, storage(out));
    return dim === nd - 1 ? out : contiguous(out.transpose(dim, nd - 1));
  };
}
reg("softmax", softmaxLike(false));
reg("log_softmax", softmaxLike(true));

// products: batched tiled matmul over strided operands
function bmm(a: Tensor, b: Tensor): Tensor {
  const [B, M, K] = a.shape;
  const N = b.shape[2];
  if (b.shape[1] !== K)
    throw runtimeError(
      `Expected size for first two dimensions of batch2 tensor to be: [${B}, ${K}] but got: [${b.shape[0]}, ${b.shape[1]}].`,
    );
  const out = deviceZeros([B, M, N], resultType([a, b]));
  G.matmul(
    storage(a),
    a.offset,
    [a.strides[0], a.strides[1], a.strides[2]],
    storage(b),
    b.offset,
    [b.strides[0], b.strides[1], b.strides[2]],
    storage(out),
    B,
    M,
    K,
    N,
  );
  return out;
}
function mm(a: Tensor, b: Tensor): Tensor {
  if (a.dim() !== 2) throw runtimeError("self must be a matrix");
  if (b.dim() !== 2) throw runtimeError("mat2 must be a matrix");
  if (a.shape[1] !== b.shape[0])
    throw runtimeError(
      `mat1 and mat2 shapes cannot be multiplied (${a.shape[0]}x${a.shape[1]} and ${b.shape[0]}x${b.shape[1]})`,
    );
  return bmm(a.unsqueeze(0), b.unsqueeze(0)).squeeze(0);
}
reg("mm", (v) => mm(v[0] as Tensor, v[1] as Tensor));
reg("bmm", (v) => bmm(v[0] as Tensor, v[1] as Tensor));
reg("matmul", (v) => {
  const a = v[0] as Tensor;
  const b = v[1] as Tensor;
  if (a.dim() === 2 && b.dim() === 2) return mm(a, b);
  if (a.dim() === 1 && b.dim() === 1) return mm(a.unsqueeze(0), b.unsqueeze(1)).reshape([]);
  if (a.dim() === 1) return mm(a.unsqueeze(0), b.dim() === 2 ? b : b).squeeze(0);
  if (b.dim() === 1 && a.dim() === 2) return mm(a, b.unsqueeze(1)).squeeze(1);
  // batched: broadcast the batch dims, fold them into one
  const a3 = a.dim() === 1 ? a.unsqueeze(0) : a;
  const b3 = b.dim() === 1 ? b.unsqueeze(1) : b;
  const batch = broadcastShapes(a3.shape.slice(0, -2), b3.shape.slice(0, -2));
  const ae = contiguous(a3.expand([...batch, ...a3.shape.slice(-2)])).reshape([
    -1,
    ...a3.shape.slice(-2),
  ]);
  const be = contiguous(b3.expand([...batch, ...b3.shape.slice(-2)])).reshape([
    -1,
    ...b3.shape.slice(-2),
  ]);
  let r = bmm(ae, be).reshape([...batch, a3.shape[a3.dim() - 2], b3.shape[b3.dim() - 1]]);
  if (a.dim() === 1) r = r.squeeze(-2);
  if (b.dim() === 1) r = r.squeeze(-1);
  return r;
});
reg("addmm", (v) => {
  const [self, m1, m2] = v as [Tensor, Tensor, Tensor];
  const beta = typeof v[3] === "number" ? v[3] : 1;
  const alpha = typeof v[4] === "number" ? v[4] : 1;
  let p = mm(m1, m2);
  if (alpha !== 1) p = p.mul(alpha);
  return beta === 0 ? p : p.add(self, { alpha: beta });
});
reg("linear", (v) => {
  const [x, w, b] = v as [Tensor, Tensor, Tensor | null];
  const out = x.matmul(w.t());
  return b === null ? out : out.add(b);
});
reg("dot", (v) => mm((v[0] as Tensor).unsqueeze(0), (v[1] as Tensor).unsqueeze(1)).reshape([]));
reg("mv", (v) => mm(v[0] as Tensor, (v[1] as Tensor).unsqueeze(1)).squeeze(1));

// shape ops that may copy
reg("reshape", (v) => {
  const x = v[0] as Tensor;
  // a recorded copy (CloneBackward0) when the layout cannot be viewed, then a view
  const c = x.isContiguous() ? x : x.clone();
  return c.view(v[1] as number[]);
});
reg("flatten", (v) => {
  const x = v[0] as Tensor;
  const nd = x.dim();
  if (nd === 0) return x.reshape([1]);
  const s = normalizeDim((v[1] as number) ?? 0, nd);
  const e = normalizeDim((v[2] as number) ?? -1, nd);
  const shape = [
    ...x.shape.slice(0, s),
    x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1),
    ...x.shape.slice(e + 1),
  ];
  return x.reshape(shape);
});

// joining: each part copied (strided) into its slice of the output; CatBackward0 narrows g
function catDevice(parts: Tensor[], dim0: number): Tensor {
  const ref = parts.find((t) => t.dim() > 0 || parts.length === 1) ?? parts[0];
  const nd = ref.dim();
  if (nd === 0)
    throw runtimeError("zero-dimensional tensor (at position 0) cannot be concatenated");
  const dim = normalizeDim(dim0, nd);
  // PyTorch skips 1-D empty tensors in cat
  const used = parts.filter((t) => !(t.dim() === 1 && t.numel() === 0));
  const shape = ref.shape.slice();
  shape[dim] = used.reduce((a, t) => a + t.shape[dim], 0);
  for (const t of used)
    if (!isDevice(t))
      throw runtimeError(
        "Expected all tensors to be on the same device, but found at least two devices, webgpu:0 and cpu!",
      );
  const out = deviceZeros(shape, resultType(used.length > 0 ? used : parts));
  let at = 0;
  for (const t of used) {
    deviceWriteInto(out.narrow(dim, at, t.shape[dim]), t);
    at += t.shape[dim];
  }
  return out;
}
reg("cat", (v) => catDevice(v[0] as Tensor[], (v[1] as number) ?? 0));
reg("stack", (v) => {
  const parts = v[0] as Tensor[];
  const dim = normalizeDim((v[1] as number) ?? 0, parts[0].dim() + 1);
  return catDevice(
    parts.map((t) => t.unsqueeze(dim)),
    dim,
  );
});
const catGrad =
  (stack: boolean): DeviceGrad =>
  (v) => {
    const parts = v[0] as Tensor[];
    const nd = parts[0].dim() + (stack ? 1 : 0);
    const dim = normalizeDim((v[1] as number) ?? 0, nd);
    return (g) => {
      let at = 0;
      return parts.map((t) => {
        if (!stack && t.dim() === 1 && t.numel() === 0) return null;
        const len = stack ? 1 : t.shape[dim];
        const piece = g.narrow(dim, at, len);
        at += len;
        return stack ? piece.squeeze(dim) : piece;
      });
    };
  };
dg("cat", catGrad(false));
dg("stack", catGrad(true));
NODE_NAMES.cat = "CatBackward0";
NODE_NAMES.stack = "StackBackward0";

// indexing
reg("gather", (v) => {
  const [x, dim0, idx] = v as [Tensor, number, Tensor];
  const dim = normalizeDim(dim0, Math.max(x.dim(), 1));
  const out = deviceZeros(idx.shape.slice(), x.dtype);
  G.gather(storage(x), layout(x), dim, storage(idx), layout(idx), storage(out), idx.shape);
  return out;
});
reg("index_select", (v) => {
  const [x, dim0, idx] = v as [Tensor, number, Tensor];
  const dim = normalizeDim(dim0, Math.max(x.dim(), 1));
  const shape = x.shape.slice();
  shape[dim] = idx.numel();
  // the index read with stride 0 on every other dim: a gather of the index broadcast
  const il: G.Layout = {
    shape,
    strides: shape.map((_, d) => (d === dim ? (idx.strides[0] ?? 1) : 0)),
    offset: idx.offset,
  };
  const out = deviceZeros(shape, x.dtype);
  G.gather(storage(x), layout(x), dim, storage(idx), il, storage(out), shape);
  return out;
});
reg("scatter_add", (v) => {
  const [x, dim0, idx, src] = v as [Tensor, number, Tensor, Tensor];
  const dim = normalizeDim(dim0, Math.max(x.dim(), 1));
  const out = contiguous(deviceClone(x));
  const sl: G.Layout = { shape: idx.shape, strides: src.strides, offset: src.offset };
  G.scatterAdd(storage(src), sl, dim, storage(idx), layout(idx), storage(out), x.shape);
  return out;
});

// gelu: the erf form x Phi(x), or the tanh form (approximate='tanh'), in one WGSL map
/**
 * Note [webgpu erfc]: WGSL has no erf. erf(u) = sign(u) (1 - erfc(|u|)) with Numerical Recipes'
 * erfcc (a Chebyshev fit: t = 1 / (1 + |u| / 2), erfc = t exp(-u^2 + P(t)), fractional error
 * below 1.2e-7), and gelu = 0.5 x (1 + erf(x / sqrt 2)) in that form, PyTorch's: in float32 the
 * far negative tail rounds to zero there too (gelu(-6) = -0, where x Phi(x) is -5.9e-9).
 */
const ERFC_FN = `fn erfT(u: f32) -> f32 {
  let z = abs(u);
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return sign(u) * (1.0 - t * exp(-z * z + p));
}`;
// Phi(x) = (1 + erf(x / sqrt 2)) / 2
const phi = (x: string): string => `(0.5 * (1.0 + erfT(${x} * 0.70710678118654752)))`;
// tanh form: u = sqrt(2 / pi) (x + 0.044715 x^3), clamped to +-10 (tanh is +-1 in f32 past
// 9.01; some WGSL implementations compute tanh through exp and give NaN for large arguments)
const geluInner = (x: string): string =>
  `clamp(0.7978845608028654 * (${x} + 0.044715 * ${x} * ${x} * ${x}), -10.0, 10.0)`;
function geluApproximate(v: unknown): "none" | "tanh" {
  if (v !== "none" && v !== "tanh" && v !== undefined)
    throw runtimeError(`approximate argument must be either none or tanh.`);
  return v === "tanh" ? "tanh" : "none";
}
reg("gelu", (v) => {
  const x = v[0] as Tensor;
  const approximate = geluApproximate(v[1]);
  if (!x.dtype.isFloatingPoint)
    throw runtimeError(`"GeluKernelImpl" not implemented for '${scalarTypeName(x.dtype)}'`);
  const out = deviceZeros(x.shape.slice(), x.dtype);
  const expr =
    approximate === "tanh" ? `0.5 * x * (1.0 + tanh(${geluInner("x")}))` : `x * ${phi("x")}`;
  G.unary(expr, storage(x), layout(x), storage(out), layout(out), 0, ERFC_FN);
  return out;
});
/**
 * GeluBackward0 (PyTorch's GeluBackwardKernelImpl): g (Phi(x) + x phi(x)) for the erf form,
 * phi the normal density; for the tanh form, with u = sqrt(2/pi) (x + 0.044715 x^3),
 * g (0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)). One WGSL map
 * of (a = g, b = x): the gradient is not itself recorded (no double backward of gelu on the
 * device).
 */
dg("gelu", (v) => (g) => {
  const x = v[0] as Tensor;
  const shape = broadcastShapes(g.shape, x.shape);
  const out = deviceZeros(shape, g.dtype);
  const lg = { shape, strides: broadcastStrides(g.shape, g.strides, shape), offset: g.offset };
  const lx = { shape, strides: broadcastStrides(x.shape, x.strides, shape), offset: x.offset };
  const t = `tanh(${geluInner("b")})`;
  const dx =
    geluApproximate(v[1]) === "tanh"
      ? `(0.5 * (1.0 + ${t}) + 0.5 * b * (1.0 - ${t} * ${t}) * 0.7978845608028654 * (1.0 + 0.134145 * b * b))`
      : `(${phi("b")} + b * 0.3989422804014327 * exp(-0.5 * b * b))`;
  G.binary(`a * ${dx}`, storage(g), lg, storage(x), lx, storage(out), shape, 0, ERFC_FN);
  return [out];
});
NODE_NAMES.gelu = "GeluBackward0";

/**
 * embedding on the device: the weight's rows at the indices (index_select's gather), the
 * indices' shape plus the row. Like index_select on the device, out-of-range indices are not
 * checked: the device's values cannot be read synchronously (Note [webgpu reads]).
 * EmbeddingBackward0 (embedding_dense_backward): g's rows summed into a zero [V, D] at their
 * indices (scatter_add), the padding_idx row left zero; scale_grad_by_freq divides each row of
 * g by how often its index occurs.
 */
reg("embedding", (v) => {
  const [input, weight, paddingIdx, maxNorm] = v as [Tensor, Tensor, number | null, number | null];
  if (paddingIdx !== null && paddingIdx !== undefined) {
    if (paddingIdx > 0 && !(paddingIdx < weight.shape[0]))
      throw assertionError("Padding_idx must be within num_embeddings");
    if (paddingIdx < 0 && !(paddingIdx >= -weight.shape[0]))
      throw assertionError("Padding_idx must be within num_embeddings");
  }
  if (maxNorm !== null && maxNorm !== undefined)
    throw notImplementedError("embedding(max_norm=...) on the webgpu device");
  if (weight.dim() !== 2) throw runtimeError("'weight' must be 2-D");
  if (input.dtype.name !== "int64" && input.dtype.name !== "int32")
    throw runtimeError(
      `Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got torch.${scalarTypeName(input.dtype)}Tensor instead (while checking arguments for embedding)`,
    );
  const D = weight.shape[1];
  return noGradDevice(() => weight.indexSelect(0, input.reshape(-1)).view([...input.shape, D]));
});
dg("embedding", (v) => (g) => {
  const [input, weight, paddingIdx, , , scaleGradByFreq] = v as [
    Tensor,
    Tensor,
    number | null,
    unknown,
    unknown,
    boolean,
  ];
  const [V, D] = weight.shape;
  const n = input.numel();
  const idx = input.reshape([n]);
  let rows = g.reshape([n, D]);
  if (paddingIdx !== null && paddingIdx !== undefined) {
    const pad = paddingIdx < 0 ? V + paddingIdx : paddingIdx;
    rows = rows.mul(idx.ne(pad).unsqueeze(1));
  }
  if (scaleGradByFreq === true) {
    const counts = deviceZeros([V], g.dtype).scatterAdd(0, idx, deviceFull([n], g.dtype, 1));
    rows = rows.div(counts.gather(0, idx).unsqueeze(1));
  }
  const at = idx.unsqueeze(1).expand([n, D]);
  return [null, deviceZeros([V, D], g.dtype).scatterAdd(0, at, rows)];
});
NODE_NAMES.embedding = "EmbeddingBackward0";
NODE_NAMES.var = "VarBackward0";
NODE_NAMES.std = "StdBackward0";

/**
 * var / std on the device (the overloads of registry/ops/reduce.ts momentOverloads): two passes,
 * the mean over the dims, then the summed squared deviations divided by max(0, N - correction),
 * as the CPU's varCore (whose sums may round differently: tolerance). VarBackward0:
 * g 2 (x - mean) / (N - correction), g brought back over the reduced dims; StdBackward0 is that
 * of g / (2 std), zero where std is zero (PyTorch's std_backward).
 */
function momentArgs(v: unknown[], o: string): [number[] | null, number, boolean] {
  if (o === "") return [null, v[1] === false ? 0 : 1, false];
  const dims = (v[1] as number[] | null) ?? null;
  const keepdim = v[3] === true;
  if (o === "correction") return [dims, (v[2] as number | null) ?? 1, keepdim];
  return [dims, v[2] === false ? 0 : 1, keepdim];
}
function momentCount(x: Tensor, dims: number[] | null): number {
  if (dims === null || dims.length === 0) return x.numel();
  const nd = Math.max(x.dim(), 1);
  const red = [...new Set(dims.map((d) => normalizeDim(d, nd)))];
  return red.reduce((a, d) => a * (x.shape[d] ?? 1), 1);
}
function deviceMoment(std: boolean) {
  return (v: unknown[], o: string): Tensor => {
    const x = v[0] as Tensor;
    if (!x.dtype.isFloatingPoint)
      throw runtimeError("std and var only support floating point and complex dtypes");
    const [dims, correction, keepdim] = momentArgs(v, o);
    const scale = 1 / Math.max(0, momentCount(x, dims) - correction);
    return noGradDevice(() => {
      const dev = x.sub(reduceDims(x, dims, true, "sum", true, x.dtype));
      const sq = contiguous(dev.mul(dev));
      const r = reduceDims(sq, dims, keepdim, "sum", false, x.dtype);
      const out = deviceZeros(r.shape.slice(), x.dtype);
      G.unary(`x * s`, storage(r), layout(r), storage(out), layout(out), scale);
      return std ? out.sqrt() : out;
    });
  };
}
reg("var", deviceMoment(false));
reg("std", deviceMoment(true));
for (const std of [false, true])
  dg(std ? "std" : "var", (v, out, o) => (g) => {
    const x = v[0] as Tensor;
    const [dims, correction, keepdim] = momentArgs(v, o);
    const gvar = std ? g.div(out.mul(2)).maskedFill(out.eq(0), 0) : g;
    const mean = noGradDevice(() => reduceDims(x, dims, true, "sum", true, x.dtype));
    const scale = 2 / (momentCount(x, dims) - correction);
    return [unreduce(gvar, x, dims, keepdim, 1).mul(x.sub(mean)).mul(scale)];
  });

// convolution and pooling (2-D, NCHW)
function pair(v: unknown, d: number): [number, number] {
  if (typeof v === "number") return [v, v];
  const a = (v as number[] | undefined) ?? [];
  return a.length === 0 ? [d, d] : a.length === 1 ? [a[0], a[0]] : [a[0], a[1]];
}
function convGeom(
  x: Tensor,
  wShape: readonly number[],
  stride: unknown,
  padding: unknown,
  dilation: unknown,
  groups: number,
): G.Conv2dGeom {
  const [N, C, H, W] = x.shape;
  const [OC, , KH, KW] = wShape;
  const [sh, sw] = pair(stride, 1);
  const [ph, pw] = pair(padding, 0);
  const [dh, dw] = pair(dilation, 1);
  const OH = Math.floor((H + 2 * ph - dh * (KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - dw * (KW - 1) - 1) / sw) + 1;
  return { N, C, H, W, OC, KH, KW, OH, OW, sh, sw, ph, pw, dh, dw, groups };
}
/** conv2d's forward on the device, its two adjoints through the same kernel (conv2d mode). */
export function deviceConv2d(x: Tensor, w: Tensor, g: G.Conv2dGeom): Tensor {
  const out = deviceZeros([g.N, g.OC, g.OH, g.OW], x.dtype);
  G.conv2d("forward", storage(contiguous(x)), storage(contiguous(w)), storage(out), g);
  return out;
}
/** dx of conv2d from dy and w. */
export function deviceConv2dInput(dy: Tensor, w: Tensor, g: G.Conv2dGeom): Tensor {
  const out = deviceZeros([g.N, g.C, g.H, g.W], dy.dtype);
  G.conv2d("input", storage(contiguous(dy)), storage(contiguous(w)), storage(out), g);
  return out;
}
/** dw of conv2d from x and dy. */
export function deviceConv2dWeight(x: Tensor, dy: Tensor, g: G.Conv2dGeom): Tensor {
  const out = deviceZeros([g.OC, g.C / g.groups, g.KH, g.KW], dy.dtype);
  G.conv2d("weight", storage(contiguous(x)), storage(contiguous(dy)), storage(out), g);
  return out;
}
export { convGeom as deviceConvGeom };

/** max_pool2d on the device: values and flat plane indices (f32 on the device, int64 dtype). */
export function deviceMaxPool2d(
  x: Tensor,
  k: unknown,
  stride: unknown,
  padding: unknown,
  dilation: unknown,
): [Tensor, Tensor] {
  const [kh, kw] = pair(k, 1);
  const st = pair(stride, 0);
  const [sh, sw] = st[0] === 0 ? [kh, kw] : st;
  const [ph, pw] = pair(padding, 0);
  const [dh, dw] = pair(dilation, 1);
  const [N, C, H, W] = x.shape;
  const OH = Math.floor((H + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const g: G.Conv2dGeom = {
    N,
    C,
    H,
    W,
    OC: C,
    KH: kh,
    KW: kw,
    OH,
    OW,
    sh,
    sw,
    ph,
    pw,
    dh,
    dw,
    groups: 1,
  };
  const out = deviceZeros([N, C, OH, OW], x.dtype);
  const idx = deviceZeros([N, C, OH, OW], int64);
  G.maxPool2d(storage(contiguous(x)), storage(out), storage(idx), g);
  return [out, idx];
}
/** max_pool2d's adjoint: dy added at the argmax positions (a scatter-add over each plane). */
export function deviceMaxPool2dBackward(dy: Tensor, x: Tensor, idx: Tensor): Tensor {
  const [N, C, H, W] = x.shape;
  const planes = N * C;
  const out = deviceZeros([planes, H * W], dy.dtype);
  const d = contiguous(dy).view([planes, -1]);
  const i = contiguous(idx).view([planes, -1]);
  G.scatterAdd(storage(d), layout(d), 1, storage(i), layout(i), storage(out), [planes, H * W]);
  return out.view(x.shape.slice());
}

reg("conv2d", (v) => {
  const [x0, w, b, stride, padding, dilation, groups] = v as [
    Tensor,
    Tensor,
    Tensor | null,
    number[],
    number[] | string,
    number[],
    number,
  ];
  if (typeof padding === "string" && padding !== "valid")
    throw notImplementedError(`conv2d(padding='${padding}') on the webgpu device`);
  const x = x0.dim() === 3 ? x0.unsqueeze(0) : x0;
  const g = convGeom(
    x,
    w.shape,
    stride,
    typeof padding === "string" ? 0 : padding,
    dilation,
    groups,
  );
  let out = deviceConv2d(x, w, g);
  if (b !== null) out = out.add(b.view([1, -1, 1, 1]));
  return x0.dim() === 3 ? out.squeeze(0) : out;
});
dg("conv2d", (v) => {
  const [x0, w, b, stride, padding, dilation, groups] = v as [
    Tensor,
    Tensor,
    Tensor | null,
    number[],
    number[] | string,
    number[],
    number,
  ];
  const x = x0.dim() === 3 ? x0.unsqueeze(0) : x0;
  const geom = convGeom(
    x,
    w.shape,
    stride,
    typeof padding === "string" ? 0 : padding,
    dilation,
    groups,
  );
  // the adjoints run the conv2d kernel's "input" and "weight" modes (not differentiable again)
  return (g0) => {
    const g = x0.dim() === 3 ? g0.unsqueeze(0) : g0;
    const dx = T(x0) ? deviceConv2dInput(g, w, geom) : null;
    return [
      dx === null ? null : x0.dim() === 3 ? dx.squeeze(0) : dx,
      T(w) ? deviceConv2dWeight(x, g, geom) : null,
      b !== null && T(b) ? g.sum([0, 2, 3]) : null,
    ];
  };
});
NODE_NAMES.conv2d = "ConvolutionBackward0";
reg("max_pool2d", (v) => {
  const [x, k, stride, padding, dilation, ceil, withIndices] = v as [
    Tensor,
    number[],
    number[] | null,
    number[],
    number[],
    boolean,
    boolean | undefined,
  ];
  if (ceil) throw notImplementedError("max_pool2d(ceil_mode=True) on the webgpu device");
  if (withIndices === true)
    throw notImplementedError("max_pool2d(return_indices=True) on the webgpu device");
  const x4 = x.dim() === 3 ? x.unsqueeze(0) : x;
  const [out] = deviceMaxPool2d(x4, k, stride ?? [], padding, dilation);
  return x.dim() === 3 ? out.squeeze(0) : out;
});
dg("max_pool2d", (v) => {
  const [x, k, stride, padding, dilation] = v as [
    Tensor,
    number[],
    number[] | null,
    number[],
    number[],
  ];
  const x4 = x.dim() === 3 ? x.unsqueeze(0) : x;
  const [, idx] = deviceMaxPool2d(x4, k, stride ?? [], padding, dilation);
  return (g0) => {
    const g = x.dim() === 3 ? g0.unsqueeze(0) : g0;
    const dx = deviceMaxPool2dBackward(g, x4, idx);
    return [x.dim() === 3 ? dx.squeeze(0) : dx];
  };
});
NODE_NAMES.max_pool2d = "MaxPool2DWithIndicesBackward0";

/**
 * One Adam/AdamW step of a device parameter in place (the backend's fused kernel): `p`, the
 * moments and `vmax` contiguous device tensors of p's shape, `grad` any device layout.
 */
export function deviceAdamStep(
  p: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor,
  vmax: Tensor | null,
  o: G.AdamScalars,
): void {
  if (!p.isContiguous() || p.offset !== 0)
    throw notImplementedError("Adam's step of a non-contiguous parameter on the webgpu device");
  const g = contiguous(isDevice(grad) ? grad : toDevice(grad));
  G.adamStep(
    storage(p),
    storage(g),
    storage(m),
    storage(v),
    vmax === null ? null : storage(vmax),
    p.numel(),
    o,
  );
}

// ---------------------------------------------------------------------------------------------
// Note [device composites]: the losses, layer norm and batch norm on the device are compositions
// of the device's ops (each a WGSL kernel), called by the CPU ops (ops/nn.ts,
// ops/normalization.ts) after their argument checks when the input is a device tensor. Their
// gradients are those of the recorded device ops, so the graph differs from PyTorch's (e.g.
// MeanBackward0 over MulBackward0 where PyTorch records one MseLossBackward0); the values agree
// within float32 rounding. Device values are never read synchronously, so the checks of values
// the CPU kernels make (class indices in range, probabilities in [0, 1]) do not run here.

/** A 0-dim CPU tensor: a scalar operand of a device op (Note [device dispatch]). */
const scalarT = (v: number, dtype: DType): Tensor => {
  const a = allocData(1, dtype);
  a[0] = v;
  return wrap(a, [], dtype);
};

/** apply_loss_reduction. */
function reduceLoss(t: Tensor, reduction: "none" | "mean" | "sum"): Tensor {
  return reduction === "none" ? t : reduction === "mean" ? t.mean() : t.sum();
}

/** mse_loss on the device: (input - target)^2, reduced. */
export function deviceMseLoss(input: Tensor, target: Tensor, reduction: "none" | "mean" | "sum") {
  const d = input.sub(target);
  return reduceLoss(d.mul(d), reduction);
}

/**
 * smooth_l1_loss (huber false) and huber_loss (huber true) on the device, z = |input - target|:
 * 0.5 z^2 / beta below beta, else z - beta / 2; Huber: 0.5 z^2 below delta, else delta (z - delta / 2).
 */
export function deviceSmoothLoss(
  input: Tensor,
  target: Tensor,
  reduction: "none" | "mean" | "sum",
  beta: number,
  huber: boolean,
): Tensor {
  const z = input.sub(target).abs();
  if (!huber && beta === 0) return reduceLoss(z, reduction);
  const quad = z.mul(z).mul(huber ? 0.5 : 0.5 / beta);
  const lin = huber ? z.sub(0.5 * beta).mul(beta) : z.sub(0.5 * beta);
  return reduceLoss(quad.where(z.lt(beta), lin), reduction);
}

/** binary_cross_entropy on the device: -w (t max(log x, -100) + (1 - t) max(log(1 - x), -100)). */
export function deviceBinaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null,
  reduction: "none" | "mean" | "sum",
): Tensor {
  const logX = input.log().clampMin(-100);
  const log1mX = input.rsub(1).log().clampMin(-100);
  let l = target.mul(logX).add(target.rsub(1).mul(log1mX)).neg();
  // weight (and pos_weight below) are not differentiable, as in PyTorch
  if (weight !== null) l = l.mul(weight.detach());
  return reduceLoss(l, reduction);
}

/**
 * binary_cross_entropy_with_logits on the device, PyTorch's stable form: m = max(-x, 0),
 * (1 - t) x + lw (log(exp(-m) + exp(-x - m)) + m), lw = (pos_weight - 1) t + 1 (or 1).
 */
export function deviceBceWithLogits(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null,
  posWeight: Tensor | null,
  reduction: "none" | "mean" | "sum",
): Tensor {
  const m = input.neg().clampMin(0);
  const logTerm = m.neg().exp().add(input.neg().sub(m).exp()).log();
  let l =
    posWeight !== null
      ? target
          .rsub(1)
          .mul(input)
          .add(posWeight.detach().sub(1).mul(target).add(1).mul(logTerm.add(m)))
      : target.rsub(1).mul(input).add(m).add(logTerm);
  if (weight !== null) l = l.mul(weight.detach());
  return reduceLoss(l, reduction);
}

/**
 * nll_loss on the device (arguments already checked by ops/nn.ts): -w[t] input[n, t, ...]
 * gathered along the class dim, positions whose target is ignore_index weighted 0; 'mean'
 * divides by the sum of the kept weights.
 */
export function deviceNllLoss(
  input: Tensor,
  target: Tensor,
  weight: Tensor | null,
  reduction: "none" | "mean" | "sum",
  ignoreIndex: number,
): Tensor {
  const unbatched = input.dim() === 1;
  const x = unbatched ? input.unsqueeze(0) : input;
  const t = unbatched ? target.reshape([1]) : target;
  const keep = t.ne(ignoreIndex);
  // ignored positions read class 0 (their weight is 0)
  const safe = t.where(keep, scalarT(0, t.dtype));
  const picked = x.gather(1, safe.unsqueeze(1)).squeeze(1);
  let w = keep.to(x.dtype);
  if (weight !== null)
    w = weight.detach().to(x.dtype).indexSelect(0, safe.reshape(-1)).view(t.shape.slice()).mul(w);
  const l = picked.mul(w).neg();
  if (reduction === "none") return unbatched ? l.squeeze(0) : l;
  if (reduction === "sum") return l.sum();
  return l.sum().div(w.sum());
}

/**
 * layer_norm on the device: over the last `d` dims, (x - mean) / sqrt(var + eps) with the
 * biased variance, then weight and bias.
 */
export function deviceLayerNorm(
  x: Tensor,
  d: number,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
): Tensor {
  const dims = [...Array(d).keys()].map((i) => x.dim() - d + i);
  const xc = x.sub(x.mean(dims, true));
  let out = xc.mul(xc.mul(xc).mean(dims, true).add(eps).rsqrt());
  if (weight !== null) out = out.mul(weight);
  if (bias !== null) out = out.add(bias);
  return out;
}

/**
 * batch_norm on the device, channels on dim 1: training normalizes with the batch's mean and
 * biased variance and updates the running statistics in place (running = (1 - momentum)
 * running + momentum batch, the variance unbiased); evaluation uses the running statistics.
 */
export function deviceBatchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  training: boolean,
  momentum: number,
  eps: number,
): Tensor {
  const C = x.shape[1];
  const shape = x.shape.map((_, i) => (i === 1 ? C : 1));
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  let mean: Tensor;
  let varB: Tensor;
  if (training || runningMean === null || runningVar === null) {
    mean = x.mean(dims, true);
    const xc0 = x.sub(mean);
    varB = xc0.mul(xc0).mean(dims, true);
    if (training && runningMean !== null && runningVar !== null) {
      const n = x.numel() / C;
      noGradDevice(() => {
        runningMean.mul_(1 - momentum).add_(mean.detach().view([C]), { alpha: momentum });
        runningVar
          .mul_(1 - momentum)
          .add_(varB.detach().view([C]), { alpha: (momentum * n) / Math.max(n - 1, 1) });
      });
    }
  } else {
    mean = runningMean.view(shape);
    varB = runningVar.view(shape);
  }
  let out = x.sub(mean).mul(varB.add(eps).rsqrt());
  if (weight !== null) out = out.mul(weight.view(shape));
  if (bias !== null) out = out.add(bias.view(shape));
  return out;
}

/** Waits for the device's queued work. */
export const synchronize = G.synchronize;
/** Whether the device was initialized. */
export const deviceReady = G.isInitialized;
/** Requests the device (Note [webgpu reads] in tensor-methods.ts). */
export const initDevice = G.initDevice;
/** The adapter's description. */
export const adapterInfo = G.adapterInfo;
