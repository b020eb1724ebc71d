/**
 * The dropout family of issue 11 (h-nnact): torch.dropout / feature_dropout / alpha_dropout /
 * feature_alpha_dropout and their in-place forms (ATen's _dropout_impl), and the Python
 * functions F.dropout1d/2d/3d, F.alpha_dropout, F.feature_alpha_dropout over them.
 *
 * The masks are PyTorch's CPU `noise.bernoulli_(1 - p)`: one double uniform per element of the
 * noise (the input's shape, or [N, C, 1, ...] for feature dropout) from the default generator, 1
 * where it is < 1 - p; so a seeded run drops what PyTorch drops. Arithmetic on the noise is
 * done with tensor ops in the input's dtype, as ATen's (noise.div_(1 - p); for alpha dropout
 * b = (noise - 1) * alpha' * a + alpha' * a * p, noise * a), and the result is recorded as
 * PyTorch's graph records it: MulBackward0, then AddBackward0 for alpha dropout.
 */
import { Tensor } from "../../tensor.js";
import { alloc, scalarTypeName } from "../../ops/core.js";
import { noGrad } from "../../autograd/grad-mode.js";
import { fillBernoulli } from "../../random.js";
import { defaultGenerator } from "../../generator.js";
import { runtimeError, valueError } from "../../errors.js";
import { formatPyFloat } from "../../print.js";
import { defineOp } from "../define.js";
import { warn } from "./nn.js";
import { cppDouble } from "./sorting.js";

/** SELU's alpha * scale: the value alpha dropout sets dropped units to (negated). */
const ALPHA = 1.7580993408473766;

/**
 * ATen's _dropout_impl<feature, alpha, inplace>: the input itself when p == 0, not training or
 * empty; input * 0 when p == 1; otherwise the input times the scaled bernoulli(1 - p) noise
 * (plus b for alpha dropout).
 */
export function dropoutImpl(
  input: Tensor,
  p: number,
  train: boolean,
  feature: boolean,
  alpha: boolean,
  inp: boolean,
): Tensor {
  if (!(p >= 0 && p <= 1))
    throw runtimeError(`dropout probability has to be between 0 and 1, but got ${cppDouble(p)}`);
  if (p === 0 || !train || input.numel() === 0) return input;
  if (p === 1) {
    const zero = alloc([], input.dtype);
    return inp ? input.mul_(zero) : input.mul(zero);
  }
  let shape = input.shape.slice();
  if (feature) {
    if (input.dim() < 2)
      throw runtimeError("Feature dropout requires at least 2 dimensions in the input");
    shape = input.shape.map((s, i) => (i < 2 ? s : 1));
  }
  if (!input.dtype.isFloatingPoint)
    throw runtimeError(
      `"bernoulli_scalar_cpu_" not implemented for '${scalarTypeName(input.dtype)}'`,
    );
  const raw = alloc(shape, input.dtype);
  fillBernoulli(raw.typedArray as Float32Array | Float64Array, 1 - p, defaultGenerator);
  if (!alpha) {
    const noise = noGrad(() => raw.div(1 - p));
    return inp ? input.mul_(noise) : input.mul(noise);
  }
  const a = 1 / Math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p));
  const [noise, b] = noGrad(() => [
    raw.mul(a),
    raw
      .sub(1)
      .mul(ALPHA * a)
      .add(ALPHA * a * p),
  ]);
  return inp ? input.mul_(noise).add_(b) : input.mul(noise).add_(b);
}

const KINDS = [
  ["dropout", false, false],
  ["feature_dropout", true, false],
  ["alpha_dropout", false, true],
  ["feature_alpha_dropout", true, true],
] as const;

for (const [name, feature, alpha] of KINDS) {
  const what = `${feature ? "whole channels (dim 1) " : "elements "}with probability p${alpha ? ", keeping the mean and variance of a SELU network (dropped units at -alpha * scale, then an affine correction)" : " and scale the rest by 1/(1-p)"}`;
  defineOp({
    name,
    variants: ["function"],
    doc: `${name}(input, p, train): drop ${what}, when training.`,
    example: `torch.${name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())}(torch.ones(2, 3), 0.5, false) // tensor([[1., 1., 1.], [1., 1., 1.]])`,
    overloads: [
      {
        schema: `${name}(Tensor input, float p, bool train) -> Tensor`,
        forward: (input: Tensor, p: number, train: boolean) =>
          dropoutImpl(input, p, train, feature, alpha, false),
      },
    ],
  });
  defineOp({
    name: `${name}_`,
    variants: ["function"],
    doc: `In place: ${name}(self, p, train) written into self.`,
    example: `torch.${name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())}_(torch.ones(2, 3), 0.5, true).shape // [2, 3]`,
    overloads: [
      {
        schema: `${name}_(Tensor(a!) self, float p, bool train) -> Tensor(a!)`,
        forward: (self: Tensor, p: number, train: boolean) =>
          dropoutImpl(self, p, train, feature, alpha, true),
      },
    ],
  });
}

