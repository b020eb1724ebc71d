/**
 * torch.viz.makeDot against torchviz's make_dot on the same graphs in PyTorch 1.13
 * (scripts/fixtures/viz_fx.py: torchviz's walk over PyTorch's grad_fn graph, written out by
 * the Python graphviz package). Node ids are renumbered by first appearance on both sides; the
 * rest of the DOT text (labels, shapes, parameter names, colours, edge styles, statement order,
 * size) must be identical. Also the structure (nodes by label, edges between labels), the
 * argument forms, and SVG rendering through @viz-js/viz.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { readFixture } from "./helpers/fixtures.js";

interface Call {
  kind: "node" | "edge";
  id?: string;
  tail?: string;
  head?: string;
  label?: string;
  attrs: Record<string, string>;
}
interface Case {
  options: { show_attrs?: boolean; show_saved?: boolean; max_attr_chars?: number };
  params: string[];
  calls: Call[];
  source: string;
}
const FX = readFixture<Record<string, Case>>("viz.json");

/** The DOT text with node ids renumbered 1, 2, ... by first appearance (as the fixture). */
function canonical(source: string): string {
  const ids = new Map<string, string>();
  const rename = (id: string): string => {
    if (!ids.has(id)) ids.set(id, String(ids.size + 1));
    return ids.get(id) as string;
  };
  return source
    .split("\n")
    .map((line) => {
      const m = /^\t(\d+)(?: -> (\d+))?(.*)$/.exec(line);
      if (m === null) return line;
      const [, a, b, rest] = m;
      return b === undefined ? `\t${rename(a)}${rest}` : `\t${rename(a)} -> ${rename(b)}${rest}`;
    })
    .join("\n");
}

/**
 * The graph as labels: each node's final label (DOT keeps the last one), the multiset of
 * edges as "tail label -> head label [attrs]".
 */
function structure(source: string): { nodes: string[]; edges: string[] } {
  const labels = new Map<string, string>();
  const edges: [string, string, string][] = [];
  // statements may span lines (labels hold newlines): split on statement starts
  const statements = source.split(/\n(?=\t)/).filter((s) => /^\t\d/.test(s));
  for (const s of statements) {
    const e = /^\t(\d+) -> (\d+)(.*)$/s.exec(s);
    if (e !== null) {
      edges.push([e[1], e[2], e[3].replace(/\n}\n?$/, "")]);
      continue;
    }
    const n = /^\t(\d+) \[label=("(?:[^"\\]|\\.)*"|\S+?)[\] ]/s.exec(s);
    assert.ok(n !== null, `unparsed statement ${JSON.stringify(s)}`);
    labels.set(n[1], n[2]);
  }
  const name = (id: string): string => labels.get(id) ?? `?${id}`;
  return {
    nodes: [...labels.values()].sort(),
    edges: edges.map(([a, b, r]) => `${name(a)} -> ${name(b)}${r}`).sort(),
  };
}

class Square extends torch.autograd.Function {
  static override forward(ctx: torch.autograd.FunctionCtx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.mul(x);
  }
  static override backward(ctx: torch.autograd.FunctionCtx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return x!.mul(2).mul(g);
  }
}

type Built = { output: Tensor | Tensor[]; params?: torch.viz.ParamsArg };

