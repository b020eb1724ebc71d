/**
 * The package as `npm pack` makes it (its prepack builds the prebuilt addons:
 * scripts/prebuild.mjs), packed once for every consumer test: the tarball is kept in
 * .prebuild-cache/pack/ and reused while it is newer than every file that goes into it, and a
 * lock directory serialises test files that pack at the same time.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const packDir = join(root, ".prebuild-cache", "pack");
const lock = join(root, ".prebuild-cache", "pack.lock");

/** The newest modification time among the files and directory trees under `paths`. */
function newest(paths: string[]): number {
  let t = 0;
  for (const p of paths) {
    const s = statSync(join(root, p), { throwIfNoEntry: false });
    if (s === undefined) continue;
    if (s.isDirectory()) {
      for (const e of readdirSync(join(root, p))) {
        if (e !== "build") t = Math.max(t, newest([join(p, e)]));
      }
    } else t = Math.max(t, s.mtimeMs);
  }
  return t;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The tarball's path, packed now unless a tarball newer than the sources exists. Also returns
 * how long packing took (0 when reused) and npm's output.
 */
export function packOnce(): { tarball: string; seconds: number; log: string } {
  mkdirSync(dirname(lock), { recursive: true });
  // mkdir is atomic: the test file that makes the lock directory packs, the others wait
  for (let waited = 0; ; waited += 500) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // a lock older than ten minutes was left by a killed run
      const s = statSync(lock, { throwIfNoEntry: false });
      if (s !== undefined && Date.now() - s.mtimeMs > 600_000) rmSync(lock, { recursive: true });
      sleep(500);
    }
  }
  try {
    const inputs = ["src", "native", "scripts/prebuild.mjs", "package.json", "tsconfig.build.json"];
    mkdirSync(packDir, { recursive: true });
    const existing = readdirSync(packDir).find((f) => f.endsWith(".tgz"));
    if (existing !== undefined) {
      const tarball = join(packDir, existing);
      if (statSync(tarball).mtimeMs > newest(inputs)) return { tarball, seconds: 0, log: "" };
    }
    rmSync(packDir, { recursive: true, force: true });
    mkdirSync(packDir, { recursive: true });
    const started = Date.now();
    const r = spawnSync("npm", ["pack", "--pack-destination", packDir], {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    const log = `${r.stdout}${r.stderr}`;
    if (r.status !== 0) throw new Error(`npm pack failed:\n${log}`);
    const name = readdirSync(packDir).find((f) => f.endsWith(".tgz"));
    if (name === undefined) throw new Error(`npm pack made no tarball:\n${log}`);
    return { tarball: join(packDir, name), seconds: (Date.now() - started) / 1000, log };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
