// Builds the WebAssembly backend (native/wasm/build.sh: Debian's clang, lld, wasi-libc and the
// wasm32 libc++) and embeds its four modules in the files the package ships (src/backend/wasm.ts
// decodes them): src/backend/wasm-module.gen.ts (one thread), wasm-module-threads.gen.ts
// (shared memory; Note [wasm threads module]) and their relaxed SIMD twins,
// wasm-module-relaxed.gen.ts and wasm-module-threads-relaxed.gen.ts (Note [wasm relaxed fma] in
// native/matmul.cc). `npm run build:wasm`; test/wasm.test.ts rebuilds the modules where the
// toolchain is present and compares them with the embedded bytes (Note [wasm reproducibility],
// build.sh).
//
//   node scripts/build-wasm.mjs            rebuild and write the four files
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { Buffer } from "node:buffer";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The modules: key in buildWasm's result, the suffix of their files (build.sh's
 * tensorgrad<suffix>.wasm, src/backend/wasm-module<suffix>.gen.ts, the bundles'
 * tensorgrad-wasm<suffix>.cjs / .js: scripts/build-dist.mjs, scripts/wasm-threads-chunk.mjs),
 * the generated file's export, and what its JSDoc says it is.
 */
export const WASM_BUILDS = [
  ["single", "", "WASM_MODULE", "The WebAssembly backend's module (src/backend/wasm.ts)"],
  [
    "threads",
    "-threads",
    "WASM_MODULE_THREADS",
    "The threaded build of the module (src/backend/wasm-threads.ts)",
  ],
  [
    "singleRelaxed",
    "-relaxed",
    "WASM_MODULE_RELAXED",
    "The module's relaxed SIMD build (Note [wasm relaxed fma])",
  ],
  [
    "threadsRelaxed",
    "-threads-relaxed",
    "WASM_MODULE_THREADS_RELAXED",
    "The threaded module's relaxed SIMD build (Note [wasm relaxed fma])",
  ],
];

/**
 * Runs native/wasm/build.sh; returns the modules' bytes by WASM_BUILDS key, the relaxed ones
 * with their fused multiply-adds re-encoded (relaxedMadd).
 */
export function buildWasm() {
  const dir = mkdtempSync(join(tmpdir(), "tg-wasm-"));
  try {
    const out = join(dir, "tensorgrad.wasm");
    const r = spawnSync("sh", [join(root, "native", "wasm", "build.sh"), out], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (r.status !== 0) throw new Error(`native/wasm/build.sh failed (${r.status ?? r.signal})`);
    const built = {};
    for (const [key, suffix] of WASM_BUILDS) {
      const path = join(dir, `tensorgrad${suffix}.wasm`);
      built[key] = key.endsWith("Relaxed") ? relaxedMadd(path) : readFileSync(path);
    }
    return built;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The proposal's earlier `f32x4.fma` (what clang 14 emits) and the final f32x4.relaxed_madd. */
const FMA_DRAFT = [0xfd, 0xaf, 0x01];
const RELAXED_MADD = [0xfd, 0x85, 0x02];

/**
 * The module at `path` with each `f32x4.fma` instruction rewritten to f32x4.relaxed_madd (Note
 * [wasm relaxed fma]): the same operands and length, so nothing else moves. The instructions
 * are located by llvm-objdump's disassembly of the code section (an offset in the section's
 * payload per line), and each must hold the draft's bytes; any other relaxed SIMD instruction,
 * or none at all, is an error.
 */
export function relaxedMadd(path) {
  const bytes = Buffer.from(readFileSync(path));
  const r = spawnSync("llvm-objdump-14", ["-d", path], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) {
    throw new Error(`llvm-objdump-14 -d failed (${r.status ?? r.error?.message}): install llvm-14`);
  }
  const code = codeSectionPayload(bytes);
  let count = 0;
  for (const line of r.stdout.split("\n")) {
    const m = line.match(/^\s*([0-9a-f]+):\s+((?:[0-9a-f]{2} )+)\s*(\S+)/);
    if (m === null) continue;
    const [, at, , op] = m;
    if (/relaxed|laneselect|fms|qfm|dot_i8/.test(op)) {
      throw new Error(`${path}: unexpected relaxed SIMD instruction ${op}`);
    }
    if (op !== "f32x4.fma") continue;
    const off = code + parseInt(at, 16);
    if (!FMA_DRAFT.every((b, i) => bytes[off + i] === b)) {
      throw new Error(`${path}: no f32x4.fma bytes at ${off}`);
    }
    RELAXED_MADD.forEach((b, i) => (bytes[off + i] = b));
    count++;
  }
  if (count === 0) throw new Error(`${path}: no f32x4.fma to rewrite`);
  return bytes;
}

/** The file offset of the code section's payload (section id 10) in the module `bytes`. */
function codeSectionPayload(bytes) {
  let at = 8; // magic and version
  const leb = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    if (id === 10) return at;
    at += size;
  }
  throw new Error("the module has no code section");
}

/** The text of src/backend/<gen>.gen.ts for the module `bytes` of WASM_BUILDS entry `key`. */
export function moduleSource(key, bytes) {
  const [, , name, what] = WASM_BUILDS.find(([k]) => k === key);
  return `// Generated by scripts/build-wasm.mjs from native/ (native/wasm/build.sh). Do not edit: run
// \`npm run build:wasm\` (test/wasm.test.ts checks the bytes against a rebuild where clang is
// installed). ${bytes.length} bytes.

/** ${what}, base64. */
export const ${name} =
  "${Buffer.from(bytes).toString("base64")}";
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = buildWasm();
  for (const [key, suffix] of WASM_BUILDS) {
    const file = `wasm-module${suffix}.gen.ts`;
    writeFileSync(join(root, "src", "backend", file), moduleSource(key, built[key]));
    console.log(`wrote src/backend/${file} (${built[key].length} bytes)`);
  }
}
