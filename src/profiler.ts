/**
 * torch.autograd.profiler and torch.profiler: where the time of a program goes, op by op.
 *
 * Note [profiler events]: a running profile is the op tracer (Note [op tracing]): every
 * registry op call made while it runs becomes a FunctionEvent named `aten::<op>` (the called
 * form's name, `aten::add_` for an in-place one), with the wall time around the call and, with
 * `recordShapes`, its arguments' shapes; `recordFunction(name)` opens a user range. Events nest
 * by time: an op called inside another op (a composite's parts, the ops of a backward formula)
 * is its child, so an event's self time is its time less its children's, as PyTorch's
 * FunctionEvent computes it. The summaries (keyAverages, table) follow
 * torch/autograd/profiler_util.py, so the printed table has PyTorch's layout. The op names are
 * tensorgrad's ops, which are PyTorch's public ones: where PyTorch also records the aten ops a
 * composite calls (aten::linear's aten::t and aten::addmm), tensorgrad records those its own
 * implementation calls through the registry.
 */
import { startOpTracer } from "./registry/op-trace.js";
import { Tensor } from "./tensor.js";
import { runtimeError } from "./errors.js";
import { nodeFs } from "./data/node-io.js";

const now = (): number => performance.now() * 1000;

/** Microseconds as PyTorch prints them (`95.000us`, `1.234ms`, `2.000s`). */
function formatTime(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toFixed(3)}s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(3)}ms`;
  return `${us.toFixed(3)}us`;
}

/** A share of the total as PyTorch prints it (`29.41%`). */
function formatShare(us: number, total: number): string {
  if (total === 0) return "NaN";
  return `${((us * 100) / total).toFixed(2)}%`;
}

/** Python's repr of a list of shapes (`[[64, 64], []]`). */
function shapesRepr(shapes: number[][] | null): string {
  if (shapes === null) return "None";
  return `[${shapes.map((s) => `[${s.join(", ")}]`).join(", ")}]`;
}

/** Statistics shared by FunctionEvent and FunctionEventAvg (PyTorch's FormattedTimesMixin). */
export interface EventStats {
  /** The name summaries group by. */
  readonly key: string;
  /** The number of calls. */
  readonly count: number;
  /** Time in microseconds, children included. */
  readonly cpuTimeTotal: number;
  /** Time less the children's. */
  readonly selfCpuTimeTotal: number;
  /** Argument shapes, when recorded. */
  readonly inputShapes: number[][] | null;
  /** The enclosing call, null at the top level. */
  readonly cpuParent: FunctionEvent | null;
}

/**
 * One profiled call (PyTorch's FunctionEvent): its name, start and end in microseconds, the
 * calls made inside it and its arguments' shapes (with `recordShapes`).
 * @example
 * const prof = torch.autograd.profiler.profile(() => torch.ones(2).exp());
 * prof.events()[0].key // "aten::ones"
 */
export class FunctionEvent implements EventStats {
  /** The calls made inside this one (PyTorch's `cpu_children`). */
  readonly cpuChildren: FunctionEvent[] = [];
  /** The call this one was made in (`cpu_parent`), null at the top level. */
  cpuParent: FunctionEvent | null = null;
  constructor(
    /** The event's index in its profile (`id`). */
    readonly id: number,
    /** `aten::<op>` for an op, the given name for a recordFunction range (`name`, `key`). */
    readonly name: string,
    /** Start, in microseconds. */
    readonly startUs: number,
    /** End, in microseconds (set when the call returns). */
    public endUs: number,
    /** The arguments' shapes (`[]` for a non-tensor), null without `recordShapes`. */
    readonly inputShapes: number[][] | null = null,
  ) {}
  /** The name summaries group by (PyTorch's `key`). */
  get key(): string {
    return this.name;
  }
  /** 1: one call. */
  get count(): number {
    return 1;
  }
  /** The call's time in microseconds, children included (`cpu_time_total`). */
  get cpuTimeTotal(): number {
    return this.endUs - this.startUs;
  }
  /** The call's time less its children's (`self_cpu_time_total`). */
  get selfCpuTimeTotal(): number {
    return this.cpuTimeTotal - this.cpuChildren.reduce((s, c) => s + c.cpuTimeTotal, 0);
  }
  /** The same as cpuTimeTotal for one call (`cpu_time`). */
  get cpuTime(): number {
    return this.cpuTimeTotal;
  }
  /** Make `child` one of this event's children (PyTorch's `append_cpu_child`). */
  appendCpuChild(child: FunctionEvent): void {
    this.cpuChildren.push(child);
  }
  /** PyTorch's repr, in short. */
  toString(): string {
    return `<FunctionEvent id=${this.id} name=${this.name} cpu_time=${formatTime(this.cpuTimeTotal)} input_shapes=${shapesRepr(this.inputShapes)}>`;
  }
}

/**
 * The calls of one key summed (PyTorch's FunctionEventAvg): count, total and self time, the
 * first call's shapes and parent.
 * @example
 * const prof = torch.autograd.profiler.profile(() => torch.ones(2).exp().exp());
 * prof.keyAverages().find((e) => e.key === "aten::exp")?.count // 2
 */
export class FunctionEventAvg implements EventStats {
  /** The key summed over. */
  key = "";
  /** The number of calls. */
  count = 0;
  /** Their summed time in microseconds, children included. */
  cpuTimeTotal = 0;
  /** Their summed time less their children's. */
  selfCpuTimeTotal = 0;
  /** The first call's argument shapes (kept only by keyAverages(true)). */
  inputShapes: number[][] | null = null;
  /** The first call's parent. */
  cpuParent: FunctionEvent | null = null;
  /** Add one event's (or summary's) numbers (PyTorch's `add`). */
  add(other: EventStats): this {
    if (this.count === 0) {
      this.key = other.key;
      this.cpuParent = other.cpuParent;
      this.inputShapes = other.inputShapes;
    }
    this.cpuTimeTotal += other.cpuTimeTotal;
    this.selfCpuTimeTotal += other.selfCpuTimeTotal;
    this.count += other.count;
    return this;
  }
  /** The mean time per call (`cpu_time`). */
  get cpuTime(): number {
    return this.count === 0 ? 0 : this.cpuTimeTotal / this.count;
  }
  /** PyTorch's repr, in short. */
  toString(): string {
    return `<FunctionEventAvg key=${this.key} self_cpu_time=${formatTime(this.selfCpuTimeTotal)} cpu_time=${formatTime(this.cpuTime)} input_shapes=${shapesRepr(this.inputShapes)}>`;
  }
}

/** `table()`'s options (PyTorch's keyword arguments, camelCased). */
export interface TableOptions {
  /**
   * Sort rows by this statistic, largest first: "self_cpu_time_total", "cpu_time_total",
   * "cpu_time", "count" (or their camelCase names); unsorted by default.
   */
  sortBy?: string | null;
  /** Rows to print (default 100). */
  rowLimit?: number;
  /** Widest name column (default 55; longer names end in "..."). */
  maxNameColumnWidth?: number;
  /** Widest input-shapes column (default 80). */
  maxShapesColumnWidth?: number;
  /** A line printed above the table. */
  header?: string | null;
  /** Only events called at the top level. */
  topLevelEventsOnly?: boolean;
}

const SORT_KEYS: Record<string, keyof EventStats | "cpuTime"> = {
  self_cpu_time_total: "selfCpuTimeTotal",
  selfCpuTimeTotal: "selfCpuTimeTotal",
  cpu_time_total: "cpuTimeTotal",
  cpuTimeTotal: "cpuTimeTotal",
  cpu_time: "cpuTime",
  cpuTime: "cpuTime",
  count: "count",
};

/**
 * PyTorch's profiler table (torch/autograd/profiler_util.py's `_build_table`) for CPU events:
 * Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg, # of Calls, and Input
 * Shapes when any event has them.
 */
export function buildTable(
  events: readonly (FunctionEvent | FunctionEventAvg)[],
  opts: TableOptions = {},
): string {
  if (events.length === 0) return "";
  const rowLimit = opts.rowLimit ?? 100;
  const maxName = opts.maxNameColumnWidth ?? 55;
  const maxShapes = opts.maxShapesColumnWidth ?? 80;
  let rows = events.slice();
  if (opts.sortBy != null) {
    const k = SORT_KEYS[opts.sortBy];
    if (k === undefined)
      throw new Error(`'FunctionEventAvg' object has no attribute '${opts.sortBy}'`);
    // Python's sorted(..., reverse=True) is stable: equal keys keep their order
    rows = rows
      .map((e, i) => [e, i] as const)
      .sort((a, b) => (b[0][k] as number) - (a[0][k] as number) || a[1] - b[1])
      .map(([e]) => e);
  }
  const hasShapes = rows.some((e) => e.inputShapes !== null && e.inputShapes.length > 0);
  const nameWidth = Math.min(Math.max(...rows.map((e) => e.key.length)) + 4, maxName);
  const shapesWidth = Math.min(
    Math.max(...rows.map((e) => shapesRepr(e.inputShapes).length)) + 4,
    maxShapes,
  );
  const headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"];
  headers.push("# of Calls");
  const widths = [nameWidth, ...headers.slice(1).map(() => 12)];
  if (hasShapes) {
    headers.push("Input Shapes");
    widths.push(shapesWidth);
  }
  const row = (values: (string | number)[]): string =>
    values.map((v, i) => String(v).padStart(widths[i]) + "  ").join("");
  const sep = widths.map((w) => "-".repeat(w) + "  ").join("");
  const lineLength = widths.reduce((s, w) => s + w + 2, -2);
  const total = rows.reduce((s, e) => s + e.selfCpuTimeTotal, 0);
  const out: string[] = [];
  if (opts.header != null) out.push("=".repeat(lineLength), opts.header);
  if (opts.topLevelEventsOnly === true)
    out.push("=".repeat(lineLength), "This report only display top-level ops statistics");
  out.push(sep, row(headers), sep);
  let shown = 0;
  for (const e of rows) {
    if (shown === rowLimit) break;
    if (opts.topLevelEventsOnly === true && e.cpuParent !== null) continue;
    shown++;
    let name = e.key;
    if (name.length >= maxName - 3) name = name.slice(0, maxName - 3) + "...";
    const values: (string | number)[] = [
      name,
      formatShare(e.selfCpuTimeTotal, total),
      formatTime(e.selfCpuTimeTotal),
      formatShare(e.cpuTimeTotal, total),
      formatTime(e.cpuTimeTotal),
      formatTime(e.cpuTime),
      e.count,
    ];
    if (hasShapes) values.push(shapesRepr(e.inputShapes).slice(0, shapesWidth));
    out.push(row(values));
  }
  out.push(sep, `Self CPU time total: ${formatTime(total)}`);
  return out.map((l) => l + "\n").join("");
}

/**
 * A list of events with PyTorch's EventList summaries.
 * @example
 * const prof = torch.autograd.profiler.profile(() => torch.ones(2).exp());
 * prof.events().keyAverages().length // 2
 */
export class EventList<E extends FunctionEvent | FunctionEventAvg> extends Array<E> {
  /** Events grouped by key (and by input shapes with `groupByInputShape`), summed. */
  keyAverages(groupByInputShape = false): EventList<FunctionEventAvg> {
    const stats = new Map<string, FunctionEventAvg>();
    for (const e of this) {
      const k = groupByInputShape ? `${e.key}\u0000${shapesRepr(e.inputShapes)}` : e.key;
      let avg = stats.get(k);
      if (avg === undefined) stats.set(k, (avg = new FunctionEventAvg()));
      avg.add(e);
    }
    // PyTorch keeps the shapes only when grouping by them (the table then has no shapes column)
    if (!groupByInputShape) for (const a of stats.values()) a.inputShapes = null;
    return EventList.from(stats.values()) as EventList<FunctionEventAvg>;
  }
  /** Every event summed into one (`total_average`). */
  totalAverage(): FunctionEventAvg {
    const total = new FunctionEventAvg();
    for (const e of this) total.add(e);
    total.key = "Total";
    return total;
  }
  /** The summed self time of the events, in microseconds (`self_cpu_time_total`). */
  get selfCpuTimeTotal(): number {
    return this.reduce((s, e) => s + e.selfCpuTimeTotal, 0);
  }
  /** PyTorch's profiler table of these events. */
  table(opts: TableOptions = {}): string {
    return buildTable(this, opts);
  }
  /** The table with PyTorch's default options (what `print(prof.key_averages())` shows). */
  override toString(): string {
    return buildTable(this);
  }
}

/** `profile`'s options (PyTorch's keyword arguments). */
export interface ProfileOptions {
  /** Record (default true); false makes the profile a no-op. */
  enabled?: boolean;
  /** Record each op call's argument shapes (default false). */
  recordShapes?: boolean;
  /** PyTorch's CUDA timing: tensorgrad has no CUDA (must be false). */
  useCuda?: boolean;
}

/** The profile being recorded, if any, with its stack of open events. */
let active: { prof: Profile; stack: FunctionEvent[] } | null = null;

function begin(name: string, shapes: number[][] | null): FunctionEvent | null {
  if (active === null) return null;
  const p = active.prof;
  const e = new FunctionEvent(p._events.length, name, now(), 0, shapes);
  const parent = active.stack[active.stack.length - 1];
  if (parent !== undefined) {
    e.cpuParent = parent;
    parent.appendCpuChild(e);
  }
  p._events.push(e);
  active.stack.push(e);
  return e;
}

function end(e: FunctionEvent | null): void {
  if (e === null || active === null) return;
  e.endUs = now();
  const i = active.stack.lastIndexOf(e);
  if (i >= 0) active.stack.length = i;
}

/** An argument's shape for recordShapes: a tensor's sizes, `[]` for anything else. */
const shapeOf = (v: unknown): number[] => (v instanceof Tensor ? v.shape.slice() : []);

/**
 * A profile (PyTorch's `torch.autograd.profiler.profile`): the events recorded between its
 * start and `exit()`, and their summaries.
 * @example
 * const prof = torch.autograd.profiler.profile(() => torch.ones(64, 64).matmul(torch.ones(64, 64)));
 * console.log(prof.keyAverages().table({ sortBy: "self_cpu_time_total", rowLimit: 5 }));
 */
export class Profile {
  /** @internal the events, in the order they started */
  readonly _events: FunctionEvent[] = [];
  private stopTracer: (() => void) | null = null;
  constructor(
    /** The options the profile was made with. */
    readonly options: ProfileOptions = {},
  ) {}
  /** Start recording (PyTorch's `__enter__`); returns this profile. */
  enter(): this {
    if (this.options.enabled === false) return this;
    if (this.options.useCuda === true)
      throw runtimeError(
        "tensorgrad has no CUDA device: profile({ useCuda: true }) cannot time CUDA kernels",
      );
    if (active !== null) throw runtimeError("Profiler is already enabled on this thread");
    const record = this.options.recordShapes === true;
    active = { prof: this, stack: [] };
    this.stopTracer = startOpTracer((name, _schema, forward, values) => {
      const e = begin(`aten::${name}`, record ? values.map(shapeOf) : null);
      try {
        return forward(...values);
      } finally {
        end(e);
      }
    });
    return this;
  }
  /** Stop recording (PyTorch's `__exit__`); the summaries are available from then on. */
  exit(): void {
    if (this.stopTracer === null) return;
    this.stopTracer();
    this.stopTracer = null;
    active = null;
  }
  /** `using prof = torch.autograd.profiler.profile()` stops at the end of the scope. */
  [Symbol.dispose](): void {
    this.exit();
  }
  /** Every recorded event, in the order they started (`function_events`, `events()`). */
  events(): EventList<FunctionEvent> {
    return EventList.from(this._events) as EventList<FunctionEvent>;
  }
  /** Events summed by key (`key_averages`). */
  keyAverages(groupByInputShape = false): EventList<FunctionEventAvg> {
    return this.events().keyAverages(groupByInputShape);
  }
  /** Every event summed (`total_average`). */
  totalAverage(): FunctionEventAvg {
    return this.events().totalAverage();
  }
  /** The summed self time in microseconds (`self_cpu_time_total`). */
  get selfCpuTimeTotal(): number {
    return this.events().selfCpuTimeTotal;
  }
  /** The table of the events themselves (`prof.table()`; keyAverages().table() is the usual). */
  table(opts: TableOptions = {}): string {
    return buildTable(this._events, opts);
  }
  /**
   * The events in Chrome's trace format (chrome://tracing, Perfetto) as JSON; written to
   * `path` in Node when given (PyTorch's `export_chrome_trace(path)`).
   */
  exportChromeTrace(path?: string): string {
    const trace = {
      traceEvents: this._events.map((e) => ({
        name: e.name,
        ph: "X",
        ts: e.startUs,
        dur: e.cpuTimeTotal,
        tid: 0,
        pid: "CPU functions",
        args: e.inputShapes === null ? {} : { "Input Dims": e.inputShapes },
      })),
    };
    const json = JSON.stringify(trace);
    if (path !== undefined) nodeFs().writeFileSync(path, json);
    return json;
  }
  /** What `print(prof)` shows: the table of the events. */
  toString(): string {
    return this.table();
  }
}

/**
 * torch.autograd.profiler.profile: with a function, run it recorded and return the profile;
 * without one, a started profile to `exit()` (or a `using` declaration).
 * @example
 * const prof = torch.autograd.profiler.profile(() => torch.randn(8, 8).relu().sum(), { recordShapes: true });
 * prof.keyAverages().table({ sortBy: "cpu_time_total" }).includes("aten::relu") // true
 */
export function profile(fn?: (() => unknown) | ProfileOptions, opts: ProfileOptions = {}): Profile {
  if (typeof fn !== "function") return new Profile(fn ?? {}).enter();
  const p = new Profile(opts).enter();
  try {
    fn();
  } finally {
    p.exit();
  }
  return p;
}

/** The guard of a recordFunction range: `exit()` closes it. */
export interface RecordFunctionGuard {
  /** Close the range. */
  exit(): void;
  /** `using` support: closes the range. */
  [Symbol.dispose](): void;
}

/**
 * torch.autograd.profiler.record_function(name): a named range in the profile around `fn`'s
 * calls (its result returned), or, without `fn`, a guard to `exit()`. Outside a profile it
 * only runs `fn`.
 * @example
 * const prof = torch.autograd.profiler.profile(() =>
 *   torch.autograd.profiler.recordFunction("my_block", () => torch.ones(2).exp()),
 * );
 * prof.events().map((e) => e.name).includes("my_block") // true
 */
export function recordFunction<T>(name: string, fn: () => T): T;
export function recordFunction(name: string): RecordFunctionGuard;
export function recordFunction<T>(name: string, fn?: () => T): T | RecordFunctionGuard {
  const e = begin(name, active?.prof.options.recordShapes === true ? [] : null);
  if (fn === undefined) {
    let done = false;
    const exit = (): void => {
      if (done) return;
      done = true;
      end(e);
    };
    return { exit, [Symbol.dispose]: exit };
  }
  try {
    return fn();
  } finally {
    end(e);
  }
}

/** torch.profiler.ProfilerActivity: what a profile records (CPU only here). */
export const ProfilerActivity = {
  /** CPU ops (tensorgrad's kernels). */
  CPU: "CPU",
  /** CUDA kernels: tensorgrad has no CUDA device, so nothing is recorded for it. */
  CUDA: "CUDA",
} as const;

/** torch.profiler.ProfilerAction: what the profile does at a step of its schedule. */
export const ProfilerAction = {
  /** Not recording. */
  NONE: "NONE",
  /** Getting ready (recording nothing yet). */
  WARMUP: "WARMUP",
  /** Recording. */
  RECORD: "RECORD",
  /** Recording; the window ends with this step and is handed to `onTraceReady`. */
  RECORD_AND_SAVE: "RECORD_AND_SAVE",
} as const;
/** One of ProfilerAction's values. */
export type ProfilerActionName = (typeof ProfilerAction)[keyof typeof ProfilerAction];

/** `schedule`'s arguments (keyword-only in PyTorch). */
export interface ScheduleOptions {
  /** Steps to idle at the start of each cycle. */
  wait: number;
  /** Steps to warm up before recording. */
  warmup: number;
  /** Steps to record. */
  active: number;
  /** Cycles (0: until the profile ends). */
  repeat?: number;
  /** Steps to skip before the first cycle. */
  skipFirst?: number;
}

/**
 * torch.profiler.schedule({ wait, warmup, active, repeat, skipFirst }): the action at each
 * step, as PyTorch's (skip, then cycles of wait, warmup and active steps, the last active step
 * saving the window).
 * @example torch.profiler.schedule({ wait: 1, warmup: 1, active: 2 })(3) // "RECORD_AND_SAVE"
 */
export function schedule(opts: ScheduleOptions): (step: number) => ProfilerActionName {
  const { wait, warmup, active: act } = opts;
  const repeat = opts.repeat ?? 0;
  const skipFirst = opts.skipFirst ?? 0;
  if (!(wait >= 0 && warmup >= 0 && act > 0 && repeat >= 0 && skipFirst >= 0))
    throw new Error("Invalid profiler schedule arguments");
  if (warmup === 0)
    console.warn("UserWarning: Profiler won't be using warmup, this can skew profiler results");
  return (step: number) => {
    if (step < skipFirst) return ProfilerAction.NONE;
    step -= skipFirst;
    const n = wait + warmup + act;
    if (repeat > 0 && step / n >= repeat) return ProfilerAction.NONE;
    const m = step % n;
    if (m < wait) return ProfilerAction.NONE;
    if (m < wait + warmup) return ProfilerAction.WARMUP;
    return m < n - 1 ? ProfilerAction.RECORD : ProfilerAction.RECORD_AND_SAVE;
  };
}

/** torch.profiler.profile's options (PyTorch's keyword arguments). */
export interface ProfilerOptions {
  /** What to record (default: CPU); CUDA records nothing here. */
  activities?: readonly string[];
  /** The action at each step (default: record every step). */
  schedule?: ((step: number) => ProfilerActionName) | null;
  /** Called with the profile at the end of each recorded window. */
  onTraceReady?: ((prof: ScheduledProfile) => void) | null;
  /** Record each op call's argument shapes. */
  recordShapes?: boolean;
}

const recording = (a: ProfilerActionName | null): boolean =>
  a === ProfilerAction.RECORD || a === ProfilerAction.RECORD_AND_SAVE;

/**
 * torch.profiler.profile: a profile driven by `step()` and a `schedule`, handing each recorded
 * window to `onTraceReady` (PyTorch's Kineto profiler; its summaries are the same).
 * @example
 * const prof = torch.profiler.profile({ schedule: torch.profiler.schedule({ wait: 0, warmup: 1, active: 1 }) });
 * for (let i = 0; i < 2; i++) { torch.ones(2).exp(); prof.step(); }
 * prof.exit();
 */
export class ScheduledProfile extends Profile {
  /** Steps taken (`step_num`). */
  stepNum = 0;
  /** The current step's action (`current_action`). */
  currentAction: ProfilerActionName | null;
  private readonly scheduleFn: (step: number) => ProfilerActionName;
  private stepRange: RecordFunctionGuard | null = null;
  constructor(
    /** The options the profile was made with (torch.profiler.profile's). */
    readonly profilerOptions: ProfilerOptions = {},
  ) {
    super({ recordShapes: profilerOptions.recordShapes ?? false });
    this.scheduleFn = profilerOptions.schedule ?? (() => ProfilerAction.RECORD);
    this.currentAction = this.scheduleFn(0);
  }
  override enter(): this {
    this.transit(ProfilerAction.NONE, this.currentAction);
    return this;
  }
  /** Start the next step: close the step's range, move to the schedule's next action. */
  step(): void {
    this.stepRange?.exit();
    this.stepRange = null;
    const prev = this.currentAction;
    this.stepNum += 1;
    this.currentAction = this.scheduleFn(this.stepNum);
    this.transit(prev, this.currentAction);
  }
  override exit(): void {
    this.stepRange?.exit();
    this.stepRange = null;
    this.transit(this.currentAction, null);
  }
  private transit(prev: ProfilerActionName | null, next: ProfilerActionName | null): void {
    const wasRecording = recording(prev);
    if (wasRecording && (prev === ProfilerAction.RECORD_AND_SAVE || next === null)) {
      // the window ends: stop, hand it over; the next window starts with no events
      super.exit();
      this.profilerOptions.onTraceReady?.(this);
      if (recording(next)) this.restart();
    } else if (wasRecording && !recording(next)) {
      super.exit();
    } else if (!wasRecording && recording(next)) this.restart();
    // PyTorch's ProfilerStep#N range, listed under the name its events carry, ProfilerStep*
    if (recording(next) && this.profilerOptions.schedule != null)
      this.stepRange = recordFunction("ProfilerStep*");
  }
  private restart(): void {
    this._events.length = 0;
    super.enter();
  }
}

/**
 * torch.profiler.profile(fn?, { activities, schedule, onTraceReady, recordShapes }): with a
 * function, run it recorded and return the profile; without one, a started profile to drive
 * with `step()` and `exit()`.
 * @example
 * const prof = torch.profiler.profile(() => torch.ones(4).exp(), { activities: [torch.profiler.ProfilerActivity.CPU] });
 * prof.keyAverages().some((e) => e.key === "aten::exp") // true
 */
export function profilerProfile(
  fn?: (() => unknown) | ProfilerOptions,
  opts: ProfilerOptions = {},
): ScheduledProfile {
  if (typeof fn !== "function") return new ScheduledProfile(fn ?? {}).enter();
  const p = new ScheduledProfile(opts).enter();
  try {
    fn();
  } finally {
    p.exit();
  }
  return p;
}
