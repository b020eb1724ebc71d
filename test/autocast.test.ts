/**
 * Automatic mixed precision against CPU-only PyTorch 1.13 (test/fixtures/autocast.json, from
 * scripts/fixtures/autocast_fx.py): each op_db sample's output dtypes under
 * torch.autocast("cpu") for float32 and bfloat16 inputs (the cast policies), hand-written calls
 * with their values, graphs and gradients, the cast cache, the region API's states, warnings
 * and errors, and torch.cuda.amp.GradScaler without CUDA.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import * as torch from "../src/index.js";
import { Tensor, type DType } from "../src/index.js";
import type { Node } from "../src/autograd/node.js";
import { AUTOCAST_CPU_POLICY, TENSORGRAD_FORMS } from "../src/registry/autocast.js";
import { vmapState } from "../src/registry/batching.js";
import { resetAmpWarnings } from "../src/amp.js";

import { readFixture, type Err } from "./helpers/fixtures.js";
import {
  DTYPES,
  callArgs,
  close,
  expectError,
  flat,
  functionOf,
  makeTensor,
  tolerance,
  type Call,
  type Op,
  type TRec,
} from "./helpers/opdb.js";

interface PolicyRec {
  name: string;
  variant_test_name: string;
  section: Op["section"];
  call: Call;
  f32: string[] | Err;
  bf16: string[] | Err;
}
type Graph = null | [string, Graph[]];
interface CaseRec {
  name: string;
  tensors: TRec[];
  out?: TRec & { grad_fn: string | null };
  graph?: Graph;
  grads?: (TRec | null)[] | null;
  error: Err | null;
}
interface State {
  cpu_enabled: boolean;
  cpu_dtype: string;
  gpu_enabled: boolean;
  gpu_dtype: string;
  cache_enabled: boolean;
  mm_dtype: string;
}
interface ApiRec {
  name: string;
  kind: "autocast" | "cpu" | "cuda";
  kwargs: Record<string, string | boolean>;
  warnings: string[];
  states?: Record<string, State>;
  error: Err | null;
  enter_error?: Err | null;
}
interface ScalerRec {
  name: string;
  warnings: string[];
  scale_same: boolean;
  scale_list_same: boolean;
  unscale: null;
  step: null;
  param_after_step: number[];
  update: null;
  update_new_scale: null;
  get_scale: number;
  is_enabled: boolean;
  state_dict: Record<string, number>;
  load_state_dict: null;
  getters: Record<string, { value: number } | { error: Err }>;
  after_set: number[];
  step_closure: { calls: number; result: number };
}
interface ModuleRec {
  name: string;
  state: Record<string, TRec>;
  inputs: TRec[];
  outputs: (TRec & { grad_fn: string | null })[];
  grads: Record<string, TRec | null>;
}
interface CustomRec {
  name: string;
  cast_inputs: string | null;
  gpu_flag: boolean;
  used: boolean;
  fwd_seen: boolean;
  bwd_seen: boolean;
  warnings: string[];
  grad: number[];
}
interface TrainingRec {
  init: Record<string, TRec>;
  x: TRec;
  y: number[];
  warnings: string[];
  losses: number[];
  dtypes: string[][];
  final: Record<string, TRec>;
}
interface Fixture {
  arg_errors: Record<string, Err>;
  custom: CustomRec[];
  training: TrainingRec;
  modules: ModuleRec[];
  registrations: string[];
  policy: PolicyRec[];
  cases: CaseRec[];
  cache: Record<string, boolean>;
  api: ApiRec[];
  scaler: ScalerRec[];
}

const fx = readFixture<Fixture>("autocast.json");

/** console.warn's messages while fn runs (the "UserWarning: " prefix dropped). */
function warnings<T>(fn: () => T): { result?: T; error?: unknown; warned: string[] } {
  const warned: string[] = [];
  resetAmpWarnings(); // the fixture shows every warning (simplefilter("always"))
  const orig = console.warn;
  console.warn = (...a: unknown[]) => void warned.push(String(a[0]).replace(/^UserWarning: /, ""));
  try {
    return { result: fn(), warned };
  } catch (error) {
    return { error, warned };
  } finally {
    console.warn = orig;
  }
}

const dtypeByName = (s: string): DType => DTYPES[s.replace("torch.", "")];

