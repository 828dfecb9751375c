// The engine contract of docs/architecture.md ("Engine (@ptune/t5) used by the trainer"), declared
// structurally: `T5Engine` from @ptune/t5 satisfies it, and the trainer depends on nothing more.
import type { Batch, Precision, T5Config } from "@ptune/t5";

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
  readonly config: T5Config;
  /** the frozen weights' compute dtype (the memory check counts them in it) */
  readonly precision: Precision;
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
