/**
 * "AutoGrad: Automatic Differentiation in PyTorch" (shared/seeds/000_23d266f69c13927c.txt):
 * back-propagation through a polynomial, then through two layers and a mean.
 * No random numbers: the outputs are the notebook's.
 */
import * as torch from "tensorgrad";
import { float, py, type Cell } from "./cell.js";

export const title = "AutoGrad: Automatic Differentiation in PyTorch";

let x: torch.Tensor;
let y: torch.Tensor;
let z: torch.Tensor;
let o: torch.Tensor;

export const cells: Cell[] = [
  {
    title: "In [17]",
    source: py`
      import torch
      x = torch.tensor(1.0, requires_grad=True)
    `,
    run() {
      x = torch.tensor(1.0, { requiresGrad: true });
    },
  },
  // Back-propagation on one step: y = x^4 + 3x^3 + 3x^2 + 5x + 1, y' = 4x^3 + 9x^2 + 6x + 5
  {
    title: "In [18]",
    source: py`
      y = x**4 + 3*x**3 + 3*x**2 + 5*x + 1

      print(y)
    `,
    run(out) {
      y = x.pow(4).add(x.pow(3).mul(3)).add(x.pow(2).mul(3)).add(x.mul(5)).add(1);

      out.print(y);
    },
  },
  {
    title: "In [19]",
    source: py`
      y.backward()
    `,
    run() {
      y.backward();
    },
  },
  {
    title: "In [20]",
    source: py`
      print(x.grad)
    `,
    run(out) {
      out.print(x.grad);
    },
  },
  {
    title: "In [21]",
    source: py`
      # this is the computation of the derivative when x=1
      # 24 is the slope of the function at (x,y) = (1,13)
      print(4*1 + 9*1 + 6*1 + 5)
    `,
    run(out) {
      // this is the computation of the derivative when x=1
      // 24 is the slope of the function at (x,y) = (1,13)
      out.print(4 * 1 + 9 * 1 + 6 * 1 + 5);
    },
  },
  // Back-propagation on multiple steps: layers y and z after x
  {
    title: "In [22]",
    source: py`
      x = torch.tensor([[1.,2,3],[3,2,1]], requires_grad=True)
      print(x)
    `,
    run(out) {
      x = torch.tensor(
        [
          [1, 2, 3],
          [3, 2, 1],
        ],
        { requiresGrad: true },
      );
      out.print(x);
    },
  },
  {
    title: "In [23]",
    source: py`
      y = 2*x + 1
      print(y)
    `,
    run(out) {
      y = x.mul(2).add(1);
      out.print(y);
    },
  },
  {
    title: "In [24]",
    source: py`
      z = y**2
      print(z)
    `,
    run(out) {
      z = y.pow(2);
      out.print(z);
    },
  },
  {
    title: "In [25]",
    source: py`
      o = z.mean()#sum of all the elements divided by the number of elements
      print(o)
    `,
    run(out) {
      o = z.mean(); //sum of all the elements divided by the number of elements
      out.print(o);
    },
  },
  {
    title: "In [26]",
    source: py`
      o.backward()
      print(x.grad)
    `,
    run(out) {
      o.backward();
      out.print(x.grad);
    },
  },
  // do/dx_i = 1/6 * 4(2x_i + 1) = 2/3 * (2x_i + 1): 2, 3.33.., 4.66.. at x_i = 1, 2, 3
  {
    title: "In [16]",
    source: py`
      print(2/3*3)
      print(2/3*5)
      print(2/3*7)
    `,
    run(out) {
      out.print(float((2 / 3) * 3));
      out.print(float((2 / 3) * 5));
      out.print(float((2 / 3) * 7));
    },
  },
  // Turn off tracking: .requires_grad_(False), `with torch.no_grad():` and .detach() (prose only
  // here; tutorials 2 and 4 run them)
];
