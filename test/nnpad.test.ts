/**
 * Padding, resampling and vision functions and layers against PyTorch 1.13
 * (test/fixtures/nnpad.json, from scripts/fixtures/nnpad_fx.py): F.pad in every mode,
 * F.interpolate / upsample*, pixel_(un)shuffle, fold / unfold, grid_sample, affine_grid (values,
 * grad_fn names, gradients, the double backward through the `*_backward` ops), their errors
 * (inputs unchanged), and the modules (repr, state dict, forward, gradients), including the
 * convolutions' paddingMode; float64 gradchecks of the new primitives.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import * as torch from "../src/index.js";
import type { Tensor } from "../src/index.js";
import * as nn from "../src/nn/index.js";
import { fromFlatRec, readFixture, type Err, type FlatRec } from "./helpers/fixtures.js";
import { skip } from "./helpers/native.js";
import { setNativeFamily } from "../src/backend/native.js";

const F = nn.functional;

interface FunctionalCase {
  inputs: Record<string, FlatRec>;
  diff: string[];
  out: FlatRec;
  grad_fn: string | null;
  w: FlatRec;
  grads: FlatRec[];
  grad_grad_fn: string | null;
  u?: FlatRec;
  ggw?: FlatRec;
}
interface ModuleCase {
  repr: string;
  state_dict: Record<string, FlatRec>;
  x: FlatRec;
  out: FlatRec;
  grad_fn: string | null;
  w: FlatRec;
  x_grad: FlatRec | null;
  param_grads: Record<string, FlatRec>;
}
const fx = readFixture<{
  functional: Record<string, FunctionalCase>;
  errors: Record<string, Err>;
  modules: Record<string, ModuleCase>;
}>("nnpad.json");

function close(t: Tensor, r: FlatRec, what: string, rtol = 1e-6, atol = 1e-9): void {
  assert.deepEqual(t.shape, r.shape, `${what}: shape`);
  assert.equal(t.dtype.name, r.dtype, `${what}: dtype`);
  const a = (t.detach().contiguous().reshape([-1]).tolist() as number[]).map(Number);
  const e = r.values.map(Number);
  for (let i = 0; i < e.length; i++) {
    if (!(Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i])))
      assert.fail(`${what}[${i}]: ${a[i]} vs PyTorch ${e[i]}`);
  }
}

/** Silence the deprecation / align_corners warnings PyTorch prints for some calls. */
function quiet<T>(f: () => T): T {
  const warn = console.warn;
  console.warn = () => {};
  try {
    return f();
  } finally {
    console.warn = warn;
  }
}

