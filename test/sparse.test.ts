/**
 * Sparse COO tensors against PyTorch 1.13 (test/fixtures/sparse.json, made by
 * scripts/fixtures/sparse_fx.py): each case is a small program run here under the same name;
 * every key it yields (tensors with their indices, values, coalesced flag, requires_grad and
 * grad_fn; printed strings; numbers; errors) is compared with PyTorch's. A NotImplementedError
 * is compared up to its first sentence: PyTorch then lists its build's backends, tensorgrad
 * what it implements (Note [sparse tensors] in src/ops/sparse.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import { readFixture } from "./helpers/fixtures.js";
import { layoutRecord as T } from "./helpers/sparse-record.js";

type Out = unknown;
interface Fixture {
  torch: string;
  cases: Record<string, Record<string, Out>>;
}
const fx = readFixture<Fixture>("sparse.json");

/** The error `fn` raises, as the fixture records it (sparse_fx.py's `E`). */
function E(fn: () => unknown): Out {
  try {
    fn();
  } catch (e) {
    const err = e as Error;
    let message = err.message;
    if (err.name === "NotImplementedError" && message.startsWith("Could not run"))
      message = message.slice(0, message.indexOf(". ") + 1);
    return { type: err.name, message };
  }
  throw new Error("expected an error");
}

const idx = (): number[][] => [
  [0, 1, 1],
  [2, 0, 2],
];
const basic = (opts: { requiresGrad?: boolean } = {}): Tensor =>
  torch.sparseCooTensor(idx(), torch.tensor([3, 4, 5]), [2, 3], opts);
const DUP_I = [
  [1, 0, 1, 0],
  [0, 2, 0, 1],
];
const dup = (): Tensor => torch.sparseCooTensor(DUP_I, [1, 2, 3, 4], [2, 3]);
const W23 = (): Tensor =>
  torch.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

