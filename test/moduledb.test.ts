/**
 * PyTorch's own module database, replayed against tensorgrad.
 *
 * test/fixtures/moduledb.json (scripts/fixtures/moduledb_fx.py) holds, for every ModuleInfo of
 * PyTorch 1.13's `module_db`, a few of its `module_inputs_func` samples in float32 and float64
 * (training mode, and eval mode where the module behaves differently): constructor and forward
 * arguments, the repr, the state dict after seeded construction, the output, the buffers after
 * the call and the gradients of sum_i sum(out_i * w_i) w.r.t. the inputs and the parameters.
 *
 * For each module class tensorgrad has (`torch.nn[cls]`), every sample is replayed as PyTorch's
 * test_modules.py does: under torch.manualSeed(seed),
 * `m = new torch.nn[cls](...ctorArgs, { camelCasedKwargs }); m.to(dtype); m.train(training)`
 * (a lazy module then runs once on copies of the inputs, right after seeding, to materialise),
 * then PyTorch's state dict is loaded into it (strict), so the forward and gradient checks do
 * not depend on the initialisation, and `m.call(...fwdArgs, { camelCasedKwargs })` runs on
 * fresh inputs right after seeding. Each sample has four checks, listed separately:
 *   <id>          output values, shapes, dtypes, requiresGrad; buffers after the call; input and
 *                 parameter gradients (float32 within rtol 1e-5 + atol 1e-5, gradients 10x looser)
 *   <id>/init     the state dict after seeded construction: keys in PyTorch's order, values
 *   <id>/repr     the module's repr right after construction
 *   <id>/grad_fn  the grad_fn names of the output tensors (run only when the output check
 *                 gets that far)
 *
 * Classes tensorgrad lacks are counted, not tested (the coverage lines printed at the end), so
 * a class added later is picked up by this file. Every check of a present class must pass except
 * those listed in test/moduledb-known-failures.json (check id -> what goes wrong). A listed check
 * that passes fails the test, so the list only shrinks: delete its line.
 * `MODULEDB_UPDATE_KNOWN=shrink node --import tsx --test test/moduledb.test.ts` deletes the lines
 * of checks that pass; `MODULEDB_UPDATE_KNOWN=1` rewrites the list from the run's failures (for a
 * newly added class whose samples cannot all pass yet; review the diff).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { test } from "node:test";

import * as torch from "../src/index.js";
import { Tensor } from "../src/index.js";
import { decodeNumber, readFixture, readTestJson, type NonFinite } from "./helpers/fixtures.js";

// ---------------------------------------------------------------------------------------------
// the fixture's shape (see scripts/fixtures/moduledb_fx.py)

type Val =
  | null
  | boolean
  | string
  | { t: number }
  | { int: number }
  | { float: number | NonFinite }
  | { list: Val[] }
  | { tuple: Val[] }
  | { dtype: string }
  | { fn: string };

interface TRec {
  shape: number[];
  dtype: string;
  values: (number | boolean | NonFinite)[];
  requires_grad: boolean;
  grad_fn?: string | null;
}

type Tree = Val | { tensor: TRec } | { list: Tree[] } | { tuple: Tree[] };

interface Sample {
  id: string;
  desc: string;
  dtype: "float32" | "float64";
  training: boolean;
  seed: number;
  tensors: TRec[];
  ctor_args: Val[];
  ctor_kwargs: Record<string, Val>;
  fwd_args: Val[];
  fwd_kwargs: Record<string, Val>;
  repr: string;
  init: Record<string, TRec>;
  out: Tree;
  buffers: Record<string, TRec> | null;
  weights: (TRec | null)[] | null;
  grads: (TRec | null)[] | null;
  param_grads: Record<string, TRec | null> | null;
}

interface ModuleEntry {
  name: string;
  cls: string;
  lazy: boolean;
  train_and_eval_differ: boolean;
  samples: Sample[];
}

const fixture = readFixture<{ torch: string; modules: ModuleEntry[] }>("moduledb.json");
const KNOWN_PATH = "moduledb-known-failures.json";
const known = readTestJson<Record<string, string>>(KNOWN_PATH);
const UPDATE = process.env.MODULEDB_UPDATE_KNOWN;

// ---------------------------------------------------------------------------------------------
// building values

const DTYPES: Record<string, torch.DType> = {
  float32: torch.float32,
  float64: torch.float64,
  int32: torch.int32,
  int64: torch.int64,
  uint8: torch.uint8,
  bool: torch.bool,
};

/** PyTorch's snake_case name in camelCase: key_padding_mask -> keyPaddingMask. */
function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

type Ctor = new (...args: unknown[]) => torch.nn.Module;

