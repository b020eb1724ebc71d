// The published package, built by `npm run build`: `tsc -p tsconfig.build.json` writes the
// declarations (dist/**/*.d.ts), then esbuild bundles src/index.ts. Note [one copy]:
//
//   dist/cjs/tensorgrad.cjs the implementation Node runs, whether the program uses `require` or
//                           `import`: one bundle, so one Tensor class, one default generator,
//                           one grad mode (no dual-package hazard), on every Node >= 20 (no
//                           reliance on require(esm), unflagged only since 20.19)
//   dist/cjs/index.cjs      its loader, the `require` entry (Note [compile cache])
//   dist/index.js           Node's ESM entry: re-exports the CJS bundle's exports by name
//   dist/browser/index.js   an ES module bundle for browsers and bundlers (`browser` and
//                           `module` conditions: a bundler takes it for `import` and `require`
//                           alike, so a bundled program also holds one copy)
//   dist/cjs/*.d.ts         the declarations again, under dist/cjs/package.json's
//                           "type": "commonjs", for TypeScript projects compiled to CommonJS
//
// One file instead of ~170 modules: Node resolves, reads and links one module, not a tree (the
// import cost, bench/startup.mjs). The bundles sit two directories below the package root, as
// src/backend/*.ts does, so paths the sources resolve against their own URL (the addon in
// native/build/Release) hold in all three. Source maps carry their sources (`sourcesContent`),
// so stack traces under --enable-source-maps show the TypeScript lines.
import { spawnSync } from "node:child_process";
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import ts from "typescript";
import { fileURLToPath } from "node:url";
import { wasmThreadsChunk } from "./wasm-threads-chunk.mjs";
import { WASM_BUILDS } from "./build-wasm.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

const common = {
  entryPoints: [join(root, "src", "index.ts")],
  bundle: true,
  // fflate and @viz-js/viz stay dependencies, resolved by the consumer
  packages: "external",
  target: "es2022",
  sourcemap: true,
  sourcesContent: true,
  // class and function names are printed (module reprs, node names, op names): a bundle
  // renames a top-level name that two modules share, so the original names are kept (with
  // keepNameOnlyWhenRenamed below)
  keepNames: true,
  logLevel: "warning",
  metafile: true,
};

// a clean dist/: no module of an earlier layout left behind to be packed
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const declarations = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], {
  stdio: "inherit",
});
if (declarations.status !== 0) process.exit(declarations.status ?? 1);

/**
 * keepNames wraps every function and class esbuild emits in `__name(f, "f")`, closures made on
 * every call included; its helper redefines `name` each time, which made a small graph's
 * forward and backward 3-4x slower (bench/overhead.mjs). Only top-level names are ever renamed
 * by bundling, so the helper now redefines `name` only where it differs.
 */
function keepNameOnlyWhenRenamed(file) {
  const helper =
    'var __name = (target, value) => __defProp(target, "name", { value, configurable: true });';
  const text = readFileSync(file, "utf8");
  if (text.split(helper).length !== 2)
    throw new Error(`esbuild's __name helper not found in ${file}`);
  writeFileSync(
    file,
    text.replace(
      helper,
      "var __name = (target, value) => target.name === value ? target : " +
        '__defProp(target, "name", { value, configurable: true });',
    ),
  );
}

/**
 * Note [inferred names]: keepNames also wraps function literals that the language names by
 * itself, `const build = __name(() => ..., "build")` and `{ forward: __name((a) => ..., "forward") }`:
 * the wrapped literal is anonymous, so `__name` must redefine its `name`, which turns the
 * function into a dictionary-mode object (~500 bytes and ~10 us each). The registry's op
 * declarations hold thousands of them: a fifth of the import cost (bench/startup.mjs). Where the
 * variable or property name is the string, the wrapper is blanked out (spaces, so that the
 * source map's positions hold) and the literal is named as in the sources. `__name(f, "f");`
 * statements after declarations are blanked out too (the name is already right), and so are
 * the wrappers of assignments `f = __name(() => ..., "f")` (a module esbuild evaluates lazily,
 * Note [lazy op families], assigns its top-level declarations in its `__esm` function).
 */
