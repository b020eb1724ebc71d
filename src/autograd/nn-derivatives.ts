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
  adaptiveAvgPool2d,
  adaptiveAvgPool2dBackward,
  avgPool2d,
  avgPool2dBackward,
  type AvgPoolArgs,
} from "../ops/pooling.js";
import { normBackward, normJvp, type NormAttrs } from "../ops/normalization.js";
import { maxPool2dWithIndicesBackward } from "../ops/backward.js";

type PoolAttrs = AvgPoolArgs & { inputShape: number[] };
type AdaptiveAttrs = { outputSize: number[]; inputShape: number[] };

/** The neural-network primitives: what each saves and its attributes (merged into OpDefs). */
export interface NnOpDefs {
  convolution: { save: "self" | "weight"; attrs: ConvArgs };
  maxPool2d: { save: "self" | "indices"; attrs: Record<string, never> };
  avgPool2d: { save: never; attrs: PoolAttrs };
  avgPool2dBackward: { save: never; attrs: PoolAttrs };
  adaptiveAvgPool2d: { save: never; attrs: AdaptiveAttrs };
  adaptiveAvgPool2dBackward: { save: never; attrs: AdaptiveAttrs };
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

export const nnDerivatives: { [K in NnOp]: Derivative<K> } = {
  // dx = conv_transpose(g, w) (or conv for a transposed conv), dw = conv of x with g (batch and
  // channels swapped), db = sum(g) over batch and space
  convolution: {
    name: "ConvolutionBackward0",
    save: ["self", "weight"],
    grad: (g, s, a, n) =>
      convolutionBackward(g, opt(s.self), s.weight, n.inputShape(0), a, needs3(n)),
  },
  // g scattered back to the positions of the maxima (max_pool2d_with_indices_backward)
  maxPool2d: {
    name: "MaxPool2DWithIndicesBackward0",
    save: ["self", "indices"],
    grad: (g, s) => [maxPool2dWithIndicesBackward(g, s.self, s.indices)],
  },
  // each window's g/divisor spread over its elements; that map's adjoint is avg_pool2d again
  avgPool2d: {
    name: "AvgPool2DBackward0",
    save: [],
    grad: (g, _s, a) => [avgPool2dBackward(g, a.inputShape, a)],
  },
  avgPool2dBackward: {
    name: "AvgPool2DBackwardBackward0",
    save: [],
    grad: (g, _s, a) => [avgPool2d(g, a)],
  },
  adaptiveAvgPool2d: {
    name: "AdaptiveAvgPool2DBackward0",
    save: [],
    grad: (g, _s, a) => [adaptiveAvgPool2dBackward(g, a.inputShape)],
  },
  adaptiveAvgPool2dBackward: {
    name: "AdaptiveAvgPool2DBackwardBackward0",
    save: [],
    grad: (g, _s, a) => [adaptiveAvgPool2d(g, a.outputSize)],
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
  maxPool2d: (t, _x, out, _a, s) => {
    const idx = s.indices as Tensor;
    const dx = t[0] as Tensor;
    const lead = dx.shape.slice(0, -2);
    return dx
      .reshape([...lead, -1])
      .gather(lead.length, idx.reshape([...lead, -1]))
      .reshape(out.shape);
  },
  // linear maps: the same map of the tangent
  avgPool2d: (t, _x, _o, a) => avgPool2d(t[0] as Tensor, a),
  avgPool2dBackward: (t, _x, _o, a) => avgPool2dBackward(t[0] as Tensor, a.inputShape, a),
  adaptiveAvgPool2d: (t, _x, _o, a) => adaptiveAvgPool2d(t[0] as Tensor, a.outputSize),
  adaptiveAvgPool2dBackward: (t, _x, _o, a) =>
    adaptiveAvgPool2dBackward(t[0] as Tensor, a.inputShape),
  // w * dxhat + dw * xhat + db
  nativeLayerNorm: normJ,
  nativeGroupNorm: normJ,
  nativeBatchNorm: normJ,
};