/** The graphs of viz_fx.py's cases(), statement for statement. */
const BUILD: Record<string, () => Built> = {
  polynomial: () => {
    const x = torch.tensor(1.0, { requiresGrad: true });
    const y = x.pow(4).add(x.pow(3).mul(3)).add(x.pow(2).mul(3)).add(x.mul(5)).add(1);
    return { output: y, params: { x } };
  },
  layers_mean: () => {
    const x = torch.tensor(
      [
        [1, 2, 3],
        [3, 2, 1],
      ],
      { requiresGrad: true },
    );
    return { output: x.mul(2).add(1).pow(2).mean() };
  },
  shared_nonleaf: () => {
    const x = torch.ones(2, 2, { requiresGrad: true });
    const y = x.add(2);
    return { output: y.mul(y).mul(3).mean(), params: { x } };
  },
  shared_leaf: () => {
    const x = torch.arange(4, { dtype: torch.float32 }).reshape([4, 1]).requiresGrad_();
    return { output: torch.matmul(x.T, x).mul(2), params: { x } };
  },
  mlp: () => {
    torch.manualSeed(0);
    const model = new torch.nn.Sequential(
      new torch.nn.Linear(4, 3),
      new torch.nn.ReLU(),
      new torch.nn.Linear(3, 2),
    );
    const x = torch.randn(5, 4);
    return { output: model.call(x).mean(), params: model.namedParameters() };
  },
  split_outputs: () => {
    const x = torch.randn(4, 3, { requiresGrad: true });
    const [a, b] = x.split(2);
    return { output: [a, b], params: { x } };
  },
  max_outputs: () => {
    const w = torch.randn(4, 3, { requiresGrad: true });
    const { values, indices } = w.mul(2).max(0);
    return { output: [values, indices] };
  },
  view_output: () => {
    const x = torch.randn(2, 3, { requiresGrad: true });
    const h = x.mul(2);
    h.retainGrad();
    return { output: h.view(6), params: { x } };
  },
  nonleaf_and_leaf_outputs: () => {
    const x = torch.randn(2, 3, { requiresGrad: true });
    return { output: [x.mul(2), x], params: { x } };
  },
  saved_mixed: () => {
    const x = torch.randn(3, { requiresGrad: true });
    const w = torch.randn(3, { requiresGrad: true });
    const e = x.mul(w).exp();
    return {
      output: e.div(2).sum(),
      params: new Map([
        ["x", x],
        ["w", w],
      ]),
    };
  },
  cnn: () => {
    torch.manualSeed(0);
    const nn = torch.nn;
    const cnn = new nn.Sequential(
      new nn.Conv2d(1, 2, 3),
      new nn.BatchNorm2d(2),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(8, 3),
    );
    const images = torch.randn(2, 1, 6, 6);
    const target = torch.tensor([0, 2], { dtype: torch.int64 });
    const loss = nn.functional.crossEntropy(cnn.call(images), target);
    return { output: loss, params: cnn.namedParameters() };
  },
  attention: () => {
    torch.manualSeed(0);
    const norm = new torch.nn.LayerNorm(4);
    const emb = new torch.nn.Embedding(5, 4);
    const tokens = torch.tensor([[1, 3, 4]], { dtype: torch.int64 });
    const h = norm.call(emb.call(tokens));
    const att = torch.softmax(torch.bmm(h, h.transpose(1, 2)).div(2), -1);
    const z = torch
      .cat([torch.bmm(att, h).tanh(), h.sigmoid()], 2)
      .index(torch.slice(), torch.slice(1))
      .sum(1);
    const params = {
      "norm.weight": norm.weight!,
      "norm.bias": norm.bias!,
      "emb.weight": emb.weight,
    };
    return { output: z, params };
  },
  attrs: () => {
    const x = torch.randn(3, { requiresGrad: true });
    const w = torch.randn(3, { requiresGrad: true });
    return { output: x.mul(2).exp().mul(w).relu(), params: { x, w } };
  },
  custom_function: () => {
    const x = torch.randn(3, { requiresGrad: true });
    return { output: Square.apply(x).sum(), params: { x } };
  },
};

/** The case name without its option suffix (polynomial_saved builds polynomial). */
const builderOf = (name: string): (() => Built) => {
  const b = BUILD[name] ?? BUILD[name.replace(/_(saved|cut)$/, "")];
  assert.ok(b !== undefined, `no builder for fixture case ${name}`);
  return b;
};

test("every fixture case has a builder and every builder a case", () => {
  for (const name of Object.keys(FX)) builderOf(name);
  for (const name of Object.keys(BUILD)) assert.ok(name in FX, `builder ${name} has no case`);
});

/**
 * Tensors PyTorch's nodes save that tensorgrad's do not (their backward recomputes or does
 * without them): the batch and layer norms' mean and inverse standard deviation (result1,
 * result2), running statistics and bias, and the embedding's weight (PyTorch reads only its
 * size). These undirected edges (and the boxes only they reach) are left out of PyTorch's
 * graph before comparing; everything else must be identical.
 */
const NOT_SAVED_HERE: Record<string, string[]> = {
  cnn_saved: [
    'NativeBatchNormBackward0 -> "result1\n (2)" [dir=none]',
    'NativeBatchNormBackward0 -> "result2\n (2)" [dir=none]',
    'NativeBatchNormBackward0 -> "running_mean\n (2)" [dir=none]',
    'NativeBatchNormBackward0 -> "running_var\n (2)" [dir=none]',
  ],
  attention_saved: [
    'NativeLayerNormBackward0 -> "norm.bias\n (4)" [dir=none]',
    'NativeLayerNormBackward0 -> "result1\n (1, 3, 1)" [dir=none]',
    'NativeLayerNormBackward0 -> "result2\n (1, 3, 1)" [dir=none]',
    'EmbeddingBackward0 -> "emb.weight\n (5, 4)" [dir=none]',
  ],
};

