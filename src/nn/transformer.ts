/**
 * torch.nn.Transformer and its parts (PyTorch 1.13's torch/nn/modules/transformer.py):
 * TransformerEncoderLayer (self-attention, then a feed-forward block, each with a residual
 * connection and a LayerNorm after it, or before it with `normFirst`), TransformerDecoderLayer
 * (self-attention, attention over the encoder's memory, feed-forward), their stacks
 * TransformerEncoder / TransformerDecoder (deep copies of one layer: every layer starts with the
 * same parameters, as `_get_clones`), and Transformer (both stacks with a final LayerNorm each,
 * every matrix re-drawn xavier-uniform).
 */
import { Tensor } from "../tensor.js";
import type { DType } from "../dtype.js";
import { bool } from "../dtype.js";
import { Module, deepcopyModule, runsWithoutHooks } from "./module.js";
import { beginComposite, endComposite } from "../autograd/temporaries.js";
import { ModuleList } from "./container.js";
import { Linear } from "./linear.js";
import { Dropout } from "./dropout.js";
import { LayerNorm } from "./norm-layers.js";
import { ReLU, GELU } from "./activation.js";
import { MultiheadAttention } from "./attention.js";
import { xavierUniform } from "./layer-utils.js";
import { ctorArgs, isOptionsObject, optional } from "./ctor-args.js";
import * as F from "./functional.js";
import { full } from "../ops/creation.js";
import { isGradEnabled } from "../autograd/grad-mode.js";
import { assertionError, runtimeError } from "../errors.js";

/** An activation: "relu", "gelu", a unary function or a module (e.g. `new nn.GELU()`). */
export type Activation = "relu" | "gelu" | ((x: Tensor) => Tensor) | Module;

/** Options of TransformerEncoderLayer and TransformerDecoderLayer (PyTorch's keyword names). */
export interface TransformerLayerOptions {
  /** The feedforward network's hidden size (default 2048). */
  dimFeedforward?: number;
  /** The dropout probability (default 0.1). */
  dropout?: number;
  /** The feedforward network's activation: "relu" (default), "gelu" or a function. */
  activation?: Activation;
  /** The layer norms' eps (default 1e-5). */
  layerNormEps?: number;
  /** inputs and outputs are [N, L, E] instead of [L, N, E] */
  batchFirst?: boolean;
  /** LayerNorm before each block instead of after the residual sum */
  normFirst?: boolean;
  /** accepted for PyTorch's signature; only "cpu" exists */
  device?: string | null;
  /** The parameters' dtype. */
  dtype?: DType | null;
}

/** Options of Transformer. */
export interface TransformerOptions extends TransformerLayerOptions {
  /** The number of expected features in the input (PyTorch's `d_model`). */
  dModel?: number;
  /** The number of attention heads. */
  nhead?: number;
  /** The number of encoder layers (default 6). */
  numEncoderLayers?: number;
  /** The number of decoder layers (default 6). */
  numDecoderLayers?: number;
  /** An encoder to use instead of the default one. */
  customEncoder?: Module | null;
  /** A decoder to use instead of the default one. */
  customDecoder?: Module | null;
}

/**
 * PyTorch-style arguments through the module binder (ctor-args.ts): the first `required` of
 * `names` must be given, the others stay undefined when not given (defaults applied below).
 */
function bindArgs(
  cls: string,
  names: readonly string[],
  args: readonly unknown[],
  required = 0,
): Record<string, unknown> {
  return ctorArgs(cls, args, names, optional(names.slice(required)));
}

/** PyTorch's _get_activation_fn for strings; functions and modules as given. */
function activationOf(a: Activation): Activation {
  if (typeof a === "string") {
    if (a === "relu") return F.relu;
    if (a === "gelu") return F.gelu;
    throw runtimeError(`activation should be relu/gelu, not ${String(a)}`);
  }
  return a;
}

function applyActivation(a: Activation, x: Tensor): Tensor {
  if (a instanceof Module) return a.call(x) as Tensor;
  return (a as (x: Tensor) => Tensor)(x);
}

