/**
 * torch.nn.utils.rnn: PackedSequence (variable-length sequences packed time step by time step,
 * longest first, as the recurrent layers accept them), packPaddedSequence /
 * padPackedSequence, padSequence / unpadSequence, packSequence / unpackSequence,
 * invertPermutation. Packing and padding are compositions of narrow / cat / stack /
 * index_select, so gradients flow through them (their grad_fn names are those ops', not
 * PyTorch's PackPaddedSequenceBackward0).
 */
import { Tensor } from "../tensor.js";
import { int64 } from "../dtype.js";
import { empty, full, tensor, arange } from "../ops/creation.js";
import { scalarTypeName } from "../ops/core.js";
import { cat, stack } from "../ops/views.js";
import { runtimeError, valueError } from "../errors.js";
import { noGrad } from "../autograd/grad-mode.js";

/**
 * A batch of sequences of different lengths packed by time step: `data` [sum of lengths, *]
 * holds step 0 of every sequence, then step 1 of those that have one, ...; `batchSizes` [T]
 * (int64) how many sequences have each step; `sortedIndices` / `unsortedIndices` the
 * permutation from the caller's batch order to the length-sorted order and back (null when the
 * input was already sorted). Like PyTorch's namedtuple it destructures:
 * `const [data, batchSizes] = packed`.
 *
 * @example
 * const p = torch.nn.utils.rnn.packSequence([torch.tensor([1, 2, 3]), torch.tensor([4])]);
 * p.data // tensor([1, 4, 2, 3]); p.batchSizes // tensor([2, 1, 1])
 */
export class PackedSequence {
  /** The packed sequences' elements, time step by time step. */
  readonly data: Tensor;
  /** The batch size at each time step (int64). */
  readonly batchSizes: Tensor;
  /** The order that sorted the sequences by length, or null. */
  readonly sortedIndices: Tensor | null;
  /** The inverse of sortedIndices, or null. */
  readonly unsortedIndices: Tensor | null;

  constructor(
    data: Tensor,
    batchSizes: Tensor,
    sortedIndices: Tensor | null = null,
    unsortedIndices: Tensor | null = null,
  ) {
    this.data = data;
    this.batchSizes = batchSizes;
    this.sortedIndices = sortedIndices;
    this.unsortedIndices = unsortedIndices ?? invertPermutation(sortedIndices);
  }

  /** The same sequences with `data` converted (PackedSequence.to). */
  to(dtype: Parameters<Tensor["to"]>[0]): PackedSequence {
    const data = this.data.to(dtype);
    if (data === this.data) return this;
    return new PackedSequence(data, this.batchSizes, this.sortedIndices, this.unsortedIndices);
  }
  /** The same sequences with float32 `data`. */
  float(): PackedSequence {
    return this.to("float32");
  }
  /** The same sequences with float64 `data`. */
  double(): PackedSequence {
    return this.to("float64");
  }

  /** Unpacks as the Python named tuple: data, batchSizes, sortedIndices, unsortedIndices. */
  *[Symbol.iterator](): Iterator<Tensor | null> {
    yield this.data;
    yield this.batchSizes;
    yield this.sortedIndices;
    yield this.unsortedIndices;
  }

