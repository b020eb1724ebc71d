/**
 * Independent (independent.py): reinterprets batch dims of a distribution as event dims, so
 * log_prob sums over them.
 */
import type { Tensor } from "../tensor.js";
import { notImplementedError, valueError } from "../errors.js";
import { ctorArgs } from "../nn/ctor-args.js";
import * as C from "./constraints.js";
import { Distribution, type DistributionOptions } from "./distribution.js";
import { type ShapeLike, sumRightmost } from "./utils.js";

/**
 * Reinterprets the `reinterpretedBatchNdims` rightmost batch dims of `baseDistribution` as event
 * dims (torch.distributions.Independent).
 * @example
 * const base = new torch.distributions.Normal(torch.zeros(3), torch.ones(3));
 * new torch.distributions.Independent(base, 1).eventShape; // torch.Size([3])
 */
export class Independent extends Distribution {
  /** the distribution reinterpreted */
  baseDist!: Distribution;
  /** how many batch dims became event dims */
  reinterpretedBatchNdims!: number;
  constructor(
    ...args:
      | [
          baseDistribution: Distribution,
          reinterpretedBatchNdims: number,
          options?: DistributionOptions,
        ]
      | [
          options: {
            baseDistribution: Distribution;
            reinterpretedBatchNdims: number;
          } & DistributionOptions,
        ]
  );
  constructor(...args: unknown[]) {
    super();
    const a = ctorArgs<{
      baseDistribution: Distribution;
      reinterpretedBatchNdims: number;
      validateArgs: boolean | null;
    }>("Independent", args, ["baseDistribution", "reinterpretedBatchNdims", "validateArgs"], {
      validateArgs: null,
    });
    const base = a.baseDistribution;
    const n = a.reinterpretedBatchNdims;
    if (n > base.batchShape.length) {
      throw valueError(
        "Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), " +
          `actual ${n} vs ${base.batchShape.length}`,
      );
    }
    const shape = [...base.batchShape, ...base.eventShape];
    const eventDim = n + base.eventShape.length;
    this.baseDist = base;
    this.reinterpretedBatchNdims = n;
    this.init(
      shape.slice(0, shape.length - eventDim),
      shape.slice(shape.length - eventDim),
      a.validateArgs,
    );
  }
  override get argConstraints(): Record<string, C.Constraint> {
    return {};
  }
  override get hasRsample(): boolean {
    return this.baseDist.hasRsample;
  }
  override get hasEnumerateSupport(): boolean {
    return this.reinterpretedBatchNdims > 0 ? false : this.baseDist.hasEnumerateSupport;
  }
  override get support(): C.Constraint {
    const s = this.baseDist.support;
    return this.reinterpretedBatchNdims ? C.independent(s, this.reinterpretedBatchNdims) : s;
  }
  override get mean(): Tensor {
    return this.baseDist.mean;
  }
  override get mode(): Tensor {
    return this.baseDist.mode;
  }
  override get variance(): Tensor {
    return this.baseDist.variance;
  }
  override expand(batchShape: ShapeLike, instance?: this): Independent {
    const out = this.blank(instance);
    out.baseDist = this.baseDist.expand([
      ...batchShape,
      ...this.eventShape.slice(0, this.reinterpretedBatchNdims),
    ]);
    out.reinterpretedBatchNdims = this.reinterpretedBatchNdims;
    this.finishExpand(out, batchShape);
    return out;
  }
  override sample(sampleShape: ShapeLike = []): Tensor {
    return this.baseDist.sample(sampleShape);
  }
  override rsample(sampleShape: ShapeLike = []): Tensor {
    return this.baseDist.rsample(sampleShape);
  }
  override logProb(value: Tensor): Tensor {
    return sumRightmost(this.baseDist.logProb(value), this.reinterpretedBatchNdims);
  }
  override entropy(): Tensor {
    return sumRightmost(this.baseDist.entropy(), this.reinterpretedBatchNdims);
  }
  override enumerateSupport(expand = true): Tensor {
    if (this.reinterpretedBatchNdims > 0)
      throw notImplementedError("Enumeration over cartesian product is not implemented");
    return this.baseDist.enumerateSupport(expand);
  }
  protected override repr(): string {
    return `Independent(${String(this.baseDist)}, ${this.reinterpretedBatchNdims})`;
  }
}