type In = Record<string, Tensor>;
// the cases of nnpad_fx.py, written with tensorgrad's API (positional and options forms mixed)
const CASES: Record<string, (i: In) => Tensor> = {
  pad_constant: ({ x }) => F.pad(x, [1, 2, 0, 1], { value: 1.5 }),
  pad_constant_neg: ({ x }) => F.pad(x, [-1, 2]),
  pad_reflect1d: ({ x }) => F.pad(x, [2, 3], { mode: "reflect" }),
  pad_reflect1d_unbatched: ({ x }) => F.pad(x, [4, 1], "reflect"),
  pad_reflect1d_neg: ({ x }) => F.pad(x, [-2, 3], "reflect"),
  pad_reflect2d: ({ x }) => F.pad(x, [1, 2, 3, 1], "reflect"),
  pad_reflect3d: ({ x }) => F.pad(x, [1, 2, 2, 1, 1, 2], "reflect"),
  pad_replicate1d: ({ x }) => F.pad(x, [3, 1], "replicate"),
  pad_replicate2d: ({ x }) => F.pad(x, [2, 3, 1, 4], { mode: "replicate" }),
  pad_replicate3d: ({ x }) => F.pad(x, [1, 0, 2, 1, 0, 3], "replicate"),
  pad_replicate2d_neg: ({ x }) => F.pad(x, [-1, 2, 1, -2], "replicate"),
  pad_circular1d: ({ x }) => F.pad(x, [2, 3], "circular"),
  pad_circular2d: ({ x }) => F.pad(x, [1, 2, 3, 1], "circular"),
  pad_circular3d: ({ x }) => F.pad(x, [1, 1, 2, 0, 1, 2], "circular"),
  pad_circular_neg: ({ x }) => F.pad(x, [-1, 2], "circular"),
  nearest1d: ({ x }) => F.interpolate(x, { size: 8 }),
  nearest2d_scale: ({ x }) => F.interpolate(x, null, [1.7, 0.6]),
  nearest2d_x2: ({ x }) => F.interpolate(x, { scaleFactor: 2 }),
  nearest3d: ({ x }) => F.interpolate(x, [3, 4, 5]),
  nearest_exact1d: ({ x }) => F.interpolate(x, 4, null, "nearest-exact"),
  nearest_exact2d: ({ x }) => F.interpolate(x, { scaleFactor: 1.5, mode: "nearest-exact" }),
  nearest_exact3d: ({ x }) => F.interpolate(x, { size: [2, 5, 3], mode: "nearest-exact" }),
  linear: ({ x }) => F.interpolate(x, { size: 9, mode: "linear" }),
  linear_ac: ({ x }) => F.interpolate(x, null, 1.6, "linear", true),
  linear_down: ({ x }) => F.interpolate(x, { size: 4, mode: "linear" }),
  bilinear: ({ x }) => F.interpolate(x, { size: [5, 7], mode: "bilinear" }),
  bilinear_ac: ({ x }) =>
    F.interpolate(x, { scaleFactor: [2, 1.5], mode: "bilinear", alignCorners: true }),
  bilinear_recompute: ({ x }) =>
    F.interpolate(x, { scaleFactor: 1.3, mode: "bilinear", recomputeScaleFactor: true }),
  bicubic: ({ x }) => F.interpolate(x, { size: [7, 3], mode: "bicubic" }),
  bicubic_ac: ({ x }) =>
    F.interpolate(x, { scaleFactor: 2.5, mode: "bicubic", alignCorners: true }),
  trilinear: ({ x }) => F.interpolate(x, { size: [3, 5, 2], mode: "trilinear" }),
  trilinear_ac: ({ x }) =>
    F.interpolate(x, { scaleFactor: 2, mode: "trilinear", alignCorners: true }),
  area1d: ({ x }) => F.interpolate(x, { size: 3, mode: "area" }),
  area2d: ({ x }) => F.interpolate(x, { scaleFactor: 0.5, mode: "area" }),
  upsample: ({ x }) => F.upsample(x, { scaleFactor: 2, mode: "bilinear" }),
  upsample_nearest: ({ x }) => F.upsampleNearest(x, { size: [4, 5] }),
  upsample_bilinear: ({ x }) => F.upsampleBilinear(x, { scaleFactor: 2 }),
  pixel_shuffle: ({ x }) => F.pixelShuffle(x, 2),
  pixel_shuffle_batch: ({ x }) => torch.pixelShuffle(x, 3),
  pixel_unshuffle: ({ x }) => F.pixelUnshuffle(x, { downscaleFactor: 2 }),
  unfold: ({ x }) => F.unfold(x, [2, 3], { dilation: [1, 1], padding: 1, stride: [2, 1] }),
  unfold_unbatched: ({ x }) => F.unfold(x, 2, { dilation: 2 }),
  fold: ({ x }) => F.fold(x, [3, 4], [2, 2], { stride: [1, 1], padding: 0 }),
  fold_pad: ({ x }) => F.fold(x, 5, [2, 3], { padding: 1, stride: 2 }),
  grid_sample_bilinear: ({ x, g }) => F.gridSample(x, g.mul(1.3), { alignCorners: false }),
  grid_sample_bilinear_border_ac: ({ x, g }) =>
    F.gridSample(x, g.mul(1.4), { paddingMode: "border", alignCorners: true }),
  grid_sample_reflection: ({ x, g }) =>
    F.gridSample(x, g.mul(2.2), { paddingMode: "reflection", alignCorners: false }),
  grid_sample_reflection_ac: ({ x, g }) =>
    F.gridSample(x, g.mul(2.7), "bilinear", "reflection", true),
  grid_sample_nearest: ({ x, g }) =>
    F.gridSample(x, g.mul(1.1), { mode: "nearest", alignCorners: false }),
  grid_sample_bicubic: ({ x, g }) =>
    F.gridSample(x, g.mul(1.2), { mode: "bicubic", alignCorners: false }),
  grid_sample_bicubic_border: ({ x, g }) =>
    F.gridSample(x, g.mul(1.5), { mode: "bicubic", paddingMode: "border", alignCorners: true }),
  grid_sample_3d: ({ x, g }) => F.gridSample(x, g.mul(1.2), { alignCorners: false }),
  affine_grid: ({ t }) => F.affineGrid(t, [2, 1, 3, 4], { alignCorners: false }),
  affine_grid_ac: ({ t }) => F.affineGrid(t, [1, 3, 2, 3], true),
  affine_grid_3d: ({ t }) => F.affineGrid(t, [1, 1, 2, 3, 2], { alignCorners: false }),
};

