/**
 * torch.optim.Optimizer: parameter groups, per-parameter state, zeroGrad, state dicts.
 */
import { Tensor } from "../tensor.js";
import { numelOf } from "../shape.js";
import { float32, float64 } from "../dtype.js";
import { enableGrad, noGrad } from "../autograd/grad-mode.js";
import { contiguousData, wrap } from "../ops/core.js";
import { writeInto } from "../ops/inplace.js";
import { zeroGradOf } from "../nn/module.js";
import { F32, F64, type Arith } from "../backend/optim.js";
import { notImplementedError, runtimeError, valueError } from "../errors.js";

/** A parameter group: its parameters and its options (lr, momentum, ...). */
export interface ParamGroup {
  /** The group's parameters. */
  params: Tensor[];
  /** The learning rate. */
  lr: number;
  [option: string]: unknown;
}

/** A parameter group as given to an optimizer: `params` and any options to override. */
export type ParamGroupInput = {
  /** The group's parameters (a tensor or an iterable of them). */
  params: Iterable<Tensor> | Tensor;
} & Record<string, unknown>;

/** What optimizers take: parameters, or parameter groups. */
export type Params = Iterable<Tensor> | Iterable<ParamGroupInput>;

/**
 * Per-parameter optimizer state, keyed as PyTorch keys it (`momentum_buffer`, `exp_avg`,
 * `exp_avg_sq`, `max_exp_avg_sq`, `step`, `sum`, `square_avg`, ...): the keys are data, like a
 * module's buffer names, so a state dict means the same thing in both libraries.
 */
export type ParamState = Record<string, unknown>;

/**
 * An optimizer's state dict in PyTorch's format: `state` keyed by integer parameter ids (the
 * parameters numbered in group order), and `param_groups` with PyTorch's snake_case option
 * names and `params` as those ids.
 */
export interface OptimizerStateDict {
  /** Each parameter's state, keyed by its id (its position counting through the groups). */
  state: Record<number, ParamState>;
  /** The groups' options (snake_case names), with their parameters as ids. */
  param_groups: (Record<string, unknown> & {
    /** The ids of the group's parameters. */
    params: number[];
  })[];
}

/**
 * The format tensorgrad 0.1's `stateDict()` produced (documented in its README): camelCase
 * state and option keys under `paramGroups`. `loadStateDict` still accepts it.
 */
export interface LegacyOptimizerStateDict {
  /** Each parameter's state (camelCase keys), keyed by its id. */
  state: Record<number, ParamState>;
  /** The groups' options (camelCase names), with their parameters as ids. */
  paramGroups: (Record<string, unknown> & {
    /** The ids of the group's parameters. */
    params: number[];
  })[];
}

