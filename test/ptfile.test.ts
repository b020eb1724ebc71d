/**
 * torch.save / torch.load in PyTorch's zip checkpoint format, against files PyTorch 1.13 wrote
 * (committed, from scripts/fixtures/ptfile_fx.py): every dtype, views with offsets and
 * strides, shared storages, 0-d and empty tensors, parameters, nested containers, a module's
 * state dict (PyTorch's outputs) and two optimizers' state dicts (a training run resumed here
 * gives PyTorch's next step); tensorgrad's own files (the zip layout, round trips); the corpus of
 * malicious and malformed checkpoints, each refused with a clear error; and, where
 * /usr/bin/python3 has torch, PyTorch loading what tensorgrad saved (weights_only=True) and
 * resuming a run saved here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync, zipSync } from "fflate";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import * as nn from "../src/nn/index.js";
import { decodeNumber, type NonFinite } from "./helpers/fixtures.js";

type Enc =
  | {
      t: "tensor";
      dtype: string;
      shape: number[];
      stride: number[];
      offset: number;
      values: (number | NonFinite)[];
      requires_grad: boolean;
      parameter: boolean;
      storage: number;
      storage_size: number;
      id: number;
    }
  | { t: "none" }
  | { t: "bool"; v: boolean }
  | { t: "int"; v: string }
  | { t: "float"; v: number | NonFinite }
  | { t: "str"; v: string }
  | { t: "list" | "tuple"; items: Enc[] }
  | { t: "dict"; keys: Enc[]; values: Enc[] };

interface Fixture {
  files: Record<string, Enc>;
  bad: Record<string, { type: string; message: string } | null>;
  save_errors: Record<string, { type: string; message: string }>;
  model: { input: number[]; output: number[] };
  resume: {
    x: number[];
    y: number[];
    adam: { loss: number; params: Record<string, number[]> };
    sgd: { loss: number; params: Record<string, number[]> };
  };
  weights_only: Record<string, boolean>;
}

const fx = JSON.parse(
  readFileSync(new URL("./fixtures/ptfile.json", import.meta.url), "utf8"),
) as Fixture;
const fixtureDir = new URL("./fixtures/ptfile/", import.meta.url);
const file = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, fixtureDir)));

/** The encoded int or float as the JavaScript value torch.load gives. */
function scalar(e: Enc): unknown {
  if (e.t === "int") {
    const b = BigInt(e.v);
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(b)
      : b;
  }
  if (e.t === "float") return decodeNumber(e.v);
  if (e.t === "str" || e.t === "bool") return e.v;
  if (e.t === "none") return null;
  throw new Error(`not a scalar: ${e.t}`);
}

/**
 * Compare a loaded (or about to be saved) value with PyTorch's encoding of the same object,
 * checking storage sharing and tensor identity across the whole object through `ctx`.
 */
