/**
 * torch.device: where a tensor's storage lives. tensorgrad has two devices: "cpu" (typed
 * arrays, the TypeScript and native kernels) and "webgpu" (GPUBuffers and WGSL kernels; Note
 * [webgpu storage] in backend/webgpu.ts), with one WebGPU device, index 0.
 */

import { assertionError, runtimeError } from "./errors.js";

/** The device types tensorgrad knows. */
export type DeviceType = "cpu" | "webgpu";

/**
 * PyTorch's torch.device: a type and an optional index. Printed as PyTorch prints it.
 * @example torch.device("webgpu").type // "webgpu"
 */
export class Device {
  constructor(
    /** "cpu" or "webgpu" (PyTorch's `device.type`) */
    readonly type: DeviceType,
    /** the device's index, null when not given (PyTorch's `device.index`) */
    readonly index: number | null = null,
  ) {}
  /** `cpu`, `webgpu:0` (what str(device) gives). */
  toString(): string {
    return this.index === null ? this.type : `${this.type}:${this.index}`;
  }
}

export const cpuDevice = new Device("cpu");
export const webgpuDevice = new Device("webgpu", 0);

/**
 * A device from PyTorch's spellings: "cpu", "webgpu", "webgpu:0", a Device; null when `v`
 * names no device tensorgrad has.
 */
export function parseDevice(v: unknown): Device | null {
  if (v instanceof Device) return v.type === "cpu" ? cpuDevice : webgpuDevice;
  if (typeof v !== "string") return null;
  if (v === "cpu" || v === "cpu:0") return cpuDevice;
  if (v === "webgpu" || v === "webgpu:0") return webgpuDevice;
  return null;
}

/**
 * torch.device(spec): "cpu", "webgpu", "webgpu:0" (or type and index).
 * @example String(torch.device("webgpu", 0)) // "webgpu:0"
 */
export function device(type: string | Device, index?: number): Device {
  if (type instanceof Device) return type;
  const spec = index === undefined ? type : `${type}:${index}`;
  const d = parseDevice(spec);
  if (d === null) {
    const kind = spec.split(":")[0];
    if (["cuda", "mps", "meta", "xpu", "hip", "xla"].includes(kind))
      return new Device(kind as DeviceType, spec.includes(":") ? Number(spec.split(":")[1]) : null);
    throw new Error(
      `Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, ort, xla, lazy, vulkan, mps, meta, hpu, privateuseone device type at start of device string: ${spec}`,
    );
  }
  return spec === "webgpu" ? new Device("webgpu") : d;
}

/** PyTorch's device types tensorgrad has no backend for (besides cpu and webgpu). */
const FOREIGN = /^(cuda|mps|meta|xpu|hip|xla)(:\d+)?$/;

/** Whether `v` names a PyTorch device tensorgrad does not have ("cuda", "mps:0", ...). */
export function isForeignDevice(v: unknown): boolean {
  if (v instanceof Device) return v.type !== "cpu" && v.type !== "webgpu";
  return typeof v === "string" && FOREIGN.test(v);
}

/**
 * Refuse a device tensorgrad has no backend for, in the words of a PyTorch built without it:
 * CUDA's "Torch not compiled with CUDA enabled" (what CPU-only PyTorch raises for `.cuda()`,
 * `.to("cuda")` and `device="cuda"`), PyTorch's `.to()` message for mps, xpu, hip and xla.
 */
export function checkDeviceAvailable(v: unknown): void {
  if (!isForeignDevice(v)) return;
  const type = String(v).split(":")[0];
  if (type === "cuda") throw assertionError("Torch not compiled with CUDA enabled");
  if (type === "meta") throw runtimeError("tensorgrad has no meta device (cpu and webgpu only)");
  throw runtimeError(`PyTorch is not linked with support for ${type} devices`);
}
