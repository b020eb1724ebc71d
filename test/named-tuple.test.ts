/**
 * Several results come back as PyTorch's named tuples (Note [named tuples]): readable by name and
 * by position, and unpackable as Python unpacks them (`values, indices = x.sort()` is
 * `const [values, indices] = x.sort()`), through vmap too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as torch from "../src/index.js";

const x = torch.tensor([
  [3, 1, 2],
  [0, 5, 4],
]);
const sq = torch.tensor([
  [2, 1],
  [1, 3],
]);

/** [label, the call, its field names in PyTorch's order] */
const cases: [string, () => object, string[]][] = [
  ["sort", () => x.sort(), ["values", "indices"]],
  ["max(dim)", () => x.max(1), ["values", "indices"]],
  ["min(dim)", () => torch.min(x, 0), ["values", "indices"]],
  ["topk", () => x.topk(2), ["values", "indices"]],
  ["kthvalue", () => x.kthvalue(2), ["values", "indices"]],
  ["mode", () => x.mode(), ["values", "indices"]],
  ["median(dim)", () => x.median(1), ["values", "indices"]],
  ["cummax", () => x.cummax(1), ["values", "indices"]],
  ["aminmax", () => torch.aminmax(x), ["min", "max"]],
  ["frexp", () => torch.frexp(x), ["mantissa", "exponent"]],
  ["histogram", () => torch.histogram(x.flatten(), 3), ["hist", "bin_edges"]],
  ["linalg.slogdet", () => torch.linalg.slogdet(sq), ["sign", "logabsdet"]],
  ["linalg.lu", () => torch.linalg.lu(sq), ["P", "L", "U"]],
  ["linalg.qr", () => torch.linalg.qr(sq), ["Q", "R"]],
  ["linalg.svd", () => torch.linalg.svd(sq), ["U", "S", "Vh"]],
  ["linalg.choleskyEx", () => torch.linalg.choleskyEx(sq), ["L", "info"]],
  ["linalg.luFactorEx", () => torch.linalg.luFactorEx(sq), ["LU", "pivots", "info"]],
  ["linalg.ldlFactorEx", () => torch.linalg.ldlFactorEx(sq), ["LD", "pivots", "info"]],
  ["linalg.ldlFactor", () => torch.linalg.ldlFactor(sq), ["LD", "pivots"]],
  [
    "linalg.lstsq",
    () => torch.linalg.lstsq(sq, sq),
    ["solution", "residuals", "rank", "singular_values"],
  ],
];

for (const [label, call, names] of cases) {
  test(`${label} unpacks as its named tuple`, () => {
    const r = call() as Record<string | number, unknown> & Iterable<unknown> & { length: number };
    const items = [...r];
    assert.equal(items.length, names.length);
    assert.equal(r.length, names.length);
    names.forEach((n, i) => {
      assert.ok(n in r, `field ${n}`);
      assert.equal(items[i], r[n], `position ${i} is ${n}`);
      assert.equal(r[i], r[n]);
    });
    // the named fields and positions are what prints; length and the iterator are not
    assert.deepEqual(Object.keys(r).sort(), [...names.map((_, i) => String(i)), ...names].sort());
  });
}

test("a named tuple stays one through vmap", () => {
  const [values, indices] = torch.func.vmap((t: torch.Tensor) => t.sort())(
    x.float(),
  ) as unknown as [torch.Tensor, torch.Tensor];
  const direct = x.float().sort();
  assert.equal(String(values), String(direct.values));
  assert.equal(String(indices), String(direct.indices));
});
