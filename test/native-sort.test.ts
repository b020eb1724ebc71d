/**
 * Parity of the native sort and topk (native/sort.cc: libstdc++'s std::sort, std::partial_sort
 * and std::nth_element on (value, index) pairs, as PyTorch calls them) with their TypeScript
 * twins (src/backend/sort.ts: replicas of those algorithms, and a radix sort for rows without
 * ties): values and indices must agree exactly, ties and NaNs included, so that both backends
 * give PyTorch's tie order. Each comparison runs the same call with the native threshold at 0
 * (native) and at infinity (TypeScript). Skipped, with the reason, when the addon is not
 * loaded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { setNativeSortThreshold, sortRows, topkRows } from "../src/backend/sort.js";
import { skip, type FloatArray, type FloatCtor } from "./helpers/native.js";

const CTORS: [string, FloatCtor][] = [
  ["float32", Float32Array],
  ["float64", Float64Array],
];

/**
 * Deterministic rows (LCG): few distinct values (ties) or many, with NaN (unless `nan` is
 * false), ±inf and ±0 mixed in.
 */
function rowsOf(
  Ctor: FloatCtor,
  n: number,
  seed: number,
  distinct: number,
  nan = true,
): FloatArray {
  const specials = nan ? [NaN, Infinity, -Infinity, 0, -0] : [Infinity, -Infinity, 0, -0];
  const out = new Ctor(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    out[i] = u < 0.03 ? specials[s % specials.length] : Math.floor(u * distinct) - distinct / 2;
    if (distinct > 1e6) out[i] = u * 2 - 1;
  }
  return out;
}

function both<T>(f: () => T): [T, T] {
  const saved = setNativeSortThreshold(Infinity);
  try {
    const ts = f();
    setNativeSortThreshold(0);
    return [ts, f()];
  } finally {
    setNativeSortThreshold(saved);
  }
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): void => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++)
    assert.ok(Object.is(a[i], b[i]) || (a[i] !== a[i] && b[i] !== b[i]), `${what}: at ${i}`);
};

// row shapes: many short rows, a few long ones, one row past the introsort threshold of 16
const SHAPES: [number, number][] = [
  [64, 17],
  [8, 300],
  [2, 5000],
  [1, 40000],
];

for (const [dname, Ctor] of CTORS) {
  test(`native sort matches the TypeScript sort (${dname})`, { skip }, () => {
    // (a row of 1e5: many levels of native/introsort.h's block partition)
    for (const [nRows, len] of [...SHAPES, [1, 100000]])
      for (const distinct of [3, 50, 2e9])
        for (const descending of [false, true])
          for (const stable of [false, true]) {
            const src = rowsOf(Ctor, nRows * len, nRows * 7 + len + distinct, distinct);
            const [ts, nat] = both(() => {
              const v = new Ctor(nRows * len);
              const i = new Float64Array(nRows * len);
              sortRows(src, nRows, len, descending, stable, v, i);
              return { v, i };
            });
            const what = `${nRows}x${len} distinct ${distinct} desc ${descending} stable ${stable}`;
            same(ts.i, nat.i, `${what} indices`);
            same(ts.v, nat.v, `${what} values`);
          }
  });

  test(`native topk matches the TypeScript topk (${dname})`, { skip }, () => {
    for (const [nRows, len] of SHAPES)
      for (const k of [1, 3, Math.floor(len / 64), Math.floor(len / 3), len])
        for (const distinct of [3, 2e9])
          for (const largest of [true, false])
            for (const sorted of [true, false]) {
              if (k < 1) continue;
              const src = rowsOf(Ctor, nRows * len, nRows * 13 + len + k, distinct);
              const [ts, nat] = both(() => {
                const v = new Ctor(nRows * k);
                const i = new Float64Array(nRows * k);
                topkRows(src, nRows, len, k, largest, sorted, v, i);
                return { v, i };
              });
              const what = `${nRows}x${len} k ${k} largest ${largest} sorted ${sorted}`;
              same(ts.i, nat.i, `${what} indices`);
              same(ts.v, nat.v, `${what} values`);
            }
  });
}