function dropInferredNames(file) {
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const blanks = []; // [start, end) ranges to blank out
  const isNameCall = (n) =>
    ts.isCallExpression(n) &&
    ts.isIdentifier(n.expression) &&
    n.expression.text === "__name" &&
    n.arguments.length === 2 &&
    ts.isStringLiteral(n.arguments[1]);
  const keyText = (name) =>
    ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
  const visit = (n) => {
    if (isNameCall(n)) {
      const [f, s] = n.arguments;
      const p = n.parent;
      const anonymous =
        ts.isArrowFunction(f) ||
        ((ts.isFunctionExpression(f) || ts.isClassExpression(f)) && f.name === undefined);
      const inferred =
        (ts.isVariableDeclaration(p) && p.initializer === n && keyText(p.name) === s.text) ||
        // `f = __name(() => ..., "f")`: a lazily evaluated module's (`__esm`) declarations
        (ts.isBinaryExpression(p) &&
          p.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
          p.right === n &&
          ts.isIdentifier(p.left) &&
          p.left.text === s.text) ||
        (ts.isPropertyAssignment(p) && p.initializer === n && keyText(p.name) === s.text);
      if (anonymous && inferred) {
        blanks.push([n.getStart(sf), f.getStart(sf)], [f.end, n.end]);
      } else if (
        ts.isExpressionStatement(p) &&
        ts.isIdentifier(f) &&
        f.text === s.text &&
        text.slice(n.end, p.end) === ";"
      ) {
        blanks.push([p.getStart(sf), p.end]);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  blanks.sort((a, b) => a[0] - b[0]);
  let out = "";
  let at = 0;
  for (const [start, end] of blanks) {
    // spaces, keeping line breaks (a blanked range may span lines)
    out += text.slice(at, start) + text.slice(start, end).replace(/[^\n]/g, " ");
    at = end;
  }
  writeFileSync(file, out + text.slice(at));
  return blanks.length;
}

/**
 * esbuild escapes non-ASCII characters in strings, regular expressions and identifiers
 * (charset "ascii") but keeps comments as written: those are escaped too, so that the loader
 * reads the bundle as a one-byte string (latin1), which is several times faster than decoding
 * UTF-8 into a two-byte string. An escape means the same character anywhere esbuild leaves one.
 */
function asciiOnly(file) {
  const text = readFileSync(file, "utf8");
  writeFileSync(
    file,
    text.replace(
      /[^\t\n\r\x20-\x7e]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    ),
  );
}

/**
 * Note [lazy dependencies]: in the Node bundle, a dependency's `require` runs when one of its
 * exports is first used, not when the package loads. fflate's Node build requires
 * worker_threads (and with it Node's stream modules) as it loads, a tenth of the import cost
 * (bench/startup.mjs), for torch.save / torch.load only. Each import of a listed package
 * becomes a CommonJS module whose named exports are getters; esbuild reads CommonJS imports
 * at each use (`(0, import_fflate.unzipSync)(...)`), so the getter runs at the first call.
 */
const lazyDependencies = { fflate: ["unzipSync", "zipSync"] };
const lazyDependencyPlugin = {
  name: "lazy-dependencies",
  setup(b) {
    const names = Object.keys(lazyDependencies);
    const filter = new RegExp(
      `^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")})$`,
    );
    b.onResolve({ filter }, (a) =>
      a.namespace === "lazy-dependency"
        ? { path: a.path, external: true }
        : { path: a.path, namespace: "lazy-dependency" },
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-dependency" }, (a) => ({
      loader: "js",
      contents:
        `let m;\nconst load = () => (m ??= require(${JSON.stringify(a.path)}));\n` +
        lazyDependencies[a.path]
          .map(
            (n) =>
              `Object.defineProperty(exports, ${JSON.stringify(n)}, { enumerable: true, get: () => load().${n} });`,
          )
          .join("\n"),
    }));
  },
};

// The ES module bundle first: its metafile lists the entry's export names.
const esm = await build({
  ...common,
  format: "esm",
  platform: "neutral",
  mainFields: ["module", "main"],
  outfile: join(dist, "browser", "index.js"),
  // the WebAssembly builds but the default: dist/browser/tensorgrad-wasm-*.js, imported on demand
  plugins: [wasmThreadsChunk(join(dist, "browser"))],
});
keepNameOnlyWhenRenamed(join(dist, "browser", "index.js"));
dropInferredNames(join(dist, "browser", "index.js"));
const names = Object.values(esm.metafile.outputs).find((o) => o.entryPoint !== undefined).exports;

/**
 * Note [lazy chunks]: the Node bundle leaves out the namespaces a program may never use
 * (torch.nn, torch.optim, torch.onnx, torch.viz, torch.utils.data: a fifth of the code) and
 * loads each, as `dist/cjs/tensorgrad-<name>.cjs`, when a property of its namespace is first
 * read (issue 12, the import cost). The namespace the package exports is an object of getters
 * for the chunk's export names, made when the package loads (so `Object.keys(torch.nn)` and
 * the ESM entry's bindings load nothing). A module belongs to the core bundle when the package
 * entry reaches it without going through a lazy namespace, else to the first chunk (in the
 * order below) that reaches it; a chunk reaches the modules of the core and of earlier chunks
 * through their namespace objects (`__tgChunks.module(owner, path)`), whose getters read the
 * live bindings, so there is still one copy of every module. Each chunk is a function of the
 * core's `__tgChunks`, called once. The browser bundle stays one file.
 */
const lazyChunks = {
  nn: "src/nn/index.ts",
  optim: "src/optim/index.ts",
  onnx: "src/onnx/index.ts",
  viz: "src/viz.ts",
  data: "src/data/data.ts",
};
const rel = (abs) =>
  abs
    .slice(root.length + 1)
    .split("\\")
    .join("/");
/** The export names of a module, from an esbuild metafile. */
async function exportNames(entry) {
  const r = await build({
    ...common,
    entryPoints: [join(root, entry)],
    format: "esm",
    write: false,
    outdir: join(dist, "tmp"),
    sourcemap: false,
  });
  return Object.values(r.metafile.outputs).find((o) => o.entryPoint !== undefined).exports;
}
const chunkKeys = Object.fromEntries(
  await Promise.all(Object.entries(lazyChunks).map(async ([n, e]) => [n, await exportNames(e)])),
);
/** Modules other bundles read, by owner: { core: Set of paths, nn: ... } */
const owners = new Map(); // path -> owner
const wanted = { core: new Set() };
function chunkPlugin(self) {
  return {
    name: "lazy-chunks",
    setup(b) {
      b.onResolve({ filter: /^\./ }, async (a) => {
        if (a.pluginData === "resolving" || a.namespace !== "file") return undefined;
        const r = await b.resolve(a.path, {
          resolveDir: a.resolveDir,
          kind: a.kind,
          importer: a.importer,
          pluginData: "resolving",
        });
        if (r.errors.length > 0 || r.external) return undefined;
        const path = rel(r.path);
        const chunk = Object.keys(lazyChunks).find((n) => lazyChunks[n] === path);
        if (self === "core" && chunk !== undefined && rel(a.importer) === "src/index.ts")
          return { path: chunk, namespace: "lazy-namespace" };
        const owner = owners.get(path);
        if (owner === undefined || owner === self) return undefined;
        wanted[owner].add(path);
        return { path: `${owner}:${path}`, namespace: "chunk-module" };
      });
      b.onLoad({ filter: /.*/, namespace: "lazy-namespace" }, (a) => ({
        loader: "js",
        contents: `module.exports = __tgChunks.namespace(${JSON.stringify(a.path)}, ${JSON.stringify(chunkKeys[a.path])});`,
      }));
      b.onLoad({ filter: /.*/, namespace: "chunk-module" }, (a) => {
        const i = a.path.indexOf(":");
        return {
          loader: "js",
          contents: `module.exports = __tgChunks.module(${JSON.stringify(a.path.slice(0, i))}, ${JSON.stringify(a.path.slice(i + 1))});`,
        };
      });
    },
  };
}
/** The entry of a bundle: the modules other bundles read, by path, and (chunks) the namespace. */
function entryPlugin(self, entry, modules) {
  return {
    name: "chunk-entry",
    setup(b) {
      b.onResolve({ filter: /^chunk-entry$/ }, () => ({ path: self, namespace: "chunk-entry" }));
      b.onLoad({ filter: /.*/, namespace: "chunk-entry" }, () => {
        const lazyModules =
          self === "core" ? [...modules].filter((m) => lazyFamilyPaths.has(m)) : [];
        const read = [...modules].filter((m) => !lazyModules.includes(m));
        const lines = read.map(
          (m, i) => `import * as m${i} from ${JSON.stringify(join(root, m))};`,
        );
        const table = `{ ${read.map((m, i) => `${JSON.stringify(m)}: m${i}`).join(", ")} }`;
        if (self === "core")
          lines.push(
            `export * from ${JSON.stringify(join(root, entry))};`,
            // Note [ESM values]: esbuild reads `all.x` as the binding x itself
            `import * as all from ${JSON.stringify(join(root, entry))};`,
            `__tgChunks.values = () => [${names.map((n) => `all.${n}`).join(", ")}];`,
            `__tgChunks.core = ${table};`,
            // a lazy op family is evaluated when a chunk first reads it (Note [lazy op families])
            ...lazyModules.map(
              (m) =>
                `Object.defineProperty(__tgChunks.core, ${JSON.stringify(m)}, { get: () => require(${JSON.stringify(join(root, m))}) });`,
            ),
          );
        else
          lines.push(
            `import * as namespace from ${JSON.stringify(join(root, entry))};`,
            `export { namespace };`,
            `export const modules = ${table};`,
          );
        return { loader: "js", contents: lines.join("\n"), resolveDir: root };
      });
    },
  };
}
// the core's side: load a chunk once, and give its modules and namespaces to the others
const chunkRuntime = `var __tgChunks = {
  core: null,
  loaded: Object.create(null),
  load(name) {
    return (this.loaded[name] ??= require("./tensorgrad-" + name + ".cjs")(this));
  },
  module(owner, path) {
    if (owner !== "core") return this.load(owner).modules[path];
    for (let i = 0; i < this.pending.length; i += 2) __export(this.pending[i], this.pending[i + 1]());
    this.pending.length = 0;
    return this.core[path];
  },
  // Note [chunk-only namespaces]: namespace objects made when a chunk first reads the core
  pending: [],
  later(target, getters) {
    this.pending.push(target, getters);
  },
  namespace(name, keys) {
    const chunks = this;
    const ns = Object.create(Object.create(Object.prototype, { __esModule: { value: true } }));
    for (const k of keys)
      Object.defineProperty(ns, k, { enumerable: true, get: () => chunks.load(name).namespace[k] });
    return ns;
  },
};`;
/**
 * Note [lazy wasm module]: the WebAssembly backend's modules (src/backend/wasm-module.gen.ts,
 * ~1.2 MB of base64, the threaded build, wasm-module-threads.gen.ts, as much again, and the
 * relaxed SIMD twins of both, Note [wasm relaxed fma]) are needed only where the addon does not
 * load, and only one of them then. The Node bundles read each from its own file,
 * dist/cjs/tensorgrad-wasm.cjs, tensorgrad-wasm-threads.cjs, tensorgrad-wasm-relaxed.cjs and
 * tensorgrad-wasm-threads-relaxed.cjs, at its first use (the export is a getter, as Note [lazy
 * dependencies]), so a process on the addon never reads or parses them, and one on the
 * single-threaded module (TENSORGRAD_WASM_THREADS=1) never reads a threaded one. The browser
 * bundle keeps the single-threaded module inline (there it is the default backend) and the
 * others in files of their own (scripts/wasm-threads-chunk.mjs).
 */
const WASM_MODULES = WASM_BUILDS.map(([, suffix, name]) => [
  `wasm-module${suffix}`,
  name,
  `tensorgrad-wasm${suffix}.cjs`,
]);
const wasmModulePlugin = {
  name: "lazy-wasm-module",
  setup(b) {
    b.onResolve({ filter: /^\.\/tensorgrad-wasm(-threads)?(-relaxed)?\.cjs$/ }, (a) => ({
      path: a.path,
      external: true,
    }));
    // (its own namespace: a file of this "type": "module" package would be read as ESM)
    b.onResolve({ filter: /wasm-module(-threads)?(-relaxed)?\.gen\.js$/ }, (a) => ({
      path: a.path.match(/(wasm-module[a-z-]*)\.gen\.js$/)[1],
      namespace: "lazy-wasm",
    }));
    b.onLoad({ filter: /.*/, namespace: "lazy-wasm" }, (a) => {
      const [, name, file] = WASM_MODULES.find(([p]) => p === a.path);
      return {
        loader: "js",
        contents:
          "let m;\n" +
          `Object.defineProperty(exports, "${name}", { enumerable: true, get: () => ` +
          `(m ??= require("./${file}")).${name} });`,
      };
    });
  },
};
async function writeWasmModule() {
  for (const [p, , file] of WASM_MODULES) {
    await build({
      ...common,
      entryPoints: [`src/backend/${p}.gen.ts`],
      format: "cjs",
      platform: "node",
      sourcemap: false,
      outfile: join(dist, "cjs", file),
      banner: { js: '"use strict";' },
    });
  }
}

/**
 * Note [lazy op families] (src/registry/define.ts): in the Node bundles, src/registry/ops/index.ts
 * imports only the families the manifest (src/generated/op-families.ts, `npm run gen`) names
 * eager, and `require`s each other family when one of its ops is first used; esbuild makes a
 * required module (and the modules it imports) a lazily evaluated `__esm` function, so a
 * family's declarations run at its first use. The browser bundle imports every family.
 */
const manifest = readFileSync(join(root, "src", "generated", "op-families.ts"), "utf8");
const familyList = (name) => {
  const m = new RegExp(`export const ${name}\\b[^=]*= (\\[[^;]*\\]);`).exec(manifest);
  if (m === null) throw new Error(`${name} not found in src/generated/op-families.ts`);
  return JSON.parse(m[1].replace(/,(\s*\])/g, "$1"));
};
const eagerFamilies = familyList("EAGER_OP_FAMILIES");
const lazyFamilies = familyList("LAZY_OP_FAMILIES").map((f) => f[0]);
{
  const imported = [
    ...readFileSync(join(root, "src", "registry", "ops", "index.ts"), "utf8").matchAll(
      /^import "\.\/([\w-]+)\.js";$/gm,
    ),
  ].map((m) => m[1]);
  const listed = [...eagerFamilies, ...lazyFamilies];
  if (imported.length !== listed.length || imported.some((f) => !listed.includes(f)))
    throw new Error("src/generated/op-families.ts is stale: run `npm run gen`");
}
const lazyFamilyPaths = new Set(lazyFamilies.map((f) => `src/registry/ops/${f}.ts`));
const lazyFamiliesPlugin = {
  name: "lazy-op-families",
  setup(b) {
    const index = join(root, "src", "registry", "ops", "index.ts");
    b.onLoad({ filter: /[\\/]src[\\/]registry[\\/]ops[\\/]index\.ts$/ }, (a) => {
      if (a.path !== index) return undefined;
      return {
        loader: "js",
        resolveDir: dirname(index),
        // the lazy families' forwarders first: an eager family's top level may use their ops
        contents: ["lazy-op-families", ...eagerFamilies.map((f) => `./${f}.js`)]
          .map((m) => `import ${JSON.stringify(m)};`)
          .join("\n"),
      };
    });
    b.onResolve({ filter: /^lazy-op-families$/ }, () => ({
      path: "lazy-op-families",
      namespace: "lazy-op-families",
    }));
    b.onLoad({ filter: /.*/, namespace: "lazy-op-families" }, () => ({
      loader: "js",
      resolveDir: dirname(index),
      contents: [
        'import { declareFamilies } from "../define.js";',
        'import { LAZY_OP_FAMILIES } from "../../generated/op-families.js";',
        "const load = {",
        ...lazyFamilies.map((f) => `  ${JSON.stringify(f)}: () => require("./${f}.js"),`),
        "};",
        "declareFamilies(LAZY_OP_FAMILIES, (f) => void load[f]());",
      ].join("\n"),
    }));
  },
};