/** A key padding mask must be bool or floating (PyTorch's AssertionError). */
function checkKeyPaddingMask(m: Tensor | null | undefined): void {
  if (m !== null && m !== undefined && m.dtype !== bool && !m.dtype.isFloatingPoint) {
    throw assertionError("only bool and floating types of key_padding_mask are supported");
  }
}

const LAYER_ARGS = [
  "dModel",
  "nhead",
  "dimFeedforward",
  "dropout",
  "activation",
  "layerNormEps",
  "batchFirst",
  "normFirst",
  "device",
  "dtype",
] as const;

interface LayerArgs {
  /** The number of expected features in the input (PyTorch's `d_model`). */
  dModel: number;
  /** The number of attention heads. */
  nhead: number;
  /** The feedforward network's hidden size (default 2048). */
  dimFeedforward: number;
  /** The dropout probability (default 0.1). */
  dropout: number;
  /** The feedforward network's activation: "relu" (default), "gelu" or a function. */
  activation: Activation;
  /** The layer norms' eps (default 1e-5). */
  layerNormEps: number;
  /** Inputs and outputs as [batch, seq, feature] (default false). */
  batchFirst: boolean;
  /** Layer norm before attention and feedforward (pre-norm) instead of after (default false). */
  normFirst: boolean;
  /** The parameters' dtype. */
  dtype: DType | undefined;
}

function layerArgs(fn: string, args: readonly unknown[]): LayerArgs {
  const a = bindArgs(fn, LAYER_ARGS, args, 2);
  return {
    dModel: a.dModel as number,
    nhead: a.nhead as number,
    dimFeedforward: (a.dimFeedforward as number | undefined) ?? 2048,
    dropout: (a.dropout as number | undefined) ?? 0.1,
    activation: activationOf((a.activation as Activation | undefined) ?? F.relu),
    layerNormEps: (a.layerNormEps as number | undefined) ?? 1e-5,
    batchFirst: (a.batchFirst as boolean | undefined) ?? false,
    normFirst: (a.normFirst as boolean | undefined) ?? false,
    dtype: (a.dtype as DType | null | undefined) ?? undefined,
  };
}

/** Masks of one attention call. */
interface MaskArgs {
  attnMask: Tensor | null;
  keyPaddingMask: Tensor | null;
}

/**
 * torch.nn.TransformerEncoderLayer(dModel, nhead, dimFeedforward=2048, dropout=0.1,
 * activation=relu, layerNormEps=1e-5, batchFirst=false, normFirst=false): post-norm
 * x = norm1(x + dropout1(selfAttn(x))); x = norm2(x + dropout2(linear2(dropout(act(linear1(x))))))
 * (pre-norm with `normFirst`). `forward(src, srcMask?, srcKeyPaddingMask?)` (or
 * `{ srcMask, srcKeyPaddingMask }`).
 *
 * @example
 * const layer = new torch.nn.TransformerEncoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true });
 * layer.call(torch.randn(2, 5, 16)).shape // [2, 5, 16]
 */
export class TransformerEncoderLayer extends Module {
  /** The self-attention block (PyTorch's `self_attn`). */
  declare self_attn: MultiheadAttention;
  /** The feedforward network's first linear layer (dModel → dimFeedforward). */
  declare linear1: Linear;
  /** The dropout probability (default 0.1). */
  declare dropout: Dropout;
  /** The feedforward network's second linear layer (dimFeedforward → dModel). */
  declare linear2: Linear;
  /** Layer norm before attention and feedforward (pre-norm) instead of after (default false). */
  declare normFirst: boolean;
  /** The layer norm around self-attention. */
  declare norm1: LayerNorm;
  /** The layer norm around the next block. */
  declare norm2: LayerNorm;
  /** The dropout after self-attention. */
  declare dropout1: Dropout;
  /** The dropout after the next block. */
  declare dropout2: Dropout;
  /** 1 for relu, 2 for gelu, 0 otherwise (PyTorch's fast-path flag) */
  declare activationReluOrGelu: number;
  /** The feedforward network's activation: "relu" (default), "gelu" or a function. */
  declare activation: Activation;