/** The programs of sparse_fx.py, one per case, yielding the same keys. */
const CASES: Record<string, () => Record<string, Out>> = {
  create_basic: () => {
    const s = basic();
    return {
      s: T(s),
      str: String(s),
      is_coalesced: s.isCoalesced(),
      nnz: s._nnz(),
      sparse_dim: s.sparseDim(),
      dense_dim: s.denseDim(),
      layout: `torch.${s.layout}`,
      is_sparse: s.isSparse,
      shape: Array.from(s.shape),
      dim: s.dim(),
      numel: s.numel(),
      indices_err: E(() => s.indices()),
      values_err: E(() => s.values()),
      _indices: T(s._indices()),
      _values: T(s._values()),
      dense: T(s.toDense()),
      repr_grad: String(basic({ requiresGrad: true })),
    };
  },
  create_inferred: () => {
    // Python's int list is int64; a JS number list is float32 (as torch.tensor), so say int64
    const s = torch.sparseCooTensor([[0, 1, 0]], torch.tensor([1, 2, 3], { dtype: torch.int64 }));
    const c = s.coalesce();
    return {
      s: T(s),
      str: String(s),
      c: T(c),
      c_str: String(c),
      indices: T(c.indices()),
      values: T(c.values()),
      f64: T(torch.sparseCooTensor([[0, 2]], [1.0, 2.0], { dtype: torch.float64 })),
      one: T(torch.sparseCooTensor([[1], [2]], [7.0])),
    };
  },
  create_hybrid: () => {
    const s = torch.sparseCooTensor(
      [[0, 2]],
      [
        [1, 2],
        [3, 4],
      ],
      [3, 2],
    );
    return {
      s: T(s),
      str: String(s),
      sparse_dim: s.sparseDim(),
      dense_dim: s.denseDim(),
      dense: T(s.toDense()),
    };
  },
  create_empty: () => {
    const s = torch.sparseCooTensor(
      torch.zeros([2, 0], { dtype: torch.int64 }),
      torch.zeros(0),
      [2, 2],
    );
    return { s: T(s), str: String(s), dense: T(s.toDense()), coalesced: T(s.coalesce()) };
  },
  create_errors: () => {
    const i = torch.tensor(idx());
    const v = torch.tensor([3, 4, 5]);
    return {
      size_small: E(() => torch.sparseCooTensor(i, v, [2, 2])),
      negative: E(() => torch.sparseCooTensor([[0, -1]], [1, 2], [3])),
      nnz_mismatch: E(() => torch.sparseCooTensor(i, torch.tensor([1, 2]), [2, 3])),
      indices_1d: E(() => torch.sparseCooTensor(torch.tensor([0, 1, 1]), v, [2, 3])),
      size_dims: E(() => torch.sparseCooTensor(i, v, [2])),
      int_grad: E(() =>
        torch.sparseCooTensor(i, torch.tensor([1, 2, 3], { dtype: torch.int64 }), [2, 3], {
          requiresGrad: true,
        }),
      ),
    };
  },
  to_sparse: () => {
    const d = torch.tensor([
      [0, 1.5, 0],
      [2, 0, -1],
    ]);
    const s = d.toSparse();
    const s1 = d.toSparse(1);
    return {
      s: T(s),
      str: String(s),
      s1: T(s1),
      s1_str: String(s1),
      coo: T(d.toSparseCoo()),
      zeros: T(torch.zeros(2, 2).toSparse()),
      ints: T(torch.tensor([0, 3, 0, 4], { dtype: torch.int64 }).toSparse()),
      roundtrip: T(s.toDense()),
      again: E(() => s.toSparse()),
    };
  },
  to_sparse_grad: () => {
    const d = torch.tensor(
      [
        [0, 1.5],
        [2, 0],
      ],
      { requiresGrad: true },
    );
    const s = d.toSparse();
    s.toDense()
      .mul(
        torch.tensor([
          [1, 2],
          [3, 4],
        ]),
      )
      .sum()
      .backward();
    return { s: T(s), str: String(s), grad: T(d.grad) };
  },
  coalesce: () => {
    const s = dup();
    const c = s.coalesce();
    return {
      s: T(s),
      c: T(c),
      c_str: String(c),
      c_is: c.isCoalesced(),
      again: c.coalesce() === c,
      indices: T(c.indices()),
      values: T(c.values()),
      nnz: c._nnz(),
      dense: T(s.toDense()),
    };
  },
  to_dense_grad: () => {
    const v = torch.tensor([1, 2, 3, 4], { requiresGrad: true });
    const s = torch.sparseCooTensor(DUP_I, v, [2, 3]);
    const d = s.toDense();
    d.mul(W23()).sum().backward();
    return { s: T(s), str: String(s), d: T(d), d_str: String(d), v_grad: T(v.grad) };
  },
  coalesce_grad: () => {
    const v = torch.tensor([1, 2, 3, 4], { requiresGrad: true });
    const c = torch.sparseCooTensor(DUP_I, v, [2, 3]).coalesce();
    c.toDense().mul(W23()).sum().backward();
    return { c: T(c), c_str: String(c), v_grad: T(v.grad) };
  },
  sparse_mm: () => {
    const S = torch.sparseCooTensor(DUP_I, [1, 2, 3, 4], [2, 3], { requiresGrad: true });
    const D = torch.tensor(
      [
        [1, -1],
        [0.5, 2],
        [3, 0],
      ],
      { requiresGrad: true },
    );
    const y = torch.sparse.mm(S, D);
    y.mul(
      torch.tensor([
        [1, 2],
        [3, 4],
      ]),
    )
      .sum()
      .backward();
    return {
      y: T(y),
      y_str: String(y),
      S_grad: T(S.grad),
      S_grad_str: String(S.grad),
      D_grad: T(D.grad),
    };
  },
  mm_dense_grad: () => {
    const S = torch.sparseCooTensor(DUP_I, [1, 2, 3, 4], [2, 3]);
    const D = torch.tensor(
      [
        [1, -1],
        [0.5, 2],
        [3, 0],
      ],
      { requiresGrad: true },
    );
    const y = torch.mm(S, D);
    const z = S.matmul(D);
    y.sum().backward();
    const Sg = S.clone().requiresGrad_();
    return {
      y: T(y),
      z: T(z),
      D_grad: T(D.grad),
      self_grad_err: E(() => torch.mm(Sg, D)),
      vec: T(S.matmul(torch.tensor([1, 2, 3]))),
      dense_sparse: E(() => torch.mm(D.detach().t(), S)),
      shape_err: E(() => torch.sparse.mm(S, torch.ones(2, 2))),
    };
  },
  sparse_sum: () => {
    const v = torch.tensor([1, 2, 3, 4], { requiresGrad: true });
    const s = torch.sparseCooTensor(DUP_I, v, [2, 3]);
    const total = torch.sparse.sum(s);
    const r1 = torch.sparse.sum(s, 1);
    const r0 = torch.sparse.sum(s, 0);
    const both = torch.sparse.sum(s, [0, 1]);
    total.mul(2).backward();
    return {
      total: T(total),
      total_str: String(total),
      r1: T(r1),
      r1_str: String(r1),
      r0: T(r0),
      both: T(both),
      v_grad: T(v.grad),
    };
  },
  sparse_sum_leaf: () => {
    const S = torch.sparseCooTensor(DUP_I, [1, 2, 3, 4], [2, 3], { requiresGrad: true });
    torch.sparse.sum(S).backward();
    return { S_grad: T(S.grad) };
  },
  add_mul_t: () => {
    const a = dup();
    const b = torch.sparseCooTensor(
      [
        [0, 1],
        [1, 1],
      ],
      [10, 20],
      [2, 3],
    );
    const d = W23();
    return {
      add: T(a.add(b)),
      add_str: String(a.add(b)),
      add_alpha: T(a.add(b, { alpha: 2 })),
      add_self: T(a.add(a)),
      dense_add: T(d.add(a)),
      sparse_dense: E(() => a.add(d)),
      mul: T(a.mul(2)),
      mul_op: T(a.mul(0.5)),
      mul_tensor: T(a.mul(torch.tensor(3))),
      t: T(a.t()),
      t_str: String(a.t()),
      transpose: T(a.transpose(0, 1)),
      size_err: E(() => a.add(torch.sparseCooTensor([[0]], [1], [4]))),
    };
  },
  add_mul_grad: () => {
    const v = torch.tensor([1, 2, 3, 4], { requiresGrad: true });
    const s = torch.sparseCooTensor(DUP_I, v, [2, 3]);
    const b = torch.sparseCooTensor(
      [
        [0, 1],
        [1, 1],
      ],
      [10, 20],
      [2, 3],
    );
    const u = s.mul(3).add(b).t();
    const w = torch.tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    u.toDense().mul(w).sum().backward();
    return { u: T(u), u_str: String(u), v_grad: T(v.grad) };
  },
  softmax: () => {
    const s = torch.sparseCooTensor(
      [
        [0, 0, 1, 1],
        [0, 2, 1, 2],
      ],
      [1, 2, 3, -1],
      [2, 3],
    );
    return {
      softmax: T(torch.sparse.softmax(s, 1)),
      softmax_str: String(torch.sparse.softmax(s, 1)),
      softmax0: T(torch.sparse.softmax(s, 0)),
      log_softmax: T(torch.sparse.logSoftmax(s, 1)),
    };
  },
  binary: () => {
    const expected = fx.cases.binary;
    const ops = (): [Tensor, Tensor, Tensor] => [
      torch.sparseCooTensor(DUP_I, [1, 2, 3, 4], [2, 3], { requiresGrad: true }),
      torch.sparseCooTensor(
        [
          [0, 1],
          [1, 1],
        ],
        [10, 20],
        [2, 3],
        { requiresGrad: true },
      ),
      torch.tensor(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        { requiresGrad: true },
      ),
    ];
    const w = torch.tensor([
      [1, -2, 3],
      [0.5, 5, -1],
    ]);
    const cases: [string, (a: Tensor, b: Tensor, d: Tensor) => Tensor][] = [
      ["sub", (a, b) => a.sub(b)],
      ["sub_alpha", (a, b) => a.sub(b, { alpha: 2 })],
      ["dense_sub", (a, _b, d) => d.sub(a)],
      ["div", (a) => a.div(2)],
      ["div_tensor", (a) => a.div(torch.tensor(4))],
      ["mul_ss", (a, b) => a.mul(b)],
      ["mul_sd", (a, _b, d) => a.mul(d)],
      ["mul_ds", (a, _b, d) => d.mul(a)],
      ["pow2", (a) => a.pow(2)],
      ["pow_neg", (a) => a.pow(-1)],
    ];
    const out: Record<string, Out> = {};
    for (const [name, f] of cases) {
      const [a, b, d] = ops();
      const r = f(a, b, d);
      out[name] = T(r);
      // PyTorch 1.13's backward fails for some of these: compared where it runs
      if (`${name}_grads` in expected) {
        (r.isSparse ? r.toDense() : r).mul(w).sum().backward();
        out[`${name}_grads`] = [T(a.grad), T(b.grad), T(d.grad)];
      }
    }
    const [a, , d] = ops();
    out.sub_sd = E(() => a.sub(d));
    out.dense_div = E(() => d.div(a));
    out.pow0 = E(() => a.pow(0));
    return out;
  },
  softmax_grad: () => {
    const out: Record<string, Out> = {};
    const runs: [string, typeof torch.sparse.softmax, number][] = [
      ["softmax1", torch.sparse.softmax, 1],
      ["log_softmax1", torch.sparse.logSoftmax, 1],
      ["softmax0", torch.sparse.softmax, 0],
    ];
    for (const [name, fn, dim] of runs) {
      const v = torch.tensor([1, 2, 3, -1], { requiresGrad: true });
      const s = torch.sparseCooTensor(
        [
          [0, 0, 1, 1],
          [0, 2, 1, 2],
        ],
        v,
        [2, 3],
      );
      const y = fn(s, dim);
      y.toDense().mul(W23()).sum().backward();
      out[name] = T(y);
      out[`${name}_grad`] = T(v.grad);
    }
    return out;
  },
  not_implemented: () => {
    const s = basic();
    return {
      exp: E(() => torch.exp(s)),
      exp_method: E(() => s.exp()),
      view: E(() => s.view(6)),
      relu: E(() => torch.relu(s)),
      softmax: E(() => torch.softmax(s, 1)),
      log_softmax: E(() => torch.logSoftmax(s, 1)),
      exp_inplace: E(() => s.detach().exp_()),
      sum_dim: E(() => s.sum(1)),
      sum_all: E(() => s.sum()),
      tolist: E(() => s.tolist()),
      item: E(() => s.item()),
      reshape: E(() => s.reshape(6)),
    };
  },
  leaf_grads: () => {
    const S = torch.sparseCooTensor(DUP_I, [1, 2, 3, 4], [2, 3]);
    S.requiresGrad_();
    S.toDense().mul(W23()).sum().backward();
    const first = T(S.grad);
    const D = torch.tensor([
      [1, -1],
      [0.5, 2],
      [3, 0],
    ]);
    torch.sparse.mm(S, D).sum().backward();
    const second = T(S.grad);
    torch.sparse.sum(S).backward();
    return {
      S: T(S),
      S_str: String(S),
      first,
      second,
      third: T(S.grad),
      data: T(S.data),
      detach: T(S.detach()),
      is_leaf: S.isLeaf,
    };
  },
  to_dtype: () => {
    const s = dup();
    return {
      double: T(s.double()),
      double_str: String(s.double()),
      to: T(s.to(torch.float64)),
      clone: T(s.clone()),
      clone_str: String(basic({ requiresGrad: true }).clone()),
    };
  },
  unary: () => {
    const out: Record<string, Out> = {};
    const expected = fx.cases.unary;
    for (const op of Object.keys(expected)) {
      if (op.endsWith("_str") || op.endsWith("_grad") || op === "relu") continue;
      const v = torch.tensor([0.1, -0.2, 0.3, 0.4], { requiresGrad: true });
      const s = torch.sparseCooTensor(DUP_I, v, [2, 3]);
      const r = (s as unknown as Record<string, () => Tensor>)[camel(op)]();
      out[op] = T(r);
      if (`${op}_str` in expected) out[`${op}_str`] = String(r);
      // PyTorch 1.13 runs the backward of only some of these (the others call ops without
      // sparse kernels): compared where it does
      if (`${op}_grad` in expected) {
        const run = (): void => r.toDense().mul(W23()).sum().backward();
        out[`${op}_grad`] = op === "log1p" ? E(run) : (run(), T(v.grad));
      }
    }
    out.relu = E(() => basic().relu());
    return out;
  },
  addmm_spmm_legacy: () => {
    const S = torch.sparseCooTensor(DUP_I, [1, 2, 3, 4], [2, 3], { requiresGrad: true });
    const D = torch.tensor(
      [
        [1, -1],
        [0.5, 2],
        [3, 0],
      ],
      { requiresGrad: true },
    );
    const M = torch.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const y = torch.sparse.addmm(M, S, D, { beta: 0.5, alpha: 2 });
    y.mul(
      torch.tensor([
        [1, 2],
        [3, 4],
      ]),
    )
      .sum()
      .backward();
    const i = torch.tensor(
      [
        [0, 1],
        [1, 0],
      ],
      { dtype: torch.int64 },
    );
    return {
      y: T(y),
      M_grad: T(M.grad),
      S_grad: T(S.grad),
      D_grad: T(D.grad),
      row: T(torch.sparse.addmm(torch.tensor([1, -1]), S.detach(), D.detach())),
      spmm: T(torch.spmm(S.detach(), D)),
      spmm_err: E(() => torch.spmm(S, D)),
      float_f64: T(
        torch.sparse.FloatTensor(
          i,
          torch.tensor([1, 2], { dtype: torch.float64 }),
          new torch.Size([2, 2]),
        ),
      ),
      float_empty: T(torch.sparse.FloatTensor(2, 3)),
      float_empty_str: String(torch.sparse.FloatTensor(2, 3)),
      double: T(torch.sparse.DoubleTensor(i, torch.tensor([1, 2], { dtype: torch.float64 }))),
    };
  },
  methods: () => {
    const s = dup();
    const z = dup();
    z.zero_();
    return {
      T: T(s.T),
      mT: T(s.mT),
      H: T(s.H),
      is_contiguous: s.isContiguous(),
      storage_offset: s.storageOffset(),
      fill_: E(() => dup().fill_(1)),
      setitem: E(() => dup().indexPut_([0], 1)),
      apply_: E(() => dup().apply_((x) => x)),
      map_: E(() => dup().map_(dup(), (a) => a)),
      zero_: T(z),
      zero_str: String(z),
      zero_leaf: E(() => basic({ requiresGrad: true }).zero_()),
      backward: E(() => basic({ requiresGrad: true }).backward()),
      size: Array.from(s.size()),
      float: T(s.float()),
    };
  },
  select: () => {
    const v = torch.tensor([1, 2, 3, 4], { requiresGrad: true });
    const a = torch.sparseCooTensor(DUP_I, v, [2, 3]);
    const b = torch.sparseCooTensor([[1, 0, 1]], [1, 2, 3], [3]);
    const h = torch.sparseCooTensor(
      [[0, 1, 0]],
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [2, 2],
    );
    const r = a.index(1);
    return {
      row: T(r),
      row_str: String(r),
      col: T(a.select(1, 0)),
      last: T(a.index(-1)),
      one_d: T(b.index(1)),
      hybrid_row: T(h.index(0)),
      hybrid_dense: T(h.select(1, 1)),
      two: T(a.index(0, 1)),
      oob: E(() => a.index(5)),
      backward: E(() => r.toDense().sum().backward()),
    };
  },
  linear_unsqueeze_copy: () => {
    const S = torch.sparseCooTensor(idx(), [3, 4, 5], [2, 3]);
    const out: Record<string, Out> = {};
    const W = torch.tensor(
      [
        [1, 2, -1],
        [0.5, 0, 3],
      ],
      { requiresGrad: true },
    );
    const b = torch.tensor([1, 2], { requiresGrad: true });
    let y = torch.nn.functional.linear(S, W, b);
    y.mul(
      torch.tensor([
        [1, 2],
        [3, 4],
      ]),
    )
      .sum()
      .backward();
    out.linear_b = T(y);
    out.linear_b_grads = [T(W.grad), T(b.grad)];
    W.grad = null;
    y = torch.nn.functional.linear(S, W);
    y.sum().backward();
    out.linear = T(y);
    out.linear_grad = T(W.grad);
    out.addmm = T(torch.addmm(b.detach(), S, W.detach().t(), { beta: 2, alpha: 0.5 }));
    out.addmm_mat1_grad = E(() => torch.addmm(b, S.clone().requiresGrad_(), W.t()));
    const h = torch.sparseCooTensor(
      [[0, 1, 0]],
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [2, 2],
    );
    out.unsqueeze0 = T(S.unsqueeze(0));
    out.unsqueeze1 = T(S.unsqueeze(1));
    out.unsqueeze2 = T(S.unsqueeze(-1));
    out.unsqueeze_hybrid = T(h.unsqueeze(2));
    const v = torch.tensor([3, 4, 5], { requiresGrad: true });
    const u = torch.sparseCooTensor(idx(), v, [2, 3]).unsqueeze(1);
    out.unsqueeze_str = String(u);
    out.unsqueeze_backward = E(() =>
      u
        .toDense()
        .mul(torch.tensor([[[1, 2, 3]], [[4, 5, 6]]]))
        .sum()
        .backward(),
    );
    out.contiguous = S.contiguous() === S;
    const c = torch.sparseCooTensor([[0], [0]], [1], [1, 1]).double();
    c.copy_(S);
    out.copy = T(c);
    out.copy_dense = E(() => torch.zeros(2, 3).copy_(S));
    out.copy_to_dense = E(() => S.clone().copy_(torch.zeros(2, 3)));
    return out;
  },
  cat_stack: () => {
    const v = torch.tensor([1, 2, 3], { requiresGrad: true });
    const a = torch.sparseCooTensor(
      [
        [1, 0, 1],
        [0, 2, 0],
      ],
      v,
      [2, 3],
    );
    const b = torch.sparseCooTensor([[0], [1]], [7], [1, 3]);
    const r = torch.cat([a, b]);
    return {
      cat0: T(r),
      cat0_str: String(r),
      cat1: T(torch.cat([a, a], 1)),
      cat_neg: T(torch.cat([a, a], -1)),
      concat: T(torch.concat([b, a])),
      stack: T(torch.stack([a, a])),
      stack1: T(torch.stack([a, a], 1)),
      backward: E(() => r.toDense().sum().backward()),
      dense_operand: E(() => torch.cat([a, torch.ones(1, 3)])),
      sizes: E(() => torch.cat([a, torch.sparseCooTensor([[0], [1]], [7], [1, 4])])),
      dims: E(() => torch.cat([a, torch.sparseCooTensor([[0]], [[7, 1, 2]], [1, 3])])),
    };
  },
  gcn_training: () => {
    torch.manualSeed(0);
    const n = 6;
    const edges = torch.tensor(
      [
        [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 0, 5],
        [1, 0, 2, 1, 3, 2, 4, 3, 5, 4, 5, 0],
      ],
      { dtype: torch.int64 },
    );
    const loops = torch.arange(n).repeat(2, 1);
    const idx = torch.cat([edges, loops], 1);
    const a = torch.sparseCooTensor(idx, torch.ones(idx.shape[1]), [n, n]).coalesce();
    const deg = torch.sparse.sum(a, 1).toDense();
    const dinv = deg.pow(-0.5);
    const i = a.indices();
    const adj = torch.sparseCooTensor(
      i,
      a
        .values()
        .mul(dinv.index(i.index(0)))
        .mul(dinv.index(i.index(1))),
      [n, n],
    );
    const x = torch.randn(n, 4);
    const labels = torch.tensor([0, 1, 0, 1, 2, 2], { dtype: torch.int64 });
    const lin1 = new torch.nn.Linear(4, 8);
    const lin2 = new torch.nn.Linear(8, 3);
    const opt = new torch.optim.Adam([...lin1.parameters(), ...lin2.parameters()], { lr: 0.05 });
    const losses: number[] = [];
    for (let step = 0; step < 5; step++) {
      opt.zeroGrad();
      const h = torch.sparse.mm(adj, lin1.call(x)).relu();
      const out = torch.sparse.mm(adj, lin2.call(h));
      const loss = torch.nn.functional.crossEntropy(out, labels);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    return {
      adj: T(adj),
      losses,
      w1: T(lin1.weight),
      b2: T(lin2.bias),
      w2_grad: T(lin2.weight.grad),
    };
  },
  print: () => {
    const i = torch.tensor(
      [
        [0, 2],
        [1, 0],
      ],
      { dtype: torch.int64 },
    );
    const f64 = { dtype: torch.float64 };
    return {
      f64: String(torch.sparseCooTensor(i, torch.tensor([1.5, -2], f64), [3, 2])),
      int32: String(torch.sparseCooTensor(i, torch.tensor([1, 2], { dtype: torch.int32 }), [3, 2])),
      bool: String(torch.sparseCooTensor(i, torch.tensor([true, false]), [3, 2])),
      f64_grad: String(
        torch.sparseCooTensor(i, torch.tensor([1.5, -2], f64), [3, 2], { requiresGrad: true }),
      ),
      big: String(
        torch.sparseCooTensor(
          torch.arange(1200).unsqueeze(0),
          torch.arange(1200, { dtype: torch.float32 }),
          [1200],
        ),
      ),
      sci: String(torch.sparseCooTensor(i, torch.tensor([1e-8, 3e5]), [3, 2])),
      hybrid3: String(
        torch.sparseCooTensor(
          [[0, 1]],
          torch.arange(8, { dtype: torch.float32 }).reshape(2, 2, 2),
          [2, 2, 2],
        ),
      ),
      scalar_values: String(
        torch.sparseCooTensor(torch.zeros([0, 1], { dtype: torch.int64 }), torch.tensor([3]), []),
      ),
    };
  },
  values_grad: () => {
    const S = torch.sparseCooTensor([[0, 1]], [1, 2], [3], { requiresGrad: true });
    const c = S.coalesce();
    const v = c.values();
    v.mul(torch.tensor([3, 4]))
      .sum()
      .backward();
    return { c: T(c), v: T(v), S_grad: T(S.grad), _values: T(c._values()) };
  },
  dtype_args: () => {
    const s = dup();
    const f64 = torch.float64;
    return {
      sum: T(torch.sparse.sum(s, 1, f64)),
      sum_all: T(torch.sparse.sum(s, { dtype: f64 })),
      softmax: T(torch.sparse.softmax(s, 1, f64)),
      log_softmax: T(torch.sparse.logSoftmax(s, { dim: 0, dtype: f64 })),
      size_kw: T(torch.sparseCooTensor([[0, 1]], [1, 2], { size: [4] })),
    };
  },
  gcn: () => {
    const adj = torch.sparseCooTensor(
      [
        [0, 0, 1, 1, 2, 2, 2],
        [0, 1, 0, 1, 1, 2, 0],
      ],
      [0.5, 0.5, 0.5, 0.5, 0.25, 0.5, 0.25],
      [3, 3],
    );
    const x = torch.tensor([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    const W = torch.tensor(
      [
        [0.5, -1, 0.25],
        [1.5, 0.5, -0.5],
      ],
      { requiresGrad: true },
    );
    const h = torch.sparse.mm(adj, x.mm(W)).relu();
    const loss = h.pow(2).sum();
    loss.backward();
    return { h: T(h), h_str: String(h), loss: T(loss), W_grad: T(W.grad) };
  },
};

const camel = (name: string): string =>
  name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Deep equality with float tolerance (float32 kernels sum in a different order than ATen's). */
function close(actual: unknown, expected: unknown, path: string): void {
  if (expected === "nan" || expected === "inf" || expected === "-inf") {
    const want = expected === "nan" ? NaN : expected === "inf" ? Infinity : -Infinity;
    assert.ok(Object.is(actual, want), `${path}: ${String(actual)} != ${expected}`);
    return;
  }
  if (typeof expected === "number" && typeof actual === "number") {
    const tol = 1e-6 + 1e-5 * Math.abs(expected);
    assert.ok(Math.abs(actual - expected) <= tol, `${path}: ${actual} != ${expected}`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((e, i) => close(actual[i], e, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === "object") {
    assert.ok(actual !== null && typeof actual === "object", `${path}: expected an object`);
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(e).sort(), `${path}: keys`);
    for (const k of Object.keys(e)) close(a[k], e[k], `${path}.${k}`);
    return;
  }
  assert.equal(actual, expected, path);
}

test("every fixture case has a program here, and every program a fixture case", () => {
  assert.deepEqual(Object.keys(CASES).sort(), Object.keys(fx.cases).sort());
});

for (const [name, expected] of Object.entries(fx.cases)) {
  test(`sparse: ${name}`, () => {
    const program = CASES[name];
    assert.ok(program !== undefined, `no program for ${name}`);
    const actual = program();
    for (const key of Object.keys(expected)) close(actual[key], expected[key], `${name}.${key}`);
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  });
}

test("torch.sparse's options objects bind as its positional arguments", () => {
  const s = dup();
  close(T(torch.sparse.sum(s, { dim: 1 })), T(torch.sparse.sum(s, 1)), "sum");
  close(T(torch.sparse.sum(s, { dim: [0, 1] })), T(torch.sparse.sum(s, [0, 1])), "sum dims");
  close(T(torch.sparse.softmax(s, { dim: 1 })), T(torch.sparse.softmax(s, 1)), "softmax");
  close(
    T(torch.sparseCooTensor(DUP_I, [1, 2, 3, 4], { size: [2, 3], dtype: torch.float64 })),
    T(torch.sparseCooTensor(DUP_I, [1, 2, 3, 4], [2, 3], { dtype: torch.float64 })),
    "sparseCooTensor",
  );
});

test("dense calls never reach the sparse path: a dense tensor's layout and registry ops", () => {
  const x = torch.ones(2, 2);
  assert.equal(x.layout, torch.strided);
  assert.equal(x.isSparse, false);
  assert.equal(x._rare, null);
  assert.equal(String(x.exp().sum()), String(torch.tensor(4 * Math.E)));
});
