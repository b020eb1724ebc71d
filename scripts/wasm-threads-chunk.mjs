// An esbuild plugin for browser bundles of tensorgrad (scripts/build-dist.mjs's
// dist/browser/index.js, the site's pages, the browser benchmarks' pages of
// bench/lib/page-bundle.mjs): the WebAssembly builds other than the default module
// (src/backend/wasm-modules.ts: the threaded module and the relaxed SIMD twins, ~1.2 MB of
// base64 each) become files of their own beside the bundle, `tensorgrad-wasm-threads.js`,
// `tensorgrad-wasm-relaxed.js` and `tensorgrad-wasm-threads-relaxed.js`, which the page imports
// only when it runs that build (threads on a cross-origin isolated page, relaxed SIMD where the
// engine has it; Note [wasm threads module], src/backend/wasm.ts). The bundle's static imports
// of them (wasm-modules.ts `moduleSync`) read nothing.
//
//   plugins: [wasmThreadsChunk(outdir)]
import { build } from "esbuild";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { WASM_BUILDS } from "./build-wasm.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Each build but the default: its generated source (src/backend/<name>.gen.ts), export and file. */
const CHUNKS = WASM_BUILDS.filter(([key]) => key !== "single").map(([, suffix, name]) => [
  `wasm-module${suffix}`,
  name,
  `tensorgrad-wasm${suffix}.js`,
]);

/** The plugin; it writes the files into `outdir` when the bundle is built. */
export function wasmThreadsChunk(outdir) {
  const chunk = (path) => CHUNKS.find(([name]) => path.endsWith(`/${name}.gen.js`));
  return {
    name: "wasm-threads-chunk",
    setup(b) {
      b.onResolve({ filter: /wasm-module-(threads|relaxed|threads-relaxed)\.gen\.js$/ }, (a) => {
        const [name, , file] = chunk(a.path);
        return a.kind === "dynamic-import"
          ? { path: `./${file}`, external: true }
          : { path: name, namespace: "wasm-chunk-stub" };
      });
      b.onLoad({ filter: /.*/, namespace: "wasm-chunk-stub" }, (a) => ({
        loader: "js",
        // (undefined: the module is not in this bundle)
        contents: `export const ${CHUNKS.find(([name]) => name === a.path)[1]} = undefined;`,
      }));
      b.onEnd(async (r) => {
        if (r.errors.length > 0) return;
        for (const [name, , file] of CHUNKS) {
          await build({
            entryPoints: [join(root, "src", "backend", `${name}.gen.ts`)],
            bundle: true,
            format: "esm",
            target: "es2022",
            outfile: join(outdir, file),
            logLevel: "warning",
          });
        }
      });
    },
  };
}
