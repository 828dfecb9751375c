// What travels through the queue. Job id = trial hash (dedupe). The trial's configuration is
// NOT copied into the job: the DB (trials.config) is its one source of truth and the worker
// reads it when it claims the attempt. Small jobs keep a 10,000-trial submit fast (measured:
// addBulk of 10k jobs took ~1.8 s with the config inside, ~0.9 s without) and sidestep BullMQ's
// "a duplicate add returns a Job showing the discarded data" (ENVIRONMENT.md).

export interface TrialJobData {
  sweepId: string;
  /** the trial hash; also the BullMQ job id. For a pack job: the pack's id (`pack-<hash>`, pack-plan.ts). */
  trialId: string;
  model: string; // model size name, e.g. "t5-small"; also picks the queue
  /**
   * Pack jobs only (job name "pack", sweep `pack: K`): the trials trained together in one packed
   * batch (@ptune/trainer runTrials), sorted. Absent on a single-trial job.
   */
  trialIds?: string[];
  /** Test/bench processors only: free-form parameters. Trial jobs leave it out. */
  spec?: Record<string, unknown>;
}

/** How one trial of a pack job ended (`failed` = the trainer's verdict, recorded in the DB). */
export interface PackTrialOutcome {
  trialId: string;
  outcome: TrialOutcome | "failed";
  attempt?: number;
  step?: number;
  resumedFrom?: number | null;
  metrics?: Record<string, number>;
}

/**
 * How a sandboxed run ended. `released` = the worker is shutting down and the trial saved a
 * checkpoint: the job goes back to `wait` (not failed) for another worker to resume.
 * `stale` = a newer attempt owns the trial (StaleAttemptError): this run just stops.
 */
export type TrialOutcome = "completed" | "cancelled" | "released" | "stale";

export interface TrialJobResult {
  outcome: TrialOutcome;
  attempt?: number;
  step?: number;
  resumedFrom?: number | null;
  metrics?: Record<string, number>;
  workerId?: string;
  threadId?: number;
  /** engines this sandbox thread holds open (1 per model: the cache works across trials) */
  enginesOpen?: number;
  /** pack jobs: one entry per trial of the pack, in `trialIds` order */
  trials?: PackTrialOutcome[];
}

/** Reason strings sent as the AbortSignal reason into the sandbox (BullMQ Worker.cancelJob). */
export const ABORT_SHUTDOWN = "ptune:shutdown";
export const ABORT_CANCELLED = "ptune:cancelled";

/** True for a pack job's data (several trials, one job). */
export function isPackJob(data: TrialJobData): data is TrialJobData & { trialIds: string[] } {
  return Array.isArray(data.trialIds);
}
