/**
 * A small character-level GPT in the style of nanoGPT, built from torch.nn parts: token and
 * position embeddings, a stack of pre-norm TransformerEncoderLayers with a causal mask (causal
 * self-attention through nn.MultiheadAttention, a GELU MLP of width 4·C, LayerNorm), a final
 * LayerNorm and a linear head to the vocabulary. scripts/fixtures/gpt_fx.py is the same model,
 * data pipeline and training step in PyTorch; test/gpt.test.ts checks both give the same losses.
 */
import * as torch from "tensorgrad";

const { nn } = torch;
type Tensor = torch.Tensor;

export interface GPTConfig {
  vocabSize: number;
  /** context length T */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** width C */
  nEmbd: number;
  dropout: number;
}

/** The training settings shared by the example, the parity test and the benchmark. */
export interface TrainConfig {
  batchSize: number;
  lr: number;
  minLr: number;
  weightDecay: number;
  steps: number;
  gradClip: number;
}

/**
 * logits = head(ln_f(blocks(tok_emb(idx) + pos_emb(0..T-1)))); `forward(idx [B, T], targets?)`
 * returns `[logits [B, T, V], loss | null]` (cross-entropy over every position).
 */
export class GPT extends nn.Module {
  config: GPTConfig;
  tok_emb: torch.nn.Embedding;
  pos_emb: torch.nn.Embedding;
  drop: torch.nn.Dropout;
  blocks: torch.nn.ModuleList;
  ln_f: torch.nn.LayerNorm;
  head: torch.nn.Linear;
  /** -inf above the diagonal: position t attends to positions <= t */
  mask: Tensor;

  constructor(config: GPTConfig) {
    super();
    this.config = config;
    const C = config.nEmbd;
    this.tok_emb = new nn.Embedding(config.vocabSize, C);
    this.pos_emb = new nn.Embedding(config.blockSize, C);
    this.drop = new nn.Dropout(config.dropout);
    const layers: torch.nn.Module[] = [];
    for (let i = 0; i < config.nLayer; i++) {
      layers.push(
        new nn.TransformerEncoderLayer(C, config.nHead, 4 * C, config.dropout, {
          activation: "gelu",
          batchFirst: true,
          normFirst: true,
        }),
      );
    }
    this.blocks = new nn.ModuleList(layers);
    this.ln_f = new nn.LayerNorm(C);
    this.head = new nn.Linear(C, config.vocabSize, { bias: false });
    this.mask = nn.Transformer.generateSquareSubsequentMask(config.blockSize);
  }

  override forward(idx: Tensor, targets: Tensor | null = null): [Tensor, Tensor | null] {
    const [B, T] = idx.shape;
    const pos = torch.arange(T);
    let x = this.drop.call(this.tok_emb.call(idx).add(this.pos_emb.call(pos)));
    const mask =
      T === this.config.blockSize ? this.mask : this.mask.narrow(0, 0, T).narrow(1, 0, T);
    for (const block of this.blocks) x = block.call(x, mask) as Tensor;
    const logits = this.head.call(this.ln_f.call(x));
    if (targets === null) return [logits, null];
    const V = this.config.vocabSize;
    const loss = nn.functional.crossEntropy(logits.view(B * T, V), targets.view(B * T));
    return [logits, loss];
  }

  /**
   * Extend `idx` [B, T0] by `n` tokens, each drawn with multinomial from the softmax of the
   * last position's logits / temperature (the context cropped to blockSize).
   */
  generate(idx: Tensor, n: number, temperature = 1.0, generator?: torch.Generator): Tensor {
    return torch.noGrad(() => {
      for (let i = 0; i < n; i++) {
        const T = idx.shape[1];
        const ctx =
          T <= this.config.blockSize
            ? idx
            : idx.narrow(1, T - this.config.blockSize, this.config.blockSize);
        const [logits] = this.forward(ctx);
        const last = logits.select(1, ctx.shape[1] - 1).div(temperature);
        const probs = nn.functional.softmax(last, -1);
        const next = generator
          ? torch.multinomial(probs, 1, { generator })
          : torch.multinomial(probs, 1);
        idx = torch.cat([idx, next], 1);
      }
      return idx;
    });
  }
}

/** The characters of a text as a vocabulary (sorted) with encode / decode. */
export class CharVocab {
  chars: string[];
  private index: Map<string, number>;
  constructor(text: string) {
    this.chars = [...new Set(text)].sort();
    this.index = new Map(this.chars.map((c, i) => [c, i]));
  }
  get size(): number {
    return this.chars.length;
  }
  encode(s: string): number[] {
    return [...s].map((c) => this.index.get(c) as number);
  }
  decode(ids: readonly number[]): string {
    return ids.map((i) => this.chars[i]).join("");
  }
}

/**
 * A batch of B random windows of `data` (int64 ids): x = data[i : i+T], y = data[i+1 : i+T+1],
 * with the start positions drawn by torch.randint(len - T, [B]) (the same draws as PyTorch).
 */
export function getBatch(
  data: Tensor,
  batchSize: number,
  blockSize: number,
  generator?: torch.Generator,
): [Tensor, Tensor] {
  const high = data.shape[0] - blockSize;
  const draw = generator
    ? torch.randint(high, [batchSize], { generator })
    : torch.randint(high, [batchSize]);
  const ix = draw.tolist() as number[];
  const x = torch.stack(ix.map((i) => data.narrow(0, i, blockSize)));
  const y = torch.stack(ix.map((i) => data.narrow(0, i + 1, blockSize)));
  return [x, y];
}

/**
 * AdamW as nanoGPT configures it: weight decay on the matrices (every parameter of 2 or more
 * dims: linear weights and embeddings), none on biases and LayerNorm parameters; betas
 * (0.9, 0.95).
 */
export function makeOptimizer(model: GPT, cfg: TrainConfig): torch.optim.AdamW {
  const params = model.parameters();
  return new torch.optim.AdamW(
    [
      { params: params.filter((p) => p.dim() >= 2), weightDecay: cfg.weightDecay },
      { params: params.filter((p) => p.dim() < 2), weightDecay: 0.0 },
    ],
    { lr: cfg.lr, betas: [0.9, 0.95] },
  );
}

/**
 * One training step: forward, cross-entropy, backward, gradient clipping to norm
 * `cfg.gradClip`, AdamW step, scheduler step. Returns the loss.
 */
export function trainStep(
  model: GPT,
  opt: torch.optim.AdamW,
  sched: torch.optim.lrScheduler.CosineAnnealingLR | null,
  x: Tensor,
  y: Tensor,
  cfg: TrainConfig,
): number {
  opt.zeroGrad({ setToNone: true });
  const [, loss] = model.call(x, y);
  (loss as Tensor).backward();
  torch.nn.utils.clipGradNorm_(model.parameters(), cfg.gradClip);
  opt.step();
  sched?.step();
  return (loss as Tensor).item() as number;
}
