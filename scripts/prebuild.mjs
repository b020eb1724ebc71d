// Builds the prebuilt native addons the published package carries (`npm pack` runs it as
// `prepack`): prebuilds/<platform>-<arch>/tensorgrad_native.node, the layout the loader
// (src/backend/native.ts) and the install hook (native/install.mjs) look for. The addon is a
// Node-API module (node-addon-api, NAPI_VERSION 8), so one binary per platform and architecture
// serves every Node.js version.
//
//   node scripts/prebuild.mjs            the host's target, plus each cross target whose
//                                        toolchain is on PATH (linux-arm64 from linux-x64:
//                                        Debian's g++-aarch64-linux-gnu)
//   TENSORGRAD_PREBUILD_TARGETS=linux-x64 node scripts/prebuild.mjs     only these targets
//
// Each target is built by node-gyp from native/binding.gyp in its own directory under
// .prebuild-cache/ (git-ignored), which persists, so a second pack recompiles only the sources
// that changed. The host target reuses native/build/Release (`npm run build:native`, or the
// install hook of this clone) when that is newer than every native source: the same
// binding.gyp built it. Binaries are stripped of symbols. A cross target whose compiler is
// missing is skipped with a message (the package then has no prebuild for it); a failed build
// fails the pack.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const native = join(root, "native");
const out = join(root, "prebuilds");
const cache = join(root, ".prebuild-cache");
const ADDON = "tensorgrad_native.node";
const host = `${process.platform}-${process.arch}`;

/** Cross toolchains (GNU triplet prefixes, as Debian's cross packages install them) by host. */
const CROSS = {
  "linux-x64": { "linux-arm64": { arch: "arm64", prefix: "aarch64-linux-gnu-" } },
  "linux-arm64": { "linux-x64": { arch: "x64", prefix: "x86_64-linux-gnu-" } },
};

function onPath(cmd) {
  return (process.env.PATH ?? "")
    .split(delimiter)
    .some((d) => d !== "" && existsSync(join(d, cmd)));
}

/** The native sources node-gyp compiles: binding.gyp, *.cc, *.h. */
function sources() {
  return readdirSync(native)
    .filter((f) => f === "binding.gyp" || f.endsWith(".cc") || f.endsWith(".h"))
    .map((f) => join(native, f));
}

function newestSource() {
  return Math.max(...sources().map((f) => statSync(f).mtimeMs));
}

/** npm's bundled node-gyp (npm hands it to lifecycle scripts), else node-gyp on PATH. */
function nodeGyp() {
  const gyp = process.env.npm_config_node_gyp;
  if (gyp !== undefined && existsSync(gyp)) return [process.execPath, [gyp]];
  const bundled = join(
    dirname(process.execPath),
    "..",
    "lib",
    "node_modules",
    "npm",
    "node_modules",
    "node-gyp",
    "bin",
    "node-gyp.js",
  );
  if (existsSync(bundled)) return [process.execPath, [bundled]];
  return ["node-gyp", []];
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ""}${r.stderr ?? ""}`);
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`})`);
  }
  return r;
}

/** node-gyp in .prebuild-cache/<target>, incrementally; returns the built addon's path. */
function gypBuild(target, cross) {
  const dir = join(cache, target);
  mkdirSync(dir, { recursive: true });
  // copy with timestamps, so make recompiles only what changed since the last pack
  for (const f of sources())
    cpSync(f, join(dir, f.slice(native.length + 1)), { preserveTimestamps: true });
  const env = { ...process.env };
  const [gyp, gypArgs] = nodeGyp();
  const flags = [];
  if (cross !== undefined) {
    env.CC = `${cross.prefix}gcc`;
    env.CXX = `${cross.prefix}g++`;
    env.LINK = `${cross.prefix}g++`;
    env.AR = `${cross.prefix}ar`;
    flags.push(`--arch=${cross.arch}`);
  }
  // the running Node's own headers (node-gyp would otherwise download them for a cross arch)
  const nodedir = join(dirname(process.execPath), "..");
  if (existsSync(join(nodedir, "include", "node", "node_api.h")))
    flags.push(`--nodedir=${nodedir}`);
  // node-addon-api's include path is resolved by binding.gyp through require(): from here
  env.NODE_PATH = join(root, "node_modules");
  const makefile = join(dir, "build", "Makefile");
  if (
    !existsSync(makefile) ||
    statSync(makefile).mtimeMs < statSync(join(dir, "binding.gyp")).mtimeMs
  )
    run(gyp, [...gypArgs, "configure", ...flags], { cwd: dir, env });
  run(gyp, [...gypArgs, "build", "--jobs", "max", ...flags], { cwd: dir, env });
  return join(dir, "build", "Release", ADDON);
}

const want = process.env.TENSORGRAD_PREBUILD_TARGETS?.split(",").filter((t) => t !== "");
const targets = [host, ...Object.keys(CROSS[host] ?? {})].filter(
  (t) => want === undefined || want.includes(t),
);

rmSync(out, { recursive: true, force: true });
for (const target of targets) {
  const started = Date.now();
  const cross = target === host ? undefined : CROSS[host][target];
  if (cross !== undefined && !onPath(`${cross.prefix}g++`)) {
    console.warn(
      `tensorgrad prebuild: no ${target} prebuild (${cross.prefix}g++ not on PATH; on Debian: ` +
        `apt-get install g++-${cross.prefix.slice(0, -1)})`,
    );
    continue;
  }
  let built;
  let how;
  const local = join(native, "build", "Release", ADDON);
  if (cross === undefined && existsSync(local) && statSync(local).mtimeMs > newestSource()) {
    built = local;
    how = "copied from native/build/Release (newer than every native source)";
  } else {
    built = gypBuild(target, cross);
    how = "built by node-gyp";
  }
  const dest = join(out, target, ADDON);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(built, dest);
  const strip = `${cross?.prefix ?? ""}strip`;
  if (process.platform !== "win32" && process.platform !== "darwin" && onPath(strip))
    run(strip, ["--strip-unneeded", dest]);
  const kb = Math.round(statSync(dest).size / 1024);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`tensorgrad prebuild: prebuilds/${target}/${ADDON} (${kb} KB, ${how}, ${secs} s)`);
}
