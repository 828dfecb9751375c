// A seeded, randomly initialised T5 in Hugging Face format (config.json, model.safetensors,
// tokenizer.json, tokenizer_config.json) for machines without pretrained weights. Runs on it test
// the machinery, not the science. Initialisation follows transformers' T5PreTrainedModel._init_weights
// (Mesh TensorFlow scheme): with f = initializer_factor,
//   shared, lm_head ~ N(0, f);  layer norms = f;
//   q ~ N(0, f*(d_model*d_kv)^-0.5), k, v ~ N(0, f*d_model^-0.5), o ~ N(0, f*(H*d_kv)^-0.5),
//   relative_attention_bias ~ N(0, f*d_model^-0.5);
//   wi / wi_0 / wi_1 ~ N(0, f*d_model^-0.5), wo ~ N(0, f*d_ff^-0.5).
// Each tensor has its own PRNG stream derived from (seed, tensor name): same seed -> same bytes,
// and tensors are generated while the safetensors file streams out (in worker threads for large
// models, a bounded number ahead of the writer; byte-identical to the in-process path).
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { parseT5Config, t5ConfigToJson, type T5Config } from "./config.ts";
import { weightsOf, type WeightRole } from "./model/weights.ts";
import { writeSafetensors, type WriteEntry } from "./checkpoint/writer.ts";
import type { Dtype } from "./checkpoint/dtype.ts";
import { buildUnigramTokenizerJson, t5TokenizerConfigJson } from "./tokenizer/build-unigram.ts";
import { makeTensor, type TensorJob } from "./random/normal.js";
import { TensorPool } from "./random/pool.ts";

export { normalStream } from "./random/normal.js";

type Shape = Pick<T5Config, "d_model" | "d_kv" | "num_heads" | "num_layers" | "num_decoder_layers" | "d_ff"> & { vocab_size?: number; dropout_rate?: number };

/** Tiny presets for CPU quickstarts, then the T5 v1.1 / LM-adapted shapes (vocab 32128). */
export const T5_PRESETS: Readonly<Record<string, Shape>> = {
  "t5-nano": { d_model: 32, d_kv: 16, num_heads: 2, num_layers: 2, num_decoder_layers: 2, d_ff: 64, dropout_rate: 0 },
  "t5-micro": { d_model: 64, d_kv: 16, num_heads: 4, num_layers: 2, num_decoder_layers: 2, d_ff: 128, dropout_rate: 0 },
  "t5-mini": { d_model: 128, d_kv: 32, num_heads: 4, num_layers: 4, num_decoder_layers: 4, d_ff: 256, dropout_rate: 0 },
  small: { d_model: 512, d_kv: 64, num_heads: 6, num_layers: 8, num_decoder_layers: 8, d_ff: 1024, vocab_size: 32128 },
  base: { d_model: 768, d_kv: 64, num_heads: 12, num_layers: 12, num_decoder_layers: 12, d_ff: 2048, vocab_size: 32128 },
  large: { d_model: 1024, d_kv: 64, num_heads: 16, num_layers: 24, num_decoder_layers: 24, d_ff: 2816, vocab_size: 32128 },
  xl: { d_model: 2048, d_kv: 64, num_heads: 32, num_layers: 24, num_decoder_layers: 24, d_ff: 5120, vocab_size: 32128 },
  xxl: { d_model: 4096, d_kv: 64, num_heads: 64, num_layers: 24, num_decoder_layers: 24, d_ff: 10240, vocab_size: 32128 },
};

/** Words the default tokenizer knows as whole pieces (short everyday English). */
export const DEFAULT_WORDS = (
  "the a an and or of to in on at for with near under over from by is are was were be not no yes true false " +
  "it this that he she they we you i my your his her their what which who when where why how question answer " +
  "sentence premise hypothesis passage choice entailment contradiction neutral cause effect label " +
  "cat dog horse bird red green blue yellow bread rice apple soup animal color food one two three"
).split(" ");

export interface InitRandomT5Options {
  preset?: string;
  /** Any T5 config.json keys (HF names) on top of the preset. */
  config?: Record<string, unknown>;
  seed?: number;
  /** Words that become single tokenizer pieces (e.g. the synthetic task's vocabulary). */
  words?: readonly string[];
  dtype?: Extract<Dtype, "F32" | "F16" | "BF16">;
  /** Worker threads generating tensors; default: none below 50M parameters, else cores - 1 (max 8). */
  workers?: number;
  /** Called as each tensor is handed to the writer (parameters done so far, total). */
  onProgress?: (p: { done: number; total: number }) => void;
}