/** tensorgrad's class torch.nn[name], if it has one. */
function classOf(name: string): Ctor | null {
  const c = (torch.nn as unknown as Record<string, unknown>)[name];
  return typeof c === "function" ? (c as Ctor) : null;
}

function makeTensor(r: TRec): Tensor {
  const flatValues = r.values.map((v) => (typeof v === "boolean" ? v : decodeNumber(v)));
  const t = torch.tensor(flatValues, { dtype: DTYPES[r.dtype] }).reshape(r.shape);
  return r.requires_grad ? t.requiresGrad_() : t;
}

function isTagged<K extends string>(v: unknown, key: K): v is Record<K, unknown> {
  return typeof v === "object" && v !== null && key in v;
}

function decodeVal(v: Val, tensors: Tensor[]): unknown {
  if (v === null || typeof v !== "object") return v;
  if ("t" in v) return tensors[v.t];
  if ("int" in v) return v.int;
  if ("float" in v) return decodeNumber(v.float);
  if ("list" in v) return v.list.map((x) => decodeVal(x, tensors));
  if ("tuple" in v) return v.tuple.map((x) => decodeVal(x, tensors));
  if ("dtype" in v) return DTYPES[v.dtype];
  if ("fn" in v) {
    const f = (torch.nn.functional as Record<string, unknown>)[camel(v.fn)];
    if (typeof f !== "function") throw new Error(`torch.nn.functional.${camel(v.fn)} is missing`);
    return f;
  }
  throw new Error(`unknown argument encoding ${JSON.stringify(v)}`);
}

/** Positional arguments, then the camelCased keyword arguments as an options object if any. */
function callArgs(args: Val[], kwargs: Record<string, Val>, tensors: Tensor[]): unknown[] {
  const out = args.map((v) => decodeVal(v, tensors));
  const keys = Object.keys(kwargs);
  if (keys.length > 0)
    out.push(Object.fromEntries(keys.map((k) => [camel(k), decodeVal(kwargs[k], tensors)])));
  return out;
}

// ---------------------------------------------------------------------------------------------
// comparing

function tolerance(dtype: string, grad: boolean): { rtol: number; atol: number } {
  const k = grad ? 10 : 1;
  if (dtype === "float32") return { rtol: 1e-5 * k, atol: 1e-5 * k };
  if (dtype === "float64") return { rtol: 1e-9 * k, atol: 1e-12 * k };
  return { rtol: 0, atol: 0 };
}

function close(x: number, y: number, rtol: number, atol: number): boolean {
  if (Number.isNaN(y)) return Number.isNaN(x);
  if (!Number.isFinite(y)) return x === y;
  return Math.abs(x - y) <= atol + rtol * Math.abs(y);
}

function flat(t: Tensor): number[] {
  const c = t.detach().contiguous();
  return Array.from(c.typedArray.subarray(c.offset, c.offset + c.numel()), Number);
}

