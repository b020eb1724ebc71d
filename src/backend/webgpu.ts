/**
 * The WebGPU backend: device-resident storage (a GPUBuffer of f32) and the WGSL kernels of the
 * device's primitives. Like every backend file it never sees a Tensor: kernels take layouts
 * (shape, strides, offset) and storages. The ops layer (src/ops/webgpu.ts) dispatches to it.
 *
 * Note [webgpu storage]: a tensor on the WebGPU device keeps its usual shape, strides, offset
 * and dtype; its `typedArray` is a `DeviceArray`, a zero-length Float32Array that carries the
 * device storage. Views copy `typedArray`, so a view of a device tensor is a device tensor with
 * no further bookkeeping, and "is this tensor on the device" is one `instanceof` test. Every
 * dtype is held as f32 on the device (integers exactly up to 2^24, bools as 0/1): WGSL has no
 * 64-bit types and one element type keeps one kernel per op. Reads are asynchronous
 * (`mapAsync`), so nothing reads device values synchronously; `download` is the only way back.
 */

/** The WebGPU API surface this backend uses (the platform's types are not in TypeScript's DOM lib). */
export interface GpuLike {
  /** GPU.requestAdapter: resolves to null where there is no adapter */
  requestAdapter(opts?: unknown): Promise<GpuAdapterLike | null>;
}
/** A WebGPU adapter (GPUAdapter), as far as this backend uses it. */
export interface GpuAdapterLike {
  /** GPUAdapter.requestDevice (a GPUDevice) */
  requestDevice(desc?: unknown): Promise<unknown>;
  /** GPUAdapter.info: who made the adapter */
  info?: GpuAdapterInfoLike;
}
/** GPUAdapterInfo, as far as this backend reads it. */
export interface GpuAdapterInfoLike {
  /** the adapter's vendor ("google") */
  vendor?: string;
  /** its architecture ("swiftshader") */
  architecture?: string;
  /** a description, often empty */
  description?: string;
}
interface GpuBufferLike {
  size: number;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}
interface GpuPassLike {
  setPipeline(p: unknown): void;
  setBindGroup(i: number, g: unknown): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}
interface GpuEncoderLike {
  beginComputePass(): GpuPassLike;
  copyBufferToBuffer(a: GpuBufferLike, ao: number, b: GpuBufferLike, bo: number, n: number): void;
  finish(): unknown;
}
/** A WebGPU device (GPUDevice), as far as this backend uses it. */
export interface GpuDeviceLike {
  createBuffer(desc: { size: number; usage: number; mappedAtCreation?: boolean }): GpuBufferLike;
  createShaderModule(desc: { code: string }): unknown;
  createComputePipeline(desc: unknown): { getBindGroupLayout(i: number): unknown };
  createBindGroup(desc: unknown): unknown;
  createCommandEncoder(): GpuEncoderLike;
  queue: {
    writeBuffer(b: GpuBufferLike, offset: number, data: ArrayBufferView): void;
    submit(cmds: unknown[]): void;
    onSubmittedWorkDone(): Promise<void>;
  };
  lost?: Promise<unknown>;
}

// GPUBufferUsage / GPUMapMode flags (fixed by the WebGPU specification)
const MAP_READ = 0x0001;
const COPY_SRC = 0x0004;
const COPY_DST = 0x0008;
const STORAGE = 0x0080;

/** One device allocation: `numel` f32 elements (Note [webgpu storage]). */
export class GpuStorage {
  constructor(
    readonly buffer: GpuBufferLike,
    readonly numel: number,
  ) {}
}

/** Note [webgpu storage]: the storage marker a device tensor holds as its `typedArray`. */
export class DeviceArray extends Float32Array {
  constructor(readonly storage: GpuStorage) {
    super(0);
  }
}

let gpuDevice: GpuDeviceLike | null = null;
const keepAlive: unknown[] = [];
let adapterText = "";

/** The device, or PyTorch-style error when `torch.webgpu.init()` has not found one. */
export function device(): GpuDeviceLike {
  if (gpuDevice === null)
    throw new Error(
      "tensorgrad: the webgpu device is not initialized: `await torch.webgpu.init()` first (WebGPU adapters are requested asynchronously)",
    );
  return gpuDevice;
}

/** Whether a device was initialized. */
export function isInitialized(): boolean {
  return gpuDevice !== null;
}

