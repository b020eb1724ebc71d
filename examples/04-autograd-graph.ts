/**
 * "AutoGrad" (shared/seeds/003_536d960e84df41a4.txt): how a tensor records its history
 * (grad_fn), requires_grad by default and requires_grad_(), detach(), no_grad(), and a last
 * example through two layers and a mean. The notebook's torch.randn(2, 2) was unseeded; this run
 * seeds with torch.manualSeed(0) (the printed results do not depend on the draw).
 */
import * as torch from "tensorgrad";
import { py, type Cell } from "./cell.js";

export const title = "AutoGrad";

let x: torch.Tensor;
let y: torch.Tensor;
let z: torch.Tensor;
let s: torch.Tensor;
let newZ: torch.Tensor;
let out_: torch.Tensor;

export const cells: Cell[] = [
  {
    title: "In [7]",
    source: py`
      # If requires_grad = True, the tensor object keeps track of how it was created
      import torch
      torch.manual_seed(0)  # added: a reproducible run (the notebook was unseeded)

      x = torch.tensor([1., 2., 3], requires_grad=True)
      y = torch.tensor([4., 5., 6], requires_grad=True)

      # Notice that both of x and y have their required_grad to true, therefore we an comoute gradients with respect to them
      z = x + y
      print(z)

      # z knows that it was created as a result of addition of x and y, It knows that it wasn't read in from a file
      print(z.grad_fn)
      # And if we fo further on this
      s = z.sum()
      print(s)
      print(s.grad_fn)
    `,
    run(out) {
      // If requires_grad = True, the tensor object keeps track of how it was created
      torch.manualSeed(0); // added: a reproducible run (the notebook was unseeded)

      x = torch.tensor([1, 2, 3], { requiresGrad: true });
      y = torch.tensor([4, 5, 6], { requiresGrad: true });

      // Notice that both of x and y have their required_grad to true, therefore we an comoute gradients with respect to them
      z = x.add(y);
      out.print(z);

      // z knows that it was created as a result of addition of x and y, It knows that it wasn't read in from a file
      out.print(z.gradFn);
      // And if we fo further on this
      s = z.sum();
      out.print(s);
      out.print(s.gradFn);
    },
  },
  {
    title: "In [8]",
    source: py`
      # Now if we backpropagate on s, we can find the gradients of s with respect to x:
      s.backward()
      print(x.grad)
    `,
    run(out) {
      // Now if we backpropagate on s, we can find the gradients of s with respect to x:
      s.backward();
      out.print(x.grad);
    },
  },
  {
    title: "In [None]",
    source: py`
      # By default, Tensors have \`requires_grad = False\`
      x = torch.randn(2, 2)
      y = torch.randn(2, 2)
      print(x.requires_grad, y.requires_grad)
      z = x + y

      # So you can't backprop through z
      print(z.grad_fn)

      # Another way to set the required_grad is true:
      x.requires_grad_()
      y.requires_grad_()

      # z contains enough information to compute gradients, as we saw above
      z = x + y
      print(z.grad_fn)

      # If any input to an operation has \`\`requires_grad=True\`\`, so will the output
      print(z.requires_grad)

      # Now z has the computation history that relates itself to x and y
      # Can we just take its values, and **detach** it from its history?

      new_z = z.detach()
      print(new_z.grad_fn)
      # ... does new_z have information to backprop to x and y?
      # NO!

      print(x.requires_grad)
      print((x + 10).requires_grad)

      with torch.no_grad():
          print((x + 10).requires_grad)
    `,
    run(out) {
      // By default, Tensors have `requires_grad = False`
      x = torch.randn(2, 2);
      y = torch.randn(2, 2);
      out.print(x.requiresGrad, y.requiresGrad);
      z = x.add(y);

      // So you can't backprop through z
      out.print(z.gradFn);

      // Another way to set the required_grad is true:
      x.requiresGrad_();
      y.requiresGrad_();

      // z contains enough information to compute gradients, as we saw above
      z = x.add(y);
      out.print(z.gradFn);

      // If any input to an operation has ``requires_grad=True``, so will the output
      out.print(z.requiresGrad);

      // Now z has the computation history that relates itself to x and y
      // Can we just take its values, and **detach** it from its history?

      newZ = z.detach();
      out.print(newZ.gradFn);
      // ... does new_z have information to backprop to x and y?
      // NO!

      out.print(x.requiresGrad);
      out.print(x.add(10).requiresGrad);

      torch.noGrad(() => {
        out.print(x.add(10).requiresGrad);
      });
    },
  },
  {
    title: "In [12]",
    source: py`
      # last example:
      x = torch.ones(2,2, requires_grad=True)
      print(x)
      y = x + 2
      print(y)
      print(y.grad_fn)
      z = y * y * 3
      out = z.mean()
      print(z, out)
      out.backward()
      print(x.grad)
    `,
    run(out) {
      // last example:
      x = torch.ones(2, 2, { requiresGrad: true });
      out.print(x);
      y = x.add(2);
      out.print(y);
      out.print(y.gradFn);
      z = y.mul(y).mul(3);
      out_ = z.mean(); // the notebook's `out` (here `out` is the cell's output)
      out.print(z, out_);
      out_.backward();
      out.print(x.grad);
    },
  },
];