  constructor(dModel: number, nhead: number, ...rest: unknown[]);
  constructor(...args: unknown[]) {
    super();
    const a = layerArgs("TransformerEncoderLayer", args);
    const f = { dtype: a.dtype };
    this.self_attn = new MultiheadAttention(a.dModel, a.nhead, {
      dropout: a.dropout,
      batchFirst: a.batchFirst,
      ...f,
    });
    this.linear1 = new Linear(a.dModel, a.dimFeedforward, f);
    this.dropout = new Dropout(a.dropout);
    this.linear2 = new Linear(a.dimFeedforward, a.dModel, f);
    this.normFirst = a.normFirst;
    this.norm1 = new LayerNorm(a.dModel, { eps: a.layerNormEps, ...f });
    this.norm2 = new LayerNorm(a.dModel, { eps: a.layerNormEps, ...f });
    this.dropout1 = new Dropout(a.dropout);
    this.dropout2 = new Dropout(a.dropout);
    const act = a.activation;
    this.activationReluOrGelu =
      act === F.relu || act instanceof ReLU ? 1 : act === F.gelu || act instanceof GELU ? 2 : 0;
    this.activation = act;
  }

  override forward(
    src: Tensor,
    srcMask: Tensor | null | { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null } = null,
    srcKeyPaddingMask: Tensor | null = null,
  ): Tensor {
    if (isOptionsObject(srcMask)) {
      const o = srcMask as { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null };
      return this.forward(src, o.srcMask ?? null, o.srcKeyPaddingMask ?? null);
    }
    const mask = srcMask as Tensor | null;
    checkKeyPaddingMask(srcKeyPaddingMask);
    const m = { attnMask: mask, keyPaddingMask: srcKeyPaddingMask };
    // Note [released saved temporaries]: what the layer made and only its nodes saved goes
    // back to the pool after backward; nothing but the result escapes unless user code
    // (hooks, a custom activation) sees the intermediates
    // (activationReluOrGelu: F.relu / F.gelu or a ReLU / GELU module, as constructed)
    const act = this.activation;
    const scope =
      this.activationReluOrGelu !== 0 &&
      (!(act instanceof Module) || runsWithoutHooks(act)) &&
      runsWithoutHooks(this)
        ? beginComposite()
        : null;
    const temps: Tensor[] = [];
    let x: Tensor | null = null;
    try {
      x = this.layer(src, m, temps);
    } finally {
      if (scope !== null) {
        const inputs = [src, mask, srcKeyPaddingMask, ...this.parameters()];
        endComposite(scope, temps, x === null ? [] : [x], inputs);
      }
    }
    return x;
  }

  /** The layer's computation; its intermediates are appended to `temps`. */
  private layer(src: Tensor, m: MaskArgs, temps: Tensor[]): Tensor {
    const keep = (t: Tensor): Tensor => {
      temps.push(t);
      return t;
    };
    let x = src;
    if (this.normFirst) {
      x = x.add(keep(this.saBlock(keep(this.norm1.call(x)), m)));
      x = x.add(keep(this.ffBlock(keep(this.norm2.call(x)))));
    } else {
      x = this.norm1.call(keep(x.add(keep(this.saBlock(x, m)))));
      x = this.norm2.call(keep(x.add(keep(this.ffBlock(x)))));
    }
    return x;
  }

  private saBlock(x: Tensor, m: MaskArgs): Tensor {
    const [y] = this.self_attn.call(x, x, x, { ...m, needWeights: false });
    return this.dropout1.call(y);
  }

  private ffBlock(x: Tensor): Tensor {
    const h = this.dropout.call(applyActivation(this.activation, this.linear1.call(x)));
    return this.dropout2.call(this.linear2.call(h));
  }
}