/** Python's check of F.dropout*'s p (ValueError, p printed as Python prints it). */
function checkP(p: number): void {
  if (p < 0 || p > 1) {
    const shown = Number.isInteger(p) ? String(p) : formatPyFloat(p);
    throw valueError(`dropout probability has to be between 0 and 1, but got ${shown}`);
  }
}

/**
 * F.dropout1d / dropout3d: an unbatched input (dim 2 / 4) gets a batch dim of 1 for the feature
 * dropout (written through to the input when in place).
 */
function featureDropoutUnbatched(
  input: Tensor,
  p: number,
  training: boolean,
  inp: boolean,
  batched: boolean,
): Tensor {
  if (batched) return dropoutImpl(input, p, training, true, false, inp);
  if (inp) {
    dropoutImpl(input.unsqueeze(0), p, training, true, false, true);
    return input;
  }
  const r = dropoutImpl(input.unsqueeze(0), p, training, true, false, false);
  return r.squeeze(0);
}

const DIMS = {
  dropout1d: "1 spatial dimension",
  dropout2d: "2 spatial dimensions",
  dropout3d: "3 spatial dimensions",
};

defineOp({
  name: "dropout1d",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "dropout1d(x, p): zero whole channels of a [N, C, L] (or [C, L]) input with probability p, scaling the rest by 1/(1-p) (training).",
  example: "F.dropout1d(torch.ones(2, 3, 4), 0.5, false).shape // [2, 3, 4]",
  overloads: [
    {
      schema:
        "dropout1d(Tensor input, float p=0.5, bool training=True, bool inplace=False) -> Tensor",
      forward: (input: Tensor, p: number, training: boolean, inp: boolean) => {
        checkP(p);
        const d = input.dim();
        if (d !== 2 && d !== 3)
          throw runtimeError(
            `dropout1d: Expected 2D or 3D input, but received a ${d}D input. Note that dropout1d exists to provide channel-wise dropout on inputs with ${DIMS.dropout1d}, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).`,
          );
        return featureDropoutUnbatched(input, p, training, inp, d === 3);
      },
    },
  ],
});

defineOp({
  name: "dropout2d",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "dropout2d(x, p): zero whole channels (dim 1) with probability p, scaling the rest by 1/(1-p) (training).",
  example: "F.dropout2d(torch.ones(2, 3, 4, 4), 0.5, false).shape // [2, 3, 4, 4]",
  overloads: [
    {
      schema:
        "dropout2d(Tensor input, float p=0.5, bool training=True, bool inplace=False) -> Tensor",
      forward: (input: Tensor, p: number, training: boolean, inp: boolean) => {
        checkP(p);
        const d = input.dim();
        if (d !== 3 && d !== 4)
          warn(
            `dropout2d: Received a ${d}-D input to dropout2d, which is deprecated and will result in an error in a future release. To retain the behavior and silence this warning, please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with ${DIMS.dropout2d}, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).`,
          );
        if (d === 3)
          warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will change in a future release to interpret the input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
          );
        return dropoutImpl(input, p, training, true, false, inp);
      },
    },
  ],
});

defineOp({
  name: "dropout3d",
  namespace: "nn.functional",
  python: true,
  variants: ["function"],
  doc: "dropout3d(x, p): zero whole channels of a [N, C, D, H, W] (or [C, D, H, W]) input with probability p, scaling the rest by 1/(1-p) (training).",
  example: "F.dropout3d(torch.ones(1, 2, 2, 2, 2), 0.5, false).shape // [1, 2, 2, 2, 2]",
  overloads: [
    {
      schema:
        "dropout3d(Tensor input, float p=0.5, bool training=True, bool inplace=False) -> Tensor",
      forward: (input: Tensor, p: number, training: boolean, inp: boolean) => {
        checkP(p);
        const d = input.dim();
        if (d !== 4 && d !== 5)
          warn(
            `dropout3d: Received a ${d}-D input to dropout3d, which is deprecated and will result in an error in a future release. To retain the behavior and silence this warning, please use dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs with ${DIMS.dropout3d}, a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).`,
          );
        return featureDropoutUnbatched(input, p, training, inp, d === 5);
      },
    },
  ],
});

for (const [name, feature] of [
  ["alpha_dropout", false],
  ["feature_alpha_dropout", true],
] as const) {
  defineOp({
    name,
    namespace: "nn.functional",
    python: true,
    variants: ["function"],
    doc: `${name}(x, p, training): SELU-preserving dropout of ${feature ? "whole channels" : "elements"} (the identity unless training).`,
    example: `F.${name === "alpha_dropout" ? "alphaDropout" : "featureAlphaDropout"}(torch.ones(2, 2), 0.5) // tensor([[1., 1.], [1., 1.]])`,
    overloads: [
      {
        schema: `${name}(Tensor input, float p=0.5, bool training=False, bool inplace=False) -> Tensor`,
        forward: (input: Tensor, p: number, training: boolean, inp: boolean) => {
          checkP(p);
          return dropoutImpl(input, p, training, feature, true, inp);
        },
      },
    ],
  });
}
