/**
 * PyTorch's legacy tensor types (`torch.FloatTensor`, `torch.LongTensor`, ...): constructors
 * that older scripts call (`torch.FloatTensor(2, 3)`, `torch.LongTensor([1, 2])`), the classes
 * `isinstance` tests against (`t instanceof torch.FloatTensor` is true for a float32 tensor, as
 * Python's isinstance is), the types `t.type(torch.DoubleTensor)` converts to, and
 * `torch.setDefaultTensorType`.
 */
import { Size, Tensor } from "./tensor.js";
import {
  type DType,
  bfloat16,
  bool,
  float16,
  float32,
  float64,
  int16,
  int32,
  int64,
  int8,
  setDefaultDtype,
  uint8,
} from "./dtype.js";
import { tensor, zeros, type TensorOptions } from "./ops/creation.js";
import { pyTypeName } from "./ops/core.js";
import { runtimeError, typeError } from "./errors.js";

/** A legacy type: callable (with or without `new`) and an `instanceof` target. */
export interface LegacyTensorType {
  /** A tensor of this type: no argument (empty), sizes, a torch.Size, data, or a tensor. */
  (...args: LegacyArgs): Tensor;
  /** The same as calling it. */
  new (...args: LegacyArgs): Tensor;
  /** The dtype of this type's tensors. */
  readonly dtype: DType;
  /** Whether `v` is a tensor of this type (`v instanceof torch.FloatTensor`). */
  [Symbol.hasInstance](v: unknown): boolean;
}

/** A legacy constructor's arguments, with a trailing `{ device }` as PyTorch's keyword. */
export type LegacyArgs = (
  | number
  | Size
  | Tensor
  | unknown[]
  | ArrayLike<number>
  | {
      /** PyTorch's `device` keyword: the CPU only, as for PyTorch's legacy constructors. */
      device?: unknown;
    }
)[];

/** C++'s name of a dtype's element type (c10::TypeMeta), as TensorOptions prints it. */
const CPP_NAMES: Record<string, string> = {
  float32: "float",
  float64: "double",
  float16: "c10::Half",
  bfloat16: "c10::BFloat16",
  int64: "long int",
  int32: "int",
  int16: "short int",
  int8: "signed char",
  uint8: "unsigned char",
  bool: "bool",
};

/** A CPU tensor's options as PyTorch's TensorOptions prints them (the legacy dtype error). */
function tensorOptions(dtype: DType): string {
  return `TensorOptions(dtype=${CPP_NAMES[dtype.name] ?? dtype.name}, device=cpu, layout=Strided, requires_grad=false (default), pinned_memory=false (default), memory_format=(nullopt))`;
}

function legacyType(dtype: DType): LegacyTensorType {
  const name = dtype.tensorTypeName;
  const make = function (...args: LegacyArgs): Tensor {
    const last = args[args.length - 1];
    if (
      last !== null &&
      typeof last === "object" &&
      !Array.isArray(last) &&
      !(last instanceof Tensor) &&
      !ArrayBuffer.isView(last)
    ) {
      const device = (last as { device?: unknown }).device;
      if (device != null && String(device) !== "cpu" && !String(device).startsWith("cpu:"))
        throw runtimeError(
          `legacy constructor expects device type: cpu but device type: ${String(device).split(":")[0]} was passed`,
        );
      args = args.slice(0, -1);
    }
    if (args.length === 0) return tensor([], { dtype });
    const first = args[0];
    // sizes: ints, or one torch.Size
    if (typeof first === "number" || first instanceof Size) {
      const sizes = first instanceof Size ? Array.from(first) : args;
      if (!sizes.every((s) => typeof s === "number" && Number.isInteger(s)))
        throw typeError(
          `new(): argument 'size' must be tuple of ints, but found element of type ${pyTypeName(sizes.find((s) => typeof s !== "number"))} at pos 2`,
        );
      // uninitialised in PyTorch: zeros here, as torch.empty gives
      return zeros(sizes as number[], { dtype });
    }
    if (args.length > 1)
      throw typeError(
        `new(): argument 'size' must be tuple of ints, but found element of type ${pyTypeName(args[1])} at pos 2`,
      );
    if (first instanceof Tensor) {
      if (first.dtype !== dtype)
        throw typeError(`expected ${tensorOptions(dtype)} (got ${tensorOptions(first.dtype)})`);
      return first.detach();
    }
    if (Array.isArray(first) || ArrayBuffer.isView(first))
      return tensor(first as Parameters<typeof tensor>[0], { dtype } as TensorOptions);
    throw typeError(`new(): invalid data type '${pyTypeName(first)}'`);
  } as LegacyTensorType;
  Object.defineProperty(make, "name", { value: name.slice("torch.".length) });
  Object.defineProperty(make, "dtype", { value: dtype });
  Object.defineProperty(make, Symbol.hasInstance, {
    value: (v: unknown) => v instanceof Tensor && v.dtype === dtype,
  });
  Object.defineProperty(make, "toString", { value: () => `<class '${name}'>` });
  return make;
}

