/**
 * Prints the manifest of the lazy op families (Note [lazy op families], src/registry/define.ts)
 * as JSON: for each module of src/registry/ops, the op keys, function keys and Tensor methods
 * its own declarations install. The families are imported one at a time, each after the
 * families it imports, so that each one's additions are its own. Run by scripts/gen-api.ts.
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { recordDeclarations } from "../src/registry/define.js";
import { Tensor } from "../src/tensor.js";
import "../src/tensor-methods.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "registry", "ops");
// index.ts's order, each family after the families it imports
const order = [
  ...readFileSync(join(dir, "index.ts"), "utf8").matchAll(/^import "\.\/([\w-]+)\.js";$/gm),
].map((m) => m[1]);
const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "index.ts");
if (files.length !== order.length || files.some((f) => !order.includes(f.slice(0, -3))))
  throw new Error("src/registry/ops/index.ts does not import every family once");
const deps = (f: string): string[] =>
  [
    ...readFileSync(join(dir, `${f}.ts`), "utf8").matchAll(
      /^import [^;]*? from "\.\/([\w-]+)\.js";$/gms,
    ),
  ].map((m) => m[1]);
const sorted: string[] = [];
const visit = (f: string, path: string[]): void => {
  if (sorted.includes(f)) return;
  if (path.includes(f)) throw new Error(`import cycle: ${[...path, f].join(" -> ")}`);
  for (const d of deps(f)) visit(d, [...path, f]);
  sorted.push(f);
};
for (const f of order) visit(f, []);

/**
 * Families loaded with the package: those whose module does more than declare ops, which a
 * manifest cannot defer. complex and complex-math fill complex-compute.ts's tables (the
 * complex paths of other families' ops); a family that writes Tensor.prototype itself (the
 * Python operators, the `real`/`imag` accessors) is found below.
 */
const eager = new Set(["complex", "complex-math"]);
const log = recordDeclarations();
const families: [string, string, string, string][] = [];
for (const f of sorted) {
  const at = [log.keys.length, log.functions.length, log.methods.length];
  const before = new Set(Object.getOwnPropertyNames(Tensor.prototype));
  await import(pathToFileURL(join(dir, `${f}.ts`)).href);
  const methods = new Set(log.methods.slice(at[2]));
  if (Object.getOwnPropertyNames(Tensor.prototype).some((m) => !before.has(m) && !methods.has(m)))
    eager.add(f);
  families.push([
    f,
    log.keys.slice(at[0]).join(" "),
    log.functions.slice(at[1]).join(" "),
    log.methods.slice(at[2]).join(" "),
  ]);
}
// an eager family's imports load with it
const closure = (f: string): void => {
  eager.add(f);
  for (const d of deps(f)) closure(d);
};
for (const f of [...eager]) closure(f);
console.log(JSON.stringify({ eager: sorted.filter((f) => eager.has(f)), families }));
