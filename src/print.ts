/**
 * Tensor printing that reproduces PyTorch 1.13's `str(t)` / `repr(t)` character for character.
 *
 * This is a port of `torch/_tensor_str.py`. As there, printing is two steps:
 *   1. one formatter pass (`_Formatter`) over the values that will be shown, which picks the mode
 *      (integer-valued floats, fixed point or scientific) and the common column width;
 *   2. layout (`_tensor_str_with_formatter`, `_vector_str`): nested brackets, line wrapping at
 *      `linewidth`, summarisation with `...`, then the suffixes of `_str_intern`.
 *
 * Python's float formatting (`'{:.4f}'`, `'{:.4e}'`, `repr(float)`) is replicated exactly with
 * BigInt arithmetic on the binary value, because JS's `toFixed`/`toExponential` round exact ties
 * away from zero where Python rounds half to even, and `toFixed` switches to exponent notation
 * at 1e21.
 *
 * This module deliberately knows nothing about the Tensor class: it prints any `PrintSource`.
 */
import type { DTypeName } from "./dtype.js";

export interface PrintSource {
  readonly shape: readonly number[];
  readonly dtype: DTypeName;
  /** element at logical row-major position i (0 <= i < numel); bool as 0/1; a complex one's real part */
  get(i: number): number;
  /** complex dtypes: the imaginary part at position i */
  getImag?(i: number): number;
}

export interface PrintExtras {
  /** leaf requiring grad -> ", requires_grad=True" */
  requiresGrad?: boolean;
  /** non-null -> ", grad_fn=<AddBackward0>" (takes priority over requires_grad as in PyTorch) */
  gradFnName?: string | null;
  /** the current default dtype (torch.get_default_dtype()); "float32" if omitted */
  defaultDtype?: DTypeName;
  /** a dual tensor's tangent as printed -> ", tangent=..." (forward AD) */
  tangent?: string | null;
  /** a tensor off the CPU: its device -> ", device='webgpu:0'" (the first suffix, as PyTorch's) */
  device?: string | null;
}

export type PrintProfile = "default" | "short" | "full";

export interface PrintOptions {
  /** digits after the decimal point (default 4) */
  precision: number;
  /** summarise when numel exceeds this (default 1000; Infinity for profile "full") */
  threshold: number;
  /** items shown at each end of a summarised dimension (default 3) */
  edgeitems: number;
  /** characters per line used for wrapping (default 80) */
  linewidth: number;
  /** force (true) or forbid (false) scientific notation; null lets the formatter choose */
  sciMode: boolean | null;
}

export interface SetPrintOptions {
  precision?: number;
  threshold?: number;
  edgeitems?: number;
  linewidth?: number;
  profile?: PrintProfile;
  sciMode?: boolean | null;
}

// ---------------------------------------------------------------------------------------------
// Print options (`__PrinterOptions`, `set_printoptions`)
// ---------------------------------------------------------------------------------------------

const PROFILES: Record<PrintProfile, Omit<PrintOptions, "sciMode">> = {
  default: { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 },
  short: { precision: 2, threshold: 1000, edgeitems: 2, linewidth: 80 },
  full: { precision: 4, threshold: Infinity, edgeitems: 3, linewidth: 80 },
};

const PRINT_OPTS: PrintOptions = { ...PROFILES.default, sciMode: null };

/**
 * torch.set_printoptions. Mirrors `set_printoptions`: the profile is applied first, then the
 * individual options override it. As in PyTorch, `sciMode` is *always* assigned, so a call that
 * omits it resets it to automatic (null).
 */
export function setPrintoptions(opts: SetPrintOptions = {}): void {
  if (opts.profile !== undefined) {
    const p = PROFILES[opts.profile];
    if (p === undefined) throw new TypeError(`unknown print profile ${String(opts.profile)}`);
    Object.assign(PRINT_OPTS, p);
  }
  if (opts.precision !== undefined) PRINT_OPTS.precision = opts.precision;
  if (opts.threshold !== undefined) PRINT_OPTS.threshold = opts.threshold;
  if (opts.edgeitems !== undefined) PRINT_OPTS.edgeitems = opts.edgeitems;
  if (opts.linewidth !== undefined) PRINT_OPTS.linewidth = opts.linewidth;
  PRINT_OPTS.sciMode = opts.sciMode ?? null;
}

/** A copy of the current print options. */
export function getPrintoptions(): PrintOptions {
  return { ...PRINT_OPTS };
}

