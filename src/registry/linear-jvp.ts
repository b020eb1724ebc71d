/**
 * Note [linear JVPs]: an op f that is (R-)linear in its tensor arguments (views and reshapes,
 * flips and rolls, pads, gathers and scatters, cat/stack, sum/mean, neg, real/imag/conj,
 * view_as_real/view_as_complex, the FFTs) has f itself as its derivative: the tangent of
 * f(x, a) is f(dx, a), the op applied to the tangent with the same non-tensor arguments (JAX's
 * `deflinear`, jax-js's `linear(op)`). `linear` builds that rule once, for the op's one
 * differentiable tensor argument; `linearIn` for an op jointly linear in several (a scatter's
 * self and src: f(dself, dsrc), zeros standing in for an argument without a tangent). A null
 * (zero) tangent gives a null one. The rule type-checks against the entry's attributes
 * (`attrs`), and as the tangent goes through the op's own call, complex tangents take the op's
 * complex path (Note [complex tangents]).
 */
import type { Tensor } from "../tensor.js";
import { zerosLike } from "../autograd/formula-ops.js";

/** A registry JVP (DerivativeDecl's `jvp`): tangents and primals by schema argument name. */
export type RegistryJvp<A extends object> = (
  tangents: { readonly [name: string]: Tensor | null },
  primals: { readonly [name: string]: Tensor },
  result: Tensor,
  attrs: A,
) => Tensor | null;

/**
 * The JVP of an op linear in its tensor argument `input` (default `self`): `apply(dx, attrs,
 * primals)` (the primals give the op's other, non-differentiable tensor arguments: indices,
 * masks).
 * @example
 * // torch.flip's rule: d flip(x, dims) = flip(dx, dims)
 * const jvp = linear((t, a) => t.flip(a.dims));
 * jvp({ self: torch.tensor([1, 2]) }, {}, torch.zeros(2), { dims: [0] }); // tensor([2, 1])
 */
export function linear<A extends object = Record<string, never>>(
  apply: (tangent: Tensor, attrs: A, primals: { readonly [name: string]: Tensor }) => Tensor,
  input = "self",
): RegistryJvp<A> {
  return (t, p, _r, a) => {
    const dx = t[input] ?? null;
    return dx === null ? null : apply(dx, a, p);
  };
}

/**
 * The JVP of an op jointly linear in the tensor arguments `inputs`: `apply([dx, dy, ...],
 * attrs)`, zeros (of the primal's shape and dtype) for an argument without a tangent; null when
 * none has one.
 * @example
 * // torch.selectScatter's rule: d select_scatter(x, s) = select_scatter(dx, ds)
 * const jvp = linearIn(["self", "src"], ([x, s], a) => x.selectScatter(s, a.dim, a.index));
 * const [x, s] = [torch.zeros(2), torch.zeros([])];
 * jvp({ self: null, src: torch.tensor(5.0) }, { self: x, src: s }, x, { dim: 0, index: 1 }); // tensor([0., 5.])
 */
export function linearIn<A extends object = Record<string, never>>(
  inputs: readonly string[],
  apply: (tangents: Tensor[], attrs: A, primals: { readonly [name: string]: Tensor }) => Tensor,
): RegistryJvp<A> {
  return (t, p, _r, a) => {
    if (inputs.every((n) => (t[n] ?? null) === null)) return null;
    return apply(
      inputs.map((n) => t[n] ?? zerosLike(p[n])),
      a,
      p,
    );
  };
}
