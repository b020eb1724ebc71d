/**
 * Notebook cells for the tour: a `Cell` is a tutorial's code cell (its Python source) and the
 * TypeScript that does the same; `out` shows what the notebook shows, as Python would print it.
 *
 * - `out.print(...values)`: Python's `print`: `str()` of each value, joined by spaces.
 * - `out.display(value)`: a cell's last expression, as IPython shows it (`IPython.lib.pretty`:
 *   a tuple wraps onto one line per item, indented by one space, when it does not fit in 79
 *   columns; a grad_fn shows as `<AddBackward0 at 0x...>`).
 *
 * JS values stand for Python ones: `null` is None, booleans are True/False, integral numbers
 * are ints and others floats (wrap a number in `float()` to print it as a float: `2.0`),
 * arrays are lists and `tuple(a, b)` is a tuple.
 */
import * as torch from "tensorgrad";

/** What a cell can show. */
export interface Out {
  /** Python's `print(*values)` */
  print(...values: unknown[]): void;
  /** IPython's display of a cell's value (the cell's last expression) */
  display(value: unknown): void;
}

/** One code cell of a tutorial. */
export interface Cell {
  /** the notebook's prompt, e.g. "In [18]" */
  title: string;
  /** the cell's Python source */
  source: string;
  run(out: Out): void;
}

/** A tutorial: its cells in order. */
export interface Tutorial {
  /** the example's file name, e.g. "01-autograd-polynomial" */
  name: string;
  /** the notebook's heading */
  title: string;
  cells: Cell[];
}

/** A Python tuple (JS arrays print as lists). */
export class Tuple {
  constructor(readonly items: readonly unknown[]) {}
}
/** `tuple(a, b)` is Python's `(a, b)`. */
export const tuple = (...items: unknown[]): Tuple => new Tuple(items);

/** A Python float (a JS number that is integral prints as an int otherwise). */
export class PyFloat {
  constructor(readonly value: number) {}
}
/** `float(2)` prints as `2.0`. */
export const float = (value: number): PyFloat => new PyFloat(value);

/**
 * Dedent a Python source written as an indented template literal: drops the first and last
 * lines when blank and the indentation common to the other lines.
 */
export function py(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((acc, s, i) => acc + String(values[i - 1]) + s);
  const lines = text.split("\n");
  if (lines.length > 0 && lines[0].trim() === "") lines.shift();
  if (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^ */.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => (l.trim() === "" ? "" : l.slice(cut))).join("\n");
}

// ---------------------------------------------------------------------------------------------
// Python's str() and repr()
// ---------------------------------------------------------------------------------------------

/** A grad_fn node (torch.Node is a type only: recognise it by its shape). */
function isNode(v: unknown): v is torch.Node {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as torch.Node).name === "function" &&
    "nextFunctions" in v &&
    "address" in v
  );
}

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s
    .replace(/\\/g, "\\\\")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r")
    .replace(/\t/g, "\\t");
  return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
}

/** Python's `repr(value)`. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") {
    return Number.isInteger(value) ? BigInt(value).toString() : torch.formatPyFloat(value);
  }
  if (value instanceof PyFloat) return torch.formatPyFloat(value.value);
  if (typeof value === "string") return reprString(value);
  if (value instanceof Tuple) {
    const items = value.items.map(pyRepr);
    return `(${items.join(", ")}${items.length === 1 ? "," : ""})`;
  }
  if (Array.isArray(value) && !(value instanceof torch.Size)) {
    return `[${value.map(pyRepr).join(", ")}]`;
  }
  return String(value); // Tensor, torch.Size, Node: their toString is PyTorch's repr
}

/** Python's `str(value)`. */
export function pyStr(value: unknown): string {
  return typeof value === "string" ? value : pyRepr(value);
}

// ---------------------------------------------------------------------------------------------
// IPython's pretty printer (IPython.lib.pretty.RepresentationPrinter), reduced to the values
// above: the same algorithm (groups broken outermost first when a line passes max_width; a
// multi-line repr forces its enclosing groups to break), so layouts match the notebooks.
// ---------------------------------------------------------------------------------------------

class Text {
  objs: string[] = [];
  width = 0;
  output(p: PrettyPrinter, outputWidth: number): number {
    for (const o of this.objs) p.output += o;
    return outputWidth + this.width;
  }
  add(obj: string, width: number): void {
    this.objs.push(obj);
    this.width += width;
  }
}

class Breakable {
  readonly indentation: number;
  readonly group: Group;
  constructor(
    readonly obj: string,
    readonly width: number,
    readonly printer: PrettyPrinter,
  ) {
    this.indentation = printer.indentation;
    this.group = printer.groupStack[printer.groupStack.length - 1];
    this.group.breakables.push(this);
  }
  output(p: PrettyPrinter, outputWidth: number): number {
    this.group.breakables.shift();
    if (this.group.wantBreak) {
      p.output += "\n" + " ".repeat(this.indentation);
      return this.indentation;
    }
    if (this.group.breakables.length === 0) p.groupQueue.remove(this.group);
    p.output += this.obj;
    return outputWidth + this.width;
  }
}

class Group {
  breakables: Breakable[] = [];
  wantBreak = false;
  constructor(readonly depth: number) {}
}