function matches(
  actual: unknown,
  e: Enc,
  path: string,
  ctx = {
    storages: new Map<number, unknown>(),
    arrays: new Map<unknown, number>(),
    ids: new Map<number, unknown>(),
  },
): void {
  switch (e.t) {
    case "tensor": {
      assert.ok(actual instanceof torch.Tensor, `${path}: a tensor`);
      const t = actual as Tensor;
      assert.equal(t.dtype.name, e.dtype, `${path}: dtype`);
      assert.deepEqual(t.shape, e.shape, `${path}: shape`);
      assert.deepEqual(t.strides, e.stride, `${path}: stride`);
      assert.equal(t.offset, e.offset, `${path}: storage offset`);
      // storage sizes count elements: a complex one's array holds two values each
      assert.equal(t.typedArray.length / t.dtype.lanes, e.storage_size, `${path}: storage size`);
      assert.equal(t.requiresGrad, e.requires_grad, `${path}: requires_grad`);
      assert.equal(t instanceof nn.Parameter, e.parameter, `${path}: Parameter`);
      // complex tensors: the flat real view (each element's real, then imaginary part)
      const flat = t.dtype.isComplex ? torch.viewAsReal(t.resolveConj()).reshape([-1]) : t;
      const got = (flat.reshape([-1]).tolist() as (number | boolean)[]).map(Number);
      const want = e.values.map(decodeNumber);
      assert.equal(got.length, want.length, `${path}: numel`);
      got.forEach((v, i) => assert.ok(Object.is(v, want[i]), `${path}[${i}]: ${v} vs ${want[i]}`));
      // the same storage in PyTorch is the same array here, and only then
      const arr = ctx.storages.get(e.storage);
      if (arr === undefined) {
        assert.equal(ctx.arrays.get(t.typedArray), undefined, `${path}: storage shared by mistake`);
        ctx.storages.set(e.storage, t.typedArray);
        ctx.arrays.set(t.typedArray, e.storage);
      } else assert.equal(t.typedArray, arr, `${path}: storage ${e.storage} not shared`);
      const same = ctx.ids.get(e.id);
      if (same === undefined) ctx.ids.set(e.id, t);
      else assert.equal(t, same, `${path}: not the same tensor object`);
      return;
    }
    case "list":
    case "tuple": {
      assert.ok(Array.isArray(actual), `${path}: an array`);
      assert.equal((actual as unknown[]).length, e.items.length, `${path}: length`);
      e.items.forEach((x, i) => matches((actual as unknown[])[i], x, `${path}[${i}]`, ctx));
      return;
    }
    case "dict": {
      const keys = e.keys.map(scalar);
      if (actual instanceof Map) {
        assert.deepEqual([...actual.keys()], keys, `${path}: Map keys`);
        e.values.forEach((v, i) =>
          matches(actual.get(keys[i]), v, `${path}.${String(keys[i])}`, ctx),
        );
      } else {
        assert.ok(actual !== null && typeof actual === "object", `${path}: an object`);
        const obj = actual as Record<string, unknown>;
        assert.deepEqual(Object.keys(obj), keys.map(String), `${path}: keys`);
        assert.ok(keys.every((k) => typeof k === "string" || typeof k === "number"));
        e.values.forEach((v, i) =>
          matches(obj[String(keys[i])], v, `${path}.${String(keys[i])}`, ctx),
        );
      }
      return;
    }
    case "float":
      assert.ok(Object.is(actual, scalar(e)), `${path}: ${String(actual)} vs ${String(scalar(e))}`);
      return;
    default:
      assert.equal(actual, scalar(e), path);
  }
}

const loaded = (name: string) => torch.load<Record<string, unknown>>(file(`${name}.pt`));

test("torch.load reads PyTorch 1.13's files: dtypes, views, shared storages, containers", () => {
  for (const name of ["dtypes", "views", "model", "resume", "deflated", "complex"])
    matches(loaded(name), fx.files[name], name);
  // PyTorch's options, as far as they apply
  matches(
    torch.load(file("views.pt"), { mapLocation: "cpu", weightsOnly: true }),
    fx.files.views,
    "views (options)",
  );
  assert.throws(() => torch.load(file("views.pt"), { weightsOnly: false }), /only loads weights/);
  assert.throws(
    () => torch.load(file("views.pt"), { mapLocation: "cuda:0" }),
    /loads every tensor to the CPU/,
  );
  // an option PyTorch 1.13's torch.load does not have
  const mmap = { mmap: true } as torch.LoadOptions;
  assert.throws(() => torch.load(file("views.pt"), mmap), /unexpected keyword argument 'mmap'/);
  // from a path too
  const dir = mkdtempSync(join(tmpdir(), "tg-ckpt-"));
  writeFileSync(join(dir, "v.pt"), file("views.pt"));
  matches(torch.load(join(dir, "v.pt")), fx.files.views, "views (path)");
});

test("dicts load as plain objects or Maps by their keys (Note [pickle values in JavaScript])", () => {
  const v = loaded("views");
  assert.ok(!(v.int_keys instanceof Map)); // {0, 1, 10}: ascending ints, a plain object keeps them
  assert.ok(v.mixed_keys instanceof Map); // "0" and 0 differ in Python
  assert.ok(v.unordered_int_keys instanceof Map); // {3, 1}: a plain object would reorder them
  assert.ok(!(v.odict instanceof Map));
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.ok(Object.keys(v).includes("__proto__")); // a name, not the prototype
  const big = (v.nested as { big: unknown[] }).big;
  assert.equal(typeof big[0], "bigint"); // 2**70
  assert.equal(typeof big[2], "bigint"); // 2**53 + 1 is not a safe integer
});