const urlBanner =
  'var __tensorgrad_module_url = require("node:url").pathToFileURL(__filename).href;';
const cjsOptions = {
  ...common,
  entryPoints: ["chunk-entry"],
  format: "cjs",
  platform: "node",
  // import.meta.url is the module's own URL: in CommonJS, __filename's
  define: { "import.meta.url": "__tensorgrad_module_url" },
  // import() becomes require(): the bundle is compiled through vm.Script (below), whose code
  // has no module loader for import() without an experimental option
  supported: { "dynamic-import": false },
};
// The sources are ES modules, so strict code; esbuild marks a CommonJS bundle strict only when
// its entry is a file, so the banners say it (first, for the whole file).
async function buildCjs(self, entry, modules) {
  const file = join(dist, "cjs", self === "core" ? "tensorgrad.cjs" : `tensorgrad-${self}.cjs`);
  const r = await build({
    ...cjsOptions,
    outfile: file,
    write: modules !== null,
    banner: {
      js:
        self === "core"
          ? `"use strict";\n${urlBanner}\n${chunkRuntime}`
          : `"use strict";\n${urlBanner}\nmodule.exports = function (__tgChunks) {\nvar module = { exports: {} }, exports = module.exports;`,
    },
    footer: {
      js: self === "core" ? "module.esmValues = __tgChunks.values;" : "return module.exports;\n};",
    },
    plugins: [
      entryPlugin(self, entry, modules ?? []),
      chunkPlugin(self),
      lazyDependencyPlugin,
      wasmModulePlugin,
      lazyFamiliesPlugin,
    ],
  });
  if (modules === null) {
    // the first pass: which modules this bundle holds
    for (const input of Object.keys(r.metafile.inputs))
      if (input.startsWith("src/") && !owners.has(input)) owners.set(input, self);
    return;
  }
  keepNameOnlyWhenRenamed(file);
  dropInferredNames(file);
  if (self === "core") {
    namespacesAsIs(file);
    entryNamespaceAsDictionary(file);
    deferChunkOnlyNamespaces(file);
  }
  asciiOnly(file);
  await minify(file);
}

