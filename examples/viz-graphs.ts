/**
 * Pictures of the seed tutorials' backward graphs (shared/seeds/: the examples 01-04), drawn
 * with torch.viz.makeDot as torchviz's make_dot draws them in PyTorch, written as SVG files.
 *
 *     node --import tsx examples/viz-graphs.ts [output folder, default ./graphs]
 *
 * Each graph is written twice: as torchviz draws it by default, and with showSaved (the
 * tensors each node keeps for backward, in orange).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as torch from "tensorgrad";

interface Picture {
  /** file name without extension */
  name: string;
  /** what the graph is, from which notebook */
  title: string;
  output: torch.Tensor | torch.Tensor[];
  params: Record<string, torch.Tensor>;
}

function pictures(): Picture[] {
  const out: Picture[] = [];

  // 000 "AutoGrad: Automatic Differentiation in PyTorch": y = x^4 + 3x^3 + 3x^2 + 5x + 1
  {
    const x = torch.tensor(1.0, { requiresGrad: true });
    const y = x.pow(4).add(x.pow(3).mul(3)).add(x.pow(2).mul(3)).add(x.mul(5)).add(1);
    out.push({
      name: "00-polynomial",
      title: "y = x**4 + 3*x**3 + 3*x**2 + 5*x + 1",
      output: y,
      params: { x },
    });
  }
  // 000: two layers and a mean: o = mean((2x + 1)^2)
  {
    const x = torch.tensor(
      [
        [1, 2, 3],
        [3, 2, 1],
      ],
      { requiresGrad: true },
    );
    const o = x.mul(2).add(1).pow(2).mean();
    out.push({
      name: "00-layers-mean",
      title: "o = ((2*x + 1)**2).mean()",
      output: o,
      params: { x },
    });
  }
  // 001 "Autograd": z = mean(x + 2); y = x^2 (backward with a vector)
  {
    torch.manualSeed(0);
    const x = torch.randn(4, { requiresGrad: true });
    const z = x.add(2).mean();
    out.push({ name: "01-mean", title: "z = (x + 2).mean()", output: z, params: { x } });
    const y = x.pow(2);
    out.push({ name: "01-square", title: "y = x**2", output: y, params: { x } });
  }
  // 002 "Automatic Differentiation": y = 2 x^T x (x shared, once through a view)
  {
    const x = torch.arange(4, { dtype: torch.float32 }).reshape([4, 1]).requiresGrad_();
    const y = torch.matmul(x.T, x).mul(2);
    out.push({ name: "02-xtx", title: "y = 2 * torch.matmul(x.T, x)", output: y, params: { x } });
  }
  // 003 "AutoGrad": s = sum(x + y); out = mean(3 (x + 2)^2) with y used twice
  {
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    const y = torch.tensor([4, 5, 6], { requiresGrad: true });
    const s = x.add(y).sum();
    out.push({ name: "03-sum", title: "s = (x + y).sum()", output: s, params: { x, y } });
  }
  {
    const x = torch.ones(2, 2, { requiresGrad: true });
    const y = x.add(2);
    const z = y.mul(y).mul(3);
    out.push({
      name: "03-mean",
      title: "out = (y * y * 3).mean(), y = x + 2",
      output: z.mean(),
      params: { x },
    });
  }
  return out;
}

const dir = process.argv[2] ?? "graphs";
await mkdir(dir, { recursive: true });
for (const p of pictures()) {
  for (const showSaved of [false, true]) {
    const dot = torch.viz.makeDot(p.output, { params: p.params, showSaved });
    const file = join(dir, `${p.name}${showSaved ? "-saved" : ""}.svg`);
    await writeFile(file, await dot.toSvg());
    console.log(`${file}: ${p.title}${showSaved ? " (showSaved)" : ""}`);
  }
}
