/**
 * The dropout modules of issue 11 (h-nnact): Dropout1d, Dropout2d, Dropout3d, AlphaDropout and
 * FeatureAlphaDropout (PyTorch's _DropoutNd subclasses): `p` (checked as PyTorch checks it) and
 * `inplace`, positional or in a trailing options object; in training they draw their masks as
 * PyTorch's CPU dropout does, in eval they return the input.
 */
import type { Tensor } from "../tensor.js";
import { formatPyFloat } from "../print.js";
import { valueError } from "../errors.js";
import { Module } from "./module.js";
import * as F from "./functional.js";
import { ctorArgs } from "./ctor-args.js";

/** PyTorch's _DropoutNd: p, inplace and their repr. */
export abstract class DropoutNd extends Module {
  /** The probability of an element being zeroed (PyTorch's `p`). */
  declare p: number;
  /** Whether forward modifies its input in place (PyTorch's `inplace`). */
  declare inplace: boolean;
  constructor(
    p?: number | { p?: number; inplace?: boolean },
    inplace?: boolean | { inplace?: boolean },
    ...extra: never[]
  ) {
    super();
    const a = ctorArgs<{ p: number; inplace: boolean }>(
      "_DropoutNd",
      [p, inplace, ...extra],
      ["p", "inplace"],
      { p: 0.5, inplace: false },
    );
    if (a.p < 0 || a.p > 1) {
      const shown = Number.isInteger(a.p) ? String(a.p) : formatPyFloat(a.p);
      throw valueError(`dropout probability has to be between 0 and 1, but got ${shown}`);
    }
    this.p = a.p;
    this.inplace = a.inplace;
  }
  override extraRepr(): string {
    return `p=${formatPyFloat(this.p)}, inplace=${this.inplace ? "True" : "False"}`;
  }
}

/**
 * Zeroes whole channels of a [N, C, L] or [C, L] input with probability p (training), scaling
 * the rest by 1/(1-p).
 * @example new torch.nn.Dropout1d(0.2).call(torch.randn(4, 3, 8))
 */
export class Dropout1d extends DropoutNd {
  override forward(input: Tensor): Tensor {
    return F.dropout1d(input, this.p, this.training, this.inplace);
  }
}

/**
 * Zeroes whole channels of a [N, C, H, W] input with probability p (training), scaling the rest
 * by 1/(1-p).
 * @example new torch.nn.Dropout2d(0.2).call(torch.randn(4, 3, 8, 8))
 */
export class Dropout2d extends DropoutNd {
  override forward(input: Tensor): Tensor {
    return F.dropout2d(input, this.p, this.training, this.inplace);
  }
}

/**
 * Zeroes whole channels of a [N, C, D, H, W] or [C, D, H, W] input with probability p
 * (training), scaling the rest by 1/(1-p).
 * @example new torch.nn.Dropout3d(0.2).call(torch.randn(2, 3, 4, 4, 4))
 */
export class Dropout3d extends DropoutNd {
  override forward(input: Tensor): Tensor {
    return F.dropout3d(input, this.p, this.training, this.inplace);
  }
}

/**
 * Alpha dropout (for SELU networks): keeps zero mean and unit variance (training).
 * @example new torch.nn.AlphaDropout(0.2).call(torch.randn(4, 8))
 */
export class AlphaDropout extends DropoutNd {
  override forward(input: Tensor): Tensor {
    return F.alphaDropout(input, this.p, this.training);
  }
}

/**
 * Alpha dropout of whole channels (training).
 * @example new torch.nn.FeatureAlphaDropout(0.2).call(torch.randn(4, 3, 8))
 */
export class FeatureAlphaDropout extends DropoutNd {
  override forward(input: Tensor): Tensor {
    return F.featureAlphaDropout(input, this.p, this.training);
  }
}