/**
 * Note [minified bundles]: the Node bundles, once every edit above is made, are minified
 * (whitespace and syntax; names are kept as they are, so every `name` the sources give holds
 * and nothing needs keepNames' wrappers again): the core bundle's 2.26 MB became 1.54 MB. A
 * process reads the bundle's bytes into a Buffer and copies them into the source string, two
 * fresh pages per 4 kB (~1,100 page faults of the ~2,500 the one-gradient process adds to a
 * bare `node`, ~12-17 us each here, bench/startup.mjs), and a lazy chunk is parsed and compiled
 * from its text. esbuild reads the bundle's own source map (its sourceMappingURL comment) and
 * writes one from the minified text to the TypeScript sources, so stack traces under
 * --enable-source-maps and the maps' sourcesContent are as before.
 */
async function minify(file) {
  await build({
    entryPoints: [file],
    outfile: file,
    allowOverwrite: true,
    bundle: false,
    minifyWhitespace: true,
    minifySyntax: true,
    target: common.target,
    charset: "ascii",
    legalComments: "none",
    sourcemap: true,
    sourcesContent: true,
    logLevel: "warning",
  });
  const text = readFileSync(file, "latin1");
  if (!text.startsWith('"use strict";') || /[^\t\n\r\x20-\x7e]/.test(text))
    throw new Error(`${file}: minified bundle not strict or not ASCII`);
}

