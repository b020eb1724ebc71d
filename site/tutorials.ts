/**
 * The tutorials page: the four seed tutorials (examples/01-04), cell by cell, editable, run in
 * the page with what Node prints (examples/cell.ts's `out`), and the autograd graph behind any
 * tensor of a notebook drawn by torch.viz.makeDot and Graphviz (WebAssembly).
 *
 * Note [cells in the page]: a tutorial's cells share the module-level variables of its file
 * (`let x: torch.Tensor; ...`). scripts/build-site.ts lists those names (`state`) and compiles
 * each cell's body to JavaScript; the page runs a body as
 * `with (scope) { body }` in a sloppy-mode Function, so that `x = ...` in one cell and `x` in
 * the next read and write the same notebook variable, as in the module. The scope has no
 * prototype (no name resolves to Object.prototype's members). An edited cell is compiled in the
 * page by TypeScript's transpiler (./transpile.ts, loaded on the first edit).
 */
import * as torch from "tensorgrad";
import { float, makeOut, tuple } from "../examples/cell.js";

import { detectBackends, useBackend } from "./backends.js";

/** One cell as scripts/build-site.ts writes it into tutorials.json. */
export interface SiteCell {
  title: string;
  /** the notebook's Python */
  python: string;
  /** the TypeScript body of the cell's `run(out)` */
  ts: string;
  /** `ts` compiled to JavaScript */
  js: string;
}

/** One tutorial of tutorials.json. */
export interface SiteTutorial {
  name: string;
  title: string;
  /** the module-level variables its cells share */
  state: string[];
  cells: SiteCell[];
}

type Scope = Record<string, unknown>;
type CellFn = (
  scope: Scope,
  t: typeof torch,
  out: ReturnType<typeof makeOut>,
  f: typeof float,
  tup: typeof tuple,
) => void;

let transpiler: Promise<typeof import("./transpile.js")> | null = null;

