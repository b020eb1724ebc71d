/**
 * "Automatic Differentiation" (shared/seeds/002_8503b8472d009116.txt): Variable, enable_grad,
 * the gradient of y = 2xᵀx, the gradient through Python control flow, and head gradients.
 * The notebook's a = torch.randn((1,)) was unseeded; this run seeds with torch.manualSeed(0)
 * (the printed results do not depend on the draw). The section "Head gradients and the chain
 * rule" ends the notebook in prose; cells In [8] and In [9] carry out what it describes.
 */
import * as torch from "tensorgrad";
import { py, type Cell } from "./cell.js";

export const title = "Automatic Differentiation";

let x: torch.Tensor;
let y: torch.Tensor;
let z: torch.Tensor;
let a: torch.Tensor;
let d: torch.Tensor;
let headGradient: torch.Tensor;
let f: (a: torch.Tensor) => torch.Tensor;

export const cells: Cell[] = [
  // Import autograd and create a variable and attach gradient
  {
    title: "In [1]",
    source: py`
      import torch
      from torch.autograd import Variable
      torch.manual_seed(0)  # added: a reproducible run (the notebook was unseeded)

      x = Variable(torch.arange(4, dtype=torch.float32).reshape((4, 1)), requires_grad=True)
      print(x)
    `,
    run(out) {
      const { Variable } = torch.autograd;
      torch.manualSeed(0); // added: a reproducible run (the notebook was unseeded)

      x = Variable(torch.arange(4, { dtype: torch.float32 }).reshape([4, 1]), {
        requiresGrad: true,
      });
      out.print(x);
    },
  },
  // y = 2xᵀx, computed inside a `with torch.enable_grad()` block
  {
    title: "In [2]",
    source: py`
      with torch.enable_grad():
          y = 2 * torch.matmul(x.T, x)

      print(y)
    `,
    run(out) {
      torch.enableGrad(() => {
        y = torch.matmul(x.T, x).mul(2);
      });

      out.print(y);
    },
  },
  // Backward
  {
    title: "In [3]",
    source: py`
      y.backward()
    `,
    run() {
      y.backward();
    },
  },
  // Get the gradient: given y = 2xᵀx, dy/dx = 4x
  {
    title: "In [4]",
    source: py`
      # Check if each graient value x.grad is equal to 4*x
      print((x.grad - 4 * x).norm().item() == 0)
      print(x.grad)
    `,
    run(out) {
      // Check if each graient value x.grad is equal to 4*x
      out.print(x.grad!.sub(x.mul(4)).norm().item() === 0);
      out.print(x.grad);
    },
  },
  // Computing the gradient of Python control flow: autograd also works through it
  {
    title: "In [5]",
    source: py`
      def f(a):
          b = a * 2
          while b.norm().item() < 1000:
              b = b * 2
          if b.sum().item() > 0:
              c = b
          else:
              c = 100 * b
          return c
    `,
    run() {
      f = (a) => {
        let b = a.mul(2);
        while ((b.norm().item() as number) < 1000) {
          b = b.mul(2);
        }
        let c: torch.Tensor;
        if ((b.sum().item() as number) > 0) {
          c = b;
        } else {
          c = b.mul(100);
        }
        return c;
      };
    },
  },
  // Function behaviors depends on inputs
  {
    title: "In [6]",
    source: py`
      a = torch.randn((1,))
      a.requires_grad=True
      with torch.enable_grad():
        d = f(a)
      d.backward()
    `,
    run() {
      a = torch.randn([1]);
      a.requiresGrad = true;
      torch.enableGrad(() => {
        d = f(a);
      });
      d.backward();
    },
  },
  // Verify the results: f is piecewise linear in a, f(a) = g * a and df/da = g
  {
    title: "In [7]",
    source: py`
      print(a.grad == (d / a))
    `,
    run(out) {
      out.print(a.grad!.eq(d.div(a)));
    },
  },
  // Head gradients and the chain rule: dz/dx = dz/dy * dy/dx. y.backward() only computes
  // dy/dx; to get dz/dx, first compute dz/dy, then pass it as head gradient to y.backward.
  {
    title: "In [8]",
    source: py`
      # (continues the section "Head gradients and the chain rule")
      # z depends on x only through y: y = 2x, z = y**3
      x.grad.zero_()  # x.grad still holds 4x from In [3]
      with torch.enable_grad():
          y = 2 * x
          z = y ** 3
      # first dz/dy = 3y**2, the shape of y
      head_gradient, = torch.autograd.grad(z, y, grad_outputs=torch.ones_like(z))
      print(head_gradient)
    `,
    run(out) {
      // (continues the section "Head gradients and the chain rule")
      // z depends on x only through y: y = 2x, z = y**3
      x.grad!.zero_(); // x.grad still holds 4x from In [3]
      torch.enableGrad(() => {
        y = x.mul(2);
        z = y.pow(3);
      });
      // first dz/dy = 3y**2, the shape of y
      [headGradient] = torch.autograd.grad(z, y, { gradOutputs: torch.onesLike(z) }) as [
        torch.Tensor,
      ];
      out.print(headGradient);
    },
  },
  {
    title: "In [9]",
    source: py`
      # then pass it as head gradient to y.backward: dz/dx = dz/dy * dy/dx = 3y**2 * 2 = 24x**2
      y.backward(head_gradient)
      print(x.grad)
      print((x.grad - 24 * x ** 2).norm().item() == 0)
    `,
    run(out) {
      // then pass it as head gradient to y.backward: dz/dx = dz/dy * dy/dx = 3y**2 * 2 = 24x**2
      y.backward(headGradient);
      out.print(x.grad);
      out.print(x.grad!.sub(x.pow(2).mul(24)).norm().item() === 0);
    },
  },
];
