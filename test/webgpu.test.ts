/**
 * The WebGPU device in Node (the `webgpu` package, Dawn): the device cases of
 * test/helpers/webgpu-cases.ts against the CPU within float32 tolerances, autograd on the
 * device, the same-device and synchronous-read errors. Dawn needs a Vulkan driver: where the
 * process finds no adapter and Chromium's SwiftShader is installed, the file re-runs itself with
 * SwiftShader as the Vulkan driver; with neither, the tests skip and say why.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as torch from "../src/index.js";
import { OPTIMIZERS, runCases, runGradCases, runMlp } from "./helpers/webgpu-cases.js";

const SWIFTSHADER = "/usr/lib/chromium";
let skip: string | false = false;
let child = false;
let gpu: unknown = null;
try {
  const webgpu = await import("webgpu");
  Object.assign(globalThis, webgpu.globals);
  gpu = webgpu.create([]);
} catch (e) {
  skip = `the webgpu package does not load here: ${String(e)}`;
}
if (skip === false && !(await torch.webgpu.init(gpu as torch.GpuLike))) {
  if (
    process.env.TENSORGRAD_WEBGPU_CHILD === undefined &&
    existsSync(`${SWIFTSHADER}/libvk_swiftshader.so`)
  ) {
    child = true;
  } else
    skip =
      "no WebGPU adapter (Dawn found no Vulkan driver; Chromium's SwiftShader is not installed)";
}

if (child) {
  test("the WebGPU tests, with Chromium's SwiftShader as Dawn's Vulkan driver", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", "--test", fileURLToPath(import.meta.url)],
      {
        env: {
          ...process.env,
          // a plain run of the file, reporting TAP (not the parent runner's child protocol)
          NODE_TEST_CONTEXT: undefined,
          TENSORGRAD_WEBGPU_CHILD: "1",
          LD_LIBRARY_PATH: SWIFTSHADER,
          VK_ICD_FILENAMES: `${SWIFTSHADER}/vk_swiftshader_icd.json`,
        },
        encoding: "utf8",
        timeout: 300_000,
      },
    );
    process.stdout.write(
      r.stdout
        .split("\n")
        .filter((l) => /^# (pass|fail|skip)|not ok/.test(l))
        .join("\n") + "\n",
    );
    assert.equal(r.status, 0, r.stdout.slice(-4000) + r.stderr.slice(-2000));
  });
} else {
  const close = (a: number[], b: number[]): boolean =>
    a.length === b.length &&
    a.every(
      (v, i) =>
        Math.abs(v - b[i]) <= 1e-4 + 1e-4 * Math.abs(v) || (Number.isNaN(v) && Number.isNaN(b[i])),
    );

  test("ops on the device match the CPU", { skip }, async () => {
    const bad = (await runCases()).filter(
      (r) => !close(r.cpu, r.device) || String(r.shapeCpu) !== String(r.shapeDevice),
    );
    assert.deepEqual(
      bad.map((r) => r.name),
      [],
      JSON.stringify(bad),
    );
  });

  test("gradients computed on the device match the CPU's", { skip }, async () => {
    const bad = (await runGradCases()).filter((r) => !close(r.cpu, r.device));
    assert.deepEqual(
      bad.map((r) => r.name),
      [],
      JSON.stringify(bad),
    );
  });

  for (const [name, makeOpt] of OPTIMIZERS)
    test(
      `an MLP's ${name} steps on the device match the CPU's (losses and final weights)`,
      { skip },
      async () => {
        const { cpu, device } = await runMlp(makeOpt);
        assert.ok(
          close(cpu, device),
          JSON.stringify({ cpu: cpu.slice(0, 5), device: device.slice(0, 5) }),
        );
        // the loss moved (down, or up when maximizing): the steps did update the parameters
        assert.ok(name.includes("maximize") ? device[4] > device[0] : device[4] < device[0]);
      },
    );

  test("an optimizer without a device step says so", { skip }, () => {
    const p = torch.zeros(2, { device: "webgpu" }).requiresGrad_();
    p.grad = torch.ones(2, { device: "webgpu" });
    for (const opt of [
      new torch.optim.RMSprop([p], { lr: 0.1 }),
      new torch.optim.Adagrad([p], { lr: 0.1 }),
    ])
      assert.throws(
        () => opt.step(),
        /^NotImplementedError: \w+\.step\(\): a parameter is on the webgpu device; tensorgrad's webgpu device implements the steps of SGD, Adam and AdamW/,
      );
  });

  test("device, moves, printing, and the errors of reads and mixed devices", { skip }, async () => {
    const a = torch.tensor([1, 2, 3]).to("webgpu");
    assert.equal(String(a.device), "webgpu:0");
    assert.equal(a.isWebgpu, true);
    assert.equal(torch.ones(1).isCpu, true);
    assert.equal(await a.mul(2).toStringAsync(), "tensor([2., 4., 6.], device='webgpu:0')");
    assert.deepEqual(await a.tolistAsync(), [1, 2, 3]);
    assert.equal(String(torch.zeros(2, { device: "webgpu" }).device), "webgpu:0");
    assert.throws(() => a.tolist(), /asynchronously/);
    assert.throws(() => a.sum().item(), /asynchronously/);
    assert.throws(() => a.to("cpu"), /await t.cpu\(\)/);
    assert.throws(
      () => a.add(torch.ones(3)),
      /^RuntimeError: Expected all tensors to be on the same device, but found at least two devices, webgpu:0 and cpu!$/,
    );
    // a 0-dim CPU tensor is a scalar operand, as in PyTorch
    assert.deepEqual(await a.add(torch.tensor(1)).tolistAsync(), [2, 3, 4]);
    // a composite on the device checks its operands' devices first
    assert.throws(
      () =>
        torch.nn.functional.nllLoss(
          torch.randn(2, 3),
          torch.tensor([0, 2], { dtype: torch.int64 }).to("webgpu"),
        ),
      /^RuntimeError: Expected all tensors to be on the same device, but found at least two devices, webgpu:0 and cpu!$/,
    );
    assert.throws(
      () => a.cummax(0),
      /^NotImplementedError: Could not run 'aten::cummax' with arguments from the 'WebGPU' backend/,
    );
  });
}
