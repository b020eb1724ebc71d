import js from "@eslint/js";
import tseslint from "typescript-eslint";

// ---------------------------------------------------------------------------------------------
// Layers (docs/architecture.md): a module never imports one of a layer above its own. Modules are
// named relative to src/ without ".js"; a name ending in "/" is a directory.

/** The layers from the bottom; each entry: its files (globs) and the modules it may not import. */
const TOP = ["func", "index"];
const NN = ["nn/", "optim/", "data/", "serialization", ...TOP];
const REGISTRY = ["registry/", "generated/", ...NN];
const AUTOGRAD = ["autograd/", ...REGISTRY];
const OPS = ["ops/", ...AUTOGRAD];
const TENSOR = ["tensor", "generator", ...OPS];
const LAYERS = [
  {
    name: "dtypes & shapes",
    files: ["src/dtype.ts", "src/shape.ts", "src/errors.ts"],
    above: ["backend/", "random", "print", ...TENSOR],
  },
  { name: "backend", files: ["src/backend/*.ts"], above: ["random", "print", ...TENSOR] },
  { name: "random", files: ["src/random.ts"], above: ["print", ...TENSOR] },
  { name: "printing", files: ["src/print.ts"], above: TENSOR },
  // tensor.ts, src/ops and src/autograd still import each other (the tensor <-> ops <-> autograd
  // cycle): only the layers above all three are enforced for them
  { name: "tensor", files: ["src/tensor.ts"], above: ["generator", ...REGISTRY] },
  { name: "generators", files: ["src/generator.ts"], above: OPS },
  { name: "ops", files: ["src/ops/*.ts"], above: REGISTRY },
  { name: "autograd", files: ["src/autograd/*.ts"], above: REGISTRY },
  {
    name: "op registry",
    files: ["src/registry/*.ts", "src/registry/ops/*.ts", "src/generated/*.ts"],
    above: NN,
  },
  {
    name: "nn, optim, data",
    files: ["src/nn/*.ts", "src/optim/*.ts", "src/data/*.ts", "src/serialization.ts"],
    above: TOP,
  },
  { name: "torch.func", files: ["src/func.ts"], above: ["index"] },
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The import specifiers of `modules` as written from a file `depth` directories below src/. */
function specifierRegex(modules, depth) {
  const prefix = depth === 0 ? "\\./" : escape("../".repeat(depth));
  const files = modules.filter((m) => !m.endsWith("/")).map(escape);
  const dirs = modules.filter((m) => m.endsWith("/")).map((m) => escape(m.slice(0, -1)));
  const alts = [];
  if (files.length > 0) alts.push(`(${files.join("|")})\\.js$`);
  if (dirs.length > 0) alts.push(`(${dirs.join("|")})/`);
  return `^${prefix}(${alts.join("|")})`;
}

/**
 * One config block per layer and directory depth (`files` globs are `src/<dir>/*.ts` or
 * `src/<file>.ts`). Outside the backend, the addon's loader is imported by src/index.ts only
 * (threads, status): everything else reaches native code through the backend's kernels.
 */
function layerRules() {
  return LAYERS.flatMap(({ name, files, above }) =>
    files.map((glob) => {
      const depth = glob.split("/").length - 2;
      const patterns = [
        {
          regex: specifierRegex(above, depth),
          message: `the ${name} layer never imports a layer above it (docs/architecture.md)`,
        },
      ];
      if (name !== "backend") {
        patterns.push({
          regex: specifierRegex(["backend/native"], depth),
          message: "native code is reached through the backend's kernels, not its loader",
        });
      }
      return { files: [glob], rules: { "no-restricted-imports": ["error", { patterns }] } };
    }),
  );
}

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "test/fixtures/", "bench/peers/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { console: "readonly", process: "readonly" } },
  },
  ...layerRules(),
);
