/**
 * torch.viz: pictures of the backward graph, as torchviz's `make_dot` draws them
 * (github.com/szagoruyko/pytorchviz, torchviz/dot.py). `makeDot(output)` walks the graph from
 * the output's grad_fn and returns a `Digraph` whose `.source` is Graphviz DOT text written as
 * the Python `graphviz` package writes it; `toSvg()` lays it out with Graphviz compiled to
 * WebAssembly (`@viz-js/viz`, loaded on first use, in Node and in browsers).
 *
 * The picture, as torchviz's:
 * - a gray box per backward node (MulBackward0, AccumulateGrad, ...), with an edge from each
 *   node to the node that uses its gradient (next_functions, in order; empty slots skipped);
 * - light blue: the leaf behind each AccumulateGrad, labelled with its name in `params` (if
 *   any) and its shape;
 * - green: the tensors passed as outputs; dark green: the base of an output that is a view,
 *   joined by a dotted edge;
 * - orange (with `showSaved`): the tensors each node saved for backward, labelled with PyTorch's
 *   attribute name (`_saved_self` -> "self") and joined by an undirected edge. A saved tensor
 *   that is also drawn as a leaf is one box (same object, same id): the later statement's
 *   label wins, as in DOT. A node's saved outputs (`result`) are new tensors in PyTorch each
 *   time they are read, so each is its own box; a number operand PyTorch saves as a wrapped
 *   0-dim tensor (`2 * x`: MulBackward0's `other`) is drawn as a 0-dim saved tensor;
 * - custom functions: the tensors in `ctx.savedTensors`, always (orange, undirected).
 * With `showAttrs` a node's label also lists what it saved: tensors as "[saved tensor]", and the
 * non-tensor attributes tensorgrad's node records (snake_case names, Python formatting).
 */
import { Tensor } from "./tensor.js";
import { AccumulateGrad, Node } from "./autograd/node.js";
import { OpNode } from "./autograd/function.js";
import { CustomFunctionNode } from "./autograd/custom-function.js";
import { typeError } from "./errors.js";
import { formatPyFloat } from "./print.js";
import { nodeFs } from "./data/node-io.js";

// ------------------------------------------------------------------------------------------
// DOT text, as the Python graphviz package (0.20) writes it

/** graphviz's ID pattern: a name, or a numeral; anything else is quoted */
const DOT_ID = /^([a-zA-Z_][a-zA-Z0-9_]*|-?(\.[0-9]+|[0-9]+(\.[0-9]*)?))$/;
const DOT_KEYWORDS = new Set(["node", "edge", "graph", "digraph", "subgraph", "strict"]);

/**
 * An identifier or attribute value for DOT (graphviz.quoting.quote): left bare when it is a
 * DOT ID and not a keyword, else in double quotes with each unescaped `"` escaped.
 */
function quoteDot(s: string): string {
  if (DOT_ID.test(s) && !DOT_KEYWORDS.has(s.toLowerCase())) return s;
  if (s.startsWith("<") && s.endsWith(">")) return s; // an HTML-like label
  return `"${s.replace(/(?<!\\)((?:\\\\)*)"/g, '$1\\"')}"`;
}

/** ` [label=... k=v ...]`: the label first, then the attributes sorted by name (unset ones left out) */
function attrList(label: string | undefined, attrs: Readonly<Record<string, string>>): string {
  const parts = label === undefined ? [] : [`label=${quoteDot(label)}`];
  for (const k of Object.keys(attrs).sort()) parts.push(`${quoteDot(k)}=${quoteDot(attrs[k])}`);
  return parts.length === 0 ? "" : ` [${parts.join(" ")}]`;
}

/** Lazily loaded Graphviz (WebAssembly): one instance per process or page. */
type VizInstance = { renderString(input: string, options?: { format?: string }): string };
let vizPromise: Promise<VizInstance> | null = null;
function graphvizInstance(): Promise<VizInstance> {
  // a dynamic import: programs that never render never load the 1.4 MB WebAssembly module
  vizPromise ??= import("@viz-js/viz").then((m) => m.instance());
  return vizPromise;
}

/**
 * Note [empty label lines]: the WebAssembly Graphviz (16.1, @viz-js/viz 3.31) corrupts its
 * memory on labels with an empty line (torchviz's unnamed tensors: "\n (2, 3)"), failing a
 * later render with "table index is out of bounds". Rendering gives such lines one space,
 * which draws the same; `source` stays as torchviz writes it. Raw newlines occur in the DOT
 * text only inside quoted labels, so a newline right after an opening quote or before another
 * newline starts an empty label line.
 */
