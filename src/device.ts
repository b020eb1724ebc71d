/**
 * torch.device: where a tensor's storage lives. tensorgrad has two devices: "cpu" (typed
 * arrays, the TypeScript and native kernels) and "webgpu" (GPUBuffers and WGSL kernels; Note
 * [webgpu storage] in backend/webgpu.ts), with one WebGPU device, index 0.
 */

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
