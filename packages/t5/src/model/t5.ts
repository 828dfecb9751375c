// T5 (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified Text-to-Text
// Transformer") as ONNX primitives, read top to bottom like transformers' models/t5/modeling_t5.py:
// T5LayerNorm -> T5Attention (relative position bias, no 1/sqrt(d) scaling) -> T5DenseActDense /
// T5DenseGatedActDense -> T5Block -> T5Stack (encoder, decoder) -> LM head.
// Everything is composed from @ptune/onnx primitives, so grad() differentiates it without new rules.
// Weight names come from the one weight tree (weights.ts, Hugging Face checkpoint names); `W(name)`
// returns them as graph tensors (initializers for frozen graphs, inputs otherwise).
//
// Mixed precision (engine dtype fp16 / bf16): every matmul runs in the dtype its weight is stored
// in (`linear` casts its input), while the residual stream, the layer-norm statistics, the softmax
// over attention scores, the logits and the loss stay float32, as transformers does for T5 in half
// precision (modeling_t5: softmax on `scores.float()`, `_keep_in_fp32_modules = ["wo"]`, layer
// norm variance in float32). Which weights are stored in half is decided by `storedDtype`.
import { ops, type DType, type FloatDType, type Tensor } from "@ptune/onnx";
import type { T5Config } from "../config.ts";
import { weightsOf, type AttentionWeights, type FfnWeights, type WeightRole } from "./weights.ts";

const { add, cast, concat, div, expand, gather, matmul, mul, pow, reduceMean, relu, reshape, softmax, sqrt, sub, tanh, transpose, unsqueeze } = ops;

export type WeightFn = (name: string) => Tensor;

/** The most negative finite value of the dtype: what HF adds at masked positions (torch.finfo(dtype).min). */
export const maskValue = (dtype: FloatDType) => (dtype === "float16" ? -65504 : dtype === "float64" ? -1.7976931348623157e308 : -3.4028234663852886e38);

/** The dtype values accumulate in (residual stream, norms, softmax, logits): float32 for half weights. */
export const accDtype = (d: DType): DType => (d === "float16" || d === "bfloat16" ? "float32" : d);

/** x in dtype `to` (no node when it already is one). */
export const as = (x: Tensor, to: DType): Tensor => (x.dtype === to ? x : cast(x, to));

/** Engine precisions: fp32 everywhere, or half-precision matmuls with float32 where accuracy needs it. */
export type Precision = "fp32" | "fp16" | "bf16";
export const HALF: Record<Precision, FloatDType> = { fp32: "float32", fp16: "float16", bf16: "bfloat16" };

/**
 * The dtype a weight is stored (and multiplied) in, by its role (weights.ts roleOf): matrices in
 * half, except the relative attention bias tables and layer norms (tiny, added to float32 values)
 * and, in fp16, the FFN output projection wo: T5 v1.1's FFN activations overflow fp16
 * (transformers keeps `wo` in float32 for that reason); bf16 has float32's range, so there wo is bf16 too.
 */
export function storedDtype(role: WeightRole, precision: Precision): FloatDType {
  if (precision === "fp32") return "float32";
  if (role === "norm" || role === "relative_bias") return "float32";
  if (precision === "fp16" && role === "wo") return "float32";
  return HALF[precision];
}

/** nn.Linear without bias: x @ W^T, W stored [out, in] as in the checkpoint; computed in W's dtype. */
const linear = (x: Tensor, w: Tensor) => matmul(as(x, w.dtype), transpose(w, [1, 0]));

/** T5LayerNorm: RMS norm, no mean subtraction, no bias: w * x / sqrt(mean(x^2) + eps). */
export function layerNorm(x: Tensor, w: Tensor, eps: number): Tensor {
  const variance = reduceMean(mul(x, x), [-1], true); // (B, T, 1), in x's dtype (float32)
  return mul(as(w, x.dtype), div(x, sqrt(add(variance, eps))));
}

/** gelu_new (tanh approximation), transformers activations.NewGELUActivation. */
export function geluNew(x: Tensor): Tensor {
  // x^3 as products in half precision: CUDA's Pow has no bfloat16 kernel in every release
  const cube = x.dtype === "float32" || x.dtype === "float64" ? pow(x, 3) : mul(x, mul(x, x));
  const inner = mul(Math.sqrt(2 / Math.PI), add(x, mul(0.044715, cube)));
  return mul(mul(0.5, x), add(1, tanh(inner)));
}

/**
 * Relative position bias from bucket ids: buckets (Tq, Tk) -> (1, H, Tq, Tk), or per example
 * (B, Tq, Tk) -> (B, H, Tq, Tk). Buckets are computed on the host (relativePositionBucket).
 */
export function positionBias(table: Tensor, buckets: Tensor): Tensor {
  const b = gather(table, buckets, 0); // (Tq, Tk, H) or (B, Tq, Tk, H)
  return buckets.rank === 2 ? unsqueeze(transpose(b, [2, 0, 1]), [0]) : transpose(b, [0, 3, 1, 2]);
}

