/**
 * Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (PyTorch's reprs and defaults).
 */
import type { Tensor } from "../tensor.js";
import { Module } from "./module.js";
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type IntOrTuple } from "./functional.js";
import { pyBool } from "./layer-utils.js";

const fmt = (v: IntOrTuple | readonly (number | null)[]): string =>
  typeof v === "number" ? String(v) : `(${v.map((x) => (x === null ? "None" : x)).join(", ")})`;

/** Options of MaxPool2d. */
export interface MaxPool2dOptions {
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  returnIndices?: boolean;
  ceilMode?: boolean;
}

/**
 * torch.nn.MaxPool2d: the maximum over each kernelSize window (stride defaults to the kernel
 * size). With `returnIndices`, forward returns `[values, indices]`.
 *
 * @example
 * const pool = new torch.nn.MaxPool2d(2);
 * String(pool); // MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
 * pool.call(torch.randn(1, 16, 26, 26)).shape; // [1, 16, 13, 13]
 */
export class MaxPool2d extends Module {
  declare kernelSize: IntOrTuple;
  declare stride: IntOrTuple;
  declare padding: IntOrTuple;
  declare dilation: IntOrTuple;
  declare returnIndices: boolean;
  declare ceilMode: boolean;

  constructor(kernelSize: IntOrTuple, opts: MaxPool2dOptions = {}) {
    super();
    Object.assign(this, {
      kernelSize,
      stride: opts.stride ?? kernelSize,
      padding: opts.padding ?? 0,
      dilation: opts.dilation ?? 1,
      returnIndices: opts.returnIndices ?? false,
      ceilMode: opts.ceilMode ?? false,
    });
  }

  override forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.stride, this.padding, this.dilation, {
      ceilMode: this.ceilMode,
      returnIndices: this.returnIndices,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${fmt(this.kernelSize)}, stride=${fmt(this.stride)}, padding=${fmt(this.padding)}, dilation=${fmt(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/** Options of AvgPool2d. */
export interface AvgPool2dOptions {
  stride?: IntOrTuple | null;
  padding?: IntOrTuple;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

/**
 * torch.nn.AvgPool2d: the mean over each window.
 *
 * @example
 * new torch.nn.AvgPool2d(2).call(torch.ones(1, 1, 4, 4)) // ones(1, 1, 2, 2)
 */
export class AvgPool2d extends Module {
  declare kernelSize: IntOrTuple;
  declare stride: IntOrTuple;
  declare padding: IntOrTuple;
  declare ceilMode: boolean;
  declare countIncludePad: boolean;
  declare divisorOverride: number | null;

  constructor(kernelSize: IntOrTuple, opts: AvgPool2dOptions = {}) {
    super();
    Object.assign(this, {
      kernelSize,
      stride: opts.stride ?? kernelSize,
      padding: opts.padding ?? 0,
      ceilMode: opts.ceilMode ?? false,
      countIncludePad: opts.countIncludePad ?? true,
      divisorOverride: opts.divisorOverride ?? null,
    });
  }

  override forward(x: Tensor): Tensor {
    return avgPool2d(
      x,
      this.kernelSize,
      this.stride,
      this.padding,
      this.ceilMode,
      this.countIncludePad,
      this.divisorOverride,
    );
  }

  override extraRepr(): string {
    return `kernel_size=${fmt(this.kernelSize)}, stride=${fmt(this.stride)}, padding=${fmt(this.padding)}`;
  }
}

/**
 * torch.nn.AdaptiveAvgPool2d: average pooling to a fixed output size (null keeps that input
 * dimension).
 *
 * @example
 * new torch.nn.AdaptiveAvgPool2d([5, 7]).call(torch.randn(1, 64, 8, 9)).shape // [1, 64, 5, 7]
 */
export class AdaptiveAvgPool2d extends Module {
  declare outputSize: number | (number | null)[];

  constructor(outputSize: number | readonly (number | null)[]) {
    super();
    Object.assign(this, {
      outputSize: typeof outputSize === "number" ? outputSize : outputSize.slice(),
    });
  }

  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${fmt(this.outputSize)}`;
  }
}
