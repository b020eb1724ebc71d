/**
 * Recurrent layers: RNN (tanh or relu), LSTM and GRU, single or multi-layer, uni- or
 * bidirectional, batch-first or not, batched or unbatched; and their cells (RNNCell,
 * LSTMCell, GRUCell). Parameters, names (`weight_ih_l0`, `bias_hh_l1_reverse`, ...), default
 * initialisation (every parameter U(-1/sqrt(hidden), 1/sqrt(hidden)), drawn in registration
 * order) and the cell arithmetic follow PyTorch's CPU implementation (the input projection of
 * a whole sequence is computed at once, then one step per time).
 */
import { Tensor } from "../tensor.js";
import type { DType } from "../dtype.js";
import { Module } from "./module.js";
import { Parameter } from "./parameter.js";
import { empty, zeros } from "../ops/creation.js";
import { dropout } from "./functional.js";
import { cat, stack } from "../ops/views.js";
import { runtimeError, valueError } from "../errors.js";
import { PackedSequence } from "./rnn-utils.js";
import { pyBool, pyFloat, uniformInit } from "./layer-utils.js";
import { ctorArgs, isOptionsObject } from "./ctor-args.js";
import {
  lstmLayer,
  lstmLayerSupported,
  rnnLinear as linear,
  rnnCellStep as step,
  type RnnMode,
} from "../ops/rnn.js";

type Mode = RnnMode;

/** x @ w^T + b */

/** Dropout in training mode (F.dropout: PyTorch's bernoulli mask). */
export function dropoutTrain(x: Tensor, p: number): Tensor {
  return dropout(x, p, { training: true });
}

const gateMultiplier = (mode: Mode): number => (mode === "LSTM" ? 4 : mode === "GRU" ? 3 : 1);

/** Options of RNN, LSTM and GRU. */
export interface RNNOptions {
  /** The number of features of the input x. */
  inputSize?: number;
  /** The number of features of the hidden state h. */
  hiddenSize?: number;
  /** Stacked recurrent layers (default 1). */
  numLayers?: number;
  /** RNN only: "tanh" (default) or "relu" */
  nonlinearity?: "tanh" | "relu";
  /** Whether the layers have the biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output as [batch, seq, feature] instead of [seq, batch, feature] (default false). */
  batchFirst?: boolean;
  /** dropout on the outputs of each layer but the last, in training */
  dropout?: number;
  /** A bidirectional layer (default false). */
  bidirectional?: boolean;
  /** LSTM only: project the hidden state to this size (0: no projection) */
  projSize?: number;
  /** Only "cpu" (PyTorch's `device`). */
  device?: string | null;
  /** The parameters' dtype. */
  dtype?: DType | null;
}

/** An argument of RNN, LSTM or GRU: PyTorch's positional values, or a trailing options object. */
export type RNNArg = number | boolean | string | DType | null | undefined | RNNOptions;

/** RNNBase's parameters, in PyTorch's order. */
const RNN_NAMES = [
  "mode",
  "inputSize",
  "hiddenSize",
  "numLayers",
  "bias",
  "batchFirst",
  "dropout",
  "bidirectional",
  "projSize",
  "device",
  "dtype",
] as const;

type RNNArgs = Required<Omit<RNNOptions, "nonlinearity">> & { mode: Mode };

/**
 * RNN and GRU take `*args, **kwargs` and reject a `proj_size` keyword before binding them to
 * RNNBase (PyTorch's check, made even for proj_size=0); RNN pops its keyword-only
 * `nonlinearity`. Returns the arguments for RNNBase and the nonlinearity given.
 */
function popKeywords(
  args: readonly RNNArg[],
  popNonlinearity: boolean,
): [RNNArg[], string | undefined] {
  const out = args.slice();
  let n = out.length;
  while (n > 0 && out[n - 1] === undefined) n--;
  const last = out[n - 1];
  if (n === 0 || !isOptionsObject(last)) return [out, undefined];
  if (last.projSize !== undefined)
    throw valueError("proj_size argument is only supported for LSTM, not RNN or GRU");
  if (!popNonlinearity) return [out, undefined];
  const { nonlinearity, ...rest } = last as RNNOptions;
  out[n - 1] = rest;
  return [out, nonlinearity];
}