  /** The namedtuple's repr. */
  toString(): string {
    const f = (t: Tensor | null): string => (t === null ? "None" : String(t));
    return `PackedSequence(data=${f(this.data)}, batch_sizes=${f(this.batchSizes)}, sorted_indices=${f(this.sortedIndices)}, unsorted_indices=${f(this.unsortedIndices)})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * The inverse of a permutation (out[perm[i]] = i); null for null.
 * @example torch.nn.utils.rnn.invertPermutation(torch.tensor([2, 0, 1], { dtype: torch.int64 })) // tensor([1, 2, 0])
 */
export function invertPermutation(permutation: Tensor | null): Tensor | null {
  if (permutation === null) return null;
  return noGrad(() =>
    empty(permutation.shape, { dtype: permutation.dtype }).scatter_(
      0,
      permutation,
      arange(permutation.numel(), { dtype: permutation.dtype }),
    ),
  );
}

/** torch.as_tensor(lengths, dtype=torch.int64), checked as _pack_padded_sequence does. */
function lengthsOf(lengths: Tensor | readonly number[]): number[] {
  if (lengths instanceof Tensor) {
    if (lengths.dim() !== 1) {
      throw runtimeError(
        `'lengths' argument should be a 1D CPU int64 tensor, but got ${lengths.dim()}D cpu ${scalarTypeName(int64)} tensor`,
      );
    }
    return (lengths.tolist() as number[]).map(Number);
  }
  return Array.from(lengths, Number);
}

/**
 * Pack a padded batch `input` [T, B, *] ([B, T, *] with batchFirst) of sequences with the given
 * lengths. With `enforceSorted` (the default) lengths must be decreasing; otherwise the batch is
 * sorted by length (descending) and the permutation kept in the result.
 * @example
 * const x = torch.randn(4, 3, 2); // three sequences of lengths 4, 2, 1, padded
 * const p = torch.nn.utils.rnn.packPaddedSequence(x, [4, 2, 1]);
 * p.batchSizes // tensor([3, 2, 1, 1])
 */
export function packPaddedSequence(
  input: Tensor,
  lengths: Tensor | readonly number[],
  batchFirst: boolean | { batchFirst?: boolean; enforceSorted?: boolean } = false,
  enforceSorted = true,
): PackedSequence {
  if (typeof batchFirst === "object") {
    return packPaddedSequence(
      input,
      lengths,
      batchFirst.batchFirst ?? false,
      batchFirst.enforceSorted ?? true,
    );
  }
  let lens = lengthsOf(lengths);
  let sortedIndices: Tensor | null = null;
  if (!enforceSorted) {
    // torch.sort(lengths, descending=True): a stable descending order
    const order = lens.map((_, i) => i).sort((a, b) => lens[b] - lens[a] || a - b);
    lens = order.map((i) => lens[i]);
    sortedIndices = tensor(order, { dtype: int64 });
    input = input.indexSelect(batchFirst ? 0 : 1, sortedIndices);
  }
  const x = batchFirst ? input.transpose(0, 1) : input;
  const B = x.shape[1];
  if (lens.length !== B) {
    throw runtimeError(
      `Expected \`len(lengths)\` to be equal to batch_size, but got ${lens.length} (batch_size=${B})`,
    );
  }
  for (let i = 1; i < lens.length; i++) {
    if (lens[i] > lens[i - 1]) {
      throw runtimeError(
        "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do not need ONNX exportability.",
      );
    }
  }
  if (B > 0 && lens[B - 1] <= 0) {
    throw runtimeError(
      "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0",
    );
  }
  const T = B === 0 ? 0 : lens[0];
  if (T > x.shape[0]) {
    throw runtimeError(
      `Expected the longest length (${T}) to be at most the padded length (${x.shape[0]})`,
    );
  }
  const batchSizes: number[] = [];
  const steps: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    let b = 0;
    while (b < B && lens[b] > t) b++;
    batchSizes.push(b);
    steps.push(x.select(0, t).narrow(0, 0, b));
  }
  const data = steps.length === 0 ? x.reshape([0, ...x.shape.slice(2)]) : cat(steps, 0);
  return new PackedSequence(data, tensor(batchSizes, { dtype: int64 }), sortedIndices, null);
}

/**
 * Pad a PackedSequence back to [T, B, *] ([B, T, *] with batchFirst), T = totalLength or the
 * longest sequence, filling with `paddingValue`; returns `[padded, lengths]` in the caller's
 * original batch order.
 * @example
 * const packed = torch.nn.utils.rnn.packSequence([torch.ones(3, 2), torch.ones(1, 2)]);
 * const [padded, lengths] = torch.nn.utils.rnn.padPackedSequence(packed, { batchFirst: true });
 * // padded [2, 3, 2], lengths tensor([3, 1])
 */
export function padPackedSequence(
  sequence: PackedSequence,
  batchFirst:
    boolean | { batchFirst?: boolean; paddingValue?: number; totalLength?: number | null } = false,
  paddingValue = 0.0,
  totalLength: number | null = null,
): [Tensor, Tensor] {
  if (typeof batchFirst === "object") {
    return padPackedSequence(
      sequence,
      batchFirst.batchFirst ?? false,
      batchFirst.paddingValue ?? 0.0,
      batchFirst.totalLength ?? null,
    );
  }
  const sizes = (sequence.batchSizes.tolist() as number[]).map(Number);
  let maxLen = sizes.length;
  if (totalLength !== null) {
    if (totalLength < maxLen) {
      throw valueError(
        `Expected total_length to be at least the length of the longest sequence in input, but got total_length=${totalLength} and max sequence length being ${maxLen}`,
      );
    }
    maxLen = totalLength;
  }
  const data = sequence.data;
  const B = sizes.length === 0 ? 0 : sizes[0];
  const feat = data.shape.slice(1);
  const pad = (n: number): Tensor => full([n, ...feat], paddingValue, { dtype: data.dtype });
  const rows: Tensor[] = [];
  let off = 0;
  for (const b of sizes) {
    const step = data.narrow(0, off, b);
    rows.push(b === B ? step : cat([step, pad(B - b)], 0));
    off += b;
  }
  for (let t = sizes.length; t < maxLen; t++) rows.push(pad(B));
  let padded = rows.length === 0 ? full([0, B, ...feat], paddingValue) : stack(rows, 0);
  if (batchFirst) padded = padded.transpose(0, 1);
  // lengths[i] = number of steps whose batch size exceeds i
  const lens = Array.from({ length: B }, (_, i) => sizes.filter((b) => b > i).length);
  let lengths = tensor(lens, { dtype: int64 });
  const unsorted = sequence.unsortedIndices;
  if (unsorted !== null) {
    padded = padded.indexSelect(batchFirst ? 0 : 1, unsorted);
    lengths = lengths.indexSelect(0, unsorted);
  }
  return [padded, lengths];
}

