// Soft-prompt initialisations of the prompt-tuning paper (Lester et al. 2021, §3 "Initialization"),
// following the official code (google-research/prompt-tuning, prompt_tuning/prompts.py):
//
// - random_uniform: U[-0.5, 0.5] per value (paper §3; the official default `nn.initializers.uniform()`
//   is U[0, 0.01), the paper's experiments use [-0.5, 0.5]).
// - sampled_vocab: rows of the embedding table for token ids drawn from the 5,000 most frequent
//   SentencePiece tokens. The official `from_sample_of_embeddings(population_size=5000)` draws
//   `jax.random.choice(rng, population_size, (P,), replace)` from ids [0, 5000): T5's vocabulary is
//   ordered by frequency, and it excludes NOTHING else (pad 0, eos 1 and unk 2 are in the
//   population). Without replacement, unless P > population (then with replacement).
// - class_label: `from_embedded_list`: the prompt is first filled by the fallback initializer
//   (sampled_vocab here, as in the official `from_class_labels.gin`), then slot i gets the MEAN of
//   the embeddings of label i's pieces (`vocab.encode(text)`: no EOS). With more labels than slots
//   the official code logs a warning and skips the extra labels; we do the same and report them in
//   `skippedLabels`.
import type { Rng } from "./rng.ts";
import { encodeNoEos, type TokenizerLike } from "./tokenizer-like.ts";
import { promptFromFile } from "./analysis/prompt-files.ts";

/** `file:<path>`: a saved prompt (.npy or PEFT adapter, e.g. the paper's released prompts) as the start. */
export type PromptInitStrategy = "random_uniform" | "sampled_vocab" | "class_label" | `file:${string}`;
export const PROMPT_INIT_STRATEGIES: readonly PromptInitStrategy[] = ["random_uniform", "sampled_vocab", "class_label"];

/** Size of the frequent-token population for sampled_vocab (paper §3). */
export const SAMPLED_VOCAB_POPULATION = 5000;

export interface InitPromptArgs {
  strategy: PromptInitStrategy;
  length: number;
  /** shared.weight [vocab, dModel] */
  embeddings: Float32Array;
  vocab: number;
  dModel: number;
  labels?: string[];
  tokenizer?: TokenizerLike;
  rng: Rng;
}

export interface PromptInitInfo {
  /** token id behind each slot (sampled_vocab/class_label fallback), -1 for label or uniform slots */
  tokenIds: number[];
  /** labels that did not fit into the prompt (class_label with more labels than slots) */
  skippedLabels: string[];
}

/** [P, dModel] fp32 prompt. Draws from `rng` only (reproducible for a given seed). */
export function initPrompt(args: InitPromptArgs): Float32Array {
  return initPromptWithInfo(args).prompt;
}

export function initPromptWithInfo(args: InitPromptArgs): { prompt: Float32Array; info: PromptInitInfo } {
  const { strategy, length: P, embeddings, vocab, dModel: d, rng } = args;
  if (!Number.isInteger(P) || P <= 0) throw new Error(`initPrompt: length must be a positive integer, got ${P}`);
  if (!Number.isInteger(d) || d <= 0) throw new Error(`initPrompt: dModel must be a positive integer, got ${d}`);
  if (strategy.startsWith("file:")) return { prompt: promptFromFile(strategy.slice(5), P, d), info: { tokenIds: new Array(P).fill(-1), skippedLabels: [] } };
  if (strategy !== "random_uniform" && embeddings.length !== vocab * d) {
    throw new Error(`initPrompt(${strategy}): embeddings has ${embeddings.length} values, expected vocab ${vocab} x dModel ${d}`);
  }
  const info: PromptInitInfo = { tokenIds: new Array(P).fill(-1), skippedLabels: [] };
  const prompt = new Float32Array(P * d);
  if (strategy === "random_uniform") {
    for (let i = 0; i < prompt.length; i++) prompt[i] = rng.float() - 0.5; // exact in fp32
    return { prompt, info };
  }
  if (strategy !== "sampled_vocab" && strategy !== "class_label") {
    throw new Error(`initPrompt: unknown strategy "${String(strategy)}", expected one of ${PROMPT_INIT_STRATEGIES.join(", ")}`);
  }
  // sampled_vocab (also the class_label fallback, drawn first as in from_embedded_list)
  const population = Math.min(SAMPLED_VOCAB_POPULATION, vocab);
  const ids = P > population ? Array.from({ length: P }, () => rng.int(population)) : rng.sampleWithoutReplacement(population, P);
  ids.forEach((id, slot) => {
    prompt.set(embeddings.subarray(id * d, (id + 1) * d), slot * d);
    info.tokenIds[slot] = id;
  });
  if (strategy === "class_label") {
    const labels = args.labels;
    if (!labels || labels.length === 0) throw new Error("initPrompt(class_label): needs the task's label strings (labels), got none");
    if (!args.tokenizer) throw new Error("initPrompt(class_label): needs a tokenizer to encode the labels");
    labels.forEach((label, slot) => {
      if (slot >= P) {
        info.skippedLabels.push(label);
        return;
      }
      const pieces = encodeNoEos(args.tokenizer!, label);
      if (pieces.length === 0) throw new Error(`initPrompt(class_label): label "${label}" encodes to no tokens`);
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (const id of pieces) s += embeddings[id * d + j];
        prompt[slot * d + j] = s / pieces.length; // jnp.mean over pieces (rounded to fp32 on store)
      }
      info.tokenIds[slot] = -1;
    });
  }
  return { prompt, info };
}