/**
 * torch.nn.TransformerDecoderLayer(dModel, nhead, dimFeedforward=2048, dropout=0.1,
 * activation=relu, layerNormEps=1e-5, batchFirst=false, normFirst=false): self-attention over
 * the target, attention over the encoder's memory, feed-forward; each with a residual and a
 * LayerNorm. `forward(tgt, memory, tgtMask?, memoryMask?, tgtKeyPaddingMask?,
 * memoryKeyPaddingMask?)` (or an options object after `memory`).
 *
 * @example
 * const layer = new torch.nn.TransformerDecoderLayer(16, 4, 32);
 * layer.call(torch.randn(5, 2, 16), torch.randn(7, 2, 16)).shape // [5, 2, 16]
 */
export class TransformerDecoderLayer extends Module {
  /** The self-attention block (PyTorch's `self_attn`). */
  declare self_attn: MultiheadAttention;
  /** The attention to the encoder's output (PyTorch's `multihead_attn`). */
  declare multihead_attn: MultiheadAttention;
  /** The feedforward network's first linear layer (dModel → dimFeedforward). */
  declare linear1: Linear;
  /** The dropout probability (default 0.1). */
  declare dropout: Dropout;
  /** The feedforward network's second linear layer (dimFeedforward → dModel). */
  declare linear2: Linear;
  /** Layer norm before attention and feedforward (pre-norm) instead of after (default false). */
  declare normFirst: boolean;
  /** The layer norm around self-attention. */
  declare norm1: LayerNorm;
  /** The layer norm around the next block. */
  declare norm2: LayerNorm;
  /** The layer norm around the feedforward block. */
  declare norm3: LayerNorm;
  /** The dropout after self-attention. */
  declare dropout1: Dropout;
  /** The dropout after the next block. */
  declare dropout2: Dropout;
  /** The dropout after the feedforward block. */
  declare dropout3: Dropout;
  /** The feedforward network's activation: "relu" (default), "gelu" or a function. */
  declare activation: Activation;

  constructor(dModel: number, nhead: number, ...rest: unknown[]);
  constructor(...args: unknown[]) {
    super();
    const a = layerArgs("TransformerDecoderLayer", args);
    const f = { dtype: a.dtype };
    const mha = { dropout: a.dropout, batchFirst: a.batchFirst, ...f };
    this.self_attn = new MultiheadAttention(a.dModel, a.nhead, mha);
    this.multihead_attn = new MultiheadAttention(a.dModel, a.nhead, mha);
    this.linear1 = new Linear(a.dModel, a.dimFeedforward, f);
    this.dropout = new Dropout(a.dropout);
    this.linear2 = new Linear(a.dimFeedforward, a.dModel, f);
    this.normFirst = a.normFirst;
    this.norm1 = new LayerNorm(a.dModel, { eps: a.layerNormEps, ...f });
    this.norm2 = new LayerNorm(a.dModel, { eps: a.layerNormEps, ...f });
    this.norm3 = new LayerNorm(a.dModel, { eps: a.layerNormEps, ...f });
    this.dropout1 = new Dropout(a.dropout);
    this.dropout2 = new Dropout(a.dropout);
    this.dropout3 = new Dropout(a.dropout);
    this.activation = a.activation;
  }

  override forward(
    tgt: Tensor,
    memory: Tensor,
    tgtMask: Tensor | null | DecoderMasks = null,
    memoryMask: Tensor | null = null,
    tgtKeyPaddingMask: Tensor | null = null,
    memoryKeyPaddingMask: Tensor | null = null,
  ): Tensor {
    if (isOptionsObject(tgtMask)) {
      const o = tgtMask as DecoderMasks;
      return this.forward(
        tgt,
        memory,
        o.tgtMask ?? null,
        o.memoryMask ?? null,
        o.tgtKeyPaddingMask ?? null,
        o.memoryKeyPaddingMask ?? null,
      );
    }
    const sa = { attnMask: tgtMask as Tensor | null, keyPaddingMask: tgtKeyPaddingMask };
    const ca = { attnMask: memoryMask, keyPaddingMask: memoryKeyPaddingMask };
    let x = tgt;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm1.call(x), sa));
      x = x.add(this.mhaBlock(this.norm2.call(x), memory, ca));
      x = x.add(this.ffBlock(this.norm3.call(x)));
    } else {
      x = this.norm1.call(x.add(this.saBlock(x, sa)));
      x = this.norm2.call(x.add(this.mhaBlock(x, memory, ca)));
      x = this.norm3.call(x.add(this.ffBlock(x)));
    }
    return x;
  }

  private saBlock(x: Tensor, m: MaskArgs): Tensor {
    const [y] = this.self_attn.call(x, x, x, { ...m, needWeights: false });
    return this.dropout1.call(y);
  }

  private mhaBlock(x: Tensor, mem: Tensor, m: MaskArgs): Tensor {
    const [y] = this.multihead_attn.call(x, mem, mem, { ...m, needWeights: false });
    return this.dropout2.call(y);
  }

  private ffBlock(x: Tensor): Tensor {
    const h = this.dropout.call(applyActivation(this.activation, this.linear1.call(x)));
    return this.dropout3.call(this.linear2.call(h));
  }
}