test("nnpad: every fixture case has a tensorgrad call", () => {
  assert.deepEqual(Object.keys(CASES).sort(), Object.keys(fx.functional).sort());
});

for (const [name, c] of Object.entries(fx.functional)) {
  test(`nnpad functional: ${name}`, () => {
    const leaves: In = {};
    for (const [k, r] of Object.entries(c.inputs)) leaves[k] = fromFlatRec(r, c.diff.includes(k));
    const out = quiet(() => CASES[name](leaves));
    close(out, c.out, "out");
    assert.equal(out.gradFn?.name() ?? null, c.grad_fn, "grad_fn");
    const w = fromFlatRec(c.w, true);
    const grads = torch.autograd.grad(
      out,
      c.diff.map((k) => leaves[k]),
      { gradOutputs: w, createGraph: true },
    );
    c.grads.forEach((g, i) => close(grads[i] as Tensor, g, `grad ${c.diff[i]}`, 1e-6, 1e-8));
    // grid_sampler's backward has no derivative in PyTorch (NotImplemented); a circular pad's
    // CopySlices backward is AsStridedScatterBackward0 here (tensorgrad's CopySlices)
    if (!name.startsWith("grid_sample") && !name.startsWith("pad_circular"))
      assert.equal(grads[0]?.gradFn?.name() ?? null, c.grad_grad_fn, "the gradient's grad_fn");
    if (c.u !== undefined && c.ggw !== undefined) {
      const [ggw] = torch.autograd.grad((grads[0] as Tensor).mul(fromFlatRec(c.u)).sum(), [w]);
      close(ggw as Tensor, c.ggw, "double backward (d/dw)", 1e-6, 1e-8);
    }
  });
}