/**
 * esbuild imports a CommonJS module's exports as a copy with a `default` key added
 * (`__toESM(require_nn(), 1)`): the lazy namespaces are taken as they are instead (blanked
 * out to the same length, so that the source map's positions hold).
 */
function namespacesAsIs(file) {
  const text = readFileSync(file, "utf8");
  const requires = [
    ...text.matchAll(/\/\/ lazy-namespace:\w+\nvar (require_\w+) = __commonJS/g),
  ].map((m) => m[1]);
  if (requires.length !== Object.keys(lazyChunks).length)
    throw new Error(`lazy namespaces not found in ${file}`);
  let out = text;
  for (const r of requires) {
    const call = `__toESM(${r}(), 1)`;
    if (!out.includes(call)) throw new Error(`${call} not found in ${file}`);
    out = out.split(call).join(`${r}()`.padEnd(call.length, " "));
  }
  writeFileSync(file, out);
}
/**
 * The entry's namespace object is made with a null prototype, which V8 makes a dictionary: each
 * of its ~530 getters is then one hash-table insertion instead of a copy of the object's
 * growing descriptor array (~5M instructions of the import, `valgrind --tool=callgrind`). It
 * becomes module.exports itself, with `__esModule` and Object.prototype as `__toCommonJS` gives
 * its copy: the copy's ~530 getters, each a closure over the namespace's own getter, were a
 * tenth of the package's evaluation (`node --cpu-prof`), and every read of `torch.x` from
 * CommonJS went through both. The edits are at the ends of lines, so the source map holds.
 */
