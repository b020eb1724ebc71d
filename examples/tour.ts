/**
 * The tour: four PyTorch autograd tutorials (shared/seeds) in TypeScript, cell for cell, each
 * printing what PyTorch prints.
 *
 *   npm start            # all four
 *   npm start -- 2 4     # only tutorials 2 and 4
 */
import { pathToFileURL } from "node:url";
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

function main(argv: string[]): void {
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const paint = (code: string, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const bold = (s: string): string => paint("1", s);
  const dim = (s: string): string => paint("2", s);
  const green = (s: string): string => paint("32", s);

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
    for (const cell of tutorial.cells) {
      write(`\n${green(`${cell.title}:`)}\n`);
      write(dim(cell.source.replace(/^/gm, "  │ ")) + "\n");
      cell.run(out);
    }
    write("\n");
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  main(process.argv.slice(2));
}