test("a PyTorch module's state dict gives PyTorch's outputs", () => {
  const model = new nn.Sequential(
    new nn.Linear(4, 8),
    new nn.BatchNorm1d(8),
    new nn.ReLU(),
    new nn.Linear(8, 3),
  );
  model.loadStateDict(torch.load(file("model.pt")));
  model.eval();
  const x = torch.tensor(fx.model.input).reshape([6, 4]);
  const y = (model.call(x) as Tensor).reshape([-1]).tolist() as number[];
  y.forEach((v, i) =>
    assert.ok(Math.abs(v - fx.model.output[i]) < 1e-5, `${v} vs ${fx.model.output[i]}`),
  );
});

const makeModel = (): nn.Module =>
  new nn.Sequential(new nn.Linear(4, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 3));

type OptState = ReturnType<torch.optim.Optimizer["stateDict"]>;
interface Ckpt {
  model: Record<string, Tensor>;
  adam: OptState;
  sgd_model: Record<string, Tensor>;
  sgd: OptState;
  epoch: number;
}

function trainStep(model: nn.Module, opt: torch.optim.Optimizer, x: Tensor, y: Tensor): number {
  opt.zeroGrad();
  const loss = nn.functional.crossEntropy(model.call(x) as Tensor, y);
  loss.backward();
  opt.step();
  return loss.item() as number;
}

const optimizers = {
  adam: (m: nn.Module) => new torch.optim.Adam(m.parameters(), { lr: 0.01, weightDecay: 0.001 }),
  sgd: (m: nn.Module) =>
    new torch.optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true }),
};

test("a training run saved by PyTorch resumes here with PyTorch's next step", () => {
  const ckpt = torch.load<Ckpt>(file("resume.pt"));
  assert.equal(ckpt.epoch, 2);
  const x = torch.tensor(fx.resume.x).reshape([6, 4]);
  const y = torch.tensor(fx.resume.y, { dtype: torch.int64 });
  for (const name of ["adam", "sgd"] as const) {
    const model = makeModel();
    model.loadStateDict(name === "adam" ? ckpt.model : ckpt.sgd_model);
    const opt = optimizers[name](model);
    opt.loadStateDict(ckpt[name]);
    const loss = trainStep(model, opt, x, y);
    assert.ok(Math.abs(loss - fx.resume[name].loss) < 1e-6, `${name} loss ${loss}`);
    for (const [k, want] of Object.entries(fx.resume[name].params)) {
      const got = (model.stateDict()[k].reshape([-1]).tolist() as number[]).map(Number);
      got.forEach((v, i) =>
        assert.ok(Math.abs(v - want[i]) < 1e-5, `${name} ${k}[${i}]: ${v} vs ${want[i]}`),
      );
    }
  }
});

test("torch.save round-trips PyTorch's objects here: sharing, views, identity, containers", () => {
  for (const name of ["dtypes", "views", "model", "resume", "complex"]) {
    const bytes = torch.save(loaded(name));
    matches(torch.load(bytes), fx.files[name], `${name} (re-saved)`);
  }
});

/** The local file headers of a zip: name, compression method and where the data starts. */
function entries(
  bytes: Uint8Array,
): { name: string; method: number; start: number; size: number }[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  let p = 0;
  while (v.getUint32(p, true) === 0x04034b50) {
    const n = v.getUint16(p + 26, true);
    const extra = v.getUint16(p + 28, true);
    const size = v.getUint32(p + 18, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 30, p + 30 + n));
    const start = p + 30 + n + extra;
    out.push({ name, method: v.getUint16(p + 8, true), start, size });
    p = start + size;
  }
  return out;
}

