/**
 * Note [argument kinds]: one scan over a registry op's arguments decides whether a call leaves
 * the plain CPU path. A WebGPU tensor goes to the device's implementation (Note [device
 * dispatch] in ops/webgpu.ts); a float16/bfloat16 tensor or dtype argument computes in float32
 * (Note [half compute] in half-compute.ts). The common call (CPU tensors of the other dtypes)
 * pays one test per Tensor, Tensor[] or ScalarType argument, `special`, and calls the forward
 * directly. A new kind of argument is one more clause in `special` and one branch in the slow
 * path of `kindAware`. A sparse tensor (Note [sparse tensors] in ops/sparse.ts) is one such
 * kind: `special` tests its `_rare` record, null for almost every dense tensor, and the slow
 * path hands the call to `sparseCall`.
 */
import { Tensor } from "../tensor.js";
import { DType } from "../dtype.js";
import { DeviceArray } from "../backend/webgpu.js";
import { deviceCall } from "../ops/webgpu.js";
import { halfPath } from "./half-compute.js";
import { perOp } from "./per-op.js";
import { hasSparse, sparseCall } from "../ops/sparse.js";
import { composedResults } from "./complex-compute.js";
import type { Schema } from "./schema.js";

type Forward = (...args: unknown[]) => unknown;

/**
 * Whether an argument leaves the plain CPU path: a device tensor, or a half or complex tensor or
 * dtype (`needsConversion`: Note [half compute], Note [complex compute]).
 */
function special(v: unknown): boolean {
  if (v instanceof Tensor)
    return (
      v.dtype.needsConversion ||
      v.typedArray instanceof DeviceArray ||
      (v._rare !== null && v._rare.sparse !== null)
    );
  if (v instanceof DType) return v.needsConversion;
  return Array.isArray(v) && v.some(special);
}

/** Whether a (Tensor or Tensor[]) argument holds a WebGPU tensor. */
const onDevice = (v: unknown): boolean =>
  v instanceof Tensor
    ? v.typedArray instanceof DeviceArray
    : Array.isArray(v) && v.some((t) => t instanceof Tensor && t.typedArray instanceof DeviceArray);

/**
 * The forward with the argument-kind check in front (Note [argument kinds]). `differentiable`:
 * the forward records its own graph (Note [half compute]). `inplace`: `f` is the in-place
 * variant (`add_`), which the device dispatches by the op's own name.
 */
export function kindAware(
  schema: Schema,
  f: Forward,
  differentiable: boolean,
  inplace = false,
  recorded: () => Forward | null = () => null,
): Forward {
  const slots: number[] = [];
  const tensorSlots: number[] = [];
  schema.params.forEach((p, i) => {
    if (p.base === "Tensor") tensorSlots.push(i);
    if (p.base === "Tensor" || p.base === "ScalarType") slots.push(i);
  });
  const half = halfPath(
    inplace ? { ...schema, name: `${schema.name}_` } : schema,
    f,
    differentiable,
    recorded,
  );
  if (slots.length === 0 || (half === null && tensorSlots.length === 0)) return f;
  const cpu = half ?? ((values: readonly unknown[]) => f(...values));
  const cpuForward = (...values: unknown[]): unknown => cpu(values);
  const { name, overload } = schema;
  const slow = (values: unknown[]): unknown => {
    for (let k = 0; k < tensorSlots.length; k++)
      if (hasSparse(values[tensorSlots[k]])) {
        const r = sparseCall(name, overload, values, inplace, cpu);
        // a sparse kernel records its own node: the entry's derivative must not record over it
        if (r instanceof Tensor && r._gradFn !== null) composedResults.add(r);
        return r;
      }
    for (let k = 0; k < tensorSlots.length; k++)
      if (onDevice(values[tensorSlots[k]])) return deviceCall(name, overload, cpuForward, values);
    return cpu(values);
  };
  const n = schema.params.length;
  const tested = (i: number): boolean => slots.includes(i);
  const tag = inplace ? `${name}_` : name;
  if (n === 1) return perOp(kindCall1, tag)(f, slow, special);
  if (n === 2) return perOp(kindCall2, tag)(f, slow, special, tested(0), tested(1));
  if (n === 3) return perOp(kindCall3, tag)(f, slow, special, tested(0), tested(1), tested(2));
  return (...values: unknown[]) => {
    for (let k = 0; k < slots.length; k++) if (special(values[slots[k]])) return slow(values);
    return f(...values);
  };
}

// The common arities without an argument array, copied per op (Note [per-op closures] in
// per-op.ts): self-contained.

function kindCall1(
  f: Forward,
  slow: (values: unknown[]) => unknown,
  special: (v: unknown) => boolean,
): (a: unknown) => unknown {
  return (a: unknown) => (special(a) ? slow([a]) : f(a));
}

function kindCall2(
  f: Forward,
  slow: (values: unknown[]) => unknown,
  special: (v: unknown) => boolean,
  t0: boolean,
  t1: boolean,
): (a: unknown, b: unknown) => unknown {
  return (a: unknown, b: unknown) =>
    (t0 && special(a)) || (t1 && special(b)) ? slow([a, b]) : f(a, b);
}

function kindCall3(
  f: Forward,
  slow: (values: unknown[]) => unknown,
  special: (v: unknown) => boolean,
  t0: boolean,
  t1: boolean,
  t2: boolean,
): (a: unknown, b: unknown, c: unknown) => unknown {
  return (a: unknown, b: unknown, c: unknown) =>
    (t0 && special(a)) || (t1 && special(b)) || (t2 && special(c)) ? slow([a, b, c]) : f(a, b, c);
}