const RNN_DEFAULTS = {
  numLayers: 1,
  bias: true,
  batchFirst: false,
  dropout: 0,
  bidirectional: false,
  projSize: 0,
  device: null,
  dtype: null,
};

/** PyTorch's RNNBase. */
export abstract class RNNBase extends Module {
  /** The cell type: "RNN_TANH", "RNN_RELU", "LSTM" or "GRU" (PyTorch's `mode`). */
  declare mode: Mode;
  /** The number of input features (PyTorch's `input_size`). */
  declare inputSize: number;
  /** The number of hidden features (PyTorch's `hidden_size`). */
  declare hiddenSize: number;
  /** Stacked recurrent layers (PyTorch's `num_layers`). */
  declare numLayers: number;
  /** Whether the layers have biases (PyTorch's `bias`). */
  declare bias: boolean;
  /** Whether input and output are batch-first (PyTorch's `batch_first`). */
  declare batchFirst: boolean;
  /** Dropout between layers (PyTorch's `dropout`). */
  declare dropout: number;
  /** Whether the layer is bidirectional (PyTorch's `bidirectional`). */
  declare bidirectional: boolean;
  /** The LSTM projection size, 0 for none (PyTorch's `proj_size`). */
  declare projSize: number;
  /** the parameter names in PyTorch's order (`_flat_weights_names`) */
  declare flatWeightsNames: string[];

  /**
   * PyTorch's RNNBase(mode, input_size, hidden_size, num_layers=1, bias=True,
   * batch_first=False, dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None)
   * (RNN, GRU and LSTM pass their mode first), positionally or by name.
   */
  constructor(mode: Mode | RNNOptions, ...args: RNNArg[]) {
    super();
    const o = ctorArgs<RNNArgs>("RNNBase", [mode, ...args], RNN_NAMES, RNN_DEFAULTS);
    mode = o.mode;
    const { inputSize, hiddenSize, numLayers, projSize } = o;
    const dropout = o.dropout;
    if (typeof dropout !== "number" || !(dropout >= 0 && dropout <= 1)) {
      throw valueError(
        "dropout should be a number in range [0, 1] representing the probability of an element being zeroed",
      );
    }
    if (dropout > 0 && numLayers === 1) {
      console.warn(
        `dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers greater than 1, but got dropout=${dropout} and num_layers=${numLayers}`,
      );
    }
    Object.assign(this, {
      mode,
      inputSize,
      hiddenSize,
      numLayers,
      bias: o.bias,
      batchFirst: o.batchFirst,
      dropout,
      bidirectional: o.bidirectional,
      projSize,
      flatWeightsNames: [],
    });
    if (projSize < 0) {
      throw valueError("proj_size should be a positive integer or zero to disable projections");
    }
    if (projSize >= hiddenSize) throw valueError("proj_size has to be smaller than hidden_size");
    if (!["LSTM", "GRU", "RNN_TANH", "RNN_RELU"].includes(mode))
      throw valueError(`Unrecognized RNN mode: ${String(mode)}`);
    const realHidden = projSize > 0 ? projSize : hiddenSize;
    const gate = gateMultiplier(mode) * hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const dt = o.dtype ? { dtype: o.dtype } : {};
    const self = this as unknown as Record<string, Parameter>;
    for (let layer = 0; layer < numLayers; layer++) {
      for (let d = 0; d < dirs; d++) {
        const inSize = layer === 0 ? inputSize : realHidden * dirs;
        const sfx = `_l${layer}${d === 1 ? "_reverse" : ""}`;
        const params: [string, number[]][] = [
          [`weight_ih${sfx}`, [gate, inSize]],
          [`weight_hh${sfx}`, [gate, realHidden]],
        ];
        if (this.bias) params.push([`bias_ih${sfx}`, [gate]], [`bias_hh${sfx}`, [gate]]);
        if (projSize > 0) params.push([`weight_hr${sfx}`, [projSize, hiddenSize]]);
        for (const [name, shape] of params) {
          self[name] = new Parameter(empty(shape, dt));
          this.flatWeightsNames.push(name);
        }
      }
    }
    this.resetParameters();
  }

