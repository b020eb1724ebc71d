/**
 * Derivative formulas (reverse and forward mode) of the neural-network primitives:
 * convolution, pooling and normalisation. `derivatives.ts` declares these ops through
 * `NnOpDefs` and spreads `nnDerivatives` into its table; `jvps.ts` spreads `nnJvps`. Formulas
 * are written with recorded ops (convolution in terms of convolution, pooling backward as ops of
 * their own), so they differentiate again.
 */
import type { Tensor } from "../tensor.js";
import type { Derivative, Grads } from "./derivatives.js";
import type { OpNode } from "./function.js";
import type { Jvp } from "./jvps.js";
import { convolution, convolutionBackward, type ConvArgs } from "../ops/conv.js";
import {
  adaptiveAvgPool,
  adaptiveAvgPoolBackward,
  avgPool,
  avgPoolBackward,
  maxUnpool,
  type AvgPoolArgs,
  type IndexPool,
} from "../ops/pooling.js";
import { normBackward, normJvp, type NormAttrs } from "../ops/normalization.js";
import { INDEX_POOL_DIMS, indexPoolBackward } from "../ops/backward.js";

type PoolAttrs = AvgPoolArgs & { inputShape: number[] };
type AdaptiveAttrs = { outputSize: number[]; inputShape: number[] };
/** A pooling whose backward scatters to the saved indices of the maxima. */
type IndexPoolDef = { save: "self" | "indices"; attrs: Record<string, never> };

/** The neural-network primitives: what each saves and its attributes (merged into OpDefs). */
export interface NnOpDefs {
  convolution: { save: "self" | "weight"; attrs: ConvArgs };
  maxPool2d: IndexPoolDef;
  maxPool3d: IndexPoolDef;
  adaptiveMaxPool2d: IndexPoolDef;
  adaptiveMaxPool3d: IndexPoolDef;
  fractionalMaxPool2d: IndexPoolDef;
  fractionalMaxPool3d: IndexPoolDef;
  avgPool2d: { save: never; attrs: PoolAttrs };
  avgPool2dBackward: { save: never; attrs: PoolAttrs };
  avgPool3d: { save: never; attrs: PoolAttrs };
  avgPool3dBackward: { save: never; attrs: PoolAttrs };
  adaptiveAvgPool2d: { save: never; attrs: AdaptiveAttrs };
  adaptiveAvgPool2dBackward: { save: never; attrs: AdaptiveAttrs };
  adaptiveAvgPool3d: { save: never; attrs: AdaptiveAttrs };
  adaptiveAvgPool3dBackward: { save: never; attrs: AdaptiveAttrs };
  maxUnpool2d: { save: "indices"; attrs: { k: number } };
  maxUnpool3d: { save: "indices"; attrs: { k: number } };
  nativeLayerNorm: { save: "self" | "weight"; attrs: NormAttrs };
  nativeGroupNorm: { save: "self" | "weight"; attrs: NormAttrs };
  nativeBatchNorm: { save: "self" | "weight"; attrs: NormAttrs };
}

type NnOp = keyof NnOpDefs;

const needs3 = (n: OpNode): [boolean, boolean, boolean] => [
  n.needsInputGrad(0),
  n.needsInputGrad(1),
  n.needsInputGrad(2),
];
/** a saved entry that was passed as null is absent */
const opt = (t: Tensor | undefined): Tensor | null => t ?? null;

type NormOp = "nativeLayerNorm" | "nativeGroupNorm" | "nativeBatchNorm";

function normDerivative<K extends NormOp>(name: string): Derivative<K> {
  return {
    name,
    save: ["self", "weight"],
    grad: (g, s, a, n): Grads => {
      const saved = s as unknown as { self: Tensor; weight?: Tensor };
      return normBackward(g, saved.self, opt(saved.weight), a as NormAttrs, needs3(n));
    },
  };
}

function indexPoolDerivative<K extends IndexPool>(kind: K, name: string): Derivative<K> {
  const d: Derivative<"maxPool2d"> = {
    name,
    save: ["self", "indices"],
    grad: (g, s) => [indexPoolBackward(g, s.self, s.indices, kind)],
  };
  // the index poolings share one definition (IndexPoolDef): only the key differs
  return d as unknown as Derivative<K>;
}

