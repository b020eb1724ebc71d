// The browser pages of the benchmarks (bench/browser.mjs, bench/browser-diag.mjs): an entry
// module bundled by esbuild with tensorgrad taken from its sources, and the index.html that loads
// it. Shared so that the diagnosis runs the page the benchmark runs.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { URL, fileURLToPath } from "node:url";
import { build } from "esbuild";
import { wasmThreadsChunk } from "../../scripts/wasm-threads-chunk.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));

// node:fs stubbed: harness.mjs reads /proc for the memory workload only (not run in a page).
// Its loader answers every path resolved into the namespace "stub" (bench/browser.mjs's
// no-peers plugin resolves the peers' modules there).
const NO_FS = "export const readFileSync = () => { throw new Error('no fs'); };";
const stubFs = {
  name: "node:fs",
  setup(b) {
    b.onResolve({ filter: /^node:fs$/ }, () => ({ path: "node:fs", namespace: "stub" }));
    b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: NO_FS, loader: "js" }));
  },
};

/**
 * Bundles `entry` into `dir`/page.js for the browser and writes `dir`/index.html loading it
 * (with a <title> when `title` is given). `plugins` run after the shared ones (node:fs stubbed,
 * the Node build redirected to the sources) and before the threads chunk; `options` are further
 * esbuild options.
 */
export async function buildPageBundle({ entry, dir, title, plugins = [], options = {} }) {
  await build({
    entryPoints: [entry],
    outfile: join(dir, "page.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    alias: { tensorgrad: join(root, "src", "index.ts") },
    ...options,
    plugins: [
      stubFs,
      {
        name: "tensorgrad-sources",
        setup(b) {
          // tensorgrad's bench module imports the Node build: the page takes the sources, the
          // same module the site's backend selector switches
          b.onResolve({ filter: /dist\/index\.js$/ }, () => ({
            path: join(root, "src", "index.ts"),
          }));
        },
      },
      ...plugins,
      // the threaded WebAssembly module beside page.js (the server isolates the page)
      wasmThreadsChunk(dir),
    ],
    logLevel: "error",
  });
  writeFileSync(
    join(dir, "index.html"),
    `<!doctype html><meta charset="utf-8">${title === undefined ? "" : `<title>${title}</title>`}` +
      '<script type="module" src="page.js"></script>\n',
  );
}
