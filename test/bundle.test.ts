/**
 * The package bundled for the browser keeps the modules it loads for their side effects
 * (src/install.ts: the hand-written Tensor methods and the formula tables; the registry's ops):
 * a bundler honouring package.json's "sideEffects" must not drop them. The bundle, run here,
 * computes what the sources compute.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";
import { build } from "esbuild";
import * as source from "../src/index.js";
import { LAZY_OP_FAMILIES } from "../src/generated/op-families.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Reverse mode, forward mode, methods installed from above and printing, as plain values. */
function exercise(torch: typeof source): unknown {
  const x = torch.tensor([1.5, -2, 3], { requiresGrad: true });
  const y = x.mul(x).sin().sum();
  y.backward();
  const tangent = torch.autograd.forwardAd.dualLevel(() => {
    const d = torch.autograd.forwardAd.makeDual(torch.tensor([0.5, 1]), torch.tensor([1, 0]));
    return torch.autograd.forwardAd.unpackDual(d.exp()).tangent?.tolist();
  });
  const m = torch.tensor([
    [1, 2],
    [3, 4],
  ]);
  m.index(0).fill_(7);
  return {
    grad: x.grad?.tolist(),
    gradFn: y.gradFn?.name(),
    tangent,
    transposed: m.T.tolist(),
    printed: String(x.detach().double()),
  };
}

test("the browser bundle keeps the side-effect imports and computes as the sources", async () => {
  const result = await build({
    entryPoints: [join(root, "src", "index.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
    logLevel: "silent",
  });
  const file = join(mkdtempSync(join(tmpdir(), "tensorgrad-bundle-")), "tensorgrad.mjs");
  writeFileSync(file, result.outputFiles[0].text);
  const bundled = (await import(pathToFileURL(file).href)) as typeof source;
  assert.notEqual(bundled.Tensor, source.Tensor);
  assert.deepEqual(exercise(bundled), exercise(source));
});

/**
 * The names of every function and class reachable from the package's namespaces and of every
 * Tensor method, `name` first: `{ "nn.Linear": "Linear", "Tensor#add": "add", ... }`.
 */
function functionNames(torch: object): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Set<unknown>();
  const walk = (obj: object, path: string, depth: number): void => {
    if (seen.has(obj) || depth > 3) return;
    seen.add(obj);
    for (const k of Object.keys(obj).sort()) {
      const v = (obj as Record<string, unknown>)[k];
      if (typeof v === "function") out[`${path}${k}`] = v.name;
      else if (typeof v === "object" && v !== null && !ArrayBuffer.isView(v))
        walk(v, `${path}${k}.`, depth + 1);
    }
  };
  walk(torch, "", 0);
  const proto = (torch as typeof source).Tensor.prototype as unknown as Record<string, unknown>;
  for (const k of Object.getOwnPropertyNames(proto).sort()) {
    const d = Object.getOwnPropertyDescriptor(proto, k);
    if (typeof d?.value === "function") out[`Tensor#${k}`] = (d.value as () => void).name;
  }
  return out;
}

// Note [inferred names] and Note [named forwarders]: the build blanks out esbuild's keepNames
// wrappers where the language names the function, and the registry names its forwarders by a
// computed key; both must leave every name as the sources have it
test("the built package names its functions, classes and methods as the sources do", async () => {
  const expected = functionNames(source);
  assert.ok(Object.keys(expected).length > 1000, "the walk reaches the namespaces");
  const cjs = createRequire(import.meta.url)(join(root, "dist", "cjs", "index.cjs")) as object;
  assert.deepEqual(functionNames(cjs), expected);
  const browser = (await import(
    pathToFileURL(join(root, "dist", "browser", "index.js")).href
  )) as object;
  assert.deepEqual(functionNames(browser), expected);
});

// Note [lazy chunks], Note [deferred seed], Note [lazy dependencies]: what a process that takes
// one gradient loads (the import cost, bench/startup.mjs), and what using torch.nn adds
test("importing the package and taking a gradient loads no lazy chunk, WebCrypto or worker_threads", () => {
  const program = `
    const torch = require(${JSON.stringify(join(root, "dist", "cjs", "index.cjs"))});
    const loaded = () => ({
      chunks: Object.keys(require.cache).map((f) => /tensorgrad-(\\w+)\\.cjs$/.exec(f)?.[1]).filter(Boolean).sort(),
      builtins: ["internal/crypto/webcrypto", "worker_threads"].filter((m) => process.moduleLoadList.includes("NativeModule " + m)),
    });
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    const nnKeys = Object.keys(torch.nn).length;
    const before = loaded();
    const m = new torch.nn.Linear(3, 1);
    console.log(JSON.stringify({ before, nnKeys, after: loaded(), param: m.weight instanceof torch.Tensor }));`;
  const r = spawnSync(process.execPath, ["-e", program], {
    encoding: "utf8",
    env: { ...process.env, TENSORGRAD_QUIET: "1" },
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    before: { chunks: string[]; builtins: string[] };
    nnKeys: number;
    after: { chunks: string[]; builtins: string[] };
    param: boolean;
  };
  assert.deepEqual(out.before, { chunks: [], builtins: [] });
  assert.equal(out.nnKeys, Object.keys(source.nn).length);
  assert.deepEqual(out.after.chunks, ["nn"]);
  assert.equal(out.param, true);
});

// Note [backend notice]: the line goes to file descriptor 2 as it is, so that a process whose
// stderr is a pipe does not make process.stderr's stream (Node's net and stream modules: a
// tenth of the import cost, bench/startup.mjs) to print it
test("the backend notice is one line on stderr and loads no stream module", () => {
  const program = `
    const torch = require(${JSON.stringify(join(root, "dist", "cjs", "index.cjs"))});
    const x = torch.tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    const streams = ["net", "stream", "internal/streams/writable", "internal/fs/sync_write_stream"];
    const loaded = streams.filter((m) => process.moduleLoadList.includes("NativeModule " + m));
    require("node:fs").writeSync(1, JSON.stringify({ loaded, reason: torch.backends.native.reason }));`;
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // the notice is off under node --test (Note [backend notice])
  delete env.TENSORGRAD_QUIET;
  const r = spawnSync(process.execPath, ["-e", program], { encoding: "utf8", env });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { loaded: string[]; reason: string };
  assert.deepEqual(out.loaded, []);
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0].startsWith("tensorgrad: ") && lines[0].includes(out.reason), lines[0]);
});

