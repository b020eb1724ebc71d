/**
 * torch.nn.DataParallel on a machine without CUDA devices, which is every tensorgrad process:
 * PyTorch's CPU build then keeps no device ids and its forward is the wrapped module's call, so
 * this stand-in is exactly that (state-dict keys under `module.`, PyTorch's repr).
 */
import { Module } from "./module.js";

export class DataParallel extends Module {
  /** PyTorch's device_ids: empty without CUDA devices */
  readonly device_ids: number[] = [];
  readonly module: Module;

  /**
   * `deviceIds`, `outputDevice` and `dim` are accepted as PyTorch takes them; without CUDA
   * devices they change nothing.
   * @example new torch.nn.DataParallel(new torch.nn.Linear(2, 3)).call(torch.randn(4, 2)).shape // [4, 3]
   */
  constructor(
    module: Module,
    _deviceIds: number[] | null = null,
    _outputDevice: number | null = null,
    _dim = 0,
  ) {
    super();
    this.module = module;
  }

  override forward(...inputs: unknown[]): unknown {
    return this.module.call(...inputs);
  }
}
