import { readdirSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// ---------------------------------------------------------------------------------------------
// Layers (docs/architecture.md): a module never imports one of a layer above its own (type-only
// imports are erased and may). Modules are named relative to src/ without ".ts"; a name ending
// in "/" is a directory: its files that no other layer names. Every src file gets one rule listing
// the import specifiers, relative to its own directory, of every module above its layer; a src
// file no layer names is a configuration error. scripts/check-import-cycles.ts checks the
// whole graph for cycles (also within a layer).

/** The layers from the bottom. */
const LAYERS = [
  { name: "dtypes & shapes", modules: ["dtype", "shape", "errors", "device", "named-tuple"] },
  { name: "backend", modules: ["backend/"] },
  { name: "random", modules: ["random"] },
  { name: "printing", modules: ["print"] },
  {
    // graph nodes and modes: they see a Tensor only as a type
    name: "autograd graph",
    modules: [
      "autograd/node",
      "autograd/grad-mode",
      "autograd/anomaly-mode",
      "autograd/saved-hooks",
      "autograd/provenance",
    ],
  },
  { name: "tensor", modules: ["tensor"] },
  { name: "generators", modules: ["generator"] },
  { name: "tensor helpers", modules: ["ops/core"] },
  // what ops record into: formulas and rules register themselves from above
  { name: "autograd recording", modules: ["autograd/function", "autograd/forward-ad"] },
  { name: "ops", modules: ["ops/"] },
  { name: "autograd", modules: ["autograd/"] },
  { name: "tensor methods", modules: ["tensor-methods", "install"] },
  { name: "op registry", modules: ["registry/", "generated/"] },
  {
    name: "nn, optim, data",
    modules: [
      "nn/",
      "optim/",
      "data/",
      "serialization",
      "pickle",
      "ptfile",
      "viz",
      "onnx/",
      "testing",
      "profiler",
    ],
  },
  // torch.distributions binds its constructors' arguments with nn's ctor-args
  { name: "distributions", modules: ["distributions/"] },
  { name: "torch.func", modules: ["func"] },
  { name: "public API", modules: ["index", "cuda", "amp", "legacy-types"] },
];

const SRC = join(dirname(fileURLToPath(import.meta.url)), "src");

/** The .ts files under src/, as module names ("ops/views"). */
function sourceModules(dir = "") {
  return readdirSync(join(SRC, dir), { withFileTypes: true }).flatMap((e) => {
    const name = dir === "" ? e.name : `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceModules(name);
    return e.name.endsWith(".ts") ? [name.slice(0, -".ts".length)] : [];
  });
}

/** The layer index of every module; a directory entry takes the files no layer names. */
function layerOf() {
  const named = new Map();
  LAYERS.forEach((l, i) => l.modules.forEach((m) => m.endsWith("/") || named.set(m, i)));
  const dirs = LAYERS.flatMap((l, i) =>
    l.modules.filter((m) => m.endsWith("/")).map((d) => [d, i]),
  );
  const out = new Map();
  for (const m of sourceModules()) {
    const dir = named.has(m) ? undefined : dirs.find(([d]) => m.startsWith(d));
    const layer = named.get(m) ?? dir?.[1];
    if (layer === undefined) throw new Error(`eslint.config.js: src/${m}.ts is in no layer`);
    out.set(m, layer);
  }
  return out;
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `module` as imported from a file in directory `from` (both relative to src/). */
function specifier(from, module) {
  const rel = posix.relative(from, module);
  return rel.startsWith(".") ? rel : `./${rel}`;
}

/**
 * One config block per src file: the modules of the layers above its own may not be imported.
 * Outside the backend, the addon's loader is imported by src/index.ts only (threads, status):
 * everything else reaches native code through the backend's kernels.
 */
function layerRules() {
  const layers = layerOf();
  return [...layers].map(([module, layer]) => {
    const from = posix.dirname(module);
    const above = [...layers].filter(([, l]) => l > layer).map(([m]) => m);
    const patterns = [];
    if (above.length > 0) {
      const alts = above.map((m) => escape(specifier(from, m)));
      patterns.push({
        regex: `^(${alts.join("|")})\\.js$`,
        message: `the ${LAYERS[layer].name} layer never imports a layer above it (docs/architecture.md)`,
        allowTypeImports: true,
      });
    }
    if (!module.startsWith("backend/") && module !== "index") {
      patterns.push({
        regex: `^${escape(specifier(from, "backend/native"))}\\.js$`,
        message: "native code is reached through the backend's kernels, not its loader",
      });
    }
    return {
      files: [`src/${module}.ts`],
      rules: { "@typescript-eslint/no-restricted-imports": ["error", { patterns }] },
    };
  });
}

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "site-dist/",
      "docs/api/",
      "node_modules/",
      "test/fixtures/",
      "bench/peers/",
    ],
  },
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
