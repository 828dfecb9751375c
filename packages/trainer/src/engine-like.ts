// The engine contract of docs/architecture.md ("Engine (@ptune/t5) used by the trainer"), declared
// structurally: `T5Engine` from @ptune/t5 satisfies it, and the trainer depends on nothing more.
import type { Batch } from "@ptune/t5";

export type { Batch };

export type PromptArg = { data: Float32Array; len: number };
export type PerExamplePromptArg = { perExample: Float32Array; mask: Int32Array; pmax: number };

/** What evaluation needs: scoring and greedy decoding (an engine, or a tuned-weights view of one). */
export interface Evaluator {
  score(batch: Batch, prompt?: PromptArg): Promise<Float32Array>;
  greedy(
    batch: Pick<Batch, "batchSize" | "inputLen" | "inputIds" | "attentionMask">,
    maxNewTokens: number,
    prompt?: PromptArg | PerExamplePromptArg,
  ): Promise<number[][]>;
}

export interface EngineLike extends Evaluator {
  readonly config: { d_model: number; vocab_size: number; num_heads: number; num_layers: number; num_decoder_layers: number; decoder_start_token_id: number; eos_token_id: number };
  readonly checkpointId: string;
  embeddings(): Float32Array;
  promptStep(batch: Batch, prompt: Float32Array, promptLen: number): Promise<{ loss: number; gradPrompt: Float32Array }>;
  /**
   * Optional: a view whose greedy/score use these weights (model tuning evaluates the tuned model
   * through it); the engine itself keeps the frozen weights, and `close()` ends the view. Without
   * it, model-tuning trials are selected by dev loss.
   */
  withWeights?(weights: Map<string, Float32Array>): Evaluator & { close(): void };
  modelStep(batch: Batch, weights?: Map<string, Float32Array>): Promise<{ loss: number; grads: Map<string, Float32Array> }>;
}