/** A description of the adapter in use ("" before init). */
export function adapterInfo(): string {
  return adapterText;
}

/**
 * Requests an adapter and a device from `gpu` (a browser's `navigator.gpu`, or in Node the
 * `webgpu` package's `create([])`); resolves false when there is no adapter.
 */
export async function initDevice(gpu: GpuLike | undefined): Promise<boolean> {
  if (gpuDevice !== null) return true;
  if (gpu === undefined) return false;
  const adapter = await gpu.requestAdapter();
  if (adapter === null) return false;
  gpuDevice = (await adapter.requestDevice()) as GpuDeviceLike;
  // the GPU object, the adapter and the device stay reachable for the process's life: Dawn's
  // Node binding tears the device down when its instance is collected
  keepAlive.push(gpu, adapter, gpuDevice);
  const info = adapter.info;
  adapterText = info
    ? [info.vendor, info.architecture, info.description].filter(Boolean).join(" ")
    : "";
  return true;
}

/** A new zero-filled storage of n f32 elements (WebGPU zero-initializes buffers). */
export function allocStorage(n: number): GpuStorage {
  const buffer = device().createBuffer({
    size: Math.max(4, n * 4),
    usage: STORAGE | COPY_SRC | COPY_DST,
  });
  const s = new GpuStorage(buffer, n);
  freed.register(s, buffer);
  return s;
}
/** Device memory follows the garbage collector: a collected storage's buffer is destroyed. */
const freed = new FinalizationRegistry<GpuBufferLike>((b) => b.destroy());

/** A storage holding `values` (converted to f32). */
export function upload(values: ArrayLike<number>): GpuStorage {
  const s = allocStorage(values.length);
  const f = values instanceof Float32Array ? values : Float32Array.from(values);
  if (f.length > 0) device().queue.writeBuffer(s.buffer, 0, f);
  return s;
}

