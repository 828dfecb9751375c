// T5 configuration with Hugging Face key names (transformers' T5Config), validated with zod.
// Source of truth for defaults and the feed_forward_proj parsing: transformers
// models/t5/configuration_t5.py (`act_info = feed_forward_proj.split("-")`, "gated-gelu" means
// gated with dense_act_fn "gelu_new"; num_decoder_layers defaults to num_layers).
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

/** The FFN variants this implementation computes (T5 v1.0 ReLU, T5 v1.1 gated GELU with tanh). */
export type FeedForwardProj = "relu" | "gated-gelu";

export interface T5Config {
  model_type: "t5";
  vocab_size: number;
  d_model: number;
  d_kv: number;
  d_ff: number;
  num_layers: number; // encoder blocks
  num_decoder_layers: number; // decoder blocks (defaults to num_layers)
  num_heads: number;
  relative_attention_num_buckets: number;
  relative_attention_max_distance: number;
  dropout_rate: number;
  layer_norm_epsilon: number;
  initializer_factor: number;
  feed_forward_proj: FeedForwardProj; // normalised: "gated-gelu_new" -> "gated-gelu"
  dense_act_fn: "relu" | "gelu_new"; // derived from feed_forward_proj, as HF does
  is_gated_act: boolean;
  tie_word_embeddings: boolean; // true (v1.0): lm_head = shared and decoder output * d_model^-0.5
  scale_decoder_outputs: boolean; // transformers 5 key; defaults to tie_word_embeddings
  pad_token_id: number;
  eos_token_id: number;
  decoder_start_token_id: number;
  /** the length the checkpoint was pre-trained at (T5 configs say 512), when the config states one */
  n_positions?: number;
}

export class T5ConfigError extends Error {
  override name = "T5ConfigError";
}

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();

// Loose object: config.json carries many keys we do not use (architectures, use_cache, ...).
const rawSchema = z.looseObject({
  model_type: z.string().optional(),
  vocab_size: posInt,
  d_model: posInt,
  d_kv: posInt,
  d_ff: posInt,
  num_layers: posInt,
  num_decoder_layers: posInt.nullish(),
  num_heads: posInt,
  relative_attention_num_buckets: posInt.default(32),
  relative_attention_max_distance: posInt.default(128),
  dropout_rate: z.number().min(0).max(1).default(0.1),
  layer_norm_epsilon: z.number().positive().default(1e-6),
  initializer_factor: z.number().positive().default(1.0),
  feed_forward_proj: z.string().default("relu"),
  dense_act_fn: z.string().optional(),
  is_gated_act: z.boolean().optional(),
  tie_word_embeddings: z.boolean().default(true),
  scale_decoder_outputs: z.boolean().nullish(),
  pad_token_id: nonNegInt.default(0),
  eos_token_id: z.union([nonNegInt, z.array(nonNegInt).nonempty()]).default(1),
  decoder_start_token_id: nonNegInt.default(0),
  n_positions: posInt.nullish(),
});

const SUPPORTED_FFN = "'relu' (T5 v1.0) or 'gated-gelu' / 'gated-gelu_new' (T5 v1.1, LM-adapted)";

/** Maps feed_forward_proj as HF parses it to the variant we implement, or explains why not. */
function parseFeedForward(v: string): { proj: FeedForwardProj; act: "relu" | "gelu_new"; gated: boolean } | string {
  const parts = v.split("-");
  const gated = parts[0] === "gated";
  if ((parts.length > 1 && !gated) || parts.length > 2) {
    return `'${v}' is not a valid feed_forward_proj (HF expects 'gated-{ACT}' or '{ACT}')`;
  }
  let act = parts[parts.length - 1];
  if (act === "gelu" && gated) act = "gelu_new"; // HF: "gated-gelu" is kept for backward compatibility
  if (!gated && act === "relu") return { proj: "relu", act: "relu", gated: false };
  if (gated && act === "gelu_new") return { proj: "gated-gelu", act: "gelu_new", gated: true };
  return `'${v}' is not supported`;
}