// the error cases of nnpad_fx.py
const z = (...s: number[]) => torch.zeros(s);
const ERRORS: Record<string, () => unknown> = {
  pad_odd: () => F.pad(z(2, 3), [1]),
  pad_too_long: () => F.pad(z(2), [1, 1, 1, 1]),
  pad_mode: () => F.pad(z(2, 3), [1, 1], { mode: "wrap" }),
  pad_value_mode: () => F.pad(z(2, 3), [1, 1], { mode: "reflect", value: 1.0 }),
  pad_reflect_too_big: () => F.pad(z(1, 2, 3), [3, 1], "reflect"),
  pad_reflect2d_too_big: () => F.pad(z(1, 2, 3, 3), [1, 1, 1, 3], "reflect"),
  pad_reflect_4d_1pad: () => F.pad(z(1, 2, 3, 4), [1, 1], "reflect"),
  pad_circular_unbatched: () => F.pad(z(3, 4), [1, 1], "circular"),
  pad_circular_neg_empty: () => F.pad(z(1, 2, 3), [-3, -1], "circular"),
  pad_circular_wrap: () => F.pad(z(1, 2, 3), [4, 1], "circular"),
  pad_replicate_empty: () => F.pad(z(1, 0, 3), [1, 1], "replicate"),
  pad_reflect_int: () => F.pad(torch.zeros([1, 2, 3], { dtype: torch.int64 }), [1, 1], "reflect"),
  interp_align_nearest: () => F.interpolate(z(1, 1, 3), { size: 4, alignCorners: true }),
  interp_both: () => F.interpolate(z(1, 1, 3), { size: 4, scaleFactor: 2 }),
  interp_neither: () => F.interpolate(z(1, 1, 3)),
  interp_size_len: () => F.interpolate(z(1, 1, 3), { size: [4, 4] }),
  interp_scale_len: () => F.interpolate(z(1, 1, 3, 3), { scaleFactor: [2.0] }),
  interp_recompute_size: () => F.interpolate(z(1, 1, 3), { size: 4, recomputeScaleFactor: true }),
  interp_bilinear_3d: () => F.interpolate(z(1, 1, 3), { size: 4, mode: "bilinear" }),
  interp_linear_4d: () => F.interpolate(z(1, 1, 3, 3), { size: 4, mode: "linear" }),
  interp_2d_input: () => F.interpolate(z(1, 3), { size: 4 }),
  interp_antialias_linear: () =>
    F.interpolate(z(1, 1, 3), { size: 4, mode: "linear", antialias: true }),
  interp_zero_out: () => F.interpolate(z(1, 1, 3, 3), { scaleFactor: 0.2, mode: "bilinear" }),
  pixel_shuffle_dims: () => F.pixelShuffle(z(4, 2), 2),
  pixel_shuffle_channels: () => F.pixelShuffle(z(1, 6, 2, 2), 2),
  pixel_shuffle_factor: () => F.pixelShuffle(z(1, 4, 2, 2), 0),
  pixel_unshuffle_h: () => F.pixelUnshuffle(z(1, 1, 3, 4), 2),
  pixel_unshuffle_w: () => F.pixelUnshuffle(z(1, 1, 4, 3), 2),
  channel_shuffle_groups: () => F.channelShuffle(z(1, 6, 2, 2), 4),
  channel_shuffle_dims: () => F.channelShuffle(z(1, 6), 2),
  unfold_dims: () => F.unfold(z(2, 3), 2),
  unfold_kernel: () => F.unfold(z(1, 1, 3, 3), 0),
  unfold_big: () => F.unfold(z(1, 1, 3, 3), 4),
  fold_div: () => F.fold(z(1, 5, 4), 3, 2),
  fold_blocks: () => F.fold(z(1, 4, 9), 3, 2),
  grid_sample_mode: () => F.gridSample(z(1, 1, 2, 2), z(1, 1, 1, 2), { mode: "linear" }),
  grid_sample_pad: () => F.gridSample(z(1, 1, 2, 2), z(1, 1, 1, 2), { paddingMode: "wrap" }),
  grid_sample_last: () => F.gridSample(z(1, 1, 2, 2), z(1, 1, 1, 3), { alignCorners: false }),
  grid_sample_batch: () => F.gridSample(z(2, 1, 2, 2), z(1, 1, 1, 2), { alignCorners: false }),
  grid_sample_bicubic3d: () =>
    F.gridSample(z(1, 1, 2, 2, 2), z(1, 1, 1, 1, 3), { mode: "bicubic", alignCorners: false }),
  affine_grid_shape: () => F.affineGrid(z(1, 3, 3), [1, 1, 2, 2], { alignCorners: false }),
  affine_grid_size: () => F.affineGrid(z(1, 2, 3), [1, 1, 2], { alignCorners: false }),
  affine_grid_int: () =>
    F.affineGrid(torch.zeros([1, 2, 3], { dtype: torch.int64 }), [1, 1, 2, 2], {
      alignCorners: false,
    }),
  conv_padding_mode_transposed: () =>
    new nn.ConvTranspose2d(1, 1, 3, { paddingMode: "reflect" as "zeros" }),
};