/** camelCase → snake_case (`weightDecay` → `weight_decay`, `initialLr` → `initial_lr`). */
export function snakeCase(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** snake_case → camelCase (`weight_decay` → `weightDecay`; a leading `_` stays). */
export function camelCase(k: string): string {
  return k.replace(/(?<=[A-Za-z0-9])_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Marker for options without a default (PyTorch's `required`, e.g. SGD's lr). */
export const required: unique symbol = Symbol("required");

function typeName(v: unknown): string {
  if (v instanceof Tensor) return v.dtype.tensorTypeName;
  if (v === null || v === undefined) return "NoneType";
  return typeof v;
}

/**
 * Base class of the optimizers (torch.optim.Optimizer).
 * @example
 * const model = new torch.nn.Linear(3, 1);
 * const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * const loss = model.call(torch.randn(8, 3)).pow(2).mean();
 * opt.zeroGrad(); loss.backward(); opt.step();
 */
export abstract class Optimizer {
  /** the default options of new parameter groups */
  defaults: Record<string, unknown>;
  /** the parameter groups (change `lr` here to adjust the learning rate) */
  paramGroups: ParamGroup[] = [];
  /** per-parameter state */
  state: Map<Tensor, ParamState> = new Map();
  /** number of `step()` calls (used by the schedulers' ordering warning) */
  _stepCount = 0;

  constructor(params: Params | Tensor, defaults: Record<string, unknown>) {
    this.defaults = defaults;
    if (params instanceof Tensor) {
      throw new TypeError(
        `params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${typeName(params)}`,
      );
    }
    const list = Array.from(params as Iterable<Tensor | ParamGroupInput>);
    if (list.length === 0) throw valueError("optimizer got an empty parameter list");
    const groups: ParamGroupInput[] =
      list[0] instanceof Tensor ? [{ params: list as Tensor[] }] : (list as ParamGroupInput[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /**
   * Add a parameter group (options not given take the optimizer's defaults).
   * @example
   * const [body, head] = [new torch.nn.Linear(4, 4), new torch.nn.Linear(4, 1)];
   * const opt = new torch.optim.SGD(body.parameters(), { lr: 0.1 });
   * opt.addParamGroup({ params: head.parameters(), lr: 0.01 });
   * opt.paramGroups.length; // 2
   */
  addParamGroup(group: ParamGroupInput): void {
    if (group === null || typeof group !== "object" || !("params" in group))
      throw new TypeError(`param group must be a dict`);
    const ps = group.params;
    let params: Tensor[];
    if (ps instanceof Tensor) params = [ps];
    else if (ps instanceof Set) {
      throw new TypeError(
        "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.",
      );
    } else params = Array.from(ps);
    for (const p of params) {
      if (!(p instanceof Tensor))
        throw new TypeError(
          `optimizer can only optimize Tensors, but one of the params is ${typeName(p)}`,
        );
      if (!p.isLeaf) throw valueError("can't optimize a non-leaf Tensor");
    }
    const g: ParamGroup = { ...(group as Record<string, unknown>), params } as ParamGroup;
    for (const [name, dflt] of Object.entries(this.defaults)) {
      if (dflt === required && !(name in group))
        throw valueError(
          `parameter group didn't specify a value of required optimization parameter ${name}`,
        );
      if (!(name in g)) g[name] = Array.isArray(dflt) ? dflt.slice() : dflt;
    }
    if (new Set(params).size !== params.length)
      console.warn(
        "UserWarning: optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
      );
    const seen = new Set<Tensor>();
    for (const og of this.paramGroups) for (const p of og.params) seen.add(p);
    if (params.some((p) => seen.has(p)))
      throw valueError("some parameters appear in more than one parameter group");
    this.paramGroups.push(g);
  }

  /**
   * Reset the gradients of every parameter: zero them (PyTorch 1.13's default) or set them to
   * null with `{ setToNone: true }`.
   * @example const opt = new torch.optim.SGD(new torch.nn.Linear(2, 1).parameters(), { lr: 0.1 }); opt.zeroGrad({ setToNone: true }); opt.paramGroups[0].params[0].grad // null
   */
  zeroGrad(opts: { setToNone?: boolean } | boolean = {}): void {
    const setToNone = typeof opts === "boolean" ? opts : (opts.setToNone ?? false);
    for (const g of this.paramGroups) for (const p of g.params) zeroGradOf(p, setToNone);
  }

  /**
   * One optimization step; `closure` (re-evaluating the loss) runs with grad enabled and its
   * result is returned.
   * @example
   * const w = torch.ones(2, { requiresGrad: true });
   * const opt = new torch.optim.SGD([w], { lr: 0.1 });
   * w.pow(2).sum().backward();
   * opt.step(); // w: tensor([0.8000, 0.8000], requires_grad=True)

   */
  step(closure?: () => Tensor | number): Tensor | number | undefined {
    if (!this.deviceSteps) this._checkNoDeviceParams();
    this._stepCount++;
    let loss: Tensor | number | undefined;
    if (closure !== undefined) loss = enableGrad(closure);
    noGrad(() => {
      for (const group of this.paramGroups) {
        // PyTorch's dense optimizers test each gradient before updating the group
        const msg = this._sparseGradError();
        if (msg !== null)
          for (const p of group.params) if (p._grad?.isSparse) throw runtimeError(msg);
        this._updateGroup(group);
      }
    });
    return loss;
  }

  /**
   * The error a step raises for a sparse gradient (PyTorch's "<Name> does not support sparse
   * gradients"), or null for the optimizers that take them (SGD, Adagrad, SparseAdam).
   */
  protected _sparseGradError(): string | null {
    return `${this.constructor.name} does not support sparse gradients`;
  }

  /**
   * Whether `_updateGroup` updates parameters on the WebGPU device (SGD, Adam, AdamW); the
   * others' steps read parameter values on the CPU (Note [device dispatch] in ops/webgpu.ts).
   */
  protected readonly deviceSteps: boolean = false;

  /** The error of a step over WebGPU parameters by an optimizer without a device step. */
  protected _checkNoDeviceParams(): void {
    for (const g of this.paramGroups)
      for (const p of g.params)
        if (p.isWebgpu)
          throw notImplementedError(
            `${this.constructor.name}.step(): a parameter is on the webgpu device; tensorgrad's webgpu device implements the steps of SGD, Adam and AdamW (move the parameters to the CPU with \`await t.cpu()\` to use ${this.constructor.name})`,
          );
  }

  /** Apply the update rule to one group (subclasses). */
  protected abstract _updateGroup(group: ParamGroup): void;

  /**
   * The state dict in PyTorch's format: `{ state: { 0: { exp_avg: ..., step: ... }, ... },
   * param_groups: [{ lr, weight_decay, ..., params: [0, 1] }] }`. Like PyTorch's, the state
   * tensors are the optimizer's own (not copies).
   * @example
   * const model = new torch.nn.Linear(2, 1);
   * const opt = new torch.optim.Adam(model.parameters());
   * const other = new torch.optim.Adam(model.parameters());
   * const saved = opt.stateDict(); other.loadStateDict(saved);
   */
  stateDict(): OptimizerStateDict {
    const mapping = new Map<Tensor, number>();
    let start = 0;
    const groups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== "params") packed[snakeCase(k)] = v;
      g.params.forEach((p, i) => {
        if (!mapping.has(p)) mapping.set(p, start + i);
      });
      packed.params = g.params.map((p) => mapping.get(p) as number);
      start += g.params.length;
      return packed as Record<string, unknown> & { params: number[] };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const idx = mapping.get(p);
      if (idx !== undefined) state[idx] = { ...s };
    }
    return { state, param_groups: groups };
  }

  /**
   * Load a state dict in PyTorch's format (or tensorgrad 0.1's camelCase one): deep-copied,
   * floating state tensors cast to their parameter's dtype except `step`, as PyTorch's
   * `load_state_dict`.
   * @example
   * const model = new torch.nn.Linear(2, 1);
   * const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
   * const saved = opt.stateDict(); // { state: {}, param_groups: [{ lr: 0.1, momentum: 0.9, ..., params: [0, 1] }] }
   * opt.loadStateDict(saved);

   */
  loadStateDict(sd: OptimizerStateDict | LegacyOptimizerStateDict): void {
    const legacy = !("param_groups" in sd) && "paramGroups" in sd;
    const saved = legacy
      ? (sd as LegacyOptimizerStateDict).paramGroups
      : (sd as OptimizerStateDict).param_groups;
    const groups = this.paramGroups;
    if (groups.length !== saved.length)
      throw valueError("loaded state dict has a different number of parameter groups");
    if (groups.some((g, i) => g.params.length !== saved[i].params.length))
      throw valueError(
        "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
      );
    const idMap = new Map<number, Tensor>();
    saved.forEach((sg, i) => sg.params.forEach((idx, j) => idMap.set(idx, groups[i].params[j])));
    // PyTorch's _cast: floating tensors take the parameter's dtype, except `step`
    const cast = (param: Tensor, value: unknown, key: string): unknown => {
      if (value instanceof Tensor) {
        const v = value.detach();
        if (key !== "step" && param.dtype.isFloatingPoint && v.dtype.isFloatingPoint)
          return wrap(castCopy(v, param), v.shape.slice(), param.dtype);
        return v.clone();
      }
      if (Array.isArray(value)) return value.map((x) => cast(param, x, key));
      return value;
    };
    this.state = new Map();
    for (const [k, v] of Object.entries(sd.state)) {
      const param = idMap.get(Number(k));
      if (param === undefined) continue;
      const st: ParamState = {};
      for (const [key, val] of Object.entries(v)) {
        const name = legacy ? snakeCase(key) : key;
        st[name] = cast(param, val, name);
      }
      this.state.set(param, st);
    }
    this.paramGroups = groups.map((g, i) => {
      const next: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(saved[i]))
        if (k !== "params") next[legacy ? k : camelCase(k)] = Array.isArray(v) ? v.slice() : v;
      next.params = g.params;
      return next as ParamGroup;
    });
  }

  /**
   * Options whose PyTorch defaults are integral Python floats (Adadelta's `lr=1.0`, ASGD's
   * `t0=1e6`): at that value `toString` prints them with a `.0`, as PyTorch's repr does; other
   * integral numbers print as Python ints (JavaScript has one number type).
   */
  protected _floatDefaults: Readonly<Record<string, number>> = {};

  /**
   * The class name and each group's options under PyTorch's names, sorted, as PyTorch's repr.
   * @example String(new torch.optim.Adam(new torch.nn.Linear(2, 1).parameters())) // "Adam (\nParameter Group 0\n    amsgrad: False\n ..."
   */
  toString(): string {
    let s = `${this.constructor.name} (`;
    this.paramGroups.forEach((g, i) => {
      s += `\nParameter Group ${i}\n`;
      const keys = Object.keys(g).filter((k) => k !== "params");
      const names = new Map(keys.map((k) => [snakeCase(k), k]));
      for (const name of [...names.keys()].sort()) {
        const k = names.get(name) as string;
        s += `    ${name}: ${formatOption(g[k], this._floatDefaults[k] === g[k])}\n`;
      }
    });
    return `${s})`;
  }
}

/** A number as Python's repr prints a float: shortest digits, exponent below 1e-4 or from 1e16. */
export function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  const [mant, ex] = v.toExponential().split("e");
  const exp = Number(ex);
  if (exp < -4 || exp >= 16)
    return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  const fixed = String(v);
  return Number.isInteger(v) ? `${fixed}.0` : fixed;
}

function formatOption(v: unknown, isFloat = false): string {
  if (typeof v === "boolean") return v ? "True" : "False";
  if (v === null || v === undefined) return "None";
  if (Array.isArray(v)) return `(${v.map((x) => formatOption(x, isFloat)).join(", ")})`;
  if (typeof v === "number")
    return Number.isInteger(v) && !isFloat && Math.abs(v) < 1e16 ? String(v) : pyFloatRepr(v);
  return String(v);
}

function castCopy(v: Tensor, like: Tensor): Float32Array | Float64Array {
  return noGrad(
    () => v.to(like.dtype).contiguous().clone().typedArray as Float32Array | Float64Array,
  );
}

/** The arithmetic of a parameter's dtype. */
export function arithOf(p: Tensor): Arith {
  return p.dtype === float64 ? F64 : F32;
}

/**
 * Run an in-place update on a parameter's values: `fn(data, offset)` over a contiguous view
 * (the parameter's own storage when it is contiguous, else a copy written back), then bump
 * its version counter as PyTorch's in-place ops do.
 */
export function updateParam(
  p: Tensor,
  fn: (data: Float32Array | Float64Array, offset: number) => void,
): void {
  if (p.isContiguous()) {
    fn(p.typedArray as Float32Array | Float64Array, p.offset);
  } else {
    const { data, offset } = contiguousData(p);
    const copy = data.slice(offset, offset + p.numel()) as Float32Array | Float64Array;
    fn(copy, 0);
    writeInto(p, wrap(copy, p.shape.slice(), p.dtype));
  }
  p._version.value++;
}

/** The first n elements of a contiguous float tensor's storage, from its offset (no copy). */
export const floatView = (t: Tensor, n: number): Float32Array | Float64Array =>
  t.typedArray.subarray(t.offset, t.offset + n) as Float32Array | Float64Array;

/** A gradient's values as a contiguous array in the parameter's dtype. */
export function gradData(
  p: Tensor,
  g: Tensor,
): { data: Float32Array | Float64Array; offset: number } {
  const src = g.dtype === p.dtype ? g : noGrad(() => g.to(p.dtype));
  const { data, offset } = contiguousData(src);
  return { data: data as Float32Array | Float64Array, offset };
}

/** A zero-filled state buffer shaped like the parameter (contiguous). */
export function zerosLikeParam(p: Tensor, fill = 0): Tensor {
  const t = wrap(new p.dtype.ArrayType(p.numel()), p.shape.slice(), p.dtype);
  if (fill !== 0) t.typedArray.fill(fill);
  return t;
}

/** A 0-dim float32 tensor holding `v` (PyTorch's `torch.tensor(0.)` step counters). */
export function scalarTensor(v: number): Tensor {
  const t = wrap(new Float32Array(1), [], float32);
  t.typedArray[0] = v;
  return t;
}

/**
 * Constructor arguments of an optimizer: the options object, or PyTorch's positional arguments
 * after `params` (e.g. `new NAdam(params, 0.01, [0.9, 0.99])`), optionally followed by the
 * options object for the rest.
 */
export type OptimArgs<O> = [options?: O] | [lr: number | undefined, ...rest: unknown[]];

/**
 * The options of an optimizer given as `OptimArgs`: positional values take `names` in order
 * (PyTorch's parameter order after `params`, camelCased); a trailing plain object supplies the
 * rest by name. A value given both ways is PyTorch's "got multiple values" TypeError.
 */
export function optimOptions<O extends object>(
  cls: string,
  args: readonly unknown[],
  names: readonly string[],
): O {
  const isOptions = (v: unknown): boolean =>
    v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Tensor);
  let positional = args;
  let opts: Record<string, unknown> = {};
  if (args.length > 0 && isOptions(args[args.length - 1])) {
    opts = { ...(args[args.length - 1] as Record<string, unknown>) };
    positional = args.slice(0, -1);
  }
  if (positional.length > names.length)
    throw new TypeError(
      `${cls}.__init__() takes from 2 to ${names.length + 2} positional arguments but ${positional.length + 2} were given`,
    );
  positional.forEach((v, i) => {
    if (v === undefined) return;
    if (names[i] in opts && opts[names[i]] !== undefined)
      throw new TypeError(`${cls}.__init__() got multiple values for argument '${names[i]}'`);
    opts[names[i]] = v;
  });
  return opts as O;
}

/**
 * A sparse gradient coalesced (PyTorch's `grad.coalesce()`, which the non-linear sparse updates
 * need: indices must be unique) and read as rows of the parameter: `rows[k]` is entry k's
 * position over the sparse dims (row-major), `vals` its block of `block` values from `valOff +
 * k * block`, in the parameter's dtype.
 */
export function sparseGradRows(
  p: Tensor,
  grad: Tensor,
): { rows: number[]; vals: Float32Array | Float64Array; valOff: number; block: number } {
  const c = grad.coalesce();
  const ind = c._indices();
  const sd = ind.shape[0];
  const nnz = ind.shape[1];
  const id = contiguousData(ind);
  const rows: number[] = [];
  for (let k = 0; k < nnz; k++) {
    let lin = 0;
    for (let d = 0; d < sd; d++) lin = lin * p.shape[d] + id.data[id.offset + d * nnz + k];
    rows.push(lin);
  }
  const v = gradData(p, c._values());
  return { rows, vals: v.data, valOff: v.offset, block: numelOf(p.shape.slice(sd)) };
}