/** A tensor against its record; `grad` loosens the tolerance and skips requiresGrad. */
function checkTensor(t: unknown, r: TRec, what: string, grad = false): void {
  assert.ok(t instanceof Tensor, `${what}: expected a tensor, got ${String(t)}`);
  assert.deepEqual(
    t.shape,
    r.shape,
    `${what}: shape [${t.shape.join(", ")}] vs [${r.shape.join(", ")}]`,
  );
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype ${t.dtype.name} vs ${r.dtype}`);
  if (!grad)
    assert.equal(t.requiresGrad, r.requires_grad, `${what}: requiresGrad ${t.requiresGrad}`);
  const got = flat(t);
  const want = r.values.map((v) => (typeof v === "boolean" ? Number(v) : decodeNumber(v)));
  const { rtol, atol } = tolerance(r.dtype, grad);
  const bad = want.findIndex((y, i) => !close(got[i], y, rtol, atol));
  assert.ok(bad < 0, `${what}: values differ at ${bad}: ${got[bad]} vs ${want[bad]}`);
}

/**
 * A result against its tree; returns its tensors in pre-order and pushes grad_fn mismatches
 * onto `gradFns` (checked separately).
 */
function checkTree(actual: unknown, tree: Tree, what: string, gradFns: string[]): Tensor[] {
  if (isTagged(tree, "tensor")) {
    const r = tree.tensor as TRec;
    checkTensor(actual, r, what);
    const got = (actual as Tensor).gradFn?.name() ?? null;
    if (got !== r.grad_fn) gradFns.push(`${what}: ${String(got)} vs ${String(r.grad_fn)}`);
    return [actual as Tensor];
  }
  if (isTagged(tree, "tuple") || isTagged(tree, "list")) {
    const items = (isTagged(tree, "tuple") ? tree.tuple : tree.list) as Tree[];
    assert.ok(Array.isArray(actual), `${what}: expected a sequence, got ${String(actual)}`);
    assert.equal(actual.length, items.length, `${what}: length`);
    return items.flatMap((t, i) => checkTree(actual[i], t, `${what}[${i}]`, gradFns));
  }
  if (tree === null) assert.ok(actual === null || actual === undefined, `${what}: expected None`);
  else if (isTagged(tree, "int") || isTagged(tree, "float"))
    assert.equal(actual, decodeVal(tree as Val, []), what);
  else assert.equal(actual, tree, what);
  return [];
}

/** The state dict of `m` against a recorded one: keys in order, then values. */
function checkStateDict(m: torch.nn.Module, want: Record<string, TRec>, what: string): void {
  const sd = m.stateDict();
  assert.deepEqual(Object.keys(sd), Object.keys(want), `${what}: keys`);
  for (const [k, r] of Object.entries(want)) checkTensor(sd[k], { ...r, requires_grad: false }, k);
}

// ---------------------------------------------------------------------------------------------
// running samples

/** One line for a failure: the first line of what went wrong. */
function failure(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const kind = e instanceof assert.AssertionError ? "" : `${e.constructor.name}: `;
  const msg = `${kind}${e.message}`.split("\n")[0];
  return msg.length > 160 ? `${msg.slice(0, 157)}...` : msg;
}

/** An argument as a failure line shows it: T for a tensor, numbers, lists, strings. */
function show(v: Val): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if ("t" in v) return "T";
  if ("int" in v) return String(v.int);
  if ("float" in v) return String(v.float);
  if ("list" in v) return `[${v.list.map(show).join(", ")}]`;
  if ("tuple" in v) return `[${v.tuple.map(show).join(", ")}]`;
  if ("fn" in v) return `F.${camel(v.fn)}`;
  return `torch.${v.dtype}`;
}

function showCall(args: Val[], kwargs: Record<string, Val>): string {
  const parts = args.map(show);
  const keys = Object.keys(kwargs);
  if (keys.length > 0)
    parts.push(`{${keys.map((k) => `${camel(k)}: ${show(kwargs[k])}`).join(", ")}}`);
  return parts.join(", ");
}

/** The sample's calls, for failure lines: new nn.X(...).call(...). */
function describe(entry: ModuleEntry, s: Sample): string {
  return `new nn.${entry.cls}(${showCall(s.ctor_args, s.ctor_kwargs)}).call(${showCall(s.fwd_args, s.fwd_kwargs)})`;
}

/** Check id -> its failure ("" when it passes), for every check that ran. */
const observed = new Map<string, string>();

function runCheck(id: string, fn: () => void, what = ""): void {
  try {
    fn();
    observed.set(id, "");
  } catch (err) {
    observed.set(id, what === "" ? failure(err) : `${what} -> ${failure(err)}`);
  }
}

/** Constructs the module as test_modules.py does (a lazy one materialised on copies). */
function build(cls: Ctor, entry: ModuleEntry, s: Sample): { m: torch.nn.Module; repr: string } {
  const tensors = s.tensors.map(makeTensor);
  torch.manualSeed(s.seed);
  const m = new cls(...callArgs(s.ctor_args, s.ctor_kwargs, tensors));
  m.to(DTYPES[s.dtype]);
  m.train(s.training);
  const repr = String(m);
  if (entry.lazy) {
    const copies = s.tensors.map(makeTensor);
    torch.manualSeed(s.seed);
    m.call(...(callArgs(s.fwd_args, s.fwd_kwargs, copies) as never[]));
  }
  return { m, repr };
}

function runSample(cls: Ctor, entry: ModuleEntry, s: Sample): void {
  let built: { m: torch.nn.Module; repr: string } | null = null;
  const what = describe(entry, s);
  runCheck(
    s.id,
    () => {
      built = build(cls, entry, s);
      const m = built.m;
      m.loadStateDict(
        Object.fromEntries(Object.entries(s.init).map(([k, r]) => [k, makeTensor(r)])),
      );
      const tensors = s.tensors.map(makeTensor);
      const args = callArgs(s.fwd_args, s.fwd_kwargs, tensors);
      torch.manualSeed(s.seed);
      const out: unknown = m.call(...(args as never[]));
      const gradFns: string[] = [];
      const outs = checkTree(out, s.out, "output", gradFns);
      runCheck(`${s.id}/grad_fn`, () =>
        assert.ok(gradFns.length === 0, `grad_fn names: ${gradFns.join("; ")}`),
      );
      if (s.buffers !== null) {
        const bufs = Object.fromEntries(m.namedBuffers());
        for (const [k, r] of Object.entries(s.buffers))
          checkTensor(bufs[k], { ...r, requires_grad: false }, `buffer ${k}`);
      }
      if (s.weights === null || s.grads === null || s.param_grads === null) return;
      const terms = s.weights.flatMap((w, i) =>
        w === null ? [] : [outs[i].mul(makeTensor(w)).sum()],
      );
      const total = terms.reduce((a, b) => a.add(b));
      const inputs = tensors.filter((_, j) => s.tensors[j].requires_grad);
      const params = Object.fromEntries(m.namedParameters());
      const names = Object.keys(s.param_grads);
      assert.deepEqual(
        m
          .namedParameters()
          .filter(([, p]) => p.requiresGrad)
          .map(([n]) => n),
        names,
        "parameters requiring grad",
      );
      const grads = torch.autograd.grad(total, [...inputs, ...names.map((n) => params[n])], {
        allowUnused: true,
      });
      let k = 0;
      s.tensors.forEach((r, j) => {
        if (!r.requires_grad) return;
        const g = grads[k++];
        const want = s.grads![j];
        if (want === null) assert.ok(g === null, `grad of input ${j}: expected None`);
        else checkTensor(g, want, `grad of input ${j}`, true);
      });
      for (const n of names) {
        const g = grads[k++];
        const want = s.param_grads[n];
        if (want === null) assert.ok(g === null, `grad of ${n}: expected None`);
        else checkTensor(g, want, `grad of ${n}`, true);
      }
    },
    what,
  );
  runCheck(
    `${s.id}/repr`,
    () => {
      built ??= build(cls, entry, s);
      const got = built.repr;
      assert.ok(got === s.repr, `repr: ${JSON.stringify(got)} vs ${JSON.stringify(s.repr)}`);
    },
    what,
  );
  runCheck(
    `${s.id}/init`,
    () => {
      // the state dict of a fresh seeded module (the forward check loaded PyTorch's into its own)
      const { m } = build(cls, entry, s);
      checkStateDict(m, s.init, "state dict");
    },
    what,
  );
}

// ---------------------------------------------------------------------------------------------
// the tests

const CHECKS = ["", "/init", "/repr", "/grad_fn"];
const present = fixture.modules.filter((e) => classOf(e.cls) !== null);

for (const entry of present) {
  test(`moduledb: ${entry.name}`, () => {
    const cls = classOf(entry.cls)!;
    const problems: string[] = [];
    for (const s of entry.samples) {
      runSample(cls, entry, s);
      for (const id of CHECKS.map((c) => s.id + c)) {
        const f = observed.get(id);
        if (f === undefined) continue; // not reached (the grad_fn check after a failed output)
        if (f !== "" && !(id in known)) problems.push(`${id}: ${f}`);
        if (f === "" && id in known)
          problems.push(`${id} passes now: delete its line from test/${KNOWN_PATH}`);
      }
    }
    if (UPDATE === undefined) assert.deepEqual(problems, []);
  });
}

test("moduledb: coverage, and the known-failures list names only checks of present classes", () => {
  const classes = new Set(fixture.modules.map((e) => e.cls));
  const have = new Set(present.map((e) => e.cls));
  const samples = fixture.modules.flatMap((e) => e.samples);
  const ran = present.flatMap((e) => e.samples);
  const passing = (suffix: string): number =>
    ran.filter((s) => observed.get(s.id + suffix) === "").length;
  console.log(
    `moduledb (PyTorch ${fixture.torch}): ${have.size}/${classes.size} classes present ` +
      `(missing: ${[...classes].filter((c) => !have.has(c)).join(", ") || "none"})`,
  );
  console.log(
    `moduledb samples: ${ran.length}/${samples.length} of present classes; passing: ` +
      `forward+gradients ${passing("")}/${ran.length}, init ${passing("/init")}/${ran.length}, ` +
      `repr ${passing("/repr")}/${ran.length}, grad_fn ${passing("/grad_fn")}/${ran.length}`,
  );
  if (UPDATE !== undefined) {
    const next =
      UPDATE === "shrink"
        ? Object.entries(known).filter(([id]) => observed.get(id) !== "")
        : [...observed.entries()].filter(([, f]) => f !== "");
    writeFileSync(
      new URL(KNOWN_PATH, import.meta.url),
      `${JSON.stringify(Object.fromEntries(next), null, 2)}\n`,
    );
    return;
  }
  const ids = new Set(ran.flatMap((s) => CHECKS.map((c) => s.id + c)));
  const stale = Object.keys(known).filter((id) => !ids.has(id));
  assert.deepEqual(stale, [], `test/${KNOWN_PATH} names checks of no present class`);
});
