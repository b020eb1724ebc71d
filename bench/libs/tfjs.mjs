// TF.js (@tensorflow/tfjs-core) on its cpu or wasm backend: `--variant=cpu|wasm`. Loaded through
// the @tensorflow/tfjs bundle: tfjs-core's own Node bundle registers neither gradients nor chained ops.
import { SHAPES, randomF32, randomLabels } from "../lib/harness.mjs";
import { requirePeer } from "./peers.mjs";

export async function load(variant = "cpu") {
  const tf = requirePeer("@tensorflow/tfjs");
  if (variant === "wasm") {
    const wasm = requirePeer("@tensorflow/tfjs-backend-wasm");
    wasm.setThreadsCount?.(1);
  } else requirePeer("@tensorflow/tfjs-backend-cpu");
  if (!(await tf.setBackend(variant))) throw new Error(`backend ${variant} failed to start`);
  await tf.ready();

  const f32 = (data, shape) => tf.tensor(data, shape, "float32");
  const oneHot = (n, k) => tf.oneHot(tf.tensor1d(randomLabels(n, k), "int32"), k);

  // one training step: grads of the mean softmax cross-entropy, then plain SGD
  function train(vars, forward, x, y) {
    const opt = tf.train.sgd(0.01);
    return () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(y, forward(x)),
          vars,
        );
        opt.applyGradients(grads);
        value.dataSync();
      });
  }
  const dense = (i, o, name) => ({
    w: tf.variable(f32(randomF32(i * o, 1 / Math.sqrt(i), 3), [i, o]), true, name + "w"),
    b: tf.variable(tf.zeros([o]), true, name + "b"),
  });
  function matmul(n) {
    const a = f32(randomF32(n * n, 1, 1), [n, n]);
    const b = f32(randomF32(n * n, 1, 2), [n, n]);
    const g = tf.grads((x, y) => tf.matMul(x, y));
    return () =>
      tf.tidy(() => {
        const [da, db] = g([a, b]);
        da.dataSync();
        db.dataSync();
      });
  }
  const scalarGrad = (f, x) => {
    const g = tf.grad(f);
    return () => tf.tidy(() => g(x).dataSync());
  };

  return {
    info: `tfjs-core ${tf.version_core}, ${variant} backend`,
    workloads: {
      tiny: () => scalarGrad((x) => x.mul(2).add(1).square().mean(), f32([1, 2, 3, 4], [4])),
      poly: () =>
        scalarGrad(
          (x) => x.pow(4).add(x.pow(3).mul(3)).add(x.square().mul(3)).add(x.mul(5)).add(1),
          tf.scalar(1),
        ),
      mlp: () => {
        const { batch, inp, hidden, out } = SHAPES.mlp;
        const l1 = dense(inp, hidden, "l1");
        const l2 = dense(hidden, out, "l2");
        const fwd = (x) => tf.relu(x.matMul(l1.w).add(l1.b)).matMul(l2.w).add(l2.b);
        const vars = [l1.w, l1.b, l2.w, l2.b];
        return train(vars, fwd, f32(randomF32(batch * inp), [batch, inp]), oneHot(batch, out));
      },
      matmul256: () => matmul(256),
      matmul512: () => matmul(512),
      matmul1024: () => matmul(1024),
      elementwise: () => {
        const { n } = SHAPES.elementwise;
        const x = f32(randomF32(n, 1, 1), [n]);
        const w = f32(randomF32(n, 1, 2), [n]);
        const b = f32(randomF32(n, 1, 3), [n]);
        const g = tf.grads((w, b) => tf.tanh(x.mul(w).add(b)).square().mean());
        return () =>
          tf.tidy(() => {
            const [dw, db] = g([w, b]);
            dw.dataSync();
            db.dataSync();
          });
      },
      cnn: () => {
        const { batch, channels, side, out } = SHAPES.cnn;
        const half = (side - 2) >> 1;
        // NHWC, TF.js's layout; the same arithmetic as PyTorch's NCHW
        const k = tf.variable(f32(randomF32(9 * channels, 1 / 3, 4), [3, 3, 1, channels]));
        const kb = tf.variable(tf.zeros([channels]));
        const fc = dense(channels * half * half, out, "fc");
        const fwd = (x) => {
          const h = tf.maxPool(tf.relu(tf.conv2d(x, k, 1, "valid").add(kb)), 2, 2, "valid");
          return h.reshape([batch, -1]).matMul(fc.w).add(fc.b);
        };
        const x = f32(randomF32(batch * side * side), [batch, side, side, 1]);
        return train([k, kb, fc.w, fc.b], fwd, x, oneHot(batch, out));
      },
    },
  };
}
