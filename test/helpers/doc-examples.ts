/**
 * Running the `@example`s of the API docs (test/doc-examples.test.ts, scripts/fix-op-examples.ts).
 *
 * An example is JavaScript with `torch` (the package) and `F` (`torch.nn.functional`, as
 * PyTorch's docs use it) in scope: statements separated by `;`, the last one an expression
 * whose value a trailing `// comment` may state (a declaration last: the declared value;
 * `await` allowed). The value is shown as the comment shows it
 * (`show`): a tensor as it prints, an array as `[a, b]`, a named tuple or plain object as
 * `{ name: value }`, a string as a JSON string. An example of several lines is a TypeScript program (its
 * `import ... from "tensorgrad"` lines may be left in): it runs, and its output is not checked.
 */
import ts from "typescript";
import * as torch from "../../src/index.js";

/** An example split into its code and the value its trailing comment states (if any). */
export function splitExample(example: string): { code: string; expected: string | null } {
  const m = /^([\s\S]*?)\s*\/\/ ([^\n]*)$/.exec(example.trim());
  // a `//` inside a string literal ("https://...") is not a comment
  if (m === null || (m[1].split('"').length - 1) % 2 === 1)
    return { code: example, expected: null };
  return { code: m[1], expected: m[2] };
}

/** The value shown the way an example's comment writes it. */
export function show(v: unknown): string {
  if (v instanceof torch.Tensor) return String(v);
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Map)
    return `Map(${[...v].map(([k, x]) => `${show(k)} => ${show(x)}`).join(", ")})`;
  if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    // a named tuple also has its fields by position ('0', '1'): the names suffice
    const keys = Object.keys(v).filter((k) => !/^\d+$/.test(k));
    return `{ ${keys.map((k) => `${k}: ${show((v as Record<string, unknown>)[k])}`).join(", ")} }`;
  }
  return String(v);
}

/**
 * Whether `actual` is what `expected` says: `...` stands for any text, a run of whitespace for
 * any run of whitespace (a multi-line tensor written on one line), `"` for `'`.
 */
export function matches(expected: string, actual: string): boolean {
  // a string may be quoted either way in the comment ("a" or 'a')
  if (expected.includes('"') || actual.includes('"'))
    return matches(expected.replaceAll('"', "'"), actual.replaceAll('"', "'"));
  const literal = (p: string) =>
    p
      .trim()
      .split(/\s+/)
      .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join("\\s+");
  const parts = expected.split("...").map(literal);
  return new RegExp(`^\\s*${parts.join("[\\s\\S]*?")}\\s*$`).test(actual);
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...a: unknown[]) => Promise<unknown>;

/** The `;`-separated statements of one line of code (not splitting inside brackets or strings). */
function splitStatements(code: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (quote !== null) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) depth--;
    else if (c === ";" && depth === 0) {
      out.push(code.slice(start, i));
      start = i + 1;
    }
  }
  out.push(code.slice(start));
  return out;
}

/**
 * The names an example sees besides `torch` and `F`: the exports of the file it documents, so an
 * internal function's example can call it by its name (Note [example scope]).
 */
export type ExampleScope = Record<string, unknown>;

/** Whether `name` cannot name a parameter (`var`, `delete`, `default`: torch.var is an export). */
function reserved(name: string): boolean {
  try {
    new Function(name, "");
    return false;
  } catch {
    return true;
  }
}

/** Calls `body` as an async function of torch, F and the scope's names. */
function callWithScope(body: string, scope: ExampleScope): Promise<unknown> {
  const names = Object.keys(scope).filter(
    (k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== "torch" && k !== "F" && !reserved(k),
  );
  // in a block, so an example may declare a name the scope has (`const vjp = ...`)
  return new AsyncFunction("torch", "F", ...names, `{\n${body}\n}`)(
    torch,
    torch.nn.functional,
    ...names.map((k) => scope[k]),
  );
}

/** Runs an example's code (await allowed); the value of its last statement. */
export async function runExample(code: string, scope: ExampleScope = {}): Promise<unknown> {
  const statements = splitStatements(code)
    .map((s) => s.trim())
    .filter((s) => s !== "");
  let last = statements.pop() ?? "undefined";
  // a declaration last (`const x = ...`): its value is the declared name's; a destructuring
  // one (`const [a, b] = ...`): the value destructured
  const decl = /^(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=/.exec(last);
  const destructuring = /^(const|let|var)\s+([[{][\s\S]*?[\]}])\s*=([\s\S]*)$/.exec(last);
  if (decl !== null) {
    statements.push(last);
    last = decl[1];
  } else if (destructuring !== null) {
    statements.push(`const $value = ${destructuring[3]}`);
    statements.push(`${destructuring[1]} ${destructuring[2]} = $value`);
    last = "$value";
  }
  const body = `${statements.join(";\n")};\nreturn (${last});`;
  return await callWithScope(body, scope);
}

/** Runs an example of several lines: TypeScript statements, with top-level await. */
export async function runProgram(code: string, scope: ExampleScope = {}): Promise<void> {
  const body = code.replace(/^```\w*$/gm, "").replace(/^import [^;]*from "tensorgrad";?$/gm, "");
  const js = ts
    .transpileModule(body, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    })
    .outputText.replace(/^export \{\};$/m, "");
  await callWithScope(js, scope);
}

/** The outcome of one example: null when it ran and matched its comment, else what went wrong. */
export async function checkExample(
  example: string,
  scope: ExampleScope = {},
): Promise<string | null> {
  // each example starts from the defaults, whatever global mode the previous one left set
  torch.setGradEnabled(true);
  torch.setDefaultDtype(torch.float32);
  torch.autograd.setDetectAnomaly(false);
  const multiline = example.trim().includes("\n");
  const { code, expected } = multiline ? { code: example, expected: null } : splitExample(example);
  let v: unknown;
  try {
    if (multiline) await runProgram(code, scope);
    else v = await runExample(code, scope);
  } catch (e) {
    return `threw ${(e as Error).name}: ${(e as Error).message.split("\n")[0]}`;
  }
  if (expected === null) return null;
  // a string shows quoted, or as its text when the comment does not quote it (`String(m) // Linear(...)`)
  const got = typeof v === "string" && !/^["']/.test(expected.trim()) ? v : show(v);
  return matches(expected, got) ? null : `gave ${got}`;
}
