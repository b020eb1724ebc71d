/**
 * The native ABI is written once, in src/backend/abi.ts: the committed native/abi.gen.h and
 * native/abi.gen.cc must be what scripts/gen-native-abi.ts makes of it (run `npm run
 * gen:native` after changing abi.ts), every family has its native/<family>.cc in the build, and
 * a loaded addon exports exactly the bindings abi.ts declares.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { generateNativeAbi } from "../scripts/gen-native-abi.js";
import { NATIVE_FAMILIES } from "../src/backend/abi.js";
import { nativeAddon } from "../src/backend/native.js";
import { skip } from "./helpers/native.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

test("native/abi.gen.h and abi.gen.cc are up to date with src/backend/abi.ts", () => {
  for (const [path, text] of Object.entries(generateNativeAbi())) {
    const committed = readFileSync(join(root, path), "utf8");
    assert.ok(committed === text, `${path} is stale: run \`npm run gen:native\``);
  }
});

test("every native family is built from native/<family>.cc, and every .cc is built", () => {
  const gyp = readFileSync(join(root, "native", "binding.gyp"), "utf8");
  const sources = new Set([...gyp.matchAll(/"([\w.-]+\.cc)"/g)].map((m) => m[1]));
  for (const family of Object.keys(NATIVE_FAMILIES)) {
    assert.ok(sources.has(`${family}.cc`), `binding.gyp lacks ${family}.cc`);
  }
  const files = readdirSync(join(root, "native")).filter((f) => f.endsWith(".cc"));
  assert.deepEqual([...sources].sort(), files.sort());
});

test("the loaded addon exports exactly the bindings of abi.ts", { skip }, () => {
  const declared = Object.values(NATIVE_FAMILIES).flatMap((t) => Object.keys(t));
  const controls = [
    "setNumThreads",
    "getNumThreads",
    "setKernel",
    "simd",
    "allocBuffer",
    "releaseBuffer",
    "bufferPoolStats",
    "poolMinBytes",
  ];
  const exported = Object.keys(nativeAddon!).filter((k) => !controls.includes(k));
  assert.deepEqual(exported.sort(), declared.sort());
});