/** The masks of a decoder (layer) forward, by name. */
export interface DecoderMasks {
  /** An additive or boolean mask of the target sequence's attention [T, T]. */
  tgtMask?: Tensor | null;
  /** An additive or boolean mask of the attention to the encoder's output [T, S]. */
  memoryMask?: Tensor | null;
  /** True at target keys to ignore (padding) [N, T]. */
  tgtKeyPaddingMask?: Tensor | null;
  /** True at memory keys to ignore (padding) [N, S]. */
  memoryKeyPaddingMask?: Tensor | null;
}

/** The masks of an encoder forward, by name. */
export interface EncoderMasks {
  /** An attention mask. */
  mask?: Tensor | null;
  /** True at source keys to ignore (padding) [N, S]. */
  srcKeyPaddingMask?: Tensor | null;
}

/** `n` deep copies of `layer` in a ModuleList (PyTorch's _get_clones). */
function getClones(layer: Module, n: number): ModuleList {
  return new ModuleList(Array.from({ length: n }, () => deepcopyModule(layer)));
}

/**
 * Whether every row of `keep` [N, S] (true = a real token) is a run of trues then falses
 * (torch._nested_tensor_from_mask_left_aligned).
 */
function leftAligned(keep: Tensor): boolean {
  const [n, s] = keep.shape;
  const v = keep.contiguous().typedArray;
  const off = keep.contiguous().offset;
  for (let i = 0; i < n; i++) {
    let ended = false;
    for (let j = 0; j < s; j++) {
      const on = v[off + i * s + j] !== 0;
      if (on && ended) return false;
      if (!on) ended = true;
    }
  }
  return true;
}

/**
 * torch.nn.TransformerEncoder(encoderLayer, numLayers, norm=null, enableNestedTensor=true,
 * maskCheck=true): `numLayers` deep copies of `encoderLayer` applied in turn, then `norm`.
 * `forward(src, mask?, srcKeyPaddingMask?)` (or `{ mask, srcKeyPaddingMask }`).
 *
 * In evaluation without gradients, with a key padding mask and the other conditions of
 * PyTorch's nested-tensor path, PyTorch drops the padded tokens and pads the result back with
 * zeros to the longest sequence: the output shows that (zeros at padded positions before
 * `norm`, and the sequence length trimmed to the longest unpadded one), as PyTorch's does.
 *
 * @example
 * const layer = new torch.nn.TransformerEncoderLayer(16, 4, 32);
 * const enc = new torch.nn.TransformerEncoder(layer, 2);
 * enc.call(torch.randn(5, 2, 16)).shape // [5, 2, 16]
 */
export class TransformerEncoder extends Module {
  /** The stacked layers (a ModuleList). */
  declare layers: ModuleList;
  /** The number of stacked layers. */
  declare numLayers: number;
  /** An optional final layer norm. */
  declare norm: Module | null;
  /** Accepted for PyTorch compatibility; tensorgrad has no nested tensors. */
  declare enableNestedTensor: boolean;
  /** Check that a key padding mask pads on the right before taking the fast path (default true). */
  declare maskCheck: boolean;

