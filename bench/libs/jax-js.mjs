// jax-js (@jax-js/jax) on its default wasm device; functions are jit-compiled grads.
// jax-js owns arrays by reference count: every use (dataSync too) consumes a reference, hence
// the `.ref`s.
import { SHAPES, randomF32, randomLabels } from "../lib/harness.mjs";
import { importPeer } from "./peers.mjs";

export async function load() {
  const jax = await importPeer("@jax-js/jax");
  const { numpy: np, nn, grad, jit, valueAndGrad } = jax;
  const devices = await jax.init("wasm");
  const arr = (data, shape) => np.array(data).reshape(shape);
  const sync = (tree) => {
    for (const a of Array.isArray(tree) ? tree : Object.values(tree)) {
      a.dataSync();
    }
  };
  // y ~ integer labels; loss = mean softmax cross-entropy
  const crossEntropy = (logits, y) => nn.logSoftmax(logits, -1).mul(y).sum(-1).mean().neg();

  function train(params, forward, x, y) {
    const step = jit((p, x, y) => valueAndGrad((p) => crossEntropy(forward(p, x), y))(p));
    let p = params;
    return () => {
      const [loss, g] = step(
        Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.ref])),
        x.ref,
        y.ref,
      );
      const next = {};
      for (const k of Object.keys(p)) next[k] = p[k].sub(g[k].mul(0.01));
      p = next;
      loss.dataSync();
      for (const v of Object.values(p)) v.ref.dataSync();
    };
  }
  const oneHot = (n, k) =>
    nn.oneHot(np.array(Array.from(randomLabels(n, k)), { dtype: np.int32 }), k);

  function matmul(n) {
    const a = arr(randomF32(n * n, 1, 1), [n, n]);
    const b = arr(randomF32(n * n, 1, 2), [n, n]);
    const g = jit(grad((ab) => np.matmul(ab.a, ab.b).sum()));
    return () => sync(g({ a: a.ref, b: b.ref }));
  }

  return {
    info: `jax-js on ${devices.includes("wasm") ? "wasm" : devices.join("/")}, jit`,
    workloads: {
      tiny: () => {
        const x = np.array([1, 2, 3, 4]);
        const g = jit(grad((x) => np.square(x.mul(2).add(1)).mean()));
        return () => sync([g(x.ref)]);
      },
      poly: () => {
        const x = np.array(1);
        const f = (x) => {
          const x2 = x.ref.mul(x.ref);
          const x3 = x2.ref.mul(x.ref);
          const x4 = x3.ref.mul(x.ref);
          return x4.add(x3.mul(3)).add(x2.mul(3)).add(x.mul(5)).add(1);
        };
        const g = jit(grad(f));
        return () => sync([g(x.ref)]);
      },
      mlp: () => {
        const { batch, inp, hidden, out } = SHAPES.mlp;
        const params = {
          w1: arr(randomF32(inp * hidden, 1 / Math.sqrt(inp), 3), [inp, hidden]),
          b1: np.zeros([hidden]),
          w2: arr(randomF32(hidden * out, 1 / Math.sqrt(hidden), 4), [hidden, out]),
          b2: np.zeros([out]),
        };
        const fwd = (p, x) => np.matmul(nn.relu(np.matmul(x, p.w1).add(p.b1)), p.w2).add(p.b2);
        return train(params, fwd, arr(randomF32(batch * inp), [batch, inp]), oneHot(batch, out));
      },
      matmul256: () => matmul(256),
      matmul512: () => matmul(512),
      matmul1024: () => matmul(1024),
      cnn: () => {
        const { batch, channels, side, out } = SHAPES.cnn;
        const half = (side - 2) >> 1;
        const params = {
          k: arr(randomF32(9 * channels, 1 / 3, 4), [channels, 1, 3, 3]),
          kb: np.zeros([1, channels, 1, 1]),
          w: arr(randomF32(channels * half * half * out, 0.02, 5), [channels * half * half, out]),
          b: np.zeros([out]),
        };
        // NCHW conv (lax.conv), ReLU, 2×2 max-pool as a max over a reshaped window, linear
        const fwd = (p, x) => {
          const h = nn.relu(jax.lax.conv(x, p.k, [1, 1], "VALID").add(p.kb));
          const pooled = np.max(h.reshape([batch, channels, half, 2, half, 2]), [3, 5]);
          return np.matmul(pooled.reshape([batch, channels * half * half]), p.w).add(p.b);
        };
        const x = arr(randomF32(batch * side * side), [batch, 1, side, side]);
        return train(params, fwd, x, oneHot(batch, out));
      },
      elementwise: () => {
        const { n } = SHAPES.elementwise;
        const x = arr(randomF32(n, 1, 1), [n]);
        const w = arr(randomF32(n, 1, 2), [n]);
        const b = arr(randomF32(n, 1, 3), [n]);
        const g = jit(grad((wb, x) => np.square(np.tanh(x.mul(wb.w).add(wb.b))).mean()));
        return () => sync(g({ w: w.ref, b: b.ref }, x.ref));
      },
    },
  };
}