function forGraphviz(source: string): string {
  return source.replace(/="\n/g, '=" \n').replace(/\n(?=\n)/g, "\n ");
}

/** Options of `Digraph.render`. */
export interface RenderOptions {
  /** the output format Graphviz writes (default "svg"; "dot", "json", "xdot", "plain", ...) */
  format?: string;
}

/**
 * A directed graph in DOT, as torchviz returns it (Python graphviz's `Digraph`): statements
 * are added with `node` and `edge`; `source` is the DOT text.
 * @example
 * const y = torch.ones(2, { requiresGrad: true }).exp().sum();
 * const dot = torch.viz.makeDot(y);
 * console.log(dot.source); // digraph { ... }
 * await dot.toSvg(); // "<svg ..."
 */
export class Digraph {
  /** default attributes of every node (the `node [...]` line) */
  readonly nodeAttr: Record<string, string>;
  /** attributes of the graph (the `graph [...]` line) */
  readonly graphAttr: Record<string, string>;
  /** the node and edge statements, one line each, in the order they were added */
  readonly body: string[] = [];

  constructor(
    options: { nodeAttr?: Record<string, string>; graphAttr?: Record<string, string> } = {},
  ) {
    this.nodeAttr = { ...options.nodeAttr };
    this.graphAttr = { ...options.graphAttr };
  }

  /**
   * Add (or restyle: DOT keeps the last value of each attribute) node `name`.
   * @example
   * const g = new Digraph();
   * g.node("1", "AddBackward0", { fillcolor: "lightblue" });
   * g.source; // 'digraph {\n\t1 [label=AddBackward0 fillcolor=lightblue]\n}\n'
   */
  node(name: string, label?: string, attrs: Record<string, string> = {}): void {
    this.body.push(`\t${quoteDot(name)}${attrList(label, attrs)}\n`);
  }

  /**
   * Add an edge from node `tail` to node `head`.
   * @example
   * const g = new Digraph();
   * g.edge("2", "1", { style: "dotted" });
   * g.source; // 'digraph {\n\t2 -> 1 [style=dotted]\n}\n'
   */
  edge(tail: string, head: string, attrs: Record<string, string> = {}): void {
    this.body.push(`\t${quoteDot(tail)} -> ${quoteDot(head)}${attrList(undefined, attrs)}\n`);
  }

  /** The DOT text. */
  get source(): string {
    let s = "digraph {\n";
    const defaults: [string, Record<string, string>][] = [
      ["graph", this.graphAttr],
      ["node", this.nodeAttr],
    ];
    for (const [kw, attrs] of defaults)
      if (Object.keys(attrs).length > 0) s += `\t${kw}${attrList(undefined, attrs)}\n`;
    return s + this.body.join("") + "}\n";
  }

  /** The DOT text (as Python's `str(dot)`). */
  toString(): string {
    return this.source;
  }

  /**
   * The graph laid out by Graphviz (dot) in `format` (default "svg"), as a string; loads
   * Graphviz's WebAssembly build on first use. Works in Node and in browsers.
   * @example const svg = await torch.viz.makeDot(torch.ones(2, { requiresGrad: true }).sum()).pipe("svg");
   */
  async pipe(format = "svg"): Promise<string> {
    const viz = await graphvizInstance();
    return viz.renderString(forGraphviz(this.source), { format });
  }

  /**
   * The graph as SVG text.
   * @example
   * const loss = torch.ones(2, { requiresGrad: true }).exp().sum();
   * const svg = await torch.viz.makeDot(loss).toSvg(); // in a page: document.body.innerHTML = svg
   */
  toSvg(): Promise<string> {
    return this.pipe("svg");
  }

  /**
   * Node (20.16 or newer) only: write the DOT source to `filename` and the rendered graph to
   * `filename.<format>`, as graphviz's `render`; returns the rendered file's path.
   * @example
   * const model = new torch.nn.Linear(4, 1);
   * const loss = model.call(torch.randn(2, 4)).mean();
   * const params = Object.fromEntries(model.namedParameters());
   * await torch.viz.makeDot(loss, { params }).render("mlp"); // "mlp.svg"

   */
  async render(filename = "Digraph.gv", options: RenderOptions = {}): Promise<string> {
    const format = options.format ?? "svg";
    const out = await this.pipe(format);
    const fs = nodeFs();
    fs.writeFileSync(filename, this.source);
    const path = `${filename}.${format}`;
    fs.writeFileSync(path, out);
    return path;
  }
}

// ------------------------------------------------------------------------------------------
// make_dot

/** Parameter names: a Module's namedParameters(), a Map, or a plain object. */
export type ParamsArg =
  | ReadonlyMap<string, Tensor>
  | Iterable<readonly [string, Tensor]>
  | Readonly<Record<string, Tensor>>;

/** Options of makeDot (torchviz's make_dot keyword arguments). */
export interface MakeDotOptions {
  /** names for the leaves: `model.namedParameters()`, a Map or an object of name -> tensor */
  params?: ParamsArg | null;
  /** list each node's saved attributes in its box (default false) */
  showAttrs?: boolean;
  /** draw the tensors each node saved for backward (default false) */
  showSaved?: boolean;
  /** with showAttrs, the widest attribute value before it is cut with "..." (default 50) */
  maxAttrChars?: number;
}

const OPTION_KEYS = new Set(["params", "showAttrs", "showSaved", "maxAttrChars"]);

/** A stable id per tensor for DOT, as Python's id(): the same object gets the same number. */
const tensorIds = new WeakMap<object, string>();
// 8 mod 16, where node addresses are 0 mod 16: a tensor's id is never a node's
let nextTensorId = 0x7f3b00000008;
function objectId(o: object): string {
  if (o instanceof Node) return String(o.address);
  let id = tensorIds.get(o);
  if (id === undefined) {
    id = String(nextTensorId);
    nextTensorId += 0x50;
    tensorIds.set(o, id);
  }
  return id;
}

/** torchviz's size_to_str: "(2, 3)"; "()" for a 0-dim tensor */
const shapeText = (shape: readonly number[]): string => `(${shape.join(", ")})`;

/** camelCase -> snake_case (PyTorch's attribute names) */
const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A value as Python's str() shows it: True/None, tuples for lists, repr of floats. */
function pyStr(v: unknown): string | null {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : v > 0 ? "inf" : "-inf";
  if (typeof v === "string") return v;
  if (Array.isArray(v)) {
    const items = v.map(pyStr);
    if (items.some((x) => x === null)) return null;
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
  }
  return null;
}

/** A saved entry as torchviz sees `getattr(fn, "_saved_" + name)`. */
interface SavedEntry {
  name: string;
  value: Tensor | (Tensor | null)[] | { scalar: true };
}

/**
 * Saved names of tensorgrad's entries that PyTorch's node calls otherwise: its schema's
 * argument names (mm(Tensor self, Tensor mat2), convolution(Tensor input, ...),
 * native_layer_norm(Tensor input, ...)) and `result1` for the second output of the max
 * poolings that return indices.
 */
const MAT2 = { other: "mat2" };
const INPUT = { self: "input" };
const RESULT1 = { indices: "result1" };
const PYTORCH_SAVED_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  MmBackward0: MAT2,
  BmmBackward0: MAT2,
  ConvolutionBackward0: INPUT,
  NativeLayerNormBackward0: INPUT,
  NativeGroupNormBackward0: INPUT,
  NativeBatchNormBackward0: INPUT,
  MaxPool2DWithIndicesBackward0: RESULT1,
  MaxPool3DWithIndicesBackward0: RESULT1,
  AdaptiveMaxPool2DBackward0: RESULT1,
  AdaptiveMaxPool3DBackward0: RESULT1,
  FractionalMaxPool2DBackward0: RESULT1,
  FractionalMaxPool3DBackward0: RESULT1,
};