function outDtypes(v: unknown): string[] {
  if (v instanceof Tensor) return [v.dtype.name];
  if (Array.isArray(v)) return v.flatMap(outDtypes);
  if (v !== null && typeof v === "object")
    return Object.keys(v)
      .filter((k) => /^\d+$/.test(k))
      .flatMap((k) => outDtypes((v as Record<string, unknown>)[k]));
  return [];
}

// ---------------------------------------------------------------------------------------------

describe("autocast: the CPU policy table is PyTorch's AutocastCPU registrations", () => {
  it("every policy entry is a registration (or one of tensorgrad's forms)", () => {
    const regs = new Set(fx.registrations);
    const extra = [...AUTOCAST_CPU_POLICY.keys()].filter(
      (k) => !regs.has(k) && !TENSORGRAD_FORMS.has(k),
    );
    assert.deepEqual(extra, []);
  });
  it("every registration has a policy, but cat (whose 1.13 kernel casts nothing)", () => {
    const missing = fx.registrations.filter((r) => !AUTOCAST_CPU_POLICY.has(r));
    assert.deepEqual(missing, ["cat"]);
  });
});

/**
 * Samples whose dtypes differ for reasons outside autocast: PyTorch casts inside a Python
 * composite (its internal mm runs in bfloat16) where tensorgrad's op is one kernel, or
 * tensorgrad's op is composed of policy ops where PyTorch's is one kernel. Each was checked.
 */
const KNOWN: Record<string, string> = {};

describe("autocast: output dtypes of op_db samples under torch.autocast('cpu')", () => {
  const mismatches: string[] = [];
  let checked = 0;
  for (const r of fx.policy) {
    const op = { ...r, autograd: false, variants: ["function"], samples: [], errors: [] } as Op;
    const fn = functionOf(op);
    if (fn === null) continue;
    const id = r.variant_test_name ? `${r.name}.${r.variant_test_name}` : r.name;
    const run = (bf16: boolean): string[] | "error" => {
      const tensors = r.call.tensors.map(makeTensor).map((t) => {
        const d = t.detach();
        return bf16 && d.dtype === torch.float32 ? d.to(torch.bfloat16) : d;
      });
      const args = callArgs(r.call, "kwargs", tensors);
      torch.manualSeed(r.call.seed);
      try {
        return outDtypes(torch.autocast("cpu", () => fn(...args)));
      } catch {
        return "error";
      }
    };
    // a sample tensorgrad refuses outside autocast says nothing about autocast
    try {
      const tensors = r.call.tensors.map(makeTensor);
      torch.manualSeed(r.call.seed);
      const plain = warnings(() => fn(...callArgs(r.call, "kwargs", tensors)));
      if (plain.error !== undefined) continue;
    } catch {
      continue;
    }
    checked++;
    for (const [which, expected] of [
      ["f32", r.f32],
      ["bf16", r.bf16],
    ] as const) {
      if (!Array.isArray(expected)) continue;
      const got = warnings(() => run(which === "bf16")).result;
      if (got === "error" && which === "bf16") continue; // a bfloat16 kernel tensorgrad lacks
      if (JSON.stringify(got) !== JSON.stringify(expected))
        mismatches.push(`${id} ${which}: ${JSON.stringify(got)} vs ${JSON.stringify(expected)}`);
    }
  }
  it(`matches PyTorch (${fx.policy.length} samples)`, () => {
    assert.ok(checked > 300, `only ${checked} samples ran`);
    const unexpected = mismatches.filter((m) => !(m.split(" ")[0] in KNOWN));
    assert.deepEqual(unexpected, []);
  });
});

// ---------------------------------------------------------------------------------------------

/**
 * The graph below a node, three levels deep as the fixture's. tensorgrad's half types compute
 * in float32 (Note [half compute]): a bfloat16 op X records X over the float32 X, whose inputs
 * are ToCopyBackward0 upcasts of the bfloat16 ones; that pattern is read as PyTorch's single X
 * over the bfloat16 inputs.
 */
function graphOf(node: Node | null, depth = 3): Graph {
  if (node === null) return null;
  let kids = node.nextFunctions.map(([n]) => n);
  if (kids.length === 1 && kids[0] !== null && kids[0].name() === node.name())
    kids = kids[0].nextFunctions.map(([n]) =>
      n !== null && n.name() === "ToCopyBackward0" ? n.nextFunctions[0][0] : n,
    );
  return [node.name(), depth > 0 ? kids.map((n) => graphOf(n, depth - 1)) : []];
}

