/**
 * A property test over the whole op registry: every registered op, in each of its call forms,
 * is called with random argument lists (wrong types, odd sizes, unknown option names, mixed
 * dtypes, empty and 0-d tensors, NaN and fractional numbers, None in every slot). Each call
 * must either return, or throw one of PyTorch's error classes (torch.RuntimeError, TypeError,
 * IndexError, ValueError, NotImplementedError, AssertionError, AttributeError) with a message that is not an internal
 * JavaScript error; and a call that throws must leave its tensor arguments unchanged (values,
 * shape, version, requires_grad). Never a crash, never "Cannot read properties of undefined".
 *
 * The generator is seeded, so a failure reproduces; the failing call is printed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { registeredOps, type OpEntry } from "../src/registry/define.js";

/** mulberry32: a small seeded generator */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TORCH_ERRORS = [
  torch.RuntimeError,
  torch.TypeError,
  torch.IndexError,
  torch.ValueError,
  torch.NotImplementedError,
  torch.AssertionError,
  // a Python function's body reading an attribute of a non-tensor (torch.stft's input.dim())
  torch.AttributeError,
];
/** messages of JavaScript's own errors, which must never reach a user */
const INTERNAL =
  /Cannot read propert|is not a function|(?<!' object )is not iterable|is not defined|Cannot convert|Invalid array length|Maximum call stack|undefined|\[object Object\]|Invalid typed array length|out of memory/;

function tensors(): Tensor[] {
  return [
    torch.tensor([
      [0.5, -1.5, 2],
      [3, 0, -0.25],
    ]),
    torch.tensor([1, 2, 3], { dtype: torch.float64 }),
    torch.tensor([2, 0, 1], { dtype: torch.int64 }),
    torch.tensor([1, 0], { dtype: torch.int32 }),
    torch.tensor([true, false]),
    torch.tensor(1.5),
    torch.zeros(0, 3),
    torch.tensor([0.25, 0.5], { requiresGrad: true }),
    torch.ones(2, 1, 3),
  ];
}

function value(r: () => number, pool: Tensor[], keys: string[], depth = 0): unknown {
  const k = Math.floor(r() * 16);
  switch (k) {
    case 0:
    case 1:
    case 2:
      return pool[Math.floor(r() * pool.length)];
    case 3:
      return [0, 1, -1, 2, 0.5, -3][Math.floor(r() * 6)];
    case 4:
      return [NaN, Infinity, -Infinity, 1e300, -0][Math.floor(r() * 5)];
    case 5:
      return r() < 0.5;
    case 6:
      return ["a", "mean", "sum", "floor", "trunc", "fro", ""][Math.floor(r() * 7)];
    case 7:
      return null;
    case 8:
      return undefined;
    case 9:
      return [[], [0], [1, 0], [1.5], [-1], [0, 0], [pool[0], pool[1]]][Math.floor(r() * 7)];
    case 10:
      return [torch.float32, torch.float64, torch.int64, torch.int32, torch.bool][
        Math.floor(r() * 5)
      ];
    case 11:
      if (depth > 0) return 1;
      {
        // an options object: the op's own names, camel and snake, and unknown ones
        const o: Record<string, unknown> = {};
        const n = 1 + Math.floor(r() * 3);
        for (let i = 0; i < n; i++) {
          const name = r() < 0.8 && keys.length > 0 ? keys[Math.floor(r() * keys.length)] : "foo";
          o[name] = value(r, pool, keys, depth + 1);
        }
        return o;
      }
    case 12:
      return new torch.Generator();
    case 13:
      return () => 1;
    case 14:
      return { valueOf: () => 2 };
    default:
      return Math.floor(r() * 5) - 2;
  }
}

interface Snapshot {
  t: Tensor;
  values: string;
  shape: string;
  version: number;
  requiresGrad: boolean;
}

function snapshot(pool: Tensor[]): Snapshot[] {
  return pool.map((t) => ({
    t,
    values: JSON.stringify(Array.from(t.typedArray)),
    shape: t.shape.join(),
    version: t._versionNumber,
    requiresGrad: t.requiresGrad,
  }));
}

function describe(v: unknown): string {
  if (v instanceof torch.Tensor) return `tensor<${v.dtype.name}>[${v.shape.join(",")}]`;
  if (Array.isArray(v)) return `[${v.map(describe).join(", ")}]`;
  if (typeof v === "function") return "fn";
  if (v instanceof torch.Generator) return "Generator";
  if (v !== null && typeof v === "object" && !("isFloatingPoint" in v))
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${describe(x)}`)
      .join(", ")}}`;
  return String(v);
}

const CALLS_PER_FORM = 60;

function fuzz(op: OpEntry, form: "function" | "method" | "inplace", seed: number): void {
  const r = rng(seed);
  const sigs =
    form === "function" ? op.functionSigs : form === "method" ? op.methodSigs : op.inplaceSigs;
  const keys = [
    ...new Set(sigs.flatMap((s) => s.params.flatMap((p) => [p.jsName, p.name]))),
    "out",
  ];
  for (let c = 0; c < CALLS_PER_FORM; c++) {
    // self: a fresh copy for in-place forms, so that successful calls may change it
    const pool = tensors();
    const n = Math.floor(r() * 5);
    const args = Array.from({ length: n }, () => value(r, pool, keys));
    const self = pool[Math.floor(r() * pool.length)];
    const target = form === "inplace" ? self.detach().clone() : self;
    const before = snapshot(pool);
    const call =
      form === "function"
        ? `torch.${op.namespace === "torch" ? "" : `${op.namespace}.`}${op.jsName}(${args.map(describe).join(", ")})`
        : `${describe(target)}.${op.jsName}${form === "inplace" ? "_" : ""}(${args.map(describe).join(", ")})`;
    try {
      const f =
        form === "function"
          ? (torch as unknown as Record<string, unknown>)
          : (target as unknown as Record<string, unknown>);
      const fn =
        form === "function"
          ? op.namespace === "torch"
            ? f[op.jsName]
            : op.namespace === "nn.functional"
              ? (torch.nn.functional as unknown as Record<string, unknown>)[op.jsName]
              : (f[op.namespace] as Record<string, unknown>)[op.jsName]
          : f[form === "inplace" ? `${op.jsName}_` : op.jsName];
      (fn as (...a: unknown[]) => unknown).apply(form === "function" ? undefined : target, args);
    } catch (e) {
      const ok = TORCH_ERRORS.some((C) => e instanceof C);
      assert.ok(ok, `${call}: threw a non-PyTorch error: ${String(e)}`);
      assert.doesNotMatch((e as Error).message, INTERNAL, `${call}: internal error message`);
      for (const s of before) {
        assert.equal(
          JSON.stringify(Array.from(s.t.typedArray)),
          s.values,
          `${call} changed values`,
        );
        assert.equal(s.t.shape.join(), s.shape, `${call} changed a shape`);
        assert.equal(s.t._versionNumber, s.version, `${call} bumped a version`);
        assert.equal(s.t.requiresGrad, s.requiresGrad, `${call} changed requires_grad`);
      }
    }
  }
}

for (const op of registeredOps()) {
  const forms = (["function", "method", "inplace"] as const).filter(
    (f) =>
      (f === "function" ? op.functionSigs : f === "method" ? op.methodSigs : op.inplaceSigs)
        .length > 0,
  );
  for (const form of forms) {
    test(`fuzz: ${form} ${op.namespace}.${op.jsName}`, () => {
      let seed = 0;
      for (const ch of `${op.namespace}.${op.jsName}.${form}`)
        seed = (seed * 31 + ch.charCodeAt(0)) | 0;
      fuzz(op, form, seed);
    });
  }
}