test("torch.save lays the zip out as PyTorch: stored records aligned to 64 bytes, version 3", () => {
  const base = torch.arange(6).to(torch.float32);
  const bytes = torch.save({
    a: base,
    b: base.index(torch.slice(2, 5)),
    c: torch.ones(2, { dtype: torch.int64 }),
  });
  const es = entries(bytes);
  assert.deepEqual(
    es.map((e) => e.name),
    ["archive/data.pkl", "archive/data/0", "archive/data/1", "archive/version"],
  );
  for (const e of es) {
    assert.equal(e.method, 0, `${e.name} stored`);
    assert.equal(e.start % 64, 0, `${e.name} aligned`);
  }
  const version = es[3];
  assert.equal(
    new TextDecoder().decode(bytes.subarray(version.start, version.start + version.size)),
    "3\n",
  );
  assert.equal(es[1].size, 24); // the shared float32 storage once, 6 elements
  assert.equal(es[2].size, 16); // two int64
  // a file's archive folder is its name without extension, as PyTorch's writer names it
  const dir = mkdtempSync(join(tmpdir(), "tg-ckpt-"));
  torch.save({ a: base }, join(dir, "weights.pth"));
  assert.equal(
    entries(new Uint8Array(readFileSync(join(dir, "weights.pth"))))[0].name,
    "weights/data.pkl",
  );
});

test("torch.save keeps what it cannot represent out of the file, with a clear error", () => {
  const cyclic: unknown[] = [];
  cyclic.push(cyclic);
  assert.throws(() => torch.save(cyclic), /contains itself/);
  // a dtype 1.13 cannot pickle: PyTorch's KeyError (Python quotes its argument)
  const c32 = torch.zeros(2, { dtype: torch.complex32 });
  const want = fx.save_errors.complex32;
  assert.throws(
    () => torch.save({ a: c32 }),
    (e: Error) => e.name === want.type && `'${e.message}'` === want.message,
  );
  assert.throws(() => torch.save({ f: () => 1 }), /cannot save a function/);
  assert.throws(() => torch.save(new Set([1])), /cannot save a Set/);
  assert.throws(() => torch.save({ d: new Date(0) }), /cannot save a Date/);
  assert.throws(
    () => torch.save({ b: torch.ones(1) }, join(tmpdir(), "x.pt"), { metadata: { a: "b" } }),
    /metadata/,
  );
  // keys: integer-like strings become Python ints, "-0" and "007" stay strings
  const keys = torch.load<Map<unknown, unknown>>(
    torch.save(
      new Map<unknown, unknown>([
        ["-0", 1],
        ["007", 2],
        [-3, 3],
        ["x", 4],
      ]),
    ),
  );
  assert.deepEqual([...keys.keys()], ["-0", "007", -3, "x"]);
  const plain = torch.load<Record<string, number>>(torch.save({ 2: "a", "-0": "b", 10: "c" }));
  assert.deepEqual(Object.entries(plain), [
    ["2", "a"],
    ["10", "c"],
    ["-0", "b"],
  ]);
  // shared objects stay shared, without being cycles
  const t = torch.ones(2);
  const shared = { x: [t], y: [t] };
  shared.y = shared.x;
  const back = torch.load<{ x: Tensor[]; y: Tensor[] }>(torch.save(shared));
  assert.equal(back.x, back.y);
});

test("a big-endian checkpoint (PyTorch 2's byteorder record) is refused, not misread", () => {
  const files = unzipSync(torch.save({ w: torch.ones(2) }));
  files["archive/byteorder"] = new TextEncoder().encode("big");
  assert.throws(
    () => torch.load(zipSync(files, { level: 0 })),
    /big-endian; tensorgrad reads little-endian/,
  );
  files["archive/byteorder"] = new TextEncoder().encode("little");
  assert.ok(torch.equal(torch.load(zipSync(files, { level: 0 })).w, torch.ones(2)));
});

test("safetensors stay readable: torch.load detects them by content; .safetensors paths write them", () => {
  const st = new Uint8Array(
    readFileSync(new URL("./fixtures/safetensors/mixed.safetensors", import.meta.url)),
  );
  const viaLoad = torch.load(st);
  const direct = torch.safetensors.deserialize(st).tensors;
  assert.deepEqual(Object.keys(viaLoad), Object.keys(direct));
  for (const k of Object.keys(direct)) assert.ok(torch.equal(viaLoad[k], direct[k]));
  const dir = mkdtempSync(join(tmpdir(), "tg-ckpt-"));
  torch.save({ w: torch.ones(2) }, join(dir, "w.safetensors"), { metadata: { by: "tg" } });
  assert.deepEqual(torch.safetensors.loadWithMetadata(join(dir, "w.safetensors")).metadata, {
    by: "tg",
  });
  assert.ok(torch.equal(torch.load(join(dir, "w.safetensors")).w, torch.ones(2)));
});

