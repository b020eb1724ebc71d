/**
 * torch.onnx.export: the MNIST example's MLP and CNN (examples/mnist/main.ts's mlp() and cnn(),
 * rebuilt here: that file is a script) and examples/gpt's GPT, exported at opsets 13, 14 and
 * 17 with a dynamic batch axis, run in ONNX Runtime (onnxruntime-node, a devDependency) at two
 * batch sizes with tensorgrad's forward outputs to 1e-5; the ONNX op types and parameter
 * initializers compared with what PyTorch 1.13's own export writes for the same models
 * (scripts/fixtures/onnx_fx.py, test/fixtures/onnx.json), read back with a small protobuf
 * reader; ONNX's checker (Debian's python3-onnx, installed by .ci/run) on every file when it is
 * installed. The GPT and the library come from the built package, as in test/gpt.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import * as torch from "tensorgrad";
import { GPT } from "../examples/gpt/model.js";
import { readFixture, type Err } from "./helpers/fixtures.js";

const { nn } = torch;
type Tensor = torch.Tensor;

interface Fixture {
  models: Record<string, Record<string, { op_types: string[]; param_initializers: string[] }>>;
  unsupported: Err;
  newer_opset: Err;
  bad_opset: Err;
}
const fx = readFixture<Fixture>("onnx.json");
const OPSETS = [13, 14, 17];

// ---------------------------------------------------------------------------------------------
// a protobuf reader for the fields the comparison needs (onnx.proto's numbers)

type Fields = Map<number, (Uint8Array | bigint)[]>;

function readVarint(b: Uint8Array, pos: { i: number }): bigint {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const byte = b[pos.i++];
    v |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return v;
    shift += 7n;
  }
}

/** A message's fields: length-delimited ones as bytes, varints as bigints. */
function fields(b: Uint8Array): Fields {
  const out: Fields = new Map();
  const pos = { i: 0 };
  while (pos.i < b.length) {
    const key = Number(readVarint(b, pos));
    const field = key >> 3;
    const wire = key & 7;
    let v: Uint8Array | bigint;
    if (wire === 0) v = readVarint(b, pos);
    else if (wire === 2) {
      const n = Number(readVarint(b, pos));
      v = b.subarray(pos.i, pos.i + n);
      pos.i += n;
    } else if (wire === 5) {
      v = BigInt(new DataView(b.buffer, b.byteOffset + pos.i, 4).getUint32(0, true));
      pos.i += 4;
    } else throw new Error(`wire type ${wire}`);
    const l = out.get(field) ?? [];
    l.push(v);
    out.set(field, l);
  }
  return out;
}
const str = (b: Uint8Array | bigint): string => new TextDecoder().decode(b as Uint8Array);

/** ModelProto.graph (7): node (1) op_type (4), initializer (5) name (8); opset_import (8). */
function summary(model: Uint8Array): { opTypes: string[]; initializers: string[]; opset: number } {
  const m = fields(model);
  const g = fields(m.get(7)?.[0] as Uint8Array);
  const opTypes = [
    ...new Set((g.get(1) ?? []).map((n) => str(fields(n as Uint8Array).get(4)![0]))),
  ];
  const initializers = (g.get(5) ?? []).map((t) => str(fields(t as Uint8Array).get(8)![0]));
  const opset = Number(fields(m.get(8)![0] as Uint8Array).get(2)![0]);
  return { opTypes: opTypes.sort(), initializers, opset };
}

// ---------------------------------------------------------------------------------------------
// the models

/** examples/mnist/main.ts's mlp(): 784 -> 128 -> 10 */
const mlp = (): torch.nn.Module =>
  new nn.Sequential(
    new nn.Flatten(),
    new nn.Linear(28 * 28, 128),
    new nn.ReLU(),
    new nn.Linear(128, 10),
  );
/** examples/mnist/main.ts's cnn(): conv3x3 1->16, ReLU, maxpool 2, linear -> 10 */
const cnn = (): torch.nn.Module =>
  new nn.Sequential(
    new nn.Conv2d(1, 16, 3),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(16 * 13 * 13, 10),
  );
