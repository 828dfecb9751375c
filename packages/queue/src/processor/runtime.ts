// What the sandboxed trial processor needs from the rest of ptune, as one small interface.
// `runtime-ptune.ts` binds it to @ptune/db, @ptune/trainer, @ptune/t5 and @ptune/tasks; the
// processor logic (trial-processor.ts) only sees this, so the wiring to the other packages'
// exact exports lives in one file (docs/architecture.md "Orchestrator").
import type { PackedProgress, TrialResult } from "@ptune/trainer";

export type { TrialResult };

/**
 * One claimed attempt of a trial: every write carries its fencing token (trialId, attempt). A write
 * the DB refuses (StaleAttemptError: a newer attempt owns the trial, or its sweep was cancelled)
 * does NOT throw into the trainer (that would end the other trials of a pack): the trial is
 * marked `stale`, its later writes are dropped, and `onStale` tells the processor to stop it.
 */
export interface ClaimedTrial {
  trialId: string;
  attempt: number;
  /** step of the checkpoint the trial resumes from, null when starting fresh */
  resumeFrom: number | null;
  readonly stale: boolean;
  onStale?: () => void;
  /** Records the final state (fenced; throws StaleAttemptError when refused). */
  finish(result: TrialResult): Promise<void>;
  /** Gives the trial back after a graceful stop: state `queued` again (fenced; no-op when stale). */
  release(): Promise<void>;
}

/** The trainer's progress of one trial (its index in the run and its id, step, loss, rate, ETA). */
export type TrialProgressEvent = PackedProgress;

export interface TrialRuntime {
  /**
   * Claims a new attempt of `trialId` for `workerId` (increments the fencing token) and reads the
   * trial's config from the DB (validated) and the checkpoint it resumes from.
   */
  claim(trialId: string, workerId: string): Promise<ClaimedTrial>;
  /**
   * Trains the claimed trials with the thread's cached engine (@ptune/trainer runTrials: one trial,
   * or a pack of prompt-tuning trials of one model) until each has ended; results in `trials`
   * order. Each trial's `signal` stops it alone (checkpoint, "cancelled"). `onTrialDone` (awaited)
   * reports each trial as it leaves, while the others train on.
   */
  run(
    trials: readonly { claimed: ClaimedTrial; signal: AbortSignal }[],
    onProgress: (p: TrialProgressEvent) => void,
    onTrialDone: (index: number, result: TrialResult) => Promise<void>,
  ): Promise<TrialResult[]>;
  /** The trial's state in the DB (a cancelled sweep marks its trials cancelled). */
  trialState(trialId: string): Promise<string | null>;
  /** True for the DB's StaleAttemptError (another attempt owns the trial). */
  isStaleAttempt(e: unknown): boolean;
  /** For the DB's TrialClosedError (claim of a completed/cancelled trial): its state; else null. */
  closedState(e: unknown): "completed" | "cancelled" | null;
}

/** Settings the daemon hands to each sandbox thread (worker_threads workerData). */
export interface SandboxConfig {
  databaseUrl: string;
  device: "cpu" | "cuda";
  cacheDir: string;
  workerId: string;
  /** how often a running trial checks the DB for cancellation (ms) */
  cancelPollMs: number;
  /** onnxruntime intra-op threads per session (0 = library default) */
  threads: number;
  /** examples generated for the synthetic task (data seed 0: the same data for every trial) */
  synthetic: { train: number; dev: number };
  /**
   * host memory a CPU worker lets one job use (`ptune worker --memory-gb`); default 75% of the
   * host's. A model whose estimate exceeds it is refused before any step (docs/memory.md).
   */
  memoryBudgetBytes?: number;
}