export interface InitRandomT5Result {
  dir: string;
  config: T5Config;
  parameters: number;
  bytes: number;
  tokenizerSize: number;
}

/** The std _init_weights uses for a weight role, or "norm" for layer norms (constant initializer_factor). */
function initStd(role: WeightRole, c: T5Config): number | "norm" {
  const f = c.initializer_factor;
  switch (role) {
    case "norm": return "norm";
    case "embedding": case "lm_head": return f;
    case "relative_bias": return f * c.d_model ** -0.5;
    case "q": return f * (c.d_model * c.d_kv) ** -0.5;
    case "k": case "v": return f * c.d_model ** -0.5;
    case "o": return f * (c.num_heads * c.d_kv) ** -0.5;
    case "wi": return f * c.d_model ** -0.5;
    case "wo": return f * c.d_ff ** -0.5;
  }
}

export async function initRandomT5(dir: string, opts: InitRandomT5Options = {}): Promise<InitRandomT5Result> {
  const presetName = opts.preset ?? "t5-nano";
  const preset = T5_PRESETS[presetName];
  if (!preset) throw new Error(`unknown preset '${presetName}'; expected one of ${Object.keys(T5_PRESETS).join(", ")}`);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, got ${seed}`);
  const realShape = preset.vocab_size !== undefined;
  const tokJson = buildUnigramTokenizerJson({ words: opts.words ?? DEFAULT_WORDS, padTo: realShape ? 32100 : undefined });
  const tokenizerSize = (tokJson.model as { vocab: unknown[] }).vocab.length;
  const config = parseT5Config({
    model_type: "t5", feed_forward_proj: "gated-gelu", tie_word_embeddings: false, relative_attention_num_buckets: 32,
    relative_attention_max_distance: 128, layer_norm_epsilon: 1e-6, initializer_factor: 1.0, dropout_rate: 0.1,
    pad_token_id: 0, eos_token_id: 1, decoder_start_token_id: 0, vocab_size: tokenizerSize,
    ...preset, ...opts.config,
  }, `preset '${presetName}' with overrides`);
  if (config.vocab_size < tokenizerSize) throw new Error(`vocab_size ${config.vocab_size} is smaller than the tokenizer's ${tokenizerSize} ids`);

  mkdirSync(dir, { recursive: true });
  const dtype = opts.dtype ?? "F32";
  const expected = weightsOf(config).stored;
  const jobs: TensorJob[] = expected.map(({ name, shape, role }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const std = initStd(role, config);
    return std === "norm" ? { seed, name, n, fill: config.initializer_factor } : { seed, name, n, std };
  });
  const parameters = jobs.reduce((s, j) => s + j.n, 0);
  const workers = opts.workers ?? (parameters < 50e6 ? 0 : Math.max(1, Math.min(8, availableParallelism() - 1)));
  const pool = workers > 0 ? new TensorPool(workers) : null;
  // With a pool, keep up to 2*workers tensors in flight ahead of the writer (bounded memory).
  const inFlight = new Map<number, Promise<Float32Array>>();
  let started = 0;
  let done = 0;
  const produce = (i: number): Float32Array | Promise<Float32Array> => {
    opts.onProgress?.({ done, total: parameters });
    done += jobs[i].n;
    if (!pool) return makeTensor(jobs[i]);
    while (started < jobs.length && started < i + 2 * workers) {
      const p = pool.run(jobs[started]);
      p.catch(() => {}); // a failure surfaces where the writer awaits it, not as an unhandled rejection
      inFlight.set(started++, p);
    }
    const p = inFlight.get(i)!;
    inFlight.delete(i);
    return p;
  };
  const entries: WriteEntry[] = expected.map(({ name, shape }, i) => ({ name, shape, dtype, data: () => produce(i) }));
  let bytes: number;
  try {
    bytes = await writeSafetensors(path.join(dir, "model.safetensors"), entries, {
      metadata: { format: "pt", ptune: `random-init preset=${presetName} seed=${seed}` },
    });
  } finally {
    await pool?.close();
  }
  writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...t5ConfigToJson(config), ptune_random_init: { preset: presetName, seed } }, null, 2) + "\n");
  writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(tokJson));
  writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(t5TokenizerConfigJson(), null, 2) + "\n");
  return { dir, config, parameters, bytes, tokenizerSize };
}