/** x's last k dims flattened, gathered at `indices` (in the indices' shape) */
function gatherAt(x: Tensor, indices: Tensor, k: number): Tensor {
  const lead = indices.shape.slice(0, indices.dim() - k);
  return x
    .contiguous()
    .view([...lead, -1])
    .gather(lead.length, indices.reshape([...lead, -1]))
    .view(indices.shape);
}

export const nnDerivatives: { [K in NnOp]: Derivative<K> } = {
  // dx = conv_transpose(g, w) (or conv for a transposed conv), dw = conv of x with g (batch and
  // channels swapped), db = sum(g) over batch and space
  convolution: {
    name: "ConvolutionBackward0",
    save: ["self", "weight"],
    grad: (g, s, a, n) =>
      convolutionBackward(g, opt(s.self), s.weight, n.inputShape(0), a, needs3(n)),
  },
  // g scattered back to the positions of the maxima (max_pool2d_with_indices_backward, ...)
  maxPool2d: indexPoolDerivative("maxPool2d", "MaxPool2DWithIndicesBackward0"),
  maxPool3d: indexPoolDerivative("maxPool3d", "MaxPool3DWithIndicesBackward0"),
  adaptiveMaxPool2d: indexPoolDerivative("adaptiveMaxPool2d", "AdaptiveMaxPool2DBackward0"),
  adaptiveMaxPool3d: indexPoolDerivative("adaptiveMaxPool3d", "AdaptiveMaxPool3DBackward0"),
  fractionalMaxPool2d: indexPoolDerivative("fractionalMaxPool2d", "FractionalMaxPool2DBackward0"),
  fractionalMaxPool3d: indexPoolDerivative("fractionalMaxPool3d", "FractionalMaxPool3DBackward0"),
  // each window's g/divisor spread over its elements; that map's adjoint is avg_pool again
  avgPool2d: {
    name: "AvgPool2DBackward0",
    save: [],
    grad: (g, _s, a) => [avgPoolBackward(g, a.inputShape, a)],
  },
  avgPool2dBackward: {
    name: "AvgPool2DBackwardBackward0",
    save: [],
    grad: (g, _s, a) => [avgPool(g, a)],
  },
  avgPool3d: {
    name: "AvgPool3DBackward0",
    save: [],
    grad: (g, _s, a) => [avgPoolBackward(g, a.inputShape, a)],
  },
  avgPool3dBackward: {
    name: "AvgPool3DBackwardBackward0",
    save: [],
    grad: (g, _s, a) => [avgPool(g, a)],
  },
  adaptiveAvgPool2d: {
    name: "AdaptiveAvgPool2DBackward0",
    save: [],
    grad: (g, _s, a) => [adaptiveAvgPoolBackward(g, a.inputShape, 2)],
  },
  adaptiveAvgPool2dBackward: {
    name: "AdaptiveAvgPool2DBackwardBackward0",
    save: [],
    grad: (g, _s, a) => [adaptiveAvgPool(g, a.outputSize)],
  },
  adaptiveAvgPool3d: {
    name: "AdaptiveAvgPool3DBackward0",
    save: [],
    grad: (g, _s, a) => [adaptiveAvgPoolBackward(g, a.inputShape, 3)],
  },
  adaptiveAvgPool3dBackward: {
    name: "AdaptiveAvgPool3DBackwardBackward0",
    save: [],
    grad: (g, _s, a) => [adaptiveAvgPool(g, a.outputSize)],
  },
  // max_pool_double_backward: the gradient gathered at the indices
  maxUnpool2d: {
    name: "MaxUnpool2DBackward0",
    save: ["indices"],
    grad: (g, s, a) => [gatherAt(g, s.indices, a.k)],
  },
  maxUnpool3d: {
    name: "MaxUnpool3DBackward0",
    save: ["indices"],
    grad: (g, s, a) => [gatherAt(g, s.indices, a.k)],
  },
  // dx = rstd * (gy - mean(gy) - xhat * mean(gy * xhat)), gy = g * w; dw = sum(g * xhat); db = sum(g)
  nativeLayerNorm: normDerivative("NativeLayerNormBackward0"),
  nativeGroupNorm: normDerivative("NativeGroupNormBackward0"),
  nativeBatchNorm: normDerivative("NativeBatchNormBackward0"),
};

