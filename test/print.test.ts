import { test } from "node:test";
import assert from "node:assert/strict";

import type { DTypeName } from "../src/dtype.js";
import {
  formatPyFloat,
  formatSize,
  formatTensor,
  getPrintoptions,
  setPrintoptions,
  type PrintProfile,
  type PrintSource,
} from "../src/print.js";
import { decodeNumber, readFixture, type NonFinite } from "./helpers/fixtures.js";

type Encoded = number | NonFinite | "-0";

interface TensorCase {
  kind: "tensor";
  name: string;
  data: Encoded[];
  shape: number[];
  dtype: DTypeName;
  requires_grad: boolean;
  grad_fn: string | null;
  printopts: {
    precision?: number;
    threshold?: number | "inf";
    edgeitems?: number;
    linewidth?: number;
    profile?: PrintProfile;
    sci_mode?: boolean;
  } | null;
  default_dtype: DTypeName | null;
  expected: string;
}
interface SizeCase {
  kind: "size";
  name: string;
  shape: number[];
  expected: string;
}
interface PyFloatCase {
  kind: "pyfloat";
  name: string;
  value: Encoded;
  expected: string;
}
type Case = TensorCase | SizeCase | PyFloatCase;

const cases = readFixture<Case[]>("print.json");

/** A recorded number; "-0" (printed differently from 0) as -0. */
const decode = (v: Encoded): number => (v === "-0" ? -0 : decodeNumber(v));

/** Store values as the tensor would: float32 rounded through a Float32Array. */
function source(c: TensorCase): PrintSource {
  const values = c.data.map(decode);
  const store = c.dtype === "float32" ? Float32Array.from(values) : Float64Array.from(values);
  return { shape: c.shape, dtype: c.dtype, get: (i) => store[i]! };
}

const defaults = getPrintoptions();

test("print options: profiles, overrides and sciMode reset", () => {
  try {
    setPrintoptions({ profile: "short", sciMode: true });
    assert.deepEqual(getPrintoptions(), {
      precision: 2,
      threshold: 1000,
      edgeitems: 2,
      linewidth: 80,
      sciMode: true,
    });
    // as in PyTorch, every call assigns sci_mode, so omitting it resets it to automatic
    setPrintoptions({ precision: 7 });
    assert.deepEqual(getPrintoptions(), {
      precision: 7,
      threshold: 1000,
      edgeitems: 2,
      linewidth: 80,
      sciMode: null,
    });
    setPrintoptions({ profile: "full" });
    assert.equal(getPrintoptions().threshold, Infinity);
    assert.equal(getPrintoptions().precision, 4);
  } finally {
    setPrintoptions({ profile: "default" });
  }
  assert.deepEqual(getPrintoptions(), defaults);
});

for (const c of cases) {
  test(`${c.kind}: ${c.name}`, () => {
    if (c.kind === "size") {
      assert.equal(formatSize(c.shape), c.expected);
    } else if (c.kind === "pyfloat") {
      assert.equal(formatPyFloat(decode(c.value)), c.expected);
    } else {
      try {
        if (c.printopts) {
          const o = c.printopts;
          setPrintoptions({
            precision: o.precision,
            threshold: o.threshold === "inf" ? Infinity : o.threshold,
            edgeitems: o.edgeitems,
            linewidth: o.linewidth,
            profile: o.profile,
            sciMode: o.sci_mode,
          });
        }
        const got = formatTensor(source(c), {
          requiresGrad: c.requires_grad,
          gradFnName: c.grad_fn,
          defaultDtype: c.default_dtype ?? "float32",
        });
        assert.equal(got, c.expected);
      } finally {
        setPrintoptions({ profile: "default" });
      }
    }
  });
}
