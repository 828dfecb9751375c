// The sweep's Trial (camelCase, @ptune/sweep types.ts) -> the trainer's TrialSpec (snake_case,
// @ptune/trainer trial-spec.ts). Every setting the sweep has and the trainer reads is set
// explicitly, so the trainer's defaults never silently replace what the sweep said; a sweep
// setting the trainer cannot honour is refused (UnsupportedSettingError) rather than dropped.
// The mapping is documented in packages/queue/README.md ("Sweep settings -> trainer").
import { parseTrialConfig, type Trial } from "@ptune/sweep";
import type { TrialSpec } from "@ptune/trainer";

/** The fields of @ptune/trainer's TrialSpec we set (its zod schema validates them again). */
export interface TrainerSpecInput extends TrialSpec {
  trial_id: string;
  task: string;
  model: string;
  method: "prompt_tuning" | "model_tuning";
  prompt_length?: number;
  init?: "random_uniform" | "sampled_vocab" | "class_label" | `file:${string}`;
  seed: number;
  steps: number;
  batch_size: number;
  learning_rate: number;
  weight_decay: number;
  decay_rate: number;
  eval_every: number;
  checkpoint_every: number;
  patience?: number;
  early_stopping_metric?: string;
  max_input_length: number;
  max_target_length: number;
  gpu_memory_bytes: number;
}

// Compile-time guard: every key above is one the trainer's TrialSpec knows (a misspelt key would
// otherwise be ignored by its zod schema, and the trainer's default would train instead).
type UnknownToTrainer = Exclude<keyof TrainerSpecInput, keyof TrialSpec>;
const noUnknownKeys: [UnknownToTrainer] extends [never] ? true : UnknownToTrainer = true;
void noUnknownKeys;

/** A sweep setting the trainer has no equivalent for, set to a value other than the one it implements. */
export class UnsupportedSettingError extends Error {
  override name = "UnsupportedSettingError";
}

/** GiB as the sweep states `gpu_memory_gb` (docs/sweep-format.md: "GiB, > 0"). */
const GIB = 2 ** 30;

/**
 * `trials.config` as read back from the database -> the Trial it stores, validated by
 * @ptune/sweep's TrialConfigSchema (TrialConfigError names the first bad field; a deterministic
 * input error: retrying cannot fix it).
 */
export function readTrialConfig(config: unknown, trialId: string): Trial {
  return parseTrialConfig(config, trialId);
}

export function trialToSpec(trial: Trial): TrainerSpecInput {
  const t = trial.training;
  refuseUnsupported(trial);
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
    // both in the paper's sign (0.8: beta2_t = 1 - t^-0.8); the trainer negates it for Adafactor
    decay_rate: t.decayRate,
    eval_every: t.evalEvery,
    checkpoint_every: t.checkpointEvery,
    ...(t.earlyStopping.patience !== null ? { patience: t.earlyStopping.patience } : {}),
    ...(t.earlyStopping.metric !== null ? { early_stopping_metric: t.earlyStopping.metric } : {}),
    max_input_length: t.maxInputLength,
    max_target_length: t.maxTargetLength,
    // the memory one trial of this model may use: the trainer's model-tuning budget check
    gpu_memory_bytes: Math.round(trial.model.gpuMemoryGb * GIB),
  };
}

/**
 * Sweep settings with no TrialSpec field: the trainer always runs Adafactor without parameter
 * scaling on a constant learning rate (the paper's setting, Lester et al. 2021 §3; trainer
 * adafactor.ts). The sweep parser refuses the others at parse time; a config read back from the
 * database passed TrialConfigSchema (optimizer and schedule are literals there); a Trial built in
 * code is checked here again, all three.
 */
function refuseUnsupported(trial: Trial): void {
  const t = trial.training;
  const bad: string[] = [];
  if (t.optimizer !== "adafactor") bad.push(`optimizer: ${JSON.stringify(t.optimizer)} (the trainer runs adafactor)`);
  if (t.parameterScaling !== false) bad.push(`parameter_scaling: ${JSON.stringify(t.parameterScaling)} (the trainer's Adafactor has no parameter scaling; set false)`);
  if (t.schedule !== "constant") bad.push(`schedule: ${JSON.stringify(t.schedule)} (the trainer uses a constant learning rate)`);
  if (bad.length) throw new UnsupportedSettingError(`trial ${trial.id}: training.${bad.join("; training.")}`);
}
