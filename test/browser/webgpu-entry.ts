/**
 * The page side of test/webgpu-browser.test.ts: the WebGPU device cases
 * (test/helpers/webgpu-cases.ts) run in Chromium on `navigator.gpu`.
 */
import * as torch from "../../src/index.js";
import { runCases, runGradCases, runMlp } from "../helpers/webgpu-cases.js";

/** What the page exposes to the test. */
export interface WebgpuPageApi {
  init(): Promise<{ ok: boolean; info: string }>;
  runCases: typeof runCases;
  runGradCases: typeof runGradCases;
  runMlp: typeof runMlp;
}

const api: WebgpuPageApi = {
  async init() {
    const ok = await torch.webgpu.init();
    return { ok, info: torch.webgpu.adapterInfo() };
  },
  runCases,
  runGradCases,
  runMlp,
};
(globalThis as unknown as { tensorgradWebgpu: WebgpuPageApi }).tensorgradWebgpu = api;
