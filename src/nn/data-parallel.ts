/**
 * torch.nn.DataParallel on a machine without CUDA devices, which is every tensorgrad process:
 * PyTorch's CPU build then keeps no device ids and its forward is the wrapped module's call, so
 * this stand-in is exactly that (state-dict keys under `module.`, PyTorch's repr).
 */
import { Module } from "./module.js";
import { ctorArgs } from "./ctor-args.js";

export class DataParallel extends Module {
  /** PyTorch's device_ids: empty without CUDA devices */
  readonly device_ids: number[] = [];
  /** The wrapped module. */
  readonly module: Module;

  /**
   * `deviceIds`, `outputDevice` and `dim` are accepted as PyTorch takes them; without CUDA
   * devices they change nothing.
   * @example new torch.nn.DataParallel(new torch.nn.Linear(2, 3)).call(torch.randn(4, 2)).shape // [4, 3]
   */
  /** PyTorch's DataParallel(module, device_ids=None, output_device=None, dim=0). */
  constructor(module: Module | { module: Module }, ...rest: unknown[]) {
    super();
    const a = ctorArgs<{ module: Module; deviceIds: unknown; outputDevice: unknown; dim: number }>(
      "DataParallel",
      [module, ...rest],
      ["module", "deviceIds", "outputDevice", "dim"],
      { deviceIds: null, outputDevice: null, dim: 0 },
    );
    this.module = a.module;
  }

  override forward(...inputs: unknown[]): unknown {
    return this.module.call(...inputs);
  }
}