  /** Every parameter U(-1/sqrt(hidden), 1/sqrt(hidden)), in registration order. */
  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1.0 / Math.sqrt(this.hiddenSize) : 0;
    for (const p of this.parameters()) uniformInit(p, stdv);
  }

  /** The parameters of one layer and direction: [w_ih, w_hh, b_ih | null, b_hh | null, w_hr | null]. */
  protected layerParams(
    layer: number,
    d: number,
  ): [Tensor, Tensor, Tensor | null, Tensor | null, Tensor | null] {
    const self = this as unknown as Record<string, Parameter>;
    const sfx = `_l${layer}${d === 1 ? "_reverse" : ""}`;
    return [
      self[`weight_ih${sfx}`],
      self[`weight_hh${sfx}`],
      this.bias ? self[`bias_ih${sfx}`] : null,
      this.bias ? self[`bias_hh${sfx}`] : null,
      this.projSize > 0 ? self[`weight_hr${sfx}`] : null,
    ];
  }

  /** The size of h: projSize when projecting, else hiddenSize. */
  protected get realHidden(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  /** Normalise the input to [L, N, in]; returns whether it was batched. */
  protected prepare(input: Tensor): { x: Tensor; batched: boolean } {
    if (input.dim() !== 2 && input.dim() !== 3) {
      throw runtimeError(`input must have 3 dimensions, got ${input.dim()}`);
    }
    const batched = input.dim() === 3;
    let x = batched ? input : input.unsqueeze(this.batchFirst ? 0 : 1);
    if (this.batchFirst) x = x.transpose(0, 1);
    if (x.shape[2] !== this.inputSize) {
      throw runtimeError(
        `input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${x.shape[2]}`,
      );
    }
    return { x, batched };
  }

  protected checkHidden(h: Tensor, batch: number, name = "hidden", size = this.realHidden): void {
    const dirs = this.bidirectional ? 2 : 1;
    const expected = [this.numLayers * dirs, batch, size];
    if (h.shape.join() !== expected.join()) {
      throw runtimeError(
        `Expected ${name} size (${expected.join(", ")}), got [${h.shape.join(", ")}]`,
      );
    }
  }

  /** A packed input's data [sum of lengths, in], checked as PyTorch's check_input. */
  protected preparePacked(p: PackedSequence): { data: Tensor; sizes: number[] } {
    if (p.data.dim() !== 2) {
      throw runtimeError(`input must have 2 dimensions, got ${p.data.dim()}`);
    }
    if (p.data.shape[1] !== this.inputSize) {
      throw runtimeError(
        `input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${p.data.shape[1]}`,
      );
    }
    return { data: p.data, sizes: (p.batchSizes.tolist() as number[]).map(Number) };
  }

  /**
   * Every layer over packed data [sum of sizes, in] (time step t holds the first sizes[t]
   * sequences): each step updates the first sizes[t] rows of the state, so a sequence's final
   * state is the one after its last step (and a reversed direction starts each sequence from
   * its initial state at its own last step).
   */
  protected runPacked(
    data: Tensor,
    sizes: number[],
    h0: Tensor,
    c0: Tensor | null,
  ): [Tensor, Tensor, Tensor | null] {
    const dirs = this.bidirectional ? 2 : 1;
    const T = sizes.length;
    const offsets: number[] = [];
    let total = 0;
    for (const b of sizes) {
      offsets.push(total);
      total += b;
    }
    const hn: Tensor[] = [];
    const cn: Tensor[] = [];
    let layerInput = data;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const [wih, whh, bih, bhh, whr] = this.layerParams(layer, d);
        const gi = linear(layerInput, wih, bih);
        const k = layer * dirs + d;
        let h = h0.select(0, k);
        let c = c0 === null ? null : c0.select(0, k);
        const B = h.shape[0];
        const steps = new Array<Tensor>(T);
        for (let s = 0; s < T; s++) {
          const t = d === 0 ? s : T - 1 - s;
          const b = sizes[t];
          const keep = (x: Tensor, y: Tensor): Tensor =>
            b === B ? y : cat([y, x.narrow(0, b, B - b)], 0);
          const [h1, c1] = step(
            this.mode,
            gi.narrow(0, offsets[t], b),
            h.narrow(0, 0, b),
            c === null ? null : c.narrow(0, 0, b),
            whh,
            bhh,
            whr,
          );
          steps[t] = h1;
          h = keep(h, h1);
          if (c !== null) c = keep(c, c1 as Tensor);
        }
        outs.push(T > 0 ? cat(steps, 0) : layerInput.narrow(1, 0, 0));
        hn.push(h);
        if (c !== null) cn.push(c);
      }
      layerInput = dirs === 1 ? outs[0] : cat(outs, 1);
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) {
        layerInput = dropoutTrain(layerInput, this.dropout);
      }
    }
    return [layerInput, stack(hn, 0), c0 === null ? null : stack(cn, 0)];
  }

  /**
   * Run every layer over x [L, N, in] from initial states h0 (and c0) [layers*dirs, N, H]:
   * the output [L, N, dirs*H] and the final states.
   */
  protected run(x: Tensor, h0: Tensor, c0: Tensor | null): [Tensor, Tensor, Tensor | null] {
    const dirs = this.bidirectional ? 2 : 1;
    const L = x.shape[0];
    const hn: Tensor[] = [];
    const cn: Tensor[] = [];
    let layerInput = x;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < dirs; d++) {
        const [wih, whh, bih, bhh, whr] = this.layerParams(layer, d);
        const k = layer * dirs + d;
        let h = h0.select(0, k);
        let c = c0 === null ? null : c0.select(0, k);
        if (
          c !== null &&
          whr === null &&
          lstmLayerSupported(layerInput, h, c, wih, whh, bih, bhh)
        ) {
          // input projection and recurrence as one node with fused kernels (ops/rnn.ts)
          const [y, hT, cT] = lstmLayer(layerInput, h, c, wih, whh, bih, bhh, d === 1);
          outs.push(y);
          hn.push(hT);
          cn.push(cT);
          continue;
        }
        const gi = linear(layerInput, wih, bih); // [L, N, gates], the whole sequence at once
        const steps = new Array<Tensor>(L);
        for (let s = 0; s < L; s++) {
          const t = d === 0 ? s : L - 1 - s;
          [h, c] = step(this.mode, gi.select(0, t), h, c, whh, bhh, whr);
          steps[t] = h;
        }
        outs.push(L > 0 ? stack(steps, 0) : layerInput.narrow(2, 0, 0));
        hn.push(h);
        if (c !== null) cn.push(c);
      }
      layerInput = dirs === 1 ? outs[0] : cat(outs, 2);
      if (this.dropout > 0 && this.training && layer < this.numLayers - 1) {
        layerInput = dropoutTrain(layerInput, this.dropout);
      }
    }
    return [layerInput, stack(hn, 0), c0 === null ? null : stack(cn, 0)];
  }

  protected finish(out: Tensor, batched: boolean): Tensor {
    let y = this.batchFirst ? out.transpose(0, 1) : out;
    if (!batched) y = y.squeeze(this.batchFirst ? 0 : 1);
    return y;
  }

  protected zerosState(x: Tensor, batch = x.shape[1], size = this.realHidden): Tensor {
    const dirs = this.bidirectional ? 2 : 1;
    return zeros([this.numLayers * dirs, batch, size], { dtype: x.dtype });
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`;
    if (this.batchFirst) s += `, batch_first=${pyBool(this.batchFirst)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${pyBool(this.bidirectional)}`;
    return s;
  }
}

/** RNN and GRU: `forward(input, hx?)` -> `[output, h_n]`. */
abstract class SingleStateRNN extends RNNBase {
  /** A packed batch: `[output, h_n]` with the output packed as the input. */
  override forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  /** `[output, h_n]`: every step's last-layer state, and every layer's last state. */
  override forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  override forward(
    input: Tensor | PackedSequence,
    hx: Tensor | null = null,
  ): [Tensor | PackedSequence, Tensor] {
    if (input instanceof PackedSequence) {
      const { data, sizes } = this.preparePacked(input);
      const B = sizes.length === 0 ? 0 : sizes[0];
      let h0: Tensor;
      if (hx === null) h0 = this.zerosState(data, B);
      else {
        // permute_hidden: the caller's batch order to the packed (sorted) order
        h0 = input.sortedIndices === null ? hx : hx.indexSelect(1, input.sortedIndices);
        this.checkHidden(h0, B);
      }
      const [out, hn] = this.runPacked(data, sizes, h0, null);
      const packed = new PackedSequence(
        out,
        input.batchSizes,
        input.sortedIndices,
        input.unsortedIndices,
      );
      const u = input.unsortedIndices;
      return [packed, u === null ? hn : hn.indexSelect(1, u)];
    }
    const { x, batched } = this.prepare(input);
    let h0: Tensor;
    if (hx === null) h0 = this.zerosState(x);
    else {
      if (batched && hx.dim() !== 3) {
        throw runtimeError(
          `For batched 3-D input, hx should also be 3-D but got ${hx.dim()}-D tensor`,
        );
      }
      if (!batched && hx.dim() !== 2) {
        throw runtimeError(
          `For unbatched 2-D input, hx should also be 2-D but got ${hx.dim()}-D tensor`,
        );
      }
      h0 = batched ? hx : hx.unsqueeze(1);
      this.checkHidden(h0, x.shape[1]);
    }
    const [out, hn] = this.run(x, h0, null);
    return [this.finish(out, batched), batched ? hn : hn.squeeze(1)];
  }
}

/**
 * torch.nn.RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).
 * `forward(input, h0?)` returns `[output, h_n]`; a PackedSequence input gives a PackedSequence
 * output (call `forward` for its static type: `call` types the Tensor form).
 *
 * @example
 * const rnn = new torch.nn.RNN(10, 20, { numLayers: 2 });
 * const [out, hn] = rnn.call(torch.randn(5, 3, 10)); // out [5, 3, 20], hn [2, 3, 20]
 */
export class RNN extends SingleStateRNN {
  /** "tanh" or "relu" (PyTorch's `nonlinearity`). */
  declare nonlinearity: "tanh" | "relu";
  constructor(...args: RNNArg[]) {
    const [rest, given] = popKeywords(args, true);
    const nl = given ?? "tanh";
    if (nl !== "tanh" && nl !== "relu") throw valueError(`Unknown nonlinearity '${nl}'`);
    super(nl === "tanh" ? "RNN_TANH" : "RNN_RELU", ...rest);
    Object.assign(this, { nonlinearity: nl });
  }
}

/**
 * torch.nn.GRU (gates r, z, n in PyTorch's order).
 * `forward(input, h0?)` returns `[output, h_n]`.
 *
 * @example
 * const gru = new torch.nn.GRU(8, 16, { batchFirst: true });
 * const [out, hn] = gru.call(torch.randn(4, 7, 8)); // out [4, 7, 16], hn [1, 4, 16]
 */
export class GRU extends SingleStateRNN {
  constructor(...args: RNNArg[]) {
    super("GRU", ...popKeywords(args, false)[0]);
  }
}

/**
 * torch.nn.LSTM (gates i, f, g, o in PyTorch's order).
 * `forward(input, [h0, c0]?)` returns `[output, [h_n, c_n]]`.
 *
 * @example
 * const lstm = new torch.nn.LSTM(10, 20, { numLayers: 2, bidirectional: true });
 * const [out, [hn, cn]] = lstm.call(torch.randn(5, 3, 10)); // out [5, 3, 40], hn [4, 3, 20]
 */
export class LSTM extends RNNBase {
  constructor(...args: RNNArg[]) {
    super("LSTM", ...args);
  }

  /** A packed batch: `[output, [h_n, c_n]]` with the output packed as the input. */
  override forward(
    input: PackedSequence,
    hx?: readonly [Tensor, Tensor] | null,
  ): [PackedSequence, [Tensor, Tensor]];
  /** `[output, [h_n, c_n]]`: every step's last-layer state, and every layer's last states. */
  override forward(
    input: Tensor,
    hx?: readonly [Tensor, Tensor] | null,
  ): [Tensor, [Tensor, Tensor]];
  override forward(
    input: Tensor | PackedSequence,
    hx: readonly [Tensor, Tensor] | null = null,
  ): [Tensor | PackedSequence, [Tensor, Tensor]] {
    if (input instanceof PackedSequence) {
      const { data, sizes } = this.preparePacked(input);
      const B = sizes.length === 0 ? 0 : sizes[0];
      let h0: Tensor;
      let c0: Tensor;
      if (hx === null) {
        h0 = this.zerosState(data, B);
        c0 = this.zerosState(data, B, this.hiddenSize);
      } else {
        const s = input.sortedIndices;
        [h0, c0] = s === null ? hx : [hx[0].indexSelect(1, s), hx[1].indexSelect(1, s)];
        this.checkHidden(h0, B, "hidden[0]");
        this.checkHidden(c0, B, "hidden[1]", this.hiddenSize);
      }
      const [out, hn, cn] = this.runPacked(data, sizes, h0, c0);
      const packed = new PackedSequence(
        out,
        input.batchSizes,
        input.sortedIndices,
        input.unsortedIndices,
      );
      const u = input.unsortedIndices;
      const c = cn as Tensor;
      return [packed, u === null ? [hn, c] : [hn.indexSelect(1, u), c.indexSelect(1, u)]];
    }
    const { x, batched } = this.prepare(input);
    let h0: Tensor;
    let c0: Tensor;
    if (hx === null) {
      h0 = this.zerosState(x);
      c0 = this.zerosState(x, x.shape[1], this.hiddenSize);
    } else {
      const [h, c] = hx;
      const want = batched ? 3 : 2;
      if (h.dim() !== want || c.dim() !== want) {
        throw runtimeError(
          batched
            ? `For batched 3-D input, hx and cx should also be 3-D but got (${h.dim()}-D, ${c.dim()}-D) tensors`
            : `For unbatched 2-D input, hx and cx should also be 2-D but got (${h.dim()}-D, ${c.dim()}-D) tensors`,
        );
      }
      h0 = batched ? h : h.unsqueeze(1);
      c0 = batched ? c : c.unsqueeze(1);
      this.checkHidden(h0, x.shape[1], "hidden[0]");
      this.checkHidden(c0, x.shape[1], "hidden[1]", this.hiddenSize);
    }
    const [out, hn, cn] = this.run(x, h0, c0);
    const c = cn as Tensor;
    return [this.finish(out, batched), batched ? [hn, c] : [hn.squeeze(1), c.squeeze(1)]];
  }
}

// ---------------------------------------------------------------------------------------------
// cells

/** Arguments of RNNCellBase by name. */
export interface RNNCellBaseOptions {
  /** The number of features of the input x. */
  inputSize?: number;
  /** The number of features of the hidden state h. */
  hiddenSize?: number;
  /** Whether the layers have the biases b_ih and b_hh (default true). */
  bias?: boolean;
  numChunks?: number;
  /** Only "cpu" (PyTorch's `device`). */
  device?: string | null;
  /** The parameters' dtype. */
  dtype?: DType | null;
}

/** Arguments of RNNCell, LSTMCell and GRUCell by name. */
export interface RNNCellOptions {
  /** The number of features of the input x. */
  inputSize?: number;
  /** The number of features of the hidden state h. */
  hiddenSize?: number;
  /** Whether the layers have the biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** RNNCell only */
  nonlinearity?: "tanh" | "relu";
  /** Only "cpu" (PyTorch's `device`). */
  device?: string | null;
  /** The parameters' dtype. */
  dtype?: DType | null;
}

/** An argument of a cell: PyTorch's positional values, or a trailing options object. */
export type RNNCellArg = number | boolean | string | DType | null | undefined | RNNCellOptions;

/**
 * A cell's arguments bound as `cls.__init__(input_size, hidden_size, bias=True,
 * [nonlinearity='tanh',] device=None, dtype=None)` binds them.
 */
function cellArgs(cls: string, args: readonly RNNCellArg[]): Required<RNNCellOptions> {
  const names = ["inputSize", "hiddenSize", "bias", "nonlinearity", "device", "dtype"] as const;
  return ctorArgs<Required<RNNCellOptions>>(
    cls,
    args,
    cls === "RNNCell" ? names : names.filter((n) => n !== "nonlinearity"),
    { bias: true, nonlinearity: "tanh", device: null, dtype: null },
  );
}

/**
 * torch.nn.RNNCellBase(inputSize, hiddenSize, bias, numChunks): the parameters of a cell,
 * weight_ih [numChunks·hidden, input], weight_hh [numChunks·hidden, hidden], bias_ih, bias_hh,
 * each U(-1/sqrt(hidden), 1/sqrt(hidden)). RNNCell, LSTMCell and GRUCell add the step.
 *
 * @example
 * const base = new torch.nn.RNNCellBase(3, 4, true, 2);
 * base.weight_ih.shape; // [8, 3]
 */
export class RNNCellBase extends Module {
  /** The number of input features (PyTorch's `input_size`). */
  declare inputSize: number;
  /** The number of hidden features (PyTorch's `hidden_size`). */
  declare hiddenSize: number;
  /** Whether the layers have biases (PyTorch's `bias`). */
  declare bias: boolean;
  /** The learnable input-hidden weight (PyTorch's `weight_ih`). */
  declare weight_ih: Parameter;
  /** The learnable hidden-hidden weight (PyTorch's `weight_hh`). */
  declare weight_hh: Parameter;
  /** The learnable input-hidden bias (PyTorch's `bias_ih`), or null without bias. */
  declare bias_ih: Parameter | null;
  /** The learnable hidden-hidden bias (PyTorch's `bias_hh`), or null without bias. */
  declare bias_hh: Parameter | null;
  declare protected mode: Mode;

  /** PyTorch's RNNCellBase(input_size, hidden_size, bias, num_chunks, device=None, dtype=None). */
  constructor(
    inputSize: number | RNNCellBaseOptions,
    hiddenSize?: number | RNNCellBaseOptions,
    bias?: boolean | RNNCellBaseOptions,
    numChunks?: number | RNNCellBaseOptions,
    ...rest: (string | DType | null | undefined | RNNCellBaseOptions)[]
  ) {
    super();
    const a = ctorArgs<Required<RNNCellBaseOptions>>(
      "RNNCellBase",
      [inputSize, hiddenSize, bias, numChunks, ...rest],
      ["inputSize", "hiddenSize", "bias", "numChunks", "device", "dtype"],
      { device: null, dtype: null },
    );
    Object.assign(this, { inputSize: a.inputSize, hiddenSize: a.hiddenSize, bias: a.bias });
    Object.assign(this, { mode: "RNN_TANH" });
    const gate = a.numChunks * a.hiddenSize;
    const dt = a.dtype ? { dtype: a.dtype } : {};
    this.weight_ih = new Parameter(empty([gate, a.inputSize], dt));
    this.weight_hh = new Parameter(empty([gate, a.hiddenSize], dt));
    if (a.bias) {
      this.bias_ih = new Parameter(empty([gate], dt));
      this.bias_hh = new Parameter(empty([gate], dt));
    } else {
      this.registerParameter("bias_ih", null);
      this.registerParameter("bias_hh", null);
    }
    this.resetParameters();
  }

  /** Every parameter U(-1/sqrt(hidden), 1/sqrt(hidden)), as PyTorch's reset_parameters. */
  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1.0 / Math.sqrt(this.hiddenSize) : 0;
    for (const p of this.parameters()) uniformInit(p, stdv);
  }

  protected cell(x: Tensor, h: Tensor | null, c: Tensor | null): [Tensor, Tensor | null] {
    if (x.dim() !== 1 && x.dim() !== 2) {
      throw runtimeError(
        `${this.constructor.name}: Expected input to be 1-D or 2-D but received ${x.dim()}-D tensor`,
      );
    }
    const batched = x.dim() === 2;
    const xb = batched ? x : x.unsqueeze(0);
    const zerosH = (): Tensor => zeros([xb.shape[0], this.hiddenSize], { dtype: x.dtype });
    const hb = h === null ? zerosH() : batched ? h : h.unsqueeze(0);
    const cb = this.mode !== "LSTM" ? null : c === null ? zerosH() : batched ? c : c.unsqueeze(0);
    const gi = linear(xb, this.weight_ih, this.bias_ih);
    const [h1, c1] = step(this.mode, gi, hb, cb, this.weight_hh, this.bias_hh);
    return batched ? [h1, c1] : [h1.squeeze(0), c1 === null ? null : c1.squeeze(0)];
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (!this.bias) s += ", bias=False";
    const nl = (this as { nonlinearity?: string }).nonlinearity;
    if (nl !== undefined && nl !== "tanh") s += `, nonlinearity=${nl}`;
    return s;
  }
}

/**
 * torch.nn.RNNCell: one step, h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).
 *
 * @example
 * const cell = new torch.nn.RNNCell(10, 20);
 * const h = cell.call(torch.randn(3, 10)); // [3, 20]
 */
export class RNNCell extends RNNCellBase {
  /** "tanh" or "relu" (PyTorch's `nonlinearity`). */
  declare nonlinearity: "tanh" | "relu";
  constructor(...args: RNNCellArg[]) {
    const { nonlinearity: nl, ...a } = cellArgs("RNNCell", args);
    super({ ...a, numChunks: 1 });
    this.nonlinearity = nl;
    this.mode = nl === "relu" ? "RNN_RELU" : "RNN_TANH";
  }
  override forward(x: Tensor, h: Tensor | null = null): Tensor {
    // the constructor takes any nonlinearity; PyTorch's forward rejects an unknown one after
    // checking the input's dims
    const nl: string = this.nonlinearity;
    if (nl !== "tanh" && nl !== "relu" && (x.dim() === 1 || x.dim() === 2))
      throw runtimeError(`Unknown nonlinearity: ${nl}`);
    return this.cell(x, h, null)[0];
  }
}

/**
 * torch.nn.GRUCell: one GRU step.
 *
 * @example
 * const h = new torch.nn.GRUCell(10, 20).call(torch.randn(3, 10));
 * h.shape; // [3, 20]

 */
export class GRUCell extends RNNCellBase {
  constructor(...args: RNNCellArg[]) {
    const { nonlinearity: _, ...a } = cellArgs("GRUCell", args);
    super({ ...a, numChunks: 3 });
    this.mode = "GRU";
  }
  override forward(x: Tensor, h: Tensor | null = null): Tensor {
    return this.cell(x, h, null)[0];
  }
}

/**
 * torch.nn.LSTMCell: one LSTM step, `forward(x, [h, c]?)` -> `[h', c']`.
 *
 * @example
 * const [h, c] = new torch.nn.LSTMCell(10, 20).call(torch.randn(3, 10));
 */
export class LSTMCell extends RNNCellBase {
  constructor(...args: RNNCellArg[]) {
    const { nonlinearity: _, ...a } = cellArgs("LSTMCell", args);
    super({ ...a, numChunks: 4 });
    this.mode = "LSTM";
  }
  override forward(x: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    const [h, c] = this.cell(x, hx === null ? null : hx[0], hx === null ? null : hx[1]);
    return [h, c as Tensor];
  }
}
