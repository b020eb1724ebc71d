/**
 * torch.nn.utils.skip_init (PyTorch 1.13's torch/nn/utils/init.py): a module built without
 * initialising its parameters. PyTorch builds it on the meta device (where the initialisers draw
 * nothing) and then gives it empty storage on the target device; tensorgrad has no meta device,
 * so it builds the module and then puts the default generator back where it was: as in PyTorch,
 * no random number is consumed, and the parameters have new (zero-filled) storage.
 */
import { runtimeError } from "../errors.js";
import { defaultGenerator } from "../generator.js";
import { noGrad } from "../autograd/grad-mode.js";
import { Module } from "./module.js";
import { isOptionsObject } from "./ctor-args.js";

/** Python's repr of what was passed as the module class. */
function reprOf(v: unknown): string {
  if (typeof v === "function") return `<class '${(v as { name: string }).name}'>`;
  if (typeof v === "string") return v;
  return String(v);
}

/**
 * `new moduleCls(...args)` with its parameters and buffers left uninitialised (new storage)
 * and the default generator untouched; a trailing options object's `device` (default "cpu") is
 * where the module goes.
 * @example
 * torch.manualSeed(0);
 * const lin = torch.nn.utils.skipInit(torch.nn.Linear, 3, 2);
 * lin.weight.shape; // [2, 3]
 */
export function skipInit<C extends new (...args: never[]) => Module>(
  moduleCls: C,
  ...args: unknown[]
): InstanceType<C> {
  if (typeof moduleCls !== "function" || !(moduleCls.prototype instanceof Module))
    throw runtimeError(`Expected a Module; got ${reprOf(moduleCls)}`);
  let ctorArgs: unknown[] = args;
  let device: unknown = "cpu";
  const last: unknown = args[args.length - 1];
  if (isOptionsObject(last) && "device" in last) {
    const { device: d, ...rest } = last as Record<string, unknown>;
    device = d ?? "cpu";
    ctorArgs = [...args.slice(0, -1), rest];
  }
  const state = defaultGenerator.getState();
  let m: Module;
  try {
    m = noGrad(() => new (moduleCls as unknown as new (...a: unknown[]) => Module)(...ctorArgs));
  } finally {
    defaultGenerator.setState(state);
  }
  return m.toEmpty({ device }) as InstanceType<C>;
}
