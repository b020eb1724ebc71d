/**
 * PyTorch's exception types, so users can catch what PyTorch raises. Messages carry PyTorch
 * 1.13's wording word for word, so users can search for them.
 *
 * Each is a subclass of the natural JavaScript error: `TypeError` of JS `TypeError`,
 * `IndexError` and `OverflowError` of `RangeError` (out-of-range positions and numbers), the
 * others of `Error`. `name` is PyTorch's class name, so an uncaught error prints as Python would
 * name it.
 */

/** PyTorch's RuntimeError: most tensor errors (shapes, dtypes, autograd). */
export class RuntimeError extends Error {
  /** PyTorch's (Python's) class name, `RuntimeError`, as an uncaught error prints it. */
  override name = "RuntimeError";
}
/**
 * torch.linalg.LinAlgError (Python's class `torch._C._LinAlgError`, a RuntimeError): a
 * factorization or inversion that cannot complete (singular or not positive-definite input).
 */
export class LinAlgError extends RuntimeError {
  /** PyTorch's (Python's) class name, `_LinAlgError`, as an uncaught error prints it. */
  override name = "_LinAlgError";
}
/** Python's TypeError: an argument of the wrong type or count. */
export class TypeError extends globalThis.TypeError {
  /** PyTorch's (Python's) class name, `TypeError`, as an uncaught error prints it. */
  override name = "TypeError";
}
/** Python's IndexError: a dimension or index out of range. */
export class IndexError extends RangeError {
  /** PyTorch's (Python's) class name, `IndexError`, as an uncaught error prints it. */
  override name = "IndexError";
}
/** Python's ValueError: an argument of the right type with a bad value. */
export class ValueError extends Error {
  /** PyTorch's (Python's) class name, `ValueError`, as an uncaught error prints it. */
  override name = "ValueError";
}
/** Python's NotImplementedError: a combination PyTorch does not implement either. */
export class NotImplementedError extends Error {
  /** PyTorch's (Python's) class name, `NotImplementedError`, as an uncaught error prints it. */
  override name = "NotImplementedError";
}
/** Python's OverflowError: a number too large for the integer it must become (int(inf)). */
export class OverflowError extends RangeError {
  /** PyTorch's (Python's) class name, `OverflowError`, as an uncaught error prints it. */
  override name = "OverflowError";
}

/** Python's AssertionError: a failed `assert` in PyTorch's Python code (F.embedding's checks). */
export class AssertionError extends Error {
  /** PyTorch's (Python's) class name, `AssertionError`, as an uncaught error prints it. */
  override name = "AssertionError";
}

/** Python's AttributeError: a missing attribute (Module.getSubmodule's path). */
export class AttributeError extends Error {
  /** PyTorch's (Python's) class name, `AttributeError`, as an uncaught error prints it. */
  override name = "AttributeError";
}
/** Python's KeyError: a missing or clashing name (Module.registerBuffer, ParameterDict). */
export class KeyError extends Error {
  /** PyTorch's (Python's) class name, `KeyError`, as an uncaught error prints it. */
  override name = "KeyError";
}

/**
 * Python's pickle.UnpicklingError: torch.load refused a checkpoint (a pickle with anything but
 * tensors and plain data, or a malformed one). PyTorch's message for it starts "Weights only
 * load failed."
 */
export class UnpicklingError extends Error {
  /** PyTorch's (Python's) class name, `UnpicklingError`, as an uncaught error prints it. */
  override name = "UnpicklingError";
}

export function attributeError(msg: string): AttributeError {
  return new AttributeError(msg);
}
/** Python's KeyError prints its argument quoted: KeyError: 'weight'. */
export function keyError(msg: string): KeyError {
  return new KeyError(msg);
}

export function runtimeError(msg: string): RuntimeError {
  return new RuntimeError(msg);
}

export function typeError(msg: string): TypeError {
  return new TypeError(msg);
}

export function indexError(msg: string): IndexError {
  return new IndexError(msg);
}

export function valueError(msg: string): ValueError {
  return new ValueError(msg);
}

export function notImplementedError(msg: string): NotImplementedError {
  return new NotImplementedError(msg);
}

export function overflowError(msg: string): OverflowError {
  return new OverflowError(msg);
}

export function assertionError(msg: string): AssertionError {
  return new AssertionError(msg);
}

export function linAlgError(msg: string): LinAlgError {
  return new LinAlgError(msg);
}