test("nnpad: every fixture error has a tensorgrad call", () => {
  assert.deepEqual(Object.keys(ERRORS).sort(), Object.keys(fx.errors).sort());
});

for (const [name, e] of Object.entries(fx.errors)) {
  test(`nnpad error: ${name}`, () => {
    assert.throws(
      () => quiet(ERRORS[name]),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.equal(err.constructor.name, e.type, `class of "${err.message}"`);
        assert.equal(err.message, e.message);
        return true;
      },
    );
  });
}

test("nnpad: a failed pad leaves its input and graph unchanged", () => {
  const x = torch.arange(6, { dtype: torch.float32 }).reshape([1, 2, 3]).requiresGrad_();
  const y = x.mul(2);
  assert.throws(() => F.pad(y, [3, 1], "reflect"));
  assert.throws(() => F.pad(y, [4, 1], "circular"));
  assert.deepEqual(y.tolist(), [
    [
      [0, 2, 4],
      [6, 8, 10],
    ],
  ]);
  assert.equal(y.gradFn?.name(), "MulBackward0");
  assert.equal(y._version.value, 0);
});

// the modules of nnpad_fx.py, built under manualSeed(0)
const MODULES: Record<string, () => nn.Module> = {
  ConstantPad1d: () => new nn.ConstantPad1d(2, 3.5),
  ConstantPad2d: () => new nn.ConstantPad2d([1, 0, 2, 1], -1.0),
  ConstantPad3d: () => new nn.ConstantPad3d({ padding: 1, value: 0.5 }),
  ZeroPad2d: () => new nn.ZeroPad2d([1, 2, 0, 1]),
  ReflectionPad1d: () => new nn.ReflectionPad1d([2, 1]),
  ReflectionPad2d: () => new nn.ReflectionPad2d(2),
  ReflectionPad3d: () => new nn.ReflectionPad3d({ padding: 1 }),
  ReplicationPad1d: () => new nn.ReplicationPad1d(3),
  ReplicationPad2d: () => new nn.ReplicationPad2d([1, 2, 0, 3]),
  ReplicationPad3d: () => new nn.ReplicationPad3d([1, 0, 1, 2, 0, 1]),
  Upsample: () => new nn.Upsample({ scaleFactor: 2, mode: "bilinear" }),
  Upsample_size: () => new nn.Upsample([3, 5], null, "nearest"),
  Upsample_tuple: () => new nn.Upsample(null, [2, 1.5], "bicubic", true),
  UpsamplingNearest2d: () => new nn.UpsamplingNearest2d({ scaleFactor: 3 }),
  UpsamplingBilinear2d: () => new nn.UpsamplingBilinear2d([4, 3]),
  PixelShuffle: () => new nn.PixelShuffle(2),
  PixelUnshuffle: () => new nn.PixelUnshuffle({ downscaleFactor: 2 }),
  ChannelShuffle: () => new nn.ChannelShuffle(3),
  Fold: () => new nn.Fold([3, 3], 2),
  Unfold: () => new nn.Unfold([2, 3], { padding: 1, stride: 2 }),
  Conv2d_reflect: () => new nn.Conv2d(2, 3, 3, { padding: 1, paddingMode: "reflect" }),
  Conv2d_replicate: () =>
    new nn.Conv2d(2, 2, [3, 2], { padding: [2, 1], stride: 2, paddingMode: "replicate" }),
  Conv2d_circular: () =>
    new nn.Conv2d(1, 2, 3, { padding: [1, 2], paddingMode: "circular", bias: false }),
  Conv2d_same_reflect: () =>
    new nn.Conv2d(1, 2, [2, 3], { padding: "same", paddingMode: "reflect" }),
  Conv1d_circular: () =>
    new nn.Conv1d(2, 3, 3, { padding: 2, dilation: 2, paddingMode: "circular" }),
  Conv1d_reflect: () => new nn.Conv1d(1, 2, 4, { padding: 1, paddingMode: "reflect" }),
};