/** `key` of `node`'s saved record as PyTorch's attribute name (without `_saved_`). */
function savedName(node: OpNode, key: string): string {
  return PYTORCH_SAVED_NAMES[node.name()]?.[key] ?? snake(key);
}

/** What `node` saved, by PyTorch's attribute name, in dir() order (sorted). */
function savedEntries(node: Node): SavedEntry[] {
  if (!(node instanceof OpNode)) return [];
  const out: SavedEntry[] = [];
  for (const key of Object.keys(node.saved)) {
    const v = node.saved[key];
    // unpack: PyTorch's attribute read unpacks too, raising the freed-graph and version errors
    const value = Array.isArray(v) ? v.map((x) => (x === null ? null : x.unpack())) : v.unpack();
    out.push({ name: savedName(node, key), value });
  }
  // a number operand PyTorch keeps as a wrapped 0-dim tensor (`x * 2`: MulBackward0's other)
  if (wrapsScalar(node)) out.push({ name: "other", value: { scalar: true } });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function wrapsScalar(node: OpNode): boolean {
  const attrs = node.attrs as Record<string, unknown>;
  return node.savesScalarOperand && typeof attrs.scalar === "number" && !("other" in node.saved);
}

/** Declared saved tensors not saved this time: PyTorch's attribute reads None. */
function unsavedNames(node: Node): string[] {
  if (!(node instanceof OpNode)) return [];
  return node.declaredSaved
    .filter((k) => !(k in node.saved) && !(k === "other" && wrapsScalar(node)))
    .map((k) => savedName(node, k));
}

/** The non-tensor attributes of `node`, for showAttrs (the wrapped scalar shown as "other"). */
function plainAttrs(node: Node): [string, string][] {
  if (!(node instanceof OpNode)) return [];
  const attrs = node.attrs as Record<string, unknown> | undefined;
  if (attrs === undefined || attrs === null) return [];
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(attrs)) {
    // `name` picks the node's name among variants; the wrapped number is drawn as `other`
    if (k === "name" || (k === "scalar" && node.savesScalarOperand)) continue;
    const text = pyStr(v);
    if (text !== null) out.push([snake(k), text]);
  }
  return out;
}