  constructor(encoderLayer: Module, numLayers: number, ...rest: unknown[]);
  constructor(...args: unknown[]) {
    super();
    const a = bindArgs(
      "TransformerEncoder",
      ["encoderLayer", "numLayers", "norm", "enableNestedTensor", "maskCheck"],
      args,
      2,
    );
    this.layers = getClones(a.encoderLayer as Module, a.numLayers as number);
    this.numLayers = a.numLayers as number;
    if (a.norm instanceof Module) this.norm = a.norm;
    else Object.assign(this, { norm: null });
    this.enableNestedTensor = (a.enableNestedTensor as boolean | undefined) ?? true;
    this.maskCheck = (a.maskCheck as boolean | undefined) ?? true;
  }

  /** Whether PyTorch 1.13 would take its nested-tensor ("sparsity") fast path. */
  private nestedPath(src: Tensor, mask: Tensor | null, kpm: Tensor | null): boolean {
    const first = this.layers.get(0);
    if (!(first instanceof TransformerEncoderLayer)) return false;
    const sa = first.self_attn;
    if (first.normFirst || first.training || !sa.batchFirst || sa.in_proj_weight === null)
      return false;
    if (first.activationReluOrGelu === 0 || first.norm1.eps !== first.norm2.eps) return false;
    if (src.dim() !== 3 || !this.enableNestedTensor || kpm === null) return false;
    if (this.maskCheck && !leftAligned(kpm.logicalNot())) return false;
    if (mask !== null || sa.numHeads % 2 === 1) return false;
    const tensors = [
      src,
      sa.in_proj_weight,
      sa.in_proj_bias,
      sa.out_proj.weight,
      sa.out_proj.bias,
      first.norm1.weight,
      first.norm1.bias,
      first.norm2.weight,
      first.norm2.bias,
      first.linear1.weight,
      first.linear1.bias,
      first.linear2.weight,
      first.linear2.bias,
    ];
    return !(isGradEnabled() && tensors.some((t) => t !== null && t.requiresGrad));
  }

  override forward(
    src: Tensor,
    mask: Tensor | null | EncoderMasks = null,
    srcKeyPaddingMask: Tensor | null = null,
  ): Tensor {
    if (isOptionsObject(mask)) {
      const o = mask as EncoderMasks;
      return this.forward(src, o.mask ?? null, o.srcKeyPaddingMask ?? null);
    }
    const m = mask as Tensor | null;
    checkKeyPaddingMask(srcKeyPaddingMask);
    let output = src;
    const nested = this.nestedPath(src, m, srcKeyPaddingMask);
    for (const layer of this.layers) {
      output = layer.call(output, m, srcKeyPaddingMask) as Tensor;
    }
    if (nested) {
      // to_padded_tensor(0.): padded tokens are zeros; the length is the longest real sequence
      const pad = (srcKeyPaddingMask as Tensor).ne(0);
      output = output.maskedFill(pad.unsqueeze(-1), 0);
      const longest = pad.logicalNot().sum(1).max().item() as number;
      output = output.narrow(1, 0, longest);
    }
    if (this.norm !== null) output = this.norm.call(output) as Tensor;
    return output;
  }
}

/**
 * torch.nn.TransformerDecoder(decoderLayer, numLayers, norm=null): `numLayers` deep copies of
 * `decoderLayer` applied in turn, then `norm`. `forward(tgt, memory, tgtMask?, memoryMask?,
 * tgtKeyPaddingMask?, memoryKeyPaddingMask?)` (or an options object after `memory`).
 *
 * @example
 * const dec = new torch.nn.TransformerDecoder(new torch.nn.TransformerDecoderLayer(16, 4, 32), 2);
 * dec.call(torch.randn(5, 2, 16), torch.randn(7, 2, 16)).shape // [5, 2, 16]
 */
export class TransformerDecoder extends Module {
  /** The stacked layers (a ModuleList). */
  declare layers: ModuleList;
  /** The number of stacked layers. */
  declare numLayers: number;
  /** An optional final layer norm. */
  declare norm: Module | null;

