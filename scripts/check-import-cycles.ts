/**
 * Fails when the value imports among the TypeScript files under a directory (default src/) form
 * a cycle.
 *
 *   node --import tsx scripts/check-import-cycles.ts [dir]
 *
 * A value import is an `import ... from`, a side-effect `import "..."`, a re-export
 * `export ... from`, a dynamic `import(...)` or a `require(...)` whose specifier is relative;
 * `import type`, `export type` and imports or re-exports whose every name is marked `type` are
 * erased by the compiler and do not count.
 * An import that names a value only used in types still counts: the file must say `type`.
 *
 * The import graph's strongly connected components are computed with Tarjan's algorithm; every
 * component with more than one file (or a file importing itself) is a cycle: the script prints
 * its files and exits with status 1. With no cycle it prints nothing and exits with 0.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** The .ts files under `dir`, recursively, as absolute paths in sorted order. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out.sort();
}

/** Whether an import declaration survives compilation (binds or runs something at run time). */
function isValueImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (clause === undefined) return true; // import "./x.js": run for its side effects
  if (clause.isTypeOnly) return false;
  if (clause.name !== undefined) return true; // a default import
  const bindings = clause.namedBindings;
  if (bindings === undefined) return true;
  if (ts.isNamespaceImport(bindings)) return true;
  // `import {} from` still runs the module; `import { type A, type B }` does not
  return bindings.elements.length === 0 || bindings.elements.some((e) => !e.isTypeOnly);
}

/** Whether a re-export declaration survives compilation. */
function isValueExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return false;
  const clause = node.exportClause;
  if (clause === undefined || ts.isNamespaceExport(clause)) return true; // export * (as ns) from
  return clause.elements.length === 0 || clause.elements.some((e) => !e.isTypeOnly);
}

/** The files `file` imports as values, among `known` (resolved from relative ".js" specifiers). */
function valueImports(file: string, known: Set<string>): string[] {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const targets = new Set<string>();
  const add = (specifier: ts.Expression | undefined) => {
    if (specifier === undefined || !ts.isStringLiteral(specifier)) return;
    const spec = specifier.text;
    if (!spec.startsWith(".")) return; // packages and node: builtins are outside the graph
    const target = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
    if (known.has(target)) targets.add(target);
  };
  // `import("./x.js")` and `require("./x.js")` anywhere load a module as well: a cycle through
  // them is a cycle all the same (type positions, `import("./x.js").T`, are not calls)
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === "require"))
    )
      add(node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(source);
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && isValueImport(statement)) {
      add(statement.moduleSpecifier);
    } else if (ts.isExportDeclaration(statement) && isValueExport(statement)) {
      add(statement.moduleSpecifier);
    } else if (
      ts.isImportEqualsDeclaration(statement) &&
      !statement.isTypeOnly &&
      ts.isExternalModuleReference(statement.moduleReference)
    ) {
      add(statement.moduleReference.expression);
    }
  }
  return [...targets].sort();
}

/** The strongly connected components of a graph (Tarjan's algorithm, iterative). */
export function stronglyConnectedComponents(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let next = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    // each frame: a vertex and the position of the next successor to visit
    const frames: { v: string; i: number }[] = [{ v: root, i: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const successors = graph.get(frame.v) ?? [];
      if (frame.i < successors.length) {
        const w = successors[frame.i++];
        if (!index.has(w)) {
          index.set(w, next);
          low.set(w, next++);
          stack.push(w);
          onStack.add(w);
          frames.push({ v: w, i: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.v, Math.min(low.get(frame.v)!, index.get(w)!));
        }
        continue;
      }
      frames.pop();
      if (frames.length > 0) {
        const parent = frames[frames.length - 1].v;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.v)!));
      }
      if (low.get(frame.v) === index.get(frame.v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== frame.v);
        components.push(component.sort());
      }
    }
  }
  return components;
}

/** The import cycles among the .ts files under `dir`: components of more than one file, or a
 * file importing itself; paths relative to `dir`, largest component first. */
export function importCycles(dir: string): string[][] {
  const files = sourceFiles(dir);
  const known = new Set(files);
  const graph = new Map(files.map((f) => [f, valueImports(f, known)]));
  return stronglyConnectedComponents(graph)
    .filter((c) => c.length > 1 || graph.get(c[0])!.includes(c[0]))
    .map((c) => c.map((f) => relative(dir, f)))
    .sort((a, b) => b.length - a.length || a[0].localeCompare(b[0]));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const dir = resolve(root, process.argv[2] ?? "src");
  const cycles = importCycles(dir);
  for (const cycle of cycles) {
    console.log(`import cycle of ${cycle.length} files under ${relative(root, dir) || "."}:`);
    for (const file of cycle) console.log(`  ${file}`);
  }
  if (cycles.length > 0) process.exit(1);
}
