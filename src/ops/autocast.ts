/**
 * The autocast state and PyTorch's casts (aten/src/ATen/autocast_mode.h's cached_cast and
 * promote_type), below the registry so that compositions of the ops layer (the recurrent
 * cells' projections) cast as PyTorch's at::linear does under CPU autocast. The policies and
 * the dispatch are registry/autocast.ts's (Note [autocast dispatch]).
 */
import { Tensor } from "../tensor.js";
import { bfloat16, float16, float32, float64, type DType } from "../dtype.js";
import { DeviceArray } from "../backend/webgpu.js";
import { runtimeError } from "../errors.js";

/** An op's autocast cast policy (PyTorch's CastPolicy, the CPU ones). */
export type CastPolicy = "lower_precision_fp" | "fp32" | "promote";

/**
 * The thread-local autocast state of PyTorch (one JavaScript thread): whether CPU autocast is
 * on (false also while a policy op runs, Note [autocast dispatch]), its dtype, the GPU flag
 * and dtype (settable, never used: no CUDA), the cast cache switch and the nesting of regions.
 */
export const autocastState = {
  cpu: false,
  cpuDtype: bfloat16 as DType,
  gpu: false,
  gpuDtype: float16 as DType,
  cacheEnabled: true,
  nesting: 0,
};

/** Casts of float32 leaves requiring grad to the lower dtype, by source tensor. */
const cache = new Map<Tensor, Tensor>();

/** Drop every cached cast (torch.clear_autocast_cache). */
export function clearCastCache(): void {
  cache.clear();
}

/** PyTorch's is_autocast_eligible for the CPU, without float64 (is_eligible). */
function eligible(t: Tensor): boolean {
  return t.dtype.isFloatingPoint && t.dtype !== float64 && !(t.typedArray instanceof DeviceArray);
}

/** PyTorch's cached_cast: an eligible tensor (or each of a list) in `to`. */
function cachedCast(to: DType, v: unknown): unknown {
  if (v instanceof Tensor) {
    if (!eligible(v) || v.dtype === to) return v;
    const cacheable =
      to === autocastState.cpuDtype &&
      v.dtype === float32 &&
      v.requiresGrad &&
      v.isLeaf &&
      v._base === null &&
      autocastState.cacheEnabled;
    if (!cacheable) return v.to(to);
    let c = cache.get(v);
    if (c === undefined) cache.set(v, (c = v.to(to)));
    return c;
  }
  if (Array.isArray(v) && v.some((x) => x instanceof Tensor))
    return v.map((x) => cachedCast(to, x));
  return v;
}

/**
 * PyTorch's promote_type: the lower dtype, widened by each eligible argument (float64 ones
 * ignored; float32 wins over the lower dtype; another half type is an error, as prioritize's).
 */
function promoteType(values: readonly unknown[]): DType {
  const lower = autocastState.cpuDtype;
  let current = lower;
  const see = (t: unknown): void => {
    if (!(t instanceof Tensor) || !eligible(t)) return;
    const next = t.dtype;
    if (current === float32 || next === float32) current = float32;
    else if (current !== lower || next !== lower)
      throw runtimeError("Unexpected floating ScalarType in at::autocast::prioritize");
  };
  for (const v of values) {
    if (Array.isArray(v)) v.forEach(see);
    else see(v);
  }
  return current;
}

/**
 * The arguments of a composition that PyTorch runs as the op of `policy` (F.linear inside
 * nn.MultiheadAttention, conv_transpose inside nn.ConvTranspose2d) when tensorgrad calls a
 * kernel directly: cast as that op's autocast kernel casts them while CPU autocast is on, else
 * unchanged (one boolean check). The kernel called next records its node over the casts.
 */
export function autocastArgs<T extends readonly unknown[]>(policy: CastPolicy, values: T): T {
  return autocastState.cpu ? castArgs(policy, values) : values;
}

/** The arguments cast by `policy` (PyTorch's lower_precision_fp, fp32 or promote kernel). */
export function castArgs<T extends readonly unknown[]>(policy: CastPolicy, values: T): T {
  const to =
    policy === "fp32"
      ? float32
      : policy === "lower_precision_fp"
        ? autocastState.cpuDtype
        : promoteType(values);
  return values.map((v) => cachedCast(to, v)) as unknown as T;
}
