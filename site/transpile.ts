/**
 * TypeScript to JavaScript for an edited cell, in the page: TypeScript's own transpiler, loaded
 * (a chunk of its own, a few MB) only when a cell's code was changed.
 */
import ts from "typescript";

/** The JavaScript of a cell's TypeScript; throws a SyntaxError with TypeScript's message. */
export function transpile(source: string): string {
  const r = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    reportDiagnostics: true,
  });
  const errors = (r.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const d = errors[0];
    const where =
      d.file !== undefined && d.start !== undefined
        ? `line ${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: `
        : "";
    throw new SyntaxError(where + ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  }
  return r.outputText.replace(/^export \{\};?\s*$/m, "");
}