/**
 * Values within bfloat16's tolerance (a float32 result computed from bfloat16 ones too), or,
 * with `exact`, the tolerance of their own dtype (a computation autocast must not touch).
 */
function checkValues(
  t: Tensor,
  r: TRec,
  what: string,
  grad: boolean,
  exact = false,
  loose = 1,
): void {
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  const tol = exact ? tolerance(r.dtype, grad) : tolerance("bfloat16", grad);
  const rtol = tol.rtol * loose;
  const atol = tol.atol;
  const got = flat(t);
  const want = (r.values as number[]).map(Number);
  const slack = exact ? 1 : 100;
  got.forEach((x, i) =>
    assert.ok(close(x, want[i], rtol, atol * slack), `${what}[${i}]: ${x} vs ${want[i]}`),
  );
}

/**
 * PyTorch's bfloat16 baddbmm rounds inside its loop: its result differs from the float32 one
 * rounded once (tensorgrad's, Note [half compute]) by up to 4 bfloat16 ulps.
 */
const LOOSE: Record<string, number> = { baddbmm: 4 };

/** Cases that compute in their inputs' dtype under autocast: compared at that dtype's tolerance. */
const EXACT = new Set(["mm_out", "addmm_inplace", "disabled_inner", "mm_float64", "mm_int"]);

/**
 * Cases whose graph differs from PyTorch's outside autocast too (their values, dtypes, nodes
 * and gradients are still compared): tensorgrad's ops on mixed float dtypes record a
 * ToCopyBackward0 for the operand they promote, where PyTorch's TensorIterator casts without a
 * node (cat, add); `a[:, :2]` is one SliceBackward0 here, two in PyTorch; IndexCopyBackward0
 * lists the index among its inputs (a null edge); the recurrent cells project with matmul and
 * add (MmBackward0, AddBackward0) where PyTorch's at::linear records AddmmBackward0.
 */
const KNOWN_GRAPH: Record<string, string> = {
  cat_mixed: "cat promotes bfloat16 to float32 with a ToCopyBackward0",
  cat_bf16_f16: "cat promotes to float32 with a ToCopyBackward0 per operand",
  add_mixed: "add promotes with a ToCopyBackward0; one SliceBackward0 for a[:, :2]",
  index_copy_mixed: "IndexCopyBackward0 has an edge for the index",
  rnn_tanh_cell: "the cells' projections are matmul + add, PyTorch's at::linear an addmm",
  gru_cell: "the cells' projections are matmul + add, PyTorch's at::linear an addmm",
};

describe("autocast: calls under torch.autocast('cpu') (values, graph, gradients)", () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const ts = c.tensors.map(makeTensor);
      const call = CASE_CALLS[c.name];
      assert.ok(call !== undefined, `no call for ${c.name}`);
      if (c.error !== null) {
        expectError(() => torch.autocast("cpu", () => call(...ts)), c.error);
        assert.equal(torch.isAutocastCpuEnabled(), false);
        return;
      }
      const out = torch.autocast("cpu", () => call(...ts));
      assert.equal(torch.isAutocastCpuEnabled(), false);
      assert.equal(vmapState.depth, 0);
      checkValues(out, c.out!, "out", false, EXACT.has(c.name), LOOSE[c.name] ?? 1);
      assert.equal(out.gradFn?.name() ?? null, c.out!.grad_fn);
      if (!(c.name in KNOWN_GRAPH)) assert.deepEqual(graphOf(out.gradFn), c.graph);
      if (c.grads == null) return;
      const wrt = ts.filter((t) => t.requiresGrad);
      const grads = torch.autograd.grad([out], wrt, {
        gradOutputs: [torch.onesLike(out)],
        allowUnused: true,
      });
      let k = 0;
      c.grads.forEach((g, i) => {
        if (g === null) return;
        const got = grads[k++];
        assert.ok(got !== null, `grad ${i}`);
        checkValues(got, g, `grad ${i}`, true, EXACT.has(c.name), LOOSE[c.name] ?? 1);
      });
    });
  }
});

