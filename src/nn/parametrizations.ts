/**
 * torch.nn.utils.parametrizations (PyTorch 1.13): `orthogonal` and `spectralNorm` as
 * parametrizations (see parametrize.ts), with PyTorch's maps and power iteration.
 */
import { Tensor } from "../tensor.js";
import { noGrad } from "../autograd/grad-mode.js";
import { indexError, notImplementedError, valueError } from "../errors.js";
import { cat } from "../ops/views.js";
import { allclose, dot, eye, geqrf, matrixExp, mv, randn } from "../generated/functions.js";
import { solve } from "../generated/linalg.js";
import { Module } from "./module.js";
import { normalize } from "./functional.js";
import { ConvTranspose1d, ConvTranspose2d } from "./conv-layers.js";
import { registerParametrization } from "./parametrize.js";

const sizeStr = (shape: readonly number[]): string => `torch.Size([${shape.join(", ")}])`;

/** The transpose of the last two dims (PyTorch's `.mT`; real tensors, so also `.mH`). */
const mT = (x: Tensor): Tensor => x.transpose(-2, -1);

/**
 * LAPACK's orgqr (torch.linalg.householder_product) as a composition: the first k columns of
 * H_0 H_1 ... H_{k-1}, H_i = I - tau_i v_i v_i^T, v_i = (0, ..., 0, 1, A[i+1:, i]). Written
 * with differentiable ops, so the householder map of `orthogonal` has gradients.
 */
export function householderProduct(a: Tensor, tau: Tensor): Tensor {
  const n = a.shape[a.dim() - 2];
  const k = tau.shape[tau.dim() - 1];
  const batch = a.shape.slice(0, -2);
  const opts = { dtype: a.dtype };
  let q = eye(n, opts).expand([...batch, n, n]);
  const rows = Array.from({ length: n }, (_, r) => r);
  for (let i = k - 1; i >= 0; i--) {
    // v_i: 1 at row i, A's entries below it, zeros above
    const mask = noGrad(() => eyeColumn(n, rows, (r) => (r > i ? 1 : 0), a));
    const unit = noGrad(() => eyeColumn(n, rows, (r) => (r === i ? 1 : 0), a));
    const v = a.select(-1, i).mul(mask).add(unit); // [..., n]
    const t = tau.select(-1, i).unsqueeze(-1).unsqueeze(-1);
    // H_i Q = Q - tau v (v^T Q), applied from the last reflector to the first
    const vq = v.unsqueeze(-2).matmul(q); // [..., 1, n]
    q = q.sub(t.mul(v.unsqueeze(-1).matmul(vq)));
  }
  return q.narrow(-1, 0, k);
}

/** A length-n vector of `f(row)` in a's dtype. */
function eyeColumn(n: number, rows: number[], f: (r: number) => number, like: Tensor): Tensor {
  const t = like.newZeros([n]);
  rows.forEach((r) => {
    const v = f(r);
    if (v !== 0) t.typedArray[t.offset + r] = v;
  });
  return t;
}

/** PyTorch's _is_orthogonal: Q^T Q close to I within 10 n eps. */
function isOrthogonal(q: Tensor): boolean {
  const n = q.shape[q.dim() - 2];
  const k = q.shape[q.dim() - 1];
  const id = eye(k, { dtype: q.dtype });
  const eps = 10 * n * (q.dtype.name === "float64" ? 2.220446049250313e-16 : 1.1920928955078125e-7);
  return allclose(mT(q).matmul(q), id, { atol: eps });
}

/** PyTorch's _make_orthogonal: Q of A's QR, columns signed so that R's diagonal is positive. */
function makeOrthogonal(a: Tensor): Tensor {
  const r = geqrf(a) as unknown as Record<number, Tensor>;
  const [x, tau] = [r[0], r[1]];
  const q = householderProduct(x, tau);
  return q.mul(x.diagonal(0, -2, -1).sgn().unsqueeze(-2));
}

type OrthMap = "matrix_exp" | "cayley" | "householder";

/** PyTorch's _Orthogonal parametrization. */
class _Orthogonal extends Module {
  declare shape: number[];
  /** "matrix_exp", "cayley" or "householder" (default: by the matrix's shape). */
  declare orthogonalMap: OrthMap;
  declare base?: Tensor | null;

  constructor(weight: Tensor, orthogonalMap: OrthMap, useTrivialization = true) {
    super();
    Object.defineProperty(this, "shape", { value: weight.shape.slice(), enumerable: false });
    Object.defineProperty(this, "orthogonalMap", { value: orthogonalMap, enumerable: false });
    if (useTrivialization) this.registerBuffer("base", null);
  }

