// The tensors T5ForConditionalGeneration needs, with Hugging Face names and torch shapes
// (nn.Linear weights are [out_features, in_features]). Follows transformers modeling_t5.py:
// T5Attention (q, k, v: [H*d_kv, d_model], o: [d_model, H*d_kv], relative_attention_bias
// [num_buckets, H] only in block 0 of each stack's self-attention), T5DenseActDense (wi, wo) or
// T5DenseGatedActDense (wi_0, wi_1, wo), T5LayerNorm weights [d_model], encoder layer.0 = self-attn,
// layer.1 = FFN; decoder layer.0 = self-attn, layer.1 = EncDecAttention, layer.2 = FFN.
import type { T5Config } from "../config.ts";

export interface ExpectedTensor {
  name: string;
  shape: number[];
  /** How the shape follows from config.json, for error messages. */
  why: string;
}

export function expectedT5Tensors(c: T5Config): ExpectedTensor[] {
  const inner = c.num_heads * c.d_kv;
  const out: ExpectedTensor[] = [{ name: "shared.weight", shape: [c.vocab_size, c.d_model], why: "vocab_size x d_model" }];
  const attn = (prefix: string, rel: boolean) => {
    for (const p of ["q", "k", "v"]) out.push({ name: `${prefix}.${p}.weight`, shape: [inner, c.d_model], why: "num_heads*d_kv x d_model" });
    out.push({ name: `${prefix}.o.weight`, shape: [c.d_model, inner], why: "d_model x num_heads*d_kv" });
    if (rel) out.push({ name: `${prefix}.relative_attention_bias.weight`, shape: [c.relative_attention_num_buckets, c.num_heads], why: "relative_attention_num_buckets x num_heads" });
  };
  const norm = (name: string) => out.push({ name, shape: [c.d_model], why: "d_model" });
  const ffn = (prefix: string) => {
    const wis = c.is_gated_act ? ["wi_0", "wi_1"] : ["wi"];
    for (const w of wis) out.push({ name: `${prefix}.DenseReluDense.${w}.weight`, shape: [c.d_ff, c.d_model], why: "d_ff x d_model" });
    out.push({ name: `${prefix}.DenseReluDense.wo.weight`, shape: [c.d_model, c.d_ff], why: "d_model x d_ff" });
    norm(`${prefix}.layer_norm.weight`);
  };
  for (let i = 0; i < c.num_layers; i++) {
    const b = `encoder.block.${i}.layer`;
    attn(`${b}.0.SelfAttention`, i === 0);
    norm(`${b}.0.layer_norm.weight`);
    ffn(`${b}.1`);
  }
  norm("encoder.final_layer_norm.weight");
  for (let i = 0; i < c.num_decoder_layers; i++) {
    const b = `decoder.block.${i}.layer`;
    attn(`${b}.0.SelfAttention`, i === 0);
    norm(`${b}.0.layer_norm.weight`);
    attn(`${b}.1.EncDecAttention`, false);
    norm(`${b}.1.layer_norm.weight`);
    ffn(`${b}.2`);
  }
  norm("decoder.final_layer_norm.weight");
  if (!c.tie_word_embeddings) out.push({ name: "lm_head.weight", shape: [c.vocab_size, c.d_model], why: "vocab_size x d_model (untied LM head)" });
  return out;
}

/** Names that may stand in for shared.weight (HF saves some checkpoints with these instead or as well). */
export const SHARED_ALIASES = ["shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight"] as const;