/**
 * torch.FloatTensor: float32 tensors (`torch.FloatTensor(2, 3)`, `torch.FloatTensor([1, 2])`).
 * @example torch.zeros(2) instanceof torch.FloatTensor // true
 */
export const FloatTensor = legacyType(float32);
/**
 * torch.DoubleTensor: float64 tensors.
 * @example torch.DoubleTensor([1, 2]) // tensor([1., 2.], dtype=torch.float64)
 */
export const DoubleTensor = legacyType(float64);
/**
 * torch.HalfTensor: float16 tensors.
 * @example torch.HalfTensor(2).dtype // torch.float16
 */
export const HalfTensor = legacyType(float16);
/**
 * torch.BFloat16Tensor: bfloat16 tensors.
 * @example torch.BFloat16Tensor(2).dtype // torch.bfloat16
 */
export const BFloat16Tensor = legacyType(bfloat16);
/**
 * torch.LongTensor: int64 tensors (floats truncated toward zero).
 * @example torch.LongTensor([1.7, 2.2]) // tensor([1, 2])
 */
export const LongTensor = legacyType(int64);
/**
 * torch.IntTensor: int32 tensors.
 * @example torch.IntTensor([1, 2]) // tensor([1, 2], dtype=torch.int32)
 */
export const IntTensor = legacyType(int32);
/**
 * torch.ShortTensor: int16 tensors.
 * @example torch.ShortTensor([1]) // tensor([1], dtype=torch.int16)
 */
export const ShortTensor = legacyType(int16);
/**
 * torch.CharTensor: int8 tensors.
 * @example torch.CharTensor([1]) // tensor([1], dtype=torch.int8)
 */
export const CharTensor = legacyType(int8);
/**
 * torch.ByteTensor: uint8 tensors.
 * @example torch.ByteTensor([1]) // tensor([1], dtype=torch.uint8)
 */
export const ByteTensor = legacyType(uint8);
/**
 * torch.BoolTensor: bool tensors.
 * @example torch.BoolTensor([1, 0]) // tensor([ True, False])
 */
export const BoolTensor = legacyType(bool);

const LEGACY = [
  FloatTensor,
  DoubleTensor,
  HalfTensor,
  BFloat16Tensor,
  LongTensor,
  IntTensor,
  ShortTensor,
  CharTensor,
  ByteTensor,
  BoolTensor,
];

/** The dtype a legacy type (or its name, "torch.DoubleTensor") stands for, else null. */
export function legacyTypeDtype(t: unknown): DType | null {
  if (typeof t === "string") return LEGACY.find((l) => l.dtype.tensorTypeName === t)?.dtype ?? null;
  return LEGACY.find((l) => l === t)?.dtype ?? null;
}

/**
 * torch.set_default_tensor_type(t): the default dtype of new float tensors, from a legacy
 * floating type or its name ("torch.DoubleTensor").
 * @example
 * torch.setDefaultTensorType(torch.DoubleTensor);
 * torch.zeros(1).dtype; // torch.float64
 * torch.setDefaultTensorType("torch.FloatTensor");
 */
export function setDefaultTensorType(t: LegacyTensorType | string): void {
  const dtype = legacyTypeDtype(t);
  if (dtype === null) throw typeError(`invalid type: '${String(t)}'`);
  if (!dtype.isFloatingPoint)
    throw typeError("only floating-point types are supported as the default type");
  setDefaultDtype(dtype);
}