const F = torch.nn.functional;
const CASE_CALLS: Record<string, (...t: Tensor[]) => Tensor> = {
  mm: (a, b) => torch.mm(a, b),
  matmul_3d: (a, b) => torch.matmul(a, b),
  bmm: (a, b) => torch.bmm(a, b),
  linear_bias: (x, w, b) => F.linear(x, w, b),
  linear_nobias: (x, w) => F.linear(x, w),
  addmm: (c, a, b) => torch.addmm(c, a, b),
  conv2d: (x, w, b) => F.conv2d(x, w, b, { padding: 1 }),
  conv1d: (x, w) => F.conv1d(x, w),
  mm_bf16_f32: (a, b) => torch.mm(a, b),
  mm_float64: (a, b) => torch.mm(a, b),
  mse_bf16: (a, b) => F.mseLoss(a, b),
  cross_entropy_bf16: (a) => F.crossEntropy(a, torch.tensor([0, 3, 1], { dtype: torch.int64 })),
  prod_bf16: (a) => torch.prod(a),
  cat_mixed: (a, b) => torch.cat([a, b]),
  cat_bf16: (a, b) => torch.cat([a, b]),
  stack_mixed: (a, b) => torch.stack([a, b]),
  index_copy_mixed: (a, src) =>
    torch.indexCopy(a, 0, torch.tensor([1], { dtype: torch.int64 }), src),
  cat_bf16_f16: (a, b) => torch.cat([a, b]),
  stack_bf16_f16: (a, b) => torch.stack([a, b]),
  mm_int: (a, b) => torch.mm(a, b),
  baddbmm: (c, a, b) => torch.baddbmm(c, a, b, { beta: 0.5, alpha: 2.0 }),
  addbmm: (c, a, b) => torch.addbmm(c, a, b),
  conv3d: (x, w) => F.conv3d(x, w),
  conv_tbc: (x, w, b) => torch.convTbc(x, w, b),
  conv_transpose1d_bf16: (x, w) => F.convTranspose1d(x, w),
  cdist_bf16: (a, b) => torch.cdist(a, b),
  pad_reflect_bf16: (x) => F.pad(x, [1, 2], "reflect"),
  pad_constant_bf16: (x) => F.pad(x, [1, 2]),
  rnn_tanh_cell: (x, h, wi, wh, bi, bh) => torch.rnnTanhCell(x, h, wi, wh, bi, bh),
  gru_cell: (x, h, wi, wh) => torch.gruCell(x, h, wi, wh),
  mm_out: (a, b) => torch.mm(a, b, { out: torch.empty(2, 2) }),
  addmm_inplace: (c, a, b) => c.clone().addmm_(a, b),
  relu_after_mm: (a, b) => torch.relu(a.matmul(b)),
  add_mixed: (a, b) => torch.mm(a, b.t()).add(a.index(torch.slice(), torch.slice(null, 2))),
  disabled_inner: (a, b) => torch.autocast("cpu", { enabled: false }, () => torch.mm(a, b)),
  softmax_after_mm: (a, b) => torch.softmax(torch.mm(a, b), 1),
  mlp: (x, w1, b1, w2) =>
    F.mseLoss(F.linear(torch.relu(F.linear(x, w1, b1)), w2), torch.zeros(3, 2)),
};

// ---------------------------------------------------------------------------------------------

const nn = torch.nn;
/** A module's call with the fixture's inputs (each module's own signature, bound loosely). */
type Callable = torch.nn.Module & { call(...xs: never[]): unknown };
const MODULES: Record<string, () => Callable> = {
  linear: () => new nn.Linear(4, 3),
  conv2d: () => new nn.Conv2d(2, 3, 3, { padding: 1 }),
  conv_transpose2d: () => new nn.ConvTranspose2d(2, 3, 3),
  conv_transpose2d_bf16: () => new nn.ConvTranspose2d(2, 3, 3),
  rnn: () => new nn.RNN(4, 3),
  rnn_relu_2layers: () => new nn.RNN(4, 3, 2, { nonlinearity: "relu" }),
  lstm: () => new nn.LSTM(4, 3, { batchFirst: true }),
  gru: () => new nn.GRU(4, 3),
  rnn_cell: () => new nn.RNNCell(4, 3),
  gru_cell: () => new nn.GRUCell(4, 3),
  lstm_cell: () => new nn.LSTMCell(4, 3),
  mha: () => new nn.MultiheadAttention(4, 2),
  transformer_encoder_layer: () => new nn.TransformerEncoderLayer(4, 2, 8, { dropout: 0 }),
  embedding: () => new nn.Embedding(5, 4),
  bilinear: () => new nn.Bilinear(2, 3, 4),
  mlp: () =>
    new nn.Sequential(
      new nn.Linear(4, 8),
      new nn.ReLU(),
      new nn.Linear(8, 2),
      new nn.LogSoftmax(1),
    ),
};

