/**
 * float32 exact GELU against PyTorch 1.13 bit for bit (test/fixtures/gelu_f32.json, from
 * scripts/fixtures/gelu_f32_fx.py): F.gelu and its backward through the public API, on normal
 * and uniform values over both tails of erf, special values, and a length that is not a multiple
 * of the vector width. Note [float32 GELU] (native/activation.cc) is PyTorch's float32 CPU
 * algorithm step for step, so both backends (TENSORGRAD_BACKEND=js and the addon) must give
 * PyTorch's exact bits; NaN matches NaN whatever its sign bit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import * as nn from "../src/nn/index.js";
import { readFixture } from "./helpers/fixtures.js";

const F = nn.functional;

interface Case {
  x: number[];
  g: number[];
  y: number[];
  dx: number[];
}

const fx = readFixture<{ cases: Record<string, Case> }>("gelu_f32.json");

/** A float32 tensor holding the given bit patterns. */
function fromBits(bits: number[], requiresGrad = false): Tensor {
  const f = new Float32Array(Uint32Array.from(bits).buffer);
  return torch.tensor(Array.from(f), { dtype: torch.float32, requiresGrad });
}

function assertBits(t: Tensor, want: number[], what: string): void {
  const got = new Uint32Array(Float32Array.from(t.detach().contiguous().typedArray).buffer);
  const wantF = new Float32Array(Uint32Array.from(want).buffer);
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(wantF[i])) {
      assert.ok(Number.isNaN(new Float32Array(got.buffer)[i]), `${what} [${i}]: NaN expected`);
    } else {
      const g = new Float32Array(got.buffer)[i];
      assert.equal(got[i], want[i], `${what} [${i}]: ${g} vs PyTorch ${wantF[i]}`);
    }
  }
}

for (const [name, c] of Object.entries(fx.cases)) {
  test(`float32 GELU forward and backward match PyTorch bit for bit (${name})`, () => {
    const x = fromBits(c.x, true);
    const y = F.gelu(x);
    assertBits(y, c.y, `${name} gelu`);
    y.backward(fromBits(c.g));
    assertBits(x.grad as Tensor, c.dx, `${name} gelu backward`);
  });
}