/** The JavaScript to run for a cell's current text (Note [cells in the page]). */
async function compile(cell: SiteCell, text: string): Promise<CellFn> {
  let js = cell.js;
  if (text !== cell.ts) {
    transpiler ??= import("./transpile.js");
    js = (await transpiler).transpile(text);
  }
  return new Function(
    "__scope",
    "torch",
    "out",
    "float",
    "tuple",
    `with (__scope) {\n${js}\n}`,
  ) as CellFn;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The tensors of a notebook's scope that have a backward graph. */
function graphTensors(scope: Scope): [string, torch.Tensor][] {
  return Object.entries(scope).filter(
    (e): e is [string, torch.Tensor] => e[1] instanceof torch.Tensor && e[1].gradFn !== null,
  );
}

/** The leaves that require grad, by name: makeDot's `params` (their boxes get the names). */
function namedLeaves(scope: Scope): Record<string, torch.Tensor> {
  const params: Record<string, torch.Tensor> = {};
  for (const [k, v] of Object.entries(scope))
    if (v instanceof torch.Tensor && v.requiresGrad && v.gradFn === null) params[k] = v;
  return params;
}

class Notebook {
  scope: Scope = Object.create(null) as Scope;
  readonly section: HTMLElement;
  private readonly cells: {
    cell: SiteCell;
    code: HTMLTextAreaElement;
    output: HTMLPreElement;
    select: HTMLSelectElement;
    picture: HTMLDivElement;
    /** the notebook's tensors as the cell left them (its graph is drawn from these) */
    snapshot: Scope;
  }[] = [];

  constructor(readonly tutorial: SiteTutorial) {
    this.reset();
    const s = (this.section = el("section", {
      id: tutorial.name,
      "data-tutorial": tutorial.name,
      "data-state": "idle",
    }));
    s.append(el("h2", {}, tutorial.title));
    const bar = el("div", { class: "toolbar" });
    const runAll = el("button", { class: "run-all" }, "Run all cells");
    const restart = el("button", { class: "restart" }, "Restart");
    bar.append(runAll, restart, el("span", { class: "note" }, `examples/${tutorial.name}.ts`));
    s.append(bar);
    runAll.onclick = () => void this.runAll();
    restart.onclick = () => this.restart();
    for (const [k, cell] of tutorial.cells.entries()) {
      const box = el("div", { class: "cell", "data-title": cell.title });
      const python = el("details", { class: "python" });
      python.append(el("summary", {}, `${cell.title}  PyTorch`), el("pre", {}, cell.python));
      const code = el("textarea", {
        class: "code",
        spellcheck: "false",
        rows: String(Math.max(2, cell.ts.split("\n").length)),
      });
      code.value = cell.ts;
      code.onkeydown = (e) => {
        if (e.key === "Enter" && (e.shiftKey || e.ctrlKey)) {
          e.preventDefault();
          void this.run(k);
        }
      };
      const actions = el("div", { class: "actions" });
      const run = el("button", { class: "run" }, "Run");
      const graph = el("button", { class: "graph" }, "Draw graph");
      const select = el("select", { class: "graph-of", title: "the tensor whose graph to draw" });
      actions.append(run, graph, select);
      const output = el("pre", { class: "output" });
      const picture = el("div", { class: "picture" });
      run.onclick = () => void this.run(k);
      graph.onclick = () => void this.draw(k);
      box.append(python, code, actions, output, picture);
      s.append(box);
      this.cells.push({ cell, code, output, select, picture, snapshot: {} });
    }
  }

  reset(): void {
    this.scope = Object.create(null) as Scope;
    for (const name of this.tutorial.state) this.scope[name] = undefined;
  }

  restart(): void {
    this.reset();
    for (const c of this.cells) {
      c.code.value = c.cell.ts;
      c.output.textContent = "";
      c.output.classList.remove("error");
      c.picture.textContent = "";
      c.select.textContent = "";
      c.snapshot = {};
    }
    this.section.dataset.state = "idle";
  }

  /** Run cell k in the notebook's scope; shows (and returns) what it printed. */
  async run(k: number): Promise<string> {
    const c = this.cells[k];
    let text = "";
    const out = makeOut((s) => (text += s));
    c.output.classList.remove("error");
    try {
      const fn = await compile(c.cell, c.code.value);
      fn(this.scope, torch, out, float, tuple);
    } catch (e) {
      const err = e as Error;
      text += `${err.name}: ${err.message}\n`;
      c.output.classList.add("error");
    }
    c.output.textContent = text;
    this.snapshot(k);
    return text;
  }

  async runAll(): Promise<void> {
    this.section.dataset.state = "running";
    this.reset();
    for (const c of this.cells) c.picture.textContent = "";
    for (let k = 0; k < this.cells.length; k++) await this.run(k);
    this.section.dataset.state = "done";
  }

  /**
   * Keep the notebook's tensors as cell k left them: a later cell may rebind a name (`y = ...`),
   * and the cell's picture is of its own `y`. The selector offers those with a grad_fn, the
   * last one the cell's code names first.
   */
  private snapshot(k: number): void {
    const c = this.cells[k];
    c.snapshot = { ...this.scope };
    const names = graphTensors(c.snapshot).map(([n]) => n);
    c.select.textContent = "";
    for (const n of names) c.select.append(el("option", { value: n }, n));
    const mentioned = names.filter((n) => new RegExp(`\\b${n}\\b`).test(c.code.value));
    c.select.value = mentioned.at(-1) ?? names.at(-1) ?? "";
  }

  /** Draw the graph of the tensor chosen in cell k's selector. */
  async draw(k: number): Promise<void> {
    const c = this.cells[k];
    const t = c.snapshot[c.select.value];
    if (!(t instanceof torch.Tensor) || t.gradFn === null) {
      c.picture.textContent =
        "No tensor of this notebook had a grad_fn after this cell ran (run it first).";
      return;
    }
    c.picture.textContent = "drawing…";
    const dot = torch.viz.makeDot(t, { params: namedLeaves(c.snapshot) });
    c.picture.innerHTML = await dot.toSvg();
    c.picture.dataset.drawn = c.select.value;
  }
}

async function main(): Promise<void> {
  const tutorials = (await (await fetch("tutorials.json")).json()) as SiteTutorial[];
  const root = document.getElementById("notebooks")!;
  const toc = document.getElementById("toc")!;
  for (const t of tutorials) {
    const nb = new Notebook(t);
    root.append(nb.section);
    const li = el("li");
    li.append(el("a", { href: `#${t.name}` }, t.title));
    toc.append(li);
  }
  const backends = document.getElementById("backend") as HTMLSelectElement;
  for (const b of await detectBackends()) {
    const o = el("option", { value: b.id }, b.available ? b.label : `${b.label} (not available)`);
    o.title = b.detail;
    o.disabled = !b.available || b.id === "webgpu"; // the notebooks print: CPU tensors
    backends.append(o);
    if (b.active) backends.value = b.id;
  }
  backends.onchange = () => useBackend(backends.value as "typescript" | "wasm");
  document.body.dataset.ready = "true";
}

void main();
