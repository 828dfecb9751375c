// What travels through the queue. Job id = trial hash (dedupe). The trial's configuration is
// NOT copied into the job: the DB (trials.config) is its one source of truth and the worker
// reads it when it claims the attempt. Small jobs keep a 10,000-trial submit fast (measured:
// addBulk of 10k jobs took ~1.8 s with the config inside, ~0.9 s without) and sidestep BullMQ's
// "a duplicate add returns a Job showing the discarded data" (ENVIRONMENT.md).

export interface TrialJobData {
  sweepId: string;
  trialId: string; // the trial hash; also the BullMQ job id
  model: string; // model size name, e.g. "t5-small"; also picks the queue
  /** Test/bench processors only: free-form parameters. Trial jobs leave it out. */
  spec?: Record<string, unknown>;
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
}

/** Reason strings sent as the AbortSignal reason into the sandbox (BullMQ Worker.cancelJob). */
export const ABORT_SHUTDOWN = "ptune:shutdown";
export const ABORT_CANCELLED = "ptune:cancelled";
