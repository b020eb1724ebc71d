/**
 * torch.nn.utils.weight_norm and spectral_norm (the hook-based forms of PyTorch 1.13,
 * torch/nn/utils/weight_norm.py and spectral_norm.py): the parameter `name` is replaced by
 * others it is recomputed from by a forward pre-hook before every call.
 *
 * weight_norm:   w = g * v / ||v||, the norm over every dim but `dim` (PyTorch's
 *                norm_except_dim); parameters `<name>_g` (the norms) and `<name>_v`.
 * spectral_norm: w = w_orig / sigma, sigma the largest singular value of w_orig seen as a
 *                matrix (dim `dim` first), estimated by power iteration on buffers `<name>_u`,
 *                `<name>_v` (drawn from the generator as PyTorch draws them, so after
 *                `torch.manualSeed` they are PyTorch's) in training mode.
 */
import type { Tensor } from "../tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { runtimeError, valueError } from "../errors.js";
import { dot, mv } from "../generated/functions.js";
import { Module, type ForwardPreHook } from "./module.js";
import { Parameter } from "./parameter.js";
import { normalize } from "./functional.js";
import { ConvTranspose1d, ConvTranspose2d } from "./conv-layers.js";

/** A forward pre-hook carrying what it implements (PyTorch finds its hooks by class). */
type TaggedHook = ForwardPreHook & { weightNorm?: WeightNorm; spectralNorm?: SpectralNorm };

function isUninitialized(t: unknown): boolean {
  return (t as object | null)?.constructor?.name === "UninitializedParameter";
}

function field(m: Module, name: string): unknown {
  return (m as unknown as Record<string, unknown>)[name];
}

function setField(m: Module, name: string, v: unknown): void {
  (m as unknown as Record<string, unknown>)[name] = v;
}

/**
 * ATen's norm_except_dim(v, pow, dim): the `pow`-norm over every dim but `dim`, shaped to
 * broadcast against v (dim -1: the norm of the whole tensor).
 */
export function normExceptDim(v: Tensor, pow: number, dim: number): Tensor {
  if (dim === -1) return v.norm(pow);
  if (dim === 0) {
    const shape = v.shape.map((s, i) => (i === 0 ? s : 1));
    return v.contiguous().view([v.shape[0], -1]).norm(pow, 1).view(shape);
  }
  if (dim === v.dim() - 1) {
    const shape = v.shape.map((s, i) => (i === dim ? s : 1));
    return v.contiguous().view([-1, v.shape[dim]]).norm(pow, 0).view(shape);
  }
  return normExceptDim(v.transpose(0, dim), pow, 0).transpose(0, dim);
}

/** PyTorch's WeightNorm hook object. */
class WeightNorm {
  constructor(
    readonly name: string,
    readonly dim: number,
  ) {}

  /** ATen's _weight_norm on the CPU: v * (g / norm_except_dim(v, 2, dim)). */
  computeWeight(m: Module): Tensor {
    const g = field(m, `${this.name}_g`) as Tensor;
    const v = field(m, `${this.name}_v`) as Tensor;
    return v.mul(g.div(normExceptDim(v, 2, this.dim)));
  }

  remove(m: Module): void {
    const w = this.computeWeight(m);
    m.deleteAttr(this.name);
    m.deleteAttr(`${this.name}_g`);
    m.deleteAttr(`${this.name}_v`);
    m.registerParameter(this.name, new Parameter(w.detach()));
  }
}

/**
 * Reparametrise `module[name]` as g * v / ||v|| (torch.nn.utils.weight_norm): parameters
 * `<name>_g` and `<name>_v` replace it, and a forward pre-hook recomputes it before each call.
 * `dim` is the dim kept by the norm (null: the norm of the whole tensor).
 * @example
 * const m = torch.nn.utils.weightNorm(new torch.nn.Linear(20, 40));
 * m.namedParameters().map(([n]) => n); // ["bias", "weight_g", "weight_v"]
 */
