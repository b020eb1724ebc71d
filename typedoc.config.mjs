// @ts-check
/**
 * TypeDoc's configuration for the API reference (`npm run docs` writes docs/api/, git-ignored;
 * `npm run docs:check`, part of `npm test`, validates without writing).
 *
 * Validation: every public declaration has a doc comment, links resolve, and every type the
 * public API refers to is in the reference; a warning fails. Two committed lists hold the known
 * exceptions, and TypeDoc also fails when an entry is no longer needed (documented since, or
 * gone), so they only shrink: docs/undocumented.json, the declarations still without a doc
 * comment, and the types the public API refers to that src/index.ts does not export
 * (`intentionallyNotExported` below). `TYPEDOC_ALL=1 npx typedoc --emit none` reports every
 * undocumented declaration.
 */
import { readFileSync } from "node:fs";
import { URL } from "node:url";

/** @param {string} rel */
const list = (rel) => JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8"));

/** @type {Partial<import("typedoc").TypeDocOptions>} */
const config = {
  entryPoints: ["src/index.ts"],
  tsconfig: "tsconfig.build.json",
  out: "docs/api",
  name: "tensorgrad",
  readme: "README.md",
  // _-prefixed and symbol-keyed members stay out of the reference (scripts/typedoc-plugin.mjs)
  plugin: ["./scripts/typedoc-plugin.mjs"],
  excludeInternal: true,
  excludePrivate: true,
  excludeProtected: true,
  // `npm run typecheck` type-checks; TypeDoc only reads the declarations (half its time)
  skipErrorChecking: true,
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  treatValidationWarningsAsErrors: true,
  // TYPEDOC_ALL=1: no exceptions, every undocumented declaration reported (to rebuild the list)
  intentionallyNotDocumented:
    process.env.TYPEDOC_ALL === "1" ? [] : list("./docs/undocumented.json"),
  intentionallyNotExported: list("./docs/not-exported.json"),
};
export default config;