function entryNamespaceAsDictionary(file) {
  const text = readFileSync(file, "utf8");
  const re = /^module\.exports = __toCommonJS\((\w+)\);$/m;
  const m = re.exec(text);
  const decl = m === null ? "" : `\nvar ${m[1]} = {};\n`;
  if (m === null || text.split(decl).length !== 2)
    throw new Error(`the entry's namespace object not found in ${file}`);
  writeFileSync(
    file,
    text
      .replace(decl, `\nvar ${m[1]} = { __proto__: null };\n`)
      .replace(
        re,
        `module.exports = Object.setPrototypeOf(__defProp(${m[1]}, "__esModule", { value: true }), Object.prototype);`,
      ),
  );
}
/**
 * Note [chunk-only namespaces]: the core's modules that the lazy chunks read reach them as
 * namespace objects (`__tgChunks.core`, Note [lazy chunks]), which esbuild makes as the core
 * loads, a getter per export (~700, generated/functions.ts's among them: a twentieth of the
 * package's evaluation, `node --cpu-prof`). A namespace nothing else reads gets its getters
 * when a chunk first reads the core instead (`__tgChunks.later`; the getters read the live
 * bindings, so they are the same then). The edits keep every line where it is (source map).
 */
function deferChunkOnlyNamespaces(file) {
  const text = readFileSync(file, "utf8");
  const table = /^__tgChunks\.core = \{(.*)\};$/m.exec(text);
  if (table === null) throw new Error(`__tgChunks.core not found in ${file}`);
  let out = text;
  let deferred = 0;
  for (const [, name] of table[1].matchAll(/: (\w+)/g)) {
    const start = `\n__export(${name}, {\n`;
    const uses = text.split(new RegExp(`\\b${name}\\b`)).length - 1;
    // its declaration, its __export and the table: nothing else reads it
    if (uses !== 3 || !text.includes(`\nvar ${name} = {};\n`) || text.split(start).length !== 2)
      continue;
    const i = out.indexOf(start);
    const j = out.indexOf("\n});\n", i);
    out =
      out.slice(0, i) +
      `\n__tgChunks.later(${name}, () => ({\n` +
      out.slice(i + start.length, j) +
      "\n}));\n" +
      out.slice(j + "\n});\n".length);
    deferred++;
  }
  if (deferred === 0) throw new Error(`no chunk-only namespace found in ${file}`);
  writeFileSync(file, out);
}