/** Additive key mask (B, 1, 1, Tk) from a 0/1 int64 mask (B, Tk): 0 where kept, finfo.min where masked. */
export function keyMaskBias(mask: Tensor, dtype: FloatDType): Tensor {
  const m = cast(mask, dtype);
  return unsqueeze(mul(sub(1, m), maskValue(dtype)), [1, 2]);
}

/** Causal bias (L, L): finfo.min above the diagonal (a query never sees later keys). */
export function causalBias(decoderIds: Tensor, dtype: FloatDType): Tensor {
  const g = decoderIds.graph;
  const L = decoderIds.shape[1];
  const len = gather(ops.shapeOf(decoderIds), g.scalar("int64", 1), 0); // scalar
  const pos = ops.range(g.scalar("int64", 0), len, g.scalar("int64", 1), [L]);
  const later = ops.greater(unsqueeze(pos, [0]), unsqueeze(pos, [1])); // (L, L): key > query
  return ops.where(later, g.scalar(dtype, maskValue(dtype)), g.scalar(dtype, 0));
}

/** The (B, H, T, dk) heads of projection `w` ("q" | "k" | "v") of attention `a`. */
export function heads(c: T5Config, W: WeightFn, a: AttentionWeights, x: Tensor, w: "q" | "k" | "v"): Tensor {
  return transpose(reshape(linear(x, W(a[w].name)), [0, 0, c.num_heads, c.d_kv]), [0, 2, 1, 3]);
}

/** Attention of query heads over key/value heads (B, H, *, dk), scores plus `bias`, then the output projection. */
export function attend(c: T5Config, W: WeightFn, a: AttentionWeights, q: Tensor, k: Tensor, v: Tensor, bias: Tensor): Tensor {
  // HF T5: scores = q @ k^T with no 1/sqrt(d_kv) (folded into the initialisation of q);
  // bias and softmax in float32 (HF: softmax(scores.float())), probabilities back to v's dtype
  const scores = add(as(matmul(q, transpose(k, [0, 1, 3, 2])), bias.dtype), bias); // (B, H, Tq, Tk)
  const probs = as(softmax(scores, -1), v.dtype);
  const ctx = reshape(transpose(matmul(probs, v), [0, 2, 1, 3]), [0, 0, c.num_heads * c.d_kv]); // (B, Tq, H*dk)
  return linear(ctx, W(a.o.name));
}

/** T5Attention: multi-head attention whose scores get `bias` (position bias + masks) and no scaling. */
export function attention(c: T5Config, W: WeightFn, a: AttentionWeights, xq: Tensor, xkv: Tensor, bias: Tensor): Tensor {
  return attend(c, W, a, heads(c, W, a, xq, "q"), heads(c, W, a, xkv, "k"), heads(c, W, a, xkv, "v"), bias);
}

/** T5DenseActDense (v1.0, ReLU) or T5DenseGatedActDense (v1.1, gelu_new gate). */
export function feedForward(c: T5Config, W: WeightFn, f: FfnWeights, x: Tensor): Tensor {
  const [wi0, wi1] = f.wi.map((w) => W(w.name));
  const h = c.is_gated_act ? mul(geluNew(linear(x, wi0)), linear(x, wi1)) : relu(linear(x, wi0));
  return linear(h, W(f.wo.name));
}

/**
 * T5Stack encoder: x (B, S, d) embeddings (prompt first), mask (B, S), buckets (S, S) or (B, S, S).
 * Block 0 owns relative_attention_bias; its bias (plus the mask) is reused by every later block.
 */
export function encoder(c: T5Config, W: WeightFn, x: Tensor, mask: Tensor, buckets: Tensor, dtype: FloatDType): Tensor {
  const eps = c.layer_norm_epsilon;
  const { blocks, finalNorm } = weightsOf(c).encoder;
  const bias = add(positionBias(W(blocks[0].selfAttention.relativeBias!.name), buckets), keyMaskBias(mask, dtype));
  let h = x;
  for (const b of blocks) {
    const n0 = layerNorm(h, W(b.selfNorm.name), eps);
    h = add(h, as(attention(c, W, b.selfAttention, n0, n0, bias), h.dtype));
    h = add(h, as(feedForward(c, W, b.ffn, layerNorm(h, W(b.ffnNorm.name), eps)), h.dtype));
  }
  return layerNorm(h, W(finalNorm.name), eps); // (B, S, d)
}