/**
 * Each corpus file and what tensorgrad says about it: PyTorch's own words after "WeightsUnpickler
 * error: " where PyTorch refuses it the same way (`pytorch: true`), else a pattern.
 */
const CORPUS: Record<
  string,
  { type: new (...a: never[]) => Error; pytorch?: true; pattern?: RegExp }
> = {
  global_os_system: { type: torch.UnpicklingError, pytorch: true },
  reduce_builtins_eval: { type: torch.UnpicklingError, pytorch: true },
  global_subprocess: { type: torch.UnpicklingError, pytorch: true },
  reduce_on_string: { type: torch.UnpicklingError, pytorch: true },
  newobj_ordered_dict: { type: torch.UnpicklingError, pytorch: true },
  build_on_list: { type: torch.UnpicklingError, pytorch: true },
  append_to_dict: { type: torch.UnpicklingError, pytorch: true },
  stack_global_proto4: { type: torch.UnpicklingError, pytorch: true },
  inst_opcode: { type: torch.UnpicklingError, pytorch: true },
  persid_not_storage: { type: torch.UnpicklingError, pytorch: true },
  missing_storage_record: { type: torch.UnpicklingError, pytorch: true },
  huge_storage_numel: {
    type: torch.UnpicklingError,
    pattern: /has 48 bytes, but its pickle declares 4611686018427387904 elements/,
  },
  storage_numel_mismatch: {
    type: torch.UnpicklingError,
    pattern: /has 48 bytes, but its pickle declares 13 elements/,
  },
  offset_out_of_range: {
    type: torch.UnpicklingError,
    pattern: /storage offset 100 reaches element 111 of a storage of 12 elements/,
  },
  stride_out_of_range: {
    type: torch.UnpicklingError,
    pattern: /stride \[5, 1\] and storage offset 0 reaches element 13 of a storage of 12/,
  },
  unsupported_storage: {
    type: torch.UnpicklingError,
    pattern: /tensorgrad has no dtype for torch.QInt8Storage/,
  },
  truncated_zip: { type: torch.RuntimeError, pytorch: true },
  bad_crc: {
    type: torch.RuntimeError,
    pattern: /failed reading file archive\/data\/0: .*CRC-32 mismatch/,
  },
  truncated_pickle: { type: torch.UnpicklingError, pattern: /pickle data was truncated/ },
  no_stop: { type: torch.UnpicklingError, pattern: /no STOP opcode/ },
  string_length_past_end: {
    type: torch.UnpicklingError,
    pattern: /truncated \(needed 4294967295 bytes/,
  },
  memo_missing: { type: torch.UnpicklingError, pattern: /Memo value not found at index 5/ },
  nesting_bomb: { type: torch.UnpicklingError, pattern: /nests deeper than 1000 levels/ },
  cycle: { type: torch.UnpicklingError, pattern: /containers form a cycle/ },
  no_data_pkl: {
    type: torch.RuntimeError,
    pattern: /failed locating file data.pkl: file not found/,
  },
  not_a_checkpoint: {
    type: torch.RuntimeError,
    pattern: /neither a PyTorch checkpoint .* nor a safetensors file/,
  },
  legacy_format: { type: torch.RuntimeError, pattern: /legacy \(pre-1.6, non-zip\) format/ },
  zip_bomb_declared_size: {
    type: torch.RuntimeError,
    pattern: /declares 3000000000 bytes from \d+ compressed/,
  },
};

test("the corpus of malicious and malformed checkpoints: each refused with a clear error", () => {
  const names = readdirSync(new URL("bad/", fixtureDir)).map((f) => f.replace(/\.pt$/, ""));
  assert.deepEqual(names.sort(), Object.keys(CORPUS).sort());
  assert.deepEqual(Object.keys(fx.bad).sort(), names);
  for (const [name, want] of Object.entries(CORPUS)) {
    const bytes = file(`bad/${name}.pt`);
    const start = process.hrtime.bigint();
    assert.throws(
      () => torch.load(bytes),
      (e: Error) => {
        assert.ok(e instanceof want.type, `${name}: ${e.name}: ${e.message}`);
        if (want.pytorch) {
          const theirs = fx.bad[name];
          assert.ok(theirs !== null, `${name}: PyTorch refuses it too`);
          const detail = theirs.message.split("WeightsUnpickler error: ").pop() as string;
          assert.ok(
            e.message.endsWith(detail),
            `${name}: "${e.message}" should end with "${detail}"`,
          );
        } else assert.match(e.message, want.pattern as RegExp, name);
        return true;
      },
    );
    assert.ok(process.hrtime.bigint() - start < 2_000_000_000n, `${name} refused quickly`);
  }
  // the refusal says what is allowed, as PyTorch's does
  assert.throws(
    () => torch.load(file("bad/global_os_system.pt")),
    /^UnpicklingError: Weights only load failed/,
  );
});

test("mutated checkpoints (seeded byte flips in the pickle and in the zip): loaded or refused with tensorgrad's errors", () => {
  const orig = file("views.pt");
  const files = unzipSync(orig);
  const pkl = files["archive/data.pkl"];
  let seed = 12345;
  // a linear congruential generator: the same mutations on every run
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return Math.floor((seed / 2 ** 32) * n);
  };
  const outcomes = new Map<string, number>();
  for (let it = 0; it < 600; it++) {
    let bytes: Uint8Array;
    if (it % 2 === 0) {
      // a valid archive around a damaged pickle (the CRCs match), so the unpickler sees it
      const p = pkl.slice();
      for (let j = 0, n = 1 + rnd(4); j < n; j++) p[rnd(p.length)] = rnd(256);
      bytes = zipSync({ ...files, "archive/data.pkl": p }, { level: 0 });
    } else {
      bytes = orig.slice();
      for (let j = 0, n = 1 + rnd(4); j < n; j++) bytes[rnd(bytes.length)] = rnd(256);
    }
    try {
      torch.load(bytes);
      outcomes.set("loaded", (outcomes.get("loaded") ?? 0) + 1);
    } catch (e) {
      assert.ok(
        e instanceof torch.UnpicklingError || e instanceof torch.RuntimeError,
        `mutation ${it}: ${(e as Error).stack}`,
      );
      outcomes.set(e.name, (outcomes.get(e.name) ?? 0) + 1);
    }
  }
  // both kinds of refusal happen (the mutations reach the unpickler and the zip reader)
  assert.ok((outcomes.get("UnpicklingError") ?? 0) > 100, JSON.stringify([...outcomes]));
  assert.ok((outcomes.get("RuntimeError") ?? 0) > 100, JSON.stringify([...outcomes]));
});

