/**
 * Note [op tracing]: a tracer (torch.onnx.export's, src/onnx/trace.ts) sees every registry op
 * call made while it runs, with the op's schema and its arguments as the forward receives them
 * (defaults filled in). It rides on the check every op call already makes for vmap
 * (Note [batched tensors]: `vmapState.depth !== 0` sends a call to the op's batched path): a
 * running tracer counts as one more level there, and the batched path hands the call to the
 * tracer when no vmap level is running. So ops pay nothing for tracing when no export runs: the
 * plain path's code is unchanged.
 */
import { activeLevels, vmapState } from "./batching.js";
import type { Schema } from "./schema.js";

/**
 * The tracer's view of one op call: `name` is the called form's name (`add`, `add_` for the
 * in-place form), `forward` runs the op (it records autograd as a plain call would).
 */
export type OpTracer = (
  name: string,
  schema: Schema,
  forward: (...values: unknown[]) => unknown,
  values: unknown[],
) => unknown;

let current: OpTracer | null = null;

/** The running tracer while no vmap level runs (a vmapped call takes its batched path). */
export function activeTracer(): OpTracer | null {
  return current !== null && activeLevels().length === 0 ? current : null;
}

/**
 * Run `body` with `tracer` seeing every registry op call; one tracer at a time.
 * @example
 * const names: string[] = [];
 * const model = new torch.nn.Linear(2, 2);
 * withOpTracer((name, schema, f, values) => (names.push(name), f(...values)), () => model.call(torch.ones(1, 2)));

 */
export function withOpTracer<T>(tracer: OpTracer, body: () => T): T {
  const stop = startOpTracer(tracer);
  try {
    return body();
  } finally {
    stop();
  }
}

/**
 * Start `tracer` seeing every registry op call until the returned function is called (the
 * guard form of withOpTracer, for a profiler entered and exited by the caller).
 */
export function startOpTracer(tracer: OpTracer): () => void {
  if (current !== null) throw new Error("withOpTracer: a tracer is already running");
  current = tracer;
  vmapState.tracers = 1;
  vmapState.depth += 1;
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    current = null;
    vmapState.tracers = 0;
    vmapState.depth -= 1;
  };
}
