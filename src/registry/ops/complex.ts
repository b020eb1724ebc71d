/**
 * The complex dtypes' own ops (issue 14): view_as_real, view_as_complex, complex, polar. The
 * views share storage with their input (Note [complex storage] in dtype.ts): a complex tensor
 * of shape s is the real tensor of shape [...s, 2] with doubled strides and offset. Every other
 * op computes complex values from these (Note [complex compute] in ../complex-compute.ts).
 */
import { Tensor } from "../../tensor.js";
import { DType, complex32, complex64, complex128, realLayout, toRealDtype } from "../../dtype.js";
import { HALF_REFUSED } from "../half-compute.js";
import { scalarTypeName } from "../../ops/core.js";
import { interleave } from "../../ops/complex.js";
import { combine, setComplexBuilder } from "../complex-compute.js";
import { makeView } from "../../ops/views.js";
import { runtimeError } from "../../errors.js";
import { builtFunction, defineOp, fn } from "../define.js";
import { linear, linearIn } from "../linear-jvp.js";

/** view_as_real's view, without recording (Note [complex storage]). */
export function viewAsRealView(self: Tensor): Tensor {
  if (!self.dtype.isComplex)
    throw runtimeError("view_as_real is only supported for complex tensors");
  const l = realLayout(self);
  const out = makeView(self, l.shape, l.strides, l.offset);
  out.dtype = toRealDtype(self.dtype);
  return out;
}

/** view_as_complex's view, without recording, with PyTorch's checks in its order. */
export function viewAsComplexView(self: Tensor): Tensor {
  const d = self.dtype;
  if (d.name !== "float32" && d.name !== "float64" && d.name !== "float16")
    throw runtimeError(
      `view_as_complex is only supported for half, float and double tensors, but got a tensor of scalar type: ${scalarTypeName(d)}`,
    );
  const n = self.dim();
  if (n === 0) throw runtimeError("Input tensor must have one or more dimensions");
  if (self.shape[n - 1] !== 2) throw runtimeError("Tensor must have a last dimension of size 2");
  if (self.strides[n - 1] !== 1)
    throw runtimeError("Tensor must have a last dimension with stride 1");
  for (let i = 0; i < n - 1; i++)
    if (self.strides[i] % 2 !== 0)
      throw runtimeError("Tensor must have a stride divisible by 2 for all but last dimension");
  if (self.offset % 2 !== 0) throw runtimeError("Tensor must have a storage_offset divisible by 2");
  const out = makeView(
    self,
    self.shape.slice(0, n - 1),
    self.strides.slice(0, n - 1).map((s) => s / 2),
    self.offset / 2,
  );
  out.dtype = d.name === "float64" ? complex128 : d.name === "float16" ? complex32 : complex64;
  return out;
}

/** complex's and polar's dtype checks (PyTorch's complex_check_dtype). */
function checkParts(a: Tensor, b: Tensor): DType {
  const ok = (d: DType) => d.name === "float32" || d.name === "float64" || d.name === "float16";
  if (!ok(a.dtype) || !ok(b.dtype))
    throw runtimeError(
      `Expected both inputs to be Half, Float or Double tensors but got ${scalarTypeName(a.dtype)} and ${scalarTypeName(b.dtype)}`,
    );
  if (a.dtype !== b.dtype)
    throw runtimeError(
      `Expected object of scalar type ${scalarTypeName(a.dtype)} but got scalar type ${scalarTypeName(b.dtype)} for second argument`,
    );
  return a.dtype;
}

const viewAsRealFn = (): ((t: Tensor) => Tensor) => fn("viewAsReal") as (t: Tensor) => Tensor;
const viewAsComplexFn = (): ((t: Tensor) => Tensor) => fn("viewAsComplex") as (t: Tensor) => Tensor;

defineOp({
  name: "view_as_real",
  variants: ["function"],
  doc: "A real view of a complex tensor with a trailing dim of size 2 holding the real and imaginary parts; it shares the input's storage.",
  example:
    "torch.viewAsReal(torch.complex(torch.tensor([1]), torch.tensor([2]))) // tensor([[1., 2.]])",
  overloads: [
    {
      schema: "view_as_real(Tensor(a) self) -> Tensor(a)",
      forward: viewAsRealView,
      // the gradient of the real view is the complex gradient's parts (PyTorch's convention
      // dL/dx + i dL/dy for z = x + iy)
      derivative: {
        name: "ViewAsRealBackward0",
        save: [],
        grad: (g: Tensor) => [viewAsComplexFn()(g.contiguous())],
        jvp: linear((t) => viewAsRealFn()(t)),
      },
    },
  ],
});

defineOp({
  name: "view_as_complex",
  variants: ["function"],
  doc: "A complex view of a float32/float64 tensor whose last dim (size 2, stride 1) holds real and imaginary parts; it shares the input's storage.",
  example: "torch.viewAsComplex(torch.tensor([[1, 2], [3, -1]])) // tensor([1.+2.j, 3.-1.j])",
  overloads: [
    {
      schema: "view_as_complex(Tensor(a) self) -> Tensor(a)",
      forward: viewAsComplexView,
      derivative: {
        name: "ViewAsComplexBackward0",
        save: [],
        grad: (g: Tensor) => [viewAsRealFn()(g)],
        jvp: linear((t) => viewAsComplexFn()(t.contiguous())),
      },
    },
  ],
});

defineOp({
  name: "complex",
  variants: ["function"],
  out: true,
  doc: "The complex tensor real + i imag (broadcast; both float32, giving complex64, or both float64, giving complex128).",
  example: "torch.complex(torch.tensor([1, 3]), torch.tensor([2, -1])) // tensor([1.+2.j, 3.-1.j])",
  overloads: [
    {
      schema: "complex(Tensor real, Tensor imag) -> Tensor",
      forward: (re: Tensor, im: Tensor) => {
        checkParts(re, im);
        return interleave(re, im);
      },
      derivative: {
        name: "ComplexBackward0",
        save: [],
        grad: (g: Tensor) => [g.real, g.imag],
        jvp: linearIn(["real", "imag"], ([re, im]) =>
          (fn("complex") as (a: Tensor, b: Tensor) => Tensor)(re, im),
        ),
      },
    },
  ],
});

defineOp({
  name: "polar",
  variants: ["function"],
  out: true,
  doc: "The complex tensor abs * (cos(angle) + i sin(angle)) (broadcast; float32 or float64 parts of one dtype).",
  example: "torch.polar(torch.tensor([2]), torch.tensor([0])) // tensor([2.+0.j])",
  overloads: [
    {
      schema: "polar(Tensor abs, Tensor angle) -> Tensor",
      // composed of recorded real ops: its gradient is the composition's, put together by one
      // complex node named PolarBackward0, as PyTorch's (Note [complex compute])
      forward: (abs: Tensor, angle: Tensor) => {
        checkParts(abs, angle);
        return combine(abs.mul(angle.cos()), abs.mul(angle.sin()), "PolarBackward0");
      },
    },
  ],
});

// PyTorch's polar kernel has no Half dispatch (complex of two float16 tensors is complex32)
HALF_REFUSED.set("polar", (t) => `"polar_cpu" not implemented for '${t}'`);

// Note [complex compute]: compositions record the complex node, built on first use
setComplexBuilder(() => builtFunction("complex"));