  constructor(decoderLayer: Module, numLayers: number, ...rest: unknown[]);
  constructor(...args: unknown[]) {
    super();
    const a = bindArgs("TransformerDecoder", ["decoderLayer", "numLayers", "norm"], args, 2);
    this.layers = getClones(a.decoderLayer as Module, a.numLayers as number);
    this.numLayers = a.numLayers as number;
    if (a.norm instanceof Module) this.norm = a.norm;
    else Object.assign(this, { norm: null });
  }

  override forward(
    tgt: Tensor,
    memory: Tensor,
    tgtMask: Tensor | null | DecoderMasks = null,
    memoryMask: Tensor | null = null,
    tgtKeyPaddingMask: Tensor | null = null,
    memoryKeyPaddingMask: Tensor | null = null,
  ): Tensor {
    if (isOptionsObject(tgtMask)) {
      const o = tgtMask as DecoderMasks;
      return this.forward(
        tgt,
        memory,
        o.tgtMask ?? null,
        o.memoryMask ?? null,
        o.tgtKeyPaddingMask ?? null,
        o.memoryKeyPaddingMask ?? null,
      );
    }
    let output = tgt;
    for (const layer of this.layers) {
      output = layer.call(
        output,
        memory,
        tgtMask,
        memoryMask,
        tgtKeyPaddingMask,
        memoryKeyPaddingMask,
      ) as Tensor;
    }
    if (this.norm !== null) output = this.norm.call(output) as Tensor;
    return output;
  }
}

/** The masks of a Transformer forward, by name. */
export interface TransformerMasks {
  /** An additive or boolean mask of the source sequence's attention [S, S]. */
  srcMask?: Tensor | null;
  /** An additive or boolean mask of the target sequence's attention [T, T]. */
  tgtMask?: Tensor | null;
  /** An additive or boolean mask of the attention to the encoder's output [T, S]. */
  memoryMask?: Tensor | null;
  /** True at source keys to ignore (padding) [N, S]. */
  srcKeyPaddingMask?: Tensor | null;
  /** True at target keys to ignore (padding) [N, T]. */
  tgtKeyPaddingMask?: Tensor | null;
  /** True at memory keys to ignore (padding) [N, S]. */
  memoryKeyPaddingMask?: Tensor | null;
}

/**
 * The [sz, sz] float mask of causal attention: -inf above the diagonal (position i may not
 * attend to j > i), 0 elsewhere (PyTorch's Transformer.generate_square_subsequent_mask).
 * @example torch.nn.Transformer.generateSquareSubsequentMask(3)
 * // tensor([[0., -inf, -inf], [0., 0., -inf], [0., 0., 0.]])
 */
export function generateSquareSubsequentMask(sz: number, device = "cpu"): Tensor {
  void device;
  return full([sz, sz], -Infinity).triu(1);
}

/**
 * torch.nn.Transformer(dModel=512, nhead=8, numEncoderLayers=6, numDecoderLayers=6,
 * dimFeedforward=2048, dropout=0.1, activation=relu, customEncoder=null, customDecoder=null,
 * layerNormEps=1e-5, batchFirst=false, normFirst=false): an encoder and a decoder stack, each
 * ending in a LayerNorm; after construction every parameter with more than one dimension is
 * re-drawn xavier-uniform, in parameter order. `forward(src, tgt, srcMask?, tgtMask?,
 * memoryMask?, srcKeyPaddingMask?, tgtKeyPaddingMask?, memoryKeyPaddingMask?)` (or an options
 * object after `tgt`).
 *
 * @example
 * const model = new torch.nn.Transformer({ dModel: 16, nhead: 4, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 32 });
 * model.call(torch.randn(6, 2, 16), torch.randn(5, 2, 16)).shape // [5, 2, 16]
 */
export class Transformer extends Module {
  /** The encoder stack. */
  declare encoder: Module;
  /** The decoder stack. */
  declare decoder: Module;
  /** The number of expected features in the input (PyTorch's `d_model`). */
  declare dModel: number;
  /** The number of attention heads. */
  declare nhead: number;
  /** Inputs and outputs as [batch, seq, feature] (default false). */
  declare batchFirst: boolean;

