// The sweep's Trial (camelCase, @ptune/sweep types.ts) -> the trainer's TrialSpec (snake_case,
// @ptune/trainer trial-spec.ts). Every field the trainer reads is set explicitly, so the
// trainer's defaults never silently replace what the sweep said.
import type { Trial } from "@ptune/sweep";

/** The fields of @ptune/trainer's TrialSpec we set (its zod schema validates them again). */
export interface TrainerSpecInput {
  trial_id: string;
  task: string;
  model: string;
  method: "prompt_tuning" | "model_tuning";
  prompt_length?: number;
  init?: "random_uniform" | "sampled_vocab" | "class_label";
  seed: number;
  steps: number;
  batch_size: number;
  learning_rate: number;
  weight_decay: number;
  eval_every: number;
  checkpoint_every: number;
  patience?: number;
  max_input_length: number;
  max_target_length: number;
}

export function trialToSpec(trial: Trial): TrainerSpecInput {
  const t = trial.training;
  return {
    trial_id: trial.id,
    task: trial.task.name,
    model: trial.model.name,
    method: trial.method,
    ...(trial.promptLength !== null ? { prompt_length: trial.promptLength } : {}),
    ...(trial.init !== null ? { init: trial.init } : {}),
    seed: trial.seed,
    steps: t.steps,
    batch_size: t.batchSize,
    learning_rate: t.lr,
    weight_decay: t.weightDecay,
    eval_every: t.evalEvery,
    checkpoint_every: t.checkpointEvery,
    ...(t.earlyStopping.patience !== null ? { patience: t.earlyStopping.patience } : {}),
    max_input_length: t.maxInputLength,
    max_target_length: t.maxTargetLength,
  };
}