export function weightNorm<M extends Module>(
  module: M,
  name: string | { name?: string; dim?: number | null } = "weight",
  dim: number | null = 0,
): M {
  if (typeof name === "object") ({ name = "weight", dim = 0 } = name);
  for (const h of module._forwardPreHooks() as TaggedHook[]) {
    if (h.weightNorm !== undefined && h.weightNorm.name === name)
      throw runtimeError(`Cannot register two weight_norm hooks on the same parameter ${name}`);
  }
  const d = dim === null ? -1 : dim;
  const fn = new WeightNorm(name, d);
  const weight = field(module, name) as Tensor;
  if (isUninitialized(weight))
    throw valueError(
      "The module passed to `WeightNorm` can't have uninitialized parameters. Make sure to run the dummy forward before applying weight normalization",
    );
  module.deleteAttr(name);
  module.registerParameter(`${name}_g`, new Parameter(noGrad(() => normExceptDim(weight, 2, d))));
  module.registerParameter(`${name}_v`, new Parameter(weight.detach()));
  setField(module, name, fn.computeWeight(module));
  const hook: TaggedHook = (m) => {
    setField(m, fn.name, fn.computeWeight(m));
    return undefined;
  };
  hook.weightNorm = fn;
  module.registerForwardPreHook(hook);
  return module;
}

/**
 * Undo weightNorm: `module[name]` becomes a Parameter holding g * v / ||v|| again.
 * @example
 * const m = torch.nn.utils.weightNorm(new torch.nn.Linear(2, 2));
 * torch.nn.utils.removeWeightNorm(m); // weight is a Parameter again
 */
export function removeWeightNorm<M extends Module>(module: M, name = "weight"): M {
  const hooks = module._forwardPreHooks() as TaggedHook[];
  const i = hooks.findIndex((h) => h.weightNorm !== undefined && h.weightNorm.name === name);
  if (i < 0) throw valueError(`weight_norm of '${name}' not found in ${String(module)}`);
  hooks[i].weightNorm!.remove(module);
  hooks.splice(i, 1);
  return module;
}

/** PyTorch's SpectralNorm hook object. */
class SpectralNorm {
  constructor(
    readonly name: string,
    readonly nPowerIterations: number,
    readonly dim: number,
    readonly eps: number,
  ) {
    if (nPowerIterations <= 0)
      throw valueError(
        `Expected n_power_iterations to be positive, but got n_power_iterations=${nPowerIterations}`,
      );
  }

  /** The weight as a matrix with dim `dim` first. */
  reshapeWeightToMatrix(weight: Tensor): Tensor {
    let w = weight;
    if (this.dim !== 0) {
      const rest = Array.from({ length: w.dim() }, (_, d) => d).filter((d) => d !== this.dim);
      w = w.permute([this.dim, ...rest]);
    }
    return w.reshape([w.shape[0], -1]);
  }

  /**
   * w_orig / sigma, sigma = u . (W v); with `doPowerIteration`, first v <- normalize(W^T u),
   * u <- normalize(W v) (n times, in place in the buffers), then u and v cloned, as PyTorch.
   */
  computeWeight(m: Module, doPowerIteration: boolean): Tensor {
    const weight = field(m, `${this.name}_orig`) as Tensor;
    let u = field(m, `${this.name}_u`) as Tensor;
    let v = field(m, `${this.name}_v`) as Tensor;
    const wm = this.reshapeWeightToMatrix(weight);
    if (doPowerIteration) {
      noGrad(() => {
        for (let i = 0; i < this.nPowerIterations; i++) {
          v.copy_(normalize(mv(wm.t(), u), 2, 0, this.eps));
          u.copy_(normalize(mv(wm, v), 2, 0, this.eps));
        }
        u = u.clone();
        v = v.clone();
      });
    }
    const sigma = dot(u, mv(wm, v));
    return weight.div(sigma);
  }

  remove(m: Module): void {
    const w = noGrad(() => this.computeWeight(m, false));
    m.deleteAttr(this.name);
    m.deleteAttr(`${this.name}_u`);
    m.deleteAttr(`${this.name}_v`);
    m.deleteAttr(`${this.name}_orig`);
    m.registerParameter(this.name, new Parameter(w.detach()));
  }
}

