// One trial as the queue and the DB see it (pure mapping from @ptune/sweep's Trial).
import type { TrialInput } from "@ptune/db";
import type { Trial } from "@ptune/sweep";
import type { QueuedTrial } from "./enqueue-jobs.ts";

/** The job for one trial (ids only; the worker reads the config from the DB). */
export function trialJobData(sweepId: string, trial: Trial): QueuedTrial {
  return { sweepId, trialId: trial.id, model: trial.model.name, priority: trial.priority };
}

/** The DB row for one trial: the whole Trial is its config (what the worker hands the trainer). */
export function trialRow(trial: Trial, params = trial.model.params ?? 0): TrialInput {
  return {
    id: trial.id,
    model: trial.model.name,
    size: trial.model.name, // routing key: one queue per model entry (queueNameFor)
    task: trial.task.name,
    method: trial.method,
    promptLength: trial.promptLength,
    init: trial.init,
    seed: trial.seed,
    params,
    metric: trial.training.earlyStopping.metric,
    config: trial as unknown as Record<string, unknown>,
  };
}