const python = "/usr/bin/python3";
const hasTorch = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" }).status === 0;

function runPython(script: string): unknown {
  const r = spawnSync(python, ["-c", script], { encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}
const fxDir = new URL("../scripts/fixtures", import.meta.url).pathname;

test(
  "PyTorch 1.13 loads what torch.save writes, with weights_only=True (when installed)",
  { skip: hasTorch ? false : "no /usr/bin/python3 with torch" },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "tg-ckpt-live-"));
    const base = torch.arange(24).to(torch.float32).reshape([4, 6]);
    const obj = {
      base,
      block: base.index(torch.slice(1, 3), torch.slice(2, 5)),
      transposed: base.t(),
      expanded: base.index(0, torch.slice(0, 1)).expand(3, 5),
      f64: torch.tensor([Math.PI, -1e300], { dtype: torch.float64 }),
      i32: torch.tensor([-(2 ** 31), 7], { dtype: torch.int32 }),
      i64: torch.tensor([2 ** 40 + 3, -(2 ** 50)], { dtype: torch.int64 }),
      u8: torch.tensor([0, 255], { dtype: torch.uint8 }),
      b: torch.tensor([true, false]),
      scalar: torch.tensor(2.5),
      empty: torch.zeros(2, 0),
      param: new nn.Parameter(torch.tensor([0.5, -0.5])),
      grad_leaf: torch.tensor([1, 2], { dtype: torch.float32 }).requiresGrad_(),
      nested: {
        list: [1, -2, [3, null]],
        flags: [true, false],
        text: "ü ✓",
        big: [2n ** 70n, -300, 70000],
      },
      int_keys: { 0: "a", 1: "b" },
      same: [] as Tensor[],
      model: new nn.Linear(3, 2).stateDict(),
      c64: torch.complex(torch.tensor([1.5, -2]), torch.tensor([0.5, 3])),
      c128_t: torch
        .complex(
          torch.arange(6).to(torch.float64).reshape([2, 3]),
          torch.arange(6).to(torch.float64).neg().reshape([2, 3]),
        )
        .t(),
    };
    const t = torch.ones(2);
    obj.same = [t, t];
    const path = join(dir, "tg.pt");
    torch.save(obj, path);
    const enc = runPython(`
import json, sys, torch
sys.path.insert(0, ${JSON.stringify(fxDir)})
from ptfile_fx import encode
print(json.dumps(encode(torch.load(${JSON.stringify(path)}, weights_only=True))))
`) as Enc;
    matches(obj, enc, "saved");
  },
);