test("nnpad: every fixture module has a tensorgrad constructor", () => {
  assert.deepEqual(Object.keys(MODULES).sort(), Object.keys(fx.modules).sort());
});

for (const [name, c] of Object.entries(fx.modules)) {
  test(`nnpad module: ${name}`, () => {
    torch.manualSeed(0);
    const m = MODULES[name]();
    assert.equal(String(m), c.repr);
    const sd = m.stateDict();
    assert.deepEqual(Object.keys(sd), Object.keys(c.state_dict));
    for (const [k, r] of Object.entries(c.state_dict)) close(sd[k], r, `stateDict ${k}`, 0, 0);
    const x = fromFlatRec(c.x, c.x_grad !== null);
    const out = (m as unknown as { call(x: Tensor): Tensor }).call(x);
    close(out, c.out, "out", 1e-5, 1e-6);
    if (c.x_grad === null) return;
    assert.equal(out.gradFn?.name() ?? null, c.grad_fn, "grad_fn");
    out.mul(fromFlatRec(c.w)).sum().backward();
    close(x.grad as Tensor, c.x_grad, "x.grad", 1e-5, 1e-6);
    const params = Object.fromEntries(m.namedParameters());
    for (const [k, r] of Object.entries(c.param_grads))
      close(params[k].grad as Tensor, r, `${k}.grad`, 1e-5, 1e-5);
  });
}

test("nnpad: gradcheck and gradgradcheck of the padding and upsampling primitives", () => {
  const { gradcheck, gradgradcheck } = torch.autograd;
  const x = torch.randn([1, 2, 3, 4], { dtype: torch.float64 }).requiresGrad_();
  const fns: ((t: Tensor) => Tensor)[] = [
    (t) => F.pad(t, [2, 1, 1, 2], "reflect"),
    (t) => F.pad(t, [2, 1, 3, 0], "replicate"),
    (t) => F.pad(t, [1, 2, 2, 1], "circular"),
    (t) => F.interpolate(t, { size: [5, 7], mode: "bilinear" }),
    (t) => F.interpolate(t, { scaleFactor: 1.5, mode: "bicubic", alignCorners: true }),
    (t) => F.interpolate(t, { size: [4, 6], mode: "nearest-exact" }),
    (t) => F.unfold(t, 2, { padding: 1 }),
    (t) => F.pixelUnshuffle(t, 1),
  ];
  for (const f of fns) {
    assert.ok(gradcheck(f, [x]));
    assert.ok(gradgradcheck(f, [x]));
  }
  const g = torch.rand([1, 2, 3, 2], { dtype: torch.float64 }).mul(2).sub(1).requiresGrad_();
  for (const mode of ["bilinear", "bicubic"] as const)
    assert.ok(gradcheck((a, b) => F.gridSample(a, b, { mode, alignCorners: false }), [x, g]));
});