// two passes: the first assigns the modules to bundles and finds what each reads from the
// others; the second writes every bundle with the table of its modules the others read
await writeWasmModule();
await buildCjs("core", "src/index.ts", null);
for (const [n, e] of Object.entries(lazyChunks)) {
  wanted[n] = new Set();
  await buildCjs(n, e, null);
}
await buildCjs("core", "src/index.ts", wanted.core);
for (const [n, e] of Object.entries(lazyChunks)) await buildCjs(n, e, wanted[n]);
writeFileSync(join(dist, "cjs", "package.json"), '{ "type": "commonjs" }\n');

/**
 * Note [wrapped bundle]: the core bundle is written as one function expression of CommonJS's
 * five parameters, `(function (exports, require, module, __filename, __dirname) {` on a line
 * of its own (the source map gets an empty first line) and `})` last. The loader (Note [compile
 * cache]) compiles the file's text as it is read: the text Module.wrap made was a cons string
 * of the wrapper and the 2 MB bundle, which V8 copied into one flat string before it could
 * compile or check its code cache (~540 fresh pages, ~9 ms of the one-gradient process,
 * bench/startup.mjs). The body starts with its "use strict" directive, so the function is
 * strict code.
 */
const wrapperHead = "(function (exports, require, module, __filename, __dirname) {\n";
function wrapBundle(file) {
  writeFileSync(file, wrapperHead + readFileSync(file, "latin1") + "})\n", "latin1");
  const map = JSON.parse(readFileSync(`${file}.map`, "utf8"));
  map.mappings = `;${map.mappings}`;
  writeFileSync(`${file}.map`, JSON.stringify(map));
}
wrapBundle(join(dist, "cjs", "tensorgrad.cjs"));

// Note [compile cache]: the CJS entry compiles the bundle with V8's code cache, so that a
// process does not parse and compile 2 MB of JavaScript at every start (what Node 22's
// module.enableCompileCache does for a whole program; Node 20 has none). The cache is a file
// in the project's node_modules/.cache/tensorgrad (written once, atomically, by the first
// process that has none, after its program's first turn of the event loop (setImmediate) or at
// its exit if that comes first: V8 caches the functions compiled so far, so the cache also
// holds those the start of a program runs, such as a first gradient's, which a later process
// would otherwise compile from source: ~37M instructions of the one-gradient process,
// bench/startup.mjs; named by this build's content hash, the Node version and the
// architecture; V8 also refuses data made by another V8 or other flags, and is then
// rewritten). The cache file is read into the Buffer that held the bundle's bytes (the source
// string is a copy), which saves its fresh pages. Without a node_modules or with
// TENSORGRAD_COMPILE_CACHE=0 the bundle is compiled without a cache; with --enable-source-maps
// (whose stack traces need the module loader's source map registration) Node's CommonJS loader
// compiles it (Module.prototype._compile, as `require` does).
const bundle = readFileSync(join(dist, "cjs", "tensorgrad.cjs"));
const hash = createHash("sha256").update(bundle).digest("hex").slice(0, 16);
writeFileSync(
  join(dist, "cjs", "index.cjs"),
  `// Generated by scripts/build-dist.mjs: loads ./tensorgrad.cjs (Note [one copy], Note [compile cache]).
"use strict";
const BUILD = ${JSON.stringify(hash)};
const fs = require("node:fs");
const path = require("node:path");
const file = path.join(__dirname, "tensorgrad.cjs");

function cacheFile() {
  const root = path.join(__dirname, "..", "..");
  const parent = path.dirname(root);
  const nodeModules = path.basename(parent) === "node_modules" ? parent : path.join(root, "node_modules");
  if (!fs.existsSync(nodeModules)) return null;
  const name = \`\${BUILD}-\${process.version}-\${process.arch}.v8cache\`;
  return path.join(nodeModules, ".cache", "tensorgrad", name);
}

// the bytes of a file, into buffer when it is large enough (else a new one); null if unreadable
function readInto(name, buffer) {
  let fd;
  try {
    fd = fs.openSync(name, "r");
    const size = fs.fstatSync(fd).size;
    const out = size <= buffer.length ? buffer.subarray(0, size) : Buffer.allocUnsafe(size);
    for (let at = 0; at < size; ) {
      const n = fs.readSync(fd, out, at, size - at, null);
      if (n === 0) return null;
      at += n;
    }
    return out;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

// the bundle's function (Note [wrapped bundle]) and, when it was compiled with a cache, its script
function compile() {
  const useCache = process.env.TENSORGRAD_COMPILE_CACHE !== "0" && process.sourceMapsEnabled !== true;
  const cache = useCache ? cacheFile() : null;
  const bytes = fs.readFileSync(file);
  const source = bytes.latin1Slice(0, bytes.length); // ASCII (asciiOnly in the build)
  if (process.sourceMapsEnabled === true) {
    // Node's CommonJS loader compiles it, so that stack traces use the bundle's source map
    const Module = require("node:module");
    const m = new Module(file, module);
    m.filename = file;
    m.paths = Module._nodeModulePaths(__dirname);
    m._compile("module.exports = " + source, file);
    return { fn: m.exports, script: null, cache: null };
  }
  // the cache is read into the bundle's bytes, which the string has copied: no fresh pages
  const cachedData = cache === null ? null : readInto(cache, bytes);
  const script = new (require("node:vm").Script)(source, {
    filename: file,
    cachedData: cachedData ?? undefined,
  });
  const stale = cachedData === null || script.cachedDataRejected === true;
  return { fn: script.runInThisContext(), script, cache: stale ? cache : null };
}

function load() {
  const { fn, script, cache } = compile();
  const mod = { exports: {} };
  fn.call(mod.exports, mod.exports, require("node:module").createRequire(file), mod, file, __dirname);
  module.esmValues = mod.esmValues; // for ../index.js (Note [ESM values])
  if (cache !== null) {
    // after the program's first turn (or at its exit, if that comes first), so that the cache
    // holds the functions its start ran, not only the package's top level
    const write = () => {
      process.removeListener("exit", write);
      clearImmediate(immediate);
      try {
        fs.mkdirSync(path.dirname(cache), { recursive: true });
        const tmp = \`\${cache}.\${process.pid}.tmp\`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cache);
      } catch {
        // a read-only node_modules: the next process compiles again
      }
    };
    const immediate = setImmediate(write);
    process.once("exit", write);
  }
  return mod.exports;
}

module.exports = load();
`,
);

