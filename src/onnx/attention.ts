/**
 * nn.MultiheadAttention as ONNX nodes. Its forward (src/nn/mha-functional.ts) calls kernels of
 * the ops layer directly, below the op registry a trace sees, so the export maps the module
 * call as a whole, as PyTorch's exporter would see the ops of F.multi_head_attention_forward:
 * with q, k, v projected, split into heads [N, H, L, hd], softmax(q kᵀ / √hd + mask) v, heads
 * merged, output projection. Every shape written is batch-agnostic (Reshape's 0 copies a dim,
 * -1 infers one), so a dynamic batch or sequence axis stays dynamic.
 */
import { Tensor } from "../tensor.js";
import { bool } from "../dtype.js";
import type { MultiheadAttention } from "../nn/attention.js";
import type { AttentionForwardOptions } from "../nn/mha-functional.js";
import { onnxDataType, unsupportedCase, type Graph } from "./graph.js";

/**
 * The nodes of `m.call(query, key, value, opts)`; returns the value names of the output and
 * (with needWeights) of the attention weights.
 */
export function mhaSymbolic(
  g: Graph,
  m: MultiheadAttention,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  opts: AttentionForwardOptions,
): [string, string | null] {
  const name = "multi_head_attention_forward";
  if (query.dim() !== 3) throw unsupportedCase(name, "unbatched (2-D) input is not supported");
  if (m.bias_k !== null || m.addZeroAttn)
    throw unsupportedCase(name, "add_bias_kv and add_zero_attn are not supported");
  const E = m.embedDim;
  const H = m.numHeads;
  const hd = E / H;
  const dt = query.dtype;
  const scalar = (v: number): string => g.scalar(v, dt);
  // to [N, L, E]
  const toBatchFirst = (t: Tensor): string =>
    m.batchFirst ? g.value(t) : g.op1("Transpose", [g.value(t)], { perm: [1, 0, 2] });
  const q0 = toBatchFirst(query);
  const k0 = key === query ? q0 : toBatchFirst(key);
  const v0 = value === key ? k0 : toBatchFirst(value);
  // projection weights [E, E] each: the packed in_proj_weight split by rows
  let wq: string, wk: string, wv: string;
  if (m.in_proj_weight !== null) {
    [wq, wk, wv] = g.op("Split", [g.value(m.in_proj_weight), g.ints([E, E, E])], { axis: 0 }, 3);
  } else {
    wq = g.value(m.q_proj_weight as Tensor);
    wk = g.value(m.k_proj_weight as Tensor);
    wv = g.value(m.v_proj_weight as Tensor);
  }
  let bq: string | null = null,
    bk: string | null = null,
    bv: string | null = null;
  if (m.in_proj_bias !== null)
    [bq, bk, bv] = g.op("Split", [g.value(m.in_proj_bias), g.ints([E, E, E])], { axis: 0 }, 3);
  // x Wᵀ + b
  const project = (x: string, w: string, b: string | null): string => {
    const y = g.op1("MatMul", [x, g.op1("Transpose", [w], { perm: [1, 0] })]);
    return b === null ? y : g.op1("Add", [y, b]);
  };
  // [N, L, E] -> [N, H, L, hd] (perm [0, 2, 1, 3]) or [N, H, hd, L] for kᵀ
  const heads = (x: string, perm: number[]): string =>
    g.op1("Transpose", [g.op1("Reshape", [x, g.ints([0, 0, H, hd])])], { perm });
  const q = heads(project(q0, wq, bq), [0, 2, 1, 3]);
  const kT = heads(project(k0, wk, bk), [0, 2, 3, 1]);
  const v = heads(project(v0, wv, bv), [0, 2, 1, 3]);
  // scores [N, H, L, S] = (q / √hd) kᵀ
  let scores = g.op1("MatMul", [g.op1("Div", [q, scalar(Math.sqrt(hd))]), kT]);
  // masks: a bool mask is -inf where true, a float mask is added
  const addMask = (mask: Tensor, shaped: (m: string) => string): void => {
    if (mask.dtype === bool) {
      scores = g.op1("Where", [shaped(g.value(mask)), scalar(-Infinity), scores]);
    } else {
      const mv = g.value(mask);
      const cast = mask.dtype === dt ? mv : g.op1("Cast", [mv], { to: onnxDataType(dt) });
      scores = g.op1("Add", [scores, shaped(cast)]);
    }
  };
  const attnMask = opts.attnMask ?? null;
  if (attnMask !== null) {
    // [L, S] broadcasts; [N*H, L, S] is [N, H, L, S]
    const [, L, S] = attnMask.shape;
    addMask(attnMask, (mv) =>
      attnMask.dim() === 2 ? mv : g.op1("Reshape", [mv, g.ints([-1, H, L, S])]),
    );
  }
  const kpm = opts.keyPaddingMask ?? null;
  if (kpm !== null) addMask(kpm, (mv) => g.op1("Unsqueeze", [mv, g.ints([1, 2])]));
  const weights = g.op1("Softmax", [scores], { axis: 3 });
  // [N, H, L, hd] -> [N, L, H, hd] -> [N, L, E], then the output projection
  const merged = g.op1("Reshape", [
    g.op1("Transpose", [g.op1("MatMul", [weights, v])], { perm: [0, 2, 1, 3] }),
    g.ints([0, 0, E]),
  ]);
  let out = project(
    merged,
    g.value(m.out_proj.weight),
    m.out_proj.bias === null ? null : g.value(m.out_proj.bias),
  );
  if (!m.batchFirst) out = g.op1("Transpose", [out], { perm: [1, 0, 2] });
  if (!(opts.needWeights ?? true)) return [out, null];
  const w =
    (opts.averageAttnWeights ?? true)
      ? g.op1("ReduceMean", [weights], { axes: [1], keepdims: 0 })
      : weights;
  return [out, w];
}