/** onnx_fx.py's gpt(): GPT(vocab 11, block 8, 2 layers, 2 heads, width 16, dropout 0.1) */
const gpt = (): torch.nn.Module =>
  new GPT({ vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0.1 });

interface Case {
  make: () => torch.nn.Module;
  input: (batch: number) => Tensor;
}
const CASES: Record<string, Case> = {
  mlp: { make: mlp, input: (b) => torch.randn(b, 1, 28, 28) },
  cnn: { make: cnn, input: (b) => torch.randn(b, 1, 28, 28) },
  gpt: { make: gpt, input: (b) => torch.randint(11, [b, 8]) },
};

function ortTensor(t: Tensor): ort.Tensor {
  const values = (t.dtype === torch.bool ? t.to(torch.uint8) : t).flatten().tolist() as number[];
  if (t.dtype === torch.int64)
    return new ort.Tensor("int64", BigInt64Array.from(values.map(BigInt)), t.shape);
  if (t.dtype === torch.bool) return new ort.Tensor("bool", Uint8Array.from(values), t.shape);
  return new ort.Tensor("float32", Float32Array.from(values), t.shape);
}

/** Export `model` on `inputs`, run it in ONNX Runtime on the same inputs, compare every output. */
async function roundTrip(
  file: string,
  model: torch.nn.Module,
  inputs: Tensor[],
  opts: Record<string, unknown> = {},
): Promise<void> {
  const path = join(dir, file);
  const inputNames = inputs.map((_, i) => `x${i}`);
  torch.onnx.export(model, inputs, path, { inputNames, ...opts });
  written.push(path);
  const session = await ort.InferenceSession.create(path);
  const feeds: Record<string, ort.Tensor> = {};
  inputs.forEach((x, i) => {
    if (session.inputNames.includes(inputNames[i])) feeds[inputNames[i]] = ortTensor(x);
  });
  const got = await session.run(feeds);
  model.eval();
  const r = torch.noGrad(() => model.call(...inputs)) as Tensor | Tensor[];
  const want = Array.isArray(r) ? r : [r];
  assert.equal(session.outputNames.length, want.length);
  want.forEach((t, k) => {
    const g = got[session.outputNames[k]];
    assert.deepEqual(g.dims, t.shape, `${file}: output ${k}'s shape`);
    const w = t.to(torch.float32).flatten().tolist() as number[];
    const d = g.data as ArrayLike<number | bigint>;
    for (let i = 0; i < w.length; i++)
      assert.ok(
        Math.abs(Number(d[i]) - w[i]) <= 1e-5,
        `${file}: output ${k}[${i}]: ${d[i]} vs ${w[i]}`,
      );
  });
}

/** A module whose forward is `fn` (one model per mapped-op group). */
class Fn extends nn.Module {
  constructor(private readonly fn: (...x: Tensor[]) => Tensor | Tensor[]) {
    super();
  }
  override forward(...x: Tensor[]): Tensor | Tensor[] {
    return this.fn(...x);
  }
}

/** tensorgrad's forward in eval mode: the first output */
function reference(m: torch.nn.Module, x: Tensor): Tensor {
  m.eval();
  const r = torch.noGrad(() => m.call(x)) as Tensor | [Tensor, unknown];
  return Array.isArray(r) ? r[0] : r;
}

