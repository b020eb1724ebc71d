/** Error helpers. Messages carry PyTorch 1.13's wording so users can search for them. */

/** PyTorch raises RuntimeError for most tensor errors; we throw Error with the same text. */
export function runtimeError(msg: string): Error {
  return new Error(msg);
}

export function typeError(msg: string): TypeError {
  return new TypeError(msg);
}

export function indexError(msg: string): RangeError {
  return new RangeError(msg);
}