/** tangent in the primal's dtype (convolution needs equal dtypes) */
const like = (t: Tensor, x: Tensor): Tensor => (t.dtype === x.dtype ? t : t.to(x.dtype));

function plus(a: Tensor | null, b: Tensor | null): Tensor | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.add(b);
}

const normJ: Jvp<"nativeLayerNorm"> = (t, x, _out, a) =>
  normJvp(t[0], t[1], t[2], x[0] as Tensor, (x[1] as Tensor | null | undefined) ?? null, a);

function indexPoolJvp<K extends IndexPool>(kind: K): Jvp<K> {
  const j: Jvp<"maxPool2d"> = (t, _x, out, _a, s) =>
    gatherAt(t[0] as Tensor, s.indices as Tensor, INDEX_POOL_DIMS[kind]).reshape(out.shape);
  // one definition for the index poolings (IndexPoolDef): only the key differs
  return j as unknown as Jvp<K>;
}

export const nnJvps: { [K in NnOp]: Jvp<K> } = {
  // bilinear: conv(dx, w) + conv(x, dw) + db
  convolution: (t, x, out, a) => {
    const xi = x[0] as Tensor;
    const w = x[1] as Tensor;
    let r: Tensor | null = null;
    if (t[0] !== null) r = convolution(like(t[0], xi), w, null, a);
    if (t[1] !== null) r = plus(r, convolution(xi, like(t[1], w), null, a));
    if (t[2] !== null) {
      const db = t[2].reshape([t[2].shape[0], ...new Array<number>(out.dim() - 2).fill(1)]);
      r = plus(r, db.expand(out.shape));
    }
    return r;
  },
  // the tangent at the maxima's positions
  maxPool2d: indexPoolJvp("maxPool2d"),
  maxPool3d: indexPoolJvp("maxPool3d"),
  adaptiveMaxPool2d: indexPoolJvp("adaptiveMaxPool2d"),
  adaptiveMaxPool3d: indexPoolJvp("adaptiveMaxPool3d"),
  fractionalMaxPool2d: indexPoolJvp("fractionalMaxPool2d"),
  fractionalMaxPool3d: indexPoolJvp("fractionalMaxPool3d"),
  // linear maps: the same map of the tangent
  avgPool2d: (t, _x, _o, a) => avgPool(t[0] as Tensor, a),
  avgPool2dBackward: (t, _x, _o, a) => avgPoolBackward(t[0] as Tensor, a.inputShape, a),
  avgPool3d: (t, _x, _o, a) => avgPool(t[0] as Tensor, a),
  avgPool3dBackward: (t, _x, _o, a) => avgPoolBackward(t[0] as Tensor, a.inputShape, a),
  adaptiveAvgPool2d: (t, _x, _o, a) => adaptiveAvgPool(t[0] as Tensor, a.outputSize),
  adaptiveAvgPool2dBackward: (t, _x, _o, a) =>
    adaptiveAvgPoolBackward(t[0] as Tensor, a.inputShape, 2),
  adaptiveAvgPool3d: (t, _x, _o, a) => adaptiveAvgPool(t[0] as Tensor, a.outputSize),
  adaptiveAvgPool3dBackward: (t, _x, _o, a) =>
    adaptiveAvgPoolBackward(t[0] as Tensor, a.inputShape, 3),
  maxUnpool2d: (t, _x, out, a, s) =>
    maxUnpool(t[0] as Tensor, s.indices as Tensor, out.shape.slice(-a.k)),
  maxUnpool3d: (t, _x, out, a, s) =>
    maxUnpool(t[0] as Tensor, s.indices as Tensor, out.shape.slice(-a.k)),
  // w * dxhat + dw * xhat + db
  nativeLayerNorm: normJ,
  nativeGroupNorm: normJ,
  nativeBatchNorm: normJ,
};