const dir = mkdtempSync(join(tmpdir(), "tensorgrad-onnx-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
/** every file written, for the checker */
const written: string[] = [];

for (const [name, c] of Object.entries(CASES)) {
  for (const opset of OPSETS) {
    test(`${name} (opset ${opset}) runs in ONNX Runtime at two batch sizes with tensorgrad's outputs`, async () => {
      torch.manualSeed(0);
      const model = c.make();
      const path = join(dir, `${name}-${opset}.onnx`);
      const bytes = torch.onnx.export(model, c.input(2), path, {
        inputNames: ["x"],
        outputNames: ["y"],
        dynamicAxes: { x: { 0: "batch" }, y: { 0: "batch" } },
        opsetVersion: opset,
      });
      written.push(path);
      assert.ok(existsSync(path));
      assert.ok(model.training, "the model's mode is restored after the export");
      // PyTorch's export of the same model: the same op types (MLP, CNN) or a subset of them
      // (GPT: PyTorch slices the packed q/k/v projection where this export splits it, and
      // computes the traced sizes in the graph), and every parameter initializer it keeps
      const s = summary(bytes);
      const pt = fx.models[name][String(opset)];
      assert.equal(s.opset, opset);
      if (name === "gpt") {
        const allowed = new Set([...pt.op_types, "Split"]);
        assert.deepEqual(
          s.opTypes.filter((t) => !allowed.has(t)),
          [],
        );
        const params = new Set(model.namedParameters().map(([n]) => n));
        assert.deepEqual(
          s.initializers.filter((i) => params.has(i)).sort(),
          [...params].sort(),
          "every parameter is an initializer under its name",
        );
        for (const p of pt.param_initializers) assert.ok(s.initializers.includes(p), p);
      } else {
        assert.deepEqual(s.opTypes, pt.op_types);
        assert.deepEqual(s.initializers.slice().sort(), pt.param_initializers);
      }
      const session = await ort.InferenceSession.create(path);
      for (const batch of [2, 5]) {
        const x = c.input(batch);
        const { y } = await session.run({ x: ortTensor(x) });
        const expected = reference(model, x);
        assert.deepEqual(y.dims, expected.shape);
        const got = y.data as Float32Array;
        const want = expected.flatten().tolist() as number[];
        let maxDiff = 0;
        for (let i = 0; i < want.length; i++)
          maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
        assert.ok(maxDiff <= 1e-5, `batch ${batch}: max |ORT - tensorgrad| = ${maxDiff}`);
      }
    });
  }
}

class Cumprod extends nn.Module {
  override forward(x: Tensor): Tensor {
    return torch.cumprod(x, 1);
  }
}

test("an op without an ONNX mapping: PyTorch's error naming it, nothing written", () => {
  const path = join(dir, "cumprod.onnx");
  assert.throws(
    () => torch.onnx.export(new Cumprod(), torch.randn(2, 3), path, { opsetVersion: 14 }),
    (e: Error) => e.name === fx.unsupported.type && e.message === fx.unsupported.message,
  );
  assert.equal(existsSync(path), false);
  // the registry's ops run untraced again
  const x = torch.randn(2, 3);
  assert.deepEqual(torch.cumprod(x, 1).shape, [2, 3]);
});

test("a tensor computed below the registry is refused by the name of its node", () => {
  // F.multi_head_attention_forward calls kernels of the ops layer directly (nn.MultiheadAttention
  // is exported as a whole instead): its softmax is not a traced value
  class M extends nn.Module {
    mha = new nn.MultiheadAttention(8, 2);
    override forward(x: Tensor): Tensor {
      const m = this.mha;
      const [y] = nn.functional.multiHeadAttentionForward(
        x,
        x,
        x,
        8,
        2,
        m.in_proj_weight,
        m.in_proj_bias,
        null,
        null,
        false,
        0,
        m.out_proj.weight,
        m.out_proj.bias,
        { training: false, needWeights: false },
      );
      return y;
    }
  }
  const path = join(dir, "mha-functional.onnx");
  assert.throws(
    () => torch.onnx.export(new M(), torch.randn(3, 2, 8), path),
    (e: Error) =>
      e.name === "RuntimeError" &&
      e.message.startsWith(
        "Exporting the operator 'aten::softmax' to ONNX opset version 14 is not supported: it was computed outside the op registry",
      ),
  );
  assert.equal(existsSync(path), false);
});

test("opset versions outside 13-17 are refused as PyTorch refuses them", () => {
  assert.throws(
    () => torch.onnx.export(mlp(), torch.randn(2, 784), null, { opsetVersion: 18 }),
    (e: Error) => e.name === fx.bad_opset.type && e.message === fx.bad_opset.message,
  );
  assert.throws(
    () => torch.onnx.export(mlp(), torch.randn(2, 784), null, { opsetVersion: 12 }),
    /Unsupported ONNX opset version: 12/,
  );
});

test("PyTorch's argument order: positional after f, or by name; unknown names refused", async () => {
  torch.manualSeed(1);
  const m = new nn.Sequential(new nn.Linear(4, 3), new nn.Tanh());
  // export(model, args, f, export_params, verbose, training, input_names, output_names)
  const bytes = torch.onnx.export(
    m,
    [torch.randn(2, 4)],
    null,
    true,
    false,
    "EVAL",
    ["inp"],
    ["out"],
  );
  const file = join(dir, "positional.onnx");
  writeFileSync(file, bytes);
  const session = await ort.InferenceSession.create(file);
  assert.deepEqual(session.inputNames, ["inp"]);
  assert.deepEqual(session.outputNames, ["out"]);
  assert.throws(
    () => torch.onnx.export(m, torch.randn(2, 4), null, { inputName: ["x"] }),
    (e: Error) =>
      e.name === "TypeError" &&
      e.message === "export() got an unexpected keyword argument 'input_name'",
  );
});

test("nn layers beyond the examples: norms, pooling, activations, shapes and reductions", async () => {
  torch.manualSeed(2);
  class Net extends nn.Module {
    conv = new nn.Conv2d(3, 8, 3, { padding: 1 });
    bn = new nn.BatchNorm2d(8);
    pool = new nn.AvgPool2d(2);
    ln = new nn.LayerNorm(8);
    fc = new nn.Linear(8, 6);
    override forward(x: Tensor): Tensor {
      let h = nn.functional.leakyRelu(this.bn.call(this.conv.call(x)), 0.1);
      h = this.pool.call(h).amax(-1); // [B, 8, 4]
      h = this.ln.call(h.transpose(1, 2)); // [B, 4, 8]
      h = torch.cat([nn.functional.silu(h), h.sigmoid().mul(2).sub(1)], 1); // [B, 8, 8]
      const y = this.fc.call(h).logSoftmax(-1); // [B, 8, 6]
      return y
        .permute(0, 2, 1)
        .reshape(y.shape[0], -1)
        .mean(1, true)
        .add(y.sum([1, 2]).unsqueeze(1));
    }
  }
  const m = new Net();
  // running statistics that are not the defaults
  m.train();
  torch.noGrad(() => m.call(torch.randn(4, 3, 8, 8)));
  const path = join(dir, "net.onnx");
  torch.onnx.export(m, torch.randn(2, 3, 8, 8), path, {
    inputNames: ["x"],
    outputNames: ["y"],
    dynamicAxes: { x: [0], y: [0] },
  });
  written.push(path);
  const session = await ort.InferenceSession.create(path);
  for (const batch of [2, 3]) {
    const x = torch.randn(batch, 3, 8, 8);
    const { y } = await session.run({ x: ortTensor(x) });
    const want = reference(m, x).flatten().tolist() as number[];
    const got = y.data as Float32Array;
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-5, `${i}`);
  }
});

const F = nn.functional;
const idx = torch.tensor(
  [
    [0, 2],
    [1, 1],
    [3, 0],
  ],
  { dtype: torch.int64 },
);
/** one model per group of mapped ops: [name, forward, inputs, lowest opset] */
const OP_CASES: [string, (...x: Tensor[]) => Tensor | Tensor[], () => Tensor[], number][] = [
  ["gelu tanh", (x) => F.gelu(x, { approximate: "tanh" }), () => [torch.randn(2, 5)], 13],
  ["softmax, logSoftmax", (x) => x.softmax(1).add(x.logSoftmax(0)), () => [torch.randn(3, 4)], 13],
  [
    "arithmetic and unary math",
    (x, y) =>
      x
        .mul(y)
        .sub(y.div(2))
        .add(x.pow(2))
        .add(x.exp().log())
        .add(x.abs().sqrt())
        .add(x.neg().tanh())
        .add(x.sigmoid().rsqrt()),
    () => [torch.randn(3, 4), torch.randn(4)],
    13,
  ],
  [
    "clamp, hardtanh, relu6",
    (x) => x.clamp(-0.5, 0.5).add(F.hardtanh(x)).add(F.relu6(x)).add(x.clampMin(0.1)),
    () => [torch.randn(3, 4)],
    13,
  ],
  [
    "comparisons, where, maskedFill",
    (x, y) =>
      torch
        .where(x.gt(y), x, y)
        .add(x.maskedFill(x.lt(0), 0))
        .add(x.eq(y).float()),
    () => [torch.randn(3, 4), torch.randn(3, 4)],
    13,
  ],
  [
    "narrow, select, expand, cat, t",
    (x) =>
      torch
        .cat([x.narrow(1, 1, 2), x.select(0, 1).unsqueeze(0).expand(3, 4).narrow(1, 0, 2)], 0)
        .t(),
    () => [torch.randn(3, 4)],
    13,
  ],
  [
    "chunk, stack, squeeze, split, unbind",
    (x) => {
      const [a, b] = x.chunk(2, 1);
      const [c, d] = x.split([1, 3], 1);
      const rows = x.unbind(0);
      return torch
        .stack([a, b], 0)
        .squeeze()
        .sum(0)
        .add(c.add(d.sum(1, true)).sum(1, true))
        .add(rows[2].narrow(0, 0, 2));
    },
    () => [torch.randn(3, 4)],
    13,
  ],
  [
    "sum, mean, amax, max.dim, argmax",
    (x) => x.sum(1).add(x.mean(1)).add(x.amax(1)).add(x.max(1).values).add(x.argmax(1).float()),
    () => [torch.randn(3, 4)],
    13,
  ],
  [
    "reductions over all",
    (x) => x.sum().add(x.mean()).add(x.max()).unsqueeze(0),
    () => [torch.randn(3, 4)],
    13,
  ],
  [
    "cumsum, gather, indexSelect",
    (x, i) =>
      x
        .cumsum(1)
        .narrow(1, 0, 2)
        .mul(x.gather(1, i))
        .add(x.indexSelect(1, i.select(0, 0))),
    () => [torch.randn(3, 4), idx],
    13,
  ],
  [
    "pad, tril, triu",
    (x) =>
      F.pad(x, [1, 2])
        .tril()
        .add(F.pad(x, [1, 2]).triu(1)),
    () => [torch.randn(3, 4)],
    14,
  ],
  [
    "activations",
    (x) =>
      F.elu(x)
        .add(F.selu(x))
        .add(F.softplus(x))
        .add(F.silu(x))
        .add(F.mish(x))
        .add(F.leakyRelu(x, 0.2))
        .add(F.hardsigmoid(x))
        .add(F.hardswish(x))
        .add(F.logsigmoid(x)),
    () => [torch.randn(3, 4)],
    13,
  ],
  [
    "matmul, mm, addmm, bmm, baddbmm",
    (a, b, c, d) =>
      a
        .matmul(b)
        .add(torch.mm(a, b))
        .add(torch.addmm(torch.ones(3, 5), a, b, { beta: 0.5, alpha: 2 }))
        .add(
          torch
            .bmm(c, d)
            .add(torch.baddbmm(torch.ones(2, 3, 5), c, d, { alpha: 0.5 }))
            .sum(0),
        ),
    () => [torch.randn(3, 4), torch.randn(4, 5), torch.randn(2, 3, 4), torch.randn(2, 4, 5)],
    13,
  ],
  [
    "permute, reshape, view, flatten",
    (x) => x.permute(2, 0, 1).reshape(4, -1).view(2, 2, 6).flatten(0, 1),
    () => [torch.randn(2, 3, 4)],
    13,
  ],
  [
    "in-place ops",
    (x) => {
      const y = x.mul(2);
      y.add_(1);
      y.relu_();
      return y;
    },
    () => [torch.randn(3, 4)],
    13,
  ],
  [
    "adaptive and average pooling",
    (x) =>
      F.adaptiveAvgPool2d(x, 1)
        .flatten(1)
        .add(F.adaptiveAvgPool2d(x, 2).flatten(1).sum(1, true))
        .add(F.avgPool2d(x, 2).flatten(1).sum(1, true)),
    () => [torch.randn(2, 3, 4, 4)],
    13,
  ],
];

for (const [name, fn, inputs, lowest] of OP_CASES) {
  test(`mapped ops in ONNX Runtime: ${name}`, async () => {
    torch.manualSeed(4);
    const xs = inputs();
    for (const opset of [lowest, 17])
      await roundTrip(`${name.replace(/\W+/g, "-")}-${opset}.onnx`, new Fn(fn), xs, {
        opsetVersion: opset,
      });
  });
}

test("an op whose ONNX form needs a newer opset: PyTorch's error naming the opset", () => {
  assert.throws(
    () => torch.onnx.export(new Fn((x) => x.tril()), torch.randn(3, 3), null, { opsetVersion: 13 }),
    (e: Error) => e.name === fx.newer_opset.type && e.message === fx.newer_opset.message,
  );
});

class Attention extends nn.Module {
  mha: torch.nn.MultiheadAttention;
  constructor(
    batchFirst: boolean,
    private readonly mode: "padding" | "float mask" | "bool masks",
  ) {
    super();
    this.mha = new nn.MultiheadAttention(8, 2, { batchFirst });
  }
  override forward(q: Tensor, kv: Tensor, kpm: Tensor, mask: Tensor): Tensor[] {
    const o =
      this.mode === "padding"
        ? { keyPaddingMask: kpm }
        : this.mode === "float mask"
          ? { attnMask: mask, averageAttnWeights: false }
          : { attnMask: mask.gt(0.5), keyPaddingMask: kpm };
    const [y, w] = this.mha.call(q, kv, kv, o);
    return [y, w as Tensor];
  }
}

for (const batchFirst of [true, false]) {
  test(`nn.MultiheadAttention (batchFirst ${batchFirst}): masks, weights, cross-attention`, async () => {
    torch.manualSeed(3);
    const [N, L, S] = [2, 3, 4];
    const q = batchFirst ? torch.randn(N, L, 8) : torch.randn(L, N, 8);
    const kv = batchFirst ? torch.randn(N, S, 8) : torch.randn(S, N, 8);
    const kpm = torch.tensor([
      [false, false, true, false],
      [false, true, false, false],
    ]);
    for (const mode of ["padding", "float mask", "bool masks"] as const) {
      const mask = mode === "float mask" ? torch.randn(N * 2, L, S) : torch.rand(L, S);
      await roundTrip(
        `mha-${batchFirst}-${mode.replace(" ", "-")}.onnx`,
        new Attention(batchFirst, mode),
        [q, kv, kpm, mask],
      );
    }
  });
}

/** Debian's python3-onnx, when installed (.ci/run installs it) */
function onnxChecker(): string | null {
  for (const py of ["/usr/bin/python3", "python3"]) {
    try {
      execFileSync(py, ["-c", "import onnx"], { stdio: "ignore" });
      return py;
    } catch {
      // not this interpreter
    }
  }
  return null;
}
const checker = onnxChecker();

test(
  "every exported file passes ONNX's checker (full_check: shape inference too)",
  {
    skip: checker === null ? "python3-onnx is not installed (apt-get install python3-onnx)" : false,
  },
  () => {
    assert.ok(written.length > Object.keys(CASES).length * OPSETS.length);
    const script = [
      "import sys, onnx",
      "for p in sys.argv[1:]:",
      "    onnx.checker.check_model(onnx.load(p), full_check=True)",
      "print(len(sys.argv) - 1)",
    ].join("\n");
    const out = execFileSync(checker as string, ["-c", script, ...written], { encoding: "utf8" });
    assert.equal(out.trim(), String(written.length));
  },
);
