/**
 * "Autograd" (shared/seeds/001_0022179ec19a1bed.txt): requires_grad, grad_fn, backward of a
 * scalar and of non-scalar outputs (backward(v)), and three ways to stop tracking history.
 * The notebook drew unseeded random numbers; this run seeds with torch.manualSeed(0), so its
 * values differ from the notebook's text (the shapes, gradients' structure and layout do not).
 */
import * as torch from "tensorgrad";
import { py, tuple, type Cell } from "./cell.js";

export const title = "Autograd";

let x: torch.Tensor;
let y: torch.Tensor;
let z: torch.Tensor;
let v: torch.Tensor;
let m: torch.Tensor;
let a: torch.Tensor;
let b: torch.Tensor;
let c: torch.Tensor;

export const cells: Cell[] = [
  {
    title: "In [1]",
    source: py`
      import torch
      torch.manual_seed(0);  # added: a reproducible run (the notebook was unseeded)
    `,
    run() {
      torch.manualSeed(0); // added: a reproducible run (the notebook was unseeded)
    },
  },
  // Creation of a tensor: requires_grad=True tracks all the operations on it
  {
    title: "In [2]",
    source: py`
      x = torch.randn(4, requires_grad=True)
      x
    `,
    run(out) {
      x = torch.randn(4, { requiresGrad: true });
      out.display(x);
    },
  },
  {
    title: "In [4]",
    source: py`
      y = x+2
      y
    `,
    run(out) {
      y = x.add(2);
      out.display(y);
    },
  },
  {
    title: "In [5]",
    source: py`
      y.grad_fn
    `,
    run(out) {
      out.display(y.gradFn);
    },
  },
  {
    title: "In [6]",
    source: py`
      z = y.mean()
      z
    `,
    run(out) {
      z = y.mean();
      out.display(z);
    },
  },
  // Gradient calculation: first call .backward()
  {
    title: "In [7]",
    source: py`
      z.backward() ## backward propagation
    `,
    run() {
      z.backward(); // backward propagation
    },
  },
  // x.grad holds dz/dx (torch.autograd computes vector-Jacobian products)
  {
    title: "In [11]",
    source: py`
      x.grad
    `,
    run(out) {
      out.display(x.grad);
    },
  },
  // Non-scalar output: backward takes a tensor of the output's shape
  {
    title: "In [23]",
    source: py`
      x = torch.randn(4, requires_grad=True)
      y = x**2
      y, y.shape
    `,
    run(out) {
      x = torch.randn(4, { requiresGrad: true });
      y = x.pow(2);
      out.display(tuple(y, y.size()));
    },
  },
  {
    title: "In [25]",
    source: py`
      v = torch.rand(4)
      y.backward(v)
    `,
    run() {
      v = torch.rand(4);
      y.backward(v);
    },
  },
  {
    title: "In [26]",
    source: py`
      x.grad
    `,
    run(out) {
      out.display(x.grad);
    },
  },
  // Last example: a matrix as the output
  {
    title: "In [27]",
    source: py`
      x = torch.randn((2, 5), requires_grad=True)
      x
    `,
    run(out) {
      x = torch.randn([2, 5], { requiresGrad: true });
      out.display(x);
    },
  },
  {
    title: "In [30]",
    source: py`
      y = x + 8
      y, y.shape
    `,
    run(out) {
      y = x.add(8);
      out.display(tuple(y, y.size()));
    },
  },
  // a matrix of size [2, 5] to call y.backward
  {
    title: "In [32]",
    source: py`
      m = torch.rand([2,5])
      y.backward(m)
    `,
    run() {
      m = torch.rand([2, 5]);
      y.backward(m);
    },
  },
  {
    title: "In [33]",
    source: py`
      x.grad
    `,
    run(out) {
      out.display(x.grad);
    },
  },
  // Stopping tensors from tracking history: requires_grad_(False), detach(), no_grad()
  {
    title: "In [34]",
    source: py`
      a = torch.randn(2, requires_grad=True)
      b = torch.randn(2, requires_grad=True)
      c = torch.randn(2, requires_grad=True)
      a, b, c
    `,
    run(out) {
      a = torch.randn(2, { requiresGrad: true });
      b = torch.randn(2, { requiresGrad: true });
      c = torch.randn(2, { requiresGrad: true });
      out.display(tuple(a, b, c));
    },
  },
  // x.requires_grad_(False)
  {
    title: "In [35]",
    source: py`
      a.requires_grad_(False)
      a
    `,
    run(out) {
      a.requiresGrad_(false);
      out.display(a);
    },
  },
  // x.detach()
  {
    title: "In [36]",
    source: py`
      b.detach()
    `,
    run(out) {
      out.display(b.detach());
    },
  },
  // with torch.no_grad()
  {
    title: "In [37]",
    source: py`
      with torch.no_grad():
          c = c+0
      c
    `,
    run(out) {
      torch.noGrad(() => {
        c = c.add(0);
      });
      out.display(c);
    },
  },
];
