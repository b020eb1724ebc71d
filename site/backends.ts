/**
 * The site's backend selector: which kernels a page can run on, and switching between them.
 *
 * Note [site backends]: the TypeScript kernels always run. A WebAssembly backend is available
 * when the library exposes `torch.backends.wasm` (an object whose `active` says whether its
 * kernels run, and `setEnabled(on)` or `enabled` to switch them on and off); WebGPU when the
 * browser has `navigator.gpu` and `torch.webgpu.init()` finds an adapter (the MNIST page then
 * moves the model and each batch to "webgpu" and reads the loss back asynchronously).
 * Anything else is reported as "not available" with the reason, never an error, so the pages run on what the library has today and pick up a backend once it ships.
 */
import * as torch from "tensorgrad";

export type BackendId = "typescript" | "wasm" | "webgpu";

/** One entry of the selector. */
export interface BackendChoice {
  id: BackendId;
  label: string;
  available: boolean;
  /** whether its kernels run now (the library's default: the selector starts there) */
  active: boolean;
  /** why it is not available, or what runs */
  detail: string;
}

/** The WebAssembly backend's switch, as `torch.backends.wasm` may expose it (Note [site backends]). */
interface WasmSwitch {
  active?: boolean;
  enabled?: boolean;
  reason?: string;
  setEnabled?: (on: boolean) => void;
}

function wasmSwitch(): WasmSwitch | null {
  const w = (torch.backends as Record<string, unknown>).wasm;
  return typeof w === "object" && w !== null ? (w as WasmSwitch) : null;
}

/** Switch the WebAssembly kernels on or off; false when the library cannot switch them. */
function setWasm(on: boolean): boolean {
  const w = wasmSwitch();
  if (w === null) return !on;
  if (typeof w.setEnabled === "function") {
    w.setEnabled(on);
    return true;
  }
  if ("enabled" in w) {
    w.enabled = on;
    return true;
  }
  // no switch: only the state it is in
  return (w.active === true) === on;
}

/** The library's WebGPU device functions (torch.webgpu), when this build has them. */
interface WebgpuApi {
  init(): Promise<boolean>;
  isAvailable(): boolean;
  adapterInfo(): string;
}
function webgpuApi(): WebgpuApi | null {
  // read by name: this build may not export it (Note [site backends])
  const w = Reflect.get(torch, "webgpu") as WebgpuApi | undefined;
  return typeof w === "object" && w !== null && typeof w.init === "function" ? w : null;
}

/**
 * Requests the WebGPU device (`torch.webgpu.init()`, which asks `navigator.gpu` for an
 * adapter); null when tensors can go to "webgpu", else the reason they cannot.
 */
async function webgpuProbe(): Promise<string | null> {
  const gpu = (globalThis.navigator as { gpu?: unknown } | undefined)?.gpu;
  if (gpu === undefined) return "this browser has no WebGPU (navigator.gpu)";
  const w = webgpuApi();
  if (w === null) return "this build of tensorgrad has no WebGPU device";
  try {
    return (await w.init()) ? null : "WebGPU finds no adapter";
  } catch (e) {
    return `torch.webgpu.init(): ${(e as Error).message}`;
  }
}

/** What the page can run on. */
export async function detectBackends(): Promise<BackendChoice[]> {
  const w = wasmSwitch();
  const gpu = await webgpuProbe();
  return [
    {
      id: "typescript",
      label: "TypeScript",
      available: true,
      active: w?.active !== true,
      detail: "the TypeScript kernels",
    },
    {
      id: "wasm",
      label: "WebAssembly",
      available:
        w !== null && (typeof w.setEnabled === "function" || "enabled" in w || w.active === true),
      active: w?.active === true,
      detail:
        w === null
          ? "this build of tensorgrad has no WebAssembly backend (torch.backends.wasm)"
          : (w.reason ?? "the WebAssembly kernels"),
    },
    {
      id: "webgpu",
      label: "WebGPU",
      available: gpu === null,
      active: false,
      detail:
        gpu ??
        `tensors on the WebGPU device (${webgpuApi()?.adapterInfo() || "adapter without a description"})`,
    },
  ];
}

/**
 * Use `id`'s kernels from now on; returns the device new tensors and modules go to (`"cpu"`
 * unless WebGPU). Throws when the backend is not available.
 */
export function useBackend(id: BackendId): string {
  if (id === "typescript") {
    setWasm(false);
    return "cpu";
  }
  if (id === "wasm") {
    if (!setWasm(true)) throw new Error("the WebAssembly backend is not available");
    return "cpu";
  }
  if (webgpuApi()?.isAvailable() !== true)
    throw new Error("the WebGPU device is not available (no adapter was found)");
  setWasm(false);
  return "webgpu";
}

/** A scalar tensor's value, read back from the device first when it lives on one. */
export async function readScalar(t: torch.Tensor): Promise<number> {
  const cpu = (t as unknown as { cpu?: () => unknown }).cpu;
  let host: unknown = t;
  if (typeof cpu === "function") {
    host = cpu.call(t);
    if (host instanceof Promise) host = await host;
  }
  const v: unknown = (host as torch.Tensor).item();
  return Number(v instanceof Promise ? await v : v);
}

/** Move a module or tensor to `device` (nothing to do on the CPU). */
export function toDevice<T>(x: T, device: string): T {
  if (device === "cpu") return x;
  const to = (x as unknown as { to(d: string): T }).to;
  return to.call(x, device);
}
