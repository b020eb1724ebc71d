/**
 * torch.save / torch.load in the safetensors format against committed files written with
 * safetensors' serialisation rules by scripts/fixtures/layers_fx.py (Python's reference
 * writer): byte-identical output, loading (with dtype conversions), a PyTorch model's state
 * dict giving PyTorch's outputs, malformed or truncated files rejected with clear errors; and,
 * where /usr/bin/python3 has torch, a live round trip with PyTorch (its reader and writer are
 * scripts/fixtures/layers_fx.py's, as Python's `safetensors` package is not installed here).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import * as nn from "../src/nn/index.js";
import { decodeNumber, fromFlatRec, type NonFinite } from "./helpers/fixtures.js";

interface Enc {
  shape: number[];
  dtype: string;
  values: (number | NonFinite)[];
}
const fx = JSON.parse(
  readFileSync(new URL("./fixtures/layers.json", import.meta.url), "utf8"),
).safetensors;
const file = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`./fixtures/safetensors/${name}`, import.meta.url)));
const values = (t: Tensor): number[] =>
  (t.reshape([-1]).tolist() as (number | boolean)[]).map(Number);

function mixed(): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(fx.mixed)) out[k] = fromFlatRec(v as Enc);
  return out;
}

test("torch.save writes the bytes safetensors writes (dtype order, sorted names, metadata, padding)", () => {
  const bytes = torch.safetensors.serialize(mixed(), { metadata: fx.metadata });
  assert.deepEqual(Buffer.from(bytes), Buffer.from(file("mixed.safetensors")));
  // a Map state dict and non-contiguous tensors serialise the same
  const m = new Map(Object.entries(mixed()));
  m.set("b.weight", (m.get("b.weight") as Tensor).t().contiguous().t());
  assert.deepEqual(
    Buffer.from(torch.safetensors.serialize(m, { metadata: fx.metadata })),
    Buffer.from(file("mixed.safetensors")),
  );
  const dir = mkdtempSync(join(tmpdir(), "tg-st-"));
  const path = join(dir, "w.safetensors");
  torch.save(mixed(), path, { metadata: fx.metadata });
  assert.deepEqual(readFileSync(path), Buffer.from(file("mixed.safetensors")));
});

test("torch.load reads Python-written files: values, dtypes, metadata, sorted keys", () => {
  const { tensors, metadata } = torch.safetensors.deserialize(file("mixed.safetensors"));
  assert.deepEqual(metadata, fx.metadata);
  assert.deepEqual(Object.keys(tensors), Object.keys(fx.mixed).sort());
  for (const [k, e] of Object.entries(fx.mixed) as [string, Enc][]) {
    assert.equal(tensors[k].dtype.name, e.dtype, k);
    assert.deepEqual(tensors[k].shape, e.shape, k);
    assert.deepEqual(values(tensors[k]), e.values, k);
  }
  // F16, BF16, U8, I8, I16 load in their own dtypes, and save back to the same bytes
  const bytes = file("halfs.safetensors");
  const h = torch.safetensors.deserialize(bytes).tensors;
  const want: Record<string, torch.DType> = {
    h: torch.float16,
    bf: torch.bfloat16,
    u8: torch.uint8,
    i8: torch.int8,
    i16: torch.int16,
  };
  for (const [k, d] of Object.entries(want)) {
    assert.equal(h[k].dtype, d, k);
    const v = fx.halfs[k].values;
    assert.deepEqual(values(h[k]), d.isFloatingPoint ? v.map(decodeNumber) : v, k);
  }
  assert.deepEqual(Buffer.from(torch.safetensors.serialize(h)), Buffer.from(bytes));
});

test("complex64 is C64 both ways (sorted between F64 and F32); complex128 has no safetensors dtype", () => {
  const bytes = file("complex.safetensors");
  const { tensors } = torch.safetensors.deserialize(bytes);
  const want = fx.complex as Record<string, { dtype: string; real: Enc }>;
  assert.deepEqual(Object.keys(tensors), Object.keys(want).sort());
  const built: Record<string, Tensor> = {};
  for (const [k, e] of Object.entries(want)) {
    assert.equal(tensors[k].dtype.name, e.dtype, k);
    const real = e.dtype === "complex64" ? torch.viewAsReal(tensors[k]) : tensors[k];
    assert.deepEqual(real.shape, e.real.shape, k);
    assert.deepEqual(values(real), e.real.values, k);
    const r = fromFlatRec(e.real);
    built[k] = e.dtype === "complex64" ? torch.viewAsComplex(r) : r;
  }
  // written back byte for byte, also from a non-contiguous complex tensor
  assert.deepEqual(Buffer.from(torch.safetensors.serialize(built)), Buffer.from(bytes));
  built.z = built.z.t().contiguous().t();
  assert.deepEqual(Buffer.from(torch.safetensors.serialize(built)), Buffer.from(bytes));
  assert.throws(
    () => torch.safetensors.serialize({ c: torch.zeros(2, { dtype: torch.complex128 }) }),
    /cannot save a tensor of dtype torch.complex128/,
  );
});

test("a PyTorch state dict loads into the same tensorgrad model and gives PyTorch's output", () => {
  const model = new nn.Sequential(
    new nn.Conv2d(1, 2, 3),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Linear(8, 3),
    new nn.BatchNorm1d(3),
  );
  const dir = mkdtempSync(join(tmpdir(), "tg-st-"));
  const path = join(dir, "model.safetensors");
  // round trip through tensorgrad's writer first: same bytes as the Python-written file
  const sd = torch.safetensors.deserialize(file("model.safetensors")).tensors;
  torch.save(sd, path);
  assert.deepEqual(readFileSync(path), Buffer.from(file("model.safetensors")));
  model.loadStateDict(torch.load(path));
  model.eval();
  const y = model.call(fromFlatRec(fx.model.input)) as Tensor;
  values(y).forEach((v, i) => assert.ok(Math.abs(v - fx.model.output.values[i]) < 1e-5));
  assert.equal((model.stateDict()["4.num_batches_tracked"] as Tensor).item(), 1);
});

test("malformed or truncated files get a clear error, never an out-of-bounds read", () => {
  const good = file("mixed.safetensors");
  const bad = (bytes: Uint8Array, re: RegExp): void =>
    assert.throws(() => torch.safetensors.deserialize(bytes), re);
  bad(good.subarray(0, 5), /too short for the 8-byte header length/);
  bad(good.subarray(0, 40), /runs past the end of the data.*truncated/);
  bad(good.subarray(0, good.length - 1), /only \d+ follow the header: truncated file/);
  const extra = new Uint8Array(good.length + 3);
  extra.set(good);
  bad(extra, /3 bytes after the last tensor's data are not described/);
  const mk = (header: string, data = new Uint8Array(0)): Uint8Array => {
    const h = new TextEncoder().encode(header);
    const out = new Uint8Array(8 + h.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
    out.set(h, 8);
    out.set(data, 8 + h.length);
    return out;
  };
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 60n, true);
  bad(huge, /exceeds the limit/);
  bad(mk("[1,2]"), /does not start with '\{'/);
  bad(mk("{nope"), /not valid JSON/);
  bad(
    mk('{"a":{"dtype":"F99","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)),
    /unknown dtype "F99"/,
  );
  bad(
    mk('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', new Uint8Array(4)),
    /invalid shape/,
  );
  bad(
    mk('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', new Uint8Array(4)),
    /needs 8 bytes, but data_offsets \[0, 4\] span 4/,
  );
  bad(
    mk('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Uint8Array(8)),
    /starts at byte 4, expected 0/,
  );
  bad(
    mk(
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
      new Uint8Array(4),
    ),
    /gap or overlap/,
  );
  bad(
    mk(
      '{"a":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}',
      new Uint8Array(4),
    ),
    /truncated file/,
  );
  bad(mk('{"__metadata__":{"k":1}}'), /is not a string/);
  const badUtf8 = mk('{"a":1}');
  badUtf8[9] = 0xff;
  bad(badUtf8, /not valid UTF-8/);
  assert.throws(
    () => torch.safetensors.serialize({ a: 3 as unknown as Tensor }),
    /stores tensors only/,
  );
  // a valid empty file
  assert.deepEqual(torch.safetensors.deserialize(torch.safetensors.serialize({})).tensors, {});
});

const python = "/usr/bin/python3";
const hasTorch = ((): boolean => {
  try {
    return spawnSync(python, ["-c", "import torch"], { timeout: 60_000 }).status === 0;
  } catch {
    return false;
  }
})();

test(
  "live round trip with PyTorch (when installed): PyTorch loads what tensorgrad saves and the other way round",
  { skip: hasTorch ? false : "no /usr/bin/python3 with torch" },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "tg-st-live-"));
    torch.manualSeed(11);
    const make = (): nn.Module =>
      new nn.Sequential(
        new nn.Conv2d(1, 3, 3, { padding: 1 }),
        new nn.ReLU(),
        new nn.Flatten(),
        new nn.Linear(3 * 4 * 4, 2),
        new nn.BatchNorm1d(2),
      );
    const model = make();
    model.call(torch.rand(5, 1, 4, 4)); // move the running statistics
    model.eval();
    torch.save(model.stateDict(), join(dir, "tg.safetensors"), { metadata: { by: "tensorgrad" } });
    const x = torch.rand(2, 1, 4, 4);
    const script = `
import json, sys, torch, torch.nn as nn
sys.path.insert(0, ${JSON.stringify(new URL("../scripts/fixtures", import.meta.url).pathname)})
from layers_fx import st_deserialize, st_serialize
d = ${JSON.stringify(dir)}
make = lambda: nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(48, 2), nn.BatchNorm1d(2))
m = make()
sd, meta = st_deserialize(open(d + "/tg.safetensors", "rb").read())
m.load_state_dict(sd)
m.eval()
x = torch.tensor(${JSON.stringify(x.reshape([-1]).tolist())}).view(2, 1, 4, 4)
torch.manual_seed(5)
other = make()
open(d + "/pt.safetensors", "wb").write(st_serialize(other.state_dict()))
print(json.dumps({"meta": meta, "y": m(x).view(-1).tolist(), "yOther": other.eval()(x).view(-1).tolist()}))
`;
    const r = spawnSync(python, ["-c", script], { encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.meta, { by: "tensorgrad" });
    values(model.call(x) as Tensor).forEach((v, i) => assert.ok(Math.abs(v - out.y[i]) < 1e-5));
    const other = make();
    other.loadStateDict(torch.load(join(dir, "pt.safetensors")));
    other.eval();
    values(other.call(x) as Tensor).forEach((v, i) =>
      assert.ok(Math.abs(v - out.yOther[i]) < 1e-5),
    );
  },
);

test("tensor and metadata names are plain data: __proto__ and constructor round-trip as keys", () => {
  const names = ["__proto__", "constructor", "toString", "w"];
  const d: Record<string, Tensor> = {};
  names.forEach((n, i) =>
    Object.defineProperty(d, n, {
      value: torch.full([2], i),
      enumerable: true,
      writable: true,
      configurable: true,
    }),
  );
  const metadata: Record<string, string> = {};
  Object.defineProperty(metadata, "__proto__", { value: "m", enumerable: true });
  const { tensors, metadata: meta } = torch.safetensors.deserialize(
    torch.safetensors.serialize(d, { metadata }),
  );
  assert.equal(Object.getPrototypeOf(tensors), Object.prototype);
  assert.deepEqual(Object.keys(tensors).sort(), names.slice().sort());
  names.forEach((n, i) => {
    const t = Object.getOwnPropertyDescriptor(tensors, n)?.value as Tensor;
    assert.ok(t instanceof torch.Tensor, n);
    assert.deepEqual(values(t), [i, i], n);
  });
  assert.ok(meta !== null);
  assert.equal(Object.getPrototypeOf(meta), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(meta, "__proto__")?.value, "m");
});
