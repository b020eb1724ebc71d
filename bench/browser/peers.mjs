// bench/libs/peers.mjs in the browser (bench/browser.mjs bundles this in its place): the peers
// imported statically from bench/peers/node_modules, handed out by name.
import * as tf from "@tensorflow/tfjs";
import * as tfWasm from "@tensorflow/tfjs-backend-wasm";
import * as jax from "@jax-js/jax";

/* global URL, location -- the page's */
// TF.js's WebAssembly binaries, copied next to the page by bench/browser.mjs
tfWasm.setWasmPaths(new URL("./tfjs-wasm/", location.href).href);

const modules = {
  "@tensorflow/tfjs": tf,
  "@tensorflow/tfjs-backend-wasm": tfWasm,
  // part of the @tensorflow/tfjs bundle
  "@tensorflow/tfjs-backend-cpu": {},
  "@jax-js/jax": jax,
};

export function requirePeer(name) {
  const m = modules[name];
  if (m === undefined) throw new Error(`${name} is not bundled into the browser benchmark`);
  return m;
}

export async function importPeer(name) {
  return requirePeer(name);
}