class GroupQueue {
  queue: Group[][] = [];
  constructor(group: Group) {
    this.enq(group);
  }
  enq(group: Group): void {
    while (group.depth > this.queue.length - 1) this.queue.push([]);
    this.queue[group.depth].push(group);
  }
  deq(): Group | null {
    for (const stack of this.queue) {
      for (let idx = 0; idx < stack.length; idx++) {
        const group = stack[stack.length - 1 - idx];
        if (group.breakables.length > 0) {
          stack.splice(idx, 1); // (sic: IPython deletes at the index into the reversed list)
          group.wantBreak = true;
          return group;
        }
      }
      for (const group of stack) group.wantBreak = true;
      stack.length = 0;
    }
    return null;
  }
  remove(group: Group): void {
    const stack = this.queue[group.depth];
    const i = stack.indexOf(group);
    if (i >= 0) stack.splice(i, 1);
  }
}

class PrettyPrinter {
  output = "";
  outputWidth = 0;
  bufferWidth = 0;
  buffer: (Text | Breakable)[] = [];
  groupStack: Group[];
  groupQueue: GroupQueue;
  indentation = 0;

  constructor(readonly maxWidth = 79) {
    const root = new Group(0);
    this.groupStack = [root];
    this.groupQueue = new GroupQueue(root);
  }

  private breakOneGroup(group: Group): void {
    while (group.breakables.length > 0) this.emitFirst();
    while (this.buffer.length > 0 && this.buffer[0] instanceof Text) this.emitFirst();
  }
  private emitFirst(): void {
    const x = this.buffer.shift()!;
    this.outputWidth = x.output(this, this.outputWidth);
    this.bufferWidth -= x.width;
  }
  private breakOuterGroups(): void {
    while (this.maxWidth < this.outputWidth + this.bufferWidth) {
      const group = this.groupQueue.deq();
      if (group === null) return;
      this.breakOneGroup(group);
    }
  }
  private newline(): void {
    this.output += "\n" + " ".repeat(this.indentation);
    this.outputWidth = this.indentation;
    this.bufferWidth = 0;
  }

  text(obj: string): void {
    const width = obj.length;
    if (this.buffer.length > 0) {
      let text = this.buffer[this.buffer.length - 1];
      if (!(text instanceof Text)) {
        text = new Text();
        this.buffer.push(text);
      }
      text.add(obj, width);
      this.bufferWidth += width;
      this.breakOuterGroups();
    } else {
      this.output += obj;
      this.outputWidth += width;
    }
  }
  breakable(sep = " "): void {
    const group = this.groupStack[this.groupStack.length - 1];
    if (group.wantBreak) {
      this.flush();
      this.newline();
    } else {
      this.buffer.push(new Breakable(sep, sep.length, this));
      this.bufferWidth += sep.length;
      this.breakOuterGroups();
    }
  }
  /** a forced line break (inside a multi-line repr) */
  break_(): void {
    const group = this.groupQueue.deq();
    if (group !== null) this.breakOneGroup(group);
    this.flush();
    this.newline();
  }
  beginGroup(indent = 0, open = ""): void {
    if (open) this.text(open);
    const group = new Group(this.groupStack[this.groupStack.length - 1].depth + 1);
    this.groupStack.push(group);
    this.groupQueue.enq(group);
    this.indentation += indent;
  }
  endGroup(dedent = 0, close = ""): void {
    this.indentation -= dedent;
    const group = this.groupStack.pop()!;
    if (group.breakables.length === 0) this.groupQueue.remove(group);
    if (close) this.text(close);
  }
  flush(): void {
    for (const data of this.buffer) this.outputWidth += data.output(this, this.outputWidth);
    this.buffer = [];
    this.bufferWidth = 0;
  }

  pretty(obj: unknown): void {
    this.beginGroup();
    if (obj instanceof Tuple) this.seq(obj.items, "(", ")", true);
    else if (Array.isArray(obj) && !(obj instanceof torch.Size)) this.seq(obj, "[", "]", false);
    else if (isNode(obj)) this.defaultPprint(obj);
    else this.reprPprint(pyRepr(obj));
    this.endGroup();
  }
  private seq(items: readonly unknown[], start: string, end: string, isTuple: boolean): void {
    this.beginGroup(start.length, start);
    items.forEach((x, idx) => {
      if (idx > 0) {
        this.text(",");
        this.breakable();
      }
      this.pretty(x);
    });
    if (items.length === 1 && isTuple) this.text(",");
    this.endGroup(start.length, end);
  }
  /** an object without a __repr__ of its own: `<TypeName at 0x...>` */
  private defaultPprint(node: torch.Node): void {
    this.beginGroup(1, "<");
    this.beginGroup(); // p.pretty(type(obj))
    this.text(node.name());
    this.endGroup();
    this.text(` at 0x${node.address.toString(16)}`);
    this.endGroup(1, ">");
  }
  private reprPprint(repr: string): void {
    this.beginGroup();
    repr
      .split(/\r\n|\r|\n/)
      .filter((line, i, all) => i < all.length - 1 || line !== "") // Python's splitlines()
      .forEach((line, idx) => {
        if (idx > 0) this.break_();
        this.text(line);
      });
    this.endGroup();
  }
}

/** What IPython shows for a cell's value. */
export function ipythonRepr(value: unknown): string {
  const p = new PrettyPrinter();
  p.pretty(value);
  p.flush();
  return p.output;
}

// ---------------------------------------------------------------------------------------------
// out
// ---------------------------------------------------------------------------------------------

/** An `out` writing each line of text to `write`. */
export function makeOut(write: (text: string) => void): Out {
  return {
    print: (...values) => write(values.map(pyStr).join(" ") + "\n"),
    display: (value) => {
      if (value !== null && value !== undefined) write(ipythonRepr(value) + "\n");
    },
  };
}

/** An `out` collecting the text, as the tests compare it with PyTorch's. */
export function captureOut(): { out: Out; text(): string } {
  let text = "";
  return { out: makeOut((s) => (text += s)), text: () => text };
}