/**
 * Stack sequences of different lengths ([L_i, *] each) into [maxL, B, *] ([B, maxL, *] with
 * batchFirst), padding with `paddingValue`.
 * @example torch.nn.utils.rnn.padSequence([torch.ones(3), torch.ones(1)], true) // tensor([[1., 1., 1.], [1., 0., 0.]])
 */
export function padSequence(
  sequences: Iterable<Tensor>,
  batchFirst: boolean | { batchFirst?: boolean; paddingValue?: number } = false,
  paddingValue = 0.0,
): Tensor {
  if (typeof batchFirst === "object") {
    return padSequence(sequences, batchFirst.batchFirst ?? false, batchFirst.paddingValue ?? 0.0);
  }
  if (
    sequences === null ||
    typeof (sequences as Iterable<Tensor>)[Symbol.iterator] !== "function"
  ) {
    throw runtimeError(
      `pad_sequence: Expected iterable for input sequences, but got arg of type: <class '${typeof sequences}'>`,
    );
  }
  const seqs = Array.from(sequences);
  if (seqs.length === 0) throw runtimeError("received an empty list of sequences");
  const maxLen = Math.max(...seqs.map((s) => s.shape[0]));
  const padded = seqs.map((s) => {
    const n = maxLen - s.shape[0];
    if (n === 0) return s;
    return cat([s, full([n, ...s.shape.slice(1)], paddingValue, { dtype: s.dtype })], 0);
  });
  return stack(padded, batchFirst ? 0 : 1);
}

/**
 * The sequences of a padded batch, each cut to its length (the inverse of padSequence).
 * Unlike PyTorch 1.13's, it does not transpose `paddedSequences` in place.
 * @example
 * const padded = torch.nn.utils.rnn.padSequence([torch.ones(3), torch.ones(1)]); // [3, 2]
 * torch.nn.utils.rnn.unpadSequence(padded, torch.tensor([3, 1], { dtype: torch.int64 })); // [ones(3), ones(1)]
 */
export function unpadSequence(
  paddedSequences: Tensor,
  lengths: Tensor | readonly number[],
  batchFirst: boolean | { batchFirst?: boolean } = false,
): Tensor[] {
  if (typeof batchFirst === "object") {
    return unpadSequence(paddedSequences, lengths, batchFirst.batchFirst ?? false);
  }
  const x = batchFirst ? paddedSequences : paddedSequences.transpose(0, 1);
  const lens = lengthsOf(lengths);
  return lens.map((n, i) => x.select(0, i).narrow(0, 0, n));
}

/**
 * Pack a list of sequences ([L_i, *] each): padSequence, then packPaddedSequence with their
 * lengths.
 * @example
 * const [a, b, c] = [torch.ones(1), torch.ones(3), torch.ones(2)];
 * torch.nn.utils.rnn.packSequence([a, b, c], { enforceSorted: false });
 */
export function packSequence(
  sequences: readonly Tensor[],
  enforceSorted: boolean | { enforceSorted?: boolean } = true,
): PackedSequence {
  if (typeof enforceSorted === "object") {
    return packSequence(sequences, enforceSorted.enforceSorted ?? true);
  }
  const lengths = sequences.map((s) => s.shape[0]);
  return packPaddedSequence(padSequence(sequences), lengths, false, enforceSorted);
}

/**
 * The sequences of a PackedSequence, in the caller's original order.
 * @example
 * const [a, b, c] = [torch.ones(1), torch.ones(3), torch.ones(2)];
 * const packed = torch.nn.utils.rnn.packSequence([a, b, c], { enforceSorted: false });
 * torch.nn.utils.rnn.unpackSequence(packed); // [a, b, c] (equal values, in this order)

 */
export function unpackSequence(packedSequences: PackedSequence): Tensor[] {
  const [padded, lengths] = padPackedSequence(packedSequences, true);
  return unpadSequence(padded, lengths, true);
}
