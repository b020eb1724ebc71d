// `npm install` hook: try to build the native backend (node-gyp rebuild in native/), and never
// fail the install. On failure print one notice and continue: tensorgrad then runs on its
// TypeScript kernels. `TENSORGRAD_BACKEND=js` skips the build; `npm run build:native` builds
// with the full compiler output.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const addon = join(here, "build", "Release", "tensorgrad_native.node");

if (process.env.TENSORGRAD_BACKEND === "js") {
  console.log("tensorgrad: TENSORGRAD_BACKEND=js, not building the native backend");
  process.exit(0);
}

// npm hands its bundled node-gyp to install scripts as npm_config_node_gyp; else use PATH
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] =
  gyp !== undefined && existsSync(gyp)
    ? [process.execPath, [gyp, "rebuild"]]
    : ["node-gyp", ["rebuild"]];
const started = Date.now();
const res = spawnSync(cmd, args, {
  cwd: here,
  encoding: "utf8",
  shell: process.platform === "win32" && cmd === "node-gyp",
});
const secs = ((Date.now() - started) / 1000).toFixed(1);

if (res.status === 0 && existsSync(addon)) {
  console.log(`tensorgrad: native backend built in ${secs} s (${addon})`);
} else {
  // the most telling line: a compiler error, else node-gyp's own error, else the exit status
  const lines = `${res.stdout ?? ""}${res.stderr ?? ""}`.split("\n").map((l) => l.trim());
  const compiler = lines.find((l) => /: (fatal )?error:/.test(l));
  const gypAt = lines.findIndex((l) => l.startsWith("gyp ERR! stack Error:"));
  const gypError =
    gypAt >= 0
      ? `${lines[gypAt]} ${lines[gypAt + 1] ?? ""}`.replace(/gyp ERR! stack /g, "")
      : undefined;
  const why = res.error?.message ?? compiler ?? gypError ?? `node-gyp exit code ${res.status}`;
  console.warn(
    `tensorgrad: NOTICE: the native backend could not be built (${why.trim()}); ` +
      "tensorgrad will use its TypeScript kernels. Run `npm run build:native` to see the full build log.",
  );
}
