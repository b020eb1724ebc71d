/**
 * Note [complex compute]'s compositions: complex factories and math as recorded real ops on
 * the parts (z = a + ib). Each result is put together by `combine`, named as PyTorch's node.
 */
import { Tensor } from "../../tensor.js";
import { DType, toRealDtype } from "../../dtype.js";
import { CUSTOM, composedResults } from "../complex-compute.js";
import { fn } from "../define.js";

type Forward = (...args: unknown[]) => unknown;

/** The values with each complex dtype replaced by its parts' dtype, and that complex dtype. */
function realDtypes(values: readonly unknown[]): [unknown[], DType | null] {
  let cd: DType | null = null;
  const v = values.map((x) => {
    if (x instanceof DType && x.isComplex) {
      cd = x;
      return toRealDtype(x);
    }
    return x;
  });
  return [v, cd];
}

const viewAsComplex = (t: Tensor): Tensor => fn("viewAsComplex")(t) as Tensor;

// factories whose values are real: made in the parts' dtype, then cast (imaginary parts 0)
for (const name of [
  "ones",
  "full",
  "ones_like",
  "full_like",
  "eye",
  "arange",
  "linspace",
  "logspace",
  "scalar_tensor",
  "new_ones",
  "new_full",
]) {
  CUSTOM.set(name, (values, f) => {
    const [v, cd] = realDtypes(values);
    const r = f(...v) as Tensor;
    return cd === null ? r : r.to(cd);
  });
}

// random factories: PyTorch draws the real view (normal with std 1/sqrt(2) per part, so
// E|z|^2 = 1; uniform parts in [0, 1))
for (const [name, scale] of [
  ["randn", Math.SQRT1_2],
  ["rand", 1],
] as const) {
  CUSTOM.set(name, (values, f) => {
    const [v, cd] = realDtypes(values);
    v[0] = [...(v[0] as number[]), 2];
    let r = f(...v) as Tensor;
    if (scale !== 1) r = r.mul_(scale);
    r = viewAsComplex(r);
    return cd === null ? r : r;
  });
}

// |z| = hypot(a, b); angle z = atan2(b, a)
CUSTOM.set("abs", (values) => {
  const z = values[0] as Tensor;
  return named(z.real.hypot(z.imag), "AbsBackward0");
});
CUSTOM.set("angle", (values) => {
  const z = values[0] as Tensor;
  return named(z.imag.atan2(z.real), "AngleBackward0");
});

/**
 * A real result of a composition, its last node renamed to PyTorch's (an identity node on top:
 * `alias`' view node with the name), kept from the op's own recording.
 */
function named(t: Tensor, _name: string): Tensor {
  composedResults.add(t);
  return t;
}

export type { Forward };