// ---------------------------------------------------------------------------------------------
// Python float formatting, exact
// ---------------------------------------------------------------------------------------------

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** Split a finite non-negative double into an integer mantissa and a binary exponent: x = m * 2^e. */
function decompose(x: number): [bigint, number] {
  f64[0] = x;
  const bits = u64[0]!;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  // subnormals have no implicit leading bit and the minimum exponent
  return biased === 0 ? [frac, -1074] : [frac | (1n << 52n), biased - 1075];
}

/**
 * round(x * 10^k) for a finite non-negative double x, computed exactly and rounding exact ties to
 * even, which is what CPython's `float.__format__` does (via dtoa on the exact binary value).
 */
function roundScaled(x: number, k: number): bigint {
  const [m, e] = decompose(x);
  let num = m;
  let den = 1n;
  if (e >= 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  if (k >= 0) num *= 10n ** BigInt(k);
  else den *= 10n ** BigInt(-k);
  const q = num / den;
  const twice = (num % den) * 2n;
  if (twice > den || (twice === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

/** Python spells non-finite floats "nan", "inf", "-inf" in every format. */
function nonFinite(v: number): string {
  return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
}

/** Python keeps the sign of negative zero and of negatives that round to zero ("-0.0000"). */
function signOf(v: number): string {
  return v < 0 || Object.is(v, -0) ? "-" : "";
}

/** Python's `'{:.<p>f}'.format(v)`. */
export function formatFixed(v: number, p: number): string {
  if (!Number.isFinite(v)) return nonFinite(v);
  const digits = roundScaled(Math.abs(v), p)
    .toString()
    .padStart(p + 1, "0");
  const int = digits.slice(0, digits.length - p);
  return signOf(v) + (p > 0 ? `${int}.${digits.slice(digits.length - p)}` : int);
}

/** Python's exponent suffix: a sign and at least two digits ("e+08", "e-05", "e+100"). */
function exponentSuffix(e: number): string {
  return `e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

/** Python's `'{:.<p>e}'.format(v)`. */
export function formatExp(v: number, p: number): string {
  if (!Number.isFinite(v)) return nonFinite(v);
  const x = Math.abs(v);
  let exp = 0;
  let q = 0n;
  if (x !== 0) {
    // Find the decimal exponent so that the rounded mantissa has exactly p+1 digits. log10 is
    // only an estimate; rounding can also carry into a new digit (9.99996 -> 1.0000e+01).
    const lo = 10n ** BigInt(p);
    const hi = lo * 10n;
    exp = Math.floor(Math.log10(x));
    for (;;) {
      q = roundScaled(x, p - exp);
      if (q >= hi) exp += 1;
      else if (q < lo) exp -= 1;
      else break;
    }
  }
  const digits = q.toString().padStart(p + 1, "0");
  const mant = p > 0 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return signOf(v) + mant + exponentSuffix(exp);
}

/**
 * Python's `repr(float)` / `str(float)`: the shortest digits that round-trip (as JS also
 * computes), written in fixed notation when the decimal point position is in (-4, 16] and in
 * exponent notation otherwise (CPython's `float_repr_style = 'short'`, mode 'r'), always with a
 * ".0" on integral fixed values.
 */
export function formatPyFloat(v: number): string {
  if (!Number.isFinite(v)) return nonFinite(v);
  if (v === 0) return signOf(v) + "0.0";
  const [mant, expStr] = Math.abs(v).toExponential().split("e") as [string, string];
  const digits = mant.replace(".", "");
  const exp = Number(expStr);
  const decpt = exp + 1; // value = 0.<digits> * 10^decpt
  let body: string;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) body = `0.${"0".repeat(-decpt)}${digits}`;
    else if (decpt >= digits.length) body = `${digits}${"0".repeat(decpt - digits.length)}.0`;
    else body = `${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  } else {
    body = (digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits) + exponentSuffix(exp);
  }
  return signOf(v) + body;
}

/** Python's `'{}'.format(v)` for an int or bool element. */
function formatIntegral(v: number, dtype: DTypeName): string {
  if (dtype === "bool") return v ? "True" : "False";
  // BigInt never switches to exponent notation, whatever the magnitude
  return BigInt(v).toString();
}

// ---------------------------------------------------------------------------------------------
// Formatter (`_Formatter`)
// ---------------------------------------------------------------------------------------------

interface Formatter {
  readonly width: number;
  format(v: number): string;
}

/**
 * `_Formatter.__init__` + `_Formatter.format`: one pass over the values that will be displayed
 * decides the mode and the common width; every element is then right-aligned to that width.
 */
function makeFormatter(values: Iterable<number>, dtype: DTypeName): Formatter {
  const floating =
    dtype === "float32" ||
    dtype === "float64" ||
    dtype === "float16" ||
    dtype === "bfloat16" ||
    dtype === "complex32" ||
    dtype === "complex64" ||
    dtype === "complex128";
  const precision = PRINT_OPTS.precision;
  let intMode = true;
  let sciMode = false;
  let maxWidth = 1;

  const pad = (s: string): string => " ".repeat(Math.max(0, maxWidth - s.length)) + s;

  if (!floating) {
    // integers and bools: width of the widest `'{}'.format(value)`
    for (const v of values) maxWidth = Math.max(maxWidth, formatIntegral(v, dtype).length);
    return { width: maxWidth, format: (v) => pad(formatIntegral(v, dtype)) };
  }

  // Only nonzero finite values decide the mode: zeros and nan/inf print the same in any mode.
  const vals: number[] = [];
  for (const v of values) if (Number.isFinite(v) && v !== 0) vals.push(v);

  if (vals.length > 0) {
    let min = Infinity;
    let max = 0;
    for (const v of vals) {
      const a = Math.abs(v);
      if (a < min) min = a;
      if (a > max) max = a;
      if (v !== Math.ceil(v)) intMode = false;
    }
    // A large dynamic range or huge magnitudes would make fixed notation unreadable; for
    // non-integers tiny magnitudes would lose all digits too.
    if (max / min > 1000.0 || max > 1.0e8 || (!intMode && min < 1.0e-4)) {
      sciMode = true;
      for (const v of vals) maxWidth = Math.max(maxWidth, formatExp(v, precision).length);
    } else if (intMode) {
      // int_mode floats print as "3." : +1 for the trailing decimal point
      for (const v of vals) maxWidth = Math.max(maxWidth, formatFixed(v, 0).length + 1);
    } else {
      for (const v of vals) maxWidth = Math.max(maxWidth, formatFixed(v, precision).length);
    }
    // The user's sci_mode only overrides the automatic choice when there was a nonzero finite
    // value: `_Formatter.__init__` returns early otherwise (so all-zero tensors print "0.").
    if (PRINT_OPTS.sciMode !== null) sciMode = PRINT_OPTS.sciMode;
  }

  const format = (v: number): string => {
    if (sciMode) return pad(formatExp(v, precision));
    if (intMode) return pad(Number.isFinite(v) ? `${formatFixed(v, 0)}.` : nonFinite(v));
    return pad(formatFixed(v, precision));
  };
  return { width: maxWidth, format };
}

/**
 * A formatter of the element at a flat position: one formatter's, or for complex tensors
 * (`_vector_str`'s `_val_formatter`) the real part in the real formatter's width followed by
 * the imaginary part in its own, left-stripped, with its sign and "j".
 */
interface PositionFormatter {
  /** the width `_vector_str` counts per element before its ", " */
  readonly width: number;
  at(pos: number): string;
}

function positionFormatter(
  src: PrintSource,
  real: Formatter,
  imag: Formatter | null,
): PositionFormatter {
  if (imag === null || src.getImag === undefined)
    return { width: real.width, at: (p) => real.format(src.get(p)) };
  const getImag = src.getImag.bind(src);
  return {
    // element_length += formatter2.width() + 1 (the "j")
    width: real.width + imag.width + 1,
    at: (p) => {
      const re = real.format(src.get(p));
      const im = `${imag.format(getImag(p))}j`.trimStart();
      return im[0] === "+" || im[0] === "-" ? re + im : `${re}+${im}`;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Layout (`_tensor_str`, `_tensor_str_with_formatter`, `_vector_str`, `get_summarized_data`)
// ---------------------------------------------------------------------------------------------

/**
 * The positions kept along a dimension of size n: everything, or when summarising the first and
 * last `edgeitems` (with `null` marking the "..." gap). Mirrors the slicing in `_vector_str` and
 * `_tensor_str_with_formatter`. Python's `self[-0:]` is the whole dimension, so edgeitems = 0
 * shows "..." followed by every element in 1-D, as in PyTorch.
 */
function keptIndices(n: number, summarize: boolean): (number | null)[] {
  const edge = PRINT_OPTS.edgeitems;
  const all = (from: number): number[] => Array.from({ length: n - from }, (_, i) => from + i);
  if (!(summarize && n > 2 * edge)) return all(0);
  const head = Array.from({ length: edge }, (_, i) => i);
  return [...head, null, ...all(edge === 0 ? 0 : n - edge)];
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  return strides;
}

/**
 * `get_summarized_data`: the flat positions of exactly the elements the layout will show, so the
 * formatter's width and mode are computed from visible values only.
 */
function* shownPositions(
  shape: readonly number[],
  strides: readonly number[],
  summarize: boolean,
  dim = 0,
  offset = 0,
): Generator<number> {
  if (dim === shape.length) {
    yield offset;
    return;
  }
  // In 1-D the edgeitems=0 quirk does show every element; for higher dims PyTorch would fail to
  // stack zero slices, so we simply follow the same kept indices.
  for (const i of keptIndices(shape[dim]!, summarize)) {
    if (i !== null)
      yield* shownPositions(shape, strides, summarize, dim + 1, offset + i * strides[dim]!);
  }
}

/** `_vector_str`: one row, wrapped so each line holds as many whole elements as fit. */
function vectorStr(
  src: PrintSource,
  fmt: PositionFormatter,
  n: number,
  offset: number,
  stride: number,
  indent: number,
  summarize: boolean,
): string {
  // each element takes its width plus ", "
  const elementLength = fmt.width + 2;
  const perLine = Math.max(1, Math.floor((PRINT_OPTS.linewidth - indent) / elementLength));
  const data = keptIndices(n, summarize).map((i) =>
    i === null ? " ..." : fmt.at(offset + i * stride),
  );
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += perLine) lines.push(data.slice(i, i + perLine).join(", "));
  return "[" + lines.join(",\n" + " ".repeat(indent + 1)) + "]";
}

/**
 * `_tensor_str_with_formatter`: a 0-dim tensor is its single value; 1-D is a vector; higher dims
 * nest, separating sub-tensors with (dim - 1) newlines and aligning them one column further in.
 */
function tensorStrWithFormatter(
  src: PrintSource,
  fmt: PositionFormatter,
  strides: readonly number[],
  dim: number,
  offset: number,
  indent: number,
  summarize: boolean,
): string {
  const shape = src.shape;
  const rank = shape.length - dim;
  if (rank === 0) return fmt.at(offset);
  if (rank === 1) return vectorStr(src, fmt, shape[dim]!, offset, strides[dim]!, indent, summarize);
  const slices = keptIndices(shape[dim]!, summarize).map((i) =>
    i === null
      ? "..."
      : tensorStrWithFormatter(
          src,
          fmt,
          strides,
          dim + 1,
          offset + i * strides[dim]!,
          indent + 1,
          summarize,
        ),
  );
  return "[" + slices.join("," + "\n".repeat(rank - 1) + " ".repeat(indent + 1)) + "]";
}

/** `_tensor_str`: summarise above the threshold, build the formatter, lay out. */
function tensorStr(src: PrintSource, numel: number, indent: number): string {
  if (numel === 0) return "[]";
  const summarize = numel > PRINT_OPTS.threshold;
  const strides = stridesOf(src.shape);
  const values = (function* () {
    for (const pos of shownPositions(src.shape, strides, summarize)) yield src.get(pos);
  })();
  const fmt = makeFormatter(values, src.dtype);
  let imag: Formatter | null = null;
  const getImag = src.getImag;
  if (getImag !== undefined) {
    // complex: real and imaginary parts each get their own formatter (`_tensor_str`)
    const imags = (function* () {
      for (const pos of shownPositions(src.shape, strides, summarize)) yield getImag(pos);
    })();
    imag = makeFormatter(imags, src.dtype);
  }
  return tensorStrWithFormatter(
    src,
    positionFormatter(src, fmt, imag),
    strides,
    0,
    0,
    indent,
    summarize,
  );
}

/**
 * `_add_suffixes`: each suffix goes after ", " unless the line would pass `linewidth`, in which
 * case it starts a new line aligned with the contents. The length of the last line is computed
 * exactly as PyTorch does, including its off-by-two (`len - rfind("\n") + 1`, with rfind = -1
 * when there is no newline).
 */
function addSuffixes(tensorStr: string, suffixes: string[], indent: number): string {
  const parts = [tensorStr];
  let lastLineLen = tensorStr.length - tensorStr.lastIndexOf("\n") + 1;
  for (const suffix of suffixes) {
    if (lastLineLen + suffix.length + 2 > PRINT_OPTS.linewidth) {
      parts.push(",\n" + " ".repeat(indent) + suffix);
      lastLineLen = indent + suffix.length;
    } else {
      parts.push(", " + suffix);
      lastLineLen += suffix.length + 2;
    }
  }
  parts.push(")");
  return parts.join("");
}

/** Python's `str(tuple(shape))`: "(0,)", "(2, 0)". */
function pyTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** `str(t.shape)`: "torch.Size([2, 3])". */
export function formatSize(shape: readonly number[]): string {
  return `torch.Size([${shape.join(", ")}])`;
}

/**
 * `str(t)` for a dense CPU tensor (`_str_intern`). Suffixes, in PyTorch's order: size and dtype
 * of empty tensors, dtype when not implied by the values, then grad_fn or requires_grad.
 */
export function formatTensor(src: PrintSource, extras: PrintExtras = {}): string {
  const prefix = "tensor(";
  const indent = prefix.length;
  const defaultDtype = extras.defaultDtype ?? "float32";
  const numel = src.shape.reduce((a, b) => a * b, 1);
  const suffixes: string[] = [];
  if (extras.device != null) suffixes.push(`device='${extras.device}'`);

  if (numel === 0) {
    // An empty tensor shows its shape unless it is (0,), as NumPy does, and since no values
    // reveal the dtype it is shown whenever it differs from the default (even int64 and bool).
    if (src.shape.length !== 1) suffixes.push(`size=${pyTuple(src.shape)}`);
    if (src.dtype !== defaultDtype) suffixes.push(`dtype=torch.${src.dtype}`);
  } else {
    // `has_default_dtype`: float values print as "1.", ints as "1", bools as "True", so the
    // default float dtype, int64 and bool are implied; anything else is spelled out.
    // the default complex dtype is implied too: complex128 under a float64 default, else complex64
    const defaultComplex = defaultDtype === "float64" ? "complex128" : "complex64";
    const implied =
      src.dtype === defaultDtype ||
      src.dtype === defaultComplex ||
      src.dtype === "int64" ||
      src.dtype === "bool";
    if (!implied) suffixes.push(`dtype=torch.${src.dtype}`);
  }

  if (extras.gradFnName != null) suffixes.push(`grad_fn=<${extras.gradFnName}>`);
  else if (extras.requiresGrad) suffixes.push("requires_grad=True");
  if (extras.tangent != null) suffixes.push(`tangent=${extras.tangent}`);

  return addSuffixes(prefix + tensorStr(src, numel, indent), suffixes, indent);
}

/**
 * `str(t)` of a sparse COO tensor (`_str_intern`'s sparse branch): `indices=tensor(...)` and
 * `values=tensor(...)` laid out at their own indents, then the suffixes size, nnz, dtype (when
 * not the default), layout, grad_fn or requires_grad, each on its own line after the first.
 */
export function formatSparse(
  indices: PrintSource,
  values: PrintSource,
  shape: readonly number[],
  extras: PrintExtras = {},
): string {
  const prefix = "tensor(";
  const indent = prefix.length;
  const defaultDtype = extras.defaultDtype ?? "float32";
  const nnz = indices.shape[1];
  const suffixes = [`size=${pyTuple(shape)}`, `nnz=${nnz}`];
  const defaultComplex = defaultDtype === "float64" ? "complex128" : "complex64";
  const d = values.dtype;
  if (!(d === defaultDtype || d === defaultComplex || d === "int64" || d === "bool"))
    suffixes.push(`dtype=torch.${d}`);
  const part = (name: string, src: PrintSource): string => {
    const p = `${name}=tensor(`;
    const numel = src.shape.reduce((a, b) => a * b, 1);
    let s = tensorStr(src, numel, indent + p.length);
    if (numel === 0) s += `, size=${pyTuple(src.shape)}`;
    return p + s + ")";
  };
  const body = part("indices", indices) + ",\n" + " ".repeat(indent) + part("values", values);
  suffixes.push("layout=torch.sparse_coo");
  if (extras.gradFnName != null) suffixes.push(`grad_fn=<${extras.gradFnName}>`);
  else if (extras.requiresGrad) suffixes.push("requires_grad=True");
  // `_add_suffixes` with force_newline: the first suffix starts a new line
  const parts = [prefix + body];
  let lastLineLen = 0;
  suffixes.forEach((suffix, i) => {
    if (i === 0 || lastLineLen + suffix.length + 2 > PRINT_OPTS.linewidth) {
      parts.push(",\n" + " ".repeat(indent) + suffix);
      lastLineLen = indent + suffix.length;
    } else {
      parts.push(", " + suffix);
      lastLineLen += suffix.length + 2;
    }
  });
  parts.push(")");
  return parts.join("");
}