/** T5Stack decoder: causal self-attention with unidirectional buckets (L, L), then cross-attention. */
export function decoder(c: T5Config, W: WeightFn, decoderIds: Tensor, buckets: Tensor, enc: Tensor, encMask: Tensor, dtype: FloatDType): Tensor {
  const eps = c.layer_norm_epsilon;
  const { embedTokens, blocks, finalNorm } = weightsOf(c).decoder;
  const selfBias = add(positionBias(W(blocks[0].selfAttention.relativeBias!.name), buckets), causalBias(decoderIds, dtype));
  const crossBias = keyMaskBias(encMask, dtype); // no position bias in EncDecAttention
  let h = as(gather(W(embedTokens.name), decoderIds, 0), dtype); // (B, L, d); = shared.weight unless stored apart
  for (const b of blocks) {
    const n0 = layerNorm(h, W(b.selfNorm.name), eps);
    h = add(h, as(attention(c, W, b.selfAttention, n0, n0, selfBias), h.dtype));
    h = add(h, as(attention(c, W, b.crossAttention, layerNorm(h, W(b.crossNorm.name), eps), enc, crossBias), h.dtype));
    h = add(h, as(feedForward(c, W, b.ffn, layerNorm(h, W(b.ffnNorm.name), eps)), h.dtype));
  }
  return layerNorm(h, W(finalNorm.name), eps); // (B, L, d)
}

/** Keys and values of one attention, (B, H, T, dk) each. */
export interface KV {
  k: Tensor;
  v: Tensor;
}

/** The cross-attention keys/values of every decoder block from the encoder output (computed once per decoding). */
export function crossKV(c: T5Config, W: WeightFn, enc: Tensor): KV[] {
  return weightsOf(c).decoder.blocks.map((b) => ({ k: heads(c, W, b.crossAttention, enc, "k"), v: heads(c, W, b.crossAttention, enc, "v") }));
}

/**
 * One decoder position with caches (transformers' T5 with past_key_values): ids (B, 1) at position
 * t, `past` the self-attention keys/values of positions 0..t-1 per block, `buckets` (1, t+1) the
 * relative buckets of this query against every key (no causal mask: every key is at or before t).
 * Returns the hidden state (B, 1, d) and the self-attention keys/values of positions 0..t.
 */
export function decoderStep(c: T5Config, W: WeightFn, ids: Tensor, buckets: Tensor, cross: KV[], encMask: Tensor, past: KV[], dtype: FloatDType): { h: Tensor; present: KV[] } {
  const eps = c.layer_norm_epsilon;
  const { embedTokens, blocks, finalNorm } = weightsOf(c).decoder;
  const selfBias = positionBias(W(blocks[0].selfAttention.relativeBias!.name), buckets); // (1, H, 1, t+1)
  const crossBias = keyMaskBias(encMask, dtype);
  let h = as(gather(W(embedTokens.name), ids, 0), dtype); // (B, 1, d)
  const present: KV[] = [];
  blocks.forEach((b, i) => {
    const sa = b.selfAttention, ca = b.crossAttention;
    const n0 = layerNorm(h, W(b.selfNorm.name), eps);
    const k = concat([past[i].k, heads(c, W, sa, n0, "k")], 2); // (B, H, t+1, dk)
    const v = concat([past[i].v, heads(c, W, sa, n0, "v")], 2);
    present.push({ k, v });
    h = add(h, as(attend(c, W, sa, heads(c, W, sa, n0, "q"), k, v, selfBias), h.dtype));
    h = add(h, as(attend(c, W, ca, heads(c, W, ca, layerNorm(h, W(b.crossNorm.name), eps), "q"), cross[i].k, cross[i].v, crossBias), h.dtype));
    h = add(h, as(feedForward(c, W, b.ffn, layerNorm(h, W(b.ffnNorm.name), eps)), h.dtype));
  });
  return { h: layerNorm(h, W(finalNorm.name), eps), present };
}

/** LM head: v1.0 ties it to shared.weight and scales the decoder output by d_model^-0.5; v1.1 has its own. */
export function lmHead(c: T5Config, W: WeightFn, h: Tensor): Tensor {
  const x = c.scale_decoder_outputs ? mul(h, c.d_model ** -0.5) : h;
  return as(linear(x, W(weightsOf(c).lmHead.name)), h.dtype); // (B, L, V), float32 for the loss
}

/**
 * Encoder input embeddings: a shared prompt (P, d), per-example prompts (B, P, d) or none, then tokens.
 * With a prompt, tokens are embedded with `shared.weight` (model.get_input_embeddings(), as PEFT
 * and make_golden.py do); without one, with `encoder.embed_tokens` as T5Stack does (the same tensor
 * unless a transformers-5 checkpoint stores them apart).
 */
export function encoderInput(c: T5Config, W: WeightFn, inputIds: Tensor, prompt?: Tensor): Tensor {
  const t = weightsOf(c);
  const table = W(prompt ? t.shared.name : t.encoder.embedTokens.name);
  const emb = as(gather(table, inputIds, 0), prompt?.dtype ?? accDtype(table.dtype)); // (B, T, d)
  if (!prompt) return emb;
  if (prompt.rank === 3) return concat([prompt, emb], 1);
  const g = inputIds.graph;
  const batch = gather(ops.shapeOf(inputIds), g.ints([0]), 0); // [B]
  const shape = concat([batch, ops.shapeOf(prompt)], 0); // [B, P, d]
  const pe = expand(prompt, shape, [inputIds.shape[0], ...prompt.shape]); // (B, P, d)
  return concat([pe, emb], 1);
}
