// Resolves packages from bench/peers (a package of its own, installed by bench/suite.mjs).
import { createRequire } from "node:module";
import { URL, fileURLToPath, pathToFileURL } from "node:url";

export const peersDir = fileURLToPath(new URL("../peers/", import.meta.url));
export const requirePeer = createRequire(peersDir + "package.json");

/** Dynamic import of a peer package, resolved from bench/peers/node_modules. */
export async function importPeer(name) {
  return import(pathToFileURL(requirePeer.resolve(name)).href);
}
