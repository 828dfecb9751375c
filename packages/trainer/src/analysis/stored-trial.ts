// What the analyses need from a stored trial: its configuration (the sweep's `Trial`, stored as
// `trials.config` JSON by @ptune/queue) and its best prompt (the `best` checkpoint's TrainState).
// The config is validated here, at the boundary, for just the fields we read.
import { z } from "zod";
import { resolveDatasetRef } from "@ptune/t5";
import { loadSplit, syntheticTask, type Example } from "@ptune/tasks";
import { deserializeTrainState } from "../train-state.ts";
import type { LengthLimits } from "../batching.ts";

/** The slice of @ptune/sweep's `Trial` the analyses read (extra keys are kept by the sweep, ignored here). */
export const StoredTrialConfigSchema = z.object({
  model: z.object({ name: z.string().min(1), checkpoint: z.string().min(1) }),
  task: z.object({ name: z.string().min(1), dataDir: z.string().min(1).optional() }),
  method: z.enum(["prompt_tuning", "model_tuning"]),
  init: z.string().nullable().optional(),
  training: z.object({ maxInputLength: z.number().int().positive(), maxTargetLength: z.number().int().positive() }),
});
export type StoredTrialConfig = z.output<typeof StoredTrialConfigSchema>;

export function parseStoredTrialConfig(config: unknown, trialId: string): StoredTrialConfig {
  const r = StoredTrialConfigSchema.safeParse(config);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`trial '${trialId}': trials.config field '${i.path.join(".")}': ${i.message} (expected the sweep's Trial as @ptune/queue stores it)`);
  }
  return r.data;
}

export const limitsOf = (c: StoredTrialConfig): LengthLimits => ({ maxInputLength: c.training.maxInputLength, maxTargetLength: c.training.maxTargetLength });

export interface StoredPrompt {
  data: Float32Array;
  len: number;
  dModel: number;
  /** the training step the best checkpoint was taken at */
  step: number;
}

/** The soft prompt of a serialised TrainState (a `checkpoints.state`). */
export function promptFromState(bytes: Uint8Array, trialId: string): StoredPrompt {
  const s = deserializeTrainState(bytes);
  if (!s.prompt) throw new Error(`trial '${trialId}': its checkpoint holds no prompt (method ${s.method}); only prompt-tuning trials have one`);
  return { data: s.prompt.data, len: s.prompt.len, dModel: s.prompt.dModel, step: s.step };
}

/** Synthetic-task sizes; the worker's default (packages/queue worker-daemon.ts) is 100 dev examples, data seed 0. */
export interface SyntheticSize {
  dev: number;
}

/**
 * The dev ("validation") examples a trial was evaluated on, built as the worker builds them
 * (packages/queue/src/processor/runtime-ptune.ts `dataFor`, not exported there): the task's
 * validation split from its data directory, or the synthetic task (seed 0) when it has none.
 */
export async function devExamplesOf(c: StoredTrialConfig, synthetic: SyntheticSize = { dev: 100 }): Promise<Example[]> {
  if (c.task.dataDir) return loadSplit(c.task.name, await resolveDatasetRef(c.task.dataDir), "validation");
  return syntheticTask({ seed: 0, train: 0, dev: synthetic.dev }).dev;
}
