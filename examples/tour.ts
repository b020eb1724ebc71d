/**
 * The tour: four PyTorch autograd tutorials (shared/seeds) in TypeScript, cell for cell, each
 * printing what PyTorch prints.
 *
 *   npm start            # all four
 *   npm start -- 2 4     # only tutorials 2 and 4
 */
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolve } from "node:path";

import { makeOut, type Tutorial } from "./cell.js";
import * as polynomial from "./01-autograd-polynomial.js";
import * as basics from "./02-autograd-basics.js";
import * as differentiation from "./03-automatic-differentiation.js";
import * as graph from "./04-autograd-graph.js";

export const tutorials: Tutorial[] = [
  { name: "01-autograd-polynomial", ...polynomial },
  { name: "02-autograd-basics", ...basics },
  { name: "03-automatic-differentiation", ...differentiation },
  { name: "04-autograd-graph", ...graph },
];

/**
 * The TypeScript of each cell (the body of its `run`), read from the tutorial's source file so
 * the tour shows the code as written, comments included.
 */
export function cellSources(name: string, titles: readonly string[]): string[] {
  const text = readFileSync(fileURLToPath(new URL(`./${name}.ts`, import.meta.url)), "utf8");
  let from = 0;
  return titles.map((title) => {
    const at = text.indexOf(`title: ${JSON.stringify(title)}`, from);
    if (at < 0) return "";
    const run = text.indexOf("run(", at);
    const open = text.indexOf("{", text.indexOf(")", run));
    let depth = 0;
    let close = open;
    for (; close < text.length; close++) {
      if (text[close] === "{") depth++;
      else if (text[close] === "}" && --depth === 0) break;
    }
    from = close;
    const lines = text.slice(open + 1, close).split("\n");
    while (lines.length > 0 && lines[0].trim() === "") lines.shift();
    while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
    const indents = lines.filter((l) => l.trim() !== "").map((l) => l.search(/\S/));
    const indent = indents.length > 0 ? Math.min(...indents) : 0;
    return lines.map((l) => l.slice(indent)).join("\n");
  });
}

function main(argv: string[]): void {
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const paint = (code: string, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const bold = (s: string): string => paint("1", s);
  const dim = (s: string): string => paint("2", s);
  const green = (s: string): string => paint("32", s);
  const cyan = (s: string): string => paint("36", s);

  const chosen = argv.length > 0 ? argv.map(Number) : tutorials.map((_, i) => i + 1);
  const write = (s: string): void => void process.stdout.write(s);
  const out = makeOut(write);
  for (const [i, tutorial] of tutorials.entries()) {
    if (!chosen.includes(i + 1)) continue;
    const rule = "═".repeat(78);
    write(`${bold(rule)}\n`);
    write(bold(` ${i + 1}/${tutorials.length}  ${tutorial.title}`));
    write(dim(`  (examples/${tutorial.name}.ts)\n`));
    write(`${bold(rule)}\n`);
    const sources = cellSources(
      tutorial.name,
      tutorial.cells.map((c) => c.title),
    );
    for (const [k, cell] of tutorial.cells.entries()) {
      write(`\n${green(`${cell.title}:`)}\n`);
      write(dim(cell.source.replace(/^/gm, "  py │ ")) + "\n");
      const ts = sources[k];
      if (ts !== "") write(cyan(ts.replace(/^/gm, "  ts │ ")) + "\n");
      cell.run(out);
    }
    write("\n");
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  // a closed pipe (`npm start | head`) ends the tour quietly
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
  main(process.argv.slice(2));
}
