// The one tree of T5 weight names, built from the config: Hugging Face names and torch shapes
// (nn.Linear weights are [out_features, in_features]), following transformers' modeling_t5.py:
// T5Attention (q, k, v: [H*d_kv, d_model], o: [d_model, H*d_kv], relative_attention_bias
// [num_buckets, H] only in block 0 of each stack's self-attention), T5DenseActDense (wi, wo) or
// T5DenseGatedActDense (wi_0, wi_1, wo), T5LayerNorm weights [d_model]; encoder layer.0 = self-attn,
// layer.1 = FFN; decoder layer.0 = self-attn, layer.1 = EncDecAttention, layer.2 = FFN.
// Checkpoint validation (checkpoint/t5-tensors.ts), random init (its std per role), the dtype policy
// (model/t5.ts storedDtype) and the model itself read names and roles from here, never from templates.
import type { T5Config } from "../config.ts";

/** What a weight does; the init std and the stored dtype follow from it. */
export type WeightRole = "embedding" | "lm_head" | "q" | "k" | "v" | "o" | "relative_bias" | "wi" | "wo" | "norm";

export interface Weight {
  name: string;
  shape: number[];
  role: WeightRole;
  /** how the shape follows from config.json, for error messages */
  why: string;
}
export interface AttentionWeights {
  q: Weight;
  k: Weight;
  v: Weight;
  o: Weight;
  /** block 0 of each stack's self-attention only */
  relativeBias?: Weight;
}
export interface FfnWeights {
  /** [wi] (ReLU, v1.0) or [wi_0, wi_1] (gated-GELU, v1.1: gelu(x wi_0) * (x wi_1)) */
  wi: Weight[];
  wo: Weight;
}
export interface EncoderBlock {
  selfAttention: AttentionWeights;
  selfNorm: Weight;
  ffn: FfnWeights;
  ffnNorm: Weight;
}
export interface DecoderBlock extends EncoderBlock {
  crossAttention: AttentionWeights;
  crossNorm: Weight;
}
export interface T5Weights {
  shared: Weight;
  /** the stacks' own token embeddings: `shared.weight` unless a checkpoint stores them apart */
  encoder: { embedTokens: Weight; blocks: EncoderBlock[]; finalNorm: Weight };
  decoder: { embedTokens: Weight; blocks: DecoderBlock[]; finalNorm: Weight };
  /** `shared` when tied (v1.0) */
  lmHead: Weight;
  /** the tensors a checkpoint stores, in model order (embed_tokens and a tied head excluded) */
  stored: Weight[];
  /** every name above (embed_tokens and lm_head included) */
  byName: ReadonlyMap<string, Weight>;
}

export function t5Weights(c: T5Config): T5Weights {
  const inner = c.num_heads * c.d_kv;
  const stored: Weight[] = [];
  const w = (name: string, shape: number[], role: WeightRole, why: string, store = true): Weight => {
    const x = { name, shape, role, why };
    if (store) stored.push(x);
    return x;
  };
  const norm = (name: string) => w(name, [c.d_model], "norm", "d_model");
  const attention = (prefix: string, relative: boolean): AttentionWeights => ({
    q: w(`${prefix}.q.weight`, [inner, c.d_model], "q", "num_heads*d_kv x d_model"),
    k: w(`${prefix}.k.weight`, [inner, c.d_model], "k", "num_heads*d_kv x d_model"),
    v: w(`${prefix}.v.weight`, [inner, c.d_model], "v", "num_heads*d_kv x d_model"),
    o: w(`${prefix}.o.weight`, [c.d_model, inner], "o", "d_model x num_heads*d_kv"),
    ...(relative ? { relativeBias: w(`${prefix}.relative_attention_bias.weight`, [c.relative_attention_num_buckets, c.num_heads], "relative_bias", "relative_attention_num_buckets x num_heads") } : {}),
  });
  const ffn = (prefix: string): FfnWeights => ({
    wi: (c.is_gated_act ? ["wi_0", "wi_1"] : ["wi"]).map((n) => w(`${prefix}.DenseReluDense.${n}.weight`, [c.d_ff, c.d_model], "wi", "d_ff x d_model")),
    wo: w(`${prefix}.DenseReluDense.wo.weight`, [c.d_model, c.d_ff], "wo", "d_model x d_ff"),
  });
  const vocab = [c.vocab_size, c.d_model];
  const shared = w("shared.weight", vocab, "embedding", "vocab_size x d_model");
  const encBlocks: EncoderBlock[] = [];
  for (let i = 0; i < c.num_layers; i++) {
    const b = `encoder.block.${i}.layer`;
    const selfAttention = attention(`${b}.0.SelfAttention`, i === 0);
    const selfNorm = norm(`${b}.0.layer_norm.weight`);
    const f = ffn(`${b}.1`);
    encBlocks.push({ selfAttention, selfNorm, ffn: f, ffnNorm: norm(`${b}.1.layer_norm.weight`) });
  }
  const encFinal = norm("encoder.final_layer_norm.weight");
  const decBlocks: DecoderBlock[] = [];
  for (let i = 0; i < c.num_decoder_layers; i++) {
    const b = `decoder.block.${i}.layer`;
    const selfAttention = attention(`${b}.0.SelfAttention`, i === 0);
    const selfNorm = norm(`${b}.0.layer_norm.weight`);
    const crossAttention = attention(`${b}.1.EncDecAttention`, false);
    const crossNorm = norm(`${b}.1.layer_norm.weight`);
    const f = ffn(`${b}.2`);
    decBlocks.push({ selfAttention, selfNorm, crossAttention, crossNorm, ffn: f, ffnNorm: norm(`${b}.2.layer_norm.weight`) });
  }
  const decFinal = norm("decoder.final_layer_norm.weight");
  const lmHead = c.tie_word_embeddings ? shared : w("lm_head.weight", vocab, "lm_head", "vocab_size x d_model (untied LM head)");
  const embed = (stack: string) => w(`${stack}.embed_tokens.weight`, vocab, "embedding", "vocab_size x d_model", false);
  const tree = {
    shared,
    encoder: { embedTokens: embed("encoder"), blocks: encBlocks, finalNorm: encFinal },
    decoder: { embedTokens: embed("decoder"), blocks: decBlocks, finalNorm: decFinal },
    lmHead,
    stored,
  };
  const byName = new Map<string, Weight>(stored.map((x) => [x.name, x]));
  for (const x of [tree.encoder.embedTokens, tree.decoder.embedTokens]) byName.set(x.name, x);
  if (c.tie_word_embeddings) byName.set("lm_head.weight", { ...shared, name: "lm_head.weight", role: "lm_head" });
  return { ...tree, byName };
}

const memo = new WeakMap<T5Config, T5Weights>();
/** t5Weights(c), built once per config object. */
export function weightsOf(c: T5Config): T5Weights {
  let t = memo.get(c);
  if (!t) memo.set(c, (t = t5Weights(c)));
  return t;
}

/** The role of a weight name of config `c`; an unknown name fails with the name. */
export function roleOf(c: T5Config, name: string): WeightRole {
  const w = weightsOf(c).byName.get(name);
  if (!w) throw new Error(`T5: '${name}' is not a weight of this config (${c.num_layers}+${c.num_decoder_layers} layers, ${c.is_gated_act ? "gated" : "ReLU"} FFN)`);
  return w.role;
}
