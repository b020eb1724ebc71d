/**
 * PyTorch's operator schema language (native_functions.yaml's `func:` strings), parsed once at
 * load: `sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None)
 * -> Tensor` becomes a name, an overload name, parameters (type, optional, default, keyword-only)
 * and returns. The binder (binder.ts), the generated declarations and the docs read these.
 */

/** The parameter types of the schema language that tensorgrad binds. */
export type BaseType =
  | "Tensor"
  | "int"
  | "SymInt"
  | "float"
  | "bool"
  | "str"
  | "Scalar"
  | "ScalarType"
  | "Generator"
  | "Layout"
  | "Device"
  | "MemoryFormat"
  | "Dimname";

export interface Param {
  /** PyTorch's name (`self`, `other`, `keepdim`, `rounding_mode`) */
  readonly name: string;
  /** the camelCased name users pass in the options object (`roundingMode`) */
  readonly jsName: string;
  readonly base: BaseType;
  /** `int[]`, `int[2]`, `Tensor[]`, `Tensor?[]` */
  readonly list: boolean;
  /** the fixed size of a list type (`int[2]`): a single number is accepted and repeated */
  readonly listSize: number;
  /** `T?`: None (null/undefined) accepted */
  readonly optional: boolean;
  /** `Tensor?[]`: elements may be None */
  readonly elementOptional: boolean;
  /** has a default (`=...`); the parsed default value */
  readonly hasDefault: boolean;
  readonly default: unknown;
  /** after `*`: by name only */
  readonly keywordOnly: boolean;
  /** `Tensor(a!)`: written to */
  readonly mutable: boolean;
}

export interface Schema {
  /** the full schema string, verbatim */
  readonly text: string;
  /** `sum` */
  readonly name: string;
  /** `dim_IntList` ("" for the default overload) */
  readonly overload: string;
  readonly params: readonly Param[];
  /** return types and names: `(Tensor values, Tensor indices)` */
  readonly returns: readonly { type: string; name: string }[];
}

const BASES: ReadonlySet<string> = new Set<BaseType>([
  "Tensor",
  "int",
  "SymInt",
  "float",
  "bool",
  "str",
  "Scalar",
  "ScalarType",
  "Generator",
  "Layout",
  "Device",
  "MemoryFormat",
  "Dimname",
]);

/**
 * snake_case -> camelCase (`rounding_mode` -> `roundingMode`, `self` stays; a leading
 * underscore stays too: F.softmax's `_stacklevel`).
 */
export function camelCase(name: string): string {
  // most op names have no underscore after their first character (the replace allocates)
  if (name.indexOf("_", 1) < 0) return name;
  return name.replace(/(?!^)_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Split on commas outside brackets and parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === "," && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = s.slice(start).trim();
  if (last !== "") out.push(last);
  return out;
}

/** A default's value: None -> null, True/False, numbers, lists `[0, 1]`, strings `'mean'`. */
function parseDefault(text: string): unknown {
  const t = text.trim();
  if (t === "None") return null;
  if (t === "True") return true;
  if (t === "False") return false;
  if (t === "inf") return Infinity;
  if (t === "-inf") return -Infinity;
  if (t === "nan") return NaN;
  if (t === "[]") return [];
  if (t.startsWith("[") && t.endsWith("]")) return splitTop(t.slice(1, -1)).map(parseDefault);
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))
    return t.slice(1, -1);
  if (t === "contiguous_format") return "contiguous_format";
  if (t === "Mean" || t === "Sum" || t === "None_") return t; // at::Reduction names
  const n = Number(t);
  if (!Number.isNaN(n)) return n;
  // a bare word default (`long` for dtype, enum names): kept as its text
  return t;
}

function parseParam(text: string, keywordOnly: boolean): Param {
  const eq = text.indexOf("=");
  const decl = (eq >= 0 ? text.slice(0, eq) : text).trim();
  const sp = decl.lastIndexOf(" ");
  if (sp < 0) throw new Error(`schema: malformed parameter '${text}'`);
  let type = decl.slice(0, sp).trim();
  const name = decl.slice(sp + 1).trim();
  // alias annotations: Tensor(a), Tensor(a!), Tensor(a -> *)
  let mutable = false;
  type = type.replace(/\(([^)]*)\)/, (_m, ann: string) => {
    if (ann.includes("!")) mutable = true;
    return "";
  });
  let optional = false;
  if (type.endsWith("?")) {
    optional = true;
    type = type.slice(0, -1);
  }
  let list = false;
  let listSize = 0;
  let elementOptional = false;
  const lm = /^(.*?)\[(\d*)\]$/.exec(type);
  if (lm !== null) {
    list = true;
    listSize = lm[2] === "" ? 0 : Number(lm[2]);
    type = lm[1];
    if (type.endsWith("?")) {
      elementOptional = true;
      type = type.slice(0, -1);
    }
  }
  if (!BASES.has(type)) throw new Error(`schema: unknown type '${type}' in '${text}'`);
  const hasDefault = eq >= 0;
  return {
    name,
    jsName: camelCase(name),
    base: type as BaseType,
    list,
    listSize,
    optional,
    elementOptional,
    hasDefault,
    default: hasDefault ? parseDefault(text.slice(eq + 1)) : undefined,
    keywordOnly,
    mutable,
  };
}

/**
 * Parse one schema string.
 * @example parseSchema("atan2(Tensor self, Tensor other) -> Tensor").params[1].name // "other"
 */
export function parseSchema(text: string): Schema {
  const open = text.indexOf("(");
  const arrow = text.lastIndexOf("->");
  const close = text.lastIndexOf(")", arrow);
  if (open < 0 || arrow < 0 || close < open) throw new Error(`schema: malformed '${text}'`);
  const full = text.slice(0, open).trim();
  const dot = full.indexOf(".");
  const name = dot < 0 ? full : full.slice(0, dot);
  const overload = dot < 0 ? "" : full.slice(dot + 1);
  const params: Param[] = [];
  let kwOnly = false;
  for (const p of splitTop(text.slice(open + 1, close))) {
    if (p === "*") {
      kwOnly = true;
      continue;
    }
    params.push(parseParam(p, kwOnly));
  }
  let ret = text.slice(arrow + 2).trim();
  if (ret.startsWith("(") && ret.endsWith(")")) ret = ret.slice(1, -1);
  const returns =
    ret === ""
      ? []
      : splitTop(ret).map((r) => {
          const m = /^(\S+?)(?:\([^)]*\))?(?:\s+(\w+))?$/.exec(r.trim());
          return { type: m === null ? r : m[1], name: m?.[2] ?? "" };
        });
  return { text, name, overload, params, returns };
}
