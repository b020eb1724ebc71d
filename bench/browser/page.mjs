// The page side of bench/browser.mjs: bench/libs/*.mjs bundled for the browser, and one call to
// time a workload: `globalThis.benchRun(library, variant, workload, options)`.
import * as tensorgrad from "../libs/tensorgrad.mjs";
import * as tfjs from "../libs/tfjs.mjs";
import * as jaxjs from "../libs/jax-js.mjs";
import { measure } from "../lib/harness.mjs";
import { detectBackends, useBackend } from "../../site/backends.ts";

const LIBS = { tensorgrad, tfjs, "jax-js": jaxjs };
const loaded = new Map();

/** tensorgrad's kernels: `variant` is typescript, wasm or webgpu (Note [site backends]). */
async function tensorgradVariant(variant) {
  const choice = (await detectBackends()).find((b) => b.id === variant);
  if (!choice?.available) return { status: "not available", reason: choice?.detail ?? variant };
  // WebGPU: the workloads place their tensors on the device (Note [browser bench devices] in
  // bench/libs/tensorgrad.mjs)
  useBackend(variant);
  return null;
}

globalThis.benchRun = async (lib, variant, workload, { repeats, minRepMs, warmupMs, steadyMs }) => {
  try {
    const key = `${lib}/${variant}`;
    if (!loaded.has(key)) {
      if (lib === "tensorgrad") {
        const absent = await tensorgradVariant(variant);
        if (absent) return { ok: false, ...absent };
      }
      loaded.set(key, await LIBS[lib].load(variant));
    }
    const impl = loaded.get(key);
    let info = impl.info;
    if (lib === "tensorgrad")
      info = variant === "webgpu" ? `${impl.info} in Chromium` : `${variant} kernels in Chromium`;
    const make = impl.workloads[workload];
    if (typeof make !== "function")
      return {
        ok: false,
        status: "unsupported",
        reason: impl.unsupported?.[workload] ?? "not implemented",
      };
    const step = await make();
    const big = workload === "matmul1024";
    const r = await measure(step, {
      repeats,
      minRepMs,
      warmupMs: big ? 0 : warmupMs,
      steadyMs: big ? 0 : steadyMs,
    });
    return { ok: true, ...r, info };
  } catch (e) {
    return { ok: false, status: "error", reason: String(e?.message ?? e).split("\n")[0] };
  }
};
globalThis.benchReady = true;