// Node's ESM entry: the CJS bundle through createRequire (not `export * from`, which would make
// Node scan the 2 MB bundle for its export names at every start), each export bound by name:
// one destructuring declaration, whose source is a fifth of a declaration per name (Node 20
// has no compile cache for ES modules: this file is parsed at every start, ~9M instructions
// less, bench/startup.mjs), and renamed bindings for the names a declaration cannot bind
// (`var`).
//
// Note [ESM values]: the values come as one array, in the order of the names here, from a
// function of the core bundle (`__tgChunks.values`, `[add, sub, ...]`: esbuild reads
// `all.add` as the binding itself), which the loader leaves on its Module object
// (`esmValues`, where no program looks). Destructuring the CommonJS exports object instead
// called each of its ~550 getters (esbuild's `__export`), each a function compiled at its first
// call or kept compiled in the compile cache, so that the cache depended on whether an ESM or a
// CommonJS process wrote it (a CommonJS process deserialized ~550 getters it never runs).
const bindable = (n) => {
  if (n === "await") return false; // reserved in module code only
  try {
    new Function(`"use strict"; let ${n};`);
    return true;
  } catch {
    return false;
  }
};
const renamed = names.filter((n) => !bindable(n));
writeFileSync(
  join(dist, "index.js"),
  "// Generated by scripts/build-dist.mjs: the implementation is ./cjs/index.cjs (Note [one copy]).\n" +
    'import { createRequire } from "node:module";\n' +
    "const require = createRequire(import.meta.url);\n" +
    'require("./cjs/index.cjs");\n' +
    'const v = require.cache[require.resolve("./cjs/index.cjs")].esmValues();\n' +
    `export const [${names.map((n) => (bindable(n) ? n : "")).join(", ")}] = v;\n` +
    renamed.map((n, i) => `const r${i} = v[${names.indexOf(n)}];\n`).join("") +
    (renamed.length > 0
      ? `export { ${renamed.map((n, i) => `r${i} as ${n}`).join(", ")} };\n`
      : ""),
);

// The declarations for CommonJS consumers: the same tree under a "type": "commonjs" scope.
function copyDeclarations(from, to) {
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (from === dist && (e.name === "cjs" || e.name === "browser")) continue;
      copyDeclarations(join(from, e.name), join(to, e.name));
    } else if (e.name.endsWith(".d.ts")) {
      mkdirSync(to, { recursive: true });
      cpSync(join(from, e.name), join(to, e.name));
    }
  }
}
copyDeclarations(dist, join(dist, "cjs"));