  /** The [sz, sz] causal mask: -inf above the diagonal, 0 elsewhere (generate_square_subsequent_mask). */
  static generateSquareSubsequentMask = generateSquareSubsequentMask;

  constructor(opts?: TransformerOptions);
  constructor(dModel?: number, nhead?: number, ...rest: unknown[]);
  constructor(...args: unknown[]) {
    super();
    const a = bindArgs(
      "Transformer",
      [
        "dModel",
        "nhead",
        "numEncoderLayers",
        "numDecoderLayers",
        "dimFeedforward",
        "dropout",
        "activation",
        "customEncoder",
        "customDecoder",
        "layerNormEps",
        "batchFirst",
        "normFirst",
        "device",
        "dtype",
      ],
      args,
    );
    const dModel = (a.dModel as number | undefined) ?? 512;
    const nhead = (a.nhead as number | undefined) ?? 8;
    const eps = (a.layerNormEps as number | undefined) ?? 1e-5;
    const dtype = (a.dtype as DType | null | undefined) ?? undefined;
    const layerOpts = {
      dimFeedforward: (a.dimFeedforward as number | undefined) ?? 2048,
      dropout: (a.dropout as number | undefined) ?? 0.1,
      activation: (a.activation as Activation | undefined) ?? F.relu,
      layerNormEps: eps,
      batchFirst: (a.batchFirst as boolean | undefined) ?? false,
      normFirst: (a.normFirst as boolean | undefined) ?? false,
      dtype,
    };
    if (a.customEncoder instanceof Module) this.encoder = a.customEncoder;
    else {
      const layer = new TransformerEncoderLayer(dModel, nhead, layerOpts);
      const norm = new LayerNorm(dModel, { eps, dtype });
      this.encoder = new TransformerEncoder(
        layer,
        (a.numEncoderLayers as number | undefined) ?? 6,
        norm,
      );
    }
    if (a.customDecoder instanceof Module) this.decoder = a.customDecoder;
    else {
      const layer = new TransformerDecoderLayer(dModel, nhead, layerOpts);
      const norm = new LayerNorm(dModel, { eps, dtype });
      this.decoder = new TransformerDecoder(
        layer,
        (a.numDecoderLayers as number | undefined) ?? 6,
        norm,
      );
    }
    this.resetParameters();
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = layerOpts.batchFirst;
  }

  /** PyTorch's _reset_parameters: xavier_uniform_ on every parameter of more than one dim. */
  resetParameters(): void {
    for (const p of this.parameters()) if (p.dim() > 1) xavierUniform(p);
  }

  override forward(
    src: Tensor,
    tgt: Tensor,
    srcMask: Tensor | null | TransformerMasks = null,
    tgtMask: Tensor | null = null,
    memoryMask: Tensor | null = null,
    srcKeyPaddingMask: Tensor | null = null,
    tgtKeyPaddingMask: Tensor | null = null,
    memoryKeyPaddingMask: Tensor | null = null,
  ): Tensor {
    if (isOptionsObject(srcMask)) {
      const o = srcMask as TransformerMasks;
      return this.forward(
        src,
        tgt,
        o.srcMask ?? null,
        o.tgtMask ?? null,
        o.memoryMask ?? null,
        o.srcKeyPaddingMask ?? null,
        o.tgtKeyPaddingMask ?? null,
        o.memoryKeyPaddingMask ?? null,
      );
    }
    const batched = src.dim() === 3;
    const bdim = this.batchFirst ? 0 : 1;
    if (batched && src.shape[bdim] !== tgt.shape[bdim]) {
      throw runtimeError("the batch number of src and tgt must be equal");
    }
    if (src.shape[src.dim() - 1] !== this.dModel || tgt.shape[tgt.dim() - 1] !== this.dModel) {
      throw runtimeError("the feature number of src and tgt must be equal to d_model");
    }
    const memory = this.encoder.call(src, srcMask, srcKeyPaddingMask) as Tensor;
    return this.decoder.call(
      tgt,
      memory,
      tgtMask,
      memoryMask,
      tgtKeyPaddingMask,
      memoryKeyPaddingMask,
    ) as Tensor;
  }
}
