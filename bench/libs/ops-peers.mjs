// The JavaScript peers' versions of bench/ops.mjs's linalg and FFT rows (issue 14: "every
// figure ahead of every JavaScript peer that has the op"). Each library maps a case id to a
// maker: `make()` draws the case's data (the same shapes and kinds as bench/ops.mjs's draw: an
// SPD matrix for solve/cholesky, a symmetric one for eigh) and returns the call to time, which
// must finish its work (read the result back) before it returns. A case a library lacks is
// absent from its table. Loaded only by `node bench/ops.mjs` from bench/peers/node_modules.
import { importPeer, requirePeer } from "./peers.mjs";

/** n×n uniform [-1, 1) floats from a small linear congruential generator (timing data only) */
function uniform(count, seed) {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** M Mᵀ / n + I: symmetric positive definite, as ops.mjs's `spd` draw */
function spd(n) {
  const m = uniform(n * n, 7);
  const a = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += m[i * n + k] * m[j * n + k];
      a[i * n + j] = a[j * n + i] = s / n + (i === j ? 1 : 0);
    }
  return a;
}

/** (M + Mᵀ) / 2 */
function symmetric(n) {
  const m = uniform(n * n, 11);
  const a = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) a[i * n + j] = (m[i * n + j] + m[j * n + i]) / 2;
  return a;
}

/** The cases some peer has (bench/ops.mjs shows the peers' columns only for these). */
export const PEER_CASES = new Set([
  "linalgSolve",
  "linalgCholesky",
  "linalgSvd",
  "linalgEigh",
  "fftRfft2e20",
  "fftRfftPrime",
  "fftFft2",
]);

export const OPS_PEERS = {
  "jax-js": async () => {
    const jax = await importPeer("@jax-js/jax");
    await jax.init("wasm");
    const np = jax.numpy;
    const arr = (data, shape) => np.array(data).reshape(shape);
    // jax-js counts references: every use consumes one (hence `.ref`); dataSync waits
    const done = (out) => {
      for (const a of Array.isArray(out) ? out : "real" in out ? [out.real, out.imag] : [out])
        a.dataSync();
    };
    return {
      info: "jax-js (wasm)",
      cases: {
        linalgSolve: () => {
          const a = arr(spd(512), [512, 512]);
          const b = arr(uniform(512, 3), [512, 1]);
          return () => done(np.linalg.solve(a.ref, b.ref));
        },
        linalgCholesky: () => {
          const a = arr(spd(512), [512, 512]);
          return () => done(np.linalg.cholesky(a.ref));
        },
        linalgSvd: () => {
          const a = arr(uniform(256 * 256, 5), [256, 256]);
          return () => done(np.linalg.svd(a.ref));
        },
        linalgEigh: () => {
          const a = arr(symmetric(256), [256, 256]);
          return () => done(np.linalg.eigh(a.ref));
        },
        fftRfft2e20: () => {
          const x = arr(uniform(2 ** 20, 13), [2 ** 20]);
          return () => done(np.fft.rfft(x.ref));
        },
        fftRfftPrime: () => {
          const x = arr(uniform(1_000_003, 17), [1_000_003]);
          return () => done(np.fft.rfft(x.ref));
        },
        fftFft2: () => {
          const re = arr(uniform(512 * 512, 19), [512, 512]);
          const im = np.zeros([512, 512]);
          return () => done(np.fft.fft2({ real: re.ref, imag: im.ref }));
        },
      },
    };
  },
  "TF.js cpu": async () => {
    const tf = requirePeer("@tensorflow/tfjs");
    requirePeer("@tensorflow/tfjs-backend-cpu");
    if (!(await tf.setBackend("cpu"))) throw new Error("TF.js cpu backend failed to start");
    await tf.ready();
    // TF.js has tf.spectral.rfft (innermost dimension) and no solve, cholesky, svd, eigh or 2-D FFT
    const rfft = (n, seed) => () => {
      const x = tf.tensor1d(uniform(n, seed));
      return () => tf.tidy(() => tf.spectral.rfft(x).dataSync());
    };
    return {
      info: "TF.js (cpu)",
      cases: { fftRfft2e20: rfft(2 ** 20, 13), fftRfftPrime: rfft(1_000_003, 17) },
    };
  },
};