test(
  "a training run saved here resumes in PyTorch with tensorgrad's next step (when installed)",
  { skip: hasTorch ? false : "no /usr/bin/python3 with torch" },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "tg-ckpt-live-"));
    const x = torch.tensor(fx.resume.x).reshape([6, 4]);
    const y = torch.tensor(fx.resume.y, { dtype: torch.int64 });
    torch.manualSeed(7);
    const runs = (["adam", "sgd"] as const).map((name) => {
      const model = makeModel();
      const opt = optimizers[name](model);
      trainStep(model, opt, x, y);
      trainStep(model, opt, x, y);
      return { name, model, opt };
    });
    const path = join(dir, "run.pt");
    torch.save(
      {
        model: runs[0].model.stateDict(),
        adam: runs[0].opt.stateDict(),
        sgd_model: runs[1].model.stateDict(),
        sgd: runs[1].opt.stateDict(),
        epoch: 2,
      },
      path,
    );
    const out = runPython(`
import json, pickle, sys, torch
sys.path.insert(0, ${JSON.stringify(fxDir)})
from ptfile_fx import make_model, data, train_step
# PyTorch 1.13's weights-only unpickler refuses Python floats (the optimizers' lr): show that
# this is the only reason, then load it normally (the file names no other global than a
# PyTorch-written one would)
try:
    torch.load(${JSON.stringify(path)}, weights_only=True)
    wo = "loaded"
except pickle.UnpicklingError as e:
    wo = str(e).split("WeightsUnpickler error: ")[-1]
ck = torch.load(${JSON.stringify(path)})
x, y = data()
out = {"weights_only": wo, "epoch": ck["epoch"]}
for name, key, make in (("adam", "model", lambda ps: torch.optim.Adam(ps, lr=0.01, weight_decay=0.001)),
                        ("sgd", "sgd_model", lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True))):
    m = make_model()
    m.load_state_dict(ck[key])
    o = make(m.parameters())
    o.load_state_dict(ck[name])
    loss = train_step(m, o, x, y)
    out[name] = {"loss": loss, "params": {k: v.reshape(-1).tolist() for k, v in m.state_dict().items()}}
print(json.dumps(out))
`) as {
      weights_only: string;
      epoch: number;
      adam: { loss: number; params: Record<string, number[]> };
      sgd: { loss: number; params: Record<string, number[]> };
    };
    assert.equal(out.weights_only, "Unsupported operand 71");
    assert.equal(out.epoch, 2);
    for (const { name, model, opt } of runs) {
      const loss = trainStep(model, opt, x, y);
      assert.ok(
        Math.abs(loss - out[name].loss) < 1e-6,
        `${name} loss ${loss} vs ${out[name].loss}`,
      );
      for (const [k, want] of Object.entries(out[name].params)) {
        const got = (model.stateDict()[k].reshape([-1]).tolist() as number[]).map(Number);
        got.forEach((v, i) =>
          assert.ok(Math.abs(v - want[i]) < 1e-5, `${name} ${k}[${i}]: ${v} vs ${want[i]}`),
        );
      }
    }
  },
);