/** torchviz's get_fn_name: the node's name, with showAttrs a two-column table of attributes. */
function nodeLabel(node: Node, showAttrs: boolean, maxAttrChars: number): string {
  const name = node.name();
  if (!showAttrs) return name;
  const rows = new Map<string, string>();
  const all: [string, string][] = [
    ...savedEntries(node).map((e): [string, string] => [
      e.name,
      Array.isArray(e.value) ? "[saved tensors]" : "[saved tensor]",
    ]),
    ...unsavedNames(node).map((k): [string, string] => [k, "None"]),
    ...plainAttrs(node),
  ];
  all.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [k, v] of all) if (!rows.has(k)) rows.set(k, v);
  if (rows.size === 0) return name;
  const width = Math.max(maxAttrChars, 3);
  const kw = Math.max(...[...rows.keys()].map((k) => k.length));
  const vw = Math.min(Math.max(...[...rows.values()].map((v) => v.length)), width);
  const rule = "-".repeat(Math.max(kw + vw + 2, name.length));
  // Python's "%-{kw}s: %{vw}s": the name padded right, the value padded left
  const lines = [...rows].map(([k, v]) => {
    const cut = v.length > vw ? v.slice(0, vw - 3) + "..." : v;
    return `${k.padEnd(kw)}: ${cut.padStart(vw)}`;
  });
  return `${name}\n${rule}\n${lines.join("\n")}`;
}

function isParams(o: object): boolean {
  if (o instanceof Map || Array.isArray(o)) return true;
  const values = Object.values(o);
  return values.length > 0 && values.every((v) => v instanceof Tensor);
}

function paramNames(params: ParamsArg | null | undefined): Map<Tensor, string> {
  const names = new Map<Tensor, string>();
  if (params === null || params === undefined) return names;
  const entries: Iterable<readonly [string, unknown]> =
    params instanceof Map || Symbol.iterator in params
      ? (params as Iterable<readonly [string, unknown]>)
      : Object.entries(params);
  for (const [k, v] of entries) {
    // torchviz: assert all(isinstance(p, Variable) for p in params.values())
    if (!(v instanceof Tensor))
      throw typeError(`makeDot(): params must map names to Tensors, but ${k} is not a Tensor`);
    names.set(v, k);
  }
  return names;
}

/**
 * Graphviz picture of the backward graph behind `output` (a tensor or a list of tensors), as
 * torchviz's `make_dot(var, params=None, show_attrs=False, show_saved=False,
 * max_attr_chars=50)`: the arguments in that order, or by name in a trailing options object.
 * Returns a `Digraph` (`.source` is the DOT text; `toSvg()`, `render()` lay it out).
 * @example
 * const model = new torch.nn.Sequential(new torch.nn.Linear(4, 3), new torch.nn.ReLU());
 * const y = model.call(torch.randn(2, 4)).mean();
 * const dot = torch.viz.makeDot(y, { params: model.namedParameters() });
 * dot.source; // 'digraph {\n\tgraph [size="12,12"]\n ...'
 */
