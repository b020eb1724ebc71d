// `npm install` hook: give this package its native backend, and never fail the install.
//
// 1. A prebuilt addon for this platform and architecture (prebuilds/<platform>-<arch>/, made by
//    `npm pack`: scripts/prebuild.mjs) that loads in a child Node process: use it, build nothing.
// 2. Else build from source (node-gyp in native/), after checking for what node-gyp needs (a C++
//    compiler, python3, make) so that the reason it cannot build is the real one.
// 3. Record the outcome in native/build/install-reason.json, which the loader
//    (src/backend/native.ts) reads to say why a process runs on the TypeScript kernels.
//
// A git clone of the repository (a .git next to package.json) always builds from source: its
// developers change the native sources. `TENSORGRAD_BACKEND=js` skips all of it; `npm run
// build:native` (in a clone) builds with the full compiler output.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const target = `${process.platform}-${process.arch}`;
const ADDON = "tensorgrad_native.node";
const addon = join(here, "build", "Release", ADDON);
const prebuilt = join(root, "prebuilds", target, ADDON);
const win = process.platform === "win32";

/** Writes native/build/install-reason.json: how the backend was (or was not) provided. */
function record(outcome) {
  mkdirSync(join(here, "build"), { recursive: true });
  const info = { ...outcome, target, node: process.version, at: new Date().toISOString() };
  writeFileSync(join(here, "build", "install-reason.json"), JSON.stringify(info, null, 2) + "\n");
}

/** The first of `names` found on PATH (with Windows' executable extensions), or undefined. */
function which(names) {
  const exts = win ? (process.env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";") : [""];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    for (const name of names) {
      for (const ext of exts) if (existsSync(join(dir, name + ext))) return name;
    }
  }
  return undefined;
}

/** Whether `file` loads as a Node addon, in a child process (a crash cannot fail the install). */
function loads(file) {
  const r = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(file)})`], {
    encoding: "utf8",
  });
  if (r.status === 0) return { ok: true };
  const err = (r.stderr ?? "").split("\n").find((l) => /Error/.test(l)) ?? `exit ${r.status}`;
  return { ok: false, error: r.error?.message ?? err.trim() };
}

/** What node-gyp needs and is missing here, as the reason to report; undefined if all there. */
function missingTool() {
  if (win) return undefined; // node-gyp finds Visual Studio and Python itself, and says so
  let cxx = process.env.CXX;
  if (cxx === undefined || cxx === "") {
    cxx = which(["g++", "c++", "clang++"]);
    if (cxx === undefined) return { reason: "no C++ compiler found" };
  }
  const python =
    process.env.npm_config_python ?? process.env.PYTHON ?? which(["python3", "python"]);
  if (python === undefined) return { reason: "python3 not found" };
  if (which(["make", "gmake"]) === undefined) return { reason: "make not found" };
  return { cxx };
}

function build() {
  const tools = missingTool();
  if (tools?.reason !== undefined) return { ok: false, reason: `${tools.reason} at install` };
  // npm hands its bundled node-gyp to install scripts as npm_config_node_gyp; else npm's copy
  // next to this Node, else node-gyp on PATH
  const bundled = join(dirname(process.execPath), "..", "lib", "node_modules", "npm");
  const gyp = [
    process.env.npm_config_node_gyp,
    join(bundled, "node_modules", "node-gyp", "bin", "node-gyp.js"),
  ].find((f) => f !== undefined && existsSync(f));
  const [cmd, args] =
    gyp !== undefined ? [process.execPath, [gyp, "rebuild"]] : ["node-gyp", ["rebuild"]];
  // the running Node's own headers when it has them (node-gyp would otherwise download them)
  const nodedir = join(dirname(process.execPath), "..");
  if (
    process.env.npm_config_nodedir === undefined &&
    existsSync(join(nodedir, "include", "node", "node_api.h"))
  )
    args.push(`--nodedir=${nodedir}`);
  // the compiler found above (make would otherwise call g++ even where only clang++ exists)
  const env = tools?.cxx !== undefined ? { ...process.env, CXX: tools.cxx } : process.env;
  const res = spawnSync(cmd, args, {
    cwd: here,
    encoding: "utf8",
    env,
    shell: win && cmd === "node-gyp",
  });
  if (res.status === 0 && existsSync(addon)) return { ok: true };
  // the most telling line: a compiler error, else make's, else node-gyp's, else the exit status
  const lines = `${res.stdout ?? ""}${res.stderr ?? ""}`.split("\n").map((l) => l.trim());
  const compiler = lines.find((l) => /(^|: )(fatal )?error:/.test(l) && !l.startsWith("gyp"));
  const gypAt = lines.findIndex((l) => l.startsWith("gyp ERR! stack Error:"));
  const gypError =
    gypAt >= 0
      ? `${lines[gypAt]} ${lines[gypAt + 1] ?? ""}`.replace(/gyp ERR! stack /g, "")
      : undefined;
  if (res.error?.code === "ENOENT") return { ok: false, reason: "node-gyp not found at install" };
  // make's own complaint (a tool its recipes call is missing), before node-gyp's "make failed"
  const make = lines.find((l) => /^g?make(\[\d+\])?: (?!\*\*\*|Entering|Leaving)/.test(l));
  const why =
    res.error?.message ?? compiler ?? make ?? gypError ?? `node-gyp exit code ${res.status}`;
  return { ok: false, reason: `the build from source failed at install (${why.trim()})` };
}

function main() {
  if (process.env.TENSORGRAD_BACKEND === "js") {
    record({ backend: "js", reason: "TENSORGRAD_BACKEND=js was set at install" });
    console.log("tensorgrad: TENSORGRAD_BACKEND=js, not installing the native backend");
    return;
  }
  const clone = existsSync(join(root, ".git"));
  let prebuiltError;
  if (!clone && existsSync(prebuilt)) {
    const r = loads(prebuilt);
    if (r.ok) {
      record({ backend: "prebuilt", file: `prebuilds/${target}/${ADDON}` });
      console.log(`tensorgrad: using the prebuilt native backend for ${target}`);
      return;
    }
    prebuiltError = r.error;
  }
  const started = Date.now();
  const r = build();
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.ok) {
    record({ backend: "source", file: `native/build/Release/${ADDON}` });
    console.log(`tensorgrad: native backend built in ${secs} s (${addon})`);
    return;
  }
  // why there is no native backend: both halves (the prebuild, the build from source)
  const noPrebuilt =
    prebuiltError !== undefined
      ? `the prebuilt binary for ${target} failed to load (${prebuiltError})`
      : clone
        ? undefined
        : `no prebuilt binary for ${target}`;
  const reason = noPrebuilt === undefined ? r.reason : `${r.reason} and ${noPrebuilt}`;
  record({ backend: "js", reason });
  console.warn(
    `tensorgrad: NOTICE: no native backend (${reason}); tensorgrad will use its TypeScript ` +
      "kernels (10-60x slower).",
  );
}

try {
  main();
} catch (e) {
  // never fail the install: the loader falls back to the TypeScript kernels
  console.warn(`tensorgrad: NOTICE: the native backend install step failed: ${e?.message ?? e}`);
}
