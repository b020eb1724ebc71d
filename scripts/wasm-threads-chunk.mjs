// An esbuild plugin for browser bundles of tensorgrad (scripts/build-dist.mjs's
// dist/browser/index.js, the site's pages, the browser benchmarks' pages of
// bench/lib/page-bundle.mjs): the threaded WebAssembly module
// (src/backend/wasm-module-threads.gen.ts, ~1.2 MB of base64) becomes a file of its own,
// `tensorgrad-wasm-threads.js` beside the bundle, which the page imports only when it can run
// threads (a cross-origin isolated page; Note [wasm threads module], src/backend/wasm.ts).
// The bundle's static import of it (wasm-threads.ts `threadsModuleSync`) reads nothing.
//
//   plugins: [wasmThreadsChunk(outdir)]
import { build } from "esbuild";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const FILE = "tensorgrad-wasm-threads.js";

/** The plugin; it writes `outdir`/tensorgrad-wasm-threads.js when the bundle is built. */
export function wasmThreadsChunk(outdir) {
  return {
    name: "wasm-threads-chunk",
    setup(b) {
      b.onResolve({ filter: /wasm-module-threads\.gen\.js$/ }, (a) =>
        a.kind === "dynamic-import"
          ? { path: `./${FILE}`, external: true }
          : { path: "wasm-threads-stub", namespace: "wasm-threads-stub" },
      );
      b.onLoad({ filter: /.*/, namespace: "wasm-threads-stub" }, () => ({
        loader: "js",
        // (undefined: the module is not in this bundle)
        contents: "export const WASM_MODULE_THREADS = undefined;",
      }));
      b.onEnd(async (r) => {
        if (r.errors.length > 0) return;
        await build({
          entryPoints: [join(root, "src", "backend", "wasm-module-threads.gen.ts")],
          bundle: true,
          format: "esm",
          target: "es2022",
          outfile: join(outdir, FILE),
          logLevel: "warning",
        });
      });
    },
  };
}