// Inputs without NaN take the one-comparison comparators, and for float32 the vector steps of
// native/introsort.h's partition and final ranges (native/sort.cc FloatScan): ties and ±0 here.
for (const [dname, Ctor] of CTORS) {
  test(
    `native sort and topk match the TypeScript ones without NaN, with ties (${dname})`,
    { skip },
    () => {
      for (const [nRows, len] of [...SHAPES, [1, 100000]])
        for (const distinct of [3, 50, 5000])
          for (const descending of [false, true]) {
            const src = rowsOf(Ctor, nRows * len, nRows * 5 + len + distinct, distinct, false);
            const [ts, nat] = both(() => {
              const v = new Ctor(nRows * len);
              const i = new Float64Array(nRows * len);
              sortRows(src, nRows, len, descending, false, v, i);
              return { v, i };
            });
            const what = `${nRows}x${len} distinct ${distinct} desc ${descending}`;
            same(ts.i, nat.i, `${what} indices`);
            same(ts.v, nat.v, `${what} values`);
            const k = Math.floor(len / 3);
            const [tsk, natk] = both(() => {
              const v = new Ctor(nRows * k);
              const i = new Float64Array(nRows * k);
              topkRows(src, nRows, len, k, descending, true, v, i);
              return { v, i };
            });
            same(tsk.i, natk.i, `${what} topk ${k} indices`);
            same(tsk.v, natk.v, `${what} topk ${k} values`);
          }
    },
  );
}

/** Rows of distinct values: a shuffle of j / n - 0.5 (7919 is prime to every n used). */
function distinctRows(Ctor: FloatCtor, nRows: number, len: number, seed: number): FloatArray {
  const n = nRows * len;
  const out = new Ctor(n);
  for (let i = 0; i < n; i++) out[i] = ((i * 7919 + seed) % n) / n - 0.5;
  return out;
}

for (const [dname, Ctor] of CTORS) {
  test(
    `native and TypeScript topk agree on long rows, radix selection or not (${dname})`,
    { skip },
    () => {
      for (const [nRows, len] of [
        [2, 5000],
        [1, 40000],
      ] as [number, number][])
        for (const k of [Math.floor(len / 32), Math.floor(len / 3), len - 1, len])
          for (const variant of ["distinct", "nan", "boundary tie", "inner tie"])
            for (const largest of [true, false]) {
              const src = distinctRows(Ctor, nRows, len, len + k);
              // the sorted row tells where the k-th and (k+1)-th of row 0 are
              const order = new Float64Array(len);
              sortRows(src.subarray(0, len), 1, len, largest, true, new Ctor(len), order);
              if (variant === "nan") src[order[len >> 1]] = NaN;
              if (variant === "boundary tie" && k < len) src[order[k]] = src[order[k - 1]];
              if (variant === "inner tie" && k > 2) src[order[1]] = src[order[2]];
              const [ts, nat] = both(() => {
                const v = new Ctor(nRows * k);
                const i = new Float64Array(nRows * k);
                topkRows(src, nRows, len, k, largest, true, v, i);
                return { v, i };
              });
              const what = `${nRows}x${len} k ${k} ${variant} largest ${largest}`;
              same(ts.i, nat.i, `${what} indices`);
              same(ts.v, nat.v, `${what} values`);
              if (variant === "distinct" || variant === "nan") {
                // distinct keys: the first k of the stable sort are the only answer
                const all = new Float64Array(nRows * len);
                sortRows(src, nRows, len, largest, true, new Ctor(nRows * len), all);
                for (let r = 0; r < nRows; r++)
                  same(nat.i.subarray(r * k, r * k + k), all.subarray(r * len, r * len + k), what);
              }
            }
    },
  );
}

test("native sort and topk refuse out-of-bounds sizes", { skip }, () => {
  const saved = setNativeSortThreshold(0);
  try {
    const a = new Float32Array(10);
    assert.throws(
      () => sortRows(a, 2, 10, false, false, new Float32Array(20), new Float64Array(20)),
      /sortRows: input out of bounds/,
    );
    assert.throws(
      () => topkRows(a, 1, 10, 3, true, true, new Float32Array(2), new Float64Array(3)),
      /topkRows: output out of bounds/,
    );
  } finally {
    setNativeSortThreshold(saved);
  }
});
