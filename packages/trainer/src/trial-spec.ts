// What one trial trains: the fields runTrial reads, with the paper's defaults (Lester et al. 2021,
// §3: 30,000 steps, batch 32, prompt length 100, Adafactor lr 0.3, weight decay 1e-5, class-label
// init; model tuning with Adafactor lr 1e-3). Keys are snake_case, the sweep YAML's spelling.
import { z } from "zod";
import { PROMPT_INIT_STRATEGIES, type PromptInitStrategy } from "./prompt-init.ts";

const posInt = z.number().int().positive();

export const TrialSpecSchema = z.object({
  /** the trial's identity (the sweep's trial hash); checkpoints of another trial are refused */
  trial_id: z.string().min(1).default("trial"),
  task: z.string().min(1),
  /** model directory or name; informative here (the engine is passed in) */
  model: z.string().default(""),
  method: z.enum(["prompt_tuning", "model_tuning"]).default("prompt_tuning"),
  prompt_length: posInt.default(100),
  init: z.custom<PromptInitStrategy>((v) => typeof v === "string" && ((PROMPT_INIT_STRATEGIES as readonly string[]).includes(v) || /^file:.+/.test(v)), { error: `one of ${PROMPT_INIT_STRATEGIES.join(", ")} or file:<path>` }).default("class_label"),
  seed: z.number().int().nonnegative().default(0),
  steps: posInt.default(30000),
  batch_size: posInt.default(32),
  /** default 0.3 (prompt tuning) / 1e-3 (model tuning) */
  learning_rate: z.number().positive().optional(),
  weight_decay: z.number().nonnegative().default(1e-5),
  /** Adafactor's second-moment exponent as the paper states it (beta2_t = 1 - t^-0.8); transformers' decay_rate = -this */
  decay_rate: z.number().positive().default(0.8),
  eval_every: posInt.default(1000),
  checkpoint_every: posInt.default(1000),
  /** early stopping after this many evaluations without improvement; absent = never */
  patience: posInt.optional(),
  /** the dev metric that picks the best checkpoint and drives early stopping; default the task's primary metric */
  early_stopping_metric: z.string().min(1).optional(),
  max_input_length: posInt.default(512),
  max_target_length: posInt.default(128),
  /** "batch": pad to the longest in the batch; "max": to max_*_length (fixed shapes) */
  pad_to: z.enum(["batch", "max"]).default("batch"),
  eval_batch_size: posInt.default(32),
  /** tokens generated when decoding dev predictions; default max_target_length */
  max_decode_length: posInt.optional(),
  /** "greedy": decode and string-match; "rank": score each label string, pick the best */
  eval_mode: z.enum(["greedy", "rank"]).default("greedy"),
  /** evaluate on at most this many dev examples (the first ones) */
  max_dev_examples: posInt.optional(),
  /** send step rows to the sink every this many steps */
  log_every: posInt.default(10),
  /** model tuning: bytes available for weights+grads+optimizer (default: 75% of host RAM, or gpu_memory_bytes) */
  memory_budget_bytes: z.number().positive().optional(),
  gpu_memory_bytes: z.number().positive().optional(),
});
export type TrialSpec = z.input<typeof TrialSpecSchema>;
export type ResolvedTrialSpec = z.output<typeof TrialSpecSchema>;

export function parseTrialSpec(raw: unknown): ResolvedTrialSpec {
  const r = TrialSpecSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`trial spec: field '${i.path.join(".")}': ${i.message}`);
  }
  return r.data;
}

export function learningRate(spec: ResolvedTrialSpec): number {
  return spec.learning_rate ?? (spec.method === "prompt_tuning" ? 0.3 : 1e-3);
}