  override forward(x0: Tensor): Tensor {
    let x = x0;
    let n = x.shape[x.dim() - 2];
    let k = x.shape[x.dim() - 1];
    const transposed = n < k;
    if (transposed) {
      x = mT(x);
      [n, k] = [k, n];
    }
    let q: Tensor;
    if (this.orthogonalMap === "matrix_exp" || this.orthogonalMap === "cayley") {
      x = x.tril();
      if (n !== k)
        x = cat([x, x.newZeros([n, n - k]).expand([...x.shape.slice(0, -2), -1, -1])], -1);
      const a = x.sub(mT(x));
      if (this.orthogonalMap === "matrix_exp") q = matrixExp(a);
      else {
        const id = eye(n, { dtype: a.dtype });
        q = solve(id.add(a, { alpha: -0.5 }), id.add(a, { alpha: 0.5 }));
      }
      if (n !== k) q = q.narrow(-1, 0, k);
    } else {
      const a = x.tril(-1);
      const tau = a.mul(a).sum(-2).add(1).reciprocal().mul(2);
      q = householderProduct(a, tau);
      q = q.mul(x.diagonal(0, -2, -1).int().unsqueeze(-2));
    }
    if (this.hasBase()) q = (this.base as Tensor).matmul(q);
    if (transposed) q = mT(q);
    return q;
  }

  /** Whether `base` is registered (PyTorch's hasattr(self, "base"): use_trivialization). */
  private hasBase(): boolean {
    return this.namedBuffers("", false).length > 0 || "base" in this;
  }

  rightInverse(q0: Tensor): Tensor {
    return noGrad(() => {
      if (q0.shape.length !== this.shape.length || q0.shape.some((s, i) => s !== this.shape[i]))
        throw valueError(
          `Expected a matrix or batch of matrices of shape ${sizeStr(this.shape)}. Got a tensor of shape ${sizeStr(q0.shape)}.`,
        );
      let q = q0;
      let n = q.shape[q.dim() - 2];
      let k = q.shape[q.dim() - 1];
      const transpose = n < k;
      if (transpose) {
        q = mT(q);
        [n, k] = [k, n];
      }
      if (!this.hasBase()) {
        if (this.orthogonalMap === "cayley" || this.orthogonalMap === "matrix_exp")
          throw notImplementedError(
            "It is not possible to assign to the matrix exponential or the Cayley parametrizations when use_trivialization=False.",
          );
        const r = geqrf(q) as unknown as Record<number, Tensor>;
        const [a0, tau] = [r[0], r[1]];
        const a = a0.clone();
        const d = a.diagonal(0, -2, -1);
        d.sign_();
        // where tau == 0 the reflector is the identity: flip that diagonal sign back
        d.copy_(d.mul(tau.eq(0).to(d.dtype).mul(-2).add(1)));
        return transpose ? mT(a) : a;
      }
      if (n === k) q = isOrthogonal(q) ? q.clone() : makeOrthogonal(q);
      else {
        const nn = randn([...q.shape.slice(0, -2), n, n - k], { dtype: q.dtype });
        q = makeOrthogonal(cat([q, nn], -1));
      }
      this.base = q;
      const negId = q0.newZeros(q0.shape);
      negId.diagonal(0, -2, -1).fill_(-1);
      return negId;
    });
  }
}

/** Options of orthogonal. */
export interface OrthogonalOptions {
  /** The parameter to parametrize (default "weight"). */
  name?: string;
  /** "matrix_exp", "cayley" or "householder" (default: by the matrix's shape). */
  orthogonalMap?: OrthMap | null;
  /** Optimise in the Lie algebra, with a base (default true). */
  useTrivialization?: boolean;
}

/**
 * Parametrize `module[name]` (a matrix or batch of matrices) as orthogonal
 * (torch.nn.utils.parametrizations.orthogonal): "matrix_exp" (default for square), "cayley" or
 * "householder" (default otherwise), with the trivialization `base` by default. The current
 * weight is made orthogonal (QR) and kept as the starting point.
 * @example
 * const m = torch.nn.utils.parametrizations.orthogonal(new torch.nn.Linear(4, 4));
 * m.weight.matmul(m.weight.t()); // the identity, to rounding
 */
export function orthogonal<M extends Module>(
  module: M,
  name: string | OrthogonalOptions = "weight",
  orthogonalMap: OrthMap | null = null,
  opts: { useTrivialization?: boolean } = {},
): M {
  let useTrivialization = opts.useTrivialization ?? true;
  if (typeof name === "object")
    ({ name = "weight", orthogonalMap = null, useTrivialization = true } = name);
  const weight = (module as unknown as Record<string, unknown>)[name];
  if (!(weight instanceof Tensor))
    throw valueError(`Module '${String(module)}' has no parameter or buffer with name '${name}'`);
  if (weight.dim() < 2)
    throw valueError(
      `Expected a matrix or batch of matrices. Got a tensor of ${weight.dim()} dimensions.`,
    );
  const map =
    orthogonalMap ??
    (weight.shape[weight.dim() - 2] === weight.shape[weight.dim() - 1]
      ? "matrix_exp"
      : "householder");
  if (!["matrix_exp", "cayley", "householder"].includes(map))
    throw valueError(
      `orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: ${map}`,
    );
  const orth = new _Orthogonal(weight, map, useTrivialization);
  registerParametrization(module, name, orth, { unsafe: true });
  return module;
}