export function makeDot(
  output: Tensor | readonly Tensor[],
  params?: ParamsArg | MakeDotOptions | null,
  showAttrs?: boolean | MakeDotOptions,
  showSaved?: boolean | MakeDotOptions,
  maxAttrChars?: number | MakeDotOptions,
): Digraph {
  // the trailing options object may follow any number of positional arguments
  const positional: unknown[] = [params, showAttrs, showSaved, maxAttrChars];
  let last = positional.length;
  while (last > 0 && positional[last - 1] === undefined) last--;
  let opts: MakeDotOptions = {};
  const tail = positional[last - 1];
  if (
    last > 0 &&
    typeof tail === "object" &&
    tail !== null &&
    !(tail instanceof Tensor) &&
    !isParams(tail)
  ) {
    for (const k of Object.keys(tail))
      if (!OPTION_KEYS.has(k))
        throw typeError(`make_dot() got an unexpected keyword argument '${k}'`);
    opts = tail as MakeDotOptions;
    last--;
  }
  const names = ["params", "showAttrs", "showSaved", "maxAttrChars"] as const;
  for (let i = 0; i < last; i++) {
    if (names[i] in opts)
      throw typeError(`make_dot() got multiple values for argument '${snake(names[i])}'`);
  }
  const pick = <T>(i: number, fallback: T): T =>
    ((i < last ? positional[i] : (opts as Record<string, unknown>)[names[i]]) as T) ?? fallback;
  const paramMap = paramNames(pick<ParamsArg | null>(0, null));
  const attrsOn = pick(1, false);
  const savedOn = pick(2, false);
  const maxChars = pick(3, 50);

  const dot = new Digraph({
    nodeAttr: {
      style: "filled",
      shape: "box",
      align: "left",
      fontsize: "10",
      ranksep: "0.1",
      height: "0.2",
      fontname: "monospace",
    },
    graphAttr: { size: "12,12" },
  });
  // nodes and tensors already drawn (torchviz's `seen`)
  const seen = new Set<object>();
  const id = objectId;

  const varLabel = (t: Tensor, name?: string): string =>
    `${name ? name : (paramMap.get(t) ?? "")}\n ${shapeText(t.shape)}`;

  /** A saved tensor's stand-in: itself, or a new object where PyTorch reads a new tensor. */
  const savedObject = (t: Tensor, fn: Node): object => (t.gradFn === fn ? {} : t);

  const drawSaved = (fn: Node, obj: object, label: string): void => {
    seen.add(obj);
    dot.edge(id(fn), id(obj), { dir: "none" });
    dot.node(id(obj), label, { fillcolor: "orange" });
  };

  const addNodes = (fn: Node): void => {
    if (seen.has(fn)) return;
    seen.add(fn);
    if (savedOn) {
      for (const e of savedEntries(fn)) {
        const v = e.value;
        if (v instanceof Tensor) drawSaved(fn, savedObject(v, fn), varLabel(v, e.name));
        else if (Array.isArray(v)) {
          v.forEach((t, i) => {
            if (t !== null) drawSaved(fn, savedObject(t, fn), varLabel(t, `${e.name}[${i}]`));
          });
        } else {
          // a wrapped number: a new 0-dim tensor each read
          const obj = {};
          seen.add(obj);
          dot.edge(id(fn), id(obj), { dir: "none" });
          dot.node(id(obj), `${e.name}\n ()`, { fillcolor: "orange" });
        }
      }
    }
    if (fn instanceof AccumulateGrad) {
      const leaf = fn.variable;
      seen.add(leaf);
      dot.node(id(leaf), varLabel(leaf), { fillcolor: "lightblue" });
      dot.edge(id(leaf), id(fn));
    }
    dot.node(id(fn), nodeLabel(fn, attrsOn, maxChars));
    for (const e of fn.edges) {
      if (e.node !== null) {
        dot.edge(id(e.node), id(fn));
        addNodes(e.node);
      }
    }
    if (fn instanceof CustomFunctionNode) {
      for (const t of fn.savedTensors) {
        if (t === null) continue;
        const obj = savedObject(t, fn);
        seen.add(obj);
        dot.edge(id(obj), id(fn), { dir: "none" });
        dot.node(id(obj), varLabel(t), { fillcolor: "orange" });
      }
    }
  };

  const addBaseTensor = (t: Tensor, color = "darkolivegreen1"): void => {
    if (seen.has(t)) return;
    seen.add(t);
    dot.node(id(t), varLabel(t), { fillcolor: color });
    const fn = t.gradFn;
    if (fn !== null) {
      addNodes(fn);
      dot.edge(id(fn), id(t));
    }
    if (t._base !== null) {
      addBaseTensor(t._base, "darkolivegreen3");
      dot.edge(id(t._base), id(t), { style: "dotted" });
    }
  };

  const outputs = output instanceof Tensor ? [output] : output;
  for (const t of outputs) {
    if (!(t instanceof Tensor))
      throw typeError(`makeDot(): output must be a Tensor or a list of Tensors`);
    addBaseTensor(t);
  }

  // torchviz's resize_graph: 0.15 inch per statement, at least 12
  const size = dot.body.length * 0.15;
  const sizeText = size > 12 ? formatPyFloat(size) : "12";
  dot.graphAttr.size = `${sizeText},${sizeText}`;
  return dot;
}