/** Options of spectralNorm (PyTorch's keywords). */
export interface SpectralNormOptions {
  /** The parameter to normalise (default "weight"). */
  name?: string;
  /** Power iterations per forward (default 1). */
  nPowerIterations?: number;
  /** A small value for numerical stability (default 1e-12). */
  eps?: number;
  /** The dim of the output channels (default 0). */
  dim?: number | null;
}

/**
 * Spectral normalisation (torch.nn.utils.spectral_norm): `module[name]` becomes
 * `<name>_orig / sigma`, sigma estimated by `nPowerIterations` power-iteration steps per
 * training-mode call. Adds the parameter `<name>_orig` and the buffers `<name>_u`, `<name>_v`
 * (drawn as PyTorch draws them). `dim` defaults to 1 for transposed convolutions, else 0.
 * @example
 * torch.manualSeed(0);
 * const m = torch.nn.utils.spectralNorm(new torch.nn.Linear(20, 40));
 * Object.keys(m.stateDict()); // ["bias", "weight_orig", "weight_u", "weight_v"]
 */
export function spectralNorm<M extends Module>(
  module: M,
  name: string | SpectralNormOptions = "weight",
  nPowerIterations = 1,
  eps = 1e-12,
  dim: number | null = null,
): M {
  if (typeof name === "object")
    ({ name = "weight", nPowerIterations = 1, eps = 1e-12, dim = null } = name);
  const d = dim ?? (module instanceof ConvTranspose1d || module instanceof ConvTranspose2d ? 1 : 0);
  for (const h of module._forwardPreHooks() as TaggedHook[]) {
    if (h.spectralNorm !== undefined && h.spectralNorm.name === name)
      throw runtimeError(`Cannot register two spectral_norm hooks on the same parameter ${name}`);
  }
  const fn = new SpectralNorm(name, nPowerIterations, d, eps);
  const registered = module.namedParameters("", false).some(([n]) => n === name);
  const weight = registered ? (field(module, name) as Parameter | null) : null;
  if (weight === null || weight === undefined)
    throw valueError(`\`SpectralNorm\` cannot be applied as parameter \`${name}\` is None`);
  if (isUninitialized(weight))
    throw valueError(
      "The module passed to `SpectralNorm` can't have uninitialized parameters. Make sure to run the dummy forward before applying spectral normalization",
    );
  const [u, v] = noGrad(() => {
    const wm = fn.reshapeWeightToMatrix(weight);
    const [h, w] = wm.shape;
    return [
      normalize(weight.newEmpty([h]).normal_(0, 1), 2, 0, fn.eps),
      normalize(weight.newEmpty([w]).normal_(0, 1), 2, 0, fn.eps),
    ];
  });
  module.deleteAttr(name);
  module.registerParameter(`${name}_orig`, weight);
  setField(module, name, weight.detach());
  module.registerBuffer(`${name}_u`, u);
  module.registerBuffer(`${name}_v`, v);
  const hook: TaggedHook = (m) => {
    setField(m, fn.name, fn.computeWeight(m, m.training));
    return undefined;
  };
  hook.spectralNorm = fn;
  module.registerForwardPreHook(hook);
  return module;
}

/**
 * Undo spectralNorm: `module[name]` becomes a Parameter holding w_orig / sigma (no power
 * iteration).
 * @example
 * const m = torch.nn.utils.spectralNorm(new torch.nn.Linear(2, 2));
 * torch.nn.utils.removeSpectralNorm(m); // weight is a Parameter again

 */
export function removeSpectralNorm<M extends Module>(module: M, name = "weight"): M {
  const hooks = module._forwardPreHooks() as TaggedHook[];
  const i = hooks.findIndex((h) => h.spectralNorm !== undefined && h.spectralNorm.name === name);
  if (i < 0) throw valueError(`spectral_norm of '${name}' not found in ${String(module)}`);
  hooks[i].spectralNorm!.remove(module);
  hooks.splice(i, 1);
  return module;
}