// Note [Tensor.prototype during import]: the registry installs its methods while
// Tensor.prototype is a dictionary (V8's %HasFastProperties, in a child process with natives
// syntax), and the first method call makes it fast again
test("Tensor.prototype stays a dictionary until the first method call", () => {
  const program = `
    const torch = require(${JSON.stringify(join(root, "dist", "cjs", "index.cjs"))});
    const proto = torch.Tensor.prototype;
    const imported = %HasFastProperties(proto);
    const x = torch.tensor([1, 2, 3]);
    for (let i = 0; i < 3; i++) x.mul(x);
    console.log(JSON.stringify([Object.getOwnPropertyNames(proto).length > 500, imported, %HasFastProperties(proto)]));`;
  // (no compile cache: V8 refuses one made without --allow-natives-syntax, and would replace it)
  const r = spawnSync(process.execPath, ["--allow-natives-syntax", "-e", program], {
    encoding: "utf8",
    env: { ...process.env, TENSORGRAD_QUIET: "1", TENSORGRAD_COMPILE_CACHE: "0" },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [true, false, true]);
});

// Note [compile cache], Note [wrapped bundle]: each way the loader compiles the core bundle
// gives the package the sources give; only --enable-source-maps' stack traces name the sources
test("the bundle loads with its compile cache, without one, and under --enable-source-maps", () => {
  const index = join(root, "dist", "cjs", "index.cjs");
  const build = /const BUILD = "(\w+)";/.exec(readFileSync(index, "utf8"))?.[1];
  assert.ok(build !== undefined, "index.cjs names its build");
  const cache = join(root, "node_modules", ".cache", "tensorgrad");
  const cacheFile = join(cache, `${build}-${process.version}-${process.arch}.v8cache`);
  const program = `
    const torch = require(${JSON.stringify(index)});
    const grad = JSON.stringify((${String(exercise)})(torch));
    let stack = "";
    try { torch.tensor([1, 2]).view(3); } catch (e) { stack = e.stack; }
    const frame = stack.split("\\n").find((l) => l.includes("at inferShape ")) ?? "";
    console.log(JSON.stringify({ grad, sources: frame.includes("src/shape.ts:"), bundle: frame.includes("tensorgrad.cjs:") }));`;
  const expected = JSON.stringify(exercise(source));
  const cases: [string, string[], Record<string, string>, boolean][] = [
    // the first process may write the cache, the second reads it
    ["cache (first)", [], {}, false],
    ["cache (second)", [], {}, false],
    ["TENSORGRAD_COMPILE_CACHE=0", [], { TENSORGRAD_COMPILE_CACHE: "0" }, false],
    ["--enable-source-maps", ["--enable-source-maps"], {}, true],
  ];
  for (const [label, flags, env, sources] of cases) {
    const r = spawnSync(process.execPath, [...flags, "-e", program], {
      encoding: "utf8",
      env: { ...process.env, TENSORGRAD_QUIET: "1", ...env },
    });
    assert.equal(r.status, 0, `${label}: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { grad: string; sources: boolean; bundle: boolean };
    assert.deepEqual(out, { grad: expected, sources, bundle: !sources }, label);
    if (label.startsWith("cache"))
      assert.ok(readdirSync(cache).includes(cacheFile.slice(cache.length + 1)), label);
  }
});

// the sources are ES modules (strict code): the CommonJS bundles must say "use strict" first
// (the core's first statement is its function's, Note [wrapped bundle])
test("every CommonJS bundle is strict code", () => {
  const dir = join(root, "dist", "cjs");
  const bundles = readdirSync(dir).filter((f) => /^tensorgrad(-\w+)?\.cjs$/.test(f));
  assert.ok(bundles.length > 1, "the core and its lazy chunks");
  const wrapper = "(function (exports, require, module, __filename, __dirname) {\n";
  for (const f of bundles) {
    const text = readFileSync(join(dir, f), "latin1");
    const body = f === "tensorgrad.cjs" ? text.slice(wrapper.length) : text;
    if (f === "tensorgrad.cjs") assert.ok(text.startsWith(wrapper) && text.endsWith("\n})\n"), f);
    assert.ok(body.startsWith('"use strict";'), f);
  }
});

/**
 * Every op key, function and method of the manifest, as `[label, call]` pairs: each called
 * with no arguments (on a tensor for the methods), its first use in a fresh process.
 */
function manifestCalls(): [string, string][] {
  const calls: [string, string][] = [];
  for (const [, , functions, methods] of LAZY_OP_FAMILIES) {
    for (const spec of functions === "" ? [] : functions.split(" ")) {
      const k = spec.split(":")[0];
      calls.push([k, `torch.${k}()`]);
    }
    for (const m of methods === "" ? [] : methods.split(" "))
      calls.push([`Tensor#${m}`, `torch.tensor([[0.5, -1], [2, 3]]).${m}()`]);
  }
  return calls;
}

/**
 * What each call does: its result's type, or its error's type and message (JavaScript source:
 * run here on the sources and in a child process on the bundle).
 */
const OUTCOMES = `(torch, calls) => {
  const out = {};
  const warn = console.warn;
  console.warn = () => {}; // deprecation warnings, once per op
  try {
    for (const [label, call] of calls) {
      try {
        out[label] = "ok " + typeof new Function("torch", "return " + call + ";")(torch);
      } catch (e) {
        out[label] = e.name + ": " + e.message;
      }
    }
  } finally {
    console.warn = warn;
  }
  return out;
}`;

// Note [lazy op families]: the Node bundle evaluates a family at the first use of one of its
// ops; every op of the manifest, used first through any of its forms, behaves as the sources'
test("each lazy op family loads at the first use of any of its ops", () => {
  const calls = manifestCalls();
  assert.ok(calls.length > 500, "the manifest lists the families' ops");
  const outcomes = (0, eval)(OUTCOMES) as (t: unknown, c: [string, string][]) => object;
  const expected = outcomes(source, calls);
  const program = `
    const torch = require(${JSON.stringify(join(root, "dist", "cjs", "index.cjs"))});
    console.log(JSON.stringify((${OUTCOMES})(torch, ${JSON.stringify(calls)})));`;
  const r = spawnSync(process.execPath, ["-e", program], {
    encoding: "utf8",
    env: { ...process.env, TENSORGRAD_QUIET: "1" },
    maxBuffer: 1 << 26,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), expected);
});