/** Output nodes that differ from PyTorch's outside autocast too (the values still compare). */
const KNOWN_NODES: Record<string, string> = {};

function flatOutputs(v: unknown): Tensor[] {
  if (v instanceof Tensor) return [v];
  if (Array.isArray(v)) return v.flatMap(flatOutputs);
  return [];
}

describe("autocast: nn modules under torch.autocast('cpu')", () => {
  for (const r of fx.modules) {
    it(r.name, () => {
      const m = MODULES[r.name]();
      const state = Object.fromEntries(Object.entries(r.state).map(([k, v]) => [k, makeTensor(v)]));
      m.loadStateDict(state);
      const xs = r.inputs.map(makeTensor);
      const call = m.call.bind(m) as (...a: Tensor[]) => unknown;
      const outs = flatOutputs(torch.autocast("cpu", () => call(...xs)));
      assert.equal(outs.length, r.outputs.length);
      outs.forEach((t, i) => {
        checkValues(t, r.outputs[i], `output ${i}`, true);
        if (!(r.name in KNOWN_NODES))
          assert.equal(t.gradFn?.name() ?? null, r.outputs[i].grad_fn, `output ${i} node`);
      });
      const diff = outs.filter((t) => t.requiresGrad);
      if (diff.length === 0) return;
      const loss = diff.map((t) => t.float().sum()).reduce((a, b) => a.add(b));
      const named = [...m.namedParameters()];
      const grads = torch.autograd.grad(
        [loss],
        named.map(([, p]) => p),
        { allowUnused: true },
      );
      named.forEach(([k], i) => {
        const want = r.grads[k];
        const got = grads[i];
        if (want === null) assert.equal(got, null, k);
        else checkValues(got!, want, `grad ${k}`, true);
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------

describe("autocast: the cast cache", () => {
  const castNode = (y: Tensor): Node | null => y.gradFn!.nextFunctions[1][0];
  const shares = (cacheEnabled: boolean, make: (w: Tensor) => Tensor = (w) => w): boolean => {
    const w = make(torch.randn(3, 3, { requiresGrad: true }));
    const [y1, y2] = torch.autocast("cpu", { cacheEnabled }, () => [
      torch.mm(torch.randn(2, 3), w),
      torch.mm(torch.randn(2, 3), w),
    ]);
    const n1 = castNode(y1);
    return n1 !== null && n1 === castNode(y2);
  };
  const cases: Record<string, () => boolean> = {
    leaf_param: () => shares(true),
    cache_disabled: () => shares(false),
    non_leaf: () => shares(true, (w) => w.mul(1)),
    leaf_view: () => shares(true, (w) => w.index(torch.slice(), torch.slice())),
    across_regions: () => {
      const w = torch.randn(3, 3, { requiresGrad: true });
      const y1 = torch.autocast("cpu", () => torch.mm(torch.randn(2, 3), w));
      const y2 = torch.autocast("cpu", () => torch.mm(torch.randn(2, 3), w));
      return castNode(y1) === castNode(y2);
    },
    nested: () => {
      const w = torch.randn(3, 3, { requiresGrad: true });
      const [y1, y2] = torch.autocast("cpu", () => [
        torch.autocast("cpu", () => torch.mm(torch.randn(2, 3), w)),
        torch.mm(torch.randn(2, 3), w),
      ]);
      return castNode(y1) === castNode(y2);
    },
  };
  for (const [name, expected] of Object.entries(fx.cache)) {
    it(name, () => assert.equal(cases[name](), expected));
  }
});

// ---------------------------------------------------------------------------------------------

function state(): State {
  return {
    cpu_enabled: torch.isAutocastCpuEnabled(),
    cpu_dtype: String(torch.getAutocastCpuDtype()),
    gpu_enabled: torch.isAutocastEnabled(),
    gpu_dtype: String(torch.getAutocastGpuDtype()),
    cache_enabled: torch.isAutocastCacheEnabled(),
    mm_dtype: String(torch.mm(torch.ones(2, 2), torch.ones(2, 2)).dtype),
  };
}

describe("autocast: regions (states, warnings, errors)", () => {
  for (const a of fx.api) {
    const opts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(a.kwargs)) {
      if (k === "device_type") continue;
      const key = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      opts[key] = typeof v === "string" && v.startsWith("torch.") ? dtypeByName(v) : v;
    }
    const device = String(a.kwargs.device_type);
    const make = (): torch.AutocastMode =>
      a.kind === "autocast"
        ? new torch.AutocastMode(device, opts)
        : ((a.kind === "cpu" ? torch.cpu.amp.autocast(opts) : torch.cuda.amp.autocast(opts)).exit(),
          a.kind === "cpu"
            ? new torch.AutocastMode("cpu", {
                enabled: (opts.enabled as boolean | undefined) ?? true,
                dtype: (opts.dtype as DType | undefined) ?? torch.bfloat16,
                cacheEnabled: (opts.cacheEnabled as boolean | undefined) ?? true,
              })
            : new torch.AutocastMode("cuda", {
                enabled: (opts.enabled as boolean | undefined) ?? true,
                dtype: (opts.dtype as DType | undefined) ?? torch.float16,
                cacheEnabled: (opts.cacheEnabled as boolean | undefined) ?? true,
              }));

    it(`${a.name}: the device forms`, () => {
      // torch.autocast / torch.cpu.amp.autocast / torch.cuda.amp.autocast as called
      const states: Record<string, State> = {};
      const w = warnings(() => {
        states.before = state();
        const body = (): void => {
          states.inside = state();
          torch.autocast("cpu", { enabled: false }, () => void (states.nested_off = state()));
        };
        if (a.kind === "autocast") torch.autocast(device, opts, body);
        else if (a.kind === "cpu") torch.cpu.amp.autocast(opts, body);
        else torch.cuda.amp.autocast(opts, body);
      });
      states.after = state();
      assert.deepEqual(w.warned, a.warnings);
      const err = a.error ?? a.enter_error ?? null;
      if (err !== null) {
        expectError(() => {
          if (w.error !== undefined) throw w.error;
        }, err);
        if (a.error === null) assert.deepEqual(states, a.states);
        torch.setAutocastCpuEnabled(false);
        return;
      }
      assert.equal(w.error, undefined);
      assert.deepEqual(states, a.states);
    });

    it(`${a.name}: the guard form`, () => {
      if (a.error !== null || (a.enter_error ?? null) !== null) return;
      const w = warnings(() => {
        const m = make();
        m.enter();
        const inside = state();
        m.exit();
        return inside;
      });
      assert.deepEqual(w.result, a.states!.inside);
      assert.deepEqual(state(), a.states!.after);
    });
  }

  it("positional arguments in PyTorch's order", () => {
    const s = torch.autocast("cpu", torch.bfloat16, true, false, () => state());
    assert.equal(s.cache_enabled, false);
    assert.equal(s.mm_dtype, "torch.bfloat16");
    const g = torch.cpu.amp.autocast(false);
    assert.equal(torch.isAutocastCpuEnabled(), false);
    g.exit();
  });

  it("`using` and exit() restore the state, also after a throw", () => {
    {
      using _region = torch.autocast("cpu");
      assert.equal(torch.isAutocastCpuEnabled(), true);
    }
    assert.equal(torch.isAutocastCpuEnabled(), false);
    assert.throws(() =>
      torch.autocast("cpu", () => {
        throw new Error("boom");
      }),
    );
    assert.equal(torch.isAutocastCpuEnabled(), false);
    assert.equal(vmapState.depth, 0);
  });

  it("an async function keeps the region until it settles", async () => {
    const p = torch.autocast("cpu", async () => {
      await Promise.resolve();
      return torch.mm(torch.ones(1, 1), torch.ones(1, 1)).dtype;
    });
    assert.equal(await p, torch.bfloat16);
    assert.equal(torch.isAutocastCpuEnabled(), false);
  });

  it("setAutocastCpuEnabled and the wrapper form", () => {
    torch.setAutocastCpuEnabled(true);
    assert.equal(torch.mm(torch.ones(1, 1), torch.ones(1, 1)).dtype, torch.bfloat16);
    torch.setAutocastCpuEnabled(false);
    assert.equal(vmapState.depth, 0);
    const f = new torch.AutocastMode("cpu").wrap((x: Tensor) => torch.mm(x, x).dtype);
    assert.equal(f(torch.ones(1, 1)), torch.bfloat16);
  });

  it("nn.Linear under autocast", () => {
    const lin = new torch.nn.Linear(4, 3);
    const y = torch.autocast("cpu", () => lin.call(torch.randn(2, 4)));
    assert.equal(y.dtype, torch.bfloat16);
    assert.equal(y.gradFn?.name(), "AddmmBackward0");
  });
});

// ---------------------------------------------------------------------------------------------

describe("torch.cuda.amp.GradScaler without CUDA", () => {
  const makers: Record<string, () => torch.GradScaler> = {
    default: () => new torch.cuda.amp.GradScaler(),
    disabled: () => new torch.cuda.amp.GradScaler({ enabled: false }),
    positional: () => new torch.cuda.amp.GradScaler(1024.0, 3.0, 0.25, 10),
    bad_factors: () => new torch.cuda.amp.GradScaler({ growthFactor: 0.5, backoffFactor: 2.0 }),
  };
  for (const r of fx.scaler) {
    it(r.name, () => {
      const w = warnings(makers[r.name]);
      assert.deepEqual(w.warned, r.warnings);
      const s = w.result!;
      const p = new torch.nn.Parameter(torch.tensor([1.0, 2.0]));
      const opt = new torch.optim.SGD([p], { lr: 0.5 });
      const loss = p.mul(p).sum();
      const scaled = s.scale(loss);
      assert.equal(scaled === loss, r.scale_same);
      const lst = [loss, loss.mul(2)];
      assert.equal(s.scale(lst) === lst, r.scale_list_same);
      scaled.backward();
      assert.equal(s.unscale_(opt) ?? null, r.unscale);
      assert.equal(s.step(opt) ?? null, r.step);
      assert.deepEqual(p.detach().tolist(), r.param_after_step);
      assert.equal(s.update() ?? null, r.update);
      assert.equal(s.update(4.0) ?? null, r.update_new_scale);
      assert.equal(s.getScale(), r.get_scale);
      assert.equal(s.isEnabled(), r.is_enabled);
      assert.deepEqual(s.stateDict(), r.state_dict);
      assert.equal(s.loadStateDict({}) ?? null, r.load_state_dict);
      const getters: Record<string, () => number> = {
        get_growth_factor: () => s.getGrowthFactor(),
        get_backoff_factor: () => s.getBackoffFactor(),
        get_growth_interval: () => s.getGrowthInterval(),
      };
      for (const [g, rec] of Object.entries(r.getters)) {
        if ("error" in rec) expectError(getters[g], rec.error);
        else assert.equal(getters[g](), rec.value);
      }
      s.setGrowthFactor(3.0);
      s.setBackoffFactor(0.25);
      s.setGrowthInterval(7);
      assert.deepEqual(
        [s.getGrowthFactor(), s.getBackoffFactor(), s.getGrowthInterval()],
        r.after_set,
      );
      let calls = 0;
      const out = s.step(opt, () => {
        calls++;
        return torch.tensor(5.0);
      });
      assert.equal(calls, r.step_closure.calls);
      assert.equal((out as Tensor).item(), r.step_closure.result);
    });
  }
});

// ---------------------------------------------------------------------------------------------

describe("torch.cuda.amp.customFwd / customBwd without CUDA", () => {
  for (const r of fx.custom) {
    it(r.name, () => {
      const seen: Record<string, boolean> = {};
      const castInputs = r.cast_inputs === null ? null : dtypeByName(r.cast_inputs);
      const fwd = (_ctx: object, x: Tensor): Tensor => {
        seen.fwd = torch.isAutocastEnabled();
        return x.mul(2);
      };
      let ctxSeen: Record<string, unknown> = {};
      class Double extends torch.autograd.Function {
        static override forward =
          castInputs === null
            ? torch.cuda.amp.customFwd(fwd)
            : torch.cuda.amp.customFwd({ castInputs })(fwd);
        static override backward = torch.cuda.amp.customBwd((ctx: object, g: Tensor) => {
          seen.bwd = torch.isAutocastEnabled();
          ctxSeen = ctx as Record<string, unknown>;
          return g.mul(2);
        });
      }
      const x = torch.tensor([1.0, 2.0], { requiresGrad: true });
      const w = warnings(() => {
        torch.setAutocastEnabled(r.gpu_flag);
        const y = Double.apply(x) as Tensor;
        torch.setAutocastEnabled(false);
        y.sum().backward();
      });
      assert.equal(w.error, undefined);
      assert.deepEqual(w.warned, r.warnings);
      assert.equal(ctxSeen._fwdUsedAutocast, r.used);
      assert.equal(seen.fwd, r.fwd_seen);
      assert.equal(seen.bwd, r.bwd_seen);
      assert.deepEqual(x.grad?.tolist(), r.grad);
    });
  }
});

describe("an AMP training loop (autocast + GradScaler + SGD) ported line by line", () => {
  it("gives PyTorch's losses, dtypes and parameters", () => {
    const t = fx.training;
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
    model.loadStateDict(
      Object.fromEntries(Object.entries(t.init).map(([k, v]) => [k, makeTensor(v)])),
    );
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.5, momentum: 0.9 });
    const w = warnings(() => new torch.cuda.amp.GradScaler());
    assert.deepEqual(w.warned, t.warnings);
    const scaler = w.result!;
    const x = makeTensor(t.x);
    const y = torch.tensor(t.y, { dtype: torch.int64 });
    const losses: number[] = [];
    const dtypes: string[][] = [];
    for (let i = 0; i < t.losses.length; i++) {
      opt.zeroGrad();
      const [out, loss] = torch.autocast("cpu", () => {
        const o = model.call(x) as Tensor;
        return [o, F.crossEntropy(o, y)] as const;
      });
      dtypes.push([String(out.dtype), String(loss.dtype)]);
      scaler.scale(loss).backward();
      scaler.step(opt);
      scaler.update();
      losses.push(loss.item() as number);
    }
    assert.deepEqual(dtypes, t.dtypes);
    losses.forEach((l, i) =>
      assert.ok(close(l, t.losses[i], 2e-2, 1e-3), `loss ${i}: ${l} vs ${t.losses[i]}`),
    );
    const final = model.stateDict();
    for (const [k, r] of Object.entries(t.final)) checkValues(final[k] as Tensor, r, k, true);
  });
});

it("a warning shows once, as Python's default filter shows it", () => {
  resetAmpWarnings();
  const warned: string[] = [];
  const orig = console.warn;
  console.warn = (m: unknown) => void warned.push(String(m));
  try {
    torch.cuda.amp.autocast(() => 0);
    torch.cuda.amp.autocast(() => 0);
    new torch.cuda.amp.GradScaler();
    new torch.cuda.amp.GradScaler();
  } finally {
    console.warn = orig;
  }
  assert.equal(warned.length, 2);
});

describe("argument errors (CPython's)", () => {
  const calls: Record<string, () => unknown> = {
    autocast_unknown_kwarg: () => torch.autocast("cpu", { foo: 1 } as torch.AutocastOptions),
    autocast_too_many: () =>
      (torch.autocast as (...a: unknown[]) => unknown)("cpu", torch.bfloat16, true, true, 1),
    autocast_twice: () => torch.autocast("cpu", torch.bfloat16, { dtype: torch.bfloat16 }),
    autocast_cache_twice: () => torch.autocast("cpu", null, true, true, { cacheEnabled: true }),
    cpu_amp_too_many: () =>
      (torch.cpu.amp.autocast as (...a: unknown[]) => unknown)(true, torch.bfloat16, true, 1),
    cpu_amp_unknown_kwarg: () => torch.cpu.amp.autocast({ bar: 1 } as torch.AutocastOptions),
    cuda_amp_too_many: () =>
      (torch.cuda.amp.autocast as (...a: unknown[]) => unknown)(true, torch.float16, true, 1),
    scaler_too_many: () =>
      new (torch.cuda.amp.GradScaler as unknown as new (...a: unknown[]) => unknown)(
        1.0,
        2.0,
        0.5,
        10,
        true,
        3,
      ),
    scaler_unknown_kwarg: () =>
      new torch.cuda.amp.GradScaler({ foo: 1 } as torch.GradScalerOptions),
    cpu_dtype_int: () => torch.setAutocastCpuDtype(1 as unknown as torch.DType),
    gpu_dtype_str: () => torch.setAutocastGpuDtype("x" as unknown as torch.DType),
  };
  for (const [name, e] of Object.entries(fx.arg_errors)) {
    it(name, () => {
      const w = warnings(() => expectError(calls[name], e));
      if (w.error !== undefined) throw w.error;
      assert.equal(torch.isAutocastCpuEnabled(), false);
    });
  }
});