/** PyTorch's _SpectralNorm parametrization. */
class _SpectralNorm extends Module {
  /** The dim of the output channels (default 0). */
  declare dim: number;
  /** A small value for numerical stability (default 1e-12). */
  declare eps: number;
  /** Power iterations per forward (default 1). */
  declare nPowerIterations: number;
  declare _u: Tensor;
  declare _v: Tensor;

  constructor(weight: Tensor, nPowerIterations = 1, dim = 0, eps = 1e-12) {
    super();
    const ndim = weight.dim();
    if (dim >= ndim || dim < -ndim)
      throw indexError(
        `Dimension out of range (expected to be in range of [-${ndim}, ${ndim - 1}] but got ${dim})`,
      );
    if (nPowerIterations <= 0)
      throw valueError(
        `Expected n_power_iterations to be positive, but got n_power_iterations=${nPowerIterations}`,
      );
    Object.defineProperty(this, "dim", { value: dim >= 0 ? dim : dim + ndim, writable: true });
    Object.defineProperty(this, "eps", { value: eps, writable: true });
    if (ndim > 1) {
      Object.defineProperty(this, "nPowerIterations", { value: nPowerIterations, writable: true });
      const wm = this.reshapeWeightToMatrix(weight);
      const [h, w] = wm.shape;
      noGrad(() => {
        const u = wm.newEmpty([h]).normal_(0, 1);
        const v = wm.newEmpty([w]).normal_(0, 1);
        this.registerBuffer("_u", normalize(u, 2, 0, this.eps));
        this.registerBuffer("_v", normalize(v, 2, 0, this.eps));
      });
      this.powerMethod(wm, 15);
    }
  }

  reshapeWeightToMatrix(weight: Tensor): Tensor {
    let w = weight;
    if (this.dim !== 0) {
      const rest = Array.from({ length: w.dim() }, (_, d) => d).filter((d) => d !== this.dim);
      w = w.permute([this.dim, ...rest]);
    }
    return w.flatten(1);
  }

  /** u <- normalize(W v), v <- normalize(W^T u), in place in the buffers, n times. */
  powerMethod(wm: Tensor, n: number): void {
    noGrad(() => {
      for (let i = 0; i < n; i++) {
        this._u.copy_(normalize(mv(wm, this._v), 2, 0, this.eps));
        this._v.copy_(normalize(mv(wm.t(), this._u), 2, 0, this.eps));
      }
    });
  }

  override forward(weight: Tensor): Tensor {
    if (weight.dim() === 1) return normalize(weight, 2, 0, this.eps);
    const wm = this.reshapeWeightToMatrix(weight);
    if (this.training) this.powerMethod(wm, this.nPowerIterations);
    const u = this._u.clone();
    const v = this._v.clone();
    const sigma = dot(u, mv(wm, v));
    return weight.div(sigma);
  }

  rightInverse(value: Tensor): Tensor {
    return value;
  }
}

/** Options of parametrizations.spectralNorm. */
export interface SpectralNormParametrizationOptions {
  /** The parameter to parametrize (default "weight"). */
  name?: string;
  /** Power iterations per forward (default 1). */
  nPowerIterations?: number;
  /** A small value for numerical stability (default 1e-12). */
  eps?: number;
  /** The dim of the output channels (default 0). */
  dim?: number | null;
}

/**
 * Spectral normalisation as a parametrization (torch.nn.utils.parametrizations.spectral_norm):
 * `module[name]` reads as W / sigma(W); the power-iteration vectors are the buffers
 * `parametrizations.<name>.0._u` / `_v` (15 iterations at registration, then
 * `nPowerIterations` per read in training mode).
 * @example
 * torch.manualSeed(0);
 * const m = torch.nn.utils.parametrizations.spectralNorm(new torch.nn.Linear(20, 40));
 */
export function spectralNorm<M extends Module>(
  module: M,
  name: string | SpectralNormParametrizationOptions = "weight",
  nPowerIterations = 1,
  eps = 1e-12,
  dim: number | null = null,
): M {
  if (typeof name === "object")
    ({ name = "weight", nPowerIterations = 1, eps = 1e-12, dim = null } = name);
  const weight = (module as unknown as Record<string, unknown>)[name];
  if (!(weight instanceof Tensor))
    throw valueError(`Module '${String(module)}' has no parameter or buffer with name '${name}'`);
  const d = dim ?? (module instanceof ConvTranspose1d || module instanceof ConvTranspose2d ? 1 : 0);
  registerParametrization(module, name, new _SpectralNorm(weight, nPowerIterations, d, eps));
  return module;
}