/** The first `n` elements of a storage, read back after all queued work (asynchronous). */
export async function download(s: GpuStorage, n: number): Promise<Float32Array> {
  const dev = device();
  if (n === 0) return new Float32Array(0);
  const staging = dev.createBuffer({ size: n * 4, usage: MAP_READ | COPY_DST });
  const enc = dev.createCommandEncoder();
  enc.copyBufferToBuffer(s.buffer, 0, staging, 0, n * 4);
  dev.queue.submit([enc.finish()]);
  await staging.mapAsync(MAP_READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

// ---------------------------------------------------------------------------------------------
// kernels

/** A strided layout as the kernels read it. */
export interface Layout {
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}

const WG = 64;
const pipelines = new Map<string, { getBindGroupLayout(i: number): unknown }>();

function pipeline(code: string): { getBindGroupLayout(i: number): unknown } {
  let p = pipelines.get(code);
  if (p === undefined) {
    const dev = device();
    p = dev.createComputePipeline({
      layout: "auto",
      compute: { module: dev.createShaderModule({ code }), entryPoint: "main" },
    });
    pipelines.set(code, p);
  }
  return p;
}

/** Runs `code` over `threads` invocations (64 per workgroup, a 2-D grid past 65535 groups). */
function run(
  code: string,
  buffers: GpuBufferLike[],
  threads: number,
  groups?: [number, number],
): void {
  const dev = device();
  const p = pipeline(code);
  const bind = dev.createBindGroup({
    layout: p.getBindGroupLayout(0),
    entries: buffers.map((b, i) => ({ binding: i, resource: { buffer: b } })),
  });
  const enc = dev.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(p);
  pass.setBindGroup(0, bind);
  if (groups !== undefined) pass.dispatchWorkgroups(groups[0], groups[1]);
  else {
    const g = Math.ceil(threads / WG);
    const x = Math.min(g, 65535);
    pass.dispatchWorkgroups(x, Math.ceil(g / x));
  }
  pass.end();
  dev.queue.submit([enc.finish()]);
  // destroyed once the submitted work is done (WebGPU defers it)
  buffers[0].destroy();
}

/** A read-only buffer of u32 metadata (sizes, strides, f32 scalars as bits). */
function meta(values: readonly number[]): GpuBufferLike {
  const u = new Uint32Array(Math.max(values.length, 1));
  for (let i = 0; i < values.length; i++) u[i] = values[i] >>> 0;
  const b = device().createBuffer({ size: u.byteLength, usage: STORAGE | COPY_DST });
  device().queue.writeBuffer(b, 0, u);
  return b;
}
const f32bits = (v: number): number => new Uint32Array(new Float32Array([v]).buffer)[0];

/** The WGSL of the thread index and of a strided offset read from the meta buffer. */
const PRELUDE = /* wgsl */ `
fn strided(i0: u32, nd: u32, shapeAt: u32, strideAt: u32, off: u32) -> u32 {
  var i = i0;
  var o = off;
  for (var d = i32(nd) - 1; d >= 0; d--) {
    let s = m[shapeAt + u32(d)];
    o += (i % s) * m[strideAt + u32(d)];
    i /= s;
  }
  return o;
}
`;
const GID = `@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * ${WG}u;`;

/**
 * Elementwise map: `out[lo(i)] = f(x[li(i)])` over the n elements of `shape`, `expr` a WGSL
 * expression of `x` (f32) and the scalar `s` (and of the WGSL functions `fns` defines). Both sides strided: this is also the strided copy
 * (materializing views, writing back in-place results, broadcasting with stride 0).
 */
export function unary(
  expr: string,
  x: GpuStorage,
  xl: Layout,
  out: GpuStorage,
  ol: Layout,
  s = 0,
  fns = "",
): void {
  const shape = ol.shape;
  const nd = shape.length;
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const code = `@group(0) @binding(0) var<storage, read> m: array<u32>;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read_write> ys: array<f32>;
${PRELUDE}
${fns}
${GID}
  if (i >= m[0]) { return; }
  let nd = m[1];
  let s = bitcast<f32>(m[2]);
  let x = xs[strided(i, nd, 5u, 5u + nd, m[3])];
  ys[strided(i, nd, 5u, 5u + 2u * nd, m[4])] = ${expr};
}`;
  const mb = meta([
    n,
    nd,
    f32bits(s),
    xl.offset,
    ol.offset,
    ...shape,
    ...xl.strides,
    ...ol.strides,
  ]);
  run(code, [mb, x.buffer, out.buffer], n);
}

/**
 * Broadcasting binary map into a contiguous output of `shape`: `out[i] = f(a, b)`, `expr` a WGSL
 * expression of `a`, `b` (f32) and the scalar `s` (and of the WGSL functions `fns` defines); the layouts' strides are already broadcast
 * to `shape` (0 on expanded dims).
 */
export function binary(
  expr: string,
  a: GpuStorage,
  al: Layout,
  b: GpuStorage,
  bl: Layout,
  out: GpuStorage,
  shape: readonly number[],
  s = 0,
  fns = "",
): void {
  const nd = shape.length;
  const n = shape.reduce((p, q) => p * q, 1);
  if (n === 0) return;
  const code = `@group(0) @binding(0) var<storage, read> m: array<u32>;
@group(0) @binding(1) var<storage, read> as_: array<f32>;
@group(0) @binding(2) var<storage, read> bs: array<f32>;
@group(0) @binding(3) var<storage, read_write> ys: array<f32>;
${PRELUDE}
${fns}
${GID}
  if (i >= m[0]) { return; }
  let nd = m[1];
  let s = bitcast<f32>(m[2]);
  let a = as_[strided(i, nd, 5u, 5u + nd, m[3])];
  let b = bs[strided(i, nd, 5u, 5u + 2u * nd, m[4])];
  ys[i] = ${expr};
}`;
  const mb = meta([
    n,
    nd,
    f32bits(s),
    al.offset,
    bl.offset,
    ...shape,
    ...al.strides,
    ...bl.strides,
  ]);
  run(code, [mb, a.buffer, b.buffer, out.buffer], n);
}

/** Ternary select into a contiguous output: `out[i] = c != 0 ? a : b` (torch.where), layouts broadcast. */
export function where(
  c: GpuStorage,
  cl: Layout,
  a: GpuStorage,
  al: Layout,
  b: GpuStorage,
  bl: Layout,
  out: GpuStorage,
  shape: readonly number[],
): void {
  const nd = shape.length;
  const n = shape.reduce((p, q) => p * q, 1);
  if (n === 0) return;
  const code = `@group(0) @binding(0) var<storage, read> m: array<u32>;
@group(0) @binding(1) var<storage, read> cs: array<f32>;
@group(0) @binding(2) var<storage, read> as_: array<f32>;
@group(0) @binding(3) var<storage, read> bs: array<f32>;
@group(0) @binding(4) var<storage, read_write> ys: array<f32>;
${PRELUDE}
${GID}
  if (i >= m[0]) { return; }
  let nd = m[1];
  let c = cs[strided(i, nd, 5u, 5u + nd, m[2])];
  let a = as_[strided(i, nd, 5u, 5u + 2u * nd, m[3])];
  let b = bs[strided(i, nd, 5u, 5u + 3u * nd, m[4])];
  ys[i] = select(b, a, c != 0.0);
}`;
  const mb = meta([
    n,
    nd,
    cl.offset,
    al.offset,
    bl.offset,
    ...shape,
    ...cl.strides,
    ...al.strides,
    ...bl.strides,
  ]);
  run(code, [mb, c.buffer, a.buffer, b.buffer, out.buffer], n);
}

/** The reductions over the last axis of a contiguous [rows, len] array. */
export type RowReduce = "sum" | "max" | "min" | "prod" | "argmax" | "argmin";

/**
 * `out[r] = reduce(x[r * len .. r * len + len))`, one thread per row (sequential order within
 * a row, as the CPU backends' inner loops). `scale` multiplies sums (mean = sum * 1/len).
 */
export function reduceRows(
  op: RowReduce,
  x: GpuStorage,
  rows: number,
  len: number,
  out: GpuStorage,
  scale = 1,
): void {
  if (rows === 0) return;
  const init = op === "sum" ? "0.0" : op === "prod" ? "1.0" : "x[base]";
  const step =
    op === "sum"
      ? "acc += v;"
      : op === "prod"
        ? "acc *= v;"
        : op === "max"
          ? "if (v > acc || v != v) { acc = v; }"
          : op === "min"
            ? "if (v < acc || v != v) { acc = v; }"
            : op === "argmax"
              ? "if (v > acc || (v != v && acc == acc)) { acc = v; idx = j; }"
              : "if (v < acc || (v != v && acc == acc)) { acc = v; idx = j; }";
  const result =
    op === "argmax" || op === "argmin"
      ? "f32(idx)"
      : op === "sum"
        ? "acc * bitcast<f32>(m[2])"
        : "acc";
  const code = `@group(0) @binding(0) var<storage, read> m: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
${GID}
  if (i >= m[0]) { return; }
  let len = m[1];
  let base = i * len;
  var acc: f32 = ${init};
  var idx: u32 = 0u;
  for (var j = 0u; j < len; j++) {
    let v = x[base + j];
    ${step}
  }
  y[i] = ${result};
}`;
  run(code, [meta([rows, len, f32bits(scale)]), x.buffer, out.buffer], rows);
}

/**
 * Softmax or log-softmax over the last axis of a contiguous [rows, len] array, one thread per
 * row: m = max, s = sum exp(x - m); softmax = exp(x - m) / s, log_softmax = x - m - log(s).
 */
export function softmaxRows(
  log: boolean,
  x: GpuStorage,
  rows: number,
  len: number,
  out: GpuStorage,
): void {
  if (rows === 0 || len === 0) return;
  const code = `@group(0) @binding(0) var<storage, read> m: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
${GID}
  if (i >= m[0]) { return; }
  let len = m[1];
  let base = i * len;
  var mx = x[base];
  for (var j = 1u; j < len; j++) { mx = max(mx, x[base + j]); }
  var s: f32 = 0.0;
  for (var j = 0u; j < len; j++) { s += exp(x[base + j] - mx); }
  for (var j = 0u; j < len; j++) {
    ${log ? "y[base + j] = x[base + j] - mx - log(s);" : "y[base + j] = exp(x[base + j] - mx) / s;"}
  }
}`;
  run(code, [meta([rows, len]), x.buffer, out.buffer], rows);
}

/**
 * Inclusive running sums over the last axis of a contiguous [rows, len] array, one thread per
 * row, summed in index order as the CPU backends' loops (torch.cumsum).
 */
export function cumsumRows(x: GpuStorage, rows: number, len: number, out: GpuStorage): void {
  if (rows === 0 || len === 0) return;
  const code = `@group(0) @binding(0) var<storage, read> m: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
${GID}
  if (i >= m[0]) { return; }
  let len = m[1];
  let base = i * len;
  var acc: f32 = 0.0;
  for (var j = 0u; j < len; j++) {
    acc += x[base + j];
    y[base + j] = acc;
  }
}`;
  run(code, [meta([rows, len]), x.buffer, out.buffer], rows);
}

/** The scalars of one Adam/AdamW step (backend/optim.ts's adamStep, already rounded to f32). */
export interface AdamScalars {
  beta1: number;
  beta2: number;
  oneMinusBeta1: number;
  oneMinusBeta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW's factor 1 - lr * weight_decay */
  decay: number;
  /** -lr / (1 - beta1^step) */
  negStepSize: number;
  /** sqrt(1 - beta2^step) */
  bc2Sqrt: number;
  maximize: boolean;
  /** Adam's L2 weight decay added to the gradient */
  useWeightDecay: boolean;
  /** AdamW: the parameter decays before the update */
  decoupled: boolean;
}

/**
 * One Adam/AdamW step in place over n contiguous elements, one thread per element, with the
 * order of operations of backend/optim.ts's adamStep (PyTorch's _single_tensor_adam):
 * m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, (vmax = max(vmax, v)),
 * p += -lr/bc1 * m / (sqrt(v) / sqrt(bc2) + eps). `vmax` null without amsgrad.
 */
export function adamStep(
  p: GpuStorage,
  g: GpuStorage,
  m: GpuStorage,
  v: GpuStorage,
  vmax: GpuStorage | null,
  n: number,
  o: AdamScalars,
): void {
  if (n === 0) return;
  const code = `@group(0) @binding(0) var<storage, read> m_: array<u32>;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> gs: array<f32>;
@group(0) @binding(3) var<storage, read_write> ms: array<f32>;
@group(0) @binding(4) var<storage, read_write> vs: array<f32>;
${vmax !== null ? "@group(0) @binding(5) var<storage, read_write> vx: array<f32>;" : ""}
${GID}
  if (i >= m_[0]) { return; }
  let c = array<f32, 9>(bitcast<f32>(m_[1]), bitcast<f32>(m_[2]), bitcast<f32>(m_[3]), bitcast<f32>(m_[4]),
    bitcast<f32>(m_[5]), bitcast<f32>(m_[6]), bitcast<f32>(m_[7]), bitcast<f32>(m_[8]), bitcast<f32>(m_[9]));
  var pv = p[i];
  var gr = gs[i];
  ${o.maximize ? "gr = -gr;" : ""}
  ${o.decoupled ? "pv = pv * c[6];" : o.useWeightDecay ? "gr = fma(pv, c[5], gr);" : ""}
  let mi = fma(gr, c[2], ms[i] * c[0]);
  let vi = fma(c[3] * gr, gr, vs[i] * c[1]);
  ms[i] = mi;
  vs[i] = vi;
  ${
    vmax !== null
      ? "let prev = vx[i]; var vmx = select(vi, prev, prev > vi); if (prev != prev || vi != vi) { vmx = prev + vi; } vx[i] = vmx;"
      : "let vmx = vi;"
  }
  let denom = sqrt(vmx) / c[8] + c[4];
  p[i] = pv + (c[7] * mi) / denom;
}`;
  const mb = meta([
    n,
    f32bits(o.beta1),
    f32bits(o.beta2),
    f32bits(o.oneMinusBeta1),
    f32bits(o.oneMinusBeta2),
    f32bits(o.eps),
    f32bits(o.weightDecay),
    f32bits(o.decay),
    f32bits(o.negStepSize),
    f32bits(o.bc2Sqrt),
  ]);
  const bufs = [mb, p.buffer, g.buffer, m.buffer, v.buffer];
  if (vmax !== null) bufs.push(vmax.buffer);
  run(code, bufs, n);
}

/**
 * Batched matrix product into a contiguous [batch, M, N] output: out[b] = A[b] @ B[b], A and B
 * strided (batch, row and column strides each), 16x16 tiles through workgroup memory.
 */
export function matmul(
  a: GpuStorage,
  aOff: number,
  aStrides: readonly [number, number, number],
  b: GpuStorage,
  bOff: number,
  bStrides: readonly [number, number, number],
  out: GpuStorage,
  batch: number,
  M: number,
  K: number,
  N: number,
): void {
  if (batch * M * N === 0) return;
  const T = 16;
  const code = `@group(0) @binding(0) var<storage, read> m: array<u32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
var<workgroup> ta: array<array<f32, ${T}>, ${T}>;
var<workgroup> tb: array<array<f32, ${T}>, ${T}>;
@compute @workgroup_size(${T}, ${T}) fn main(@builtin(workgroup_id) w: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let M = m[0]; let K = m[1]; let N = m[2];
  let bt = w.z;
  let row = w.y * ${T}u + l.y;
  let col = w.x * ${T}u + l.x;
  let aBase = m[3] + bt * m[4];
  let bBase = m[7] + bt * m[8];
  var acc: f32 = 0.0;
  let tiles = (K + ${T - 1}u) / ${T}u;
  for (var t = 0u; t < tiles; t++) {
    let ka = t * ${T}u + l.x;
    let kb = t * ${T}u + l.y;
    if (row < M && ka < K) { ta[l.y][l.x] = A[aBase + row * m[5] + ka * m[6]]; } else { ta[l.y][l.x] = 0.0; }
    if (kb < K && col < N) { tb[l.y][l.x] = B[bBase + kb * m[9] + col * m[10]]; } else { tb[l.y][l.x] = 0.0; }
    workgroupBarrier();
    for (var k = 0u; k < ${T}u; k++) { acc += ta[l.y][k] * tb[k][l.x]; }
    workgroupBarrier();
  }
  if (row < M && col < N) { C[bt * M * N + row * N + col] = acc; }
}`;
  const mb = meta([M, K, N, aOff, ...aStrides, bOff, ...bStrides]);
  const dev = device();
  const p = pipeline(code);
  const bind = dev.createBindGroup({
    layout: p.getBindGroupLayout(0),
    entries: [mb, a.buffer, b.buffer, out.buffer].map((buf, i) => ({
      binding: i,
      resource: { buffer: buf },
    })),
  });
  const enc = dev.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(p);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(Math.ceil(N / T), Math.ceil(M / T), batch);
  pass.end();
  dev.queue.submit([enc.finish()]);
  mb.destroy();
}

/**
 * Gather along one dim into a contiguous output of `shape` (the index's shape, torch.gather):
 * out[i] = x[offset of i's coordinates with coordinate `dim` replaced by index[i]].
 */
export function gather(
  x: GpuStorage,
  xl: Layout,
  dim: number,
  idx: GpuStorage,
  il: Layout,
  out: GpuStorage,
  shape: readonly number[],
): void {
  const nd = shape.length;
  const n = shape.reduce((p, q) => p * q, 1);
  if (n === 0) return;
  const code = `@group(0) @binding(0) var<storage, read> m: array<u32>;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read> idxs: array<f32>;
@group(0) @binding(3) var<storage, read_write> ys: array<f32>;
${GID}
  if (i >= m[0]) { return; }
  let nd = m[1];
  let dim = m[2];
  var r = i;
  var ox = m[3];
  var oi = m[4];
  var cd = 0u;
  for (var d = i32(nd) - 1; d >= 0; d--) {
    let s = m[5u + u32(d)];
    let c = r % s;
    r /= s;
    oi += c * m[5u + 2u * nd + u32(d)];
    if (u32(d) != dim) { ox += c * m[5u + nd + u32(d)]; } else { cd = c; }
  }
  let k = u32(idxs[oi]);
  ys[i] = xs[ox + k * m[5u + nd + dim]];
}`;
  const mb = meta([n, nd, dim, xl.offset, il.offset, ...shape, ...xl.strides, ...il.strides]);
  run(code, [mb, x.buffer, idx.buffer, out.buffer], n);
}

/**
 * Scatter-add along one dim: out[coords of i with `dim` replaced by index[i]] += src[i] over the
 * index's shape, into a contiguous `out` of `outShape`. f32 atomics do not exist in WGSL: each
 * add is a compare-exchange loop on the value's bits, so repeated indices sum in an order the
 * device picks (float rounding may differ from the CPU's index order in the last bits).
 */
export function scatterAdd(
  src: GpuStorage,
  sl: Layout,
  dim: number,
  idx: GpuStorage,
  il: Layout,
  out: GpuStorage,
  outShape: readonly number[],
): void {
  const shape = il.shape;
  const nd = shape.length;
  const n = shape.reduce((p, q) => p * q, 1);
  if (n === 0) return;
  const outStrides: number[] = new Array<number>(nd);
  let st = 1;
  for (let d = nd - 1; d >= 0; d--) {
    outStrides[d] = st;
    st *= outShape[d];
  }
  const code = `@group(0) @binding(0) var<storage, read> m: array<u32>;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
@group(0) @binding(2) var<storage, read> idxs: array<f32>;
@group(0) @binding(3) var<storage, read_write> ys: array<atomic<u32>>;
${GID}
  if (i >= m[0]) { return; }
  let nd = m[1];
  let dim = m[2];
  var r = i;
  var ox = m[3];
  var oi = m[4];
  var oo = 0u;
  var cd = 0u;
  for (var d = i32(nd) - 1; d >= 0; d--) {
    let s = m[5u + u32(d)];
    let c = r % s;
    r /= s;
    ox += c * m[5u + nd + u32(d)];
    oi += c * m[5u + 2u * nd + u32(d)];
    if (u32(d) != dim) { oo += c * m[5u + 3u * nd + u32(d)]; }
  }
  let k = u32(idxs[oi]);
  let at = oo + k * m[5u + 3u * nd + dim];
  let v = xs[ox];
  var old = atomicLoad(&ys[at]);
  loop {
    let r2 = atomicCompareExchangeWeak(&ys[at], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r2.exchanged) { break; }
    old = r2.old_value;
  }
}`;
  const mb = meta([
    n,
    nd,
    dim,
    sl.offset,
    il.offset,
    ...shape,
    ...sl.strides,
    ...il.strides,
    ...outStrides,
  ]);
  run(code, [mb, src.buffer, idx.buffer, out.buffer], n);
}

/** The convolution geometry of conv2d (NCHW input, [OC, IC/groups, KH, KW] weight). */
export interface Conv2dGeom {
  N: number;
  C: number;
  H: number;
  W: number;
  OC: number;
  KH: number;
  KW: number;
  OH: number;
  OW: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  groups: number;
}
const geomMeta = (g: Conv2dGeom): number[] => [
  g.N,
  g.C,
  g.H,
  g.W,
  g.OC,
  g.KH,
  g.KW,
  g.OH,
  g.OW,
  g.sh,
  g.sw,
  g.ph,
  g.pw,
  g.dh,
  g.dw,
  g.groups,
];
const GEOM = `let N = m[1]; let C = m[2]; let H = m[3]; let W = m[4]; let OC = m[5]; let KH = m[6]; let KW = m[7];
  let OH = m[8]; let OW = m[9]; let sh = m[10]; let sw = m[11]; let ph = m[12]; let pw = m[13]; let dh = m[14]; let dw = m[15];
  let G = m[16]; let CG = C / G; let OG = OC / G;`;

/**
 * Direct 2-D convolution (contiguous operands), one thread per output element:
 * y[n,o,i,j] = sum over c in o's group, kh, kw of x[n,c,i*sh-ph+kh*dh, j*sw-pw+kw*dw] w[o,c',kh,kw].
 * `mode` also computes the two adjoints, one thread per element of what they produce:
 * "input" (dx from dy and w) and "weight" (dw from x and dy).
 */
export function conv2d(
  mode: "forward" | "input" | "weight",
  a: GpuStorage,
  b: GpuStorage,
  out: GpuStorage,
  g: Conv2dGeom,
): void {
  const n =
    mode === "forward"
      ? g.N * g.OC * g.OH * g.OW
      : mode === "input"
        ? g.N * g.C * g.H * g.W
        : g.OC * (g.C / g.groups) * g.KH * g.KW;
  if (n === 0) return;
  const body =
    mode === "forward"
      ? `// a = x, b = w
  let j = i % OW; let ii = (i / OW) % OH; let o = (i / (OW * OH)) % OC; let nn = i / (OW * OH * OC);
  let grp = o / OG;
  var acc: f32 = 0.0;
  for (var c = 0u; c < CG; c++) {
    for (var kh = 0u; kh < KH; kh++) {
      let y = i32(ii * sh + kh * dh) - i32(ph);
      if (y < 0 || y >= i32(H)) { continue; }
      for (var kw = 0u; kw < KW; kw++) {
        let x = i32(j * sw + kw * dw) - i32(pw);
        if (x < 0 || x >= i32(W)) { continue; }
        acc += a[((nn * C + grp * CG + c) * H + u32(y)) * W + u32(x)] * b[((o * CG + c) * KH + kh) * KW + kw];
      }
    }
  }
  y_[i] = acc;`
      : mode === "input"
        ? `// a = dy, b = w: dx[n,c,y,x] = sum over o in c's group, kh, kw with y = i*sh-ph+kh*dh
  let x = i % W; let y = (i / W) % H; let c = (i / (W * H)) % C; let nn = i / (W * H * C);
  let grp = c / CG; let cc = c % CG;
  var acc: f32 = 0.0;
  for (var oo = 0u; oo < OG; oo++) {
    let o = grp * OG + oo;
    for (var kh = 0u; kh < KH; kh++) {
      let ty = i32(y) + i32(ph) - i32(kh * dh);
      if (ty < 0 || ty % i32(sh) != 0) { continue; }
      let oy = u32(ty) / sh;
      if (oy >= OH) { continue; }
      for (var kw = 0u; kw < KW; kw++) {
        let tx = i32(x) + i32(pw) - i32(kw * dw);
        if (tx < 0 || tx % i32(sw) != 0) { continue; }
        let ox = u32(tx) / sw;
        if (ox >= OW) { continue; }
        acc += a[((nn * OC + o) * OH + oy) * OW + ox] * b[((o * CG + cc) * KH + kh) * KW + kw];
      }
    }
  }
  y_[i] = acc;`
        : `// a = x, b = dy: dw[o,c,kh,kw] = sum over n, oy, ox of dy[n,o,oy,ox] x[n, grp*CG+c, oy*sh-ph+kh*dh, ox*sw-pw+kw*dw]
  let kw = i % KW; let kh = (i / KW) % KH; let c = (i / (KW * KH)) % CG; let o = i / (KW * KH * CG);
  let grp = o / OG;
  var acc: f32 = 0.0;
  for (var nn = 0u; nn < N; nn++) {
    for (var oy = 0u; oy < OH; oy++) {
      let y = i32(oy * sh + kh * dh) - i32(ph);
      if (y < 0 || y >= i32(H)) { continue; }
      for (var ox = 0u; ox < OW; ox++) {
        let x = i32(ox * sw + kw * dw) - i32(pw);
        if (x < 0 || x >= i32(W)) { continue; }
        acc += b[((nn * OC + o) * OH + oy) * OW + ox] * a[((nn * C + grp * CG + c) * H + u32(y)) * W + u32(x)];
      }
    }
  }
  y_[i] = acc;`;
  const code = `@group(0) @binding(0) var<storage, read> m: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y_: array<f32>;
${GID}
  if (i >= m[0]) { return; }
  ${GEOM}
  ${body}
}`;
  run(code, [meta([n, ...geomMeta(g)]), a.buffer, b.buffer, out.buffer], n);
}

/**
 * 2-D max pooling (contiguous NCHW input; `g`'s C = OC = channels, groups 1), one thread per
 * output element: the maximum of the window (a NaN wins, as PyTorch's) and its flat index in
 * the input plane, written as f32 to `indices`.
 */
export function maxPool2d(
  x: GpuStorage,
  out: GpuStorage,
  indices: GpuStorage,
  g: Conv2dGeom,
): void {
  const n = g.N * g.C * g.OH * g.OW;
  if (n === 0) return;
  const code = `@group(0) @binding(0) var<storage, read> m: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> y_: array<f32>;
@group(0) @binding(3) var<storage, read_write> ix: array<f32>;
${GID}
  if (i >= m[0]) { return; }
  ${GEOM}
  let j = i % OW; let ii = (i / OW) % OH; let plane = i / (OW * OH);
  var best: f32 = 0.0;
  var at: i32 = -1;
  for (var kh = 0u; kh < KH; kh++) {
    let y = i32(ii * sh + kh * dh) - i32(ph);
    if (y < 0 || y >= i32(H)) { continue; }
    for (var kw = 0u; kw < KW; kw++) {
      let x = i32(j * sw + kw * dw) - i32(pw);
      if (x < 0 || x >= i32(W)) { continue; }
      let v = a[plane * H * W + u32(y) * W + u32(x)];
      if (at < 0 || v > best || (v != v && best == best)) { best = v; at = y * i32(W) + x; }
    }
  }
  y_[i] = best;
  ix[i] = f32(at);
}`;
  run(code, [meta([n, ...geomMeta(g)]), x.buffer, out.buffer, indices.buffer], n);
}

/** Waits for the queued work (for timing and tests). */
export async function synchronize(): Promise<void> {
  await device().queue.onSubmittedWorkDone();
}