/** PyTorch's structure without the edges in `drop` (each must be there) and orphaned boxes. */
function withoutSaved(s: { nodes: string[]; edges: string[] }, drop: readonly string[]) {
  const edges = [...s.edges];
  for (const e of drop) {
    const i = edges.indexOf(e);
    assert.ok(i >= 0, `PyTorch's graph has no edge ${JSON.stringify(e)}`);
    edges.splice(i, 1);
  }
  const linked = new Set(edges.flatMap((e) => e.replace(/ \[dir=none\]$/, "").split(" -> ")));
  const dropped = new Set(drop.map((e) => e.replace(/ \[dir=none\]$/, "").split(" -> ")[1]));
  const nodes = s.nodes.filter((n) => !dropped.has(n) || linked.has(n));
  return { nodes, edges };
}

for (const [name, c] of Object.entries(FX)) {
  test(`makeDot matches torchviz's make_dot: ${name}`, () => {
    const { output, params } = builderOf(name)();
    const dot = torch.viz.makeDot(output, {
      params,
      showAttrs: c.options.show_attrs ?? false,
      showSaved: c.options.show_saved ?? false,
      maxAttrChars: c.options.max_attr_chars ?? 50,
    });
    const mine = canonical(dot.source);
    assert.equal(String(dot), dot.source);
    const drop = NOT_SAVED_HERE[name];
    if (drop !== undefined) {
      assert.deepEqual(structure(mine), withoutSaved(structure(c.source), drop));
      return;
    }
    // the structure first (clearer failures), then the whole text
    assert.deepEqual(structure(mine), structure(c.source));
    assert.equal(mine, c.source);
  });
}

test("the fixture's statements are the DOT body (the structure parser reads what was recorded)", () => {
  const c = FX.saved_mixed;
  const s = structure(c.source);
  const nodes = new Map<string, string>();
  for (const call of c.calls) if (call.kind === "node") nodes.set(call.id!, call.label!);
  const edges = c.calls.filter((k) => k.kind === "edge");
  assert.equal(s.edges.length, edges.length);
  assert.deepEqual(s.nodes.length, nodes.size);
  assert.ok(s.edges.includes('"self\n (3)" -> AccumulateGrad') === false);
  assert.ok(s.edges.some((e) => e.startsWith('"x\n (3)" -> AccumulateGrad')));
});

test("positional arguments in torchviz's order, options object, errors", () => {
  const x = torch.randn(3, { requiresGrad: true });
  const y = x.exp().sum();
  const byName = torch.viz.makeDot(y, { params: { x }, showSaved: true }).source;
  const positional = torch.viz.makeDot(y, { x }, false, true).source;
  assert.equal(canonical(positional), canonical(byName));
  const mixed = torch.viz.makeDot(y, { x }, { showSaved: true }).source;
  assert.equal(canonical(mixed), canonical(byName));
  assert.match(byName, /label="result\n \(3\)" fillcolor=orange/);
  assert.match(byName, /label="x\n \(3\)" fillcolor=lightblue/);
  assert.throws(() => torch.viz.makeDot(y, { shoSaved: true } as never), {
    name: "TypeError",
    message: "make_dot() got an unexpected keyword argument 'shoSaved'",
  });
  assert.throws(() => torch.viz.makeDot(y, { x }, { params: { x } }), {
    name: "TypeError",
    message: "make_dot() got multiple values for argument 'params'",
  });
  assert.throws(() => torch.viz.makeDot(y, new Map([["x", 3 as unknown as Tensor]])), {
    name: "TypeError",
  });
});

test("showAttrs by position; a node without attributes keeps its bare name", () => {
  const x = torch.randn(2, 3, { requiresGrad: true });
  const y = x.mul(2);
  assert.match(torch.viz.makeDot(y).source, /label=MulBackward0\]/);
  const withAttrs = torch.viz.makeDot(y, null, true).source;
  assert.equal(withAttrs, torch.viz.makeDot(y, { showAttrs: true }).source);
  assert.match(withAttrs, /label="MulBackward0\n-+\nother: \[saved tensor\]\nself : +None"/);
  assert.match(withAttrs, /label=AccumulateGrad\]/);
});

test("showSaved after backward raises PyTorch's freed-graph error; before, it does not", () => {
  const x = torch.randn(3, { requiresGrad: true });
  const y = x.exp().sum();
  torch.viz.makeDot(y, { showSaved: true });
  y.backward();
  assert.doesNotThrow(() => torch.viz.makeDot(y));
  assert.throws(
    () => torch.viz.makeDot(y, { showSaved: true }),
    /backward through the graph a second time/,
  );
});