test("nnpad: forward-mode AD (dual tensors and torch.func.jvp) against central differences", () => {
  const fw = torch.autograd.forwardAd;
  const x = torch.linspace(-2, 3, 40, { dtype: torch.float64 }).sin().reshape([1, 2, 4, 5]);
  const g = torch.linspace(-0.9, 0.8, 12, { dtype: torch.float64 }).reshape([1, 3, 2, 2]);
  const vx = torch.linspace(1, -1, 40, { dtype: torch.float64 }).cos().reshape([1, 2, 4, 5]);
  const vg = torch.linspace(0.3, -0.5, 12, { dtype: torch.float64 }).reshape([1, 3, 2, 2]);
  const eps = 1e-6;
  const cases: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ["grid bilinear", (a, b) => F.gridSample(a, b, { alignCorners: false })],
    ["grid bicubic", (a, b) => F.gridSample(a, b, { mode: "bicubic", alignCorners: true })],
    ["grid reflection", (a, b) => F.gridSample(a, b.mul(2), "bilinear", "reflection", false)],
    ["bilinear", (a) => F.interpolate(a, { scaleFactor: 1.5, mode: "bilinear" })],
    ["bicubic", (a) => F.interpolate(a, { size: [3, 7], mode: "bicubic" })],
    ["reflect", (a) => F.pad(a, [1, 2, 2, 1], "reflect")],
    ["replicate", (a) => F.pad(a, [3, 0, 1, 1], "replicate")],
    ["unfold", (a) => F.unfold(a, 2)],
    [
      "fold",
      (a) =>
        F.fold(a.flatten().narrow(0, 0, 32).reshape([1, 8, 4]), [3, 4], 2, { dilation: [1, 2] }),
    ],
    ["pixel_unshuffle", (a) => F.pixelUnshuffle(a.narrow(3, 0, 4), 2)],
    [
      "affine_grid",
      (_a, b) =>
        F.affineGrid(b.reshape([2, 6]).narrow(0, 0, 1).reshape([1, 2, 3]), [1, 1, 3, 2], true),
    ],
  ];
  for (const [name, f] of cases) {
    const num = f(x.add(vx.mul(eps)), g.add(vg.mul(eps)))
      .sub(f(x.sub(vx.mul(eps)), g.sub(vg.mul(eps))))
      .div(2 * eps);
    const dual = fw.dualLevel(
      () => fw.unpackDual(f(fw.makeDual(x, vx), fw.makeDual(g, vg))).tangent as Tensor,
    );
    const [, viaFunc] = torch.func.jvp(f, [x, g], [vx, vg]) as [Tensor, Tensor];
    for (const [how, t] of [
      ["dual", dual],
      ["torch.func.jvp", viaFunc],
    ] as const) {
      const err = t.sub(num).abs().max().item() as number;
      assert.ok(err < 1e-7, `${name} (${how}): ${err}`);
    }
  }
});

test(
  "nnpad: the native tap walk (native/resample.cc) matches its TypeScript twin bit for bit",
  { skip },
  () => {
    const cases: [string, (t: Tensor) => Tensor][] = [
      ["nearest", (t) => F.interpolate(t, { scaleFactor: 2 })],
      ["nearest-exact", (t) => F.interpolate(t, { size: [11, 5], mode: "nearest-exact" })],
      ["bilinear", (t) => F.interpolate(t, { size: [13, 9], mode: "bilinear" })],
      [
        "bicubic",
        (t) => F.interpolate(t, { scaleFactor: 1.7, mode: "bicubic", alignCorners: true }),
      ],
      ["reflect", (t) => F.pad(t, [3, 2, 1, 4], "reflect")],
      ["replicate", (t) => F.pad(t, [-1, 5, 2, 0], "replicate")],
      [
        "trilinear",
        (t) =>
          F.interpolate(t.unsqueeze(2).expand([3, 5, 3, 7, 6]), {
            size: [4, 9, 5],
            mode: "trilinear",
          }),
      ],
    ];
    for (const dtype of [torch.float32, torch.float64]) {
      for (const [name, f] of cases) {
        const run = () => {
          const x = torch
            .linspace(-3, 5, 3 * 5 * 7 * 6, { dtype })
            .sin()
            .reshape([3, 5, 7, 6]);
          const xg = x.clone().requiresGrad_();
          const y = f(xg);
          const g = torch.linspace(1, -2, y.numel(), { dtype }).cos().reshape(y.shape);
          y.backward(g);
          return [
            y.flatten().tolist() as number[],
            (xg.grad as Tensor).flatten().tolist() as number[],
          ];
        };
        setNativeFamily("resample", false);
        let ts: number[][];
        try {
          ts = run();
        } finally {
          setNativeFamily("resample", true);
        }
        const nat = run();
        for (let k = 0; k < 2; k++) {
          assert.equal(ts[k].length, nat[k].length);
          ts[k].forEach((v, i) => {
            if (!Object.is(v, nat[k][i]))
              assert.fail(
                `${name} ${dtype.name} ${k ? "backward" : "forward"}[${i}]: ${v} vs ${nat[k][i]}`,
              );
          });
        }
      }
    }
  },
);