/** Validates a parsed config.json object; `source` names the file in error messages. */
export function parseT5Config(raw: unknown, source = "config.json"): T5Config {
  const r = rawSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.join(".") || "(root)";
    throw new T5ConfigError(`${source}: field '${field}': ${issue.message}`);
  }
  const c = r.data;
  if (c.model_type !== undefined && c.model_type !== "t5") {
    throw new T5ConfigError(`${source}: field 'model_type' is '${c.model_type}'; only 't5' checkpoints are supported`);
  }
  const ffn = parseFeedForward(c.feed_forward_proj);
  if (typeof ffn === "string") {
    throw new T5ConfigError(`${source}: field 'feed_forward_proj': ${ffn}; supported: ${SUPPORTED_FFN}`);
  }
  if (c.is_gated_act !== undefined && c.is_gated_act !== ffn.gated) {
    throw new T5ConfigError(
      `${source}: field 'is_gated_act' is ${c.is_gated_act} but feed_forward_proj '${c.feed_forward_proj}' means ${ffn.gated}`,
    );
  }
  if (c.dense_act_fn !== undefined && c.dense_act_fn !== ffn.act) {
    throw new T5ConfigError(
      `${source}: field 'dense_act_fn' is '${c.dense_act_fn}' but feed_forward_proj '${c.feed_forward_proj}' means '${ffn.act}'`,
    );
  }
  if (c.relative_attention_num_buckets < 2) {
    throw new T5ConfigError(`${source}: field 'relative_attention_num_buckets' must be >= 2, got ${c.relative_attention_num_buckets}`);
  }
  const eos = Array.isArray(c.eos_token_id) ? c.eos_token_id[0] : c.eos_token_id;
  const ids = { pad_token_id: c.pad_token_id, eos_token_id: eos, decoder_start_token_id: c.decoder_start_token_id };
  for (const [k, v] of Object.entries(ids)) {
    if (v >= c.vocab_size) throw new T5ConfigError(`${source}: field '${k}' is ${v}, expected < vocab_size ${c.vocab_size}`);
  }
  return {
    model_type: "t5",
    vocab_size: c.vocab_size,
    d_model: c.d_model,
    d_kv: c.d_kv,
    d_ff: c.d_ff,
    num_layers: c.num_layers,
    num_decoder_layers: c.num_decoder_layers ?? c.num_layers,
    num_heads: c.num_heads,
    relative_attention_num_buckets: c.relative_attention_num_buckets,
    relative_attention_max_distance: c.relative_attention_max_distance,
    dropout_rate: c.dropout_rate,
    layer_norm_epsilon: c.layer_norm_epsilon,
    initializer_factor: c.initializer_factor,
    feed_forward_proj: ffn.proj,
    dense_act_fn: ffn.act,
    is_gated_act: ffn.gated,
    tie_word_embeddings: c.tie_word_embeddings,
    scale_decoder_outputs: c.scale_decoder_outputs ?? c.tie_word_embeddings,
    ...ids,
    ...(c.n_positions != null ? { n_positions: c.n_positions } : {}),
  };
}

/** Reads and validates `<dir>/config.json` (or a path to a .json file). */
export function readT5Config(dirOrFile: string): T5Config {
  const file = dirOrFile.endsWith(".json") ? dirOrFile : path.join(dirOrFile, "config.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new T5ConfigError(`${file}: cannot read config (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a Hugging Face T5 config.json`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new T5ConfigError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseT5Config(raw, file);
}

/** The config.json object we write for a T5Config (HF key names, loadable by transformers). */
export function t5ConfigToJson(c: T5Config): Record<string, unknown> {
  return {
    architectures: ["T5ForConditionalGeneration"],
    ...c,
    is_encoder_decoder: true,
    use_cache: true,
  };
}