test("a leaf output without history; graph size grows with the statements (resize_graph)", () => {
  const x = torch.randn(2, { requiresGrad: true });
  const leaf = torch.viz.makeDot(x, { params: { x } }).source;
  assert.match(leaf, /^\t\d+ \[label="x\n \(2\)" fillcolor=darkolivegreen1\]$/m);
  // 81 statements or more: size = 0.15 per statement, as Python's str(float)
  let y = x;
  for (let i = 0; i < 45; i++) y = y.mul(1.5);
  const big = torch.viz.makeDot(y);
  const n = big.body.length;
  assert.ok(n * 0.15 > 12);
  const size = String(n * 0.15).includes(".") ? String(n * 0.15) : `${n * 0.15}.0`;
  assert.equal(big.graphAttr.size, `${size},${size}`);
  assert.match(big.source, new RegExp(`graph \\[size="${size.replace(".", "\\.")},`));
});

test("toSvg and render: Graphviz (WebAssembly) lays the graph out as SVG with the labels", async () => {
  torch.manualSeed(0);
  const model = new torch.nn.Sequential(new torch.nn.Linear(4, 3), new torch.nn.ReLU());
  const y = model.call(torch.randn(2, 4)).mean();
  const dot = torch.viz.makeDot(y, { params: model.namedParameters(), showSaved: true });
  const svg = await dot.toSvg();
  assert.match(svg, /<svg /);
  for (const label of ["MeanBackward0", "AddmmBackward0", "ReluBackward0", "AccumulateGrad"])
    assert.ok(svg.includes(`>${label}</text>`), `${label} in the SVG`);
  assert.ok(svg.includes(">0.weight</text>") && svg.includes(">0.bias</text>"));
  assert.ok(svg.includes('fill="lightblue"') && svg.includes('fill="orange"'));
  const { mkdtemp, readFile, rm } = await import("node:fs/promises");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = await mkdtemp(join(tmpdir(), "viz-"));
  try {
    const path = await dot.render(join(dir, "mlp"));
    assert.equal(path, join(dir, "mlp.svg"));
    assert.equal(await readFile(join(dir, "mlp"), "utf8"), dot.source);
    assert.equal(await readFile(path, "utf8"), svg);
  } finally {
    await rm(dir, { recursive: true });
  }
});

test("importing tensorgrad and making DOT does not load Graphviz; the first render does", () => {
  // a resolve hook (run in Node's loader thread) reports every resolution of @viz-js/viz
  const hooks =
    "export async function resolve(s, c, next) {" +
    ' if (s.includes("@viz-js/viz")) process.stderr.write("LOADED @viz-js/viz\\n");' +
    " return next(s, c); }";
  const register =
    'import { register } from "node:module";' +
    `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const index = new URL("../src/index.ts", import.meta.url).href;
  const program =
    `const torch = await import(${JSON.stringify(index)});` +
    "const x = torch.randn(2, { requiresGrad: true });" +
    "torch.viz.makeDot(x.mul(2));" +
    'process.stderr.write("DOT MADE\\n");' +
    "await torch.viz.makeDot(x.mul(2)).toSvg();" +
    'process.stderr.write("SVG MADE\\n");';
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--import",
      `data:text/javascript,${encodeURIComponent(register)}`,
      "--input-type=module",
      "-e",
      program,
    ],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.split("\n").filter((l) => /^(LOADED|DOT MADE|SVG MADE)/.test(l));
  assert.deepEqual(lines, ["DOT MADE", "LOADED @viz-js/viz", "SVG MADE"]);
});

test("examples/viz-graphs.ts writes the seed tutorials' graphs as SVG files", async () => {
  const { mkdtemp, readdir, readFile, rm } = await import("node:fs/promises");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = await mkdtemp(join(tmpdir(), "viz-graphs-"));
  try {
    const example = new URL("../examples/viz-graphs.ts", import.meta.url).pathname;
    const r = spawnSync(process.execPath, ["--import", "tsx", example, dir], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const files = (await readdir(dir)).sort();
    assert.equal(files.length, 14);
    assert.equal(r.stdout.trim().split("\n").length, 14);
    for (const f of files) {
      const svg = await readFile(join(dir, f), "utf8");
      assert.match(svg, /<svg /, f);
      assert.ok(svg.includes(">AccumulateGrad</text>"), f);
      // torchviz's colour of an output
      assert.ok(svg.includes('fill="#caff70"'), f);
    }
    const poly = await readFile(join(dir, "00-polynomial.svg"), "utf8");
    assert.equal(poly.split(">PowBackward0</text>").length - 1, 3);
    assert.equal(poly.split(">MulBackward0</text>").length - 1, 3);
    assert.ok(poly.includes('fill="lightblue"') && !poly.includes('fill="orange"'));
    // y * y saves y twice (one box) and `* 3` a wrapped number
    const mean = await readFile(join(dir, "03-mean-saved.svg"), "utf8");
    assert.equal(mean.split('fill="orange"').length - 1, 2);
    assert.ok(mean.includes(">self</text>") && mean.includes(">other</text>"));
  } finally {
    await rm(dir, { recursive: true });
  }
});
